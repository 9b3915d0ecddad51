/*
 * mynumber.h: normalisation of typed My Numbers (個人番号), in plain C.
 *
 * People type a My Number with ASCII or full-width digits, spaces and
 * hyphens.  mh_mynumber_normalize() reduces such text to 12 ASCII digits and
 * says what is wrong otherwise, without ever copying the input anywhere but
 * into the caller's 12-byte buffer.  No allocation, no server calls.
 */
#ifndef MYNAHOKEN_MYNUMBER_H
#define MYNAHOKEN_MYNUMBER_H

#include <stddef.h>

#define MH_MYNUMBER_DIGITS 12

typedef enum mh_mynumber_status
{
	MH_MYNUMBER_OK = 0,
	MH_MYNUMBER_BAD_CHARACTER,	/* something else than a digit, space, hyphen */
	MH_MYNUMBER_BAD_LENGTH,		/* not exactly 12 digits */
	MH_MYNUMBER_BAD_CHECK_DIGIT /* 12 digits, wrong check digit */
} mh_mynumber_status;

/*
 * Normalise in[0..len) (UTF-8) into out[0..12) as ASCII digits and verify
 * the check digit with mh_mynumber_is_valid().  Accepted: '0'-'9', U+FF10-
 * U+FF19 (full-width digits), ' ', '\t', U+3000 (ideographic space), and the
 * hyphen-like characters '-', U+2010-U+2015, U+2212, U+30FC, U+FF0D, U+FF70.
 * A character error is reported before a length error, a length error
 * before a check-digit error.  *ndigits (may be NULL) receives the number
 * of digits seen.  On any error out is wiped.
 */
extern mh_mynumber_status mh_mynumber_normalize(const char *in, size_t len,
												char out[MH_MYNUMBER_DIGITS],
												int *ndigits);

/* A short English phrase naming the problem, for error messages. */
extern const char *mh_mynumber_status_text(mh_mynumber_status status);

#endif
