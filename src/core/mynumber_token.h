/*
 * mynumber_token.h: My Number tokens and their text form, in plain C.
 *
 * A token is 33 bytes: the key version (1..255), then
 *
 *     HMAC-SHA256(K_tok, MH_TOKEN_DOMAIN || version byte || 12 ASCII digits)
 *
 * where K_tok = HMAC-SHA256(keyring key, "mynahoken token key").  Its text
 * form is "mnt<version>:" followed by the 32 MAC bytes in unpadded base64url
 * (43 characters).  The sealed form of a number uses the same scheme with
 * the prefix "mns" and 28 bytes.  All of this is frozen: tokens are stored,
 * indexed and hash-distributed.
 */
#ifndef MYNAHOKEN_MYNUMBER_TOKEN_H
#define MYNAHOKEN_MYNUMBER_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring.h"
#include "mynumber.h"

#define MH_TOKEN_DOMAIN "mynahoken mynumber token"	/* 24 bytes, then a NUL */
#define MH_TOKEN_MAC_BYTES 32
#define MH_TOKEN_BYTES (1 + MH_TOKEN_MAC_BYTES)
/* "mnt" or "mns", up to 3 version digits, ':', base64url, NUL */
#define MH_VTEXT_MAX (3 + 3 + 1 + 64 + 1)

/*
 * An HMAC-SHA256 key ready for use: the SHA-256 states after the inner and
 * outer padded key blocks (RFC 2104).  A MAC is then two SHA-256
 * compressions for a short message.  Tokens and the linkage digests
 * (core/linkage.h) share it, each under its own derived key.
 * Key-equivalent: wipe with OPENSSL_cleanse.
 */
typedef struct mh_mac_key
{
	uint32_t	inner[8];
	uint32_t	outer[8];
} mh_mac_key;

/* The MAC key of HMAC-SHA256(key, label), a key derived for one purpose. */
extern bool mh_mac_key_init(mh_mac_key *mk, const unsigned char key[MH_KEY_BYTES],
							const char *label);

/* HMAC-SHA256 of a || b (b may be empty) under mk. */
extern void mh_mac_compute(const mh_mac_key *mk, const void *a, size_t alen,
						   const void *b, size_t blen, unsigned char out[32]);

/*
 * A token key ready for use: the MAC key of K_tok and the message prefix
 * (domain, NUL, version byte).  Key-equivalent: wipe with
 * mh_token_key_wipe().
 */
typedef struct mh_token_key
{
	int			version;
	mh_mac_key	mac;
	unsigned char prefix[sizeof(MH_TOKEN_DOMAIN) + 1];
} mh_token_key;

/* Offset of the 12 digits in the message (the length of the prefix). */
#define MH_TOKEN_DIGITS_AT (sizeof(MH_TOKEN_DOMAIN) + 1)

/* Derive and precompute the token key of one keyring entry. */
extern bool mh_token_key_init(mh_token_key *tk, const mh_keyring_entry *e);
extern void mh_token_key_wipe(mh_token_key *tk);

/* The token of 12 ASCII digits (already validated). */
extern void mh_token_compute(const mh_token_key *tk, const char digits[MH_MYNUMBER_DIGITS],
							 unsigned char out[MH_TOKEN_BYTES]);

/*
 * The same token through OpenSSL's EVP_MAC, from the keyring entry: the
 * reference the fast path is tested against.
 */
extern bool mh_token_compute_evp(const mh_keyring_entry *e,
								 const char digits[MH_MYNUMBER_DIGITS],
								 unsigned char out[MH_TOKEN_BYTES]);

typedef enum mh_vtext_status
{
	MH_VTEXT_OK = 0,
	MH_VTEXT_BAD_PREFIX,
	MH_VTEXT_BAD_VERSION,
	MH_VTEXT_BAD_LENGTH,
	MH_VTEXT_BAD_CHARACTER,
	MH_VTEXT_NONCANONICAL
} mh_vtext_status;

/*
 * Text form of a versioned value: prefix (3 letters), version in decimal,
 * ':', then the n bytes after the version byte in unpadded base64url.
 * buf must hold MH_VTEXT_MAX bytes; n <= 48.
 */
extern void mh_vtext_format(const char *prefix, const unsigned char *val, size_t n,
							char *buf);

/*
 * Parse s[0..len) as written by mh_vtext_format into val[0..n] (version
 * byte first).  Only the canonical spelling is accepted, so that text and
 * value are one-to-one.
 */
extern mh_vtext_status mh_vtext_parse(const char *prefix, const char *s, size_t len,
									  unsigned char *val, size_t n);

/* A full English sentence describing status, for an error DETAIL. */
extern const char *mh_vtext_status_text(mh_vtext_status status);

#define MH_TOKEN_PREFIX "mnt"
#define MH_SEALED_PREFIX "mns"

#endif
