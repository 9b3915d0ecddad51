/*
 * libFuzzer target: mh_insurer_number_parse.  A value it accepts must print
 * and parse back to itself, and its accessors must stay in range.
 */
#include <stdlib.h>
#include <string.h>

#include "identifiers.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int32_t		value;
	int32_t		again;
	mh_parse_info info;
	char		buf[9];
	int			cat;

	if (mh_insurer_number_parse((const char *) data, size, &value, &info) != MH_OK)
		return 0;
	if (value < 0 || value > 99999999)
		abort();
	mh_insurer_number_format(value, buf);
	if (mh_insurer_number_parse(buf, strlen(buf), &again, &info) != MH_OK || again != value)
		abort();
	if (mh_prefecture_name(mh_insurer_number_prefecture(value)) == NULL)
		abort();
	cat = (int) mh_insurer_number_category(value);
	if (cat < MH_CAT_KYOKAI_KENPO || cat > MH_CAT_NHI_SOCIETY)
		abort();
	if (!mh_insurer_number_is_nhi(value) &&
		!mh_law_code_is_insurance(mh_insurer_number_law_code(value)))
		abort();
	return 0;
}
