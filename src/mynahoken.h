/*
 * mynahoken.h: declarations shared by the fmgr layer (the .c files of src).
 */
#ifndef MYNAHOKEN_H
#define MYNAHOKEN_H

#include "utils/elog.h"

/*
 * The extension's text domain, "mynahoken-15": the catalogue PGXS builds
 * from po/ja.po (nls.mk) and installs.  elog.h defines TEXTDOMAIN as NULL,
 * PostgreSQL's own domain; as in PL/pgSQL's header, it is redefined here.
 */
#undef TEXTDOMAIN
#define TEXTDOMAIN PG_TEXTDOMAIN("mynahoken")

extern void _PG_init(void);

/*
 * ereport for every error of a path that may hold a My Number (the number
 * itself, token and sealed text, the keyring, the identifier types, into
 * which a number may be typed by mistake):
 *
 *		mh_sensitive_ereport(ERROR,
 *							 (errcode(...), errmsg(...), errdetail(...)));
 *
 * The message must not contain the value.  The error carries no CONTEXT or
 * internal query (the error context callbacks are not run: a PL/pgSQL, SPI,
 * COPY or parser context may quote the number), and the server log gets no
 * STATEMENT.  Every such error is finished in one place, mynahoken.c, and
 * carries its origin there (the source function field, which a parallel
 * worker passes to its leader), so the log hook recognises it by
 * construction, also when a leader re-throws a worker's error.  No file of
 * the extension calls ereport or elog directly (test/scripts/23_canary.sh):
 * personal data travels through every subsystem (member keys and dates to
 * the decisions, personal data in JPKI certificates).
 */
#define mh_sensitive_ereport(elevel, rest) \
	do { \
		if (mh_sensitive_errstart(elevel)) \
		{ \
			(void) rest; \
			mh_sensitive_errfinish(); \
		} \
		if ((elevel) >= ERROR) \
			pg_unreachable(); \
	} while (0)

/* elog of the extension's internal errors, through the same finish. */
#define mh_elog(elevel, ...) \
	mh_sensitive_ereport(elevel, \
						 (errcode(ERRCODE_INTERNAL_ERROR), errmsg_internal(__VA_ARGS__)))

/*
 * Messages are translated in the extension's text domain, TEXTDOMAIN:
 * mh_sensitive_errstart passes it to errstart, so errmsg, errdetail and
 * errhint look their format up there.  A text chosen at run time (a status
 * text of src/core marked with MH_N_, a sentence of a table marked with
 * gettext_noop) is translated with mh_gettext; mh_tr translates only when
 * asked, for texts that are also results of IMMUTABLE *_problem functions,
 * which must not depend on lc_messages.  scripts/po.sh extracts them all.
 */
#define mh_gettext(s) dgettext(TEXTDOMAIN, s)
#define mh_tr(translate, s) ((translate) ? mh_gettext(s) : (s))

extern bool mh_sensitive_errstart(int elevel);
extern void mh_sensitive_errfinish(void);

/* The source function field of every error of mh_sensitive_ereport. */
#define MH_SENSITIVE_ERROR_ORIGIN "mh_sensitive_error"

#endif
