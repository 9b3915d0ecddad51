/*
 * x509_peer.c: the C peer of bench/certificates.sql, and the minter of its
 * certificates.
 *
 *   x509_peer mint N PREFIX
 *       Mints N distinct JPKI-shaped authentication certificates (serials
 *       0x2000000 + i, subject CN=BENCH%08d, the JPKI authentication policy,
 *       keyUsage digitalSignature) under the fixture root
 *       test/fixtures/jpki/auth-root-g2, all with the public key of the
 *       fixture auth-ee.key: minting is one RSA-2048 signature each (about
 *       0.2 ms), where the openssl CLI needs a process per certificate.
 *       Writes PREFIX.bin (4-byte big-endian length, then DER, per
 *       certificate) and PREFIX.hex (one \\x... line each, for COPY).
 *       Reuses both files when PREFIX.bin already holds N certificates and
 *       is newer than the fixture root key.
 *
 *   x509_peer verify FILE ROOT_DER UNIX_TIME
 *       d2i_X509 + X509_verify_cert (depth 0, at the given time, RFC 5280
 *       policy checking with the JPKI authentication policy as the
 *       acceptable and explicit policy, one X509_STORE_CTX per
 *       certificate, stock OpenSSL calls), then the JPKI key usage and
 *       literal policy checks a verdict also makes, over every
 *       certificate of FILE; three runs, prints the best wall time in
 *       seconds on stdout and, on stderr, the best CPU time (steadier on a
 *       shared machine) and d2i_X509 alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define FX "test/fixtures/jpki/"

static void
die(const char *msg)
{
	fprintf(stderr, "x509_peer: %s\n", msg);
	exit(1);
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process: steadier than wall time on a shared machine. */
static double
cpu_now(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static X509 *
read_der_cert(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	X509	   *x;

	if (f == NULL)
		die("cannot open a certificate");
	x = d2i_X509_fp(f, NULL);
	fclose(f);
	if (x == NULL)
		die("cannot parse a certificate");
	return x;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE	   *f = fopen(path, "r");
	EVP_PKEY   *k;

	if (f == NULL)
		die("cannot open a key");
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die("cannot parse a key");
	return k;
}

static void
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	if (e == NULL || !X509_add_ext(x, e, -1))
	{
		fprintf(stderr, "x509_peer: extension %s = %s\n", OBJ_nid2sn(nid), value);
		ERR_print_errors_fp(stderr);
		die("cannot add an extension");
	}
	X509_EXTENSION_free(e);
}

/* certificatePolicies needs a config database through X509V3_EXT_conf. */
static void
add_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *pol = CERTIFICATEPOLICIES_new();
	POLICYINFO *pi = POLICYINFO_new();

	if (pol == NULL || pi == NULL || (pi->policyid = OBJ_txt2obj(oid, 1)) == NULL ||
		!sk_POLICYINFO_push(pol, pi) ||
		!X509_add1_ext_i2d(x, NID_certificate_policies, pol, 0, X509V3_ADD_DEFAULT))
		die("cannot add the policy");
	CERTIFICATEPOLICIES_free(pol);
}

/* True when file a was modified after file b (a cache minted under b). */
static int
newer_than(const char *a, const char *b)
{
	struct stat sa,
				sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_mtime > sb.st_mtime;
}

/* Number of certificates in a .bin file, or -1. */
static long
count_bin(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char h[4];
	long		n = 0;

	if (f == NULL)
		return -1;
	while (fread(h, 1, 4, f) == 4)
	{
		long		len = ((long) h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3];

		if (fseek(f, len, SEEK_CUR) != 0)
			break;
		n++;
	}
	fclose(f);
	return n;
}

static int
mint(long n, const char *prefix)
{
	char		binpath[4096],
				hexpath[4096];
	X509	   *root = read_der_cert(FX "auth-root-g2.der");
	EVP_PKEY   *rootkey = read_key(FX "auth-root-g2.key");
	EVP_PKEY   *eekey = read_key(FX "auth-ee.key");
	FILE	   *bin,
			   *hex;
	long		i;

	snprintf(binpath, sizeof(binpath), "%s.bin", prefix);
	snprintf(hexpath, sizeof(hexpath), "%s.hex", prefix);
	if (count_bin(binpath) == n && newer_than(binpath, FX "auth-root-g2.key"))
	{
		FILE	   *h = fopen(hexpath, "r");

		if (h != NULL)
		{
			fclose(h);
			printf("%s\n", prefix);
			return 0;
		}
	}
	bin = fopen(binpath, "wb");
	hex = fopen(hexpath, "w");
	if (bin == NULL || hex == NULL)
		die("cannot write the output files");
	for (i = 0; i < n; i++)
	{
		X509	   *x = X509_new();
		X509_NAME  *name = X509_NAME_new();
		X509V3_CTX ctx;
		char		cn[32];
		unsigned char *der = NULL;
		int			len,
					k;

		snprintf(cn, sizeof(cn), "BENCH%08ld", i);
		if (x == NULL || name == NULL ||
			!X509_set_version(x, 2) ||
			!ASN1_INTEGER_set_int64(X509_get_serialNumber(x), 0x2000000 + i) ||
			!X509_set_issuer_name(x, X509_get_subject_name(root)) ||
			!X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *) "JP", -1, -1, 0) ||
			!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0) ||
			!X509_set_subject_name(x, name) ||
			!ASN1_TIME_set_string(X509_getm_notBefore(x), "20240601000000Z") ||
			!ASN1_TIME_set_string(X509_getm_notAfter(x), "20290101000000Z") ||
			!X509_set_pubkey(x, eekey))
			die("cannot build a certificate");
		X509V3_set_ctx(&ctx, root, x, NULL, NULL, 0);
		add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE");
		add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
		add_policy(x, "1.2.392.200149.8.5.1.3.30");
		add_ext(x, &ctx, NID_subject_key_identifier, "hash");
		add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
		if (!X509_sign(x, rootkey, EVP_sha256()))
			die("cannot sign a certificate");
		len = i2d_X509(x, &der);
		if (len <= 0)
			die("cannot encode a certificate");
		fputc((len >> 24) & 0xff, bin);
		fputc((len >> 16) & 0xff, bin);
		fputc((len >> 8) & 0xff, bin);
		fputc(len & 0xff, bin);
		fwrite(der, 1, (size_t) len, bin);
		fputs("\\\\x", hex);
		for (k = 0; k < len; k++)
			fprintf(hex, "%02x", der[k]);
		fputc('\n', hex);
		OPENSSL_free(der);
		X509_NAME_free(name);
		X509_free(x);
	}
	if (fclose(bin) != 0 || fclose(hex) != 0)
		die("cannot write the output files");
	X509_free(root);
	EVP_PKEY_free(rootkey);
	EVP_PKEY_free(eekey);
	printf("%s\n", prefix);
	return 0;
}

/*
 * What the verdict checks beyond the chain for an authentication
 * certificate: keyUsage digitalSignature, not a CA, and the JPKI policy.
 */
static int
jpki_usage_ok(X509 *x, const ASN1_OBJECT *policy)
{
	uint32_t	ku = X509_get_key_usage(x);
	CERTIFICATEPOLICIES *pol;
	int			found = 0,
				i;

	if (ku == UINT32_MAX || !(ku & KU_DIGITAL_SIGNATURE) ||
		(X509_get_extension_flags(x) & EXFLAG_CA) != 0 || X509_check_ca(x) != 0)
		return 0;
	pol = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	for (i = 0; pol != NULL && i < sk_POLICYINFO_num(pol) && !found; i++)
		found = OBJ_cmp(sk_POLICYINFO_value(pol, i)->policyid, policy) == 0;
	CERTIFICATEPOLICIES_free(pol);
	return found;
}

static int
verify(const char *path, const char *rootpath, long at)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char **ders = NULL;
	long	   *lens = NULL;
	long		n = 0,
				cap = 0,
				i;
	unsigned char h[4];
	X509_STORE *store = X509_STORE_new();
	X509	   *root = read_der_cert(rootpath);
	ASN1_OBJECT *policy = OBJ_txt2obj("1.2.392.200149.8.5.1.3.30", 1);
	double		best = 1e30,
				best_cpu = 1e30,
				best_d2i = 1e30;
	int			run;
	long		valid = 0;

	if (f == NULL || store == NULL || policy == NULL || !X509_STORE_add_cert(store, root))
		die("cannot set up");
	/* the verdict's policy checking: the JPKI policy, explicitly */
	{
		X509_VERIFY_PARAM *param = X509_STORE_get0_param(store);
		STACK_OF(ASN1_OBJECT) *pols = sk_ASN1_OBJECT_new_null();

		if (pols == NULL || sk_ASN1_OBJECT_push(pols, policy) <= 0 ||
			!X509_VERIFY_PARAM_set1_policies(param, pols) ||
			!X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_POLICY_CHECK |
										 X509_V_FLAG_EXPLICIT_POLICY))
			die("cannot set the policy");
		sk_ASN1_OBJECT_free(pols);
		X509_VERIFY_PARAM_set_depth(param, 0);
	}
	while (fread(h, 1, 4, f) == 4)
	{
		long		len = ((long) h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3];

		if (n == cap)
		{
			cap = cap ? cap * 2 : 1024;
			ders = realloc(ders, sizeof(*ders) * (size_t) cap);
			lens = realloc(lens, sizeof(*lens) * (size_t) cap);
			if (ders == NULL || lens == NULL)
				die("out of memory");
		}
		ders[n] = malloc((size_t) len);
		if (ders[n] == NULL || fread(ders[n], 1, (size_t) len, f) != (size_t) len)
			die("short read");
		lens[n++] = len;
	}
	fclose(f);

	for (run = 0; run < 3; run++)
	{
		double		t0 = now(),
					c0 = cpu_now(),
					t;

		valid = 0;
		for (i = 0; i < n; i++)
		{
			const unsigned char *p = ders[i];
			X509	   *x = d2i_X509(NULL, &p, lens[i]);
			X509_STORE_CTX *ctx = X509_STORE_CTX_new();

			if (x == NULL || ctx == NULL || !X509_STORE_CTX_init(ctx, store, x, NULL))
				die("cannot verify");
			X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t) at);
			/* the verdict also requires the JPKI policy and key usage */
			if (X509_verify_cert(ctx) == 1 && jpki_usage_ok(x, policy))
				valid++;
			X509_STORE_CTX_free(ctx);
			X509_free(x);
		}
		t = now() - t0;
		if (t < best)
			best = t;
		t = cpu_now() - c0;
		if (t < best_cpu)
			best_cpu = t;

		t0 = now();
		for (i = 0; i < n; i++)
		{
			const unsigned char *p = ders[i];
			X509	   *x = d2i_X509(NULL, &p, lens[i]);

			X509_free(x);
		}
		t = now() - t0;
		if (t < best_d2i)
			best_d2i = t;
	}
	fprintf(stderr, "x509_peer: %ld certificates, %ld valid; whole job %.1f us each "
			"(CPU %.1f us), d2i_X509 alone %.1f us each\n",
			n, valid, best * 1e6 / n, best_cpu * 1e6 / n, best_d2i * 1e6 / n);
	printf("%.6f\n", best);
	for (i = 0; i < n; i++)
		free(ders[i]);
	free(ders);
	free(lens);
	X509_free(root);
	X509_STORE_free(store);
	ASN1_OBJECT_free(policy);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "mint") == 0)
		return mint(atol(argv[2]), argv[3]);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: x509_peer mint N PREFIX | x509_peer verify FILE ROOT_DER UNIX_TIME\n");
	return 2;
}
