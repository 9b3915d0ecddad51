/*
 * decision.h: fmgr layer of the legal calendar and the decision functions.
 *
 * The SQL functions are declared in sql/install/40_calendar.sql; the rules
 * themselves are in src/core/transition.c.  The module is three files:
 * decision_calendar.c (the calendar cache of a call site), decision.c
 * (arguments, errors and the decision functions) and decision_explain.c
 * (the explain_* functions), which share decision_internal.h.  This header
 * is what other modules see.
 */
#ifndef MYNAHOKEN_DECISION_H
#define MYNAHOKEN_DECISION_H

#include "postgres.h"

/* src/insurer_number.c: category index of an insurer number */
extern int	mynahoken_insurer_category_index(int32 value);

/* src/decision_calendar.c: the setting mynahoken.reference_coordinator; from _PG_init */
extern void mh_decisions_init(void);

#endif
