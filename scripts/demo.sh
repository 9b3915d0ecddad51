#!/usr/bin/env bash
# The demo: install mynahoken, start a throwaway cluster, load a synthetic
# insurer and print what the extension answers about it.
#
#   bash scripts/demo.sh                  100,000 members
#   bash scripts/demo.sh --members 1000000
#
# The cluster keeps running afterwards; the last lines say how to connect
# and how to stop it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MH_ROOT"

members=100000
while [ $# -gt 0 ]; do
	case "$1" in
		--members) members=${2:?--members needs a number}; shift 2 ;;
		--members=*) members=${1#--members=}; shift ;;
		*) mh_die "usage: $0 [--members N]" ;;
	esac
done
[[ "$members" =~ ^[1-9][0-9]*$ ]] || mh_die "--members must be a positive whole number"

mh_ensure_packages
mh_build
mh_system_install
mh_make_tmp
mh_start_cluster

psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE insurer' >/dev/null
export PGDATABASE=insurer
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION mynahoken' \
	-c 'ALTER DATABASE insurer SET search_path = mynahoken, demo, "$user", public' >/dev/null
mh_log "loading a synthetic insurer with $members members"
psql -X -q -v ON_ERROR_STOP=1 -v members="$members" -f demo/insurer.sql >/dev/null

for q in demo/queries/*.sql; do
	psql -X -q -v ON_ERROR_STOP=1 -P pager=off -f "$q" || mh_die "demo query $q failed"
done

cat <<HINT

The demo cluster is still running in $MH_TMP.
Connect:  psql -h $MH_TMP/sock -U postgres insurer
Stop:     runuser -u postgres -- $MH_BINDIR/pg_ctl -D $MH_TMP/data stop && rm -rf $MH_TMP
HINT
