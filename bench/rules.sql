-- Benchmark: the rule engine's compiled certificate_need (issue 11) against
-- its peers, in the same run.
--
--   compiled         mynahoken.rule_eval_certificate_need: first the shipped
--                    national table alone (checked against the C function:
--                    every outcome count equal), then 3 insurer exception
--                    rows in front of it (subject)
--   national_c       mynahoken.certificate_need per row (the C function alone)
--   lateral          an interpreter: the same 3 rows stored as data, joined per
--                    member (LEFT JOIN LATERAL ... ORDER BY priority LIMIT 1)
--   plpgsql          a PL/pgSQL per-member evaluator of the same rows
--   floor            count(*), sum(length(insurer_number)) over the same table
--
-- Serial and parallel (2 workers).  :rows defaults to 10,000,000; the
-- PL/pgSQL peer runs on a prefix of the table (its rate per row is what the
-- report compares).

\if :{?rows}
\else
\set rows ''
\endif
SELECT coalesce(nullif(:'rows', ''), '10000000')::bigint AS nrows \gset
SELECT least(:nrows, 200000) AS nplpgsql \gset

SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.rule_members CASCADE;
CREATE TABLE bench.rule_members (
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

INSERT INTO bench.rule_members
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
CREATE INDEX ON bench.rule_members (member_key);
VACUUM ANALYZE bench.rule_members;
SELECT mynahoken.register_member_source('bench.rule_members');

-- The rules: (a) 06139992 75+, (c) 39131156 85+ from 2026-08-01, (d) 要配慮者
-- at 39131156 on application.
-- the insurer's own rows of an earlier run; the shipped national table stays
SET session_replication_role = replica;
DELETE FROM mynahoken.rule_row WHERE NOT shipped;
DELETE FROM mynahoken.rule_test WHERE NOT shipped;
DELETE FROM mynahoken.rule_version WHERE NOT shipped;
RESET session_replication_role;
TRUNCATE mynahoken.rule_compiled;
DELETE FROM mynahoken.rule_table WHERE NOT shipped;

-- The national decision alone: the shipped table national.certificate_need
-- compiled, against the C function (the oracle) over every member: every
-- outcome count equal (undecidable: the members the C function refuses).
SELECT mynahoken.rule_compile('certificate_need');
SELECT count(*) AS national_count_differences
  FROM (SELECT e.outcome, count(*) AS n FROM mynahoken.rule_eval_certificate_need('2026-08-03') e GROUP BY 1) e
  FULL JOIN (SELECT CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number) AND m.birth_date IS NOT NULL
                          AND m.acquired_on IS NOT NULL AND m.acquired_on >= m.birth_date
                          AND NOT coalesce(m.lost_on < m.acquired_on, false)
                         THEN mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number),
                                '2026-08-03', m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on,
                                m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on)::text END AS outcome,
                    count(*) AS n
               FROM bench.rule_members m GROUP BY 1) c USING (outcome)
 WHERE e.n IS DISTINCT FROM c.n;
SELECT e.outcome, count(*) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e GROUP BY 1 ORDER BY 1;

SET max_parallel_workers_per_gather = 0;
SELECT bench.run('certificate_need national serial', 'floor', :nrows,
  $$SELECT count(*), sum(length(insurer_number)) FROM bench.rule_members$$);
SELECT bench.run('certificate_need national serial', 'floor_all_columns', :nrows,
  $$SELECT count(*), sum(length(insurer_number)), count(birth_date), count(acquired_on), count(lost_on),
           count(my_number_linked), count(myna_registered_on), count(myna_withdrawn_on), count(ecert_expires_on),
           count(certificate_requested_on) FROM bench.rule_members$$);
SELECT bench.run('certificate_need national serial', 'compiled', :nrows,
  $$SELECT count(e.outcome) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e$$, true);
SELECT bench.run('certificate_need national serial', 'national_c', :nrows,
  $$SELECT count(mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03',
      m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on, m.myna_withdrawn_on,
      m.ecert_expires_on, m.certificate_requested_on)) FROM bench.rule_members m$$);
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT bench.run('certificate_need national parallel', 'floor', :nrows,
  $$SELECT count(*), sum(length(insurer_number)) FROM bench.rule_members$$);
SELECT bench.run('certificate_need national parallel', 'compiled', :nrows,
  $$SELECT count(e.outcome) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e$$, true);
SELECT bench.run('certificate_need national parallel', 'national_c', :nrows,
  $$SELECT count(mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03',
      m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on, m.myna_withdrawn_on,
      m.ecert_expires_on, m.certificate_requested_on)) FROM bench.rule_members m$$);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;

DELETE FROM mynahoken.rule_fact WHERE fact = 'care_needs';
SELECT mynahoken.rule_fact_add('care_needs', 'boolean', 'care_needs', '要配慮者');
DELETE FROM mynahoken.rule_outcome WHERE NOT shipped;
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', '年齢による職権交付', true, 35);
SELECT mynahoken.rule_outcome_add('certificate_need', 'age_85', '85歳以上', true, 36);
SELECT mynahoken.rule_outcome_add('certificate_need', 'care_needs_on_application', '要配慮者 申請', true, 37);
SELECT mynahoken.rule_table_define('bench.minato', 'certificate_need', '{06139992}', 'national.certificate_need:myna');
SELECT mynahoken.rule_table_define('bench.kouiki', 'certificate_need', '{39131156}', 'national.certificate_need:myna');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author)
VALUES ('bench.minato', '[2026-04-01,)', '2026-01-20', 'bench', '{age}', 'bench_author'),
       ('bench.kouiki', '[2026-08-01,)', '2026-03-10', 'bench', '{age,care_needs,certificate_requested_on}', 'bench_author');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
SELECT v.version_id, r.row_no, r.cells, r.outcome
  FROM mynahoken.rule_version v
  JOIN (VALUES ('bench.minato', 1, '{">= 75"}'::text[], 'insurer_age_policy'),
               ('bench.kouiki', 1, '{">= 85","-","-"}', 'age_85'),
               ('bench.kouiki', 2, '{"< 85","true","<= day"}', 'care_needs_on_application')) AS r(t, row_no, cells, outcome)
    ON r.t = v.table_name;
SELECT count(*) AS diagnostics FROM mynahoken.rule_activate('bench.minato');
SELECT count(*) AS diagnostics FROM mynahoken.rule_activate('bench.kouiki');

-- The interpreter's rows as data.
DROP TABLE IF EXISTS bench.rule_data;
CREATE TABLE bench.rule_data (priority int, insurer_number text, nat text[], valid daterange,
                              min_age int, max_age int, care boolean, requested boolean, outcome text);
INSERT INTO bench.rule_data VALUES
  (1, '06139992', '{no_my_number,not_registered,registration_withdrawn,ecert_expired,not_needed}', '[2026-04-01,)', 75, NULL, NULL, NULL, 'insurer_age_policy'),
  (2, '39131156', '{no_my_number,not_registered,registration_withdrawn,ecert_expired,not_needed}', '[2026-08-01,)', 85, NULL, NULL, NULL, 'age_85'),
  (3, '39131156', '{no_my_number,not_registered,registration_withdrawn,ecert_expired,not_needed}', '[2026-08-01,)', NULL, 84, true, true, 'care_needs_on_application');
ANALYZE bench.rule_data;

CREATE OR REPLACE FUNCTION bench.rule_plpgsql(m bench.rule_members, day date) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  nat text;
  age int;
  r bench.rule_data;
BEGIN
  IF NOT mynahoken.insurer_number_is_valid(m.insurer_number) THEN RETURN NULL; END IF;
  nat := mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), day,
           m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on,
           m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on)::text;
  age := mynahoken.rule_age_on(m.birth_date, day);
  FOR r IN SELECT * FROM bench.rule_data d ORDER BY d.priority LOOP
    IF r.insurer_number = m.insurer_number AND nat = ANY (r.nat) AND r.valid @> day
       AND (r.min_age IS NULL OR age >= r.min_age) AND (r.max_age IS NULL OR age <= r.max_age)
       AND (r.care IS NULL OR m.care_needs = r.care)
       AND (r.requested IS NULL OR m.certificate_requested_on <= day) THEN
      RETURN r.outcome;
    END IF;
  END LOOP;
  RETURN nat;
END $$;

-- The answers agree before anything is timed.
SELECT count(*) AS disagreements
  FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
  JOIN bench.rule_members m USING (member_key)
  LEFT JOIN LATERAL (SELECT d.outcome FROM bench.rule_data d
                      WHERE d.insurer_number = m.insurer_number
                        AND d.valid @> date '2026-08-03'
                        AND (d.min_age IS NULL OR mynahoken.rule_age_on(m.birth_date, '2026-08-03') >= d.min_age)
                        AND (d.max_age IS NULL OR mynahoken.rule_age_on(m.birth_date, '2026-08-03') <= d.max_age)
                        AND (d.care IS NULL OR m.care_needs = d.care)
                        AND (d.requested IS NULL OR m.certificate_requested_on <= date '2026-08-03')
                        AND e.layer IN ('insurer', 'national')
                        AND (SELECT c.need FROM (SELECT mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number),
                               '2026-08-03', m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on,
                               m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on)::text AS need) c) = ANY (d.nat)
                      ORDER BY d.priority LIMIT 1) i ON true
 WHERE e.layer <> 'undecidable'
   AND e.outcome IS DISTINCT FROM coalesce(i.outcome,
         mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03',
           m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on,
           m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on)::text);

DO $$ BEGIN RAISE NOTICE 'rules bench: members ready'; END $$;
SET client_min_messages = notice;

SET max_parallel_workers_per_gather = 0;
SELECT bench.run('certificate_need rules serial', 'floor', :nrows,
  $$SELECT count(*), sum(length(insurer_number)) FROM bench.rule_members$$);
SELECT bench.run('certificate_need rules serial', 'compiled', :nrows,
  $$SELECT count(e.outcome) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e$$, true);
SELECT bench.run('certificate_need rules serial', 'national_c', :nrows,
  $$SELECT count(mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03',
      m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on, m.myna_withdrawn_on,
      m.ecert_expires_on, m.certificate_requested_on)) FROM bench.rule_members m$$);
SELECT bench.run('certificate_need rules serial', 'lateral', :nrows,
  $$SELECT count(coalesce(i.outcome, n.nat))
      FROM bench.rule_members m
      CROSS JOIN LATERAL (SELECT mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number),
               '2026-08-03', m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on,
               m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on)::text AS nat,
               mynahoken.rule_age_on(m.birth_date, '2026-08-03') AS age) n
      LEFT JOIN LATERAL (SELECT d.outcome FROM bench.rule_data d
                          WHERE d.insurer_number = m.insurer_number AND n.nat = ANY (d.nat)
                            AND d.valid @> date '2026-08-03'
                            AND (d.min_age IS NULL OR n.age >= d.min_age) AND (d.max_age IS NULL OR n.age <= d.max_age)
                            AND (d.care IS NULL OR m.care_needs = d.care)
                            AND (d.requested IS NULL OR m.certificate_requested_on <= date '2026-08-03')
                          ORDER BY d.priority LIMIT 1) i ON true$$);
SELECT bench.run('certificate_need rules serial', 'plpgsql', :nplpgsql,
  format($$SELECT count(bench.rule_plpgsql(m, '2026-08-03')) FROM (SELECT * FROM bench.rule_members LIMIT %s) m$$, :nplpgsql), false, 1);

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT bench.run('certificate_need rules parallel', 'floor', :nrows,
  $$SELECT count(*), sum(length(insurer_number)) FROM bench.rule_members$$);
SELECT bench.run('certificate_need rules parallel', 'compiled', :nrows,
  $$SELECT count(e.outcome) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e$$, true);
SELECT bench.run('certificate_need rules parallel', 'national_c', :nrows,
  $$SELECT count(mynahoken.certificate_need(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03',
      m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on, m.myna_withdrawn_on,
      m.ecert_expires_on, m.certificate_requested_on)) FROM bench.rule_members m$$);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;

-- One member's explanation, and an activation (checks and compile).
DO $$
DECLARE
  t0 timestamptz;
  best float8;
BEGIN
  FOR i IN 1..5 LOOP
    t0 := clock_timestamp();
    PERFORM mynahoken.rule_explain('certificate_need', '4242', '2026-08-03');
    best := least(best, extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
  PERFORM bench.record('rule_explain one member', 'compiled', 1, best, true);
  RAISE NOTICE 'rule_explain: % ms', round((best * 1000)::numeric, 2);
END $$;

-- Population coverage (per row and first failing cell) against the decision
-- alone, serial.
SET max_parallel_workers_per_gather = 0;
SELECT bench.run('coverage certificate_need serial', 'decision', :nrows,
  $$SELECT count(e.outcome) FROM mynahoken.rule_eval_certificate_need('2026-08-03') e$$, false, 1);
SELECT bench.run('coverage certificate_need serial', 'rule_coverage', :nrows,
  $$SELECT count(*) FROM mynahoken.rule_coverage('certificate_need', '2026-08-03')$$, true, 1);
RESET max_parallel_workers_per_gather;

-- Activation (every check, the compile and its EXPLAIN) of a 200-row table over
-- 6 columns, hit policy first: one row per age and 要配慮者 flag, with
-- conditions on the other four columns.
SET client_min_messages = warning;
SELECT mynahoken.rule_table_define('bench.wide', 'certificate_need', '{131151}', 'national.certificate_need:myna', 'first');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author)
VALUES ('bench.wide', '[2026-04-01,)', '2026-01-20', 'bench', '{age,care_needs,my_number_linked,acquired_on,myna_registered_on,ecert_expires_on}', 'bench_author');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
SELECT (SELECT max(version_id) FROM mynahoken.rule_version), i,
       ARRAY[format('[%s..%s]', (i - 1) / 2, (i - 1) / 2),
             CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END,
             CASE WHEN i % 4 < 2 THEN 'true' ELSE '-' END,
             format('>= %s', date '2000-01-01' + i * 30),
             '-', CASE WHEN i % 3 = 0 THEN 'not null' ELSE '-' END],
       'insurer_age_policy'
  FROM generate_series(1, 200) AS i;
DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
  secs float8;
  n int;
BEGIN
  SELECT count(*) INTO n FROM mynahoken.rule_activate('bench.wide');
  secs := extract(epoch FROM clock_timestamp() - t0);
  -- recorded per table row (the report's ns_per_row is then the time per
  -- row of the table; the whole activation is printed here)
  PERFORM bench.record('activation 200 rows x 6 columns', 'rule_activate', 200, secs, true);
  PERFORM set_config('client_min_messages', 'notice', true);
  RAISE NOTICE 'activation of 200 x 6: % s, % diagnostics', round(secs::numeric, 3), n;
END $$;
SET client_min_messages = notice;

-- The date decision certificate_valid_until (policy (b)): a collect-min table
-- (one year, the 70th-birthday month end, the day before the 75th birthday)
-- at 131151 and the next 7月31日 at 39131156, every insurer date capped at
-- the legal maximum, against the national C function per row.
SET client_min_messages = warning;
SELECT mynahoken.rule_table_define('bench.kaku_valid', 'certificate_valid_until', '{131151}',
         'national.certificate_valid_until:term', 'collect', aggregation => 'min');
SELECT mynahoken.rule_table_define('bench.kouiki_valid', 'certificate_valid_until', '{39131156}',
         'national.certificate_valid_until:term');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author)
VALUES ('bench.kaku_valid', '[2026-04-01,)', '2026-03-01', 'bench', '{age}', 'bench_author'),
       ('bench.kouiki_valid', '[2026-04-01,)', '2026-03-01', 'bench', '{age}', 'bench_author');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
SELECT v.version_id, r.row_no, r.cells, r.outcome
  FROM mynahoken.rule_version v
  JOIN (VALUES ('bench.kaku_valid', 1, '{"-"}'::text[], 'day_before(add_months(day, 12))'),
               ('bench.kaku_valid', 2, '{"< 70"}', 'month_end(birthday(70))'),
               ('bench.kaku_valid', 3, '{"< 75"}', 'day_before(birthday(75))'),
               ('bench.kouiki_valid', 1, '{"-"}', 'next_month_day(add_months(day, 1), 7, 31)')) AS r(t, row_no, cells, outcome)
    ON r.t = v.table_name;
SELECT count(*) AS diagnostics FROM mynahoken.rule_activate('bench.kaku_valid');
SELECT count(*) AS diagnostics FROM mynahoken.rule_activate('bench.kouiki_valid');
SET client_min_messages = notice;
-- The national layer and the 後期 rule equal the C function before timing.
SELECT count(*) AS valid_until_disagreements
  FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03') e
  JOIN bench.rule_members m USING (member_key)
 WHERE m.insurer_number <> '131151'
   AND e.value IS DISTINCT FROM mynahoken.certificate_valid_until(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03');

SET max_parallel_workers_per_gather = 0;
SELECT bench.run('certificate_valid_until rules serial', 'floor', :nrows,
  $$SELECT count(*), sum(length(insurer_number)) FROM bench.rule_members$$);
SELECT bench.run('certificate_valid_until rules serial', 'compiled', :nrows,
  $$SELECT count(e.value) FROM mynahoken.rule_eval_certificate_valid_until('2026-08-03') e$$, true);
SELECT bench.run('certificate_valid_until rules serial', 'national_c', :nrows,
  $$SELECT count(mynahoken.certificate_valid_until(mynahoken.category(m.insurer_number::mynahoken.insurer_number), '2026-08-03'))
      FROM bench.rule_members m$$);
RESET max_parallel_workers_per_gather;
