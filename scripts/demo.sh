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

mh_ensure_packages
mh_build
mh_system_install
mh_make_tmp
MH_EXTRA_CONF="cron.database_name = 'insurer'" mh_start_cluster

mh_demo_database insurer "$members" || mh_die "the demo database could not be built"
# pg_cron runs its jobs in the demo database, so that the pg_cron examples of
# the docs (schedule_issuance, schedule_linkage_check) work there as written.
psql -X -q -v ON_ERROR_STOP=1 -d insurer -c 'CREATE EXTENSION pg_cron' >/dev/null \
	|| mh_die "CREATE EXTENSION pg_cron failed"

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
