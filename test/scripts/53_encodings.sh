#!/usr/bin/env bash
# The checks that never raise answer for any bytes a database can store, in
# EUC_JP and SQL_ASCII databases: every *_is_valid(text) is false and every
# *_problem(text) names a problem, without an error, for text holding a
# character with no Unicode equivalent (a user-defined EUC_JP character,
# bytes that are not UTF-8 in SQL_ASCII); and one member with such an
# insurer number is rejected while plan_issuance plans everybody else.
# Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf "%s\n" "${out:-}" | sed "s/^/# /"; fails=$((fails + 1)); fi; }

for enc in EUC_JP SQL_ASCII; do
	DB="mynahoken_enc_$(echo "$enc" | tr 'A-Z' 'a-z')"
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" \
		-c "CREATE DATABASE $DB TEMPLATE template0 ENCODING '$enc' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null 2>&1
	psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' >/dev/null
	if [ "$enc" = EUC_JP ]; then
		# user-defined characters (row 0xF5): valid EUC_JP, no Unicode mapping
		bad="E'0113\\\\xf5\\\\xa1012', E'\\\\xf5\\\\xa1', E'12345678901\\\\xfe\\\\xfe', E'\\\\xa4\\\\xa2\\\\xf5\\\\xa1'"
	else
		bad="E'0113\\\\xff0012', E'\\\\xc3', E'12345678901\\\\x80', E'\\\\xe3\\\\x81'"
	fi
	out=$(psql -X -A -t -d "$DB" 2>&1 <<SQL
SET standard_conforming_strings = on;
CREATE TEMP TABLE bad(t) AS SELECT * FROM unnest(ARRAY[${bad//\\\\/\\}]);
SELECT 'inputs=' || count(*) FROM bad;
-- every one-text-argument check of the extension
CREATE TEMP TABLE answer AS
SELECT p.proname, b.t, p.prorettype::regtype::text AS rt, NULL::text AS a FROM pg_proc p, bad b
 WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname ~ '_(is_valid|problem)\$'
   AND p.pronargs = 1 AND p.proargtypes[0] = 'text'::regtype;
DO \$\$
DECLARE r record; v text;
BEGIN
  FOR r IN SELECT DISTINCT proname, t FROM answer LOOP
    BEGIN
      EXECUTE format('SELECT mynahoken.%I(\$1)::text', r.proname) INTO v USING r.t;
    EXCEPTION WHEN OTHERS THEN v := 'ERROR ' || SQLSTATE;
    END;
    UPDATE answer SET a = coalesce(v, 'null') WHERE proname = r.proname AND t = r.t;
  END LOOP;
END \$\$;
SELECT 'functions=' || count(DISTINCT proname) FROM answer;
SELECT 'wrong=' || coalesce(string_agg(DISTINCT proname || ':' || a, ' '), '')
  FROM answer WHERE (proname ~ '_is_valid\$' AND a <> 'false') OR (proname ~ '_problem\$' AND a IN ('null') ) OR a LIKE 'ERROR%';
SQL
)
	printf '%s\n' "$out" | grep -q '^inputs=4$' && printf '%s\n' "$out" | grep -qE '^functions=(1[0-9]|[2-9][0-9])$'
	ok $? "$enc: the bad texts are stored and every check function is called"
	printf '%s\n' "$out" | grep -q '^wrong=$'
	ok $? "$enc: *_is_valid is false and *_problem names a problem, never an error"

	# one member's insurer number holds such a character: the run goes on
	out=$(psql -X -A -t -d "$DB" 2>&1 <<SQL
CREATE TABLE members AS
SELECT i::text AS member_key, '01130012'::text AS insurer_number, date '1970-01-01' AS birth_date,
       date '2025-08-01' AS acquired_on, NULL::date AS lost_on, NULL::text AS employer,
       true AS my_number_linked, NULL::date AS myna_registered_on, NULL::date AS myna_withdrawn_on,
       NULL::date AS ecert_expires_on, NULL::date AS certificate_requested_on, NULL::date AS certificate_valid_until
  FROM generate_series(1, 50) i;
UPDATE members SET insurer_number = (SELECT t FROM (SELECT unnest(ARRAY[${bad//\\\\/\\}]) t) x LIMIT 1) WHERE member_key = '7';
SELECT mynahoken.register_member_source('members');
CALL mynahoken.plan_issuance('2025-09-01');
SELECT 'run=' || status || ' ' || rejected_invalid_insurer || ' ' || (certificates + notices > 0) FROM mynahoken.issuance_run;
SELECT 'rejected=' || string_agg(member_key || ':' || problem, ',') FROM mynahoken.issuance_rejection;
SQL
)
	printf '%s\n' "$out" | grep -q '^run=finished 1 true$' && printf '%s\n' "$out" | grep -q '^rejected=7:invalid_insurer_number$'
	ok $? "$enc: a member whose insurer number has no Unicode equivalent is rejected, the run plans the others"
	psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
done
echo "1..$n"
[ "$fails" -eq 0 ]
