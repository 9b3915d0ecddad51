-- Summary of a run of test/sqlsmith/run.sh; variables csv, routines (names
-- of mynahoken routines not also in pg_catalog, |-separated), files (C file
-- names of mynahoken, |-separated), elapsed (seconds), canary (the synthetic My Number of hostile.value), ran (queries SQLsmith reports).
\set QUIET on
\pset footer off
COPY server_log FROM :'csv' WITH (FORMAT csv);
CREATE VIEW errors AS
  SELECT l.*,
         CASE WHEN l.location LIKE 'mh\_sensitive\_error,%'
                OR substring(l.location FROM ', ([^,:]+):[0-9]+$') ~ ('^(' || :'files' || ')$')
                OR l.context ~ 'PL/pgSQL function mynahoken\.'
                OR l.context ~ ('SQL function "(' || :'routines' || ')"')
              THEN 'mynahoken' ELSE 'PostgreSQL' END AS origin
    FROM server_log AS l
   WHERE l.error_severity IN ('ERROR', 'FATAL', 'PANIC')
     AND l.application_name = 'sqlsmith::dut';
\echo '== queries'
SELECT left(s.seed, 20) AS seed,
       (SELECT count(*) FROM error AS e WHERE e.id = s.id) AS failed_queries,
       (SELECT count(*) FROM error AS e WHERE e.id = s.id AND e.sqlstate = '57014') AS timeouts
  FROM instance AS s ORDER BY s.id;
SELECT :ran AS queries, :elapsed AS elapsed_seconds,
       round(:ran / greatest(:elapsed, 1)::numeric, 1) AS queries_per_second;
\echo '== server crashes (terminated by signal) and XX errors'
SELECT (SELECT count(*) FROM server_log WHERE message ~ 'terminated by signal') AS crashes,
       (SELECT count(*) FROM errors WHERE sql_state_code LIKE 'XX%') AS xx_errors,
       (SELECT count(*) FROM errors WHERE sql_state_code LIKE 'XX%' AND origin = 'mynahoken') AS xx_from_mynahoken;
\echo '== errors by SQLSTATE class and origin'
SELECT left(sql_state_code, 2) AS class, origin, count(*) AS errors
  FROM errors GROUP BY 1, 2 ORDER BY 2 DESC, 3 DESC;
\echo '== errors of mynahoken by SQLSTATE and message'
SELECT sql_state_code, message, count(*) AS errors
  FROM errors WHERE origin = 'mynahoken' GROUP BY 1, 2 ORDER BY 3 DESC;
\echo '== XX errors (any origin)'
SELECT sql_state_code, origin, location, message, count(*)
  FROM errors WHERE sql_state_code LIKE 'XX%' GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC;
\echo '== log lines holding the canary My Number, by origin (PostgreSQL quotes values in its own messages)'
SELECT origin, count(*) FROM errors
 WHERE concat_ws(' ', message, detail, hint, context, internal_query) LIKE '%' || :'canary' || '%'
 GROUP BY 1;
\echo '== crashes'
SELECT log_time, message, detail FROM server_log WHERE message ~ 'terminated by signal';
