/*
 * token.c: mynumber_token, a keyed, versioned token of a My Number (個人番号).
 *
 * A token is 33 bytes (key version, HMAC-SHA256) passed by reference; its
 * text form is "mnt<version>:<base64url>".  Equality, btree and hash
 * support make it a primary key, join key and distribution column.  The
 * hash functions (support 1 and 2) hash the 33 bytes with hash_any and
 * hash_any_extended: that choice is frozen, since hash partitions and
 * distributed tables place rows by it.
 *
 * Errors of the My Number paths never contain the input and are raised
 * with mh_sensitive_ereport (mynahoken.h): no STATEMENT in the server log,
 * no CONTEXT (which may quote a PL/pgSQL statement with the number in it)
 * anywhere, also when a parallel leader re-throws a worker's error.
 */
#include "postgres.h"

#include <openssl/crypto.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"

#include "keyring.h"
#include "mynahoken.h"
#include "mynumber_text.h"
#include "token.h"

void
mh_tokens_init(void)
{
	mh_keyring_define_settings();
}

void
mh_vtext_invalid(const char *type, int status)
{
	mh_sensitive_ereport(ERROR,
						 (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						  errmsg("invalid input syntax for type %s", type),
						  errdetail_internal("%s", mh_gettext(mh_vtext_status_text((mh_vtext_status) status)))));
}

#define DatumGetToken(d) ((unsigned char *) DatumGetPointer(d))
#define PG_GETARG_TOKEN(n) DatumGetToken(PG_GETARG_DATUM(n))

/* tokenize one text datum with one key */
static unsigned char *
tokenize_with(text *t, const mh_loaded_key *k)
{
	char		digits[MH_MYNUMBER_DIGITS];
	unsigned char *tok = palloc(MH_TOKEN_BYTES);

	mh_mynumber_from_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), digits);
	mh_token_compute(&k->token, digits, tok);
	OPENSSL_cleanse(digits, sizeof(digits));
	return tok;
}

PG_FUNCTION_INFO_V1(mynumber_token_in);
Datum
mynumber_token_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	unsigned char *tok = palloc(MH_TOKEN_BYTES);
	mh_vtext_status st;

	st = mh_vtext_parse(MH_TOKEN_PREFIX, s, strlen(s), tok, MH_TOKEN_MAC_BYTES);
	if (st != MH_VTEXT_OK)
		mh_vtext_invalid("mynumber_token", st);
	PG_RETURN_POINTER(tok);
}

PG_FUNCTION_INFO_V1(mynumber_token_out);
Datum
mynumber_token_out(PG_FUNCTION_ARGS)
{
	char	   *buf = palloc(MH_VTEXT_MAX);

	mh_vtext_format(MH_TOKEN_PREFIX, PG_GETARG_TOKEN(0), MH_TOKEN_MAC_BYTES, buf);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(mynumber_token_recv);
Datum
mynumber_token_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	unsigned char *tok;

	if (buf->len - buf->cursor != MH_TOKEN_BYTES)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							  errmsg("invalid binary representation of type %s", "mynumber_token"),
							  errdetail("A token is %d bytes, not %d.", MH_TOKEN_BYTES,
										buf->len - buf->cursor)));
	tok = palloc(MH_TOKEN_BYTES);
	pq_copymsgbytes(buf, (char *) tok, MH_TOKEN_BYTES);
	if (tok[0] == 0)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							  errmsg("invalid binary representation of type %s", "mynumber_token"),
							  errdetail("Key version 0 does not exist.")));
	PG_RETURN_POINTER(tok);
}

PG_FUNCTION_INFO_V1(mynumber_token_send);
Datum
mynumber_token_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, (char *) PG_GETARG_TOKEN(0), MH_TOKEN_BYTES);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static inline int
token_cmp(FunctionCallInfo fcinfo)
{
	return memcmp(PG_GETARG_TOKEN(0), PG_GETARG_TOKEN(1), MH_TOKEN_BYTES);
}

PG_FUNCTION_INFO_V1(mynumber_token_eq);
Datum
mynumber_token_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(token_cmp(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_ne);
Datum
mynumber_token_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(token_cmp(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_lt);
Datum
mynumber_token_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(token_cmp(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_le);
Datum
mynumber_token_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(token_cmp(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_gt);
Datum
mynumber_token_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(token_cmp(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_ge);
Datum
mynumber_token_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(token_cmp(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_cmp);
Datum
mynumber_token_cmp(PG_FUNCTION_ARGS)
{
	int			c = token_cmp(fcinfo);

	PG_RETURN_INT32(c < 0 ? -1 : c > 0 ? 1 : 0);
}

PG_FUNCTION_INFO_V1(mynumber_token_hash);
Datum
mynumber_token_hash(PG_FUNCTION_ARGS)
{
	return hash_any(PG_GETARG_TOKEN(0), MH_TOKEN_BYTES);
}

PG_FUNCTION_INFO_V1(mynumber_token_hash_extended);
Datum
mynumber_token_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended(PG_GETARG_TOKEN(0), MH_TOKEN_BYTES, PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(mynumber_token_key_version);
Datum
mynumber_token_key_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_TOKEN(0)[0]);
}

PG_FUNCTION_INFO_V1(mynumber_tokenize);
Datum
mynumber_tokenize(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_POINTER(tokenize_with(t, mh_keyring_active()));
}

PG_FUNCTION_INFO_V1(mynumber_tokenize_version);
Datum
mynumber_tokenize_version(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_POINTER(tokenize_with(t, mh_keyring_version(PG_GETARG_INT32(1))));
}

PG_FUNCTION_INFO_V1(mynumber_tokenize_all);
Datum
mynumber_tokenize_all(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	Oid			elemtype;
	int			versions[MH_KEY_VERSION_MAX];
	int			active;
	int			n;
	char		digits[MH_MYNUMBER_DIGITS];
	Datum	   *elems;

	elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	if (!OidIsValid(elemtype))
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INTERNAL_ERROR),
							  errmsg_internal("could not determine the element type of the result")));
	n = mh_keyring_list(versions, &active);
	mh_mynumber_from_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), digits);
	elems = palloc(sizeof(Datum) * n);
	/* the active version first (the likeliest match), then newest to oldest */
	elems[0] = PointerGetDatum(palloc(MH_TOKEN_BYTES));
	mh_token_compute(&mh_keyring_version(active)->token, digits, DatumGetToken(elems[0]));
	for (int i = n - 1, k = 1; i >= 0; i--)
	{
		if (versions[i] == active)
			continue;
		elems[k] = PointerGetDatum(palloc(MH_TOKEN_BYTES));
		mh_token_compute(&mh_keyring_version(versions[i])->token, digits,
						 DatumGetToken(elems[k]));
		k++;
	}
	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, elemtype, MH_TOKEN_BYTES,
										  false, TYPALIGN_CHAR));
}

PG_FUNCTION_INFO_V1(mynumber_last4);
Datum
mynumber_last4(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		digits[MH_MYNUMBER_DIGITS];
	text	   *r;

	mh_mynumber_from_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), digits);
	r = cstring_to_text_with_len(digits + MH_MYNUMBER_DIGITS - 4, 4);
	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_TEXT_P(r);
}

PG_FUNCTION_INFO_V1(mynumber_keyring_versions);
Datum
mynumber_keyring_versions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			versions[MH_KEY_VERSION_MAX];
	int			active;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = mh_keyring_list(versions, &active);
	for (int i = 0; i < n; i++)
	{
		const mh_loaded_key *k = mh_keyring_version(versions[i]);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		char		hex[2 * MH_FINGERPRINT_BYTES + 1];

		for (int b = 0; b < MH_FINGERPRINT_BYTES; b++)
			snprintf(hex + 2 * b, 3, "%02x", k->fingerprint[b]);
		values[0] = Int32GetDatum(versions[i]);
		values[1] = BoolGetDatum(versions[i] == active);
		values[2] = CStringGetTextDatum(hex);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
