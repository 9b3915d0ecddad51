#!/usr/bin/env bash
# The Debian package (debian/): built from a copy of the sources with
# dpkg-buildpackage -us -uc -b (pg_buildext), checked by lintian (no error),
# installed into the system with apt, then used with the system's
# PostgreSQL 15 alone: a fresh cluster creates the extension from the
# packaged files and answers in Japanese from the packaged catalogue, and
# make installcheck runs pg_regress on a temporary instance of the installed
# PostgreSQL (the Makefile's --temp-instance with the preload and a test
# keyring).  The package stays installed.  Needs root (apt) and MH_TMP.
# Prints TAP.
set -uo pipefail
: "${MH_TMP:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/scripts/lib.sh"
work="$MH_TMP/package.$$"
bindir=/usr/lib/postgresql/$MH_PGVER/bin
mkdir -p "$work"

n=0
tap() {	# tap RC DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | tail -n 30
	fi
}
cleanup() {
	[ -d "$work/data" ] && runuser -u postgres -- "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - the package test installs into the system and needs root"
	echo "1..1"; exit 1
fi

version=$(cd "$root" && dpkg-parsechangelog -S Version)
deb="$work/postgresql-$MH_PGVER-mynahoken_${version}_$(dpkg --print-architecture).deb"

# The sources as committed or added (no build products), with debian/.
src="$work/mynahoken-$version"
mkdir -p "$src"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$src"
(cd "$src" && nice dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 && [ -f "$deb" ]
tap $? "dpkg-buildpackage -us -uc -b builds postgresql-$MH_PGVER-mynahoken $version" "$work/build.log"

# lintian: errors fail; warnings and notes are listed (doc/package.md).
lintian --color never "$work"/mynahoken_"${version}"_*.changes >"$work/lintian.log" 2>&1
! grep -q '^E: ' "$work/lintian.log"
tap $? "lintian reports no error" "$work/lintian.log"
grep -E '^[WIP]: ' "$work/lintian.log" | sed 's/^/# lintian: /'

# --reinstall: a package of the same version already installed (an earlier
# run) is replaced, so the files tested below are the ones just built.
extver=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/mynahoken.control")
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall --no-install-recommends --allow-downgrades \
	"$deb" >"$work/apt.log" 2>&1 \
	&& dpkg-query -W -f='${Status} ${Version}\n' "postgresql-$MH_PGVER-mynahoken" | grep -qx "install ok installed $version" \
	&& cmp "$src/debian/postgresql-$MH_PGVER-mynahoken/usr/share/postgresql/$MH_PGVER/extension/mynahoken--$extver.sql" \
		"/usr/share/postgresql/$MH_PGVER/extension/mynahoken--$extver.sql" >>"$work/apt.log" 2>&1
tap $? "apt installs the package just built into the system" "$work/apt.log"

# A fresh cluster of the system's PostgreSQL, with the packaged extension.
install -d -o postgres "$work/sock" "$work/conf" "$work/data"
install -m 600 -o postgres "$root/test/fixtures/keyring/test_keyring" "$work/conf/keyring"
runuser -u postgres -- "$bindir/initdb" -D "$work/data" -U postgres -A trust -E UTF8 \
	--locale=C.UTF-8 --no-sync >"$work/initdb.log" 2>&1 && cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work/sock'
shared_preload_libraries = 'mynahoken'
mynahoken.keyring_file = '$work/conf/keyring'
CONF
runuser -u postgres -- "$bindir/pg_ctl" -D "$work/data" -l "$work/conf/server.log" -w -t 60 start >"$work/start.log" 2>&1 \
	|| cat "$work/initdb.log" "$work/start.log" "$work/conf/server.log" >"$work/create.log" 2>/dev/null
psql_pkg() { "$bindir/psql" -X -q -A -t -h "$work/sock" -U postgres -d postgres "$@"; }
got=$(psql_pkg -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION mynahoken' \
	-c "SELECT extversion FROM pg_extension WHERE extname = 'mynahoken'" 2>>"$work/create.log")
want=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/mynahoken.control")
[ "$got" = "$want" ]
tap $? "a fresh cluster of the system's PostgreSQL $MH_PGVER creates the packaged extension ($got)" "$work/create.log"

PGOPTIONS="-c lc_messages=ja_JP.UTF-8" psql_pkg -c "SELECT '1234'::mynahoken.insurer_number" >"$work/ja.log" 2>&1
grep -qF "insurer_number型の入力構文が不正です" "$work/ja.log"
tap $? "the packaged catalogue answers in Japanese" "$work/ja.log"

# pg_regress against the installed files, on its own temporary instance, as
# the server's user (initdb refuses root).
chown -R postgres: "$src"
runuser -u postgres -- make -C "$src" -s installcheck PG_CONFIG="$bindir/pg_config" >"$work/installcheck.log" 2>&1
rc=$?
[ $rc -ne 0 ] && [ -f "$src/test/regress/regression.diffs" ] && head -n 60 "$src/test/regress/regression.diffs" >>"$work/installcheck.log"
tap $rc "make installcheck passes against the packaged files ($(grep -cE '\.\.\. ok' "$work/installcheck.log") tests)" "$work/installcheck.log"

echo "1..$n"
