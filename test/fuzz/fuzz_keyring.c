/*
 * libFuzzer target: the keyring parser (mh_keyring_parse).  A rejected
 * keyring must leave nothing behind (the output is all zero: no partial
 * key use); an accepted one must be consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"

static mh_keyring kr;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size ? size : 1);
	int			line;
	mh_keyring_status st;

	memcpy(s, data, size);
	memset(&kr, 0xA5, sizeof(kr));
	st = mh_keyring_parse(s, size, &kr, &line);
	if (st != MH_KEYRING_OK)
	{
		const unsigned char *p = (const unsigned char *) &kr;

		for (size_t i = 0; i < sizeof(kr); i++)
			if (p[i] != 0)
				abort();
		if (line < 0 || mh_keyring_status_text(st) == NULL)
			abort();
	}
	else
	{
		int			nactive = 0;

		if (kr.nkeys < 1 || kr.nkeys > MH_KEY_VERSION_MAX)
			abort();
		for (int i = 0; i < kr.nkeys; i++)
		{
			if (kr.keys[i].version < 1 || kr.keys[i].version > MH_KEY_VERSION_MAX)
				abort();
			if (mh_keyring_find(&kr, kr.keys[i].version) != &kr.keys[i])
				abort();		/* duplicate version accepted */
			if (kr.keys[i].version == kr.active)
				nactive++;
		}
		if (nactive != 1)
			abort();
	}
	mh_keyring_wipe(&kr);
	free(s);
	return 0;
}
