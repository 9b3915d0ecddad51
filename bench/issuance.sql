-- Issuance planning for 1,000,000 members as of one day (issue 6):
--   mynahoken plan_issuance (snapshot, chunks of 10,000 committed one by one,
--   idempotent keys, run log, resumable) against the naive peer: one
--   INSERT ... SELECT of the same decisions in a single transaction.
--   Then the cost of a rerun that finds nothing to do, for both.
-- The peer is not resumable, holds one transaction for the whole run and
-- hard-codes what plan_issuance reads from the calendar (the day お知らせ on
-- acquisition start); it plans the same documents (checked below).

\if :{?rows}
\else
\set rows ''
\endif
SELECT coalesce(nullif(:'rows', ''), '1000000')::bigint AS nrows \gset
\set as_of '''2025-09-01'''

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_iss CASCADE;
CREATE SCHEMA bench_iss;
SELECT setseed(0.6) AS seeded \gset
CREATE TABLE bench_iss.members AS
SELECT i AS member_id,
       (ARRAY['01130012', '01130012', '01130012', '01130012', '06139992', '31130016',
              '39131156', '39131156', '131151', '131151', '133033', '01130013'])[1 + (random() * 11)::int] AS insurer_number,
       date '1940-01-01' + (random() * 30000)::int AS birth_date,
       date '2025-09-01' - (random() * 7000)::int AS acquired_on,
       CASE WHEN random() < 0.03 THEN date '2025-01-01' + (random() * 240)::int END AS lost_on,
       (1 + (random() * 20000)::int)::text AS employer,
       random() < 0.85 AS my_number_linked,
       CASE WHEN random() < 0.6 THEN date '2022-01-01' + (random() * 900)::int END AS myna_registered_on,
       CASE WHEN random() < 0.005 THEN date '2025-01-01' END AS myna_withdrawn_on,
       date '2025-01-01' + (random() * 1800)::int AS ecert_expires_on,
       CASE WHEN random() < 0.005 THEN date '2025-02-01' END AS certificate_requested_on
  FROM generate_series(1, :nrows) AS i;
-- Members older than their acquisition day would be refused: keep the data clean.
UPDATE bench_iss.members SET birth_date = acquired_on - 1 WHERE birth_date > acquired_on;
ALTER TABLE bench_iss.members ADD PRIMARY KEY (member_id);
VACUUM ANALYZE bench_iss.members;
CREATE VIEW bench_iss.source AS
SELECT member_id AS member_key, insurer_number, birth_date, acquired_on, lost_on,
       CASE WHEN insurer_number LIKE '39%' OR length(insurer_number) = 6 THEN NULL ELSE employer END AS employer,
       my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on,
       certificate_requested_on, NULL::date AS certificate_valid_until
  FROM bench_iss.members;
SELECT mynahoken.register_member_source('bench_iss.source');
TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection;

-- The peer's queue: same columns, key, checks and indexes as the real one.
CREATE TABLE bench_iss.naive_queue (LIKE mynahoken.issuance_queue INCLUDING ALL);
CREATE FUNCTION bench_iss.naive_plan(as_of date) RETURNS bigint LANGUAGE sql AS $$
  WITH d AS (
    SELECT s.member_key::text AS k, s.insurer_number::mynahoken.insurer_number AS ins, s.acquired_on, s.employer,
           s.my_number_linked, c.category,
           mynahoken.certificate_need(c.category, as_of, s.birth_date, s.acquired_on, s.lost_on, s.my_number_linked,
                                      s.myna_registered_on, s.myna_withdrawn_on, s.ecert_expires_on,
                                      s.certificate_requested_on)::text AS reason
      FROM bench_iss.source s
      CROSS JOIN LATERAL (SELECT mynahoken.category(s.insurer_number::mynahoken.insurer_number) AS category) c
     WHERE mynahoken.insurer_number_is_valid(s.insurer_number)
       AND (s.lost_on IS NULL OR s.lost_on >= s.acquired_on) AND s.acquired_on >= s.birth_date
  ), ins AS (
    INSERT INTO bench_iss.naive_queue (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                                       sending_window, insurer_number, category, employer, as_of, run_id, basis_id)
    SELECT d.k, 'certificate'::mynahoken.issuance_document, d.acquired_on, v.u, d.reason, as_of, v.u, NULL::daterange, d.ins, d.category, d.employer, as_of, 0, 0
      FROM d CROSS JOIN LATERAL (SELECT mynahoken.certificate_valid_until(d.category, as_of) AS u) v
     WHERE d.reason NOT IN ('not_needed', 'not_eligible')
    UNION ALL
    SELECT d.k, 'notice'::mynahoken.issuance_document, d.acquired_on, lower(w.w), 'on_acquisition', NULL::date, NULL::date, w.w, d.ins, d.category, d.employer, as_of, 0, 0
      FROM d CROSS JOIN LATERAL (SELECT mynahoken.notice_sending_window(d.category, d.acquired_on) AS w) w
     WHERE d.my_number_linked AND d.acquired_on >= date '2024-12-02' AND d.acquired_on <= as_of
       AND d.reason NOT IN ('not_eligible', 'late_elderly_blanket', 'late_elderly_age')
       AND lower(w.w) <= as_of AND as_of < upper(w.w) + 60
    ON CONFLICT (member_key, document, acquired_on, issue_window) DO NOTHING
    RETURNING 1
  )
  SELECT count(*) FROM ins
$$;

-- mynahoken: first run, then a rerun that finds nothing to do.
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CALL mynahoken.plan_issuance(:as_of, chunk_size => 10000);
SELECT bench.record('issuance plan, 1 day', 'mynahoken plan_issuance (chunks of 10,000)', :nrows,
                    extract(epoch FROM clock_timestamp()) - :t0, true);
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CALL mynahoken.plan_issuance(:as_of, chunk_size => 10000);
SELECT bench.record('issuance rerun, nothing to do', 'mynahoken plan_issuance (chunks of 10,000)', :nrows,
                    extract(epoch FROM clock_timestamp()) - :t0, true);

-- The peer, same two steps.
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT bench_iss.naive_plan(:as_of) AS naive_planned;
SELECT bench.record('issuance plan, 1 day', 'naive single INSERT ... SELECT', :nrows,
                    extract(epoch FROM clock_timestamp()) - :t0);
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT bench_iss.naive_plan(:as_of) AS naive_planned_again;
SELECT bench.record('issuance rerun, nothing to do', 'naive single INSERT ... SELECT', :nrows,
                    extract(epoch FROM clock_timestamp()) - :t0);

-- Same documents on both sides; what the runs logged.
SELECT (SELECT count(*) FROM mynahoken.issuance_queue) AS mynahoken_documents,
       (SELECT count(*) FROM bench_iss.naive_queue) AS naive_documents,
       (SELECT count(*) FROM (SELECT member_key, document, reason, issue_window FROM mynahoken.issuance_queue
                              EXCEPT SELECT member_key, document, reason, issue_window FROM bench_iss.naive_queue) x) AS differences;
SELECT run_id, state, members_done, certificates, notices, already_planned, rejected_invalid_insurer,
       rejected_other, chunks, members_per_s
  FROM mynahoken.issuance_runs ORDER BY run_id;

TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection;
DELETE FROM mynahoken.member_source;
DROP SCHEMA bench_iss CASCADE;
