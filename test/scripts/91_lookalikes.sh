#!/usr/bin/env bash
# Name resolution under a hostile search_path (issue 9, "Escalation and
# capture").  A role that can CREATE only in its own schema "evil" clones
# every function, procedure, aggregate, operator, type and relation of
# pg_catalog and mynahoken there (test/scripts/lib/lookalikes.sql); each clone
# reports "mh-lookalike-ran" when it runs.  Then, as superuser, with "evil"
# first on the search_path, every routine of the extension is run (the list
# below must name every one; internal routines run through plan_issuance),
# the views are read, and the pg_cron command is executed: not one clone may
# run, in the client's output or the server log.
#
# Controls that show the test can fail: an unqualified call under the same
# search_path does reach a clone, and so does plan_issuance of version 0.1.
#
# Runs in the database named by cron.database_name so that schedule_issuance
# really schedules.  Prints TAP.  Needs PGHOST, MH_BINDIR and MH_TMP.
set -uo pipefail
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DB=postgres
OLD=mh_lookalike_old_$$
work="$MH_TMP/lookalike.$$"
mkdir -p "$work"
chmod 777 "$work"
log="$MH_TMP/server.log"
PSQL=("$MH_BINDIR/psql" -X -q)

n=0
tap() {	# tap RC DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -n 40
	fi
}

had_mh=$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'mynahoken'")
had_cron=$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
cleanup() {
	"${PSQL[@]}" -d "$DB" >/dev/null 2>&1 <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS evil CASCADE;
DROP SCHEMA IF EXISTS lookalike_test CASCADE;
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'mh-lookalike-test';
TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection,
         mynahoken.issuance_handoff, mynahoken.issuance_basis, mynahoken.member_source,
         mynahoken.issuance_review, mynahoken.issuance_recall;
DELETE FROM mynahoken.trust_anchor;
DELETE FROM mynahoken.revoked_certificate;
DROP FUNCTION IF EXISTS mynahoken.rule_eval_certificate_need(date, date);
DROP FUNCTION IF EXISTS mynahoken.rule_decide_certificate_need(date, date, jsonb);
DROP FUNCTION IF EXISTS mynahoken.rule_trace_certificate_need(date, date);
DROP FUNCTION IF EXISTS mynahoken.rule_eval_certificate_valid_until(date, date);
DROP FUNCTION IF EXISTS mynahoken.rule_decide_certificate_valid_until(date, date, jsonb);
TRUNCATE mynahoken.rule_row, mynahoken.rule_test, mynahoken.rule_change_set_version, mynahoken.rule_version, mynahoken.rule_compiled;
DELETE FROM mynahoken.rule_table WHERE NOT shipped;
DELETE FROM mynahoken.rule_outcome WHERE NOT shipped;
DELETE FROM mynahoken.rule_fact WHERE NOT shipped;
$([ "$had_mh" = 0 ] && echo 'DROP EXTENSION IF EXISTS mynahoken CASCADE;')
$([ "$had_cron" = 0 ] && echo 'DROP EXTENSION IF EXISTS pg_cron CASCADE;')
SQL
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $OLD" >/dev/null 2>&1
	"${PSQL[@]}" -d postgres -c "DROP ROLE IF EXISTS mh_attacker" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

fixture() { base64 -w0 "$root/test/fixtures/jpki/$1"; }

# The insurer's side: a member source, fixtures, tables for binary COPY.
setup() {	# setup DB
	"${PSQL[@]}" -v ON_ERROR_STOP=1 -d "$1" \
		-v ee="$(fixture auth-ee.der)" -v root="$(fixture auth-root-g2.der)" -v crl="$(fixture auth-g2.crl)" \
		-v sign="$(fixture sign-ee.der)" -v data="$(fixture sign-data.bin)" -v sig="$(fixture sign-data.sig)" <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS lookalike_test CASCADE;
CREATE SCHEMA lookalike_test;
CREATE TABLE lookalike_test.fx (name text PRIMARY KEY, bytes bytea NOT NULL);
INSERT INTO lookalike_test.fx VALUES ('auth-ee', decode(:'ee', 'base64')), ('auth-root-g2', decode(:'root', 'base64')),
  ('auth-g2', decode(:'crl', 'base64')), ('sign-ee', decode(:'sign', 'base64')),
  ('sign-data', decode(:'data', 'base64')), ('sign-data.sig', decode(:'sig', 'base64'));
CREATE TABLE lookalike_test.members AS
SELECT i::text AS member_key, (ARRAY['01130012', '06130011', '138016', '39131018'])[1 + i % 4] AS insurer_number,
       DATE '1940-01-01' + (i * 97) % 30000 AS birth_date, DATE '2010-04-01' + (i * 13) % 5000 AS acquired_on,
       CASE WHEN i % 17 = 0 THEN DATE '2026-03-31' END AS lost_on, 'E' || (i % 3) AS employer,
       i % 3 <> 0 AS my_number_linked, CASE WHEN i % 5 < 2 THEN DATE '2022-06-01' END AS myna_registered_on,
       NULL::date AS myna_withdrawn_on, CASE WHEN i % 5 < 2 THEN DATE '2026-06-30' END AS ecert_expires_on,
       CASE WHEN i % 11 = 0 THEN DATE '2025-10-01' END AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM generate_series(1, 300) AS i;
SELECT mynahoken.register_member_source('lookalike_test.members');
-- Linkage checks (issue 14): members, J-LIS answers (one differs), a run.
CREATE TABLE lookalike_test.link_m AS
SELECT 'L' || i AS insured_key, 'H' || (i / 2) AS household, mynahoken.tokenize('123456789018') AS token,
       mynahoken.seal('123456789018') AS sealed, 'jlis_lookup_weak' AS provenance, false AS number_confirmed,
       NULL::mynahoken.mynumber_token AS sent_token, '髙橋 一' || i AS kanji_name, 'たかはし' || i AS kana_name,
       '本町一丁目' || i || '番' AS address, DATE '1980-01-01' + i AS birth_date, 1 + i % 2 AS sex
  FROM generate_series(1, 6) AS i;
CREATE TABLE lookalike_test.link_j AS
SELECT insured_key, token, DATE '2026-11-01' AS asked_on, 'own_query' AS source, true AS found,
       kanji_name, kana_name, address, birth_date + (insured_key = 'L3')::int AS birth_date, sex,
       'row ' || insured_key AS source_ref
  FROM lookalike_test.link_m;
INSERT INTO mynahoken.kanji_variant VALUES ('髙', '高', 'reviewed') ON CONFLICT DO NOTHING;
SELECT mynahoken.linkage_load_members('lookalike_test.link_m');
SELECT mynahoken.linkage_load_jlis('lookalike_test.link_j');
CALL mynahoken.linkage_check_nightly(true);
SQL
}

# The attacker: CREATE in its own schema, nothing else.
attacker() {	# attacker DB
	"${PSQL[@]}" -v ON_ERROR_STOP=1 -d "$1" >"$work/attacker.$1" 2>&1 <<SQL
SET client_min_messages = warning;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mh_attacker') THEN CREATE ROLE mh_attacker NOLOGIN; END IF;
END \$\$;
DROP SCHEMA IF EXISTS evil CASCADE;
CREATE SCHEMA evil AUTHORIZATION mh_attacker;
SET ROLE mh_attacker;
\i $here/lib/lookalikes.sql
SQL
}

"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" -c "CREATE EXTENSION IF NOT EXISTS mynahoken" >/dev/null 2>&1
setup "$DB" >"$work/setup" 2>&1
tap $? "the member source and fixtures are set up" "$work/setup"
attacker "$DB"
tap $? "the attacker's look-alikes are created" "$work/attacker.$DB"
made=$(sed -n 's/.*lookalike \([a-z]*\): \([0-9]*\) made.*/\1=\2/p' "$work/attacker.$DB" | tr '\n' ' ')
funcs=$(sed -n 's/.*lookalike functions: \([0-9]*\) made.*/\1/p' "$work/attacker.$DB")
ops=$(sed -n 's/.*lookalike operators: \([0-9]*\) made.*/\1/p' "$work/attacker.$DB")
[ "${funcs:-0}" -gt 2000 ] && [ "${ops:-0}" -gt 500 ]
tap $? "look-alikes of every kind exist ($made)" "$work/attacker.$DB"

# One call per routine: generated under a safe search_path, with arguments by
# type (every expression qualified), run under the hostile one.
"${PSQL[@]}" -At -v ON_ERROR_STOP=1 -d "$DB" -v dir="$work" >"$work/calls.sql" 2>"$work/gen.err" <<'SQL'
SET search_path = pg_catalog, pg_temp;
CREATE TEMP TABLE sample (t regtype PRIMARY KEY, expr text NOT NULL);
INSERT INTO sample VALUES
  ('text', $$'x'::pg_catalog.text$$),
  ('date', $$'2026-08-03'::pg_catalog.date$$),
  ('boolean', 'true'),
  ('integer', '1'),
  ('bigint', '1::pg_catalog.int8'),
  ('bytea', $$(SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-ee')$$),
  ('timestamptz', $$'2026-08-03 09:00:00+09'::pg_catalog.timestamptz$$),
  ('daterange', $$'[2026-01-01,)'::pg_catalog.daterange$$),
  ('regclass', $$'lookalike_test.members'::pg_catalog.regclass$$),
  ('jsonb', $${}'::pg_catalog.jsonb$$),
  ('jsonb[]', $$ARRAY['{}'::pg_catalog.jsonb]$$),
  ('name[]', $$'{pg_catalog,public,mynahoken}'::pg_catalog.name[]$$),
  ('mynahoken.insurer_number', $$'01130012'::mynahoken.insurer_number$$),
  ('mynahoken.public_payer_number', $$'54016027'::mynahoken.public_payer_number$$),
  ('mynahoken.public_recipient_number', $$'1234566'::mynahoken.public_recipient_number$$),
  ('mynahoken.mynumber_token', $$mynahoken.tokenize('123456789018'::pg_catalog.text)$$),
  ('mynahoken.mynumber_sealed', $$mynahoken.seal('123456789018'::pg_catalog.text)$$),
  ('mynahoken.certificate_usage', $$'authentication'::mynahoken.certificate_usage$$),
  ('mynahoken.insurer_category', $$'kyokai_kenpo'::mynahoken.insurer_category$$),
  ('mynahoken.transition_rules', $$mynahoken.transition_rules('kyokai_kenpo'::mynahoken.insurer_category, '2026-08-03'::pg_catalog.date, NULL::pg_catalog.date)$$),
  ('mynahoken.certificate_reason', $$'not_needed'::mynahoken.certificate_reason$$),
  ('mynahoken.legal_parameter_entry', $$(SELECT e FROM mynahoken.legal_parameter_entry AS e WHERE e.name OPERATOR(pg_catalog.=) 'certificate_term_months' LIMIT 1)$$),
  ('mynahoken.legal_value_type', $$'int'::mynahoken.legal_value_type$$),
  ('mynahoken.legal_key_range', $$mynahoken.legal_key_range('a'::pg_catalog.text, 'b'::pg_catalog.text)$$),
  ('mynahoken.legal_key_range[]', $$ARRAY[mynahoken.legal_key_range('a'::pg_catalog.text, 'b'::pg_catalog.text)]$$),
  ('mynahoken.issuance_document', $$'certificate'::mynahoken.issuance_document$$);
UPDATE sample SET expr = $$'{}'::pg_catalog.jsonb$$ WHERE t = 'jsonb'::regtype;

-- Calls that need more than one sample per type, or a statement of their own.
CREATE TEMP TABLE special (routine text, stmt text);
INSERT INTO special VALUES
  ('tokenize(text)', $$SELECT mynahoken.tokenize('123456789018'::pg_catalog.text)$$),
  ('tokenize(text,integer)', $$SELECT mynahoken.tokenize('123456789018'::pg_catalog.text, 2)$$),
  ('tokenize_all(text)', $$SELECT mynahoken.tokenize_all('123456789018'::pg_catalog.text)$$),
  ('mynumber_last4(text)', $$SELECT mynahoken.mynumber_last4('123456789018'::pg_catalog.text)$$),
  ('seal(text)', $$SELECT mynahoken.seal('123456789018'::pg_catalog.text)$$),
  ('mynumber_is_valid(text)', $$SELECT mynahoken.mynumber_is_valid('1234 5678 9018'::pg_catalog.text)$$),
  ('mynumber_problem(text)', $$SELECT mynahoken.mynumber_problem('123456789019'::pg_catalog.text)$$),
  ('insurer_number(text)', $$SELECT mynahoken.insurer_number('01130012'::pg_catalog.text)$$),
  ('insurer_number_is_valid(text)', $$SELECT mynahoken.insurer_number_is_valid('01130012'::pg_catalog.text)$$),
  ('public_payer_number(text)', $$SELECT mynahoken.public_payer_number('54016027'::pg_catalog.text)$$),
  ('public_payer_number_is_valid(text)', $$SELECT mynahoken.public_payer_number_is_valid('54016027'::pg_catalog.text)$$),
  ('public_recipient_number(text)', $$SELECT mynahoken.public_recipient_number('1234566'::pg_catalog.text)$$),
  ('public_recipient_number_is_valid(text)', $$SELECT mynahoken.public_recipient_number_is_valid('1234566'::pg_catalog.text)$$),
  ('corporate_number_is_valid(text)', $$SELECT mynahoken.corporate_number_is_valid('1234567890123'::pg_catalog.text)$$),
  ('insured_key(mynahoken.insurer_number,text,text,text)',
   $$SELECT mynahoken.insured_key('01130012'::mynahoken.insurer_number, '12'::pg_catalog.text, '345'::pg_catalog.text, '1'::pg_catalog.text)$$),
  ('verify_signature(bytea,bytea,bytea,timestamp with time zone,mynahoken.certificate_usage)',
   $$SELECT mynahoken.verify_signature((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'sign-ee'),
       (SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'sign-data'),
       (SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'sign-data.sig'),
       '2026-08-03 09:00:00+09'::pg_catalog.timestamptz, 'signature'::mynahoken.certificate_usage)$$),
  ('inspect_trust_anchor(bytea)', $$SELECT mynahoken.inspect_trust_anchor((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-root-g2'))$$),
  ('add_trust_anchor(bytea,mynahoken.certificate_usage,bytea,text)',
   $$SELECT mynahoken.add_trust_anchor((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-root-g2'), 'authentication'::mynahoken.certificate_usage, NULL::pg_catalog.bytea, 'g2'::pg_catalog.text)$$),
  ('trust_anchor_changed()', $$SELECT mynahoken.verify_certificate((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-ee'), 'authentication'::mynahoken.certificate_usage, '2026-08-03 09:00:00+09'::pg_catalog.timestamptz)$$),
  ('crl_entries(bytea)', $$SELECT mynahoken.crl_entries((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-g2'))$$),
  ('load_crl(bytea)', $$SELECT mynahoken.load_crl((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-g2'))$$),
  ('crl_facts(bytea)', $$SELECT mynahoken.crl_facts((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-g2-release'))$$),
  ('remove_trust_anchor(bytea)', $$SELECT mynahoken.remove_trust_anchor(pg_catalog.sha256((SELECT f.bytes FROM lookalike_test.fx AS f WHERE f.name OPERATOR(pg_catalog.=) 'auth-root-g2')))$$),
  ('legal_calendar_guard()', $$DELETE FROM mynahoken.legal_parameter_entry AS e WHERE e.shipped AND e.name OPERATOR(pg_catalog.=) 'certificate_term_months'$$),
  ('issuance_queue_forget()', $$DELETE FROM mynahoken.issuance_queue AS q WHERE q.member_key OPERATOR(pg_catalog.=) 'no such member'$$),
  ('issuance_queue_wait_for_run()', $$INSERT INTO mynahoken.issuance_queue SELECT * FROM mynahoken.issuance_queue AS q WHERE q.member_key OPERATOR(pg_catalog.=) 'no such member'$$),
  ('record_legal_parameter(text,mynahoken.insurer_category,daterange,text,bigint,date,boolean,text,boolean,text,mynahoken.insurer_number)',
   $$SELECT mynahoken.record_legal_parameter('certificate_term_months'::pg_catalog.text, 'municipal_nhi'::mynahoken.insurer_category, '[2027-04-01,)'::pg_catalog.daterange, '12'::pg_catalog.text, (SELECT s.source_id FROM mynahoken.legal_source AS s ORDER BY s.source_id LIMIT 1), CURRENT_DATE, true, 'look-alike test'::pg_catalog.text, false, NULL::pg_catalog.text, '138016'::mynahoken.insurer_number)$$),
  ('legal_entry_for_insurer(text,date,mynahoken.insurer_number,date)',
   $$SELECT mynahoken.legal_entry_for_insurer('certificate_term_months'::pg_catalog.text, '2026-08-03'::pg_catalog.date, '138016'::mynahoken.insurer_number, NULL::pg_catalog.date)$$),
  ('legal_entry_held_at(text,date,mynahoken.insurer_category,timestamp with time zone,date)',
   $$SELECT mynahoken.legal_entry_held_at('certificate_term_months'::pg_catalog.text, '2026-08-03'::pg_catalog.date, 'municipal_nhi'::mynahoken.insurer_category, CURRENT_TIMESTAMP, NULL::pg_catalog.date)$$),
  ('legal_record_entry(bigint,date,text,mynahoken.insurer_category,daterange,text,bigint,boolean,text,boolean,mynahoken.insurer_number)',
   'SELECT ''run by record_legal_parameter and record_legal_change_set'' AS covered'),
  ('record_legal_change_set(date,jsonb,text,text)',
   $$SELECT mynahoken.record_legal_change_set(CURRENT_DATE, '[{"name": "certificate_term_months", "scope": "municipal_nhi", "valid": "[2028-04-01,)", "value": "24", "source": "mynahoken-default"}, {"name": "certificate_renewal_month", "scope": "municipal_nhi", "valid": "[2028-04-01,)", "value": "4", "source": "mynahoken-default"}]'::pg_catalog.jsonb, NULL::pg_catalog.text, 'look-alike test'::pg_catalog.text)$$),
  ('explain_issuance(text,date,date)', $$SELECT mynahoken.explain_issuance('4'::pg_catalog.text, '2026-08-03'::pg_catalog.date, NULL::pg_catalog.date)$$),
  ('prepare_handoff(text,date,integer,integer)', $$SELECT mynahoken.prepare_handoff('E1'::pg_catalog.text, '2026-08-04'::pg_catalog.date, 60, 14)$$),
  ('mark_handoff_sent(bigint,date)', $$SELECT mynahoken.mark_handoff_sent((SELECT pg_catalog.max(h.handoff_id) FROM mynahoken.issuance_handoff AS h), '2026-08-04'::pg_catalog.date)$$),
  ('schedule_issuance(text,text,integer)', $$SELECT mynahoken.schedule_issuance('0 17 * * *'::pg_catalog.text, 'mh-lookalike-test'::pg_catalog.text, 3)$$),
  ('unschedule_issuance(text)', $$SELECT mynahoken.unschedule_issuance('mh-lookalike-test'::pg_catalog.text)$$),
  ('issuance_cron_command(integer)', $$SELECT mynahoken.issuance_cron_command(3) \gexec$$),
  ('cron_query(text)', $$SELECT mynahoken.cron_query('SELECT pg_catalog.current_database()::pg_catalog.text'::pg_catalog.text)$$),
  ('cron_schedule(text,text,text)', 'SELECT ''run by schedule_issuance'' AS covered'),
  ('cron_unschedule(text)', 'SELECT ''run by unschedule_issuance'' AS covered'),
  ('issuance_health(integer,date)', $$SELECT * FROM mynahoken.issuance_health(7, '2026-08-04'::pg_catalog.date)$$),
  ('issuance_cron_runs(text)', $$SELECT * FROM mynahoken.issuance_cron_runs('mh-lookalike-test'::pg_catalog.text)$$),
  ('plan_issuance(date,integer,integer,date,integer,integer,boolean)', $$CALL mynahoken.plan_issuance('2025-09-01'::pg_catalog.date)$$),
  ('plan_issuance(date,integer,integer,date,integer,integer,boolean)', $$CALL mynahoken.plan_issuance('2026-08-03'::pg_catalog.date, 50, 60, NULL::pg_catalog.date, 0, 1)$$),
  ('plan_issuance(date,integer,integer,date,integer,integer,boolean)', $$CALL mynahoken.plan_issuance('2026-08-03'::pg_catalog.date, 50, 60, '2026-01-01'::pg_catalog.date, 0, 0, false)$$),
  ('prepare_handoffs(date,integer,integer)', $$SELECT mynahoken.prepare_handoffs('2026-08-04'::pg_catalog.date, 60, 14)$$),
  -- Issue 13, lifecycle: a review, a recall returned and closed.
  ('review_issuance(date,integer,integer)', $$SELECT mynahoken.review_issuance('2026-09-01'::pg_catalog.date, 60, 14)$$),
  ('mark_recall_returned(bigint,date)', $$SELECT mynahoken.mark_recall_returned(c.recall_id, '2026-09-02'::pg_catalog.date) FROM mynahoken.issuance_recall AS c WHERE c.closed_on IS NULL LIMIT 1$$),
  ('close_recalls(date,integer)', $$SELECT mynahoken.close_recalls('2026-12-01'::pg_catalog.date, 60)$$),
  ('issuance_send_by(mynahoken.issuance_document,date,daterange,integer)', $$SELECT mynahoken.issuance_send_by('notice'::mynahoken.issuance_document, '2026-08-03'::pg_catalog.date, '[2026-08-03,2026-08-17)'::pg_catalog.daterange, 14)$$),
  ('issuance_ground(mynahoken.issuance_document,text,text,boolean,date,date)', $$SELECT mynahoken.issuance_ground('certificate'::mynahoken.issuance_document, 'on_request'::pg_catalog.text, 'not_needed'::pg_catalog.text, true, '2022-01-01'::pg_catalog.date, NULL::pg_catalog.date)$$),
  ('issuance_need_safe(mynahoken.insurer_category,date,date,date,date,boolean,date,date,date,date)', $$SELECT mynahoken.issuance_need_safe('municipal_nhi'::mynahoken.insurer_category, '2026-08-03'::pg_catalog.date, '1980-01-01'::pg_catalog.date, '2010-04-01'::pg_catalog.date, NULL::pg_catalog.date, true, NULL::pg_catalog.date, NULL::pg_catalog.date, NULL::pg_catalog.date, NULL::pg_catalog.date)$$),
  ('issuance_recall_basis()', $$SELECT mynahoken.issuance_recall_basis()$$),
  ('issuance_review_run(date,boolean,text,integer,integer)', 'SELECT ''run by review_issuance and prepare_handoff'' AS covered'),
  ('issuance_batch(text,date,bigint,integer)', 'SELECT ''run by prepare_handoff'' AS covered'),
  ('facts_digest("any")', $$SELECT mynahoken.facts_digest('K1'::pg_catalog.text, '2025-09-01'::pg_catalog.date, NULL::pg_catalog.bool)$$);
-- Type I/O: text forms through the input functions, binary forms through COPY.
INSERT INTO special
SELECT u.ty || '_in(cstring)', format('SELECT mynahoken.%s_in(mynahoken.%s_out(%s))', u.ty, u.ty, s.expr)
  FROM unnest(ARRAY['insurer_number', 'public_payer_number', 'public_recipient_number', 'mynumber_token', 'mynumber_sealed']) AS u(ty)
  JOIN sample s ON s.t = ('mynahoken.' || u.ty)::regtype
UNION ALL
SELECT u.ty || '_recv(internal)',
       format('COPY (SELECT %s) TO %L (FORMAT binary); CREATE TEMP TABLE IF NOT EXISTS recv_%s (v mynahoken.%s); COPY pg_temp.recv_%s FROM %L (FORMAT binary)',
              s.expr, :'dir' || '/' || u.ty || '.bin', u.ty, u.ty, u.ty, :'dir' || '/' || u.ty || '.bin')
  FROM unnest(ARRAY['insurer_number', 'public_payer_number', 'public_recipient_number', 'mynumber_token', 'mynumber_sealed']) AS u(ty)
  JOIN sample s ON s.t = ('mynahoken.' || u.ty)::regtype;
-- Internal routines, run by the routines that call them.
INSERT INTO special
SELECT r, 'SELECT ''run by plan_issuance'' AS covered'
  FROM unnest(ARRAY['issuance_lock_key()', 'issuance_lock_holder()', 'issuance_basis_id(mynahoken.issuance_document,mynahoken.insurer_category,text,jsonb,jsonb,bigint)',
                    'issuance_merge_explanations(jsonb[])', 'issuance_begin(date,date,integer,integer,integer)', 'issuance_prepare(bigint)',
                    'issuance_candidates(date,date,bigint,bigint)', 'issuance_certificate_basis(bigint,date,date,mynahoken.insurer_category,text,bigint)',
                    'issuance_plan_rows(bigint,date,date,bigint,bigint)', 'issuance_chunk(bigint,bigint,bigint)', 'issuance_end(bigint,text)',
                    'check_member_source(regclass)']) AS r
UNION ALL SELECT 'legal_entry_at(text,date,mynahoken.insurer_category,date)', 'SELECT ''run by legal_value_*'' AS covered';
-- The calendar's readers, with a parameter that exists.
INSERT INTO special
SELECT f || '(text,date,mynahoken.insurer_category,date)',
       format('SELECT mynahoken.%s(''certificate_term_months''::pg_catalog.text, ''2026-08-03''::pg_catalog.date, ''municipal_nhi''::mynahoken.insurer_category, NULL::pg_catalog.date)', f)
  FROM unnest(ARRAY['legal_parameter_at', 'legal_value_date', 'legal_value_int', 'legal_value_bool', 'legal_value_range', 'legal_value_text']) AS f;
INSERT INTO special VALUES
  ('legal_key_range(text,text,text)', $$SELECT mynahoken.legal_key_range('a'::pg_catalog.text, 'b'::pg_catalog.text, '[]'::pg_catalog.text)$$),
  ('legal_key_multirange(mynahoken.legal_key_range[])', $$SELECT mynahoken.legal_key_multirange(VARIADIC ARRAY[mynahoken.legal_key_range('a'::pg_catalog.text, 'b'::pg_catalog.text)])$$),
  ('card_branch_normalize(text,boolean)', $$SELECT mynahoken.card_branch_normalize('1'::pg_catalog.text, false)$$),
  ('issuance_try_lock(integer,integer)', $$SELECT mynahoken.issuance_try_lock(7::pg_catalog.int4, 8::pg_catalog.int4)$$),
  ('issuance_unlock(integer,integer)', $$SELECT mynahoken.issuance_unlock(7::pg_catalog.int4, 8::pg_catalog.int4)$$);
-- Linkage checks (issue 14).
INSERT INTO sample VALUES
  ('bytea[]', $$mynahoken.linkage_digests('タナカ'::pg_catalog.text, 'kana'::pg_catalog.text)$$);
INSERT INTO special VALUES
  ('linkage_digests(text,text,text,text)', $$SELECT mynahoken.linkage_digests('髙橋 ﾀﾛｳ'::pg_catalog.text, 'kanji'::pg_catalog.text, '髙'::pg_catalog.text, '高'::pg_catalog.text)$$),
  ('linkage_last4_matches(mynahoken.mynumber_sealed,text)', $$SELECT mynahoken.linkage_last4_matches(mynahoken.seal('123456789018'::pg_catalog.text), '9018'::pg_catalog.text)$$),
  ('linkage_source_check(regclass,text[])', $$SELECT mynahoken.linkage_source_check('lookalike_test.link_m'::pg_catalog.regclass, ARRAY['insured_key'::pg_catalog.text])$$),
  ('linkage_load_members(regclass)', $$SELECT mynahoken.linkage_load_members('lookalike_test.link_m'::pg_catalog.regclass)$$),
  ('linkage_load_jlis(regclass)', $$SELECT mynahoken.linkage_load_jlis('lookalike_test.link_j'::pg_catalog.regclass)$$),
  ('record_member_report(text,text,text,text,date)', $$SELECT mynahoken.record_member_report('L1'::pg_catalog.text, '9018'::pg_catalog.text, 'last4_ok'::pg_catalog.text, 'mail'::pg_catalog.text, '2026-11-02'::pg_catalog.date)$$),
  ('linkage_begin_run(boolean,integer)', $$SELECT mynahoken.linkage_run_batch(mynahoken.linkage_begin_run(false, 2))$$),
  ('linkage_run_batch(bigint)', $$SELECT mynahoken.linkage_run_batch((SELECT pg_catalog.max(r.run_id) FROM mynahoken.linkage_run AS r))$$),
  ('linkage_check_nightly(boolean,integer,boolean)', $$CALL mynahoken.linkage_check_nightly(true, 2)$$),
  ('linkage_check_nightly(boolean,integer,boolean)', $$CALL mynahoken.linkage_check_nightly()$$),
  ('linkage_case_assign(bigint,regrole)', $$SELECT mynahoken.linkage_case_assign((SELECT pg_catalog.min(c.case_id) FROM mynahoken.linkage_case AS c), 'mynahoken_linkage_clerk'::pg_catalog.regrole)$$),
  ('linkage_case_transition(bigint,mynahoken.linkage_case_state,text)', $$SELECT mynahoken.linkage_case_transition((SELECT pg_catalog.min(c.case_id) FROM mynahoken.linkage_case AS c), 'awaiting_member'::mynahoken.linkage_case_state, 'asked_member'::pg_catalog.text)$$),
  ('explain_linkage_case(bigint)', $$SELECT mynahoken.explain_linkage_case((SELECT pg_catalog.min(c.case_id) FROM mynahoken.linkage_case AS c))$$),
  ('schedule_linkage_check(text,text,boolean)', $$SELECT mynahoken.schedule_linkage_check('30 17 * * *'::pg_catalog.text, 'mh-lookalike-link'::pg_catalog.text, false)$$),
  ('unschedule_linkage_check(text)', $$SELECT mynahoken.unschedule_linkage_check('mh-lookalike-link'::pg_catalog.text)$$),
  ('linkage_cron_command(boolean)', $$SELECT mynahoken.linkage_cron_command(false) \gexec$$),
  ('linkage_check_result(mynahoken.mynumber_token,mynahoken.mynumber_token,mynahoken.linkage_provenance,boolean,bytea[],bytea[],bytea[],bytea,bytea,bigint,mynahoken.mynumber_token,boolean,bytea[],bytea[],bytea[],bytea,bytea,text,boolean,boolean,boolean,smallint[],boolean[])',
   $$SELECT mynahoken.linkage_check_result(NULL::mynahoken.mynumber_token, NULL::mynahoken.mynumber_token, 'unknown'::mynahoken.linkage_provenance, false, NULL::pg_catalog.bytea[], NULL::pg_catalog.bytea[], NULL::pg_catalog.bytea[], NULL::pg_catalog.bytea, NULL::pg_catalog.bytea, NULL::pg_catalog.int8, NULL::mynahoken.mynumber_token, NULL::pg_catalog.bool, NULL::pg_catalog.bytea[], NULL::pg_catalog.bytea[], NULL::pg_catalog.bytea[], NULL::pg_catalog.bytea, NULL::pg_catalog.bytea, NULL::pg_catalog.text, NULL::pg_catalog.bool, false, false, (SELECT pg_catalog.array_agg(0::pg_catalog.int2) FROM pg_catalog.unnest(mynahoken.linkage_reason_list())), (SELECT pg_catalog.array_agg(false) FROM pg_catalog.unnest(mynahoken.linkage_reason_list())))$$),
  ('linkage_swap_candidate(mynahoken.mynumber_token,mynahoken.mynumber_token,boolean,bytea,bytea,bytea[],bytea,bytea,bytea[])',
   $$SELECT mynahoken.linkage_swap_candidate(m.token, m.jlis_token, m.jlis_found, m.birth_date_digest, m.sex_digest, m.kana_digest, m.jlis_birth_date_digest, m.jlis_sex_digest, m.jlis_kana_digest) FROM mynahoken.linkage_member AS m$$),
  ('linkage_member_result(mynahoken.mynumber_token,mynahoken.mynumber_token,boolean,boolean,bytea[],bytea[],bytea[],bytea,bytea,bigint,mynahoken.mynumber_token,boolean,bytea[],bytea[],bytea[],bytea,bytea,text,boolean)',
   $$SELECT mynahoken.linkage_member_result(m.token, m.sent_token, true, false, m.kanji_digest, m.kana_digest, m.address_digest, m.birth_date_digest, m.sex_digest, m.jlis_response_id, m.jlis_token, m.jlis_found, m.jlis_kanji_digest, m.jlis_kana_digest, m.jlis_address_digest, m.jlis_birth_date_digest, m.jlis_sex_digest, m.report_claim, m.report_last4_matches) FROM mynahoken.linkage_member AS m$$),
  ('linkage_result_finish(bigint,boolean,boolean,smallint[],boolean[])',
   $$SELECT mynahoken.linkage_result_finish(m.own_result, true, false, (SELECT pg_catalog.array_agg(0::pg_catalog.int2) FROM pg_catalog.unnest(mynahoken.linkage_reason_list())), (SELECT pg_catalog.array_agg(false) FROM pg_catalog.unnest(mynahoken.linkage_reason_list()))) FROM mynahoken.linkage_member AS m$$),
  ('linkage_reason_list()', $$SELECT mynahoken.linkage_reason_list()$$),
  ('linkage_result_reasons(bigint)', $$SELECT mynahoken.linkage_result_reasons(c.result) FROM mynahoken.linkage_check AS c$$),
  ('linkage_result_severity(bigint)', $$SELECT mynahoken.linkage_result_severity(c.result) FROM mynahoken.linkage_check AS c$$),
  ('linkage_result_level(bigint,integer)', $$SELECT mynahoken.linkage_result_level(c.result, 1) FROM mynahoken.linkage_check AS c$$),
  ('linkage_due_on(date,integer)', $$SELECT mynahoken.linkage_due_on('2026-12-25'::pg_catalog.date, 5)$$),
  ('linkage_shared_token_sync()', $$UPDATE mynahoken.linkage_member AS m SET sex_digest = m.sex_digest$$),
  ('linkage_member_forget()', $$DELETE FROM mynahoken.linkage_member AS m WHERE m.insured_key OPERATOR(pg_catalog.=) 'no such member'::pg_catalog.text$$),
  ('reference_generation_bump()', $$DELETE FROM mynahoken.kanji_variant AS k WHERE false$$),
  ('linkage_refs_check()', $$DELETE FROM mynahoken.linkage_run AS r WHERE r.run_id OPERATOR(pg_catalog.=) -1$$);

-- The rule engine: a table defined, recorded, tested and activated (the
-- generated functions are called), then each routine on its own.
INSERT INTO special VALUES
  ('rule_activate(text,bigint)', $$SELECT mynahoken.rule_outcome_add('certificate_need'::pg_catalog.text, 'lookalike_policy'::pg_catalog.text, 'テスト'::pg_catalog.text, true, 100, NULL::pg_catalog.text);
SELECT mynahoken.rule_table_define('lookalike.certificate_need'::pg_catalog.text, 'certificate_need'::pg_catalog.text, '{06139992,0113*,municipal_nhi}'::pg_catalog.text[], 'national.certificate_need:myna'::pg_catalog.text, 'unique'::pg_catalog.text, 'national'::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text);
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author) VALUES ('lookalike.certificate_need', '[2026-04-01,)', '2026-01-20', 'look-alike test', '{age,my_number_linked,acquired_on}', 'mh_attacker');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) SELECT pg_catalog.max(v.version_id), 1, '{">= 75","true","<= day"}', 'lookalike_policy' FROM mynahoken.rule_version AS v;
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) SELECT pg_catalog.max(v.version_id), 2, '{"[70..75)","false","[2000-01-01..2030-01-01)"}', 'lookalike_policy' FROM mynahoken.rule_version AS v;
SELECT * FROM mynahoken.rule_activate('lookalike.certificate_need'::pg_catalog.text, NULL::pg_catalog.int8);
SELECT e.layer, e.outcome, pg_catalog.count(*) FROM mynahoken.rule_eval_certificate_need('2026-08-03'::pg_catalog.date, NULL::pg_catalog.date) AS e GROUP BY 1, 2;
SELECT mynahoken.rule_decide_certificate_need('2026-08-03'::pg_catalog.date, NULL::pg_catalog.date, '{"insurer_number": "06139992", "birth_date": "1940-01-01", "acquired_on": "2010-01-01", "my_number_linked": true}'::pg_catalog.jsonb)$$),
  ('rule_cell_parse(text,text,text[])', $$SELECT mynahoken.rule_cell_parse('>= param(x), [1..2), < y'::pg_catalog.text, 'int'::pg_catalog.text, NULL::pg_catalog.text[])$$),
  ('rule_cell_problem(text,text,text[])', $$SELECT mynahoken.rule_cell_problem('a, c'::pg_catalog.text, 'enum'::pg_catalog.text, '{a,b}'::pg_catalog.text[])$$),
  ('rule_check_boxes(text[],text[],boolean[],bigint[],bigint[],text[],integer[],text[],text[])',
   $$SELECT * FROM mynahoken.rule_check_boxes('{age,flag}'::pg_catalog.text[], '{int,boolean}'::pg_catalog.text[], '{f,t}'::pg_catalog.bool[], '{0,NULL}'::pg_catalog.int8[], '{150,NULL}'::pg_catalog.int8[], '{}'::pg_catalog.text[], '{1,2}'::pg_catalog.int4[], '{{"< 80","-"},{">= 70","true"}}'::pg_catalog.text[], '{overlap,gap,masked}'::pg_catalog.text[])$$),
  ('rule_check(bigint)', $$SELECT * FROM mynahoken.rule_check((SELECT pg_catalog.max(v.version_id) FROM mynahoken.rule_version AS v))$$),
  ('rule_compile(text)', $$SELECT mynahoken.rule_compile('certificate_need'::pg_catalog.text)$$),
  ('rule_compile_query(text,text,text,bigint,timestamp with time zone)', $$SELECT mynahoken.rule_compile_query('certificate_need'::pg_catalog.text, 'facts'::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.int8, pg_catalog.now())$$),
  ('rule_versions_used(text,bigint,timestamp with time zone)', $$SELECT * FROM mynahoken.rule_versions_used('lookalike.certificate_need'::pg_catalog.text, NULL::pg_catalog.int8, pg_catalog.now())$$),
  ('rule_version_cond(text,bigint,daterange,date,bigint,timestamp with time zone)', $$SELECT mynahoken.rule_version_cond('lookalike.certificate_need'::pg_catalog.text, 0::pg_catalog.int8, '[2026-04-01,)'::pg_catalog.daterange, '2026-01-20'::pg_catalog.date, NULL::pg_catalog.int8, pg_catalog.now())$$),
  ('rule_member_query(text,bigint,timestamp with time zone,text)', $$SELECT mynahoken.rule_member_query('certificate_need'::pg_catalog.text, NULL::pg_catalog.int8, pg_catalog.now(), 'true'::pg_catalog.text)$$),
  ('rule_evaluate(text,date,date,timestamp with time zone)', $$SELECT e.layer, e.outcome, pg_catalog.count(*) FROM mynahoken.rule_evaluate('certificate_need'::pg_catalog.text, '2026-08-03'::pg_catalog.date, NULL::pg_catalog.date, pg_catalog.now()) AS e GROUP BY 1, 2$$),
  ('rule_diff(bigint,date,date)', $$SELECT * FROM mynahoken.rule_diff((SELECT pg_catalog.max(v.version_id) FROM mynahoken.rule_version AS v WHERE v.table_name OPERATOR(pg_catalog.=) 'lookalike.certificate_need'), '2026-08-03'::pg_catalog.date, NULL::pg_catalog.date)$$),
  -- a change set: opened, a draft added, activated by the same superuser (refused: four eyes)
  ('rule_change_set_activate(bigint)', $$SELECT mynahoken.rule_change_set_open('look-alike'::pg_catalog.text, NULL::pg_catalog.jsonb, NULL::pg_catalog.date, NULL::pg_catalog.text);
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns) VALUES ('lookalike.certificate_need', '[2027-04-01,)', '2026-01-20', 'look-alike test', '{age}');
SELECT mynahoken.rule_change_set_add((SELECT pg_catalog.max(c.change_set_id) FROM mynahoken.rule_change_set AS c), (SELECT pg_catalog.max(v.version_id) FROM mynahoken.rule_version AS v));
SELECT * FROM mynahoken.rule_change_set_activate((SELECT pg_catalog.max(c.change_set_id) FROM mynahoken.rule_change_set AS c))$$),
  ('rule_change_set_open(text,jsonb,date,text)', $$SELECT mynahoken.rule_change_set_open('look-alike'::pg_catalog.text, '[{"name": "certificate_term_months", "valid": "[2030-04-01,)", "value": "12", "source": "x"}]'::pg_catalog.jsonb, '2026-01-20'::pg_catalog.date, 'look-alike'::pg_catalog.text)$$),
  ('rule_change_set_add(bigint,bigint)', $$SELECT mynahoken.rule_change_set_add(NULL::pg_catalog.int8, NULL::pg_catalog.int8)$$),
  ('rule_cell_expected(text)', $$SELECT mynahoken.rule_cell_expected('date'::pg_catalog.text)$$),
  ('rule_fact_sql(text,text)', $$SELECT mynahoken.rule_fact_sql('age'::pg_catalog.text, 'member'::pg_catalog.text)$$),
  ('rule_operand_sql(jsonb,text,text,text)', $$SELECT mynahoken.rule_operand_sql('{"param": "certificate_term_months"}'::pg_catalog.jsonb, 'int'::pg_catalog.text, 'municipal_nhi'::pg_catalog.text, 'member'::pg_catalog.text)$$),
  ('rule_operand_sql(jsonb,text,text,text)', $$SELECT mynahoken.rule_operand_sql('{"param": "certificate_term_months"}'::pg_catalog.jsonb, 'int'::pg_catalog.text, mynahoken.rule_param_scope('{06139992,0613*}'::pg_catalog.text[], pg_catalog.now()), 'member'::pg_catalog.text)$$),
  ('rule_cell_sql(text,text,text,text)', $$SELECT mynahoken.rule_cell_sql('< param(certificate_term_months), [70..75), 80'::pg_catalog.text, 'age'::pg_catalog.text, NULL::pg_catalog.text, 'facts'::pg_catalog.text)$$),
  -- sql: cells: names looked up in pg_catalog alone, whatever the search_path
  ('rule_sql_cell_facts(text,text[],text[])', $$SELECT mynahoken.rule_sql_cell_facts('abs(age - 80) < 3 AND birth_date < day AND upper(category) IN (''X'') AND mynahoken.rule_month_end(birth_date) <> birth_date'::pg_catalog.text, '{day,age,birth_date,category}'::pg_catalog.text[], '{date,int,date,enum}'::pg_catalog.text[])$$),
  ('rule_sql_cell_sql(text,text[],text[],text[])', $$SELECT mynahoken.rule_sql_cell_sql('coalesce(abs(age - 80), 0) < 3 AND birth_date BETWEEN day - 30 AND day'::pg_catalog.text, '{day,age,birth_date}'::pg_catalog.text[], '{date,int,date}'::pg_catalog.text[], '{$1,f.age,f.birth_date}'::pg_catalog.text[])$$),
  ('rule_cell_sql(text,text,text,text)', $$SELECT mynahoken.rule_cell_sql('sql: abs(age - 80) < 3 AND birth_date < day'::pg_catalog.text, 'age'::pg_catalog.text, NULL::pg_catalog.text, 'member'::pg_catalog.text)$$),
  ('rule_compile_collect_query(text,text,text,bigint,timestamp with time zone)', $$SELECT mynahoken.rule_compile_collect_query('document_plan'::pg_catalog.text, 'facts'::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.int8, pg_catalog.now())$$),
  ('rule_applies_sql(text[],text,text)', $$SELECT mynahoken.rule_applies_sql('{06139992,0113*,municipal_nhi}'::pg_catalog.text[], 'f.insurer_number'::pg_catalog.text, 'f.category'::pg_catalog.text)$$),
  ('rule_table_scope(text[])', $$SELECT mynahoken.rule_table_scope('{06139992,health_society}'::pg_catalog.text[])$$),
  ('rule_param_scope(text[],timestamp with time zone)', $$SELECT mynahoken.rule_param_scope('{06139992,health_society}'::pg_catalog.text[], pg_catalog.now())$$),
  ('rule_param_entry(text,date,mynahoken.insurer_category,mynahoken.insurer_number,date,timestamp with time zone)', $$SELECT mynahoken.rule_param_entry('certificate_term_months'::pg_catalog.text, '2026-08-03'::pg_catalog.date, NULL::mynahoken.insurer_category, '06139992'::mynahoken.insurer_number, NULL::pg_catalog.date, pg_catalog.now())$$),
  ('rule_fact_add(text,text,text,text,text,text[],integer,integer)', $$SELECT mynahoken.rule_fact_add('lookalike_flag'::pg_catalog.text, 'boolean'::pg_catalog.text, 'my_number_linked'::pg_catalog.text, 'look-alike test'::pg_catalog.text, 'none'::pg_catalog.text, NULL::pg_catalog.text[], NULL::pg_catalog.int4, NULL::pg_catalog.int4)$$),
  ('rule_outcome_add(text,text,text,boolean,integer,text)', $$SELECT mynahoken.rule_outcome_add('certificate_need'::pg_catalog.text, 'lookalike_other'::pg_catalog.text, 'テスト'::pg_catalog.text, true, 100, NULL::pg_catalog.text)$$),
  ('rule_table_define(text,text,text[],text,text,text,text,text,text,text)', $$SELECT mynahoken.rule_table_define('lookalike.other'::pg_catalog.text, 'certificate_need'::pg_catalog.text, '{138016}'::pg_catalog.text[], 'national.certificate_need:on_request'::pg_catalog.text, 'first'::pg_catalog.text, 'error'::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text)$$),
  ('rule_test_add(text,text,date,jsonb,text,date)', $$SELECT mynahoken.rule_test_add('lookalike.certificate_need'::pg_catalog.text, 'look-alike'::pg_catalog.text, '2026-08-03'::pg_catalog.date, '{"insurer_number": "06139992", "birth_date": "1940-01-01", "acquired_on": "2010-01-01", "my_number_linked": true}'::pg_catalog.jsonb, 'lookalike_policy'::pg_catalog.text, NULL::pg_catalog.date)$$),
  ('rule_run_tests(text,bigint)', $$SELECT * FROM mynahoken.rule_run_tests('lookalike.certificate_need'::pg_catalog.text, NULL::pg_catalog.int8)$$),
  ('rule_version_record(text,daterange,text,date,text,text)', $$SELECT mynahoken.rule_version_record('lookalike.other'::pg_catalog.text, '[2026-04-01,)'::pg_catalog.daterange, 'look-alike'::pg_catalog.text, '2026-01-20'::pg_catalog.date, E'row | age | category || outcome\n1 | >= 75 | health_society, late_elderly || lookalike_other\n2 | - | - || lookalike_other'::pg_catalog.text, NULL::pg_catalog.text)$$),
  ('rule_coverage(text,date,date)', $$SELECT * FROM mynahoken.rule_coverage('certificate_need'::pg_catalog.text, '2026-08-03'::pg_catalog.date, NULL::pg_catalog.date)$$),
  ('rule_explain(text,text,date,date,timestamp with time zone)', $$SELECT mynahoken.rule_explain('certificate_need'::pg_catalog.text, '4'::pg_catalog.text, '2026-08-03'::pg_catalog.date, NULL::pg_catalog.date, pg_catalog.now())$$),
  ('rule_guard()', $$DELETE FROM mynahoken.rule_outcome AS o WHERE o.shipped AND o.code OPERATOR(pg_catalog.=) 'not_needed'$$),
  -- a date decision: a collect-min table defined, activated, its generated functions called
  ('rule_compile_date_query(text,text,text,bigint,timestamp with time zone)', $$SELECT mynahoken.rule_table_define('lookalike.valid_until'::pg_catalog.text, 'certificate_valid_until'::pg_catalog.text, '{06139992}'::pg_catalog.text[], 'national.certificate_valid_until:term'::pg_catalog.text, 'collect'::pg_catalog.text, 'national'::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, 'min'::pg_catalog.text);
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author) VALUES ('lookalike.valid_until', '[2026-04-01,)', '2026-01-20', 'look-alike test', '{age}', 'mh_attacker');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) SELECT pg_catalog.max(v.version_id), 1, '{"-"}', 'day_before(add_months(day, 12))' FROM mynahoken.rule_version AS v;
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) SELECT pg_catalog.max(v.version_id), 2, '{"< 75"}', 'day_before(next_month_day(month_end(birthday(75)), 7, 31))' FROM mynahoken.rule_version AS v;
SELECT * FROM mynahoken.rule_activate('lookalike.valid_until'::pg_catalog.text, NULL::pg_catalog.int8);
SELECT e.layer, e.capped, pg_catalog.count(*) FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03'::pg_catalog.date, NULL::pg_catalog.date) AS e GROUP BY 1, 2;
SELECT mynahoken.rule_decide_certificate_valid_until('2026-08-03'::pg_catalog.date, NULL::pg_catalog.date, '{"insurer_number": "06139992", "birth_date": "1955-01-01"}'::pg_catalog.jsonb);
SELECT pg_catalog.length(mynahoken.rule_compile_date_query('certificate_valid_until'::pg_catalog.text, 'member'::pg_catalog.text, 'lookalike_test.members'::pg_catalog.text, NULL::pg_catalog.int8))$$),
  ('rule_expr_parse(text)', $$SELECT mynahoken.rule_expr_parse('day_before(next_month_day(add_months(day, 1), 7, 31))'::pg_catalog.text)$$),
  ('rule_expr_parse_at(text[],integer)', $$SELECT * FROM mynahoken.rule_expr_parse_at('{month_end,(,birthday,(,70,),)}'::pg_catalog.text[], 1)$$),
  ('rule_expr_problem(text)', $$SELECT mynahoken.rule_expr_problem('birthday(70, 1)'::pg_catalog.text)$$),
  ('rule_expr_facts(jsonb)', $$SELECT mynahoken.rule_expr_facts(mynahoken.rule_expr_parse('add_months(acquired_on, birthday(1))'::pg_catalog.text))$$),
  ('rule_expr_sql(jsonb,text)', $$SELECT mynahoken.rule_expr_sql(mynahoken.rule_expr_parse('month_end(birthday(70))'::pg_catalog.text), 'facts'::pg_catalog.text)$$),
  -- DMN interop: a decision table imported, a version exported and imported back
  ('rule_import_dmn(xml,text,daterange,text,date,text,jsonb,jsonb,text,text[],text,text,text)', $$SELECT mynahoken.rule_import_dmn('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="t" namespace="urn:t"><decision id="x" name="t"><decisionTable hitPolicy="FIRST"><input id="i1"><inputExpression typeRef="number"><text>Age</text></inputExpression></input><input id="i2"><inputExpression typeRef="date"><text>acquired_on</text></inputExpression></input><output id="o" typeRef="string"/><rule id="r1"><inputEntry><text>not([70..75), ]80..90[)</text></inputEntry><inputEntry><text>&lt;= date("2026-01-01")</text></inputEntry><outputEntry><text>"Policy"</text></outputEntry></rule><rule id="r2"><inputEntry><text>-</text></inputEntry><inputEntry><text>not(null)</text></inputEntry><outputEntry><text>"lookalike_policy"</text></outputEntry></rule></decisionTable></decision></definitions>'::pg_catalog.xml, 'lookalike.dmn'::pg_catalog.text, '[2026-04-01,)'::pg_catalog.daterange, 'look-alike'::pg_catalog.text, '2026-01-20'::pg_catalog.date, NULL::pg_catalog.text, '{"Age": "age"}'::pg_catalog.jsonb, '{"Policy": "lookalike_policy"}'::pg_catalog.jsonb, 'certificate_need'::pg_catalog.text, '{138016}'::pg_catalog.text[], 'national.certificate_need:on_request'::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text);
SELECT mynahoken.rule_import_dmn(mynahoken.rule_export_dmn((SELECT pg_catalog.max(v.version_id) FROM mynahoken.rule_version AS v)), 'lookalike.dmn_rt'::pg_catalog.text)$$),
  ('rule_export_dmn(bigint)', $$SELECT mynahoken.rule_export_dmn((SELECT pg_catalog.max(v.version_id) FROM mynahoken.rule_version AS v))$$),
  ('rule_feel_cell(text,text,text[])', $$SELECT mynahoken.rule_feel_cell('not([70..75), ]80..90[, >= param(x), < -5)'::pg_catalog.text, 'int'::pg_catalog.text, NULL::pg_catalog.text[])$$),
  ('rule_feel_translate(text,text)', $$SELECT * FROM mynahoken.rule_feel_translate('"a\"b", "c"'::pg_catalog.text, 'text'::pg_catalog.text)$$),
  ('rule_feel_endpoint(text[],text[],integer[],integer,text)', $$SELECT * FROM mynahoken.rule_feel_endpoint('{date,(,"\"2026-01-01\"",)}'::pg_catalog.text[], '{name,op,str,op}'::pg_catalog.text[], '{1,5,6,18}'::pg_catalog.int4[], 1, 'date'::pg_catalog.text)$$),
  ('rule_cell_feel(text,text,text[])', $$SELECT mynahoken.rule_cell_feel('not([70..75), 80, >= param(x), < -5)'::pg_catalog.text, 'int'::pg_catalog.text, NULL::pg_catalog.text[])$$),
  ('rule_operand_feel(jsonb)', $$SELECT mynahoken.rule_operand_feel('{"text": "a\"b"}'::pg_catalog.jsonb)$$),
  ('rule_national_change_report(text,date,date,date)', $$SELECT * FROM mynahoken.rule_national_change_report('certificate_need'::pg_catalog.text, '2026-11-01'::pg_catalog.date, '2026-02-01'::pg_catalog.date, '2026-03-10'::pg_catalog.date)$$);
INSERT INTO special
SELECT r, 'SELECT ''run by rule_activate and rule_version_record'' AS covered'
  FROM unnest(ARRAY['rule_version_guard()', 'rule_version_compile()', 'rule_cell_check(text,text)', 'rule_change_set_guard()']) AS r;

-- Every routine of the extension: its special statement, or one call with a
-- sample per argument type.
WITH routines AS (
  SELECT p.oid, substr(p.oid::regprocedure::text, length('mynahoken.') + 1) AS routine, p.proname,
         p.proargtypes::oid[] AS argtypes, p.proretset
    FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
   WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken') AND d.deptype = 'e'
), stmts AS (
  SELECT r.routine, s.stmt FROM routines r JOIN special s ON s.routine = r.routine
  UNION ALL
  SELECT r.routine,
         CASE WHEN cardinality(r.argtypes) = 0 OR bool_and(sm.expr IS NOT NULL) THEN
           format('SELECT mynahoken.%I(%s)', r.proname, coalesce(string_agg(sm.expr, ', ' ORDER BY a.o), ''))
         ELSE 'SELECT ''no sample for ' || r.routine || ''' AS missing' END
    FROM routines r
    LEFT JOIN LATERAL unnest(r.argtypes) WITH ORDINALITY AS a(t, o) ON true
    LEFT JOIN sample sm ON sm.t = a.t
   WHERE NOT EXISTS (SELECT FROM special s WHERE s.routine = r.routine)
   GROUP BY r.routine, r.proname, r.argtypes
)
SELECT format(E'\\echo ==> %s\n%s', routine, stmt || CASE WHEN stmt LIKE '%\\gexec' THEN '' ELSE ';' END)
  FROM stmts ORDER BY routine, stmt;
-- Parallel workers take the leader's search_path and load the calendar
-- themselves: the decision functions and a token join in forced parallel plans.
SELECT E'\\echo ==> parallel query\nSET force_parallel_mode = on;\nSET parallel_leader_participation = off;\n'
       'SELECT pg_catalog.count(mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '
       '''2026-08-03''::pg_catalog.date, m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on, '
       'm.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on, NULL::pg_catalog.date)), '
       'pg_catalog.count(mynahoken.explain_certificate_valid_until(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '
       '''2026-08-03''::pg_catalog.date, NULL::pg_catalog.date)), '
       'pg_catalog.count(mynahoken.tokenize(''123456789018''::pg_catalog.text)) FROM lookalike_test.members AS m '
       'WHERE mynahoken.insurer_number_is_valid(m.insurer_number);\n'
       'RESET force_parallel_mode;\nRESET parallel_leader_participation;';
-- The views the extension exposes.
SELECT format(E'\\echo ==> view %s\nSELECT pg_catalog.count(*) FROM %s;', c.oid::regclass, c.oid::regclass)
  FROM pg_depend d JOIN pg_class c ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND c.relkind = 'v'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken') AND d.deptype = 'e'
 ORDER BY 1;
SQL
tap $? "one statement per routine is generated" "$work/gen.err"
missing=$(grep -c "no sample for" "$work/calls.sql")
routines=$(grep -c '^\\echo ==> [a-z]' "$work/calls.sql")
grep "no sample for" "$work/calls.sql" >"$work/missing"
[ "$missing" = 0 ] && [ "$routines" -gt 150 ]
tap $? "every routine of the extension has a call ($routines statements, $missing without a sample)" "$work/missing"

hostile() {	# hostile DB FILE OUT: run FILE with evil first on the path, as superuser
	local before
	before=$(stat -c %s "$log")
	{
		echo "SET search_path = evil, mynahoken, public, pg_catalog;"
		echo "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
		cat "$2"
	} | "${PSQL[@]}" -d "$1" >"$3" 2>&1
	tail -c +"$((before + 1))" "$log" >"$3.log"
}
hits() { grep -c 'mh-lookalike-ran' "$@" | awk -F: '{ s += $NF } END { print s + 0 }'; }

# Control: the same path does reach a clone when a name is not qualified.
printf '%s\n' "SELECT lower('X'::pg_catalog.text);" >"$work/control.sql"
hostile "$DB" "$work/control.sql" "$work/control.out"
[ "$(hits "$work/control.out" "$work/control.out.log")" -gt 0 ]
tap $? "control: an unqualified lower() under the hostile search_path runs the look-alike (client and log)" "$work/control.out"

hostile "$DB" "$work/calls.sql" "$work/calls.out"
h=$(hits "$work/calls.out" "$work/calls.out.log")
if [ "$h" != 0 ]; then
	awk '/^==> /{ r = $0 } /mh-lookalike-ran/{ print r ": " $0 }' "$work/calls.out" | sort -u >"$work/hits"
fi
[ "$h" = 0 ]
tap $? "no look-alike ran for any of $routines routine calls, the views and the pg_cron command ($h hits)" "$work/hits"
grep -q 'mh-lookalike' "$work/calls.out.log"
[ $? -ne 0 ]
tap $? "the server log has no line of a look-alike either" "$work/calls.out.log"
planned=$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM mynahoken.issuance_queue")
[ "${planned:-0}" -gt 0 ]
tap $? "plan_issuance did its work under the hostile path ($planned documents planned)" "$work/calls.out"
cmd=$("${PSQL[@]}" -At -d "$DB" -c "SELECT mynahoken.issuance_cron_command(3)")
case "$cmd" in *"CURRENT_DATE OPERATOR(pg_catalog.+) 3"*) rc=0 ;; *) rc=1 ;; esac
tap $rc "the pg_cron command qualifies its operator ($cmd)"

# Control: version 0.1's plan_issuance resolved its operators through the
# path; the same test catches it.
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $OLD" >/dev/null
"${PSQL[@]}" -d "$OLD" -c "CREATE EXTENSION mynahoken VERSION '0.1'" >/dev/null 2>&1
setup "$OLD" >/dev/null 2>&1
attacker "$OLD"
printf '%s\n' "CALL mynahoken.plan_issuance('2025-09-01'::pg_catalog.date);" >"$work/old.sql"
hostile "$OLD" "$work/old.sql" "$work/old.out"
[ "$(hits "$work/old.out")" -gt 0 ]
tap $? "control: plan_issuance of 0.1 under the same path runs a look-alike operator" "$work/old.out"

echo "1..$n"
