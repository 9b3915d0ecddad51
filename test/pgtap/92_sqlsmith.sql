-- Findings of SQLsmith (test/sqlsmith/run.sh, issue 12) as regression tests,
-- and their kind: no routine of the extension answers a caller's argument
-- with an internal error (class XX), whatever it is.
BEGIN;
SET search_path = public, mynahoken;
SELECT plan(7);

-- rule_operand_sql (PUBLIC may call it) raised XX000 for a NULL operand and
-- for an object of no known key, quoting the object in the message.
SELECT throws_ok($$SELECT mynahoken.rule_operand_sql(NULL, 'int', 'municipal_nhi')$$,
                 '22023', 'unknown operand', 'a NULL operand is a bad argument, not an internal error');
SELECT throws_ok($$SELECT mynahoken.rule_operand_sql('{"x": "a caller value"}', 'int', 'municipal_nhi')$$,
                 '22023', 'unknown operand', 'an operand of no known key: 22023, the value is not quoted');
SELECT throws_ok($$SELECT mynahoken.rule_operand_sql('[1, 2]', 'int', 'municipal_nhi', 'member')$$,
                 '22023', 'unknown operand', 'an operand that is not an object: 22023');
SELECT is(mynahoken.rule_operand_sql('{"int": "3"}', 'int', 'municipal_nhi'),
          'CAST(''3'' AS pg_catalog.int4)', 'a known operand still compiles');

-- The internal helpers of plan_issuance, called directly, named a temporary
-- table in a 42P01; they refuse like issuance_certificate_basis.
SELECT throws_ok($$SELECT * FROM mynahoken.issuance_candidates('2026-12-01', NULL, 1, 10)$$,
                 '55000', 'issuance_candidates is called by plan_issuance only', 'issuance_candidates outside a run: 55000');
SELECT throws_ok($$SELECT mynahoken.issuance_plan_rows(1, '2026-12-01', NULL, 1, 10)$$,
                 '55000', 'issuance_plan_rows is called by plan_issuance only', 'issuance_plan_rows outside a run: 55000');

-- The kind: every function of the extension that is not STRICT (a STRICT
-- one never runs on NULL), called with NULL for every argument, as SQLsmith
-- calls most of them, raises no error of class XX.  Each call in its own
-- subtransaction, rolled back with the test.
CREATE TEMP TABLE null_calls (routine text, sqlstate text);
DO $$
DECLARE
  r record;
  st text;
BEGIN
  FOR r IN SELECT p.oid,
                  (SELECT string_agg(format('NULL::%s', a.t::regtype), ', ' ORDER BY a.n)
                     FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, n)) AS args
             FROM pg_proc AS p
            WHERE p.pronamespace = 'mynahoken'::regnamespace AND p.prokind = 'f'
              AND NOT p.proisstrict AND p.provariadic = 0
              AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)
              AND NOT (p.proargtypes::oid[] && ARRAY['internal'::regtype, 'cstring'::regtype]::oid[])
  LOOP
    BEGIN
      EXECUTE format('SELECT %s(%s)', r.oid::regproc, coalesce(r.args, ''));
      st := NULL;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
    END;
    INSERT INTO null_calls VALUES (r.oid::regprocedure::text, st);
  END LOOP;
END $$;
SELECT is(ARRAY(SELECT routine || ': ' || sqlstate FROM null_calls WHERE sqlstate LIKE 'XX%' ORDER BY 1),
          '{}'::text[],
          format('no function of the extension called with NULL arguments raises class XX (%s called)',
                 (SELECT count(*) FROM null_calls)));

SELECT * FROM finish();
ROLLBACK;
