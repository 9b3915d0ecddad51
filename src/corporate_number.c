/*
 * corporate_number.c: check-digit validation of the 法人番号 (corporate
 * number) of an employer, as text.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "identifier.h"

static mh_status
parse_corporate(const char *in, size_t len, int32_t *value, mh_parse_info *info)
{
	*value = 0;					/* 13 digits do not fit; nothing is kept */
	return mh_corporate_number_parse(in, len, info);
}

PG_FUNCTION_INFO_V1(corporate_number_problem);
Datum
corporate_number_problem(PG_FUNCTION_ARGS)
{
	text	   *problem = mh_int_identifier_problem(PG_GETARG_TEXT_PP(0), parse_corporate,
													&mh_kind_corporate_number);

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(problem);
}
