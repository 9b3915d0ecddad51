/*
 * seal.h: mynumber_sealed, deterministic AES-256-SIV sealing of My Numbers.
 *
 * A sealed value is 29 bytes: key version, 16-byte synthetic IV (the SIV
 * tag), 12 bytes of ciphertext.  Text form "mns<version>:<base64url>".
 */
#ifndef MYNAHOKEN_SEAL_H
#define MYNAHOKEN_SEAL_H

#define MH_SIV_TAG_BYTES 16
#define MH_SEALED_BYTES (1 + MH_SIV_TAG_BYTES + 12)
#define MH_SEAL_AAD "mynahoken mynumber seal"

#include "core/mynumber.h"

/*
 * Unseal a value (MH_SEALED_BYTES) into 12 digits, raising 22000 (data_exception) when it
 * does not authenticate; the caller wipes digits after use.
 */
extern void mh_unseal_digits(const unsigned char *in, char digits[MH_MYNUMBER_DIGITS]);

#endif
