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
CREATE FUNCTION mynahoken.raise_notice(message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'mh_raise_notice' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.raise_notice(text, text, text) IS
  'Send a NOTICE (message, DETAIL, HINT) without CONTEXT, as raise_error does for errors; the extension''s routines report through it and never put a caller''s value in the message';

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

-- ---------------------------------------------------------------------------
-- No silent masking (doc/decisions.md, "Which value is in force"): of the
-- entries for a category and for every category that cover a day, the one
-- recorded later is in force; keep_own lets a category keep its own.

ALTER TABLE mynahoken.legal_parameter_entry
  ADD COLUMN keep_own boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT legal_parameter_keep_own_scoped CHECK (NOT keep_own OR scope IS NOT NULL);
COMMENT ON COLUMN mynahoken.legal_parameter_entry.keep_own IS
  'True: this value of one category stays in force against values for every category recorded later (the insurer keeps its own); false: the most recently recorded covering value is in force';

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
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
           WHERE e.name = legal_entry_at.name
             AND (e.scope = category OR e.scope IS NULL)
             AND e.insurer IS NULL
             AND e.valid @> day
             AND (known_on IS NULL OR e.recorded_on <= known_on)
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL
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
COMMENT ON FUNCTION mynahoken.legal_entry_at(text, date, mynahoken.insurer_category, date) IS
  'Internal: stored entry in force for a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';


-- record_legal_parameter gains keep_own (and reason, below): created again
-- with the change sets.
DROP FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text);

-- Shipped rows changed by the rule (corrections of the shipped data, the same
-- as a fresh 0.2 install): 協会けんぽ's own term and renewal month are kept
-- against the later default for every category; the notice of 2025-11-12
-- covers the decision days from 2025-12-02 only, so that 国保 and 後期 keep
-- their acceptance from 2025-08-01.
ALTER TABLE mynahoken.legal_parameter_entry DISABLE TRIGGER legal_parameter_entry_guard;
UPDATE mynahoken.legal_parameter_entry
   SET keep_own = true,
       note = CASE name
                WHEN 'certificate_term_months' THEN 'With certificate_renewal_month 12: between 4 and 5 years, one expiry per yearly issuing window. 協会けんぽ''s own decision: kept against later defaults for every category.'
                ELSE '協会けんぽ''s own decision: kept against later defaults for every category.' END
 WHERE shipped AND scope = 'kyokai_kenpo' AND name IN ('certificate_term_months', 'certificate_renewal_month');
UPDATE mynahoken.legal_parameter_entry
   SET valid = '[2025-12-02,)',
       note = 'Decision days from 2025-12-02, the first day the notice covers: before it each category keeps its own value. No extension past 2026-03-31 found as of 2026-02-22.'
 WHERE shipped AND name = 'expired_card_acceptance' AND scope IS NULL AND recorded_on = '2025-11-12';
ALTER TABLE mynahoken.legal_parameter_entry ENABLE TRIGGER legal_parameter_entry_guard;

-- ---------------------------------------------------------------------------
-- The 2025-2026 record (../shared/spec/domain-2026.md; doc/decisions.md,
-- "Parameters shipped").  Corrections of the shipped data, the same as a
-- fresh 0.2 install:
--   * 後期's acceptance rests on the MHLW 事務連絡 of 2025-08-04, from
--     2025-08-01 (0.1: 京都府医師会, known from 2025-09-15, start UNCONFIRMED);
--   * the e-certificate grace rests on 厚生労働省告示第349号 of 2024-11-29
--     (0.1: known from 2025-07-16, 協会けんぽ, kept as a second publication);
--   * the title of the notice of 2025-06-27, the 附則第15条 basis in the note
--     of 令和5年法律第48号, the notes that said "no extension past 2026-03-31".
-- Both corrections make a value known on an earlier day than 0.1 said: a
-- decision "as known on" a day between gives a different answer after the
-- update (doc/decisions.md, "Updating from 0.1").
ALTER TABLE mynahoken.legal_source DISABLE TRIGGER legal_source_guard;
UPDATE mynahoken.legal_source
   SET note = note || ' 附則第15条 is the basis for issuing a 資格確認書 without application (職権交付) "当分の間" (保団連, https://hodanren.doc-net.or.jp/?p=27223).'
 WHERE shipped AND code = 'law-r5-48';
UPDATE mynahoken.legal_source
   SET title = '健康保険証の有効期限切れに伴う暫定的な取扱いに関する疑義解釈資料の送付について',
       note = note || ' Its attachment is titled 健康保険証の有効期限切れに伴う暫定的な取扱いについて (the title 0.1 shipped); 日本医師会 forwarded it on 2025-07-01 (全商連, 出雲医師会).'
 WHERE shipped AND code = 'mhlw-2025-06-27';
UPDATE mynahoken.legal_source
   SET note = 'Reports a 事務連絡 applying the 2025-06-27 treatment to expired 後期 cards. Since 0.2 the calendar cites that notice itself (mhlw-2025-08-04).'
 WHERE shipped AND code = 'kyotoiho-2025-09-15';
ALTER TABLE mynahoken.legal_source ENABLE TRIGGER legal_source_guard;

INSERT INTO mynahoken.legal_source (source_id, code, kind, title, issuer, number, issued_on, url, note, shipped) VALUES
  (16, 'mhlw-2025-08-04', 'notice',
   '後期高齢者に係る資格確認書の暫定運用におけるマイナ保険証等の取扱いについて',
   '厚生労働省', '事務連絡', '2025-08-04',
   'https://hodanren.doc-net.or.jp/info/news/2025-08-05',
   'Applies the 国保 treatment of 2025-06-27 to expired 後期 cards (expired on 2025-07-31), so from 2025-08-01. Announced by minister 福岡 on 2025-08-05. The PDF was not read; 保団連 links it (also 愛媛県保険医協会, 京都医報 2025-09-15).', true),
  (17, 'mhlw-kokuji-2024-349', 'notice',
   '厚生労働省告示第349号 (療担規則等の改正: 電子証明書の有効期限切れ後のオンライン資格確認)',
   '厚生労働大臣', '厚生労働省告示第349号', '2024-11-29',
   'https://www.mhlw.go.jp/web/t_doc?dataId=84ac0107&dataType=0&pageNo=1',
   'In force 2024-12-02. The マイナ保険証 stays usable until the end of the 3rd month after the month its e-certificate expires. Only the preamble was read; the title here describes it. Also 中医協 答申 2024-11-13, MHLW https://www.mhlw.go.jp/stf/newpage_50657.html.', true),
  (18, 'press-2026-03-19', 'publication',
   '健康保険証の暫定的な取扱い 2026年7月末まで延長 (厚生労働大臣の発表の報道)',
   'KAB, 新潟日報, 毎日新聞', NULL, '2026-03-19',
   'https://www.kab.co.jp/news/article/16433268',
   'Three outlets quote the minister: institutions checking eligibility online may accept an expired 健康保険証 until 2026-07-31 instead of 2026-03-31, with no extension past July (also https://www.niigata-nippo.co.jp/articles/-/799360, https://www.fujipost.com/lifestyle/48684.html). The 事務連絡 itself was not found: replace this source when it is read. Whether a 資格情報のお知らせ alone stays accepted (notice_alone) is UNCONFIRMED; the product ties it to the same range.', true),
  (19, 'mitane-2026-03-06', 'publication',
   '三種町 (秋田県): 後期高齢者医療の資格確認書 (令和8年8月以降, 85歳以上)',
   '三種町', NULL, '2026-03-06',
   'https://www.town.mitane.akita.jp/soshikikarasagasu/kenkosuishinka/1/580.html',
   'Second prefecture with the 埼玉 cut-off: members aged 85 or over on 2026-08-01 all get a 資格確認書, 84 or under a 資格確認書 or a お知らせ. National notice not found (UNCONFIRMED).', true),
  (20, 'ascii-2025-09-01', 'publication',
   'スマホでマイナ保険証 2025年9月19日から (医療保険部会 2025-08-28)',
   'ASCII', NULL, '2025-09-01',
   'https://ascii.jp/elem/000/004/316/4316751/',
   'From 2025-09-19 the マイナ保険証 works on a smartphone (iPhone from iOS 18.5, Android with the スマホ用電子証明書), only where the institution has a smartphone reader. Also 関内会計 https://www.kannaikaikei.jp/?p=15211.', true);

INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description, shipped) VALUES
  ('smartphone_myna_from', 'date', 'day',
   'First day a マイナ保険証 on a smartphone is usable (where the institution has a smartphone reader); legally the same マイナ保険証', true);

ALTER TABLE mynahoken.legal_parameter_entry DISABLE TRIGGER legal_parameter_entry_guard;
UPDATE mynahoken.legal_parameter_entry
   SET recorded_on = '2024-11-29', source_id = 17,
       note = 'Corrected in 0.2: 0.1 knew it from 2025-07-16 (協会けんぽ), so as known between 2024-12-02 and 2025-07-15 it had no value.'
 WHERE shipped AND parameter_id = 26 AND name = 'ecert_grace_months';
UPDATE mynahoken.legal_parameter_entry
   SET recorded_on = '2025-08-04', source_id = 16, confirmed = true,
       note = 'The 国保 treatment of 2025-06-27 applied to 後期, whose cards expired on 2025-07-31. Corrected in 0.2: 0.1 knew it from 2025-09-15 (京都府医師会), with the start UNCONFIRMED.'
 WHERE shipped AND parameter_id = 27 AND name = 'expired_card_acceptance';
UPDATE mynahoken.legal_parameter_entry
   SET note = 'Decision days from 2025-12-02, the first day the notice covers: before it each category keeps its own value. Extended to 2026-07-31 as known from 2026-03-19.'
 WHERE shipped AND parameter_id = 28 AND name = 'expired_card_acceptance';
ALTER TABLE mynahoken.legal_parameter_entry ENABLE TRIGGER legal_parameter_entry_guard;

INSERT INTO mynahoken.legal_parameter_entry
  (parameter_id, name, value_type, scope, valid, recorded_on, value_date, value_int, value_range,
   source_id, confirmed, note, shipped) VALUES
  (31, 'ecert_grace_months', 'int', NULL, '(,)', '2025-07-16', NULL, 3, NULL, 8, true,
   'A second publication of the value of 厚生労働省告示第349号.', true),
  (32, 'smartphone_myna_from', 'date', NULL, '(,)', '2025-09-01', '2025-09-19', NULL, NULL, 20, true, NULL, true),
  (33, 'late_elderly_age_rule_from', 'date', 'late_elderly', '(,)', '2026-03-06', '2026-08-01', NULL, NULL, 19, false,
   'Second source of the 埼玉 rule; the national notice is still not found.', true),
  (34, 'late_elderly_age_threshold', 'int', 'late_elderly', '[2026-08-01,)', '2026-03-06', NULL, 85, NULL, 19, false,
   'Second source of the 埼玉 rule; the national notice is still not found.', true),
  (35, 'expired_card_acceptance', 'daterange', NULL, '[2025-12-02,)', '2026-03-19', NULL, NULL, '[2025-12-02,2026-07-31]', 18, true,
   'Extension announced on 2026-03-19 (press; the 事務連絡 itself not found). For 国保 and 後期 acceptance starts 2025-08-01 (their own rows hold the days before 2025-12-02).', true);

-- ---------------------------------------------------------------------------
-- Change sets, system time, the author role (doc/decisions.md, "Recording:
-- change sets, system time, the author role").  Entries recorded before the
-- update belong to no change set: their system time was not kept.

CREATE SEQUENCE mynahoken.legal_change_set_id_seq START 1000000 MINVALUE 1000000;
COMMENT ON SEQUENCE mynahoken.legal_change_set_id_seq IS 'Ids of mynahoken.legal_change_set';
CREATE TABLE mynahoken.legal_change_set (
  change_set_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.legal_change_set_id_seq'),
  recorded_at   timestamptz NOT NULL DEFAULT pg_catalog.transaction_timestamp(),  -- system time
  recorded_by   name NOT NULL DEFAULT SESSION_USER,
  recorded_on   date NOT NULL CHECK (pg_catalog.isfinite(recorded_on)),  -- knowledge day of its entries
  reason        text CHECK (reason OPERATOR(pg_catalog.<>) ''),  -- required for a knowledge day long before the recording
  note          text
);
ALTER SEQUENCE mynahoken.legal_change_set_id_seq OWNED BY mynahoken.legal_change_set.change_set_id;
COMMENT ON TABLE mynahoken.legal_change_set IS
  'Entries of the legal calendar recorded together: system time and user (set by the database), knowledge day, reason for a backdated knowledge day';
ALTER TABLE mynahoken.legal_parameter_entry
  ADD COLUMN change_set_id bigint REFERENCES mynahoken.legal_change_set;

CREATE OR REPLACE FUNCTION mynahoken.legal_record_entry(change_set_id bigint,
                                             recorded_on date,
                                             name text,
                                             scope mynahoken.insurer_category,
                                             valid daterange,
                                             value text,
                                             source_id bigint,
                                             confirmed boolean,
                                             note text,
                                             keep_own boolean,
                                             insurer mynahoken.insurer_number)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  def mynahoken.legal_parameter_def;
  latest date;
  new_id bigint;
  report text;
BEGIN
  IF name IS NULL OR valid IS NULL OR value IS NULL OR source_id IS NULL OR recorded_on IS NULL
     OR keep_own IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'name, valid, value, source_id, recorded_on and keep_own must not be null');
  END IF;
  IF insurer IS NOT NULL THEN
    IF scope IS NULL THEN
      scope := mynahoken.category(insurer);
    ELSIF scope <> mynahoken.category(insurer) THEN
      PERFORM mynahoken.raise_error('22023', 'the insurer number is not of the given insurer category',
        detail => pg_catalog.format('The insurer number is of category %s, not %s.', mynahoken.category(insurer), scope));
    END IF;
  END IF;
  IF keep_own AND scope IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'only a value of one insurer category can keep its own against later values',
      detail => 'keep_own protects a category''s value from values for every category recorded later.');
  END IF;
  IF isempty(valid) THEN
    PERFORM mynahoken.raise_error('22023', 'valid range of a legal parameter must not be empty');
  END IF;
  PERFORM FROM mynahoken.legal_source s WHERE s.source_id = legal_record_entry.source_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'unknown legal source',
      hint => 'The sources are listed in mynahoken.legal_source (source_id).');
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = legal_record_entry.name;
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
   WHERE p.name = legal_record_entry.name
     AND p.scope IS NOT DISTINCT FROM legal_record_entry.scope
     AND (p.insurer IS NULL AND legal_record_entry.insurer IS NULL
          OR p.insurer OPERATOR(mynahoken.=) legal_record_entry.insurer)
     AND p.valid && legal_record_entry.valid;
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
       value_range, value_text, source_id, confirmed, note, keep_own, change_set_id, insurer)
    VALUES (name, def.value_type, scope, valid, recorded_on,
            CASE WHEN def.value_type = 'date' THEN value::date END,
            CASE WHEN def.value_type = 'int' THEN value::int END,
            CASE WHEN def.value_type = 'boolean' THEN value::boolean END,
            CASE WHEN def.value_type = 'daterange' THEN value::daterange END,
            CASE WHEN def.value_type = 'text' THEN value END,
            source_id, confirmed, note, keep_own, change_set_id, insurer)
    RETURNING parameter_id INTO new_id;
  EXCEPTION WHEN data_exception THEN
    -- PostgreSQL's cast errors quote the value
    PERFORM mynahoken.raise_error(SQLSTATE,
      pg_catalog.format('value of legal parameter "%s" is not a valid %s', name, def.value_type));
  END;

  -- No silent masking: say which entries the new one takes days from, and
  -- which still take days from it.
  SELECT string_agg(format('%s entry %s (%s, recorded on %s) on %s', r.relation, r.parameter_id,
                           coalesce(r.insurer::text, r.scope::text, 'every category'), to_char(r.recorded_on, 'YYYY-MM-DD'),
                           mynahoken.daterange_iso(r.days)),
                    '; ' ORDER BY r.parameter_id)
    INTO report
    FROM mynahoken.legal_entry_relations(new_id) AS r;
  IF report IS NOT NULL THEN
    PERFORM mynahoken.raise_notice('legal parameter recorded',
      detail => pg_catalog.format('Entry %s. It %s.', new_id, report),
      hint => 'mynahoken.legal_entry_relations(entry) lists them.');
  END IF;
  RETURN new_id;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_record_entry(bigint, date, text, mynahoken.insurer_category, daterange, text, bigint, boolean, text, boolean, mynahoken.insurer_number) IS
  'Internal: append one entry of a change set (NULL: shipped) after the checks; a NOTICE lists what it supersedes and masks';
REVOKE ALL ON FUNCTION mynahoken.legal_record_entry(bigint, date, text, mynahoken.insurer_category, daterange, text, bigint, boolean, text, boolean, mynahoken.insurer_number) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mynahoken.legal_change_set_open(recorded_on date, reason text, note text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  today date := (transaction_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
  id bigint;
BEGIN
  IF recorded_on IS NULL OR NOT isfinite(recorded_on) THEN
    PERFORM mynahoken.raise_error('22023', 'the knowledge day of a change set must be a finite date');
  END IF;
  IF recorded_on > today THEN
    PERFORM mynahoken.raise_error('22023', 'a knowledge day cannot be after the day it is recorded',
      detail => format('Knowledge day %s, recording day %s (in Japan).',
                       to_char(recorded_on, 'YYYY-MM-DD'), to_char(today, 'YYYY-MM-DD')));
  END IF;
  IF recorded_on < today - 31 AND coalesce(reason, '') = '' THEN
    PERFORM mynahoken.raise_error('22023', 'a knowledge day more than 31 days before the day it is recorded needs a reason',
      detail => format('Knowledge day %s, recording day %s (in Japan). Decisions "as known on" the days between change when this is recorded.',
                       to_char(recorded_on, 'YYYY-MM-DD'), to_char(today, 'YYYY-MM-DD')),
      hint => 'Give the reason (a correction, a late entry); mynahoken.legal_change_sets lists it.');
  END IF;
  INSERT INTO mynahoken.legal_change_set (recorded_on, reason, note)
  VALUES (recorded_on, nullif(reason, ''), note)
  RETURNING change_set_id INTO id;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_change_set_open(date, text, text) IS
  'Internal: open a change set known from a day (a reason is required more than 31 days back; a later day is refused)';
REVOKE ALL ON FUNCTION mynahoken.legal_change_set_open(date, text, text) FROM PUBLIC;

CREATE FUNCTION mynahoken.record_legal_parameter(name text,
                                                 scope mynahoken.insurer_category,
                                                 valid daterange,
                                                 value text,
                                                 source_id bigint,
                                                 recorded_on date DEFAULT current_date,
                                                 confirmed boolean DEFAULT true,
                                                 note text DEFAULT NULL,
                                                 keep_own boolean DEFAULT false,
                                                 reason text DEFAULT NULL,
                                                 insurer mynahoken.insurer_number DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.legal_record_entry(mynahoken.legal_change_set_open(recorded_on, reason, NULL),
                                      recorded_on, name, scope, valid, value, source_id,
                                      confirmed, note, keep_own, insurer);
END
$$;
COMMENT ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean, text, mynahoken.insurer_number) IS
  'Record a new value of a legal parameter from a source, as a change set of one: appends an entry that supersedes or masks the values it overlaps (a NOTICE lists them); a reason is needed for a knowledge day more than 31 days back';
CREATE OR REPLACE FUNCTION mynahoken.record_legal_change_set(recorded_on date, entries jsonb,
                                                  reason text DEFAULT NULL, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cs bigint;
  e jsonb;
  i bigint;
  src bigint;
  e_scope mynahoken.insurer_category;
  e_valid daterange;
  e_confirmed boolean;
  e_keep_own boolean;
  e_insurer mynahoken.insurer_number;
BEGIN
  IF entries IS NULL OR jsonb_typeof(entries) <> 'array' OR jsonb_array_length(entries) = 0 THEN
    PERFORM mynahoken.raise_error('22023', 'entries of a change set must be a non-empty JSON array');
  END IF;
  cs := mynahoken.legal_change_set_open(recorded_on, reason, note);
  FOR e, i IN SELECT x, n FROM jsonb_array_elements(entries) WITH ORDINALITY AS t(x, n) LOOP
    IF jsonb_typeof(e) <> 'object' THEN
      PERFORM mynahoken.raise_error('22023', 'each entry of a change set must be a JSON object',
        detail => format('Entry %s is not.', i));
    END IF;
    BEGIN
      src := (e ->> 'source_id')::bigint;
      e_scope := (e ->> 'scope')::mynahoken.insurer_category;
      e_valid := (e ->> 'valid')::daterange;
      e_confirmed := coalesce((e ->> 'confirmed')::boolean, true);
      e_keep_own := coalesce((e ->> 'keep_own')::boolean, false);
      e_insurer := (e ->> 'insurer')::mynahoken.insurer_number;
    EXCEPTION WHEN data_exception THEN
      -- PostgreSQL's cast errors quote the value
      PERFORM mynahoken.raise_error(SQLSTATE, 'an entry of a change set has a value that is not of its type',
        detail => format('Entry %s: source_id, scope, valid, confirmed, keep_own or insurer.', i));
    END;
    IF src IS NULL AND e ? 'source' THEN
      SELECT s.source_id INTO src FROM mynahoken.legal_source s WHERE s.code = e ->> 'source';
      IF NOT FOUND THEN
        PERFORM mynahoken.raise_error('42704', 'unknown legal source in an entry of a change set',
          detail => format('Entry %s.', i),
          hint => 'The sources are listed in mynahoken.legal_source (code).');
      END IF;
    END IF;
    PERFORM mynahoken.legal_record_entry(cs, recorded_on, e ->> 'name', e_scope, e_valid,
              e ->> 'value', src, e_confirmed, e ->> 'note', e_keep_own, e_insurer);
  END LOOP;
  RETURN cs;
END
$$;
COMMENT ON FUNCTION mynahoken.record_legal_change_set(date, jsonb, text, text) IS
  'Record several entries that take effect together (one change set, one knowledge day); returns the change set id';
CREATE OR REPLACE FUNCTION mynahoken.legal_entry_held_at(name text, day date,
                                              category mynahoken.insurer_category,
                                              held_at timestamptz,
                                              known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
BEGIN
  IF name IS NULL OR day IS NULL OR held_at IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name, day and time must not be null');
  END IF;
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
            LEFT JOIN mynahoken.legal_change_set cs ON cs.change_set_id = e.change_set_id
           WHERE e.name = legal_entry_held_at.name
             AND (e.scope = category OR e.scope IS NULL)
             AND e.valid @> day
             AND (known_on IS NULL OR e.recorded_on <= known_on)
             AND e.insurer IS NULL
             AND (e.change_set_id IS NULL OR cs.recorded_at <= held_at)
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL
   LIMIT 1;
  IF NOT FOUND THEN
    PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_held_at.name;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
        hint => 'The parameters are listed in mynahoken.legal_parameter_def.');
    END IF;
    PERFORM mynahoken.raise_error('P0002',
      pg_catalog.format('no value for legal parameter "%s" on the given day', name),
      detail => format('Insurer category: %s. As held at %s.', coalesce(category::text, 'all'),
                       to_char(held_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
  END IF;
  RETURN ent;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_held_at(text, date, mynahoken.insurer_category, timestamptz, date) IS
  'Audit: entry in force for a legal parameter on a day, for a category, as the database held the calendar at a time (and as known on a day, NULL: as then known)';
CREATE OR REPLACE VIEW mynahoken.legal_change_sets AS
SELECT cs.change_set_id, cs.recorded_at, cs.recorded_by, cs.recorded_on,
       (cs.recorded_at AT TIME ZONE 'Asia/Tokyo')::date OPERATOR(pg_catalog.-) cs.recorded_on AS days_back,
       cs.recorded_on OPERATOR(pg_catalog.<) ((cs.recorded_at AT TIME ZONE 'Asia/Tokyo')::date OPERATOR(pg_catalog.-) 31) AS backdated,
       cs.reason, cs.note,
       (SELECT pg_catalog.array_agg(e.parameter_id ORDER BY e.parameter_id)
          FROM mynahoken.legal_parameter_entry e
         WHERE e.change_set_id OPERATOR(pg_catalog.=) cs.change_set_id) AS entries
  FROM mynahoken.legal_change_set cs;
COMMENT ON VIEW mynahoken.legal_change_sets IS
  'Change sets of the legal calendar: system time, user, knowledge day, days back and whether backdated (with its reason), entries';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_change_set', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_change_set_id_seq', '');
GRANT SELECT ON mynahoken.legal_change_set, mynahoken.legal_change_sets TO PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_calendar_author') THEN
    CREATE ROLE mynahoken_calendar_author NOLOGIN;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean, text, mynahoken.insurer_number),
  mynahoken.record_legal_change_set(date, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean, text, mynahoken.insurer_number),
  mynahoken.record_legal_change_set(date, jsonb, text, text) TO mynahoken_calendar_author;
GRANT INSERT (code, kind, title, issuer, number, issued_on, url, note) ON mynahoken.legal_source TO mynahoken_calendar_author;
GRANT INSERT (name, value_type, unit, description) ON mynahoken.legal_parameter_def TO mynahoken_calendar_author;
GRANT USAGE ON SEQUENCE mynahoken.legal_source_id_seq TO mynahoken_calendar_author;

-- ---------------------------------------------------------------------------
-- Filing deadlines per category and the days the administration is closed
-- (doc/decisions.md, "Filing deadlines and the days the administration is
-- closed"): the laws as shipped sources, the days per category and the
-- rollover as parameters, then the holiday calendar (sql/install/45_holidays.sql).

INSERT INTO mynahoken.legal_source (source_id, code, kind, title, issuer, number, issued_on, url, note, shipped) VALUES
  (21, 'kokuho-kisoku-2', 'ordinance', '国民健康保険法施行規則 第2条 (資格取得の届出)', '厚生省 (現 厚生労働省)', '昭和33年厚生省令第53号', NULL, 'https://kanri.nkdesk.com/low/low33.php', '世帯主は、十四日以内に届書を市町村に提出 (also 第3条). In force 1959-01-01 (附則第1条); issue day not read. Text quoted by kanri.nkdesk.com; the e-Gov text was not read.', true),
  (22, 'kouki-kisoku-10', 'ordinance', '高齢者の医療の確保に関する法律施行規則 第10条 (資格取得の届出)', '厚生労働省', '平成19年厚生労働省令第129号', '2007-10-22', 'https://www.sn-hoki.co.jp/data/pickup_hourei/onct/KOREISHAIRYOKAKUHONIKANSURUHOURITU-KISOKU20241031-149.html', '資格取得の届出は十四日以内 (Wikipedia, 後期高齢者医療制度; the article number also in the 規則 of the 福岡, 石川 and 佐賀 広域連合). The text of 第10条 was not read.', true),
  (23, 'holiday-law', 'law', '国民の祝日に関する法律', '国会', '昭和23年法律第178号', '1948-07-20', 'https://laws.e-gov.go.jp/law/323AC1000000178', '第2条 the 国民の祝日 (amended: 昭和41年法律第86号 敬老の日, 体育の日, 建国記念の日; 平成元年法律第5号 みどりの日; 平成7年法律第22号 海の日; 平成10年法律第141号 and 平成13年法律第59号 ハッピーマンデー; 平成17年法律第43号 昭和の日; 平成26年法律第43号 山の日; 平成29年法律第63号 天皇誕生日 2/23). 第3条 休日: 振替休日 (昭和48年法律第10号, from 1973-04-12; the nearest following non-祝日 from 2007), 国民の休日 (昭和60年法律第103号, from 1985-12-27).', true),
  (24, 'gyosei-kyujitsu', 'law', '行政機関の休日に関する法律', '国会', '昭和63年法律第91号', '1988-12-13', 'https://laws.e-gov.go.jp/law/363AC0000000091', '第1条: 行政機関の休日 are Sundays and Saturdays, the 休日 of 国民の祝日に関する法律, and 12/29 to 1/3. 第2条: a deadline of a 届出 to a 行政庁 that falls on such a day moves to the next day that is not one.', true),
  (25, 'chiho-jichi-4-2', 'law', '地方自治法 第4条の2 (地方公共団体の休日)', '国会', '昭和22年法律第67号', NULL, 'https://laws.e-gov.go.jp/law/322AC0000000067', '第4項: a deadline of a 届出 to a 地方公共団体 that falls on its 休日 (by 条例: the days of 行政機関の休日に関する法律) moves to the next day that is not one. Added in 1988 (article inserted by 昭和63年法律第94号; day not read).', true),
  (26, 'naoj-rekiyoko', 'notice', '暦要項 (春分の日・秋分の日)', '国立天文台', NULL, NULL, 'https://eco.mtk.nao.ac.jp/koyomi/yoko/', 'Published in the 官報 each February for the next year (2027: 3/21, 9/23). The equinox days 1948-2027 are checked against @holiday-jp/holiday_jp 2.5.1 and python3-holidays 0.10.1.', true),
  (27, 'holiday-1959', 'law', '皇太子明仁親王の結婚の儀の行われる日を休日とする法律', '国会', '昭和34年法律第16号', '1959-03-17', NULL, '1959-04-10 is a 休日.', true),
  (28, 'holiday-1989', 'law', '昭和天皇の大喪の礼の行われる日を休日とする法律', '国会', '平成元年法律第4号', '1989-02-17', NULL, '1989-02-24 is a 休日.', true),
  (29, 'holiday-1990', 'law', '即位礼正殿の儀の行われる日を休日とする法律', '国会', '平成2年法律第24号', '1990-06-01', NULL, '1990-11-12 is a 休日.', true),
  (30, 'holiday-1993', 'law', '皇太子徳仁親王の結婚の儀の行われる日を休日とする法律', '国会', '平成5年法律第32号', '1993-04-30', NULL, '1993-06-09 is a 休日.', true),
  (31, 'holiday-2019', 'law', '天皇の即位の日及び即位礼正殿の儀の行われる日を休日とする法律', '国会', '平成30年法律第99号', '2018-12-14', NULL, '2019-05-01 and 2019-10-22 are 国民の祝日 for the year (so 2019-04-30 and 2019-05-02 are 国民の休日).', true),
  (32, 'olympic-2020', 'law', '平成三十二年東京オリンピック競技大会・東京パラリンピック競技大会特別措置法 (平成30年改正)', '国会', '平成30年法律第57号', '2018-06-20', NULL, 'In 2020: 海の日 7/23, スポーツの日 7/24, 山の日 8/10 instead of their days.', true),
  (33, 'olympic-2021', 'law', '平成三十二年東京オリンピック競技大会・東京パラリンピック競技大会特別措置法 (令和2年改正)', '国会', '令和2年法律第68号', '2020-12-04', NULL, 'In 2021: 海の日 7/22, スポーツの日 7/23, 山の日 8/8 instead of their days.', true);

INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description, shipped) VALUES
  ('acquisition_report_rollover', 'boolean', 'flag',
   'Whether a 資格取得届 deadline on a day the administration is closed moves to the next open day (行政機関の休日に関する法律 第2条, 地方自治法 第4条の2 第4項)', true);

INSERT INTO mynahoken.legal_parameter_entry
  (parameter_id, name, value_type, scope, valid, recorded_on, value_int, value_bool, source_id, confirmed, note,
   keep_own, value_date, shipped) VALUES
  (36, 'acquisition_report_days', 'int', 'municipal_nhi', '(,)', '1959-01-01', '14', NULL, '21', 't', NULL, 'f', NULL, true),
  (37, 'acquisition_report_days', 'int', 'retiree_nhi', '(,)', '1959-01-01', '14', NULL, '21', 't', '退職被保険者 are 国保 members; 第2条 names them.', 'f', NULL, true),
  (38, 'acquisition_report_days', 'int', 'nhi_society', '(,)', '1959-01-01', '14', NULL, '21', 'f', '第2条 is written for 市町村; that a 国保組合 applies the same 14 days (by its 規約) is UNCONFIRMED.', 'f', NULL, true),
  (39, 'acquisition_report_days', 'int', 'late_elderly', '(,)', '2007-10-22', '14', NULL, '22', 't', NULL, 'f', NULL, true),
  (40, 'acquisition_report_rollover', 'boolean', NULL, '(,)', '1988-12-13', NULL, 't', '24', 'f', 'The 資格取得届 goes to 厚生労働大臣 (through 日本年金機構), a 行政庁; for 健保組合 and 共済組合, not 行政庁, the rollover is UNCONFIRMED.', 'f', NULL, true),
  (41, 'acquisition_report_rollover', 'boolean', 'municipal_nhi', '(,)', '1988-12-13', NULL, 't', '25', 't', 'The 届出 goes to the 市町村 (for 後期 through the 市町村 to the 広域連合, a 地方公共団体).', 't', NULL, true),
  (42, 'acquisition_report_rollover', 'boolean', 'retiree_nhi', '(,)', '1988-12-13', NULL, 't', '25', 't', 'The 届出 goes to the 市町村 (for 後期 through the 市町村 to the 広域連合, a 地方公共団体).', 't', NULL, true),
  (43, 'acquisition_report_rollover', 'boolean', 'late_elderly', '(,)', '1988-12-13', NULL, 't', '25', 't', 'The 届出 goes to the 市町村 (for 後期 through the 市町村 to the 広域連合, a 地方公共団体).', 't', NULL, true);

COMMENT ON FUNCTION mynahoken.acquisition_report_due(mynahoken.insurer_category, date, date) IS
  'Last day of the period to file the 資格取得届 (acquisition_report_days per category: 5 under 健康保険法施行規則 第24条, 14 for 国保 and 後期; the counting rule is a parameter); acquisition_report_deadline applies the closed-day rollover';

CREATE TABLE mynahoken.equinox_day (
  year      int PRIMARY KEY CHECK (year BETWEEN 1948 AND 2200),
  vernal    date NOT NULL CHECK (pg_catalog.date_part('year', vernal) OPERATOR(pg_catalog.=) year),
  autumnal  date NOT NULL CHECK (pg_catalog.date_part('year', autumnal) OPERATOR(pg_catalog.=) year),
  source_id bigint NOT NULL REFERENCES mynahoken.legal_source
);
COMMENT ON TABLE mynahoken.equinox_day IS
  'Days of 春分の日 and 秋分の日 per year as published (国立天文台 暦要項); the holiday calendar covers these years';

CREATE TYPE mynahoken.holiday_rule_kind AS ENUM (
  'fixed',     -- month and day
  'monday',    -- the n-th Monday of a month (ハッピーマンデー)
  'vernal',    -- 春分日
  'autumnal',  -- 秋分日
  'one_off'    -- a day set by its own law (結婚の儀, 大喪の礼, 即位, the 2020 and 2021 moves)
);
COMMENT ON TYPE mynahoken.holiday_rule_kind IS
  'How a rule of 国民の祝日に関する法律 places its holiday in a year';

-- One row per holiday and period of its rule: the holiday falls on the day
-- the rule gives in a year when that day is in in_force.
CREATE TABLE mynahoken.public_holiday_rule (
  rule_id   int PRIMARY KEY,
  name      text NOT NULL CHECK (name OPERATOR(pg_catalog.<>) ''),
  kind      mynahoken.holiday_rule_kind NOT NULL,
  in_force  daterange NOT NULL,
  month     int CHECK (month BETWEEN 1 AND 12),
  day       int CHECK (day BETWEEN 1 AND 31),
  nth       int CHECK (nth BETWEEN 1 AND 5),
  on_day    date,
  source_id bigint NOT NULL REFERENCES mynahoken.legal_source,
  CONSTRAINT public_holiday_rule_shape CHECK (CASE kind
    WHEN 'fixed' THEN month IS NOT NULL AND day IS NOT NULL AND nth IS NULL AND on_day IS NULL
    WHEN 'monday' THEN month IS NOT NULL AND nth IS NOT NULL AND day IS NULL AND on_day IS NULL
    WHEN 'one_off' THEN on_day IS NOT NULL AND month IS NULL AND day IS NULL AND nth IS NULL
    ELSE month IS NULL AND day IS NULL AND nth IS NULL AND on_day IS NULL END)
);
COMMENT ON TABLE mynahoken.public_holiday_rule IS
  'Rules of 国民の祝日に関する法律 and the laws of one-off holidays: name, how the day is placed, period in force, source';

-- The 国民の祝日 (national holidays), then 振替休日 and 国民の休日 (休日
-- under 第3条 第2項, 第3項), for the years given; set-based.
--   振替休日 (from 1973-04-12): a 国民の祝日 on a Sunday makes the next day a
--     休日; from 2007 the nearest following day that is not a 国民の祝日.
--   国民の休日 (from 1985-12-27): a day whose day before and day after are
--     国民の祝日 and that is not one; until 2006 not a Sunday or a 振替休日.
CREATE FUNCTION mynahoken.holidays_by_rules(from_year int, to_year int)
RETURNS TABLE (day date, name text, kind text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH national AS (
    SELECT x.d, r.name
      FROM pg_catalog.generate_series(from_year, to_year) AS y (year)
      JOIN mynahoken.public_holiday_rule r ON true
      LEFT JOIN mynahoken.equinox_day q ON q.year OPERATOR(pg_catalog.=) y.year
     CROSS JOIN LATERAL (
       SELECT CASE r.kind
                WHEN 'fixed' THEN pg_catalog.make_date(y.year, r.month, r.day)
                WHEN 'monday' THEN pg_catalog.make_date(y.year, r.month, 1)
                     OPERATOR(pg_catalog.+) (((8 OPERATOR(pg_catalog.-) pg_catalog.date_part('isodow', pg_catalog.make_date(y.year, r.month, 1))::int) OPERATOR(pg_catalog.%) 7)
                                             OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) (r.nth OPERATOR(pg_catalog.-) 1)))
                WHEN 'vernal' THEN q.vernal
                WHEN 'autumnal' THEN q.autumnal
                WHEN 'one_off' THEN CASE WHEN pg_catalog.date_part('year', r.on_day) OPERATOR(pg_catalog.=) y.year THEN r.on_day END
              END AS d) AS x
     WHERE x.d IS NOT NULL AND r.in_force OPERATOR(pg_catalog.@>) x.d
  ), substitute AS (
    SELECT CASE WHEN n.d OPERATOR(pg_catalog.<) '2007-01-01' THEN n.d OPERATOR(pg_catalog.+) 1
                ELSE (SELECT pg_catalog.min(c.d)
                        FROM (SELECT n.d OPERATOR(pg_catalog.+) i AS d FROM pg_catalog.generate_series(1, 7) AS i) AS c
                       WHERE NOT EXISTS (SELECT FROM national m WHERE m.d OPERATOR(pg_catalog.=) c.d)) END AS d,
           n.name
      FROM national n
     WHERE pg_catalog.date_part('isodow', n.d) OPERATOR(pg_catalog.=) 7 AND n.d OPERATOR(pg_catalog.>=) '1973-04-12'
  ), citizens AS (
    SELECT n.d OPERATOR(pg_catalog.+) 1 AS d
      FROM national n
     WHERE EXISTS (SELECT FROM national m WHERE m.d OPERATOR(pg_catalog.=) (n.d OPERATOR(pg_catalog.+) 2))
       AND NOT EXISTS (SELECT FROM national m WHERE m.d OPERATOR(pg_catalog.=) (n.d OPERATOR(pg_catalog.+) 1))
       AND (n.d OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.>=) '1985-12-27'
       AND ((n.d OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.>=) '2007-01-01'
            OR (pg_catalog.date_part('isodow', n.d OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.<>) 7
                AND NOT EXISTS (SELECT FROM substitute s WHERE s.d OPERATOR(pg_catalog.=) (n.d OPERATOR(pg_catalog.+) 1))))
  )
  SELECT d, name, 'national' FROM national
  UNION ALL
  SELECT d, name OPERATOR(pg_catalog.||) ' 振替休日', 'substitute' FROM substitute
  UNION ALL
  SELECT d, '国民の休日', 'citizens' FROM citizens
  ORDER BY 1;
END;
COMMENT ON FUNCTION mynahoken.holidays_by_rules(int, int) IS
  'The 休日 of 国民の祝日に関する法律 (国民の祝日, 振替休日, 国民の休日) of the given years, computed from the rules and the equinox days';

-- The holidays of the years whose equinox days are published, computed
-- once at install (and by each update that adds a year).
CREATE TABLE mynahoken.public_holiday (
  day  date PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('national', 'substitute', 'citizens'))
);
COMMENT ON TABLE mynahoken.public_holiday IS
  'The 休日 of 国民の祝日に関する法律 (国民の祝日, 振替休日, 国民の休日) from 1948-07-20 to the last year of mynahoken.equinox_day';

-- Equinox days 1948-2027 as published; checked against @holiday-jp/holiday_jp
-- (1970-2027) and python3-holidays (1949-1969) by test/scripts/45_holidays.sh.
INSERT INTO mynahoken.equinox_day (year, vernal, autumnal, source_id)
SELECT e.year, e.vernal::date, e.autumnal::date, (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = e.source)
  FROM (VALUES
  (1948,'1948-03-21','1948-09-23', 'naoj-rekiyoko'),
  (1949,'1949-03-21','1949-09-23', 'naoj-rekiyoko'),
  (1950,'1950-03-21','1950-09-23', 'naoj-rekiyoko'),
  (1951,'1951-03-21','1951-09-24', 'naoj-rekiyoko'),
  (1952,'1952-03-21','1952-09-23', 'naoj-rekiyoko'),
  (1953,'1953-03-21','1953-09-23', 'naoj-rekiyoko'),
  (1954,'1954-03-21','1954-09-23', 'naoj-rekiyoko'),
  (1955,'1955-03-21','1955-09-24', 'naoj-rekiyoko'),
  (1956,'1956-03-21','1956-09-23', 'naoj-rekiyoko'),
  (1957,'1957-03-21','1957-09-23', 'naoj-rekiyoko'),
  (1958,'1958-03-21','1958-09-23', 'naoj-rekiyoko'),
  (1959,'1959-03-21','1959-09-24', 'naoj-rekiyoko'),
  (1960,'1960-03-20','1960-09-23', 'naoj-rekiyoko'),
  (1961,'1961-03-21','1961-09-23', 'naoj-rekiyoko'),
  (1962,'1962-03-21','1962-09-23', 'naoj-rekiyoko'),
  (1963,'1963-03-21','1963-09-24', 'naoj-rekiyoko'),
  (1964,'1964-03-20','1964-09-23', 'naoj-rekiyoko'),
  (1965,'1965-03-21','1965-09-23', 'naoj-rekiyoko'),
  (1966,'1966-03-21','1966-09-23', 'naoj-rekiyoko'),
  (1967,'1967-03-21','1967-09-24', 'naoj-rekiyoko'),
  (1968,'1968-03-20','1968-09-23', 'naoj-rekiyoko'),
  (1969,'1969-03-21','1969-09-23', 'naoj-rekiyoko'),
  (1970,'1970-03-21','1970-09-23', 'naoj-rekiyoko'),
  (1971,'1971-03-21','1971-09-24', 'naoj-rekiyoko'),
  (1972,'1972-03-20','1972-09-23', 'naoj-rekiyoko'),
  (1973,'1973-03-21','1973-09-23', 'naoj-rekiyoko'),
  (1974,'1974-03-21','1974-09-23', 'naoj-rekiyoko'),
  (1975,'1975-03-21','1975-09-24', 'naoj-rekiyoko'),
  (1976,'1976-03-20','1976-09-23', 'naoj-rekiyoko'),
  (1977,'1977-03-21','1977-09-23', 'naoj-rekiyoko'),
  (1978,'1978-03-21','1978-09-23', 'naoj-rekiyoko'),
  (1979,'1979-03-21','1979-09-24', 'naoj-rekiyoko'),
  (1980,'1980-03-20','1980-09-23', 'naoj-rekiyoko'),
  (1981,'1981-03-21','1981-09-23', 'naoj-rekiyoko'),
  (1982,'1982-03-21','1982-09-23', 'naoj-rekiyoko'),
  (1983,'1983-03-21','1983-09-23', 'naoj-rekiyoko'),
  (1984,'1984-03-20','1984-09-23', 'naoj-rekiyoko'),
  (1985,'1985-03-21','1985-09-23', 'naoj-rekiyoko'),
  (1986,'1986-03-21','1986-09-23', 'naoj-rekiyoko'),
  (1987,'1987-03-21','1987-09-23', 'naoj-rekiyoko'),
  (1988,'1988-03-20','1988-09-23', 'naoj-rekiyoko'),
  (1989,'1989-03-21','1989-09-23', 'naoj-rekiyoko'),
  (1990,'1990-03-21','1990-09-23', 'naoj-rekiyoko'),
  (1991,'1991-03-21','1991-09-23', 'naoj-rekiyoko'),
  (1992,'1992-03-20','1992-09-23', 'naoj-rekiyoko'),
  (1993,'1993-03-20','1993-09-23', 'naoj-rekiyoko'),
  (1994,'1994-03-21','1994-09-23', 'naoj-rekiyoko'),
  (1995,'1995-03-21','1995-09-23', 'naoj-rekiyoko'),
  (1996,'1996-03-20','1996-09-23', 'naoj-rekiyoko'),
  (1997,'1997-03-20','1997-09-23', 'naoj-rekiyoko'),
  (1998,'1998-03-21','1998-09-23', 'naoj-rekiyoko'),
  (1999,'1999-03-21','1999-09-23', 'naoj-rekiyoko'),
  (2000,'2000-03-20','2000-09-23', 'naoj-rekiyoko'),
  (2001,'2001-03-20','2001-09-23', 'naoj-rekiyoko'),
  (2002,'2002-03-21','2002-09-23', 'naoj-rekiyoko'),
  (2003,'2003-03-21','2003-09-23', 'naoj-rekiyoko'),
  (2004,'2004-03-20','2004-09-23', 'naoj-rekiyoko'),
  (2005,'2005-03-20','2005-09-23', 'naoj-rekiyoko'),
  (2006,'2006-03-21','2006-09-23', 'naoj-rekiyoko'),
  (2007,'2007-03-21','2007-09-23', 'naoj-rekiyoko'),
  (2008,'2008-03-20','2008-09-23', 'naoj-rekiyoko'),
  (2009,'2009-03-20','2009-09-23', 'naoj-rekiyoko'),
  (2010,'2010-03-21','2010-09-23', 'naoj-rekiyoko'),
  (2011,'2011-03-21','2011-09-23', 'naoj-rekiyoko'),
  (2012,'2012-03-20','2012-09-22', 'naoj-rekiyoko'),
  (2013,'2013-03-20','2013-09-23', 'naoj-rekiyoko'),
  (2014,'2014-03-21','2014-09-23', 'naoj-rekiyoko'),
  (2015,'2015-03-21','2015-09-23', 'naoj-rekiyoko'),
  (2016,'2016-03-20','2016-09-22', 'naoj-rekiyoko'),
  (2017,'2017-03-20','2017-09-23', 'naoj-rekiyoko'),
  (2018,'2018-03-21','2018-09-23', 'naoj-rekiyoko'),
  (2019,'2019-03-21','2019-09-23', 'naoj-rekiyoko'),
  (2020,'2020-03-20','2020-09-22', 'naoj-rekiyoko'),
  (2021,'2021-03-20','2021-09-23', 'naoj-rekiyoko'),
  (2022,'2022-03-21','2022-09-23', 'naoj-rekiyoko'),
  (2023,'2023-03-21','2023-09-23', 'naoj-rekiyoko'),
  (2024,'2024-03-20','2024-09-22', 'naoj-rekiyoko'),
  (2025,'2025-03-20','2025-09-23', 'naoj-rekiyoko'),
  (2026,'2026-03-20','2026-09-23', 'naoj-rekiyoko'),
  (2027,'2027-03-21','2027-09-23', 'naoj-rekiyoko')
  ) AS e (year, vernal, autumnal, source);

-- The rules: 国民の祝日に関する法律 (昭和23年法律第178号) as amended (敬老の日 and
-- 体育の日 from 1966, 建国記念の日 from 1967, みどりの日 1989, 海の日 1996,
-- Happy Monday 2000 and 2003, 昭和の日 2007, 山の日 2016, 天皇誕生日 2/23 2020,
-- スポーツの日 2020), and the laws of one-off holidays and of the 2020 and 2021 moves.
INSERT INTO mynahoken.public_holiday_rule (rule_id, name, kind, in_force, month, day, nth, on_day, source_id)
SELECT r.rule_id, r.name, r.kind::mynahoken.holiday_rule_kind, r.in_force::daterange, r.month, r.day, r.nth, r.on_day::date,
       (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = r.source)
  FROM (VALUES
  (1,  '元日',           'fixed',   '[1948-07-20,)',           1,  1,    NULL, NULL, 'holiday-law'),
  (2,  '成人の日',       'fixed',   '[1948-07-20,2000-01-01)', 1,  15,   NULL, NULL, 'holiday-law'),
  (3,  '成人の日',       'monday',  '[2000-01-01,)',           1,  NULL, 2,    NULL, 'holiday-law'),
  (4,  '建国記念の日',   'fixed',   '[1967-01-01,)',           2,  11,   NULL, NULL, 'holiday-law'),
  (5,  '天皇誕生日',     'fixed',   '[2020-01-01,)',           2,  23,   NULL, NULL, 'holiday-law'),
  (6,  '春分の日',       'vernal',  '[1948-07-20,)',           NULL, NULL, NULL, NULL, 'holiday-law'),
  (7,  '天皇誕生日',     'fixed',   '[1948-07-20,1989-02-17)', 4,  29,   NULL, NULL, 'holiday-law'),
  (8,  'みどりの日',     'fixed',   '[1989-02-17,2007-01-01)', 4,  29,   NULL, NULL, 'holiday-law'),
  (9,  '昭和の日',       'fixed',   '[2007-01-01,)',           4,  29,   NULL, NULL, 'holiday-law'),
  (10, '憲法記念日',     'fixed',   '[1948-07-20,)',           5,  3,    NULL, NULL, 'holiday-law'),
  (11, 'みどりの日',     'fixed',   '[2007-01-01,)',           5,  4,    NULL, NULL, 'holiday-law'),
  (12, 'こどもの日',     'fixed',   '[1948-07-20,)',           5,  5,    NULL, NULL, 'holiday-law'),
  (13, '海の日',         'fixed',   '[1996-01-01,2003-01-01)', 7,  20,   NULL, NULL, 'holiday-law'),
  (14, '海の日',         'monday',  '[2003-01-01,2020-01-01)', 7,  NULL, 3,    NULL, 'holiday-law'),
  (15, '海の日',         'monday',  '[2022-01-01,)',           7,  NULL, 3,    NULL, 'holiday-law'),
  (16, '山の日',         'fixed',   '[2016-01-01,2020-01-01)', 8,  11,   NULL, NULL, 'holiday-law'),
  (17, '山の日',         'fixed',   '[2022-01-01,)',           8,  11,   NULL, NULL, 'holiday-law'),
  (18, '敬老の日',       'fixed',   '[1966-06-25,2003-01-01)', 9,  15,   NULL, NULL, 'holiday-law'),
  (19, '敬老の日',       'monday',  '[2003-01-01,)',           9,  NULL, 3,    NULL, 'holiday-law'),
  (20, '秋分の日',       'autumnal', '[1948-07-20,)',          NULL, NULL, NULL, NULL, 'holiday-law'),
  (21, '体育の日',       'fixed',   '[1966-06-25,2000-01-01)', 10, 10,   NULL, NULL, 'holiday-law'),
  (22, '体育の日',       'monday',  '[2000-01-01,2020-01-01)', 10, NULL, 2,    NULL, 'holiday-law'),
  (23, 'スポーツの日',   'monday',  '[2022-01-01,)',           10, NULL, 2,    NULL, 'holiday-law'),
  (24, '文化の日',       'fixed',   '[1948-07-20,)',           11, 3,    NULL, NULL, 'holiday-law'),
  (25, '勤労感謝の日',   'fixed',   '[1948-07-20,)',           11, 23,   NULL, NULL, 'holiday-law'),
  (26, '天皇誕生日',     'fixed',   '[1989-02-17,2019-01-01)', 12, 23,   NULL, NULL, 'holiday-law'),
  (27, '皇太子明仁親王の結婚の儀', 'one_off', '(,)', NULL, NULL, NULL, '1959-04-10', 'holiday-1959'),
  (28, '昭和天皇の大喪の礼',       'one_off', '(,)', NULL, NULL, NULL, '1989-02-24', 'holiday-1989'),
  (29, '即位礼正殿の儀',           'one_off', '(,)', NULL, NULL, NULL, '1990-11-12', 'holiday-1990'),
  (30, '皇太子徳仁親王の結婚の儀', 'one_off', '(,)', NULL, NULL, NULL, '1993-06-09', 'holiday-1993'),
  (31, '天皇の即位の日',           'one_off', '(,)', NULL, NULL, NULL, '2019-05-01', 'holiday-2019'),
  (32, '即位礼正殿の儀',           'one_off', '(,)', NULL, NULL, NULL, '2019-10-22', 'holiday-2019'),
  (33, '海の日',                   'one_off', '(,)', NULL, NULL, NULL, '2020-07-23', 'olympic-2020'),
  (34, 'スポーツの日',             'one_off', '(,)', NULL, NULL, NULL, '2020-07-24', 'olympic-2020'),
  (35, '山の日',                   'one_off', '(,)', NULL, NULL, NULL, '2020-08-10', 'olympic-2020'),
  (36, '海の日',                   'one_off', '(,)', NULL, NULL, NULL, '2021-07-22', 'olympic-2021'),
  (37, 'スポーツの日',             'one_off', '(,)', NULL, NULL, NULL, '2021-07-23', 'olympic-2021'),
  (38, '山の日',                   'one_off', '(,)', NULL, NULL, NULL, '2021-08-08', 'olympic-2021')
  ) AS r (rule_id, name, kind, in_force, month, day, nth, on_day, source);

INSERT INTO mynahoken.public_holiday (day, name, kind)
SELECT h.day, h.name, h.kind
  FROM mynahoken.holidays_by_rules(1948, (SELECT max(e.year) FROM mynahoken.equinox_day e)) AS h
 WHERE h.day >= '1948-07-20';

CREATE FUNCTION mynahoken.holiday_calendar_refused(day date)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE   -- not IMMUTABLE: it must not be folded into a plan
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM mynahoken.raise_error('22008', 'no public holiday calendar for the given day',
    detail => format('The calendar covers 1948-07-20 (国民の祝日に関する法律) to %s-12-31 (the last year whose equinox days are published).',
                     (SELECT max(e.year) FROM mynahoken.equinox_day e)));
END
$$;
COMMENT ON FUNCTION mynahoken.holiday_calendar_refused(date) IS
  'Internal: error 22008 for a day outside the holiday calendar';

CREATE FUNCTION mynahoken.is_holiday(day date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN day IS NULL THEN NULL
            WHEN day OPERATOR(pg_catalog.<) '1948-07-20'
              OR pg_catalog.date_part('year', day) OPERATOR(pg_catalog.>) (SELECT pg_catalog.max(e.year) FROM mynahoken.equinox_day e)
            THEN mynahoken.holiday_calendar_refused(day)
            ELSE EXISTS (SELECT FROM mynahoken.public_holiday h WHERE h.day OPERATOR(pg_catalog.=) is_holiday.day) END;
COMMENT ON FUNCTION mynahoken.is_holiday(date) IS
  'True on a 休日 of 国民の祝日に関する法律 (国民の祝日, 振替休日, 国民の休日); error 22008 outside the calendar';

-- 行政機関の休日に関する法律 第1条: Sundays and Saturdays, the 休日 of
-- 国民の祝日に関する法律, and 12/29 to 1/3.
CREATE FUNCTION mynahoken.is_closed_day(day date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN mynahoken.is_holiday(day) THEN true
            ELSE pg_catalog.date_part('isodow', day) OPERATOR(pg_catalog.>=) 6
                 OR (pg_catalog.date_part('month', day) OPERATOR(pg_catalog.=) 12 AND pg_catalog.date_part('day', day) OPERATOR(pg_catalog.>=) 29)
                 OR (pg_catalog.date_part('month', day) OPERATOR(pg_catalog.=) 1 AND pg_catalog.date_part('day', day) OPERATOR(pg_catalog.<=) 3) END;
COMMENT ON FUNCTION mynahoken.is_closed_day(date) IS
  'True on a day the administration is closed (行政機関の休日に関する法律 第1条: Saturday, Sunday, 休日 of 国民の祝日に関する法律, 12/29-1/3)';

-- The day itself when the administration is open, else the next open day
-- (行政機関の休日に関する法律 第2条, 地方自治法 第4条の2 第4項: a deadline on a
-- closed day is the next day that is not one).
CREATE FUNCTION mynahoken.next_open_day(day date)
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT pg_catalog.min(c.d)
          FROM (SELECT next_open_day.day OPERATOR(pg_catalog.+) i AS d FROM pg_catalog.generate_series(0, 20) AS i) AS c
         WHERE NOT mynahoken.is_closed_day(c.d));
COMMENT ON FUNCTION mynahoken.next_open_day(date) IS
  'The day itself if the administration is open, else the next open day (行政機関の休日に関する法律 第2条)';

GRANT SELECT ON mynahoken.equinox_day, mynahoken.public_holiday_rule, mynahoken.public_holiday TO PUBLIC;

-- The 資格取得届 deadline: the last day of the period (acquisition_report_due),
-- moved to the next open day where acquisition_report_rollover says the
-- rollover of 行政機関の休日に関する法律 第2条 (地方自治法 第4条の2) applies.
CREATE FUNCTION mynahoken.acquisition_report_deadline(category mynahoken.insurer_category, acquired_on date,
                                                      known_on date DEFAULT NULL)
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN category IS NULL OR acquired_on IS NULL THEN NULL
            WHEN mynahoken.legal_value_bool('acquisition_report_rollover', acquired_on, category, known_on)
            THEN mynahoken.next_open_day(mynahoken.acquisition_report_due(category, acquired_on, known_on))
            ELSE mynahoken.acquisition_report_due(category, acquired_on, known_on) END;
COMMENT ON FUNCTION mynahoken.acquisition_report_deadline(mynahoken.insurer_category, date, date) IS
  'Day the 資格取得届 is due: acquisition_report_due, moved to the next open day when acquisition_report_rollover holds for the category';

-- ---------------------------------------------------------------------------
-- Scope by insurer number (doc/decisions.md, "Which value is in force"): an
-- entry may be for one insurer of its category; the key, the supersession
-- and the readers take it into account.

ALTER TABLE mynahoken.legal_parameter_entry
  ADD COLUMN insurer mynahoken.insurer_number,
  ADD CONSTRAINT legal_parameter_insurer_in_scope
    CHECK (insurer IS NULL OR scope OPERATOR(pg_catalog.=) mynahoken.category(insurer));
COMMENT ON COLUMN mynahoken.legal_parameter_entry.insurer IS
  'The insurer (保険者番号) the value is for, within its category (scope); NULL: every insurer of the scope';
CREATE OR REPLACE FUNCTION mynahoken.legal_parameter_key(name text, scope mynahoken.insurer_category,
                                              insurer mynahoken.insurer_number)
RETURNS mynahoken.legal_key_range
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN mynahoken.legal_key_range(
         name OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) coalesce(scope::text, '*')
              OPERATOR(pg_catalog.||) coalesce('/' OPERATOR(pg_catalog.||) insurer::text, ''),
         name OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) coalesce(scope::text, '*')
              OPERATOR(pg_catalog.||) coalesce('/' OPERATOR(pg_catalog.||) insurer::text, ''),
         '[]');
COMMENT ON FUNCTION mynahoken.legal_parameter_key(text, mynahoken.insurer_category, mynahoken.insurer_number) IS
  'Exclusion key of a legal parameter value: its name, scope (NULL = all insurer categories) and insurer number (NULL = the whole scope)';
ALTER TABLE mynahoken.legal_parameter_entry
  DROP CONSTRAINT legal_parameter_no_overlap,
  ADD CONSTRAINT legal_parameter_no_overlap EXCLUDE USING gist (
    mynahoken.legal_parameter_key(name, scope, insurer) WITH &&,
    valid WITH &&,
    pg_catalog.daterange(recorded_on, recorded_on, '[]') WITH &&);
-- 0.1's key, of an entry for a whole scope: the same key with no insurer.
CREATE OR REPLACE FUNCTION mynahoken.legal_parameter_key(name text, scope mynahoken.insurer_category)
RETURNS mynahoken.legal_key_range
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN mynahoken.legal_parameter_key(name, scope, NULL::mynahoken.insurer_number);

CREATE OR REPLACE VIEW mynahoken.legal_parameter AS
SELECT e.parameter_id, e.name, e.value_type, e.scope, k.valid,
       pg_catalog.daterange(min(k.since),
                            CASE WHEN bool_or(k.until IS NULL) THEN NULL ELSE max(k.until) END) AS recorded,
       e.value_date, e.value_int, e.value_bool, e.value_range, e.value_text,
       e.source_id, e.confirmed, e.note, e.insurer, e.recorded_on, e.keep_own
  FROM mynahoken.legal_parameter_entry e
 CROSS JOIN LATERAL (
       SELECT s.since, s.until, piece AS valid
         FROM (SELECT t.since, pg_catalog.lead(t.since) OVER (ORDER BY t.since) AS until
                 FROM (SELECT e.recorded_on
                       UNION
                       SELECT l.recorded_on
                         FROM mynahoken.legal_parameter_entry l
                        WHERE l.name OPERATOR(pg_catalog.=) e.name
                          AND l.scope IS NOT DISTINCT FROM e.scope
                     AND (l.insurer IS NULL AND e.insurer IS NULL OR l.insurer OPERATOR(mynahoken.=) e.insurer)
                          AND (l.insurer IS NULL AND e.insurer IS NULL OR l.insurer OPERATOR(mynahoken.=) e.insurer)
                          AND l.valid OPERATOR(pg_catalog.&&) e.valid
                          AND l.recorded_on OPERATOR(pg_catalog.>) e.recorded_on) AS t (since)) AS s
        CROSS JOIN LATERAL pg_catalog.unnest(
               pg_catalog.datemultirange(e.valid) OPERATOR(pg_catalog.-) coalesce(
                 (SELECT pg_catalog.range_agg(l.valid)
                    FROM mynahoken.legal_parameter_entry l
                   WHERE l.name OPERATOR(pg_catalog.=) e.name
                     AND l.scope IS NOT DISTINCT FROM e.scope
                     AND l.valid OPERATOR(pg_catalog.&&) e.valid
                     AND l.recorded_on OPERATOR(pg_catalog.>) e.recorded_on
                     AND l.recorded_on OPERATOR(pg_catalog.<=) s.since),
                 '{}'::pg_catalog.datemultirange)) AS piece) AS k
 GROUP BY e.parameter_id, e.name, e.scope, k.valid;
COMMENT ON VIEW mynahoken.legal_parameter IS
  'Bitemporal values of legal parameters: valid time (decision days), recorded time (when known), typed value, required source; derived from legal_parameter_entry';
CREATE OR REPLACE VIEW mynahoken.legal_calendar AS
SELECT p.name, p.scope, p.valid, p.recorded,
       CASE p.value_type
         WHEN 'date' THEN CASE WHEN pg_catalog.isfinite(p.value_date)
                               THEN pg_catalog.to_char(p.value_date, 'YYYY-MM-DD')
                               ELSE p.value_date::text END
         WHEN 'int' THEN p.value_int::text
         WHEN 'boolean' THEN p.value_bool::text
         WHEN 'daterange' THEN mynahoken.daterange_iso(p.value_range)
         ELSE p.value_text END AS value,
       d.unit, p.confirmed, p.note, d.description,
       mynahoken.daterange_iso(p.valid) AS valid_iso,
       mynahoken.daterange_iso(p.recorded) AS recorded_iso,
       s.code AS source_code, s.kind AS source_kind, s.title AS source_title,
       s.issuer AS source_issuer, s.number AS source_number, s.issued_on AS source_issued_on,
       s.url AS source_url, p.parameter_id, p.source_id, p.insurer
  FROM mynahoken.legal_parameter p
  JOIN mynahoken.legal_parameter_def d USING (name, value_type)
  JOIN mynahoken.legal_source s USING (source_id);
COMMENT ON VIEW mynahoken.legal_calendar IS
  'Every value of every legal parameter with its valid and recorded time, unit and source';
CREATE OR REPLACE FUNCTION mynahoken.legal_entry_relations(parameter_id bigint)
RETURNS TABLE (parameter_id bigint, scope mynahoken.insurer_category, recorded_on date,
               days daterange, relation text, insurer mynahoken.insurer_number)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT o.parameter_id, o.scope, o.recorded_on, n.valid OPERATOR(pg_catalog.*) o.valid,
         CASE WHEN nl.level OPERATOR(pg_catalog.=) ol.level
              THEN CASE WHEN o.recorded_on OPERATOR(pg_catalog.<) n.recorded_on THEN 'supersedes'
                        ELSE 'is superseded by' END
              WHEN nl.level OPERATOR(pg_catalog.<) ol.level
              THEN CASE WHEN o.keep_own OR o.recorded_on OPERATOR(pg_catalog.>=) n.recorded_on
                        THEN 'is masked by' ELSE 'masks' END
              ELSE CASE WHEN n.keep_own OR n.recorded_on OPERATOR(pg_catalog.>=) o.recorded_on
                        THEN 'masks' ELSE 'is masked by' END END,
         o.insurer
    FROM mynahoken.legal_parameter_entry n
    JOIN mynahoken.legal_parameter_entry o
      ON o.name OPERATOR(pg_catalog.=) n.name
     AND o.parameter_id OPERATOR(pg_catalog.<>) n.parameter_id
     AND o.valid OPERATOR(pg_catalog.&&) n.valid
     AND (o.scope IS NULL OR n.scope IS NULL
          OR (o.scope OPERATOR(pg_catalog.=) n.scope
              AND (o.insurer IS NULL OR n.insurer IS NULL OR o.insurer OPERATOR(mynahoken.=) n.insurer)))
   CROSS JOIN LATERAL (SELECT CASE WHEN n.insurer IS NOT NULL THEN 2 WHEN n.scope IS NOT NULL THEN 1 ELSE 0 END) AS nl (level)
   CROSS JOIN LATERAL (SELECT CASE WHEN o.insurer IS NOT NULL THEN 2 WHEN o.scope IS NOT NULL THEN 1 ELSE 0 END) AS ol (level)
   WHERE n.parameter_id OPERATOR(pg_catalog.=) legal_entry_relations.parameter_id
   ORDER BY o.parameter_id;
END;
COMMENT ON FUNCTION mynahoken.legal_entry_relations(bigint) IS
  'Entries of the same parameter sharing valid days with an entry, and whether it supersedes, masks, is superseded by or is masked by each (no silent masking)';
CREATE OR REPLACE FUNCTION mynahoken.legal_entry_for_insurer(name text, day date, insurer mynahoken.insurer_number,
                                                  known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
  cat mynahoken.insurer_category;
BEGIN
  IF name IS NULL OR day IS NULL OR insurer IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name, day and insurer must not be null');
  END IF;
  cat := mynahoken.category(insurer);
  WITH c AS (
    SELECT DISTINCT ON (l.level) e AS entry, l.level
      FROM mynahoken.legal_parameter_entry e
     CROSS JOIN LATERAL (SELECT CASE WHEN e.insurer IS NOT NULL THEN 2
                                     WHEN e.scope IS NOT NULL THEN 1 ELSE 0 END) AS l (level)
     WHERE e.name = legal_entry_for_insurer.name
       AND (e.scope IS NULL
            OR (e.scope = cat AND (e.insurer IS NULL OR e.insurer OPERATOR(mynahoken.=) legal_entry_for_insurer.insurer)))
       AND e.valid @> day
       AND (known_on IS NULL OR e.recorded_on <= known_on)
     ORDER BY l.level, e.recorded_on DESC)
  SELECT (c.entry).* INTO ent
    FROM c
   WHERE c.level >= coalesce((SELECT max(k.level) FROM c AS k WHERE (k.entry).keep_own), 0)
   ORDER BY (c.entry).recorded_on DESC, c.level DESC
   LIMIT 1;
  IF NOT FOUND THEN
    PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_for_insurer.name;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
        hint => 'The parameters are listed in mynahoken.legal_parameter_def.');
    END IF;
    PERFORM mynahoken.raise_error('P0002',
      pg_catalog.format('no value for legal parameter "%s" on the given day', name),
      detail => format('Insurer %s. Knowledge: %s.', insurer,
                       CASE WHEN known_on IS NULL THEN 'as currently known'
                            ELSE 'as known on ' || to_char(known_on, 'YYYY-MM-DD') END));
  END IF;
  RETURN ent;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_for_insurer(text, date, mynahoken.insurer_number, date) IS
  'Entry in force for a legal parameter on a day for one insurer (its own, its category''s or every category''s), as known on a day (NULL: now); error P0002 when none';
CREATE OR REPLACE FUNCTION mynahoken.transition_rules_for_insurer(insurer mynahoken.insurer_number, day date,
                                                       known_on date DEFAULT NULL)
RETURNS mynahoken.transition_rules
AS 'MODULE_PATHNAME', 'mynahoken_transition_rules_for_insurer'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.transition_rules_for_insurer(mynahoken.insurer_number, date, date) IS
  'The legal parameters of one insurer (保険者番号) on a day as known on a day (NULL: now): its own, else its category''s, else every category''s';
CREATE OR REPLACE FUNCTION mynahoken.legal_parameter_at(name text, day date,
                                             category mynahoken.insurer_category DEFAULT NULL,
                                             known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r mynahoken.legal_parameter;
  ent mynahoken.legal_parameter_entry;
  taken datemultirange;
  part daterange;
  since date;
  until date;
BEGIN
  ent := mynahoken.legal_entry_at(name, day, category, known_on);
  -- the days later entries took from it by known_on; the part left holding the day
  SELECT range_agg(l.valid) INTO taken
    FROM mynahoken.legal_parameter_entry l
   WHERE l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope AND l.insurer IS NULL
     AND l.valid && ent.valid AND l.recorded_on > ent.recorded_on
     AND (known_on IS NULL OR l.recorded_on <= known_on);
  SELECT x INTO part
    FROM unnest(datemultirange(ent.valid) - coalesce(taken, '{}'::datemultirange)) AS x
   WHERE x @> day;
  -- it has been this part since the days on either side of it were taken
  -- (or from its recording), until a later entry takes one of its days
  SELECT max(t) INTO since
    FROM (SELECT ent.recorded_on
          UNION ALL
          SELECT min(l.recorded_on)
            FROM mynahoken.legal_parameter_entry l,
                 (VALUES (lower(part) - 1), (upper(part))) AS n (d)
           WHERE n.d IS NOT NULL AND ent.valid @> n.d AND l.valid @> n.d
             AND l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope AND l.insurer IS NULL
             AND l.recorded_on > ent.recorded_on
           GROUP BY n.d) AS v (t);
  SELECT min(l.recorded_on) INTO until
    FROM mynahoken.legal_parameter_entry l
   WHERE known_on IS NOT NULL AND l.recorded_on > known_on
     AND l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope AND l.insurer IS NULL
     AND l.valid && part;
  SELECT ent.parameter_id, ent.name, ent.value_type, ent.scope, part, daterange(since, until),
         ent.value_date, ent.value_int, ent.value_bool, ent.value_range, ent.value_text,
         ent.source_id, ent.confirmed, ent.note, ent.insurer, ent.recorded_on, ent.keep_own
    INTO r;
  RETURN r;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_parameter_at(text, date, mynahoken.insurer_category, date) IS
  'Calendar row of a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';
-- ===========================================================================
-- Issue 11, rule engine.
-- The whole of sql/install/60_rules.sql: every object of the rule engine is new in 0.2.
-- ===========================================================================

-- Rule engine (ルールエンジン): insurers write their own decision rules as
-- versioned decision tables in front of the national decisions, checked at
-- activation and compiled to set-based SQL.  See doc/rules.md.
--
-- Decisions, facts, outcomes, document kinds and labels are rows; national
-- rows are shipped, the insurer's own are added (and kept by pg_dump).  A
-- rule table belongs to one decision and one layer; its versions are
-- append-only, bitemporal like the legal calendar (valid time, recorded_on,
-- and recorded_at which nobody sets), written by mynahoken_rule_author and
-- activated by a different mynahoken_rule_approver.  Activation runs the
-- checks (cells, references, parameters, overlaps, gaps, masked rows, guard
-- rails, the table's tests) and compiles every active version of the
-- decision into one inlinable LANGUAGE sql function.

-- The roles that write and approve rules.  Cluster-wide, so idempotent.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_rule_author') THEN
    CREATE ROLE mynahoken_rule_author NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_rule_approver') THEN
    CREATE ROLE mynahoken_rule_approver NOLOGIN;
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- The pure core, through C: the cell language, the box checks, primitives.

CREATE FUNCTION mynahoken.rule_cell_parse(cell text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_rule_cell_parse'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_cell_parse(text, text, text[]) IS
  'Parse a decision-table cell (unary test) against a fact type (int, date, boolean, enum with its values, text) into jsonb; 22P02 naming the problem and character for a bad cell; NULL for a NULL cell or type';

CREATE FUNCTION mynahoken.rule_cell_problem(cell text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'mynahoken_rule_cell_problem'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_cell_problem(text, text, text[]) IS
  'What is wrong with a decision-table cell for a fact type ("invalid integer at character 4"), or NULL when it parses';

CREATE FUNCTION mynahoken.rule_check_boxes(columns text[], fact_types text[], nullable boolean[],
                                           lo bigint[], hi bigint[], enum_values text[],
                                           row_nos integer[], cells text[], checks text[])
RETURNS TABLE (check_name text, rows integer[], witness text, uncertain boolean)
AS 'MODULE_PATHNAME', 'mynahoken_rule_check_boxes'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_check_boxes(text[], text[], boolean[], bigint[], bigint[], text[], integer[], text[], text[]) IS
  'Internal: n-dimensional box checks of a table''s cells (rows x columns): overlap (pairs, with the witness box), gap (uncovered boxes of the declared domains), masked (rows inside the union of earlier rows); uncertain when a param/day/fact cell was involved';

CREATE FUNCTION mynahoken.rule_age_on(birth_date date, day date)
RETURNS integer
AS 'MODULE_PATHNAME', 'mynahoken_rule_age_on'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_age_on(date, date) IS
  'Completed years of age (年齢) on a day: the birthday counts; a 29 February birth has its birthday on 1 March in other years (as the national decisions count)';

CREATE FUNCTION mynahoken.rule_insurer_category(insurer_number text)
RETURNS text
AS 'MODULE_PATHNAME', 'mynahoken_rule_insurer_category'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_insurer_category(text) IS
  'Insurer category (保険者の種別) of an insurer number given as text, or NULL when it is not a valid insurer number (the fact category)';

CREATE FUNCTION mynahoken.rule_national_certificate_need(insurer_number text, day date,
                                                         birth_date date, acquired_on date, lost_on date,
                                                         my_number_linked boolean,
                                                         myna_registered_on date, myna_withdrawn_on date,
                                                         ecert_expires_on date,
                                                         certificate_requested_on date,
                                                         known_on date)
RETURNS text
AS 'MODULE_PATHNAME', 'mynahoken_rule_national_certificate_need'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_national_certificate_need(text, date, date, date, date, boolean, date, date, date, date, date) IS
  'mynahoken.certificate_need for an insurer number given as text, as the reason''s label; NULL for a member it cannot decide (invalid insurer number, no birth date, lost before acquired, acquired before birth) instead of an error (the fact national_certificate_need)';

-- ---------------------------------------------------------------------------
-- Decisions, facts, outcomes, document kinds, labels

CREATE TABLE mynahoken.rule_decision (
  decision          text PRIMARY KEY CHECK (decision ~ '^[a-z][a-z0-9_]*$'),
  output_type       text NOT NULL CHECK (output_type IN ('outcome', 'date', 'daterange', 'outcome[]')),
  national_fact     text,            -- the fact holding the national decision, for exceptions
  description       text NOT NULL,
  shipped           boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE mynahoken.rule_decision IS
  'Decisions (named questions with a typed output) that rule tables answer';

CREATE TABLE mynahoken.rule_fact (
  fact          text PRIMARY KEY CHECK (fact ~ '^[a-z][a-z0-9_]*$' AND length(fact) <= 63),
  fact_type     text NOT NULL CHECK (fact_type IN ('int', 'date', 'boolean', 'enum', 'text')),
  kind          text NOT NULL CHECK (kind IN ('member', 'derived')),
  source_column text CHECK (source_column ~ '^[a-z_][a-z0-9_]*$'),
  expression    text,              -- derived: SQL over {member_column}, {day}, {known_on}
  enum_values   text[] CHECK (fact_type <> 'enum' OR cardinality(enum_values) BETWEEN 1 AND 63),
  lo            integer,           -- int facts: the domain the checks consider, [lo, hi)
  hi            integer,
  null_means    text NOT NULL DEFAULT 'none' CHECK (null_means IN ('none', 'unknown')),
  description   text NOT NULL,
  shipped       boolean NOT NULL DEFAULT true,
  CHECK ((kind = 'member') = (source_column IS NOT NULL)),
  CHECK ((kind = 'derived') = (expression IS NOT NULL)),
  -- derived facts are SQL: only the extension ships them
  CHECK (kind = 'member' OR shipped)
);
COMMENT ON TABLE mynahoken.rule_fact IS
  'Facts rule cells test: member-source columns (the insurer may declare its own) and derived facts over the primitive library; null_means says what NULL means (none: matches only a null cell; unknown: the member is undecidable)';

CREATE TABLE mynahoken.rule_outcome (
  decision          text NOT NULL REFERENCES mynahoken.rule_decision,
  code              text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  label_ja          text NOT NULL,
  needs_certificate boolean,         -- certificate_need: a 資格確認書 is issued
  statutory         boolean NOT NULL DEFAULT false,
  priority          integer NOT NULL DEFAULT 100,   -- hit policy priority: lower wins
  description       text,
  shipped           boolean NOT NULL DEFAULT true,
  PRIMARY KEY (decision, code)
);
COMMENT ON TABLE mynahoken.rule_outcome IS
  'Outcomes of a decision as rows: the national ones mirror the enums, an insurer adds its own without touching them';

CREATE TABLE mynahoken.document_kind (
  code              text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  print_name        text NOT NULL,
  validity_decision text REFERENCES mynahoken.rule_decision,
  sending_decision  text REFERENCES mynahoken.rule_decision,
  description       text,
  shipped           boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE mynahoken.document_kind IS
  'Kinds of document the insurer plans and prints, with the name printed; national kinds shipped, the insurer''s added';

CREATE TABLE mynahoken.rule_label (
  label       text PRIMARY KEY CHECK (label ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$'),
  decision    text NOT NULL REFERENCES mynahoken.rule_decision,
  outcomes    text[] NOT NULL,       -- national outcomes decided by this group
  overridable boolean NOT NULL,      -- an insurer table may be an exception to it
  description text NOT NULL,
  shipped     boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE mynahoken.rule_label IS
  'Labelled groups of a national decision: an insurer table is an exception to one label and is tried where the national decision falls in that group';

-- ---------------------------------------------------------------------------
-- Rule tables, versions, rows, tests

CREATE TABLE mynahoken.rule_table (
  table_name   text PRIMARY KEY CHECK (table_name ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(table_name) <= 100),
  decision     text NOT NULL REFERENCES mynahoken.rule_decision,
  layer        text NOT NULL CHECK (layer IN ('national', 'insurer')),
  applies_to   text[] NOT NULL     -- insurer numbers, prefixes (0613*), categories
               CHECK (array_to_string(applies_to, ',') ~ '^([0-9]+\*?|[a-z_]+)(,([0-9]+\*?|[a-z_]+))*$'
                      AND array_position(applies_to, NULL) IS NULL),
  exception_to text REFERENCES mynahoken.rule_label,
  hit_policy   text NOT NULL DEFAULT 'unique'
               CHECK (hit_policy IN ('unique', 'any', 'first', 'priority', 'collect', 'rule_order')),
  on_no_match  text NOT NULL DEFAULT 'national'
               CHECK (on_no_match IN ('error', 'national') OR on_no_match ~ '^default [a-z][a-z0-9_]*$'),
  yields_to    text REFERENCES mynahoken.rule_label,
  cap          text,
  description  text,
  created_by   name NOT NULL DEFAULT CURRENT_USER,
  shipped      boolean NOT NULL DEFAULT true,
  CHECK (layer = 'national' OR exception_to IS NOT NULL),
  CHECK (layer = 'insurer' OR shipped)
);
COMMENT ON TABLE mynahoken.rule_table IS
  'Decision tables: decision, layer, scope (applies_to), the national label it is an exception to, hit policy and what happens when no row matches';

CREATE SEQUENCE mynahoken.rule_version_id_seq;
COMMENT ON SEQUENCE mynahoken.rule_version_id_seq IS 'Identifiers of rule versions';

-- Append-only: a version is recorded as a draft, activated once by an
-- approver other than its author, and may later be withdrawn; nothing else
-- about it changes.  recorded_at, author and status are not the author's to
-- set (no INSERT privilege on them).
CREATE TABLE mynahoken.rule_version (
  version_id   bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.rule_version_id_seq'),
  table_name   text NOT NULL REFERENCES mynahoken.rule_table,
  valid        daterange NOT NULL CHECK (NOT isempty(valid)),
  recorded_on  date NOT NULL CHECK (isfinite(recorded_on)),   -- first knowledge day
  recorded_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),  -- system time
  source       text NOT NULL,
  columns      text[] NOT NULL,
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'withdrawn')),
  author       name NOT NULL DEFAULT CURRENT_USER,
  approved_by  name,
  activated_at timestamptz,
  diagnostics  jsonb,
  note         text,
  shipped      boolean NOT NULL DEFAULT true,
  CHECK ((status = 'draft') = (approved_by IS NULL))
);
ALTER SEQUENCE mynahoken.rule_version_id_seq OWNED BY mynahoken.rule_version.version_id;
COMMENT ON TABLE mynahoken.rule_version IS
  'Versions of a rule table (append-only): valid time, knowledge day, system time (recorded_at), source, input columns, status draft -> active -> withdrawn, author and approver';

CREATE TABLE mynahoken.rule_row (
  version_id  bigint NOT NULL REFERENCES mynahoken.rule_version,
  row_no      integer NOT NULL CHECK (row_no > 0),
  cells       text[] NOT NULL,
  outcome     text NOT NULL,
  label       text,
  note        text,
  shipped     boolean NOT NULL DEFAULT true,
  PRIMARY KEY (version_id, row_no)
);
COMMENT ON TABLE mynahoken.rule_row IS
  'Rows of a rule version: one cell per input column (the cell language of doc/rules.md) and the outcome';

CREATE SEQUENCE mynahoken.rule_test_id_seq;
COMMENT ON SEQUENCE mynahoken.rule_test_id_seq IS 'Identifiers of rule test cases';

CREATE TABLE mynahoken.rule_test (
  test_id     bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.rule_test_id_seq'),
  table_name  text NOT NULL REFERENCES mynahoken.rule_table,
  name        text NOT NULL,
  as_of       date NOT NULL,
  known_on    date,
  facts       jsonb NOT NULL CHECK (jsonb_typeof(facts) = 'object'),
  expect      text NOT NULL,
  author      name NOT NULL DEFAULT CURRENT_USER,
  shipped     boolean NOT NULL DEFAULT true,
  UNIQUE (table_name, name)
);
ALTER SEQUENCE mynahoken.rule_test_id_seq OWNED BY mynahoken.rule_test.test_id;
COMMENT ON TABLE mynahoken.rule_test IS
  'Test cases stored with a rule table: member facts in (member-source columns as jsonb), the expected outcome; run at activation';

CREATE TABLE mynahoken.rule_compiled (
  decision     text PRIMARY KEY REFERENCES mynahoken.rule_decision,
  eval_function text,              -- NULL while no member source is registered
  decide_function text NOT NULL,
  versions     bigint[] NOT NULL,
  source_relation text,
  body         text NOT NULL,
  compiled_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
COMMENT ON TABLE mynahoken.rule_compiled IS
  'The compiled form of each decision: generated functions, the versions they contain and the generated query';

CREATE TYPE mynahoken.rule_hit AS (
  outcome    text,
  version_id bigint,
  row_no     integer,
  layer      text,
  table_name text
);
COMMENT ON TYPE mynahoken.rule_hit IS
  'What a compiled decision returns for a member: the outcome and the rule version and row that produced it (NULL for the national layer), the layer and table';

-- ---------------------------------------------------------------------------
-- Guards: shipped rows are read-only; versions and their rows are append-only.

CREATE FUNCTION mynahoken.rule_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.shipped THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format('shipped rows of mynahoken.%s cannot be changed or deleted', TG_TABLE_NAME),
      detail => 'CREATE EXTENSION restores the shipped rows and a dump keeps only the insurer''s own, so the change would be lost.',
      hint => 'Add a row of your own, or an insurer rule table that is an exception to a national label.');
  END IF;
  IF TG_TABLE_NAME = 'rule_row' THEN
    SELECT * INTO v FROM mynahoken.rule_version x
     WHERE x.version_id = CASE TG_OP WHEN 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
    -- a restore (superuser) loads the rows of active versions
    IF v.status <> 'draft' AND NOT (TG_OP = 'INSERT'
        AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)) THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format('rows of rule version %s cannot change: it is %s', v.version_id, v.status),
        hint => 'Record a new version with mynahoken.rule_version_record().');
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.version_id <> OLD.version_id THEN
      PERFORM mynahoken.raise_error('23000', 'a rule row cannot move to another version');
    END IF;
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_guard() IS
  'Trigger: shipped rule rows are read-only; rows of a version change only while it is a draft';

-- Versions: only the status moves (draft -> active -> withdrawn), by an
-- approver who is not the author; activation runs the checks and refuses a
-- version with errors.  The approver and the time are recorded here.
CREATE FUNCTION mynahoken.rule_version_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  errors text;
  diag jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' OR OLD.shipped THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format('rule version %s is %s and cannot be deleted', OLD.version_id, OLD.status),
        hint => 'Withdraw it (status withdrawn) or record a superseding version.');
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.version_id, NEW.table_name, NEW.valid, NEW.recorded_on, NEW.recorded_at, NEW.source,
      NEW.columns, NEW.author, NEW.shipped, NEW.note)
     IS DISTINCT FROM
     (OLD.version_id, OLD.table_name, OLD.valid, OLD.recorded_on, OLD.recorded_at, OLD.source,
      OLD.columns, OLD.author, OLD.shipped, OLD.note) THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format('rule versions are append-only: only the status of version %s can change', OLD.version_id),
      hint => 'Record a new version with mynahoken.rule_version_record().');
  END IF;
  IF NEW.status = OLD.status THEN
    IF (NEW.approved_by, NEW.activated_at, NEW.diagnostics)
       IS DISTINCT FROM (OLD.approved_by, OLD.activated_at, OLD.diagnostics) THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format('the approval of rule version %s cannot be changed', OLD.version_id));
    END IF;
    RETURN NEW;
  END IF;
  IF NOT (OLD.status = 'draft' AND NEW.status = 'active')
     AND NOT (OLD.status = 'active' AND NEW.status = 'withdrawn') THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format('rule version %s cannot go from %s to %s', OLD.version_id, OLD.status, NEW.status));
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate or withdraw rule versions');
  END IF;
  IF OLD.status = 'draft' THEN
    IF current_user = OLD.author THEN
      PERFORM mynahoken.raise_error('42501', pg_catalog.format('rule version %s was recorded by %s, who cannot also approve it', OLD.version_id, OLD.author),
        hint => 'Another member of mynahoken_rule_approver activates it (four eyes).');
    END IF;
    SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.severity, c.check_name, c.rows),
           pg_catalog.string_agg(c.detail, '; ' ORDER BY c.check_name, c.rows) FILTER (WHERE c.severity = 'error')
      INTO diag, errors
      FROM mynahoken.rule_check(OLD.version_id) c;
    IF errors IS NOT NULL THEN
      PERFORM mynahoken.raise_error('23514', pg_catalog.format('rule version %s of "%s" is refused: %s', OLD.version_id, OLD.table_name, errors),
        hint => 'SELECT * FROM mynahoken.rule_check(version) lists every check with its witness.');
    END IF;
    NEW.diagnostics := coalesce(diag, '[]');
  END IF;
  NEW.approved_by := current_user;
  NEW.activated_at := pg_catalog.clock_timestamp();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_version_guard() IS
  'Trigger: rule versions are append-only; activation (draft -> active) by an approver other than the author, refused when a check reports an error';

-- After a status change the decision is compiled again.
CREATE FUNCTION mynahoken.rule_version_compile()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM mynahoken.rule_compile(t.decision)
     FROM mynahoken.rule_table t WHERE t.table_name = NEW.table_name;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_version_compile() IS
  'Trigger: compile the decision again after a version is activated or withdrawn';

CREATE TRIGGER rule_decision_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_decision
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_fact_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_fact
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_outcome_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_outcome
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER document_kind_guard BEFORE UPDATE OR DELETE ON mynahoken.document_kind
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_label_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_label
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_table_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_table
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_row_guard BEFORE INSERT OR UPDATE OR DELETE ON mynahoken.rule_row
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_test_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_test
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_guard();
CREATE TRIGGER rule_version_guard BEFORE UPDATE OR DELETE ON mynahoken.rule_version
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_version_guard();
CREATE TRIGGER rule_version_compile AFTER UPDATE OF status ON mynahoken.rule_version
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION mynahoken.rule_version_compile();

-- ---------------------------------------------------------------------------
-- Shipped rows: the national decisions, their facts, outcomes and labels.

INSERT INTO mynahoken.rule_decision (decision, output_type, national_fact, description) VALUES
  ('certificate_need', 'outcome', 'national_certificate_need',
   'Whether, and on which ground, a member needs a 資格確認書 on a day (mynahoken.certificate_need)'),
  ('certificate_valid_until', 'date', NULL,
   'Last valid day of a 資格確認書 issued on a day (mynahoken.certificate_valid_until)'),
  ('usable_documents', 'outcome[]', NULL,
   'Documents a member can show on a day (mynahoken.usable_documents)'),
  ('document_plan', 'outcome[]', NULL,
   'Documents to plan for a member on a day (the issuance job)');

INSERT INTO mynahoken.rule_fact (fact, fact_type, kind, source_column, expression, enum_values, lo, hi, null_means, description) VALUES
  ('insurer_number', 'text', 'member', 'insurer_number', NULL, NULL, NULL, NULL, 'unknown', '保険者番号 of the member'),
  ('birth_date', 'date', 'member', 'birth_date', NULL, NULL, NULL, NULL, 'unknown', '生年月日'),
  ('acquired_on', 'date', 'member', 'acquired_on', NULL, NULL, NULL, NULL, 'unknown', '資格取得日'),
  ('lost_on', 'date', 'member', 'lost_on', NULL, NULL, NULL, NULL, 'none', '資格喪失日; NULL: still covered'),
  ('my_number_linked', 'boolean', 'member', 'my_number_linked', NULL, NULL, NULL, NULL, 'unknown', 'The insurer holds the member''s My Number'),
  ('myna_registered_on', 'date', 'member', 'myna_registered_on', NULL, NULL, NULL, NULL, 'none', 'マイナ保険証 利用登録 day; NULL: never registered'),
  ('myna_withdrawn_on', 'date', 'member', 'myna_withdrawn_on', NULL, NULL, NULL, NULL, 'none', '利用登録解除 day; NULL: never withdrawn'),
  ('ecert_expires_on', 'date', 'member', 'ecert_expires_on', NULL, NULL, NULL, NULL, 'none', '電子証明書 expiry; NULL: not recorded'),
  ('certificate_requested_on', 'date', 'member', 'certificate_requested_on', NULL, NULL, NULL, NULL, 'none', '資格確認書 交付申請 day; NULL: never requested'),
  ('certificate_valid_until', 'date', 'member', 'certificate_valid_until', NULL, NULL, NULL, NULL, 'none', 'Last valid day of a 資格確認書 held; NULL: none'),
  ('age', 'int', 'derived', NULL, 'mynahoken.rule_age_on({birth_date}, {day})', NULL, 0, 150, 'unknown',
   'Completed years of age on the decision day (mynahoken.rule_age_on)'),
  ('category', 'enum', 'derived', NULL,
   'mynahoken.rule_insurer_category(CAST({insurer_number} AS pg_catalog.text))',
   ARRAY(SELECT pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.insurer_category))::text),
   NULL, NULL, 'unknown', 'Insurer category (保険者の種別) of the member''s insurer number'),
  ('national_certificate_need', 'enum', 'derived', NULL,
   'mynahoken.rule_national_certificate_need(CAST({insurer_number} AS pg_catalog.text), {day}, {birth_date}, {acquired_on}, {lost_on}, {my_number_linked}, {myna_registered_on}, {myna_withdrawn_on}, {ecert_expires_on}, {certificate_requested_on}, {known_on})',
   ARRAY(SELECT pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.certificate_reason))::text),
   NULL, NULL, 'unknown', 'The national decision mynahoken.certificate_need on the decision day; NULL for a member it cannot decide (invalid insurer number, no birth date, contradictory facts)');

INSERT INTO mynahoken.rule_outcome (decision, code, label_ja, needs_certificate, statutory, priority, description) VALUES
  ('certificate_need', 'not_eligible', '資格なし', false, true, 10, 'No 資格 on the day: no document at all'),
  ('certificate_need', 'late_elderly_blanket', '後期高齢者 暫定運用による交付', true, true, 20, '後期高齢者 暫定運用: everyone gets one'),
  ('certificate_need', 'late_elderly_age', '後期高齢者 年齢による交付', true, true, 30, '後期高齢者 aged 85+ rule (UNCONFIRMED)'),
  ('certificate_need', 'no_my_number', '個人番号未登録', true, true, 40, 'The insurer holds no My Number for the member'),
  ('certificate_need', 'not_registered', 'マイナ保険証 未登録', true, true, 50, 'Card not registered for insurance use'),
  ('certificate_need', 'registration_withdrawn', '利用登録解除', true, true, 60, '利用登録解除'),
  ('certificate_need', 'ecert_expired', '電子証明書 失効', true, true, 70, 'e-certificate expired, grace period over'),
  ('certificate_need', 'on_request', '申請による交付', true, true, 80, 'Applied for one (申請, 要配慮者)'),
  ('certificate_need', 'not_needed', '交付不要', false, true, 90, 'マイナ保険証 usable, no other ground');

INSERT INTO mynahoken.rule_label (label, decision, outcomes, overridable, description) VALUES
  ('national.certificate_need:eligibility', 'certificate_need', '{not_eligible}', false,
   'No 資格 on the day: stays above every insurer layer'),
  ('national.certificate_need:late_elderly', 'certificate_need', '{late_elderly_blanket,late_elderly_age}', true,
   '後期高齢者 grounds'),
  ('national.certificate_need:myna', 'certificate_need',
   '{no_my_number,not_registered,registration_withdrawn,ecert_expired,not_needed}', true,
   'マイナ保険証 grounds: whether the member can use a マイナ保険証'),
  ('national.certificate_need:on_request', 'certificate_need', '{on_request}', true,
   'Application (申請)');

INSERT INTO mynahoken.document_kind (code, print_name, validity_decision, sending_decision, description) VALUES
  ('certificate', '資格確認書', 'certificate_valid_until', NULL, 'The 資格確認書 (mynahoken.issuance_document certificate)'),
  ('notice', '資格情報のお知らせ', NULL, NULL, 'The 資格情報のお知らせ (mynahoken.issuance_document notice)');

-- From here on, rows are the insurer's own.
ALTER TABLE mynahoken.rule_decision ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_fact ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_outcome ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.document_kind ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_label ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_table ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_version ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_row ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.rule_test ALTER COLUMN shipped SET DEFAULT false;

SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_decision', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_fact', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_outcome', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.document_kind', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_label', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_table', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_version', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_version_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_row', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_test', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_test_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_compiled', '');

-- ---------------------------------------------------------------------------
-- Defining rules: outcomes, facts, tables, versions (a grid), tests.

CREATE FUNCTION mynahoken.rule_outcome_add(decision text, code text, label_ja text,
                                           needs_certificate boolean DEFAULT NULL,
                                           priority integer DEFAULT 100, description text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_outcome (decision, code, label_ja, needs_certificate, statutory, priority, description)
  VALUES (rule_outcome_add.decision, rule_outcome_add.code, rule_outcome_add.label_ja,
          rule_outcome_add.needs_certificate, false, rule_outcome_add.priority, rule_outcome_add.description);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown decision',
      hint => 'The decisions are listed in mynahoken.rule_decision.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the outcome cannot be added',
      detail => format('It breaks constraint %s of mynahoken.rule_outcome.', c),
      hint => 'An outcome code is lower case letters, digits and underscores, and new for its decision.');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_outcome_add(text, text, text, boolean, integer, text) IS
  'Add an insurer outcome to a decision (never statutory); for certificate_need say whether it issues a 資格確認書';

CREATE FUNCTION mynahoken.rule_fact_add(fact text, fact_type text, source_column text, description text,
                                        null_means text DEFAULT 'none', enum_values text[] DEFAULT NULL,
                                        lo integer DEFAULT NULL, hi integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_fact (fact, fact_type, kind, source_column, expression, enum_values, lo, hi, null_means, description)
  VALUES (rule_fact_add.fact, rule_fact_add.fact_type, 'member', rule_fact_add.source_column, NULL,
          rule_fact_add.enum_values, rule_fact_add.lo, rule_fact_add.hi, rule_fact_add.null_means,
          rule_fact_add.description);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown reference',
      hint => 'See the columns of mynahoken.rule_fact.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the fact cannot be added',
      detail => format('It breaks constraint %s of mynahoken.rule_fact.', c));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_fact_add(text, text, text, text, text, text[], integer, integer) IS
  'Declare a fact read from a column of the insurer''s member source (要配慮者 flags, counts, dates ...), with its type and what its NULL means';

CREATE FUNCTION mynahoken.rule_table_define(table_name text, decision text, applies_to text[],
                                            exception_to text, hit_policy text DEFAULT 'unique',
                                            on_no_match text DEFAULT 'national',
                                            yields_to text DEFAULT NULL, cap text DEFAULT NULL,
                                            description text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_table (table_name, decision, layer, applies_to, exception_to, hit_policy,
                                    on_no_match, yields_to, cap, description)
  VALUES (rule_table_define.table_name, rule_table_define.decision, 'insurer', rule_table_define.applies_to,
          rule_table_define.exception_to, rule_table_define.hit_policy, rule_table_define.on_no_match,
          rule_table_define.yields_to, rule_table_define.cap, rule_table_define.description);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown decision or label',
      hint => 'The decisions are listed in mynahoken.rule_decision, the labels in mynahoken.rule_label.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the rule table cannot be added',
      detail => format('It breaks constraint %s of mynahoken.rule_table.', c));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_table_define(text, text, text[], text, text, text, text, text, text) IS
  'Define an insurer rule table: its decision, scope (insurer numbers, prefixes such as 0613*, or categories), the national label it is an exception to, hit policy and on_no_match (national, error, default <outcome>)';

CREATE FUNCTION mynahoken.rule_test_add(table_name text, name text, as_of date, facts jsonb, expect text,
                                        known_on date DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_test (table_name, name, as_of, known_on, facts, expect)
  VALUES (rule_test_add.table_name, rule_test_add.name, rule_test_add.as_of, rule_test_add.known_on,
          rule_test_add.facts, rule_test_add.expect);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown rule table',
      hint => 'Define it with mynahoken.rule_table_define() first.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the test case cannot be added',
      detail => format('It breaks constraint %s of mynahoken.rule_test.', c));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_test_add(text, text, date, jsonb, text, date) IS
  'Store a test case with a rule table: member-source columns as jsonb, the decision day and the expected outcome; run at every activation';

-- The cell of a fact, checked: the problem text, or NULL.
CREATE FUNCTION mynahoken.rule_cell_check(cell text, fact text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN f.fact IS NULL THEN pg_catalog.format('"%s" is not a declared fact', rule_cell_check.fact)
              ELSE mynahoken.rule_cell_problem(rule_cell_check.cell, f.fact_type, f.enum_values) END
    FROM (SELECT 1) AS one
    LEFT JOIN mynahoken.rule_fact AS f ON f.fact OPERATOR(pg_catalog.=) rule_cell_check.fact;
END;
COMMENT ON FUNCTION mynahoken.rule_cell_check(text, text) IS
  'What is wrong with a cell for a declared fact (unknown fact, or the parser''s problem with its position), or NULL';

CREATE FUNCTION mynahoken.rule_version_record(table_name text, valid daterange, source text,
                                              recorded_on date, rows text, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lines text[];
  header text[];
  cols text[];
  parts text[];
  cells text[];
  line text;
  lineno int := 0;
  vid bigint;
  rn int;
  problem text;
  outcome text;
BEGIN
  IF rows IS NULL OR table_name IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a rule version needs a table and rows');
  END IF;
  -- The grid: a header "row | fact | fact || outcome", then one line per row.
  -- Cells cannot contain "|" here (insert into rule_row directly for that).
  FOREACH line IN ARRAY regexp_split_to_array(rows, E'\n') LOOP
    lineno := lineno + 1;
    CONTINUE WHEN btrim(line) = '';
    IF strpos(line, '||') = 0 THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format('line %s of the grid has no "||" before its outcome', lineno),
        hint => 'Write "row | cell | cell || outcome".');
    END IF;
    outcome := btrim(split_part(line, '||', 2));
    parts := ARRAY(SELECT btrim(p) FROM unnest(string_to_array(split_part(line, '||', 1), '|')) AS p);
    IF header IS NULL THEN
      header := parts;
      IF header[1] <> 'row' OR outcome <> 'outcome' THEN
        PERFORM mynahoken.raise_error('22P02', 'the grid header must read "row | <fact> ... || outcome"');
      END IF;
      cols := header[2:];
      IF cardinality(cols) = 0 THEN
        PERFORM mynahoken.raise_error('22P02', 'the grid has no input column');
      END IF;
      FOR i IN 1 .. cardinality(cols) LOOP
        PERFORM FROM mynahoken.rule_fact f WHERE f.fact = cols[i];
        IF NOT FOUND THEN
          PERFORM mynahoken.raise_error('42704', pg_catalog.format('column "%s" of the grid is not a declared fact', cols[i]),
            hint => 'Facts are listed in mynahoken.rule_fact; declare a column of your own with mynahoken.rule_fact_add().');
        END IF;
      END LOOP;
      INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, note)
      VALUES (rule_version_record.table_name, rule_version_record.valid, rule_version_record.recorded_on,
              rule_version_record.source, cols, rule_version_record.note)
      RETURNING version_id INTO vid;
      CONTINUE;
    END IF;
    IF parts[1] !~ '^[0-9]{1,6}$' THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format('line %s of the grid does not start with a row number', lineno));
    END IF;
    rn := parts[1]::int;
    cells := parts[2:];
    IF cardinality(cells) <> cardinality(cols) THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format('row %s has %s cells for %s columns', rn, cardinality(cells), cardinality(cols)));
    END IF;
    FOR i IN 1 .. cardinality(cols) LOOP
      problem := mynahoken.rule_cell_check(cells[i], cols[i]);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format('invalid cell in row %s, column "%s"', rn, cols[i]),
          detail => upper(left(problem, 1)) || substr(problem, 2) || '.');
      END IF;
    END LOOP;
    INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) VALUES (vid, rn, cells, outcome);
  END LOOP;
  IF vid IS NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the grid is empty');
  END IF;
  RETURN vid;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_version_record(text, daterange, text, date, text, text) IS
  'Record a draft version of a rule table from a grid ("row | fact ... || outcome", one line per row), checking every cell (22P02 naming row, column and cell); returns the version id';

-- ---------------------------------------------------------------------------
-- Compiling: cells to SQL predicates, a decision to one query.

-- The SQL of a fact over the member row m: a source column, or a derived
-- fact's expression with its placeholders replaced.  In "facts" mode the
-- member is a jsonb object m.j (the scalar twin and the tests).
CREATE FUNCTION mynahoken.rule_fact_sql(fact text, mode text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  f mynahoken.rule_fact;
  e text;
  col text;
  coltype text;
BEGIN
  SELECT * INTO f FROM mynahoken.rule_fact x WHERE x.fact = rule_fact_sql.fact;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'unknown fact');
  END IF;
  IF f.kind = 'member' THEN
    e := '{' || f.source_column || '}';
  ELSE
    e := f.expression;
  END IF;
  FOR col IN SELECT DISTINCT (regexp_matches(e, '\{([a-z_][a-z0-9_]*)\}', 'g'))[1] LOOP
    IF col = 'day' THEN
      e := replace(e, '{day}', '$1');
    ELSIF col = 'known_on' THEN
      e := replace(e, '{known_on}', '$2');
    ELSIF mode = 'member' THEN
      e := replace(e, '{' || col || '}', format('m.%I', col));
    ELSE
      SELECT CASE x.fact_type WHEN 'int' THEN 'pg_catalog.int4' WHEN 'date' THEN 'pg_catalog.date'
                              WHEN 'boolean' THEN 'pg_catalog.bool' ELSE 'pg_catalog.text' END
        INTO coltype
        FROM mynahoken.rule_fact x WHERE x.source_column = col ORDER BY x.shipped DESC, x.fact LIMIT 1;
      e := replace(e, '{' || col || '}',
                   format('CAST((m.j OPERATOR(pg_catalog.->>) %L) AS %s)', col, coalesce(coltype, 'pg_catalog.text')));
    END IF;
  END LOOP;
  IF f.kind = 'member' THEN
    e := format('CAST(%s AS %s)', e,
                CASE f.fact_type WHEN 'int' THEN 'pg_catalog.int4' WHEN 'date' THEN 'pg_catalog.date'
                                 WHEN 'boolean' THEN 'pg_catalog.bool' ELSE 'pg_catalog.text' END);
  END IF;
  RETURN e;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_fact_sql(text, text) IS
  'Internal: SQL expression of a fact over the member row m (mode member) or the jsonb m.j (mode facts); every name qualified';

-- One operand of a parsed cell as SQL: literals only through format %L.
CREATE FUNCTION mynahoken.rule_operand_sql(op jsonb, fact_type text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ptype text;
BEGIN
  IF op ? 'int' THEN
    RETURN format('CAST(%L AS pg_catalog.int4)', op->>'int');
  ELSIF op ? 'date' THEN
    RETURN format('CAST(%L AS pg_catalog.date)', op->>'date');
  ELSIF op ? 'bool' THEN
    RETURN format('CAST(%L AS pg_catalog.bool)', op->>'bool');
  ELSIF op ? 'text' THEN
    RETURN format('CAST(%L AS pg_catalog.text)', op->>'text');
  ELSIF op ? 'day' THEN
    RETURN '$1';
  ELSIF op ? 'fact' THEN
    IF mode IS NULL THEN
      RETURN format('f.%I', op->>'fact');
    END IF;
    RETURN '(' || mynahoken.rule_fact_sql(op->>'fact', mode) || ')';
  ELSIF op ? 'param' THEN
    SELECT d.value_type::text INTO ptype FROM mynahoken.legal_parameter_def d WHERE d.name = op->>'param';
    -- an uncorrelated scalar subquery: an InitPlan, read once per statement
    RETURN format('(SELECT mynahoken.legal_value_%s(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))',
                  CASE ptype WHEN 'int' THEN 'int' WHEN 'date' THEN 'date' WHEN 'boolean' THEN 'bool' ELSE 'text' END,
                  op->>'param', scope);
  END IF;
  PERFORM mynahoken.raise_error('XX000', pg_catalog.format('unknown operand %s', op));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_operand_sql(jsonb, text, text, text) IS
  'Internal: SQL of one operand of a parsed cell (constants through format %L, param() as an uncorrelated scalar subquery on the decision and knowledge days, another fact as f.<fact> or, with a mode, its expression)';

CREATE FUNCTION mynahoken.rule_cell_sql(cell text, fact text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  f mynahoken.rule_fact;
  j jsonb;
  it jsonb;
  x text;
  parts text[] := '{}';
  ops CONSTANT jsonb := '{"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}';
BEGIN
  SELECT * INTO f FROM mynahoken.rule_fact r WHERE r.fact = rule_cell_sql.fact;
  j := mynahoken.rule_cell_parse(cell, f.fact_type, f.enum_values);
  -- the facts row f (explanations), or the fact's expression inline
  x := CASE WHEN mode IS NULL THEN format('f.%I', fact)
            ELSE '(' || mynahoken.rule_fact_sql(fact, mode) || ')' END;
  CASE j->>'kind'
    WHEN 'any' THEN RETURN 'true';
    WHEN 'null' THEN RETURN format('(%s IS NULL)', x);
    WHEN 'not_null' THEN RETURN format('(%s IS NOT NULL)', x);
    WHEN 'sql' THEN
      PERFORM mynahoken.raise_error('0A000', 'sql: cells are not compiled');
    ELSE NULL;
  END CASE;
  FOR it IN SELECT * FROM jsonb_array_elements(j->'items') LOOP
    IF it->>'op' = 'range' THEN
      parts := parts || format('(%s OPERATOR(pg_catalog.%s) %s AND %s OPERATOR(pg_catalog.%s) %s)',
                               x, CASE WHEN (it->>'lo_incl')::boolean THEN '>=' ELSE '>' END,
                               mynahoken.rule_operand_sql(it->'lo', f.fact_type, scope, mode),
                               x, CASE WHEN (it->>'hi_incl')::boolean THEN '<=' ELSE '<' END,
                               mynahoken.rule_operand_sql(it->'hi', f.fact_type, scope, mode));
    ELSE
      parts := parts || format('%s OPERATOR(pg_catalog.%s) %s', x, ops->>(it->>'op'),
                               mynahoken.rule_operand_sql(it->'value', f.fact_type, scope, mode));
    END IF;
  END LOOP;
  -- NULL never matches a test or a negation (null_means none)
  IF (j->>'negated')::boolean THEN
    RETURN format('COALESCE(NOT (%s), false)', array_to_string(parts, ' OR '));
  END IF;
  RETURN format('COALESCE((%s), false)', array_to_string(parts, ' OR '));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_cell_sql(text, text, text, text) IS
  'Internal: the SQL predicate of one cell over the facts row f, or with a mode (member, facts) over the facts'' expressions; cell text reaches SQL only through format %L';

-- The scope category a table's parameters are read for: the one category
-- of all its insurer numbers and categories, or NULL (every category).
CREATE FUNCTION mynahoken.rule_table_scope(applies_to text[])
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN pg_catalog.count(DISTINCT c) OPERATOR(pg_catalog.=) 1
                   AND pg_catalog.bool_and(c IS NOT NULL) THEN pg_catalog.min(c) END
    FROM (SELECT CASE WHEN a.e OPERATOR(pg_catalog.~) '^[0-9]{6}$|^[0-9]{8}$'
                        AND mynahoken.insurer_number_is_valid(a.e)
                      THEN CAST(mynahoken.category(mynahoken.insurer_number(a.e)) AS pg_catalog.text)
                      WHEN a.e OPERATOR(pg_catalog.=) ANY (CAST(pg_catalog.enum_range(CAST(NULL AS mynahoken.insurer_category)) AS pg_catalog.text[]))
                      THEN a.e END AS c
            FROM pg_catalog.unnest(rule_table_scope.applies_to) AS a(e)) AS s;
END;
COMMENT ON FUNCTION mynahoken.rule_table_scope(text[]) IS
  'Internal: the insurer category a table''s parameters are read for (the single category of its applies_to), or NULL for every category';

-- The condition that a member is in a table's scope.
CREATE FUNCTION mynahoken.rule_applies_sql(applies_to text[], number_sql text DEFAULT 'f.insurer_number',
                                           category_sql text DEFAULT 'f.category')
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT '(' OPERATOR(pg_catalog.||) pg_catalog.string_agg(
           CASE WHEN a.e OPERATOR(pg_catalog.~) '^[0-9]+\*$'
                THEN pg_catalog.format('pg_catalog.starts_with(%s, %L)', rule_applies_sql.number_sql, pg_catalog.rtrim(a.e, '*'))
                WHEN a.e OPERATOR(pg_catalog.~) '^[0-9]+$'
                THEN pg_catalog.format('%s OPERATOR(pg_catalog.=) %L', rule_applies_sql.number_sql, a.e)
                ELSE pg_catalog.format('%s OPERATOR(pg_catalog.=) %L', rule_applies_sql.category_sql, a.e) END,
           ' OR ' ORDER BY a.i) OPERATOR(pg_catalog.||) ')'
    FROM pg_catalog.unnest(rule_applies_sql.applies_to) WITH ORDINALITY AS a(e, i);
END;
COMMENT ON FUNCTION mynahoken.rule_applies_sql(text[], text, text) IS
  'Internal: SQL condition that the member (facts row f) is in a table''s scope: insurer numbers, prefixes (0613*) or categories, each through format %L';

-- The query of a decision over the active versions (and a candidate draft,
-- for the checks).  mode member: FROM the member source; mode facts: FROM
-- the jsonb $3 (the scalar twin, the tests); mode trace: FROM the member
-- source, all facts in a lateral row, with the truth of every cell of every
-- row (the explanations).
CREATE FUNCTION mynahoken.rule_compile_query(decision text, mode text, source text DEFAULT NULL,
                                             candidate bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  oc record;
  facts text[];
  whens text[] := '{}';
  tried text[] := '{}';
  cell_list text;
  fm text := CASE WHEN mode IN ('member', 'facts') THEN mode END;   -- NULL: over the facts row f
  cell_preds text[];
  nat_whens text[] := '{}';
  fast_tab text[] := '{}';     -- fast mode: the table of each WHEN, and its scope condition
  fast_app text[] := '{}';
  fapplies text;
  fast_sql text[] := '{}';      -- fast mode: the WHENs of each table, with the national outcomes they apply to
  fast_outs text[] := '{}';
  -- fast mode: the CASE gives the number of a hit; its fields are constant arrays
  h_o text[] := '{}';
  h_v bigint[] := '{}';
  h_r integer[] := '{}';
  h_l text[] := '{}';
  h_t text[] := '{}';
  fcond text;
  fhit text;
  branches text;
  vcond text;
  cond text;
  scope text;
  nat text;
  unknowns text;
  fact_list text;
  hit text;
BEGIN
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_query.decision;
  IF NOT FOUND OR d.output_type <> 'outcome' OR d.national_fact IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision cannot be compiled yet',
      detail => 'This version compiles decisions with an outcome and a national decision to fall back on.');
  END IF;
  nat := format('f.%I', d.national_fact);
  facts := ARRAY[d.national_fact, 'insurer_number', 'category'];

  -- insurer tables in name order; each table's versions newest first
  FOR t IN
    SELECT x.*, l.outcomes
      FROM mynahoken.rule_table x JOIN mynahoken.rule_label l ON l.label = x.exception_to
     WHERE x.decision = rule_compile_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_version y
       WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
       ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_version z
         WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
           AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      cond := format('%s OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.text[])) AND %s AND %s',
                     nat, t.outcomes, mynahoken.rule_applies_sql(t.applies_to), vcond);
      -- fast mode: the national outcome is the branch; facts inline
      IF fm IS NOT NULL THEN
        fapplies := mynahoken.rule_applies_sql(t.applies_to,
                      '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                      '(' || mynahoken.rule_fact_sql('category', fm) || ')');
        fcond := vcond;      -- the table's scope is tested once, around its rows
      END IF;
      facts := facts || v.columns;
      -- a fact whose NULL means unknown, tested by a row: undecidable member
      SELECT string_agg(CASE WHEN fm IS NULL THEN format('f.%I IS NULL', c.col)
                             ELSE format('(%s) IS NULL', mynahoken.rule_fact_sql(c.col, fm)) END, ' OR ')
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-') c
        JOIN mynahoken.rule_fact rf ON rf.fact = c.col AND rf.null_means = 'unknown';
      IF unknowns IS NOT NULL THEN
        whens := whens || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L) AS mynahoken.rule_hit)',
                                 cond, unknowns, v.version_id, 'undecidable', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'undecidable'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s AND (%s) THEN %s', fcond, unknowns, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
      FOR r IN
        SELECT rr.*, o.priority
          FROM mynahoken.rule_row rr
          LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
         WHERE rr.version_id = v.version_id
         ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no
      LOOP
        -- each cell's predicate once: over the facts row (trace) or inline
        SELECT array_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm) ORDER BY i)
          INTO cell_preds
          FROM generate_subscripts(v.columns, 1) AS i;
        hit := array_to_string(cell_preds, ' AND ');
        fhit := hit;
        cell_list := array_to_string(cell_preds, ', ');
        IF fm IS NOT NULL THEN
          h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
          fast_sql := fast_sql || format('WHEN %s AND %s THEN %s', fcond, fhit, cardinality(h_o));
          fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
        END IF;
        -- the explanation reads the truth of each cell from the same predicates
        tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, (%s), %L, pg_catalog.to_jsonb(ARRAY[%s]))',
                                 'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                 'in_scope', cond, 'cells', cell_list);
        whens := whens || format('WHEN %s AND %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), %s, %L, %L) AS mynahoken.rule_hit)',
                                 cond, hit, r.outcome, v.version_id, r.row_no, 'insurer', t.table_name);
      END LOOP;
      IF t.on_no_match LIKE 'default %' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), NULL, %L, %L) AS mynahoken.rule_hit)',
                                 cond, substr(t.on_no_match, 9), v.version_id, 'insurer', t.table_name);
        h_o := h_o || substr(t.on_no_match, 9); h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      ELSIF t.on_no_match = 'error' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L) AS mynahoken.rule_hit)',
                                 cond, v.version_id, 'no_match', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'no_match'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
    END LOOP;
  END LOOP;

  IF fm IS NOT NULL THEN
    -- The national decision is computed once per member and numbered (a
    -- simple CASE on it, lateral row n); then, for the national outcomes of
    -- each label with insurer exceptions, the WHENs of those tables in order,
    -- facts inline (lateral row d).  The number of the hit indexes constant
    -- arrays of outcome, version, row, layer and table: no composite is built
    -- per member.  n is nested in d, so that the planner has no lateral join
    -- to cache (Memoize) on fact values.
    FOR oc IN SELECT o.code FROM mynahoken.rule_outcome o
              WHERE o.decision = rule_compile_query.decision AND o.statutory ORDER BY o.priority, o.code LOOP
      h_o := h_o || oc.code; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
      h_l := h_l || 'national'::text; h_t := h_t || NULL::text;
      nat_whens := nat_whens || format('WHEN %L THEN %s', oc.code, cardinality(h_o));
    END LOOP;
    h_o := h_o || NULL::text; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
    h_l := h_l || 'undecidable'::text; h_t := h_t || NULL::text;
    -- per label: each table's rows behind one test of its scope; the first
    -- table with a matching row wins (COALESCE stops there), else national
    FOR oc IN SELECT g.outs, min(g.i) AS first
                FROM (SELECT fast_outs[i] AS outs, i FROM generate_subscripts(fast_outs, 1) AS i) g
               GROUP BY g.outs ORDER BY 2 LOOP
      SELECT string_agg(format('CASE WHEN %s THEN CASE %s END END', tb.app, tb.whens), ', ' ORDER BY tb.first)
        INTO fhit
        FROM (SELECT fast_tab[i] AS tab, min(fast_app[i]) AS app, min(i) AS first,
                     string_agg(fast_sql[i], ' ' ORDER BY i) AS whens
                FROM generate_subscripts(fast_sql, 1) AS i
               WHERE fast_outs[i] = oc.outs
               GROUP BY fast_tab[i]) tb;
      branches := coalesce(branches || ' ', '') ||
        format('WHEN n.x OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.int4[])) THEN COALESCE(%s, n.x)',
               ARRAY(SELECT i FROM generate_subscripts(h_o, 1) AS i
                      WHERE h_l[i] = 'national' AND h_o[i] = ANY (oc.outs::text[]) ORDER BY i), fhit);
    END LOOP;
    RETURN format('SELECT %s, CAST(ROW((CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.int8[]))[d.h],'
                  ' (CAST(%L AS pg_catalog.int4[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h])'
                  ' AS mynahoken.rule_hit) AS hit'
                  ' FROM %s CROSS JOIN LATERAL (SELECT CASE %s ELSE n.x END AS h'
                  ' FROM (SELECT CASE %s %s ELSE %s END AS x OFFSET 0) AS n OFFSET 0) AS d',
                  CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                            ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                  h_o, h_v, h_r, h_l, h_t,
                  CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                  coalesce(branches, 'WHEN false THEN NULL'),
                  mynahoken.rule_fact_sql(d.national_fact, fm), array_to_string(nat_whens, ' '), cardinality(h_o));
  END IF;

  -- Trace mode: every fact in one lateral row f, and the truth of every cell.
  SELECT string_agg(format('%s AS %I', mynahoken.rule_fact_sql(x.f, 'member'), x.f), ', ' ORDER BY x.f)
    INTO fact_list
    FROM (SELECT DISTINCT u AS f FROM unnest(facts) AS u) x;
  RETURN format('SELECT %s, d.hit%s FROM %s CROSS JOIN LATERAL (SELECT %s OFFSET 0) AS f'
                ' CROSS JOIN LATERAL (SELECT CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL) AS mynahoken.rule_hit) %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL) AS mynahoken.rule_hit) END AS hit OFFSET 0) AS d',
                'CAST(m.member_key AS pg_catalog.text) AS member_key',
                format(', pg_catalog.to_jsonb(f) AS facts, pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried',
                       array_to_string(tried, ', ')),
                source || ' AS m',
                fact_list, nat, 'undecidable',
                array_to_string(whens, ' '),
                nat, 'national');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_query(text, text, text, bigint) IS
  'Internal: the generated query of a decision: the national decision computed once per member, the insurer exceptions of its outcome''s label in front of it (modes member, facts), or every fact and cell for the explanations (mode trace); every name qualified, literals through format %L';

-- Compile a decision into mynahoken.rule_eval_<decision>(as_of, known_on)
-- over the registered member source (an inlinable SQL function) and the
-- scalar twin mynahoken.rule_decide_<decision>(as_of, known_on, facts).
-- Refuses when the planner does not inline the set-returning function.
CREATE FUNCTION mynahoken.rule_compile(decision text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text;
  q text;
  plan text;
  eval_name text := 'rule_eval_' || decision;
  decide_name text := 'rule_decide_' || decision;
  versions bigint[];
BEGIN
  IF decision !~ '^[a-z][a-z0-9_]*$' THEN
    PERFORM mynahoken.raise_error('22023', 'invalid decision name');
  END IF;
  SELECT m.source INTO src FROM mynahoken.member_source m;
  EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date, facts pg_catalog.jsonb)'
                 ' RETURNS mynahoken.rule_hit LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC SELECT x.hit FROM (%s) AS x; END',
                 decide_name, mynahoken.rule_compile_query(decision, 'facts'));
  EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb) IS %L',
                 decide_name, format('Generated by mynahoken.rule_compile: decision %s for one member given as jsonb (scalar twin)', decision));
  IF src IS NOT NULL THEN
    q := mynahoken.rule_compile_query(decision, 'member', src);
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (member_key pg_catalog.text, outcome pg_catalog.text, version_id pg_catalog.int8,'
                   ' row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, (x.hit).outcome, (x.hit).version_id, (x.hit).row_no, (x.hit).layer, (x.hit).table_name'
                   ' FROM (%s) AS x; END',
                   eval_name, q);
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   eval_name, format('Generated by mynahoken.rule_compile: decision %s for every member of %s', decision, src));
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (member_key pg_catalog.text, facts pg_catalog.jsonb, tried pg_catalog.jsonb, hit mynahoken.rule_hit)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, x.facts, x.tried, x.hit FROM (%s) AS x; END',
                   'rule_trace_' || decision, mynahoken.rule_compile_query(decision, 'trace', src));
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   'rule_trace_' || decision,
                   format('Generated by mynahoken.rule_compile: decision %s for every member of %s, with the facts read and the truth of every cell (for mynahoken.rule_explain)', decision, src));
    -- EXPLAIN returns one row per line; the first names the top node
    FOR plan IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.%I(CAST(%L AS pg_catalog.date))', eval_name, current_date) LOOP
      IF plan LIKE '%Function Scan on ' || eval_name || '%' THEN
        PERFORM mynahoken.raise_error('55000', 'the compiled decision is not inlined by the planner',
          detail => 'A set-returning SQL function that is not inlined runs as a separate query: the decision would lose its speed.');
      END IF;
    END LOOP;
  END IF;
  SELECT coalesce(array_agg(y.version_id ORDER BY y.version_id), '{}') INTO versions
    FROM mynahoken.rule_version y JOIN mynahoken.rule_table t USING (table_name)
   WHERE t.decision = rule_compile.decision AND y.status = 'active';
  INSERT INTO mynahoken.rule_compiled AS c (decision, eval_function, decide_function, versions, source_relation, body)
  VALUES (decision, CASE WHEN src IS NOT NULL THEN 'mynahoken.' || eval_name END, 'mynahoken.' || decide_name,
          versions, src, coalesce(q, mynahoken.rule_compile_query(decision, 'facts')))
  ON CONFLICT ON CONSTRAINT rule_compiled_pkey DO UPDATE
    SET eval_function = EXCLUDED.eval_function, decide_function = EXCLUDED.decide_function,
        versions = EXCLUDED.versions, source_relation = EXCLUDED.source_relation, body = EXCLUDED.body,
        compiled_at = pg_catalog.clock_timestamp();
  RETURN coalesce('mynahoken.' || CASE WHEN src IS NOT NULL THEN eval_name END, 'mynahoken.' || decide_name);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile(text) IS
  'Compile a decision from its active rule versions: mynahoken.rule_eval_<decision>(as_of, known_on) over the registered member source (inlinable LANGUAGE sql, refused if not inlined) and the scalar twin mynahoken.rule_decide_<decision>(as_of, known_on, facts jsonb)';

-- ---------------------------------------------------------------------------
-- Checks at activation, as rows.

-- Run the tests of a table against a candidate version (or the active ones).
CREATE FUNCTION mynahoken.rule_run_tests(table_name text, candidate bigint DEFAULT NULL)
RETURNS TABLE (test_name text, as_of date, expect text, got text, passed boolean, version_id bigint, row_no integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q text;
  tc mynahoken.rule_test;
  h mynahoken.rule_hit;
BEGIN
  SELECT mynahoken.rule_compile_query(t.decision, 'facts', NULL, candidate) INTO q
    FROM mynahoken.rule_table t WHERE t.table_name = rule_run_tests.table_name;
  FOR tc IN SELECT * FROM mynahoken.rule_test x WHERE x.table_name = rule_run_tests.table_name ORDER BY x.name LOOP
    EXECUTE 'SELECT (x.hit).* FROM (' || q || ') AS x' INTO h USING tc.as_of, tc.known_on, tc.facts;
    test_name := tc.name;
    as_of := tc.as_of;
    expect := tc.expect;
    got := h.outcome;
    passed := h.outcome IS NOT DISTINCT FROM tc.expect;
    version_id := h.version_id;
    row_no := h.row_no;
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_run_tests(text, bigint) IS
  'Run the stored test cases of a rule table through the generated decision (with a candidate draft version when given): expected and actual outcome, the version and row that decided';

CREATE FUNCTION mynahoken.rule_check(version_id bigint)
RETURNS TABLE (severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  lab mynahoken.rule_label;
  d mynahoken.rule_decision;
  r record;
  c record;
  v_scope text;
  problem text;
  errors int := 0;
  covered datemultirange;
  missing datemultirange;
  ncols int;
  types text[];
  nullable boolean[];
  los bigint[];
  his bigint[];
  vals text[];
  maxv int;
  rownos int[];
  cells text[];
  checks text[] := '{}';
  outs text[];
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_check.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format('no rule version %s', rule_check.version_id));
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  SELECT * INTO lab FROM mynahoken.rule_label x WHERE x.label = t.exception_to;
  v_scope := mynahoken.rule_table_scope(t.applies_to);
  ncols := cardinality(v.columns);

  -- 1. References: columns are facts, outcomes belong to the decision.
  FOR c IN SELECT u.col, u.i FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
            WHERE NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = u.col) LOOP
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := format('column "%s" is not a declared fact', c.col);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id
              AND NOT EXISTS (SELECT FROM mynahoken.rule_outcome o WHERE o.decision = t.decision AND o.code = rr.outcome)
            ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
    detail := format('row %s: "%s" is not an outcome of %s', r.row_no, r.outcome, t.decision);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) THEN
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := 'the version has no row';
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 2. Cells: each parses against its fact; params and facts named exist with the type.
  FOR r IN SELECT rr.row_no, rr.cells, u.cell, u.i, f.fact, f.fact_type, f.enum_values
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             LEFT JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
            WHERE rr.version_id = v.version_id ORDER BY rr.row_no, u.i LOOP
    IF r.i > ncols THEN
      CONTINUE;
    END IF;
    IF r.fact IS NULL THEN
      CONTINUE;
    END IF;
    problem := mynahoken.rule_cell_problem(r.cell, r.fact_type, r.enum_values);
    IF problem IS NOT NULL THEN
      severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
      detail := format('row %s, column "%s": invalid cell "%s": %s', r.row_no, v.columns[r.i], r.cell, problem);
      errors := errors + 1;
      RETURN NEXT;
      CONTINUE;
    END IF;
    DECLARE
      j jsonb := mynahoken.rule_cell_parse(r.cell, r.fact_type, r.enum_values);
      nm text;
      pt text;
    BEGIN
      IF j->>'kind' = 'sql' THEN
        severity := 'error'; check_name := 'opaque'; rows := ARRAY[r.row_no];
        detail := format('row %s, column "%s": sql: cells are recognised but not compiled in this version', r.row_no, v.columns[r.i]);
        errors := errors + 1;
        RETURN NEXT;
      END IF;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'facts', '[]')) LOOP
        IF NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = nm AND f.fact_type = r.fact_type) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": "%s" is not a fact of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'params', '[]')) LOOP
        SELECT p.value_type::text INTO pt FROM mynahoken.legal_parameter_def p WHERE p.name = nm;
        IF pt IS NULL OR pt <> (CASE r.fact_type WHEN 'enum' THEN 'text' ELSE r.fact_type END) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": param(%s) is not a legal parameter of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
    END;
  END LOOP;
  FOR r IN SELECT rr.row_no, cardinality(rr.cells) AS n FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND cardinality(rr.cells) <> ncols ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
    detail := format('row %s has %s cells for %s columns', r.row_no, r.n, ncols);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;

  -- 3. Parameters: a value on every day of the valid time, for the scope.
  FOR c IN SELECT DISTINCT p.name
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
             CROSS JOIN LATERAL jsonb_array_elements_text(
               CASE WHEN mynahoken.rule_cell_problem(u.cell, f.fact_type, f.enum_values) IS NULL
                    THEN coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]') ELSE '[]' END) AS p(name)
            WHERE rr.version_id = v.version_id
              AND EXISTS (SELECT FROM mynahoken.legal_parameter_def pd WHERE pd.name = p.name)
            ORDER BY 1 LOOP
    SELECT range_agg(e.valid) INTO covered
      FROM mynahoken.legal_parameter_entry e
     WHERE e.name = c.name AND (e.scope IS NULL OR e.scope::text = v_scope);
    missing := datemultirange(v.valid) - coalesce(covered, '{}'::datemultirange);
    IF NOT isempty(missing) THEN
      severity := 'error'; check_name := 'parameter'; rows := NULL;
      detail := format('parameter %s has no value for %s on %s', c.name, coalesce(v_scope, 'every category'), missing);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END LOOP;

  -- 4. Guard rails of the layers.
  IF t.layer = 'insurer' THEN
    IF NOT lab.overridable THEN
      severity := 'error'; check_name := 'guard_rail'; rows := NULL;
      detail := format('%s cannot have insurer exceptions: it stays above every insurer layer', lab.label);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
    IF t.decision = 'certificate_need' THEN
      FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
                 JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                WHERE rr.version_id = v.version_id AND o.needs_certificate IS NOT TRUE
                ORDER BY rr.row_no LOOP
        severity := 'error'; check_name := 'guard_rail'; rows := ARRAY[r.row_no];
        detail := format('row %s: outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', r.row_no, r.outcome);
        errors := errors + 1;
        RETURN NEXT;
      END LOOP;
      IF t.on_no_match LIKE 'default %' AND NOT EXISTS (
           SELECT FROM mynahoken.rule_outcome o
            WHERE o.decision = t.decision AND o.code = substr(t.on_no_match, 9) AND o.needs_certificate) THEN
        severity := 'error'; check_name := 'guard_rail'; rows := NULL;
        detail := format('the default outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', substr(t.on_no_match, 9));
        errors := errors + 1;
        RETURN NEXT;
      END IF;
    END IF;
    -- precedence: another active table excepting the same label for some
    -- of the same insurers is tried before or after this one by name
    FOR c IN SELECT o.table_name, ARRAY(SELECT unnest(o.applies_to) INTERSECT SELECT unnest(t.applies_to) ORDER BY 1) AS common
               FROM mynahoken.rule_table o
              WHERE o.table_name <> t.table_name AND o.exception_to = t.exception_to
                AND o.applies_to && t.applies_to
                AND EXISTS (SELECT FROM mynahoken.rule_version y WHERE y.table_name = o.table_name AND y.status = 'active')
              ORDER BY o.table_name LOOP
      severity := 'warning'; check_name := 'precedence'; rows := NULL;
      detail := format('%s also excepts %s for %s: the tables are tried in name order, %s first',
                       c.table_name, t.exception_to, array_to_string(c.common, ', '),
                       least(c.table_name, t.table_name));
      RETURN NEXT;
    END LOOP;
    IF lab.decision <> t.decision THEN
      severity := 'error'; check_name := 'reference'; rows := NULL;
      detail := format('%s is a label of %s, not of %s', lab.label, lab.decision, t.decision);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END IF;
  IF d.output_type <> 'outcome' OR t.hit_policy IN ('collect', 'rule_order') THEN
    severity := 'error'; check_name := 'compile'; rows := NULL;
    detail := format('decision %s with hit policy %s is not compiled in this version', t.decision, t.hit_policy);
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 5. Overlaps, gaps, masked rows: the box algebra over the cells.
  IF errors = 0 THEN
    SELECT array_agg(f.fact_type ORDER BY u.i),
           array_agg(f.null_means = 'none' ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.lo END ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.hi END ORDER BY u.i),
           max(coalesce(cardinality(f.enum_values), 0))
      INTO types, nullable, los, his, maxv
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i) JOIN mynahoken.rule_fact f ON f.fact = u.col;
    maxv := greatest(maxv, 1);
    SELECT array_agg(x.val ORDER BY u.i, x.k) INTO vals
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
      JOIN mynahoken.rule_fact f ON f.fact = u.col
      CROSS JOIN LATERAL (SELECT k, CASE WHEN f.fact_type = 'enum' THEN f.enum_values[k] END AS val
                            FROM generate_series(1, maxv) AS k) x;
    vals := array_fill(NULL::text, ARRAY[ncols, maxv]);
    FOR c IN SELECT u.i, f.enum_values FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
               JOIN mynahoken.rule_fact f ON f.fact = u.col WHERE f.fact_type = 'enum' LOOP
      FOR k IN 1 .. cardinality(c.enum_values) LOOP
        vals[c.i][k] := c.enum_values[k];
      END LOOP;
    END LOOP;
    SELECT array_agg(rr.row_no ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no),
           array_agg(rr.outcome ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no)
      INTO rownos, outs
      FROM mynahoken.rule_row rr
      LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
     WHERE rr.version_id = v.version_id;
    cells := array_fill(NULL::text, ARRAY[cardinality(rownos), ncols]);
    FOR k IN 1 .. cardinality(rownos) LOOP
      SELECT rr.cells INTO c FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id AND rr.row_no = rownos[k];
      FOR i IN 1 .. ncols LOOP
        cells[k][i] := c.cells[i];
      END LOOP;
    END LOOP;
    IF t.hit_policy IN ('unique', 'any') THEN checks := checks || 'overlap'::text; END IF;
    IF t.on_no_match = 'error' THEN checks := checks || 'gap'::text; END IF;
    IF t.hit_policy IN ('first', 'priority') THEN checks := checks || 'masked'::text; END IF;
    FOR c IN SELECT * FROM mynahoken.rule_check_boxes(v.columns, types, nullable, los, his, vals,
                                                      rownos, cells, checks) LOOP
      rows := c.rows;
      check_name := c.check_name;
      IF c.check_name = 'overlap' THEN
        IF t.hit_policy = 'any' AND outs[array_position(rownos, c.rows[1])] = outs[array_position(rownos, c.rows[2])] THEN
          CONTINUE;
        END IF;
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('rows %s and %s %s where %s: hit policy %s', c.rows[1], c.rows[2],
                         CASE WHEN c.uncertain THEN 'may overlap (a cell with param(), day or another fact is not analysed)' ELSE 'overlap' END,
                         c.witness, t.hit_policy);
      ELSIF c.check_name = 'gap' THEN
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('%s where %s: on_no_match is error',
                         CASE WHEN c.uncertain THEN 'possibly no row matches (a cell with param(), day or another fact is not analysed)' ELSE 'no row matches' END,
                         c.witness);
      ELSE
        severity := 'error';
        detail := format('row %s is never reached: the rows before it cover %s', c.rows[1], c.witness);
      END IF;
      RETURN NEXT;
      IF severity = 'error' THEN errors := errors + 1; END IF;
    END LOOP;
  END IF;

  -- 6. The table's own tests, through the generated decision with this version.
  IF errors = 0 THEN
    FOR c IN SELECT * FROM mynahoken.rule_run_tests(v.table_name, v.version_id) x WHERE NOT x.passed LOOP
      severity := 'error'; check_name := 'test'; rows := CASE WHEN c.row_no IS NOT NULL THEN ARRAY[c.row_no] END;
      detail := format('test "%s" (%s): expected %s, got %s', c.test_name, c.as_of, c.expect, coalesce(c.got, 'no outcome'));
      RETURN NEXT;
    END LOOP;
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_check(bigint) IS
  'Every check of a rule version, as rows (severity error/warning, check, rows, detail with witness): references, cells, parameters over the valid time, guard rails, overlaps, gaps, masked rows (n-dimensional), the table''s tests';

-- Activate a draft (the latest of the table when no version is given): the
-- checks run in the trigger, the decision is compiled again.
CREATE FUNCTION mynahoken.rule_activate(table_name text, version_id bigint DEFAULT NULL)
RETURNS TABLE (severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  vid bigint := version_id;
  diag jsonb;
BEGIN
  IF NOT pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate rule versions',
      hint => 'The author records drafts; another role, an approver, activates them.');
  END IF;
  IF vid IS NULL THEN
    SELECT max(x.version_id) INTO vid FROM mynahoken.rule_version x
     WHERE x.table_name = rule_activate.table_name AND x.status = 'draft';
  END IF;
  IF vid IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'the rule table has no draft version');
  END IF;
  UPDATE mynahoken.rule_version x SET status = 'active'
   WHERE x.version_id = vid AND x.table_name = rule_activate.table_name
  RETURNING x.diagnostics INTO diag;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format('version %s is not a version of the rule table', vid));
  END IF;
  RETURN QUERY
  SELECT e->>'severity', e->>'check_name',
         ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e->'rows') = 'array' THEN e->'rows' ELSE '[]' END)::int),
         e->>'detail'
    FROM jsonb_array_elements(diag) AS e;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_activate(text, bigint) IS
  'Activate a draft rule version (default: the table''s latest): refused (23514) when a check reports an error, otherwise compiled; returns the warnings. Needs mynahoken_rule_approver and another role than the author';

-- ---------------------------------------------------------------------------
-- Explanations, computed by the compiled predicates (rule_trace_<decision>).

CREATE FUNCTION mynahoken.rule_explain(decision text, member_key text, as_of date, known_on date DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  facts jsonb;
  tried jsonb;
  hit mynahoken.rule_hit;
  rec record;
  e jsonb;
  v mynahoken.rule_version;
  rr mynahoken.rule_row;
  rows_out jsonb := '[]';
  params jsonb := '[]';
  k int;
  pname text;
  scope text;
  p mynahoken.legal_parameter;
  ver jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_explain.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  EXECUTE format('SELECT t.facts, t.tried, t.hit FROM mynahoken.%I($1, $2) AS t WHERE t.member_key OPERATOR(pg_catalog.=) $3',
                 'rule_trace_' || decision)
    INTO rec USING as_of, known_on, member_key;
  facts := rec.facts;
  tried := rec.tried;
  hit := rec.hit;
  IF facts IS NULL THEN
    -- the key is personal data: it is not repeated in the message
    PERFORM mynahoken.raise_error('P0002', 'no such member in the member source');
  END IF;
  -- every row tried, in order, with its first failing cell and the member's value
  FOR e IN SELECT x FROM jsonb_array_elements(tried) AS x WHERE (x->>'in_scope')::boolean LOOP
    SELECT * INTO v FROM mynahoken.rule_version y WHERE y.version_id = (e->>'version_id')::bigint;
    SELECT * INTO rr FROM mynahoken.rule_row y WHERE y.version_id = v.version_id AND y.row_no = (e->>'row_no')::int;
    SELECT min(i) INTO k FROM generate_series(1, jsonb_array_length(e->'cells')) AS i
     WHERE NOT (e->'cells'->>(i - 1))::boolean;
    rows_out := rows_out || jsonb_build_array(jsonb_build_object(
      'table_name', e->>'table_name', 'version_id', v.version_id, 'row_no', rr.row_no, 'outcome', rr.outcome,
      'matched', k IS NULL,
      'first_failing_cell', CASE WHEN k IS NOT NULL THEN jsonb_build_object(
         'column', v.columns[k], 'cell', rr.cells[k], 'value', facts->v.columns[k]) END));
    EXIT WHEN k IS NULL;
  END LOOP;
  -- the parameters the rows in scope read, with value, scope, valid and recorded ranges, source
  FOR pname, scope IN
    SELECT DISTINCT pn, mynahoken.rule_table_scope(t.applies_to)
      FROM jsonb_array_elements(tried) AS x
      JOIN mynahoken.rule_version y ON y.version_id = (x->>'version_id')::bigint
      JOIN mynahoken.rule_table t ON t.table_name = y.table_name
      JOIN mynahoken.rule_row r ON r.version_id = y.version_id AND r.row_no = (x->>'row_no')::int
      CROSS JOIN LATERAL unnest(r.cells) WITH ORDINALITY AS u(cell, i)
      JOIN mynahoken.rule_fact f ON f.fact = y.columns[u.i]
      CROSS JOIN LATERAL jsonb_array_elements_text(
        coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]')) AS pn
     WHERE (x->>'in_scope')::boolean
  LOOP
    p := mynahoken.legal_parameter_at(pname, as_of, scope::mynahoken.insurer_category, known_on);
    params := params || jsonb_build_array(jsonb_build_object(
      'name', p.name, 'value', coalesce(to_jsonb(p.value_int), to_jsonb(p.value_date), to_jsonb(p.value_bool),
                                        to_jsonb(p.value_range::text), to_jsonb(p.value_text)),
      'scope', p.scope, 'valid', p.valid::text, 'recorded', p.recorded::text,
      'source', (SELECT to_jsonb(s) - 'shipped' FROM mynahoken.legal_source s WHERE s.source_id = p.source_id)));
  END LOOP;
  IF hit.version_id IS NOT NULL THEN
    SELECT jsonb_build_object('version_id', y.version_id, 'table_name', y.table_name, 'valid', y.valid::text,
                              'recorded_on', y.recorded_on, 'recorded_at', y.recorded_at, 'source', y.source,
                              'author', y.author, 'approved_by', y.approved_by)
      INTO ver FROM mynahoken.rule_version y WHERE y.version_id = hit.version_id;
  END IF;
  RETURN jsonb_build_object(
    'decision', decision, 'as_of', as_of, 'known_on', known_on,
    'outcome', hit.outcome, 'layer', hit.layer,
    'layer_chain', CASE WHEN hit.layer = 'insurer'
                        THEN format('row %s of %s v%s (source %s) overrides %s', hit.row_no, hit.table_name,
                                    hit.version_id, ver->>'source',
                                    (SELECT t.exception_to FROM mynahoken.rule_table t WHERE t.table_name = hit.table_name))
                        ELSE format('national %s: %s', decision, coalesce(facts->>(SELECT d.national_fact FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision), 'undecidable')) END,
    'rule_version', ver, 'rows_tried', rows_out, 'facts', facts, 'parameters', params);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_explain(text, text, date, date) IS
  'Why a member gets a decision''s outcome, from the compiled predicates: outcome, layer chain, every row tried in order with its first failing cell and the member''s value, the facts read, the parameters with value, scope, valid and recorded ranges and source, and the rule version';

-- Coverage over the population: per row, the members it was tried for, the
-- members whose every cell held, the members it decided, and per column the
-- members whose first failing cell it was ("why not", set-based).
CREATE FUNCTION mynahoken.rule_coverage(decision text, as_of date, known_on date DEFAULT NULL)
RETURNS TABLE (table_name text, version_id bigint, row_no integer, outcome text,
               tried bigint, matched bigint, decided bigint, first_failing jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_coverage.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH per_member AS (
      SELECT e->>'table_name' AS table_name, (e->>'version_id')::bigint AS version_id,
             (e->>'row_no')::integer AS row_no,
             (SELECT min(c.i) FROM jsonb_array_elements_text(e->'cells') WITH ORDINALITY AS c(v, i)
               WHERE c.v = 'false') AS failing,
             (t.hit).version_id IS NOT DISTINCT FROM (e->>'version_id')::bigint
               AND (t.hit).row_no IS NOT DISTINCT FROM (e->>'row_no')::integer AS decided
        FROM mynahoken.%I($1, $2) AS t
        CROSS JOIN LATERAL jsonb_array_elements(t.tried) AS e
       WHERE (e->>'in_scope')::boolean
    ), per_cell AS (
      SELECT p.table_name, p.version_id, p.row_no, p.failing, count(*) AS n,
             count(*) FILTER (WHERE p.decided) AS n_decided
        FROM per_member p GROUP BY 1, 2, 3, 4
    )
    SELECT c.table_name, c.version_id, c.row_no, r.outcome,
           sum(c.n)::bigint, (sum(c.n) FILTER (WHERE c.failing IS NULL))::bigint, sum(c.n_decided)::bigint,
           coalesce(jsonb_object_agg(v.columns[c.failing], c.n) FILTER (WHERE c.failing IS NOT NULL), '{}')
      FROM per_cell c
      JOIN mynahoken.rule_version v ON v.version_id = c.version_id
      JOIN mynahoken.rule_row r ON r.version_id = c.version_id AND r.row_no = c.row_no
     GROUP BY c.table_name, c.version_id, c.row_no, r.outcome
     ORDER BY c.table_name, c.version_id, c.row_no
  $q$, 'rule_trace_' || decision) USING as_of, known_on;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_coverage(text, date, date) IS
  'Coverage of a decision''s rows over the member source on a day: per row the members it was tried for, matched and decided, and per column the members whose first failing cell it was; computed by the compiled predicates';

-- ---------------------------------------------------------------------------
-- Privileges: rules are readable by everyone; authors record drafts and
-- tests, approvers activate.  No superuser and no ownership needed.

GRANT SELECT ON mynahoken.rule_decision, mynahoken.rule_fact, mynahoken.rule_outcome, mynahoken.document_kind,
  mynahoken.rule_label, mynahoken.rule_table, mynahoken.rule_version, mynahoken.rule_row, mynahoken.rule_test,
  mynahoken.rule_compiled TO PUBLIC;
GRANT INSERT ON mynahoken.rule_fact, mynahoken.rule_outcome, mynahoken.document_kind, mynahoken.rule_table,
  mynahoken.rule_row, mynahoken.rule_test TO mynahoken_rule_author;
GRANT INSERT (table_name, valid, recorded_on, source, columns, note) ON mynahoken.rule_version TO mynahoken_rule_author;
GRANT UPDATE (cells, outcome, label, note), DELETE ON mynahoken.rule_row TO mynahoken_rule_author;
GRANT DELETE ON mynahoken.rule_version TO mynahoken_rule_author;
GRANT USAGE ON SEQUENCE mynahoken.rule_version_id_seq, mynahoken.rule_test_id_seq TO mynahoken_rule_author;
GRANT UPDATE (status) ON mynahoken.rule_version TO mynahoken_rule_approver;
REVOKE ALL ON FUNCTION mynahoken.rule_compile(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.rule_compile(text) TO mynahoken_rule_approver;

-- ===========================================================================
-- Issue 14, My Number linkage checks.
-- ===========================================================================
-- My Number linkage checks (紐付け点検): find members linked to another
-- person's My Number without keeping names, addresses, birth dates or
-- numbers in clear.  See doc/linkage.md.
--
-- Names and addresses are stored only as keyed digests, one per fold level
-- (src/core/linkage.h), under a key derived from the keyring for this
-- purpose; the nightly check compares digests and writes reason codes; a
-- work queue keeps the cases, their states and history as codes.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_linkage_intake') THEN
    CREATE ROLE mynahoken_linkage_intake NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_linkage_clerk') THEN
    CREATE ROLE mynahoken_linkage_clerk NOLOGIN;
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Keyed digests at fold levels

-- STABLE: the digests depend on the active key version of the keyring.
CREATE FUNCTION mynahoken.linkage_digests(value text, field text,
                                          variant_from text DEFAULT '', variant_to text DEFAULT '')
  RETURNS bytea[]
  AS 'MODULE_PATHNAME', 'linkage_digests'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_birth_date_digest(birth_date date) RETURNS bytea
  AS 'MODULE_PATHNAME', 'linkage_birth_date_digest'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_sex_digest(sex integer) RETURNS bytea
  AS 'MODULE_PATHNAME', 'linkage_sex_digest'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_match_level(a bytea[], b bytea[]) RETURNS integer
  AS 'MODULE_PATHNAME', 'linkage_match_level'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Unseals inside: reachable only through record_member_report().
CREATE FUNCTION mynahoken.linkage_last4_matches(sealed mynahoken.mynumber_sealed, reported text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'linkage_last4_matches'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
-- Whoever can compute digests holds an oracle for the key (a birth date
-- digest is found among 40,000 dates): only the intake role.
REVOKE ALL ON FUNCTION mynahoken.linkage_digests(text, text, text, text),
  mynahoken.linkage_birth_date_digest(date), mynahoken.linkage_sex_digest(integer),
  mynahoken.linkage_last4_matches(mynahoken.mynumber_sealed, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_digests(text, text, text, text),
  mynahoken.linkage_birth_date_digest(date), mynahoken.linkage_sex_digest(integer)
  TO mynahoken_linkage_intake;
COMMENT ON FUNCTION mynahoken.linkage_digests(text, text, text, text) IS
  'Keyed digests of a name or address (field kana, kanji or address), one per fold level (level 0 exact, then NFKC and the folds of doc/linkage.md); variant_from/variant_to: the kanji variant table as two strings of single characters; NULL when the value contains ●, 〓 or 外字';
COMMENT ON FUNCTION mynahoken.linkage_birth_date_digest(date) IS
  'Keyed digest of a birth date (no fold level: a birth date is never fuzzed)';
COMMENT ON FUNCTION mynahoken.linkage_sex_digest(integer) IS
  'Keyed digest of a sex code as J-LIS gives it (1, 2); no fold level';
COMMENT ON FUNCTION mynahoken.linkage_match_level(bytea[], bytea[]) IS
  'Lowest fold level (0-based) at which two digest arrays hold the same digest, or NULL when none does';
COMMENT ON FUNCTION mynahoken.linkage_last4_matches(mynahoken.mynumber_sealed, text) IS
  'Whether the last four digits of a sealed My Number equal the digits a member reports; neither leaves the function; called by record_member_report only';

-- The kanji variant table the DBA loads (髙→高): single characters, one to
-- one.  Not shipped: MJ縮退マップ is CC BY-SA and large, and the reviewed
-- pairs are the insurer's decision.
CREATE TABLE mynahoken.kanji_variant (
  variant  text PRIMARY KEY CHECK (pg_catalog.length(variant) OPERATOR(pg_catalog.=) 1),
  standard text NOT NULL CHECK (pg_catalog.length(standard) OPERATOR(pg_catalog.=) 1
                                AND standard OPERATOR(pg_catalog.<>) variant),
  source   text NOT NULL DEFAULT 'reviewed' CHECK (source IN ('mj_single_candidate', 'reviewed'))
);
COMMENT ON TABLE mynahoken.kanji_variant IS
  'Kanji variant table loaded by the DBA (fold level J2): one character to its standard form (髙→高, 﨑→崎), from MJ縮退マップ single-candidate rows or reviewed pairs; nothing shipped';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.kanji_variant', '');
GRANT SELECT ON mynahoken.kanji_variant TO mynahoken_linkage_intake;

-- ---------------------------------------------------------------------------
-- Inputs as rows: the insurer's members, J-LIS answers, members' reports.
-- No name, address, birth date or number in clear: digests, tokens and
-- sealed values only.

CREATE TYPE mynahoken.linkage_provenance AS ENUM (
  'member_submitted',    -- on the 資格取得届 from the member's own documents
  'employer_submitted',  -- on the 資格取得届, typed by the employer
  'jlis_lookup_5',       -- looked up at J-LIS with all 5 fields (since 2023-06)
  'jlis_lookup_weak',    -- looked up at J-LIS on カナ氏名 + 生年月日 + 性別 (the 2023 failure)
  'municipal_juki',      -- from the 住民基本台帳 itself (国保, 後期)
  'unknown'
);
COMMENT ON TYPE mynahoken.linkage_provenance IS
  'How a member''s My Number was obtained: submitted by the member or the employer, a J-LIS lookup with 5 fields or a weak one, the 住民基本台帳, unknown';

CREATE SEQUENCE mynahoken.linkage_change_seq;
COMMENT ON SEQUENCE mynahoken.linkage_change_seq IS
  'Orders every change of a linkage input (member facts, newest J-LIS answer, newest report): incremental checks look at members changed since the last run';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_change_seq', '');

CREATE TABLE mynahoken.linkage_member (
  insured_key       text PRIMARY KEY,
  household         text,              -- 記号・番号 shared by the insured person and dependants
  token             mynahoken.mynumber_token,
  sealed            mynahoken.mynumber_sealed,
  provenance        mynahoken.linkage_provenance NOT NULL DEFAULT 'unknown',
  number_confirmed  boolean NOT NULL DEFAULT false,   -- later confirmed from the member's own documents
  sent_token        mynahoken.mynumber_token,         -- token of the number last sent to the 中間サーバー
  kanji_digest      bytea[],
  kana_digest       bytea[],
  address_digest    bytea[],
  birth_date_digest bytea,
  sex_digest        bytea,
  jlis_response_id  bigint,            -- the newest J-LIS answer for this member, and its facts:
  jlis_token        mynahoken.mynumber_token,   -- copied here so that the check reads one row per member
  jlis_found        boolean,
  jlis_kanji_digest bytea[],
  jlis_kana_digest  bytea[],
  jlis_address_digest bytea[],
  jlis_birth_date_digest bytea,
  jlis_sex_digest   bytea,
  report_id         bigint,            -- the newest report of this member
  change_seq        bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq')
);
COMMENT ON TABLE mynahoken.linkage_member IS
  'The insurer''s own facts of each member as keyed digests (kanji, kana and address at every fold level, birth date, sex), the token and sealed value of the linked My Number, its provenance, the token last sent onward, and a copy of the digests of its newest J-LIS answer (jlis_*); filled by linkage_load_members and linkage_load_jlis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_member', '');
CREATE INDEX linkage_member_token ON mynahoken.linkage_member (token);
CREATE INDEX linkage_member_household ON mynahoken.linkage_member (household);
CREATE INDEX linkage_member_change ON mynahoken.linkage_member (change_seq);
COMMENT ON INDEX mynahoken.linkage_member_token IS 'Members by token: one token on two people';
COMMENT ON INDEX mynahoken.linkage_member_household IS 'Members by household: swaps inside a household';
COMMENT ON INDEX mynahoken.linkage_member_change IS 'Members by change: incremental checks';

CREATE SEQUENCE mynahoken.jlis_response_id_seq;
COMMENT ON SEQUENCE mynahoken.jlis_response_id_seq IS 'Identifiers of J-LIS answers';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.jlis_response_id_seq', '');
CREATE TABLE mynahoken.jlis_response (
  response_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.jlis_response_id_seq'),
  insured_key       text NOT NULL,
  token             mynahoken.mynumber_token NOT NULL,   -- the number that was asked about
  asked_on          date NOT NULL,
  source            text NOT NULL CHECK (source IN ('own_query', 'chukan_match', 'member_docs')),
  found             boolean NOT NULL,                    -- J-LIS had a person for this number
  kanji_digest      bytea[],
  kana_digest       bytea[],
  address_digest    bytea[],
  birth_date_digest bytea,
  sex_digest        bytea,
  source_ref        text                                 -- file and row of the answer, never its content
);
COMMENT ON TABLE mynahoken.jlis_response IS
  'J-LIS answers (基本4情報/5情報) for a member and the number asked about: keyed digests only, the token of the number, where the answer came from (own query, 中間サーバー 突合結果, member''s documents); filled by linkage_load_jlis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.jlis_response', '');
CREATE INDEX jlis_response_member ON mynahoken.jlis_response (insured_key, asked_on DESC, response_id DESC);
COMMENT ON INDEX mynahoken.jlis_response_member IS 'J-LIS answers of a member, newest first';

CREATE SEQUENCE mynahoken.member_report_id_seq;
COMMENT ON SEQUENCE mynahoken.member_report_id_seq IS 'Identifiers of members'' reports';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_report_id_seq', '');
CREATE TABLE mynahoken.member_report (
  report_id     bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.member_report_id_seq'),
  insured_key   text NOT NULL,
  reported_on   date NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('employer', 'mail', 'counter', 'portal')),
  claim         text NOT NULL CHECK (claim IN ('last4_differs', 'last4_ok', 'not_me', 'facts_wrong')),
  last4_matches boolean          -- the reported digits against the sealed number; the digits are not kept
);
COMMENT ON TABLE mynahoken.member_report IS
  'Members'' reports after the 資格情報のお知らせ (下4桁): the claim, the channel, and whether the reported last four digits match the sealed number (the digits themselves are never stored); filled by record_member_report';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_report', '');
CREATE INDEX member_report_member ON mynahoken.member_report (insured_key);
COMMENT ON INDEX mynahoken.member_report_member IS 'Reports of a member';

-- ---------------------------------------------------------------------------
-- Reason codes, resolutions, runs, results, cases

CREATE TABLE mynahoken.linkage_reason (
  code      text PRIMARY KEY,
  severity  smallint NOT NULL CHECK (severity BETWEEN 0 AND 3),
  strength  text NOT NULL CHECK (strength IN ('strong', 'review', 'info')),
  lowered_by_last4_ok boolean NOT NULL,
  basis     text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_reason IS
  'Reason codes of the linkage checks: default severity (3 high, 2 review, 1 info, 0 recorded only), strength, whether a member''s matching last four digits lower it by one, and the basis (doc/linkage.md)';
INSERT INTO mynahoken.linkage_reason VALUES
  ('jlis_not_found',                       3, 'strong', false, 'J-LIS has no person for the linked number (E5: a typo that passes the check digit)'),
  ('birth_date_mismatch',                  3, 'strong', false, '生年月日 differs: 3.6 % of such mismatches were real errors (E3, E4)'),
  ('sex_mismatch',                         3, 'strong', false, '性別 differs: strong signal, never fuzzed'),
  ('kana_mismatch',                        3, 'strong', true,  'カナ氏名 differs at every fold level (E1, E4)'),
  ('token_shared_other_person',            3, 'strong', false, 'another member with the same token differs in birth date, sex or カナ (E7)'),
  ('household_swap',                       3, 'strong', false, 'J-LIS facts of the linked number are the own facts of another member of the household (E3, E4)'),
  ('address_mismatch_after_lookup',        3, 'strong', true,  '住所 differs and the number came from a J-LIS lookup: the only difference of a homonym (E2)'),
  ('address_mismatch_kanji_unverifiable',  3, 'strong', true,  '漢字氏名 is unverifiable (●) and 住所 differs: nothing but カナ, birth date and sex left (E1)'),
  ('member_reports_last4_differs',         3, 'strong', false, 'the member reports other last four digits than the registered number, or says it is not theirs'),
  ('provenance_weak_unconfirmed',          2, 'review', true,  'number from a J-LIS lookup on カナ, birth date and sex only, never confirmed (E1)'),
  ('kanji_mismatch',                       2, 'review', true,  '漢字氏名 differs at every fold level while カナ matches (外字, variant not in the table)'),
  ('kanji_unverifiable',                   2, 'review', true,  '漢字氏名 holds ●, 〓 or 外字 on one side: it cannot be compared'),
  ('kana_unverifiable',                    2, 'review', true,  'カナ氏名 holds a stand-in character on one side'),
  ('correction_not_sent',                  2, 'review', false, 'the linked number differs from the one last sent to the 中間サーバー (E9)'),
  ('member_reports_facts_wrong',           2, 'review', false, 'the member reports that the printed facts are wrong'),
  ('address_mismatch',                     1, 'info',   false, '住所 differs; the number was submitted, so the address is probably stale (E10)'),
  ('kana_small_large_only',                1, 'info',   false, 'カナ matches once small kana are written large (K2: early 住基 systems)'),
  ('kana_ji_zu_only',                      1, 'info',   false, 'カナ matches once ヂ/ヅ are written ジ/ズ (K3)'),
  ('kanji_variant_only',                   1, 'info',   false, '漢字 matches through the DBA''s variant table (J2: 髙→高)'),
  ('jlis_not_checked',                     1, 'info',   false, 'no J-LIS answer for this member yet'),
  ('jlis_stale',                           1, 'info',   false, 'the newest J-LIS answer is for another number than the one linked now'),
  ('no_number_linked',                     1, 'info',   false, 'no My Number is linked (E11)'),
  ('kana_notation_only',                   0, 'info',   false, 'カナ matches once width, hiragana and spaces are folded (K1)'),
  ('kanji_notation_only',                  0, 'info',   false, '漢字 matches once width, spaces and variation selectors are folded (J1)'),
  ('address_format_only',                  0, 'info',   false, '住所 matches once 丁目/番地/号, 漢数字 and dashes are folded (A1)'),
  ('member_reports_last4_ok',              0, 'info',   false, 'the member''s reported last four digits match: lowers name-only codes by one, never birth date or sex');

CREATE TYPE mynahoken.linkage_case_state AS ENUM (
  'open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis',
  'corrected',            -- a new number is linked (new token) and sent onward
  'confirmed_no_error',   -- 理由付き疑いなし, with a resolution code
  'closed'
);
COMMENT ON TYPE mynahoken.linkage_case_state IS
  'State of a linkage case: open, waiting for the employer, the member or J-LIS, corrected, confirmed with a reason (理由付き疑いなし), closed';

CREATE TABLE mynahoken.linkage_resolution (
  code     text PRIMARY KEY,
  state    mynahoken.linkage_case_state NOT NULL,
  basis    text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_resolution IS
  'Codes a clerk may give with a state change (case notes are codes, never free text, so nobody pastes a name): the state each code goes with';
INSERT INTO mynahoken.linkage_resolution VALUES
  ('asked_employer',           'awaiting_employer',  'the employer was asked for the member''s documents'),
  ('asked_member',             'awaiting_member',    'the member was asked directly'),
  ('asked_jlis_5',             'awaiting_jlis',      'J-LIS was asked again with all 5 fields'),
  ('reopened',                 'open',               'the case goes back to the open queue'),
  ('number_corrected',         'corrected',          'the right number is linked and sent to the 中間サーバー'),
  ('surname_changed_marriage', 'confirmed_no_error', 'the surname changed (marriage) and was not yet filed'),
  ('address_not_updated',      'confirmed_no_error', 'the member moved and the address was not yet filed'),
  ('kanji_variant',            'confirmed_no_error', 'the names differ only in a kanji variant or 外字'),
  ('kana_spelling',            'confirmed_no_error', 'the names differ only in how カナ is written'),
  ('documents_checked',        'confirmed_no_error', 'the member''s identity documents show the number is theirs'),
  ('member_confirmed_last4',   'confirmed_no_error', 'the member confirmed the last four digits'),
  ('member_left',              'closed',             'the member left and the record is past'),
  ('duplicate_case',           'closed',             'the same error is handled in another case');

CREATE SEQUENCE mynahoken.linkage_run_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_run_id_seq IS 'Identifiers of linkage check runs';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run_id_seq', '');
CREATE TABLE mynahoken.linkage_run (
  run_id          bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_run_id_seq'),
  full_check      boolean NOT NULL,
  since_seq       bigint NOT NULL,     -- members changed after this ...
  upto_seq        bigint NOT NULL,     -- ... up to this are checked (all of them in a full check)
  status          text NOT NULL CHECK (status IN ('running', 'finished')),
  batch_size      integer NOT NULL CHECK (batch_size > 0),
  next_key        text,                -- resume point: members after this key are still to check
  members_checked bigint NOT NULL DEFAULT 0,
  cases_opened    bigint NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at     timestamptz
);
COMMENT ON TABLE mynahoken.linkage_run IS
  'Runs of the linkage check: full or incremental (members changed since the last finished run), the resume point of a run that stopped, counts';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run', '');

CREATE TABLE mynahoken.linkage_run_key (
  run_id      bigint NOT NULL REFERENCES mynahoken.linkage_run ON DELETE CASCADE,
  insured_key text NOT NULL,
  PRIMARY KEY (run_id, insured_key)
);
COMMENT ON TABLE mynahoken.linkage_run_key IS
  'Members an incremental run checks: changed since the last run, and the members who share a token or a household with them';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run_key', '');

CREATE TABLE mynahoken.linkage_check (
  run_id        bigint NOT NULL REFERENCES mynahoken.linkage_run ON DELETE CASCADE,
  insured_key   text NOT NULL,
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  kana_level    smallint,   -- fold level of the match; -1 no match, -2 unverifiable, NULL not compared
  kanji_level   smallint,
  address_level smallint,
  PRIMARY KEY (run_id, insured_key)
);
COMMENT ON TABLE mynahoken.linkage_check IS
  'Result of each run per member of severity 1 and up (a member without a row was checked and is clean, or has notation differences only): reason codes, severity, and the fold level at which カナ, 漢字 and 住所 matched (-1 none, -2 unverifiable, NULL not compared); codes only, never data';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_check', '');

CREATE SEQUENCE mynahoken.linkage_case_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_id_seq IS 'Identifiers of linkage cases';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_id_seq', '');
CREATE TABLE mynahoken.linkage_case (
  case_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_id_seq'),
  insured_key   text NOT NULL,
  token         mynahoken.mynumber_token,    -- the token the case is about
  opened_run    bigint NOT NULL,
  last_run      bigint NOT NULL,
  opened_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  state         mynahoken.linkage_case_state NOT NULL DEFAULT 'open',
  assigned_to   name,
  resolution    text REFERENCES mynahoken.linkage_resolution
);
COMMENT ON TABLE mynahoken.linkage_case IS
  'Work queue of the linkage checks: one case per member and error, with its reasons, severity, state, assigned role and resolution code; at most one unfinished case per member';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case', '');
CREATE UNIQUE INDEX linkage_case_one_open ON mynahoken.linkage_case (insured_key)
  WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON INDEX mynahoken.linkage_case_one_open IS 'At most one unfinished case per member';

CREATE SEQUENCE mynahoken.linkage_case_event_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_event_id_seq IS 'Identifiers of linkage case events';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event_id_seq', '');
CREATE TABLE mynahoken.linkage_case_event (
  event_id    bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_event_id_seq'),
  case_id     bigint NOT NULL REFERENCES mynahoken.linkage_case,
  at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  actor       name NOT NULL DEFAULT SESSION_USER,
  from_state  mynahoken.linkage_case_state,
  to_state    mynahoken.linkage_case_state NOT NULL,
  code        text NOT NULL,
  assigned_to name
);
COMMENT ON TABLE mynahoken.linkage_case_event IS
  'History of each linkage case, append-only: who, when, from which state to which, with a code (opened_by_check, a resolution code, assigned); never free text';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event', '');
CREATE INDEX linkage_case_event_case ON mynahoken.linkage_case_event (case_id, event_id);
COMMENT ON INDEX mynahoken.linkage_case_event_case IS 'History of a case in order';

-- ---------------------------------------------------------------------------
-- Loading

-- The column list a source must have, with the type each is read as.
CREATE FUNCTION mynahoken.linkage_source_check(source regclass, columns text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text[];
BEGIN
  SELECT array_agg(c ORDER BY c) INTO missing
    FROM unnest(columns) AS c
   WHERE NOT EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = source AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
  IF missing IS NOT NULL THEN
    PERFORM mynahoken.raise_error('42703', 'linkage source lacks columns',
      detail => format('Missing: %s.', array_to_string(missing, ', ')),
      hint => 'See doc/linkage.md for the columns of each source.');
  END IF;
  RETURN (SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_source_check(regclass, text[]) IS
  'The qualified name of a linkage source after checking it has the columns named (an error lists the missing column names, never data); used by linkage_load_members and linkage_load_jlis';

-- The kanji variant table as the two strings linkage_digests takes.
CREATE FUNCTION mynahoken.kanji_variant_strings(OUT variant_from text, OUT variant_to text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT COALESCE(pg_catalog.string_agg(k.variant, '' ORDER BY k.variant), ''),
         COALESCE(pg_catalog.string_agg(k.standard, '' ORDER BY k.variant), '')
    FROM mynahoken.kanji_variant AS k;
END;
COMMENT ON FUNCTION mynahoken.kanji_variant_strings() IS
  'The kanji variant table as the two strings of single characters linkage_digests takes (variant_from, variant_to)';

CREATE FUNCTION mynahoken.linkage_load_members(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'household', 'token', 'sealed', 'provenance', 'number_confirmed', 'sent_token',
          'kanji_name', 'kana_name', 'address', 'birth_date', 'sex']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete or repeated rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) - count(DISTINCT s.insured_key) + count(*) FILTER (WHERE s.insured_key IS NULL)
                     FROM %s AS s$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23505', pg_catalog.format('linkage source has %s rows without a key or with a repeated key', bad),
      detail => 'Every member needs one row with its own insured_key.');
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO before FROM mynahoken.linkage_change_seq AS s;
  -- Digests are computed once here; a member whose facts, number or
  -- provenance did not change keeps its row and its change_seq.
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings()),
    s AS (
      SELECT s.insured_key::text AS insured_key, s.household::text AS household,
             s.token::mynahoken.mynumber_token AS token, s.sealed::mynahoken.mynumber_sealed AS sealed,
             COALESCE(s.provenance::text, 'unknown')::mynahoken.linkage_provenance AS provenance,
             COALESCE(s.number_confirmed::boolean, false) AS number_confirmed,
             s.sent_token::mynahoken.mynumber_token AS sent_token,
             mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to) AS kanji_digest,
             mynahoken.linkage_digests(s.kana_name::text, 'kana') AS kana_digest,
             mynahoken.linkage_digests(s.address::text, 'address') AS address_digest,
             mynahoken.linkage_birth_date_digest(s.birth_date::date) AS birth_date_digest,
             mynahoken.linkage_sex_digest(s.sex::integer) AS sex_digest
        FROM %s AS s CROSS JOIN v)
    INSERT INTO mynahoken.linkage_member AS m
           (insured_key, household, token, sealed, provenance, number_confirmed, sent_token,
            kanji_digest, kana_digest, address_digest, birth_date_digest, sex_digest)
    SELECT * FROM s
    ON CONFLICT (insured_key) DO UPDATE
       SET household = EXCLUDED.household, token = EXCLUDED.token, sealed = EXCLUDED.sealed,
           provenance = EXCLUDED.provenance, number_confirmed = EXCLUDED.number_confirmed,
           sent_token = EXCLUDED.sent_token, kanji_digest = EXCLUDED.kanji_digest,
           kana_digest = EXCLUDED.kana_digest, address_digest = EXCLUDED.address_digest,
           birth_date_digest = EXCLUDED.birth_date_digest, sex_digest = EXCLUDED.sex_digest,
           change_seq = pg_catalog.nextval('mynahoken.linkage_change_seq')
     WHERE ROW(m.household, mynahoken.mynumber_token_send(m.token), mynahoken.mynumber_sealed_send(m.sealed),
               m.provenance::text, m.number_confirmed, mynahoken.mynumber_token_send(m.sent_token),
               m.kanji_digest, m.kana_digest, m.address_digest, m.birth_date_digest, m.sex_digest)
           IS DISTINCT FROM
           ROW(EXCLUDED.household, mynahoken.mynumber_token_send(EXCLUDED.token),
               mynahoken.mynumber_sealed_send(EXCLUDED.sealed), EXCLUDED.provenance::text,
               EXCLUDED.number_confirmed, mynahoken.mynumber_token_send(EXCLUDED.sent_token),
               EXCLUDED.kanji_digest, EXCLUDED.kana_digest, EXCLUDED.address_digest,
               EXCLUDED.birth_date_digest, EXCLUDED.sex_digest)$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- A member loaded after its J-LIS answer or report points at them now.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT k.insured_key FROM mynahoken.linkage_member AS k
                                    WHERE k.change_seq > before AND k.jlis_response_id IS NULL)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS NULL;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_load_members(regclass) IS
  'Load the insurer''s member facts from a table or view (columns in doc/linkage.md; typically a temporary table filled by COPY): digests replace names, addresses, birth dates and sex; rows that did not change keep their change_seq; returns the rows inserted or changed';

CREATE FUNCTION mynahoken.linkage_load_jlis(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'token', 'asked_on', 'source', 'found', 'kanji_name', 'kana_name', 'address',
          'birth_date', 'sex', 'source_ref']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) FROM %s AS s
                     WHERE s.insured_key IS NULL OR s.token IS NULL OR s.asked_on IS NULL OR s.found IS NULL
                        OR s.source IS NULL OR s.source::text NOT IN ('own_query', 'chukan_match', 'member_docs')$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23502', pg_catalog.format('linkage source has %s incomplete rows', bad),
      detail => 'Every J-LIS answer needs insured_key, token, asked_on, found and a source of own_query, chukan_match or member_docs.');
  END IF;
  SELECT COALESCE(max(r.response_id), 0) INTO before FROM mynahoken.jlis_response AS r;
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings())
    INSERT INTO mynahoken.jlis_response
           (insured_key, token, asked_on, source, found, kanji_digest, kana_digest, address_digest,
            birth_date_digest, sex_digest, source_ref)
    SELECT s.insured_key::text, s.token::mynahoken.mynumber_token, s.asked_on::date, s.source::text,
           s.found::boolean,
           mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to),
           mynahoken.linkage_digests(s.kana_name::text, 'kana'),
           mynahoken.linkage_digests(s.address::text, 'address'),
           mynahoken.linkage_birth_date_digest(s.birth_date::date),
           mynahoken.linkage_sex_digest(s.sex::integer),
           s.source_ref::text
      FROM %s AS s CROSS JOIN v$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- Each member points at its newest answer; a new pointer is a change.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest,
         change_seq = nextval('mynahoken.linkage_change_seq')
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT x.insured_key FROM mynahoken.jlis_response AS x
                                    WHERE x.response_id > before)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS DISTINCT FROM j.response_id;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_load_jlis(regclass) IS
  'Load J-LIS answers from a table or view (columns in doc/linkage.md; the number asked about as a token): digests replace the 基本4情報/5情報; each member then points at its newest answer; returns the answers loaded';

CREATE FUNCTION mynahoken.record_member_report(insured_key text, reported_last4 text, claim text,
                                               channel text DEFAULT 'employer',
                                               reported_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k text := insured_key;
  m record;
  matches boolean;
  id bigint;
BEGIN
  SELECT l.sealed INTO m FROM mynahoken.linkage_member AS l WHERE l.insured_key = k;
  -- No error for an unknown member: its statement (with the digits) would
  -- be logged.  NULL says nothing was recorded.
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF reported_last4 IS NOT NULL AND m.sealed IS NOT NULL THEN
    matches := mynahoken.linkage_last4_matches(m.sealed, reported_last4);
  END IF;
  INSERT INTO mynahoken.member_report (insured_key, reported_on, channel, claim, last4_matches)
  VALUES (k, reported_on, channel, claim, matches)
  RETURNING report_id INTO id;
  UPDATE mynahoken.linkage_member AS l
     SET report_id = id, change_seq = nextval('mynahoken.linkage_change_seq')
   WHERE l.insured_key = k;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.record_member_report(text, text, text, text, date) IS
  'Record a member''s report after the 資格情報のお知らせ: the reported last four digits are compared inside with the sealed number and only the yes/no is kept; claim last4_differs, last4_ok, not_me or facts_wrong; NULL (nothing recorded) for a member not loaded; pass the digits as a bind parameter';

-- ---------------------------------------------------------------------------
-- The check: set-based, incremental, resumable

CREATE FUNCTION mynahoken.linkage_begin_run(full_check boolean, batch_size integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r bigint;
  since bigint;
  upto bigint;
BEGIN
  -- One run at a time; a run that stopped is resumed, not restarted.
  PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('mynahoken linkage run'));
  SELECT l.run_id INTO r FROM mynahoken.linkage_run AS l WHERE l.status = 'running' ORDER BY l.run_id LIMIT 1;
  IF FOUND THEN
    RETURN r;
  END IF;
  -- Wait for loads in flight, so that every change numbered up to upto is
  -- visible to this run.
  LOCK TABLE mynahoken.linkage_member IN SHARE MODE;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO upto FROM mynahoken.linkage_change_seq AS s;
  SELECT COALESCE(max(l.upto_seq), 0) INTO since FROM mynahoken.linkage_run AS l WHERE l.status = 'finished';
  INSERT INTO mynahoken.linkage_run (full_check, since_seq, upto_seq, status, batch_size)
  VALUES (full_check, CASE WHEN full_check THEN 0 ELSE since END, upto, 'running', batch_size)
  RETURNING run_id INTO r;
  IF NOT full_check THEN
    INSERT INTO mynahoken.linkage_run_key (run_id, insured_key)
    WITH changed AS (
      SELECT m.insured_key, m.token, m.household FROM mynahoken.linkage_member AS m
       WHERE m.change_seq > since AND m.change_seq <= upto)
    SELECT r, c.insured_key FROM changed AS c
    UNION
    SELECT r, o.insured_key FROM changed AS c
      JOIN mynahoken.linkage_member AS o ON o.token OPERATOR(mynahoken.=) c.token
    UNION
    SELECT r, o.insured_key FROM changed AS c
      JOIN mynahoken.linkage_member AS o ON o.household = c.household;
    -- so that the batches are planned for the number of members they check
    ANALYZE mynahoken.linkage_run_key;
  END IF;
  RETURN r;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_begin_run(boolean, integer) IS
  'Start a linkage check run (or return the run that stopped, to resume it): a full run checks every member, an incremental one the members changed since the last finished run and those sharing a token or household with them';

CREATE FUNCTION mynahoken.linkage_run_batch(run_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  run record;
  hi text;
  n bigint;
  checked bigint;
  opened bigint;
  source text;
  shared_join text;
BEGIN
  SELECT * INTO run FROM mynahoken.linkage_run AS l WHERE l.run_id = linkage_run_batch.run_id FOR UPDATE;
  IF NOT FOUND OR run.status <> 'running' THEN
    RETURN true;
  END IF;
  -- The batch is a key range (next_key, hi]: the next batch_size members of
  -- the run in key order; hi is NULL for the last batch.
  IF run.full_check THEN
    SELECT count(*) INTO n FROM (SELECT FROM mynahoken.linkage_member AS m
                                   WHERE run.next_key IS NULL OR m.insured_key > run.next_key LIMIT 1) AS x;
    SELECT m.insured_key INTO hi FROM mynahoken.linkage_member AS m
     WHERE run.next_key IS NULL OR m.insured_key > run.next_key
     ORDER BY m.insured_key OFFSET run.batch_size - 1 LIMIT 1;
    -- every member: the table itself is the batch, scanned by key range;
    -- shared tokens from one aggregate (in token order, from the index)
    source := 'mynahoken.linkage_member AS m';
    shared_join := 'LEFT JOIN (SELECT t.token AS shared_token FROM mynahoken.linkage_member AS t'
                   ' WHERE t.token IS NOT NULL GROUP BY t.token'
                   ' HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) AS st'
                   ' ON st.shared_token OPERATOR(mynahoken.=) m.token';
    SELECT count(*) INTO checked FROM mynahoken.linkage_member AS m
     WHERE (run.next_key IS NULL OR m.insured_key > run.next_key) AND (hi IS NULL OR m.insured_key <= hi);
  ELSE
    SELECT count(*) INTO n FROM (SELECT FROM mynahoken.linkage_run_key AS rk
                                   WHERE rk.run_id = run.run_id
                                     AND (run.next_key IS NULL OR rk.insured_key > run.next_key) LIMIT 1) AS x;
    SELECT rk.insured_key INTO hi FROM mynahoken.linkage_run_key AS rk
     WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
     ORDER BY rk.insured_key OFFSET run.batch_size - 1 LIMIT 1;
    -- the members of this run: look each one up
    source := 'mynahoken.linkage_run_key AS rk JOIN mynahoken.linkage_member AS m'
              ' ON m.insured_key OPERATOR(pg_catalog.=) rk.insured_key'
              ' AND rk.run_id OPERATOR(pg_catalog.=) $1';
    shared_join := '';
    SELECT count(*) INTO checked FROM mynahoken.linkage_run_key AS rk
     WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
       AND (hi IS NULL OR rk.insured_key <= hi);
  END IF;
  IF n = 0 THEN
    UPDATE mynahoken.linkage_run AS l SET status = 'finished', finished_at = clock_timestamp()
     WHERE l.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
    RETURN true;
  END IF;

  -- One set-based statement per batch; every comparison is digest equality,
  -- reasons are codes.  A full run finds shared tokens with one hashed
  -- aggregate, an incremental one with index look-ups.  Members with
  -- nothing of severity 1 or more leave no row.
  EXECUTE format($q$
  WITH f AS (
    SELECT m.insured_key, m.token IS NULL AS no_number, m.jlis_response_id IS NULL AS no_jlis,
           m.jlis_response_id IS NOT NULL AND m.token IS NOT NULL
             AND NOT (m.jlis_token OPERATOR(mynahoken.=) m.token) AS stale,
           m.jlis_found AS found, m.provenance, m.number_confirmed,
           m.jlis_birth_date_digest IS DISTINCT FROM m.birth_date_digest AS birth_date_differs,
           m.jlis_sex_digest IS DISTINCT FROM m.sex_digest AS sex_differs,
           CASE WHEN m.kana_digest IS NULL OR m.jlis_kana_digest IS NULL THEN -2
                ELSE COALESCE(mynahoken.linkage_match_level(m.kana_digest, m.jlis_kana_digest), -1) END AS kana,
           CASE WHEN m.kanji_digest IS NULL OR m.jlis_kanji_digest IS NULL THEN -2
                ELSE COALESCE(mynahoken.linkage_match_level(m.kanji_digest, m.jlis_kanji_digest), -1) END AS kanji,
           CASE WHEN m.address_digest IS NULL OR m.jlis_address_digest IS NULL THEN -2
                ELSE COALESCE(mynahoken.linkage_match_level(m.address_digest, m.jlis_address_digest), -1) END AS address,
           m.token IS NOT NULL AND %3$s
             AND EXISTS (
             SELECT FROM mynahoken.linkage_member AS o
              WHERE o.token OPERATOR(mynahoken.=) m.token AND o.insured_key OPERATOR(pg_catalog.<>) m.insured_key
                AND (o.birth_date_digest IS DISTINCT FROM m.birth_date_digest
                     OR o.sex_digest IS DISTINCT FROM m.sex_digest
                     OR o.kana_digest[3] IS DISTINCT FROM m.kana_digest[3])) AS shared,
           m.household IS NOT NULL AND m.jlis_found AND m.jlis_token OPERATOR(mynahoken.=) m.token
             AND (m.jlis_birth_date_digest IS DISTINCT FROM m.birth_date_digest
                  OR m.jlis_sex_digest IS DISTINCT FROM m.sex_digest
                  OR m.jlis_kana_digest[3] IS DISTINCT FROM m.kana_digest[3])
             AND EXISTS (
             SELECT FROM mynahoken.linkage_member AS o
              WHERE o.household OPERATOR(pg_catalog.=) m.household AND o.insured_key OPERATOR(pg_catalog.<>) m.insured_key
                AND o.birth_date_digest OPERATOR(pg_catalog.=) m.jlis_birth_date_digest
                AND o.sex_digest OPERATOR(pg_catalog.=) m.jlis_sex_digest
                AND o.kana_digest[3] OPERATOR(pg_catalog.=) m.jlis_kana_digest[3]) AS swap,
           m.sent_token IS NOT NULL AND m.token IS NOT NULL
             AND NOT (m.sent_token OPERATOR(mynahoken.=) m.token) AS not_sent,
           r.claim, r.last4_matches
      FROM %1$s %2$s
      LEFT JOIN mynahoken.member_report AS r ON r.report_id OPERATOR(pg_catalog.=) m.report_id
     WHERE ($2 IS NULL OR m.insured_key OPERATOR(pg_catalog.>) $2)
       AND ($3 IS NULL OR m.insured_key OPERATOR(pg_catalog.<=) $3)
    -- OFFSET 0 keeps each step a subquery, so every comparison runs once per member
    OFFSET 0),
  c AS (
    -- compared: a J-LIS answer for the number linked now, with a person
    SELECT f.*, NOT f.no_number AND NOT f.no_jlis AND NOT f.stale AND f.found AS compared,
           f.provenance IN ('jlis_lookup_5', 'jlis_lookup_weak') AS lookup,
           (f.last4_matches IS TRUE AND f.claim IS DISTINCT FROM 'not_me') AS last4_ok
      FROM f OFFSET 0),
  rs AS (
    SELECT c.*, pg_catalog.array_remove(ARRAY[
      CASE WHEN c.no_number THEN 'no_number_linked' END,
      CASE WHEN NOT c.no_number AND c.no_jlis THEN 'jlis_not_checked' END,
      CASE WHEN c.stale THEN 'jlis_stale' END,
      CASE WHEN NOT c.no_number AND NOT c.no_jlis AND NOT c.stale AND NOT c.found THEN 'jlis_not_found' END,
      CASE WHEN c.compared AND c.birth_date_differs THEN 'birth_date_mismatch' END,
      CASE WHEN c.compared AND c.sex_differs THEN 'sex_mismatch' END,
      CASE WHEN c.compared THEN CASE c.kana WHEN -2 THEN 'kana_unverifiable' WHEN -1 THEN 'kana_mismatch'
                                            WHEN 1 THEN 'kana_notation_only' WHEN 2 THEN 'kana_small_large_only'
                                            WHEN 3 THEN 'kana_ji_zu_only' END END,
      CASE WHEN c.compared THEN CASE c.kanji WHEN -2 THEN 'kanji_unverifiable' WHEN -1 THEN 'kanji_mismatch'
                                             WHEN 1 THEN 'kanji_notation_only' WHEN 2 THEN 'kanji_variant_only' END END,
      CASE WHEN c.compared AND c.address OPERATOR(pg_catalog.<) 0 THEN
             CASE WHEN c.lookup THEN 'address_mismatch_after_lookup'
                  WHEN c.kanji OPERATOR(pg_catalog.=) -2 THEN 'address_mismatch_kanji_unverifiable'
                  ELSE 'address_mismatch' END
           WHEN c.compared AND c.address OPERATOR(pg_catalog.=) 1 THEN 'address_format_only' END,
      CASE WHEN c.shared THEN 'token_shared_other_person' END,
      CASE WHEN c.swap THEN 'household_swap' END,
      CASE WHEN c.last4_matches IS FALSE OR c.claim OPERATOR(pg_catalog.=) 'not_me' THEN 'member_reports_last4_differs' END,
      CASE WHEN c.claim OPERATOR(pg_catalog.=) 'facts_wrong' THEN 'member_reports_facts_wrong' END,
      CASE WHEN c.last4_ok THEN 'member_reports_last4_ok' END,
      CASE WHEN c.not_sent THEN 'correction_not_sent' END,
      CASE WHEN c.provenance OPERATOR(pg_catalog.=) 'jlis_lookup_weak' AND NOT c.number_confirmed
           THEN 'provenance_weak_unconfirmed' END
    ]::pg_catalog.text[], NULL) AS reasons
      FROM c OFFSET 0),
  sv AS (
    SELECT rs.*, CASE WHEN pg_catalog.cardinality(rs.reasons) OPERATOR(pg_catalog.=) 0 THEN 0
                      ELSE (SELECT pg_catalog.max(CASE WHEN rs.last4_ok AND lr.lowered_by_last4_ok
                                                       THEN lr.severity OPERATOR(pg_catalog.-) 1
                                                       ELSE lr.severity END)
                              FROM mynahoken.linkage_reason AS lr
                             WHERE lr.code OPERATOR(pg_catalog.=) ANY (rs.reasons)) END AS severity
      FROM rs)
  INSERT INTO mynahoken.linkage_check (run_id, insured_key, reasons, severity, kana_level, kanji_level, address_level)
  SELECT $1, sv.insured_key, sv.reasons, sv.severity,
         CASE WHEN sv.compared THEN sv.kana END, CASE WHEN sv.compared THEN sv.kanji END,
         CASE WHEN sv.compared THEN sv.address END
    FROM sv WHERE sv.severity OPERATOR(pg_catalog.>=) 1
  ON CONFLICT ON CONSTRAINT linkage_check_pkey DO UPDATE
     SET reasons = EXCLUDED.reasons, severity = EXCLUDED.severity, kana_level = EXCLUDED.kana_level,
         kanji_level = EXCLUDED.kanji_level, address_level = EXCLUDED.address_level$q$,
    source, shared_join, CASE WHEN run.full_check THEN 'st.shared_token IS NOT NULL' ELSE 'true' END)
  USING run.run_id, run.next_key, hi;

  -- A case for severity 2 and up, unless one is unfinished; nothing is closed here.
  WITH ins AS (
    INSERT INTO mynahoken.linkage_case AS lc (insured_key, token, opened_run, last_run, reasons, severity)
    SELECT ch.insured_key, m.token, ch.run_id, ch.run_id, ch.reasons, ch.severity
      FROM mynahoken.linkage_check AS ch
      JOIN mynahoken.linkage_member AS m ON m.insured_key = ch.insured_key
     WHERE ch.run_id = run.run_id AND ch.severity >= 2
       AND (run.next_key IS NULL OR ch.insured_key > run.next_key) AND (hi IS NULL OR ch.insured_key <= hi)
    ON CONFLICT (insured_key) WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis')
    DO UPDATE SET last_run = EXCLUDED.last_run, reasons = EXCLUDED.reasons, severity = EXCLUDED.severity
    RETURNING lc.case_id, (lc.xmax = 0) AS inserted)
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
  SELECT ins.case_id, NULL, 'open', 'opened_by_check' FROM ins WHERE ins.inserted;
  GET DIAGNOSTICS opened = ROW_COUNT;

  UPDATE mynahoken.linkage_run AS l
     SET next_key = hi, members_checked = l.members_checked + checked,
         cases_opened = l.cases_opened + opened,
         status = CASE WHEN hi IS NULL THEN 'finished' ELSE l.status END,
         finished_at = CASE WHEN hi IS NULL THEN clock_timestamp() END
   WHERE l.run_id = run.run_id;
  IF hi IS NULL THEN
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
  END IF;
  RETURN hi IS NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_run_batch(bigint) IS
  'Check the next batch of a linkage run in one set-based statement (reason codes per member, digest equality only; a row in linkage_check for severity 1 and up), open cases of severity 2 and up, move the resume point; true when the run is finished';

CREATE PROCEDURE mynahoken.linkage_check_nightly(full_check boolean DEFAULT false,
                                                 batch_size integer DEFAULT 50000,
                                                 commit_batches boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
-- No SET clause (it would forbid COMMIT): every name is qualified and the
-- work is done by functions that fix their own search_path.
DECLARE
  run pg_catalog.int8;
  done pg_catalog.bool := false;
BEGIN
  IF commit_batches THEN
    COMMIT;
  END IF;
  run := mynahoken.linkage_begin_run(full_check, batch_size);
  IF commit_batches THEN
    COMMIT;
  END IF;
  WHILE NOT done LOOP
    done := mynahoken.linkage_run_batch(run);
    IF commit_batches THEN
      COMMIT;
    END IF;
  END LOOP;
END
$$;
COMMENT ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) IS
  'The nightly linkage check: incremental by default (members changed since the last run), full_check for all; commits every batch_size members and resumes a run that stopped';

-- ---------------------------------------------------------------------------
-- The work queue

CREATE FUNCTION mynahoken.linkage_case_transition(case_id bigint, to_state mynahoken.linkage_case_state,
                                                  code text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  code_state mynahoken.linkage_case_state;
  current_token mynahoken.mynumber_token;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_transition.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format('linkage case %s does not exist', linkage_case_transition.case_id));
  END IF;
  IF c.state IN ('corrected', 'confirmed_no_error', 'closed') THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format('linkage case %s is finished (%s)', c.case_id, c.state),
      hint => 'A new check opens a new case if the error is still there.');
  END IF;
  SELECT r.state INTO code_state FROM mynahoken.linkage_resolution AS r WHERE r.code = linkage_case_transition.code;
  IF code_state IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'unknown linkage resolution code',
      hint => 'The codes are in mynahoken.linkage_resolution; case notes are codes, never free text.');
  END IF;
  IF code_state <> to_state THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format('resolution code %s does not go with the target state', linkage_case_transition.code));
  END IF;
  IF to_state = 'corrected' THEN
    SELECT m.token INTO current_token FROM mynahoken.linkage_member AS m WHERE m.insured_key = c.insured_key;
    IF mynahoken.mynumber_token_send(current_token) IS NOT DISTINCT FROM mynahoken.mynumber_token_send(c.token) THEN
      PERFORM mynahoken.raise_error('55000', pg_catalog.format('linkage case %s cannot be corrected: the member still has the same number', c.case_id),
        hint => 'Link the right number (linkage_load_members) before marking the case corrected.');
    END IF;
  END IF;
  UPDATE mynahoken.linkage_case AS lc
     SET state = to_state,
         resolution = CASE WHEN to_state IN ('corrected', 'confirmed_no_error', 'closed')
                           THEN linkage_case_transition.code END
   WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
  VALUES (c.case_id, c.state, to_state, linkage_case_transition.code);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text) IS
  'Move a linkage case to another state with a resolution code that goes with it (corrected needs a new number linked; confirmed_no_error is 理由付き疑いなし); finished cases do not move; the history records who and when';

CREATE FUNCTION mynahoken.linkage_case_assign(case_id bigint, assignee regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_assign.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format('linkage case %s does not exist', linkage_case_assign.case_id));
  END IF;
  UPDATE mynahoken.linkage_case AS lc SET assigned_to = assignee::text::name WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code, assigned_to)
  VALUES (c.case_id, c.state, c.state, 'assigned', assignee::text::name);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_case_assign(bigint, regrole) IS
  'Assign a linkage case to a role (a team or a clerk); recorded in the case history';

CREATE FUNCTION mynahoken.explain_linkage_case(case_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  ch record;
  level_name text[] := ARRAY['exact', 'notation', 'small_large', 'ji_zu'];
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = explain_linkage_case.case_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO ch FROM mynahoken.linkage_check AS k WHERE k.run_id = c.last_run AND k.insured_key = c.insured_key;
  RETURN jsonb_build_object(
    'case_id', c.case_id, 'state', c.state, 'severity', c.severity, 'assigned_to', c.assigned_to,
    'resolution', c.resolution,
    'reasons', (SELECT jsonb_agg(jsonb_build_object('code', r.code, 'severity', r.severity, 'strength', r.strength,
                                                    'lowered_by_last4_ok', r.lowered_by_last4_ok) ORDER BY r.severity DESC, r.code)
                  FROM mynahoken.linkage_reason AS r WHERE r.code = ANY (c.reasons)),
    'checks', jsonb_build_object(
       'jlis', CASE WHEN 'no_number_linked' = ANY (c.reasons) THEN 'no_number'
                    WHEN 'jlis_not_checked' = ANY (c.reasons) THEN 'not_checked'
                    WHEN 'jlis_stale' = ANY (c.reasons) THEN 'answer_for_another_number'
                    WHEN 'jlis_not_found' = ANY (c.reasons) THEN 'not_found' ELSE 'found' END,
       'birth_date', CASE WHEN ch.kana_level IS NULL THEN 'not_compared'
                          WHEN 'birth_date_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'sex', CASE WHEN ch.kana_level IS NULL THEN 'not_compared'
                   WHEN 'sex_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'kana', CASE WHEN ch.kana_level IS NULL THEN 'not_compared' WHEN ch.kana_level = -1 THEN 'mismatch'
                    WHEN ch.kana_level = -2 THEN 'unverifiable'
                    ELSE 'K' || ch.kana_level || ' ' || level_name[ch.kana_level + 1] END,
       'kanji', CASE WHEN ch.kanji_level IS NULL THEN 'not_compared' WHEN ch.kanji_level = -1 THEN 'mismatch'
                     WHEN ch.kanji_level = -2 THEN 'unverifiable'
                     ELSE 'J' || ch.kanji_level || ' ' || (ARRAY['exact', 'notation', 'variant_table'])[ch.kanji_level + 1] END,
       'address', CASE WHEN ch.address_level IS NULL THEN 'not_compared' WHEN ch.address_level = -1 THEN 'mismatch'
                       WHEN ch.address_level = -2 THEN 'unverifiable'
                       ELSE 'A' || ch.address_level || ' ' || (ARRAY['exact', 'notation'])[ch.address_level + 1] END,
       'token_shared_other_person', 'token_shared_other_person' = ANY (c.reasons),
       'household_swap', 'household_swap' = ANY (c.reasons),
       'member_report', CASE WHEN 'member_reports_last4_differs' = ANY (c.reasons) THEN 'last4_differs'
                             WHEN 'member_reports_last4_ok' = ANY (c.reasons) THEN 'last4_ok'
                             WHEN 'member_reports_facts_wrong' = ANY (c.reasons) THEN 'facts_wrong'
                             ELSE 'none' END),
    'history', (SELECT jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor, 'from', e.from_state,
                                                    'to', e.to_state, 'code', e.code, 'assigned_to', e.assigned_to)
                                 ORDER BY e.event_id)
                  FROM mynahoken.linkage_case_event AS e WHERE e.case_id = c.case_id));
END
$$;
COMMENT ON FUNCTION mynahoken.explain_linkage_case(bigint) IS
  'Why a linkage case exists: its reason codes with severity and strength, each check (J-LIS, birth date, sex, and the fold level at which カナ, 漢字 and 住所 matched) and its history; codes only, no name, number or digit';

CREATE VIEW mynahoken.linkage_queue AS
SELECT c.case_id, c.insured_key, c.state, c.severity, c.reasons, c.assigned_to, c.opened_at,
       c.opened_run, c.last_run
  FROM mynahoken.linkage_case AS c
 WHERE c.state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON VIEW mynahoken.linkage_queue IS
  'Unfinished linkage cases, for clerks: member key, state, severity, reason codes, assignment; no name, number or digit';

CREATE VIEW mynahoken.linkage_runs AS
SELECT l.run_id, l.full_check, l.status, l.members_checked, l.cases_opened, l.started_at, l.finished_at,
       l.finished_at - l.started_at AS duration
  FROM mynahoken.linkage_run AS l;
COMMENT ON VIEW mynahoken.linkage_runs IS 'Linkage check runs: kind, status, members checked, cases opened, duration';

-- ---------------------------------------------------------------------------
-- pg_cron (optional)

CREATE FUNCTION mynahoken.linkage_cron_command(full_check boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.linkage_check_nightly(' || CASE WHEN full_check THEN 'true' ELSE 'false' END || ')';
COMMENT ON FUNCTION mynahoken.linkage_cron_command(boolean) IS
  'The single CALL a pg_cron job runs for the linkage check (every name qualified, so the job''s search_path does not matter)';

CREATE FUNCTION mynahoken.schedule_linkage_check(schedule text DEFAULT '30 17 * * *',
                                                 job_name text DEFAULT 'mynahoken-linkage',
                                                 full_check boolean DEFAULT false)
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
      hint => 'Call mynahoken.linkage_check_nightly() by hand, or CREATE EXTENSION pg_cron in the database named by cron.database_name.');
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING job_name, schedule, mynahoken.linkage_cron_command(full_check);
  RETURN job;
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_linkage_check(text, text, boolean) IS
  'Schedule the linkage check with pg_cron (default 17:30 UTC = 02:30 JST, incremental; a second job with full_check for a weekly full run); returns the job id; raises 42704 when pg_cron is not installed here';

CREATE FUNCTION mynahoken.unschedule_linkage_check(job_name text DEFAULT 'mynahoken-linkage')
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
COMMENT ON FUNCTION mynahoken.unschedule_linkage_check(text) IS
  'Remove the pg_cron job of the linkage check; false when there was none; raises 42704 when pg_cron is not installed here';

-- ---------------------------------------------------------------------------
-- Roles: the intake loads and runs; a clerk sees cases and codes, not data.
-- Only mynahoken_unseal recovers a number, as for every sealed value.

REVOKE ALL ON FUNCTION mynahoken.linkage_source_check(regclass, text[]),
  mynahoken.linkage_load_members(regclass), mynahoken.linkage_load_jlis(regclass),
  mynahoken.record_member_report(text, text, text, text, date),
  mynahoken.linkage_begin_run(boolean, integer), mynahoken.linkage_run_batch(bigint),
  mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint),
  mynahoken.schedule_linkage_check(text, text, boolean), mynahoken.unschedule_linkage_check(text)
  FROM PUBLIC;
REVOKE ALL ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_source_check(regclass, text[]),
  mynahoken.linkage_load_members(regclass), mynahoken.linkage_load_jlis(regclass),
  mynahoken.record_member_report(text, text, text, text, date),
  mynahoken.linkage_begin_run(boolean, integer), mynahoken.linkage_run_batch(bigint)
  TO mynahoken_linkage_intake;
GRANT EXECUTE ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) TO mynahoken_linkage_intake;
GRANT SELECT, INSERT, UPDATE ON mynahoken.linkage_member, mynahoken.jlis_response TO mynahoken_linkage_intake;
GRANT USAGE ON SEQUENCE mynahoken.linkage_change_seq, mynahoken.jlis_response_id_seq TO mynahoken_linkage_intake;
GRANT SELECT ON mynahoken.linkage_case, mynahoken.linkage_case_event, mynahoken.linkage_check,
  mynahoken.linkage_reason, mynahoken.linkage_resolution, mynahoken.linkage_run,
  mynahoken.linkage_queue, mynahoken.linkage_runs TO mynahoken_linkage_clerk;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint)
  TO mynahoken_linkage_clerk;

-- Issue 16, docs: no HINT names a file of the source tree (a packaged install
-- has none); the linkage loaders' hint lists the columns a source needs.
CREATE OR REPLACE FUNCTION mynahoken.linkage_source_check(source regclass, columns text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text[];
BEGIN
  SELECT array_agg(c ORDER BY c) INTO missing
    FROM unnest(columns) AS c
   WHERE NOT EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = source AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
  IF missing IS NOT NULL THEN
    PERFORM mynahoken.raise_error('42703', 'linkage source lacks columns',
      detail => pg_catalog.format(mynahoken.gettext('Missing: %s.'), array_to_string(missing, ', ')),
      hint => pg_catalog.format(mynahoken.gettext('The source needs the columns %s.'), array_to_string(columns, ', ')));
  END IF;
  RETURN (SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source);
END
$$;

-- Issue 16, Japanese messages: mynahoken.gettext, and every message composed
-- with format() translated before it is formatted (po/, scripts/po.sh).

CREATE FUNCTION mynahoken.gettext(msgid text)
RETURNS text
AS 'MODULE_PATHNAME', 'mh_gettext_sql' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.gettext(text) IS
  'The translation of a message of the extension''s routines in the session''s lc_messages (catalogue mynahoken-15, po/*.po), or the message itself when it has none; STABLE because it depends on lc_messages';

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
      detail => pg_catalog.format(mynahoken.gettext('The certificate''s SHA-256 fingerprint is %s.'),
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
        pg_catalog.format(mynahoken.gettext('trust anchor is already pinned for %s'), old_purpose),
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
      pg_catalog.format(mynahoken.gettext('shipped rows of mynahoken.%s cannot be changed or deleted'), TG_TABLE_NAME),
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
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
           WHERE e.name = legal_entry_at.name
             AND (e.scope = category OR e.scope IS NULL)
             AND e.insurer IS NULL
             AND e.valid @> day
             AND (known_on IS NULL OR e.recorded_on <= known_on)
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL
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
    pg_catalog.format(mynahoken.gettext('no value for legal parameter "%s" on the given day'), name),
    detail => CASE WHEN known_on IS NULL
                   THEN pg_catalog.format(mynahoken.gettext('Insurer category: %s. Knowledge: as currently known.'),
                                          coalesce(category::text, mynahoken.gettext('all')))
                   ELSE pg_catalog.format(mynahoken.gettext('Insurer category: %s. Knowledge: as known on %s.'),
                                          coalesce(category::text, mynahoken.gettext('all')),
                                          to_char(known_on, 'YYYY-MM-DD')) END,
    hint => 'Record a value with mynahoken.record_legal_parameter().');
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.legal_entry_for_insurer(name text, day date, insurer mynahoken.insurer_number,
                                                  known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
  cat mynahoken.insurer_category;
BEGIN
  IF name IS NULL OR day IS NULL OR insurer IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name, day and insurer must not be null');
  END IF;
  cat := mynahoken.category(insurer);
  WITH c AS (
    SELECT DISTINCT ON (l.level) e AS entry, l.level
      FROM mynahoken.legal_parameter_entry e
     CROSS JOIN LATERAL (SELECT CASE WHEN e.insurer IS NOT NULL THEN 2
                                     WHEN e.scope IS NOT NULL THEN 1 ELSE 0 END) AS l (level)
     WHERE e.name = legal_entry_for_insurer.name
       AND (e.scope IS NULL
            OR (e.scope = cat AND (e.insurer IS NULL OR e.insurer OPERATOR(mynahoken.=) legal_entry_for_insurer.insurer)))
       AND e.valid @> day
       AND (known_on IS NULL OR e.recorded_on <= known_on)
     ORDER BY l.level, e.recorded_on DESC)
  SELECT (c.entry).* INTO ent
    FROM c
   WHERE c.level >= coalesce((SELECT max(k.level) FROM c AS k WHERE (k.entry).keep_own), 0)
   ORDER BY (c.entry).recorded_on DESC, c.level DESC
   LIMIT 1;
  IF NOT FOUND THEN
    PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_for_insurer.name;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
        hint => 'The parameters are listed in mynahoken.legal_parameter_def.');
    END IF;
    PERFORM mynahoken.raise_error('P0002',
      pg_catalog.format(mynahoken.gettext('no value for legal parameter "%s" on the given day'), name),
      detail => CASE WHEN known_on IS NULL
                     THEN pg_catalog.format(mynahoken.gettext('Insurer %s. Knowledge: as currently known.'), insurer)
                     ELSE pg_catalog.format(mynahoken.gettext('Insurer %s. Knowledge: as known on %s.'), insurer,
                                            to_char(known_on, 'YYYY-MM-DD')) END);
  END IF;
  RETURN ent;
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
      pg_catalog.format(mynahoken.gettext('legal parameter "%s" is of type %s, not %s'), p.name, p.value_type, want));
  END IF;
  RETURN p;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.legal_record_entry(change_set_id bigint,
                                             recorded_on date,
                                             name text,
                                             scope mynahoken.insurer_category,
                                             valid daterange,
                                             value text,
                                             source_id bigint,
                                             confirmed boolean,
                                             note text,
                                             keep_own boolean,
                                             insurer mynahoken.insurer_number)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  def mynahoken.legal_parameter_def;
  latest date;
  new_id bigint;
  report text;
BEGIN
  IF name IS NULL OR valid IS NULL OR value IS NULL OR source_id IS NULL OR recorded_on IS NULL
     OR keep_own IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'name, valid, value, source_id, recorded_on and keep_own must not be null');
  END IF;
  IF insurer IS NOT NULL THEN
    IF scope IS NULL THEN
      scope := mynahoken.category(insurer);
    ELSIF scope <> mynahoken.category(insurer) THEN
      PERFORM mynahoken.raise_error('22023', 'the insurer number is not of the given insurer category',
        detail => pg_catalog.format(mynahoken.gettext('The insurer number is of category %s, not %s.'), mynahoken.category(insurer), scope));
    END IF;
  END IF;
  IF keep_own AND scope IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'only a value of one insurer category can keep its own against later values',
      detail => 'keep_own protects a category''s value from values for every category recorded later.');
  END IF;
  IF isempty(valid) THEN
    PERFORM mynahoken.raise_error('22023', 'valid range of a legal parameter must not be empty');
  END IF;
  PERFORM FROM mynahoken.legal_source s WHERE s.source_id = legal_record_entry.source_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'unknown legal source',
      hint => 'The sources are listed in mynahoken.legal_source (source_id).');
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = legal_record_entry.name;
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
   WHERE p.name = legal_record_entry.name
     AND p.scope IS NOT DISTINCT FROM legal_record_entry.scope
     AND (p.insurer IS NULL AND legal_record_entry.insurer IS NULL
          OR p.insurer OPERATOR(mynahoken.=) legal_record_entry.insurer)
     AND p.valid && legal_record_entry.valid;
  IF latest > recorded_on THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format(mynahoken.gettext('legal parameter "%s" already has a value recorded on %s, after recorded_on'), name, to_char(latest, 'YYYY-MM-DD')),
      detail => 'Values are recorded in the order they become known.');
  ELSIF latest = recorded_on THEN
    PERFORM mynahoken.raise_error('23P01',
      pg_catalog.format(mynahoken.gettext('legal parameter "%s" already has a value recorded on %s for some of these days'), name, to_char(latest, 'YYYY-MM-DD')),
      detail => 'One value per parameter, scope, decision day and knowledge day.',
      hint => 'Record the correction as known from a later day.');
  END IF;

  BEGIN
    INSERT INTO mynahoken.legal_parameter_entry
      (name, value_type, scope, valid, recorded_on, value_date, value_int, value_bool,
       value_range, value_text, source_id, confirmed, note, keep_own, change_set_id, insurer)
    VALUES (name, def.value_type, scope, valid, recorded_on,
            CASE WHEN def.value_type = 'date' THEN value::date END,
            CASE WHEN def.value_type = 'int' THEN value::int END,
            CASE WHEN def.value_type = 'boolean' THEN value::boolean END,
            CASE WHEN def.value_type = 'daterange' THEN value::daterange END,
            CASE WHEN def.value_type = 'text' THEN value END,
            source_id, confirmed, note, keep_own, change_set_id, insurer)
    RETURNING parameter_id INTO new_id;
  EXCEPTION WHEN data_exception THEN
    -- PostgreSQL's cast errors quote the value
    PERFORM mynahoken.raise_error(SQLSTATE,
      pg_catalog.format(mynahoken.gettext('value of legal parameter "%s" is not a valid %s'), name, def.value_type));
  END;

  -- No silent masking: say which entries the new one takes days from, and
  -- which still take days from it.
  SELECT string_agg(format(CASE r.relation
                             WHEN 'masks' THEN mynahoken.gettext('masks entry %s (%s, recorded on %s) on %s')
                             WHEN 'is masked by' THEN mynahoken.gettext('is masked by entry %s (%s, recorded on %s) on %s')
                             WHEN 'supersedes' THEN mynahoken.gettext('supersedes entry %s (%s, recorded on %s) on %s')
                             ELSE mynahoken.gettext('is superseded by entry %s (%s, recorded on %s) on %s') END,
                           r.parameter_id,
                           coalesce(r.insurer::text, r.scope::text, mynahoken.gettext('every category')), to_char(r.recorded_on, 'YYYY-MM-DD'),
                           mynahoken.daterange_iso(r.days)),
                    '; ' ORDER BY r.parameter_id)
    INTO report
    FROM mynahoken.legal_entry_relations(new_id) AS r;
  IF report IS NOT NULL THEN
    PERFORM mynahoken.raise_notice('legal parameter recorded',
      detail => pg_catalog.format(mynahoken.gettext('Entry %s. It %s.'), new_id, report),
      hint => 'mynahoken.legal_entry_relations(entry) lists them.');
  END IF;
  RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.legal_change_set_open(recorded_on date, reason text, note text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  today date := (transaction_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
  id bigint;
BEGIN
  IF recorded_on IS NULL OR NOT isfinite(recorded_on) THEN
    PERFORM mynahoken.raise_error('22023', 'the knowledge day of a change set must be a finite date');
  END IF;
  IF recorded_on > today THEN
    PERFORM mynahoken.raise_error('22023', 'a knowledge day cannot be after the day it is recorded',
      detail => pg_catalog.format(mynahoken.gettext('Knowledge day %s, recording day %s (in Japan).'),
                       to_char(recorded_on, 'YYYY-MM-DD'), to_char(today, 'YYYY-MM-DD')));
  END IF;
  IF recorded_on < today - 31 AND coalesce(reason, '') = '' THEN
    PERFORM mynahoken.raise_error('22023', 'a knowledge day more than 31 days before the day it is recorded needs a reason',
      detail => pg_catalog.format(mynahoken.gettext('Knowledge day %s, recording day %s (in Japan). Decisions "as known on" the days between change when this is recorded.'),
                       to_char(recorded_on, 'YYYY-MM-DD'), to_char(today, 'YYYY-MM-DD')),
      hint => 'Give the reason (a correction, a late entry); mynahoken.legal_change_sets lists it.');
  END IF;
  INSERT INTO mynahoken.legal_change_set (recorded_on, reason, note)
  VALUES (recorded_on, nullif(reason, ''), note)
  RETURNING change_set_id INTO id;
  RETURN id;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.record_legal_change_set(recorded_on date, entries jsonb,
                                                  reason text DEFAULT NULL, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cs bigint;
  e jsonb;
  i bigint;
  src bigint;
  e_scope mynahoken.insurer_category;
  e_valid daterange;
  e_confirmed boolean;
  e_keep_own boolean;
  e_insurer mynahoken.insurer_number;
BEGIN
  IF entries IS NULL OR jsonb_typeof(entries) <> 'array' OR jsonb_array_length(entries) = 0 THEN
    PERFORM mynahoken.raise_error('22023', 'entries of a change set must be a non-empty JSON array');
  END IF;
  cs := mynahoken.legal_change_set_open(recorded_on, reason, note);
  FOR e, i IN SELECT x, n FROM jsonb_array_elements(entries) WITH ORDINALITY AS t(x, n) LOOP
    IF jsonb_typeof(e) <> 'object' THEN
      PERFORM mynahoken.raise_error('22023', 'each entry of a change set must be a JSON object',
        detail => pg_catalog.format(mynahoken.gettext('Entry %s is not.'), i));
    END IF;
    BEGIN
      src := (e ->> 'source_id')::bigint;
      e_scope := (e ->> 'scope')::mynahoken.insurer_category;
      e_valid := (e ->> 'valid')::daterange;
      e_confirmed := coalesce((e ->> 'confirmed')::boolean, true);
      e_keep_own := coalesce((e ->> 'keep_own')::boolean, false);
      e_insurer := (e ->> 'insurer')::mynahoken.insurer_number;
    EXCEPTION WHEN data_exception THEN
      -- PostgreSQL's cast errors quote the value
      PERFORM mynahoken.raise_error(SQLSTATE, 'an entry of a change set has a value that is not of its type',
        detail => pg_catalog.format(mynahoken.gettext('Entry %s: source_id, scope, valid, confirmed, keep_own or insurer.'), i));
    END;
    IF src IS NULL AND e ? 'source' THEN
      SELECT s.source_id INTO src FROM mynahoken.legal_source s WHERE s.code = e ->> 'source';
      IF NOT FOUND THEN
        PERFORM mynahoken.raise_error('42704', 'unknown legal source in an entry of a change set',
          detail => pg_catalog.format(mynahoken.gettext('Entry %s.'), i),
          hint => 'The sources are listed in mynahoken.legal_source (code).');
      END IF;
    END IF;
    PERFORM mynahoken.legal_record_entry(cs, recorded_on, e ->> 'name', e_scope, e_valid,
              e ->> 'value', src, e_confirmed, e ->> 'note', e_keep_own, e_insurer);
  END LOOP;
  RETURN cs;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.legal_entry_held_at(name text, day date,
                                              category mynahoken.insurer_category,
                                              held_at timestamptz,
                                              known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
BEGIN
  IF name IS NULL OR day IS NULL OR held_at IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name, day and time must not be null');
  END IF;
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
            LEFT JOIN mynahoken.legal_change_set cs ON cs.change_set_id = e.change_set_id
           WHERE e.name = legal_entry_held_at.name
             AND (e.scope = category OR e.scope IS NULL)
             AND e.valid @> day
             AND (known_on IS NULL OR e.recorded_on <= known_on)
             AND e.insurer IS NULL
             AND (e.change_set_id IS NULL OR cs.recorded_at <= held_at)
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL
   LIMIT 1;
  IF NOT FOUND THEN
    PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_held_at.name;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
        hint => 'The parameters are listed in mynahoken.legal_parameter_def.');
    END IF;
    PERFORM mynahoken.raise_error('P0002',
      pg_catalog.format(mynahoken.gettext('no value for legal parameter "%s" on the given day'), name),
      detail => pg_catalog.format(mynahoken.gettext('Insurer category: %s. As held at %s.'), coalesce(category::text, mynahoken.gettext('all')),
                       to_char(held_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
  END IF;
  RETURN ent;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.holiday_calendar_refused(day date)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE   -- not IMMUTABLE: it must not be folded into a plan
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM mynahoken.raise_error('22008', 'no public holiday calendar for the given day',
    detail => pg_catalog.format(mynahoken.gettext('The calendar covers 1948-07-20 (国民の祝日に関する法律) to %s-12-31 (the last year whose equinox days are published).'),
                     (SELECT max(e.year) FROM mynahoken.equinox_day e)));
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
    PERFORM mynahoken.raise_error(pg_catalog.left(err, 5), pg_catalog.format(mynahoken.gettext('issuance run %s failed'), run),
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

CREATE OR REPLACE FUNCTION mynahoken.rule_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.shipped THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('shipped rows of mynahoken.%s cannot be changed or deleted'), TG_TABLE_NAME),
      detail => 'CREATE EXTENSION restores the shipped rows and a dump keeps only the insurer''s own, so the change would be lost.',
      hint => 'Add a row of your own, or an insurer rule table that is an exception to a national label.');
  END IF;
  IF TG_TABLE_NAME = 'rule_row' THEN
    SELECT * INTO v FROM mynahoken.rule_version x
     WHERE x.version_id = CASE TG_OP WHEN 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
    -- a restore (superuser) loads the rows of active versions
    IF v.status <> 'draft' AND NOT (TG_OP = 'INSERT'
        AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)) THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rows of rule version %s cannot change: it is %s'), v.version_id, v.status),
        hint => 'Record a new version with mynahoken.rule_version_record().');
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.version_id <> OLD.version_id THEN
      PERFORM mynahoken.raise_error('23000', 'a rule row cannot move to another version');
    END IF;
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_version_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  errors text;
  diag jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' OR OLD.shipped THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule version %s is %s and cannot be deleted'), OLD.version_id, OLD.status),
        hint => 'Withdraw it (status withdrawn) or record a superseding version.');
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.version_id, NEW.table_name, NEW.valid, NEW.recorded_on, NEW.recorded_at, NEW.source,
      NEW.columns, NEW.author, NEW.shipped, NEW.note)
     IS DISTINCT FROM
     (OLD.version_id, OLD.table_name, OLD.valid, OLD.recorded_on, OLD.recorded_at, OLD.source,
      OLD.columns, OLD.author, OLD.shipped, OLD.note) THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule versions are append-only: only the status of version %s can change'), OLD.version_id),
      hint => 'Record a new version with mynahoken.rule_version_record().');
  END IF;
  IF NEW.status = OLD.status THEN
    IF (NEW.approved_by, NEW.activated_at, NEW.diagnostics)
       IS DISTINCT FROM (OLD.approved_by, OLD.activated_at, OLD.diagnostics) THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('the approval of rule version %s cannot be changed'), OLD.version_id));
    END IF;
    RETURN NEW;
  END IF;
  IF NOT (OLD.status = 'draft' AND NEW.status = 'active')
     AND NOT (OLD.status = 'active' AND NEW.status = 'withdrawn') THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule version %s cannot go from %s to %s'), OLD.version_id, OLD.status, NEW.status));
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate or withdraw rule versions');
  END IF;
  IF OLD.status = 'draft' THEN
    IF current_user = OLD.author THEN
      PERFORM mynahoken.raise_error('42501', pg_catalog.format(mynahoken.gettext('rule version %s was recorded by %s, who cannot also approve it'), OLD.version_id, OLD.author),
        hint => 'Another member of mynahoken_rule_approver activates it (four eyes).');
    END IF;
    SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.severity, c.check_name, c.rows),
           pg_catalog.string_agg(c.detail, '; ' ORDER BY c.check_name, c.rows) FILTER (WHERE c.severity = 'error')
      INTO diag, errors
      FROM mynahoken.rule_check(OLD.version_id) c;
    IF errors IS NOT NULL THEN
      PERFORM mynahoken.raise_error('23514', pg_catalog.format(mynahoken.gettext('rule version %s of "%s" is refused: %s'), OLD.version_id, OLD.table_name, errors),
        hint => 'SELECT * FROM mynahoken.rule_check(version) lists every check with its witness.');
    END IF;
    NEW.diagnostics := coalesce(diag, '[]');
  END IF;
  NEW.approved_by := current_user;
  NEW.activated_at := pg_catalog.clock_timestamp();
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_outcome_add(decision text, code text, label_ja text,
                                           needs_certificate boolean DEFAULT NULL,
                                           priority integer DEFAULT 100, description text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_outcome (decision, code, label_ja, needs_certificate, statutory, priority, description)
  VALUES (rule_outcome_add.decision, rule_outcome_add.code, rule_outcome_add.label_ja,
          rule_outcome_add.needs_certificate, false, rule_outcome_add.priority, rule_outcome_add.description);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown decision',
      hint => 'The decisions are listed in mynahoken.rule_decision.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the outcome cannot be added',
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_outcome.'), c),
      hint => 'An outcome code is lower case letters, digits and underscores, and new for its decision.');
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_fact_add(fact text, fact_type text, source_column text, description text,
                                        null_means text DEFAULT 'none', enum_values text[] DEFAULT NULL,
                                        lo integer DEFAULT NULL, hi integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_fact (fact, fact_type, kind, source_column, expression, enum_values, lo, hi, null_means, description)
  VALUES (rule_fact_add.fact, rule_fact_add.fact_type, 'member', rule_fact_add.source_column, NULL,
          rule_fact_add.enum_values, rule_fact_add.lo, rule_fact_add.hi, rule_fact_add.null_means,
          rule_fact_add.description);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown reference',
      hint => 'See the columns of mynahoken.rule_fact.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the fact cannot be added',
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_fact.'), c));
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_table_define(table_name text, decision text, applies_to text[],
                                            exception_to text, hit_policy text DEFAULT 'unique',
                                            on_no_match text DEFAULT 'national',
                                            yields_to text DEFAULT NULL, cap text DEFAULT NULL,
                                            description text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_table (table_name, decision, layer, applies_to, exception_to, hit_policy,
                                    on_no_match, yields_to, cap, description)
  VALUES (rule_table_define.table_name, rule_table_define.decision, 'insurer', rule_table_define.applies_to,
          rule_table_define.exception_to, rule_table_define.hit_policy, rule_table_define.on_no_match,
          rule_table_define.yields_to, rule_table_define.cap, rule_table_define.description);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown decision or label',
      hint => 'The decisions are listed in mynahoken.rule_decision, the labels in mynahoken.rule_label.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the rule table cannot be added',
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_table.'), c));
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_test_add(table_name text, name text, as_of date, facts jsonb, expect text,
                                        known_on date DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_test (table_name, name, as_of, known_on, facts, expect)
  VALUES (rule_test_add.table_name, rule_test_add.name, rule_test_add.as_of, rule_test_add.known_on,
          rule_test_add.facts, rule_test_add.expect);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown rule table',
      hint => 'Define it with mynahoken.rule_table_define() first.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the test case cannot be added',
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_test.'), c));
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_version_record(table_name text, valid daterange, source text,
                                              recorded_on date, rows text, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lines text[];
  header text[];
  cols text[];
  parts text[];
  cells text[];
  line text;
  lineno int := 0;
  vid bigint;
  rn int;
  problem text;
  outcome text;
BEGIN
  IF rows IS NULL OR table_name IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a rule version needs a table and rows');
  END IF;
  -- The grid: a header "row | fact | fact || outcome", then one line per row.
  -- Cells cannot contain "|" here (insert into rule_row directly for that).
  FOREACH line IN ARRAY regexp_split_to_array(rows, E'\n') LOOP
    lineno := lineno + 1;
    CONTINUE WHEN btrim(line) = '';
    IF strpos(line, '||') = 0 THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('line %s of the grid has no "||" before its outcome'), lineno),
        hint => 'Write "row | cell | cell || outcome".');
    END IF;
    outcome := btrim(split_part(line, '||', 2));
    parts := ARRAY(SELECT btrim(p) FROM unnest(string_to_array(split_part(line, '||', 1), '|')) AS p);
    IF header IS NULL THEN
      header := parts;
      IF header[1] <> 'row' OR outcome <> 'outcome' THEN
        PERFORM mynahoken.raise_error('22P02', 'the grid header must read "row | <fact> ... || outcome"');
      END IF;
      cols := header[2:];
      IF cardinality(cols) = 0 THEN
        PERFORM mynahoken.raise_error('22P02', 'the grid has no input column');
      END IF;
      FOR i IN 1 .. cardinality(cols) LOOP
        PERFORM FROM mynahoken.rule_fact f WHERE f.fact = cols[i];
        IF NOT FOUND THEN
          PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('column "%s" of the grid is not a declared fact'), cols[i]),
            hint => 'Facts are listed in mynahoken.rule_fact; declare a column of your own with mynahoken.rule_fact_add().');
        END IF;
      END LOOP;
      INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, note)
      VALUES (rule_version_record.table_name, rule_version_record.valid, rule_version_record.recorded_on,
              rule_version_record.source, cols, rule_version_record.note)
      RETURNING version_id INTO vid;
      CONTINUE;
    END IF;
    IF parts[1] !~ '^[0-9]{1,6}$' THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('line %s of the grid does not start with a row number'), lineno));
    END IF;
    rn := parts[1]::int;
    cells := parts[2:];
    IF cardinality(cells) <> cardinality(cols) THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('row %s has %s cells for %s columns'), rn, cardinality(cells), cardinality(cols)));
    END IF;
    FOR i IN 1 .. cardinality(cols) LOOP
      problem := mynahoken.rule_cell_check(cells[i], cols[i]);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid cell in row %s, column "%s"'), rn, cols[i]),
          -- the parser's "<status> at character <n>", translated in its parts
          detail => (SELECT upper(left(d, 1)) || substr(d, 2)
                       FROM format(mynahoken.gettext('%s at character %s.'),
                                   mynahoken.gettext(substring(problem FROM '^(.*) at character')),
                                   substring(problem FROM '([0-9]+)$')) AS d));
      END IF;
    END LOOP;
    INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) VALUES (vid, rn, cells, outcome);
  END LOOP;
  IF vid IS NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the grid is empty');
  END IF;
  RETURN vid;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_operand_sql(op jsonb, fact_type text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ptype text;
BEGIN
  IF op ? 'int' THEN
    RETURN format('CAST(%L AS pg_catalog.int4)', op->>'int');
  ELSIF op ? 'date' THEN
    RETURN format('CAST(%L AS pg_catalog.date)', op->>'date');
  ELSIF op ? 'bool' THEN
    RETURN format('CAST(%L AS pg_catalog.bool)', op->>'bool');
  ELSIF op ? 'text' THEN
    RETURN format('CAST(%L AS pg_catalog.text)', op->>'text');
  ELSIF op ? 'day' THEN
    RETURN '$1';
  ELSIF op ? 'fact' THEN
    IF mode IS NULL THEN
      RETURN format('f.%I', op->>'fact');
    END IF;
    RETURN '(' || mynahoken.rule_fact_sql(op->>'fact', mode) || ')';
  ELSIF op ? 'param' THEN
    SELECT d.value_type::text INTO ptype FROM mynahoken.legal_parameter_def d WHERE d.name = op->>'param';
    -- an uncorrelated scalar subquery: an InitPlan, read once per statement
    RETURN format('(SELECT mynahoken.legal_value_%s(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))',
                  CASE ptype WHEN 'int' THEN 'int' WHEN 'date' THEN 'date' WHEN 'boolean' THEN 'bool' ELSE 'text' END,
                  op->>'param', scope);
  END IF;
  PERFORM mynahoken.raise_error('XX000', pg_catalog.format(mynahoken.gettext('unknown operand %s'), op));
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_check(version_id bigint)
RETURNS TABLE (severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  lab mynahoken.rule_label;
  d mynahoken.rule_decision;
  r record;
  c record;
  v_scope text;
  problem text;
  errors int := 0;
  covered datemultirange;
  missing datemultirange;
  ncols int;
  types text[];
  nullable boolean[];
  los bigint[];
  his bigint[];
  vals text[];
  maxv int;
  rownos int[];
  cells text[];
  checks text[] := '{}';
  outs text[];
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_check.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('no rule version %s'), rule_check.version_id));
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  SELECT * INTO lab FROM mynahoken.rule_label x WHERE x.label = t.exception_to;
  v_scope := mynahoken.rule_table_scope(t.applies_to);
  ncols := cardinality(v.columns);

  -- 1. References: columns are facts, outcomes belong to the decision.
  FOR c IN SELECT u.col, u.i FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
            WHERE NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = u.col) LOOP
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := format('column "%s" is not a declared fact', c.col);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id
              AND NOT EXISTS (SELECT FROM mynahoken.rule_outcome o WHERE o.decision = t.decision AND o.code = rr.outcome)
            ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
    detail := format('row %s: "%s" is not an outcome of %s', r.row_no, r.outcome, t.decision);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) THEN
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := 'the version has no row';
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 2. Cells: each parses against its fact; params and facts named exist with the type.
  FOR r IN SELECT rr.row_no, rr.cells, u.cell, u.i, f.fact, f.fact_type, f.enum_values
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             LEFT JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
            WHERE rr.version_id = v.version_id ORDER BY rr.row_no, u.i LOOP
    IF r.i > ncols THEN
      CONTINUE;
    END IF;
    IF r.fact IS NULL THEN
      CONTINUE;
    END IF;
    problem := mynahoken.rule_cell_problem(r.cell, r.fact_type, r.enum_values);
    IF problem IS NOT NULL THEN
      severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
      detail := format('row %s, column "%s": invalid cell "%s": %s', r.row_no, v.columns[r.i], r.cell, problem);
      errors := errors + 1;
      RETURN NEXT;
      CONTINUE;
    END IF;
    DECLARE
      j jsonb := mynahoken.rule_cell_parse(r.cell, r.fact_type, r.enum_values);
      nm text;
      pt text;
    BEGIN
      IF j->>'kind' = 'sql' THEN
        severity := 'error'; check_name := 'opaque'; rows := ARRAY[r.row_no];
        detail := format('row %s, column "%s": sql: cells are recognised but not compiled in this version', r.row_no, v.columns[r.i]);
        errors := errors + 1;
        RETURN NEXT;
      END IF;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'facts', '[]')) LOOP
        IF NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = nm AND f.fact_type = r.fact_type) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": "%s" is not a fact of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'params', '[]')) LOOP
        SELECT p.value_type::text INTO pt FROM mynahoken.legal_parameter_def p WHERE p.name = nm;
        IF pt IS NULL OR pt <> (CASE r.fact_type WHEN 'enum' THEN 'text' ELSE r.fact_type END) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": param(%s) is not a legal parameter of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
    END;
  END LOOP;
  FOR r IN SELECT rr.row_no, cardinality(rr.cells) AS n FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND cardinality(rr.cells) <> ncols ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
    detail := format('row %s has %s cells for %s columns', r.row_no, r.n, ncols);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;

  -- 3. Parameters: a value on every day of the valid time, for the scope.
  FOR c IN SELECT DISTINCT p.name
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
             CROSS JOIN LATERAL jsonb_array_elements_text(
               CASE WHEN mynahoken.rule_cell_problem(u.cell, f.fact_type, f.enum_values) IS NULL
                    THEN coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]') ELSE '[]' END) AS p(name)
            WHERE rr.version_id = v.version_id
              AND EXISTS (SELECT FROM mynahoken.legal_parameter_def pd WHERE pd.name = p.name)
            ORDER BY 1 LOOP
    SELECT range_agg(e.valid) INTO covered
      FROM mynahoken.legal_parameter_entry e
     WHERE e.name = c.name AND (e.scope IS NULL OR e.scope::text = v_scope);
    missing := datemultirange(v.valid) - coalesce(covered, '{}'::datemultirange);
    IF NOT isempty(missing) THEN
      severity := 'error'; check_name := 'parameter'; rows := NULL;
      detail := format('parameter %s has no value for %s on %s', c.name, coalesce(v_scope, 'every category'), missing);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END LOOP;

  -- 4. Guard rails of the layers.
  IF t.layer = 'insurer' THEN
    IF NOT lab.overridable THEN
      severity := 'error'; check_name := 'guard_rail'; rows := NULL;
      detail := format('%s cannot have insurer exceptions: it stays above every insurer layer', lab.label);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
    IF t.decision = 'certificate_need' THEN
      FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
                 JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                WHERE rr.version_id = v.version_id AND o.needs_certificate IS NOT TRUE
                ORDER BY rr.row_no LOOP
        severity := 'error'; check_name := 'guard_rail'; rows := ARRAY[r.row_no];
        detail := format('row %s: outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', r.row_no, r.outcome);
        errors := errors + 1;
        RETURN NEXT;
      END LOOP;
      IF t.on_no_match LIKE 'default %' AND NOT EXISTS (
           SELECT FROM mynahoken.rule_outcome o
            WHERE o.decision = t.decision AND o.code = substr(t.on_no_match, 9) AND o.needs_certificate) THEN
        severity := 'error'; check_name := 'guard_rail'; rows := NULL;
        detail := format('the default outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', substr(t.on_no_match, 9));
        errors := errors + 1;
        RETURN NEXT;
      END IF;
    END IF;
    -- precedence: another active table excepting the same label for some
    -- of the same insurers is tried before or after this one by name
    FOR c IN SELECT o.table_name, ARRAY(SELECT unnest(o.applies_to) INTERSECT SELECT unnest(t.applies_to) ORDER BY 1) AS common
               FROM mynahoken.rule_table o
              WHERE o.table_name <> t.table_name AND o.exception_to = t.exception_to
                AND o.applies_to && t.applies_to
                AND EXISTS (SELECT FROM mynahoken.rule_version y WHERE y.table_name = o.table_name AND y.status = 'active')
              ORDER BY o.table_name LOOP
      severity := 'warning'; check_name := 'precedence'; rows := NULL;
      detail := format('%s also excepts %s for %s: the tables are tried in name order, %s first',
                       c.table_name, t.exception_to, array_to_string(c.common, ', '),
                       least(c.table_name, t.table_name));
      RETURN NEXT;
    END LOOP;
    IF lab.decision <> t.decision THEN
      severity := 'error'; check_name := 'reference'; rows := NULL;
      detail := format('%s is a label of %s, not of %s', lab.label, lab.decision, t.decision);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END IF;
  IF d.output_type <> 'outcome' OR t.hit_policy IN ('collect', 'rule_order') THEN
    severity := 'error'; check_name := 'compile'; rows := NULL;
    detail := format('decision %s with hit policy %s is not compiled in this version', t.decision, t.hit_policy);
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 5. Overlaps, gaps, masked rows: the box algebra over the cells.
  IF errors = 0 THEN
    SELECT array_agg(f.fact_type ORDER BY u.i),
           array_agg(f.null_means = 'none' ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.lo END ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.hi END ORDER BY u.i),
           max(coalesce(cardinality(f.enum_values), 0))
      INTO types, nullable, los, his, maxv
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i) JOIN mynahoken.rule_fact f ON f.fact = u.col;
    maxv := greatest(maxv, 1);
    SELECT array_agg(x.val ORDER BY u.i, x.k) INTO vals
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
      JOIN mynahoken.rule_fact f ON f.fact = u.col
      CROSS JOIN LATERAL (SELECT k, CASE WHEN f.fact_type = 'enum' THEN f.enum_values[k] END AS val
                            FROM generate_series(1, maxv) AS k) x;
    vals := array_fill(NULL::text, ARRAY[ncols, maxv]);
    FOR c IN SELECT u.i, f.enum_values FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
               JOIN mynahoken.rule_fact f ON f.fact = u.col WHERE f.fact_type = 'enum' LOOP
      FOR k IN 1 .. cardinality(c.enum_values) LOOP
        vals[c.i][k] := c.enum_values[k];
      END LOOP;
    END LOOP;
    SELECT array_agg(rr.row_no ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no),
           array_agg(rr.outcome ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no)
      INTO rownos, outs
      FROM mynahoken.rule_row rr
      LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
     WHERE rr.version_id = v.version_id;
    cells := array_fill(NULL::text, ARRAY[cardinality(rownos), ncols]);
    FOR k IN 1 .. cardinality(rownos) LOOP
      SELECT rr.cells INTO c FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id AND rr.row_no = rownos[k];
      FOR i IN 1 .. ncols LOOP
        cells[k][i] := c.cells[i];
      END LOOP;
    END LOOP;
    IF t.hit_policy IN ('unique', 'any') THEN checks := checks || 'overlap'::text; END IF;
    IF t.on_no_match = 'error' THEN checks := checks || 'gap'::text; END IF;
    IF t.hit_policy IN ('first', 'priority') THEN checks := checks || 'masked'::text; END IF;
    FOR c IN SELECT * FROM mynahoken.rule_check_boxes(v.columns, types, nullable, los, his, vals,
                                                      rownos, cells, checks) LOOP
      rows := c.rows;
      check_name := c.check_name;
      IF c.check_name = 'overlap' THEN
        IF t.hit_policy = 'any' AND outs[array_position(rownos, c.rows[1])] = outs[array_position(rownos, c.rows[2])] THEN
          CONTINUE;
        END IF;
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('rows %s and %s %s where %s: hit policy %s', c.rows[1], c.rows[2],
                         CASE WHEN c.uncertain THEN 'may overlap (a cell with param(), day or another fact is not analysed)' ELSE 'overlap' END,
                         c.witness, t.hit_policy);
      ELSIF c.check_name = 'gap' THEN
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('%s where %s: on_no_match is error',
                         CASE WHEN c.uncertain THEN 'possibly no row matches (a cell with param(), day or another fact is not analysed)' ELSE 'no row matches' END,
                         c.witness);
      ELSE
        severity := 'error';
        detail := format('row %s is never reached: the rows before it cover %s', c.rows[1], c.witness);
      END IF;
      RETURN NEXT;
      IF severity = 'error' THEN errors := errors + 1; END IF;
    END LOOP;
  END IF;

  -- 6. The table's own tests, through the generated decision with this version.
  IF errors = 0 THEN
    FOR c IN SELECT * FROM mynahoken.rule_run_tests(v.table_name, v.version_id) x WHERE NOT x.passed LOOP
      severity := 'error'; check_name := 'test'; rows := CASE WHEN c.row_no IS NOT NULL THEN ARRAY[c.row_no] END;
      detail := format('test "%s" (%s): expected %s, got %s', c.test_name, c.as_of, c.expect, coalesce(c.got, 'no outcome'));
      RETURN NEXT;
    END LOOP;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_activate(table_name text, version_id bigint DEFAULT NULL)
RETURNS TABLE (severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  vid bigint := version_id;
  diag jsonb;
BEGIN
  IF NOT pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate rule versions',
      hint => 'The author records drafts; another role, an approver, activates them.');
  END IF;
  IF vid IS NULL THEN
    SELECT max(x.version_id) INTO vid FROM mynahoken.rule_version x
     WHERE x.table_name = rule_activate.table_name AND x.status = 'draft';
  END IF;
  IF vid IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'the rule table has no draft version');
  END IF;
  UPDATE mynahoken.rule_version x SET status = 'active'
   WHERE x.version_id = vid AND x.table_name = rule_activate.table_name
  RETURNING x.diagnostics INTO diag;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('version %s is not a version of the rule table'), vid));
  END IF;
  RETURN QUERY
  SELECT e->>'severity', e->>'check_name',
         ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e->'rows') = 'array' THEN e->'rows' ELSE '[]' END)::int),
         e->>'detail'
    FROM jsonb_array_elements(diag) AS e;
END
$$;


CREATE OR REPLACE FUNCTION mynahoken.linkage_load_members(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'household', 'token', 'sealed', 'provenance', 'number_confirmed', 'sent_token',
          'kanji_name', 'kana_name', 'address', 'birth_date', 'sex']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete or repeated rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) - count(DISTINCT s.insured_key) + count(*) FILTER (WHERE s.insured_key IS NULL)
                     FROM %s AS s$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23505', pg_catalog.format(mynahoken.gettext('linkage source has %s rows without a key or with a repeated key'), bad),
      detail => 'Every member needs one row with its own insured_key.');
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO before FROM mynahoken.linkage_change_seq AS s;
  -- Digests are computed once here; a member whose facts, number or
  -- provenance did not change keeps its row and its change_seq.
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings()),
    s AS (
      SELECT s.insured_key::text AS insured_key, s.household::text AS household,
             s.token::mynahoken.mynumber_token AS token, s.sealed::mynahoken.mynumber_sealed AS sealed,
             COALESCE(s.provenance::text, 'unknown')::mynahoken.linkage_provenance AS provenance,
             COALESCE(s.number_confirmed::boolean, false) AS number_confirmed,
             s.sent_token::mynahoken.mynumber_token AS sent_token,
             mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to) AS kanji_digest,
             mynahoken.linkage_digests(s.kana_name::text, 'kana') AS kana_digest,
             mynahoken.linkage_digests(s.address::text, 'address') AS address_digest,
             mynahoken.linkage_birth_date_digest(s.birth_date::date) AS birth_date_digest,
             mynahoken.linkage_sex_digest(s.sex::integer) AS sex_digest
        FROM %s AS s CROSS JOIN v)
    INSERT INTO mynahoken.linkage_member AS m
           (insured_key, household, token, sealed, provenance, number_confirmed, sent_token,
            kanji_digest, kana_digest, address_digest, birth_date_digest, sex_digest)
    SELECT * FROM s
    ON CONFLICT (insured_key) DO UPDATE
       SET household = EXCLUDED.household, token = EXCLUDED.token, sealed = EXCLUDED.sealed,
           provenance = EXCLUDED.provenance, number_confirmed = EXCLUDED.number_confirmed,
           sent_token = EXCLUDED.sent_token, kanji_digest = EXCLUDED.kanji_digest,
           kana_digest = EXCLUDED.kana_digest, address_digest = EXCLUDED.address_digest,
           birth_date_digest = EXCLUDED.birth_date_digest, sex_digest = EXCLUDED.sex_digest,
           change_seq = pg_catalog.nextval('mynahoken.linkage_change_seq')
     WHERE ROW(m.household, mynahoken.mynumber_token_send(m.token), mynahoken.mynumber_sealed_send(m.sealed),
               m.provenance::text, m.number_confirmed, mynahoken.mynumber_token_send(m.sent_token),
               m.kanji_digest, m.kana_digest, m.address_digest, m.birth_date_digest, m.sex_digest)
           IS DISTINCT FROM
           ROW(EXCLUDED.household, mynahoken.mynumber_token_send(EXCLUDED.token),
               mynahoken.mynumber_sealed_send(EXCLUDED.sealed), EXCLUDED.provenance::text,
               EXCLUDED.number_confirmed, mynahoken.mynumber_token_send(EXCLUDED.sent_token),
               EXCLUDED.kanji_digest, EXCLUDED.kana_digest, EXCLUDED.address_digest,
               EXCLUDED.birth_date_digest, EXCLUDED.sex_digest)$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- A member loaded after its J-LIS answer or report points at them now.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT k.insured_key FROM mynahoken.linkage_member AS k
                                    WHERE k.change_seq > before AND k.jlis_response_id IS NULL)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS NULL;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.linkage_load_jlis(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'token', 'asked_on', 'source', 'found', 'kanji_name', 'kana_name', 'address',
          'birth_date', 'sex', 'source_ref']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) FROM %s AS s
                     WHERE s.insured_key IS NULL OR s.token IS NULL OR s.asked_on IS NULL OR s.found IS NULL
                        OR s.source IS NULL OR s.source::text NOT IN ('own_query', 'chukan_match', 'member_docs')$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23502', pg_catalog.format(mynahoken.gettext('linkage source has %s incomplete rows'), bad),
      detail => 'Every J-LIS answer needs insured_key, token, asked_on, found and a source of own_query, chukan_match or member_docs.');
  END IF;
  SELECT COALESCE(max(r.response_id), 0) INTO before FROM mynahoken.jlis_response AS r;
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings())
    INSERT INTO mynahoken.jlis_response
           (insured_key, token, asked_on, source, found, kanji_digest, kana_digest, address_digest,
            birth_date_digest, sex_digest, source_ref)
    SELECT s.insured_key::text, s.token::mynahoken.mynumber_token, s.asked_on::date, s.source::text,
           s.found::boolean,
           mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to),
           mynahoken.linkage_digests(s.kana_name::text, 'kana'),
           mynahoken.linkage_digests(s.address::text, 'address'),
           mynahoken.linkage_birth_date_digest(s.birth_date::date),
           mynahoken.linkage_sex_digest(s.sex::integer),
           s.source_ref::text
      FROM %s AS s CROSS JOIN v$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- Each member points at its newest answer; a new pointer is a change.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest,
         change_seq = nextval('mynahoken.linkage_change_seq')
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT x.insured_key FROM mynahoken.jlis_response AS x
                                    WHERE x.response_id > before)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS DISTINCT FROM j.response_id;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.linkage_case_transition(case_id bigint, to_state mynahoken.linkage_case_state,
                                                  code text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  code_state mynahoken.linkage_case_state;
  current_token mynahoken.mynumber_token;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_transition.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format(mynahoken.gettext('linkage case %s does not exist'), linkage_case_transition.case_id));
  END IF;
  IF c.state IN ('corrected', 'confirmed_no_error', 'closed') THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('linkage case %s is finished (%s)'), c.case_id, c.state),
      hint => 'A new check opens a new case if the error is still there.');
  END IF;
  SELECT r.state INTO code_state FROM mynahoken.linkage_resolution AS r WHERE r.code = linkage_case_transition.code;
  IF code_state IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'unknown linkage resolution code',
      hint => 'The codes are in mynahoken.linkage_resolution; case notes are codes, never free text.');
  END IF;
  IF code_state <> to_state THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('resolution code %s does not go with the target state'), linkage_case_transition.code));
  END IF;
  IF to_state = 'corrected' THEN
    SELECT m.token INTO current_token FROM mynahoken.linkage_member AS m WHERE m.insured_key = c.insured_key;
    IF mynahoken.mynumber_token_send(current_token) IS NOT DISTINCT FROM mynahoken.mynumber_token_send(c.token) THEN
      PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('linkage case %s cannot be corrected: the member still has the same number'), c.case_id),
        hint => 'Link the right number (linkage_load_members) before marking the case corrected.');
    END IF;
  END IF;
  UPDATE mynahoken.linkage_case AS lc
     SET state = to_state,
         resolution = CASE WHEN to_state IN ('corrected', 'confirmed_no_error', 'closed')
                           THEN linkage_case_transition.code END
   WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
  VALUES (c.case_id, c.state, to_state, linkage_case_transition.code);
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.linkage_case_assign(case_id bigint, assignee regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_assign.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format(mynahoken.gettext('linkage case %s does not exist'), linkage_case_assign.case_id));
  END IF;
  UPDATE mynahoken.linkage_case AS lc SET assigned_to = assignee::text::name WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code, assigned_to)
  VALUES (c.case_id, c.state, c.state, 'assigned', assignee::text::name);
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.schedule_linkage_check(schedule text DEFAULT '30 17 * * *',
                                                 job_name text DEFAULT 'mynahoken-linkage',
                                                 full_check boolean DEFAULT false)
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
      hint => 'Call mynahoken.linkage_check_nightly() by hand, or CREATE EXTENSION pg_cron in the database named by cron.database_name.');
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING job_name, schedule, mynahoken.linkage_cron_command(full_check);
  RETURN job;
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.unschedule_linkage_check(job_name text DEFAULT 'mynahoken-linkage')
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

-- ---------------------------------------------------------------------------
-- Issue 12, findings of SQLsmith: rule_operand_sql, callable by PUBLIC,
-- raised XX000 (an internal error) for a NULL operand or an object of no
-- known key and quoted the caller's value in the message; now 22023 without
-- the value.

CREATE OR REPLACE FUNCTION mynahoken.rule_operand_sql(op jsonb, fact_type text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ptype text;
BEGIN
  IF op ? 'int' THEN
    RETURN format('CAST(%L AS pg_catalog.int4)', op->>'int');
  ELSIF op ? 'date' THEN
    RETURN format('CAST(%L AS pg_catalog.date)', op->>'date');
  ELSIF op ? 'bool' THEN
    RETURN format('CAST(%L AS pg_catalog.bool)', op->>'bool');
  ELSIF op ? 'text' THEN
    RETURN format('CAST(%L AS pg_catalog.text)', op->>'text');
  ELSIF op ? 'day' THEN
    RETURN '$1';
  ELSIF op ? 'fact' THEN
    IF mode IS NULL THEN
      RETURN format('f.%I', op->>'fact');
    END IF;
    RETURN '(' || mynahoken.rule_fact_sql(op->>'fact', mode) || ')';
  ELSIF op ? 'param' THEN
    SELECT d.value_type::text INTO ptype FROM mynahoken.legal_parameter_def d WHERE d.name = op->>'param';
    -- an uncorrelated scalar subquery: an InitPlan, read once per statement
    RETURN format('(SELECT mynahoken.legal_value_%s(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))',
                  CASE ptype WHEN 'int' THEN 'int' WHEN 'date' THEN 'date' WHEN 'boolean' THEN 'bool' ELSE 'text' END,
                  op->>'param', scope);
  END IF;
  -- a caller's argument (NULL or an object of no known key): never quoted
  PERFORM mynahoken.raise_error('22023', 'unknown operand',
    detail => 'An operand is a JSON object with one of the keys int, date, bool, text, day, fact or param.');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_operand_sql(jsonb, text, text, text) IS
  'Internal: SQL of one operand of a parsed cell (constants through format %L, param() as an uncorrelated scalar subquery on the decision and knowledge days, another fact as f.<fact> or, with a mode, its expression); raises 22023 for NULL or an object of no known key, without quoting it';
-- Issue 14, linkage (second part): the per-member check in C, current
-- results, review codes for the refused folds, surname-only and key-version
-- codes, due days of cases, neighbours rechecked only where identity facts
-- changed; what a member's own row decides stored with the row
-- (linkage_member.own_result), the check reading four columns.  The linkage
-- objects of the first part came with 0.2 (0.1 had none, so they hold no
-- data yet): they are dropped and created again as the fragment
-- sql/install/70_linkage.sql has them.
DROP VIEW mynahoken.linkage_queue;
DROP VIEW mynahoken.linkage_runs;
DROP PROCEDURE mynahoken.linkage_check_nightly;
DROP FUNCTION mynahoken.linkage_digests;
DROP FUNCTION mynahoken.linkage_birth_date_digest;
DROP FUNCTION mynahoken.linkage_sex_digest;
DROP FUNCTION mynahoken.linkage_match_level;
DROP FUNCTION mynahoken.linkage_last4_matches;
DROP FUNCTION mynahoken.linkage_source_check;
DROP FUNCTION mynahoken.kanji_variant_strings;
DROP FUNCTION mynahoken.linkage_load_members;
DROP FUNCTION mynahoken.linkage_load_jlis;
DROP FUNCTION mynahoken.record_member_report;
DROP FUNCTION mynahoken.linkage_begin_run;
DROP FUNCTION mynahoken.linkage_run_batch;
DROP FUNCTION mynahoken.linkage_case_transition;
DROP FUNCTION mynahoken.linkage_case_assign;
DROP FUNCTION mynahoken.explain_linkage_case;
DROP FUNCTION mynahoken.linkage_cron_command;
DROP FUNCTION mynahoken.schedule_linkage_check;
DROP FUNCTION mynahoken.unschedule_linkage_check;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.kanji_variant;
DROP TABLE mynahoken.kanji_variant CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_member;
DROP TABLE mynahoken.linkage_member CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.jlis_response;
DROP TABLE mynahoken.jlis_response CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.member_report;
DROP TABLE mynahoken.member_report CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_reason;
DROP TABLE mynahoken.linkage_reason CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_resolution;
DROP TABLE mynahoken.linkage_resolution CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_run;
DROP TABLE mynahoken.linkage_run CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_run_key;
DROP TABLE mynahoken.linkage_run_key CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_check;
DROP TABLE mynahoken.linkage_check CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_case;
DROP TABLE mynahoken.linkage_case CASCADE;
ALTER EXTENSION mynahoken DROP TABLE mynahoken.linkage_case_event;
DROP TABLE mynahoken.linkage_case_event CASCADE;
ALTER EXTENSION mynahoken DROP SEQUENCE mynahoken.linkage_change_seq;
DROP SEQUENCE mynahoken.linkage_change_seq;
ALTER EXTENSION mynahoken DROP SEQUENCE mynahoken.jlis_response_id_seq;
DROP SEQUENCE mynahoken.jlis_response_id_seq;
ALTER EXTENSION mynahoken DROP SEQUENCE mynahoken.member_report_id_seq;
DROP SEQUENCE mynahoken.member_report_id_seq;
ALTER EXTENSION mynahoken DROP SEQUENCE mynahoken.linkage_run_id_seq;
DROP SEQUENCE mynahoken.linkage_run_id_seq;
ALTER EXTENSION mynahoken DROP SEQUENCE mynahoken.linkage_case_id_seq;
DROP SEQUENCE mynahoken.linkage_case_id_seq;
ALTER EXTENSION mynahoken DROP SEQUENCE mynahoken.linkage_case_event_id_seq;
DROP SEQUENCE mynahoken.linkage_case_event_id_seq;
DROP TYPE mynahoken.linkage_provenance;
DROP TYPE mynahoken.linkage_case_state;

-- My Number linkage checks (紐付け点検): find members linked to another
-- person's My Number without keeping names, addresses, birth dates or
-- numbers in clear.  See doc/linkage.md.
--
-- Names and addresses are stored only as keyed digests, one per fold level
-- (src/core/linkage.h), under a key derived from the keyring for this
-- purpose; the nightly check compares digests and writes reason codes; a
-- work queue keeps the cases, their states and history as codes.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_linkage_intake') THEN
    CREATE ROLE mynahoken_linkage_intake NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_linkage_clerk') THEN
    CREATE ROLE mynahoken_linkage_clerk NOLOGIN;
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Keyed digests at fold levels

-- STABLE: the digests depend on the active key version of the keyring.
CREATE FUNCTION mynahoken.linkage_digests(value text, field text,
                                          variant_from text DEFAULT '', variant_to text DEFAULT '')
  RETURNS bytea[]
  AS 'MODULE_PATHNAME', 'linkage_digests'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_birth_date_digest(birth_date date) RETURNS bytea
  AS 'MODULE_PATHNAME', 'linkage_birth_date_digest'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_sex_digest(sex integer) RETURNS bytea
  AS 'MODULE_PATHNAME', 'linkage_sex_digest'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_match_level(a bytea[], b bytea[]) RETURNS integer
  AS 'MODULE_PATHNAME', 'linkage_match_level'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Unseals inside: reachable only through record_member_report().
CREATE FUNCTION mynahoken.linkage_last4_matches(sealed mynahoken.mynumber_sealed, reported text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'linkage_last4_matches'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
-- Whoever can compute digests holds an oracle for the key (a birth date
-- digest is found among 40,000 dates): only the intake role.
REVOKE ALL ON FUNCTION mynahoken.linkage_digests(text, text, text, text),
  mynahoken.linkage_birth_date_digest(date), mynahoken.linkage_sex_digest(integer),
  mynahoken.linkage_last4_matches(mynahoken.mynumber_sealed, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_digests(text, text, text, text),
  mynahoken.linkage_birth_date_digest(date), mynahoken.linkage_sex_digest(integer)
  TO mynahoken_linkage_intake;
COMMENT ON FUNCTION mynahoken.linkage_digests(text, text, text, text) IS
  'Keyed digests of a name or address (field kana, kanji or address), one per fold level (level 0 exact, then NFKC and the folds of doc/linkage.md); for kana then the two review forms (voicing removed, long vowels folded: never a match), and for kana and kanji last the given name alone (NULL without a 氏/名 gap); variant_from/variant_to: the kanji variant table as two strings of single characters; NULL when the value contains ●, 〓 or 外字';
COMMENT ON FUNCTION mynahoken.linkage_birth_date_digest(date) IS
  'Keyed digest of a birth date (no fold level: a birth date is never fuzzed)';
COMMENT ON FUNCTION mynahoken.linkage_sex_digest(integer) IS
  'Keyed digest of a sex code as J-LIS gives it (1, 2); no fold level';
COMMENT ON FUNCTION mynahoken.linkage_match_level(bytea[], bytea[]) IS
  'Lowest element (0-based) at which two digest arrays hold the same digest, or NULL when none does (for kana, 4 and 5 are the review forms and 6 the given name: not matches)';
COMMENT ON FUNCTION mynahoken.linkage_last4_matches(mynahoken.mynumber_sealed, text) IS
  'Whether the last four digits of a sealed My Number equal the digits a member reports; neither leaves the function; called by record_member_report only';

-- The kanji variant table the DBA loads (髙→高): single characters, one to
-- one.  Not shipped: MJ縮退マップ is CC BY-SA and large, and the reviewed
-- pairs are the insurer's decision.
CREATE TABLE mynahoken.kanji_variant (
  variant  text PRIMARY KEY CHECK (pg_catalog.length(variant) OPERATOR(pg_catalog.=) 1),
  standard text NOT NULL CHECK (pg_catalog.length(standard) OPERATOR(pg_catalog.=) 1
                                AND standard OPERATOR(pg_catalog.<>) variant),
  source   text NOT NULL DEFAULT 'reviewed' CHECK (source IN ('mj_single_candidate', 'reviewed'))
);
COMMENT ON TABLE mynahoken.kanji_variant IS
  'Kanji variant table loaded by the DBA (fold level J2): one character to its standard form (髙→高, 﨑→崎), from MJ縮退マップ single-candidate rows or reviewed pairs; nothing shipped';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.kanji_variant', '');
GRANT SELECT ON mynahoken.kanji_variant TO mynahoken_linkage_intake;

-- ---------------------------------------------------------------------------
-- Inputs as rows: the insurer's members, J-LIS answers, members' reports.
-- No name, address, birth date or number in clear: digests, tokens and
-- sealed values only.

CREATE TYPE mynahoken.linkage_provenance AS ENUM (
  'member_submitted',    -- on the 資格取得届 from the member's own documents
  'employer_submitted',  -- on the 資格取得届, typed by the employer
  'jlis_lookup_5',       -- looked up at J-LIS with all 5 fields (since 2023-06)
  'jlis_lookup_weak',    -- looked up at J-LIS on カナ氏名 + 生年月日 + 性別 (the 2023 failure)
  'municipal_juki',      -- from the 住民基本台帳 itself (国保, 後期)
  'unknown'
);
COMMENT ON TYPE mynahoken.linkage_provenance IS
  'How a member''s My Number was obtained: submitted by the member or the employer, a J-LIS lookup with 5 fields or a weak one, the 住民基本台帳, unknown';

-- The per-member step of the check (src/linkage_check.c): one call per
-- member gives its reason codes, severity and fold levels packed in a
-- bigint; the others read such a result.
CREATE FUNCTION mynahoken.linkage_check_result(
    token mynahoken.mynumber_token, sent_token mynahoken.mynumber_token,
    provenance mynahoken.linkage_provenance, number_confirmed boolean,
    kanji_digest bytea[], kana_digest bytea[], address_digest bytea[],
    birth_date_digest bytea, sex_digest bytea,
    jlis_response_id bigint, jlis_token mynahoken.mynumber_token, jlis_found boolean,
    jlis_kanji_digest bytea[], jlis_kana_digest bytea[], jlis_address_digest bytea[],
    jlis_birth_date_digest bytea, jlis_sex_digest bytea,
    claim text, last4_matches boolean, shared boolean, swap boolean,
    severity smallint[], lowered boolean[])
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'linkage_check_result'
  LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_swap_candidate(
    token mynahoken.mynumber_token, jlis_token mynahoken.mynumber_token, jlis_found boolean,
    birth_date_digest bytea, sex_digest bytea, kana_digest bytea[],
    jlis_birth_date_digest bytea, jlis_sex_digest bytea, jlis_kana_digest bytea[])
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'linkage_swap_candidate'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- The same check in two steps: what the member's own row decides, stored
-- with the row (linkage_member.own_result), and what other rows and the
-- severity table add at check time.
CREATE FUNCTION mynahoken.linkage_member_result(
    token mynahoken.mynumber_token, sent_token mynahoken.mynumber_token,
    lookup boolean, weak_unconfirmed boolean,
    kanji_digest bytea[], kana_digest bytea[], address_digest bytea[],
    birth_date_digest bytea, sex_digest bytea,
    jlis_response_id bigint, jlis_token mynahoken.mynumber_token, jlis_found boolean,
    jlis_kanji_digest bytea[], jlis_kana_digest bytea[], jlis_address_digest bytea[],
    jlis_birth_date_digest bytea, jlis_sex_digest bytea,
    claim text, last4_matches boolean)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'linkage_member_result'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_finish(own_result bigint, shared boolean, swap boolean,
                                                severity smallint[], lowered boolean[])
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'linkage_result_finish'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_reason_list() RETURNS text[]
  AS 'MODULE_PATHNAME', 'linkage_reason_list'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_reasons(result bigint) RETURNS text[]
  AS 'MODULE_PATHNAME', 'linkage_result_reasons'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_severity(result bigint) RETURNS smallint
  AS 'MODULE_PATHNAME', 'linkage_result_severity'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_level(result bigint, field integer) RETURNS smallint
  AS 'MODULE_PATHNAME', 'linkage_result_level'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.linkage_check_result(mynahoken.mynumber_token, mynahoken.mynumber_token, mynahoken.linkage_provenance, boolean, bytea[], bytea[], bytea[], bytea, bytea, bigint, mynahoken.mynumber_token, boolean, bytea[], bytea[], bytea[], bytea, bytea, text, boolean, boolean, boolean, smallint[], boolean[]) IS
  'The check of one member in one call: its own digests against those of its newest J-LIS answer, its report, whether its token is held by another person and whether a household swap was found; severity and lowered are linkage_reason in the order of linkage_reason_list() (error 22023 otherwise); returns the result packed as a bigint (bits 0-39 reasons, 40-51 fold levels, 56-59 severity: a result of severity s is at least s << 56)';
COMMENT ON FUNCTION mynahoken.linkage_swap_candidate(mynahoken.mynumber_token, mynahoken.mynumber_token, boolean, bytea, bytea, bytea[], bytea, bytea, bytea[]) IS
  'Whether the J-LIS answer for the member''s own token found a person whose birth date, sex or K2 カナ digest is not the member''s: only then can another household member be that person';
COMMENT ON FUNCTION mynahoken.linkage_member_result(mynahoken.mynumber_token, mynahoken.mynumber_token, boolean, boolean, bytea[], bytea[], bytea[], bytea, bytea, bigint, mynahoken.mynumber_token, boolean, bytea[], bytea[], bytea[], bytea, bytea, text, boolean) IS
  'What one member''s own row decides in its linkage check: its digests against those of its newest J-LIS answer (lookup: the number came from a J-LIS lookup; weak_unconfirmed: from a weak lookup never confirmed), its report; reason codes and fold levels packed as in linkage_check_result, severity 0, without the codes other rows decide; the generated column linkage_member.own_result';
COMMENT ON FUNCTION mynahoken.linkage_result_finish(bigint, boolean, boolean, smallint[], boolean[]) IS
  'A member''s stored own result (linkage_member_result) with token_shared_other_person and household_swap as shared and swap say, and its severity from severity and lowered (linkage_reason in the order of linkage_reason_list(); error 22023 otherwise): the packed result of linkage_check_result; NULL for a NULL own_result';
COMMENT ON FUNCTION mynahoken.linkage_reason_list() IS
  'The reason codes of the checks in the order of the bits of a packed result';
COMMENT ON FUNCTION mynahoken.linkage_result_reasons(bigint) IS
  'The reason codes of a packed check result';
COMMENT ON FUNCTION mynahoken.linkage_result_severity(bigint) IS
  'The severity (0-3) of a packed check result';
COMMENT ON FUNCTION mynahoken.linkage_result_level(bigint, integer) IS
  'The fold level of a packed check result for field 1 (カナ), 2 (漢字) or 3 (住所): -2 unverifiable, -1 none, 0 and up the level (カナ 4 and 5: a review form), NULL not compared; 22023 for another field';

CREATE SEQUENCE mynahoken.linkage_change_seq;
COMMENT ON SEQUENCE mynahoken.linkage_change_seq IS
  'Orders every change of a linkage input (member facts, newest J-LIS answer, newest report): incremental checks look at members changed since the last run';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_change_seq', '');

CREATE TABLE mynahoken.linkage_member (
  -- what the check reads of every member comes first, so that a scan
  -- deforms four columns, not the digests
  insured_key       text PRIMARY KEY,
  token             mynahoken.mynumber_token,
  -- what the member's own row decides (reason codes and fold levels,
  -- linkage_member_result), kept with the row like an index: the check adds
  -- what other rows decide and the severity
  own_result        bigint GENERATED ALWAYS AS (
                      mynahoken.linkage_member_result(
                        token, sent_token, provenance IN ('jlis_lookup_5', 'jlis_lookup_weak'),
                        provenance = 'jlis_lookup_weak' AND NOT number_confirmed,
                        kanji_digest, kana_digest, address_digest, birth_date_digest, sex_digest,
                        jlis_response_id, jlis_token, jlis_found, jlis_kanji_digest, jlis_kana_digest,
                        jlis_address_digest, jlis_birth_date_digest, jlis_sex_digest,
                        report_claim, report_last4_matches)) STORED,
  -- whether another member of the household may be the person J-LIS found
  -- for this member's token (its facts are not the member's own): only then
  -- does the check look the household up
  swap_candidate    boolean GENERATED ALWAYS AS (
                      household IS NOT NULL
                      AND mynahoken.linkage_swap_candidate(token, jlis_token, jlis_found, birth_date_digest,
                                                           sex_digest, kana_digest, jlis_birth_date_digest,
                                                           jlis_sex_digest, jlis_kana_digest)) STORED,
  household         text,              -- 記号・番号 shared by the insured person and dependants
  sealed            mynahoken.mynumber_sealed,
  provenance        mynahoken.linkage_provenance NOT NULL DEFAULT 'unknown',
  number_confirmed  boolean NOT NULL DEFAULT false,   -- later confirmed from the member's own documents
  sent_token        mynahoken.mynumber_token,         -- token of the number last sent to the 中間サーバー
  kanji_digest      bytea[],
  kana_digest       bytea[],
  address_digest    bytea[],
  birth_date_digest bytea,
  sex_digest        bytea,
  jlis_response_id  bigint,            -- the newest J-LIS answer for this member, and its facts:
  jlis_token        mynahoken.mynumber_token,   -- copied here so that the check reads one row per member
  jlis_found        boolean,
  jlis_kanji_digest bytea[],
  jlis_kana_digest  bytea[],
  jlis_address_digest bytea[],
  jlis_birth_date_digest bytea,
  jlis_sex_digest   bytea,
  report_id         bigint,            -- the newest report of this member
  change_seq        bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq'),
  identity_seq      bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq'),
                    -- last change of what other members' checks read: token, household, birth date, sex, カナ
  report_claim      text,              -- the claim and the yes/no of the newest report, copied here
  report_last4_matches boolean         -- so that the check reads one row per member
);
COMMENT ON TABLE mynahoken.linkage_member IS
  'The insurer''s own facts of each member as keyed digests (kanji, kana and address at every fold level, birth date, sex), the token and sealed value of the linked My Number, its provenance, the token last sent onward, and a copy of the digests of its newest J-LIS answer (jlis_*); change_seq orders every change, identity_seq the changes other members'' checks depend on (token, household, birth date, sex, カナ), the newest report''s claim and yes/no, whether a household swap is possible (swap_candidate, generated) and what the member''s own row decides in its check (own_result, generated by linkage_member_result); filled by linkage_load_members, linkage_load_jlis and record_member_report';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_member', '');
CREATE INDEX linkage_member_token ON mynahoken.linkage_member (token);
CREATE INDEX linkage_member_household ON mynahoken.linkage_member (household);
CREATE INDEX linkage_member_change ON mynahoken.linkage_member (change_seq);
COMMENT ON INDEX mynahoken.linkage_member_token IS 'Members by token: one token on two people';
COMMENT ON INDEX mynahoken.linkage_member_household IS 'Members by household: swaps inside a household';
COMMENT ON INDEX mynahoken.linkage_member_change IS 'Members by change: incremental checks';
CREATE INDEX linkage_member_swap ON mynahoken.linkage_member (insured_key) WHERE swap_candidate;
COMMENT ON INDEX mynahoken.linkage_member_swap IS 'Members whose J-LIS facts are not their own: household swaps';

-- A token or household a member left: the members who still hold it are
-- checked again by the next incremental run (their token may no longer be
-- shared, their household no longer swapped).
CREATE TABLE mynahoken.linkage_left (
  change_seq  bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq'),
  token       mynahoken.mynumber_token,
  household   text
);
COMMENT ON TABLE mynahoken.linkage_left IS
  'Tokens and households members left (a corrected number, a move between households), with the change that left them: an incremental check looks again at the members who still hold them; emptied as runs finish';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_left', '');

-- Tokens held by two or more different people (birth date, sex or K2 カナ
-- differ), kept by the triggers below on every change of linkage_member,
-- like an index: the check reads it instead of aggregating every token.
-- Not dumped: restoring linkage_member fills it again.
CREATE TABLE mynahoken.linkage_shared_token (
  token mynahoken.mynumber_token PRIMARY KEY
);
COMMENT ON TABLE mynahoken.linkage_shared_token IS
  'Tokens that linkage_member holds for two or more different people (birth date, sex or K2 カナ digest differ): one number, two people (E7); kept by triggers on linkage_member, never written by hand';

CREATE FUNCTION mynahoken.linkage_shared_token_sync()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  touched mynahoken.mynumber_token[];
  rows bigint;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE mynahoken.linkage_shared_token;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    SELECT count(*) INTO rows FROM linkage_old;
  ELSE
    SELECT count(*) INTO rows FROM linkage_new;
  END IF;
  IF rows > 100000 THEN
    -- a bulk load: count every token again
    DELETE FROM mynahoken.linkage_shared_token;
    INSERT INTO mynahoken.linkage_shared_token (token)
    SELECT m.token FROM mynahoken.linkage_member AS m WHERE m.token IS NOT NULL
     GROUP BY m.token
    HAVING count(DISTINCT ROW(m.birth_date_digest, m.sex_digest, m.kana_digest[3])) > 1;
    RETURN NULL;
  END IF;
  -- the tokens whose holders may have changed
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n.token) INTO touched FROM linkage_new AS n WHERE n.token IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT o.token) INTO touched FROM linkage_old AS o WHERE o.token IS NOT NULL;
  ELSE
    SELECT array_agg(DISTINCT t.token) INTO touched
      FROM linkage_old AS o FULL JOIN linkage_new AS n ON n.insured_key = o.insured_key
     CROSS JOIN LATERAL (VALUES (o.token), (n.token)) AS t (token)
     WHERE t.token IS NOT NULL
       AND ROW(mynahoken.mynumber_token_send(o.token), o.birth_date_digest, o.sex_digest, o.kana_digest[3])
           IS DISTINCT FROM
           ROW(mynahoken.mynumber_token_send(n.token), n.birth_date_digest, n.sex_digest, n.kana_digest[3]);
  END IF;
  IF touched IS NULL THEN
    RETURN NULL;
  END IF;
  DELETE FROM mynahoken.linkage_shared_token AS s WHERE s.token OPERATOR(mynahoken.=) ANY (touched);
  INSERT INTO mynahoken.linkage_shared_token (token)
  SELECT m.token FROM mynahoken.linkage_member AS m
   WHERE m.token OPERATOR(mynahoken.=) ANY (touched)
   GROUP BY m.token
  HAVING count(DISTINCT ROW(m.birth_date_digest, m.sex_digest, m.kana_digest[3])) > 1;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_shared_token_sync() IS
  'Trigger of linkage_member: recounts the people holding each token a statement inserted, deleted or changed (token, birth date, sex, K2 カナ) and keeps linkage_shared_token';
CREATE TRIGGER linkage_shared_token_insert AFTER INSERT ON mynahoken.linkage_member
  REFERENCING NEW TABLE AS linkage_new FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
CREATE TRIGGER linkage_shared_token_update AFTER UPDATE ON mynahoken.linkage_member
  REFERENCING OLD TABLE AS linkage_old NEW TABLE AS linkage_new FOR EACH STATEMENT
  EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
CREATE TRIGGER linkage_shared_token_delete AFTER DELETE ON mynahoken.linkage_member
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
CREATE TRIGGER linkage_shared_token_truncate AFTER TRUNCATE ON mynahoken.linkage_member
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
COMMENT ON TRIGGER linkage_shared_token_insert ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';
COMMENT ON TRIGGER linkage_shared_token_update ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';
COMMENT ON TRIGGER linkage_shared_token_delete ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';
COMMENT ON TRIGGER linkage_shared_token_truncate ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';

CREATE SEQUENCE mynahoken.jlis_response_id_seq;
COMMENT ON SEQUENCE mynahoken.jlis_response_id_seq IS 'Identifiers of J-LIS answers';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.jlis_response_id_seq', '');
CREATE TABLE mynahoken.jlis_response (
  response_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.jlis_response_id_seq'),
  insured_key       text NOT NULL,
  token             mynahoken.mynumber_token NOT NULL,   -- the number that was asked about
  asked_on          date NOT NULL,
  source            text NOT NULL CHECK (source IN ('own_query', 'chukan_match', 'member_docs')),
  found             boolean NOT NULL,                    -- J-LIS had a person for this number
  kanji_digest      bytea[],
  kana_digest       bytea[],
  address_digest    bytea[],
  birth_date_digest bytea,
  sex_digest        bytea,
  source_ref        text                                 -- file and row of the answer, never its content
);
COMMENT ON TABLE mynahoken.jlis_response IS
  'J-LIS answers (基本4情報/5情報) for a member and the number asked about: keyed digests only, the token of the number, where the answer came from (own query, 中間サーバー 突合結果, member''s documents); filled by linkage_load_jlis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.jlis_response', '');
CREATE INDEX jlis_response_member ON mynahoken.jlis_response (insured_key, asked_on DESC, response_id DESC);
COMMENT ON INDEX mynahoken.jlis_response_member IS 'J-LIS answers of a member, newest first';

CREATE SEQUENCE mynahoken.member_report_id_seq;
COMMENT ON SEQUENCE mynahoken.member_report_id_seq IS 'Identifiers of members'' reports';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_report_id_seq', '');
CREATE TABLE mynahoken.member_report (
  report_id     bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.member_report_id_seq'),
  insured_key   text NOT NULL,
  reported_on   date NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('employer', 'mail', 'counter', 'portal')),
  claim         text NOT NULL CHECK (claim IN ('last4_differs', 'last4_ok', 'not_me', 'facts_wrong')),
  last4_matches boolean          -- the reported digits against the sealed number; the digits are not kept
);
COMMENT ON TABLE mynahoken.member_report IS
  'Members'' reports after the 資格情報のお知らせ (下4桁): the claim, the channel, and whether the reported last four digits match the sealed number (the digits themselves are never stored); filled by record_member_report';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_report', '');
CREATE INDEX member_report_member ON mynahoken.member_report (insured_key);
COMMENT ON INDEX mynahoken.member_report_member IS 'Reports of a member';

-- ---------------------------------------------------------------------------
-- Reason codes, resolutions, runs, results, cases

CREATE TABLE mynahoken.linkage_reason (
  code      text PRIMARY KEY,
  severity  smallint NOT NULL CHECK (severity BETWEEN 0 AND 3),
  strength  text NOT NULL CHECK (strength IN ('strong', 'review', 'info')),
  lowered_by_last4_ok boolean NOT NULL,
  basis     text NOT NULL,
  rarer_from date        -- from this day the code should become rarer (the 戸籍 カナ, 2026-05-26)
);
COMMENT ON TABLE mynahoken.linkage_reason IS
  'Reason codes of the linkage checks: default severity (3 high, 2 review, 1 info, 0 recorded only; the insurer may change it), strength, whether a member''s matching last four digits lower it by one, the basis (doc/linkage.md), and the day from which a code should become rarer (K2/K3 kana codes: カナ recorded from the 戸籍 from 2026-05-26, 令和5年法律第48号)';
INSERT INTO mynahoken.linkage_reason (code, severity, strength, lowered_by_last4_ok, basis, rarer_from) VALUES
  ('jlis_not_found',                       3, 'strong', false, 'J-LIS has no person for the linked number (E5: a typo that passes the check digit)', NULL),
  ('birth_date_mismatch',                  3, 'strong', false, '生年月日 differs: 3.6 % of such mismatches were real errors (E3, E4)', NULL),
  ('sex_mismatch',                         3, 'strong', false, '性別 differs: strong signal, never fuzzed', NULL),
  ('kana_mismatch',                        3, 'strong', true,  'カナ氏名 differs at every fold level (E1, E4)', NULL),
  ('token_shared_other_person',            3, 'strong', false, 'another member with the same token differs in birth date, sex or カナ (E7)', NULL),
  ('household_swap',                       3, 'strong', false, 'J-LIS facts of the linked number are the own facts of another member of the household (E3, E4)', NULL),
  ('address_mismatch_after_lookup',        3, 'strong', true,  '住所 differs and the number came from a J-LIS lookup: the only difference of a homonym (E2)', NULL),
  ('address_mismatch_kanji_unverifiable',  3, 'strong', true,  '漢字氏名 is unverifiable (●) and 住所 differs: nothing but カナ, birth date and sex left (E1)', NULL),
  ('member_reports_last4_differs',         3, 'strong', false, 'the member reports other last four digits than the registered number, or says it is not theirs', NULL),
  ('provenance_weak_unconfirmed',          2, 'review', true,  'number from a J-LIS lookup on カナ, birth date and sex only, never confirmed (E1)', NULL),
  ('kanji_mismatch',                       2, 'review', true,  '漢字氏名 differs at every fold level while カナ matches (外字, variant not in the table)', NULL),
  ('kanji_unverifiable',                   2, 'review', true,  '漢字氏名 holds ●, 〓 or 外字 on one side: it cannot be compared', NULL),
  ('kana_unverifiable',                    2, 'review', true,  'カナ氏名 holds a stand-in character on one side', NULL),
  ('correction_not_sent',                  2, 'review', false, 'the linked number differs from the one last sent to the 中間サーバー (E9)', NULL),
  ('member_reports_facts_wrong',           2, 'review', false, 'the member reports that the printed facts are wrong', NULL),
  ('address_mismatch',                     1, 'info',   false, '住所 differs; the number was submitted, so the address is probably stale (E10)', NULL),
  ('kana_small_large_only',                1, 'info',   false, 'カナ matches once small kana are written large (K2: early 住基 systems)', '2026-05-26'),
  ('kana_ji_zu_only',                      1, 'info',   false, 'カナ matches once ヂ/ヅ are written ジ/ズ (K3)', '2026-05-26'),
  ('kanji_variant_only',                   1, 'info',   false, '漢字 matches through the DBA''s variant table (J2: 髙→高)', NULL),
  ('jlis_not_checked',                     1, 'info',   false, 'no J-LIS answer for this member yet', NULL),
  ('jlis_stale',                           1, 'info',   false, 'the newest J-LIS answer is for another number than the one linked now', NULL),
  ('no_number_linked',                     1, 'info',   false, 'no My Number is linked (E11)', NULL),
  ('kana_notation_only',                   0, 'info',   false, 'カナ matches once width, hiragana and spaces are folded (K1)', NULL),
  ('kanji_notation_only',                  0, 'info',   false, '漢字 matches once width, spaces and variation selectors are folded (J1)', NULL),
  ('address_format_only',                  0, 'info',   false, '住所 matches once 丁目/番地/号, 漢数字 and dashes are folded (A1)', NULL),
  ('member_reports_last4_ok',              0, 'info',   false, 'the member''s reported last four digits match: lowers name-only codes by one, never birth date or sex', NULL),
  ('surname_only_mismatch',                2, 'review', true,  'only the surname differs: the given name (カナ, and 漢字 unless unverifiable), birth date and sex match (marriage not filed; the 0.025 % class)', NULL),
  ('kana_voicing_only',                    2, 'review', true,  'カナ matches only once 濁点/半濁点 are removed (タイスケ/ダイスケ): a refused fold, so a review, never a match', NULL),
  ('kana_long_vowel_only',                 2, 'review', true,  'カナ matches only once long vowels are folded (オーノ/オオノ): a refused fold, so a review, never a match', NULL),
  ('digest_key_stale',                     1, 'info',   false, 'the member''s digests and those of its J-LIS answer are under different key versions: reload both after a key rotation; nothing was compared', NULL);

CREATE TYPE mynahoken.linkage_case_state AS ENUM (
  'open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis',
  'corrected',            -- a new number is linked (new token) and sent onward
  'confirmed_no_error',   -- 理由付き疑いなし, with a resolution code
  'closed'
);
COMMENT ON TYPE mynahoken.linkage_case_state IS
  'State of a linkage case: open, waiting for the employer, the member or J-LIS, corrected, confirmed with a reason (理由付き疑いなし), closed';

CREATE TABLE mynahoken.linkage_resolution (
  code     text PRIMARY KEY,
  state    mynahoken.linkage_case_state NOT NULL,
  basis    text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_resolution IS
  'Codes a clerk may give with a state change (case notes are codes, never free text, so nobody pastes a name): the state each code goes with';
INSERT INTO mynahoken.linkage_resolution VALUES
  ('asked_employer',           'awaiting_employer',  'the employer was asked for the member''s documents'),
  ('asked_member',             'awaiting_member',    'the member was asked directly'),
  ('asked_jlis_5',             'awaiting_jlis',      'J-LIS was asked again with all 5 fields'),
  ('reopened',                 'open',               'the case goes back to the open queue'),
  ('number_corrected',         'corrected',          'the right number is linked and sent to the 中間サーバー'),
  ('surname_changed_marriage', 'confirmed_no_error', 'the surname changed (marriage) and was not yet filed'),
  ('address_not_updated',      'confirmed_no_error', 'the member moved and the address was not yet filed'),
  ('kanji_variant',            'confirmed_no_error', 'the names differ only in a kanji variant or 外字'),
  ('kana_spelling',            'confirmed_no_error', 'the names differ only in how カナ is written'),
  ('documents_checked',        'confirmed_no_error', 'the member''s identity documents show the number is theirs'),
  ('member_confirmed_last4',   'confirmed_no_error', 'the member confirmed the last four digits'),
  ('member_left',              'closed',             'the member left and the record is past'),
  ('duplicate_case',           'closed',             'the same error is handled in another case');

CREATE SEQUENCE mynahoken.linkage_run_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_run_id_seq IS 'Identifiers of linkage check runs';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run_id_seq', '');
CREATE TABLE mynahoken.linkage_run (
  run_id          bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_run_id_seq'),
  full_check      boolean NOT NULL,
  since_seq       bigint NOT NULL,     -- members changed after this ...
  upto_seq        bigint NOT NULL,     -- ... up to this are checked (all of them in a full check)
  status          text NOT NULL CHECK (status IN ('running', 'finished')),
  batch_size      integer NOT NULL CHECK (batch_size > 0),
  next_key        text,                -- resume point: members after this key are still to check
  members_checked bigint NOT NULL DEFAULT 0,
  cases_opened    bigint NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at     timestamptz,
  results_changed bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE mynahoken.linkage_run IS
  'Runs of the linkage check: full or incremental (members changed since the last finished run), the resume point of a run that stopped, counts (members checked, results that changed, cases opened)';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run', '');

CREATE TABLE mynahoken.linkage_run_key (
  run_id      bigint NOT NULL REFERENCES mynahoken.linkage_run ON DELETE CASCADE,
  insured_key text NOT NULL,
  PRIMARY KEY (run_id, insured_key)
);
COMMENT ON TABLE mynahoken.linkage_run_key IS
  'Members an incremental run checks: changed since the last run, and the members who share a token or a household with them';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run_key', '');

CREATE TABLE mynahoken.linkage_check (
  insured_key   text PRIMARY KEY,
  run_id        bigint NOT NULL REFERENCES mynahoken.linkage_run ON DELETE CASCADE,  -- the run that found this result
  result        bigint NOT NULL,   -- the packed result (linkage_result_reasons, _severity, _level)
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  kana_level    smallint,   -- fold level of the match; -1 no match, -2 unverifiable, NULL not compared
  kanji_level   smallint,
  address_level smallint
);
COMMENT ON TABLE mynahoken.linkage_check IS
  'Current result of the linkage check of every member of severity 1 and up (a member without a row is clean, or differs in notation only): the run that found it, reason codes, severity, and the fold level at which カナ, 漢字 and 住所 matched (-1 none, -2 unverifiable, 4 and 5 for カナ a review form, NULL not compared); a run writes only results that changed; codes only, never data';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_check', '');

-- How long a case may stay unanswered.  The 中間サーバー stops viewing until
-- the insurer corrects the record or confirms it with a reason, and no
-- deadline for that answer is published: the periods are the insurer's.
CREATE TABLE mynahoken.linkage_due_period (
  severity  smallint PRIMARY KEY CHECK (severity BETWEEN 2 AND 3),
  open_days integer NOT NULL CHECK (open_days BETWEEN 1 AND 250),
  basis     text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_due_period IS
  'Days the administration is open (行政機関の休日に関する法律 第1条, mynahoken.is_closed_day) from the opening of a linkage case to its due day, per severity, with the basis; shipped defaults, the insurer updates them';
INSERT INTO mynahoken.linkage_due_period VALUES
  (3, 5,  'mynahoken default: a strong signal stops viewing at the 中間サーバー (誤入力チェック since 2024-05-07) until answered; 5 days as for registering a member''s number (資格取得届, since 2023-06-01; 健保ニュース 2023-06上旬). No published deadline for the answer (UNCONFIRMED)'),
  (2, 20, 'mynahoken default: a review code; the 総点検 gave insurers about four months for the 1.39 M 氏名等不一致 (2023-12 to spring 2024, MHLW 医療保険部会 第173回); the insurer''s choice');

CREATE SEQUENCE mynahoken.linkage_case_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_id_seq IS 'Identifiers of linkage cases';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_id_seq', '');
CREATE TABLE mynahoken.linkage_case (
  case_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_id_seq'),
  insured_key   text NOT NULL,
  token         mynahoken.mynumber_token,    -- the token the case is about
  opened_run    bigint NOT NULL,
  last_run      bigint NOT NULL,
  opened_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  state         mynahoken.linkage_case_state NOT NULL DEFAULT 'open',
  assigned_to   name,
  resolution    text REFERENCES mynahoken.linkage_resolution,
  due_on        date,        -- from linkage_due_period; NULL beyond the holiday calendar
  result        bigint       -- the packed result that opened or last changed the case
);
COMMENT ON TABLE mynahoken.linkage_case IS
  'Work queue of the linkage checks: one case per member and error, with its reasons, severity, state, assigned role, resolution code and due day (linkage_due_period); at most one unfinished case per member';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case', '');
CREATE UNIQUE INDEX linkage_case_one_open ON mynahoken.linkage_case (insured_key)
  WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON INDEX mynahoken.linkage_case_one_open IS 'At most one unfinished case per member';

CREATE SEQUENCE mynahoken.linkage_case_event_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_event_id_seq IS 'Identifiers of linkage case events';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event_id_seq', '');
CREATE TABLE mynahoken.linkage_case_event (
  event_id    bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_event_id_seq'),
  case_id     bigint NOT NULL REFERENCES mynahoken.linkage_case,
  at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  actor       name NOT NULL DEFAULT SESSION_USER,
  from_state  mynahoken.linkage_case_state,
  to_state    mynahoken.linkage_case_state NOT NULL,
  code        text NOT NULL,
  assigned_to name
);
COMMENT ON TABLE mynahoken.linkage_case_event IS
  'History of each linkage case, append-only: who, when, from which state to which, with a code (opened_by_check, a resolution code, assigned); never free text';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event', '');
CREATE INDEX linkage_case_event_case ON mynahoken.linkage_case_event (case_id, event_id);
COMMENT ON INDEX mynahoken.linkage_case_event_case IS 'History of a case in order';

-- ---------------------------------------------------------------------------
-- Loading

-- The column list a source must have, with the type each is read as.
CREATE FUNCTION mynahoken.linkage_source_check(source regclass, columns text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text[];
BEGIN
  SELECT array_agg(c ORDER BY c) INTO missing
    FROM unnest(columns) AS c
   WHERE NOT EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = source AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
  IF missing IS NOT NULL THEN
    PERFORM mynahoken.raise_error('42703', 'linkage source lacks columns',
      detail => pg_catalog.format(mynahoken.gettext('Missing: %s.'), array_to_string(missing, ', ')),
      hint => pg_catalog.format(mynahoken.gettext('The source needs the columns %s.'), array_to_string(columns, ', ')));
  END IF;
  RETURN (SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_source_check(regclass, text[]) IS
  'The qualified name of a linkage source after checking it has the columns named (an error lists the missing column names, never data); used by linkage_load_members and linkage_load_jlis';

-- The kanji variant table as the two strings linkage_digests takes.
CREATE FUNCTION mynahoken.kanji_variant_strings(OUT variant_from text, OUT variant_to text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT COALESCE(pg_catalog.string_agg(k.variant, '' ORDER BY k.variant), ''),
         COALESCE(pg_catalog.string_agg(k.standard, '' ORDER BY k.variant), '')
    FROM mynahoken.kanji_variant AS k;
END;
COMMENT ON FUNCTION mynahoken.kanji_variant_strings() IS
  'The kanji variant table as the two strings of single characters linkage_digests takes (variant_from, variant_to)';

CREATE FUNCTION mynahoken.linkage_load_members(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'household', 'token', 'sealed', 'provenance', 'number_confirmed', 'sent_token',
          'kanji_name', 'kana_name', 'address', 'birth_date', 'sex']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete or repeated rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) - count(DISTINCT s.insured_key) + count(*) FILTER (WHERE s.insured_key IS NULL)
                     FROM %s AS s$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23505', pg_catalog.format(mynahoken.gettext('linkage source has %s rows without a key or with a repeated key'), bad),
      detail => 'Every member needs one row with its own insured_key.');
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO before FROM mynahoken.linkage_change_seq AS s;
  -- The tokens and households members leave: the next incremental check
  -- looks again at whoever still holds them.
  EXECUTE format($q$
    INSERT INTO mynahoken.linkage_left (token, household)
    SELECT CASE WHEN x.token_left THEN x.token END, CASE WHEN x.household_left THEN x.household END
      FROM (SELECT m.token, m.household,
                   mynahoken.mynumber_token_send(m.token) IS DISTINCT FROM
                     mynahoken.mynumber_token_send(s.token::mynahoken.mynumber_token) AS token_left,
                   m.household IS DISTINCT FROM s.household::text AS household_left
              FROM %s AS s JOIN mynahoken.linkage_member AS m ON m.insured_key = s.insured_key::text) AS x
     WHERE (x.token_left AND x.token IS NOT NULL) OR (x.household_left AND x.household IS NOT NULL)$q$, src);
  -- Digests are computed once here; a member whose facts, number or
  -- provenance did not change keeps its row and its change_seq.
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings()),
    s AS (
      SELECT s.insured_key::text AS insured_key, s.household::text AS household,
             s.token::mynahoken.mynumber_token AS token, s.sealed::mynahoken.mynumber_sealed AS sealed,
             COALESCE(s.provenance::text, 'unknown')::mynahoken.linkage_provenance AS provenance,
             COALESCE(s.number_confirmed::boolean, false) AS number_confirmed,
             s.sent_token::mynahoken.mynumber_token AS sent_token,
             mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to) AS kanji_digest,
             mynahoken.linkage_digests(s.kana_name::text, 'kana') AS kana_digest,
             mynahoken.linkage_digests(s.address::text, 'address') AS address_digest,
             mynahoken.linkage_birth_date_digest(s.birth_date::date) AS birth_date_digest,
             mynahoken.linkage_sex_digest(s.sex::integer) AS sex_digest
        FROM %s AS s CROSS JOIN v)
    INSERT INTO mynahoken.linkage_member AS m
           (insured_key, household, token, sealed, provenance, number_confirmed, sent_token,
            kanji_digest, kana_digest, address_digest, birth_date_digest, sex_digest)
    SELECT * FROM s
    ON CONFLICT (insured_key) DO UPDATE
       SET household = EXCLUDED.household, token = EXCLUDED.token, sealed = EXCLUDED.sealed,
           provenance = EXCLUDED.provenance, number_confirmed = EXCLUDED.number_confirmed,
           sent_token = EXCLUDED.sent_token, kanji_digest = EXCLUDED.kanji_digest,
           kana_digest = EXCLUDED.kana_digest, address_digest = EXCLUDED.address_digest,
           birth_date_digest = EXCLUDED.birth_date_digest, sex_digest = EXCLUDED.sex_digest,
           change_seq = pg_catalog.nextval('mynahoken.linkage_change_seq'),
           identity_seq = CASE WHEN ROW(m.household, mynahoken.mynumber_token_send(m.token), m.kana_digest,
                                        m.birth_date_digest, m.sex_digest)
                                    IS DISTINCT FROM
                                    ROW(EXCLUDED.household, mynahoken.mynumber_token_send(EXCLUDED.token),
                                        EXCLUDED.kana_digest, EXCLUDED.birth_date_digest, EXCLUDED.sex_digest)
                               THEN pg_catalog.nextval('mynahoken.linkage_change_seq') ELSE m.identity_seq END
     WHERE ROW(m.household, mynahoken.mynumber_token_send(m.token), mynahoken.mynumber_sealed_send(m.sealed),
               m.provenance::text, m.number_confirmed, mynahoken.mynumber_token_send(m.sent_token),
               m.kanji_digest, m.kana_digest, m.address_digest, m.birth_date_digest, m.sex_digest)
           IS DISTINCT FROM
           ROW(EXCLUDED.household, mynahoken.mynumber_token_send(EXCLUDED.token),
               mynahoken.mynumber_sealed_send(EXCLUDED.sealed), EXCLUDED.provenance::text,
               EXCLUDED.number_confirmed, mynahoken.mynumber_token_send(EXCLUDED.sent_token),
               EXCLUDED.kanji_digest, EXCLUDED.kana_digest, EXCLUDED.address_digest,
               EXCLUDED.birth_date_digest, EXCLUDED.sex_digest)$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- A member loaded after its J-LIS answer or report points at them now.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT k.insured_key FROM mynahoken.linkage_member AS k
                                    WHERE k.change_seq > before AND k.jlis_response_id IS NULL)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS NULL;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_load_members(regclass) IS
  'Load the insurer''s member facts from a table or view (columns in doc/linkage.md; typically a temporary table filled by COPY): digests replace names, addresses, birth dates and sex; rows that did not change keep their change_seq; returns the rows inserted or changed';

CREATE FUNCTION mynahoken.linkage_load_jlis(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'token', 'asked_on', 'source', 'found', 'kanji_name', 'kana_name', 'address',
          'birth_date', 'sex', 'source_ref']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) FROM %s AS s
                     WHERE s.insured_key IS NULL OR s.token IS NULL OR s.asked_on IS NULL OR s.found IS NULL
                        OR s.source IS NULL OR s.source::text NOT IN ('own_query', 'chukan_match', 'member_docs')$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23502', pg_catalog.format(mynahoken.gettext('linkage source has %s incomplete rows'), bad),
      detail => 'Every J-LIS answer needs insured_key, token, asked_on, found and a source of own_query, chukan_match or member_docs.');
  END IF;
  SELECT COALESCE(max(r.response_id), 0) INTO before FROM mynahoken.jlis_response AS r;
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings())
    INSERT INTO mynahoken.jlis_response
           (insured_key, token, asked_on, source, found, kanji_digest, kana_digest, address_digest,
            birth_date_digest, sex_digest, source_ref)
    SELECT s.insured_key::text, s.token::mynahoken.mynumber_token, s.asked_on::date, s.source::text,
           s.found::boolean,
           mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to),
           mynahoken.linkage_digests(s.kana_name::text, 'kana'),
           mynahoken.linkage_digests(s.address::text, 'address'),
           mynahoken.linkage_birth_date_digest(s.birth_date::date),
           mynahoken.linkage_sex_digest(s.sex::integer),
           s.source_ref::text
      FROM %s AS s CROSS JOIN v$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- Each member points at its newest answer; a new pointer is a change.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest,
         change_seq = nextval('mynahoken.linkage_change_seq')
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT x.insured_key FROM mynahoken.jlis_response AS x
                                    WHERE x.response_id > before)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS DISTINCT FROM j.response_id;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_load_jlis(regclass) IS
  'Load J-LIS answers from a table or view (columns in doc/linkage.md; the number asked about as a token): digests replace the 基本4情報/5情報; each member then points at its newest answer; returns the answers loaded';

CREATE FUNCTION mynahoken.record_member_report(insured_key text, reported_last4 text, claim text,
                                               channel text DEFAULT 'employer',
                                               reported_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k text := insured_key;
  m record;
  matches boolean;
  id bigint;
BEGIN
  SELECT l.sealed INTO m FROM mynahoken.linkage_member AS l WHERE l.insured_key = k;
  -- No error for an unknown member: its statement (with the digits) would
  -- be logged.  NULL says nothing was recorded.
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF reported_last4 IS NOT NULL AND m.sealed IS NOT NULL THEN
    matches := mynahoken.linkage_last4_matches(m.sealed, reported_last4);
  END IF;
  INSERT INTO mynahoken.member_report (insured_key, reported_on, channel, claim, last4_matches)
  VALUES (k, reported_on, channel, claim, matches)
  RETURNING report_id INTO id;
  UPDATE mynahoken.linkage_member AS l
     SET report_id = id, report_claim = claim, report_last4_matches = matches,
         change_seq = nextval('mynahoken.linkage_change_seq')
   WHERE l.insured_key = k;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.record_member_report(text, text, text, text, date) IS
  'Record a member''s report after the 資格情報のお知らせ: the reported last four digits are compared inside with the sealed number and only the yes/no is kept; claim last4_differs, last4_ok, not_me or facts_wrong; NULL (nothing recorded) for a member not loaded; pass the digits as a bind parameter';

-- ---------------------------------------------------------------------------
-- The check: set-based, incremental, resumable

CREATE FUNCTION mynahoken.linkage_begin_run(full_check boolean, batch_size integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r bigint;
  since bigint;
  upto bigint;
BEGIN
  -- One run at a time; a run that stopped is resumed, not restarted.
  PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('mynahoken linkage run'));
  SELECT l.run_id INTO r FROM mynahoken.linkage_run AS l WHERE l.status = 'running' ORDER BY l.run_id LIMIT 1;
  IF FOUND THEN
    RETURN r;
  END IF;
  -- Wait for loads in flight, so that every change numbered up to upto is
  -- visible to this run.
  LOCK TABLE mynahoken.linkage_member IN SHARE MODE;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO upto FROM mynahoken.linkage_change_seq AS s;
  SELECT COALESCE(max(l.upto_seq), 0) INTO since FROM mynahoken.linkage_run AS l WHERE l.status = 'finished';
  INSERT INTO mynahoken.linkage_run (full_check, since_seq, upto_seq, status, batch_size)
  VALUES (full_check, CASE WHEN full_check THEN 0 ELSE since END, upto, 'running', batch_size)
  RETURNING run_id INTO r;
  IF NOT full_check THEN
    -- The members changed, and, where what other members' checks read
    -- changed (token, household, birth date, sex, カナ) or a token or
    -- household was left, the members who share it.  A new address, answer
    -- or report changes no one else's result.
    INSERT INTO mynahoken.linkage_run_key (run_id, insured_key)
    WITH changed AS (
      SELECT m.insured_key, m.token, m.household, m.identity_seq > since AS identity
        FROM mynahoken.linkage_member AS m
       WHERE m.change_seq > since AND m.change_seq <= upto),
    moved AS (
      SELECT c.token, c.household FROM changed AS c WHERE c.identity
      UNION ALL
      SELECT l.token, l.household FROM mynahoken.linkage_left AS l
       WHERE l.change_seq > since AND l.change_seq <= upto)
    SELECT r, k.insured_key
      FROM (SELECT c.insured_key FROM changed AS c
            UNION
            -- look each one up (OFFSET 0 keeps the index probes: the few
            -- members moved against the whole table)
            SELECT o.insured_key FROM moved AS v
             CROSS JOIN LATERAL (SELECT o.insured_key FROM mynahoken.linkage_member AS o
                                  WHERE o.token OPERATOR(mynahoken.=) v.token OFFSET 0) AS o
            UNION
            SELECT o.insured_key FROM moved AS v
             CROSS JOIN LATERAL (SELECT o.insured_key FROM mynahoken.linkage_member AS o
                                  WHERE o.household = v.household OFFSET 0) AS o) AS k
     -- in key order, so that the batches read the members in the order of the key index
     ORDER BY k.insured_key;
    -- so that the batches are planned for the number of members they check
    ANALYZE mynahoken.linkage_run_key;
  END IF;
  RETURN r;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_begin_run(boolean, integer) IS
  'Start a linkage check run (or return the run that stopped, to resume it): a full run checks every member, an incremental one the members changed since the last finished run and, where a token, household, birth date, sex or カナ changed or a token or household was left, those sharing it';

-- The due day of a case opened today: the open_days-th day after today on
-- which the administration is open; NULL beyond the holiday calendar.
CREATE FUNCTION mynahoken.linkage_due_on(opened_on date, open_days integer)
RETURNS date
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN opened_on OPERATOR(pg_catalog.<) '1948-07-20' THEN NULL
              WHEN pg_catalog.date_part('year', opened_on OPERATOR(pg_catalog.+)
                                               ((open_days OPERATOR(pg_catalog.*) 2) OPERATOR(pg_catalog.+) 14))
                   OPERATOR(pg_catalog.<=) (SELECT pg_catalog.max(e.year) FROM mynahoken.equinox_day AS e)
              THEN (SELECT d.d FROM (SELECT opened_on OPERATOR(pg_catalog.+) i AS d
                                       FROM pg_catalog.generate_series(1, (open_days OPERATOR(pg_catalog.*) 2)
                                                                          OPERATOR(pg_catalog.+) 14) AS i) AS d
                     WHERE NOT mynahoken.is_closed_day(d.d)
                     ORDER BY d.d OFFSET open_days OPERATOR(pg_catalog.-) 1 LIMIT 1) END;
END;
COMMENT ON FUNCTION mynahoken.linkage_due_on(date, integer) IS
  'The open_days-th day after opened_on on which the administration is open (行政機関の休日に関する法律 第1条: no weekend, 休日 or 12/29-1/3); NULL when that may lie outside the holiday calendar';

CREATE FUNCTION mynahoken.linkage_run_batch(run_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  run record;
  hi text;
  checked bigint;
  opened bigint;
  changed bigint;
  source text;
  old_source text;
  shared mynahoken.mynumber_token[];
  swapped text[];
  severities smallint[];
  lowered boolean[];
  due2 date;
  due3 date;
BEGIN
  SELECT * INTO run FROM mynahoken.linkage_run AS l WHERE l.run_id = linkage_run_batch.run_id FOR UPDATE;
  IF NOT FOUND OR run.status <> 'running' THEN
    RETURN true;
  END IF;
  -- The batch is a key range (next_key, hi]: the next batch_size members of
  -- the run in key order; hi is NULL for the last batch.
  IF run.full_check THEN
    -- every member: the table itself is the batch, scanned by key range
    SELECT count(*), max(b.k) INTO checked, hi
      FROM (SELECT m.insured_key AS k FROM mynahoken.linkage_member AS m
             WHERE run.next_key IS NULL OR m.insured_key > run.next_key
             ORDER BY m.insured_key LIMIT run.batch_size) AS b;
    source := 'mynahoken.linkage_member AS m';
    old_source := 'mynahoken.linkage_check AS c WHERE true';
  ELSE
    -- the members of this run: look each one up
    SELECT count(*), max(b.k) INTO checked, hi
      FROM (SELECT rk.insured_key AS k FROM mynahoken.linkage_run_key AS rk
             WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
             ORDER BY rk.insured_key LIMIT run.batch_size) AS b;
    source := 'mynahoken.linkage_run_key AS rk JOIN mynahoken.linkage_member AS m'
              ' ON m.insured_key OPERATOR(pg_catalog.=) rk.insured_key'
              ' AND rk.run_id OPERATOR(pg_catalog.=) $1';
    -- the previous results of this run's members only, looked up one by one
    old_source := 'mynahoken.linkage_run_key AS rk CROSS JOIN LATERAL (SELECT c.insured_key, c.result'
                  ' FROM mynahoken.linkage_check AS c WHERE c.insured_key OPERATOR(pg_catalog.=) rk.insured_key'
                  ' OFFSET 0) AS c WHERE rk.run_id OPERATOR(pg_catalog.=) $1';
  END IF;
  IF checked = 0 THEN
    UPDATE mynahoken.linkage_run AS l SET status = 'finished', finished_at = clock_timestamp()
     WHERE l.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_left AS lf WHERE lf.change_seq <= run.upto_seq;
    RETURN true;
  END IF;
  -- the last batch has no upper bound (no key filter to evaluate per member)
  IF checked < run.batch_size
     OR (run.full_check AND NOT EXISTS (SELECT FROM mynahoken.linkage_member AS m WHERE m.insured_key > hi))
     OR (NOT run.full_check AND NOT EXISTS (SELECT FROM mynahoken.linkage_run_key AS rk
                                             WHERE rk.run_id = run.run_id AND rk.insured_key > hi)) THEN
    hi := NULL;
  END IF;
  -- The severity table in the order of the result bits, and the due days.
  SELECT array_agg(COALESCE(lr.severity, 0::smallint) ORDER BY o.n),
         array_agg(COALESCE(lr.lowered_by_last4_ok, false) ORDER BY o.n)
    INTO severities, lowered
    FROM unnest(mynahoken.linkage_reason_list()) WITH ORDINALITY AS o (code, n)
    LEFT JOIN mynahoken.linkage_reason AS lr ON lr.code = o.code;
  SELECT mynahoken.linkage_due_on(current_date, d.open_days) INTO due2 FROM mynahoken.linkage_due_period AS d WHERE d.severity = 2;
  SELECT mynahoken.linkage_due_on(current_date, d.open_days) INTO due3 FROM mynahoken.linkage_due_period AS d WHERE d.severity = 3;
  -- The tokens held by two people (few, kept by the triggers), and the
  -- members of the batch whose J-LIS facts are another household member's
  -- own (few: swap_candidate, a partial index); the statement below tests
  -- each member against these two sets (hashed) instead of joining.
  SELECT COALESCE(array_agg(st.token), '{}') INTO shared FROM mynahoken.linkage_shared_token AS st;
  SELECT COALESCE(array_agg(m.insured_key), '{}') INTO swapped
    FROM mynahoken.linkage_member AS m
   WHERE m.swap_candidate
     AND (run.next_key IS NULL OR m.insured_key > run.next_key)
     AND (hi IS NULL OR m.insured_key <= hi)
     AND (run.full_check OR EXISTS (SELECT FROM mynahoken.linkage_run_key AS rk
                                     WHERE rk.run_id = run.run_id AND rk.insured_key = m.insured_key))
     AND EXISTS (SELECT FROM mynahoken.linkage_member AS o
                  WHERE o.household = m.household AND o.insured_key <> m.insured_key
                    AND o.birth_date_digest = m.jlis_birth_date_digest AND o.sex_digest = m.jlis_sex_digest
                    AND o.kana_digest[3] = m.jlis_kana_digest[3]);

  -- One set-based statement per batch.  Each member's result comes from one
  -- C call on what its own row decided when it was written (own_result:
  -- digest equality only, reasons packed in a bigint), the two small sets
  -- above and the severity table.  Only results that
  -- differ from the member's previous one are written, and only they open or
  -- update cases: a run over unchanged members writes nothing.
  EXECUTE format($q$
  WITH n AS (
    SELECT x.insured_key, x.token, x.result
      FROM (SELECT m.insured_key, m.token,
                   mynahoken.linkage_result_finish(
                     m.own_result, m.token OPERATOR(mynahoken.=) ANY ($8),
                     m.swap_candidate AND m.insured_key OPERATOR(pg_catalog.=) ANY ($9), $4, $5) AS result
              FROM %1$s
             WHERE ($2 IS NULL OR m.insured_key OPERATOR(pg_catalog.>) $2)
               AND ($3 IS NULL OR m.insured_key OPERATOR(pg_catalog.<=) $3)
            OFFSET 0) AS x
     -- severity 1 and up
     WHERE x.result OPERATOR(pg_catalog.>=) 72057594037927936),
  o AS (
    SELECT c.insured_key, c.result FROM %2$s
       AND ($2 IS NULL OR c.insured_key OPERATOR(pg_catalog.>) $2)
       AND ($3 IS NULL OR c.insured_key OPERATOR(pg_catalog.<=) $3)),
  d AS (
    SELECT COALESCE(n.insured_key, o.insured_key) AS insured_key, n.token, n.result,
           mynahoken.linkage_result_reasons(n.result) AS reasons,
           mynahoken.linkage_result_severity(n.result) AS severity
      FROM n FULL JOIN o ON o.insured_key OPERATOR(pg_catalog.=) n.insured_key
     WHERE n.result IS DISTINCT FROM o.result),
  gone AS (
    DELETE FROM mynahoken.linkage_check AS c USING d
     WHERE c.insured_key OPERATOR(pg_catalog.=) d.insured_key AND d.result IS NULL),
  up AS (
    INSERT INTO mynahoken.linkage_check AS c
           (insured_key, run_id, result, reasons, severity, kana_level, kanji_level, address_level)
    SELECT d.insured_key, $1, d.result, d.reasons, d.severity,
           mynahoken.linkage_result_level(d.result, 1), mynahoken.linkage_result_level(d.result, 2),
           mynahoken.linkage_result_level(d.result, 3)
      FROM d WHERE d.result IS NOT NULL
    ON CONFLICT (insured_key) DO UPDATE
       SET run_id = EXCLUDED.run_id, result = EXCLUDED.result, reasons = EXCLUDED.reasons,
           severity = EXCLUDED.severity, kana_level = EXCLUDED.kana_level,
           kanji_level = EXCLUDED.kanji_level, address_level = EXCLUDED.address_level),
  -- A case for severity 2 and up, unless one is unfinished (it gets the new
  -- reasons, and the earlier due day); nothing is closed here.
  cs AS (
    INSERT INTO mynahoken.linkage_case AS lc (insured_key, token, opened_run, last_run, reasons, severity, due_on, result)
    SELECT d.insured_key, d.token, $1, $1, d.reasons, d.severity,
           CASE WHEN d.severity OPERATOR(pg_catalog.>=) 3 THEN $7 ELSE $6 END, d.result
      FROM d WHERE d.severity OPERATOR(pg_catalog.>=) 2
    ON CONFLICT (insured_key) WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis')
    DO UPDATE SET last_run = EXCLUDED.last_run, reasons = EXCLUDED.reasons, severity = EXCLUDED.severity,
                  result = EXCLUDED.result, due_on = LEAST(lc.due_on, EXCLUDED.due_on)
    RETURNING lc.case_id, (lc.xmax OPERATOR(pg_catalog.=) 0) AS inserted),
  ev AS (
    INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
    SELECT cs.case_id, NULL, 'open', 'opened_by_check' FROM cs WHERE cs.inserted
    RETURNING 1)
  SELECT (SELECT pg_catalog.count(*) FROM ev), (SELECT pg_catalog.count(*) FROM d)$q$,
    source, old_source)
  INTO opened, changed
  USING run.run_id, run.next_key, hi, severities, lowered, due2, due3, shared, swapped;

  UPDATE mynahoken.linkage_run AS l
     SET next_key = hi, members_checked = l.members_checked + checked,
         cases_opened = l.cases_opened + opened, results_changed = l.results_changed + changed,
         status = CASE WHEN hi IS NULL THEN 'finished' ELSE l.status END,
         finished_at = CASE WHEN hi IS NULL THEN clock_timestamp() END
   WHERE l.run_id = run.run_id;
  IF hi IS NULL THEN
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_left AS lf WHERE lf.change_seq <= run.upto_seq;
  END IF;
  RETURN hi IS NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_run_batch(bigint) IS
  'Check the next batch of a linkage run in one set-based statement (one C call per member for its reason codes; digest equality only), write the results that changed to linkage_check, open or update cases of severity 2 and up with their due day, move the resume point; true when the run is finished';

CREATE PROCEDURE mynahoken.linkage_check_nightly(full_check boolean DEFAULT false,
                                                 batch_size integer DEFAULT 50000,
                                                 commit_batches boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
-- No SET clause (it would forbid COMMIT): every name is qualified and the
-- work is done by functions that fix their own search_path.
DECLARE
  run pg_catalog.int8;
  done pg_catalog.bool := false;
BEGIN
  IF full_check IS NULL OR commit_batches IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'full_check and commit_batches must not be null');
  END IF;
  IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
    PERFORM mynahoken.raise_error('22023', 'batch_size must be a positive integer');
  END IF;
  IF commit_batches THEN
    COMMIT;
  END IF;
  run := mynahoken.linkage_begin_run(full_check, batch_size);
  IF commit_batches THEN
    COMMIT;
  END IF;
  WHILE NOT done LOOP
    done := mynahoken.linkage_run_batch(run);
    IF commit_batches THEN
      COMMIT;
    END IF;
  END LOOP;
END
$$;
COMMENT ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) IS
  'The nightly linkage check: incremental by default (members changed since the last run), full_check for all; commits every batch_size members and resumes a run that stopped';

-- ---------------------------------------------------------------------------
-- The work queue

CREATE FUNCTION mynahoken.linkage_case_transition(case_id bigint, to_state mynahoken.linkage_case_state,
                                                  code text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  code_state mynahoken.linkage_case_state;
  current_token mynahoken.mynumber_token;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_transition.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format(mynahoken.gettext('linkage case %s does not exist'), linkage_case_transition.case_id));
  END IF;
  IF c.state IN ('corrected', 'confirmed_no_error', 'closed') THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('linkage case %s is finished (%s)'), c.case_id, c.state),
      hint => 'A new check opens a new case if the error is still there.');
  END IF;
  SELECT r.state INTO code_state FROM mynahoken.linkage_resolution AS r WHERE r.code = linkage_case_transition.code;
  IF code_state IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'unknown linkage resolution code',
      hint => 'The codes are in mynahoken.linkage_resolution; case notes are codes, never free text.');
  END IF;
  IF code_state <> to_state THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('resolution code %s does not go with the target state'), linkage_case_transition.code));
  END IF;
  IF to_state = 'corrected' THEN
    SELECT m.token INTO current_token FROM mynahoken.linkage_member AS m WHERE m.insured_key = c.insured_key;
    IF mynahoken.mynumber_token_send(current_token) IS NOT DISTINCT FROM mynahoken.mynumber_token_send(c.token) THEN
      PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('linkage case %s cannot be corrected: the member still has the same number'), c.case_id),
        hint => 'Link the right number (linkage_load_members) before marking the case corrected.');
    END IF;
  END IF;
  UPDATE mynahoken.linkage_case AS lc
     SET state = to_state,
         resolution = CASE WHEN to_state IN ('corrected', 'confirmed_no_error', 'closed')
                           THEN linkage_case_transition.code END
   WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
  VALUES (c.case_id, c.state, to_state, linkage_case_transition.code);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text) IS
  'Move a linkage case to another state with a resolution code that goes with it (corrected needs a new number linked; confirmed_no_error is 理由付き疑いなし); finished cases do not move; the history records who and when';

CREATE FUNCTION mynahoken.linkage_case_assign(case_id bigint, assignee regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_assign.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format(mynahoken.gettext('linkage case %s does not exist'), linkage_case_assign.case_id));
  END IF;
  UPDATE mynahoken.linkage_case AS lc SET assigned_to = assignee::text::name WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code, assigned_to)
  VALUES (c.case_id, c.state, c.state, 'assigned', assignee::text::name);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_case_assign(bigint, regrole) IS
  'Assign a linkage case to a role (a team or a clerk); recorded in the case history';

CREATE FUNCTION mynahoken.explain_linkage_case(case_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  kana smallint;
  kanji smallint;
  address smallint;
  level_name text[] := ARRAY['exact', 'notation', 'small_large', 'ji_zu', 'voicing_review', 'long_vowel_review'];
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = explain_linkage_case.case_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- the levels of the result that opened or last changed the case
  kana := mynahoken.linkage_result_level(c.result, 1);
  kanji := mynahoken.linkage_result_level(c.result, 2);
  address := mynahoken.linkage_result_level(c.result, 3);
  RETURN jsonb_build_object(
    'case_id', c.case_id, 'state', c.state, 'severity', c.severity, 'assigned_to', c.assigned_to,
    'resolution', c.resolution, 'due_on', c.due_on,
    'reasons', (SELECT jsonb_agg(jsonb_build_object('code', r.code, 'severity', r.severity, 'strength', r.strength,
                                                    'lowered_by_last4_ok', r.lowered_by_last4_ok) ORDER BY r.severity DESC, r.code)
                  FROM mynahoken.linkage_reason AS r WHERE r.code = ANY (c.reasons)),
    'checks', jsonb_build_object(
       'jlis', CASE WHEN 'no_number_linked' = ANY (c.reasons) THEN 'no_number'
                    WHEN 'jlis_not_checked' = ANY (c.reasons) THEN 'not_checked'
                    WHEN 'jlis_stale' = ANY (c.reasons) THEN 'answer_for_another_number'
                    WHEN 'jlis_not_found' = ANY (c.reasons) THEN 'not_found' ELSE 'found' END,
       'key_version', CASE WHEN 'digest_key_stale' = ANY (c.reasons) THEN 'stale' ELSE 'same' END,
       'birth_date', CASE WHEN kana IS NULL THEN 'not_compared'
                          WHEN 'birth_date_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'sex', CASE WHEN kana IS NULL THEN 'not_compared'
                   WHEN 'sex_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'kana', CASE WHEN kana IS NULL THEN 'not_compared'
                    WHEN 'surname_only_mismatch' = ANY (c.reasons) THEN 'given_name_only'
                    WHEN kana = -1 THEN 'mismatch'
                    WHEN kana = -2 THEN 'unverifiable'
                    ELSE 'K' || kana || ' ' || level_name[kana + 1] END,
       'kanji', CASE WHEN kanji IS NULL THEN 'not_compared' WHEN kanji = -1 THEN 'mismatch'
                     WHEN kanji = -2 THEN 'unverifiable'
                     ELSE 'J' || kanji || ' ' || (ARRAY['exact', 'notation', 'variant_table'])[kanji + 1] END,
       'address', CASE WHEN address IS NULL THEN 'not_compared' WHEN address = -1 THEN 'mismatch'
                       WHEN address = -2 THEN 'unverifiable'
                       ELSE 'A' || address || ' ' || (ARRAY['exact', 'notation'])[address + 1] END,
       'token_shared_other_person', 'token_shared_other_person' = ANY (c.reasons),
       'household_swap', 'household_swap' = ANY (c.reasons),
       'member_report', CASE WHEN 'member_reports_last4_differs' = ANY (c.reasons) THEN 'last4_differs'
                             WHEN 'member_reports_last4_ok' = ANY (c.reasons) THEN 'last4_ok'
                             WHEN 'member_reports_facts_wrong' = ANY (c.reasons) THEN 'facts_wrong'
                             ELSE 'none' END),
    'history', (SELECT jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor, 'from', e.from_state,
                                                    'to', e.to_state, 'code', e.code, 'assigned_to', e.assigned_to)
                                 ORDER BY e.event_id)
                  FROM mynahoken.linkage_case_event AS e WHERE e.case_id = c.case_id));
END
$$;
COMMENT ON FUNCTION mynahoken.explain_linkage_case(bigint) IS
  'Why a linkage case exists: its reason codes with severity and strength, its due day, each check (J-LIS, key version, birth date, sex, and the fold level or review form at which カナ, 漢字 and 住所 matched) and its history; codes only, no name, number or digit';

CREATE VIEW mynahoken.linkage_queue AS
SELECT c.case_id, c.insured_key, c.state, c.severity, c.reasons, c.assigned_to, c.opened_at,
       c.opened_run, c.last_run, c.due_on
  FROM mynahoken.linkage_case AS c
 WHERE c.state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON VIEW mynahoken.linkage_queue IS
  'Unfinished linkage cases, for clerks: member key, state, severity, reason codes, assignment, due day; no name, number or digit';

CREATE VIEW mynahoken.linkage_runs AS
SELECT l.run_id, l.full_check, l.status, l.members_checked, l.cases_opened, l.started_at, l.finished_at,
       l.finished_at - l.started_at AS duration, l.results_changed
  FROM mynahoken.linkage_run AS l;
COMMENT ON VIEW mynahoken.linkage_runs IS 'Linkage check runs: kind, status, members checked, cases opened, duration, results that changed';

-- ---------------------------------------------------------------------------
-- pg_cron (optional)

CREATE FUNCTION mynahoken.linkage_cron_command(full_check boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.linkage_check_nightly(' || CASE WHEN full_check THEN 'true' ELSE 'false' END || ')';
COMMENT ON FUNCTION mynahoken.linkage_cron_command(boolean) IS
  'The single CALL a pg_cron job runs for the linkage check (every name qualified, so the job''s search_path does not matter)';

CREATE FUNCTION mynahoken.schedule_linkage_check(schedule text DEFAULT '30 17 * * *',
                                                 job_name text DEFAULT 'mynahoken-linkage',
                                                 full_check boolean DEFAULT false)
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
      hint => 'Call mynahoken.linkage_check_nightly() by hand, or CREATE EXTENSION pg_cron in the database named by cron.database_name.');
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING job_name, schedule, mynahoken.linkage_cron_command(full_check);
  RETURN job;
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_linkage_check(text, text, boolean) IS
  'Schedule the linkage check with pg_cron (default 17:30 UTC = 02:30 JST, incremental; a second job with full_check for a weekly full run); returns the job id; raises 42704 when pg_cron is not installed here';

CREATE FUNCTION mynahoken.unschedule_linkage_check(job_name text DEFAULT 'mynahoken-linkage')
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
COMMENT ON FUNCTION mynahoken.unschedule_linkage_check(text) IS
  'Remove the pg_cron job of the linkage check; false when there was none; raises 42704 when pg_cron is not installed here';

-- ---------------------------------------------------------------------------
-- Roles: the intake loads and runs; a clerk sees cases and codes, not data.
-- Only mynahoken_unseal recovers a number, as for every sealed value.

REVOKE ALL ON FUNCTION mynahoken.linkage_source_check(regclass, text[]),
  mynahoken.linkage_load_members(regclass), mynahoken.linkage_load_jlis(regclass),
  mynahoken.record_member_report(text, text, text, text, date),
  mynahoken.linkage_begin_run(boolean, integer), mynahoken.linkage_run_batch(bigint),
  mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint),
  mynahoken.schedule_linkage_check(text, text, boolean), mynahoken.unschedule_linkage_check(text)
  FROM PUBLIC;
REVOKE ALL ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_source_check(regclass, text[]),
  mynahoken.linkage_load_members(regclass), mynahoken.linkage_load_jlis(regclass),
  mynahoken.record_member_report(text, text, text, text, date),
  mynahoken.linkage_begin_run(boolean, integer), mynahoken.linkage_run_batch(bigint)
  TO mynahoken_linkage_intake;
GRANT EXECUTE ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) TO mynahoken_linkage_intake;
GRANT SELECT, INSERT, UPDATE ON mynahoken.linkage_member, mynahoken.jlis_response TO mynahoken_linkage_intake;
GRANT INSERT ON mynahoken.linkage_left TO mynahoken_linkage_intake;
GRANT USAGE ON SEQUENCE mynahoken.linkage_change_seq, mynahoken.jlis_response_id_seq TO mynahoken_linkage_intake;
GRANT SELECT ON mynahoken.linkage_case, mynahoken.linkage_case_event, mynahoken.linkage_check,
  mynahoken.linkage_reason, mynahoken.linkage_resolution, mynahoken.linkage_run, mynahoken.linkage_due_period,
  mynahoken.linkage_queue, mynahoken.linkage_runs TO mynahoken_linkage_clerk;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint)
  TO mynahoken_linkage_clerk;
-- Issue 12, keys, caches and issuance faults

CREATE OR REPLACE FUNCTION mynahoken.tokenize(mynumber text, key_version integer)
  RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME', 'mynumber_tokenize_version'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION mynahoken.tokenize(text, integer) IS
  'Token of a typed My Number under the given key version (STABLE: reads the server keyring)';

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

CREATE OR REPLACE FUNCTION mynahoken.issuance_end(p_run bigint, p_error text)
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

-- ---------------------------------------------------------------------------
-- Issue 12, findings of SQLsmith (issuance): the internal helpers of
-- plan_issuance, called directly, raised 42P01 naming a temporary table; like
-- issuance_certificate_basis they now refuse with 55000.

CREATE OR REPLACE FUNCTION mynahoken.issuance_candidates(p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS TABLE (rn bigint, member_key text, document mynahoken.issuance_document, reason text,
               acquired_on date, issue_window date, valid_from date, valid_until date,
               sending_window daterange, insurer_number mynahoken.insurer_number,
               category mynahoken.insurer_category, employer text, basis_id bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_snap') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_candidates is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
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

CREATE OR REPLACE FUNCTION mynahoken.issuance_plan_rows(p_run bigint, p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  c record;
  res bigint[];
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_state') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_plan_rows is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
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
-- ===========================================================================
-- Issue 11, rule engine (second part).
-- Hit policies collect and rule order, date decisions (certificate_valid_until)
-- over the date primitives, the report of national changes under insurer
-- exceptions, labels an insurer may narrow (:on_request).
-- ===========================================================================

ALTER TABLE mynahoken.rule_label ADD COLUMN insurer_may_narrow boolean NOT NULL DEFAULT false;
ALTER TABLE mynahoken.rule_table ADD COLUMN aggregation text;
ALTER TABLE mynahoken.rule_table ADD CONSTRAINT rule_table_aggregation_check
    CHECK (aggregation IS NULL OR (hit_policy = 'collect' AND aggregation IN ('list', 'sum', 'min', 'max', 'count')));
ALTER TYPE mynahoken.rule_hit ADD ATTRIBUTE outcomes text[];
COMMENT ON TYPE mynahoken.rule_hit IS
  'What a compiled decision returns for a member: the outcome and the rule version and row that produced it (NULL for the national layer), the layer and table, and every outcome (the matching rows of a collect or rule order table, else the outcome alone)';

CREATE TYPE mynahoken.rule_date_hit AS (
  value      date,
  version_id bigint,
  row_no     integer,
  layer      text,
  table_name text,
  capped     boolean
);
COMMENT ON TYPE mynahoken.rule_date_hit IS
  'What a compiled date decision returns for a member: the date and the rule version and row that produced it (NULL for the national layer), the layer and table, and whether the legal maximum capped the row''s date';

CREATE FUNCTION mynahoken.rule_birthday(birth_date date, n integer)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_rule_birthday'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_birthday(date, integer) IS
  'The n-th birthday (0 to 200) of someone born on birth_date: the first day of age n as mynahoken.rule_age_on counts (29 February is 1 March in other years); 22023 for n out of range, 22008 beyond the date range (the output primitive birthday(n))';

CREATE FUNCTION mynahoken.rule_add_months(day date, months integer)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_rule_add_months'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_add_months(date, integer) IS
  'A day plus a number of months (-1200 to 1200), clamped to the end of a shorter month (31 January + 1 month = 28 or 29 February), as the national decisions count; 22023 for a number out of range (the output primitive add_months)';

CREATE FUNCTION mynahoken.rule_month_end(day date)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_rule_month_end'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_month_end(date) IS
  'The last day of the day''s month (the output primitive month_end)';

CREATE FUNCTION mynahoken.rule_next_month_day(day date, month integer, mday integer)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_rule_next_month_day'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.rule_next_month_day(date, integer, integer) IS
  'The first day on or after the day that is the given month and day of month (7, 31: the next 7月31日; 2, 29 in the next leap year); 22008 for a month-day that never exists (the output primitive next_month_day)';

ALTER TABLE mynahoken.rule_decision DISABLE TRIGGER rule_decision_guard;
ALTER TABLE mynahoken.rule_label DISABLE TRIGGER rule_label_guard;
UPDATE mynahoken.rule_decision SET national_fact = 'national_certificate_valid_until'
 WHERE decision = 'certificate_valid_until' AND shipped;
UPDATE mynahoken.rule_label SET insurer_may_narrow = true,
       description = 'Application (申請): the product renews an applicant at every renewal; MHLW 2025-03-13 names renewal without application only for 要配慮者, so an insurer may count other applications once'
 WHERE label = 'national.certificate_need:on_request' AND shipped;
ALTER TABLE mynahoken.rule_decision ENABLE TRIGGER rule_decision_guard;
ALTER TABLE mynahoken.rule_label ENABLE TRIGGER rule_label_guard;
INSERT INTO mynahoken.rule_fact (fact, fact_type, kind, source_column, expression, enum_values, lo, hi, null_means, description, shipped) VALUES
  ('national_certificate_valid_until', 'date', 'derived', NULL,
   'mynahoken.certificate_valid_until(CAST(mynahoken.rule_insurer_category(CAST({insurer_number} AS pg_catalog.text)) AS mynahoken.insurer_category), {day}, {known_on})',
   NULL, NULL, NULL, 'unknown', 'The national decision mynahoken.certificate_valid_until for a 資格確認書 issued on the decision day, for the member''s insurer category; NULL for an invalid insurer number', true);
INSERT INTO mynahoken.rule_label (label, decision, outcomes, overridable, description, insurer_may_narrow, shipped) VALUES
  ('national.certificate_valid_until:term', 'certificate_valid_until', '{}', true,
   'The insurer''s term and renewal month (certificate_term_months, certificate_renewal_month); every insurer output is capped at the legal maximum (certificate_max_months)', false, true);

DROP FUNCTION mynahoken.rule_table_define(text, text, text[], text, text, text, text, text, text);
CREATE FUNCTION mynahoken.rule_table_define(table_name text, decision text, applies_to text[],
                                            exception_to text, hit_policy text DEFAULT 'unique',
                                            on_no_match text DEFAULT 'national',
                                            yields_to text DEFAULT NULL, cap text DEFAULT NULL,
                                            description text DEFAULT NULL, aggregation text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
BEGIN
  INSERT INTO mynahoken.rule_table (table_name, decision, layer, applies_to, exception_to, hit_policy,
                                    on_no_match, yields_to, cap, description, aggregation)
  VALUES (rule_table_define.table_name, rule_table_define.decision, 'insurer', rule_table_define.applies_to,
          rule_table_define.exception_to, rule_table_define.hit_policy, rule_table_define.on_no_match,
          rule_table_define.yields_to, rule_table_define.cap, rule_table_define.description,
          CASE WHEN rule_table_define.hit_policy = 'collect' THEN coalesce(rule_table_define.aggregation, 'list')
               ELSE rule_table_define.aggregation END);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'unknown decision or label',
      hint => 'The decisions are listed in mynahoken.rule_decision, the labels in mynahoken.rule_label.');
  WHEN integrity_constraint_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    PERFORM mynahoken.raise_error(SQLSTATE, 'the rule table cannot be added',
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_table.'), c));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_table_define(text, text, text[], text, text, text, text, text, text, text) IS
  'Define an insurer rule table: its decision, scope (insurer numbers, prefixes such as 0613*, or categories), the national label it is an exception to, hit policy (unique, any, first, priority, collect, rule_order), on_no_match (national, error, default <outcome>), the national label it yields to, and for collect the aggregation (list, sum, min, max, count; default list)';

CREATE FUNCTION mynahoken.rule_expr_parse_at(tokens text[], pos integer, OUT node jsonb, OUT next integer)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tok text := tokens[pos];
  sig CONSTANT jsonb := '{"add_months": ["date", "int"], "month_end": ["date"], "birthday": ["int"],
                          "next_month_day": ["date", "int", "int"], "day_before": ["date"]}';
  args jsonb := '[]';
  a record;
  k int := 0;
BEGIN
  IF tok IS NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the expression ends too early');
  ELSIF tok ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
    -- checked without a cast, whose error would quote the text
    IF NOT tok ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' OR left(tok, 4)::int < 1
       OR substr(tok, 9, 2)::int > extract(day FROM make_date(left(tok, 4)::int, substr(tok, 6, 2)::int, 1)
                                                    + interval '1 month' - interval '1 day') THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid date at token %s'), pos));
    END IF;
    node := jsonb_build_object('date', tok); next := pos + 1;
  ELSIF tok ~ '^-?[0-9]{1,4}$' THEN
    node := jsonb_build_object('int', tok::int); next := pos + 1;
  ELSIF tok = 'day' THEN
    node := '{"day": true}'; next := pos + 1;
  ELSIF tok ~ '^[a-z_][a-z0-9_]*$' AND sig ? tok THEN
    IF tokens[pos + 1] IS DISTINCT FROM '(' THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('%s needs "(" at token %s'), tok, pos + 1));
    END IF;
    next := pos + 2;
    FOR k IN 1 .. jsonb_array_length(sig->tok) LOOP
      IF k > 1 THEN
        IF tokens[next] IS DISTINCT FROM ',' THEN
          PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('%s takes %s: "," expected at token %s'), tok,
            CASE jsonb_array_length(sig->tok) WHEN 1 THEN 'one argument' ELSE jsonb_array_length(sig->tok) || ' arguments' END, next));
        END IF;
        next := next + 1;
      END IF;
      SELECT * INTO a FROM mynahoken.rule_expr_parse_at(tokens, next);
      IF (a.node ? 'int') <> (sig->tok->>(k - 1) = 'int') THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('argument %s of %s must be %s'), k, tok,
          CASE sig->tok->>(k - 1) WHEN 'int' THEN 'a whole number' ELSE 'a date' END));
      END IF;
      args := args || jsonb_build_array(a.node);
      next := a.next;
    END LOOP;
    IF tokens[next] IS DISTINCT FROM ')' THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('%s takes %s: ")" expected at token %s'), tok,
            CASE jsonb_array_length(sig->tok) WHEN 1 THEN 'one argument' ELSE jsonb_array_length(sig->tok) || ' arguments' END, next));
    END IF;
    -- constants the primitive would refuse at run time are refused here
    IF tok = 'birthday' AND NOT (args->0->>'int')::int BETWEEN 0 AND 200 THEN
      PERFORM mynahoken.raise_error('22P02', 'birthday(n) needs n between 0 and 200');
    ELSIF tok = 'add_months' AND NOT (args->1->>'int')::int BETWEEN -1200 AND 1200 THEN
      PERFORM mynahoken.raise_error('22P02', 'add_months(e, n) needs n between -1200 and 1200');
    ELSIF tok = 'next_month_day' AND NOT (CASE WHEN (args->1->>'int')::int BETWEEN 1 AND 12 AND (args->2->>'int')::int BETWEEN 1 AND 31
          THEN make_date(2000, (args->1->>'int')::int, 1) + ((args->2->>'int')::int - 1)
               < (make_date(2000, (args->1->>'int')::int, 1) + interval '1 month')::date ELSE false END) THEN
      PERFORM mynahoken.raise_error('22P02', 'next_month_day(e, month, mday) needs a month-day that exists (2, 29 is found in leap years)');
    END IF;
    node := jsonb_build_object('fn', tok, 'args', args); next := next + 1;
  ELSIF tok ~ '^[a-z_][a-z0-9_]*$' THEN
    IF NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = tok AND f.fact_type = 'date') THEN
      -- the token is the analyst's text: its position, never the text
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('token %s is neither a primitive nor a fact of type date'), pos));
    END IF;
    node := jsonb_build_object('fact', tok); next := pos + 1;
  ELSE
    PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('unexpected token %s'), pos));
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_expr_parse_at(text[], integer) IS
  'Internal: recursive descent of an output expression from token pos: the node as jsonb and the next token; 22P02 naming the problem';

CREATE FUNCTION mynahoken.rule_expr_parse(expr text)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tokens text[];
  r record;
BEGIN
  IF expr IS NULL THEN
    RETURN NULL;
  END IF;
  IF btrim(expr) !~ '^([a-z_][a-z0-9_]*|[0-9]{4}-[0-9]{2}-[0-9]{2}|-?[0-9]{1,4}|[(),]|\s)+$' THEN
    PERFORM mynahoken.raise_error('22P02', 'the expression has a character outside names, numbers, dates, "(", ")" and ","');
  END IF;
  tokens := ARRAY(SELECT m[1] FROM regexp_matches(expr, '([a-z_][a-z0-9_]*|[0-9]{4}-[0-9]{2}-[0-9]{2}|-?[0-9]{1,4}|[(),])', 'g') AS m);
  SELECT * INTO r FROM mynahoken.rule_expr_parse_at(tokens, 1);
  IF r.next <= cardinality(tokens) THEN
    PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('unexpected token %s after the expression'), r.next));
  END IF;
  IF r.node ? 'int' THEN
    PERFORM mynahoken.raise_error('22P02', 'the expression is a number, not a date');
  END IF;
  RETURN r.node;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_expr_parse(text) IS
  'Parse the output expression of a date decision (day, a date fact, an ISO date, add_months(e, n), month_end(e), birthday(n), next_month_day(e, month, mday), day_before(e)) into jsonb; 22P02 naming the problem and token, never repeating the text';

CREATE FUNCTION mynahoken.rule_expr_problem(expr text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL UNSAFE   -- its exception block is a subtransaction
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM mynahoken.rule_expr_parse(expr);
  RETURN NULL;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN SQLERRM;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_expr_problem(text) IS
  'What is wrong with the output expression of a date decision ("birthday takes one argument: ")" expected at token 4"), or NULL when it parses (PARALLEL UNSAFE: it catches the parser''s error)';

CREATE FUNCTION mynahoken.rule_expr_facts(node jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT pg_catalog.array_agg(DISTINCT x.f ORDER BY x.f)
    FROM (SELECT CASE WHEN p.v OPERATOR(pg_catalog.?) 'fact' THEN p.v OPERATOR(pg_catalog.->>) 'fact'
                      WHEN (p.v OPERATOR(pg_catalog.->>) 'fn') OPERATOR(pg_catalog.=) 'birthday' THEN 'birth_date' END AS f
            FROM pg_catalog.jsonb_path_query(rule_expr_facts.node, 'strict $.**') AS p(v)
           WHERE pg_catalog.jsonb_typeof(p.v) OPERATOR(pg_catalog.=) 'object') AS x
   WHERE x.f IS NOT NULL;
END;
COMMENT ON FUNCTION mynahoken.rule_expr_facts(jsonb) IS
  'Internal: the facts a parsed output expression reads (its date facts, and birth_date for birthday(n))';

CREATE FUNCTION mynahoken.rule_expr_sql(node jsonb, mode text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a text[];
BEGIN
  IF node ? 'date' THEN
    RETURN format('CAST(%L AS pg_catalog.date)', node->>'date');
  ELSIF node ? 'int' THEN
    RETURN format('CAST(%L AS pg_catalog.int4)', node->>'int');
  ELSIF node ? 'day' THEN
    RETURN '$1';
  ELSIF node ? 'fact' AND mode IS NULL THEN
    RETURN format('f.%I', node->>'fact');
  ELSIF node ? 'fact' THEN
    RETURN '(' || mynahoken.rule_fact_sql(node->>'fact', mode) || ')';
  END IF;
  a := ARRAY(SELECT mynahoken.rule_expr_sql(x, mode) FROM jsonb_array_elements(node->'args') WITH ORDINALITY AS e(x, i) ORDER BY i);
  CASE node->>'fn'
    WHEN 'add_months' THEN RETURN format('mynahoken.rule_add_months(%s, %s)', a[1], a[2]);
    WHEN 'month_end' THEN RETURN format('mynahoken.rule_month_end(%s)', a[1]);
    WHEN 'birthday' THEN RETURN format('mynahoken.rule_birthday(%s, %s)',
                                       CASE WHEN mode IS NULL THEN 'f.birth_date' ELSE '(' || mynahoken.rule_fact_sql('birth_date', mode) || ')' END, a[1]);
    WHEN 'next_month_day' THEN RETURN format('mynahoken.rule_next_month_day(%s, %s, %s)', a[1], a[2], a[3]);
    WHEN 'day_before' THEN RETURN format('(%s OPERATOR(pg_catalog.-) 1)', a[1]);
    ELSE NULL;
  END CASE;
  -- a caller's argument (NULL or a node of no known kind): never quoted
  PERFORM mynahoken.raise_error('22023', 'unknown node of an output expression',
    detail => 'A node is a JSON object with one of the keys date, int, day, fact or fn.');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_expr_sql(jsonb, text) IS
  'Internal: SQL of a parsed output expression over the member row (mode member), the jsonb member (facts) or the facts row f (NULL); constants through format %L, every name qualified; raises 22023 for NULL or a node of no known kind, without quoting it';

CREATE OR REPLACE FUNCTION mynahoken.rule_version_record(table_name text, valid daterange, source text,
                                              recorded_on date, rows text, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lines text[];
  header text[];
  cols text[];
  parts text[];
  cells text[];
  line text;
  lineno int := 0;
  vid bigint;
  rn int;
  problem text;
  outcome text;
  out_type text;
BEGIN
  SELECT d.output_type INTO out_type FROM mynahoken.rule_table t JOIN mynahoken.rule_decision d USING (decision)
   WHERE t.table_name = rule_version_record.table_name;
  IF rows IS NULL OR table_name IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a rule version needs a table and rows');
  END IF;
  -- The grid: a header "row | fact | fact || outcome", then one line per row.
  -- Cells cannot contain "|" here (insert into rule_row directly for that).
  FOREACH line IN ARRAY regexp_split_to_array(rows, E'\n') LOOP
    lineno := lineno + 1;
    CONTINUE WHEN btrim(line) = '';
    IF strpos(line, '||') = 0 THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('line %s of the grid has no "||" before its outcome'), lineno),
        hint => 'Write "row | cell | cell || outcome".');
    END IF;
    outcome := btrim(split_part(line, '||', 2));
    parts := ARRAY(SELECT btrim(p) FROM unnest(string_to_array(split_part(line, '||', 1), '|')) AS p);
    IF header IS NULL THEN
      header := parts;
      IF header[1] <> 'row' OR outcome <> (CASE WHEN out_type = 'date' THEN 'value' ELSE 'outcome' END) THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('the grid header must read "row | <fact> ... || %s"'),
                                                                 CASE WHEN out_type = 'date' THEN 'value' ELSE 'outcome' END),
          hint => 'A date decision''s rows end in an expression ("|| value"), the others'' in an outcome ("|| outcome").');
      END IF;
      cols := header[2:];
      IF cardinality(cols) = 0 THEN
        PERFORM mynahoken.raise_error('22P02', 'the grid has no input column');
      END IF;
      FOR i IN 1 .. cardinality(cols) LOOP
        PERFORM FROM mynahoken.rule_fact f WHERE f.fact = cols[i];
        IF NOT FOUND THEN
          PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('column "%s" of the grid is not a declared fact'), cols[i]),
            hint => 'Facts are listed in mynahoken.rule_fact; declare a column of your own with mynahoken.rule_fact_add().');
        END IF;
      END LOOP;
      INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, note)
      VALUES (rule_version_record.table_name, rule_version_record.valid, rule_version_record.recorded_on,
              rule_version_record.source, cols, rule_version_record.note)
      RETURNING version_id INTO vid;
      CONTINUE;
    END IF;
    IF parts[1] !~ '^[0-9]{1,6}$' THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('line %s of the grid does not start with a row number'), lineno));
    END IF;
    rn := parts[1]::int;
    cells := parts[2:];
    IF cardinality(cells) <> cardinality(cols) THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('row %s has %s cells for %s columns'), rn, cardinality(cells), cardinality(cols)));
    END IF;
    FOR i IN 1 .. cardinality(cols) LOOP
      problem := mynahoken.rule_cell_check(cells[i], cols[i]);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid cell in row %s, column "%s"'), rn, cols[i]),
          -- the parser's "<status> at character <n>", translated in its parts
          detail => (SELECT upper(left(d, 1)) || substr(d, 2)
                       FROM format(mynahoken.gettext('%s at character %s.'),
                                   mynahoken.gettext(substring(problem FROM '^(.*) at character')),
                                   substring(problem FROM '([0-9]+)$')) AS d));
      END IF;
    END LOOP;
    IF out_type = 'date' THEN
      problem := mynahoken.rule_expr_problem(outcome);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid value expression in row %s'), rn),
          detail => (SELECT upper(left(d, 1)) || substr(d, 2)
                       FROM pg_catalog.format(mynahoken.gettext('%s.'), problem) AS d));
      END IF;
    END IF;
    INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome) VALUES (vid, rn, cells, outcome);
  END LOOP;
  IF vid IS NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the grid is empty');
  END IF;
  RETURN vid;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_version_record(text, daterange, text, date, text, text) IS
  'Record a draft version of a rule table from a grid ("row | fact ... || outcome", one line per row), checking every cell (22P02 naming row, column and cell); returns the version id';

CREATE FUNCTION mynahoken.rule_compile_date_query(decision text, mode text, source text DEFAULT NULL,
                                                  candidate bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  scope text;
  vcond text;
  scond text;
  unknowns text;
  cap text;
  vals text[] := '{}';          -- the lateral row c: one date per row, scope flags
  branches text[] := '{}';
  k int := 0;
  agg_vals text[];
  agg_rows int[];
  nat text;
BEGIN
  IF mode NOT IN ('member', 'facts') THEN
    PERFORM mynahoken.raise_error('0A000', 'explanations of date decisions are not generated yet');
  END IF;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_date_query.decision;
  -- the member key in c: with a key per member the planner does not cache
  -- (Memoize) the row on the values of the facts, which costs more than it saves
  vals := ARRAY['(' || mynahoken.rule_fact_sql(d.national_fact, mode) || ') AS nat',
                CASE mode WHEN 'member' THEN 'm.member_key AS k' ELSE 'NULL AS k' END];
  nat := 'c.nat';
  FOR t IN
    SELECT x.* FROM mynahoken.rule_table x
     WHERE x.decision = rule_compile_date_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    -- the legal maximum for the table's scope: an InitPlan
    cap := format('(mynahoken.rule_add_months($1, (SELECT mynahoken.legal_value_int(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))) OPERATOR(pg_catalog.-) 1)',
                  'certificate_max_months', scope);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_version y
       WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
       ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_version z
         WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
           AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      k := k + 1;
      scond := format('c.s%s', k);
      vals := vals || format('(%s AND %s) AS s%s', mynahoken.rule_applies_sql(t.applies_to,
                               '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                               '(' || mynahoken.rule_fact_sql('category', mode) || ')'), vcond, k);
      -- facts whose NULL means unknown tested by a cell, and every fact a
      -- date reads: NULL makes the member undecidable, never a shorter list
      SELECT string_agg(format('(%s) IS NULL', mynahoken.rule_fact_sql(u.col, mode)), ' OR ' ORDER BY u.col)
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
                JOIN mynahoken.rule_fact rf ON true
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-'
                 AND rf.fact = v.columns[i] AND rf.null_means = 'unknown'
              UNION
              SELECT DISTINCT unnest(mynahoken.rule_expr_facts(mynahoken.rule_expr_parse(rr.outcome)))
                FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) u;
      IF unknowns IS NOT NULL THEN
        branches := branches || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_date_hit)',
                                       scond, unknowns, v.version_id, 'undecidable', t.table_name);
      END IF;
      agg_vals := '{}';
      agg_rows := '{}';
      FOR r IN
        SELECT rr.* FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id ORDER BY rr.row_no
      LOOP
        vals := vals || format('CASE WHEN %s AND %s THEN %s END AS r%s_%s',
                               mynahoken.rule_applies_sql(t.applies_to,
                                 '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                                 '(' || mynahoken.rule_fact_sql('category', mode) || ')') || ' AND ' || vcond,
                               (SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, mode), ' AND ' ORDER BY i)
                                  FROM generate_subscripts(v.columns, 1) AS i),
                               mynahoken.rule_expr_sql(mynahoken.rule_expr_parse(r.outcome), mode), k, r.row_no);
        IF t.hit_policy = 'collect' THEN
          agg_vals := agg_vals || format('c.r%s_%s', k, r.row_no);
          agg_rows := agg_rows || r.row_no;
        ELSE
          branches := branches || format('WHEN c.r%1$s_%2$s IS NOT NULL THEN CAST(ROW(LEAST(c.r%1$s_%2$s, %3$s), CAST(%4$L AS pg_catalog.int8), %2$s, %5$L, %6$L, c.r%1$s_%2$s OPERATOR(pg_catalog.>) %3$s) AS mynahoken.rule_date_hit)',
                                         k, r.row_no, cap, v.version_id, 'insurer', t.table_name);
        END IF;
      END LOOP;
      IF t.hit_policy = 'collect' THEN
        -- LEAST/GREATEST skip NULLs: the rows that did not match; the row is
        -- the first whose date is the aggregate
        branches := branches || format('WHEN COALESCE(%1$s) IS NOT NULL THEN CAST(ROW(LEAST(%2$s(%3$s), %4$s), CAST(%5$L AS pg_catalog.int8), CASE %2$s(%3$s) %6$s END, %7$L, %8$L, %2$s(%3$s) OPERATOR(pg_catalog.>) %4$s) AS mynahoken.rule_date_hit)',
                                       array_to_string(agg_vals, ', '),
                                       CASE t.aggregation WHEN 'max' THEN 'GREATEST' ELSE 'LEAST' END,
                                       array_to_string(agg_vals, ', '), cap, v.version_id,
                                       (SELECT string_agg(format('WHEN %s THEN %s', agg_vals[i], agg_rows[i]), ' ' ORDER BY i)
                                          FROM generate_subscripts(agg_vals, 1) AS i),
                                       'insurer', t.table_name);
      END IF;
      IF t.on_no_match = 'error' THEN
        branches := branches || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_date_hit)',
                                       scond, v.version_id, 'no_match', t.table_name);
      END IF;
    END LOOP;
  END LOOP;
  -- c is nested in d: one lateral subquery, so that the planner has no
  -- lateral join of c to cache (Memoize) on the values of c
  RETURN format('SELECT %s, d.hit FROM %s CROSS JOIN LATERAL (SELECT'
                ' CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_date_hit)'
                ' %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, false) AS mynahoken.rule_date_hit) END AS hit'
                ' FROM (SELECT %s OFFSET 0) AS c OFFSET 0) AS d',
                CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                          ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                nat, 'undecidable', array_to_string(branches, ' '), nat, 'national',
                array_to_string(vals, ', '));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_date_query(text, text, text, bigint) IS
  'Internal: the generated query of a date decision: insurer tables in name order (first matching row, or the least/greatest date of the matching rows for collect min/max), every insurer date capped at the legal maximum, else the national date; every name qualified, literals through format %L';

CREATE OR REPLACE FUNCTION mynahoken.rule_compile_query(decision text, mode text, source text DEFAULT NULL,
                                             candidate bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  oc record;
  facts text[];
  whens text[] := '{}';
  tried text[] := '{}';
  cell_list text;
  fm text := CASE WHEN mode IN ('member', 'facts') THEN mode END;   -- NULL: over the facts row f
  cell_preds text[];
  nat_whens text[] := '{}';
  fast_tab text[] := '{}';     -- fast mode: the table of each WHEN, and its scope condition
  fast_app text[] := '{}';
  fapplies text;
  fast_sql text[] := '{}';      -- fast mode: the WHENs of each table, with the national outcomes they apply to
  fast_outs text[] := '{}';
  -- fast mode: the CASE gives the number of a hit; its fields are constant arrays
  h_o text[] := '{}';
  h_v bigint[] := '{}';
  h_r integer[] := '{}';
  h_l text[] := '{}';
  h_t text[] := '{}';
  fcond text;
  fhit text;
  branches text;
  vcond text;
  cond text;
  scope text;
  nat text;
  unknowns text;
  fact_list text;
  hit text;
  coll text;                    -- collect, rule order: the outcomes of every matching row
  coll_lo int;
  coll_cases text := '';
BEGIN
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_query.decision;
  IF d.output_type = 'date' THEN
    RETURN mynahoken.rule_compile_date_query(decision, mode, source, candidate);
  END IF;
  IF NOT FOUND OR d.output_type <> 'outcome' OR d.national_fact IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision cannot be compiled yet',
      detail => 'This version compiles decisions with an outcome and a national decision to fall back on.');
  END IF;
  nat := format('f.%I', d.national_fact);
  facts := ARRAY[d.national_fact, 'insurer_number', 'category'];

  -- insurer tables in name order; each table's versions newest first
  FOR t IN
    SELECT x.*, l.outcomes
      FROM mynahoken.rule_table x JOIN mynahoken.rule_label l ON l.label = x.exception_to
     WHERE x.decision = rule_compile_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_version y
       WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
       ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_version z
         WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
           AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      cond := format('%s OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.text[])) AND %s AND %s',
                     nat, t.outcomes, mynahoken.rule_applies_sql(t.applies_to), vcond);
      -- fast mode: the national outcome is the branch; facts inline
      IF fm IS NOT NULL THEN
        fapplies := mynahoken.rule_applies_sql(t.applies_to,
                      '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                      '(' || mynahoken.rule_fact_sql('category', fm) || ')');
        fcond := vcond;      -- the table's scope is tested once, around its rows
      END IF;
      facts := facts || v.columns;
      -- a fact whose NULL means unknown, tested by a row: undecidable member
      SELECT string_agg(CASE WHEN fm IS NULL THEN format('f.%I IS NULL', c.col)
                             ELSE format('(%s) IS NULL', mynahoken.rule_fact_sql(c.col, fm)) END, ' OR ')
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-') c
        JOIN mynahoken.rule_fact rf ON rf.fact = c.col AND rf.null_means = 'unknown';
      IF unknowns IS NOT NULL THEN
        whens := whens || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, unknowns, v.version_id, 'undecidable', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'undecidable'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s AND (%s) THEN %s', fcond, unknowns, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
      -- collect (by priority, then row) and rule order (by row): the first
      -- matching row gives the outcome, every matching row is in outcomes
      coll := NULL;
      IF t.hit_policy IN ('collect', 'rule_order') THEN
        SELECT format('pg_catalog.array_remove(CAST(ARRAY[%s] AS pg_catalog.text[]), NULL)',
                      string_agg(format('CASE WHEN %s THEN %L END', x.preds, x.outcome), ', ' ORDER BY x.ord, x.row_no))
          INTO coll
          FROM (SELECT rr.row_no, rr.outcome, CASE WHEN t.hit_policy = 'collect' THEN o.priority END AS ord,
                       (SELECT string_agg(mynahoken.rule_cell_sql(rr.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
                          FROM generate_subscripts(v.columns, 1) AS i) AS preds
                  FROM mynahoken.rule_row rr
                  LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                 WHERE rr.version_id = v.version_id) x;
      END IF;
      coll_lo := cardinality(h_o) + 1;
      FOR r IN
        SELECT rr.*, o.priority
          FROM mynahoken.rule_row rr
          LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
         WHERE rr.version_id = v.version_id
         ORDER BY CASE WHEN t.hit_policy IN ('priority', 'collect') THEN o.priority END, rr.row_no
      LOOP
        -- each cell's predicate once: over the facts row (trace) or inline
        SELECT array_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm) ORDER BY i)
          INTO cell_preds
          FROM generate_subscripts(v.columns, 1) AS i;
        hit := array_to_string(cell_preds, ' AND ');
        fhit := hit;
        cell_list := array_to_string(cell_preds, ', ');
        IF fm IS NOT NULL THEN
          h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
          fast_sql := fast_sql || format('WHEN %s AND %s THEN %s', fcond, fhit, cardinality(h_o));
          fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
        END IF;
        -- the explanation reads the truth of each cell from the same predicates
        tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, (%s), %L, pg_catalog.to_jsonb(ARRAY[%s]))',
                                 'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                 'in_scope', cond, 'cells', cell_list);
        whens := whens || format('WHEN %s AND %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), %s, %L, %L, %s) AS mynahoken.rule_hit)',
                                 cond, hit, r.outcome, v.version_id, r.row_no, 'insurer', t.table_name,
                                 coalesce(coll, format('CAST(ARRAY[%L] AS pg_catalog.text[])', r.outcome)));
      END LOOP;
      IF coll IS NOT NULL AND fm IS NOT NULL THEN
        coll_cases := coll_cases || format(' WHEN d.h BETWEEN %s AND %s THEN %s', coll_lo, cardinality(h_o), coll);
      END IF;
      IF t.on_no_match LIKE 'default %' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), NULL, %L, %L, CAST(ARRAY[%L] AS pg_catalog.text[])) AS mynahoken.rule_hit)',
                                 cond, substr(t.on_no_match, 9), v.version_id, 'insurer', t.table_name, substr(t.on_no_match, 9));
        h_o := h_o || substr(t.on_no_match, 9); h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      ELSIF t.on_no_match = 'error' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, v.version_id, 'no_match', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'no_match'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
    END LOOP;
  END LOOP;

  IF fm IS NOT NULL THEN
    -- The national decision is computed once per member and numbered (a
    -- simple CASE on it, lateral row n); then, for the national outcomes of
    -- each label with insurer exceptions, the WHENs of those tables in order,
    -- facts inline (lateral row d).  The number of the hit indexes constant
    -- arrays of outcome, version, row, layer and table: no composite is built
    -- per member.  n is nested in d, so that the planner has no lateral join
    -- to cache (Memoize) on fact values.
    FOR oc IN SELECT o.code FROM mynahoken.rule_outcome o
              WHERE o.decision = rule_compile_query.decision AND o.statutory ORDER BY o.priority, o.code LOOP
      h_o := h_o || oc.code; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
      h_l := h_l || 'national'::text; h_t := h_t || NULL::text;
      nat_whens := nat_whens || format('WHEN %L THEN %s', oc.code, cardinality(h_o));
    END LOOP;
    h_o := h_o || NULL::text; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
    h_l := h_l || 'undecidable'::text; h_t := h_t || NULL::text;
    -- per label: each table's rows behind one test of its scope; the first
    -- table with a matching row wins (COALESCE stops there), else national
    FOR oc IN SELECT g.outs, min(g.i) AS first
                FROM (SELECT fast_outs[i] AS outs, i FROM generate_subscripts(fast_outs, 1) AS i) g
               GROUP BY g.outs ORDER BY 2 LOOP
      SELECT string_agg(format('CASE WHEN %s THEN CASE %s END END', tb.app, tb.whens), ', ' ORDER BY tb.first)
        INTO fhit
        FROM (SELECT fast_tab[i] AS tab, min(fast_app[i]) AS app, min(i) AS first,
                     string_agg(fast_sql[i], ' ' ORDER BY i) AS whens
                FROM generate_subscripts(fast_sql, 1) AS i
               WHERE fast_outs[i] = oc.outs
               GROUP BY fast_tab[i]) tb;
      branches := coalesce(branches || ' ', '') ||
        format('WHEN n.x OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.int4[])) THEN COALESCE(%s, n.x)',
               ARRAY(SELECT i FROM generate_subscripts(h_o, 1) AS i
                      WHERE h_l[i] = 'national' AND h_o[i] = ANY (oc.outs::text[]) ORDER BY i), fhit);
    END LOOP;
    RETURN format('SELECT %s, CAST(ROW((CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.int8[]))[d.h],'
                  ' (CAST(%L AS pg_catalog.int4[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h],'
                  ' CASE%s WHEN (CAST(%L AS pg_catalog.text[]))[d.h] IS NOT NULL THEN ARRAY[(CAST(%L AS pg_catalog.text[]))[d.h]] END)'
                  ' AS mynahoken.rule_hit) AS hit'
                  ' FROM %s CROSS JOIN LATERAL (SELECT CASE %s ELSE n.x END AS h'
                  ' FROM (SELECT CASE %s %s ELSE %s END AS x OFFSET 0) AS n OFFSET 0) AS d',
                  CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                            ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                  h_o, h_v, h_r, h_l, h_t, coll_cases, h_o, h_o,
                  CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                  coalesce(branches, 'WHEN false THEN NULL'),
                  mynahoken.rule_fact_sql(d.national_fact, fm), array_to_string(nat_whens, ' '), cardinality(h_o));
  END IF;

  -- Trace mode: every fact in one lateral row f, and the truth of every cell.
  SELECT string_agg(format('%s AS %I', mynahoken.rule_fact_sql(x.f, 'member'), x.f), ', ' ORDER BY x.f)
    INTO fact_list
    FROM (SELECT DISTINCT u AS f FROM unnest(facts) AS u) x;
  RETURN format('SELECT %s, d.hit%s FROM %s CROSS JOIN LATERAL (SELECT %s OFFSET 0) AS f'
                ' CROSS JOIN LATERAL (SELECT CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_hit) %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, ARRAY[%s]) AS mynahoken.rule_hit) END AS hit OFFSET 0) AS d',
                'CAST(m.member_key AS pg_catalog.text) AS member_key',
                format(', pg_catalog.to_jsonb(f) AS facts, pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried',
                       array_to_string(tried, ', ')),
                source || ' AS m',
                fact_list, nat, 'undecidable',
                array_to_string(whens, ' '),
                nat, 'national', nat);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_query(text, text, text, bigint) IS
  'Internal: the generated query of a decision: the national decision computed once per member, the insurer exceptions of its outcome''s label in front of it (modes member, facts), or every fact and cell for the explanations (mode trace); every name qualified, literals through format %L';

CREATE OR REPLACE FUNCTION mynahoken.rule_compile(decision text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text;
  q text;
  plan text;
  eval_name text := 'rule_eval_' || decision;
  decide_name text := 'rule_decide_' || decision;
  versions bigint[];
  is_date boolean;
  hit_type text;
  cols text;
  f regprocedure;
BEGIN
  IF decision !~ '^[a-z][a-z0-9_]*$' THEN
    PERFORM mynahoken.raise_error('22023', 'invalid decision name');
  END IF;
  SELECT d.output_type = 'date' INTO is_date FROM mynahoken.rule_decision d WHERE d.decision = rule_compile.decision;
  hit_type := CASE WHEN is_date THEN 'mynahoken.rule_date_hit' ELSE 'mynahoken.rule_hit' END;
  cols := CASE WHEN is_date
               THEN 'member_key pg_catalog.text, value pg_catalog.date, version_id pg_catalog.int8, row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text, capped pg_catalog.bool'
               ELSE 'member_key pg_catalog.text, outcome pg_catalog.text, version_id pg_catalog.int8, row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text, outcomes pg_catalog.text[]' END;
  -- a function generated by an earlier version with another result is replaced
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname IN (eval_name, decide_name)
              AND p.prorettype <> CASE WHEN p.proname = decide_name THEN hit_type::regtype ELSE 'pg_catalog.record'::regtype END LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname = eval_name
              AND p.proargnames[cardinality(p.proargnames)] <> CASE WHEN is_date THEN 'capped' ELSE 'outcomes' END LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
  SELECT m.source INTO src FROM mynahoken.member_source m;
  EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date, facts pg_catalog.jsonb)'
                 ' RETURNS %s LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC SELECT x.hit FROM (%s) AS x; END',
                 decide_name, hit_type, mynahoken.rule_compile_query(decision, 'facts'));
  EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb) IS %L',
                 decide_name, format('Generated by mynahoken.rule_compile: decision %s for one member given as jsonb (scalar twin)', decision));
  IF src IS NOT NULL THEN
    q := mynahoken.rule_compile_query(decision, 'member', src);
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (%s)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, (x.hit).*'
                   ' FROM (%s) AS x; END',
                   eval_name, cols, q);
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   eval_name, format('Generated by mynahoken.rule_compile: decision %s for every member of %s', decision, src));
  END IF;
  IF src IS NOT NULL AND NOT is_date THEN
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (member_key pg_catalog.text, facts pg_catalog.jsonb, tried pg_catalog.jsonb, hit mynahoken.rule_hit)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, x.facts, x.tried, x.hit FROM (%s) AS x; END',
                   'rule_trace_' || decision, mynahoken.rule_compile_query(decision, 'trace', src));
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   'rule_trace_' || decision,
                   format('Generated by mynahoken.rule_compile: decision %s for every member of %s, with the facts read and the truth of every cell (for mynahoken.rule_explain)', decision, src));
  END IF;
  IF src IS NOT NULL THEN
    -- EXPLAIN returns one row per line; the first names the top node
    FOR plan IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.%I(CAST(%L AS pg_catalog.date))', eval_name, current_date) LOOP
      IF plan LIKE '%Function Scan on ' || eval_name || '%' THEN
        PERFORM mynahoken.raise_error('55000', 'the compiled decision is not inlined by the planner',
          detail => 'A set-returning SQL function that is not inlined runs as a separate query: the decision would lose its speed.');
      END IF;
    END LOOP;
  END IF;
  SELECT coalesce(array_agg(y.version_id ORDER BY y.version_id), '{}') INTO versions
    FROM mynahoken.rule_version y JOIN mynahoken.rule_table t USING (table_name)
   WHERE t.decision = rule_compile.decision AND y.status = 'active';
  INSERT INTO mynahoken.rule_compiled AS c (decision, eval_function, decide_function, versions, source_relation, body)
  VALUES (decision, CASE WHEN src IS NOT NULL THEN 'mynahoken.' || eval_name END, 'mynahoken.' || decide_name,
          versions, src, coalesce(q, mynahoken.rule_compile_query(decision, 'facts')))
  ON CONFLICT ON CONSTRAINT rule_compiled_pkey DO UPDATE
    SET eval_function = EXCLUDED.eval_function, decide_function = EXCLUDED.decide_function,
        versions = EXCLUDED.versions, source_relation = EXCLUDED.source_relation, body = EXCLUDED.body,
        compiled_at = pg_catalog.clock_timestamp();
  RETURN coalesce('mynahoken.' || CASE WHEN src IS NOT NULL THEN eval_name END, 'mynahoken.' || decide_name);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile(text) IS
  'Compile a decision from its active rule versions: mynahoken.rule_eval_<decision>(as_of, known_on) over the registered member source (inlinable LANGUAGE sql, refused if not inlined) and the scalar twin mynahoken.rule_decide_<decision>(as_of, known_on, facts jsonb)';

CREATE OR REPLACE FUNCTION mynahoken.rule_run_tests(table_name text, candidate bigint DEFAULT NULL)
RETURNS TABLE (test_name text, as_of date, expect text, got text, passed boolean, version_id bigint, row_no integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q text;
  tc mynahoken.rule_test;
  h record;
BEGIN
  -- the outcome, or a date decision's date as ISO text
  SELECT format('SELECT %s AS outcome, (x.hit).version_id, (x.hit).row_no FROM (%s) AS x',
                CASE d.output_type WHEN 'date' THEN 'pg_catalog.to_char((x.hit).value, ''YYYY-MM-DD'')' ELSE '(x.hit).outcome' END,
                mynahoken.rule_compile_query(t.decision, 'facts', NULL, candidate)) INTO q
    FROM mynahoken.rule_table t JOIN mynahoken.rule_decision d USING (decision)
   WHERE t.table_name = rule_run_tests.table_name;
  FOR tc IN SELECT * FROM mynahoken.rule_test x WHERE x.table_name = rule_run_tests.table_name ORDER BY x.name LOOP
    EXECUTE q INTO h USING tc.as_of, tc.known_on, tc.facts;
    test_name := tc.name;
    as_of := tc.as_of;
    expect := tc.expect;
    got := h.outcome;
    passed := h.outcome IS NOT DISTINCT FROM tc.expect;
    version_id := h.version_id;
    row_no := h.row_no;
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_run_tests(text, bigint) IS
  'Run the stored test cases of a rule table through the generated decision (with a candidate draft version when given): expected and actual outcome, the version and row that decided';

CREATE OR REPLACE FUNCTION mynahoken.rule_check(version_id bigint)
RETURNS TABLE (severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  lab mynahoken.rule_label;
  d mynahoken.rule_decision;
  r record;
  c record;
  v_scope text;
  problem text;
  errors int := 0;
  covered datemultirange;
  missing datemultirange;
  ncols int;
  types text[];
  nullable boolean[];
  los bigint[];
  his bigint[];
  vals text[];
  maxv int;
  rownos int[];
  cells text[];
  checks text[] := '{}';
  outs text[];
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_check.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('no rule version %s'), rule_check.version_id));
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  SELECT * INTO lab FROM mynahoken.rule_label x WHERE x.label = t.exception_to;
  v_scope := mynahoken.rule_table_scope(t.applies_to);
  ncols := cardinality(v.columns);

  -- 1. References: columns are facts, outcomes belong to the decision.
  FOR c IN SELECT u.col, u.i FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
            WHERE NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = u.col) LOOP
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := format('column "%s" is not a declared fact', c.col);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND d.output_type <> 'date'
              AND NOT EXISTS (SELECT FROM mynahoken.rule_outcome o WHERE o.decision = t.decision AND o.code = rr.outcome)
            ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
    detail := format('row %s: "%s" is not an outcome of %s', r.row_no, r.outcome, t.decision);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  -- a date decision's rows end in an expression over the date primitives
  FOR r IN SELECT rr.row_no, mynahoken.rule_expr_problem(rr.outcome) AS problem FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND d.output_type = 'date' ORDER BY rr.row_no LOOP
    CONTINUE WHEN r.problem IS NULL;
    severity := 'error'; check_name := 'value'; rows := ARRAY[r.row_no];
    detail := format('row %s: invalid value expression: %s', r.row_no, r.problem);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) THEN
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := 'the version has no row';
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 2. Cells: each parses against its fact; params and facts named exist with the type.
  FOR r IN SELECT rr.row_no, rr.cells, u.cell, u.i, f.fact, f.fact_type, f.enum_values
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             LEFT JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
            WHERE rr.version_id = v.version_id ORDER BY rr.row_no, u.i LOOP
    IF r.i > ncols THEN
      CONTINUE;
    END IF;
    IF r.fact IS NULL THEN
      CONTINUE;
    END IF;
    problem := mynahoken.rule_cell_problem(r.cell, r.fact_type, r.enum_values);
    IF problem IS NOT NULL THEN
      severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
      detail := format('row %s, column "%s": invalid cell "%s": %s', r.row_no, v.columns[r.i], r.cell, problem);
      errors := errors + 1;
      RETURN NEXT;
      CONTINUE;
    END IF;
    DECLARE
      j jsonb := mynahoken.rule_cell_parse(r.cell, r.fact_type, r.enum_values);
      nm text;
      pt text;
    BEGIN
      IF j->>'kind' = 'sql' THEN
        severity := 'error'; check_name := 'opaque'; rows := ARRAY[r.row_no];
        detail := format('row %s, column "%s": sql: cells are recognised but not compiled in this version', r.row_no, v.columns[r.i]);
        errors := errors + 1;
        RETURN NEXT;
      END IF;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'facts', '[]')) LOOP
        IF NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = nm AND f.fact_type = r.fact_type) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": "%s" is not a fact of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'params', '[]')) LOOP
        SELECT p.value_type::text INTO pt FROM mynahoken.legal_parameter_def p WHERE p.name = nm;
        IF pt IS NULL OR pt <> (CASE r.fact_type WHEN 'enum' THEN 'text' ELSE r.fact_type END) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": param(%s) is not a legal parameter of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
    END;
  END LOOP;
  FOR r IN SELECT rr.row_no, cardinality(rr.cells) AS n FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND cardinality(rr.cells) <> ncols ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
    detail := format('row %s has %s cells for %s columns', r.row_no, r.n, ncols);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;

  -- 3. Parameters: a value on every day of the valid time, for the scope.
  FOR c IN SELECT DISTINCT p.name
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
             CROSS JOIN LATERAL jsonb_array_elements_text(
               CASE WHEN mynahoken.rule_cell_problem(u.cell, f.fact_type, f.enum_values) IS NULL
                    THEN coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]') ELSE '[]' END) AS p(name)
            WHERE rr.version_id = v.version_id
              AND EXISTS (SELECT FROM mynahoken.legal_parameter_def pd WHERE pd.name = p.name)
            ORDER BY 1 LOOP
    SELECT range_agg(e.valid) INTO covered
      FROM mynahoken.legal_parameter_entry e
     WHERE e.name = c.name AND (e.scope IS NULL OR e.scope::text = v_scope);
    missing := datemultirange(v.valid) - coalesce(covered, '{}'::datemultirange);
    IF NOT isempty(missing) THEN
      severity := 'error'; check_name := 'parameter'; rows := NULL;
      detail := format('parameter %s has no value for %s on %s', c.name, coalesce(v_scope, 'every category'), missing);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END LOOP;

  -- 4. Guard rails of the layers.
  IF t.layer = 'insurer' THEN
    IF NOT lab.overridable THEN
      severity := 'error'; check_name := 'guard_rail'; rows := NULL;
      detail := format('%s cannot have insurer exceptions: it stays above every insurer layer', lab.label);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
    IF t.decision = 'certificate_need' THEN
      FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
                 JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                WHERE rr.version_id = v.version_id AND o.needs_certificate IS NOT TRUE
                  AND NOT lab.insurer_may_narrow
                ORDER BY rr.row_no LOOP
        severity := 'error'; check_name := 'guard_rail'; rows := ARRAY[r.row_no];
        detail := format('row %s: outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', r.row_no, r.outcome);
        errors := errors + 1;
        RETURN NEXT;
      END LOOP;
      IF t.on_no_match LIKE 'default %' AND NOT lab.insurer_may_narrow AND NOT EXISTS (
           SELECT FROM mynahoken.rule_outcome o
            WHERE o.decision = t.decision AND o.code = substr(t.on_no_match, 9) AND o.needs_certificate) THEN
        severity := 'error'; check_name := 'guard_rail'; rows := NULL;
        detail := format('the default outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', substr(t.on_no_match, 9));
        errors := errors + 1;
        RETURN NEXT;
      END IF;
    END IF;
    -- precedence: another active table excepting the same label for some
    -- of the same insurers is tried before or after this one by name
    FOR c IN SELECT o.table_name, ARRAY(SELECT unnest(o.applies_to) INTERSECT SELECT unnest(t.applies_to) ORDER BY 1) AS common
               FROM mynahoken.rule_table o
              WHERE o.table_name <> t.table_name AND o.exception_to = t.exception_to
                AND o.applies_to && t.applies_to
                AND EXISTS (SELECT FROM mynahoken.rule_version y WHERE y.table_name = o.table_name AND y.status = 'active')
              ORDER BY o.table_name LOOP
      severity := 'warning'; check_name := 'precedence'; rows := NULL;
      detail := format('%s also excepts %s for %s: the tables are tried in name order, %s first',
                       c.table_name, t.exception_to, array_to_string(c.common, ', '),
                       least(c.table_name, t.table_name));
      RETURN NEXT;
    END LOOP;
    IF lab.decision <> t.decision THEN
      severity := 'error'; check_name := 'reference'; rows := NULL;
      detail := format('%s is a label of %s, not of %s', lab.label, lab.decision, t.decision);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END IF;
  -- a date decision: validity is capped at the legal maximum; a row whose
  -- date adds more months than the maximum is capped (a warning)
  IF t.layer = 'insurer' AND d.output_type = 'date' THEN
    FOR r IN SELECT rr.row_no, max((n.v->'args'->1->>'int')::int) AS months
               FROM mynahoken.rule_row rr
               CROSS JOIN LATERAL jsonb_path_query(mynahoken.rule_expr_parse(rr.outcome), 'strict $.**') AS n(v)
              WHERE rr.version_id = v.version_id AND mynahoken.rule_expr_problem(rr.outcome) IS NULL
                AND jsonb_typeof(n.v) = 'object' AND n.v->>'fn' = 'add_months'
              GROUP BY rr.row_no ORDER BY rr.row_no LOOP
      problem := (SELECT min(e.value_int)::text FROM mynahoken.legal_parameter_entry e
                   WHERE e.name = 'certificate_max_months' AND e.valid && v.valid
                     AND (e.scope IS NULL OR e.scope::text = v_scope));
      IF r.months > problem::int THEN
        severity := 'warning'; check_name := 'guard_rail'; rows := ARRAY[r.row_no];
        detail := format('row %s adds %s months: its date is capped at the legal maximum of %s months (certificate_max_months)', r.row_no, r.months, problem);
        RETURN NEXT;
      END IF;
    END LOOP;
  END IF;
  -- the national label the table yields to: another group of the same decision
  IF t.yields_to IS NOT NULL AND (t.yields_to = t.exception_to
       OR (SELECT y.decision FROM mynahoken.rule_label y WHERE y.label = t.yields_to) <> t.decision) THEN
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := format('%s yields to %s, which is %s', t.table_name, t.yields_to,
                     CASE WHEN t.yields_to = t.exception_to THEN 'the label it is an exception to: it would never apply'
                          ELSE 'a label of another decision' END);
    errors := errors + 1;
    RETURN NEXT;
  END IF;
  -- what this version compiles: outcome and date decisions; the hit
  -- policies and aggregations that fit the decision's output
  problem := CASE
    WHEN d.output_type NOT IN ('outcome', 'date') THEN
      format('decision %s (output %s) is not compiled in this version', t.decision, d.output_type)
    WHEN d.output_type = 'date' AND t.hit_policy IN ('priority', 'rule_order') THEN
      format('hit policy %s does not fit decision %s: its output is one date (use first, or collect with min or max)', t.hit_policy, t.decision)
    WHEN d.output_type = 'date' AND t.on_no_match LIKE 'default %' THEN
      format('on_no_match %s does not fit decision %s: its output is a date, not an outcome', t.on_no_match, t.decision)
    WHEN d.output_type = 'date' AND t.aggregation NOT IN ('min', 'max') THEN
      format('aggregation %s does not fit decision %s: the rows give dates, which collect as min or max', t.aggregation, t.decision)
    WHEN d.output_type = 'outcome' AND t.aggregation <> 'list' THEN
      format('aggregation %s does not fit decision %s: the rows give outcomes, which collect as a list (sum and count need a number, min and max a number or a date)', t.aggregation, t.decision)
  END;
  IF problem IS NOT NULL THEN
    severity := 'error'; check_name := 'compile'; rows := NULL;
    detail := problem;
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 5. Overlaps, gaps, masked rows: the box algebra over the cells.
  IF errors = 0 THEN
    SELECT array_agg(f.fact_type ORDER BY u.i),
           array_agg(f.null_means = 'none' ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.lo END ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.hi END ORDER BY u.i),
           max(coalesce(cardinality(f.enum_values), 0))
      INTO types, nullable, los, his, maxv
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i) JOIN mynahoken.rule_fact f ON f.fact = u.col;
    maxv := greatest(maxv, 1);
    SELECT array_agg(x.val ORDER BY u.i, x.k) INTO vals
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
      JOIN mynahoken.rule_fact f ON f.fact = u.col
      CROSS JOIN LATERAL (SELECT k, CASE WHEN f.fact_type = 'enum' THEN f.enum_values[k] END AS val
                            FROM generate_series(1, maxv) AS k) x;
    vals := array_fill(NULL::text, ARRAY[ncols, maxv]);
    FOR c IN SELECT u.i, f.enum_values FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
               JOIN mynahoken.rule_fact f ON f.fact = u.col WHERE f.fact_type = 'enum' LOOP
      FOR k IN 1 .. cardinality(c.enum_values) LOOP
        vals[c.i][k] := c.enum_values[k];
      END LOOP;
    END LOOP;
    SELECT array_agg(rr.row_no ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no),
           array_agg(rr.outcome ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no)
      INTO rownos, outs
      FROM mynahoken.rule_row rr
      LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
     WHERE rr.version_id = v.version_id;
    cells := array_fill(NULL::text, ARRAY[cardinality(rownos), ncols]);
    FOR k IN 1 .. cardinality(rownos) LOOP
      SELECT rr.cells INTO c FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id AND rr.row_no = rownos[k];
      FOR i IN 1 .. ncols LOOP
        cells[k][i] := c.cells[i];
      END LOOP;
    END LOOP;
    IF t.hit_policy IN ('unique', 'any') THEN checks := checks || 'overlap'::text; END IF;
    IF t.on_no_match = 'error' THEN checks := checks || 'gap'::text; END IF;
    IF t.hit_policy IN ('first', 'priority') THEN checks := checks || 'masked'::text; END IF;
    FOR c IN SELECT * FROM mynahoken.rule_check_boxes(v.columns, types, nullable, los, his, vals,
                                                      rownos, cells, checks) LOOP
      rows := c.rows;
      check_name := c.check_name;
      IF c.check_name = 'overlap' THEN
        IF t.hit_policy = 'any' AND outs[array_position(rownos, c.rows[1])] = outs[array_position(rownos, c.rows[2])] THEN
          CONTINUE;
        END IF;
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('rows %s and %s %s where %s: hit policy %s', c.rows[1], c.rows[2],
                         CASE WHEN c.uncertain THEN 'may overlap (a cell with param(), day or another fact is not analysed)' ELSE 'overlap' END,
                         c.witness, t.hit_policy);
      ELSIF c.check_name = 'gap' THEN
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('%s where %s: on_no_match is error',
                         CASE WHEN c.uncertain THEN 'possibly no row matches (a cell with param(), day or another fact is not analysed)' ELSE 'no row matches' END,
                         c.witness);
      ELSE
        severity := 'error';
        detail := format('row %s is never reached: the rows before it cover %s', c.rows[1], c.witness);
      END IF;
      RETURN NEXT;
      IF severity = 'error' THEN errors := errors + 1; END IF;
    END LOOP;
  END IF;

  -- 6. The table's own tests, through the generated decision with this version.
  IF errors = 0 THEN
    FOR c IN SELECT * FROM mynahoken.rule_run_tests(v.table_name, v.version_id) x WHERE NOT x.passed LOOP
      severity := 'error'; check_name := 'test'; rows := CASE WHEN c.row_no IS NOT NULL THEN ARRAY[c.row_no] END;
      detail := format('test "%s" (%s): expected %s, got %s', c.test_name, c.as_of, c.expect, coalesce(c.got, 'no outcome'));
      RETURN NEXT;
    END LOOP;
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_check(bigint) IS
  'Every check of a rule version, as rows (severity error/warning, check, rows, detail with witness): references, cells, parameters over the valid time, guard rails, overlaps, gaps, masked rows (n-dimensional), the table''s tests';

CREATE OR REPLACE FUNCTION mynahoken.rule_explain(decision text, member_key text, as_of date, known_on date DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  facts jsonb;
  tried jsonb;
  hit mynahoken.rule_hit;
  rec record;
  e jsonb;
  v mynahoken.rule_version;
  rr mynahoken.rule_row;
  rows_out jsonb := '[]';
  params jsonb := '[]';
  k int;
  pname text;
  scope text;
  p mynahoken.legal_parameter;
  ver jsonb;
  decided_by bigint;
BEGIN
  IF (SELECT d.output_type FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision) = 'date' THEN
    PERFORM mynahoken.raise_error('0A000', 'explanations of date decisions are not generated yet');
  END IF;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_explain.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  EXECUTE format('SELECT t.facts, t.tried, t.hit FROM mynahoken.%I($1, $2) AS t WHERE t.member_key OPERATOR(pg_catalog.=) $3',
                 'rule_trace_' || decision)
    INTO rec USING as_of, known_on, member_key;
  facts := rec.facts;
  tried := rec.tried;
  hit := rec.hit;
  IF facts IS NULL THEN
    -- the key is personal data: it is not repeated in the message
    PERFORM mynahoken.raise_error('P0002', 'no such member in the member source');
  END IF;
  -- every row tried, in order, with its first failing cell and the member's value
  FOR e IN SELECT x FROM jsonb_array_elements(tried) AS x WHERE (x->>'in_scope')::boolean LOOP
    EXIT WHEN decided_by IS DISTINCT FROM NULL AND decided_by <> (e->>'version_id')::bigint;
    SELECT * INTO v FROM mynahoken.rule_version y WHERE y.version_id = (e->>'version_id')::bigint;
    SELECT * INTO rr FROM mynahoken.rule_row y WHERE y.version_id = v.version_id AND y.row_no = (e->>'row_no')::int;
    SELECT min(i) INTO k FROM generate_series(1, jsonb_array_length(e->'cells')) AS i
     WHERE NOT (e->'cells'->>(i - 1))::boolean;
    rows_out := rows_out || jsonb_build_array(jsonb_build_object(
      'table_name', e->>'table_name', 'version_id', v.version_id, 'row_no', rr.row_no, 'outcome', rr.outcome,
      'matched', k IS NULL,
      'first_failing_cell', CASE WHEN k IS NOT NULL THEN jsonb_build_object(
         'column', v.columns[k], 'cell', rr.cells[k], 'value', facts->v.columns[k]) END));
    -- collect and rule order try every row of the version that decided
    IF k IS NULL THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mynahoken.rule_table t WHERE t.table_name = e->>'table_name'
                               AND t.hit_policy IN ('collect', 'rule_order'));
      decided_by := v.version_id;
    END IF;
  END LOOP;
  -- the parameters the rows in scope read, with value, scope, valid and recorded ranges, source
  FOR pname, scope IN
    SELECT DISTINCT pn, mynahoken.rule_table_scope(t.applies_to)
      FROM jsonb_array_elements(tried) AS x
      JOIN mynahoken.rule_version y ON y.version_id = (x->>'version_id')::bigint
      JOIN mynahoken.rule_table t ON t.table_name = y.table_name
      JOIN mynahoken.rule_row r ON r.version_id = y.version_id AND r.row_no = (x->>'row_no')::int
      CROSS JOIN LATERAL unnest(r.cells) WITH ORDINALITY AS u(cell, i)
      JOIN mynahoken.rule_fact f ON f.fact = y.columns[u.i]
      CROSS JOIN LATERAL jsonb_array_elements_text(
        coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]')) AS pn
     WHERE (x->>'in_scope')::boolean
  LOOP
    p := mynahoken.legal_parameter_at(pname, as_of, scope::mynahoken.insurer_category, known_on);
    params := params || jsonb_build_array(jsonb_build_object(
      'name', p.name, 'value', coalesce(to_jsonb(p.value_int), to_jsonb(p.value_date), to_jsonb(p.value_bool),
                                        to_jsonb(p.value_range::text), to_jsonb(p.value_text)),
      'scope', p.scope, 'valid', p.valid::text, 'recorded', p.recorded::text,
      'source', (SELECT to_jsonb(s) - 'shipped' FROM mynahoken.legal_source s WHERE s.source_id = p.source_id)));
  END LOOP;
  IF hit.version_id IS NOT NULL THEN
    SELECT jsonb_build_object('version_id', y.version_id, 'table_name', y.table_name, 'valid', y.valid::text,
                              'recorded_on', y.recorded_on, 'recorded_at', y.recorded_at, 'source', y.source,
                              'author', y.author, 'approved_by', y.approved_by)
      INTO ver FROM mynahoken.rule_version y WHERE y.version_id = hit.version_id;
  END IF;
  RETURN jsonb_build_object(
    'decision', decision, 'as_of', as_of, 'known_on', known_on,
    'outcome', hit.outcome, 'outcomes', to_jsonb(hit.outcomes), 'layer', hit.layer,
    'layer_chain', CASE WHEN hit.layer = 'insurer'
                        THEN format('row %s of %s v%s (source %s) overrides %s', hit.row_no, hit.table_name,
                                    hit.version_id, ver->>'source',
                                    (SELECT t.exception_to FROM mynahoken.rule_table t WHERE t.table_name = hit.table_name))
                        ELSE format('national %s: %s', decision, coalesce(facts->>(SELECT d.national_fact FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision), 'undecidable')) END,
    'rule_version', ver, 'rows_tried', rows_out, 'facts', facts, 'parameters', params);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_explain(text, text, date, date) IS
  'Why a member gets a decision''s outcome, from the compiled predicates: outcome, layer chain, every row tried in order with its first failing cell and the member''s value, the facts read, the parameters with value, scope, valid and recorded ranges and source, and the rule version';

CREATE OR REPLACE FUNCTION mynahoken.rule_coverage(decision text, as_of date, known_on date DEFAULT NULL)
RETURNS TABLE (table_name text, version_id bigint, row_no integer, outcome text,
               tried bigint, matched bigint, decided bigint, first_failing jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF (SELECT d.output_type FROM mynahoken.rule_decision d WHERE d.decision = rule_coverage.decision) = 'date' THEN
    PERFORM mynahoken.raise_error('0A000', 'coverage of date decisions is not generated yet');
  END IF;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_coverage.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH per_member AS (
      SELECT e->>'table_name' AS table_name, (e->>'version_id')::bigint AS version_id,
             (e->>'row_no')::integer AS row_no,
             (SELECT min(c.i) FROM jsonb_array_elements_text(e->'cells') WITH ORDINALITY AS c(v, i)
               WHERE c.v = 'false') AS failing,
             (t.hit).version_id IS NOT DISTINCT FROM (e->>'version_id')::bigint
               AND (t.hit).row_no IS NOT DISTINCT FROM (e->>'row_no')::integer AS decided
        FROM mynahoken.%I($1, $2) AS t
        CROSS JOIN LATERAL jsonb_array_elements(t.tried) AS e
       WHERE (e->>'in_scope')::boolean
    ), per_cell AS (
      SELECT p.table_name, p.version_id, p.row_no, p.failing, count(*) AS n,
             count(*) FILTER (WHERE p.decided) AS n_decided
        FROM per_member p GROUP BY 1, 2, 3, 4
    )
    SELECT c.table_name, c.version_id, c.row_no, r.outcome,
           sum(c.n)::bigint, (sum(c.n) FILTER (WHERE c.failing IS NULL))::bigint, sum(c.n_decided)::bigint,
           coalesce(jsonb_object_agg(v.columns[c.failing], c.n) FILTER (WHERE c.failing IS NOT NULL), '{}')
      FROM per_cell c
      JOIN mynahoken.rule_version v ON v.version_id = c.version_id
      JOIN mynahoken.rule_row r ON r.version_id = c.version_id AND r.row_no = c.row_no
     GROUP BY c.table_name, c.version_id, c.row_no, r.outcome
     ORDER BY c.table_name, c.version_id, c.row_no
  $q$, 'rule_trace_' || decision) USING as_of, known_on;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_coverage(text, date, date) IS
  'Coverage of a decision''s rows over the member source on a day: per row the members it was tried for, matched and decided, and per column the members whose first failing cell it was; computed by the compiled predicates';

CREATE FUNCTION mynahoken.rule_national_change_report(decision text, as_of date, known_before date, known_after date)
RETURNS TABLE (member_key text, table_name text, version_id bigint, row_no integer,
               national_before text, national_after text, outcome_before text, outcome_after text, effect text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  nat text;
BEGIN
  SELECT d.national_fact INTO nat FROM mynahoken.rule_decision d
   WHERE d.decision = rule_national_change_report.decision AND d.output_type = 'outcome';
  IF nat IS NULL OR NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_national_change_report.decision
                                   AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source with a national outcome',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  IF known_before IS NULL OR known_after IS NULL OR as_of IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'the report needs a decision day and two knowledge days');
  END IF;
  RETURN QUERY EXECUTE format($q$
    SELECT b.member_key, coalesce((b.hit).table_name, (a.hit).table_name),
           CASE WHEN (b.hit).layer = 'insurer' THEN (b.hit).version_id ELSE (a.hit).version_id END,
           CASE WHEN (b.hit).layer = 'insurer' THEN (b.hit).row_no ELSE (a.hit).row_no END,
           b.facts->>%1$L, a.facts->>%1$L, (b.hit).outcome, (a.hit).outcome,
           CASE WHEN (b.hit).layer = 'insurer' AND (a.hit).layer = 'insurer' THEN 'still_overrides'
                WHEN (a.hit).layer = 'insurer' THEN 'now_overrides'
                WHEN (a.facts->>%1$L) = ANY (CAST((SELECT l.outcomes FROM mynahoken.rule_table t
                                                   JOIN mynahoken.rule_label l ON l.label = t.yields_to
                                                  WHERE t.table_name = (b.hit).table_name) AS text[])) THEN 'yields'
                ELSE 'national_takes_over' END
      FROM mynahoken.%2$I($1, $2) AS b
      JOIN mynahoken.%2$I($1, $3) AS a ON a.member_key = b.member_key
     WHERE (b.facts->>%1$L) IS DISTINCT FROM (a.facts->>%1$L)
       AND ((b.hit).layer = 'insurer' OR (a.hit).layer = 'insurer')
     ORDER BY 2, 1
  $q$, nat, 'rule_trace_' || decision) USING as_of, known_before, known_after;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_national_change_report(text, date, date, date) IS
  'A national change recorded under active insurer exceptions: members whose national outcome on as_of differs as known on known_before and known_after and whom an insurer row decides on either day, with table, version, row, both national outcomes and outcomes, and the effect (yields, national_takes_over, still_overrides, now_overrides); by the compiled predicates';

-- ---------------------------------------------------------------------------
-- Issue 12, certificates.
--   * Revocation is history: a hold (certificateHold) ends at the first CRL
--     that no longer lists it (released_at), and a certificate may have
--     several periods, so the key gains revocation_date.  Rows of 0.1 keep
--     their dates and stay in force (released_at NULL): 0.1 had no release
--     but a DELETE, so every row it kept was in force.
--   * The otherName entries 1.2.392.200149.8.5.5.2 and .6 of a 署名用
--     certificate are, per the J-LIS profile, the position information of
--     substitute characters (代替文字の使用位置情報), a '0'/'1' per character
--     of the name and address, not alternative names: the attributes
--     name_substitute and address_substitute (text) of 0.1 are renamed
--     name_substitute_positions and address_substitute_positions and become
--     bit varying.  A 0.1 query reading the old names fails with "column not
--     found" rather than reading a different meaning under an old name
--     (doc/certificates.md, "Changes from 0.1").
--   * crl_facts (thisUpdate, delta flag) for load_crl; load_crl records holds
--     and their releases; the verification time is checked against the
--     X.509 range (comments).

ALTER TABLE mynahoken.revoked_certificate ADD COLUMN released_at timestamptz;
ALTER TABLE mynahoken.revoked_certificate
  DROP CONSTRAINT revoked_certificate_pkey,
  ADD CONSTRAINT revoked_certificate_pkey PRIMARY KEY (issuer_key_id, serial, revocation_date),
  ADD CONSTRAINT revoked_certificate_release_check
    CHECK (released_at IS NULL OR (reason = 'certificateHold' AND released_at > revocation_date));
COMMENT ON TABLE mynahoken.revoked_certificate IS
  'JPKI revocation facts keyed by issuer key identifier, serial and start; revoked at T iff revocation_date <= T < released_at (or no released_at)';
COMMENT ON COLUMN mynahoken.revoked_certificate.revocation_date IS
  'Start of the revocation or hold (the CRL entry''s revocationDate)';
COMMENT ON COLUMN mynahoken.revoked_certificate.released_at IS
  'End of a hold (certificateHold): thisUpdate of the first CRL that no longer lists it, or the feed''s release time; NULL while in force.  The held period stays on record';


ALTER TYPE mynahoken.certificate_personal_data RENAME ATTRIBUTE name_substitute TO name_substitute_positions;
ALTER TYPE mynahoken.certificate_personal_data RENAME ATTRIBUTE address_substitute TO address_substitute_positions;
ALTER TYPE mynahoken.certificate_personal_data
  ALTER ATTRIBUTE name_substitute_positions TYPE bit varying,
  ALTER ATTRIBUTE address_substitute_positions TYPE bit varying;
COMMENT ON TYPE mynahoken.certificate_personal_data IS
  'Personal data (基本4情報) of a 署名用 certificate, subjectAltName otherName 1.2.392.200149.8.5.5.1-.6 (J-LIS certificate profile)';
COMMENT ON COLUMN mynahoken.certificate_personal_data.name IS
  '氏名 (1.2.392.200149.8.5.5.1): characters outside JIS X 0208/0212 replaced by substitute characters (代替文字)';
COMMENT ON COLUMN mynahoken.certificate_personal_data.name_substitute_positions IS
  '氏名代替文字の使用位置情報 (.5.5.2): bit i (from 0) is 1 when character i+1 of name is a substitute character; NULL unless only 0s and 1s';
COMMENT ON COLUMN mynahoken.certificate_personal_data.sex IS
  '性別 (.5.5.3): 1 male, 2 female, 3 unknown, as on the card';
COMMENT ON COLUMN mynahoken.certificate_personal_data.birth_date IS
  '生年月日 (.5.5.4): era digit (1 明治, 2 大正, 3 昭和, 4 平成, 5 令和, 0 unknown) and the Gregorian YYYYMMDD, as on the card';
COMMENT ON COLUMN mynahoken.certificate_personal_data.address IS
  '住所 (.5.5.5): up to 200 characters, substitute characters as in name';
COMMENT ON COLUMN mynahoken.certificate_personal_data.address_substitute_positions IS
  '住所代替文字の使用位置情報 (.5.5.6): bit i (from 0) is 1 when character i+1 of address is a substitute character; NULL unless only 0s and 1s';

COMMENT ON FUNCTION mynahoken.verify_certificate(bytea, mynahoken.certificate_usage, timestamptz) IS
  'Verify a DER JPKI certificate for a usage at a time against the trust anchors and revocation rows; a time outside years 1-9999 UTC or infinite raises 22008';
COMMENT ON FUNCTION mynahoken.verify_signature(bytea, bytea, bytea, timestamptz, mynahoken.certificate_usage) IS
  'Verify the certificate, then a SHA256withRSA (PKCS#1 v1.5) signature over data with its key; a time outside years 1-9999 UTC or infinite raises 22008';

CREATE FUNCTION mynahoken.crl_facts(crl bytea,
    OUT anchor_id bigint, OUT issuer_key_id bytea, OUT this_update timestamptz,
    OUT next_update timestamptz, OUT delta boolean, OUT entries integer)
AS 'MODULE_PATHNAME', 'mh_crl_facts'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.crl_facts(bytea) IS
  'Issuing anchor, key identifier, thisUpdate, nextUpdate, delta flag and entry count of a DER CRL whose signature verifies with a trust anchor; errors as crl_entries';

CREATE OR REPLACE FUNCTION mynahoken.load_crl(crl bytea)
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  added integer;
  released integer;
BEGIN
  SELECT * INTO c FROM mynahoken.crl_facts(crl);
  -- New revocations and holds; a hold the CRL now lists with another
  -- reason has become a revocation from the same date.
  INSERT INTO mynahoken.revoked_certificate AS r
         (issuer_key_id, serial, revocation_date, reason, source)
  SELECT e.issuer_key_id, e.serial, e.revocation_date, e.reason, 'crl'
    FROM mynahoken.crl_entries(crl) e
   -- a delta CRL's removeFromCRL entry is a release, never a revocation
   WHERE e.reason IS DISTINCT FROM 'removeFromCRL'
  ON CONFLICT (issuer_key_id, serial, revocation_date) DO UPDATE
     SET reason = excluded.reason
   WHERE r.reason = 'certificateHold' AND r.released_at IS NULL
     AND excluded.reason IS DISTINCT FROM 'certificateHold';
  GET DIAGNOSTICS added = ROW_COUNT;
  -- Holds end at the thisUpdate of the first CRL that no longer lists them
  -- (of a delta CRL: that lists them as removeFromCRL).  An earlier CRL
  -- loaded later moves the end back, never forward; the held period stays.
  UPDATE mynahoken.revoked_certificate r
     SET released_at = c.this_update
   WHERE r.issuer_key_id = c.issuer_key_id
     AND r.reason = 'certificateHold'
     AND r.source = 'crl'
     AND r.revocation_date < c.this_update
     AND (r.released_at IS NULL OR r.released_at > c.this_update)
     AND CASE WHEN c.delta
              THEN EXISTS (SELECT FROM mynahoken.crl_entries(crl) e
                            WHERE e.serial = r.serial AND e.reason = 'removeFromCRL')
              ELSE NOT EXISTS (SELECT FROM mynahoken.crl_entries(crl) e
                                WHERE e.serial = r.serial
                                  AND e.revocation_date = r.revocation_date)
         END;
  GET DIAGNOSTICS released = ROW_COUNT;
  RETURN added + released;
END $$;
COMMENT ON FUNCTION mynahoken.load_crl(bytea) IS
  'Verify a DER CRL against the trust anchors, record its revocations and holds, and end the holds it no longer lists; returns the number of rows added or changed';

-- Issue 17, scale-out: a btree operator class for mynumber_sealed (byte
-- order), so that a sealed column can be indexed, sorted and be a Citus
-- distribution column.

-- Byte order of sealed values (issue 17): a btree class, so that a sealed
-- column can be indexed, sorted and used where a btree class is required
-- (a Citus distribution column).  Equal bytes are the same number under the
-- same key version; the order of the bytes says nothing about the numbers.
CREATE FUNCTION mynahoken.mynumber_sealed_lt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_le(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_gt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_ge(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_cmp(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS integer AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.< (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_lt, COMMUTATOR = OPERATOR(mynahoken.>),
  NEGATOR = OPERATOR(mynahoken.>=), RESTRICT = pg_catalog.scalarltsel,
  JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR mynahoken.<= (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_le, COMMUTATOR = OPERATOR(mynahoken.>=),
  NEGATOR = OPERATOR(mynahoken.>), RESTRICT = pg_catalog.scalarlesel,
  JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR mynahoken.> (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_gt, COMMUTATOR = OPERATOR(mynahoken.<),
  NEGATOR = OPERATOR(mynahoken.<=), RESTRICT = pg_catalog.scalargtsel,
  JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR mynahoken.>= (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_ge, COMMUTATOR = OPERATOR(mynahoken.<=),
  NEGATOR = OPERATOR(mynahoken.<), RESTRICT = pg_catalog.scalargesel,
  JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS mynahoken.mynumber_sealed_ops
  DEFAULT FOR TYPE mynahoken.mynumber_sealed USING btree AS
    OPERATOR 1 mynahoken.<,
    OPERATOR 2 mynahoken.<=,
    OPERATOR 3 mynahoken.=,
    OPERATOR 4 mynahoken.>=,
    OPERATOR 5 mynahoken.>,
    FUNCTION 1 mynahoken.mynumber_sealed_cmp(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed);

COMMENT ON FUNCTION mynahoken.mynumber_sealed_lt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_le(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than or equal (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_gt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_ge(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than or equal (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_cmp(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Btree support 1: byte order of the 29 bytes (-1, 0, 1)';
COMMENT ON OPERATOR mynahoken.< (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than';
COMMENT ON OPERATOR mynahoken.<= (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than or equal';
COMMENT ON OPERATOR mynahoken.> (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than';
COMMENT ON OPERATOR mynahoken.>= (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than or equal';
COMMENT ON OPERATOR CLASS mynahoken.mynumber_sealed_ops USING btree IS
  'Default btree operator class of mynumber_sealed (byte order)';
COMMENT ON OPERATOR FAMILY mynahoken.mynumber_sealed_ops USING btree IS
  'Btree operator family of mynumber_sealed';
-- Issue 13, issuance lifecycle: documents re-checked at hand-off (withdrawn
-- with a reason, or handed off and reported late), withdrawals recorded and
-- never deleted, recall notices for 資格確認書 whose holder lost eligibility.
-- New columns at the end of the tables 0.1 shipped.

ALTER TABLE mynahoken.issuance_handoff
  ADD COLUMN handoff_on  date,
  ADD COLUMN review_id   bigint,
  ADD COLUMN recalls     bigint NOT NULL DEFAULT 0;
ALTER TABLE mynahoken.issuance_queue
  ADD COLUMN status         text NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'handed_off', 'sent', 'withdrawn')),
  ADD COLUMN days_late      int,
  ADD COLUMN withdrawn_on   date,
  ADD COLUMN withdrawn_at   timestamptz,
  ADD COLUMN withdrawn_reason text,
  ADD COLUMN withdrawn_explanation jsonb,
  ADD COLUMN review_id      bigint;
UPDATE mynahoken.issuance_queue q
   SET status = CASE WHEN q.sent_on IS NOT NULL THEN 'sent' WHEN q.handoff_id IS NOT NULL THEN 'handed_off' ELSE 'planned' END;
ALTER TABLE mynahoken.issuance_queue
  ADD CONSTRAINT issuance_queue_withdrawn CHECK ((status = 'withdrawn') = (withdrawn_reason IS NOT NULL));
COMMENT ON TABLE mynahoken.issuance_queue IS
  'Planned documents: one row per member, document, 資格取得日 and issue window (unique), with reason, validity, employer, legal basis and run, and their lifecycle (status planned, handed_off, sent or withdrawn with reason, day and explanation; days late at hand-off); never a My Number';
DROP INDEX mynahoken.issuance_queue_pending;
CREATE INDEX issuance_queue_pending ON mynahoken.issuance_queue (employer) WHERE status = 'planned';
COMMENT ON INDEX mynahoken.issuance_queue_pending IS 'Partial index: planned documents not yet in a hand-off batch nor withdrawn, by employer';

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

DROP FUNCTION mynahoken.prepare_handoff(text);
DROP FUNCTION mynahoken.prepare_handoffs();

CREATE OR REPLACE VIEW mynahoken.issuance_pending AS
SELECT q.employer, q.document, q.reason, count(*) AS documents, min(q.as_of) AS oldest
  FROM mynahoken.issuance_queue q
 WHERE q.status = 'planned'
 GROUP BY 1, 2, 3;
COMMENT ON VIEW mynahoken.issuance_pending IS
  'Planned documents not yet handed off nor withdrawn, per employer (NULL: direct mail), document and reason';

CREATE OR REPLACE VIEW mynahoken.issuance_handoff_file AS
SELECT l.handoff_id,
       coalesce(l.employer, '') AS employer,
       CASE WHEN l.employer IS NULL THEN 'member' ELSE 'employer' END AS deliver_to,
       row_number() OVER (PARTITION BY l.handoff_id ORDER BY l.member_key COLLATE "C", l.document) AS line_no,
       mynahoken.padded(l.insurer_number) AS insurer_number,
       l.member_key,
       CASE l.document WHEN 'certificate' THEN '資格確認書' WHEN 'notice' THEN '資格情報のお知らせ'
                       ELSE '資格確認書の回収のお願い' END AS document_name,
       l.document,
       l.reason,
       pg_catalog.to_char(l.valid_from, 'YYYY-MM-DD') AS valid_from,
       pg_catalog.to_char(l.valid_until, 'YYYY-MM-DD') AS valid_until,
       pg_catalog.to_char(upper(l.sending_window) - 1, 'YYYY-MM-DD') AS send_by,
       l.queue_id,
       l.recall_id
  FROM (SELECT q.handoff_id, q.employer, q.member_key, q.document::text AS document, q.insurer_number,
               q.reason, q.valid_from, q.valid_until, q.sending_window, q.queue_id, NULL::bigint AS recall_id
          FROM mynahoken.issuance_queue q
         WHERE q.handoff_id IS NOT NULL
        UNION ALL
        -- Recall notices: valid_until is the certificate's, queue_id the certificate.
        SELECT c.handoff_id, c.employer, c.member_key, 'recall', c.insurer_number,
               'lost_eligibility', NULL, c.valid_until, NULL, c.certificate_id, c.recall_id
          FROM mynahoken.issuance_recall c
         WHERE c.handoff_id IS NOT NULL
           -- returned or withdrawn before the batch was sent: not printed
           AND NOT (c.status IN ('returned', 'withdrawn') AND c.sent_on IS NULL)) AS l;
COMMENT ON VIEW mynahoken.issuance_handoff_file IS
  'Hand-off file for the print vendor, one line per document and recall notice (document recall, 資格確認書の回収のお願い, queue_id the certificate to return) of each batch; a recall notice returned or withdrawn before its batch was sent is left out; send_by is the last sending day of an お知らせ (empty for certificates: issuance_lifecycle.send_by has theirs): COPY (SELECT * FROM ... WHERE handoff_id = N ORDER BY line_no) TO ... CSV HEADER';

-- One batch: the documents of the employer (NULL: direct mail) still
-- planned after the re-check rid, and its recall notices.
CREATE FUNCTION mynahoken.issuance_batch(p_employer text, p_on date, p_review bigint,
                                         p_certificate_send_days integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  h bigint := nextval('mynahoken.issuance_handoff_id_seq');
  n bigint;
  r bigint;
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_life_docs') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_batch is called by prepare_handoff only',
      hint => 'SELECT mynahoken.prepare_handoff(...) re-checks the documents and makes the batch.');
  END IF;
  -- The queue rows reference the batch: create it first, count after.
  INSERT INTO mynahoken.issuance_handoff (handoff_id, employer, documents, handoff_on, review_id)
  VALUES (h, p_employer, 0, p_on, p_review);
  -- "=" and IS NULL separately, so that the partial index is used.  Only
  -- the documents the re-check saw (pg_temp.mh_life_docs): a document a
  -- concurrent run planned meanwhile waits for the next batch.  Late:
  -- handed off after the send-by day (within late_days for an お知らせ, the
  -- others were withdrawn by the re-check).
  IF p_employer IS NULL THEN
    UPDATE mynahoken.issuance_queue q
       SET handoff_id = h, status = 'handed_off', review_id = p_review,
           days_late = nullif(greatest(p_on - mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window,
                                                                         p_certificate_send_days), 0), 0)
     WHERE q.status = 'planned' AND q.employer IS NULL
       AND q.queue_id IN (SELECT d.queue_id FROM pg_temp.mh_life_docs d WHERE d.status = 'planned');
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE mynahoken.issuance_recall c SET handoff_id = h, status = 'handed_off'
     WHERE c.status = 'planned' AND c.employer IS NULL;
    GET DIAGNOSTICS r = ROW_COUNT;
  ELSE
    UPDATE mynahoken.issuance_queue q
       SET handoff_id = h, status = 'handed_off', review_id = p_review,
           days_late = nullif(greatest(p_on - mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window,
                                                                         p_certificate_send_days), 0), 0)
     WHERE q.status = 'planned' AND q.employer = p_employer
       AND q.queue_id IN (SELECT d.queue_id FROM pg_temp.mh_life_docs d WHERE d.status = 'planned');
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE mynahoken.issuance_recall c SET handoff_id = h, status = 'handed_off'
     WHERE c.status = 'planned' AND c.employer = p_employer;
    GET DIAGNOSTICS r = ROW_COUNT;
  END IF;
  IF n + r = 0 THEN
    DELETE FROM mynahoken.issuance_handoff x WHERE x.handoff_id = h;
    RETURN NULL;
  END IF;
  -- One current document per member and kind: the re-check withdrew the
  -- superseded ones; a batch breaking this is never made.
  IF EXISTS (SELECT FROM mynahoken.issuance_queue q WHERE q.handoff_id = h
              GROUP BY q.member_key, q.document HAVING count(*) > 1) THEN
    PERFORM mynahoken.raise_error('55000', 'a hand-off batch would hold two documents of one kind for a member');
  END IF;
  UPDATE mynahoken.issuance_handoff x SET documents = n, recalls = r WHERE x.handoff_id = h;
  RETURN h;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_batch(text, date, bigint, integer) IS
  'Internal: put the planned documents and recall notices of one employer (NULL: direct mail) into a new batch after the re-check p_review, recording days late; returns its id or NULL when there is nothing';

CREATE FUNCTION mynahoken.prepare_handoff(employer text, on_day date DEFAULT CURRENT_DATE,
                                          late_days integer DEFAULT 60,
                                          certificate_send_days integer DEFAULT 14)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  RETURN mynahoken.issuance_batch(prepare_handoff.employer, on_day,
           mynahoken.issuance_review_run(on_day, false, prepare_handoff.employer, late_days, certificate_send_days),
           certificate_send_days);
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoff(text, date, integer, integer) IS
  'Re-check on on_day the planned documents of one employer (NULL: direct mail to members), withdraw those whose ground has gone, and put the others, with the employer''s recall notices, into a new batch; returns its id, or NULL when there is none; raises 22008, 22023, 42704, 23505 as review_issuance';

CREATE FUNCTION mynahoken.prepare_handoffs(on_day date DEFAULT CURRENT_DATE, late_days integer DEFAULT 60,
                                           certificate_send_days integer DEFAULT 14)
RETURNS TABLE (handoff_id bigint, employer text, documents bigint, recalls bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  rid bigint := mynahoken.issuance_review_run(on_day, true, NULL, late_days, certificate_send_days);
  e record;
  h bigint;
BEGIN
  FOR e IN SELECT DISTINCT x.employer
             FROM (SELECT q.employer FROM mynahoken.issuance_queue q WHERE q.status = 'planned'
                   UNION ALL
                   SELECT c.employer FROM mynahoken.issuance_recall c WHERE c.status = 'planned') AS x
            ORDER BY 1 NULLS FIRST LOOP
    h := mynahoken.issuance_batch(e.employer, on_day, rid, certificate_send_days);
    IF h IS NOT NULL THEN
      RETURN QUERY SELECT b.handoff_id, b.employer, b.documents, b.recalls
                     FROM mynahoken.issuance_handoff b WHERE b.handoff_id = h;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoffs(date, integer, integer) IS
  'prepare_handoff for every employer with documents or recall notices waiting (and for direct mail), after one re-check of all planned documents; one row per batch created';

CREATE OR REPLACE FUNCTION mynahoken.mark_handoff_sent(handoff_id bigint, sent_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  b mynahoken.issuance_handoff;
  n bigint;
  r bigint;
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
  UPDATE mynahoken.issuance_queue q SET sent_on = mark_handoff_sent.sent_on, status = 'sent'
   WHERE q.handoff_id = b.handoff_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE mynahoken.issuance_recall c SET sent_on = mark_handoff_sent.sent_on, status = 'sent'
   WHERE c.handoff_id = b.handoff_id AND c.status = 'handed_off';
  GET DIAGNOSTICS r = ROW_COUNT;
  RETURN n + r;
END
$$;
COMMENT ON FUNCTION mynahoken.mark_handoff_sent(bigint, date) IS
  'Mark every document and recall notice of a hand-off batch as sent on a day; returns how many; raises when the batch is unknown or already sent';

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
           'handoff_id', q.handoff_id, 'sent_on', q.sent_on, 'status', q.status,
           'days_late', q.days_late, 'withdrawn_on', q.withdrawn_on, 'withdrawn_reason', q.withdrawn_reason,
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
-- Send-by day of a planned document

CREATE FUNCTION mynahoken.issuance_send_by(document mynahoken.issuance_document, valid_from date,
                                           sending_window daterange,
                                           certificate_send_days integer DEFAULT 14)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE document
         WHEN 'notice' THEN pg_catalog.upper(sending_window) OPERATOR(pg_catalog.-) 1
         WHEN 'certificate' THEN valid_from OPERATOR(pg_catalog.+) certificate_send_days
       END;
COMMENT ON FUNCTION mynahoken.issuance_send_by(mynahoken.issuance_document, date, daterange, integer) IS
  'Last day a planned document should reach the print vendor: a 資格情報のお知らせ the last day of its sending window, a 資格確認書 certificate_send_days after the day it is valid from (an insurer decision, UNCONFIRMED: default 14 as the お知らせ); NULL when an argument is NULL';

-- ---------------------------------------------------------------------------
-- The decision, again, on the hand-off day

-- certificate_need, or 'refused' when the decision functions refuse the
-- member's facts: the per-row fallback of a re-check that hit such a row.
CREATE FUNCTION mynahoken.issuance_need_safe(p_category mynahoken.insurer_category, p_day date,
                                             p_birth_date date, p_acquired_on date, p_lost_on date,
                                             p_linked boolean, p_registered_on date, p_withdrawn_on date,
                                             p_ecert_expires_on date, p_requested_on date)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.certificate_need(p_category, p_day, p_birth_date, p_acquired_on, p_lost_on,
                                    coalesce(p_linked, false), p_registered_on, p_withdrawn_on,
                                    p_ecert_expires_on, p_requested_on)::text;
EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
  RETURN 'refused';
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_need_safe(mynahoken.insurer_category, date, date, date, date, boolean, date, date, date, date) IS
  'Internal: certificate_need as text, or refused when the decision functions refuse the facts (data exception); NULL when category or day is NULL';

-- Reason code of a planned document whose ground has gone, from the
-- certificate_need of its member on the day (NULL: the ground holds).
CREATE FUNCTION mynahoken.issuance_ground(document mynahoken.issuance_document, planned_reason text,
                                          need text, my_number_linked boolean,
                                          myna_registered_on date, certificate_requested_on date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN need IS NULL THEN NULL
  WHEN need OPERATOR(pg_catalog.=) 'refused' THEN 'member_facts_refused'
  WHEN need OPERATOR(pg_catalog.=) 'not_eligible' THEN 'lost_eligibility'
  WHEN document OPERATOR(pg_catalog.=) 'certificate' THEN
    CASE WHEN need OPERATOR(pg_catalog.<>) 'not_needed' THEN NULL
         WHEN planned_reason OPERATOR(pg_catalog.=) 'on_request' AND certificate_requested_on IS NULL
           THEN 'application_withdrawn'
         WHEN myna_registered_on IS NOT NULL THEN 'myna_registered'
         ELSE 'no_longer_needed' END
  WHEN NOT coalesce(my_number_linked, false) THEN 'my_number_unlinked'
  WHEN need OPERATOR(pg_catalog.=) ANY ('{late_elderly_blanket,late_elderly_age}'::text[]) THEN 'certificate_instead'
END;
COMMENT ON FUNCTION mynahoken.issuance_ground(mynahoken.issuance_document, text, text, boolean, date, date) IS
  'Internal: NULL when a planned document (certificate or notice, its planned reason) is still due for a member whose certificate_need is need, else the reason code: lost_eligibility, application_withdrawn, myna_registered, no_longer_needed, my_number_unlinked, certificate_instead, member_facts_refused';

-- The rule and sources of a recall notice.
CREATE FUNCTION mynahoken.issuance_recall_basis()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{"rules": ["certificate_recall"],
         "sources": [{"code": "kyokai-2024-11", "page": 5,
                      "quote": "資格確認書の有効期限内に退職した場合、資格確認書は回収してください。"},
                     {"law": "健康保険法施行規則 第51条 (返納)", "in_force_from": "2024-12-02",
                      "secondary": "https://www.rodo.co.jp/laws/123566/"}],
         "note": "An expired certificate may be disposed of by the member (自己破棄, same source): a recall ends when the certificate expires."}'::jsonb;
COMMENT ON FUNCTION mynahoken.issuance_recall_basis() IS
  'Rule and sources of a recall notice: a 資格確認書 still valid when its holder loses eligibility is returned (協会けんぽ 令和6年11月 p.5; 健康保険法施行規則 第51条)';

-- Re-check the planned documents of a scope (all, one employer, direct mail)
-- on a day and plan or withdraw recall notices; returns the re-check's id.
CREATE FUNCTION mynahoken.issuance_review_run(p_on date, p_all boolean, p_employer text,
                                              p_late_days integer, p_certificate_send_days integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
#variable_conflict use_column
DECLARE
  src regclass;
  rid bigint;
  n bigint;
  dup bigint;
  safe boolean := false;
BEGIN
  IF p_on IS NULL OR NOT (p_on BETWEEN date '0001-01-01' AND date '9999-12-31') THEN
    PERFORM mynahoken.raise_error('22008', 'the hand-off day must be a date from 0001-01-01 to 9999-12-31');
  END IF;
  IF p_late_days IS NULL OR p_late_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'late_days must be zero or more');
  END IF;
  IF p_certificate_send_days IS NULL OR p_certificate_send_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'certificate_send_days must be zero or more');
  END IF;
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    PERFORM mynahoken.raise_error('42704', 'no member source is registered',
      hint => 'Register the table or view of members with mynahoken.register_member_source().');
  END IF;
  SELECT m.source::regclass INTO src FROM mynahoken.member_source m;
  IF EXISTS (SELECT FROM mynahoken.check_member_source(src) x WHERE x.problem IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format(mynahoken.gettext('member source %s no longer has the columns it needs'), src),
      hint => 'SELECT * FROM mynahoken.check_member_source(...) says what is wrong.');
  END IF;
  -- One re-check at a time, to the end of the transaction: two hand-offs
  -- of one employer would otherwise both batch its documents.
  PERFORM pg_advisory_xact_lock((mynahoken.issuance_lock_key())[1], 13);
  INSERT INTO mynahoken.issuance_review AS r (on_day, scope, employer, late_days, certificate_send_days)
  VALUES (p_on, CASE WHEN p_all THEN 'all' WHEN p_employer IS NULL THEN 'direct_mail' ELSE 'employer' END,
          CASE WHEN NOT p_all THEN p_employer END, p_late_days, p_certificate_send_days)
  RETURNING r.review_id INTO rid;

  -- The documents of the scope, and the sent certificates still valid that
  -- a recall could concern; then their members, read once from the source.
  DROP TABLE IF EXISTS pg_temp.mh_life_docs, pg_temp.mh_life_members;
  CREATE TEMP TABLE mh_life_docs ON COMMIT DROP AS
  SELECT q.queue_id, q.member_key, q.document, q.reason, q.acquired_on, q.issue_window, q.valid_from,
         q.valid_until, q.sending_window, q.category, q.as_of, q.status
    FROM mynahoken.issuance_queue q
   WHERE (q.status = 'planned'
          OR (q.status = 'sent' AND q.document = 'certificate' AND q.valid_until >= p_on
              AND NOT EXISTS (SELECT FROM mynahoken.issuance_recall c WHERE c.certificate_id = q.queue_id)))
     AND (p_all OR (p_employer IS NULL AND q.employer IS NULL) OR q.employer = p_employer);
  INSERT INTO pg_temp.mh_life_docs
  SELECT q.queue_id, q.member_key, q.document, q.reason, q.acquired_on, q.issue_window, q.valid_from,
         q.valid_until, q.sending_window, q.category, q.as_of, 'recall'
    FROM mynahoken.issuance_recall c JOIN mynahoken.issuance_queue q ON q.queue_id = c.certificate_id
   WHERE c.status = 'planned'
     AND (p_all OR (p_employer IS NULL AND c.employer IS NULL) OR c.employer = p_employer);
  EXECUTE format($q$
    CREATE TEMP TABLE mh_life_members ON COMMIT DROP AS
    SELECT src.member_key::text AS k,
           CASE WHEN mynahoken.insurer_number_is_valid(src.insurer_number::text)
                THEN mynahoken.category(src.insurer_number::text::mynahoken.insurer_number) END AS category,
           src.birth_date, src.acquired_on, src.lost_on, coalesce(src.my_number_linked, false) AS linked,
           src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on, src.certificate_requested_on
      FROM %s AS src
     WHERE src.member_key::text IN (SELECT d.member_key FROM pg_temp.mh_life_docs d)
  $q$, src);
  SELECT count(*) - count(DISTINCT m.k) INTO dup FROM pg_temp.mh_life_members m;
  IF dup > 0 THEN
    PERFORM mynahoken.raise_error('23505',
      pg_catalog.format(mynahoken.gettext('member source has duplicate member keys: %s rows repeat the key of another row'), dup),
      hint => 'member_key must identify one member: make it unique in the member source (a primary key), then run again.');
  END IF;
  CREATE INDEX ON pg_temp.mh_life_members (k);
  CREATE INDEX ON pg_temp.mh_life_docs (queue_id);
  ANALYZE pg_temp.mh_life_docs, pg_temp.mh_life_members;

  -- Planned documents: the first reason that applies withdraws it.  The
  -- decision (certificate_need) is computed set-based; a member whose facts
  -- it refuses makes the statement fail, and it is redone row by row.
  LOOP
    BEGIN
      WITH v AS (
        SELECT d.queue_id, f.fixed, y.reason, y.need, m.category, newer.queue_id AS newer_id,
               d.as_of, d.acquired_on, d.valid_until, d.document, d.valid_from, d.sending_window,
               m.acquired_on AS member_acquired_on, m.lost_on AS member_lost_on
          FROM pg_temp.mh_life_docs d
          LEFT JOIN pg_temp.mh_life_members m ON m.k = d.member_key
          LEFT JOIN LATERAL (
            SELECT q2.queue_id FROM mynahoken.issuance_queue q2
             WHERE q2.member_key = d.member_key AND q2.document = d.document AND q2.status <> 'withdrawn'
               AND (q2.acquired_on, q2.issue_window, q2.queue_id) > (d.acquired_on, d.issue_window, d.queue_id)
             ORDER BY q2.acquired_on DESC, q2.issue_window DESC, q2.queue_id DESC LIMIT 1) AS newer ON true
          CROSS JOIN LATERAL (
            SELECT CASE
                     WHEN m.k IS NULL THEN 'member_missing'
                     WHEN m.category IS NULL THEN 'invalid_insurer_number'
                     WHEN m.acquired_on IS NULL OR m.birth_date IS NULL THEN 'member_facts_missing'
                     WHEN mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on, NULL, NULL) IS NOT NULL
                       THEN 'member_facts_conflict'
                     WHEN m.lost_on <= greatest(p_on, d.as_of) THEN 'lost_eligibility'
                     WHEN m.acquired_on <> d.acquired_on THEN 'acquisition_changed'
                     WHEN d.document = 'certificate' AND d.valid_until < p_on THEN 'validity_ended'
                     WHEN newer.queue_id IS NOT NULL THEN 'superseded'
                     WHEN d.document = 'notice' AND upper(d.sending_window) - 1 + p_late_days < p_on THEN 'send_by_passed'
                   END AS fixed) AS f
          CROSS JOIN LATERAL (
            SELECT CASE WHEN f.fixed IS NULL AND NOT safe
                        THEN mynahoken.certificate_need(m.category, greatest(p_on, d.as_of), m.birth_date,
                               m.acquired_on, m.lost_on, m.linked, m.myna_registered_on, m.myna_withdrawn_on,
                               m.ecert_expires_on, m.certificate_requested_on)::text
                        WHEN f.fixed IS NULL
                        THEN mynahoken.issuance_need_safe(m.category, greatest(p_on, d.as_of), m.birth_date,
                               m.acquired_on, m.lost_on, m.linked, m.myna_registered_on, m.myna_withdrawn_on,
                               m.ecert_expires_on, m.certificate_requested_on)
                   END AS need) AS x
          CROSS JOIN LATERAL (
            SELECT coalesce(f.fixed, mynahoken.issuance_ground(d.document, d.reason, x.need, m.linked,
                                                               m.myna_registered_on, m.certificate_requested_on)) AS reason,
                   x.need) AS y
         WHERE d.status = 'planned'
      )
      UPDATE mynahoken.issuance_queue q
         SET status = 'withdrawn', withdrawn_on = p_on, withdrawn_at = clock_timestamp(),
             withdrawn_reason = v.reason, review_id = rid,
             withdrawn_explanation = jsonb_strip_nulls(jsonb_build_object(
               'rule', v.reason, 'checked_on', p_on, 'decided_for', greatest(p_on, v.as_of),
               'category', v.category, 'certificate_need', v.need,
               'planned_for', v.as_of, 'planned_acquired_on', v.acquired_on,
               'member_acquired_on', v.member_acquired_on, 'member_lost_on', v.member_lost_on,
               'superseded_by', CASE WHEN v.fixed = 'superseded' THEN v.newer_id END,
               'valid_until', v.valid_until,
               'send_by', mynahoken.issuance_send_by(v.document, v.valid_from, v.sending_window, p_certificate_send_days),
               'late_days', CASE WHEN v.fixed = 'send_by_passed' THEN p_late_days END,
               'explanation', CASE WHEN v.need IS NOT NULL AND v.need <> 'refused' THEN 'issuance_review.explanations' END))
        FROM v
       WHERE q.queue_id = v.queue_id AND v.reason IS NOT NULL;
      GET DIAGNOSTICS n = ROW_COUNT;
      EXIT;
    EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
      IF safe THEN
        RAISE;
      END IF;
      safe := true;
    END;
  END LOOP;
  -- The decision's explanation (rules, parameters with their sources), once
  -- per category, document and reason, from the first member withdrawn so:
  -- explain_certificate_need costs milliseconds; explain_issuance gives any
  -- member's own.
  UPDATE mynahoken.issuance_review r
     SET explanations = (
       SELECT coalesce(jsonb_object_agg(e.category || '/' || e.document || '/' || e.reason,
                mynahoken.issuance_merge_explanations(
                  mynahoken.explain_certificate_need(m.category, greatest(p_on, e.as_of), m.birth_date, m.acquired_on,
                    m.lost_on, m.linked, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
                    m.certificate_requested_on))), '{}')
         FROM (SELECT DISTINCT ON (q.category, q.document, q.withdrawn_reason)
                      q.category::text AS category, q.document::text AS document, q.withdrawn_reason AS reason,
                      q.member_key, q.as_of
                 FROM mynahoken.issuance_queue q
                WHERE q.review_id = rid AND q.status = 'withdrawn'
                  AND q.withdrawn_explanation ? 'certificate_need'
                  AND q.withdrawn_explanation->>'certificate_need' <> 'refused'
                ORDER BY q.category, q.document, q.withdrawn_reason, q.queue_id) AS e
         JOIN pg_temp.mh_life_members m ON m.k = e.member_key)
   WHERE r.review_id = rid;
  UPDATE mynahoken.issuance_review r
     SET checked = (SELECT count(*) FROM pg_temp.mh_life_docs d WHERE d.status = 'planned'), withdrawn = n
   WHERE r.review_id = rid;

  -- Recall notices planned earlier whose ground has gone before they left.
  UPDATE mynahoken.issuance_recall c
     SET status = 'withdrawn', closed_on = p_on,
         closed_reason = CASE WHEN c.valid_until < p_on THEN 'validity_ended' ELSE 'eligible_again' END
    FROM pg_temp.mh_life_docs d LEFT JOIN pg_temp.mh_life_members m ON m.k = d.member_key
   WHERE d.status = 'recall' AND c.certificate_id = d.queue_id
     AND (c.valid_until < p_on OR (m.k IS NOT NULL AND (m.lost_on IS NULL OR m.lost_on > p_on)));
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE mynahoken.issuance_review r SET recalls_withdrawn = n WHERE r.review_id = rid;

  -- Recall notices: a sent certificate still valid after its holder lost
  -- eligibility (for the 資格 it was issued for).
  INSERT INTO mynahoken.issuance_recall AS c
         (certificate_id, member_key, employer, insurer_number, lost_on, valid_until, planned_on, review_id,
          explanation)
  SELECT q.queue_id, q.member_key, q.employer, q.insurer_number, m.lost_on, q.valid_until, p_on, rid,
         mynahoken.issuance_recall_basis()
           || jsonb_build_object('lost_on', m.lost_on, 'valid_until', q.valid_until, 'checked_on', p_on)
    FROM pg_temp.mh_life_docs d
    JOIN mynahoken.issuance_queue q ON q.queue_id = d.queue_id
    JOIN pg_temp.mh_life_members m ON m.k = d.member_key
   WHERE d.status = 'sent' AND m.lost_on <= p_on AND m.lost_on <= q.valid_until
     AND m.acquired_on = q.acquired_on AND m.lost_on > q.acquired_on
   ORDER BY q.queue_id
  ON CONFLICT (certificate_id) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE mynahoken.issuance_review r SET recalls_planned = n WHERE r.review_id = rid;
  -- pg_temp.mh_life_docs stays to the end of the transaction: the batches
  -- take only the documents this re-check saw.
  DROP TABLE pg_temp.mh_life_members;
  RETURN rid;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_review_run(date, boolean, text, integer, integer) IS
  'Internal: re-check on a day the planned documents of all employers (p_all) or of one (NULL: direct mail), withdraw those whose ground has gone, withdraw or plan recall notices; returns the issuance_review id';

-- ---------------------------------------------------------------------------
-- Operators' functions

CREATE FUNCTION mynahoken.review_issuance(on_day date DEFAULT CURRENT_DATE, late_days integer DEFAULT 60,
                                          certificate_send_days integer DEFAULT 14)
RETURNS TABLE (review_id bigint, checked bigint, withdrawn bigint, recalls_planned bigint, recalls_withdrawn bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  rid bigint := mynahoken.issuance_review_run(on_day, true, NULL, late_days, certificate_send_days);
BEGIN
  RETURN QUERY SELECT r.review_id, r.checked, r.withdrawn, r.recalls_planned, r.recalls_withdrawn
                 FROM mynahoken.issuance_review r WHERE r.review_id = rid;
END
$$;
COMMENT ON FUNCTION mynahoken.review_issuance(date, integer, integer) IS
  'Re-check every planned, not handed-off document on a day (default today) and withdraw those whose ground has gone (資格喪失, マイナ保険証 registered, application withdrawn, superseded, validity ended, お知らせ send-by passed by more than late_days); plan recall notices for sent 資格確認書 still valid after their holder lost eligibility; one transaction; raises 22008, 22023, 42704, 23505 (duplicate member keys)';

CREATE FUNCTION mynahoken.mark_recall_returned(recall_id bigint, returned_on date DEFAULT CURRENT_DATE)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  c mynahoken.issuance_recall;
BEGIN
  SELECT * INTO c FROM mynahoken.issuance_recall x WHERE x.recall_id = mark_recall_returned.recall_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', 'recall notice does not exist');
  END IF;
  IF c.closed_on IS NOT NULL THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format(mynahoken.gettext('recall notice %s was already closed on %s'), c.recall_id, to_char(c.closed_on, 'YYYY-MM-DD')));
  END IF;
  UPDATE mynahoken.issuance_recall x
     SET status = 'returned', returned_on = mark_recall_returned.returned_on,
         closed_on = mark_recall_returned.returned_on, closed_reason = 'returned'
   WHERE x.recall_id = c.recall_id;
  RETURN 'returned';
END
$$;
COMMENT ON FUNCTION mynahoken.mark_recall_returned(bigint, date) IS
  'Record that the 資格確認書 of a recall notice came back on a day (also before the notice was sent, which then is not sent); returns the new status; raises P0002 for an unknown recall notice, 55000 for one already closed';

CREATE FUNCTION mynahoken.close_recalls(on_day date DEFAULT CURRENT_DATE, wait_days integer DEFAULT 60)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  n bigint;
BEGIN
  IF on_day IS NULL OR NOT (on_day BETWEEN date '0001-01-01' AND date '9999-12-31') THEN
    PERFORM mynahoken.raise_error('22008', 'on_day must be a date from 0001-01-01 to 9999-12-31');
  END IF;
  IF wait_days IS NULL OR wait_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'wait_days must be zero or more');
  END IF;
  UPDATE mynahoken.issuance_recall c
     SET status = 'not_returned', closed_on = close_recalls.on_day,
         closed_reason = CASE WHEN c.valid_until < close_recalls.on_day THEN 'validity_ended' ELSE 'no_answer' END
   WHERE c.status = 'sent'
     AND (c.sent_on + close_recalls.wait_days <= close_recalls.on_day OR c.valid_until < close_recalls.on_day);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.close_recalls(date, integer) IS
  'Close as not_returned the recall notices sent at least wait_days before on_day (an insurer decision, UNCONFIRMED: default 60) or whose certificate has expired (an expired 資格確認書 may be disposed of by the member, 協会けんぽ 令和6年11月); returns how many; raises 22008, 22023';

-- Documents and recall notices with their lifecycle, for operators and
-- monitoring: late, withdrawn, recalls open.
CREATE VIEW mynahoken.issuance_lifecycle AS
SELECT q.queue_id AS id, 'document'::text AS kind, q.document::text AS document, q.member_key, q.employer,
       q.status, q.reason, q.as_of AS planned_for,
       mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window) AS send_by,
       q.valid_until, q.handoff_id, q.sent_on, q.days_late,
       q.withdrawn_on, q.withdrawn_reason, q.review_id, NULL::date AS closed_on
  FROM mynahoken.issuance_queue q
UNION ALL
SELECT c.recall_id, 'recall', 'recall', c.member_key, c.employer, c.status, 'lost_eligibility', c.planned_on,
       NULL, c.valid_until, c.handoff_id, c.sent_on, NULL, NULL,
       CASE WHEN c.status = 'withdrawn' THEN c.closed_reason END, c.review_id, c.closed_on
  FROM mynahoken.issuance_recall c;
COMMENT ON VIEW mynahoken.issuance_lifecycle IS
  'Planned documents and recall notices with their status (planned, handed_off, sent, withdrawn; recalls also returned, not_returned), send-by day (certificates: 14 days after valid_from), days late at hand-off, withdrawal reason and re-check';
-- ===========================================================================
-- Issue 11, rule engine (third part)
-- The national decision certificate_need re-expressed as the shipped,
-- labelled table national.certificate_need and compiled into one CASE per
-- member (no C call per member); age cells as birth-date cut-offs read once
-- per statement; text cells and insurer scopes compared under the C collation;
-- explanations and coverage of date decisions.
-- ===========================================================================

INSERT INTO mynahoken.rule_fact (fact, fact_type, kind, source_column, expression, enum_values, lo, hi, null_means, description, shipped) VALUES
  ('decision_day', 'date', 'derived', NULL, '{day}', NULL, NULL, NULL, 'unknown',
   'The decision day itself, for cells that compare it with a legal parameter', true),
  ('late_elderly_rule_age', 'int', 'derived', NULL,
   'mynahoken.rule_age_on({birth_date}, (SELECT mynahoken.legal_value_date(''late_elderly_age_rule_from'', {day}, ''late_elderly'', {known_on})))',
   NULL, 0, 150, 'unknown', 'Completed years of age on the day the 後期高齢者 age rule starts (legal parameter late_elderly_age_rule_from)', true),
  ('ecert_expired_before', 'date', 'derived', NULL,
   '(SELECT mynahoken.rule_add_months(CAST(pg_catalog.date_trunc(''month'', CAST({day} AS pg_catalog.timestamp)) AS pg_catalog.date), OPERATOR(pg_catalog.-) mynahoken.legal_value_int(''ecert_grace_months'', {day}, NULL, {known_on})))',
   NULL, NULL, NULL, 'unknown', 'An e-certificate that expired before this day is past its grace period on the decision day: the first day of the month ecert_grace_months before the decision day''s month', true);
-- The national decision certificate_need re-expressed as a shipped, labelled
-- first-hit table, equal to the C function mynahoken.certificate_need (the
-- oracle, test/pgtap/63_rules_national.sql).  Rows with the outcome
-- undecidable are the members the C function refuses; a param() is read for
-- the one category of its row's category cell, else for every category.
INSERT INTO mynahoken.rule_table (table_name, decision, layer, applies_to, hit_policy, on_no_match, description, created_by, shipped)
VALUES ('national.certificate_need', 'certificate_need', 'national',
        ARRAY(SELECT pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.insurer_category))::text),
        'first', 'error',
        'The national decision mynahoken.certificate_need as rows (the C function stays the oracle)', 'mynahoken', true);
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, recorded_at, source, columns, status, author, approved_by, activated_at, note, shipped)
VALUES ('national.certificate_need', '(,)', '2000-01-01', '2026-11-30 00:00:00+00', 'ordinance-r5-374',
        '{category,birth_date,acquired_on,lost_on,decision_day,late_elderly_rule_age,my_number_linked,myna_withdrawn_on,myna_registered_on,ecert_expires_on,certificate_requested_on}',
        'active', 'mynahoken', 'mynahoken', '2026-11-30 00:00:00+00',
        'mynahoken.certificate_need (src/core/transition.c, mh_certificate_need) as a table; the parameters keep their own sources in the calendar', true);
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note, shipped)
SELECT v.version_id, r.row_no, r.cells, r.outcome, r.label, r.note, true
  FROM mynahoken.rule_version v,
       (VALUES
  --        category        birth_date     acquired_on      lost_on            decision_day                              late_elderly_rule_age                    my_number_linked withdrawn                         registered     ecert_expires_on          requested
  (1,   '{-,               -,             -,               -,                 "< param(certificate_from)",              -,                                       -,      -,                                  -,            -,                           -}'::text[], 'undecidable', NULL, 'Before 資格確認書 exist: the C function raises 22023, the table reports every member'),
  (2,   '{"null",            -,             -,               -,                 -,                                        -,                                       -,      -,                                  -,            -,                           -}'::text[], 'undecidable', NULL, 'Not a valid insurer number'),
  (3,   '{-,               "null",          -,               -,                 -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'undecidable', NULL, 'No birth date'),
  (4,   '{-,               -,             "null",            -,                 -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'undecidable', NULL, 'No acquisition day'),
  (5,   '{-,               -,             -,               "< acquired_on",   -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'undecidable', NULL, 'Lost before acquired'),
  (6,   '{-,               -,             "< birth_date",  -,                 -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'undecidable', NULL, 'Acquired before birth'),
  (7,   '{-,               -,             "> day",         -,                 -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'not_eligible', 'national.certificate_need:eligibility', 'Acquired after the day'),
  (8,   '{-,               -,             -,               "<= day",          -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'not_eligible', 'national.certificate_need:eligibility', 'Lost on or before the day'),
  (9,   '{late_elderly,    -,             -,               -,                 "<= param(late_elderly_blanket_until)",   -,                                       -,      -,                                  -,            -,                           -}', 'late_elderly_blanket', 'national.certificate_need:late_elderly', '暫定運用'),
  (10,  '{late_elderly,    -,             -,               -,                 ">= param(late_elderly_age_rule_from)",   ">= param(late_elderly_age_threshold)",  -,      -,                                  -,            -,                           -}', 'late_elderly_age', 'national.certificate_need:late_elderly', 'Aged late_elderly_age_threshold or over on late_elderly_age_rule_from'),
  (11,  '{-,               -,             -,               -,                 -,                                        -,                                       false,  -,                                  -,            -,                           -}', 'no_my_number', 'national.certificate_need:myna', NULL),
  (12,  '{-,               -,             -,               -,                 -,                                        -,                                       "null",   -,                                  -,            -,                           -}', 'no_my_number', 'national.certificate_need:myna', 'Not known to be linked'),
  (13,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      "<= day",                           "null",         -,                           -}', 'registration_withdrawn', 'national.certificate_need:myna', NULL),
  (14,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      "[myna_registered_on..day]",        -,            -,                           -}', 'registration_withdrawn', 'national.certificate_need:myna', 'Withdrawn on or after the last registration'),
  (15,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      -,                                  "null",         -,                           -}', 'not_registered', 'national.certificate_need:myna', NULL),
  (16,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      -,                                  "> day",      -,                           -}', 'not_registered', 'national.certificate_need:myna', NULL),
  (17,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      -,                                  -,            "< ecert_expired_before",    -}', 'ecert_expired', 'national.certificate_need:myna', 'Grace period over'),
  (18,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      -,                                  -,            -,                           "<= day"}', 'on_request', 'national.certificate_need:on_request', NULL),
  (19,  '{-,               -,             -,               -,                 -,                                        -,                                       -,      -,                                  -,            -,                           -}', 'not_needed', 'national.certificate_need:myna', 'マイナ保険証 usable, no other ground')
       ) AS r(row_no, cells, outcome, label, note)
 WHERE v.table_name = 'national.certificate_need';

CREATE OR REPLACE FUNCTION mynahoken.rule_operand_sql(op jsonb, fact_type text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ptype text;
BEGIN
  IF op ? 'int' THEN
    RETURN format('CAST(%L AS pg_catalog.int4)', op->>'int');
  ELSIF op ? 'date' THEN
    RETURN format('CAST(%L AS pg_catalog.date)', op->>'date');
  ELSIF op ? 'bool' THEN
    RETURN format('CAST(%L AS pg_catalog.bool)', op->>'bool');
  ELSIF op ? 'text' THEN
    -- equality of deterministic collations is byte equality: "C" skips the locale
    RETURN format('CAST(%L AS pg_catalog.text) COLLATE pg_catalog."C"', op->>'text');
  ELSIF op ? 'day' THEN
    RETURN '$1';
  ELSIF op ? 'fact' THEN
    IF mode IS NULL THEN
      RETURN format('f.%I', op->>'fact');
    END IF;
    RETURN '(' || mynahoken.rule_fact_sql(op->>'fact', mode) || ')';
  ELSIF op ? 'param' THEN
    SELECT d.value_type::text INTO ptype FROM mynahoken.legal_parameter_def d WHERE d.name = op->>'param';
    -- an uncorrelated scalar subquery: an InitPlan, read once per statement
    RETURN format('(SELECT mynahoken.legal_value_%s(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))',
                  CASE ptype WHEN 'int' THEN 'int' WHEN 'date' THEN 'date' WHEN 'boolean' THEN 'bool' ELSE 'text' END,
                  op->>'param', scope);
  END IF;
  -- a caller's argument (NULL or an object of no known key): never quoted
  PERFORM mynahoken.raise_error('22023', 'unknown operand',
    detail => 'An operand is a JSON object with one of the keys int, date, bool, text, day, fact or param.');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_operand_sql(jsonb, text, text, text) IS
  'Internal: SQL of one operand of a parsed cell (constants through format %L, param() as an uncorrelated scalar subquery on the decision and knowledge days, another fact as f.<fact> or, with a mode, its expression); raises 22023 for NULL or an object of no known key, without quoting it';

CREATE OR REPLACE FUNCTION mynahoken.rule_cell_sql(cell text, fact text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  f mynahoken.rule_fact;
  j jsonb;
  it jsonb;
  x text;
  parts text[] := '{}';
  ops CONSTANT jsonb := '{"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}';
  age_day text;                 -- an age fact's day: its cells compare birth_date with cut-offs
  b text;
  bound jsonb;
  n text[];                     -- per bound: the years N and N + 1 as SQL
  cuts text[];
BEGIN
  SELECT * INTO f FROM mynahoken.rule_fact r WHERE r.fact = rule_cell_sql.fact;
  j := mynahoken.rule_cell_parse(cell, f.fact_type, f.enum_values);
  -- age >= N is birth_date <= day - N years (mh_age_on: the birthday counts,
  -- 29 February on 1 March in other years): the cut-off is an InitPlan, read
  -- once per statement, and the member costs one comparison of its column
  IF mode IS NOT NULL AND f.kind = 'derived' AND j->>'kind' = 'tests'
     AND f.expression ~ '^mynahoken\.rule_age_on\(\{birth_date\}, .*\)$' THEN
    age_day := replace(replace(substring(f.expression FROM '^mynahoken\.rule_age_on\(\{birth_date\}, (.*)\)$'),
                               '{day}', '$1'), '{known_on}', '$2');
    b := '(' || mynahoken.rule_fact_sql('birth_date', mode) || ')';
    IF age_day ~ '[{}]' THEN
      age_day := NULL;
    END IF;
    FOR it IN SELECT * FROM jsonb_array_elements(j->'items') LOOP
      EXIT WHEN age_day IS NULL;
      cuts := '{}';
      FOR bound IN SELECT e FROM unnest(CASE WHEN it->>'op' = 'range' THEN ARRAY[it->'lo', it->'hi'] ELSE ARRAY[it->'value'] END) AS e LOOP
        IF bound ? 'int' AND (bound->>'int')::int BETWEEN 0 AND 1000 THEN
          n := ARRAY[(bound->>'int')::int::text, ((bound->>'int')::int + 1)::text];
        ELSIF bound ? 'param' THEN
          n := ARRAY[mynahoken.rule_operand_sql(bound, f.fact_type, scope, mode)];
          n := n || format('(%s OPERATOR(pg_catalog.+) 1)', n[1]);
        ELSE
          age_day := NULL;
          EXIT;
        END IF;
        -- the last birth date of age N on the day, and of age N + 1: with a
        -- constant N an immutable expression of the day, folded at plan time;
        -- with a parameter an InitPlan
        cuts := cuts || format(CASE WHEN bound ? 'int' THEN '(CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))'
                                    ELSE '(SELECT CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))' END, age_day, n[1])
                     || format(CASE WHEN bound ? 'int' THEN '(CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))'
                                    ELSE '(SELECT CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))' END, age_day, n[2]);
      END LOOP;
      EXIT WHEN age_day IS NULL;
      parts := parts || CASE it->>'op'
        WHEN '>=' THEN format('%s OPERATOR(pg_catalog.<=) %s', b, cuts[1])
        WHEN '>' THEN format('%s OPERATOR(pg_catalog.<=) %s', b, cuts[2])
        WHEN '<' THEN format('%s OPERATOR(pg_catalog.>) %s', b, cuts[1])
        WHEN '<=' THEN format('%s OPERATOR(pg_catalog.>) %s', b, cuts[2])
        WHEN '=' THEN format('(%s OPERATOR(pg_catalog.>) %s AND %s OPERATOR(pg_catalog.<=) %s)', b, cuts[2], b, cuts[1])
        ELSE format('(%s OPERATOR(pg_catalog.<=) %s AND %s OPERATOR(pg_catalog.>) %s)',
                    b, cuts[CASE WHEN (it->>'lo_incl')::boolean THEN 1 ELSE 2 END],
                    b, cuts[CASE WHEN (it->>'hi_incl')::boolean THEN 4 ELSE 3 END]) END;
    END LOOP;
    IF age_day IS NOT NULL THEN
      RETURN format('COALESCE(%s(%s), false)', CASE WHEN (j->>'negated')::boolean THEN 'NOT ' END,
                    array_to_string(parts, ' OR '));
    END IF;
    parts := '{}';
  END IF;
  -- the facts row f (explanations), or the fact's expression inline
  x := CASE WHEN mode IS NULL THEN format('f.%I', fact)
            ELSE '(' || mynahoken.rule_fact_sql(fact, mode) || ')' END;
  CASE j->>'kind'
    WHEN 'any' THEN RETURN 'true';
    WHEN 'null' THEN RETURN format('(%s IS NULL)', x);
    WHEN 'not_null' THEN RETURN format('(%s IS NOT NULL)', x);
    WHEN 'sql' THEN
      PERFORM mynahoken.raise_error('0A000', 'sql: cells are not compiled');
    ELSE NULL;
  END CASE;
  FOR it IN SELECT * FROM jsonb_array_elements(j->'items') LOOP
    IF it->>'op' = 'range' THEN
      parts := parts || format('(%s OPERATOR(pg_catalog.%s) %s AND %s OPERATOR(pg_catalog.%s) %s)',
                               x, CASE WHEN (it->>'lo_incl')::boolean THEN '>=' ELSE '>' END,
                               mynahoken.rule_operand_sql(it->'lo', f.fact_type, scope, mode),
                               x, CASE WHEN (it->>'hi_incl')::boolean THEN '<=' ELSE '<' END,
                               mynahoken.rule_operand_sql(it->'hi', f.fact_type, scope, mode));
    ELSE
      parts := parts || format('%s OPERATOR(pg_catalog.%s) %s', x, ops->>(it->>'op'),
                               mynahoken.rule_operand_sql(it->'value', f.fact_type, scope, mode));
    END IF;
  END LOOP;
  -- NULL never matches a test or a negation (null_means none)
  IF (j->>'negated')::boolean THEN
    RETURN format('COALESCE(NOT (%s), false)', array_to_string(parts, ' OR '));
  END IF;
  RETURN format('COALESCE((%s), false)', array_to_string(parts, ' OR '));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_cell_sql(text, text, text, text) IS
  'Internal: the SQL predicate of one cell over the facts row f, or with a mode (member, facts) over the facts'' expressions (a cell on an age as birth_date against cut-offs read once per statement); cell text reaches SQL only through format %L';

CREATE OR REPLACE FUNCTION mynahoken.rule_applies_sql(applies_to text[], number_sql text DEFAULT 'f.insurer_number',
                                           category_sql text DEFAULT 'f.category')
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT '(' OPERATOR(pg_catalog.||) pg_catalog.string_agg(
           CASE WHEN a.e OPERATOR(pg_catalog.~) '^[0-9]+\*$'
                THEN pg_catalog.format('pg_catalog.starts_with(%s, %L)', rule_applies_sql.number_sql, pg_catalog.rtrim(a.e, '*'))
                WHEN a.e OPERATOR(pg_catalog.~) '^[0-9]+$'
                THEN pg_catalog.format('%s OPERATOR(pg_catalog.=) %L COLLATE pg_catalog."C"', rule_applies_sql.number_sql, a.e)
                ELSE pg_catalog.format('%s OPERATOR(pg_catalog.=) %L COLLATE pg_catalog."C"', rule_applies_sql.category_sql, a.e) END,
           ' OR ' ORDER BY a.i) OPERATOR(pg_catalog.||) ')'
    FROM pg_catalog.unnest(rule_applies_sql.applies_to) WITH ORDINALITY AS a(e, i);
END;
COMMENT ON FUNCTION mynahoken.rule_applies_sql(text[], text, text) IS
  'Internal: SQL condition that the member (facts row f) is in a table''s scope: insurer numbers, prefixes (0613*) or categories, each through format %L';

CREATE OR REPLACE FUNCTION mynahoken.rule_compile_query(decision text, mode text, source text DEFAULT NULL,
                                             candidate bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  oc record;
  facts text[];
  whens text[] := '{}';
  tried text[] := '{}';
  cell_list text;
  fm text := CASE WHEN mode IN ('member', 'facts') THEN mode END;   -- NULL: over the facts row f
  cell_preds text[];
  nat_whens text[] := '{}';
  fast_tab text[] := '{}';     -- fast mode: the table of each WHEN, and its scope condition
  fast_app text[] := '{}';
  fapplies text;
  fast_sql text[] := '{}';      -- fast mode: the WHENs of each table, with the national outcomes they apply to
  fast_outs text[] := '{}';
  -- fast mode: the CASE gives the number of a hit; its fields are constant arrays
  h_o text[] := '{}';
  h_v bigint[] := '{}';
  h_r integer[] := '{}';
  h_l text[] := '{}';
  h_t text[] := '{}';
  fcond text;
  fhit text;
  branches text;
  vcond text;
  cond text;
  scope text;
  nat text;
  unknowns text;
  fact_list text;
  hit text;
  coll text;                    -- collect, rule order: the outcomes of every matching row
  coll_lo int;
  coll_cases text := '';
  nat_case text;                -- fast mode: the number of the national hit
  undec int;
  ins jsonb := '{}';            -- fast mode: per label's outcomes, the insurer tables (COALESCE arguments)
  n_pred text[];                -- the national table's rows: predicate, hit number, label outcomes
  n_no int[];
  n_outs text[];
BEGIN
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_query.decision;
  IF d.output_type = 'date' THEN
    RETURN mynahoken.rule_compile_date_query(decision, mode, source, candidate);
  END IF;
  IF NOT FOUND OR d.output_type <> 'outcome' OR d.national_fact IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision cannot be compiled yet',
      detail => 'This version compiles decisions with an outcome and a national decision to fall back on.');
  END IF;
  nat := format('f.%I', d.national_fact);
  facts := ARRAY[d.national_fact, 'insurer_number', 'category'];

  -- insurer tables in name order; each table's versions newest first
  FOR t IN
    SELECT x.*, l.outcomes
      FROM mynahoken.rule_table x JOIN mynahoken.rule_label l ON l.label = x.exception_to
     WHERE x.decision = rule_compile_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_version y
       WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
       ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_version z
         WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
           AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      cond := format('%s OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.text[])) AND %s AND %s',
                     nat, t.outcomes, mynahoken.rule_applies_sql(t.applies_to), vcond);
      -- fast mode: the national outcome is the branch; facts inline
      IF fm IS NOT NULL THEN
        fapplies := mynahoken.rule_applies_sql(t.applies_to,
                      '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                      '(' || mynahoken.rule_fact_sql('category', fm) || ')');
        fcond := vcond;      -- the table's scope is tested once, around its rows
      END IF;
      facts := facts || v.columns;
      -- a fact whose NULL means unknown, tested by a row: undecidable member
      -- (an age is unknown when the birth date is: no per-member call)
      SELECT string_agg(CASE WHEN fm IS NULL THEN format('f.%I IS NULL', c.col)
                             WHEN rf.expression ~ '^mynahoken\.rule_age_on\(\{birth_date\}, '
                             THEN format('(%s) IS NULL', mynahoken.rule_fact_sql('birth_date', fm))
                             ELSE format('(%s) IS NULL', mynahoken.rule_fact_sql(c.col, fm)) END, ' OR ')
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-') c
        JOIN mynahoken.rule_fact rf ON rf.fact = c.col AND rf.null_means = 'unknown';
      IF unknowns IS NOT NULL THEN
        whens := whens || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, unknowns, v.version_id, 'undecidable', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'undecidable'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s AND (%s) THEN %s', fcond, unknowns, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
      -- collect (by priority, then row) and rule order (by row): the first
      -- matching row gives the outcome, every matching row is in outcomes
      coll := NULL;
      IF t.hit_policy IN ('collect', 'rule_order') THEN
        SELECT format('pg_catalog.array_remove(CAST(ARRAY[%s] AS pg_catalog.text[]), NULL)',
                      string_agg(format('CASE WHEN %s THEN %L END', x.preds, x.outcome), ', ' ORDER BY x.ord, x.row_no))
          INTO coll
          FROM (SELECT rr.row_no, rr.outcome, CASE WHEN t.hit_policy = 'collect' THEN o.priority END AS ord,
                       (SELECT string_agg(mynahoken.rule_cell_sql(rr.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
                          FROM generate_subscripts(v.columns, 1) AS i) AS preds
                  FROM mynahoken.rule_row rr
                  LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                 WHERE rr.version_id = v.version_id) x;
      END IF;
      coll_lo := cardinality(h_o) + 1;
      FOR r IN
        SELECT rr.*, o.priority
          FROM mynahoken.rule_row rr
          LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
         WHERE rr.version_id = v.version_id
         ORDER BY CASE WHEN t.hit_policy IN ('priority', 'collect') THEN o.priority END, rr.row_no
      LOOP
        -- each cell's predicate once: over the facts row (trace) or inline
        SELECT array_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm) ORDER BY i)
          INTO cell_preds
          FROM generate_subscripts(v.columns, 1) AS i;
        hit := array_to_string(cell_preds, ' AND ');
        fhit := hit;
        cell_list := array_to_string(cell_preds, ', ');
        IF fm IS NOT NULL THEN
          h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
          fast_sql := fast_sql || format('WHEN %s AND %s THEN %s', fcond, fhit, cardinality(h_o));
          fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
        END IF;
        -- the explanation reads the truth of each cell from the same predicates
        tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, (%s), %L, pg_catalog.to_jsonb(ARRAY[%s]))',
                                 'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                 'in_scope', cond, 'cells', cell_list);
        whens := whens || format('WHEN %s AND %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), %s, %L, %L, %s) AS mynahoken.rule_hit)',
                                 cond, hit, r.outcome, v.version_id, r.row_no, 'insurer', t.table_name,
                                 coalesce(coll, format('CAST(ARRAY[%L] AS pg_catalog.text[])', r.outcome)));
      END LOOP;
      IF coll IS NOT NULL AND fm IS NOT NULL THEN
        coll_cases := coll_cases || format(' WHEN d.h BETWEEN %s AND %s THEN %s', coll_lo, cardinality(h_o), coll);
      END IF;
      IF t.on_no_match LIKE 'default %' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), NULL, %L, %L, CAST(ARRAY[%L] AS pg_catalog.text[])) AS mynahoken.rule_hit)',
                                 cond, substr(t.on_no_match, 9), v.version_id, 'insurer', t.table_name, substr(t.on_no_match, 9));
        h_o := h_o || substr(t.on_no_match, 9); h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      ELSIF t.on_no_match = 'error' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, v.version_id, 'no_match', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'no_match'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
    END LOOP;
  END LOOP;

  IF fm IS NOT NULL THEN
    -- The national decision is computed once per member and numbered (a
    -- simple CASE on it, lateral row n); then, for the national outcomes of
    -- each label with insurer exceptions, the WHENs of those tables in order,
    -- facts inline (lateral row d).  The number of the hit indexes constant
    -- arrays of outcome, version, row, layer and table: no composite is built
    -- per member.  n is nested in d, so that the planner has no lateral join
    -- to cache (Memoize) on fact values.
    FOR oc IN SELECT o.code FROM mynahoken.rule_outcome o
              WHERE o.decision = rule_compile_query.decision AND o.statutory ORDER BY o.priority, o.code LOOP
      h_o := h_o || oc.code; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
      h_l := h_l || 'national'::text; h_t := h_t || NULL::text;
      nat_whens := nat_whens || format('WHEN %L THEN %s', oc.code, cardinality(h_o));
    END LOOP;
    h_o := h_o || NULL::text; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
    h_l := h_l || 'undecidable'::text; h_t := h_t || NULL::text;
    undec := cardinality(h_o);
    -- per label: each table's rows behind one test of its scope; the first
    -- table with a matching row wins (COALESCE stops there), else national
    FOR oc IN SELECT g.outs, min(g.i) AS first
                FROM (SELECT fast_outs[i] AS outs, i FROM generate_subscripts(fast_outs, 1) AS i) g
               GROUP BY g.outs ORDER BY 2 LOOP
      SELECT string_agg(format('CASE WHEN %s THEN CASE %s END END', tb.app, tb.whens), ', ' ORDER BY tb.first)
        INTO fhit
        FROM (SELECT fast_tab[i] AS tab, min(fast_app[i]) AS app, min(i) AS first,
                     string_agg(fast_sql[i], ' ' ORDER BY i) AS whens
                FROM generate_subscripts(fast_sql, 1) AS i
               WHERE fast_outs[i] = oc.outs
               GROUP BY fast_tab[i]) tb;
      ins := ins || jsonb_build_object(oc.outs, fhit);
      branches := coalesce(branches || ' ', '') ||
        format('WHEN n.x OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.int4[])) THEN COALESCE(%s, n.x)',
               ARRAY(SELECT i FROM generate_subscripts(h_o, 1) AS i
                      WHERE h_l[i] = 'national' AND h_o[i] = ANY (oc.outs::text[]) ORDER BY i), fhit);
    END LOOP;
    -- The national table of the decision (shipped), its versions as
    -- conditions on the constant days: its rows in order, one CASE over the
    -- member's columns, each hit its own number (outcome, version, row).  At
    -- the first row of a label with insurer exceptions, one WHEN holds when
    -- the first matching row from there on is of that label; it tries the
    -- insurer tables (COALESCE), else finds the national row.  One CASE per
    -- member in all: no national outcome is computed apart and tested again.
    -- The lateral row d is pulled up into the scan (no OFFSET 0): a row
    -- per member in a nested loop cost more than the CASE itself, and a
    -- caller reading one column (outcome) computes the CASE once.
    FOR t IN SELECT x.* FROM mynahoken.rule_table x
              WHERE x.decision = rule_compile_query.decision AND x.layer = 'national'
              ORDER BY x.table_name LIMIT 1 LOOP
      nat_case := '';
      FOR v IN
        SELECT y.* FROM mynahoken.rule_version y
         WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
         ORDER BY y.recorded_on DESC, y.version_id DESC
      LOOP
        vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                        v.valid, v.recorded_on);
        FOR w IN
          SELECT z.* FROM mynahoken.rule_version z
           WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
             AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
        LOOP
          vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                   w.valid, w.recorded_on);
        END LOOP;
        -- each row: its predicate, number and the outcomes of its label
        n_pred := '{}'; n_no := '{}'; n_outs := '{}';
        FOR r IN SELECT rr.*, l.outcomes::text AS outs FROM mynahoken.rule_row rr
                   LEFT JOIN mynahoken.rule_label l ON l.label = rr.label
                  WHERE rr.version_id = v.version_id ORDER BY rr.row_no LOOP
          -- a param() is read for the row's one category, else the table's scope
          scope := CASE WHEN r.cells[array_position(v.columns, 'category')] ~ '^\s*[a-z_]+\s*$'
                         AND btrim(r.cells[array_position(v.columns, 'category')]) NOT IN ('null')
                        THEN btrim(r.cells[array_position(v.columns, 'category')])
                        ELSE mynahoken.rule_table_scope(t.applies_to) END;
          SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
            INTO hit
            FROM generate_subscripts(v.columns, 1) AS i WHERE btrim(r.cells[i]) <> '-';
          h_o := h_o || CASE WHEN r.outcome <> 'undecidable' THEN r.outcome END;
          h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || CASE WHEN r.outcome = 'undecidable' THEN 'undecidable' ELSE 'national' END;
          h_t := h_t || t.table_name;
          n_pred := n_pred || coalesce('(' || hit || ')', 'true');
          n_no := n_no || cardinality(h_o);
          n_outs := n_outs || CASE WHEN r.outcome <> 'undecidable' THEN r.outs END;
        END LOOP;
        fhit := '';
        FOR i IN 1 .. cardinality(n_pred) LOOP
          IF n_outs[i] IS NULL OR NOT ins ? n_outs[i] THEN
            fhit := fhit || format(' WHEN %s THEN %s', n_pred[i], n_no[i]);
          ELSIF array_position(n_outs[1:i - 1], n_outs[i]) IS NULL THEN
            -- the first matching row from i on is of this label: row k of
            -- the label matches and no row of another label between i and k
            SELECT string_agg(x.c, ' OR ' ORDER BY x.k) INTO cond
              FROM (SELECT k, '(' || n_pred[k] || coalesce(' AND NOT (' ||
                             (SELECT string_agg(n_pred[j], ' OR ' ORDER BY j) FROM generate_series(i, k - 1) AS j
                               WHERE n_outs[j] IS DISTINCT FROM n_outs[i]) || ')', '') || ')' AS c
                      FROM generate_series(i, cardinality(n_pred)) AS k WHERE n_outs[k] = n_outs[i]) x;
            SELECT string_agg(format('WHEN %s THEN %s', n_pred[k], n_no[k]), ' ' ORDER BY k) INTO cell_list
              FROM generate_series(i, cardinality(n_pred)) AS k;
            fhit := fhit || format(' WHEN %s THEN COALESCE(%s, CASE %s END)', cond, ins->>n_outs[i], cell_list);
          END IF;
        END LOOP;
        nat_case := nat_case || format(' WHEN %s THEN CASE%s ELSE %s END', vcond, fhit, undec);
      END LOOP;
      IF nat_case <> '' THEN
        RETURN format('SELECT %s, CAST(ROW((CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.int8[]))[d.h],'
                      ' (CAST(%L AS pg_catalog.int4[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h],'
                      ' CASE%s WHEN (CAST(%L AS pg_catalog.text[]))[d.h] IS NOT NULL THEN ARRAY[(CAST(%L AS pg_catalog.text[]))[d.h]] END)'
                      ' AS mynahoken.rule_hit) AS hit'
                      ' FROM %s CROSS JOIN LATERAL (SELECT CASE%s ELSE %s END AS h) AS d',
                      CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                                ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                      h_o, h_v, h_r, h_l, h_t, coll_cases, h_o, h_o,
                      CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                      nat_case, undec);
      END IF;
    END LOOP;
    -- no national table: the national fact (the C function), numbered
    nat_case := format('CASE %s %s ELSE %s END', mynahoken.rule_fact_sql(d.national_fact, fm),
                       array_to_string(nat_whens, ' '), undec);
    RETURN format('SELECT %s, CAST(ROW((CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.int8[]))[d.h],'
                  ' (CAST(%L AS pg_catalog.int4[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h], (CAST(%L AS pg_catalog.text[]))[d.h],'
                  ' CASE%s WHEN (CAST(%L AS pg_catalog.text[]))[d.h] IS NOT NULL THEN ARRAY[(CAST(%L AS pg_catalog.text[]))[d.h]] END)'
                  ' AS mynahoken.rule_hit) AS hit'
                  ' FROM %s CROSS JOIN LATERAL (SELECT CASE %s ELSE n.x END AS h'
                  ' FROM (SELECT %s AS x OFFSET 0) AS n OFFSET 0) AS d',
                  CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                            ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                  h_o, h_v, h_r, h_l, h_t, coll_cases, h_o, h_o,
                  CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                  coalesce(branches, 'WHEN false THEN NULL'),
                  nat_case);
  END IF;

  -- Trace mode: every fact in one lateral row f, and the truth of every cell.
  SELECT string_agg(format('%s AS %I', mynahoken.rule_fact_sql(x.f, 'member'), x.f), ', ' ORDER BY x.f)
    INTO fact_list
    FROM (SELECT DISTINCT u AS f FROM unnest(facts) AS u) x;
  RETURN format('SELECT %s, d.hit%s FROM %s CROSS JOIN LATERAL (SELECT %s OFFSET 0) AS f'
                ' CROSS JOIN LATERAL (SELECT CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_hit) %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, ARRAY[%s]) AS mynahoken.rule_hit) END AS hit OFFSET 0) AS d',
                'CAST(m.member_key AS pg_catalog.text) AS member_key',
                format(', pg_catalog.to_jsonb(f) AS facts, pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried',
                       array_to_string(tried, ', ')),
                source || ' AS m',
                fact_list, nat, 'undecidable',
                array_to_string(whens, ' '),
                nat, 'national', nat);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_query(text, text, text, bigint) IS
  'Internal: the generated query of a decision: one CASE per member over the rows of the national table (national.certificate_need) with the insurer exceptions of each label tried at its first row, or the national fact numbered when the decision has no national table (modes member, facts), or every fact and cell for the explanations (mode trace); every name qualified, literals through format %L';

CREATE OR REPLACE FUNCTION mynahoken.rule_compile_date_query(decision text, mode text, source text DEFAULT NULL,
                                                  candidate bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  scope text;
  vcond text;
  scond text;
  unknowns text;
  cap text;
  vals text[] := '{}';          -- the lateral row c: one date per row, scope flags
  branches text[] := '{}';
  k int := 0;
  agg_vals text[];
  agg_rows int[];
  nat text;
  trace boolean := mode = 'trace';   -- the explanations: the same predicates, with every cell's truth
  tried text[] := '{}';
  facts text[];
  from_sql text;
BEGIN
  IF mode IS NULL OR mode NOT IN ('member', 'facts', 'trace') THEN
    PERFORM mynahoken.raise_error('22023', 'unknown compile mode');
  END IF;
  IF trace THEN
    mode := 'member';
  END IF;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_date_query.decision;
  -- the member key in c: with a key per member the planner does not cache
  -- (Memoize) the row on the values of the facts, which costs more than it saves
  vals := ARRAY['(' || mynahoken.rule_fact_sql(d.national_fact, mode) || ') AS nat',
                CASE mode WHEN 'member' THEN 'm.member_key AS k' ELSE 'NULL AS k' END];
  nat := 'c.nat';
  facts := ARRAY['insurer_number', 'category', d.national_fact];
  FOR t IN
    SELECT x.* FROM mynahoken.rule_table x
     WHERE x.decision = rule_compile_date_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    -- the legal maximum for the table's scope: an InitPlan
    cap := format('(mynahoken.rule_add_months($1, (SELECT mynahoken.legal_value_int(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))) OPERATOR(pg_catalog.-) 1)',
                  'certificate_max_months', scope);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_version y
       WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
       ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_version z
         WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
           AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      k := k + 1;
      scond := format('c.s%s', k);
      vals := vals || format('(%s AND %s) AS s%s', mynahoken.rule_applies_sql(t.applies_to,
                               '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                               '(' || mynahoken.rule_fact_sql('category', mode) || ')'), vcond, k);
      -- facts whose NULL means unknown tested by a cell, and every fact a
      -- date reads: NULL makes the member undecidable, never a shorter list
      SELECT string_agg(format('(%s) IS NULL', mynahoken.rule_fact_sql(u.col, mode)), ' OR ' ORDER BY u.col)
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
                JOIN mynahoken.rule_fact rf ON true
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-'
                 AND rf.fact = v.columns[i] AND rf.null_means = 'unknown'
              UNION
              SELECT DISTINCT unnest(mynahoken.rule_expr_facts(mynahoken.rule_expr_parse(rr.outcome)))
                FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) u;
      IF unknowns IS NOT NULL THEN
        branches := branches || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_date_hit)',
                                       scond, unknowns, v.version_id, 'undecidable', t.table_name);
      END IF;
      facts := facts || v.columns || ARRAY(SELECT unnest(mynahoken.rule_expr_facts(mynahoken.rule_expr_parse(rr.outcome)))
                                             FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id);
      agg_vals := '{}';
      agg_rows := '{}';
      FOR r IN
        SELECT rr.* FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id ORDER BY rr.row_no
      LOOP
        vals := vals || format('CASE WHEN %s AND %s THEN %s END AS r%s_%s',
                               mynahoken.rule_applies_sql(t.applies_to,
                                 '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                                 '(' || mynahoken.rule_fact_sql('category', mode) || ')') || ' AND ' || vcond,
                               (SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, mode), ' AND ' ORDER BY i)
                                  FROM generate_subscripts(v.columns, 1) AS i),
                               mynahoken.rule_expr_sql(mynahoken.rule_expr_parse(r.outcome), mode), k, r.row_no);
        IF trace THEN
          -- the truth of each cell and the row's date, by the same predicates
          tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, COALESCE(%s AND %s, false), %L, pg_catalog.to_jsonb(ARRAY[%s]), %L, %s)',
                                   'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                   'in_scope', mynahoken.rule_applies_sql(t.applies_to,
                                     '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                                     '(' || mynahoken.rule_fact_sql('category', mode) || ')'), vcond,
                                   'cells', (SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, mode), ', ' ORDER BY i)
                                               FROM generate_subscripts(v.columns, 1) AS i),
                                   'value', mynahoken.rule_expr_sql(mynahoken.rule_expr_parse(r.outcome), mode));
        END IF;
        IF t.hit_policy = 'collect' THEN
          agg_vals := agg_vals || format('c.r%s_%s', k, r.row_no);
          agg_rows := agg_rows || r.row_no;
        ELSE
          branches := branches || format('WHEN c.r%1$s_%2$s IS NOT NULL THEN CAST(ROW(LEAST(c.r%1$s_%2$s, %3$s), CAST(%4$L AS pg_catalog.int8), %2$s, %5$L, %6$L, c.r%1$s_%2$s OPERATOR(pg_catalog.>) %3$s) AS mynahoken.rule_date_hit)',
                                         k, r.row_no, cap, v.version_id, 'insurer', t.table_name);
        END IF;
      END LOOP;
      IF t.hit_policy = 'collect' THEN
        -- LEAST/GREATEST skip NULLs: the rows that did not match; the row is
        -- the first whose date is the aggregate
        branches := branches || format('WHEN COALESCE(%1$s) IS NOT NULL THEN CAST(ROW(LEAST(%2$s(%3$s), %4$s), CAST(%5$L AS pg_catalog.int8), CASE %2$s(%3$s) %6$s END, %7$L, %8$L, %2$s(%3$s) OPERATOR(pg_catalog.>) %4$s) AS mynahoken.rule_date_hit)',
                                       array_to_string(agg_vals, ', '),
                                       CASE t.aggregation WHEN 'max' THEN 'GREATEST' ELSE 'LEAST' END,
                                       array_to_string(agg_vals, ', '), cap, v.version_id,
                                       (SELECT string_agg(format('WHEN %s THEN %s', agg_vals[i], agg_rows[i]), ' ' ORDER BY i)
                                          FROM generate_subscripts(agg_vals, 1) AS i),
                                       'insurer', t.table_name);
      END IF;
      IF t.on_no_match = 'error' THEN
        branches := branches || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_date_hit)',
                                       scond, v.version_id, 'no_match', t.table_name);
      END IF;
    END LOOP;
  END LOOP;
  -- c is nested in d: one lateral subquery, so that the planner has no
  -- lateral join of c to cache (Memoize) on the values of c
  from_sql := format('%s CROSS JOIN LATERAL (SELECT'
                ' CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_date_hit)'
                ' %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, false) AS mynahoken.rule_date_hit) END AS hit'
                ' FROM (SELECT %s OFFSET 0) AS c OFFSET 0) AS d',
                CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                nat, 'undecidable', array_to_string(branches, ' '), nat, 'national',
                array_to_string(vals, ', '));
  IF trace THEN
    -- the explanations read the hit as a mynahoken.rule_hit: the date as
    -- text, {capped} in outcomes when the legal maximum capped it
    RETURN format('SELECT CAST(m.member_key AS pg_catalog.text) AS member_key,'
                  ' (SELECT pg_catalog.jsonb_object_agg(f.k, f.v) FROM (VALUES %s) AS f(k, v)) AS facts,'
                  ' pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried,'
                  ' CAST(ROW(CAST((d.hit).value AS pg_catalog.text), (d.hit).version_id, (d.hit).row_no, (d.hit).layer, (d.hit).table_name,'
                  ' CASE WHEN (d.hit).capped THEN CAST(ARRAY[%L] AS pg_catalog.text[]) END) AS mynahoken.rule_hit) AS hit'
                  ' FROM %s',
                  (SELECT string_agg(format('(%L, pg_catalog.to_jsonb(%s))', u.f, mynahoken.rule_fact_sql(u.f, mode)), ', ' ORDER BY u.f)
                     FROM (SELECT DISTINCT unnest(facts) AS f) u),
                  array_to_string(tried, ', '), 'capped', from_sql);
  END IF;
  RETURN format('SELECT %s, d.hit FROM %s',
                CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                          ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                from_sql);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_date_query(text, text, text, bigint) IS
  'Internal: the generated query of a date decision: insurer tables in name order (first matching row, or the least/greatest date of the matching rows for collect min/max), every insurer date capped at the legal maximum, else the national date (modes member, facts), or with the facts read and every row''s cells and date for the explanations (mode trace, the hit as a mynahoken.rule_hit with the date as text); every name qualified, literals through format %L; raises 22023 for another mode';

CREATE OR REPLACE FUNCTION mynahoken.rule_compile(decision text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text;
  q text;
  plan text;
  eval_name text := 'rule_eval_' || decision;
  decide_name text := 'rule_decide_' || decision;
  versions bigint[];
  is_date boolean;
  hit_type text;
  cols text;
  f regprocedure;
BEGIN
  IF decision !~ '^[a-z][a-z0-9_]*$' THEN
    PERFORM mynahoken.raise_error('22023', 'invalid decision name');
  END IF;
  SELECT d.output_type = 'date' INTO is_date FROM mynahoken.rule_decision d WHERE d.decision = rule_compile.decision;
  hit_type := CASE WHEN is_date THEN 'mynahoken.rule_date_hit' ELSE 'mynahoken.rule_hit' END;
  cols := CASE WHEN is_date
               THEN 'member_key pg_catalog.text, value pg_catalog.date, version_id pg_catalog.int8, row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text, capped pg_catalog.bool'
               ELSE 'member_key pg_catalog.text, outcome pg_catalog.text, version_id pg_catalog.int8, row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text, outcomes pg_catalog.text[]' END;
  -- a function generated by an earlier version with another result is replaced
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname IN (eval_name, decide_name)
              AND p.prorettype <> CASE WHEN p.proname = decide_name THEN hit_type::regtype ELSE 'pg_catalog.record'::regtype END LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname = eval_name
              AND p.proargnames[cardinality(p.proargnames)] <> CASE WHEN is_date THEN 'capped' ELSE 'outcomes' END LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
  SELECT m.source INTO src FROM mynahoken.member_source m;
  EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date, facts pg_catalog.jsonb)'
                 ' RETURNS %s LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC SELECT x.hit FROM (%s) AS x; END',
                 decide_name, hit_type, mynahoken.rule_compile_query(decision, 'facts'));
  EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb) IS %L',
                 decide_name, format('Generated by mynahoken.rule_compile: decision %s for one member given as jsonb (scalar twin)', decision));
  IF src IS NOT NULL THEN
    q := mynahoken.rule_compile_query(decision, 'member', src);
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (%s)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, (x.hit).*'
                   ' FROM (%s) AS x; END',
                   eval_name, cols, q);
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   eval_name, format('Generated by mynahoken.rule_compile: decision %s for every member of %s', decision, src));
  END IF;
  IF src IS NOT NULL THEN
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (member_key pg_catalog.text, facts pg_catalog.jsonb, tried pg_catalog.jsonb, hit mynahoken.rule_hit)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, x.facts, x.tried, x.hit FROM (%s) AS x; END',
                   'rule_trace_' || decision, mynahoken.rule_compile_query(decision, 'trace', src));
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   'rule_trace_' || decision,
                   format('Generated by mynahoken.rule_compile: decision %s for every member of %s, with the facts read and the truth of every cell (for mynahoken.rule_explain)', decision, src));
  END IF;
  IF src IS NOT NULL THEN
    -- EXPLAIN returns one row per line; the first names the top node
    FOR plan IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.%I(CAST(%L AS pg_catalog.date))', eval_name, current_date) LOOP
      IF plan LIKE '%Function Scan on ' || eval_name || '%' THEN
        PERFORM mynahoken.raise_error('55000', 'the compiled decision is not inlined by the planner',
          detail => 'A set-returning SQL function that is not inlined runs as a separate query: the decision would lose its speed.');
      END IF;
    END LOOP;
  END IF;
  SELECT coalesce(array_agg(y.version_id ORDER BY y.version_id), '{}') INTO versions
    FROM mynahoken.rule_version y JOIN mynahoken.rule_table t USING (table_name)
   WHERE t.decision = rule_compile.decision AND y.status = 'active';
  INSERT INTO mynahoken.rule_compiled AS c (decision, eval_function, decide_function, versions, source_relation, body)
  VALUES (decision, CASE WHEN src IS NOT NULL THEN 'mynahoken.' || eval_name END, 'mynahoken.' || decide_name,
          versions, src, coalesce(q, mynahoken.rule_compile_query(decision, 'facts')))
  ON CONFLICT ON CONSTRAINT rule_compiled_pkey DO UPDATE
    SET eval_function = EXCLUDED.eval_function, decide_function = EXCLUDED.decide_function,
        versions = EXCLUDED.versions, source_relation = EXCLUDED.source_relation, body = EXCLUDED.body,
        compiled_at = pg_catalog.clock_timestamp();
  RETURN coalesce('mynahoken.' || CASE WHEN src IS NOT NULL THEN eval_name END, 'mynahoken.' || decide_name);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile(text) IS
  'Compile a decision from its active rule versions: mynahoken.rule_eval_<decision>(as_of, known_on) over the registered member source (inlinable LANGUAGE sql, refused if not inlined) and the scalar twin mynahoken.rule_decide_<decision>(as_of, known_on, facts jsonb)';

CREATE OR REPLACE FUNCTION mynahoken.rule_explain(decision text, member_key text, as_of date, known_on date DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  facts jsonb;
  tried jsonb;
  hit mynahoken.rule_hit;
  rec record;
  e jsonb;
  v mynahoken.rule_version;
  rr mynahoken.rule_row;
  rows_out jsonb := '[]';
  params jsonb := '[]';
  k int;
  pname text;
  scope text;
  p mynahoken.legal_parameter;
  ver jsonb;
  decided_by bigint;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_explain.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  EXECUTE format('SELECT t.facts, t.tried, t.hit FROM mynahoken.%I($1, $2) AS t WHERE t.member_key OPERATOR(pg_catalog.=) $3',
                 'rule_trace_' || decision)
    INTO rec USING as_of, known_on, member_key;
  facts := rec.facts;
  tried := rec.tried;
  hit := rec.hit;
  IF facts IS NULL THEN
    -- the key is personal data: it is not repeated in the message
    PERFORM mynahoken.raise_error('P0002', 'no such member in the member source');
  END IF;
  -- every row tried, in order, with its first failing cell and the member's value
  FOR e IN SELECT x FROM jsonb_array_elements(tried) AS x WHERE (x->>'in_scope')::boolean LOOP
    EXIT WHEN decided_by IS DISTINCT FROM NULL AND decided_by <> (e->>'version_id')::bigint;
    SELECT * INTO v FROM mynahoken.rule_version y WHERE y.version_id = (e->>'version_id')::bigint;
    SELECT * INTO rr FROM mynahoken.rule_row y WHERE y.version_id = v.version_id AND y.row_no = (e->>'row_no')::int;
    SELECT min(i) INTO k FROM generate_series(1, jsonb_array_length(e->'cells')) AS i
     WHERE NOT (e->'cells'->>(i - 1))::boolean;
    rows_out := rows_out || jsonb_build_array(jsonb_build_object(
      'table_name', e->>'table_name', 'version_id', v.version_id, 'row_no', rr.row_no, 'outcome', rr.outcome,
      'matched', k IS NULL,
      'first_failing_cell', CASE WHEN k IS NOT NULL THEN jsonb_build_object(
         'column', v.columns[k], 'cell', rr.cells[k], 'value', facts->v.columns[k]) END)
      -- a date decision's row: its date for the member (the expression in outcome)
      || CASE WHEN e ? 'value' THEN jsonb_build_object('value', e->'value') ELSE '{}' END);
    -- collect and rule order try every row of the version that decided
    IF k IS NULL THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mynahoken.rule_table t WHERE t.table_name = e->>'table_name'
                               AND t.hit_policy IN ('collect', 'rule_order'));
      decided_by := v.version_id;
    END IF;
  END LOOP;
  -- the parameters the rows in scope read, with value, scope, valid and recorded ranges, source
  FOR pname, scope IN
    SELECT DISTINCT pn, mynahoken.rule_table_scope(t.applies_to)
      FROM jsonb_array_elements(tried) AS x
      JOIN mynahoken.rule_version y ON y.version_id = (x->>'version_id')::bigint
      JOIN mynahoken.rule_table t ON t.table_name = y.table_name
      JOIN mynahoken.rule_row r ON r.version_id = y.version_id AND r.row_no = (x->>'row_no')::int
      CROSS JOIN LATERAL unnest(r.cells) WITH ORDINALITY AS u(cell, i)
      JOIN mynahoken.rule_fact f ON f.fact = y.columns[u.i]
      CROSS JOIN LATERAL jsonb_array_elements_text(
        coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]')) AS pn
     WHERE (x->>'in_scope')::boolean
  LOOP
    p := mynahoken.legal_parameter_at(pname, as_of, scope::mynahoken.insurer_category, known_on);
    params := params || jsonb_build_array(jsonb_build_object(
      'name', p.name, 'value', coalesce(to_jsonb(p.value_int), to_jsonb(p.value_date), to_jsonb(p.value_bool),
                                        to_jsonb(p.value_range::text), to_jsonb(p.value_text)),
      'scope', p.scope, 'valid', p.valid::text, 'recorded', p.recorded::text,
      'source', (SELECT to_jsonb(s) - 'shipped' FROM mynahoken.legal_source s WHERE s.source_id = p.source_id)));
  END LOOP;
  IF hit.version_id IS NOT NULL THEN
    SELECT jsonb_build_object('version_id', y.version_id, 'table_name', y.table_name, 'valid', y.valid::text,
                              'recorded_on', y.recorded_on, 'recorded_at', y.recorded_at, 'source', y.source,
                              'author', y.author, 'approved_by', y.approved_by)
      INTO ver FROM mynahoken.rule_version y WHERE y.version_id = hit.version_id;
  END IF;
  RETURN jsonb_build_object(
    'decision', decision, 'as_of', as_of, 'known_on', known_on,
    'outcome', hit.outcome, 'outcomes', to_jsonb(hit.outcomes), 'layer', hit.layer,
    'layer_chain', CASE WHEN hit.layer = 'insurer'
                        THEN format('row %s of %s v%s (source %s) overrides %s', hit.row_no, hit.table_name,
                                    hit.version_id, ver->>'source',
                                    (SELECT t.exception_to FROM mynahoken.rule_table t WHERE t.table_name = hit.table_name))
                        ELSE format('national %s: %s', decision, coalesce(facts->>(SELECT d.national_fact FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision), 'undecidable')) END,
    'rule_version', ver, 'rows_tried', rows_out, 'facts', facts, 'parameters', params);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_explain(text, text, date, date) IS
  'Why a member gets a decision''s outcome (a date decision''s date), from the compiled predicates: outcome, layer chain, every row tried in order with its first failing cell and the member''s value (and a date row''s date), the facts read, the parameters with value, scope, valid and recorded ranges and source, and the rule version';

CREATE OR REPLACE FUNCTION mynahoken.rule_coverage(decision text, as_of date, known_on date DEFAULT NULL)
RETURNS TABLE (table_name text, version_id bigint, row_no integer, outcome text,
               tried bigint, matched bigint, decided bigint, first_failing jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_coverage.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH per_member AS (
      SELECT e->>'table_name' AS table_name, (e->>'version_id')::bigint AS version_id,
             (e->>'row_no')::integer AS row_no,
             (SELECT min(c.i) FROM jsonb_array_elements_text(e->'cells') WITH ORDINALITY AS c(v, i)
               WHERE c.v = 'false') AS failing,
             (t.hit).version_id IS NOT DISTINCT FROM (e->>'version_id')::bigint
               AND (t.hit).row_no IS NOT DISTINCT FROM (e->>'row_no')::integer AS decided
        FROM mynahoken.%I($1, $2) AS t
        CROSS JOIN LATERAL jsonb_array_elements(t.tried) AS e
       WHERE (e->>'in_scope')::boolean
    ), per_cell AS (
      SELECT p.table_name, p.version_id, p.row_no, p.failing, count(*) AS n,
             count(*) FILTER (WHERE p.decided) AS n_decided
        FROM per_member p GROUP BY 1, 2, 3, 4
    )
    SELECT c.table_name, c.version_id, c.row_no, r.outcome,
           sum(c.n)::bigint, (sum(c.n) FILTER (WHERE c.failing IS NULL))::bigint, sum(c.n_decided)::bigint,
           coalesce(jsonb_object_agg(v.columns[c.failing], c.n) FILTER (WHERE c.failing IS NOT NULL), '{}')
      FROM per_cell c
      JOIN mynahoken.rule_version v ON v.version_id = c.version_id
      JOIN mynahoken.rule_row r ON r.version_id = c.version_id AND r.row_no = c.row_no
     GROUP BY c.table_name, c.version_id, c.row_no, r.outcome
     ORDER BY c.table_name, c.version_id, c.row_no
  $q$, 'rule_trace_' || decision) USING as_of, known_on;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_coverage(text, date, date) IS
  'Coverage of a decision''s rows (outcome and date decisions) over the member source on a day: per row the members it was tried for, matched and decided, and per column the members whose first failing cell it was; computed by the compiled predicates';

-- compiled again: certificate_need reads the national table, date decisions get
-- their trace function (explanations, coverage)
SELECT mynahoken.rule_compile(d.decision) FROM mynahoken.rule_compiled d ORDER BY d.decision;
-- Issue 13, pg_cron in another database and monitoring: schedule_issuance and
-- schedule_linkage_check schedule from the insurer database through dblink
-- (cron_query, cron_schedule, cron_unschedule); issuance_health (function
-- and view); issuance_cron_runs.

CREATE FUNCTION mynahoken.cron_query(statement text)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cron_db text := current_setting('cron.database_name', true);
  link text;
  conninfo text;
  connected boolean := false;
  installed boolean;
BEGIN
  IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN QUERY EXECUTE statement;
    RETURN;
  END IF;
  IF cron_db IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not loaded on this server',
      hint => 'Add pg_cron to shared_preload_libraries and CREATE EXTENSION pg_cron in the database named by cron.database_name, or run the job by hand.');
  END IF;
  IF cron_db = current_database() THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in this database',
      detail => pg_catalog.format(mynahoken.gettext('Database %s is cron.database_name but has no extension pg_cron.'), cron_db),
      hint => 'CREATE EXTENSION pg_cron here.');
  END IF;
  SELECT n.nspname INTO link
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'dblink';
  IF link IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron runs in another database and dblink is not installed in this database',
      detail => pg_catalog.format(mynahoken.gettext('cron.database_name is %s; this is database %s.'),
                                  cron_db, current_database()),
      hint => 'CREATE EXTENSION dblink here, or schedule the job in the pg_cron database with cron.schedule_in_database (doc/issuance.md, "pg_cron").');
  END IF;
  -- The loopback connection pg_cron itself uses (cron.host, the server's
  -- port), to the pg_cron database, as the calling role, with the
  -- search_path of this function.
  conninfo := format('host=''%s'' port=''%s'' dbname=''%s'' user=''%s'' application_name=''mynahoken cron'''
                     ' options=''-csearch_path=pg_catalog,pg_temp''',
                     replace(replace(coalesce(current_setting('cron.host', true), 'localhost'), '\', '\\'), '''', '\'''),
                     current_setting('port'),
                     replace(replace(cron_db, '\', '\\'), '''', '\'''),
                     replace(replace(current_user, '\', '\\'), '''', '\'''));
  BEGIN
    IF has_function_privilege(format('%I.dblink_connect_u(text, text)', link), 'EXECUTE') THEN
      EXECUTE format('SELECT %I.dblink_connect_u(%L, $1)', link, 'mynahoken_cron') USING conninfo;
    ELSE
      EXECUTE format('SELECT %I.dblink_connect(%L, $1)', link, 'mynahoken_cron') USING conninfo;
    END IF;
    connected := true;
    EXECUTE format('SELECT t.v FROM %I.dblink(%L, $1) AS t(v boolean)', link, 'mynahoken_cron')
      INTO installed USING 'SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = ''pg_cron'')';
    IF NOT installed THEN
      PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in the database named by cron.database_name',
        detail => pg_catalog.format(mynahoken.gettext('Database %s is cron.database_name but has no extension pg_cron.'), cron_db),
        hint => 'CREATE EXTENSION pg_cron in that database.');
    END IF;
    RETURN QUERY EXECUTE format('SELECT t.v FROM %I.dblink(%L, $1) AS t(v text)', link, 'mynahoken_cron')
      USING statement;
    EXECUTE format('SELECT %I.dblink_disconnect(%L)', link, 'mynahoken_cron');
  EXCEPTION WHEN OTHERS THEN
    IF connected THEN
      EXECUTE format('SELECT %I.dblink_disconnect(%L)', link, 'mynahoken_cron');
    END IF;
    RAISE;
  END;
END
$$;
COMMENT ON FUNCTION mynahoken.cron_query(text) IS
  'Internal: run statement (one text column) in the pg_cron database: here when pg_cron is installed here, else through dblink (installed in this database) over a loopback connection to cron.host, the server''s port and cron.database_name as the calling role (dblink_connect_u when the role may execute it, else dblink_connect, which needs a password for a non-superuser); raises 42704 when pg_cron is not loaded, not installed in cron.database_name, or neither path exists';

CREATE FUNCTION mynahoken.cron_schedule(job_name text, schedule text, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  here boolean := EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron');
  job bigint;
BEGIN
  BEGIN
    -- NULL: a job of this name and role runs in another database, and
    -- pg_cron would move it here.
    SELECT v::bigint INTO job FROM mynahoken.cron_query(format(
      'SELECT CASE WHEN EXISTS (SELECT FROM cron.job WHERE jobname = %L AND username = current_user AND database <> %L)'
      ' THEN NULL ELSE %s END::text',
      job_name, current_database(),
      CASE WHEN here THEN format('cron.schedule(%L, %L, %L)', job_name, schedule, command)
           ELSE format('cron.schedule_in_database(%L, %L, %L, %L)', job_name, schedule, command, current_database()) END)) AS v;
  EXCEPTION WHEN invalid_parameter_value THEN
    -- pg_cron quotes the schedule in its message
    PERFORM mynahoken.raise_error(SQLSTATE, 'pg_cron refused the schedule',
      hint => 'A schedule is five cron fields, such as ''0 17 * * *'' (pg_cron 1.5 and later also take ''N seconds'').');
  END;
  IF job IS NULL THEN
    PERFORM mynahoken.raise_error('42710', 'a pg_cron job of this name and role runs in another database',
      hint => 'Give each database''s job its own job_name, or unschedule the other one in its database.');
  END IF;
  RETURN job;
END
$$;
COMMENT ON FUNCTION mynahoken.cron_schedule(text, text, text) IS
  'Internal: create (or, under the same name and role, replace) the pg_cron job job_name running command in this database on schedule, through cron_query; returns the job id; raises 22023 for a schedule pg_cron refuses (without quoting it), 42710 when the name is taken by the role''s job in another database, 42704 as cron_query';

CREATE FUNCTION mynahoken.cron_unschedule(job_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  done boolean;
BEGIN
  SELECT v::boolean INTO done FROM mynahoken.cron_query(format(
    'SELECT coalesce(bool_or(cron.unschedule(jobid)), false)::text FROM cron.job'
    ' WHERE jobname = %L AND username = current_user AND database = %L',
    job_name, current_database())) AS v;
  RETURN done;
END
$$;
COMMENT ON FUNCTION mynahoken.cron_unschedule(text) IS
  'Internal: remove the calling role''s pg_cron job job_name that runs in this database, through cron_query; false when there was none; raises 42704 as cron_query';

CREATE OR REPLACE FUNCTION mynahoken.schedule_issuance(schedule text DEFAULT '0 17 * * *',
                                            job_name text DEFAULT 'mynahoken-issuance',
                                            lead_days integer DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.cron_schedule(job_name, schedule, mynahoken.issuance_cron_command(lead_days));
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_issuance(text, text, integer) IS
  'Schedule the nightly plan_issuance of this database with pg_cron (default 17:00 UTC = 02:00 JST), from this database whether pg_cron is installed here or, with dblink, in another one (cron.database_name); returns the job id; raises 22023, 42704 and 42710 as cron_schedule';

CREATE OR REPLACE FUNCTION mynahoken.unschedule_issuance(job_name text DEFAULT 'mynahoken-issuance')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.cron_unschedule(job_name);
END
$$;
COMMENT ON FUNCTION mynahoken.unschedule_issuance(text) IS
  'Remove the pg_cron job of this database''s nightly issuance (pg_cron here or, with dblink, in cron.database_name); false when there was none; raises 42704 as cron_query';

CREATE OR REPLACE FUNCTION mynahoken.schedule_linkage_check(schedule text DEFAULT '30 17 * * *',
                                                 job_name text DEFAULT 'mynahoken-linkage',
                                                 full_check boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.cron_schedule(job_name, schedule, mynahoken.linkage_cron_command(full_check));
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_linkage_check(text, text, boolean) IS
  'Schedule the linkage check of this database with pg_cron (default 17:30 UTC = 02:30 JST, incremental; a second job with full_check for a weekly full run), pg_cron here or, with dblink, in cron.database_name; returns the job id; raises 22023, 42704 and 42710 as cron_schedule';

CREATE OR REPLACE FUNCTION mynahoken.unschedule_linkage_check(job_name text DEFAULT 'mynahoken-linkage')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.cron_unschedule(job_name);
END
$$;
COMMENT ON FUNCTION mynahoken.unschedule_linkage_check(text) IS
  'Remove the pg_cron job of this database''s linkage check (pg_cron here or, with dblink, in cron.database_name); false when there was none; raises 42704 as cron_query';

CREATE FUNCTION mynahoken.issuance_health(unsent_days integer, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (kind text, severity text, count bigint, since timestamptz, ids bigint[], ids_of text, about text)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT mynahoken.raise_error('22004', 'as_of must not be null') WHERE as_of IS NULL;
  SELECT mynahoken.raise_error('22023', 'unsent_days must be zero or more') WHERE unsent_days < 0;
  WITH lock AS (SELECT mynahoken.issuance_lock_holder() AS pid),
  caught_up AS (
    -- the latest finished run: a skipped run before it, of a day it covers, was caught up
    SELECT max(f.run_id) AS run_id, max(f.as_of) AS as_of
      FROM mynahoken.issuance_run f WHERE f.status = 'finished'),
  runs AS (
    SELECT CASE WHEN r.status = 'failed' THEN 'run_failed'
                WHEN r.status = 'running' THEN 'run_interrupted'
                ELSE 'run_skipped' END AS kind,
           r.run_id, r.attempt_started_at
      FROM mynahoken.issuance_run r, lock, caught_up c
     WHERE r.status = 'failed'
        OR (r.status = 'running' AND lock.pid IS DISTINCT FROM r.pid)
        OR (r.status = 'skipped' AND NOT (r.run_id < c.run_id AND r.as_of <= c.as_of)
                                 IS NOT DISTINCT FROM true))
  SELECT x.kind, x.severity, x.count, x.since, x.ids, x.ids_of, x.about
    FROM (
      SELECT runs.kind,
             CASE WHEN runs.kind = 'run_skipped' THEN 'warning' ELSE 'error' END AS severity,
             count(*) AS count, min(runs.attempt_started_at) AS since,
             (array_agg(runs.run_id ORDER BY runs.run_id))[1:100] AS ids, 'run_id' AS ids_of,
             CASE runs.kind
               WHEN 'run_failed' THEN 'plan_issuance failed and no later run took it over (mynahoken.issuance_runs.error)'
               WHEN 'run_interrupted' THEN 'plan_issuance was killed or crashed and no run took it over yet'
               ELSE 'plan_issuance was skipped (another run held the lock) and no later run finished' END AS about
        FROM runs
       GROUP BY runs.kind
      UNION ALL
      SELECT 'certificate_expired', 'error', count(*), min(q.valid_until + 1)::timestamptz,
             (array_agg(q.queue_id ORDER BY q.queue_id))[1:100], 'queue_id',
             '資格確認書 planned, not in a hand-off batch, whose validity has ended'
        FROM mynahoken.issuance_queue q
       WHERE q.handoff_id IS NULL AND q.sent_on IS NULL AND q.status = 'planned' AND q.document = 'certificate'
         AND q.valid_until < issuance_health.as_of
      HAVING count(*) > 0
      UNION ALL
      SELECT 'notice_late', 'warning', count(*), min(upper(q.sending_window))::timestamptz,
             (array_agg(q.queue_id ORDER BY q.queue_id))[1:100], 'queue_id',
             '資格情報のお知らせ planned, not in a hand-off batch, whose send-by date has passed'
        FROM mynahoken.issuance_queue q
       WHERE q.handoff_id IS NULL AND q.sent_on IS NULL AND q.status = 'planned' AND q.document = 'notice'
         AND upper(q.sending_window) <= issuance_health.as_of
      HAVING count(*) > 0
      UNION ALL
      SELECT 'handoff_unsent', 'warning', count(*), min(h.prepared_at),
             (array_agg(h.handoff_id ORDER BY h.handoff_id))[1:100], 'handoff_id',
             'hand-off batches prepared unsent_days or more days ago and not marked sent'
        FROM mynahoken.issuance_handoff h
       WHERE h.sent_on IS NULL AND h.prepared_at::date <= issuance_health.as_of - unsent_days
      HAVING count(*) > 0) AS x
   ORDER BY x.severity, x.kind;
END;
COMMENT ON FUNCTION mynahoken.issuance_health(integer, date) IS
  'Problems of the issuance on as_of, one row per kind (none when all is well): run_failed, run_interrupted (running, but its backend holds no issuance lock) and run_skipped (no later run finished) with run ids; certificate_expired and notice_late (documents not in a batch past their validity or send-by) with queue ids; handoff_unsent (batches prepared unsent_days or more days before as_of, not sent) with hand-off ids. severity error or warning; since: the oldest; ids: the first 100; never a member key; 22023 for a negative unsent_days (null: no handoff_unsent check), 22004 for a null as_of. SECURITY DEFINER, not executable by PUBLIC: GRANT EXECUTE (and SELECT on the view) to a monitoring role';
REVOKE ALL ON FUNCTION mynahoken.issuance_health(integer, date) FROM PUBLIC;

CREATE VIEW mynahoken.issuance_health AS
SELECT h.kind, h.severity, h.count, h.since, h.ids, h.ids_of, h.about
  FROM mynahoken.issuance_health(7) AS h;
COMMENT ON VIEW mynahoken.issuance_health IS
  'What to poll: mynahoken.issuance_health(7) as of today, so batches prepared 7 or more days ago and not sent count; no row when all is well; a skipped run shows here although pg_cron records it as succeeded';

-- pg_cron's view of the same runs: cron.job_run_details says "succeeded"
-- whenever the CALL returned, also for a skipped run.
CREATE FUNCTION mynahoken.issuance_cron_runs(job_name text DEFAULT 'mynahoken-issuance')
RETURNS TABLE (cron_runid bigint, cron_status text, cron_start timestamptz, cron_end timestamptz,
               run_id bigint, run_state text, agrees boolean)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH d AS (
    SELECT (j->>'runid')::bigint AS runid, j->>'status' AS status, (j->>'pid')::int AS pid,
           (j->>'start_time')::timestamptz AS start_time, (j->>'end_time')::timestamptz AS end_time
      FROM mynahoken.cron_query(format(
             'SELECT json_build_object(''runid'', d.runid, ''status'', d.status, ''pid'', d.job_pid,'
             ' ''start_time'', d.start_time, ''end_time'', d.end_time)::text'
             '  FROM cron.job_run_details d JOIN cron.job j ON j.jobid = d.jobid'
             ' WHERE j.jobname = %L AND j.username = current_user AND j.database = %L'
             ' ORDER BY d.runid DESC LIMIT 100', job_name, current_database())) AS t(v),
           LATERAL (SELECT t.v::json AS j) AS x)
  SELECT d.runid, d.status, d.start_time, d.end_time, r.run_id, r.state,
         CASE WHEN d.status IN ('starting', 'running', 'sending', 'connecting') THEN NULL
              ELSE (d.status = 'succeeded') = (r.state IS NOT DISTINCT FROM 'finished') END
    FROM d
    LEFT JOIN LATERAL (
      SELECT s.run_id, s.state FROM mynahoken.issuance_runs s JOIN mynahoken.issuance_run w ON w.run_id = s.run_id
       WHERE w.pid = d.pid
         AND w.attempt_started_at BETWEEN d.start_time - interval '1 second'
                                      AND coalesce(d.end_time, now()) + interval '1 second'
       ORDER BY s.run_id DESC LIMIT 1) r ON true
   ORDER BY d.runid DESC;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_cron_runs(text) IS
  'The last 100 runs pg_cron recorded for the calling role''s job job_name in this database (cron.job_run_details, read here or through dblink as cron_query), each with the issuance run its backend started (NULL: none) and whether both agree: false for a run pg_cron records as succeeded that was skipped or did not finish, or a failed job with a finished run; NULL while the job runs; raises 42704 as cron_query';
-- Issue 14, linkage (fourth part): a full run reads linkage_member in ranges
-- of blocks (TID range scans, resume point next_block of the file
-- scan_filenode) instead of key ranges compared under the database
-- collation, so that its committed batches read the table once; the current
-- results are joined to the batch's members; a member deleted takes its
-- result with it (trigger), since a full run no longer reads the results of
-- members that are gone.
ALTER TABLE mynahoken.linkage_run ADD COLUMN next_block bigint, ADD COLUMN scan_filenode oid;
COMMENT ON TABLE mynahoken.linkage_run IS
  'Runs of the linkage check: full or incremental (members changed since the last finished run), the resume point of a run that stopped (next_key for an incremental run, next_block and scan_filenode for a full one), counts (members checked, results that changed, cases opened)';

-- A member removed has no current result: its row of linkage_check goes
-- with it (a full run reads the members, not the results, so it would not
-- find it).  Its cases and their history stay.
CREATE FUNCTION mynahoken.linkage_member_forget()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM mynahoken.linkage_check;
  ELSE
    DELETE FROM mynahoken.linkage_check AS c USING linkage_old AS o
     WHERE c.insured_key = o.insured_key
       AND NOT EXISTS (SELECT FROM mynahoken.linkage_member AS m WHERE m.insured_key = o.insured_key);
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_member_forget() IS
  'Trigger of linkage_member: removes the current check result (linkage_check) of the members a statement deleted or truncated; their cases stay';
CREATE TRIGGER linkage_member_forget_delete AFTER DELETE ON mynahoken.linkage_member
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_member_forget();
CREATE TRIGGER linkage_member_forget_truncate AFTER TRUNCATE ON mynahoken.linkage_member
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_member_forget();
COMMENT ON TRIGGER linkage_member_forget_delete ON mynahoken.linkage_member IS 'Removes the check results of deleted members';
COMMENT ON TRIGGER linkage_member_forget_truncate ON mynahoken.linkage_member IS 'Removes the check results of every member';

CREATE OR REPLACE FUNCTION mynahoken.linkage_run_batch(run_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  run record;
  hi text;
  lo_block bigint;
  hi_block bigint;
  nblocks bigint;
  per_block float8;
  filenode oid;
  checked bigint;
  opened bigint;
  changed bigint;
  source text;
  shared mynahoken.mynumber_token[];
  swapped text[];
  severities smallint[];
  lowered boolean[];
  due2 date;
  due3 date;
BEGIN
  SELECT * INTO run FROM mynahoken.linkage_run AS l WHERE l.run_id = linkage_run_batch.run_id FOR UPDATE;
  IF NOT FOUND OR run.status <> 'running' THEN
    RETURN true;
  END IF;
  IF run.full_check THEN
    -- Every member: the batch is a range of blocks of the table [lo, hi),
    -- read by a TID range scan, so that the batches together read the
    -- table once, in its physical order, and filter nothing.  A rewritten
    -- table (VACUUM FULL, CLUSTER) has other blocks: the run starts over
    -- (members checked twice get the same result, which is not written).
    filenode := pg_relation_filenode('mynahoken.linkage_member');
    lo_block := CASE WHEN run.scan_filenode = filenode THEN COALESCE(run.next_block, 0) ELSE 0 END;
    nblocks := pg_relation_size('mynahoken.linkage_member') / current_setting('block_size')::bigint;
    -- about batch_size members: the statistics' members per block, or a
    -- count of the first blocks when the table was never analyzed
    SELECT CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages END INTO per_block
      FROM pg_class AS c WHERE c.oid = 'mynahoken.linkage_member'::regclass;
    IF per_block IS NULL THEN
      SELECT count(*)::float8 / greatest(least(nblocks, 16), 1) INTO per_block
        FROM mynahoken.linkage_member AS m WHERE m.ctid < format('(%s,0)', least(nblocks, 16))::tid;
    END IF;
    hi_block := lo_block + greatest(ceil(run.batch_size / greatest(per_block, 1)), 1)::bigint;
    IF hi_block >= nblocks THEN
      -- the last batch: up to the end, including blocks added meanwhile
      hi_block := NULL;
    END IF;
    source := 'mynahoken.linkage_member AS m'
              ' WHERE m.ctid OPERATOR(pg_catalog.>=) $10 AND m.ctid OPERATOR(pg_catalog.<) $11';
  ELSE
    -- The members of this run, a key range (next_key, hi] of
    -- linkage_run_key: the next batch_size of them in key order, each
    -- looked up; hi is NULL for the last batch.
    SELECT count(*), max(b.k) INTO checked, hi
      FROM (SELECT rk.insured_key AS k FROM mynahoken.linkage_run_key AS rk
             WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
             ORDER BY rk.insured_key LIMIT run.batch_size) AS b;
    IF checked < run.batch_size
       OR NOT EXISTS (SELECT FROM mynahoken.linkage_run_key AS rk
                       WHERE rk.run_id = run.run_id AND rk.insured_key > hi) THEN
      hi := NULL;
    END IF;
    source := 'mynahoken.linkage_run_key AS rk JOIN mynahoken.linkage_member AS m'
              ' ON m.insured_key OPERATOR(pg_catalog.=) rk.insured_key'
              ' AND rk.run_id OPERATOR(pg_catalog.=) $1'
              ' WHERE ($2 IS NULL OR rk.insured_key OPERATOR(pg_catalog.>) $2)'
              ' AND ($3 IS NULL OR rk.insured_key OPERATOR(pg_catalog.<=) $3)';
  END IF;
  -- The severity table in the order of the result bits, and the due days.
  SELECT array_agg(COALESCE(lr.severity, 0::smallint) ORDER BY o.n),
         array_agg(COALESCE(lr.lowered_by_last4_ok, false) ORDER BY o.n)
    INTO severities, lowered
    FROM unnest(mynahoken.linkage_reason_list()) WITH ORDINALITY AS o (code, n)
    LEFT JOIN mynahoken.linkage_reason AS lr ON lr.code = o.code;
  SELECT mynahoken.linkage_due_on(current_date, d.open_days) INTO due2 FROM mynahoken.linkage_due_period AS d WHERE d.severity = 2;
  SELECT mynahoken.linkage_due_on(current_date, d.open_days) INTO due3 FROM mynahoken.linkage_due_period AS d WHERE d.severity = 3;
  -- The tokens held by two people (few, kept by the triggers), and the
  -- members whose J-LIS facts are another household member's own (few:
  -- swap_candidate, a partial index); the statement below tests each
  -- member against these two sets (hashed) instead of joining.
  SELECT COALESCE(array_agg(st.token), '{}') INTO shared FROM mynahoken.linkage_shared_token AS st;
  -- (of this batch only: its blocks, or its keys)
  IF run.full_check THEN
    SELECT COALESCE(array_agg(m.insured_key), '{}') INTO swapped
      FROM mynahoken.linkage_member AS m
     WHERE m.ctid >= format('(%s,0)', lo_block)::tid
       AND m.ctid < format('(%s,0)', COALESCE(hi_block, 4294967295))::tid
       AND m.swap_candidate
       AND EXISTS (SELECT FROM mynahoken.linkage_member AS o
                    WHERE o.household = m.household AND o.insured_key <> m.insured_key
                      AND o.birth_date_digest = m.jlis_birth_date_digest AND o.sex_digest = m.jlis_sex_digest
                      AND o.kana_digest[3] = m.jlis_kana_digest[3]);
  ELSE
    SELECT COALESCE(array_agg(m.insured_key), '{}') INTO swapped
      FROM mynahoken.linkage_member AS m
     WHERE m.swap_candidate
       AND (run.next_key IS NULL OR m.insured_key > run.next_key) AND (hi IS NULL OR m.insured_key <= hi)
       AND EXISTS (SELECT FROM mynahoken.linkage_run_key AS rk
                    WHERE rk.run_id = run.run_id AND rk.insured_key = m.insured_key)
       AND EXISTS (SELECT FROM mynahoken.linkage_member AS o
                    WHERE o.household = m.household AND o.insured_key <> m.insured_key
                      AND o.birth_date_digest = m.jlis_birth_date_digest AND o.sex_digest = m.jlis_sex_digest
                      AND o.kana_digest[3] = m.jlis_kana_digest[3]);
  END IF;

  -- One set-based statement per batch.  Each member's result comes from one
  -- C call on what its own row decided when it was written (own_result:
  -- digest equality only, reasons packed in a bigint), the two small sets
  -- above and the severity table; results of severity 0 are none.  Only
  -- results that differ from the member's current one (looked up by key)
  -- are written, and only they open or update cases: a run over unchanged
  -- members writes nothing.
  EXECUTE format($q$
  WITH a AS (
    -- one pass over the batch: the number of members checked, and the
    -- results that changed (few but in a first run), kept as three arrays
    SELECT pg_catalog.count(*) AS checked,
           pg_catalog.array_agg(b.insured_key) FILTER (WHERE b.changed) AS keys,
           pg_catalog.array_agg(b.token) FILTER (WHERE b.changed) AS tokens,
           pg_catalog.array_agg(b.result) FILTER (WHERE b.changed) AS results
      FROM (SELECT x.insured_key, x.token, n.result, n.result IS DISTINCT FROM c.result AS changed
              FROM (SELECT m.insured_key, m.token,
                           mynahoken.linkage_result_finish(
                             m.own_result, m.token OPERATOR(mynahoken.=) ANY ($8),
                             m.swap_candidate AND m.insured_key OPERATOR(pg_catalog.=) ANY ($9), $4, $5) AS result
                      FROM %1$s) AS x
             CROSS JOIN LATERAL (SELECT CASE WHEN x.result OPERATOR(pg_catalog.>=) 72057594037927936  -- severity 1 and up
                                             THEN x.result END AS result) AS n
              LEFT JOIN %2$s) AS b),
  d AS (
    SELECT u.insured_key, u.token, u.result,
           mynahoken.linkage_result_reasons(u.result) AS reasons,
           mynahoken.linkage_result_severity(u.result) AS severity
      FROM a CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(a.keys), pg_catalog.unnest(a.tokens),
                                            pg_catalog.unnest(a.results)) AS u (insured_key, token, result)),
  gone AS (
    DELETE FROM mynahoken.linkage_check AS c USING d
     WHERE c.insured_key OPERATOR(pg_catalog.=) d.insured_key AND d.result IS NULL),
  up AS (
    INSERT INTO mynahoken.linkage_check AS c
           (insured_key, run_id, result, reasons, severity, kana_level, kanji_level, address_level)
    SELECT d.insured_key, $1, d.result, d.reasons, d.severity,
           mynahoken.linkage_result_level(d.result, 1), mynahoken.linkage_result_level(d.result, 2),
           mynahoken.linkage_result_level(d.result, 3)
      FROM d WHERE d.result IS NOT NULL
    ON CONFLICT (insured_key) DO UPDATE
       SET run_id = EXCLUDED.run_id, result = EXCLUDED.result, reasons = EXCLUDED.reasons,
           severity = EXCLUDED.severity, kana_level = EXCLUDED.kana_level,
           kanji_level = EXCLUDED.kanji_level, address_level = EXCLUDED.address_level),
  -- A case for severity 2 and up, unless one is unfinished (it gets the new
  -- reasons, and the earlier due day); nothing is closed here.
  cs AS (
    INSERT INTO mynahoken.linkage_case AS lc (insured_key, token, opened_run, last_run, reasons, severity, due_on, result)
    SELECT d.insured_key, d.token, $1, $1, d.reasons, d.severity,
           CASE WHEN d.severity OPERATOR(pg_catalog.>=) 3 THEN $7 ELSE $6 END, d.result
      FROM d WHERE d.severity OPERATOR(pg_catalog.>=) 2
    ON CONFLICT (insured_key) WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis')
    DO UPDATE SET last_run = EXCLUDED.last_run, reasons = EXCLUDED.reasons, severity = EXCLUDED.severity,
                  result = EXCLUDED.result, due_on = LEAST(lc.due_on, EXCLUDED.due_on)
    RETURNING lc.case_id, (lc.xmax OPERATOR(pg_catalog.=) 0) AS inserted),
  ev AS (
    INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
    SELECT cs.case_id, NULL, 'open', 'opened_by_check' FROM cs WHERE cs.inserted
    RETURNING 1)
  SELECT (SELECT a.checked FROM a), (SELECT pg_catalog.count(*) FROM ev), (SELECT pg_catalog.count(*) FROM d)$q$,
    source,
    -- the current results: all of them, hashed, for a full run; looked up
    -- one by one for the few members of an incremental one
    CASE WHEN run.full_check
         THEN 'mynahoken.linkage_check AS c ON c.insured_key OPERATOR(pg_catalog.=) x.insured_key'
         ELSE 'LATERAL (SELECT c.result FROM mynahoken.linkage_check AS c'
              ' WHERE c.insured_key OPERATOR(pg_catalog.=) x.insured_key OFFSET 0) AS c ON true' END)
  INTO checked, opened, changed
  USING run.run_id, run.next_key, hi, severities, lowered, due2, due3, shared, swapped,
        format('(%s,0)', lo_block)::tid, format('(%s,0)', COALESCE(hi_block, 4294967295))::tid;

  UPDATE mynahoken.linkage_run AS l
     SET next_key = hi, next_block = hi_block, scan_filenode = filenode,
         members_checked = l.members_checked + checked,
         cases_opened = l.cases_opened + opened, results_changed = l.results_changed + changed,
         status = CASE WHEN hi IS NULL AND hi_block IS NULL THEN 'finished' ELSE l.status END,
         finished_at = CASE WHEN hi IS NULL AND hi_block IS NULL THEN clock_timestamp() END
   WHERE l.run_id = run.run_id;
  IF hi IS NULL AND hi_block IS NULL THEN
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_left AS lf WHERE lf.change_seq <= run.upto_seq;
    RETURN true;
  END IF;
  RETURN false;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_run_batch(bigint) IS
  'Check the next batch of a linkage run in one set-based statement (one C call per member for its reason codes; digest equality only): a full run reads the member table in ranges of blocks of about batch_size members, an incremental run looks up the next batch_size of its members; write the results that changed to linkage_check, open or update cases of severity 2 and up with their due day, move the resume point; true when the run is finished';

COMMENT ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) IS
  'The nightly linkage check: incremental by default (members changed since the last run), full_check for all; commits every batch of batch_size members (a full check: of whole blocks of the member table holding about that many) and resumes a run that stopped; commit_batches false runs it inside the caller''s transaction (needed within BEGIN, where a COMMIT raises 2D000); 22023 for a batch_size below 1, 22004 for a null full_check or commit_batches';
-- Issue 15, DMN interop: decision tables drawn in a modeler, imported from
-- DMN 1.3/1.4/1.5 XML into draft rule versions and exported back as DMN 1.3
-- (sql/install/62_rules_dmn.sql).

-- One endpoint of a FEEL unary test, from token i: the cell text, the next
-- token, or the problem.
CREATE FUNCTION mynahoken.rule_feel_endpoint(toks text[], kinds text[], poss integer[], i integer,
                                             fact_type text,
                                             OUT cell text, OUT next integer, OUT sqlstate text, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t text := toks[i];
  k text := kinds[i];
  v text;
BEGIN
  next := i + 1;
  IF t IS NULL THEN
    sqlstate := '22P02';
    problem := mynahoken.gettext('the entry ends in the middle of a test');
    RETURN;
  END IF;
  IF k = 'str' THEN
    -- FEEL escapes \" \\ \n \t; the cell language doubles its quotes
    v := replace(replace(replace(replace(replace(substr(t, 2, length(t) - 2),
           '\\', E'\x01'), '\"', '"'), '\n', E'\n'), '\t', E'\t'), E'\x01', '\');
    IF fact_type = 'enum' AND v ~ '^[a-z_][a-z0-9_]*$' THEN
      cell := v;
    ELSE
      cell := '"' || replace(v, '"', '""') || '"';
    END IF;
  ELSIF k = 'num' THEN
    IF strpos(t, '.') > 0 THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('a decimal number at character %s: the engine''s numbers are whole numbers'), poss[i]);
      RETURN;
    END IF;
    cell := t;
  ELSIF t = '-' AND kinds[i + 1] = 'num' AND strpos(toks[i + 1], '.') = 0 THEN
    cell := '-' || toks[i + 1];
    next := i + 2;
  ELSIF k = 'name' AND t = 'date' THEN
    IF toks[i + 1] IS DISTINCT FROM '(' OR kinds[i + 2] IS DISTINCT FROM 'str' OR toks[i + 3] IS DISTINCT FROM ')'
       OR toks[i + 2] !~ '^"[0-9]{4}-[0-9]{2}-[0-9]{2}"$' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('date() other than date("YYYY-MM-DD") at character %s'), poss[i]);
      RETURN;
    END IF;
    cell := substr(toks[i + 2], 2, 10);
    next := i + 4;
  ELSIF k = 'name' AND t = 'param' THEN
    IF toks[i + 1] IS DISTINCT FROM '(' OR kinds[i + 2] IS DISTINCT FROM 'name' OR toks[i + 3] IS DISTINCT FROM ')'
       OR toks[i + 2] !~ '^[a-z_][a-z0-9_]*$' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('param() other than param(name) at character %s'), poss[i]);
      RETURN;
    END IF;
    cell := 'param(' || toks[i + 2] || ')';
    next := i + 4;
  ELSIF k = 'name' AND toks[i + 1] = '(' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('a function call other than date(), param() and not() at character %s'), poss[i]);
    RETURN;
  ELSIF k = 'name' AND t = 'null' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('null inside a list, a comparison or a range at character %s'), poss[i]);
    RETURN;
  ELSIF k = 'name' AND t IN ('and', 'or', 'if', 'then', 'else', 'for', 'some', 'every', 'in', 'between',
                              'instance', 'of', 'function', 'satisfies', 'return') THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('a FEEL expression at character %s: only unary tests are imported'), poss[i]);
    RETURN;
  ELSIF k = 'name' AND t ~ '^[a-z_][a-z0-9_]*$' THEN
    -- true, false, day, or another fact: the cell parser and the checks judge it
    cell := t;
  ELSIF k = 'name' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('a name at character %s that is not a fact of the engine (lower case letters, digits and _)'), poss[i]);
    RETURN;
  ELSE
    sqlstate := '22P02';
    problem := pg_catalog.format(mynahoken.gettext('unexpected token at character %s'), poss[i]);
    RETURN;
  END IF;
  IF toks[next] IN ('+', '-', '*', '/', '**') THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('arithmetic at character %s'), poss[next]);
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_endpoint(text[], text[], integer[], integer, text) IS
  'Internal: one endpoint of a FEEL unary test (number, string, date("YYYY-MM-DD"), true, false, param(name), day, a fact) from token i as cell text, the next token, or a SQLSTATE (22P02, 0A000) and the problem naming the character, never the text';

CREATE FUNCTION mynahoken.rule_feel_translate(feel text, fact_type text,
                                              OUT cell text, OUT sqlstate text, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  toks text[] := '{}';
  kinds text[] := '{}';
  poss integer[] := '{}';
  pos integer := 1;
  n integer;
  m record;
  fast text[];
  k text;
  i integer;
  last integer;
  neg boolean := false;
  items text[] := '{}';
  item text;
  e record;
  lo text;
BEGIN
  IF feel IS NULL OR fact_type IS NULL THEN
    RETURN;
  END IF;
  -- the common entries in one match: a constant, a comparison with one, a range of two
  fast := regexp_match(feel, '^\s*(<=|>=|<|>|=)?\s*(-?[0-9]+|true|false|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*$');
  IF fast IS NOT NULL THEN
    cell := coalesce(nullif(fast[1], '=') || ' ', '')
            || CASE WHEN fast[2] LIKE 'date(%' THEN substr(fast[2], 7, 10) ELSE fast[2] END;
    RETURN;
  END IF;
  fast := regexp_match(feel, '^\s*([][(])\s*(-?[0-9]+|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*\.\.\s*(-?[0-9]+|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*([][)])\s*$');
  IF fast IS NOT NULL THEN
    cell := CASE fast[1] WHEN '[' THEN '[' ELSE '(' END
            || CASE WHEN fast[2] LIKE 'date(%' THEN substr(fast[2], 7, 10) ELSE fast[2] END || '..'
            || CASE WHEN fast[3] LIKE 'date(%' THEN substr(fast[3], 7, 10) ELSE fast[3] END
            || CASE fast[4] WHEN ']' THEN ']' ELSE ')' END;
    RETURN;
  END IF;
  n := length(feel);
  -- one pass: every character falls in one group (the last: anything else)
  FOR m IN
    SELECT x.g[1] AS sp, x.g[2] AS str, x.g[3] AS num, x.g[4] AS op, x.g[5] AS name, x.g[6] AS bad
      FROM regexp_matches(feel, '(\s+)|("(?:[^"\\]|\\.)*")|([0-9]+(?:\.[0-9]+)?|\.[0-9]+)|(\.\.|<=|>=|!=|\*\*|[][()<>=,+*/?-])|([A-Za-z_][A-Za-z0-9_]*)|(.)', 'g') WITH ORDINALITY AS x(g, o)
     ORDER BY x.o
  LOOP
    IF m.bad IS NOT NULL THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('unexpected character at character %s'), pos);
      RETURN;
    ELSIF m.sp IS NULL THEN
      k := CASE WHEN m.str IS NOT NULL THEN 'str' WHEN m.num IS NOT NULL THEN 'num' WHEN m.op IS NOT NULL THEN 'op' ELSE 'name' END;
      toks := toks || coalesce(m.str, m.num, m.op, m.name);
      kinds := kinds || k;
      poss := poss || pos;
    END IF;
    pos := pos + length(coalesce(m.sp, m.str, m.num, m.op, m.name));
  END LOOP;
  -- an empty entry is "does not matter", as the modelers show it
  IF cardinality(toks) = 0 OR (cardinality(toks) = 1 AND toks[1] = '-') THEN
    cell := '-';
    RETURN;
  END IF;
  IF '?' = ANY (toks) THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('an expression test with "?" at character %s'), poss[array_position(toks, '?')]);
    RETURN;
  END IF;
  i := 1;
  last := cardinality(toks);
  IF toks[1] = 'not' AND toks[2] = '(' THEN
    IF toks[last] IS DISTINCT FROM ')' THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('not( without its closing ")" at character %s'), poss[1]);
      RETURN;
    END IF;
    neg := true;
    i := 3;
    last := last - 1;
  END IF;
  LOOP
    IF i > last THEN
      sqlstate := '22P02';
      problem := mynahoken.gettext('the entry ends in the middle of a test');
      RETURN;
    END IF;
    IF toks[i] = 'null' AND kinds[i] = 'name' THEN
      item := 'null';
      i := i + 1;
    ELSIF toks[i] IN ('<', '<=', '>', '>=', '=') THEN
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      item := CASE WHEN toks[i] = '=' THEN e.cell ELSE toks[i] || ' ' || e.cell END;
      i := e.next;
    ELSIF toks[i] = '!=' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('!= at character %s: write not(...)'), poss[i]);
      RETURN;
    ELSIF toks[i] IN ('[', '(', ']') AND kinds[i] = 'op' THEN
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      lo := CASE toks[i] WHEN '[' THEN '[' ELSE '(' END || e.cell;
      IF toks[e.next] IS DISTINCT FROM '..' THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('a range without ".." at character %s'), coalesce(poss[e.next], n + 1));
        RETURN;
      END IF;
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, e.next + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      IF toks[e.next] IS NULL OR toks[e.next] NOT IN (']', ')', '[') OR e.next > last THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('a range without its closing bracket at character %s'), coalesce(poss[e.next], n + 1));
        RETURN;
      END IF;
      item := lo || '..' || e.cell || CASE toks[e.next] WHEN ']' THEN ']' ELSE ')' END;
      i := e.next + 1;
    ELSE
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      item := e.cell;
      i := e.next;
    END IF;
    items := items || item;
    EXIT WHEN i > last;
    IF toks[i] IS DISTINCT FROM ',' THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('unexpected token at character %s'), poss[i]);
      RETURN;
    END IF;
    i := i + 1;
  END LOOP;
  IF 'null' = ANY (items) AND cardinality(items) > 1 THEN
    sqlstate := '0A000';
    problem := mynahoken.gettext('null in a list with other tests: the cell language tests null alone');
    RETURN;
  END IF;
  IF items = ARRAY['null'] THEN
    cell := CASE WHEN neg THEN 'not null' ELSE 'null' END;
  ELSIF neg THEN
    cell := 'not(' || array_to_string(items, ', ') || ')';
  ELSE
    cell := array_to_string(items, ', ');
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_translate(text, text) IS
  'Internal: a FEEL unary test (DMN input entry) as a cell of the cell language for a fact type: -, null, not(null), true, false, numbers, strings, date("YYYY-MM-DD"), comparisons < <= > >= =, ranges [a..b] (a..b) ]a..b[, lists, not(...), param(name), day and facts; otherwise the SQLSTATE (22P02 syntax, 0A000 outside the subset) and the problem with its character, never the text';

CREATE FUNCTION mynahoken.rule_feel_cell(feel text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  problem text;
BEGIN
  SELECT * INTO r FROM mynahoken.rule_feel_translate(feel, fact_type);
  IF r.problem IS NOT NULL THEN
    PERFORM mynahoken.raise_error(r.sqlstate, 'FEEL unary test outside the supported subset',
      detail => (SELECT upper(left(d, 1)) || substr(d, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), r.problem) AS d));
  END IF;
  problem := mynahoken.rule_cell_problem(r.cell, fact_type, enum_values);
  IF problem IS NOT NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the FEEL unary test is not a valid cell for the fact type',
      detail => (SELECT upper(left(d, 1)) || substr(d, 2)
                   FROM pg_catalog.format(mynahoken.gettext('%s at character %s of the translation.'),
                                          mynahoken.gettext(substring(problem FROM '^(.*) at character')),
                                          substring(problem FROM '([0-9]+)$')) AS d));
  END IF;
  RETURN r.cell;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_cell(text, text, text[]) IS
  'A FEEL unary test (DMN input entry) as a cell of the cell language, checked against a fact type (int, date, boolean, enum with its values, text); 22P02 for bad syntax or a cell the type refuses, 0A000 for FEEL outside the supported subset (decimals, arithmetic, function calls, "?" tests, null in a list), the DETAIL naming the problem and character, never the text; NULL for NULL';

-- A cell as a FEEL unary test (the export), from its parsed form.
CREATE FUNCTION mynahoken.rule_cell_feel(cell text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j jsonb := mynahoken.rule_cell_parse(cell, fact_type, enum_values);
  items text[];
BEGIN
  IF j IS NULL THEN
    RETURN NULL;
  END IF;
  CASE j->>'kind'
    WHEN 'any' THEN RETURN '-';
    WHEN 'null' THEN RETURN 'null';
    WHEN 'not_null' THEN RETURN 'not(null)';
    WHEN 'sql' THEN
      PERFORM mynahoken.raise_error('0A000', 'sql: cells have no DMN form');
    ELSE NULL;
  END CASE;
  items := ARRAY(
    SELECT CASE WHEN it->>'op' = 'range'
                THEN CASE WHEN (it->>'lo_incl')::boolean THEN '[' ELSE '(' END
                     || mynahoken.rule_operand_feel(it->'lo') || '..' || mynahoken.rule_operand_feel(it->'hi')
                     || CASE WHEN (it->>'hi_incl')::boolean THEN ']' ELSE ')' END
                WHEN it->>'op' = '=' THEN mynahoken.rule_operand_feel(it->'value')
                ELSE (it->>'op') || ' ' || mynahoken.rule_operand_feel(it->'value') END
      FROM jsonb_array_elements(j->'items') WITH ORDINALITY AS x(it, o) ORDER BY o);
  IF (j->>'negated')::boolean THEN
    RETURN 'not(' || array_to_string(items, ', ') || ')';
  END IF;
  RETURN array_to_string(items, ', ');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_cell_feel(text, text, text[]) IS
  'A cell of the cell language as a FEEL unary test (the DMN export): -, null, not(null), lists, not(...), comparisons, ranges, date("YYYY-MM-DD"), strings, param(name), day and facts as names; 22P02 for a cell that does not parse, 0A000 for sql: cells';

CREATE FUNCTION mynahoken.rule_operand_feel(op jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'int' THEN rule_operand_feel.op OPERATOR(pg_catalog.->>) 'int'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'date'
              THEN 'date("' OPERATOR(pg_catalog.||) (rule_operand_feel.op OPERATOR(pg_catalog.->>) 'date') OPERATOR(pg_catalog.||) '")'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'bool' THEN rule_operand_feel.op OPERATOR(pg_catalog.->>) 'bool'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'text'
              THEN '"' OPERATOR(pg_catalog.||) pg_catalog.replace(pg_catalog.replace(rule_operand_feel.op OPERATOR(pg_catalog.->>) 'text', '\', '\\'), '"', '\"') OPERATOR(pg_catalog.||) '"'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'param'
              THEN 'param(' OPERATOR(pg_catalog.||) (rule_operand_feel.op OPERATOR(pg_catalog.->>) 'param') OPERATOR(pg_catalog.||) ')'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'day' THEN 'day'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'fact' THEN rule_operand_feel.op OPERATOR(pg_catalog.->>) 'fact' END;
END;
COMMENT ON FUNCTION mynahoken.rule_operand_feel(jsonb) IS
  'Internal: one operand of a parsed cell as FEEL (numbers, date("YYYY-MM-DD"), true/false, strings with \ escapes, param(name), day, fact names); NULL for anything else';

-- The namespaces of the DMN versions read.
CREATE FUNCTION mynahoken.rule_dmn_namespaces()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['https://www.omg.org/spec/DMN/20191111/MODEL/',    -- DMN 1.3
             'https://www.omg.org/spec/DMN/20211108/MODEL/',    -- DMN 1.4
             'https://www.omg.org/spec/DMN/20230324/MODEL/'];   -- DMN 1.5
COMMENT ON FUNCTION mynahoken.rule_dmn_namespaces() IS
  'The XML namespaces of the DMN versions mynahoken.rule_import_dmn reads: DMN 1.3 (20191111), 1.4 (20211108) and 1.5 (20230324)';

CREATE FUNCTION mynahoken.rule_import_dmn(dmn xml, table_name text,
                                          valid daterange DEFAULT NULL, source text DEFAULT NULL,
                                          recorded_on date DEFAULT NULL,
                                          decision_name text DEFAULT NULL,
                                          facts jsonb DEFAULT NULL, outcomes jsonb DEFAULT NULL,
                                          decision text DEFAULT NULL, applies_to text[] DEFAULT NULL,
                                          exception_to text DEFAULT NULL, on_no_match text DEFAULT NULL,
                                          note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ns text;
  dpath text;
  dt record;
  t mynahoken.rule_table;
  d mynahoken.rule_decision;
  hp text;
  agg text;
  cols text[] := '{}';
  ftypes text[] := '{}';
  fenums jsonb := '[]';   -- each column's enum values (NULL: not an enum)
  inp record;
  fname text;
  f mynahoken.rule_fact;
  rl record;
  ent record;
  cells text[];
  tr record;
  problem text;
  outv text;
  vid bigint;
  rn integer;
  use_ids boolean;
  pvals text[];
  c text;
  v_valid daterange;
  v_recorded_on date;
  label_col integer;
  entries jsonb;
BEGIN
  IF dmn IS NULL OR table_name IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a DMN import needs the document and a table name');
  END IF;
  ns := (xpath('namespace-uri(/*)', dmn))[1]::text;
  IF NOT ns = ANY (mynahoken.rule_dmn_namespaces())
     OR (xpath('local-name(/*)', dmn))[1]::text IS DISTINCT FROM 'definitions' THEN
    PERFORM mynahoken.raise_error('0A000', 'the document is not a DMN 1.3, 1.4 or 1.5 definitions element',
      hint => 'Save the model as DMN 1.3 or later; the namespaces read are listed by mynahoken.rule_dmn_namespaces().');
  END IF;
  IF (xpath('count(//*[@expressionLanguage and not(contains(translate(@expressionLanguage, ''FEL'', ''fel''), ''feel''))])', dmn))[1]::text <> '0' THEN
    PERFORM mynahoken.raise_error('0A000', 'the document uses an expression language other than FEEL',
      detail => 'Entries in JUEL, JavaScript or another language cannot be checked or compiled.');
  END IF;
  -- the decision: the one with a decision table, or the one named (by id or name)
  SELECT x.* INTO dt
    FROM XMLTABLE(XMLNAMESPACES(ns AS d), '/d:definitions/d:decision[d:decisionTable]' PASSING dmn
           COLUMNS pos FOR ORDINALITY, id text PATH '@id', name text PATH '@name',
                   hit text PATH 'd:decisionTable/@hitPolicy', agg text PATH 'd:decisionTable/@aggregation',
                   n_out integer PATH 'count(d:decisionTable/d:output)',
                   m_decision text PATH 'd:extensionElements/*[local-name()="version"]/@decision',
                   m_applies_to text PATH 'd:extensionElements/*[local-name()="version"]/@applies_to',
                   m_exception_to text PATH 'd:extensionElements/*[local-name()="version"]/@exception_to',
                   m_on_no_match text PATH 'd:extensionElements/*[local-name()="version"]/@on_no_match',
                   m_yields_to text PATH 'd:extensionElements/*[local-name()="version"]/@yields_to',
                   m_valid text PATH 'd:extensionElements/*[local-name()="version"]/@valid',
                   m_recorded_on text PATH 'd:extensionElements/*[local-name()="version"]/@recorded_on',
                   m_source text PATH 'd:extensionElements/*[local-name()="version"]/@source',
                   m_note text PATH 'd:extensionElements/*[local-name()="version"]/@note',
                   total integer PATH 'count(/d:definitions/d:decision[d:decisionTable])') AS x
   WHERE (decision_name IS NULL) OR x.id = decision_name OR x.name = decision_name
   ORDER BY x.pos LIMIT 1;
  IF NOT FOUND AND decision_name IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'the document has no decision table');
  ELSIF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'the document has no decision table with that id or name');
  END IF;
  IF decision_name IS NULL AND dt.total > 1 THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the document has %s decision tables'), dt.total),
      hint => 'Name one with decision_name => (its id or name).');
  END IF;
  dpath := format('/d:definitions/d:decision[d:decisionTable][%s]/d:decisionTable', dt.pos);
  IF dt.n_out <> 1 THEN
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the decision table has %s outputs'), dt.n_out),
      detail => 'A decision of the rule engine has one output: an outcome, or a date.');
  END IF;
  hp := CASE coalesce(dt.hit, 'UNIQUE') WHEN 'UNIQUE' THEN 'unique' WHEN 'ANY' THEN 'any' WHEN 'FIRST' THEN 'first'
          WHEN 'PRIORITY' THEN 'priority' WHEN 'COLLECT' THEN 'collect' WHEN 'RULE ORDER' THEN 'rule_order' END;
  IF hp IS NULL AND dt.hit = 'OUTPUT ORDER' THEN
    PERFORM mynahoken.raise_error('0A000', 'the hit policy OUTPUT ORDER is outside the supported subset',
      detail => 'OUTPUT ORDER sorts the outputs of every matching rule by the output values; the engine''s collect orders them by the outcomes'' priority.',
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  ELSIF hp IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'unknown hit policy',
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  END IF;
  agg := CASE WHEN dt.agg IS NULL THEN CASE WHEN hp = 'collect' THEN 'list' END
              WHEN hp <> 'collect' THEN 'bad'
              ELSE CASE dt.agg WHEN 'SUM' THEN 'sum' WHEN 'MIN' THEN 'min' WHEN 'MAX' THEN 'max' WHEN 'COUNT' THEN 'count' ELSE 'bad' END END;
  IF agg = 'bad' THEN
    PERFORM mynahoken.raise_error('22023', 'an aggregation needs the hit policy COLLECT and is one of SUM, MIN, MAX and COUNT');
  END IF;

  -- the rule table: defined from the arguments (or the document's metadata), or checked
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = rule_import_dmn.table_name;
  IF NOT FOUND THEN
    PERFORM mynahoken.rule_table_define(rule_import_dmn.table_name,
      coalesce(rule_import_dmn.decision, dt.m_decision),
      coalesce(rule_import_dmn.applies_to, string_to_array(dt.m_applies_to, ',')),
      coalesce(rule_import_dmn.exception_to, dt.m_exception_to), hp,
      coalesce(rule_import_dmn.on_no_match, dt.m_on_no_match, 'national'),
      CASE WHEN rule_import_dmn.exception_to IS NULL THEN dt.m_yields_to END,
      aggregation => agg);
    SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = rule_import_dmn.table_name;
  ELSIF t.hit_policy <> hp OR t.aggregation IS DISTINCT FROM agg THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the rule table has the hit policy %s, the DMN decision table %s'),
                                                               t.hit_policy || coalesce(' ' || t.aggregation, ''), hp || coalesce(' ' || agg, '')),
      hint => 'Import into a new table, or change the hit policy in the modeler.');
  ELSIF rule_import_dmn.decision IS DISTINCT FROM NULL AND rule_import_dmn.decision <> t.decision THEN
    PERFORM mynahoken.raise_error('22023', 'the rule table belongs to another decision');
  END IF;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;

  -- inputs: declared facts, by name or through the mapping
  FOR inp IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:input') PASSING dmn
                   COLUMNS pos FOR ORDINALITY, label text PATH '@label',
                           expr text PATH 'd:inputExpression/d:text', type_ref text PATH 'd:inputExpression/@typeRef') AS x
     ORDER BY x.pos
  LOOP
    fname := coalesce(facts->>btrim(inp.expr), facts->>inp.label, btrim(inp.expr));
    SELECT * INTO f FROM mynahoken.rule_fact x WHERE x.fact = fname;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('input %s of the decision table is not a declared fact'), inp.pos),
        hint => 'Map its expression to a fact with facts => jsonb, or declare the fact with mynahoken.rule_fact_add().');
    END IF;
    IF inp.type_ref IS NOT NULL AND inp.type_ref <> ''
       AND NOT (inp.type_ref, f.fact_type) IN (('number', 'int'), ('integer', 'int'), ('long', 'int'), ('string', 'text'), ('string', 'enum'),
                                                ('boolean', 'boolean'), ('date', 'date')) THEN
      PERFORM mynahoken.raise_error('42804', pg_catalog.format(mynahoken.gettext('input %s has a type in the DMN that fact %s (%s) does not have'),
                                                                 inp.pos, f.fact, f.fact_type),
        hint => 'The types read are number, integer and long (int facts), string (text and enum facts), boolean and date.');
    END IF;
    cols := cols || f.fact;
    ftypes := ftypes || f.fact_type;
    fenums := fenums || jsonb_build_array(to_jsonb(f.enum_values));
  END LOOP;
  IF cardinality(cols) = 0 THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision table has no input',
      detail => 'A rule table tests at least one fact.');
  END IF;

  -- PRIORITY: the order of the output values is the outcomes' priority
  IF hp = 'priority' THEN
    pvals := ARRAY(SELECT coalesce(outcomes->>v.m[1], v.m[1])
                     FROM regexp_matches(coalesce((xpath(dpath || '/d:output/d:outputValues/d:text/text()', dmn,
                                                         ARRAY[ARRAY['d', ns]]))[1]::text, ''),
                                         '"((?:[^"\\]|\\.)*)"', 'g') WITH ORDINALITY AS v(m, o) ORDER BY v.o);
    IF cardinality(pvals) = 0 THEN
      PERFORM mynahoken.raise_error('22023', 'a PRIORITY table needs its output values, in priority order');
    END IF;
    IF NOT (SELECT bool_and(s.code IS NOT NULL AND (s.prev IS NULL OR s.prio > s.prev))
              FROM (SELECT ro.code, ro.priority AS prio, lag(ro.priority) OVER (ORDER BY a.o) AS prev
                      FROM unnest(pvals) WITH ORDINALITY AS a(v, o)
                      LEFT JOIN mynahoken.rule_outcome ro ON ro.decision = t.decision AND ro.code = a.v) AS s) THEN
      PERFORM mynahoken.raise_error('22023', 'the output values of the PRIORITY table are not outcomes in the order of their priorities',
        hint => 'The engine ranks outcomes by mynahoken.rule_outcome.priority (lower first): list the output values in that order.');
    END IF;
  END IF;

  -- the version's times and source: the arguments, or the export's metadata
  BEGIN
    v_valid := coalesce(rule_import_dmn.valid, dt.m_valid::daterange);
    v_recorded_on := coalesce(rule_import_dmn.recorded_on, dt.m_recorded_on::date);
  EXCEPTION WHEN data_exception THEN
    -- the cast's own message would repeat the text
    PERFORM mynahoken.raise_error('22P02', 'the mynahoken metadata of the document has an invalid valid range or knowledge day');
  END;
  IF v_valid IS NULL OR v_recorded_on IS NULL OR coalesce(rule_import_dmn.source, dt.m_source) IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a DMN import needs valid, source and recorded_on',
      hint => 'Pass them as arguments; a document exported by mynahoken.rule_export_dmn carries them.');
  END IF;
  INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, note)
  VALUES (rule_import_dmn.table_name, v_valid, v_recorded_on,
          coalesce(rule_import_dmn.source, dt.m_source), cols, coalesce(rule_import_dmn.note, dt.m_note))
  RETURNING version_id INTO vid;

  -- rules: row numbers from ids row_<n> (the export's) when every rule has a distinct one
  SELECT count(*) = count(DISTINCT x.id)
         AND bool_and(CASE WHEN x.id ~ '^row_[0-9]{1,6}$' THEN substr(x.id, 5)::int > 0 ELSE false END)
    INTO use_ids
    FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule') PASSING dmn COLUMNS id text PATH '@id') AS x;
  -- every input entry, read once: the texts of each rule's entries in order
  SELECT jsonb_object_agg(y.rule_pos, y.texts) INTO entries
    FROM (SELECT x.rule_pos, jsonb_agg(coalesce(x.txt, '') ORDER BY x.pos) AS texts
            FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule/d:inputEntry') PASSING dmn
                   COLUMNS rule_pos integer PATH 'count(../preceding-sibling::d:rule) + 1',
                           pos integer PATH 'count(preceding-sibling::d:inputEntry) + 1',
                           txt text PATH 'd:text') AS x
           GROUP BY x.rule_pos) AS y;
  -- the annotation column named label gives the rows' labels (0: none)
  label_col := coalesce((xpath(format('count(%s/d:annotation[@name="label"]/preceding-sibling::d:annotation) + 1', dpath), dmn,
                               ARRAY[ARRAY['d', ns]]))[1]::text::integer, 0);
  IF (xpath(format('count(%s/d:annotation[@name="label"])', dpath), dmn, ARRAY[ARRAY['d', ns]]))[1]::text = '0' THEN
    label_col := 0;
  END IF;
  FOR rl IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule') PASSING dmn
                   COLUMNS pos FOR ORDINALITY, id text PATH '@id', description text PATH 'd:description',
                           n_in integer PATH 'count(d:inputEntry)', n_out integer PATH 'count(d:outputEntry)',
                           out_text text PATH 'd:outputEntry/d:text',
                           label text PATH (format('d:annotationEntry[%s]/d:text', label_col))) AS x
     ORDER BY x.pos
  LOOP
    rn := CASE WHEN use_ids THEN substr(rl.id, 5)::int ELSE rl.pos END;
    IF rl.n_in <> cardinality(cols) OR rl.n_out <> 1 THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('rule %s has %s input entries and %s output entries for %s inputs and one output'),
                                                                 rl.pos, rl.n_in, rl.n_out, cardinality(cols)));
    END IF;
    cells := '{}';
    FOR ent IN SELECT e.o::integer AS pos, e.v AS txt
                 FROM jsonb_array_elements_text(coalesce(entries->(rl.pos::text), '[]')) WITH ORDINALITY AS e(v, o) ORDER BY e.o LOOP
      -- "-" and the empty entry need neither translation nor check
      IF btrim(ent.txt) IN ('', '-') THEN
        cells := cells || '-'::text;
        CONTINUE;
      END IF;
      SELECT * INTO tr FROM mynahoken.rule_feel_translate(ent.txt, ftypes[ent.pos]);
      IF tr.problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error(tr.sqlstate, pg_catalog.format(mynahoken.gettext('unsupported FEEL in rule %s, column "%s"'), rl.pos, cols[ent.pos]),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), tr.problem) AS x),
          hint => 'The FEEL read is -, null, not(...), lists, comparisons, ranges, numbers, strings, true, false and date("YYYY-MM-DD"): rewrite the entry in the modeler.');
      END IF;
      problem := mynahoken.rule_cell_problem(tr.cell, ftypes[ent.pos],
                   CASE WHEN ftypes[ent.pos] = 'enum' THEN ARRAY(SELECT jsonb_array_elements_text(fenums->(ent.pos - 1))) END);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid cell in rule %s, column "%s"'), rl.pos, cols[ent.pos]),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2)
                       FROM pg_catalog.format(mynahoken.gettext('%s at character %s of the translation.'),
                                              mynahoken.gettext(substring(problem FROM '^(.*) at character')),
                                              substring(problem FROM '([0-9]+)$')) AS x));
      END IF;
      cells := cells || tr.cell;
    END LOOP;
    -- the output: an outcome as a FEEL string, or a date decision's expression
    c := btrim(coalesce(rl.out_text, ''));
    IF d.output_type = 'date' THEN
      outv := CASE WHEN c ~ '^date\(\s*"[0-9]{4}-[0-9]{2}-[0-9]{2}"\s*\)$' THEN substring(c FROM '"(.*)"') ELSE c END;
      problem := mynahoken.rule_expr_problem(outv);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid output entry in rule %s'), rl.pos),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), problem) AS x),
          hint => 'A date decision''s output is date("YYYY-MM-DD") or an output expression of the rule engine (add_months(day, 12) ...).');
      END IF;
    ELSE
      IF c !~ '^"(?:[^"\\]|\\.)*"$' THEN
        PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the output entry of rule %s is not a string literal'), rl.pos),
          hint => 'An outcome is written as a FEEL string, "code".');
      END IF;
      outv := substr(c, 2, length(c) - 2);
      outv := coalesce(outcomes->>outv, outv);
      IF hp = 'priority' AND NOT outv = ANY (pvals) THEN
        PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the output of rule %s is not among the output values of the PRIORITY table'), rl.pos));
      END IF;
      IF NOT EXISTS (SELECT FROM mynahoken.rule_outcome ro WHERE ro.decision = t.decision AND ro.code = outv) THEN
        PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('the output of rule %s is not an outcome of decision %s'), rl.pos, t.decision),
          hint => 'Map it with outcomes => jsonb, or add the outcome with mynahoken.rule_outcome_add().');
      END IF;
    END IF;
    -- PostgreSQL's own message would repeat the values
    BEGIN
      INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note)
      VALUES (vid, rn, cells, outv, nullif(rl.label, ''), nullif(rl.description, ''));
    EXCEPTION WHEN unique_violation THEN
      PERFORM mynahoken.raise_error('23505', pg_catalog.format(mynahoken.gettext('rule %s repeats a row number'), rl.pos));
    END;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row r WHERE r.version_id = vid) THEN
    PERFORM mynahoken.raise_error('22P02', 'the decision table has no rule');
  END IF;
  RETURN vid;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) IS
  'Import a DMN 1.3/1.4/1.5 decision table (read with XMLTABLE) as a draft version of a rule table, defined when new (decision, applies_to, exception_to, on_no_match from the arguments or the export''s metadata); inputs are facts by expression or through facts => {"expression": "fact"}, outputs outcomes through outcomes => {"string": "code"}, FEEL unary tests become cells; valid, source and recorded_on from the arguments or the metadata; returns the version id. Errors name the rule number and column, never the text: 0A000 outside the subset (OUTPUT ORDER, several outputs, decimals, arithmetic, function calls), 22P02 bad FEEL or cell, 42704 unknown fact or outcome, 42804 type mismatch, 22023 hit policy or priorities that do not fit';

CREATE FUNCTION mynahoken.rule_export_dmn(version_id bigint)
RETURNS xml
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  d mynahoken.rule_decision;
  ident text;
  has_label boolean;
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_export_dmn.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'no such rule version');
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  ident := translate(t.table_name, '.', '_');
  SELECT bool_or(r.label IS NOT NULL) INTO has_label FROM mynahoken.rule_row r WHERE r.version_id = v.version_id;
  RETURN xmlelement(name definitions,
    xmlattributes('https://www.omg.org/spec/DMN/20191111/MODEL/' AS xmlns,
                  'https://www.omg.org/spec/DMN/20191111/DMNDI/' AS "xmlns:dmndi",
                  'http://www.omg.org/spec/DMN/20180521/DC/' AS "xmlns:dc",
                  'urn:mynahoken:dmn' AS "xmlns:mh",
                  'definitions_' || ident AS id, t.table_name AS name, 'urn:mynahoken:rules' AS namespace,
                  'mynahoken' AS exporter, '0.2' AS "exporterVersion"),
    xmlelement(name decision, xmlattributes('decision_' || ident AS id, t.table_name AS name),
      xmlelement(name description,
        format('%s, version %s (%s): valid %s, recorded on %s, source %s; %s, exception to %s, applies to %s',
               t.decision, v.version_id, v.status, v.valid, v.recorded_on, v.source, t.layer,
               t.exception_to, array_to_string(t.applies_to, ','))),
      xmlelement(name "extensionElements",
        xmlelement(name "mh:version",
          xmlattributes(t.table_name AS "table", t.decision AS decision, array_to_string(t.applies_to, ',') AS applies_to,
                        t.exception_to AS exception_to, t.on_no_match AS on_no_match, t.yields_to AS yields_to,
                        v.version_id AS version_id, v.status AS status, v.valid::text AS valid,
                        v.recorded_on::text AS recorded_on, v.recorded_at::text AS recorded_at, v.source AS source,
                        v.author AS author, v.approved_by AS approved_by, v.note AS note))),
      xmlelement(name "decisionTable",
        xmlattributes('table_' || ident AS id,
                      CASE t.hit_policy WHEN 'rule_order' THEN 'RULE ORDER' ELSE upper(t.hit_policy) END AS "hitPolicy",
                      CASE WHEN t.aggregation <> 'list' THEN upper(t.aggregation) END AS aggregation),
        (SELECT xmlagg(xmlelement(name input, xmlattributes('input_' || i AS id, v.columns[i] AS label),
                         xmlelement(name "inputExpression",
                           xmlattributes('inputExpression_' || i AS id,
                                         CASE f.fact_type WHEN 'int' THEN 'number' WHEN 'date' THEN 'date'
                                                          WHEN 'boolean' THEN 'boolean' ELSE 'string' END AS "typeRef"),
                           xmlelement(name text, v.columns[i]))) ORDER BY i)
           FROM generate_subscripts(v.columns, 1) AS i
           JOIN mynahoken.rule_fact f ON f.fact = v.columns[i]),
        xmlelement(name output, xmlattributes('output_1' AS id, CASE WHEN d.output_type = 'date' THEN 'value' ELSE 'outcome' END AS name,
                                              CASE WHEN d.output_type = 'date' THEN 'date' ELSE 'string' END AS "typeRef"),
          CASE WHEN t.hit_policy = 'priority' THEN
            xmlelement(name "outputValues",
              xmlelement(name text, (SELECT string_agg('"' || o.code || '"', ',' ORDER BY o.priority, o.code)
                                       FROM mynahoken.rule_outcome o WHERE o.decision = t.decision
                                        AND o.code IN (SELECT r.outcome FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))))
          END),
        CASE WHEN has_label THEN xmlelement(name annotation, xmlattributes('label' AS name)) END,
        (SELECT xmlagg(xmlelement(name rule, xmlattributes('row_' || r.row_no AS id),
                         CASE WHEN r.note IS NOT NULL THEN xmlelement(name description, r.note) END,
                         (SELECT xmlagg(xmlelement(name "inputEntry", xmlattributes(format('row_%s_in_%s', r.row_no, i) AS id),
                                          xmlelement(name text, mynahoken.rule_cell_feel(r.cells[i], f.fact_type, f.enum_values))) ORDER BY i)
                            FROM generate_subscripts(v.columns, 1) AS i
                            JOIN mynahoken.rule_fact f ON f.fact = v.columns[i]),
                         xmlelement(name "outputEntry", xmlattributes(format('row_%s_out', r.row_no) AS id),
                           xmlelement(name text,
                             CASE WHEN d.output_type = 'date' THEN
                                    CASE WHEN r.outcome ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN 'date("' || r.outcome || '")' ELSE r.outcome END
                                  ELSE '"' || replace(replace(r.outcome, '\', '\\'), '"', '\"') || '"' END)),
                         CASE WHEN has_label THEN xmlelement(name "annotationEntry", xmlelement(name text, r.label)) END)
                       ORDER BY r.row_no)
           FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))),
    xmlelement(name "dmndi:DMNDI",
      xmlelement(name "dmndi:DMNDiagram", xmlattributes('diagram_' || ident AS id),
        xmlelement(name "dmndi:DMNShape", xmlattributes('shape_' || ident AS id, 'decision_' || ident AS "dmnElementRef"),
          xmlelement(name "dc:Bounds", xmlattributes(80 AS height, 180 AS width, 160 AS x, 100 AS y))))));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_export_dmn(bigint) IS
  'A rule version as DMN 1.3 XML that Camunda Modeler opens: one decision with its decision table (hit policy, aggregation, inputs typed from the facts, cells as FEEL unary tests, outcomes as strings, row notes as rule descriptions, labels as an annotation column, PRIORITY output values in priority order), the version''s source, valid time, knowledge day, status, author and approver in the description and in extensionElements (mh:version, read back by mynahoken.rule_import_dmn), and a diagram shape; 42704 for an unknown version, 0A000 for sql: cells';

REVOKE ALL ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) TO mynahoken_rule_author;

-- Issue 15, DMN interop: export read by dmn-moddle; refusals name the FEEL
-- construct (operator, keyword, function name), never a value.
CREATE OR REPLACE FUNCTION mynahoken.rule_feel_endpoint(toks text[], kinds text[], poss integer[], i integer,
                                             fact_type text,
                                             OUT cell text, OUT next integer, OUT sqlstate text, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t text := toks[i];
  k text := kinds[i];
  v text;
BEGIN
  next := i + 1;
  IF t IS NULL THEN
    sqlstate := '22P02';
    problem := mynahoken.gettext('the entry ends in the middle of a test');
    RETURN;
  END IF;
  IF k = 'str' THEN
    -- FEEL escapes \" \\ \n \t; the cell language doubles its quotes
    v := replace(replace(replace(replace(replace(substr(t, 2, length(t) - 2),
           '\\', E'\x01'), '\"', '"'), '\n', E'\n'), '\t', E'\t'), E'\x01', '\');
    IF fact_type = 'enum' AND v ~ '^[a-z_][a-z0-9_]*$' THEN
      cell := v;
    ELSE
      cell := '"' || replace(v, '"', '""') || '"';
    END IF;
  ELSIF k = 'num' THEN
    IF strpos(t, '.') > 0 THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('a decimal literal at character %s: the engine''s numbers are whole numbers'), poss[i]);
      RETURN;
    END IF;
    cell := t;
  ELSIF t = '-' AND kinds[i + 1] = 'num' AND strpos(toks[i + 1], '.') = 0 THEN
    cell := '-' || toks[i + 1];
    next := i + 2;
  ELSIF k = 'name' AND t = 'date' THEN
    IF toks[i + 1] IS DISTINCT FROM '(' OR kinds[i + 2] IS DISTINCT FROM 'str' OR toks[i + 3] IS DISTINCT FROM ')'
       OR toks[i + 2] !~ '^"[0-9]{4}-[0-9]{2}-[0-9]{2}"$' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('date() other than date("YYYY-MM-DD") at character %s'), poss[i]);
      RETURN;
    END IF;
    cell := substr(toks[i + 2], 2, 10);
    next := i + 4;
  ELSIF k = 'name' AND t = 'param' THEN
    IF toks[i + 1] IS DISTINCT FROM '(' OR kinds[i + 2] IS DISTINCT FROM 'name' OR toks[i + 3] IS DISTINCT FROM ')'
       OR toks[i + 2] !~ '^[a-z_][a-z0-9_]*$' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('param() other than param(name) at character %s'), poss[i]);
      RETURN;
    END IF;
    cell := 'param(' || toks[i + 2] || ')';
    next := i + 4;
  ELSIF k = 'name' AND toks[i + 1] = '(' THEN
    sqlstate := '0A000';
    -- the function's name is grammar, not a value: named unless it holds a run of digits
    IF t !~ '[0-9]{4}' THEN
      problem := pg_catalog.format(mynahoken.gettext('the function call %s( at character %s: only date(), param() and not() are imported'), t, poss[i]);
    ELSE
      problem := pg_catalog.format(mynahoken.gettext('a function call other than date(), param() and not() at character %s'), poss[i]);
    END IF;
    RETURN;
  ELSIF k = 'name' AND t = 'null' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('null inside a list, a comparison or a range at character %s'), poss[i]);
    RETURN;
  ELSIF k = 'name' AND t IN ('and', 'or', 'if', 'then', 'else', 'for', 'some', 'every', 'in', 'between',
                              'instance', 'of', 'function', 'satisfies', 'return') THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('the FEEL keyword "%s" at character %s: only unary tests are imported'),
                                 CASE t WHEN 'instance' THEN 'instance of' ELSE t END, poss[i]);
    RETURN;
  ELSIF k = 'name' AND t ~ '^[a-z_][a-z0-9_]*$' THEN
    -- true, false, day, or another fact: the cell parser and the checks judge it
    cell := t;
  ELSIF k = 'name' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('a name at character %s that is not a fact of the engine (lower case letters, digits and _)'), poss[i]);
    RETURN;
  ELSE
    -- strings and numbers are read above: an operator or a bracket
    sqlstate := '22P02';
    problem := pg_catalog.format(mynahoken.gettext('unexpected "%s" at character %s'), t, poss[i]);
    RETURN;
  END IF;
  IF toks[next] IN ('+', '-', '*', '/', '**') THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('the arithmetic operator "%s" at character %s'), toks[next], poss[next]);
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_endpoint(text[], text[], integer[], integer, text) IS
  'Internal: one endpoint of a FEEL unary test (number, string, date("YYYY-MM-DD"), true, false, param(name), day, a fact) from token i as cell text, the next token, or a SQLSTATE (22P02, 0A000) and the problem naming the construct (operator, keyword, function name) and the character, never a value';

CREATE OR REPLACE FUNCTION mynahoken.rule_feel_translate(feel text, fact_type text,
                                              OUT cell text, OUT sqlstate text, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  toks text[] := '{}';
  kinds text[] := '{}';
  poss integer[] := '{}';
  pos integer := 1;
  n integer;
  m record;
  fast text[];
  k text;
  i integer;
  last integer;
  neg boolean := false;
  items text[] := '{}';
  item text;
  e record;
  lo text;
BEGIN
  IF feel IS NULL OR fact_type IS NULL THEN
    RETURN;
  END IF;
  -- the common entries in one match: a constant, a comparison with one, a range of two
  fast := regexp_match(feel, '^\s*(<=|>=|<|>|=)?\s*(-?[0-9]+|true|false|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*$');
  IF fast IS NOT NULL THEN
    cell := coalesce(nullif(fast[1], '=') || ' ', '')
            || CASE WHEN fast[2] LIKE 'date(%' THEN substr(fast[2], 7, 10) ELSE fast[2] END;
    RETURN;
  END IF;
  fast := regexp_match(feel, '^\s*([][(])\s*(-?[0-9]+|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*\.\.\s*(-?[0-9]+|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*([][)])\s*$');
  IF fast IS NOT NULL THEN
    cell := CASE fast[1] WHEN '[' THEN '[' ELSE '(' END
            || CASE WHEN fast[2] LIKE 'date(%' THEN substr(fast[2], 7, 10) ELSE fast[2] END || '..'
            || CASE WHEN fast[3] LIKE 'date(%' THEN substr(fast[3], 7, 10) ELSE fast[3] END
            || CASE fast[4] WHEN ']' THEN ']' ELSE ')' END;
    RETURN;
  END IF;
  n := length(feel);
  -- one pass: every character falls in one group (the last: anything else)
  FOR m IN
    SELECT x.g[1] AS sp, x.g[2] AS str, x.g[3] AS num, x.g[4] AS op, x.g[5] AS name, x.g[6] AS bad
      FROM regexp_matches(feel, '(\s+)|("(?:[^"\\]|\\.)*")|([0-9]+(?:\.[0-9]+)?|\.[0-9]+)|(\.\.|<=|>=|!=|\*\*|[][()<>=,+*/?-])|([A-Za-z_][A-Za-z0-9_]*)|(.)', 'g') WITH ORDINALITY AS x(g, o)
     ORDER BY x.o
  LOOP
    IF m.bad IS NOT NULL THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('unexpected character at character %s'), pos);
      RETURN;
    ELSIF m.sp IS NULL THEN
      k := CASE WHEN m.str IS NOT NULL THEN 'str' WHEN m.num IS NOT NULL THEN 'num' WHEN m.op IS NOT NULL THEN 'op' ELSE 'name' END;
      toks := toks || coalesce(m.str, m.num, m.op, m.name);
      kinds := kinds || k;
      poss := poss || pos;
    END IF;
    pos := pos + length(coalesce(m.sp, m.str, m.num, m.op, m.name));
  END LOOP;
  -- an empty entry is "does not matter", as the modelers show it
  IF cardinality(toks) = 0 OR (cardinality(toks) = 1 AND toks[1] = '-') THEN
    cell := '-';
    RETURN;
  END IF;
  IF '?' = ANY (toks) THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('an expression test with "?" at character %s'), poss[array_position(toks, '?')]);
    RETURN;
  END IF;
  i := 1;
  last := cardinality(toks);
  IF toks[1] = 'not' AND toks[2] = '(' THEN
    IF toks[last] IS DISTINCT FROM ')' THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('not( without its closing ")" at character %s'), poss[1]);
      RETURN;
    END IF;
    neg := true;
    i := 3;
    last := last - 1;
  END IF;
  LOOP
    IF i > last THEN
      sqlstate := '22P02';
      problem := mynahoken.gettext('the entry ends in the middle of a test');
      RETURN;
    END IF;
    IF toks[i] = 'null' AND kinds[i] = 'name' THEN
      item := 'null';
      i := i + 1;
    ELSIF toks[i] IN ('<', '<=', '>', '>=', '=') THEN
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      item := CASE WHEN toks[i] = '=' THEN e.cell ELSE toks[i] || ' ' || e.cell END;
      i := e.next;
    ELSIF toks[i] = '!=' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('!= at character %s: write not(...)'), poss[i]);
      RETURN;
    ELSIF toks[i] IN ('[', '(', ']') AND kinds[i] = 'op' THEN
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      lo := CASE toks[i] WHEN '[' THEN '[' ELSE '(' END || e.cell;
      IF toks[e.next] IS DISTINCT FROM '..' THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('a range without ".." at character %s'), coalesce(poss[e.next], n + 1));
        RETURN;
      END IF;
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, e.next + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      IF toks[e.next] IS NULL OR toks[e.next] NOT IN (']', ')', '[') OR e.next > last THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('a range without its closing bracket at character %s'), coalesce(poss[e.next], n + 1));
        RETURN;
      END IF;
      item := lo || '..' || e.cell || CASE toks[e.next] WHEN ']' THEN ']' ELSE ')' END;
      i := e.next + 1;
    ELSE
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      item := e.cell;
      i := e.next;
    END IF;
    items := items || item;
    EXIT WHEN i > last;
    IF toks[i] IS DISTINCT FROM ',' THEN
      -- named when grammar (an operator, a keyword), never when a value
      IF kinds[i] = 'name' AND toks[i] IN ('and', 'or', 'if', 'then', 'else', 'for', 'some', 'every', 'in', 'between',
                                           'instance', 'of', 'function', 'satisfies', 'return') THEN
        sqlstate := '0A000';
        problem := pg_catalog.format(mynahoken.gettext('the FEEL keyword "%s" at character %s: only unary tests are imported'),
                                     CASE toks[i] WHEN 'instance' THEN 'instance of' ELSE toks[i] END, poss[i]);
      ELSIF kinds[i] = 'op' THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('unexpected "%s" at character %s'), toks[i], poss[i]);
      ELSE
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('unexpected token at character %s'), poss[i]);
      END IF;
      RETURN;
    END IF;
    i := i + 1;
  END LOOP;
  IF 'null' = ANY (items) AND cardinality(items) > 1 THEN
    sqlstate := '0A000';
    problem := mynahoken.gettext('null in a list with other tests: the cell language tests null alone');
    RETURN;
  END IF;
  IF items = ARRAY['null'] THEN
    cell := CASE WHEN neg THEN 'not null' ELSE 'null' END;
  ELSIF neg THEN
    cell := 'not(' || array_to_string(items, ', ') || ')';
  ELSE
    cell := array_to_string(items, ', ');
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_translate(text, text) IS
  'Internal: a FEEL unary test (DMN input entry) as a cell of the cell language for a fact type: -, null, not(null), true, false, numbers, strings, date("YYYY-MM-DD"), comparisons < <= > >= =, ranges [a..b] (a..b) ]a..b[, lists, not(...), param(name), day and facts; otherwise the SQLSTATE (22P02 syntax, 0A000 outside the subset) and the problem naming the construct (operator, keyword, function name) and its character, never a value';

COMMENT ON FUNCTION mynahoken.rule_feel_cell(text, text, text[]) IS
  'A FEEL unary test (DMN input entry) as a cell of the cell language, checked against a fact type (int, date, boolean, enum with its values, text); 22P02 for bad syntax or a cell the type refuses, 0A000 for FEEL outside the supported subset (decimals, arithmetic, function calls, "?" tests, null in a list), the DETAIL naming the construct (operator, keyword, function name) and character, never a value (string, number, date); NULL for NULL';

COMMENT ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) IS
  'Import a DMN 1.3/1.4/1.5 decision table (read with XMLTABLE) as a draft version of a rule table, defined when new (decision, applies_to, exception_to, on_no_match from the arguments or the export''s metadata); inputs are facts by expression or through facts => {"expression": "fact"}, outputs outcomes through outcomes => {"string": "code"}, FEEL unary tests become cells; valid, source and recorded_on from the arguments or the metadata; returns the version id. Errors name the rule number, the column and, in the DETAIL, the FEEL construct (operator, keyword, function name) and character, never a value: 0A000 outside the subset (OUTPUT ORDER, several outputs, decimals, arithmetic, function calls), 22P02 bad FEEL or cell, 42704 unknown fact or outcome, 42804 type mismatch, 22023 hit policy or priorities that do not fit';
-- ---------------------------------------------------------------------------
-- Issue 13, incremental nights and renewal: the planning state of each
-- member (a night decides again only the members whose facts changed, whose
-- decision can change by the day, or all under a new calendar generation), a
-- rerun of a planned day in one scan, and the renewal of 資格確認書 ahead of
-- the end of their validity (two insurer-decision parameters).

ALTER TABLE mynahoken.issuance_run
  ADD COLUMN generation int,
  ADD COLUMN source_rows bigint,
  ADD COLUMN source_digest numeric;

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
COMMENT ON TRIGGER issuance_queue_forget_deleted ON mynahoken.issuance_queue IS
  'Members whose planned documents are deleted are decided again by the next run';
COMMENT ON TRIGGER issuance_queue_forget_truncated ON mynahoken.issuance_queue IS
  'An emptied queue empties the planning state: the next run decides every member';

INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description, shipped) VALUES
  ('certificate_renewal_lead_days', 'int', 'days',
   'Insurer decision: days before the end of a 資格確認書''s validity from which its renewal is planned', true),
  ('certificate_request_renews', 'boolean', 'flag',
   'Insurer decision: a 資格確認書 issued on application (on_request) is renewed without a new application', true);
INSERT INTO mynahoken.legal_parameter_entry
  (parameter_id, name, value_type, scope, valid, recorded_on, value_int, value_bool,
   source_id, confirmed, note, shipped) VALUES
  (44, 'certificate_renewal_lead_days', 'int', NULL, '[2024-12-02,)', '2024-12-02', 30, NULL,
   (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = 'mynahoken-default'), false,
   '後期 and 国保 certificates are valid one year and renewed each 8/1 (静岡県広域連合), so the renewal is mailed in July; how many days ahead is the insurer''s choice (UNCONFIRMED).', true),
  (45, 'certificate_request_renews', 'boolean', NULL, '[2024-12-02,)', '2025-03-13', NULL, true,
   (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = 'mhlw-2025-03-13'), false,
   '要配慮者 already issued one on application are renewed without a new application (MHLW 2025-03-13); 埼玉県広域連合 and 魚沼市 say the same of every 後期 applicant from 2027-08. For other applicants the insurer decides (UNCONFIRMED).', true);

CREATE OR REPLACE FUNCTION mynahoken.issuance_prepare(p_run bigint)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
SET jit = off   -- compiling the snapshot's expressions costs more than it saves
AS $$
#variable_conflict use_column
DECLARE
  r mynahoken.issuance_run;
  src regclass;
  gen int;
  base mynahoken.issuance_run;
  same_day boolean := false;
  total_rows bigint;
  total_digest numeric;
  n bigint;
  looks bigint;
  dnum int;
  from_day date;
  rounds_open boolean;
  pname text;
  c record;
  e jsonb;
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

  -- The generation a decision is valid under: the legal calendar as known
  -- for the run, the run's settings, the extension's version, and the last
  -- day up to as_of on which a calendar value starts, ends or is reached
  -- (a value's day, the day after it, a window's bounds and its end plus
  -- late_days): crossing one may change any member's decision.
  SELECT hashtext(concat_ws('|',
           md5(string_agg(e.*::text, ',' ORDER BY e.parameter_id)),
           count(*) FILTER (WHERE e.recorded_on <= coalesce(r.known_on, current_date)),
           r.known_on, r.late_days, r.source,
           (SELECT x.extversion FROM pg_extension x WHERE x.extname = 'mynahoken'),
           (SELECT max(x.d) FROM mynahoken.legal_parameter_entry e2,
                   unnest(ARRAY[lower(e2.valid), upper(e2.valid), e2.value_date, e2.value_date + 1,
                                lower(e2.value_range), upper(e2.value_range),
                                upper(e2.value_range) + r.late_days]) AS x(d)
             WHERE x.d <= r.as_of)))
    INTO gen FROM mynahoken.legal_parameter_entry e;
  CREATE TEMP TABLE mh_iss_state (generation int NOT NULL, late_days int NOT NULL);
  INSERT INTO pg_temp.mh_iss_state VALUES (gen, r.late_days);

  -- A rerun of a day already planned (the last finished run planned the
  -- same day under the same generation): when the source's rows with a key
  -- and the sum of their fact hashes are those that run left, every member
  -- is decided for the day already, and one scan of the source is the whole
  -- run.
  SELECT x.* INTO base FROM mynahoken.issuance_run x
   WHERE x.run_id < p_run AND x.status = 'finished' AND x.source = r.source
   ORDER BY x.run_id DESC LIMIT 1;
  IF base.as_of = r.as_of AND base.generation = gen THEN
    EXECUTE format($q$
      SELECT count(*), sum(pg_catalog.hash_record_extended(ROW(src.member_key::text, src.insurer_number::text,
               src.birth_date, src.acquired_on, src.lost_on, src.employer::text, src.my_number_linked,
               src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on, src.certificate_requested_on,
               src.certificate_valid_until), 0))
        FROM %s AS src WHERE src.member_key IS NOT NULL
    $q$, src) INTO total_rows, total_digest;
    same_day := coalesce(total_rows = base.source_rows AND total_digest = base.source_digest, false);
  END IF;

  -- The members to decide: every row of the source whose facts (a hash of
  -- the row as read here) differ from those of its last decision, whose
  -- decision may change by as_of (next_change), that was decided for a
  -- later day or under another generation; with the problems that make the
  -- decision functions refuse a row (contradictory dates as
  -- member_facts_conflict says; the birth date, needed by the 後期高齢者 age
  -- rule, is required of every member).  No order: a run taken over after a
  -- kill finds the members its committed chunks decided unchanged.  The
  -- hash join is on the hash alone; the key is compared for the matches.
  EXECUTE format($q$
    CREATE TEMP TABLE mh_iss_snap AS
    SELECT row_number() OVER () AS rn, s.*,
           mynahoken.category(s.ins) AS category,
           CASE WHEN s.k IS NULL THEN 'member_key_missing'
                WHEN s.ins IS NULL THEN 'invalid_insurer_number'
                WHEN s.acquired_on IS NULL THEN 'acquired_on_missing'
                WHEN s.birth_date IS NULL THEN 'birth_date_missing'
                ELSE mynahoken.member_facts_conflict(s.birth_date, s.acquired_on, s.lost_on, NULL, NULL)
           END AS reject
      FROM (SELECT f.k,
                   CASE WHEN mynahoken.insurer_number_is_valid(f.insurer_number)
                        THEN f.insurer_number::mynahoken.insurer_number END AS ins,
                   f.birth_date, f.acquired_on, f.lost_on, f.employer,
                   coalesce(f.my_number_linked, false) AS my_number_linked,
                   f.myna_registered_on, f.myna_withdrawn_on, f.ecert_expires_on,
                   f.certificate_requested_on, f.certificate_valid_until, f.digest
              FROM (SELECT src.member_key::text AS k, src.insurer_number::text AS insurer_number,
                           src.birth_date, src.acquired_on, src.lost_on, src.employer::text AS employer,
                           src.my_number_linked, src.myna_registered_on, src.myna_withdrawn_on,
                           src.ecert_expires_on, src.certificate_requested_on, src.certificate_valid_until,
                           pg_catalog.hash_record_extended(ROW(src.member_key::text, src.insurer_number::text,
                             src.birth_date, src.acquired_on, src.lost_on, src.employer::text,
                             src.my_number_linked, src.myna_registered_on, src.myna_withdrawn_on,
                             src.ecert_expires_on, src.certificate_requested_on,
                             src.certificate_valid_until), 0) AS digest
                      FROM %s AS src
                     WHERE NOT $3) AS f
             WHERE NOT EXISTS (SELECT FROM mynahoken.issuance_member_state st
                                WHERE st.digest = f.digest AND (st.member_key = f.k) IS TRUE
                                  AND st.generation = $1 AND st.decided_on <= $2 AND st.next_change > $2)) AS s
  $q$, src) USING gen, r.as_of, same_day;

  -- What the source will look like to the next rerun of the day: scanned
  -- above, or the last run's figures moved by the members decided now (a
  -- new key adds a row, a changed row replaces its hash), or those of the
  -- whole snapshot when no member had a state; unknown for a run taken over.
  IF same_day OR total_rows IS NOT NULL THEN
    NULL;
  ELSIF r.attempts = 1 AND NOT EXISTS (SELECT FROM mynahoken.issuance_member_state) THEN
    SELECT count(*), coalesce(sum(s.digest), 0) INTO total_rows, total_digest
      FROM pg_temp.mh_iss_snap s WHERE s.k IS NOT NULL;
  ELSIF r.attempts = 1 AND base.source_rows IS NOT NULL THEN
    -- one index probe per member decided, never a scan of every state
    SELECT base.source_rows + count(*) FILTER (WHERE x.old IS NULL),
           base.source_digest + coalesce(sum(x.digest), 0) - coalesce(sum(x.old), 0)
      INTO total_rows, total_digest
      FROM (SELECT s.digest, (SELECT st.digest FROM mynahoken.issuance_member_state st
                               WHERE st.member_key = s.k) AS old
              FROM pg_temp.mh_iss_snap s WHERE s.k IS NOT NULL) AS x;
  END IF;
  UPDATE mynahoken.issuance_run x
     SET generation = gen, source_rows = total_rows, source_digest = total_digest
   WHERE x.run_id = p_run;
  CREATE UNIQUE INDEX ON pg_temp.mh_iss_snap (rn);
  ANALYZE pg_temp.mh_iss_snap;
  SELECT coalesce(max(s.rn), 0) INTO n FROM pg_temp.mh_iss_snap s;
  -- Two rows with one member key: which one a run decides, and which one a
  -- run taken over after a kill decides, is arbitrary.  Refused, counted.
  SELECT coalesce(sum(x.c - 1), 0) INTO looks
    FROM (SELECT count(*) AS c FROM pg_temp.mh_iss_snap s WHERE s.k IS NOT NULL
           GROUP BY s.k HAVING count(*) > 1) AS x;
  IF looks > 0 THEN
    PERFORM mynahoken.raise_error('23505',
      pg_catalog.format(mynahoken.gettext('member source has duplicate member keys: %s rows repeat the key of another row'), looks),
      hint => 'member_key must identify one member: make it unique in the member source (a primary key), then run again.');
  END IF;
  -- A My Number used as member key would end up in the queue and the logs:
  -- refuse the run when the keys (10,000 of them) look like My Numbers,
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

  -- Per category: validity of a 資格確認書 issued on as_of, and the renewal
  -- settings (no lead time recorded: renewed once the old one has expired).
  CREATE TEMP TABLE mh_iss_cert (category mynahoken.insurer_category PRIMARY KEY, valid_until date,
                                 lead_days int, request_renews boolean);
  INSERT INTO pg_temp.mh_iss_cert (category, valid_until)
  SELECT x.category, mynahoken.certificate_valid_until(x.category, r.as_of, r.known_on)
    FROM (SELECT DISTINCT s.category FROM pg_temp.mh_iss_snap s WHERE s.reject IS NULL) AS x;
  FOR c IN SELECT x.category FROM pg_temp.mh_iss_cert x LOOP
    BEGIN
      UPDATE pg_temp.mh_iss_cert x
         SET lead_days = mynahoken.legal_value_int('certificate_renewal_lead_days', r.as_of, c.category, r.known_on)
       WHERE x.category = c.category;
    EXCEPTION WHEN no_data_found THEN
      NULL;
    END;
    BEGIN
      UPDATE pg_temp.mh_iss_cert x
         SET request_renews = mynahoken.legal_value_bool('certificate_request_renews', r.as_of, c.category, r.known_on)
       WHERE x.category = c.category;
    EXCEPTION WHEN no_data_found THEN
      NULL;
    END;
  END LOOP;
  -- Bases of certificates per category, reason and day decided for, from
  -- the explanation of the first member planned with them (issuance_plan_rows
  -- fills it as it meets them).
  CREATE TEMP TABLE mh_iss_map (category mynahoken.insurer_category, reason text, day date, basis_id bigint,
                                PRIMARY KEY (category, reason, day));


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
  'Internal: snapshot of the members of the source to decide (new, changed, due, or all under a new calendar generation), validity and renewal settings per category and notice windows open on as_of; returns the error or NULL';

-- The candidates gain the member rows (hash of the facts, next change day).
DROP FUNCTION mynahoken.issuance_candidates(date, date, bigint, bigint);
CREATE FUNCTION mynahoken.issuance_candidates(p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS TABLE (rn bigint, member_key text, document mynahoken.issuance_document, reason text,
               acquired_on date, issue_window date, valid_from date, valid_until date,
               sending_window daterange, insurer_number mynahoken.insurer_number,
               category mynahoken.insurer_category, employer text, basis_id bigint,
               digest bigint, next_change date)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_state') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_candidates is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
  RETURN QUERY
  WITH d AS MATERIALIZED (
    SELECT s.rn, s.k, s.ins, s.category, s.birth_date, s.acquired_on, s.lost_on, s.employer,
           s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on, s.ecert_expires_on,
           s.certificate_requested_on, s.certificate_valid_until, s.digest,
           mynahoken.certificate_need(s.category, p_as_of, s.birth_date, s.acquired_on, s.lost_on,
                                      s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                      s.ecert_expires_on, s.certificate_requested_on, p_known_on) AS need
      FROM pg_temp.mh_iss_snap s
     WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NULL
  ), h AS MATERIALIZED (
    -- The certificate the member holds for this 資格: the source's, or the
    -- latest planned (looked up only when one is needed).
    SELECT d.*, c.valid_until AS new_until, c.lead_days, c.request_renews,
           greatest(d.certificate_valid_until, q.held) AS held
      FROM d
      JOIN pg_temp.mh_iss_cert c ON c.category = d.category
      LEFT JOIN LATERAL (SELECT max(x.valid_until) AS held FROM mynahoken.issuance_queue x
                          WHERE mynahoken.certificate_needed(d.need)
                            AND x.member_key = d.k AND x.document = 'certificate'
                            AND x.acquired_on = d.acquired_on AND x.status <> 'withdrawn') AS q ON true
  ), rw AS MATERIALIZED (
    -- Renewal: a held certificate ending within the lead time is followed by
    -- one valid from the day after, for the need on that day; a certificate
    -- issued on application is renewed only where certificate_request_renews.
    SELECT h.*, x.renew_need,
           CASE WHEN mynahoken.certificate_needed(x.renew_need)
                 AND NOT (x.renew_need = 'on_request' AND NOT coalesce(h.request_renews, true)
                          AND h.certificate_requested_on <= h.held)
                THEN mynahoken.certificate_valid_until(h.category, h.held + 1, p_known_on) END AS renew_until
      FROM h
      CROSS JOIN LATERAL (
        SELECT CASE WHEN h.held >= p_as_of AND p_as_of > h.held - h.lead_days
                    THEN mynahoken.certificate_need(h.category, h.held + 1, h.birth_date, h.acquired_on, h.lost_on,
                                                    h.my_number_linked, h.myna_registered_on, h.myna_withdrawn_on,
                                                    h.ecert_expires_on, h.certificate_requested_on, p_known_on)
               END AS renew_need) AS x
  ), n AS MATERIALIZED (
    SELECT y.*,
           -- the last valid day of the certificate the member holds once this range is planned
           CASE WHEN y.new_cert THEN y.new_until ELSE coalesce(y.renew_until, y.held) END AS until
      FROM (SELECT rw.*, ntc.win, ntc.rule, ntc.basis_id AS notice_basis, st.late_days,
                   mynahoken.certificate_needed(rw.need) AND (rw.held IS NULL OR rw.held < p_as_of) AS new_cert
              FROM rw
              CROSS JOIN pg_temp.mh_iss_state st
              -- only for a member with its My Number linked: whether the window of an
              -- unlinked member's day is known depends on the other members decided
              LEFT JOIN pg_temp.mh_iss_notice ntc ON rw.my_number_linked AND ntc.category = rw.category
                                                  AND ntc.acquired_on = rw.acquired_on
           ) AS y
  )
  -- 資格確認書: needed on as_of (certificate_need), unless the member holds one valid on as_of.
  SELECT n.rn, n.k, 'certificate'::mynahoken.issuance_document, n.need::text, n.acquired_on,
         n.new_until, p_as_of, n.new_until, NULL::daterange, n.ins, n.category, n.employer,
         mp.basis_id, NULL::bigint, NULL::date
    FROM n
    LEFT JOIN pg_temp.mh_iss_map mp ON mp.category = n.category AND mp.reason = n.need::text AND mp.day = p_as_of
   WHERE n.new_cert
  UNION ALL
  -- Renewal of the held 資格確認書.
  SELECT n.rn, n.k, 'certificate'::mynahoken.issuance_document, n.renew_need::text, n.acquired_on,
         n.renew_until, n.held + 1, n.renew_until, NULL::daterange, n.ins, n.category, n.employer,
         mp.basis_id, NULL::bigint, NULL::date
    FROM n
    LEFT JOIN pg_temp.mh_iss_map mp ON mp.category = n.category AND mp.reason = n.renew_need::text AND mp.day = n.held + 1
   WHERE n.renew_until IS NOT NULL
  UNION ALL
  -- 資格情報のお知らせ: My Number linked, eligible, window open on as_of, and
  -- not a member who gets a 資格確認書 instead under the 後期高齢者 rules.
  SELECT n.rn, n.k, 'notice'::mynahoken.issuance_document, n.rule, n.acquired_on,
         lower(n.win), NULL::date, NULL::date, n.win, n.ins, n.category, n.employer, n.notice_basis,
         NULL::bigint, NULL::date
    FROM n
   WHERE n.win IS NOT NULL AND n.my_number_linked
     AND n.need NOT IN ('not_eligible', 'late_elderly_blanket', 'late_elderly_age')
  UNION ALL
  -- The member: the first day after as_of on which its decision can change
  -- (a date of its facts, the end of the マイナ保険証's grace, the renewal of
  -- the certificate it holds, its notice window opening or closing), or
  -- infinity; reason 'certificate_held' when the certificate it needs is
  -- held already.  Age counts only on calendar days (the 後期 age rule
  -- measures it on late_elderly_age_rule_from), which change the generation.
  SELECT n.rn, n.k, NULL::mynahoken.issuance_document,
         CASE WHEN mynahoken.certificate_needed(n.need) AND NOT n.new_cert AND n.renew_until IS NULL
              THEN 'certificate_held' END,
         n.acquired_on, NULL::date, NULL::date, NULL::date, NULL::daterange, n.ins, n.category,
         n.employer, NULL::bigint, n.digest,
         coalesce(least(
           CASE WHEN n.acquired_on > p_as_of THEN n.acquired_on END,
           CASE WHEN n.lost_on > p_as_of THEN n.lost_on END,
           CASE WHEN n.myna_registered_on > p_as_of THEN n.myna_registered_on END,
           CASE WHEN n.myna_withdrawn_on > p_as_of THEN n.myna_withdrawn_on END,
           CASE WHEN n.certificate_requested_on > p_as_of THEN n.certificate_requested_on END,
           CASE WHEN n.ecert_expires_on > p_as_of THEN n.ecert_expires_on
                WHEN n.ecert_expires_on IS NOT NULL
                THEN nullif(greatest(mynahoken.myna_usable_until(n.category, n.ecert_expires_on, p_known_on) + 1,
                                     p_as_of), p_as_of) END,
           CASE WHEN n.until >= p_as_of THEN CASE WHEN n.until - n.lead_days >= p_as_of THEN n.until + 1 - n.lead_days
                                                  ELSE n.until + 1 END END,
           CASE WHEN lower(n.win) > p_as_of THEN lower(n.win) END,
           CASE WHEN upper(n.win) + n.late_days > p_as_of THEN upper(n.win) + n.late_days END), 'infinity')
    FROM n;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_candidates(date, date, bigint, bigint) IS
  'Internal: the planning rules: documents the snapshot rows rn in [lo, hi] need on as_of (new and renewed 資格確認書, お知らせ), before removing notices already planned, and per member (document NULL) the hash of its facts and the first day its decision can change';

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
  IF pg_catalog.to_regclass('pg_temp.mh_iss_map') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_certificate_basis is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
  SELECT mynahoken.issuance_merge_explanations(
           mynahoken.explain_certificate_need(s.category, p_as_of, s.birth_date, s.acquired_on, s.lost_on,
                                              s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                              s.ecert_expires_on, s.certificate_requested_on, p_known_on),
           mynahoken.explain_certificate_valid_until(p_category, p_as_of, p_known_on))
    INTO m
    FROM pg_temp.mh_iss_snap s
   WHERE s.rn = p_rn;
  id := mynahoken.issuance_basis_id('certificate', p_category, p_reason, m->'rules', m->'parameters', p_run);
  INSERT INTO pg_temp.mh_iss_map (category, reason, day, basis_id) VALUES (p_category, p_reason, p_as_of, id)
  ON CONFLICT DO NOTHING;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_certificate_basis(bigint, date, date, mynahoken.insurer_category, text, bigint) IS
  'Internal: basis of a certificate reason for a category and the first day of its validity (as_of), from the explanation of one snapshot member on that day; recorded in the run''s map';

CREATE OR REPLACE FUNCTION mynahoken.issuance_plan_rows(p_run bigint, p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off   -- a chunk's plan is estimated dear enough to be compiled, which costs ~1 s a chunk
AS $$
#variable_conflict use_column
DECLARE
  c record;
  res bigint[];
  gen int;
  bases_added boolean := false;
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_state') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_plan_rows is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
  SELECT st.generation INTO gen FROM pg_temp.mh_iss_state st;
  LOOP
    BEGIN
      WITH cand AS MATERIALIZED (
        SELECT * FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi)
      ), docs AS (
        SELECT * FROM cand x WHERE x.document IS NOT NULL
      ), fresh AS (
        -- LATERAL ... LIMIT 1: one index probe per notice, never a hash join
        -- over the whole queue (which the planner picks for NOT EXISTS).
        SELECT x.* FROM docs x
          LEFT JOIN LATERAL (SELECT 1 AS found FROM mynahoken.issuance_queue q
                              WHERE x.document = 'notice' AND q.member_key = x.member_key
                                AND q.document = 'notice' AND q.acquired_on = x.acquired_on
                              LIMIT 1) AS e ON true
         WHERE e.found IS NULL
      ), ins AS (
        INSERT INTO mynahoken.issuance_queue AS q
               (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                sending_window, insurer_number, category, employer, as_of, run_id, basis_id)
        SELECT x.member_key, x.document, x.acquired_on, x.issue_window, x.reason, x.valid_from, x.valid_until,
               x.sending_window, x.insurer_number, x.category, x.employer, p_as_of, p_run, x.basis_id
          FROM fresh x
        ON CONFLICT ON CONSTRAINT issuance_queue_once DO NOTHING
        RETURNING q.document
      ), decided AS (
        INSERT INTO mynahoken.issuance_member_state AS m (member_key, digest, decided_on, next_change, generation, run_id)
        SELECT x.member_key, x.digest, p_as_of, x.next_change, gen, p_run
          FROM cand x WHERE x.document IS NULL
        ON CONFLICT (member_key) DO UPDATE
           SET digest = excluded.digest, decided_on = excluded.decided_on, next_change = excluded.next_change,
               generation = excluded.generation, run_id = excluded.run_id
      )
      SELECT ARRAY[count(*) FILTER (WHERE i.document = 'certificate'),
                   count(*) FILTER (WHERE i.document = 'notice'),
                   (SELECT count(*) FROM docs) - count(*)
                     + (SELECT count(*) FROM cand x WHERE x.document IS NULL AND x.reason = 'certificate_held')]
        INTO res FROM ins i;
      RETURN res;
    EXCEPTION WHEN not_null_violation THEN
      -- A certificate whose basis the run has not met yet: explain one
      -- member per category, reason and day, then plan the range again.
      IF bases_added THEN
        RAISE;
      END IF;
      bases_added := true;
      FOR c IN
        SELECT x.category, x.reason, x.valid_from, min(x.rn) AS rn
          FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi) x
         WHERE x.document = 'certificate' AND x.basis_id IS NULL
         GROUP BY 1, 2, 3
      LOOP
        PERFORM mynahoken.issuance_certificate_basis(p_run, c.valid_from, p_known_on, c.category, c.reason, c.rn);
      END LOOP;
    END;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_plan_rows(bigint, date, date, bigint, bigint) IS
  'Internal: insert the documents rows [lo, hi] of the snapshot need and that are not planned yet, and record each member''s decision (facts hash, days it holds, generation); returns {certificates, notices, already planned}';

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
  gen int;
BEGIN
  SELECT * INTO r FROM mynahoken.issuance_run x WHERE x.run_id = p_run;
  SELECT st.generation INTO gen FROM pg_temp.mh_iss_state st;
  -- Skipped rows: recorded once per version of their facts (the member
  -- state keeps them from the next runs until the row changes).
  WITH rej AS (
    INSERT INTO mynahoken.issuance_rejection (run_id, member_key, problem)
    SELECT p_run, s.k, s.reject FROM pg_temp.mh_iss_snap s
     WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NOT NULL AND s.k IS NOT NULL
    ON CONFLICT DO NOTHING
  )
  INSERT INTO mynahoken.issuance_member_state AS m (member_key, digest, decided_on, next_change, generation, run_id)
  SELECT s.k, s.digest, r.as_of, 'infinity', gen, p_run FROM pg_temp.mh_iss_snap s
   WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NOT NULL AND s.k IS NOT NULL
  ON CONFLICT (member_key) DO UPDATE
     SET digest = excluded.digest, decided_on = excluded.decided_on, next_change = excluded.next_change,
         generation = excluded.generation, run_id = excluded.run_id;
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
        INSERT INTO mynahoken.issuance_member_state AS m (member_key, digest, decided_on, next_change, generation, run_id)
        SELECT s.k, s.digest, r.as_of, 'infinity', gen, p_run FROM pg_temp.mh_iss_snap s
         WHERE s.rn = i
        ON CONFLICT (member_key) DO UPDATE
           SET digest = excluded.digest, decided_on = excluded.decided_on, next_change = excluded.next_change,
               generation = excluded.generation, run_id = excluded.run_id;
        bad_other := bad_other + 1;
      END;
    END LOOP;
  END;

  UPDATE mynahoken.issuance_run x
     SET members_done = x.members_done + (p_hi - p_lo + 1),
         chunks = x.chunks + 1,
         -- The last key of the chunk that does not read as a My Number
         -- (for the operator: a run taken over skips the members its
         -- committed chunks decided by their recorded state).
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
-- Issue 11, rule engine: activation time (the hit's fields as columns of the
-- generated query over the member source, the inlining check's EXPLAIN
-- without JIT, no generated query for a table without tests).

CREATE OR REPLACE FUNCTION mynahoken.rule_compile_query(decision text, mode text, source text DEFAULT NULL,
                                             candidate bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  oc record;
  facts text[];
  whens text[] := '{}';
  tried text[] := '{}';
  cell_list text;
  fm text := CASE WHEN mode IN ('member', 'facts') THEN mode END;   -- NULL: over the facts row f
  cell_preds text[];
  nat_whens text[] := '{}';
  fast_tab text[] := '{}';     -- fast mode: the table of each WHEN, and its scope condition
  fast_app text[] := '{}';
  fapplies text;
  fast_sql text[] := '{}';      -- fast mode: the WHENs of each table, with the national outcomes they apply to
  fast_outs text[] := '{}';
  -- fast mode: the CASE gives the number of a hit; its fields are constant arrays
  h_o text[] := '{}';
  h_v bigint[] := '{}';
  h_r integer[] := '{}';
  h_l text[] := '{}';
  h_t text[] := '{}';
  fcond text;
  fhit text;
  branches text;
  vcond text;
  cond text;
  scope text;
  nat text;
  unknowns text;
  fact_list text;
  hit text;
  coll text;                    -- collect, rule order: the outcomes of every matching row
  coll_lo int;
  coll_cases text := '';
  nat_case text;                -- fast mode: the number of the national hit
  undec int;
  ins jsonb := '{}';            -- fast mode: per label's outcomes, the insurer tables (COALESCE arguments)
  n_pred text[];                -- the national table's rows: predicate, hit number, label outcomes
  n_no int[];
  n_outs text[];
  from_sql text;                -- fast mode: the member source and the lateral row d of the hit number
  f_o text;                     -- fast mode: the hit's fields (outcome, version, row, layer, table, outcomes) as SQL
  f_v text;
  f_r text;
  f_l text;
  f_t text;
  f_os text;
BEGIN
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_query.decision;
  IF d.output_type = 'date' THEN
    RETURN mynahoken.rule_compile_date_query(decision, mode, source, candidate);
  END IF;
  IF NOT FOUND OR d.output_type <> 'outcome' OR d.national_fact IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision cannot be compiled yet',
      detail => 'This version compiles decisions with an outcome and a national decision to fall back on.');
  END IF;
  nat := format('f.%I', d.national_fact);
  facts := ARRAY[d.national_fact, 'insurer_number', 'category'];

  -- insurer tables in name order; each table's versions newest first
  FOR t IN
    SELECT x.*, l.outcomes
      FROM mynahoken.rule_table x JOIN mynahoken.rule_label l ON l.label = x.exception_to
     WHERE x.decision = rule_compile_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_version y
       WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
       ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_version z
         WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
           AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      cond := format('%s OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.text[])) AND %s AND %s',
                     nat, t.outcomes, mynahoken.rule_applies_sql(t.applies_to), vcond);
      -- fast mode: the national outcome is the branch; facts inline
      IF fm IS NOT NULL THEN
        fapplies := mynahoken.rule_applies_sql(t.applies_to,
                      '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                      '(' || mynahoken.rule_fact_sql('category', fm) || ')');
        fcond := vcond;      -- the table's scope is tested once, around its rows
      END IF;
      facts := facts || v.columns;
      -- a fact whose NULL means unknown, tested by a row: undecidable member
      -- (an age is unknown when the birth date is: no per-member call)
      SELECT string_agg(CASE WHEN fm IS NULL THEN format('f.%I IS NULL', c.col)
                             WHEN rf.expression ~ '^mynahoken\.rule_age_on\(\{birth_date\}, '
                             THEN format('(%s) IS NULL', mynahoken.rule_fact_sql('birth_date', fm))
                             ELSE format('(%s) IS NULL', mynahoken.rule_fact_sql(c.col, fm)) END, ' OR ')
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-') c
        JOIN mynahoken.rule_fact rf ON rf.fact = c.col AND rf.null_means = 'unknown';
      IF unknowns IS NOT NULL THEN
        whens := whens || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, unknowns, v.version_id, 'undecidable', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'undecidable'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s AND (%s) THEN %s', fcond, unknowns, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
      -- collect (by priority, then row) and rule order (by row): the first
      -- matching row gives the outcome, every matching row is in outcomes
      coll := NULL;
      IF t.hit_policy IN ('collect', 'rule_order') THEN
        SELECT format('pg_catalog.array_remove(CAST(ARRAY[%s] AS pg_catalog.text[]), NULL)',
                      string_agg(format('CASE WHEN %s THEN %L END', x.preds, x.outcome), ', ' ORDER BY x.ord, x.row_no))
          INTO coll
          FROM (SELECT rr.row_no, rr.outcome, CASE WHEN t.hit_policy = 'collect' THEN o.priority END AS ord,
                       (SELECT string_agg(mynahoken.rule_cell_sql(rr.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
                          FROM generate_subscripts(v.columns, 1) AS i) AS preds
                  FROM mynahoken.rule_row rr
                  LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                 WHERE rr.version_id = v.version_id) x;
      END IF;
      coll_lo := cardinality(h_o) + 1;
      FOR r IN
        SELECT rr.*, o.priority
          FROM mynahoken.rule_row rr
          LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
         WHERE rr.version_id = v.version_id
         ORDER BY CASE WHEN t.hit_policy IN ('priority', 'collect') THEN o.priority END, rr.row_no
      LOOP
        -- each cell's predicate once: over the facts row (trace) or inline
        SELECT array_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm) ORDER BY i)
          INTO cell_preds
          FROM generate_subscripts(v.columns, 1) AS i;
        hit := array_to_string(cell_preds, ' AND ');
        fhit := hit;
        cell_list := array_to_string(cell_preds, ', ');
        IF fm IS NOT NULL THEN
          h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
          fast_sql := fast_sql || format('WHEN %s AND %s THEN %s', fcond, fhit, cardinality(h_o));
          fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
        END IF;
        -- the explanation reads the truth of each cell from the same predicates
        tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, (%s), %L, pg_catalog.to_jsonb(ARRAY[%s]))',
                                 'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                 'in_scope', cond, 'cells', cell_list);
        whens := whens || format('WHEN %s AND %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), %s, %L, %L, %s) AS mynahoken.rule_hit)',
                                 cond, hit, r.outcome, v.version_id, r.row_no, 'insurer', t.table_name,
                                 coalesce(coll, format('CAST(ARRAY[%L] AS pg_catalog.text[])', r.outcome)));
      END LOOP;
      IF coll IS NOT NULL AND fm IS NOT NULL THEN
        coll_cases := coll_cases || format(' WHEN d.h BETWEEN %s AND %s THEN %s', coll_lo, cardinality(h_o), coll);
      END IF;
      IF t.on_no_match LIKE 'default %' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), NULL, %L, %L, CAST(ARRAY[%L] AS pg_catalog.text[])) AS mynahoken.rule_hit)',
                                 cond, substr(t.on_no_match, 9), v.version_id, 'insurer', t.table_name, substr(t.on_no_match, 9));
        h_o := h_o || substr(t.on_no_match, 9); h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      ELSIF t.on_no_match = 'error' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, v.version_id, 'no_match', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'no_match'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
    END LOOP;
  END LOOP;

  IF fm IS NOT NULL THEN
    -- The national decision is computed once per member and numbered (a
    -- simple CASE on it, lateral row n); then, for the national outcomes of
    -- each label with insurer exceptions, the WHENs of those tables in order,
    -- facts inline (lateral row d).  The number of the hit indexes constant
    -- arrays of outcome, version, row, layer and table: no composite is built
    -- per member.  n is nested in d, so that the planner has no lateral join
    -- to cache (Memoize) on fact values.
    FOR oc IN SELECT o.code FROM mynahoken.rule_outcome o
              WHERE o.decision = rule_compile_query.decision AND o.statutory ORDER BY o.priority, o.code LOOP
      h_o := h_o || oc.code; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
      h_l := h_l || 'national'::text; h_t := h_t || NULL::text;
      nat_whens := nat_whens || format('WHEN %L THEN %s', oc.code, cardinality(h_o));
    END LOOP;
    h_o := h_o || NULL::text; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
    h_l := h_l || 'undecidable'::text; h_t := h_t || NULL::text;
    undec := cardinality(h_o);
    -- per label: each table's rows behind one test of its scope; the first
    -- table with a matching row wins (COALESCE stops there), else national
    FOR oc IN SELECT g.outs, min(g.i) AS first
                FROM (SELECT fast_outs[i] AS outs, i FROM generate_subscripts(fast_outs, 1) AS i) g
               GROUP BY g.outs ORDER BY 2 LOOP
      SELECT string_agg(format('CASE WHEN %s THEN CASE %s END END', tb.app, tb.whens), ', ' ORDER BY tb.first)
        INTO fhit
        FROM (SELECT fast_tab[i] AS tab, min(fast_app[i]) AS app, min(i) AS first,
                     string_agg(fast_sql[i], ' ' ORDER BY i) AS whens
                FROM generate_subscripts(fast_sql, 1) AS i
               WHERE fast_outs[i] = oc.outs
               GROUP BY fast_tab[i]) tb;
      ins := ins || jsonb_build_object(oc.outs, fhit);
      branches := coalesce(branches || ' ', '') ||
        format('WHEN n.x OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.int4[])) THEN COALESCE(%s, n.x)',
               ARRAY(SELECT i FROM generate_subscripts(h_o, 1) AS i
                      WHERE h_l[i] = 'national' AND h_o[i] = ANY (oc.outs::text[]) ORDER BY i), fhit);
    END LOOP;
    -- The national table of the decision (shipped), its versions as
    -- conditions on the constant days: its rows in order, one CASE over the
    -- member's columns, each hit its own number (outcome, version, row).  At
    -- the first row of a label with insurer exceptions, one WHEN holds when
    -- the first matching row from there on is of that label; it tries the
    -- insurer tables (COALESCE), else finds the national row.  One CASE per
    -- member in all: no national outcome is computed apart and tested again.
    -- The lateral row d is pulled up into the scan (no OFFSET 0): a row
    -- per member in a nested loop cost more than the CASE itself, and a
    -- caller reading one column (outcome) computes the CASE once.
    FOR t IN SELECT x.* FROM mynahoken.rule_table x
              WHERE x.decision = rule_compile_query.decision AND x.layer = 'national'
              ORDER BY x.table_name LIMIT 1 LOOP
      nat_case := '';
      FOR v IN
        SELECT y.* FROM mynahoken.rule_version y
         WHERE y.table_name = t.table_name AND (y.status = 'active' OR y.version_id = candidate)
         ORDER BY y.recorded_on DESC, y.version_id DESC
      LOOP
        vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                        v.valid, v.recorded_on);
        FOR w IN
          SELECT z.* FROM mynahoken.rule_version z
           WHERE z.table_name = t.table_name AND (z.status = 'active' OR z.version_id = candidate)
             AND (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
        LOOP
          vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                   w.valid, w.recorded_on);
        END LOOP;
        -- each row: its predicate, number and the outcomes of its label
        n_pred := '{}'; n_no := '{}'; n_outs := '{}';
        FOR r IN SELECT rr.*, l.outcomes::text AS outs FROM mynahoken.rule_row rr
                   LEFT JOIN mynahoken.rule_label l ON l.label = rr.label
                  WHERE rr.version_id = v.version_id ORDER BY rr.row_no LOOP
          -- a param() is read for the row's one category, else the table's scope
          scope := CASE WHEN r.cells[array_position(v.columns, 'category')] ~ '^\s*[a-z_]+\s*$'
                         AND btrim(r.cells[array_position(v.columns, 'category')]) NOT IN ('null')
                        THEN btrim(r.cells[array_position(v.columns, 'category')])
                        ELSE mynahoken.rule_table_scope(t.applies_to) END;
          SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
            INTO hit
            FROM generate_subscripts(v.columns, 1) AS i WHERE btrim(r.cells[i]) <> '-';
          h_o := h_o || CASE WHEN r.outcome <> 'undecidable' THEN r.outcome END;
          h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || CASE WHEN r.outcome = 'undecidable' THEN 'undecidable' ELSE 'national' END;
          h_t := h_t || t.table_name;
          n_pred := n_pred || coalesce('(' || hit || ')', 'true');
          n_no := n_no || cardinality(h_o);
          n_outs := n_outs || CASE WHEN r.outcome <> 'undecidable' THEN r.outs END;
        END LOOP;
        fhit := '';
        FOR i IN 1 .. cardinality(n_pred) LOOP
          IF n_outs[i] IS NULL OR NOT ins ? n_outs[i] THEN
            fhit := fhit || format(' WHEN %s THEN %s', n_pred[i], n_no[i]);
          ELSIF array_position(n_outs[1:i - 1], n_outs[i]) IS NULL THEN
            -- the first matching row from i on is of this label: row k of
            -- the label matches and no row of another label between i and k
            SELECT string_agg(x.c, ' OR ' ORDER BY x.k) INTO cond
              FROM (SELECT k, '(' || n_pred[k] || coalesce(' AND NOT (' ||
                             (SELECT string_agg(n_pred[j], ' OR ' ORDER BY j) FROM generate_series(i, k - 1) AS j
                               WHERE n_outs[j] IS DISTINCT FROM n_outs[i]) || ')', '') || ')' AS c
                      FROM generate_series(i, cardinality(n_pred)) AS k WHERE n_outs[k] = n_outs[i]) x;
            SELECT string_agg(format('WHEN %s THEN %s', n_pred[k], n_no[k]), ' ' ORDER BY k) INTO cell_list
              FROM generate_series(i, cardinality(n_pred)) AS k;
            fhit := fhit || format(' WHEN %s THEN COALESCE(%s, CASE %s END)', cond, ins->>n_outs[i], cell_list);
          END IF;
        END LOOP;
        nat_case := nat_case || format(' WHEN %s THEN CASE%s ELSE %s END', vcond, fhit, undec);
      END LOOP;
      IF nat_case <> '' THEN
        from_sql := format(' FROM %s CROSS JOIN LATERAL (SELECT CASE%s ELSE %s END AS h) AS d',
                           CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                           nat_case, undec);
      END IF;
    END LOOP;
    IF from_sql IS NULL THEN
      -- no national table: the national fact (the C function), numbered
      nat_case := format('CASE %s %s ELSE %s END', mynahoken.rule_fact_sql(d.national_fact, fm),
                         array_to_string(nat_whens, ' '), undec);
      from_sql := format(' FROM %s CROSS JOIN LATERAL (SELECT CASE %s ELSE n.x END AS h'
                         ' FROM (SELECT %s AS x OFFSET 0) AS n OFFSET 0) AS d',
                         CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                         coalesce(branches, 'WHEN false THEN NULL'), nat_case);
    END IF;
    -- The hit's fields index constant arrays with the number of the hit,
    -- d.h: the whole CASE once d is pulled up into the scan.  Over the member
    -- source (mode member) they are the columns the generated function
    -- returns: read through a ROW, (x.hit).* would copy the ROW, and its
    -- seven copies of the CASE, for each of the seven fields (49 copies for
    -- the planner, most of the activation time of a 200-row table).  For one
    -- member (mode facts) the hit is the composite.
    f_o := format('(CAST(%L AS pg_catalog.text[]))[d.h]', h_o);
    f_v := format('(CAST(%L AS pg_catalog.int8[]))[d.h]', h_v);
    f_r := format('(CAST(%L AS pg_catalog.int4[]))[d.h]', h_r);
    f_l := format('(CAST(%L AS pg_catalog.text[]))[d.h]', h_l);
    f_t := format('(CAST(%L AS pg_catalog.text[]))[d.h]', h_t);
    f_os := format('CASE%s WHEN %s IS NOT NULL THEN ARRAY[%s] END', coll_cases, f_o, f_o);
    RETURN format(CASE mode WHEN 'facts' THEN 'SELECT %s, CAST(ROW(%s, %s, %s, %s, %s, %s) AS mynahoken.rule_hit) AS hit%s'
                  ELSE 'SELECT %s, %s AS outcome, %s AS version_id, %s AS row_no, %s AS layer, %s AS table_name, %s AS outcomes%s' END,
                  CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                            ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                  f_o, f_v, f_r, f_l, f_t, f_os, from_sql);
  END IF;

  -- Trace mode: every fact in one lateral row f, and the truth of every cell.
  SELECT string_agg(format('%s AS %I', mynahoken.rule_fact_sql(x.f, 'member'), x.f), ', ' ORDER BY x.f)
    INTO fact_list
    FROM (SELECT DISTINCT u AS f FROM unnest(facts) AS u) x;
  RETURN format('SELECT %s, d.hit%s FROM %s CROSS JOIN LATERAL (SELECT %s OFFSET 0) AS f'
                ' CROSS JOIN LATERAL (SELECT CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_hit) %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, ARRAY[%s]) AS mynahoken.rule_hit) END AS hit OFFSET 0) AS d',
                'CAST(m.member_key AS pg_catalog.text) AS member_key',
                format(', pg_catalog.to_jsonb(f) AS facts, pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried',
                       array_to_string(tried, ', ')),
                source || ' AS m',
                fact_list, nat, 'undecidable',
                array_to_string(whens, ' '),
                nat, 'national', nat);
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_compile(decision text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
  src text;
  q text;
  plan text;
  eval_name text := 'rule_eval_' || decision;
  decide_name text := 'rule_decide_' || decision;
  versions bigint[];
  is_date boolean;
  hit_type text;
  cols text;
  f regprocedure;
BEGIN
  IF decision !~ '^[a-z][a-z0-9_]*$' THEN
    PERFORM mynahoken.raise_error('22023', 'invalid decision name');
  END IF;
  SELECT d.output_type = 'date' INTO is_date FROM mynahoken.rule_decision d WHERE d.decision = rule_compile.decision;
  hit_type := CASE WHEN is_date THEN 'mynahoken.rule_date_hit' ELSE 'mynahoken.rule_hit' END;
  cols := CASE WHEN is_date
               THEN 'member_key pg_catalog.text, value pg_catalog.date, version_id pg_catalog.int8, row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text, capped pg_catalog.bool'
               ELSE 'member_key pg_catalog.text, outcome pg_catalog.text, version_id pg_catalog.int8, row_no pg_catalog.int4, layer pg_catalog.text, table_name pg_catalog.text, outcomes pg_catalog.text[]' END;
  -- a function generated by an earlier version with another result is replaced
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname IN (eval_name, decide_name)
              AND p.prorettype <> CASE WHEN p.proname = decide_name THEN hit_type::regtype ELSE 'pg_catalog.record'::regtype END LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.proname = eval_name
              AND p.proargnames[cardinality(p.proargnames)] <> CASE WHEN is_date THEN 'capped' ELSE 'outcomes' END LOOP
    EXECUTE format('DROP FUNCTION %s', f);
  END LOOP;
  SELECT m.source INTO src FROM mynahoken.member_source m;
  EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date, facts pg_catalog.jsonb)'
                 ' RETURNS %s LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC SELECT x.hit FROM (%s) AS x; END',
                 decide_name, hit_type, mynahoken.rule_compile_query(decision, 'facts'));
  EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb) IS %L',
                 decide_name, format('Generated by mynahoken.rule_compile: decision %s for one member given as jsonb (scalar twin)', decision));
  IF src IS NOT NULL THEN
    q := mynahoken.rule_compile_query(decision, 'member', src);
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (%s)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, %s'
                   ' FROM (%s) AS x; END',
                   eval_name, cols,
                   -- over the member source, an outcome decision's query has
                   -- the hit's fields as columns
                   CASE WHEN is_date THEN '(x.hit).*'
                        ELSE 'x.outcome, x.version_id, x.row_no, x.layer, x.table_name, x.outcomes' END,
                   q);
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   eval_name, format('Generated by mynahoken.rule_compile: decision %s for every member of %s', decision, src));
  END IF;
  IF src IS NOT NULL THEN
    EXECUTE format('CREATE OR REPLACE FUNCTION mynahoken.%I(as_of pg_catalog.date, known_on pg_catalog.date DEFAULT NULL)'
                   ' RETURNS TABLE (member_key pg_catalog.text, facts pg_catalog.jsonb, tried pg_catalog.jsonb, hit mynahoken.rule_hit)'
                   ' LANGUAGE sql STABLE PARALLEL SAFE BEGIN ATOMIC'
                   ' SELECT x.member_key, x.facts, x.tried, x.hit FROM (%s) AS x; END',
                   'rule_trace_' || decision, mynahoken.rule_compile_query(decision, 'trace', src));
    EXECUTE format('COMMENT ON FUNCTION mynahoken.%I(pg_catalog.date, pg_catalog.date) IS %L',
                   'rule_trace_' || decision,
                   format('Generated by mynahoken.rule_compile: decision %s for every member of %s, with the facts read and the truth of every cell (for mynahoken.rule_explain)', decision, src));
  END IF;
  IF src IS NOT NULL THEN
    -- EXPLAIN returns one row per line; the first names the top node.  It
    -- runs without JIT (SET jit = off above): EXPLAIN starts the executor,
    -- which would generate code for every expression of the plan (0.4 to
    -- 0.8 s for a 200-row table over a large member source) that it never runs
    FOR plan IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM mynahoken.%I(CAST(%L AS pg_catalog.date))', eval_name, current_date) LOOP
      IF plan LIKE '%Function Scan on ' || eval_name || '%' THEN
        PERFORM mynahoken.raise_error('55000', 'the compiled decision is not inlined by the planner',
          detail => 'A set-returning SQL function that is not inlined runs as a separate query: the decision would lose its speed.');
      END IF;
    END LOOP;
  END IF;
  SELECT coalesce(array_agg(y.version_id ORDER BY y.version_id), '{}') INTO versions
    FROM mynahoken.rule_version y JOIN mynahoken.rule_table t USING (table_name)
   WHERE t.decision = rule_compile.decision AND y.status = 'active';
  INSERT INTO mynahoken.rule_compiled AS c (decision, eval_function, decide_function, versions, source_relation, body)
  VALUES (decision, CASE WHEN src IS NOT NULL THEN 'mynahoken.' || eval_name END, 'mynahoken.' || decide_name,
          versions, src, coalesce(q, mynahoken.rule_compile_query(decision, 'facts')))
  ON CONFLICT ON CONSTRAINT rule_compiled_pkey DO UPDATE
    SET eval_function = EXCLUDED.eval_function, decide_function = EXCLUDED.decide_function,
        versions = EXCLUDED.versions, source_relation = EXCLUDED.source_relation, body = EXCLUDED.body,
        compiled_at = pg_catalog.clock_timestamp();
  RETURN coalesce('mynahoken.' || CASE WHEN src IS NOT NULL THEN eval_name END, 'mynahoken.' || decide_name);
END
$$;

CREATE OR REPLACE FUNCTION mynahoken.rule_run_tests(table_name text, candidate bigint DEFAULT NULL)
RETURNS TABLE (test_name text, as_of date, expect text, got text, passed boolean, version_id bigint, row_no integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q text;
  tc mynahoken.rule_test;
  h record;
BEGIN
  -- no test: no query to generate (every test of the table runs below)
  IF NOT EXISTS (SELECT FROM mynahoken.rule_test x WHERE x.table_name = rule_run_tests.table_name) THEN
    RETURN;
  END IF;
  -- the outcome, or a date decision's date as ISO text
  SELECT format('SELECT %s AS outcome, (x.hit).version_id, (x.hit).row_no FROM (%s) AS x',
                CASE d.output_type WHEN 'date' THEN 'pg_catalog.to_char((x.hit).value, ''YYYY-MM-DD'')' ELSE '(x.hit).outcome' END,
                mynahoken.rule_compile_query(t.decision, 'facts', NULL, candidate)) INTO q
    FROM mynahoken.rule_table t JOIN mynahoken.rule_decision d USING (decision)
   WHERE t.table_name = rule_run_tests.table_name;
  FOR tc IN SELECT * FROM mynahoken.rule_test x WHERE x.table_name = rule_run_tests.table_name ORDER BY x.name LOOP
    EXECUTE q INTO h USING tc.as_of, tc.known_on, tc.facts;
    test_name := tc.name;
    as_of := tc.as_of;
    expect := tc.expect;
    got := h.outcome;
    passed := h.outcome IS NOT DISTINCT FROM tc.expect;
    version_id := h.version_id;
    row_no := h.row_no;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Issue 11/15, system time, change sets, dry run, DMN round trip
-- (sql/install/61_rules_time.sql; the version filter of the generated
-- queries, rule_version_guard, rule_check and rule_explain in
-- sql/install/60_rules.sql; import and export in sql/install/62_rules_dmn.sql).

ALTER TABLE mynahoken.rule_row ADD COLUMN annotations jsonb CHECK (jsonb_typeof(annotations) = 'object');
GRANT UPDATE (annotations) ON mynahoken.rule_row TO mynahoken_rule_author;
ALTER TABLE mynahoken.rule_version ADD COLUMN withdrawn_at timestamptz, ADD COLUMN withdrawn_by name,
  ADD CONSTRAINT rule_version_withdrawn_check CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL));
COMMENT ON TABLE mynahoken.rule_version IS
  'Versions of a rule table (append-only): valid time, knowledge day, system time (recorded_at, set by the database), source, input columns, status draft -> active -> withdrawn, author, approver and activation time, withdrawal time and role';

CREATE OR REPLACE FUNCTION mynahoken.rule_version_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  errors text;
  diag jsonb;
  cs_id bigint;
  cs_status text;
  cs_activated_at timestamptz;
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- the system time is the database's: only a restore (a superuser) keeps its own
    IF NOT NEW.shipped AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
      NEW.recorded_at := pg_catalog.clock_timestamp();
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' OR OLD.shipped THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule version %s is %s and cannot be deleted'), OLD.version_id, OLD.status),
        hint => 'Withdraw it (status withdrawn) or record a superseding version.');
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.version_id, NEW.table_name, NEW.valid, NEW.recorded_on, NEW.recorded_at, NEW.source,
      NEW.columns, NEW.author, NEW.shipped, NEW.note)
     IS DISTINCT FROM
     (OLD.version_id, OLD.table_name, OLD.valid, OLD.recorded_on, OLD.recorded_at, OLD.source,
      OLD.columns, OLD.author, OLD.shipped, OLD.note) THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule versions are append-only: only the status of version %s can change'), OLD.version_id),
      hint => 'Record a new version with mynahoken.rule_version_record().');
  END IF;
  IF NEW.status = OLD.status THEN
    IF (NEW.approved_by, NEW.activated_at, NEW.diagnostics, NEW.withdrawn_at, NEW.withdrawn_by)
       IS DISTINCT FROM (OLD.approved_by, OLD.activated_at, OLD.diagnostics, OLD.withdrawn_at, OLD.withdrawn_by) THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('the approval of rule version %s cannot be changed'), OLD.version_id));
    END IF;
    RETURN NEW;
  END IF;
  IF NOT (OLD.status = 'draft' AND NEW.status = 'active')
     AND NOT (OLD.status = 'active' AND NEW.status = 'withdrawn') THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule version %s cannot go from %s to %s'), OLD.version_id, OLD.status, NEW.status));
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate or withdraw rule versions');
  END IF;
  IF OLD.status = 'active' THEN
    -- withdrawn: the activation stays recorded, the withdrawal beside it
    NEW.approved_by := OLD.approved_by;
    NEW.activated_at := OLD.activated_at;
    NEW.withdrawn_by := current_user;
    NEW.withdrawn_at := pg_catalog.clock_timestamp();
    RETURN NEW;
  END IF;
  -- national tables change with the extension: a draft of one (an import
  -- of its export) is compared and checked, never activated
  IF (SELECT t.layer FROM mynahoken.rule_table t WHERE t.table_name = OLD.table_name) = 'national' THEN
    PERFORM mynahoken.raise_error('42501', pg_catalog.format(mynahoken.gettext('rule version %s is a draft of the national table "%s", which changes only with the extension'), OLD.version_id, OLD.table_name),
      hint => 'Compare it with the shipped version (mynahoken.rule_check, mynahoken.rule_export_dmn), or record an insurer table that is an exception to one of its labels.');
  END IF;
  -- a version of a change set is activated with the set, at its time
  SELECT cs.change_set_id, cs.status, cs.activated_at INTO cs_id, cs_status, cs_activated_at
    FROM mynahoken.rule_change_set_version m
    JOIN mynahoken.rule_change_set cs ON cs.change_set_id = m.change_set_id
   WHERE m.version_id = OLD.version_id;
  IF cs_id IS NOT NULL AND cs_status <> 'active' THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('rule version %s belongs to change set %s, which is activated as a whole'), OLD.version_id, cs_id),
      hint => 'SELECT * FROM mynahoken.rule_change_set_activate(change_set).');
  END IF;
  IF OLD.status = 'draft' THEN
    IF current_user = OLD.author THEN
      PERFORM mynahoken.raise_error('42501', pg_catalog.format(mynahoken.gettext('rule version %s was recorded by %s, who cannot also approve it'), OLD.version_id, OLD.author),
        hint => 'Another member of mynahoken_rule_approver activates it (four eyes).');
    END IF;
    SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.severity, c.check_name, c.rows),
           pg_catalog.string_agg(c.detail, '; ' ORDER BY c.check_name, c.rows) FILTER (WHERE c.severity = 'error')
      INTO diag, errors
      FROM mynahoken.rule_check(OLD.version_id) c;
    IF errors IS NOT NULL THEN
      PERFORM mynahoken.raise_error('23514', pg_catalog.format(mynahoken.gettext('rule version %s of "%s" is refused: %s'), OLD.version_id, OLD.table_name, errors),
        hint => 'SELECT * FROM mynahoken.rule_check(version) lists every check with its witness.');
    END IF;
    NEW.diagnostics := coalesce(diag, '[]');
  END IF;
  NEW.approved_by := current_user;
  NEW.activated_at := coalesce(cs_activated_at, pg_catalog.clock_timestamp());
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_version_guard() IS
  'Trigger: rule versions are append-only and their system time (recorded_at) is the database''s (kept by a superuser''s restore); activation (draft -> active) by an approver other than the author, refused when a check reports an error, for a draft of a national table (42501) and for a version of a change set activated alone (55000), at the change set''s time; a withdrawal keeps the activation and records withdrawn_at and withdrawn_by';

DROP TRIGGER rule_version_guard ON mynahoken.rule_version;
CREATE TRIGGER rule_version_guard BEFORE INSERT OR UPDATE OR DELETE ON mynahoken.rule_version
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_version_guard();

CREATE FUNCTION mynahoken.rule_versions_used(table_name text, candidate bigint, held_at timestamptz)
RETURNS SETOF mynahoken.rule_version
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT y.* FROM mynahoken.rule_version y
   WHERE y.table_name OPERATOR(pg_catalog.=) rule_versions_used.table_name
     AND (y.version_id OPERATOR(pg_catalog.=) rule_versions_used.candidate
          OR CASE WHEN rule_versions_used.held_at IS NULL THEN y.status OPERATOR(pg_catalog.=) 'active'
                  -- the shipped versions came with the extension: held at any time
                  WHEN y.shipped THEN y.status OPERATOR(pg_catalog.=) 'active'
                  ELSE y.activated_at OPERATOR(pg_catalog.<=) rule_versions_used.held_at
                       AND (y.withdrawn_at IS NULL OR y.withdrawn_at OPERATOR(pg_catalog.>) rule_versions_used.held_at) END)
   ORDER BY y.recorded_on DESC, y.version_id DESC;
END;
COMMENT ON FUNCTION mynahoken.rule_versions_used(text, bigint, timestamptz) IS
  'Internal: the versions of a rule table a generated decision reads, newest first: the active ones and the candidate draft, or with held_at the versions active at that time (activated by then and not withdrawn by then: what the database held; the shipped versions at any time)';

DROP FUNCTION mynahoken.rule_compile_date_query(text, text, text, bigint);

CREATE FUNCTION mynahoken.rule_compile_date_query(decision text, mode text, source text DEFAULT NULL,
                                                  candidate bigint DEFAULT NULL, held_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  scope text;
  vcond text;
  scond text;
  unknowns text;
  cap text;
  vals text[] := '{}';          -- the lateral row c: one date per row, scope flags
  branches text[] := '{}';
  k int := 0;
  agg_vals text[];
  agg_rows int[];
  nat text;
  trace boolean := mode = 'trace';   -- the explanations: the same predicates, with every cell's truth
  tried text[] := '{}';
  facts text[];
  from_sql text;
BEGIN
  IF mode IS NULL OR mode NOT IN ('member', 'facts', 'trace') THEN
    PERFORM mynahoken.raise_error('22023', 'unknown compile mode');
  END IF;
  IF trace THEN
    mode := 'member';
  END IF;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_date_query.decision;
  -- the member key in c: with a key per member the planner does not cache
  -- (Memoize) the row on the values of the facts, which costs more than it saves
  vals := ARRAY['(' || mynahoken.rule_fact_sql(d.national_fact, mode) || ') AS nat',
                CASE mode WHEN 'member' THEN 'm.member_key AS k' ELSE 'NULL AS k' END];
  nat := 'c.nat';
  facts := ARRAY['insurer_number', 'category', d.national_fact];
  FOR t IN
    SELECT x.* FROM mynahoken.rule_table x
     WHERE x.decision = rule_compile_date_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    -- the legal maximum for the table's scope: an InitPlan
    cap := format('(mynahoken.rule_add_months($1, (SELECT mynahoken.legal_value_int(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))) OPERATOR(pg_catalog.-) 1)',
                  'certificate_max_months', scope);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS y ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS z
         WHERE (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      k := k + 1;
      scond := format('c.s%s', k);
      vals := vals || format('(%s AND %s) AS s%s', mynahoken.rule_applies_sql(t.applies_to,
                               '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                               '(' || mynahoken.rule_fact_sql('category', mode) || ')'), vcond, k);
      -- facts whose NULL means unknown tested by a cell, and every fact a
      -- date reads: NULL makes the member undecidable, never a shorter list
      SELECT string_agg(format('(%s) IS NULL', mynahoken.rule_fact_sql(u.col, mode)), ' OR ' ORDER BY u.col)
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
                JOIN mynahoken.rule_fact rf ON true
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-'
                 AND rf.fact = v.columns[i] AND rf.null_means = 'unknown'
              UNION
              SELECT DISTINCT unnest(mynahoken.rule_expr_facts(mynahoken.rule_expr_parse(rr.outcome)))
                FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) u;
      IF unknowns IS NOT NULL THEN
        branches := branches || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_date_hit)',
                                       scond, unknowns, v.version_id, 'undecidable', t.table_name);
      END IF;
      facts := facts || v.columns || ARRAY(SELECT unnest(mynahoken.rule_expr_facts(mynahoken.rule_expr_parse(rr.outcome)))
                                             FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id);
      agg_vals := '{}';
      agg_rows := '{}';
      FOR r IN
        SELECT rr.* FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id ORDER BY rr.row_no
      LOOP
        vals := vals || format('CASE WHEN %s AND %s THEN %s END AS r%s_%s',
                               mynahoken.rule_applies_sql(t.applies_to,
                                 '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                                 '(' || mynahoken.rule_fact_sql('category', mode) || ')') || ' AND ' || vcond,
                               (SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, mode), ' AND ' ORDER BY i)
                                  FROM generate_subscripts(v.columns, 1) AS i),
                               mynahoken.rule_expr_sql(mynahoken.rule_expr_parse(r.outcome), mode), k, r.row_no);
        IF trace THEN
          -- the truth of each cell and the row's date, by the same predicates
          tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, COALESCE(%s AND %s, false), %L, pg_catalog.to_jsonb(ARRAY[%s]), %L, %s)',
                                   'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                   'in_scope', mynahoken.rule_applies_sql(t.applies_to,
                                     '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')',
                                     '(' || mynahoken.rule_fact_sql('category', mode) || ')'), vcond,
                                   'cells', (SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, mode), ', ' ORDER BY i)
                                               FROM generate_subscripts(v.columns, 1) AS i),
                                   'value', mynahoken.rule_expr_sql(mynahoken.rule_expr_parse(r.outcome), mode));
        END IF;
        IF t.hit_policy = 'collect' THEN
          agg_vals := agg_vals || format('c.r%s_%s', k, r.row_no);
          agg_rows := agg_rows || r.row_no;
        ELSE
          branches := branches || format('WHEN c.r%1$s_%2$s IS NOT NULL THEN CAST(ROW(LEAST(c.r%1$s_%2$s, %3$s), CAST(%4$L AS pg_catalog.int8), %2$s, %5$L, %6$L, c.r%1$s_%2$s OPERATOR(pg_catalog.>) %3$s) AS mynahoken.rule_date_hit)',
                                         k, r.row_no, cap, v.version_id, 'insurer', t.table_name);
        END IF;
      END LOOP;
      IF t.hit_policy = 'collect' THEN
        -- LEAST/GREATEST skip NULLs: the rows that did not match; the row is
        -- the first whose date is the aggregate
        branches := branches || format('WHEN COALESCE(%1$s) IS NOT NULL THEN CAST(ROW(LEAST(%2$s(%3$s), %4$s), CAST(%5$L AS pg_catalog.int8), CASE %2$s(%3$s) %6$s END, %7$L, %8$L, %2$s(%3$s) OPERATOR(pg_catalog.>) %4$s) AS mynahoken.rule_date_hit)',
                                       array_to_string(agg_vals, ', '),
                                       CASE t.aggregation WHEN 'max' THEN 'GREATEST' ELSE 'LEAST' END,
                                       array_to_string(agg_vals, ', '), cap, v.version_id,
                                       (SELECT string_agg(format('WHEN %s THEN %s', agg_vals[i], agg_rows[i]), ' ' ORDER BY i)
                                          FROM generate_subscripts(agg_vals, 1) AS i),
                                       'insurer', t.table_name);
      END IF;
      IF t.on_no_match = 'error' THEN
        branches := branches || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_date_hit)',
                                       scond, v.version_id, 'no_match', t.table_name);
      END IF;
    END LOOP;
  END LOOP;
  -- c is nested in d: one lateral subquery, so that the planner has no
  -- lateral join of c to cache (Memoize) on the values of c
  from_sql := format('%s CROSS JOIN LATERAL (SELECT'
                ' CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_date_hit)'
                ' %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, false) AS mynahoken.rule_date_hit) END AS hit'
                ' FROM (SELECT %s OFFSET 0) AS c OFFSET 0) AS d',
                CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                nat, 'undecidable', array_to_string(branches, ' '), nat, 'national',
                array_to_string(vals, ', '));
  IF trace THEN
    -- the explanations read the hit as a mynahoken.rule_hit: the date as
    -- text, {capped} in outcomes when the legal maximum capped it
    RETURN format('SELECT CAST(m.member_key AS pg_catalog.text) AS member_key,'
                  ' (SELECT pg_catalog.jsonb_object_agg(f.k, f.v) FROM (VALUES %s) AS f(k, v)) AS facts,'
                  ' pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried,'
                  ' CAST(ROW(CAST((d.hit).value AS pg_catalog.text), (d.hit).version_id, (d.hit).row_no, (d.hit).layer, (d.hit).table_name,'
                  ' CASE WHEN (d.hit).capped THEN CAST(ARRAY[%L] AS pg_catalog.text[]) END) AS mynahoken.rule_hit) AS hit'
                  ' FROM %s',
                  (SELECT string_agg(format('(%L, pg_catalog.to_jsonb(%s))', u.f, mynahoken.rule_fact_sql(u.f, mode)), ', ' ORDER BY u.f)
                     FROM (SELECT DISTINCT unnest(facts) AS f) u),
                  array_to_string(tried, ', '), 'capped', from_sql);
  END IF;
  RETURN format('SELECT %s, d.hit FROM %s',
                CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                          ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                from_sql);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_date_query(text, text, text, bigint, timestamptz) IS
  'Internal: the generated query of a date decision over the active versions (with a candidate draft; with held_at, the versions active at that time, mynahoken.rule_versions_used): insurer tables in name order (first matching row, or the least/greatest date of the matching rows for collect min/max), every insurer date capped at the legal maximum, else the national date (modes member, facts), or with the facts read and every row''s cells and date for the explanations (mode trace, the hit as a mynahoken.rule_hit with the date as text); every name qualified, literals through format %L; raises 22023 for another mode';

DROP FUNCTION mynahoken.rule_compile_query(text, text, text, bigint);

CREATE FUNCTION mynahoken.rule_compile_query(decision text, mode text, source text DEFAULT NULL,
                                             candidate bigint DEFAULT NULL, held_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d mynahoken.rule_decision;
  t record;
  v record;
  r record;
  w record;
  oc record;
  facts text[];
  whens text[] := '{}';
  tried text[] := '{}';
  cell_list text;
  fm text := CASE WHEN mode IN ('member', 'facts') THEN mode END;   -- NULL: over the facts row f
  cell_preds text[];
  nat_whens text[] := '{}';
  fast_tab text[] := '{}';     -- fast mode: the table of each WHEN, and its scope condition
  fast_app text[] := '{}';
  fapplies text;
  fast_sql text[] := '{}';      -- fast mode: the WHENs of each table, with the national outcomes they apply to
  fast_outs text[] := '{}';
  -- fast mode: the CASE gives the number of a hit; its fields are constant arrays
  h_o text[] := '{}';
  h_v bigint[] := '{}';
  h_r integer[] := '{}';
  h_l text[] := '{}';
  h_t text[] := '{}';
  fcond text;
  fhit text;
  branches text;
  vcond text;
  cond text;
  scope text;
  nat text;
  unknowns text;
  fact_list text;
  hit text;
  coll text;                    -- collect, rule order: the outcomes of every matching row
  coll_lo int;
  coll_cases text := '';
  nat_case text;                -- fast mode: the number of the national hit
  undec int;
  ins jsonb := '{}';            -- fast mode: per label's outcomes, the insurer tables (COALESCE arguments)
  n_pred text[];                -- the national table's rows: predicate, hit number, label outcomes
  n_no int[];
  n_outs text[];
  from_sql text;                -- fast mode: the member source and the lateral row d of the hit number
  f_o text;                     -- fast mode: the hit's fields (outcome, version, row, layer, table, outcomes) as SQL
  f_v text;
  f_r text;
  f_l text;
  f_t text;
  f_os text;
BEGIN
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = rule_compile_query.decision;
  IF d.output_type = 'date' THEN
    RETURN mynahoken.rule_compile_date_query(decision, mode, source, candidate, held_at);
  END IF;
  IF NOT FOUND OR d.output_type <> 'outcome' OR d.national_fact IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision cannot be compiled yet',
      detail => 'This version compiles decisions with an outcome and a national decision to fall back on.');
  END IF;
  nat := format('f.%I', d.national_fact);
  facts := ARRAY[d.national_fact, 'insurer_number', 'category'];

  -- insurer tables in name order; each table's versions newest first
  FOR t IN
    SELECT x.*, l.outcomes
      FROM mynahoken.rule_table x JOIN mynahoken.rule_label l ON l.label = x.exception_to
     WHERE x.decision = rule_compile_query.decision AND x.layer = 'insurer'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS y ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                      v.valid, v.recorded_on);
      FOR w IN
        SELECT z.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS z
         WHERE (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
      LOOP
        vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                 w.valid, w.recorded_on);
      END LOOP;
      cond := format('%s OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.text[])) AND %s AND %s',
                     nat, t.outcomes, mynahoken.rule_applies_sql(t.applies_to), vcond);
      -- fast mode: the national outcome is the branch; facts inline
      IF fm IS NOT NULL THEN
        fapplies := mynahoken.rule_applies_sql(t.applies_to,
                      '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                      '(' || mynahoken.rule_fact_sql('category', fm) || ')');
        fcond := vcond;      -- the table's scope is tested once, around its rows
      END IF;
      facts := facts || v.columns;
      -- a fact whose NULL means unknown, tested by a row: undecidable member
      -- (an age is unknown when the birth date is: no per-member call)
      SELECT string_agg(CASE WHEN fm IS NULL THEN format('f.%I IS NULL', c.col)
                             WHEN rf.expression ~ '^mynahoken\.rule_age_on\(\{birth_date\}, '
                             THEN format('(%s) IS NULL', mynahoken.rule_fact_sql('birth_date', fm))
                             ELSE format('(%s) IS NULL', mynahoken.rule_fact_sql(c.col, fm)) END, ' OR ')
        INTO unknowns
        FROM (SELECT DISTINCT v.columns[i] AS col
                FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
               WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-') c
        JOIN mynahoken.rule_fact rf ON rf.fact = c.col AND rf.null_means = 'unknown';
      IF unknowns IS NOT NULL THEN
        whens := whens || format('WHEN %s AND (%s) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, unknowns, v.version_id, 'undecidable', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'undecidable'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s AND (%s) THEN %s', fcond, unknowns, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
      -- collect (by priority, then row) and rule order (by row): the first
      -- matching row gives the outcome, every matching row is in outcomes
      coll := NULL;
      IF t.hit_policy IN ('collect', 'rule_order') THEN
        SELECT format('pg_catalog.array_remove(CAST(ARRAY[%s] AS pg_catalog.text[]), NULL)',
                      string_agg(format('CASE WHEN %s THEN %L END', x.preds, x.outcome), ', ' ORDER BY x.ord, x.row_no))
          INTO coll
          FROM (SELECT rr.row_no, rr.outcome, CASE WHEN t.hit_policy = 'collect' THEN o.priority END AS ord,
                       (SELECT string_agg(mynahoken.rule_cell_sql(rr.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
                          FROM generate_subscripts(v.columns, 1) AS i) AS preds
                  FROM mynahoken.rule_row rr
                  LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                 WHERE rr.version_id = v.version_id) x;
      END IF;
      coll_lo := cardinality(h_o) + 1;
      FOR r IN
        SELECT rr.*, o.priority
          FROM mynahoken.rule_row rr
          LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
         WHERE rr.version_id = v.version_id
         ORDER BY CASE WHEN t.hit_policy IN ('priority', 'collect') THEN o.priority END, rr.row_no
      LOOP
        -- each cell's predicate once: over the facts row (trace) or inline
        SELECT array_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm) ORDER BY i)
          INTO cell_preds
          FROM generate_subscripts(v.columns, 1) AS i;
        hit := array_to_string(cell_preds, ' AND ');
        fhit := hit;
        cell_list := array_to_string(cell_preds, ', ');
        IF fm IS NOT NULL THEN
          h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
          fast_sql := fast_sql || format('WHEN %s AND %s THEN %s', fcond, fhit, cardinality(h_o));
          fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
        END IF;
        -- the explanation reads the truth of each cell from the same predicates
        tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, (%s), %L, pg_catalog.to_jsonb(ARRAY[%s]))',
                                 'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                 'in_scope', cond, 'cells', cell_list);
        whens := whens || format('WHEN %s AND %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), %s, %L, %L, %s) AS mynahoken.rule_hit)',
                                 cond, hit, r.outcome, v.version_id, r.row_no, 'insurer', t.table_name,
                                 coalesce(coll, format('CAST(ARRAY[%L] AS pg_catalog.text[])', r.outcome)));
      END LOOP;
      IF coll IS NOT NULL AND fm IS NOT NULL THEN
        coll_cases := coll_cases || format(' WHEN d.h BETWEEN %s AND %s THEN %s', coll_lo, cardinality(h_o), coll);
      END IF;
      IF t.on_no_match LIKE 'default %' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(%L, CAST(%L AS pg_catalog.int8), NULL, %L, %L, CAST(ARRAY[%L] AS pg_catalog.text[])) AS mynahoken.rule_hit)',
                                 cond, substr(t.on_no_match, 9), v.version_id, 'insurer', t.table_name, substr(t.on_no_match, 9));
        h_o := h_o || substr(t.on_no_match, 9); h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      ELSIF t.on_no_match = 'error' THEN
        whens := whens || format('WHEN %s THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                 cond, v.version_id, 'no_match', t.table_name);
        h_o := h_o || NULL::text; h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || 'no_match'::text; h_t := h_t || t.table_name;
        fast_sql := fast_sql || format('WHEN %s THEN %s', fcond, cardinality(h_o));
        fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
      END IF;
    END LOOP;
  END LOOP;

  IF fm IS NOT NULL THEN
    -- The national decision is computed once per member and numbered (a
    -- simple CASE on it, lateral row n); then, for the national outcomes of
    -- each label with insurer exceptions, the WHENs of those tables in order,
    -- facts inline (lateral row d).  The number of the hit indexes constant
    -- arrays of outcome, version, row, layer and table: no composite is built
    -- per member.  n is nested in d, so that the planner has no lateral join
    -- to cache (Memoize) on fact values.
    FOR oc IN SELECT o.code FROM mynahoken.rule_outcome o
              WHERE o.decision = rule_compile_query.decision AND o.statutory ORDER BY o.priority, o.code LOOP
      h_o := h_o || oc.code; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
      h_l := h_l || 'national'::text; h_t := h_t || NULL::text;
      nat_whens := nat_whens || format('WHEN %L THEN %s', oc.code, cardinality(h_o));
    END LOOP;
    h_o := h_o || NULL::text; h_v := h_v || NULL::bigint; h_r := h_r || NULL::int;
    h_l := h_l || 'undecidable'::text; h_t := h_t || NULL::text;
    undec := cardinality(h_o);
    -- per label: each table's rows behind one test of its scope; the first
    -- table with a matching row wins (COALESCE stops there), else national
    FOR oc IN SELECT g.outs, min(g.i) AS first
                FROM (SELECT fast_outs[i] AS outs, i FROM generate_subscripts(fast_outs, 1) AS i) g
               GROUP BY g.outs ORDER BY 2 LOOP
      SELECT string_agg(format('CASE WHEN %s THEN CASE %s END END', tb.app, tb.whens), ', ' ORDER BY tb.first)
        INTO fhit
        FROM (SELECT fast_tab[i] AS tab, min(fast_app[i]) AS app, min(i) AS first,
                     string_agg(fast_sql[i], ' ' ORDER BY i) AS whens
                FROM generate_subscripts(fast_sql, 1) AS i
               WHERE fast_outs[i] = oc.outs
               GROUP BY fast_tab[i]) tb;
      ins := ins || jsonb_build_object(oc.outs, fhit);
      branches := coalesce(branches || ' ', '') ||
        format('WHEN n.x OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.int4[])) THEN COALESCE(%s, n.x)',
               ARRAY(SELECT i FROM generate_subscripts(h_o, 1) AS i
                      WHERE h_l[i] = 'national' AND h_o[i] = ANY (oc.outs::text[]) ORDER BY i), fhit);
    END LOOP;
    -- The national table of the decision (shipped), its versions as
    -- conditions on the constant days: its rows in order, one CASE over the
    -- member's columns, each hit its own number (outcome, version, row).  At
    -- the first row of a label with insurer exceptions, one WHEN holds when
    -- the first matching row from there on is of that label; it tries the
    -- insurer tables (COALESCE), else finds the national row.  One CASE per
    -- member in all: no national outcome is computed apart and tested again.
    -- The lateral row d is pulled up into the scan (no OFFSET 0): a row
    -- per member in a nested loop cost more than the CASE itself, and a
    -- caller reading one column (outcome) computes the CASE once.
    FOR t IN SELECT x.* FROM mynahoken.rule_table x
              WHERE x.decision = rule_compile_query.decision AND x.layer = 'national'
              ORDER BY x.table_name LIMIT 1 LOOP
      nat_case := '';
      FOR v IN
        SELECT y.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS y ORDER BY y.recorded_on DESC, y.version_id DESC
      LOOP
        vcond := format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                        v.valid, v.recorded_on);
        FOR w IN
          SELECT z.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS z
           WHERE (z.recorded_on, z.version_id) > (v.recorded_on, v.version_id)
        LOOP
          vcond := vcond || format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                                   w.valid, w.recorded_on);
        END LOOP;
        -- each row: its predicate, number and the outcomes of its label
        n_pred := '{}'; n_no := '{}'; n_outs := '{}';
        FOR r IN SELECT rr.*, l.outcomes::text AS outs FROM mynahoken.rule_row rr
                   LEFT JOIN mynahoken.rule_label l ON l.label = rr.label
                  WHERE rr.version_id = v.version_id ORDER BY rr.row_no LOOP
          -- a param() is read for the row's one category, else the table's scope
          scope := CASE WHEN r.cells[array_position(v.columns, 'category')] ~ '^\s*[a-z_]+\s*$'
                         AND btrim(r.cells[array_position(v.columns, 'category')]) NOT IN ('null')
                        THEN btrim(r.cells[array_position(v.columns, 'category')])
                        ELSE mynahoken.rule_table_scope(t.applies_to) END;
          SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
            INTO hit
            FROM generate_subscripts(v.columns, 1) AS i WHERE btrim(r.cells[i]) <> '-';
          h_o := h_o || CASE WHEN r.outcome <> 'undecidable' THEN r.outcome END;
          h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || CASE WHEN r.outcome = 'undecidable' THEN 'undecidable' ELSE 'national' END;
          h_t := h_t || t.table_name;
          n_pred := n_pred || coalesce('(' || hit || ')', 'true');
          n_no := n_no || cardinality(h_o);
          n_outs := n_outs || CASE WHEN r.outcome <> 'undecidable' THEN r.outs END;
        END LOOP;
        fhit := '';
        FOR i IN 1 .. cardinality(n_pred) LOOP
          IF n_outs[i] IS NULL OR NOT ins ? n_outs[i] THEN
            fhit := fhit || format(' WHEN %s THEN %s', n_pred[i], n_no[i]);
          ELSIF array_position(n_outs[1:i - 1], n_outs[i]) IS NULL THEN
            -- the first matching row from i on is of this label: row k of
            -- the label matches and no row of another label between i and k
            SELECT string_agg(x.c, ' OR ' ORDER BY x.k) INTO cond
              FROM (SELECT k, '(' || n_pred[k] || coalesce(' AND NOT (' ||
                             (SELECT string_agg(n_pred[j], ' OR ' ORDER BY j) FROM generate_series(i, k - 1) AS j
                               WHERE n_outs[j] IS DISTINCT FROM n_outs[i]) || ')', '') || ')' AS c
                      FROM generate_series(i, cardinality(n_pred)) AS k WHERE n_outs[k] = n_outs[i]) x;
            SELECT string_agg(format('WHEN %s THEN %s', n_pred[k], n_no[k]), ' ' ORDER BY k) INTO cell_list
              FROM generate_series(i, cardinality(n_pred)) AS k;
            fhit := fhit || format(' WHEN %s THEN COALESCE(%s, CASE %s END)', cond, ins->>n_outs[i], cell_list);
          END IF;
        END LOOP;
        nat_case := nat_case || format(' WHEN %s THEN CASE%s ELSE %s END', vcond, fhit, undec);
      END LOOP;
      IF nat_case <> '' THEN
        from_sql := format(' FROM %s CROSS JOIN LATERAL (SELECT CASE%s ELSE %s END AS h) AS d',
                           CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                           nat_case, undec);
      END IF;
    END LOOP;
    IF from_sql IS NULL THEN
      -- no national table: the national fact (the C function), numbered
      nat_case := format('CASE %s %s ELSE %s END', mynahoken.rule_fact_sql(d.national_fact, fm),
                         array_to_string(nat_whens, ' '), undec);
      from_sql := format(' FROM %s CROSS JOIN LATERAL (SELECT CASE %s ELSE n.x END AS h'
                         ' FROM (SELECT %s AS x OFFSET 0) AS n OFFSET 0) AS d',
                         CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                         coalesce(branches, 'WHEN false THEN NULL'), nat_case);
    END IF;
    -- The hit's fields index constant arrays with the number of the hit,
    -- d.h: the whole CASE once d is pulled up into the scan.  Over the member
    -- source (mode member) they are the columns the generated function
    -- returns: read through a ROW, (x.hit).* would copy the ROW, and its
    -- seven copies of the CASE, for each of the seven fields (49 copies for
    -- the planner, most of the activation time of a 200-row table).  For one
    -- member (mode facts) the hit is the composite.
    f_o := format('(CAST(%L AS pg_catalog.text[]))[d.h]', h_o);
    f_v := format('(CAST(%L AS pg_catalog.int8[]))[d.h]', h_v);
    f_r := format('(CAST(%L AS pg_catalog.int4[]))[d.h]', h_r);
    f_l := format('(CAST(%L AS pg_catalog.text[]))[d.h]', h_l);
    f_t := format('(CAST(%L AS pg_catalog.text[]))[d.h]', h_t);
    f_os := format('CASE%s WHEN %s IS NOT NULL THEN ARRAY[%s] END', coll_cases, f_o, f_o);
    RETURN format(CASE mode WHEN 'facts' THEN 'SELECT %s, CAST(ROW(%s, %s, %s, %s, %s, %s) AS mynahoken.rule_hit) AS hit%s'
                  ELSE 'SELECT %s, %s AS outcome, %s AS version_id, %s AS row_no, %s AS layer, %s AS table_name, %s AS outcomes%s' END,
                  CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                            ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                  f_o, f_v, f_r, f_l, f_t, f_os, from_sql);
  END IF;

  -- Trace mode: every fact in one lateral row f, and the truth of every cell.
  SELECT string_agg(format('%s AS %I', mynahoken.rule_fact_sql(x.f, 'member'), x.f), ', ' ORDER BY x.f)
    INTO fact_list
    FROM (SELECT DISTINCT u AS f FROM unnest(facts) AS u) x;
  RETURN format('SELECT %s, d.hit%s FROM %s CROSS JOIN LATERAL (SELECT %s OFFSET 0) AS f'
                ' CROSS JOIN LATERAL (SELECT CASE WHEN %s IS NULL THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_hit) %s ELSE CAST(ROW(%s, NULL, NULL, %L, NULL, ARRAY[%s]) AS mynahoken.rule_hit) END AS hit OFFSET 0) AS d',
                'CAST(m.member_key AS pg_catalog.text) AS member_key',
                format(', pg_catalog.to_jsonb(f) AS facts, pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried',
                       array_to_string(tried, ', ')),
                source || ' AS m',
                fact_list, nat, 'undecidable',
                array_to_string(whens, ' '),
                nat, 'national', nat);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_query(text, text, text, bigint, timestamptz) IS
  'Internal: the generated query of a decision over the active versions (with a candidate draft; with held_at, the versions active at that time, mynahoken.rule_versions_used): one CASE per member over the rows of the national table (national.certificate_need) with the insurer exceptions of each label tried at its first row, or the national fact numbered when the decision has no national table (modes member, facts), or every fact and cell for the explanations (mode trace); every name qualified, literals through format %L';

CREATE OR REPLACE FUNCTION mynahoken.rule_check(version_id bigint)
RETURNS TABLE (severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  lab mynahoken.rule_label;
  d mynahoken.rule_decision;
  r record;
  c record;
  v_scope text;
  problem text;
  errors int := 0;
  covered datemultirange;
  missing datemultirange;
  ncols int;
  types text[];
  nullable boolean[];
  los bigint[];
  his bigint[];
  vals text[];
  maxv int;
  rownos int[];
  cells text[];
  checks text[] := '{}';
  outs text[];
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_check.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('no rule version %s'), rule_check.version_id));
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  SELECT * INTO lab FROM mynahoken.rule_label x WHERE x.label = t.exception_to;
  v_scope := mynahoken.rule_table_scope(t.applies_to);
  ncols := cardinality(v.columns);

  -- 1. References: columns are facts, outcomes belong to the decision.
  FOR c IN SELECT u.col, u.i FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
            WHERE NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = u.col) LOOP
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := format('column "%s" is not a declared fact', c.col);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND d.output_type <> 'date'
              AND NOT EXISTS (SELECT FROM mynahoken.rule_outcome o WHERE o.decision = t.decision AND o.code = rr.outcome)
              -- the members a national table cannot decide
              AND NOT (t.layer = 'national' AND rr.outcome = 'undecidable')
            ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
    detail := format('row %s: "%s" is not an outcome of %s', r.row_no, r.outcome, t.decision);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  -- a date decision's rows end in an expression over the date primitives
  FOR r IN SELECT rr.row_no, mynahoken.rule_expr_problem(rr.outcome) AS problem FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND d.output_type = 'date' ORDER BY rr.row_no LOOP
    CONTINUE WHEN r.problem IS NULL;
    severity := 'error'; check_name := 'value'; rows := ARRAY[r.row_no];
    detail := format('row %s: invalid value expression: %s', r.row_no, r.problem);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id) THEN
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := 'the version has no row';
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 2. Cells: each parses against its fact; params and facts named exist with the type.
  FOR r IN SELECT rr.row_no, rr.cells, u.cell, u.i, f.fact, f.fact_type, f.enum_values
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             LEFT JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
            WHERE rr.version_id = v.version_id ORDER BY rr.row_no, u.i LOOP
    IF r.i > ncols THEN
      CONTINUE;
    END IF;
    IF r.fact IS NULL THEN
      CONTINUE;
    END IF;
    problem := mynahoken.rule_cell_problem(r.cell, r.fact_type, r.enum_values);
    IF problem IS NOT NULL THEN
      severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
      detail := format('row %s, column "%s": invalid cell "%s": %s', r.row_no, v.columns[r.i], r.cell, problem);
      errors := errors + 1;
      RETURN NEXT;
      CONTINUE;
    END IF;
    DECLARE
      j jsonb := mynahoken.rule_cell_parse(r.cell, r.fact_type, r.enum_values);
      nm text;
      pt text;
    BEGIN
      IF j->>'kind' = 'sql' THEN
        severity := 'error'; check_name := 'opaque'; rows := ARRAY[r.row_no];
        detail := format('row %s, column "%s": sql: cells are recognised but not compiled in this version', r.row_no, v.columns[r.i]);
        errors := errors + 1;
        RETURN NEXT;
      END IF;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'facts', '[]')) LOOP
        IF NOT EXISTS (SELECT FROM mynahoken.rule_fact f WHERE f.fact = nm AND f.fact_type = r.fact_type) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": "%s" is not a fact of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
      FOR nm IN SELECT jsonb_array_elements_text(coalesce(j->'params', '[]')) LOOP
        SELECT p.value_type::text INTO pt FROM mynahoken.legal_parameter_def p WHERE p.name = nm;
        IF pt IS NULL OR pt <> (CASE r.fact_type WHEN 'enum' THEN 'text' ELSE r.fact_type END) THEN
          severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
          detail := format('row %s, column "%s": param(%s) is not a legal parameter of type %s', r.row_no, v.columns[r.i], nm, r.fact_type);
          errors := errors + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
    END;
  END LOOP;
  FOR r IN SELECT rr.row_no, cardinality(rr.cells) AS n FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND cardinality(rr.cells) <> ncols ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'cell'; rows := ARRAY[r.row_no];
    detail := format('row %s has %s cells for %s columns', r.row_no, r.n, ncols);
    errors := errors + 1;
    RETURN NEXT;
  END LOOP;

  -- 3. Parameters: a value on every day of the valid time, for the scope.
  FOR c IN SELECT DISTINCT p.name
             FROM mynahoken.rule_row rr
             CROSS JOIN LATERAL unnest(rr.cells) WITH ORDINALITY AS u(cell, i)
             JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
             CROSS JOIN LATERAL jsonb_array_elements_text(
               CASE WHEN mynahoken.rule_cell_problem(u.cell, f.fact_type, f.enum_values) IS NULL
                    THEN coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]') ELSE '[]' END) AS p(name)
            WHERE rr.version_id = v.version_id
              AND EXISTS (SELECT FROM mynahoken.legal_parameter_def pd WHERE pd.name = p.name)
            ORDER BY 1 LOOP
    SELECT range_agg(e.valid) INTO covered
      FROM mynahoken.legal_parameter_entry e
     WHERE e.name = c.name AND (e.scope IS NULL OR e.scope::text = v_scope);
    missing := datemultirange(v.valid) - coalesce(covered, '{}'::datemultirange);
    IF NOT isempty(missing) THEN
      severity := 'error'; check_name := 'parameter'; rows := NULL;
      detail := format('parameter %s has no value for %s on %s', c.name, coalesce(v_scope, 'every category'), missing);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END LOOP;

  -- 4. Guard rails of the layers.
  IF t.layer = 'insurer' THEN
    IF NOT lab.overridable THEN
      severity := 'error'; check_name := 'guard_rail'; rows := NULL;
      detail := format('%s cannot have insurer exceptions: it stays above every insurer layer', lab.label);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
    IF t.decision = 'certificate_need' THEN
      FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
                 JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
                WHERE rr.version_id = v.version_id AND o.needs_certificate IS NOT TRUE
                  AND NOT lab.insurer_may_narrow
                ORDER BY rr.row_no LOOP
        severity := 'error'; check_name := 'guard_rail'; rows := ARRAY[r.row_no];
        detail := format('row %s: outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', r.row_no, r.outcome);
        errors := errors + 1;
        RETURN NEXT;
      END LOOP;
      IF t.on_no_match LIKE 'default %' AND NOT lab.insurer_may_narrow AND NOT EXISTS (
           SELECT FROM mynahoken.rule_outcome o
            WHERE o.decision = t.decision AND o.code = substr(t.on_no_match, 9) AND o.needs_certificate) THEN
        severity := 'error'; check_name := 'guard_rail'; rows := NULL;
        detail := format('the default outcome %s issues no 資格確認書; an insurer may add a ground for issuing one, never remove one', substr(t.on_no_match, 9));
        errors := errors + 1;
        RETURN NEXT;
      END IF;
    END IF;
    -- precedence: another active table excepting the same label for some
    -- of the same insurers is tried before or after this one by name
    FOR c IN SELECT o.table_name, ARRAY(SELECT unnest(o.applies_to) INTERSECT SELECT unnest(t.applies_to) ORDER BY 1) AS common
               FROM mynahoken.rule_table o
              WHERE o.table_name <> t.table_name AND o.exception_to = t.exception_to
                AND o.applies_to && t.applies_to
                AND EXISTS (SELECT FROM mynahoken.rule_version y WHERE y.table_name = o.table_name AND y.status = 'active')
              ORDER BY o.table_name LOOP
      severity := 'warning'; check_name := 'precedence'; rows := NULL;
      detail := format('%s also excepts %s for %s: the tables are tried in name order, %s first',
                       c.table_name, t.exception_to, array_to_string(c.common, ', '),
                       least(c.table_name, t.table_name));
      RETURN NEXT;
    END LOOP;
    IF lab.decision <> t.decision THEN
      severity := 'error'; check_name := 'reference'; rows := NULL;
      detail := format('%s is a label of %s, not of %s', lab.label, lab.decision, t.decision);
      errors := errors + 1;
      RETURN NEXT;
    END IF;
  END IF;
  -- a date decision: validity is capped at the legal maximum; a row whose
  -- date adds more months than the maximum is capped (a warning)
  IF t.layer = 'insurer' AND d.output_type = 'date' THEN
    FOR r IN SELECT rr.row_no, max((n.v->'args'->1->>'int')::int) AS months
               FROM mynahoken.rule_row rr
               CROSS JOIN LATERAL jsonb_path_query(mynahoken.rule_expr_parse(rr.outcome), 'strict $.**') AS n(v)
              WHERE rr.version_id = v.version_id AND mynahoken.rule_expr_problem(rr.outcome) IS NULL
                AND jsonb_typeof(n.v) = 'object' AND n.v->>'fn' = 'add_months'
              GROUP BY rr.row_no ORDER BY rr.row_no LOOP
      problem := (SELECT min(e.value_int)::text FROM mynahoken.legal_parameter_entry e
                   WHERE e.name = 'certificate_max_months' AND e.valid && v.valid
                     AND (e.scope IS NULL OR e.scope::text = v_scope));
      IF r.months > problem::int THEN
        severity := 'warning'; check_name := 'guard_rail'; rows := ARRAY[r.row_no];
        detail := format('row %s adds %s months: its date is capped at the legal maximum of %s months (certificate_max_months)', r.row_no, r.months, problem);
        RETURN NEXT;
      END IF;
    END LOOP;
  END IF;
  -- the national label the table yields to: another group of the same decision
  IF t.yields_to IS NOT NULL AND (t.yields_to = t.exception_to
       OR (SELECT y.decision FROM mynahoken.rule_label y WHERE y.label = t.yields_to) <> t.decision) THEN
    severity := 'error'; check_name := 'reference'; rows := NULL;
    detail := format('%s yields to %s, which is %s', t.table_name, t.yields_to,
                     CASE WHEN t.yields_to = t.exception_to THEN 'the label it is an exception to: it would never apply'
                          ELSE 'a label of another decision' END);
    errors := errors + 1;
    RETURN NEXT;
  END IF;
  -- what this version compiles: outcome and date decisions; the hit
  -- policies and aggregations that fit the decision's output
  problem := CASE
    WHEN d.output_type NOT IN ('outcome', 'date') THEN
      format('decision %s (output %s) is not compiled in this version', t.decision, d.output_type)
    WHEN d.output_type = 'date' AND t.hit_policy IN ('priority', 'rule_order') THEN
      format('hit policy %s does not fit decision %s: its output is one date (use first, or collect with min or max)', t.hit_policy, t.decision)
    WHEN d.output_type = 'date' AND t.on_no_match LIKE 'default %' THEN
      format('on_no_match %s does not fit decision %s: its output is a date, not an outcome', t.on_no_match, t.decision)
    WHEN d.output_type = 'date' AND t.aggregation NOT IN ('min', 'max') THEN
      format('aggregation %s does not fit decision %s: the rows give dates, which collect as min or max', t.aggregation, t.decision)
    WHEN d.output_type = 'outcome' AND t.aggregation <> 'list' THEN
      format('aggregation %s does not fit decision %s: the rows give outcomes, which collect as a list (sum and count need a number, min and max a number or a date)', t.aggregation, t.decision)
  END;
  IF problem IS NOT NULL THEN
    severity := 'error'; check_name := 'compile'; rows := NULL;
    detail := problem;
    errors := errors + 1;
    RETURN NEXT;
  END IF;

  -- 5. Overlaps, gaps, masked rows: the box algebra over the cells.
  IF errors = 0 THEN
    SELECT array_agg(f.fact_type ORDER BY u.i),
           array_agg(f.null_means = 'none' ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.lo END ORDER BY u.i),
           array_agg(CASE WHEN f.fact_type = 'int' THEN f.hi END ORDER BY u.i),
           max(coalesce(cardinality(f.enum_values), 0))
      INTO types, nullable, los, his, maxv
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i) JOIN mynahoken.rule_fact f ON f.fact = u.col;
    maxv := greatest(maxv, 1);
    SELECT array_agg(x.val ORDER BY u.i, x.k) INTO vals
      FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
      JOIN mynahoken.rule_fact f ON f.fact = u.col
      CROSS JOIN LATERAL (SELECT k, CASE WHEN f.fact_type = 'enum' THEN f.enum_values[k] END AS val
                            FROM generate_series(1, maxv) AS k) x;
    vals := array_fill(NULL::text, ARRAY[ncols, maxv]);
    FOR c IN SELECT u.i, f.enum_values FROM unnest(v.columns) WITH ORDINALITY AS u(col, i)
               JOIN mynahoken.rule_fact f ON f.fact = u.col WHERE f.fact_type = 'enum' LOOP
      FOR k IN 1 .. cardinality(c.enum_values) LOOP
        vals[c.i][k] := c.enum_values[k];
      END LOOP;
    END LOOP;
    SELECT array_agg(rr.row_no ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no),
           array_agg(rr.outcome ORDER BY CASE WHEN t.hit_policy = 'priority' THEN o.priority END, rr.row_no)
      INTO rownos, outs
      FROM mynahoken.rule_row rr
      LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
     WHERE rr.version_id = v.version_id;
    cells := array_fill(NULL::text, ARRAY[cardinality(rownos), ncols]);
    FOR k IN 1 .. cardinality(rownos) LOOP
      SELECT rr.cells INTO c FROM mynahoken.rule_row rr WHERE rr.version_id = v.version_id AND rr.row_no = rownos[k];
      FOR i IN 1 .. ncols LOOP
        cells[k][i] := c.cells[i];
      END LOOP;
    END LOOP;
    IF t.hit_policy IN ('unique', 'any') THEN checks := checks || 'overlap'::text; END IF;
    IF t.on_no_match = 'error' THEN checks := checks || 'gap'::text; END IF;
    IF t.hit_policy IN ('first', 'priority') THEN checks := checks || 'masked'::text; END IF;
    FOR c IN SELECT * FROM mynahoken.rule_check_boxes(v.columns, types, nullable, los, his, vals,
                                                      rownos, cells, checks) LOOP
      rows := c.rows;
      check_name := c.check_name;
      IF c.check_name = 'overlap' THEN
        IF t.hit_policy = 'any' AND outs[array_position(rownos, c.rows[1])] = outs[array_position(rownos, c.rows[2])] THEN
          CONTINUE;
        END IF;
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('rows %s and %s %s where %s: hit policy %s', c.rows[1], c.rows[2],
                         CASE WHEN c.uncertain THEN 'may overlap (a cell with param(), day or another fact is not analysed)' ELSE 'overlap' END,
                         c.witness, t.hit_policy);
      ELSIF c.check_name = 'gap' THEN
        severity := CASE WHEN c.uncertain THEN 'warning' ELSE 'error' END;
        detail := format('%s where %s: on_no_match is error',
                         CASE WHEN c.uncertain THEN 'possibly no row matches (a cell with param(), day or another fact is not analysed)' ELSE 'no row matches' END,
                         c.witness);
      ELSE
        severity := 'error';
        detail := format('row %s is never reached: the rows before it cover %s', c.rows[1], c.witness);
      END IF;
      RETURN NEXT;
      IF severity = 'error' THEN errors := errors + 1; END IF;
    END LOOP;
  END IF;

  -- 6. The table's own tests, through the generated decision with this version.
  IF errors = 0 THEN
    FOR c IN SELECT * FROM mynahoken.rule_run_tests(v.table_name, v.version_id) x WHERE NOT x.passed LOOP
      severity := 'error'; check_name := 'test'; rows := CASE WHEN c.row_no IS NOT NULL THEN ARRAY[c.row_no] END;
      detail := format('test "%s" (%s): expected %s, got %s', c.test_name, c.as_of, c.expect, coalesce(c.got, 'no outcome'));
      RETURN NEXT;
    END LOOP;
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_check(bigint) IS
  'Every check of a rule version, as rows (severity error/warning, check, rows, detail with witness): references, cells, parameters over the valid time, guard rails, overlaps, gaps, masked rows (n-dimensional), the table''s tests';

DROP FUNCTION mynahoken.rule_explain(text, text, date, date);

CREATE FUNCTION mynahoken.rule_explain(decision text, member_key text, as_of date, known_on date DEFAULT NULL,
                                       as_recorded_at timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  facts jsonb;
  tried jsonb;
  hit mynahoken.rule_hit;
  rec record;
  e jsonb;
  v mynahoken.rule_version;
  rr mynahoken.rule_row;
  rows_out jsonb := '[]';
  params jsonb := '[]';
  k int;
  pname text;
  scope text;
  p mynahoken.legal_parameter;
  ver jsonb;
  decided_by bigint;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.rule_compiled c WHERE c.decision = rule_explain.decision
                    AND c.eval_function IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  IF as_recorded_at IS NULL THEN
    EXECUTE format('SELECT t.facts, t.tried, t.hit FROM mynahoken.%I($1, $2) AS t WHERE t.member_key OPERATOR(pg_catalog.=) $3',
                   'rule_trace_' || decision)
      INTO rec USING as_of, known_on, member_key;
  ELSE
    -- what the database held then: the versions active at that time
    EXECUTE format('SELECT t.facts, t.tried, t.hit FROM (%s) AS t WHERE t.member_key OPERATOR(pg_catalog.=) $3',
                   mynahoken.rule_compile_query(decision, 'trace',
                     (SELECT c.source_relation FROM mynahoken.rule_compiled c WHERE c.decision = rule_explain.decision),
                     NULL, as_recorded_at))
      INTO rec USING as_of, known_on, member_key;
  END IF;
  facts := rec.facts;
  tried := rec.tried;
  hit := rec.hit;
  IF facts IS NULL THEN
    -- the key is personal data: it is not repeated in the message
    PERFORM mynahoken.raise_error('P0002', 'no such member in the member source');
  END IF;
  -- every row tried, in order, with its first failing cell and the member's value
  FOR e IN SELECT x FROM jsonb_array_elements(tried) AS x WHERE (x->>'in_scope')::boolean LOOP
    EXIT WHEN decided_by IS DISTINCT FROM NULL AND decided_by <> (e->>'version_id')::bigint;
    SELECT * INTO v FROM mynahoken.rule_version y WHERE y.version_id = (e->>'version_id')::bigint;
    SELECT * INTO rr FROM mynahoken.rule_row y WHERE y.version_id = v.version_id AND y.row_no = (e->>'row_no')::int;
    SELECT min(i) INTO k FROM generate_series(1, jsonb_array_length(e->'cells')) AS i
     WHERE NOT (e->'cells'->>(i - 1))::boolean;
    rows_out := rows_out || jsonb_build_array(jsonb_build_object(
      'table_name', e->>'table_name', 'version_id', v.version_id, 'row_no', rr.row_no, 'outcome', rr.outcome,
      'matched', k IS NULL,
      'first_failing_cell', CASE WHEN k IS NOT NULL THEN jsonb_build_object(
         'column', v.columns[k], 'cell', rr.cells[k], 'value', facts->v.columns[k]) END)
      -- a date decision's row: its date for the member (the expression in outcome)
      || CASE WHEN e ? 'value' THEN jsonb_build_object('value', e->'value') ELSE '{}' END);
    -- collect and rule order try every row of the version that decided
    IF k IS NULL THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mynahoken.rule_table t WHERE t.table_name = e->>'table_name'
                               AND t.hit_policy IN ('collect', 'rule_order'));
      decided_by := v.version_id;
    END IF;
  END LOOP;
  -- the parameters the rows in scope read, with value, scope, valid and recorded ranges, source
  FOR pname, scope IN
    SELECT DISTINCT pn, mynahoken.rule_table_scope(t.applies_to)
      FROM jsonb_array_elements(tried) AS x
      JOIN mynahoken.rule_version y ON y.version_id = (x->>'version_id')::bigint
      JOIN mynahoken.rule_table t ON t.table_name = y.table_name
      JOIN mynahoken.rule_row r ON r.version_id = y.version_id AND r.row_no = (x->>'row_no')::int
      CROSS JOIN LATERAL unnest(r.cells) WITH ORDINALITY AS u(cell, i)
      JOIN mynahoken.rule_fact f ON f.fact = y.columns[u.i]
      CROSS JOIN LATERAL jsonb_array_elements_text(
        coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]')) AS pn
     WHERE (x->>'in_scope')::boolean
  LOOP
    p := mynahoken.legal_parameter_at(pname, as_of, scope::mynahoken.insurer_category, known_on);
    params := params || jsonb_build_array(jsonb_build_object(
      'name', p.name, 'value', coalesce(to_jsonb(p.value_int), to_jsonb(p.value_date), to_jsonb(p.value_bool),
                                        to_jsonb(p.value_range::text), to_jsonb(p.value_text)),
      'scope', p.scope, 'valid', p.valid::text, 'recorded', p.recorded::text,
      'source', (SELECT to_jsonb(s) - 'shipped' FROM mynahoken.legal_source s WHERE s.source_id = p.source_id)));
  END LOOP;
  IF hit.version_id IS NOT NULL THEN
    SELECT jsonb_build_object('version_id', y.version_id, 'table_name', y.table_name, 'valid', y.valid::text,
                              'recorded_on', y.recorded_on, 'recorded_at', y.recorded_at, 'source', y.source,
                              'author', y.author, 'approved_by', y.approved_by, 'activated_at', y.activated_at,
                              'withdrawn_at', y.withdrawn_at)
      INTO ver FROM mynahoken.rule_version y WHERE y.version_id = hit.version_id;
  END IF;
  RETURN jsonb_build_object(
    'decision', decision, 'as_of', as_of, 'known_on', known_on,
    'outcome', hit.outcome, 'outcomes', to_jsonb(hit.outcomes), 'layer', hit.layer,
    'layer_chain', CASE WHEN hit.layer = 'insurer'
                        THEN format('row %s of %s v%s (source %s) overrides %s', hit.row_no, hit.table_name,
                                    hit.version_id, ver->>'source',
                                    (SELECT t.exception_to FROM mynahoken.rule_table t WHERE t.table_name = hit.table_name))
                        ELSE format('national %s: %s', decision, coalesce(facts->>(SELECT d.national_fact FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision), 'undecidable')) END,
    'rule_version', ver, 'rows_tried', rows_out, 'facts', facts, 'parameters', params)
    -- what the database held then (absent when the question is about now)
    || CASE WHEN as_recorded_at IS NOT NULL THEN jsonb_build_object('as_recorded_at', as_recorded_at) ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_explain(text, text, date, date, timestamptz) IS
  'Why a member gets a decision''s outcome (a date decision''s date) on as_of as known on known_on (NULL: now) and, with as_recorded_at, with the rule versions the database held active at that time, from the compiled predicates: outcome, layer chain, every row tried in order with its first failing cell and the member''s value (and a date row''s date), the facts read, the parameters with value, scope, valid and recorded ranges and source, and the rule version';

-- What the entries of a fact type are, for the messages of a refused entry
-- (they name the kind of literal expected, never the entry's text).
CREATE FUNCTION mynahoken.rule_cell_expected(fact_type text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE rule_cell_expected.fact_type
         WHEN 'int' THEN mynahoken.gettext('a whole number, or a comparison, range or list of whole numbers')
         WHEN 'date' THEN mynahoken.gettext('a date("YYYY-MM-DD"), or a comparison, range or list of dates')
         WHEN 'boolean' THEN mynahoken.gettext('true, false or null')
         WHEN 'enum' THEN mynahoken.gettext('one of the fact''s declared values as a string, or a list of them')
         WHEN 'text' THEN mynahoken.gettext('a string in double quotes, or a list of strings') END;
COMMENT ON FUNCTION mynahoken.rule_cell_expected(text) IS
  'Internal: what an entry of a fact type (int, date, boolean, enum, text) holds, in words of the session''s language, for the messages of a refused DMN entry; NULL for another type';

CREATE OR REPLACE FUNCTION mynahoken.rule_feel_cell(feel text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  problem text;
BEGIN
  SELECT * INTO r FROM mynahoken.rule_feel_translate(feel, fact_type);
  IF r.problem IS NOT NULL THEN
    PERFORM mynahoken.raise_error(r.sqlstate, 'FEEL unary test outside the supported subset',
      detail => (SELECT upper(left(d, 1)) || substr(d, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), r.problem) AS d));
  END IF;
  problem := mynahoken.rule_cell_problem(r.cell, fact_type, enum_values);
  IF problem IS NOT NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the FEEL unary test is not a valid cell for the fact type',
      detail => pg_catalog.format(mynahoken.gettext('A fact of type %s expects %s; the entry''s translation to the cell language is refused at character %s (%s).'),
                                  fact_type, mynahoken.rule_cell_expected(fact_type),
                                  substring(problem FROM '([0-9]+)$'),
                                  mynahoken.gettext(substring(problem FROM '^(.*) at character'))));
  END IF;
  RETURN r.cell;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_cell(text, text, text[]) IS
  'A FEEL unary test (DMN input entry) as a cell of the cell language, checked against a fact type (int, date, boolean, enum with its values, text); 22P02 for bad syntax or a cell the type refuses, 0A000 for FEEL outside the supported subset (decimals, arithmetic, function calls, "?" tests, null in a list), the DETAIL naming the construct (operator, keyword, function name) and character, never a value (string, number, date); NULL for NULL';

CREATE OR REPLACE FUNCTION mynahoken.rule_import_dmn(dmn xml, table_name text,
                                          valid daterange DEFAULT NULL, source text DEFAULT NULL,
                                          recorded_on date DEFAULT NULL,
                                          decision_name text DEFAULT NULL,
                                          facts jsonb DEFAULT NULL, outcomes jsonb DEFAULT NULL,
                                          decision text DEFAULT NULL, applies_to text[] DEFAULT NULL,
                                          exception_to text DEFAULT NULL, on_no_match text DEFAULT NULL,
                                          note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ns text;
  dpath text;
  dt record;
  t mynahoken.rule_table;
  d mynahoken.rule_decision;
  hp text;
  agg text;
  cols text[] := '{}';
  ftypes text[] := '{}';
  fenums jsonb := '[]';   -- each column's enum values (NULL: not an enum)
  inp record;
  fname text;
  f mynahoken.rule_fact;
  rl record;
  ent record;
  cells text[];
  tr record;
  problem text;
  outv text;
  vid bigint;
  rn integer;
  use_ids boolean;
  pvals text[];
  c text;
  v_valid daterange;
  v_recorded_on date;
  entries jsonb;
  oc record;
  o mynahoken.rule_outcome;
  oc_needs boolean;
  oc_priority integer;
  ann_names text[];
  ann jsonb;
BEGIN
  IF dmn IS NULL OR table_name IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a DMN import needs the document and a table name');
  END IF;
  ns := (xpath('namespace-uri(/*)', dmn))[1]::text;
  IF NOT ns = ANY (mynahoken.rule_dmn_namespaces())
     OR (xpath('local-name(/*)', dmn))[1]::text IS DISTINCT FROM 'definitions' THEN
    PERFORM mynahoken.raise_error('0A000', 'the document is not a DMN 1.3, 1.4 or 1.5 definitions element',
      hint => 'Save the model as DMN 1.3 or later; the namespaces read are listed by mynahoken.rule_dmn_namespaces().');
  END IF;
  IF (xpath('count(//*[@expressionLanguage and not(contains(translate(@expressionLanguage, ''FEL'', ''fel''), ''feel''))])', dmn))[1]::text <> '0' THEN
    PERFORM mynahoken.raise_error('0A000', 'the document uses an expression language other than FEEL',
      detail => 'Entries in JUEL, JavaScript or another language cannot be checked or compiled.');
  END IF;
  -- the decision: the one with a decision table, or the one named (by id or name)
  SELECT x.* INTO dt
    FROM XMLTABLE(XMLNAMESPACES(ns AS d), '/d:definitions/d:decision[d:decisionTable]' PASSING dmn
           COLUMNS pos FOR ORDINALITY, id text PATH '@id', name text PATH '@name',
                   hit text PATH 'd:decisionTable/@hitPolicy', agg text PATH 'd:decisionTable/@aggregation',
                   n_out integer PATH 'count(d:decisionTable/d:output)',
                   m_decision text PATH 'd:extensionElements/*[local-name()="version"]/@decision',
                   m_applies_to text PATH 'd:extensionElements/*[local-name()="version"]/@applies_to',
                   m_exception_to text PATH 'd:extensionElements/*[local-name()="version"]/@exception_to',
                   m_on_no_match text PATH 'd:extensionElements/*[local-name()="version"]/@on_no_match',
                   m_yields_to text PATH 'd:extensionElements/*[local-name()="version"]/@yields_to',
                   m_valid text PATH 'd:extensionElements/*[local-name()="version"]/@valid',
                   m_recorded_on text PATH 'd:extensionElements/*[local-name()="version"]/@recorded_on',
                   m_source text PATH 'd:extensionElements/*[local-name()="version"]/@source',
                   m_note text PATH 'd:extensionElements/*[local-name()="version"]/@note',
                   m_description text PATH 'd:extensionElements/*[local-name()="version"]/@description',
                   m_cap text PATH 'd:extensionElements/*[local-name()="version"]/@cap',
                   total integer PATH 'count(/d:definitions/d:decision[d:decisionTable])') AS x
   WHERE (decision_name IS NULL) OR x.id = decision_name OR x.name = decision_name
   ORDER BY x.pos LIMIT 1;
  IF NOT FOUND AND decision_name IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'the document has no decision table');
  ELSIF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'the document has no decision table with that id or name');
  END IF;
  IF decision_name IS NULL AND dt.total > 1 THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the document has %s decision tables'), dt.total),
      hint => 'Name one with decision_name => (its id or name).');
  END IF;
  dpath := format('/d:definitions/d:decision[d:decisionTable][%s]/d:decisionTable', dt.pos);
  IF dt.n_out <> 1 THEN
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the decision table has %s outputs'), dt.n_out),
      detail => 'A decision of the rule engine has one output: an outcome, or a date.');
  END IF;
  hp := CASE coalesce(dt.hit, 'UNIQUE') WHEN 'UNIQUE' THEN 'unique' WHEN 'ANY' THEN 'any' WHEN 'FIRST' THEN 'first'
          WHEN 'PRIORITY' THEN 'priority' WHEN 'COLLECT' THEN 'collect' WHEN 'RULE ORDER' THEN 'rule_order' END;
  IF hp IS NULL AND dt.hit = 'OUTPUT ORDER' THEN
    PERFORM mynahoken.raise_error('0A000', 'the hit policy OUTPUT ORDER is outside the supported subset',
      detail => 'OUTPUT ORDER sorts the outputs of every matching rule by the output values; the engine''s collect orders them by the outcomes'' priority.',
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  ELSIF hp IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', 'unknown hit policy',
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  END IF;
  agg := CASE WHEN dt.agg IS NULL THEN CASE WHEN hp = 'collect' THEN 'list' END
              WHEN hp <> 'collect' THEN 'bad'
              ELSE CASE dt.agg WHEN 'SUM' THEN 'sum' WHEN 'MIN' THEN 'min' WHEN 'MAX' THEN 'max' WHEN 'COUNT' THEN 'count' ELSE 'bad' END END;
  IF agg = 'bad' THEN
    PERFORM mynahoken.raise_error('22023', 'an aggregation needs the hit policy COLLECT and is one of SUM, MIN, MAX and COUNT');
  END IF;

  -- the rule table: defined from the arguments (or the document's metadata), or checked
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = rule_import_dmn.table_name;
  IF NOT FOUND AND coalesce(rule_import_dmn.exception_to, dt.m_exception_to) IS NULL THEN
    -- the export of a national table names no label: it is imported as a draft of that table
    PERFORM mynahoken.raise_error('22023', 'a new rule table needs the national label it is an exception to',
      detail => 'Only the extension ships national tables: a table defined by an import is an insurer table.',
      hint => 'Pass exception_to => label, or import the export of a national table under its own name, as a draft of it.');
  ELSIF NOT FOUND THEN
    PERFORM mynahoken.rule_table_define(rule_import_dmn.table_name,
      coalesce(rule_import_dmn.decision, dt.m_decision),
      coalesce(rule_import_dmn.applies_to, string_to_array(dt.m_applies_to, ',')),
      coalesce(rule_import_dmn.exception_to, dt.m_exception_to), hp,
      coalesce(rule_import_dmn.on_no_match, dt.m_on_no_match, 'national'),
      CASE WHEN rule_import_dmn.exception_to IS NULL THEN dt.m_yields_to END,
      CASE WHEN rule_import_dmn.exception_to IS NULL THEN dt.m_cap END,
      dt.m_description, agg);
    SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = rule_import_dmn.table_name;
  ELSIF t.hit_policy <> hp OR t.aggregation IS DISTINCT FROM agg THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the rule table has the hit policy %s, the DMN decision table %s'),
                                                               t.hit_policy || coalesce(' ' || t.aggregation, ''), hp || coalesce(' ' || agg, '')),
      hint => 'Import into a new table, or change the hit policy in the modeler.');
  ELSIF rule_import_dmn.decision IS DISTINCT FROM NULL AND rule_import_dmn.decision <> t.decision THEN
    PERFORM mynahoken.raise_error('22023', 'the rule table belongs to another decision');
  END IF;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;

  -- outcomes the export describes (mh:outcome): added when the database has
  -- none of that code, refused when its own means something else
  FOR oc IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d),
                             (format('/d:definitions/d:decision[d:decisionTable][%s]/d:extensionElements/*[local-name()="outcome"]', dt.pos)) PASSING dmn
                   COLUMNS pos FOR ORDINALITY, code text PATH '@code', label_ja text PATH '@label_ja',
                           needs_certificate text PATH '@needs_certificate', priority text PATH '@priority',
                           description text PATH '@description') AS x
     ORDER BY x.pos
  LOOP
    BEGIN
      oc_needs := oc.needs_certificate::boolean;
      oc_priority := oc.priority::integer;
    EXCEPTION WHEN data_exception THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('outcome %s of the mynahoken metadata has an invalid needs_certificate or priority'), oc.pos));
    END;
    SELECT * INTO o FROM mynahoken.rule_outcome x WHERE x.decision = t.decision AND x.code = oc.code;
    IF NOT FOUND AND oc.label_ja IS NOT NULL THEN
      PERFORM mynahoken.rule_outcome_add(t.decision, oc.code, oc.label_ja, oc_needs, coalesce(oc_priority, 100), oc.description);
    ELSIF FOUND AND (o.needs_certificate IS DISTINCT FROM oc_needs OR o.priority IS DISTINCT FROM coalesce(oc_priority, o.priority)) THEN
      PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('outcome %s of decision %s issues a 資格確認書 or ranks differently in the document'), o.code, t.decision),
        detail => 'The document describes the outcome with another needs_certificate or priority than the database.',
        hint => 'Map the document''s output to another outcome with outcomes => jsonb.');
    END IF;
  END LOOP;

  -- inputs: declared facts, by name or through the mapping
  FOR inp IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:input') PASSING dmn
                   COLUMNS pos FOR ORDINALITY, label text PATH '@label',
                           expr text PATH 'd:inputExpression/d:text', type_ref text PATH 'd:inputExpression/@typeRef') AS x
     ORDER BY x.pos
  LOOP
    fname := coalesce(facts->>btrim(inp.expr), facts->>inp.label, btrim(inp.expr));
    SELECT * INTO f FROM mynahoken.rule_fact x WHERE x.fact = fname;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('input %s of the decision table is not a declared fact'), inp.pos),
        hint => 'Map its expression to a fact with facts => jsonb, or declare the fact with mynahoken.rule_fact_add().');
    END IF;
    IF inp.type_ref IS NOT NULL AND inp.type_ref <> ''
       AND NOT (inp.type_ref, f.fact_type) IN (('number', 'int'), ('integer', 'int'), ('long', 'int'), ('string', 'text'), ('string', 'enum'),
                                                ('boolean', 'boolean'), ('date', 'date')) THEN
      PERFORM mynahoken.raise_error('42804', pg_catalog.format(mynahoken.gettext('input %s has a type in the DMN that fact %s (%s) does not have'),
                                                                 inp.pos, f.fact, f.fact_type),
        hint => 'The types read are number, integer and long (int facts), string (text and enum facts), boolean and date.');
    END IF;
    cols := cols || f.fact;
    ftypes := ftypes || f.fact_type;
    fenums := fenums || jsonb_build_array(to_jsonb(f.enum_values));
  END LOOP;
  IF cardinality(cols) = 0 THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision table has no input',
      detail => 'A rule table tests at least one fact.');
  END IF;

  -- PRIORITY: the order of the output values is the outcomes' priority
  IF hp = 'priority' THEN
    pvals := ARRAY(SELECT coalesce(outcomes->>v.m[1], v.m[1])
                     FROM regexp_matches(coalesce((xpath(dpath || '/d:output/d:outputValues/d:text/text()', dmn,
                                                         ARRAY[ARRAY['d', ns]]))[1]::text, ''),
                                         '"((?:[^"\\]|\\.)*)"', 'g') WITH ORDINALITY AS v(m, o) ORDER BY v.o);
    IF cardinality(pvals) = 0 THEN
      PERFORM mynahoken.raise_error('22023', 'a PRIORITY table needs its output values, in priority order');
    END IF;
    IF NOT (SELECT bool_and(s.code IS NOT NULL AND (s.prev IS NULL OR s.prio > s.prev))
              FROM (SELECT ro.code, ro.priority AS prio, lag(ro.priority) OVER (ORDER BY a.o) AS prev
                      FROM unnest(pvals) WITH ORDINALITY AS a(v, o)
                      LEFT JOIN mynahoken.rule_outcome ro ON ro.decision = t.decision AND ro.code = a.v) AS s) THEN
      PERFORM mynahoken.raise_error('22023', 'the output values of the PRIORITY table are not outcomes in the order of their priorities',
        hint => 'The engine ranks outcomes by mynahoken.rule_outcome.priority (lower first): list the output values in that order.');
    END IF;
  END IF;

  -- the version's times and source: the arguments, or the export's metadata
  BEGIN
    v_valid := coalesce(rule_import_dmn.valid, dt.m_valid::daterange);
    v_recorded_on := coalesce(rule_import_dmn.recorded_on, dt.m_recorded_on::date);
  EXCEPTION WHEN data_exception THEN
    -- the cast's own message would repeat the text
    PERFORM mynahoken.raise_error('22P02', 'the mynahoken metadata of the document has an invalid valid range or knowledge day');
  END;
  IF v_valid IS NULL OR v_recorded_on IS NULL OR coalesce(rule_import_dmn.source, dt.m_source) IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a DMN import needs valid, source and recorded_on',
      hint => 'Pass them as arguments; a document exported by mynahoken.rule_export_dmn carries them.');
  END IF;
  INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, note)
  VALUES (rule_import_dmn.table_name, v_valid, v_recorded_on,
          coalesce(rule_import_dmn.source, dt.m_source), cols, coalesce(rule_import_dmn.note, dt.m_note))
  RETURNING version_id INTO vid;

  -- rules: row numbers from ids row_<n> (the export's) when every rule has a distinct one
  SELECT count(*) = count(DISTINCT x.id)
         AND bool_and(CASE WHEN x.id ~ '^row_[0-9]{1,6}$' THEN substr(x.id, 5)::int > 0 ELSE false END)
    INTO use_ids
    FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule') PASSING dmn COLUMNS id text PATH '@id') AS x;
  -- every input entry, read once: the texts of each rule's entries in order
  SELECT jsonb_object_agg(y.rule_pos, y.texts) INTO entries
    FROM (SELECT x.rule_pos, jsonb_agg(coalesce(x.txt, '') ORDER BY x.pos) AS texts
            FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule/d:inputEntry') PASSING dmn
                   COLUMNS rule_pos integer PATH 'count(../preceding-sibling::d:rule) + 1',
                           pos integer PATH 'count(preceding-sibling::d:inputEntry) + 1',
                           txt text PATH 'd:text') AS x
           GROUP BY x.rule_pos) AS y;
  -- annotation columns: the one named label gives the rows' labels, the
  -- others are kept by name with each row (annotations)
  ann_names := ARRAY(SELECT coalesce(nullif(x.name, ''), 'annotation_' || x.pos)
                       FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:annotation') PASSING dmn
                              COLUMNS pos FOR ORDINALITY, name text PATH '@name') AS x ORDER BY x.pos);
  SELECT jsonb_object_agg(y.rule_pos, y.anns) INTO ann
    FROM (SELECT x.rule_pos, jsonb_object_agg(ann_names[x.pos], x.txt) AS anns
            FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule/d:annotationEntry') PASSING dmn
                   COLUMNS rule_pos integer PATH 'count(../preceding-sibling::d:rule) + 1',
                           pos integer PATH 'count(preceding-sibling::d:annotationEntry) + 1',
                           txt text PATH 'd:text') AS x
           WHERE x.pos <= cardinality(ann_names) AND coalesce(x.txt, '') <> ''
           GROUP BY x.rule_pos) AS y;
  FOR rl IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule') PASSING dmn
                   COLUMNS pos FOR ORDINALITY, id text PATH '@id', description text PATH 'd:description',
                           n_in integer PATH 'count(d:inputEntry)', n_out integer PATH 'count(d:outputEntry)',
                           out_text text PATH 'd:outputEntry/d:text') AS x
     ORDER BY x.pos
  LOOP
    rn := CASE WHEN use_ids THEN substr(rl.id, 5)::int ELSE rl.pos END;
    IF rl.n_in <> cardinality(cols) OR rl.n_out <> 1 THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('rule %s has %s input entries and %s output entries for %s inputs and one output'),
                                                                 rl.pos, rl.n_in, rl.n_out, cardinality(cols)));
    END IF;
    cells := '{}';
    FOR ent IN SELECT e.o::integer AS pos, e.v AS txt
                 FROM jsonb_array_elements_text(coalesce(entries->(rl.pos::text), '[]')) WITH ORDINALITY AS e(v, o) ORDER BY e.o LOOP
      -- "-" and the empty entry need neither translation nor check
      IF btrim(ent.txt) IN ('', '-') THEN
        cells := cells || '-'::text;
        CONTINUE;
      END IF;
      SELECT * INTO tr FROM mynahoken.rule_feel_translate(ent.txt, ftypes[ent.pos]);
      IF tr.problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error(tr.sqlstate, pg_catalog.format(mynahoken.gettext('unsupported FEEL in rule %s, column "%s"'), rl.pos, cols[ent.pos]),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), tr.problem) AS x),
          hint => 'The FEEL read is -, null, not(...), lists, comparisons, ranges, numbers, strings, true, false and date("YYYY-MM-DD"): rewrite the entry in the modeler.');
      END IF;
      problem := mynahoken.rule_cell_problem(tr.cell, ftypes[ent.pos],
                   CASE WHEN ftypes[ent.pos] = 'enum' THEN ARRAY(SELECT jsonb_array_elements_text(fenums->(ent.pos - 1))) END);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid entry in rule %s, column "%s": expected %s'),
                                                                 rl.pos, cols[ent.pos], mynahoken.rule_cell_expected(ftypes[ent.pos])),
          detail => pg_catalog.format(mynahoken.gettext('Column "%s" is a fact of type %s; the entry''s translation to the cell language is refused at character %s (%s).'),
                                      cols[ent.pos], ftypes[ent.pos],
                                      substring(problem FROM '([0-9]+)$'),
                                      mynahoken.gettext(substring(problem FROM '^(.*) at character'))));
      END IF;
      cells := cells || tr.cell;
    END LOOP;
    -- the output: an outcome as a FEEL string, or a date decision's expression
    c := btrim(coalesce(rl.out_text, ''));
    IF d.output_type = 'date' THEN
      outv := CASE WHEN c ~ '^date\(\s*"[0-9]{4}-[0-9]{2}-[0-9]{2}"\s*\)$' THEN substring(c FROM '"(.*)"') ELSE c END;
      problem := mynahoken.rule_expr_problem(outv);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid output entry in rule %s'), rl.pos),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), problem) AS x),
          hint => 'A date decision''s output is date("YYYY-MM-DD") or an output expression of the rule engine (add_months(day, 12) ...).');
      END IF;
    ELSE
      IF c !~ '^"(?:[^"\\]|\\.)*"$' THEN
        PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the output entry of rule %s is not a string literal'), rl.pos),
          hint => 'An outcome is written as a FEEL string, "code".');
      END IF;
      outv := substr(c, 2, length(c) - 2);
      outv := coalesce(outcomes->>outv, outv);
      IF outv = 'undecidable' AND t.layer <> 'national' THEN
        PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the output of rule %s is undecidable, an outcome only national tables give'), rl.pos),
          detail => 'A national table reports the members its decision cannot decide (no birth date, contradictory days); an insurer table leaves them to the national layer.',
          hint => 'Import the export of a national table under its own name, as a draft of it; an insurer table uses on_no_match national or error.');
      END IF;
      IF hp = 'priority' AND NOT outv = ANY (pvals) THEN
        PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the output of rule %s is not among the output values of the PRIORITY table'), rl.pos));
      END IF;
      IF NOT EXISTS (SELECT FROM mynahoken.rule_outcome ro WHERE ro.decision = t.decision AND ro.code = outv)
         AND outv <> 'undecidable' THEN
        PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('the output of rule %s is not an outcome of decision %s'), rl.pos, t.decision),
          hint => 'Map it with outcomes => jsonb, or add the outcome with mynahoken.rule_outcome_add().');
      END IF;
    END IF;
    -- PostgreSQL's own message would repeat the values
    BEGIN
      INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note, annotations)
      VALUES (vid, rn, cells, outv, ann->(rl.pos::text)->>'label', nullif(rl.description, ''),
              nullif((ann->(rl.pos::text)) - 'label', '{}'));
    EXCEPTION WHEN unique_violation THEN
      PERFORM mynahoken.raise_error('23505', pg_catalog.format(mynahoken.gettext('rule %s repeats a row number'), rl.pos));
    END;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row r WHERE r.version_id = vid) THEN
    PERFORM mynahoken.raise_error('22P02', 'the decision table has no rule');
  END IF;
  RETURN vid;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) IS
  'Import a DMN 1.3/1.4/1.5 decision table (read with XMLTABLE) as a draft version of a rule table, defined when new (decision, applies_to, exception_to, on_no_match from the arguments or the export''s metadata); inputs are facts by expression or through facts => {"expression": "fact"}, outputs outcomes through outcomes => {"string": "code"}, FEEL unary tests become cells; valid, source and recorded_on from the arguments or the metadata; the table''s description and cap, the outcomes it lacks (mh:outcome: label_ja, needs_certificate, priority) and the annotation columns (label, the others kept in rule_row.annotations) from the document; the export of a national table is imported under its own name as a draft of it (outcome undecidable, never activated); returns the version id. Errors name the rule number, the column and, in the DETAIL, the FEEL construct (operator, keyword, function name) and character, never a value: 0A000 outside the subset (OUTPUT ORDER, several outputs, decimals, arithmetic, function calls), 22P02 bad FEEL or cell (naming the kind of literal the column expects), 42704 unknown fact or outcome, 42804 type mismatch, 22023 hit policy or priorities that do not fit, a new table without the label it is an exception to, undecidable in an insurer table, an outcome that issues or ranks differently in the database';

CREATE OR REPLACE FUNCTION mynahoken.rule_export_dmn(version_id bigint)
RETURNS xml
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  d mynahoken.rule_decision;
  ident text;
  has_label boolean;
  ann_names text[];
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_export_dmn.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'no such rule version');
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  ident := translate(t.table_name, '.', '_');
  SELECT bool_or(r.label IS NOT NULL) INTO has_label FROM mynahoken.rule_row r WHERE r.version_id = v.version_id;
  -- annotation columns: label, then the rows' other annotations by name
  ann_names := CASE WHEN has_label THEN ARRAY['label'] ELSE '{}' END
               || ARRAY(SELECT DISTINCT k FROM mynahoken.rule_row r, jsonb_object_keys(r.annotations) AS k
                         WHERE r.version_id = v.version_id AND k <> 'label' ORDER BY k);
  RETURN xmlelement(name definitions,
    xmlattributes('https://www.omg.org/spec/DMN/20191111/MODEL/' AS xmlns,
                  'https://www.omg.org/spec/DMN/20191111/DMNDI/' AS "xmlns:dmndi",
                  'http://www.omg.org/spec/DMN/20180521/DC/' AS "xmlns:dc",
                  'urn:mynahoken:dmn' AS "xmlns:mh",
                  'definitions_' || ident AS id, t.table_name AS name, 'urn:mynahoken:rules' AS namespace,
                  'mynahoken' AS exporter, '0.2' AS "exporterVersion"),
    xmlelement(name decision, xmlattributes('decision_' || ident AS id, t.table_name AS name),
      xmlelement(name description,
        format('%s, version %s (%s): valid %s, recorded on %s, source %s; %s, exception to %s, applies to %s',
               t.decision, v.version_id, v.status, v.valid, v.recorded_on, v.source, t.layer,
               t.exception_to, array_to_string(t.applies_to, ','))),
      xmlelement(name "extensionElements",
        xmlelement(name "mh:version",
          xmlattributes(t.table_name AS "table", t.decision AS decision, array_to_string(t.applies_to, ',') AS applies_to,
                        t.exception_to AS exception_to, t.on_no_match AS on_no_match, t.yields_to AS yields_to,
                        v.version_id AS version_id, v.status AS status, v.valid::text AS valid,
                        v.recorded_on::text AS recorded_on, v.recorded_at::text AS recorded_at, v.source AS source,
                        v.author AS author, v.approved_by AS approved_by, v.note AS note,
                        t.description AS description, t.cap AS cap)),
        -- the outcomes the rows give, so that an import elsewhere defines them
        (SELECT xmlagg(xmlelement(name "mh:outcome",
                         xmlattributes(o.code AS code, o.label_ja AS label_ja, o.needs_certificate AS needs_certificate,
                                       o.priority AS priority, o.description AS description)) ORDER BY o.priority, o.code)
           FROM mynahoken.rule_outcome o
          WHERE o.decision = t.decision AND d.output_type <> 'date'
            AND o.code IN (SELECT r.outcome FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))),
      xmlelement(name "decisionTable",
        xmlattributes('table_' || ident AS id,
                      CASE t.hit_policy WHEN 'rule_order' THEN 'RULE ORDER' ELSE upper(t.hit_policy) END AS "hitPolicy",
                      CASE WHEN t.aggregation <> 'list' THEN upper(t.aggregation) END AS aggregation),
        (SELECT xmlagg(xmlelement(name input, xmlattributes('input_' || i AS id, v.columns[i] AS label),
                         xmlelement(name "inputExpression",
                           xmlattributes('inputExpression_' || i AS id,
                                         CASE f.fact_type WHEN 'int' THEN 'number' WHEN 'date' THEN 'date'
                                                          WHEN 'boolean' THEN 'boolean' ELSE 'string' END AS "typeRef"),
                           xmlelement(name text, v.columns[i]))) ORDER BY i)
           FROM generate_subscripts(v.columns, 1) AS i
           JOIN mynahoken.rule_fact f ON f.fact = v.columns[i]),
        xmlelement(name output, xmlattributes('output_1' AS id, CASE WHEN d.output_type = 'date' THEN 'value' ELSE 'outcome' END AS name,
                                              CASE WHEN d.output_type = 'date' THEN 'date' ELSE 'string' END AS "typeRef"),
          CASE WHEN t.hit_policy = 'priority' THEN
            xmlelement(name "outputValues",
              xmlelement(name text, (SELECT string_agg('"' || o.code || '"', ',' ORDER BY o.priority, o.code)
                                       FROM mynahoken.rule_outcome o WHERE o.decision = t.decision
                                        AND o.code IN (SELECT r.outcome FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))))
          END),
        (SELECT xmlagg(xmlelement(name annotation, xmlattributes(a.name AS name)) ORDER BY a.o)
           FROM unnest(ann_names) WITH ORDINALITY AS a(name, o)),
        (SELECT xmlagg(xmlelement(name rule, xmlattributes('row_' || r.row_no AS id),
                         CASE WHEN r.note IS NOT NULL THEN xmlelement(name description, r.note) END,
                         (SELECT xmlagg(xmlelement(name "inputEntry", xmlattributes(format('row_%s_in_%s', r.row_no, i) AS id),
                                          xmlelement(name text, mynahoken.rule_cell_feel(r.cells[i], f.fact_type, f.enum_values))) ORDER BY i)
                            FROM generate_subscripts(v.columns, 1) AS i
                            JOIN mynahoken.rule_fact f ON f.fact = v.columns[i]),
                         xmlelement(name "outputEntry", xmlattributes(format('row_%s_out', r.row_no) AS id),
                           xmlelement(name text,
                             CASE WHEN d.output_type = 'date' THEN
                                    CASE WHEN r.outcome ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN 'date("' || r.outcome || '")' ELSE r.outcome END
                                  ELSE '"' || replace(replace(r.outcome, '\', '\\'), '"', '\"') || '"' END)),
                         (SELECT xmlagg(xmlelement(name "annotationEntry",
                                          xmlelement(name text, CASE WHEN a.name = 'label' THEN r.label ELSE r.annotations->>a.name END))
                                        ORDER BY a.o)
                            FROM unnest(ann_names) WITH ORDINALITY AS a(name, o)))
                       ORDER BY r.row_no)
           FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))),
    xmlelement(name "dmndi:DMNDI",
      xmlelement(name "dmndi:DMNDiagram", xmlattributes('diagram_' || ident AS id),
        xmlelement(name "dmndi:DMNShape", xmlattributes('shape_' || ident AS id, 'decision_' || ident AS "dmnElementRef"),
          xmlelement(name "dc:Bounds", xmlattributes(80 AS height, 180 AS width, 160 AS x, 100 AS y))))));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_export_dmn(bigint) IS
  'A rule version as DMN 1.3 XML that Camunda Modeler opens: one decision with its decision table (hit policy, aggregation, inputs typed from the facts, cells as FEEL unary tests, outcomes as strings, row notes as rule descriptions, labels and the rows'' annotations as annotation columns, PRIORITY output values in priority order), the version''s source, valid time, knowledge day, status, author and approver and the table''s description and cap in the description and in extensionElements (mh:version), the outcomes the rows give (mh:outcome: label_ja, needs_certificate, priority, description), all read back by mynahoken.rule_import_dmn, and a diagram shape; 42704 for an unknown version, 0A000 for sql: cells';

-- ---------------------------------------------------------------------------
-- Change sets: rule versions and calendar entries made visible together.

CREATE SEQUENCE mynahoken.rule_change_set_id_seq;
COMMENT ON SEQUENCE mynahoken.rule_change_set_id_seq IS 'Ids of mynahoken.rule_change_set';

-- An author opens a set with the calendar entries it brings (the argument of
-- mynahoken.record_legal_change_set, kept here until activation) and adds
-- drafts to it; an approver other than the author activates it: the entries
-- are recorded and every draft activated in one transaction, at one time.
CREATE TABLE mynahoken.rule_change_set (
  change_set_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.rule_change_set_id_seq'),
  note          text,
  parameters    jsonb CHECK (pg_catalog.jsonb_typeof(parameters) OPERATOR(pg_catalog.=) 'array'),
  parameters_recorded_on date,     -- knowledge day of the calendar entries
  parameters_reason text,          -- for a knowledge day more than 31 days back
  author        name NOT NULL DEFAULT CURRENT_USER,
  recorded_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),  -- system time
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'active')),
  approved_by   name,
  activated_at  timestamptz,       -- system time at which every change became active
  legal_change_set_id bigint REFERENCES mynahoken.legal_change_set,
  CHECK ((parameters IS NULL) = (parameters_recorded_on IS NULL)),
  CHECK ((status OPERATOR(pg_catalog.=) 'open') = (approved_by IS NULL))
);
ALTER SEQUENCE mynahoken.rule_change_set_id_seq OWNED BY mynahoken.rule_change_set.change_set_id;
COMMENT ON TABLE mynahoken.rule_change_set IS
  'Changes made visible together: draft rule versions (mynahoken.rule_change_set_version) and calendar entries (parameters, recorded at activation as one legal change set), authored by one role and activated by another at one system time';

CREATE TABLE mynahoken.rule_change_set_version (
  version_id    bigint PRIMARY KEY REFERENCES mynahoken.rule_version,
  change_set_id bigint NOT NULL REFERENCES mynahoken.rule_change_set
);
COMMENT ON TABLE mynahoken.rule_change_set_version IS
  'The draft rule versions of a change set (a version belongs to one set at most and is then activated only with it)';

CREATE FUNCTION mynahoken.rule_change_set_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  restoring boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user);
  st text;
BEGIN
  IF TG_TABLE_NAME = 'rule_change_set_version' THEN
    IF TG_OP = 'UPDATE' THEN
      PERFORM mynahoken.raise_error('23000', 'a version of a change set cannot move to another set',
        hint => 'Delete it from the open set and add it to the other.');
    END IF;
    IF restoring AND TG_OP = 'INSERT' THEN
      RETURN NEW;
    END IF;
    SELECT cs.status INTO st FROM mynahoken.rule_change_set cs
     WHERE cs.change_set_id = CASE TG_OP WHEN 'DELETE' THEN OLD.change_set_id ELSE NEW.change_set_id END;
    IF st <> 'open' THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('change set %s is active: its versions cannot change'),
                                                                 CASE TG_OP WHEN 'DELETE' THEN OLD.change_set_id ELSE NEW.change_set_id END));
    END IF;
    IF TG_OP = 'INSERT' AND (SELECT v.status FROM mynahoken.rule_version v WHERE v.version_id = NEW.version_id) <> 'draft' THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('rule version %s is not a draft: only drafts join a change set'), NEW.version_id));
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NOT restoring THEN
      NEW.author := current_user;
      NEW.recorded_at := pg_catalog.clock_timestamp();
      NEW.status := 'open';
      NEW.approved_by := NULL;
      NEW.activated_at := NULL;
      NEW.legal_change_set_id := NULL;
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'open' OR EXISTS (SELECT FROM mynahoken.rule_change_set_version m WHERE m.change_set_id = OLD.change_set_id) THEN
      PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('change set %s cannot be deleted: it is active or has versions'), OLD.change_set_id));
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.change_set_id, NEW.note, NEW.parameters, NEW.parameters_recorded_on, NEW.parameters_reason, NEW.author, NEW.recorded_at)
     IS DISTINCT FROM
     (OLD.change_set_id, OLD.note, OLD.parameters, OLD.parameters_recorded_on, OLD.parameters_reason, OLD.author, OLD.recorded_at)
     OR NOT (OLD.status = 'open' AND NEW.status = 'active') THEN
    PERFORM mynahoken.raise_error('23000', pg_catalog.format(mynahoken.gettext('change sets are append-only: change set %s can only be activated, once'), OLD.change_set_id),
      hint => 'SELECT * FROM mynahoken.rule_change_set_activate(change_set).');
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate a change set');
  END IF;
  IF current_user = OLD.author THEN
    PERFORM mynahoken.raise_error('42501', pg_catalog.format(mynahoken.gettext('change set %s was opened by %s, who cannot also approve it'), OLD.change_set_id, OLD.author),
      hint => 'Another member of mynahoken_rule_approver activates it (four eyes).');
  END IF;
  NEW.approved_by := current_user;
  NEW.activated_at := pg_catalog.clock_timestamp();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_change_set_guard() IS
  'Trigger: change sets are append-only (author and system time set by the database, kept by a superuser''s restore); a set is activated once, by a member of mynahoken_rule_approver other than its author; drafts join and leave only an open set';

CREATE TRIGGER rule_change_set_guard BEFORE INSERT OR UPDATE OR DELETE ON mynahoken.rule_change_set
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_change_set_guard();
CREATE TRIGGER rule_change_set_version_guard BEFORE INSERT OR UPDATE OR DELETE ON mynahoken.rule_change_set_version
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_change_set_guard();

CREATE FUNCTION mynahoken.rule_change_set_open(note text, parameters jsonb DEFAULT NULL,
                                               parameters_recorded_on date DEFAULT NULL,
                                               parameters_reason text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
BEGIN
  IF (parameters IS NULL) <> (parameters_recorded_on IS NULL) THEN
    PERFORM mynahoken.raise_error('22004', 'the calendar entries of a change set need their knowledge day, and the reverse');
  END IF;
  IF parameters IS NOT NULL AND (jsonb_typeof(parameters) <> 'array' OR jsonb_array_length(parameters) = 0) THEN
    PERFORM mynahoken.raise_error('22023', 'the calendar entries of a change set must be a non-empty JSON array',
      hint => 'The entries are those of mynahoken.record_legal_change_set: name, scope, valid, value, source ...');
  END IF;
  INSERT INTO mynahoken.rule_change_set (note, parameters, parameters_recorded_on, parameters_reason)
  VALUES (rule_change_set_open.note, rule_change_set_open.parameters, rule_change_set_open.parameters_recorded_on,
          rule_change_set_open.parameters_reason)
  RETURNING change_set_id INTO id;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_change_set_open(text, jsonb, date, text) IS
  'Open a change set (author): a note, and optionally the calendar entries it brings (a JSON array as for mynahoken.record_legal_change_set) with their knowledge day and, more than 31 days back, a reason; they are recorded when the set is activated. Returns the id; 22004 for entries without a day, 22023 for entries that are not a non-empty array';

CREATE FUNCTION mynahoken.rule_change_set_add(change_set_id bigint, version_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF change_set_id IS NULL OR version_id IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a change set and a rule version are needed');
  END IF;
  INSERT INTO mynahoken.rule_change_set_version (version_id, change_set_id)
  VALUES (rule_change_set_add.version_id, rule_change_set_add.change_set_id);
EXCEPTION
  -- PostgreSQL's own messages would repeat the values
  WHEN foreign_key_violation THEN
    PERFORM mynahoken.raise_error('23503', 'no such change set or rule version');
  WHEN unique_violation THEN
    PERFORM mynahoken.raise_error('23505', 'the rule version already belongs to a change set');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_change_set_add(bigint, bigint) IS
  'Add a draft rule version to an open change set (author): it is then activated only with the set. 23503 for an unknown set or version, 23505 for a version already in a set, 23000 for a version that is not a draft or a set already active';

CREATE FUNCTION mynahoken.rule_change_set_activate(change_set_id bigint)
RETURNS TABLE (version_id bigint, severity text, check_name text, rows integer[], detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cs mynahoken.rule_change_set;
  lcs bigint;
  v bigint;
  diag jsonb;
BEGIN
  IF NOT pg_has_role(current_user, 'mynahoken_rule_approver', 'USAGE') THEN
    PERFORM mynahoken.raise_error('42501', 'only a member of mynahoken_rule_approver may activate a change set');
  END IF;
  SELECT * INTO cs FROM mynahoken.rule_change_set x WHERE x.change_set_id = rule_change_set_activate.change_set_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'no such change set');
  ELSIF cs.status <> 'open' THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('change set %s is already active'), cs.change_set_id));
  ELSIF current_user = cs.author THEN
    -- before anything is recorded (the guard checks it again)
    PERFORM mynahoken.raise_error('42501', pg_catalog.format(mynahoken.gettext('change set %s was opened by %s, who cannot also approve it'), cs.change_set_id, cs.author),
      hint => 'Another member of mynahoken_rule_approver activates it (four eyes).');
  ELSIF cs.parameters IS NULL AND NOT EXISTS (SELECT FROM mynahoken.rule_change_set_version m WHERE m.change_set_id = cs.change_set_id) THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('change set %s is empty'), cs.change_set_id));
  END IF;
  -- the calendar entries first, so that the versions' checks see them
  IF cs.parameters IS NOT NULL THEN
    lcs := mynahoken.record_legal_change_set(cs.parameters_recorded_on, cs.parameters, cs.parameters_reason,
                                             coalesce(cs.note, pg_catalog.format('rule change set %s', cs.change_set_id)));
  END IF;
  -- the guard checks the approver (not the author) and sets the time every version takes
  UPDATE mynahoken.rule_change_set x SET status = 'active', legal_change_set_id = lcs
   WHERE x.change_set_id = cs.change_set_id;
  FOR v IN SELECT m.version_id FROM mynahoken.rule_change_set_version m
            WHERE m.change_set_id = cs.change_set_id ORDER BY m.version_id LOOP
    UPDATE mynahoken.rule_version x SET status = 'active' WHERE x.version_id = v
    RETURNING x.diagnostics INTO diag;
    RETURN QUERY
    SELECT v, e->>'severity', e->>'check_name',
           ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e->'rows') = 'array' THEN e->'rows' ELSE '[]' END)::int),
           e->>'detail'
      FROM jsonb_array_elements(diag) AS e;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_change_set_activate(bigint) IS
  'Activate a change set (approver, not its author): records its calendar entries as one legal change set (the caller needs mynahoken_calendar_author for that) and activates every draft of it with its checks, all in one transaction and at the set''s activation time; returns the versions'' warnings. 42501 for the author or a non-approver, 42704 unknown set, 55000 already active, 22023 empty set, 23514 a version refused by its checks (nothing is then activated)';

-- ---------------------------------------------------------------------------
-- Evaluations at a time, and the dry run of a draft.

-- The generated query of a decision over the member source with the columns
-- member_key, outcome (a date decision's date as YYYY-MM-DD), version_id,
-- row_no, layer and table_name.
CREATE FUNCTION mynahoken.rule_member_query(decision text, candidate bigint, held_at timestamptz)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text;
  q text;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.rule_decision d WHERE d.decision = rule_member_query.decision) THEN
    PERFORM mynahoken.raise_error('42704', 'unknown decision',
      hint => 'The decisions are listed in mynahoken.rule_decision.');
  END IF;
  -- the member source the decision was compiled over
  SELECT c.source_relation INTO src FROM mynahoken.rule_compiled c WHERE c.decision = rule_member_query.decision;
  IF src IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  q := mynahoken.rule_compile_query(decision, 'member', src, candidate, held_at);
  IF (SELECT d.output_type FROM mynahoken.rule_decision d WHERE d.decision = rule_member_query.decision) = 'date' THEN
    RETURN format('SELECT x.member_key, pg_catalog.to_char((x.hit).value, ''YYYY-MM-DD'') AS outcome, (x.hit).version_id, (x.hit).row_no,'
                  ' (x.hit).layer, (x.hit).table_name FROM (%s) AS x', q);
  END IF;
  RETURN format('SELECT x.member_key, x.outcome, x.version_id, x.row_no, x.layer, x.table_name FROM (%s) AS x', q);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_member_query(text, bigint, timestamptz) IS
  'Internal: the generated query of a decision over the member source it was compiled over (member_key, outcome or a date decision''s date as YYYY-MM-DD, version_id, row_no, layer, table_name), with a candidate draft or the versions held active at a time; 55000 for a decision not compiled over a member source, 42704 for an unknown decision';

CREATE FUNCTION mynahoken.rule_evaluate(decision text, as_of date, known_on date DEFAULT NULL,
                                        as_recorded_at timestamptz DEFAULT NULL)
RETURNS TABLE (member_key text, outcome text, version_id bigint, row_no integer, layer text, table_name text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF decision IS NULL OR as_of IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a decision and a decision day are needed');
  END IF;
  RETURN QUERY EXECUTE mynahoken.rule_member_query(decision, NULL, as_recorded_at) USING as_of, known_on;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_evaluate(text, date, date, timestamptz) IS
  'A decision for every member of the member source on as_of, as known on known_on (NULL: now) and, with as_recorded_at, with the rule versions the database held active at that time (what it decided then; the calendar is read as known on known_on): member_key, outcome (a date decision''s date as YYYY-MM-DD), the version, row, layer and table that decided. 22004 for a NULL decision or day, 42704 for an unknown decision, 55000 for a decision not compiled over a member source';

CREATE FUNCTION mynahoken.rule_diff(candidate_version bigint, as_of date, known_on date DEFAULT NULL)
RETURNS TABLE (before text, after text, members bigint, changed boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  dec text;
BEGIN
  IF candidate_version IS NULL OR as_of IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a rule version and a decision day are needed');
  END IF;
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = candidate_version;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('no rule version %s'), candidate_version));
  END IF;
  SELECT t.decision INTO dec FROM mynahoken.rule_table t WHERE t.table_name = v.table_name;
  RETURN QUERY EXECUTE format(
    'SELECT b.outcome, a.outcome, pg_catalog.count(*), b.outcome IS DISTINCT FROM a.outcome'
    '  FROM (%s) AS b FULL JOIN (%s) AS a ON a.member_key OPERATOR(pg_catalog.=) b.member_key'
    ' GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1, 2',
    mynahoken.rule_member_query(dec, NULL, NULL), mynahoken.rule_member_query(dec, candidate_version, NULL))
    USING as_of, known_on;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_diff(bigint, date, date) IS
  'Dry run of a draft (or any version) before activation: the decision for every member of the member source on as_of (as known on known_on) with the active versions and with the candidate added, counted per outcome before -> after (a date decision''s dates), the changes first. 22004 for NULL arguments, 42704 for an unknown version, 55000 for a decision not compiled over a member source';

-- ---------------------------------------------------------------------------
-- Privileges and dump

SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_change_set', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_change_set_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.rule_change_set_version', '');
GRANT SELECT ON mynahoken.rule_change_set, mynahoken.rule_change_set_version TO PUBLIC;
GRANT INSERT (note, parameters, parameters_recorded_on, parameters_reason) ON mynahoken.rule_change_set TO mynahoken_rule_author;
GRANT USAGE ON SEQUENCE mynahoken.rule_change_set_id_seq TO mynahoken_rule_author;
GRANT INSERT, DELETE ON mynahoken.rule_change_set_version TO mynahoken_rule_author;
GRANT DELETE ON mynahoken.rule_change_set TO mynahoken_rule_author;
GRANT UPDATE (status, legal_change_set_id) ON mynahoken.rule_change_set TO mynahoken_rule_approver;
