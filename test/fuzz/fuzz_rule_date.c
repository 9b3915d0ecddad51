/*
 * libFuzzer target: the date primitives of the rule engine's output
 * expressions (rule_date.c) over any day, birthday number and month-day.
 * The n-th birthday is the first day of age n (mh_age_on); the next
 * month-day is on or after the day, has the month and day asked, and no
 * day in between has them; refusals are exactly the impossible inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rule_date.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int32_t		raw;
	int			n,
				month,
				mday,
				y,
				m,
				d;
	mh_day		day,
				r;

	if (size < 7)
		return 0;
	memcpy(&raw, data, 4);
	/* days within a few thousand years of 2000, where the checks stay cheap */
	day = raw % 1500000;
	n = data[4] % 220;
	month = data[5] % 14;
	mday = data[6] % 33;

	if (mh_birthday(day, n, &r))
	{
		if (mh_age_on(day, r) < n || mh_age_on(day, r - 1) >= n)
			abort();
	}

	if (mh_next_month_day(day, month, mday, &r))
	{
		if (month < 1 || month > 12 || r < day)
			abort();
		mh_ymd_from_day(r, &y, &m, &d);
		if (m != month || d != mday)
			abort();
		/* none in between: the gap is at most eight years and a day */
		if (r - day > 8 * 366 + 1)
			abort();
		if (r > day)
		{
			mh_ymd_from_day(day, &y, &m, &d);
			if (m == month && d == mday)
				abort();
		}
	}
	else if (month >= 1 && month <= 12 && mday >= 1 &&
			 mday <= (month == 2 ? 29 : (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31))
		abort();
	return 0;
}
