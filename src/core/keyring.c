/*
 * keyring.c: parser of the keyring file format described in keyring.h.
 */
#include "keyring.h"
#include "nls.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parse one line p[0..n) (comments and blanks already skipped). */
static mh_keyring_status
parse_line(const unsigned char *p, size_t n, mh_keyring *out, bool *active)
{
	size_t		i = 0;
	int			version = 0;
	size_t		ndig = 0;
	mh_keyring_entry *e;
	bool		all_equal = true;

	/* version: 1..255 in decimal, no leading zero */
	while (i < n && p[i] >= '0' && p[i] <= '9')
	{
		if (ndig == 0 && p[i] == '0')
			return MH_KEYRING_BAD_VERSION;
		if (++ndig > 3)
			return MH_KEYRING_BAD_VERSION;
		version = version * 10 + (p[i] - '0');
		i++;
	}
	if (ndig == 0)
		return (i < n && p[i] == ':') ? MH_KEYRING_BAD_VERSION : MH_KEYRING_BAD_SYNTAX;
	if (version < 1 || version > MH_KEY_VERSION_MAX)
		return MH_KEYRING_BAD_VERSION;
	if (i >= n || p[i] != ':')
		return MH_KEYRING_BAD_SYNTAX;
	i++;
	if (mh_keyring_find(out, version))
		return MH_KEYRING_DUPLICATE_VERSION;

	/* key: exactly 64 hexadecimal digits */
	if (n - i < 2 * MH_KEY_BYTES)
		return MH_KEYRING_BAD_KEY;
	e = &out->keys[out->nkeys];
	for (int k = 0; k < MH_KEY_BYTES; k++)
	{
		int			hi = hexval(p[i + 2 * k]);
		int			lo = hexval(p[i + 2 * k + 1]);

		if (hi < 0 || lo < 0)
		{
			OPENSSL_cleanse(e->key, sizeof(e->key));
			return MH_KEYRING_BAD_KEY;
		}
		e->key[k] = (unsigned char) (hi << 4 | lo);
		if (e->key[k] != e->key[0])
			all_equal = false;
	}
	i += 2 * MH_KEY_BYTES;
	if (all_equal)
	{
		OPENSSL_cleanse(e->key, sizeof(e->key));
		return MH_KEYRING_WEAK_KEY;
	}

	/* optional flag */
	*active = false;
	if (i < n)
	{
		if (p[i] != ':')
		{
			OPENSSL_cleanse(e->key, sizeof(e->key));
			return MH_KEYRING_BAD_KEY;
		}
		i++;
		if (n - i != 6 || memcmp(p + i, "active", 6) != 0)
		{
			OPENSSL_cleanse(e->key, sizeof(e->key));
			return MH_KEYRING_BAD_FLAG;
		}
		*active = true;
	}
	e->version = version;
	out->nkeys++;
	return MH_KEYRING_OK;
}

mh_keyring_status
mh_keyring_parse(const char *buf, size_t len, mh_keyring *out, int *lineno)
{
	const unsigned char *s = (const unsigned char *) buf;
	size_t		pos = 0;
	int			line = 0;
	mh_keyring_status st = MH_KEYRING_OK;

	memset(out, 0, sizeof(*out));
	*lineno = 0;
	if (len > MH_KEYRING_FILE_MAX)
		return MH_KEYRING_TOO_LARGE;

	while (pos < len && st == MH_KEYRING_OK)
	{
		size_t		start = pos,
					end;
		bool		active;

		line++;
		while (pos < len && s[pos] != '\n')
		{
			if (s[pos] == '\0')
				st = MH_KEYRING_NUL_BYTE;
			pos++;
		}
		end = pos;
		if (pos < len)
			pos++;				/* the newline */
		if (st != MH_KEYRING_OK)
			break;
		if (end - start > MH_KEYRING_LINE_MAX)
		{
			st = MH_KEYRING_LINE_TOO_LONG;
			break;
		}
		while (start < end && is_blank(s[start]))
			start++;
		while (end > start && is_blank(s[end - 1]))
			end--;
		if (start == end || s[start] == '#')
			continue;
		st = parse_line(s + start, end - start, out, &active);
		if (st == MH_KEYRING_OK && active)
		{
			if (out->active != 0)
				st = MH_KEYRING_TWO_ACTIVE;
			else
				out->active = out->keys[out->nkeys - 1].version;
		}
	}
	if (st == MH_KEYRING_OK)
	{
		line = 0;
		if (out->nkeys == 0)
			st = MH_KEYRING_EMPTY;
		else if (out->active == 0)
			st = MH_KEYRING_NO_ACTIVE;
	}
	if (st != MH_KEYRING_OK)
	{
		mh_keyring_wipe(out);
		*lineno = line;
	}
	return st;
}

const char *
mh_keyring_status_text(mh_keyring_status status)
{
	switch (status)
	{
		case MH_KEYRING_OK:
			return MH_N_("The keyring is valid.");
		case MH_KEYRING_EMPTY:
			return MH_N_("The keyring holds no key.");
		case MH_KEYRING_TOO_LARGE:
			return MH_N_("The keyring is larger than 1 MB.");
		case MH_KEYRING_LINE_TOO_LONG:
			return MH_N_("A line is longer than 1024 bytes.");
		case MH_KEYRING_NUL_BYTE:
			return MH_N_("A line contains a NUL byte.");
		case MH_KEYRING_BAD_SYNTAX:
			return MH_N_("A line is not of the form version:key or version:key:active.");
		case MH_KEYRING_BAD_VERSION:
			return MH_N_("A key version is not a number from 1 to 255.");
		case MH_KEYRING_DUPLICATE_VERSION:
			return MH_N_("A key version appears twice.");
		case MH_KEYRING_BAD_KEY:
			return MH_N_("A key is not exactly 64 hexadecimal digits.");
		case MH_KEYRING_WEAK_KEY:
			return MH_N_("A key repeats one byte 32 times, which is a placeholder, not a key.");
		case MH_KEYRING_BAD_FLAG:
			return MH_N_("The only flag after a key is \"active\".");
		case MH_KEYRING_NO_ACTIVE:
			return MH_N_("No key version is marked active.");
		case MH_KEYRING_TWO_ACTIVE:
			return MH_N_("More than one key version is marked active.");
	}
	return MH_N_("The keyring is invalid.");
}

const mh_keyring_entry *
mh_keyring_find(const mh_keyring *kr, int version)
{
	for (int i = 0; i < kr->nkeys; i++)
		if (kr->keys[i].version == version)
			return &kr->keys[i];
	return NULL;
}

void
mh_keyring_wipe(mh_keyring *kr)
{
	OPENSSL_cleanse(kr, sizeof(*kr));
}

bool
mh_key_derive(const unsigned char key[MH_KEY_BYTES], const char *label,
			  unsigned char out[MH_KEY_BYTES])
{
	EVP_MAC    *mac;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM	params[2];
	size_t		outlen = 0;
	bool		ok = false;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return false;
	ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
												 (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL &&
		EVP_MAC_init(ctx, key, MH_KEY_BYTES, params) == 1 &&
		EVP_MAC_update(ctx, (const unsigned char *) label, strlen(label)) == 1 &&
		EVP_MAC_final(ctx, out, &outlen, MH_KEY_BYTES) == 1 &&
		outlen == MH_KEY_BYTES)
		ok = true;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok)
		OPENSSL_cleanse(out, MH_KEY_BYTES);
	return ok;
}
