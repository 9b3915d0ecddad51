/*
 * x509verify.h: JPKI (公的個人認証) certificate verdicts with libcrypto, in
 * plain C.
 *
 * Everything here takes DER bytes and returns a verdict or a status code;
 * OpenSSL objects created by a call are freed before it returns, except
 * for the opaque anchor set and CRL handles, which have their own free
 * functions, and one process-wide ENGINE object made on the first verdict
 * and kept (registered with OpenSSL only during a verdict's d2i_X509; see
 * parse_cert_for_verdict).  Not for concurrent use from several threads.  No allocation visible to the caller, no server calls, so the
 * fmgr layer can call these without any OpenSSL object live across an
 * ereport.
 */
#ifndef MYNAHOKEN_X509VERIFY_H
#define MYNAHOKEN_X509VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Outcomes, in the order of the SQL enum mynahoken.certificate_outcome. */
typedef enum mh_cert_outcome
{
	MH_CERT_VALID = 0,
	MH_CERT_EXPIRED,
	MH_CERT_NOT_YET_VALID,
	MH_CERT_REVOKED,
	MH_CERT_UNTRUSTED_ISSUER,
	MH_CERT_BAD_SIGNATURE,
	MH_CERT_WRONG_USAGE,
	MH_CERT_MALFORMED,
	MH_CERT_SIGNATURE_MISMATCH
} mh_cert_outcome;

#define MH_CERT_OUTCOME_COUNT 9
extern const char *const mh_cert_outcome_names[MH_CERT_OUTCOME_COUNT];

/* 利用者証明用 (authentication) and 署名用 (signature) certificates. */
typedef enum mh_cert_usage
{
	MH_USAGE_AUTHENTICATION = 0,
	MH_USAGE_SIGNATURE = 1
} mh_cert_usage;

#define MH_USAGE_COUNT 2

/* JPKI certificate policies (arc 1.2.392.200149.8.5.1). */
#define MH_JPKI_POLICY_AUTHENTICATION "1.2.392.200149.8.5.1.3.30"
#define MH_JPKI_POLICY_SIGNATURE "1.2.392.200149.8.5.1.1.20"

typedef enum mh_x509_status
{
	MH_X509_OK = 0,
	MH_X509_MALFORMED,			/* not one well-formed DER structure */
	MH_X509_NOT_SELF_SIGNED,	/* issuer is not the subject */
	MH_X509_NOT_CA,				/* no basicConstraints cA true */
	MH_X509_BAD_SIGNATURE,		/* signature does not verify */
	MH_X509_UNKNOWN_ISSUER,		/* no anchor with the issuer's name */
	MH_X509_NO_MEMORY
} mh_x509_status;

/* Largest certificate accepted; JPKI certificates are about 1.5 kB. */
#define MH_CERT_MAX_DER 65536
/* Decimal serial: 20 octets need 49 digits; longer serials are malformed. */
#define MH_SERIAL_MAXLEN 64
#define MH_KEYID_MAXLEN 64
#define MH_NAME_MAXLEN 1024
#define MH_MAX_POLICIES 16
#define MH_OID_MAXLEN 96

/* keyUsage bits, as in RFC 5280 order (digitalSignature first). */
#define MH_KU_COUNT 9
extern const char *const mh_key_usage_names[MH_KU_COUNT];

typedef struct mh_anchor_set mh_anchor_set;

typedef struct mh_anchor_info
{
	unsigned char fingerprint[32];	/* SHA-256 of the DER */
	unsigned char key_id[MH_KEYID_MAXLEN];
	size_t		key_id_len;
	char		subject[MH_NAME_MAXLEN];
	char		serial[MH_SERIAL_MAXLEN];
	int64_t		not_before;		/* Unix seconds */
	int64_t		not_after;
} mh_anchor_info;

typedef struct mh_cert_verdict
{
	mh_cert_outcome outcome;
	int			x509_error;		/* OpenSSL verify error, 0 when none */
	bool		has_serial;
	char		serial[MH_SERIAL_MAXLEN];
	bool		has_validity;
	int64_t		not_before;
	int64_t		not_after;
	bool		has_anchor;
	int64_t		anchor_id;		/* id given to mh_anchor_set_add */
	unsigned char issuer_key_id[MH_KEYID_MAXLEN];
	size_t		issuer_key_id_len;
	bool		other_usage;	/* wrong_usage: a root of the other usage issued it */
	bool		signature_checked;	/* mh_cert_verify_signature only */
	bool		signature_ok;
} mh_cert_verdict;

typedef struct mh_cert_facts
{
	char		serial[MH_SERIAL_MAXLEN];
	char		issuer[MH_NAME_MAXLEN];
	char		subject[MH_NAME_MAXLEN];
	int64_t		not_before;
	int64_t		not_after;
	int			npolicies;
	char		policies[MH_MAX_POLICIES][MH_OID_MAXLEN];
	bool		has_key_usage;
	uint32_t	key_usage;		/* bit i set: mh_key_usage_names[i] */
	unsigned char subject_key_id[MH_KEYID_MAXLEN];
	size_t		subject_key_id_len;
	unsigned char authority_key_id[MH_KEYID_MAXLEN];
	size_t		authority_key_id_len;
	unsigned char fingerprint[32];
} mh_cert_facts;

/*
 * Personal data (基本4情報) of a 署名用 certificate: subjectAltName otherName
 * entries 1.2.392.200149.8.5.5.1 to .6, in that order (J-LIS profile):
 * name; position information of substitute characters (代替文字の使用位置
 * 情報) in the name, one '0' or '1' per character; sex ('1' male, '2'
 * female, '3' unknown); date of birth (era digit and YYYYMMDD); address;
 * position information of substitute characters in the address.  Values
 * are the raw string bytes (UTF-8 for UTF8String); the caller validates
 * the encoding.
 */
#define MH_PII_NAME 0
#define MH_PII_NAME_POSITIONS 1
#define MH_PII_SEX 2
#define MH_PII_BIRTH_DATE 3
#define MH_PII_ADDRESS 4
#define MH_PII_ADDRESS_POSITIONS 5
#define MH_PII_FIELDS 6
#define MH_PII_MAXLEN 1024
typedef struct mh_personal_data
{
	bool		present[MH_PII_FIELDS];
	size_t		len[MH_PII_FIELDS];
	char		value[MH_PII_FIELDS][MH_PII_MAXLEN];
} mh_personal_data;

/* Anchor sets: one immutable X509_STORE per usage once built. */
extern mh_anchor_set *mh_anchor_set_new(void);
extern void mh_anchor_set_free(mh_anchor_set *set);
extern mh_x509_status mh_anchor_set_add(mh_anchor_set *set,
										const unsigned char *der, size_t len,
										mh_cert_usage usage, int64_t id);
extern int	mh_anchor_set_count(const mh_anchor_set *set);

/* Checks that der is a self-signed CA certificate and describes it. */
extern mh_x509_status mh_anchor_inspect(const unsigned char *der, size_t len,
										mh_anchor_info *info);

/*
 * Verdict on a certificate at time at (Unix seconds) for a usage: chain of
 * depth 0 to an anchor of that usage, signature, validity of the
 * certificate and of the anchor, JPKI policy and key usage.  Revocation is
 * the caller's (a row look-up keyed by issuer_key_id and serial).  Returns
 * MH_X509_NO_MEMORY or MH_X509_OK; bad input is an outcome, not a status.
 */
extern mh_x509_status mh_cert_verify(const mh_anchor_set *set,
									 const unsigned char *der, size_t len,
									 int64_t at, mh_cert_usage usage,
									 mh_cert_verdict *v);

/* As mh_cert_verify, then, when valid, SHA256withRSA (PKCS#1 v1.5) over data. */
extern mh_x509_status mh_cert_verify_signature(const mh_anchor_set *set,
											   const unsigned char *der, size_t len,
											   int64_t at, mh_cert_usage usage,
											   const unsigned char *data, size_t datalen,
											   const unsigned char *sig, size_t siglen,
											   mh_cert_verdict *v);

/*
 * Outcome an X509_verify_cert error maps to (an mh_cert_outcome); errors
 * outside the known classes are untrusted_issuer.  When several errors
 * occur, the verdict is the first in the order malformed, untrusted
 * issuer, bad signature, validity, usage.
 */
extern int	mh_cert_outcome_of_x509_error(int err);

/*
 * Verdicts parse certificates with OpenSSL's legacy RSA key decoder
 * through a private ENGINE (deprecated API; faster, same verdicts) unless
 * turned off here.  Off, or without ENGINE support, they use the plain
 * provider decoder.
 */
extern void mh_cert_set_legacy_key_decode(bool on);
extern bool mh_cert_legacy_key_decode_supported(void);

/* Short English text for a verdict's OpenSSL error (static storage). */
extern const char *mh_cert_verdict_detail(const mh_cert_verdict *v);

extern mh_x509_status mh_cert_get_facts(const unsigned char *der, size_t len,
										mh_cert_facts *f);
extern mh_x509_status mh_cert_personal_data(const unsigned char *der, size_t len,
											mh_personal_data *pd);

/*
 * CRLs: opened only when their signature verifies with the key of an
 * anchor (any usage) whose subject is the CRL issuer.
 */
typedef struct mh_crl mh_crl;
extern mh_x509_status mh_crl_open(const mh_anchor_set *set,
								  const unsigned char *der, size_t len,
								  mh_crl **crl);
extern void mh_crl_free(mh_crl *crl);
extern int	mh_crl_count(const mh_crl *crl);
extern int64_t mh_crl_anchor_id(const mh_crl *crl);
extern size_t mh_crl_issuer_key_id(const mh_crl *crl, const unsigned char **key_id);
/* thisUpdate, and nextUpdate when present, in Unix seconds; false when unreadable. */
extern bool mh_crl_times(const mh_crl *crl, int64_t *this_update,
						 int64_t *next_update, bool *has_next);
/* Whether the CRL is a delta CRL (deltaCRLIndicator, RFC 5280 5.2.4). */
extern bool mh_crl_is_delta(const mh_crl *crl);

/*
 * Entry i: decimal serial, revocation date, reason code (-1 when the entry
 * has none).  False when the entry cannot be read.
 */
extern bool mh_crl_entry(const mh_crl *crl, int i, char *serial,
						 int64_t *revoked_at, int *reason);

/* CRLReason names by code (RFC 5280), NULL for unassigned codes. */
extern const char *mh_crl_reason_name(int reason);

#endif
