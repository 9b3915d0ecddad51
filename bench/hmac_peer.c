/*
 * hmac_peer: the C peer of bench/tokens.sql.  Computes the same My Number
 * tokens as mynahoken.tokenize() (HMAC-SHA256 under the derived token key
 * of the keyring's active version, over the domain, the version byte and
 * the 12 digits) outside the server, in one of the ways OpenSSL 3 allows:
 *
 *   dup          EVP_MAC_CTX_dup of a keyed context per token
 *   reinit       one EVP_MAC_CTX, EVP_MAC_init with the same key per token
 *   precomputed  SHA-256 states after the HMAC key blocks, copied per token,
 *                then SHA256_Update / SHA256_Final
 *   transform    the same states, the two remaining blocks compressed with
 *                SHA256_Transform (no buffering at all)
 *
 * Usage: hmac_peer MODE ROWS KEYRING   prints rows per second (best of 3)
 *        hmac_peer check BASE11 KEYRING prints the token text of one number
 * Numbers are generated as in bench/tokens.sql: 10^10 + 7i, check digit
 * appended.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "checkdigit.h"
#include "keyring.h"
#include "mynumber_token.h"

#define MSGLEN (sizeof(MH_TOKEN_DOMAIN) + 1 + 12)

static unsigned char key[32];
static int	version;
static unsigned char msg[MSGLEN];
static volatile unsigned char sink;

static void
die(const char *m)
{
	fprintf(stderr, "hmac_peer: %s\n", m);
	exit(1);
}

static void
load_key(const char *path)
{
	static mh_keyring kr;
	static char buf[MH_KEYRING_FILE_MAX + 1];
	FILE	   *f = fopen(path, "rb");
	size_t		n;
	int			line;
	const mh_keyring_entry *e;

	if (!f)
		die("cannot open the keyring");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (mh_keyring_parse(buf, n, &kr, &line) != MH_KEYRING_OK)
		die("malformed keyring");
	e = mh_keyring_find(&kr, kr.active);
	version = e->version;
	if (!mh_key_derive(e->key, MH_LABEL_TOKEN, key))
		die("key derivation failed");
	mh_keyring_wipe(&kr);
	memcpy(msg, MH_TOKEN_DOMAIN, sizeof(MH_TOKEN_DOMAIN));
	msg[sizeof(MH_TOKEN_DOMAIN)] = (unsigned char) version;
}

/* the i-th number of the benchmark table, into msg */
static void
number(long long base)
{
	char	   *d = (char *) msg + sizeof(MH_TOKEN_DOMAIN) + 1;

	for (int k = 10; k >= 0; k--, base /= 10)
		d[k] = (char) ('0' + base % 10);
	d[11] = (char) ('0' + mh_mynumber_check_digit(d));
}

static EVP_MAC_CTX *
keyed_ctx(void)
{
	EVP_MAC    *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM	p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
	OSSL_PARAM_construct_end()};

	if (!ctx || EVP_MAC_init(ctx, key, sizeof(key), p) != 1)
		die("EVP_MAC_init failed");
	EVP_MAC_free(mac);
	return ctx;
}

static void
pad_state(unsigned char pad, SHA256_CTX *c)
{
	unsigned char b[64];

	for (int i = 0; i < 64; i++)
		b[i] = (unsigned char) ((i < 32 ? key[i] : 0) ^ pad);
	SHA256_Init(c);
	SHA256_Update(c, b, 64);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int
main(int argc, char **argv)
{
	const char *mode;
	int			m;
	double		best = 0;
	long long	rows;
	unsigned char out[MH_TOKEN_BYTES];
	size_t		outlen;
	struct timespec t0,
				t1;
	EVP_MAC_CTX *base = NULL;
	SHA256_CTX	inner,
				outer,
				c;
	unsigned char iblock[64],
				oblock[64];

	if (argc != 4)
		die("usage: hmac_peer dup|reinit|precomputed|transform|check ROWS|BASE11 KEYRING");
	mode = argv[1];
	rows = atoll(argv[2]);
	load_key(argv[3]);
	base = keyed_ctx();
	pad_state(0x36, &inner);
	pad_state(0x5c, &outer);
	memset(iblock, 0, 64);
	memcpy(iblock, msg, MSGLEN);
	iblock[MSGLEN] = 0x80;
	iblock[62] = (unsigned char) (((64 + MSGLEN) * 8) >> 8);
	iblock[63] = (unsigned char) ((64 + MSGLEN) * 8);
	memset(oblock, 0, 64);
	oblock[32] = 0x80;
	oblock[62] = 0x03;

	if (strcmp(mode, "check") == 0)
	{
		char		text[MH_VTEXT_MAX];

		number(rows);
		out[0] = (unsigned char) version;
		outlen = 0;
		if (EVP_MAC_init(base, NULL, 0, NULL) != 1 ||
			EVP_MAC_update(base, msg, MSGLEN) != 1 ||
			EVP_MAC_final(base, out + 1, &outlen, 32) != 1)
			die("EVP_MAC failed");
		mh_vtext_format(MH_TOKEN_PREFIX, out, 32, text);
		printf("%s\n", text);
		return 0;
	}

	/* the mode is decoded once: string compares per row would bias the figures */
	if (strcmp(mode, "dup") == 0)
		m = 0;
	else if (strcmp(mode, "reinit") == 0)
		m = 1;
	else if (strcmp(mode, "precomputed") == 0)
		m = 2;
	else if (strcmp(mode, "transform") == 0)
		m = 3;
	else
		die("unknown mode");

	/* best of three runs: the machine is shared */
	for (int run = 0; run < 3; run++)
	{
		double		rate;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long long i = 1; i <= rows; i++)
		{
			number(10000000000LL + 7 * i);
			if (m == 0)
			{
				EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(base);

				EVP_MAC_update(ctx, msg, MSGLEN);
				EVP_MAC_final(ctx, out + 1, &outlen, 32);
				EVP_MAC_CTX_free(ctx);
			}
			else if (m == 1)
			{
				EVP_MAC_init(base, NULL, 0, NULL);
				EVP_MAC_update(base, msg, MSGLEN);
				EVP_MAC_final(base, out + 1, &outlen, 32);
			}
			else if (m == 2)
			{
				unsigned char ih[32];

				c = inner;
				SHA256_Update(&c, msg, MSGLEN);
				SHA256_Final(ih, &c);
				c = outer;
				SHA256_Update(&c, ih, 32);
				SHA256_Final(out + 1, &c);
			}
			else
			{
				memcpy(iblock + sizeof(MH_TOKEN_DOMAIN) + 1, msg + sizeof(MH_TOKEN_DOMAIN) + 1, 12);
				c = inner;
				SHA256_Transform(&c, iblock);
				for (int k = 0; k < 8; k++)
					put_be32(oblock + 4 * k, c.h[k]);
				c = outer;
				SHA256_Transform(&c, oblock);
				for (int k = 0; k < 8; k++)
					put_be32(out + 1 + 4 * k, c.h[k]);
			}
			sink ^= out[1];
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rate = rows / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (rate > best)
			best = rate;
	}
	printf("%.0f\n", best);
	return 0;
}
