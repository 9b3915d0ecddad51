/*
 * public_expense.c: the public_payer_number (公費負担者番号) and
 * public_recipient_number (公費受給者番号) types.
 *
 * Both are stored by value as the integer of their digits and compared and
 * hashed with the server's int4 functions, like insurer_number.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "identifier.h"

MH_INT_IDENTIFIER_FUNCTIONS(public_payer_number, mh_public_payer_parse,
							mh_kind_public_payer_number, 8)
MH_INT_IDENTIFIER_FUNCTIONS(public_recipient_number, mh_public_recipient_parse,
							mh_kind_public_recipient_number, 7)

PG_FUNCTION_INFO_V1(public_payer_number_out);
Datum
public_payer_number_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(psprintf("%08d", PG_GETARG_INT32(0)));
}

PG_FUNCTION_INFO_V1(public_recipient_number_out);
Datum
public_recipient_number_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(psprintf("%07d", PG_GETARG_INT32(0)));
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
