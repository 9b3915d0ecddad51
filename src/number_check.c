/*
 * number_check.c: check-digit validation of the My Number (個人番号) and the
 * 法人番号 (corporate number) as text.
 *
 * mynumber_is_valid never raises and never logs: it is meant for the WHERE
 * clause of data-quality queries over columns that hold plaintext numbers.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "identifier.h"

PG_FUNCTION_INFO_V1(mynumber_is_valid);
Datum
mynumber_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *u = mh_text_as_utf8(VARDATA_ANY(t), &len);
	char		digits[12];
	mh_parse_info info;

	PG_RETURN_BOOL(mh_mynumber_parse(u, len, digits, &info) == MH_OK);
}

/* The explanation says what is wrong, never which digits are there. */
PG_FUNCTION_INFO_V1(mynumber_problem);
Datum
mynumber_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *u = mh_text_as_utf8(VARDATA_ANY(t), &len);
	char		digits[12];
	mh_parse_info info;
	mh_status	st = mh_mynumber_parse(u, len, digits, &info);

	if (st == MH_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(mh_identifier_problem(&mh_kind_mynumber, st, &info)));
}

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
