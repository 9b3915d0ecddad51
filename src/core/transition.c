/*
 * transition.c: date rules of the マイナ保険証 transition (see transition.h).
 *
 * Each decision reads only the parameters it needs, through need(), which
 * records them in the trace and fails when the caller could not resolve
 * them.  The rules follow doc/decisions.md, which cites the sources.
 */
#include "transition.h"

#include <stddef.h>

const char *const mh_param_names[MH_P_COUNT] = {
	"card_issue_end",
	"card_transition_end",
	"expired_card_acceptance",
	"ecert_grace_months",
	"notice_with_myna_from",
	"portal_screen_with_myna_from",
	"portal_pdf_with_myna_from",
	"certificate_from",
	"certificate_max_months",
	"certificate_term_months",
	"certificate_renewal_month",
	"late_elderly_blanket_until",
	"late_elderly_age_rule_from",
	"late_elderly_age_threshold",
	"acquisition_report_days",
	"acquisition_report_first_day_counts",
	"notice_round1_window",
	"notice_round2_window",
	"notice_round2_acquired",
	"notice_on_acquisition_from",
	"notice_on_acquisition_days"
};

const MhValueType mh_param_types[MH_P_COUNT] = {
	MH_VT_DATE, MH_VT_DATE, MH_VT_RANGE, MH_VT_INT, MH_VT_DATE, MH_VT_DATE,
	MH_VT_DATE, MH_VT_DATE, MH_VT_INT, MH_VT_INT, MH_VT_INT, MH_VT_DATE,
	MH_VT_DATE, MH_VT_INT, MH_VT_INT, MH_VT_BOOL, MH_VT_RANGE, MH_VT_RANGE,
	MH_VT_RANGE, MH_VT_DATE, MH_VT_INT
};

const char *const mh_input_names[MH_IN_COUNT] = {
	"category", "day", "birth_date", "acquired_on", "lost_on",
	"card_issued_on", "card_expires_on", "my_number_linked",
	"myna_registered_on", "myna_withdrawn_on", "ecert_expires_on",
	"certificate_valid_until", "certificate_requested_on", "online_check",
	"issued_on"
};

const char *const mh_rule_names[MH_R_COUNT] = {
	"none",
	"not_eligible",
	"card_none",
	"card_issued_after_end",
	"card_not_yet_issued",
	"card_valid",
	"card_expired",
	"card_transition_ended",
	"card_accepted_temporarily",
	"card_not_accepted",
	"myna_usable",
	"myna_no_my_number",
	"myna_not_registered",
	"myna_withdrawn",
	"myna_ecert_expired",
	"certificate_held",
	"certificate_not_held",
	"need_late_elderly_blanket",
	"need_late_elderly_age",
	"need_on_request",
	"need_none",
	"certificate_term",
	"certificate_renewal_month",
	"certificate_legal_maximum",
	"ecert_grace",
	"ecert_not_recorded",
	"report_first_day_excluded",
	"report_first_day_counted",
	"notice_round1",
	"notice_round2",
	"notice_on_acquisition"
};

const char *const mh_rule_texts[MH_R_COUNT] = {
	"No rule applied.",
	"The member does not hold eligibility (資格) on the day: acquired later or already lost.",
	"The member has no 健康保険証 on record.",
	"The 健康保険証 was issued after the last issue day (card_issue_end), so the transitional measure (経過措置) does not cover it.",
	"The 健康保険証 was issued after the day.",
	"The 健康保険証 is legally valid: within its own expiry and the transitional period (経過措置), and the member holds eligibility.",
	"The 健康保険証 is past its own expiry date (有効期限), which came before the end of the transitional period.",
	"The transitional period (経過措置) for existing 健康保険証 has ended (card_transition_end).",
	"The 健康保険証 is no longer legally valid, but an institution that confirms eligibility online may accept it under the temporary measure (暫定的な取扱い, expired_card_acceptance).",
	"The 健康保険証 is neither legally valid nor within the temporary acceptance window for its insurer category, or the institution cannot confirm eligibility online.",
	"The マイナ保険証 is usable: My Number linked, registered for insurance use (利用登録), not withdrawn, e-certificate within its grace period.",
	"The insurer holds no My Number for the member, so the マイナ保険証 cannot work.",
	"The マイナンバーカード is not registered for insurance use (利用登録).",
	"The registration for insurance use was withdrawn (利用登録解除).",
	"The e-certificate (利用者証明用電子証明書) expired and its grace period (ecert_grace_months after the end of the month of expiry) is over.",
	"The member holds a 資格確認書 valid on the day.",
	"The member holds no 資格確認書 valid on the day.",
	"後期高齢者 members all receive a 資格確認書 without application until late_elderly_blanket_until (暫定運用).",
	"後期高齢者 members aged late_elderly_age_threshold or over on late_elderly_age_rule_from receive a 資格確認書 (UNCONFIRMED national rule).",
	"The member applied for a 資格確認書 (申請), e.g. as 要配慮者.",
	"No 資格確認書 is needed: the マイナ保険証 is usable and no other ground applies.",
	"Validity of certificate_term_months from the issue day (insurer decision).",
	"Validity to the day before the first renewal day (1st of certificate_renewal_month) after certificate_term_months (insurer decision).",
	"Capped at the legal maximum of certificate_max_months from the issue day.",
	"Usable until the end of the month ecert_grace_months after the month of the e-certificate expiry.",
	"No e-certificate expiry is recorded, so no grace period ends.",
	"Deadline of acquisition_report_days days, the first day not counted (民法 第140条; UNCONFIRMED for this deadline).",
	"Deadline of acquisition_report_days days, the first day counted.",
	"Sent in the first round (notice_round1_window) to members acquired before notice_round2_acquired.",
	"Sent in the second round (notice_round2_window) to members acquired within notice_round2_acquired.",
	"Sent on acquisition, within notice_on_acquisition_days days (new members from notice_on_acquisition_from)."
};

/* ---------------------------------------------------------------------
 * Calendar arithmetic.  Days are counted from 2000-01-01; the civil
 * conversions are H. Hinnant's days_from_civil / civil_from_days, shifted.
 */

#define MH_EPOCH_SHIFT 10957	/* days from 1970-01-01 to 2000-01-01 */

static int
days_in_month(int y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

bool
mh_ymd_valid(int y, int m, int d)
{
	return y >= -4713 && y <= 5874897 && m >= 1 && m <= 12 &&
		d >= 1 && d <= days_in_month(y, m);
}

mh_day
mh_day_from_ymd(int y, int m, int d)
{
	int64_t		yy = (int64_t) y - (m <= 2);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;
	int64_t		doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (mh_day) (era * 146097 + doe - 719468 - MH_EPOCH_SHIFT);
}

void
mh_ymd_from_day(mh_day day, int *y, int *m, int *d)
{
	int64_t		z = (int64_t) day + MH_EPOCH_SHIFT + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int64_t		dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t		mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int) (yoe + era * 400 + (mm <= 2));
	*m = (int) mm;
	*d = (int) dd;
}

mh_day
mh_add_months(mh_day day, int months)
{
	int			y,
				m,
				d;
	int64_t		mi;

	if (day == MH_DAY_MIN || day == MH_DAY_MAX)
		return day;
	mh_ymd_from_day(day, &y, &m, &d);
	mi = (int64_t) y * 12 + (m - 1) + months;
	y = (int) (mi >= 0 ? mi / 12 : (mi - 11) / 12);
	m = (int) (mi - (int64_t) y * 12) + 1;
	if (d > days_in_month(y, m))
		d = days_in_month(y, m);
	return mh_day_from_ymd(y, m, d);
}

mh_day
mh_month_end(mh_day day, int months_after)
{
	int			y,
				m,
				d;

	if (day == MH_DAY_MIN || day == MH_DAY_MAX)
		return day;
	mh_ymd_from_day(day, &y, &m, &d);
	/* first day of the month after the target month, minus one day */
	return mh_add_months(mh_day_from_ymd(y, m, 1), months_after + 1) - 1;
}

int64_t
mh_month_index(mh_day day)
{
	int			y,
				m,
				d;

	mh_ymd_from_day(day, &y, &m, &d);
	return (int64_t) y * 12 + (m - 1);
}

void
mh_rules_memo_day(MhRules *r, mh_day day)
{
	int			y,
				m,
				d;

	r->memo_set = true;
	r->memo_day = day;
	r->memo_grace = -1;
	if ((r->present & ((uint32_t) 1 << MH_P_ECERT_GRACE_MONTHS)) &&
		day != MH_DAY_MIN && day != MH_DAY_MAX)
	{
		r->memo_grace = r->v[MH_P_ECERT_GRACE_MONTHS].a;
		mh_ymd_from_day(day, &y, &m, &d);
		r->memo_ecert_before = mh_add_months(mh_day_from_ymd(y, m, 1), -r->memo_grace);
	}
}

int
mh_age_on(mh_day birth, mh_day day)
{
	int			by,
				bm,
				bd,
				y,
				m,
				d,
				age;

	mh_ymd_from_day(birth, &by, &bm, &bd);
	mh_ymd_from_day(day, &y, &m, &d);
	age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

/* ---------------------------------------------------------------------
 * Decisions
 */

/* Fetch parameter p, recording its use; false when it was not resolved. */
#define NEED(r, p, trace, param) \
	do { \
		if ((trace) != NULL) \
			(trace)->params |= (uint32_t) 1 << (p); \
		if (((r)->present & ((uint32_t) 1 << (p))) == 0) \
		{ \
			*(param) = (p); \
			return MH_ERR_MISSING_PARAMETER; \
		} \
	} while (0)

#define USE_IN(trace, bits) \
	do { if ((trace) != NULL) (trace)->inputs |= (bits); } while (0)

/* Append a rule to the trace once. */
static void
add_rule(MhTrace *trace, MhRule rule)
{
	int			i;

	if (trace == NULL)
		return;
	for (i = 0; i < trace->nrules; i++)
		if (trace->rules[i] == rule)
			return;
	if (trace->nrules < MH_TRACE_RULES)
		trace->rules[trace->nrules++] = rule;
}

/* Contradictory member facts, checked before any rule. */
static MhStatus
check_member(const MhMember *m)
{
	if (m->lost_on < m->acquired_on)
		return MH_ERR_LOST_BEFORE_ACQUIRED;
	if (m->card_issued_on != MH_DAY_MAX && m->card_expires_on < m->card_issued_on)
		return MH_ERR_EXPIRES_BEFORE_ISSUED;
	if (m->birth_date != MH_DAY_MIN && m->acquired_on < m->birth_date)
		return MH_ERR_ACQUIRED_BEFORE_BIRTH;
	return MH_OK;
}

static bool
eligible_on(const MhMember *m, mh_day day, MhTrace *trace)
{
	USE_IN(trace, MH_IN_ACQUIRED_ON | MH_IN_LOST_ON);
	return m->acquired_on <= day && day < m->lost_on;
}

/* Card status on day (legal validity), without the eligibility check. */
static MhStatus
card_rule(const MhRules *r, const MhMember *m, mh_day day, MhRule *rule,
		  MhTrace *trace, MhParam *param)
{
	mh_day		end;

	USE_IN(trace, MH_IN_CARD_ISSUED_ON);
	if (m->card_issued_on == MH_DAY_MAX)
	{
		*rule = MH_R_CARD_NONE;
		return MH_OK;
	}
	NEED(r, MH_P_CARD_ISSUE_END, trace, param);
	if (m->card_issued_on > r->v[MH_P_CARD_ISSUE_END].a)
	{
		*rule = MH_R_CARD_ISSUED_AFTER_END;
		return MH_OK;
	}
	if (day < m->card_issued_on)
	{
		*rule = MH_R_CARD_NOT_YET_ISSUED;
		return MH_OK;
	}
	NEED(r, MH_P_CARD_TRANSITION_END, trace, param);
	USE_IN(trace, MH_IN_CARD_EXPIRES_ON);
	end = r->v[MH_P_CARD_TRANSITION_END].a;
	if (m->card_expires_on < end && day > m->card_expires_on)
		*rule = MH_R_CARD_EXPIRED;
	else if (day > end)
		*rule = MH_R_CARD_TRANSITION_ENDED;
	else
		*rule = MH_R_CARD_VALID;
	return MH_OK;
}

MhStatus
mh_card_usable_until(const MhRules *r, const MhMember *m, mh_day *until,
					 MhTrace *trace, MhParam *param)
{
	MhStatus	st = check_member(m);
	mh_day		u;

	if (st != MH_OK)
		return st;
	USE_IN(trace, MH_IN_CARD_ISSUED_ON);
	if (m->card_issued_on == MH_DAY_MAX)
	{
		add_rule(trace, MH_R_CARD_NONE);
		*until = MH_DAY_MIN;
		return MH_OK;
	}
	NEED(r, MH_P_CARD_ISSUE_END, trace, param);
	if (m->card_issued_on > r->v[MH_P_CARD_ISSUE_END].a)
	{
		add_rule(trace, MH_R_CARD_ISSUED_AFTER_END);
		*until = MH_DAY_MIN;
		return MH_OK;
	}
	NEED(r, MH_P_CARD_TRANSITION_END, trace, param);
	USE_IN(trace, MH_IN_CARD_EXPIRES_ON | MH_IN_LOST_ON);
	u = r->v[MH_P_CARD_TRANSITION_END].a;
	if (m->card_expires_on < u)
	{
		u = m->card_expires_on;
		add_rule(trace, MH_R_CARD_EXPIRED);
	}
	else
		add_rule(trace, MH_R_CARD_TRANSITION_ENDED);
	if (m->lost_on != MH_DAY_MAX && m->lost_on - 1 < u)
	{
		u = m->lost_on - 1;
		add_rule(trace, MH_R_NOT_ELIGIBLE);
	}
	*until = u < m->card_issued_on ? MH_DAY_MIN : u;
	return MH_OK;
}

MhStatus
mh_card_valid(const MhRules *r, const MhMember *m, mh_day day, bool *valid,
			  MhTrace *trace, MhParam *param)
{
	MhStatus	st = check_member(m);
	MhRule		rule;

	if (st != MH_OK)
		return st;
	if ((st = card_rule(r, m, day, &rule, trace, param)) != MH_OK)
		return st;
	if (rule == MH_R_CARD_VALID && !eligible_on(m, day, trace))
		rule = MH_R_NOT_ELIGIBLE;
	add_rule(trace, rule);
	*valid = rule == MH_R_CARD_VALID;
	return MH_OK;
}

/* Card accepted under the temporary measure on day (not legal validity). */
static MhStatus
card_accepted_rule(const MhRules *r, const MhMember *m, mh_day day, bool online,
				   MhRule card, bool *accepted, MhTrace *trace, MhParam *param)
{
	*accepted = false;
	if (card != MH_R_CARD_EXPIRED && card != MH_R_CARD_TRANSITION_ENDED)
		return MH_OK;
	NEED(r, MH_P_EXPIRED_CARD_ACCEPTANCE, trace, param);
	USE_IN(trace, MH_IN_ONLINE_CHECK);
	*accepted = online &&
		day >= r->v[MH_P_EXPIRED_CARD_ACCEPTANCE].a &&
		day <= r->v[MH_P_EXPIRED_CARD_ACCEPTANCE].b &&
		eligible_on(m, day, trace);
	return MH_OK;
}

MhStatus
mh_card_accepted(const MhRules *r, const MhMember *m, mh_day day, bool *accepted,
				 MhTrace *trace, MhParam *param)
{
	MhStatus	st = check_member(m);
	MhRule		rule;

	if (st != MH_OK)
		return st;
	if ((st = card_rule(r, m, day, &rule, trace, param)) != MH_OK)
		return st;
	if (rule == MH_R_CARD_VALID)
	{
		*accepted = eligible_on(m, day, trace);
		add_rule(trace, *accepted ? MH_R_CARD_VALID : MH_R_NOT_ELIGIBLE);
		return MH_OK;
	}
	add_rule(trace, rule);
	/* the condition of the notices is that eligibility is confirmed online */
	if ((st = card_accepted_rule(r, m, day, true, rule, accepted, trace, param)) != MH_OK)
		return st;
	add_rule(trace, *accepted ? MH_R_CARD_ACCEPTED_TEMPORARILY : MH_R_CARD_NOT_ACCEPTED);
	return MH_OK;
}

MhStatus
mh_myna_usable_until(const MhRules *r, mh_day ecert_expires_on, mh_day *until,
					 MhTrace *trace, MhParam *param)
{
	int			months;

	USE_IN(trace, MH_IN_ECERT_EXPIRES_ON);
	if (ecert_expires_on == MH_DAY_MAX)
	{
		add_rule(trace, MH_R_ECERT_NOT_RECORDED);
		*until = MH_DAY_MAX;
		return MH_OK;
	}
	NEED(r, MH_P_ECERT_GRACE_MONTHS, trace, param);
	months = r->v[MH_P_ECERT_GRACE_MONTHS].a;
	if (months < 0 || months > 120)
	{
		*param = MH_P_ECERT_GRACE_MONTHS;
		return MH_ERR_BAD_PARAMETER;
	}
	add_rule(trace, MH_R_ECERT_GRACE);
	*until = mh_month_end(ecert_expires_on, months);
	return MH_OK;
}

/* Status of the マイナ保険証 on day, eligibility aside. */
static MhStatus
myna_rule(const MhRules *r, const MhMember *m, mh_day day, MhRule *rule,
		  MhTrace *trace, MhParam *param)
{
	int			months;
	bool		withdrawn;

	USE_IN(trace, MH_IN_MY_NUMBER_LINKED);
	if (!m->my_number_linked)
	{
		*rule = MH_R_MYNA_NO_MY_NUMBER;
		return MH_OK;
	}
	USE_IN(trace, MH_IN_MYNA_REGISTERED_ON | MH_IN_MYNA_WITHDRAWN_ON);

	/*
	 * A withdrawal before the registration day means the member registered
	 * again after withdrawing.
	 */
	withdrawn = m->myna_withdrawn_on <= day &&
		(m->myna_registered_on == MH_DAY_MAX ||
		 m->myna_withdrawn_on >= m->myna_registered_on);
	if (withdrawn)
	{
		*rule = MH_R_MYNA_WITHDRAWN;
		return MH_OK;
	}
	if (m->myna_registered_on > day)
	{
		*rule = MH_R_MYNA_NOT_REGISTERED;
		return MH_OK;
	}
	USE_IN(trace, MH_IN_ECERT_EXPIRES_ON);
	if (m->ecert_expires_on == MH_DAY_MAX)
	{
		*rule = MH_R_MYNA_USABLE;
		return MH_OK;
	}
	NEED(r, MH_P_ECERT_GRACE_MONTHS, trace, param);
	months = r->v[MH_P_ECERT_GRACE_MONTHS].a;
	if (months < 0 || months > 120)
	{
		*param = MH_P_ECERT_GRACE_MONTHS;
		return MH_ERR_BAD_PARAMETER;
	}

	/*
	 * Usable through the end of the month "months" after the month of
	 * expiry, i.e. expired on day when the expiry falls before the first day
	 * of the month "months" before day's month.  With the caller's memo for
	 * day that first day is known, and a member costs one comparison.
	 */
	if (r->memo_set && day == r->memo_day && months == r->memo_grace)
		*rule = m->ecert_expires_on < r->memo_ecert_before ?
			MH_R_MYNA_ECERT_EXPIRED : MH_R_MYNA_USABLE;
	else
		*rule = mh_month_index(day) > mh_month_index(m->ecert_expires_on) + months ?
			MH_R_MYNA_ECERT_EXPIRED : MH_R_MYNA_USABLE;
	return MH_OK;
}

MhStatus
mh_documents(const MhRules *r, const MhMember *m, mh_day day, bool online_check,
			 uint32_t *usable, uint32_t *accepted, MhTrace *trace, MhParam *param)
{
	MhStatus	st = check_member(m);
	MhRule		card,
				myna;
	uint32_t	u = 0,
				a = 0;
	bool		ok;

	*usable = *accepted = 0;
	if (st != MH_OK)
		return st;
	USE_IN(trace, MH_IN_DAY | MH_IN_CATEGORY);
	if (!eligible_on(m, day, trace))
	{
		add_rule(trace, MH_R_NOT_ELIGIBLE);
		return MH_OK;
	}
	USE_IN(trace, MH_IN_ONLINE_CHECK);

	/* マイナ保険証, alone where checked online, with a companion elsewhere */
	if ((st = myna_rule(r, m, day, &myna, trace, param)) != MH_OK)
		return st;
	add_rule(trace, myna);
	if (myna == MH_R_MYNA_USABLE)
	{
		if (online_check)
			u |= 1u << MH_DOC_MYNA_HOKENSHO;
		else
		{
			NEED(r, MH_P_NOTICE_WITH_MYNA_FROM, trace, param);
			NEED(r, MH_P_PORTAL_SCREEN_WITH_MYNA_FROM, trace, param);
			NEED(r, MH_P_PORTAL_PDF_WITH_MYNA_FROM, trace, param);
			if (day >= r->v[MH_P_NOTICE_WITH_MYNA_FROM].a)
				u |= 1u << MH_DOC_MYNA_WITH_NOTICE;
			if (day >= r->v[MH_P_PORTAL_SCREEN_WITH_MYNA_FROM].a)
				u |= 1u << MH_DOC_MYNA_WITH_PORTAL_SCREEN;
			if (day >= r->v[MH_P_PORTAL_PDF_WITH_MYNA_FROM].a)
				u |= 1u << MH_DOC_MYNA_WITH_PORTAL_PDF;
		}
	}

	/* 健康保険証: legal validity, then the temporary acceptance */
	if ((st = card_rule(r, m, day, &card, trace, param)) != MH_OK)
		return st;
	add_rule(trace, card);
	if (card == MH_R_CARD_VALID)
		u |= 1u << MH_DOC_LEGACY_CARD;
	else
	{
		if ((st = card_accepted_rule(r, m, day, online_check, card, &ok, trace, param)) != MH_OK)
			return st;
		if (ok)
		{
			a |= 1u << MH_DOC_EXPIRED_LEGACY_CARD;
			add_rule(trace, MH_R_CARD_ACCEPTED_TEMPORARILY);
		}
	}

	/* 資格確認書 held and valid on the day */
	USE_IN(trace, MH_IN_CERTIFICATE_VALID_UNTIL);
	if (m->certificate_valid_until != MH_DAY_MIN)
	{
		NEED(r, MH_P_CERTIFICATE_FROM, trace, param);
		if (day >= r->v[MH_P_CERTIFICATE_FROM].a && day <= m->certificate_valid_until)
			u |= 1u << MH_DOC_CERTIFICATE;
	}
	add_rule(trace, (u & (1u << MH_DOC_CERTIFICATE)) ? MH_R_CERTIFICATE_HELD : MH_R_CERTIFICATE_NOT_HELD);

	/*
	 * 資格情報のお知らせ alone, under the same temporary measure; members
	 * registered for insurance use are the ones who hold one.
	 */
	if (online_check && m->myna_registered_on <= day)
	{
		NEED(r, MH_P_EXPIRED_CARD_ACCEPTANCE, trace, param);
		if (day >= r->v[MH_P_EXPIRED_CARD_ACCEPTANCE].a &&
			day <= r->v[MH_P_EXPIRED_CARD_ACCEPTANCE].b)
			a |= 1u << MH_DOC_NOTICE_ALONE;
	}

	*usable = u;
	*accepted = u | a;
	return MH_OK;
}

MhStatus
mh_certificate_need(const MhRules *r, const MhMember *m, mh_day day, MhNeed *need,
					MhTrace *trace, MhParam *param)
{
	MhStatus	st = check_member(m);
	MhRule		myna;

	if (st != MH_OK)
		return st;
	USE_IN(trace, MH_IN_DAY | MH_IN_CATEGORY);
	NEED(r, MH_P_CERTIFICATE_FROM, trace, param);
	if (day < r->v[MH_P_CERTIFICATE_FROM].a)
		return MH_ERR_BEFORE_CERTIFICATES;
	if (!eligible_on(m, day, trace))
	{
		add_rule(trace, MH_R_NOT_ELIGIBLE);
		*need = MH_NEED_NOT_ELIGIBLE;
		return MH_OK;
	}
	if (m->category == MH_CAT_LATE_ELDERLY)
	{
		NEED(r, MH_P_LATE_ELDERLY_BLANKET_UNTIL, trace, param);
		if (day <= r->v[MH_P_LATE_ELDERLY_BLANKET_UNTIL].a)
		{
			add_rule(trace, MH_R_NEED_LATE_ELDERLY_BLANKET);
			*need = MH_NEED_LATE_ELDERLY_BLANKET;
			return MH_OK;
		}
		NEED(r, MH_P_LATE_ELDERLY_AGE_RULE_FROM, trace, param);
		if (day >= r->v[MH_P_LATE_ELDERLY_AGE_RULE_FROM].a)
		{
			NEED(r, MH_P_LATE_ELDERLY_AGE_THRESHOLD, trace, param);
			USE_IN(trace, MH_IN_BIRTH_DATE);
			if (m->birth_date == MH_DAY_MIN)
				return MH_ERR_NO_BIRTH_DATE;
			if (mh_age_on(m->birth_date, r->v[MH_P_LATE_ELDERLY_AGE_RULE_FROM].a) >=
				r->v[MH_P_LATE_ELDERLY_AGE_THRESHOLD].a)
			{
				add_rule(trace, MH_R_NEED_LATE_ELDERLY_AGE);
				*need = MH_NEED_LATE_ELDERLY_AGE;
				return MH_OK;
			}
		}
	}
	if ((st = myna_rule(r, m, day, &myna, trace, param)) != MH_OK)
		return st;
	add_rule(trace, myna);
	switch (myna)
	{
		case MH_R_MYNA_NO_MY_NUMBER:
			*need = MH_NEED_NO_MY_NUMBER;
			return MH_OK;
		case MH_R_MYNA_WITHDRAWN:
			*need = MH_NEED_REGISTRATION_WITHDRAWN;
			return MH_OK;
		case MH_R_MYNA_NOT_REGISTERED:
			*need = MH_NEED_NOT_REGISTERED;
			return MH_OK;
		case MH_R_MYNA_ECERT_EXPIRED:
			*need = MH_NEED_ECERT_EXPIRED;
			return MH_OK;
		default:
			break;
	}
	USE_IN(trace, MH_IN_CERTIFICATE_REQUESTED_ON);
	if (m->certificate_requested_on <= day)
	{
		add_rule(trace, MH_R_NEED_ON_REQUEST);
		*need = MH_NEED_ON_REQUEST;
		return MH_OK;
	}
	add_rule(trace, MH_R_NEED_NONE);
	*need = MH_NEED_NOT_NEEDED;
	return MH_OK;
}

MhStatus
mh_certificate_valid_until(const MhRules *r, mh_day issued_on, mh_day *until,
						   MhTrace *trace, MhParam *param)
{
	int			maxm,
				term,
				month;
	mh_day		u,
				cap;

	USE_IN(trace, MH_IN_ISSUED_ON | MH_IN_CATEGORY);
	NEED(r, MH_P_CERTIFICATE_FROM, trace, param);
	if (issued_on < r->v[MH_P_CERTIFICATE_FROM].a)
		return MH_ERR_BEFORE_CERTIFICATES;
	NEED(r, MH_P_CERTIFICATE_MAX_MONTHS, trace, param);
	NEED(r, MH_P_CERTIFICATE_TERM_MONTHS, trace, param);
	NEED(r, MH_P_CERTIFICATE_RENEWAL_MONTH, trace, param);
	maxm = r->v[MH_P_CERTIFICATE_MAX_MONTHS].a;
	term = r->v[MH_P_CERTIFICATE_TERM_MONTHS].a;
	month = r->v[MH_P_CERTIFICATE_RENEWAL_MONTH].a;
	if (maxm <= 0 || maxm > 1200)
	{
		*param = MH_P_CERTIFICATE_MAX_MONTHS;
		return MH_ERR_BAD_PARAMETER;
	}
	/* the insurer's choice must stay within the legal maximum */
	if (term < 0 || term > maxm)
	{
		*param = MH_P_CERTIFICATE_TERM_MONTHS;
		return MH_ERR_BAD_PARAMETER;
	}
	if (month < 0 || month > 12)
	{
		*param = MH_P_CERTIFICATE_RENEWAL_MONTH;
		return MH_ERR_BAD_PARAMETER;
	}
	u = mh_add_months(issued_on, term);
	if (month == 0)
	{
		add_rule(trace, MH_R_CERT_TERM);
		u = u - 1;
	}
	else
	{
		int			y,
					mo,
					d;
		mh_day		renew;

		add_rule(trace, MH_R_CERT_RENEWAL_MONTH);
		mh_ymd_from_day(u, &y, &mo, &d);
		renew = mh_day_from_ymd(y, month, 1);
		if (renew <= u)
			renew = mh_day_from_ymd(y + 1, month, 1);
		u = renew - 1;
	}
	cap = mh_add_months(issued_on, maxm) - 1;
	if (u > cap)
	{
		add_rule(trace, MH_R_CERT_LEGAL_MAXIMUM);
		u = cap;
	}
	*until = u;
	return MH_OK;
}

MhStatus
mh_acquisition_report_due(const MhRules *r, mh_day acquired_on, mh_day *due,
						  MhTrace *trace, MhParam *param)
{
	int			days;
	bool		counts;

	USE_IN(trace, MH_IN_ACQUIRED_ON);
	NEED(r, MH_P_ACQUISITION_REPORT_DAYS, trace, param);
	NEED(r, MH_P_ACQUISITION_REPORT_FIRST_DAY_COUNTS, trace, param);
	days = r->v[MH_P_ACQUISITION_REPORT_DAYS].a;
	counts = r->v[MH_P_ACQUISITION_REPORT_FIRST_DAY_COUNTS].a != 0;
	if (days < 1 || days > 366)
	{
		*param = MH_P_ACQUISITION_REPORT_DAYS;
		return MH_ERR_BAD_PARAMETER;
	}
	add_rule(trace, counts ? MH_R_REPORT_FIRST_DAY_COUNTED : MH_R_REPORT_FIRST_DAY_EXCLUDED);
	*due = acquired_on + days - (counts ? 1 : 0);
	return MH_OK;
}

MhStatus
mh_notice_window(const MhRules *r, const MhMember *m, mh_day *from, mh_day *to,
				 MhTrace *trace, MhParam *param)
{
	mh_day		acq = m->acquired_on;

	USE_IN(trace, MH_IN_ACQUIRED_ON | MH_IN_CATEGORY);
	NEED(r, MH_P_NOTICE_ON_ACQUISITION_FROM, trace, param);
	if (acq >= r->v[MH_P_NOTICE_ON_ACQUISITION_FROM].a)
	{
		int			days;

		NEED(r, MH_P_NOTICE_ON_ACQUISITION_DAYS, trace, param);
		days = r->v[MH_P_NOTICE_ON_ACQUISITION_DAYS].a;
		if (days < 0 || days > 366)
		{
			*param = MH_P_NOTICE_ON_ACQUISITION_DAYS;
			return MH_ERR_BAD_PARAMETER;
		}
		add_rule(trace, MH_R_NOTICE_ON_ACQUISITION);
		*from = acq;
		*to = acq + days;
		return MH_OK;
	}
	NEED(r, MH_P_NOTICE_ROUND2_ACQUIRED, trace, param);
	if (acq >= r->v[MH_P_NOTICE_ROUND2_ACQUIRED].a &&
		acq <= r->v[MH_P_NOTICE_ROUND2_ACQUIRED].b)
	{
		NEED(r, MH_P_NOTICE_ROUND2_WINDOW, trace, param);
		add_rule(trace, MH_R_NOTICE_ROUND2);
		*from = r->v[MH_P_NOTICE_ROUND2_WINDOW].a;
		*to = r->v[MH_P_NOTICE_ROUND2_WINDOW].b;
		return MH_OK;
	}
	if (acq < r->v[MH_P_NOTICE_ROUND2_ACQUIRED].a)
	{
		NEED(r, MH_P_NOTICE_ROUND1_WINDOW, trace, param);
		add_rule(trace, MH_R_NOTICE_ROUND1);
		*from = r->v[MH_P_NOTICE_ROUND1_WINDOW].a;
		*to = r->v[MH_P_NOTICE_ROUND1_WINDOW].b;
		return MH_OK;
	}
	return MH_ERR_NO_NOTICE_WINDOW;
}
