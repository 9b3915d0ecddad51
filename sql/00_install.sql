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
