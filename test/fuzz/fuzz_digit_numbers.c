/*
 * libFuzzer target: mh_normalize_digits and mh_corporate_number_parse.
 * Output is ASCII digits only, never more than the buffer holds.  (Typed My
 * Numbers have their own target, fuzz_mynumber.)
 */
#include <stdlib.h>

#include "identifiers.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char		digits[16];
	size_t		n;
	mh_parse_info info;

	mh_status	st = mh_normalize_digits((const char *) data, size, digits,
										 sizeof(digits), &n, &info);

	if (st == MH_OK || st == MH_ERR_LENGTH)
	{
		if (n > sizeof(digits))
			abort();
		for (size_t i = 0; i < n; i++)
			if (digits[i] < '0' || digits[i] > '9')
				abort();
	}
	(void) mh_corporate_number_parse((const char *) data, size, &info);
	return 0;
}
