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
    RAISE EXCEPTION 'legal parameter name and day must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
           WHERE e.name = legal_entry_at.name
             AND (e.scope = category OR e.scope IS NULL)
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
    RAISE EXCEPTION 'unknown legal parameter "%"', name
      USING ERRCODE = 'undefined_object',
            HINT = 'The parameters are listed in mynahoken.legal_parameter_def.';
  END IF;
  RAISE EXCEPTION 'no value for legal parameter "%" on %', name, to_char(day, 'YYYY-MM-DD')
    USING ERRCODE = 'no_data_found',
          DETAIL = format('Insurer category: %s. Knowledge: %s.',
                          coalesce(category::text, 'all'),
                          CASE WHEN known_on IS NULL THEN 'as currently known'
                               ELSE 'as known on ' || to_char(known_on, 'YYYY-MM-DD') END),
          HINT = 'Record a value with mynahoken.record_legal_parameter().';
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_at(text, date, mynahoken.insurer_category, date) IS
  'Internal: stored entry in force for a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';

CREATE OR REPLACE FUNCTION mynahoken.legal_entry_relations(parameter_id bigint)
RETURNS TABLE (parameter_id bigint, scope mynahoken.insurer_category, recorded_on date,
               days daterange, relation text)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT o.parameter_id, o.scope, o.recorded_on, n.valid OPERATOR(pg_catalog.*) o.valid,
         CASE WHEN n.scope IS NOT DISTINCT FROM o.scope
              THEN CASE WHEN o.recorded_on OPERATOR(pg_catalog.<) n.recorded_on THEN 'supersedes'
                        ELSE 'is superseded by' END
              WHEN n.scope IS NULL
              THEN CASE WHEN o.keep_own OR o.recorded_on OPERATOR(pg_catalog.>=) n.recorded_on
                        THEN 'is masked by' ELSE 'masks' END
              ELSE CASE WHEN n.keep_own OR n.recorded_on OPERATOR(pg_catalog.>=) o.recorded_on
                        THEN 'masks' ELSE 'is masked by' END END
    FROM mynahoken.legal_parameter_entry n
    JOIN mynahoken.legal_parameter_entry o
      ON o.name OPERATOR(pg_catalog.=) n.name
     AND o.parameter_id OPERATOR(pg_catalog.<>) n.parameter_id
     AND o.valid OPERATOR(pg_catalog.&&) n.valid
     AND (o.scope IS NULL OR n.scope IS NULL OR o.scope OPERATOR(pg_catalog.=) n.scope)
   WHERE n.parameter_id OPERATOR(pg_catalog.=) legal_entry_relations.parameter_id
   ORDER BY o.parameter_id;
END;
COMMENT ON FUNCTION mynahoken.legal_entry_relations(bigint) IS
  'Entries of the same parameter sharing valid days with an entry, and whether it supersedes, masks, is superseded by or is masked by each (no silent masking)';

DROP FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text);

CREATE FUNCTION mynahoken.record_legal_parameter(name text,
                                                 scope mynahoken.insurer_category,
                                                 valid daterange,
                                                 value text,
                                                 source_id bigint,
                                                 recorded_on date DEFAULT current_date,
                                                 confirmed boolean DEFAULT true,
                                                 note text DEFAULT NULL,
                                                 keep_own boolean DEFAULT false)
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
    RAISE EXCEPTION 'name, valid, value, source_id, recorded_on and keep_own must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF keep_own AND scope IS NULL THEN
    RAISE EXCEPTION 'only a value of one insurer category can keep its own against later values'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'keep_own protects a category''s value from values for every category recorded later.';
  END IF;
  IF isempty(valid) THEN
    RAISE EXCEPTION 'valid range of legal parameter "%" is empty', name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = record_legal_parameter.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal parameter "%"', name
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
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on %, after %',
                    name, to_char(latest, 'YYYY-MM-DD'), to_char(recorded_on, 'YYYY-MM-DD')
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
     value_range, value_text, source_id, confirmed, note, keep_own)
  VALUES (name, def.value_type, scope, valid, recorded_on,
          CASE WHEN def.value_type = 'date' THEN value::date END,
          CASE WHEN def.value_type = 'int' THEN value::int END,
          CASE WHEN def.value_type = 'boolean' THEN value::boolean END,
          CASE WHEN def.value_type = 'daterange' THEN value::daterange END,
          CASE WHEN def.value_type = 'text' THEN value END,
          source_id, confirmed, note, keep_own)
  RETURNING parameter_id INTO new_id;

  -- No silent masking: say which entries the new one takes days from, and
  -- which still take days from it.
  SELECT string_agg(format('%s entry %s (%s, recorded on %s) on %s', r.relation, r.parameter_id,
                           coalesce(r.scope::text, 'every category'), to_char(r.recorded_on, 'YYYY-MM-DD'),
                           mynahoken.daterange_iso(r.days)),
                    '; ' ORDER BY r.parameter_id)
    INTO report
    FROM mynahoken.legal_entry_relations(new_id) AS r;
  IF report IS NOT NULL THEN
    RAISE NOTICE 'legal parameter "%" recorded as entry %', name, new_id
      USING DETAIL = 'It ' || report || '.',
            HINT = 'mynahoken.legal_entry_relations(entry) lists them.';
  END IF;
  RETURN new_id;
END
$$;
COMMENT ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean) IS
  'Record a new value of a legal parameter from a source: appends a row that supersedes or masks the values it overlaps, never overwrites; a NOTICE lists them';

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
