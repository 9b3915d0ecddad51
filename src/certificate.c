/*
 * certificate.c: JPKI (公的個人認証) certificate verification, fmgr layer.
 *
 * The OpenSSL work is in src/core/x509verify.c, which frees everything it
 * creates before returning, so no OpenSSL object is live here when an
 * ereport can happen, except the anchor set being built and an open CRL,
 * both guarded by PG_TRY.
 *
 * Per-backend cache: one anchor set (an immutable X509_STORE per usage)
 * built from mynahoken.trust_anchor on first use.  A statement trigger on
 * that table sends a relcache invalidation for it; the callback registered
 * here marks the set stale, so a change committed by any session is seen
 * by every other session at its next call.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "catalog/pg_index.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varbit.h"

#include "catalog.h"
#include "certificate.h"
#include "mynahoken.h"
#include "x509verify.h"

/* mynahoken.legacy_rsa_decoder */
static bool legacy_rsa_decoder = true;

static void
assign_legacy_rsa_decoder(bool newval, void *extra)
{
	mh_cert_set_legacy_key_decode(newval);
}

void
mh_certificates_init(void)
{
	DefineCustomBoolVariable("mynahoken.legacy_rsa_decoder",
							 "Parses certificates for verdicts with OpenSSL's legacy RSA key decoder.",
							 "On, verify_certificate parses through a private OpenSSL ENGINE "
							 "(deprecated API), about 70 microseconds faster a certificate; off, "
							 "through OpenSSL's provider decoders.  Verdicts are the same.",
							 &legacy_rsa_decoder,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 assign_legacy_rsa_decoder,
							 NULL);
}

/* Per-backend anchor set; stale when anchors_valid is false. */
static mh_anchor_set *anchor_set = NULL;
static bool anchors_valid = false;
/* built in parallel mode, under the statement's snapshot: rebuild after it */
static bool anchors_from_statement = false;
static Oid	anchor_relid = InvalidOid;
static bool callback_registered = false;

/* Per-call-site cache (fn_extra) of what every row needs. */
typedef struct verdict_cache
{
	TupleDesc	tupdesc;
	Oid			outcome_oids[MH_CERT_OUTCOME_COUNT];
	Oid			usage_oid[MH_USAGE_COUNT];
	Oid			revoked_relid;
	Oid			revoked_indexid;
	AttrNumber	att_date;		/* revoked_certificate.revocation_date */
	AttrNumber	att_released;	/* revoked_certificate.released_at */
	AttrNumber	att_reason;		/* revoked_certificate.reason */
	MemoryContext lookup_cxt;	/* the revocation look-up's scratch memory */
} verdict_cache;

/*
 * A btree scan pallocs about 27 kB (BTScanOpaque), more than an AllocSet
 * keeps in its blocks, so a look-up in the per-row context would malloc and
 * free it once a row, which makes glibc consolidate the small chunks
 * libcrypto just freed.  A generation context whose single block holds a
 * whole look-up and is reset after each keeps that memory for the query.
 */
#define LOOKUP_CXT_SIZE (512 * 1024)

static void
anchor_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == anchor_relid)
		anchors_valid = false;
}

/* The anchor set, rebuilt first when any session changed the anchors. */
static mh_anchor_set *
current_anchor_set(void)
{
	mh_anchor_set *volatile set = NULL;
	volatile bool parallel = IsInParallelMode();
	Snapshot	snap;

	AcceptInvalidationMessages();
	if (anchor_set != NULL && anchors_valid && (parallel || !anchors_from_statement))
		return anchor_set;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(anchor_relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	anchor_relid = mh_relid("trust_anchor");
	/* Valid before reading: an invalidation arriving meanwhile wins. */
	anchors_valid = true;

	set = mh_anchor_set_new();
	if (set == NULL)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_OUT_OF_MEMORY),
							  errmsg("out of memory building the certificate store")));
	PG_TRY();
	{
		uint64		i;

		SPIPlanPtr	plan;

		if (SPI_connect() != SPI_OK_CONNECT)
			mh_elog(ERROR, "SPI_connect failed");

		/*
		 * The latest committed anchors, not the caller's snapshot: the set
		 * outlives this transaction, and a REPEATABLE READ snapshot older
		 * than the invalidation would cache a state no later call sees.  In
		 * parallel mode no new snapshot may be taken: the statement's is
		 * used, and the set is rebuilt at the first call after it.
		 */
		snap = !parallel ? GetLatestSnapshot() :
			ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
		anchors_from_statement = parallel;
		plan = SPI_prepare("SELECT id, purpose::pg_catalog.text, der FROM mynahoken.trust_anchor ORDER BY id",
						   0, NULL);
		if (plan == NULL ||
			SPI_execute_snapshot(plan, NULL, NULL, snap, InvalidSnapshot,
								 true, false, 0) != SPI_OK_SELECT)
			mh_elog(ERROR, "reading mynahoken.trust_anchor failed");
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
			char	   *purpose = SPI_getvalue(tup, td, 2);
			bytea	   *der = DatumGetByteaPP(SPI_getbinval(tup, td, 3, &isnull));
			mh_cert_usage usage = strcmp(purpose, "signature") == 0 ?
				MH_USAGE_SIGNATURE : MH_USAGE_AUTHENTICATION;
			mh_x509_status st;

			CHECK_FOR_INTERRUPTS();
			st = mh_anchor_set_add(set, (const unsigned char *) VARDATA_ANY(der),
								   VARSIZE_ANY_EXHDR(der), usage, id);
			if (st == MH_X509_NO_MEMORY)
				mh_sensitive_ereport(ERROR,
									 (errcode(ERRCODE_OUT_OF_MEMORY),
									  errmsg("out of memory building the certificate store")));
			if (st != MH_X509_OK)
				mh_sensitive_ereport(WARNING,
									 (errcode(ERRCODE_DATA_EXCEPTION),
									  errmsg("trust anchor %lld is not a valid root certificate and is ignored",
											 (long long) id)));
		}
		SPI_finish();
	}
	PG_CATCH();
	{
		mh_anchor_set_free(set);
		anchors_valid = false;
		PG_RE_THROW();
	}
	PG_END_TRY();

	mh_anchor_set_free(anchor_set);
	anchor_set = set;
	return anchor_set;
}

/* Unix seconds of 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC. */
#define X509_FIRST_SECOND INT64CONST(-62135596800)
#define X509_LAST_SECOND INT64CONST(253402300799)

/*
 * Unix seconds of a verification time, rounded down.  X.509 times
 * (GeneralizedTime, RFC 5280 4.1.2.5) run from year 1 to 9999 UTC: a time
 * outside them, or infinite, is a bad argument, not a fact about the
 * certificate.
 */
static int64
unix_seconds(TimestampTz t)
{
	int64		s = t / USECS_PER_SEC;

	if (t % USECS_PER_SEC < 0)
		s--;
	s += (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	if (TIMESTAMP_NOT_FINITE(t) || s < X509_FIRST_SECOND || s > X509_LAST_SECOND)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							  errmsg("verification time is out of range for X.509"),
							  errdetail("X.509 certificates can state times from year 1 to year 9999 (UTC) only.")));
	return s;
}

static Datum
timestamptz_of(int64 unix_secs)
{
	return TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) unix_secs));
}

static Datum
numeric_of(const char *dec)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(dec),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

static bytea *
bytea_of(const unsigned char *p, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return b;
}

static void revocation_columns(verdict_cache *c);

static verdict_cache *
get_verdict_cache(FunctionCallInfo fcinfo)
{
	verdict_cache *c = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	TupleDesc	td;
	Oid			enumtype;

	if (c != NULL)
		return c;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c = palloc0(sizeof(verdict_cache));
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		mh_elog(ERROR, "return type must be a row type");
	c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
	if (c->tupdesc->natts != 8)
		mh_elog(ERROR, "mynahoken.certificate_verdict has %d columns, the library expects 8",
				c->tupdesc->natts);
	enumtype = TupleDescAttr(c->tupdesc, 0)->atttypid;
	mh_enum_oids(enumtype, mh_cert_outcome_names, MH_CERT_OUTCOME_COUNT, c->outcome_oids);
	c->usage_oid[0] = c->usage_oid[1] = InvalidOid;
	c->revoked_relid = mh_relid("revoked_certificate");
	c->revoked_indexid = mh_relid("revoked_certificate_pkey");
	revocation_columns(c);
	c->lookup_cxt = GenerationContextCreate(fcinfo->flinfo->fn_mcxt,
											"certificate revocation look-up",
											LOOKUP_CXT_SIZE, LOOKUP_CXT_SIZE,
											LOOKUP_CXT_SIZE);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

/* Number of a column of revoked_certificate, by name. */
static AttrNumber
revoked_column(Oid relid, const char *name, Oid type)
{
	AttrNumber	att = get_attnum(relid, name);

	if (att == InvalidAttrNumber || get_atttype(relid, att) != type)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							  errmsg("mynahoken.revoked_certificate has no column \"%s\" of the expected type", name),
							  errhint("Update the extension: ALTER EXTENSION mynahoken UPDATE.")));
	return att;
}

/*
 * Columns the revocation look-up reads, found by name, and the first two
 * key columns of the index it scans, checked: a table changed by an
 * upgrade is never read at the wrong position.
 */
static void
revocation_columns(verdict_cache *c)
{
	HeapTuple	tup;
	Form_pg_index ix;
	bool		ok;

	c->att_date = revoked_column(c->revoked_relid, "revocation_date", TIMESTAMPTZOID);
	c->att_released = revoked_column(c->revoked_relid, "released_at", TIMESTAMPTZOID);
	c->att_reason = revoked_column(c->revoked_relid, "reason", TEXTOID);
	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(c->revoked_indexid));
	if (!HeapTupleIsValid(tup))
		mh_elog(ERROR, "cache lookup failed for index %u", c->revoked_indexid);
	ix = (Form_pg_index) GETSTRUCT(tup);
	ok = ix->indrelid == c->revoked_relid && ix->indnkeyatts >= 2 &&
		ix->indkey.values[0] == revoked_column(c->revoked_relid, "issuer_key_id", BYTEAOID) &&
		ix->indkey.values[1] == revoked_column(c->revoked_relid, "serial", NUMERICOID);
	ReleaseSysCache(tup);
	if (!ok)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							  errmsg("index mynahoken.revoked_certificate_pkey does not start with (issuer_key_id, serial)"),
							  errhint("Update the extension: ALTER EXTENSION mynahoken UPDATE.")));
}

/* certificate_usage enum value to mh_cert_usage, cached per call site. */
static mh_cert_usage
usage_of(verdict_cache *c, Oid value)
{
	char	   *label;
	mh_cert_usage u;

	if (value == c->usage_oid[MH_USAGE_AUTHENTICATION])
		return MH_USAGE_AUTHENTICATION;
	if (value == c->usage_oid[MH_USAGE_SIGNATURE])
		return MH_USAGE_SIGNATURE;
	label = DatumGetCString(DirectFunctionCall1(enum_out, ObjectIdGetDatum(value)));
	u = strcmp(label, "signature") == 0 ? MH_USAGE_SIGNATURE : MH_USAGE_AUTHENTICATION;
	c->usage_oid[u] = value;
	return u;
}

/*
 * Revocation row of (issuer key id, serial) in force at at: revocation_date
 * <= at and, for a hold since released, at < released_at.  A direct look-up
 * in the primary key index (no SPI: it runs once a row); a certificate has
 * one row per revocation or hold period, the earliest in force wins.
 */
static bool
find_revocation(verdict_cache *c, const mh_cert_verdict *v, Datum serial,
				TimestampTz at, TimestampTz *date, char **reason)
{
	Relation	rel;
	Relation	idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData key[2];
	bytea	   *kid;
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	bool		found = false;
	Datum		r = (Datum) 0;
	bool		has_reason = false;
	MemoryContext old = MemoryContextSwitchTo(c->lookup_cxt);

	kid = bytea_of(v->issuer_key_id, v->issuer_key_id_len);
	rel = table_open(c->revoked_relid, AccessShareLock);
	idx = index_open(c->revoked_indexid, AccessShareLock);
	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(kid));
	ScanKeyInit(&key[1], 2, BTEqualStrategyNumber, F_NUMERIC_EQ, serial);
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, snap, 2, 0);
	index_rescan(scan, key, 2, NULL, 0);
	while (!found && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		bool		open;
		TimestampTz d = DatumGetTimestampTz(slot_getattr(slot, c->att_date, &isnull));
		Datum		rel_at;

		if (isnull || d > at)
			continue;
		rel_at = slot_getattr(slot, c->att_released, &open);
		if (!open && DatumGetTimestampTz(rel_at) <= at)
			continue;
		found = true;
		*date = d;
		r = slot_getattr(slot, c->att_reason, &isnull);
		has_reason = !isnull;
	}
	/* the reason goes to the caller's memory, before the slot is dropped */
	MemoryContextSwitchTo(old);
	*reason = has_reason ? TextDatumGetCString(r) : NULL;
	MemoryContextSwitchTo(c->lookup_cxt);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	MemoryContextSwitchTo(old);
	MemoryContextReset(c->lookup_cxt);
	return found;
}

/* The certificate_verdict row, after the revocation look-up. */
static Datum
verdict_datum(verdict_cache *c, const mh_cert_verdict *v, TimestampTz at)
{
	Datum		values[8];
	bool		nulls[8];
	mh_cert_outcome outcome = v->outcome;
	const char *detail = mh_cert_verdict_detail(v);
	TimestampTz rdate = 0;
	char	   *reason = NULL;
	bool		revoked = false;

	memset(nulls, true, sizeof(nulls));
	if (v->has_serial)
	{
		values[1] = numeric_of(v->serial);
		nulls[1] = false;
	}
	if (v->has_validity)
	{
		values[2] = timestamptz_of(v->not_before);
		values[3] = timestamptz_of(v->not_after);
		nulls[2] = nulls[3] = false;
	}
	if (v->has_anchor)
	{
		values[4] = Int64GetDatum(v->anchor_id);
		nulls[4] = false;
	}
	if (outcome == MH_CERT_VALID && v->has_serial && v->has_anchor)
		revoked = find_revocation(c, v, values[1], at, &rdate, &reason);
	if (revoked)
	{
		outcome = MH_CERT_REVOKED;
		detail = "certificate revoked";
		values[5] = TimestampTzGetDatum(rdate);
		nulls[5] = false;
		if (reason != NULL)
		{
			values[6] = CStringGetTextDatum(reason);
			nulls[6] = false;
		}
	}
	else if (outcome == MH_CERT_VALID && v->signature_checked && !v->signature_ok)
		outcome = MH_CERT_SIGNATURE_MISMATCH;
	values[0] = ObjectIdGetDatum(c->outcome_oids[outcome]);
	nulls[0] = false;
	if (detail != NULL)
	{
		values[7] = CStringGetTextDatum(detail);
		nulls[7] = false;
	}
	return HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls));
}

static void
no_memory(void)
{
	mh_sensitive_ereport(ERROR,
						 (errcode(ERRCODE_OUT_OF_MEMORY),
						  errmsg("out of memory verifying a certificate")));
}

PG_FUNCTION_INFO_V1(mh_verify_certificate);
Datum
mh_verify_certificate(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	Oid			usage = PG_GETARG_OID(1);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(2);
	verdict_cache *c = get_verdict_cache(fcinfo);
	int64		secs = unix_seconds(at);
	mh_cert_verdict v;

	if (mh_cert_verify(current_anchor_set(),
					   (const unsigned char *) VARDATA_ANY(der), VARSIZE_ANY_EXHDR(der),
					   secs, usage_of(c, usage), &v) != MH_X509_OK)
		no_memory();
	PG_RETURN_DATUM(verdict_datum(c, &v, at));
}

PG_FUNCTION_INFO_V1(mh_verify_signature);
Datum
mh_verify_signature(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	bytea	   *data = PG_GETARG_BYTEA_PP(1);
	bytea	   *sig = PG_GETARG_BYTEA_PP(2);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(3);
	Oid			usage = PG_GETARG_OID(4);
	verdict_cache *c = get_verdict_cache(fcinfo);
	int64		secs = unix_seconds(at);
	mh_cert_verdict v;

	if (mh_cert_verify_signature(current_anchor_set(),
								 (const unsigned char *) VARDATA_ANY(der), VARSIZE_ANY_EXHDR(der),
								 secs, usage_of(c, usage),
								 (const unsigned char *) VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data),
								 (const unsigned char *) VARDATA_ANY(sig), VARSIZE_ANY_EXHDR(sig),
								 &v) != MH_X509_OK)
		no_memory();
	PG_RETURN_DATUM(verdict_datum(c, &v, at));
}

PG_FUNCTION_INFO_V1(mh_certificate_facts);
Datum
mh_certificate_facts(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	mh_cert_facts *f = palloc(sizeof(mh_cert_facts));
	TupleDesc	td;
	Datum		values[10];
	bool		nulls[10];
	Datum		elems[MH_KU_COUNT > MH_MAX_POLICIES ? MH_KU_COUNT : MH_MAX_POLICIES];
	int			i,
				n;

	if (mh_cert_get_facts((const unsigned char *) VARDATA_ANY(der),
						  VARSIZE_ANY_EXHDR(der), f) != MH_X509_OK)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		mh_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);
	memset(nulls, false, sizeof(nulls));
	values[0] = numeric_of(f->serial);
	values[1] = CStringGetTextDatum(f->issuer);
	values[2] = CStringGetTextDatum(f->subject);
	values[3] = timestamptz_of(f->not_before);
	values[4] = timestamptz_of(f->not_after);
	for (i = 0; i < f->npolicies; i++)
		elems[i] = CStringGetTextDatum(f->policies[i]);
	values[5] = PointerGetDatum(construct_array(elems, f->npolicies, TEXTOID, -1, false,
												TYPALIGN_INT));
	if (f->has_key_usage)
	{
		for (i = 0, n = 0; i < MH_KU_COUNT; i++)
			if (f->key_usage & ((uint32) 1 << i))
				elems[n++] = CStringGetTextDatum(mh_key_usage_names[i]);
		values[6] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
													TYPALIGN_INT));
	}
	else
		nulls[6] = true;
	if (f->subject_key_id_len > 0)
		values[7] = PointerGetDatum(bytea_of(f->subject_key_id, f->subject_key_id_len));
	else
		nulls[7] = true;
	if (f->authority_key_id_len > 0)
		values[8] = PointerGetDatum(bytea_of(f->authority_key_id, f->authority_key_id_len));
	else
		nulls[8] = true;
	values[9] = PointerGetDatum(bytea_of(f->fingerprint, sizeof(f->fingerprint)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

PG_FUNCTION_INFO_V1(mh_certificate_personal_data);
Datum
mh_certificate_personal_data(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	mh_personal_data *pd = palloc(sizeof(mh_personal_data));
	TupleDesc	td;
	Datum		values[MH_PII_FIELDS];
	bool		nulls[MH_PII_FIELDS];
	int			i;

	if (mh_cert_personal_data((const unsigned char *) VARDATA_ANY(der),
							  VARSIZE_ANY_EXHDR(der), pd) != MH_X509_OK)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		mh_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);
	for (i = 0; i < MH_PII_FIELDS; i++)
	{
		/* Values are UTF-8 strings; anything else is left out, never echoed. */
		nulls[i] = !pd->present[i] ||
			!pg_verify_mbstr(PG_UTF8, pd->value[i], (int) pd->len[i], true);
		if (nulls[i])
			continue;
		if (i == MH_PII_NAME_POSITIONS || i == MH_PII_ADDRESS_POSITIONS)
		{
			/*
			 * One '0' or '1' per character of the name or address, '1'
			 * where it is a substitute character: as a bit string.  Any
			 * other content is left out, never echoed.
			 */
			nulls[i] = strspn(pd->value[i], "01") != pd->len[i];
			if (!nulls[i])
				values[i] = DirectFunctionCall3(varbit_in, CStringGetDatum(pd->value[i]),
												ObjectIdGetDatum(InvalidOid),
												Int32GetDatum(-1));
		}
		else
			values[i] = CStringGetTextDatum(pg_any_to_server(pd->value[i], (int) pd->len[i],
															 PG_UTF8));
	}
	explicit_bzero(pd, sizeof(mh_personal_data));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

PG_FUNCTION_INFO_V1(mh_inspect_trust_anchor);
Datum
mh_inspect_trust_anchor(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	mh_anchor_info *info = palloc(sizeof(mh_anchor_info));
	TupleDesc	td;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	switch (mh_anchor_inspect((const unsigned char *) VARDATA_ANY(der),
							  VARSIZE_ANY_EXHDR(der), info))
	{
		case MH_X509_OK:
			break;
		case MH_X509_NOT_SELF_SIGNED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("trust anchor must be a self-signed certificate"),
								  errdetail("Its issuer is not its own subject and key.")));
			break;
		case MH_X509_NOT_CA:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("trust anchor must be a CA certificate"),
								  errdetail("Its basicConstraints extension does not set cA to true.")));
			break;
		case MH_X509_BAD_SIGNATURE:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("trust anchor's self-signature does not verify")));
			break;
		default:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
								  errmsg("trust anchor is not a well-formed DER X.509 certificate")));
	}
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		mh_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);
	values[0] = PointerGetDatum(bytea_of(info->fingerprint, sizeof(info->fingerprint)));
	values[1] = PointerGetDatum(bytea_of(info->key_id, info->key_id_len));
	values[2] = CStringGetTextDatum(info->subject);
	values[3] = numeric_of(info->serial);
	values[4] = timestamptz_of(info->not_before);
	values[5] = timestamptz_of(info->not_after);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/* A CRL whose signature verifies with a trust anchor; errors otherwise. */
static mh_crl *
open_crl(bytea *der)
{
	mh_crl	   *opened = NULL;

	switch (mh_crl_open(current_anchor_set(), (const unsigned char *) VARDATA_ANY(der),
						VARSIZE_ANY_EXHDR(der), &opened))
	{
		case MH_X509_OK:
			break;
		case MH_X509_UNKNOWN_ISSUER:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("CRL issuer is not a trust anchor"),
								  errhint("Pin the root that issued the CRL with mynahoken.add_trust_anchor first.")));
			break;
		case MH_X509_BAD_SIGNATURE:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								  errmsg("CRL signature does not verify with any trust anchor of its issuer"),
								  errdetail("A trust anchor has the CRL issuer's name, but none has the key that signed it.")));
			break;
		case MH_X509_NO_MEMORY:
			no_memory();
			break;
		default:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
								  errmsg("CRL is not a well-formed DER certificate revocation list")));
	}
	return opened;
}

PG_FUNCTION_INFO_V1(mh_crl_facts);
Datum
mh_crl_facts(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	mh_crl	   *crl = open_crl(der);
	const unsigned char *kid;
	unsigned char key_id[MH_KEYID_MAXLEN];
	size_t		kidlen = mh_crl_issuer_key_id(crl, &kid);
	int64		anchor_id = mh_crl_anchor_id(crl);
	int64		this_update;
	int64		next_update;
	bool		has_next;
	bool		times_ok = mh_crl_times(crl, &this_update, &next_update, &has_next);
	bool		delta = mh_crl_is_delta(crl);
	int			entries = mh_crl_count(crl);
	TupleDesc	td;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	/* copied out, so that no OpenSSL object is live at an ereport */
	memcpy(key_id, kid, kidlen);
	mh_crl_free(crl);
	if (!times_ok)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							  errmsg("CRL has an invalid thisUpdate or nextUpdate time")));
	values[0] = Int64GetDatum(anchor_id);
	values[1] = PointerGetDatum(bytea_of(key_id, kidlen));
	values[2] = timestamptz_of(this_update);
	values[3] = timestamptz_of(next_update);
	nulls[3] = !has_next;
	values[4] = BoolGetDatum(delta);
	values[5] = Int32GetDatum(entries);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		mh_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

PG_FUNCTION_INFO_V1(mh_crl_entries);
Datum
mh_crl_entries(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	mh_crl	   *volatile crl = NULL;

	InitMaterializedSRF(fcinfo, 0);
	crl = open_crl(der);
	PG_TRY();
	{
		const unsigned char *kid;
		size_t		kidlen = mh_crl_issuer_key_id(crl, &kid);
		Datum		key_id = PointerGetDatum(bytea_of(kid, kidlen));
		int			n = mh_crl_count(crl);
		int			i;

		for (i = 0; i < n; i++)
		{
			char		serial[MH_SERIAL_MAXLEN];
			int64		at;
			int			reason;
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			CHECK_FOR_INTERRUPTS();
			if (!mh_crl_entry(crl, i, serial, &at, &reason))
				mh_sensitive_ereport(ERROR,
									 (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
									  errmsg("CRL entry %d is malformed", i + 1)));
			values[0] = Int64GetDatum(mh_crl_anchor_id(crl));
			values[1] = key_id;
			values[2] = numeric_of(serial);
			values[3] = timestamptz_of(at);
			if (reason >= 0)
				values[4] = CStringGetTextDatum(mh_crl_reason_name(reason));
			else
				nulls[4] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_FINALLY();
	{
		mh_crl_free(crl);
	}
	PG_END_TRY();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mh_trust_anchor_changed);
Datum
mh_trust_anchor_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
							  errmsg("trust_anchor_changed must be called as a trigger")));
	/* Sent to every backend at commit; processed locally at the next command. */
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}
