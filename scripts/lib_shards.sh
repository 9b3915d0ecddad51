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
#   mh_distribute DB
#   ...
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
max_parallel_workers_per_gather = 0
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

# The generation of the reference data: one row, counted up by a statement
# trigger on every reference table in the transaction that changes it, and
# replicated with that transaction.  A shard compares its replicated
# generation with the coordinator's at decision time
# (mh_scale.require_current_reference) and refuses to decide on reference
# data that differ from the coordinator's.
mh_generation_sql() {
	cat <<'SQL'
CREATE SCHEMA IF NOT EXISTS mh_scale;
COMMENT ON SCHEMA mh_scale IS 'Scale-out: reference generation, shard-side decision views (doc/scale-out.md)';
CREATE TABLE mh_scale.reference_generation (
  one        boolean PRIMARY KEY DEFAULT true CHECK (one),
  generation bigint NOT NULL,
  changed_at timestamptz NOT NULL
);
COMMENT ON TABLE mh_scale.reference_generation IS
  'Generation of the reference data: counted up at the coordinator in every transaction that changes a reference table, replicated with it';
INSERT INTO mh_scale.reference_generation VALUES (true, 1, pg_catalog.now());
SQL
}

mh_publish_reference() {	# mh_publish_reference DB
	local db=$1 t triggers=""
	for t in $MH_REFERENCE_TABLES; do
		triggers="$triggers
CREATE TRIGGER mh_scale_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON $t
  FOR EACH STATEMENT EXECUTE FUNCTION mh_scale.next_generation();"
	done
	mh_log "publishing the reference data from the coordinator"
	mh_coord_psql -d "$db" >/dev/null <<SQL || return 1
$(mh_generation_sql)
CREATE FUNCTION mh_scale.next_generation() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS \$\$
BEGIN
  UPDATE mh_scale.reference_generation
     SET generation = generation OPERATOR(pg_catalog.+) 1, changed_at = pg_catalog.now();
  RETURN NULL;
END
\$\$;
COMMENT ON FUNCTION mh_scale.next_generation() IS
  'Trigger: counts up the reference generation in the transaction that changes a reference table';
$triggers
CREATE PUBLICATION mynahoken_reference FOR TABLE $(echo $MH_REFERENCE_TABLES | tr ' ' ','), mh_scale.reference_generation;
SQL
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
$(mh_generation_sql)
UPDATE mh_scale.reference_generation SET generation = 0;
BEGIN;
-- the guards refuse deleting shipped rows; as a replica, no trigger fires
SET LOCAL session_replication_role = replica;
DELETE FROM mh_scale.reference_generation;
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
	want=$(mh_coord_psql -d "$db" -Atc 'SELECT generation FROM mh_scale.reference_generation') || return 1
	for _ in $(seq 1 240); do
		got=$(mh_shard_psql "$k" -d "$db" -Atc "SELECT (SELECT count(*) FROM pg_catalog.pg_subscription_rel
		                                                 WHERE srsubstate NOT IN ('r', 's'))
		                                        || ':' || coalesce((SELECT generation FROM mh_scale.reference_generation), -1)" 2>/dev/null)
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
CREATE FOREIGN TABLE mh_scale.coordinator_generation (generation bigint, changed_at timestamptz)
  SERVER coordinator OPTIONS (schema_name 'mh_scale', table_name 'reference_generation');
COMMENT ON FOREIGN TABLE mh_scale.coordinator_generation IS 'The coordinator''s reference generation, read at decision time';

-- The detection hook: true when this shard's reference data are the
-- coordinator's current ones, an error otherwise (never a wrong answer).
-- STABLE: it reads tables; a view evaluates it once per query (a qual
-- without columns is a one-time filter).
CREATE FUNCTION mh_scale.require_current_reference() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS \$\$
DECLARE
  here bigint := (SELECT g.generation FROM mh_scale.reference_generation AS g);
  there bigint := (SELECT g.generation FROM mh_scale.coordinator_generation AS g);
BEGIN
  IF here IS DISTINCT FROM there THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format('reference data of %s differ from the coordinator''s: decisions refused',
                        pg_catalog.current_setting('cluster_name')),
      detail => pg_catalog.format('Reference generation %s here, %s at the coordinator.', here, there),
      hint => 'Check the subscription mynahoken_reference of this shard (pg_stat_subscription) and retry once it has caught up.');
  END IF;
  RETURN true;
END
\$\$;
COMMENT ON FUNCTION mh_scale.require_current_reference() IS
  'True when the reference generation of this shard equals the coordinator''s; error 55000 naming the shard otherwise';

-- One row per member and decision day (any day from 2024-12-02 to 2035-12-31;
-- a query names the day, and only that day is computed).  Members with an
-- invalid insurer number or contradictory facts are left out, as in
-- demo/queries/40_decisions.sql.  Columns a query does not read are not
-- computed.
CREATE VIEW mh_scale.member_decision AS
SELECT m.insured_key, m.member_id, m.employer_id, f.insurer, f.category, d.day::date AS day,
       mynahoken.certificate_need(f.category, d.day::date, m.birth_date, m.acquired_on, m.lost_on,
         m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
         m.certificate_requested_on) AS reason,
       mynahoken.accepted_documents(f.category, d.day::date, m.acquired_on, m.lost_on,
         m.legacy_card_issued_on, m.legacy_card_expires_on, m.my_number IS NOT NULL,
         m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on, NULL) AS documents,
       mynahoken.explain_certificate_need(f.category, d.day::date, m.birth_date, m.acquired_on, m.lost_on,
         m.my_number IS NOT NULL, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
         m.certificate_requested_on) AS explanation
  FROM demo.members AS m
  CROSS JOIN LATERAL (
    SELECT CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number)
                THEN m.insurer_number::mynahoken.insurer_number END AS insurer) AS n
  CROSS JOIN LATERAL (SELECT n.insurer, mynahoken.category(n.insurer) AS category) AS f
  CROSS JOIN pg_catalog.generate_series(timestamp '2024-12-02', timestamp '2035-12-31', interval '1 day') AS d(day)
 WHERE f.category IS NOT NULL
   AND mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on,
         m.legacy_card_issued_on, m.legacy_card_expires_on) IS NULL
   AND mh_scale.require_current_reference();
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
  FOR VALUES IN ($k) SERVER shard$k OPTIONS (schema_name 'mh_scale', table_name 'documents_by_employer');"
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
# "insurer" on a coordinator, its members on N shards.  The clusters keep
# running; the last lines say how to connect and how to stop them.
mh_shard_demo() {	# mh_shard_demo N MEMBERS
	local n=$1 members=$2 k stop
	mh_ensure_packages
	mh_build
	mh_system_install
	mh_make_tmp
	MH_EXTRA_CONF="cron.database_name = 'insurer'" mh_start_coordinator
	mh_start_shards "$n"
	mh_demo_database insurer "$members" || mh_die "the demo database could not be built"
	mh_distribute insurer || mh_die "the members could not be distributed"
	mh_shard_report insurer || mh_die "the scale-out queries failed"
	stop="runuser -u postgres -- $MH_BINDIR/pg_ctl -D $MH_TMP/data stop"
	for k in $(seq 1 "$n"); do stop="$stop && runuser -u postgres -- $MH_BINDIR/pg_ctl -D $MH_TMP/shard$k stop"; done
	cat <<HINT

The coordinator and $n shards are still running in $MH_TMP.
Coordinator: psql -h $MH_TMP/sock -p $MH_SHARD_BASE_PORT -U postgres insurer
             demo.members: every member (one node, for comparison); dist.*: the members and
             decisions spread over the shards (doc/scale-out.md).
Shard K:     psql -h $MH_TMP/sock -p \$(( $MH_SHARD_BASE_PORT + K )) -U postgres insurer
Stop:        $stop && rm -rf $MH_TMP
HINT
}
