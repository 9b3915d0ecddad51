/*
 * decision.c: fmgr wrappers of the transition-period decisions.
 *
 * Each SQL decision function takes the insurer's own columns and reads the
 * legal parameters from mynahoken.legal_parameter.  Reading the calendar per
 * row would cost a query per member, so each call site (FmgrInfo) keeps a
 * cache in fn_extra: the calendar rows as known on the requested knowledge
 * day, loaded once per statement through SPI, and, per insurer category, the
 * parameters resolved for the last decision day together with the span of
 * days over which that resolution stays the same.  The cache lives as long
 * as the executor state of one statement, so a change to the calendar is
 * seen by the next statement.
 *
 * The rules are in src/core/transition.c; this file maps arguments, NULLs
 * and status codes.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/rangetypes.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "decision.h"
#include "mynahoken.h"
#include "transition.h"

/* Labels of the SQL enums, in declaration order, checked when loading. */
static const char *const document_names[MH_DOC_COUNT] = {
	"myna_hokensho", "myna_with_notice", "myna_with_portal_screen",
	"myna_with_portal_pdf", "legacy_card", "certificate",
	"expired_legacy_card", "notice_alone"
};
static const char *const reason_names[MH_NEED_COUNT] = {
	"not_eligible", "late_elderly_blanket", "late_elderly_age",
	"no_my_number", "not_registered", "registration_withdrawn",
	"ecert_expired", "on_request", "not_needed"
};

/* One row of the calendar as known on the cache's knowledge day. */
typedef struct CalRow
{
	int64		parameter_id;
	int16		param;			/* MhParam */
	int16		scope;			/* MhCategory, or -1 for every category */
	mh_day		lo;				/* valid from (inclusive) */
	mh_day		hi;				/* valid to (inclusive) */
	mh_day		recorded_on;	/* knowledge day of its entry */
	bool		keep_own;		/* a narrower value kept against later broader ones */
	bool		has_insurer;	/* for one insurer of its category (scope) only */
	int32		insurer;		/* mynahoken.insurer_number, when has_insurer */
	MhValue		value;
} CalRow;

/* Parameters of one category, resolved for the days lo..hi. */
typedef struct Resolved
{
	bool		ok;
	mh_day		lo;
	mh_day		hi;
	MhRules		rules;
	int			row[MH_P_COUNT];	/* index into rows; -1: no value */
} Resolved;

typedef struct DecisionCache
{
	MemoryContext mcxt;			/* fn_mcxt: lives as long as the call site */
	bool		enums_loaded;
	Oid			category_oid[MH_CAT_COUNT];
	Oid			document_type;
	Oid			document_oid[MH_DOC_COUNT];
	Oid			reason_oid[MH_NEED_COUNT];
	Oid			last_cat_oid;
	int			last_cat;

	bool		rows_loaded;
	bool		rule_01;		/* a 0.1 schema: the category's own value wins */
	bool		known_null;		/* knowledge: as currently known */
	DateADT		known_on;
	int			nrows;
	CalRow	   *rows;
	Resolved	resolved[MH_CAT_COUNT];

	ArrayType  *doc_arrays[1 << MH_DOC_COUNT];	/* built on first use */

	/* rules given as a mynahoken.transition_rules argument, one per category */
	struct
	{
		Size		len;		/* 0: empty */
		char	   *bytes;		/* copy of the composite datum */
		MhRules		rules;
	}			given[MH_CAT_COUNT];
} DecisionCache;

/*
 * A computed day as a date PostgreSQL can read back: the infinities stay
 * infinities (MH_DAY_MIN/MAX are DATEVAL_NOBEGIN/NOEND), a day outside
 * 4714-11-24 BC .. 5874897-12-31 is 22008, never a value whose text form
 * does not parse (it would not survive a dump and restore).  The day is a
 * member's date plus a period: it is not quoted.
 */
static DateADT
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
 * Formatting
 */

/* A day as YYYY-MM-DD (ISO, whatever DateStyle says). */
static char *
fmt_day(mh_day day)
{
	int			y,
				m,
				d;

	if (day == MH_DAY_MIN)
		return pstrdup("-infinity");
	if (day == MH_DAY_MAX)
		return pstrdup("infinity");
	mh_ymd_from_day(day, &y, &m, &d);
	return psprintf("%04d-%02d-%02d", y, m, d);
}

/*
 * Which knowledge a decision used: translated for the DETAIL of errors, in
 * English for explanations, which are data.
 */
static char *
fmt_knowledge(DecisionCache *c, bool translate)
{
	if (!c->rows_loaded)
		return pstrdup(mh_tr(translate, "as given in the rules argument"));
	if (c->known_null)
		return pstrdup(mh_tr(translate, "as currently known"));
	return psprintf(mh_tr(translate, "as known on %s"), fmt_day((mh_day) c->known_on));
}

/* ---------------------------------------------------------------------
 * Loading the calendar
 */

static int
param_by_name(const char *name)
{
	int			p;

	for (p = 0; p < MH_P_COUNT; p++)
		if (strcmp(mh_param_names[p], name) == 0)
			return p;
	return -1;
}

static int
category_by_name(const char *name)
{
	int			i;

	for (i = 0; i < MH_CAT_COUNT; i++)
		if (strcmp(mh_category_names[i], name) == 0)
			return i;
	mh_elog(ERROR, "unknown insurer category \"%s\"", name);
	return -1;					/* keep compiler quiet */
}

static mh_day
get_day(HeapTuple tup, TupleDesc td, int col, mh_day if_null)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);

	return isnull ? if_null : (mh_day) DatumGetDateADT(d);
}

/*
 * The calendar as known on a day.  The library also serves a database still
 * at 0.1 until ALTER EXTENSION mynahoken UPDATE: its entries have no
 * keep_own, recorded_on or insurer column in mynahoken.legal_parameter, and the 0.1 rule (the category's own value wins) holds.
 */
static void
load_rows(FunctionCallInfo fcinfo, DecisionCache *c, bool known_null, DateADT known_on)
{
#define LOAD_ROWS_SQL(recorded_keep_insurer) \
		"SELECT p.parameter_id, p.name, p.scope::pg_catalog.text," \
		" pg_catalog.lower(p.valid), pg_catalog.upper(p.valid)," \
		" p.value_type::pg_catalog.text, p.value_date, p.value_int, p.value_bool," \
		" pg_catalog.lower(p.value_range), pg_catalog.upper(p.value_range)," \
		" pg_catalog.isempty(p.value_range), " recorded_keep_insurer \
		" FROM mynahoken.legal_parameter p" \
		" WHERE CASE WHEN $1 IS NULL THEN pg_catalog.upper_inf(p.recorded)" \
		" ELSE p.recorded OPERATOR(pg_catalog.@>) $1 END"
	static const char *const sql = LOAD_ROWS_SQL("p.recorded_on, p.keep_own, p.insurer");
	static const char *const sql_01 = LOAD_ROWS_SQL("NULL::pg_catalog.date, false, NULL::pg_catalog.int4");
	static const char *const has_keep_own =
		"SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute a"
		" WHERE a.attrelid OPERATOR(pg_catalog.=) 'mynahoken.legal_parameter'::pg_catalog.regclass"
		" AND a.attname OPERATOR(pg_catalog.=) 'keep_own' AND NOT a.attisdropped";
	Oid			argtypes[1] = {DATEOID};
	Datum		values[1];
	char		nulls[1];
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
	uint64		i;
	int			n = 0;
	int			k;

	if (SPI_connect() != SPI_OK_CONNECT)
		mh_elog(ERROR, "SPI_connect failed");

	if (SPI_execute(has_keep_own, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		mh_elog(ERROR, "could not read the columns of mynahoken.legal_parameter_entry");
	{
		bool		isnull;

		c->rule_01 = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull)) == 0;
	}

	values[0] = DateADTGetDatum(known_on);
	nulls[0] = known_null ? 'n' : ' ';
	if (SPI_execute_with_args(c->rule_01 ? sql_01 : sql, 1, argtypes, values, nulls,
							  true, 0) != SPI_OK_SELECT)
		mh_elog(ERROR, "could not read mynahoken.legal_parameter");

	if (c->rows != NULL)
		pfree(c->rows);
	c->rows = MemoryContextAllocZero(mcxt, sizeof(CalRow) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		CalRow	   *r = &c->rows[n];
		char	   *name = SPI_getvalue(tup, td, 2);
		char	   *scope = SPI_getvalue(tup, td, 3);
		char	   *vtype = SPI_getvalue(tup, td, 6);
		int			p = param_by_name(name);
		bool		isnull;
		mh_day		upper;
		const char *want;

		CHECK_FOR_INTERRUPTS();

		/* parameters of the insurer's own that no rule reads */
		if (p < 0)
			continue;
		r->parameter_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		r->param = (int16) p;
		r->scope = scope == NULL ? -1 : (int16) category_by_name(scope);
		r->lo = get_day(tup, td, 4, MH_DAY_MIN);
		upper = get_day(tup, td, 5, MH_DAY_MAX);
		r->hi = upper == MH_DAY_MAX ? MH_DAY_MAX : upper - 1;
		r->recorded_on = get_day(tup, td, 13, MH_DAY_MIN);
		r->keep_own = DatumGetBool(SPI_getbinval(tup, td, 14, &isnull));
		r->insurer = DatumGetInt32(SPI_getbinval(tup, td, 15, &isnull));
		r->has_insurer = !isnull;

		switch (mh_param_types[p])
		{
			case MH_VT_DATE:
				want = "date";
				r->value.a = get_day(tup, td, 7, 0);
				break;
			case MH_VT_INT:
				want = "int";
				r->value.a = DatumGetInt32(SPI_getbinval(tup, td, 8, &isnull));
				break;
			case MH_VT_BOOL:
				want = "boolean";
				r->value.a = DatumGetBool(SPI_getbinval(tup, td, 9, &isnull)) ? 1 : 0;
				break;
			default:
				want = "daterange";
				if (DatumGetBool(SPI_getbinval(tup, td, 12, &isnull)) || isnull)
				{
					r->value.a = 1;
					r->value.b = 0;
				}
				else
				{
					r->value.a = get_day(tup, td, 10, MH_DAY_MIN);
					upper = get_day(tup, td, 11, MH_DAY_MAX);
					r->value.b = upper == MH_DAY_MAX ? MH_DAY_MAX : upper - 1;
				}
				break;
		}
		if (strcmp(vtype, want) != 0)
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_DATATYPE_MISMATCH),
								  errmsg("legal parameter \"%s\" is of type %s, not %s", name, vtype, want)));
		n++;
	}
	SPI_finish();

	c->nrows = n;
	c->known_null = known_null;
	c->known_on = known_on;
	c->rows_loaded = true;
	for (k = 0; k < MH_CAT_COUNT; k++)
		c->resolved[k].ok = false;
}

/* The OIDs of the labels of our enums, read once per call site. */
static void
load_enums(DecisionCache *c)
{
	mh_enum_oids(mh_typid("insurer_category"), mh_category_names, MH_CAT_COUNT,
				 c->category_oid);
	c->document_type = mh_typid("document");
	mh_enum_oids(c->document_type, document_names, MH_DOC_COUNT, c->document_oid);
	mh_enum_oids(mh_typid("certificate_reason"), reason_names, MH_NEED_COUNT,
				 c->reason_oid);
	c->enums_loaded = true;
}

/*
 * The cache of this call site; with known_arg >= 0 the calendar as known on
 * that argument is loaded (the rules-argument functions pass -1).
 */
static pg_noinline DecisionCache *
get_cache_slow(FunctionCallInfo fcinfo, int known_arg)
{
	DecisionCache *c = (DecisionCache *) fcinfo->flinfo->fn_extra;
	bool		known_null;
	DateADT		known_on;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(DecisionCache));
		c->last_cat = -1;
		c->mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = c;
	}
	if (!c->enums_loaded)
		load_enums(c);
	if (known_arg < 0)
		return c;
	known_null = PG_ARGISNULL(known_arg);
	known_on = known_null ? 0 : PG_GETARG_DATEADT(known_arg);
	if (!c->rows_loaded || c->known_null != known_null ||
		(!known_null && c->known_on != known_on))
		load_rows(fcinfo, c, known_null, known_on);
	return c;
}

/* get_cache_slow, with the test that passes on every row but the first inline. */
static inline DecisionCache *
get_cache(FunctionCallInfo fcinfo, int known_arg)
{
	DecisionCache *c = (DecisionCache *) fcinfo->flinfo->fn_extra;

	if (likely(c != NULL && c->enums_loaded))
	{
		if (known_arg < 0)
			return c;
		if (c->rows_loaded &&
			(PG_ARGISNULL(known_arg) ? c->known_null :
			 (!c->known_null && c->known_on == PG_GETARG_DATEADT(known_arg))))
			return c;
	}
	return get_cache_slow(fcinfo, known_arg);
}

static int
category_index(DecisionCache *c, Oid oid)
{
	int			i;

	if (oid == c->last_cat_oid && c->last_cat >= 0)
		return c->last_cat;
	for (i = 0; i < MH_CAT_COUNT; i++)
		if (c->category_oid[i] == oid)
		{
			c->last_cat_oid = oid;
			c->last_cat = i;
			return i;
		}
	mh_elog(ERROR, "unknown insurer category (enum oid %u)", oid);
	return -1;					/* keep compiler quiet */
}

/*
 * Whether row a is in force rather than row b, both covering the day, for
 * one category (no silent masking, as legal_entry_at in SQL): rows of one
 * scope never overlap as known on one day, so a and b are the category's own
 * and the one for every category.  The one recorded later wins; the
 * category's own on the same knowledge day, or when it is marked keep_own.
 */
static inline bool
row_prevails(const DecisionCache *c, const CalRow *a, const CalRow *b)
{
	if (unlikely(c->rule_01))
		return a->scope != -1;
	if (a->scope != -1 && a->keep_own)
		return true;
	if (b->scope != -1 && b->keep_own)
		return false;
	if (a->recorded_on != b->recorded_on)
		return a->recorded_on > b->recorded_on;
	return a->scope != -1;
}

/*
 * Parameters of category cat on day, by row_prevails.  The result is reused
 * for every day between the nearest boundaries of the rows that apply to the
 * category.
 */
static const Resolved *
rules_for(DecisionCache *c, int cat, mh_day day)
{
	Resolved   *res = &c->resolved[cat];
	int			i;

	if (res->ok && day >= res->lo && day <= res->hi)
	{
		if (unlikely(res->rules.memo_day != day))
			mh_rules_memo_day(&res->rules, day);
		return res;
	}

	memset(res, 0, sizeof(Resolved));
	for (i = 0; i < MH_P_COUNT; i++)
		res->row[i] = -1;
	res->lo = MH_DAY_MIN;
	res->hi = MH_DAY_MAX;
	for (i = 0; i < c->nrows; i++)
	{
		const CalRow *r = &c->rows[i];
		int			cur;

		CHECK_FOR_INTERRUPTS();

		if ((r->scope != -1 && r->scope != cat) || r->has_insurer)
			continue;
		/* narrow the span of days this resolution holds for */
		if (r->lo != MH_DAY_MIN)
		{
			if (r->lo <= day && r->lo > res->lo)
				res->lo = r->lo;
			else if (r->lo > day && r->lo - 1 < res->hi)
				res->hi = r->lo - 1;
		}
		if (r->hi != MH_DAY_MAX)
		{
			if (r->hi < day && r->hi + 1 > res->lo)
				res->lo = r->hi + 1;
			else if (r->hi >= day && r->hi < res->hi)
				res->hi = r->hi;
		}
		if (day < r->lo || day > r->hi)
			continue;
		cur = res->row[r->param];
		if (cur < 0 || row_prevails(c, r, &c->rows[cur]))
			res->row[r->param] = i;
	}
	for (i = 0; i < MH_P_COUNT; i++)
		if (res->row[i] >= 0)
		{
			res->rules.present |= (uint32_t) 1 << i;
			res->rules.v[i] = c->rows[res->row[i]].value;
		}
	mh_rules_memo_day(&res->rules, day);
	res->ok = true;
	return res;
}

/* ---------------------------------------------------------------------
 * Arguments and errors
 */

typedef struct Call
{
	bool		by_rules;		/* parameters from a transition_rules argument */
	DecisionCache *c;
	int			cat;
	mh_day		day;			/* day the parameters are resolved for */
	const Resolved *res;		/* calendar mode only */
	const MhRules *rules;
	MhMember	m;
	bool		online;
} Call;

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

static void
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

/* Raise the error of a status; inline test first, as this runs per row. */
#define report(call, st, param) \
	do { \
		MhStatus	st_ = (st); \
		if (st_ != MH_OK) \
			report_error((call), st_, (param)); \
	} while (0)

/*
 * Messages name the rule and the legal parameter, never a day or a fact the
 * caller passed: those are a member's data (birth date, 資格取得日, ...).
 */
static void
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
static bool
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
static bool
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
static bool
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
static bool
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
static Datum
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
 * Explanations
 */

static void
json_day(StringInfo buf, mh_day day, mh_day none)
{
	if (day == none)
		appendStringInfoString(buf, "null");
	else
		appendStringInfo(buf, "\"%s\"", fmt_day(day));
}

static void
json_doc_array(StringInfo buf, uint32 mask)
{
	int			i;
	bool		first = true;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < MH_DOC_COUNT; i++)
		if (mask & (1u << i))
		{
			appendStringInfo(buf, "%s\"%s\"", first ? "" : ", ", document_names[i]);
			first = false;
		}
	appendStringInfoChar(buf, ']');
}

/* The inputs the decision looked at, with their values. */
static void
json_inputs(StringInfo buf, const Call *call, uint32 inputs)
{
	const MhMember *m = &call->m;
	int			i;
	bool		first = true;

	appendStringInfoChar(buf, '{');
	for (i = 0; i < MH_IN_COUNT; i++)
	{
		if (!(inputs & (1u << i)))
			continue;
		appendStringInfo(buf, "%s\"%s\": ", first ? "" : ", ", mh_input_names[i]);
		first = false;
		switch (1u << i)
		{
			case MH_IN_CATEGORY:
				appendStringInfo(buf, "\"%s\"", mh_category_names[call->cat]);
				break;
			case MH_IN_DAY:
			case MH_IN_ISSUED_ON:
				json_day(buf, call->day, MH_DAY_MIN);
				break;
			case MH_IN_BIRTH_DATE:
				json_day(buf, m->birth_date, MH_DAY_MIN);
				break;
			case MH_IN_ACQUIRED_ON:
				json_day(buf, m->acquired_on, MH_DAY_MIN);
				break;
			case MH_IN_LOST_ON:
				json_day(buf, m->lost_on, MH_DAY_MAX);
				break;
			case MH_IN_CARD_ISSUED_ON:
				json_day(buf, m->card_issued_on, MH_DAY_MAX);
				break;
			case MH_IN_CARD_EXPIRES_ON:
				json_day(buf, m->card_expires_on, MH_DAY_MAX);
				break;
			case MH_IN_MY_NUMBER_LINKED:
				appendStringInfoString(buf, m->my_number_linked ? "true" : "false");
				break;
			case MH_IN_MYNA_REGISTERED_ON:
				json_day(buf, m->myna_registered_on, MH_DAY_MAX);
				break;
			case MH_IN_MYNA_WITHDRAWN_ON:
				json_day(buf, m->myna_withdrawn_on, MH_DAY_MAX);
				break;
			case MH_IN_ECERT_EXPIRES_ON:
				json_day(buf, m->ecert_expires_on, MH_DAY_MAX);
				break;
			case MH_IN_CERTIFICATE_VALID_UNTIL:
				json_day(buf, m->certificate_valid_until, MH_DAY_MIN);
				break;
			case MH_IN_CERTIFICATE_REQUESTED_ON:
				json_day(buf, m->certificate_requested_on, MH_DAY_MAX);
				break;
			case MH_IN_ONLINE_CHECK:
				appendStringInfoString(buf, call->online ? "true" : "false");
				break;
		}
	}
	appendStringInfoChar(buf, '}');
}

/*
 * The parameters the decision used, with their values and sources.  A stored
 * row can be in force on several parts of its valid range over different
 * spans of knowledge days (mynahoken.legal_parameter), so a calendar row is
 * found by its id, a day of its part and the knowledge day of the cache.
 */
static void
json_parameters(StringInfo buf, const Call *call, uint32 params)
{
	static const char *const sql =
		"SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
		" 'name', c.name, 'scope', c.scope, 'value', c.value, 'unit', c.unit,"
		" 'valid', c.valid_iso, 'recorded', c.recorded_iso, 'confirmed', c.confirmed,"
		" 'note', c.note, 'source', pg_catalog.jsonb_build_object("
		"  'code', c.source_code, 'kind', c.source_kind, 'title', c.source_title,"
		"  'issuer', c.source_issuer, 'number', c.source_number,"
		"  'issued_on', c.source_issued_on, 'url', c.source_url))"
		" ORDER BY c.name, c.scope), '[]'::pg_catalog.jsonb)::pg_catalog.text"
		" FROM mynahoken.legal_calendar c"
		" JOIN ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u (id, day)"
		"   ON c.parameter_id OPERATOR(pg_catalog.=) u.id"
		"  AND c.valid OPERATOR(pg_catalog.@>) u.day"
		" WHERE CASE WHEN $3 IS NULL THEN pg_catalog.upper_inf(c.recorded)"
		" ELSE c.recorded OPERATOR(pg_catalog.@>) $3 END";
	Datum		ids[MH_P_COUNT];
	Datum		days[MH_P_COUNT];
	int			n = 0;
	int			p;
	Oid			argtypes[3] = {INT8ARRAYOID, DATEARRAYOID, DATEOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	char	   *text;

	for (p = 0; p < MH_P_COUNT; p++)
		if ((params & (1u << p)) && call->res->row[p] >= 0)
		{
			const CalRow *r = &call->c->rows[call->res->row[p]];

			/* any day of the part; both ends infinite: every day is in it */
			ids[n] = Int64GetDatum(r->parameter_id);
			days[n++] = DateADTGetDatum(r->lo != MH_DAY_MIN ? r->lo :
										r->hi != MH_DAY_MAX ? r->hi : 0);
		}
	values[0] = PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(days, n, DATEOID, sizeof(DateADT),
												true, TYPALIGN_INT));
	values[2] = DateADTGetDatum(call->c->known_on);
	if (call->c->known_null)
		nulls[2] = 'n';
	if (SPI_connect() != SPI_OK_CONNECT)
		mh_elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, 3, argtypes, values, nulls, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		mh_elog(ERROR, "could not read mynahoken.legal_calendar");
	text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	appendStringInfoString(buf, text);
	SPI_finish();
}

static Datum
explanation(const Call *call, const char *decision, const char *result, const MhTrace *t)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"decision\": \"%s\", \"result\": %s, \"knowledge\": ",
					 decision, result);
	escape_json(&buf, fmt_knowledge(call->c, false));
	appendStringInfoString(&buf, ", \"rules\": [");
	for (i = 0; i < t->nrules; i++)
	{
		appendStringInfo(&buf, "%s{\"rule\": \"%s\", \"text\": ",
						 i ? ", " : "", mh_rule_names[t->rules[i]]);
		escape_json(&buf, mh_rule_texts[t->rules[i]]);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "], \"inputs\": ");
	json_inputs(&buf, call, t->inputs);
	appendStringInfoString(&buf, ", \"parameters\": ");
	json_parameters(&buf, call, t->params);
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
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

PG_FUNCTION_INFO_V1(mynahoken_explain_legacy_card);
Datum
mynahoken_explain_legacy_card(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	bool		valid,
				accepted;
	mh_day		until;
	StringInfoData res;

	if (!card_args(&call, fcinfo))
		PG_RETURN_NULL();
	t.inputs = MH_IN_CATEGORY | MH_IN_DAY;
	report(&call, mh_card_valid(call.rules, &call.m, call.day, &valid, &t, &param), param);
	report(&call, mh_card_accepted(call.rules, &call.m, call.day, &accepted, &t, &param), param);
	report(&call, mh_card_usable_until(call.rules, &call.m, &until, NULL, &param), param);
	initStringInfo(&res);
	appendStringInfo(&res, "{\"legally_valid\": %s, \"accepted_with_online_check\": %s, \"usable_until\": ",
					 valid ? "true" : "false", accepted ? "true" : "false");
	json_day(&res, until, MH_DAY_MIN);
	appendStringInfoChar(&res, '}');
	PG_RETURN_DATUM(explanation(&call, "legacy_card", res.data, &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_documents);
Datum
mynahoken_explain_documents(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	uint32_t	usable,
				accepted;
	StringInfoData res;

	if (!document_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_documents(call.rules, &call.m, call.day, call.online,
							   &usable, &accepted, &t, &param), param);
	initStringInfo(&res);
	appendStringInfoString(&res, "{\"usable\": ");
	json_doc_array(&res, usable);
	appendStringInfoString(&res, ", \"accepted\": ");
	json_doc_array(&res, accepted);
	appendStringInfoChar(&res, '}');
	PG_RETURN_DATUM(explanation(&call, "documents", res.data, &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_certificate_need);
Datum
mynahoken_explain_certificate_need(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	MhNeed		need;
	char	   *res;

	if (!need_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_certificate_need(call.rules, &call.m, call.day, &need, &t, &param), param);
	res = psprintf("{\"reason\": \"%s\", \"needs_certificate\": %s}", reason_names[need],
				   need == MH_NEED_NOT_NEEDED || need == MH_NEED_NOT_ELIGIBLE ? "false" : "true");
	PG_RETURN_DATUM(explanation(&call, "certificate_need", res, &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_certificate_valid_until);
Datum
mynahoken_explain_certificate_valid_until(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	mh_day		until;

	if (!event_args(&call, fcinfo, "issued_on"))
		PG_RETURN_NULL();
	report(&call, mh_certificate_valid_until(call.rules, call.day, &until, &t, &param), param);
	PG_RETURN_DATUM(explanation(&call, "certificate_valid_until",
								psprintf("{\"valid_until\": \"%s\"}", fmt_day(result_day(until))), &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_acquisition_report_due);
Datum
mynahoken_explain_acquisition_report_due(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	mh_day		due;

	if (!event_args(&call, fcinfo, "acquired_on"))
		PG_RETURN_NULL();
	report(&call, mh_acquisition_report_due(call.rules, call.day, &due, &t, &param), param);
	PG_RETURN_DATUM(explanation(&call, "acquisition_report_due",
								psprintf("{\"due\": \"%s\"}", fmt_day(result_day(due))), &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_notice_sending_window);
Datum
mynahoken_explain_notice_sending_window(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	mh_day		from,
				to;

	if (!event_args(&call, fcinfo, "acquired_on"))
		PG_RETURN_NULL();
	report(&call, mh_notice_window(call.rules, &call.m, &from, &to, &t, &param), param);
	PG_RETURN_DATUM(explanation(&call, "notice_sending_window",
								psprintf("{\"from\": \"%s\", \"to\": \"%s\"}",
										 fmt_day(result_day(from)), fmt_day(result_day(to))), &t));
}

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
