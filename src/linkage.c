/*
 * linkage.c: keyed digests for the My Number linkage checks (紐付け点検).
 *
 * linkage_digests() turns a name or address into one digest per fold
 * level: level 0 of the value as received, every higher level of its
 * Unicode NFKC form (PostgreSQL's own unicode_normalize(), as used by
 * normalize(text, NFKC)) folded by core/linkage.c.  The digests are HMACs
 * under the linkage key of the active keyring version (a key derived for
 * this purpose only), so the tables of the checks hold no name, address or
 * birth date in clear and the nightly comparison is byte equality.
 *
 * The kanji variant table arrives as two strings of single characters
 * (built once per statement by the SQL callers from mynahoken.kanji_variant);
 * its parsed form is cached in fn_extra for as long as the strings repeat.
 */
#include "postgres.h"

#include <openssl/crypto.h>

#include "catalog/pg_type.h"
#include "common/unicode_norm.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "access/tupmacs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "identifier.h"
#include "keyring.h"
#include "linkage.h"
#include "mynahoken.h"
#include "seal.h"

void
mh_linkage_error(mh_link_status status)
{
	mh_sensitive_ereport(ERROR,
			(errcode(status == MH_LINK_BAD_FIELD || status == MH_LINK_BAD_MAP ?
					 ERRCODE_INVALID_PARAMETER_VALUE :
					 ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid value for a linkage digest"),
			 errdetail_internal("%s", mh_gettext(mh_link_status_text(status)))));
	pg_unreachable();
}

static mh_link_field
field_from_name(text *t)
{
	char	   *s = text_to_cstring(t);

	if (strcmp(s, "kana") == 0)
		return MH_LINK_KANA;
	if (strcmp(s, "kanji") == 0)
		return MH_LINK_KANJI;
	if (strcmp(s, "address") == 0)
		return MH_LINK_ADDRESS;
	mh_sensitive_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown linkage field"),
			 errhint("The fields with fold levels are kana, kanji and address.")));
	pg_unreachable();
}

/* The parsed variant table, kept in fn_extra with the strings it came from. */
typedef struct variant_cache
{
	text	   *from;
	text	   *to;
	mh_char_map map;
	uint32_t   *fromcp;
	uint32_t   *tocp;
} variant_cache;

static const mh_char_map *
variant_map(FunctionCallInfo fcinfo, text *from, text *to)
{
	variant_cache *c = (variant_cache *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	size_t		cap;
	mh_link_status st;

	if (c != NULL &&
		VARSIZE_ANY(c->from) == VARSIZE_ANY(from) && VARSIZE_ANY(c->to) == VARSIZE_ANY(to) &&
		memcmp(VARDATA_ANY(c->from), VARDATA_ANY(from), VARSIZE_ANY_EXHDR(from)) == 0 &&
		memcmp(VARDATA_ANY(c->to), VARDATA_ANY(to), VARSIZE_ANY_EXHDR(to)) == 0)
		return &c->map;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (c == NULL)
		c = palloc0(sizeof(variant_cache));
	else
	{
		pfree(c->from);
		pfree(c->to);
		pfree(c->fromcp);
		pfree(c->tocp);
	}
	c->from = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(from));
	c->to = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(to));
	cap = VARSIZE_ANY_EXHDR(from) + 1;
	c->fromcp = palloc(sizeof(uint32_t) * cap);
	c->tocp = palloc(sizeof(uint32_t) * cap);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = c;
	st = mh_link_map_build(VARDATA_ANY(c->from), VARSIZE_ANY_EXHDR(c->from),
						   VARDATA_ANY(c->to), VARSIZE_ANY_EXHDR(c->to),
						   c->fromcp, c->tocp, cap, &c->map);
	if (st != MH_LINK_OK)
	{
		/* forget the bad table so the next call checks again */
		fcinfo->flinfo->fn_extra = NULL;
			mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kanji variant table"),
				 errdetail_internal("%s", mh_gettext(mh_link_status_text(st))),
				 errhint("Each row of mynahoken.kanji_variant maps one character to one other character.")));
	}
	return &c->map;
}

/* NFKC of UTF-8 s[0..len) through PostgreSQL's normalisation, palloc'd. */
static char *
nfkc(const char *s, int len, int *outlen)
{
	pg_wchar   *w = palloc(sizeof(pg_wchar) * (len + 1));
	pg_wchar   *n;
	int			nw = 0;
	char	   *out;
	char	   *p;

	for (int i = 0; i < len;)
	{
		int			l = pg_utf_mblen((const unsigned char *) s + i);

		if (i + l > len)
			mh_linkage_error(MH_LINK_BAD_UTF8);
		w[nw++] = utf8_to_unicode((const unsigned char *) s + i);
		i += l;
	}
	w[nw] = 0;
	if (unicode_is_normalized_quickcheck(UNICODE_NFKC, w) == UNICODE_NORM_QC_YES)
		n = w;
	else
		n = unicode_normalize(UNICODE_NFKC, w);
	nw = 0;
	while (n[nw] != 0)
		nw++;
	out = p = palloc(nw * 4 + 1);
	for (int i = 0; i < nw; i++)
	{
		unicode_to_utf8(n[i], (unsigned char *) p);
		p += pg_utf_mblen((unsigned char *) p);
	}
	*p = '\0';
	*outlen = p - out;
	return out;
}

/* One digest as a bytea. */
static bytea *
digest_bytea(const mh_loaded_key *k, mh_link_field field, int level, const char *v, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + MH_LINK_DIGEST_BYTES);

	SET_VARSIZE(b, VARHDRSZ + MH_LINK_DIGEST_BYTES);
	mh_link_digest(&k->linkage, k->version, field, level, v, len, (unsigned char *) VARDATA(b));
	return b;
}

/*
 * linkage_digests(value, field, variant_from, variant_to) -> bytea[]: one
 * digest per fold level; for カナ then the two review forms (voicing, long
 * vowels), never a match level; for カナ and 漢字 last the digest of the
 * given name alone at the highest level (NULL when the value has no 氏/名
 * gap).  NULL when the value is unverifiable (●, 〓, 外字) or empty, so
 * that nothing ever matches it.
 */
PG_FUNCTION_INFO_V1(linkage_digests);
Datum
linkage_digests(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	mh_link_field field = field_from_name(PG_GETARG_TEXT_PP(1));
	const mh_char_map *map = variant_map(fcinfo, PG_GETARG_TEXT_PP(2), PG_GETARG_TEXT_PP(3));
	const mh_loaded_key *k = mh_keyring_active();
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *u = mh_text_as_utf8(VARDATA_ANY(t), &len);
	int			levels = mh_link_levels(field);
	int			forms = levels;
	Datum		elems[MH_LINK_MAX_FORMS];
	bool		nulls[MH_LINK_MAX_FORMS] = {0};
	int			dims[1];
	int			lbs[1] = {1};
	char	   *norm;
	int			normlen;
	char	   *out;
	size_t		outlen;
	mh_link_status st;

	if (len > MH_LINK_VALUE_MAX)
		mh_linkage_error(MH_LINK_TOO_LONG);
	st = mh_link_fold(field, 0, u, len, map, NULL, 0, &outlen);
	/* level 0 needs no output buffer to be checked: only too long fails */
	if (st == MH_LINK_UNVERIFIABLE || st == MH_LINK_EMPTY)
		PG_RETURN_NULL();
	if (st != MH_LINK_OK && st != MH_LINK_TOO_LONG)
		mh_linkage_error(st);
	elems[0] = PointerGetDatum(digest_bytea(k, field, 0, u, len));

	norm = nfkc(u, len, &normlen);
	if (normlen > MH_LINK_VALUE_MAX)
		mh_linkage_error(MH_LINK_TOO_LONG);
	out = palloc(MH_LINK_OUT_MAX);
	if (field == MH_LINK_KANA)
		forms = MH_LINK_KANA_LONG_VOWEL + 1;
	for (int level = 1; level < forms; level++)
	{
		st = mh_link_fold(field, level, norm, normlen, map, out, MH_LINK_OUT_MAX, &outlen);
		/* NFKC can turn a character into a stand-in or into spaces only */
		if (st == MH_LINK_UNVERIFIABLE || st == MH_LINK_EMPTY)
			PG_RETURN_NULL();
		if (st != MH_LINK_OK)
			mh_linkage_error(st);
		elems[level] = PointerGetDatum(digest_bytea(k, field, level, out, outlen));
	}
	if (field == MH_LINK_KANA || field == MH_LINK_KANJI)
	{
		size_t		start,
					glen;

		nulls[forms] = true;
		if (mh_link_given_name(norm, normlen, &start, &glen) &&
			mh_link_fold(field, levels - 1, norm + start, glen, map, out, MH_LINK_OUT_MAX,
						 &outlen) == MH_LINK_OK)
		{
			nulls[forms] = false;
			elems[forms] = PointerGetDatum(digest_bytea(k, field == MH_LINK_KANA ? MH_LINK_KANA_GIVEN :
														MH_LINK_KANJI_GIVEN, levels - 1, out, outlen));
		}
		forms++;
	}
	dims[0] = forms;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, BYTEAOID, -1, false,
											 TYPALIGN_INT));
}

/* linkage_birth_date_digest(date) -> bytea: no levels, no fuzz. */
PG_FUNCTION_INFO_V1(linkage_birth_date_digest);
Datum
linkage_birth_date_digest(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	const mh_loaded_key *k = mh_keyring_active();
	int			y,
				m,
				dd;
	char		buf[32];

	if (DATE_NOT_FINITE(d))
	{
			mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a birth date must be finite")));
	}
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, dd);
	PG_RETURN_BYTEA_P(digest_bytea(k, MH_LINK_BIRTH_DATE, 0, buf, strlen(buf)));
}

/* linkage_sex_digest(integer) -> bytea: the code as J-LIS gives it (1, 2). */
PG_FUNCTION_INFO_V1(linkage_sex_digest);
Datum
linkage_sex_digest(PG_FUNCTION_ARGS)
{
	int32		sex = PG_GETARG_INT32(0);
	const mh_loaded_key *k = mh_keyring_active();
	char		buf[16];

	snprintf(buf, sizeof(buf), "%d", sex);
	PG_RETURN_BYTEA_P(digest_bytea(k, MH_LINK_SEX, 0, buf, strlen(buf)));
}

/* linkage_match_level for arrays with NULL elements (never matching). */
static int
match_level_with_nulls(ArrayType *a, ArrayType *b)
{
	Datum	   *ea,
			   *eb;
	bool	   *na,
			   *nb;
	int			ca,
				cb;

	deconstruct_array(a, BYTEAOID, -1, false, TYPALIGN_INT, &ea, &na, &ca);
	deconstruct_array(b, BYTEAOID, -1, false, TYPALIGN_INT, &eb, &nb, &cb);
	for (int i = 0; i < ca && i < cb; i++)
	{
		bytea	   *x,
				   *y;

		if (na[i] || nb[i])
			continue;
		x = DatumGetByteaPP(ea[i]);
		y = DatumGetByteaPP(eb[i]);
		if (VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
			memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0)
			return i;
	}
	return -1;
}

/*
 * linkage_match_level(a bytea[], b bytea[]) -> integer: the lowest level at
 * which both arrays hold the same digest, or NULL.
 */
PG_FUNCTION_INFO_V1(linkage_match_level);
Datum
linkage_match_level(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			na = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	int			nb = ArrayGetNItems(ARR_NDIM(b), ARR_DIMS(b));
	const char *pa,
			   *pb;

	if (ARR_HASNULL(a) || ARR_HASNULL(b))
	{
		int			level = match_level_with_nulls(a, b);

		if (level < 0)
			PG_RETURN_NULL();
		PG_RETURN_INT32(level);
	}
	/* walk both flat arrays in place: this runs for every member of every check */
	pa = (const char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a));
	pb = (const char *) b + ARR_OVERHEAD_NONULLS(ARR_NDIM(b));
	for (int i = 0; i < na && i < nb; i++)
	{
		if (VARSIZE_ANY_EXHDR(pa) == VARSIZE_ANY_EXHDR(pb) &&
			memcmp(VARDATA_ANY(pa), VARDATA_ANY(pb), VARSIZE_ANY_EXHDR(pa)) == 0)
			PG_RETURN_INT32(i);
		pa = (const char *) att_align_nominal(pa + VARSIZE_ANY(pa), TYPALIGN_INT);
		pb = (const char *) att_align_nominal(pb + VARSIZE_ANY(pb), TYPALIGN_INT);
	}
	PG_RETURN_NULL();
}

/* The reported digits as 4 ASCII digits; ASCII or full-width, spaces ignored. */
static void
reported_digits(text *t, char out[4])
{
	int			len = VARSIZE_ANY_EXHDR(t);
	const unsigned char *u = (const unsigned char *) mh_text_as_utf8(VARDATA_ANY(t), &len);
	int			n = 0;
	bool		ok = true;

	for (int i = 0; i < len && ok;)
	{
		int			l = pg_utf_mblen(u + i);
		pg_wchar	c = i + l <= len ? utf8_to_unicode(u + i) : 0;

		if (c >= '0' && c <= '9' && n < 4)
			out[n++] = (char) c;
		else if (c >= 0xFF10 && c <= 0xFF19 && n < 4)
			out[n++] = (char) ('0' + (c - 0xFF10));
		else if (c != ' ' && c != 0x3000)
			ok = false;
		i += l;
	}
	if (!ok || n != 4)
	{
		OPENSSL_cleanse(out, 4);
			mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid reported digits"),
				 errdetail("The member reports the last four digits of a My Number: four digits, ASCII or full-width.")));
	}
}

/*
 * linkage_last4_matches(sealed, reported) -> boolean: do the last four
 * digits of the sealed number equal what the member reports?  Neither the
 * number nor its digits leave this function.
 */
PG_FUNCTION_INFO_V1(linkage_last4_matches);
Datum
linkage_last4_matches(PG_FUNCTION_ARGS)
{
	const unsigned char *sealed = (const unsigned char *) DatumGetPointer(PG_GETARG_DATUM(0));
	text	   *reported = PG_GETARG_TEXT_PP(1);
	char		digits[MH_MYNUMBER_DIGITS];
	char		last4[4];
	bool		match;

	reported_digits(reported, last4);
	mh_unseal_digits(sealed, digits);
	match = CRYPTO_memcmp(digits + MH_MYNUMBER_DIGITS - 4, last4, 4) == 0;
	OPENSSL_cleanse(digits, sizeof(digits));
	OPENSSL_cleanse(last4, sizeof(last4));
	PG_RETURN_BOOL(match);
}
