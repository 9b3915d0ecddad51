#!/usr/bin/env bash
# Key text never stays in a backend's memory after a keyring load fails:
# for each failure path (a command that prints the keyring and fails, a
# command or file larger than 1 MB, a malformed line after a good one, a
# version whose key changed), a fresh backend fails to load a keyring with
# a key used nowhere else, and its whole memory (/proc/PID/mem, readable
# by root) is searched for that key, as hexadecimal text and as bytes.
# Needs root (or the server's user) to read the backend's memory; the
# server must run as a user whose processes we may trace.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
DB=mynahoken_keymem
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
# scan PID HEX: prints the number of places the key appears (text or bytes)
scan() {
	python3 - "$1" "$2" <<'PY'
import re, sys
pid, hexkey = sys.argv[1], sys.argv[2]
needles = [hexkey[:32].encode(), hexkey[:32].upper().encode(), bytes.fromhex(hexkey)[:16]]
hits = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        lo, hi, perm = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        if perm[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:
            continue
        hits += sum(data.count(nd) for nd in needles)
print(hits)
PY
}
# failing_backend: one session fails to load the keyring, then waits; prints
# "pid hits" after searching the waiting backend's memory
failing_backend() {
	local key=$1 pid hits
	psql -X -q -A -t -d "$DB" -c "SET application_name = 'keymem'" \
		-c "SELECT mynahoken.tokenize('123456789018')" -c "SELECT pg_sleep(30)" >"$MH_TMP/keymem.out" 2>&1 &
	local bg=$!
	for _ in $(seq 100); do
		pid=$(psql -X -A -t -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'keymem' AND query LIKE '%pg_sleep%' AND state = 'active'")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	hits=$(scan "$pid" "$key" 2>&1)
	psql -X -q -d "$DB" -c "SELECT pg_cancel_backend($pid)" >/dev/null
	wait "$bg"
	echo "$pid $hits"
}
rndkey() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' >/dev/null

# control: the scan finds a key that a backend does hold (in a query's text)
K=$(rndkey)
psql -X -q -A -t -d "$DB" -c "SET application_name = 'keymem'" \
	-c "SELECT pg_sleep(30), '$K' IS NOT NULL" >/dev/null 2>&1 &
bg=$!
for _ in $(seq 100); do
	pid=$(psql -X -A -t -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'keymem' AND query LIKE '%pg_sleep%' AND state = 'active'")
	[ -n "$pid" ] && break
	sleep 0.1
done
hits=$(scan "$pid" "$K" 2>&1)
psql -X -q -d "$DB" -c "SELECT pg_cancel_backend($pid)" >/dev/null; wait "$bg"
[ "$hits" -gt 0 ] 2>/dev/null; out=$hits; ok $? "control: the scan finds a key held in a backend's memory"

check() {	# check NAME KEY EXPECTED_ERROR
	local res pid hits
	res=$(failing_backend "$2"); pid=${res% *}; hits=${res#* }
	out=$(cat "$MH_TMP/keymem.out")
	printf '%s\n' "$out" | grep -q "$3"
	ok $? "$1: the load fails with \"$3\""
	[ "$hits" = 0 ]
	ok $? "$1: the key is nowhere in the backend's memory (found $hits times)"
}

K=$(rndkey); f="$MH_TMP/km-fail"; printf '1:%s:active\n' "$K" >"$f"; as_server "$f"
setconf "" "cat $f; exit 3"
check "failing command" "$K" "mynahoken keyring command failed"

K=$(rndkey); f="$MH_TMP/km-big"; { printf '1:%s:active\n' "$K"; head -c 1100000 /dev/zero | tr '\0' '#' | fold -w 1000; } >"$f"; as_server "$f"
setconf "" "cat $f"
check "command output over 1 MB" "$K" "mynahoken keyring"
setconf "$f" ""
check "file over 1 MB" "$K" "mynahoken keyring is malformed"

K=$(rndkey); f="$MH_TMP/km-bad"; printf '1:%s:active\n2:%sXYZ\n' "$K" "$K" >"$f"; as_server "$f"
setconf "$f" ""
check "malformed line after a good key" "$K" "mynahoken keyring is malformed"
setconf "" "cat $f"
check "malformed output of a command" "$K" "mynahoken keyring is malformed"

psql -X -q -d "$DB" -c "ALTER SYSTEM RESET mynahoken.keyring_file" \
	-c "ALTER SYSTEM RESET mynahoken.keyring_command" -c "SELECT pg_reload_conf()" >/dev/null
rm -f "$MH_TMP"/km-*
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
