-- The end of the demo's path: plan the 資格確認書 and 資格情報のお知らせ the demo
-- insurer's members need (doc/issuance.md), as the nightly pg_cron job would,
-- and show what was planned, why, and what goes to the print vendor.
\set QUIET on
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;

-- The member source: a view over the insurer's own table with the fixed
-- column names.  The My Number itself never leaves demo.members: the view
-- says only whether a valid one is on file.
CREATE OR REPLACE VIEW demo.issuance_members AS
SELECT m.member_id AS member_key, m.insurer_number, m.birth_date, m.acquired_on, m.lost_on,
       m.employer_id AS employer,
       coalesce(mynahoken.mynumber_is_valid(m.my_number), false) AS my_number_linked,
       m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
       m.certificate_requested_on, NULL::date AS certificate_valid_until
  FROM demo.members m;
SELECT mynahoken.register_member_source('demo.issuance_members') AS registered \gset
TRUNCATE mynahoken.issuance_queue, mynahoken.issuance_run, mynahoken.issuance_rejection, mynahoken.issuance_handoff,
         mynahoken.issuance_review, mynahoken.issuance_recall;

-- Three nights: 2025-09-01, the same night again (a rerun), and 2026-08-03
-- after the 後期高齢者 certificates expired on 2026-07-31.
CALL mynahoken.plan_issuance(DATE '2025-09-01');
CALL mynahoken.plan_issuance(DATE '2025-09-01');
CALL mynahoken.plan_issuance(DATE '2026-08-03');
\set QUIET off

\echo '== Issuance runs: the rerun of 2025-09-01 plans nothing new'
SELECT run_id, as_of, state, members_done AS members, certificates, notices, already_planned,
       rejected_invalid_insurer AS bad_insurer_number, rejected_other AS contradictory
  FROM mynahoken.issuance_runs ORDER BY run_id;

\echo '== Documents planned, per night, document and reason'
SELECT as_of, CASE document WHEN 'certificate' THEN '資格確認書' ELSE '資格情報のお知らせ' END AS document,
       reason, count(*) AS documents
  FROM mynahoken.issuance_queue GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC;

\echo '== Members skipped, and why'
SELECT problem, count(*) AS members FROM mynahoken.issuance_rejection
 WHERE run_id = (SELECT min(run_id) FROM mynahoken.issuance_run) GROUP BY 1 ORDER BY 2 DESC;

\echo '== Hand-off on 2026-11-30: every planned document re-checked that day, one batch per employer (and one mailed directly)'
SELECT count(*) AS batches, sum(documents) AS documents,
       count(*) FILTER (WHERE employer IS NULL) AS direct_mail_batches
  FROM mynahoken.prepare_handoffs(DATE '2026-11-30');

\echo '== Withdrawn by the re-check, and why; handed off late'
SELECT status, coalesce(withdrawn_reason, CASE WHEN days_late > 0 THEN 'late' ELSE 'on time' END) AS why,
       CASE document WHEN 'certificate' THEN '資格確認書' ELSE '資格情報のお知らせ' END AS document,
       count(*) AS documents, min(days_late) AS min_days_late, max(days_late) AS max_days_late
  FROM mynahoken.issuance_queue GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

\echo '== What reached the print vendor: no expired certificate, no member twice, no stale お知らせ'
SELECT count(*) FILTER (WHERE q.document = 'certificate' AND q.valid_until < DATE '2026-11-30') AS expired_certificates,
       (SELECT count(*) FROM (SELECT member_key FROM mynahoken.issuance_queue WHERE handoff_id IS NOT NULL
                               GROUP BY handoff_id, member_key, document HAVING count(*) > 1) AS d) AS members_twice,
       count(*) FILTER (WHERE q.document = 'notice' AND upper(q.sending_window) - 1 < DATE '2026-11-30' - 60) AS stale_notices
  FROM mynahoken.issuance_queue q WHERE q.handoff_id IS NOT NULL;

SELECT f.line_no, f.employer, f.insurer_number, f.member_key, f.document_name, f.reason, f.valid_from,
       f.valid_until, f.send_by
  FROM mynahoken.issuance_handoff_file f
 WHERE f.handoff_id = (SELECT handoff_id FROM mynahoken.issuance_handoff WHERE employer IS NOT NULL
                        ORDER BY documents DESC, handoff_id LIMIT 1)
 ORDER BY f.line_no LIMIT 5;

\echo '== Why one new member gets both documents on 2025-09-01'
SELECT jsonb_pretty(jsonb_build_object(
         'member_key', e->'member_key', 'category', e->'category', 'employer', e->'employer',
         'certificate_need', e->'certificate_need'->'result',
         'certificate_rules', jsonb_path_query_array(e->'certificate_need'->'rules', '$[*].rule'),
         'certificate_valid_until', e->'certificate_valid_until'->'result',
         'notice_window', e->'notice_sending_window'->'result',
         'notice_rules', jsonb_path_query_array(e->'notice_sending_window'->'rules', '$[*].rule'),
         'planned', (SELECT jsonb_agg(jsonb_build_object('document', p->'document', 'reason', p->'reason',
                                                         'valid_until', p->'valid_until',
                                                         'sending_window', p->'sending_window'))
                       FROM jsonb_array_elements(e->'planned') AS p WHERE p->>'as_of' = '2025-09-01'),
         'sources', (SELECT jsonb_agg(DISTINCT p->'source'->>'code')
                       FROM jsonb_array_elements((e->'certificate_need'->'parameters')
                                                 || (e->'certificate_valid_until'->'parameters')
                                                 || (e->'notice_sending_window'->'parameters')) AS p)))
  FROM (SELECT mynahoken.explain_issuance(min(q.member_key COLLATE "C"), DATE '2025-09-01') AS e
          FROM mynahoken.issuance_queue q
         WHERE q.document = 'notice' AND q.as_of = DATE '2025-09-01'
           AND EXISTS (SELECT FROM mynahoken.issuance_queue c
                        WHERE c.member_key = q.member_key AND c.document = 'certificate'
                          AND c.as_of = DATE '2025-09-01')) AS x;
