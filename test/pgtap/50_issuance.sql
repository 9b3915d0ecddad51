-- Planning rules of plan_issuance, as a table of cases: each synthetic member,
-- the day it is planned for, and the documents it must get (or none).
-- Planned inside this transaction (commit_chunks => false) and rolled back.
BEGIN;
SET search_path = mynahoken, public;
SET datestyle = ISO;
SELECT plan(26);

CREATE TEMP TABLE member_case (
  member_key text PRIMARY KEY, as_of date NOT NULL, insurer_number text, birth_date date,
  acquired_on date, lost_on date, employer text, my_number_linked boolean,
  myna_registered_on date, myna_withdrawn_on date, ecert_expires_on date,
  certificate_requested_on date, certificate_valid_until date, why text NOT NULL
);
INSERT INTO member_case VALUES
  ('A01', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, 'マイナ保険証 usable: nothing'),
  ('A02', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', false, NULL, NULL, NULL, NULL, NULL, 'no My Number: certificate'),
  ('A03', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, NULL, NULL, '2029-01-01', NULL, NULL, 'not registered: certificate'),
  ('A04', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', '2025-01-01', '2029-01-01', NULL, NULL, 'registration withdrawn: certificate'),
  ('A05', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2025-05-15', NULL, NULL, 'e-certificate grace ended 2025-08-31: certificate'),
  ('A06', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2025-06-01', NULL, NULL, 'e-certificate grace until 2025-09-30: nothing'),
  ('A07', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2029-01-01', '2025-08-01', NULL, 'requested: certificate'),
  ('A08', '2025-09-01', '39131156', '1945-01-01', '2025-08-25', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, '後期 暫定運用: certificate, no notice'),
  ('A09', '2025-09-01', '131151', '1980-01-01', '2025-08-25', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, 'new 国保 member with マイナ保険証: notice'),
  ('A10', '2025-09-01', '01130012', '1980-01-01', '2025-08-25', NULL, 'E2', false, NULL, NULL, NULL, NULL, NULL, 'new member without My Number: certificate, no notice'),
  ('A11', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E2', false, NULL, NULL, NULL, NULL, '2025-09-01', 'holds a certificate ending on as_of, within the 30 days of lead: renewed from the next day'),
  ('A12', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', NULL, 'E2', false, NULL, NULL, NULL, NULL, '2025-08-31', 'held certificate expired the day before: certificate'),
  ('A13', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', '2025-09-01', 'E2', false, NULL, NULL, NULL, NULL, NULL, 'lost on as_of: nothing'),
  ('A14', '2025-09-01', '01130012', '1980-01-01', '2010-04-01', '2025-09-02', 'E2', false, NULL, NULL, NULL, NULL, NULL, 'lost the day after: certificate'),
  ('A15', '2025-09-01', '01130012', '1980-01-01', '2025-09-02', NULL, 'E2', true, NULL, NULL, NULL, NULL, NULL, 'acquires the day after: nothing'),
  ('A16', '2025-09-01', '01130019', '1980-01-01', '2010-04-01', NULL, 'E2', false, NULL, NULL, NULL, NULL, NULL, 'invalid insurer number: skipped'),
  ('A17', '2025-09-01', '01130012', '1980-01-01', '1979-04-01', NULL, 'E2', false, NULL, NULL, NULL, NULL, NULL, 'acquired before birth: skipped'),
  ('A18', '2025-09-01', '01130012', NULL, '2010-04-01', NULL, 'E2', false, NULL, NULL, NULL, NULL, NULL, 'birth date missing: skipped'),
  ('A19', '2025-09-01', '01130012', '1980-01-01', '2025-06-19', NULL, 'E2', true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, 'window closed 2025-07-03, 60 late days end 2025-09-01: notice'),
  ('A20', '2025-09-01', '01130012', '1980-01-01', '2025-06-18', NULL, 'E2', true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, 'window closed 2025-07-02, late days over: nothing'),
  ('B01', '2025-01-25', '01130012', '1980-01-01', '2024-07-01', NULL, 'E3', true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, 'second round of 協会けんぽ notices: notice'),
  ('B02', '2025-01-25', '01130012', '1980-01-01', '2024-01-01', NULL, 'E3', true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, 'first round long closed: nothing'),
  ('B03', '2025-01-25', '131151', '1980-01-01', '2024-07-01', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, '国保 had no rounds: nothing'),
  ('C01', '2026-08-03', '39131156', '1940-01-01', '2015-01-01', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, '後期 aged 86 on 2026-08-01: certificate'),
  ('C02', '2026-08-03', '39131156', '1950-01-01', '2025-01-01', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, NULL, '後期 aged 76 with マイナ保険証: nothing'),
  ('C03', '2026-08-03', '39131156', '1950-01-01', '2025-01-01', NULL, NULL, true, NULL, NULL, '2029-01-01', NULL, NULL, '後期 aged 76 not registered: certificate'),
  -- Renewal of certificates held until the 後期 yearly renewal of 8/1 (and one later).
  ('R01', '2026-07-02', '39131156', '1940-01-01', '2015-01-01', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, '2026-07-31', '後期 aged 86 on 8/1: renewed under the age rule'),
  ('R02', '2026-07-02', '39131156', '1950-01-01', '2025-01-01', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, '2026-07-31', '後期 aged 76 with マイナ保険証: not renewed'),
  ('R03', '2026-07-02', '39131156', '1950-01-01', '2025-01-01', NULL, NULL, true, '2022-01-01', NULL, '2029-01-01', '2025-10-01', '2026-07-31', '後期 aged 76 who applied once: renewed (certificate_request_renews)'),
  ('R04', '2026-07-02', '01130012', '1980-01-01', '2010-04-01', NULL, 'E4', false, NULL, NULL, NULL, NULL, '2026-08-01', 'held until 2026-08-01: renewal due from 2026-07-03'),
  ('R05', '2026-07-02', '39131156', '1950-01-01', '2025-01-01', '2026-07-20', NULL, false, NULL, NULL, NULL, NULL, '2026-07-31', '後期 leaving before 8/1: not renewed');

CREATE TEMP TABLE expected_doc (member_key text, document issuance_document, reason text, valid_until date);
INSERT INTO expected_doc VALUES
  ('A02', 'certificate', 'no_my_number', '2029-11-30'),
  ('A03', 'certificate', 'not_registered', '2029-11-30'),
  ('A04', 'certificate', 'registration_withdrawn', '2029-11-30'),
  ('A05', 'certificate', 'ecert_expired', '2029-11-30'),
  ('A07', 'certificate', 'on_request', '2029-11-30'),
  ('A08', 'certificate', 'late_elderly_blanket', '2026-07-31'),
  ('A09', 'notice', 'on_acquisition', NULL),
  ('A10', 'certificate', 'no_my_number', '2029-11-30'),
  ('A12', 'certificate', 'no_my_number', '2029-11-30'),
  ('A14', 'certificate', 'no_my_number', '2029-11-30'),
  ('A19', 'notice', 'on_acquisition', NULL),
  ('B01', 'notice', 'round2', NULL),
  ('C01', 'certificate', 'late_elderly_age', '2027-07-31'),
  ('C03', 'certificate', 'not_registered', '2027-07-31'),
  ('A11', 'certificate', 'no_my_number', '2029-11-30'),
  ('R01', 'certificate', 'late_elderly_age', '2027-07-31'),
  ('R03', 'certificate', 'on_request', '2027-07-31');

CREATE TEMP TABLE plan_day (as_of date);
CREATE TEMP VIEW case_source AS
SELECT c.member_key, c.insurer_number, c.birth_date, c.acquired_on, c.lost_on, c.employer,
       c.my_number_linked, c.myna_registered_on, c.myna_withdrawn_on, c.ecert_expires_on,
       c.certificate_requested_on, c.certificate_valid_until
  FROM member_case c JOIN plan_day d ON d.as_of = c.as_of;

SELECT throws_ok($$SELECT register_member_source('expected_doc')$$, '22023', 'relation expected_doc cannot be a member source',
                 'a relation without the member columns is refused');
SELECT is((SELECT count(*) FROM check_member_source('pg_temp.case_source') WHERE problem IS NOT NULL), 0::bigint,
          'the case view has every column with an accepted type');
SELECT lives_ok($$SELECT register_member_source('pg_temp.case_source')$$, 'the case view is registered');

INSERT INTO plan_day VALUES ('2025-09-01');
CALL plan_issuance('2025-09-01', chunk_size => 4, commit_chunks => false);
TRUNCATE plan_day;
INSERT INTO plan_day VALUES ('2025-01-25');
CALL plan_issuance('2025-01-25', chunk_size => 4, commit_chunks => false);
TRUNCATE plan_day;
INSERT INTO plan_day VALUES ('2026-08-03');
CALL plan_issuance('2026-08-03', chunk_size => 4, commit_chunks => false);
TRUNCATE plan_day;
INSERT INTO plan_day VALUES ('2026-07-02');
CALL plan_issuance('2026-07-02', chunk_size => 4, commit_chunks => false);

SELECT set_eq($$SELECT member_key, document, reason, valid_until FROM issuance_queue$$,
              $$SELECT member_key, document, reason, valid_until FROM expected_doc$$,
              'every case gets exactly the documents of its rule');
SELECT is((SELECT string_agg(c.member_key || ' (' || c.why || ')', ', ' ORDER BY c.member_key)
             FROM member_case c
            WHERE EXISTS (SELECT FROM issuance_queue q WHERE q.member_key = c.member_key)
                  <> EXISTS (SELECT FROM expected_doc e WHERE e.member_key = c.member_key)),
          NULL, 'no case is planned against its rule');
SELECT is((SELECT count(*) FROM issuance_queue q JOIN member_case c USING (member_key)
            WHERE q.as_of <> c.as_of OR q.valid_from IS DISTINCT FROM
                  CASE WHEN q.document = 'certificate' THEN greatest(c.as_of, c.certificate_valid_until + 1) END), 0::bigint,
          'certificates are valid from the day planned for, renewals from the day after the held one ends; notices have no validity');
SELECT is((SELECT count(*) FROM issuance_queue q JOIN issuance_basis b USING (basis_id)
            WHERE q.member_key = 'R01' AND b.rules ? 'need_late_elderly_age' AND b.parameters @? '$[*] ? (@.name == "late_elderly_age_threshold")'),
          1::bigint, 'a renewal''s basis is the rule in force on the day it starts (the age rule of 2026-08-01)');
SELECT is((SELECT count(*) FROM issuance_queue q JOIN member_case c USING (member_key)
            WHERE q.employer IS DISTINCT FROM c.employer), 0::bigint,
          'each document goes through the member''s employer, or directly when none');
SELECT is((SELECT sending_window FROM issuance_queue WHERE member_key = 'A09'), daterange('2025-08-25', '2025-09-09'),
          'a new member''s notice window is 14 days from the acquisition');
SELECT is((SELECT sending_window FROM issuance_queue WHERE member_key = 'B01'), daterange('2025-01-22', '2025-02-04'),
          'the second-round notice keeps the round''s window');
SELECT results_eq($$SELECT member_key, problem FROM issuance_rejection ORDER BY member_key$$,
                  $$VALUES ('A16', 'invalid_insurer_number'), ('A17', 'acquired_before_birth'),
                           ('A18', 'birth_date_missing')$$,
                  'rows the decisions cannot take are skipped with their problem');
SELECT results_eq($$SELECT rejected_invalid_insurer, rejected_other, members_total FROM issuance_run WHERE as_of = '2025-09-01'$$,
                  $$VALUES (1::bigint, 2::bigint, 20::bigint)$$,
                  'the run log counts the skipped rows');
SELECT is((SELECT count(*) FROM issuance_queue q JOIN issuance_basis b USING (basis_id)
            WHERE jsonb_array_length(b.parameters) = 0 OR b.parameters @? '$[*] ? (!exists(@.source.code))'),
          0::bigint, 'every planned document has a basis whose parameters all name a source');

-- Again for 2025-09-01: nothing new.
TRUNCATE plan_day;
INSERT INTO plan_day VALUES ('2025-09-01');
CREATE TEMP TABLE before AS SELECT * FROM issuance_queue;
CALL plan_issuance('2025-09-01', chunk_size => 7, commit_chunks => false);
SELECT results_eq($$SELECT members_total, certificates, notices, already_planned FROM issuance_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
                  'a rerun for the same day decides no member again (none changed) and plans nothing');
SELECT set_eq($$SELECT * FROM issuance_queue$$, $$SELECT * FROM before$$, 'a rerun leaves the queue as it was');

-- The next day, same members: only the certificate held until 2025-09-01 is renewed.
UPDATE member_case SET as_of = '2025-09-02' WHERE as_of = '2025-09-01';
TRUNCATE plan_day;
INSERT INTO plan_day VALUES ('2025-09-02');
CALL plan_issuance('2025-09-02', commit_chunks => false);
SELECT results_eq($$SELECT member_key, document::text, reason FROM issuance_queue WHERE as_of = '2025-09-02' ORDER BY 1, 2$$,
                  $$VALUES ('A15', 'certificate', 'not_registered'), ('A15', 'notice', 'on_acquisition')$$,
                  'the next day plans only what became due: a member who joined (A11 was renewed ahead)');
SELECT results_eq($$SELECT string_agg(member_key, ',' ORDER BY member_key) FROM issuance_member_state
                     WHERE run_id = (SELECT max(run_id) FROM issuance_run)$$,
                  $$VALUES ('A14,A15,A19')$$,
                  'the next day decides again only the members whose decision could change that day (A14 loses 資格, A15 joins, A19''s late days end)');
CREATE TEMP TABLE state_before AS SELECT * FROM issuance_member_state;
UPDATE member_case SET ecert_expires_on = '2020-01-01' WHERE member_key = 'A01';
CALL plan_issuance('2025-09-02', commit_chunks => false);
SELECT results_eq($$SELECT members_total, certificates FROM issuance_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (1::bigint, 1::bigint)$$,
                  'a member whose facts changed is decided again, alone, the same day');
SELECT is((SELECT count(*) FROM issuance_member_state s JOIN state_before b USING (member_key)
            WHERE (s.digest, s.decided_on, s.next_change) IS DISTINCT FROM (b.digest, b.decided_on, b.next_change)), 1::bigint,
          'only the changed member''s state moves');

-- With late_days 0 a closed window is not caught up.
DELETE FROM issuance_queue WHERE member_key = 'A09';
CALL plan_issuance('2025-09-09', late_days => 0, commit_chunks => false);
SELECT is((SELECT count(*) FROM issuance_queue WHERE member_key = 'A09'), 0::bigint,
          'a notice whose window closed on 2025-09-08 is not planned on 2025-09-09 with late_days 0');
CALL plan_issuance('2025-09-08', late_days => 0, commit_chunks => false);
SELECT is((SELECT count(*) FROM issuance_queue WHERE member_key = 'A09'), 1::bigint,
          'it is planned on 2025-09-08, the last day of its window');

-- Renewals: the next one is planned within the lead time, once.
UPDATE member_case SET as_of = '2026-07-03' WHERE as_of = '2026-07-02';
TRUNCATE plan_day;
INSERT INTO plan_day VALUES ('2026-07-03');
CALL plan_issuance('2026-07-03', commit_chunks => false);
SELECT results_eq($$SELECT member_key, reason, valid_from, valid_until = certificate_valid_until('kyokai_kenpo', '2026-08-02')
                      FROM issuance_queue WHERE as_of = '2026-07-03'$$,
                  $$VALUES ('R04', 'no_my_number', date '2026-08-02', true)$$,
                  'a certificate held until 2026-08-01 is renewed from 2026-07-03, 30 days ahead, with the validity of a certificate issued on 2026-08-02');
SELECT results_eq($$SELECT members_total, certificates FROM issuance_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (1::bigint, 1::bigint)$$,
                  'that day only R04 is decided again (its renewal day came)');
CALL plan_issuance('2026-07-20', commit_chunks => false);
SELECT is((SELECT count(*) FROM issuance_queue WHERE member_key LIKE 'R%'), 3::bigint,
          'a later day plans no renewal again');
-- The insurer decides that an application does not carry into renewals.
SET client_min_messages = warning;
SELECT lives_ok($$SELECT record_legal_parameter('certificate_request_renews', 'late_elderly', '[2024-12-02,)', 'false',
                    (SELECT source_id FROM legal_source WHERE code = 'mynahoken-default'), '2026-07-01', false, reason => 'test')$$,
                'an insurer records that applications do not carry into renewals');
DELETE FROM issuance_queue WHERE member_key = 'R03';
CALL plan_issuance('2026-07-20', commit_chunks => false);
SELECT is((SELECT count(*) FROM issuance_queue WHERE member_key = 'R03'), 0::bigint,
          'then a member who applied once is not renewed');

SELECT * FROM finish();
ROLLBACK;
