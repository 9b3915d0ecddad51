-- Boundaries of every date in the legal calendar, for every insurer
-- category: the day before, the day of and the day after.
BEGIN;
SELECT * FROM no_plan();

CREATE TEMP VIEW cats AS
SELECT c, c IN ('municipal_nhi', 'nhi_society', 'retiree_nhi', 'late_elderly') AS from_august
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c;

-- card_transition_end 2025-12-01: a card without expiry is legally valid through it.
SELECT is(mynahoken.legacy_card_valid(c, d, '2020-04-01', NULL, '2020-04-01', NULL), want,
          format('%s: a card without expiry is %s on %s (card_transition_end 2025-12-01)',
                 c, CASE WHEN want THEN 'valid' ELSE 'not valid' END, d))
  FROM cats, (VALUES (date '2025-11-30', true), ('2025-12-01', true), ('2025-12-02', false)) AS v(d, want);

-- The same card stays accepted, by the notice of 2025-11-12, through
-- 2026-03-31; as known from 2026-03-19 (the extension, recorded once for
-- every category) through 2026-07-31, in every category.
SELECT is(mynahoken.legacy_card_accepted(c, d, '2020-04-01', NULL, '2020-04-01', NULL, k),
          d <= CASE WHEN k < '2026-03-19' THEN date '2026-03-31' ELSE '2026-07-31' END,
          format('%s: as known on %s an institution %s accept the card on %s', c, coalesce(k::text, 'now'),
                 CASE WHEN d <= CASE WHEN k < '2026-03-19' THEN date '2026-03-31' ELSE '2026-07-31' END
                      THEN 'may' ELSE 'may not' END, d))
  FROM cats, unnest(ARRAY[date '2025-12-02', '2026-03-30', '2026-03-31', '2026-04-01',
                          '2026-07-30', '2026-07-31', '2026-08-01']) AS d,
       unnest(ARRAY[date '2026-03-18', '2026-03-19', '2026-03-20', NULL]) AS k;
-- A card expired on 2025-07-31, in the extension: 国保 and 後期 from
-- 2025-08-01 (their own rows), every category to 2026-07-31.
SELECT is(mynahoken.legacy_card_accepted(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31', k),
          CASE WHEN d > '2026-07-31' THEN false
               WHEN d > '2026-03-31' THEN k >= '2026-03-19'
               ELSE true END,
          format('%s: a card expired on 2025-07-31, on %s as known on %s', c, d, k))
  FROM cats, unnest(ARRAY[date '2026-03-31', '2026-04-01', '2026-07-31', '2026-08-01']) AS d,
       unnest(ARRAY[date '2026-03-18', '2026-03-19']) AS k;

-- A card expiring on 2025-07-31: accepted from 2025-08-01 for 国保 and 後期, from 2025-12-02 for the others.
SELECT is(mynahoken.legacy_card_accepted(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31'),
          CASE WHEN d <= '2025-07-31' THEN true
               WHEN d < '2025-12-02' THEN from_august ELSE true END,
          format('%s: a card expired on 2025-07-31 is %s on %s', c,
                 CASE WHEN d <= '2025-07-31' OR d >= '2025-12-02' OR from_august THEN 'accepted' ELSE 'refused' END, d))
  FROM cats, unnest(ARRAY[date '2025-07-30', '2025-07-31', '2025-08-01', '2025-08-02',
                          '2025-12-01', '2025-12-02', '2025-12-03']) AS d;
SELECT is(mynahoken.legacy_card_valid(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31'), d <= '2025-07-31',
          format('%s: a card expiring on 2025-07-31 is legally valid on %s: %s', c, d, d <= '2025-07-31'))
  FROM cats, unnest(ARRAY[date '2025-07-30', '2025-07-31', '2025-08-01']) AS d;

-- card_issue_end 2024-12-01: only cards issued by then are covered.
SELECT is(mynahoken.legacy_card_usable_until(c, d, NULL, NULL), want,
          format('%s: a card issued on %s is usable until %s', c, d, coalesce(want::text, 'never')))
  FROM cats, (VALUES (date '2024-11-30', date '2025-12-01'), ('2024-12-01', '2025-12-01'),
                     ('2024-12-02', NULL)) AS v(d, want);

-- certificate_from 2024-12-02: no 資格確認書 before.
SELECT throws_ok(format($$SELECT mynahoken.certificate_need(%L, '2024-12-01', '1950-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, NULL)$$, c),
                 '22023', 'no 資格確認書 exists on the given day',
                 format('%s: no 資格確認書 need can be decided for 2024-12-01', c))
  FROM cats;
SELECT is(mynahoken.certificate_need(c, d, '1950-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, NULL),
          CASE WHEN c = 'late_elderly' THEN 'late_elderly_blanket' ELSE 'no_my_number' END::mynahoken.certificate_reason,
          format('%s: a member without My Number needs a 資格確認書 on %s', c, d))
  FROM cats, unnest(ARRAY[date '2024-12-02', '2024-12-03']) AS d;

-- late_elderly_blanket_until 2026-07-31, then the age rule from 2026-08-01 (UNCONFIRMED).
SELECT is(mynahoken.certificate_need(c, d, '1950-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2029-01-01', NULL),
          CASE WHEN c = 'late_elderly' AND d <= '2026-07-31' THEN 'late_elderly_blanket' ELSE 'not_needed' END::mynahoken.certificate_reason,
          format('%s: a registered member aged 76 on %s', c, d))
  FROM cats, unnest(ARRAY[date '2026-07-30', '2026-07-31', '2026-08-01']) AS d;
SELECT is(mynahoken.certificate_need('late_elderly', '2026-08-01', b, '2020-04-01', NULL, true, '2022-01-01', NULL, '2029-01-01', NULL),
          want::mynahoken.certificate_reason,
          format('late_elderly: born %s, on 2026-08-01: %s', b, want))
  FROM (VALUES (date '1941-07-31', 'late_elderly_age'), ('1941-08-01', 'late_elderly_age'),
               ('1941-08-02', 'not_needed')) AS v(b, want);
SELECT is(mynahoken.certificate_need('late_elderly', '2026-07-31', '1930-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, NULL, NULL, k),
          want::mynahoken.certificate_reason,
          format('late_elderly on 2026-07-31 as known on %s: %s (blanket extended by the notice of 2025-04-03)', k, want))
  FROM (VALUES (date '2025-04-02', 'not_needed'), ('2025-04-03', 'late_elderly_blanket'),
               ('2025-04-04', 'late_elderly_blanket')) AS v(k, want);

SELECT is(mynahoken.certificate_need('late_elderly', '2026-08-01', '1930-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, k),
          want::mynahoken.certificate_reason,
          format('late_elderly aged 96 on 2026-08-01 as known on %s: %s (age rule reported 2026-02-22)', k, want))
  FROM (VALUES (date '2026-02-21', 'not_needed'), ('2026-02-22', 'late_elderly_age'),
               ('2026-02-23', 'late_elderly_age')) AS v(k, want);

-- ecert_grace_months: expiry 2025-05-15 leaves the マイナ保険証 usable through 2025-08-31.
SELECT is(mynahoken.certificate_need(c, d, '1950-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2025-05-15', NULL),
          CASE WHEN c = 'late_elderly' THEN 'late_elderly_blanket'
               WHEN d <= '2025-08-31' THEN 'not_needed' ELSE 'ecert_expired' END::mynahoken.certificate_reason,
          format('%s: e-certificate expired 2025-05-15, on %s', c, d))
  FROM cats, unnest(ARRAY[date '2025-08-30', '2025-08-31', '2025-09-01']) AS d;
SELECT is(mynahoken.myna_usable_until(c, e), want,
          format('%s: e-certificate expiring %s: マイナ保険証 usable until %s', c, e, want))
  FROM cats, (VALUES (date '2025-01-31', date '2025-04-30'), ('2025-02-01', '2025-05-31'),
                     ('2024-11-30', '2025-02-28'), ('2023-11-30', '2024-02-29')) AS v(e, want);

-- ecert_grace_months is known from 厚生労働省告示第349号 (2024-11-29), no longer
-- from 協会けんぽ (2025-07-16), which stays as a second publication.
SELECT is(mynahoken.myna_usable_until(c, '2025-05-15', k), date '2025-08-31',
          format('%s: e-certificate expiring 2025-05-15, as known on %s: usable until 2025-08-31', c, k))
  FROM cats, unnest(ARRAY[date '2024-11-29', '2024-11-30', '2025-07-15', '2025-07-16']) AS k;
SELECT throws_ok(format($$SELECT mynahoken.myna_usable_until(%L, '2025-05-15', '2024-11-28')$$, c), 'P0002',
                 'no value for legal parameter "ecert_grace_months" on the given day',
                 format('%s: as known on 2024-11-28 there is no e-certificate grace yet', c))
  FROM cats;
SELECT is((mynahoken.legal_parameter_at('ecert_grace_months', '2025-05-15', NULL, k)).source_id,
          (SELECT source_id FROM mynahoken.legal_source WHERE code = want),
          format('ecert_grace_months as known on %s cites %s', k, want))
  FROM (VALUES (date '2024-11-29', 'mhlw-kokuji-2024-349'), ('2025-07-15', 'mhlw-kokuji-2024-349'),
               ('2025-07-16', 'kyokai-2025-07-16')) AS v(k, want);

-- smartphone_myna_from 2025-09-19, known from 2025-09-01.
SELECT is(mynahoken.legal_value_date('smartphone_myna_from', d, c, k), date '2025-09-19',
          format('%s: on %s as known on %s the smartphone マイナ保険証 counts from 2025-09-19', c, d, k))
  FROM cats, unnest(ARRAY[date '2025-09-18', '2025-09-19', '2025-09-20']) AS d,
       unnest(ARRAY[date '2025-09-01', '2025-09-02']) AS k;
SELECT throws_ok($$SELECT mynahoken.legal_value_date('smartphone_myna_from', '2025-09-19', NULL, '2025-08-31')$$, 'P0002',
                 'no value for legal parameter "smartphone_myna_from" on the given day',
                 'smartphone_myna_from is not known before 2025-09-01');

-- The 後期 age rule (UNCONFIRMED) gets its second source on 2026-03-06.
SELECT is((SELECT s.code FROM mynahoken.legal_source s
            WHERE s.source_id = (mynahoken.legal_parameter_at(p, '2026-08-01', 'late_elderly', k)).source_id),
          want, format('%s as known on %s cites %s', p, k, want))
  FROM unnest(ARRAY['late_elderly_age_rule_from', 'late_elderly_age_threshold']) AS p,
       (VALUES (date '2026-03-05', 'saitama-kouiki-2026'), ('2026-03-06', 'mitane-2026-03-06'),
               ('2026-03-07', 'mitane-2026-03-06')) AS v(k, want);
SELECT is((mynahoken.legal_parameter_at('late_elderly_age_threshold', '2026-08-01', 'late_elderly')).confirmed, false,
          'late_elderly_age_threshold stays UNCONFIRMED');

-- Offline institutions: お知らせ and PDF from 2024-12-02, portal screen from 2024-02-06.
SELECT is(mynahoken.usable_documents(c, d, '2020-04-01', NULL, NULL, NULL, true, '2021-01-01', NULL, '2029-01-01', NULL, false),
          want::mynahoken.document[],
          format('%s: offline on %s the マイナ保険証 goes with %s', c, d, want))
  FROM cats, (VALUES (date '2024-02-05', '{}'), ('2024-02-06', '{myna_with_portal_screen}'),
                     ('2024-02-07', '{myna_with_portal_screen}'),
                     ('2024-12-01', '{myna_with_portal_screen}'),
                     ('2024-12-02', '{myna_with_notice,myna_with_portal_screen,myna_with_portal_pdf}'),
                     ('2024-12-03', '{myna_with_notice,myna_with_portal_screen,myna_with_portal_pdf}')) AS v(d, want);

-- 資格情報のお知らせ alone: accepted only inside the temporary window, online.
SELECT is(mynahoken.accepted_documents(c, d, '2020-04-01', NULL, NULL, NULL, true, '2021-01-01', NULL, '2025-01-01', NULL),
          CASE WHEN d BETWEEN '2025-12-02' AND '2026-07-31' OR (from_august AND d BETWEEN '2025-08-01' AND '2026-07-31')
               THEN '{notice_alone}' ELSE '{}' END::mynahoken.document[],
          format('%s: e-certificate long expired, お知らせ alone on %s (tied to the same range, UNCONFIRMED past 2026-03-31)', c, d))
  FROM cats, unnest(ARRAY[date '2025-07-31', '2025-08-01', '2025-12-01', '2025-12-02', '2026-03-31', '2026-04-01',
                          '2026-07-31', '2026-08-01']) AS d;

-- Eligibility: acquired_on is the first day, lost_on the first day without.
SELECT is(mynahoken.certificate_need(c, d, '1950-01-01', '2025-03-01', '2025-06-01', false, NULL, NULL, NULL, NULL),
          CASE WHEN d < '2025-03-01' OR d >= '2025-06-01' THEN 'not_eligible'
               WHEN c = 'late_elderly' THEN 'late_elderly_blanket' ELSE 'no_my_number' END::mynahoken.certificate_reason,
          format('%s: acquired 2025-03-01, lost 2025-06-01, on %s', c, d))
  FROM cats, unnest(ARRAY[date '2025-02-28', '2025-03-01', '2025-05-31', '2025-06-01']) AS d;

-- As known on, around the notices of 2025-06-27 (国保), 2025-08-04 (後期) and 2025-11-12 (all).
SELECT is(mynahoken.legacy_card_accepted(c, d, '2020-04-01', NULL, '2024-08-01', '2025-07-31', k),
          d >= '2025-08-01' AND (c IN ('municipal_nhi', 'nhi_society', 'retiree_nhi') AND k >= '2025-06-27'
                                 OR c = 'late_elderly' AND k >= '2025-08-04') OR d <= '2025-07-31',
          format('%s: card expired 2025-07-31, on %s as known on %s', c, d, k))
  FROM cats, unnest(ARRAY[date '2025-07-31', '2025-08-01', '2025-08-02']) AS d,
       unnest(ARRAY[date '2025-06-26', '2025-06-27', '2025-06-28', '2025-08-03', '2025-08-04', '2025-08-05']) AS k;
SELECT is((mynahoken.legal_parameter_at('expired_card_acceptance', '2025-08-01', 'late_elderly')).source_id,
          (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mhlw-2025-08-04'),
          'late_elderly: the acceptance from 2025-08-01 cites the MHLW 事務連絡 of 2025-08-04');
SELECT is((mynahoken.legal_parameter_at('expired_card_acceptance', '2026-05-01', c)).source_id,
          (SELECT source_id FROM mynahoken.legal_source WHERE code = 'press-2026-03-19'),
          format('%s: the acceptance on 2026-05-01 cites the extension of 2026-03-19', c))
  FROM cats;
SELECT is(mynahoken.legacy_card_accepted(c, '2025-12-02', '2020-04-01', NULL, '2020-04-01', NULL, k),
          k >= '2025-11-12' OR from_august,
          format('%s: card on 2025-12-02 as known on %s', c, k))
  FROM cats, unnest(ARRAY[date '2025-11-11', '2025-11-12', '2025-11-13']) AS k;
SELECT is(mynahoken.legacy_card_accepted(c, '2025-12-02', '2020-04-01', NULL, '2020-04-01', NULL),
          mynahoken.legacy_card_accepted(c, '2025-12-02', '2020-04-01', NULL, '2020-04-01', NULL, current_date),
          format('%s: as currently known equals as known today', c))
  FROM cats;

-- 資格情報のお知らせ rounds of 協会けんぽ and on acquisition.
SELECT is(mynahoken.notice_sending_window('kyokai_kenpo', a), want::daterange,
          format('kyokai_kenpo: acquired %s, お知らせ sent %s', a, want))
  FROM (VALUES (date '2024-06-09', '[2024-09-09,2024-09-30]'), ('2024-06-10', '[2025-01-22,2025-02-03]'),
               ('2024-06-11', '[2025-01-22,2025-02-03]'), ('2024-11-28', '[2025-01-22,2025-02-03]'),
               ('2024-11-29', '[2025-01-22,2025-02-03]'), ('2024-12-02', '[2024-12-02,2024-12-16]'),
               ('2024-12-03', '[2024-12-03,2024-12-17]')) AS v(a, want);
SELECT throws_ok($$SELECT mynahoken.notice_sending_window('kyokai_kenpo', '2024-11-30')$$, 'P0002',
                 'no 資格情報のお知らせ sending window for the member''s 資格取得日',
                 'kyokai_kenpo: no お知らせ window for an acquisition between the rounds and 2024-12-02');

-- 資格取得届: the counting rule is a parameter (UNCONFIRMED); both settings differ by one day.
SELECT is(mynahoken.acquisition_report_due(c, '2025-04-01') - date '2025-04-01',
          mynahoken.legal_value_int('acquisition_report_days', '2025-04-01', c),
          format('%s: 資格取得届 due acquisition_report_days after the acquisition, first day not counted', c))
  FROM cats;
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('acquisition_report_first_day_counts', NULL, '(,)', 'true',
                    (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), current_date)$$,
                'the counting rule can be changed by recording a new value');
SELECT is(mynahoken.acquisition_report_due('kyokai_kenpo', '2025-04-01'), date '2025-04-05',
          'with the first day counted the 資格取得届 is due one day earlier');
SELECT is(mynahoken.acquisition_report_due('kyokai_kenpo', '2025-04-01', current_date - 1), date '2025-04-06',
          'as known yesterday, the first day was not counted');

-- 資格確認書 validity around the renewal day and the legal maximum.
SELECT is(mynahoken.certificate_valid_until(c, d), want,
          format('%s: 資格確認書 issued %s valid until %s', c, d, want))
  FROM (SELECT c FROM cats WHERE c <> 'kyokai_kenpo') AS cc,
       (VALUES (date '2025-06-30', date '2025-07-31'), ('2025-07-01', '2026-07-31'),
               ('2025-07-31', '2026-07-31'), ('2025-08-01', '2026-07-31')) AS v(d, want);
SELECT is(mynahoken.certificate_valid_until('kyokai_kenpo', d), want,
          format('kyokai_kenpo: 資格確認書 issued %s valid until %s (4 to 5 years)', d, want))
  FROM (VALUES (date '2024-12-02', date '2029-11-30'), ('2025-11-30', date '2029-11-30'),
               ('2025-12-01', '2030-11-30'), ('2025-12-02', '2030-11-30')) AS v(d, want);
SELECT ok(mynahoken.certificate_valid_until(c, d) < (d + interval '60 months')::date,
          format('%s: 資格確認書 issued %s stays within the legal maximum of 60 months', c, d))
  FROM cats, generate_series(date '2024-12-02', '2026-12-31', interval '37 days') AS g(dd), LATERAL (SELECT dd::date AS d) x;

-- Rejections: contradictory facts, infinite days, missing or mistyped parameters.
SELECT throws_ok($$SELECT mynahoken.accepted_documents('kyokai_kenpo', '2026-01-15', '2020-04-01', '2019-04-01', NULL, NULL, true, NULL, NULL, NULL, NULL)$$,
                 '22023', 'eligibility lost before it was acquired', 'lost before acquired is refused');
SELECT throws_ok($$SELECT mynahoken.legacy_card_usable_until('municipal_nhi', '2024-08-01', '2024-07-31', NULL)$$,
                 '22023', 'health insurance card expires before it was issued', 'a card expiring before its issue is refused');
SELECT throws_ok($$SELECT mynahoken.certificate_need('kyokai_kenpo', '2026-01-15', '2021-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, NULL)$$,
                 '22023', 'eligibility acquired before birth', 'acquisition before birth is refused');
SELECT throws_ok($$SELECT mynahoken.legacy_card_valid('kyokai_kenpo', 'infinity', '2020-04-01', NULL, NULL, NULL)$$,
                 '22008', 'day must be a finite date', 'an infinite decision day is refused');
SELECT throws_ok($$SELECT mynahoken.myna_usable_until('kyokai_kenpo', '2025-05-15', '2024-11-28')$$,
                 'P0002', 'no value for legal parameter "ecert_grace_months" on the given day',
                 'a parameter not yet known on the knowledge day is an error naming it');
SELECT throws_ok($$SELECT mynahoken.legal_value_int('certificate_max_months', '2024-12-01')$$,
                 'P0002', 'no value for legal parameter "certificate_max_months" on the given day',
                 'a day outside every valid range is an error naming the parameter and the day');
SELECT throws_ok($$SELECT mynahoken.legal_value_int('no_such_parameter', '2025-01-01')$$,
                 '42704', 'unknown legal parameter', 'an unknown parameter is refused');
SELECT throws_ok($$SELECT mynahoken.legal_value_int('card_issue_end', '2025-01-01')$$,
                 '42804', 'legal parameter "card_issue_end" is of type date, not int', 'a parameter read as the wrong type is refused');
SELECT throws_ok($$INSERT INTO mynahoken.legal_parameter_entry (name, value_type, valid, recorded_on, value_date, source_id)
                   VALUES ('card_issue_end', 'date', '[2025-01-01,)', '2023-12-27', '2024-11-30',
                           (SELECT min(source_id) FROM mynahoken.legal_source))$$,
                 '23P01', NULL, 'overlapping values of one parameter recorded on one day are refused by the exclusion constraint');
SELECT lives_ok($$INSERT INTO mynahoken.legal_parameter_entry (name, value_type, scope, valid, recorded_on, value_date, source_id)
                   VALUES ('card_issue_end', 'date', 'seamen', '[2025-01-01,)', '2023-12-27', '2024-11-30',
                           (SELECT min(source_id) FROM mynahoken.legal_source))$$,
                'a value for another scope does not overlap');
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('card_issue_end', 'seamen', '[2025-06-01,2025-07-01)', '2024-11-29',
                    (SELECT min(source_id) FROM mynahoken.legal_source), '2023-12-27', reason => 'test: a late entry')$$,
                 '23P01', 'legal parameter "card_issue_end" already has a value recorded on 2023-12-27 for some of these days',
                 'a second value for the same days on the same knowledge day is refused');
SELECT throws_ok($$UPDATE mynahoken.legal_parameter_entry SET confirmed = false WHERE shipped$$,
                 '23000', 'values of legal parameters are never updated', 'values of legal parameters are append-only');
SELECT throws_ok($$DELETE FROM mynahoken.legal_source WHERE code = 'law-r5-48'$$,
                 '23000', 'shipped rows of mynahoken.legal_source cannot be changed or deleted',
                 'a shipped source cannot be deleted (the dump would not bring it back)');
SELECT throws_ok($$UPDATE mynahoken.legal_parameter_def SET unit = 'x' WHERE name = 'card_issue_end'$$,
                 '23000', 'shipped rows of mynahoken.legal_parameter_def cannot be changed or deleted',
                 'a shipped parameter definition cannot be changed (the dump would not keep it)');

-- Supersession is derived: after many overlapping records on different days,
-- the bitemporal view holds at most one value per parameter, scope, decision
-- day and knowledge day, and reading as known on a day gives the latest value
-- recorded by then for that decision day.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('notice_on_acquisition_days', 'health_society',
                    daterange(date '2026-01-01' + lo, date '2026-01-01' + lo + len), (10 + i)::text,
                    (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'),
                    date '2026-03-01' + i, reason => 'test: entries of past days')
                    FROM (SELECT i, (i * 37) % 200 AS lo, 1 + (i * 53) % 90 AS len
                            FROM generate_series(1, 40) AS i) AS g ORDER BY i$$,
                'forty overlapping values of one parameter are recorded on forty days');
SELECT is((SELECT count(*) FROM mynahoken.legal_parameter a JOIN mynahoken.legal_parameter b
             ON a.name = b.name AND a.scope IS NOT DISTINCT FROM b.scope
            AND (a.parameter_id, lower(a.valid), lower(a.recorded)) < (b.parameter_id, lower(b.valid), lower(b.recorded))
            AND a.valid && b.valid AND a.recorded && b.recorded), 0::bigint,
          'the derived calendar never holds two values for one decision day and knowledge day');
SELECT is((SELECT count(*) FROM generate_series(date '2026-01-01', '2026-10-01', interval '7 days') AS d,
                                generate_series(date '2026-02-28', '2026-04-12', interval '3 days') AS k
            WHERE mynahoken.legal_value_int('notice_on_acquisition_days', d::date, 'health_society', k::date)
                  IS DISTINCT FROM
                  coalesce((SELECT e.value_int FROM mynahoken.legal_parameter_entry e
                             WHERE e.name = 'notice_on_acquisition_days' AND e.scope = 'health_society'
                               AND e.valid @> d::date AND e.recorded_on <= k::date
                             ORDER BY e.recorded_on DESC LIMIT 1), 14)), 0::bigint,
          'as known on a day, a decision day takes the latest value recorded by then that covers it');
SELECT is((SELECT count(*) FROM generate_series(date '2026-01-01', '2026-10-01', interval '5 days') AS d,
                                (SELECT NULL::date UNION ALL
                                 SELECT g::date FROM generate_series(date '2026-02-28', '2026-04-12', interval '2 days') AS g) AS kk (k),
                                LATERAL (SELECT (mynahoken.legal_parameter_at('notice_on_acquisition_days', d::date,
                                                                              'health_society', k)).*) AS a
            WHERE a.scope = 'health_society'
              AND NOT EXISTS (SELECT FROM mynahoken.legal_parameter p
                               WHERE p.parameter_id = a.parameter_id AND p.valid = a.valid AND p.recorded = a.recorded
                                 AND p.valid @> d::date
                                 AND CASE WHEN k IS NULL THEN upper_inf(p.recorded) ELSE p.recorded @> k END)), 0::bigint,
          'legal_parameter_at gives the row of the bitemporal view, with its part and recorded range');

SELECT * FROM finish();
ROLLBACK;
