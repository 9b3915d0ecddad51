-- Rule engine: the cell language, refused tables with their exact
-- diagnostics, hostile cell text, four eyes and append-only versions.
SET datestyle = ISO;
SET client_min_messages = notice;
\set SHOW_CONTEXT never

-- The cell language: each cell parses to the form the compiler reads.
SELECT c.cell, c.ty, mynahoken.rule_cell_parse(c.cell, c.ty, c.vals) AS parsed
  FROM (VALUES ('-', 'int', NULL::text[]),
               ('>= 85', 'int', NULL),
               ('[70..75), 80', 'int', NULL),
               ('not(late_elderly)', 'enum', '{health_society,late_elderly}'),
               ('<= day', 'date', NULL),
               ('< param(insurer_certificate_age)', 'int', NULL),
               ('"it''s ""quoted"""', 'text', NULL),
               ('sql: x > 1', 'int', NULL)) AS c(cell, ty, vals);

-- Bad cells: what is wrong, and where.
SELECT c.cell, c.ty, mynahoken.rule_cell_problem(c.cell, c.ty, '{health_society,late_elderly}') AS problem
  FROM (VALUES ('>= 8x', 'int'), ('>= 85', 'date'), ('>= 2026-02-30', 'date'), ('[75..70)', 'int'),
               ('[70..75', 'int'), ('<= day', 'int'), ('kyokai', 'enum'), ('yes', 'boolean'),
               ('', 'int'), ('>= 85 86', 'int')) AS c(cell, ty);
SELECT mynahoken.rule_cell_parse('>= 8x', 'int');
SELECT mynahoken.rule_cell_parse('>= 1', 'bool');

-- An insurer's member source, an author and an approver.
CREATE SCHEMA rl;
CREATE TABLE rl.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date,
  care_needs boolean
);
INSERT INTO rl.members VALUES
  ('m1', '06139992', '1950-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, false),
  ('m2', '06139992', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, true),
  ('m3', '01130012', '1950-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL, false);
SELECT mynahoken.register_member_source('rl.members');
CREATE ROLE regress_rule_author;
CREATE ROLE regress_rule_approver;
GRANT mynahoken_rule_author TO regress_rule_author;
GRANT mynahoken_rule_approver TO regress_rule_approver;
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('insurer_certificate_age', 'int', 'years', 'Age from which the insurer issues a 資格確認書 to every member');

SET ROLE regress_rule_author;
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', '組合の定める年齢以上の被保険者への職権交付', true);
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_withhold', '交付しない', false);
SELECT mynahoken.rule_fact_add('care_needs', 'boolean', 'care_needs', '要配慮者 flag kept by the insurer');

-- A bad cell is refused when the version is recorded, naming row, column and cell.
SELECT mynahoken.rule_table_define('minato.age', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.age', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age    || outcome
  1   | >= 8x  || insurer_age_policy
$grid$);
SELECT mynahoken.rule_version_record('minato.age', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age | care_needs || outcome
  1   | >= 75 | maybe    || insurer_age_policy
$grid$);
SELECT mynahoken.rule_version_record('minato.age', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age | kaigo || outcome
  1   | >= 75 | true || insurer_age_policy
$grid$);

-- Overlap under hit policy unique: the witness is the box both rows cover.
SELECT mynahoken.rule_version_record('minato.age', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age      | care_needs || outcome
  1   | >= 75    | -          || insurer_age_policy
  2   | [70..80) | true       || insurer_age_policy
$grid$) AS overlap_version \gset
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.age');
SELECT severity, check_name, rows, detail FROM mynahoken.rule_check(:overlap_version);

-- Gaps when no match is an error: n-dimensional, as boxes.  Per-column
-- checks would miss care_needs false under 75: every age and every value
-- of care_needs is covered by some row.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.gap', 'certificate_need', '{06139992}', 'national.certificate_need:myna',
                                   'unique', 'error');
SELECT mynahoken.rule_version_record('minato.gap', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age   | care_needs || outcome
  1   | >= 75 | -          || insurer_age_policy
  2   | < 75  | true       || insurer_age_policy
  3   | < 60  | false      || insurer_age_policy
$grid$) AS gap_version \gset
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.gap');

-- A masked row under hit policy first.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.first', 'certificate_need', '{06139992}', 'national.certificate_need:myna',
                                   'first');
SELECT mynahoken.rule_version_record('minato.first', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age      | care_needs || outcome
  1   | >= 70    | -          || insurer_age_policy
  2   | < 70     | true       || insurer_age_policy
  3   | [75..90) | true       || insurer_age_policy
$grid$);
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.first');

-- A parameter without a value over the whole valid time, for the scope.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.param', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.param', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age                                || outcome
  1   | >= param(insurer_certificate_age)  || insurer_age_policy
$grid$);
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.param');
RESET ROLE;
SELECT mynahoken.record_legal_parameter('insurer_certificate_age', 'health_society', '[2026-04-01,2027-04-01)', '75',
         (SELECT min(source_id) FROM mynahoken.legal_source), '2026-01-15', true, 'regression test', reason => 'example: entered late') IS NOT NULL AS recorded;
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.param');

-- Guard rails: an insurer may add a ground for issuing, never remove one,
-- and not_eligible stays above every insurer layer.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.withhold', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.withhold', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age   || outcome
  1   | < 40  || insurer_withhold
$grid$);
SELECT mynahoken.rule_table_define('minato.eligibility', 'certificate_need', '{06139992}', 'national.certificate_need:eligibility');
SELECT mynahoken.rule_version_record('minato.eligibility', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age   || outcome
  1   | >= 75 || insurer_age_policy
$grid$);
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.withhold');
SELECT * FROM mynahoken.rule_activate('minato.eligibility');

-- Four eyes: the author cannot approve, an approver cannot approve its own.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.ok', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.ok', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age   || outcome
  1   | >= 75 || insurer_age_policy
$grid$) AS ok_version \gset
SELECT * FROM mynahoken.rule_activate('minato.ok');
-- recorded_at and the status are not the author's to set
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, recorded_at)
VALUES ('minato.ok', '[2026-04-01,)', '2026-01-20', 'x', '{age}', '2020-01-01');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, status)
VALUES ('minato.ok', '[2026-04-01,)', '2026-01-20', 'x', '{age}', 'active');
RESET ROLE;
CREATE ROLE regress_rule_both IN ROLE mynahoken_rule_author, mynahoken_rule_approver;
SET ROLE regress_rule_both;
SELECT mynahoken.rule_version_record('minato.ok', '[2027-04-01,)', 'minato-2027-01', '2027-01-20', $grid$
  row | age   || outcome
  1   | >= 70 || insurer_age_policy
$grid$) AS own_version \gset
SELECT * FROM mynahoken.rule_activate('minato.ok', :own_version);
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.ok', :ok_version);
SELECT table_name, status, author, approved_by, recorded_at <= activated_at AS recorded_first
  FROM mynahoken.rule_version WHERE version_id = :ok_version;

-- Append-only: an active version and its rows do not change.
RESET ROLE;
UPDATE mynahoken.rule_version SET valid = '[2026-05-01,)' WHERE version_id = :ok_version;
UPDATE mynahoken.rule_row SET cells = '{">= 70"}' WHERE version_id = :ok_version;
DELETE FROM mynahoken.rule_version WHERE version_id = :ok_version;
DELETE FROM mynahoken.rule_outcome WHERE code = 'not_needed';

-- The compiled decision: the insurer row in front of the national one.
SELECT member_key, outcome, row_no, layer, table_name
  FROM mynahoken.rule_eval_certificate_need('2026-08-03') ORDER BY member_key;
SELECT (mynahoken.rule_decide_certificate_need('2026-08-03', NULL,
         '{"insurer_number": "06139992", "birth_date": "1950-01-01", "acquired_on": "2010-04-01",
           "my_number_linked": true, "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}')).*;

-- Hostile cell text never reaches SQL unquoted: a text value with quotes,
-- a semicolon and a comment is a literal; anything else does not parse.
SELECT mynahoken.rule_cell_problem(c, 'enum', '{health_society,late_elderly}') AS enum_problem,
       mynahoken.rule_cell_problem(c, 'text') AS text_problem
  FROM unnest(ARRAY['health_society''; DROP TABLE mynahoken.rule_row; --',
                    'a /* comment */', 'public.evil(x)', '> other_schema.fact', '$1', 'E''\x41''']) AS c;
SELECT mynahoken.rule_cell_sql('"06139992''); DROP TABLE mynahoken.rule_row; --"', 'insurer_number', NULL);
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.hostile', 'certificate_need', '{06139992}', 'national.certificate_need:on_request');
SELECT mynahoken.rule_version_record('minato.hostile', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | insurer_number                                         || outcome
  1   | "06139992'); DROP TABLE mynahoken.rule_row; --", "x"    || insurer_age_policy
$grid$) AS quoted_version \gset
SELECT mynahoken.rule_version_record('minato.hostile', '[2026-04-01,)', 'minato-2026-01', '2026-01-20', $grid$
  row | age                               || outcome
  1   | sql: true); DROP TABLE mynahoken.rule_row; --  || insurer_age_policy
$grid$) AS sql_version \gset
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.hostile', :sql_version);
SELECT * FROM mynahoken.rule_activate('minato.hostile', :quoted_version);
SELECT position('''06139992''''); DROP TABLE mynahoken.rule_row; --''' IN body) > 0 AS quoted_in_compiled_text
  FROM mynahoken.rule_compiled WHERE decision = 'certificate_need';
RESET ROLE;
SELECT count(*) AS rule_rows_still_there FROM mynahoken.rule_row;

-- Collect: the aggregation must fit the decision's output.  Outcomes
-- collect as a list; sum and count need a number, min and max a number or a
-- date.  An aggregation belongs to collect only.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('minato.sum', 'certificate_need', '{06139992}', 'national.certificate_need:myna',
                                   'collect', aggregation => 'sum');
SELECT mynahoken.rule_version_record('minato.sum', '[2026-04-01,)', 'minato-2026-03', '2026-03-01', $grid$
  row | age   | care_needs || outcome
  1   | >= 75 | -          || insurer_age_policy
  2   | -     | true       || insurer_age_policy
$grid$) AS sum_version \gset
SELECT mynahoken.rule_table_define('minato.first_min', 'certificate_need', '{06139992}', 'national.certificate_need:myna',
                                   'first', aggregation => 'min');
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('minato.sum');
SELECT severity, check_name, rows, detail FROM mynahoken.rule_check(:sum_version);

-- Date decisions: rows end in an expression over the date primitives,
-- checked when recorded; the message names the row and the token, never
-- the text.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('kaku.valid', 'certificate_valid_until', '{131151}',
                                   'national.certificate_valid_until:term', 'collect', aggregation => 'min');
SELECT mynahoken.rule_version_record('kaku.valid', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || outcome
  1   | -    || day_before(add_months(day, 12))
$grid$);
SELECT e AS expression, mynahoken.rule_expr_problem(e) AS problem
  FROM unnest(ARRAY['birthday(75, 1)', 'add_months(day)', 'add_months(day, 12', 'next_month_day(day, 2, 30)',
                    'next_month_day(day, 4, 31)', 'add_months(age, 1)', 'add_months(day, day)', 'birthday(250)',
                    'add_months(day, 1300)', '12', '2026-02-30', '0000-01-01', '2028-02-29', 'month_end(day) day',
                    'month_end(day); DROP TABLE mynahoken.rule_row; --', 'tanaka_taro',
                    'day_before(next_month_day(add_months(day, 1), 7, 31))', 'month_end(birthday(70))',
                    'day_before(birthday(75))', 'add_months(acquired_on, -6)', '2027-03-31']) AS e;
SELECT mynahoken.rule_version_record('kaku.valid', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | -    || day_before(add_months(day, 12))
  2   | < 70 || month_end(birthday(70, 1))
$grid$);
SELECT mynahoken.rule_version_record('kaku.valid', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | -    || day_before(add_months(day, 12)); DROP TABLE mynahoken.rule_row; --
$grid$);
-- A row written into rule_row directly is checked at activation, by row.
SELECT mynahoken.rule_version_record('kaku.valid', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | -    || day_before(add_months(day, 12))
$grid$) AS direct_version \gset
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
VALUES (:direct_version, 2, '{"< 70"}', 'month_end(tanaka_taro)');
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('kaku.valid', :direct_version);
SELECT severity, check_name, rows, detail FROM mynahoken.rule_check(:direct_version);

-- Hit policies, aggregations and defaults that do not fit a date.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('kaku.priority', 'certificate_valid_until', '{131151}',
                                   'national.certificate_valid_until:term', 'priority');
SELECT mynahoken.rule_version_record('kaku.priority', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | -    || day_before(add_months(day, 12))
$grid$);
SELECT mynahoken.rule_table_define('kaku.list', 'certificate_valid_until', '{131151}',
                                   'national.certificate_valid_until:term', 'collect');
SELECT mynahoken.rule_version_record('kaku.list', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | -    || day_before(add_months(day, 12))
$grid$);
SELECT mynahoken.rule_table_define('kaku.default', 'certificate_valid_until', '{131151}',
                                   'national.certificate_valid_until:term', 'first', 'default insurer_age_policy');
SELECT mynahoken.rule_version_record('kaku.default', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age  || value
  1   | < 70 || day_before(add_months(day, 12))
$grid$);
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('kaku.priority');
SELECT * FROM mynahoken.rule_activate('kaku.list');
SELECT * FROM mynahoken.rule_activate('kaku.default');

-- The box checks hold for dates too: an overlap under unique (different
-- dates), and a gap when no match is an error, with their witnesses.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('kaku.unique', 'certificate_valid_until', '{131151}',
                                   'national.certificate_valid_until:term', 'unique', 'error');
SELECT mynahoken.rule_version_record('kaku.unique', '[2026-04-01,)', 'kaku-2026-02', '2026-03-01', $grid$
  row | age       || value
  1   | < 72      || month_end(birthday(70))
  2   | [68..70)  || day_before(add_months(day, 12))
  3   | [74..150) || day_before(birthday(75))
$grid$) AS unique_version \gset
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('kaku.unique');
SELECT severity, check_name, rows, detail FROM mynahoken.rule_check(:unique_version);

-- yields_to: another label of the same decision, or the table would never
-- apply (its own label) or yield to nothing it decides (another decision).
SET ROLE regress_rule_author;
SELECT mynahoken.rule_table_define('kouiki.yield_self', 'certificate_need', '{39131156}', 'national.certificate_need:myna',
                                   yields_to => 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('kouiki.yield_self', '[2026-08-01,)', 'kouiki-2026-01', '2026-01-10', $grid$
  row | age   || outcome
  1   | >= 85 || insurer_age_policy
$grid$);
SELECT mynahoken.rule_table_define('kouiki.yield_other', 'certificate_need', '{39131156}', 'national.certificate_need:myna',
                                   yields_to => 'national.certificate_valid_until:term');
SELECT mynahoken.rule_version_record('kouiki.yield_other', '[2026-08-01,)', 'kouiki-2026-01', '2026-01-10', $grid$
  row | age   || outcome
  1   | >= 85 || insurer_age_policy
$grid$);
SELECT mynahoken.rule_table_define('kouiki.yield_none', 'certificate_need', '{39131156}', 'national.certificate_need:myna',
                                   yields_to => 'national.certificate_need:late_elderly_age');
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('kouiki.yield_self');
SELECT * FROM mynahoken.rule_activate('kouiki.yield_other');

-- Narrowing: only :on_request lets an insurer give an outcome without a
-- 資格確認書 (counting applications once); under :myna it is refused.
SET ROLE regress_rule_author;
SELECT mynahoken.rule_fact_add('certificates_on_application', 'int', 'certificates_on_application',
                               '資格確認書 issued on the current application', lo => 0, hi => 100);
SELECT mynahoken.rule_outcome_add('certificate_need', 'application_served', '申請による交付済み', false);
SELECT mynahoken.rule_table_define('kouiki.served_myna', 'certificate_need', '{39131156}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('kouiki.served_myna', '[2026-04-01,)', 'kouiki-2026-03', '2026-03-10', $grid$
  row | certificates_on_application || outcome
  1   | >= 1                        || application_served
$grid$);
SET ROLE regress_rule_approver;
SELECT * FROM mynahoken.rule_activate('kouiki.served_myna');

-- The report of national changes needs an outcome decision compiled over
-- the member source, and its three days.
SELECT * FROM mynahoken.rule_national_change_report('certificate_valid_until', '2026-08-03', '2026-01-01', '2026-03-01');
SELECT * FROM mynahoken.rule_national_change_report('certificate_need', '2026-08-03', NULL, '2026-03-01');
RESET ROLE;

-- A compiled decision whose plan runs a subquery per member is refused: a
-- member source that reads the birth date through a correlated subquery
-- (a SubPlan).  The decision compiled before stays.
CREATE TABLE rl.births (member_key text PRIMARY KEY, birth_date date);
CREATE VIEW rl.members_sub AS
SELECT m.member_key, m.insurer_number,
       (SELECT b.birth_date FROM rl.births b WHERE b.member_key = m.member_key) AS birth_date,
       m.acquired_on, m.lost_on, m.employer, m.my_number_linked, m.myna_registered_on, m.myna_withdrawn_on,
       m.ecert_expires_on, m.certificate_requested_on, m.certificate_valid_until, m.care_needs
  FROM rl.members m;
SELECT mynahoken.register_member_source('rl.members_sub');
SELECT mynahoken.rule_compile('certificate_need');
SELECT mynahoken.register_member_source('rl.members');
SELECT c.source_relation FROM mynahoken.rule_compiled c WHERE c.decision = 'certificate_need';
SELECT mynahoken.rule_compile('certificate_need');
DROP VIEW rl.members_sub;
DROP TABLE rl.births;

-- Clean up: the generated functions, the insurer's rules, the roles.
DROP FUNCTION mynahoken.rule_eval_certificate_need(date, date);
DROP FUNCTION mynahoken.rule_decide_certificate_need(date, date, jsonb);
DROP FUNCTION mynahoken.rule_trace_certificate_need(date, date);
TRUNCATE mynahoken.rule_row, mynahoken.rule_test, mynahoken.rule_change_set_version, mynahoken.rule_version, mynahoken.rule_compiled;
DELETE FROM mynahoken.rule_table WHERE NOT shipped;
DELETE FROM mynahoken.rule_outcome WHERE NOT shipped;
DELETE FROM mynahoken.rule_fact WHERE NOT shipped;
DELETE FROM mynahoken.legal_parameter_entry WHERE name = 'insurer_certificate_age';
DELETE FROM mynahoken.legal_parameter_def WHERE name = 'insurer_certificate_age';
DROP SCHEMA rl CASCADE;
DROP ROLE regress_rule_author;
DROP ROLE regress_rule_approver;
DROP ROLE regress_rule_both;
