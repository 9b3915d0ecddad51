/*
 * mynahoken.c: module entry point.
 *
 * Holds PG_MODULE_MAGIC and _PG_init, which asks each subsystem to register
 * its settings.  Subsystems keep their own per-backend state in their own
 * files.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "mynahoken.h"
#include "token.h"

PG_MODULE_MAGIC;

void
_PG_init(void)
{
	mh_tokens_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("mynahoken");
#endif
}
