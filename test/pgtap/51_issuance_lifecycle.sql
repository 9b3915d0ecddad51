-- The lifecycle of planned documents (issue 13): re-check at hand-off
-- (withdrawn with a reason, or handed off and reported late), withdrawals
-- recorded and never deleted, recall notices tracked to closure.  Synthetic
-- members planned on 2025-09-01 inside this transaction, then their facts
-- change as an insurer's do.
BEGIN;
SET search_path = mynahoken, public;
SET datestyle = ISO;
SELECT plan(41);

CREATE TEMP TABLE member_case (
  member_key text PRIMARY KEY, insurer_number text, birth_date date,
  acquired_on date, lost_on date, employer text, my_number_linked boolean,
  myna_registered_on date, myna_withdrawn_on date, ecert_expires_on date,
  certificate_requested_on date, why text NOT NULL
);
INSERT INTO member_case VALUES
  ('L01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, 'no My Number: certificate, handed off'),
  ('L02', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, 'loses eligibility before the hand-off'),
  ('L03', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, NULL, NULL, '2029-01-01', NULL, 'registers the マイナ保険証 before the hand-off'),
  ('L04', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2029-01-01', '2025-08-01', 'withdraws the application'),
  ('L11', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, 'leaves the member source'),
  ('L12', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, 'a newer certificate is planned'),
  ('L05', '01130012', '1980-01-01', '2025-08-25', NULL, 'E5', true, '2022-01-01', NULL, '2029-01-01', NULL, 'notice, handed off 12 days late'),
  ('L06', '01130012', '1980-01-01', '2025-06-19', NULL, 'E5', true, '2022-01-01', NULL, '2029-01-01', NULL, 'notice, send-by long passed'),
  ('L07', '39131156', '1940-01-01', '2015-01-01', NULL, 'E7', true, '2022-01-01', NULL, '2029-01-01', NULL, '後期: the 2025 certificate expires'),
  ('L08', '01130012', '1980-01-01', '2010-04-01', NULL, 'E8', false, NULL, NULL, NULL, NULL, 'certificate sent, retires, returns it'),
  ('L09', '01130012', '1980-01-01', '2010-04-01', NULL, 'E8', false, NULL, NULL, NULL, NULL, 'certificate sent, retires, never returns it'),
  ('L10', '01130012', '1980-01-01', '2010-04-01', NULL, 'E8', false, NULL, NULL, NULL, NULL, 'certificate sent, loss corrected before the recall leaves');
CREATE TEMP VIEW case_source AS
SELECT c.member_key, c.insurer_number, c.birth_date, c.acquired_on, c.lost_on, c.employer,
       c.my_number_linked, c.myna_registered_on, c.myna_withdrawn_on, c.ecert_expires_on,
       c.certificate_requested_on, NULL::date AS certificate_valid_until
  FROM member_case c;
SELECT register_member_source('pg_temp.case_source');
CALL plan_issuance('2025-09-01', commit_chunks => false);
SELECT results_eq($$SELECT member_key, document::text, reason, status FROM issuance_queue ORDER BY 1, 2$$,
  $$VALUES ('L01', 'certificate', 'no_my_number', 'planned'), ('L02', 'certificate', 'no_my_number', 'planned'),
           ('L03', 'certificate', 'not_registered', 'planned'), ('L04', 'certificate', 'on_request', 'planned'),
           ('L05', 'notice', 'on_acquisition', 'planned'), ('L06', 'notice', 'on_acquisition', 'planned'),
           ('L07', 'certificate', 'late_elderly_blanket', 'planned'), ('L08', 'certificate', 'no_my_number', 'planned'),
           ('L09', 'certificate', 'no_my_number', 'planned'), ('L10', 'certificate', 'no_my_number', 'planned'),
           ('L11', 'certificate', 'no_my_number', 'planned'), ('L12', 'certificate', 'no_my_number', 'planned')$$,
  'planned on 2025-09-01: every case has its document, status planned');

-- Facts change before the hand-off of 2025-09-20.
UPDATE member_case SET lost_on = '2025-09-10' WHERE member_key = 'L02';
UPDATE member_case SET myna_registered_on = '2025-09-05' WHERE member_key = 'L03';
UPDATE member_case SET certificate_requested_on = NULL WHERE member_key = 'L04';
DELETE FROM member_case WHERE member_key = 'L11';
-- A newer plan of the same kind (a later issuing window) for L12.
INSERT INTO issuance_queue (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
                            insurer_number, category, employer, as_of, run_id, basis_id)
SELECT member_key, document, acquired_on, issue_window + 1, reason, valid_from + 1, valid_until + 1,
       insurer_number, category, employer, as_of + 1, run_id, basis_id
  FROM issuance_queue WHERE member_key = 'L12';
CREATE TEMP TABLE rows_before AS SELECT count(*) AS n FROM issuance_queue;

SELECT isnt(prepare_handoff('E1', '2025-09-20'), NULL, 'E1''s documents are handed off on 2025-09-20');
SELECT results_eq($$SELECT member_key, status, withdrawn_reason, days_late FROM issuance_queue
                     WHERE employer = 'E1' ORDER BY member_key, queue_id$$,
  $$VALUES ('L01', 'handed_off', NULL, 5), ('L02', 'withdrawn', 'lost_eligibility', NULL),
           ('L03', 'withdrawn', 'myna_registered', NULL), ('L04', 'withdrawn', 'application_withdrawn', NULL),
           ('L11', 'withdrawn', 'member_missing', NULL), ('L12', 'withdrawn', 'superseded', NULL),
           ('L12', 'handed_off', NULL, 4)$$,
  'the re-check withdraws: 資格喪失, マイナ保険証 registered, application withdrawn, member gone, superseded; the others go, days late counted from valid_from + 14');
SELECT is((SELECT count(*) FROM issuance_queue q JOIN issuance_handoff h USING (handoff_id)
            WHERE q.employer = 'E1' AND q.status = 'handed_off' AND h.handoff_on = '2025-09-20'
              AND q.review_id = h.review_id), 2::bigint,
          'the batch records the hand-off day and the re-check');
SELECT is((SELECT count(*) FROM issuance_queue WHERE status = 'withdrawn'
             AND (withdrawn_on IS DISTINCT FROM '2025-09-20' OR withdrawn_at IS NULL OR review_id IS NULL
                  OR withdrawn_explanation->>'rule' IS DISTINCT FROM withdrawn_reason)), 0::bigint,
          'each withdrawal records the day, the time, the re-check and its rule');
SELECT is((SELECT withdrawn_explanation->>'certificate_need' FROM issuance_queue WHERE member_key = 'L03'),
          'not_needed', 'the withdrawal of L03 records the decision: certificate_need not_needed');
SELECT is((SELECT (withdrawn_explanation->>'superseded_by')::bigint FROM issuance_queue
            WHERE member_key = 'L12' AND status = 'withdrawn'),
          (SELECT queue_id FROM issuance_queue WHERE member_key = 'L12' AND status = 'handed_off'),
          'a superseded document names the one that replaces it');
SELECT ok((SELECT r.explanations ? 'health_insurance_association/certificate/myna_registered'
                  OR r.explanations ? 'kyokai_kenpo/certificate/myna_registered'
             FROM issuance_review r JOIN issuance_queue q USING (review_id) WHERE q.member_key = 'L03'),
          'the re-check keeps the decision''s explanation for each kind of withdrawal');
SELECT is((SELECT count(*) FROM issuance_review r, jsonb_each(r.explanations) e,
                  jsonb_array_elements(e.value->'parameters') p
            WHERE NOT p ? 'source'), 0::bigint,
          'every parameter of those explanations names its source');
SELECT is((SELECT n FROM rows_before), (SELECT count(*) FROM issuance_queue), 'nothing is deleted');

-- お知らせ: late within late_days goes (reported late), beyond is withdrawn.
SELECT isnt(prepare_handoff('E5', '2025-09-20'), NULL, 'E5''s documents are handed off on 2025-09-20');
SELECT results_eq($$SELECT member_key, status, withdrawn_reason, days_late FROM issuance_queue
                     WHERE employer = 'E5' ORDER BY member_key$$,
  $$VALUES ('L05', 'handed_off', NULL, 12), ('L06', 'withdrawn', 'send_by_passed', NULL)$$,
  'a notice 12 days past its send-by goes and is reported late; one 79 days past (more than late_days 60) is withdrawn');
SELECT is((SELECT withdrawn_explanation->>'send_by' FROM issuance_queue WHERE member_key = 'L06'), '2025-07-03',
          'the withdrawal says the send-by day that passed');
SELECT is((SELECT count(*) FROM issuance_lifecycle WHERE days_late > 0), 3::bigint,
          'issuance_lifecycle lists the documents handed off late');
SELECT is((SELECT count(*) FROM issuance_lifecycle WHERE status = 'withdrawn'), 6::bigint,
          'issuance_lifecycle lists the withdrawn documents');

-- 後期: the 2025 certificate expired, a new one is planned on 2026-08-03.
CALL plan_issuance('2026-08-03', commit_chunks => false);
SELECT is((SELECT count(*) FROM issuance_queue WHERE member_key = 'L07' AND status = 'planned'), 2::bigint,
          'L07 has two certificates planned before the hand-off');
SELECT isnt(prepare_handoff('E7', '2026-08-04'), NULL, 'E7''s documents are handed off on 2026-08-04');
SELECT results_eq($$SELECT valid_until, status, withdrawn_reason FROM issuance_queue WHERE member_key = 'L07' ORDER BY valid_until$$,
  $$VALUES ('2026-07-31'::date, 'withdrawn', 'validity_ended'), ('2027-07-31'::date, 'handed_off', NULL)$$,
  'the expired certificate is withdrawn (validity_ended), the current one goes');
SELECT is((SELECT count(*) FROM (SELECT 1 FROM issuance_queue WHERE handoff_id IS NOT NULL
                                  GROUP BY handoff_id, member_key, document HAVING count(*) > 1) d), 0::bigint,
          'no batch holds two documents of one kind for a member');
SELECT is((SELECT count(*) FROM issuance_queue WHERE handoff_id IS NOT NULL AND
             (valid_until < (SELECT h.handoff_on FROM issuance_handoff h WHERE h.handoff_id = issuance_queue.handoff_id)
              OR upper(sending_window) - 1 + 60 < (SELECT h.handoff_on FROM issuance_handoff h
                                                   WHERE h.handoff_id = issuance_queue.handoff_id))), 0::bigint,
          'no batch holds an expired certificate or a notice past its send-by by more than late_days');

-- Recall: certificates of E8 sent on 2025-09-05, the members retire on 2025-10-01.
SELECT mark_handoff_sent(prepare_handoff('E8', '2025-09-02'), '2025-09-05');
UPDATE member_case SET lost_on = '2025-10-01' WHERE member_key IN ('L08', 'L09', 'L10');
SELECT results_eq($$SELECT checked, withdrawn, recalls_planned, recalls_withdrawn FROM review_issuance('2025-10-02')$$,
                  $$VALUES (0::bigint, 0::bigint, 3::bigint, 0::bigint)$$,
                  'review_issuance plans a recall notice for each sent certificate still valid after its holder''s loss');
SELECT results_eq($$SELECT checked, withdrawn, recalls_planned, recalls_withdrawn FROM review_issuance('2025-10-02')$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
                  'a second review plans nothing more');
SELECT is((SELECT count(*) FROM issuance_recall c JOIN issuance_queue q ON q.queue_id = c.certificate_id
            WHERE q.status = 'sent' AND c.employer = 'E8' AND c.lost_on = '2025-10-01' AND c.valid_until = q.valid_until
              AND c.explanation->'sources'->0->>'code' = 'kyokai-2024-11'), 3::bigint,
          'each recall names the certificate, the loss, the employer it goes through, and its source');
UPDATE member_case SET lost_on = NULL WHERE member_key = 'L10';   -- the loss was keyed in by mistake
SELECT prepare_handoff('E8', '2025-10-03') AS recall_batch \gset
SELECT results_eq($$SELECT documents, recalls FROM issuance_handoff WHERE handoff_id = $$ || :recall_batch,
                  $$VALUES (0::bigint, 2::bigint)$$, 'the recall notices go in the employer''s batch like documents');
SELECT results_eq($$SELECT member_key, status, closed_reason FROM issuance_recall ORDER BY member_key$$,
  $$VALUES ('L08', 'handed_off', NULL), ('L09', 'handed_off', NULL), ('L10', 'withdrawn', 'eligible_again')$$,
  'a recall whose member is eligible again is withdrawn before it leaves');
SELECT results_eq($$SELECT member_key, document_name, document, valid_until FROM issuance_handoff_file
                     WHERE handoff_id = $$ || :recall_batch || $$ ORDER BY line_no$$,
  $$VALUES ('L08', '資格確認書の回収のお願い', 'recall', '2029-11-30'), ('L09', '資格確認書の回収のお願い', 'recall', '2029-11-30')$$,
  'the vendor file has one recall line per member, with the certificate''s validity');
SAVEPOINT before_return;
SELECT is(mark_recall_returned((SELECT recall_id FROM issuance_recall WHERE member_key = 'L08'), '2025-10-03'), 'returned',
          'L08 brings the certificate back before the recall batch leaves');
SELECT results_eq($$SELECT member_key FROM issuance_handoff_file WHERE handoff_id = $$ || :recall_batch || $$ ORDER BY line_no$$,
  $$VALUES ('L09')$$, 'a recall returned before its batch is sent is no longer in the vendor file');
ROLLBACK TO SAVEPOINT before_return;
SELECT is(mark_handoff_sent(:recall_batch, '2025-10-04'), 2::bigint, 'the recall batch is sent');
SELECT is(mark_recall_returned((SELECT recall_id FROM issuance_recall WHERE member_key = 'L08'), '2025-10-10'), 'returned',
          'L08 returns the certificate');
SELECT is(close_recalls('2025-12-02'), 0::bigint, 'no recall is closed before wait_days (60) have passed');
SELECT is(close_recalls('2025-12-03'), 1::bigint, 'L09''s recall is closed 60 days after it was sent');
SELECT results_eq($$SELECT member_key, status, sent_on, returned_on, closed_on, closed_reason FROM issuance_recall ORDER BY member_key$$,
  $$VALUES ('L08', 'returned', '2025-10-04'::date, '2025-10-10'::date, '2025-10-10'::date, 'returned'),
           ('L09', 'not_returned', '2025-10-04'::date, NULL::date, '2025-12-03'::date, 'no_answer'),
           ('L10', 'withdrawn', NULL::date, NULL::date, '2025-10-03'::date, 'eligible_again')$$,
  'each recall is tracked to its closure, with dates');
SELECT throws_ok($$SELECT mark_recall_returned((SELECT recall_id FROM issuance_recall WHERE member_key = 'L09'))$$,
                 '55000', NULL, 'a closed recall cannot be returned again');
SELECT throws_ok($$SELECT mark_recall_returned(-1)$$, 'P0002', 'recall notice does not exist', 'an unknown recall is refused');
SELECT throws_ok($$SELECT prepare_handoff('E1', '2025-09-21', late_days => -1)$$, '22023', 'late_days must be zero or more',
                 'a negative late_days is refused');
SELECT is(issuance_send_by('certificate', '2025-09-01', NULL), '2025-09-15'::date,
          'a certificate is due 14 days after it is valid from');

-- A withdrawn document does not count as planned (issue 13): L02's loss of
-- 2025-09-10 was keyed in by mistake, its certificate withdrawn at the
-- hand-off is planned again, in the same issue window.
UPDATE member_case SET lost_on = NULL WHERE member_key = 'L02';
CALL plan_issuance('2025-09-22', commit_chunks => false);
SELECT results_eq($$SELECT status, withdrawn_reason FROM issuance_queue WHERE member_key = 'L02' ORDER BY queue_id$$,
                  $$VALUES ('withdrawn', 'lost_eligibility'), ('planned', NULL)$$,
                  'a member whose ground came back gets the withdrawn certificate planned again');
SELECT is((SELECT count(DISTINCT (acquired_on, issue_window)) FROM issuance_queue WHERE member_key = 'L02'), 1::bigint,
          'in the same issue window as the withdrawn one');
-- The vendor file gives a certificate's send-by day (issuance_send_by).
SELECT results_eq($$SELECT f.member_key, f.send_by FROM issuance_handoff_file f
                     JOIN issuance_handoff h USING (handoff_id) WHERE h.employer = 'E1' ORDER BY 1$$,
                  $$VALUES ('L01', '2025-09-15'), ('L12', '2025-09-16')$$,
                  'the vendor file has the send-by day of each certificate');
SELECT throws_ok($$SELECT mark_handoff_sent(-7)$$, 'P0002', 'hand-off batch -7 does not exist',
                 'an unknown hand-off batch is refused with its id');

SELECT * FROM finish();
ROLLBACK;
