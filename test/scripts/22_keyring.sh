#!/usr/bin/env bash
# The keyring on a running server: permissions, malformed and missing
# keyrings, the keyring command, reload with a new version (rotation), a
# version whose key changed under a running backend, and keys never in the
# log.  Changes mynahoken.* settings with ALTER SYSTEM and restores them.
# Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
LOG="$MH_TMP/server.log"
DB=mynahoken_keyring
KR="$MH_TMP/keyring"		# written by mh_write_test_keyring in scripts/lib.sh
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf "%s\n" "${out:-}" | sed "s/^/# /"; fails=$((fails + 1)); fi; }
sql() { psql -X -q -A -t -d "$DB" -c "$1" 2>&1; }
as_server() { if [ "$(id -u)" -eq 0 ]; then chown postgres: "$1"; fi; }
setconf() {	# setconf FILE COMMAND: point the server at a keyring and reload
	psql -X -q -d "$DB" -c "LOAD 'mynahoken'" \
		-c "ALTER SYSTEM SET mynahoken.keyring_file = '$1'" \
		-c "ALTER SYSTEM SET mynahoken.keyring_command = '$2'" \
		-c "SELECT pg_reload_conf()" >/dev/null
	waitconf "$1" "$2"
}
waitconf() {	# wait until new sessions see the settings
	for _ in $(seq 50); do
		[ "$(psql -X -A -t -d "$DB" -c "LOAD 'mynahoken'" \
			-c "SELECT current_setting('mynahoken.keyring_file') || '|' || current_setting('mynahoken.keyring_command')" 2>/dev/null | tail -n 1)" = "$1|$2" ] && return 0
		sleep 0.1
	done
}
K3=5d2e8f1a6c3b9e7d0a4f2c8b1e6d3a9f7c0b5e2d8a1f4c7b3e9d6a0c2f5b8e1d
K1NEW=0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' >/dev/null
psql -X -q -d "$DB" -c "ALTER SYSTEM RESET mynahoken.keyring_file" \
	-c "ALTER SYSTEM RESET mynahoken.keyring_command" -c "SELECT pg_reload_conf()" >/dev/null
waitconf "$KR" ""
log_start=$(wc -c <"$LOG")
tok2=$(sql "SELECT mynahoken.tokenize('123456789018')")
[ "${tok2:0:5}" = "mnt2:" ]; ok $? "the test keyring is loaded, version 2 active"

# group-readable keyring
cp "$KR" "$MH_TMP/kr-open"; as_server "$MH_TMP/kr-open"; chmod 640 "$MH_TMP/kr-open"
setconf "$MH_TMP/kr-open" ""
out=$(sql "SELECT mynahoken.tokenize('123456789018')")
printf '%s\n' "$out" | grep -q 'ERROR:  mynahoken keyring file has group or world access' &&
	printf '%s\n' "$out" | grep -q 'HINT:  Run chmod 0600'
ok $? "a keyring readable by the group is refused, with a hint"

# missing keyring file
setconf "$MH_TMP/kr-missing" ""
out=$(sql "SELECT mynahoken.tokenize('123456789018')")
printf '%s\n' "$out" | grep -q 'could not read the mynahoken keyring file: No such file or directory'
ok $? "a missing keyring file is a clear error"
! printf '%s\n' "$out" | grep -q 'kr-missing'
ok $? "the client is not told the keyring path"

# malformed keyring: the line number, never the content
printf '1:%s:active\n2:%sXYZ\n' "$K3" "$K1NEW" >"$MH_TMP/kr-bad"; as_server "$MH_TMP/kr-bad"; chmod 600 "$MH_TMP/kr-bad"
setconf "$MH_TMP/kr-bad" ""
out=$(sql "SELECT mynahoken.tokenize('123456789018')")
printf '%s\n' "$out" | grep -q 'DETAIL:  Line 2: A key is not exactly 64 hexadecimal digits.'
ok $? "a malformed keyring names the line and the problem"
! printf '%s\n' "$out" | grep -qi "$K3"
ok $? "the error does not quote the keyring"

# not configured
setconf "" ""
out=$(sql "SELECT mynahoken.seal('123456789018')")
printf '%s\n' "$out" | grep -q 'ERROR:  mynahoken keyring is not configured' &&
	printf '%s\n' "$out" | grep -q 'HINT:  Set mynahoken.keyring_file'
ok $? "no keyring: a clear error with a hint on how to configure it"

# keyring command
setconf "" "cat $KR"
[ "$(sql "SELECT mynahoken.tokenize('123456789018')")" = "$tok2" ]
ok $? "mynahoken.keyring_command gives the same keys as the file"
setconf "" "false"
out=$(sql "SELECT mynahoken.tokenize('123456789018')"); printf "%s\n" "$out" | grep -q "ERROR:  mynahoken keyring command failed"
ok $? "a failing keyring command is an error"
setconf "$KR" "cat $KR"
out=$(sql "SELECT mynahoken.tokenize('123456789018')"); printf "%s\n" "$out" | grep -q "are both set"
ok $? "setting both the file and the command is an error"

# rotation within one session: append version 3, reload, old tokens still match
cp "$KR" "$MH_TMP/kr-rot"; as_server "$MH_TMP/kr-rot"; chmod 600 "$MH_TMP/kr-rot"
setconf "$MH_TMP/kr-rot" ""
out=$(psql -X -q -A -t -d "$DB" 2>&1 <<SQL
SET search_path = public, mynahoken;
CREATE TABLE rot AS SELECT mynahoken.tokenize('123456789018') AS t;
\\! sed -i 's/:active\$//' $MH_TMP/kr-rot && echo '3:$K3:active' >> $MH_TMP/kr-rot
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT 'active=' || mynahoken.key_version(mynahoken.tokenize('123456789018'));
SELECT 'found=' || count(*) FROM rot WHERE t = ANY (mynahoken.tokenize_all('123456789018'));
SELECT 'versions=' || string_agg(version::text, ',' ORDER BY version) FROM mynahoken.keyring_versions();
-- the documented migration of a table to the new version, from sealed values
CREATE TABLE mig AS SELECT mynahoken.tokenize('123456789018', 2) AS t, mynahoken.seal('123456789018') AS s;
UPDATE mig SET t = mynahoken.tokenize_sealed(s), s = mynahoken.reseal(s) WHERE mynahoken.key_version(t) <> 3;
SELECT 'migrated=' || mynahoken.key_version(t) || mynahoken.key_version(s) || (t = mynahoken.tokenize('123456789018')) FROM mig;
-- a version whose key changes under this backend is refused
\\! sed -i 's/^1:[0-9a-f]*/1:$K1NEW/' $MH_TMP/kr-rot
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT mynahoken.tokenize('123456789018');
SELECT mynahoken.tokenize('123456789018', 3);
SQL
)
printf '%s\n' "$out" | grep -q '^active=3$'
ok $? "after a reload the new version 3 is active in the same session"
printf '%s\n' "$out" | grep -q '^found=1$'
ok $? "a version-2 token is still found through tokenize_all after rotation"
printf '%s\n' "$out" | grep -q '^versions=1,2,3$'
ok $? "three versions are loaded"
printf '%s\n' "$out" | grep -q '^migrated=33true$'
ok $? "the migration procedure moves tokens and sealed values to version 3"
[ "$(printf '%s\n' "$out" | grep -c 'ERROR:  mynahoken keyring version 1 changed its key')" -eq 2 ]
ok $? "a changed key of version 1 is refused, and no key of that keyring is used"
[ "$(sql "SELECT mynahoken.key_version(mynahoken.tokenize('123456789018'))")" = 3 ]
ok $? "a new backend, which never saw the old key, loads the changed keyring"

# restore the test keyring
psql -X -q -d "$DB" -c "ALTER SYSTEM RESET mynahoken.keyring_file" \
	-c "ALTER SYSTEM RESET mynahoken.keyring_command" -c "SELECT pg_reload_conf()" >/dev/null
waitconf "$KR" ""
[ "$(sql "SELECT mynahoken.tokenize('123456789018')")" = "$tok2" ]
ok $? "the test keyring is back"

# no key ever reaches the log
newlog=$(tail -c +"$((log_start + 1))" "$LOG")
leaked=0
for k in $K3 $K1NEW $(grep -oE '^[0-9]+:[0-9a-f]{64}' "$KR" | cut -d: -f2); do
	printf '%s\n' "$newlog" | grep -qi "${k:0:16}" && leaked=1
done
[ $leaked -eq 0 ]; ok $? "no key bytes in the server log"
! printf '%s\n' "$newlog" | grep -q '123456789018'
ok $? "no statement with a My Number was logged with the keyring errors"
printf '%s\n' "$newlog" | grep -q 'DETAIL:  The file is'
ok $? "the server log (only) names the keyring file"

psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
