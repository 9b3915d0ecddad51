/*
 * seal.c: reversible, deterministic sealing of My Numbers with AES-256-SIV
 * (RFC 5297, OpenSSL 3 default provider).
 *
 * SIV is deterministic: one number under one key version always seals to
 * the same value, so sealed values compare for equality, index and join
 * like tokens, while unseal() recovers the number for the few roles that
 * must submit it onward.  The associated data binds the domain label and
 * the version byte, so a value cannot be re-labelled with another version.
 * The cipher is fetched once per backend; each call uses its own
 * EVP_CIPHER_CTX, freed before any error is raised.
 */
#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "keyring.h"
#include "mynahoken.h"
#include "mynumber_text.h"
#include "seal.h"
#include "token.h"

#define DatumGetSealed(d) ((unsigned char *) DatumGetPointer(d))
#define PG_GETARG_SEALED(n) DatumGetSealed(PG_GETARG_DATUM(n))

static EVP_CIPHER *siv_cipher = NULL;

static EVP_CIPHER *
mh_siv_cipher(void)
{
	if (siv_cipher == NULL)
	{
		siv_cipher = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL);
		if (siv_cipher == NULL)
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								  errmsg("AES-256-SIV is not available in this OpenSSL"),
								  errhint("Sealing needs OpenSSL 3 with the default provider.")));
	}
	return siv_cipher;
}

static void
make_aad(unsigned char aad[sizeof(MH_SEAL_AAD) + 1], int version)
{
	memcpy(aad, MH_SEAL_AAD, sizeof(MH_SEAL_AAD));
	aad[sizeof(MH_SEAL_AAD)] = (unsigned char) version;
}

/* Seal 12 digits under key k into out[MH_SEALED_BYTES]. */
static void
mh_seal_digits(const mh_loaded_key *k, const char digits[MH_MYNUMBER_DIGITS], unsigned char *out)
{
	EVP_CIPHER *cipher = mh_siv_cipher();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char aad[sizeof(MH_SEAL_AAD) + 1];
	int			len = 0,
				flen = 0;
	bool		ok;

	make_aad(aad, k->version);
	out[0] = (unsigned char) k->version;
	ok = ctx != NULL &&
		EVP_EncryptInit_ex2(ctx, cipher, k->seal, NULL, NULL) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &len, aad, sizeof(aad)) == 1 &&
		EVP_EncryptUpdate(ctx, out + 1 + MH_SIV_TAG_BYTES, &len,
						  (const unsigned char *) digits, MH_MYNUMBER_DIGITS) == 1 &&
		len == MH_MYNUMBER_DIGITS &&
		EVP_EncryptFinal_ex(ctx, out + 1 + MH_SIV_TAG_BYTES + len, &flen) == 1 &&
		flen == 0 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, MH_SIV_TAG_BYTES, out + 1) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
							  errmsg("could not seal a My Number with AES-256-SIV")));
}

/* Unseal into digits; errors if the value does not authenticate. */
void
mh_unseal_digits(const unsigned char *in, char digits[MH_MYNUMBER_DIGITS])
{
	const mh_loaded_key *k = mh_keyring_version(in[0]);
	EVP_CIPHER *cipher = mh_siv_cipher();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char aad[sizeof(MH_SEAL_AAD) + 1];
	int			len = 0,
				flen = 0;
	bool		ok;

	make_aad(aad, in[0]);
	ok = ctx != NULL &&
		EVP_DecryptInit_ex2(ctx, cipher, k->seal, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, MH_SIV_TAG_BYTES,
							(void *) (in + 1)) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &len, aad, sizeof(aad)) == 1 &&
		EVP_DecryptUpdate(ctx, (unsigned char *) digits, &len,
						  in + 1 + MH_SIV_TAG_BYTES, MH_MYNUMBER_DIGITS) == 1 &&
		len == MH_MYNUMBER_DIGITS &&
		EVP_DecryptFinal_ex(ctx, (unsigned char *) digits + len, &flen) == 1 &&
		flen == 0;
	EVP_CIPHER_CTX_free(ctx);
	if (ok)
		ok = mh_mynumber_normalize(digits, MH_MYNUMBER_DIGITS, digits, NULL) == MH_MYNUMBER_OK;
	if (!ok)
	{
		OPENSSL_cleanse(digits, MH_MYNUMBER_DIGITS);
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_DATA_EXCEPTION),
							  errmsg("sealed My Number does not authenticate under key version %d", in[0]),
							  errdetail("The value was altered, or the keyring's key of this version is not "
									    "the one it was sealed with.")));
	}
}

PG_FUNCTION_INFO_V1(mynumber_sealed_in);
Datum
mynumber_sealed_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	unsigned char *v = palloc(MH_SEALED_BYTES);
	mh_vtext_status st;

	st = mh_vtext_parse(MH_SEALED_PREFIX, s, strlen(s), v, MH_SEALED_BYTES - 1);
	if (st != MH_VTEXT_OK)
		mh_vtext_invalid("mynumber_sealed", st);
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_out);
Datum
mynumber_sealed_out(PG_FUNCTION_ARGS)
{
	char	   *buf = palloc(MH_VTEXT_MAX);

	mh_vtext_format(MH_SEALED_PREFIX, PG_GETARG_SEALED(0), MH_SEALED_BYTES - 1, buf);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_recv);
Datum
mynumber_sealed_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	unsigned char *v;

	if (buf->len - buf->cursor != MH_SEALED_BYTES)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							  errmsg("invalid binary representation of type %s", "mynumber_sealed"),
							  errdetail("A sealed My Number is %d bytes, not %d.", MH_SEALED_BYTES,
									    buf->len - buf->cursor)));
	v = palloc(MH_SEALED_BYTES);
	pq_copymsgbytes(buf, (char *) v, MH_SEALED_BYTES);
	if (v[0] == 0)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							  errmsg("invalid binary representation of type %s", "mynumber_sealed"),
							  errdetail("Key version 0 does not exist.")));
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_send);
Datum
mynumber_sealed_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, (char *) PG_GETARG_SEALED(0), MH_SEALED_BYTES);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static inline int
sealed_cmp(FunctionCallInfo fcinfo)
{
	return memcmp(PG_GETARG_SEALED(0), PG_GETARG_SEALED(1), MH_SEALED_BYTES);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_eq);
Datum
mynumber_sealed_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sealed_cmp(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_ne);
Datum
mynumber_sealed_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sealed_cmp(fcinfo) != 0);
}

/*
 * Byte order of sealed values (issue 17): a total order consistent with
 * equality, for a btree index, ORDER BY, merge joins and distribution
 * columns that need a btree class (Citus).  The SIV is pseudo-random, so the
 * order says nothing about the numbers.
 */
PG_FUNCTION_INFO_V1(mynumber_sealed_lt);
Datum
mynumber_sealed_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sealed_cmp(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_le);
Datum
mynumber_sealed_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sealed_cmp(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_gt);
Datum
mynumber_sealed_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sealed_cmp(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_ge);
Datum
mynumber_sealed_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sealed_cmp(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_cmp);
Datum
mynumber_sealed_cmp(PG_FUNCTION_ARGS)
{
	int			c = sealed_cmp(fcinfo);

	PG_RETURN_INT32(c < 0 ? -1 : c > 0 ? 1 : 0);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_hash);
Datum
mynumber_sealed_hash(PG_FUNCTION_ARGS)
{
	return hash_any(PG_GETARG_SEALED(0), MH_SEALED_BYTES);
}

PG_FUNCTION_INFO_V1(mynumber_sealed_hash_extended);
Datum
mynumber_sealed_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended(PG_GETARG_SEALED(0), MH_SEALED_BYTES, PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(mynumber_sealed_key_version);
Datum
mynumber_sealed_key_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_SEALED(0)[0]);
}

PG_FUNCTION_INFO_V1(mynumber_seal);
Datum
mynumber_seal(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		digits[MH_MYNUMBER_DIGITS];
	unsigned char *v = palloc(MH_SEALED_BYTES);
	const mh_loaded_key *k = mh_keyring_active();

	mh_mynumber_from_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), digits);
	mh_seal_digits(k, digits, v);
	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(mynumber_unseal);
Datum
mynumber_unseal(PG_FUNCTION_ARGS)
{
	char		digits[MH_MYNUMBER_DIGITS];
	text	   *r;

	mh_unseal_digits(PG_GETARG_SEALED(0), digits);
	r = cstring_to_text_with_len(digits, MH_MYNUMBER_DIGITS);
	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_TEXT_P(r);
}

PG_FUNCTION_INFO_V1(mynumber_reseal);
Datum
mynumber_reseal(PG_FUNCTION_ARGS)
{
	unsigned char *in = PG_GETARG_SEALED(0);
	const mh_loaded_key *k = mh_keyring_active();
	char		digits[MH_MYNUMBER_DIGITS];
	unsigned char *v;

	if (in[0] == k->version)
		PG_RETURN_POINTER(in);
	v = palloc(MH_SEALED_BYTES);
	mh_unseal_digits(in, digits);
	mh_seal_digits(k, digits, v);
	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(mynumber_tokenize_sealed);
Datum
mynumber_tokenize_sealed(PG_FUNCTION_ARGS)
{
	unsigned char *in = PG_GETARG_SEALED(0);
	const mh_loaded_key *k = mh_keyring_active();
	char		digits[MH_MYNUMBER_DIGITS];
	unsigned char *tok = palloc(MH_TOKEN_BYTES);

	mh_unseal_digits(in, digits);
	mh_token_compute(&k->token, digits, tok);
	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_POINTER(tok);
}
