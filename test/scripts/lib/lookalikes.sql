-- Hostile look-alikes (issue 9): run as a role that can only CREATE in its own
-- schema "evil", this makes a clone of every function, procedure, aggregate,
-- operator, type and relation of pg_catalog and mynahoken under the same name
-- and argument types.  Each clone raises WARNING and ERROR
-- "mh-lookalike-ran: <what>" when it runs (a type clone is a domain whose
-- CHECK does, a relation clone a view over the original that does).  With
-- "evil" first on the search_path, every name resolved through the path
-- reaches a clone, so a routine that runs none of them resolves every name to
-- the schema it means.  Prints how many clones were made and skipped (those
-- PL/pgSQL cannot declare: internal, cstring, "any" arguments).
SET search_path = pg_catalog;
SET client_min_messages = notice;

CREATE FUNCTION evil.mh_trap(what text) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
  RAISE WARNING 'mh-lookalike-ran: %', what;
  RAISE EXCEPTION 'mh-lookalike-ran: %', what;
END
$f$;
CREATE FUNCTION evil.mh_trap_write() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM evil.mh_trap('write to ' || TG_TABLE_NAME);
  RETURN NULL;
END
$f$;

DO $do$
DECLARE
  r record;
  body text;
  made int := 0;
  skipped int := 0;
  kind text;
BEGIN
  -- functions and procedures
  FOR r IN SELECT p.oid, p.proname, p.prokind, pg_get_function_arguments(p.oid) AS args,
                  pg_get_function_result(p.oid) AS res
             FROM pg_proc p
            WHERE p.pronamespace IN ('pg_catalog'::regnamespace, 'mynahoken'::regnamespace)
              AND p.prokind IN ('f', 'p')
  LOOP
    body := format('BEGIN PERFORM evil.mh_trap(%L); END', r.oid::regprocedure::text);
    BEGIN
      IF r.prokind = 'p' THEN
        EXECUTE format('CREATE PROCEDURE evil.%I(%s) LANGUAGE plpgsql AS %L', r.proname, r.args, body);
      ELSE
        EXECUTE format('CREATE FUNCTION evil.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                       r.proname, r.args, r.res, body);
      END IF;
      made := made + 1;
    EXCEPTION WHEN others THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  RAISE NOTICE 'lookalike functions: % made, % skipped', made, skipped;

  -- aggregates (normal ones: count(*), sum, jsonb_agg, string_agg, ...)
  made := 0; skipped := 0;
  FOR r IN SELECT p.oid, p.proname, p.pronargs, format_type(p.prorettype, NULL) AS res,
                  (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY o)
                     FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, o)) AS args
             FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
            WHERE p.pronamespace IN ('pg_catalog'::regnamespace, 'mynahoken'::regnamespace)
              AND a.aggkind = 'n'
  LOOP
    BEGIN
      EXECUTE format('CREATE FUNCTION evil.mh_agg_%s(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                     r.oid, concat_ws(', ', r.res, r.args), r.res,
                     format('BEGIN PERFORM evil.mh_trap(%L); END', 'aggregate ' || r.oid::regprocedure::text));
      EXECUTE format('CREATE AGGREGATE evil.%I(%s) (SFUNC = evil.mh_agg_%s, STYPE = %s)',
                     r.proname, CASE WHEN r.pronargs = 0 THEN '*' ELSE r.args END, r.oid, r.res);
      made := made + 1;
    EXCEPTION WHEN others THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  RAISE NOTICE 'lookalike aggregates: % made, % skipped', made, skipped;

  -- operators
  made := 0; skipped := 0;
  FOR r IN SELECT o.oid, o.oprname, o.oprleft, o.oprright, o.oprresult
             FROM pg_operator o
            WHERE o.oprnamespace IN ('pg_catalog'::regnamespace, 'mynahoken'::regnamespace)
  LOOP
    BEGIN
      EXECUTE format('CREATE FUNCTION evil.mh_op_%s(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                     r.oid,
                     concat_ws(', ', CASE WHEN r.oprleft <> 0 THEN format_type(r.oprleft, NULL) END,
                               format_type(r.oprright, NULL)),
                     format_type(r.oprresult, NULL),
                     format('BEGIN PERFORM evil.mh_trap(%L); END', 'operator ' || r.oid::regoperator::text));
      EXECUTE format('CREATE OPERATOR evil.%s (%s RIGHTARG = %s, FUNCTION = evil.mh_op_%s)',
                     r.oprname,
                     CASE WHEN r.oprleft <> 0 THEN format('LEFTARG = %s,', format_type(r.oprleft, NULL)) ELSE '' END,
                     format_type(r.oprright, NULL), r.oid);
      made := made + 1;
    EXCEPTION WHEN others THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  RAISE NOTICE 'lookalike operators: % made, % skipped', made, skipped;

  -- types: a domain of the same name whose check runs the trap
  made := 0; skipped := 0;
  FOR r IN SELECT t.oid, t.typname FROM pg_type t
            WHERE t.typnamespace IN ('pg_catalog'::regnamespace, 'mynahoken'::regnamespace)
              AND t.typtype IN ('b', 'e', 'r', 'm', 'd') AND t.typcategory <> 'A'
  LOOP
    BEGIN
      EXECUTE format('CREATE DOMAIN evil.%I AS %s CHECK (evil.mh_trap(%L))',
                     r.typname, r.oid::regtype::text, 'type ' || r.oid::regtype::text);
      made := made + 1;
    EXCEPTION WHEN others THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  RAISE NOTICE 'lookalike types: % made, % skipped', made, skipped;

  -- relations: a view over the original that runs the trap when read, and
  -- triggers that run it when written (security_invoker: the caller's rights)
  made := 0; skipped := 0;
  FOR r IN SELECT c.oid, c.relname, c.relnamespace::regnamespace::text AS nsp FROM pg_class c
            WHERE c.relnamespace IN ('pg_catalog'::regnamespace, 'mynahoken'::regnamespace)
              AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
  LOOP
    BEGIN
      EXECUTE format('CREATE VIEW evil.%I WITH (security_invoker = true) AS SELECT r.* FROM '
                     '(SELECT evil.mh_trap(%L) AS ok OFFSET 0) AS t CROSS JOIN LATERAL '
                     '(SELECT x.* FROM %I.%I AS x WHERE t.ok) AS r',
                     r.relname, 'relation ' || r.oid::regclass::text, r.nsp, r.relname);
      FOREACH kind IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
        EXECUTE format('CREATE TRIGGER mh_trap_%s INSTEAD OF %s ON evil.%I FOR EACH ROW EXECUTE FUNCTION evil.mh_trap_write()',
                       lower(kind), kind, r.relname);
      END LOOP;
      made := made + 1;
    EXCEPTION WHEN others THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  RAISE NOTICE 'lookalike relations: % made, % skipped', made, skipped;
END
$do$;
