/*
 * keyring.c: loading the keyring into each backend.
 *
 * Per-backend state: the derived keys of every loaded version (slots,
 * indexed by version), the active version, and the fingerprint of every
 * version seen since the backend started, so that a version whose key bytes
 * change under a running backend is refused (the keyring is append-only:
 * stored tokens of version N would silently stop matching otherwise).
 *
 * Key bytes are read into a static buffer, parsed, derived and wiped before
 * any error is raised, so an error never leaves key material in palloc'd
 * memory.  Nothing here ever prints key bytes, file contents or the
 * command; the file name goes to the server log only (errdetail_log).
 */
#include "postgres.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "port.h"
#include "storage/dsm.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "keyring.h"
#include "mynahoken.h"

static char *keyring_file = NULL;
static char *keyring_command = NULL;

/* true when the settings may have changed since the keyring was loaded */
static bool keyring_stale = true;
static bool keyring_loaded = false;
static bool exit_hook_registered = false;
static int	active_version = 0;

static mh_loaded_key slots[MH_KEY_VERSION_MAX + 1];
static bool slot_used[MH_KEY_VERSION_MAX + 1];
static unsigned char seen_fingerprint[MH_KEY_VERSION_MAX + 1][MH_KEY_BYTES];
static bool seen[MH_KEY_VERSION_MAX + 1];

/*
 * One keyring state per statement under parallel query.  A parallel worker
 * does not read the keyring: the leader loads it before the workers start
 * (ExecutorStart of a parallel plan that calls functions), puts its derived
 * keys in a dynamic shared memory segment, and names the segment in
 * mynahoken.keyring_handoff, which PostgreSQL copies to its workers with
 * the other settings.  A worker copies the leader's keys (or raises the
 * leader's load error), so a statement never sees two keyrings and the
 * keyring command runs in the leader only.  The segment holds what the
 * leader's memory holds; it is wiped before it is replaced or released.
 */
typedef struct handoff_keys
{
	int			active_version;
	bool		slot_used[MH_KEY_VERSION_MAX + 1];
	mh_loaded_key slots[MH_KEY_VERSION_MAX + 1];
} handoff_keys;

static char *handoff_setting = NULL;
static bool handoff_setting_ours = false;
static dsm_segment *handoff_seg = NULL;
static uint64 handoff_generation = 0;
static uint64 load_generation = 0;
static ExecutorStart_hook_type prev_executor_start = NULL;

/* raw keyring text and its parse; wiped right after use */
static char readbuf[MH_KEYRING_FILE_MAX + 1];
static mh_keyring parsed;

/* What went wrong while loading, reported after everything is wiped. */
typedef enum load_error
{
	LOAD_OK = 0,
	LOAD_NOT_CONFIGURED,
	LOAD_BOTH_CONFIGURED,
	LOAD_OPEN_FAILED,
	LOAD_NOT_REGULAR,
	LOAD_PERMISSIONS,
	LOAD_OWNER,
	LOAD_READ_FAILED,
	LOAD_TOO_LARGE,
	LOAD_COMMAND_FAILED,
	LOAD_PARSE,
	LOAD_CHANGED,
	LOAD_CRYPTO
} load_error;

static void
wipe_all(void)
{
	OPENSSL_cleanse(slots, sizeof(slots));
	memset(slot_used, 0, sizeof(slot_used));
	active_version = 0;
	keyring_loaded = false;
}

/* Wipe the leader's segment whenever its mapping goes, at exit too. */
static void
handoff_detached(dsm_segment *seg, Datum arg)
{
	OPENSSL_cleanse(dsm_segment_address(seg), sizeof(handoff_keys));
	if (seg == handoff_seg)
		handoff_seg = NULL;
}

static void
handoff_release(void)
{
	if (handoff_seg != NULL)
		dsm_detach(handoff_seg);	/* handoff_detached wipes it */
	handoff_seg = NULL;
}

static void
keyring_at_exit(int code, Datum arg)
{
	wipe_all();
	OPENSSL_cleanse(seen_fingerprint, sizeof(seen_fingerprint));
	OPENSSL_cleanse(readbuf, sizeof(readbuf));
	mh_keyring_wipe(&parsed);
}

/* GUC assign hook: a reload (or SET by a superuser) re-reads the keyring. */
static void
keyring_setting_assigned(const char *newval, void *extra)
{
	keyring_stale = true;
}

/* Only this file sets the hand-off (or PostgreSQL, restoring it in a worker). */
static bool
handoff_setting_check(char **newval, void **extra, GucSource source)
{
	return handoff_setting_ours || InitializingParallelWorker ||
		source == PGC_S_DEFAULT || *newval == NULL || (*newval)[0] == '\0';
}

static void publish_for_workers(void);

/* Does the plan call any function that is not built in? */
static bool
plan_calls_functions(PlannedStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->invalItems)
	{
		PlanInvalItem *item = lfirst(lc);

		if (item->cacheId == PROCOID)
			return true;
	}
	return false;
}

static void
keyring_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (queryDesc->plannedstmt->parallelModeNeeded &&
		!(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		!IsInParallelMode() && !IsParallelWorker() &&
		((keyring_file != NULL && keyring_file[0] != '\0') ||
		 (keyring_command != NULL && keyring_command[0] != '\0')) &&
		plan_calls_functions(queryDesc->plannedstmt))
		publish_for_workers();
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

void
mh_keyring_define_settings(void)
{
	DefineCustomStringVariable("mynahoken.keyring_file",
							   "Path of the keyring file of My Number tokens.",
							   "The file must be owned by the server's operating-system user "
							   "(or root) and have no group or other permissions.",
							   &keyring_file, NULL, PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, keyring_setting_assigned, NULL);
	DefineCustomStringVariable("mynahoken.keyring_command",
							   "Shell command that prints the keyring of My Number tokens.",
							   "Used instead of mynahoken.keyring_file; its standard output "
							   "has the keyring file format.",
							   &keyring_command, NULL, PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, keyring_setting_assigned, NULL);
	DefineCustomStringVariable("mynahoken.keyring_handoff",
							   "Internal: the parallel leader's keyring, for its workers.",
							   NULL,
							   &handoff_setting, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL |
							   GUC_NO_RESET_ALL | GUC_DISALLOW_IN_FILE | GUC_DISALLOW_IN_AUTO_FILE,
							   handoff_setting_check, NULL, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = keyring_executor_start;
}

/*
 * Read from fd into readbuf until end of file or one byte more than the
 * largest keyring; *len receives what was read on every path (the caller
 * wipes that much whatever happens).  read(2), not stdio: a FILE buffer
 * would keep a copy of the key text in freed memory.
 */
static load_error
read_all(int fd, size_t *len)
{
	ssize_t		n = 0;

	*len = 0;
	while (*len < sizeof(readbuf))
	{
		n = read(fd, readbuf + *len, sizeof(readbuf) - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += n;
	}
	if (n < 0)
		return LOAD_READ_FAILED;
	if (*len > MH_KEYRING_FILE_MAX)
		return LOAD_TOO_LARGE;
	return LOAD_OK;
}

/* Read the keyring file into readbuf. */
static load_error
read_file(const char *path, size_t *len)
{
	int			fd;
	struct stat st;
	load_error	err;
	int			save_errno;

	*len = 0;
	fd = open(path, O_RDONLY | PG_BINARY | O_CLOEXEC);
	if (fd < 0)
		return LOAD_OPEN_FAILED;
	if (fstat(fd, &st) != 0)
		err = LOAD_OPEN_FAILED;
	else if (!S_ISREG(st.st_mode))
		err = LOAD_NOT_REGULAR;
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		err = LOAD_PERMISSIONS;
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		err = LOAD_OWNER;
	else
		err = read_all(fd, len);
	save_errno = errno;
	close(fd);
	errno = save_errno;			/* for %m */
	return err;
}

/* Run the keyring command and read its output into readbuf. */
static load_error
read_command(const char *command, size_t *len)
{
	FILE	   *f;
	load_error	err;

	*len = 0;
	fflush(NULL);
	f = OpenPipeStream(command, "r");
	if (f == NULL)
		return LOAD_COMMAND_FAILED;
	err = read_all(fileno(f), len);
	if (ClosePipeStream(f) != 0 && err == LOAD_OK)
		err = LOAD_COMMAND_FAILED;
	return err == LOAD_READ_FAILED ? LOAD_COMMAND_FAILED : err;
}

/* Derive the keys of one parsed entry into its slot. */
static bool
derive_slot(const mh_keyring_entry *e)
{
	mh_loaded_key *k = &slots[e->version];

	k->version = e->version;
	if (!mh_key_derive(e->key, MH_LABEL_FINGERPRINT, k->fingerprint) ||
		!mh_token_key_init(&k->token, e) ||
		!mh_mac_key_init(&k->linkage, e->key, MH_LABEL_LINKAGE) ||
		!mh_key_derive(e->key, MH_LABEL_SEAL_1, k->seal) ||
		!mh_key_derive(e->key, MH_LABEL_SEAL_2, k->seal + MH_KEY_BYTES))
		return false;
	slot_used[e->version] = true;
	return true;
}

/* The outcome of a load, enough to raise its error in another process. */
typedef struct load_result
{
	load_error	err;
	mh_keyring_status pst;
	int			line;
	int			changed;
	int			saved_errno;
} load_result;

static void raise_load_error(const load_result *r);

/* Load the keyring into the slots; never raises, wipes all on failure. */
static load_error
load_keyring(load_result *r)
{
	load_error err = LOAD_OK;
	mh_keyring_status pst = MH_KEYRING_OK;
	int			line = 0;
	int			changed = 0;
	size_t		len = 0;
	bool		use_file;

	memset(r, 0, sizeof(*r));
	wipe_all();
	if (!exit_hook_registered)
	{
		on_proc_exit(keyring_at_exit, (Datum) 0);
		exit_hook_registered = true;
	}

	use_file = keyring_file != NULL && keyring_file[0] != '\0';
	if (!use_file && (keyring_command == NULL || keyring_command[0] == '\0'))
		err = LOAD_NOT_CONFIGURED;
	else if (use_file && keyring_command != NULL && keyring_command[0] != '\0')
		err = LOAD_BOTH_CONFIGURED;
	else if (use_file)
		err = read_file(keyring_file, &len);
	else
		err = read_command(keyring_command, &len);
	r->saved_errno = errno;

	if (err == LOAD_OK)
	{
		pst = mh_keyring_parse(readbuf, len, &parsed, &line);
		if (pst != MH_KEYRING_OK)
			err = LOAD_PARSE;
	}
	/* every path: len is what was read, even when reading failed */
	OPENSSL_cleanse(readbuf, len);

	for (int i = 0; err == LOAD_OK && i < parsed.nkeys; i++)
	{
		int			v = parsed.keys[i].version;

		if (!derive_slot(&parsed.keys[i]))
			err = LOAD_CRYPTO;
		else if (seen[v] &&
				 CRYPTO_memcmp(seen_fingerprint[v], slots[v].fingerprint, MH_KEY_BYTES) != 0)
		{
			err = LOAD_CHANGED;
			changed = v;
		}
	}
	if (err == LOAD_OK)
	{
		for (int i = 0; i < parsed.nkeys; i++)
		{
			int			v = parsed.keys[i].version;

			memcpy(seen_fingerprint[v], slots[v].fingerprint, MH_KEY_BYTES);
			seen[v] = true;
		}
		active_version = parsed.active;
	}
	mh_keyring_wipe(&parsed);

	r->err = err;
	r->pst = pst;
	r->line = line;
	r->changed = changed;
	if (err == LOAD_OK)
	{
		keyring_loaded = true;
		keyring_stale = false;
		load_generation++;
		return err;
	}
	wipe_all();
	return err;
}

/*
 * Every error leaves keyring_stale set: the next use tries again.  The
 * statement that needed the keyring may hold a My Number: no context (it
 * may quote a PL/pgSQL statement) and no STATEMENT line:
 * mh_sensitive_ereport.
 */
static void
raise_load_error(const load_result *r)
{
	mh_keyring_status pst = r->pst;
	int			line = r->line;
	int			changed = r->changed;

	errno = r->saved_errno;		/* for %m */
	switch (r->err)
	{
		case LOAD_NOT_CONFIGURED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
								  errmsg("mynahoken keyring is not configured"),
								  errhint("Set mynahoken.keyring_file (or mynahoken.keyring_command) in postgresql.conf "
										  "to a keyring readable only by the server's operating-system user, "
										  "then reload the configuration.")));
			break;
		case LOAD_BOTH_CONFIGURED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken.keyring_file and mynahoken.keyring_command are both set"),
								  errhint("Set only one of them and reload the configuration.")));
			break;
		case LOAD_OPEN_FAILED:
		case LOAD_READ_FAILED:
			mh_sensitive_ereport(ERROR,
								 (errcode_for_file_access(),
								  errmsg("could not read the mynahoken keyring file: %m"),
								  errdetail_log("The file is \"%s\".", keyring_file),
								  errhint("Check mynahoken.keyring_file in postgresql.conf.")));
			break;
		case LOAD_NOT_REGULAR:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring file is not a regular file"),
								  errdetail_log("The file is \"%s\".", keyring_file),
								  errhint("Check mynahoken.keyring_file in postgresql.conf.")));
			break;
		case LOAD_PERMISSIONS:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring file has group or world access"),
								  errdetail("A keyring readable by others than its owner is refused."),
								  errdetail_log("The file is \"%s\".", keyring_file),
								  errhint("Run chmod 0600 on the keyring file, then reload the configuration.")));
			break;
		case LOAD_OWNER:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring file is not owned by the server's user or root"),
								  errdetail_log("The file is \"%s\".", keyring_file),
								  errhint("Change the owner of the keyring file to the user the server runs as.")));
			break;
		case LOAD_TOO_LARGE:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring is malformed"),
								  errdetail_internal("%s", mh_gettext(mh_keyring_status_text(MH_KEYRING_TOO_LARGE)))));
			break;
		case LOAD_COMMAND_FAILED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring command failed"),
								  errhint("Run mynahoken.keyring_command as the server's operating-system user "
										  "and check that it exits with status 0.")));
			break;
		case LOAD_PARSE:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring is malformed"),
								  line > 0 ?
								  errdetail("Line %d: %s", line, mh_gettext(mh_keyring_status_text(pst))) :
								  errdetail_internal("%s", mh_gettext(mh_keyring_status_text(pst))),
								  errhint("Each line is version:key or version:key:active, with a version "
										  "from 1 to 255 and a key of 64 hexadecimal digits; "
										  "exactly one version is active.")));
			break;
		case LOAD_CHANGED:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_CONFIG_FILE_ERROR),
								  errmsg("mynahoken keyring version %d changed its key", changed),
								  errdetail("A key version must keep its key forever: tokens made with the "
										    "old key would silently stop matching."),
								  errhint("Restore the previous key of version %d and add the new key "
										  "under a new version.", changed)));
			break;
		case LOAD_CRYPTO:
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
								  errmsg("could not derive the mynahoken keys with OpenSSL")));
			break;
		case LOAD_OK:
			break;
	}
}

static void
mh_load_keyring(void)
{
	load_result r;

	if (load_keyring(&r) != LOAD_OK)
		raise_load_error(&r);
}

/*
 * In the leader, before a parallel plan starts: load the keyring if needed
 * (without raising: the plan may not use it), and name the keys, or the
 * error, in the setting the workers receive.  "K:<handle>" or
 * "E:<error>:<status>:<line>:<version>:<errno>".
 */
static void
publish_for_workers(void)
{
	load_result r = {0};
	char	   *value;

	if (keyring_stale || !keyring_loaded)
		load_keyring(&r);
	if (keyring_loaded)
	{
		if (handoff_seg == NULL || handoff_generation != load_generation)
		{
			dsm_segment *seg = dsm_create(sizeof(handoff_keys), 0);
			handoff_keys *h = dsm_segment_address(seg);

			dsm_pin_mapping(seg);
			on_dsm_detach(seg, handoff_detached, (Datum) 0);
			h->active_version = active_version;
			memcpy(h->slot_used, slot_used, sizeof(slot_used));
			memcpy(h->slots, slots, sizeof(slots));
			handoff_release();
			handoff_seg = seg;
			handoff_generation = load_generation;
		}
		value = psprintf("K:%u", (unsigned int) dsm_segment_handle(handoff_seg));
	}
	else
	{
		handoff_release();
		value = psprintf("E:%d:%d:%d:%d:%d", (int) r.err, (int) r.pst, r.line,
						 r.changed, r.saved_errno);
	}
	if (handoff_setting == NULL || strcmp(handoff_setting, value) != 0)
	{
		handoff_setting_ours = true;
		PG_TRY();
		{
			(void) set_config_option("mynahoken.keyring_handoff", value, PGC_SUSET,
									 PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
		}
		PG_FINALLY();
		{
			handoff_setting_ours = false;
		}
		PG_END_TRY();
	}
	pfree(value);
}

/* In a parallel worker: the leader's keys, or the leader's error. */
static void
load_from_leader(void)
{
	unsigned int handle;
	int			e[5];

	wipe_all();
	if (sscanf(handoff_setting, "K:%u", &handle) == 1)
	{
		dsm_segment *seg = dsm_attach((dsm_handle) handle);
		handoff_keys *h;

		if (seg == NULL)
			mh_sensitive_ereport(ERROR,
								 (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
								  errmsg("could not attach to the parallel leader's mynahoken keyring")));
		h = dsm_segment_address(seg);
		active_version = h->active_version;
		memcpy(slot_used, h->slot_used, sizeof(slot_used));
		memcpy(slots, h->slots, sizeof(slots));
		dsm_detach(seg);
		if (!exit_hook_registered)
		{
			on_proc_exit(keyring_at_exit, (Datum) 0);
			exit_hook_registered = true;
		}
		keyring_loaded = true;
		keyring_stale = false;
	}
	else if (sscanf(handoff_setting, "E:%d:%d:%d:%d:%d", &e[0], &e[1], &e[2], &e[3], &e[4]) == 5)
	{
		load_result r = {(load_error) e[0], (mh_keyring_status) e[1], e[2], e[3], e[4]};

		raise_load_error(&r);
	}
	else
		mh_elog(ERROR, "invalid mynahoken.keyring_handoff");
}

static inline void
ensure_loaded(void)
{
	if (unlikely(keyring_stale || !keyring_loaded))
	{
		/*
		 * A worker whose leader had not loaded the library when the
		 * statement started (mynahoken not preloaded) reads the keyring
		 * itself, as the leader would.
		 */
		if (IsParallelWorker() && handoff_setting != NULL && handoff_setting[0] != '\0')
			load_from_leader();
		else
			mh_load_keyring();
	}
}

const mh_loaded_key *
mh_keyring_active(void)
{
	ensure_loaded();
	return &slots[active_version];
}

const mh_loaded_key *
mh_keyring_version(int version)
{
	ensure_loaded();
	/* the caller's number is named only when it is a possible version */
	if (version < 1 || version > MH_KEY_VERSION_MAX)
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							  errmsg("mynahoken key version must be between 1 and %d",
									 MH_KEY_VERSION_MAX)));
	if (!slot_used[version])
		mh_sensitive_ereport(ERROR,
							 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							  errmsg("mynahoken key version %d is not in the keyring", version),
							  errhint("mynahoken.keyring_versions() lists the loaded versions.")));
	return &slots[version];
}

int
mh_keyring_list(int versions[MH_KEY_VERSION_MAX], int *active)
{
	int			n = 0;

	ensure_loaded();
	for (int v = 1; v <= MH_KEY_VERSION_MAX; v++)
		if (slot_used[v])
			versions[n++] = v;
	*active = active_version;
	return n;
}
