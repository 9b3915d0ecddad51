-- The extension installs into its own schema and is not relocatable.
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'mynahoken';

-- Insurer categories, in declaration order.
SELECT enum_range(NULL::mynahoken.insurer_category);

-- Every object of the extension has a comment.
SELECT pg_describe_object(classid, objid, objsubid) AS uncommented
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken')
   AND d.deptype = 'e'
   AND obj_description(objid, (SELECT relname FROM pg_class WHERE oid = classid)) IS NULL
   AND classid <> 'pg_amop'::regclass AND classid <> 'pg_amproc'::regclass
 ORDER BY 1;

-- Every SECURITY DEFINER function pins its search_path.
SELECT p.oid::regprocedure AS definer_without_search_path
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken')
   AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%')
 ORDER BY 1;

-- Every routine resolves names without the caller's search_path: C, a fixed
-- search_path, or a SQL-standard body bound when created.  The exceptions are
-- plan_issuance and linkage_check_nightly, which commit and so cannot SET
-- search_path: every name in them is qualified (test/scripts/91_lookalikes.sh
-- runs them under a hostile path).
SELECT p.oid::regprocedure AS resolves_through_callers_path
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_language l ON l.oid = p.prolang
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken')
   AND l.lanname NOT IN ('c', 'internal')
   AND p.prosqlbody IS NULL
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%')
 ORDER BY 1;

-- VOLATILE functions, listed so that each one is a reviewed decision.
SELECT p.oid::regprocedure AS volatile_function, l.lanname
  FROM pg_proc p
  JOIN pg_language l ON l.oid = p.prolang
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'mynahoken')
   AND p.provolatile = 'v' AND p.prokind = 'f'
 ORDER BY 1;

-- An ordinary role, with no grant at all, may use the identifier types, read
-- the legal calendar and run decisions; the functions that use a key, a
-- personal-data certificate field or the insurer's work tables are not open.
CREATE ROLE mh_install_analyst;
SET ROLE mh_install_analyst;
SELECT mynahoken.category('01130012'::mynahoken.insurer_number),
       mynahoken.public_expense_program('54016027'::mynahoken.public_payer_number);
SELECT mynahoken.certificate_need('kyokai_kenpo', DATE '2026-01-15', DATE '1980-01-01',
         DATE '2010-04-01', NULL, true, NULL, NULL, NULL, NULL) AS reason;
SELECT count(*) > 0 AS calendar_readable FROM mynahoken.legal_calendar;
SELECT mynahoken.tokenize('1234' || '5678' || '9018');
SELECT count(*) FROM mynahoken.issuance_queue;
RESET ROLE;
DROP ROLE mh_install_analyst;
