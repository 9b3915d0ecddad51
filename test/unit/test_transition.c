/*
 * Unit tests of src/core/transition.c: calendar arithmetic and the decision
 * rules over explicit parameters (the values shipped in the legal calendar).
 */
#include "transition.h"
#include "unit.h"

static mh_day
D(int y, int m, int d)
{
	return mh_day_from_ymd(y, m, d);
}

static void
set(MhRules *r, MhParam p, int32_t a, int32_t b)
{
	r->present |= (uint32_t) 1 << p;
	r->v[p].a = a;
	r->v[p].b = b;
}

/* The calendar as currently known, for one category. */
static MhRules
rules_for(MhCategory cat)
{
	MhRules		r;

	memset(&r, 0, sizeof(r));
	set(&r, MH_P_CARD_ISSUE_END, D(2024, 12, 1), 0);
	set(&r, MH_P_CARD_TRANSITION_END, D(2025, 12, 1), 0);
	if (cat == MH_CAT_MUNICIPAL_NHI || cat == MH_CAT_LATE_ELDERLY)
		set(&r, MH_P_EXPIRED_CARD_ACCEPTANCE, D(2025, 8, 1), D(2026, 3, 31));
	else
		set(&r, MH_P_EXPIRED_CARD_ACCEPTANCE, D(2025, 12, 2), D(2026, 3, 31));
	set(&r, MH_P_ECERT_GRACE_MONTHS, 3, 0);
	set(&r, MH_P_NOTICE_WITH_MYNA_FROM, D(2024, 12, 2), 0);
	set(&r, MH_P_PORTAL_SCREEN_WITH_MYNA_FROM, D(2024, 2, 6), 0);
	set(&r, MH_P_PORTAL_PDF_WITH_MYNA_FROM, D(2024, 12, 2), 0);
	set(&r, MH_P_CERTIFICATE_FROM, D(2024, 12, 2), 0);
	set(&r, MH_P_CERTIFICATE_MAX_MONTHS, 60, 0);
	set(&r, MH_P_CERTIFICATE_TERM_MONTHS, cat == MH_CAT_KYOKAI_KENPO ? 48 : 1, 0);
	set(&r, MH_P_CERTIFICATE_RENEWAL_MONTH, cat == MH_CAT_KYOKAI_KENPO ? 12 : 8, 0);
	if (cat == MH_CAT_LATE_ELDERLY)
	{
		set(&r, MH_P_LATE_ELDERLY_BLANKET_UNTIL, D(2026, 7, 31), 0);
		set(&r, MH_P_LATE_ELDERLY_AGE_RULE_FROM, D(2026, 8, 1), 0);
		set(&r, MH_P_LATE_ELDERLY_AGE_THRESHOLD, 85, 0);
	}
	set(&r, MH_P_ACQUISITION_REPORT_DAYS, 5, 0);
	set(&r, MH_P_ACQUISITION_REPORT_FIRST_DAY_COUNTS, 0, 0);
	if (cat == MH_CAT_KYOKAI_KENPO)
	{
		set(&r, MH_P_NOTICE_ROUND1_WINDOW, D(2024, 9, 9), D(2024, 9, 30));
		set(&r, MH_P_NOTICE_ROUND2_WINDOW, D(2025, 1, 22), D(2025, 2, 3));
		set(&r, MH_P_NOTICE_ROUND2_ACQUIRED, D(2024, 6, 10), D(2024, 11, 29));
	}
	set(&r, MH_P_NOTICE_ON_ACQUISITION_FROM, D(2024, 12, 2), 0);
	set(&r, MH_P_NOTICE_ON_ACQUISITION_DAYS, 14, 0);
	return r;
}

/* A member holding a card and a registered マイナ保険証. */
static MhMember
member(MhCategory cat)
{
	MhMember	m;

	memset(&m, 0, sizeof(m));
	m.category = cat;
	m.birth_date = D(1960, 5, 5);
	m.acquired_on = D(2020, 4, 1);
	m.lost_on = MH_DAY_MAX;
	m.card_issued_on = D(2020, 4, 1);
	m.card_expires_on = MH_DAY_MAX;
	m.my_number_linked = true;
	m.myna_registered_on = D(2022, 1, 1);
	m.myna_withdrawn_on = MH_DAY_MAX;
	m.ecert_expires_on = D(2029, 1, 1);
	m.certificate_valid_until = MH_DAY_MIN;
	m.certificate_requested_on = MH_DAY_MAX;
	return m;
}

static void
test_calendar(void)
{
	int			y,
				m,
				d;
	mh_day		day;
	int			bad = 0;

	CHECK_INT(D(2000, 1, 1), 0, "2000-01-01 is day 0 (PostgreSQL's epoch)");
	CHECK_INT(D(1999, 12, 31), -1, "1999-12-31 is day -1");
	CHECK_INT(D(2024, 12, 2), 9102, "2024-12-02 is day 9102");
	CHECK_INT(D(2000, 3, 1) - D(2000, 2, 28), 2, "2000 is a leap year");
	CHECK_INT(D(1900, 3, 1) - D(1900, 2, 28), 1, "1900 is not a leap year");
	for (day = D(1890, 1, 1); day <= D(2110, 12, 31); day++)
	{
		mh_ymd_from_day(day, &y, &m, &d);
		if (D(y, m, d) != day || !mh_ymd_valid(y, m, d))
			bad++;
	}
	CHECK_INT(bad, 0, "every day 1890-2110 round-trips through y-m-d");
	mh_ymd_from_day(D(-4713, 11, 24), &y, &m, &d);
	CHECK(y == -4713 && m == 11 && d == 24, "negative years round-trip");

	CHECK_INT(mh_add_months(D(2025, 1, 31), 1), D(2025, 2, 28), "Jan 31 + 1 month clamps to Feb 28");
	CHECK_INT(mh_add_months(D(2024, 1, 31), 1), D(2024, 2, 29), "Jan 31 + 1 month is Feb 29 in a leap year");
	CHECK_INT(mh_add_months(D(2025, 12, 2), 60), D(2030, 12, 2), "+60 months");
	CHECK_INT(mh_add_months(D(2025, 3, 15), -3), D(2024, 12, 15), "negative months cross the year");
	CHECK_INT(mh_add_months(MH_DAY_MAX, 1), MH_DAY_MAX, "infinity stays infinity");
	CHECK_INT(mh_month_end(D(2025, 5, 15), 3), D(2025, 8, 31), "e-cert 2025-05-15: end of month + 3 = 2025-08-31 (domain §5.5)");
	CHECK_INT(mh_month_end(D(2025, 11, 30), 3), D(2026, 2, 28), "end of month + 3 from November ends in February");
	CHECK_INT(mh_month_end(D(2023, 11, 1), 3), D(2024, 2, 29), "... in a leap February");
	CHECK_INT(mh_month_end(D(2025, 1, 1), 0), D(2025, 1, 31), "end of the same month");

	CHECK_INT(mh_age_on(D(1941, 8, 1), D(2026, 8, 1)), 85, "85 on the birthday");
	CHECK_INT(mh_age_on(D(1941, 8, 2), D(2026, 8, 1)), 84, "84 the day before the birthday");
	CHECK_INT(mh_age_on(D(1960, 2, 29), D(2025, 2, 28)), 64, "born Feb 29: not a year older on Feb 28");
	CHECK_INT(mh_age_on(D(1960, 2, 29), D(2025, 3, 1)), 65, "born Feb 29: a year older on Mar 1");
}

static void
test_card(void)
{
	MhRules		r = rules_for(MH_CAT_KYOKAI_KENPO);
	MhRules		nhi = rules_for(MH_CAT_MUNICIPAL_NHI);
	MhMember	m = member(MH_CAT_KYOKAI_KENPO);
	MhParam		p;
	MhTrace		t;
	mh_day		u;
	bool		b;

	CHECK_INT(mh_card_usable_until(&r, &m, &u, NULL, &p), MH_OK, "usable_until ok");
	CHECK_INT(u, D(2025, 12, 1), "card without expiry runs to 2025-12-01");
	mh_card_valid(&r, &m, D(2025, 12, 1), &b, NULL, &p);
	CHECK(b, "valid on 2025-12-01");
	mh_card_valid(&r, &m, D(2025, 12, 2), &b, NULL, &p);
	CHECK(!b, "not valid on 2025-12-02");
	mh_card_accepted(&r, &m, D(2025, 12, 2), &b, NULL, &p);
	CHECK(b, "accepted on 2025-12-02");
	mh_card_accepted(&r, &m, D(2026, 4, 1), &b, NULL, &p);
	CHECK(!b, "not accepted on 2026-04-01");

	m.card_expires_on = D(2025, 7, 31);
	mh_card_accepted(&r, &m, D(2025, 8, 1), &b, NULL, &p);
	CHECK(!b, "協会けんぽ: expired card not accepted on 2025-08-01");
	mh_card_accepted(&nhi, &m, D(2025, 8, 1), &b, NULL, &p);
	CHECK(b, "国保: expired card accepted on 2025-08-01");
	memset(&t, 0, sizeof(t));
	mh_card_accepted(&nhi, &m, D(2025, 8, 1), &b, &t, &p);
	CHECK(t.nrules == 2 && t.rules[0] == MH_R_CARD_EXPIRED &&
		  t.rules[1] == MH_R_CARD_ACCEPTED_TEMPORARILY, "trace: expired, then accepted temporarily");
	CHECK(t.params & (1u << MH_P_EXPIRED_CARD_ACCEPTANCE), "trace names expired_card_acceptance");

	m.lost_on = D(2025, 3, 21);
	mh_card_usable_until(&r, &m, &u, NULL, &p);
	CHECK_INT(u, D(2025, 3, 20), "loss of eligibility ends the card the day before");
	mh_card_accepted(&nhi, &m, D(2025, 8, 1), &b, NULL, &p);
	CHECK(!b, "not accepted once eligibility is lost");

	m = member(MH_CAT_KYOKAI_KENPO);
	m.card_issued_on = D(2024, 12, 2);
	mh_card_usable_until(&r, &m, &u, NULL, &p);
	CHECK_INT(u, MH_DAY_MIN, "a card issued after 2024-12-01 is never valid");

	m = member(MH_CAT_KYOKAI_KENPO);
	m.lost_on = D(2019, 1, 1);
	CHECK_INT(mh_card_valid(&r, &m, D(2025, 1, 1), &b, NULL, &p), MH_ERR_LOST_BEFORE_ACQUIRED, "lost before acquired");
	m = member(MH_CAT_KYOKAI_KENPO);
	m.card_expires_on = D(2020, 3, 31);
	CHECK_INT(mh_card_valid(&r, &m, D(2025, 1, 1), &b, NULL, &p), MH_ERR_EXPIRES_BEFORE_ISSUED, "expires before issued");

	m = member(MH_CAT_KYOKAI_KENPO);
	r.present &= ~(1u << MH_P_CARD_TRANSITION_END);
	CHECK_INT(mh_card_valid(&r, &m, D(2025, 1, 1), &b, NULL, &p), MH_ERR_MISSING_PARAMETER, "missing parameter is an error");
	CHECK_INT(p, MH_P_CARD_TRANSITION_END, "... naming card_transition_end");
}

static void
test_documents(void)
{
	MhRules		r = rules_for(MH_CAT_KYOKAI_KENPO);
	MhMember	m = member(MH_CAT_KYOKAI_KENPO);
	MhParam		p;
	uint32_t	u,
				a;

	mh_documents(&r, &m, D(2025, 6, 1), true, &u, &a, NULL, &p);
	CHECK_INT(u, (1u << MH_DOC_MYNA_HOKENSHO) | (1u << MH_DOC_LEGACY_CARD), "online: マイナ保険証 and card");
	CHECK_INT(a, u, "nothing more accepted before the end of the 経過措置");
	mh_documents(&r, &m, D(2025, 6, 1), false, &u, &a, NULL, &p);
	CHECK_INT(u, (1u << MH_DOC_MYNA_WITH_NOTICE) | (1u << MH_DOC_MYNA_WITH_PORTAL_SCREEN) |
			  (1u << MH_DOC_MYNA_WITH_PORTAL_PDF) | (1u << MH_DOC_LEGACY_CARD),
			  "offline: マイナ保険証 with a companion, and card");
	mh_documents(&r, &m, D(2026, 1, 15), true, &u, &a, NULL, &p);
	CHECK_INT(u, 1u << MH_DOC_MYNA_HOKENSHO, "2026-01-15: only the マイナ保険証 is legal");
	CHECK_INT(a, (1u << MH_DOC_MYNA_HOKENSHO) | (1u << MH_DOC_EXPIRED_LEGACY_CARD) |
			  (1u << MH_DOC_NOTICE_ALONE), "... the card and お知らせ are accepted");
	mh_documents(&r, &m, D(2026, 1, 15), false, &u, &a, NULL, &p);
	CHECK(!(a & (1u << MH_DOC_EXPIRED_LEGACY_CARD)), "no temporary acceptance without an online check");

	m.my_number_linked = false;
	m.certificate_valid_until = D(2029, 11, 30);
	mh_documents(&r, &m, D(2026, 4, 1), true, &u, &a, NULL, &p);
	CHECK_INT(u, 1u << MH_DOC_CERTIFICATE, "no My Number: 資格確認書 only");
	mh_documents(&r, &m, D(2029, 12, 1), true, &u, &a, NULL, &p);
	CHECK_INT(u, 0, "資格確認書 past its validity: nothing");

	m = member(MH_CAT_KYOKAI_KENPO);
	m.myna_withdrawn_on = D(2024, 11, 1);
	mh_documents(&r, &m, D(2025, 6, 1), true, &u, &a, NULL, &p);
	CHECK_INT(u, 1u << MH_DOC_LEGACY_CARD, "withdrawn registration: no マイナ保険証");
	m.myna_registered_on = D(2025, 2, 1);
	mh_documents(&r, &m, D(2025, 6, 1), true, &u, &a, NULL, &p);
	CHECK(u & (1u << MH_DOC_MYNA_HOKENSHO), "registered again after withdrawing: マイナ保険証 works");

	m = member(MH_CAT_KYOKAI_KENPO);
	mh_documents(&r, &m, D(2019, 1, 1), true, &u, &a, NULL, &p);
	CHECK_INT(a, 0, "before acquisition: nothing");
}

static void
test_need(void)
{
	MhRules		r = rules_for(MH_CAT_KYOKAI_KENPO);
	MhRules		late = rules_for(MH_CAT_LATE_ELDERLY);
	MhMember	m = member(MH_CAT_KYOKAI_KENPO);
	MhParam		p;
	MhNeed		n;

	CHECK_INT(mh_certificate_need(&r, &m, D(2024, 12, 1), &n, NULL, &p), MH_ERR_BEFORE_CERTIFICATES, "no 資格確認書 before 2024-12-02");
	mh_certificate_need(&r, &m, D(2026, 1, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NOT_NEEDED, "registered member: not needed");
	m.ecert_expires_on = D(2025, 5, 15);
	mh_certificate_need(&r, &m, D(2025, 8, 31), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NOT_NEEDED, "e-cert expired 2025-05-15: fine through 2025-08-31");
	mh_certificate_need(&r, &m, D(2025, 9, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_ECERT_EXPIRED, "... needs one from 2025-09-01");
	mh_rules_memo_day(&r, D(2025, 9, 1));
	mh_certificate_need(&r, &m, D(2025, 9, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_ECERT_EXPIRED, "same answer with the month memo");
	mh_certificate_need(&r, &m, D(2025, 8, 31), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NOT_NEEDED, "the memo is only used for its own day");

	m = member(MH_CAT_KYOKAI_KENPO);
	m.my_number_linked = false;
	mh_certificate_need(&r, &m, D(2026, 1, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NO_MY_NUMBER, "no My Number");
	m = member(MH_CAT_KYOKAI_KENPO);
	m.myna_registered_on = MH_DAY_MAX;
	mh_certificate_need(&r, &m, D(2026, 1, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NOT_REGISTERED, "not registered");
	m.certificate_requested_on = D(2025, 1, 1);
	mh_certificate_need(&r, &m, D(2026, 1, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NOT_REGISTERED, "a structural reason wins over the application");
	m = member(MH_CAT_KYOKAI_KENPO);
	m.certificate_requested_on = D(2025, 1, 1);
	mh_certificate_need(&r, &m, D(2026, 1, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_ON_REQUEST, "on request");

	m = member(MH_CAT_LATE_ELDERLY);
	m.birth_date = D(1941, 8, 1);
	m.acquired_on = D(2016, 8, 1);
	mh_certificate_need(&late, &m, D(2026, 7, 31), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_LATE_ELDERLY_BLANKET, "後期 blanket through 2026-07-31");
	mh_certificate_need(&late, &m, D(2026, 8, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_LATE_ELDERLY_AGE, "後期 85 on 2026-08-01");
	m.birth_date = D(1941, 8, 2);
	mh_certificate_need(&late, &m, D(2026, 8, 1), &n, NULL, &p);
	CHECK_INT(n, MH_NEED_NOT_NEEDED, "後期 84 on 2026-08-01, registered");
	m.birth_date = MH_DAY_MIN;
	CHECK_INT(mh_certificate_need(&late, &m, D(2026, 8, 1), &n, NULL, &p), MH_ERR_NO_BIRTH_DATE, "age rule needs a birth date");
	CHECK_INT(mh_certificate_need(&late, &m, D(2026, 7, 1), &n, NULL, &p), MH_OK, "... but not during the blanket period");
	late.present &= ~(1u << MH_P_LATE_ELDERLY_BLANKET_UNTIL);
	CHECK_INT(mh_certificate_need(&late, &m, D(2026, 7, 1), &n, NULL, &p), MH_ERR_MISSING_PARAMETER, "後期 needs late_elderly_blanket_until");
	CHECK_INT(p, MH_P_LATE_ELDERLY_BLANKET_UNTIL, "... and names it");
	m = member(MH_CAT_KYOKAI_KENPO);
	m.birth_date = D(2021, 1, 1);
	CHECK_INT(mh_certificate_need(&r, &m, D(2026, 1, 1), &n, NULL, &p), MH_ERR_ACQUIRED_BEFORE_BIRTH, "acquired before birth");
}

static void
test_deadlines(void)
{
	MhRules		r = rules_for(MH_CAT_KYOKAI_KENPO);
	MhRules		nhi = rules_for(MH_CAT_MUNICIPAL_NHI);
	MhMember	m = member(MH_CAT_KYOKAI_KENPO);
	MhParam		p;
	mh_day		u,
				f,
				t;

	mh_certificate_valid_until(&nhi, D(2025, 8, 1), &u, NULL, &p);
	CHECK_INT(u, D(2026, 7, 31), "国保 issued 8/1: to next 7/31");
	mh_certificate_valid_until(&nhi, D(2025, 6, 30), &u, NULL, &p);
	CHECK_INT(u, D(2025, 7, 31), "国保 issued 6/30: to 7/31, a month later");
	mh_certificate_valid_until(&r, D(2025, 8, 1), &u, NULL, &p);
	CHECK_INT(u, D(2029, 11, 30), "協会 issued 2025-08-01: 2029-11-30");
	nhi.v[MH_P_CERTIFICATE_TERM_MONTHS].a = 60;
	nhi.v[MH_P_CERTIFICATE_RENEWAL_MONTH].a = 8;
	mh_certificate_valid_until(&nhi, D(2025, 8, 1), &u, NULL, &p);
	CHECK_INT(u, D(2030, 7, 31), "capped at 60 months");
	nhi.v[MH_P_CERTIFICATE_TERM_MONTHS].a = 61;
	CHECK_INT(mh_certificate_valid_until(&nhi, D(2025, 8, 1), &u, NULL, &p), MH_ERR_BAD_PARAMETER, "a term above the legal maximum is refused");
	CHECK_INT(p, MH_P_CERTIFICATE_TERM_MONTHS, "... naming the term");
	nhi.v[MH_P_CERTIFICATE_TERM_MONTHS].a = 12;
	nhi.v[MH_P_CERTIFICATE_RENEWAL_MONTH].a = 0;
	mh_certificate_valid_until(&nhi, D(2025, 1, 31), &u, NULL, &p);
	CHECK_INT(u, D(2026, 1, 30), "no renewal month: a plain 12-month term");

	mh_acquisition_report_due(&r, D(2025, 4, 1), &u, NULL, &p);
	CHECK_INT(u, D(2025, 4, 6), "first day not counted: +5");
	r.v[MH_P_ACQUISITION_REPORT_FIRST_DAY_COUNTS].a = 1;
	mh_acquisition_report_due(&r, D(2025, 4, 1), &u, NULL, &p);
	CHECK_INT(u, D(2025, 4, 5), "first day counted: +4");

	r = rules_for(MH_CAT_KYOKAI_KENPO);
	m.acquired_on = D(2024, 6, 9);
	mh_notice_window(&r, &m, &f, &t, NULL, &p);
	CHECK(f == D(2024, 9, 9) && t == D(2024, 9, 30), "acquired 2024-06-09: first round");
	m.acquired_on = D(2024, 11, 29);
	mh_notice_window(&r, &m, &f, &t, NULL, &p);
	CHECK(f == D(2025, 1, 22) && t == D(2025, 2, 3), "acquired 2024-11-29: second round");
	m.acquired_on = D(2024, 11, 30);
	CHECK_INT(mh_notice_window(&r, &m, &f, &t, NULL, &p), MH_ERR_NO_NOTICE_WINDOW, "acquired 2024-11-30: no window");
	m.acquired_on = D(2025, 4, 1);
	mh_notice_window(&r, &m, &f, &t, NULL, &p);
	CHECK(f == D(2025, 4, 1) && t == D(2025, 4, 15), "acquired 2025-04-01: within 14 days");
	nhi = rules_for(MH_CAT_MUNICIPAL_NHI);
	m.acquired_on = D(2020, 4, 1);
	CHECK_INT(mh_notice_window(&nhi, &m, &f, &t, NULL, &p), MH_ERR_MISSING_PARAMETER, "国保 rounds are not in the calendar");

	mh_myna_usable_until(&r, D(2025, 5, 15), &u, NULL, &p);
	CHECK_INT(u, D(2025, 8, 31), "grace end");
	mh_myna_usable_until(&r, MH_DAY_MAX, &u, NULL, &p);
	CHECK_INT(u, MH_DAY_MAX, "no e-cert recorded: no end");
}

static void
test_names(void)
{
	int			i,
				j,
				dup = 0;

	for (i = 0; i < MH_P_COUNT; i++)
		for (j = i + 1; j < MH_P_COUNT; j++)
			if (strcmp(mh_param_names[i], mh_param_names[j]) == 0)
				dup++;
	CHECK_INT(dup, 0, "parameter names are unique");
	CHECK_STR(mh_param_names[MH_P_NOTICE_ON_ACQUISITION_DAYS], "notice_on_acquisition_days", "last parameter name");
	CHECK_STR(mh_rule_names[MH_R_NOTICE_ON_ACQUISITION], "notice_on_acquisition", "last rule name");
	CHECK(mh_rule_texts[MH_R_COUNT - 1] != NULL, "every rule has a text");
	CHECK_STR(mh_category_names[MH_CAT_NHI_SOCIETY], "nhi_society", "last category name");
	CHECK(MH_P_COUNT <= 32, "parameters fit a 32-bit mask");
}

int
main(void)
{
	test_calendar();
	test_card();
	test_documents();
	test_need();
	test_deadlines();
	test_names();
	UNIT_DONE();
}
