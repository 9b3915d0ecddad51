/*
 * libFuzzer target: mh_normalize_digits (with and without separators),
 * mh_mynumber_parse and mh_corporate_number_parse.  Output is ASCII digits
 * only; an accepted My Number passes its check digit.
 */
#include <stdlib.h>

#include "checkdigit.h"
#include "identifiers.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char		digits[16];
	size_t		n;
	mh_parse_info info;

	for (int separators = 0; separators <= 1; separators++)
	{
		mh_status	st = mh_normalize_digits((const char *) data, size, digits,
											 sizeof(digits), &n, separators, &info);

		if (st == MH_OK || st == MH_ERR_LENGTH)
		{
			if (n > sizeof(digits))
				abort();
			for (size_t i = 0; i < n; i++)
				if (digits[i] < '0' || digits[i] > '9')
					abort();
		}
	}
	if (mh_mynumber_parse((const char *) data, size, digits, &info) == MH_OK &&
		!mh_mynumber_is_valid(digits, 12))
		abort();
	(void) mh_corporate_number_parse((const char *) data, size, &info);
	return 0;
}
