-- Rule engine (issue 11): what the database held at a time, change sets,
-- and the dry run of a draft over the member population.  See doc/rules.md,
-- "Versions", "Change sets" and "Dry run".
--
-- System time: rule_version.recorded_at is set by the database (trigger
-- rule_version_guard), activated_at and withdrawn_at by the guard at the
-- status changes; mynahoken.rule_versions_used(table, candidate, held_at)
-- is the version filter of the generated queries, and rule_evaluate and
-- rule_explain take as_recorded_at => ts to decide with the versions held
-- active at ts.

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
-- row_no, layer and table_name; with members, over the members of the
-- source for whom that condition (SQL over the member row m) is true.
CREATE FUNCTION mynahoken.rule_member_query(decision text, candidate bigint, held_at timestamptz,
                                            members text DEFAULT NULL)
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
  IF members IS NOT NULL THEN
    src := format('(SELECT m.* FROM %s AS m WHERE %s)', src, members);
  END IF;
  q := mynahoken.rule_compile_query(decision, 'member', src, candidate, held_at);
  IF (SELECT d.output_type FROM mynahoken.rule_decision d WHERE d.decision = rule_member_query.decision) = 'date' THEN
    RETURN format('SELECT x.member_key, pg_catalog.to_char((x.hit).value, ''YYYY-MM-DD'') AS outcome, (x.hit).version_id, (x.hit).row_no,'
                  ' (x.hit).layer, (x.hit).table_name FROM (%s) AS x', q);
  END IF;
  RETURN format('SELECT x.member_key, x.outcome, x.version_id, x.row_no, x.layer, x.table_name FROM (%s) AS x', q);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_member_query(text, bigint, timestamptz, text) IS
  'Internal: the generated query of a decision over the member source it was compiled over (member_key, outcome or a date decision''s date as YYYY-MM-DD, version_id, row_no, layer, table_name), with a candidate draft or the versions held active at a time, and with members (SQL over the member row m, generated) over the members for whom it is true; 55000 for a decision not compiled over a member source, 42704 for an unknown decision';

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
  t mynahoken.rule_table;
  scope text;
BEGIN
  IF candidate_version IS NULL OR as_of IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a rule version and a decision day are needed');
  END IF;
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = candidate_version;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('no rule version %s'), candidate_version));
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  -- An insurer table's rows are tried only for the members in its scope
  -- (the compiled decision's, rule_applies_sql): the others keep their
  -- decision, counted once (before = after); the decisions with and without
  -- the candidate are joined on the member key over the members in scope
  -- alone.  A national version can change any member's decision: every
  -- member is in its scope.
  scope := CASE WHEN t.layer = 'national' THEN 'true'
                ELSE mynahoken.rule_applies_sql(t.applies_to,
                       '(' || mynahoken.rule_fact_sql('insurer_number', 'member') || ')',
                       '(' || mynahoken.rule_fact_sql('category', 'member') || ')') END;
  RETURN QUERY EXECUTE format(
    'SELECT x.b, x.a, CAST(pg_catalog.sum(x.n) AS pg_catalog.int8), x.b IS DISTINCT FROM x.a FROM ('
    '   SELECT b.outcome AS b, a.outcome AS a, pg_catalog.count(*) AS n'
    '     FROM (%s) AS b FULL JOIN (%s) AS a ON a.member_key OPERATOR(pg_catalog.=) b.member_key GROUP BY 1, 2'
    '   UNION ALL SELECT o.outcome, o.outcome, pg_catalog.count(*) FROM (%s) AS o GROUP BY 1) AS x'
    ' GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1, 2',
    mynahoken.rule_member_query(t.decision, NULL, NULL, format('(%s) IS TRUE', scope)),
    mynahoken.rule_member_query(t.decision, candidate_version, NULL, format('(%s) IS TRUE', scope)),
    CASE WHEN t.layer = 'national' THEN 'SELECT CAST(NULL AS pg_catalog.text) AS outcome WHERE false'
         ELSE mynahoken.rule_member_query(t.decision, NULL, NULL, format('(%s) IS NOT TRUE', scope)) END)
    USING as_of, known_on;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_diff(bigint, date, date) IS
  'Dry run of a draft (or any version) before activation: the decision for every member of the member source on as_of (as known on known_on) with the active versions and with the candidate added, counted per outcome before -> after (a date decision''s dates), the changes first; for an insurer table only the members in its scope are decided twice. 22004 for NULL arguments, 42704 for an unknown version, 55000 for a decision not compiled over a member source';

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
