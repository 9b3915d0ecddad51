/*
 * issuance.c: the session lock of plan_issuance, released on every exit.
 *
 * plan_issuance commits after every chunk, so it holds a session-level
 * advisory lock (a transaction-level one would be released by the first
 * COMMIT).  PostgreSQL keeps a session lock until it is released or the
 * session ends: a call cancelled by statement_timeout, or ended by an error
 * between two chunks, would leave it held by an idle session, and every
 * later run would be skipped.  These functions take and release the same
 * lock as pg_advisory_lock(key1, key2) (so pg_locks and
 * mynahoken.issuance_lock_holder() see it), and remember it: when the
 * transaction or subtransaction that took it aborts, or any top-level
 * transaction aborts after the lock outlived the one that took it (a
 * COMMIT inside CALL), the lock is released.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "mynahoken.h"

static bool held = false;
static LOCKTAG held_tag;

/*
 * Nesting level that owns the lock: the (sub)transaction that took it, or
 * its parent after that one committed; 0 once a top-level transaction
 * committed with it (it is then the session's, until the next abort).
 */
static int	held_level = 0;
static bool callbacks_registered = false;

static void
release_held(void)
{
	if (held && LockHeldByMe(&held_tag, ExclusiveLock))
		LockRelease(&held_tag, ExclusiveLock, true);
	held = false;
	held_level = 0;
}

static void
issuance_xact_callback(XactEvent event, void *arg)
{
	if (!held)
		return;
	switch (event)
	{
		case XACT_EVENT_ABORT:
			release_held();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
			held_level = 0;
			break;
		default:
			break;
	}
}

static void
issuance_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	int			level;

	if (!held || held_level == 0)
		return;
	level = GetCurrentTransactionNestLevel();
	if (event == SUBXACT_EVENT_ABORT_SUB && level <= held_level)
		release_held();
	else if (event == SUBXACT_EVENT_COMMIT_SUB && level == held_level)
		held_level = level - 1;
}

static void
set_tag(LOCKTAG *tag, FunctionCallInfo fcinfo)
{
	/* as pg_advisory_lock(int4, int4) */
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) PG_GETARG_INT32(0),
						 (uint32) PG_GETARG_INT32(1), 2);
}

PG_FUNCTION_INFO_V1(mh_issuance_try_lock);
Datum
mh_issuance_try_lock(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	set_tag(&tag, fcinfo);
	if (!callbacks_registered)
	{
		RegisterXactCallback(issuance_xact_callback, NULL);
		RegisterSubXactCallback(issuance_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (held && memcmp(&tag, &held_tag, sizeof(tag)) == 0 &&
		LockHeldByMe(&tag, ExclusiveLock))
		PG_RETURN_BOOL(true);
	if (held)
		release_held();
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		PG_RETURN_BOOL(false);
	held_tag = tag;
	held = true;
	held_level = GetCurrentTransactionNestLevel();
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(mh_issuance_unlock);
Datum
mh_issuance_unlock(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;
	bool		was = false;

	set_tag(&tag, fcinfo);
	if (LockHeldByMe(&tag, ExclusiveLock))
		was = LockRelease(&tag, ExclusiveLock, true);
	if (held && memcmp(&tag, &held_tag, sizeof(tag)) == 0)
	{
		held = false;
		held_level = 0;
	}
	PG_RETURN_BOOL(was);
}
