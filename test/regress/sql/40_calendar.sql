-- Legal calendar and transition decisions (doc/decisions.md).
SET datestyle = 'ISO, YMD';
\set SHOW_CONTEXT never

--
-- The calendar as shipped: every parameter, its scope, value, valid and
-- recorded time, and the code of its source.
--
SELECT name, coalesce(scope::text, 'all') AS scope, value, valid_iso AS valid,
       recorded_iso AS recorded, source_code, confirmed
  FROM mynahoken.legal_calendar
 ORDER BY name, scope NULLS FIRST, recorded;

-- Every parameter value cites a source; every source has a kind and an issuer.
SELECT count(*) AS values_without_source
  FROM mynahoken.legal_parameter p LEFT JOIN mynahoken.legal_source s USING (source_id)
 WHERE s.source_id IS NULL;
SELECT kind, count(*) FROM mynahoken.legal_source GROUP BY kind ORDER BY kind;

--
-- Reading values: on a day, for a category, as known on a day.
--
-- The temporary acceptance of expired cards for 国保, as known now and
-- before and after the notice of 2025-06-27.
SELECT mynahoken.daterange_iso(mynahoken.legal_value_range('expired_card_acceptance', '2025-09-01', 'municipal_nhi')) AS now,
       mynahoken.daterange_iso(mynahoken.legal_value_range('expired_card_acceptance', '2025-09-01', 'municipal_nhi', '2025-06-26')) AS on_0626,
       mynahoken.daterange_iso(mynahoken.legal_value_range('expired_card_acceptance', '2025-09-01', 'municipal_nhi', '2025-06-27')) AS on_0627;
-- 協会けんぽ: none until the notice of 2025-11-12, then from 2025-12-02.
SELECT mynahoken.daterange_iso(mynahoken.legal_value_range('expired_card_acceptance', '2025-12-15', 'kyokai_kenpo', '2025-11-11')) AS on_1111,
       mynahoken.daterange_iso(mynahoken.legal_value_range('expired_card_acceptance', '2025-12-15', 'kyokai_kenpo', '2025-11-12')) AS on_1112;
-- 後期 blanket 資格確認書: until 2025-07-31 as known in 2024, 2026-07-31 from 2025-04-03.
SELECT mynahoken.legal_value_date('late_elderly_blanket_until', '2025-06-01', 'late_elderly', '2025-04-02') AS on_0402,
       mynahoken.legal_value_date('late_elderly_blanket_until', '2025-06-01', 'late_elderly', '2025-04-03') AS on_0403;
-- A category's own value wins over the all-categories one.
SELECT mynahoken.legal_value_int('certificate_term_months', '2025-01-01', 'kyokai_kenpo') AS kyokai,
       mynahoken.legal_value_int('certificate_term_months', '2025-01-01', 'municipal_nhi') AS nhi,
       mynahoken.legal_value_int('certificate_term_months', '2025-01-01') AS all_categories;
SELECT mynahoken.legal_value_int('acquisition_report_days', '2025-01-01'),
       mynahoken.legal_value_bool('acquisition_report_first_day_counts', '2025-01-01');

-- A missing value is an error naming the parameter and the day (P0002).
SELECT mynahoken.legal_value_int('certificate_max_months', '2024-12-01');
SELECT mynahoken.legal_value_int('certificate_max_months', '2025-01-01', NULL, '2025-03-12');
SELECT mynahoken.legal_value_date('late_elderly_blanket_until', '2025-01-01', 'kyokai_kenpo');
-- An unknown parameter, a wrong type, a NULL day.
SELECT mynahoken.legal_value_int('no_such_parameter', '2025-01-01');
SELECT mynahoken.legal_value_int('card_issue_end', '2025-01-01');
SELECT mynahoken.legal_value_int('card_issue_end', NULL);

--
-- Recording a later notice supersedes, never overwrites.
--
BEGIN;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2026-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'),
         '2026-01-10', false, 'Example: from 2026-04 one year, renewed each 8/1', reason => 'example: recorded late') > 0 AS recorded;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2026-10-01,)', '24',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'),
         '2026-02-01', reason => 'example: recorded late') > 0 AS recorded;
SELECT value, valid_iso AS valid, recorded_iso AS recorded
  FROM mynahoken.legal_calendar
 WHERE name = 'certificate_term_months' AND scope = 'municipal_nhi'
 ORDER BY recorded, valid;
-- as known on 2026-01-20, and now, for a day in 2026-11
SELECT mynahoken.legal_value_int('certificate_term_months', '2026-11-01', 'municipal_nhi', '2026-01-20') AS on_0120,
       mynahoken.legal_value_int('certificate_term_months', '2026-11-01', 'municipal_nhi') AS now,
       mynahoken.legal_value_int('certificate_term_months', '2026-05-01', 'municipal_nhi') AS may_now;
-- The stored rows are append-only: each holds the day it was recorded, and
-- the first value is superseded only on the days the later ones cover.
SELECT e.value_int AS value, mynahoken.daterange_iso(e.valid) AS valid, e.recorded_on, e.shipped
  FROM mynahoken.legal_parameter_entry e
 WHERE name = 'certificate_term_months' AND scope = 'municipal_nhi'
 ORDER BY recorded_on;
-- a value recorded before one already known is refused
SAVEPOINT errors;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2026-04-01,)', '6',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-01-01', reason => 'example: recorded late');
ROLLBACK TO errors;
-- so is a second value for the same days on the same knowledge day
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2026-12-01,2027-01-01)', '6',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-02-01', reason => 'example: recorded late');
ROLLBACK;

-- No silent masking: a value for every category recorded later than a
-- category's own is in force for it too; the NOTICE and
-- legal_entry_relations name the entries it supersedes and masks, and those
-- that still mask it (協会けんぽ keeps its own term).
BEGIN;
SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2027-04-01,)', '24',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-11-01', reason => 'example: a national value entered late') > 0 AS recorded;
SELECT r.parameter_id, coalesce(r.scope::text, 'all') AS scope, r.recorded_on, mynahoken.daterange_iso(r.days) AS days, r.relation
  FROM mynahoken.legal_entry_relations((SELECT max(parameter_id) FROM mynahoken.legal_parameter_entry)) AS r;
SELECT c, mynahoken.legal_value_int('certificate_term_months', '2027-05-01', c) AS term
  FROM unnest(ARRAY['kyokai_kenpo', 'municipal_nhi']::mynahoken.insurer_category[]) AS c;
-- keep_own is for the value of one category
SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2028-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-11-02', keep_own => true);
ROLLBACK;

-- Change sets and system time.  A knowledge day long before the recording
-- day needs a reason; a later one is refused; a change set is a non-empty
-- JSON array of entries naming known sources.
BEGIN;
\set VERBOSITY terse
SAVEPOINT errors;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2027-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-01-10');
ROLLBACK TO errors;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2027-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), current_date + 2);
ROLLBACK TO errors;
SELECT mynahoken.record_legal_change_set(current_date, '{}');
ROLLBACK TO errors;
SELECT mynahoken.record_legal_change_set(current_date, '[{"name": "certificate_term_months", "valid": "[2027-04-01,)", "value": "12", "source": "no-such-source"}]');
ROLLBACK TO errors;
-- a value of the wrong type in an entry, or an unknown source id: the message
-- names the entry, never the value (PostgreSQL's own messages would quote it)
SELECT mynahoken.record_legal_change_set(current_date, '[{"name": "certificate_term_months", "valid": "[2027-04-01,)", "value": "12", "source": "mynahoken-default"}, {"name": "certificate_term_months", "valid": "not a range", "value": "12", "source": "mynahoken-default"}]');
ROLLBACK TO errors;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2027-04-01,)', '12', 999999, current_date);
ROLLBACK TO errors;
-- an insurer outside the scope; a reader for an insurer without one
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'kyokai_kenpo', '[2027-04-01,)', '12',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), current_date, insurer => '138016');
ROLLBACK TO errors;
SELECT mynahoken.legal_entry_for_insurer('certificate_term_months', '2027-05-01', NULL);
ROLLBACK TO errors;
SELECT mynahoken.legal_entry_for_insurer('certificate_term_months', '2024-01-01', '138016', '2024-06-01');
ROLLBACK TO errors;
\set VERBOSITY default
SELECT mynahoken.record_legal_change_set('2026-01-10', '[{"name": "certificate_term_months", "scope": "municipal_nhi", "valid": "[2027-04-01,)", "value": "24", "source": "mynahoken-default"},
                                                      {"name": "certificate_renewal_month", "scope": "municipal_nhi", "valid": "[2027-04-01,)", "value": "4", "source": "mynahoken-default"}]',
                                         reason => 'Example: the city decision of 2026-01-10, entered late') >= 1000000 AS change_set;
SELECT recorded_by = session_user AS by_me, recorded_on, days_back > 31 AS long_ago, backdated, reason, cardinality(entries) AS entries
  FROM mynahoken.legal_change_sets;
ROLLBACK;

-- A partial supersession of a shipped value: the 国保 acceptance is extended
-- to 2026-09-30 for decision days from 2026-04-01, as known from 2026-03-20.
-- The shipped row stays as it is; the calendar shows it superseded on those
-- days only.
BEGIN;
SELECT mynahoken.record_legal_parameter('expired_card_acceptance', 'municipal_nhi', '[2026-04-01,)',
         '[2025-08-01,2026-09-30]', (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mhlw-2025-06-27'),
         '2026-03-20', reason => 'example: recorded late') >= 1000000 AS insurer_id;
SELECT value, valid_iso AS valid, recorded_iso AS recorded, parameter_id < 1000000 AS shipped_row
  FROM mynahoken.legal_calendar
 WHERE name = 'expired_card_acceptance' AND scope = 'municipal_nhi'
 ORDER BY recorded, valid;
SELECT d::date AS day,
       mynahoken.legacy_card_accepted('municipal_nhi', d::date, '2020-04-01', NULL, '2024-08-01', '2025-07-31', '2026-03-19') AS known_0319,
       mynahoken.legacy_card_accepted('municipal_nhi', d::date, '2020-04-01', NULL, '2024-08-01', '2025-07-31') AS now
  FROM unnest(ARRAY['2026-03-31', '2026-04-01', '2026-09-30', '2026-10-01']) AS d;
ROLLBACK;

-- Overlapping values of one parameter and scope recorded on one day are
-- impossible by constraint; a later day supersedes.
\set VERBOSITY terse
INSERT INTO mynahoken.legal_parameter_entry (name, value_type, scope, valid, recorded_on, value_date, source_id)
VALUES ('card_issue_end', 'date', NULL, '[2025-01-01,)', '2023-12-27', '2024-11-30',
        (SELECT source_id FROM mynahoken.legal_source WHERE code = 'law-r5-48'));
BEGIN;
INSERT INTO mynahoken.legal_parameter_entry (name, value_type, scope, valid, recorded_on, value_date, source_id)
VALUES ('card_issue_end', 'date', NULL, '[2025-01-01,)', '2023-12-28', '2024-11-30',
        (SELECT source_id FROM mynahoken.legal_source WHERE code = 'law-r5-48'));
ROLLBACK;
-- A value needs a source, and a value of its declared type.
INSERT INTO mynahoken.legal_parameter_entry (name, value_type, scope, valid, recorded_on, value_date)
VALUES ('card_issue_end', 'date', 'seamen', '(,)', '2025-01-01', '2024-11-30');
INSERT INTO mynahoken.legal_parameter_entry (name, value_type, scope, valid, recorded_on, value_int, source_id)
VALUES ('card_issue_end', 'date', 'seamen', '(,)', '2025-01-01', 5,
        (SELECT source_id FROM mynahoken.legal_source WHERE code = 'law-r5-48'));
-- Ids below 1000000 are the shipped rows'.
INSERT INTO mynahoken.legal_parameter_entry (parameter_id, name, value_type, scope, valid, recorded_on, value_date, source_id)
VALUES (500, 'card_issue_end', 'date', 'seamen', '(,)', '2025-01-01', '2024-11-30',
        (SELECT source_id FROM mynahoken.legal_source WHERE code = 'law-r5-48'));
\set VERBOSITY default

--
-- Backups: only the insurer's own rows are dumped (CREATE EXTENSION seeds the
-- shipped ones at restore), so shipped rows are read-only and values are
-- never updated.  test/scripts/40_calendar_dump.sh dumps and restores.
--
SELECT c.relname, coalesce(nullif(x.cond, ''), '(all rows)') AS dumped
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x (oid, cond)
  JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'mynahoken' AND c.relname LIKE 'legal\_%' ORDER BY 1;
SELECT (SELECT bool_and(shipped) FROM mynahoken.legal_source) AS sources_shipped,
       (SELECT bool_and(shipped) FROM mynahoken.legal_parameter_def) AS defs_shipped,
       (SELECT bool_and(shipped) FROM mynahoken.legal_parameter_entry) AS values_shipped;
UPDATE mynahoken.legal_parameter_entry SET note = 'x' WHERE name = 'card_issue_end';
DELETE FROM mynahoken.legal_parameter_entry WHERE name = 'card_issue_end';
UPDATE mynahoken.legal_source SET url = NULL WHERE code = 'law-r5-48';
DELETE FROM mynahoken.legal_parameter_def WHERE name = 'card_issue_end';
-- The insurer's own sources can be corrected.
BEGIN;
INSERT INTO mynahoken.legal_source (code, kind, title, issuer)
VALUES ('city-2026-01', 'insurer_decision', 'Decision of the mayor', 'City') RETURNING source_id >= 1000000 AS insurer_id, shipped;
UPDATE mynahoken.legal_source SET issued_on = '2026-01-05' WHERE code = 'city-2026-01';
ROLLBACK;

--
-- 健康保険証: legal validity, temporary acceptance, last valid day.
--
-- An employee-insurance card (no expiry) runs to 2025-12-01; a 国保 card to
-- its own expiry 2025-07-31; loss of eligibility ends it the day before.
SELECT mynahoken.legacy_card_usable_until('kyokai_kenpo', '2020-04-01', NULL, NULL) AS kyokai,
       mynahoken.legacy_card_usable_until('municipal_nhi', '2024-08-01', '2025-07-31', NULL) AS nhi,
       mynahoken.legacy_card_usable_until('kyokai_kenpo', '2020-04-01', NULL, '2025-03-21') AS lost,
       mynahoken.legacy_card_usable_until('kyokai_kenpo', '2024-12-05', NULL, NULL) AS issued_after_end,
       mynahoken.legacy_card_usable_until('kyokai_kenpo', NULL, NULL, NULL) AS no_card;
-- Around 2025-12-01 for 協会けんぽ: valid, then accepted under the notice of 2025-11-12.
SELECT d::date AS day,
       mynahoken.legacy_card_valid('kyokai_kenpo', d::date, '2020-04-01', NULL, '2020-04-01', NULL) AS valid,
       mynahoken.legacy_card_accepted('kyokai_kenpo', d::date, '2020-04-01', NULL, '2020-04-01', NULL) AS accepted
  FROM unnest(ARRAY['2025-12-01', '2025-12-02', '2026-03-31', '2026-04-01']) AS d;
-- A 国保 card that expired on 2025-07-31, as known before and after 2025-06-27.
SELECT mynahoken.legacy_card_accepted('municipal_nhi', '2025-08-01', '2020-04-01', NULL, '2024-08-01', '2025-07-31', '2025-06-26') AS before_notice,
       mynahoken.legacy_card_accepted('municipal_nhi', '2025-08-01', '2020-04-01', NULL, '2024-08-01', '2025-07-31', '2025-06-27') AS after_notice;
-- Not eligible any more: neither valid nor accepted.
SELECT mynahoken.legacy_card_valid('kyokai_kenpo', '2025-06-01', '2020-04-01', '2025-04-01', '2020-04-01', NULL) AS valid,
       mynahoken.legacy_card_accepted('kyokai_kenpo', '2025-12-15', '2020-04-01', '2025-04-01', '2020-04-01', NULL) AS accepted;
-- Contradictory facts are errors.
SELECT mynahoken.legacy_card_valid('kyokai_kenpo', '2025-06-01', '2020-04-01', '2019-04-01', '2020-04-01', NULL);
SELECT mynahoken.legacy_card_valid('municipal_nhi', '2025-06-01', '2020-04-01', NULL, '2024-08-01', '2024-07-31');
SELECT mynahoken.legacy_card_valid('kyokai_kenpo', 'infinity', '2020-04-01', NULL, '2020-04-01', NULL);
-- member_facts_conflict names the contradiction, so bulk queries can leave such rows out.
SELECT mynahoken.member_facts_conflict('1980-01-01', '2020-04-01', '2019-04-01', NULL, NULL) AS lost,
       mynahoken.member_facts_conflict('1980-01-01', '2020-04-01', NULL, '2024-08-01', '2024-07-31') AS card,
       mynahoken.member_facts_conflict('2021-01-01', '2020-04-01', NULL, NULL, NULL) AS birth,
       mynahoken.member_facts_conflict('1980-01-01', '2020-04-01', '2020-04-01', '2020-04-01', '2020-04-01') AS none;
-- NULL category, day or acquisition day gives NULL.
SELECT mynahoken.legacy_card_valid(NULL, '2025-06-01', '2020-04-01', NULL, '2020-04-01', NULL) IS NULL AS null_category;

--
-- マイナ保険証 grace period after the e-certificate expires.
--
SELECT mynahoken.myna_usable_until('kyokai_kenpo', '2025-05-15') AS may_15,
       mynahoken.myna_usable_until('kyokai_kenpo', '2025-11-30') AS nov_30,
       mynahoken.myna_usable_until('kyokai_kenpo', '2025-12-01') AS dec_01;
SELECT mynahoken.myna_usable_until('kyokai_kenpo', '2025-05-15', '2024-11-28');

--
-- Documents a member can use, and those an institution may accept.
--
-- Registered マイナ保険証 and a 協会けんぽ card, before the end of the 経過措置.
SELECT mynahoken.usable_documents('kyokai_kenpo', '2025-06-01', '2020-04-01', NULL, '2020-04-01', NULL,
                                  true, '2022-01-01', NULL, '2027-01-01', NULL) AS online,
       mynahoken.usable_documents('kyokai_kenpo', '2025-06-01', '2020-04-01', NULL, '2020-04-01', NULL,
                                  true, '2022-01-01', NULL, '2027-01-01', NULL, false) AS offline;
-- The same member after 2025-12-01: the card is only accepted, under the notice.
SELECT mynahoken.usable_documents('kyokai_kenpo', '2026-01-15', '2020-04-01', NULL, '2020-04-01', NULL,
                                  true, '2022-01-01', NULL, '2027-01-01', NULL) AS usable,
       mynahoken.accepted_documents('kyokai_kenpo', '2026-01-15', '2020-04-01', NULL, '2020-04-01', NULL,
                                    true, '2022-01-01', NULL, '2027-01-01', NULL) AS accepted,
       mynahoken.accepted_documents('kyokai_kenpo', '2026-01-15', '2020-04-01', NULL, '2020-04-01', NULL,
                                    true, '2022-01-01', NULL, '2027-01-01', NULL, false) AS accepted_offline;
-- No My Number linked, holding a 資格確認書; e-certificate expired past its grace period.
SELECT mynahoken.usable_documents('kyokai_kenpo', '2026-04-01', '2020-04-01', NULL, '2020-04-01', NULL,
                                  false, NULL, NULL, NULL, '2029-11-30') AS no_my_number,
       mynahoken.usable_documents('kyokai_kenpo', '2025-09-01', '2020-04-01', NULL, NULL, NULL,
                                  true, '2022-01-01', NULL, '2025-05-15', NULL) AS ecert_expired;
-- Not eligible on the day: nothing.
SELECT mynahoken.accepted_documents('kyokai_kenpo', '2026-01-15', '2020-04-01', '2025-10-01', '2020-04-01', NULL,
                                    true, '2022-01-01', NULL, '2027-01-01', NULL) AS lost;

--
-- Who needs a 資格確認書, and why.
--
SELECT reason, mynahoken.certificate_needed(reason) AS needed FROM (VALUES
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, NULL)),
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, NULL, NULL, '2027-01-01', NULL)),
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, '2022-01-01', '2025-05-01', '2027-01-01', NULL)),
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2025-09-30', NULL)),
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2027-01-01', '2025-12-20')),
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL)),
  (mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '1980-01-01', '2020-04-01', '2025-04-01', true, '2022-01-01', NULL, '2027-01-01', NULL)),
  (mynahoken.certificate_need('late_elderly', '2026-07-31', '1950-01-01', '2025-01-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL)),
  (mynahoken.certificate_need('late_elderly', '2026-08-01', '1941-08-01', '2016-08-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL)),
  (mynahoken.certificate_need('late_elderly', '2026-08-01', '1941-08-02', '2016-08-02', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL))
) AS v(reason);
-- Before 2024-12-02 there was no 資格確認書.
SELECT mynahoken.certificate_need('kyokai_kenpo', '2024-12-01', '1980-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, NULL);
-- The 後期 age rule needs the birth date; as known before 2026-02-22 there was no age rule.
SELECT mynahoken.certificate_need('late_elderly', '2026-08-01', NULL, '2016-08-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL);
SELECT mynahoken.certificate_need('late_elderly', '2026-08-01', '1941-08-01', '2016-08-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL, '2026-01-31');
SELECT mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '2021-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, NULL);

--
-- Validity of a 資格確認書 issued on a day.
--
SELECT mynahoken.certificate_valid_until('municipal_nhi', '2025-08-01') AS nhi_aug,
       mynahoken.certificate_valid_until('municipal_nhi', '2025-07-31') AS nhi_jul31,
       mynahoken.certificate_valid_until('municipal_nhi', '2025-06-30') AS nhi_jun30,
       mynahoken.certificate_valid_until('late_elderly', '2025-10-15') AS late_oct,
       mynahoken.certificate_valid_until('kyokai_kenpo', '2025-08-01') AS kyokai_aug,
       mynahoken.certificate_valid_until('kyokai_kenpo', '2025-12-01') AS kyokai_dec;
SELECT mynahoken.certificate_valid_until('kyokai_kenpo', '2024-12-01');
-- An insurer term above the legal maximum is refused.
BEGIN;
SELECT mynahoken.record_legal_parameter('certificate_term_months', 'seamen', '[2024-12-02,)', '72',
         (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), '2026-01-01', reason => 'example: recorded late') > 0 AS recorded;
SELECT mynahoken.certificate_valid_until('seamen', '2026-02-01');
ROLLBACK;

--
-- Deadlines: 資格取得届, 資格情報のお知らせ.
--
SELECT mynahoken.acquisition_report_due('kyokai_kenpo', '2025-04-01') AS due;
SELECT mynahoken.notice_sending_window('kyokai_kenpo', '2020-04-01') AS round1,
       mynahoken.notice_sending_window('kyokai_kenpo', '2024-06-10') AS round2,
       mynahoken.notice_sending_window('municipal_nhi', '2025-04-01') AS on_acquisition;
SELECT mynahoken.notice_sending_window('kyokai_kenpo', '2024-11-30');
SELECT mynahoken.notice_sending_window('municipal_nhi', '2020-04-01');

--
-- Explanations: rule, inputs that mattered, parameters with their sources.
--
SELECT jsonb_pretty(mynahoken.explain_legacy_card('municipal_nhi', '2025-08-15', '2020-04-01', NULL, '2024-08-01', '2025-07-31'));
SELECT e->'result' AS result, jsonb_path_query_array(e, '$.rules[*].rule') AS rules,
       jsonb_path_query_array(e, '$.parameters[*].name') AS parameters
  FROM mynahoken.explain_certificate_need('late_elderly', '2026-08-01', '1941-08-01', '2016-08-01', NULL,
                                          true, '2022-01-01', NULL, '2027-01-01', NULL) AS e;
SELECT e->'result' AS result, e->'inputs' AS inputs,
       jsonb_path_query_array(e, '$.parameters[*].source.code') AS sources
  FROM mynahoken.explain_documents('kyokai_kenpo', '2026-01-15', '2020-04-01', NULL, '2020-04-01', NULL,
                                   true, '2022-01-01', NULL, '2025-05-15', NULL) AS e;
SELECT e->'result' AS result, jsonb_path_query_array(e, '$.rules[*].rule') AS rules
  FROM mynahoken.explain_certificate_valid_until('kyokai_kenpo', '2025-08-01') AS e;
SELECT e->'result' AS result, e->'rules'->0->>'text' AS rule
  FROM mynahoken.explain_acquisition_report_due('kyokai_kenpo', '2025-04-01') AS e;
SELECT e->'result' AS result, e->'knowledge' AS knowledge
  FROM mynahoken.explain_notice_sending_window('kyokai_kenpo', '2024-07-01', '2025-01-01') AS e;

--
-- The same decisions over explicit parameters (IMMUTABLE): transition_rules
-- gives the parameters of a category on a day; NULL where there is no value.
--
SELECT category, day, card_transition_end, mynahoken.daterange_iso(expired_card_acceptance) AS acceptance,
       late_elderly_blanket_until, certificate_term_months, notice_round1_window IS NULL AS no_round1
  FROM mynahoken.transition_rules('late_elderly', '2026-01-15');
SELECT mynahoken.accepted_documents_by_rules(mynahoken.transition_rules('municipal_nhi', '2025-08-15', k),
         '2025-08-15', '2020-04-01', NULL, '2024-08-01', '2025-07-31', true, '2022-01-01', NULL, NULL, NULL) AS accepted,
       k AS known_on
  FROM unnest(ARRAY[date '2025-06-26', date '2025-06-27']) AS k;
SELECT mynahoken.certificate_need_by_rules(mynahoken.transition_rules('late_elderly', '2026-08-01'),
         '2026-08-01', '1941-08-01', '2016-08-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL) AS need,
       mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-08-01'), '2025-08-01') AS valid_until,
       mynahoken.acquisition_report_due_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-04-01'), '2025-04-01') AS due;
-- Rules with a parameter missing: the error names it.
SELECT mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2024-11-01'), '2025-08-01');
-- Rules written by hand, e.g. to ask "what if the acceptance ended on 2026-06-30".
SELECT mynahoken.legacy_card_accepted_by_rules(r, '2026-05-01', '2020-04-01', NULL, '2020-04-01', NULL) AS accepted
  FROM (SELECT (x).category, (x).day, (x).card_issue_end, (x).card_transition_end,
               daterange('2025-12-02', '2026-07-01') AS expired_card_acceptance
          FROM mynahoken.transition_rules('kyokai_kenpo', '2026-05-01') AS x) AS p,
       LATERAL (SELECT ROW(p.category, p.day, p.card_issue_end, p.card_transition_end, p.expired_card_acceptance,
                           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                           NULL, NULL, NULL, NULL, NULL)::mynahoken.transition_rules AS r) AS rr;

--
-- A hostile search_path changes nothing: the calendar functions and the
-- queries the C code runs name pg_catalog's functions and operators.
--
CREATE SCHEMA hostile;
CREATE FUNCTION hostile.lower(daterange) RETURNS date LANGUAGE sql AS $$ SELECT date '1900-01-01' $$;
CREATE FUNCTION hostile.upper(daterange) RETURNS date LANGUAGE sql AS $$ SELECT date '1900-01-01' $$;
CREATE FUNCTION hostile.isempty(daterange) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE FUNCTION hostile.textcat(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE OPERATOR hostile.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.textcat);
CREATE FUNCTION hostile.datelt(date, date) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR hostile.< (LEFTARG = date, RIGHTARG = date, FUNCTION = hostile.datelt);
SET search_path = hostile, pg_catalog;
SELECT mynahoken.legacy_card_accepted('municipal_nhi', '2025-08-01', '2020-04-01', NULL, '2024-08-01', '2025-07-31') AS accepted,
       mynahoken.certificate_valid_until('kyokai_kenpo', '2025-08-01') AS valid_until,
       mynahoken.legal_value_int('certificate_term_months', '2025-01-01', 'kyokai_kenpo') AS term,
       mynahoken.member_facts_conflict('1980-01-01', '2020-04-01', NULL, NULL, NULL) AS conflict,
       mynahoken.legal_parameter_key('card_issue_end', NULL) AS key;
RESET search_path;
DROP SCHEMA hostile CASCADE;
