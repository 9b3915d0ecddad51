-- Rule engine, third part: the national decision certificate_need re-expressed
-- as the shipped, labelled table national.certificate_need, compiled into
-- mynahoken.rule_eval_certificate_need, against the C function
-- mynahoken.certificate_need (the oracle) over synthetic members and
-- generated boundary members (birthdays around the 75th and 85th, month ends,
-- leap days, e-certificate grace ends, every insurer category), on several
-- decision and knowledge days: every member equal, so every outcome count.
-- bench/rules.sql runs the same comparison over 10,000,000 members.
-- Rolled back at the end.
BEGIN;
SET datestyle = ISO;
SELECT plan(26);

CREATE SCHEMA tap_nat;
CREATE TABLE tap_nat.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date
);

-- One valid insurer number per category (the first check digit that passes),
-- and numbers that are not valid.
CREATE TABLE tap_nat.insurers AS
SELECT DISTINCT ON (c) c, n
  FROM (SELECT mynahoken.category(mynahoken.insurer_number(x.n))::text AS c, x.n, x.ord
          FROM (SELECT p || d::text AS n, p || d::text AS ord
                  FROM unnest(ARRAY['0113001', '0213001', '0313001', '0613999', '0713001', '3113001', '3913115',
                                    '6313001', '6713001', '13115', '13303']) AS p,
                       generate_series(0, 9) AS d) x
         WHERE mynahoken.insurer_number_is_valid(x.n)) y
 ORDER BY c, ord;
SELECT is((SELECT count(*) FROM tap_nat.insurers),
          (SELECT count(*) FROM unnest(enum_range(NULL::mynahoken.insurer_category))),
          'an insurer number of every category');

-- Synthetic members (the distribution of bench/rules.sql, every category).
INSERT INTO tap_nat.members
SELECT 'S' || i,
       (SELECT n FROM tap_nat.insurers ORDER BY c OFFSET (i * 7) % 11 LIMIT 1),
       b, greatest(b, date '2005-04-01' + ((i * 104729) % 7500)::int),
       CASE WHEN i % 37 = 0 THEN date '2026-01-01' + (i % 400)::int END, 'E' || (i % 50),
       CASE WHEN i % 101 = 0 THEN NULL ELSE i % 100 < 85 END,
       CASE WHEN i % 100 < 62 THEN date '2021-10-20' + (i % 1200)::int END,
       CASE WHEN i % 100 IN (1, 2) THEN date '2025-01-01' + (i % 700)::int END,
       CASE WHEN i % 100 < 85 THEN date '2025-01-01' + (i % 1800)::int END,
       CASE WHEN i % 200 = 0 THEN date '2025-01-15' + (i % 900)::int END,
       NULL
  FROM (SELECT i, date '1935-01-01' + ((i * 7919) % 32000)::int AS b
          FROM generate_series(1, 20000) AS i) s;

-- Boundary members, in every category: births around the 75th and 85th
-- birthdays of the decision and rule days and on leap days; e-certificates
-- expiring around the grace end (month ends); registration, withdrawal,
-- acquisition, loss and application on the day, the day before and after.
INSERT INTO tap_nat.members
SELECT format('B%s-%s-%s-%s', c, bi, ei, wi), n, birth,
       CASE WHEN wi = 7 THEN day_ ELSE least(date '2015-04-01', birth + 1) END,
       CASE wi WHEN 8 THEN day_ WHEN 9 THEN day_ + 1 END,
       'E1', wi <> 1,
       CASE wi WHEN 2 THEN NULL WHEN 3 THEN day_ + 1 WHEN 4 THEN day_ - 30 ELSE date '2022-01-01' END,
       CASE wi WHEN 4 THEN day_ WHEN 5 THEN day_ - 400 END,
       eexp,
       CASE wi WHEN 6 THEN day_ WHEN 10 THEN day_ + 1 END,
       NULL
  FROM tap_nat.insurers,
       (VALUES (date '2026-08-03')) AS d(day_),
       LATERAL (SELECT bi, b AS birth
                  FROM unnest(ARRAY[date '1941-07-31', '1941-08-01', '1941-08-02', '1941-08-03', '1941-08-04',
                                    '1951-08-03', '1951-08-04', '1940-02-29', '1944-02-29', '1952-02-29',
                                    '1942-02-28', '1942-03-01', '1956-08-31', '2000-02-29']) WITH ORDINALITY AS x(b, bi)) bb,
       LATERAL (SELECT ei, e AS eexp
                  FROM unnest(ARRAY[NULL, date '2026-04-30', '2026-05-01', '2026-05-31', '2026-04-01', '2026-07-31',
                                    '2026-01-31', '2030-02-28']) WITH ORDINALITY AS y(e, ei)) ee,
       generate_series(0, 10) AS wi;

-- Members the C function refuses (undecidable) and invalid insurer numbers.
INSERT INTO tap_nat.members VALUES
  ('U1', '01130019', '1950-01-01', '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U2', '39131156', NULL, '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U3', '39131156', '1950-01-01', NULL, NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U4', '39131156', '1950-01-01', '2015-04-01', '2015-03-31', 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U5', '39131156', '1950-01-01', '1949-12-31', NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U6', NULL, '1950-01-01', '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U7', '131151', NULL, '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL);
SELECT cmp_ok((SELECT count(*) FROM tap_nat.members), '>', 30000::bigint, 'synthetic and boundary members');

SELECT is(mynahoken.register_member_source('tap_nat.members'), 'tap_nat.members'::regclass, 'the member source');
SELECT is(mynahoken.rule_compile('certificate_need'), 'mynahoken.rule_eval_certificate_need', 'compiled with no insurer table');
SELECT ok((SELECT body FROM mynahoken.rule_compiled WHERE decision = 'certificate_need')
            NOT LIKE '%rule_national_certificate_need%'
          OR (SELECT body FROM mynahoken.rule_compiled WHERE decision = 'certificate_need') LIKE '%WHEN (CAST(%',
          'the compiled decision reads the national table');

-- The oracle: the C function per member, NULL where it refuses the member.
CREATE FUNCTION pg_temp.oracle(day date, known date)
RETURNS TABLE (member_key text, outcome text) LANGUAGE sql STABLE AS $$
  SELECT m.member_key,
         CASE WHEN m.insurer_number IS NOT NULL AND mynahoken.insurer_number_is_valid(m.insurer_number)
                   AND m.birth_date IS NOT NULL AND m.acquired_on IS NOT NULL
                   AND NOT coalesce(m.lost_on < m.acquired_on, false) AND m.acquired_on >= m.birth_date
              THEN mynahoken.certificate_need(mynahoken.category(mynahoken.insurer_number(m.insurer_number)), day,
                     m.birth_date, m.acquired_on, m.lost_on, m.my_number_linked, m.myna_registered_on,
                     m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on, known)::text END
    FROM tap_nat.members m
$$;
-- Members whose compiled outcome differs from the C function's.
CREATE FUNCTION pg_temp.differ(day date, known date) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*)
    FROM mynahoken.rule_eval_certificate_need(day, known) e
    FULL JOIN pg_temp.oracle(day, known) o USING (member_key)
   WHERE e.outcome IS DISTINCT FROM o.outcome
      OR (e.layer = 'undecidable') IS DISTINCT FROM (o.outcome IS NULL)
$$;

SELECT is(pg_temp.differ('2026-08-03', NULL), 0::bigint, '2026-08-03: every member equal to the C function');
SELECT is(pg_temp.differ('2026-07-31', NULL), 0::bigint, '2026-07-31 (last day of the 後期 暫定運用): every member equal');
SELECT is(pg_temp.differ('2026-08-01', NULL), 0::bigint, '2026-08-01 (the 85 rule starts): every member equal');
SELECT is(pg_temp.differ('2026-08-01', '2026-02-01'), 0::bigint, '2026-08-01 as known on 2026-02-01 (before the 85 rule was recorded): every member equal');
SELECT is(pg_temp.differ('2025-07-31', NULL), 0::bigint, '2025-07-31: every member equal');
SELECT is(pg_temp.differ('2028-02-29', NULL), 0::bigint, '2028-02-29 (a leap day): every member equal');
SELECT is(pg_temp.differ('2027-03-01', NULL), 0::bigint, '2027-03-01 (the birthday of 29 February births): every member equal');

-- Every outcome count equal, and every outcome of the decision reached.
SELECT results_eq(
  $$SELECT coalesce(outcome, 'undecidable'), count(*) FROM mynahoken.rule_eval_certificate_need('2026-08-03') GROUP BY 1 ORDER BY 1$$,
  $$SELECT coalesce(outcome, 'undecidable'), count(*) FROM pg_temp.oracle('2026-08-03', NULL) GROUP BY 1 ORDER BY 1$$,
  'outcome counts equal on 2026-08-03');
SELECT is((SELECT count(DISTINCT outcome)
             FROM (SELECT outcome FROM mynahoken.rule_eval_certificate_need('2026-08-03')
                   UNION ALL SELECT outcome FROM mynahoken.rule_eval_certificate_need('2026-07-31')) x),
          (SELECT count(*) FROM mynahoken.rule_outcome WHERE decision = 'certificate_need' AND statutory),
          'every national outcome is reached by some member on 2026-07-31 or 2026-08-03');

-- The explanations read the national outcome from the national table (the
-- trace function's fact national_certificate_need), not from the C function:
-- equal to the oracle for every member.
SELECT is((SELECT count(*)
             FROM mynahoken.rule_trace_certificate_need('2026-08-03') t
             FULL JOIN pg_temp.oracle('2026-08-03', NULL) o USING (member_key)
            WHERE t.facts->>'national_certificate_need' IS DISTINCT FROM o.outcome),
          0::bigint, 'the national outcome the explanations read equals the C function for every member');

-- The explanation of a member the national table decides lists its rows
-- tried in order: each before the deciding one with its first failing cell
-- and the member's value, the last the row the compiled decision names.
CREATE TEMP TABLE nat_explained AS
SELECT y.member_key, y.row_no, y.version_id, y.x->'rule_version' AS rule_version,
       jsonb_path_query_array(y.x->'rows_tried', '$[*] ? (@.table_name == "national.certificate_need")') AS rows
  FROM (SELECT e.member_key, e.row_no, e.version_id, mynahoken.rule_explain('certificate_need', e.member_key, '2026-08-03') AS x
          FROM mynahoken.rule_eval_certificate_need('2026-08-03') e
         WHERE e.table_name = 'national.certificate_need'
           AND (e.member_key NOT LIKE 'S%' AND hashtext(e.member_key) % 13 = 0 OR e.member_key ~ '^S[0-9]*00$')) y;
SELECT cmp_ok((SELECT count(DISTINCT row_no) FROM nat_explained), '>=', 10::bigint,
              'explained members decided by ten rows of the national table or more');
SELECT is((SELECT count(*) FROM nat_explained x
            WHERE NOT ((x.rows->-1->>'row_no')::int = x.row_no AND (x.rows->-1->>'matched')::boolean
                       AND NOT EXISTS (SELECT FROM jsonb_array_elements(x.rows) WITH ORDINALITY AS r(o, i)
                                        WHERE i < jsonb_array_length(x.rows)
                                          AND ((r.o->>'matched')::boolean OR r.o->'first_failing_cell'->>'column' IS NULL
                                               OR (r.o->>'row_no')::int >= x.row_no)))),
          0::bigint, 'the explanation lists the national rows tried up to the one the compiled decision names, each earlier one with its first failing cell');
SELECT is((SELECT count(*) FROM nat_explained x
            WHERE (x.rule_version->>'version_id')::bigint IS DISTINCT FROM x.version_id
               OR x.rule_version->>'table_name' IS DISTINCT FROM 'national.certificate_need'
               OR x.rule_version->>'source' IS NULL),
          0::bigint, 'and its rule version is the national table''s version that decided, with its source');

-- Coverage in one pass over the member source (rows tried, matched, decided
-- and first failing cells) equals the same counts taken from the trace of
-- every member, with an insurer table of three rows in front of :myna.
SET LOCAL session_replication_role = replica;   -- a draft recorded directly, as bench/rules.sql does
SELECT mynahoken.rule_table_define('tap_nat.cover', 'certificate_need', ARRAY[(SELECT n FROM tap_nat.insurers WHERE c = 'health_society')],
                                   'national.certificate_need:myna', 'first');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author)
VALUES ('tap_nat.cover', '[2026-04-01,)', '2026-01-20', 'tap', '{age,my_number_linked,certificate_requested_on}', 'tap_author');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
SELECT (SELECT max(version_id) FROM mynahoken.rule_version WHERE table_name = 'tap_nat.cover'), r.row_no, r.cells, 'on_request'
  FROM (VALUES (1, '{">= 75","-","-"}'::text[]), (2, '{"[60..75)","true","<= day"}'), (3, '{"< 60","false","-"}')) AS r(row_no, cells);
RESET session_replication_role;
SELECT is((SELECT count(*) FROM mynahoken.rule_activate('tap_nat.cover') WHERE severity = 'error'), 0::bigint,
          'the insurer table in front of :myna is activated');
SELECT results_eq(
  $$SELECT table_name, version_id, row_no, tried, matched, decided, first_failing
      FROM mynahoken.rule_coverage('certificate_need', '2026-08-03') ORDER BY 1, 2, 3$$,
  $$WITH per_member AS (
      SELECT e->>'table_name' AS table_name, (e->>'version_id')::bigint AS version_id, (e->>'row_no')::int AS row_no,
             (SELECT min(c.i) FROM jsonb_array_elements_text(e->'cells') WITH ORDINALITY AS c(v, i) WHERE c.v = 'false') AS failing,
             (t.hit).version_id IS NOT DISTINCT FROM (e->>'version_id')::bigint
               AND (t.hit).row_no IS NOT DISTINCT FROM (e->>'row_no')::int AS decided
        FROM mynahoken.rule_trace_certificate_need('2026-08-03') t, jsonb_array_elements(t.tried) e
       WHERE (e->>'in_scope')::boolean AND e->>'layer' IS DISTINCT FROM 'national'),
    per_cell AS (SELECT table_name, version_id, row_no, failing, count(*) AS n, count(*) FILTER (WHERE decided) AS nd
                   FROM per_member GROUP BY 1, 2, 3, 4)
    SELECT c.table_name, c.version_id, c.row_no, sum(c.n)::bigint, coalesce(sum(c.n) FILTER (WHERE c.failing IS NULL), 0)::bigint,
           sum(c.nd)::bigint,
           coalesce(jsonb_object_agg(v.columns[c.failing], c.n) FILTER (WHERE c.failing IS NOT NULL), '{}')
      FROM per_cell c JOIN mynahoken.rule_version v USING (version_id)
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
  'coverage in one pass equals the counts of the trace of every member');
SELECT is((SELECT count(*) FROM mynahoken.rule_coverage('certificate_need', '2026-08-03')
            WHERE decided > 0 AND first_failing <> '{}'), 3::bigint,
          'each of the three rows decides some members and fails for others');

-- A row that no member matches counts 0 (issue 11), as every count.
SET LOCAL session_replication_role = replica;
SELECT mynahoken.rule_table_define('tap_nat.none', 'certificate_need', ARRAY[(SELECT n FROM tap_nat.insurers WHERE c = 'mutual_aid')],
                                   'national.certificate_need:myna', 'first');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author)
VALUES ('tap_nat.none', '[2026-04-01,)', '2026-01-20', 'tap', '{age}', 'tap_author');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
SELECT (SELECT max(version_id) FROM mynahoken.rule_version WHERE table_name = 'tap_nat.none'), 1, '{">= 149"}', 'on_request';
RESET session_replication_role;
SELECT is((SELECT count(*) FROM mynahoken.rule_activate('tap_nat.none') WHERE severity = 'error'), 0::bigint,
          'an insurer table whose row no member matches is activated');
SELECT is((SELECT jsonb_build_object('tried', tried > 0, 'matched', matched, 'decided', decided)
             FROM mynahoken.rule_coverage('certificate_need', '2026-08-03') WHERE table_name = 'tap_nat.none'),
          '{"tried": true, "matched": 0, "decided": 0}'::jsonb,
          'its coverage: tried by the members of the insurer, matched and decided by none: 0, not NULL');
SELECT is_empty($$SELECT * FROM mynahoken.rule_coverage('certificate_need', '2026-08-03')
                   WHERE tried IS NULL OR matched IS NULL OR decided IS NULL$$, 'no count of the coverage is NULL');

-- The parameter check reads a row's parameters for the category its
-- category cell names, as the compiled decision does, and only on the days
-- its decision day cell admits: the shipped version checks clean (the 後期
-- parameters have no value for other categories, the age threshold none
-- before the age rule starts).  A draft that reads them for a category
-- they have no value for, or on days before the threshold exists, is told.
SELECT is_empty($$SELECT * FROM mynahoken.rule_check((SELECT v.version_id FROM mynahoken.rule_version v
                                                        WHERE v.table_name = 'national.certificate_need' AND v.status = 'active')) c
                    WHERE c.severity <> 'info'$$,
                'the shipped national version checks with no error');
SET LOCAL session_replication_role = replica;   -- a draft of the national table, recorded directly
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, author)
VALUES ('national.certificate_need', '(,)', '2026-01-20', 'tap', '{category,decision_day,late_elderly_rule_age}', 'tap_author');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome)
SELECT (SELECT max(version_id) FROM mynahoken.rule_version WHERE table_name = 'national.certificate_need'), r.row_no, r.cells, 'late_elderly_age'
  FROM (VALUES (1, '{health_society,">= param(late_elderly_age_rule_from)",">= param(late_elderly_age_threshold)"}'::text[]),
               (2, '{late_elderly,-,">= param(late_elderly_age_threshold)"}'),
               (3, '{late_elderly,">= param(late_elderly_age_rule_from)",">= param(late_elderly_age_threshold)"}')) AS r(row_no, cells);
RESET session_replication_role;
SELECT results_eq(
  $$SELECT c.rows, c.detail FROM mynahoken.rule_check((SELECT max(version_id) FROM mynahoken.rule_version
                                                        WHERE table_name = 'national.certificate_need')) c
     WHERE c.check_name = 'parameter' ORDER BY c.rows$$,
  $$VALUES ('{1}'::int[], 'parameter late_elderly_age_rule_from has no value for health_society on {(,)}'),
           ('{2}', 'parameter late_elderly_age_threshold has no value for late_elderly on {(,2026-08-01)}')$$,
  'a parameter read for a category it has no value for, or on days a row applies and it has none, is an error naming the rows');

SELECT * FROM finish();
ROLLBACK;
