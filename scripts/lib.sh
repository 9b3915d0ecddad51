# Shared shell functions for scripts/demo.sh, scripts/test.sh and bench/run.sh.
# Sourced, not run.  Every function is safe to call on a fresh Debian 12
# machine as root and on a developer's machine that already has everything.

MH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MH_PGVER=15
MH_PACKAGES="postgresql-$MH_PGVER postgresql-server-dev-$MH_PGVER libssl-dev \
postgresql-$MH_PGVER-pgtap postgresql-$MH_PGVER-cron libtap-parser-sourcehandler-pgtap-perl \
clang libclang-rt-14-dev make gcc openssl libdbd-pg-perl python3-holidays \
gettext locales python3-jsonschema \
postgresql-server-dev-all debhelper dpkg-dev fakeroot lintian sqlsmith python3-cryptography \
nodejs npm"

mh_log() { printf '==> %s\n' "$*" >&2; }
mh_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Install the Debian packages that are missing (needs root when any is).
# npm counts as present when the command is there: NodeSource's nodejs
# package provides it (and conflicts with Debian's npm).
mh_ensure_packages() {
	local missing="" p
	for p in $MH_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
			|| { [ "$p" = npm ] && command -v npm >/dev/null; } \
			|| missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || mh_die "missing packages:$missing (run as root to install them)"
	mh_log "installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || mh_die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null \
		|| mh_die "apt-get install failed for:$missing"
}

# The Japanese locale of the message test (lc_messages = 'ja_JP.UTF-8'),
# generated as root before a server starts: a running server does not see a
# locale generated after it.
mh_ensure_locale() {
	locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' && return 0
	[ "$(id -u)" -eq 0 ] || { mh_log "no locale ja_JP.UTF-8 (run as root to generate it)"; return 0; }
	mh_log "generating the locale ja_JP.UTF-8"
	localedef -i ja_JP -c -f UTF-8 ja_JP.UTF-8 || mh_die "localedef ja_JP.UTF-8 failed"
}

mh_bindir() { "$(mh_pg_config)" --bindir; }
mh_pg_config() { echo "/usr/lib/postgresql/$MH_PGVER/bin/pg_config"; }

mh_build() {
	mh_log "building"
	make -s -C "$MH_ROOT" PG_CONFIG="$(mh_pg_config)" all >/dev/null || mh_die "build failed"
}

# Commands that must not run as root (initdb, postgres) run as "postgres".
mh_as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Private installation: a copy of the PostgreSQL tree with mynahoken installed
# into it, so that concurrent runs (CI, developers, benchmarks) never share or
# overwrite each other's shared library.  PostgreSQL finds its share and lib
# directories relative to its binaries, so the copy is self-contained.
# Sets MH_BINDIR.
mh_private_install() {
	local inst="$MH_TMP/inst"
	mh_log "installing into a private copy of PostgreSQL $MH_PGVER"
	mkdir -p "$inst/usr/lib/postgresql" "$inst/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$MH_PGVER" "$inst/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$MH_PGVER" "$inst/usr/share/postgresql/"
	# PostgreSQL's own message catalogues, beside mynahoken's (lc_messages)
	local mo
	for mo in /usr/share/locale/*/LC_MESSAGES/postgres-$MH_PGVER.mo; do
		[ -f "$mo" ] || continue
		mkdir -p "$inst$(dirname "$mo")" && cp "$mo" "$inst$mo"
	done
	make -s -C "$MH_ROOT" PG_CONFIG="$(mh_pg_config)" install DESTDIR="$inst" >/dev/null \
		|| mh_die "make install failed"
	MH_BINDIR="$inst/usr/lib/postgresql/$MH_PGVER/bin"
}

# System installation, for the demo: CREATE EXTENSION works in any cluster.
mh_system_install() {
	mh_log "installing mynahoken into PostgreSQL $MH_PGVER"
	make -s -C "$MH_ROOT" PG_CONFIG="$(mh_pg_config)" install >/dev/null || mh_die "make install failed"
	MH_BINDIR=$(mh_bindir)
}

# A test keyring of My Number tokens in $MH_TMP/keyring: two versions, 2
# active, owned by the server user, mode 0600.  Fixed test keys, never for
# real data (doc/tokens.md).  Prints the file name.
mh_write_test_keyring() {
	local f="$MH_TMP/keyring"
	install -m 600 "$MH_ROOT/test/fixtures/keyring/test_keyring" "$f"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$f"
	echo "$f"
}

# A throwaway cluster in $MH_TMP, reachable only through a Unix socket in
# $MH_TMP/sock (no TCP port, so no clash with a running server).
# Sets and exports PGHOST, PGPORT, PGUSER, PGDATABASE.
mh_start_cluster() {
	local data="$MH_TMP/data"
	mkdir -p "$MH_TMP/sock"
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$MH_TMP"
	chmod 755 "$MH_TMP"
	mh_log "starting a throwaway cluster in $MH_TMP"
	mh_as_server "$MH_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$MH_TMP/initdb.log" 2>&1 \
		|| { cat "$MH_TMP/initdb.log" >&2; mh_die "initdb failed"; }
	cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$MH_TMP/sock'
shared_preload_libraries = 'pg_cron,mynahoken,pg_stat_statements'
cron.database_name = 'postgres'
cron.host = '$MH_TMP/sock'
timezone = 'Asia/Tokyo'
fsync = off
logging_collector = off
log_min_error_statement = error
max_parallel_workers_per_gather = 2
mynahoken.keyring_file = '$(mh_write_test_keyring)'
CONF
	if [ -n "${MH_EXTRA_CONF:-}" ]; then printf '%s\n' "$MH_EXTRA_CONF" >>"$data/postgresql.conf"; fi
	mh_as_server "$MH_BINDIR/pg_ctl" -D "$data" -l "$MH_TMP/server.log" -w -t 60 start >/dev/null \
		|| { cat "$MH_TMP/server.log" >&2; mh_die "server did not start"; }
	export PGHOST="$MH_TMP/sock" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

mh_stop_cluster() {
	[ -d "$MH_TMP/data" ] || return 0
	mh_as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
}

# The demo database DB: mynahoken, a search_path that finds the extension first
# and then the demo's tables, the synthetic insurer of demo/insurer.sql with
# MEMBERS members, and what demo/queries/*.sql print and leave behind (a
# registered member source, issuance runs, a linkage check).  The queries'
# output goes to stdout.  scripts/demo.sh and the doc test
# (test/scripts/80_docs.sh) build their database with it.
MH_DEMO_SEARCH_PATH='mynahoken, demo, "$user", public'
mh_demo_database() {	# mh_demo_database DB MEMBERS
	local db=$1 members=$2 q
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" >/dev/null || return 1
	# dblink: schedule_issuance() reaches pg_cron in cron.database_name with it
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION mynahoken' -c 'CREATE EXTENSION dblink' \
		-c "ALTER DATABASE $db SET search_path = $MH_DEMO_SEARCH_PATH" >/dev/null || return 1
	mh_log "loading a synthetic insurer with $members members"
	psql -X -q -v ON_ERROR_STOP=1 -v members="$members" -d "$db" -f "$MH_ROOT/demo/insurer.sql" >/dev/null \
		|| return 1
	for q in "$MH_ROOT"/demo/queries/*.sql; do
		psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$db" -f "$q" \
			|| { mh_log "demo query $q failed"; return 1; }
	done
}

# A fresh temporary directory the server user can use.
mh_make_tmp() {
	MH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mynahoken.XXXXXX")
	export MH_TMP
}
