#!/usr/bin/env bash
# Run every test suite of mynahoken on a throwaway cluster and print
# "N passed, N failed" summing them all.  Exits non-zero on any failure.
#
#   bash scripts/test.sh             everything
#   FUZZ_SECONDS=60 bash scripts/test.sh   longer fuzz smoke run
#
# Suites: C unit tests (test/unit), pg_regress (test/regress), pgTAP
# (test/pgtap, with pg_prove), scripted server tests that print TAP
# (test/scripts/*.sh: leak tests, kill-and-rerun, the SQL of the docs), and
# libFuzzer smoke runs
# (test/fuzz).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MH_ROOT"

FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0
failed=0
failures=()

count() {	# count SUITE PASSED FAILED
	passed=$((passed + $2)); failed=$((failed + $3))
	[ "$3" -eq 0 ] || failures+=("$1: $3 failed")
	printf '%-10s %d passed, %d failed\n' "$1:" "$2" "$3" >&2
}

mh_ensure_packages
mh_build
mh_make_tmp
trap 'mh_stop_cluster; [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$MH_TMP"' EXIT

# C unit tests: each binary prints "N passed, N failed" as its last line.
mh_log "C unit tests"
if make -s unit >"$MH_TMP/unit-build.log" 2>&1; then
	up=0; uf=0
	for t in test/unit/bin/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1); rc=$?
		line=$(printf '%s\n' "$out" | tail -n 1)
		p=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
		f=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
		if [ -z "$p" ] || [ $rc -ne 0 ]; then
			printf '%s\n' "$out" | grep -v '^ok ' >&2
			p=${p:-0}; f=$(( ${f:-0} > 0 ? ${f:-0} : 1 ))
		fi
		up=$((up + p)); uf=$((uf + f))
	done
	count unit "$up" "$uf"
else
	cat "$MH_TMP/unit-build.log" >&2
	count unit 0 1
fi

mh_private_install
mh_start_cluster
export MH_BINDIR MH_TMP

# pg_regress through PGXS: one file of test/regress/sql and test/regress/expected is one test.
mh_log "pg_regress"
make -s installcheck PG_CONFIG="$(mh_pg_config)" >"$MH_TMP/regress.log" 2>&1
rp=$(grep -cE '\.\.\. ok' "$MH_TMP/regress.log")
rf=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$MH_TMP/regress.log")
if [ "$rp" -eq 0 ] && [ "$rf" -eq 0 ]; then rf=1; cat "$MH_TMP/regress.log" >&2; fi
[ "$rf" -eq 0 ] || { cat "$MH_TMP/regress.log" >&2; [ -f test/regress/regression.diffs ] && head -n 200 test/regress/regression.diffs >&2; }
count regress "$rp" "$rf"

# pgTAP: every file of test/pgtap in a database with the extensions.
mh_log "pgTAP"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE mynahoken_tap' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d mynahoken_tap \
	-c 'CREATE EXTENSION pgtap; CREATE EXTENSION mynahoken' >/dev/null
shopt -s nullglob
tapfiles=(test/pgtap/*.sql)
shopt -u nullglob
rc=0
: >"$MH_TMP/pgtap.log"
[ ${#tapfiles[@]} -eq 0 ] || pg_prove --verbose -d mynahoken_tap "${tapfiles[@]}" >"$MH_TMP/pgtap.log" 2>&1 || rc=$?
tp=$(grep -cE '^ *ok [0-9]+' "$MH_TMP/pgtap.log")
tf=$(grep -cE '^ *not ok [0-9]+' "$MH_TMP/pgtap.log")
if [ $rc -ne 0 ] && [ "$tf" -eq 0 ]; then tf=1; fi
[ "$tf" -eq 0 ] || grep -vE '^ *ok [0-9]+' "$MH_TMP/pgtap.log" >&2
count pgtap "$tp" "$tf"

# Scripted server tests: each prints TAP ("ok N - ...", "not ok N - ...").
mh_log "server scripts"
sp=0; sf=0
for s in test/scripts/*.sh; do
	[ -f "$s" ] || continue
	out=$(bash "$s" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | grep -cE '^ok [0-9]+')
	f=$(printf '%s\n' "$out" | grep -cE '^not ok [0-9]+')
	if [ $rc -ne 0 ] || [ "$f" -gt 0 ] || [ "$p" -eq 0 ]; then
		printf '%s\n' "--- $s" "$out" >&2
		[ "$f" -gt 0 ] || f=1
	fi
	sp=$((sp + p)); sf=$((sf + f))
done
count scripts "$sp" "$sf"

mh_stop_cluster

# libFuzzer smoke run: each target for FUZZ_SECONDS on its seed corpus.
mh_log "fuzz smoke (${FUZZ_SECONDS}s per target)"
fp=0; ff=0
if make -s fuzz >"$MH_TMP/fuzz-build.log" 2>&1; then
	for t in test/fuzz/bin/fuzz_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		corpus="$MH_TMP/corpus-$name"
		mkdir -p "$corpus"
		[ -d "test/fuzz/corpus/$name" ] && cp -r "test/fuzz/corpus/$name/." "$corpus/"
		if "$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=0 "$corpus" >"$MH_TMP/$name.log" 2>&1; then
			fp=$((fp + 1))
		else
			ff=$((ff + 1)); tail -n 40 "$MH_TMP/$name.log" >&2
		fi
	done
else
	cat "$MH_TMP/fuzz-build.log" >&2; ff=1
fi
count fuzz "$fp" "$ff"

for f in "${failures[@]}"; do printf 'FAILED %s\n' "$f" >&2; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
