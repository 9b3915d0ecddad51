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

extern Datum mynahoken_rule_cell_parse(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_cell_problem(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_check_boxes(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_age_on(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_birthday(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_add_months(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_month_end(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_next_month_day(PG_FUNCTION_ARGS);

/* rules_national.c */
extern Datum mynahoken_rule_insurer_category(PG_FUNCTION_ARGS);
extern Datum mynahoken_rule_national_certificate_need(PG_FUNCTION_ARGS);

#endif
