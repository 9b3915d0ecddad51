#!/usr/bin/env bash
# Exactly once: plan_issuance killed mid-run (backend terminated, backend
# SIGKILLed, server stopped with -m immediate) and run again ends with the
# same queue as an uninterrupted run, for a first run and for an incremental
# night (only changed members decided again); two concurrent runs never plan
# twice.
# Prints TAP.  Needs PGHOST, MH_TMP and MH_BINDIR (scripts/test.sh).
set -uo pipefail

DB=mynahoken_issuance
MEMBERS=20000
AS_OF=2025-09-01
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2"; echo "#   got:      $3"; fi
}
q() { psql -X -qAt -d "$DB" -c "$1" 2>&1; }
as_server() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

wait_ready() {
	local i
	for i in $(seq 1 120); do
		psql -X -qAt -d "$DB" -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# Wait until the running run has committed at least N chunks; prints its pid.
wait_chunks() {
	local i out
	for i in $(seq 1 200); do
		out=$(q "SELECT pid FROM mynahoken.issuance_run WHERE status = 'running' AND chunks >= $1")
		if [ -n "$out" ]; then echo "$out"; return 0; fi
		sleep 0.05
	done
	return 1
}

plan_bg() {	# plan_bg LOGFILE [extra arguments]
	local log=$1; shift
	psql -X -q -d "$DB" -c "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400$*)" >"$log" 2>&1 &
}

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || { echo "not ok 1 - create database"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || { echo "not ok 1 - set up members"; exit 1; }
CREATE EXTENSION mynahoken;
SET check_function_bodies = off;
CREATE SCHEMA t;
-- Synthetic members, deterministic: every category the demo has, some
-- invalid insurer numbers, contradictory dates, new members, My Number or not.
CREATE TABLE t.members AS
SELECT i AS id,
       (ARRAY['01130012', '06139992', '39131156', '131151', '01130012', '01130013'])[1 + i % 6] AS ins,
       date '1940-01-01' + (i * 37) % 25000 AS born,
       date '2025-09-01' - (i * 13) % 9000 AS acquired,
       CASE WHEN i % 97 = 0 THEN date '2025-06-01' WHEN i % 211 = 0 THEN date '1999-01-01' END AS lost,
       CASE WHEN i % 6 IN (0, 1, 4) THEN 'E' || (i % 50) END AS office,
       i % 7 <> 0 AS linked,
       CASE WHEN i % 3 = 0 THEN date '2022-01-01' END AS registered,
       CASE WHEN i % 3 = 0 THEN date '2023-01-01' + (i % 2000) END AS ecert
  FROM generate_series(1, $MEMBERS) AS i;
ALTER TABLE t.members ADD PRIMARY KEY (id);
CREATE TABLE t.members_day1 AS TABLE t.members;
-- The next night's changes: a quarter of the members registered their
-- マイナ保険証 or withdrew it, and lost or got their My Number linked.
CREATE FUNCTION t.change_members() RETURNS void LANGUAGE sql AS \$\$
  UPDATE t.members SET registered = CASE WHEN registered IS NULL THEN date '2025-08-20' END,
                       linked = NOT linked
   WHERE id % 4 = 1;
\$\$;
CREATE FUNCTION t.restore_members() RETURNS void LANGUAGE sql AS \$\$
  TRUNCATE t.members;
  INSERT INTO t.members SELECT * FROM t.members_day1;
\$\$;
CREATE VIEW t.source AS
SELECT id AS member_key, ins AS insurer_number, born AS birth_date, acquired AS acquired_on, lost AS lost_on,
       office AS employer, linked AS my_number_linked, registered AS myna_registered_on,
       NULL::date AS myna_withdrawn_on, ecert AS ecert_expires_on, NULL::date AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM t.members;
SELECT mynahoken.register_member_source('t.source');
CREATE FUNCTION t.reset() RETURNS void LANGUAGE sql AS \$\$
  TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection;
  SELECT t.restore_members();
\$\$;
-- Differences between the queue and the reference, both ways, and repeats.
CREATE FUNCTION t.diff() RETURNS text LANGUAGE sql AS \$\$
  WITH q AS (SELECT member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                    sending_window, insurer_number::text, category, employer, as_of
               FROM mynahoken.issuance_queue)
  SELECT format('missing %s, extra %s, repeated %s',
                (SELECT count(*) FROM (SELECT * FROM t.ref EXCEPT ALL SELECT * FROM q) x),
                (SELECT count(*) FROM (SELECT * FROM q EXCEPT ALL SELECT * FROM t.ref) x),
                (SELECT count(*) FROM (SELECT member_key, document FROM q GROUP BY 1, 2 HAVING count(*) > 1) x))
\$\$;
-- The member states, as an uninterrupted run leaves them (but the run ids).
CREATE FUNCTION t.state() RETURNS TABLE (member_key text, digest bigint, decided_on date, next_change date)
LANGUAGE sql AS \$\$
  SELECT member_key, digest, decided_on, next_change FROM mynahoken.issuance_member_state
\$\$;
-- What each certificate was decided with (issuance_input), by document.
CREATE FUNCTION t.inputs() RETURNS TABLE (member_key text, document mynahoken.issuance_document, issue_window date,
                                         decided_on date, need_version_id bigint, need_row_no int,
                                         validity_version_id bigint, validity_row_no int, capped boolean, facts jsonb)
LANGUAGE sql AS \$\$
  SELECT q.member_key, q.document, q.issue_window, i.decided_on, i.need_version_id, i.need_row_no,
         i.validity_version_id, i.validity_row_no, i.capped, i.facts
    FROM mynahoken.issuance_input i JOIN mynahoken.issuance_queue q USING (queue_id)
\$\$;
SQL

# The reference: one uninterrupted run.
q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400)" >/dev/null
q "CREATE TABLE t.ref AS SELECT member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
          sending_window, insurer_number::text, category, employer, as_of FROM mynahoken.issuance_queue" >/dev/null
ref=$(q "SELECT count(*) FROM t.ref")
kinds=$(q "SELECT count(DISTINCT document) || ' kinds, ' || count(DISTINCT reason) || ' reasons' FROM t.ref")
if [ "${ref:-0}" -gt 1000 ]; then ok "an uninterrupted run plans $ref documents ($kinds)"; else not_ok "reference run planned ${ref:-nothing}"; fi
check "a rerun of the finished day plans nothing" "0|0" \
	"$(q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 3000)"; q "SELECT certificates || '|' || notices FROM mynahoken.issuance_run ORDER BY run_id DESC LIMIT 1")"

# The reference was a first load (queue and member states empty: plain
# inserts, no look-ups of the queue).  Another session's insert into the
# queue waits for the run to end (trigger issuance_queue_wait_for_run), so a
# first load never plans beside a document it did not see.  A member state
# added by hand meanwhile fails the first load at its chunk (23505), and the
# run taken over plans the rest the usual way; with a member state left (a
# key of no member) the run takes the usual way from the start, and both
# leave the documents, member states and recorded inputs of the first load.
q "CREATE TABLE t.ref_state AS SELECT * FROM t.state()" >/dev/null
q "CREATE TABLE t.ref_input AS SELECT * FROM t.inputs()" >/dev/null
q "CREATE TABLE t.hand AS SELECT * FROM mynahoken.issuance_queue
    WHERE member_key = (SELECT max(id)::text FROM t.members) AND document = 'certificate'" >/dev/null
same_as_first_load() {
	q "SELECT format('%s, states differing %s, inputs differing %s', t.diff(),
	        (SELECT count(*) FROM ((TABLE t.ref_state EXCEPT SELECT * FROM t.state() WHERE member_key <> 'not-a-member')
	                               UNION ALL (SELECT * FROM t.state() WHERE member_key <> 'not-a-member' EXCEPT TABLE t.ref_state)) x),
	        (SELECT count(*) FROM ((TABLE t.ref_input EXCEPT ALL SELECT * FROM t.inputs())
	                               UNION ALL (SELECT * FROM t.inputs() EXCEPT ALL TABLE t.ref_input)) x))"
}
during_run() {	# during_run SQL: a first load during which another session runs SQL; prints its output
	q "SELECT t.reset()" >/dev/null
	plan_bg "$MH_TMP/iss-hand.log" ", pause_ms => 40"
	local bg=$!
	wait_chunks 2 >/dev/null || echo "# the run did not start" >&2
	q "$1"
	wait $bg
}
if [ "$(q "SELECT count(*) FROM t.hand")" = 1 ]; then ok "the last member has a certificate to add by hand"; else not_ok "the last member has a certificate to add by hand"; fi
added=$(during_run "INSERT INTO mynahoken.issuance_queue SELECT * FROM t.hand; SELECT 'inserted'" 2>&1 | head -n 1)
check "a document added during a first load waits for the run, which planned it: refused once the run finished" \
	"duplicate key|finished|missing 0, extra 0, repeated 0" \
	"$(case "$added" in *"duplicate key value violates unique constraint"*) echo -n "duplicate key" ;; *) echo -n "$added" ;; esac)|$(q "SELECT string_agg(state, ',') FROM mynahoken.issuance_runs")|$(q "SELECT t.diff()")"
during_run "INSERT INTO mynahoken.issuance_member_state VALUES ((SELECT max(id)::text FROM t.members), 0, '$AS_OF', 'infinity', 0, 0)" >/dev/null
check "a member state added by hand fails the first load at that chunk (23505), logged" "failed|23505" \
	"$(q "SELECT state || '|' || left(error, 5) FROM mynahoken.issuance_runs")"
q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400)" >/dev/null
check "the run taken over finishes the usual way with the first load's documents, member states and inputs" \
	"1|finished|2|missing 0, extra 0, repeated 0, states differing 0, inputs differing 0" \
	"$(q "SELECT count(*) || '|' || min(state) || '|' || max(attempts) FROM mynahoken.issuance_runs")|$(same_as_first_load)"
q "SELECT t.reset()" >/dev/null
q "INSERT INTO mynahoken.issuance_member_state VALUES ('not-a-member', 0, '$AS_OF', 'infinity', 0, 0)" >/dev/null
q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400)" >/dev/null
check "with a member state left, the run takes the usual way and leaves the first load's documents, member states and inputs" \
	"finished|missing 0, extra 0, repeated 0, states differing 0, inputs differing 0" \
	"$(q "SELECT state FROM mynahoken.issuance_runs")|$(same_as_first_load)"

# One kill scenario: start a slow run (a first load), kill it once some
# chunks are committed, check the queue is partial, rerun, compare.
scenario() {	# scenario NAME KILL-COMMAND
	local name=$1 kill=$2 pid partial state
	q "SELECT t.reset()" >/dev/null
	plan_bg "$MH_TMP/iss-$name.log" ", pause_ms => 40"
	local bg=$!
	pid=$(wait_chunks 5) || { not_ok "$name: the run started"; wait $bg; return; }
	eval "$kill"
	wait $bg
	wait_ready || { not_ok "$name: server is back"; return; }
	partial=$(q "SELECT count(*) FROM mynahoken.issuance_queue")
	if [ "$partial" -gt 0 ] && [ "$partial" -lt "$ref" ]; then
		ok "$name: the kill stopped the run midway ($partial of $ref documents committed)"
	else
		not_ok "$name: the kill stopped the run midway ($partial of $ref documents committed)"
	fi
	state=$(q "SELECT state || '|' || (finished_at IS NULL) FROM mynahoken.issuance_runs")
	check "$name: the run log shows the run interrupted, not finished" "interrupted|true" "$state"
	q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400)" >/dev/null
	check "$name: the rerun takes the run over and finishes it" "1|finished|2" \
		"$(q "SELECT count(*) || '|' || min(state) || '|' || max(attempts) FROM mynahoken.issuance_runs")"
	check "$name: final queue, member states and inputs equal the uninterrupted run's" \
		"missing 0, extra 0, repeated 0, states differing 0, inputs differing 0" "$(same_as_first_load)"
}

scenario "pg_terminate_backend" 'q "SELECT pg_terminate_backend($pid)" >/dev/null'
scenario "SIGKILL of the backend" 'kill -KILL "$pid"'
scenario "pg_ctl stop -m immediate" 'as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/data" -m immediate -w stop >/dev/null 2>&1;
	as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/data" -l "$MH_TMP/server.log" -w -t 60 start >/dev/null 2>&1'

# An incremental night: the reference is the queue and member states after
# the first day and an uninterrupted second day with a quarter changed.
DAY2=2025-09-02
q "SELECT t.reset()" >/dev/null
q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400)" >/dev/null
q "SELECT t.change_members()" >/dev/null
q "CALL mynahoken.plan_issuance('$DAY2', chunk_size => 400)" >/dev/null
q "CREATE TABLE t.ref2 AS SELECT member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
          sending_window, insurer_number::text, category, employer, as_of FROM mynahoken.issuance_queue" >/dev/null
q "CREATE TABLE t.state2 AS SELECT * FROM t.state()" >/dev/null
decided2=$(q "SELECT members_total FROM mynahoken.issuance_run WHERE as_of = '$DAY2'")
new2=$(q "SELECT count(*) FROM t.ref2 WHERE as_of = '$DAY2'")
if [ "${decided2:-0}" -gt 2000 ] && [ "$decided2" -lt 10000 ] && [ "${new2:-0}" -gt 100 ]; then
	ok "the incremental night decides only the changed and due members ($decided2 of $MEMBERS) and plans $new2 documents"
else
	not_ok "the incremental night decides only the changed and due members (${decided2:-?} of $MEMBERS, ${new2:-?} documents)"
fi
diff2() {
	q "SELECT format('missing %s, extra %s; states differing %s',
	        (SELECT count(*) FROM (SELECT * FROM t.ref2 EXCEPT ALL SELECT member_key, document, acquired_on, issue_window, reason,
	                valid_from, valid_until, sending_window, insurer_number::text, category, employer, as_of
	                FROM mynahoken.issuance_queue) x),
	        (SELECT count(*) FROM (SELECT member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
	                sending_window, insurer_number::text, category, employer, as_of FROM mynahoken.issuance_queue
	                EXCEPT ALL SELECT * FROM t.ref2) x),
	        (SELECT count(*) FROM ((SELECT * FROM t.state2 EXCEPT SELECT * FROM t.state())
	                               UNION ALL (SELECT * FROM t.state() EXCEPT SELECT * FROM t.state2)) x))"
}
incremental() {	# incremental NAME KILL-COMMAND
	local name="incremental night, $1" kill=$2 pid partial
	q "SELECT t.reset()" >/dev/null
	q "CALL mynahoken.plan_issuance('$AS_OF', chunk_size => 400)" >/dev/null
	q "SELECT t.change_members()" >/dev/null
	psql -X -q -d "$DB" -c "CALL mynahoken.plan_issuance('$DAY2', chunk_size => 400, pause_ms => 250)" \
		>"$MH_TMP/iss-inc.log" 2>&1 &
	local bg=$!
	pid=$(wait_chunks 3) || { not_ok "$name: the run started"; wait $bg; return; }
	eval "$kill"
	wait $bg
	wait_ready || { not_ok "$name: server is back"; return; }
	partial=$(q "SELECT count(*) FROM mynahoken.issuance_queue WHERE as_of = '$DAY2'")
	if [ "$partial" -gt 0 ] && [ "$partial" -lt "$new2" ]; then
		ok "$name: the kill stopped the night midway ($partial of $new2 documents committed)"
	else
		not_ok "$name: the kill stopped the night midway ($partial of $new2 documents committed)"
	fi
	q "CALL mynahoken.plan_issuance('$DAY2', chunk_size => 400)" >/dev/null
	check "$name: the rerun takes the night over and finishes it" "finished|2" \
		"$(q "SELECT state || '|' || attempts FROM mynahoken.issuance_runs WHERE as_of = '$DAY2'")"
	check "$name: queue and member states equal the uninterrupted night's" "missing 0, extra 0; states differing 0" "$(diff2)"
	[ -z "${DEBUG_STATE:-}" ] || q "(SELECT 'ref', * FROM t.state2 EXCEPT SELECT 'ref', * FROM t.state()) UNION ALL (SELECT 'got', * FROM t.state() EXCEPT SELECT 'got', * FROM t.state2) ORDER BY 2, 1" | sed 's/^/# /'
}
incremental "pg_terminate_backend" 'q "SELECT pg_terminate_backend($pid)" >/dev/null'
incremental "SIGKILL of the backend" 'kill -KILL "$pid"'
incremental "pg_ctl stop -m immediate" 'as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/data" -m immediate -w stop >/dev/null 2>&1;
	as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/data" -l "$MH_TMP/server.log" -w -t 60 start >/dev/null 2>&1'
check "a rerun of the night plans nothing and decides nobody again" "0|0|0" \
	"$(q "CALL mynahoken.plan_issuance('$DAY2', chunk_size => 400)"; q "SELECT members_total || '|' || certificates || '|' || notices FROM mynahoken.issuance_run ORDER BY run_id DESC LIMIT 1")"

# Two runs at once: the second exits at once with a clear message and a
# "skipped" row; a third that waits runs after the first and plans nothing.
q "SELECT t.reset()" >/dev/null
plan_bg "$MH_TMP/iss-first.log" ", pause_ms => 40"
first=$!
wait_chunks 2 >/dev/null
second=$(psql -X -q -d "$DB" -c "CALL mynahoken.plan_issuance('$AS_OF')" 2>&1)
case "$second" in
	*"WARNING:  issuance run skipped: another run is in progress"*) ok "a second concurrent run exits with a clear message" ;;
	*) not_ok "a second concurrent run exits with a clear message"; echo "# $second" ;;
esac
psql -X -q -d "$DB" -c "CALL mynahoken.plan_issuance('$AS_OF', wait_seconds => 60)" >"$MH_TMP/iss-third.log" 2>&1 &
third=$!
wait $first
wait $third
check "the run log shows the first run, the skipped one, then the waiting one" "finished,skipped,finished" \
	"$(q "SELECT string_agg(state, ',' ORDER BY run_id) FROM mynahoken.issuance_runs")"
check "the waiting run planned nothing new" "0|0" \
	"$(q "SELECT certificates || '|' || notices FROM mynahoken.issuance_run WHERE status = 'finished' ORDER BY run_id DESC LIMIT 1")"
check "after concurrent runs the queue equals the uninterrupted run's" "missing 0, extra 0, repeated 0" "$(q "SELECT t.diff()")"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
echo "1..$n"
[ "$failed" -eq 0 ]
