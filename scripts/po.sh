#!/usr/bin/env bash
# The message catalogue po/ja.po against the messages of the sources.
#
#   bash scripts/po.sh           merge the freshly extracted messages into
#                                po/ja.po and list the msgids left to translate
#   bash scripts/po.sh --check   the same list, without touching po/ja.po
#
# The messages are those of the C code (errmsg, errdetail, errhint, and the
# texts marked gettext_noop, MH_N_, mh_gettext, mh_tr) and those of the SQL
# routines (scripts/sql_messages.py: raise_error, raise_notice,
# mynahoken.gettext).  Exits 1 when a message has no translation, has a fuzzy
# one, or when a message of the SQL files cannot be translated (composed
# without mynahoken.gettext).  To translate: run it, fill in the msgstr of
# the listed entries in po/ja.po (removing the "fuzzy" flag of those msgmerge
# guessed), run it again until it lists nothing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MH_ROOT"

check=0
[ "${1:-}" = "--check" ] && check=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mynahoken-po.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

rm -f po/mynahoken.pot po/sql-messages.pot
make -s po/mynahoken.pot PG_CONFIG="$(mh_pg_config)" >"$tmp/make.log" 2>&1 \
	|| { cat "$tmp/make.log" >&2; echo "error: message extraction failed" >&2; exit 1; }

msgmerge --quiet --no-wrap --previous --sort-by-file po/ja.po po/mynahoken.pot -o "$tmp/merged.po" \
	|| { echo "error: msgmerge failed" >&2; exit 1; }
msgattrib --no-wrap --no-obsolete "$tmp/merged.po" -o "$tmp/ja.po"
msgfmt --check -o /dev/null "$tmp/ja.po" || { echo "error: msgfmt --check failed" >&2; exit 1; }
[ $check -eq 1 ] || cp "$tmp/ja.po" po/ja.po

msgattrib --no-wrap --untranslated "$tmp/ja.po" -o "$tmp/untranslated.po"
msgattrib --no-wrap --only-fuzzy "$tmp/ja.po" -o "$tmp/fuzzy.po"
left=0
for kind in untranslated fuzzy; do
	n=$(grep -c '^msgid "[^"]' "$tmp/$kind.po" 2>/dev/null)
	[ "${n:-0}" -gt 0 ] || continue
	left=$((left + n))
	echo "$kind ($n):"
	grep '^msgid "[^"]' "$tmp/$kind.po" | sed 's/^msgid /  /'
done
translated=$(msgfmt --statistics -o /dev/null "$tmp/ja.po" 2>&1 | sed -n 's/^\([0-9]*\) translated.*/\1/p')
echo "po/ja.po: ${translated:-0} translated, $left to translate"
[ $left -eq 0 ]
