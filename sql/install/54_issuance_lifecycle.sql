-- Issuance lifecycle (issue 13): what the queue planned is looked at again
-- before it reaches the print vendor.
--   * Re-check (issuance_review_run): every planned, not yet handed-off
--     document of the scope is checked against the member source on the
--     day: member still there and eligible, still needing it as the decision
--     functions say, not superseded by a newer document of the same kind,
--     validity not ended, send-by not passed by more than late_days.  The
--     others are withdrawn: status 'withdrawn', a reason code, the day, the
--     time, the re-check and the decision's explanation.  Never deleted.
--   * Recall: a member who lost eligibility while a 資格確認書 sent to them
--     is still valid is asked to return it (協会けんぽ, 令和6年11月:
--     資格確認書の有効期限内に退職した場合、資格確認書は回収; 健康保険法施行規則
--     第51条 返納).  The recall notice goes through the employer in the
--     hand-off batches like the documents, and is tracked to its closure.
-- Every step is one transaction: a step killed at any point leaves nothing,
-- and run again it does what an uninterrupted run does.
-- The tables (issuance_review, issuance_recall) and the columns added to
-- the queue and the batches are in 50_issuance.sql; the hand-off functions
-- calling these are in 52_issuance_handoff.sql.

-- ---------------------------------------------------------------------------
-- The decision, again, on the hand-off day

-- certificate_need, or 'refused' when the decision functions refuse the
-- member's facts: the per-row fallback of a re-check that hit such a row.
CREATE FUNCTION mynahoken.issuance_need_safe(p_category mynahoken.insurer_category, p_day date,
                                             p_birth_date date, p_acquired_on date, p_lost_on date,
                                             p_linked boolean, p_registered_on date, p_withdrawn_on date,
                                             p_ecert_expires_on date, p_requested_on date)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.certificate_need(p_category, p_day, p_birth_date, p_acquired_on, p_lost_on,
                                    coalesce(p_linked, false), p_registered_on, p_withdrawn_on,
                                    p_ecert_expires_on, p_requested_on)::text;
EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
  RETURN 'refused';
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_need_safe(mynahoken.insurer_category, date, date, date, date, boolean, date, date, date, date) IS
  'Internal: certificate_need as text, or refused when the decision functions refuse the facts (data exception); NULL when category or day is NULL';

-- Reason code of a planned document whose ground has gone, from the
-- certificate_need of its member on the day (NULL: the ground holds).
CREATE FUNCTION mynahoken.issuance_ground(document mynahoken.issuance_document, planned_reason text,
                                          need text, my_number_linked boolean,
                                          myna_registered_on date, certificate_requested_on date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN need IS NULL THEN NULL
  WHEN need OPERATOR(pg_catalog.=) 'refused' THEN 'member_facts_refused'
  WHEN need OPERATOR(pg_catalog.=) 'not_eligible' THEN 'lost_eligibility'
  WHEN document OPERATOR(pg_catalog.=) 'certificate' THEN
    CASE WHEN need OPERATOR(pg_catalog.<>) 'not_needed' THEN NULL
         WHEN planned_reason OPERATOR(pg_catalog.=) 'on_request' AND certificate_requested_on IS NULL
           THEN 'application_withdrawn'
         WHEN myna_registered_on IS NOT NULL THEN 'myna_registered'
         ELSE 'no_longer_needed' END
  WHEN NOT coalesce(my_number_linked, false) THEN 'my_number_unlinked'
  WHEN need OPERATOR(pg_catalog.=) ANY ('{late_elderly_blanket,late_elderly_age}'::text[]) THEN 'certificate_instead'
END;
COMMENT ON FUNCTION mynahoken.issuance_ground(mynahoken.issuance_document, text, text, boolean, date, date) IS
  'Internal: NULL when a planned document (certificate or notice, its planned reason) is still due for a member whose certificate_need is need, else the reason code: lost_eligibility, application_withdrawn, myna_registered, no_longer_needed, my_number_unlinked, certificate_instead, member_facts_refused';

-- The rule and sources of a recall notice.
CREATE FUNCTION mynahoken.issuance_recall_basis()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{"rules": ["certificate_recall"],
         "sources": [{"code": "kyokai-2024-11", "page": 5,
                      "quote": "資格確認書の有効期限内に退職した場合、資格確認書は回収してください。"},
                     {"law": "健康保険法施行規則 第51条 (返納)", "in_force_from": "2024-12-02",
                      "secondary": "https://www.rodo.co.jp/laws/123566/"}],
         "note": "An expired certificate may be disposed of by the member (自己破棄, same source): a recall ends when the certificate expires."}'::jsonb;
COMMENT ON FUNCTION mynahoken.issuance_recall_basis() IS
  'Rule and sources of a recall notice: a 資格確認書 still valid when its holder loses eligibility is returned (協会けんぽ 令和6年11月 p.5; 健康保険法施行規則 第51条)';

-- Re-check the planned documents of a scope (all, one employer, direct mail)
-- on a day and plan or withdraw recall notices; returns the re-check's id.
CREATE FUNCTION mynahoken.issuance_review_run(p_on date, p_all boolean, p_employer text,
                                              p_late_days integer, p_certificate_send_days integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
#variable_conflict use_column
DECLARE
  src regclass;
  rid bigint;
  n bigint;
  dup bigint;
  safe boolean := false;
  xcols text[];
BEGIN
  IF p_on IS NULL OR NOT (p_on BETWEEN date '0001-01-01' AND date '9999-12-31') THEN
    PERFORM mynahoken.raise_error('22008', 'the hand-off day must be a date from 0001-01-01 to 9999-12-31');
  END IF;
  IF p_late_days IS NULL OR p_late_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'late_days must be zero or more');
  END IF;
  IF p_certificate_send_days IS NULL OR p_certificate_send_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'certificate_send_days must be zero or more');
  END IF;
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    PERFORM mynahoken.raise_error('42704', 'no member source is registered',
      hint => 'Register the table or view of members with mynahoken.register_member_source().');
  END IF;
  SELECT m.source::regclass INTO src FROM mynahoken.member_source m;
  IF EXISTS (SELECT FROM mynahoken.check_member_source(src) x WHERE x.problem IS NOT NULL) THEN
    PERFORM mynahoken.raise_error('22023',
      pg_catalog.format(mynahoken.gettext('member source %s no longer has the columns it needs'), src),
      hint => 'SELECT * FROM mynahoken.check_member_source(...) says what is wrong.');
  END IF;
  -- One re-check at a time, to the end of the transaction: two hand-offs
  -- of one employer would otherwise both batch its documents.
  PERFORM pg_advisory_xact_lock((mynahoken.issuance_lock_key())[1], 13);
  INSERT INTO mynahoken.issuance_review AS r (on_day, scope, employer, late_days, certificate_send_days)
  VALUES (p_on, CASE WHEN p_all THEN 'all' WHEN p_employer IS NULL THEN 'direct_mail' ELSE 'employer' END,
          CASE WHEN NOT p_all THEN p_employer END, p_late_days, p_certificate_send_days)
  RETURNING r.review_id INTO rid;

  -- The documents of the scope, and the sent certificates still valid that
  -- a recall could concern; then their members, read once from the source.
  DROP TABLE IF EXISTS pg_temp.mh_life_docs, pg_temp.mh_life_members, pg_temp.mh_life_need;
  CREATE TEMP TABLE mh_life_docs ON COMMIT DROP AS
  SELECT q.queue_id, q.member_key, q.document, q.reason, q.acquired_on, q.issue_window, q.valid_from,
         q.valid_until, q.sending_window, q.category, q.as_of, q.status
    FROM mynahoken.issuance_queue q
   WHERE (q.status = 'planned'
          OR (q.status = 'sent' AND q.document = 'certificate' AND q.valid_until >= p_on
              AND NOT EXISTS (SELECT FROM mynahoken.issuance_recall c WHERE c.certificate_id = q.queue_id)))
     AND (p_all OR (p_employer IS NULL AND q.employer IS NULL) OR q.employer = p_employer);
  INSERT INTO pg_temp.mh_life_docs
  SELECT q.queue_id, q.member_key, q.document, q.reason, q.acquired_on, q.issue_window, q.valid_from,
         q.valid_until, q.sending_window, q.category, q.as_of, 'recall'
    FROM mynahoken.issuance_recall c JOIN mynahoken.issuance_queue q ON q.queue_id = c.certificate_id
   WHERE c.status = 'planned'
     AND (p_all OR (p_employer IS NULL AND c.employer IS NULL) OR c.employer = p_employer);
  -- the insurer's own fact columns the rules may read (as in issuance_prepare);
  -- the member source's own columns are all read below, employer among them
  SELECT coalesce(array_agg(a.attname::text ORDER BY a.attname), '{}') INTO xcols
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = src AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname::text IN (SELECT f.source_column FROM mynahoken.rule_fact f WHERE f.kind = 'member' AND NOT f.shipped)
     AND a.attname::text NOT IN (SELECT c.column_name FROM mynahoken.member_source_column c);
  EXECUTE format($q$
    CREATE TEMP TABLE mh_life_members ON COMMIT DROP AS
    SELECT src.member_key::text AS k,
           CASE WHEN mynahoken.insurer_number_is_valid(src.insurer_number::text)
                THEN mynahoken.category(src.insurer_number::text::mynahoken.insurer_number) END AS category,
           src.birth_date, src.acquired_on, src.lost_on, coalesce(src.my_number_linked, false) AS linked,
           src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on, src.certificate_requested_on,
           src.insurer_number::text AS insurer_number, src.employer::text AS employer, src.certificate_valid_until%s
      FROM %s AS src
     WHERE src.member_key::text IN (SELECT d.member_key FROM pg_temp.mh_life_docs d)
  $q$, (SELECT coalesce(string_agg(format(', src.%I AS %I', x, 'x_' || x), '' ORDER BY x), '') FROM unnest(xcols) AS x), src);
  SELECT count(*) - count(DISTINCT m.k) INTO dup FROM pg_temp.mh_life_members m;
  IF dup > 0 THEN
    PERFORM mynahoken.raise_error('23505',
      pg_catalog.format(mynahoken.gettext('member source has duplicate member keys: %s rows repeat the key of another row'), dup),
      hint => 'member_key must identify one member: make it unique in the member source (a primary key), then run again.');
  END IF;
  CREATE INDEX ON pg_temp.mh_life_members (k);
  CREATE INDEX ON pg_temp.mh_life_docs (queue_id);
  -- certificate_need on the day, as plan_issuance decides it: the rule
  -- engine's compiled decision over these members (an outcome of the
  -- insurer's own that needs no certificate counts as not_needed; a member
  -- it cannot decide as refused)
  EXECUTE format($q$
    CREATE TEMP TABLE mh_life_need ON COMMIT DROP AS
    SELECT e.member_key AS k,
           CASE WHEN e.outcome IS NULL THEN 'refused'
                WHEN o.statutory THEN e.outcome
                WHEN o.needs_certificate THEN e.outcome
                ELSE 'not_needed' END AS need
      FROM (SELECT x.member_key, x.outcome FROM (%s) AS x OFFSET 0) AS e
      LEFT JOIN mynahoken.rule_outcome o ON o.decision = 'certificate_need' AND o.code = e.outcome
  $q$, mynahoken.rule_compile_query('certificate_need', 'member',
         format('(SELECT l.k AS member_key, l.insurer_number, l.birth_date, l.acquired_on, l.lost_on, l.employer,'
                ' l.linked AS my_number_linked, l.myna_registered_on, l.myna_withdrawn_on, l.ecert_expires_on,'
                ' l.certificate_requested_on, l.certificate_valid_until%s FROM pg_temp.mh_life_members AS l)',
                (SELECT coalesce(string_agg(format(', l.%I AS %I', 'x_' || x, x), '' ORDER BY x), '') FROM unnest(xcols) AS x))))
    USING p_on, NULL::date;
  CREATE INDEX ON pg_temp.mh_life_need (k);
  ANALYZE pg_temp.mh_life_docs, pg_temp.mh_life_members;

  -- Planned documents: the first reason that applies withdraws it.  The
  -- decision (certificate_need) is computed set-based; a member whose facts
  -- it refuses makes the statement fail, and it is redone row by row.
  LOOP
    BEGIN
      WITH v AS (
        SELECT d.queue_id, f.fixed, y.reason, y.need, m.category, newer.queue_id AS newer_id,
               d.as_of, d.acquired_on, d.valid_until, d.document, d.valid_from, d.sending_window,
               m.acquired_on AS member_acquired_on, m.lost_on AS member_lost_on
          FROM pg_temp.mh_life_docs d
          LEFT JOIN pg_temp.mh_life_members m ON m.k = d.member_key
          LEFT JOIN LATERAL (
            SELECT q2.queue_id FROM mynahoken.issuance_queue q2
             WHERE q2.member_key = d.member_key AND q2.document = d.document AND q2.status <> 'withdrawn'
               AND (q2.acquired_on, q2.issue_window, q2.queue_id) > (d.acquired_on, d.issue_window, d.queue_id)
             ORDER BY q2.acquired_on DESC, q2.issue_window DESC, q2.queue_id DESC LIMIT 1) AS newer ON true
          CROSS JOIN LATERAL (
            SELECT CASE
                     WHEN m.k IS NULL THEN 'member_missing'
                     WHEN m.category IS NULL THEN 'invalid_insurer_number'
                     WHEN m.acquired_on IS NULL OR m.birth_date IS NULL THEN 'member_facts_missing'
                     WHEN mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on, NULL, NULL) IS NOT NULL
                       THEN 'member_facts_conflict'
                     WHEN m.lost_on <= greatest(p_on, d.as_of) THEN 'lost_eligibility'
                     WHEN m.acquired_on <> d.acquired_on THEN 'acquisition_changed'
                     WHEN d.document = 'certificate' AND d.valid_until < p_on THEN 'validity_ended'
                     WHEN newer.queue_id IS NOT NULL THEN 'superseded'
                     WHEN d.document = 'notice' AND upper(d.sending_window) - 1 + p_late_days < p_on THEN 'send_by_passed'
                   END AS fixed) AS f
          CROSS JOIN LATERAL (
            SELECT CASE WHEN f.fixed IS NULL AND d.as_of <= p_on
                        THEN (SELECT ln.need FROM pg_temp.mh_life_need ln WHERE ln.k = d.member_key)
                        WHEN f.fixed IS NULL AND NOT safe
                        THEN mynahoken.certificate_need(m.category, greatest(p_on, d.as_of), m.birth_date,
                               m.acquired_on, m.lost_on, m.linked, m.myna_registered_on, m.myna_withdrawn_on,
                               m.ecert_expires_on, m.certificate_requested_on)::text
                        WHEN f.fixed IS NULL
                        THEN mynahoken.issuance_need_safe(m.category, greatest(p_on, d.as_of), m.birth_date,
                               m.acquired_on, m.lost_on, m.linked, m.myna_registered_on, m.myna_withdrawn_on,
                               m.ecert_expires_on, m.certificate_requested_on)
                   END AS need) AS x
          CROSS JOIN LATERAL (
            SELECT coalesce(f.fixed, mynahoken.issuance_ground(d.document, d.reason, x.need, m.linked,
                                                               m.myna_registered_on, m.certificate_requested_on)) AS reason,
                   x.need) AS y
         WHERE d.status = 'planned'
      )
      UPDATE mynahoken.issuance_queue q
         SET status = 'withdrawn', withdrawn_on = p_on, withdrawn_at = clock_timestamp(),
             withdrawn_reason = v.reason, review_id = rid,
             withdrawn_explanation = jsonb_strip_nulls(jsonb_build_object(
               'rule', v.reason, 'checked_on', p_on, 'decided_for', greatest(p_on, v.as_of),
               'category', v.category, 'certificate_need', v.need,
               'planned_for', v.as_of, 'planned_acquired_on', v.acquired_on,
               'member_acquired_on', v.member_acquired_on, 'member_lost_on', v.member_lost_on,
               'superseded_by', CASE WHEN v.fixed = 'superseded' THEN v.newer_id END,
               'valid_until', v.valid_until,
               'send_by', mynahoken.issuance_send_by(v.document, v.valid_from, v.sending_window, p_certificate_send_days),
               'late_days', CASE WHEN v.fixed = 'send_by_passed' THEN p_late_days END,
               'explanation', CASE WHEN v.need IS NOT NULL AND v.need <> 'refused' THEN 'issuance_review.explanations' END))
        FROM v
       WHERE q.queue_id = v.queue_id AND v.reason IS NOT NULL;
      GET DIAGNOSTICS n = ROW_COUNT;
      EXIT;
    EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
      IF safe THEN
        RAISE;
      END IF;
      safe := true;
    END;
  END LOOP;
  -- The decision's explanation (rules, parameters with their sources), once
  -- per category, document and reason, from the first member withdrawn so:
  -- explain_certificate_need costs milliseconds; explain_issuance gives any
  -- member's own.
  UPDATE mynahoken.issuance_review r
     SET explanations = (
       SELECT coalesce(jsonb_object_agg(e.category || '/' || e.document || '/' || e.reason,
                mynahoken.issuance_merge_explanations(
                  mynahoken.explain_certificate_need(m.category, greatest(p_on, e.as_of), m.birth_date, m.acquired_on,
                    m.lost_on, m.linked, m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
                    m.certificate_requested_on))), '{}')
         FROM (SELECT DISTINCT ON (q.category, q.document, q.withdrawn_reason)
                      q.category::text AS category, q.document::text AS document, q.withdrawn_reason AS reason,
                      q.member_key, q.as_of
                 FROM mynahoken.issuance_queue q
                WHERE q.review_id = rid AND q.status = 'withdrawn'
                  AND q.withdrawn_explanation ? 'certificate_need'
                  AND q.withdrawn_explanation->>'certificate_need' <> 'refused'
                ORDER BY q.category, q.document, q.withdrawn_reason, q.queue_id) AS e
         JOIN pg_temp.mh_life_members m ON m.k = e.member_key)
   WHERE r.review_id = rid;
  UPDATE mynahoken.issuance_review r
     SET checked = (SELECT count(*) FROM pg_temp.mh_life_docs d WHERE d.status = 'planned'), withdrawn = n
   WHERE r.review_id = rid;

  -- Recall notices planned earlier whose ground has gone before they left.
  UPDATE mynahoken.issuance_recall c
     SET status = 'withdrawn', closed_on = p_on,
         closed_reason = CASE WHEN c.valid_until < p_on THEN 'validity_ended' ELSE 'eligible_again' END
    FROM pg_temp.mh_life_docs d LEFT JOIN pg_temp.mh_life_members m ON m.k = d.member_key
   WHERE d.status = 'recall' AND c.certificate_id = d.queue_id
     AND (c.valid_until < p_on OR (m.k IS NOT NULL AND (m.lost_on IS NULL OR m.lost_on > p_on)));
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE mynahoken.issuance_review r SET recalls_withdrawn = n WHERE r.review_id = rid;

  -- Recall notices: a sent certificate still valid after its holder lost
  -- eligibility (for the 資格 it was issued for).
  INSERT INTO mynahoken.issuance_recall AS c
         (certificate_id, member_key, employer, insurer_number, lost_on, valid_until, planned_on, review_id,
          explanation)
  SELECT q.queue_id, q.member_key, q.employer, q.insurer_number, m.lost_on, q.valid_until, p_on, rid,
         mynahoken.issuance_recall_basis()
           || jsonb_build_object('lost_on', m.lost_on, 'valid_until', q.valid_until, 'checked_on', p_on)
    FROM pg_temp.mh_life_docs d
    JOIN mynahoken.issuance_queue q ON q.queue_id = d.queue_id
    JOIN pg_temp.mh_life_members m ON m.k = d.member_key
   WHERE d.status = 'sent' AND m.lost_on <= p_on AND m.lost_on <= q.valid_until
     AND m.acquired_on = q.acquired_on AND m.lost_on > q.acquired_on
   ORDER BY q.queue_id
  ON CONFLICT (certificate_id) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE mynahoken.issuance_review r SET recalls_planned = n WHERE r.review_id = rid;
  -- pg_temp.mh_life_docs stays to the end of the transaction: the batches
  -- take only the documents this re-check saw.
  DROP TABLE pg_temp.mh_life_members, pg_temp.mh_life_need;
  RETURN rid;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_review_run(date, boolean, text, integer, integer) IS
  'Internal: re-check on a day the planned documents of all employers (p_all) or of one (NULL: direct mail), withdraw those whose ground has gone, withdraw or plan recall notices; returns the issuance_review id';

-- ---------------------------------------------------------------------------
-- Operators' functions

CREATE FUNCTION mynahoken.review_issuance(on_day date DEFAULT CURRENT_DATE, late_days integer DEFAULT 60,
                                          certificate_send_days integer DEFAULT 14)
RETURNS TABLE (review_id bigint, checked bigint, withdrawn bigint, recalls_planned bigint, recalls_withdrawn bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  rid bigint := mynahoken.issuance_review_run(on_day, true, NULL, late_days, certificate_send_days);
BEGIN
  RETURN QUERY SELECT r.review_id, r.checked, r.withdrawn, r.recalls_planned, r.recalls_withdrawn
                 FROM mynahoken.issuance_review r WHERE r.review_id = rid;
END
$$;
COMMENT ON FUNCTION mynahoken.review_issuance(date, integer, integer) IS
  'Re-check every planned, not handed-off document on a day (default today) and withdraw those whose ground has gone (資格喪失, マイナ保険証 registered, application withdrawn, superseded, validity ended, お知らせ send-by passed by more than late_days); plan recall notices for sent 資格確認書 still valid after their holder lost eligibility; one transaction; raises 22008, 22023, 42704, 23505 (duplicate member keys)';

CREATE FUNCTION mynahoken.mark_recall_returned(recall_id bigint, returned_on date DEFAULT CURRENT_DATE)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  c mynahoken.issuance_recall;
BEGIN
  SELECT * INTO c FROM mynahoken.issuance_recall x WHERE x.recall_id = mark_recall_returned.recall_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', 'recall notice does not exist');
  END IF;
  IF c.closed_on IS NOT NULL THEN
    PERFORM mynahoken.raise_error('55000',
      pg_catalog.format(mynahoken.gettext('recall notice %s was already closed on %s'), c.recall_id, to_char(c.closed_on, 'YYYY-MM-DD')));
  END IF;
  UPDATE mynahoken.issuance_recall x
     SET status = 'returned', returned_on = mark_recall_returned.returned_on,
         closed_on = mark_recall_returned.returned_on, closed_reason = 'returned'
   WHERE x.recall_id = c.recall_id;
  RETURN 'returned';
END
$$;
COMMENT ON FUNCTION mynahoken.mark_recall_returned(bigint, date) IS
  'Record that the 資格確認書 of a recall notice came back on a day (also before the notice was sent, which then is not sent); returns the new status; raises P0002 for an unknown recall notice, 55000 for one already closed';

CREATE FUNCTION mynahoken.close_recalls(on_day date DEFAULT CURRENT_DATE, wait_days integer DEFAULT 60)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  n bigint;
BEGIN
  IF on_day IS NULL OR NOT (on_day BETWEEN date '0001-01-01' AND date '9999-12-31') THEN
    PERFORM mynahoken.raise_error('22008', 'on_day must be a date from 0001-01-01 to 9999-12-31');
  END IF;
  IF wait_days IS NULL OR wait_days < 0 THEN
    PERFORM mynahoken.raise_error('22023', 'wait_days must be zero or more');
  END IF;
  UPDATE mynahoken.issuance_recall c
     SET status = 'not_returned', closed_on = close_recalls.on_day,
         closed_reason = CASE WHEN c.valid_until < close_recalls.on_day THEN 'validity_ended' ELSE 'no_answer' END
   WHERE c.status = 'sent'
     AND (c.sent_on + close_recalls.wait_days <= close_recalls.on_day OR c.valid_until < close_recalls.on_day);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.close_recalls(date, integer) IS
  'Close as not_returned the recall notices sent at least wait_days before on_day (an insurer decision, UNCONFIRMED: default 60) or whose certificate has expired (an expired 資格確認書 may be disposed of by the member, 協会けんぽ 令和6年11月); returns how many; raises 22008, 22023';

-- Documents and recall notices with their lifecycle, for operators and
-- monitoring: late, withdrawn, recalls open.
CREATE VIEW mynahoken.issuance_lifecycle AS
SELECT q.queue_id AS id, 'document'::text AS kind, q.document::text AS document, q.member_key, q.employer,
       q.status, q.reason, q.as_of AS planned_for,
       mynahoken.issuance_send_by(q.document, q.valid_from, q.sending_window) AS send_by,
       q.valid_until, q.handoff_id, q.sent_on, q.days_late,
       q.withdrawn_on, q.withdrawn_reason, q.review_id, NULL::date AS closed_on
  FROM mynahoken.issuance_queue q
UNION ALL
SELECT c.recall_id, 'recall', 'recall', c.member_key, c.employer, c.status, 'lost_eligibility', c.planned_on,
       NULL, c.valid_until, c.handoff_id, c.sent_on, NULL, NULL,
       CASE WHEN c.status = 'withdrawn' THEN c.closed_reason END, c.review_id, c.closed_on
  FROM mynahoken.issuance_recall c;
COMMENT ON VIEW mynahoken.issuance_lifecycle IS
  'Planned documents and recall notices with their status (planned, handed_off, sent, withdrawn; recalls also returned, not_returned), send-by day (certificates: 14 days after valid_from), days late at hand-off, withdrawal reason and re-check';
