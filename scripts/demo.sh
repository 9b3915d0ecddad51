#!/usr/bin/env bash
# The demo: install mynahoken, start a throwaway cluster, load a synthetic
# insurer and print what the extension answers about it.
#
#   bash scripts/demo.sh                  100,000 members
#   bash scripts/demo.sh --members 1000000
#   bash scripts/demo.sh --shards 2       a coordinator and 2 shards (doc/scale-out.md)
#
# The cluster keeps running afterwards; the last lines say how to connect
# and how to stop it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MH_ROOT"

members=100000
shards=
while [ $# -gt 0 ]; do
	case "$1" in
		--members) members=${2:?--members needs a number}; shift 2 ;;
		--members=*) members=${1#--members=}; shift ;;
		--shards) shards=${2:?--shards needs a number}; shift 2 ;;
		--shards=*) shards=${1#--shards=}; shift ;;
		*) mh_die "usage: $0 [--members N] [--shards N]" ;;
	esac
done
[[ "$members" =~ ^[1-9][0-9]*$ ]] || mh_die "--members must be a positive whole number"
if [ -n "$shards" ]; then
	# Scale-out (doc/scale-out.md): the demo database on a coordinator, its
	# members spread over N shard clusters, what the coordinator answers.
	. "$MH_ROOT/scripts/lib_shards.sh"
	mh_shard_demo "$shards" "$members"
	exit
fi

# From the insurer's database, schedule plan_issuance with pg_cron (which
# lives in database postgres) for the start of the next minute, wait for the
# run in the insurer's run log, show it, and remove the job again.
mh_demo_cron() {	# mh_demo_cron DB
	local db=$1 before job run="" i
	before=$(psql -X -qAt -d "$db" -c "SELECT coalesce(max(run_id), 0) FROM mynahoken.issuance_run") || return 1
	job=$(psql -X -qAt -v ON_ERROR_STOP=1 -d "$db" \
		-c "SELECT mynahoken.schedule_issuance('* * * * *', 'mynahoken-issuance-demo')") || return 1
	mh_log "pg_cron job $job (database postgres) runs plan_issuance in database $db at the next minute"
	for i in $(seq 1 75); do
		run=$(psql -X -qAt -d "$db" -c "SELECT run_id FROM mynahoken.issuance_runs
			WHERE run_id > $before AND state NOT IN ('running') ORDER BY run_id LIMIT 1")
		[ -n "$run" ] && break
		sleep 1
	done
	[ -n "$run" ] || { mh_demo_unschedule "$db"; return 1; }
	psql -X -q -P pager=off -d "$db" <<SQL
\\echo 'The run pg_cron started, in the run log of database $db (mynahoken.issuance_runs):'
SELECT run_id, as_of, state, started_at, members_done, certificates, notices, already_planned
  FROM mynahoken.issuance_runs WHERE run_id = $run;
\\echo 'and as pg_cron recorded it (mynahoken.issuance_cron_runs; "agrees" is false for a skipped run):'
SELECT cron_runid, cron_status, run_id, run_state, agrees
  FROM mynahoken.issuance_cron_runs('mynahoken-issuance-demo');
\\echo 'Problems to poll (mynahoken.issuance_health; no row: nothing to report):'
SELECT kind, severity, count, since, ids_of FROM mynahoken.issuance_health;
SQL
	mh_demo_unschedule "$db"
}
mh_demo_unschedule() {
	psql -X -q -d "$1" -c "SELECT mynahoken.unschedule_issuance('mynahoken-issuance-demo')" >/dev/null
}

mh_ensure_packages
mh_build
mh_system_install
mh_make_tmp
mh_start_cluster

# pg_cron as DBAs deploy it: in its own database (cron.database_name, here
# 'postgres'), running jobs in the insurer's database.
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE EXTENSION pg_cron' >/dev/null \
	|| mh_die "CREATE EXTENSION pg_cron failed"
mh_demo_database insurer "$members" || mh_die "the demo database could not be built"
mh_demo_cron insurer || mh_die "the scheduled run did not happen"

cat <<HINT

The demo cluster is still running in $MH_TMP.
Connect:  psql -h $MH_TMP/sock -U postgres insurer
          The database's search_path is $MH_DEMO_SEARCH_PATH:
          the extension first, so that its types' operators are mynahoken's and no schema
          another role can create in comes before it, then the demo's tables. Check a path with
            SELECT * FROM mynahoken.search_path_hazards();    -- no rows: nothing before mynahoken
          and call functions that take a My Number schema-qualified (doc/tokens.md).
          In your own database:
            ALTER DATABASE yours SET search_path = mynahoken, your_tables_schema, "\$user", public;
Docs:     README.md and doc/*.md (doc/ja/ in Japanese); their SQL runs in this database.
Stop:     runuser -u postgres -- $MH_BINDIR/pg_ctl -D $MH_TMP/data stop && rm -rf $MH_TMP
HINT
