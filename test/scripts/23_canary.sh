#!/usr/bin/env bash
# Canary test: no value a caller passes reaches a log, a message or
# pg_stat_statements (issue 9).
#
# Canary My Numbers (valid and with a wrong check digit, raw and typed with
# hyphens, spaces and full-width digits) go through every function of the
# extension that takes text or bytea (enumerated from the catalog: pg_depend
# deptype 'e'; a type input function is reached through a cast) and through
# plan_issuance as member keys, in every call form: literal, bind parameter
# (extended protocol, DBD::Pg), static PL/pgSQL, DO block, dynamic SQL
# (EXECUTE format('%L')), COPY (typed columns, a trigger, INSERT ... SELECT
# from the copied rows) and parallel query (the error raised in a worker,
# also under a PL/pgSQL leader).  The server runs with what doc/tokens.md
# recommends (pg_stat_statements.track_utility = off, no parameter logging)
# and stricter logging than it requires (log_min_error_statement = error,
# log_error_verbosity = verbose); the client asks for every field
# (PQERRORS_VERBOSE).  The server log, the client output and
# pg_stat_statements must hold no canary.  Positive controls prove the
# detector live: a value PostgreSQL itself quotes is found in all three.
# A static check requires every error of the C code to go through
# mh_sensitive_ereport and every routine to raise through raise_error.
# Prints TAP.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOG="$MH_TMP/server.log"
DB=mynahoken_canary
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

# --- static: one way out for the errors of the My Number paths -------------
# Personal data travels through every subsystem (My Numbers, member keys and
# dates, JPKI certificates): no file but mynahoken.c, which finishes them,
# raises an error other than through mh_sensitive_ereport (or mh_elog).
bypass=""
for f in "$ROOT"/src/*.c; do
	[ "$(basename "$f")" = mynahoken.c ] && continue
	hits=$(grep -nE '\b(ereport|elog)\(' "$f" | grep -vE 'mh_sensitive_ereport\(|mh_elog\(')
	[ -z "$hits" ] || bypass="$bypass $(basename "$f"):$(printf '%s' "$hits" | cut -d: -f1 | paste -sd,)"
done
[ -z "$bypass" ]; ok $? "every error of the extension's C code goes through mh_sensitive_ereport${bypass:+ (bypassed in$bypass)}"
n_helper=$(cat "$ROOT"/src/*.c | grep -cE 'mh_sensitive_ereport\(|mh_elog\(')
[ "$n_helper" -ge 60 ]; ok $? "the C code raises through the helper ($n_helper calls)"
raises=$(grep -nE "RAISE +(EXCEPTION|NOTICE|INFO|LOG|DEBUG|')" "$ROOT"/sql/install/*.sql)
[ -z "$raises" ]; ok $? "routines raise errors through mynahoken.raise_error, never RAISE${raises:+: $raises}"
warn_args=$(grep -nE "RAISE +WARNING +'[^']*%" "$ROOT"/sql/install/*.sql)
[ -z "$warn_args" ]; ok $? "no warning of a routine interpolates a value${warn_args:+: $warn_args}"
hook=$(grep -c 'MH_SENSITIVE_ERROR_ORIGIN' "$ROOT/src/mynahoken.c")
[ "$hook" -ge 2 ]; ok $? "the log hook of mynahoken.c recognises the helper's origin"

# --- canaries -------------------------------------------------------------
# VALID passes the check digit, BAD does not; CONTROL is only ever used in
# the positive controls.
VALID=407192638553
BAD=629583147078
CONTROL=518370462932
canaries=("$VALID" "4071-9263-8553" "4071 9263 8553" "４０７１９２６３８５５３"
	"４０７１　９２６３－８５５３" "$BAD" "6295-8314-7078" "６２９５８３１４７０７８")
# what must not appear: each spelling, and eight-digit runs of both numbers
needles=("${canaries[@]}" 40719263 92638553 62958314 83147078 "4071-9263" "6295-8314"
	"４０７１９２６３" "６２９５８３１４" "４０７１　９２６３")

cleanup() {
	psql -X -q -d postgres >/dev/null 2>&1 <<'SQL'
ALTER SYSTEM RESET pg_stat_statements.track_utility;
ALTER SYSTEM RESET log_parameter_max_length;
ALTER SYSTEM RESET log_parameter_max_length_on_error;
ALTER SYSTEM RESET log_error_verbosity;
SELECT pg_reload_conf();
SQL
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
}
trap cleanup EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
psql -X -q -d "$DB" -c 'CREATE EXTENSION mynahoken' -c 'CREATE EXTENSION pg_stat_statements' >/dev/null 2>&1
# doc/tokens.md, "Leaks": settings for servers that handle My Numbers
psql -X -q -d postgres >/dev/null 2>&1 <<'SQL'
ALTER SYSTEM SET pg_stat_statements.track_utility = off;
ALTER SYSTEM SET log_parameter_max_length = 0;
ALTER SYSTEM SET log_parameter_max_length_on_error = 0;
ALTER SYSTEM SET log_error_verbosity = verbose;
SELECT pg_reload_conf();
SQL
sleep 1
psql -X -q -d "$DB" -c 'SELECT pg_stat_statements_reset()' >/dev/null
log_start=$(wc -c <"$LOG")
out="$MH_TMP/canary.client"

# --- every function, every call form ---------------------------------------
DB="$DB" perl - "${canaries[@]}" >"$out" 2>&1 <<'PERL'
use strict;
use warnings;
use utf8;
use DBI;
binmode STDOUT, ':encoding(UTF-8)';
binmode STDERR, ':encoding(UTF-8)';
my @canaries = map { utf8::decode($_); $_ } @ARGV;
my @some = @canaries[0, 4, 5];
my $dbh = DBI->connect("dbi:Pg:dbname=$ENV{DB}", '', '',
	{ RaiseError => 0, PrintError => 0, AutoCommit => 1, pg_enable_utf8 => 1,
	  pg_errorlevel => 2, pg_placeholder_dollaronly => 1, pg_placeholder_nocolons => 1 })
	or die "connect: $DBI::errstr";
my %count = (calls => 0, errors => 0);

# an error as the client receives it, under a label that holds no value
sub report { print "--- $_[0]\n", $dbh->errstr, "\n"; $count{errors}++; }
# simple query protocol: the text holds every value
sub literal { my ($label, $sql) = @_; $count{calls}++; defined $dbh->do($sql) or report($label); }
# extended protocol: the values travel as bind parameters
sub bound {
	my ($label, $sql, @v) = @_;
	$count{calls}++;
	my $sth = $dbh->prepare($sql, { pg_server_prepare => 1 });
	defined $sth->execute(@v) or report($label);
	$sth->finish;
}
sub quoted { my $v = shift; $v =~ s/'/''/g; "'$v'" }

$dbh->do(q{SET search_path = pg_catalog});
# values for the other arguments, by type; an argument of a type not listed
# here fails the test until it is
my %fill = ('text' => q{'x'}, 'date' => q{'2025-09-01'}, 'integer' => '1', 'bigint' => '1',
	'boolean' => 'false', 'jsonb' => q{'{}'}, 'bytea' => q{'\x30'},
	'timestamp with time zone' => q{'2025-09-01 00:00+09'},
	'daterange' => q{'[2030-01-01,2031-01-01)'},
	'mynahoken.insurer_category' => q{'kyokai_kenpo'},
	'mynahoken.issuance_document' => q{'notice'},
	'mynahoken.certificate_usage' => q{'signature'},
	'mynahoken.insurer_number' => q{'01130012'}, 'text[]' => q{'{x}'},
	'mynahoken.linkage_case_state' => q{'closed'}, 'mynahoken.mynumber_sealed' => q{NULL},
	'mynahoken.mynumber_token' => q{NULL}, 'mynahoken.linkage_provenance' => q{'unknown'},
	'bytea[]' => q{NULL}, 'smallint[]' => q{NULL}, 'boolean[]' => q{NULL},
	'integer[]' => q{'{1}'}, 'xml' => q{'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'});
# arguments that let a call reach deeper (a known name before the value)
my %override = ('mynahoken.record_legal_parameter' => { 0 => q{'certificate_term_months'} });
# raise_error puts its message in the error: that is its purpose
my %excluded = ('mynahoken.raise_error(text,text,text,text)' => 1,
	'mynahoken.raise_notice(text,text,text)' => 1);

my $fns = $dbh->selectall_arrayref(q{
	SELECT p.oid::regprocedure::text, n.nspname || '.' || p.proname,
	       CASE p.prokind WHEN 'p' THEN 'p' ELSE p.proparallel::text END,
	       pg_catalog.format_type(p.prorettype, NULL),
	       ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM pg_catalog.unnest(p.proargtypes) AS t)
	  FROM pg_catalog.pg_depend d
	  JOIN pg_catalog.pg_proc p ON p.oid = d.objid
	  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
	 WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
	   AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	   AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'mynahoken')
	   AND p.proargtypes::pg_catalog.oid[] && ARRAY['text', 'bytea', 'cstring', 'character varying']::pg_catalog.regtype[]::pg_catalog.oid[]
	   -- PostgreSQL's own code, e.g. the constructors of a range type
	   AND p.prolang <> (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'internal')
	 ORDER BY 1});

# calls: [label, parallel safe, builder(value expression) -> SQL expression]
my @calls;
for my $f (@$fns) {
	my ($sig, $name, $parallel, $ret, $types) = @$f;
	next if $excluded{$sig};
	for my $i (0 .. $#$types) {
		my $t = $types->[$i];
		next unless $t =~ /^(text|bytea|cstring|character varying)$/;
		if ($t eq 'cstring') {
			push @calls, ["$sig via CAST", $parallel, sub { "CAST($_[0] AS $ret)" }];
			next;
		}
		my @args;
		my $missing;
		for my $j (0 .. $#$types) {
			next if $j == $i;
			my $v = $override{$name}{$j} // $fill{$types->[$j]};
			$missing = $types->[$j] unless defined $v;
			$args[$j] = "${v}::$types->[$j]";
		}
		if ($missing) { print "UNLISTED ARGUMENT TYPE $missing of $sig\n"; next; }
		my $conv = $t eq 'bytea' ? sub { "pg_catalog.convert_to($_[0], 'UTF8')" } : sub { "$_[0]::$t" };
		push @calls, ["$sig, argument " . ($i + 1), $parallel,
			sub { my @a = @args; $a[$i] = $conv->($_[0]); "$name(" . join(', ', @a) . ")" }];
	}
}
print "CALLS ", scalar(@calls), " FUNCTIONS ", scalar(@$fns) - scalar(keys %excluded), "\n";

# helpers of the PL/pgSQL forms
$dbh->do(q{CREATE FUNCTION public.canary_dyn(q text, v text) RETURNS void LANGUAGE plpgsql
	AS $$ BEGIN EXECUTE pg_catalog.format(q, v); END $$}) or die $dbh->errstr;
$dbh->do(q{CREATE TABLE public.canary_src (v text)}) or die $dbh->errstr;
$dbh->do(q{CREATE TABLE public.canary_one (v text)}) or die $dbh->errstr;
$dbh->do(q{CREATE TABLE public.canary_sink (b boolean)}) or die $dbh->errstr;

# COPY: the canaries as rows; the typed columns of each text-input type
$dbh->do(q{COPY public.canary_src (v) FROM STDIN});
$dbh->pg_putcopydata("$_\n") for @canaries;
$dbh->pg_putcopyend();
my $types = $dbh->selectcol_arrayref(q{
	SELECT pg_catalog.format_type(t.oid, NULL) FROM pg_catalog.pg_type t
	  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
	 WHERE n.nspname = 'mynahoken' AND t.typtype IN ('b', 'd') AND t.typcategory <> 'A' ORDER BY 1});
for my $t (@$types) {
	(my $tab = $t) =~ s/\W/_/g;
	$dbh->do("CREATE TABLE public.copy_$tab (x $t)") or report("create $t");
	for my $c (@canaries) {
		$count{calls}++;
		$dbh->do("COPY public.copy_$tab (x) FROM STDIN");
		$dbh->pg_putcopydata("$c\n");
		$dbh->pg_putcopyend() or report("COPY into $t");
	}
}
# COPY through a trigger that tokenizes and types each row
$dbh->do(q{CREATE TABLE public.copy_trigger (v text)});
$dbh->do(q{CREATE FUNCTION public.copy_trigger_f() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN PERFORM mynahoken.tokenize(NEW.v); PERFORM NEW.v::mynahoken.insurer_number; RETURN NEW; END $$});
$dbh->do(q{CREATE TRIGGER t BEFORE INSERT ON public.copy_trigger FOR EACH ROW EXECUTE FUNCTION public.copy_trigger_f()});
for my $c (@canaries) {
	$count{calls}++;
	$dbh->do(q{COPY public.copy_trigger (v) FROM STDIN});
	$dbh->pg_putcopydata("$c\n");
	$dbh->pg_putcopyend() or report("COPY through a trigger");
}

my $k = 0;
for my $call (@calls) {
	my ($label, $parallel, $build) = @$call;
	# a procedure (parallel 'p' here) is CALLed, a function SELECTed
	my ($run, $perform) = $parallel eq 'p' ? ('CALL ', 'CALL ') : ('SELECT ', 'PERFORM ');
	$k++;
	my $fn = "public.canary_f$k";
	$dbh->do("CREATE FUNCTION $fn(v text) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN $perform"
		. $build->('v') . "; END \$\$") or report("create $fn for $label");
	for my $c (@canaries) {
		literal("literal: $label", $run . $build->(quoted($c)));
		bound("bind: $label", $run . $build->('$1::text'), $c);
	}
	# the other forms with one number of each kind, raw and typed
	for my $c (@some) {
		bound("PL/pgSQL: $label", "SELECT $fn(\$1)", $c);
		literal("DO: $label", "DO \$\$ BEGIN $perform" . $build->(quoted($c)) . "; END \$\$");
		bound("dynamic SQL: $label", "SELECT public.canary_dyn(\$1, \$2)", $run . $build->('%L'), $c);
	}
	next if $parallel eq 'p';
	# rows that came in by COPY, through INSERT ... SELECT
	bound("copied rows: $label",
		"INSERT INTO public.canary_sink SELECT (" . $build->('s.v') . ") IS NULL FROM public.canary_src s");
	next unless $parallel eq 's';
	# parallel: the plan runs in a worker, the leader re-throws its error
	$dbh->do($_) for ('SET force_parallel_mode = on', 'SET parallel_setup_cost = 0',
		'SET parallel_tuple_cost = 0', 'SET min_parallel_table_scan_size = 0',
		'SET parallel_leader_participation = off');
	for my $c ($canaries[4], $canaries[5]) {
		$dbh->do('TRUNCATE public.canary_one');
		bound('insert', 'INSERT INTO public.canary_one VALUES ($1)', $c);
		bound("parallel, from a row: $label", "SELECT " . $build->('o.v') . " FROM public.canary_one o");
		bound("parallel, bind: $label", "SELECT " . $build->('$1::text') . " FROM public.canary_one o", $c);
		# under a PL/pgSQL leader, the canary a literal of its dynamic SQL
		bound("parallel, PL/pgSQL leader: $label", "SELECT public.canary_dyn(\$1, \$2)",
			"SELECT " . $build->('%L') . " FROM public.canary_one o", $c);
	}
	$dbh->do('RESET ALL');
	$dbh->do(q{SET search_path = pg_catalog});
}

# plan_issuance and explain_issuance over member keys that are canaries
# among the insurer's own keys
$dbh->do(q{CREATE TABLE public.members AS
	SELECT 'K' || pg_catalog.lpad(i::text, 3, '0') AS member_key, '01130012'::text AS insurer_number,
	       date '1980-01-01' AS birth_date, date '2010-01-01' AS acquired_on, NULL::date AS lost_on,
	       NULL::text AS employer, true AS my_number_linked, NULL::date AS myna_registered_on,
	       NULL::date AS myna_withdrawn_on, NULL::date AS ecert_expires_on,
	       NULL::date AS certificate_requested_on, NULL::date AS certificate_valid_until
	  FROM pg_catalog.generate_series(1, 40) AS i}) or die $dbh->errstr;
bound('member', q{INSERT INTO public.members (member_key, insurer_number, birth_date, acquired_on, my_number_linked)
	VALUES ($1, '01130012', '1980-01-01', '2010-01-01', true)}, $_) for @canaries;
literal('register', q{SELECT mynahoken.register_member_source('public.members')});
literal('plan_issuance', q{CALL mynahoken.plan_issuance('2025-09-04', chunk_size => 3)});
literal('plan_issuance', q{CALL mynahoken.plan_issuance('2025-09-05', chunk_size => 1)});
for my $c (@canaries) {
	bound('explain_issuance, bind', q{SELECT mynahoken.explain_issuance($1, '2025-09-04')}, $c);
	bound('explain_issuance, unknown key, bind', q{SELECT mynahoken.explain_issuance($1 || 'x', '2025-09-04')}, $c);
	literal('explain_issuance, unknown key, literal',
		"SELECT mynahoken.explain_issuance(" . quoted($c . 'x') . ", '2025-09-04')");
}
my ($mn_last) = $dbh->selectrow_array(q{
	SELECT pg_catalog.count(*) FROM mynahoken.issuance_run r WHERE mynahoken.mynumber_is_valid(r.last_key)});
my ($runs) = $dbh->selectrow_array(q{
	SELECT pg_catalog.count(*) FROM mynahoken.issuance_run r WHERE r.status = 'finished'});
print "RUNS FINISHED $runs WITH A MY NUMBER AS LAST KEY $mn_last\n";
print "COUNT calls $count{calls} errors $count{errors}\n";
PERL
perl_rc=$?

printf 'perl exited %d\n' "$perl_rc" >>"$out"
calls=$(sed -n 's/^COUNT calls \([0-9]*\) errors \([0-9]*\)$/\1/p' "$out")
errors=$(sed -n 's/^COUNT calls \([0-9]*\) errors \([0-9]*\)$/\2/p' "$out")
[ "$perl_rc" -eq 0 ] && [ -n "$calls" ]; ok $? "the canary calls ran (${calls:-0} statements, ${errors:-0} errors)"
fcount=$(sed -n 's/^CALLS \([0-9]*\) FUNCTIONS \([0-9]*\)$/\2/p' "$out")
[ "${fcount:-0}" -ge 40 ]; ok $? "every function of the extension that takes text or bytea was called (${fcount:-0})"
! grep -q '^UNLISTED ARGUMENT TYPE' "$out"; ok $? "every argument type has a value$(grep '^UNLISTED' "$out" | head -3 | tr '\n' ' ')"
[ "${errors:-0}" -ge 500 ]; ok $? "the canaries were refused (${errors:-0} errors)"
grep -q '^RUNS FINISHED [1-9][0-9]* WITH A MY NUMBER AS LAST KEY 0$' "$out"
ok $? "issuance runs over canary member keys finished, none keeps one as its last key"
# every error the client received came through the helper
nerr=$(grep -c '^ERROR:  ' "$out")
nloc=$(grep -c '^LOCATION:  mh_sensitive_error, mynahoken.c:' "$out")
[ "$nerr" -gt 0 ] && [ "$nerr" -eq "$nloc" ]
ok $? "every error came through mh_sensitive_ereport ($nloc of $nerr)"
awk '/^--- /{label = $0} /^ERROR:  /{err = $0}
	/^LOCATION:  / && !/mh_sensitive_error/ {print "# " label " | " err " | " $0}' "$out" | sort -u | head -20

# --- positive controls: PostgreSQL's own paths do leak ----------------------
client_control=$(psql -X -d "$DB" -v VERBOSITY=verbose 2>&1 <<SQL
SELECT '$CONTROL'::int AS control_cast;
SET pg_stat_statements.track_utility = on;
DO \$\$ BEGIN PERFORM '$CONTROL'::text; END \$\$;
SQL
)
grep -q "$CONTROL" <<<"$client_control"
ok $? "control: the client output shows a value PostgreSQL quotes"

newlog="$MH_TMP/canary.log"
tail -c +"$((log_start + 1))" "$LOG" >"$newlog"
grep -q "$CONTROL" "$newlog"
ok $? "control: the server log holds the value PostgreSQL quotes"
pgss="$MH_TMP/canary.pgss"
psql -X -At -d "$DB" -c 'SELECT query FROM pg_stat_statements' >"$pgss" 2>&1
grep -q "$CONTROL" "$pgss"
ok $? "control: pg_stat_statements keeps a DO block's literal when track_utility is on"
workers=$(grep 'ERROR:  22P02: invalid My Number' "$newlog" |
	sed -E 's/^.* \[([0-9]+)\] .*$/\1/' | sort -u | wc -l)
[ "$workers" -ge 2 ]; ok $? "errors were raised in parallel workers ($workers processes logged them)"
logged=$(grep -c 'ERROR:  ' "$newlog")
[ "$logged" -ge 500 ]; ok $? "the server log holds the errors ($logged)"

# --- no canary anywhere -----------------------------------------------------
for s in "${needles[@]}"; do
	hits=$(grep -cF -- "$s" "$newlog")
	[ "$hits" -eq 0 ]; ok $? "server log: 0 hits of $s ($hits)"
	hits=$(grep -cF -- "$s" "$out")
	[ "$hits" -eq 0 ]; ok $? "client output: 0 hits of $s ($hits)"
	hits=$(grep -cF -- "$s" "$pgss")
	[ "$hits" -eq 0 ]; ok $? "pg_stat_statements: 0 hits of $s ($hits)"
done
if [ "$fails" -gt 0 ] && [ -n "${CANARY_DEBUG:-}" ]; then cp "$out" "$CANARY_DEBUG.client"; cp "$newlog" "$CANARY_DEBUG.log"; fi

echo "1..$n"
[ "$fails" -eq 0 ]
