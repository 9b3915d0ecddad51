/*
 * x509verify.c: JPKI (公的個人認証) certificate verdicts with libcrypto.
 *
 * OpenSSL does the chain (depth 0 to a pinned anchor), signature and
 * validity checks with no CRL flags; this file adds the JPKI policy and key
 * usage checks and maps OpenSSL's errors to a small set of outcomes.
 * Revocation is left to the caller as a keyed look-up: OpenSSL's CRL check
 * re-verifies the whole CRL on every call and refuses a CRL not current at
 * the verification time (see crypto-notes.md).
 */
#include "x509verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/opensslconf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/*
 * The verdict path parses certificates with OpenSSL's legacy RSA key
 * decoder (see parse_cert_for_verdict); it needs the ENGINE API, which
 * OpenSSL 3 deprecates and builds without ENGINE support leave out.
 */
#if !defined(OPENSSL_NO_ENGINE) && !defined(OPENSSL_NO_DEPRECATED_3_0)
#define MH_LEGACY_KEY_DECODE 1
#include <openssl/engine.h>
#endif

const char *const mh_cert_outcome_names[MH_CERT_OUTCOME_COUNT] = {
	"valid", "expired", "not_yet_valid", "revoked", "untrusted_issuer",
	"bad_signature", "wrong_usage", "malformed", "signature_mismatch"
};

const char *const mh_key_usage_names[MH_KU_COUNT] = {
	"digitalSignature", "nonRepudiation", "keyEncipherment",
	"dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
	"encipherOnly", "decipherOnly"
};

/* OpenSSL's KU_* flags in the order of mh_key_usage_names. */
static const uint32_t ku_flags[MH_KU_COUNT] = {
	KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT,
	KU_DATA_ENCIPHERMENT, KU_KEY_AGREEMENT, KU_KEY_CERT_SIGN, KU_CRL_SIGN,
	KU_ENCIPHER_ONLY, KU_DECIPHER_ONLY
};

typedef struct mh_anchor
{
	X509	   *cert;
	mh_cert_usage usage;
	int64_t		id;
	unsigned char key_id[MH_KEYID_MAXLEN];
	size_t		key_id_len;
	STACK_OF(X509) *alone;		/* just this anchor, as a trusted stack */
} mh_anchor;

struct mh_anchor_set
{
	X509_STORE *store[MH_USAGE_COUNT];
	ASN1_OBJECT *policy[MH_USAGE_COUNT];
	mh_anchor  *anchors;
	int			nanchors;
	int			capacity;
};

struct mh_crl
{
	X509_CRL   *crl;
	int64_t		anchor_id;
	unsigned char key_id[MH_KEYID_MAXLEN];
	size_t		key_id_len;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ASN1_TIME to Unix seconds; false when it is not a valid time. */
static bool
asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm	tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return false;
	*out = days_from_civil((int64_t) tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400
		+ tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/* Decimal text of an ASN.1 INTEGER; false when absent or too long. */
static bool
integer_to_decimal(const ASN1_INTEGER *i, char *out)
{
	BIGNUM	   *bn;
	char	   *dec;
	bool		ok = false;

	if (i == NULL || i->length > 32)
		return false;
	bn = ASN1_INTEGER_to_BN(i, NULL);
	if (bn == NULL)
		return false;
	dec = BN_bn2dec(bn);
	if (dec != NULL && strlen(dec) < MH_SERIAL_MAXLEN)
	{
		strcpy(out, dec);
		ok = true;
	}
	OPENSSL_free(dec);
	BN_free(bn);
	return ok;
}

/* RFC 2253 text of a name (non-ASCII escaped, so always ASCII). */
static bool
name_to_text(const X509_NAME *name, char *out, size_t outlen)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *p;
	long		n;
	bool		ok = false;

	if (bio == NULL)
		return false;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
	{
		n = BIO_get_mem_data(bio, &p);
		if (n >= 0)
		{
			if ((size_t) n >= outlen)
				n = (long) outlen - 1;
			memcpy(out, p, (size_t) n);
			out[n] = '\0';
			ok = true;
		}
	}
	BIO_free(bio);
	return ok;
}

/* Whether verdicts parse with the legacy RSA key decoder (see below). */
static bool legacy_key_decode = true;

void
mh_cert_set_legacy_key_decode(bool on)
{
	legacy_key_decode = on;
}

bool
mh_cert_legacy_key_decode_supported(void)
{
#ifdef MH_LEGACY_KEY_DECODE
	return true;
#else
	return false;
#endif
}

/* The whole buffer must be exactly one certificate. */
static X509 *
parse_cert(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509	   *x;

	if (der == NULL || len == 0 || len > MH_CERT_MAX_DER)
		return NULL;
	x = d2i_X509(NULL, &p, (long) len);
	if (x != NULL && p != der + len)
	{
		X509_free(x);
		return NULL;
	}
	return x;
}

#ifdef MH_LEGACY_KEY_DECODE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/*
 * OpenSSL 3.0's d2i_X509 decodes the subject public key eagerly, and for
 * keys no ENGINE claims it builds a provider decoder chain per call
 * (OSSL_DECODER_CTX_new_for_pkey: about 1,100 allocations and most of the
 * cost of verifying a JPKI certificate).  When an ENGINE is registered
 * for the key type, x509_pubkey_decode takes the legacy decoder
 * (rsa_pub_decode) instead, which does the same RSAPublicKey parse in a
 * few allocations.  This ENGINE exists only for that: it is registered
 * around one d2i_X509 call and unregistered right after, so no other code
 * in the process ever sees it; if anything asked it for a method, it
 * would hand out OpenSSL's built-in RSA method.
 */
static ENGINE *legacy_rsa_engine = NULL;
static bool legacy_rsa_engine_failed = false;
static const int legacy_rsa_nids[] = {EVP_PKEY_RSA};

static int
legacy_rsa_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids,
					  int nid)
{
	(void) e;
	if (pmeth == NULL)
	{
		*nids = legacy_rsa_nids;
		return 1;
	}
	*pmeth = nid == EVP_PKEY_RSA ? (EVP_PKEY_METHOD *) EVP_PKEY_meth_find(nid) : NULL;
	return *pmeth != NULL;
}

/* The process-wide ENGINE, made once; NULL when it cannot be made. */
static ENGINE *
get_legacy_rsa_engine(void)
{
	ENGINE	   *e;

	if (legacy_rsa_engine != NULL || legacy_rsa_engine_failed)
		return legacy_rsa_engine;
	e = ENGINE_new();
	if (e == NULL ||
		!ENGINE_set_id(e, "mynahoken-legacy-rsa-decode") ||
		!ENGINE_set_name(e, "mynahoken: legacy RSA public key decoding for d2i_X509") ||
		!ENGINE_set_pkey_meths(e, legacy_rsa_pkey_meths))
	{
		ENGINE_free(e);
		legacy_rsa_engine_failed = true;
		return NULL;
	}
	legacy_rsa_engine = e;
	return e;
}
#endif

/*
 * As parse_cert, for certificates whose own public key is never used (a
 * verdict needs only the anchor's key): the same d2i_X509, with the
 * end-entity RSA key decoded by OpenSSL's legacy decoder.  The key is
 * still decoded and a certificate that parses one way parses the other
 * way; only the cost differs.  Falls back to parse_cert without ENGINE
 * support.
 */
static X509 *
parse_cert_for_verdict(const unsigned char *der, size_t len)
{
#ifdef MH_LEGACY_KEY_DECODE
	ENGINE	   *e;
	X509	   *x;

	if (!legacy_key_decode)
		return parse_cert(der, len);
	e = get_legacy_rsa_engine();
	if (e == NULL || !ENGINE_register_pkey_meths(e))
	{
		ERR_clear_error();
		return parse_cert(der, len);
	}
	x = parse_cert(der, len);
	ENGINE_unregister_pkey_meths(e);
	return x;
#else
	return parse_cert(der, len);
#endif
}

#ifdef MH_LEGACY_KEY_DECODE
#pragma GCC diagnostic pop
#endif

/*
 * Key identifier of a CA: its subjectKeyIdentifier, or the SHA-1 of its
 * public key (RFC 5280 4.2.1.2 method 1) when it has none.
 */
static bool
ca_key_id(X509 *x, unsigned char *out, size_t *outlen)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	unsigned int n = 0;

	if (ski != NULL && ski->length > 0 && ski->length <= MH_KEYID_MAXLEN)
	{
		memcpy(out, ski->data, (size_t) ski->length);
		*outlen = (size_t) ski->length;
		return true;
	}
	if (!X509_pubkey_digest(x, EVP_sha1(), out, &n))
		return false;
	*outlen = n;
	return true;
}

mh_anchor_set *
mh_anchor_set_new(void)
{
	mh_anchor_set *set = calloc(1, sizeof(mh_anchor_set));
	int			u;

	if (set == NULL)
		return NULL;
	for (u = 0; u < MH_USAGE_COUNT; u++)
	{
		set->store[u] = X509_STORE_new();
		if (set->store[u] == NULL)
			goto fail;
	}
	set->policy[MH_USAGE_AUTHENTICATION] = OBJ_txt2obj(MH_JPKI_POLICY_AUTHENTICATION, 1);
	set->policy[MH_USAGE_SIGNATURE] = OBJ_txt2obj(MH_JPKI_POLICY_SIGNATURE, 1);
	if (set->policy[0] == NULL || set->policy[1] == NULL)
		goto fail;
	for (u = 0; u < MH_USAGE_COUNT; u++)
	{
		X509_VERIFY_PARAM *param = X509_STORE_get0_param(set->store[u]);
		STACK_OF(ASN1_OBJECT) *pols = sk_ASN1_OBJECT_new_null();
		bool		ok;

		/*
		 * JPKI roots issue end-entity certificates directly (depth 0).
		 * RFC 5280 policy processing with the usage's JPKI policy as the
		 * only acceptable policy, required to be present (explicit
		 * policy): a certificate listing a policy twice fails it
		 * (RFC 5280 4.2.1.4; cf. CVE-2023-0465).
		 */
		ok = pols != NULL && sk_ASN1_OBJECT_push(pols, set->policy[u]) > 0 &&
			X509_VERIFY_PARAM_set1_policies(param, pols) &&
			X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_POLICY_CHECK |
										X509_V_FLAG_EXPLICIT_POLICY);
		sk_ASN1_OBJECT_free(pols);	/* set1 copied the objects */
		X509_VERIFY_PARAM_set_depth(param, 0);
		if (!ok)
			goto fail;
	}
	return set;

fail:
	mh_anchor_set_free(set);
	return NULL;
}

void
mh_anchor_set_free(mh_anchor_set *set)
{
	int			i;

	if (set == NULL)
		return;
	for (i = 0; i < MH_USAGE_COUNT; i++)
	{
		X509_STORE_free(set->store[i]);
		ASN1_OBJECT_free(set->policy[i]);
	}
	for (i = 0; i < set->nanchors; i++)
	{
		sk_X509_free(set->anchors[i].alone);
		X509_free(set->anchors[i].cert);
	}
	free(set->anchors);
	free(set);
}

int
mh_anchor_set_count(const mh_anchor_set *set)
{
	return set ? set->nanchors : 0;
}

mh_x509_status
mh_anchor_inspect(const unsigned char *der, size_t len, mh_anchor_info *info)
{
	X509	   *x = parse_cert(der, len);
	EVP_PKEY   *pkey;
	mh_x509_status st = MH_X509_OK;

	memset(info, 0, sizeof(*info));
	if (x == NULL)
		return MH_X509_MALFORMED;
	if (!integer_to_decimal(X509_get0_serialNumber(x), info->serial) ||
		!asn1_time_to_unix(X509_get0_notBefore(x), &info->not_before) ||
		!asn1_time_to_unix(X509_get0_notAfter(x), &info->not_after) ||
		!name_to_text(X509_get_subject_name(x), info->subject, sizeof(info->subject)) ||
		!ca_key_id(x, info->key_id, &info->key_id_len) ||
		!EVP_Digest(der, len, info->fingerprint, NULL, EVP_sha256(), NULL))
		st = MH_X509_MALFORMED;
	else if (X509_check_issued(x, x) != X509_V_OK)
		st = MH_X509_NOT_SELF_SIGNED;
	else if (X509_check_ca(x) != 1)
		st = MH_X509_NOT_CA;
	else if ((pkey = X509_get0_pubkey(x)) == NULL)
		st = MH_X509_MALFORMED;
	else if (X509_verify(x, pkey) != 1)
		st = MH_X509_BAD_SIGNATURE;
	X509_free(x);
	return st;
}

mh_x509_status
mh_anchor_set_add(mh_anchor_set *set, const unsigned char *der, size_t len,
				  mh_cert_usage usage, int64_t id)
{
	mh_anchor_info info;
	mh_x509_status st;
	mh_anchor  *a;
	X509	   *x;

	if (usage < 0 || usage >= MH_USAGE_COUNT)
		return MH_X509_MALFORMED;
	st = mh_anchor_inspect(der, len, &info);
	if (st != MH_X509_OK)
		return st;
	x = parse_cert(der, len);
	if (x == NULL)
		return MH_X509_NO_MEMORY;
	if (set->nanchors == set->capacity)
	{
		int			cap = set->capacity ? set->capacity * 2 : 8;
		mh_anchor  *n = realloc(set->anchors, sizeof(mh_anchor) * (size_t) cap);

		if (n == NULL)
		{
			X509_free(x);
			return MH_X509_NO_MEMORY;
		}
		set->anchors = n;
		set->capacity = cap;
	}
	a = &set->anchors[set->nanchors];
	a->alone = sk_X509_new_null();
	if (a->alone == NULL || sk_X509_push(a->alone, x) <= 0 ||
		!X509_STORE_add_cert(set->store[usage], x))
	{
		sk_X509_free(a->alone);
		X509_free(x);
		return MH_X509_NO_MEMORY;
	}
	set->nanchors++;
	a->cert = x;
	a->usage = usage;
	a->id = id;
	memcpy(a->key_id, info.key_id, info.key_id_len);
	a->key_id_len = info.key_id_len;
	return MH_X509_OK;
}

/*
 * Classes of X509_verify_cert errors, in the documented order of the
 * outcomes (malformed, untrusted issuer, bad signature, validity, usage):
 * the first class in this order that has an error decides the verdict,
 * whatever order OpenSSL met the errors in.  OpenSSL checks the root's
 * validity before the signature it puts on the certificate, so a tampered
 * certificate under an expired root would otherwise be "expired".
 */
typedef enum err_class
{
	EC_MALFORMED = 0,
	EC_UNTRUSTED,
	EC_SIGNATURE,
	EC_TIME,
	EC_USAGE,
	EC_COUNT
} err_class;

static err_class
class_of_error(int err)
{
	switch (err)
	{
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
			return EC_TIME;
		case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
		case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
			return EC_SIGNATURE;
		case X509_V_ERR_INVALID_PURPOSE:
		case X509_V_ERR_NO_EXPLICIT_POLICY:
			return EC_USAGE;
		case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
		case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
		case X509_V_ERR_INVALID_EXTENSION:
		case X509_V_ERR_INVALID_POLICY_EXTENSION:	/* e.g. a policy listed twice */
		case X509_V_ERR_INVALID_NON_CA:
			return EC_MALFORMED;
		default:
			return EC_UNTRUSTED;
	}
}

int
mh_cert_outcome_of_x509_error(int err)
{
	switch (class_of_error(err))
	{
		case EC_MALFORMED:
			return MH_CERT_MALFORMED;
		case EC_SIGNATURE:
			return MH_CERT_BAD_SIGNATURE;
		case EC_TIME:
			return err == X509_V_ERR_CERT_NOT_YET_VALID ?
				MH_CERT_NOT_YET_VALID : MH_CERT_EXPIRED;
		case EC_USAGE:
			return MH_CERT_WRONG_USAGE;
		default:
			return MH_CERT_UNTRUSTED_ISSUER;
	}
}

/* What one X509_verify_cert run saw: the first error of each class. */
typedef struct chain_run
{
	int64_t		at;
	int			err[EC_COUNT];	/* 0 when the class had no error */
	bool		out_of_memory;
	const mh_anchor *anchor;	/* the pinned root the chain ends at */
} chain_run;

/*
 * Verify callback: records each error and lets OpenSSL go on, so that
 * every check runs and the verdict follows the documented order.  The
 * validity period includes its notAfter second (RFC 5280 4.1.2.5), which
 * OpenSSL counts as expired; notBefore is inclusive in OpenSSL already.
 */
static int
chain_run_cb(int ok, X509_STORE_CTX *ctx)
{
	chain_run  *r = X509_STORE_CTX_get_app_data(ctx);
	int			err;
	int64_t		na;
	err_class	c;

	if (ok)
		return 1;
	err = X509_STORE_CTX_get_error(ctx);
	if (err == X509_V_OK)
		return 1;
	if (err == X509_V_ERR_OUT_OF_MEM)
	{
		r->out_of_memory = true;
		return 0;
	}
	if (err == X509_V_ERR_CERT_HAS_EXPIRED &&
		asn1_time_to_unix(X509_get0_notAfter(X509_STORE_CTX_get_current_cert(ctx)), &na) &&
		na == r->at)
		return 1;
	c = class_of_error(err);
	if (r->err[c] == 0)
		r->err[c] = err;
	return 1;
}

/* The anchor of a chain built by OpenSSL, when it is one of ours. */
static const mh_anchor *
chain_anchor(const mh_anchor_set *set, X509_STORE_CTX *ctx, mh_cert_usage usage)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	X509	   *top;
	int			i;

	/* An anchor presented as the certificate itself has a chain of one. */
	if (chain == NULL || sk_X509_num(chain) != 2)
		return NULL;
	top = sk_X509_value(chain, 1);
	for (i = 0; i < set->nanchors; i++)
	{
		const mh_anchor *a = &set->anchors[i];

		if (a->usage == usage && (a->cert == top || X509_cmp(a->cert, top) == 0))
			return a;
	}
	return NULL;
}

/* The first class with an error, EC_COUNT when there was none. */
static err_class
worst_class(const chain_run *r)
{
	int			c;

	for (c = 0; c < EC_COUNT; c++)
		if (r->err[c] != 0)
			return (err_class) c;
	return EC_COUNT;
}

/*
 * One X509_verify_cert run at time at against the anchors of a usage, or
 * against the one anchor only when only is given.  The store's parameters
 * (set once per store) ask for depth 0 and explicit policy checking with
 * the usage's JPKI policy as the acceptable set.  False when out of memory.
 */
static bool
run_chain(const mh_anchor_set *set, X509 *x, int64_t at, mh_cert_usage usage,
		  const mh_anchor *only, chain_run *r)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int			ret;

	memset(r, 0, sizeof(*r));
	r->at = at;
	if (ctx == NULL)
		return false;
	if (!X509_STORE_CTX_init(ctx, set->store[usage], x, NULL))
	{
		X509_STORE_CTX_free(ctx);
		return false;
	}
	if (only != NULL)
		X509_STORE_CTX_set0_trusted_stack(ctx, only->alone);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t) at);
	X509_STORE_CTX_set_app_data(ctx, r);
	X509_STORE_CTX_set_verify_cb(ctx, chain_run_cb);
	ret = X509_verify_cert(ctx);
	if (ret <= 0 && worst_class(r) == EC_COUNT && !r->out_of_memory)
	{
		/* failed without telling the callback: count it as untrusted */
		int			err = X509_STORE_CTX_get_error(ctx);

		if (err == X509_V_ERR_OUT_OF_MEM)
			r->out_of_memory = true;
		r->err[EC_UNTRUSTED] = err != X509_V_OK ? err : X509_V_ERR_UNSPECIFIED;
	}
	r->anchor = chain_anchor(set, ctx, usage);
	X509_STORE_CTX_free(ctx);
	return !r->out_of_memory;
}

/*
 * The run for a usage.  Generations of a root share a subject name, and
 * without an authorityKeyIdentifier OpenSSL picks one of them by name and
 * validity only; when that one's key does not verify the signature, each
 * other anchor of the usage with the issuer's name is tried in turn.
 */
static bool
best_run(const mh_anchor_set *set, X509 *x, int64_t at, mh_cert_usage usage,
		 chain_run *r)
{
	chain_run	alt;
	const mh_anchor *tried;
	int			i;

	if (!run_chain(set, x, at, usage, NULL, r))
		return false;
	if (worst_class(r) != EC_SIGNATURE)
		return true;
	tried = r->anchor;
	for (i = 0; i < set->nanchors; i++)
	{
		const mh_anchor *a = &set->anchors[i];

		if (a->usage != usage || a == tried ||
			X509_NAME_cmp(X509_get_subject_name(a->cert), X509_get_issuer_name(x)) != 0)
			continue;
		if (!run_chain(set, x, at, usage, a, &alt))
			return false;
		if (worst_class(&alt) > EC_SIGNATURE)
		{
			*r = alt;
			return true;
		}
	}
	return true;
}

/* Whether certificatePolicies lists policy itself (see usage_ok). */
static bool
has_policy(X509 *x, const ASN1_OBJECT *policy)
{
	int			loc = X509_get_ext_by_NID(x, NID_certificate_policies, -1);
	const ASN1_OCTET_STRING *data;
	const unsigned char *p,
			   *end;
	const unsigned char *want = OBJ_get0_data(policy);
	size_t		wantlen = OBJ_length(policy);
	long		len;
	int			tag,
				xclass;

	if (loc < 0 || (data = X509_EXTENSION_get_data(X509_get_ext(x, loc))) == NULL)
		return false;
	p = ASN1_STRING_get0_data(data);
	end = p + ASN1_STRING_length(data);
	if (ASN1_get_object(&p, &len, &tag, &xclass, end - p) & 0x80 ||
		tag != V_ASN1_SEQUENCE || len != end - p)
		return false;
	while (p < end)
	{
		const unsigned char *info;
		long		infolen;

		if (ASN1_get_object(&p, &infolen, &tag, &xclass, end - p) & 0x80 ||
			tag != V_ASN1_SEQUENCE)
			return false;
		info = p;
		p += infolen;
		if (ASN1_get_object(&info, &len, &tag, &xclass, p - info) & 0x80 ||
			tag != V_ASN1_OBJECT)
			return false;
		if ((size_t) len == wantlen && memcmp(info, want, wantlen) == 0)
			return true;
	}
	return false;
}

/* keyUsage and the literal JPKI policy required of a card certificate. */
static bool
usage_ok(const mh_anchor_set *set, X509 *x, mh_cert_usage usage)
{
	uint32_t	ku = X509_get_key_usage(x);
	uint32_t	need = KU_DIGITAL_SIGNATURE;

	if (usage == MH_USAGE_SIGNATURE)
		need |= KU_NON_REPUDIATION;
	/* UINT32_MAX means no keyUsage extension: not a JPKI certificate */
	if (ku == UINT32_MAX || (ku & need) != need)
		return false;
	/*
	 * A CA certificate is never a card's end-entity certificate: neither
	 * basicConstraints cA (which X509_check_ca does not report when
	 * keyUsage lacks keyCertSign) nor anything X509_check_ca counts as one.
	 */
	if ((X509_get_extension_flags(x) & EXFLAG_CA) != 0 || X509_check_ca(x) != 0)
		return false;

	/*
	 * OpenSSL's policy check accepts anyPolicy for the JPKI policy (RFC
	 * 5280 6.1.3); a card certificate names the policy itself.  The
	 * extension has passed OpenSSL's policy processing, so it is
	 * well-formed: its DER is walked in place (certificatePolicies ::=
	 * SEQUENCE OF SEQUENCE { policyIdentifier OID, ... }) rather than
	 * decoded into allocated structures once more.
	 */
	return has_policy(x, set->policy[usage]);
}
/* The whole verdict but the signature over data; x stays the caller's. */
static mh_x509_status
verify_parsed(const mh_anchor_set *set, X509 *x, int64_t at,
			  mh_cert_usage usage, mh_cert_verdict *v)
{
	chain_run	r;
	err_class	worst;

	v->has_serial = integer_to_decimal(X509_get0_serialNumber(x), v->serial);
	v->has_validity = asn1_time_to_unix(X509_get0_notBefore(x), &v->not_before) &&
		asn1_time_to_unix(X509_get0_notAfter(x), &v->not_after);
	if (!v->has_serial || !v->has_validity)
	{
		v->has_validity = false;
		return MH_X509_OK;		/* outcome stays malformed */
	}
	/* d2i_X509 keeps a certificate whose subject public key does not decode */
	if (X509_get0_pubkey(x) == NULL)
		return MH_X509_OK;		/* malformed */
	if (set == NULL || usage < 0 || usage >= MH_USAGE_COUNT)
	{
		v->outcome = MH_CERT_UNTRUSTED_ISSUER;
		return MH_X509_OK;
	}

	if (!best_run(set, x, at, usage, &r))
		return MH_X509_NO_MEMORY;
	worst = worst_class(&r);
	if (worst == EC_COUNT && r.anchor == NULL)
	{
		worst = EC_UNTRUSTED;	/* e.g. an anchor presented as itself */
		v->x509_error = 0;
	}
	else if (worst < EC_COUNT)
		v->x509_error = r.err[worst];
	v->outcome = worst == EC_COUNT ? MH_CERT_VALID :
		worst == EC_UNTRUSTED ? MH_CERT_UNTRUSTED_ISSUER :
		(mh_cert_outcome) mh_cert_outcome_of_x509_error(v->x509_error);

	/*
	 * Not issued by a root of this usage: a real certificate of the other
	 * usage (its root's key verifies it) is a usage error.
	 */
	if (worst == EC_UNTRUSTED)
	{
		chain_run	o;

		if (!best_run(set, x, at, 1 - usage, &o))
			return MH_X509_NO_MEMORY;
		if (o.anchor != NULL && worst_class(&o) > EC_SIGNATURE)
		{
			v->outcome = MH_CERT_WRONG_USAGE;
			v->x509_error = 0;
			v->other_usage = true;
		}
		return MH_X509_OK;
	}

	if (r.anchor != NULL && (worst == EC_COUNT || worst >= EC_TIME))
	{
		v->has_anchor = true;
		v->anchor_id = r.anchor->id;
		memcpy(v->issuer_key_id, r.anchor->key_id, r.anchor->key_id_len);
		v->issuer_key_id_len = r.anchor->key_id_len;
	}
	if (v->outcome == MH_CERT_VALID && !usage_ok(set, x, usage))
		v->outcome = MH_CERT_WRONG_USAGE;
	return MH_X509_OK;
}

mh_x509_status
mh_cert_verify(const mh_anchor_set *set, const unsigned char *der, size_t len,
			   int64_t at, mh_cert_usage usage, mh_cert_verdict *v)
{
	X509	   *x;
	mh_x509_status st;

	memset(v, 0, sizeof(*v));
	v->outcome = MH_CERT_MALFORMED;
	x = parse_cert_for_verdict(der, len);
	if (x != NULL)
	{
		st = verify_parsed(set, x, at, usage, v);
		X509_free(x);
	}
	else
		st = MH_X509_OK;
	/* leave no error of a rejected certificate in the thread's queue */
	if (ERR_peek_error() != 0)
		ERR_clear_error();
	return st;
}

mh_x509_status
mh_cert_verify_signature(const mh_anchor_set *set,
						 const unsigned char *der, size_t len,
						 int64_t at, mh_cert_usage usage,
						 const unsigned char *data, size_t datalen,
						 const unsigned char *sig, size_t siglen,
						 mh_cert_verdict *v)
{
	X509	   *x;
	mh_x509_status st;
	EVP_PKEY   *pkey;
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *pctx = NULL;

	memset(v, 0, sizeof(*v));
	v->outcome = MH_CERT_MALFORMED;
	x = parse_cert(der, len);
	if (x == NULL)
		return MH_X509_OK;
	st = verify_parsed(set, x, at, usage, v);
	if (st != MH_X509_OK || v->outcome != MH_CERT_VALID)
	{
		X509_free(x);
		return st;
	}

	v->signature_checked = true;
	pkey = X509_get0_pubkey(x);
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
	{
		X509_free(x);
		return MH_X509_OK;		/* JPKI keys are RSA: anything else mismatches */
	}
	md = EVP_MD_CTX_new();
	if (md == NULL)
	{
		X509_free(x);
		return MH_X509_NO_MEMORY;
	}
	if (EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) == 1 &&
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
		EVP_DigestVerify(md, sig, siglen, data, datalen) == 1)
		v->signature_ok = true;
	EVP_MD_CTX_free(md);
	X509_free(x);
	return MH_X509_OK;
}

const char *
mh_cert_verdict_detail(const mh_cert_verdict *v)
{
	if (v->x509_error != 0)
		return X509_verify_cert_error_string(v->x509_error);
	switch (v->outcome)
	{
		case MH_CERT_MALFORMED:
			return "not a well-formed DER X.509 certificate";
		case MH_CERT_UNTRUSTED_ISSUER:
			return "not issued by a trust anchor for this usage";
		case MH_CERT_WRONG_USAGE:
			if (v->other_usage)
				return "issued by a trust anchor for the other usage";
			return "not a JPKI end-entity certificate for this usage (policy, key usage or CA flag)";
		default:
			break;
	}
	if (v->signature_checked && !v->signature_ok)
		return "signature does not match the data";
	return NULL;
}

mh_x509_status
mh_cert_get_facts(const unsigned char *der, size_t len, mh_cert_facts *f)
{
	X509	   *x = parse_cert(der, len);
	const ASN1_OCTET_STRING *kid;
	CERTIFICATEPOLICIES *pol;
	uint32_t	ku;
	mh_x509_status st = MH_X509_OK;
	int			i;

	memset(f, 0, sizeof(*f));
	if (x == NULL)
		return MH_X509_MALFORMED;
	if (!integer_to_decimal(X509_get0_serialNumber(x), f->serial) ||
		!asn1_time_to_unix(X509_get0_notBefore(x), &f->not_before) ||
		!asn1_time_to_unix(X509_get0_notAfter(x), &f->not_after) ||
		!name_to_text(X509_get_issuer_name(x), f->issuer, sizeof(f->issuer)) ||
		!name_to_text(X509_get_subject_name(x), f->subject, sizeof(f->subject)) ||
		!EVP_Digest(der, len, f->fingerprint, NULL, EVP_sha256(), NULL))
	{
		X509_free(x);
		return MH_X509_MALFORMED;
	}

	ku = X509_get_key_usage(x);
	if (ku != UINT32_MAX)
	{
		f->has_key_usage = true;
		for (i = 0; i < MH_KU_COUNT; i++)
			if (ku & ku_flags[i])
				f->key_usage |= (uint32_t) 1 << i;
	}
	if ((kid = X509_get0_subject_key_id(x)) != NULL &&
		kid->length > 0 && kid->length <= MH_KEYID_MAXLEN)
	{
		memcpy(f->subject_key_id, kid->data, (size_t) kid->length);
		f->subject_key_id_len = (size_t) kid->length;
	}
	if ((kid = X509_get0_authority_key_id(x)) != NULL &&
		kid->length > 0 && kid->length <= MH_KEYID_MAXLEN)
	{
		memcpy(f->authority_key_id, kid->data, (size_t) kid->length);
		f->authority_key_id_len = (size_t) kid->length;
	}
	pol = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	for (i = 0; pol != NULL && i < sk_POLICYINFO_num(pol) && i < MH_MAX_POLICIES; i++)
	{
		POLICYINFO *pi = sk_POLICYINFO_value(pol, i);
		int			n = OBJ_obj2txt(f->policies[f->npolicies], MH_OID_MAXLEN,
									pi->policyid, 1);

		if (n > 0 && n < MH_OID_MAXLEN)
			f->npolicies++;
	}
	CERTIFICATEPOLICIES_free(pol);
	X509_free(x);
	return st;
}

mh_x509_status
mh_cert_personal_data(const unsigned char *der, size_t len, mh_personal_data *pd)
{
	static const char *const oids[MH_PII_FIELDS] = {
		"1.2.392.200149.8.5.5.1", "1.2.392.200149.8.5.5.2",
		"1.2.392.200149.8.5.5.3", "1.2.392.200149.8.5.5.4",
		"1.2.392.200149.8.5.5.5", "1.2.392.200149.8.5.5.6"
	};
	X509	   *x = parse_cert(der, len);
	GENERAL_NAMES *names;
	int			i,
				k;

	memset(pd, 0, sizeof(*pd));
	if (x == NULL)
		return MH_X509_MALFORMED;
	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++)
	{
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char		oid[MH_OID_MAXLEN];
		ASN1_TYPE  *val;
		int			n;

		if (gn->type != GEN_OTHERNAME)
			continue;
		n = OBJ_obj2txt(oid, sizeof(oid), gn->d.otherName->type_id, 1);
		if (n <= 0 || n >= (int) sizeof(oid))
			continue;
		val = gn->d.otherName->value;
		if (val == NULL)
			continue;
		switch (val->type)
		{
			case V_ASN1_UTF8STRING:
			case V_ASN1_PRINTABLESTRING:
			case V_ASN1_IA5STRING:
			case V_ASN1_VISIBLESTRING:
				break;
			default:
				continue;
		}
		for (k = 0; k < MH_PII_FIELDS; k++)
		{
			const ASN1_STRING *s = val->value.asn1_string;

			if (strcmp(oid, oids[k]) != 0 || pd->present[k] || s == NULL ||
				s->length < 0 || s->length >= MH_PII_MAXLEN)
				continue;
			memcpy(pd->value[k], s->data, (size_t) s->length);
			pd->value[k][s->length] = '\0';
			pd->len[k] = (size_t) s->length;
			pd->present[k] = true;
		}
	}
	GENERAL_NAMES_free(names);
	X509_free(x);
	return MH_X509_OK;
}

mh_x509_status
mh_crl_open(const mh_anchor_set *set, const unsigned char *der, size_t len,
			mh_crl **out)
{
	const unsigned char *p = der;
	X509_CRL   *crl;
	const ASN1_OCTET_STRING *akid = NULL;
	AUTHORITY_KEYID *ak;
	bool		name_seen = false;
	int			i;

	*out = NULL;
	if (der == NULL || len == 0 || len > (size_t) 0x3fffffff)
		return MH_X509_MALFORMED;
	crl = d2i_X509_CRL(NULL, &p, (long) len);
	if (crl == NULL)
		return MH_X509_MALFORMED;
	if (p != der + len)
	{
		X509_CRL_free(crl);
		return MH_X509_MALFORMED;
	}
	ak = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	if (ak != NULL)
		akid = ak->keyid;

	for (i = 0; set != NULL && i < set->nanchors; i++)
	{
		const mh_anchor *a = &set->anchors[i];
		EVP_PKEY   *pkey;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(a->cert)) != 0)
			continue;
		name_seen = true;
		if (akid != NULL && ((size_t) akid->length != a->key_id_len ||
							 memcmp(akid->data, a->key_id, a->key_id_len) != 0))
			continue;
		pkey = X509_get0_pubkey(a->cert);
		if (pkey != NULL && X509_CRL_verify(crl, pkey) == 1)
		{
			mh_crl	   *c = calloc(1, sizeof(mh_crl));

			AUTHORITY_KEYID_free(ak);
			if (c == NULL)
			{
				X509_CRL_free(crl);
				return MH_X509_NO_MEMORY;
			}
			c->crl = crl;
			c->anchor_id = a->id;
			memcpy(c->key_id, a->key_id, a->key_id_len);
			c->key_id_len = a->key_id_len;
			*out = c;
			return MH_X509_OK;
		}
	}
	AUTHORITY_KEYID_free(ak);
	X509_CRL_free(crl);
	return name_seen ? MH_X509_BAD_SIGNATURE : MH_X509_UNKNOWN_ISSUER;
}

void
mh_crl_free(mh_crl *crl)
{
	if (crl == NULL)
		return;
	X509_CRL_free(crl->crl);
	free(crl);
}

int
mh_crl_count(const mh_crl *crl)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl->crl);

	return revs ? sk_X509_REVOKED_num(revs) : 0;
}

int64_t
mh_crl_anchor_id(const mh_crl *crl)
{
	return crl->anchor_id;
}

size_t
mh_crl_issuer_key_id(const mh_crl *crl, const unsigned char **key_id)
{
	*key_id = crl->key_id;
	return crl->key_id_len;
}

bool
mh_crl_times(const mh_crl *crl, int64_t *this_update, int64_t *next_update,
			 bool *has_next)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl->crl);

	*next_update = 0;
	*has_next = next != NULL;
	if (!asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl->crl), this_update))
		return false;
	return next == NULL || asn1_time_to_unix(next, next_update);
}

bool
mh_crl_is_delta(const mh_crl *crl)
{
	return X509_CRL_get_ext_by_NID(crl->crl, NID_delta_crl, -1) >= 0;
}

bool
mh_crl_entry(const mh_crl *crl, int i, char *serial, int64_t *revoked_at,
			 int *reason)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl->crl);
	X509_REVOKED *r;
	ASN1_ENUMERATED *e;
	int			crit = 0;

	if (revs == NULL || i < 0 || i >= sk_X509_REVOKED_num(revs))
		return false;
	r = sk_X509_REVOKED_value(revs, i);
	if (!integer_to_decimal(X509_REVOKED_get0_serialNumber(r), serial) ||
		!asn1_time_to_unix(X509_REVOKED_get0_revocationDate(r), revoked_at))
		return false;
	*reason = -1;
	e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	if (e != NULL)
	{
		long		code = ASN1_ENUMERATED_get(e);

		if (code >= 0 && code <= 10 && mh_crl_reason_name((int) code) != NULL)
			*reason = (int) code;
		ASN1_ENUMERATED_free(e);
	}
	return true;
}

const char *
mh_crl_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold", NULL,
		"removeFromCRL", "privilegeWithdrawn", "aACompromise"
	};

	if (reason < 0 || reason > 10)
		return NULL;
	return names[reason];
}
