/*
 * identifier.c: error reports and I/O shared by the identifier types.
 *
 * Messages name the type and what is wrong (length, character, check
 * digit, 法別番号, prefecture) but never repeat the value: a column meant
 * for one identifier sometimes holds another, and a My Number pasted into
 * the wrong place must not reach the server log.
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "identifier.h"
#include "mynahoken.h"

const mh_identifier_kind mh_kind_insurer_number = {
	"insurer_number", true, "digits",
	gettext_noop("An insurer number has 8 digits, or 6 for National Health Insurance (国民健康保険).")
};
const mh_identifier_kind mh_kind_public_payer_number = {
	"public_payer_number", true, "digits",
	gettext_noop("A public expense payer number (公費負担者番号) has 8 digits.")
};
const mh_identifier_kind mh_kind_public_recipient_number = {
	"public_recipient_number", true, "digits",
	gettext_noop("A public expense recipient number (公費受給者番号) has 7 digits.")
};
const mh_identifier_kind mh_kind_corporate_number = {
	gettext_noop("corporate number"), false, "digits",
	gettext_noop("A corporate number (法人番号) has 13 digits.")
};
const mh_identifier_kind mh_kind_card_symbol = {
	gettext_noop("card symbol"), false, "characters",
	gettext_noop("A card symbol (記号) has at most 40 characters.")
};
const mh_identifier_kind mh_kind_card_number = {
	gettext_noop("card number"), false, "characters",
	gettext_noop("A card number (番号) has 1 to 40 characters.")
};
const mh_identifier_kind mh_kind_card_branch = {
	gettext_noop("card branch number"), false, "digits",
	gettext_noop("A branch number (枝番) has 2 digits, or none.")
};

/*
 * The detail, translated for errors; in English for *_problem(), which is
 * IMMUTABLE and so must not depend on lc_messages.
 */
static char *
identifier_problem(const mh_identifier_kind *kind, mh_status st,
				   const mh_parse_info *info, bool translate)
{
	bool		digits = strcmp(kind->unit, "digits") == 0;
	const char *rule = mh_tr(translate, kind->length_rule);

	/* translator: two sentences of a DETAIL: what is wrong, the length rule */
	const char *two = mh_tr(translate, "%s %s");

	switch (st)
	{
		case MH_ERR_EMPTY:
			return psprintf(two, mh_tr(translate, "The value is empty."), rule);
		case MH_ERR_LENGTH:
			return psprintf(two,
							psprintf(digits ?
									 mh_tr(translate, "The value has %zu digits.") :
									 mh_tr(translate, "The value has %zu characters."),
									 info->length),
							rule);
		case MH_ERR_CHARACTER:
			if (digits)
				return psprintf(mh_tr(translate, "Character %zu is not a digit."),
								info->position);
			return psprintf(mh_tr(translate, "Character %zu is not allowed in a %s."),
							info->position, mh_tr(translate, kind->name));
		case MH_ERR_SPACE:
			return psprintf(mh_tr(translate, "Character %zu is a space inside the value; only surrounding spaces are removed."),
							info->position);
		case MH_ERR_ENCODING:
			return psprintf(mh_tr(translate, "Character %zu is not valid UTF-8."), info->position);
		case MH_ERR_CHECK_DIGIT:
			return psprintf(mh_tr(translate, "The check digit should be %d."), info->expected);
		case MH_ERR_LAW_CODE:
			return psprintf(mh_tr(translate, "Law code (法別番号) %02d is not that of a health insurance program."),
							info->expected);
		case MH_ERR_PREFECTURE:
			return psprintf(mh_tr(translate, "Prefecture code %02d is not between 01 and 47."),
							info->expected);
		case MH_OK:
			break;
	}
	return pstrdup(mh_tr(translate, "The value is valid."));
}

char *
mh_identifier_problem(const mh_identifier_kind *kind, mh_status st,
					  const mh_parse_info *info)
{
	return identifier_problem(kind, st, info, false);
}

void
mh_identifier_error(const mh_identifier_kind *kind, mh_status st,
					const mh_parse_info *info)
{
	char	   *detail = identifier_problem(kind, st, info, true);

	/*
	 * The statement is kept out of the server log for every identifier: the
	 * value may be a My Number typed into the wrong column.
	 */
	if (kind->is_type)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							  errmsg("invalid input syntax for type %s", kind->name),
							  errdetail_internal("%s", detail)));
	mh_sensitive_ereport(ERROR,
						 (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						  errmsg("invalid %s", mh_gettext(kind->name)),
						  errdetail_internal("%s", detail)));
}

/*
 * Never raises: a check (the *_is_valid and *_problem functions, the
 * issuance snapshot) must answer for any bytes the database can store.
 * From the first byte that has no UTF-8 equivalent (a user-defined EUC_JP
 * character, a byte above 0x7F in an SQL_ASCII database that does not
 * start valid UTF-8), the text reads as U+FFFD, which no identifier
 * accepts: the parsers then name an invalid character, never the bytes.
 */
#define MH_REPLACEMENT_UTF8 "\xEF\xBF\xBD"

const char *
mh_text_as_utf8(const char *s, int *len)
{
	static Oid	proc = InvalidOid;
	int			enc = GetDatabaseEncoding();
	char	   *u;
	int			good;

	if (enc == PG_UTF8)
		return s;
	for (good = 0; good < *len && !IS_HIGHBIT_SET(s[good]); good++)
		;
	if (good == *len)
		return s;				/* ASCII reads the same in UTF-8 */
	u = palloc((Size) *len * MAX_CONVERSION_GROWTH + sizeof(MH_REPLACEMENT_UTF8));
	if (enc == PG_SQL_ASCII)
	{
		good = pg_encoding_verifymbstr(PG_UTF8, s, *len);
		memcpy(u, s, good);
		u[good] = '\0';
	}
	else
	{
		if (!OidIsValid(proc))
			proc = FindDefaultConversionProc(enc, PG_UTF8);
		if (!OidIsValid(proc))
			mh_elog(ERROR, "no conversion from the database encoding to UTF8");
		good = DatumGetInt32(OidFunctionCall6(proc, Int32GetDatum(enc), Int32GetDatum(PG_UTF8),
											  CStringGetDatum(s), CStringGetDatum(u),
											  Int32GetDatum(*len), BoolGetDatum(true)));
	}
	if (good < *len)
		strcat(u, MH_REPLACEMENT_UTF8);
	*len = strlen(u);
	return u;
}

text *
mh_utf8_as_text(const char *s, int len)
{
	char	   *t;

	if (GetDatabaseEncoding() == PG_UTF8)
		return cstring_to_text_with_len(s, len);
	t = pg_any_to_server(s, len, PG_UTF8);
	return cstring_to_text(t);
}

int32
mh_int_identifier_parse(const char *s, int len, mh_int_parser parse,
						const mh_identifier_kind *kind)
{
	const char *u = mh_text_as_utf8(s, &len);
	mh_parse_info info;
	int32_t		value;
	mh_status	st = parse(u, len, &value, &info);

	if (st != MH_OK)
		mh_identifier_error(kind, st, &info);
	return value;
}

int32
mh_int_identifier_recv(StringInfo buf, int width, mh_int_parser parse,
					   const mh_identifier_kind *kind)
{
	int32		raw = (int32) pq_getmsgint(buf, 4);
	char		digits[16];
	int			len;

	if (raw < 0)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							  errmsg("invalid external binary value for type %s", kind->name)));
	len = snprintf(digits, sizeof(digits), "%0*d", width, raw);
	return mh_int_identifier_parse(digits, len, parse, kind);
}

mh_status
mh_int_identifier_check(text *t, mh_int_parser parse, int32_t *value,
						mh_parse_info *info)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *u = mh_text_as_utf8(VARDATA_ANY(t), &len);

	return parse(u, len, value, info);
}

text *
mh_prefecture_text(int code)
{
	const char *name = mh_prefecture_name(code);

	return name ? mh_utf8_as_text(name, strlen(name)) : NULL;
}

text *
mh_int_identifier_problem(text *t, mh_int_parser parse,
						  const mh_identifier_kind *kind)
{
	mh_parse_info info;
	int32_t		value;
	mh_status	st = mh_int_identifier_check(t, parse, &value, &info);

	return st == MH_OK ? NULL : cstring_to_text(mh_identifier_problem(kind, st, &info));
}
