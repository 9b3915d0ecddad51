-- ---------------------------------------------------------------------------
-- Scale-out (issue 17, doc/scale-out.md): the generation of the reference
-- data, and the check that a node decides only with the coordinator's.
--
-- Every transaction that changes a reference table (the legal calendar and
-- its sources, public holidays, public expense programmes, trust anchors and
-- revocations, rule tables and their versions, linkage reference tables)
-- adds one row to mynahoken.reference_generation; the generation is the
-- number of rows.  A row per transaction (keyed by its transaction id), not
-- a counter: concurrent writers of reference data never wait for each other.
-- The coordinator publishes the reference tables and this one; a shard
-- receives each row with the changes it belongs to.  A shard's setting
-- mynahoken.reference_coordinator names a relation (a postgres_fdw foreign
-- table over the coordinator's mynahoken.reference_generation) and every load
-- of the legal calendar by a decision function first runs
-- mynahoken.require_current_reference().  One node leaves the setting empty:
-- no check, and a transaction changing reference data costs one small INSERT.

CREATE TABLE mynahoken.reference_generation (
  change_xid xid8 PRIMARY KEY,
  changed_at timestamptz NOT NULL
);
COMMENT ON TABLE mynahoken.reference_generation IS
  'Generation of the reference data: one row per transaction that changed a reference table (its transaction id and time), replicated with it to the shards of a scale-out; the generation is the number of rows';
GRANT SELECT ON mynahoken.reference_generation TO PUBLIC;

CREATE FUNCTION mynahoken.reference_generation_bump()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO mynahoken.reference_generation (change_xid, changed_at)
  VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.now())
  ON CONFLICT (change_xid) DO NOTHING;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.reference_generation_bump() IS
  'Statement trigger of every reference table: records the transaction in mynahoken.reference_generation once (SECURITY DEFINER: whoever may change a reference table moves the generation, and nobody else)';
REVOKE ALL ON FUNCTION mynahoken.reference_generation_bump() FROM PUBLIC;

CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.legal_source FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.legal_parameter_def FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.legal_change_set FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.legal_parameter_entry FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.equinox_day FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.public_holiday_rule FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.public_holiday FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.public_expense_program FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.trust_anchor FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.revoked_certificate FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_decision FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_fact FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_outcome FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.document_kind FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_label FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_table FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_version FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_row FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.rule_test FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.kanji_variant FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.linkage_reason FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();
CREATE TRIGGER reference_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.linkage_due_period FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.reference_generation_bump();

CREATE FUNCTION mynahoken.require_current_reference()
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := pg_catalog.current_setting('mynahoken.reference_coordinator', true);
  node text := coalesce(nullif(pg_catalog.current_setting('cluster_name'), ''),
                                   'port ' || pg_catalog.current_setting('port'));
  here bigint;
  there bigint;
BEGIN
  IF src IS NULL OR src = '' THEN
    RETURN true;
  END IF;
  here := (SELECT pg_catalog.count(*) FROM mynahoken.reference_generation AS g);
  EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s AS g', src::regclass) INTO there;
  IF here IS DISTINCT FROM there THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format(mynahoken.gettext('reference data of node %s differ from the coordinator''s: decisions refused'), node),
      detail => pg_catalog.format(mynahoken.gettext('Reference generation %s here, %s at the coordinator.'), here, there),
      hint => 'Check this node''s subscription to the reference data (pg_stat_subscription) and retry once it has caught up.');
  END IF;
  RETURN true;
END
$$;
COMMENT ON FUNCTION mynahoken.require_current_reference() IS
  'True when mynahoken.reference_coordinator is empty (one node, the coordinator) or names a relation (the coordinator''s mynahoken.reference_generation) with as many rows as this node''s; raises 55000 naming the node (cluster_name, else its port) otherwise, 42P01 when the relation does not exist. Run by the decision functions at each load of the legal calendar, in parallel workers too (each worker reads the coordinator''s generation itself; doc/scale-out.md)';
