-- What the transition rules say for the demo insurer's members
-- (doc/decisions.md).  The insurer category comes from the insurer number
-- (doc/identifiers.md); rows whose number is invalid are left out.
SET datestyle = 'ISO, YMD';

CREATE OR REPLACE TEMP VIEW member_facts AS
SELECT m.*,
       CASE WHEN mynahoken.insurer_number_is_valid(m.insurer_number)
            THEN mynahoken.category(m.insurer_number::mynahoken.insurer_number) END AS category,
       mynahoken.member_facts_conflict(m.birth_date, m.acquired_on, m.lost_on,
                                       m.legacy_card_issued_on, m.legacy_card_expires_on) AS conflict
  FROM demo.members m;

-- The decision functions refuse contradictory facts with an error; list them
-- here and leave them out below.
\echo '== Members whose facts contradict each other (left out below)'
SELECT conflict, count(*) AS members FROM member_facts WHERE conflict IS NOT NULL GROUP BY 1 ORDER BY 1;

CREATE OR REPLACE TEMP VIEW decidable AS
SELECT * FROM member_facts WHERE conflict IS NULL AND category IS NOT NULL;

\echo '== Documents an institution with online check accepts on 2026-01-15, by insurer category'
SELECT category, doc, count(*) AS members
  FROM decidable,
       unnest(mynahoken.accepted_documents(category, date '2026-01-15', acquired_on, lost_on,
                legacy_card_issued_on, legacy_card_expires_on, my_number IS NOT NULL,
                myna_registered_on, myna_withdrawn_on, ecert_expires_on, NULL)) AS doc
 GROUP BY 1, 2 ORDER BY 1, 2;

\echo '== Members by number of usable documents on 2026-01-15 (legal validity only, no 資格確認書 issued yet)'
SELECT cardinality(mynahoken.usable_documents(category, date '2026-01-15', acquired_on, lost_on,
                legacy_card_issued_on, legacy_card_expires_on, my_number IS NOT NULL,
                myna_registered_on, myna_withdrawn_on, ecert_expires_on, NULL)) AS documents,
       count(*) AS members
  FROM decidable GROUP BY 1 ORDER BY 1;

\echo '== Who needs a 資格確認書, and why: 2026-01-15 and 2026-08-01'
-- The days crossed with the members and the decision in the select list, no
-- LATERAL subquery: a form Citus pushes down to its workers (doc/scale-out.md).
SELECT d AS day,
       mynahoken.certificate_need(category, d, birth_date, acquired_on, lost_on,
         my_number IS NOT NULL, myna_registered_on, myna_withdrawn_on,
         ecert_expires_on, certificate_requested_on) AS reason,
       count(*) AS members
  FROM decidable CROSS JOIN unnest(ARRAY[date '2026-01-15', date '2026-08-01']) AS d
 GROUP BY 1, 2 ORDER BY 1, 2;

\echo '== Why member 1001 needs (or not) a 資格確認書 on 2026-01-15'
SELECT jsonb_pretty(mynahoken.explain_certificate_need(category, date '2026-01-15', birth_date, acquired_on,
         lost_on, my_number IS NOT NULL, myna_registered_on, myna_withdrawn_on, ecert_expires_on,
         certificate_requested_on))
  FROM decidable WHERE member_id = 1001;

\echo '== As known on: 国保 and 後期 cards that expired on 2025-07-31, accepted on 2025-08-15?'
SELECT category, k AS known_on,
       count(*) FILTER (WHERE mynahoken.legacy_card_accepted(category, date '2025-08-15', acquired_on, lost_on,
                          legacy_card_issued_on, legacy_card_expires_on, k)) AS accepted,
       count(*) AS holders
  FROM decidable, unnest(ARRAY[date '2025-06-26', date '2025-06-27', date '2025-09-15']) AS k
 WHERE legacy_card_expires_on = date '2025-07-31'
 GROUP BY 1, 2 ORDER BY 1, 2;

\echo '== 資格確認書 issued today: valid until, per category; 資格取得届 due for the latest acquisitions'
SELECT category, mynahoken.certificate_valid_until(category, current_date) AS valid_until
  FROM (SELECT DISTINCT category FROM decidable) c ORDER BY 1;
SELECT member_id, acquired_on, mynahoken.acquisition_report_due(category, acquired_on) AS report_due
  FROM decidable ORDER BY acquired_on DESC, member_id LIMIT 5;
