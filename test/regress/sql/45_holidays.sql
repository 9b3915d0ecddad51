-- Holidays, closed days and filing deadlines (doc/decisions.md, "Filing
-- deadlines and the days the administration is closed").
SET datestyle = 'ISO, YMD';
\set SHOW_CONTEXT never

-- The 休日 of 2026 and 2027, with their kind.
SELECT day, to_char(day, 'Dy') AS dow, name, kind
  FROM mynahoken.public_holiday WHERE day >= '2026-01-01' ORDER BY day;
-- The rules and the laws they come from.
SELECT r.rule_id, r.name, r.kind, mynahoken.daterange_iso(r.in_force) AS in_force, r.month, r.day, r.nth, r.on_day, s.number
  FROM mynahoken.public_holiday_rule r JOIN mynahoken.legal_source s USING (source_id)
 ORDER BY r.rule_id;

-- Closed days and the next open day around the new year and Golden Week.
SELECT d::date AS day, mynahoken.is_holiday(d::date) AS holiday, mynahoken.is_closed_day(d::date) AS closed,
       mynahoken.next_open_day(d::date) AS next_open
  FROM generate_series(date '2026-12-25', '2027-01-05', '1 day') AS d;

-- The 資格取得届 per category: the period's end and the deadline.
SELECT c, mynahoken.legal_value_int('acquisition_report_days', '2026-04-28', c) AS days,
       mynahoken.acquisition_report_due(c, '2026-04-28') AS period_ends,
       mynahoken.acquisition_report_deadline(c, '2026-04-28') AS due
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c;

-- Outside the calendar: before the law, after the last published equinox.
SELECT mynahoken.is_holiday('1948-07-19');
SELECT mynahoken.next_open_day('2027-12-30');
-- a weekend outside the calendar is refused like any other day
SELECT mynahoken.is_closed_day('2030-01-05');
