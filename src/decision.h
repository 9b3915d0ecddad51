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

extern Datum mynahoken_legacy_card_usable_until(PG_FUNCTION_ARGS);
extern Datum mynahoken_legacy_card_valid(PG_FUNCTION_ARGS);
extern Datum mynahoken_legacy_card_accepted(PG_FUNCTION_ARGS);
extern Datum mynahoken_myna_usable_until(PG_FUNCTION_ARGS);
extern Datum mynahoken_usable_documents(PG_FUNCTION_ARGS);
extern Datum mynahoken_accepted_documents(PG_FUNCTION_ARGS);
extern Datum mynahoken_certificate_need(PG_FUNCTION_ARGS);
extern Datum mynahoken_certificate_valid_until(PG_FUNCTION_ARGS);
extern Datum mynahoken_acquisition_report_due(PG_FUNCTION_ARGS);
extern Datum mynahoken_notice_sending_window(PG_FUNCTION_ARGS);
extern Datum mynahoken_explain_legacy_card(PG_FUNCTION_ARGS);
extern Datum mynahoken_explain_documents(PG_FUNCTION_ARGS);
extern Datum mynahoken_explain_certificate_need(PG_FUNCTION_ARGS);
extern Datum mynahoken_explain_certificate_valid_until(PG_FUNCTION_ARGS);
extern Datum mynahoken_explain_acquisition_report_due(PG_FUNCTION_ARGS);
extern Datum mynahoken_explain_notice_sending_window(PG_FUNCTION_ARGS);
extern Datum mynahoken_legacy_card_usable_until_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_legacy_card_valid_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_legacy_card_accepted_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_myna_usable_until_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_usable_documents_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_accepted_documents_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_certificate_need_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_certificate_valid_until_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_acquisition_report_due_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_notice_sending_window_by_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_transition_rules(PG_FUNCTION_ARGS);
extern Datum mynahoken_transition_rules_for_insurer(PG_FUNCTION_ARGS);

#endif
