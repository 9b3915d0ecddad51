#!/usr/bin/env bash
# Scale-out with PostgreSQL's own sharding (doc/scale-out.md): a coordinator
# and 2 shard clusters of its own (scripts/lib_shards.sh), the synthetic
# insurer's members hash-partitioned by the insured-person key, reference
# data replicated from the coordinator.  Checks the placement, the reference
# data and tokens on every shard, the push-down of decisions (EXPLAIN
# VERBOSE's Remote SQL, rows returned to the coordinator), answers equal to
# one node's, a parameter changed at the coordinator decided the new way on
# every shard, and a stale shard refusing to decide.  Prints TAP.  Needs
# MH_TMP and MH_BINDIR (scripts/test.sh); starts and stops its own clusters
# in $MH_TMP/scale_out.
set -uo pipefail

: "${MH_TMP:?run through scripts/test.sh}"
: "${MH_BINDIR:?run through scripts/test.sh}"
. "$(dirname "$0")/../../scripts/lib.sh"
. "$MH_ROOT/scripts/lib_shards.sh"
MH_TMP="$MH_TMP/scale_out"
export MH_TMP
DB=mynahoken_scale
MEMBERS=3000
DAY=2026-08-15
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2" | head -n 20; echo "#   got:      $3" | head -n 20; fi
}
like() {	# like DESCRIPTION REGEX ACTUAL
	if printf '%s\n' "$3" | grep -qE -- "$2"; then ok "$1"; else not_ok "$1"; printf '%s\n' "$3" | head -n 40 | sed 's/^/#   /'; fi
}
c() { mh_coord_psql -d "$DB" -Atc "$1" 2>&1; }
s() { local k=$1; shift; mh_shard_psql "$k" -d "$DB" -Atc "$1" 2>&1; }

rm -rf "$MH_TMP"
mkdir -p "$MH_TMP"
trap 'mh_stop_shards; mh_stop_cluster' EXIT
{
	mh_start_coordinator && mh_start_shards 2 && mh_shard_base_database "$DB" "$MEMBERS" && mh_distribute "$DB"
} >"$MH_TMP/setup.log" 2>&1
rc=$?
check "a coordinator and 2 shards, the members distributed" 0 "$rc"
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$MH_TMP/setup.log" | tail -n 30; echo "1..$n"; exit 1; }

# ---- placement ------------------------------------------------------------
check "every member is on a shard, once" "$MEMBERS|$MEMBERS" \
	"$(c "SELECT count(*) || '|' || count(DISTINCT member_id) FROM dist.members")"
# (OFFSET 0: satisfies_hash_partition runs here; postgres_fdw would ship it
# with the local table's oid.)
check "each shard holds the members its hash remainder says, and some" "true|true" \
	"$(c "SELECT bool_and(n > 0) || '|' || bool_and(misplaced = 0) FROM (
	        SELECT count(*) AS n,
	               count(*) FILTER (WHERE NOT satisfies_hash_partition('dist.members'::regclass, 2, 0, insured_key)) AS misplaced
	          FROM (SELECT insured_key FROM dist.members_1 OFFSET 0) AS m
	        UNION ALL
	        SELECT count(*), count(*) FILTER (WHERE NOT satisfies_hash_partition('dist.members'::regclass, 2, 1, insured_key))
	          FROM (SELECT insured_key FROM dist.members_2 OFFSET 0) AS m) AS t")"

# ---- reference data and keys ----------------------------------------------
digest_sql() {	# one line per reference table: name and a digest of its rows
	local t q=""
	for t in $MH_REFERENCE_TABLES mynahoken.reference_generation; do
		q="$q${q:+ UNION ALL }SELECT '$t', md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM $t AS r"
	done
	echo "$q ORDER BY 1"
}
coord_digest=$(c "$(digest_sql)")
check "shard 1 holds the coordinator's reference data, table by table" "$coord_digest" "$(s 1 "$(digest_sql)")"
check "shard 2 holds the coordinator's reference data, table by table" "$coord_digest" "$(s 2 "$(digest_sql)")"
kv=$(c "SELECT mynahoken.keyring_versions()::text")
check "every node holds the same keyring versions" "$kv|$kv" \
	"$(s 1 "SELECT mynahoken.keyring_versions()::text")|$(s 2 "SELECT mynahoken.keyring_versions()::text")"
check "tokens computed on the shards equal the coordinator's and join with them" \
	"$(c "SELECT count(*) FROM demo.members WHERE mynahoken.mynumber_is_valid(my_number)")|0" \
	"$(c "SELECT count(*) FILTER (WHERE t.token OPERATOR(mynahoken.=) mynahoken.tokenize(m.my_number)) || '|' ||
	             count(*) FILTER (WHERE t.token OPERATOR(mynahoken.<>) mynahoken.tokenize(m.my_number))
	        FROM dist.member_token AS t JOIN demo.members AS m USING (member_id)")"

check "mynumber_sealed has a btree class: a primary key, sorted, found by the index" "t|t|1" \
	"$(c "CREATE TABLE public.sealed_pk (s mynahoken.mynumber_sealed PRIMARY KEY);
	      INSERT INTO public.sealed_pk SELECT DISTINCT mynahoken.seal(my_number) FROM demo.members
	       WHERE mynahoken.mynumber_is_valid(my_number);
	      SET enable_seqscan = off;
	      SELECT bool_and(a OPERATOR(mynahoken.<) b) FROM (SELECT s AS a, lead(s) OVER (ORDER BY s) AS b FROM public.sealed_pk) AS t
	       WHERE b IS NOT NULL;
	      SELECT (SELECT count(*) FROM public.sealed_pk) = (SELECT count(DISTINCT mynahoken.tokenize(my_number)) FROM demo.members
	                                                       WHERE mynahoken.mynumber_is_valid(my_number));
	      SELECT count(*) FROM public.sealed_pk WHERE s OPERATOR(mynahoken.=)
	        (SELECT mynahoken.seal(my_number) FROM demo.members WHERE mynahoken.mynumber_is_valid(my_number) ORDER BY member_id LIMIT 1);" | tr '\n' '|' | sed 's/|$//')"

# ---- push-down --------------------------------------------------------------
# Rows coming back to the coordinator: the sum of the actual rows of the
# foreign scans of a query.
rows_back() {
	c "EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) $1" | python3 -c '
import json, sys
def walk(p):
    r = p["Actual Rows"] * p["Actual Loops"] if p["Node Type"] == "Foreign Scan" else 0
    return r + sum(walk(c) for c in p.get("Plans", []))
print(walk(json.load(sys.stdin)[0]["Plan"]))'
}
plan=$(c "EXPLAIN (VERBOSE, COSTS OFF) SELECT category, sum(members) FROM dist.members_by_category GROUP BY 1")
check "members per category: one aggregate pushed down to each shard" 2 \
	"$(printf '%s\n' "$plan" | grep -c 'Remote SQL: SELECT mynahoken.category(insurer_number::mynahoken.insurer_number), count(\*) FROM demo.members WHERE (mynahoken.insurer_number_is_valid(insurer_number)) GROUP BY 1')"

plan=$(c "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM dist.certificate_need_counts('$DAY')")
check "decisions by value: certificate_need_by_rules runs on both shards, aggregated there" 2 \
	"$(printf '%s\n' "$plan" | grep -c 'Remote SQL: SELECT [12], mynahoken.category(insurer_number::mynahoken.insurer_number), mynahoken.certificate_need_by_rules((CASE mynahoken.category(insurer_number::mynahoken.insurer_number) WHEN .* THEN \$1::mynahoken.transition_rules .*GROUP BY 1, 2, 3$')"
check "decisions by value: the rules are the coordinator's (transition_rules once per category, an InitPlan per shard and category)" "1|22" \
	"$(printf '%s\n' "$plan" | grep -c "Output: c.c, transition_rules(c.c, '$DAY'::date, NULL::date)")|$(printf '%s\n' "$plan" | grep -c 'InitPlan [0-9]* (returns \$[0-9]*)')"
check "decisions by value: both shards asked at once (asynchronous append)" 2 \
	"$(printf '%s\n' "$plan" | grep -c 'Async Foreign Scan')"
check "decisions by value: the shards return one row per category and reason" \
	"$(c "SELECT count(*) FROM dist.certificate_need_counts('$DAY')")" \
	"$(rows_back "SELECT * FROM dist.certificate_need_counts('$DAY')")"

plan=$(c "EXPLAIN (VERBOSE, COSTS OFF) SELECT reason, sum(members) FROM dist.need_by_reason
           WHERE day = '$DAY' AND insurer = '06139992' GROUP BY 1")
check "counts per reason: both shards asked at once (asynchronous append)" 2 \
	"$(printf '%s\n' "$plan" | grep -c 'Async Foreign Scan on dist.need_by_reason_')"
like "counts per reason: Remote SQL names mynahoken's operator" \
	"Remote SQL: SELECT reason, members FROM mh_scale.need_by_reason WHERE \(\(day = '$DAY'\)\) AND \(\(insurer OPERATOR\(mynahoken.=\) '06139992'\)\)" "$plan"

groups=$(c "SELECT count(*) FROM (SELECT DISTINCT shard, insurer, reason FROM dist.need_by_reason WHERE day = '$DAY') AS g")
check "counts per reason (shard-side views): the shards return one row per reason and insurer, not members" "$groups" \
	"$(rows_back "SELECT reason, sum(members) FROM dist.need_by_reason WHERE day = '$DAY' GROUP BY 1")"

plan=$(c "EXPLAIN (VERBOSE, COSTS OFF) SELECT employer_id, document, sum(members) FROM dist.documents_by_employer
           WHERE day = '2026-01-15' AND employer_id <= 10 GROUP BY 1, 2")
check "documents per employer: each shard counts its own" 2 \
	"$(printf '%s\n' "$plan" | grep -c "Remote SQL: SELECT employer_id, document, members FROM mh_scale.documents_by_employer WHERE ((employer_id <= 10)) AND ((day = '2026-01-15'))")"

key=$(c "SELECT insured_key FROM dist.member_decision WHERE day = '2026-01-15' AND insurer = '06139992' ORDER BY member_id LIMIT 1")
# The key is computed at the coordinator in a subquery (an InitPlan): it goes
# to the shard as a query parameter, never as a literal of the Remote SQL
# (which a remote error would quote in CONTEXT), and prunes at run time.
member_q=$(c "SELECT format('SELECT explanation FROM dist.member_decision WHERE day = %L AND insurer = %L AND insured_key = (SELECT mynahoken.insured_key(%L, %L, %L, %L))',
                            '2026-01-15', '06139992', '06139992', card_symbol, card_number, card_branch)
                FROM dist.members WHERE insured_key = '$key'")
plan=$(c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) $member_q")
check "one member's explanation: one shard asked, the other pruned at run time" "1|1" \
	"$(printf '%s\n' "$plan" | grep -c 'Foreign Scan on dist.member_decision_[12] .*(actual rows=1 loops=1)')|$(printf '%s\n' "$plan" | grep -c 'Foreign Scan on dist.member_decision_[12] .*(never executed)')"
check "one member's explanation: Remote SQL with the key as a parameter and mynahoken's =" "2|0" \
	"$(printf '%s\n' "$plan" | grep 'Remote SQL: SELECT explanation FROM mh_scale.member_decision WHERE' | head -n 1 \
	   | grep -o "((insured_key = \$1::text))\|((insurer OPERATOR(mynahoken.=) '06139992'))" | wc -l)|$(printf '%s\n' "$plan" | grep 'Remote SQL' | grep -c "$key")"

plan=$(c "EXPLAIN (VERBOSE, COSTS OFF) SELECT member_id FROM dist.member_token
           WHERE token = (SELECT mynahoken.tokenize(my_number) FROM demo.members WHERE member_id = 5)")
check "a token looked up by number: tokenize runs at the coordinator, only the token is sent" 2 \
	"$(printf '%s\n' "$plan" | grep -c 'Remote SQL: SELECT member_id FROM mh_scale.member_token WHERE ((token OPERATOR(mynahoken.=) \$1::mynahoken.mynumber_token))$')"

# ---- answers equal to one node's ---------------------------------------------
# The same decisions over the coordinator's own copy of the members.
c "CREATE VIEW public.one_node AS
   SELECT m.member_id, m.employer_id, f.insurer, f.category, d AS day,
          mynahoken.certificate_need(f.category, d, m.birth_date, m.acquired_on, m.lost_on,
            m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
            m.certificate_requested_on) AS reason,
          mynahoken.accepted_documents(f.category, d, m.acquired_on, m.lost_on,
            m.legacy_card_issued_on, m.legacy_card_expires_on, m.my_number IS NOT NULL,
            m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on, NULL) AS documents,
          mynahoken.explain_certificate_need(f.category, d, m.birth_date, m.acquired_on, m.lost_on,
            m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
            m.certificate_requested_on) AS explanation
     FROM demo.members AS m
     CROSS JOIN LATERAL (SELECT CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number)
                                     THEN m.insurer_number::mynahoken.insurer_number END AS insurer) AS n
     CROSS JOIN LATERAL (SELECT n.insurer, mynahoken.category(n.insurer) AS category) AS f
     CROSS JOIN (VALUES (date '2026-01-15'), (date '$DAY')) AS v(d)
    WHERE f.category IS NOT NULL
      AND mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on,
            m.legacy_card_issued_on, m.legacy_card_expires_on) IS NULL" >/dev/null
reasons_dist="SELECT string_agg(reason || '=' || n, ',' ORDER BY reason) FROM (
                SELECT reason, sum(members) AS n FROM dist.need_by_reason WHERE day = '$DAY' GROUP BY 1) AS t"
reasons_one="SELECT string_agg(reason || '=' || n, ',' ORDER BY reason) FROM (
               SELECT reason, count(*) AS n FROM public.one_node WHERE day = '$DAY' GROUP BY 1) AS t"
before=$(c "$reasons_one")
check "counts per reason through the coordinator equal one node's" "$before" "$(c "$reasons_dist")"
by_value_one="SELECT string_agg(category || ':' || reason || '=' || n, ',' ORDER BY category, reason) FROM (
                SELECT category, reason, count(*) AS n FROM public.one_node WHERE day = '$DAY' GROUP BY 1, 2) AS t"
by_value_dist="SELECT string_agg(category || ':' || reason || '=' || n, ',' ORDER BY category, reason) FROM (
                SELECT category, reason, sum(members) AS n FROM dist.certificate_need_counts('$DAY') GROUP BY 1, 2) AS t"
check "decisions by value equal one node's" "$(c "$by_value_one")" "$(c "$by_value_dist")"
check "members per category through the coordinator equal one node's" \
	"$(c "SELECT string_agg(category || '=' || n, ',' ORDER BY category) FROM (
	        SELECT mynahoken.category(insurer_number::mynahoken.insurer_number) AS category, count(*) AS n
	          FROM demo.members WHERE mynahoken.insurer_number_is_valid(insurer_number) GROUP BY 1) AS t")" \
	"$(c "SELECT string_agg(category || '=' || n, ',' ORDER BY category) FROM (
	        SELECT category, sum(members) AS n FROM dist.members_by_category GROUP BY 1) AS t")"
check "documents per employer through the coordinator equal one node's" \
	"$(c "SELECT md5(string_agg(employer_id || doc::text || n, ',' ORDER BY employer_id, doc)) FROM (
	        SELECT employer_id, doc, count(*) AS n FROM public.one_node, unnest(documents) AS doc
	         WHERE day = '2026-01-15' AND employer_id IS NOT NULL GROUP BY 1, 2) AS t")" \
	"$(c "SELECT md5(string_agg(employer_id || document::text || n, ',' ORDER BY employer_id, document)) FROM (
	        SELECT employer_id, document, sum(members) AS n FROM dist.documents_by_employer
	         WHERE day = '2026-01-15' GROUP BY 1, 2) AS t")"
check "one member's explanation through the coordinator equals one node's" \
	"$(c "SELECT o.explanation FROM public.one_node AS o JOIN dist.members AS m USING (member_id)
	       WHERE m.insured_key = '$key' AND o.day = '2026-01-15'")" "$(c "$member_q")"

# ---- a parameter changed at the coordinator -------------------------------------
# 後期高齢者 get a 資格確認書 without application one year longer.
record() {	# record VALID VALUE: late_elderly_blanket_until, known today
	c "SELECT mynahoken.record_legal_parameter('late_elderly_blanket_until', 'late_elderly', '$1', '$2',
	     (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'),
	     note => 'scale-out test') IS NOT NULL"
}
blanket="SELECT coalesce(sum(members), 0) FROM dist.need_by_reason WHERE day = '$DAY' AND reason = 'late_elderly_blanket'"
check "before: no blanket 資格確認書 for 後期高齢者 on $DAY" 0 "$(c "$blanket")"
check "a parameter recorded at the coordinator" t "$(record '[2024-12-02,2030-01-01)' 2027-07-31)"
mh_wait_reference "$DB" 1 && mh_wait_reference "$DB" 2
check "both shards caught up with the coordinator's generation" 0 $?
after=$(c "$reasons_one")
if [ "$after" != "$before" ]; then ok "one node decides the new way"; else not_ok "one node decides the new way"; fi
check "counts per reason through the coordinator equal one node's new ones" "$after" "$(c "$reasons_dist")"
check "decisions by value follow the coordinator's new rules" "$(c "$by_value_one")" "$(c "$by_value_dist")"
check "each shard decides the new way (blanket certificates on both)" "true|true" \
	"$(c "SELECT bool_and(n > 0) || '|' || (count(*) = 2) FROM (
	        SELECT shard, sum(members) AS n FROM dist.need_by_reason
	         WHERE day = '$DAY' AND reason = 'late_elderly_blanket' GROUP BY 1) AS t")"

# ---- a rule table activated at the coordinator -----------------------------------------
# doc/rules.md's policy (a): the 組合 06139992 sends a 資格確認書 to every member
# aged 75 or over.  Recorded and activated at the coordinator; each shard
# receives the rows and compiles the decision itself (rule_version_compile,
# ENABLE ALWAYS on the shards).
facts='{"insurer_number": "06139992", "birth_date": "1946-01-01", "acquired_on": "2010-04-01", "my_number_linked": true, "myna_registered_on": "2022-01-01", "ecert_expires_on": "2030-01-01"}'
decide="SELECT (mynahoken.rule_decide_certificate_need('2026-08-03', NULL, '$facts')).outcome"
check "before: no node decides by the insurer's table (not compiled anywhere yet)" 0 \
	"$( { c "$decide"; s 1 "$decide"; s 2 "$decide"; } | grep -c insurer_age_policy)"
out=$(mh_coord_psql -d "$DB" -Atc "CREATE ROLE scale_rule_author IN ROLE mynahoken_rule_author;
CREATE ROLE scale_rule_approver IN ROLE mynahoken_rule_approver;
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('insurer_certificate_age', 'int', 'years', 'Age from which the insurer issues a certificate to every member');
SET ROLE scale_rule_author;
SELECT mynahoken.rule_outcome_add('certificate_need', 'insurer_age_policy', 'scale-out test', needs_certificate => true);
SELECT mynahoken.rule_table_define('minato.certificate_need.age', 'certificate_need',
         applies_to => '{06139992}', exception_to => 'national.certificate_need:myna');
SELECT mynahoken.rule_version_record('minato.certificate_need.age', '[2026-04-01,)', 'scale-test', '2026-01-20', \$grid\$
  row | age                               || outcome
  1   | >= param(insurer_certificate_age) || insurer_age_policy
\$grid\$);
RESET ROLE;
SELECT mynahoken.record_legal_parameter('insurer_certificate_age', 'health_society', '[2026-04-01,)', '75',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-01-20',
         note => 'scale-out test', reason => 'a late entry of the test');
SET ROLE scale_rule_approver;
SELECT count(*) FROM mynahoken.rule_activate('minato.certificate_need.age') WHERE severity <> 'info';" 2>&1)
check "a rule table recorded and activated at the coordinator (no diagnostic)" 0 "$(printf '%s\n' "$out" | tail -n 1)"
mh_wait_reference "$DB" 1 && mh_wait_reference "$DB" 2
check "both shards caught up with the activation" 0 $?
check "every node decides with the activated table (compiled on each shard from the replicated rows)" \
	"insurer_age_policy|insurer_age_policy|insurer_age_policy" "$(c "$decide")|$(s 1 "$decide")|$(s 2 "$decide")"

# ---- a stale shard refuses to decide ------------------------------------------------
s 2 "ALTER SUBSCRIPTION mynahoken_reference DISABLE" >/dev/null
before_stale=$(c "$by_value_one")
check "another parameter (ecert_grace_months) recorded while shard 2 does not receive it" t \
	"$(c "SELECT mynahoken.record_legal_parameter('ecert_grace_months', NULL, '[2024-12-02,)', '12',
	     (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'),
	     note => 'scale-out test') IS NOT NULL")"
if [ "$(c "$by_value_one")" != "$before_stale" ]; then ok "one node decides the new way again"; else not_ok "one node decides the new way again"; fi
out=$(mh_coord_psql -d "$DB" -Atc "$reasons_dist" 2>&1)
like "the coordinator's query fails, naming the stale shard" \
	"ERROR:  reference data of node shard2 differ from the coordinator's: decisions refused" "$out"
like "the error says which generations differ" "DETAIL:  Reference generation [0-9]+ here, [0-9]+ at the coordinator" "$out"
check "SQLSTATE 55000" 55000 \
	"$(mh_coord_psql -d "$DB" -Atc "\\set VERBOSITY verbose" -c "$reasons_dist" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -n 1)"
check "decisions by value stay right on the stale shard: the rules are the coordinator's" \
	"$(c "$by_value_one")" "$(c "$by_value_dist")"
check "shard 1, up to date, still answers" t \
	"$(c "SELECT count(*) > 0 FROM dist.need_by_reason_1 WHERE day = '$DAY'")"
check "shard 2 asked directly refuses too" 1 \
	"$(s 2 "SELECT count(*) FROM mh_scale.need_by_reason WHERE day = '$DAY'" | grep -c 'differ from the coordinator')"
# The check is the extension's: any decision with the calendar, not only the views.
check "shard 2: a plain certificate_need call refuses (the extension's check, 55000)" \
	"ERROR:  55000: reference data of node shard2 differ from the coordinator's: decisions refused" \
	"$(mh_shard_psql 2 -d "$DB" -Atc '\set VERBOSITY verbose' -c "SELECT mynahoken.certificate_need('kyokai_kenpo', '$DAY', '1980-01-01', '2010-04-01', NULL, true, NULL, NULL, NULL, NULL)" 2>&1 | grep '^ERROR')"
check "shard 1, up to date, decides with a plain call" not_registered \
	"$(s 1 "SELECT mynahoken.certificate_need('kyokai_kenpo', '$DAY', '1980-01-01', '2010-04-01', NULL, true, NULL, NULL, NULL, NULL)")"
check "the coordinator (setting empty) decides without asking anyone" \
	"$(s 1 "SELECT mynahoken.certificate_need('kyokai_kenpo', '$DAY', '1980-01-01', '2010-04-01', NULL, true, NULL, NULL, NULL, NULL)")|" \
	"$(c "SELECT mynahoken.certificate_need('kyokai_kenpo', '$DAY', '1980-01-01', '2010-04-01', NULL, true, NULL, NULL, NULL, NULL)")|$(c "SHOW mynahoken.reference_coordinator")"
# Parallel query, as real shards run it: the decision runs in parallel
# workers (the leader does not take part), each of which loads the calendar
# and so runs the check itself, reading the coordinator's generation through
# postgres_fdw from the worker.
parallel="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
          SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;"
need_q="SELECT count(*) FROM demo.members AS m
         WHERE mynahoken.certificate_need('kyokai_kenpo', '$DAY', m.birth_date, m.acquired_on, m.lost_on,
                 m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
                 m.certificate_requested_on) OPERATOR(pg_catalog.=) 'not_registered'"
plan=$(s 1 "$parallel EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) $need_q")
check "parallel workers on shard 1 decide (workers launched, the decision in their scan's filter)" "1|1" \
	"$(printf '%s\n' "$plan" | grep -cE 'Workers Launched: [12]')|$(printf '%s\n' "$plan" | grep -A 3 'Parallel Seq Scan on demo.members' | grep -c 'Filter: (certificate_need(')"
check "parallel workers on shard 1, up to date, answer as one backend does" \
	"$(s 1 "SET max_parallel_workers_per_gather = 0; $need_q")" "$(s 1 "$parallel $need_q")"
view_q="SELECT string_agg(reason || '=' || members, ',' ORDER BY reason) FROM mh_scale.need_by_reason WHERE day = '$DAY'"
check "the decision view in parallel on shard 1 answers as one backend does" \
	"$(s 1 "SET max_parallel_workers_per_gather = 0; $view_q")" "$(s 1 "$parallel $view_q")"
check "the decision view in parallel on shard 2, stale, refuses (55000)" \
	"ERROR:  55000: reference data of node shard2 differ from the coordinator's: decisions refused" \
	"$(mh_shard_psql 2 -d "$DB" -Atc '\set VERBOSITY verbose' -c "$parallel $view_q" 2>&1 | grep '^ERROR')"
check "parallel workers on shard 2, stale, refuse: the check runs in each worker (55000)" \
	"ERROR:  55000: reference data of node shard2 differ from the coordinator's: decisions refused" \
	"$(mh_shard_psql 2 -d "$DB" -Atc '\set VERBOSITY verbose' -c "$parallel $need_q" 2>&1 | grep '^ERROR')"
s 2 "ALTER SUBSCRIPTION mynahoken_reference ENABLE" >/dev/null
mh_wait_reference "$DB" 2
check "shard 2 catches up once its subscription runs again" 0 $?
check "then the coordinator's answer equals one node's again" "$(c "$reasons_one")" "$(c "$reasons_dist")"
check "then parallel workers on shard 2 decide again" \
	"$(s 2 "SET max_parallel_workers_per_gather = 0; $need_q")" "$(s 2 "$parallel $need_q")"

# ---- a shard down ---------------------------------------------------------------------
mh_as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/shard2" -m immediate -w stop >/dev/null 2>&1
like "shard 2 down: a query that needs it fails, naming it" 'ERROR:  could not connect to server "shard2"' \
	"$(mh_coord_psql -d "$DB" -Atc "SELECT * FROM dist.certificate_need_counts('$DAY')" 2>&1)"
check "shard 2 down: shard 1 still answers" t \
	"$(c "SELECT count(*) > 0 FROM dist.need_by_reason_1 WHERE day = '$DAY'")"
mh_as_server "$MH_BINDIR/pg_ctl" -D "$MH_TMP/shard2" -l "$MH_TMP/shard2.log" -w -t 60 start >/dev/null 2>&1
check "shard 2 back: the coordinator's answer equals one node's" "$(c "$by_value_one")" "$(c "$by_value_dist")"

echo "1..$n"
[ "$failed" -eq 0 ]
