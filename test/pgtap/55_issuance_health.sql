-- issuance_health: one row per kind of problem, from run log, queue and
-- hand-off rows written here (a real skipped, failed and interrupted run:
-- test/scripts/51_issuance_cron.sh).  The pg_cron helpers where pg_cron is in
-- another database and dblink is not installed.  Rolled back.
BEGIN;
SET search_path = mynahoken, public;
SELECT plan(18);

TRUNCATE issuance_queue, issuance_run, issuance_handoff, issuance_rejection;

SELECT is_empty('SELECT * FROM mynahoken.issuance_health', 'nothing planned, nothing to report');

-- runs: 2 finished (as of 09-01), 1 skipped before it (caught up), 3 skipped
-- after it (not), 4 failed, 5 running in a backend that holds no lock
INSERT INTO issuance_run (run_id, as_of, late_days, source, status, chunk_size, started_at, attempt_started_at, pid)
VALUES (1, '2025-08-31', 60, 's', 'skipped', 10, '2025-08-31 02:00+09', '2025-08-31 02:00+09', 1),
       (2, '2025-09-01', 60, 's', 'finished', 10, '2025-09-01 02:00+09', '2025-09-01 02:00+09', 1),
       (3, '2025-09-02', 60, 's', 'skipped', 10, '2025-09-02 02:00+09', '2025-09-02 02:00+09', 1),
       (4, '2025-09-03', 60, 's', 'failed', 10, '2025-09-03 02:00+09', '2025-09-03 02:00+09', 1),
       (5, '2025-09-04', 60, 's', 'running', 10, '2025-09-04 02:00+09', '2025-09-04 02:05+09', 0),
       (6, '2025-09-04', 60, 's', 'superseded', 10, '2025-09-04 02:00+09', '2025-09-04 02:05+09', 0);
SELECT results_eq(
  $$SELECT kind, severity, count, since, ids, ids_of FROM mynahoken.issuance_health(7, '2025-09-05') ORDER BY kind$$,
  $$VALUES ('run_failed', 'error', 1::bigint, '2025-09-03 02:00+09'::timestamptz, '{4}'::bigint[], 'run_id'),
           ('run_interrupted', 'error', 1::bigint, '2025-09-04 02:05+09'::timestamptz, '{5}'::bigint[], 'run_id'),
           ('run_skipped', 'warning', 1::bigint, '2025-09-02 02:00+09'::timestamptz, '{3}'::bigint[], 'run_id')$$,
  'a failed run, a run interrupted and a run skipped after the last finished one; one skipped before it is caught up');
SELECT is((SELECT count(*) FROM mynahoken.issuance_health WHERE kind LIKE 'run_%'), 3::bigint,
          'the view shows them too');
-- a run with a live lock holder is running, not interrupted
UPDATE issuance_run SET pid = pg_backend_pid() WHERE run_id = 5;
SELECT pg_advisory_lock(k[1], k[2]) FROM issuance_lock_key() AS k;
SELECT is_empty($$SELECT * FROM mynahoken.issuance_health(7, '2025-09-05') WHERE kind = 'run_interrupted'$$,
                'a run whose backend holds the issuance lock is not interrupted');
SELECT pg_advisory_unlock(k[1], k[2]) FROM issuance_lock_key() AS k;
UPDATE issuance_run SET status = 'finished', as_of = '2025-09-02' WHERE run_id = 5;
SELECT is_empty($$SELECT * FROM mynahoken.issuance_health(7, '2025-09-05') WHERE kind IN ('run_skipped', 'run_interrupted')$$,
                'a later finished run for the day catches a skipped run up');
-- run 8 is skipped because run 7, of the same day, holds the lock; run 7
-- finishes after the skip: the day's run did happen
INSERT INTO issuance_run (run_id, as_of, late_days, source, status, chunk_size, started_at, attempt_started_at, finished_at, pid)
VALUES (7, '2025-09-06', 60, 's', 'finished', 10, '2025-09-06 02:00+09', '2025-09-06 02:00+09', '2025-09-06 02:30+09', 1),
       (8, '2025-09-06', 60, 's', 'skipped', 10, '2025-09-06 02:01+09', '2025-09-06 02:01+09', NULL, 1);
SELECT is_empty($$SELECT * FROM mynahoken.issuance_health(7, '2025-09-08') WHERE kind = 'run_skipped'$$,
                'a skipped run is caught up by the run that held the lock and finished after it');
-- run 10 is skipped after run 9 of its day finished: nothing covers it
INSERT INTO issuance_run (run_id, as_of, late_days, source, status, chunk_size, started_at, attempt_started_at, finished_at, pid)
VALUES (9, '2025-09-07', 60, 's', 'finished', 10, '2025-09-07 02:00+09', '2025-09-07 02:00+09', '2025-09-07 02:10+09', 1),
       (10, '2025-09-07', 60, 's', 'skipped', 10, '2025-09-07 02:20+09', '2025-09-07 02:20+09', NULL, 1);
SELECT results_eq(
  $$SELECT kind, ids FROM mynahoken.issuance_health(7, '2025-09-08') WHERE kind = 'run_skipped'$$,
  $$VALUES ('run_skipped', '{10}'::bigint[])$$,
  'a skipped run is not caught up by a run that finished before it');
TRUNCATE issuance_run;

-- documents: a certificate whose validity ended 09-03, one valid to 09-05
-- (not late on 09-05), a notice whose send-by was 09-03, one in a batch
-- (not counted here), one sent
INSERT INTO issuance_handoff (handoff_id, employer, documents, prepared_at, sent_on)
VALUES (1, 'E1', 1, '2025-08-28 10:00+09', NULL),
       (2, 'E1', 1, '2025-08-30 10:00+09', NULL),
       (3, 'E1', 1, '2025-08-20 10:00+09', '2025-08-21');
INSERT INTO issuance_queue (queue_id, member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                            sending_window, insurer_number, category, employer, as_of, run_id, basis_id, handoff_id, sent_on)
VALUES (11, 'K1', 'certificate', '2020-01-01', '2025-09-03', 'no_my_number', '2024-09-04', '2025-09-03', NULL, '01130012', 'kyokai_kenpo', 'E1', '2024-09-01', 1, 1, NULL, NULL),
       (12, 'K2', 'certificate', '2020-01-01', '2025-09-05', 'no_my_number', '2024-09-06', '2025-09-05', NULL, '01130012', 'kyokai_kenpo', 'E1', '2024-09-01', 1, 1, NULL, NULL),
       (13, 'K3', 'notice', '2025-08-01', '2025-08-04', 'on_acquisition', NULL, NULL, '[2025-08-04,2025-09-04)', '01130012', 'kyokai_kenpo', 'E1', '2025-08-02', 1, 1, NULL, NULL),
       (14, 'K4', 'notice', '2025-08-01', '2025-08-04', 'on_acquisition', NULL, NULL, '[2025-08-04,2025-09-01)', '01130012', 'kyokai_kenpo', 'E1', '2025-08-02', 1, 1, 1, NULL),
       (15, 'K5', 'certificate', '2020-01-01', '2025-08-01', 'no_my_number', '2024-08-02', '2025-08-01', NULL, '01130012', 'kyokai_kenpo', 'E1', '2024-07-01', 1, 1, 3, '2025-08-21');
SELECT results_eq(
  $$SELECT kind, severity, count, since, ids, ids_of FROM mynahoken.issuance_health(7, '2025-09-05') ORDER BY kind$$,
  $$VALUES ('certificate_expired', 'error', 1::bigint, '2025-09-04'::date::timestamptz, '{11}'::bigint[], 'queue_id'),
           ('handoff_unsent', 'warning', 1::bigint, '2025-08-28 10:00+09'::timestamptz, '{1}'::bigint[], 'handoff_id'),
           ('notice_late', 'warning', 1::bigint, '2025-09-04'::date::timestamptz, '{13}'::bigint[], 'queue_id')$$,
  'late documents not in a batch (certificate past its validity, notice past its send-by) and a batch unsent for 7 days');
SELECT is((SELECT count FROM mynahoken.issuance_health(6, '2025-09-05') WHERE kind = 'handoff_unsent'), 2::bigint,
          'unsent_days is the parameter: 6 days take the batch of 08-30 in');
SELECT is_empty($$SELECT * FROM mynahoken.issuance_health(7, '2025-09-03')$$,
                'on 2025-09-03 nothing is late yet');
SELECT is((SELECT array_length(ids, 1) FROM mynahoken.issuance_health(7, '2025-09-05') WHERE kind = 'certificate_expired'), 1,
          'ids lists the documents');
INSERT INTO issuance_queue (queue_id, member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                            insurer_number, category, employer, as_of, run_id, basis_id)
SELECT 100 + i, 'L' || i, 'certificate', '2020-01-01', '2025-08-01', 'no_my_number', '2024-08-02', '2025-08-01',
       '01130012', 'kyokai_kenpo', 'E1', '2024-07-01', 1, 1
  FROM generate_series(1, 150) AS i;
SELECT is((SELECT count || '|' || array_length(ids, 1) FROM mynahoken.issuance_health(7, '2025-09-05') WHERE kind = 'certificate_expired'),
          '151|100', 'count counts every one, ids names the first 100');
SELECT is_empty($$SELECT * FROM mynahoken.issuance_health h WHERE h::text ~ '(K|L)[0-9]'$$,
                'no member key in the view');
SELECT is_empty($$SELECT * FROM mynahoken.issuance_health(NULL) WHERE kind = 'handoff_unsent'$$,
                'a NULL unsent_days reports no hand-off (and raises nothing)');

-- pg_cron is in another database (cron.database_name) and dblink is not here
SELECT throws_ok($$SELECT mynahoken.schedule_issuance('0 17 * * *', 'mh-tap')$$, '42704',
                 'pg_cron runs in another database and dblink is not installed in this database',
                 'schedule_issuance without pg_cron here nor dblink: 42704, what to do in the hint');
SELECT throws_ok($$SELECT * FROM mynahoken.issuance_cron_runs()$$, '42704', NULL,
                 'issuance_cron_runs likewise');
SELECT throws_ok($$SELECT * FROM mynahoken.issuance_health(-1)$$, '22023', 'unsent_days must be zero or more',
                 'a negative unsent_days is refused, not read as "every batch"');
SELECT throws_ok($$SELECT * FROM mynahoken.issuance_health(7, NULL)$$, '22004', 'as_of must not be null',
                 'a null as_of is refused, never an empty "healthy" answer');

SELECT * FROM finish();
ROLLBACK;
