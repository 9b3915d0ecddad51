#!/usr/bin/env bash
# The trust-anchor cache is rebuilt from the latest committed anchors, never
# from the caller's (REPEATABLE READ) snapshot: a session whose snapshot is
# older than a second session's change to the anchors verifies with the
# change as soon as it is committed, and keeps it after its own transaction
# ends.  Two sessions through psql coprocesses.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
DB=mynahoken_anchor_snap
FX="$(cd "$(dirname "$0")/../fixtures/jpki" && pwd)"
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf "%s\n" "${out:-}" | sed "s/^/# /"; fails=$((fails + 1)); fi; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' \
	-c "CREATE TABLE fx (n text PRIMARY KEY, b bytea)" \
	-c "INSERT INTO fx VALUES ('root', '\\x$(hex "$FX/auth-root-g2.der")'), ('ee', '\\x$(hex "$FX/auth-ee.der")')" >/dev/null

# Session A: a long-lived psql reading commands from a FIFO
fifo="$MH_TMP/anchor-snap.fifo"; rm -f "$fifo"; mkfifo "$fifo"
psql -X -q -A -t -d "$DB" <"$fifo" >"$MH_TMP/anchor-snap.out" 2>&1 &
apid=$!
exec 7>"$fifo"
a() { printf '%s\n' "$1" >&7; }
a_result() {	# wait for the line "$1=..." in A's output and print its value
	for _ in $(seq 100); do
		grep -q "^$1=" "$MH_TMP/anchor-snap.out" && { grep "^$1=" "$MH_TMP/anchor-snap.out" | tail -n 1 | cut -d= -f2; return; }
		sleep 0.1
	done
	echo timeout
}
V="(SELECT (mynahoken.verify_certificate(b, 'authentication', '2026-06-01')).outcome FROM fx WHERE n = 'ee')"

a "SELECT 'before=' || $V;"
out=$(a_result before); [ "$out" = untrusted_issuer ]
ok $? "with no anchor, session A finds the certificate untrusted"

a "BEGIN ISOLATION LEVEL REPEATABLE READ;"
a "SELECT 'count0=' || count(*) FROM mynahoken.trust_anchor;"
out=$(a_result count0); [ "$out" = 0 ]
ok $? "session A's repeatable-read snapshot has no anchor"

psql -X -q -d "$DB" -c "SELECT mynahoken.add_trust_anchor(b, 'authentication') FROM fx WHERE n = 'root'" >/dev/null
a "SELECT 'inside=' || $V;"
out=$(a_result inside); [ "$out" = valid ]
ok $? "an anchor committed by session B verifies in A's open repeatable-read transaction"
a "SELECT 'count1=' || count(*) FROM mynahoken.trust_anchor;"
out=$(a_result count1); [ "$out" = 0 ]
ok $? "(A's own snapshot still does not see the row: the cache does not depend on it)"
a "COMMIT;"
a "SELECT 'after=' || $V;"
out=$(a_result after); [ "$out" = valid ]
ok $? "after A's transaction ends, the anchor still verifies"

# the reverse: an anchor removed by B stops verifying in A's old snapshot
a "BEGIN ISOLATION LEVEL REPEATABLE READ;"
a "SELECT 'count2=' || count(*) FROM mynahoken.trust_anchor;"
out=$(a_result count2); [ "$out" = 1 ]
ok $? "session A's new snapshot has the anchor"
psql -X -q -d "$DB" -c "SELECT mynahoken.remove_trust_anchor(sha256(b)) FROM fx WHERE n = 'root'" >/dev/null
a "SELECT 'removed=' || $V;"
out=$(a_result removed); [ "$out" = untrusted_issuer ]
ok $? "an anchor removed by session B no longer verifies in A's open transaction"
a "COMMIT;"
a "SELECT 'removed2=' || $V;"
out=$(a_result removed2); [ "$out" = untrusted_issuer ]
ok $? "nor after A's transaction ends"

exec 7>&-
wait "$apid"
rm -f "$fifo"
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
