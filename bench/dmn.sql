-- Benchmark: DMN interop (issue 15).  A generated 200-row, 6-input FIRST
-- decision table as DMN 1.3 XML, against the same rows written as a grid, in
-- the same run:
--
--   load + activate   rule_import_dmn (XMLTABLE, FEEL -> cells, every cell
--                     checked) and rule_activate (every check, the compile
--                     and its EXPLAIN) of the DMN table (subject), against
--                     rule_version_record of the grid and rule_activate
--                     (peer); the issue asks for <= 3 s
--   evaluation        rule_eval_certificate_need over :rows members with the
--                     DMN version active (subject), then with the grid's
--                     (peer): the same compiled function, so the same rate;
--                     the answers are compared before timing
--   floor             count(*), sum(length(insurer_number)) over the members
--
-- :rows defaults to 200,000 (the 200-row table costs its rows' comparisons for
-- the members in its scope; the ratio, not the rate, is the point).

\if :{?rows}
\else
\set rows ''
\endif
SELECT coalesce(nullif(:'rows', ''), '200000')::bigint AS nrows \gset

SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.dmn_members CASCADE;
CREATE TABLE bench.dmn_members (
  member_key               text,
  insurer_number           text,
  birth_date               date,
  acquired_on              date,
  lost_on                  date,
  employer                 text,
  my_number_linked         boolean,
  myna_registered_on       date,
  myna_withdrawn_on        date,
  ecert_expires_on         date,
  certificate_requested_on date,
  certificate_valid_until  date,
  care_needs               boolean
) WITH (autovacuum_enabled = false);
INSERT INTO bench.dmn_members
SELECT i::text,
       (ARRAY['01130012', '06139992', '31130016', '39131156', '131151', '133033'])[k],
       b, greatest(b, date '2005-04-01' + ((i * 104729) % 7500)::int),
       NULL, 'E' || (i % 50),
       i % 100 < 85,
       CASE WHEN i % 100 < 62 THEN date '2021-10-20' + (i % 1200)::int END,
       CASE WHEN i % 100 = 1 THEN date '2025-01-01' + (i % 300)::int END,
       CASE WHEN i % 100 < 85 THEN date '2025-01-01' + (i % 1800)::int END,
       CASE WHEN i % 200 = 0 THEN date '2025-01-15' + (i % 300)::int END,
       NULL, i % 13 = 0
  FROM (SELECT i, 1 + (i * 7) % 6 AS k, date '1935-01-01' + ((i * 7919) % 32000)::int AS b
          FROM generate_series(1::bigint, :nrows) AS i) s;
VACUUM ANALYZE bench.dmn_members;
SELECT mynahoken.register_member_source('bench.dmn_members');

-- A clean slate of insurer rules; an author role (four eyes: the superuser approves).
TRUNCATE mynahoken.rule_row, mynahoken.rule_test, mynahoken.rule_change_set_version, mynahoken.rule_version, mynahoken.rule_compiled;
DELETE FROM mynahoken.rule_table WHERE NOT shipped;
DELETE FROM mynahoken.rule_fact WHERE fact = 'care_needs';
SELECT mynahoken.rule_fact_add('care_needs', 'boolean', 'care_needs', '要配慮者');
DELETE FROM mynahoken.rule_outcome WHERE NOT shipped;
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', '年齢による職権交付', true, 35);
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_dmn_author') THEN
    CREATE ROLE bench_dmn_author IN ROLE mynahoken_rule_author;
  END IF;
END $$;

-- The 200 rows, as cells and as FEEL: one row per age and 要配慮者 flag,
-- with conditions on four other columns (as bench/rules.sql's wide table).
DROP TABLE IF EXISTS bench.dmn_rows;
CREATE TABLE bench.dmn_rows AS
SELECT i AS row_no,
       ARRAY[format('[%s..%s]', (i - 1) / 2, (i - 1) / 2),
             CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END,
             CASE WHEN i % 4 < 2 THEN 'true' ELSE '-' END,
             format('>= %s', date '2000-01-01' + i * 30),
             '-', CASE WHEN i % 3 = 0 THEN 'not null' ELSE '-' END] AS cells,
       ARRAY[format('[%s..%s]', (i - 1) / 2, (i - 1) / 2),
             CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END,
             CASE WHEN i % 4 < 2 THEN 'true' ELSE '-' END,
             format('&gt;= date("%s")', date '2000-01-01' + i * 30),
             '', CASE WHEN i % 3 = 0 THEN 'not(null)' ELSE '-' END] AS feel
  FROM generate_series(1, 200) AS i;
SELECT format('<?xml version="1.0" encoding="UTF-8"?>'
              '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench" name="bench" namespace="urn:bench">'
              '<decision id="wide" name="wide"><decisionTable id="t" hitPolicy="FIRST">%s'
              '<output id="o" name="outcome" typeRef="string"/>%s</decisionTable></decision></definitions>',
              (SELECT string_agg(format('<input id="i%s" label="%s"><inputExpression typeRef="%s"><text>%s</text></inputExpression></input>',
                                        n, c, t, c), '' ORDER BY n)
                 FROM unnest('{age,care_needs,my_number_linked,acquired_on,myna_registered_on,ecert_expires_on}'::text[],
                             '{number,boolean,boolean,date,date,date}'::text[]) WITH ORDINALITY AS x(c, t, n)),
              (SELECT string_agg(format('<rule id="r%s">%s<outputEntry><text>"insurer_age_policy"</text></outputEntry></rule>',
                                        r.row_no, (SELECT string_agg(format('<inputEntry><text>%s</text></inputEntry>', f), '' ORDER BY o)
                                                     FROM unnest(r.feel) WITH ORDINALITY AS e(f, o))), '' ORDER BY r.row_no)
                 FROM bench.dmn_rows r)) AS dmn \gset
SELECT E'  row | age | care_needs | my_number_linked | acquired_on | myna_registered_on | ecert_expires_on || outcome\n'
       || string_agg(format('  %s | %s || insurer_age_policy', r.row_no, array_to_string(r.cells, ' | ')), E'\n' ORDER BY r.row_no) AS grid
  FROM bench.dmn_rows r \gset
SELECT mynahoken.rule_table_define('bench.dmn_wide', 'certificate_need', '{131151}', 'national.certificate_need:myna', 'first');
SELECT mynahoken.rule_table_define('bench.grid_wide', 'certificate_need', '{131151}', 'national.certificate_need:myna', 'first');
SET client_min_messages = notice;

-- Load and activate, timed: the import (or the grid) as the author, the
-- activation as the superuser (four eyes).  Each kind runs twice, DMN and grid
-- in turn; the second of each is recorded, the first printed: the first
-- activations of a session pay for compiling the PL/pgSQL of the checks and
-- the compiler, and for statistics of rule_row not gathered yet.
CREATE FUNCTION pg_temp.load(kind text, doc text, grid text,
                             OUT vid bigint, OUT load_s float8, OUT activate_s float8, OUT n int)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  t1 timestamptz;
BEGIN
  SET ROLE bench_dmn_author;
  IF kind = 'DMN' THEN
    vid := mynahoken.rule_import_dmn(doc::xml, 'bench.dmn_wide', '[2026-04-01,)', 'bench-dmn', '2026-01-20');
  ELSE
    vid := mynahoken.rule_version_record('bench.grid_wide', '[2026-04-01,)', 'bench-grid', '2026-01-20', grid);
  END IF;
  RESET ROLE;
  t1 := clock_timestamp();
  SELECT count(*) INTO n FROM mynahoken.rule_activate(CASE kind WHEN 'DMN' THEN 'bench.dmn_wide' ELSE 'bench.grid_wide' END, vid);
  load_s := extract(epoch FROM t1 - t0);
  activate_s := extract(epoch FROM clock_timestamp() - t1);
END $$;
CREATE TEMP TABLE dmn_t (impl text, load_s float8, activate_s float8, diagnostics int);
INSERT INTO dmn_t SELECT 'DMN, first', l.load_s, l.activate_s, l.n FROM pg_temp.load('DMN', :'dmn', :'grid') AS l;
UPDATE mynahoken.rule_version SET status = 'withdrawn' WHERE table_name = 'bench.dmn_wide' AND status = 'active';
INSERT INTO dmn_t SELECT 'grid, first', l.load_s, l.activate_s, l.n FROM pg_temp.load('grid', :'dmn', :'grid') AS l;
UPDATE mynahoken.rule_version SET status = 'withdrawn' WHERE table_name = 'bench.grid_wide' AND status = 'active';
INSERT INTO dmn_t SELECT 'DMN', l.load_s, l.activate_s, l.n FROM pg_temp.load('DMN', :'dmn', :'grid') AS l;
SELECT max(version_id) AS vid FROM mynahoken.rule_version WHERE table_name = 'bench.dmn_wide' \gset
-- the answers of the DMN version
CREATE TEMP TABLE dmn_answer AS SELECT member_key, outcome, row_no, layer FROM mynahoken.rule_eval_certificate_need('2026-08-03');
SELECT bench.run('dmn: certificate_need, 200-row FIRST table', 'compiled from the DMN import', :nrows,
                 $$SELECT count(*), count(e.row_no) FROM mynahoken.rule_eval_certificate_need('2026-08-03') AS e$$, true);
UPDATE mynahoken.rule_version SET status = 'withdrawn' WHERE version_id = :vid;
INSERT INTO dmn_t SELECT 'grid', l.load_s, l.activate_s, l.n FROM pg_temp.load('grid', :'dmn', :'grid') AS l;
SELECT max(version_id) AS gvid FROM mynahoken.rule_version WHERE table_name = 'bench.grid_wide' \gset
SELECT count(*) AS disagreements
  FROM dmn_answer a FULL JOIN mynahoken.rule_eval_certificate_need('2026-08-03') g USING (member_key)
 WHERE (a.outcome, a.row_no, a.layer) IS DISTINCT FROM (g.outcome, g.row_no, g.layer);
SELECT (SELECT array_agg(r.cells ORDER BY r.row_no) FROM mynahoken.rule_row r WHERE r.version_id = :vid)
     = (SELECT array_agg(r.cells ORDER BY r.row_no) FROM mynahoken.rule_row r WHERE r.version_id = :gvid) AS same_cells;
SELECT bench.run('dmn: certificate_need, 200-row FIRST table', 'compiled from the grid', :nrows,
                 $$SELECT count(*), count(e.row_no) FROM mynahoken.rule_eval_certificate_need('2026-08-03') AS e$$);
SELECT bench.run('dmn: certificate_need, 200-row FIRST table', 'floor: count, sum(length(insurer_number))', :nrows,
                 $$SELECT count(*), sum(length(m.insurer_number)) FROM bench.dmn_members AS m$$);
UPDATE mynahoken.rule_version SET status = 'withdrawn' WHERE version_id = :gvid;

SELECT bench.record('dmn: load + checks + compile, 200 rows x 6', CASE impl WHEN 'DMN' THEN 'rule_import_dmn + rule_activate'
                                                                         ELSE 'rule_version_record (grid) + rule_activate' END,
                    200, load_s + activate_s, impl = 'DMN')
  FROM dmn_t WHERE impl IN ('DMN', 'grid');
SELECT impl, round(load_s::numeric, 3) AS load_s, round(activate_s::numeric, 3) AS activate_s,
       round((load_s + activate_s)::numeric, 3) AS total_s, diagnostics
  FROM dmn_t ORDER BY impl;
