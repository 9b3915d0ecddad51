-- Issuance: the nightly schedule with pg_cron.

-- ---------------------------------------------------------------------------
-- pg_cron (optional: the extension works without it)

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
COMMENT ON FUNCTION mynahoken.schedule_issuance(text, text, integer) IS
  'Schedule the nightly plan_issuance with pg_cron (default 17:00 UTC = 02:00 JST); returns the job id; raises 42704 when pg_cron is not installed here';

CREATE FUNCTION mynahoken.unschedule_issuance(job_name text DEFAULT 'mynahoken-issuance')
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
COMMENT ON FUNCTION mynahoken.unschedule_issuance(text) IS
  'Remove the pg_cron job of the nightly issuance; false when there was none; raises 42704 when pg_cron is not installed here';
