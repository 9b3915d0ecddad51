-- Benchmark helpers (not part of the extension).  bench/run.sh loads this
-- first, then each bench/*.sql, then prints bench.report().
--
-- bench.run(op, impl, rows, query [, subject]) runs query (a SELECT that
-- reads all rows, e.g. "SELECT count(f(x)) FROM t") three times through
-- EXPLAIN (ANALYZE, TIMING OFF), so that parallel plans run as they would for
-- a client, and records the fastest.  subject = true marks mynahoken's own
-- implementation; every other implementation of the same op is a peer and
-- the report gives mynahoken's rate divided by the peer's.

CREATE SCHEMA IF NOT EXISTS bench;

CREATE TABLE IF NOT EXISTS bench.result (
  op      text NOT NULL,
  impl    text NOT NULL,
  subject boolean NOT NULL,
  nrows   bigint NOT NULL,
  seconds float8 NOT NULL,
  workers int,
  PRIMARY KEY (op, impl)
);

CREATE OR REPLACE FUNCTION bench.record(op text, impl text, nrows bigint,
                                        seconds float8, subject boolean DEFAULT false,
                                        workers int DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO bench.result VALUES (op, impl, subject, nrows, seconds, workers)
  ON CONFLICT (op, impl) DO UPDATE
    SET nrows = EXCLUDED.nrows, seconds = EXCLUDED.seconds, workers = EXCLUDED.workers;
$$;

CREATE OR REPLACE FUNCTION bench.run(op text, impl text, nrows bigint, query text,
                                     subject boolean DEFAULT false, runs int DEFAULT 3)
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  plan json;
  best float8;
  secs float8;
  nworkers int;
BEGIN
  FOR i IN 1..runs LOOP
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ' || query INTO plan;
    secs := ((plan->0->>'Execution Time')::float8 + (plan->0->>'Planning Time')::float8) / 1000.0;
    IF best IS NULL OR secs < best THEN best := secs; END IF;
  END LOOP;
  SELECT max((m[1])::int) INTO nworkers
    FROM regexp_matches(plan::text, '"Workers Launched": ([0-9]+)', 'g') AS m;
  PERFORM bench.record(op, impl, nrows, best, subject, coalesce(nworkers, 0));
  RAISE NOTICE '% / %: % rows in % s (% rows/s)', op, impl, nrows, round(best::numeric, 3),
    round(nrows / best);
  RETURN best;
END $$;

CREATE OR REPLACE VIEW bench.report AS
SELECT r.op,
       r.impl,
       CASE WHEN r.subject THEN 'mynahoken' ELSE 'peer' END AS side,
       r.nrows AS rows,
       r.workers,
       round(r.nrows / r.seconds) AS rows_per_s,
       round((r.seconds * 1e9 / r.nrows)::numeric, 1) AS ns_per_row,
       CASE WHEN NOT r.subject THEN
         round((s.nrows / s.seconds / (r.nrows / r.seconds))::numeric, 2) END AS mynahoken_ratio
  FROM bench.result r
  LEFT JOIN LATERAL (SELECT * FROM bench.result s
                      WHERE s.op = r.op AND s.subject
                      ORDER BY s.seconds / s.nrows LIMIT 1) s ON true
 ORDER BY r.op, r.subject DESC, r.impl;
