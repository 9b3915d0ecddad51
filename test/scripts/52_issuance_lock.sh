#!/usr/bin/env bash
# plan_issuance releases its session lock on every exit path: cancelled by
# statement_timeout, cancelled by pg_cancel_backend, ended by an error that
# escapes the procedure (a deferred constraint failing at a chunk's COMMIT),
# and terminated.  After each, the session that ran it stays open and idle,
# and a second session must be able to run plan_issuance (not "skipped"),
# taking the interrupted run over.  Also: arguments are checked before a run
# row is written.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
DB=mynahoken_iss_lock
AS_OF=2025-09-01
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf "%s\n" "${out:-}" | sed "s/^/# /"; fails=$((fails + 1)); fi; }
q() { psql -X -qAt -d "$DB" -c "$1" 2>&1; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || { echo "not ok 1 - set up"; exit 1; }
CREATE EXTENSION mynahoken;
CREATE SCHEMA t;
CREATE TABLE t.members AS
SELECT i::text AS member_key, '01130012'::text AS insurer_number, date '1960-01-01' + i % 9000 AS birth_date,
       date '2025-09-01' - i % 3000 AS acquired_on, NULL::date AS lost_on, NULL::text AS employer,
       i % 7 <> 0 AS my_number_linked, NULL::date AS myna_registered_on, NULL::date AS myna_withdrawn_on,
       NULL::date AS ecert_expires_on, NULL::date AS certificate_requested_on, NULL::date AS certificate_valid_until
  FROM generate_series(1, 8000) i;
SELECT mynahoken.register_member_source('t.members');
-- a deferred check that fails a chunk's COMMIT while t.fail has a row
CREATE TABLE t.fail (x int);
CREATE FUNCTION t.fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM t.fail) THEN
    RAISE EXCEPTION 'simulated failure at commit';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT OR UPDATE ON mynahoken.issuance_run
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION t.fail_commit();
SQL

# arguments: nothing recorded, nothing locked
for args in "'infinity'" "'-infinity'" "'5874897-12-31'" "'$AS_OF', known_on => 'infinity'" "'$AS_OF', wait_seconds => -1"; do
	out=$(q "CALL mynahoken.plan_issuance($args)")
	printf '%s\n' "$out" | grep -qE 'ERROR:  (as_of|known_on|wait_seconds) must be'
	ok $? "plan_issuance($args) is refused with the argument's name"
done
out=$(q "SELECT count(*) FROM mynahoken.issuance_run")
[ "$out" = 0 ]; ok $? "refused arguments recorded no run"

# Session A: a psql that stays connected between commands (a FIFO)
fifo="$MH_TMP/iss-lock.fifo"
start_a() {
	rm -f "$fifo"; mkfifo "$fifo"
	psql -X -q -A -t -d "$DB" <"$fifo" >"$MH_TMP/iss-lock.out" 2>&1 &
	apid=$!
	exec 7>"$fifo"
}
stop_a() { exec 7>&-; wait "$apid" 2>/dev/null; rm -f "$fifo"; }
a() { printf '%s\n' "$1" >&7; }
a_wait() {	# wait for a line matching $1 in A's output
	for _ in $(seq 300); do grep -q "$1" "$MH_TMP/iss-lock.out" && return 0; sleep 0.1; done; return 1
}
running_pid() {
	for _ in $(seq 300); do
		p=$(q "SELECT pid FROM mynahoken.issuance_run WHERE status = 'running' AND chunks >= 2")
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
}
after() {	# after NAME: A is idle (or gone); B must not be blocked by it
	local name=$1
	out=$(q "SELECT coalesce(mynahoken.issuance_lock_holder()::text, 'none')")
	[ "$out" = none ]; ok $? "$name: no session holds the issuance lock afterwards"
	out=$(q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 2000)" ; q "SELECT string_agg(state, ',' ORDER BY run_id) FROM mynahoken.issuance_runs")
	[ "$(printf '%s\n' "$out" | tail -n 1)" = finished ]
	ok $? "$name: the next run in another session takes the run over and finishes (not skipped)"
	q "TRUNCATE mynahoken.issuance_run, mynahoken.issuance_queue, mynahoken.issuance_rejection" >/dev/null
}

# 1. statement_timeout
start_a
a "SET statement_timeout = '3s';"
a "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 200, pause_ms => 200);"
a "SELECT 'A=' || pg_backend_pid();"
a_wait '^A='; out=$(cat "$MH_TMP/iss-lock.out")
grep -q 'canceling statement due to statement timeout' "$MH_TMP/iss-lock.out"
ok $? "statement_timeout: the call is cancelled midway, its session stays open"
after "statement_timeout"
stop_a

# 2. pg_cancel_backend
start_a
a "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 200, pause_ms => 200);"
a "SELECT 'A=' || pg_backend_pid();"
pid=$(running_pid); q "SELECT pg_cancel_backend($pid)" >/dev/null
a_wait '^A='; out=$(cat "$MH_TMP/iss-lock.out")
grep -q 'canceling statement due to user request' "$MH_TMP/iss-lock.out"
ok $? "pg_cancel_backend: the call is cancelled midway, its session stays open"
after "pg_cancel_backend"
stop_a

# 3. an error that escapes the procedure: a chunk's COMMIT fails
start_a
a "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 200, pause_ms => 200);"
a "SELECT 'A=' || pg_backend_pid();"
running_pid >/dev/null; q "INSERT INTO t.fail VALUES (1)" >/dev/null
a_wait '^A='; out=$(cat "$MH_TMP/iss-lock.out")
grep -q 'simulated failure at commit' "$MH_TMP/iss-lock.out"
ok $? "error at COMMIT: the call ends with the error, its session stays open"
q "TRUNCATE t.fail" >/dev/null
after "error at COMMIT"
stop_a

# 4. pg_terminate_backend
start_a
a "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 200, pause_ms => 200);"
pid=$(running_pid); q "SELECT pg_terminate_backend($pid)" >/dev/null
stop_a
sleep 0.5
after "pg_terminate_backend"

# duplicate member keys: refused with their count before any document, so a
# kill can never make a rerun plan another copy; fixed, the rerun finishes
q "INSERT INTO t.members SELECT * FROM t.members WHERE member_key IN ('10', '20', '30')" >/dev/null
out=$(q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 2000)")
printf '%s\n' "$out" | grep -q 'ERROR:  issuance run [0-9]* failed'
ok $? "a member source with duplicate keys fails the run"
out=$(q "SELECT error || '|' || (SELECT count(*) FROM mynahoken.issuance_queue) FROM mynahoken.issuance_run")
[ "$out" = "23505 member source has duplicate member keys: 3 rows repeat the key of another row|0" ]
ok $? "the run log names the offending count, and nothing was planned"
q "DELETE FROM t.members a USING t.members b WHERE a.member_key = b.member_key AND a.ctid > b.ctid" >/dev/null
out=$(q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 2000)"; q "SELECT string_agg(state || ' ' || attempts, ',') FROM mynahoken.issuance_runs")
[ "$out" = "finished 2" ]
ok $? "once the keys are unique, the next run takes the failed run over and finishes"

psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
