/*
 * catalog.h: the extension's own catalog objects, found by name.
 *
 * Every C path that needs the OID of one of mynahoken's relations, types or
 * enum labels goes through these, so a name is resolved in the schema
 * mynahoken whatever the caller's search_path, and an enum whose labels
 * differ from the library's lists is an error, never a shifted value.
 */
#ifndef MYNAHOKEN_CATALOG_H
#define MYNAHOKEN_CATALOG_H

#include "postgres.h"

/* OID of relation mynahoken.relname; 42P01 if it does not exist */
extern Oid	mh_relid(const char *relname);

/* OID of type mynahoken.typname; 42704 if it does not exist */
extern Oid	mh_typid(const char *typname);

/*
 * The OIDs of the n labels of enum type enumtype, in the library's order
 * (labels[i] gives oids[i]).  Raises an internal error when the enum has a
 * label the library does not know or lacks one it does.
 */
extern void mh_enum_oids(Oid enumtype, const char *const *labels, int n, Oid *oids);

#endif
