#!/usr/bin/env bash
# The DMN export opens in Camunda Modeler (issue 15; doc/rules.md, "Authoring
# in a modeler (DMN)").
#
# Camunda Modeler and dmn-js read DMN with dmn-moddle (bpmn-io), installed
# here from the npm registry at a pinned version.  Every conformance table of
# test/dmn is imported, then every rule version in the database is exported:
# those tables, the shipped national tables, policy (a) of doc/rules.md (a
# parameter), a table with row labels, notes, enum values and another fact,
# and a date decision (policy (b)).  dmn-moddle reads each export; a warning
# of the reader (unknown element or attribute, unresolved reference) fails,
# and the hit policy, aggregation, number of rules, inputs and outputs it
# reads must be ours.  The checker itself must fail on a broken export.
# Prints TAP.
#
# Needs a running server (PGHOST, PGPORT, PGUSER), MH_BINDIR, MH_TMP as set
# by scripts/test.sh, node and npm (Debian's nodejs and npm: node 18 or later).
set -uo pipefail
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"

# dmn-moddle 11.0.0: the last release for node 18 ("engines": node >= 18);
# 12 needs node 20.12
DMN_MODDLE=dmn-moddle@11.0.0
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
db=mh_dmn_moddle_$$
work="$MH_TMP/dmn_moddle.$$"
mkdir -p "$work"
[ "$(id -u)" -eq 0 ] && chmod 777 "$work"

q() {	# q SQL: run SQL on the test database, unaligned output, stop on error
	"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"
}
cleanup() {
	"$MH_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	"$MH_BINDIR/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS mh_dmnm_author" -c "DROP ROLE IF EXISTS mh_dmnm_approver" >/dev/null 2>&1
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
bail() { echo "Bail out! $1"; [ -f "${2:-}" ] && sed 's/^/# /' "$2" | head -n 40; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null || bail "node and npm are needed (Debian packages nodejs, npm)"
modules="$MH_TMP/npm/node_modules"
if [ ! -f "$modules/dmn-moddle/package.json" ] \
   || [ "$(node -p "require('$modules/dmn-moddle/package.json').version")" != "${DMN_MODDLE#*@}" ]; then
	npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$MH_TMP/npm" "$DMN_MODDLE" \
		>"$work/npm.log" 2>&1 || bail "npm install $DMN_MODDLE failed" "$work/npm.log"
fi
check() {	# check FILE EXPECTED_JSON: dmn-moddle's reading, into $work/out
	node "$here/lib/dmn_moddle.cjs" "$modules" "$1" "$2" >"$work/out" 2>&1
}

"$MH_BINDIR/psql" -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null || bail "CREATE DATABASE"
q "CREATE EXTENSION mynahoken" >/dev/null || bail "CREATE EXTENSION"
q "CREATE ROLE mh_dmnm_author IN ROLE mynahoken_rule_author" >/dev/null || bail "CREATE ROLE"
q "CREATE ROLE mh_dmnm_approver IN ROLE mynahoken_rule_approver" >/dev/null || bail "CREATE ROLE"

# The tables: the facts and outcomes of test/pgtap/62_rules_dmn.sql, the
# files of test/dmn imported as there, policy (a), a table with labels and
# notes, policy (b)'s date decision.
for f in "$root"/test/dmn/*.dmn; do
	name=$(basename "$f" .dmn)
	printf '\\set doc `cat test/dmn/%s.dmn`\nINSERT INTO dmnm.file VALUES (%s, :%s, (:%s::jsonb)->%s);\n' \
		"$name" "'$name'" "'doc'" "'cases'" "'$name'"
done >"$work/loads.sql"
(cd "$root" && "$MH_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -v loads="$work/loads.sql" -d "$db") >"$work/setup.log" 2>&1 <<'SQL' || bail "setup" "$work/setup.log"
CREATE SCHEMA dmnm;
CREATE TABLE dmnm.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date,
  dmn_age integer, dmn_care text, dmn_alone boolean, dmn_applied_on date);
SELECT mynahoken.register_member_source('dmnm.members');
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('insurer_certificate_age', 'int', 'years', 'Age from which the insurer issues a 資格確認書 to every member');
CREATE TABLE dmnm.file (name text PRIMARY KEY, doc text NOT NULL, spec jsonb NOT NULL);
GRANT USAGE ON SCHEMA dmnm TO PUBLIC;
GRANT SELECT ON dmnm.file TO PUBLIC;
\set cases `cat test/dmn/cases.json`
\i :loads
SET ROLE mh_dmnm_author;
SELECT mynahoken.rule_fact_add('dmn_age', 'int', 'dmn_age', 'Age', lo => 0, hi => 150);
SELECT mynahoken.rule_fact_add('dmn_care', 'text', 'dmn_care', 'Care level');
SELECT mynahoken.rule_fact_add('dmn_alone', 'boolean', 'dmn_alone', 'Lives alone');
SELECT mynahoken.rule_fact_add('dmn_applied_on', 'date', 'dmn_applied_on', 'Day of the application');
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_issue', '交付', true, 10);
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_renew', '更新', true, 20);
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_refer', '照会', true, 30);
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_decline', '交付しない', false, 40);
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', '組合の定める年齢以上の被保険者への職権交付', true);
-- the files of test/dmn; those refused at import (several outputs, OUTPUT ORDER) have no version
DO $$
DECLARE f dmnm.file;
BEGIN
  FOR f IN SELECT * FROM dmnm.file ORDER BY name LOOP
    BEGIN
      PERFORM mynahoken.rule_import_dmn(f.doc::xml, f.spec->>'table', '[2026-04-01,)', 'dmn-tck-like', '2026-03-01',
                decision => coalesce(f.spec->>'decision', 'certificate_need'), applies_to => ARRAY[f.spec->>'insurer'],
                exception_to => CASE WHEN f.spec->>'decision' = 'certificate_valid_until'
                                     THEN 'national.certificate_valid_until:term'
                                     ELSE 'national.certificate_need:on_request' END);
    EXCEPTION WHEN OTHERS THEN
      IF f.spec->>'import' IS NULL THEN
        RAISE;
      END IF;
    END;
  END LOOP;
END $$;
-- policy (a) of doc/rules.md
SELECT mynahoken.rule_table_define('minato.certificate_need.age', 'certificate_need', '{06139992}',
         'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.certificate_need.age', '[2026-04-01,)', 'minato-kenpo-2026-01', '2026-01-20', $grid$
  row | age                               || outcome
  1   | >= param(insurer_certificate_age) || insurer_age_policy
$grid$);
-- row labels and notes, another fact, enum values, day
SELECT mynahoken.rule_table_define('dmnm.extras', 'certificate_need', '{06131353}', 'national.certificate_need:on_request', 'first');
SELECT mynahoken.rule_version_record('dmnm.extras', '[2026-04-01,2027-04-01)', 'dmn-extras', '2026-03-01', $grid$
  row | age                               | dmn_applied_on       | category                   || outcome
  1   | >= param(insurer_certificate_age) | <= day               | not(late_elderly)          || dmn_issue
  3   | [70..75), 80                      | > acquired_on        | health_society, "municipal_nhi" || dmn_refer
  7   | -                                 | null                 | -                          || dmn_decline
$grid$, note => 'extras');
-- policy (b): a date decision with date expressions
SELECT mynahoken.rule_table_define('dmnm.valid_until', 'certificate_valid_until', '{06131353}', 'national.certificate_valid_until:term', 'first');
SELECT mynahoken.rule_version_record('dmnm.valid_until', '[2026-04-01,)', 'dmn-extras', '2026-03-01', $grid$
  row | age   || value
  1   | >= 75 || day_before(birthday(76))
  2   | -     || 2027-03-31
$grid$);
RESET ROLE;
UPDATE mynahoken.rule_row SET label = 'group "a" & <b>', note = 'from the 組合''s letter of 2026-02-01'
 WHERE version_id = (SELECT max(version_id) FROM mynahoken.rule_version WHERE table_name = 'dmnm.extras') AND row_no = 3;
SQL

# Every version, its export and what dmn-moddle must read: one line each,
# "version_id<TAB>table<TAB>expected JSON".
q "SELECT v.version_id, v.table_name,
          json_build_object('hitPolicy', CASE t.hit_policy WHEN 'rule_order' THEN 'RULE ORDER' ELSE upper(t.hit_policy) END,
                            'aggregation', CASE WHEN t.aggregation <> 'list' THEN upper(t.aggregation) END,
                            'rules', (SELECT count(*) FROM mynahoken.rule_row r WHERE r.version_id = v.version_id),
                            'inputs', to_json(v.columns),
                            'outputs', json_build_array(CASE WHEN d.output_type = 'date' THEN 'value' ELSE 'outcome' END))
     FROM mynahoken.rule_version v JOIN mynahoken.rule_table t USING (table_name)
     JOIN mynahoken.rule_decision d ON d.decision = t.decision
    ORDER BY v.version_id" | tr '|' '\t' >"$work/versions" 2>"$work/err" || bail "listing the versions" "$work/err"

grep -q "	national\." "$work/versions"; tap $? "the shipped national tables are among the versions exported" "$work/versions"
grep -q "	dmn\.t01_unique	" "$work/versions" && grep -q "	minato\.certificate_need\.age	" "$work/versions" \
	&& grep -q "	dmnm\.valid_until	" "$work/versions"
tap $? "the tables of test/dmn, policy (a) and policy (b) are among them" "$work/versions"

total=0
bad=0
while IFS=$'\t' read -r vid tbl want; do
	total=$((total + 1))
	f="$work/v$vid.dmn"
	q "SELECT mynahoken.rule_export_dmn($vid)" >"$f" 2>"$work/err" || { cp "$work/err" "$work/out"; false; } \
		&& check "$f" "$want"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad=$((bad + 1))
		{ echo "$tbl (version $vid):"; cat "$work/out"; } >>"$work/failures"
	fi
	[ "$tbl" = dmn.t03_priority ] && cp "$f" "$work/priority.dmn" && echo "$want" >"$work/priority.json"
done <"$work/versions"
[ "$bad" -eq 0 ]; tap $? "dmn-moddle reads the $total exports without error or warning, with our hit policy, aggregation, rules, inputs and outputs" "$work/failures"

# The checker fails: an attribute unknown to DMN 1.3, a reference to no
# element, one rule less than ours, each in a copy of a good export.
[ -f "$work/priority.dmn" ] || bail "no export of dmn.t03_priority"
want=$(cat "$work/priority.json")
sed 's/<decisionTable /<decisionTable mh_unknown="1" /' "$work/priority.dmn" >"$work/broken1.dmn"
check "$work/broken1.dmn" "$want"; rc=$?
[ "$rc" -eq 1 ] && grep -q '^warning: unparsable content\|^warning: unknown attribute' "$work/out"
tap $? "an unknown attribute is a warning that fails the check" "$work/out"
sed 's/dmnElementRef="decision_/dmnElementRef="nothing_/' "$work/priority.dmn" >"$work/broken2.dmn"
check "$work/broken2.dmn" "$want"; rc=$?
[ "$rc" -eq 1 ] && grep -q '^warning: unresolved reference' "$work/out"
tap $? "an unresolved reference is a warning that fails the check" "$work/out"
check "$work/priority.dmn" "$(echo "$want" | sed 's/"rules" *: *\([0-9]*\)/"rules" : 1\1/')"; rc=$?
[ "$rc" -eq 1 ] && grep -q '^rules: read' "$work/out"
tap $? "a number of rules other than ours fails the check" "$work/out"

echo "1..$n"
