-- Issuance: planning (plan_issuance and its internal helpers).  The tables
-- are in 50_issuance.sql; views, hand-off and explanations in
-- 52_issuance_handoff.sql; pg_cron in 53_issuance_cron.sql.

-- ---------------------------------------------------------------------------
-- Internal helpers of plan_issuance.  They run in the caller's session and
-- use its temporary tables:
--   pg_temp.mh_iss_snap    the members this attempt decides (new, changed, due,
--                          or all under a new generation), with the hash of their facts
--   pg_temp.mh_iss_state   the calendar generation of the run and its late_days
--   pg_temp.mh_iss_cert    per category: validity of a 資格確認書 issued on as_of, renewal settings
--   pg_temp.mh_iss_notice  per category and 資格取得日: sending window relevant to as_of, rule, basis
--   pg_temp.mh_iss_map     per category, certificate reason and first valid day: basis

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
    -- the knowledge day its decisions are read as known on: known_on, or today
    INSERT INTO mynahoken.issuance_run AS r (as_of, known_on, late_days, source, status, chunk_size, knowledge_day)
    VALUES (p_as_of, p_known_on, p_late_days, src::text, 'running', p_chunk_size, coalesce(p_known_on, current_date))
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

-- The digest of a member's facts that a run keeps (issuance_member_state)
-- and sums over the source to find that nothing changed (src/digest.c).
CREATE FUNCTION mynahoken.facts_digest(VARIADIC "any")
RETURNS bigint
AS 'MODULE_PATHNAME', 'mh_facts_digest'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.facts_digest("any") IS
  'A 64-bit digest of its arguments (a member''s facts, at most 100 of any types): each value hashed as stored with PostgreSQL''s hash_bytes_extended (a by-value type''s Datum with hash_uint32_extended), seeded with its position, NULLs included; equal stored values give equal digests, two stored forms of one value (numeric 1.0 and 1.00) may not. What plan_issuance keeps per member and sums over the member source; 22023 when called with VARIADIC ARRAY[...]';

-- Snapshot of the members to decide and per-run maps.  Returns 'SQLSTATE
-- message' on failure.
CREATE FUNCTION mynahoken.issuance_prepare(p_run bigint)
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
  xcols text[];        -- the insurer's own fact columns of the source the rules read
  xsrc text := '';
  xsnap text := '';
  xrow text := '';
  xdig text := '';
  xfacts text := '';
  snapsrc text;
BEGIN
  SELECT * INTO r FROM mynahoken.issuance_run x WHERE x.run_id = p_run;
  src := r.source::regclass;
  IF EXISTS (SELECT FROM mynahoken.check_member_source(src) x WHERE x.problem IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format(mynahoken.gettext('member source %s no longer has the columns it needs'), src),
      hint => 'SELECT * FROM mynahoken.check_member_source(...) says what is wrong.');
  END IF;
  IF pg_my_temp_schema() <> 0 THEN
    DROP TABLE IF EXISTS pg_temp.mh_iss_snap, pg_temp.mh_iss_cert, pg_temp.mh_iss_notice, pg_temp.mh_iss_map, pg_temp.mh_iss_days, pg_temp.mh_iss_state, pg_temp.mh_iss_cand;
  END IF;
  -- Columns of the insurer's own member facts (rule_fact_add) the source
  -- has: kept in the snapshot (as x_<column>), hashed with the other facts
  -- and recorded with each planned certificate.
  SELECT coalesce(array_agg(a.attname::text ORDER BY a.attname), '{}') INTO xcols
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = src AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname::text IN (SELECT f.source_column FROM mynahoken.rule_fact f WHERE f.kind = 'member' AND NOT f.shipped)
     AND a.attname::text NOT IN (SELECT c.column_name FROM mynahoken.member_source_column c)
     AND a.attname::text <> 'member_key';
  SELECT coalesce(string_agg(format(', src.%I', x), '' ORDER BY x), ''),
         coalesce(string_agg(format(', f.%I AS %I', x, 'x_' || x), '' ORDER BY x), ''),
         coalesce(string_agg(format(', s.%I AS %I', 'x_' || x, x), '' ORDER BY x), '')
    INTO xrow, xsnap, xsrc
    FROM unnest(xcols) AS x;
  -- The same columns as arguments of the digest, and as pairs of the facts
  -- recorded with a certificate, with a fact the insurer declares on a
  -- member source column the snapshot has under its own name (employer,
  -- member_key): the recorded facts are every fact the decisions read.  A
  -- function takes at most 100 arguments: nested digests of 90 columns,
  -- objects of 45 pairs.
  SELECT coalesce(string_agg(g.d, '' ORDER BY g.n), '') INTO xdig
    FROM (SELECT (x.n - 1) / 90 AS n,
                 format(', mynahoken.facts_digest(%s)', string_agg(format('src.%I', x.c), ', ' ORDER BY x.n)) AS d
            FROM unnest(xcols) WITH ORDINALITY AS x(c, n) GROUP BY 1) AS g;
  SELECT coalesce(string_agg(g.o, '' ORDER BY g.n), '') INTO xfacts
    FROM (SELECT (p.n - 1) / 45 AS n,
                 format(' OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(%s)', string_agg(p.pair, ', ' ORDER BY p.n)) AS o
            FROM (SELECT x.pair, row_number() OVER (ORDER BY x.pair) AS n
                    FROM (SELECT format('%L, {a}.%I', c, 'x_' || c) AS pair FROM unnest(xcols) AS c
                          UNION
                          SELECT format('%L, {a}.%I', f.source_column, CASE f.source_column WHEN 'member_key' THEN 'k' ELSE f.source_column END)
                            FROM mynahoken.rule_fact f
                           WHERE f.kind = 'member' AND f.source_column IN ('employer', 'member_key')) AS x) AS p
           GROUP BY 1) AS g;

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
           -- the rule versions of the decisions planned and the outcomes
           -- (documents), and the last day up to as_of a version starts or ends
           (SELECT md5(string_agg(concat_ws(':', v.version_id, v.status, v.valid, v.recorded_on), ',' ORDER BY v.version_id))
              FROM mynahoken.rule_version v JOIN mynahoken.rule_table t ON t.table_name = v.table_name
             WHERE t.decision IN ('certificate_need', 'certificate_valid_until')),
           (SELECT md5(string_agg(concat_ws(':', o.code, o.needs_certificate, o.document_kind), ',' ORDER BY o.code))
              FROM mynahoken.rule_outcome o WHERE o.decision = 'certificate_need'),
           (SELECT max(x.d) FROM mynahoken.rule_version v, unnest(ARRAY[lower(v.valid), upper(v.valid)]) AS x(d)
             WHERE v.status = 'active' AND x.d <= r.as_of),
           xcols,
           (SELECT max(x.d) FROM mynahoken.legal_parameter_entry e2,
                   unnest(ARRAY[lower(e2.valid), upper(e2.valid), e2.value_date, e2.value_date + 1,
                                lower(e2.value_range), upper(e2.value_range),
                                upper(e2.value_range) + r.late_days]) AS x(d)
             WHERE x.d <= r.as_of)))
    INTO gen FROM mynahoken.legal_parameter_entry e;
  -- The decisions, compiled from the active rule versions (the national
  -- table and the insurer's exceptions, as mynahoken.rule_compile compiles
  -- them) over one snapshot row s (a lateral source, so that deciding a
  -- member is expressions over its row, never a join), not over the
  -- registered source: the run decides the facts it hashed, and needs no
  -- compiled function.
  snapsrc := format('(SELECT s.k AS member_key, CAST(s.ins AS pg_catalog.text) AS insurer_number, s.birth_date,'
                    ' s.acquired_on, s.lost_on, s.employer, s.my_number_linked, s.myna_registered_on,'
                    ' s.myna_withdrawn_on, s.ecert_expires_on, s.certificate_requested_on,'
                    ' s.certificate_valid_until%s)', xsrc);
  -- A first load: no document planned and no member decided yet, so no
  -- member of the run holds a certificate or was sent an お知らせ, and the
  -- documents and member states it writes meet no earlier row (the keys of
  -- the snapshot are unique, and other sessions' inserts into the queue
  -- wait for the run: trigger issuance_queue_wait_for_run).  Its chunks
  -- insert without looking up the queue or arbitrating conflicts; a member
  -- state added by hand meanwhile fails its chunk (23505), and the run taken
  -- over plans the rest the usual way.
  CREATE TEMP TABLE mh_iss_state (generation int NOT NULL, late_days int NOT NULL, first_load boolean NOT NULL,
                                  need_sql text NOT NULL, until_sql text NOT NULL, facts_sql text NOT NULL,
                                  other_sql text NOT NULL);
  INSERT INTO pg_temp.mh_iss_state
  VALUES (gen, r.late_days,
          NOT EXISTS (SELECT FROM mynahoken.issuance_queue) AND NOT EXISTS (SELECT FROM mynahoken.issuance_member_state),
          mynahoken.rule_compile_query('certificate_need', 'member', snapsrc),
          mynahoken.rule_compile_query('certificate_valid_until', 'member', snapsrc),
          -- the facts recorded with a certificate, over the row {a}
          'pg_catalog.jsonb_build_object(''insurer_number'', CAST({a}.ins AS pg_catalog.text), ''birth_date'', {a}.birth_date,'
          ' ''acquired_on'', {a}.acquired_on, ''lost_on'', {a}.lost_on, ''my_number_linked'', {a}.my_number_linked,'
          ' ''myna_registered_on'', {a}.myna_registered_on, ''myna_withdrawn_on'', {a}.myna_withdrawn_on,'
          ' ''ecert_expires_on'', {a}.ecert_expires_on, ''certificate_requested_on'', {a}.certificate_requested_on,'
          ' ''certificate_valid_until'', {a}.certificate_valid_until)' || xfacts,
          -- the insurer's own facts of them, recorded beside the typed ones
          CASE WHEN xfacts = '' THEN 'CAST(''{}'' AS pg_catalog.jsonb)'
               ELSE 'pg_catalog.jsonb_strip_nulls(CAST(''{}'' AS pg_catalog.jsonb)' || xfacts || ')' END);
  -- One member on another day (a renewal decided for the day after the
  -- certificate held ends): the scalar twins of the same decisions.
  IF pg_catalog.to_regprocedure('pg_temp.mh_iss_need(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb)') IS NOT NULL THEN
    DROP FUNCTION pg_temp.mh_iss_need(date, date, jsonb);
  END IF;
  IF pg_catalog.to_regprocedure('pg_temp.mh_iss_until(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb)') IS NOT NULL THEN
    DROP FUNCTION pg_temp.mh_iss_until(date, date, jsonb);
  END IF;
  EXECUTE format('CREATE FUNCTION pg_temp.mh_iss_need(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb)'
                 ' RETURNS mynahoken.rule_hit LANGUAGE sql STABLE AS %L',
                 format('SELECT x.hit FROM (%s) AS x', mynahoken.rule_compile_query('certificate_need', 'facts')));
  EXECUTE format('CREATE FUNCTION pg_temp.mh_iss_until(pg_catalog.date, pg_catalog.date, pg_catalog.jsonb)'
                 ' RETURNS mynahoken.rule_date_hit LANGUAGE sql STABLE AS %L',
                 format('SELECT x.hit FROM (%s) AS x', mynahoken.rule_compile_query('certificate_valid_until', 'facts')));

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
      SELECT count(*), sum(mynahoken.facts_digest(src.member_key, src.insurer_number,
               src.birth_date, src.acquired_on, src.lost_on, src.employer, src.my_number_linked,
               src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on, src.certificate_requested_on,
               src.certificate_valid_until%s))
        FROM %s AS src WHERE src.member_key IS NOT NULL
    $q$, xdig, src) INTO total_rows, total_digest;
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
                   f.certificate_requested_on, f.certificate_valid_until, f.digest%s
              FROM (SELECT src.member_key::text AS k, src.insurer_number::text AS insurer_number,
                           src.birth_date, src.acquired_on, src.lost_on, src.employer::text AS employer,
                           src.my_number_linked, src.myna_registered_on, src.myna_withdrawn_on,
                           src.ecert_expires_on, src.certificate_requested_on, src.certificate_valid_until%s,
                           mynahoken.facts_digest(src.member_key, src.insurer_number,
                             src.birth_date, src.acquired_on, src.lost_on, src.employer,
                             src.my_number_linked, src.myna_registered_on, src.myna_withdrawn_on,
                             src.ecert_expires_on, src.certificate_requested_on,
                             src.certificate_valid_until%s) AS digest
                      FROM %s AS src
                     WHERE NOT $3) AS f
             WHERE NOT EXISTS (SELECT FROM mynahoken.issuance_member_state st
                                WHERE st.digest = f.digest AND (st.member_key = f.k) IS TRUE
                                  AND st.generation = $1 AND st.decided_on <= $2 AND st.next_change > $2)) AS s
  $q$, xsnap, xrow, xdig, src) USING gen, r.as_of, same_day;

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
  -- A unique index finds them (a sort in bytes: a third of the time of
  -- grouping the keys); its error, which quotes a key, is not shown.
  BEGIN
    CREATE UNIQUE INDEX ON pg_temp.mh_iss_snap (k COLLATE pg_catalog."C") WHERE k IS NOT NULL;
  EXCEPTION WHEN unique_violation THEN
    SELECT coalesce(sum(x.c - 1), 0) INTO looks
      FROM (SELECT count(*) AS c FROM pg_temp.mh_iss_snap s WHERE s.k IS NOT NULL
             GROUP BY s.k HAVING count(*) > 1) AS x;
    PERFORM mynahoken.raise_error('23505',
      pg_catalog.format(mynahoken.gettext('member source has duplicate member keys: %s rows repeat the key of another row'), looks),
      hint => 'member_key must identify one member: make it unique in the member source (a primary key), then run again.');
  END;
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

  -- Per category: the renewal settings (no lead time recorded: renewed once
  -- the old one has expired).  The validity is a decision per member.
  CREATE TEMP TABLE mh_iss_cert (category mynahoken.insurer_category PRIMARY KEY,
                                 lead_days int, request_renews boolean);
  INSERT INTO pg_temp.mh_iss_cert (category)
  SELECT x.category
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
  ANALYZE pg_temp.mh_iss_cert;
  -- Bases of certificates per category, reason and day decided for, from
  -- the explanation of the first member planned with them (issuance_plan_rows
  -- fills it as it meets them).
  CREATE TEMP TABLE mh_iss_map (category mynahoken.insurer_category, reason text, day date, basis_id bigint,
                                PRIMARY KEY (category, reason, day));
  -- The candidates of the range being planned (issuance_plan_rows).
  CREATE TEMP TABLE mh_iss_cand ON COMMIT DELETE ROWS AS
  SELECT * FROM mynahoken.issuance_candidates(r.as_of, r.known_on, 1, 0) WITH NO DATA;


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

-- What one range of the snapshot gets (before the "already planned" check of
-- notices): the planning rules, in one place.  A row per document, and a row
-- per member (document NULL) with the hash of its facts and the first day its
-- decision can change.
CREATE FUNCTION mynahoken.issuance_candidates(p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS TABLE (rn bigint, member_key text, document mynahoken.issuance_document, reason text,
               acquired_on date, issue_window date, valid_from date, valid_until date,
               sending_window daterange, insurer_number mynahoken.insurer_number,
               category mynahoken.insurer_category, employer text, basis_id bigint,
               digest bigint, next_change date, document_kind text, need_version bigint, need_row integer,
               validity_version bigint, validity_row integer, capped boolean,
               fact_birth_date date, fact_lost_on date, fact_my_number_linked boolean,
               fact_myna_registered_on date, fact_myna_withdrawn_on date, fact_ecert_expires_on date,
               fact_certificate_requested_on date, fact_certificate_valid_until date, facts_other jsonb,
               problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  st record;
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_state') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_candidates is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
  SELECT * INTO st FROM pg_temp.mh_iss_state x;
  -- $1 as_of, $2 known_on, $3 and $4 the range of snapshot rows, $5 a
  -- first load (no certificate held but the source's); the compiled
  -- decisions read the same parameters.
  RETURN QUERY EXECUTE format($q$
  WITH d AS (
    -- certificate_need and certificate_valid_until on as_of, from the rule
    -- engine's compiled decisions (rule version and row of each); problem:
    -- what makes the member undecidable (no document is planned for it);
    -- read once, by n (which is materialized)
    SELECT s.*, e.outcome AS need, e.version_id AS need_version, e.row_no AS need_row,
           o.document_kind AS kind, u.hit AS until_hit, (u.hit).value AS new_until,
           CASE WHEN e.outcome IS NULL
                THEN pg_catalog.concat_ws(' ', 'certificate_need', e.gap)
                WHEN o.needs_certificate AND (u.hit).value IS NULL
                THEN pg_catalog.concat_ws(' ', 'certificate_valid_until', (u.hit).layer, (u.hit).table_name)
                WHEN o.code IS NULL THEN 'certificate_need unknown_outcome' END AS problem,
           coalesce(o.needs_certificate, false) AND (u.hit).value IS NOT NULL AS needed
      FROM pg_temp.mh_iss_snap s
      -- each field of the compiled hit is computed once (OFFSET 0): a field
      -- read twice from the query pulled up would decide the member twice
      CROSS JOIN LATERAL (SELECT x.outcome, x.version_id, x.row_no,
                                 CASE WHEN x.outcome IS NULL THEN pg_catalog.concat_ws(' ', x.layer, x.table_name) END AS gap
                            FROM (%1$s) AS x OFFSET 0) AS e
      CROSS JOIN LATERAL (%2$s) AS u
      LEFT JOIN mynahoken.rule_outcome o ON o.decision = 'certificate_need' AND o.code = e.outcome
     WHERE s.rn BETWEEN $3 AND $4 AND s.reject IS NULL
  ), n AS MATERIALIZED (
    -- One row per member, each value computed once (OFFSET 0 keeps a
    -- lateral's function calls from being pulled up and repeated):
    -- * held: the certificate the member holds for this 資格: the source's,
    --   or the latest planned (looked up only when one is needed);
    -- * renewal: a held certificate ending within the lead time is followed
    --   by one valid from the day after, for the need on that day (the
    --   scalar twins of the same decisions); a certificate issued on
    --   application is renewed only where certificate_request_renews;
    -- * the notice window of the member's category and day, only for a
    --   member with its My Number linked: whether the window of an unlinked
    --   member's day is known depends on the other members decided;
    -- * new_cert: a certificate is planned from as_of.
    SELECT d.*, c.lead_days, c.request_renews, hq.held,
           rw.renew_need, rw.renew_hit, rw.renew_kind, rw.renew_until_hit,
           (rw.renew_until_hit).value AS renew_until,
           ntc.win, ntc.rule, ntc.basis_id AS notice_basis,
           d.needed AND (hq.held IS NULL OR hq.held < $1) AS new_cert
      FROM d
      JOIN pg_temp.mh_iss_cert c ON c.category = d.category
      CROSS JOIN LATERAL (
        SELECT greatest(d.certificate_valid_until,
                        (SELECT max(x.valid_until) FROM mynahoken.issuance_queue x
                          WHERE d.needed AND NOT $5
                            AND x.member_key = d.k AND x.document = 'certificate'
                            AND x.acquired_on = d.acquired_on AND x.status <> 'withdrawn')) AS held
        OFFSET 0) AS hq
      LEFT JOIN LATERAL (
        SELECT x.hit AS renew_hit, (x.hit).outcome AS renew_need, (x.ro).document_kind AS renew_kind,
               CASE WHEN (x.ro).needs_certificate
                     AND NOT ((x.hit).outcome = 'on_request' AND NOT coalesce(c.request_renews, true)
                              AND d.certificate_requested_on <= hq.held)
                    THEN pg_temp.mh_iss_until(hq.held + 1, $2, x.facts) END AS renew_until_hit
          FROM (SELECT y.facts, y.hit,
                       (SELECT ro FROM mynahoken.rule_outcome ro
                         WHERE ro.decision = 'certificate_need' AND ro.code = (y.hit).outcome) AS ro
                  FROM (SELECT f.facts, pg_temp.mh_iss_need(hq.held + 1, $2, f.facts) AS hit
                          FROM (SELECT %3$s AS facts) AS f
                         WHERE hq.held >= $1 AND $1 > hq.held - c.lead_days
                        OFFSET 0) AS y
                OFFSET 0) AS x
        OFFSET 0) AS rw ON true
      LEFT JOIN pg_temp.mh_iss_notice ntc ON d.my_number_linked AND ntc.category = d.category
                                          AND ntc.acquired_on = d.acquired_on
  )
  -- 資格確認書: needed on as_of (certificate_need), unless the member holds
  -- one valid on as_of; its kind is the outcome's (NULL: the national one).
  -- The input: the rule version and row of each decision and the facts read.
  SELECT n.rn, n.k, 'certificate'::mynahoken.issuance_document, n.need, n.acquired_on,
         n.new_until, $1, n.new_until, NULL::daterange, n.ins, n.category, n.employer,
         mp.basis_id, NULL::bigint, NULL::date, n.kind, n.need_version, n.need_row,
         (n.until_hit).version_id, (n.until_hit).row_no, (n.until_hit).capped,
         n.birth_date, n.lost_on, n.my_number_linked, n.myna_registered_on, n.myna_withdrawn_on,
         n.ecert_expires_on, n.certificate_requested_on, n.certificate_valid_until, %4$s, NULL::text
    FROM n
    LEFT JOIN pg_temp.mh_iss_map mp ON mp.category = n.category AND mp.reason = n.need AND mp.day = $1
   WHERE n.new_cert
  UNION ALL
  -- Renewal of the held 資格確認書.
  SELECT n.rn, n.k, 'certificate'::mynahoken.issuance_document, n.renew_need, n.acquired_on,
         n.renew_until, n.held + 1, n.renew_until, NULL::daterange, n.ins, n.category, n.employer,
         mp.basis_id, NULL::bigint, NULL::date, n.renew_kind, (n.renew_hit).version_id, (n.renew_hit).row_no,
         (n.renew_until_hit).version_id, (n.renew_until_hit).row_no, (n.renew_until_hit).capped,
         n.birth_date, n.lost_on, n.my_number_linked, n.myna_registered_on, n.myna_withdrawn_on,
         n.ecert_expires_on, n.certificate_requested_on, n.certificate_valid_until, %4$s, NULL::text
    FROM n
    LEFT JOIN pg_temp.mh_iss_map mp ON mp.category = n.category AND mp.reason = n.renew_need AND mp.day = n.held + 1
   WHERE n.renew_until IS NOT NULL
  UNION ALL
  -- 資格情報のお知らせ: My Number linked, eligible, window open on as_of, and
  -- not a member who gets a 資格確認書 instead under the 後期高齢者 rules.
  SELECT n.rn, n.k, 'notice'::mynahoken.issuance_document, n.rule, n.acquired_on,
         lower(n.win), NULL::date, NULL::date, n.win, n.ins, n.category, n.employer, n.notice_basis,
         NULL::bigint, NULL::date, NULL::text, NULL::bigint, NULL::integer, NULL::bigint, NULL::integer,
         NULL::boolean, NULL::date, NULL::date, NULL::boolean, NULL::date, NULL::date, NULL::date, NULL::date,
         NULL::date, NULL::jsonb, NULL::text
    FROM n
   WHERE n.win IS NOT NULL AND n.my_number_linked
     AND n.need NOT IN ('not_eligible', 'late_elderly_blanket', 'late_elderly_age')
  UNION ALL
  -- The member: the first day after as_of on which its decision can change
  -- (a date of its facts, the end of the マイナ保険証's grace, the renewal of
  -- the certificate it holds, its notice window opening or closing), or
  -- infinity; reason 'certificate_held' when the certificate it needs is
  -- held already, 'undecidable' (input: the problem) when a decision has no
  -- answer for it.  Age counts only on calendar days (the 後期 age rule
  -- measures it on late_elderly_age_rule_from), which change the generation.
  SELECT n.rn, n.k, NULL::mynahoken.issuance_document,
         CASE WHEN n.problem IS NOT NULL THEN 'undecidable'
              WHEN n.needed AND NOT n.new_cert AND n.renew_until IS NULL THEN 'certificate_held' END,
         n.acquired_on, NULL::date, NULL::date, NULL::date, NULL::daterange, n.ins, n.category,
         n.employer, NULL::bigint, n.digest,
         coalesce(least(
           CASE WHEN n.acquired_on > $1 THEN n.acquired_on END,
           CASE WHEN n.lost_on > $1 THEN n.lost_on END,
           CASE WHEN n.myna_registered_on > $1 THEN n.myna_registered_on END,
           CASE WHEN n.myna_withdrawn_on > $1 THEN n.myna_withdrawn_on END,
           CASE WHEN n.certificate_requested_on > $1 THEN n.certificate_requested_on END,
           CASE WHEN n.ecert_expires_on > $1 THEN n.ecert_expires_on
                WHEN n.ecert_expires_on IS NOT NULL
                THEN nullif(greatest(mynahoken.myna_usable_until(n.category, n.ecert_expires_on, $2) + 1,
                                     $1), $1) END,
           CASE WHEN u.until >= $1 THEN CASE WHEN u.until - n.lead_days >= $1 THEN u.until + 1 - n.lead_days
                                                  ELSE u.until + 1 END END,
           CASE WHEN lower(n.win) > $1 THEN lower(n.win) END,
           CASE WHEN upper(n.win) + %5$s > $1 THEN upper(n.win) + %5$s END), 'infinity'),
         NULL::text, NULL::bigint, NULL::integer, NULL::bigint, NULL::integer, NULL::boolean,
         NULL::date, NULL::date, NULL::boolean, NULL::date, NULL::date, NULL::date, NULL::date, NULL::date,
         NULL::jsonb, n.problem
    FROM n
    -- the last valid day of the certificate the member holds once this range is planned
    CROSS JOIN LATERAL (SELECT CASE WHEN n.new_cert THEN n.new_until ELSE coalesce(n.renew_until, n.held) END AS until) AS u
  $q$, st.need_sql, st.until_sql, replace(st.facts_sql, '{a}', 'd'), replace(st.other_sql, '{a}', 'n'), st.late_days)
  USING p_as_of, p_known_on, p_lo, p_hi, st.first_load;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_candidates(date, date, bigint, bigint) IS
  'Internal: the planning rules: documents the snapshot rows rn in [lo, hi] need on as_of (new and renewed 資格確認書 from the compiled decisions certificate_need and certificate_valid_until, with their kind, the rule version and row of each decision, whether the validity was capped, and the facts read, one column each, the insurer''s own as jsonb with nulls left out; お知らせ), before removing notices already planned, and per member (document NULL) the hash of its facts, the first day its decision can change, and the problem of an undecidable member';

-- Basis of a certificate reason for a category and the day its validity
-- starts, from the explanations of snapshot row rn (certificate_need on that
-- day) and of the validity from that day.
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

-- Plan rows [lo, hi] of the snapshot and record each member's decision;
-- returns {certificates, notices, already}.  The candidates are computed
-- once into pg_temp.mh_iss_cand (emptied at each commit); the bases of
-- certificates the run has not met yet are added from them before anything
-- is written.
CREATE FUNCTION mynahoken.issuance_plan_rows(p_run bigint, p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
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
  first_load boolean;
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_iss_state') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_plan_rows is called by plan_issuance only',
      hint => 'CALL mynahoken.plan_issuance() plans the documents.');
  END IF;
  SELECT st.generation, st.first_load INTO gen, first_load FROM pg_temp.mh_iss_state st;
  -- rows of an earlier range of the same transaction (commit_chunks => false)
  DELETE FROM pg_temp.mh_iss_cand;
  INSERT INTO pg_temp.mh_iss_cand
  SELECT * FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi);
  -- A certificate whose basis the run has not met yet: explain one member
  -- per category, reason and day (the insert below reads it from the map;
  -- the candidates are not updated, which would move their rows and so
  -- the order of the documents planned).
  FOR c IN
    SELECT x.category, x.reason, x.valid_from, min(x.rn) AS rn
      FROM pg_temp.mh_iss_cand x
     WHERE x.document = 'certificate' AND x.basis_id IS NULL
     GROUP BY 1, 2, 3
  LOOP
    PERFORM mynahoken.issuance_certificate_basis(p_run, c.valid_from, p_known_on, c.category, c.reason, c.rn);
  END LOOP;
  -- $1 run, $2 as_of, $3 generation, $4 a first load: nothing to look up in
  -- the queue, no conflict to arbitrate (issuance_prepare), so plain
  -- inserts (an arbiter costs about as much as the insert itself).
  EXECUTE format($q$
  WITH fresh AS (
    -- An お知らせ is planned once per 資格取得日, withdrawn or not.  LATERAL
    -- ... LIMIT 1: per notice one probe of issuance_queue_once and one of
    -- issuance_queue_notice_withdrawn (each branch carries its index's
    -- predicate: without them, a scan of the queue per notice), never a
    -- hash join over the whole queue (which the planner picks for NOT
    -- EXISTS).
    SELECT x.* FROM pg_temp.mh_iss_cand x
      LEFT JOIN LATERAL (SELECT 1 AS found FROM mynahoken.issuance_queue q
                          WHERE x.document = 'notice' AND NOT $4 AND q.member_key = x.member_key
                            AND q.document = 'notice' AND q.acquired_on = x.acquired_on
                            AND q.status <> 'withdrawn'
                         UNION ALL
                         SELECT 1 FROM mynahoken.issuance_queue q
                          WHERE x.document = 'notice' AND NOT $4 AND q.member_key = x.member_key
                            AND q.document = 'notice' AND q.acquired_on = x.acquired_on
                            AND q.status = 'withdrawn'
                         LIMIT 1) AS e ON true
     WHERE x.document IS NOT NULL AND e.found IS NULL
  ), ins AS (
    -- each certificate with what it was decided with: rule versions and rows, facts
    INSERT INTO mynahoken.issuance_queue AS q
           (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
            sending_window, insurer_number, category, employer, as_of, run_id, basis_id, document_kind,
            need_version_id, need_row_no, validity_version_id, validity_row_no, capped,
            fact_birth_date, fact_lost_on, fact_my_number_linked, fact_myna_registered_on, fact_myna_withdrawn_on,
            fact_ecert_expires_on, fact_certificate_requested_on, fact_certificate_valid_until, facts_other)
    SELECT x.member_key, x.document, x.acquired_on, x.issue_window, x.reason, x.valid_from, x.valid_until,
           x.sending_window, x.insurer_number, x.category, x.employer, $2, $1,
           coalesce(x.basis_id, (SELECT mp.basis_id FROM pg_temp.mh_iss_map mp
                                  WHERE x.document = 'certificate' AND mp.category = x.category
                                    AND mp.reason = x.reason AND mp.day = x.valid_from)),
           x.document_kind, x.need_version, x.need_row, x.validity_version, x.validity_row, x.capped,
           x.fact_birth_date, x.fact_lost_on, x.fact_my_number_linked, x.fact_myna_registered_on,
           x.fact_myna_withdrawn_on, x.fact_ecert_expires_on, x.fact_certificate_requested_on,
           x.fact_certificate_valid_until, x.facts_other
      FROM fresh x
    %1$s
    RETURNING q.document
  ), refused AS (
    -- members a decision has no answer for: no document, the problem logged
    INSERT INTO mynahoken.issuance_rejection (run_id, member_key, problem)
    SELECT $1, x.member_key, x.problem FROM pg_temp.mh_iss_cand x
     WHERE x.document IS NULL AND x.reason = 'undecidable'
    ON CONFLICT DO NOTHING
  ), decided AS (
    INSERT INTO mynahoken.issuance_member_state AS m (member_key, digest, decided_on, next_change, generation, run_id)
    SELECT x.member_key, x.digest, $2, x.next_change, $3, $1
      FROM pg_temp.mh_iss_cand x WHERE x.document IS NULL
    %2$s
  )
  SELECT ARRAY[count(*) FILTER (WHERE i.document = 'certificate'),
               count(*) FILTER (WHERE i.document = 'notice'),
               (SELECT count(*) FILTER (WHERE x.document IS NOT NULL)
                       + count(*) FILTER (WHERE x.document IS NULL AND x.reason = 'certificate_held')
                  FROM pg_temp.mh_iss_cand x) - count(*),
               (SELECT count(*) FROM pg_temp.mh_iss_cand x WHERE x.document IS NULL AND x.reason = 'undecidable')]
    FROM ins i
  $q$, CASE WHEN NOT first_load
            THEN 'ON CONFLICT (member_key, document, acquired_on, issue_window) WHERE status <> ''withdrawn'' DO NOTHING' END,
       CASE WHEN NOT first_load
            THEN 'ON CONFLICT (member_key) DO UPDATE
       SET digest = excluded.digest, decided_on = excluded.decided_on, next_change = excluded.next_change,
           generation = excluded.generation, run_id = excluded.run_id' END)
  INTO res USING p_run, p_as_of, gen, first_load;
  RETURN res;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_plan_rows(bigint, date, date, bigint, bigint) IS
  'Internal: insert the documents rows [lo, hi] of the snapshot need and that are not planned yet (certificates with the rule versions and rows and the member facts they were decided with, in their own row), log the members a decision cannot decide, and record each member''s decision (facts hash, days it holds, generation); returns {certificates, notices, already planned, undecidable}';

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
    res := ARRAY[0, 0, 0, 0]::bigint[];
    FOR i, k IN SELECT s.rn, s.k FROM pg_temp.mh_iss_snap s
                 WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NULL ORDER BY s.rn LOOP
      BEGIN
        one := mynahoken.issuance_plan_rows(p_run, r.as_of, r.known_on, i, i);
        res := ARRAY[res[1] + one[1], res[2] + one[2], res[3] + one[3], res[4] + one[4]];
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
         rejected_other = x.rejected_other + bad_other + res[4]
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
    DROP TABLE IF EXISTS pg_temp.mh_iss_snap, pg_temp.mh_iss_cert, pg_temp.mh_iss_notice, pg_temp.mh_iss_map, pg_temp.mh_iss_days, pg_temp.mh_iss_state, pg_temp.mh_iss_cand;
    DROP FUNCTION IF EXISTS pg_temp.mh_iss_need(date, date, jsonb), pg_temp.mh_iss_until(date, date, jsonb);
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
