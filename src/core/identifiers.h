/*
 * identifiers.h: parsing and normalisation of Japanese health-insurance
 * identifiers, in plain C.
 *
 * Parsers take UTF-8 bytes of any length (not NUL-terminated), never
 * allocate, and report what is wrong through mh_status and a character
 * position, so that the caller can build an error that does not echo the
 * input.
 */
#ifndef MYNAHOKEN_IDENTIFIERS_H
#define MYNAHOKEN_IDENTIFIERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "category.h"

typedef enum mh_status
{
	MH_OK = 0,
	MH_ERR_EMPTY,				/* nothing but spaces */
	MH_ERR_LENGTH,				/* wrong number of digits or characters */
	MH_ERR_CHARACTER,			/* a character that is not allowed */
	MH_ERR_SPACE,				/* a space inside the value */
	MH_ERR_ENCODING,			/* bytes that are not UTF-8 */
	MH_ERR_CHECK_DIGIT,			/* check digit does not match */
	MH_ERR_LAW_CODE,			/* 法別番号 of no health-insurance program */
	MH_ERR_PREFECTURE			/* 都道府県番号 outside 01-47 */
} mh_status;

/* What a parser found, for the error message. */
typedef struct mh_parse_info
{
	size_t		position;		/* 1-based character position, when relevant */
	size_t		length;			/* number of digits or characters found */
	int			expected;		/* expected check digit, when relevant */
} mh_parse_info;


/*
 * Normalise a run of digits: trim surrounding ASCII white space and
 * U+3000, map full-width digits (U+FF10..FF19) to ASCII.  Writes at most
 * outcap digits to out (not NUL-terminated) and their count to *outlen;
 * a longer run gives MH_ERR_LENGTH with info->length set to the full count.
 * (A typed My Number, with its grouping, is read by src/core/mynumber.c.)
 */
extern mh_status mh_normalize_digits(const char *in, size_t len,
									 char *out, size_t outcap, size_t *outlen,
									 mh_parse_info *info);

/*
 * 保険者番号: 8 digits, or 6 for 国民健康保険 (also accepted as "00" + 6).
 * On success *value is the number as an integer (6-digit numbers are below
 * 1,000,000).
 */
extern mh_status mh_insurer_number_parse(const char *in, size_t len,
										 int32_t *value, mh_parse_info *info);
extern bool mh_insurer_number_is_nhi(int32_t value);
extern int	mh_insurer_number_law_code(int32_t value);	/* -1 for 国保 */
extern int	mh_insurer_number_prefecture(int32_t value);
extern MhCategory mh_insurer_number_category(int32_t value);
/* Canonical text: 8 digits, or 6 for 国保; buf holds at least 9 bytes. */
extern void mh_insurer_number_format(int32_t value, char *buf);

/* True for a 法別番号 of a health-insurance program (not 公費). */
extern bool mh_law_code_is_insurance(int law_code);

/* 公費負担者番号: 8 digits with a prefecture and a check digit. */
extern mh_status mh_public_payer_parse(const char *in, size_t len,
									   int32_t *value, mh_parse_info *info);

/* 公費受給者番号: 7 digits with a check digit. */
extern mh_status mh_public_recipient_parse(const char *in, size_t len,
										   int32_t *value, mh_parse_info *info);

/* 法人番号: 13 digits, check digit first. */
extern mh_status mh_corporate_number_parse(const char *in, size_t len,
										   mh_parse_info *info);

/* Prefecture name (e.g. "東京都") for 1..47, else NULL. */
extern const char *mh_prefecture_name(int code);

/*
 * 記号 / 番号 of a card, normalised as the JP Core 被保険者個人識別子 wants
 * them: surrounding spaces trimmed; a part of letters and digits only is
 * written in ASCII, a part with any kana, kanji or symbol is written wholly
 * in full width (with full_width, every part is: as ORCA stores them).
 * No inner spaces; at most MH_CARD_PART_MAX characters.
 * out needs MH_CARD_PART_BUFSZ bytes; *outlen gets the byte length.
 */
#define MH_CARD_PART_MAX 40
#define MH_CARD_PART_BUFSZ (MH_CARD_PART_MAX * 3 + 1)
extern mh_status mh_card_part_normalize(const char *in, size_t len,
										bool full_width, char *out,
										size_t *outlen, mh_parse_info *info);

/*
 * 枝番: empty (the card shows none) or 1-2 digits, written as 2 ASCII
 * digits.  out needs 3 bytes; *outlen is 0 or 2.
 */
extern mh_status mh_card_branch_normalize(const char *in, size_t len,
										  char *out, size_t *outlen,
										  mh_parse_info *info);

#endif
