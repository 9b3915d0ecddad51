/*
 * libFuzzer target: mh_public_payer_parse and mh_public_recipient_parse.
 * An accepted value printed with its fixed width must parse back to itself.
 */
#include <stdio.h>
#include <stdlib.h>

#include "identifiers.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int32_t		value;
	int32_t		again;
	mh_parse_info info;
	char		buf[16];

	if (mh_public_payer_parse((const char *) data, size, &value, &info) == MH_OK)
	{
		int			len = snprintf(buf, sizeof(buf), "%08d", value);

		if (len != 8 || mh_public_payer_parse(buf, len, &again, &info) != MH_OK || again != value)
			abort();
	}
	if (mh_public_recipient_parse((const char *) data, size, &value, &info) == MH_OK)
	{
		int			len = snprintf(buf, sizeof(buf), "%07d", value);

		if (len != 7 || mh_public_recipient_parse(buf, len, &again, &info) != MH_OK || again != value)
			abort();
	}
	return 0;
}
