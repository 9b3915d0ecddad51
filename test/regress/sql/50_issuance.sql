-- Issuance: member source, planning, exactly once, hand-off, pg_cron.
SET datestyle = ISO;
SET client_min_messages = notice;
\set SHOW_CONTEXT never

-- An insurer's own member table, with its own column names.
CREATE SCHEMA iss;
CREATE TABLE iss.members (
  id            int PRIMARY KEY,
  hokensha      text,
  born          date,
  acquired      date,
  lost          date,
  office        text,
  has_my_number boolean,
  registered    date,
  withdrawn     date,
  ecert_expiry  date,
  requested     date,
  held_until    date
);
INSERT INTO iss.members VALUES
  -- 協会けんぽ, マイナ保険証 usable: nothing to send
  (1, '01130012', '1980-04-01', '2010-04-01', NULL, 'E1', true, '2022-01-10', NULL, '2029-01-01', NULL, NULL),
  -- 協会けんぽ, no My Number: 資格確認書 through the employer
  (2, '01130012', '1985-05-05', '2012-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, NULL),
  -- 協会けんぽ, new member, My Number linked but not registered: both
  (3, '01130012', '1999-09-09', '2025-08-25', NULL, 'E2', true, NULL, NULL, '2028-01-01', NULL, NULL),
  -- 後期高齢者, registered, new: 資格確認書 only (暫定運用), no お知らせ
  (4, '39131156', '1945-03-03', '2025-08-20', NULL, NULL, true, '2023-03-03', NULL, '2030-01-01', NULL, NULL),
  -- 国保, new member with マイナ保険証: お知らせ only, mailed directly
  (5, '131151', '1990-01-01', '2025-08-30', NULL, NULL, true, '2021-10-20', NULL, '2029-01-01', NULL, NULL),
  -- invalid insurer number (check digit): skipped and counted
  (6, '01130013', '1970-01-01', '2010-01-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, NULL),
  -- lost before acquired: refused by the decision functions, skipped and counted
  (7, '01130012', '1970-01-01', '2020-01-01', '2019-01-01', 'E1', false, NULL, NULL, NULL, NULL, NULL),
  -- no longer a member on as_of: nothing
  (8, '01130012', '1970-01-01', '2010-01-01', '2025-05-01', 'E1', false, NULL, NULL, NULL, NULL, NULL),
  -- already holds a 資格確認書 valid on as_of: nothing
  (9, '01130012', '1970-01-01', '2010-01-01', NULL, 'E2', false, NULL, NULL, NULL, NULL, '2029-11-30'),
  -- e-certificate expired 2025-03-10, grace over on 2025-06-30: 資格確認書
  (10, '01130012', '1960-01-01', '2000-01-01', NULL, 'E2', true, '2022-02-02', NULL, '2025-03-10', NULL, NULL),
  -- acquires after as_of: nothing yet
  (11, '01130012', '2000-01-01', '2025-10-01', NULL, 'E1', true, '2024-01-01', NULL, '2029-01-01', NULL, NULL),
  -- new member whose sending window closed more than late_days ago: no お知らせ
  (12, '01130012', '2000-01-01', '2025-05-01', NULL, 'E1', true, '2024-01-01', NULL, '2029-01-01', NULL, NULL),
  -- 国保 number keyed in full-width with spaces: accepted, no My Number
  (13, ' １３１１５１ ', '1950-06-06', '2000-06-06', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL);

-- The member source: a view with the fixed column names.
CREATE VIEW iss.source AS
SELECT id AS member_key, hokensha AS insurer_number, born AS birth_date, acquired AS acquired_on,
       lost AS lost_on, office AS employer, has_my_number AS my_number_linked,
       registered AS myna_registered_on, withdrawn AS myna_withdrawn_on, ecert_expiry AS ecert_expires_on,
       requested AS certificate_requested_on, held_until AS certificate_valid_until
  FROM iss.members;

-- Nothing is registered yet: planning says so.
CALL mynahoken.plan_issuance('2025-09-01');

-- What a source needs, checked: the view is fine ...
SELECT * FROM mynahoken.check_member_source('iss.source');
-- ... the raw table is not (missing and mistyped columns).
CREATE VIEW iss.wrong AS
SELECT id::text AS member_key, hokensha AS insurer_number, born::text AS birth_date, acquired AS acquired_on
  FROM iss.members;
SELECT column_name, problem FROM mynahoken.check_member_source('iss.wrong') WHERE problem IS NOT NULL;
SELECT mynahoken.register_member_source('iss.wrong');
SELECT mynahoken.register_member_source('iss.source');
SELECT source FROM mynahoken.member_source;

-- Parameters are checked.
CALL mynahoken.plan_issuance('2025-09-01', chunk_size => 0);
CALL mynahoken.plan_issuance(NULL);

-- Plan as of 2025-09-01, three members per chunk.
CALL mynahoken.plan_issuance('2025-09-01', chunk_size => 3);
SELECT member_key, document, reason, acquired_on, valid_from, valid_until, sending_window,
       insurer_number, category, employer
  FROM mynahoken.issuance_queue ORDER BY member_key::int, document;
SELECT run_id, as_of, state, attempts, members_total, members_done, chunks, certificates, notices,
       already_planned, rejected_invalid_insurer, rejected_other, error
  FROM mynahoken.issuance_runs ORDER BY run_id;
SELECT member_key, problem FROM mynahoken.issuance_rejection ORDER BY run_id, member_key;

-- Every planned document names its legal basis (rules and parameters with sources).
SELECT q.member_key, q.document, b.rules, jsonb_path_query_array(b.parameters, '$[*].name') AS parameters,
       jsonb_path_query_array(b.parameters, '$[*].source.code') AS sources
  FROM mynahoken.issuance_queue q JOIN mynahoken.issuance_basis b USING (basis_id)
 ORDER BY q.member_key::int, q.document;

-- Running again for the same day plans nothing new.
CALL mynahoken.plan_issuance('2025-09-01', chunk_size => 5);
SELECT run_id, state, certificates, notices, already_planned FROM mynahoken.issuance_runs ORDER BY run_id;
SELECT count(*) AS documents FROM mynahoken.issuance_queue;

-- The next day: a certificate still valid is not planned again; a new member is.
INSERT INTO iss.members VALUES
  (14, '06139992', '1995-02-02', '2025-09-02', NULL, 'E3', false, NULL, NULL, NULL, NULL, NULL);
CALL mynahoken.plan_issuance('2025-09-02');
SELECT member_key, document, reason, valid_from, valid_until, as_of
  FROM mynahoken.issuance_queue WHERE as_of = '2025-09-02';

-- A member's explanation: the decisions with their rules, and what was planned.
SELECT e->>'category' AS category, e->'certificate_need'->'result' AS need,
       e->'certificate_valid_until'->'result' AS validity, e->'notice_sending_window'->'result' AS notice,
       jsonb_path_query_array(e->'planned', '$[*].document') AS planned
  FROM mynahoken.explain_issuance('3', '2025-09-01') AS e;
SELECT e->>'problem' AS problem FROM mynahoken.explain_issuance('6', '2025-09-01') AS e;
SELECT mynahoken.explain_issuance('99', '2025-09-01');

-- Hand-off on 2025-09-04: what is waiting, one batch per employer, the vendor's file.
SELECT * FROM mynahoken.issuance_pending ORDER BY employer NULLS FIRST, document, reason;
SELECT employer, documents FROM mynahoken.prepare_handoffs('2025-09-04') ORDER BY employer NULLS FIRST;
SELECT mynahoken.prepare_handoff('E1', '2025-09-04') AS nothing_left_for_e1;
SELECT f.employer, f.deliver_to, f.line_no, f.insurer_number, f.member_key, f.document_name,
       f.reason, f.valid_from, f.valid_until, f.send_by
  FROM mynahoken.issuance_handoff_file f
  JOIN mynahoken.issuance_handoff h USING (handoff_id)
 ORDER BY h.employer NULLS FIRST, f.line_no;
-- Marking a batch sent.
SELECT mynahoken.mark_handoff_sent(handoff_id, '2025-09-05') AS sent
  FROM mynahoken.issuance_handoff WHERE employer = 'E2';
SELECT member_key, document, sent_on FROM mynahoken.issuance_queue WHERE sent_on IS NOT NULL ORDER BY 1, 2;
SELECT mynahoken.mark_handoff_sent(handoff_id, '2025-09-06')
  FROM mynahoken.issuance_handoff WHERE employer = 'E2';
SELECT mynahoken.mark_handoff_sent(-1);

-- A crashed run is shown as interrupted and taken over by the next run for
-- the same day (simulated here: a running row whose backend is gone).
-- The members its committed chunks decided keep their state: the run
-- taken over does not decide them again (last_key is for the operator).
UPDATE mynahoken.issuance_run SET status = 'running', finished_at = NULL, pid = 0,
       last_key = '3', members_done = 8, note = NULL
 WHERE run_id = (SELECT max(run_id) FROM mynahoken.issuance_run);
SELECT run_id, state FROM mynahoken.issuance_runs ORDER BY run_id DESC LIMIT 1;
CALL mynahoken.plan_issuance('2025-09-02');
SELECT run_id, state, attempts, members_total, members_done, note
  FROM mynahoken.issuance_runs ORDER BY run_id DESC LIMIT 1;
-- A run for another day supersedes an unfinished one.
UPDATE mynahoken.issuance_run SET status = 'failed', finished_at = NULL, error = 'XX000 simulated'
 WHERE run_id = (SELECT max(run_id) FROM mynahoken.issuance_run);
CALL mynahoken.plan_issuance('2025-09-03');
SELECT run_id, as_of, state, note FROM mynahoken.issuance_runs ORDER BY run_id DESC LIMIT 2;

-- Member keys that are My Numbers are refused, without printing any.
CREATE TABLE iss.bad_keys AS
SELECT lpad((i * 7919)::text, 11, '0') AS k FROM generate_series(1, 12) AS i;
CREATE VIEW iss.by_my_number AS
SELECT k || CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END AS member_key,
       '01130012'::text AS insurer_number, date '1980-01-01' AS birth_date, date '2010-01-01' AS acquired_on,
       NULL::date AS lost_on, NULL::text AS employer, true AS my_number_linked, NULL::date AS myna_registered_on,
       NULL::date AS myna_withdrawn_on, NULL::date AS ecert_expires_on, NULL::date AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM (SELECT k, (SELECT sum(substr(k, 12 - n, 1)::int * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END)
                     FROM generate_series(1, 11) AS n) AS s FROM iss.bad_keys) AS t;
SELECT mynahoken.register_member_source('iss.by_my_number');
CALL mynahoken.plan_issuance('2025-09-04');
SELECT state, error FROM mynahoken.issuance_runs ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS documents_for_those_keys FROM mynahoken.issuance_queue WHERE length(member_key) = 12;
-- Typed as people type them (hyphens; full-width digits and spaces), they
-- are read as the My Number reader reads them, and refused as well.
CREATE VIEW iss.by_typed_my_number AS
SELECT CASE WHEN row_number() OVER (ORDER BY b.member_key) % 2 = 0
            THEN regexp_replace(b.member_key, '^(....)(....)(....)$', '\1-\2-\3')
            ELSE translate(regexp_replace(b.member_key, '^(......)', '\1 '),
                           '0123456789 ', '０１２３４５６７８９　') END AS member_key,
       b.insurer_number, b.birth_date, b.acquired_on, b.lost_on, b.employer, b.my_number_linked,
       b.myna_registered_on, b.myna_withdrawn_on, b.ecert_expires_on, b.certificate_requested_on,
       b.certificate_valid_until
  FROM iss.by_my_number b;
SELECT count(*) FILTER (WHERE member_key LIKE '%-%') AS hyphenated,
       count(*) FILTER (WHERE member_key LIKE '%　%') AS full_width,
       count(*) FILTER (WHERE mynahoken.mynumber_is_valid(member_key)) AS read_as_my_numbers
  FROM iss.by_typed_my_number;
SELECT mynahoken.register_member_source('iss.by_typed_my_number');
CALL mynahoken.plan_issuance('2025-09-04');
SELECT state, error FROM mynahoken.issuance_runs ORDER BY run_id DESC LIMIT 1;
SELECT mynahoken.register_member_source('iss.source');

-- pg_cron: the command it runs; scheduling needs pg_cron here, or dblink (pg_cron elsewhere):
-- 42704 (pg_cron in another database, or not loaded where the package is built).
SELECT mynahoken.issuance_cron_command(), mynahoken.issuance_cron_command(14);
\set VERBOSITY sqlstate
SELECT mynahoken.schedule_issuance();
SELECT mynahoken.unschedule_issuance();
\set VERBOSITY default

-- Planning inside the caller's transaction needs commit_chunks => false.
BEGIN;
CALL mynahoken.plan_issuance('2025-09-01', chunk_size => 2);
ROLLBACK;
BEGIN;
CALL mynahoken.plan_issuance('2025-09-05', commit_chunks => false);
SELECT as_of, state, certificates, notices FROM mynahoken.issuance_runs ORDER BY run_id DESC LIMIT 1;
ROLLBACK;
-- Nothing is left running, and the lock is free.
SELECT count(*) AS running FROM mynahoken.issuance_runs WHERE state IN ('running', 'interrupted');
SELECT mynahoken.issuance_lock_holder() IS NULL AS lock_free;

-- A few keys that read as My Numbers do not stop a run (an insurer's own
-- 12-digit keys pass the check digit one time in ten), but the run log never
-- keeps one as the key to resume from: the last key of a chunk that is not
-- one is kept, and a run taken over plans the members after it again.
CREATE VIEW iss.few_my_numbers AS
SELECT k AS member_key, '01130012'::text AS insurer_number, date '1980-01-01' AS birth_date,
       date '2010-01-01' AS acquired_on, NULL::date AS lost_on, NULL::text AS employer,
       false AS my_number_linked, NULL::date AS myna_registered_on, NULL::date AS myna_withdrawn_on,
       NULL::date AS ecert_expires_on, NULL::date AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM (SELECT 'M' || lpad(i::text, 2, '0') FROM generate_series(1, 11) AS i
        UNION ALL
        SELECT translate(min(b.member_key), '0123456789', '０１２３４５６７８９') FROM iss.by_my_number b) AS t(k);
SELECT mynahoken.register_member_source('iss.few_my_numbers');
CALL mynahoken.plan_issuance('2025-09-06', chunk_size => 4);
SELECT r.status, r.members_done, r.chunks, r.last_key,
       mynahoken.mynumber_is_valid(r.last_key) AS last_key_reads_as_my_number
  FROM mynahoken.issuance_run r ORDER BY r.run_id DESC LIMIT 1;

-- The digest of a member's facts: order, NULLs and every value count;
-- equal stored values digest alike (a value stored compressed too); the
-- values are arguments, not an array.
SELECT mynahoken.facts_digest('K1'::text, date '1960-04-01', NULL::date)
         = mynahoken.facts_digest('K1'::text, date '1960-04-01', NULL::date) AS same_values,
       mynahoken.facts_digest('K1'::text, date '1960-04-01', NULL::date)
         <> mynahoken.facts_digest('K1'::text, NULL::date, date '1960-04-01') AS order_counts,
       mynahoken.facts_digest(''::text, 'a'::text) <> mynahoken.facts_digest(NULL::text, 'a'::text) AS null_is_not_empty,
       mynahoken.facts_digest('ab'::text, 'c'::text) <> mynahoken.facts_digest('a'::text, 'bc'::text) AS bounds_count,
       mynahoken.facts_digest(true) <> mynahoken.facts_digest(false) AS booleans,
       mynahoken.facts_digest(date '2025-09-01') <> mynahoken.facts_digest(date '2025-09-02') AS dates,
       mynahoken.facts_digest('K1'::varchar, 7) = mynahoken.facts_digest('K1'::text, 7) AS same_bytes_any_type;
CREATE TEMP TABLE digest_long (v text);
INSERT INTO digest_long VALUES (repeat('資格確認書', 20000));
SELECT pg_column_size(v) < octet_length(v) AS stored_compressed,
       mynahoken.facts_digest(v) = mynahoken.facts_digest(repeat('資格確認書', 20000)) AS same_digest
  FROM digest_long;
\set VERBOSITY sqlstate
SELECT mynahoken.facts_digest(VARIADIC ARRAY[1, 2]);
\set VERBOSITY default
SELECT mynahoken.facts_digest(VARIADIC ARRAY[1, 2]);

DROP SCHEMA iss CASCADE;
