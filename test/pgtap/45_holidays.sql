-- Holidays, closed days and filing deadlines per category (doc/decisions.md,
-- "Filing deadlines and the days the administration is closed").  The
-- calendar is checked year by year against public datasets by
-- test/scripts/45_holidays.sh; here: the rules at their boundaries.
BEGIN;
SET client_min_messages = warning;
SELECT * FROM no_plan();

CREATE TEMP VIEW cats AS
SELECT c FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c;

-- The rules, the day before, on and after.
SELECT is(mynahoken.is_holiday(d), want, format('%s: %s', d, label))
  FROM (VALUES
    (date '1948-09-22', false, 'before the first 秋分の日'), ('1948-09-23', true, '秋分の日, the first holiday under the law'),
    ('1966-02-11', false, 'no 建国記念の日 before 1967'), ('1967-02-11', true, '建国記念の日 from 1967'),
    ('1973-04-29', true, '天皇誕生日 on a Sunday'), ('1973-04-30', true, 'the first 振替休日 (from 1973-04-12)'),
    ('1973-02-11', true, '建国記念の日 on a Sunday'), ('1973-02-12', false, 'no 振替休日 before 1973-04-12'),
    ('1985-05-04', false, 'no 国民の休日 before 1985-12-27'), ('1988-05-04', true, 'the first 国民の休日'),
    ('1992-05-04', true, '国民の休日 (a Monday)'), ('1997-05-04', false, 'a Sunday between two 祝日 is no 国民の休日 until 2006'),
    ('1989-02-24', true, '昭和天皇の大喪の礼'), ('1959-04-10', true, '皇太子明仁親王の結婚の儀'),
    ('1999-01-15', true, '成人の日 on 1/15 until 1999'), ('2000-01-15', false, 'not after'), ('2000-01-10', true, '成人の日: 2nd Monday from 2000'),
    ('2008-05-06', true, '振替休日 for 5/4 (2007 rule: the nearest following non-祝日)'),
    ('2019-04-30', true, '国民の休日 between 昭和の日 and the 即位の日'), ('2019-05-01', true, '天皇の即位の日'),
    ('2019-05-02', true, '国民の休日'), ('2019-12-23', false, 'no 天皇誕生日 in 2019'), ('2020-02-23', true, '天皇誕生日 2/23 from 2020'),
    ('2020-02-24', true, '振替休日'),
    ('2021-07-19', false, 'no 海の日 on the 3rd Monday in 2021'), ('2021-07-22', true, '海の日 moved for the Olympics'),
    ('2021-08-08', true, '山の日 moved'), ('2021-08-09', true, '振替休日 for 山の日 on a Sunday'), ('2021-10-11', false, 'スポーツの日 moved to 7/23'),
    ('2026-09-21', true, '敬老の日'), ('2026-09-22', true, '国民の休日 between 敬老の日 and 秋分の日'), ('2026-09-23', true, '秋分の日'),
    ('2027-03-21', true, '春分の日 2027 (暦要項)'), ('2027-03-22', true, '振替休日'), ('2027-09-23', true, '秋分の日 2027')
  ) AS v(d, want, label);
SELECT is(mynahoken.is_holiday(NULL), NULL, 'is_holiday(NULL) is NULL');
SELECT throws_ok($$SELECT mynahoken.is_holiday('2028-01-01')$$, '22008', 'no public holiday calendar for the given day',
                 'a year whose equinox days are not published is refused');
SELECT throws_ok($$SELECT mynahoken.is_holiday('1948-07-19')$$, '22008', 'no public holiday calendar for the given day',
                 'a day before 国民の祝日に関する法律 is refused');

-- Closed days (行政機関の休日に関する法律 第1条) and the next open day.
SELECT is(mynahoken.next_open_day(d), want, format('next open day from %s: %s', d, want))
  FROM (VALUES (date '2026-12-25', date '2026-12-25'), ('2026-12-26', '2026-12-28'), ('2026-12-28', '2026-12-28'),
               ('2026-12-29', '2027-01-04'), ('2027-01-03', '2027-01-04'), ('2027-01-04', '2027-01-04'),
               ('2026-05-02', '2026-05-07'), ('2026-09-19', '2026-09-24'), ('2027-03-20', '2027-03-23')) AS v(d, want);
SELECT is(mynahoken.is_closed_day(d), want, format('%s closed: %s', d, want))
  FROM (VALUES (date '2026-12-28', false), ('2026-12-29', true), ('2027-01-03', true), ('2027-01-04', false),
               ('2026-11-28', true), ('2026-11-23', true), ('2026-11-24', false)) AS v(d, want);

-- Filing deadlines per category: 5 days (健康保険法施行規則 第24条), 14 for
-- 国保 (国民健康保険法施行規則 第2条) and 後期 (高齢者の医療の確保に関する法律施行規則 第10条).
SELECT is(mynahoken.legal_value_int('acquisition_report_days', '2026-04-01', c),
          CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly') THEN 14 ELSE 5 END,
          format('%s: the 資格取得届 period is %s days', c,
                 CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly') THEN 14 ELSE 5 END))
  FROM cats;
SELECT is(mynahoken.acquisition_report_due(c, '2026-04-01'),
          CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly') THEN date '2026-04-15' ELSE '2026-04-06' END,
          format('%s: acquired 2026-04-01, the period ends %s', c,
                 CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly') THEN '2026-04-15' ELSE '2026-04-06' END))
  FROM cats;
-- A period ending on a closed day moves to the next open day.
SELECT is(mynahoken.acquisition_report_deadline(c, a), want,
          format('%s: acquired %s, the 資格取得届 is due %s', c, a, want))
  FROM cats, LATERAL (VALUES
    (date '2026-04-24', CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly')
                             THEN date '2026-05-08' ELSE '2026-04-30' END),   -- 04-29 昭和の日 -> 04-30; 05-08 open
    (date '2026-04-28', CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly')
                             THEN date '2026-05-12' ELSE '2026-05-07' END),   -- 05-03 .. 05-06 closed
    (date '2026-12-24', CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'nhi_society', 'late_elderly')
                             THEN date '2027-01-07' ELSE '2027-01-04' END)    -- 12-29 .. 01-03 closed
  ) AS v(a, want);
-- The rollover is a sourced parameter: without it, the period's end.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('acquisition_report_rollover', 'kyokai_kenpo', '(,)', 'false',
                    (SELECT source_id FROM mynahoken.legal_source WHERE code = 'mynahoken-default'), current_date)$$,
                'an insurer records that the rollover does not apply to it');
SELECT is(mynahoken.acquisition_report_deadline('kyokai_kenpo', '2026-04-28'), date '2026-05-03',
          'kyokai_kenpo without the rollover: the 資格取得届 is due at the end of the period, a holiday');
SELECT is(mynahoken.acquisition_report_deadline('kyokai_kenpo', '2026-04-28', current_date - 1), date '2026-05-07',
          'as known yesterday the rollover applied');
SELECT is(mynahoken.acquisition_report_deadline(c, NULL), NULL, format('%s: no acquisition, no deadline', c)) FROM cats;
SELECT is((mynahoken.legal_parameter_at('acquisition_report_rollover', '2026-04-01', c)).confirmed,
          c IN ('municipal_nhi', 'retiree_nhi', 'late_elderly'),
          format('%s: the rollover is %s', c, CASE WHEN c IN ('municipal_nhi', 'retiree_nhi', 'late_elderly')
                                                THEN 'confirmed (地方自治法 第4条の2)' ELSE 'UNCONFIRMED or the insurer''s' END))
  FROM cats WHERE c <> 'kyokai_kenpo';

SELECT * FROM finish();
ROLLBACK;
