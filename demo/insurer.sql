-- A reproducible synthetic insurer data centre for the demo and the docs.
--
--   psql -v members=100000 -f demo/insurer.sql
--
-- demo.members holds what an insurer's member system typically has, as it was
-- keyed in: most values clean, some with full-width digits or spaces, a few
-- with a wrong check digit.  Every My Number and 法人番号 is synthetic and
-- passes its check digit.  The same :members gives the same rows every time.

\if :{?members}
\else
\set members 100000
\endif

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;

-- Check digits for synthetic numbers (the demo's own generator; the
-- extension validates, it does not mint numbers).
CREATE FUNCTION demo.with_mynumber_check(base11 text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT base11 || CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END
    FROM (SELECT sum(substr(base11, 12 - n, 1)::int * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
            FROM generate_series(1, 11) AS n) AS t
$$;

CREATE FUNCTION demo.with_corporate_check(base12 text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT (9 - s % 9)::text || base12
    FROM (SELECT sum(substr(base12, 13 - n, 1)::int * CASE WHEN n % 2 = 1 THEN 1 ELSE 2 END) AS s
            FROM generate_series(1, 12) AS n) AS t
$$;

-- The insurers this data centre serves, one per category the demo shows.
CREATE TABLE demo.insurers (
  insurer_number text PRIMARY KEY,
  name           text NOT NULL,
  share          int  NOT NULL      -- weight in the member mix
);
INSERT INTO demo.insurers VALUES
  ('01130012', '全国健康保険協会 東京支部', 50),
  ('06139992', 'みなと健康保険組合',        12),
  ('31130016', '架空省共済組合',             5),
  ('39131156', '東京都後期高齢者医療広域連合 (架空区)', 13),
  ('131151',   '架空区 国民健康保険',        15),
  ('133033',   '東京都架空業国民健康保険組合', 5);

CREATE TABLE demo.employers (
  employer_id      int PRIMARY KEY,
  corporate_number text NOT NULL,   -- 法人番号
  name             text NOT NULL,
  office_symbol    text NOT NULL    -- 事業所記号
);

SELECT setseed(0.20241202) AS seeded \gset
INSERT INTO demo.employers
SELECT e,
       demo.with_corporate_check(lpad((floor(random() * 1e12))::bigint::text, 12, '0')),
       format('架空商事%s株式会社', e),
       (1000000 + e * 7)::text
  FROM generate_series(1, greatest(:members / 40, 10)) AS e;

CREATE TABLE demo.members (
  member_id              bigint PRIMARY KEY,
  insurer_number         text NOT NULL,   -- 保険者番号, as keyed in
  card_symbol            text,            -- 記号
  card_number            text NOT NULL,   -- 番号
  card_branch            text,            -- 枝番
  is_dependant           boolean NOT NULL,-- 被扶養者
  birth_date             date NOT NULL,
  acquired_on            date NOT NULL,   -- 資格取得日
  lost_on                date,            -- 資格喪失日
  employer_id            int REFERENCES demo.employers,
  legacy_card_issued_on  date,            -- 健康保険証 交付日
  legacy_card_expires_on date,            -- 有効期限 (none on employee-insurance cards)
  my_number              text,            -- 個人番号, synthetic; NULL = not linked
  myna_registered_on     date,            -- マイナ保険証 利用登録
  myna_withdrawn_on      date,            -- 利用登録解除
  ecert_expires_on       date,            -- 利用者証明用電子証明書 有効期限
  certificate_requested_on date           -- 資格確認書 交付申請 (要配慮者 etc.)
);
COMMENT ON TABLE demo.members IS 'Synthetic members of the demo data centre, as keyed in';

WITH base AS (
  SELECT i, random() AS r_ins, random() AS r1, random() AS r2, random() AS r3,
         random() AS r4, random() AS r5, random() AS r6, random() AS r7
    FROM generate_series(1, :members) AS i
), picked AS (
  SELECT b.*, ins.insurer_number AS ins
    FROM base b
    CROSS JOIN LATERAL (
      SELECT insurer_number FROM (
        SELECT insurer_number,
               sum(share) OVER (ORDER BY insurer_number) AS upto,
               sum(share) OVER () AS total
          FROM demo.insurers) w
       WHERE b.r_ins * w.total < w.upto
       ORDER BY upto LIMIT 1) ins
), shaped AS (
  SELECT p.*,
         p.ins LIKE '39%' AS late_elderly,
         length(p.ins) = 6 AS nhi,
         -- 後期 members are 75 or over; others 0-74
         CASE WHEN p.ins LIKE '39%'
              THEN date '2026-04-01' - (75 * 365 + (p.r1 * 20 * 365)::int)
              ELSE date '2026-04-01' - (p.r1 * 74 * 365)::int END AS birth
    FROM picked p
), dated AS (
  SELECT s.*, greatest(s.birth, date '2005-04-01' + (s.r3 * 7500)::int) AS acquired
    FROM shaped s
)
INSERT INTO demo.members
SELECT i,
       -- as keyed in: 3% full-width, 2% padded with spaces, 0.5% wrong check digit
       CASE WHEN r7 < 0.03 THEN translate(ins, '0123456789', '０１２３４５６７８９')
            WHEN r7 < 0.05 THEN ' ' || ins || ' '
            WHEN r7 < 0.055 THEN left(ins, -1) || ((right(ins, 1)::int + 1) % 10)
            ELSE ins END,
       CASE WHEN late_elderly THEN NULL
            WHEN nhi THEN (10 + (r2 * 80)::int)::text
            ELSE (1000000 + ((r2 * greatest(:members / 40, 10))::int + 1) * 7)::text END,
       CASE WHEN late_elderly THEN lpad((10000000 + i)::text, 8, '0')
            WHEN r7 > 0.97 THEN translate((100 + i / 3)::text, '0123456789', '０１２３４５６７８９')
            ELSE (100 + i / 3)::text END,
       CASE WHEN late_elderly THEN NULL ELSE lpad((i % 3)::text, 2, '0') END,
       NOT late_elderly AND NOT nhi AND i % 3 <> 0,
       birth,
       acquired,
       -- 4% lost their eligibility, always after acquiring it
       CASE WHEN r4 < 0.04 THEN greatest(acquired + 1 + (r4 * 1e4)::int % 60,
                                         date '2024-06-01' + (r4 * 25 * 365)::int) END,
       CASE WHEN late_elderly OR nhi THEN NULL
            ELSE 1 + (r2 * greatest(:members / 40, 10))::int % greatest(:members / 40, 10) END,
       -- cards were issued up to 2024-11-29, the last processing day before 2024-12-02
       CASE WHEN acquired <= date '2024-11-29' THEN least(acquired + 14, date '2024-11-29') END,
       CASE WHEN (late_elderly OR nhi) AND acquired <= date '2024-11-29'
            THEN date '2025-07-31' END,
       CASE WHEN r5 < 0.85
            THEN demo.with_mynumber_check(lpad((floor(r6 * 1e11))::bigint::text, 11, '0')) END,
       CASE WHEN r5 < 0.62 THEN date '2021-10-20' + (r5 * 1200)::int END,
       CASE WHEN r5 < 0.62 AND r6 < 0.01 THEN date '2024-11-01' + (r6 * 30000)::int END,
       CASE WHEN r5 < 0.85 THEN date '2025-01-01' + (r6 * 365 * 5)::int END,
       CASE WHEN r3 < 0.005 THEN date '2025-01-15' + (r3 * 40000)::int END
  FROM dated;

ANALYZE demo.employers, demo.members;
SELECT count(*) AS members, count(my_number) AS with_my_number,
       count(myna_registered_on) AS registered FROM demo.members;
