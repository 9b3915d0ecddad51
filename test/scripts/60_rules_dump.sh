#!/usr/bin/env bash
# The insurer's rules survive pg_dump and restore (doc/rules.md, "Versions
# and roles").
#
# An insurer declares a fact and an outcome, defines a table, records two
# versions (one active, one draft) with a test case, and activates one; the
# database is dumped (custom format through pg_restore, plain through psql)
# into fresh databases where CREATE EXTENSION seeds the shipped rows again.
# The insurer's rows, the version ids, recorded_at, the author and approver,
# and the compiled decision must come back exactly.  Prints TAP.
#
# Needs a running server (PGHOST, PGPORT, PGUSER) and MH_BINDIR, MH_TMP, as
# set by scripts/test.sh.
set -uo pipefail
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"

src=mh_rdump_src_$$
dst_c=mh_rdump_custom_$$
dst_p=mh_rdump_plain_$$
work="$MH_TMP/rules_dump.$$"
mkdir -p "$work"
[ "$(id -u)" -eq 0 ] && chmod 777 "$work"

q() {	# q DB SQL: run SQL, unaligned output, stop on error
	"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
cleanup() {
	for db in "$src" "$dst_c" "$dst_p"; do
		"$MH_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	done
	"$MH_BINDIR/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS mh_rdump_author" -c "DROP ROLE IF EXISTS mh_rdump_approver" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

n=0
tap() {	# tap OK DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -n 40
	fi
}
same() {	# same FILE1 FILE2 DESCRIPTION
	diff -u "$1" "$2" >"$work/diff" 2>&1
	tap $? "$3" "$work/diff"
}

q postgres "CREATE DATABASE $src" >/dev/null || exit 1
q "$src" "CREATE EXTENSION mynahoken" >/dev/null || exit 1
q postgres "CREATE ROLE mh_rdump_author IN ROLE mynahoken_rule_author" >/dev/null || exit 1
q postgres "CREATE ROLE mh_rdump_approver IN ROLE mynahoken_rule_approver" >/dev/null || exit 1
"$MH_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$src" >"$work/setup.log" 2>&1 <<'SQL'
CREATE SCHEMA ins;
CREATE TABLE ins.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date, care_needs boolean);
INSERT INTO ins.members
SELECT i::text, (ARRAY['06139992', '01130012', '39131156'])[1 + i % 3], date '1935-01-01' + (i * 97) % 25000,
       date '2004-04-01' + (i * 13) % 5000, NULL, 'E1', i % 4 <> 0,
       CASE WHEN i % 5 < 2 THEN date '2022-06-01' END, NULL, CASE WHEN i % 5 < 2 THEN date '2030-06-30' END,
       CASE WHEN i % 11 = 0 THEN date '2025-10-01' END, NULL, i % 7 = 0
  FROM generate_series(1, 300) AS i;
SELECT mynahoken.register_member_source('ins.members');
GRANT USAGE ON SCHEMA ins TO mh_rdump_approver;
GRANT SELECT ON ins.members TO mh_rdump_approver;
SET ROLE mh_rdump_author;
SELECT mynahoken.rule_fact_add('care_needs', 'boolean', 'care_needs', '要配慮者');
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', '年齢による職権交付', true);
SELECT mynahoken.rule_outcome_add('certificate_need', 'care_needs_policy', '要配慮者', true);
SELECT mynahoken.rule_table_define('minato.need', 'certificate_need', '{06139992,late_elderly}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.need', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age   | care_needs || outcome
  1   | >= 75 | -          || insurer_age_policy
  2   | < 75  | true       || care_needs_policy
$grid$);
SELECT mynahoken.rule_test_add('minato.need', 'aged 80', '2026-08-03',
         '{"insurer_number": "06139992", "birth_date": "1946-01-01", "acquired_on": "2010-04-01", "my_number_linked": false}',
         'insurer_age_policy');
SET ROLE mh_rdump_approver;
SELECT count(*) FROM mynahoken.rule_activate('minato.need');
-- a change set, activated: its time and roles survive the restore
SET ROLE mh_rdump_author;
SELECT mynahoken.rule_change_set_open('the 2028 rule') AS cs \gset
SELECT mynahoken.rule_version_record('minato.need', '[2028-04-01,)', 'minato-2028-01', '2026-01-25', $grid$
  row | age   | care_needs || outcome
  1   | >= 72 | -          || insurer_age_policy
$grid$) AS cs_version \gset
SELECT mynahoken.rule_change_set_add(:cs, :cs_version);
SET ROLE mh_rdump_approver;
SELECT count(*) FROM mynahoken.rule_change_set_activate(:cs);
SET ROLE mh_rdump_author;
SELECT mynahoken.rule_version_record('minato.need', '[2027-04-01,)', 'minato-2027-01', '2027-01-20', $grid$
  row | age   | care_needs || outcome
  1   | >= 70 | -          || insurer_age_policy
$grid$);
SQL
tap $? "the insurer's rules are defined, one version activated by another role, one left as a draft" "$work/setup.log"

snapshot() {	# snapshot DB FILE
	q "$1" "
SELECT t.* FROM mynahoken.rule_table t WHERE NOT t.shipped ORDER BY 1;
SELECT v.* FROM mynahoken.rule_version v ORDER BY 1;
SELECT r.* FROM mynahoken.rule_row r ORDER BY 1, 2;
SELECT t.* FROM mynahoken.rule_test t ORDER BY 1;
SELECT o.* FROM mynahoken.rule_outcome o WHERE NOT o.shipped ORDER BY 1, 2;
SELECT f.* FROM mynahoken.rule_fact f WHERE NOT f.shipped ORDER BY 1;
SELECT c.decision, c.versions, c.source_relation, c.body FROM mynahoken.rule_compiled c ORDER BY 1;
SELECT 'seq', last_value, is_called FROM mynahoken.rule_version_id_seq;
SELECT c.* FROM mynahoken.rule_change_set c ORDER BY 1;
SELECT m.* FROM mynahoken.rule_change_set_version m ORDER BY 1;
SELECT 'change set seq', last_value, is_called FROM mynahoken.rule_change_set_id_seq;
SELECT e.* FROM mynahoken.rule_eval_certificate_need('2026-08-03') e ORDER BY 1;
SELECT e.layer, e.outcome, count(*) FROM mynahoken.rule_eval_certificate_need('2026-08-03', '2026-01-19') e GROUP BY 1, 2 ORDER BY 1, 2;
SELECT mynahoken.rule_decide_certificate_need('2026-08-03', NULL, '{\"insurer_number\": \"06139992\", \"birth_date\": \"1946-01-01\", \"acquired_on\": \"2010-04-01\", \"my_number_linked\": false}');
SELECT * FROM mynahoken.rule_run_tests('minato.need');
" >"$2" 2>&1
}
snapshot "$src" "$work/src"
grep -q 'insurer_age_policy' "$work/src"
tap $? "the compiled decision gives the insurer's outcome before the dump" "$work/src"

"$MH_BINDIR/pg_dump" -Fc -f "$work/src.dump" "$src" 2>"$work/dump.err"
tap $? "pg_dump -Fc of the insurer's database" "$work/dump.err"
"$MH_BINDIR/pg_dump" -Fp -f "$work/src.sql" "$src" 2>"$work/dump.err"
tap $? "pg_dump -Fp of the insurer's database" "$work/dump.err"

restored() {	# restored LOG DESCRIPTION
	if grep -qE 'error|ERROR' "$1"; then
		tap 1 "$2" "$1"
	else
		tap 0 "$2"
	fi
}
q postgres "CREATE DATABASE $dst_c" >/dev/null
"$MH_BINDIR/pg_restore" -d "$dst_c" "$work/src.dump" >"$work/restore_c.log" 2>&1
restored "$work/restore_c.log" "pg_restore into a new database: no error"
q postgres "CREATE DATABASE $dst_p" >/dev/null
"$MH_BINDIR/psql" -X -q -d "$dst_p" -f "$work/src.sql" >"$work/restore_p.log" 2>&1
restored "$work/restore_p.log" "psql -f of the plain dump into a new database: no error"

for kind in custom plain; do
	db=$dst_c
	[ "$kind" = plain ] && db=$dst_p
	snapshot "$db" "$work/$kind"
	same "$work/src" "$work/$kind" \
		"$kind: the insurer's rules, versions (recorded_at, author, approver), tests, the compiled decision and its answers are the same after restore"
done

# Work goes on after the restore: the draft is activated by the approver.
"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$dst_c" >"$work/after.log" 2>&1 <<'SQL'
SET ROLE mh_rdump_approver;
SELECT count(*) FROM mynahoken.rule_activate('minato.need');
SELECT count(*) FROM mynahoken.rule_eval_certificate_need('2027-08-03') WHERE outcome = 'insurer_age_policy';
SQL
tap $? "after restore, the draft is activated and the decision recompiled" "$work/after.log"

echo "1..$n"
