/*
 * insurer_number.c: the insurer_number type (保険者番号).
 *
 * Stored by value as the integer of its digits: 8-digit numbers are at
 * least 1,000,000 (their 法別番号 is never 00), 6-digit 国民健康保険 numbers
 * are below.  Comparison and hashing use the int4 functions of the server
 * (declared in sql/install/10_identifiers.sql), so the hash used by hash
 * partitioning and Citus is that of int4 and never changes.
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "decision.h"
#include "identifier.h"
#include "catalog.h"
#include "mynahoken.h"

MH_INT_IDENTIFIER_FUNCTIONS(insurer_number, mh_insurer_number_parse,
							mh_kind_insurer_number, 8)

PG_FUNCTION_INFO_V1(insurer_number_out);
Datum
insurer_number_out(PG_FUNCTION_ARGS)
{
	char	   *buf = palloc(9);

	mh_insurer_number_format(PG_GETARG_INT32(0), buf);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(int_identifier_send);
Datum
int_identifier_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, PG_GETARG_INT32(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(insurer_number_is_valid);
Datum
insurer_number_is_valid(PG_FUNCTION_ARGS)
{
	mh_parse_info info;
	int32_t		value;

	PG_RETURN_BOOL(mh_int_identifier_check(PG_GETARG_TEXT_PP(0), mh_insurer_number_parse,
										   &value, &info) == MH_OK);
}

PG_FUNCTION_INFO_V1(insurer_number_law_code);
Datum
insurer_number_law_code(PG_FUNCTION_ARGS)
{
	int			law = mh_insurer_number_law_code(PG_GETARG_INT32(0));

	if (law < 0)
		PG_RETURN_NULL();		/* 国保 numbers have no 法別番号 */
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%02d", law)));
}

PG_FUNCTION_INFO_V1(insurer_number_prefecture_code);
Datum
insurer_number_prefecture_code(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(mh_insurer_number_prefecture(PG_GETARG_INT32(0)));
}

PG_FUNCTION_INFO_V1(insurer_number_prefecture_name);
Datum
insurer_number_prefecture_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(mh_prefecture_text(mh_insurer_number_prefecture(PG_GETARG_INT32(0))));
}

/* The check digit of any identifier stored as int32: its last digit. */
PG_FUNCTION_INFO_V1(identifier_check_digit);
Datum
identifier_check_digit(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_INT32(0) % 10);
}

PG_FUNCTION_INFO_V1(insurer_number_padded);
Datum
insurer_number_padded(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%08d", PG_GETARG_INT32(0))));
}

/*
 * The enum's value OIDs, looked up once per call site (fn_extra) from the
 * function's declared result type, so no OID is compiled in.
 */
PG_FUNCTION_INFO_V1(insurer_number_category);
Datum
insurer_number_category(PG_FUNCTION_ARGS)
{
	Oid		   *oids = (Oid *) fcinfo->flinfo->fn_extra;
	MhCategory cat = mh_insurer_number_category(PG_GETARG_INT32(0));

	if (oids == NULL)
	{
		Oid			enumtype = get_func_rettype(fcinfo->flinfo->fn_oid);

		oids = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid) * MH_CAT_COUNT);
		mh_enum_oids(enumtype, mh_category_names, MH_CAT_COUNT, oids);
		fcinfo->flinfo->fn_extra = oids;
	}
	PG_RETURN_OID(oids[cat]);
}

/*
 * The position of an insurer number's category in mynahoken.insurer_category
 * (0-based), for the per-insurer calendar of decision.c.
 */
int
mynahoken_insurer_category_index(int32 value)
{
	return (int) mh_insurer_number_category(value);
}
