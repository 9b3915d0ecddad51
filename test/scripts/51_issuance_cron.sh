#!/usr/bin/env bash
# pg_cron runs the issuance.  pg_cron is created in cron.database_name
# ('postgres' in the test cluster) and runs each job in the database the job
# names:
#  - in the pg_cron database itself, schedule_issuance() calls cron.schedule;
#  - in an insurer database without pg_cron (as DBAs deploy it), it schedules
#    through dblink with cron.schedule_in_database;
#  - in a second insurer database, the job fires while another session holds
#    the issuance lock: the run is skipped, pg_cron says "succeeded", and
#    issuance_health / issuance_cron_runs say what happened.  Then a failed
#    run and a run whose backend is killed show in issuance_health.
# All three jobs fire at the start of the next minute ('* * * * *'; pg_cron
# 1.4 has no seconds schedules): waits at most 70 s.  The extensions are
# removed from 'postgres' again if this script created them.  Prints TAP.
# Needs PGHOST (scripts/test.sh).
set -uo pipefail

DB=postgres
INS=mynahoken_cron_insurer
INS2=mynahoken_cron_insurer2
JOB=mynahoken-issuance-test
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2"; echo "#   got:      $3"; fi
}
qd() { local d=$1; shift; psql -X -qAt -d "$d" -c "$1" 2>&1; }
q() { qd "$DB" "$1"; }
members_sql() {	# a member source of 300 members in schema cron_issuance_test
	cat <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS cron_issuance_test CASCADE;
CREATE SCHEMA cron_issuance_test;
CREATE TABLE cron_issuance_test.members AS
SELECT i AS member_key, (ARRAY['01130012', '39131156', '131151'])[1 + i % 3] AS insurer_number,
       date '1950-01-01' + i AS birth_date, CURRENT_DATE - i AS acquired_on, NULL::date AS lost_on,
       'E' || (i % 4) AS employer, i % 2 = 0 AS my_number_linked, NULL::date AS myna_registered_on,
       NULL::date AS myna_withdrawn_on, NULL::date AS ecert_expires_on,
       NULL::date AS certificate_requested_on, NULL::date AS certificate_valid_until
  FROM generate_series(1, 300) AS i;
SELECT mynahoken.register_member_source('cron_issuance_test.members');
TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection;
SQL
}

had_cron=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
had_mh=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'mynahoken'")
# pg_cron loaded but its extension not created in cron.database_name (a step
# a DBA can miss): an insurer database with dblink gets 42704 naming it,
# not pg_cron's missing tables.
q "DROP EXTENSION IF EXISTS pg_cron" >/dev/null
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${INS}_nocron WITH (FORCE)" -c "CREATE DATABASE ${INS}_nocron" >/dev/null 2>&1
qd "${INS}_nocron" "CREATE EXTENSION mynahoken; CREATE EXTENSION dblink" >/dev/null
check "pg_cron not created in cron.database_name: 42704 says so" \
	"ERROR:  pg_cron is not installed in the database named by cron.database_name|DETAIL:  Database postgres is cron.database_name but has no extension pg_cron." \
	"$(qd "${INS}_nocron" "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB-nocron')" | grep -E '^(ERROR|DETAIL)' | paste -sd '|')"
psql -X -q -d postgres -c "DROP DATABASE ${INS}_nocron WITH (FORCE)" >/dev/null 2>&1
q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS mynahoken" >/dev/null
check "pg_cron is installed in cron.database_name" "1" \
	"$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron' AND current_database() = current_setting('cron.database_name')")"
members_sql | psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null
for d in "$INS" "$INS2"; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" -c "CREATE DATABASE $d" >/dev/null 2>&1
	qd "$d" "CREATE EXTENSION mynahoken" >/dev/null
	members_sql | psql -X -q -v ON_ERROR_STOP=1 -d "$d" >/dev/null
done

# --- 1. In the pg_cron database
job=$(q "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB')")
check "schedule_issuance creates a pg_cron job running a single CALL" \
	"* * * * *|CALL mynahoken.plan_issuance(CURRENT_DATE)|$DB" \
	"$(q "SELECT schedule || '|' || command || '|' || database FROM cron.job WHERE jobid = ${job:-0}")"
check "scheduling again under the same name keeps one job" "1" \
	"$(q "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB')" >/dev/null; q "SELECT count(*) FROM cron.job WHERE jobname = '$JOB'")"
# pg_cron quotes a schedule it refuses; schedule_issuance does not
check "a refused schedule is not repeated in the error" "ERROR:  pg_cron refused the schedule" \
	"$(q "SELECT mynahoken.schedule_issuance('not a schedule', '$JOB-bad')" | head -n 1)"

# --- 2. In an insurer database without pg_cron
check "without dblink, an insurer database gets 42704 and what to do" \
	"ERROR:  pg_cron runs in another database and dblink is not installed in this database" \
	"$(qd "$INS" "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB-ins')" | head -n 1)"
qd "$INS" "CREATE EXTENSION dblink" >/dev/null
job_ins=$(qd "$INS" "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB-ins')")
check "with dblink, schedule_issuance in the insurer database schedules a job there" \
	"* * * * *|CALL mynahoken.plan_issuance(CURRENT_DATE)|$INS|postgres" \
	"$(q "SELECT schedule || '|' || command || '|' || database || '|' || username FROM cron.job WHERE jobid = ${job_ins:-0}")"
check "scheduling again from the insurer database replaces the job" "$job_ins|1" \
	"$(qd "$INS" "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB-ins')")|$(q "SELECT count(*) FROM cron.job WHERE jobname = '$JOB-ins'")"
check "a refused schedule from the insurer database is not repeated either" "ERROR:  pg_cron refused the schedule" \
	"$(qd "$INS" "SELECT mynahoken.schedule_issuance('not a schedule', '$JOB-bad')" | head -n 1)"
link=$(qd "$INS" "SELECT mynahoken.schedule_linkage_check('30 17 * * *', '$JOB-link', true)")
check "schedule_linkage_check takes the same path" "$INS|CALL mynahoken.linkage_check_nightly(true)" \
	"$(q "SELECT database || '|' || command FROM cron.job WHERE jobid = ${link:-0}")"
check "unschedule_linkage_check removes it" "t|0" \
	"$(qd "$INS" "SELECT mynahoken.unschedule_linkage_check('$JOB-link')")|$(q "SELECT count(*) FROM cron.job WHERE jobname = '$JOB-link'")"
check "no dblink connection is left open" "" "$(qd "$INS" "SELECT unnest(dblink_get_connections())")"

# --- 3. A second insurer database: a job of the same name is refused, a skipped run
qd "$INS2" "CREATE EXTENSION dblink" >/dev/null
check "another database cannot take over the job's name (42710)" \
	"ERROR:  a pg_cron job of this name and role runs in another database|f" \
	"$(qd "$INS2" "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB-ins')" | head -n 1)|$(qd "$INS2" "SELECT mynahoken.unschedule_issuance('$JOB-ins')")"
# another session holds the issuance lock over the tick: taken before the
# job is scheduled (a tick between the two would run the job unhindered)
psql -X -qAt -d "$INS2" -c "SET application_name = 'cron-test-holder'" \
	-c "SELECT pg_advisory_lock(k[1], k[2]) FROM mynahoken.issuance_lock_key() AS k" -c "SELECT pg_sleep(100)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 100); do
	[ "$(qd "$INS2" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	                  WHERE a.application_name = 'cron-test-holder' AND l.locktype = 'advisory' AND l.granted")" = 1 ] && break
	sleep 0.1
done
job_ins2=$(qd "$INS2" "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB-ins2')")

# '* * * * *' fires at the start of the next minute.
state="" ; state2=""
for _ in $(seq 1 75); do
	state=$(q "SELECT state FROM mynahoken.issuance_runs WHERE state IN ('finished', 'failed') ORDER BY run_id LIMIT 1")
	state_ins=$(qd "$INS" "SELECT state FROM mynahoken.issuance_runs WHERE state IN ('finished', 'failed') ORDER BY run_id LIMIT 1")
	state2=$(qd "$INS2" "SELECT state FROM mynahoken.issuance_runs ORDER BY run_id LIMIT 1")
	[ -n "$state" ] && [ -n "$state_ins" ] && [ -n "$state2" ] && break
	sleep 1
done
qd "$INS2" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cron-test-holder'" >/dev/null
wait "$holder" 2>/dev/null
check "a scheduled run happened in the pg_cron database and the run log shows it finished" "finished" "$state"
check "it planned today's documents for the 300 members" "300|true" \
	"$(q "SELECT members_done || '|' || (certificates + notices > 0) FROM mynahoken.issuance_runs WHERE as_of = CURRENT_DATE ORDER BY run_id LIMIT 1")"
check "pg_cron records the job run as succeeded" "succeeded|CALL" \
	"$(q "SELECT status || '|' || return_message FROM cron.job_run_details WHERE jobid = ${job:-0} ORDER BY runid LIMIT 1")"
check "the job scheduled from the insurer database fired there: its run log shows the run finished" \
	"finished|300" "$state_ins|$(qd "$INS" "SELECT members_done FROM mynahoken.issuance_runs ORDER BY run_id LIMIT 1")"
check "pg_cron ran it in the insurer database" "$INS|succeeded" \
	"$(q "SELECT database || '|' || status FROM cron.job_run_details WHERE jobid = ${job_ins:-0} ORDER BY runid LIMIT 1")"
check "issuance_cron_runs pairs pg_cron's record with the run (through dblink)" "succeeded|finished|true" \
	"$(qd "$INS" "SELECT cron_status || '|' || run_state || '|' || agrees FROM mynahoken.issuance_cron_runs('$JOB-ins') ORDER BY cron_runid LIMIT 1")"
check "the insurer database has no run problem to report" "" "$(qd "$INS" "SELECT kind FROM mynahoken.issuance_health WHERE kind LIKE 'run_%'")"

check "with the lock held elsewhere, the second database's run was skipped" "skipped" "$state2"
check "pg_cron nevertheless records the job run as succeeded" "succeeded" \
	"$(q "SELECT status FROM cron.job_run_details WHERE jobid = ${job_ins2:-0} ORDER BY runid LIMIT 1")"
run2=$(qd "$INS2" "SELECT run_id FROM mynahoken.issuance_run ORDER BY run_id LIMIT 1")
check "issuance_cron_runs says pg_cron and the run log disagree" "succeeded|skipped|$run2|false" \
	"$(qd "$INS2" "SELECT cron_status || '|' || run_state || '|' || run_id || '|' || agrees FROM mynahoken.issuance_cron_runs('$JOB-ins2') ORDER BY cron_runid LIMIT 1")"
check "issuance_health shows the skipped run" "run_skipped|warning|1|{$run2}" \
	"$(qd "$INS2" "SELECT kind || '|' || severity || '|' || count || '|' || ids::text FROM mynahoken.issuance_health")"

check "unschedule_issuance removes the job" "t|0" \
	"$(q "SELECT mynahoken.unschedule_issuance('$JOB')")|$(q "SELECT count(*) FROM cron.job WHERE jobname = '$JOB'")"
check "unscheduling a job that is gone returns false" "f" "$(q "SELECT mynahoken.unschedule_issuance('$JOB')")"
check "unschedule_issuance from the insurer databases removes their jobs" "t|t|0" \
	"$(qd "$INS" "SELECT mynahoken.unschedule_issuance('$JOB-ins')")|$(qd "$INS2" "SELECT mynahoken.unschedule_issuance('$JOB-ins2')")|$(q "SELECT count(*) FROM cron.job WHERE jobname LIKE '$JOB%'")"

# --- 4. A failed run, then a run whose backend is killed, in issuance_health
psql -X -q -v ON_ERROR_STOP=1 -d "$INS2" >/dev/null <<'SQL'
ALTER TABLE cron_issuance_test.members RENAME TO members_t;
CREATE TABLE cron_issuance_test.broken (x int);
INSERT INTO cron_issuance_test.broken VALUES (1);
-- a source that fails while cron_issuance_test.broken has a row
CREATE VIEW cron_issuance_test.members AS
SELECT m.* FROM cron_issuance_test.members_t m
 WHERE m.member_key / (SELECT CASE WHEN count(*) > 0 THEN 0 ELSE 1 END FROM cron_issuance_test.broken) > 0;
SQL
qd "$INS2" "CALL mynahoken.plan_issuance(CURRENT_DATE)" >/dev/null
check "a run that failed shows in issuance_health" "run_failed|error|1" \
	"$(qd "$INS2" "SELECT kind || '|' || severity || '|' || count FROM mynahoken.issuance_health WHERE kind = 'run_failed'")"
qd "$INS2" "TRUNCATE cron_issuance_test.broken" >/dev/null
PGAPPNAME=cron-test-victim psql -X -qAt -d "$INS2" -c "CALL mynahoken.plan_issuance(CURRENT_DATE, chunk_size => 10, pause_ms => 200)" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 1 50); do
	[ "$(qd "$INS2" "SELECT count(*) FROM mynahoken.issuance_run WHERE status = 'running' AND members_done > 0")" = 1 ] && break
	sleep 0.2
done
check "while the run is in progress, issuance_health reports no interrupted run" "" \
	"$(qd "$INS2" "SELECT kind FROM mynahoken.issuance_health WHERE kind IN ('run_interrupted', 'run_failed')")"
qd "$INS2" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cron-test-victim'" >/dev/null
wait "$victim" 2>/dev/null
sleep 0.5
check "the run whose backend was killed shows as interrupted, the failed one it took over no more" "run_interrupted|error|1" \
	"$(qd "$INS2" "SELECT kind || '|' || severity || '|' || count FROM mynahoken.issuance_health WHERE kind LIKE 'run_%' AND kind <> 'run_skipped'")"
qd "$INS2" "CALL mynahoken.plan_issuance(CURRENT_DATE)" >/dev/null
check "a finished run takes it over and catches the skipped one up: no run problem" "" \
	"$(qd "$INS2" "SELECT kind FROM mynahoken.issuance_health WHERE kind LIKE 'run_%'")"

q "DELETE FROM cron.job_run_details WHERE jobid IN (${job:-0}, ${job_ins:-0}, ${job_ins2:-0})" >/dev/null
q "DROP SCHEMA cron_issuance_test CASCADE" >/dev/null
for d in "$INS" "$INS2"; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1; done
[ "$had_mh" = 0 ] && q "DROP EXTENSION mynahoken" >/dev/null
[ "$had_cron" = 0 ] && q "DROP EXTENSION pg_cron" >/dev/null
echo "1..$n"
[ "$failed" -eq 0 ]
