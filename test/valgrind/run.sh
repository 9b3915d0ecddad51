#!/usr/bin/env bash
# The installcheck suites (pg_regress: sql/, expected/; pgTAP: test/pgtap)
# once with the server under Valgrind memcheck, with PostgreSQL's own
# suppressions (src/tools/valgrind.supp).  Not part of scripts/test.sh (it
# takes most of an hour on two cores); run it with nice on a shared machine.
#
#   bash test/valgrind/run.sh
#   PG_VALGRIND_SUPP=/path/to/valgrind.supp bash test/valgrind/run.sh
#
# The suppressions file is not copied into this repository: it is taken from
# the source of the installed postgresql-15 (apt-get source, with a private
# deb-src list; cached in ${XDG_CACHE_HOME:-~/.cache}/mynahoken) unless
# PG_VALGRIND_SUPP names it.  The postmaster runs under
#   valgrind --tool=memcheck --trace-children=yes --leak-check=no
# so every backend (forked), parallel and background worker (pg_cron,
# autovacuum) and every program the server executes (a keyring command) is
# checked; one log per process in $MH_TMP/valgrind.  Leak checking is off
# (PostgreSQL frees by memory context, not by free()).
#
# Debian's postgres is not built with USE_VALGRIND: palloc, pfree and the
# memory contexts do not tell Valgrind where chunks begin and end, so an
# overrun inside a context's block, a read of a pfree'd chunk, or a read of
# palloc'd memory the context recycled is NOT reported.  What is reported:
# reads and jumps on never-written bytes (of malloc'd blocks, including
# fresh context blocks), invalid reads and writes outside malloc'd memory,
# and everything in memory from malloc (OpenSSL, libc), freed or not.
#
# Figures printed: files run, tests passed/failed (under Valgrind some may
# fail on time), Valgrind reports in total and reports with a frame in
# mynahoken.so.  Fails when a report has a mynahoken frame.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
cd "$MH_ROOT"

MH_PACKAGES="$MH_PACKAGES valgrind"
mh_ensure_packages

# --- PostgreSQL's suppressions ---------------------------------------------
supp=${PG_VALGRIND_SUPP:-}
if [ -z "$supp" ]; then
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/mynahoken"
	supp="$cache/postgresql-$MH_PGVER-valgrind.supp"
	if [ ! -s "$supp" ]; then
		mh_log "fetching src/tools/valgrind.supp from the Debian source of postgresql-$MH_PGVER"
		apt_dir=$(mktemp -d)
		mkdir -p "$apt_dir/lists/partial" "$apt_dir/src" "$cache"
		. /etc/os-release
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $VERSION_CODENAME main" \
			>"$apt_dir/sources.list"
		apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
			-o Dir::State::Lists="$apt_dir/lists")
		apt-get -qq "${apt_opts[@]}" update >/dev/null 2>&1 \
			&& (cd "$apt_dir/src" && apt-get -qq "${apt_opts[@]}" source --download-only "postgresql-$MH_PGVER" >/dev/null 2>&1) \
			|| mh_die "cannot download the source of postgresql-$MH_PGVER; set PG_VALGRIND_SUPP"
		tar -xjf "$apt_dir"/src/postgresql-"$MH_PGVER"_*.orig.tar.bz2 -C "$apt_dir/src" \
			--wildcards '*/src/tools/valgrind.supp'
		cp "$apt_dir"/src/postgresql-*/src/tools/valgrind.supp "$supp"
		rm -rf "$apt_dir"
	fi
fi
[ -s "$supp" ] || mh_die "no suppressions file: $supp"

# --- a cluster whose postmaster runs under Valgrind -------------------------
mh_build
if [ -z "${MH_TMP:-}" ]; then mh_make_tmp; fi
mkdir -p "$MH_TMP"
trap 'mh_stop_cluster; [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$MH_TMP"' EXIT
mh_private_install
MH_EXTRA_CONF="max_parallel_workers_per_gather = 2
log_line_prefix = '%m [%p] '" mh_start_cluster
mh_stop_cluster
vg="$MH_TMP/valgrind"
mkdir -p "$vg"
cp "$supp" "$MH_TMP/postgresql.supp"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$vg" "$MH_TMP/postgresql.supp"
mh_log "starting the server under valgrind"
mh_as_server valgrind --tool=memcheck --trace-children=yes --leak-check=no \
	--suppressions="$MH_TMP/postgresql.supp" --num-callers=40 --error-limit=no \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
	--log-file="$vg/%p.log" \
	"$MH_BINDIR/postgres" -D "$MH_TMP/data" >>"$MH_TMP/server.log" 2>&1 &
vgpid=$!
for _ in $(seq 1 300); do
	"$MH_BINDIR/pg_isready" -q -h "$MH_TMP/sock" && break
	sleep 1
done
"$MH_BINDIR/pg_isready" -q -h "$MH_TMP/sock" || { tail -n 30 "$MH_TMP/server.log" >&2; mh_die "server did not start under valgrind"; }
export PGHOST="$MH_TMP/sock" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres MH_BINDIR MH_TMP

# --- the suites ---------------------------------------------------------------
mh_log "pg_regress under valgrind"
make -s installcheck PG_CONFIG="$(mh_pg_config)" >"$MH_TMP/regress.log" 2>&1 || true
rfiles=$(grep -cE '\.\.\. (ok|FAILED|failed)' "$MH_TMP/regress.log" || true)
rp=$(grep -cE '\.\.\. ok' "$MH_TMP/regress.log" || true)
[ -f regression.diffs ] && cp regression.diffs "$MH_TMP/regression.diffs"

mh_log "pgTAP under valgrind"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE mynahoken_tap' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d mynahoken_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION mynahoken' >/dev/null
tapfiles=(test/pgtap/*.sql)
pg_prove --verbose -d mynahoken_tap "${tapfiles[@]}" >"$MH_TMP/pgtap.log" 2>&1 || true
tp=$(grep -cE '^ *ok [0-9]+' "$MH_TMP/pgtap.log" || true)
tf=$(grep -cE '^ *not ok [0-9]+' "$MH_TMP/pgtap.log" || true)

mh_stop_cluster
wait "$vgpid" || true

# --- the reports ----------------------------------------------------------------
# One report is the text between VALGRINDERROR-BEGIN and -END of a log; it
# is in mynahoken's frames when a frame names mynahoken.so or a function
# defined in it (with debug information, Valgrind prints "fn (file.c:N)").
nm --defined-only "$MH_TMP/inst/usr/lib/postgresql/$MH_PGVER/lib/mynahoken.so" \
	| awk '$2 ~ /^[TtWw]$/ { print $3 }' >"$MH_TMP/mynahoken-symbols"
awk -v out="$MH_TMP/valgrind-reports.txt" '
	FNR == NR { sym[$1] = 1; next }
	/VALGRINDERROR-BEGIN/ { inrep = 1; ours = 0; rep = FILENAME "\n"; next }
	/VALGRINDERROR-END/ { if (inrep) { total++; if (ours) { mh++; print rep > out } }
	                      inrep = 0; next }
	inrep {
		rep = rep $0 "\n"
		if ($0 ~ /mynahoken\.so/) ours = 1
		if (match($0, /(at|by) 0x[0-9A-F]+: [A-Za-z_0-9]+/)) {
			f = substr($0, RSTART, RLENGTH); sub(/.*: /, "", f)
			if (f in sym) ours = 1
		}
	}
	END { printf "%d %d\n", total, mh }' "$MH_TMP/mynahoken-symbols" "$vg"/*.log >"$MH_TMP/valgrind-counts" </dev/null
read -r total mh <"$MH_TMP/valgrind-counts"
procs=$(ls "$vg" | wc -l)
{
	echo "pg_regress: $rfiles files, $rp passed"
	echo "pgTAP: ${#tapfiles[@]} files, $tp tests passed, $tf failed"
	echo "valgrind: $procs processes checked, $total reports, $mh with a frame in mynahoken.so"
	echo "reports by kind and first named frame of PostgreSQL (padding of WAL and relcache writes: PostgreSQL's, suppressed where its binary has symbols):"
	awk '/VALGRINDERROR-BEGIN/ { inrep = 1; kind = ""; fr = ""; next }
		/VALGRINDERROR-END/ { inrep = 0; print "  " kind " | " fr; next }
		inrep && kind == "" { sub(/^==[0-9]+== /, ""); gsub(/\(0x[0-9a-f]+, 0x[0-9a-f]+, [0-9]+\)/, ""); kind = $0; next }
		inrep && fr == "" && /by 0x/ && !/libc|write|_IO_|fwrite|pwrite|\?\?\?/ {
			sub(/^==[0-9]+== +by 0x[0-9A-F]+: /, ""); sub(/ \(in .*/, ""); fr = $0 }' "$vg"/*.log </dev/null | sort | uniq -c | sort -rn
	echo "suppressions: $supp ($(grep -c '^{' "$supp") entries)"
} | tee "$MH_TMP/valgrind-summary.txt"
[ "$mh" -eq 0 ]
