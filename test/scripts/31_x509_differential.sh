#!/usr/bin/env bash
# Differential test of certificate verdicts, small run: mynahoken against
# `openssl verify` on randomly built and mutated JPKI-shaped certificates
# (test/differential/x509_differential.py; the full run and its figures are
# in doc/certificates.md).  Every disagreement must be a documented
# difference, and the verdicts with and without the legacy RSA decoder the
# same.  X509_DIFF_CASES sets the number of cases.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
cd "$(dirname "$0")/../.."
out=$(python3 test/differential/x509_differential.py --cases "${X509_DIFF_CASES:-150}" --seed 31 2>&1)
rc=$?
echo "1..2"
if [ $rc -eq 0 ]; then echo "ok 1 - every disagreement with openssl verify is a documented difference"
else echo "not ok 1 - every disagreement with openssl verify is a documented difference"; fi
printf '%s\n' "$out" | sed 's/^/# /'
if printf '%s\n' "$out" | grep -q '^legacy RSA decoder on/off disagreements: 0$'; then
	echo "ok 2 - the same verdicts with and without the legacy RSA decoder"
else echo "not ok 2 - the same verdicts with and without the legacy RSA decoder"; fi
