-- Issuance: monitoring.  What an operator or an alerting system polls:
-- one row per kind of problem, none when all is well.  SECURITY DEFINER so
-- that a monitoring role granted the view and the function reads counts and
-- ids, never the queue's member keys.

CREATE FUNCTION mynahoken.issuance_health(unsent_days integer, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (kind text, severity text, count bigint, since timestamptz, ids bigint[], ids_of text, about text)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT mynahoken.raise_error('22004', 'as_of must not be null') WHERE as_of IS NULL;
  SELECT mynahoken.raise_error('22023', 'unsent_days must be zero or more') WHERE unsent_days < 0;
  WITH lock AS (SELECT mynahoken.issuance_lock_holder() AS pid),
  runs AS (
    SELECT CASE WHEN r.status = 'failed' THEN 'run_failed'
                WHEN r.status = 'running' THEN 'run_interrupted'
                ELSE 'run_skipped' END AS kind,
           r.run_id, r.attempt_started_at
      FROM mynahoken.issuance_run r, lock
     WHERE r.status = 'failed'
        OR (r.status = 'running' AND lock.pid IS DISTINCT FROM r.pid)
        -- a skipped run is caught up by a finished run of a day it covers
        -- that started after it, or that held the lock and finished after it
        OR (r.status = 'skipped'
            AND NOT EXISTS (SELECT FROM mynahoken.issuance_run f
                             WHERE f.status = 'finished' AND f.as_of >= r.as_of
                               AND (f.run_id > r.run_id OR f.finished_at >= r.attempt_started_at))))
  SELECT x.kind, x.severity, x.count, x.since, x.ids, x.ids_of, x.about
    FROM (
      SELECT runs.kind,
             CASE WHEN runs.kind = 'run_skipped' THEN 'warning' ELSE 'error' END AS severity,
             count(*) AS count, min(runs.attempt_started_at) AS since,
             (array_agg(runs.run_id ORDER BY runs.run_id))[1:100] AS ids, 'run_id' AS ids_of,
             CASE runs.kind
               WHEN 'run_failed' THEN 'plan_issuance failed and no later run took it over (mynahoken.issuance_runs.error)'
               WHEN 'run_interrupted' THEN 'plan_issuance was killed or crashed and no run took it over yet'
               ELSE 'plan_issuance was skipped (another run held the lock) and no later run finished' END AS about
        FROM runs
       GROUP BY runs.kind
      UNION ALL
      SELECT 'certificate_expired', 'error', count(*), min(q.valid_until + 1)::timestamptz,
             (array_agg(q.queue_id ORDER BY q.queue_id))[1:100], 'queue_id',
             '資格確認書 planned, not in a hand-off batch, whose validity has ended'
        FROM mynahoken.issuance_queue q
       WHERE q.handoff_id IS NULL AND q.sent_on IS NULL AND q.status = 'planned' AND q.document = 'certificate'
         AND q.valid_until < issuance_health.as_of
      HAVING count(*) > 0
      UNION ALL
      SELECT 'notice_late', 'warning', count(*), min(upper(q.sending_window))::timestamptz,
             (array_agg(q.queue_id ORDER BY q.queue_id))[1:100], 'queue_id',
             '資格情報のお知らせ planned, not in a hand-off batch, whose send-by date has passed'
        FROM mynahoken.issuance_queue q
       WHERE q.handoff_id IS NULL AND q.sent_on IS NULL AND q.status = 'planned' AND q.document = 'notice'
         AND upper(q.sending_window) <= issuance_health.as_of
      HAVING count(*) > 0
      UNION ALL
      SELECT 'handoff_unsent', 'warning', count(*), min(h.prepared_at),
             (array_agg(h.handoff_id ORDER BY h.handoff_id))[1:100], 'handoff_id',
             'hand-off batches prepared unsent_days or more days ago and not marked sent'
        FROM mynahoken.issuance_handoff h
       WHERE h.sent_on IS NULL AND h.prepared_at::date <= issuance_health.as_of - unsent_days
      HAVING count(*) > 0) AS x
   ORDER BY x.severity, x.kind;
END;
COMMENT ON FUNCTION mynahoken.issuance_health(integer, date) IS
  'Problems of the issuance on as_of, one row per kind (none when all is well): run_failed, run_interrupted (running, but its backend holds no issuance lock) and run_skipped (no later run finished) with run ids; certificate_expired and notice_late (documents not in a batch past their validity or send-by) with queue ids; handoff_unsent (batches prepared unsent_days or more days before as_of, not sent) with hand-off ids. severity error or warning; since: the oldest; ids: the first 100; never a member key; 22023 for a negative unsent_days (null: no handoff_unsent check), 22004 for a null as_of. SECURITY DEFINER, not executable by PUBLIC: GRANT EXECUTE (and SELECT on the view) to a monitoring role';
REVOKE ALL ON FUNCTION mynahoken.issuance_health(integer, date) FROM PUBLIC;

CREATE VIEW mynahoken.issuance_health AS
SELECT h.kind, h.severity, h.count, h.since, h.ids, h.ids_of, h.about
  FROM mynahoken.issuance_health(7) AS h;
COMMENT ON VIEW mynahoken.issuance_health IS
  'What to poll: mynahoken.issuance_health(7) as of today, so batches prepared 7 or more days ago and not sent count; no row when all is well; a skipped run shows here although pg_cron records it as succeeded';

-- pg_cron's view of the same runs: cron.job_run_details says "succeeded"
-- whenever the CALL returned, also for a skipped run.
CREATE FUNCTION mynahoken.issuance_cron_runs(job_name text DEFAULT 'mynahoken-issuance')
RETURNS TABLE (cron_runid bigint, cron_status text, cron_start timestamptz, cron_end timestamptz,
               run_id bigint, run_state text, agrees boolean)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH d AS (
    SELECT (j->>'runid')::bigint AS runid, j->>'status' AS status, (j->>'pid')::int AS pid,
           (j->>'start_time')::timestamptz AS start_time, (j->>'end_time')::timestamptz AS end_time
      FROM mynahoken.cron_query(format(
             'SELECT json_build_object(''runid'', d.runid, ''status'', d.status, ''pid'', d.job_pid,'
             ' ''start_time'', d.start_time, ''end_time'', d.end_time)::text'
             '  FROM cron.job_run_details d JOIN cron.job j ON j.jobid = d.jobid'
             ' WHERE j.jobname = %L AND j.username = current_user AND j.database = %L'
             ' ORDER BY d.runid DESC LIMIT 100', job_name, current_database())) AS t(v),
           LATERAL (SELECT t.v::json AS j) AS x)
  SELECT d.runid, d.status, d.start_time, d.end_time, r.run_id, r.state,
         CASE WHEN d.status IN ('starting', 'running', 'sending', 'connecting') THEN NULL
              ELSE (d.status = 'succeeded') = (r.state IS NOT DISTINCT FROM 'finished') END
    FROM d
    LEFT JOIN LATERAL (
      SELECT s.run_id, s.state FROM mynahoken.issuance_runs s JOIN mynahoken.issuance_run w ON w.run_id = s.run_id
       WHERE w.pid = d.pid
         AND w.attempt_started_at BETWEEN d.start_time - interval '1 second'
                                      AND coalesce(d.end_time, now()) + interval '1 second'
       ORDER BY s.run_id DESC LIMIT 1) r ON true
   ORDER BY d.runid DESC;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_cron_runs(text) IS
  'The last 100 runs pg_cron recorded for the calling role''s job job_name in this database (cron.job_run_details, read here or through dblink as cron_query), each with the issuance run its backend started (NULL: none) and whether both agree: false for a run pg_cron records as succeeded that was skipped or did not finish, or a failed job with a finished run; NULL while the job runs; raises 42704 as cron_query';
