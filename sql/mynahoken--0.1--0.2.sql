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

-- ===========================================================================
-- Issue 10, legal calendar 0.2.
-- ===========================================================================

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
