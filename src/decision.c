/*
 * decision.c: fmgr wrappers of the transition-period decisions.
 *
 * Each SQL decision function takes the insurer's own columns and reads the
 * legal parameters of its category from the calendar cache of its call site
 * (decision_calendar.c), or, for the *_by_rules variants, from a
 * transition_rules argument.  The rules are in src/core/transition.c; this
 * file maps arguments, NULLs and status codes, and raises the errors.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/rangetypes.h"

#include "decision_internal.h"
#include "mynahoken.h"
#include "transition.h"

/*
 * A computed day as a date PostgreSQL can read back: the infinities stay
 * infinities (MH_DAY_MIN/MAX are DATEVAL_NOBEGIN/NOEND), a day outside
 * 4714-11-24 BC .. 5874897-12-31 is 22008, never a value whose text form
 * does not parse (it would not survive a dump and restore).  The day is a
 * member's date plus a period: it is not quoted.
 */
DateADT
result_day(mh_day day)
{
	if (day == MH_DAY_MIN || day == MH_DAY_MAX || IS_VALID_DATE((DateADT) day))
		return (DateADT) day;
	mh_sensitive_ereport(ERROR,
						 (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						  errmsg("computed date is out of range"),
						  errdetail("The result is outside the dates PostgreSQL can store "
									"(4714-11-24 BC to 5874897-12-31).")));
	return 0;					/* not reached */
}

/* ---------------------------------------------------------------------
 * Arguments and errors
 */

static mh_day
arg_day(FunctionCallInfo fcinfo, int n, mh_day if_null)
{
	return PG_ARGISNULL(n) ? if_null : (mh_day) PG_GETARG_DATEADT(n);
}

/* A day that must be a real day: infinity is refused. */
static mh_day
arg_finite_day(FunctionCallInfo fcinfo, int n, const char *what)
{
	DateADT		d = PG_GETARG_DATEADT(n);

	if (DATE_NOT_FINITE(d))
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							  errmsg("%s must be a finite date", what)));
	return (mh_day) d;
}

static MhRules *rules_from_arg(Call *call, FunctionCallInfo fcinfo);

void
call_init(Call *call, FunctionCallInfo fcinfo, int known_arg, mh_day day)
{
	memset(&call->m, 0, sizeof(MhMember));
	call->day = day;
	if (call->by_rules)
	{
		MhRules    *r;

		call->c = get_cache(fcinfo, -1);
		r = rules_from_arg(call, fcinfo);
		if (!r->memo_set || r->memo_day != day)
			mh_rules_memo_day(r, day);
		call->res = NULL;
		call->rules = r;
	}
	else
	{
		call->c = get_cache(fcinfo, known_arg);
		call->cat = category_index(call->c, PG_GETARG_OID(0));
		call->res = rules_for(call->c, call->cat, day);
		call->rules = &call->res->rules;
	}
	call->m.category = (MhCategory) call->cat;
	call->m.birth_date = MH_DAY_MIN;
	call->m.acquired_on = MH_DAY_MIN;
	call->m.lost_on = MH_DAY_MAX;
	call->m.card_issued_on = MH_DAY_MAX;
	call->m.card_expires_on = MH_DAY_MAX;
	call->m.myna_registered_on = MH_DAY_MAX;
	call->m.myna_withdrawn_on = MH_DAY_MAX;
	call->m.ecert_expires_on = MH_DAY_MAX;
	call->m.certificate_valid_until = MH_DAY_MIN;
	call->m.certificate_requested_on = MH_DAY_MAX;
	call->online = true;
}

/* Number of attributes of mynahoken.transition_rules: category, day, parameters. */
#define RULES_NATTS (2 + MH_P_COUNT)

/*
 * The parameters in a mynahoken.transition_rules argument (arg 0).  The
 * argument usually comes from a join on the category with a handful of rows,
 * so the decoded rules are kept per distinct datum (one per category) and
 * found again by comparing bytes.
 */
static MhRules *
rules_from_arg(Call *call, FunctionCallInfo fcinfo)
{
	DecisionCache *c = call->c;
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(0);
	Size		len = HeapTupleHeaderGetDatumLength(th);
	TupleDesc	td;
	HeapTupleData tuple;
	Datum		values[RULES_NATTS];
	bool		nulls[RULES_NATTS];
	TypeCacheEntry *rtc = NULL;
	int			i;
	int			cat;
	MhRules    *r;

	for (i = 0; i < MH_CAT_COUNT; i++)
		if (c->given[i].len == len && memcmp(c->given[i].bytes, th, len) == 0)
		{
			call->cat = i;
			return &c->given[i].rules;
		}

	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
	if (td->natts != RULES_NATTS)
		mh_elog(ERROR, "mynahoken.transition_rules has %d attributes, the library expects %d",
			    td->natts, RULES_NATTS);
	for (i = 0; i < MH_P_COUNT; i++)
		if (strcmp(NameStr(TupleDescAttr(td, 2 + i)->attname), mh_param_names[i]) != 0)
			mh_elog(ERROR, "attribute %d of mynahoken.transition_rules is \"%s\", the library expects \"%s\"",
				    3 + i, NameStr(TupleDescAttr(td, 2 + i)->attname), mh_param_names[i]);
	tuple.t_len = len;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, td, values, nulls);
	ReleaseTupleDesc(td);

	if (nulls[0])
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							  errmsg("transition rules without an insurer category")));
	cat = category_index(c, DatumGetObjectId(values[0]));
	call->cat = cat;
	r = &c->given[cat].rules;
	memset(r, 0, sizeof(MhRules));
	for (i = 0; i < MH_P_COUNT; i++)
	{
		Datum		v = values[2 + i];

		if (nulls[2 + i])
			continue;
		r->present |= (uint32_t) 1 << i;
		switch (mh_param_types[i])
		{
			case MH_VT_DATE:
				r->v[i].a = (int32_t) DatumGetDateADT(v);
				break;
			case MH_VT_INT:
				r->v[i].a = DatumGetInt32(v);
				break;
			case MH_VT_BOOL:
				r->v[i].a = DatumGetBool(v) ? 1 : 0;
				break;
			case MH_VT_RANGE:
				{
					RangeBound	lo,
								up;
					bool		empty;

					if (rtc == NULL)
						rtc = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
					range_deserialize(rtc, DatumGetRangeTypeP(v), &lo, &up, &empty);
					if (empty)
					{
						r->v[i].a = 1;
						r->v[i].b = 0;
						break;
					}
					/* a daterange is canonical: [lower, upper) */
					r->v[i].a = lo.infinite ? MH_DAY_MIN : (int32_t) DatumGetDateADT(lo.val);
					r->v[i].b = up.infinite ? MH_DAY_MAX : (int32_t) DatumGetDateADT(up.val) - 1;
					break;
				}
		}
	}
	if (c->given[cat].bytes != NULL)
		pfree(c->given[cat].bytes);
	c->given[cat].bytes = MemoryContextAlloc(c->mcxt, len);
	memcpy(c->given[cat].bytes, th, len);
	c->given[cat].len = len;
	return r;
}

/*
 * Messages name the rule and the legal parameter, never a day or a fact the
 * caller passed: those are a member's data (birth date, 資格取得日, ...).
 */
void
report_error(const Call *call, MhStatus st, MhParam param)
{
	const char *cat = mh_category_names[call->cat];

	switch (st)
	{
		case MH_OK:
			return;
		case MH_ERR_MISSING_PARAMETER:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_NO_DATA_FOUND),
								  errmsg("no value for legal parameter \"%s\" on the given day",
										 mh_param_names[param]),
								  errdetail("Insurer category: %s. Knowledge: %s.",
										    cat, fmt_knowledge(call->c, true)),
								  errhint("Record a value with mynahoken.record_legal_parameter().")));
			break;
		case MH_ERR_BAD_PARAMETER:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("legal parameter \"%s\" is out of range on the given day",
										 mh_param_names[param]),
								  errdetail("Insurer category: %s. Value: %d. Knowledge: %s.",
										    cat, call->rules->v[param].a, fmt_knowledge(call->c, true)),
								  param == MH_P_CERTIFICATE_TERM_MONTHS ?
								  errhint("The insurer's term must be between 0 and certificate_max_months.") : 0));
			break;
		case MH_ERR_LOST_BEFORE_ACQUIRED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("eligibility lost before it was acquired"),
								  errdetail("The 資格喪失日 is before the 資格取得日.")));
			break;
		case MH_ERR_EXPIRES_BEFORE_ISSUED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("health insurance card expires before it was issued"),
								  errdetail("The 有効期限 is before the 交付日.")));
			break;
		case MH_ERR_ACQUIRED_BEFORE_BIRTH:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("eligibility acquired before birth"),
								  errdetail("The 資格取得日 is before the birth date.")));
			break;
		case MH_ERR_NO_BIRTH_DATE:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
								  errmsg("birth date is needed for the 後期高齢者 age rule")));
			break;
		case MH_ERR_BEFORE_CERTIFICATES:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("no 資格確認書 exists on the given day"),
								  errdetail("資格確認書 exist from %s (legal parameter \"certificate_from\").",
										    fmt_day(call->rules->v[MH_P_CERTIFICATE_FROM].a))));
			break;
		case MH_ERR_NO_NOTICE_WINDOW:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_NO_DATA_FOUND),
								  errmsg("no 資格情報のお知らせ sending window for the member's 資格取得日"),
								  errdetail("Insurer category: %s. Knowledge: %s.",
										    cat, fmt_knowledge(call->c, true))));
			break;
	}
}

/* Card arguments: category, day, acquired_on, lost_on, issued_on, expires_on, known_on. */
bool
card_args(Call *call, FunctionCallInfo fcinfo)
{
	mh_day		day;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return false;
	day = arg_finite_day(fcinfo, 1, "day");
	call_init(call, fcinfo, 6, day);
	call->m.acquired_on = arg_finite_day(fcinfo, 2, "acquired_on");
	call->m.lost_on = arg_day(fcinfo, 3, MH_DAY_MAX);
	call->m.card_issued_on = arg_day(fcinfo, 4, MH_DAY_MAX);
	call->m.card_expires_on = arg_day(fcinfo, 5, MH_DAY_MAX);
	return true;
}

/*
 * Document arguments: category, day, acquired_on, lost_on, card_issued_on,
 * card_expires_on, my_number_linked, myna_registered_on, myna_withdrawn_on,
 * ecert_expires_on, certificate_valid_until, online_check, known_on.
 */
bool
document_args(Call *call, FunctionCallInfo fcinfo)
{
	mh_day		day;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(11))
		return false;
	day = arg_finite_day(fcinfo, 1, "day");
	call_init(call, fcinfo, 12, day);
	call->m.acquired_on = arg_finite_day(fcinfo, 2, "acquired_on");
	call->m.lost_on = arg_day(fcinfo, 3, MH_DAY_MAX);
	call->m.card_issued_on = arg_day(fcinfo, 4, MH_DAY_MAX);
	call->m.card_expires_on = arg_day(fcinfo, 5, MH_DAY_MAX);
	call->m.my_number_linked = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	call->m.myna_registered_on = arg_day(fcinfo, 7, MH_DAY_MAX);
	call->m.myna_withdrawn_on = arg_day(fcinfo, 8, MH_DAY_MAX);
	call->m.ecert_expires_on = arg_day(fcinfo, 9, MH_DAY_MAX);
	call->m.certificate_valid_until = arg_day(fcinfo, 10, MH_DAY_MIN);
	call->online = PG_GETARG_BOOL(11);
	return true;
}

/*
 * Need arguments: category, day, birth_date, acquired_on, lost_on,
 * my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on,
 * certificate_requested_on, known_on.
 */
bool
need_args(Call *call, FunctionCallInfo fcinfo)
{
	mh_day		day;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		return false;
	day = arg_finite_day(fcinfo, 1, "day");
	call_init(call, fcinfo, 10, day);
	call->m.birth_date = PG_ARGISNULL(2) ? MH_DAY_MIN : arg_finite_day(fcinfo, 2, "birth_date");
	call->m.acquired_on = arg_finite_day(fcinfo, 3, "acquired_on");
	call->m.lost_on = arg_day(fcinfo, 4, MH_DAY_MAX);
	call->m.my_number_linked = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
	call->m.myna_registered_on = arg_day(fcinfo, 6, MH_DAY_MAX);
	call->m.myna_withdrawn_on = arg_day(fcinfo, 7, MH_DAY_MAX);
	call->m.ecert_expires_on = arg_day(fcinfo, 8, MH_DAY_MAX);
	call->m.certificate_requested_on = arg_day(fcinfo, 9, MH_DAY_MAX);
	return true;
}

/* Arguments (category, one day, known_on) of the per-event decisions. */
bool
event_args(Call *call, FunctionCallInfo fcinfo, const char *what)
{
	mh_day		day;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return false;
	day = arg_finite_day(fcinfo, 1, what);
	call_init(call, fcinfo, 2, day);
	call->m.acquired_on = day;
	return true;
}

/* A document mask as a mynahoken.document[]; the arrays are built once per mask. */
Datum
documents_datum(DecisionCache *c, uint32 mask)
{
	ArrayType  *a = c->doc_arrays[mask];

	if (a == NULL)
	{
		Datum		elems[MH_DOC_COUNT];
		int			n = 0;
		int			i;
		MemoryContext old = MemoryContextSwitchTo(c->mcxt);

		for (i = 0; i < MH_DOC_COUNT; i++)
			if (mask & (1u << i))
				elems[n++] = ObjectIdGetDatum(c->document_oid[i]);
		a = construct_array(elems, n, c->document_type, sizeof(Oid), true, TYPALIGN_INT);
		MemoryContextSwitchTo(old);
		c->doc_arrays[mask] = a;
	}
	/*
	 * The array lives as long as the call site and is never changed; a
	 * flat (not expanded) datum is read-only to the executor, which copies
	 * it when it must outlive the row.
	 */
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ---------------------------------------------------------------------
 * SQL functions
 */

/*
 * Each decision has two entry points over one implementation: the STABLE
 * one reads the rules of the category from the calendar, the IMMUTABLE
 * *_by_rules one takes them as a transition_rules value.
 */
#define DECISION_ENTRY_POINTS(name) \
PG_FUNCTION_INFO_V1(mynahoken_##name); \
Datum \
mynahoken_##name(PG_FUNCTION_ARGS) \
{ \
	return name##_impl(fcinfo, false); \
} \
PG_FUNCTION_INFO_V1(mynahoken_##name##_by_rules); \
Datum \
mynahoken_##name##_by_rules(PG_FUNCTION_ARGS) \
{ \
	return name##_impl(fcinfo, true); \
}

static Datum
legacy_card_usable_until_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	mh_day		until;

	/* (category, issued_on, expires_on, lost_on, known_on) */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	call_init(&call, fcinfo, 4, arg_finite_day(fcinfo, 1, "issued_on"));
	call.m.card_issued_on = call.day;
	call.m.acquired_on = MH_DAY_MIN;
	call.m.card_expires_on = arg_day(fcinfo, 2, MH_DAY_MAX);
	call.m.lost_on = arg_day(fcinfo, 3, MH_DAY_MAX);
	report(&call, mh_card_usable_until(call.rules, &call.m, &until, NULL, &param), param);
	if (until == MH_DAY_MIN)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(result_day(until));
}

DECISION_ENTRY_POINTS(legacy_card_usable_until)

static Datum
legacy_card_valid_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	bool		valid;

	if (!card_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_card_valid(call.rules, &call.m, call.day, &valid, NULL, &param), param);
	PG_RETURN_BOOL(valid);
}

DECISION_ENTRY_POINTS(legacy_card_valid)

static Datum
legacy_card_accepted_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	bool		accepted;

	if (!card_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_card_accepted(call.rules, &call.m, call.day, &accepted, NULL, &param), param);
	PG_RETURN_BOOL(accepted);
}

DECISION_ENTRY_POINTS(legacy_card_accepted)

static Datum
myna_usable_until_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	mh_day		until;

	/* (category, ecert_expires_on, known_on) */
	if (!event_args(&call, fcinfo, "ecert_expires_on"))
		PG_RETURN_NULL();
	report(&call, mh_myna_usable_until(call.rules, call.day, &until, NULL, &param), param);
	PG_RETURN_DATEADT(result_day(until));
}

DECISION_ENTRY_POINTS(myna_usable_until)

/* usable_documents and accepted_documents: one computation, two answers */
static Datum
documents_impl(FunctionCallInfo fcinfo, bool by_rules, bool accepted_ones)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	uint32_t	usable,
				accepted;

	if (!document_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_documents(call.rules, &call.m, call.day, call.online,
							   &usable, &accepted, NULL, &param), param);
	return documents_datum(call.c, accepted_ones ? accepted : usable);
}

static Datum
usable_documents_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	return documents_impl(fcinfo, by_rules, false);
}

DECISION_ENTRY_POINTS(usable_documents)

static Datum
accepted_documents_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	return documents_impl(fcinfo, by_rules, true);
}

DECISION_ENTRY_POINTS(accepted_documents)

static Datum
certificate_need_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	MhNeed		need;

	if (!need_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_certificate_need(call.rules, &call.m, call.day, &need, NULL, &param), param);
	PG_RETURN_OID(call.c->reason_oid[need]);
}

DECISION_ENTRY_POINTS(certificate_need)

static Datum
certificate_valid_until_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	mh_day		until;

	if (!event_args(&call, fcinfo, "issued_on"))
		PG_RETURN_NULL();
	report(&call, mh_certificate_valid_until(call.rules, call.day, &until, NULL, &param), param);
	PG_RETURN_DATEADT(result_day(until));
}

DECISION_ENTRY_POINTS(certificate_valid_until)

static Datum
acquisition_report_due_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	mh_day		due;

	if (!event_args(&call, fcinfo, "acquired_on"))
		PG_RETURN_NULL();
	report(&call, mh_acquisition_report_due(call.rules, call.day, &due, NULL, &param), param);
	PG_RETURN_DATEADT(result_day(due));
}

DECISION_ENTRY_POINTS(acquisition_report_due)

/* An inclusive [from, to] as a canonical daterange [from, to + 1). */
static Datum
make_daterange(mh_day from, mh_day to)
{
	TypeCacheEntry *typcache = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
	RangeBound	lower,
				upper;

	if (from > to)
		return RangeTypePGetDatum(make_empty_range(typcache));
	lower.val = DateADTGetDatum(result_day(from));
	lower.infinite = from == MH_DAY_MIN;
	lower.inclusive = true;
	lower.lower = true;
	upper.val = DateADTGetDatum(result_day(to));
	upper.infinite = to == MH_DAY_MAX;
	upper.inclusive = true;
	upper.lower = false;
#if PG_VERSION_NUM >= 160000
	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, false, NULL));
#else
	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, false));
#endif
}

static Datum
notice_sending_window_impl(FunctionCallInfo fcinfo, bool by_rules)
{
	Call		call = {.by_rules = by_rules};
	MhParam		param = 0;

	mh_day		from,
				to;

	if (!event_args(&call, fcinfo, "acquired_on"))
		PG_RETURN_NULL();
	report(&call, mh_notice_window(call.rules, &call.m, &from, &to, NULL, &param), param);
	return make_daterange(from, to);
}

DECISION_ENTRY_POINTS(notice_sending_window)

/* A mynahoken.transition_rules value: category, day and the parameters. */
static Datum
rules_tuple(FunctionCallInfo fcinfo, Datum category, mh_day day, const MhRules *rules)
{
	TupleDesc	td;
	Datum		values[RULES_NATTS];
	bool		nulls[RULES_NATTS];
	int			i;

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		mh_elog(ERROR, "mynahoken.transition_rules must return a composite");
	td = BlessTupleDesc(td);
	if (td->natts != RULES_NATTS)
		mh_elog(ERROR, "mynahoken.transition_rules has %d attributes, the library expects %d",
				td->natts, RULES_NATTS);
	values[0] = category;
	nulls[0] = false;
	values[1] = DateADTGetDatum((DateADT) day);
	nulls[1] = false;
	for (i = 0; i < MH_P_COUNT; i++)
	{
		const MhValue *v = &rules->v[i];

		nulls[2 + i] = !(rules->present & ((uint32_t) 1 << i));
		if (nulls[2 + i])
		{
			values[2 + i] = (Datum) 0;
			continue;
		}
		switch (mh_param_types[i])
		{
			case MH_VT_DATE:
				values[2 + i] = DateADTGetDatum((DateADT) v->a);
				break;
			case MH_VT_INT:
				values[2 + i] = Int32GetDatum(v->a);
				break;
			case MH_VT_BOOL:
				values[2 + i] = BoolGetDatum(v->a != 0);
				break;
			case MH_VT_RANGE:
				values[2 + i] = make_daterange(v->a, v->b);
				break;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

PG_FUNCTION_INFO_V1(mynahoken_transition_rules);
Datum
mynahoken_transition_rules(PG_FUNCTION_ARGS)
{
	Call		call = {0};

	/* (category, day, known_on) */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	call_init(&call, fcinfo, 2, arg_finite_day(fcinfo, 1, "day"));
	return rules_tuple(fcinfo, PG_GETARG_DATUM(0), call.day, call.rules);
}

/*
 * The parameters of one insurer (保険者番号) on a day: of the rows for every
 * category, for the insurer's category and for the insurer that hold the day
 * (at most one per scope as known on one day), the one recorded later, the
 * narrower on the same knowledge day; a row marked keep_own keeps the
 * broader scopes out (as legal_entry_for_insurer in SQL).  Not cached per
 * row: a query joins it once per insurer.
 */
PG_FUNCTION_INFO_V1(mynahoken_transition_rules_for_insurer);
Datum
mynahoken_transition_rules_for_insurer(PG_FUNCTION_ARGS)
{
	DecisionCache *c;
	MhRules		rules;
	int			best[MH_P_COUNT][3];
	int32		insurer;
	mh_day		day;
	int			cat;
	int			i;
	int			p;

	/* (insurer, day, known_on) */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	day = arg_finite_day(fcinfo, 1, "day");
	c = get_cache(fcinfo, 2);
	insurer = PG_GETARG_INT32(0);
	cat = mynahoken_insurer_category_index(insurer);
	if (cat < 0 || cat >= MH_CAT_COUNT)
		mh_elog(ERROR, "insurer number of unknown category %d", cat);

	for (p = 0; p < MH_P_COUNT; p++)
		best[p][0] = best[p][1] = best[p][2] = -1;
	for (i = 0; i < c->nrows; i++)
	{
		const CalRow *r = &c->rows[i];
		int			level;

		CHECK_FOR_INTERRUPTS();

		if (day < r->lo || day > r->hi)
			continue;
		if (r->scope == -1)
			level = 0;
		else if (r->scope != cat)
			continue;
		else if (!r->has_insurer)
			level = 1;
		else if (r->insurer != insurer)
			continue;
		else
			level = 2;
		best[r->param][level] = i;
	}

	memset(&rules, 0, sizeof(MhRules));
	for (p = 0; p < MH_P_COUNT; p++)
	{
		int			floor = 0;
		int			win = -1;
		int			level;

		for (level = 1; level < 3; level++)
			if (best[p][level] >= 0 && c->rows[best[p][level]].keep_own)
				floor = level;
		for (level = floor; level < 3; level++)
		{
			int			k = best[p][level];

			if (k >= 0 && (win < 0 || c->rows[k].recorded_on >= c->rows[win].recorded_on))
				win = k;
		}
		if (win >= 0)
		{
			rules.present |= (uint32_t) 1 << p;
			rules.v[p] = c->rows[win].value;
		}
	}
	mh_rules_memo_day(&rules, day);
	return rules_tuple(fcinfo, ObjectIdGetDatum(c->category_oid[cat]), day, &rules);
}
