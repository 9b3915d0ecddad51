-- Issuance: plan 資格確認書 and 資格情報のお知らせ every night, exactly once.
--
-- The insurer exposes its members through a table or view with fixed column
-- names (the member source, checked by check_member_source and registered by
-- register_member_source).  CALL mynahoken.plan_issuance(as_of) takes a
-- snapshot of the source into a temporary table ordered by member key, then
-- plans documents chunk by chunk, committing after each chunk:
--   * idempotent: every planned document has a unique key (member key,
--     document, 資格取得日, issue window) and is inserted with ON CONFLICT DO
--     NOTHING, so a rerun plans nothing new;
--   * resumable: the run row records the last member key committed; a run
--     that crashed or failed is taken over by the next run for the same day,
--     which starts after that key;
--   * one run at a time: a session-level advisory lock (a transaction-level
--     one would be released by the first COMMIT inside CALL).
-- A procedure that COMMITs may not have a SET clause nor an exception block
-- around the COMMIT, so the work is done by helper functions that catch
-- errors and return them, and the procedure only loops and commits.
--
-- This fragment holds the types and tables; planning is in
-- 51_issuance_plan.sql, views and hand-off in 52_issuance_handoff.sql, the
-- pg_cron schedule in 53_issuance_cron.sql.

-- ---------------------------------------------------------------------------
-- Types

CREATE TYPE mynahoken.issuance_document AS ENUM (
  'certificate',   -- 資格確認書
  'notice'         -- 資格情報のお知らせ (資格情報通知書)
);
COMMENT ON TYPE mynahoken.issuance_document IS
  'Document planned by the issuance job: certificate (資格確認書) or notice (資格情報のお知らせ)';

-- ---------------------------------------------------------------------------
-- Member source: the insurer's table or view, with fixed column names.

CREATE TABLE mynahoken.member_source_column (
  column_name   text PRIMARY KEY,
  position      int NOT NULL UNIQUE,
  accepted      regtype[] NOT NULL,    -- accepted types, the first is the preferred one
  description   text NOT NULL
);
COMMENT ON TABLE mynahoken.member_source_column IS
  'Columns a member source (table or view given to register_member_source) must have, with the accepted types';

INSERT INTO mynahoken.member_source_column VALUES
  ('member_key', 1, '{text,character varying,bigint,integer,numeric}',
   'The insurer''s own member identifier, unique per row; never the My Number (個人番号)'),
  ('insurer_number', 2, '{mynahoken.insurer_number,text,character varying,character}',
   '保険者番号; rows with an invalid one are skipped and counted'),
  ('birth_date', 3, '{date}', '生年月日'),
  ('acquired_on', 4, '{date}', '資格取得日'),
  ('lost_on', 5, '{date}', '資格喪失日 (first day without cover); NULL while the member holds 資格'),
  ('employer', 6, '{text,character varying,bigint,integer}',
   'Employer (事業所) the documents go through; NULL: sent directly to the member'),
  ('my_number_linked', 7, '{boolean}', 'The insurer holds the member''s My Number (マイナンバー登録済)'),
  ('myna_registered_on', 8, '{date}', 'マイナ保険証 利用登録 day; NULL: never registered'),
  ('myna_withdrawn_on', 9, '{date}', '利用登録解除 day; NULL: never withdrawn'),
  ('ecert_expires_on', 10, '{date}', '利用者証明用電子証明書 expiry; NULL: not recorded'),
  ('certificate_requested_on', 11, '{date}', '資格確認書 交付申請 day; NULL: never requested'),
  ('certificate_valid_until', 12, '{date}', 'Last valid day of a 資格確認書 the member already holds (issued outside this queue); NULL: none');

CREATE TABLE mynahoken.member_source (
  only_one   boolean PRIMARY KEY DEFAULT true CHECK (only_one),
  source     text NOT NULL,        -- qualified name, resolved at each run (survives DROP and CREATE of a view)
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE mynahoken.member_source IS
  'The registered member source of the issuance job (one row)';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_source', '');

CREATE FUNCTION mynahoken.check_member_source(source regclass)
RETURNS TABLE (column_name text, expected_type text, actual_type text, problem text)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.column_name,
         pg_catalog.array_to_string(c.accepted::text[], ' or '),
         pg_catalog.format_type(a.atttypid, a.atttypmod),
         CASE WHEN a.attname IS NULL THEN 'missing'
              WHEN NOT (a.atttypid::regtype = ANY (c.accepted)) THEN 'wrong type'
         END
    FROM mynahoken.member_source_column c
    LEFT JOIN pg_catalog.pg_attribute a
      ON a.attrelid = source AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY c.position
$$;
COMMENT ON FUNCTION mynahoken.check_member_source(regclass) IS
  'Columns a member source needs, with the type found and the problem (missing, wrong type) or NULL when the column is fine';

CREATE FUNCTION mynahoken.register_member_source(source regclass)
RETURNS regclass
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  problems text;
BEGIN
  SELECT string_agg(format('%s: %s', c.column_name, c.problem), '; ' ORDER BY c.column_name)
    INTO problems
    FROM mynahoken.check_member_source(source) c
   WHERE c.problem IS NOT NULL;
  IF problems IS NOT NULL THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format(mynahoken.gettext('relation %s cannot be a member source'), source),
      detail => pg_catalog.format(mynahoken.gettext('Problems: %s.'), problems),
      hint => 'SELECT * FROM mynahoken.check_member_source(...) lists the columns and types it needs.');
  END IF;
  INSERT INTO mynahoken.member_source AS m (only_one, source)
  SELECT true, format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = source
  ON CONFLICT (only_one) DO UPDATE SET source = EXCLUDED.source, registered_at = pg_catalog.now();
  RETURN source;
END
$$;
COMMENT ON FUNCTION mynahoken.register_member_source(regclass) IS
  'Register the table or view the issuance job reads members from; raises 22023 listing missing or mistyped columns';

-- ---------------------------------------------------------------------------
-- Run log, legal bases, queue, rejections, hand-offs

CREATE SEQUENCE mynahoken.issuance_run_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_run_id_seq IS 'Identifiers of issuance runs';
CREATE TABLE mynahoken.issuance_run (
  run_id        bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_run_id_seq'),
  as_of         date NOT NULL,
  known_on      date,
  late_days     int NOT NULL,
  source        text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'superseded', 'skipped')),
  started_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  attempt_started_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at   timestamptz,
  attempts      int NOT NULL DEFAULT 1,
  pid           int NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
  chunk_size    int NOT NULL,
  members_total bigint,
  members_done  bigint NOT NULL DEFAULT 0,
  chunks        bigint NOT NULL DEFAULT 0,
  last_key      text,
  certificates  bigint NOT NULL DEFAULT 0,
  notices       bigint NOT NULL DEFAULT 0,
  already_planned bigint NOT NULL DEFAULT 0,
  rejected_invalid_insurer bigint NOT NULL DEFAULT 0,
  rejected_other bigint NOT NULL DEFAULT 0,
  error         text,
  note          text,
  generation    int,       -- legal calendar generation the run decided under (issuance_member_state)
  source_rows   bigint,    -- rows of the source with a member key, as the members' states now stand
  source_digest numeric,   -- sum of their fact hashes; with source_rows, lets a rerun of the day find nothing changed in one scan
  -- Issue 11 (added at the end: 0.1 shipped the table)
  knowledge_day date       -- the knowledge day the run read rules and calendar as known on (known_on, or the day it started)
);
COMMENT ON TABLE mynahoken.issuance_run IS
  'Run log of plan_issuance: one row per run (a run taken over after a crash keeps its row and counts attempts); finished_at is set only at the end';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_run', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_run_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_basis_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_basis_id_seq IS 'Identifiers of issuance bases';
CREATE TABLE mynahoken.issuance_basis (
  basis_id    bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_basis_id_seq'),
  document    mynahoken.issuance_document NOT NULL,
  category    mynahoken.insurer_category NOT NULL,
  reason      text NOT NULL,
  rules       jsonb NOT NULL,
  parameters  jsonb NOT NULL,
  digest      text NOT NULL,
  first_run   bigint NOT NULL,
  UNIQUE (document, category, reason, digest)
);
COMMENT ON TABLE mynahoken.issuance_basis IS
  'Legal basis of planned documents: rules and legal parameters with their sources, from the explanation functions; shared by every document with the same basis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_basis', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_basis_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_handoff_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_handoff_id_seq IS 'Identifiers of hand-off batches';
CREATE TABLE mynahoken.issuance_handoff (
  handoff_id  bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_handoff_id_seq'),
  employer    text,              -- NULL: documents mailed directly to members
  documents   bigint NOT NULL,
  prepared_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  sent_on     date,
  -- Issue 13 (added at the end: 0.1 shipped the table)
  handoff_on  date,              -- the day its documents were re-checked for (NULL: prepared by 0.1)
  review_id   bigint,            -- the re-check (issuance_review) done before the batch
  recalls     bigint NOT NULL DEFAULT 0   -- recall notices (issuance_recall) in the batch
);
COMMENT ON TABLE mynahoken.issuance_handoff IS
  'Hand-off batches: planned documents of one employer (or of direct mail) given to the print vendor together';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_handoff', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_handoff_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_queue_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_queue_id_seq IS 'Identifiers of planned documents';
CREATE TABLE mynahoken.issuance_queue (
  queue_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_queue_id_seq'),
  member_key     text NOT NULL,
  document       mynahoken.issuance_document NOT NULL,
  acquired_on    date NOT NULL,
  issue_window   date NOT NULL,   -- certificate: last valid day; notice: first day of its sending window
  reason         text NOT NULL,
  valid_from     date,            -- certificate only
  valid_until    date,            -- certificate only
  sending_window daterange,       -- notice only
  insurer_number mynahoken.insurer_number NOT NULL,
  category       mynahoken.insurer_category NOT NULL,
  employer       text,            -- NULL: mailed directly to the member
  as_of          date NOT NULL,
  run_id         bigint NOT NULL,
  basis_id       bigint NOT NULL,
  handoff_id     bigint REFERENCES mynahoken.issuance_handoff,
  sent_on        date,
  -- Issue 13, lifecycle (added at the end: 0.1 shipped the table)
  status         text NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'handed_off', 'sent', 'withdrawn')),
  days_late      int,             -- days after its send-by day when handed off (NULL: on time)
  withdrawn_on   date,            -- the day it was re-checked for and withdrawn
  withdrawn_at   timestamptz,
  withdrawn_reason text,          -- reason code: lost_eligibility, myna_registered, application_withdrawn, ...
  withdrawn_explanation jsonb,    -- the decision's explanation (rules, parameters, sources) or the facts
  review_id      bigint,          -- the re-check (issuance_review) that withdrew it or handed it off
  -- Issue 11, rule engine (added at the end: 0.1 shipped the table)
  document_kind  text,            -- the insurer's own kind (mynahoken.document_kind) from the outcome; NULL: document's
  -- Issue 11, what a 資格確認書 was decided with (view mynahoken.issuance_input):
  -- the rule version and row of each decision and the member facts read
  -- besides the columns above (insurer_number, acquired_on); NULL for other
  -- documents and for certificates planned before 0.2 (facts_other NULL)
  need_version_id     bigint,
  need_row_no         integer,
  validity_version_id bigint,
  validity_row_no     integer,
  capped              boolean,
  fact_birth_date     date,
  fact_lost_on        date,
  fact_my_number_linked boolean,
  fact_myna_registered_on date,
  fact_myna_withdrawn_on date,
  fact_ecert_expires_on date,
  fact_certificate_requested_on date,
  fact_certificate_valid_until date,
  facts_other         jsonb,
  CHECK ((document = 'certificate') = (valid_until IS NOT NULL)),
  CHECK ((document = 'notice') = (sending_window IS NOT NULL)),
  CONSTRAINT issuance_queue_withdrawn CHECK ((status = 'withdrawn') = (withdrawn_reason IS NOT NULL))
);
COMMENT ON TABLE mynahoken.issuance_queue IS
  'Planned documents: one row per member, document, 資格取得日 and issue window (unique among those not withdrawn), with reason, validity, employer, legal basis and run, and their lifecycle (status planned, handed_off, sent or withdrawn with reason, day and explanation; days late at hand-off); never a My Number';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_queue', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_queue_id_seq', '');
-- One document per member, kind, 資格取得日 and issue window, withdrawn ones
-- not counted: a document withdrawn because its ground had gone is planned
-- again when the ground comes back (issue 13).
CREATE UNIQUE INDEX issuance_queue_once ON mynahoken.issuance_queue (member_key, document, acquired_on, issue_window)
  WHERE status <> 'withdrawn';
COMMENT ON INDEX mynahoken.issuance_queue_once IS
  'One document per member, document, 資格取得日 and issue window that is not withdrawn: what plan_issuance plans exactly once';
-- Documents not yet handed off, by employer: what prepare_handoff reads.
CREATE INDEX issuance_queue_pending ON mynahoken.issuance_queue (employer) WHERE status = 'planned';
CREATE INDEX issuance_queue_handoff ON mynahoken.issuance_queue (handoff_id) WHERE handoff_id IS NOT NULL;
COMMENT ON INDEX mynahoken.issuance_queue_pending IS 'Partial index: planned documents not yet in a hand-off batch nor withdrawn, by employer';
COMMENT ON INDEX mynahoken.issuance_queue_handoff IS 'Documents of each hand-off batch';
-- Withdrawn お知らせ: an お知らせ is planned once per 資格取得日, withdrawn or not
-- (plan_issuance probes this index and issuance_queue_once per notice).
CREATE INDEX issuance_queue_notice_withdrawn ON mynahoken.issuance_queue (member_key, acquired_on)
  WHERE document = 'notice' AND status = 'withdrawn';
COMMENT ON INDEX mynahoken.issuance_queue_notice_withdrawn IS
  'Partial index: withdrawn お知らせ by member key and 資格取得日, which plan_issuance does not plan again';

CREATE TABLE mynahoken.issuance_rejection (
  run_id     bigint NOT NULL,
  member_key text NOT NULL,
  problem    text NOT NULL,
  PRIMARY KEY (run_id, member_key)
);
COMMENT ON TABLE mynahoken.issuance_rejection IS
  'Members a run skipped and why (invalid_insurer_number, lost_before_acquired, ...); the problem never quotes a My Number';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_rejection', '');

-- ---------------------------------------------------------------------------
-- Lifecycle (issue 13): re-checks and recall notices (54_issuance_lifecycle.sql)

CREATE SEQUENCE mynahoken.issuance_review_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_review_id_seq IS 'Identifiers of issuance re-checks';
CREATE TABLE mynahoken.issuance_review (
  review_id      bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_review_id_seq'),
  on_day         date NOT NULL,
  scope          text NOT NULL CHECK (scope IN ('all', 'employer', 'direct_mail')),
  employer       text,
  late_days      int NOT NULL,
  certificate_send_days int NOT NULL,
  reviewed_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  checked        bigint NOT NULL DEFAULT 0,
  withdrawn      bigint NOT NULL DEFAULT 0,
  recalls_planned bigint NOT NULL DEFAULT 0,
  recalls_withdrawn bigint NOT NULL DEFAULT 0,
  -- the decision's explanation of the withdrawals, once per "category/document/reason"
  explanations   jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE mynahoken.issuance_review IS
  'Re-checks of planned documents (review_issuance, and each hand-off): the day, the scope, how many documents were checked and withdrawn, recall notices planned and withdrawn, and the explanation of each kind of withdrawal (explain_certificate_need of its first member, rules and sourced parameters)';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_review', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_review_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_recall_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_recall_id_seq IS 'Identifiers of recall notices';
CREATE TABLE mynahoken.issuance_recall (
  recall_id      bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_recall_id_seq'),
  -- No foreign keys: the queue and the batches stay truncatable on their own
  -- (tests, demo resets), as in 0.1.
  certificate_id bigint NOT NULL UNIQUE,   -- queue_id of the 資格確認書 to return
  member_key     text NOT NULL,
  employer       text,            -- the employer the certificate went through; NULL: mailed to the member
  insurer_number mynahoken.insurer_number NOT NULL,
  lost_on        date NOT NULL,   -- 資格喪失日 as the member source said on planned_on
  valid_until    date NOT NULL,   -- last valid day of the certificate
  planned_on     date NOT NULL,
  review_id      bigint NOT NULL,
  explanation    jsonb NOT NULL,  -- rule and sources
  status         text NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'handed_off', 'sent', 'returned', 'not_returned', 'withdrawn')),
  handoff_id     bigint,
  sent_on        date,
  returned_on    date,
  closed_on      date,            -- returned, not returned or withdrawn on that day
  closed_reason  text,            -- returned, no_answer, validity_ended, eligible_again
  CHECK ((status IN ('returned', 'not_returned', 'withdrawn')) = (closed_on IS NOT NULL)),
  CHECK ((status = 'returned') = (returned_on IS NOT NULL))
);
COMMENT ON TABLE mynahoken.issuance_recall IS
  'Recall notices: a member who lost eligibility while a 資格確認書 sent to them is still valid must return it (協会けんぽ 令和6年11月; 健康保険法施行規則 第51条); handed off by employer like documents, tracked to returned or not_returned';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_recall', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_recall_id_seq', '');
CREATE INDEX issuance_recall_open ON mynahoken.issuance_recall (employer) WHERE status IN ('planned', 'handed_off', 'sent');
COMMENT ON INDEX mynahoken.issuance_recall_open IS 'Partial index: recall notices not closed, by employer';

-- Per member: what the last decision read and until when it holds, so that a
-- night re-decides only members whose facts changed, whose decision can
-- change by the day planned for, or every member when the legal calendar or
-- the run's settings changed (the generation).  Written in the chunk that
-- decided the member, in the same transaction as its documents.
CREATE TABLE mynahoken.issuance_member_state (
  member_key  text PRIMARY KEY,
  digest      bigint NOT NULL,  -- hash of the member's row in the source as planning read it
  decided_on  date NOT NULL,    -- day planned for
  next_change date NOT NULL,    -- first day after decided_on on which the decision can change (infinity: none)
  generation  int NOT NULL,     -- hash of the legal calendar and the run's settings it was decided under
  run_id      bigint NOT NULL
);
COMMENT ON TABLE mynahoken.issuance_member_state IS
  'Per member key: digest of the facts the last planning read, the days on which that decision holds, the calendar generation and run; lets plan_issuance skip unchanged members (never a My Number: the key is the insurer''s)';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_member_state', '');

-- A queue emptied or a document deleted: its members are decided again.
CREATE FUNCTION mynahoken.issuance_queue_forget()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    BEGIN
      TRUNCATE mynahoken.issuance_member_state;
    EXCEPTION WHEN object_in_use THEN
      NULL;   -- truncated by the same statement (TRUNCATE issuance_queue, issuance_member_state)
    END;
  ELSE
    DELETE FROM mynahoken.issuance_member_state s USING issuance_queue_gone g
     WHERE s.member_key = g.member_key;
  END IF;
  -- A rerun of a planned day can no longer trust that every member is decided.
  UPDATE mynahoken.issuance_run r SET source_rows = NULL, source_digest = NULL
   WHERE r.source_rows IS NOT NULL;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_queue_forget() IS
  'Trigger: when planned documents are deleted (or the queue truncated), forget the planning state of their members so that the next run decides them again';
CREATE TRIGGER issuance_queue_forget_deleted AFTER DELETE ON mynahoken.issuance_queue
  REFERENCING OLD TABLE AS issuance_queue_gone
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.issuance_queue_forget();
CREATE TRIGGER issuance_queue_forget_truncated AFTER TRUNCATE ON mynahoken.issuance_queue
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.issuance_queue_forget();
-- Documents are added by plan_issuance, which holds the issuance lock for
-- the whole run: an INSERT from any other session waits for the run to end.
-- A first load (51_issuance_plan.sql) never reads the queue, so a document
-- added meanwhile would not count as held or planned.
CREATE FUNCTION mynahoken.issuance_queue_wait_for_run()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k int[] := mynahoken.issuance_lock_key();
BEGIN
  -- granted at once in the session of the run (it holds the lock itself)
  PERFORM pg_advisory_xact_lock(k[1], k[2]);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_queue_wait_for_run() IS
  'Trigger: an INSERT into issuance_queue waits until no plan_issuance run holds the issuance lock (the run''s own inserts pass), so that documents are never added beside a running plan';
CREATE TRIGGER issuance_queue_wait_for_run BEFORE INSERT ON mynahoken.issuance_queue
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.issuance_queue_wait_for_run();
COMMENT ON TRIGGER issuance_queue_wait_for_run ON mynahoken.issuance_queue IS
  'Documents are added beside no running plan_issuance: other sessions'' inserts wait for the run to end';
COMMENT ON TRIGGER issuance_queue_forget_deleted ON mynahoken.issuance_queue IS
  'Members whose planned documents are deleted are decided again by the next run';
COMMENT ON TRIGGER issuance_queue_forget_truncated ON mynahoken.issuance_queue IS
  'An emptied queue empties the planning state: the next run decides every member';
