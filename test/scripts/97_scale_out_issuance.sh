#!/usr/bin/env bash
# Issuance per shard (doc/scale-out.md): a coordinator and 2 shard clusters
# (scripts/lib_shards.sh).  Each shard plans its own members with its own
# plan_issuance, dispatched from the coordinator (dist.plan_issuance); the
# coordinator assembles hand-off batches by employer across the shards
# (dist.prepare_handoffs) and marks them sent on every shard
# (dist.mark_handoff_sent).  Checks, against one node planning every member
# (the coordinator's own copy): the same queue after a shard's backend is
# killed with -9 mid-run and the run repeated; a shard's postmaster killed
# mid-run: the other shard's issuance unaffected, coordinator queries that
# need the shard failing with its name, and the rerun once it is back
# completing with nothing lost or doubled; batches per employer equal one
# node's; a kill of the coordinator between marking two shards, and a shard
# down while marking, ending after a rerun with every shard marked exactly
# once.  Prints TAP.  Needs MH_TMP and MH_BINDIR (scripts/test.sh); starts
# and stops its own clusters in $MH_TMP/scale_out_issuance.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
: "${MH_BINDIR:?run through scripts/test.sh}"
. "$(dirname "$0")/../../scripts/lib.sh"
. "$MH_ROOT/scripts/lib_shards.sh"
MH_TMP="$MH_TMP/scale_out_issuance"
export MH_TMP
DB=mynahoken_scale
MEMBERS=3000
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2" | head -n 20; echo "#   got:      $3" | head -n 20; fi
}
like() {	# like DESCRIPTION REGEX ACTUAL
	if printf '%s\n' "$3" | grep -qE -- "$2"; then ok "$1"; else not_ok "$1"; printf '%s\n' "$3" | head -n 40 | sed 's/^/#   /'; fi
}
c() { mh_coord_psql -d "$DB" -Atc "$1" 2>&1; }
s() { local k=$1; shift; mh_shard_psql "$k" -d "$DB" -Atc "$1" 2>&1; }
shard_start() { mh_as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/shard$1" -l "$MH_TMP/shard$1.log" -w -t 60 start >/dev/null 2>&1; }
wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND prints t
	local i
	for i in $(seq 1 $(($1 * 10))); do
		[ "$("${@:2}")" = t ] && return 0
		sleep 0.1
	done
	return 1
}
# Wait until a server that restarted after a crash accepts connections again.
wait_up() { wait_for 60 eval "$1 'SELECT true' 2>/dev/null"; }

rm -rf "$MH_TMP"
mkdir -p "$MH_TMP"
trap 'mh_stop_shards; mh_stop_cluster' EXIT
{
	mh_start_coordinator && mh_start_shards 2 && mh_shard_base_database "$DB" "$MEMBERS" && mh_distribute "$DB"
} >"$MH_TMP/setup.log" 2>&1
rc=$?
check "a coordinator and 2 shards, the members distributed" 0 "$rc"
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$MH_TMP/setup.log" | tail -n 30; echo "1..$n"; exit 1; }

# One node: the coordinator plans every member from its own copy.
c "CREATE VIEW public.issuance_members AS
   SELECT m.member_id AS member_key, m.insurer_number, m.birth_date, m.acquired_on, m.lost_on,
          m.employer_id AS employer, coalesce(mynahoken.mynumber_is_valid(m.my_number), false) AS my_number_linked,
          m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
          m.certificate_requested_on, NULL::date AS certificate_valid_until
     FROM demo.members AS m;
   SELECT mynahoken.register_member_source('public.issuance_members')" >/dev/null
QCOLS="member_key, document, acquired_on, issue_window, reason, valid_from, valid_until, sending_window,
       insurer_number, category, employer, as_of, status"
queue_one() { c "SELECT count(*) || ':' || md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM (
                   SELECT ($QCOLS)::text AS r FROM mynahoken.issuance_queue WHERE as_of = '$1') AS t"; }
queue_dist() { c "SELECT count(*) || ':' || md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM (
                    SELECT ($QCOLS)::text AS r FROM dist.issuance_queue WHERE as_of = '$1') AS t"; }
D1=2025-09-01
D2=2026-08-03
c "CALL mynahoken.plan_issuance('$D1')" >/dev/null
one1=$(queue_one $D1)
like "one node planned documents on $D1" '^[1-9][0-9]*:' "$one1"

# ---- a shard's backend killed with -9 mid-run ------------------------------------
running() { s "$1" "SELECT EXISTS (SELECT FROM mynahoken.issuance_run WHERE status = 'running' AND members_done > 0)"; }
c "SELECT shard || ':' || status FROM dist.plan_issuance('$D1', chunk_size => 50, pause_ms => 150) ORDER BY 1" \
	>"$MH_TMP/plan1.out" 2>&1 &
plan=$!
if wait_for 60 running 1; then
	pid=$(s 1 "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL mynahoken.plan_issuance%' AND pid <> pg_backend_pid()")
	kill -9 "$pid"
fi
wait "$plan"
check "shard 1's backend killed mid-run: reported failed, shard 2 planned all the same" "1:failed|2:planned" \
	"$(tr '\n' '|' <"$MH_TMP/plan1.out" | sed 's/|$//')"
wait_up "s 1"
check "shard 2's run finished whole, shard 1's was stopped midway" "finished|t" \
	"$(s 2 "SELECT string_agg(status, ',') FROM mynahoken.issuance_run WHERE as_of = '$D1'")|$(s 1 "SELECT members_done < members_total FROM mynahoken.issuance_run WHERE as_of = '$D1'")"
check "the rerun completes on both shards" "1:planned|2:planned" \
	"$(c "SELECT shard || ':' || status FROM dist.plan_issuance('$D1') ORDER BY 1" | tr '\n' '|' | sed 's/|$//')"
check "the shards' queue equals one node's: nothing lost, nothing doubled" "$one1" "$(queue_dist $D1)"
check "shard 1 took its stopped run over (one run, two attempts)" "1|2" \
	"$(s 1 "SELECT count(*) || '|' || max(attempts) FROM mynahoken.issuance_run WHERE as_of = '$D1' AND status = 'finished'")"
check "a third run for the day plans nothing more" "$one1" \
	"$(c "SELECT count(*) FROM dist.plan_issuance('$D1') WHERE status = 'planned'" >/dev/null; queue_dist $D1)"

# ---- a shard's postmaster killed with -9 mid-run: the shard is down -----------------
c "CALL mynahoken.plan_issuance('$D2')" >/dev/null
one2=$(queue_one $D2)
c "SELECT shard || ':' || status FROM dist.plan_issuance('$D2', chunk_size => 50, pause_ms => 150) ORDER BY 1" \
	>"$MH_TMP/plan2.out" 2>&1 &
plan=$!
if wait_for 60 running 2; then
	kill -9 "$(head -n 1 "$MH_TMP/shard2/postmaster.pid")"
fi
wait "$plan"
check "shard 2's postmaster killed mid-run: reported failed, shard 1 planned all the same" "1:planned|2:failed" \
	"$(tr '\n' '|' <"$MH_TMP/plan2.out" | sed 's/|$//')"
check "shard 1's queue for $D2 equals one node's for shard 1's members" \
	"$(c "SELECT count(*) FROM mynahoken.issuance_queue AS q JOIN dist.members_1 AS m ON m.member_id::text = q.member_key WHERE q.as_of = '$D2'")" \
	"$(s 1 "SELECT count(*) FROM mynahoken.issuance_queue WHERE as_of = '$D2'")"
out=$(mh_coord_psql -d "$DB" -Atc "SELECT count(*) FROM dist.issuance_queue WHERE as_of = '$D2'" 2>&1)
like "shard 2 down: a coordinator query that needs it fails, naming it" 'could not connect to server "shard2"' "$out"
check "shard 2 down: a query on shard 1 alone answers" t \
	"$(c "SELECT count(*) > 0 FROM dist.issuance_queue WHERE shard = 1 AND as_of = '$D2'")"
out=$(c "SELECT shard || ':' || status || ':' || coalesce(error, '') FROM dist.plan_issuance('$D2') ORDER BY 1")
like "shard 2 down: a rerun reports it failed, unreachable" '^2:failed:could not establish connection' "$(printf '%s\n' "$out" | tail -n 1)"
check "shard 2 down: shard 1 answers planned" "1:planned:" "$(printf '%s\n' "$out" | head -n 1)"
shard_start 2
check "shard 2 back: the rerun completes" "1:planned|2:planned" \
	"$(c "SELECT shard || ':' || status FROM dist.plan_issuance('$D2') ORDER BY 1" | tr '\n' '|' | sed 's/|$//')"
check "the shards' queue for $D2 equals one node's: nothing lost, nothing doubled" "$one2" "$(queue_dist $D2)"
check "the shards' queue for $D1 is unchanged" "$one1" "$(queue_dist $D1)"

# ---- hand-off batches assembled by employer across shards -----------------------------
H=2026-08-10
c "SELECT count(*) FROM mynahoken.prepare_handoffs('$H')" >/dev/null
per_employer="SELECT string_agg(coalesce(employer, '-') || '=' || n, ',' ORDER BY employer NULLS FIRST)"
check "prepared on every shard" "1:prepared|2:prepared" \
	"$(c "SELECT shard || ':' || status FROM dist.prepare_handoffs('$H') ORDER BY 1" | tr '\n' '|' | sed 's/|$//')"
check "one coordinator batch per employer, with one node's documents and recall notices" \
	"$(c "$per_employer FROM (SELECT employer, sum(documents) || '+' || sum(recalls) AS n FROM mynahoken.issuance_handoff
	                           WHERE handoff_on = '$H' GROUP BY 1) AS t")" \
	"$(c "$per_employer FROM (SELECT employer, documents || '+' || recalls AS n FROM dist.handoffs WHERE on_day = '$H') AS t")"
check "some batches hold documents of both shards" t \
	"$(c "SELECT count(*) > 0 FROM dist.handoffs WHERE on_day = '$H' AND shards = '{1,2}'")"
check "the print lines of the coordinator batches are one node's" \
	"$(c "SELECT md5(string_agg(member_key || document::text, ',' ORDER BY member_key, document)) FROM mynahoken.issuance_handoff_file AS f
	        JOIN mynahoken.issuance_handoff AS h USING (handoff_id) WHERE h.handoff_on = '$H'")" \
	"$(c "SELECT md5(string_agg(member_key || document::text, ',' ORDER BY member_key, document)) FROM dist.handoff_file AS f
	        JOIN dist.handoff AS h USING (batch_id) WHERE h.on_day = '$H'")"
check "a second call assembles nothing more" "0|0" \
	"$(c "SELECT string_agg(batches::text, '|' ORDER BY shard) FROM dist.prepare_handoffs('$H')")"

# ---- marked sent on every shard, exactly once --------------------------------------------
two=$(c "SELECT batch_id FROM dist.handoffs WHERE on_day = '$H' AND shards = '{1,2}' ORDER BY batch_id LIMIT 1")
two_b=$(c "SELECT batch_id FROM dist.handoffs WHERE on_day = '$H' AND shards = '{1,2}' ORDER BY batch_id OFFSET 1 LIMIT 1")
part() { c "SELECT handoff_id FROM dist.handoff_part WHERE batch_id = $1 AND shard = $2"; }
sent_on_shard() { s "$2" "SELECT coalesce(sent_on::text, '-') FROM mynahoken.issuance_handoff WHERE handoff_id = $(part "$1" "$2")"; }
shard_state() {	# the batch's documents on shard K: status=count, and its batch's sent_on
	s "$2" "SELECT string_agg(status || '=' || n, ',' ORDER BY status) FROM (
	          SELECT status, count(*) AS n FROM mynahoken.issuance_queue WHERE handoff_id = $(part "$1" "$2") GROUP BY 1) AS t"
}
docs() { c "SELECT documents FROM dist.handoff_part WHERE batch_id = $1 AND shard = $2"; }
c "SELECT dist.mark_handoff_sent($two, '2026-08-12', pause_ms => 30000)" >"$MH_TMP/mark.out" 2>&1 &
mark=$!
if wait_for 60 eval '[ "$(sent_on_shard $two 1)" = 2026-08-12 ] && echo t'; then
	kill -9 "$(c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT dist.mark_handoff_sent%' AND pid <> pg_backend_pid()")"
fi
wait "$mark"
wait_up c
check "the coordinator killed between marking shard 1 and shard 2: shard 1 marked, shard 2 not, nothing recorded here" \
	"2026-08-12|-|0" "$(sent_on_shard $two 1)|$(sent_on_shard $two 2)|$(c "SELECT count(sent_on) FROM dist.handoff_part WHERE batch_id = $two")"
check "the rerun marks shard 2 only (shard 1 is not marked twice)" \
	"$(c "SELECT documents + recalls FROM dist.handoff_part WHERE batch_id = $two AND shard = 2")" \
	"$(c "SELECT dist.mark_handoff_sent($two, '2026-08-12')")"
check "every shard's part marked once, on the day: all its documents sent" \
	"2026-08-12|2026-08-12|sent=$(docs $two 1)|sent=$(docs $two 2)|2026-08-12" \
	"$(sent_on_shard $two 1)|$(sent_on_shard $two 2)|$(shard_state $two 1)|$(shard_state $two 2)|$(c "SELECT sent_on FROM dist.handoff WHERE batch_id = $two")"
check "marking it again is refused (55000)" 1 \
	"$(c "SELECT dist.mark_handoff_sent($two, '2026-08-13')" | grep -c "already marked sent on 2026-08-12")"

# A shard down while marking: the error names it, the rerun completes.
mh_as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/shard2" -m immediate -w stop >/dev/null 2>&1
out=$(mh_coord_psql -d "$DB" -Atc "\\set VERBOSITY verbose" -c "SELECT dist.mark_handoff_sent($two_b, '2026-08-12')" 2>&1)
like "shard 2 down: marking a batch with a part there fails, naming the shard (08006)" \
	"ERROR:  08006: hand-off batch $two_b could not be marked sent on shard 2" "$out"
check "shard 1's part was marked there, nothing recorded here" "2026-08-12|0" \
	"$(sent_on_shard $two_b 1)|$(c "SELECT count(sent_on) FROM dist.handoff_part WHERE batch_id = $two_b")"
shard_start 2
check "shard 2 back: the rerun marks shard 2 only" "$(c "SELECT documents + recalls FROM dist.handoff_part WHERE batch_id = $two_b AND shard = 2")" \
	"$(c "SELECT dist.mark_handoff_sent($two_b, '2026-08-12')")"
check "every shard's part of it marked once" "sent=$(docs $two_b 1)|sent=$(docs $two_b 2)|0" \
	"$(shard_state $two_b 1)|$(shard_state $two_b 2)|$(c "SELECT count(*) FROM dist.handoffs WHERE batch_id = $two_b AND (sent_on IS NULL OR parts_unsent > 0)")"

# The other batches, then every document planned for $H is sent exactly once.
c "SELECT count(dist.mark_handoff_sent(batch_id, '2026-08-12')) FROM dist.handoff WHERE sent_on IS NULL" >/dev/null
check "all batches sent: the shards' queues hold each handed-off document once, sent" \
	"$(c "SELECT count(*) FROM mynahoken.issuance_queue AS q JOIN mynahoken.issuance_handoff AS h USING (handoff_id) WHERE h.handoff_on = '$H'")|0" \
	"$(c "SELECT count(*) FILTER (WHERE q.status = 'sent' AND q.sent_on = '2026-08-12') || '|' || count(*) FILTER (WHERE q.status <> 'sent')
	        FROM dist.issuance_queue AS q JOIN dist.handoff_part AS p ON p.shard = q.shard AND p.handoff_id = q.handoff_id")"

echo "1..$n"
[ "$failed" -eq 0 ]
