-- Legal calendar (法令・事務連絡の日付) and transition-period decision functions.
--
-- The calendar is bitemporal: each value of a legal parameter has a valid
-- time (the decision days it applies to) and a recorded time (from when the
-- insurer knew it until a later notice superseded it).  The stored rows are
-- append-only (mynahoken.legal_parameter_entry): a row holds only the day it
-- became known; a later notice inserts a new row, and what it supersedes is
-- derived (view mynahoken.legal_parameter).  Shipped rows are never changed,
-- so that pg_dump, which dumps only the insurer's rows, restores exactly the
-- calendar the insurer had on top of the rows CREATE EXTENSION seeds.
--
-- The decision functions are C: a pure core (src/core/transition.c) over
-- explicit arguments, wrapped by STABLE functions (src/decision.c) that read
-- the calendar once per statement and cache it, so that a query over tens of
-- millions of members does not run a calendar query per row.

-- ---------------------------------------------------------------------------
-- Sources

CREATE TYPE mynahoken.legal_source_kind AS ENUM (
  'law',              -- 法律
  'ordinance',        -- 政令・省令
  'notice',           -- 通知・事務連絡 and ministry documents
  'insurer_decision', -- the insurer's own choice (within the law)
  'publication'       -- an insurer, municipal or press page reporting a rule whose primary text was not read
);
COMMENT ON TYPE mynahoken.legal_source_kind IS
  'Kind of document a legal parameter comes from (法律, 政令・省令, 通知・事務連絡, insurer decision, secondary publication)';

-- Ids of the shipped rows are below 1000000 (the seed below); the insurer's
-- own rows get ids from 1000000, so that a later version can ship more rows
-- without taking ids a restored dump already uses.
CREATE SEQUENCE mynahoken.legal_source_id_seq;
COMMENT ON SEQUENCE mynahoken.legal_source_id_seq IS
  'Ids of mynahoken.legal_source (shipped below 1000000, the insurer''s own from 1000000)';

CREATE TABLE mynahoken.legal_source (
  source_id  bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.legal_source_id_seq'),
  code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]*$'),  -- short handle, e.g. mhlw-2025-06-27
  kind       mynahoken.legal_source_kind NOT NULL,
  title      text NOT NULL CHECK (title <> ''),
  issuer     text NOT NULL CHECK (issuer <> ''),
  number     text,               -- 法令番号 or 文書番号, when it has one
  issued_on  date,                -- NULL only when the document carries no date we could read
  url        text,
  note       text,
  shipped    boolean NOT NULL DEFAULT true, -- false from the end of this script: the insurer's own
  CONSTRAINT legal_source_shipped_ids CHECK (shipped = (source_id < 1000000))
);
ALTER SEQUENCE mynahoken.legal_source_id_seq OWNED BY mynahoken.legal_source.source_id;
COMMENT ON TABLE mynahoken.legal_source IS
  'Documents (laws, ordinances, notices, insurer decisions, publications) that legal parameters cite';

-- ---------------------------------------------------------------------------
-- Parameter definitions: one row per parameter name, with its type and unit.

CREATE TYPE mynahoken.legal_value_type AS ENUM ('date', 'int', 'boolean', 'daterange', 'text');
COMMENT ON TYPE mynahoken.legal_value_type IS 'Type of the value of a legal parameter';

CREATE TABLE mynahoken.legal_parameter_def (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
  value_type  mynahoken.legal_value_type NOT NULL,
  unit        text NOT NULL,     -- 'day', 'months', 'days', 'years', 'flag', 'month of year', ...
  description text NOT NULL,
  shipped     boolean NOT NULL DEFAULT true,  -- false from the end of this script: the insurer's own
  UNIQUE (name, value_type)
);
COMMENT ON TABLE mynahoken.legal_parameter_def IS
  'Legal parameters the decision functions use: name, value type, unit and meaning';

-- A one-point range over text ("C" collation): two keys overlap exactly when
-- they are equal, which lets the exclusion constraint below compare
-- (name, scope) with && and avoids a dependency on btree_gist.
CREATE TYPE mynahoken.legal_key_range AS RANGE (subtype = text, collation = "C");
COMMENT ON TYPE mynahoken.legal_key_range IS
  'Range over text used as a one-point key in the exclusion constraint of mynahoken.legal_parameter';
COMMENT ON FUNCTION mynahoken.legal_key_range(text, text) IS 'Constructor of mynahoken.legal_key_range';
COMMENT ON FUNCTION mynahoken.legal_key_range(text, text, text) IS 'Constructor of mynahoken.legal_key_range';
COMMENT ON TYPE mynahoken.legal_key_multirange IS 'Multirange of mynahoken.legal_key_range (created with the range type)';
COMMENT ON FUNCTION mynahoken.legal_key_multirange() IS 'Constructor of mynahoken.legal_key_multirange';
COMMENT ON FUNCTION mynahoken.legal_key_multirange(mynahoken.legal_key_range) IS 'Constructor of mynahoken.legal_key_multirange';
COMMENT ON FUNCTION mynahoken.legal_key_multirange(mynahoken.legal_key_range[]) IS 'Constructor of mynahoken.legal_key_multirange';
COMMENT ON CAST (mynahoken.legal_key_range AS mynahoken.legal_key_multirange) IS 'Range to multirange';

-- IMMUTABLE although it casts an enum to text: the labels of
-- mynahoken.insurer_category are never renamed (they are part of the API).

-- Change sets: the entries recorded together, in one transaction, on one
-- knowledge day.  The system time (recorded_at, the transaction's start) and
-- the user are set here, never by the caller; the recording functions are
-- the only way for anyone but the extension's owner to write entries.  Every
-- row is the insurer's: shipped entries (and entries recorded before 0.2)
-- belong to no change set.
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

-- The key with the insurer (保険者番号) an entry is for, if any: entries for
-- one insurer and for its whole category are different keys.
CREATE FUNCTION mynahoken.legal_parameter_key(name text, scope mynahoken.insurer_category,
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
-- 0.1's key, of an entry for a whole scope: the same key with no insurer.
CREATE FUNCTION mynahoken.legal_parameter_key(name text, scope mynahoken.insurer_category)
RETURNS mynahoken.legal_key_range
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN mynahoken.legal_parameter_key(name, scope, NULL::mynahoken.insurer_number);
COMMENT ON FUNCTION mynahoken.legal_parameter_key(text, mynahoken.insurer_category) IS
  'Exclusion key of a legal parameter value: its name and scope (NULL scope = all insurer categories)';

CREATE SEQUENCE mynahoken.legal_parameter_id_seq;
COMMENT ON SEQUENCE mynahoken.legal_parameter_id_seq IS
  'Ids of mynahoken.legal_parameter_entry (shipped below 1000000, the insurer''s own from 1000000)';

-- Append-only: a row is what was recorded on one knowledge day.  It is never
-- updated; a later row of the same parameter and scope whose valid range
-- overlaps supersedes it on the days they share.
CREATE TABLE mynahoken.legal_parameter_entry (
  parameter_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.legal_parameter_id_seq'),
  name         text NOT NULL,
  value_type   mynahoken.legal_value_type NOT NULL,
  scope        mynahoken.insurer_category,   -- NULL: every category
  valid        daterange NOT NULL CHECK (NOT isempty(valid)),
  recorded_on  date NOT NULL CHECK (isfinite(recorded_on)),  -- first knowledge day
  value_date   date,
  value_int    int,
  value_bool   boolean,
  value_range  daterange,
  value_text   text,
  source_id    bigint NOT NULL REFERENCES mynahoken.legal_source,
  confirmed    boolean NOT NULL DEFAULT true, -- false: UNCONFIRMED, a documented choice
  note         text,
  shipped      boolean NOT NULL DEFAULT true, -- false from the end of this script: the insurer's own
  keep_own     boolean NOT NULL DEFAULT false, -- a scoped value that broader entries recorded later do not mask
  change_set_id bigint REFERENCES mynahoken.legal_change_set, -- NULL: shipped, or recorded before 0.2
  insurer      mynahoken.insurer_number,        -- NULL: every insurer of the scope
  CONSTRAINT legal_parameter_shipped_ids CHECK (shipped = (parameter_id < 1000000)),
  CONSTRAINT legal_parameter_keep_own_scoped CHECK (NOT keep_own OR scope IS NOT NULL),
  CONSTRAINT legal_parameter_insurer_in_scope
    CHECK (insurer IS NULL OR scope OPERATOR(pg_catalog.=) mynahoken.category(insurer)),
  FOREIGN KEY (name, value_type) REFERENCES mynahoken.legal_parameter_def (name, value_type),
  CONSTRAINT legal_parameter_one_value
    CHECK (num_nonnulls(value_date, value_int, value_bool, value_range, value_text) = 1),
  CONSTRAINT legal_parameter_value_of_type CHECK (CASE value_type
           WHEN 'date' THEN value_date IS NOT NULL
           WHEN 'int' THEN value_int IS NOT NULL
           WHEN 'boolean' THEN value_bool IS NOT NULL
           WHEN 'daterange' THEN value_range IS NOT NULL
           WHEN 'text' THEN value_text IS NOT NULL END),
  -- One value per parameter, scope, decision day and knowledge day: the rows
  -- recorded on one day never overlap, so "the latest row recorded by day K
  -- whose valid range holds day D" is one row.
  CONSTRAINT legal_parameter_no_overlap EXCLUDE USING gist (
    mynahoken.legal_parameter_key(name, scope, insurer) WITH &&,
    valid WITH &&,
    pg_catalog.daterange(recorded_on, recorded_on, '[]') WITH &&)
);
ALTER SEQUENCE mynahoken.legal_parameter_id_seq OWNED BY mynahoken.legal_parameter_entry.parameter_id;
COMMENT ON COLUMN mynahoken.legal_parameter_entry.insurer IS
  'The insurer (保険者番号) the value is for, within its category (scope); NULL: every insurer of the scope';
COMMENT ON COLUMN mynahoken.legal_parameter_entry.keep_own IS
  'True: this value of one category stays in force against values for every category recorded later (the insurer keeps its own); false: the most recently recorded covering value is in force';
COMMENT ON TABLE mynahoken.legal_parameter_entry IS
  'Values of legal parameters as recorded (append-only): valid time, day recorded, typed value, required source; read through mynahoken.legal_parameter';

-- Shipped rows are restored by CREATE EXTENSION, not by the dump: a change to
-- one would be lost silently.  Rows are added (superseding), never changed.
CREATE FUNCTION mynahoken.legal_calendar_guard()
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
COMMENT ON FUNCTION mynahoken.legal_calendar_guard() IS
  'Trigger: values of legal parameters are append-only, shipped calendar rows are read-only';

-- The values as the insurer knew them over time (bitemporal), derived from
-- the append-only rows: a row is in force, from its recording, on the days of
-- its valid range that no later row of the same parameter and scope covers.
-- Each part of a row that stays in force over a span of knowledge days is one
-- row here; its recorded range ends when a later row takes any of its days.
-- For any knowledge day and decision day there is at most one row per
-- parameter and scope (the constraint on legal_parameter_entry).
CREATE VIEW mynahoken.legal_parameter AS
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

-- ---------------------------------------------------------------------------
-- Reading the calendar

-- The stored entry in force for decision day "day", for the given insurer
-- category, as known on known_on (NULL: as known now).  No silent masking
-- (doc/decisions.md, "Which value is in force"): in each scope (the category,
-- every category) the candidate is the latest entry recorded by known_on
-- whose valid range holds the day, one by the exclusion constraint; of the
-- two, the one recorded later is in force, the category's own on the same
-- knowledge day or when it is marked keep_own.  The legal_value_* functions
-- read it directly: one query per call.
CREATE FUNCTION mynahoken.legal_entry_at(name text, day date,
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
COMMENT ON FUNCTION mynahoken.legal_entry_at(text, date, mynahoken.insurer_category, date) IS
  'Internal: stored entry in force for a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';

-- The entry in force for one insurer (保険者番号): of the latest covering
-- entry of each scope (every category, the insurer's category, the insurer),
-- the one recorded later, the narrower on the same knowledge day; an entry
-- marked keep_own keeps the broader scopes out.  A data centre (国保連) or a
-- database with several insurers reads each insurer's calendar so.
CREATE FUNCTION mynahoken.legal_entry_for_insurer(name text, day date, insurer mynahoken.insurer_number,
                                                  known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF name IS NULL OR day IS NULL OR insurer IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'legal parameter name, day and insurer must not be null');
  END IF;
  -- the rule engine's lookup, which also takes a category and a system time
  RETURN mynahoken.rule_param_entry(name, day, NULL, insurer, known_on, NULL);
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_for_insurer(text, date, mynahoken.insurer_number, date) IS
  'Entry in force for a legal parameter on a day for one insurer (its own, its category''s or every category''s), as known on a day (NULL: now); error P0002 when none';

-- The row of mynahoken.legal_parameter for decision day "day": the entry in
-- force with the part of its valid range that holds the day and the recorded
-- range of that part, computed for this entry only (the view costs more than
-- a call should).
CREATE FUNCTION mynahoken.legal_parameter_at(name text, day date,
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

CREATE FUNCTION mynahoken.legal_value_check_type(p mynahoken.legal_parameter_entry, want mynahoken.legal_value_type)
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
COMMENT ON FUNCTION mynahoken.legal_value_check_type(mynahoken.legal_parameter_entry, mynahoken.legal_value_type) IS
  'Internal: raise 42804 when a legal parameter is read as the wrong type';

CREATE FUNCTION mynahoken.legal_value_date(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS date LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'date')).value_date;
COMMENT ON FUNCTION mynahoken.legal_value_date(text, date, mynahoken.insurer_category, date) IS
  'Date value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_int(name text, day date,
                                          category mynahoken.insurer_category DEFAULT NULL,
                                          known_on date DEFAULT NULL)
RETURNS int LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'int')).value_int;
COMMENT ON FUNCTION mynahoken.legal_value_int(text, date, mynahoken.insurer_category, date) IS
  'Integer value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_bool(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'boolean')).value_bool;
COMMENT ON FUNCTION mynahoken.legal_value_bool(text, date, mynahoken.insurer_category, date) IS
  'Boolean value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_range(name text, day date,
                                            category mynahoken.insurer_category DEFAULT NULL,
                                            known_on date DEFAULT NULL)
RETURNS daterange LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'daterange')).value_range;
COMMENT ON FUNCTION mynahoken.legal_value_range(text, date, mynahoken.insurer_category, date) IS
  'Date-range value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_text(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
RETURN (mynahoken.legal_value_check_type(mynahoken.legal_entry_at(name, day, category, known_on), 'text')).value_text;
COMMENT ON FUNCTION mynahoken.legal_value_text(text, date, mynahoken.insurer_category, date) IS
  'Text value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

-- A date range as text in ISO dates whatever DateStyle says, e.g. [2024-12-02,).
CREATE FUNCTION mynahoken.daterange_iso(r daterange)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN pg_catalog.isempty(r) THEN 'empty'
            ELSE '[' OPERATOR(pg_catalog.||) coalesce(pg_catalog.to_char(pg_catalog.lower(r), 'YYYY-MM-DD'), '')
                 OPERATOR(pg_catalog.||) ','
                 OPERATOR(pg_catalog.||) coalesce(pg_catalog.to_char(pg_catalog.upper(r), 'YYYY-MM-DD'), '')
                 OPERATOR(pg_catalog.||) ')' END;
COMMENT ON FUNCTION mynahoken.daterange_iso(daterange) IS
  'A date range as text with ISO dates, independent of DateStyle';

-- The whole calendar with sources, for people.
CREATE VIEW mynahoken.legal_calendar AS
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

-- ---------------------------------------------------------------------------
-- Recording a new value: supersede, never overwrite.

-- What an entry does to the other entries of its parameter whose valid days
-- it shares, by the rule of legal_entry_at and legal_entry_for_insurer: in
-- the same scope the later recorded supersedes; across scopes (every
-- category, a category, an insurer of it) the later recorded masks the other
-- on the shared days, the narrower one when recorded on the same day or
-- marked keep_own.
CREATE FUNCTION mynahoken.legal_entry_relations(parameter_id bigint)
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

CREATE FUNCTION mynahoken.legal_record_entry(change_set_id bigint,
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
  amount int;
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
  -- A number of days, months or years is zero or more, a month of the year
  -- 1 to 12: a value such as -5 lead days would be recorded for good (a
  -- correction on the same knowledge day is refused below).
  IF def.value_type = 'int' AND def.unit IN ('day', 'days', 'months', 'years', 'month of year') THEN
    BEGIN
      amount := value::int;
    EXCEPTION WHEN data_exception THEN
      amount := NULL;             -- not a number: refused with 22P02 below
    END;
    IF amount < 0 OR (def.unit = 'month of year' AND (amount < 1 OR amount > 12)) THEN
      PERFORM mynahoken.raise_error('22003',
        pg_catalog.format(mynahoken.gettext('value of legal parameter "%s" is out of range for its unit (%s)'), name, def.unit),
        detail => 'A number of days, months or years is zero or more; a month of the year is 1 to 12.');
    END IF;
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
COMMENT ON FUNCTION mynahoken.legal_record_entry(bigint, date, text, mynahoken.insurer_category, daterange, text, bigint, boolean, text, boolean, mynahoken.insurer_number) IS
  'Internal: append one entry of a change set (NULL: shipped) after the checks; a NOTICE lists what it supersedes and masks';
REVOKE ALL ON FUNCTION mynahoken.legal_record_entry(bigint, date, text, mynahoken.insurer_category, daterange, text, bigint, boolean, text, boolean, mynahoken.insurer_number) FROM PUBLIC;

-- A new change set for entries known from recorded_on.  The recording day is
-- the day in Japan of the transaction's start; a knowledge day more than 31
-- days before it needs a reason (a correction, a late entry), and
-- legal_change_sets lists it; a knowledge day after it is refused.
CREATE FUNCTION mynahoken.legal_change_set_open(recorded_on date, reason text, note text)
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
COMMENT ON FUNCTION mynahoken.legal_change_set_open(date, text, text) IS
  'Internal: open a change set known from a day (a reason is required more than 31 days back; a later day is refused)';
REVOKE ALL ON FUNCTION mynahoken.legal_change_set_open(date, text, text) FROM PUBLIC;

-- SECURITY DEFINER: mynahoken_calendar_author records entries without any
-- privilege on the tables; shipped rows stay read-only (trigger) and the
-- system time is the database's.
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

-- Several entries that take effect together: one change set, one knowledge
-- day, one transaction, so no knowledge day and no system time sees some of
-- them without the others.  entries: a JSON array of objects with name,
-- scope (absent or null: every category), valid, value, source (a code) or
-- source_id, and optionally insurer (a 保険者番号 within the scope), confirmed,
-- note, keep_own.
CREATE FUNCTION mynahoken.record_legal_change_set(recorded_on date, entries jsonb,
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
COMMENT ON FUNCTION mynahoken.record_legal_change_set(date, jsonb, text, text) IS
  'Record several entries that take effect together (one change set, one knowledge day); returns the change set id';

-- The entry in force as the database held the calendar at a time (audit):
-- the rule of legal_entry_at over the entries of change sets recorded by
-- then, the shipped entries and those recorded before 0.2 (no change set).
CREATE FUNCTION mynahoken.legal_entry_held_at(name text, day date,
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
COMMENT ON FUNCTION mynahoken.legal_entry_held_at(text, date, mynahoken.insurer_category, timestamptz, date) IS
  'Audit: entry in force for a legal parameter on a day, for a category, as the database held the calendar at a time (and as known on a day, NULL: as then known)';

-- Change sets with their entries, for people; backdated ones (a knowledge
-- day more than 31 days before the recording day in Japan) are marked.
CREATE VIEW mynahoken.legal_change_sets AS
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

-- ---------------------------------------------------------------------------
-- Decision functions.  STABLE: they read the calendar (once per statement,
-- cached in C).  NULL category, day or acquired_on gives NULL; other NULLs
-- mean "none" as documented per argument in doc/decisions.md.  known_on NULL
-- means "as currently known".

CREATE TYPE mynahoken.document AS ENUM (
  'myna_hokensho',            -- マイナ保険証 at an institution with オンライン資格確認
  'myna_with_notice',         -- マイナ保険証 + 資格情報のお知らせ, where the online check is not possible
  'myna_with_portal_screen',  -- マイナ保険証 + マイナポータル screen (smartphone), same condition
  'myna_with_portal_pdf',     -- マイナ保険証 + マイナポータル PDF, same condition
  'legacy_card',              -- 健康保険証, legally valid (経過措置)
  'certificate',              -- 資格確認書
  'expired_legacy_card',      -- 健康保険証 no longer valid, accepted under the 暫定的な取扱い
  'notice_alone'              -- 資格情報のお知らせ alone, accepted under the 暫定的な取扱い
);
COMMENT ON TYPE mynahoken.document IS
  'Documents a member can show at a medical institution (受診時に提示する書類)';

CREATE TYPE mynahoken.certificate_reason AS ENUM (
  'not_eligible',             -- no 資格 on the day: no document at all
  'late_elderly_blanket',     -- 後期高齢者 暫定運用: everyone gets one
  'late_elderly_age',         -- 後期高齢者 aged 85+ rule (UNCONFIRMED)
  'no_my_number',             -- the insurer holds no My Number for the member
  'not_registered',           -- マイナンバーカード not registered for insurance use
  'registration_withdrawn',   -- 利用登録解除
  'ecert_expired',            -- e-certificate expired, grace period over
  'on_request',               -- applied for one (申請, 要配慮者)
  'not_needed'                -- マイナ保険証 usable, no other ground
);
COMMENT ON TYPE mynahoken.certificate_reason IS
  'Why a member needs a 資格確認書 on a day (職権交付 grounds, blanket issuance, application), or not_needed / not_eligible';

CREATE FUNCTION mynahoken.certificate_needed(reason mynahoken.certificate_reason)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE   -- not STRICT, so that it is inlined
RETURN reason OPERATOR(pg_catalog.<>) 'not_needed' AND reason OPERATOR(pg_catalog.<>) 'not_eligible';
COMMENT ON FUNCTION mynahoken.certificate_needed(mynahoken.certificate_reason) IS
  'True when the reason returned by certificate_need means a 資格確認書 is needed';

-- The contradictions the decision functions refuse, as a value, so that a
-- bulk query can list or leave out the rows an error would stop on.
CREATE FUNCTION mynahoken.member_facts_conflict(birth_date date, acquired_on date, lost_on date,
                                                card_issued_on date, card_expires_on date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN lost_on OPERATOR(pg_catalog.<) acquired_on THEN 'lost_before_acquired'
            WHEN card_expires_on OPERATOR(pg_catalog.<) card_issued_on THEN 'card_expires_before_issued'
            WHEN acquired_on OPERATOR(pg_catalog.<) birth_date THEN 'acquired_before_birth' END;
COMMENT ON FUNCTION mynahoken.member_facts_conflict(date, date, date, date, date) IS
  'Which contradiction in a member''s facts the decision functions would refuse (lost_before_acquired, card_expires_before_issued, acquired_before_birth), or NULL';

CREATE FUNCTION mynahoken.legacy_card_usable_until(category mynahoken.insurer_category,
                                                   issued_on date, expires_on date, lost_on date,
                                                   known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_usable_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_usable_until(mynahoken.insurer_category, date, date, date, date) IS
  'Last day a 健康保険証 is legally valid: min(its expiry, end of the 経過措置, day before 資格喪失日); NULL when never';

CREATE FUNCTION mynahoken.legacy_card_valid(category mynahoken.insurer_category, day date,
                                            acquired_on date, lost_on date,
                                            issued_on date, expires_on date,
                                            known_on date DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_valid'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_valid(mynahoken.insurer_category, date, date, date, date, date, date) IS
  'Whether a 健康保険証 is legally valid on a day (its expiry, 経過措置 end, eligibility)';

CREATE FUNCTION mynahoken.legacy_card_accepted(category mynahoken.insurer_category, day date,
                                               acquired_on date, lost_on date,
                                               issued_on date, expires_on date,
                                               known_on date DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_accepted'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_accepted(mynahoken.insurer_category, date, date, date, date, date, date) IS
  'Whether an institution confirming eligibility online may accept the 健康保険証 on a day: legally valid, or under the 暫定的な取扱い';

CREATE FUNCTION mynahoken.myna_usable_until(category mynahoken.insurer_category,
                                            ecert_expires_on date,
                                            known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_myna_usable_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.myna_usable_until(mynahoken.insurer_category, date, date) IS
  'Last day the マイナ保険証 works after its e-certificate expires: end of the month ecert_grace_months after the month of expiry';

CREATE FUNCTION mynahoken.usable_documents(category mynahoken.insurer_category, day date,
                                           acquired_on date, lost_on date,
                                           card_issued_on date, card_expires_on date,
                                           my_number_linked boolean,
                                           myna_registered_on date, myna_withdrawn_on date,
                                           ecert_expires_on date,
                                           certificate_valid_until date,
                                           online_check boolean DEFAULT true,
                                           known_on date DEFAULT NULL)
RETURNS mynahoken.document[]
AS 'MODULE_PATHNAME', 'mynahoken_usable_documents'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.usable_documents(mynahoken.insurer_category, date, date, date, date, date, boolean, date, date, date, date, boolean, date) IS
  'Documents a member can legally use on a day at an institution with or without online check (seed chart)';

CREATE FUNCTION mynahoken.accepted_documents(category mynahoken.insurer_category, day date,
                                             acquired_on date, lost_on date,
                                             card_issued_on date, card_expires_on date,
                                             my_number_linked boolean,
                                             myna_registered_on date, myna_withdrawn_on date,
                                             ecert_expires_on date,
                                             certificate_valid_until date,
                                             online_check boolean DEFAULT true,
                                             known_on date DEFAULT NULL)
RETURNS mynahoken.document[]
AS 'MODULE_PATHNAME', 'mynahoken_accepted_documents'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.accepted_documents(mynahoken.insurer_category, date, date, date, date, date, boolean, date, date, date, date, boolean, date) IS
  'Documents an institution may accept on a day: the usable ones plus those of the temporary measures (暫定的な取扱い)';

CREATE FUNCTION mynahoken.certificate_need(category mynahoken.insurer_category, day date,
                                           birth_date date, acquired_on date, lost_on date,
                                           my_number_linked boolean,
                                           myna_registered_on date, myna_withdrawn_on date,
                                           ecert_expires_on date,
                                           certificate_requested_on date,
                                           known_on date DEFAULT NULL)
RETURNS mynahoken.certificate_reason
AS 'MODULE_PATHNAME', 'mynahoken_certificate_need'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_need(mynahoken.insurer_category, date, date, date, date, boolean, date, date, date, date, date) IS
  'Whether a member needs a 資格確認書 on a day, as a reason code (not_needed / not_eligible when not)';

CREATE FUNCTION mynahoken.certificate_valid_until(category mynahoken.insurer_category, issued_on date,
                                                  known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_certificate_valid_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_valid_until(mynahoken.insurer_category, date, date) IS
  'Last valid day of a 資格確認書 issued on a day: the insurer''s term and renewal month, capped at the legal maximum';

CREATE FUNCTION mynahoken.acquisition_report_due(category mynahoken.insurer_category, acquired_on date,
                                                 known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_acquisition_report_due'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.acquisition_report_due(mynahoken.insurer_category, date, date) IS
  'Last day of the period to file the 資格取得届 (acquisition_report_days per category: 5 under 健康保険法施行規則 第24条, 14 for 国保 and 後期; the counting rule is a parameter); acquisition_report_deadline applies the closed-day rollover';

CREATE FUNCTION mynahoken.notice_sending_window(category mynahoken.insurer_category, acquired_on date,
                                                known_on date DEFAULT NULL)
RETURNS daterange
AS 'MODULE_PATHNAME', 'mynahoken_notice_sending_window'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.notice_sending_window(mynahoken.insurer_category, date, date) IS
  'Days in which the 資格情報のお知らせ is (was) sent to a member acquired on a day';

-- The same decisions as IMMUTABLE functions over explicit parameters: the
-- parameters of one category and day in a mynahoken.transition_rules value
-- (made by mynahoken.transition_rules(category, day, known_on), or by hand).
-- Pure functions of their arguments, so they can be pushed down (Citus) and
-- used in indexes; the caller passes the rules of the right category and day.

CREATE TYPE mynahoken.transition_rules AS (
  category                            mynahoken.insurer_category,
  day                                 date,
  card_issue_end                      date,
  card_transition_end                 date,
  expired_card_acceptance             daterange,
  ecert_grace_months                  int,
  notice_with_myna_from               date,
  portal_screen_with_myna_from        date,
  portal_pdf_with_myna_from           date,
  certificate_from                    date,
  certificate_max_months              int,
  certificate_term_months             int,
  certificate_renewal_month           int,
  late_elderly_blanket_until          date,
  late_elderly_age_rule_from          date,
  late_elderly_age_threshold          int,
  acquisition_report_days             int,
  acquisition_report_first_day_counts boolean,
  notice_round1_window                daterange,
  notice_round2_window                daterange,
  notice_round2_acquired              daterange,
  notice_on_acquisition_from          date,
  notice_on_acquisition_days          int
);
COMMENT ON TYPE mynahoken.transition_rules IS
  'The legal parameters of one insurer category on one day (NULL: no value), for the IMMUTABLE *_by_rules decisions';

CREATE FUNCTION mynahoken.transition_rules(category mynahoken.insurer_category, day date,
                                           known_on date DEFAULT NULL)
RETURNS mynahoken.transition_rules
AS 'MODULE_PATHNAME', 'mynahoken_transition_rules'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.transition_rules(mynahoken.insurer_category, date, date) IS
  'The legal parameters of a category on a day as known on a day (NULL: now), read from the calendar';

-- The parameters of one insurer (its own values, else its category's, else
-- every category's, by the rule of legal_entry_for_insurer), for the
-- *_by_rules decisions of a data centre or a database with several insurers.
CREATE FUNCTION mynahoken.transition_rules_for_insurer(insurer mynahoken.insurer_number, day date,
                                                       known_on date DEFAULT NULL)
RETURNS mynahoken.transition_rules
AS 'MODULE_PATHNAME', 'mynahoken_transition_rules_for_insurer'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.transition_rules_for_insurer(mynahoken.insurer_number, date, date) IS
  'The legal parameters of one insurer (保険者番号) on a day as known on a day (NULL: now): its own, else its category''s, else every category''s';

CREATE FUNCTION mynahoken.legacy_card_usable_until_by_rules(rules mynahoken.transition_rules,
                                                            issued_on date, expires_on date, lost_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_usable_until_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules, date, date, date) IS
  'legacy_card_usable_until over explicit parameters';

CREATE FUNCTION mynahoken.legacy_card_valid_by_rules(rules mynahoken.transition_rules, day date,
                                                     acquired_on date, lost_on date,
                                                     issued_on date, expires_on date)
RETURNS boolean AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_valid_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_valid_by_rules(mynahoken.transition_rules, date, date, date, date, date) IS
  'legacy_card_valid over explicit parameters';

CREATE FUNCTION mynahoken.legacy_card_accepted_by_rules(rules mynahoken.transition_rules, day date,
                                                        acquired_on date, lost_on date,
                                                        issued_on date, expires_on date)
RETURNS boolean AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_accepted_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_accepted_by_rules(mynahoken.transition_rules, date, date, date, date, date) IS
  'legacy_card_accepted over explicit parameters';

CREATE FUNCTION mynahoken.myna_usable_until_by_rules(rules mynahoken.transition_rules, ecert_expires_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_myna_usable_until_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.myna_usable_until_by_rules(mynahoken.transition_rules, date) IS
  'myna_usable_until over explicit parameters';

CREATE FUNCTION mynahoken.usable_documents_by_rules(rules mynahoken.transition_rules, day date,
                                                    acquired_on date, lost_on date,
                                                    card_issued_on date, card_expires_on date,
                                                    my_number_linked boolean,
                                                    myna_registered_on date, myna_withdrawn_on date,
                                                    ecert_expires_on date,
                                                    certificate_valid_until date,
                                                    online_check boolean DEFAULT true)
RETURNS mynahoken.document[] AS 'MODULE_PATHNAME', 'mynahoken_usable_documents_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.usable_documents_by_rules(mynahoken.transition_rules, date, date, date, date, date, boolean, date, date, date, date, boolean) IS
  'usable_documents over explicit parameters';

CREATE FUNCTION mynahoken.accepted_documents_by_rules(rules mynahoken.transition_rules, day date,
                                                      acquired_on date, lost_on date,
                                                      card_issued_on date, card_expires_on date,
                                                      my_number_linked boolean,
                                                      myna_registered_on date, myna_withdrawn_on date,
                                                      ecert_expires_on date,
                                                      certificate_valid_until date,
                                                      online_check boolean DEFAULT true)
RETURNS mynahoken.document[] AS 'MODULE_PATHNAME', 'mynahoken_accepted_documents_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.accepted_documents_by_rules(mynahoken.transition_rules, date, date, date, date, date, boolean, date, date, date, date, boolean) IS
  'accepted_documents over explicit parameters';

CREATE FUNCTION mynahoken.certificate_need_by_rules(rules mynahoken.transition_rules, day date,
                                                    birth_date date, acquired_on date, lost_on date,
                                                    my_number_linked boolean,
                                                    myna_registered_on date, myna_withdrawn_on date,
                                                    ecert_expires_on date,
                                                    certificate_requested_on date)
RETURNS mynahoken.certificate_reason AS 'MODULE_PATHNAME', 'mynahoken_certificate_need_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_need_by_rules(mynahoken.transition_rules, date, date, date, date, boolean, date, date, date, date) IS
  'certificate_need over explicit parameters';

CREATE FUNCTION mynahoken.certificate_valid_until_by_rules(rules mynahoken.transition_rules, issued_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_certificate_valid_until_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules, date) IS
  'certificate_valid_until over explicit parameters';

CREATE FUNCTION mynahoken.acquisition_report_due_by_rules(rules mynahoken.transition_rules, acquired_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_acquisition_report_due_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.acquisition_report_due_by_rules(mynahoken.transition_rules, date) IS
  'acquisition_report_due over explicit parameters';

CREATE FUNCTION mynahoken.notice_sending_window_by_rules(rules mynahoken.transition_rules, acquired_on date)
RETURNS daterange AS 'MODULE_PATHNAME', 'mynahoken_notice_sending_window_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.notice_sending_window_by_rules(mynahoken.transition_rules, date) IS
  'notice_sending_window over explicit parameters';

-- Explanations: the same arguments as the decision; a jsonb with the
-- decision, its result, the rules applied (with a sentence each), the inputs
-- that mattered, and the parameters used with their sources.

CREATE FUNCTION mynahoken.explain_legacy_card(category mynahoken.insurer_category, day date,
                                              acquired_on date, lost_on date,
                                              issued_on date, expires_on date,
                                              known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_legacy_card'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_legacy_card(mynahoken.insurer_category, date, date, date, date, date, date) IS
  'Explanation of legacy_card_valid, legacy_card_accepted and legacy_card_usable_until: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_documents(category mynahoken.insurer_category, day date,
                                            acquired_on date, lost_on date,
                                            card_issued_on date, card_expires_on date,
                                            my_number_linked boolean,
                                            myna_registered_on date, myna_withdrawn_on date,
                                            ecert_expires_on date,
                                            certificate_valid_until date,
                                            online_check boolean DEFAULT true,
                                            known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_documents'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_documents(mynahoken.insurer_category, date, date, date, date, date, boolean, date, date, date, date, boolean, date) IS
  'Explanation of usable_documents and accepted_documents: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_certificate_need(category mynahoken.insurer_category, day date,
                                                   birth_date date, acquired_on date, lost_on date,
                                                   my_number_linked boolean,
                                                   myna_registered_on date, myna_withdrawn_on date,
                                                   ecert_expires_on date,
                                                   certificate_requested_on date,
                                                   known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_certificate_need'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_certificate_need(mynahoken.insurer_category, date, date, date, date, boolean, date, date, date, date, date) IS
  'Explanation of certificate_need: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_certificate_valid_until(category mynahoken.insurer_category, issued_on date,
                                                          known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_certificate_valid_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_certificate_valid_until(mynahoken.insurer_category, date, date) IS
  'Explanation of certificate_valid_until: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_acquisition_report_due(category mynahoken.insurer_category, acquired_on date,
                                                         known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_acquisition_report_due'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_acquisition_report_due(mynahoken.insurer_category, date, date) IS
  'Explanation of acquisition_report_due: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_notice_sending_window(category mynahoken.insurer_category, acquired_on date,
                                                        known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_notice_sending_window'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_notice_sending_window(mynahoken.insurer_category, date, date) IS
  'Explanation of notice_sending_window: rules, inputs, parameters with sources';
