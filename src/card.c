/*
 * card.c: 記号・番号・枝番 (card symbol, number and branch number) and the
 * insured-person key built from them.
 *
 * The key follows the JP Core 被保険者個人識別子: "保険者番号8桁:記号:番号:枝番",
 * each part normalised so that the same person keyed in different widths
 * gets the same key.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "identifier.h"

typedef mh_status (*card_normalizer) (const char *in, size_t len, bool full_width,
									  char *out, size_t *outlen,
									  mh_parse_info *info);

static mh_status
normalize_symbol(const char *in, size_t len, bool full_width, char *out,
				 size_t *outlen, mh_parse_info *info)
{
	mh_status	st = mh_card_part_normalize(in, len, full_width, out, outlen, info);

	if (st == MH_ERR_EMPTY)
	{
		*outlen = 0;			/* a card with a 番号 only has no 記号 */
		return MH_OK;
	}
	return st;
}

static mh_status
normalize_branch(const char *in, size_t len, bool full_width, char *out,
				 size_t *outlen, mh_parse_info *info)
{
	return mh_card_branch_normalize(in, len, out, outlen, info);
}

/* Normalise a text argument into out (MH_CARD_PART_BUFSZ bytes), raising on failure. */
static size_t
normalize_or_raise(text *t, card_normalizer normalize, bool full_width,
				   const mh_identifier_kind *kind, char *out)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *u = mh_text_as_utf8(VARDATA_ANY(t), &len);
	mh_parse_info info;
	size_t		outlen;
	mh_status	st = normalize(u, len, full_width, out, &outlen, &info);

	if (st != MH_OK)
		mh_identifier_error(kind, st, &info);
	return outlen;
}

static text *
problem_of(text *t, card_normalizer normalize, const mh_identifier_kind *kind)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *u = mh_text_as_utf8(VARDATA_ANY(t), &len);
	char		out[MH_CARD_PART_BUFSZ];
	mh_parse_info info;
	size_t		outlen;
	mh_status	st = normalize(u, len, false, out, &outlen, &info);

	return st == MH_OK ? NULL : cstring_to_text(mh_identifier_problem(kind, st, &info));
}

#define CARD_FUNCTIONS(part, normalizer, kind) \
PG_FUNCTION_INFO_V1(card_##part##_normalize); \
Datum \
card_##part##_normalize(PG_FUNCTION_ARGS) \
{ \
	char		out[MH_CARD_PART_BUFSZ]; \
	size_t		len = normalize_or_raise(PG_GETARG_TEXT_PP(0), normalizer, \
										 PG_GETARG_BOOL(1), &kind, out); \
 \
	PG_RETURN_TEXT_P(mh_utf8_as_text(out, len)); \
} \
 \
PG_FUNCTION_INFO_V1(card_##part##_problem); \
Datum \
card_##part##_problem(PG_FUNCTION_ARGS) \
{ \
	text	   *problem = problem_of(PG_GETARG_TEXT_PP(0), normalizer, &kind); \
 \
	if (problem == NULL) \
		PG_RETURN_NULL(); \
	PG_RETURN_TEXT_P(problem); \
}

CARD_FUNCTIONS(symbol, normalize_symbol, mh_kind_card_symbol)
CARD_FUNCTIONS(number, mh_card_part_normalize, mh_kind_card_number)
CARD_FUNCTIONS(branch, normalize_branch, mh_kind_card_branch)

/*
 * insured_key(insurer_number, symbol, number, branch): NULL when the insurer
 * number or the card number is NULL (no key can be formed); a NULL symbol or
 * branch is an empty part, as on cards that show none.
 */
PG_FUNCTION_INFO_V1(insured_key);
Datum
insured_key(PG_FUNCTION_ARGS)
{
	char		symbol[MH_CARD_PART_BUFSZ];
	char		number[MH_CARD_PART_BUFSZ];
	char		branch[MH_CARD_PART_BUFSZ];
	size_t		symbol_len = 0;
	size_t		branch_len = 0;
	size_t		number_len;
	StringInfoData key;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	if (!PG_ARGISNULL(1))
		symbol_len = normalize_or_raise(PG_GETARG_TEXT_PP(1), normalize_symbol, false,
										&mh_kind_card_symbol, symbol);
	number_len = normalize_or_raise(PG_GETARG_TEXT_PP(2), mh_card_part_normalize, false,
									&mh_kind_card_number, number);
	if (!PG_ARGISNULL(3))
		branch_len = normalize_or_raise(PG_GETARG_TEXT_PP(3), normalize_branch, false,
										&mh_kind_card_branch, branch);

	initStringInfo(&key);
	appendStringInfo(&key, "%08d:", PG_GETARG_INT32(0));
	appendBinaryStringInfo(&key, symbol, symbol_len);
	appendStringInfoChar(&key, ':');
	appendBinaryStringInfo(&key, number, number_len);
	appendStringInfoChar(&key, ':');
	appendBinaryStringInfo(&key, branch, branch_len);
	PG_RETURN_TEXT_P(mh_utf8_as_text(key.data, key.len));
}
