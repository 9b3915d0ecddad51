/*
 * mynumber.c: normalisation of typed My Numbers (個人番号).
 *
 * The check digit itself is mh_mynumber_is_valid() of checkdigit.c.
 */
#include "mynumber.h"
#include "nls.h"

#include <string.h>

#include "checkdigit.h"
#include "utf8.h"

/*
 * Classify one UTF-8 character at s (n bytes left): returns its length in
 * bytes, sets *digit to 0..9 for a digit, -1 for a separator, -2 otherwise.
 */
static size_t
classify(const unsigned char *s, size_t n, int *digit)
{
	uint32_t	c;
	int			len = mh_utf8_decode(s, n, &c);

	if (len == 0)
	{
		*digit = -2;			/* not UTF-8: the caller stops here */
		return 1;
	}
	if (c >= '0' && c <= '9')
		*digit = (int) (c - '0');
	else if (c >= 0xFF10 && c <= 0xFF19)
		*digit = (int) (c - 0xFF10);
	else if (c == ' ' || c == '\t' || c == '-' || c == 0x3000 ||
			 (c >= 0x2010 && c <= 0x2015) || c == 0x2212 ||
			 c == 0x30FC || c == 0xFF0D || c == 0xFF70)
		*digit = -1;
	else
		*digit = -2;
	return (size_t) len;
}

mh_mynumber_status
mh_mynumber_normalize(const char *in, size_t len,
					  char out[MH_MYNUMBER_DIGITS], int *ndigits)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		i = 0;
	int			n = 0;
	mh_mynumber_status status = MH_MYNUMBER_OK;

	while (i < len)
	{
		int			d;

		i += classify(s + i, len - i, &d);
		if (d == -2)
		{
			status = MH_MYNUMBER_BAD_CHARACTER;
			break;
		}
		if (d >= 0)
		{
			if (n < MH_MYNUMBER_DIGITS)
				out[n] = (char) ('0' + d);
			/* saturate: the count is only reported, never used as an index */
			if (n < 1000)
				n++;
		}
	}
	if (status == MH_MYNUMBER_OK && n != MH_MYNUMBER_DIGITS)
		status = MH_MYNUMBER_BAD_LENGTH;
	if (status == MH_MYNUMBER_OK && !mh_mynumber_is_valid(out, MH_MYNUMBER_DIGITS))
		status = MH_MYNUMBER_BAD_CHECK_DIGIT;
	if (status != MH_MYNUMBER_OK)
		memset(out, 0, MH_MYNUMBER_DIGITS);
	if (ndigits)
		*ndigits = n;
	return status;
}

const char *
mh_mynumber_status_text(mh_mynumber_status status)
{
	switch (status)
	{
		case MH_MYNUMBER_OK:
			return MH_N_("valid");
		case MH_MYNUMBER_BAD_CHARACTER:
			return MH_N_("unexpected character");
		case MH_MYNUMBER_BAD_LENGTH:
			return MH_N_("wrong number of digits");
		case MH_MYNUMBER_BAD_CHECK_DIGIT:
			return MH_N_("check digit mismatch");
	}
	return MH_N_("unknown error");
}
