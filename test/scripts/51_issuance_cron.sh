#!/usr/bin/env bash
# pg_cron runs the issuance: schedule_issuance() creates a job, pg_cron fires
# it at the next minute, and the run log shows the run.  pg_cron runs jobs
# only in cron.database_name ('postgres' in the test cluster), so both
# extensions are created there and removed again if this script created them.
# Waits at most 70 s for the tick.  Prints TAP.  Needs PGHOST (scripts/test.sh).
set -uo pipefail

DB=postgres
JOB=mynahoken-issuance-test
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2"; echo "#   got:      $3"; fi
}
q() { psql -X -qAt -d "$DB" -c "$1" 2>&1; }

had_cron=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
had_mh=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'mynahoken'")
q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS mynahoken" >/dev/null
check "pg_cron is installed in cron.database_name" "1" \
	"$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron' AND current_database() = current_setting('cron.database_name')")"

psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL'
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

job=$(q "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB')")
check "schedule_issuance creates a pg_cron job running a single CALL" \
	"* * * * *|CALL mynahoken.plan_issuance(CURRENT_DATE)" \
	"$(q "SELECT schedule || '|' || command FROM cron.job WHERE jobid = ${job:-0}")"
check "scheduling again under the same name keeps one job" "1" \
	"$(q "SELECT mynahoken.schedule_issuance('* * * * *', '$JOB')" >/dev/null; q "SELECT count(*) FROM cron.job WHERE jobname = '$JOB'")"
# pg_cron quotes a schedule it refuses; schedule_issuance does not
check "a refused schedule is not repeated in the error" "ERROR:  pg_cron refused the schedule" \
	"$(q "SELECT mynahoken.schedule_issuance('not a schedule', '$JOB-bad')" | head -n 1)"

# '* * * * *' fires at the start of the next minute.
state=""
for _ in $(seq 1 70); do
	state=$(q "SELECT state FROM mynahoken.issuance_runs WHERE state IN ('finished', 'failed') ORDER BY run_id LIMIT 1")
	[ -n "$state" ] && break
	sleep 1
done
check "a scheduled run happened and the run log shows it finished" "finished" "$state"
check "it planned today's documents for the 300 members" "300|true" \
	"$(q "SELECT members_done || '|' || (certificates + notices > 0) FROM mynahoken.issuance_runs WHERE as_of = CURRENT_DATE ORDER BY run_id LIMIT 1")"
check "pg_cron records the job run as succeeded" "succeeded|CALL" \
	"$(q "SELECT status || '|' || return_message FROM cron.job_run_details WHERE jobid = ${job:-0} ORDER BY runid LIMIT 1")"

check "unschedule_issuance removes the job" "t|0" \
	"$(q "SELECT mynahoken.unschedule_issuance('$JOB')")|$(q "SELECT count(*) FROM cron.job WHERE jobname = '$JOB'")"
check "unscheduling a job that is gone returns false" "f" "$(q "SELECT mynahoken.unschedule_issuance('$JOB')")"

q "DELETE FROM cron.job_run_details WHERE jobid = ${job:-0}" >/dev/null
q "DROP SCHEMA cron_issuance_test CASCADE" >/dev/null
[ "$had_mh" = 0 ] && q "DROP EXTENSION mynahoken" >/dev/null
[ "$had_cron" = 0 ] && q "DROP EXTENSION pg_cron" >/dev/null
echo "1..$n"
[ "$failed" -eq 0 ]
