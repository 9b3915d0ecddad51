#!/usr/bin/env bash
# Leak test of the linkage checks (doc/linkage.md), on the real server log.
#
# Every linkage function is called with canaries: a My Number, a member key,
# a kanji and a カナ name, an address, a birth date and the last four digits a
# member reports (right and wrong).  Personal data goes in as bind parameters
# (Perl DBD::Pg), as doc/linkage.md asks; a few statements that fail on
# purpose carry canaries as literals, to show the errors of the digest and
# report paths hide their statement.  Afterwards the server log (without its
# line prefixes), everything the clients received and pg_stat_statements
# (tracking nested statements too) must hold no canary.  A control statement
# with a marker must reach the log.  Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
LOG="$MH_TMP/server.log"
DB=mynahoken_link_leak
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

# The canary number is built from 11 base digits and its check digit.
NUMBER=$(perl -e '
	my @b = split //, "73918264501";
	my $s = 0;
	for my $n (1 .. 11) { $s += $b[11 - $n] * ($n <= 6 ? $n + 1 : $n - 5) }
	my $r = $s % 11;
	print join("", @b), ($r <= 1 ? 0 : 11 - $r);')
LAST4=${NUMBER:8:4}
WRONG4=$(printf '%s' "$LAST4" | tr '0123456789' '5678901234')
KEY=CNRYKEY4471
KANJI='鶫沢 瑠璃子'
KANA='ツグミサワ ルリコ'
ADDRESS='鵺町九丁目八番七号'
DOB=1931-07-29
needles=("$NUMBER" "${NUMBER:0:8}" "$KEY" "鶫沢" "瑠璃子" "ツグミサワ" "ルリコ" "ﾂｸﾞﾐｻﾜ" "鵺町" "$DOB" "1931")

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' -c 'CREATE EXTENSION pg_stat_statements' >/dev/null 2>&1
pss=$?
log_start=$(wc -c <"$LOG")

client=$(NUMBER="$NUMBER" LAST4="$LAST4" WRONG4="$WRONG4" KEY="$KEY" KANJI="$KANJI" KANA="$KANA" \
	ADDRESS="$ADDRESS" DOB="$DOB" DB="$DB" perl -CSDA -MDBI -e '
use utf8;
my $dbh = DBI->connect("dbi:Pg:dbname=$ENV{DB};host=$ENV{PGHOST};port=$ENV{PGPORT}", "postgres", "",
                       { RaiseError => 0, PrintError => 1, AutoCommit => 1, pg_enable_utf8 => 1 });
sub run { my ($sql, @b) = @_; my $sth = $dbh->prepare($sql); $sth->execute(@b) or return;
        return unless $sth->{NUM_OF_FIELDS};
        while (my @r = $sth->fetchrow_array) { print join("|", map { defined $_ ? $_ : "" } @r), "\n" } }
run("SET pg_stat_statements.track = \x27all\x27");
run("SET search_path = mynahoken, public");
run("INSERT INTO mynahoken.kanji_variant VALUES (\x27瑠\x27, \x27琉\x27, \x27reviewed\x27)");
run("CREATE TEMP TABLE m (insured_key text, household text, token mynahoken.mynumber_token, sealed mynahoken.mynumber_sealed,
     provenance text, number_confirmed boolean, sent_token mynahoken.mynumber_token, kanji_name text, kana_name text,
     address text, birth_date date, sex integer)");
run("INSERT INTO m VALUES (\$1, \$2, mynahoken.tokenize(\$3), mynahoken.seal(\$3), \x27jlis_lookup_weak\x27, false, NULL, \$4, \$5, \$6, \$7, 2)",
  $ENV{KEY}, "HH1", $ENV{NUMBER}, $ENV{KANJI}, $ENV{KANA}, $ENV{ADDRESS}, $ENV{DOB});
run("CREATE TEMP TABLE j (insured_key text, token mynahoken.mynumber_token, asked_on date, source text, found boolean,
     kanji_name text, kana_name text, address text, birth_date date, sex integer, source_ref text)");
run("INSERT INTO j SELECT insured_key, token, DATE \x272026-11-01\x27, \x27own_query\x27, true, \$1, \$2, \$3,
     birth_date, sex, \x27file 1 row 1\x27 FROM m", "鶫沢 ●璃子", "ﾂｸﾞﾐｻﾜ ﾙﾘｺ", "鵺町9-8-6");
# every linkage function, personal data as bind parameters
run("SELECT mynahoken.linkage_match_level(mynahoken.linkage_digests(\$1, \x27kanji\x27, v.variant_from, v.variant_to),
                                        mynahoken.linkage_digests(\$2, \x27kanji\x27, v.variant_from, v.variant_to))
     FROM mynahoken.kanji_variant_strings() v", $ENV{KANJI}, "鶫沢 琉璃子");
run("SELECT mynahoken.linkage_birth_date_digest(\$1) <> mynahoken.linkage_sex_digest(\$2)", $ENV{DOB}, 2);
run("SELECT mynahoken.linkage_source_check(\x27pg_temp.m\x27, ARRAY[\x27insured_key\x27])");
run("SELECT mynahoken.linkage_load_members(\x27pg_temp.m\x27)");
run("SELECT mynahoken.linkage_load_jlis(\x27pg_temp.j\x27)");
run("SELECT mynahoken.record_member_report(\$1, \$2, \x27last4_ok\x27) IS NOT NULL", $ENV{KEY}, $ENV{LAST4});
run("SELECT mynahoken.record_member_report(\$1, \$2, \x27last4_differs\x27, \x27mail\x27) IS NOT NULL", $ENV{KEY}, $ENV{WRONG4});
run("SELECT mynahoken.record_member_report(\$1, \$2, \x27last4_ok\x27) IS NULL", "NOKEY", $ENV{LAST4});
run("SELECT mynahoken.linkage_run_batch(mynahoken.linkage_begin_run(false, 10))");
run("CALL mynahoken.linkage_check_nightly(true, 10)");
run("SELECT mynahoken.linkage_case_assign(min(case_id), \x27mynahoken_linkage_clerk\x27) FROM mynahoken.linkage_case");
run("SELECT mynahoken.linkage_case_transition(min(case_id), \x27awaiting_member\x27, \x27asked_member\x27) FROM mynahoken.linkage_case");
run("SELECT mynahoken.explain_linkage_case(min(case_id)) FROM mynahoken.linkage_case");
run("SELECT case_id, state, severity, reasons, assigned_to FROM mynahoken.linkage_queue");
run("SELECT run_id, reasons, severity, kana_level, kanji_level, address_level FROM mynahoken.linkage_check");
run("SELECT run_id, full_check, status, members_checked, cases_opened FROM mynahoken.linkage_runs");
run("SELECT claim, last4_matches FROM mynahoken.member_report");
run("SELECT mynahoken.linkage_cron_command()");
# the per-member step and the readers of its packed result, called directly
run("SELECT mynahoken.linkage_result_reasons(r), mynahoken.linkage_result_severity(r), mynahoken.linkage_result_level(r, 1),
            mynahoken.linkage_result_level(r, 2), mynahoken.linkage_result_level(r, 3)
       FROM (SELECT mynahoken.linkage_check_result(m.token, m.sent_token, m.provenance, m.number_confirmed,
                      m.kanji_digest, m.kana_digest, m.address_digest, m.birth_date_digest, m.sex_digest,
                      m.jlis_response_id, m.jlis_token, m.jlis_found, m.jlis_kanji_digest, m.jlis_kana_digest,
                      m.jlis_address_digest, m.jlis_birth_date_digest, m.jlis_sex_digest, \$1, false, false, false,
                      (SELECT array_agg(coalesce(lr.severity, 0::smallint) ORDER BY o.n)
                         FROM unnest(mynahoken.linkage_reason_list()) WITH ORDINALITY AS o (code, n)
                         LEFT JOIN mynahoken.linkage_reason lr ON lr.code = o.code),
                      (SELECT array_agg(coalesce(lr.lowered_by_last4_ok, false) ORDER BY o.n)
                         FROM unnest(mynahoken.linkage_reason_list()) WITH ORDINALITY AS o (code, n)
                         LEFT JOIN mynahoken.linkage_reason lr ON lr.code = o.code)) AS r
               FROM mynahoken.linkage_member m) x", "not_me");
run("SELECT mynahoken.linkage_result_reasons(mynahoken.linkage_result_finish(
              mynahoken.linkage_member_result(m.token, m.sent_token, true, true, m.kanji_digest, m.kana_digest,
                m.address_digest, m.birth_date_digest, m.sex_digest, m.jlis_response_id, m.jlis_token, m.jlis_found,
                m.jlis_kanji_digest, m.jlis_kana_digest, m.jlis_address_digest, m.jlis_birth_date_digest,
                m.jlis_sex_digest, \$1, false), true, true,
              (SELECT array_agg(0::smallint) FROM unnest(mynahoken.linkage_reason_list())),
              (SELECT array_agg(false) FROM unnest(mynahoken.linkage_reason_list())))), m.own_result
       FROM mynahoken.linkage_member m", "not_me");
run("SELECT mynahoken.linkage_swap_candidate(m.token, m.jlis_token, m.jlis_found, m.birth_date_digest, m.sex_digest,
            m.kana_digest, m.jlis_birth_date_digest, m.jlis_sex_digest, m.jlis_kana_digest), m.swap_candidate
       FROM mynahoken.linkage_member m");
run("SELECT count(*) FROM mynahoken.linkage_shared_token");
run("SELECT mynahoken.linkage_due_on(\$1::date, 5) IS NULL", $ENV{DOB});
run("SELECT mynahoken.linkage_result_level(\$1::bigint, 9)", 1931);
# a second member sharing the canary number under another name: the trigger
# of shared tokens, the surname-only and voicing codes on canary names
run("INSERT INTO m SELECT \$1 || \x27b\x27, household, token, sealed, \x27member_submitted\x27, true, token, \$2, \$3, address, birth_date, sex FROM m",
  $ENV{KEY}, "鵙沢 瑠璃子", "モズサワ ルリコ");
run("SELECT mynahoken.linkage_load_members(\x27pg_temp.m\x27)");
run("CALL mynahoken.linkage_check_nightly()");
run("SELECT reasons FROM mynahoken.linkage_check ORDER BY 1");
# the second member removed: the trigger that removes its result
run("DELETE FROM mynahoken.linkage_member WHERE insured_key = \$1 || \x27b\x27", $ENV{KEY});
run("SELECT count(*) FROM mynahoken.linkage_check");
# errors with personal data in bind parameters
run("SELECT mynahoken.linkage_digests(repeat(\$1, 300), \x27kanji\x27)", $ENV{KANJI});
run("SELECT mynahoken.record_member_report(\$1, \$2, \x27last4_ok\x27)", $ENV{KEY}, $ENV{LAST4} . "x");
run("SELECT mynahoken.linkage_last4_matches(sealed, \$1) FROM mynahoken.linkage_member", $ENV{WRONG4} . "1");
' 2>&1)

# Statements that fail with canaries as literals: their STATEMENT must not be logged.
client2=$(psql -X -d "$DB" -v VERBOSITY=verbose 2>&1 <<SQL
\set VERBOSITY verbose
\set SHOW_CONTEXT always
SET log_error_verbosity = verbose;
SELECT mynahoken.linkage_digests(repeat('$KANJI', 300), 'kanji');
SELECT mynahoken.linkage_digests('$KANA', 'kana', '$ADDRESS', '鵺');
SELECT mynahoken.linkage_digests('$ADDRESS', 'name');
SELECT mynahoken.linkage_birth_date_digest('infinity'::date), '$DOB';
SELECT mynahoken.record_member_report('$KEY', '${LAST4}9', 'last4_ok');
SELECT mynahoken.record_member_report('$KEY', '${WRONG4:0:3}', 'last4_differs');
SELECT mynahoken.linkage_check_result(mynahoken.tokenize('$NUMBER'), NULL, NULL, NULL, mynahoken.linkage_digests('$KANJI', 'kanji'), NULL, NULL, NULL, NULL, 1, mynahoken.tokenize('$NUMBER'), true, NULL, NULL, NULL, NULL, NULL, '$KANA', NULL, NULL, NULL, ARRAY[1]::smallint[], ARRAY[true]);
SELECT linkage_leak_control_marker_k3x;
SQL
)
all_client="$client
$client2"
[ -z "${LEAK_DEBUG:-}" ] || printf "%s\n" "$all_client" >"$LEAK_DEBUG"

# the calls did their work
printf '%s\n' "$client" | grep -q 'kanji_unverifiable'
ok $? "the check ran and coded the ● in the J-LIS name as unverifiable"
printf '%s\n' "$client" | grep -q '"member_report": "last4_differs"'
ok $? "the reported wrong digits reached the explanation as a code"
printf '%s\n' "$client" | grep -q 'token_shared_other_person'
ok $? "the second holder of the canary number was found by the incremental check"
printf '%s\n' "$client" | grep -qE '\|(t|1)\|?$|^(t|1)$'
ok $? "bound calls returned rows"
errors=$(printf '%s\n' "$all_client" | grep -cE 'invalid value for a linkage digest|invalid reported digits|invalid kanji variant table|unknown linkage field|birth date must be finite|invalid linkage severity table|linkage result field')
[ "$errors" -ge 10 ]; ok $? "the canary statements failed as intended ($errors errors)"

newlog=$(tail -c +"$((log_start + 1))" "$LOG" | sed -E 's/^[0-9-]+ [0-9:.]+ [A-Z+0-9]+ \[[0-9]+\] //')
printf '%s\n' "$newlog" | grep -q 'linkage_leak_control_marker_k3x'
ok $? "control: the failing statement with a marker is in the server log"
logged=$(printf '%s\n' "$newlog" | grep -cE 'ERROR: .*(linkage|reported digits|birth date)')
[ "$logged" -ge 10 ]; ok $? "the server log holds the linkage errors ($logged)"

[ "$pss" -eq 0 ]; ok $? "pg_stat_statements is loaded (shared_preload_libraries)"
stmts=$(psql -X -At -d "$DB" -c "SELECT query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())" 2>&1)
[ -z "${LEAK_DEBUG:-}" ] || printf "%s\n" "$stmts" >"$LEAK_DEBUG.pss"
printf '%s\n' "$stmts" | grep -q 'linkage_load_members'
ok $? "pg_stat_statements recorded the linkage calls"
printf '%s\n' "$stmts" | grep -q 'jlis_response'
ok $? "pg_stat_statements recorded nested statements too"

for s in "${needles[@]}" "$LAST4" "$WRONG4"; do
	! printf '%s\n' "$newlog" | grep -qwF -- "$s"
	ok $? "server log does not contain canary $s"
	! printf '%s\n' "$all_client" | grep -qwF -- "$s"
	ok $? "client-visible output does not contain canary $s"
	! printf '%s\n' "$stmts" | grep -qwF -- "$s"
	ok $? "pg_stat_statements does not contain canary $s"
done
# no table of the extension holds a number, name, address or birth date in
# clear (the member key is the join key: it is there by design)
dump=$("$MH_BINDIR/pg_dump" -d "$DB" --data-only -n mynahoken 2>/dev/null)
printf '%s\n' "$dump" | grep -q 'COPY mynahoken.linkage_member'
ok $? "pg_dump has the linkage tables"
for s in "${needles[@]}"; do
	[ "$s" = "$KEY" ] && continue
	! printf '%s\n' "$dump" | grep -qF -- "$s"
	ok $? "the extension's tables (pg_dump) do not contain canary $s"
done

psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
echo "1..$n"
[ "$fails" -eq 0 ]
