-- Rule engine (issue 11): the calendar as the compiled decisions read it.
--   * a value recorded for one insurer (insurer => '06139992') is read by a
--     table scoped to that insurer, with the calendar's precedence (insurer
--     over category over every category), once per statement;
--   * the activation check of parameters uses the same precedence;
--   * the explanation lists the parameters of every layer's rows tried, the
--     national ones too;
--   * as_recorded_at reads the calendar as the database held it then;
--   * the dry run over the member population is a check row at activation.
-- Rolled back at the end.
BEGIN;
SET datestyle = ISO;
SET client_min_messages = warning;
SELECT plan(22);

CREATE SCHEMA tap_scope;
GRANT USAGE ON SCHEMA tap_scope TO PUBLIC;
CREATE TABLE tap_scope.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date
);
-- 資格 since 2015, マイナ保険証 registered and usable: nationally not_needed.
INSERT INTO tap_scope.members
SELECT k, i, b, '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL
  FROM (VALUES ('S1', '06139992', date '1951-03-01'),   -- 75 on 2026-09-02, 組合 06139992
               ('S2', '06139901', date '1951-03-01'),   -- 75, another 組合 of the table
               ('S3', '06139992', date '1961-03-01'),   -- 65
               ('L1', '39131008', date '1949-03-01')    -- 後期高齢者: decided by the national table
       ) AS m(k, i, b);
SELECT mynahoken.register_member_source('tap_scope.members');
SELECT mynahoken.rule_compile('certificate_need');
CREATE ROLE tap_scope_author IN ROLE mynahoken_rule_author, mynahoken_calendar_author;
CREATE ROLE tap_scope_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON tap_scope.members TO tap_scope_approver, tap_scope_author;
INSERT INTO mynahoken.legal_source (code, kind, title, issuer, issued_on)
VALUES ('scope-2026', 'insurer_decision', '年齢基準', '組合', current_date);
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('scope_age', 'int', 'years', 'Age from which the 組合 issues a 資格確認書'),
       ('scope_only', 'int', 'years', 'A threshold recorded for one 組合 only');

-- The category's value is 80; the 組合 06139992 records its own, 70, which
-- values of the category recorded later do not mask (keep_own).
SELECT mynahoken.record_legal_parameter('scope_age', 'health_society', '[2020-01-01,)', '80',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'scope-2026'), current_date - 1) IS NOT NULL;
SELECT mynahoken.record_legal_parameter('scope_age', 'health_society', '[2020-01-01,)', '70',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'scope-2026'), current_date - 1,
         keep_own => true, insurer => '06139992') AS insurer_entry \gset
SELECT mynahoken.record_legal_parameter('scope_only', 'health_society', '[2020-01-01,)', '60',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'scope-2026'), current_date,
         insurer => '06139992') IS NOT NULL;

SET ROLE tap_scope_author;
SELECT mynahoken.rule_outcome_add('certificate_need', 'scope_policy', '組合の年齢基準による交付', true, 50);
SELECT mynahoken.rule_table_define('s.age', 'certificate_need', '{06139992,06139901}', 'national.certificate_need:myna', 'first');
SELECT mynahoken.rule_version_record('s.age', '[2026-01-01,)', 'scope-2026', current_date, $grid$
  row | age                || outcome
  1   | >= param(scope_age) || scope_policy
$grid$) AS v1 \gset
-- a parameter recorded for 06139992 only: enough for a table of that 組合
SELECT mynahoken.rule_table_define('s.only', 'certificate_need', '{06139992}', 'national.certificate_need:myna', 'first');
SELECT mynahoken.rule_version_record('s.only', '[2026-01-01,)', 'scope-2026', current_date, $grid$
  row | age                 || outcome
  1   | >= param(scope_only) || scope_policy
$grid$) AS v_only \gset
-- and not for a table of two 組合, the other without a value
SELECT mynahoken.rule_table_define('s.two', 'certificate_need', '{06139992,06139901}', 'national.certificate_need:myna', 'first');
SELECT mynahoken.rule_version_record('s.two', '[2026-01-01,)', 'scope-2026', current_date, $grid$
  row | age                 || outcome
  1   | >= param(scope_only) || scope_policy
$grid$) AS v_two \gset
RESET ROLE;

-- ---------------------------------------------------------------------------
-- 1. The activation check, with the calendar's precedence.
SELECT is_empty(format($$SELECT * FROM mynahoken.rule_check(%s) c WHERE c.check_name = 'parameter'$$, :v_only),
                'a parameter recorded for the table''s one 組合 is a value for its whole scope');
SELECT results_eq(format($$SELECT c.severity, c.detail FROM mynahoken.rule_check(%s) c WHERE c.check_name = 'parameter'$$, :v_two),
                  $$VALUES ('error', 'parameter scope_only has no value for 06139901 on {[2026-01-01,)}')$$,
                  'the other 組合 of the table has none: refused, naming it');

SET ROLE tap_scope_approver;
SELECT results_eq(format($$SELECT a.severity, a.check_name FROM mynahoken.rule_activate('s.age', %s) a$$, :v1),
                  $$VALUES ('info', 'dry_run')$$,
                  'the table is activated; the dry run is among the checks');
RESET ROLE;

-- 2. The compiled decision reads the 組合's own value for its members.
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-09-02') e ORDER BY 1$$,
                  $$VALUES ('L1', 'not_needed'), ('S1', 'scope_policy'), ('S2', 'not_needed'), ('S3', 'not_needed')$$,
                  '06139992 reads its own 70 (S1, aged 75, gets one); 06139901 reads the category''s 80 (S2 does not)');
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_eval_certificate_need('2026-09-02') e ORDER BY 1$$,
                  $$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-09-02') e ORDER BY 1$$,
                  'the compiled function decides the same');
SELECT is((mynahoken.rule_decide_certificate_need('2026-09-02', NULL,
             '{"insurer_number": "06139992", "birth_date": "1951-03-01", "acquired_on": "2015-04-01", "my_number_linked": true,
               "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}')).outcome,
          'scope_policy', 'the scalar twin too');
CREATE TEMP TABLE plan_lines (line text);
DO $$
DECLARE l text;
BEGIN
  FOR l IN EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.rule_eval_certificate_need('2026-09-02') LOOP
    INSERT INTO plan_lines VALUES (l);
  END LOOP;
END
$$;
SELECT ok(EXISTS (SELECT FROM plan_lines WHERE line LIKE '%InitPlan%')
          AND NOT EXISTS (SELECT FROM plan_lines WHERE line LIKE '%SubPlan%'),
          'the parameter is read once per statement and scope (InitPlans), never per member (no SubPlan)');

-- 3. The explanation: the 組合's value with its scope and source.
SELECT is((SELECT p - 'source' - 'valid' - 'recorded' - 'recorded_on'
             FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'S1', '2026-09-02')->'parameters') AS p
            WHERE p->>'name' = 'scope_age'),
          '{"name": "scope_age", "value": 70, "scope": "health_society", "insurer": "06139992", "layer": "insurer"}'::jsonb,
          'the explanation names the value read, the 組合''s own');
SELECT is((SELECT p->'source'->>'code'
             FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'S2', '2026-09-02')->'parameters') AS p
            WHERE p->>'name' = 'scope_age' AND p->>'value' = '80'),
          'scope-2026', 'for the other 組合, the category''s value, with its source');
-- a member the national table decides: its rows' parameters are listed
SELECT ok((SELECT bool_and(p ?& ARRAY['value', 'scope', 'valid', 'recorded', 'source']) AND count(*) > 0
             FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'L1', '2026-09-02')->'parameters') AS p
            WHERE p->>'layer' = 'national'),
          'a national decision lists the parameters of the national rows tried, with value, scope, ranges and source');
SELECT ok((SELECT bool_or(p->>'name' = 'certificate_from')
             FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'L1', '2026-09-02')->'parameters') AS p),
          'among them certificate_from, read by the first national row');
SELECT ok((SELECT bool_or(p->>'layer' = 'national') AND bool_or(p->>'layer' = 'insurer')
             FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'S3', '2026-09-02')->'parameters') AS p),
          'a member the insurer table was tried for: the parameters of both layers');

-- 4. As the database held the calendar: the 組合's own value and a new
-- value of the category (75) are recorded (system time) after the night
-- asked about.
SELECT mynahoken.record_legal_parameter('scope_age', 'health_society', '[2026-01-01,)', '75',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'scope-2026'), current_date) AS category_entry \gset
SELECT pg_catalog.clock_timestamp() AS night \gset
UPDATE mynahoken.legal_change_set cs SET recorded_at = pg_catalog.clock_timestamp() + interval '1 hour'
  FROM mynahoken.legal_parameter_entry e
 WHERE e.parameter_id IN (:insurer_entry, :category_entry) AND cs.change_set_id = e.change_set_id;
SELECT results_eq(format($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-09-02', NULL, %L) e ORDER BY 1$$, :'night'),
                  $$VALUES ('L1', 'not_needed'), ('S1', 'not_needed'), ('S2', 'not_needed'), ('S3', 'not_needed')$$,
                  'as held on the night: neither the 組合''s own value nor the new one of the category was there, 80 decides');
SELECT is((SELECT p->'value' FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'S2', '2026-09-02', NULL, :'night')->'parameters') AS p
            WHERE p->>'name' = 'scope_age'),
          '80'::jsonb, 'and the explanation as held then shows the value then held');
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-09-02') e WHERE e.member_key IN ('S1', 'S2') ORDER BY 1$$,
                  $$VALUES ('S1', 'scope_policy'), ('S2', 'scope_policy')$$,
                  'as held now: the 組合''s own 70, and the category''s 75 for the other');

-- 5. The dry run row gives the figures of rule_diff.
SET ROLE tap_scope_author;
SELECT mynahoken.rule_version_record('s.age', '[2027-01-01,)', 'scope-2026', current_date, $grid$
  row | age   || outcome
  1   | >= 60 || scope_policy
$grid$) AS v3 \gset
RESET ROLE;
SELECT is((SELECT c.detail FROM mynahoken.rule_check(:v3) c WHERE c.check_name = 'dry_run'),
          format('on %s: %s', greatest(current_date, date '2027-01-01'),
                 (SELECT string_agg(format('%s -> %s: %s', coalesce(d.before, 'none'), coalesce(d.after, 'none'), d.members), ', ' ORDER BY d.n)
                    FROM mynahoken.rule_diff(:v3, greatest(current_date, date '2027-01-01')) WITH ORDINALITY AS d(before, after, members, changed, n))),
          'the dry run row: before -> after per outcome over the members, as rule_diff counts them');
-- rule_diff decides twice only the members in the table's scope (S1, S2,
-- S3) and counts the others (L1) once: equal to both decisions over every
-- member joined on the key.
SELECT format('SELECT b.outcome, a.outcome, count(*), b.outcome IS DISTINCT FROM a.outcome'
              '  FROM (%s) b FULL JOIN (%s) a ON a.member_key = b.member_key GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1, 2',
              mynahoken.rule_member_query('certificate_need', NULL, NULL),
              mynahoken.rule_member_query('certificate_need', :v3, NULL)) AS full_diff \gset
PREPARE full_diff(date, date) AS :full_diff;
SELECT results_eq(format('SELECT * FROM mynahoken.rule_diff(%s, %L)', :v3, greatest(current_date, date '2027-01-01')),
                  format('EXECUTE full_diff(%L, NULL)', greatest(current_date, date '2027-01-01')),
                  'rule_diff over the members in scope equals both decisions over every member');

-- 6. A cell on the decision day alone is read once per statement, but not
-- when the parameter it compares with is picked per member (a value of
-- one 組合): then it is a test per member, and still no SubPlan.
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('scope_from', 'date', 'day', 'Day from which the 組合 policy applies');
SELECT mynahoken.record_legal_parameter('scope_from', 'health_society', '[2020-01-01,)', '2029-01-01',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'scope-2026'), current_date) IS NOT NULL;
SELECT mynahoken.record_legal_parameter('scope_from', 'health_society', '[2020-01-01,)', '2028-01-01',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'scope-2026'), current_date,
         keep_own => true, insurer => '06139992') IS NOT NULL;
SET ROLE tap_scope_author;
SELECT mynahoken.rule_version_record('s.age', '[2028-01-01,)', 'scope-2026', current_date, $grid$
  row | decision_day          | age   || outcome
  1   | >= param(scope_from)  | >= 70 || scope_policy
$grid$) AS v4 \gset
RESET ROLE;
SET ROLE tap_scope_approver;
SELECT is((SELECT count(*) FROM mynahoken.rule_activate('s.age', :v4) a WHERE a.severity = 'error'), 0::bigint,
          'a decision-day cell against a per-組合 parameter is activated (the compiled plan has no SubPlan)');
RESET ROLE;
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_eval_certificate_need('2028-03-01', current_date) e
                     WHERE e.member_key IN ('S1', 'S2') ORDER BY 1$$,
                  $$VALUES ('S1', 'scope_policy'), ('S2', 'not_needed')$$,
                  'on 2028-03-01 the 組合 06139992 is past its own day (2028-01-01), the other not past the category''s (2029-01-01)');
TRUNCATE plan_lines;
DO $$
DECLARE l text;
BEGIN
  FOR l IN EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.rule_eval_certificate_need('2028-03-01') LOOP
    INSERT INTO plan_lines VALUES (l);
  END LOOP;
END
$$;
SELECT ok(NOT EXISTS (SELECT FROM plan_lines WHERE line LIKE '%SubPlan%'),
          'the per-組合 day is picked per member from InitPlans: no SubPlan');

-- 7. A planned document's rows tried, rebuilt from recorded facts: a row
-- whose decision-day cell fails is not evaluated further (the 後期 age
-- threshold it reads has no value before 2026-08-01).
SELECT lives_ok($$SELECT mynahoken.issuance_rows_tried(
                    (SELECT v.version_id FROM mynahoken.rule_version v
                      WHERE v.table_name = 'national.certificate_need' AND v.status = 'active' ORDER BY v.version_id DESC LIMIT 1),
                    '2025-09-01', NULL,
                    '{"insurer_number": "39131008", "birth_date": "1935-03-01", "acquired_on": "2010-04-01", "my_number_linked": true,
                      "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}')$$,
                'the rows tried of a 後期 member on 2025-09-01, before the age threshold has a value');
SELECT is((SELECT r->'first_failing'->>'fact'
             FROM jsonb_array_elements(mynahoken.issuance_rows_tried(
                    (SELECT v.version_id FROM mynahoken.rule_version v
                      WHERE v.table_name = 'national.certificate_need' AND v.status = 'active' ORDER BY v.version_id DESC LIMIT 1),
                    '2025-09-01', NULL,
                    '{"insurer_number": "39131008", "birth_date": "1935-03-01", "acquired_on": "2010-04-01", "my_number_linked": true,
                      "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}')->'rows') AS r
            WHERE r->>'label' = 'national.certificate_need:late_elderly' AND r->>'outcome' = 'late_elderly_age'),
          'decision_day', 'its first failing cell is the decision day');
SELECT * FROM finish();
ROLLBACK;
