/*
 * identifier.h: what the identifier types and functions share: turning a
 * parse status of src/core/identifiers.h into an error or into the text of
 * the *_problem() functions, encoding conversion, and the I/O of the
 * identifiers stored as a 4-byte integer.
 */
#ifndef MYNAHOKEN_IDENTIFIER_H
#define MYNAHOKEN_IDENTIFIER_H

#include "fmgr.h"
#include "lib/stringinfo.h"

#include "identifiers.h"

/* What an identifier is, for messages. */
typedef struct mh_identifier_kind
{
	const char *name;			/* type or thing named in the primary message */
	bool		is_type;		/* "invalid input syntax for type %s" */
	const char *unit;			/* "digits" or "characters" */
	const char *length_rule;	/* full sentence on the expected length */
} mh_identifier_kind;

extern const mh_identifier_kind mh_kind_insurer_number;
extern const mh_identifier_kind mh_kind_public_payer_number;
extern const mh_identifier_kind mh_kind_public_recipient_number;
extern const mh_identifier_kind mh_kind_corporate_number;
extern const mh_identifier_kind mh_kind_card_symbol;
extern const mh_identifier_kind mh_kind_card_number;
extern const mh_identifier_kind mh_kind_card_branch;

/* Raise ERROR (22P02) for a failed parse; never echoes the input. */
extern void mh_identifier_error(const mh_identifier_kind *kind, mh_status st,
								const mh_parse_info *info) pg_attribute_noreturn();

/* The same explanation as a palloc'd sentence, for *_problem(). */
extern char *mh_identifier_problem(const mh_identifier_kind *kind, mh_status st,
								   const mh_parse_info *info);

/*
 * Input text as UTF-8: the core parsers read UTF-8, so text from a database
 * in another encoding (EUC_JP, say) is converted first.  *len is updated.
 * Never raises: from the first byte with no UTF-8 equivalent the result
 * reads U+FFFD, which every parser refuses as an invalid character.
 */
extern const char *mh_text_as_utf8(const char *s, int *len);

/* A UTF-8 result as server-encoded text. */
extern text *mh_utf8_as_text(const char *s, int len);

/* A core parser of an identifier stored as int32. */
typedef mh_status (*mh_int_parser) (const char *in, size_t len, int32_t *value,
									mh_parse_info *info);

/* Parse server-encoded text of len bytes, raising on failure. */
extern int32 mh_int_identifier_parse(const char *s, int len, mh_int_parser parse,
									 const mh_identifier_kind *kind);

/*
 * Binary input: the value is re-checked as text of width digits, so that
 * COPY FROM ... (FORMAT binary) accepts exactly what text input accepts.
 */
extern int32 mh_int_identifier_recv(StringInfo buf, int width, mh_int_parser parse,
									const mh_identifier_kind *kind);

/* Status of parsing a text argument, without raising. */
extern mh_status mh_int_identifier_check(text *t, mh_int_parser parse,
										 int32_t *value, mh_parse_info *info);

/* The *_problem() result: NULL when valid, else the explanation. */
extern text *mh_int_identifier_problem(text *t, mh_int_parser parse,
									   const mh_identifier_kind *kind);

/*
 * The functions every identifier type stored as int32 has: text input,
 * the cast from text (parsing the text in place, without a cstring copy),
 * binary input re-checked as width digits, and the non-raising
 * TYPE_problem(text) that returns the error's DETAIL or NULL.
 */
#define MH_INT_IDENTIFIER_FUNCTIONS(type, parse, kind, width) \
PG_FUNCTION_INFO_V1(type##_in); \
Datum \
type##_in(PG_FUNCTION_ARGS) \
{ \
	char	   *s = PG_GETARG_CSTRING(0); \
 \
	PG_RETURN_INT32(mh_int_identifier_parse(s, strlen(s), parse, &kind)); \
} \
 \
PG_FUNCTION_INFO_V1(type##_from_text); \
Datum \
type##_from_text(PG_FUNCTION_ARGS) \
{ \
	text	   *t = PG_GETARG_TEXT_PP(0); \
 \
	PG_RETURN_INT32(mh_int_identifier_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), \
											parse, &kind)); \
} \
 \
PG_FUNCTION_INFO_V1(type##_recv); \
Datum \
type##_recv(PG_FUNCTION_ARGS) \
{ \
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0); \
 \
	PG_RETURN_INT32(mh_int_identifier_recv(buf, width, parse, &kind)); \
} \
 \
PG_FUNCTION_INFO_V1(type##_problem); \
Datum \
type##_problem(PG_FUNCTION_ARGS) \
{ \
	text	   *problem = mh_int_identifier_problem(PG_GETARG_TEXT_PP(0), parse, &kind); \
 \
	if (problem == NULL) \
		PG_RETURN_NULL(); \
	PG_RETURN_TEXT_P(problem); \
}

/* A prefecture name as text, or NULL for a code outside 1..47. */
extern text *mh_prefecture_text(int code);

#endif
