-- Rule engine, second part: the hit policies collect and rule order, a date
-- decision (policy (b): 資格確認書 validity with its caps), an insurer rule
-- that yields to a national one with the report of the national change
-- (policy (c)), and an insurer fact column with an application count
-- (policy (d)).  Written as rules by an analyst: no C, no superuser for the
-- rules, no change to member data.  Rolled back at the end.
BEGIN;
SET datestyle = ISO;
SELECT plan(66);

CREATE SCHEMA tap_pol;
CREATE TABLE tap_pol.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date,
  care_needs boolean,                    -- 要配慮者, kept by the insurer
  certificates_on_application integer,   -- 資格確認書 issued on the member's current application
  why text
);
-- Every member: 資格 since 2015, My Number held, マイナ保険証 registered and usable.
CREATE FUNCTION pg_temp.m(k text, ins text, birth date, care boolean DEFAULT NULL, requested date DEFAULT NULL,
                          served integer DEFAULT NULL, why text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO tap_pol.members VALUES (k, ins, birth, '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01',
                                      requested, NULL, care, served, why)
$$;
SELECT pg_temp.m('X1', '06139992', '1950-01-01', true, why => '76 and 要配慮者: both rows');
SELECT pg_temp.m('X2', '06139992', '1950-01-01', false, why => '76: the age row');
SELECT pg_temp.m('X3', '06139992', '1980-01-01', NULL, why => '46: no row, national');
SELECT pg_temp.m('X4', '01130012', '1950-01-01', true, why => 'rule order: both rows, row 1 first');
SELECT pg_temp.m('K1', '131151', '1980-05-10', why => '国保, 46: one year');
SELECT pg_temp.m('K2', '131151', '1956-11-15', why => '国保, 69: the 70th-birthday month end');
SELECT pg_temp.m('K3', '131151', '1952-03-20', why => '国保, 74: the day before the 75th birthday');
SELECT pg_temp.m('K4', '131151', '1952-02-29', why => '国保, 74, born 29 February');
SELECT pg_temp.m('K5', '131151', NULL, why => '国保, no birth date');
SELECT pg_temp.m('K6', '133033', '1980-01-01', why => 'another 国保 whose table asks for 6 years');
SELECT pg_temp.m('L1', '39131156', '1945-01-01', why => '後期: the next 7月31日');
SELECT pg_temp.m('P1', '39131156', '1940-05-01', why => '86 on 2026-08-01');
SELECT pg_temp.m('P2', '39131156', '1941-10-01', why => '84 on 2026-08-01, 85 on 2026-10-01');
SELECT pg_temp.m('P3', '39130018', '1940-05-01', why => '86, at a 広域連合 whose table does not yield');
SELECT pg_temp.m('D1', '39131156', '1950-06-01', true, '2026-05-01', 2, why => '要配慮者, served twice: renewed');
SELECT pg_temp.m('D2', '39131156', '1950-06-01', false, '2026-05-01', 0, why => 'applied, not yet served');
SELECT pg_temp.m('D3', '39131156', '1950-06-01', false, '2026-05-01', 1, why => 'applied, served once');
SELECT pg_temp.m('D4', '39131156', '1950-06-01', NULL, '2026-05-01', NULL, why => 'applied, count unknown: national');
SELECT pg_temp.m('D5', '39131156', '1950-06-01', true, NULL, NULL, why => '要配慮者 who never applied: national');
SELECT is(mynahoken.register_member_source('tap_pol.members'), 'tap_pol.members'::regclass, 'the insurer''s member table is the member source');

CREATE ROLE tap_pol_author IN ROLE mynahoken_rule_author;
CREATE ROLE tap_pol_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON tap_pol.members TO tap_pol_approver;

-- ---------------------------------------------------------------------------
-- Collect and rule order: every matching row, the first (by priority for
-- collect, by row for rule order) gives the outcome.
SET ROLE tap_pol_author;
SELECT lives_ok($$
  SELECT mynahoken.rule_fact_add('care_needs', 'boolean', 'care_needs', '要配慮者 flag kept by the insurer');
  SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', '組合の定める年齢以上', true, 50);
  SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_care', '要配慮者への職権交付', true, 40);
  SELECT mynahoken.rule_table_define('minato.collect', 'certificate_need', '{06139992}', 'national.certificate_need:myna', 'collect');
  SELECT mynahoken.rule_version_record('minato.collect', '[2026-04-01,)', 'minato-2026-02', '2026-02-01', $grid$
  row | age   | care_needs || outcome
  1   | >= 75 | -          || insurer_age_policy
  2   | -     | true       || insurer_care
$grid$);
  SELECT mynahoken.rule_table_define('kyokai.rule_order', 'certificate_need', '{01130012}', 'national.certificate_need:myna', 'rule_order');
  SELECT mynahoken.rule_version_record('kyokai.rule_order', '[2026-04-01,)', 'kyokai-2026-02', '2026-02-01', $grid$
  row | age   | care_needs || outcome
  1   | >= 75 | -          || insurer_age_policy
  2   | -     | true       || insurer_care
$grid$)$$, 'a collect table and a rule order table whose rows overlap on purpose');
SELECT is((SELECT aggregation FROM mynahoken.rule_table WHERE table_name = 'minato.collect'), 'list',
          'collect without an aggregation lists the outcomes (DMN C)');
SET ROLE tap_pol_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('minato.collect') a WHERE a.severity <> 'info'$$, 'collect: overlapping rows are not an error');
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('kyokai.rule_order') a WHERE a.severity <> 'info'$$, 'rule order: neither');
RESET ROLE;
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.row_no, e.layer, e.outcomes FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
     WHERE e.member_key LIKE 'X%' ORDER BY 1$$,
  $$VALUES ('X1', 'insurer_care', 2, 'insurer', '{insurer_care,insurer_age_policy}'::text[]),
           ('X2', 'insurer_age_policy', 1, 'insurer', '{insurer_age_policy}'),
           ('X3', 'not_needed', 19, 'national', '{not_needed}'),
           ('X4', 'insurer_age_policy', 1, 'insurer', '{insurer_age_policy,insurer_care}')$$,
  'collect: every matching outcome, the first by priority (insurer_care 40 before 50); rule order: by row');
SELECT is((SELECT count(*) FROM tap_pol.members m
            JOIN mynahoken.rule_eval_certificate_need('2026-08-03') e USING (member_key)
           WHERE ((mynahoken.rule_decide_certificate_need('2026-08-03', NULL, to_jsonb(m))).outcomes, (mynahoken.rule_decide_certificate_need('2026-08-03', NULL, to_jsonb(m))).outcome)
                 IS NOT DISTINCT FROM (e.outcomes, e.outcome)), (SELECT count(*) FROM tap_pol.members),
          'the scalar twin gives the same outcome and outcomes for every member');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r->'row_no', r->'matched'))
             FROM jsonb_array_elements(mynahoken.rule_explain('certificate_need', 'X1', '2026-08-03')->'rows_tried') AS r),
          '[[2, true], [1, true]]'::jsonb, 'the explanation of a collect hit lists every row of the table, matched');
SELECT is(mynahoken.rule_explain('certificate_need', 'X1', '2026-08-03')->'outcomes',
          '["insurer_care", "insurer_age_policy"]'::jsonb, 'and every outcome');

-- ---------------------------------------------------------------------------
-- Policy (b): validity of a 資格確認書 as a date decision.  国保 131151: one
-- year, capped at the month end of the 70th birthday and at the day before
-- the 75th (collect, min: the earliest date of the matching rows); 後期
-- 39131156: until the next 7月31日 at least a month later.
SET ROLE tap_pol_author;
SELECT lives_ok($$
  SELECT mynahoken.rule_table_define('kaku.certificate_valid_until', 'certificate_valid_until', '{131151}',
           'national.certificate_valid_until:term', 'collect', aggregation => 'min');
  SELECT mynahoken.rule_version_record('kaku.certificate_valid_until', '[2026-04-01,)', 'kaku-ku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | -    || day_before(add_months(day, 12))
  2   | < 70 || month_end(birthday(70))
  3   | < 75 || day_before(birthday(75))
$grid$);
  SELECT mynahoken.rule_test_add('kaku.certificate_valid_until', '69: the 70th-birthday month end', '2026-08-03',
           '{"insurer_number": "131151", "birth_date": "1956-11-15"}', '2026-11-30');
  SELECT mynahoken.rule_table_define('tokyo_kouiki.certificate_valid_until', 'certificate_valid_until', '{39131156}',
           'national.certificate_valid_until:term');
  SELECT mynahoken.rule_version_record('tokyo_kouiki.certificate_valid_until', '[2026-04-01,)', 'tokyo-kouiki-2026-02', '2026-03-01', $grid$
  row | age || value
  1   | -   || next_month_day(add_months(day, 1), 7, 31)
$grid$);
  SELECT mynahoken.rule_table_define('big.certificate_valid_until', 'certificate_valid_until', '{133033}',
           'national.certificate_valid_until:term', 'first');
  SELECT mynahoken.rule_version_record('big.certificate_valid_until', '[2026-04-01,)', 'big-2026-02', '2026-03-01', $grid$
  row | age || value
  1   | -   || day_before(add_months(day, 72))
$grid$)$$, 'three validity tables, their rows ending in date expressions');
SET ROLE tap_pol_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('kaku.certificate_valid_until') a WHERE a.severity <> 'info'$$,
                'the 国保 table is activated; its stored test passes');
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('tokyo_kouiki.certificate_valid_until') a WHERE a.severity <> 'info'$$, 'the 後期 table too');
SELECT results_eq($$SELECT severity, check_name, rows, detail FROM mynahoken.rule_activate('big.certificate_valid_until') WHERE severity <> 'info'$$,
  $$VALUES ('warning', 'guard_rail', '{1}'::int[], 'row 1 adds 72 months: its date is capped at the legal maximum of 60 months (certificate_max_months)')$$,
  'a row asking for more than the legal maximum is activated with a warning: it will be capped');
RESET ROLE;
SELECT results_eq(
  $$SELECT e.member_key, e.value, e.row_no, e.layer, e.capped FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03') e
     WHERE e.member_key ~ '^[KL]' ORDER BY 1$$,
  $$VALUES ('K1', DATE '2027-08-02', 1, 'insurer', false), ('K2', '2026-11-30', 2, 'insurer', false),
           ('K3', '2027-03-19', 3, 'insurer', false), ('K4', '2027-02-28', 3, 'insurer', false),
           ('K5', NULL, NULL, 'undecidable', NULL), ('K6', '2031-08-02', 1, 'insurer', true),
           ('L1', '2027-07-31', 1, 'insurer', false)$$,
  'issued 2026-08-03: one year; the 70th-birthday month end; the day before the 75th birthday (1 March for a 29 February birth); undecidable without a birth date; 6 years capped at 5; the next 7月31日');
SELECT is((SELECT e.version_id FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03') e WHERE e.member_key = 'K2'),
          (SELECT v.version_id FROM mynahoken.rule_version v WHERE v.table_name = 'kaku.certificate_valid_until'),
          'the date names the rule version that produced it');
SELECT is((SELECT count(*) FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03') e
            JOIN tap_pol.members m USING (member_key)
           WHERE e.layer = 'national'
             AND e.value = mynahoken.certificate_valid_until(mynahoken.category(mynahoken.insurer_number(m.insurer_number)), '2026-08-03')),
          (SELECT count(*) FROM tap_pol.members WHERE insurer_number NOT IN ('131151', '133033', '39131156')),
          'members of other insurers keep the national date, the C function''s');
SELECT is((SELECT count(*) FROM generate_series(DATE '2026-04-01', '2028-03-31', '1 day') AS g(d)
           WHERE (mynahoken.rule_decide_certificate_valid_until(g.d::date, NULL,
                    '{"insurer_number": "39131156", "birth_date": "1945-01-01"}')).value
                 IS DISTINCT FROM mynahoken.certificate_valid_until('late_elderly', g.d::date)), 0::bigint,
          '後期: the rule "next 7月31日 at least a month later" equals the national C function on every issue day of two years');
SELECT results_eq($$SELECT g.d::date FROM generate_series(DATE '2026-04-01', '2028-03-31', '1 day') AS g(d)
           WHERE (mynahoken.rule_decide_certificate_valid_until(g.d::date, NULL,
                    '{"insurer_number": "131151", "birth_date": "1980-05-10"}')).value
                 = mynahoken.certificate_valid_until('municipal_nhi', g.d::date) ORDER BY 1$$,
          $$VALUES (DATE '2026-08-01'), ('2027-08-01')$$,
          '国保 under 70: one year equals the national date (the next 7月31日) only when issued on 1 August: the policy differs on purpose');
SELECT is((SELECT count(*) FROM generate_series(DATE '2026-04-01', '2028-03-31', '1 day') AS g(d),
                  LATERAL mynahoken.rule_decide_certificate_valid_until(g.d::date, NULL,
                    '{"insurer_number": "131151", "birth_date": "1952-02-29"}') AS h
           WHERE g.d < mynahoken.rule_birthday('1952-02-29', 75)
             AND (h.value >= mynahoken.rule_birthday('1952-02-29', 75)
                  OR h.value > mynahoken.rule_add_months(g.d::date, 12) - 1)), 0::bigint,
          '国保: never past the day before the 75th birthday nor a year, on every issue day before it');
SELECT results_eq($$SELECT test_name, got, passed FROM mynahoken.rule_run_tests('kaku.certificate_valid_until')$$,
                  $$VALUES ('69: the 70th-birthday month end', '2026-11-30', true)$$, 'the table''s own test, a date');
-- Explanations and coverage of the date decision, by the same predicates.
SELECT is((SELECT jsonb_build_object('outcome', x->'outcome', 'layer', x->'layer',
                                     'rows', jsonb_path_query_array(x, '$.rows_tried[*] ? (@.table_name == "kaku.certificate_valid_until")')
                                             #- '{0,version_id}' #- '{1,version_id}' #- '{2,version_id}',
                                     'birth_date', x->'facts'->'birth_date')
             FROM mynahoken.rule_explain('certificate_valid_until', 'K2', '2026-08-03') AS x),
          '{"outcome": "2026-11-30", "layer": "insurer", "birth_date": "1956-11-15",
            "rows": [{"row_no": 1, "outcome": "day_before(add_months(day, 12))", "matched": true, "value": "2027-08-02",
                      "table_name": "kaku.certificate_valid_until", "first_failing_cell": null},
                     {"row_no": 2, "outcome": "month_end(birthday(70))", "matched": true, "value": "2026-11-30",
                      "table_name": "kaku.certificate_valid_until", "first_failing_cell": null},
                     {"row_no": 3, "outcome": "day_before(birthday(75))", "matched": true, "value": "2031-11-14",
                      "table_name": "kaku.certificate_valid_until", "first_failing_cell": null}]}'::jsonb,
          'explanation of a date: every row of the collect-min table with its date, the earliest decides');
SELECT is((SELECT jsonb_path_query_array(x, '$.rows_tried[*].matched')
             FROM mynahoken.rule_explain('certificate_valid_until', 'K1', '2026-08-03') AS x),
          '[true, true, true]', 'aged 46: every row matches, the year is the earliest');
SELECT is((SELECT x->'layer' FROM mynahoken.rule_explain('certificate_valid_until', 'K5', '2026-08-03') AS x),
          '"undecidable"', 'no birth date: undecidable, explained');
SELECT results_eq(
  $$SELECT table_name, row_no, tried, matched, decided FROM mynahoken.rule_coverage('certificate_valid_until', '2026-08-03')
     WHERE table_name = 'kaku.certificate_valid_until' ORDER BY row_no$$,
  $$VALUES ('kaku.certificate_valid_until', 1, 5::bigint, 5::bigint, 1::bigint),
           ('kaku.certificate_valid_until', 2, 5, 2, 1), ('kaku.certificate_valid_until', 3, 5, 4, 2)$$,
  'coverage of the date table: per row the 5 members of 131151 tried (K5 without a birth date matches only row 1 and is undecidable), matched, decided');

-- The primitives, at their edges.
SELECT results_eq(
  $$SELECT mynahoken.rule_birthday('1952-02-29', 75), mynahoken.rule_birthday('1952-02-29', 72),
           mynahoken.rule_add_months('2026-01-31', 1), mynahoken.rule_month_end('2028-02-10'),
           mynahoken.rule_next_month_day('2026-07-31', 7, 31), mynahoken.rule_next_month_day('2026-08-01', 7, 31),
           mynahoken.rule_next_month_day('2025-03-01', 2, 29)$$,
  $$VALUES (DATE '2027-03-01', DATE '2024-02-29', DATE '2026-02-28', DATE '2028-02-29', DATE '2026-07-31', DATE '2027-07-31', DATE '2028-02-29')$$,
  'birthday (29 February on 1 March), clamped month arithmetic, month end, the next month-day (the day itself counts)');
SELECT is((SELECT count(*) FROM generate_series(DATE '1950-01-01', '1953-12-31', '1 day') AS b(d)
           WHERE mynahoken.rule_age_on(b.d::date, mynahoken.rule_birthday(b.d::date, 75)) <> 75
              OR mynahoken.rule_age_on(b.d::date, mynahoken.rule_birthday(b.d::date, 75) - 1) <> 74), 0::bigint,
          'the 75th birthday is the first day of age 75 as the national decisions count, for every birth day of 1950-1953');

-- ---------------------------------------------------------------------------
-- Policy (c): from 2026-08-01 members aged 85+ get a 資格確認書 without
-- application, as an insurer rule that yields to the national 後期 age rule.
-- The national rule (85+ on 2026-08-01) was recorded in the shipped calendar
-- on 2026-02-22; the insurer rule on 2026-01-10.
SET ROLE tap_pol_author;
SELECT lives_ok($$
  SELECT mynahoken.rule_outcome_add('certificate_need', 'kouiki_age_85', '85歳以上の被保険者への職権交付', true);
  SELECT mynahoken.rule_table_define('tokyo_kouiki.certificate_need.age85', 'certificate_need', '{39131156}',
           'national.certificate_need:myna', yields_to => 'national.certificate_need:late_elderly');
  SELECT mynahoken.rule_version_record('tokyo_kouiki.certificate_need.age85', '[2026-08-01,)', 'tokyo-kouiki-2026-01', '2026-01-10', $grid$
  row | age   || outcome
  1   | >= 85 || kouiki_age_85
$grid$);
  SELECT mynahoken.rule_table_define('saitama_kouiki.certificate_need.age85', 'certificate_need', '{39130018}',
           'national.certificate_need:myna');
  SELECT mynahoken.rule_version_record('saitama_kouiki.certificate_need.age85', '[2026-08-01,)', 'saitama-kouiki-2026-01', '2026-01-10', $grid$
  row | age   || outcome
  1   | >= 85 || kouiki_age_85
$grid$)$$, 'an 85+ rule that yields to the national 後期 label, and one at another 広域連合 that does not say so');
SET ROLE tap_pol_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('tokyo_kouiki.certificate_need.age85') a WHERE a.severity <> 'info'$$, 'activated');
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('saitama_kouiki.certificate_need.age85') a WHERE a.severity <> 'info'$$, 'activated');
RESET ROLE;
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.layer FROM mynahoken.rule_eval_certificate_need('2026-11-01', '2026-02-01') e
     WHERE e.member_key LIKE 'P%' ORDER BY 1$$,
  $$VALUES ('P1', 'kouiki_age_85', 'insurer'), ('P2', 'kouiki_age_85', 'insurer'), ('P3', 'kouiki_age_85', 'insurer')$$,
  'as known on 2026-02-01, before the national rule was recorded: the insurer rule gives every 85+ member one');
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.layer FROM mynahoken.rule_eval_certificate_need('2026-11-01', '2026-03-10') e
     WHERE e.member_key LIKE 'P%' ORDER BY 1$$,
  $$VALUES ('P1', 'late_elderly_age', 'national'), ('P2', 'kouiki_age_85', 'insurer'), ('P3', 'late_elderly_age', 'national')$$,
  'as known on 2026-03-10: the national rule decides those it covers (85 on 2026-08-01); the insurer rule still covers who turned 85 later');
SELECT results_eq(
  $$SELECT member_key, table_name, row_no, national_before, national_after, outcome_before, outcome_after, effect
      FROM mynahoken.rule_national_change_report('certificate_need', '2026-11-01', '2026-02-01', '2026-03-10')$$,
  $$VALUES ('P3', 'saitama_kouiki.certificate_need.age85', 1, 'not_needed', 'late_elderly_age', 'kouiki_age_85', 'late_elderly_age', 'national_takes_over'),
           ('P1', 'tokyo_kouiki.certificate_need.age85', 1, 'not_needed', 'late_elderly_age', 'kouiki_age_85', 'late_elderly_age', 'yields')$$,
  'the report of the national change lists the members it takes from insurer rows: declared (yields) or not');
SELECT is((SELECT count(*) FROM mynahoken.rule_national_change_report('certificate_need', '2026-11-01', '2026-03-10', '2026-03-10')),
          0::bigint, 'no change between the same knowledge days, no row');

-- ---------------------------------------------------------------------------
-- Policy (d): 要配慮者 (the insurer's own column) get one on application and
-- are renewed without a new application; other applications count once
-- (the insurer's count of 資格確認書 issued on the current application).
SET ROLE tap_pol_author;
SELECT lives_ok($$
  SELECT mynahoken.rule_fact_add('certificates_on_application', 'int', 'certificates_on_application',
           '資格確認書 issued on the member''s current application; NULL: not counted', lo => 0, hi => 100);
  SELECT mynahoken.rule_outcome_add('certificate_need', 'care_needs_renewal', '要配慮者: 申請後は申請なしで更新', true);
  SELECT mynahoken.rule_outcome_add('certificate_need', 'application_once', '申請による交付 (1回)', true);
  SELECT mynahoken.rule_outcome_add('certificate_need', 'application_served', '申請による交付済み', false);
  SELECT mynahoken.rule_table_define('tokyo_kouiki.certificate_need.application', 'certificate_need', '{39131156}',
           'national.certificate_need:on_request', 'first');
  SELECT mynahoken.rule_version_record('tokyo_kouiki.certificate_need.application', '[2026-04-01,)', 'tokyo-kouiki-2026-03', '2026-03-10', $grid$
  row | care_needs | certificates_on_application || outcome
  1   | true       | -                           || care_needs_renewal
  2   | -          | = 0                         || application_once
  3   | -          | >= 1                        || application_served
$grid$)$$, 'a first-hit table over the insurer''s 要配慮者 flag and application count, an exception to :on_request');
SET ROLE tap_pol_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('tokyo_kouiki.certificate_need.application') a WHERE a.severity <> 'info'$$,
                'activated: :on_request lets an insurer count applications once (insurer_may_narrow)');
RESET ROLE;
SELECT is((SELECT insurer_may_narrow FROM mynahoken.rule_label WHERE label = 'national.certificate_need:on_request'), true,
          'only the application label may be narrowed');
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.row_no, e.layer FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
     WHERE e.member_key LIKE 'D%' ORDER BY 1$$,
  $$VALUES ('D1', 'care_needs_renewal', 1, 'insurer'), ('D2', 'application_once', 2, 'insurer'),
           ('D3', 'application_served', 3, 'insurer'), ('D4', 'on_request', 18, 'national'),
           ('D5', 'not_needed', 19, 'national')$$,
  '要配慮者 renewed whatever the count; an application not yet served gives one, a served one no more; unknown count: national; no application: national');
SELECT is((SELECT count(*) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
             JOIN mynahoken.rule_outcome o ON o.decision = 'certificate_need' AND o.code = e.outcome
            WHERE e.member_key LIKE 'D%' AND o.needs_certificate), 3::bigint,
          'three of the five get a 資格確認書');
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'D3', '2026-08-03')->'rows_tried'->1->'first_failing_cell'),
          '{"column": "certificates_on_application", "cell": "= 0", "value": 1}'::jsonb,
          'D3: row 2 failed on the count, the member''s value 1');
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'D3', '2026-08-03')->'facts'->'care_needs'),
          'false'::jsonb, 'the explanation shows the insurer''s own column among the facts read');

-- The upgrade of a generated function: a stale result type is replaced.
SELECT is((SELECT pg_get_function_result('mynahoken.rule_eval_certificate_valid_until(date,date)'::regprocedure)),
          'TABLE(member_key text, value date, version_id bigint, row_no integer, layer text, table_name text, capped boolean)',
          'the date decision''s set-based function');
DO $$
DECLARE l text; bad int := 0;
BEGIN
  FOR l IN EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03') LOOP
    IF l LIKE '%Function Scan%' THEN bad := bad + 1; END IF;
  END LOOP;
  PERFORM set_config('tap_pol.bad', bad::text, true);
END
$$;
SELECT is(current_setting('tap_pol.bad'), '0', 'the date decision is inlined too');
SELECT is((SELECT p.provolatile::text || p.proparallel::text FROM pg_proc p
            WHERE p.oid = 'mynahoken.rule_eval_certificate_valid_until(date,date)'::regprocedure),
          'ss', 'STABLE and PARALLEL SAFE');

-- ---------------------------------------------------------------------------
-- Policy (f): a reason code and a document kind of the insurer's own.  The
-- 国保 133033 sends its 要配慮者 a 資格確認書 printed in large type, under
-- its own name; the outcome names the kind.  No enum is touched.
SET ROLE tap_pol_author;
SELECT lives_ok($$
  INSERT INTO mynahoken.document_kind (code, print_name, validity_decision, description)
  VALUES ('big_large_print', '資格確認書（拡大文字版）', 'certificate_valid_until', '要配慮者向けの拡大文字の資格確認書');
  INSERT INTO mynahoken.rule_outcome (decision, code, label_ja, needs_certificate, priority, document_kind)
  VALUES ('certificate_need', 'big_care_large_print', '要配慮者への拡大文字版の職権交付', true, 45, 'big_large_print');
  SELECT mynahoken.rule_table_define('big.certificate_need.care', 'certificate_need', '{133033}', 'national.certificate_need:myna');
  SELECT mynahoken.rule_version_record('big.certificate_need.care', '[2026-04-01,)', 'big-2026-05', '2026-05-01', $grid$
  row | care_needs || outcome
  1   | true       || big_care_large_print
$grid$)$$, 'the author adds a document kind with its print name, an outcome that names it, and a table giving it');
SET ROLE tap_pol_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('big.certificate_need.care') a WHERE a.severity <> 'info'$$, 'activated');
RESET ROLE;
SELECT pg_temp.m('F1', '133033', '1980-01-01', true, why => '(f) 要配慮者: the large-print kind');
SELECT pg_temp.m('F2', '133033', '1980-01-01', false, why => '(f) not 要配慮者: national');
SELECT pg_temp.m('B1', '131151', '1956-11-15', requested => '2026-07-01', why => '(b) applied: the 70th-birthday month end');
SELECT results_eq(
  $$SELECT e.member_key, e.outcome, e.row_no, e.table_name FROM mynahoken.rule_eval_certificate_need('2026-11-01') e
     WHERE e.member_key LIKE 'F%' ORDER BY 1$$,
  $$VALUES ('F1', 'big_care_large_print', 1, 'big.certificate_need.care'), ('F2', 'not_needed', 19, 'national.certificate_need')$$,
  '(f) the decision: the insurer''s reason for its 要配慮者, national for the others');
SELECT is((SELECT jsonb_build_object('outcome', x->'outcome', 'layer', x->'layer', 'source', x->'rule_version'->'source',
                                     'care_needs', x->'facts'->'care_needs')
             FROM mynahoken.rule_explain('certificate_need', 'F1', '2026-11-01') AS x),
          '{"outcome": "big_care_large_print", "layer": "insurer", "source": "big-2026-05", "care_needs": true}'::jsonb,
          '(f) the explanation: the insurer row, its version''s source, the insurer''s own column read');

-- ---------------------------------------------------------------------------
-- What plan_issuance plans from these decisions on 2026-11-01 and hands off:
-- (b) validity per member from the 国保 and 後期 tables, (c) the 85+ rule
-- where the national rule does not cover the member, (d) the application
-- rules, (f) the insurer's kind; each certificate records the rule versions
-- and rows of both decisions and the facts read.
CALL mynahoken.plan_issuance('2026-11-01', chunk_size => 5, commit_chunks => false);
SELECT results_eq(
  $$SELECT q.member_key, q.reason, q.valid_until, q.document_kind,
           (SELECT v.table_name FROM mynahoken.rule_version v WHERE v.version_id = i.need_version_id), i.need_row_no,
           (SELECT v.table_name FROM mynahoken.rule_version v WHERE v.version_id = i.validity_version_id), i.validity_row_no
      FROM mynahoken.issuance_queue q JOIN mynahoken.issuance_input i USING (queue_id)
     WHERE q.document = 'certificate' ORDER BY 1$$,
  $$VALUES ('B1', 'on_request', DATE '2026-11-30', NULL, 'national.certificate_need', 18, 'kaku.certificate_valid_until', 2),
           ('D1', 'care_needs_renewal', '2027-07-31', NULL, 'tokyo_kouiki.certificate_need.application', 1, 'tokyo_kouiki.certificate_valid_until', 1),
           ('D2', 'application_once', '2027-07-31', NULL, 'tokyo_kouiki.certificate_need.application', 2, 'tokyo_kouiki.certificate_valid_until', 1),
           ('D4', 'on_request', '2027-07-31', NULL, 'national.certificate_need', 18, 'tokyo_kouiki.certificate_valid_until', 1),
           ('F1', 'big_care_large_print', '2031-10-31', 'big_large_print', 'big.certificate_need.care', 1, 'big.certificate_valid_until', 1),
           ('P1', 'late_elderly_age', '2027-07-31', NULL, 'national.certificate_need', 10, 'tokyo_kouiki.certificate_valid_until', 1),
           ('P2', 'kouiki_age_85', '2027-07-31', NULL, 'tokyo_kouiki.certificate_need.age85', 1, 'tokyo_kouiki.certificate_valid_until', 1),
           ('P3', 'late_elderly_age', '2027-07-31', NULL, 'national.certificate_need', 10, NULL, NULL),
           ('X1', 'insurer_care', '2027-07-31', NULL, 'minato.collect', 2, NULL, NULL),
           ('X2', 'insurer_age_policy', '2027-07-31', NULL, 'minato.collect', 1, NULL, NULL),
           ('X4', 'insurer_age_policy', '2030-11-30', NULL, 'kyokai.rule_order', 1, NULL, NULL)$$,
  'plan_issuance plans what the rules decide: (b) the 70th-birthday month end, the next 7月31日; (c) the 85+ rule only for P2, whom the national rule does not cover; (d) 要配慮者 and a first application, not a served one; (f) the insurer''s kind, 6 years capped at 5; each with the table and row of both decisions');
SELECT is((SELECT count(*) FROM mynahoken.issuance_queue q WHERE q.member_key IN ('D3', 'D5', 'F2', 'K1', 'X3')), 0::bigint,
          'nothing for a served application, a 要配慮者 who never applied, and members whose マイナ保険証 is usable');
SELECT is((SELECT i.facts - 'birth_date' - 'acquired_on' - 'ecert_expires_on' - 'myna_registered_on' - 'insurer_number'
             FROM mynahoken.issuance_input i JOIN mynahoken.issuance_queue q USING (queue_id) WHERE q.member_key = 'D2'),
          '{"care_needs": false, "my_number_linked": true, "certificate_requested_on": "2026-05-01",
            "certificates_on_application": 0}'::jsonb,
          'the facts read are recorded, the insurer''s own columns among them (a NULL fact left out)');
SELECT is((SELECT array_agg(employer) FROM mynahoken.prepare_handoffs('2026-11-02')), '{E1}', 'the hand-off re-checks them: every ground holds');
SELECT results_eq(
  $$SELECT h.member_key, h.document, h.document_name, h.reason FROM mynahoken.issuance_handoff_file h
     WHERE h.member_key IN ('D1', 'F1', 'P2') ORDER BY h.line_no$$,
  $$VALUES ('D1', 'certificate', '資格確認書', 'care_needs_renewal'),
           ('F1', 'big_large_print', '資格確認書（拡大文字版）', 'big_care_large_print'),
           ('P2', 'certificate', '資格確認書', 'kouiki_age_85')$$,
  '(f) the print vendor''s file names the insurer''s kind and prints its name; the others are the national 資格確認書');

-- ---------------------------------------------------------------------------
-- Policy (e), the plan side: what was decided on that night, with what was
-- known then, after the member row has changed.  D1 is no longer 要配慮者
-- and has been served once: today's decision differs, the document's
-- explanation is rebuilt from what the run recorded.
UPDATE tap_pol.members SET care_needs = false, certificates_on_application = 1 WHERE member_key = 'D1';
SELECT is((SELECT e.outcome FROM mynahoken.rule_eval_certificate_need('2026-11-01') e WHERE e.member_key = 'D1'),
          'application_served', 'today''s member row decides otherwise');
SELECT is((SELECT jsonb_build_object(
                    'print_name', x->'print_name', 'reason', x->'reason', 'care_needs', x->'facts'->'care_needs',
                    'hit', x->'certificate_need'->'hit'->'outcome', 'row', x->'certificate_need'->'hit'->'row_no',
                    'source', x->'certificate_need'->'version'->'source', 'recorded_on', x->'certificate_need'->'version'->'recorded_on',
                    'approved_by', x->'certificate_need'->'version'->'approved_by',
                    'rows', x->'certificate_need'->'tried'->'rows',
                    'knowledge_day', (x->'run'->>'knowledge_day')::date = current_date,
                    'as_recorded_at', (x->'run'->>'as_recorded_at')::timestamptz = (SELECT r.started_at FROM mynahoken.issuance_run r WHERE r.run_id = q.run_id))
             FROM mynahoken.issuance_queue q, mynahoken.issuance_explain_document(q.queue_id) AS x
            WHERE q.member_key = 'D1' AND q.document = 'certificate'),
          '{"print_name": "資格確認書", "reason": "care_needs_renewal", "care_needs": true, "hit": "care_needs_renewal", "row": 1,
            "source": "tokyo-kouiki-2026-03", "recorded_on": "2026-03-10", "approved_by": "tap_pol_approver",
            "rows": [{"row_no": 1, "matched": true, "outcome": "care_needs_renewal"},
                     {"row_no": 2, "matched": false, "outcome": "application_once",
                      "first_failing": {"fact": "certificates_on_application", "cell": "= 0", "value": 2}},
                     {"row_no": 3, "matched": true, "outcome": "application_served"}],
            "knowledge_day": true, "as_recorded_at": true}'::jsonb,
          '(e) the document''s explanation: the facts as planned (要配慮者, served twice), the row that matched first, every row tried on them, the version with its source and approver, the run''s knowledge day and start');
SELECT is((SELECT x->'certificate_valid_until'->'tried'->'rows'->0->>'value'
             FROM mynahoken.issuance_queue q, mynahoken.issuance_explain_document(q.queue_id) AS x
            WHERE q.member_key = 'D1' AND q.document = 'certificate'),
          '2027-07-31', '(e) and the validity row''s date, recomputed from the recorded facts');
SELECT throws_ok($$SELECT mynahoken.issuance_explain_document(-1)$$, 'P0002', 'planned document not found',
                 'an unknown document');
-- The insurer's column is among the facts a run hashes: the next run decides D1 again.
CALL mynahoken.plan_issuance('2026-11-01', chunk_size => 5, commit_chunks => false);
SELECT is((SELECT s.run_id = (SELECT max(r.run_id) FROM mynahoken.issuance_run r) FROM mynahoken.issuance_member_state s
            WHERE s.member_key = 'D1'), true, 'a change of the insurer''s own column makes the next run decide the member again');
SELECT is((SELECT count(*) FROM mynahoken.issuance_member_state s
            WHERE s.run_id = (SELECT max(r.run_id) FROM mynahoken.issuance_run r)), 1::bigint, 'and no other member');

-- ---------------------------------------------------------------------------
-- A fact on a column the member source has anyway (issue 11: employer): the
-- plan, the hand-off's and the review's re-check and the recorded facts all
-- read it, the renewal too.  Members of 組合 06130017: through employer E7 or not.
RESET ROLE;
SELECT pg_temp.m('W1', '06130017', '1980-01-01', why => 'employer 7: the insurer''s row');
SELECT pg_temp.m('W2', '06130017', '1980-01-01', why => 'another employer: national');
SELECT pg_temp.m('W3', '06130017', '1980-01-01', why => 'employer 7, holds a certificate ending soon: renewed by the insurer''s row');
UPDATE tap_pol.members SET employer = 'E7' WHERE member_key IN ('W1', 'W3');
UPDATE tap_pol.members SET certificate_valid_until = '2026-11-20' WHERE member_key = 'W3';
SET ROLE tap_pol_author;
SELECT lives_ok($$
  SELECT mynahoken.rule_fact_add('employer', 'text', 'employer', '事業所 the documents go through');
  SELECT mynahoken.rule_outcome_add('certificate_need', 'employer_policy', '事業所単位の職権交付', true, 60);
  SELECT mynahoken.rule_table_define('w.certificate_need.employer', 'certificate_need', '{06130017}', 'national.certificate_need:myna');
  SELECT mynahoken.rule_version_record('w.certificate_need.employer', '[2026-04-01,)', 'w-2026-10', '2026-10-01', $grid$
  row | employer || outcome
  1   | E7       || employer_policy
$grid$)$$, 'an insurer table on employer, a column of the member source itself');
SET ROLE tap_pol_approver;
SELECT is_empty($$SELECT * FROM mynahoken.rule_activate('w.certificate_need.employer') a WHERE a.severity <> 'info'$$, 'it activates');
RESET ROLE;
CALL mynahoken.plan_issuance('2026-11-01', chunk_size => 5, commit_chunks => false);
SELECT results_eq(
  $$SELECT q.member_key, q.reason, q.valid_from, q.employer, i.facts->>'employer' FROM mynahoken.issuance_queue q
      JOIN mynahoken.issuance_input i USING (queue_id) WHERE q.member_key LIKE 'W%' ORDER BY 1$$,
  $$VALUES ('W1', 'employer_policy', DATE '2026-11-01', 'E7', 'E7'), ('W3', 'employer_policy', '2026-11-21', 'E7', 'E7')$$,
  'plan_issuance plans by the employer row, renews by it (the renewal reads the recorded facts) and records the employer among the facts read');
SELECT mynahoken.prepare_handoff('E7', '2026-11-02') AS w_handoff \gset
SELECT is((SELECT array_agg(h.member_key) FROM mynahoken.issuance_handoff_file h WHERE h.handoff_id = :w_handoff),
          '{W1,W3}', 'the hand-off of the employer re-checks the decision with the employer read: the grounds hold');
SELECT is((SELECT r.withdrawn FROM mynahoken.review_issuance('2026-11-03') AS r), 0::bigint,
          'the review re-checks every planned document with the employer read, none withdrawn');
SELECT is((SELECT jsonb_build_object('hit', x->'certificate_need'->'hit'->'row_no',
                                     'rows', x->'certificate_need'->'tried'->'rows', 'employer', x->'facts'->'employer')
             FROM mynahoken.issuance_queue q, mynahoken.issuance_explain_document(q.queue_id) AS x
            WHERE q.member_key = 'W1' AND q.document = 'certificate'),
          '{"hit": 1, "rows": [{"row_no": 1, "matched": true, "outcome": "employer_policy"}], "employer": "E7"}'::jsonb,
          'the document''s explanation agrees with its hit: row 1 matched on the recorded employer');

-- Many insurer fact columns: a function takes at most 100 arguments, so a
-- run digests them in nested groups; a change of the last one still makes
-- the next run decide that member again, and no other.
DO $$
BEGIN
  FOR i IN 1..95 LOOP
    EXECUTE format('ALTER TABLE tap_pol.members ADD COLUMN %I int', 'extra_' || i);
    PERFORM mynahoken.rule_fact_add('extra_' || i, 'int', 'extra_' || i, 'an insurer column');
  END LOOP;
END
$$;
CALL mynahoken.plan_issuance('2026-11-01', chunk_size => 5, commit_chunks => false);
UPDATE tap_pol.members SET extra_95 = 1 WHERE member_key = 'W2';
CALL mynahoken.plan_issuance('2026-11-01', chunk_size => 5, commit_chunks => false);
SELECT is((SELECT array_agg(s.member_key) FROM mynahoken.issuance_member_state s
            WHERE s.run_id = (SELECT max(r.run_id) FROM mynahoken.issuance_run r WHERE r.status = 'finished')),
          '{W2}', 'with 95 insurer fact columns a change of the last one makes the next run decide that member again, and no other');
SELECT lives_ok($$SELECT * FROM mynahoken.review_issuance('2026-11-03')$$, 'and the review re-checks the planned documents with those columns read');

SELECT * FROM finish();
ROLLBACK;
