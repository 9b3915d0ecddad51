-- pgTAP: no value a caller passes reaches an error (issue 9, doc/tokens.md "Leaks").
-- Errors of the extension carry no CONTEXT (which would quote the caller's
-- PL/pgSQL or dynamic SQL), repeat no argument, and member keys are read as
-- the My Number reader reads them.  Synthetic numbers come from pg_temp.mn().
BEGIN;
SELECT plan(22);

CREATE FUNCTION pg_temp.mn(base bigint, wrong boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT b || ((CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END
                + CASE WHEN wrong THEN 1 ELSE 0 END) % 10)::text
    FROM (SELECT lpad(base::text, 11, '0') AS b) x,
         LATERAL (SELECT sum(substr(b, 12 - n, 1)::int
                             * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
                    FROM generate_series(1, 11) n) y
$$;
CREATE FUNCTION pg_temp.typed(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT translate(substr(t, 1, 4) || '　' || substr(t, 5, 4) || '－' || substr(t, 9),
                      '0123456789', '０１２３４５６７８９') $$;
-- The error of a statement run as dynamic SQL from PL/pgSQL, with the value
-- as a literal of the statement: message, detail and what CONTEXT it has.
CREATE FUNCTION pg_temp.caught(q text, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text;
  d text;
  c text;
BEGIN
  EXECUTE format(q, v);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, c = PG_EXCEPTION_CONTEXT;
  RETURN m || ' | detail: ' || coalesce(nullif(d, ''), 'none') || ' | context: ' || coalesce(nullif(c, ''), 'none');
END $$;
CREATE FUNCTION pg_temp.leaks(q text, v text) RETURNS boolean LANGUAGE sql AS $$
  SELECT strpos(pg_temp.caught(q, v), v) > 0
      OR strpos(pg_temp.caught(q, v), regexp_replace(v, '\D', '', 'g')) > 0
$$;

-- Identifiers and My Numbers in dynamic SQL: no QUERY, no CONTEXT (5)
SELECT is(pg_temp.caught('SELECT %L::mynahoken.insurer_number', pg_temp.mn(40719263855)),
          'invalid input syntax for type insurer_number | detail: The value has 12 digits. An insurer number has 8 digits, or 6 for National Health Insurance (国民健康保険). | context: none',
          'a My Number cast to insurer_number in dynamic SQL: no context');
SELECT is(pg_temp.caught('SELECT mynahoken.tokenize(%L)', pg_temp.mn(40719263855, true)),
          'invalid My Number: check digit mismatch | detail: The last digit is not the check digit of the first eleven. | context: none',
          'tokenize of a wrong number in dynamic SQL: no context');
SELECT is(pg_temp.caught('SELECT mynahoken.card_branch_normalize(%L)', pg_temp.mn(40719263855)),
          'invalid card branch number | detail: The value has 12 digits. A branch number (枝番) has 2 digits, or none. | context: none',
          'a My Number as a card branch number in dynamic SQL: no context');
SELECT is(pg_temp.caught('DO $do$ BEGIN PERFORM mynahoken.seal(%L); END $do$', pg_temp.typed(pg_temp.mn(62958314707, true))),
          'invalid My Number: check digit mismatch | detail: The last digit is not the check digit of the first eleven. | context: none',
          'seal of a typed wrong number in a DO block: no context');
SELECT is(pg_temp.caught('SELECT %L::mynahoken.mynumber_token', pg_temp.mn(40719263855)),
          'invalid input syntax for type mynumber_token | detail: The value does not start with the expected prefix. | context: none',
          'a My Number typed as a token: no context');

-- Routines raise through raise_error: no CONTEXT, no argument repeated (6)
SELECT is(pg_temp.caught('SELECT mynahoken.legal_value_date(%L, ''2025-09-01'')', pg_temp.mn(40719263855)),
          'unknown legal parameter | detail: none | context: none',
          'an unknown legal parameter name is not repeated, and no context');
SELECT is(pg_temp.caught($q$SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2031-01-01,)', %L, 1)$q$, pg_temp.mn(40719263855)),
          'value of legal parameter "certificate_term_months" is not a valid int | detail: none | context: none',
          'a value that is not of the parameter''s type is not quoted (PostgreSQL''s cast error would)');
SELECT is(pg_temp.caught('SELECT mynahoken.explain_issuance(%L)', pg_temp.mn(40719263855)),
          'no member source is registered | detail: none | context: none',
          'explain_issuance: no context');
SELECT is(pg_temp.caught($q$SELECT mynahoken.certificate_need('kyokai_kenpo', '2026-01-01', %L, '2020-04-01', NULL, false, NULL, NULL, NULL, NULL)$q$, '2021-01-01'),
          'eligibility acquired before birth | detail: The 資格取得日 is before the birth date. | context: none',
          'a member''s dates are not repeated by the decisions');
SELECT ok(NOT pg_temp.leaks('SELECT mynahoken.tokenize(%L, 1000)', pg_temp.mn(40719263855)),
          'a key version out of range is not repeated');
SELECT is(pg_temp.caught('SELECT mynahoken.tokenize(''0'', %s)', '1000'),
          'mynahoken key version must be between 1 and 255 | detail: none | context: none',
          'a key version out of range: the range, not the number');

-- No routine uses RAISE for errors, notices or info (1)
SELECT is((SELECT count(*)::int FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
            WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
              AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken')
              AND p.prosrc ~* 'RAISE\s+(EXCEPTION|NOTICE|INFO|LOG|DEBUG|'')'),
          0, 'no routine of the extension uses RAISE EXCEPTION, NOTICE, INFO, LOG or DEBUG');

-- raise_error (3)
SELECT throws_ok($$SELECT mynahoken.raise_error('P0002', 'nothing here', 'A detail.', 'A hint.')$$,
                 'P0002', 'nothing here', 'raise_error raises with the given SQLSTATE and message');
SELECT is(pg_temp.caught('SELECT mynahoken.raise_error(%L, ''m'', ''d'')', '22023'),
          'm | detail: d | context: none', 'raise_error: detail, and no context');
SELECT throws_ok($$SELECT mynahoken.raise_error('2202', 'm')$$, '22023',
                 'raise_error needs a SQLSTATE of five digits or capital letters and a message',
                 'raise_error refuses a malformed SQLSTATE');

-- Member keys read as the My Number reader reads them (5)
SELECT ok(mynahoken.mynumber_is_valid(pg_temp.typed(pg_temp.mn(40719263855))),
          'a number typed with full-width digits, an ideographic space and a full-width hyphen is a My Number');
CREATE TEMP TABLE members AS
SELECT CASE WHEN i % 3 = 0 THEN pg_temp.typed(pg_temp.mn(40719263855 + i * 7))
            WHEN i % 3 = 1 THEN regexp_replace(pg_temp.mn(40719263855 + i * 7), '^(....)(....)', '\1-\2-')
            ELSE regexp_replace(pg_temp.mn(40719263855 + i * 7), '^(....)(....)', '\1 \2 ') END AS member_key,
       '01130012'::text AS insurer_number, date '1980-01-01' AS birth_date, date '2010-01-01' AS acquired_on,
       NULL::date AS lost_on, NULL::text AS employer, true AS my_number_linked, NULL::date AS myna_registered_on,
       NULL::date AS myna_withdrawn_on, NULL::date AS ecert_expires_on, NULL::date AS certificate_requested_on,
       NULL::date AS certificate_valid_until
  FROM generate_series(1, 12) AS i;
SELECT is((SELECT count(*)::int FROM members WHERE mynahoken.mynumber_is_valid(member_key)), 12,
          'twelve member keys are My Numbers typed with hyphens, spaces or full-width digits');
SELECT lives_ok($$SELECT mynahoken.register_member_source('pg_temp.members')$$, 'they can be registered as a member source');
-- the steps of plan_issuance, without its COMMITs and its final error
DO $$
DECLARE
  run bigint := mynahoken.issuance_begin('2025-09-04', NULL, 60, 10000, 0);
  err text := mynahoken.issuance_prepare(run);
BEGIN
  PERFORM set_config('mh_test.err', coalesce(err, 'none'), true);
  PERFORM mynahoken.issuance_end(run, err);
END $$;
SELECT is(current_setting('mh_test.err'), '22023 member keys look like My Numbers',
          'a run over them is refused');
SELECT is((SELECT count(*)::int FROM mynahoken.issuance_queue q JOIN members m USING (member_key)), 0,
          'no document is planned for them');

-- A member key the source does not have is not repeated (2)
SELECT ok(NOT pg_temp.leaks('SELECT mynahoken.explain_issuance(%L)', pg_temp.mn(62958314707)),
          'explain_issuance does not repeat an unknown member key');
SELECT is(pg_temp.caught('SELECT mynahoken.explain_issuance(%L)', pg_temp.mn(62958314707)),
          'member is not in the member source | detail: No row of the member source has the given member_key. | context: none',
          'explain_issuance: the member is not there');

SELECT * FROM finish();
ROLLBACK;
