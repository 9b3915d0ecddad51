/*
 * keyring.h: the per-backend keyring of My Number tokens and sealing.
 *
 * Keys come from the file or command named by the superuser-only settings
 * mynahoken.keyring_file / mynahoken.keyring_command.  They are loaded on
 * first use in each backend, re-read after a configuration reload, handed
 * by a parallel leader to its workers (keyring.c), and wiped with
 * OPENSSL_cleanse at process exit.
 */
#ifndef MYNAHOKEN_KEYRING_SERVER_H
#define MYNAHOKEN_KEYRING_SERVER_H

#include "core/keyring.h"
#include "core/mynumber_token.h"

#define MH_SEAL_KEY_BYTES 64	/* AES-256-SIV: two 256-bit keys */
#define MH_FINGERPRINT_BYTES 8

typedef struct mh_loaded_key
{
	int			version;
	mh_token_key token;
	mh_mac_key	linkage;		/* digests of the linkage checks (core/linkage.h) */
	unsigned char seal[MH_SEAL_KEY_BYTES];
	unsigned char fingerprint[MH_KEY_BYTES];
} mh_loaded_key;

/* Define the settings; called once from mh_tokens_init(). */
extern void mh_keyring_define_settings(void);

/* The active key; loads the keyring if needed, errors if there is none. */
extern const mh_loaded_key *mh_keyring_active(void);

/* The key of a version; errors if that version is not loaded. */
extern const mh_loaded_key *mh_keyring_version(int version);

/*
 * Versions loaded, in ascending order, into versions[0..n); returns n.
 * *active receives the active version.
 */
extern int	mh_keyring_list(int versions[MH_KEY_VERSION_MAX], int *active);

#endif
