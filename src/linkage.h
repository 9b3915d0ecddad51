/*
 * linkage.h: the fmgr layer of the My Number linkage checks (紐付け点検):
 * keyed digests of names, addresses, birth dates and sex at the fold levels
 * of core/linkage.h, the comparison of digest arrays, and the check of a
 * member's reported last four digits against a sealed number.
 *
 * Values arrive as text; they never appear in an error, and the errors of
 * these functions hide the statement and the context from the server log
 * (the log hook of token.c lists mh_linkage_error).
 */
#ifndef MYNAHOKEN_LINKAGE_SERVER_H
#define MYNAHOKEN_LINKAGE_SERVER_H

#include "core/linkage.h"

/* Raise the error of a value the digests refuse (never echoing it). */
extern void mh_linkage_error(mh_link_status status) pg_attribute_noreturn();

#endif
