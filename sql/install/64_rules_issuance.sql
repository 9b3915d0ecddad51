-- Issuance reads the compiled decisions (issue 11): what the queue records
-- of the rule engine, and a planned document's explanation rebuilt from it.
--
-- plan_issuance (51_issuance_plan.sql) decides certificate_need and
-- certificate_valid_until with the queries the rule engine compiles from the
-- active rule versions, over its snapshot of the member source.  Each
-- 資格確認書 it plans records in its queue row the rule version and row of
-- both decisions and the member facts they read (view issuance_input); the
-- run records its knowledge day and its start (issuance_run.knowledge_day,
-- started_at).  An outcome may name a document kind of the insurer's own,
-- planned as a 資格確認書 and printed under the kind's print name.

-- An outcome's document: a 資格確認書 printed under the print name of this
-- kind (NULL: the national 資格確認書).
ALTER TABLE mynahoken.rule_outcome
  ADD COLUMN document_kind text REFERENCES mynahoken.document_kind,
  ADD CONSTRAINT rule_outcome_document_kind_check CHECK (document_kind IS NULL OR needs_certificate);
COMMENT ON COLUMN mynahoken.rule_outcome.document_kind IS
  'Document kind (mynahoken.document_kind) a 資格確認書 planned for this outcome is printed as; NULL: the national 資格確認書; only for outcomes that need a certificate';

COMMENT ON COLUMN mynahoken.issuance_queue.document_kind IS
  'Document kind of the insurer''s own (mynahoken.document_kind) the document is printed as, from its outcome; NULL: the national kind named by document';

COMMENT ON COLUMN mynahoken.issuance_run.knowledge_day IS
  'Knowledge day the run read rules and the legal calendar as known on: known_on, or the day the run started; with started_at (the system time) a past night is replayed';

-- The record of a planned 資格確認書, in its queue row (typed columns: a
-- separate row per certificate, and its facts built as jsonb, cost a
-- first run about a sixth of its time).
COMMENT ON COLUMN mynahoken.issuance_queue.need_version_id IS
  'certificate_need: the rule version that decided the 資格確認書 (mynahoken.rule_version); NULL for other documents';
COMMENT ON COLUMN mynahoken.issuance_queue.need_row_no IS
  'certificate_need: the row of that version that matched; NULL: the table''s default';
COMMENT ON COLUMN mynahoken.issuance_queue.validity_version_id IS
  'certificate_valid_until: the rule version of the validity; NULL for the national C decision';
COMMENT ON COLUMN mynahoken.issuance_queue.validity_row_no IS
  'certificate_valid_until: the row of that version that matched';
COMMENT ON COLUMN mynahoken.issuance_queue.capped IS
  'The validity row''s date was capped at the legal maximum';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_birth_date IS 'Member fact read by the decisions: birth_date (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_lost_on IS 'Member fact read by the decisions: lost_on (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_my_number_linked IS 'Member fact read by the decisions: my_number_linked (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_myna_registered_on IS 'Member fact read by the decisions: myna_registered_on (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_myna_withdrawn_on IS 'Member fact read by the decisions: myna_withdrawn_on (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_ecert_expires_on IS 'Member fact read by the decisions: ecert_expires_on (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_certificate_requested_on IS 'Member fact read by the decisions: certificate_requested_on (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.fact_certificate_valid_until IS 'Member fact read by the decisions: certificate_valid_until (a 資格確認書 only)';
COMMENT ON COLUMN mynahoken.issuance_queue.facts_other IS
  'The insurer''s own member facts read by the decisions (rule_fact_add), NULLs left out; {} when none; NULL: no record (not a 資格確認書, or planned before 0.2)';

CREATE VIEW mynahoken.issuance_input AS
SELECT q.queue_id, q.run_id,
       q.valid_from AS decided_on,
       q.need_version_id, q.need_row_no, q.validity_version_id, q.validity_row_no, q.capped,
       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
         'insurer_number', CAST(q.insurer_number AS pg_catalog.text), 'birth_date', q.fact_birth_date,
         'acquired_on', q.acquired_on, 'lost_on', q.fact_lost_on, 'my_number_linked', q.fact_my_number_linked,
         'myna_registered_on', q.fact_myna_registered_on, 'myna_withdrawn_on', q.fact_myna_withdrawn_on,
         'ecert_expires_on', q.fact_ecert_expires_on, 'certificate_requested_on', q.fact_certificate_requested_on,
         'certificate_valid_until', q.fact_certificate_valid_until) OPERATOR(pg_catalog.||) q.facts_other) AS facts
  FROM mynahoken.issuance_queue q
 WHERE q.facts_other IS NOT NULL;
COMMENT ON VIEW mynahoken.issuance_input IS
  'Per planned 資格確認書: the rule versions and rows of certificate_need and certificate_valid_until that produced it (row NULL: a default; validity NULL: the national C decision), whether the validity was capped, the day decided (its first valid day) and the member facts they read as jsonb (NULLs left out), so that mynahoken.issuance_explain_document rebuilds a past night''s explanation from what was known then; read from the record columns of mynahoken.issuance_queue';

-- The print vendor's layout: one line per document, grouped by batch
-- (one employer each), with the Japanese document name and dates in ISO.
CREATE VIEW mynahoken.issuance_handoff_file AS
SELECT l.handoff_id,
       coalesce(l.employer, '') AS employer,
       CASE WHEN l.employer IS NULL THEN 'member' ELSE 'employer' END AS deliver_to,
       row_number() OVER (PARTITION BY l.handoff_id ORDER BY l.member_key COLLATE "C", l.document) AS line_no,
       mynahoken.padded(l.insurer_number) AS insurer_number,
       l.member_key,
       -- the kind's print name: the national kinds and the insurer's own
       coalesce((SELECT k.print_name FROM mynahoken.document_kind k WHERE k.code = l.document),
                CASE l.document WHEN 'certificate' THEN '資格確認書' WHEN 'notice' THEN '資格情報のお知らせ'
                                ELSE '資格確認書の回収のお願い' END) AS document_name,
       l.document,
       l.reason,
       pg_catalog.to_char(l.valid_from, 'YYYY-MM-DD') AS valid_from,
       pg_catalog.to_char(l.valid_until, 'YYYY-MM-DD') AS valid_until,
       pg_catalog.to_char(l.send_by, 'YYYY-MM-DD') AS send_by,
       l.queue_id,
       l.recall_id
  FROM (SELECT q.handoff_id, q.employer, q.member_key, coalesce(q.document_kind, q.document::text) AS document, q.insurer_number,
               q.reason, q.valid_from, q.valid_until,
               -- with the certificate_send_days of the re-check that handed it off
               coalesce(mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window, r.certificate_send_days),
                        mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window)) AS send_by,
               q.queue_id, NULL::bigint AS recall_id
          FROM mynahoken.issuance_queue q
          LEFT JOIN mynahoken.issuance_review r ON r.review_id = q.review_id
         WHERE q.handoff_id IS NOT NULL
        UNION ALL
        -- Recall notices: valid_until is the certificate's, queue_id the certificate.
        SELECT c.handoff_id, c.employer, c.member_key, 'recall', c.insurer_number,
               'lost_eligibility', NULL, c.valid_until, NULL, c.certificate_id, c.recall_id
          FROM mynahoken.issuance_recall c
         WHERE c.handoff_id IS NOT NULL
           -- returned or withdrawn before the batch was sent: not printed
           AND NOT (c.status IN ('returned', 'withdrawn') AND c.sent_on IS NULL)) AS l;
COMMENT ON VIEW mynahoken.issuance_handoff_file IS
  'Hand-off file for the print vendor, one line per document and recall notice (document recall, 資格確認書の回収のお願い, queue_id the certificate to return) of each batch; document is the kind (an insurer''s own kind of 資格確認書 from its outcome) and document_name its print name (mynahoken.document_kind); a recall notice returned or withdrawn before its batch was sent is left out; send_by is the day the document should reach the print vendor (issuance_send_by: the last sending day of an お知らせ, certificate_send_days of the re-check after a 資格確認書 is valid from; empty for a recall): COPY (SELECT * FROM ... WHERE handoff_id = N ORDER BY line_no) TO ... CSV HEADER';

-- The rows of one rule version tried on recorded facts: per row, the truth
-- of each cell, the first failing cell with the member's value, and (date
-- decisions) the row's date.  Same cell predicates as the compiled decision.
CREATE FUNCTION mynahoken.issuance_rows_tried(p_version bigint, p_day date, p_known_on date, p_facts jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  is_date boolean;
  r record;
  scope text;
  val date;
  fact_values jsonb;
  first_fail int;
  out jsonb := '[]';
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = p_version;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT d.output_type = 'date' INTO is_date FROM mynahoken.rule_decision d WHERE d.decision = t.decision;
  -- the facts the version reads, as the compiled decision computes them
  EXECUTE format('SELECT pg_catalog.jsonb_build_object(%s) FROM (SELECT $3 AS j) AS m',
                 (SELECT string_agg(format('%L, %s', c, mynahoken.rule_fact_sql(c, 'facts')), ', ' ORDER BY i)
                    FROM unnest(v.columns) WITH ORDINALITY AS u(c, i)))
    INTO fact_values USING p_day, p_known_on, p_facts;
  FOR r IN SELECT rr.* FROM mynahoken.rule_row rr WHERE rr.version_id = p_version ORDER BY rr.row_no LOOP
    -- a param() is read for the row's one category, else the table's scope
    scope := CASE WHEN t.layer = 'national' AND array_position(v.columns, 'category') IS NOT NULL
                   AND r.cells[array_position(v.columns, 'category')] ~ '^\s*[a-z_]+\s*$'
                   AND btrim(r.cells[array_position(v.columns, 'category')]) <> 'null'
                  THEN btrim(r.cells[array_position(v.columns, 'category')])
                  ELSE mynahoken.rule_param_scope(t.applies_to) END;
    -- the first failing cell, in column order: a CASE, so that the cells
    -- after it are not evaluated (a parameter they read may have no value
    -- on that day, as the decision-day cell before it says)
    -- (and a date outcome only for a row that matched)
    EXECUTE format('SELECT x.f, CASE WHEN x.f IS NULL THEN %2$s END FROM (SELECT $3 AS j) AS m'
                   ' CROSS JOIN LATERAL (SELECT CASE WHEN false THEN CAST(NULL AS pg_catalog.int4) %1$s END AS f) AS x',
                   (SELECT coalesce(string_agg(format('WHEN NOT %s THEN %s', mynahoken.rule_cell_sql(r.cells[i], v.columns[i], scope, 'facts'), i),
                                               ' ' ORDER BY i), '')
                      FROM generate_subscripts(v.columns, 1) AS i),
                   CASE WHEN is_date THEN mynahoken.rule_expr_sql(mynahoken.rule_expr_parse(r.outcome), 'facts')
                        ELSE 'CAST(NULL AS pg_catalog.date)' END)
      INTO first_fail, val USING p_day, p_known_on, p_facts;
    out := out || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
      'row_no', r.row_no,
      'matched', first_fail IS NULL,
      'outcome', CASE WHEN NOT is_date THEN r.outcome END,
      'value', val,
      'label', r.label,
      'first_failing', CASE WHEN first_fail IS NOT NULL THEN jsonb_build_object(
                         'fact', v.columns[first_fail], 'cell', r.cells[first_fail],
                         'value', fact_values -> v.columns[first_fail]) END)));
  END LOOP;
  RETURN jsonb_build_object('facts_read', fact_values, 'rows', out);
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_rows_tried(bigint, date, date, jsonb) IS
  'Internal: the rows of rule version p_version tried on recorded member facts (jsonb, member-source columns) for decision day p_day as known on p_known_on: {facts_read, rows: [{row_no, matched, outcome or value, label, first_failing: {fact, cell, value}}]}, by the compiler''s own cell predicates, each row''s cells in column order up to the first failing one; NULL for an unknown version';

-- A planned document's explanation from what the run recorded, never from
-- today's member row.
CREATE FUNCTION mynahoken.issuance_explain_document(queue_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  q mynahoken.issuance_queue;
  run mynahoken.issuance_run;
  inp mynahoken.issuance_input;
  parts jsonb := '{}';
  dec text;
  hit jsonb;
  ver jsonb;
BEGIN
  SELECT * INTO q FROM mynahoken.issuance_queue x WHERE x.queue_id = issuance_explain_document.queue_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', 'planned document not found',
      detail => 'No row of mynahoken.issuance_queue has the given queue_id.');
  END IF;
  SELECT * INTO run FROM mynahoken.issuance_run x WHERE x.run_id = q.run_id;
  SELECT * INTO inp FROM mynahoken.issuance_input x WHERE x.queue_id = q.queue_id;
  IF inp.queue_id IS NOT NULL THEN
    FOREACH dec IN ARRAY ARRAY['certificate_need', 'certificate_valid_until'] LOOP
      -- the hit as recorded: the outcome and validity are the document's
      hit := jsonb_build_object(
        'version_id', CASE dec WHEN 'certificate_need' THEN inp.need_version_id ELSE inp.validity_version_id END,
        'row_no', CASE dec WHEN 'certificate_need' THEN inp.need_row_no ELSE inp.validity_row_no END);
      hit := hit || jsonb_build_object(
        'table_name', (SELECT v.table_name FROM mynahoken.rule_version v WHERE v.version_id = CAST(hit ->> 'version_id' AS bigint)),
        'layer', coalesce((SELECT t.layer FROM mynahoken.rule_version v JOIN mynahoken.rule_table t ON t.table_name = v.table_name
                            WHERE v.version_id = CAST(hit ->> 'version_id' AS bigint)), 'national'))
        || CASE dec WHEN 'certificate_need' THEN jsonb_build_object('outcome', q.reason)
                    ELSE jsonb_build_object('value', q.valid_until, 'capped', inp.capped) END;
      SELECT jsonb_build_object('version_id', v.version_id, 'table_name', v.table_name, 'layer', t.layer,
                                'valid', mynahoken.daterange_iso(v.valid), 'source', v.source,
                                'recorded_on', v.recorded_on, 'recorded_at', v.recorded_at,
                                'author', v.author, 'approved_by', v.approved_by, 'activated_at', v.activated_at,
                                'status_now', v.status)
        INTO ver
        FROM mynahoken.rule_version v JOIN mynahoken.rule_table t ON t.table_name = v.table_name
       WHERE v.version_id = CAST(hit ->> 'version_id' AS bigint);
      parts := parts || jsonb_build_object(dec, jsonb_strip_nulls(jsonb_build_object(
        'hit', hit,
        'version', ver,
        'tried', mynahoken.issuance_rows_tried(CAST(hit ->> 'version_id' AS bigint), inp.decided_on,
                                               run.knowledge_day, inp.facts))));
    END LOOP;
  END IF;
  RETURN jsonb_strip_nulls(jsonb_build_object(
    'queue_id', q.queue_id,
    'document', q.document,
    'document_kind', coalesce(q.document_kind, q.document::text),
    'print_name', (SELECT k.print_name FROM mynahoken.document_kind k
                    WHERE k.code = coalesce(q.document_kind, q.document::text)),
    'reason', q.reason,
    'valid_from', q.valid_from,
    'valid_until', q.valid_until,
    'status', q.status,
    'run', jsonb_build_object('run_id', run.run_id, 'as_of', run.as_of, 'known_on', run.known_on,
                              'knowledge_day', run.knowledge_day, 'as_recorded_at', run.started_at),
    'decided_on', inp.decided_on,
    'facts', inp.facts,
    'basis', (SELECT jsonb_build_object('rules', b.rules, 'parameters', b.parameters)
                FROM mynahoken.issuance_basis b WHERE b.basis_id = q.basis_id))
    || parts);
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_explain_document(bigint) IS
  'Why a planned document was planned, rebuilt from what its run recorded (never from today''s member row): kind and print name, the run''s as_of, knowledge day and start (as_recorded_at), the member facts read, and per decision (certificate_need, certificate_valid_until) the hit, the rule version with its source, recorded_on, recorded_at and approver, and every row of that version tried on the recorded facts as known on the knowledge day; raises P0002 for an unknown queue_id';
