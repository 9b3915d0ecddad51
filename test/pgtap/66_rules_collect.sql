-- Rule engine: decisions whose output is a set of outcomes, written as
-- collect tables (issue 11).  usable_documents re-expressed as the shipped
-- table national.usable_documents, against the C function
-- mynahoken.usable_documents (the oracle) over synthetic and boundary
-- members on several days: every member equal.  document_plan: the national
-- 資格確認書 and a document kind of the insurer's own (a renewal reminder)
-- planned by a rule row, explained and tested like any decision.
-- Rolled back at the end.
BEGIN;
SET datestyle = ISO;
SELECT plan(21);

CREATE SCHEMA tap_coll;
CREATE TABLE tap_coll.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date
);
CREATE TABLE tap_coll.insurers AS
SELECT DISTINCT ON (c) c, n
  FROM (SELECT mynahoken.category(mynahoken.insurer_number(x.n))::text AS c, x.n
          FROM (SELECT p || d::text AS n
                  FROM unnest(ARRAY['0113001', '0213001', '0313001', '0613999', '0713001', '3113001', '3913115',
                                    '6313001', '6713001', '13115', '13303']) AS p,
                       generate_series(0, 9) AS d) x
         WHERE mynahoken.insurer_number_is_valid(x.n)) y
 ORDER BY c, n;

-- Synthetic members: every category, 資格 lost or not, My Number linked or
-- not (NULL too), registered, withdrawn before or after, e-certificates
-- expired long ago or lately, 資格確認書 held until various days.
INSERT INTO tap_coll.members
SELECT 'S' || i,
       (SELECT n FROM tap_coll.insurers ORDER BY c OFFSET (i * 7) % 11 LIMIT 1),
       b, greatest(b, date '2005-04-01' + ((i * 104729) % 7800)::int),
       CASE WHEN i % 37 = 0 THEN date '2026-01-01' + (i % 400)::int END, 'E' || (i % 50),
       CASE WHEN i % 101 = 0 THEN NULL ELSE i % 100 < 85 END,
       CASE WHEN i % 100 < 62 THEN date '2021-10-20' + (i % 1900)::int END,
       CASE WHEN i % 100 IN (1, 2, 3) THEN date '2025-01-01' + (i % 700)::int END,
       CASE WHEN i % 100 < 85 THEN date '2025-01-01' + (i % 1800)::int END,
       NULL,
       CASE WHEN i % 3 = 0 THEN date '2026-01-01' + (i % 700)::int END
  FROM (SELECT i, date '1935-01-01' + ((i * 7919) % 32000)::int AS b
          FROM generate_series(1, 12000) AS i) s;
-- Boundary members around 2026-08-03 in every category: acquisition, loss,
-- registration, withdrawal (before and after the registration) and the
-- 資格確認書's last day on the day, the day before and after; e-certificates
-- around the grace end (month ends).
INSERT INTO tap_coll.members
SELECT format('B%s-%s-%s', c, ei, wi), n, date '1950-01-01',
       CASE wi WHEN 1 THEN day_ WHEN 2 THEN day_ + 1 ELSE date '2015-04-01' END,
       CASE wi WHEN 3 THEN day_ WHEN 4 THEN day_ + 1 WHEN 5 THEN day_ - 1 END,
       'E1', wi <> 6,
       CASE wi WHEN 7 THEN day_ WHEN 8 THEN day_ + 1 WHEN 9 THEN NULL WHEN 12 THEN day_ - 10 ELSE date '2022-01-01' END,
       CASE wi WHEN 10 THEN day_ WHEN 11 THEN day_ + 1 WHEN 12 THEN day_ - 11 WHEN 13 THEN day_ - 9 END,
       eexp, NULL,
       CASE wi WHEN 14 THEN day_ WHEN 15 THEN day_ - 1 WHEN 16 THEN day_ + 1 END
  FROM tap_coll.insurers, (VALUES (date '2026-08-03')) AS d(day_),
       LATERAL (SELECT ei, e AS eexp
                  FROM unnest(ARRAY[NULL, date '2026-04-30', '2026-05-01', '2026-05-31', '2026-04-01', '2026-07-31',
                                    '2026-01-31', '2030-02-28']) WITH ORDINALITY AS y(e, ei)) ee,
       generate_series(0, 16) AS wi;
-- Members the C function refuses.
INSERT INTO tap_coll.members VALUES
  ('U1', '39131156', '1950-01-01', NULL, NULL, 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL),
  ('U2', '39131156', '1950-01-01', '2015-04-01', '2015-03-31', 'E1', true, '2022-01-01', NULL, NULL, NULL, NULL);
SELECT cmp_ok((SELECT count(*) FROM tap_coll.members), '>', 13000::bigint, 'synthetic and boundary members');
SELECT is(mynahoken.register_member_source('tap_coll.members'), 'tap_coll.members'::regclass, 'the member source');
SELECT is(mynahoken.rule_compile('usable_documents'), 'mynahoken.rule_eval_usable_documents', 'usable_documents compiled from its collect table');

-- The oracle: the C function (online check, no 健康保険証), NULL where it refuses.
CREATE FUNCTION pg_temp.oracle(day date, known date)
RETURNS TABLE (member_key text, outcomes text[]) LANGUAGE sql STABLE AS $$
  SELECT m.member_key,
         CASE WHEN m.acquired_on IS NOT NULL AND NOT coalesce(m.lost_on < m.acquired_on, false)
              THEN CAST(mynahoken.usable_documents(mynahoken.category(mynahoken.insurer_number(m.insurer_number)), day,
                     m.acquired_on, m.lost_on, NULL, NULL, m.my_number_linked, m.myna_registered_on,
                     m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_valid_until, true, known) AS text[]) END
    FROM tap_coll.members m
$$;
CREATE FUNCTION pg_temp.differ(day date, known date) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*)
    FROM mynahoken.rule_eval_usable_documents(day, known) e
    FULL JOIN pg_temp.oracle(day, known) o USING (member_key)
   WHERE e.outcomes IS DISTINCT FROM o.outcomes
      OR (e.layer = 'undecidable') IS DISTINCT FROM (o.outcomes IS NULL)
$$;
SELECT is(pg_temp.differ('2026-08-03', NULL), 0::bigint, '2026-08-03: every member equal to the C function');
SELECT is(pg_temp.differ('2026-08-04', NULL), 0::bigint, '2026-08-04: every member equal');
SELECT is(pg_temp.differ('2026-08-01', NULL), 0::bigint, '2026-08-01 (a month''s first day, the grace end moves): every member equal');
SELECT is(pg_temp.differ('2026-07-31', NULL), 0::bigint, '2026-07-31 (a month end): every member equal');
SELECT is(pg_temp.differ('2024-12-01', NULL), 0::bigint, '2024-12-01 (the day before 資格確認書 exist): every member equal');
SELECT is(pg_temp.differ('2028-02-29', NULL), 0::bigint, '2028-02-29 (a leap day): every member equal');
SELECT is(pg_temp.differ('2026-08-03', '2025-06-01'), 0::bigint, '2026-08-03 as known on 2025-06-01: every member equal');
SELECT results_eq(
  $$SELECT coalesce(CAST(outcomes AS text), 'undecidable'), count(*) FROM mynahoken.rule_eval_usable_documents('2026-08-03') GROUP BY 1 ORDER BY 1$$,
  $$SELECT coalesce(CAST(outcomes AS text), 'undecidable'), count(*) FROM pg_temp.oracle('2026-08-03', NULL) GROUP BY 1 ORDER BY 1$$,
  'every set of documents counted alike on 2026-08-03');
SELECT is((SELECT count(DISTINCT outcomes) FROM mynahoken.rule_eval_usable_documents('2026-08-03')), 4::bigint,
          'the four sets are reached: none, マイナ保険証, 資格確認書, both');
SELECT is((SELECT (mynahoken.rule_decide_usable_documents('2026-08-03', NULL,
             '{"acquired_on": "2010-04-01", "my_number_linked": true, "myna_registered_on": "2022-01-01",
               "myna_withdrawn_on": "2021-05-01", "certificate_valid_until": "2026-08-03"}')).outcomes),
          '{myna_hokensho,certificate}'::text[], 'the scalar twin: registered again after a withdrawal, 資格確認書 valid through the day');

-- document_plan: the national 資格確認書, and the insurer's renewal reminder
-- (a document kind of its own) for members whose 資格確認書 ends within
-- 60 days, planned by a rule row of an insurer table.
CREATE ROLE tap_coll_author IN ROLE mynahoken_rule_author;
CREATE ROLE tap_coll_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON tap_coll.members TO tap_coll_approver;
SELECT n AS hs FROM tap_coll.insurers WHERE c = 'health_society' \gset
SET ROLE tap_coll_author;
INSERT INTO mynahoken.document_kind (code, print_name, description)
VALUES ('renewal_reminder', '資格確認書 更新のご案内', 'The 組合''s reminder that a 資格確認書 ends soon');
SELECT mynahoken.rule_outcome_add('document_plan', 'renewal_reminder', '更新のご案内');
SELECT mynahoken.rule_table_define('tap_coll.reminder', 'document_plan', ARRAY[:'hs'],
                                   'national.document_plan:documents', 'collect');
SELECT mynahoken.rule_version_record('tap_coll.reminder', '[2026-04-01,)', 'tap-kenpo-2026', '2026-02-01', $grid$
  row | certificate_valid_until                      || outcome
  1   | sql: certificate_valid_until - day <= 60 AND certificate_valid_until >= day || renewal_reminder
$grid$);
SELECT mynahoken.rule_test_add('tap_coll.reminder', 'ends in 30 days', '2026-08-03',
  jsonb_build_object('insurer_number', :'hs', 'birth_date', '1950-01-01',
                     'acquired_on', '2010-04-01', 'my_number_linked', true, 'myna_registered_on', '2022-01-01',
                     'certificate_valid_until', '2026-09-02'), '{renewal_reminder}');
SET ROLE tap_coll_approver;
SELECT results_eq($$SELECT severity, check_name FROM mynahoken.rule_activate('tap_coll.reminder')$$,
                  $$VALUES ('info', 'opaque')$$, 'the insurer''s collect table is activated, its sql: cell reported opaque');
RESET ROLE;
SELECT is((SELECT count(*) FROM mynahoken.rule_eval_document_plan('2026-08-03') e JOIN tap_coll.members m USING (member_key)
            WHERE 'renewal_reminder' = ANY (e.outcomes)
              AND NOT (m.insurer_number = (SELECT n FROM tap_coll.insurers WHERE c = 'health_society')
                       AND m.certificate_valid_until BETWEEN '2026-08-03' AND '2026-10-02')), 0::bigint,
          'the reminder goes only to the 組合''s members whose 資格確認書 ends within 60 days');
SELECT cmp_ok((SELECT count(*) FROM mynahoken.rule_eval_document_plan('2026-08-03') WHERE 'renewal_reminder' = ANY (outcomes)), '>', 0::bigint,
              'and to some');
SELECT mynahoken.rule_compile('certificate_need') AS need_function \gset
SELECT is((SELECT count(*) FROM mynahoken.rule_eval_document_plan('2026-08-03') e
             JOIN mynahoken.rule_eval_certificate_need('2026-08-03') n USING (member_key)
             LEFT JOIN mynahoken.rule_outcome o ON o.decision = 'certificate_need' AND o.code = n.outcome
            WHERE ('certificate' = ANY (coalesce(e.outcomes, '{}'))) IS DISTINCT FROM coalesce(o.needs_certificate, false)), 0::bigint,
          'the national 資格確認書 is planned exactly where certificate_need gives a ground for one');
SELECT is((SELECT mynahoken.rule_explain('document_plan', m.member_key, '2026-08-03')->'rows_tried'
             FROM tap_coll.members m
            WHERE m.member_key = (SELECT min(member_key) FROM mynahoken.rule_eval_document_plan('2026-08-03') WHERE outcomes = '{renewal_reminder}')),
          (SELECT jsonb_build_array(
                    jsonb_build_object('table_name', 'national.document_plan', 'version_id', v.version_id, 'row_no', 1,
                                       'outcome', 'certificate', 'matched', false,
                                       'first_failing_cell', jsonb_build_object('column', 'national_certificate_need',
                                         'cell', 'late_elderly_blanket, late_elderly_age, no_my_number, not_registered, registration_withdrawn, ecert_expired, on_request',
                                         'value', 'not_needed')),
                    jsonb_build_object('table_name', 'tap_coll.reminder', 'version_id', w.version_id, 'row_no', 1,
                                       'outcome', 'renewal_reminder', 'matched', true, 'first_failing_cell', NULL))
             FROM mynahoken.rule_version v, mynahoken.rule_version w
            WHERE v.table_name = 'national.document_plan' AND w.table_name = 'tap_coll.reminder'),
          'the explanation: the national row failed on certificate_need, the insurer''s sql: row matched');
SELECT results_eq($$SELECT test_name, got, passed FROM mynahoken.rule_run_tests('tap_coll.reminder')$$,
                  $$VALUES ('ends in 30 days', '{renewal_reminder}', true)$$, 'the table''s test compares the set of outcomes');

-- A set of outcomes is collected: another hit policy is refused.
SET ROLE tap_coll_author;
SELECT mynahoken.rule_table_define('tap_coll.first', 'document_plan', '{health_society}', 'national.document_plan:documents', 'first');
SELECT mynahoken.rule_version_record('tap_coll.first', '[2026-04-01,)', 'tap-kenpo-2026', '2026-02-01', $grid$
  row | certificate_valid_until || outcome
  1   | >= day                  || renewal_reminder
$grid$) AS v \gset
RESET ROLE;
SELECT results_eq(format('SELECT check_name, detail FROM mynahoken.rule_check(%s) WHERE severity = %L', :v, 'error'),
                  $$VALUES ('compile', 'hit policy first does not fit decision document_plan: its output is a set of outcomes (use collect or rule_order)')$$,
                  'a first-hit table for a set of outcomes is refused');

-- A document_plan outcome that is no document kind is refused.
SET ROLE tap_coll_author;
SELECT mynahoken.rule_outcome_add('document_plan', 'phone_call', '電話連絡');
SELECT mynahoken.rule_table_define('tap_coll.call', 'document_plan', '{health_society}', 'national.document_plan:documents', 'collect');
SELECT mynahoken.rule_version_record('tap_coll.call', '[2026-04-01,)', 'tap-kenpo-2026', '2026-02-01', $grid$
  row | certificate_valid_until || outcome
  1   | >= day                  || phone_call
$grid$) AS v \gset
RESET ROLE;
SELECT results_eq(format('SELECT check_name, detail FROM mynahoken.rule_check(%s) WHERE severity = %L', :v, 'error'),
                  $$VALUES ('reference', 'row 1: "phone_call" is not a document kind (mynahoken.document_kind)')$$,
                  'a planned document must be a document kind');

SELECT * FROM finish();
ROLLBACK;
