/*
 * mynumber_text.c: My Numbers arriving as text.
 *
 * tokenize(), seal() and mynumber_is_valid() all read a typed number
 * through mh_mynumber_normalize(), so a number that mynumber_is_valid()
 * accepts is one that tokenize() accepts.  Errors and explanations say what
 * is wrong and never repeat a digit; mh_sensitive_ereport keeps their
 * STATEMENT and CONTEXT out of the server log.
 */
#include "postgres.h"

#include <openssl/crypto.h>

#include "utils/builtins.h"

#include "identifier.h"
#include "mynahoken.h"
#include "mynumber_text.h"

/*
 * The DETAIL of an invalid My Number, shared by errors (translated) and
 * mynumber_problem() (IMMUTABLE, so in English whatever lc_messages says).
 */
static char *
mynumber_detail(mh_mynumber_status st, int ndigits, bool translate)
{
	switch (st)
	{
		case MH_MYNUMBER_BAD_CHARACTER:
			return pstrdup(mh_tr(translate, "A My Number may contain only digits (ASCII or full-width), spaces and hyphens."));
		case MH_MYNUMBER_BAD_LENGTH:
			return psprintf(mh_tr(translate, "A My Number has 12 digits; the input has %d."), ndigits);
		case MH_MYNUMBER_BAD_CHECK_DIGIT:
			return pstrdup(mh_tr(translate, "The last digit is not the check digit of the first eleven."));
		case MH_MYNUMBER_OK:
			break;
	}
	return pstrdup(mh_tr(translate, "The value is a valid My Number."));
}

/* The 22P02 error of an invalid My Number; never mentions the value. */
static void pg_attribute_noreturn()
mh_mynumber_invalid(mh_mynumber_status st, int ndigits)
{
	mh_sensitive_ereport(ERROR,
						 (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						  errmsg("invalid My Number: %s", mh_gettext(mh_mynumber_status_text(st))),
						  errdetail_internal("%s", mynumber_detail(st, ndigits, true))));
}

/* Normalise text of len bytes; the status, and the digits when valid. */
static mh_mynumber_status
normalize_text(const char *s, int len, char digits[MH_MYNUMBER_DIGITS], int *ndigits)
{
	const char *u = mh_text_as_utf8(s, &len);

	return mh_mynumber_normalize(u, (size_t) len, digits, ndigits);
}

void
mh_mynumber_from_text(const char *s, int len, char digits[MH_MYNUMBER_DIGITS])
{
	int			ndigits;
	mh_mynumber_status st = normalize_text(s, len, digits, &ndigits);

	if (st != MH_MYNUMBER_OK)
		mh_mynumber_invalid(st, ndigits);
}

/* For WHERE clauses over columns of typed numbers: never raises, never logs. */
PG_FUNCTION_INFO_V1(mynumber_is_valid);
Datum
mynumber_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		digits[MH_MYNUMBER_DIGITS];
	mh_mynumber_status st = normalize_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
										   digits, NULL);

	OPENSSL_cleanse(digits, sizeof(digits));
	PG_RETURN_BOOL(st == MH_MYNUMBER_OK);
}

PG_FUNCTION_INFO_V1(mynumber_problem);
Datum
mynumber_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		digits[MH_MYNUMBER_DIGITS];
	int			ndigits;
	mh_mynumber_status st = normalize_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
										   digits, &ndigits);

	OPENSSL_cleanse(digits, sizeof(digits));
	if (st == MH_MYNUMBER_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(mynumber_detail(st, ndigits, false)));
}
