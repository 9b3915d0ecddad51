#!/usr/bin/env bash
# The holiday calendar (sql/install/45_holidays.sql) year by year, 1955-2027,
# against public datasets:
#   1970-2027  @holiday-jp/holiday_jp 2.5.1 (npm, MIT; the Cabinet Office list),
#              kept as test/fixtures/holidays/holiday_jp-2.5.1.tsv;
#   1955-1969  python3-holidays (Debian; holiday_jp starts in 1970), with its two
#              known errors for those years corrected here, each with its law:
#              建国記念の日 (2/11) exists only from 1967 (昭和41年法律第86号), and
#              1959-04-10 is a 休日 (昭和34年法律第16号, 皇太子明仁親王の結婚の儀).
# Also is_holiday() and next_open_day() over every day of 1955-2027 agree with
# the table.  Prints TAP.  Needs PGHOST, MH_BINDIR and MH_TMP (scripts/test.sh).
set -uo pipefail
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$MH_TMP/holidays.$$"
db=mh_holidays_$$
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

# The reference, one day per line.
cut -f1 "$root/test/fixtures/holidays/holiday_jp-2.5.1.tsv" >"$work/ref.1970"
/usr/bin/python3 - >"$work/ref.1955" 2>"$work/py.err" <<'PY'
import datetime, holidays
for y in range(1955, 1970):
    days = set(holidays.Japan(years=y))
    if y < 1967:
        days.discard(datetime.date(y, 2, 11))       # 建国記念の日 from 1967
    if y == 1959:
        days.add(datetime.date(1959, 4, 10))         # 昭和34年法律第16号
    for d in sorted(days):
        print(d.isoformat())
PY
tap $? "python3-holidays gives the reference for 1955-1969" "$work/py.err"
sort "$work/ref.1955" "$work/ref.1970" >"$work/ref"

q "$db" -c "SELECT to_char(day, 'YYYY-MM-DD') FROM mynahoken.public_holiday
             WHERE day BETWEEN '1955-01-01' AND '2027-12-31' ORDER BY 1" >"$work/ours"
for y in $(seq 1955 2027); do
	grep "^$y-" "$work/ref" >"$work/r" || true
	grep "^$y-" "$work/ours" >"$work/o" || true
	diff "$work/r" "$work/o" >"$work/d"
	tap $? "$y: the $(wc -l <"$work/o") holidays equal the reference ($(wc -l <"$work/r"))" "$work/d"
done

# The functions agree with the table on every day.
q "$db" -c "
SELECT count(*) FROM generate_series(date '1955-01-01', '2027-12-31', '1 day') AS g (d)
 WHERE mynahoken.is_holiday(d::date) <> EXISTS (SELECT FROM mynahoken.public_holiday h WHERE h.day = d::date)" >"$work/c" 2>&1
[ "$(cat "$work/c")" = 0 ]
tap $? "is_holiday() agrees with the table on every day of 1955-2027" "$work/c"
q "$db" -c "
SELECT count(*) FROM generate_series(date '1990-01-01', '2027-12-10', '1 day') AS g (d)
 WHERE mynahoken.next_open_day(d::date) <>
       (SELECT min(x) FROM generate_series(d::date, d::date + 20, '1 day') AS x
         WHERE extract(isodow FROM x) < 6 AND to_char(x, 'MMDD') BETWEEN '0104' AND '1228'
           AND NOT EXISTS (SELECT FROM mynahoken.public_holiday h WHERE h.day = x::date))" >"$work/c" 2>&1
[ "$(cat "$work/c")" = 0 ]
tap $? "next_open_day() is the first day from it that is no weekend, holiday or 12/29-1/3 (1990-2027)" "$work/c"

echo "1..$n"
