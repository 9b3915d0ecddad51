-- Policy (a) of the rule engine, written as rules by an analyst: a 健保組合
-- (06139992) sends a 資格確認書 to every member aged 75 or over whatever
-- their マイナ保険証 status, from 2026-04-01, the age being its own dated
-- parameter.  No C, no superuser for the rules, no change to member data.
-- Everything happens in this transaction and is rolled back.
BEGIN;
SET datestyle = ISO;
SELECT plan(44);

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
                 format('rule version %s of "minato.certificate_need.age" is refused: parameter insurer_certificate_age has no value for 06139992 on {[2026-04-01,)}',
                        (SELECT max(version_id) FROM mynahoken.rule_version)),
                 'activation is refused while the parameter has no value for the 組合 (its own, its category''s or every category''s)');
RESET ROLE;
SELECT ok(mynahoken.record_legal_parameter('insurer_certificate_age', 'health_society', '[2026-04-01,)', '75',
         (SELECT min(source_id) FROM mynahoken.legal_source), '2026-01-15', true, 'minato-kenpo-2026-01', reason => 'example: entered late') IS NOT NULL,
          'the DBA records the value of the 組合''s parameter for its category');
SET ROLE tap_rule_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('minato.certificate_need.age') a WHERE a.severity <> 'info'$$,
                'with the value recorded, a different role activates it: no diagnostic');
SELECT is((SELECT status || ' by ' || approved_by || ', written by ' || author FROM mynahoken.rule_version
            WHERE table_name = 'minato.certificate_need.age'),
          'active by tap_rule_approver, written by tap_rule_author', 'the version records who wrote and who approved');
RESET ROLE;

-- The decision, set-based over the member source.
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.layer, e.row_no FROM mynahoken.rule_eval_certificate_need('2026-08-03') e ORDER BY 1$$,
  $$VALUES ('A1', 'insurer_age_policy', 'insurer', 1), ('A2', 'not_needed', 'national', 19),
           ('A3', 'insurer_age_policy', 'insurer', 1), ('A4', 'not_needed', 'national', 19),
           ('A5', 'not_eligible', 'national', 8), ('A6', 'on_request', 'national', 18),
           ('A7', 'insurer_age_policy', 'insurer', 1)$$,
  'on 2026-08-03: 75 and over at 06139992 get the insurer''s ground, on the birthday itself; other insurers, not_eligible and applications keep the national outcome, with the row of national.certificate_need');
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
            'outcome', 'insurer_age_policy', 'outcomes', jsonb_build_array('insurer_age_policy'), 'layer', 'insurer',
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
SELECT is((SELECT p - 'source' FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'A1', '2026-08-03')->'parameters') AS p
            WHERE p->>'layer' = 'insurer'),
          '{"name": "insurer_certificate_age", "value": 75, "scope": "health_society", "insurer": null, "layer": "insurer", "valid": "[2026-04-01,)", "recorded": "[2026-01-15,)"}'::jsonb,
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

-- Hit policy first, a default when no row matches, a fact compared with the
-- decision day's constant; another insurer (協会けんぽ 01130012).
INSERT INTO tap_rules.members VALUES
  ('B1', '01130012', '1980-01-01', '2012-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'joined after 2009: row 2'),
  ('B2', '01130012', '1980-01-01', '2005-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'no row: the default');
SET ROLE tap_rule_author;
SELECT lives_ok($$SELECT mynahoken.rule_outcome_add('certificate_need', 'kyokai_recent', '最近の加入者', true);
                  SELECT mynahoken.rule_outcome_add('certificate_need', 'kyokai_default', 'その他', true);
                  SELECT mynahoken.rule_table_define('kyokai.first', 'certificate_need', '{0113*}', 'national.certificate_need:myna',
                           'first', 'default kyokai_default');
                  SELECT mynahoken.rule_version_record('kyokai.first', '[2026-04-01,)', 'kyokai-2026', '2026-02-01', $grid$
  row | age   | acquired_on    || outcome
  1   | >= 70 | -              || insurer_age_policy
  2   | -     | >= 2010-01-01  || kyokai_recent
$grid$)$$, 'a first-hit table with a default, for every insurer number starting 0113');
SET ROLE tap_rule_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('kyokai.first') a WHERE a.severity <> 'info'$$, 'it is activated: no row is masked');
RESET ROLE;
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.row_no, e.table_name FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
     WHERE e.member_key IN ('A4', 'B1', 'B2') ORDER BY 1$$,
  $$VALUES ('A4', 'insurer_age_policy', 1, 'kyokai.first'), ('B1', 'kyokai_recent', 2, 'kyokai.first'),
           ('B2', 'kyokai_default', NULL, 'kyokai.first')$$,
  'first hit in row order, then the default; the other table still decides its own insurer');
SELECT is((SELECT e.outcome FROM mynahoken.rule_eval_certificate_need('2026-08-03') e WHERE e.member_key = 'A1'),
          'insurer_age_policy', 'the first table is unchanged by the second');

-- Two tables excepting the same label for the same insurers: a warning, and
-- the order is the tables' names.
SET ROLE tap_rule_author;
SELECT lives_ok($$SELECT mynahoken.rule_table_define('kyokai.second', 'certificate_need', '{0113*}', 'national.certificate_need:myna');
                  SELECT mynahoken.rule_version_record('kyokai.second', '[2026-04-01,)', 'kyokai-2026', '2026-02-01', $grid$
  row | age   || outcome
  1   | >= 90 || kyokai_recent
$grid$)$$, 'a second table for the same insurers');
SET ROLE tap_rule_approver;
SELECT results_eq($$SELECT severity, check_name, detail FROM mynahoken.rule_activate('kyokai.second') WHERE severity <> 'info'$$,
  $$VALUES ('warning', 'precedence', 'kyokai.first also excepts national.certificate_need:myna for 0113*: the tables are tried in name order, kyokai.first first')$$,
  'it is activated with a precedence warning');
RESET ROLE;

-- on_no_match error: a table whose cells read a parameter cannot be proven
-- complete, so a possible gap is a warning; a member no row matches is
-- reported (layer no_match), never given a silent NULL.  A member the
-- national decision cannot decide (no birth date) is reported too.
INSERT INTO tap_rules.members VALUES
  ('C1', '39131156', '1950-01-01', '2015-04-01', NULL, NULL, true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, '76 at the 広域連合: no row'),
  ('C2', '06139992', NULL, '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, 'no birth date');
SELECT ok(mynahoken.record_legal_parameter('insurer_certificate_age', 'late_elderly', '[2026-04-01,)', '85',
         (SELECT min(source_id) FROM mynahoken.legal_source), '2026-01-15', true, 'kouiki-2026', reason => 'example: entered late') IS NOT NULL,
          'the 広域連合''s age is recorded for its category');
SET ROLE tap_rule_author;
SELECT lives_ok($$SELECT mynahoken.rule_table_define('kouiki.age', 'certificate_need', '{39131156}', 'national.certificate_need:myna',
                           'unique', 'error');
                  SELECT mynahoken.rule_version_record('kouiki.age', '[2026-04-01,)', 'kouiki-2026', '2026-02-01', $grid$
  row | age                               || outcome
  1   | >= param(insurer_certificate_age) || insurer_age_policy
$grid$)$$, 'a table with on_no_match error over a parameter');
SET ROLE tap_rule_approver;
SELECT results_eq($$SELECT severity, check_name, detail FROM mynahoken.rule_activate('kouiki.age') WHERE severity <> 'info'$$,
  $$VALUES ('warning', 'gap', 'possibly no row matches (a cell with param(), day or another fact is not analysed) where any member: on_no_match is error')$$,
  'the possible gap is a warning, not a proof of completeness');
RESET ROLE;
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.layer, e.table_name FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
     WHERE e.member_key IN ('C1', 'C2') ORDER BY 1$$,
  $$VALUES ('C1', NULL, 'no_match', 'kouiki.age'), ('C2', NULL, 'undecidable', 'national.certificate_need')$$,
  'no match is reported per member, and so is a member the national decision cannot decide');

-- The national fact is the C decision itself: equal on a synthetic population
-- over every category, with NULL where the C function would refuse.
SELECT is((SELECT count(*) FROM (
    SELECT g.ins, d.day, g.birth, g.acq, g.lost, g.linked, g.reg, g.ecert, g.req
      FROM (SELECT (ARRAY['01130012', '02130010', '06139992', '31130016', '39131156', '131151', '133033', '01130013', 'x'])[1 + i % 9] AS ins,
                   DATE '1930-01-01' + (i * 7919) % 33000 AS birth, DATE '2000-04-01' + (i * 104729) % 9500 AS acq,
                   CASE WHEN i % 17 = 0 THEN DATE '2024-01-01' + i % 900 END AS lost, i % 5 <> 0 AS linked,
                   CASE WHEN i % 3 = 0 THEN DATE '2021-10-20' + i % 1200 END AS reg,
                   CASE WHEN i % 4 = 0 THEN DATE '2025-01-01' + i % 1800 END AS ecert,
                   CASE WHEN i % 23 = 0 THEN DATE '2025-01-15' + i % 300 END AS req
              FROM generate_series(1, 3000) AS i) g,
           unnest(ARRAY[DATE '2025-12-01', '2026-08-03', '2027-03-31']) AS d(day)) m
   WHERE mynahoken.rule_national_certificate_need(m.ins, m.day, m.birth, m.acq, m.lost, m.linked, m.reg, NULL, m.ecert, m.req, NULL)
         IS DISTINCT FROM
         CASE WHEN mynahoken.insurer_number_is_valid(m.ins)
               AND mynahoken.member_facts_conflict(m.birth, m.acq, m.lost, NULL, NULL) IS NULL
              THEN mynahoken.certificate_need(mynahoken.category(mynahoken.insurer_number(m.ins)), m.day, m.birth, m.acq,
                                              m.lost, m.linked, m.reg, NULL, m.ecert, m.req)::text END),
          0::bigint, 'rule_national_certificate_need equals certificate_need on 9,000 member-days, NULL where it would refuse');

-- ---------------------------------------------------------------------------
-- What plan_issuance plans from the compiled decision and hands off: the
-- insurer row's members get a 資格確認書 with its reason, each records the
-- rule version and row that produced it; members the decision cannot decide
-- are logged, never planned.
CALL mynahoken.plan_issuance('2026-08-03', chunk_size => 3, commit_chunks => false);
SELECT results_eq(
  $$SELECT q.member_key, q.reason, q.valid_until, v.table_name, i.need_row_no, v.status = 'active',
           coalesce(i.validity_version_id::text, 'national'), i.facts ->> 'birth_date'
      FROM mynahoken.issuance_queue q JOIN mynahoken.issuance_input i USING (queue_id)
      JOIN mynahoken.rule_version v ON v.version_id = i.need_version_id
     WHERE q.document = 'certificate' ORDER BY 1$$,
  $$VALUES ('A1', 'insurer_age_policy', DATE '2027-07-31', 'minato.certificate_need.age', 1, true, 'national', '1950-08-03'),
           ('A3', 'insurer_age_policy', '2027-07-31', 'minato.certificate_need.age', 1, true, 'national', '1951-08-03'),
           ('A4', 'insurer_age_policy', '2030-11-30', 'kyokai.first', 1, true, 'national', '1940-01-01'),
           ('A6', 'on_request', '2027-07-31', 'national.certificate_need', 18, true, 'national', '1940-01-01'),
           ('A7', 'insurer_age_policy', '2027-07-31', 'minato.certificate_need.age', 1, true, 'national', '1940-01-01'),
           ('B1', 'kyokai_recent', '2030-11-30', 'kyokai.first', 2, true, 'national', '1980-01-01'),
           ('B2', 'kyokai_default', '2030-11-30', 'kyokai.first', NULL, true, 'national', '1980-01-01')$$,
  'plan_issuance plans a 資格確認書 for each member an insurer row (or the default, row NULL) or the national table decides one is needed, recording the table, version, row and facts');
SELECT results_eq(
  $$SELECT member_key, problem FROM mynahoken.issuance_rejection ORDER BY 1$$,
  $$VALUES ('C1', 'certificate_need no_match kouiki.age'), ('C2', 'birth_date_missing')$$,
  'a member no row of an error-on-no-match table decides is logged with the table, not planned');
SELECT is((SELECT array_agg(employer) FROM mynahoken.prepare_handoffs('2026-08-04')), '{E1}', 'the hand-off re-checks them');
SELECT results_eq(
  $$SELECT h.member_key, h.document, h.document_name, h.reason FROM mynahoken.issuance_handoff_file h
     WHERE h.document <> 'notice' ORDER BY h.line_no$$,
  $$VALUES ('A1', 'certificate', '資格確認書', 'insurer_age_policy'), ('A3', 'certificate', '資格確認書', 'insurer_age_policy'),
           ('A4', 'certificate', '資格確認書', 'insurer_age_policy'), ('A6', 'certificate', '資格確認書', 'on_request'),
           ('A7', 'certificate', '資格確認書', 'insurer_age_policy'), ('B1', 'certificate', '資格確認書', 'kyokai_recent'),
           ('B2', 'certificate', '資格確認書', 'kyokai_default')$$,
  'and hands them off: the re-check reads the same compiled decision, so the insurer''s grounds hold');

SELECT * FROM finish();
ROLLBACK;
