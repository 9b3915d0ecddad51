/*
 * rules_national.c: the national facts the compiled decisions read, in one
 * call per member.
 *
 * rule_insurer_category parses an insurer number once and names its
 * category, or gives NULL for a number that is not valid.
 * rule_national_certificate_need gives the national certificate_need
 * reason as text, or NULL for a member the national decision cannot decide
 * (invalid insurer number, no birth date, contradictory dates), without the
 * SQL guards and casts around mynahoken.certificate_need that parse the
 * insurer number three times.  It calls mynahoken.certificate_need through
 * an FmgrInfo kept in its own fn_extra, so that function's calendar cache
 * lives as long as this call site, as it would for a direct call.
 *
 * A separate file from rules.c: identifiers.h and transition.h both name the
 * insurer categories.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/regproc.h"

#include "catalog.h"
#include "identifiers.h"
#include "rules.h"

#define MAX_REASONS 32

/* Per call site: the inner function, the enum values both ways. */
typedef struct NationalCache
{
	FmgrInfo	need;
	Oid			category_value[MH_CAT_COUNT];
	int			nreasons;
	Oid			reason_value[MAX_REASONS];
	text	   *reason_label[MAX_REASONS];
} NationalCache;

/* The category of a text insurer number, or -1. */
static int
category_of(text *t)
{
	int32_t		value;
	mh_parse_info info;

	if (mh_insurer_number_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &value, &info) != MH_OK)
		return -1;
	return (int) mh_insurer_number_category(value);
}

/*
 * Per call site of rule_insurer_category: the categories of the last insurer
 * numbers seen, direct-mapped on a hash of their bytes, and the category
 * names as text.  A member source holds few distinct insurer numbers, and
 * the compiled decisions call this function for every member (a category
 * cell of the national table): parsing the number and its check digit
 * again for every member was a quarter of the decision's time.
 */
#define CATEGORY_SLOTS 64
#define CATEGORY_KEY_MAX 24

typedef struct CategorySlot
{
	uint64		head;			/* the first 8 bytes, zero-padded */
	int			len;			/* 0: empty */
	int			category;		/* or -1: not a valid insurer number */
	char		tail[CATEGORY_KEY_MAX - 8]; /* the bytes after the first 8 */
} CategorySlot;

typedef struct CategoryCache
{
	text	   *name[MH_CAT_COUNT];
	CategorySlot slot[CATEGORY_SLOTS];
} CategoryCache;

PG_FUNCTION_INFO_V1(mynahoken_rule_insurer_category);
Datum
mynahoken_rule_insurer_category(PG_FUNCTION_ARGS)
{
	text	   *t = (text *) PG_GETARG_POINTER(0);
	const char *p;
	int			len;
	CategoryCache *cc = (CategoryCache *) fcinfo->flinfo->fn_extra;
	CategorySlot *s = NULL;
	int			c;

	/* PG_GETARG_TEXT_PP without a call for a plain short value */
	if (VARATT_IS_COMPRESSED(t) || VARATT_IS_EXTERNAL(t))
		t = (text *) pg_detoast_datum_packed((struct varlena *) t);
	p = VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);
	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CategoryCache));
		for (int i = 0; i < MH_CAT_COUNT; i++)
			cc->name[i] = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
											 VARHDRSZ + strlen(mh_category_names[i]));
		for (int i = 0; i < MH_CAT_COUNT; i++)
		{
			SET_VARSIZE(cc->name[i], VARHDRSZ + strlen(mh_category_names[i]));
			memcpy(VARDATA(cc->name[i]), mh_category_names[i], strlen(mh_category_names[i]));
		}
		fcinfo->flinfo->fn_extra = cc;
	}
	if (len > 0 && len <= CATEGORY_KEY_MAX)
	{
		uint64		k = 0;
		uint32		h;

		/*
		 * An insurer number has 6 or 8 digits: its bytes are the hash, and
		 * the key compares as one word (no memcmp call per member).
		 */
		if (len >= (int) sizeof(k))
			memcpy(&k, p, sizeof(k));
		else
			memcpy(&k, p, len);
		h = (uint32) (((k ^ (uint64) len) * UINT64CONST(0x9E3779B97F4A7C15)) >> 58);
		s = &cc->slot[h % CATEGORY_SLOTS];
		if (s->len == len && s->head == k
			&& (len <= (int) sizeof(k) || memcmp(s->tail, p + sizeof(k), len - sizeof(k)) == 0))
			c = s->category;
		else
		{
			c = category_of(t);
			s->head = k;
			s->len = len;
			s->category = c;
			if (len > (int) sizeof(k))
				memcpy(s->tail, p + sizeof(k), len - sizeof(k));
		}
	}
	else
		c = category_of(t);
	if (c < 0 || c >= MH_CAT_COUNT)
		PG_RETURN_NULL();
	/*
	 * The name itself, not a copy: it lives in fn_mcxt as long as the call
	 * site, is never written, and a caller that keeps a result copies it.
	 * A palloc per member (and the reset of the per-tuple memory it makes
	 * necessary) was a sixth of the compiled decision's time.
	 */
	PG_RETURN_TEXT_P(cc->name[c]);
}

/* Names resolved with every part qualified: no search_path is consulted. */
static NationalCache *
national_cache(FunctionCallInfo fcinfo)
{
	NationalCache *nc = (NationalCache *) fcinfo->flinfo->fn_extra;
	Oid			fn;

	if (nc != NULL)
		return nc;
	nc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(NationalCache));
	fn = DatumGetObjectId(DirectFunctionCall1(regprocedurein, CStringGetDatum(
		"mynahoken.certificate_need(mynahoken.insurer_category,pg_catalog.date,"
		"pg_catalog.date,pg_catalog.date,pg_catalog.date,pg_catalog.bool,pg_catalog.date,"
		"pg_catalog.date,pg_catalog.date,pg_catalog.date,pg_catalog.date)")));
	fmgr_info_cxt(fn, &nc->need, fcinfo->flinfo->fn_mcxt);
	mh_enum_oids(mh_typid("insurer_category"), mh_category_names, MH_CAT_COUNT,
				 nc->category_value);
	fcinfo->flinfo->fn_extra = nc;
	return nc;
}

/* The label of a reason, cached by its enum value. */
static text *
reason_label(FunctionCallInfo fcinfo, NationalCache *nc, Oid value)
{
	MemoryContext old;
	text	   *label;

	for (int i = 0; i < nc->nreasons; i++)
		if (nc->reason_value[i] == value)
			return nc->reason_label[i];
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	label = cstring_to_text(DatumGetCString(DirectFunctionCall1(enum_out, ObjectIdGetDatum(value))));
	MemoryContextSwitchTo(old);
	if (nc->nreasons < MAX_REASONS)
	{
		nc->reason_value[nc->nreasons] = value;
		nc->reason_label[nc->nreasons] = label;
		nc->nreasons++;
	}
	return label;
}

PG_FUNCTION_INFO_V1(mynahoken_rule_national_certificate_need);
Datum
mynahoken_rule_national_certificate_need(PG_FUNCTION_ARGS)
{
	NationalCache *nc;
	LOCAL_FCINFO(inner, 11);
	int			cat;
	Datum		result;

	/* the member the national decision refuses: reported, not raised */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	cat = category_of(PG_GETARG_TEXT_PP(0));
	if (cat < 0 || cat >= MH_CAT_COUNT)
		PG_RETURN_NULL();
	if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4) &&
		PG_GETARG_DATEADT(4) < PG_GETARG_DATEADT(3))
		PG_RETURN_NULL();		/* lost before acquired */
	if (!PG_ARGISNULL(3) && PG_GETARG_DATEADT(3) < PG_GETARG_DATEADT(2))
		PG_RETURN_NULL();		/* acquired before birth */

	nc = national_cache(fcinfo);
	InitFunctionCallInfoData(*inner, &nc->need, 11, InvalidOid, NULL, NULL);
	inner->args[0].value = ObjectIdGetDatum(nc->category_value[cat]);
	inner->args[0].isnull = false;
	for (int i = 1; i < 11; i++)
	{
		inner->args[i].value = PG_GETARG_DATUM(i);
		inner->args[i].isnull = PG_ARGISNULL(i);
	}
	result = FunctionCallInvoke(inner);
	if (inner->isnull)
		PG_RETURN_NULL();
	{
		text	   *label = reason_label(fcinfo, nc, DatumGetObjectId(result));
		text	   *copy = palloc(VARSIZE(label));

		memcpy(copy, label, VARSIZE(label));
		PG_RETURN_TEXT_P(copy);
	}
}
