# Shell functions for scale-out with PostgreSQL's own sharding
# (doc/scale-out.md): a coordinator and N shard clusters on this machine,
# members hash-partitioned across the shards through postgres_fdw foreign
# partitions, reference data published from the coordinator and subscribed
# by every shard.  Sourced after scripts/lib.sh, not run:
#
#   . scripts/lib.sh; . scripts/lib_shards.sh
#   mh_private_install                      # or mh_system_install
#   mh_start_coordinator                    # mh_start_cluster + wal_level = logical
#   mh_start_shards 2
#   mh_shard_base_database DB 2000          # or mh_demo_database DB MEMBERS
#   mh_distribute DB                        # also: issuance per shard (dist.*)
#   ...
# or, for 10,000,000 members generated on every node (bench/scale_out.sql):
#   MH_DISTRIBUTE_COPY=no mh_distribute DB; mh_shard_generate DB 10000000
#   mh_stop_shards; mh_stop_cluster
#
# Every node listens only on a Unix socket in $MH_TMP/sock: the coordinator
# on port 5432 (data in $MH_TMP/data, as mh_start_cluster), shard K on port
# 5432+K (data in $MH_TMP/shardK).  Every node loads the same test keyring,
# so tokens are equal on every node.

MH_SHARD_BASE_PORT=5432

mh_shard_port() { echo $((MH_SHARD_BASE_PORT + $1)); }

# psql on shard K: mh_shard_psql K [psql arguments]
mh_shard_psql() {
	local k=$1; shift
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$MH_TMP/sock" -p "$(mh_shard_port "$k")" -U postgres "$@"
}

# psql on the coordinator: mh_coord_psql [psql arguments]
mh_coord_psql() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$MH_TMP/sock" -p "$MH_SHARD_BASE_PORT" -U postgres "$@"
}

# Settings every node needs: logical replication (the coordinator publishes,
# the shards subscribe) and postgres_fdw's asynchronous append.
MH_SHARD_CONF="wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_logical_replication_workers = 8
max_sync_workers_per_subscription = 4
enable_partitionwise_aggregate = on
enable_partitionwise_join = on
enable_async_append = on"

# The coordinator: the cluster of mh_start_cluster, ready to publish.
mh_start_coordinator() {
	MH_EXTRA_CONF="${MH_EXTRA_CONF:+$MH_EXTRA_CONF
}$MH_SHARD_CONF" mh_start_cluster
}

# N shard clusters, numbered 1..N.  Sets MH_SHARDS.
mh_start_shards() {
	local n=$1 k data
	[[ "$n" =~ ^[1-9][0-9]?$ ]] || mh_die "the number of shards must be 1 to 99"
	MH_SHARDS=$n
	export MH_SHARDS
	for k in $(seq 1 "$n"); do
		data="$MH_TMP/shard$k"
		mh_log "starting shard $k of $n in $data"
		mkdir -p "$data"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$data"
		mh_as_server "$MH_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 --no-sync >"$MH_TMP/initdb-shard$k.log" 2>&1 \
			|| { cat "$MH_TMP/initdb-shard$k.log" >&2; mh_die "initdb of shard $k failed"; }
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
port = $(mh_shard_port "$k")
unix_socket_directories = '$MH_TMP/sock'
cluster_name = 'shard$k'
shared_preload_libraries = 'mynahoken'
timezone = 'Asia/Tokyo'
fsync = off
logging_collector = off
log_min_error_statement = error
mynahoken.keyring_file = '$(mh_write_test_keyring)'
$MH_SHARD_CONF
CONF
		mh_as_server "$MH_BINDIR/pg_ctl" -D "$data" -l "$MH_TMP/shard$k.log" -w -t 60 start >/dev/null \
			|| { cat "$MH_TMP/shard$k.log" >&2; mh_die "shard $k did not start"; }
	done
}

mh_stop_shards() {
	local d
	for d in "$MH_TMP"/shard[0-9]*; do
		[ -f "$d/PG_VERSION" ] || continue
		mh_as_server "$MH_BINDIR/pg_ctl" -D "$d" -m fast -w stop >/dev/null 2>&1 || true
	done
}

# The coordinator's database DB with the synthetic insurer of
# demo/insurer.sql (MEMBERS members) and nothing else (mh_demo_database
# also runs the demo's queries).
mh_shard_base_database() {	# mh_shard_base_database DB MEMBERS
	local db=$1 members=$2
	mh_coord_psql -d postgres -c "CREATE DATABASE $db" >/dev/null || return 1
	mh_coord_psql -d "$db" -c 'CREATE EXTENSION mynahoken' \
		-c "ALTER DATABASE $db SET search_path = $MH_DEMO_SEARCH_PATH" >/dev/null || return 1
	mh_coord_psql -v members="$members" -d "$db" -f "$MH_ROOT/demo/insurer.sql" >/dev/null
}

# The reference data every shard decides with, published by the coordinator:
# the legal calendar and its sources, public holidays, public expense
# programmes, trust anchors and revocations, rule tables and their versions,
# the linkage reference tables, and the generation (below).
# mynahoken.rule_compiled is left out: each shard compiles its own rules
# (the compile trigger fires on the subscriber, see mh_subscribe_reference).
MH_REFERENCE_TABLES="mynahoken.legal_source mynahoken.legal_parameter_def mynahoken.legal_change_set
mynahoken.legal_parameter_entry mynahoken.equinox_day mynahoken.public_holiday_rule mynahoken.public_holiday
mynahoken.public_expense_program mynahoken.trust_anchor mynahoken.revoked_certificate
mynahoken.rule_decision mynahoken.rule_fact mynahoken.rule_outcome mynahoken.document_kind mynahoken.rule_label
mynahoken.rule_table mynahoken.rule_version mynahoken.rule_row mynahoken.rule_test
mynahoken.kanji_variant mynahoken.linkage_reason mynahoken.linkage_due_period"

# The generation of the reference data is the extension's
# (mynahoken.reference_generation, a row per transaction that changes a
# reference table, written by a statement trigger on each): published with them, compared at decision time on each
# shard (mynahoken.reference_coordinator, see mh_shard_schema).
mh_publish_reference() {	# mh_publish_reference DB
	mh_log "publishing the reference data from the coordinator"
	mh_coord_psql -d "$1" -c "CREATE PUBLICATION mynahoken_reference
	  FOR TABLE $(echo $MH_REFERENCE_TABLES | tr ' ' ','), mynahoken.reference_generation" >/dev/null
}

# Shard K subscribes to the coordinator's reference data.  The rows
# CREATE EXTENSION seeded are replaced by the coordinator's (the initial
# copy brings shipped and own rows alike); triggers that keep a node's
# derived state (rule compilation, the certificate store) fire for
# replicated changes too (ENABLE ALWAYS).  Waits until the copy is done.
mh_subscribe_reference() {	# mh_subscribe_reference DB K
	local db=$1 k=$2 t deletes=""
	for t in $MH_REFERENCE_TABLES; do deletes="$deletes
DELETE FROM $t;"; done
	mh_shard_psql "$k" -d "$db" >/dev/null <<SQL || return 1
BEGIN;
-- the guards refuse deleting shipped rows; as a replica, no trigger fires
-- (nor counts the generation up)
SET LOCAL session_replication_role = replica;
DELETE FROM mynahoken.reference_generation;
$deletes
COMMIT;
ALTER TABLE mynahoken.rule_version ENABLE ALWAYS TRIGGER rule_version_compile;
ALTER TABLE mynahoken.trust_anchor ENABLE ALWAYS TRIGGER trust_anchor_changed;
CREATE SUBSCRIPTION mynahoken_reference
  CONNECTION 'host=$MH_TMP/sock port=$MH_SHARD_BASE_PORT dbname=$db user=postgres application_name=shard$k'
  PUBLICATION mynahoken_reference WITH (slot_name = 'mynahoken_reference_shard$k');
SQL
	mh_wait_reference "$db" "$k" || return 1
	# Compile every decision with the replicated rules (the initial copy
	# inserts versions; the compile trigger fires on activation only).
	mh_shard_psql "$k" -d "$db" -c \
		'SELECT count(mynahoken.rule_compile(c.decision)) FROM mynahoken.rule_compiled AS c' >/dev/null
}

# Wait (up to 60 s) until shard K has copied every reference table and holds
# the coordinator's generation.
mh_wait_reference() {	# mh_wait_reference DB K
	local db=$1 k=$2 want got
	want=$(mh_coord_psql -d "$db" -Atc 'SELECT count(*) FROM mynahoken.reference_generation') || return 1
	for _ in $(seq 1 240); do
		got=$(mh_shard_psql "$k" -d "$db" -Atc "SELECT (SELECT count(*) FROM pg_catalog.pg_subscription_rel
		                                                 WHERE srsubstate NOT IN ('r', 's'))
		                                        || ':' || (SELECT count(*) FROM mynahoken.reference_generation)" 2>/dev/null)
		[ "$got" = "0:$want" ] && return 0
		sleep 0.25
	done
	mh_log "shard $k did not catch up with the reference data (state $got, generation $want wanted)"
	return 1
}

# Shard K's side: its part of the members (demo.members with the
# insured-person key), the link back to the coordinator's generation and the
# decision views the coordinator reads as foreign tables.
mh_shard_schema() {	# mh_shard_schema DB K COLUMNS
	local db=$1 k=$2 columns=$3
	mh_shard_psql "$k" -d "$db" >/dev/null <<SQL || return 1
CREATE SCHEMA demo;
CREATE TABLE demo.members ($columns, insured_key text NOT NULL PRIMARY KEY);
COMMENT ON TABLE demo.members IS 'This shard''s part of the synthetic members (hash of insured_key at the coordinator)';
CREATE EXTENSION postgres_fdw;
CREATE SERVER coordinator FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$MH_TMP/sock', port '$MH_SHARD_BASE_PORT', dbname '$db', application_name 'shard${k}_generation');
CREATE USER MAPPING FOR postgres SERVER coordinator OPTIONS (user 'postgres');
CREATE SCHEMA mh_scale;
COMMENT ON SCHEMA mh_scale IS 'Scale-out, shard side: the coordinator''s generation, decision views (doc/scale-out.md)';
CREATE FOREIGN TABLE mh_scale.coordinator_generation (change_xid xid8, changed_at timestamptz)
  SERVER coordinator OPTIONS (schema_name 'mynahoken', table_name 'reference_generation');
COMMENT ON FOREIGN TABLE mh_scale.coordinator_generation IS 'The coordinator''s reference generation, read at decision time';
-- Every decision with the legal calendar on this shard first compares the
-- generations (mynahoken.require_current_reference, doc/scale-out.md).
ALTER DATABASE $db SET mynahoken.reference_coordinator = 'mh_scale.coordinator_generation';

-- The days a decision view answers for, one row each: a table with a key
-- (not generate_series, which the planner guesses at 1000 rows), so that
-- "day = X" is estimated at one row and the members are scanned once under
-- it, without a Materialize of every member.
CREATE TABLE mh_scale.decision_day (day date PRIMARY KEY);
COMMENT ON TABLE mh_scale.decision_day IS 'The days the decision views answer for (2024-12-02 to 2035-12-31)';
INSERT INTO mh_scale.decision_day
SELECT d::date FROM pg_catalog.generate_series(timestamp '2024-12-02', timestamp '2035-12-31', interval '1 day') AS d;
ANALYZE mh_scale.decision_day;
-- Statistics of the views' filters (valid insurer number, no contradictory
-- facts): without them the planner takes the default selectivity of a
-- function's result (0.5% of the members) and sorts where it should hash.
CREATE STATISTICS mh_scale.members_decided ON
  (mynahoken.category(CASE WHEN mynahoken.insurer_number_is_valid(insurer_number)
                           THEN insurer_number::mynahoken.insurer_number END)),
  (mynahoken.member_facts_conflict(birth_date, acquired_on, lost_on, legacy_card_issued_on, legacy_card_expires_on))
  FROM demo.members;
COMMENT ON STATISTICS mh_scale.members_decided IS 'How many members the decision views keep (valid insurer, no contradictory facts)';

-- One row per member and decision day (any day of mh_scale.decision_day; a
-- query names the day, and only that day is computed).  Members with an
-- invalid insurer number or contradictory facts are left out, as in
-- demo/queries/40_decisions.sql.  Columns a query does not read are not
-- computed.
CREATE VIEW mh_scale.member_decision AS
SELECT m.insured_key, m.member_id, m.employer_id, f.insurer, f.category, d.day,
       mynahoken.certificate_need(f.category, d.day, m.birth_date, m.acquired_on, m.lost_on,
         m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
         m.certificate_requested_on) AS reason,
       mynahoken.accepted_documents(f.category, d.day, m.acquired_on, m.lost_on,
         m.legacy_card_issued_on, m.legacy_card_expires_on, m.my_number IS NOT NULL,
         m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on, NULL) AS documents,
       mynahoken.explain_certificate_need(f.category, d.day, m.birth_date, m.acquired_on, m.lost_on,
         m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
         m.certificate_requested_on) AS explanation
  FROM demo.members AS m
  CROSS JOIN LATERAL (
    SELECT CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number)
                THEN m.insurer_number::mynahoken.insurer_number END AS insurer) AS n
  CROSS JOIN LATERAL (SELECT n.insurer, mynahoken.category(n.insurer) AS category) AS f
  CROSS JOIN mh_scale.decision_day AS d
 WHERE f.category IS NOT NULL
   AND mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on,
         m.legacy_card_issued_on, m.legacy_card_expires_on) IS NULL
   AND mynahoken.require_current_reference();
COMMENT ON VIEW mh_scale.member_decision IS
  'Decisions for this shard''s members on a day (certificate_need, accepted_documents, explain_certificate_need), refused on stale reference data';

-- Aggregates on the shard: a query naming the day gets one row per group.
CREATE VIEW mh_scale.need_by_reason AS
SELECT $k AS shard, day, insurer, category, reason, count(*) AS members
  FROM mh_scale.member_decision GROUP BY day, insurer, category, reason;
COMMENT ON VIEW mh_scale.need_by_reason IS 'Members per 資格確認書 reason, insurer and day on this shard';
CREATE VIEW mh_scale.documents_by_employer AS
SELECT $k AS shard, d.day, d.employer_id, doc AS document, count(*) AS members
  FROM mh_scale.member_decision AS d, unnest(d.documents) AS doc
 WHERE d.employer_id IS NOT NULL GROUP BY d.day, d.employer_id, doc;
COMMENT ON VIEW mh_scale.documents_by_employer IS 'Members per accepted document, employer and day on this shard';

-- Tokens computed on this shard with its own keyring (for the equality check).
CREATE VIEW mh_scale.member_token AS
SELECT m.insured_key, m.member_id, mynahoken.tokenize(m.my_number) AS token
  FROM demo.members AS m WHERE mynahoken.mynumber_is_valid(m.my_number);
COMMENT ON VIEW mh_scale.member_token IS 'Tokens of this shard''s members, computed on the shard';

-- Issuance on this shard (mh_shard_issuance): its members are the member
-- source of its own plan_issuance, and the coordinator reads its queue,
-- hand-off batches and runs through these views.
CREATE VIEW demo.issuance_members AS
SELECT m.member_id AS member_key, m.insurer_number, m.birth_date, m.acquired_on, m.lost_on,
       m.employer_id AS employer,
       coalesce(mynahoken.mynumber_is_valid(m.my_number), false) AS my_number_linked,
       m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
       m.certificate_requested_on, NULL::date AS certificate_valid_until
  FROM demo.members AS m;
COMMENT ON VIEW demo.issuance_members IS 'The member source of this shard''s issuance (its own members, no My Number)';
SELECT mynahoken.register_member_source('demo.issuance_members');
CREATE VIEW mh_scale.issuance_queue AS SELECT $k AS shard, q.* FROM mynahoken.issuance_queue AS q;
COMMENT ON VIEW mh_scale.issuance_queue IS 'This shard''s issuance queue, with the shard number';
CREATE VIEW mh_scale.issuance_handoff AS SELECT $k AS shard, h.* FROM mynahoken.issuance_handoff AS h;
COMMENT ON VIEW mh_scale.issuance_handoff IS 'This shard''s hand-off batches, with the shard number';
CREATE VIEW mh_scale.issuance_handoff_file AS SELECT $k AS shard, f.* FROM mynahoken.issuance_handoff_file AS f;
COMMENT ON VIEW mh_scale.issuance_handoff_file IS 'The print vendor''s lines of this shard''s batches, with the shard number';
CREATE VIEW mh_scale.issuance_runs AS SELECT $k AS shard, r.* FROM mynahoken.issuance_runs AS r;
COMMENT ON VIEW mh_scale.issuance_runs IS 'This shard''s issuance runs, with the shard number';
SQL
}

# Decisions by value: the coordinator reads its own calendar once per
# category (transition_rules, STABLE, in the CTE "rules" that
# mh_need_by_rules_with prints: one call site, so one calendar cache) and the
# shard runs the IMMUTABLE certificate_need_by_rules over its members with
# those rules as query parameters (an InitPlan per category); only one row
# per category and reason comes back.  The shards' own calendars are not
# read, so a lagging shard cannot answer with other rules.
# mh_need_by_rules_sql prints the query of shard K for the day DAY (an SQL
# expression of type date).
mh_need_by_rules_with() {	# mh_need_by_rules_with DAY
	cat <<SQL
WITH rules AS MATERIALIZED (
  SELECT c AS category, mynahoken.transition_rules(c, $1) AS rules
    FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::mynahoken.insurer_category)) AS c)
SQL
}

mh_need_by_rules_sql() {	# mh_need_by_rules_sql DAY K
	local day=$1 k=$2 c cases=""
	for c in kyokai_kenpo seamen day_laborer health_society self_defense mutual_aid late_elderly \
		special_retiree retiree_nhi municipal_nhi nhi_society; do
		cases="$cases
           WHEN '$c' THEN (SELECT r.rules FROM rules AS r WHERE r.category = '$c')"
	done
	cat <<SQL
SELECT $k AS shard, f.category,
       mynahoken.certificate_need_by_rules(CASE f.category$cases END,
         $day, m.birth_date, m.acquired_on, m.lost_on, m.my_number IS NOT NULL, m.myna_registered_on,
         m.myna_withdrawn_on, m.ecert_expires_on, m.certificate_requested_on) AS reason,
       count(*) AS members
  FROM dist.members_$k AS m
  CROSS JOIN LATERAL (SELECT mynahoken.category(m.insurer_number::mynahoken.insurer_number) AS category) AS f
 WHERE mynahoken.insurer_number_is_valid(m.insurer_number)
   AND mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on,
         m.legacy_card_issued_on, m.legacy_card_expires_on) IS NULL
 GROUP BY 1, 2, 3
SQL
}

# The coordinator's side: one foreign server per shard (functions and
# operators of mynahoken shipped, asynchronous append), the members
# hash-partitioned by the insured-person key, the shards' decision views as
# partitioned foreign tables, and the members moved to the shards.  Needs
# the coordinator's DB with demo.members (mh_shard_base_database or
# mh_demo_database) and the shards started (mh_start_shards).
mh_distribute() {	# mh_distribute DB
	local db=$1 n=${MH_SHARDS:?mh_start_shards first} k columns parts=""
	mh_log "distributing the members of $db across $n shards"
	columns=$(mh_coord_psql -d "$db" -Atc "SELECT string_agg(pg_catalog.format('%I %s', attname,
	                 pg_catalog.format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
	            FROM pg_catalog.pg_attribute WHERE attrelid = 'demo.members'::regclass
	             AND attnum > 0 AND NOT attisdropped") || return 1
	mh_publish_reference "$db" || return 1
	for k in $(seq 1 "$n"); do
		mh_shard_psql "$k" -d postgres -c "CREATE DATABASE $db" >/dev/null || return 1
		mh_shard_psql "$k" -d "$db" -c 'CREATE EXTENSION mynahoken' \
			-c "ALTER DATABASE $db SET search_path = $MH_DEMO_SEARCH_PATH" >/dev/null || return 1
		mh_subscribe_reference "$db" "$k" || return 1
		mh_shard_schema "$db" "$k" "$columns" || return 1
		parts="$parts
CREATE SERVER shard$k FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$MH_TMP/sock', port '$(mh_shard_port "$k")', dbname '$db', extensions 'mynahoken',
           async_capable 'true', fetch_size '10000', batch_size '1000', application_name 'coordinator');
CREATE USER MAPPING FOR postgres SERVER shard$k OPTIONS (user 'postgres');
CREATE FOREIGN TABLE dist.members_$k PARTITION OF dist.members
  FOR VALUES WITH (MODULUS $n, REMAINDER $((k - 1))) SERVER shard$k OPTIONS (schema_name 'demo', table_name 'members');
CREATE FOREIGN TABLE dist.member_decision_$k PARTITION OF dist.member_decision
  FOR VALUES WITH (MODULUS $n, REMAINDER $((k - 1))) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'member_decision');
CREATE FOREIGN TABLE dist.member_token_$k PARTITION OF dist.member_token
  FOR VALUES WITH (MODULUS $n, REMAINDER $((k - 1))) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'member_token');
CREATE FOREIGN TABLE dist.need_by_reason_$k PARTITION OF dist.need_by_reason
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'need_by_reason');
CREATE FOREIGN TABLE dist.documents_by_employer_$k PARTITION OF dist.documents_by_employer
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'documents_by_employer');
CREATE FOREIGN TABLE dist.issuance_queue_$k PARTITION OF dist.issuance_queue
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'issuance_queue');
CREATE FOREIGN TABLE dist.issuance_handoff_$k PARTITION OF dist.issuance_handoff
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'issuance_handoff');
CREATE FOREIGN TABLE dist.issuance_handoff_file_$k PARTITION OF dist.issuance_handoff_file
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'issuance_handoff_file');
CREATE FOREIGN TABLE dist.issuance_runs_$k PARTITION OF dist.issuance_runs
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'issuance_runs');"
	done
	mh_coord_psql -d "$db" >/dev/null <<SQL || return 1
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SCHEMA dist;
COMMENT ON SCHEMA dist IS 'The members and decisions spread over the shards (doc/scale-out.md)';
-- The insured-person key (JP Core 被保険者個人識別子) is the distribution
-- column; members whose insurer number is invalid get a key of their own.
CREATE TABLE dist.members ($columns, insured_key text NOT NULL) PARTITION BY HASH (insured_key);
CREATE TABLE dist.member_decision (insured_key text, member_id bigint, employer_id int,
  insurer mynahoken.insurer_number, category mynahoken.insurer_category, day date,
  reason mynahoken.certificate_reason, documents mynahoken.document[], explanation jsonb)
  PARTITION BY HASH (insured_key);
CREATE TABLE dist.member_token (insured_key text, member_id bigint, token mynahoken.mynumber_token)
  PARTITION BY HASH (insured_key);
CREATE TABLE dist.need_by_reason (shard int, day date, insurer mynahoken.insurer_number,
  category mynahoken.insurer_category, reason mynahoken.certificate_reason, members bigint)
  PARTITION BY LIST (shard);
CREATE TABLE dist.documents_by_employer (shard int, day date, employer_id int,
  document mynahoken.document, members bigint) PARTITION BY LIST (shard);
-- Issuance per shard: each shard's queue, batches, print lines and runs
-- (the extension's own relations, with the shard number).
CREATE TABLE dist.issuance_queue (shard int, LIKE mynahoken.issuance_queue) PARTITION BY LIST (shard);
CREATE TABLE dist.issuance_handoff (shard int, LIKE mynahoken.issuance_handoff) PARTITION BY LIST (shard);
CREATE TABLE dist.issuance_handoff_file (shard int, LIKE mynahoken.issuance_handoff_file) PARTITION BY LIST (shard);
CREATE TABLE dist.issuance_runs (shard int, LIKE mynahoken.issuance_runs) PARTITION BY LIST (shard);
$parts
SQL
	# PostgreSQL 15 pushes an aggregate down only when it runs on one foreign
	# table: members per category, one aggregate per shard, summed here.
	local branches
	branches=$(for k in $(seq 1 "$n"); do
		printf '%s\n' "SELECT mynahoken.category(m.insurer_number::mynahoken.insurer_number) AS category, count(*) AS members
  FROM dist.members_$k AS m WHERE mynahoken.insurer_number_is_valid(m.insurer_number) GROUP BY 1"
	done | sed '1!s/^SELECT/UNION ALL SELECT/')
	local need=""
	for k in $(seq 1 "$n"); do need="$need${need:+
UNION ALL
}$(mh_need_by_rules_sql day "$k")"; done
	mh_coord_psql -d "$db" >/dev/null <<SQL || return 1
CREATE FUNCTION dist.certificate_need_counts(day date)
RETURNS TABLE (shard int, category mynahoken.insurer_category, reason mynahoken.certificate_reason, members bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
$(mh_need_by_rules_with day)
$need;
END;
COMMENT ON FUNCTION dist.certificate_need_counts(date) IS
  'Members per insurer category and 資格確認書 reason on a day, per shard: decided on the shards with the coordinator''s rules';
SQL
	mh_coord_psql -d "$db" >/dev/null <<SQL || return 1
CREATE VIEW dist.members_by_category AS
$branches;
COMMENT ON VIEW dist.members_by_category IS
  'Members per insurer category, one row per category and shard, each counted on its shard';
SQL
	mh_shard_issuance "$db" || return 1
	[ "${MH_DISTRIBUTE_COPY:-yes}" = no ] && return 0	# mh_shard_generate fills them
	mh_coord_psql -d "$db" >/dev/null <<'SQL' || return 1
INSERT INTO dist.members
SELECT m.*, CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number)
                 THEN mynahoken.insured_key(m.insurer_number::mynahoken.insurer_number, m.card_symbol,
                                            m.card_number, m.card_branch)
                 ELSE 'member:' || m.member_id END
  FROM demo.members AS m;
ANALYZE dist.members;
SQL
	for k in $(seq 1 "$n"); do
		mh_shard_psql "$k" -d "$db" -c 'ANALYZE demo.members' >/dev/null || return 1
	done
}

# Issuance per shard, orchestrated from the coordinator (doc/scale-out.md):
# each shard plans its own members with its own mynahoken.plan_issuance and
# batches them with its own mynahoken.prepare_handoffs; the coordinator
# dispatches both (dblink, every shard at once), assembles one batch per
# employer and day out of the shards' batches (dist.handoff, dist.handoff_part)
# and marks a batch sent on every shard with the shards' own
# mynahoken.mark_handoff_sent.  Each step reads the shards' state before
# acting, so a rerun after a kill or a shard down does what is missing and
# nothing twice.
mh_shard_issuance() {	# mh_shard_issuance DB
	mh_coord_psql -d "$1" >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;

CREATE FUNCTION dist.shards() RETURNS TABLE (shard int, server name)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT pg_catalog.substr(s.srvname, 6)::int, s.srvname FROM pg_catalog.pg_foreign_server AS s
   WHERE s.srvname OPERATOR(pg_catalog.~) '^shard[0-9]+$' ORDER BY 1;
END;
COMMENT ON FUNCTION dist.shards() IS 'The shards: number and foreign server (shardK)';

CREATE TABLE dist.handoff (
  batch_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  employer    text,              -- NULL: mailed directly to members
  on_day      date NOT NULL,     -- the day the shards re-checked its documents for
  prepared_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  sent_on     date               -- NULL: not yet marked sent on every shard
);
COMMENT ON TABLE dist.handoff IS
  'Hand-off batches assembled at the coordinator: one per employer and day, made of the shards'' batches (dist.handoff_part)';
CREATE UNIQUE INDEX handoff_open ON dist.handoff (employer, on_day) NULLS NOT DISTINCT WHERE sent_on IS NULL;
CREATE TABLE dist.handoff_part (
  shard      int NOT NULL,
  handoff_id bigint NOT NULL,    -- mynahoken.issuance_handoff of that shard
  batch_id   bigint NOT NULL REFERENCES dist.handoff,
  documents  bigint NOT NULL,
  recalls    bigint NOT NULL,
  sent_on    date,               -- as marked on the shard
  PRIMARY KEY (shard, handoff_id)
);
COMMENT ON TABLE dist.handoff_part IS 'The shards'' batches in each coordinator batch, and when each was marked sent on its shard';
CREATE VIEW dist.handoffs AS
SELECT h.batch_id, h.employer, h.on_day, h.sent_on, pg_catalog.array_agg(p.shard ORDER BY p.shard) AS shards,
       pg_catalog.sum(p.documents) AS documents, pg_catalog.sum(p.recalls) AS recalls,
       pg_catalog.count(*) FILTER (WHERE p.sent_on IS NULL) AS parts_unsent
  FROM dist.handoff AS h JOIN dist.handoff_part AS p USING (batch_id)
 GROUP BY h.batch_id;
COMMENT ON VIEW dist.handoffs IS 'Coordinator batches: employer, day, shards, documents, recall notices, parts not yet marked sent';
CREATE VIEW dist.handoff_file AS
SELECT p.batch_id, f.*
  FROM dist.handoff_part AS p JOIN dist.issuance_handoff_file AS f ON f.shard = p.shard AND f.handoff_id = p.handoff_id;
COMMENT ON VIEW dist.handoff_file IS 'The print vendor''s lines of each coordinator batch, read from its shards';

CREATE FUNCTION dist.plan_issuance(as_of date, chunk_size integer DEFAULT 10000, late_days integer DEFAULT 60,
                                   pause_ms integer DEFAULT 0)
RETURNS TABLE (shard int, status text, error text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  s record;
  sent int[] := '{}';
  k int;
  q text := pg_catalog.format('CALL mynahoken.plan_issuance(%L::date, chunk_size => %s, late_days => %s, pause_ms => %s)',
                              as_of, chunk_size, late_days, pause_ms);
BEGIN
  IF as_of IS NULL OR chunk_size IS NULL OR late_days IS NULL OR pause_ms IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'as_of, chunk_size, late_days and pause_ms must not be null');
  END IF;
  -- Every shard at once, each in its own session (plan_issuance commits
  -- chunk by chunk there); a shard that cannot be reached is reported and
  -- the others plan all the same.
  FOR s IN SELECT * FROM dist.shards() LOOP
    IF 'mh_plan_' || s.shard = ANY (public.dblink_get_connections()) THEN
      PERFORM public.dblink_disconnect('mh_plan_' || s.shard);
    END IF;
    BEGIN
      PERFORM public.dblink_connect('mh_plan_' || s.shard, s.server);
      PERFORM public.dblink_send_query('mh_plan_' || s.shard, q);
      sent := sent || s.shard;
    EXCEPTION WHEN OTHERS THEN
      shard := s.shard; status := 'failed'; error := SQLERRM;
      RETURN NEXT;
    END;
  END LOOP;
  FOREACH k IN ARRAY sent LOOP
    shard := k; status := 'planned'; error := NULL;
    BEGIN
      PERFORM FROM public.dblink_get_result('mh_plan_' || k) AS t(r text);
      PERFORM FROM public.dblink_get_result('mh_plan_' || k) AS t(r text);
    EXCEPTION WHEN OTHERS THEN
      status := 'failed'; error := SQLERRM;
    END;
    BEGIN
      PERFORM public.dblink_disconnect('mh_plan_' || k);
    EXCEPTION WHEN OTHERS THEN
      NULL;   -- the connection broke with the shard: already reported
    END;
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION dist.plan_issuance(date, integer, integer, integer) IS
  'Run mynahoken.plan_issuance on every shard at once, each over its own members; one row per shard: planned, or failed with the error (the others are not affected; a rerun for the same day completes what a failed or killed run left)';

CREATE FUNCTION dist.prepare_handoffs(on_day date DEFAULT CURRENT_DATE, late_days integer DEFAULT 60,
                                      certificate_send_days integer DEFAULT 14)
RETURNS TABLE (shard int, status text, batches bigint, error text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  s record;
  h record;
  b bigint;
BEGIN
  IF on_day IS NULL OR late_days IS NULL OR certificate_send_days IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'on_day, late_days and certificate_send_days must not be null');
  END IF;
  FOR s IN SELECT * FROM dist.shards() LOOP
    shard := s.shard; status := 'prepared'; batches := 0; error := NULL;
    BEGIN
      -- On the shard, in its own transaction: its planned documents into one
      -- batch per employer (mynahoken.prepare_handoffs, idempotent).
      PERFORM FROM public.dblink(s.server, pg_catalog.format(
        'SELECT pg_catalog.count(*) FROM mynahoken.prepare_handoffs(%L::date, %s, %s)',
        on_day, late_days, certificate_send_days)) AS t(n bigint);
      -- Here: every unsent batch of the shard not yet in a coordinator batch
      -- (those of this call, and those of a call stopped before this step)
      -- joins the open batch of its employer and day.
      FOR h IN SELECT x.handoff_id, x.employer, x.handoff_on, x.documents, x.recalls
                 FROM dist.issuance_handoff AS x
                WHERE x.shard = s.shard AND x.sent_on IS NULL AND x.handoff_on IS NOT NULL
                  AND NOT EXISTS (SELECT FROM dist.handoff_part AS p
                                   WHERE p.shard = s.shard AND p.handoff_id = x.handoff_id)
                ORDER BY x.handoff_id LOOP
        INSERT INTO dist.handoff AS d (employer, on_day) VALUES (h.employer, h.handoff_on)
          ON CONFLICT (employer, on_day) WHERE sent_on IS NULL DO NOTHING;
        SELECT d.batch_id INTO b FROM dist.handoff AS d
         WHERE d.employer IS NOT DISTINCT FROM h.employer AND d.on_day = h.handoff_on AND d.sent_on IS NULL;
        INSERT INTO dist.handoff_part VALUES (s.shard, h.handoff_id, b, h.documents, h.recalls, NULL);
        batches := batches + 1;
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      status := 'failed'; batches := 0; error := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION dist.prepare_handoffs(date, integer, integer) IS
  'mynahoken.prepare_handoffs on every shard, then the shards'' new batches assembled into one coordinator batch per employer and day (dist.handoffs); one row per shard: prepared with the number of its batches assembled, or failed with the error (rerun once the shard is back)';

CREATE FUNCTION dist.mark_handoff_sent(batch_id bigint, sent_on date DEFAULT CURRENT_DATE, pause_ms integer DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  b dist.handoff;
  p record;
  there date;
  got bigint;
  n bigint := 0;
  first boolean := true;
BEGIN
  IF sent_on IS NULL OR pause_ms IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'sent_on and pause_ms must not be null');
  END IF;
  SELECT * INTO b FROM dist.handoff AS h WHERE h.batch_id = mark_handoff_sent.batch_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', 'hand-off batch does not exist');
  END IF;
  IF b.sent_on IS NOT NULL THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format(mynahoken.gettext('hand-off batch %s was already marked sent on %s'), b.batch_id, to_char(b.sent_on, 'YYYY-MM-DD')));
  END IF;
  FOR p IN SELECT x.*, s.server FROM dist.handoff_part AS x JOIN dist.shards() AS s USING (shard)
            WHERE x.batch_id = b.batch_id AND x.sent_on IS NULL ORDER BY x.shard, x.handoff_id LOOP
    IF NOT first AND pause_ms > 0 THEN
      PERFORM pg_catalog.pg_sleep(pause_ms / 1000.0);
    END IF;
    first := false;
    BEGIN
      -- The shard's own state first: an attempt stopped after marking it
      -- there and before recording it here leaves it marked; never twice.
      SELECT t.sent_on INTO there FROM public.dblink(p.server, pg_catalog.format(
        'SELECT h.sent_on FROM mynahoken.issuance_handoff AS h WHERE h.handoff_id = %s', p.handoff_id)) AS t(sent_on date);
      IF there IS NULL THEN
        SELECT t.n INTO got FROM public.dblink(p.server, pg_catalog.format(
          'SELECT mynahoken.mark_handoff_sent(%s, %L::date)', p.handoff_id, sent_on)) AS t(n bigint);
        n := n + got;
        there := sent_on;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      PERFORM mynahoken.raise_error('08006',
        pg_catalog.format(mynahoken.gettext('hand-off batch %s could not be marked sent on shard %s'), b.batch_id, p.shard),
        detail => SQLERRM,
        hint => 'The shards already marked stay marked; run it again once the shard is back: each shard is marked once.');
    END;
    UPDATE dist.handoff_part AS x SET sent_on = there WHERE x.shard = p.shard AND x.handoff_id = p.handoff_id;
  END LOOP;
  UPDATE dist.handoff AS h SET sent_on = mark_handoff_sent.sent_on WHERE h.batch_id = b.batch_id;
  RETURN n;
END
$$;
COMMENT ON FUNCTION dist.mark_handoff_sent(bigint, date, integer) IS
  'Mark a coordinator batch sent on every shard holding a part of it (mynahoken.mark_handoff_sent there, each shard once even after an interrupted attempt), waiting pause_ms between shards; returns the documents and recall notices marked by this call; 08006 naming the shard when one cannot be reached';
SQL
}

# Synthetic members for large runs (bench/scale_out.sql at 10,000,000): the
# members 1..N, each a function of its member_id alone (hashes, no random()),
# so the coordinator's one-node copy (demo.members) and the shards' parts
# are the same members.  Each node generates its own rows server-side and
# in parallel; a shard keeps those whose insured-person key hashes to it
# (satisfies_hash_partition on a local table with the coordinator's
# partition key), nothing goes through the coordinator.  The mix follows
# demo/insurer.sql: six insurers by share, 0.5% keyed with a wrong check
# digit, 4% lost, 85% with a (synthetic, check-digit-valid) My Number.
mh_synthetic_members_sql() {	# mh_synthetic_members_sql N [K NSHARDS]
	local n=$1 k=${2:-} nshards=${3:-} e key where=""
	e=$(( n / 40 > 10 ? n / 40 : 10 ))
	key="CASE WHEN mynahoken.insurer_number_is_valid(g.ins) THEN mynahoken.insured_key(g.ins::mynahoken.insurer_number, g.symbol, g.number, g.branch) ELSE 'member:' || g.i END"
	[ -n "$k" ] && where="WHERE satisfies_hash_partition('mh_scale.members_hash'::regclass, $nshards, $((k - 1)), $key)"
	cat <<SQL
INSERT INTO demo.members
SELECT g.i, g.ins, g.symbol, g.number, g.branch, NOT g.late AND NOT g.nhi AND g.i % 3 <> 0, g.birth, g.acquired,
       CASE WHEN g.r4 < 0.04 THEN greatest(g.acquired + 1 + (g.r4 * 1e4)::int % 60, date '2024-06-01' + (g.r4 * 25 * 365)::int) END,
       CASE WHEN NOT (g.late OR g.nhi) THEN 1 + (g.r2 * $e)::int % $e END,
       CASE WHEN g.acquired <= date '2024-11-29' THEN least(g.acquired + 14, date '2024-11-29') END,
       CASE WHEN (g.late OR g.nhi) AND g.acquired <= date '2024-11-29' THEN date '2025-07-31' END,
       CASE WHEN g.r5 < 0.85 THEN lpad(g.b11::text, 11, '0') || CASE WHEN g.cs % 11 <= 1 THEN 0 ELSE 11 - g.cs % 11 END END,
       CASE WHEN g.r5 < 0.62 THEN date '2021-10-20' + (g.r5 * 1200)::int END,
       CASE WHEN g.r5 < 0.62 AND g.r6 < 0.01 THEN date '2024-11-01' + (g.r6 * 30000)::int END,
       CASE WHEN g.r5 < 0.85 THEN date '2025-01-01' + (g.r6 * 365 * 5)::int END,
       CASE WHEN g.r3 < 0.005 THEN date '2025-01-15' + (g.r3 * 40000)::int END
       ${k:+, $key}
  FROM (
    SELECT r.*, d.*, greatest(d.birth, date '2005-04-01' + (r.r3 * 7500)::int) AS acquired,
           CASE WHEN r.r7 < 0.005 THEN left(d.ins0, -1) || ((right(d.ins0, 1)::int + 1) % 10) ELSE d.ins0 END AS ins,
           CASE WHEN d.late THEN NULL WHEN d.nhi THEN (10 + (r.r2 * 80)::int)::text
                ELSE (1000000 + ((r.r2 * $e)::int + 1) * 7)::text END AS symbol,
           CASE WHEN d.late THEN lpad((10000000 + r.i)::text, 8, '0') ELSE (100 + r.i / 3)::text END AS number,
           CASE WHEN d.late THEN NULL ELSE lpad((r.i % 3)::text, 2, '0') END AS branch,
           r.b11 / 1 % 10 * 2 + r.b11 / 10 % 10 * 3 + r.b11 / 100 % 10 * 4 + r.b11 / 1000 % 10 * 5
             + r.b11 / 10000 % 10 * 6 + r.b11 / 100000 % 10 * 7 + r.b11 / 1000000 % 10 * 2 + r.b11 / 10000000 % 10 * 3
             + r.b11 / 100000000 % 10 * 4 + r.b11 / 1000000000 % 10 * 5 + r.b11 / 10000000000 % 10 * 6 AS cs
      FROM generate_series(1, $n) AS s(i)
      CROSS JOIN LATERAL (
        SELECT s.i, (hashint8extended(s.i, 1) & 2147483647)::float8 / 2147483648 AS r_ins,
               (hashint8extended(s.i, 2) & 2147483647)::float8 / 2147483648 AS r1,
               (hashint8extended(s.i, 3) & 2147483647)::float8 / 2147483648 AS r2,
               (hashint8extended(s.i, 4) & 2147483647)::float8 / 2147483648 AS r3,
               (hashint8extended(s.i, 5) & 2147483647)::float8 / 2147483648 AS r4,
               (hashint8extended(s.i, 6) & 2147483647)::float8 / 2147483648 AS r5,
               (hashint8extended(s.i, 7) & 2147483647)::float8 / 2147483648 AS r6,
               (hashint8extended(s.i, 8) & 2147483647)::float8 / 2147483648 AS r7,
               (hashint8extended(s.i, 9) & 2147483647) % 100000000000 AS b11) AS r
      CROSS JOIN LATERAL (
        SELECT CASE WHEN r.r_ins < 0.50 THEN '01130012' WHEN r.r_ins < 0.62 THEN '06139992'
                    WHEN r.r_ins < 0.67 THEN '31130016' WHEN r.r_ins < 0.80 THEN '39131156'
                    WHEN r.r_ins < 0.95 THEN '131151' ELSE '133033' END AS ins0) AS i0
      CROSS JOIN LATERAL (
        SELECT i0.ins0, i0.ins0 LIKE '39%' AS late, length(i0.ins0) = 6 AS nhi,
               CASE WHEN i0.ins0 LIKE '39%' THEN date '2026-04-01' - (75 * 365 + (r.r1 * 20 * 365)::int)
                    ELSE date '2026-04-01' - (r.r1 * 74 * 365)::int END AS birth) AS d) AS g
$where
SQL
}

# The members 1..N generated on every node at once (mh_synthetic_members_sql):
# all of them in the coordinator's demo.members (the one-node copy), each
# shard its own.  After mh_distribute with MH_DISTRIBUTE_COPY=no.
mh_shard_generate() {	# mh_shard_generate DB N
	local db=$1 n=$2 k pids="" rc=0 pid
	mh_coord_psql -d "$db" -c 'TRUNCATE demo.members CASCADE' \
		-c 'ALTER TABLE demo.members DROP CONSTRAINT IF EXISTS members_employer_id_fkey' >/dev/null || return 1
	mh_synthetic_members_sql "$n" | mh_coord_psql -d "$db" >/dev/null & pids="$!"
	for k in $(seq 1 "$MH_SHARDS"); do
		{ mh_shard_psql "$k" -d "$db" -c 'TRUNCATE demo.members' \
			-c 'CREATE TABLE IF NOT EXISTS mh_scale.members_hash (insured_key text) PARTITION BY HASH (insured_key)' >/dev/null &&
		  mh_synthetic_members_sql "$n" "$k" "$MH_SHARDS" | mh_shard_psql "$k" -d "$db" >/dev/null &&
		  mh_shard_psql "$k" -d "$db" -c 'VACUUM ANALYZE demo.members' >/dev/null; } & pids="$pids $!"
	done
	for pid in $pids; do wait "$pid" || rc=1; done
	mh_coord_psql -d "$db" -c 'VACUUM ANALYZE demo.members' >/dev/null || rc=1
	return $rc
}

# What the coordinator answers over the shards (printed by the demo).
mh_shard_report() {	# mh_shard_report DB
	mh_coord_psql -d "$1" -P pager=off <<'SQL'
\echo
\echo '== Scale-out: members per shard (hash of the insured-person key)'
SELECT tableoid::regclass AS partition, count(*) AS members FROM dist.members GROUP BY 1 ORDER BY 1;
\echo '== Members per insurer category, counted on each shard (one row per category and shard comes back)'
SELECT category, sum(members) AS members FROM dist.members_by_category GROUP BY 1 ORDER BY 1;
\echo '== Who needs a 資格確認書, and why, on 2026-08-01: each shard decides its members'
SELECT reason, sum(members) AS members FROM dist.need_by_reason WHERE day = '2026-08-01' GROUP BY 1 ORDER BY 1;
\echo '== What the coordinator sends to the shards for it'
EXPLAIN (VERBOSE, COSTS OFF)
SELECT reason, sum(members) AS members FROM dist.need_by_reason WHERE day = '2026-08-01' GROUP BY 1 ORDER BY 1;
\echo '== One member''s explanation, asked of the one shard that holds the member'
SELECT jsonb_pretty(d.explanation - 'rules') AS explanation
  FROM dist.member_decision AS d
 WHERE d.day = '2026-01-15'
   AND d.insured_key = (SELECT insured_key FROM dist.members WHERE member_id = 1001);
SQL
}

# The demo with N shards (scripts/demo.sh --shards N): the demo database
# "insurer" on a coordinator, its members on N shards.  mynahoken is
# installed into a private copy of PostgreSQL in the demo's directory (as
# the tests do), not into the system's: the N + 1 clusters run from it, and
# removing the directory removes it.  The clusters keep running; the last
# lines say how to connect and how to stop them.
mh_shard_demo() {	# mh_shard_demo N MEMBERS
	local n=$1 members=$2 k stop as
	mh_ensure_packages
	mh_build
	mh_make_tmp
	mh_private_install
	MH_EXTRA_CONF="cron.database_name = 'insurer'" mh_start_coordinator
	mh_start_shards "$n"
	mh_demo_database insurer "$members" || mh_die "the demo database could not be built"
	mh_distribute insurer || mh_die "the members could not be distributed"
	mh_shard_report insurer || mh_die "the scale-out queries failed"
	as=""
	[ "$(id -u)" -eq 0 ] && as="runuser -u postgres -- "
	stop="$as$MH_BINDIR/pg_ctl -D $MH_TMP/data stop"
	for k in $(seq 1 "$n"); do stop="$stop && $as$MH_BINDIR/pg_ctl -D $MH_TMP/shard$k stop"; done
	cat <<HINT

The coordinator and $n shards are still running in $MH_TMP.
Coordinator: psql -h $MH_TMP/sock -p $MH_SHARD_BASE_PORT -U postgres insurer
             demo.members: every member (one node, for comparison); dist.*: the members and
             decisions spread over the shards (doc/scale-out.md).
Shard K:     psql -h $MH_TMP/sock -p \$(( $MH_SHARD_BASE_PORT + K )) -U postgres insurer
Stop:        $stop && rm -rf $MH_TMP
HINT
}
