/*
 * fuzz_der.c: libFuzzer target over every DER input path of x509verify:
 * certificate verdicts, signature checks, facts, personal data, anchor
 * inspection and CRLs.  The first input byte picks the path; the anchor set
 * holds the committed fixture roots when they can be read (the fuzzer runs
 * from the repository root), so inputs can reach the chain checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509verify.h"

static mh_anchor_set *set;

static void
add_fixture(const char *path, mh_cert_usage usage, int64_t id)
{
	unsigned char buf[MH_CERT_MAX_DER];
	FILE	   *f = fopen(path, "rb");
	size_t		n;

	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	(void) mh_anchor_set_add(set, buf, n, usage, id);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	set = mh_anchor_set_new();
	if (set == NULL)
		abort();
	add_fixture("test/fixtures/jpki/auth-root-g1.der", MH_USAGE_AUTHENTICATION, 1);
	add_fixture("test/fixtures/jpki/auth-root-g2.der", MH_USAGE_AUTHENTICATION, 2);
	add_fixture("test/fixtures/jpki/sign-root-g2.der", MH_USAGE_SIGNATURE, 3);
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	mh_cert_verdict v;
	mh_cert_facts *facts;
	mh_personal_data *pd;
	mh_anchor_info info;
	mh_crl	   *crl;
	size_t		half;

	if (size < 1)
		return 0;
	switch (data[0] % 6)
	{
		case 0:
			if (mh_cert_verify(set, data + 1, size - 1, 1767225600,
							   (data[0] >> 3) & 1, &v) == MH_X509_OK)
				(void) mh_cert_verdict_detail(&v);
			break;
		case 1:
			/* certificate, then data; the signature is the last 256 bytes */
			half = size > 257 ? size - 257 : 0;
			(void) mh_cert_verify_signature(set, data + 1, half, 1767225600,
											MH_USAGE_SIGNATURE, data, size,
											data + 1 + half, size - 1 - half, &v);
			break;
		case 2:
			facts = malloc(sizeof(mh_cert_facts));
			if (facts != NULL)
				(void) mh_cert_get_facts(data + 1, size - 1, facts);
			free(facts);
			break;
		case 3:
			pd = malloc(sizeof(mh_personal_data));
			if (pd != NULL)
				(void) mh_cert_personal_data(data + 1, size - 1, pd);
			free(pd);
			break;
		case 4:
			(void) mh_anchor_inspect(data + 1, size - 1, &info);
			break;
		case 5:
			if (mh_crl_open(set, data + 1, size - 1, &crl) == MH_X509_OK)
			{
				char		serial[MH_SERIAL_MAXLEN];
				int64_t		at;
				int			reason;
				int			i;

				for (i = 0; i < mh_crl_count(crl) && i < 1000; i++)
					(void) mh_crl_entry(crl, i, serial, &at, &reason);
				mh_crl_free(crl);
			}
			break;
	}
	return 0;
}
