-- Policy (a) of the rule engine, written as rules by an analyst: a 健保組合
-- (06139992) sends a 資格確認書 to every member aged 75 or over whatever
-- their マイナ保険証 status, from 2026-04-01, the age being its own dated
-- parameter.  No C, no superuser for the rules, no change to member data.
-- Everything happens in this transaction and is rolled back.
BEGIN;
SET datestyle = ISO;
SELECT plan(29);

CREATE SCHEMA tap_rules;
CREATE TABLE tap_rules.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date, why text
);
INSERT INTO tap_rules.members VALUES
  ('A1', '06139992', '1950-08-03', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, '76, マイナ保険証 usable: the insurer row'),
  ('A2', '06139992', '1951-08-04', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'turns 75 the day after: national'),
  ('A3', '06139992', '1951-08-03', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'turns 75 that day: the insurer row'),
  ('A4', '01130012', '1940-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'another insurer: national'),
  ('A5', '06139992', '1940-01-01', '2010-04-01', '2026-05-01', 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'lost 資格: not_eligible stays above'),
  ('A6', '06139992', '1940-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', '2026-06-01', NULL, 'applied: the on_request ground stays'),
  ('A7', '06139992', '1940-01-01', '2010-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, NULL, 'no My Number: the insurer row replaces no_my_number');
SELECT is(mynahoken.register_member_source('tap_rules.members'), 'tap_rules.members'::regclass, 'the insurer''s member table is the member source');

CREATE ROLE tap_rule_author IN ROLE mynahoken_rule_author;
CREATE ROLE tap_rule_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON tap_rules.members TO tap_rule_approver;
-- The parameter is defined by the DBA (the calendar's owner); its value is
-- recorded below, per scope, as any calendar value.
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('insurer_certificate_age', 'int', 'years', 'Age from which the insurer issues a 資格確認書 to every member');

SET ROLE tap_rule_author;
SELECT lives_ok($$SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy',
                   '組合の定める年齢以上の被保険者への職権交付', true)$$,
                'the author adds an outcome of the insurer''s own');
SELECT lives_ok($$SELECT mynahoken.rule_table_define('minato.certificate_need.age', 'certificate_need',
                   '{06139992}', 'national.certificate_need:myna')$$,
                'the author defines a table excepting the マイナ保険証 grounds, for this 組合 only');
SELECT lives_ok($$SELECT mynahoken.rule_version_record('minato.certificate_need.age', '[2026-04-01,)',
                   'minato-kenpo-2026-01', '2026-01-20', $grid$
  row | age                               || outcome
  1   | >= param(insurer_certificate_age) || insurer_age_policy
$grid$)$$, 'the author records a draft version from a grid');
SELECT lives_ok($$SELECT mynahoken.rule_test_add('minato.certificate_need.age', 'aged 80, card usable', '2026-08-03',
                   '{"insurer_number": "06139992", "birth_date": "1946-01-01", "acquired_on": "2010-04-01",
                     "my_number_linked": true, "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}',
                   'insurer_age_policy')$$, 'the author stores a test case with the table');
SELECT throws_ok($$SELECT * FROM mynahoken.rule_activate('minato.certificate_need.age')$$, '42501',
                 'only a member of mynahoken_rule_approver may activate rule versions',
                 'the author cannot activate');

SET ROLE tap_rule_approver;
SELECT throws_ok($$SELECT * FROM mynahoken.rule_activate('minato.certificate_need.age')$$, '23514',
                 format('rule version %s of "minato.certificate_need.age" is refused: parameter insurer_certificate_age has no value for health_society on {[2026-04-01,)}',
                        (SELECT max(version_id) FROM mynahoken.rule_version)),
                 'activation is refused while the parameter has no value for the 組合''s category');
RESET ROLE;
SELECT ok(mynahoken.record_legal_parameter('insurer_certificate_age', 'health_society', '[2026-04-01,)', '75',
         (SELECT min(source_id) FROM mynahoken.legal_source), '2026-01-15', true, 'minato-kenpo-2026-01') IS NOT NULL,
          'the DBA records the value of the 組合''s parameter for its category');
SET ROLE tap_rule_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('minato.certificate_need.age')$$,
                'with the value recorded, a different role activates it: no diagnostic');
SELECT is((SELECT status || ' by ' || approved_by || ', written by ' || author FROM mynahoken.rule_version
            WHERE table_name = 'minato.certificate_need.age'),
          'active by tap_rule_approver, written by tap_rule_author', 'the version records who wrote and who approved');
RESET ROLE;

-- The decision, set-based over the member source.
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.layer, e.row_no FROM mynahoken.rule_eval_certificate_need('2026-08-03') e ORDER BY 1$$,
  $$VALUES ('A1', 'insurer_age_policy', 'insurer', 1), ('A2', 'not_needed', 'national', NULL),
           ('A3', 'insurer_age_policy', 'insurer', 1), ('A4', 'not_needed', 'national', NULL),
           ('A5', 'not_eligible', 'national', NULL), ('A6', 'on_request', 'national', NULL),
           ('A7', 'insurer_age_policy', 'insurer', 1)$$,
  'on 2026-08-03: 75 and over at 06139992 get the insurer''s ground, on the birthday itself; other insurers, not_eligible and applications keep the national outcome');
SELECT is((SELECT e.version_id FROM mynahoken.rule_eval_certificate_need('2026-08-03') e WHERE e.member_key = 'A1'),
          (SELECT v.version_id FROM mynahoken.rule_version v WHERE v.table_name = 'minato.certificate_need.age'),
          'the outcome names the rule version that produced it');
SELECT is((SELECT e.outcome FROM mynahoken.rule_eval_certificate_need('2026-03-31') e WHERE e.member_key = 'A1'),
          'not_needed', 'before the version''s valid time (2026-03-31) the national outcome applies');
SELECT is((SELECT e.outcome FROM mynahoken.rule_eval_certificate_need('2026-08-03', '2026-01-19') e WHERE e.member_key = 'A1'),
          'not_needed', 'as known on 2026-01-19, before it was recorded, the rule did not exist');
SELECT is((SELECT e.outcome FROM mynahoken.rule_eval_certificate_need('2026-08-03', '2026-01-20') e WHERE e.member_key = 'A1'),
          'insurer_age_policy', 'as known on 2026-01-20 it did');

-- The compiled form: inlined, parameters read once per statement.
CREATE TEMP TABLE plan_lines (line text);
DO $$
DECLARE l text;
BEGIN
  FOR l IN EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.rule_eval_certificate_need('2026-08-03') LOOP
    INSERT INTO plan_lines VALUES (l);
  END LOOP;
END
$$;
SELECT ok(NOT EXISTS (SELECT FROM plan_lines WHERE line LIKE '%Function Scan%'),
          'the compiled decision is inlined: the plan scans the member source itself');
SELECT ok(EXISTS (SELECT FROM plan_lines WHERE line LIKE '%InitPlan%'),
          'param(insurer_certificate_age) is an InitPlan, evaluated once per statement');
SELECT ok(EXISTS (SELECT FROM plan_lines WHERE line LIKE '%Seq Scan on members%'),
          'over the registered member source');
SELECT is((SELECT p.provolatile::text || p.proparallel::text FROM pg_proc p
            WHERE p.oid = 'mynahoken.rule_eval_certificate_need(date,date)'::regprocedure),
          'ss', 'STABLE and PARALLEL SAFE');

-- The scalar twin gives the same answer member by member, and the stored test passes.
SELECT is((SELECT count(*) FROM tap_rules.members m
            JOIN mynahoken.rule_eval_certificate_need('2026-08-03') e USING (member_key)
           WHERE (mynahoken.rule_decide_certificate_need('2026-08-03', NULL, to_jsonb(m))).outcome
                 IS NOT DISTINCT FROM e.outcome), 7::bigint,
          'the scalar twin agrees with the set-based decision for every member');
SELECT results_eq($$SELECT test_name, got, passed FROM mynahoken.rule_run_tests('minato.certificate_need.age')$$,
                  $$VALUES ('aged 80, card usable', 'insurer_age_policy', true)$$,
                  'the table''s own test passes');
SELECT is((SELECT count(*) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
            WHERE e.member_key = 'A1'), 1::bigint, 'one member: the filter reaches the member source');

-- Explanations, from the same compiled predicates.
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'A1', '2026-08-03')
                  - 'rule_version' - 'facts' - 'parameters'),
          jsonb_build_object('decision', 'certificate_need', 'as_of', '2026-08-03', 'known_on', NULL,
            'outcome', 'insurer_age_policy', 'layer', 'insurer',
            'layer_chain', format('row 1 of minato.certificate_need.age v%s (source minato-kenpo-2026-01) overrides national.certificate_need:myna',
                                  (SELECT max(version_id) FROM mynahoken.rule_version)),
            'rows_tried', jsonb_build_array(jsonb_build_object('table_name', 'minato.certificate_need.age',
              'version_id', (SELECT max(version_id) FROM mynahoken.rule_version), 'row_no', 1,
              'outcome', 'insurer_age_policy', 'matched', true, 'first_failing_cell', NULL))),
          'A1: the insurer row matched, with the layer chain and the version');
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'A2', '2026-08-03')->'rows_tried'->0->'first_failing_cell'),
          '{"column": "age", "cell": ">= param(insurer_certificate_age)", "value": 74}'::jsonb,
          'A2: row 1 was tried and failed on age, the member being 74');
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'A2', '2026-08-03')->>'layer_chain'),
          'national certificate_need: not_needed', 'A2: the national outcome stands');
SELECT is((SELECT p - 'source' FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'A1', '2026-08-03')->'parameters') AS p),
          '{"name": "insurer_certificate_age", "value": 75, "scope": "health_society", "valid": "[2026-04-01,)", "recorded": "[2026-01-15,)"}'::jsonb,
          'the parameter read, with its value, scope, valid and recorded ranges');
SELECT ok((SELECT mynahoken.rule_explain('certificate_need', 'A1', '2026-08-03')->'rule_version'->>'approved_by') = 'tap_rule_approver',
          'the explanation names the version and who approved it');
SELECT throws_ok($$SELECT mynahoken.rule_explain('certificate_need', 'no-such-member', '2026-08-03')$$, 'P0002',
                 'no such member in the member source', 'an unknown member key is not repeated in the error');

-- Coverage over the population, from the same predicates.
SELECT results_eq(
  $$SELECT row_no, outcome, tried, matched, decided, first_failing FROM mynahoken.rule_coverage('certificate_need', '2026-08-03')$$,
  $$VALUES (1, 'insurer_age_policy', 4::bigint, 3::bigint, 3::bigint, '{"age": 1}'::jsonb)$$,
  'coverage: row 1 was tried for the 4 members of 06139992 the :myna grounds decide, held for 3, failed on age for 1');

SELECT * FROM finish();
ROLLBACK;
