#!/usr/bin/env bash
# One statement sees one keyring, decided by the parallel leader: after the
# keyring file changed without a reload, a parallel query tokenizes every
# row under the keyring its leader loaded (never some rows under the new
# file), and a keyring command runs once for a parallel statement, not once
# per worker; a leader's load error is the workers' error.  Plans are forced
# parallel (parallel costs 0, leader participation off so that the workers
# compute every row).  Changes mynahoken.* settings with ALTER SYSTEM and
# restores them.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
DB=mynahoken_keyring_par
KR="$MH_TMP/keyring"
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf "%s\n" "${out:-}" | sed "s/^/# /"; fails=$((fails + 1)); fi; }
as_server() { if [ "$(id -u)" -eq 0 ]; then chown postgres: "$1"; fi; chmod 600 "$1"; }
setconf() {	# setconf FILE COMMAND
	psql -X -q -d "$DB" -c "LOAD 'mynahoken'" \
		-c "ALTER SYSTEM SET mynahoken.keyring_file = '$1'" \
		-c "ALTER SYSTEM SET mynahoken.keyring_command = '$2'" \
		-c "SELECT pg_reload_conf()" >/dev/null
	for _ in $(seq 50); do
		[ "$(psql -X -A -t -d "$DB" -c "LOAD 'mynahoken'" \
			-c "SELECT current_setting('mynahoken.keyring_file') || '|' || current_setting('mynahoken.keyring_command')" 2>/dev/null | tail -n 1)" = "$1|$2" ] && return 0
		sleep 0.1
	done
}
PAR="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;"
K3=5d2e8f1a6c3b9e7d0a4f2c8b1e6d3a9f7c0b5e2d8a1f4c7b3e9d6a0c2f5b8e1d

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' -c "
CREATE TABLE nums AS
SELECT lpad(b::text, 11, '0') || (CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END)::text AS n
  FROM (SELECT b, (b % 10) * 2 + (b / 10 % 10) * 3 + (b / 100 % 10) * 4 + (b / 1000 % 10) * 5
                  + (b / 10000 % 10) * 6 + (b / 100000 % 10) * 7 + (b / 1000000 % 10) * 2
                  + (b / 10000000 % 10) * 3 + (b / 100000000 % 10) * 4 + (b / 1000000000 % 10) * 5
                  + (b / 10000000000 % 10) * 6 AS s
          FROM (SELECT 10000000000 + 7 * i AS b FROM generate_series(1, 20000) i) x) y;
ANALYZE nums;" >/dev/null

# 1. the file changes under a session that loaded it
cp "$KR" "$MH_TMP/kr-par"; as_server "$MH_TMP/kr-par"
setconf "$MH_TMP/kr-par" ""
out=$(psql -X -q -A -t -d "$DB" 2>&1 <<SQL
$PAR
SELECT 'leader=' || mynahoken.key_version(mynahoken.tokenize('123456789018'));
\\! sed -i 's/:active\$//' $MH_TMP/kr-par && echo '3:$K3:active' >> $MH_TMP/kr-par
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(mynahoken.tokenize(n)) FROM nums;
SELECT 'rows=' || count(*) FILTER (WHERE mynahoken.key_version(mynahoken.tokenize(n)) = 2)
       || ',' || count(*) FILTER (WHERE mynahoken.key_version(mynahoken.tokenize(n)) <> 2) FROM nums;
SQL
)
printf '%s\n' "$out" | grep -q '^leader=2$' && printf '%s\n' "$out" | grep -qE 'Workers Launched: [12]'
ok $? "the leader loaded version 2 as active, and the plan runs in parallel workers"
printf '%s\n' "$out" | grep -q '^rows=20000,0$'
ok $? "after the file changed without a reload, the workers tokenize all 20000 rows with the leader's keyring"
out=$(psql -X -q -A -t -d "$DB" -c "$PAR" -c "SELECT 'rows=' || count(*) FILTER (WHERE mynahoken.key_version(mynahoken.tokenize(n)) = 3) FROM nums" 2>&1)
printf '%s\n' "$out" | grep -q '^rows=20000$'
ok $? "a new session loads the changed file: version 3 everywhere"

# 2. a keyring command runs once for a parallel statement
cnt="$MH_TMP/kr-par-count"; : >"$cnt"; [ "$(id -u)" -eq 0 ] && chown postgres: "$cnt"
setconf "" "echo x >> $cnt; cat $KR"
: >"$cnt"
out=$(psql -X -q -A -t -d "$DB" -c "$PAR" -c "SELECT 'rows=' || count(*) FILTER (WHERE mynahoken.key_version(mynahoken.tokenize(n)) = 2) FROM nums" 2>&1)
printf '%s\n' "$out" | grep -q '^rows=20000$' && [ "$(wc -l <"$cnt")" -eq 1 ]
ok $? "the keyring command ran once for a parallel statement (ran $(wc -l <"$cnt") times)"
out=$(psql -X -q -A -t -d "$DB" -c "$PAR" -c "SELECT count(mynahoken.tokenize(n)) FROM nums" -c "SELECT count(mynahoken.tokenize(n)) FROM nums" 2>&1)
[ "$(wc -l <"$cnt")" -eq 2 ]
ok $? "and once per session, not again for its next statements"

# 3. the leader's load error is the workers' error, the command still runs once
setconf "" "echo x >> $cnt; exit 1"
: >"$cnt"
out=$(psql -X -q -A -t -d "$DB" -c "$PAR" -c "SELECT count(mynahoken.tokenize(n)) FROM nums" 2>&1)
printf '%s\n' "$out" | grep -q 'ERROR:  mynahoken keyring command failed' && [ "$(wc -l <"$cnt")" -eq 1 ]
ok $? "a failing command fails the parallel statement with its own error, run once ($(wc -l <"$cnt") times)"

# 4. the hand-off cannot be set by hand
out=$(psql -X -q -A -t -d "$DB" -c "LOAD 'mynahoken'" -c "SET mynahoken.keyring_handoff = 'K:1'" 2>&1)
printf '%s\n' "$out" | grep -q 'ERROR:  invalid value for parameter "mynahoken.keyring_handoff"'
ok $? "mynahoken.keyring_handoff cannot be set by a user, even a superuser"

psql -X -q -d "$DB" -c "ALTER SYSTEM RESET mynahoken.keyring_file" \
	-c "ALTER SYSTEM RESET mynahoken.keyring_command" -c "SELECT pg_reload_conf()" >/dev/null
rm -f "$MH_TMP"/kr-par*
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
