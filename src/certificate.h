/*
 * certificate.h: fmgr layer of JPKI certificate verification.
 *
 * The per-backend certificate store (built from mynahoken.trust_anchor and
 * rebuilt when any session changes it) lives in certificate.c; nothing
 * outside it needs its state.
 */
#ifndef MYNAHOKEN_CERTIFICATE_H
#define MYNAHOKEN_CERTIFICATE_H

#include "fmgr.h"

/* Define the certificate settings; called from _PG_init. */
extern void mh_certificates_init(void);

#endif
