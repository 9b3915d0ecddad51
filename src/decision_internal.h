/*
 * decision_internal.h: what the three files of the decision module share
 * (decision_calendar.c, decision.c, decision_explain.c; see decision.h).
 */
#ifndef MYNAHOKEN_DECISION_INTERNAL_H
#define MYNAHOKEN_DECISION_INTERNAL_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/date.h"

#include "decision.h"
#include "transition.h"

/* Labels of the SQL enums document and certificate_reason, in their order. */
extern const char *const mh_document_names[MH_DOC_COUNT];
extern const char *const mh_reason_names[MH_NEED_COUNT];

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

/* decision_calendar.c */
extern char *fmt_day(mh_day day);
extern char *fmt_knowledge(DecisionCache *c, bool translate);
extern DecisionCache *get_cache_slow(FunctionCallInfo fcinfo, int known_arg);
extern int	category_index(DecisionCache *c, Oid oid);
extern const Resolved *rules_for(DecisionCache *c, int cat, mh_day day);

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

/* decision.c */
extern DateADT result_day(mh_day day);
extern void call_init(Call *call, FunctionCallInfo fcinfo, int known_arg, mh_day day);
extern bool card_args(Call *call, FunctionCallInfo fcinfo);
extern bool document_args(Call *call, FunctionCallInfo fcinfo);
extern bool need_args(Call *call, FunctionCallInfo fcinfo);
extern bool event_args(Call *call, FunctionCallInfo fcinfo, const char *what);
extern void report_error(const Call *call, MhStatus st, MhParam param);
extern Datum documents_datum(DecisionCache *c, uint32 mask);

/* Raise the error of a status; inline test first, as this runs per row. */
#define report(call, st, param) \
	do { \
		MhStatus	st_ = (st); \
		if (st_ != MH_OK) \
			report_error((call), st_, (param)); \
	} while (0)

/* decision_explain.c */
extern void json_day(StringInfo buf, mh_day day, mh_day none);
extern void json_doc_array(StringInfo buf, uint32 mask);
extern Datum explanation(const Call *call, const char *decision, const char *result,
						 const MhTrace *t);

#endif
