-- Issuance: the nightly schedule with pg_cron.

-- ---------------------------------------------------------------------------
-- pg_cron (optional: the extension works without it)
--
-- pg_cron is created in one database (cron.database_name) and runs each job
-- in the database the job names.  The insurer's data, and mynahoken, usually
-- live in another one: there, the job is scheduled through dblink, over a
-- loopback connection to the pg_cron database as the calling role, with
-- cron.schedule_in_database.  The helpers below are shared by the issuance
-- and the linkage check.

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

CREATE FUNCTION mynahoken.issuance_cron_command(lead_days integer DEFAULT 0)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.plan_issuance(' ||
       CASE WHEN lead_days = 0 THEN 'CURRENT_DATE'
            ELSE 'CURRENT_DATE OPERATOR(pg_catalog.+) ' || lead_days::text END || ')';
COMMENT ON FUNCTION mynahoken.issuance_cron_command(integer) IS
  'The single CALL a pg_cron job runs: plan_issuance as of today (plus lead_days), every name schema-qualified so that the job''s search_path does not matter; usable with cron.schedule_in_database';

CREATE FUNCTION mynahoken.schedule_issuance(schedule text DEFAULT '0 17 * * *',
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

CREATE FUNCTION mynahoken.unschedule_issuance(job_name text DEFAULT 'mynahoken-issuance')
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
