#!/usr/bin/env bash
# Docs that run: every ```sql block of README.md, doc/*.md and doc/ja/*.md runs
# against the demo database, built as scripts/demo.sh builds it
# (mh_demo_database: demo/insurer.sql, then demo/queries/*.sql), with
# DOC_MEMBERS members (default 10000).  One TAP test per block, named
# file:line; a failure names the line of the statement and its error.  How
# blocks run and how a block declares its setup, an expected SQLSTATE or that
# it is not run: test/scripts/lib/doc_blocks.py and doc/architecture.md,
# "Docs that run".  Needs PGHOST and MH_TMP (scripts/test.sh).
#
#   DOC_FILES="doc/rules.md doc/ja/rules.md" bash test/scripts/80_docs.sh   some pages only
#   DOC_REUSE_DEMO=1 ...      keep the demo database for the next run, and use it if it is there
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
cd "$MH_ROOT"

DB=insurer
CRON_DB=$(psql -X -qAt -d postgres -c "SELECT current_setting('cron.database_name', true)")
CRON_DB=${CRON_DB:-postgres}
work="$MH_TMP/docs"
rm -rf "$work"; mkdir -p "$work"
# psql runs in a scratch directory (\copy writes files there) that shows the
# repository's test/ as the docs' "from the repository root" expects.
ln -s "$MH_ROOT/test" "$work/test"

if [ -n "${DOC_FILES:-}" ]; then
	read -r -a files <<<"$DOC_FILES"
else
	shopt -s nullglob
	files=(README.md doc/*.md doc/ja/*.md)
	shopt -u nullglob
fi

reuse=${DOC_REUSE_DEMO:-0}
if [ "$reuse" = 1 ] && [ "$(psql -X -qAt -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
	:
elif ! { psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	mh_demo_database "$DB" "${DOC_MEMBERS:-10000}" >"$work/demo.log" 2>&1; }; then
	echo "not ok 1 - the demo database builds"
	sed 's/^/#   /' "$work/demo.log" | tail -n 30
	exit 1
fi

# pg_cron examples run in the pg_cron database, in a transaction rolled back;
# the extensions are removed again if this script created them there.
q() { psql -X -qAt -d "$CRON_DB" -c "$1" 2>&1; }
had_cron=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
had_mh=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'mynahoken'")
q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS mynahoken" >/dev/null

PGOPTIONS="${PGOPTIONS:-} -c statement_timeout=300s" \
	python3 test/scripts/lib/doc_blocks.py --template "$DB" --search-path "$MH_DEMO_SEARCH_PATH" \
	--cron-db "$CRON_DB" --workdir "$work" --root "$MH_ROOT" "${files[@]}"
rc=$?

[ "$had_mh" = 1 ] || q "DROP EXTENSION mynahoken" >/dev/null
[ "$had_cron" = 1 ] || q "DROP EXTENSION pg_cron" >/dev/null
[ "$reuse" = 1 ] || psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
exit $rc
