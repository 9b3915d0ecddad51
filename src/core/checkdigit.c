/*
 * checkdigit.c: check digits of Japanese identifiers.
 *
 * The algorithms and their legal sources are in doc/identifiers.md.
 */
#include "checkdigit.h"

int
mh_mod10_check_digit(const char *data, size_t len)
{
	int			sum = 0;
	bool		twice = true;	/* the rightmost data digit is weighted 2 */

	for (size_t i = len; i-- > 0;)
	{
		int			p = (data[i] - '0') * (twice ? 2 : 1);

		sum += p / 10 + p % 10;
		twice = !twice;
	}
	return (10 - sum % 10) % 10;
}

int
mh_mynumber_check_digit(const char *base11)
{
	int			sum = 0;

	/* n counts from the least significant base digit: Qn = n+1, then n-5 */
	for (int n = 1; n <= 11; n++)
	{
		int			p = base11[11 - n] - '0';
		int			q = n <= 6 ? n + 1 : n - 5;

		sum += p * q;
	}
	sum %= 11;
	return sum <= 1 ? 0 : 11 - sum;
}

bool
mh_mynumber_is_valid(const char *s, size_t len)
{
	if (len != 12)
		return false;
	for (size_t i = 0; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return mh_mynumber_check_digit(s) == s[11] - '0';
}

int
mh_corporate_check_digit(const char *base12)
{
	int			sum = 0;

	for (int n = 1; n <= 12; n++)
		sum += (base12[12 - n] - '0') * (n % 2 == 1 ? 1 : 2);
	return 9 - sum % 9;
}
