#!/usr/bin/env bash
# Smoke run of test/sqlsmith/run.sh (issue 12): 1,000 SQLsmith queries as an
# analyst against the demo insurer, on a cluster of its own under $MH_TMP.
# No server crash and no error of class XX from mynahoken.  The full run
# (100,000 queries) is documented in doc/architecture.md.  Prints TAP.
set -uo pipefail
: "${MH_TMP:?run through scripts/test.sh}"
root=$(cd "$(dirname "$0")/../.." && pwd)
work="$MH_TMP/sqlsmith-smoke"
out=$(MH_TMP="$work" QUERIES=${SQLSMITH_SMOKE_QUERIES:-1000} MEMBERS=500 SEED=12 \
	bash "$root/test/sqlsmith/run.sh" 2>&1)
rc=$?
report="$out"
ran=$(printf '%s\n' "$report" | sed -n 's/^==> \([0-9]*\) queries in .*/\1/p')
crashes=$(printf '%s\n' "$report" | grep -A 2 '^ crashes' | tail -n 1 | awk -F'|' '{ gsub(/ /, ""); print $1 }')
xx=$(printf '%s\n' "$report" | grep -A 2 '^ crashes' | tail -n 1 | awk -F'|' '{ gsub(/ /, ""); print $3 }')
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
[ "${ran:-0}" -ge 900 ]; ok $? "SQLsmith ran its queries (${ran:-0})"
[ "${crashes:-x}" = 0 ]; ok $? "no server crash"
[ "${xx:-x}" = 0 ]; ok $? "no error of class XX from mynahoken"
[ $rc -eq 0 ]; ok $? "run.sh passed"
[ $rc -eq 0 ] || printf '%s\n' "$report" | tail -n 40 | sed 's/^/# /'
echo "1..$n"
