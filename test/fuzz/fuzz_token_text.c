/*
 * libFuzzer target: the text input of mynumber_token and mynumber_sealed
 * (mh_vtext_parse).  Whatever parses must format back to the same bytes,
 * since the text form is canonical; nothing may read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mynumber_token.h"

static void
check(const char *prefix, const uint8_t *data, size_t size, size_t n)
{
	unsigned char val[64];
	char		text[MH_VTEXT_MAX];
	mh_vtext_status st;

	/* a heap copy of exactly size bytes, so ASan sees any over-read */
	char	   *s = malloc(size ? size : 1);

	memcpy(s, data, size);
	st = mh_vtext_parse(prefix, s, size, val, n);
	if (st == MH_VTEXT_OK)
	{
		if (val[0] == 0)
			abort();
		mh_vtext_format(prefix, val, n, text);
		if (strlen(text) != size || memcmp(text, s, size) != 0)
			abort();
	}
	else if (mh_vtext_status_text(st) == NULL)
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(MH_TOKEN_PREFIX, data, size, MH_TOKEN_MAC_BYTES);
	check(MH_SEALED_PREFIX, data, size, 28);
	return 0;
}
