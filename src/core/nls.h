/*
 * nls.h: marks the messages of the pure C core for the message catalogue
 * (po/, scripts/po.sh).  The core returns them in English; the fmgr layer
 * translates them with mh_gettext when it reports them in an error.
 */
#ifndef MH_CORE_NLS_H
#define MH_CORE_NLS_H

#define MH_N_(s) (s)

#endif
