-- Issuance: operators' views, hand-off to the print vendor and sending, and
-- the explanation of one member (tables in 50_issuance.sql).

-- ---------------------------------------------------------------------------
-- Operators' views

CREATE VIEW mynahoken.issuance_runs AS
SELECT r.run_id, r.as_of,
       CASE WHEN r.status = 'running' AND mynahoken.issuance_lock_holder() IS DISTINCT FROM r.pid
            THEN 'interrupted' ELSE r.status END AS state,
       r.attempts, r.started_at, r.finished_at,
       r.members_total, r.members_done, r.certificates, r.notices, r.already_planned,
       r.rejected_invalid_insurer, r.rejected_other, r.chunks, r.error, r.note,
       CASE WHEN r.finished_at IS NOT NULL AND r.members_done > 0 AND r.attempts = 1
            THEN round(r.members_done / greatest(extract(epoch FROM r.finished_at - r.started_at), 0.001)) END
         AS members_per_s
  FROM mynahoken.issuance_run r;
COMMENT ON VIEW mynahoken.issuance_runs IS
  'Run log for operators: state (running, interrupted = crashed or killed and not yet taken over, finished, failed, superseded, skipped), counts, rate';

CREATE VIEW mynahoken.issuance_pending AS
SELECT q.employer, q.document, q.reason, count(*) AS documents, min(q.as_of) AS oldest
  FROM mynahoken.issuance_queue q
 WHERE q.status = 'planned'
 GROUP BY 1, 2, 3;
COMMENT ON VIEW mynahoken.issuance_pending IS
  'Planned documents not yet handed off nor withdrawn, per employer (NULL: direct mail), document and reason';

-- Send-by day of a planned document (the vendor file and the hand-off use it;
-- the lifecycle re-check of 54_issuance_lifecycle.sql too)

CREATE FUNCTION mynahoken.issuance_send_by(document mynahoken.issuance_document, valid_from date,
                                           sending_window daterange,
                                           certificate_send_days integer DEFAULT 14)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE document
         WHEN 'notice' THEN pg_catalog.upper(sending_window) OPERATOR(pg_catalog.-) 1
         WHEN 'certificate' THEN valid_from OPERATOR(pg_catalog.+) certificate_send_days
       END;
COMMENT ON FUNCTION mynahoken.issuance_send_by(mynahoken.issuance_document, date, daterange, integer) IS
  'Last day a planned document should reach the print vendor: a 資格情報のお知らせ the last day of its sending window, a 資格確認書 certificate_send_days after the day it is valid from (an insurer decision, UNCONFIRMED: default 14 as the お知らせ); NULL when an argument is NULL';

-- The print vendor's layout (mynahoken.issuance_handoff_file) is in
-- 64_rules_issuance.sql: it reads the print names of mynahoken.document_kind.

-- ---------------------------------------------------------------------------
-- Hand-off and sending

-- One batch: the documents of the employer (NULL: direct mail) still
-- planned after the re-check rid, and its recall notices.
CREATE FUNCTION mynahoken.issuance_batch(p_employer text, p_on date, p_review bigint,
                                         p_certificate_send_days integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  h bigint := nextval('mynahoken.issuance_handoff_id_seq');
  n bigint;
  r bigint;
BEGIN
  IF pg_catalog.to_regclass('pg_temp.mh_life_docs') IS NULL THEN
    PERFORM mynahoken.raise_error('55000', 'issuance_batch is called by prepare_handoff only',
      hint => 'SELECT mynahoken.prepare_handoff(...) re-checks the documents and makes the batch.');
  END IF;
  -- The queue rows reference the batch: create it first, count after.
  INSERT INTO mynahoken.issuance_handoff (handoff_id, employer, documents, handoff_on, review_id)
  VALUES (h, p_employer, 0, p_on, p_review);
  -- "=" and IS NULL separately, so that the partial index is used.  Only
  -- the documents the re-check saw (pg_temp.mh_life_docs): a document a
  -- concurrent run planned meanwhile waits for the next batch.  Late:
  -- handed off after the send-by day (within late_days for an お知らせ, the
  -- others were withdrawn by the re-check).
  IF p_employer IS NULL THEN
    UPDATE mynahoken.issuance_queue q
       SET handoff_id = h, status = 'handed_off', review_id = p_review,
           days_late = nullif(greatest(p_on - mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window,
                                                                         p_certificate_send_days), 0), 0)
     WHERE q.status = 'planned' AND q.employer IS NULL
       AND q.queue_id IN (SELECT d.queue_id FROM pg_temp.mh_life_docs d WHERE d.status = 'planned');
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE mynahoken.issuance_recall c SET handoff_id = h, status = 'handed_off'
     WHERE c.status = 'planned' AND c.employer IS NULL;
    GET DIAGNOSTICS r = ROW_COUNT;
  ELSE
    UPDATE mynahoken.issuance_queue q
       SET handoff_id = h, status = 'handed_off', review_id = p_review,
           days_late = nullif(greatest(p_on - mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window,
                                                                         p_certificate_send_days), 0), 0)
     WHERE q.status = 'planned' AND q.employer = p_employer
       AND q.queue_id IN (SELECT d.queue_id FROM pg_temp.mh_life_docs d WHERE d.status = 'planned');
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE mynahoken.issuance_recall c SET handoff_id = h, status = 'handed_off'
     WHERE c.status = 'planned' AND c.employer = p_employer;
    GET DIAGNOSTICS r = ROW_COUNT;
  END IF;
  IF n + r = 0 THEN
    DELETE FROM mynahoken.issuance_handoff x WHERE x.handoff_id = h;
    RETURN NULL;
  END IF;
  -- One current document per member and kind: the re-check withdrew the
  -- superseded ones; a batch breaking this is never made.
  IF EXISTS (SELECT FROM mynahoken.issuance_queue q WHERE q.handoff_id = h
              GROUP BY q.member_key, q.document HAVING count(*) > 1) THEN
    PERFORM mynahoken.raise_error('55000', 'a hand-off batch would hold two documents of one kind for a member');
  END IF;
  UPDATE mynahoken.issuance_handoff x SET documents = n, recalls = r WHERE x.handoff_id = h;
  RETURN h;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_batch(text, date, bigint, integer) IS
  'Internal: put the planned documents and recall notices of one employer (NULL: direct mail) into a new batch after the re-check p_review, recording days late; returns its id or NULL when there is nothing';

CREATE FUNCTION mynahoken.prepare_handoff(employer text, on_day date DEFAULT CURRENT_DATE,
                                          late_days integer DEFAULT 60,
                                          certificate_send_days integer DEFAULT 14)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  RETURN mynahoken.issuance_batch(prepare_handoff.employer, on_day,
           mynahoken.issuance_review_run(on_day, false, prepare_handoff.employer, late_days, certificate_send_days),
           certificate_send_days);
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoff(text, date, integer, integer) IS
  'Re-check on on_day the planned documents of one employer (NULL: direct mail to members), withdraw those whose ground has gone, and put the others, with the employer''s recall notices, into a new batch; returns its id, or NULL when there is none; raises 22008, 22023, 42704, 23505 as review_issuance';

CREATE FUNCTION mynahoken.prepare_handoffs(on_day date DEFAULT CURRENT_DATE, late_days integer DEFAULT 60,
                                           certificate_send_days integer DEFAULT 14)
RETURNS TABLE (handoff_id bigint, employer text, documents bigint, recalls bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  rid bigint := mynahoken.issuance_review_run(on_day, true, NULL, late_days, certificate_send_days);
  e record;
  h bigint;
BEGIN
  FOR e IN SELECT DISTINCT x.employer
             FROM (SELECT q.employer FROM mynahoken.issuance_queue q WHERE q.status = 'planned'
                   UNION ALL
                   SELECT c.employer FROM mynahoken.issuance_recall c WHERE c.status = 'planned') AS x
            ORDER BY 1 NULLS FIRST LOOP
    h := mynahoken.issuance_batch(e.employer, on_day, rid, certificate_send_days);
    IF h IS NOT NULL THEN
      RETURN QUERY SELECT b.handoff_id, b.employer, b.documents, b.recalls
                     FROM mynahoken.issuance_handoff b WHERE b.handoff_id = h;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoffs(date, integer, integer) IS
  'prepare_handoff for every employer with documents or recall notices waiting (and for direct mail), after one re-check of all planned documents; one row per batch created';

CREATE FUNCTION mynahoken.mark_handoff_sent(handoff_id bigint, sent_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  b mynahoken.issuance_handoff;
  n bigint;
  r bigint;
BEGIN
  SELECT * INTO b FROM mynahoken.issuance_handoff x WHERE x.handoff_id = mark_handoff_sent.handoff_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002',
      pg_catalog.format(mynahoken.gettext('hand-off batch %s does not exist'), mark_handoff_sent.handoff_id));
  END IF;
  IF b.sent_on IS NOT NULL THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format(mynahoken.gettext('hand-off batch %s was already marked sent on %s'), b.handoff_id, to_char(b.sent_on, 'YYYY-MM-DD')));
  END IF;
  UPDATE mynahoken.issuance_handoff x SET sent_on = mark_handoff_sent.sent_on
   WHERE x.handoff_id = b.handoff_id;
  UPDATE mynahoken.issuance_queue q SET sent_on = mark_handoff_sent.sent_on, status = 'sent'
   WHERE q.handoff_id = b.handoff_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE mynahoken.issuance_recall c SET sent_on = mark_handoff_sent.sent_on, status = 'sent'
   WHERE c.handoff_id = b.handoff_id AND c.status = 'handed_off';
  GET DIAGNOSTICS r = ROW_COUNT;
  RETURN n + r;
END
$$;
COMMENT ON FUNCTION mynahoken.mark_handoff_sent(bigint, date) IS
  'Mark every document and recall notice of a hand-off batch as sent on a day; returns how many; raises when the batch is unknown or already sent';

-- ---------------------------------------------------------------------------
-- Explanation of one member

CREATE FUNCTION mynahoken.explain_issuance(member_key text, as_of date DEFAULT CURRENT_DATE,
                                           known_on date DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  src regclass;
  m record;
  found_rows bigint;
  cat mynahoken.insurer_category;
  need jsonb;
  validity jsonb;
  notice jsonb;
  planned jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    PERFORM mynahoken.raise_error('42704', 'no member source is registered',
      hint => 'Register the table or view of members with mynahoken.register_member_source().');
  END IF;
  SELECT s.source::regclass INTO src FROM mynahoken.member_source s;
  EXECUTE format('SELECT src.insurer_number::text AS ins, src.birth_date, src.acquired_on, src.lost_on,
                         src.employer::text AS employer, coalesce(src.my_number_linked, false) AS linked,
                         src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on,
                         src.certificate_requested_on, src.certificate_valid_until
                    FROM %s AS src WHERE src.member_key::text = $1', src)
    INTO m USING explain_issuance.member_key;
  GET DIAGNOSTICS found_rows = ROW_COUNT;
  IF found_rows = 0 THEN
    -- Never the key: member keys may be My Numbers.
    PERFORM mynahoken.raise_error('P0002', 'member is not in the member source',
      detail => 'No row of the member source has the given member_key.');
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'queue_id', q.queue_id, 'document', q.document, 'reason', q.reason,
           'valid_from', q.valid_from, 'valid_until', q.valid_until,
           'sending_window', mynahoken.daterange_iso(q.sending_window),
           'as_of', q.as_of, 'run_id', q.run_id, 'employer', q.employer,
           'handoff_id', q.handoff_id, 'sent_on', q.sent_on, 'status', q.status,
           'days_late', q.days_late, 'withdrawn_on', q.withdrawn_on, 'withdrawn_reason', q.withdrawn_reason,
           'basis', (SELECT jsonb_build_object('rules', b.rules, 'parameters', b.parameters)
                       FROM mynahoken.issuance_basis b WHERE b.basis_id = q.basis_id))
           ORDER BY q.queue_id), '[]')
    INTO planned
    FROM mynahoken.issuance_queue q WHERE q.member_key = explain_issuance.member_key;
  IF NOT coalesce(mynahoken.insurer_number_is_valid(m.ins), false) THEN
    RETURN jsonb_build_object('member_key', explain_issuance.member_key, 'as_of', as_of,
                              'problem', 'invalid_insurer_number', 'planned', planned);
  END IF;
  cat := mynahoken.category(m.ins::mynahoken.insurer_number);
  BEGIN
    need := mynahoken.explain_certificate_need(cat, as_of, m.birth_date, m.acquired_on, m.lost_on, m.linked,
                                               m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
                                               m.certificate_requested_on, known_on);
    validity := mynahoken.explain_certificate_valid_until(cat, as_of, known_on);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    need := jsonb_build_object('error', SQLERRM);
  END;
  BEGIN
    notice := mynahoken.explain_notice_sending_window(cat, m.acquired_on, known_on);
  EXCEPTION WHEN no_data_found OR data_exception THEN
    notice := jsonb_build_object('error', SQLERRM);
  END;
  RETURN jsonb_build_object(
    'member_key', explain_issuance.member_key,
    'as_of', as_of,
    'insurer_number', m.ins::mynahoken.insurer_number::text,
    'category', cat,
    'employer', m.employer,
    'my_number_linked', m.linked,
    'certificate_need', need,
    'certificate_valid_until', validity,
    'notice_sending_window', notice,
    'planned', planned);
END
$$;
COMMENT ON FUNCTION mynahoken.explain_issuance(text, date, date) IS
  'Why a member gets (or not) a 資格確認書 and a 資格情報のお知らせ on a day: the decision explanations with sources, and the documents planned for the member';
