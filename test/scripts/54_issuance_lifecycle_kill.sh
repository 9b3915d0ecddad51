#!/usr/bin/env bash
# The lifecycle steps of issue 13 killed at a random point (backend
# terminated, backend SIGKILLed), the two long ones also at a known point
# midway, and run again end as an uninterrupted run:
# review_issuance, prepare_handoffs (re-check and batches), mark_recall_returned,
# close_recalls.  Each step is one transaction, so a kill leaves nothing of it.
# Prints TAP.  Needs PGHOST, MH_TMP and MH_BINDIR (scripts/test.sh).
set -uo pipefail

DB=mynahoken_lifecycle
MEMBERS=20000
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2"; echo "#   got:      $3"; fi
}
q() { psql -X -qAt -d "$DB" -c "$1" 2>&1; }

wait_ready() {
	local i
	for i in $(seq 1 120); do
		psql -X -qAt -d "$DB" -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || { echo "not ok 1 - create database"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || { echo "not ok 1 - set up members"; exit 1; }
CREATE EXTENSION mynahoken;
SET client_min_messages = warning;
CREATE SCHEMA t;
CREATE TABLE t.members AS
SELECT i AS id,
       (ARRAY['01130012', '06139992', '39131156', '131151', '01130012', '01130013'])[1 + i % 6] AS ins,
       date '1940-01-01' + (i * 37) % 25000 AS born,
       date '2025-09-01' - (i * 13) % 9000 AS acquired,
       CASE WHEN i % 97 = 0 THEN date '2025-06-01' END AS lost,
       CASE WHEN i % 6 IN (0, 1, 4) THEN 'E' || (i % 50) END AS office,
       i % 7 <> 0 AS linked,
       CASE WHEN i % 3 = 0 THEN date '2022-01-01' END AS registered,
       CASE WHEN i % 3 = 0 THEN date '2023-01-01' + (i % 2000) END AS ecert
  FROM generate_series(1, $MEMBERS) AS i;
ALTER TABLE t.members ADD PRIMARY KEY (id);
CREATE VIEW t.source AS
SELECT id AS member_key, ins AS insurer_number, born AS birth_date, acquired AS acquired_on, lost AS lost_on,
       office AS employer, linked AS my_number_linked, registered AS myna_registered_on,
       NULL::date AS myna_withdrawn_on, ecert AS ecert_expires_on, NULL::date AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM t.members;
SELECT mynahoken.register_member_source('t.source');
-- The lifecycle state, without ids and times (a killed step uses up
-- sequence values): documents, batches, re-checks, recalls.
CREATE FUNCTION t.state() RETURNS text LANGUAGE sql AS \$\$
  SELECT format('%s documents (%s withdrawn, %s late), %s batches, %s re-checks, %s recalls (%s closed) %s',
    (SELECT count(*) FROM mynahoken.issuance_queue),
    (SELECT count(*) FROM mynahoken.issuance_queue WHERE status = 'withdrawn'),
    (SELECT count(*) FROM mynahoken.issuance_queue WHERE days_late > 0),
    (SELECT count(*) FROM mynahoken.issuance_handoff),
    (SELECT count(*) FROM mynahoken.issuance_review),
    (SELECT count(*) FROM mynahoken.issuance_recall),
    (SELECT count(*) FROM mynahoken.issuance_recall WHERE closed_on IS NOT NULL),
    md5(concat_ws('|',
      (SELECT string_agg(concat_ws(',', q.queue_id, q.status, q.withdrawn_on, q.withdrawn_reason, q.days_late,
                                   q.withdrawn_explanation, h.employer, h.handoff_on, h.sent_on, r.on_day),
                         ';' ORDER BY q.queue_id)
         FROM mynahoken.issuance_queue q
         LEFT JOIN mynahoken.issuance_handoff h USING (handoff_id)
         LEFT JOIN mynahoken.issuance_review r ON r.review_id = q.review_id),
      (SELECT string_agg(concat_ws(',', h.employer, h.documents, h.recalls, h.handoff_on, h.sent_on), ';'
                         ORDER BY h.handoff_on, h.employer, h.sent_on, h.documents)
         FROM mynahoken.issuance_handoff h),
      (SELECT string_agg(concat_ws(',', r.on_day, r.scope, r.employer, r.checked, r.withdrawn, r.recalls_planned,
                                   r.recalls_withdrawn, r.explanations), ';' ORDER BY r.on_day, r.scope, r.employer)
         FROM mynahoken.issuance_review r),
      (SELECT string_agg(concat_ws(',', c.certificate_id, c.status, c.planned_on, c.sent_on, c.returned_on,
                                   c.closed_on, c.closed_reason, h.employer, h.handoff_on), ';' ORDER BY c.certificate_id)
         FROM mynahoken.issuance_recall c LEFT JOIN mynahoken.issuance_handoff h USING (handoff_id)))))
\$\$;
-- Before the steps: planned 2025-09-01, half the employers' documents sent,
-- then members lose eligibility, register the マイナ保険証, and a night
-- plans the 後期 renewals of 2026-08-03.
CALL mynahoken.plan_issuance('2025-09-01', chunk_size => 5000);
SELECT mynahoken.mark_handoff_sent(mynahoken.prepare_handoff(e.employer, '2025-09-02'), '2025-09-05')
  FROM (SELECT DISTINCT employer FROM mynahoken.issuance_queue
         WHERE substr(employer, 2)::int % 2 = 0) AS e;
UPDATE t.members SET lost = date '2026-03-31' WHERE id % 11 = 0 AND lost IS NULL;
UPDATE t.members SET registered = date '2026-01-01', ecert = date '2030-01-01' WHERE id % 13 = 0;
CALL mynahoken.plan_issuance('2026-08-03', chunk_size => 5000);
SQL

# The steps, each with the query that says whether it has run.
steps=(
	"SELECT * FROM mynahoken.review_issuance('2026-08-10')"
	"SELECT count(*) FROM mynahoken.prepare_handoffs('2026-08-11')"
	"SELECT count(mynahoken.mark_handoff_sent(h.handoff_id, '2026-08-12')) FROM mynahoken.issuance_handoff h WHERE h.sent_on IS NULL"
	"SELECT count(mynahoken.mark_recall_returned(c.recall_id, '2026-09-01')) FROM mynahoken.issuance_recall c WHERE c.status = 'sent' AND c.certificate_id % 2 = 0"
	"SELECT mynahoken.close_recalls('2026-12-01')"
)
done_q=(
	"SELECT count(*) > 0 FROM mynahoken.issuance_review WHERE on_day = '2026-08-10'"
	"SELECT count(*) > 0 FROM mynahoken.issuance_review WHERE on_day = '2026-08-11'"
	"SELECT count(*) = 0 FROM mynahoken.issuance_handoff WHERE sent_on IS NULL"
	"SELECT count(*) > 0 FROM mynahoken.issuance_recall WHERE status = 'returned'"
	"SELECT count(*) > 0 FROM mynahoken.issuance_recall WHERE status = 'not_returned'"
)
names=("review_issuance" "prepare_handoffs" "mark_handoff_sent (not new)" "mark_recall_returned" "close_recalls")
killed=(1 1 0 1 1)

# The reference: every step uninterrupted, in one transaction rolled back,
# each timed (the kills fall within the step's own duration).
ref_sql="BEGIN;"
for s in "${steps[@]}"; do ref_sql+=$'\n'"$s;"$'\n'"SELECT 'ms', (extract(epoch FROM clock_timestamp()) * 1000)::bigint;"; done
ref_sql+=$'\n'"SELECT 'state', t.state();"$'\n'"ROLLBACK;"
ref_out=$(psql -X -qAt -F ' ' -d "$DB" <<<"SELECT 'ms', (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
$ref_sql" 2>&1)
ref=$(sed -n 's/^state //p' <<<"$ref_out")
mapfile -t stamps < <(sed -n 's/^ms //p' <<<"$ref_out")
case "$ref" in
	*" 0 withdrawn"*|*" 0 recalls"*|"") not_ok "the uninterrupted steps withdraw documents and recall certificates: $ref" ;;
	*) ok "the uninterrupted steps: $ref" ;;
esac

# A kill at a known point in the middle of a step: another session holds a
# lock on issuance_recall, which review_issuance and prepare_handoffs update
# after they have withdrawn documents; the step waits there and is killed.
kill_midway() {	# kill_midway INDEX HOW
	local i=$1 how=$2 blocker spid="" _
	psql -X -qAt -d "$DB" -c "BEGIN; LOCK TABLE mynahoken.issuance_recall IN SHARE MODE; SELECT pg_sleep(120); COMMIT" \
		>/dev/null 2>&1 &
	blocker=$!
	for _ in $(seq 1 500); do
		[ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'mynahoken.issuance_recall'::regclass AND mode = 'ShareLock' AND granted")" = 1 ] && break
		sleep 0.01
	done
	psql -X -qAt -d "$DB" -c "${steps[$i]}" >"$MH_TMP/lifecycle-lock-$i.log" 2>&1 &
	local bg=$!
	for _ in $(seq 1 3000); do
		spid=$(q "SELECT l.pid FROM pg_locks l WHERE l.relation = 'mynahoken.issuance_recall'::regclass AND NOT l.granted")
		[ -n "$spid" ] && break
		sleep 0.02
	done
	if [ -z "$spid" ]; then
		not_ok "${names[$i]}: the step reached issuance_recall, after withdrawing documents"
	else
		ok "${names[$i]}: the step waits on issuance_recall, after withdrawing documents"
		if [ "$how" = SIGKILL ]; then kill -KILL "$spid" 2>/dev/null; else q "SELECT pg_terminate_backend($spid)" >/dev/null; fi
	fi
	wait $bg
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
	wait $blocker
	wait_ready || { not_ok "${names[$i]}: the server is back after $how midway"; return; }
	check "${names[$i]}: $how midway left nothing of the step" "f" "$(q "${done_q[$i]}")"
}

for i in "${!steps[@]}"; do
	step=${steps[$i]}
	# the two long steps: first a kill midway, at a known point
	case $i in 0) kill_midway "$i" pg_terminate_backend ;; 1) kill_midway "$i" SIGKILL ;; esac
	if [ "${killed[$i]}" -eq 1 ]; then
		dur=$(( ${stamps[$((i + 1))]:-1000} - ${stamps[$i]:-0} ))
		[ "$dur" -gt 0 ] || dur=1
		# A random point of the step: 5 % to 50 % of its reference duration
		# (the step can run faster than its reference on a loaded machine).
		wait_ms=$(( dur * (5 + RANDOM % 46) / 100 ))
		psql -X -qAt -d "$DB" -c "$step" >"$MH_TMP/lifecycle-$i.log" 2>&1 &
		bg=$!
		pid=""
		for _ in $(seq 1 100); do
			pid=$(q "SELECT pid FROM pg_stat_activity WHERE datname = '$DB' AND query LIKE '%mynahoken.%' AND pid <> pg_backend_pid() AND state = 'active'")
			[ -n "$pid" ] && break
			sleep 0.01
		done
		sleep "$(printf '0.%03d' "$((wait_ms % 1000))")"; sleep "$((wait_ms / 1000))"
		if [ $((i % 2)) -eq 0 ]; then how="pg_terminate_backend"; q "SELECT pg_terminate_backend(${pid:-0})" >/dev/null
		else how="SIGKILL"; [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; fi
		wait $bg
		wait_ready || { not_ok "${names[$i]}: the server is back after $how"; continue; }
		if [ "$(q "${done_q[$i]}")" = "t" ]; then
			ok "${names[$i]}: $how after ${wait_ms} of ${dur} ms came after the step had committed"
		else
			ok "${names[$i]}: $how after ${wait_ms} of ${dur} ms stopped the step, nothing of it committed"
		fi
	fi
	[ "$(q "${done_q[$i]}")" = "t" ] || q "$step" >/dev/null
	check "${names[$i]}: has run" "t" "$(q "${done_q[$i]}")"
done
check "after the kills and reruns, the state equals the uninterrupted run's" "$ref" "$(q "SELECT t.state()")"
check "a new review on the last day changes nothing more" "0|0|0" \
	"$(q "SELECT withdrawn || '|' || recalls_planned || '|' || recalls_withdrawn FROM mynahoken.review_issuance('2026-08-11')")"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
echo "1..$n"
[ "$failed" -eq 0 ]
