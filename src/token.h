/*
 * token.h: the mynumber_token type and tokenize functions (fmgr layer).
 */
#ifndef MYNAHOKEN_TOKEN_H
#define MYNAHOKEN_TOKEN_H

#include "core/mynumber.h"

/* Register the settings of the keyring; called from _PG_init. */
extern void mh_tokens_init(void);

/* Raise the input error of a token or sealed value text (never echoing it). */
extern void mh_vtext_invalid(const char *type, int status) pg_attribute_noreturn();

#endif
