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

extern Datum mh_verify_certificate(PG_FUNCTION_ARGS);
extern Datum mh_verify_signature(PG_FUNCTION_ARGS);
extern Datum mh_certificate_facts(PG_FUNCTION_ARGS);
extern Datum mh_certificate_personal_data(PG_FUNCTION_ARGS);
extern Datum mh_inspect_trust_anchor(PG_FUNCTION_ARGS);
extern Datum mh_crl_entries(PG_FUNCTION_ARGS);
extern Datum mh_crl_facts(PG_FUNCTION_ARGS);
extern Datum mh_trust_anchor_changed(PG_FUNCTION_ARGS);

#endif
