/*
 * utf8.h: decoding one UTF-8 code point, for the parsers of src/core.
 *
 * Strict: overlong forms, surrogates and values past U+10FFFF are invalid,
 * so a parser never accepts a character spelt in an unusual way.
 */
#ifndef MYNAHOKEN_UTF8_H
#define MYNAHOKEN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one UTF-8 code point at s (n bytes available).  Returns its byte
 * length, or 0 for an invalid or truncated sequence.
 */
static inline int
mh_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	c = s[0];
	int			len;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, c &= 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, c &= 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, c &= 0x07;
	else
		return 0;
	if ((size_t) len > n)
		return 0;
	for (int i = 1; i < len; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* reject overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
		(c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

#endif
