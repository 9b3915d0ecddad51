/*
 * linkage_check.c: the per-member step of the nightly linkage check.
 *
 * linkage_check_result() takes one member's columns (its own digests, the
 * copy of its newest J-LIS answer's digests, its report) and returns the
 * packed result of core/linkage_check.h: reason codes, severity and the fold
 * level of each field, in one call, reading the digest arrays in place.
 * The set-based statement of linkage_run_batch() calls it once per member
 * and stores a result only where it changed.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "core/linkage.h"
#include "core/linkage_check.h"
#include "mynahoken.h"

#define TOKEN_BYTES 33			/* INTERNALLENGTH of mynahoken.mynumber_token */

/* The digests of one array, in place: element i, or NULL. */
typedef struct digests
{
	int			n;
	const char *p[MH_LINK_MAX_FORMS];
	int			len[MH_LINK_MAX_FORMS];
	/* a short-header array is copied here so that its elements align */
	union
	{
		double		align;
		char		bytes[512];
	}			copy;
} digests;

/* Read a bytea[] argument (NULL: *d has no element). */
static void
read_digests(FunctionCallInfo fcinfo, int arg, digests *d)
{
	struct varlena *v;
	ArrayType  *a;
	bits8	   *bitmap;
	const char *p;
	int			n;

	d->n = 0;
	if (PG_ARGISNULL(arg))
		return;
	v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(arg));
	if (VARATT_IS_EXTENDED(v))
	{
		if (VARATT_IS_SHORT(v) && VARSIZE_SHORT(v) - VARHDRSZ_SHORT + VARHDRSZ <= sizeof(d->copy.bytes))
		{
			/* the usual case: a short array read from a page */
			int			l = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

			SET_VARSIZE(d->copy.bytes, l + VARHDRSZ);
			memcpy(d->copy.bytes + VARHDRSZ, VARDATA_SHORT(v), l);
			v = (struct varlena *) d->copy.bytes;
		}
		else
			v = pg_detoast_datum(v);
	}
	a = (ArrayType *) v;
	if (ARR_NDIM(a) != 1 || ARR_ELEMTYPE(a) != BYTEAOID)
		return;
	n = Min(ARR_DIMS(a)[0], MH_LINK_MAX_FORMS);
	bitmap = ARR_NULLBITMAP(a);
	p = (const char *) a + (ARR_HASNULL(a) ? (size_t) a->dataoffset : ARR_OVERHEAD_NONULLS(1));
	for (int i = 0; i < n; i++)
	{
		if (bitmap && !(bitmap[i / 8] & (1 << (i % 8))))
		{
			d->p[i] = NULL;
			d->len[i] = 0;
			continue;
		}
		d->p[i] = VARDATA_ANY(p);
		d->len[i] = VARSIZE_ANY_EXHDR(p);
		p = (const char *) att_align_nominal(p + VARSIZE_ANY(p), TYPALIGN_INT);
	}
	d->n = n;
}

static inline bool
same(const char *a, int alen, const char *b, int blen)
{
	return a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

/* Lowest i in [from, to) where both hold the same digest, or -1. */
static int
first_equal(const digests *a, const digests *b, int from, int to)
{
	for (int i = from; i < to && i < a->n && i < b->n; i++)
		if (same(a->p[i], a->len[i], b->p[i], b->len[i]))
			return i;
	return -1;
}

/* Level of a field: -2 when either side has no digests (●), else the match. */
static int
field_level(const digests *a, const digests *b, int levels, int review)
{
	int			l;

	if (a->n == 0 || b->n == 0)
		return MH_LVL_UNVERIFIABLE;
	l = first_equal(a, b, 0, levels + review);
	return l < 0 ? MH_LVL_NONE : l;
}

/* A bytea argument as pointer and length (NULL when the argument is). */
static const char *
bytes_arg(FunctionCallInfo fcinfo, int arg, int *len)
{
	struct varlena *v;

	if (PG_ARGISNULL(arg))
	{
		*len = 0;
		return NULL;
	}
	v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(arg));
	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		v = pg_detoast_datum_packed(v);
	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

static bool
differs(FunctionCallInfo fcinfo, int a, int b)
{
	int			la,
				lb;
	const char *pa = bytes_arg(fcinfo, a, &la);
	const char *pb = bytes_arg(fcinfo, b, &lb);

	if (pa == NULL || pb == NULL)
		return pa != pb;
	return !same(pa, la, pb, lb);
}

static bool
tokens_equal(FunctionCallInfo fcinfo, int a, int b)
{
	return !PG_ARGISNULL(a) && !PG_ARGISNULL(b) &&
		memcmp(DatumGetPointer(PG_GETARG_DATUM(a)), DatumGetPointer(PG_GETARG_DATUM(b)),
			   TOKEN_BYTES) == 0;
}

/* Per-call cache: the severity table and the provenance labels. */
typedef struct check_cache
{
	int			severity[MH_R_COUNT];
	bool		lowered[MH_R_COUNT];
	char		policy[256];	/* the two arrays, as bytes, they were read from */
	int			policylen;
	Oid			prov_oid[8];
	char		prov_kind[8];	/* 'l' lookup (5 fields), 'w' weak, 'o' other */
	int			nprov;
} check_cache;

static char
provenance_kind(check_cache *c, Oid oid)
{
	HeapTuple	tup;
	char		kind = 'o';

	for (int i = 0; i < c->nprov; i++)
		if (c->prov_oid[i] == oid)
			return c->prov_kind[i];
	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(oid));
	if (HeapTupleIsValid(tup))
	{
		const char *label = NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel);

		if (strcmp(label, "jlis_lookup_weak") == 0)
			kind = 'w';
		else if (strcmp(label, "jlis_lookup_5") == 0)
			kind = 'l';
		ReleaseSysCache(tup);
	}
	if (c->nprov < 8)
	{
		c->prov_oid[c->nprov] = oid;
		c->prov_kind[c->nprov++] = kind;
	}
	return kind;
}

/* Read the severity policy (smallint[], boolean[] in reason order), cached. */
static void
read_policy(FunctionCallInfo fcinfo, check_cache *c, int sarg, int larg)
{
	ArrayType  *s,
			   *l;
	int			slen,
				llen;
	Datum	   *se,
			   *le;
	bool	   *sn,
			   *ln;
	int			ns,
				nl;

	if (PG_ARGISNULL(sarg) || PG_ARGISNULL(larg))
		goto bad;
	s = PG_GETARG_ARRAYTYPE_P(sarg);
	l = PG_GETARG_ARRAYTYPE_P(larg);
	slen = VARSIZE(s);
	llen = VARSIZE(l);
	if (c->policylen == slen + llen &&
		memcmp(c->policy, s, slen) == 0 && memcmp(c->policy + slen, l, llen) == 0)
		return;
	if (ARR_ELEMTYPE(s) != INT2OID || ARR_ELEMTYPE(l) != BOOLOID)
		goto bad;
	deconstruct_array(s, INT2OID, 2, true, TYPALIGN_SHORT, &se, &sn, &ns);
	deconstruct_array(l, BOOLOID, 1, true, TYPALIGN_CHAR, &le, &ln, &nl);
	if (ns != MH_R_COUNT || nl != MH_R_COUNT)
		goto bad;
	for (int i = 0; i < MH_R_COUNT; i++)
	{
		if (sn[i] || ln[i])
			goto bad;
		c->severity[i] = DatumGetInt16(se[i]);
		c->lowered[i] = DatumGetBool(le[i]);
	}
	if (slen + llen <= (int) sizeof(c->policy))
	{
		memcpy(c->policy, s, slen);
		memcpy(c->policy + slen, l, llen);
		c->policylen = slen + llen;
	}
	else
		c->policylen = -1;
	return;
bad:
	mh_sensitive_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid linkage severity table"),
			 errdetail("The severities and the lowered flags need one element per code of linkage_reason_list(), in its order.")));
}

static mh_link_claim
claim_arg(FunctionCallInfo fcinfo, int arg)
{
	text	   *t;
	int			len;
	const char *s;

	if (PG_ARGISNULL(arg))
		return MH_CLAIM_NONE;
	t = PG_GETARG_TEXT_PP(arg);
	len = VARSIZE_ANY_EXHDR(t);
	s = VARDATA_ANY(t);
#define IS(lit) (len == (int) sizeof(lit) - 1 && memcmp(s, lit, len) == 0)
	if (IS("last4_differs"))
		return MH_CLAIM_LAST4_DIFFERS;
	if (IS("last4_ok"))
		return MH_CLAIM_LAST4_OK;
	if (IS("not_me"))
		return MH_CLAIM_NOT_ME;
	if (IS("facts_wrong"))
		return MH_CLAIM_FACTS_WRONG;
#undef IS
	return MH_CLAIM_NONE;
}

/* Arguments of linkage_check_result, in order. */
enum
{
	A_TOKEN, A_SENT_TOKEN, A_PROVENANCE, A_NUMBER_CONFIRMED,
	A_KANJI, A_KANA, A_ADDRESS, A_BIRTH, A_SEX,
	A_JLIS_ID, A_JLIS_TOKEN, A_JLIS_FOUND,
	A_J_KANJI, A_J_KANA, A_J_ADDRESS, A_J_BIRTH, A_J_SEX,
	A_CLAIM, A_LAST4, A_SHARED, A_SWAP, A_SEVERITY, A_LOWERED
};

/*
 * The facts of one member from the arguments of linkage_check_result or
 * linkage_member_result (the same up to A_LAST4; provenance is read by the
 * caller).
 */
static void
member_facts(FunctionCallInfo fcinfo, mh_link_facts *f)
{
	digests		a,
				b;

	f->no_number = PG_ARGISNULL(A_TOKEN);
	f->no_jlis = PG_ARGISNULL(A_JLIS_ID);
	f->stale = !f->no_number && !f->no_jlis && !tokens_equal(fcinfo, A_TOKEN, A_JLIS_TOKEN);
	f->found = !PG_ARGISNULL(A_JLIS_FOUND) && PG_GETARG_BOOL(A_JLIS_FOUND);
	if (!f->no_number && !f->no_jlis && !f->stale && f->found)
	{
		int			l1,
					l2;
		const char *p1 = bytes_arg(fcinfo, A_BIRTH, &l1);
		const char *p2 = bytes_arg(fcinfo, A_J_BIRTH, &l2);

		/* the first byte of a digest is its key version */
		if (p1 == NULL || p2 == NULL || l1 == 0 || l2 == 0)
		{
			p1 = bytes_arg(fcinfo, A_SEX, &l1);
			p2 = bytes_arg(fcinfo, A_J_SEX, &l2);
		}
		f->key_stale = p1 != NULL && p2 != NULL && l1 > 0 && l2 > 0 && p1[0] != p2[0];
		f->birth_date_differs = differs(fcinfo, A_BIRTH, A_J_BIRTH);
		f->sex_differs = differs(fcinfo, A_SEX, A_J_SEX);

		read_digests(fcinfo, A_KANA, &a);
		read_digests(fcinfo, A_J_KANA, &b);
		f->kana = field_level(&a, &b, MH_LINK_KANA_LEVELS, 2);
		f->kana_given_equal = a.n > MH_LINK_KANA_LONG_VOWEL + 1 && b.n > MH_LINK_KANA_LONG_VOWEL + 1 &&
			same(a.p[MH_LINK_KANA_LONG_VOWEL + 1], a.len[MH_LINK_KANA_LONG_VOWEL + 1],
				 b.p[MH_LINK_KANA_LONG_VOWEL + 1], b.len[MH_LINK_KANA_LONG_VOWEL + 1]);
		read_digests(fcinfo, A_KANJI, &a);
		read_digests(fcinfo, A_J_KANJI, &b);
		f->kanji = field_level(&a, &b, MH_LINK_KANJI_LEVELS, 0);
		f->kanji_given_equal = a.n > MH_LINK_KANJI_LEVELS && b.n > MH_LINK_KANJI_LEVELS &&
			same(a.p[MH_LINK_KANJI_LEVELS], a.len[MH_LINK_KANJI_LEVELS],
				 b.p[MH_LINK_KANJI_LEVELS], b.len[MH_LINK_KANJI_LEVELS]);
		read_digests(fcinfo, A_ADDRESS, &a);
		read_digests(fcinfo, A_J_ADDRESS, &b);
		f->address = field_level(&a, &b, MH_LINK_ADDRESS_LEVELS, 0);
	}
	f->not_sent = !PG_ARGISNULL(A_SENT_TOKEN) && !f->no_number &&
		!tokens_equal(fcinfo, A_SENT_TOKEN, A_TOKEN);
	f->claim = claim_arg(fcinfo, A_CLAIM);
	f->last4 = PG_ARGISNULL(A_LAST4) ? -1 : PG_GETARG_BOOL(A_LAST4) ? 1 : 0;
}

/* Per-call cache of linkage_check_result and linkage_result_finish. */
static check_cache *
get_cache(FunctionCallInfo fcinfo, int sarg, int larg)
{
	check_cache *c = (check_cache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(check_cache));
		fcinfo->flinfo->fn_extra = c;
	}
	read_policy(fcinfo, c, sarg, larg);
	return c;
}

/*
 * linkage_check_result(token, sent_token, provenance, number_confirmed,
 *   kanji, kana, address, birth_date, sex, jlis_response_id, jlis_token,
 *   jlis_found, jlis_kanji, jlis_kana, jlis_address, jlis_birth_date,
 *   jlis_sex, claim, last4_matches, shared, swap, severity, lowered)
 *   -> bigint, the packed result of core/linkage_check.h.
 */
PG_FUNCTION_INFO_V1(linkage_check_result);
Datum
linkage_check_result(PG_FUNCTION_ARGS)
{
	check_cache *c = get_cache(fcinfo, A_SEVERITY, A_LOWERED);
	mh_link_facts f = {0};
	char		kind;

	member_facts(fcinfo, &f);
	kind = PG_ARGISNULL(A_PROVENANCE) ? 'o' :
		provenance_kind(c, DatumGetObjectId(PG_GETARG_DATUM(A_PROVENANCE)));
	f.lookup = kind == 'l' || kind == 'w';
	f.weak_unconfirmed = kind == 'w' &&
		!(!PG_ARGISNULL(A_NUMBER_CONFIRMED) && PG_GETARG_BOOL(A_NUMBER_CONFIRMED));
	f.shared = !PG_ARGISNULL(A_SHARED) && PG_GETARG_BOOL(A_SHARED);
	f.swap = !PG_ARGISNULL(A_SWAP) && PG_GETARG_BOOL(A_SWAP);
	PG_RETURN_INT64((int64) mh_link_check(&f, c->severity, c->lowered));
}

/*
 * linkage_member_result(token, sent_token, lookup, weak_unconfirmed, kanji,
 *   kana, address, birth_date, sex, jlis_response_id, jlis_token,
 *   jlis_found, jlis_kanji, jlis_kana, jlis_address, jlis_birth_date,
 *   jlis_sex, claim, last4_matches) -> bigint: what the member's own row
 * decides (mh_link_own), severity 0.  Immutable: the generated column
 * linkage_member.own_result.
 */
PG_FUNCTION_INFO_V1(linkage_member_result);
Datum
linkage_member_result(PG_FUNCTION_ARGS)
{
	mh_link_facts f = {0};

	member_facts(fcinfo, &f);
	f.lookup = !PG_ARGISNULL(A_PROVENANCE) && PG_GETARG_BOOL(A_PROVENANCE);
	f.weak_unconfirmed = !PG_ARGISNULL(A_NUMBER_CONFIRMED) && PG_GETARG_BOOL(A_NUMBER_CONFIRMED);
	PG_RETURN_INT64((int64) mh_link_own(&f));
}

/*
 * linkage_result_finish(own, shared, swap, severity, lowered) -> bigint:
 * the member's stored own result with what other rows decide and the
 * severity of the insurer's table (mh_link_finish).
 */
PG_FUNCTION_INFO_V1(linkage_result_finish);
Datum
linkage_result_finish(PG_FUNCTION_ARGS)
{
	check_cache *c;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	c = get_cache(fcinfo, 3, 4);
	PG_RETURN_INT64((int64) mh_link_finish((uint64_t) PG_GETARG_INT64(0),
										   !PG_ARGISNULL(1) && PG_GETARG_BOOL(1),
										   !PG_ARGISNULL(2) && PG_GETARG_BOOL(2),
										   c->severity, c->lowered));
}

/*
 * linkage_swap_candidate(token, jlis_token, jlis_found, birth_date, sex,
 *   kana, jlis_birth_date, jlis_sex, jlis_kana) -> boolean: J-LIS found a
 * person for the number linked now whose birth date, sex or K2 カナ is not
 * the member's own, so another household member may be that person.
 */
PG_FUNCTION_INFO_V1(linkage_swap_candidate);
Datum
linkage_swap_candidate(PG_FUNCTION_ARGS)
{
	digests		a,
				b;

	if (PG_ARGISNULL(2) || !PG_GETARG_BOOL(2) || !tokens_equal(fcinfo, 0, 1))
		PG_RETURN_BOOL(false);
	if (differs(fcinfo, 3, 6) || differs(fcinfo, 4, 7))
		PG_RETURN_BOOL(true);
	read_digests(fcinfo, 5, &a);
	read_digests(fcinfo, 8, &b);
	if (a.n <= 2 || b.n <= 2)
		PG_RETURN_BOOL(a.n != b.n);
	PG_RETURN_BOOL(!same(a.p[2], a.len[2], b.p[2], b.len[2]));
}

/* linkage_reason_list() -> text[]: the reason codes in the order of the result bits. */
PG_FUNCTION_INFO_V1(linkage_reason_list);
Datum
linkage_reason_list(PG_FUNCTION_ARGS)
{
	Datum		e[MH_R_COUNT];

	for (int i = 0; i < MH_R_COUNT; i++)
		e[i] = CStringGetTextDatum(mh_link_reason_code[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(e, MH_R_COUNT, TEXTOID, -1, false, TYPALIGN_INT));
}

/* linkage_result_reasons(bigint) -> text[]: the codes of a packed result. */
PG_FUNCTION_INFO_V1(linkage_result_reasons);
Datum
linkage_result_reasons(PG_FUNCTION_ARGS)
{
	uint64_t	p = (uint64_t) PG_GETARG_INT64(0);
	Datum		e[MH_R_COUNT];
	int			n = 0;

	for (int i = 0; i < MH_R_COUNT; i++)
		if (p & (UINT64_C(1) << i))
			e[n++] = CStringGetTextDatum(mh_link_reason_code[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(e, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* linkage_result_severity(bigint) -> smallint */
PG_FUNCTION_INFO_V1(linkage_result_severity);
Datum
linkage_result_severity(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16((int16) MH_LINK_PACK_SEVERITY((uint64_t) PG_GETARG_INT64(0)));
}

/* linkage_result_level(bigint, field) -> smallint: NULL when not compared. */
PG_FUNCTION_INFO_V1(linkage_result_level);
Datum
linkage_result_level(PG_FUNCTION_ARGS)
{
	int32		field = PG_GETARG_INT32(1);
	int			l;

	if (field < 1 || field > 3)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("linkage result field must be 1 (kana), 2 (kanji) or 3 (address)")));
	l = mh_link_pack_level((uint64_t) PG_GETARG_INT64(0), field);
	if (l == MH_LVL_NOT_COMPARED)
		PG_RETURN_NULL();
	PG_RETURN_INT16((int16) l);
}
