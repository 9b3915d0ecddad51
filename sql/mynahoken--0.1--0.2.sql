-- mynahoken 0.1 -> 0.2 (ALTER EXTENSION mynahoken UPDATE TO '0.2').
--
-- Every change of 0.2 to the extension's objects, in the order the install
-- fragments (sql/install/NN_*.sql) define them; the upgrade test
-- (test/scripts/05_upgrade.sh) requires the result to equal a fresh 0.2
-- install, object by object.  One section per change set.
\echo Use "ALTER EXTENSION mynahoken UPDATE TO '0.2'" to load this file. \quit

-- ===========================================================================
-- Issue 9, name resolution: every body resolves each name to the schema it
-- means (SQL-standard bodies bound at creation, SET search_path, qualified
-- operators), whatever the caller's search_path holds.
-- ===========================================================================

-- SQL functions that are inlined cannot fix their search_path: their bodies
-- become SQL-standard bodies, bound to their objects when created.
CREATE OR REPLACE FUNCTION mynahoken.legal_parameter_key(name text, scope mynahoken.insurer_category)
RETURNS mynahoken.legal_key_range
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN mynahoken.legal_key_range(name OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) coalesce(scope::pg_catalog.text, '*'),
                                 name OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) coalesce(scope::pg_catalog.text, '*'),
                                 '[]');

CREATE OR REPLACE FUNCTION mynahoken.legal_value_date(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS date LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'date')).value_date;

CREATE OR REPLACE FUNCTION mynahoken.legal_value_int(name text, day date,
                                          category mynahoken.insurer_category DEFAULT NULL,
                                          known_on date DEFAULT NULL)
RETURNS int LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'int')).value_int;

CREATE OR REPLACE FUNCTION mynahoken.legal_value_bool(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'boolean')).value_bool;

CREATE OR REPLACE FUNCTION mynahoken.legal_value_range(name text, day date,
                                            category mynahoken.insurer_category DEFAULT NULL,
                                            known_on date DEFAULT NULL)
RETURNS daterange LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'daterange')).value_range;

CREATE OR REPLACE FUNCTION mynahoken.legal_value_text(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'text')).value_text;

CREATE OR REPLACE FUNCTION mynahoken.daterange_iso(r daterange)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN pg_catalog.isempty(r) THEN 'empty'
            ELSE '[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.to_char(pg_catalog.lower(r), 'YYYY-MM-DD'), '')
                 OPERATOR(pg_catalog.||) ','
                 OPERATOR(pg_catalog.||) coalesce(pg_catalog.to_char(pg_catalog.upper(r), 'YYYY-MM-DD'), '')
                 OPERATOR(pg_catalog.||) ')' END;

CREATE OR REPLACE FUNCTION mynahoken.certificate_needed(reason mynahoken.certificate_reason)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE   -- not STRICT, so that it is inlined
RETURN reason OPERATOR(pg_catalog.<>) 'not_needed' AND reason OPERATOR(pg_catalog.<>) 'not_eligible';

CREATE OR REPLACE FUNCTION mynahoken.member_facts_conflict(birth_date date, acquired_on date, lost_on date,
                                                card_issued_on date, card_expires_on date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN lost_on OPERATOR(pg_catalog.<) acquired_on THEN 'lost_before_acquired'
            WHEN card_expires_on OPERATOR(pg_catalog.<) card_issued_on THEN 'card_expires_before_issued'
            WHEN acquired_on OPERATOR(pg_catalog.<) birth_date THEN 'acquired_before_birth' END;

-- plan_issuance commits, so it cannot SET search_path: every name qualified.
CREATE OR REPLACE PROCEDURE mynahoken.plan_issuance(as_of date DEFAULT CURRENT_DATE,
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
    RAISE EXCEPTION 'issuance run % failed: %', run, pg_catalog.substr(err, 7)
      USING ERRCODE = pg_catalog.left(err, 5),
            HINT = 'The run is logged as failed; the next run for the same day takes it over where it stopped.';
  END IF;
END
$$;

-- The pg_cron command runs under the job role's search_path.
CREATE OR REPLACE FUNCTION mynahoken.issuance_cron_command(lead_days integer DEFAULT 0)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.plan_issuance(' ||
       CASE WHEN lead_days = 0 THEN 'CURRENT_DATE'
            ELSE 'CURRENT_DATE OPERATOR(pg_catalog.+) ' || lead_days::text END || ')';

COMMENT ON FUNCTION mynahoken.issuance_cron_command(integer) IS
  'The single CALL a pg_cron job runs: plan_issuance as of today (plus lead_days), every name schema-qualified so that the job''s search_path does not matter; usable with cron.schedule_in_database';

-- Jobs scheduled by 0.1 run the command it generated: give them the new one.
DO $$
DECLARE
  j record;
BEGIN
  IF pg_catalog.to_regprocedure('cron.alter_job(bigint,text,text,text,text,boolean)') IS NULL THEN
    RETURN;
  END IF;
  FOR j IN EXECUTE $q$SELECT jobid, command FROM cron.job
                      WHERE command OPERATOR(pg_catalog.~) '^CALL mynahoken\.plan_issuance\(CURRENT_DATE( \+ [0-9]+)?\)$'$q$ LOOP
    EXECUTE 'SELECT cron.alter_job($1, command => $2)'
      USING j.jobid, mynahoken.issuance_cron_command(
                       coalesce(pg_catalog.substring(j.command, '\+ ([0-9]+)')::pg_catalog.int4, 0));
  END LOOP;
END
$$;

-- Callers that pass a My Number (tokenize, seal, ...) must reach this
-- extension's function, not a look-alike someone else created in a schema
-- that comes first on their search_path.  The function cannot see how it was
-- called (a hijacked call never reaches it), so it checks the path instead.
-- The default argument is evaluated in the caller's context: its path.
CREATE FUNCTION mynahoken.search_path_hazards(path name[] DEFAULT pg_catalog.current_schemas(true))
RETURNS TABLE (path_position integer, schema_name name, can_create name[])
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH p AS (
    SELECT s.schema_name, s.path_position::integer
      FROM unnest(path) WITH ORDINALITY AS s(schema_name, path_position)
  ), mine AS (
    SELECT min(p.path_position) AS pos FROM p WHERE p.schema_name = 'mynahoken'
  )
  SELECT p.path_position, p.schema_name,
         array_agg(DISTINCT w.who ORDER BY w.who)
    FROM p
    JOIN pg_namespace n ON n.nspname = p.schema_name
    CROSS JOIN mine
    CROSS JOIN LATERAL (
      -- the owner and the grantees of CREATE; pg_database_owner is the
      -- database's owner
      SELECT CASE WHEN g.role = 0 THEN 'PUBLIC'::name ELSE r.rolname END AS who
        FROM (SELECT a.grantee FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
               WHERE a.privilege_type = 'CREATE'
              UNION SELECT n.nspowner) AS c
        CROSS JOIN LATERAL (
          SELECT CASE WHEN c.grantee = 'pg_database_owner'::regrole
                      THEN (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database())
                      ELSE c.grantee END AS role) AS g
        LEFT JOIN pg_roles r ON r.oid = g.role
       WHERE g.role = 0 OR (NOT r.rolsuper AND r.rolname <> current_user)
    ) AS w
   WHERE mine.pos IS NULL OR p.path_position < mine.pos
   GROUP BY p.path_position, p.schema_name
   ORDER BY p.path_position
$$;
COMMENT ON FUNCTION mynahoken.search_path_hazards(name[]) IS
  'Schemas of a search_path (default: the caller''s effective one, current_schemas(true)) that come before mynahoken, or any when mynahoken is not on it, in which a role other than the current user and superusers may create objects: there a look-alike of a mynahoken function would be called, and see its arguments, instead of mynahoken''s. Call functions that take a My Number schema-qualified (doc/tokens.md).';

-- ===========================================================================
-- Issue 9, personal data: no value a caller passes reaches an error, a
-- notice or the server log.
-- ===========================================================================

-- Errors name neither a member key, a member's dates nor a value the caller
-- passed, and the extension's routines raise them through raise_error (no
-- CONTEXT, no STATEMENT); member keys are read as the My Number reader reads
-- them, and the run log never keeps one that reads as a My Number.

CREATE FUNCTION mynahoken.raise_error(sqlstate text, message text, detail text DEFAULT NULL,
                                      hint text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'mh_raise_error' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION mynahoken.raise_error(text, text, text, text) IS
  'Raise an error (SQLSTATE, message, DETAIL, HINT) without CONTEXT and without STATEMENT in the server log; the extension''s routines raise through it and never put a caller''s value in the message';

CREATE OR REPLACE FUNCTION mynahoken.add_trust_anchor(certificate bytea,
                                           purpose mynahoken.certificate_usage,
                                           expected_fingerprint bytea DEFAULT NULL,
                                           label text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a record;
  anchor_id bigint;
  old_purpose mynahoken.certificate_usage;
BEGIN
  IF certificate IS NULL OR purpose IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'certificate and purpose must not be null');
  END IF;
  SELECT * INTO a FROM mynahoken.inspect_trust_anchor(certificate);
  IF expected_fingerprint IS NOT NULL AND expected_fingerprint <> a.fingerprint THEN
    PERFORM mynahoken.raise_error('22023', 'trust anchor fingerprint does not match the expected fingerprint',
      detail => format('The certificate''s SHA-256 fingerprint is %s.',
                            encode(a.fingerprint, 'hex')),
      hint => 'Compare it with the fingerprint J-LIS publishes for this root.');
  END IF;
  INSERT INTO mynahoken.trust_anchor
         (purpose, der, fingerprint, key_id, subject, serial, not_before, not_after, label)
  VALUES (purpose, certificate, a.fingerprint, a.key_id, a.subject, a.serial,
          a.not_before, a.not_after, label)
  ON CONFLICT (fingerprint) DO NOTHING
  RETURNING id INTO anchor_id;
  IF anchor_id IS NULL THEN
    SELECT t.id, t.purpose INTO anchor_id, old_purpose
      FROM mynahoken.trust_anchor t WHERE t.fingerprint = a.fingerprint;
    IF old_purpose <> purpose THEN
      PERFORM mynahoken.raise_error('23505',
        pg_catalog.format('trust anchor is already pinned for %s', old_purpose),
        hint => 'Remove it first to change its purpose.');
    END IF;
  END IF;
  RETURN anchor_id;
END $$;

CREATE OR REPLACE FUNCTION mynahoken.legal_calendar_guard()
RETURNS trigger
LANGUAGE plpgsql STABLE   -- reads no table and changes nothing: it only refuses
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_TABLE_NAME = 'legal_parameter_entry' AND TG_OP = 'UPDATE' THEN
    PERFORM mynahoken.raise_error('23000', 'values of legal parameters are never updated',
      hint => 'Record a superseding value with mynahoken.record_legal_parameter().');
  END IF;
  IF OLD.shipped THEN
    PERFORM mynahoken.raise_error('23000',
      pg_catalog.format('shipped rows of mynahoken.%s cannot be changed or deleted', TG_TABLE_NAME),
      detail => 'CREATE EXTENSION restores the shipped rows and a dump keeps only the insurer''s own, so the change would be lost.',
      hint => 'Record a superseding value, or a source of your own, instead.');
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.legal_entry_at(name text, day date,
                                         category mynahoken.insurer_category DEFAULT NULL,
                                         known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
BEGIN
  IF name IS NULL OR day IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name and day must not be null');
  END IF;
  SELECT e.* INTO ent
    FROM mynahoken.legal_parameter_entry e
   WHERE e.name = legal_entry_at.name
     AND (e.scope = category OR e.scope IS NULL)
     AND e.valid @> day
     AND (known_on IS NULL OR e.recorded_on <= known_on)
   ORDER BY e.scope IS NULL, e.recorded_on DESC
   LIMIT 1;
  IF FOUND THEN
    RETURN ent;
  END IF;
  PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_at.name;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
      hint => 'The parameters are listed in mynahoken.legal_parameter_def.');
  END IF;
  PERFORM mynahoken.raise_error('P0002',
    pg_catalog.format('no value for legal parameter "%s" on the given day', name),
    detail => format('Insurer category: %s. Knowledge: %s.',
                     coalesce(category::text, 'all'),
                     CASE WHEN known_on IS NULL THEN 'as currently known'
                          ELSE 'as known on ' || to_char(known_on, 'YYYY-MM-DD') END),
    hint => 'Record a value with mynahoken.record_legal_parameter().');
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.legal_value_check_type(p mynahoken.legal_parameter_entry, want mynahoken.legal_value_type)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p.value_type <> want THEN
    PERFORM mynahoken.raise_error('42804',
      pg_catalog.format('legal parameter "%s" is of type %s, not %s', p.name, p.value_type, want));
  END IF;
  RETURN p;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.record_legal_parameter(name text,
                                                 scope mynahoken.insurer_category,
                                                 valid daterange,
                                                 value text,
                                                 source_id bigint,
                                                 recorded_on date DEFAULT current_date,
                                                 confirmed boolean DEFAULT true,
                                                 note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  def mynahoken.legal_parameter_def;
  latest date;
  new_id bigint;
BEGIN
  IF name IS NULL OR valid IS NULL OR value IS NULL OR source_id IS NULL OR recorded_on IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'name, valid, value, source_id and recorded_on must not be null');
  END IF;
  IF isempty(valid) THEN
    PERFORM mynahoken.raise_error('22023', 'valid range of a legal parameter must not be empty');
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = record_legal_parameter.name;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
      hint => 'Define it in mynahoken.legal_parameter_def first.');
  END IF;
  -- One writer at a time, so that the order check below holds when two
  -- notices are recorded concurrently.
  LOCK TABLE mynahoken.legal_parameter_entry IN SHARE ROW EXCLUSIVE MODE;

  -- The new row supersedes the rows it overlaps (derived, nothing is
  -- updated), so it must come after them.
  SELECT max(p.recorded_on) INTO latest
    FROM mynahoken.legal_parameter_entry p
   WHERE p.name = record_legal_parameter.name
     AND p.scope IS NOT DISTINCT FROM record_legal_parameter.scope
     AND p.valid && record_legal_parameter.valid;
  IF latest > recorded_on THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format('legal parameter "%s" already has a value recorded on %s, after recorded_on', name, to_char(latest, 'YYYY-MM-DD')),
      detail => 'Values are recorded in the order they become known.');
  ELSIF latest = recorded_on THEN
    PERFORM mynahoken.raise_error('23P01',
      pg_catalog.format('legal parameter "%s" already has a value recorded on %s for some of these days', name, to_char(latest, 'YYYY-MM-DD')),
      detail => 'One value per parameter, scope, decision day and knowledge day.',
      hint => 'Record the correction as known from a later day.');
  END IF;

  BEGIN
    INSERT INTO mynahoken.legal_parameter_entry
      (name, value_type, scope, valid, recorded_on, value_date, value_int, value_bool,
       value_range, value_text, source_id, confirmed, note)
    VALUES (name, def.value_type, scope, valid, recorded_on,
            CASE WHEN def.value_type = 'date' THEN value::date END,
            CASE WHEN def.value_type = 'int' THEN value::int END,
            CASE WHEN def.value_type = 'boolean' THEN value::boolean END,
            CASE WHEN def.value_type = 'daterange' THEN value::daterange END,
            CASE WHEN def.value_type = 'text' THEN value END,
            source_id, confirmed, note)
    RETURNING parameter_id INTO new_id;
  EXCEPTION WHEN data_exception THEN
    -- PostgreSQL's cast errors quote the value
    PERFORM mynahoken.raise_error(SQLSTATE,
      pg_catalog.format('value of legal parameter "%s" is not a valid %s', name, def.value_type));
  END;
  RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.register_member_source(source regclass)
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
      pg_catalog.format('relation %s cannot be a member source', source),
      detail => format('Problems: %s.', problems),
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

CREATE OR REPLACE FUNCTION mynahoken.issuance_begin(p_as_of date, p_known_on date, p_late_days int,
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
  IF p_as_of IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'as_of must not be null');
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
    got := pg_try_advisory_lock(k[1], k[2]);
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
    PERFORM pg_advisory_unlock(k[1], k[2]);
  END IF;
  RAISE;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.issuance_prepare(p_run bigint)
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
      pg_catalog.format('member source %s no longer has the columns it needs', src),
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
  -- A My Number used as member key would end up in the queue and the logs:
  -- refuse the run when the keys (the first 10,000) look like My Numbers,
  -- read as the My Number reader reads them (hyphens, spaces, full width).
  SELECT count(*) FILTER (WHERE mynahoken.mynumber_is_valid(s.k))
    INTO looks FROM pg_temp.mh_iss_snap s WHERE s.rn <= 10000;
  IF n >= 10 AND looks * 10 >= least(n, 10000) * 9 THEN
    PERFORM mynahoken.raise_error('22023', 'member keys look like My Numbers',
      detail => format('%s of %s member keys read as My Numbers (12 digits with a valid check digit).', looks, n),
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

CREATE OR REPLACE FUNCTION mynahoken.issuance_certificate_basis(p_run bigint, p_as_of date, p_known_on date,
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

CREATE OR REPLACE FUNCTION mynahoken.issuance_chunk(p_run bigint, p_lo bigint, p_hi bigint)
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

CREATE OR REPLACE PROCEDURE mynahoken.plan_issuance(as_of date DEFAULT CURRENT_DATE,
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
    PERFORM mynahoken.raise_error(pg_catalog.left(err, 5), pg_catalog.format('issuance run %s failed', run),
      detail => 'The error is in the column error of mynahoken.issuance_runs.',
      hint => 'The run is logged as failed; the next run for the same day takes it over where it stopped.');
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.mark_handoff_sent(handoff_id bigint, sent_on date DEFAULT CURRENT_DATE)
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
      pg_catalog.format('hand-off batch %s was already marked sent on %s', b.handoff_id, to_char(b.sent_on, 'YYYY-MM-DD')));
  END IF;
  UPDATE mynahoken.issuance_handoff x SET sent_on = mark_handoff_sent.sent_on
   WHERE x.handoff_id = b.handoff_id;
  UPDATE mynahoken.issuance_queue q SET sent_on = mark_handoff_sent.sent_on
   WHERE q.handoff_id = b.handoff_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.explain_issuance(member_key text, as_of date DEFAULT CURRENT_DATE,
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

CREATE OR REPLACE FUNCTION mynahoken.schedule_issuance(schedule text DEFAULT '0 17 * * *',
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
      detail => format('Database %s has no extension pg_cron.', current_database()),
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

CREATE OR REPLACE FUNCTION mynahoken.unschedule_issuance(job_name text DEFAULT 'mynahoken-issuance')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  done boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in this database',
      detail => format('Database %s has no extension pg_cron.', current_database()));
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1)' INTO done USING job_name;
  IF NOT done THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT cron.unschedule($1::text)' INTO done USING job_name;
  RETURN done;
END
$$;

-- ===========================================================================
-- Issue 10, legal calendar 0.2.
-- ===========================================================================
