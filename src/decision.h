/*
 * decision.h: fmgr layer of the legal calendar and the decision functions.
 *
 * The SQL functions are declared in sql/install/40_calendar.sql; the rules
 * themselves are in src/core/transition.c.  Nothing here is used by other
 * modules yet.
 */
#ifndef MYNAHOKEN_DECISION_H
#define MYNAHOKEN_DECISION_H

#include "fmgr.h"

/* src/insurer_number.c: category index of an insurer number */
extern int	mynahoken_insurer_category_index(int32 value);

#endif
