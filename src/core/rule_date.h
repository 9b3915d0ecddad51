/*
 * rule_date.h: the date primitives of the rule engine's output expressions,
 * in plain C (issue 11).
 *
 * The counting rules are those of the national decisions (transition.c): a
 * birthday counts on the day itself, and a 29 February birth has its
 * birthday on 1 March in other years (mh_age_on); month arithmetic clamps to
 * the end of a shorter month (mh_add_months).  Infinite days stay infinite.
 */
#ifndef MYNAHOKEN_RULE_DATE_H
#define MYNAHOKEN_RULE_DATE_H

#include <stdbool.h>

#include "transition.h"

/*
 * The n-th birthday of someone born on birth: the first day on which
 * mh_age_on(birth, day) >= n.  false when n is negative or the day would
 * fall outside PostgreSQL's date range.
 */
extern bool mh_birthday(mh_day birth, int n, mh_day *result);

/*
 * The first day on or after day that is month/mday (7, 31: the next
 * 7月31日).  false for a month-day that never exists (2/30; 2/29 is allowed
 * and found in the next leap year).
 */
extern bool mh_next_month_day(mh_day day, int month, int mday, mh_day *result);

#endif
