/*
 * decision_calendar.c: the legal calendar as the decision functions read it.
 *
 * Each call site (FmgrInfo) keeps a DecisionCache in fn_extra: the calendar
 * rows as known on the requested knowledge day, loaded once per statement
 * through SPI, the OIDs of the extension's enum labels, and, per insurer
 * category, the parameters resolved for the last decision day together with
 * the span of days over which that resolution stays the same.  Of a
 * category's own entry and an every-category entry, the one recorded later
 * prevails (row_prevails), as in the SQL lookup mynahoken.legal_entry_at.
 *
 * On a shard of a scale-out (doc/scale-out.md) the setting
 * mynahoken.reference_coordinator names the relation holding the
 * coordinator's reference generation; each load of the calendar then first
 * runs mynahoken.require_current_reference(), which refuses (55000) when
 * this node's replicated reference data are not the coordinator's.  Empty
 * (the default, one node): no check, one test per load.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"

#include "catalog.h"
#include "decision_internal.h"
#include "mynahoken.h"
#include "transition.h"
#include "utils/guc.h"

static char *reference_coordinator = NULL;

void
mh_decisions_init(void)
{
	DefineCustomStringVariable("mynahoken.reference_coordinator",
							   "Relation holding the coordinator's reference generation; empty: no check.",
							   "On a shard, decisions with the legal calendar first compare this "
							   "node's mynahoken.reference_generation with the generation read "
							   "from this relation and refuse when they differ.",
							   &reference_coordinator, "", PGC_SUSET,
							   GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
}

/* Labels of the SQL enums, in declaration order, checked when loading. */
const char *const mh_document_names[MH_DOC_COUNT] = {
	"myna_hokensho", "myna_with_notice", "myna_with_portal_screen",
	"myna_with_portal_pdf", "legacy_card", "certificate",
	"expired_legacy_card", "notice_alone"
};
const char *const mh_reason_names[MH_NEED_COUNT] = {
	"not_eligible", "late_elderly_blanket", "late_elderly_age",
	"no_my_number", "not_registered", "registration_withdrawn",
	"ecert_expired", "on_request", "not_needed"
};

/* ---------------------------------------------------------------------
 * Formatting
 */

/* A day as YYYY-MM-DD (ISO, whatever DateStyle says). */
char *
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
char *
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

	/* a shard: never decide with reference data not the coordinator's */
	if (reference_coordinator != NULL && reference_coordinator[0] != '\0' &&
		SPI_execute("SELECT mynahoken.require_current_reference()", true, 0) != SPI_OK_SELECT)
		mh_elog(ERROR, "could not compare the reference generation with the coordinator's");

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
	mh_enum_oids(c->document_type, mh_document_names, MH_DOC_COUNT, c->document_oid);
	mh_enum_oids(mh_typid("certificate_reason"), mh_reason_names, MH_NEED_COUNT,
				 c->reason_oid);
	c->enums_loaded = true;
}

/*
 * The cache of this call site; with known_arg >= 0 the calendar as known on
 * that argument is loaded (the rules-argument functions pass -1).
 */
DecisionCache *
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

int
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
const Resolved *
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

