/*
 * transition.h: date rules of the マイナ保険証 transition, in plain C.
 *
 * Days are int32 counts of days since 2000-01-01, the representation of
 * PostgreSQL's date type, with INT32_MIN and INT32_MAX standing for -infinity
 * and +infinity ("never").  Every legal parameter a rule needs is passed in
 * MhRules, resolved by the caller from the legal calendar for one insurer
 * category, one decision day and one knowledge day.  A rule that needs a
 * parameter the caller could not resolve returns MH_ERR_MISSING_PARAMETER
 * and names it: nothing here invents a value.
 *
 * No allocation, no server calls, no globals besides constant tables.
 */
#ifndef MYNAHOKEN_TRANSITION_H
#define MYNAHOKEN_TRANSITION_H

#include <stdbool.h>
#include <stdint.h>

#include "category.h"

typedef int32_t mh_day;

#define MH_DAY_MIN	INT32_MIN		/* -infinity; "never" for a past event */
#define MH_DAY_MAX	INT32_MAX		/* +infinity; "never" for a future event */

/* Calendar arithmetic (proleptic Gregorian). */
extern bool mh_ymd_valid(int y, int m, int d);
extern mh_day mh_day_from_ymd(int y, int m, int d);
extern void mh_ymd_from_day(mh_day day, int *y, int *m, int *d);
/* day + n months, clamped to the end of a shorter month (as date + interval) */
extern mh_day mh_add_months(mh_day day, int months);
/* last day of the month that is n months after the month of day */
extern mh_day mh_month_end(mh_day day, int months_after);
/* months since year 0: y * 12 + (m - 1) */
extern int64_t mh_month_index(mh_day day);
/* completed years of age on day for someone born on birth */
extern int	mh_age_on(mh_day birth, mh_day day);

/* Legal parameters, named as in mynahoken.legal_parameter_def. */
typedef enum MhParam
{
	MH_P_CARD_ISSUE_END,
	MH_P_CARD_TRANSITION_END,
	MH_P_EXPIRED_CARD_ACCEPTANCE,
	MH_P_ECERT_GRACE_MONTHS,
	MH_P_NOTICE_WITH_MYNA_FROM,
	MH_P_PORTAL_SCREEN_WITH_MYNA_FROM,
	MH_P_PORTAL_PDF_WITH_MYNA_FROM,
	MH_P_CERTIFICATE_FROM,
	MH_P_CERTIFICATE_MAX_MONTHS,
	MH_P_CERTIFICATE_TERM_MONTHS,
	MH_P_CERTIFICATE_RENEWAL_MONTH,
	MH_P_LATE_ELDERLY_BLANKET_UNTIL,
	MH_P_LATE_ELDERLY_AGE_RULE_FROM,
	MH_P_LATE_ELDERLY_AGE_THRESHOLD,
	MH_P_ACQUISITION_REPORT_DAYS,
	MH_P_ACQUISITION_REPORT_FIRST_DAY_COUNTS,
	MH_P_NOTICE_ROUND1_WINDOW,
	MH_P_NOTICE_ROUND2_WINDOW,
	MH_P_NOTICE_ROUND2_ACQUIRED,
	MH_P_NOTICE_ON_ACQUISITION_FROM,
	MH_P_NOTICE_ON_ACQUISITION_DAYS,
	MH_P_COUNT
} MhParam;

typedef enum MhValueType
{
	MH_VT_DATE,
	MH_VT_INT,
	MH_VT_BOOL,
	MH_VT_RANGE
} MhValueType;

extern const char *const mh_param_names[MH_P_COUNT];
extern const MhValueType mh_param_types[MH_P_COUNT];

/* A value: a day, an int, a bool (0/1), or an inclusive range [a, b] (a > b: empty). */
typedef struct MhValue
{
	int32_t		a;
	int32_t		b;
} MhValue;

typedef struct MhRules
{
	uint32_t	present;		/* bit p set: v[p] was resolved */
	MhValue		v[MH_P_COUNT];
	/*
	 * Optional memo set by mh_rules_memo_day for one decision day: an
	 * e-certificate expiring before memo_ecert_before is past its grace
	 * period of memo_grace months on memo_day.
	 */
	bool		memo_set;
	mh_day		memo_day;
	int			memo_grace;
	mh_day		memo_ecert_before;
} MhRules;

/* Set the memo of r for day (a caller deciding many members on one day). */
extern void mh_rules_memo_day(MhRules *r, mh_day day);

/* What an insurer knows about one member; absent days as documented. */
typedef struct MhMember
{
	MhCategory	category;
	mh_day		birth_date;		/* MH_DAY_MIN: unknown */
	mh_day		acquired_on;	/* 資格取得日 */
	mh_day		lost_on;		/* 資格喪失日 (first day without cover); MAX: holds it */
	mh_day		card_issued_on; /* 健康保険証 交付日; MAX: no card */
	mh_day		card_expires_on;	/* 有効期限 (last valid day); MAX: none printed */
	bool		my_number_linked;	/* the insurer holds the member's My Number */
	mh_day		myna_registered_on; /* 利用登録; MAX: never */
	mh_day		myna_withdrawn_on;	/* 利用登録解除; MAX: never */
	mh_day		ecert_expires_on;	/* 電子証明書 有効期限; MAX: not recorded */
	mh_day		certificate_valid_until;	/* 資格確認書 held, valid through; MIN: none */
	mh_day		certificate_requested_on;	/* 資格確認書 交付申請; MAX: never */
} MhMember;

/* Inputs, for explanations: which member facts a decision looked at. */
enum
{
	MH_IN_CATEGORY = 1 << 0,
	MH_IN_DAY = 1 << 1,
	MH_IN_BIRTH_DATE = 1 << 2,
	MH_IN_ACQUIRED_ON = 1 << 3,
	MH_IN_LOST_ON = 1 << 4,
	MH_IN_CARD_ISSUED_ON = 1 << 5,
	MH_IN_CARD_EXPIRES_ON = 1 << 6,
	MH_IN_MY_NUMBER_LINKED = 1 << 7,
	MH_IN_MYNA_REGISTERED_ON = 1 << 8,
	MH_IN_MYNA_WITHDRAWN_ON = 1 << 9,
	MH_IN_ECERT_EXPIRES_ON = 1 << 10,
	MH_IN_CERTIFICATE_VALID_UNTIL = 1 << 11,
	MH_IN_CERTIFICATE_REQUESTED_ON = 1 << 12,
	MH_IN_ONLINE_CHECK = 1 << 13,
	MH_IN_ISSUED_ON = 1 << 14
};
#define MH_IN_COUNT 15
extern const char *const mh_input_names[MH_IN_COUNT];

/* Rules applied, for explanations. */
typedef enum MhRule
{
	MH_R_NONE,
	MH_R_NOT_ELIGIBLE,
	MH_R_CARD_NONE,
	MH_R_CARD_ISSUED_AFTER_END,
	MH_R_CARD_NOT_YET_ISSUED,
	MH_R_CARD_VALID,
	MH_R_CARD_EXPIRED,
	MH_R_CARD_TRANSITION_ENDED,
	MH_R_CARD_ACCEPTED_TEMPORARILY,
	MH_R_CARD_NOT_ACCEPTED,
	MH_R_MYNA_USABLE,
	MH_R_MYNA_NO_MY_NUMBER,
	MH_R_MYNA_NOT_REGISTERED,
	MH_R_MYNA_WITHDRAWN,
	MH_R_MYNA_ECERT_EXPIRED,
	MH_R_CERTIFICATE_HELD,
	MH_R_CERTIFICATE_NOT_HELD,
	MH_R_NEED_LATE_ELDERLY_BLANKET,
	MH_R_NEED_LATE_ELDERLY_AGE,
	MH_R_NEED_ON_REQUEST,
	MH_R_NEED_NONE,
	MH_R_CERT_TERM,
	MH_R_CERT_RENEWAL_MONTH,
	MH_R_CERT_LEGAL_MAXIMUM,
	MH_R_ECERT_GRACE,
	MH_R_ECERT_NOT_RECORDED,
	MH_R_REPORT_FIRST_DAY_EXCLUDED,
	MH_R_REPORT_FIRST_DAY_COUNTED,
	MH_R_NOTICE_ROUND1,
	MH_R_NOTICE_ROUND2,
	MH_R_NOTICE_ON_ACQUISITION,
	MH_R_COUNT
} MhRule;

extern const char *const mh_rule_names[MH_R_COUNT];
extern const char *const mh_rule_texts[MH_R_COUNT];

#define MH_TRACE_RULES 8
typedef struct MhTrace
{
	int			nrules;
	MhRule		rules[MH_TRACE_RULES];
	uint32_t	params;			/* bit p: parameter p was used */
	uint32_t	inputs;			/* MH_IN_* bits */
} MhTrace;

typedef enum MhStatus
{
	MH_OK = 0,
	MH_ERR_MISSING_PARAMETER,	/* *param names it */
	MH_ERR_BAD_PARAMETER,		/* *param names it: out of its domain */
	MH_ERR_LOST_BEFORE_ACQUIRED,
	MH_ERR_EXPIRES_BEFORE_ISSUED,
	MH_ERR_ACQUIRED_BEFORE_BIRTH,
	MH_ERR_NO_BIRTH_DATE,
	MH_ERR_BEFORE_CERTIFICATES, /* day before 資格確認書 existed */
	MH_ERR_NO_NOTICE_WINDOW
} MhStatus;

/* Documents, in the order of the SQL enum mynahoken.document; bit i of a mask. */
typedef enum MhDocument
{
	MH_DOC_MYNA_HOKENSHO,		/* マイナ保険証 */
	MH_DOC_MYNA_WITH_NOTICE,	/* マイナ保険証 + 資格情報のお知らせ */
	MH_DOC_MYNA_WITH_PORTAL_SCREEN, /* マイナ保険証 + マイナポータル screen */
	MH_DOC_MYNA_WITH_PORTAL_PDF,	/* マイナ保険証 + マイナポータル PDF */
	MH_DOC_LEGACY_CARD,			/* 健康保険証, legally valid */
	MH_DOC_CERTIFICATE,			/* 資格確認書 */
	MH_DOC_EXPIRED_LEGACY_CARD, /* 健康保険証 past validity, accepted by notice */
	MH_DOC_NOTICE_ALONE,		/* 資格情報のお知らせ alone, accepted by notice */
	MH_DOC_COUNT
} MhDocument;

/* 資格確認書 need, in the order of the SQL enum mynahoken.certificate_reason. */
typedef enum MhNeed
{
	MH_NEED_NOT_ELIGIBLE,
	MH_NEED_LATE_ELDERLY_BLANKET,
	MH_NEED_LATE_ELDERLY_AGE,
	MH_NEED_NO_MY_NUMBER,
	MH_NEED_NOT_REGISTERED,
	MH_NEED_REGISTRATION_WITHDRAWN,
	MH_NEED_ECERT_EXPIRED,
	MH_NEED_ON_REQUEST,
	MH_NEED_NOT_NEEDED,
	MH_NEED_COUNT
} MhNeed;

/*
 * Decisions.  Each returns MH_OK or an error status; on error *param is set
 * when the status names a parameter.  trace may be NULL.
 */

/* Last day a 健康保険証 is legally valid; MH_DAY_MIN when never. */
extern MhStatus mh_card_usable_until(const MhRules *r, const MhMember *m,
									 mh_day *until, MhTrace *trace, MhParam *param);

/* Legal validity of the 健康保険証 on day, and its rule. */
extern MhStatus mh_card_valid(const MhRules *r, const MhMember *m, mh_day day,
							  bool *valid, MhTrace *trace, MhParam *param);

/* Whether an institution confirming eligibility online may accept it on day. */
extern MhStatus mh_card_accepted(const MhRules *r, const MhMember *m, mh_day day,
								 bool *accepted, MhTrace *trace, MhParam *param);

/* Last day the マイナ保険証 is usable after its e-certificate expiry; MAX if not recorded. */
extern MhStatus mh_myna_usable_until(const MhRules *r, mh_day ecert_expires_on,
									 mh_day *until, MhTrace *trace, MhParam *param);

/*
 * Documents on day: *usable = legally usable ones, *accepted = those an
 * institution may accept (a superset: adds the temporary measures).
 * online_check: the institution has オンライン資格確認 working.
 */
extern MhStatus mh_documents(const MhRules *r, const MhMember *m, mh_day day,
							 bool online_check, uint32_t *usable, uint32_t *accepted,
							 MhTrace *trace, MhParam *param);

/* Whether the member needs a 資格確認書 on day, and why. */
extern MhStatus mh_certificate_need(const MhRules *r, const MhMember *m, mh_day day,
									MhNeed *need, MhTrace *trace, MhParam *param);

/* Last valid day of a 資格確認書 issued on issued_on. */
extern MhStatus mh_certificate_valid_until(const MhRules *r, mh_day issued_on,
										   mh_day *until, MhTrace *trace, MhParam *param);

/* Last day to file the 資格取得届 for an acquisition on acquired_on. */
extern MhStatus mh_acquisition_report_due(const MhRules *r, mh_day acquired_on,
										  mh_day *due, MhTrace *trace, MhParam *param);

/* Window [*from, *to] in which the 資格情報のお知らせ is (was) sent. */
extern MhStatus mh_notice_window(const MhRules *r, const MhMember *m,
								 mh_day *from, mh_day *to, MhTrace *trace, MhParam *param);

#endif
