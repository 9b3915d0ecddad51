/*
 * mynumber_token.c: computing My Number tokens, and the text form of tokens
 * and sealed numbers.
 *
 * The fast path keeps the SHA-256 states after the HMAC inner and outer key
 * blocks (RFC 2104), computed once per key, and resumes a SHA256_CTX from
 * them for each token: two compressions, using the CPU's SHA extensions
 * when present, with no allocation.  The low-level SHA256_* API is
 * deprecated in OpenSSL 3 but still exported; no EVP interface avoids a
 * context copy or allocation per MAC (measured: EVP_MAC_CTX_dup ~3.5x and
 * EVP_MAC_init ~1.7x slower, bench/hmac_peer).  Resuming with
 * SHA256_Update/SHA256_Final measured faster than compressing hand-padded
 * blocks with SHA256_Transform.  The result is HMAC-SHA256 exactly, as
 * mh_token_compute_evp() and the unit tests show.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "mynumber_token.h"
#include "nls.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

/* SHA-256 state after one 64-byte block of key ^ pad */
static void
pad_state(const unsigned char key[MH_KEY_BYTES], unsigned char pad, uint32_t state[8])
{
	SHA256_CTX	c;
	unsigned char block[64];

	for (int i = 0; i < 64; i++)
		block[i] = (unsigned char) ((i < MH_KEY_BYTES ? key[i] : 0) ^ pad);
	SHA256_Init(&c);
	SHA256_Update(&c, block, sizeof(block));
	memcpy(state, c.h, sizeof(c.h));
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(block, sizeof(block));
}

bool
mh_mac_key_init(mh_mac_key *mk, const unsigned char key[MH_KEY_BYTES], const char *label)
{
	unsigned char k[MH_KEY_BYTES];

	memset(mk, 0, sizeof(*mk));
	if (!mh_key_derive(key, label, k))
		return false;
	pad_state(k, 0x36, mk->inner);
	pad_state(k, 0x5c, mk->outer);
	OPENSSL_cleanse(k, sizeof(k));
	return true;
}

bool
mh_token_key_init(mh_token_key *tk, const mh_keyring_entry *e)
{
	memset(tk, 0, sizeof(*tk));
	if (!mh_mac_key_init(&tk->mac, e->key, MH_LABEL_TOKEN))
		return false;
	tk->version = e->version;

	/* the message prefix: domain (with its NUL), version byte */
	memcpy(tk->prefix, MH_TOKEN_DOMAIN, sizeof(MH_TOKEN_DOMAIN));
	tk->prefix[sizeof(MH_TOKEN_DOMAIN)] = (unsigned char) e->version;
	return true;
}

void
mh_token_key_wipe(mh_token_key *tk)
{
	OPENSSL_cleanse(tk, sizeof(*tk));
}

/* A SHA-256 context resuming after one 64-byte block with state h. */
static inline void
resume(SHA256_CTX *c, const uint32_t h[8])
{
	memcpy(c->h, h, sizeof(c->h));
	c->Nl = 512;
	c->Nh = 0;
	c->num = 0;
	c->md_len = SHA256_DIGEST_LENGTH;
}

void
mh_mac_compute(const mh_mac_key *mk, const void *a, size_t alen,
			   const void *b, size_t blen, unsigned char out[32])
{
	SHA256_CTX	c;
	unsigned char inner[SHA256_DIGEST_LENGTH];

	/*
	 * No wiping here: the message is in the caller's tuple anyway, and a
	 * per-row OPENSSL_cleanse costs a fifth of the MAC.
	 */
	resume(&c, mk->inner);
	SHA256_Update(&c, a, alen);
	if (blen > 0)
		SHA256_Update(&c, b, blen);
	SHA256_Final(inner, &c);
	resume(&c, mk->outer);
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
}

void
mh_token_compute(const mh_token_key *tk, const char digits[MH_MYNUMBER_DIGITS],
				 unsigned char out[MH_TOKEN_BYTES])
{
	mh_mac_compute(&tk->mac, tk->prefix, MH_TOKEN_DIGITS_AT, digits, MH_MYNUMBER_DIGITS,
				   out + 1);
	out[0] = (unsigned char) tk->version;
}

bool
mh_token_compute_evp(const mh_keyring_entry *e, const char digits[MH_MYNUMBER_DIGITS],
					 unsigned char out[MH_TOKEN_BYTES])
{
	unsigned char k[MH_KEY_BYTES];
	unsigned char msg[MH_TOKEN_DIGITS_AT + MH_MYNUMBER_DIGITS];
	EVP_MAC    *mac;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM	params[2];
	size_t		outlen = 0;
	bool		ok = false;

	if (!mh_key_derive(e->key, MH_LABEL_TOKEN, k))
		return false;
	memcpy(msg, MH_TOKEN_DOMAIN, sizeof(MH_TOKEN_DOMAIN));
	msg[sizeof(MH_TOKEN_DOMAIN)] = (unsigned char) e->version;
	memcpy(msg + MH_TOKEN_DIGITS_AT, digits, MH_MYNUMBER_DIGITS);

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac != NULL)
		ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
												 (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL &&
		EVP_MAC_init(ctx, k, sizeof(k), params) == 1 &&
		EVP_MAC_update(ctx, msg, sizeof(msg)) == 1 &&
		EVP_MAC_final(ctx, out + 1, &outlen, MH_TOKEN_MAC_BYTES) == 1 &&
		outlen == MH_TOKEN_MAC_BYTES)
		ok = true;
	out[0] = (unsigned char) e->version;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(msg, sizeof(msg));
	return ok;
}

static const char b64url[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

static size_t
b64len(size_t n)
{
	return (n * 8 + 5) / 6;
}

void
mh_vtext_format(const char *prefix, const unsigned char *val, size_t n, char *buf)
{
	int			version = val[0];
	char	   *p = buf;
	uint32_t	acc = 0;
	int			nbits = 0;

	memcpy(p, prefix, 3);
	p += 3;
	if (version >= 100)
		*p++ = (char) ('0' + version / 100);
	if (version >= 10)
		*p++ = (char) ('0' + version / 10 % 10);
	*p++ = (char) ('0' + version % 10);
	*p++ = ':';
	for (size_t i = 1; i <= n; i++)
	{
		acc = (acc << 8) | val[i];
		nbits += 8;
		while (nbits >= 6)
		{
			nbits -= 6;
			*p++ = b64url[(acc >> nbits) & 0x3F];
		}
	}
	if (nbits > 0)
		*p++ = b64url[(acc << (6 - nbits)) & 0x3F];
	*p = '\0';
}

mh_vtext_status
mh_vtext_parse(const char *prefix, const char *s, size_t len,
			   unsigned char *val, size_t n)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 3;
	int			version = 0;
	int			ndig = 0;
	uint32_t	acc = 0;
	int			nbits = 0;
	size_t		outpos = 1;

	if (len < 3 || memcmp(s, prefix, 3) != 0)
		return MH_VTEXT_BAD_PREFIX;
	while (i < len && u[i] >= '0' && u[i] <= '9')
	{
		if ((ndig == 0 && u[i] == '0') || ++ndig > 3)
			return MH_VTEXT_BAD_VERSION;
		version = version * 10 + (u[i] - '0');
		i++;
	}
	if (ndig == 0 || version > MH_KEY_VERSION_MAX)
		return MH_VTEXT_BAD_VERSION;
	if (i >= len || u[i] != ':')
		return MH_VTEXT_BAD_VERSION;
	i++;
	if (len - i != b64len(n))
		return MH_VTEXT_BAD_LENGTH;
	val[0] = (unsigned char) version;
	for (; i < len; i++)
	{
		int			v = b64val(u[i]);

		if (v < 0)
			return MH_VTEXT_BAD_CHARACTER;
		acc = (acc << 6) | (uint32_t) v;
		nbits += 6;
		if (nbits >= 8)
		{
			nbits -= 8;
			val[outpos++] = (unsigned char) (acc >> nbits);
		}
	}
	/* the unused low bits of the last character must be zero */
	if ((acc & ((1u << nbits) - 1)) != 0)
		return MH_VTEXT_NONCANONICAL;
	return MH_VTEXT_OK;
}

const char *
mh_vtext_status_text(mh_vtext_status status)
{
	switch (status)
	{
		case MH_VTEXT_OK:
			return MH_N_("The value is valid.");
		case MH_VTEXT_BAD_PREFIX:
			return MH_N_("The value does not start with the expected prefix.");
		case MH_VTEXT_BAD_VERSION:
			return MH_N_("The key version after the prefix is not a number from 1 to 255 followed by a colon.");
		case MH_VTEXT_BAD_LENGTH:
			return MH_N_("The part after the colon has the wrong length.");
		case MH_VTEXT_BAD_CHARACTER:
			return MH_N_("The part after the colon is not base64url.");
		case MH_VTEXT_NONCANONICAL:
			return MH_N_("The last base64url character is not in canonical form.");
	}
	return MH_N_("The value is invalid.");
}
