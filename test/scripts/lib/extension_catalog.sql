-- Every object of the extension mynahoken with its definition, one line each,
-- in an order that does not depend on OIDs: two databases print the same text
-- exactly when the extension's objects are the same.  Used by the upgrade test
-- (an updated database must equal a fresh install of the same version).
\pset format unaligned
\pset tuples_only on
SET datestyle = 'ISO, YMD';
SET search_path = pg_catalog, pg_temp;
WITH ext AS (
  SELECT d.classid, d.objid
    FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'mynahoken'
), rel AS (
  SELECT c.oid, c.relkind FROM pg_class c JOIN ext ON ext.classid = 'pg_class'::regclass AND ext.objid = c.oid
), lines AS (
  -- identity, comment and owner-independent ACL of every member
  SELECT pg_describe_object(x.classid, x.objid, 0) AS obj, 'comment' AS what,
         obj_description(x.objid, (SELECT relname FROM pg_class WHERE oid = x.classid)) AS def
    FROM ext x
  UNION ALL
  SELECT pg_describe_object('pg_proc'::regclass, p.oid, 0), 'definition',
         pg_get_functiondef(p.oid) || ' ACL ' || coalesce(p.proacl::text, '-')
    FROM pg_proc p JOIN ext ON ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid
   WHERE p.prokind <> 'a'
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, c.oid, 0), 'relation',
         c.relkind::text || ' ' || coalesce(c.reloptions::text, '') || ' ACL ' || coalesce(c.relacl::text, '-')
    FROM pg_class c JOIN rel ON rel.oid = c.oid
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, a.attrelid, a.attnum), 'column',
         a.attnum || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
         || coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '')
         || CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END
         || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
         || coalesce(' COMMENT ' || col_description(a.attrelid, a.attnum), '')
         || ' ACL ' || coalesce(a.attacl::text, '-')
    FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, v.oid, 0), 'view', pg_get_viewdef(v.oid)
    FROM rel v WHERE v.relkind IN ('v', 'm')
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, r.oid, 0), 'constraint ' || k.conname, pg_get_constraintdef(k.oid)
    FROM rel r JOIN pg_constraint k ON k.conrelid = r.oid
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, r.oid, 0), 'index ' || i.relname,
         regexp_replace(pg_get_indexdef(i.oid), ' ON ', ' ON ')
    FROM rel r JOIN pg_index x ON x.indrelid = r.oid JOIN pg_class i ON i.oid = x.indexrelid
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, r.oid, 0), 'trigger ' || t.tgname, pg_get_triggerdef(t.oid)
    FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, r.oid, 0), 'policy ' || p.polname,
         p.polcmd::text || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
    FROM rel r JOIN pg_policy p ON p.polrelid = r.oid
  UNION ALL
  SELECT pg_describe_object('pg_class'::regclass, s.seqrelid, 0), 'sequence',
         format('%s %s %s %s %s %s', format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcycle)
    FROM pg_sequence s JOIN rel ON rel.oid = s.seqrelid
  UNION ALL
  SELECT pg_describe_object('pg_type'::regclass, t.oid, 0), 'type',
         t.typtype::text || ' ' || t.typlen || ' ' || t.typbyval || ' ' || t.typalign::text || ' ' || t.typstorage::text
         || ' ' || t.typinput::text || ' ' || t.typoutput::text || ' ' || t.typreceive::text || ' ' || t.typsend::text
         || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '') || ' ' || t.typnotnull
         || ' ' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
         || ' ' || coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), ',' ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid), '')
         || ' ' || coalesce((SELECT format_type(r.rngsubtype, NULL) || ' ' || r.rngsubopc::regclass::text FROM pg_range r WHERE r.rngtypid = t.oid), '')
         || ' ACL ' || coalesce(t.typacl::text, '-')
    FROM pg_type t JOIN ext ON ext.classid = 'pg_type'::regclass AND ext.objid = t.oid
  UNION ALL
  SELECT pg_describe_object('pg_operator'::regclass, o.oid, 0), 'operator',
         o.oprcode::text || ' ' || o.oprcom::regoperator::text || ' ' || o.oprnegate::regoperator::text || ' '
         || o.oprrest::text || ' ' || o.oprjoin::text || ' ' || o.oprcanmerge || ' ' || o.oprcanhash
    FROM pg_operator o JOIN ext ON ext.classid = 'pg_operator'::regclass AND ext.objid = o.oid
  UNION ALL
  SELECT pg_describe_object('pg_opfamily'::regclass, f.oid, 0), 'member',
         coalesce((SELECT string_agg(pg_describe_object('pg_amop'::regclass, a.oid, 0), '; ' ORDER BY pg_describe_object('pg_amop'::regclass, a.oid, 0)) FROM pg_amop a WHERE a.amopfamily = f.oid), '')
         || ' | ' ||
         coalesce((SELECT string_agg(pg_describe_object('pg_amproc'::regclass, a.oid, 0), '; ' ORDER BY pg_describe_object('pg_amproc'::regclass, a.oid, 0)) FROM pg_amproc a WHERE a.amprocfamily = f.oid), '')
    FROM pg_opfamily f JOIN ext ON ext.classid = 'pg_opfamily'::regclass AND ext.objid = f.oid
  UNION ALL
  SELECT pg_describe_object('pg_opclass'::regclass, c.oid, 0), 'opclass',
         c.opcfamily::text IS NOT NULL || ' ' || c.opcdefault || ' ' || format_type(c.opcintype, NULL)
    FROM pg_opclass c JOIN ext ON ext.classid = 'pg_opclass'::regclass AND ext.objid = c.oid
  UNION ALL
  SELECT pg_describe_object('pg_cast'::regclass, c.oid, 0), 'cast',
         coalesce(c.castfunc::regprocedure::text, '-') || ' ' || c.castcontext::text || ' ' || c.castmethod::text
    FROM pg_cast c JOIN ext ON ext.classid = 'pg_cast'::regclass AND ext.objid = c.oid
  UNION ALL
  SELECT 'extension', 'version and dump filters',
         e.extversion || ' ' || e.extrelocatable || ' ' || e.extnamespace::regnamespace::text || ' '
         || coalesce((SELECT string_agg(c::regclass::text || ' ' || f, '; ' ORDER BY c::regclass::text)
                        FROM unnest(e.extconfig, e.extcondition) AS u(c, f)), '')
    FROM pg_extension e WHERE e.extname = 'mynahoken'
  UNION ALL
  SELECT 'schema mynahoken', 'ACL', n.nspacl::text FROM pg_namespace n WHERE n.nspname = 'mynahoken'
  UNION ALL
  SELECT 'role ' || r.rolname, 'attributes',
         r.rolcanlogin || ' ' || r.rolinherit || ' ' || r.rolsuper
    FROM pg_roles r WHERE r.rolname LIKE 'mynahoken\_%'
)
SELECT obj || E'\t' || what || E'\t' || coalesce(def, '') FROM lines ORDER BY 1;
