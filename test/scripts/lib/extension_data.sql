-- The rows the extension itself ships (reference data), table by table, for
-- the upgrade test: an updated database must hold exactly the shipped rows of
-- a fresh install.  Tables whose every row is the insurer's (dumped with an
-- empty filter) are left out; tables dumped "WHERE NOT shipped" contribute
-- their shipped rows; tables not dumped at all contribute every row.
\pset format unaligned
\pset tuples_only on
SET datestyle = 'ISO, YMD';
SET search_path = pg_catalog, pg_temp;
SELECT format('SELECT %L || E''\t'' || t::text FROM %s AS t %s ORDER BY 1', c.oid::regclass, c.oid::regclass,
              CASE WHEN f.cond = 'WHERE NOT shipped' THEN 'WHERE shipped' ELSE '' END)
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'mynahoken'
  JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass AND c.relkind = 'r'
  LEFT JOIN LATERAL (SELECT u.f AS cond FROM unnest(e.extconfig, e.extcondition) AS u(c, f) WHERE u.c = c.oid) AS f ON true
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND coalesce(f.cond, 'none') <> ''
 ORDER BY c.relname
\gexec
