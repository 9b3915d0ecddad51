/*
 * rule_date.c: date primitives of the rule engine (see rule_date.h).
 */
#include "rule_date.h"

/* PostgreSQL's date range, in days since 2000-01-01 (JULIAN_MINJULDAY ..). */
#define RULE_YEAR_MIN	(-4713)
#define RULE_YEAR_MAX	5874897

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
mh_birthday(mh_day birth, int n, mh_day *result)
{
	int			by,
				bm,
				bd;
	long		y;

	if (n < 0)
		return false;
	if (birth == MH_DAY_MIN || birth == MH_DAY_MAX)
	{
		*result = birth;
		return true;
	}
	mh_ymd_from_day(birth, &by, &bm, &bd);
	y = (long) by + n;
	if (y > RULE_YEAR_MAX - 1)
		return false;
	/* the birthday counts; 29 February is 1 March in other years */
	if (bm == 2 && bd == 29 && !leap((int) y))
		*result = mh_day_from_ymd((int) y, 3, 1);
	else
		*result = mh_day_from_ymd((int) y, bm, bd);
	return true;
}

bool
mh_next_month_day(mh_day day, int month, int mday, mh_day *result)
{
	int			y,
				m,
				d;

	if (month < 1 || month > 12 || mday < 1 || mday > 31 ||
		(month == 2 ? mday > 29 : !mh_ymd_valid(2001, month, mday)))
		return false;
	if (day == MH_DAY_MIN || day == MH_DAY_MAX)
	{
		*result = day;
		return true;
	}
	mh_ymd_from_day(day, &y, &m, &d);
	if (y < RULE_YEAR_MIN || y > RULE_YEAR_MAX - 9)
		return false;
	/* this year's, else the next year that has the day (29 February) */
	if (mh_ymd_valid(y, month, mday) && mh_day_from_ymd(y, month, mday) >= day)
	{
		*result = mh_day_from_ymd(y, month, mday);
		return true;
	}
	for (y = y + 1;; y++)
		if (mh_ymd_valid(y, month, mday))
		{
			*result = mh_day_from_ymd(y, month, mday);
			return true;
		}
}
