#!/usr/bin/env bash
# A large CRL load can be cancelled, and a cancelled load leaves nothing
# behind.  A CRL of 300,000 entries signed by the test root (whose key is a
# fixture) is read once in full, then with a statement_timeout of a third of
# that time, so the timeout fires before the loop over the entries ends.
# The evidence is not a time: with work_mem at its minimum the entries
# spill to a temporary file (logged through log_temp_files); a loop that
# ignores the cancel runs to its end and spills all of them, a loop that
# checks for interrupts stops and spills less, or nothing.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
LOG="$MH_TMP/server.log"
DB=mynahoken_crl_cancel
FX="$(cd "$(dirname "$0")/../fixtures/jpki" && pwd)"
W="$MH_TMP/crl-cancel"
N=300000
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf "%s\n" "${out:-}" | sed "s/^/# /"; fails=$((fails + 1)); fi; }

# the large CRL, through openssl ca's database of revoked serials
rm -rf "$W"; mkdir -p "$W"
openssl x509 -inform DER -in "$FX/auth-root-g2.der" -out "$W/root.pem"
echo 1000 >"$W/crlnumber"
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "R\t300101000000Z\t250401000000Z\t%08X\tunknown\t/CN=x%d\n", 65536 + i, i }' >"$W/index.txt"
cat >"$W/ca.cnf" <<CNF
[ ca ]
default_ca = this
[ this ]
dir = $W
database = \$dir/index.txt
crlnumber = \$dir/crlnumber
certificate = \$dir/root.pem
private_key = $FX/auth-root-g2.key
default_md = sha256
unique_subject = no
default_crl_days = 30
[ crl_ext ]
authorityKeyIdentifier = keyid:always
CNF
openssl ca -gencrl -config "$W/ca.cnf" -crlexts crl_ext -out "$W/big.crl.pem" >/dev/null 2>&1 &&
	openssl crl -in "$W/big.crl.pem" -outform DER -out "$W/big.crl"
ok $? "a CRL of $N entries is signed by the test root"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$W"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' \
	-c "SELECT mynahoken.add_trust_anchor(pg_read_binary_file('$FX/auth-root-g2.der'), 'authentication')" \
	-c "CREATE TABLE crl AS SELECT pg_read_binary_file('$W/big.crl') AS b" >/dev/null
SETUP="SET work_mem = '64kB'; SET log_temp_files = 0; SET application_name = 'crl_cancel';"
spilled() {	# bytes of temporary files logged after offset $1
	tail -c +"$(($1 + 1))" "$LOG" | sed -n 's/.*temporary file: .*size \([0-9]*\)$/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# control: an uninterrupted scan of the entries spills them all
start=$(wc -c <"$LOG"); t0=$(date +%s%N)
out=$(psql -X -q -A -t -d "$DB" -c "$SETUP SELECT count(*) FROM crl, mynahoken.crl_entries(b)" 2>&1)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
full=$(spilled "$start")
[ "$out" = "$N" ] && [ "$full" -gt 0 ]
ok $? "control: the $N entries are read in ${ms} ms and spill $full bytes"
timeout=$((ms / 3))

for call in "SELECT count(*) FROM crl, mynahoken.crl_entries(b)" "SELECT mynahoken.load_crl(b) FROM crl"; do
	start=$(wc -c <"$LOG")
	out=$(psql -X -q -A -t -d "$DB" -c "$SETUP SET statement_timeout = '${timeout}ms'; $call" 2>&1)
	part=$(spilled "$start")
	printf '%s\n' "$out" | grep -q 'canceling statement due to statement timeout' && [ "$part" -lt "$full" ]
	ok $? "a statement_timeout of ${timeout} ms stops the loop over the entries ($part of $full bytes spilled): $call"
done
out=$(psql -X -q -A -t -d "$DB" -c "SELECT count(*) FROM mynahoken.revoked_certificate")
[ "$out" = 0 ]
ok $? "the cancelled load left no revocation row"

out=$(psql -X -q -A -t -d "$DB" -c "SELECT mynahoken.load_crl(b) FROM crl" -c "SELECT count(*) FROM mynahoken.revoked_certificate" 2>&1)
[ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "$N $N " ]
ok $? "the same CRL then loads whole"

rm -rf "$W"
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
