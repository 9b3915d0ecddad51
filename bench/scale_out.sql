-- Benchmark: the 資格確認書 reasons of every member on one day, counted per
-- category and reason, through the coordinator over the shards
-- (doc/scale-out.md) against the same query on one node holding every
-- member (issue 17).
--
--   by value        dist.certificate_need_counts: certificate_need_by_rules on
--                   each shard with the coordinator's rules, one aggregate per shard
--   shard views     dist.need_by_reason: certificate_need in the shards' views
--   one node        certificate_need over demo.members, the coordinator's own copy
--
-- Runs at the coordinator of scripts/demo.sh --shards N (or after
-- mh_distribute, scripts/lib_shards.sh); where there are no shards (bench/run.sh)
-- it does nothing.  Every node runs on this machine (2 cores, shared), so the
-- ratio shows the overhead of the distribution, not a speed-up.  Also prints
-- the rows and bytes the shards returned to the coordinator per query, and
-- each distributed query's time over one node's.
--
--   psql -d insurer -f bench/scale_out.sql
--
-- At 10,000,000 members on 3 shards (doc/scale-out.md): the members generated
-- on every node at once, server-side, none through the coordinator:
--
--   . scripts/lib.sh; . scripts/lib_shards.sh; mh_private_install
--   mh_start_coordinator; mh_start_shards 3; mh_shard_base_database bench 1000
--   MH_DISTRIBUTE_COPY=no mh_distribute bench; mh_shard_generate bench 10000000
--   mh_coord_psql -d bench -f bench/scale_out.sql

SET client_min_messages = warning;
SELECT to_regclass('dist.members') IS NOT NULL AS sharded \gset
\if :sharded
\ir lib.sql
SELECT count(*) AS nrows, (SELECT count(*) FROM pg_catalog.pg_foreign_server WHERE srvname LIKE 'shard%') AS nshards
  FROM demo.members \gset
SET datestyle = 'ISO, YMD';
-- The one node gets the statistics the shards have (mh_shard_schema) on the
-- filters of its query: without them the planner guesses that 0.5% of the
-- members pass and sorts them on disk, a plan problem, not the cost of one node.
CREATE STATISTICS IF NOT EXISTS demo.members_decided ON
  (CASE WHEN mynahoken.insurer_number_is_valid(insurer_number)
        THEN mynahoken.category(insurer_number::mynahoken.insurer_number) END),
  (mynahoken.member_facts_conflict(birth_date, acquired_on, lost_on, legacy_card_issued_on, legacy_card_expires_on))
  FROM demo.members;
ANALYZE demo.members;
\o /dev/null

SELECT bench.run('certificate_need per category and reason', format('coordinator, %s shards, by value', :nshards), :nrows,
  $q$SELECT category, reason, sum(members) FROM dist.certificate_need_counts('2026-08-15') GROUP BY 1, 2$q$, true);
SELECT bench.run('certificate_need per category and reason', format('coordinator, %s shards, shard views', :nshards), :nrows,
  $q$SELECT category, reason, sum(members) FROM dist.need_by_reason WHERE day = '2026-08-15' GROUP BY 1, 2$q$, true);
SELECT bench.run('certificate_need per category and reason', 'one node', :nrows, $q$
  SELECT f.category, mynahoken.certificate_need(f.category, date '2026-08-15', m.birth_date, m.acquired_on, m.lost_on,
           m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
           m.certificate_requested_on), count(*)
    FROM demo.members AS m
    CROSS JOIN LATERAL (SELECT CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number)
                                    THEN mynahoken.category(m.insurer_number::mynahoken.insurer_number) END AS category) AS f
   WHERE f.category IS NOT NULL
     AND mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on,
           m.legacy_card_issued_on, m.legacy_card_expires_on) IS NULL
   GROUP BY 1, 2$q$);
\o

-- Rows the shards sent to the coordinator for each distributed query, and
-- their size estimated from the plan's row width.
CREATE OR REPLACE FUNCTION pg_temp.rows_back(query text, OUT foreign_scans int, OUT rows_back bigint, OUT bytes_back_est bigint)
LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || query INTO plan;
  SELECT count(*), sum((n->>'Actual Rows')::bigint * (n->>'Actual Loops')::bigint),
         sum((n->>'Actual Rows')::bigint * (n->>'Actual Loops')::bigint * (n->>'Plan Width')::bigint)
    INTO foreign_scans, rows_back, bytes_back_est
    FROM jsonb_path_query(plan::jsonb, 'strict $.**') AS n
   WHERE jsonb_typeof(n) = 'object' AND n->>'Node Type' = 'Foreign Scan';
END $$;
SELECT 'by value' AS query, * FROM pg_temp.rows_back(
  $q$SELECT category, reason, sum(members) FROM dist.certificate_need_counts('2026-08-15') GROUP BY 1, 2$q$)
UNION ALL
SELECT 'shard views', * FROM pg_temp.rows_back(
  $q$SELECT category, reason, sum(members) FROM dist.need_by_reason WHERE day = '2026-08-15' GROUP BY 1, 2$q$);
SELECT * FROM bench.report WHERE op = 'certificate_need per category and reason';
-- The distributed queries' time over one node's (target: at most 1.5).
SELECT d.impl, round((d.seconds / o.seconds)::numeric, 2) AS time_over_one_node
  FROM bench.result AS d JOIN bench.result AS o ON o.op = d.op AND o.impl = 'one node'
 WHERE d.op = 'certificate_need per category and reason' AND d.subject
 ORDER BY 1;
\endif
