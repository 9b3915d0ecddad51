/*
 * libFuzzer target: normalisation of typed My Numbers
 * (mh_mynumber_normalize).  Accepted input yields 12 ASCII digits with a
 * valid check digit; rejected input leaves the output wiped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkdigit.h"
#include "mynumber.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size ? size : 1);
	char		out[MH_MYNUMBER_DIGITS];
	int			ndigits = -1;
	mh_mynumber_status st;

	memcpy(s, data, size);
	st = mh_mynumber_normalize(s, size, out, &ndigits);
	if (ndigits < 0 || ndigits > 1000)
		abort();
	if (st == MH_MYNUMBER_OK)
	{
		if (ndigits != MH_MYNUMBER_DIGITS || !mh_mynumber_is_valid(out, MH_MYNUMBER_DIGITS))
			abort();
		/* normalising the canonical form gives it back */
		{
			char		again[MH_MYNUMBER_DIGITS];

			if (mh_mynumber_normalize(out, MH_MYNUMBER_DIGITS, again, NULL) != MH_MYNUMBER_OK ||
				memcmp(again, out, MH_MYNUMBER_DIGITS) != 0)
				abort();
		}
	}
	else
	{
		for (int i = 0; i < MH_MYNUMBER_DIGITS; i++)
			if (out[i] != 0)
				abort();
		if (st == MH_MYNUMBER_BAD_LENGTH && ndigits == MH_MYNUMBER_DIGITS)
			abort();
	}
	free(s);
	return 0;
}
