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

-- ===========================================================================
-- Issue 9, personal data: no value a caller passes reaches an error, a
-- notice or the server log.
-- ===========================================================================

-- Errors name neither a member key, a member's dates nor a name the caller
-- passed; member keys are read as the My Number reader reads them, and the
-- run log never keeps one that reads as a My Number.

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
    RAISE EXCEPTION 'legal parameter name and day must not be null'
      USING ERRCODE = 'null_value_not_allowed';
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
    RAISE EXCEPTION 'unknown legal parameter'
      USING ERRCODE = 'undefined_object',
            HINT = 'The parameters are listed in mynahoken.legal_parameter_def.';
  END IF;
  RAISE EXCEPTION 'no value for legal parameter "%" on the given day', name
    USING ERRCODE = 'no_data_found',
          DETAIL = format('Insurer category: %s. Knowledge: %s.',
                          coalesce(category::text, 'all'),
                          CASE WHEN known_on IS NULL THEN 'as currently known'
                               ELSE 'as known on ' || to_char(known_on, 'YYYY-MM-DD') END),
          HINT = 'Record a value with mynahoken.record_legal_parameter().';
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
    RAISE EXCEPTION 'name, valid, value, source_id and recorded_on must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF isempty(valid) THEN
    RAISE EXCEPTION 'valid range of a legal parameter must not be empty'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = record_legal_parameter.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal parameter'
      USING ERRCODE = 'undefined_object',
            HINT = 'Define it in mynahoken.legal_parameter_def first.';
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
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on %, after recorded_on',
                    name, to_char(latest, 'YYYY-MM-DD')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Values are recorded in the order they become known.';
  ELSIF latest = recorded_on THEN
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on % for some of these days',
                    name, to_char(latest, 'YYYY-MM-DD')
      USING ERRCODE = 'exclusion_violation',
            DETAIL = 'One value per parameter, scope, decision day and knowledge day.',
            HINT = 'Record the correction as known from a later day.';
  END IF;

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
  RETURN new_id;
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
    RAISE EXCEPTION 'member source % no longer has the columns it needs', src
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT * FROM mynahoken.check_member_source(...) says what is wrong.';
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
    RAISE EXCEPTION 'member keys look like My Numbers'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s of %s member keys are 12 digits with a valid My Number check digit.', looks, n),
            HINT = 'Use the insurer''s own member identifier as member_key, never the 個人番号.';
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
DECLARE
  p_as_of date := as_of;
  p_chunk int := chunk_size;
  run bigint;
  err text;
  total bigint;
  lo bigint := 1;
BEGIN
  -- No SET clause (it would forbid COMMIT): every name is qualified.
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
    WHILE lo <= total LOOP
      err := mynahoken.issuance_chunk(run, lo, CASE WHEN lo + p_chunk - 1 < total THEN lo + p_chunk - 1 ELSE total END);
      EXIT WHEN err IS NOT NULL;
      IF commit_chunks THEN
        COMMIT;
      END IF;
      lo := lo + p_chunk;
      IF pause_ms > 0 AND lo <= total THEN
        PERFORM pg_catalog.pg_sleep(pause_ms / 1000.0);
      END IF;
    END LOOP;
  END IF;
  PERFORM mynahoken.issuance_end(run, err);
  IF commit_chunks THEN
    COMMIT;
  END IF;
  IF err IS NOT NULL THEN
    -- The error is not repeated: it may quote a member's data.
    RAISE EXCEPTION 'issuance run % failed', run
      USING ERRCODE = pg_catalog.left(err, 5),
            DETAIL = 'The error is in the column error of mynahoken.issuance_runs.',
            HINT = 'The run is logged as failed; the next run for the same day takes it over where it stopped.';
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
    RAISE EXCEPTION 'hand-off batch does not exist'
      USING ERRCODE = 'no_data_found';
  END IF;
  IF b.sent_on IS NOT NULL THEN
    RAISE EXCEPTION 'hand-off batch % was already marked sent on %', b.handoff_id, to_char(b.sent_on, 'YYYY-MM-DD')
      USING ERRCODE = 'object_not_in_prerequisite_state';
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
    RAISE EXCEPTION 'no member source is registered'
      USING ERRCODE = 'undefined_object',
            HINT = 'Register the table or view of members with mynahoken.register_member_source().';
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
    RAISE EXCEPTION 'member is not in the member source'
      USING ERRCODE = 'no_data_found',
            DETAIL = 'No row of the member source has the given member_key.';
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

-- ===========================================================================
-- Issue 10, legal calendar 0.2.
-- ===========================================================================
