#!/usr/bin/env bash
# The legal calendar survives pg_dump and restore (doc/decisions.md, "Backups").
#
# An insurer records a source and a parameter of its own and supersedes
# shipped values (in full and for part of their decision days); the database
# is dumped (custom format, restored with pg_restore; plain format, restored
# with psql) into fresh databases where CREATE EXTENSION seeds the shipped
# calendar again.  The calendar, the stored rows, the id sequences and the
# decisions must come back exactly.  Prints TAP.
#
# Needs a running server (PGHOST, PGPORT, PGUSER) and MH_BINDIR, MH_TMP, as
# set by scripts/test.sh.
set -uo pipefail
# Recording reports what each entry supersedes and masks (NOTICE); the output compared here is data.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
: "${MH_BINDIR:?}" "${MH_TMP:?}" "${PGHOST:?}"

src=mh_dump_src_$$
fresh=mh_dump_fresh_$$
dst_c=mh_dump_custom_$$
dst_p=mh_dump_plain_$$
work="$MH_TMP/calendar_dump.$$"
mkdir -p "$work"
[ "$(id -u)" -eq 0 ] && chmod 777 "$work"

q() {	# q DB SQL: run SQL, unaligned output, stop on error
	"$MH_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
cleanup() {
	for db in "$src" "$fresh" "$dst_c" "$dst_p"; do
		"$MH_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT

n=0
tap() {	# tap OK DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -n 40
	fi
}
same() {	# same FILE1 FILE2 DESCRIPTION
	diff -u "$1" "$2" >"$work/diff" 2>&1
	tap $? "$3" "$work/diff"
}

for db in "$src" "$fresh"; do
	q postgres "CREATE DATABASE $db" >/dev/null || exit 1
	q "$db" "CREATE EXTENSION mynahoken" >/dev/null || exit 1
done

# The insurer's own calendar: a source, a parameter, and supersessions of
# shipped values (all categories and one category; in full and in part),
# one of them superseded again.
q "$src" "
INSERT INTO mynahoken.legal_source (code, kind, title, issuer, issued_on)
VALUES ('city-2026-01', 'insurer_decision', '資格確認書の有効期間について (city decision)', 'Example City', '2026-01-10');
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('city_certificate_mailing_days', 'int', 'days', 'Days before expiry the city mails the new 資格確認書');
SELECT mynahoken.record_legal_parameter('city_certificate_mailing_days', NULL, '(,)', '30',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-10', reason => 'example: recorded late');
SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2026-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-10', reason => 'example: recorded late');
SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2026-10-01,)', '24',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-02-01', reason => 'example: recorded late');
SELECT mynahoken.record_legal_parameter('expired_card_acceptance', 'municipal_nhi', '[2026-04-01,)',
         '[2025-08-01,2026-09-30]', (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mhlw-2025-06-27'),
         '2026-03-20', false, 'Example extension', reason => 'example: recorded late');
SELECT mynahoken.record_legal_parameter('ecert_grace_months', NULL, '(,)', '4',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-05-01', reason => 'example: recorded late');
SELECT mynahoken.record_legal_change_set(current_date, '[
  {\"name\": \"certificate_term_months\", \"insurer\": \"138016\", \"valid\": \"[2027-04-01,)\", \"value\": \"36\", \"source\": \"city-2026-01\", \"keep_own\": true},
  {\"name\": \"certificate_renewal_month\", \"insurer\": \"138016\", \"valid\": \"[2027-04-01,)\", \"value\": \"4\", \"source\": \"city-2026-01\"}]');
" >/dev/null || exit 1

# What must come back: the calendar, the stored rows, the sequences and
# decisions over every category, several days and knowledge days.
snapshot() {	# snapshot DB FILE
	{
		q "$1" "SELECT c.* FROM mynahoken.legal_calendar c ORDER BY name, scope NULLS FIRST, recorded, valid"
		q "$1" "SELECT e.* FROM mynahoken.legal_parameter_entry e ORDER BY parameter_id"
		q "$1" "SELECT s.* FROM mynahoken.legal_source s ORDER BY source_id"
		q "$1" "SELECT d.* FROM mynahoken.legal_parameter_def d ORDER BY name"
		q "$1" "SELECT c.* FROM mynahoken.legal_change_set c ORDER BY change_set_id"
		q "$1" "SELECT 'seq', last_value, is_called FROM mynahoken.legal_parameter_id_seq
		        UNION ALL SELECT 'seq', last_value, is_called FROM mynahoken.legal_source_id_seq
		        UNION ALL SELECT 'seq', last_value, is_called FROM mynahoken.legal_change_set_id_seq"
	} >"$2.calendar" 2>&1
	q "$1" "
SET datestyle = 'ISO, YMD';
SELECT c, d, k,
       mynahoken.certificate_valid_until(c, d, k),
       mynahoken.legacy_card_accepted(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31', k),
       mynahoken.myna_usable_until(c, '2026-02-15', k),
       mynahoken.accepted_documents(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31', true,
                                    '2024-01-10', NULL, '2026-02-15', NULL, true, k)
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c,
       unnest(ARRAY[date '2026-03-31', '2026-04-01', '2026-06-15', '2026-09-30', '2026-10-01', '2027-01-01']) AS d,
       unnest(ARRAY[NULL, date '2026-01-09', '2026-01-10', '2026-03-20', '2026-04-30']) AS k
 ORDER BY 1, 2, 3 NULLS FIRST;
SELECT mynahoken.legal_value_int('city_certificate_mailing_days', '2026-06-01');
SELECT mynahoken.explain_certificate_valid_until('municipal_nhi', '2026-10-15');
SELECT mynahoken.explain_legacy_card('municipal_nhi', '2026-06-15', '2020-04-01', NULL, '2024-08-01', '2025-07-31');
SELECT mynahoken.transition_rules_for_insurer(i::mynahoken.insurer_number, '2027-05-01')
  FROM unnest(ARRAY['138016', '138024']) AS i;
" >"$2.decisions" 2>&1
}

snapshot "$src" "$work/src"
snapshot "$fresh" "$work/fresh"
grep -q 'city_certificate_mailing_days' "$work/src.calendar" && ! cmp -s "$work/src.decisions" "$work/fresh.decisions"
tap $? "the insurer's values change the calendar and the decisions (the comparisons below can fail)"

# Custom format through pg_restore, plain format through psql.
"$MH_BINDIR/pg_dump" -Fc -f "$work/src.dump" "$src" 2>"$work/dump.err"
tap $? "pg_dump -Fc of the insurer's database" "$work/dump.err"
"$MH_BINDIR/pg_dump" -Fp -f "$work/src.sql" "$src" 2>"$work/dump.err"
tap $? "pg_dump -Fp of the insurer's database" "$work/dump.err"

# The dump holds the insurer's rows only: 1 source, 1 definition, 7 values
# (two of them for one insurer, in one change set), 6 change sets.
"$MH_BINDIR/pg_restore" -a -f - "$work/src.dump" 2>"$work/list.err" | awk '
	/^COPY mynahoken\.legal_/ { t = $2; next }
	/^\\\.$/ { t = ""; next }
	t != "" { rows[t]++ }
	END { printf "%d %d %d %d\n", rows["mynahoken.legal_source"], rows["mynahoken.legal_parameter_def"],
	             rows["mynahoken.legal_parameter_entry"], rows["mynahoken.legal_change_set"] }' >"$work/rows"
[ "$(cat "$work/rows")" = "1 1 7 6" ]
tap $? "the dump holds only the insurer's rows (sources, definitions, values, change sets: $(cat "$work/rows"), want 1 1 7 6)"

# A restore of a mynahoken database runs without a single error: seeded rows
# of every extension table are left out of the dump.
restored() {	# restored LOG DESCRIPTION
	if grep -qE 'error|ERROR' "$1"; then
		grep -E 'error|ERROR' "$1" | sed 's/^/# /' | head -n 5
		tap 1 "$2" "$1"
	else
		tap 0 "$2"
	fi
}
q postgres "CREATE DATABASE $dst_c" >/dev/null
"$MH_BINDIR/pg_restore" -d "$dst_c" "$work/src.dump" >"$work/restore_c.log" 2>&1
restored "$work/restore_c.log" "pg_restore into a new database (CREATE EXTENSION seeds, then the insurer's rows): no error"
q postgres "CREATE DATABASE $dst_p" >/dev/null
"$MH_BINDIR/psql" -X -q -d "$dst_p" -f "$work/src.sql" >"$work/restore_p.log" 2>&1
restored "$work/restore_p.log" "psql -f of the plain dump into a new database: no error"

for kind in custom plain; do
	db=$dst_c
	[ "$kind" = plain ] && db=$dst_p
	snapshot "$db" "$work/$kind"
	same "$work/src.calendar" "$work/$kind.calendar" \
		"$kind: the calendar view, the stored rows and the id sequences are the same after restore"
	same "$work/src.decisions" "$work/$kind.decisions" \
		"$kind: decisions and explanations, now and as known on earlier days, are the same after restore"
done

# Recording goes on after the restore as before it: the next ids, and the
# order check against the restored rows.
a=$(q "$src" "SELECT mynahoken.record_legal_parameter('ecert_grace_months', NULL, '(,)', '5',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-06-01', reason => 'example: recorded late')" 2>&1)
b=$(q "$dst_c" "SELECT mynahoken.record_legal_parameter('ecert_grace_months', NULL, '(,)', '5',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-06-01', reason => 'example: recorded late')" 2>&1)
[ -n "$a" ] && [ "$a" = "$b" ]
tap $? "the next recorded value gets the same id after restore ($a, $b)"
q "$dst_c" "SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2026-12-01,)', '6',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-01'), '2026-01-20', reason => 'example: recorded late')" \
	>"$work/order.err" 2>&1
grep -q 'already has a value recorded on 2026-02-01, after recorded_on' "$work/order.err"
tap $? "after restore a value recorded out of order is still refused against the restored rows" "$work/order.err"

echo "1..$n"
