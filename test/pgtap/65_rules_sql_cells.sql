-- sql: cells (issue 11): a predicate over the facts in PostgreSQL's own
-- syntax, validated by its parser and the catalog, compiled as written again
-- from the analysed tree, reported as opaque by the checks and explained like
-- any cell.  Everything happens in this transaction and is rolled back.
BEGIN;
SET datestyle = ISO;
SELECT plan(16);

CREATE SCHEMA tap_sqlcell;
CREATE TABLE tap_sqlcell.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date
);
-- a 組合 sends a 資格確認書 to members aged 75 or over born on the first of
-- a month (a made-up policy a cell of the cell language cannot say)
INSERT INTO tap_sqlcell.members VALUES
  ('S1', '06139992', '1950-03-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL),
  ('S2', '06139992', '1950-03-02', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL),
  ('S3', '06139992', '1970-03-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL),
  ('S4', '01130012', '1950-03-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL);
SELECT is(mynahoken.register_member_source('tap_sqlcell.members'), 'tap_sqlcell.members'::regclass, 'member source');
CREATE ROLE tap_sqlcell_author IN ROLE mynahoken_rule_author;
CREATE ROLE tap_sqlcell_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON tap_sqlcell.members TO tap_sqlcell_approver;

-- A hostile look-alike in public: the same name and argument type as
-- pg_catalog's, first on the search path.  The cell never resolves it.
CREATE FUNCTION public.date_part(text, date) RETURNS double precision LANGUAGE sql IMMUTABLE RETURN 1;
GRANT EXECUTE ON FUNCTION public.date_part(text, date) TO PUBLIC;

SET ROLE tap_sqlcell_author;
SELECT mynahoken.rule_outcome_add('certificate_need', 'first_of_month_75', '75歳以上・月初生まれ', true);
SELECT mynahoken.rule_table_define('sqlcell.first', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT lives_ok($$SELECT mynahoken.rule_version_record('sqlcell.first', '[2026-04-01,)', 'sqlcell-2026', '2026-01-20', $grid$
  row | birth_date                                                  || outcome
  1   | sql: age >= 75 AND date_part('day', birth_date) = 1        || first_of_month_75
$grid$)$$, 'an author records a version with an sql: cell');
SELECT mynahoken.rule_test_add('sqlcell.first', 'born on the 1st, 80', '2026-08-03',
  '{"insurer_number": "06139992", "birth_date": "1946-05-01", "acquired_on": "2010-04-01",
    "my_number_linked": true, "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}', 'first_of_month_75');
SELECT mynahoken.rule_test_add('sqlcell.first', 'born on the 2nd, 80', '2026-08-03',
  '{"insurer_number": "06139992", "birth_date": "1946-05-02", "acquired_on": "2010-04-01",
    "my_number_linked": true, "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}', 'not_needed');

SET ROLE tap_sqlcell_approver;
SET search_path = public, pg_catalog;
SELECT results_eq($$SELECT severity, check_name, rows, detail FROM mynahoken.rule_activate('sqlcell.first')$$,
  $$VALUES ('info', 'opaque', '{1}'::int[], 'row 1, column "birth_date": sql: cell, excluded from the overlap, gap and masking checks')$$,
  'activation reports the cell as opaque (info, row and column) and activates');
RESET search_path;
SELECT is((SELECT status FROM mynahoken.rule_version WHERE table_name = 'sqlcell.first'), 'active', 'the version is active');

SELECT results_eq($$SELECT e.member_key, e.outcome, e.layer FROM mynahoken.rule_eval_certificate_need('2026-08-03') e ORDER BY 1$$,
  $$VALUES ('S1', 'first_of_month_75', 'insurer'), ('S2', 'not_needed', 'national'),
           ('S3', 'not_needed', 'national'), ('S4', 'not_needed', 'national')$$,
  'set-based: aged 75+ and born on the 1st at 06139992 (pg_catalog.date_part, not the look-alike in public)');
SELECT is((mynahoken.rule_decide_certificate_need('2026-08-03', NULL,
            '{"insurer_number": "06139992", "birth_date": "1951-08-01", "acquired_on": "2010-04-01",
              "my_number_linked": true, "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}')).outcome,
          'first_of_month_75', 'the scalar twin: 75 on 2026-08-01, born on the 1st');
SELECT results_eq($$SELECT test_name, passed FROM mynahoken.rule_run_tests('sqlcell.first') ORDER BY 1$$,
  $$VALUES ('born on the 1st, 80', true), ('born on the 2nd, 80', true)$$, 'the table''s tests run the sql: cell over jsonb facts');

-- The explanation shows the cell's truth value like any cell.
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'S1', '2026-08-03')->'rows_tried'->0->>'matched'), 'true',
          'S1: the row with the sql: cell matched');
SELECT is((SELECT mynahoken.rule_explain('certificate_need', 'S2', '2026-08-03')->'rows_tried'->0->'first_failing_cell'),
          jsonb_build_object('column', 'birth_date', 'cell', 'sql: age >= 75 AND date_part(''day'', birth_date) = 1', 'value', '1950-03-02'),
          'S2: the sql: cell failed, with the member''s value of its column');
RESET ROLE;

-- What reaches the compiled SQL is the analysed tree written again, every
-- name qualified; the analyst's text is not in it.
SELECT ok((SELECT body LIKE '%pg_catalog.date_part(CAST(''day'' AS pg_catalog.text)%' AND body LIKE '%OPERATOR(pg_catalog.=) pg_catalog.float8(CAST(''1'' AS integer))%'
             FROM mynahoken.rule_compiled WHERE decision = 'certificate_need'),
          'the compiled body calls pg_catalog.date_part with a typed literal, a qualified operator and the implicit cast as a qualified call');
SELECT ok((SELECT position('date_part(''day'', birth_date)' IN body) = 0 FROM mynahoken.rule_compiled WHERE decision = 'certificate_need'),
          'the cell''s text itself is not in the compiled body');
SELECT ok((SELECT prosqlbody IS NOT NULL AND NOT EXISTS (
             SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                AND d.refclassid = 'pg_proc'::regclass AND d.refobjid = 'public.date_part(text, date)'::regprocedure)
             FROM pg_proc p WHERE p.oid = 'mynahoken.rule_eval_certificate_need(date, date)'::regprocedure),
          'the compiled decision does not depend on the look-alike');

-- Validation by the parser and the catalog (messages: test/regress 60_rules).
SELECT throws_ok($$SELECT mynahoken.rule_sql_cell_facts('age > 3 AND random() < 0.5', '{day,age}', '{date,int}')$$,
                 '0A000', 'an sql: cell may call only immutable functions and operators', 'a volatile function is refused');
SELECT throws_ok($$SELECT mynahoken.rule_sql_cell_facts('age > (SELECT count(*) FROM pg_catalog.pg_class)', '{day,age}', '{date,int}')$$,
                 '0A000', NULL, 'a subquery is refused');
SELECT is(mynahoken.rule_sql_cell_facts('birth_date < day - 30 OR lost_on IS NULL', '{day,age,birth_date,lost_on}', '{date,int,date,date}'),
          '{day,birth_date,lost_on}', 'the facts a cell reads, day included');
SELECT is(mynahoken.rule_sql_cell_sql('age BETWEEN 70 AND 74 AND category IN (''late_elderly'')', '{day,age,category}', '{date,int,enum}', '{$1,AGE_SQL,CAT_SQL}'),
          '((((CAST((AGE_SQL) AS integer) OPERATOR(pg_catalog.>=) CAST(''70'' AS integer)) AND (CAST((AGE_SQL) AS integer) OPERATOR(pg_catalog.<=) CAST(''74'' AS integer))) AND (CAST((CAT_SQL) AS pg_catalog.text) OPERATOR(pg_catalog.=) CAST(''late_elderly'' AS pg_catalog.text))))',
          'written again from the tree: facts replaced, operators and types qualified, literals quoted');

SELECT * FROM finish();
ROLLBACK;
