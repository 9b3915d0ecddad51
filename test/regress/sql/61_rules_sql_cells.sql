-- sql: cells (issue 11): the exact refusals of a predicate that is not a
-- pure function of the facts, and a look-alike that is never resolved.
SET datestyle = ISO;
SET client_min_messages = notice;
\set SHOW_CONTEXT never
BEGIN;
CREATE SCHEMA sc;
CREATE TABLE sc.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date
);
INSERT INTO sc.members VALUES
  ('c1', '06139992', '1946-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL),
  ('c2', '06139992', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL);
SELECT mynahoken.register_member_source('sc.members');
CREATE ROLE regress_sqlcell_author IN ROLE mynahoken_rule_author;
CREATE ROLE regress_sqlcell_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON sc.members TO regress_sqlcell_approver;
-- another schema's function, and look-alikes in public
CREATE SCHEMA sc_other;
CREATE FUNCTION sc_other.old(integer) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN $1 >= 75;
CREATE FUNCTION public.sc_lookalike(integer) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN true;
CREATE FUNCTION public.abs(integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN 1000;
GRANT USAGE ON SCHEMA sc_other TO PUBLIC;

-- Each refusal, with its SQLSTATE; the messages never quote the cell.
CREATE FUNCTION pg_temp.refusal(cell text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN array_to_string(mynahoken.rule_sql_cell_facts(cell, '{day,age,birth_date}', '{date,int,date}'), ',');
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT c AS cell, pg_temp.refusal(c) AS result
  FROM unnest(ARRAY[
    'age >= 75 AND birth_date < day',
    'age > 3 AND random() < 0.5',
    'birth_date < now()',
    'age > (SELECT count(*) FROM mynahoken.rule_row)',
    'EXISTS (SELECT 1)',
    'sc_other.old(age)',
    'sc_lookalike(age)',
    'shoe_size > 40',
    'sc.members.age > 3',
    'true); DROP TABLE mynahoken.rule_row; --',
    'age > 3 /* comment */',
    'age > $1',
    'age > 3 FROM mynahoken.rule_row',
    'age > 3 UNION SELECT false',
    'age + 1',
    'count(*) > 1',
    'age >']) AS c;

-- In a version: rule_check reports each, naming row and column; a valid
-- cell is opaque (info), excluded from the proofs.
SET ROLE regress_sqlcell_author;
SELECT mynahoken.rule_outcome_add('certificate_need', 'sc_policy', '組合独自', true);
SELECT mynahoken.rule_table_define('sc.bad', 'certificate_need', '{06139992}', 'national.certificate_need:myna', 'first');
SELECT mynahoken.rule_version_record('sc.bad', '[2026-04-01,)', 'sc-2026', '2026-01-20', $grid$
  row | age                                              || outcome
  1   | sql: age > 3 AND random() < 0.5                  || sc_policy
  2   | sql: age > (SELECT count(*) FROM mynahoken.rule_row) || sc_policy
  3   | sql: sc_other.old(age)                           || sc_policy
  4   | sql: shoe_size > 40                              || sc_policy
  5   | sql: true); DROP TABLE mynahoken.rule_row; --     || sc_policy
  6   | sql: sc_lookalike(age)                           || sc_policy
  7   | sql: abs(age - 80) < 3                           || sc_policy
$grid$) AS bad_version \gset
SELECT severity, check_name, rows, detail FROM mynahoken.rule_check(:bad_version) ORDER BY rows, check_name;
RESET ROLE;
SELECT count(*) > 0 AS rule_rows_still_there FROM mynahoken.rule_row;

-- A look-alike first on the search path with the exact signature of
-- pg_catalog.abs(integer): the cell is compiled with pg_catalog's.
SET ROLE regress_sqlcell_author;
SELECT mynahoken.rule_table_define('sc.good', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('sc.good', '[2026-04-01,)', 'sc-2026', '2026-01-20', $grid$
  row | age                      || outcome
  1   | sql: abs(age - 80) < 3   || sc_policy
$grid$) AS good_version \gset
SET ROLE regress_sqlcell_approver;
SET search_path = public, pg_catalog;
SELECT * FROM mynahoken.rule_activate('sc.good', :good_version);
RESET search_path;
SELECT member_key, outcome, layer FROM mynahoken.rule_eval_certificate_need('2026-08-03') ORDER BY member_key;
RESET ROLE;
SELECT position('pg_catalog.abs(' IN body) > 0 AS qualified, position('public.' IN body) = 0 AS no_public
  FROM mynahoken.rule_compiled WHERE decision = 'certificate_need';
ROLLBACK;
