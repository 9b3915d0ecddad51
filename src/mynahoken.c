/*
 * mynahoken.c: module entry point.
 *
 * Holds PG_MODULE_MAGIC and _PG_init, which asks each subsystem to register
 * its settings, and the errors of the My Number paths: the one place where
 * they are finished (mh_sensitive_ereport of mynahoken.h) and the log hook
 * that recognises them.  Subsystems keep their own per-backend state in
 * their own files.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "certificate.h"
#include "decision.h"
#include "mynahoken.h"
#include "token.h"

PG_MODULE_MAGIC;

static emit_log_hook_type prev_emit_log_hook = NULL;

bool
mh_sensitive_errstart(int elevel)
{
	return errstart(elevel, TEXTDOMAIN);
}

/*
 * Finish an error begun by mh_sensitive_errstart: without running the error
 * context callbacks (no CONTEXT, no internal query, no error position), with
 * the statement and context hidden from the log, and with the origin the log
 * hook looks for.
 */
void
mh_sensitive_errfinish(void)
{
	ErrorContextCallback *saved = error_context_stack;

	errhidestmt(true);
	errhidecontext(true);
	error_context_stack = NULL;
	errfinish(__FILE__, __LINE__, MH_SENSITIVE_ERROR_ORIGIN);
	/* reached only below ERROR */
	error_context_stack = saved;
}

/*
 * mynahoken.raise_error(sqlstate, message, detail, hint): the errors of the
 * extension's SQL and PL/pgSQL routines, instead of RAISE, which would send
 * the CONTEXT of the caller's statements (a PL/pgSQL block or dynamic SQL
 * may quote a caller's value) and log the STATEMENT.  The message, detail
 * and hint are translated in the extension's catalogue, where
 * scripts/sql_messages.py puts the literal texts of the SQL files; a text
 * composed with format() was translated by mynahoken.gettext before.
 */
PG_FUNCTION_INFO_V1(mh_raise_error);
Datum
mh_raise_error(PG_FUNCTION_ARGS)
{
	char	   *state = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *message = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *detail = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *hint = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));

	if (state == NULL || message == NULL || strlen(state) != 5 ||
		strspn(state, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 5)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							  errmsg("raise_error needs a SQLSTATE of five digits or capital letters and a message")));
	mh_sensitive_ereport(ERROR,
						 (errcode(MAKE_SQLSTATE(state[0], state[1], state[2],
												state[3], state[4])),
						  errmsg_internal("%s", mh_gettext(message)),
						  detail ? errdetail_internal("%s", mh_gettext(detail)) : 0,
						  hint ? errhint("%s", mh_gettext(hint)) : 0));
	PG_RETURN_VOID();
}

/*
 * mynahoken.gettext(msgid): the translation of a message of the extension's
 * SQL routines in the session's lc_messages, or the message itself; a
 * message composed with format() is translated before it is formatted.
 */
PG_FUNCTION_INFO_V1(mh_gettext_sql);
Datum
mh_gettext_sql(PG_FUNCTION_ARGS)
{
	char	   *msgid = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(mh_gettext(msgid)));
}

/*
 * mynahoken.raise_notice(message, detail, hint): a NOTICE of the extension's
 * routines, finished like raise_error's errors (no CONTEXT, no STATEMENT).
 */
PG_FUNCTION_INFO_V1(mh_raise_notice);
Datum
mh_raise_notice(PG_FUNCTION_ARGS)
{
	char	   *message = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *detail = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *hint = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

	if (message == NULL)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							  errmsg("raise_notice needs a message")));
	mh_sensitive_ereport(NOTICE,
						 (errmsg_internal("%s", mh_gettext(message)),
						  detail ? errdetail_internal("%s", mh_gettext(detail)) : 0,
						  hint ? errhint("%s", mh_gettext(hint)) : 0));
	PG_RETURN_VOID();
}

/*
 * Runs before an error reaches the server log and the client.  The hide
 * flags of a parallel worker's error are not passed to its leader, which
 * re-throws the error with its own context (the PL/pgSQL function and the
 * SQL statement that started the parallel query, which may quote a number):
 * an error of mh_sensitive_ereport is recognised by its origin, and its
 * statement, context and internal query are dropped, for the log and for the
 * client alike.
 */
static void
mh_emit_log_hook(ErrorData *edata)
{
	/*
	 * A parallel worker logs the leader's whole query text with its own
	 * errors, including errors that have nothing to do with mynahoken, such
	 * as a worker that starts after the leader failed ("could not attach to
	 * dynamic shared area").  The leader logs the statement of the errors it
	 * re-throws, so workers of sessions that loaded mynahoken never do.
	 */
	if (IsParallelWorker())
		edata->hide_stmt = true;
	if (edata->funcname != NULL &&
		strcmp(edata->funcname, MH_SENSITIVE_ERROR_ORIGIN) == 0)
	{
		edata->hide_stmt = true;
		edata->hide_ctx = true;
		edata->context = NULL;
		edata->internalquery = NULL;
		edata->internalpos = 0;
		edata->cursorpos = 0;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
_PG_init(void)
{
	pg_bindtextdomain(TEXTDOMAIN);
	mh_tokens_init();
	mh_certificates_init();
	mh_decisions_init();
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = mh_emit_log_hook;
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("mynahoken");
#endif
}
