/*
 * rules.h: fmgr layer of the rule engine.
 *
 * The SQL functions are declared in sql/install/60_rules.sql; rules.c holds
 * the cell parser's and box checks' wrappers and the date primitives
 * (src/core/rule_date.c), rules_national.c the national
 * facts the compiled decisions read.  The cell
 * language and the box algebra are in src/core/rule_cell.c and
 * src/core/rule_box.c.  The storage, activation, compiler and explanations
 * are PL/pgSQL and generated SQL in the same fragment.
 */
#ifndef MYNAHOKEN_RULES_H
#define MYNAHOKEN_RULES_H

#include "fmgr.h"

#endif
