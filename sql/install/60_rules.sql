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

-- sql: cells, by PostgreSQL's parser and analyser (src/rules_sql_cell.c).
-- PARALLEL UNSAFE: the parser's errors are caught in a subtransaction.
CREATE FUNCTION mynahoken.rule_sql_cell_facts(predicate text, facts text[], fact_types text[])
RETURNS text[]
AS 'MODULE_PATHNAME', 'mynahoken_rule_sql_cell_facts'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION mynahoken.rule_sql_cell_facts(text, text[], text[]) IS
  'Internal: validate the predicate of an sql: cell (PostgreSQL''s parser and analyser, names bound to the facts given with their types int, date, boolean, enum, text; functions and operators looked up in pg_catalog alone, IMMUTABLE, of pg_catalog or mynahoken; no subquery, aggregate, COLLATE or other schema) and return the facts it reads; 42601 for a semicolon, comment or dollar sign or a predicate that does not parse, 42703 for a name that is not a fact, 42883 for a function not in pg_catalog, 42501 for another schema''s function, 0A000 for a volatile function, subquery or other construct, 42804 when not boolean; the messages never quote the cell';

CREATE FUNCTION mynahoken.rule_sql_cell_sql(predicate text, facts text[], fact_types text[], fact_sql text[])
RETURNS text
AS 'MODULE_PATHNAME', 'mynahoken_rule_sql_cell_sql'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION mynahoken.rule_sql_cell_sql(text, text[], text[], text[]) IS
  'Internal: the SQL of an sql: cell, written again from the analysed tree (every function and operator schema-qualified, constants as quoted literals cast to qualified types, each fact read replaced by CAST((fact_sql) AS its type)); the checks and errors of mynahoken.rule_sql_cell_facts, and 22004 when a fact read has no SQL';

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
  shipped     boolean NOT NULL DEFAULT true,
  insurer_may_narrow boolean NOT NULL DEFAULT false  -- an exception may also give outcomes without a 資格確認書
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
  aggregation  text,              -- collect: list (C), sum (C+), min (C<), max (C>), count (C#)
  CHECK (layer = 'national' OR exception_to IS NOT NULL),
  CHECK (layer = 'insurer' OR shipped),
  CONSTRAINT rule_table_aggregation_check
    CHECK (aggregation IS NULL OR (hit_policy = 'collect' AND aggregation IN ('list', 'sum', 'min', 'max', 'count')))
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
  CHECK ((status = 'draft') = (approved_by IS NULL)),
  withdrawn_at timestamptz,        -- system time of the withdrawal (activated_at stays)
  withdrawn_by name,
  CONSTRAINT rule_version_withdrawn_check CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL))
);
ALTER SEQUENCE mynahoken.rule_version_id_seq OWNED BY mynahoken.rule_version.version_id;
COMMENT ON TABLE mynahoken.rule_version IS
  'Versions of a rule table (append-only): valid time, knowledge day, system time (recorded_at, set by the database), source, input columns, status draft -> active -> withdrawn, author, approver and activation time, withdrawal time and role';

CREATE TABLE mynahoken.rule_row (
  version_id  bigint NOT NULL REFERENCES mynahoken.rule_version,
  row_no      integer NOT NULL CHECK (row_no > 0),
  cells       text[] NOT NULL,
  outcome     text NOT NULL,
  label       text,
  note        text,
  shipped     boolean NOT NULL DEFAULT true,
  PRIMARY KEY (version_id, row_no),
  annotations jsonb CHECK (jsonb_typeof(annotations) = 'object')   -- DMN annotation columns other than label, by name
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
  table_name text,
  outcomes   text[]
);
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
CREATE TRIGGER rule_version_guard BEFORE INSERT OR UPDATE OR DELETE ON mynahoken.rule_version
  FOR EACH ROW EXECUTE FUNCTION mynahoken.rule_version_guard();
CREATE TRIGGER rule_version_compile AFTER UPDATE OF status ON mynahoken.rule_version
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION mynahoken.rule_version_compile();

-- ---------------------------------------------------------------------------
-- Shipped rows: the national decisions, their facts, outcomes and labels.

INSERT INTO mynahoken.rule_decision (decision, output_type, national_fact, description) VALUES
  ('certificate_need', 'outcome', 'national_certificate_need',
   'Whether, and on which ground, a member needs a 資格確認書 on a day (mynahoken.certificate_need)'),
  ('certificate_valid_until', 'date', 'national_certificate_valid_until',
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
   NULL, NULL, 'unknown', 'The national decision mynahoken.certificate_need on the decision day; NULL for a member it cannot decide (invalid insurer number, no birth date, contradictory facts)'),
  ('national_certificate_valid_until', 'date', 'derived', NULL,
   'mynahoken.certificate_valid_until(CAST(mynahoken.rule_insurer_category(CAST({insurer_number} AS pg_catalog.text)) AS mynahoken.insurer_category), {day}, {known_on})',
   NULL, NULL, NULL, 'unknown', 'The national decision mynahoken.certificate_valid_until for a 資格確認書 issued on the decision day, for the member''s insurer category; NULL for an invalid insurer number'),
  -- facts of the national table national.certificate_need: values of the
  -- decision and knowledge days only, read once per statement
  ('decision_day', 'date', 'derived', NULL, '{day}', NULL, NULL, NULL, 'unknown',
   'The decision day itself, for cells that compare it with a legal parameter'),
  ('late_elderly_rule_age', 'int', 'derived', NULL,
   'mynahoken.rule_age_on({birth_date}, (SELECT mynahoken.legal_value_date(''late_elderly_age_rule_from'', {day}, ''late_elderly'', {known_on})))',
   NULL, 0, 150, 'unknown', 'Completed years of age on the day the 後期高齢者 age rule starts (legal parameter late_elderly_age_rule_from)'),
  ('ecert_expired_before', 'date', 'derived', NULL,
   '(SELECT mynahoken.rule_add_months(CAST(pg_catalog.date_trunc(''month'', CAST({day} AS pg_catalog.timestamp)) AS pg_catalog.date), OPERATOR(pg_catalog.-) mynahoken.legal_value_int(''ecert_grace_months'', {day}, NULL, {known_on})))',
   NULL, NULL, NULL, 'unknown', 'An e-certificate that expired before this day is past its grace period on the decision day: the first day of the month ecert_grace_months before the decision day''s month');

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

INSERT INTO mynahoken.rule_label (label, decision, outcomes, overridable, description, insurer_may_narrow) VALUES
  ('national.certificate_need:eligibility', 'certificate_need', '{not_eligible}', false,
   'No 資格 on the day: stays above every insurer layer', false),
  ('national.certificate_need:late_elderly', 'certificate_need', '{late_elderly_blanket,late_elderly_age}', true,
   '後期高齢者 grounds', false),
  ('national.certificate_need:myna', 'certificate_need',
   '{no_my_number,not_registered,registration_withdrawn,ecert_expired,not_needed}', true,
   'マイナ保険証 grounds: whether the member can use a マイナ保険証', false),
  ('national.certificate_need:on_request', 'certificate_need', '{on_request}', true,
   'Application (申請): the product renews an applicant at every renewal; MHLW 2025-03-13 names renewal without application only for 要配慮者, so an insurer may count other applications once', true),
  ('national.certificate_valid_until:term', 'certificate_valid_until', '{}', true,
   'The insurer''s term and renewal month (certificate_term_months, certificate_renewal_month); every insurer output is capped at the legal maximum (certificate_max_months)', false);

-- The national decision certificate_need re-expressed as a shipped, labelled
-- first-hit table, equal to the C function mynahoken.certificate_need (the
-- oracle, test/pgtap/63_rules_national.sql).  Rows with the outcome
-- undecidable are the members the C function refuses; a param() is read for
-- the one category of its row's category cell, else for every category.
INSERT INTO mynahoken.rule_table (table_name, decision, layer, applies_to, hit_policy, on_no_match, description, created_by)
VALUES ('national.certificate_need', 'certificate_need', 'national',
        ARRAY(SELECT pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.insurer_category))::text),
        'first', 'error',
        'The national decision mynahoken.certificate_need as rows (the C function stays the oracle)', 'mynahoken');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, recorded_at, source, columns, status, author, approved_by, activated_at, note)
VALUES ('national.certificate_need', '(,)', '2000-01-01', '2026-11-30 00:00:00+00', 'ordinance-r5-374',
        '{category,birth_date,acquired_on,lost_on,decision_day,late_elderly_rule_age,my_number_linked,myna_withdrawn_on,myna_registered_on,ecert_expires_on,certificate_requested_on}',
        'active', 'mynahoken', 'mynahoken', '2026-11-30 00:00:00+00',
        'mynahoken.certificate_need (src/core/transition.c, mh_certificate_need) as a table; the parameters keep their own sources in the calendar');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note)
SELECT v.version_id, r.row_no, r.cells, r.outcome, r.label, r.note
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

-- The national decision usable_documents re-expressed as a shipped collect
-- table, equal to the C function mynahoken.usable_documents (the oracle,
-- test/pgtap/66_rules_collect.sql) for the member source's facts: an
-- institution with オンライン資格確認 (online_check) and no 健康保険証 (the
-- member source has no card columns: card_issued_on NULL).  Its outcomes are
-- the labels of mynahoken.document, in their order (priority).
INSERT INTO mynahoken.rule_outcome (decision, code, label_ja, needs_certificate, statutory, priority, description) VALUES
  ('usable_documents', 'myna_hokensho', 'マイナ保険証', NULL, true, 10, 'マイナ保険証 at an institution with オンライン資格確認'),
  ('usable_documents', 'myna_with_notice', 'マイナ保険証と資格情報のお知らせ', NULL, true, 20, 'マイナ保険証 with the お知らせ, where the online check is not possible'),
  ('usable_documents', 'myna_with_portal_screen', 'マイナ保険証とマイナポータル画面', NULL, true, 30, 'マイナ保険証 with the マイナポータル screen, same condition'),
  ('usable_documents', 'myna_with_portal_pdf', 'マイナ保険証とマイナポータルPDF', NULL, true, 40, 'マイナ保険証 with the マイナポータル PDF, same condition'),
  ('usable_documents', 'legacy_card', '健康保険証', NULL, true, 50, '健康保険証, legally valid (経過措置)'),
  ('usable_documents', 'certificate', '資格確認書', NULL, true, 60, '資格確認書 held and valid on the day'),
  ('document_plan', 'certificate', '資格確認書', NULL, true, 10, 'A 資格確認書 (document kind certificate)');
INSERT INTO mynahoken.rule_label (label, decision, outcomes, overridable, description, insurer_may_narrow) VALUES
  ('national.usable_documents:documents', 'usable_documents', '{myna_hokensho,certificate}', false,
   'The documents the law makes usable: no insurer exception', false),
  ('national.document_plan:documents', 'document_plan', '{certificate}', true,
   'Documents the issuance job plans: an insurer table adds documents of its own kinds (a renewal reminder), never removes one', false);
INSERT INTO mynahoken.rule_table (table_name, decision, layer, applies_to, hit_policy, on_no_match, description, created_by, aggregation)
VALUES ('national.usable_documents', 'usable_documents', 'national',
        ARRAY(SELECT pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.insurer_category))::text),
        'collect', 'national',
        'The national decision mynahoken.usable_documents as rows, for a member source (online check, no 健康保険証 column; the C function stays the oracle)', 'mynahoken', 'list'),
       ('national.document_plan', 'document_plan', 'national',
        ARRAY(SELECT pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.insurer_category))::text),
        'collect', 'national',
        'Documents planned for a member on a day: the national 資格確認書 when certificate_need gives a ground for one; insurer tables add their own document kinds', 'mynahoken', 'list');
INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, recorded_at, source, columns, status, author, approved_by, activated_at, note)
VALUES ('national.usable_documents', '(,)', '2000-01-01', '2026-11-30 00:00:00+00', 'ordinance-r5-374',
        '{acquired_on,lost_on,decision_day,my_number_linked,myna_registered_on,myna_withdrawn_on,ecert_expires_on,certificate_valid_until}',
        'active', 'mynahoken', 'mynahoken', '2026-11-30 00:00:00+00',
        'mynahoken.usable_documents (src/core/transition.c, mh_documents) with online_check and no 健康保険証, as a table'),
       ('national.document_plan', '(,)', '2000-01-01', '2026-11-30 00:00:00+00', 'ordinance-r5-374',
        '{national_certificate_need}',
        'active', 'mynahoken', 'mynahoken', '2026-11-30 00:00:00+00',
        'The 資格確認書 planned where mynahoken.certificate_need gives a ground; the notices keep their own sending windows (plan_issuance)');
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note)
SELECT v.version_id, r.row_no, r.cells, r.outcome, 'national.usable_documents:documents', r.note
  FROM mynahoken.rule_version v,
       (VALUES
  --        acquired_on  lost_on           decision_day                  linked  registered  withdrawn                 ecert_expires_on             certificate_valid_until
  (1,  '{"null",       -,                -,                            -,      -,          -,                        -,                           -}'::text[], 'undecidable', 'No acquisition day: the C function refuses the member'),
  (2,  '{-,            "< acquired_on",  -,                            -,      -,          -,                        -,                           -}', 'undecidable', 'Lost before acquired'),
  (3,  '{"<= day",     "null",           -,                            true,   "<= day",   "null",                   "null",                      -}', 'myna_hokensho', 'Registered, never withdrawn, no e-certificate expiry recorded'),
  (4,  '{"<= day",     "null",           -,                            true,   "<= day",   "null",                   ">= ecert_expired_before",   -}', 'myna_hokensho', 'e-certificate within its grace period'),
  (5,  '{"<= day",     "null",           -,                            true,   "<= day",   "> day",                  "null",                      -}', 'myna_hokensho', 'Withdrawal still to come'),
  (6,  '{"<= day",     "null",           -,                            true,   "<= day",   "> day",                  ">= ecert_expired_before",   -}', 'myna_hokensho', NULL),
  (7,  '{"<= day",     "null",           -,                            true,   "<= day",   "< myna_registered_on",   "null",                      -}', 'myna_hokensho', 'Registered again after a withdrawal'),
  (8,  '{"<= day",     "null",           -,                            true,   "<= day",   "< myna_registered_on",   ">= ecert_expired_before",   -}', 'myna_hokensho', NULL),
  (9,  '{"<= day",     "> day",          -,                            true,   "<= day",   "null",                   "null",                      -}', 'myna_hokensho', '資格 lost later'),
  (10, '{"<= day",     "> day",          -,                            true,   "<= day",   "null",                   ">= ecert_expired_before",   -}', 'myna_hokensho', NULL),
  (11, '{"<= day",     "> day",          -,                            true,   "<= day",   "> day",                  "null",                      -}', 'myna_hokensho', NULL),
  (12, '{"<= day",     "> day",          -,                            true,   "<= day",   "> day",                  ">= ecert_expired_before",   -}', 'myna_hokensho', NULL),
  (13, '{"<= day",     "> day",          -,                            true,   "<= day",   "< myna_registered_on",   "null",                      -}', 'myna_hokensho', NULL),
  (14, '{"<= day",     "> day",          -,                            true,   "<= day",   "< myna_registered_on",   ">= ecert_expired_before",   -}', 'myna_hokensho', NULL),
  (15, '{"<= day",     "null",           ">= param(certificate_from)", -,      -,          -,                        -,                           ">= day"}', 'certificate', '資格確認書 held and valid on the day'),
  (16, '{"<= day",     "> day",          ">= param(certificate_from)", -,      -,          -,                        -,                           ">= day"}', 'certificate', NULL)
       ) AS r(row_no, cells, outcome, note)
 WHERE v.table_name = 'national.usable_documents';
INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note)
SELECT v.version_id, 1, '{"late_elderly_blanket, late_elderly_age, no_my_number, not_registered, registration_withdrawn, ecert_expired, on_request"}',
       'certificate', 'national.document_plan:documents', 'A ground for a 資格確認書 (the outcomes of certificate_need that need one)'
  FROM mynahoken.rule_version v WHERE v.table_name = 'national.document_plan';

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
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_outcome.'), c),
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
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_fact.'), c));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_fact_add(text, text, text, text, text, text[], integer, integer) IS
  'Declare a fact read from a column of the insurer''s member source (要配慮者 flags, counts, dates ...), with its type and what its NULL means';

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
      detail => pg_catalog.format(mynahoken.gettext('It breaks constraint %s of mynahoken.rule_test.'), c));
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

-- Output expressions of date decisions: a small language over the date
-- primitives, parsed into jsonb (the compiler reads it), never SQL text:
--   expr := day | <date fact> | YYYY-MM-DD | add_months(expr, n) | month_end(expr)
--         | birthday(n) | next_month_day(expr, month, mday) | day_before(expr)
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

-- The facts an output expression reads (birthday(n) reads birth_date).
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

-- The entry of the legal calendar a rule reads, and the one lookup behind
-- mynahoken.legal_entry_for_insurer: the calendar's precedence (of the latest covering entry of each
-- level, every category, the category, the insurer, the one recorded later,
-- the narrower on the same knowledge day, keep_own keeping the broader out)
-- for one insurer or, without one, for a category (no insurer's entry), and
-- with held_at over the entries the database held at that time (change sets
-- recorded by then, the shipped entries and those recorded before 0.2).
CREATE FUNCTION mynahoken.rule_param_entry(name text, day date, category mynahoken.insurer_category,
                                           insurer mynahoken.insurer_number, known_on date, held_at timestamptz)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
  cat mynahoken.insurer_category := coalesce(mynahoken.category(insurer), category);
BEGIN
  IF name IS NULL OR day IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name and day must not be null');
  END IF;
  WITH c AS (
    SELECT DISTINCT ON (l.level) e AS entry, l.level
      FROM mynahoken.legal_parameter_entry e
      LEFT JOIN mynahoken.legal_change_set cs ON cs.change_set_id = e.change_set_id
     CROSS JOIN LATERAL (SELECT CASE WHEN e.insurer IS NOT NULL THEN 2
                                     WHEN e.scope IS NOT NULL THEN 1 ELSE 0 END) AS l (level)
     WHERE e.name = rule_param_entry.name
       AND (e.scope IS NULL
            OR (e.scope = cat AND (e.insurer IS NULL OR e.insurer OPERATOR(mynahoken.=) rule_param_entry.insurer)))
       AND e.valid @> day
       AND (known_on IS NULL OR e.recorded_on <= known_on)
       AND (held_at IS NULL OR e.change_set_id IS NULL OR cs.recorded_at <= held_at)
     ORDER BY l.level, e.recorded_on DESC)
  SELECT (c.entry).* INTO ent
    FROM c
   WHERE c.level >= coalesce((SELECT max(k.level) FROM c AS k WHERE (k.entry).keep_own), 0)
   ORDER BY (c.entry).recorded_on DESC, c.level DESC
   LIMIT 1;
  IF NOT FOUND THEN
    PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = rule_param_entry.name;
    IF NOT FOUND THEN
      PERFORM mynahoken.raise_error('42704', 'unknown legal parameter',
        hint => 'The parameters are listed in mynahoken.legal_parameter_def.');
    END IF;
    PERFORM mynahoken.raise_error('P0002',
      pg_catalog.format(mynahoken.gettext('no value for legal parameter "%s" on the given day'), name),
      detail => CASE WHEN held_at IS NOT NULL
                     THEN pg_catalog.format(mynahoken.gettext('Insurer category: %s. As held at %s.'),
                                            coalesce(cat::text, mynahoken.gettext('all')),
                                            to_char(held_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                     WHEN insurer IS NOT NULL AND known_on IS NULL
                     THEN pg_catalog.format(mynahoken.gettext('Insurer %s. Knowledge: as currently known.'), insurer)
                     WHEN insurer IS NOT NULL
                     THEN pg_catalog.format(mynahoken.gettext('Insurer %s. Knowledge: as known on %s.'), insurer,
                                            to_char(known_on, 'YYYY-MM-DD'))
                     WHEN known_on IS NULL
                     THEN pg_catalog.format(mynahoken.gettext('Insurer category: %s. Knowledge: as currently known.'),
                                            coalesce(cat::text, mynahoken.gettext('all')))
                     ELSE pg_catalog.format(mynahoken.gettext('Insurer category: %s. Knowledge: as known on %s.'),
                                            coalesce(cat::text, mynahoken.gettext('all')),
                                            to_char(known_on, 'YYYY-MM-DD')) END,
      hint => 'Record a value with mynahoken.record_legal_parameter().');
  END IF;
  RETURN ent;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_param_entry(text, date, mynahoken.insurer_category, mynahoken.insurer_number, date, timestamptz) IS
  'Internal: the calendar entry a rule reads for a legal parameter on a day: for an insurer (its own, its category''s or every category''s) or, with insurer NULL, for a category (NULL: every category), as known on known_on (NULL: now) and, with held_at, as the database held the calendar at that time; the precedence of mynahoken.legal_entry_for_insurer. 22004 for a NULL name or day, 42704 for an unknown parameter, P0002 when there is no value';

-- One operand of a parsed cell as SQL: literals only through format %L.
CREATE FUNCTION mynahoken.rule_operand_sql(op jsonb, fact_type text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ptype text;
  sc jsonb;
  rd text;
  num text;
  ins text;
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
    IF scope IS NULL OR left(scope, 1) <> '{' THEN
      -- an uncorrelated scalar subquery: an InitPlan, read once per statement
      RETURN format('(SELECT mynahoken.legal_value_%s(%L, $1, CAST(%L AS mynahoken.insurer_category), $2))',
                    CASE ptype WHEN 'int' THEN 'int' WHEN 'date' THEN 'date' WHEN 'boolean' THEN 'bool' ELSE 'text' END,
                    op->>'param', scope);
    END IF;
    -- per insurer number of the table's scope an InitPlan of its own entry
    -- (the calendar's precedence), picked per member by a CASE on the
    -- member's number; else the category's; with held_at as then held
    sc := scope::jsonb;
    rd := '(SELECT (mynahoken.legal_value_check_type(mynahoken.rule_param_entry(%L, $1, CAST(%L AS mynahoken.insurer_category), CAST(%L AS mynahoken.insurer_number), $2, CAST(%L AS pg_catalog.timestamptz)), CAST(%L AS mynahoken.legal_value_type))).value_'
          || CASE ptype WHEN 'int' THEN 'int' WHEN 'date' THEN 'date' WHEN 'boolean' THEN 'bool' ELSE 'text' END || ')';
    IF jsonb_array_length(coalesce(sc->'insurers', '[]')) = 0 THEN
      RETURN format(rd, op->>'param', sc->>'category', NULL, sc->>'held_at', ptype);
    END IF;
    num := CASE WHEN mode IS NULL THEN 'f.insurer_number' ELSE '(' || mynahoken.rule_fact_sql('insurer_number', mode) || ')' END;
    RETURN '(CASE' || (SELECT string_agg(format(' WHEN %s OPERATOR(pg_catalog.=) CAST(%L AS pg_catalog.text) COLLATE pg_catalog."C" THEN ', num, i.n)
                                         || format(rd, op->>'param', sc->>'category', i.n, sc->>'held_at', ptype), '' ORDER BY i.n)
                         FROM jsonb_array_elements_text(sc->'insurers') AS i(n))
           -- a member outside the insurer numbers: the category's value, or
           -- none when the table applies to those numbers only
           || ' ELSE ' || CASE WHEN (sc->>'only_insurers')::boolean THEN 'NULL'
                               ELSE format(rd, op->>'param', sc->>'category', NULL, sc->>'held_at', ptype) END || ' END)';
  END IF;
  -- a caller's argument (NULL or an object of no known key): never quoted
  PERFORM mynahoken.raise_error('22023', 'unknown operand',
    detail => 'An operand is a JSON object with one of the keys int, date, bool, text, day, fact or param.');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_operand_sql(jsonb, text, text, text) IS
  'Internal: SQL of one operand of a parsed cell (constants through format %L, param() as uncorrelated scalar subqueries on the decision and knowledge days for the scope of mynahoken.rule_param_scope: one per insurer number of the table, picked by a CASE on the member''s number, else the category''s, as held at a time when given; another fact as f.<fact> or, with a mode, its expression); raises 22023 for NULL or an object of no known key, without quoting it';

CREATE FUNCTION mynahoken.rule_cell_sql(cell text, fact text, scope text, mode text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
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
  sql_facts text[];             -- sql: cells: the names they may read (day first), their types
  sql_types text[];
  sql_used text[];
  indep boolean;
  -- a param() read per insurer number of the table picks per member: its
  -- cut-offs are computed per member, not in a subquery of their own
  per_member boolean := coalesce(left(scope, 1) = '{' AND jsonb_array_length(scope::jsonb->'insurers') > 0, false);
BEGIN
  SELECT * INTO f FROM mynahoken.rule_fact r WHERE r.fact = rule_cell_sql.fact;
  j := mynahoken.rule_cell_parse(cell, f.fact_type, f.enum_values);
  -- A cell of a fact of the decision and knowledge days alone (decision_day),
  -- with no other fact as operand, has the same truth for every member: over
  -- the facts' expressions it is an uncorrelated scalar subquery (an
  -- InitPlan), read once per statement; the member costs one read of it.
  -- (The prefix "(SELECT " marks it for the compiler, which tests it first.)
  -- Not so when a param() it reads is picked per member (per_member).
  indep := mode IS NOT NULL AND f.kind = 'derived'
           AND f.expression !~ '\{(?!day\}|known_on\})[a-z_][a-z0-9_]*\}'
           AND NOT jsonb_path_exists(j, 'strict $.**.fact')
           AND NOT (per_member AND jsonb_path_exists(j, 'strict $.**.param'));
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
        cuts := cuts || format(CASE WHEN bound ? 'int' OR per_member THEN '(CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))'
                                    ELSE '(SELECT CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))' END, age_day, n[1])
                     || format(CASE WHEN bound ? 'int' OR per_member THEN '(CAST(%s OPERATOR(pg_catalog.-) pg_catalog.make_interval(years => %s) AS pg_catalog.date))'
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
    WHEN 'null' THEN RETURN format(CASE WHEN indep THEN '(SELECT %s IS NULL)' ELSE '(%s IS NULL)' END, x);
    WHEN 'not_null' THEN RETURN format(CASE WHEN indep THEN '(SELECT %s IS NOT NULL)' ELSE '(%s IS NOT NULL)' END, x);
    WHEN 'sql' THEN
      -- re-written from PostgreSQL's analysed tree, never spliced: every fact
      -- it reads as its expression (over f in explanations: the member row m
      -- for a fact that is not a column), day as the decision day
      SELECT array_agg(x.fact ORDER BY x.ord, x.fact), array_agg(x.fact_type ORDER BY x.ord, x.fact)
        INTO sql_facts, sql_types
        FROM (SELECT 'day' AS fact, 'date' AS fact_type, 0 AS ord
              UNION ALL SELECT r.fact, r.fact_type, 1 FROM mynahoken.rule_fact r WHERE r.fact <> 'day') x;
      sql_used := mynahoken.rule_sql_cell_facts(j->>'sql', sql_facts, sql_types);
      RETURN format('COALESCE(%s, false)', mynahoken.rule_sql_cell_sql(j->>'sql', sql_facts, sql_types,
        ARRAY(SELECT CASE WHEN NOT sql_facts[i] = ANY (sql_used) THEN NULL
                          WHEN sql_facts[i] = 'day' THEN '$1'
                          WHEN mode IS NULL AND sql_facts[i] = fact THEN format('f.%I', fact)
                          ELSE mynahoken.rule_fact_sql(sql_facts[i], coalesce(mode, 'member')) END
                FROM generate_subscripts(sql_facts, 1) AS i ORDER BY i)));
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
  RETURN format(CASE WHEN indep THEN '(SELECT COALESCE(%s(%s), false))' ELSE 'COALESCE(%s(%s), false)' END,
                CASE WHEN (j->>'negated')::boolean THEN 'NOT ' END, array_to_string(parts, ' OR '));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_cell_sql(text, text, text, text) IS
  'Internal: the SQL predicate of one cell over the facts row f, or with a mode (member, facts) over the facts'' expressions (a cell on an age as birth_date against cut-offs read once per statement; a cell of the decision and knowledge days alone as an uncorrelated scalar subquery, read once per statement); cell text reaches SQL only through format %L, an sql: cell only as written again from PostgreSQL''s analysed tree (mynahoken.rule_sql_cell_sql)';

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

-- The scope a table's parameters are read for, as rule_operand_sql takes
-- it: the category of mynahoken.rule_table_scope alone (as text), or with
-- the insurer numbers of applies_to (each reads its own entries first) or a
-- time the calendar is read as held, a JSON object {"category", "insurers",
-- "only_insurers" (applies_to has nothing else), "held_at"}.
CREATE FUNCTION mynahoken.rule_param_scope(applies_to text[], held_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN s.insurers OPERATOR(pg_catalog.=) '{}' AND rule_param_scope.held_at IS NULL THEN s.category
              ELSE CAST(pg_catalog.jsonb_build_object('category', s.category, 'insurers', s.insurers,
                                                      'only_insurers', pg_catalog.cardinality(s.insurers) OPERATOR(pg_catalog.=) pg_catalog.cardinality(rule_param_scope.applies_to),
                                                      'held_at', rule_param_scope.held_at) AS pg_catalog.text) END
    FROM (SELECT mynahoken.rule_table_scope(rule_param_scope.applies_to) AS category,
                 ARRAY(SELECT DISTINCT a.e FROM pg_catalog.unnest(rule_param_scope.applies_to) AS a(e)
                        WHERE a.e OPERATOR(pg_catalog.~) '^[0-9]{6}$|^[0-9]{8}$'
                          AND mynahoken.insurer_number_is_valid(a.e)
                        ORDER BY a.e) AS insurers) AS s;
END;
COMMENT ON FUNCTION mynahoken.rule_param_scope(text[], timestamptz) IS
  'Internal: the scope a rule table''s param() cells are read for (rule_operand_sql): its category (mynahoken.rule_table_scope) as text, or a JSON object with the category, the insurer numbers of applies_to and the time the calendar is read as held (held_at, NULL: now)';

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
                THEN pg_catalog.format('%s OPERATOR(pg_catalog.=) %L COLLATE pg_catalog."C"', rule_applies_sql.number_sql, a.e)
                ELSE pg_catalog.format('%s OPERATOR(pg_catalog.=) %L COLLATE pg_catalog."C"', rule_applies_sql.category_sql, a.e) END,
           ' OR ' ORDER BY a.i) OPERATOR(pg_catalog.||) ')'
    FROM pg_catalog.unnest(rule_applies_sql.applies_to) WITH ORDINALITY AS a(e, i);
END;
COMMENT ON FUNCTION mynahoken.rule_applies_sql(text[], text, text) IS
  'Internal: SQL condition that the member (facts row f) is in a table''s scope: insurer numbers, prefixes (0613*) or categories, each through format %L';

-- The versions of a table a generated query reads: the active ones (and a
-- candidate draft, for the checks), or with held_at those the database held
-- active at that time (what it decided then: activated by then, not yet
-- withdrawn), newest first.
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

-- A version of a table in a generated query: in force on the decision day
-- ($1) as known on the knowledge day ($2, NULL: now), and no version of the
-- table read with it (mynahoken.rule_versions_used) recorded later is.
CREATE FUNCTION mynahoken.rule_version_cond(table_name text, version_id bigint, valid daterange, recorded_on date,
                                            candidate bigint, held_at timestamptz)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT pg_catalog.format('(CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                           rule_version_cond.valid, rule_version_cond.recorded_on)
         OPERATOR(pg_catalog.||)
         COALESCE(pg_catalog.string_agg(
           pg_catalog.format(' AND NOT (CAST(%L AS pg_catalog.daterange) OPERATOR(pg_catalog.@>) $1 AND ($2 IS NULL OR CAST(%L AS pg_catalog.date) OPERATOR(pg_catalog.<=) $2))',
                             z.valid, z.recorded_on),
           '' ORDER BY z.recorded_on DESC, z.version_id DESC), '')
    FROM mynahoken.rule_versions_used(rule_version_cond.table_name, rule_version_cond.candidate, rule_version_cond.held_at) AS z
   WHERE z.recorded_on OPERATOR(pg_catalog.>) rule_version_cond.recorded_on
      OR (z.recorded_on OPERATOR(pg_catalog.=) rule_version_cond.recorded_on
          AND z.version_id OPERATOR(pg_catalog.>) rule_version_cond.version_id);
END;
COMMENT ON FUNCTION mynahoken.rule_version_cond(text, bigint, daterange, date, bigint, timestamptz) IS
  'Internal: SQL condition that a version of a rule table (version_id, valid, recorded_on) is the one in force on the decision day $1 as known on $2 among the versions a generated query reads (mynahoken.rule_versions_used with candidate and held_at), literals through format %L';

-- The query of a date decision (certificate_valid_until): the insurer
-- tables in name order, each version's rows tried per its hit policy (unique,
-- any, first: the first matching row; collect min/max: the least/greatest
-- date of the matching rows), every insurer date capped at the legal
-- maximum (certificate_max_months after the decision day, read once per
-- statement); else the national date.  A row's cells and date are computed
-- once, in the row c; the lateral row d around it picks the hit.
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
    scope := mynahoken.rule_param_scope(t.applies_to, held_at);
    -- the legal maximum for the table's scope: InitPlans
    cap := format('(mynahoken.rule_add_months($1, %s) OPERATOR(pg_catalog.-) 1)',
                  mynahoken.rule_operand_sql('{"param": "certificate_max_months"}', 'int', scope, mode));
    FOR v IN
      SELECT y.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS y ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      vcond := mynahoken.rule_version_cond(t.table_name, v.version_id, v.valid, v.recorded_on, candidate, held_at);
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

-- A decision whose output is a set of outcomes (usable_documents,
-- document_plan): every table of the decision collects, the national
-- tables first, then the insurer tables in name order (an insurer table
-- adds outcomes, never removes one).  Each table's rows in priority, then
-- row order; a row whose outcome is undecidable (national tables) makes the
-- member undecidable, as does a NULL fact whose NULL means unknown tested by
-- a row of an insurer table in scope.  No row: the empty set, the default
-- outcome, or for on_no_match error a no_match hit.  The hit is the first
-- matching row's, with every matching outcome in outcomes.
CREATE FUNCTION mynahoken.rule_compile_collect_query(decision text, mode text, source text DEFAULT NULL,
                                                     candidate bigint DEFAULT NULL, held_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  v record;
  r record;
  trace boolean := mode = 'trace';   -- the explanations: the same predicates, with every cell's truth
  fm text;
  scope text;
  vcond text;
  cond text;
  unknowns text;
  pred text;
  any_row text[];
  hits text[] := '{}';          -- per matching row: CASE WHEN it matches THEN its number END
  undec text[] := '{}';         -- what makes the member undecidable
  nomatch text[] := '{}';       -- on_no_match error: WHENs of the no_match hits
  h_o text[] := '{}';           -- per hit number: outcome, version, row, layer, table
  h_v bigint[] := '{}';
  h_r integer[] := '{}';
  h_l text[] := '{}';
  h_t text[] := '{}';
  tried text[] := '{}';
  facts text[] := ARRAY['insurer_number', 'category'];
  from_sql text;
  fields text;
BEGIN
  IF mode IN ('coverage', 'national') THEN
    RETURN NULL;                -- coverage reads the trace; no national fact to fall back on
  END IF;
  IF mode IS NULL OR mode NOT IN ('member', 'facts', 'trace') THEN
    PERFORM mynahoken.raise_error('22023', 'unknown compile mode');
  END IF;
  fm := CASE WHEN trace THEN 'member' ELSE mode END;
  FOR t IN
    SELECT x.* FROM mynahoken.rule_table x
     WHERE x.decision = rule_compile_collect_query.decision
     ORDER BY x.layer = 'insurer', x.table_name
  LOOP
    scope := mynahoken.rule_table_scope(t.applies_to);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS y ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := mynahoken.rule_version_cond(t.table_name, v.version_id, v.valid, v.recorded_on, candidate, held_at);
      -- a national table applies to every member; an insurer table to its scope
      cond := CASE WHEN t.layer = 'national' THEN vcond
                   ELSE format('%s AND %s', mynahoken.rule_applies_sql(t.applies_to,
                                 '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                                 '(' || mynahoken.rule_fact_sql('category', fm) || ')'), vcond) END;
      facts := facts || v.columns;
      IF t.layer = 'insurer' THEN
        SELECT string_agg(format('(%s) IS NULL', mynahoken.rule_fact_sql(c.col, fm)), ' OR ' ORDER BY c.col)
          INTO unknowns
          FROM (SELECT DISTINCT v.columns[i] AS col
                  FROM mynahoken.rule_row rr, generate_subscripts(v.columns, 1) AS i
                 WHERE rr.version_id = v.version_id AND btrim(rr.cells[i]) <> '-') c
          JOIN mynahoken.rule_fact rf ON rf.fact = c.col AND rf.null_means = 'unknown';
        IF unknowns IS NOT NULL THEN
          undec := undec || format('(%s AND (%s))', cond, unknowns);
        END IF;
      END IF;
      any_row := '{}';
      FOR r IN
        SELECT rr.*, o.priority
          FROM mynahoken.rule_row rr
          LEFT JOIN mynahoken.rule_outcome o ON o.decision = t.decision AND o.code = rr.outcome
         WHERE rr.version_id = v.version_id
         ORDER BY CASE WHEN t.hit_policy = 'collect' THEN o.priority END, rr.row_no
      LOOP
        pred := coalesce((SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm), ' AND ' ORDER BY i)
                            FROM generate_subscripts(v.columns, 1) AS i WHERE btrim(r.cells[i]) <> '-'), 'true');
        IF trace THEN
          tried := tried || format('pg_catalog.jsonb_build_object(%L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, COALESCE(%s, false), %L, pg_catalog.to_jsonb(ARRAY[%s]))',
                                   'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no,
                                   'in_scope', cond,
                                   'cells', (SELECT string_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm), ', ' ORDER BY i)
                                               FROM generate_subscripts(v.columns, 1) AS i));
        END IF;
        IF t.layer = 'national' AND r.outcome = 'undecidable' THEN
          undec := undec || format('(%s AND %s)', cond, pred);
          CONTINUE;
        END IF;
        any_row := any_row || pred;
        h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
        h_l := h_l || t.layer; h_t := h_t || t.table_name;
        hits := hits || format('CASE WHEN %s AND %s THEN %s END', cond, pred, cardinality(h_o));
      END LOOP;
      IF t.on_no_match LIKE 'default %' THEN
        h_o := h_o || substr(t.on_no_match, 9); h_v := h_v || v.version_id; h_r := h_r || NULL::int;
        h_l := h_l || t.layer; h_t := h_t || t.table_name;
        hits := hits || format('CASE WHEN %s AND NOT COALESCE(%s, false) THEN %s END', cond,
                               coalesce(array_to_string(any_row, ' OR '), 'false'), cardinality(h_o));
      ELSIF t.on_no_match = 'error' THEN
        nomatch := nomatch || format('WHEN %s AND NOT COALESCE(%s, false) THEN CAST(ROW(NULL, CAST(%L AS pg_catalog.int8), NULL, %L, %L, NULL) AS mynahoken.rule_hit)',
                                     cond, coalesce(array_to_string(any_row, ' OR '), 'false'), v.version_id, 'no_match', t.table_name);
      END IF;
    END LOOP;
  END LOOP;
  -- c: the numbers of the matching rows, once per member (OFFSET 0); the
  -- outcomes and the first hit's fields index constant arrays
  fields := format('(CAST(%L AS pg_catalog.text[]))[c.h[1]], (CAST(%L AS pg_catalog.int8[]))[c.h[1]], (CAST(%L AS pg_catalog.int4[]))[c.h[1]],'
                   ' COALESCE((CAST(%L AS pg_catalog.text[]))[c.h[1]], %L), (CAST(%L AS pg_catalog.text[]))[c.h[1]],'
                   ' pg_catalog.array_remove(ARRAY[%s], NULL)',
                   h_o, h_v, h_r, h_l, 'national', h_t,
                   coalesce((SELECT string_agg(format('CASE WHEN %s OPERATOR(pg_catalog.=) ANY (c.h) THEN %L END', i, h_o[i]), ', ' ORDER BY i)
                               FROM generate_subscripts(h_o, 1) AS i), 'NULL'));
  from_sql := format('%s CROSS JOIN LATERAL (SELECT CASE WHEN false THEN NULL%s %s ELSE CAST(ROW(%s) AS mynahoken.rule_hit) END AS hit'
                     ' FROM (SELECT CAST(pg_catalog.array_remove(ARRAY[%s], NULL) AS pg_catalog.int4[]) AS h OFFSET 0) AS c OFFSET 0) AS d',
                     CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                     CASE WHEN cardinality(undec) > 0
                          THEN format(' WHEN %s THEN CAST(ROW(NULL, NULL, NULL, %L, NULL, NULL) AS mynahoken.rule_hit)',
                                      array_to_string(undec, ' OR '), 'undecidable') ELSE '' END,
                     array_to_string(nomatch, ' '), fields,
                     CASE WHEN cardinality(hits) > 0 THEN array_to_string(hits, ', ') ELSE 'NULL' END);
  IF trace THEN
    RETURN format('SELECT CAST(m.member_key AS pg_catalog.text) AS member_key,'
                  ' (SELECT pg_catalog.jsonb_object_agg(f.k, f.v) FROM (VALUES %s) AS f(k, v)) AS facts,'
                  ' pg_catalog.to_jsonb(CAST(ARRAY[%s] AS pg_catalog.jsonb[])) AS tried, d.hit FROM %s',
                  (SELECT string_agg(format('(%L, pg_catalog.to_jsonb(%s))', u.f, mynahoken.rule_fact_sql(u.f, fm)), ', ' ORDER BY u.f)
                     FROM (SELECT DISTINCT unnest(facts) AS f) u),
                  array_to_string(tried, ', '), from_sql);
  ELSIF mode = 'facts' THEN
    RETURN format('SELECT CAST(NULL AS pg_catalog.text) AS member_key, d.hit FROM %s', from_sql);
  END IF;
  RETURN format('SELECT CAST(m.member_key AS pg_catalog.text) AS member_key, (d.hit).outcome, (d.hit).version_id,'
                ' (d.hit).row_no, (d.hit).layer, (d.hit).table_name, (d.hit).outcomes FROM %s', from_sql);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_collect_query(text, text, text, bigint, timestamptz) IS
  'Internal: the generated query of a decision whose output is a set of outcomes (usable_documents, document_plan): every national table, then every insurer table in scope, collects its matching rows'' outcomes (priority, then row order); modes member (over the member source), facts (one member as jsonb $3) and trace (with the facts and every cell''s truth); NULL for coverage and national';

-- The query of a decision over the active versions (and a candidate draft,
-- for the checks).  mode member: FROM the member source; mode facts: FROM
-- the jsonb $3 (the scalar twin, the tests); mode trace: FROM the member
-- source, all facts in a lateral row, with the truth of every cell of every
-- row (the explanations).
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
  oc record;
  facts text[];
  whens text[] := '{}';
  tried text[] := '{}';
  cell_list text;
  fm text := CASE WHEN mode IN ('member', 'facts') THEN mode WHEN mode IN ('coverage', 'national') THEN 'member' END;   -- NULL: over the facts row f
  nat_j jsonb;                  -- trace mode: the national table alone (mode national)
  nat_expr text;                -- and from it the national outcome, version and row
  nat_vr text;
  nat_tried text[] := '{}';     -- mode national: each row's entry of the rows tried (explanations)
  nat_no int[] := '{}';         -- and the hit number of each row
  nat_from int;                 -- the entries before those of the version
  cell_idx int[];               -- the columns of a national row's cells other than '-'
  -- A cell's predicate is COALESCE(p, false): never NULL, as a NOT around it
  -- needs.  In a conjunction tested by a WHEN (or an OR of such) NULL and
  -- false are the same, so there the COALESCE is left out (two steps of the
  -- executor less per cell and member): this pattern takes it off.
  bare CONSTANT text := '^COALESCE\((.*), false\)$';
  n_pos text[];                 -- the national rows' predicates without the outer COALESCEs
  -- coverage mode: per insurer row, its scope, first failing cell, hit number and table
  cov_scope text[] := '{}';
  cov_fail text[] := '{}';
  cov_hit integer[] := '{}';
  cov_tab text[] := '{}';
  cov_ver bigint[] := '{}';
  cov_row integer[] := '{}';
  cov_outs text[] := '{}';
  tab_outs jsonb := '{}';
  groups text[];
  grp integer[];
  cov_cols text;
  cell_preds text[];
  cell_facts text[];
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
  ins_app jsonb := '{}';        -- and the condition that a member is in the scope of one of them
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
  IF d.output_type = 'outcome[]' THEN
    RETURN mynahoken.rule_compile_collect_query(decision, mode, source, candidate, held_at);
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
     WHERE x.decision = rule_compile_query.decision AND x.layer = 'insurer' AND mode <> 'national'
     ORDER BY x.table_name
  LOOP
    scope := mynahoken.rule_param_scope(t.applies_to, held_at);
    FOR v IN
      SELECT y.* FROM mynahoken.rule_versions_used(t.table_name, candidate, held_at) AS y ORDER BY y.recorded_on DESC, y.version_id DESC
    LOOP
      -- in force on the decision day as known on the knowledge day, and no
      -- later-recorded version of the table is
      vcond := mynahoken.rule_version_cond(t.table_name, v.version_id, v.valid, v.recorded_on, candidate, held_at);
      cond := format('%s OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.text[])) AND %s AND %s',
                     nat, t.outcomes, mynahoken.rule_applies_sql(t.applies_to), vcond);
      -- fast mode: the national outcome is the branch; facts inline
      IF fm IS NOT NULL THEN
        fapplies := mynahoken.rule_applies_sql(t.applies_to,
                      '(' || mynahoken.rule_fact_sql('insurer_number', fm) || ')',
                      '(' || mynahoken.rule_fact_sql('category', fm) || ')');
        fcond := vcond;      -- the table's scope is tested once, around its rows
        tab_outs := tab_outs || jsonb_build_object(t.table_name, t.outcomes::text);
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
        -- in the WHEN of the fast modes, without the outer COALESCEs, the
        -- cheapest cells first
        fhit := (SELECT string_agg(regexp_replace(p.c, bare, '(\1)'), ' AND '
                                   ORDER BY CASE WHEN p.c LIKE '(SELECT %' THEN 0
                                                 WHEN rf.kind = 'member' OR rf.expression ~ '^mynahoken\.rule_age_on\(\{birth_date\}, ' THEN 1
                                                 ELSE 2 END, p.i)
                   FROM unnest(cell_preds, v.columns) WITH ORDINALITY AS p(c, fact, i)
                   LEFT JOIN mynahoken.rule_fact rf ON rf.fact = p.fact);
        cell_list := array_to_string(cell_preds, ', ');
        IF fm IS NOT NULL THEN
          h_o := h_o || r.outcome; h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || 'insurer'::text; h_t := h_t || t.table_name;
          fast_sql := fast_sql || format('WHEN %s AND %s THEN %s', fcond, fhit, cardinality(h_o));
          fast_outs := fast_outs || t.outcomes::text; fast_tab := fast_tab || t.table_name; fast_app := fast_app || fapplies;
          -- coverage: the row's scope and the number of its first failing
          -- cell (0: every cell holds), by the same predicates
          cov_scope := cov_scope || format('%s AND %s', fapplies, fcond);
          cov_fail := cov_fail || coalesce((SELECT 'CASE ' || string_agg(format('WHEN NOT (%s) THEN %s', cell_preds[i], i), ' ' ORDER BY i) || ' ELSE 0 END'
                                              FROM generate_subscripts(cell_preds, 1) AS i WHERE cell_preds[i] <> 'true'), '0');
          cov_hit := cov_hit || cardinality(h_o); cov_tab := cov_tab || t.table_name;
          cov_ver := cov_ver || v.version_id; cov_row := cov_row || r.row_no; cov_outs := cov_outs || t.outcomes::text;
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
      ins_app := ins_app || jsonb_build_object(oc.outs,
        (SELECT '(' || string_agg(DISTINCT fast_app[i], ' OR ') || ')'
           FROM generate_subscripts(fast_app, 1) AS i WHERE fast_outs[i] = oc.outs));
      branches := coalesce(branches || ' ', '') ||
        format('WHEN n.x OPERATOR(pg_catalog.=) ANY (CAST(%L AS pg_catalog.int4[])) THEN COALESCE(%s, n.x)',
               ARRAY(SELECT i FROM generate_subscripts(h_o, 1) AS i
                      WHERE h_l[i] = 'national' AND h_o[i] = ANY (oc.outs::text[]) ORDER BY i), fhit);
    END LOOP;
    -- The national table of the decision (shipped), its versions as
    -- conditions on the constant days: its rows in order, one CASE over the
    -- member's columns, each hit its own number (outcome, version, row); in
    -- each row the cells of the days alone first (InitPlans), then those of
    -- member columns, then derived facts (function calls).  Before the first
    -- row of a label with insurer exceptions, one WHEN holds when the member
    -- is in the scope of one of those tables (tested first: most members are
    -- not) and the first matching row from there on is of that label; it
    -- tries the insurer tables (COALESCE), else finds the national row.  The
    -- other members go on through the national rows.  One CASE per member in
    -- all: no national outcome is computed apart and tested again.
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
        vcond := mynahoken.rule_version_cond(t.table_name, v.version_id, v.valid, v.recorded_on, candidate, held_at);
        -- each row: its predicate, number and the outcomes of its label
        n_pred := '{}'; n_pos := '{}'; n_no := '{}'; n_outs := '{}';
        nat_from := cardinality(nat_no);
        FOR r IN SELECT rr.*, l.outcomes::text AS outs FROM mynahoken.rule_row rr
                   LEFT JOIN mynahoken.rule_label l ON l.label = rr.label
                  WHERE rr.version_id = v.version_id ORDER BY rr.row_no LOOP
          -- a param() is read for the row's one category, else the table's scope
          scope := mynahoken.rule_param_scope(
                     CASE WHEN r.cells[array_position(v.columns, 'category')] ~ '^\s*[a-z_]+\s*$'
                           AND btrim(r.cells[array_position(v.columns, 'category')]) NOT IN ('null')
                          THEN ARRAY[btrim(r.cells[array_position(v.columns, 'category')])]
                          ELSE t.applies_to END, held_at);
          SELECT array_agg(mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, fm) ORDER BY i),
                 array_agg(v.columns[i] ORDER BY i), array_agg(i ORDER BY i)
            INTO cell_preds, cell_facts, cell_idx
            FROM generate_subscripts(v.columns, 1) AS i WHERE btrim(r.cells[i]) <> '-';
          hit := array_to_string(cell_preds, ' AND ');
          h_o := h_o || CASE WHEN r.outcome <> 'undecidable' THEN r.outcome END;
          h_v := h_v || v.version_id; h_r := h_r || r.row_no;
          h_l := h_l || CASE WHEN r.outcome = 'undecidable' THEN 'undecidable' ELSE 'national' END;
          h_t := h_t || t.table_name;
          n_pred := n_pred || coalesce('(' || hit || ')', 'true');
          n_pos := n_pos || coalesce('(' || (SELECT string_agg(regexp_replace(p.c, bare, '(\1)'), ' AND '
                                                       ORDER BY CASE WHEN p.c LIKE '(SELECT %' THEN 0
                                                                     WHEN rf.kind = 'member' OR rf.expression ~ '^mynahoken\.rule_age_on\(\{birth_date\}, ' THEN 1
                                                                     ELSE 2 END, p.i)
                                       FROM unnest(cell_preds, cell_facts) WITH ORDINALITY AS p(c, fact, i)
                                       LEFT JOIN mynahoken.rule_fact rf ON rf.fact = p.fact) || ')', 'true');
          n_no := n_no || cardinality(h_o);
          n_outs := n_outs || CASE WHEN r.outcome <> 'undecidable' THEN r.outs END;
          IF mode = 'national' THEN
            -- for the explanations: the row's first failing cell in column
            -- order and the member's value of its fact (a CASE: a cell after
            -- it may read a parameter without a value on the day), NULL when
            -- every cell holds
            nat_tried := nat_tried || format(
              'pg_catalog.jsonb_build_object(%L, %L, %L, %L, %L, CAST(%L AS pg_catalog.int8), %L, %s, %L, (%s), %L, %s)',
              'layer', 'national', 'table_name', t.table_name, 'version_id', v.version_id, 'row_no', r.row_no, 'in_scope', vcond,
              'failing', coalesce((SELECT 'CASE ' || string_agg(format('WHEN NOT %s THEN pg_catalog.jsonb_build_array(%s, pg_catalog.to_jsonb(%s))',
                                                                      p.c, p.i, mynahoken.rule_fact_sql(p.fact, fm)), ' ' ORDER BY p.i) || ' END'
                                     FROM unnest(cell_preds, cell_facts, cell_idx) AS p(c, fact, i)),
                                  'CAST(NULL AS pg_catalog.jsonb)'));
            nat_no := nat_no || cardinality(h_o);
          END IF;
        END LOOP;
        IF mode = 'national' THEN
          -- an entry only for the rows the national table tried for the
          -- member: of the version that decided, up to the row that did
          -- (its hit number, nh.h); NULL for the others
          FOR i IN nat_from + 1 .. cardinality(nat_no) LOOP
            nat_tried[i] := format('CASE WHEN nh.h OPERATOR(pg_catalog.>=) %s AND nh.h OPERATOR(pg_catalog.<=) %s THEN %s END',
                                   nat_no[i], cardinality(h_o), nat_tried[i]);
          END LOOP;
        END IF;
        fhit := '';
        FOR i IN 1 .. cardinality(n_pred) LOOP
          IF n_outs[i] IS NOT NULL AND ins ? n_outs[i] AND array_position(n_outs[1:i - 1], n_outs[i]) IS NULL THEN
            -- the first matching row from i on is of this label: row k of
            -- the label matches and no row of another label between i and k
            -- (a row that always matches first: its term is one test of the
            -- rows between, true for most members)
            SELECT string_agg(x.c, ' OR ' ORDER BY n_pos[x.k] = 'true' DESC, x.k) INTO cond
              FROM (SELECT k, '(' || n_pos[k] || coalesce(' AND NOT (' ||
                             (SELECT string_agg(n_pred[j], ' OR ' ORDER BY j) FROM generate_series(i, k - 1) AS j
                               WHERE n_outs[j] IS DISTINCT FROM n_outs[i]) || ')', '') || ')' AS c
                      FROM generate_series(i, cardinality(n_pred)) AS k WHERE n_outs[k] = n_outs[i]) x;
            SELECT string_agg(format('WHEN %s THEN %s', n_pos[k], n_no[k]), ' ' ORDER BY k) INTO cell_list
              FROM generate_series(i, cardinality(n_pred)) AS k;
            fhit := fhit || format(' WHEN %s AND (%s) THEN COALESCE(%s, CASE %s END)',
                                   ins_app->>n_outs[i], cond, ins->>n_outs[i], cell_list);
          END IF;
          fhit := fhit || format(' WHEN %s THEN %s', n_pos[i], n_no[i]);
        END LOOP;
        nat_case := nat_case || format(' WHEN %s THEN CASE%s ELSE %s END', vcond, fhit, undec);
      END LOOP;
      IF nat_case <> '' THEN
        from_sql := format(' FROM %s CROSS JOIN LATERAL (SELECT CASE%s ELSE %s END AS h) AS d',
                           CASE mode WHEN 'facts' THEN '(SELECT $3 AS j) AS m' ELSE source || ' AS m' END,
                           nat_case, undec);
      END IF;
    END LOOP;
    IF mode = 'national' THEN
      -- the national table alone, over the member row m: the number of its
      -- hit (an expression), the outcome, version and row of each number and
      -- each row's entry of the explanations' rows tried (an expression over
      -- m and nh.h, NULL for a row not tried), as jsonb; NULL when the
      -- decision has no national table
      RETURN CASE WHEN from_sql IS NOT NULL
                  THEN pg_catalog.jsonb_build_object('hit', format('CASE%s ELSE %s END', nat_case, undec),
                                                     'outcomes', h_o, 'versions', h_v, 'rows', h_r,
                                                     'tried', nat_tried) END;
    END IF;
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
    IF mode = 'coverage' THEN
      -- Coverage: the hit number of each member once (the decision's CASE,
      -- not pulled up: OFFSET 0), then per insurer row its first failing
      -- cell when the member is in its scope (national outcome in the
      -- table's label, as the hit number's label group says; insurer number
      -- in applies_to; version in force), counted per combination in one
      -- pass, and unpivoted per row: per row and first failing cell, the
      -- members tried and the members the row decided.
      IF cardinality(cov_fail) > 1000 THEN
        RETURN NULL;            -- a column per row: too many for one query (the caller reads the trace)
      ELSIF cardinality(cov_fail) = 0 THEN
        RETURN 'SELECT CAST(NULL AS pg_catalog.text) AS table_name, CAST(NULL AS pg_catalog.int8) AS version_id,'
               ' CAST(NULL AS pg_catalog.int4) AS row_no, CAST(NULL AS pg_catalog.int4) AS failing,'
               ' CAST(NULL AS pg_catalog.int8) AS n, CAST(NULL AS pg_catalog.int8) AS n_decided WHERE false';
      END IF;
      groups := ARRAY(SELECT g.o FROM (SELECT cov_outs[i] AS o, min(i) AS first FROM generate_subscripts(cov_outs, 1) AS i
                                         GROUP BY 1) g ORDER BY g.first);
      grp := ARRAY(SELECT CASE WHEN h_l[i] = 'national'
                               THEN (SELECT min(g) FROM generate_subscripts(groups, 1) AS g WHERE h_o[i] = ANY (groups[g]::text[]))
                               WHEN tab_outs ? h_t[i] THEN array_position(groups, tab_outs->>h_t[i]) END
                     FROM generate_subscripts(h_o, 1) AS i ORDER BY i);
      SELECT string_agg(format('x.f%s', i), ', ' ORDER BY i) INTO cov_cols FROM generate_subscripts(cov_fail, 1) AS i;
      RETURN format('SELECT (CAST(%L AS pg_catalog.text[]))[u.k] AS table_name, (CAST(%L AS pg_catalog.int8[]))[u.k] AS version_id,'
                    ' (CAST(%L AS pg_catalog.int4[]))[u.k] AS row_no, CASE WHEN u.f OPERATOR(pg_catalog.<>) 0 THEN u.f END AS failing,'
                    ' CAST(pg_catalog.sum(g.n) AS pg_catalog.int8) AS n,'
                    ' CAST(COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.h OPERATOR(pg_catalog.=) (CAST(%L AS pg_catalog.int4[]))[u.k]), 0) AS pg_catalog.int8) AS n_decided'
                    ' FROM (SELECT x.h, %s, pg_catalog.count(*) AS n FROM (SELECT m.mh_cov_hit AS h, %s'
                    ' FROM (SELECT m.*, d.h AS mh_cov_hit%s OFFSET 0) AS m) AS x GROUP BY x.h, %s) AS g'
                    ' CROSS JOIN LATERAL (VALUES %s) AS u(k, f) WHERE u.f IS NOT NULL GROUP BY u.k, u.f',
                    cov_tab, cov_ver, cov_row, cov_hit, cov_cols,
                    -- the row's scope first (most members are not in it), then its label group
                    (SELECT string_agg(format('CASE WHEN %s AND (CAST(%L AS pg_catalog.int4[]))[%s OPERATOR(pg_catalog.-) m.mh_cov_hit] OPERATOR(pg_catalog.=) %s THEN %s END AS f%s',
                                              cov_scope[i], ARRAY(SELECT grp[j] FROM generate_subscripts(grp, 1) AS j ORDER BY j DESC), cardinality(grp) + 1,
                                              array_position(groups, cov_outs[i]), cov_fail[i], i), ', ' ORDER BY i)
                       FROM generate_subscripts(cov_fail, 1) AS i),
                    from_sql, cov_cols,
                    (SELECT string_agg(format('(%s, g.f%s)', i, i), ', ' ORDER BY i) FROM generate_subscripts(cov_fail, 1) AS i));
    END IF;
    -- The arrays are written last hit first, indexed by n + 1 - d.h: an
    -- element of an array of text (or with NULLs) is found by walking the
    -- elements before it, and the national table's rows, the hits of most
    -- members, are numbered last (a third of the decision's time at the
    -- front of 34 elements).
    f_o := format('(CAST(%L AS pg_catalog.text[]))[%s OPERATOR(pg_catalog.-) d.h]', ARRAY(SELECT h_o[i] FROM generate_subscripts(h_o, 1) AS i ORDER BY i DESC), cardinality(h_o) + 1);
    f_v := format('(CAST(%L AS pg_catalog.int8[]))[%s OPERATOR(pg_catalog.-) d.h]', ARRAY(SELECT h_v[i] FROM generate_subscripts(h_v, 1) AS i ORDER BY i DESC), cardinality(h_v) + 1);
    f_r := format('(CAST(%L AS pg_catalog.int4[]))[%s OPERATOR(pg_catalog.-) d.h]', ARRAY(SELECT h_r[i] FROM generate_subscripts(h_r, 1) AS i ORDER BY i DESC), cardinality(h_r) + 1);
    f_l := format('(CAST(%L AS pg_catalog.text[]))[%s OPERATOR(pg_catalog.-) d.h]', ARRAY(SELECT h_l[i] FROM generate_subscripts(h_l, 1) AS i ORDER BY i DESC), cardinality(h_l) + 1);
    f_t := format('(CAST(%L AS pg_catalog.text[]))[%s OPERATOR(pg_catalog.-) d.h]', ARRAY(SELECT h_t[i] FROM generate_subscripts(h_t, 1) AS i ORDER BY i DESC), cardinality(h_t) + 1);
    f_os := format('CASE%s WHEN %s IS NOT NULL THEN ARRAY[%s] END', coll_cases, f_o, f_o);
    RETURN format(CASE mode WHEN 'facts' THEN 'SELECT %s, CAST(ROW(%s, %s, %s, %s, %s, %s) AS mynahoken.rule_hit) AS hit%s'
                  ELSE 'SELECT %s, %s AS outcome, %s AS version_id, %s AS row_no, %s AS layer, %s AS table_name, %s AS outcomes%s' END,
                  CASE mode WHEN 'facts' THEN 'CAST(NULL AS pg_catalog.text) AS member_key'
                            ELSE 'CAST(m.member_key AS pg_catalog.text) AS member_key' END,
                  f_o, f_v, f_r, f_l, f_t, f_os, from_sql);
  END IF;

  -- Trace mode: every fact in one lateral row f, and the truth of every cell.
  -- The national outcome is the national table's (the predicates of the
  -- compiled decision, equal to the C function by the differential test):
  -- the C function would load the legal calendar for every statement, most
  -- of the time of one member's explanation.  The national table's hit
  -- number is computed once (lateral row nh); a national hit carries its
  -- version and row (the rows the explanation lists as tried).
  nat_j := mynahoken.rule_compile_query(decision, 'national', source, candidate, held_at);
  IF nat_j IS NOT NULL THEN
    nat_expr := format('(CAST(%L AS pg_catalog.text[]))[nh.h]',
                       ARRAY(SELECT x FROM jsonb_array_elements_text(nat_j->'outcomes') WITH ORDINALITY AS u(x, i) ORDER BY i));
    nat_vr := format('(CAST(%L AS pg_catalog.int8[]))[nh.h], (CAST(%L AS pg_catalog.int4[]))[nh.h]',
                     ARRAY(SELECT x FROM jsonb_array_elements_text(nat_j->'versions') WITH ORDINALITY AS u(x, i) ORDER BY i),
                     ARRAY(SELECT x FROM jsonb_array_elements_text(nat_j->'rows') WITH ORDINALITY AS u(x, i) ORDER BY i));
    -- the national rows tried after the insurer rows
    tried := tried || ARRAY(SELECT x FROM jsonb_array_elements_text(nat_j->'tried') WITH ORDINALITY AS u(x, i) ORDER BY i);
  END IF;
  SELECT string_agg(format('%s AS %I', CASE WHEN x.f = d.national_fact AND nat_expr IS NOT NULL THEN nat_expr
                                            ELSE mynahoken.rule_fact_sql(x.f, 'member') END, x.f), ', ' ORDER BY x.f)
    INTO fact_list
    FROM (SELECT DISTINCT u AS f FROM unnest(facts) AS u) x;
  RETURN format('SELECT %s, d.hit%s FROM %s%s CROSS JOIN LATERAL (SELECT %s OFFSET 0) AS f'
                ' CROSS JOIN LATERAL (SELECT CASE WHEN %s IS NULL THEN CAST(ROW(NULL, %s, %L, NULL, NULL) AS mynahoken.rule_hit) %s ELSE CAST(ROW(%s, %s, %L, NULL, ARRAY[%s]) AS mynahoken.rule_hit) END AS hit OFFSET 0) AS d',
                'CAST(m.member_key AS pg_catalog.text) AS member_key',
                format(', pg_catalog.to_jsonb(f) AS facts, pg_catalog.to_jsonb(pg_catalog.array_remove(CAST(ARRAY[%s] AS pg_catalog.jsonb[]), NULL)) AS tried',
                       array_to_string(tried, ', ')),
                source || ' AS m',
                CASE WHEN nat_j IS NOT NULL THEN format(' CROSS JOIN LATERAL (SELECT %s AS h OFFSET 0) AS nh', nat_j->>'hit') ELSE '' END,
                fact_list, nat, coalesce(nat_vr, 'NULL, NULL'), 'undecidable',
                array_to_string(whens, ' '),
                nat, coalesce(nat_vr, 'NULL, NULL'), 'national', nat);
END
$$;
COMMENT ON FUNCTION mynahoken.rule_compile_query(text, text, text, bigint, timestamptz) IS
  'Internal: the generated query of a decision over the active versions (with a candidate draft; with held_at, the versions active at that time, mynahoken.rule_versions_used): one CASE per member over the rows of the national table (national.certificate_need) with the insurer exceptions of each label tried at its first row, or the national fact numbered when the decision has no national table (modes member, facts), or every fact and cell for the explanations (mode trace, the national outcome by the national table), or per insurer row and first failing cell the members tried and decided in one pass (mode coverage; NULL beyond 1,000 insurer rows), or the national table alone (mode national: the hit number as an expression over the member row m, the outcome, version and row of each number and each row''s entry of the explanations'' rows tried, as jsonb; NULL without a national table); a date decision''s by mynahoken.rule_compile_date_query, a set of outcomes'' by mynahoken.rule_compile_collect_query; every name qualified, literals through format %L';

-- Compile a decision into mynahoken.rule_eval_<decision>(as_of, known_on)
-- over the registered member source (an inlinable SQL function) and the
-- scalar twin mynahoken.rule_decide_<decision>(as_of, known_on, facts).
-- Refuses when the planner does not inline the set-returning function, or
-- when its plan runs a subquery per member (SubPlan).
CREATE FUNCTION mynahoken.rule_compile(decision text)
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
      -- an InitPlan runs once per statement; a SubPlan once per member
      IF plan LIKE '%SubPlan%' THEN
        PERFORM mynahoken.raise_error('55000', 'the compiled decision runs a subquery for every member',
          detail => 'The plan of the compiled decision has a SubPlan: a query executed per member row instead of once per statement.',
          hint => 'A member source that reads a column through a subquery per row is the usual cause: write it as a join.');
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
  'Compile a decision from its active rule versions: mynahoken.rule_eval_<decision>(as_of, known_on) over the registered member source (inlinable LANGUAGE sql, refused (55000) if not inlined or if its plan has a SubPlan, a subquery per member) and the scalar twin mynahoken.rule_decide_<decision>(as_of, known_on, facts jsonb)';

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
  h record;
BEGIN
  -- no test: no query to generate (every test of the table runs below)
  IF NOT EXISTS (SELECT FROM mynahoken.rule_test x WHERE x.table_name = rule_run_tests.table_name) THEN
    RETURN;
  END IF;
  -- the outcome, or a date decision's date as ISO text
  SELECT format('SELECT %s AS outcome, (x.hit).version_id, (x.hit).row_no FROM (%s) AS x',
                CASE d.output_type WHEN 'date' THEN 'pg_catalog.to_char((x.hit).value, ''YYYY-MM-DD'')'
                                   WHEN 'outcome[]' THEN 'CAST((x.hit).outcomes AS pg_catalog.text)' ELSE '(x.hit).outcome' END,
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
  'Run the stored test cases of a rule table through the generated decision (with a candidate draft version when given): expected and actual outcome (a date as ISO text, a set of outcomes as a text array), the version and row that decided';

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
  v_scopes text[];
  dry_day date;
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
  -- the scopes a parameter needs a value for: each insurer number of
  -- applies_to, and the category when applies_to has anything else
  v_scopes := ARRAY(SELECT jsonb_array_elements_text(CASE WHEN left(x.s, 1) = '{' THEN x.s::jsonb->'insurers' ELSE '[]' END)
                      FROM (SELECT mynahoken.rule_param_scope(t.applies_to) AS s) x);
  IF cardinality(v_scopes) < cardinality(t.applies_to) OR t.applies_to IS NULL OR cardinality(v_scopes) = 0 THEN
    v_scopes := v_scopes || v_scope;
  END IF;
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
  -- document_plan: every outcome is a document kind, printed under its print name
  FOR r IN SELECT rr.row_no, rr.outcome FROM mynahoken.rule_row rr
            WHERE rr.version_id = v.version_id AND t.decision = 'document_plan'
              AND NOT EXISTS (SELECT FROM mynahoken.document_kind k WHERE k.code = rr.outcome)
            ORDER BY rr.row_no LOOP
    severity := 'error'; check_name := 'reference'; rows := ARRAY[r.row_no];
    detail := format('row %s: "%s" is not a document kind (mynahoken.document_kind)', r.row_no, r.outcome);
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
        -- validated by PostgreSQL's parser and the catalog; never proven
        severity := 'info'; check_name := 'opaque'; rows := ARRAY[r.row_no];
        detail := format('row %s, column "%s": sql: cell, excluded from the overlap, gap and masking checks', r.row_no, v.columns[r.i]);
        BEGIN
          PERFORM mynahoken.rule_sql_cell_facts(j->>'sql',
                    ARRAY['day'] || ARRAY(SELECT f.fact FROM mynahoken.rule_fact f WHERE f.fact <> 'day' ORDER BY f.fact),
                    ARRAY['date'] || ARRAY(SELECT f.fact_type FROM mynahoken.rule_fact f WHERE f.fact <> 'day' ORDER BY f.fact));
        EXCEPTION WHEN OTHERS THEN
          -- the messages of rule_sql_cell_facts never quote the cell
          severity := 'error'; check_name := 'cell';
          detail := format('row %s, column "%s": invalid sql: cell: %s', r.row_no, v.columns[r.i], SQLERRM);
          errors := errors + 1;
        END;
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

  -- 3. Parameters: a value on every day a row reading one can apply, for
  -- the scope the row reads it for, as rule_compile_query does: a national
  -- row's one category cell, else the table's scope.  A row whose decision
  -- day cell is one comparison with a date or a parameter applies only on
  -- the days it admits (the 後期 age row from late_elderly_age_rule_from):
  -- the other parameters of the row need a value on those days only.
  FOR c IN
    WITH rs AS (
      -- per insurer number of the table's scope, the values that insurer
      -- reads (its own, its category's, every category's); for its
      -- prefixes and categories (or no insurer number), the category's
      SELECT rr.row_no, rr.cells, sc.scope,
             CASE WHEN sc.scope ~ '^[0-9]+$' THEN CAST(mynahoken.category(mynahoken.insurer_number(sc.scope)) AS text)
                  ELSE sc.scope END AS category
        FROM mynahoken.rule_row rr
       CROSS JOIN LATERAL unnest(
             CASE WHEN t.layer = 'national' AND btrim(rr.cells[array_position(v.columns, 'category')]) ~ '^[a-z_]+$'
                   AND btrim(rr.cells[array_position(v.columns, 'category')]) <> 'null'
                  THEN ARRAY[btrim(rr.cells[array_position(v.columns, 'category')])]
                  ELSE v_scopes END) AS sc(scope)
       WHERE rr.version_id = v.version_id
    ), pc AS (
      SELECT rs.row_no, rs.scope, rs.category, f.kind = 'derived' AND f.expression = '{day}' AS on_day, x.j
        FROM rs CROSS JOIN LATERAL unnest(rs.cells) WITH ORDINALITY AS u(cell, i)
        JOIN mynahoken.rule_fact f ON f.fact = v.columns[u.i]
        -- parsed once the cell has its fact (OFFSET 0: never as a qual before the join's)
        CROSS JOIN LATERAL (SELECT CASE WHEN mynahoken.rule_cell_problem(u.cell, f.fact_type, f.enum_values) IS NULL
                                        THEN mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values) END AS j
                             OFFSET 0) AS x
       WHERE x.j IS NOT NULL
    ), gate AS (
      -- the days each decision day cell of one comparison admits
      SELECT pc.row_no, pc.j,
             (SELECT coalesce(range_agg(x.valid * CASE pc.j->'items'->0->>'op'
                                 WHEN '>=' THEN daterange(x.d, NULL, '[)') WHEN '>' THEN daterange(x.d, NULL, '()')
                                 WHEN '<=' THEN daterange(NULL, x.d, '(]') WHEN '<' THEN daterange(NULL, x.d, '()')
                                 ELSE daterange(x.d, x.d, '[]') END), '{}')
                FROM (SELECT '(,)'::daterange AS valid, (pc.j->'items'->0->'value'->>'date')::date AS d
                       WHERE pc.j->'items'->0->'value' ? 'date'
                      UNION ALL
                      SELECT e.valid, e.value_date FROM mynahoken.legal_parameter_entry e
                       WHERE e.name = pc.j->'items'->0->'value'->>'param'
                         AND (e.scope IS NULL OR (e.scope::text = pc.category AND (e.insurer IS NULL OR e.insurer::text = pc.scope)))) AS x) AS admits
        FROM pc
       WHERE pc.on_day AND NOT (pc.j->>'negated')::boolean AND jsonb_array_length(pc.j->'items') = 1
         AND pc.j->'items'->0->>'op' IN ('>=', '>', '<=', '<', '=')
         AND (pc.j->'items'->0->'value' ? 'date' OR pc.j->'items'->0->'value' ? 'param')
    ), need AS (
      -- each parameter a row reads, the scope and the days it needs a value
      SELECT pc.row_no, p.name, pc.scope, pc.category,
             datemultirange(v.valid) * coalesce((SELECT range_intersect_agg(g.admits) FROM gate g
                                                  WHERE g.row_no = pc.row_no AND g.j IS DISTINCT FROM pc.j), datemultirange(v.valid)) AS days
        FROM pc CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(pc.j->'params', '[]')) AS p(name)
       WHERE EXISTS (SELECT FROM mynahoken.legal_parameter_def pd WHERE pd.name = p.name)
    ), miss AS (
      SELECT n.row_no, n.name, n.scope,
             n.days - coalesce((SELECT range_agg(e.valid) FROM mynahoken.legal_parameter_entry e
                                 WHERE e.name = n.name
                                   AND (e.scope IS NULL OR (e.scope::text = n.category AND (e.insurer IS NULL OR e.insurer::text = n.scope)))), '{}') AS missing
        FROM need n
    )
    SELECT m.name, m.scope, array_agg(DISTINCT m.row_no ORDER BY m.row_no) AS row_nos, range_agg(m.missing) AS missing
      FROM miss m WHERE NOT isempty(m.missing)
     GROUP BY m.name, m.scope ORDER BY m.name, m.scope
  LOOP
    severity := 'error'; check_name := 'parameter'; rows := c.row_nos;
    detail := format('parameter %s has no value for %s on %s', c.name, coalesce(c.scope, 'every category'), c.missing);
    errors := errors + 1;
    RETURN NEXT;
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
    WHEN d.output_type NOT IN ('outcome', 'date', 'outcome[]') THEN
      format('decision %s (output %s) is not compiled in this version', t.decision, d.output_type)
    WHEN d.output_type = 'outcome[]' AND t.hit_policy NOT IN ('collect', 'rule_order') THEN
      format('hit policy %s does not fit decision %s: its output is a set of outcomes (use collect or rule_order)', t.hit_policy, t.decision)
    WHEN d.output_type = 'outcome[]' AND t.aggregation <> 'list' THEN
      format('aggregation %s does not fit decision %s: the rows give outcomes, which collect as a list', t.aggregation, t.decision)
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
    -- a fact's NULL is in the space when it means none, or when a row
    -- tests it (the national rows that report an unknown fact undecidable)
    SELECT array_agg(f.fact_type ORDER BY u.i),
           array_agg(f.null_means = 'none'
                     OR EXISTS (SELECT FROM mynahoken.rule_row rr
                                 WHERE rr.version_id = v.version_id AND btrim(rr.cells[u.i]) = 'null') ORDER BY u.i),
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

  -- 7. The dry run over the member population (decisions compiled over a
  -- member source): members per outcome before -> after, as
  -- mynahoken.rule_diff counts them, the changes first, on the first day of
  -- the valid time from today (its last day when it ended before).
  IF errors = 0 AND EXISTS (SELECT FROM mynahoken.rule_compiled x WHERE x.decision = t.decision AND x.source_relation IS NOT NULL) THEN
    dry_day := greatest(current_date, lower(v.valid));
    IF upper(v.valid) <= dry_day THEN
      dry_day := upper(v.valid) - 1;
    END IF;
    severity := 'info'; check_name := 'dry_run'; rows := NULL;
    BEGIN
      SELECT format('on %s: %s', dry_day,
                    coalesce(string_agg(format('%s -> %s: %s', coalesce(x.before, 'none'), coalesce(x.after, 'none'), x.members), ', ' ORDER BY x.n)
                               FILTER (WHERE x.n <= 20), 'no members')
                    || CASE WHEN count(*) > 20 THEN format(', and %s more', count(*) - 20) ELSE '' END)
        INTO detail
        FROM mynahoken.rule_diff(v.version_id, dry_day) WITH ORDINALITY AS x(before, after, members, changed, n);
    EXCEPTION WHEN insufficient_privilege THEN
      -- PostgreSQL's message names the relation: not repeated
      detail := format('not run: the member source is not readable by %s', current_user);
    END;
    RETURN NEXT;
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_check(bigint) IS
  'Every check of a rule version, as rows (severity error/warning/info, check, rows, detail with witness): references, cells (an sql: cell validated by PostgreSQL''s parser and the catalog, reported opaque: info), parameters (a value on every day of the valid time a row reading one can apply, for each scope it is read for: a national row''s category cell, else each insurer number of the table with the calendar''s precedence and the table''s category), guard rails, overlaps, gaps, masked rows (n-dimensional), the table''s tests, and the dry run (info: members per outcome before -> after over the member source, as mynahoken.rule_diff counts them, when the decision is compiled over one)';

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
    PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('version %s is not a version of the rule table'), vid));
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

CREATE FUNCTION mynahoken.rule_explain(decision text, member_key text, as_of date, known_on date DEFAULT NULL,
                                       as_recorded_at timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- the catalog queries below with generic plans: a custom plan is made again
-- at each of a session's first five calls, more than half of their time
SET plan_cache_mode = force_generic_plan
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
  ent mynahoken.legal_parameter_entry;
  left_over datemultirange;
  pins text;
  pcat text;
  player text;
  nat_table text;
  nat_v bigint;
  nat_r int;
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
    IF e->>'layer' = 'national' THEN
      k := (e->'failing'->>0)::int;   -- a national row: its first failing cell, in column order
    ELSE
      SELECT min(i) INTO k FROM generate_series(1, jsonb_array_length(e->'cells')) AS i
       WHERE NOT (e->'cells'->>(i - 1))::boolean;
    END IF;
    rows_out := rows_out || jsonb_build_array(jsonb_build_object(
      'table_name', e->>'table_name', 'version_id', v.version_id, 'row_no', rr.row_no, 'outcome', rr.outcome,
      'matched', k IS NULL,
      'first_failing_cell', CASE WHEN k IS NOT NULL THEN jsonb_build_object(
         'column', v.columns[k], 'cell', rr.cells[k], 'value', coalesce(e->'failing'->1, facts->v.columns[k])) END)
      -- a date decision's row: its date for the member (the expression in outcome)
      || CASE WHEN e ? 'value' THEN jsonb_build_object('value', e->'value') ELSE '{}' END);
    -- collect and rule order try every row of the version that decided
    IF k IS NULL THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mynahoken.rule_table t WHERE t.table_name = e->>'table_name'
                               AND t.hit_policy IN ('collect', 'rule_order'));
      decided_by := v.version_id;
    END IF;
  END LOOP;
  -- the national rows tried: up to the national row that decided (the
  -- compiled decision's hit); under an insurer row, up to the last national
  -- row of the national outcome (the national hit is not computed apart)
  SELECT t.table_name INTO nat_table FROM mynahoken.rule_table t
   WHERE t.decision = rule_explain.decision AND t.layer = 'national' ORDER BY t.table_name LIMIT 1;
  IF nat_table IS NOT NULL THEN
    IF (SELECT d.output_type FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision) = 'outcome' THEN
      -- an outcome: the trace's national hit (no table) carries the
      -- national table's version and row (rule_version below)
      IF hit.table_name IS NULL THEN
        nat_v := hit.version_id;
        nat_r := hit.row_no;
      END IF;
    ELSE
      EXECUTE format('SELECT e.version_id, e.row_no FROM (%s) AS e WHERE e.member_key OPERATOR(pg_catalog.=) $3 AND e.table_name OPERATOR(pg_catalog.=) %L',
                     CASE WHEN as_recorded_at IS NULL
                          THEN format('SELECT * FROM %s($1, $2)', (SELECT c.eval_function FROM mynahoken.rule_compiled c WHERE c.decision = rule_explain.decision))
                          ELSE mynahoken.rule_member_query(decision, NULL, as_recorded_at) END, nat_table)
        INTO nat_v, nat_r USING as_of, known_on, member_key;
    END IF;
    IF nat_v IS NULL THEN
      SELECT y.version_id INTO nat_v FROM mynahoken.rule_versions_used(nat_table, NULL, as_recorded_at) AS y
       WHERE y.valid @> as_of AND (known_on IS NULL OR y.recorded_on <= known_on)
       ORDER BY y.recorded_on DESC, y.version_id DESC LIMIT 1;
      SELECT coalesce(max(r.row_no) FILTER (WHERE r.outcome = facts->>(SELECT d.national_fact FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision)),
                      max(r.row_no))
        INTO nat_r FROM mynahoken.rule_row r WHERE r.version_id = nat_v;
    END IF;
  END IF;
  -- the parameters the rows tried read (the insurer rows in scope, the
  -- national rows of the member's category), each as the compiled decision
  -- reads it: for the table's scope (mynahoken.rule_param_scope, the
  -- member's insurer number when it is one of the table's), as known on
  -- known_on and as held at as_recorded_at; with value, scope, insurer,
  -- valid and recorded ranges and source
  FOR pname, scope, player IN
    SELECT DISTINCT pn, mynahoken.rule_param_scope(t.applies_to, as_recorded_at), 'insurer'
      FROM jsonb_array_elements(tried) AS x
      JOIN mynahoken.rule_version y ON y.version_id = (x->>'version_id')::bigint
      JOIN mynahoken.rule_table t ON t.table_name = y.table_name
      JOIN mynahoken.rule_row r ON r.version_id = y.version_id AND r.row_no = (x->>'row_no')::int
      CROSS JOIN LATERAL unnest(r.cells) WITH ORDINALITY AS u(cell, i)
      JOIN mynahoken.rule_fact f ON f.fact = y.columns[u.i]
      CROSS JOIN LATERAL jsonb_array_elements_text(
        coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]')) AS pn
     WHERE (x->>'in_scope')::boolean AND x->>'layer' IS DISTINCT FROM 'national'
    UNION
    SELECT DISTINCT pn, mynahoken.rule_param_scope(coalesce(ARRAY[c.cat], t.applies_to), as_recorded_at), 'national'
      FROM mynahoken.rule_version y
      JOIN mynahoken.rule_table t ON t.table_name = y.table_name
      JOIN mynahoken.rule_row r ON r.version_id = y.version_id AND r.row_no <= nat_r
      CROSS JOIN LATERAL (SELECT btrim(r.cells[array_position(y.columns, 'category')]) AS cat
                           WHERE btrim(r.cells[array_position(y.columns, 'category')]) ~ '^[a-z_]+$'
                             AND btrim(r.cells[array_position(y.columns, 'category')]) <> 'null'
                          UNION ALL SELECT NULL LIMIT 1) AS c
      CROSS JOIN LATERAL unnest(r.cells) WITH ORDINALITY AS u(cell, i)
      JOIN mynahoken.rule_fact f ON f.fact = y.columns[u.i]
      CROSS JOIN LATERAL jsonb_array_elements_text(
        coalesce(mynahoken.rule_cell_parse(u.cell, f.fact_type, f.enum_values)->'params', '[]')) AS pn
     WHERE y.version_id = nat_v AND (c.cat IS NULL OR c.cat = facts->>'category')
     ORDER BY 3 DESC, 1
  LOOP
    pins := CASE WHEN left(scope, 1) = '{' AND scope::jsonb->'insurers' ? (facts->>'insurer_number')
                 THEN facts->>'insurer_number' END;
    pcat := CASE WHEN left(scope, 1) = '{' THEN scope::jsonb->>'category' ELSE scope END;
    IF pins IS NULL AND as_recorded_at IS NULL THEN
      p := mynahoken.legal_parameter_at(pname, as_of, pcat::mynahoken.insurer_category, known_on);
    ELSE
      -- the entry read, the part of its valid range that holds the day
      -- (later entries of its key take the rest), recorded until a later
      -- entry of its key took a day of that part
      ent := mynahoken.rule_param_entry(pname, as_of, pcat::mynahoken.insurer_category, pins::mynahoken.insurer_number,
                                        known_on, as_recorded_at);
      SELECT datemultirange(ent.valid) - coalesce(range_agg(l.valid), '{}'::datemultirange) INTO left_over
        FROM mynahoken.legal_parameter_entry l
        LEFT JOIN mynahoken.legal_change_set cs ON cs.change_set_id = l.change_set_id
       WHERE l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope
         AND (l.insurer IS NULL AND ent.insurer IS NULL OR l.insurer OPERATOR(mynahoken.=) ent.insurer)
         AND l.valid && ent.valid AND l.recorded_on > ent.recorded_on
         AND (known_on IS NULL OR l.recorded_on <= known_on)
         AND (as_recorded_at IS NULL OR l.change_set_id IS NULL OR cs.recorded_at <= as_recorded_at);
      SELECT ent.parameter_id, ent.name, ent.value_type, ent.scope,
             (SELECT x FROM unnest(left_over) AS x WHERE x @> as_of), NULL,
             ent.value_date, ent.value_int, ent.value_bool, ent.value_range, ent.value_text,
             ent.source_id, ent.confirmed, ent.note, ent.insurer, ent.recorded_on, ent.keep_own
        INTO p;
      SELECT daterange(ent.recorded_on, min(l.recorded_on)) INTO p.recorded
        FROM mynahoken.legal_parameter_entry l
        LEFT JOIN mynahoken.legal_change_set cs ON cs.change_set_id = l.change_set_id
       WHERE l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope
         AND (l.insurer IS NULL AND ent.insurer IS NULL OR l.insurer OPERATOR(mynahoken.=) ent.insurer)
         AND l.valid && p.valid AND l.recorded_on > ent.recorded_on
         AND (as_recorded_at IS NULL OR l.change_set_id IS NULL OR cs.recorded_at <= as_recorded_at);
    END IF;
    params := params || jsonb_build_array(jsonb_build_object(
      'name', p.name, 'value', coalesce(to_jsonb(p.value_int), to_jsonb(p.value_date), to_jsonb(p.value_bool),
                                        to_jsonb(p.value_range::text), to_jsonb(p.value_text)),
      'scope', p.scope, 'insurer', p.insurer, 'layer', player, 'valid', p.valid::text, 'recorded', p.recorded::text,
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
                        ELSE format('national %s: %s', decision, coalesce(facts->>(SELECT d.national_fact FROM mynahoken.rule_decision d WHERE d.decision = rule_explain.decision),
                                                                           CAST(hit.outcomes AS text), 'undecidable')) END,
    'rule_version', ver, 'rows_tried', rows_out, 'facts', facts, 'parameters', params)
    -- what the database held then (absent when the question is about now)
    || CASE WHEN as_recorded_at IS NOT NULL THEN jsonb_build_object('as_recorded_at', as_recorded_at) ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_explain(text, text, date, date, timestamptz) IS
  'Why a member gets a decision''s outcome (a date decision''s date) on as_of as known on known_on (NULL: now) and, with as_recorded_at, with the rule versions the database held active at that time, from the compiled predicates: outcome, layer chain, every row tried in order with its first failing cell and the member''s value (and a date row''s date), the facts read, the parameters with value, scope, valid and recorded ranges and source, and the rule version';

-- Coverage over the population: per row, the members it was tried for, the
-- members whose every cell held, the members it decided, and per column the
-- members whose first failing cell it was ("why not", set-based).
CREATE FUNCTION mynahoken.rule_coverage(decision text, as_of date, known_on date DEFAULT NULL)
RETURNS TABLE (table_name text, version_id bigint, row_no integer, outcome text,
               tried bigint, matched bigint, decided bigint, first_failing jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text;
  q text;
BEGIN
  SELECT c.source_relation INTO src FROM mynahoken.rule_compiled c
   WHERE c.decision = rule_coverage.decision AND c.eval_function IS NOT NULL;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('55000', 'the decision is not compiled over a member source',
      hint => 'Register the member source, then SELECT mynahoken.rule_compile(decision).');
  END IF;
  IF (SELECT d.output_type FROM mynahoken.rule_decision d WHERE d.decision = rule_coverage.decision) = 'outcome' THEN
    q := mynahoken.rule_compile_query(decision, 'coverage', src);
  END IF;
  IF q IS NOT NULL THEN
    -- an outcome decision: one pass over the member source with the
    -- decision's own predicates, counted per row and first failing cell
    RETURN QUERY EXECUTE format($q$
      SELECT c.table_name, c.version_id, c.row_no, r.outcome,
             coalesce(sum(c.n), 0)::bigint, coalesce(sum(c.n) FILTER (WHERE c.failing IS NULL), 0)::bigint,
             coalesce(sum(c.n_decided), 0)::bigint,
             coalesce(jsonb_object_agg(v.columns[c.failing], c.n) FILTER (WHERE c.failing IS NOT NULL), '{}')
        FROM (%s) AS c
        JOIN mynahoken.rule_version v ON v.version_id = c.version_id
        JOIN mynahoken.rule_row r ON r.version_id = c.version_id AND r.row_no = c.row_no
       GROUP BY c.table_name, c.version_id, c.row_no, r.outcome
       ORDER BY c.table_name, c.version_id, c.row_no
    $q$, q) USING as_of, known_on;
    RETURN;
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
       WHERE (e->>'in_scope')::boolean AND e->>'layer' IS DISTINCT FROM 'national'
    ), per_cell AS (
      SELECT p.table_name, p.version_id, p.row_no, p.failing, count(*) AS n,
             count(*) FILTER (WHERE p.decided) AS n_decided
        FROM per_member p GROUP BY 1, 2, 3, 4
    )
    SELECT c.table_name, c.version_id, c.row_no, r.outcome,
           coalesce(sum(c.n), 0)::bigint, coalesce(sum(c.n) FILTER (WHERE c.failing IS NULL), 0)::bigint,
           coalesce(sum(c.n_decided), 0)::bigint,
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
  'Coverage of a decision''s rows (outcome and date decisions) over the member source on a day: per row the members it was tried for, matched and decided (0, never NULL, when none), and per column the members whose first failing cell it was; computed by the compiled predicates';

-- A national change recorded under active insurer exceptions: the members
-- whose national outcome on a day differs as known on two knowledge days and
-- whom an insurer row decides on either.  effect: yields (the insurer row
-- decided before; the new national outcome is in the label the table
-- declared it yields to), national_takes_over (the same, not declared),
-- still_overrides (the insurer row decides both times: the national change
-- does not reach the member), now_overrides (the insurer row decides since).
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
-- Privileges: rules are readable by everyone; authors record drafts and
-- tests, approvers activate.  No superuser and no ownership needed.

GRANT SELECT ON mynahoken.rule_decision, mynahoken.rule_fact, mynahoken.rule_outcome, mynahoken.document_kind,
  mynahoken.rule_label, mynahoken.rule_table, mynahoken.rule_version, mynahoken.rule_row, mynahoken.rule_test,
  mynahoken.rule_compiled TO PUBLIC;
GRANT INSERT ON mynahoken.rule_fact, mynahoken.rule_outcome, mynahoken.document_kind, mynahoken.rule_table,
  mynahoken.rule_row, mynahoken.rule_test TO mynahoken_rule_author;
GRANT INSERT (table_name, valid, recorded_on, source, columns, note) ON mynahoken.rule_version TO mynahoken_rule_author;
GRANT UPDATE (cells, outcome, label, note, annotations), DELETE ON mynahoken.rule_row TO mynahoken_rule_author;
GRANT DELETE ON mynahoken.rule_version TO mynahoken_rule_author;
GRANT USAGE ON SEQUENCE mynahoken.rule_version_id_seq, mynahoken.rule_test_id_seq TO mynahoken_rule_author;
GRANT UPDATE (status) ON mynahoken.rule_version TO mynahoken_rule_approver;
REVOKE ALL ON FUNCTION mynahoken.rule_compile(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.rule_compile(text) TO mynahoken_rule_approver;
