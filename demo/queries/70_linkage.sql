\echo
\echo '== My Number linkage checks (紐付け点検): the nightly check finds the members linked to another person'
SET client_min_messages = warning;
-- What the member system and J-LIS hold, as the loaders read them; names,
-- addresses and birth dates become keyed digests, numbers tokens.
INSERT INTO mynahoken.kanji_variant (variant, standard) VALUES ('髙', '高') ON CONFLICT DO NOTHING;
CREATE TEMP VIEW link_members AS
SELECT m.member_id::text AS insured_key, f.household, mynahoken.tokenize(m.my_number) AS token,
       mynahoken.seal(m.my_number) AS sealed, f.provenance, false AS number_confirmed,
       mynahoken.tokenize(m.my_number) AS sent_token, f.kanji_name, f.kana_name, f.address,
       m.birth_date, f.sex
  FROM demo.members m JOIN demo.member_facts f USING (member_id)
 WHERE m.my_number IS NOT NULL AND mynahoken.mynumber_is_valid(m.my_number);
CREATE TEMP VIEW link_jlis AS
SELECT a.member_id::text AS insured_key, mynahoken.tokenize(a.my_number) AS token, DATE '2026-11-01' AS asked_on,
       'chukan_match' AS source, a.found, a.kanji_name, a.kana_name, a.address, a.birth_date, a.sex,
       'demo answers row ' || a.member_id AS source_ref
  FROM demo.jlis_answers a;
SELECT mynahoken.linkage_load_members('pg_temp.link_members') AS members_loaded,
       mynahoken.linkage_load_jlis('pg_temp.link_jlis') AS jlis_answers_loaded;
-- The member who reads other digits on the お知らせ (passed here from the
-- table; an application passes them as a bind parameter).
SELECT mynahoken.record_member_report(p.member_id::text,
         translate(right(m.my_number, 4), '0123456789', '1234567890'), 'last4_differs') IS NOT NULL AS report_recorded
  FROM demo.planted p JOIN demo.members m USING (member_id) WHERE p.kind = 'reports_other_digits';
CALL mynahoken.linkage_check_nightly(full_check => true);

\echo '== Members by severity (3 high, 2 review, 1 information; 0: clean or notation only, no row kept)'
SELECT c.severity, count(*) AS members
  FROM mynahoken.linkage_check c
 GROUP BY 1
UNION ALL
SELECT 0, (SELECT count(*) FROM mynahoken.linkage_member) - (SELECT count(*) FROM mynahoken.linkage_check)
 ORDER BY 1 DESC;

\echo '== The planted members: each one found, with its reason codes'
SELECT p.kind, c.severity, c.reasons
  FROM demo.planted p
  JOIN mynahoken.linkage_check c ON c.insured_key IN (p.member_id::text, p.other_id::text)
 ORDER BY p.kind, c.insured_key;

\echo '== Kanji variants (髙/高, through the DBA''s table) are information only: no case'
SELECT r.code, count(*) AS members, count(*) FILTER (WHERE c.severity >= 2) AS with_a_case_for_another_reason
  FROM mynahoken.linkage_check c CROSS JOIN LATERAL unnest(c.reasons) AS r(code)
 WHERE r.code = 'kanji_variant_only'
 GROUP BY 1 ORDER BY 1;

\echo '== The work queue and the explanation of one case (codes and fold levels, no name or number)'
SELECT count(*) AS open_cases, count(*) FILTER (WHERE severity = 3) AS severity_3
  FROM mynahoken.linkage_queue;
SELECT jsonb_pretty(mynahoken.explain_linkage_case(c.case_id) - 'history' - 'case_id') AS explanation
  FROM mynahoken.linkage_case c JOIN demo.planted p ON c.insured_key = p.member_id::text
 WHERE p.kind = 'black_circle_kanji_moved';

\echo '== Cases are due in open days of the administration (linkage_due_period: 5 for severity 3, 20 for 2)'
SELECT severity, min(due_on) AS due_on, count(*) AS cases FROM mynahoken.linkage_queue GROUP BY 1 ORDER BY 1 DESC;

\echo '== The next night: only changed members are checked, and only changed results written'
CALL mynahoken.linkage_check_nightly();
SELECT full_check, members_checked, results_changed, cases_opened FROM mynahoken.linkage_runs ORDER BY run_id;
