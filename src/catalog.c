/*
 * catalog.c: the extension's own catalog objects, found by name (catalog.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "mynahoken.h"

static Oid
mh_namespace(void)
{
	return get_namespace_oid("mynahoken", false);
}

Oid
mh_relid(const char *relname)
{
	Oid			relid = get_relname_relid(relname, mh_namespace());

	if (!OidIsValid(relid))
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_UNDEFINED_TABLE),
							  errmsg("relation \"mynahoken.%s\" does not exist", relname)));
	return relid;
}

Oid
mh_typid(const char *typname)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum(typname),
										ObjectIdGetDatum(mh_namespace()));

	if (!OidIsValid(typid))
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_UNDEFINED_OBJECT),
							  errmsg("type \"mynahoken.%s\" does not exist", typname)));
	return typid;
}

void
mh_enum_oids(Oid enumtype, const char *const *labels, int n, Oid *oids)
{
	CatCList   *all = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(enumtype));
	int			nlabels = all->n_members;

	ReleaseSysCacheList(all);
	if (nlabels != n)
		mh_elog(ERROR, "enum %s has %d labels, the library expects %d",
				format_type_be(enumtype), nlabels, n);
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(enumtype),
										  CStringGetDatum(labels[i]));

		if (!HeapTupleIsValid(tup))
			mh_elog(ERROR, "enum %s has no label \"%s\"", format_type_be(enumtype), labels[i]);
		oids[i] = ((Form_pg_enum) GETSTRUCT(tup))->oid;
		ReleaseSysCache(tup);
	}
}
