#!/usr/bin/env bash
# SQLsmith (random SQL, Debian package sqlsmith) against mynahoken and the
# synthetic insurer of scripts/demo.sh, as a login role with the grants an
# analyst has (doc/tokens.md "Roles": SELECT on the demo tables, what PUBLIC
# may execute and read in mynahoken, neither tokenize, unseal nor personal
# data).  Not part of scripts/test.sh (most of an hour at 100,000 queries on
# two cores); a smoke run is test/scripts/92_sqlsmith_smoke.sh.  Figures:
# doc/architecture.md, "Fuzzing and dynamic analysis".
#
#   bash test/sqlsmith/run.sh                        100,000 queries
#   JOBS=2 bash test/sqlsmith/run.sh                 the same, two processes
#   QUERIES=2000 bash test/sqlsmith/run.sh           a smoke run
#
# Environment: QUERIES (100000), JOBS (sqlsmith processes, 1), SEED (1; job
# j uses SEED+j), MEMBERS (demo members, 2000), FOCUS (1 in FOCUS functions
# of pg_catalog is offered to SQLsmith beside every routine of mynahoken;
# 1000), KEEP_TMP=1 keeps the cluster directory.  Run it with nice on a shared
# machine.
#
# SQLsmith picks its routines from "pg_proc" without a schema: the role's
# search_path starts with schema sqlsmith_focus, whose view pg_proc offers
# every routine of mynahoken and a sample of pg_catalog, so most queries
# call the extension.  Tables: the demo schema, the mynahoken tables PUBLIC
# may read (--exclude-catalog) and hostile.value (values.sql: edge values of
# every argument type; SQLsmith writes literals only for int4 and boolean).
# SQLsmith runs each query in a transaction it rolls back, with
# statement_timeout = 1s.
#
# Counts: every error by SQLSTATE class and by origin, from the server's
# csvlog (log_error_verbosity = verbose): "mynahoken" when the error was
# raised by the extension (its C files, mh_sensitive_ereport, raise_error)
# or in a PL/pgSQL or SQL routine of the extension (CONTEXT), "PostgreSQL"
# otherwise; server crashes ("terminated by signal") and log lines holding
# the canary My Number of hostile.value from the same log; the routines of
# the extension that ran (track_functions = all).
# SQLsmith's own log (database sqlsmith_log, table error) keeps each failed
# query with its message and SQLSTATE.  Fails on a crash or on an error of
# class XX from mynahoken; the report lists every XX error, whatever its
# origin, to be read: an XX raised by PostgreSQL's code in a call from the
# extension's C code has no CONTEXT naming it.  The report is
# $MH_TMP/sqlsmith-report.txt.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
cd "$MH_ROOT"

QUERIES=${QUERIES:-100000}
JOBS=${JOBS:-1}
SEED=${SEED:-1}
MEMBERS=${MEMBERS:-2000}
FOCUS=${FOCUS:-1000}
ROLE=mh_sqlsmith_analyst

mh_ensure_packages	# sqlsmith is one of MH_PACKAGES
mh_build
if [ -z "${MH_TMP:-}" ]; then mh_make_tmp; fi
mkdir -p "$MH_TMP"
trap 'mh_stop_cluster; [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$MH_TMP"' EXIT
mh_private_install
mkdir -p "$MH_TMP/log"
MH_EXTRA_CONF="logging_collector = on
log_destination = 'csvlog'
log_directory = '$MH_TMP/log'
log_filename = 'server.log'
log_rotation_age = 0
log_rotation_size = 0
log_error_verbosity = verbose
log_min_error_statement = error
max_connections = 40
track_functions = all" mh_start_cluster
CSV="$MH_TMP/log/server.csv"

sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

mh_log "loading the demo insurer ($MEMBERS members)"
sql -c 'CREATE DATABASE insurer' -c 'CREATE DATABASE sqlsmith_log'
sql -d insurer -c 'CREATE EXTENSION mynahoken'
sql -d insurer -v members="$MEMBERS" -f demo/insurer.sql >/dev/null
sql -d insurer -v role="$ROLE" -v focus="$FOCUS" <<'SQL'
CREATE ROLE :"role" LOGIN;
GRANT USAGE ON SCHEMA demo TO :"role";
GRANT SELECT ON ALL TABLES IN SCHEMA demo TO :"role";
-- What SQLsmith may call: every routine of the extension and one in
-- :focus of pg_catalog (by oid, of those without pseudo-types).
CREATE SCHEMA sqlsmith_focus;
CREATE VIEW sqlsmith_focus.pg_proc AS
  SELECT p.* FROM pg_catalog.pg_proc AS p
   WHERE p.pronamespace = 'mynahoken'::regnamespace
      OR (p.pronamespace = 'pg_catalog'::regnamespace AND p.oid::int8 % :focus = 0
          -- SQLsmith does not resolve polymorphic types (anyrange etc.)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_type AS t
                           WHERE t.oid = ANY (p.proargtypes::oid[] || p.prorettype)
                             AND t.typtype = 'p'));
GRANT USAGE ON SCHEMA sqlsmith_focus TO :"role";
GRANT SELECT ON sqlsmith_focus.pg_proc TO :"role";
SQL
sql -d sqlsmith_log -f "$(dirname "$0")/log.sql" >/dev/null
canary=$(sql -d insurer -At -c "SELECT demo.with_mynumber_check('31415926535')")
sql -d insurer -v canary="$canary" -v fixtures="$MH_ROOT/test/fixtures/jpki" -f "$(dirname "$0")/values.sql"
sql -d insurer -c "GRANT USAGE ON SCHEMA hostile TO $ROLE" -c "GRANT SELECT ON hostile.value TO $ROLE"

sql -d insurer -At -c "SELECT count(*) FILTER (WHERE pronamespace = 'mynahoken'::regnamespace) || ' routines of mynahoken, '
  || count(*) FILTER (WHERE pronamespace = 'pg_catalog'::regnamespace) || ' of pg_catalog offered'
  FROM sqlsmith_focus.pg_proc" >"$MH_TMP/sqlsmith-offered.txt"
mh_log "$(cat "$MH_TMP/sqlsmith-offered.txt")"

target="host=$MH_TMP/sock dbname=insurer user=$ROLE options='-c search_path=sqlsmith_focus,pg_catalog,mynahoken,demo,public'"
logto="host=$MH_TMP/sock dbname=sqlsmith_log user=postgres"
per=$(( (QUERIES + JOBS - 1) / JOBS ))
mh_log "running $JOBS SQLsmith process(es), $per queries each"
start=$(date +%s)
pids=()
for j in $(seq 0 $((JOBS - 1))); do
	sqlsmith --target="$target" --log-to="$logto" --exclude-catalog --verbose \
		--seed=$((SEED + j)) --max-queries="$per" >"$MH_TMP/sqlsmith-$j.out" 2>"$MH_TMP/sqlsmith-$j.err" &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
elapsed=$(( $(date +%s) - start ))
[ $rc -eq 0 ] || mh_log "a SQLsmith process exited with $rc"
ran=0	# SQLsmith reports "queries: N" every 800 queries and at the end
for f in "$MH_TMP"/sqlsmith-*.err; do
	ran=$((ran + $(sed -n 's/^queries: \([0-9]*\)$/\1/p' "$f" | tail -n 1 | grep . || echo 0)))
done
mh_log "$ran queries in $elapsed s"

# The server's csvlog into a table (PostgreSQL 15 columns).
cp "$CSV" "$MH_TMP/server-snapshot.csv"
[ "$(id -u)" -eq 0 ] && chown postgres: "$MH_TMP/server-snapshot.csv"
mh_routines=$(sql -d insurer -At -c "SELECT string_agg(DISTINCT proname, '|') FROM pg_proc
  WHERE pronamespace = 'mynahoken'::regnamespace
    AND proname NOT IN (SELECT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace)")
mh_files=$(cd src && ls ./*.c core/*.c | xargs -n1 basename | paste -sd'|')
sql -d sqlsmith_log -v csv="$MH_TMP/server-snapshot.csv" -v routines="$mh_routines" -v files="$mh_files" \
	-v elapsed="$elapsed" -v canary="$canary" -v ran="${ran:-0}" -P pager=off -f "$(dirname "$0")/report.sql" >"$MH_TMP/sqlsmith-report.txt"
sql -d insurer -At -c "SELECT count(*) || ' of ' || (SELECT count(*) FROM pg_proc WHERE pronamespace = 'mynahoken'::regnamespace)
  || ' routines of mynahoken ran (not counting inlined SQL functions), ' || coalesce(sum(calls), 0) || ' calls'
  FROM pg_stat_user_functions WHERE schemaname = 'mynahoken'" >>"$MH_TMP/sqlsmith-report.txt"
cat "$MH_TMP/sqlsmith-report.txt"
read -r crashes xx <<<"$(sql -d sqlsmith_log -At -F ' ' -c "SELECT
  (SELECT count(*) FROM server_log WHERE message ~ 'terminated by signal'),
  (SELECT count(*) FROM errors WHERE sql_state_code LIKE 'XX%' AND origin = 'mynahoken')")"
[ "$crashes" -eq 0 ] && [ "$xx" -eq 0 ] && [ $rc -eq 0 ]
