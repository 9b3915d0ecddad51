-- The legal calendar: backups, grants and roles.  Runs after the seed
-- (41_calendar_seed.sql): from here on rows are the insurer's own.

-- ---------------------------------------------------------------------------
-- Backups.  The seed (41_calendar_seed.sql) is the shipped calendar; from here on rows are
-- the insurer's own, and pg_dump dumps those (and the id sequences) with the
-- database, while CREATE EXTENSION at restore seeds the shipped ones again.

ALTER TABLE mynahoken.legal_source ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.legal_parameter_def ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.legal_parameter_entry ALTER COLUMN shipped SET DEFAULT false;
SELECT pg_catalog.setval('mynahoken.legal_source_id_seq', 1000000, false);
SELECT pg_catalog.setval('mynahoken.legal_parameter_id_seq', 1000000, false);

CREATE TRIGGER legal_source_guard BEFORE UPDATE OR DELETE ON mynahoken.legal_source
  FOR EACH ROW EXECUTE FUNCTION mynahoken.legal_calendar_guard();
CREATE TRIGGER legal_parameter_def_guard BEFORE UPDATE OR DELETE ON mynahoken.legal_parameter_def
  FOR EACH ROW EXECUTE FUNCTION mynahoken.legal_calendar_guard();
CREATE TRIGGER legal_parameter_entry_guard BEFORE UPDATE OR DELETE ON mynahoken.legal_parameter_entry
  FOR EACH ROW EXECUTE FUNCTION mynahoken.legal_calendar_guard();

SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_source', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_source_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_parameter_def', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_parameter_entry', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_parameter_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_change_set', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_change_set_id_seq', '');

-- The calendar is public legal information, and the decision functions read
-- it with the caller's rights: every role may read it; only its owner and
-- mynahoken_calendar_author (below) write.
GRANT SELECT ON mynahoken.legal_source, mynahoken.legal_parameter_def, mynahoken.legal_parameter_entry,
  mynahoken.legal_parameter, mynahoken.legal_calendar TO PUBLIC;
GRANT SELECT ON mynahoken.legal_change_set, mynahoken.legal_change_sets TO PUBLIC;

-- The writer of the insurer's calendar (no superuser, no ownership): records
-- entries and change sets through the functions, adds sources and parameter
-- definitions of its own; it cannot change or delete a row.  Roles are
-- cluster-wide: created once, reused by a second database or a restore.
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
