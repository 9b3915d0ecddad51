-- Japanese public holidays (国民の祝日に関する法律) and the days the
-- administration is closed (行政機関の休日に関する法律), for filing deadlines.
--
-- The rules are data (mynahoken.public_holiday_rule, with their laws in
-- mynahoken.legal_source) and the equinox days as published
-- (mynahoken.equinox_day); mynahoken.holidays_by_rules() applies them
-- set-based, with 振替休日 and 国民の休日, and mynahoken.public_holiday
-- holds the result for the years whose equinox days are published, so that
-- is_holiday() is one index lookup.  A later version adds a year by adding
-- its equinox days (暦要項, published each February for the next year).

-- Equinox days (春分の日, 秋分の日): fixed each year by the 国立天文台 暦要項 in the 官報.
CREATE TABLE mynahoken.equinox_day (
  year      int PRIMARY KEY CHECK (year BETWEEN 1948 AND 2200),
  vernal    date NOT NULL CHECK (pg_catalog.date_part('year', vernal) OPERATOR(pg_catalog.=) year),
  autumnal  date NOT NULL CHECK (pg_catalog.date_part('year', autumnal) OPERATOR(pg_catalog.=) year),
  source_id bigint NOT NULL REFERENCES mynahoken.legal_source
);
COMMENT ON TABLE mynahoken.equinox_day IS
  'Days of 春分の日 and 秋分の日 per year as published (国立天文台 暦要項); the holiday calendar covers these years';

CREATE TYPE mynahoken.holiday_rule_kind AS ENUM (
  'fixed',     -- month and day
  'monday',    -- the n-th Monday of a month (ハッピーマンデー)
  'vernal',    -- 春分日
  'autumnal',  -- 秋分日
  'one_off'    -- a day set by its own law (結婚の儀, 大喪の礼, 即位, the 2020 and 2021 moves)
);
COMMENT ON TYPE mynahoken.holiday_rule_kind IS
  'How a rule of 国民の祝日に関する法律 places its holiday in a year';

-- One row per holiday and period of its rule: the holiday falls on the day
-- the rule gives in a year when that day is in in_force.
CREATE TABLE mynahoken.public_holiday_rule (
  rule_id   int PRIMARY KEY,
  name      text NOT NULL CHECK (name OPERATOR(pg_catalog.<>) ''),
  kind      mynahoken.holiday_rule_kind NOT NULL,
  in_force  daterange NOT NULL,
  month     int CHECK (month BETWEEN 1 AND 12),
  day       int CHECK (day BETWEEN 1 AND 31),
  nth       int CHECK (nth BETWEEN 1 AND 5),
  on_day    date,
  source_id bigint NOT NULL REFERENCES mynahoken.legal_source,
  CONSTRAINT public_holiday_rule_shape CHECK (CASE kind
    WHEN 'fixed' THEN month IS NOT NULL AND day IS NOT NULL AND nth IS NULL AND on_day IS NULL
    WHEN 'monday' THEN month IS NOT NULL AND nth IS NOT NULL AND day IS NULL AND on_day IS NULL
    WHEN 'one_off' THEN on_day IS NOT NULL AND month IS NULL AND day IS NULL AND nth IS NULL
    ELSE month IS NULL AND day IS NULL AND nth IS NULL AND on_day IS NULL END)
);
COMMENT ON TABLE mynahoken.public_holiday_rule IS
  'Rules of 国民の祝日に関する法律 and the laws of one-off holidays: name, how the day is placed, period in force, source';

-- The 国民の祝日 (national holidays), then 振替休日 and 国民の休日 (休日
-- under 第3条 第2項, 第3項), for the years given; set-based.
--   振替休日 (from 1973-04-12): a 国民の祝日 on a Sunday makes the next day a
--     休日; from 2007 the nearest following day that is not a 国民の祝日.
--   国民の休日 (from 1985-12-27): a day whose day before and day after are
--     国民の祝日 and that is not one; until 2006 not a Sunday or a 振替休日.
CREATE FUNCTION mynahoken.holidays_by_rules(from_year int, to_year int)
RETURNS TABLE (day date, name text, kind text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH national AS (
    SELECT x.d, r.name
      FROM pg_catalog.generate_series(from_year, to_year) AS y (year)
      JOIN mynahoken.public_holiday_rule r ON true
      LEFT JOIN mynahoken.equinox_day q ON q.year OPERATOR(pg_catalog.=) y.year
     CROSS JOIN LATERAL (
       SELECT CASE r.kind
                WHEN 'fixed' THEN pg_catalog.make_date(y.year, r.month, r.day)
                WHEN 'monday' THEN pg_catalog.make_date(y.year, r.month, 1)
                     OPERATOR(pg_catalog.+) (((8 OPERATOR(pg_catalog.-) pg_catalog.date_part('isodow', pg_catalog.make_date(y.year, r.month, 1))::int) OPERATOR(pg_catalog.%) 7)
                                             OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) (r.nth OPERATOR(pg_catalog.-) 1)))
                WHEN 'vernal' THEN q.vernal
                WHEN 'autumnal' THEN q.autumnal
                WHEN 'one_off' THEN CASE WHEN pg_catalog.date_part('year', r.on_day) OPERATOR(pg_catalog.=) y.year THEN r.on_day END
              END AS d) AS x
     WHERE x.d IS NOT NULL AND r.in_force OPERATOR(pg_catalog.@>) x.d
  ), substitute AS (
    SELECT CASE WHEN n.d OPERATOR(pg_catalog.<) '2007-01-01' THEN n.d OPERATOR(pg_catalog.+) 1
                ELSE (SELECT pg_catalog.min(c.d)
                        FROM (SELECT n.d OPERATOR(pg_catalog.+) i AS d FROM pg_catalog.generate_series(1, 7) AS i) AS c
                       WHERE NOT EXISTS (SELECT FROM national m WHERE m.d OPERATOR(pg_catalog.=) c.d)) END AS d,
           n.name
      FROM national n
     WHERE pg_catalog.date_part('isodow', n.d) OPERATOR(pg_catalog.=) 7 AND n.d OPERATOR(pg_catalog.>=) '1973-04-12'
  ), citizens AS (
    SELECT n.d OPERATOR(pg_catalog.+) 1 AS d
      FROM national n
     WHERE EXISTS (SELECT FROM national m WHERE m.d OPERATOR(pg_catalog.=) (n.d OPERATOR(pg_catalog.+) 2))
       AND NOT EXISTS (SELECT FROM national m WHERE m.d OPERATOR(pg_catalog.=) (n.d OPERATOR(pg_catalog.+) 1))
       AND (n.d OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.>=) '1985-12-27'
       AND ((n.d OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.>=) '2007-01-01'
            OR (pg_catalog.date_part('isodow', n.d OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.<>) 7
                AND NOT EXISTS (SELECT FROM substitute s WHERE s.d OPERATOR(pg_catalog.=) (n.d OPERATOR(pg_catalog.+) 1))))
  )
  SELECT d, name, 'national' FROM national
  UNION ALL
  SELECT d, name OPERATOR(pg_catalog.||) ' 振替休日', 'substitute' FROM substitute
  UNION ALL
  SELECT d, '国民の休日', 'citizens' FROM citizens
  ORDER BY 1;
END;
COMMENT ON FUNCTION mynahoken.holidays_by_rules(int, int) IS
  'The 休日 of 国民の祝日に関する法律 (国民の祝日, 振替休日, 国民の休日) of the given years, computed from the rules and the equinox days';

-- The holidays of the years whose equinox days are published, computed
-- once at install (and by each update that adds a year).
CREATE TABLE mynahoken.public_holiday (
  day  date PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('national', 'substitute', 'citizens'))
);
COMMENT ON TABLE mynahoken.public_holiday IS
  'The 休日 of 国民の祝日に関する法律 (国民の祝日, 振替休日, 国民の休日) from 1948-07-20 to the last year of mynahoken.equinox_day';

-- Equinox days 1948-2027 as published; checked against @holiday-jp/holiday_jp
-- (1970-2027) and python3-holidays (1949-1969) by test/scripts/45_holidays.sh.
INSERT INTO mynahoken.equinox_day (year, vernal, autumnal, source_id)
SELECT e.year, e.vernal::date, e.autumnal::date, (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = e.source)
  FROM (VALUES
  (1948,'1948-03-21','1948-09-23', 'naoj-rekiyoko'),
  (1949,'1949-03-21','1949-09-23', 'naoj-rekiyoko'),
  (1950,'1950-03-21','1950-09-23', 'naoj-rekiyoko'),
  (1951,'1951-03-21','1951-09-24', 'naoj-rekiyoko'),
  (1952,'1952-03-21','1952-09-23', 'naoj-rekiyoko'),
  (1953,'1953-03-21','1953-09-23', 'naoj-rekiyoko'),
  (1954,'1954-03-21','1954-09-23', 'naoj-rekiyoko'),
  (1955,'1955-03-21','1955-09-24', 'naoj-rekiyoko'),
  (1956,'1956-03-21','1956-09-23', 'naoj-rekiyoko'),
  (1957,'1957-03-21','1957-09-23', 'naoj-rekiyoko'),
  (1958,'1958-03-21','1958-09-23', 'naoj-rekiyoko'),
  (1959,'1959-03-21','1959-09-24', 'naoj-rekiyoko'),
  (1960,'1960-03-20','1960-09-23', 'naoj-rekiyoko'),
  (1961,'1961-03-21','1961-09-23', 'naoj-rekiyoko'),
  (1962,'1962-03-21','1962-09-23', 'naoj-rekiyoko'),
  (1963,'1963-03-21','1963-09-24', 'naoj-rekiyoko'),
  (1964,'1964-03-20','1964-09-23', 'naoj-rekiyoko'),
  (1965,'1965-03-21','1965-09-23', 'naoj-rekiyoko'),
  (1966,'1966-03-21','1966-09-23', 'naoj-rekiyoko'),
  (1967,'1967-03-21','1967-09-24', 'naoj-rekiyoko'),
  (1968,'1968-03-20','1968-09-23', 'naoj-rekiyoko'),
  (1969,'1969-03-21','1969-09-23', 'naoj-rekiyoko'),
  (1970,'1970-03-21','1970-09-23', 'naoj-rekiyoko'),
  (1971,'1971-03-21','1971-09-24', 'naoj-rekiyoko'),
  (1972,'1972-03-20','1972-09-23', 'naoj-rekiyoko'),
  (1973,'1973-03-21','1973-09-23', 'naoj-rekiyoko'),
  (1974,'1974-03-21','1974-09-23', 'naoj-rekiyoko'),
  (1975,'1975-03-21','1975-09-24', 'naoj-rekiyoko'),
  (1976,'1976-03-20','1976-09-23', 'naoj-rekiyoko'),
  (1977,'1977-03-21','1977-09-23', 'naoj-rekiyoko'),
  (1978,'1978-03-21','1978-09-23', 'naoj-rekiyoko'),
  (1979,'1979-03-21','1979-09-24', 'naoj-rekiyoko'),
  (1980,'1980-03-20','1980-09-23', 'naoj-rekiyoko'),
  (1981,'1981-03-21','1981-09-23', 'naoj-rekiyoko'),
  (1982,'1982-03-21','1982-09-23', 'naoj-rekiyoko'),
  (1983,'1983-03-21','1983-09-23', 'naoj-rekiyoko'),
  (1984,'1984-03-20','1984-09-23', 'naoj-rekiyoko'),
  (1985,'1985-03-21','1985-09-23', 'naoj-rekiyoko'),
  (1986,'1986-03-21','1986-09-23', 'naoj-rekiyoko'),
  (1987,'1987-03-21','1987-09-23', 'naoj-rekiyoko'),
  (1988,'1988-03-20','1988-09-23', 'naoj-rekiyoko'),
  (1989,'1989-03-21','1989-09-23', 'naoj-rekiyoko'),
  (1990,'1990-03-21','1990-09-23', 'naoj-rekiyoko'),
  (1991,'1991-03-21','1991-09-23', 'naoj-rekiyoko'),
  (1992,'1992-03-20','1992-09-23', 'naoj-rekiyoko'),
  (1993,'1993-03-20','1993-09-23', 'naoj-rekiyoko'),
  (1994,'1994-03-21','1994-09-23', 'naoj-rekiyoko'),
  (1995,'1995-03-21','1995-09-23', 'naoj-rekiyoko'),
  (1996,'1996-03-20','1996-09-23', 'naoj-rekiyoko'),
  (1997,'1997-03-20','1997-09-23', 'naoj-rekiyoko'),
  (1998,'1998-03-21','1998-09-23', 'naoj-rekiyoko'),
  (1999,'1999-03-21','1999-09-23', 'naoj-rekiyoko'),
  (2000,'2000-03-20','2000-09-23', 'naoj-rekiyoko'),
  (2001,'2001-03-20','2001-09-23', 'naoj-rekiyoko'),
  (2002,'2002-03-21','2002-09-23', 'naoj-rekiyoko'),
  (2003,'2003-03-21','2003-09-23', 'naoj-rekiyoko'),
  (2004,'2004-03-20','2004-09-23', 'naoj-rekiyoko'),
  (2005,'2005-03-20','2005-09-23', 'naoj-rekiyoko'),
  (2006,'2006-03-21','2006-09-23', 'naoj-rekiyoko'),
  (2007,'2007-03-21','2007-09-23', 'naoj-rekiyoko'),
  (2008,'2008-03-20','2008-09-23', 'naoj-rekiyoko'),
  (2009,'2009-03-20','2009-09-23', 'naoj-rekiyoko'),
  (2010,'2010-03-21','2010-09-23', 'naoj-rekiyoko'),
  (2011,'2011-03-21','2011-09-23', 'naoj-rekiyoko'),
  (2012,'2012-03-20','2012-09-22', 'naoj-rekiyoko'),
  (2013,'2013-03-20','2013-09-23', 'naoj-rekiyoko'),
  (2014,'2014-03-21','2014-09-23', 'naoj-rekiyoko'),
  (2015,'2015-03-21','2015-09-23', 'naoj-rekiyoko'),
  (2016,'2016-03-20','2016-09-22', 'naoj-rekiyoko'),
  (2017,'2017-03-20','2017-09-23', 'naoj-rekiyoko'),
  (2018,'2018-03-21','2018-09-23', 'naoj-rekiyoko'),
  (2019,'2019-03-21','2019-09-23', 'naoj-rekiyoko'),
  (2020,'2020-03-20','2020-09-22', 'naoj-rekiyoko'),
  (2021,'2021-03-20','2021-09-23', 'naoj-rekiyoko'),
  (2022,'2022-03-21','2022-09-23', 'naoj-rekiyoko'),
  (2023,'2023-03-21','2023-09-23', 'naoj-rekiyoko'),
  (2024,'2024-03-20','2024-09-22', 'naoj-rekiyoko'),
  (2025,'2025-03-20','2025-09-23', 'naoj-rekiyoko'),
  (2026,'2026-03-20','2026-09-23', 'naoj-rekiyoko'),
  (2027,'2027-03-21','2027-09-23', 'naoj-rekiyoko')
  ) AS e (year, vernal, autumnal, source);

-- The rules: 国民の祝日に関する法律 (昭和23年法律第178号) as amended (敬老の日 and
-- 体育の日 from 1966, 建国記念の日 from 1967, みどりの日 1989, 海の日 1996,
-- Happy Monday 2000 and 2003, 昭和の日 2007, 山の日 2016, 天皇誕生日 2/23 2020,
-- スポーツの日 2020), and the laws of one-off holidays and of the 2020 and 2021 moves.
INSERT INTO mynahoken.public_holiday_rule (rule_id, name, kind, in_force, month, day, nth, on_day, source_id)
SELECT r.rule_id, r.name, r.kind::mynahoken.holiday_rule_kind, r.in_force::daterange, r.month, r.day, r.nth, r.on_day::date,
       (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = r.source)
  FROM (VALUES
  (1,  '元日',           'fixed',   '[1948-07-20,)',           1,  1,    NULL, NULL, 'holiday-law'),
  (2,  '成人の日',       'fixed',   '[1948-07-20,2000-01-01)', 1,  15,   NULL, NULL, 'holiday-law'),
  (3,  '成人の日',       'monday',  '[2000-01-01,)',           1,  NULL, 2,    NULL, 'holiday-law'),
  (4,  '建国記念の日',   'fixed',   '[1967-01-01,)',           2,  11,   NULL, NULL, 'holiday-law'),
  (5,  '天皇誕生日',     'fixed',   '[2020-01-01,)',           2,  23,   NULL, NULL, 'holiday-law'),
  (6,  '春分の日',       'vernal',  '[1948-07-20,)',           NULL, NULL, NULL, NULL, 'holiday-law'),
  (7,  '天皇誕生日',     'fixed',   '[1948-07-20,1989-02-17)', 4,  29,   NULL, NULL, 'holiday-law'),
  (8,  'みどりの日',     'fixed',   '[1989-02-17,2007-01-01)', 4,  29,   NULL, NULL, 'holiday-law'),
  (9,  '昭和の日',       'fixed',   '[2007-01-01,)',           4,  29,   NULL, NULL, 'holiday-law'),
  (10, '憲法記念日',     'fixed',   '[1948-07-20,)',           5,  3,    NULL, NULL, 'holiday-law'),
  (11, 'みどりの日',     'fixed',   '[2007-01-01,)',           5,  4,    NULL, NULL, 'holiday-law'),
  (12, 'こどもの日',     'fixed',   '[1948-07-20,)',           5,  5,    NULL, NULL, 'holiday-law'),
  (13, '海の日',         'fixed',   '[1996-01-01,2003-01-01)', 7,  20,   NULL, NULL, 'holiday-law'),
  (14, '海の日',         'monday',  '[2003-01-01,2020-01-01)', 7,  NULL, 3,    NULL, 'holiday-law'),
  (15, '海の日',         'monday',  '[2022-01-01,)',           7,  NULL, 3,    NULL, 'holiday-law'),
  (16, '山の日',         'fixed',   '[2016-01-01,2020-01-01)', 8,  11,   NULL, NULL, 'holiday-law'),
  (17, '山の日',         'fixed',   '[2022-01-01,)',           8,  11,   NULL, NULL, 'holiday-law'),
  (18, '敬老の日',       'fixed',   '[1966-06-25,2003-01-01)', 9,  15,   NULL, NULL, 'holiday-law'),
  (19, '敬老の日',       'monday',  '[2003-01-01,)',           9,  NULL, 3,    NULL, 'holiday-law'),
  (20, '秋分の日',       'autumnal', '[1948-07-20,)',          NULL, NULL, NULL, NULL, 'holiday-law'),
  (21, '体育の日',       'fixed',   '[1966-06-25,2000-01-01)', 10, 10,   NULL, NULL, 'holiday-law'),
  (22, '体育の日',       'monday',  '[2000-01-01,2020-01-01)', 10, NULL, 2,    NULL, 'holiday-law'),
  (23, 'スポーツの日',   'monday',  '[2022-01-01,)',           10, NULL, 2,    NULL, 'holiday-law'),
  (24, '文化の日',       'fixed',   '[1948-07-20,)',           11, 3,    NULL, NULL, 'holiday-law'),
  (25, '勤労感謝の日',   'fixed',   '[1948-07-20,)',           11, 23,   NULL, NULL, 'holiday-law'),
  (26, '天皇誕生日',     'fixed',   '[1989-02-17,2019-01-01)', 12, 23,   NULL, NULL, 'holiday-law'),
  (27, '皇太子明仁親王の結婚の儀', 'one_off', '(,)', NULL, NULL, NULL, '1959-04-10', 'holiday-1959'),
  (28, '昭和天皇の大喪の礼',       'one_off', '(,)', NULL, NULL, NULL, '1989-02-24', 'holiday-1989'),
  (29, '即位礼正殿の儀',           'one_off', '(,)', NULL, NULL, NULL, '1990-11-12', 'holiday-1990'),
  (30, '皇太子徳仁親王の結婚の儀', 'one_off', '(,)', NULL, NULL, NULL, '1993-06-09', 'holiday-1993'),
  (31, '天皇の即位の日',           'one_off', '(,)', NULL, NULL, NULL, '2019-05-01', 'holiday-2019'),
  (32, '即位礼正殿の儀',           'one_off', '(,)', NULL, NULL, NULL, '2019-10-22', 'holiday-2019'),
  (33, '海の日',                   'one_off', '(,)', NULL, NULL, NULL, '2020-07-23', 'olympic-2020'),
  (34, 'スポーツの日',             'one_off', '(,)', NULL, NULL, NULL, '2020-07-24', 'olympic-2020'),
  (35, '山の日',                   'one_off', '(,)', NULL, NULL, NULL, '2020-08-10', 'olympic-2020'),
  (36, '海の日',                   'one_off', '(,)', NULL, NULL, NULL, '2021-07-22', 'olympic-2021'),
  (37, 'スポーツの日',             'one_off', '(,)', NULL, NULL, NULL, '2021-07-23', 'olympic-2021'),
  (38, '山の日',                   'one_off', '(,)', NULL, NULL, NULL, '2021-08-08', 'olympic-2021')
  ) AS r (rule_id, name, kind, in_force, month, day, nth, on_day, source);

INSERT INTO mynahoken.public_holiday (day, name, kind)
SELECT h.day, h.name, h.kind
  FROM mynahoken.holidays_by_rules(1948, (SELECT max(e.year) FROM mynahoken.equinox_day e)) AS h
 WHERE h.day >= '1948-07-20';

CREATE FUNCTION mynahoken.holiday_calendar_refused(day date)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE   -- not IMMUTABLE: it must not be folded into a plan
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM mynahoken.raise_error('22008', 'no public holiday calendar for the given day',
    detail => pg_catalog.format(mynahoken.gettext('The calendar covers 1948-07-20 (国民の祝日に関する法律) to %s-12-31 (the last year whose equinox days are published).'),
                     (SELECT max(e.year) FROM mynahoken.equinox_day e)));
END
$$;
COMMENT ON FUNCTION mynahoken.holiday_calendar_refused(date) IS
  'Internal: error 22008 for a day outside the holiday calendar';

CREATE FUNCTION mynahoken.is_holiday(day date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN day IS NULL THEN NULL
            WHEN day OPERATOR(pg_catalog.<) '1948-07-20'
              OR pg_catalog.date_part('year', day) OPERATOR(pg_catalog.>) (SELECT pg_catalog.max(e.year) FROM mynahoken.equinox_day e)
            THEN mynahoken.holiday_calendar_refused(day)
            ELSE EXISTS (SELECT FROM mynahoken.public_holiday h WHERE h.day OPERATOR(pg_catalog.=) is_holiday.day) END;
COMMENT ON FUNCTION mynahoken.is_holiday(date) IS
  'True on a 休日 of 国民の祝日に関する法律 (国民の祝日, 振替休日, 国民の休日); error 22008 outside the calendar';

-- 行政機関の休日に関する法律 第1条: Sundays and Saturdays, the 休日 of
-- 国民の祝日に関する法律, and 12/29 to 1/3.
-- is_holiday first (CASE fixes the order): a day outside the calendar is
-- refused, also on a weekend.
CREATE FUNCTION mynahoken.is_closed_day(day date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN mynahoken.is_holiday(day) THEN true
            ELSE pg_catalog.date_part('isodow', day) OPERATOR(pg_catalog.>=) 6
                 OR (pg_catalog.date_part('month', day) OPERATOR(pg_catalog.=) 12 AND pg_catalog.date_part('day', day) OPERATOR(pg_catalog.>=) 29)
                 OR (pg_catalog.date_part('month', day) OPERATOR(pg_catalog.=) 1 AND pg_catalog.date_part('day', day) OPERATOR(pg_catalog.<=) 3) END;
COMMENT ON FUNCTION mynahoken.is_closed_day(date) IS
  'True on a day the administration is closed (行政機関の休日に関する法律 第1条: Saturday, Sunday, 休日 of 国民の祝日に関する法律, 12/29-1/3)';

-- The day itself when the administration is open, else the next open day
-- (行政機関の休日に関する法律 第2条, 地方自治法 第4条の2 第4項: a deadline on a
-- closed day is the next day that is not one).
CREATE FUNCTION mynahoken.next_open_day(day date)
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT pg_catalog.min(c.d)
          FROM (SELECT next_open_day.day OPERATOR(pg_catalog.+) i AS d FROM pg_catalog.generate_series(0, 20) AS i) AS c
         WHERE NOT mynahoken.is_closed_day(c.d));
COMMENT ON FUNCTION mynahoken.next_open_day(date) IS
  'The day itself if the administration is open, else the next open day (行政機関の休日に関する法律 第2条)';

GRANT SELECT ON mynahoken.equinox_day, mynahoken.public_holiday_rule, mynahoken.public_holiday TO PUBLIC;

-- The 資格取得届 deadline: the last day of the period (acquisition_report_due),
-- moved to the next open day where acquisition_report_rollover says the
-- rollover of 行政機関の休日に関する法律 第2条 (地方自治法 第4条の2) applies.
CREATE FUNCTION mynahoken.acquisition_report_deadline(category mynahoken.insurer_category, acquired_on date,
                                                      known_on date DEFAULT NULL)
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN category IS NULL OR acquired_on IS NULL THEN NULL
            WHEN mynahoken.legal_value_bool('acquisition_report_rollover', acquired_on, category, known_on)
            THEN mynahoken.next_open_day(mynahoken.acquisition_report_due(category, acquired_on, known_on))
            ELSE mynahoken.acquisition_report_due(category, acquired_on, known_on) END;
COMMENT ON FUNCTION mynahoken.acquisition_report_deadline(mynahoken.insurer_category, date, date) IS
  'Day the 資格取得届 is due: acquisition_report_due, moved to the next open day when acquisition_report_rollover holds for the category';
