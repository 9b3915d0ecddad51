#!/usr/bin/env bash
# Tokens and sealed My Numbers survive pg_dump / pg_restore and binary COPY
# unchanged, still join, and still match freshly computed tokens; binary
# input of the wrong length or with key version 0 is refused.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
BIN=${MH_BINDIR:-/usr/lib/postgresql/15/bin}
SRC=mynahoken_dump_src
DST=mynahoken_dump_dst
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
q() { PGOPTIONS='-c search_path=public,mynahoken' psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$@"; }

for db in $SRC $DST; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
psql -X -q -d postgres -c "CREATE DATABASE $SRC" -c "CREATE DATABASE $DST" >/dev/null

q "$SRC" >/dev/null <<'SQL'
CREATE EXTENSION mynahoken;
SET search_path = public, mynahoken;
-- synthetic My Numbers: 11 base digits and their check digit
CREATE FUNCTION mn(base bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT b || (CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END)::text
    FROM (SELECT lpad(base::text, 11, '0') AS b) x,
         LATERAL (SELECT sum(substr(b, 12 - n, 1)::int
                             * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
                    FROM generate_series(1, 11) n) y $$;
CREATE TABLE members (token mynahoken.mynumber_token PRIMARY KEY,
                      sealed mynahoken.mynumber_sealed NOT NULL, base bigint);
CREATE INDEX ON members USING hash (sealed);
CREATE TABLE submissions (token mynahoken.mynumber_token, employer text)
  PARTITION BY HASH (token);
CREATE TABLE submissions_0 PARTITION OF submissions FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE submissions_1 PARTITION OF submissions FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE submissions_2 PARTITION OF submissions FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE submissions_3 PARTITION OF submissions FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO members
  SELECT mynahoken.tokenize(mn(b), CASE WHEN b % 2 = 0 THEN 1 ELSE 2 END), mynahoken.seal(mn(b)), b
    FROM generate_series(1, 2000) b;
INSERT INTO submissions SELECT mynahoken.tokenize(mn(b)), 'e' || b FROM generate_series(1001, 3000) b;
SQL

digest="SELECT md5(string_agg(token::text || ' ' || sealed::text, ',' ORDER BY base)) FROM members"
parts="SELECT string_agg(tableoid::regclass::text || ':' || c, ',' ORDER BY tableoid::regclass::text) FROM (SELECT tableoid, count(*) c FROM submissions GROUP BY 1) x"
join="SELECT count(*) FROM members m JOIN submissions s ON s.token = ANY (mynahoken.tokenize_all(mynahoken.unseal(m.sealed)))"
src_digest=$(q "$SRC" -c "$digest")
src_parts=$(q "$SRC" -c "$parts")

"$BIN/pg_dump" -Fc -f "$MH_TMP/tokens.dump" "$SRC" 2>"$MH_TMP/dump.err"
ok $? "pg_dump of a database with tokens and sealed values"
"$BIN/pg_restore" -d "$DST" "$MH_TMP/tokens.dump" 2>"$MH_TMP/restore.err"
ok $? "pg_restore into a new database"
[ "$(q "$DST" -c "$digest")" = "$src_digest" ] && [ -n "$src_digest" ]
ok $? "tokens and sealed values are unchanged after restore"
[ "$(q "$DST" -c "$parts")" = "$src_parts" ]
ok $? "rows sit in the same hash partitions after restore ($src_parts)"
[ "$(q "$DST" -c "$join")" = 1000 ]
ok $? "restored tokens join across versions 1 and 2 (1000 matches)"
[ "$(q "$DST" -c "SELECT count(*) FROM members WHERE token = mynahoken.tokenize(mn(base), mynahoken.key_version(token))")" = 2000 ]
ok $? "restored tokens equal freshly computed ones"
[ "$(q "$DST" -c "SELECT count(*) FROM members WHERE mynahoken.unseal(sealed) = mn(base)")" = 2000 ]
ok $? "restored sealed values unseal to their numbers"

# binary COPY between databases
q "$DST" -c "CREATE TABLE copied (LIKE members)" >/dev/null
psql -X -q -d "$SRC" -c "COPY members TO STDOUT (FORMAT binary)" |
	psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -c "COPY copied FROM STDIN (FORMAT binary)" 2>"$MH_TMP/copy.err"
ok $? "binary COPY of tokens and sealed values"
[ "$(q "$DST" -c "SELECT md5(string_agg(token::text || ' ' || sealed::text, ',' ORDER BY base)) FROM copied")" = "$src_digest" ]
ok $? "binary COPY keeps every value"

# binary input is checked
q "$DST" -c "CREATE TABLE bin_tok (t mynahoken.mynumber_token); CREATE TABLE bin_sealed (s mynahoken.mynumber_sealed)" >/dev/null
err=$(psql -X -q -d "$DST" -c "COPY (SELECT '\\x0102'::bytea) TO STDOUT (FORMAT binary)" |
	psql -X -q -d "$DST" -c "COPY bin_tok FROM STDIN (FORMAT binary)" 2>&1)
printf '%s\n' "$err" | grep -q 'invalid binary representation of type mynumber_token'
ok $? "binary token input of 2 bytes is refused"
err=$(psql -X -q -d "$DST" -c "COPY (SELECT ('\\x00' || repeat('ab', 32))::bytea) TO STDOUT (FORMAT binary)" |
	psql -X -q -d "$DST" -c "COPY bin_tok FROM STDIN (FORMAT binary)" 2>&1)
printf '%s\n' "$err" | grep -q 'Key version 0 does not exist'
ok $? "binary token input with key version 0 is refused"
err=$(psql -X -q -d "$DST" -c "COPY (SELECT mynahoken.mynumber_token_send(token) FROM members LIMIT 1) TO STDOUT (FORMAT binary)" |
	psql -X -q -d "$DST" -c "COPY bin_sealed FROM STDIN (FORMAT binary)" 2>&1)
printf '%s\n' "$err" | grep -q 'invalid binary representation of type mynumber_sealed'
ok $? "a token's 33 bytes are refused as a sealed value"

for db in $SRC $DST; do psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null 2>&1; done
echo "1..$n"
[ "$fails" -eq 0 ]
