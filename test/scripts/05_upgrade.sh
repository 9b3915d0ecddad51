#!/usr/bin/env bash
# ALTER EXTENSION mynahoken UPDATE from every shipped version (doc/architecture.md,
# "Versions and upgrades").
#
# For each shipped version V: a database gets mynahoken V and the insurer's
# own data (calendar entries and a source, a 公費 program, trust anchors and a
# revocation, a member source with planned documents, a run log); it is
# updated to the current version.  Then:
#   - the extension's objects equal a fresh install's (every member's
#     definition, comment, ACL, columns, constraints, indexes, triggers,
#     enum labels, operator families, casts, dump filters);
#   - the shipped reference rows equal a fresh install's;
#   - every row of the insurer is still there;
#   - decisions over every category, several days and knowledge days equal
#     those of a fresh install holding the same insurer data.
# Prints TAP.  Needs PGHOST, MH_BINDIR and MH_TMP, as set by scripts/test.sh.
set -uo pipefail
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/mynahoken.control")
# Shipped versions: the committed install scripts other than the current one.
shipped=$(cd "$root/sql" && ls mynahoken--*.sql | sed -n 's/^mynahoken--\([0-9.]*\)\.sql$/\1/p' \
	| grep -vxF "$current" | sort -V)

work="$MH_TMP/upgrade.$$"
mkdir -p "$work"
dbs=()
q() {	# q DB SQL
	"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
cleanup() {
	for db in "${dbs[@]}"; do
		"$MH_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT
[ "${KEEP_UPGRADE:-0}" = 1 ] && trap - EXIT

n=0
tap() {	# tap RC DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -n 60
	fi
}
same() {	# same FILE1 FILE2 DESCRIPTION
	diff -u "$1" "$2" >"$work/diff" 2>&1
	tap $? "$3" "$work/diff"
}
newdb() {	# newdb NAME
	dbs+=("$1")
	q postgres "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
	q postgres "CREATE DATABASE $1" >/dev/null
}

fixture() { base64 -w0 "$root/test/fixtures/jpki/$1"; }

# The insurer's own data, written with the functions every version has.
insurer_data() {	# insurer_data DB
	"$MH_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" \
		-v anchor="$(fixture auth-root-g2.der)" -v crl="$(fixture auth-g2.crl)" <<'SQL'
SET client_min_messages = warning;
INSERT INTO mynahoken.legal_source (code, kind, title, issuer, issued_on)
VALUES ('city-2026-01', 'insurer_decision', '資格確認書の有効期間について (city decision)', 'Example City', '2026-01-10');
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('city_certificate_mailing_days', 'int', 'days', 'Days before expiry the city mails the new 資格確認書');
-- From 0.2 a knowledge day more than 31 days back needs a reason.
SELECT extversion <> '0.1' AS needs_reason FROM pg_extension WHERE extname = 'mynahoken' \gset
\if :needs_reason
SELECT mynahoken.record_legal_parameter('city_certificate_mailing_days', NULL, '(,)', '30',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-10',
         reason => 'the city decision of 2026-01-10, entered late');
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2026-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-10',
         reason => 'the city decision of 2026-01-10, entered late');
\else
SELECT mynahoken.record_legal_parameter('city_certificate_mailing_days', NULL, '(,)', '30',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-10');
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2026-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-10');
\endif
INSERT INTO mynahoken.public_expense_program (law_code, name, source)
VALUES ('81', '市単独 こども医療費助成', 'Example City ordinance');
SELECT mynahoken.add_trust_anchor(decode(:'anchor', 'base64'), 'authentication');
SELECT mynahoken.load_crl(decode(:'crl', 'base64'));
CREATE SCHEMA insurer;
CREATE TABLE insurer.members AS
SELECT 'M' || lpad(i::text, 6, '0') AS member_key,
       (ARRAY['01130012', '06130011', '138016', '39131018'])[1 + i % 4] AS insurer_number,
       DATE '1940-01-01' + (i * 97) % 30000 AS birth_date,
       DATE '2010-04-01' + (i * 13) % 5000 AS acquired_on,
       CASE WHEN i % 17 = 0 THEN DATE '2026-03-31' END AS lost_on,
       'E' || (i % 7) AS employer,
       i % 3 <> 0 AS my_number_linked,
       CASE WHEN i % 5 < 2 THEN DATE '2022-06-01' END AS myna_registered_on,
       NULL::date AS myna_withdrawn_on,
       CASE WHEN i % 5 < 2 THEN DATE '2026-06-30' END AS ecert_expires_on,
       CASE WHEN i % 11 = 0 THEN DATE '2025-10-01' END AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM generate_series(1, 400) AS i;
SELECT mynahoken.register_member_source('insurer.members');
CALL mynahoken.plan_issuance(DATE '2025-09-01');
CALL mynahoken.plan_issuance(DATE '2026-08-03');
SQL
}

# Recorded after the update (and in the fresh install): a change set by a
# role that is only mynahoken_calendar_author, with a source of its own.
later_data() {	# later_data DB
	"$MH_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mh_upgrade_author') THEN
    CREATE ROLE mh_upgrade_author NOLOGIN;
  END IF;
END $$;
GRANT mynahoken_calendar_author TO mh_upgrade_author;
SET ROLE mh_upgrade_author;
INSERT INTO mynahoken.legal_source (code, kind, title, issuer, issued_on)
VALUES ('city-2026-11', 'insurer_decision', '資格確認書の有効期間 (2027年度)', 'Example City', current_date);
SELECT mynahoken.record_legal_change_set(current_date, '[
  {"name": "certificate_term_months", "scope": "municipal_nhi", "valid": "[2027-04-01,)", "value": "24", "source": "city-2026-11"},
  {"name": "certificate_renewal_month", "scope": "municipal_nhi", "valid": "[2027-04-01,)", "value": "4", "source": "city-2026-11"},
  {"name": "certificate_term_months", "insurer": "138016", "valid": "[2027-04-01,)", "value": "36", "source": "city-2026-11"}]');
RESET ROLE;
SQL
}

# What the insurer's data must still be after the update.
insurer_rows() {	# insurer_rows DB FILE
	"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" >"$2" 2>&1 <<'SQL'
SET datestyle = 'ISO, YMD';
SELECT 'source', code, title FROM mynahoken.legal_source WHERE NOT shipped ORDER BY 2;
SELECT 'definition', name, value_type FROM mynahoken.legal_parameter_def WHERE NOT shipped ORDER BY 2;
SELECT 'entry', name, scope, valid, value_int, value_range FROM mynahoken.legal_parameter_entry WHERE NOT shipped ORDER BY 2, 3, 4;
SELECT 'program', law_code, name FROM mynahoken.public_expense_program WHERE NOT shipped ORDER BY 2;
SELECT 'anchor', purpose, encode(fingerprint, 'hex') FROM mynahoken.trust_anchor ORDER BY 2, 3;
SELECT 'revoked', count(*) FROM mynahoken.revoked_certificate;
SELECT 'source table', source::text FROM mynahoken.member_source;
SELECT 'run', run_id, as_of, status FROM mynahoken.issuance_run ORDER BY 2;
SELECT 'queue', document, count(*) FROM mynahoken.issuance_queue GROUP BY 2 ORDER BY 2;
-- the columns 0.1 had (0.2 adds lifecycle columns at the end)
SELECT 'queue digest', md5(string_agg((q.queue_id, q.member_key, q.document, q.acquired_on, q.issue_window, q.reason,
                                       q.valid_from, q.valid_until, q.sending_window, q.insurer_number, q.category,
                                       q.employer, q.as_of, q.run_id, q.basis_id, q.handoff_id, q.sent_on)::text,
                                      ',' ORDER BY q.queue_id)) FROM mynahoken.issuance_queue q;
SQL
}

# Decisions that read the calendar, for the comparison with a fresh install.
decisions() {	# decisions DB FILE
	"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" >"$2" 2>&1 <<'SQL'
SET datestyle = 'ISO, YMD';
SELECT c, d, k,
       CASE WHEN d >= '2024-12-02' THEN mynahoken.certificate_valid_until(c, d, k) END,
       mynahoken.legacy_card_accepted(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31', k),
       mynahoken.myna_usable_until(c, '2026-02-15', k),
       mynahoken.accepted_documents(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31', true,
                                    '2024-01-10', NULL, '2026-02-15', NULL, true, k),
       CASE WHEN d >= '2024-12-02'   -- no 資格確認書 before (an error, which would end the list)
            THEN mynahoken.certificate_need(c, d, '1950-05-05', '2020-04-01', NULL, true, NULL, NULL, NULL, NULL, k) END
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c,
       unnest(ARRAY[date '2024-12-01', '2025-07-31', '2025-08-01', '2025-12-02', '2026-03-31', '2026-04-01',
                    '2026-07-31', '2026-08-01', '2027-01-01']) AS d,
       unnest(ARRAY[NULL, date '2025-04-01', '2025-08-10', '2026-01-10', '2026-03-20', '2026-06-01']) AS k
 ORDER BY 1, 2, 3 NULLS FIRST;
SELECT mynahoken.legal_value_int('city_certificate_mailing_days', '2026-06-01');
SELECT c, a, mynahoken.acquisition_report_due(c, a), mynahoken.acquisition_report_deadline(c, a)
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c,
       unnest(ARRAY[date '2026-04-24', '2026-04-28', '2026-12-24', '2027-09-17']) AS a
 ORDER BY 1, 2;
SELECT count(*), min(day), max(day), md5(string_agg(day || name, ',' ORDER BY day)) FROM mynahoken.public_holiday;
SELECT i, d, mynahoken.transition_rules_for_insurer(i::mynahoken.insurer_number, d)
  FROM unnest(ARRAY['01130012', '06130009', '138016', '138024', '39130000']) AS i,
       unnest(ARRAY[date '2025-08-01', '2026-04-01', '2027-05-01']) AS d
 ORDER BY 1, 2;
SELECT mynahoken.explain_certificate_valid_until('municipal_nhi', '2026-10-15');
SELECT mynahoken.certificate_valid_until('municipal_nhi', '2027-05-01'),
       mynahoken.certificate_valid_until('municipal_nhi', '2027-05-01', current_date - 1);
-- (change sets recorded after the update: entries recorded under 0.1 belong to none)
SELECT recorded_by, recorded_on, backdated, reason, cardinality(entries) FROM mynahoken.legal_change_sets
 WHERE recorded_on = current_date ORDER BY change_set_id;
SQL
}

fresh=mh_upgrade_fresh_$$
newdb "$fresh"
q "$fresh" "CREATE EXTENSION mynahoken" >/dev/null
"$MH_BINDIR/psql" -X -q -d "$fresh" -f "$here/lib/extension_catalog.sql" >"$work/fresh.catalog" 2>&1
"$MH_BINDIR/psql" -X -q -d "$fresh" -f "$here/lib/extension_data.sql" >"$work/fresh.data" 2>&1
insurer_data "$fresh" >"$work/fresh.setup" 2>&1
tap $? "a fresh $current install takes the insurer's data" "$work/fresh.setup"
later_data "$fresh" >"$work/fresh.later" 2>&1
tap $? "a fresh $current install takes a change set of the author role" "$work/fresh.later"
decisions "$fresh" "$work/fresh.decisions"
[ "$(grep -c '^[a-z_]*|' "$work/fresh.decisions")" -gt 300 ] && ! grep -q '^ERROR' "$work/fresh.decisions"
tap $? "the decisions of a fresh install run without error ($(wc -l <"$work/fresh.decisions") lines)" "$work/fresh.decisions"

[ -n "$shipped" ]
tap $? "there is a shipped version to update from (found: $(echo $shipped))"

for v in $shipped; do
	db=mh_upgrade_${v//./_}_$$
	newdb "$db"
	q "$db" "CREATE EXTENSION mynahoken VERSION '$v'" >"$work/create.err" 2>&1
	tap $? "$v: CREATE EXTENSION mynahoken VERSION '$v'" "$work/create.err"
	insurer_data "$db" >"$work/$v.setup" 2>&1
	tap $? "$v: the insurer's data is recorded" "$work/$v.setup"
	insurer_rows "$db" "$work/$v.before"
	q "$db" "ALTER EXTENSION mynahoken UPDATE" >"$work/update.err" 2>&1
	tap $? "$v: ALTER EXTENSION mynahoken UPDATE runs" "$work/update.err"
	got=$(q "$db" "SELECT extversion FROM pg_extension WHERE extname = 'mynahoken'")
	[ "$got" = "$current" ]
	tap $? "$v: the extension is now at $current (got $got)"
	"$MH_BINDIR/psql" -X -q -d "$db" -f "$here/lib/extension_catalog.sql" >"$work/$v.catalog" 2>&1
	[ "$(wc -l <"$work/fresh.catalog")" -gt 500 ]
	tap $? "$v: the catalog description is not empty ($(wc -l <"$work/fresh.catalog") lines)"
	same "$work/fresh.catalog" "$work/$v.catalog" \
		"$v: every object of the updated extension equals a fresh $current install"
	"$MH_BINDIR/psql" -X -q -d "$db" -f "$here/lib/extension_data.sql" >"$work/$v.data" 2>&1
	same "$work/fresh.data" "$work/$v.data" "$v: the shipped reference rows equal a fresh $current install's"
	insurer_rows "$db" "$work/$v.after"
	same "$work/$v.before" "$work/$v.after" "$v: every row of the insurer is still there"
	later_data "$db" >"$work/$v.later" 2>&1
	tap $? "$v: after the update the author role records a change set" "$work/$v.later"
	decisions "$db" "$work/$v.decisions"
	same "$work/fresh.decisions" "$work/$v.decisions" \
		"$v: decisions equal those of a fresh $current install with the same insurer data"
done

# pg_cron jobs scheduled by an old version get the current command: the
# update rewrites them (in the database pg_cron runs in, when mynahoken is not
# installed there already).
cron_db=$(q postgres "SELECT current_setting('cron.database_name', true)")
if [ -n "$cron_db" ] && [ "$(q "$cron_db" "SELECT count(*) FROM pg_extension WHERE extname = 'mynahoken'")" = 0 ]; then
	for v in $shipped; do
		had_cron=$(q "$cron_db" "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
		"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$cron_db" >"$work/cron.out" 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION mynahoken VERSION '$v';
SELECT mynahoken.schedule_issuance('0 17 * * *', 'mh-upgrade-test-5', 5)
     + mynahoken.schedule_issuance('0 17 * * *', 'mh-upgrade-test-0', 0) > 0;
ALTER EXTENSION mynahoken UPDATE;
SELECT string_agg(command OPERATOR(pg_catalog.=) mynahoken.issuance_cron_command(substr(jobname, 17)::int)
                  || ' ' || schedule, ',' ORDER BY jobname)
  FROM cron.job WHERE jobname LIKE 'mh-upgrade-test-%';
SELECT mynahoken.unschedule_issuance('mh-upgrade-test-5'), mynahoken.unschedule_issuance('mh-upgrade-test-0');
DROP EXTENSION mynahoken;
SQL
		grep -qx 'true 0 17 \* \* \*,true 0 17 \* \* \*' "$work/cron.out"
		tap $? "$v: pg_cron jobs scheduled before the update run the current command after it" "$work/cron.out"
		[ "$had_cron" = 0 ] && q "$cron_db" "DROP EXTENSION pg_cron" >/dev/null 2>&1
	done
fi

echo "1..$n"
