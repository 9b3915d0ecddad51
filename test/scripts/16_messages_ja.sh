#!/usr/bin/env bash
# Japanese messages (po/ja.po, text domain mynahoken-15): a sample of errors
# of each kind under lc_messages = 'ja_JP.UTF-8' (C messages, status texts of
# the core, decisions, literal and composed messages of the SQL routines, a
# NOTICE), the same error in English under lc_messages = 'C', the IMMUTABLE
# *_problem functions in English whatever lc_messages says, and the catalogue
# against the freshly extracted messages: none untranslated, none fuzzy
# (scripts/po.sh --check).  Needs the locale ja_JP.UTF-8 (scripts/lib.sh,
# mh_ensure_locale).  Prints TAP.  Needs PGHOST, MH_BINDIR and MH_TMP.
set -uo pipefail
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$MH_TMP/messages_ja.$$"
db=mh_messages_ja_$$
mkdir -p "$work"
q() { "$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$@"; }
cleanup() { q postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

n=0
tap() {	# tap RC DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -n 20
	fi
}

q postgres -c "CREATE DATABASE $db" >/dev/null && q "$db" -c "CREATE EXTENSION mynahoken" >/dev/null
tap $? "a database with mynahoken"

# run LC_MESSAGES SQL: what the server answers (errors and notices), in $work/out
run() {
	PGOPTIONS="-c lc_messages=$1" "$MH_BINDIR/psql" -X -q -A -t -d "$db" -c "$2" >"$work/out" 2>&1
}
# says LC_MESSAGES DESCRIPTION SQL TEXT...: each TEXT is in the answer
says() {
	local lc=$1 what=$2 sql=$3 rc=0 t
	shift 3
	run "$lc" "$sql"
	for t in "$@"; do grep -qF -- "$t" "$work/out" || { rc=1; echo "expected: $t" >>"$work/out"; }; done
	tap $rc "$what" "$work/out"
}

ja=ja_JP.UTF-8
says $ja "C: errmsg and a DETAIL of two sentences of an identifier" \
	"SELECT '1234'::mynahoken.insurer_number" \
	"insurer_number型の入力構文が不正です" "値が 4 桁です。保険者番号は 8 桁です（国民健康保険は 6 桁）。"
says $ja "C: a status text of the core in the message, and a DETAIL with a number" \
	"SELECT mynahoken.tokenize('12345')" \
	"不正なマイナンバー: 桁数の誤り" "マイナンバーは 12 桁ですが、入力は 5 桁です。"
says $ja "C: a decision refused, with the legal terms" \
	"SELECT mynahoken.legacy_card_valid('kyokai_kenpo', '2025-06-01', '2020-04-01', '2019-04-01', '2020-04-01', NULL)" \
	"資格を取得する前に喪失しています" "資格喪失日が資格取得日より前です。"
says $ja "C: a status text of the core as DETAIL" \
	"SELECT 'mnt1:AAAA'::mynahoken.mynumber_token" \
	"mynumber_token型の入力構文が不正です" "コロンの後の部分の長さが誤っています。"
says $ja "SQL: a literal message of raise_error" \
	"SELECT mynahoken.mark_recall_returned(-1)" \
	"回収のお願いが存在しません"
says $ja "SQL: a message composed with format() after mynahoken.gettext" \
	"SELECT mynahoken.linkage_case_assign(-1, 'postgres')" \
	"紐付け点検の案件 -1 は存在しません"
says $ja "SQL: message, DETAIL and HINT of raise_error" \
	"SELECT mynahoken.raise_error('22023', 'member keys look like My Numbers', detail => pg_catalog.format(mynahoken.gettext('%s of %s member keys read as My Numbers (12 digits with a valid check digit).'), 9, 10), hint => 'Use the insurer''s own member identifier as member_key, never the 個人番号.')" \
	"加入者キーがマイナンバーのように見えます" \
	"加入者キー 10 件のうち 9 件がマイナンバー（検査用数字が正しい 12 桁）として読めます。" \
	"member_key には保険者独自の加入者識別子を使い、個人番号は決して使わないでください。"
says $ja "SQL: a NOTICE of raise_notice" \
	"SELECT mynahoken.raise_notice('legal parameter recorded')" \
	"法令パラメータを記録しました"
says C "the same error in English under lc_messages = 'C'" \
	"SELECT '1234'::mynahoken.insurer_number" \
	"invalid input syntax for type insurer_number" \
	"The value has 4 digits. An insurer number has 8 digits, or 6 for National Health Insurance (国民健康保険)."
says $ja "an IMMUTABLE *_problem function answers in English under Japanese messages" \
	"SELECT mynahoken.insurer_number_problem('1234')" \
	"The value has 4 digits. An insurer number has 8 digits, or 6 for National Health Insurance (国民健康保険)."

# The catalogue against the messages extracted from the sources now.
bash "$root/scripts/po.sh" --check >"$work/po" 2>&1
tap $? "po/ja.po translates every message of the sources, none fuzzy ($(tail -n 1 "$work/po"))" "$work/po"

# A message composed without mynahoken.gettext cannot be translated: refused.
cat >"$work/composed.sql" <<'SQL'
CREATE FUNCTION mynahoken.f(x int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mynahoken.raise_error('22023', pg_catalog.format('value %s is wrong', x));
END
$$;
SQL
python3 "$root/scripts/sql_messages.py" "$work/composed.sql" >/dev/null 2>"$work/composed.err"
[ $? -ne 0 ] && grep -q 'composed without mynahoken.gettext' "$work/composed.err"
tap $? "the extraction refuses a message composed with format() but not translated" "$work/composed.err"

echo "1..$n"
