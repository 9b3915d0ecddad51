-- Issuance planning (issues 6 and 13), BENCH_ROWS members (default
-- 1,000,000) as of one day:
--   * first run: mynahoken plan_issuance (chunks of 10,000 committed one by
--     one, idempotent keys, run log, member state, resumable) against the
--     naive peer, one INSERT ... SELECT of the same decisions in a single
--     transaction;
--   * idle rerun (nothing changed): both again, and the scan floor of the
--     member source, one sequential scan summing length(member_key);
--   * the next night with 1% of the members changed: both, and the floor;
--   * what the first run's other work costs alone: the peer deciding with
--     the rule engine instead of the C functions, the peer recording each
--     certificate's facts (issue 11) in its queue rows, as jsonb and as
--     typed columns, the member state written alone, and the peer making
--     every write the product makes (documents with the record, a member
--     state row per member) in its one statement, and the same split over
--     two sessions at once (both cores);
--   * hand-off of everything planned (prepare_handoffs).
-- Each step runs in a new connection; the table at the end gives per step the
-- WAL written (pg_current_wal_lsn difference), temporary file bytes, the peak
-- resident memory of the backend (VmHWM, which counts the shared buffers it
-- touched) and the size of the queue and of the member state.
-- The peer is not resumable, holds one transaction for the whole run and
-- hard-codes what plan_issuance reads from the calendar (the day お知らせ on
-- acquisition start); it plans the same documents (checked below).
-- bash bench/run.sh issuance; BENCH_ROWS=40000000 for the 40M run of
-- doc/issuance.md (about two hours and 40 GB of disk on 2 cores).

\if :{?rows}
\else
\set rows ''
\endif
SELECT coalesce(nullif(:'rows', ''), '1000000')::bigint AS nrows \gset
\set as_of '''2025-09-01'''
\set next_day '''2025-09-02'''
\set db :DBNAME

SET client_min_messages = warning;
-- -v reuse=1: keep bench_iss.members from an earlier run of the same size
-- (the 40M run generates them once, about 15 minutes).
\if :{?reuse}
\else
\set reuse 0
\endif
SELECT :reuse::int = 1 AND to_regclass('bench_iss.members') IS NOT NULL AS reusing \gset
\if :reusing
SELECT (SELECT max(member_id) FROM bench_iss.members) = :nrows AS reusing \gset
\endif
\if :reusing
DROP VIEW IF EXISTS bench_iss.source;
DROP TABLE IF EXISTS bench_iss.naive_queue, bench_iss.naive_state, bench_iss.step, bench_iss.lb_state;
DROP FUNCTION IF EXISTS bench_iss.naive_plan(date), bench_iss.naive_plan(date, text), bench_iss.naive_plan(date, text, boolean),
     bench_iss.naive_plan(date, text, boolean, boolean, int), bench_iss.naive_plan_on_two_cores(date), bench_iss.naive_plan_rules(date), bench_iss.temp_bytes(),
     bench_iss.end_step(text, text, float8, bigint, text, pg_lsn, bigint, bigint, boolean, text);
\else
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
\endif
\if :{?generate_only}
\q
\endif
CREATE VIEW bench_iss.source AS
SELECT member_id AS member_key, insurer_number, birth_date, acquired_on, lost_on,
       CASE WHEN insurer_number LIKE '39%' OR length(insurer_number) = 6 THEN NULL ELSE employer END AS employer,
       my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on,
       certificate_requested_on, NULL::date AS certificate_valid_until
  FROM bench_iss.members;
SELECT mynahoken.register_member_source('bench_iss.source');
TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection, mynahoken.issuance_member_state;
CHECKPOINT;

-- The peer's queue: same columns, key, checks and indexes as the real one,
-- with the record of issue 11 (rule versions and rows, the facts read) that
-- the peer fills only when asked (step 1), and a jsonb column for the facts
-- in the other form measured.
CREATE TABLE bench_iss.naive_queue (LIKE mynahoken.issuance_queue INCLUDING ALL);
ALTER TABLE bench_iss.naive_queue ADD facts jsonb;
-- The member state the peer writes when asked (with_state).
CREATE TABLE bench_iss.naive_state (LIKE mynahoken.issuance_member_state INCLUDING ALL);
-- record: NULL (the peer), 'jsonb' (the facts as one jsonb value) or
-- 'columns' (one typed column per fact, as the product records them);
-- by_rules: decide with the rule engine's compiled decisions (as
-- plan_issuance must: the insurer's tables, the rule version and row of
-- each decision) instead of the C functions, over each source row as
-- plan_issuance does (same documents, checked).  The compiled queries read
-- $1 as_of and $2 known_on.
CREATE FUNCTION bench_iss.naive_plan(as_of date, record text DEFAULT NULL, by_rules boolean DEFAULT false,
                                     with_state boolean DEFAULT false, half int DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
  src text := '(SELECT s.member_key::text AS member_key, s.insurer_number, s.birth_date, s.acquired_on, s.lost_on,'
              ' s.employer, s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on, s.ecert_expires_on,'
              ' s.certificate_requested_on, s.certificate_valid_until)';
  in_half text := CASE WHEN half IS NOT NULL THEN format('s.member_key %% 2 = %s', half) END;
  n bigint;
BEGIN
  EXECUTE format($q$
  WITH d AS (
    SELECT s.member_key::text AS k, s.insurer_number::mynahoken.insurer_number AS ins, s.acquired_on, s.employer,
           s.my_number_linked, c.category, s.insurer_number, s.birth_date, s.lost_on, s.myna_registered_on,
           s.myna_withdrawn_on, s.ecert_expires_on, s.certificate_requested_on, s.certificate_valid_until,
           %1$s AS reason%4$s
      FROM bench_iss.source s
      CROSS JOIN LATERAL (SELECT mynahoken.category(s.insurer_number::mynahoken.insurer_number) AS category) c
      %2$s
     WHERE mynahoken.insurer_number_is_valid(s.insurer_number)%6$s
       AND (s.lost_on IS NULL OR s.lost_on >= s.acquired_on) AND s.acquired_on >= s.birth_date
  ), ins AS (
    INSERT INTO bench_iss.naive_queue (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                                       sending_window, insurer_number, category, employer, as_of, run_id, basis_id,
                                       need_version_id, need_row_no, validity_version_id, validity_row_no, capped, facts,
                                       fact_birth_date, fact_lost_on, fact_my_number_linked,
                                       fact_myna_registered_on, fact_myna_withdrawn_on, fact_ecert_expires_on,
                                       fact_certificate_requested_on, fact_certificate_valid_until, facts_other)
    SELECT d.k, 'certificate'::mynahoken.issuance_document, d.acquired_on, v.u, d.reason, $1, v.u, NULL::daterange, d.ins, d.category, d.employer, $1, 0, 0,
           f.need_version_id, f.need_row_no, f.validity_version_id, f.validity_row_no, f.capped, j.facts,
           c.birth_date, c.lost_on, c.my_number_linked, c.myna_registered_on,
           c.myna_withdrawn_on, c.ecert_expires_on, c.certificate_requested_on, c.certificate_valid_until, c.other
      FROM d CROSS JOIN LATERAL (SELECT %3$s AS u) v
      LEFT JOIN LATERAL (
        SELECT 1 AS need_version_id, 1 AS need_row_no, 1 AS validity_version_id, 1 AS validity_row_no, false AS capped
         WHERE $3 IS NOT NULL) AS f ON true
      LEFT JOIN LATERAL (
        SELECT jsonb_strip_nulls(jsonb_build_object('insurer_number', d.insurer_number::text, 'birth_date', d.birth_date,
                 'acquired_on', d.acquired_on, 'lost_on', d.lost_on, 'my_number_linked', d.my_number_linked,
                 'myna_registered_on', d.myna_registered_on, 'myna_withdrawn_on', d.myna_withdrawn_on,
                 'ecert_expires_on', d.ecert_expires_on, 'certificate_requested_on', d.certificate_requested_on,
                 'certificate_valid_until', d.certificate_valid_until)) AS facts
         WHERE $3 = 'jsonb') AS j ON true
      LEFT JOIN LATERAL (
        SELECT d.birth_date, d.lost_on, d.my_number_linked, d.myna_registered_on, d.myna_withdrawn_on,
               d.ecert_expires_on, d.certificate_requested_on, d.certificate_valid_until, '{}'::jsonb AS other
         WHERE $3 = 'columns') AS c ON true
     WHERE d.reason NOT IN ('not_needed', 'not_eligible')
    UNION ALL
    SELECT d.k, 'notice'::mynahoken.issuance_document, d.acquired_on, lower(w.w), 'on_acquisition', NULL::date, NULL::date, w.w, d.ins, d.category, d.employer, $1, 0, 0,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM d CROSS JOIN LATERAL (SELECT mynahoken.notice_sending_window(d.category, d.acquired_on) AS w) w
     WHERE d.my_number_linked AND d.acquired_on >= date '2024-12-02' AND d.acquired_on <= $1
       AND d.reason NOT IN ('not_eligible', 'late_elderly_blanket', 'late_elderly_age')
       AND lower(w.w) <= $1 AND $1 < upper(w.w) + 60
    ON CONFLICT (member_key, document, acquired_on, issue_window) WHERE status <> 'withdrawn' DO NOTHING
    RETURNING 1
  )%5$s
  SELECT count(*) FROM ins
  $q$,
    CASE WHEN by_rules THEN 'e.outcome'
         ELSE 'mynahoken.certificate_need(c.category, $1, s.birth_date, s.acquired_on, s.lost_on, s.my_number_linked,'
              ' s.myna_registered_on, s.myna_withdrawn_on, s.ecert_expires_on, s.certificate_requested_on)::text' END,
    CASE WHEN by_rules
         THEN format('CROSS JOIN LATERAL (SELECT x.outcome FROM (%s) AS x OFFSET 0) AS e CROSS JOIN LATERAL (%s) AS u',
                     mynahoken.rule_compile_query('certificate_need', 'member', src),
                     mynahoken.rule_compile_query('certificate_valid_until', 'member', src)) END,
    CASE WHEN by_rules THEN '(d.until_hit).value' ELSE 'mynahoken.certificate_valid_until(d.category, $1)' END,
    CASE WHEN by_rules THEN ', u.hit AS until_hit' ELSE '' END,
    -- a state for every member, the rejected ones too (as plan_issuance
    -- keeps them): a second scan of the source, not of d
    CASE WHEN with_state THEN format($s$, st AS (
    INSERT INTO bench_iss.naive_state (member_key, digest, decided_on, next_change, generation, run_id)
    SELECT s.member_key::text,
           mynahoken.facts_digest(s.member_key, s.insurer_number, s.birth_date, s.acquired_on, s.lost_on, s.employer,
                                  s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on, s.ecert_expires_on,
                                  s.certificate_requested_on, s.certificate_valid_until),
           $1, 'infinity', 0, 0
      FROM bench_iss.source s%s
  )$s$, ' WHERE ' || in_half) ELSE '' END,
    ' AND ' || in_half)
  INTO n USING as_of, NULL::date, record;
  RETURN n;
END $f$;

-- The peer writing what the product writes, its members split in two
-- halves planned at once by two sessions (dblink): what both cores give.
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA bench_iss;
CREATE FUNCTION bench_iss.naive_plan_on_two_cores(as_of date) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
  conn text := format('host=%s port=%s dbname=%s', split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_setting('port'), current_database());
  n bigint := 0;
BEGIN
  FOR h IN 0..1 LOOP
    PERFORM bench_iss.dblink_connect('half' || h, conn);
    PERFORM bench_iss.dblink_send_query('half' || h,
      format('SELECT bench_iss.naive_plan(%L, record => %L, with_state => true, half => %s)', as_of, 'columns', h));
  END LOOP;
  FOR h IN 0..1 LOOP
    n := n + (SELECT r.n FROM bench_iss.dblink_get_result('half' || h) AS r(n bigint));
    PERFORM bench_iss.dblink_disconnect('half' || h);
  END LOOP;
  RETURN n;
END $f$;

-- Steps: what each wrote and used.
CREATE TABLE bench_iss.step (
  step text PRIMARY KEY, impl text, seconds float8, wal_bytes numeric, temp_bytes bigint,
  peak_rss_kb bigint, queue_bytes bigint, state_bytes bigint, queue_rows bigint, load1 text,
  ord serial
);
CREATE FUNCTION bench_iss.temp_bytes() RETURNS bigint LANGUAGE sql AS $$
  SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()
$$;
-- Before a step: a new connection (a fresh backend, so its peak memory is the step's own).
\set begin_step '\\c :db \\\\ SET client_min_messages = warning; SELECT pg_current_wal_lsn() AS lsn0, bench_iss.temp_bytes() AS tmp0, extract(epoch FROM clock_timestamp()) AS t0 \\gset'
-- After a step: its time, the backend's peak memory and load, then a new
-- connection (the old backend's statistics, temporary files among them, are
-- flushed when it exits).
\set stop_step 'SELECT extract(epoch FROM clock_timestamp()) - :t0 AS secs, (regexp_match(pg_read_file(''/proc/self/status''), ''VmHWM:\\s+(\\d+)''))[1] AS hwm, split_part(pg_read_file(''/proc/loadavg''), '' '', 1) AS load1 \\gset \\c :db \\\\ SELECT pg_sleep(1);'
CREATE FUNCTION bench_iss.end_step(p_step text, p_impl text, secs float8, p_hwm bigint, p_load text, p_lsn0 pg_lsn,
                                   p_tmp0 bigint, p_rows bigint, p_subject boolean, p_op text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_iss.step (step, impl, seconds, wal_bytes, temp_bytes, peak_rss_kb, queue_bytes, state_bytes, queue_rows, load1)
  VALUES (p_step, p_impl, secs, pg_current_wal_lsn() - p_lsn0, bench_iss.temp_bytes() - p_tmp0, p_hwm,
          CASE WHEN p_subject THEN pg_total_relation_size('mynahoken.issuance_queue')
               ELSE pg_total_relation_size('bench_iss.naive_queue') END,
          CASE WHEN p_subject THEN pg_total_relation_size('mynahoken.issuance_member_state') END,
          CASE WHEN p_subject THEN (SELECT count(*) FROM mynahoken.issuance_queue)
               ELSE (SELECT count(*) FROM bench_iss.naive_queue) END,
          p_load);
  IF p_op IS NOT NULL THEN
    PERFORM bench.record(p_op, p_impl, p_rows, secs, p_subject);
  END IF;
END $$;

-- 1. First run.
:begin_step
CALL mynahoken.plan_issuance(:as_of, chunk_size => 10000);
:stop_step
SELECT bench_iss.end_step('1 first run', 'mynahoken', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, true, 'issuance plan, first run');
:begin_step
SELECT bench_iss.naive_plan(:as_of) AS naive_planned;
:stop_step
SELECT bench_iss.end_step('1 first run (peer)', 'naive single INSERT ... SELECT', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, 'issuance plan, first run');
-- Same documents on both sides.
SELECT (SELECT count(*) FROM mynahoken.issuance_queue) AS mynahoken_documents,
       (SELECT count(*) FROM bench_iss.naive_queue) AS naive_documents,
       (SELECT count(*) FROM (SELECT member_key, document, reason, issue_window FROM mynahoken.issuance_queue
                              EXCEPT SELECT member_key, document, reason, issue_window FROM bench_iss.naive_queue) x) AS differences;
VACUUM ANALYZE mynahoken.issuance_queue, mynahoken.issuance_member_state, bench_iss.naive_queue;
CHECKPOINT;

-- What the writes a first run makes besides the peer's cost on their own:
-- the same peer planning the same documents again into an emptied queue,
-- with each certificate's record (issue 11: rule versions and rows, the
-- facts read) in its own row, the facts as one jsonb value or as one typed
-- column each (as the product records them); and the member
-- state of the incremental nights (issue 13), a row per member (key, digest
-- of its facts, days) written alone by one INSERT ... SELECT into a copy of
-- the table (its own scan and digests counted: a first run shares them).
-- Costs of these forms, not a proof of what any design must cost.  The peer
-- runs again without the record first, on the same footing (its first run
-- above shares the machine with the autovacuum of the product's new tables).
TRUNCATE bench_iss.naive_queue;
CHECKPOINT;
:begin_step
SELECT bench_iss.naive_plan(:as_of) AS naive_planned_bound;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: peer again', 'naive single INSERT ... SELECT', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
TRUNCATE bench_iss.naive_queue;
CHECKPOINT;
:begin_step
SELECT bench_iss.naive_plan(:as_of, record => 'jsonb') AS naive_planned_with_facts;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: peer recording the facts', 'naive single INSERT ... SELECT with each certificate''s record (issue 11), facts as jsonb', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
TRUNCATE bench_iss.naive_queue;
CHECKPOINT;
:begin_step
SELECT bench_iss.naive_plan(:as_of, record => 'columns') AS naive_planned_with_fact_columns;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: peer recording the facts as columns', 'naive single INSERT ... SELECT with each certificate''s record (issue 11), a typed column per fact', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
TRUNCATE bench_iss.naive_queue;
CHECKPOINT;
:begin_step
SELECT bench_iss.naive_plan(:as_of, by_rules => true) AS naive_planned_by_rules;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: peer deciding with the rule engine', 'naive single INSERT ... SELECT deciding with the compiled rule tables', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
SELECT count(*) AS differences_by_rules
  FROM ((SELECT member_key, document, reason, issue_window FROM mynahoken.issuance_queue
         EXCEPT SELECT member_key, document, reason, issue_window FROM bench_iss.naive_queue)
        UNION ALL
        (SELECT member_key, document, reason, issue_window FROM bench_iss.naive_queue
         EXCEPT SELECT member_key, document, reason, issue_window FROM mynahoken.issuance_queue)) x;
CHECKPOINT;
:begin_step
INSERT INTO bench_iss.naive_state (member_key, digest, decided_on, next_change, generation, run_id)
SELECT s.member_key::text,
       mynahoken.facts_digest(s.member_key, s.insurer_number, s.birth_date, s.acquired_on, s.lost_on, s.employer,
                              s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on, s.ecert_expires_on,
                              s.certificate_requested_on, s.certificate_valid_until),
       :as_of, 'infinity', 0, 0
  FROM bench_iss.source s;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: member state alone', 'INSERT ... SELECT of a member state row per member', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
TRUNCATE bench_iss.naive_queue, bench_iss.naive_state;
CHECKPOINT;
:begin_step
SELECT bench_iss.naive_plan(:as_of, record => 'columns', with_state => true) AS naive_planned_with_record_and_state;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: peer writing what the product writes', 'naive single INSERT ... SELECT writing each certificate''s record as columns and a member state row per member (data-modifying CTEs)', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
SELECT count(*) AS naive_member_states FROM bench_iss.naive_state;
TRUNCATE bench_iss.naive_queue, bench_iss.naive_state;
CHECKPOINT;
:begin_step
SELECT bench_iss.naive_plan_on_two_cores(:as_of) AS naive_planned_on_two_cores;
:stop_step
SELECT bench_iss.end_step('1 first run, bound: peer writing what the product writes, on two cores', 'the same, its members in two halves planned at once by two sessions', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, NULL);
SELECT count(*) AS naive_member_states, (SELECT count(*) FROM bench_iss.naive_queue) AS naive_documents FROM bench_iss.naive_state;
TRUNCATE bench_iss.naive_state;
VACUUM ANALYZE bench_iss.naive_queue;
CHECKPOINT;

-- 2. Idle rerun: nothing changed.
:begin_step
SELECT sum(length(member_key::text)) AS floor_sum FROM bench_iss.source;
:stop_step
SELECT bench_iss.end_step('2 idle rerun (scan floor)', 'scan floor: sum(length(member_key)) over the source', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, 'issuance rerun, nothing changed');
:begin_step
CALL mynahoken.plan_issuance(:as_of, chunk_size => 10000);
:stop_step
SELECT bench_iss.end_step('2 idle rerun', 'mynahoken', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, true, 'issuance rerun, nothing changed');
:begin_step
SELECT bench_iss.naive_plan(:as_of) AS naive_planned_again;
:stop_step
SELECT bench_iss.end_step('2 idle rerun (peer)', 'naive single INSERT ... SELECT', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, 'issuance rerun, nothing changed');

-- 3. The next night, 1% of the members changed (マイナ保険証 registered or
-- withdrawn, new e-certificate).
UPDATE bench_iss.members
   SET myna_registered_on = CASE WHEN myna_registered_on IS NULL THEN date '2025-08-20' END,
       ecert_expires_on = ecert_expires_on + 3650
 WHERE member_id % 100 = 7;
VACUUM ANALYZE bench_iss.members;
CHECKPOINT;
:begin_step
SELECT sum(length(member_key::text)) AS floor_sum FROM bench_iss.source;
:stop_step
SELECT bench_iss.end_step('3 night, 1% changed (scan floor)', 'scan floor: sum(length(member_key)) over the source', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, 'issuance night, 1% changed');
:begin_step
CALL mynahoken.plan_issuance(:next_day, chunk_size => 10000);
:stop_step
SELECT bench_iss.end_step('3 night, 1% changed', 'mynahoken', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, true, 'issuance night, 1% changed');
:begin_step
SELECT bench_iss.naive_plan(:next_day) AS naive_planned_next_day;
:stop_step
SELECT bench_iss.end_step('3 night, 1% changed (peer)', 'naive single INSERT ... SELECT', :secs, :hwm, :'load1', :'lsn0', :tmp0, :nrows, false, 'issuance night, 1% changed');
SELECT (SELECT count(*) FROM mynahoken.issuance_queue) AS mynahoken_documents,
       (SELECT count(*) FROM bench_iss.naive_queue) AS naive_documents,
       (SELECT count(*) FROM (SELECT member_key, document, reason, issue_window FROM mynahoken.issuance_queue
                              EXCEPT SELECT member_key, document, reason, issue_window FROM bench_iss.naive_queue) x) AS differences;

-- 4. Hand-off of everything planned.
:begin_step
SELECT count(*) AS batches, sum(documents) AS documents FROM mynahoken.prepare_handoffs();
:stop_step
SELECT bench_iss.end_step('4 hand-off', 'mynahoken prepare_handoffs', :secs, :hwm, :'load1', :'lsn0', :tmp0,
                          (SELECT count(*) FROM mynahoken.issuance_queue), true, NULL);

SELECT run_id, as_of, state, members_total, members_done, certificates, notices, already_planned,
       rejected_invalid_insurer, rejected_other, chunks, members_per_s
  FROM mynahoken.issuance_runs ORDER BY run_id;
SELECT step, impl, round(seconds::numeric, 2) AS seconds, round(:nrows / seconds) AS members_per_s,
       pg_size_pretty(wal_bytes) AS wal, pg_size_pretty(temp_bytes) AS temp_files,
       pg_size_pretty(peak_rss_kb * 1024) AS backend_peak_rss,
       pg_size_pretty(queue_bytes) AS queue_size, queue_rows, pg_size_pretty(state_bytes) AS member_state_size,
       load1 AS load_1min
  FROM bench_iss.step ORDER BY ord;
WITH t AS (SELECT step, seconds::numeric AS s FROM bench_iss.step)
SELECT round((SELECT s FROM t WHERE step = '2 idle rerun') / (SELECT s FROM t WHERE step = '2 idle rerun (scan floor)'), 2) AS idle_over_floor,
       round((SELECT s FROM t WHERE step = '2 idle rerun') / (SELECT s FROM t WHERE step = '1 first run'), 3) AS idle_over_first_run,
       round((SELECT s FROM t WHERE step = '3 night, 1% changed') / (SELECT s FROM t WHERE step = '3 night, 1% changed (scan floor)'), 2) AS night_1pct_over_floor,
       round((SELECT s FROM t WHERE step = '3 night, 1% changed') / (SELECT s FROM t WHERE step = '1 first run'), 3) AS night_1pct_over_first_run,
       round((SELECT s FROM t WHERE step = '1 first run (peer)') / (SELECT s FROM t WHERE step = '1 first run'), 2) AS first_run_vs_peer,
       -- the peer against itself writing the record (jsonb, columns), and with the member state besides
       round((SELECT s FROM t WHERE step = '1 first run, bound: peer again')
             / (SELECT s FROM t WHERE step = '1 first run, bound: peer deciding with the rule engine'), 2) AS peer_deciding_with_rules,
       round((SELECT s FROM t WHERE step = '1 first run, bound: peer again')
             / (SELECT s FROM t WHERE step = '1 first run, bound: peer recording the facts'), 2) AS peer_with_record_jsonb,
       round((SELECT s FROM t WHERE step = '1 first run, bound: peer again')
             / (SELECT s FROM t WHERE step = '1 first run, bound: peer recording the facts as columns'), 2) AS peer_with_record_columns,
       round((SELECT s FROM t WHERE step = '1 first run, bound: peer again')
             / (SELECT s FROM t WHERE step = '1 first run, bound: peer writing what the product writes'), 2) AS peer_with_record_columns_and_state,
       round((SELECT s FROM t WHERE step = '1 first run, bound: peer again')
             / (SELECT s FROM t WHERE step = '1 first run, bound: peer writing what the product writes, on two cores'), 2) AS same_on_two_cores,
       -- the product against a peer making the same writes in one statement
       round((SELECT s FROM t WHERE step = '1 first run, bound: peer writing what the product writes')
             / (SELECT s FROM t WHERE step = '1 first run'), 2) AS first_run_vs_peer_writing_the_same;

\if :{?keep}
\q
\endif
TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection, mynahoken.issuance_handoff;
DELETE FROM mynahoken.member_source;
DROP SCHEMA bench_iss CASCADE;
