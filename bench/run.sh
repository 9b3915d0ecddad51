#!/usr/bin/env bash
# Run benchmarks on a throwaway cluster and print rows/s for mynahoken and
# for the peer it replaces, measured in the same run, with the ratio.
#
#   bash bench/run.sh                 every bench/*.sql
#   bash bench/run.sh identifiers     only bench/identifiers.sql
#
# Row counts default to what the issues ask for; BENCH_ROWS overrides them
# for a quick look (e.g. BENCH_ROWS=100000).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$MH_ROOT"

mh_ensure_packages
mh_build
make -s -C bench >/dev/null || mh_die "building bench peers failed"
mh_make_tmp
trap 'mh_stop_cluster; rm -rf "$MH_TMP"' EXIT
MH_EXTRA_CONF="shared_buffers = '2GB'
work_mem = '256MB'
max_wal_size = '8GB'
checkpoint_timeout = '30min'
synchronous_commit = off
jit = off
${BENCH_CONF:-}"
mh_private_install
mh_start_cluster
export MH_BINDIR MH_TMP

psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION mynahoken' \
	-c 'CREATE EXTENSION isn' -c 'CREATE EXTENSION pgcrypto' -f bench/lib.sql

if [ $# -gt 0 ]; then benches=("$@"); else
	benches=(); for f in bench/*.sql; do
		b=$(basename "$f" .sql); [ "$b" = lib ] || benches+=("$b"); done
fi
for b in "${benches[@]}"; do
	mh_log "bench $b"
	psql -X -q -v ON_ERROR_STOP=1 -v rows="${BENCH_ROWS:-}" -f "bench/$b.sql"
done
psql -X -P pager=off -c 'SELECT * FROM bench.report'
