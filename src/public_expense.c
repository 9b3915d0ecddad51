/*
 * public_expense.c: the public_payer_number (公費負担者番号) and
 * public_recipient_number (公費受給者番号) types.
 *
 * Both are stored by value as the integer of their digits and compared and
 * hashed with the server's int4 functions, like insurer_number.
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "identifier.h"

PG_FUNCTION_INFO_V1(public_payer_number_in);
Datum
public_payer_number_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);

	PG_RETURN_INT32(mh_int_identifier_parse(s, strlen(s), mh_public_payer_parse,
											&mh_kind_public_payer_number));
}

PG_FUNCTION_INFO_V1(public_payer_number_from_text);
Datum
public_payer_number_from_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_INT32(mh_int_identifier_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
											mh_public_payer_parse,
											&mh_kind_public_payer_number));
}

PG_FUNCTION_INFO_V1(public_payer_number_out);
Datum
public_payer_number_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(psprintf("%08d", PG_GETARG_INT32(0)));
}

PG_FUNCTION_INFO_V1(public_payer_number_recv);
Datum
public_payer_number_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_INT32(mh_int_identifier_recv(buf, 8, mh_public_payer_parse,
										   &mh_kind_public_payer_number));
}

PG_FUNCTION_INFO_V1(public_recipient_number_in);
Datum
public_recipient_number_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);

	PG_RETURN_INT32(mh_int_identifier_parse(s, strlen(s), mh_public_recipient_parse,
											&mh_kind_public_recipient_number));
}

PG_FUNCTION_INFO_V1(public_recipient_number_from_text);
Datum
public_recipient_number_from_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_INT32(mh_int_identifier_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
											mh_public_recipient_parse,
											&mh_kind_public_recipient_number));
}

PG_FUNCTION_INFO_V1(public_recipient_number_out);
Datum
public_recipient_number_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(psprintf("%07d", PG_GETARG_INT32(0)));
}

PG_FUNCTION_INFO_V1(public_recipient_number_recv);
Datum
public_recipient_number_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_INT32(mh_int_identifier_recv(buf, 7, mh_public_recipient_parse,
										   &mh_kind_public_recipient_number));
}

/* Non-raising checks, for data-quality queries over text columns. */
PG_FUNCTION_INFO_V1(public_payer_number_problem);
Datum
public_payer_number_problem(PG_FUNCTION_ARGS)
{
	text	   *problem = mh_int_identifier_problem(PG_GETARG_TEXT_PP(0),
													mh_public_payer_parse,
													&mh_kind_public_payer_number);

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(problem);
}

PG_FUNCTION_INFO_V1(public_recipient_number_problem);
Datum
public_recipient_number_problem(PG_FUNCTION_ARGS)
{
	text	   *problem = mh_int_identifier_problem(PG_GETARG_TEXT_PP(0),
													mh_public_recipient_parse,
													&mh_kind_public_recipient_number);

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(problem);
}

/* 法別番号 (2) + 都道府県番号 (2) + 実施機関番号 (3) + 検証番号 (1) */
PG_FUNCTION_INFO_V1(public_payer_number_law_code);
Datum
public_payer_number_law_code(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%02d", PG_GETARG_INT32(0) / 1000000)));
}

PG_FUNCTION_INFO_V1(public_payer_number_prefecture_code);
Datum
public_payer_number_prefecture_code(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_INT32(0) / 10000 % 100);
}

PG_FUNCTION_INFO_V1(public_payer_number_prefecture_name);
Datum
public_payer_number_prefecture_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(mh_prefecture_text(PG_GETARG_INT32(0) / 10000 % 100));
}
