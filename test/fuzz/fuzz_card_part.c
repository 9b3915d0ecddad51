/*
 * libFuzzer target: mh_card_part_normalize and mh_card_branch_normalize.
 * Normalisation must be idempotent, its full-width rendering must normalise
 * back to the same text, and 枝番 output is "" or two ASCII digits.
 */
#include <stdlib.h>
#include <string.h>

#include "identifiers.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char		out[MH_CARD_PART_BUFSZ];
	char		wide[MH_CARD_PART_BUFSZ];
	char		again[MH_CARD_PART_BUFSZ];
	size_t		len,
				wlen,
				alen;
	mh_parse_info info;

	if (mh_card_part_normalize((const char *) data, size, false, out, &len, &info) == MH_OK)
	{
		if (len == 0 || len >= MH_CARD_PART_BUFSZ || strlen(out) != len)
			abort();
		if (mh_card_part_normalize(out, len, false, again, &alen, &info) != MH_OK ||
			alen != len || memcmp(out, again, len) != 0)
			abort();
		if (mh_card_part_normalize(out, len, true, wide, &wlen, &info) != MH_OK ||
			mh_card_part_normalize(wide, wlen, false, again, &alen, &info) != MH_OK ||
			alen != len || memcmp(out, again, len) != 0)
			abort();
	}
	if (mh_card_branch_normalize((const char *) data, size, out, &len, &info) == MH_OK)
	{
		if (!(len == 0 || (len == 2 && out[0] >= '0' && out[0] <= '9' &&
						   out[1] >= '0' && out[1] <= '9')))
			abort();
	}
	return 0;
}
