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

-- ---------------------------------------------------------------------------
-- Linkage checks (紐付け点検, doc/linkage.md): what the member system holds of
-- names, addresses and sex, how each number was obtained, and the J-LIS
-- answers for the linked numbers.  Deterministic from member_id (no random()
-- here, so the rows above stay as they were).  A household is one 記号・番号.
-- Planted among them: a family swap, a same-name stranger at another address,
-- a typo that passes the check digit (J-LIS has nobody), a ● in a J-LIS name
-- with a stale address, a member who reports other last four digits; and
-- differences that are only notation (half-width カナ, 丁目 against "-",
-- 髙 against 高 once the DBA lists the pair), which must not open a case.
CREATE TABLE demo.member_facts (
  member_id  bigint PRIMARY KEY REFERENCES demo.members,
  household  text NOT NULL,        -- 記号・番号
  kanji_name text NOT NULL,
  kana_name  text NOT NULL,
  address    text NOT NULL,
  sex        int NOT NULL,
  provenance text NOT NULL         -- how the My Number was obtained
);
COMMENT ON TABLE demo.member_facts IS 'Synthetic names, addresses and sex of the demo members, for the linkage checks';
INSERT INTO demo.member_facts
SELECT m.member_id, h.household,
       (ARRAY['田中','鈴木','髙橋','佐藤','伊藤','渡辺','山本','中村','小林','加藤'])[1 + h.hh % 10] || ' ' ||
       (ARRAY['一郎','花子','健','陽菜','誠','美咲','翔','京子','茂','恵','実','光'])[1 + m.member_id % 12],
       (ARRAY['タナカ','スズキ','タカハシ','サトウ','イトウ','ワタナベ','ヤマモト','ナカムラ','コバヤシ','カトウ'])[1 + h.hh % 10] || ' ' ||
       (ARRAY['イチロウ','ハナコ','ケン','ヒナ','マコト','ミサキ','ショウ','キョウコ','シゲル','メグミ','ミノル','ヒカル'])[1 + m.member_id % 12],
       (ARRAY['本町','北町','南町','東町','西町','旭町','緑町','桜町'])[1 + h.hh % 8] ||
       (1 + h.hh % 9) || '-' || (1 + h.hh % 20) || '-' || (1 + h.hh % 7),
       1 + (m.member_id % 2)::int,
       CASE WHEN m.acquired_on < date '2023-06-01' AND m.member_id % 10 = 0 THEN 'jlis_lookup_weak'
            WHEN m.member_id % 10 = 1 THEN 'member_submitted' ELSE 'employer_submitted' END
  FROM demo.members AS m
  CROSS JOIN LATERAL (SELECT coalesce(m.card_symbol, '') || ':' || m.card_number AS household,
                             abs(hashtext(coalesce(m.card_symbol, '') || ':' || m.card_number)) AS hh) AS h;

-- The planted members: the first households (by member id) with two linked
-- members, and single linked members, picked by rule, not by number.
CREATE TABLE demo.planted (kind text PRIMARY KEY, member_id bigint NOT NULL, other_id bigint);
COMMENT ON TABLE demo.planted IS 'Members the demo links wrongly on purpose, and what the linkage check must find';
WITH linked AS (
  SELECT m.member_id, f.household FROM demo.members m JOIN demo.member_facts f USING (member_id)
   WHERE m.my_number IS NOT NULL AND mynahoken.mynumber_is_valid(m.my_number) AND m.member_id > 3
), pairs AS (
  SELECT min(member_id) AS a, max(member_id) AS b FROM linked GROUP BY household HAVING count(*) = 2
   ORDER BY 1 LIMIT 1
), singles AS (
  SELECT l.member_id, row_number() OVER (ORDER BY l.member_id) AS n FROM linked l
   WHERE l.member_id NOT IN (SELECT a FROM pairs UNION ALL SELECT b FROM pairs)
     AND l.member_id % 10 <> 0 AND l.member_id % 97 = 5
)
INSERT INTO demo.planted
SELECT 'family_swap', a, b FROM pairs
UNION ALL SELECT 'same_name_stranger', member_id, NULL FROM singles WHERE n = 1
UNION ALL SELECT 'typo_passes_check_digit', member_id, NULL FROM singles WHERE n = 2
UNION ALL SELECT 'black_circle_kanji_moved', member_id, NULL FROM singles WHERE n = 3
UNION ALL SELECT 'reports_other_digits', member_id, NULL FROM singles WHERE n = 4;
UPDATE demo.member_facts SET provenance = 'jlis_lookup_weak'
 WHERE member_id = (SELECT member_id FROM demo.planted WHERE kind = 'same_name_stranger');

-- J-LIS answers for every linked number: the person the number belongs to,
-- written as 住基 writes it (half-width カナ for a tenth, 丁目/番地/号).
CREATE TABLE demo.jlis_answers (
  member_id  bigint NOT NULL,
  my_number  text NOT NULL,        -- the number asked about (tokenized at load)
  found      boolean NOT NULL,
  kanji_name text, kana_name text, address text, birth_date date, sex int
);
COMMENT ON TABLE demo.jlis_answers IS 'Synthetic J-LIS answers (基本4情報) for the linked numbers of the demo members';
INSERT INTO demo.jlis_answers
SELECT m.member_id, m.my_number, true,
       replace(o.kanji_name, '髙', '高'),
       CASE WHEN m.member_id % 10 = 3 THEN translate(o.kana_name,
              'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン',
              'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ') ELSE o.kana_name END,
       regexp_replace(o.address, '^(\D+)(\d+)-(\d+)-(\d+)$', '\1\2丁目\3番地\4号'),
       om.birth_date, o.sex
  FROM demo.members m
  LEFT JOIN demo.planted p ON p.kind = 'family_swap' AND m.member_id IN (p.member_id, p.other_id)
  JOIN demo.member_facts o ON o.member_id = CASE WHEN p.kind IS NULL THEN m.member_id
                                                 WHEN m.member_id = p.member_id THEN p.other_id
                                                 ELSE p.member_id END
  JOIN demo.members om ON om.member_id = o.member_id
 WHERE m.my_number IS NOT NULL AND mynahoken.mynumber_is_valid(m.my_number);
UPDATE demo.jlis_answers SET address = '遠町8丁目8番地8号'
 WHERE member_id IN (SELECT member_id FROM demo.planted WHERE kind IN ('same_name_stranger', 'black_circle_kanji_moved'));
UPDATE demo.jlis_answers SET found = false, kanji_name = NULL, kana_name = NULL, address = NULL,
                             birth_date = NULL, sex = NULL
 WHERE member_id = (SELECT member_id FROM demo.planted WHERE kind = 'typo_passes_check_digit');
UPDATE demo.jlis_answers SET kanji_name = left(kanji_name, -1) || '●'
 WHERE member_id = (SELECT member_id FROM demo.planted WHERE kind = 'black_circle_kanji_moved');
ANALYZE demo.member_facts, demo.jlis_answers;
