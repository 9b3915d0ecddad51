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

#endif
