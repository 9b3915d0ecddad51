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
  note          text
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
  sent_on     date
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
  CONSTRAINT issuance_queue_once UNIQUE (member_key, document, acquired_on, issue_window),
  CHECK ((document = 'certificate') = (valid_until IS NOT NULL)),
  CHECK ((document = 'notice') = (sending_window IS NOT NULL))
);
COMMENT ON TABLE mynahoken.issuance_queue IS
  'Planned documents: one row per member, document, 資格取得日 and issue window (unique), with reason, validity, employer, legal basis and run; never a My Number';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_queue', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_queue_id_seq', '');
-- Documents not yet handed off, by employer: what prepare_handoff reads.
CREATE INDEX issuance_queue_pending ON mynahoken.issuance_queue (employer) WHERE handoff_id IS NULL;
CREATE INDEX issuance_queue_handoff ON mynahoken.issuance_queue (handoff_id) WHERE handoff_id IS NOT NULL;
COMMENT ON INDEX mynahoken.issuance_queue_pending IS 'Partial index: planned documents not yet in a hand-off batch, by employer';
COMMENT ON INDEX mynahoken.issuance_queue_handoff IS 'Documents of each hand-off batch';

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
-- Internal helpers of plan_issuance.  They run in the caller's session and
-- use its temporary tables:
--   pg_temp.mh_iss_snap    the member snapshot of this attempt (rn = order by key)
--   pg_temp.mh_iss_cert    per category: validity of a 資格確認書 issued on as_of, basis
--   pg_temp.mh_iss_notice  per category and 資格取得日: sending window relevant to as_of, rule, basis
--   pg_temp.mh_iss_map     per category and certificate reason: basis

-- The advisory lock of the issuance job: (key1, key2) of pg_advisory_lock(int, int).
CREATE FUNCTION mynahoken.issuance_lock_key()
RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY[1836674657, 6];   -- 'myna' as an int4, issue 6
COMMENT ON FUNCTION mynahoken.issuance_lock_key() IS
  'Keys (int, int) of the session-level advisory lock that lets one plan_issuance run at a time per database';

CREATE FUNCTION mynahoken.issuance_lock_holder()
RETURNS int
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT l.pid FROM pg_catalog.pg_locks l
   WHERE l.locktype = 'advisory' AND l.granted
     AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
     AND l.classid = (mynahoken.issuance_lock_key())[1]::oid
     AND l.objid = (mynahoken.issuance_lock_key())[2]::oid
     AND l.objsubid = 2
   LIMIT 1
$$;
COMMENT ON FUNCTION mynahoken.issuance_lock_holder() IS
  'Process id of the backend running plan_issuance in this database, or NULL';

-- The lock itself: pg_advisory_lock's, released by the server when the
-- (sub)transaction that took it aborts, or any transaction aborts once the
-- lock outlived it (a COMMIT inside CALL): a cancelled or failed
-- plan_issuance never leaves it to an idle session (src/issuance.c).
CREATE FUNCTION mynahoken.issuance_try_lock(key1 int, key2 int)
RETURNS boolean
AS 'MODULE_PATHNAME', 'mh_issuance_try_lock'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION mynahoken.issuance_try_lock(int, int) IS
  'Internal: pg_try_advisory_lock(key1, key2) at session level, released again if the calling transaction (or a later one) aborts before issuance_unlock';

CREATE FUNCTION mynahoken.issuance_unlock(key1 int, key2 int)
RETURNS boolean
AS 'MODULE_PATHNAME', 'mh_issuance_unlock'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION mynahoken.issuance_unlock(int, int) IS
  'Internal: release the lock of issuance_try_lock (or of pg_advisory_lock with the same keys); false when this session did not hold it';

-- Basis row for (document, category, reason, rules, parameters): shared by content.
CREATE FUNCTION mynahoken.issuance_basis_id(p_document mynahoken.issuance_document,
                                            p_category mynahoken.insurer_category,
                                            p_reason text, p_rules jsonb, p_parameters jsonb,
                                            p_run bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d text := md5(p_rules::text || p_parameters::text);
  id bigint;
BEGIN
  INSERT INTO mynahoken.issuance_basis AS b (document, category, reason, rules, parameters, digest, first_run)
  VALUES (p_document, p_category, p_reason, p_rules, p_parameters, d, p_run)
  ON CONFLICT (document, category, reason, digest) DO NOTHING
  RETURNING b.basis_id INTO id;
  IF id IS NULL THEN
    SELECT b.basis_id INTO id FROM mynahoken.issuance_basis b
     WHERE b.document = p_document AND b.category = p_category AND b.reason = p_reason AND b.digest = d;
  END IF;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_basis_id(mynahoken.issuance_document, mynahoken.insurer_category, text, jsonb, jsonb, bigint) IS
  'Internal: basis row for the given rules and parameters, created when new';

-- Rules and parameters of explanations merged: {"rules": [names], "parameters": [...]}.
CREATE FUNCTION mynahoken.issuance_merge_explanations(VARIADIC e jsonb[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_build_object(
    'rules', coalesce((SELECT jsonb_agg(DISTINCT r->>'rule') FROM unnest(e) x, jsonb_array_elements(x->'rules') r), '[]'),
    'parameters', coalesce((SELECT jsonb_agg(p ORDER BY p->>'name') FROM
                              (SELECT DISTINCT ON (p->>'name') p FROM unnest(e) x, jsonb_array_elements(x->'parameters') p
                                ORDER BY p->>'name') AS s), '[]'))
$$;
COMMENT ON FUNCTION mynahoken.issuance_merge_explanations(jsonb[]) IS
  'Internal: the rules and legal parameters (with sources) of several explanations, without repeats';

-- Start or take over a run; NULL when another run holds the lock.
CREATE FUNCTION mynahoken.issuance_begin(p_as_of date, p_known_on date, p_late_days int,
                                         p_chunk_size int, p_wait_seconds int)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  k int[] := mynahoken.issuance_lock_key();
  src regclass;
  got boolean := false;
  waited int := 0;
  holder int;
  busy_run bigint;
  old record;
  run bigint;
BEGIN
  -- Arguments first: a bad one records no run.
  IF p_as_of IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'as_of must not be null');
  END IF;
  IF NOT (p_as_of BETWEEN date '0001-01-01' AND date '9999-12-31') THEN
    PERFORM mynahoken.raise_error('22008', 'as_of must be a date from 0001-01-01 to 9999-12-31');
  END IF;
  IF NOT (p_known_on BETWEEN date '0001-01-01' AND date '9999-12-31') THEN
    PERFORM mynahoken.raise_error('22008', 'known_on must be null or a date from 0001-01-01 to 9999-12-31');
  END IF;
  IF p_wait_seconds < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'wait_seconds must be zero or more');
  END IF;
  IF p_chunk_size IS NULL OR p_chunk_size < 1 THEN
    PERFORM mynahoken.raise_error('22023', 'chunk_size must be a positive integer');
  END IF;
  IF p_late_days IS NULL OR p_late_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'late_days must be zero or more');
  END IF;
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    PERFORM mynahoken.raise_error('42704', 'no member source is registered',
      hint => 'Register the table or view of members with mynahoken.register_member_source().');
  END IF;
  SELECT m.source::regclass INTO src FROM mynahoken.member_source m;

  -- A lock this session kept from a cancelled call is ours already.
  IF mynahoken.issuance_lock_holder() = pg_backend_pid() THEN
    got := true;
  END IF;
  WHILE NOT got LOOP
    got := mynahoken.issuance_try_lock(k[1], k[2]);
    EXIT WHEN got OR waited >= coalesce(p_wait_seconds, 0);
    PERFORM pg_sleep(1);
    waited := waited + 1;
  END LOOP;
  IF NOT got THEN
    holder := mynahoken.issuance_lock_holder();
    SELECT r.run_id INTO busy_run FROM mynahoken.issuance_run r
     WHERE r.status = 'running' ORDER BY r.run_id DESC LIMIT 1;
    INSERT INTO mynahoken.issuance_run (as_of, known_on, late_days, source, status, chunk_size,
                                        finished_at, note)
    VALUES (p_as_of, p_known_on, p_late_days, src::text, 'skipped', p_chunk_size, clock_timestamp(),
            format('skipped: run %s (pid %s) was in progress', coalesce(busy_run::text, '?'),
                   coalesce(holder::text, '?')));
    RAISE WARNING 'issuance run skipped: another run is in progress'
      USING DETAIL = format('Run %s holds the issuance lock (pid %s).', coalesce(busy_run::text, '?'),
                            coalesce(holder::text, '?')),
            HINT = 'Pass wait_seconds to wait for it, or let the next scheduled run catch up.';
    RETURN NULL;
  END IF;

  -- Unfinished runs: take over the latest one when it plans the same thing,
  -- supersede the others (the new run re-plans every member anyway).
  FOR old IN
    SELECT r.* FROM mynahoken.issuance_run r
     WHERE r.status IN ('running', 'failed')
     ORDER BY r.run_id DESC
     FOR UPDATE
  LOOP
    IF run IS NULL AND old.as_of = p_as_of AND old.known_on IS NOT DISTINCT FROM p_known_on
       AND old.late_days = p_late_days AND old.source = src::text THEN
      run := old.run_id;
      UPDATE mynahoken.issuance_run r
         SET status = 'running', attempts = r.attempts + 1, pid = pg_backend_pid(),
             attempt_started_at = clock_timestamp(), chunk_size = p_chunk_size,
             note = format('taken over after %s', CASE WHEN old.status = 'failed'
                                                       THEN 'a failure' ELSE 'an interruption' END)
       WHERE r.run_id = old.run_id;
    ELSE
      UPDATE mynahoken.issuance_run r
         SET status = 'superseded', note = 'superseded by a later run'
       WHERE r.run_id = old.run_id;
    END IF;
  END LOOP;
  IF run IS NULL THEN
    INSERT INTO mynahoken.issuance_run AS r (as_of, known_on, late_days, source, status, chunk_size)
    VALUES (p_as_of, p_known_on, p_late_days, src::text, 'running', p_chunk_size)
    RETURNING r.run_id INTO run;
  END IF;
  RETURN run;
EXCEPTION WHEN OTHERS THEN
  IF got THEN
    PERFORM mynahoken.issuance_unlock(k[1], k[2]);
  END IF;
  RAISE;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_begin(date, date, int, int, int) IS
  'Internal: take the issuance lock (or log a skipped run and return NULL), then start a run or take over an unfinished one';

-- Snapshot and per-run maps.  Returns 'SQLSTATE message' on failure.
CREATE FUNCTION mynahoken.issuance_prepare(p_run bigint)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
#variable_conflict use_column
DECLARE
  r mynahoken.issuance_run;
  src regclass;
  n bigint;
  looks bigint;
  dnum int;
  from_day date;
  rounds_open boolean;
  pname text;
  c record;
  e jsonb;
  e2 jsonb;
  m jsonb;
  w daterange;
BEGIN
  SELECT * INTO r FROM mynahoken.issuance_run x WHERE x.run_id = p_run;
  src := r.source::regclass;
  IF EXISTS (SELECT FROM mynahoken.check_member_source(src) x WHERE x.problem IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format(mynahoken.gettext('member source %s no longer has the columns it needs'), src),
      hint => 'SELECT * FROM mynahoken.check_member_source(...) says what is wrong.');
  END IF;
  IF pg_my_temp_schema() <> 0 THEN
    DROP TABLE IF EXISTS pg_temp.mh_iss_snap, pg_temp.mh_iss_cert, pg_temp.mh_iss_notice, pg_temp.mh_iss_map, pg_temp.mh_iss_days, pg_temp.mh_iss_state;
  END IF;

  -- The members after the last committed key, in key order, with the
  -- problems that make the decision functions refuse a row (contradictory
  -- dates as member_facts_conflict says; the birth date, needed by the
  -- 後期高齢者 age rule, is required of every member).
  EXECUTE format($q$
    CREATE TEMP TABLE mh_iss_snap AS
    SELECT row_number() OVER (ORDER BY s.k COLLATE "C") AS rn, s.*,
           mynahoken.category(s.ins) AS category,
           CASE WHEN s.k IS NULL THEN 'member_key_missing'
                WHEN s.k = lag(s.k) OVER (ORDER BY s.k COLLATE "C") THEN 'duplicate_member_key'
                WHEN s.ins IS NULL THEN 'invalid_insurer_number'
                WHEN s.acquired_on IS NULL THEN 'acquired_on_missing'
                WHEN s.birth_date IS NULL THEN 'birth_date_missing'
                ELSE mynahoken.member_facts_conflict(s.birth_date, s.acquired_on, s.lost_on, NULL, NULL)
           END AS reject
      FROM (SELECT src.member_key::text AS k,
                   CASE WHEN mynahoken.insurer_number_is_valid(src.insurer_number::text)
                        THEN src.insurer_number::text::mynahoken.insurer_number END AS ins,
                   src.birth_date, src.acquired_on, src.lost_on, src.employer::text AS employer,
                   coalesce(src.my_number_linked, false) AS my_number_linked,
                   src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on,
                   src.certificate_requested_on, src.certificate_valid_until
              FROM %s AS src) AS s
     WHERE $1 IS NULL OR s.k COLLATE "C" > $1 COLLATE "C"
  $q$, src) USING r.last_key;
  CREATE UNIQUE INDEX ON pg_temp.mh_iss_snap (rn);
  ANALYZE pg_temp.mh_iss_snap;
  SELECT coalesce(max(s.rn), 0) INTO n FROM pg_temp.mh_iss_snap s;
  -- Two rows with one member key have no order among themselves: a run
  -- taken over after a kill could plan the other copy.  Refused, counted.
  SELECT count(*) INTO looks FROM pg_temp.mh_iss_snap s WHERE s.reject = 'duplicate_member_key';
  IF looks > 0 THEN
    PERFORM mynahoken.raise_error('23505',
      pg_catalog.format(mynahoken.gettext('member source has duplicate member keys: %s rows repeat the key of another row'), looks),
      hint => 'member_key must identify one member: make it unique in the member source (a primary key), then run again.');
  END IF;
  -- A My Number used as member key would end up in the queue and the logs:
  -- refuse the run when the keys (the first 10,000) look like My Numbers,
  -- read as the My Number reader reads them (hyphens, spaces, full width).
  SELECT count(*) FILTER (WHERE mynahoken.mynumber_is_valid(s.k))
    INTO looks FROM pg_temp.mh_iss_snap s WHERE s.rn <= 10000;
  IF n >= 10 AND looks * 10 >= least(n, 10000) * 9 THEN
    PERFORM mynahoken.raise_error('22023', 'member keys look like My Numbers',
      detail => pg_catalog.format(mynahoken.gettext('%s of %s member keys read as My Numbers (12 digits with a valid check digit).'), looks, n),
      hint => 'Use the insurer''s own member identifier as member_key, never the 個人番号.');
  END IF;
  UPDATE mynahoken.issuance_run x SET members_total = coalesce(x.members_total, n)
   WHERE x.run_id = p_run;

  -- Validity of a 資格確認書 issued on as_of, per category.
  CREATE TEMP TABLE mh_iss_cert (category mynahoken.insurer_category PRIMARY KEY, valid_until date, explanation jsonb);
  INSERT INTO pg_temp.mh_iss_cert
  SELECT x.category, mynahoken.certificate_valid_until(x.category, r.as_of, r.known_on),
         mynahoken.explain_certificate_valid_until(x.category, r.as_of, r.known_on)
    FROM (SELECT DISTINCT s.category FROM pg_temp.mh_iss_snap s WHERE s.reject IS NULL) AS x;
  CREATE TEMP TABLE mh_iss_map (category mynahoken.insurer_category, reason text, basis_id bigint,
                                PRIMARY KEY (category, reason));
  -- Bases of every certificate reason met in the snapshot, from the
  -- explanation of the first member with it; when a member is refused by
  -- certificate_need here, the chunks find the bases as they go.
  CREATE TEMP TABLE mh_iss_state (map_complete boolean NOT NULL);
  BEGIN
    FOR c IN
      SELECT x.category, x.need::text AS reason, min(x.rn) AS rn
        FROM (SELECT s.rn, s.category,
                     mynahoken.certificate_need(s.category, r.as_of, s.birth_date, s.acquired_on, s.lost_on,
                                                s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                                s.ecert_expires_on, s.certificate_requested_on, r.known_on) AS need
                FROM pg_temp.mh_iss_snap s WHERE s.reject IS NULL) AS x
       WHERE mynahoken.certificate_needed(x.need)
       GROUP BY 1, 2
    LOOP
      PERFORM mynahoken.issuance_certificate_basis(p_run, r.as_of, r.known_on, c.category, c.reason, c.rn);
    END LOOP;
    INSERT INTO pg_temp.mh_iss_state VALUES (true);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    INSERT INTO pg_temp.mh_iss_state VALUES (false);
  END;

  -- Sending windows of the 資格情報のお知らせ per category and acquisition
  -- day, kept when open on as_of or closed at most late_days before.
  -- notice_sending_window raises P0002 for a day without a window, and a
  -- failed call costs a reload of the calendar (~0.25 ms), so days before
  -- notice_on_acquisition_from (sent in rounds to existing members) are
  -- looked at only while a round window (notice_round1_window,
  -- notice_round2_window) is open or recently closed.  Any other P0002 falls
  -- back to one call per day.
  CREATE TEMP TABLE mh_iss_notice (category mynahoken.insurer_category, acquired_on date, win daterange,
                                   rule text, basis_id bigint, PRIMARY KEY (category, acquired_on));
  CREATE TEMP TABLE mh_iss_days (category mynahoken.insurer_category, acquired_on date,
                                 PRIMARY KEY (category, acquired_on));
  INSERT INTO pg_temp.mh_iss_days
  SELECT DISTINCT s.category, s.acquired_on FROM pg_temp.mh_iss_snap s
   WHERE s.reject IS NULL AND s.my_number_linked AND s.acquired_on <= r.as_of;
  FOR c IN SELECT DISTINCT d.category FROM pg_temp.mh_iss_days d LOOP
    BEGIN
      from_day := mynahoken.legal_value_date('notice_on_acquisition_from', r.as_of, c.category, r.known_on);
    EXCEPTION WHEN no_data_found THEN
      from_day := 'infinity';
    END;
    rounds_open := false;
    FOREACH pname IN ARRAY ARRAY['notice_round1_window', 'notice_round2_window'] LOOP
      BEGIN
        w := mynahoken.legal_value_range(pname, r.as_of, c.category, r.known_on);
        rounds_open := rounds_open OR (lower(w) <= r.as_of AND r.as_of < upper(w) + r.late_days);
      EXCEPTION WHEN no_data_found THEN
        NULL;
      END;
    END LOOP;
    BEGIN
      INSERT INTO pg_temp.mh_iss_notice (category, acquired_on, win)
      SELECT c.category, d.acquired_on, mynahoken.notice_sending_window(c.category, d.acquired_on, r.known_on)
        FROM pg_temp.mh_iss_days d
       WHERE d.category = c.category AND (d.acquired_on >= from_day OR rounds_open);
    EXCEPTION WHEN no_data_found THEN
      FOR dnum IN SELECT d.acquired_on - date '2000-01-01' FROM pg_temp.mh_iss_days d
                   WHERE d.category = c.category AND (d.acquired_on >= from_day OR rounds_open)
      LOOP
        BEGIN
          w := mynahoken.notice_sending_window(c.category, date '2000-01-01' + dnum, r.known_on);
        EXCEPTION WHEN no_data_found THEN
          w := NULL;
        END;
        INSERT INTO pg_temp.mh_iss_notice (category, acquired_on, win)
        VALUES (c.category, date '2000-01-01' + dnum, w);
      END LOOP;
    END;
  END LOOP;
  DROP TABLE pg_temp.mh_iss_days;
  DELETE FROM pg_temp.mh_iss_notice x
   WHERE x.win IS NULL OR isempty(x.win) OR lower(x.win) > r.as_of
      OR upper(x.win) + r.late_days <= r.as_of;
  -- Rule and basis from one explanation per category and kind of window:
  -- windows starting on the acquisition day (sent on acquisition) share one,
  -- fixed windows (rounds) are explained one by one.  An explanation costs
  -- about 0.4 ms.
  FOR c IN SELECT x.category, lower(x.win) = x.acquired_on AS on_acq,
                  CASE WHEN lower(x.win) = x.acquired_on THEN NULL ELSE x.win END AS win,
                  min(x.acquired_on) AS acquired_on
             FROM pg_temp.mh_iss_notice x GROUP BY 1, 2, 3 LOOP
    e := mynahoken.explain_notice_sending_window(c.category, c.acquired_on, r.known_on);
    m := mynahoken.issuance_merge_explanations(e);
    UPDATE pg_temp.mh_iss_notice x
       SET rule = regexp_replace(coalesce(m->'rules'->>0, 'unknown'), '^notice_', ''),
           basis_id = mynahoken.issuance_basis_id('notice', c.category,
                        regexp_replace(coalesce(m->'rules'->>0, 'unknown'), '^notice_', ''),
                        m->'rules', m->'parameters', p_run)
     WHERE x.category = c.category AND (lower(x.win) = x.acquired_on) = c.on_acq
       AND (c.on_acq OR x.win = c.win);
  END LOOP;
  ANALYZE pg_temp.mh_iss_notice;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_prepare(bigint) IS
  'Internal: snapshot of the member source after the last committed key, validity per category and notice windows open on as_of; returns the error or NULL';

-- Documents one range of the snapshot would get (before the "already
-- planned" checks): the planning rules, in one place.
CREATE FUNCTION mynahoken.issuance_candidates(p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS TABLE (rn bigint, member_key text, document mynahoken.issuance_document, reason text,
               acquired_on date, issue_window date, valid_from date, valid_until date,
               sending_window daterange, insurer_number mynahoken.insurer_number,
               category mynahoken.insurer_category, employer text, basis_id bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH d AS MATERIALIZED (
    SELECT s.rn, s.k, s.ins, s.category, s.acquired_on, s.employer, s.my_number_linked,
           s.certificate_valid_until AS held_until,
           mynahoken.certificate_need(s.category, p_as_of, s.birth_date, s.acquired_on, s.lost_on,
                                      s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                      s.ecert_expires_on, s.certificate_requested_on, p_known_on) AS need
      FROM pg_temp.mh_iss_snap s
     WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NULL
  )
  -- 資格確認書: needed on as_of (certificate_need), unless the member holds one valid on as_of.
  SELECT d.rn, d.k, 'certificate'::mynahoken.issuance_document, d.need::text, d.acquired_on,
         c.valid_until, p_as_of, c.valid_until, NULL::daterange, d.ins, d.category, d.employer,
         mp.basis_id
    FROM d
    JOIN pg_temp.mh_iss_cert c ON c.category = d.category
    LEFT JOIN pg_temp.mh_iss_map mp ON mp.category = d.category AND mp.reason = d.need::text
   WHERE mynahoken.certificate_needed(d.need)
     AND (d.held_until IS NULL OR d.held_until < p_as_of)
  UNION ALL
  -- 資格情報のお知らせ: My Number linked, eligible, window open on as_of, and
  -- not a member who gets a 資格確認書 instead under the 後期高齢者 rules.
  SELECT d.rn, d.k, 'notice'::mynahoken.issuance_document, n.rule, d.acquired_on,
         lower(n.win), NULL::date, NULL::date, n.win, d.ins, d.category, d.employer, n.basis_id
    FROM d
    JOIN pg_temp.mh_iss_notice n ON n.category = d.category AND n.acquired_on = d.acquired_on
   WHERE d.my_number_linked
     AND d.need NOT IN ('not_eligible', 'late_elderly_blanket', 'late_elderly_age');
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_candidates(date, date, bigint, bigint) IS
  'Internal: the planning rules: documents the snapshot rows rn in [lo, hi] need on as_of, before removing those already planned';

-- Basis of a certificate reason for a category, from the explanations of
-- snapshot row rn (certificate_need) and of the validity for the category.
CREATE FUNCTION mynahoken.issuance_certificate_basis(p_run bigint, p_as_of date, p_known_on date,
                                                     p_category mynahoken.insurer_category, p_reason text,
                                                     p_rn bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  m jsonb;
  id bigint;
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_snap') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_certificate_basis is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
  SELECT mynahoken.issuance_merge_explanations(
           mynahoken.explain_certificate_need(s.category, p_as_of, s.birth_date, s.acquired_on, s.lost_on,
                                              s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                              s.ecert_expires_on, s.certificate_requested_on, p_known_on),
           ce.explanation)
    INTO m
    FROM pg_temp.mh_iss_snap s
    JOIN pg_temp.mh_iss_cert ce ON ce.category = s.category
   WHERE s.rn = p_rn;
  id := mynahoken.issuance_basis_id('certificate', p_category, p_reason, m->'rules', m->'parameters', p_run);
  INSERT INTO pg_temp.mh_iss_map (category, reason, basis_id) VALUES (p_category, p_reason, id)
  ON CONFLICT DO NOTHING;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_certificate_basis(bigint, date, date, mynahoken.insurer_category, text, bigint) IS
  'Internal: basis of a certificate reason for a category, from the explanation of one snapshot member; recorded in the run''s map';

-- Plan rows [lo, hi] of the snapshot; returns {certificates, notices, already}.
CREATE FUNCTION mynahoken.issuance_plan_rows(p_run bigint, p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  c record;
  res bigint[];
BEGIN
  -- Bases of certificate reasons not met in prepare (only when a member was
  -- refused there, so the pass over all members stopped early).
  IF NOT (SELECT st.map_complete FROM pg_temp.mh_iss_state st) THEN
    FOR c IN
      SELECT x.category, x.reason, min(x.rn) AS rn
        FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi) x
       WHERE x.document = 'certificate' AND x.basis_id IS NULL
       GROUP BY 1, 2
    LOOP
      PERFORM mynahoken.issuance_certificate_basis(p_run, p_as_of, p_known_on, c.category, c.reason, c.rn);
    END LOOP;
  END IF;

  WITH cand AS MATERIALIZED (
    SELECT * FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi)
  ), fresh AS (
    -- LATERAL ... LIMIT 1: one index probe per candidate, never a hash
    -- join over the whole queue (which the planner picks for NOT EXISTS).
    SELECT x.* FROM cand x
      LEFT JOIN LATERAL (SELECT 1 AS found FROM mynahoken.issuance_queue q
                          WHERE q.member_key = x.member_key AND q.document = x.document
                            AND q.acquired_on = x.acquired_on
                            AND (x.document = 'notice' OR q.valid_until >= p_as_of)
                          LIMIT 1) AS e ON true
     WHERE e.found IS NULL
  ), ins AS (
    INSERT INTO mynahoken.issuance_queue AS q
           (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
            sending_window, insurer_number, category, employer, as_of, run_id, basis_id)
    SELECT x.member_key, x.document, x.acquired_on, x.issue_window, x.reason, x.valid_from, x.valid_until,
           x.sending_window, x.insurer_number, x.category, x.employer, p_as_of, p_run, x.basis_id
      FROM fresh x
     ORDER BY x.member_key COLLATE "C", x.document
    ON CONFLICT ON CONSTRAINT issuance_queue_once DO NOTHING
    RETURNING q.document
  )
  SELECT ARRAY[count(*) FILTER (WHERE i.document = 'certificate'),
               count(*) FILTER (WHERE i.document = 'notice'),
               (SELECT count(*) FROM cand) - count(*)]
    INTO res FROM ins i;
  RETURN res;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_plan_rows(bigint, date, date, bigint, bigint) IS
  'Internal: insert the documents rows [lo, hi] of the snapshot need and that are not planned yet; returns {certificates, notices, already planned}';

-- One chunk: rejections, planning (row by row when a row is refused by the
-- decision functions), progress.  Returns NULL or 'SQLSTATE message'.
CREATE FUNCTION mynahoken.issuance_chunk(p_run bigint, p_lo bigint, p_hi bigint)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  r mynahoken.issuance_run;
  res bigint[];
  one bigint[];
  bad_insurer bigint;
  bad_other bigint;
  i bigint;
  k text;
BEGIN
  SELECT * INTO r FROM mynahoken.issuance_run x WHERE x.run_id = p_run;
  INSERT INTO mynahoken.issuance_rejection (run_id, member_key, problem)
  SELECT p_run, s.k, s.reject FROM pg_temp.mh_iss_snap s
   WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NOT NULL AND s.k IS NOT NULL
  ON CONFLICT DO NOTHING;
  SELECT count(*) FILTER (WHERE s.reject = 'invalid_insurer_number'),
         count(*) FILTER (WHERE s.reject <> 'invalid_insurer_number')
    INTO bad_insurer, bad_other
    FROM pg_temp.mh_iss_snap s WHERE s.rn BETWEEN p_lo AND p_hi;

  BEGIN
    res := mynahoken.issuance_plan_rows(p_run, r.as_of, r.known_on, p_lo, p_hi);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    -- Some member's facts were refused: plan row by row, record the refusals.
    res := ARRAY[0, 0, 0]::bigint[];
    FOR i, k IN SELECT s.rn, s.k FROM pg_temp.mh_iss_snap s
                 WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NULL ORDER BY s.rn LOOP
      BEGIN
        one := mynahoken.issuance_plan_rows(p_run, r.as_of, r.known_on, i, i);
        res := ARRAY[res[1] + one[1], res[2] + one[2], res[3] + one[3]];
      EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
        INSERT INTO mynahoken.issuance_rejection (run_id, member_key, problem)
        VALUES (p_run, k, 'refused: ' || SQLERRM) ON CONFLICT DO NOTHING;
        bad_other := bad_other + 1;
      END;
    END LOOP;
  END;

  UPDATE mynahoken.issuance_run x
     SET members_done = x.members_done + (p_hi - p_lo + 1),
         chunks = x.chunks + 1,
         -- The last key that does not read as a My Number: a run taken
         -- over from there plans again, idempotently, the members after it.
         last_key = coalesce((SELECT s.k FROM pg_temp.mh_iss_snap s
                               WHERE s.rn BETWEEN p_lo AND p_hi
                                 AND NOT coalesce(mynahoken.mynumber_is_valid(s.k), false)
                               ORDER BY s.rn DESC LIMIT 1), x.last_key),
         certificates = x.certificates + res[1],
         notices = x.notices + res[2],
         already_planned = x.already_planned + res[3],
         rejected_invalid_insurer = x.rejected_invalid_insurer + bad_insurer,
         rejected_other = x.rejected_other + bad_other
   WHERE x.run_id = p_run;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_chunk(bigint, bigint, bigint) IS
  'Internal: plan one chunk of the snapshot and record progress in the run row; returns the error or NULL';

-- End of a run: finished, or failed with its error.  Releases the lock.
CREATE FUNCTION mynahoken.issuance_end(p_run bigint, p_error text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
#variable_conflict use_column
DECLARE
  k int[] := mynahoken.issuance_lock_key();
BEGIN
  IF p_error IS NULL THEN
    UPDATE mynahoken.issuance_run x SET status = 'finished', finished_at = clock_timestamp(), error = NULL
     WHERE x.run_id = p_run;
  ELSE
    UPDATE mynahoken.issuance_run x SET status = 'failed', error = p_error
     WHERE x.run_id = p_run;
  END IF;
  IF pg_my_temp_schema() <> 0 THEN
    DROP TABLE IF EXISTS pg_temp.mh_iss_snap, pg_temp.mh_iss_cert, pg_temp.mh_iss_notice, pg_temp.mh_iss_map, pg_temp.mh_iss_days, pg_temp.mh_iss_state;
  END IF;
  PERFORM mynahoken.issuance_unlock(k[1], k[2]);
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_end(bigint, text) IS
  'Internal: mark a run finished (or failed with its error), drop its temporary tables and release the issuance lock';

-- ---------------------------------------------------------------------------
-- The procedure

CREATE PROCEDURE mynahoken.plan_issuance(as_of date DEFAULT CURRENT_DATE,
                                         chunk_size integer DEFAULT 10000,
                                         late_days integer DEFAULT 60,
                                         known_on date DEFAULT NULL,
                                         wait_seconds integer DEFAULT 0,
                                         pause_ms integer DEFAULT 0,
                                         commit_chunks boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
-- No SET clause (it would forbid COMMIT), so this body runs under the caller's
-- search_path: every type, function and operator is schema-qualified, and the
-- work is done by the functions it calls, which fix their own search_path.
DECLARE
  p_as_of pg_catalog.date := as_of;
  p_chunk pg_catalog.int4 := chunk_size;
  run pg_catalog.int8;
  err pg_catalog.text;
  total pg_catalog.int8;
  lo pg_catalog.int8 := 1;
  hi pg_catalog.int8;
BEGIN
  -- Called inside a transaction block with commit_chunks, fail here, before
  -- taking the lock, rather than at the first chunk.
  IF commit_chunks THEN
    COMMIT;
  END IF;
  run := mynahoken.issuance_begin(p_as_of, known_on, late_days, p_chunk, wait_seconds);
  IF run IS NULL THEN
    RETURN;
  END IF;
  IF commit_chunks THEN
    COMMIT;
  END IF;
  err := mynahoken.issuance_prepare(run);
  IF err IS NULL THEN
    SELECT pg_catalog.count(*) INTO total FROM pg_temp.mh_iss_snap;
    IF commit_chunks THEN
      COMMIT;
    END IF;
    WHILE lo OPERATOR(pg_catalog.<=) total LOOP
      hi := LEAST(lo OPERATOR(pg_catalog.+) p_chunk OPERATOR(pg_catalog.-) 1, total);
      err := mynahoken.issuance_chunk(run, lo, hi);
      EXIT WHEN err IS NOT NULL;
      IF commit_chunks THEN
        COMMIT;
      END IF;
      lo := hi OPERATOR(pg_catalog.+) 1;
      IF pause_ms OPERATOR(pg_catalog.>) 0 AND lo OPERATOR(pg_catalog.<=) total THEN
        PERFORM pg_catalog.pg_sleep(pause_ms::pg_catalog.float8 OPERATOR(pg_catalog./) 1000);
      END IF;
    END LOOP;
  END IF;
  PERFORM mynahoken.issuance_end(run, err);
  IF commit_chunks THEN
    COMMIT;
  END IF;
  IF err IS NOT NULL THEN
    -- The error is not repeated: it may quote a member's data.
    PERFORM mynahoken.raise_error(pg_catalog.left(err, 5), pg_catalog.format(mynahoken.gettext('issuance run %s failed'), run),
      detail => 'The error is in the column error of mynahoken.issuance_runs.',
      hint => 'The run is logged as failed; the next run for the same day takes it over where it stopped.');
  END IF;
END
$$;
COMMENT ON PROCEDURE mynahoken.plan_issuance(date, integer, integer, date, integer, integer, boolean) IS
  'Plan the 資格確認書 and 資格情報のお知らせ members need on as_of, committing every chunk_size members; idempotent, resumable, one run at a time';

-- ---------------------------------------------------------------------------
-- Operators' views

CREATE VIEW mynahoken.issuance_runs AS
SELECT r.run_id, r.as_of,
       CASE WHEN r.status = 'running' AND mynahoken.issuance_lock_holder() IS DISTINCT FROM r.pid
            THEN 'interrupted' ELSE r.status END AS state,
       r.attempts, r.started_at, r.finished_at,
       r.members_total, r.members_done, r.certificates, r.notices, r.already_planned,
       r.rejected_invalid_insurer, r.rejected_other, r.chunks, r.error, r.note,
       CASE WHEN r.finished_at IS NOT NULL AND r.members_done > 0 AND r.attempts = 1
            THEN round(r.members_done / greatest(extract(epoch FROM r.finished_at - r.started_at), 0.001)) END
         AS members_per_s
  FROM mynahoken.issuance_run r;
COMMENT ON VIEW mynahoken.issuance_runs IS
  'Run log for operators: state (running, interrupted = crashed or killed and not yet taken over, finished, failed, superseded, skipped), counts, rate';

CREATE VIEW mynahoken.issuance_pending AS
SELECT q.employer, q.document, q.reason, count(*) AS documents, min(q.as_of) AS oldest
  FROM mynahoken.issuance_queue q
 WHERE q.handoff_id IS NULL
 GROUP BY 1, 2, 3;
COMMENT ON VIEW mynahoken.issuance_pending IS
  'Planned documents not yet handed off, per employer (NULL: direct mail), document and reason';

-- The print vendor's layout: one line per document, grouped by batch
-- (one employer each), with the Japanese document name and dates in ISO.
CREATE VIEW mynahoken.issuance_handoff_file AS
SELECT q.handoff_id,
       coalesce(q.employer, '') AS employer,
       CASE WHEN q.employer IS NULL THEN 'member' ELSE 'employer' END AS deliver_to,
       row_number() OVER (PARTITION BY q.handoff_id ORDER BY q.member_key COLLATE "C", q.document) AS line_no,
       mynahoken.padded(q.insurer_number) AS insurer_number,
       q.member_key,
       CASE q.document WHEN 'certificate' THEN '資格確認書' ELSE '資格情報のお知らせ' END AS document_name,
       q.document::text AS document,
       q.reason,
       pg_catalog.to_char(q.valid_from, 'YYYY-MM-DD') AS valid_from,
       pg_catalog.to_char(q.valid_until, 'YYYY-MM-DD') AS valid_until,
       pg_catalog.to_char(upper(q.sending_window) - 1, 'YYYY-MM-DD') AS send_by,
       q.queue_id
  FROM mynahoken.issuance_queue q
 WHERE q.handoff_id IS NOT NULL;
COMMENT ON VIEW mynahoken.issuance_handoff_file IS
  'Hand-off file for the print vendor, one line per document of each batch: COPY (SELECT * FROM ... WHERE handoff_id = N ORDER BY line_no) TO ... CSV HEADER';

-- ---------------------------------------------------------------------------
-- Hand-off and sending

CREATE FUNCTION mynahoken.prepare_handoff(employer text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  h bigint := nextval('mynahoken.issuance_handoff_id_seq');
  n bigint;
BEGIN
  -- The queue rows reference the batch: create it first, count after.
  INSERT INTO mynahoken.issuance_handoff (handoff_id, employer, documents)
  VALUES (h, prepare_handoff.employer, 0);
  -- "=" and IS NULL separately, so that the partial index is used.
  IF prepare_handoff.employer IS NULL THEN
    UPDATE mynahoken.issuance_queue q SET handoff_id = h
     WHERE q.handoff_id IS NULL AND q.employer IS NULL;
  ELSE
    UPDATE mynahoken.issuance_queue q SET handoff_id = h
     WHERE q.handoff_id IS NULL AND q.employer = prepare_handoff.employer;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n = 0 THEN
    DELETE FROM mynahoken.issuance_handoff x WHERE x.handoff_id = h;
    RETURN NULL;
  END IF;
  UPDATE mynahoken.issuance_handoff x SET documents = n WHERE x.handoff_id = h;
  RETURN h;
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoff(text) IS
  'Put every planned document of one employer (NULL: direct mail to members) not yet handed off into a new batch; returns its id, or NULL when there is none';

CREATE FUNCTION mynahoken.prepare_handoffs()
RETURNS TABLE (handoff_id bigint, employer text, documents bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  e record;
  h bigint;
BEGIN
  FOR e IN SELECT DISTINCT q.employer FROM mynahoken.issuance_queue q
            WHERE q.handoff_id IS NULL ORDER BY 1 NULLS FIRST LOOP
    h := mynahoken.prepare_handoff(e.employer);
    IF h IS NOT NULL THEN
      RETURN QUERY SELECT b.handoff_id, b.employer, b.documents
                     FROM mynahoken.issuance_handoff b WHERE b.handoff_id = h;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoffs() IS
  'prepare_handoff for every employer with documents waiting (and for direct mail); one row per batch created';

CREATE FUNCTION mynahoken.mark_handoff_sent(handoff_id bigint, sent_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  b mynahoken.issuance_handoff;
  n bigint;
BEGIN
  SELECT * INTO b FROM mynahoken.issuance_handoff x WHERE x.handoff_id = mark_handoff_sent.handoff_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', 'hand-off batch does not exist');
  END IF;
  IF b.sent_on IS NOT NULL THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format(mynahoken.gettext('hand-off batch %s was already marked sent on %s'), b.handoff_id, to_char(b.sent_on, 'YYYY-MM-DD')));
  END IF;
  UPDATE mynahoken.issuance_handoff x SET sent_on = mark_handoff_sent.sent_on
   WHERE x.handoff_id = b.handoff_id;
  UPDATE mynahoken.issuance_queue q SET sent_on = mark_handoff_sent.sent_on
   WHERE q.handoff_id = b.handoff_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.mark_handoff_sent(bigint, date) IS
  'Mark every document of a hand-off batch as sent on a day; returns how many; raises when the batch is unknown or already sent';

-- ---------------------------------------------------------------------------
-- Explanation of one member

CREATE FUNCTION mynahoken.explain_issuance(member_key text, as_of date DEFAULT CURRENT_DATE,
                                           known_on date DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  src regclass;
  m record;
  found_rows bigint;
  cat mynahoken.insurer_category;
  need jsonb;
  validity jsonb;
  notice jsonb;
  planned jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    PERFORM mynahoken.raise_error('42704', 'no member source is registered',
      hint => 'Register the table or view of members with mynahoken.register_member_source().');
  END IF;
  SELECT s.source::regclass INTO src FROM mynahoken.member_source s;
  EXECUTE format('SELECT src.insurer_number::text AS ins, src.birth_date, src.acquired_on, src.lost_on,
                         src.employer::text AS employer, coalesce(src.my_number_linked, false) AS linked,
                         src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on,
                         src.certificate_requested_on, src.certificate_valid_until
                    FROM %s AS src WHERE src.member_key::text = $1', src)
    INTO m USING explain_issuance.member_key;
  GET DIAGNOSTICS found_rows = ROW_COUNT;
  IF found_rows = 0 THEN
    -- Never the key: member keys may be My Numbers.
    PERFORM mynahoken.raise_error('P0002', 'member is not in the member source',
      detail => 'No row of the member source has the given member_key.');
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'queue_id', q.queue_id, 'document', q.document, 'reason', q.reason,
           'valid_from', q.valid_from, 'valid_until', q.valid_until,
           'sending_window', mynahoken.daterange_iso(q.sending_window),
           'as_of', q.as_of, 'run_id', q.run_id, 'employer', q.employer,
           'handoff_id', q.handoff_id, 'sent_on', q.sent_on,
           'basis', (SELECT jsonb_build_object('rules', b.rules, 'parameters', b.parameters)
                       FROM mynahoken.issuance_basis b WHERE b.basis_id = q.basis_id))
           ORDER BY q.queue_id), '[]')
    INTO planned
    FROM mynahoken.issuance_queue q WHERE q.member_key = explain_issuance.member_key;
  IF NOT coalesce(mynahoken.insurer_number_is_valid(m.ins), false) THEN
    RETURN jsonb_build_object('member_key', explain_issuance.member_key, 'as_of', as_of,
                              'problem', 'invalid_insurer_number', 'planned', planned);
  END IF;
  cat := mynahoken.category(m.ins::mynahoken.insurer_number);
  BEGIN
    need := mynahoken.explain_certificate_need(cat, as_of, m.birth_date, m.acquired_on, m.lost_on, m.linked,
                                               m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
                                               m.certificate_requested_on, known_on);
    validity := mynahoken.explain_certificate_valid_until(cat, as_of, known_on);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    need := jsonb_build_object('error', SQLERRM);
  END;
  BEGIN
    notice := mynahoken.explain_notice_sending_window(cat, m.acquired_on, known_on);
  EXCEPTION WHEN no_data_found OR data_exception THEN
    notice := jsonb_build_object('error', SQLERRM);
  END;
  RETURN jsonb_build_object(
    'member_key', explain_issuance.member_key,
    'as_of', as_of,
    'insurer_number', m.ins::mynahoken.insurer_number::text,
    'category', cat,
    'employer', m.employer,
    'my_number_linked', m.linked,
    'certificate_need', need,
    'certificate_valid_until', validity,
    'notice_sending_window', notice,
    'planned', planned);
END
$$;
COMMENT ON FUNCTION mynahoken.explain_issuance(text, date, date) IS
  'Why a member gets (or not) a 資格確認書 and a 資格情報のお知らせ on a day: the decision explanations with sources, and the documents planned for the member';

-- ---------------------------------------------------------------------------
-- pg_cron (optional: the extension works without it)

CREATE FUNCTION mynahoken.issuance_cron_command(lead_days integer DEFAULT 0)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.plan_issuance(' ||
       CASE WHEN lead_days = 0 THEN 'CURRENT_DATE'
            ELSE 'CURRENT_DATE OPERATOR(pg_catalog.+) ' || lead_days::text END || ')';
COMMENT ON FUNCTION mynahoken.issuance_cron_command(integer) IS
  'The single CALL a pg_cron job runs: plan_issuance as of today (plus lead_days), every name schema-qualified so that the job''s search_path does not matter; usable with cron.schedule_in_database';

CREATE FUNCTION mynahoken.schedule_issuance(schedule text DEFAULT '0 17 * * *',
                                            job_name text DEFAULT 'mynahoken-issuance',
                                            lead_days integer DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  job bigint;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in this database',
      detail => pg_catalog.format(mynahoken.gettext('Database %s has no extension pg_cron.'), current_database()),
      hint => 'Call mynahoken.plan_issuance() by hand, or CREATE EXTENSION pg_cron in the database named by cron.database_name.');
  END IF;
  -- Dynamic: the cron schema exists only where pg_cron is installed.
  BEGIN
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
      USING job_name, schedule, mynahoken.issuance_cron_command(lead_days);
  EXCEPTION WHEN invalid_parameter_value THEN
    -- pg_cron quotes the schedule in its message
    PERFORM mynahoken.raise_error(SQLSTATE, 'pg_cron refused the schedule',
      hint => 'A schedule is five cron fields, such as ''0 17 * * *'', or ''N seconds''.');
  END;
  RETURN job;
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_issuance(text, text, integer) IS
  'Schedule the nightly plan_issuance with pg_cron (default 17:00 UTC = 02:00 JST); returns the job id; raises 42704 when pg_cron is not installed here';

CREATE FUNCTION mynahoken.unschedule_issuance(job_name text DEFAULT 'mynahoken-issuance')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  done boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in this database',
      detail => pg_catalog.format(mynahoken.gettext('Database %s has no extension pg_cron.'), current_database()));
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1)' INTO done USING job_name;
  IF NOT done THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT cron.unschedule($1::text)' INTO done USING job_name;
  RETURN done;
END
$$;
COMMENT ON FUNCTION mynahoken.unschedule_issuance(text) IS
  'Remove the pg_cron job of the nightly issuance; false when there was none; raises 42704 when pg_cron is not installed here';
