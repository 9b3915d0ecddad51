/*
 * test_x509.c: unit tests of src/core/x509verify over the committed JPKI
 * fixtures (test/fixtures/jpki, read relative to the repository root).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/opensslconf.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#if !defined(OPENSSL_NO_ENGINE) && !defined(OPENSSL_NO_DEPRECATED_3_0)
#define TEST_ENGINE_TABLE 1
#include <openssl/engine.h>
#endif

#include "unit.h"
#include "x509verify.h"

#define FX "test/fixtures/jpki/"

/* Whole file into a malloc'd buffer; exits when missing. */
static unsigned char *
slurp(const char *name, size_t *len)
{
	char		path[256];
	FILE	   *f;
	unsigned char *buf;
	long		n;

	snprintf(path, sizeof(path), FX "%s", name);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
	{
		printf("cannot read %s\n", path);
		exit(2);
	}
	rewind(f);
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
		exit(2);
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static void
add(mh_anchor_set *set, const char *name, mh_cert_usage u, int64_t id)
{
	size_t		len;
	unsigned char *der = slurp(name, &len);

	CHECK_INT(mh_anchor_set_add(set, der, len, u, id), MH_X509_OK, name);
	free(der);
}

/* Verdict of fixture name at Unix time at for usage u. */
static mh_cert_outcome
verdict(mh_anchor_set *set, const char *name, int64_t at, mh_cert_usage u,
		mh_cert_verdict *v)
{
	size_t		len;
	unsigned char *der = slurp(name, &len);
	mh_cert_verdict local;

	if (v == NULL)
		v = &local;
	CHECK_INT(mh_cert_verify(set, der, len, at, u, v), MH_X509_OK, name);
	free(der);
	return v->outcome;
}

#define T_2022 1654041600		/* 2022-06-01 00:00:00 UTC */
#define T_2025_06 1748736000	/* 2025-06-01 00:00:00 UTC */
#define T_2026 1767225600		/* 2026-01-01 00:00:00 UTC */
#define T_2030 1893456000		/* 2030-01-01 00:00:00 UTC */

int
main(void)
{
	mh_anchor_set *set = mh_anchor_set_new();
	mh_cert_verdict v;
	mh_anchor_info info;
	mh_cert_facts facts;
	mh_personal_data pd;
	mh_crl	   *crl;
	unsigned char *der,
			   *data,
			   *sig;
	size_t		len,
				dlen,
				slen;
	char		serial[MH_SERIAL_MAXLEN];
	int64_t		at;
	int			reason;

	CHECK(set != NULL, "anchor set created");
	add(set, "auth-root-g1.der", MH_USAGE_AUTHENTICATION, 1);
	add(set, "auth-root-g2.der", MH_USAGE_AUTHENTICATION, 2);
	add(set, "sign-root-g2.der", MH_USAGE_SIGNATURE, 3);
	CHECK_INT(mh_anchor_set_count(set), 3, "three anchors");

	/* anchors: an end-entity certificate is not one */
	der = slurp("auth-ee.der", &len);
	CHECK_INT(mh_anchor_inspect(der, len, &info), MH_X509_NOT_SELF_SIGNED,
			  "an end-entity certificate is not a trust anchor");
	free(der);
	der = slurp("auth-root-g2.der", &len);
	CHECK_INT(mh_anchor_inspect(der, len, &info), MH_X509_OK, "root g2 inspects");
	CHECK_INT(info.key_id_len, 20, "root g2 has a 20-byte key id");
	CHECK_INT(info.not_before, 1554076800, "root g2 starts 2019-04-01");
	CHECK_INT(mh_anchor_inspect(der, len / 2, &info), MH_X509_MALFORMED, "half a root is malformed");
	free(der);

	/* outcomes */
	CHECK_INT(verdict(set, "auth-ee.der", T_2026, MH_USAGE_AUTHENTICATION, &v), MH_CERT_VALID, "auth-ee valid in 2026");
	CHECK_STR(v.serial, "1714946", "auth-ee serial 0x1A2B02 in decimal");
	CHECK_INT(v.anchor_id, 2, "auth-ee issued by anchor 2");
	CHECK_INT(v.issuer_key_id_len, 20, "issuer key id is 20 bytes");
	CHECK_INT(verdict(set, "auth-ee.der", T_2030, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_EXPIRED, "auth-ee expired in 2030");
	CHECK_INT(verdict(set, "auth-ee.der", 1861920000, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_VALID, "auth-ee valid at its notAfter second (inclusive)");
	CHECK_INT(verdict(set, "auth-ee.der", 1861920001, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_EXPIRED, "auth-ee expired one second after notAfter");
	CHECK_INT(verdict(set, "auth-ee.der", 1717200000, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_VALID, "auth-ee valid at its notBefore second");
	CHECK_INT(verdict(set, "auth-ee.der", 1717199999, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_NOT_YET_VALID, "auth-ee not yet valid one second before notBefore");
	CHECK_INT(verdict(set, "auth-ee.der", T_2022, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_NOT_YET_VALID, "auth-ee not yet valid in 2022");
	CHECK_INT(verdict(set, "auth-ee.der", T_2026, MH_USAGE_SIGNATURE, &v), MH_CERT_WRONG_USAGE, "auth-ee, issued by an authentication root, has the wrong usage for signature");
	CHECK(v.other_usage && !v.has_anchor, "the verdict says the other usage's root issued it, and names no anchor of this usage");
	CHECK_INT(verdict(set, "auth-tampered.der", T_2026, MH_USAGE_SIGNATURE, NULL), MH_CERT_UNTRUSTED_ISSUER, "a tampered authentication certificate is untrusted for signature (no root's key verifies it)");
	CHECK_INT(verdict(set, "auth-ee-g1.der", T_2022, MH_USAGE_AUTHENTICATION, &v), MH_CERT_VALID, "g1 certificate valid as of 2022");
	CHECK_INT(v.anchor_id, 1, "g1 certificate issued by anchor 1");
	CHECK_INT(verdict(set, "auth-ee-g1.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_EXPIRED, "g1 certificate expired in 2026");
	CHECK_INT(verdict(set, "auth-ee-g1-late.der", T_2025_06, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_VALID, "late g1 certificate valid in mid-2025");
	CHECK_INT(verdict(set, "auth-ee-g1-late.der", T_2026, MH_USAGE_AUTHENTICATION, &v), MH_CERT_EXPIRED, "late g1 certificate expired with its root in 2026");
	CHECK_INT(verdict(set, "auth-expired.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_EXPIRED, "auth-expired expired");
	CHECK_INT(verdict(set, "auth-notyet.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_NOT_YET_VALID, "auth-notyet not yet valid");
	CHECK_INT(verdict(set, "auth-wrongpolicy.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "wrong policy");
	CHECK_INT(verdict(set, "auth-wrongku.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "wrong key usage");
	CHECK_INT(verdict(set, "auth-ca.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "a CA certificate is not a card certificate");
	CHECK_INT(verdict(set, "auth-rogue.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_UNTRUSTED_ISSUER, "rogue issuer");
	CHECK_INT(verdict(set, "auth-tampered.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_BAD_SIGNATURE, "tampered");
	CHECK_INT(verdict(set, "auth-truncated.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_MALFORMED, "truncated");
	CHECK_INT(verdict(set, "auth-root-g2.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_UNTRUSTED_ISSUER, "an anchor is not an end-entity certificate");
	CHECK_INT(verdict(set, "sign-ee.der", T_2026, MH_USAGE_SIGNATURE, NULL), MH_CERT_VALID, "sign-ee valid for signature");
	CHECK_INT(verdict(set, "sign-ee.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "sign-ee has the wrong usage for authentication");
	CHECK_INT(verdict(set, "sign-ee.der", T_2030, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "sign-ee has the wrong usage for authentication, also once expired");

	/* issue 12: validity inclusive at both ends, also notBefore = notAfter */
	CHECK_INT(verdict(set, "auth-instant.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_VALID, "a one-second certificate is valid at that second");
	CHECK_INT(verdict(set, "auth-instant.der", T_2026 - 1, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_NOT_YET_VALID, "a one-second certificate is not yet valid a second before");
	CHECK_INT(verdict(set, "auth-instant.der", T_2026 + 1, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_EXPIRED, "a one-second certificate has expired a second after");
	/* policy checking: a policy listed twice, anyPolicy */
	CHECK_INT(verdict(set, "auth-duppolicy.der", T_2026, MH_USAGE_AUTHENTICATION, &v), MH_CERT_MALFORMED, "a certificate listing its policy twice is malformed");
	CHECK_INT(v.x509_error, X509_V_ERR_INVALID_POLICY_EXTENSION, "OpenSSL's policy check found it");
	CHECK_INT(verdict(set, "auth-anypolicy.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "anyPolicy is not the JPKI policy");
	/* two generations with one subject name, no authorityKeyIdentifier */
	CHECK_INT(verdict(set, "auth-noaki-g1.der", T_2022, MH_USAGE_AUTHENTICATION, &v), MH_CERT_VALID, "no AKI, issued by generation 1: valid");
	CHECK_INT(v.anchor_id, 1, "no AKI: generation 1 found by its signature");
	CHECK_INT(verdict(set, "auth-noaki-g2.der", T_2022, MH_USAGE_AUTHENTICATION, &v), MH_CERT_VALID, "no AKI, issued by generation 2: valid");
	CHECK_INT(v.anchor_id, 2, "no AKI: generation 2 found by its signature");
	CHECK_INT(verdict(set, "auth-noaki-g1.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_EXPIRED, "no AKI, generation 1 expired: expired, not bad_signature");
	/* found by the differential test against openssl verify */
	CHECK_INT(verdict(set, "auth-ca-ku.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_WRONG_USAGE, "basicConstraints cA without keyCertSign is still a CA certificate");
	CHECK_INT(verdict(set, "auth-badkey.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_MALFORMED, "a public key that does not decode is malformed");
	CHECK(ERR_peek_error() == 0, "no OpenSSL error is left in the queue after a rejected certificate");
	/* the outcome order holds whatever the time */
	CHECK_INT(verdict(set, "auth-tampered-g1.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_BAD_SIGNATURE, "tampered, verified after its root expired: bad_signature");
	CHECK_INT(verdict(set, "auth-tampered.der", T_2030, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_BAD_SIGNATURE, "tampered, verified after it and its root expired: bad_signature");
	CHECK_INT(verdict(set, "auth-tampered.der", T_2022, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_BAD_SIGNATURE, "tampered, verified before it was valid: bad_signature");
	CHECK_INT(mh_cert_verify(set, (const unsigned char *) "", 0, T_2026, MH_USAGE_AUTHENTICATION, &v), MH_X509_OK, "empty input");
	CHECK_INT(v.outcome, MH_CERT_MALFORMED, "empty input is malformed");
	CHECK_INT(verdict(NULL, "auth-ee.der", T_2026, MH_USAGE_AUTHENTICATION, NULL), MH_CERT_UNTRUSTED_ISSUER, "no anchors at all");

	/* signature over data */
	der = slurp("sign-ee.der", &len);
	data = slurp("sign-data.bin", &dlen);
	sig = slurp("sign-data.sig", &slen);
	CHECK_INT(mh_cert_verify_signature(set, der, len, T_2026, MH_USAGE_SIGNATURE, data, dlen, sig, slen, &v), MH_X509_OK, "signature check runs");
	CHECK(v.outcome == MH_CERT_VALID && v.signature_checked && v.signature_ok, "signature matches");
	data[0] ^= 1;
	mh_cert_verify_signature(set, der, len, T_2026, MH_USAGE_SIGNATURE, data, dlen, sig, slen, &v);
	CHECK(v.outcome == MH_CERT_VALID && v.signature_checked && !v.signature_ok, "signature over changed data does not match");
	mh_cert_verify_signature(set, der, len, T_2026, MH_USAGE_SIGNATURE, data, dlen, sig, 3, &v);
	CHECK(v.signature_checked && !v.signature_ok, "short signature does not match");

	/* personal data and facts */
	CHECK_INT(mh_cert_personal_data(der, len, &pd), MH_X509_OK, "personal data read");
	CHECK_STR(pd.value[3], "419900102", "birth date field");
	CHECK_STR(pd.value[2], "2", "sex field");
	CHECK_STR(pd.value[0], "\xe8\xa9\xa6\xe9\xa8\x93\xe3\x80\x80\xe5\x90\x89\xe5\xad\x90", "name field is UTF-8");
	CHECK_STR(pd.value[1], "00010", "position information of substitute characters in the name");
	CHECK_STR(pd.value[5], "00000000000000000", "position information of substitute characters in the address");
	CHECK(pd.present[0] && pd.present[4] && pd.present[5], "name and address present");
	CHECK_INT(mh_cert_get_facts(der, len, &facts), MH_X509_OK, "facts read");
	CHECK_INT(facts.npolicies, 1, "one policy");
	CHECK_STR(facts.policies[0], MH_JPKI_POLICY_SIGNATURE, "signature policy");
	CHECK_INT(facts.key_usage, 3, "digitalSignature and nonRepudiation");
	free(der);
	free(data);
	free(sig);

	/* CRLs */
	der = slurp("auth-g2.crl", &len);
	CHECK_INT(mh_crl_open(set, der, len, &crl), MH_X509_OK, "CRL of root g2 verifies");
	CHECK_INT(mh_crl_anchor_id(crl), 2, "CRL signed by anchor 2");
	CHECK_INT(mh_crl_count(crl), 1, "CRL has one entry");
	CHECK(mh_crl_entry(crl, 0, serial, &at, &reason), "entry reads");
	CHECK_STR(serial, "1714949", "revoked serial 0x1A2B05");
	CHECK_INT(at, 1743465600, "revoked 2025-04-01");
	CHECK_STR(mh_crl_reason_name(reason), "keyCompromise", "reason");
	CHECK(!mh_crl_entry(crl, 1, serial, &at, &reason), "no second entry");
	mh_crl_free(crl);
	CHECK_INT(mh_crl_open(set, der, len - 1, &crl), MH_X509_MALFORMED, "truncated CRL");
	free(der);
	der = slurp("rogue.crl", &len);
	CHECK_INT(mh_crl_open(set, der, len, &crl), MH_X509_BAD_SIGNATURE, "rogue CRL under the same name is refused");
	free(der);

	/*
	 * mh_cert_verify registers its legacy-RSA-decoding ENGINE only around
	 * its own d2i_X509: nothing may stay registered after valid, rejected
	 * or malformed input, and a key decoded afterwards by anyone else must
	 * still come from the providers.
	 */
	verdict(set, "auth-ee.der", T_2026, MH_USAGE_AUTHENTICATION, NULL);
	verdict(set, "auth-tampered.der", T_2026, MH_USAGE_AUTHENTICATION, NULL);
	verdict(set, "auth-truncated.der", T_2026, MH_USAGE_AUTHENTICATION, NULL);
#ifdef TEST_ENGINE_TABLE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	{
		ENGINE	   *e = ENGINE_get_pkey_meth_engine(EVP_PKEY_RSA);

		CHECK(e == NULL, "no ENGINE is left registered for RSA after verdicts");
		ENGINE_finish(e);
	}
#pragma GCC diagnostic pop
#endif
	der = slurp("auth-ee.der", &len);
	{
		const unsigned char *p = der;
		X509	   *x = d2i_X509(NULL, &p, (long) len);
		EVP_PKEY   *k = x ? X509_get0_pubkey(x) : NULL;

		CHECK(k != NULL && EVP_PKEY_get0_provider(k) != NULL,
			  "a certificate parsed after verdicts has a provider key");
		X509_free(x);
	}
	free(der);

	/* the legacy RSA decoder off: the same verdict for every fixture */
	{
		static const char *const names[] = {
			"auth-ee.der", "auth-ee-g1.der", "auth-ee-g1-late.der", "auth-expired.der",
			"auth-notyet.der", "auth-revoked.der", "auth-wrongpolicy.der", "auth-wrongku.der",
			"auth-rogue.der", "auth-ca.der", "auth-tampered.der", "auth-truncated.der",
			"auth-instant.der", "auth-duppolicy.der", "auth-anypolicy.der", "auth-noaki-g1.der",
			"auth-noaki-g2.der", "auth-tampered-g1.der", "auth-hold.der", "sign-ee.der",
			"auth-ca-ku.der", "auth-badkey.der",
			"auth-root-g1.der", "auth-root-g2.der", "sign-root-g2.der", "rogue-root.der"
		};
		static const int64_t times[] = {T_2022, T_2025_06, T_2026, T_2030, 1861920000};
		int			same = 0,
					total = 0;
		size_t		n,
					t;
		int			u;

		for (n = 0; n < sizeof(names) / sizeof(names[0]); n++)
			for (t = 0; t < sizeof(times) / sizeof(times[0]); t++)
				for (u = 0; u < MH_USAGE_COUNT; u++)
				{
					mh_cert_verdict a,
								b;

					mh_cert_set_legacy_key_decode(true);
					verdict(set, names[n], times[t], (mh_cert_usage) u, &a);
					mh_cert_set_legacy_key_decode(false);
					verdict(set, names[n], times[t], (mh_cert_usage) u, &b);
					total++;
					if (a.outcome == b.outcome && a.x509_error == b.x509_error &&
						a.anchor_id == b.anchor_id && strcmp(a.serial, b.serial) == 0)
						same++;
				}
		mh_cert_set_legacy_key_decode(true);
		CHECK_INT(same, total, "the same verdicts with and without the legacy RSA decoder");
	}

	mh_anchor_set_free(set);
	UNIT_DONE();
}
