/*
 * mynumber_text.h: a My Number (個人番号) arriving as text, in the fmgr
 * layer: the one place that turns typed text into 12 digits, or into an
 * error that never mentions the value.
 */
#ifndef MYNAHOKEN_MYNUMBER_TEXT_H
#define MYNAHOKEN_MYNUMBER_TEXT_H

#include "core/mynumber.h"

/*
 * Normalise and validate a typed My Number (server encoding) into 12 ASCII
 * digits, raising 22P02 otherwise.  The caller wipes digits after use.
 */
extern void mh_mynumber_from_text(const char *s, int len, char digits[MH_MYNUMBER_DIGITS]);

#endif
