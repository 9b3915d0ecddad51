/*
 * keyring.h: the mynahoken keyring file format, in plain C.
 *
 * A keyring is text, one key version per line:
 *
 *     # comments and blank lines are ignored
 *     1:<64 hexadecimal digits>
 *     2:<64 hexadecimal digits>:active
 *
 * Versions are 1..255, each at most once; exactly one line carries
 * ":active" (the version new tokens are made with).  A key is 32 random
 * bytes; all-equal bytes are refused as an obvious placeholder.  The parser
 * never copies key text anywhere but into the caller's mh_keyring, which it
 * wipes on any error.  Errors report a line number, never line content.
 */
#ifndef MYNAHOKEN_KEYRING_H
#define MYNAHOKEN_KEYRING_H

#include <stdbool.h>
#include <stddef.h>

#define MH_KEY_BYTES 32
#define MH_KEY_VERSION_MAX 255
#define MH_KEYRING_LINE_MAX 1024
#define MH_KEYRING_FILE_MAX (1024 * 1024)

typedef struct mh_keyring_entry
{
	int			version;		/* 1..255 */
	unsigned char key[MH_KEY_BYTES];
} mh_keyring_entry;

typedef struct mh_keyring
{
	int			nkeys;
	int			active;			/* version of the active key */
	mh_keyring_entry keys[MH_KEY_VERSION_MAX];	/* in file order */
} mh_keyring;

typedef enum mh_keyring_status
{
	MH_KEYRING_OK = 0,
	MH_KEYRING_EMPTY,
	MH_KEYRING_TOO_LARGE,
	MH_KEYRING_LINE_TOO_LONG,
	MH_KEYRING_NUL_BYTE,
	MH_KEYRING_BAD_SYNTAX,
	MH_KEYRING_BAD_VERSION,
	MH_KEYRING_DUPLICATE_VERSION,
	MH_KEYRING_BAD_KEY,
	MH_KEYRING_WEAK_KEY,
	MH_KEYRING_BAD_FLAG,
	MH_KEYRING_NO_ACTIVE,
	MH_KEYRING_TWO_ACTIVE
} mh_keyring_status;

/*
 * Parse buf[0..len) into *out.  On error returns the status, sets *lineno
 * (1-based; 0 when the error is not about one line) and wipes *out.
 */
extern mh_keyring_status mh_keyring_parse(const char *buf, size_t len,
										  mh_keyring *out, int *lineno);

/* A full English sentence describing status, for an error DETAIL. */
extern const char *mh_keyring_status_text(mh_keyring_status status);

/* The entry of version v, or NULL. */
extern const mh_keyring_entry *mh_keyring_find(const mh_keyring *kr, int version);

/* Wipe a keyring with OPENSSL_cleanse. */
extern void mh_keyring_wipe(mh_keyring *kr);

/*
 * Derive a 32-byte subkey: HMAC-SHA256(key, label), through OpenSSL's
 * EVP_MAC.  Every use of a keyring key (tokens, sealing, fingerprints) goes
 * through its own label, so no two algorithms ever share key bytes.
 * Returns false when OpenSSL fails.
 */
extern bool mh_key_derive(const unsigned char key[MH_KEY_BYTES], const char *label,
						  unsigned char out[MH_KEY_BYTES]);

/* Labels of the derived keys (part of the token definition: frozen). */
#define MH_LABEL_TOKEN "mynahoken token key"
#define MH_LABEL_SEAL_1 "mynahoken seal key 1"
#define MH_LABEL_SEAL_2 "mynahoken seal key 2"
#define MH_LABEL_FINGERPRINT "mynahoken key fingerprint"
#define MH_LABEL_LINKAGE "mynahoken linkage digest key"

#endif
