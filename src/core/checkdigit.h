/*
 * checkdigit.h: check digits of Japanese identifiers, in plain C.
 *
 * Each function takes ASCII digits ('0'..'9') only; the caller normalises
 * and validates the characters first.  No allocation, no server calls.
 */
#ifndef MYNAHOKEN_CHECKDIGIT_H
#define MYNAHOKEN_CHECKDIGIT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * 検証番号 of 保険者番号, 公費負担者番号 and 公費受給者番号: modulus 10, weights
 * 2,1,2,... from the rightmost data digit, two-digit products reduced by
 * adding their digits (the Luhn rule).  Returns 0..9.
 */
extern int	mh_mod10_check_digit(const char *data, size_t len);

/*
 * My Number (個人番号) check digit over its 11 base digits: modulus 11 with
 * weights 2..7,2..6 from the least significant digit (総務省令第85号 第5条).
 */
extern int	mh_mynumber_check_digit(const char *base11);

/* True when s is exactly 12 ASCII digits with a correct check digit. */
extern bool mh_mynumber_is_valid(const char *s, size_t len);

/*
 * 法人番号 (corporate number) check digit over its 12 base digits: modulus 9,
 * weights 1,2,1,2... from the least significant digit (国税庁).
 */
extern int	mh_corporate_check_digit(const char *base12);

#endif
