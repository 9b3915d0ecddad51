#!/usr/bin/env bash
# Leak test of the My Number paths, on the real server log.
#
# Statements that fail on purpose carry canary My Numbers (an invalid check
# digit, a wrong length, a valid number inside a larger failing statement,
# a PL/pgSQL function, dynamic SQL, a parallel query whose error is raised
# in a worker).  The cluster runs with log_min_error_statement = error
# (scripts/lib.sh).  Afterwards neither the server log nor anything the
# client received (psql with VERBOSITY verbose and SHOW_CONTEXT always)
# may contain a canary.  A control statement that fails with a marker that
# is not a My Number must appear in the log, proving the log is the right
# one and statements are logged.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
LOG="$MH_TMP/server.log"
DB=mynahoken_leak
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

# Canaries: the first is 12 digits with a wrong check digit, the second
# valid, the third 11 digits; spellings as typed (hyphens, full width).
BAD_CHECK=731985246107
VALID=864209753183
SHORT=59713682045
FW_VALID='８６４２０９７５３１８３'
needles=("$BAD_CHECK" "$VALID" "$SHORT" "7319-8524-6107" "$FW_VALID"
	"73198524" "86420975" "59713682" "８６４２０９７５")

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' >/dev/null 2>&1
log_start=$(wc -c <"$LOG")

client=$(psql -X -d "$DB" -v VERBOSITY=verbose 2>&1 <<SQL
\set VERBOSITY verbose
\set SHOW_CONTEXT always
SET log_error_verbosity = verbose;
SET search_path = mynahoken, public;
CREATE TABLE sink (t mynahoken.mynumber_token);
-- 1. invalid check digit, as a literal and with hyphens
SELECT mynahoken.tokenize('$BAD_CHECK');
SELECT mynahoken.tokenize('7319-8524-6107');
-- 2. wrong length
SELECT mynahoken.seal('$SHORT');
SELECT mynahoken.mynumber_last4('$SHORT');
-- 3. inside a larger failing statement, next to a valid number
SELECT x, mynahoken.tokenize(x) = mynahoken.tokenize('$FW_VALID', 1)
  FROM (VALUES ('$VALID'), ('$BAD_CHECK')) AS v(x);
WITH m(x) AS (SELECT '$VALID' UNION ALL SELECT '$SHORT')
INSERT INTO sink SELECT mynahoken.tokenize(x) FROM m;
CREATE TEMP TABLE t AS SELECT mynahoken.tokenize_all(x) FROM (VALUES ('$VALID'), ('$SHORT')) v(x);
-- errors that are not about the number itself: a key version not in the
-- keyring, a sealed value that does not authenticate
SELECT mynahoken.tokenize('$VALID', 9);
SELECT mynahoken.unseal(overlay(mynahoken.seal('$VALID')::text PLACING 'A' FROM 10 FOR 1)::mynahoken.mynumber_sealed);
-- a token input that is really a My Number
SELECT '$VALID'::mynahoken.mynumber_token;
-- 4. PL/pgSQL: a static call, dynamic SQL with the number as a literal,
-- and an exception handler that reports SQLERRM
CREATE FUNCTION tok(n text) RETURNS mynahoken.mynumber_token LANGUAGE plpgsql AS
\$\$ BEGIN RETURN mynahoken.tokenize(n); END \$\$;
CREATE FUNCTION tok_dyn(n text) RETURNS mynahoken.mynumber_token LANGUAGE plpgsql AS
\$\$ DECLARE r mynahoken.mynumber_token;
BEGIN EXECUTE format('SELECT mynahoken.tokenize(%L)', n) INTO r; RETURN r; END \$\$;
CREATE FUNCTION tok_caught(n text) RETURNS text LANGUAGE plpgsql AS
\$\$ BEGIN PERFORM mynahoken.tokenize(n); RETURN 'valid';
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'caught: %', SQLERRM; RETURN SQLERRM; END \$\$;
SELECT tok('$BAD_CHECK');
SELECT tok_dyn('$BAD_CHECK');
SELECT tok_dyn('$SHORT');
SELECT tok_caught('$BAD_CHECK');
DO \$\$ BEGIN PERFORM mynahoken.tokenize('$SHORT'); END \$\$;
-- 5. a parallel query whose error is raised in a worker
CREATE TABLE nums AS
  SELECT lpad((i * 7919)::text, 11, '0') || '0' AS n FROM generate_series(1, 20000) i;
UPDATE nums SET n = n WHERE false;
ANALYZE nums;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT count(mynahoken.tokenize(CASE WHEN n LIKE '%7%' THEN '$BAD_CHECK' ELSE '$VALID' END)) FROM nums;
SELECT count(*) FROM nums WHERE mynahoken.tokenize(n, 1) = mynahoken.tokenize('$BAD_CHECK', 2);
SELECT count(*) FROM nums WHERE mynahoken.mynumber_last4(CASE WHEN n LIKE '%7%' THEN '$SHORT' ELSE '$VALID' END) = '0000';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(mynahoken.tokenize('$VALID')) FROM nums;
RESET parallel_leader_participation;
-- 6. control: an ordinary failing statement with a marker is logged
SELECT 1 / 0 AS leak_control_marker_q7z;
SQL
)

[ -z "${LEAK_DEBUG:-}" ] || printf "%s\n" "$client" >"$LEAK_DEBUG"

# the statements ran and failed as intended
errors=$(printf '%s\n' "$client" | grep -c 'ERROR:  22P02: invalid')
[ "$errors" -ge 14 ]; ok $? "the canary statements failed with 22P02 ($errors errors)"
printf '%s\n' "$client" | grep -q 'ERROR:  22023: mynahoken key version 9 is not in the keyring' &&
	printf '%s\n' "$client" | grep -q 'ERROR:  22000: sealed My Number does not authenticate'
ok $? "the key-version and authentication errors were raised"
printf '%s\n' "$client" | grep -q 'caught: invalid My Number: check digit mismatch'
ok $? "PL/pgSQL handler saw the error message"
printf '%s\n' "$client" | grep -q 'Workers Launched: [12]'
ok $? "the parallel plan launched workers"
newlog=$(tail -c +"$((log_start + 1))" "$LOG")
# the session's errors come from one process; a worker logs its own too
pids=$(printf '%s\n' "$newlog" | grep 'ERROR:  22P02: invalid My Number' |
	sed -E 's/^.* \[([0-9]+)\] .*$/\1/' | sort -u | wc -l)
[ "$pids" -ge 2 ]; ok $? "an error came from a parallel worker ($pids processes logged one)"
printf '%s\n' "$newlog" | grep -q 'leak_control_marker_q7z'
ok $? "control: the failing statement with a marker is in the server log"
logged=$(printf '%s\n' "$newlog" | grep -c 'ERROR:  22P02: invalid')
[ "$logged" -ge 14 ]; ok $? "the server log holds the My Number errors ($logged)"

for s in "${needles[@]}"; do
	! printf '%s\n' "$newlog" | grep -qF -- "$s"
	ok $? "server log does not contain canary $s"
	! printf '%s\n' "$client" | grep -qF -- "$s"
	ok $? "client-visible output does not contain canary $s"
done
# full file too, in case anything was logged before this test started
! grep -qF -- "$BAD_CHECK" "$LOG"; ok $? "whole server log free of $BAD_CHECK"

psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
