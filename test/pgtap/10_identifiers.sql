-- Properties of the identifier types, checked over tables of cases against
-- a plain SQL reference implementation of each check digit written here
-- from the published rules (MHLW 設定要領, 総務省令第85号, 国税庁).
BEGIN;
SET search_path = mynahoken, public;
SELECT plan(37);

-- Reference: modulus 10, weights 2,1,2,... from the rightmost data digit.
CREATE FUNCTION pg_temp.ref_mod10(data text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT (10 - sum(p / 10 + p % 10) % 10) % 10
    FROM (SELECT substr(data, length(data) - i + 1, 1)::int * CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END AS p
            FROM generate_series(1, length(data)) AS i) AS t
$$;
CREATE FUNCTION pg_temp.ref_mynumber(base11 text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END
    FROM (SELECT sum(substr(base11, 12 - n, 1)::int * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
            FROM generate_series(1, 11) AS n) AS t
$$;

SELECT setseed(0.5);
-- 2,000 random insurer-number bodies over every insurance law code and prefecture
CREATE TEMP TABLE body AS
SELECT lpad(law::text, 2, '0') || lpad(pref::text, 2, '0') || lpad((random() * 999)::int::text, 3, '0') AS d
  FROM (SELECT (ARRAY[1,2,3,4,6,7,31,32,33,34,39,63,67,72,73,74,75])[1 + (random() * 16)::int] AS law,
               1 + (random() * 46)::int AS pref
          FROM generate_series(1, 2000)) AS g;
CREATE TEMP TABLE candidate AS
SELECT d, d || c AS n, c = pg_temp.ref_mod10(d) AS ref_valid
  FROM body, generate_series(0, 9) AS c;

SELECT is((SELECT count(*) FROM candidate WHERE insurer_number_is_valid(n) <> ref_valid), 0::bigint,
          'insurer_number_is_valid agrees with the reference on 20,000 candidates');
SELECT is((SELECT count(*) FROM candidate WHERE ref_valid), 2000::bigint,
          'exactly one check digit of ten is valid for each body');
SELECT is((SELECT count(*) FROM candidate WHERE ref_valid AND check_digit(n::insurer_number) <> right(n, 1)::int),
          0::bigint, 'check_digit returns the last digit');
SELECT is((SELECT count(*) FROM candidate WHERE ref_valid AND n::insurer_number::text <> n), 0::bigint,
          'text round trip is the identity on canonical input');
SELECT is((SELECT count(*) FROM candidate
            WHERE ref_valid AND translate(n, '0123456789', '０１２３４５６７８９')::insurer_number <> n::insurer_number),
          0::bigint, 'full-width input equals ASCII input');
SELECT is((SELECT count(*) FROM candidate WHERE ref_valid AND law_code(n::insurer_number) <> left(n, 2)),
          0::bigint, 'law_code is the first two digits');
SELECT is((SELECT count(*) FROM candidate WHERE ref_valid AND prefecture_code(n::insurer_number) <> substr(n, 3, 2)::int),
          0::bigint, 'prefecture_code is digits 3-4');
-- every single-digit substitution is caught (a property of the Luhn rule)
SELECT is((SELECT count(*)
             FROM candidate c, generate_series(1, 8) AS pos, generate_series(1, 9) AS delta
            WHERE c.ref_valid
              AND insurer_number_is_valid(overlay(c.n placing ((substr(c.n, pos, 1)::int + delta) % 10)::text
                                                  from pos for 1))),
          0::bigint, 'no single-digit substitution of a valid number is valid');

-- 国保: 6 digits, with and without the 00 padding
CREATE TEMP TABLE nhi AS
SELECT d || pg_temp.ref_mod10(d) AS n
  FROM (SELECT lpad((1 + (random() * 46)::int)::text, 2, '0') || lpad((random() * 999)::int::text, 3, '0') AS d
          FROM generate_series(1, 1000)) AS g;
SELECT is((SELECT count(*) FROM nhi WHERE NOT insurer_number_is_valid(n)), 0::bigint, '1,000 国保 numbers are valid');
SELECT is((SELECT count(*) FROM nhi WHERE ('00' || n)::insurer_number <> n::insurer_number), 0::bigint,
          '00-padded 国保 numbers equal the 6-digit form');
SELECT is((SELECT count(*) FROM nhi WHERE padded(n::insurer_number) <> '00' || n), 0::bigint,
          'padded renders 00 + 6 digits');
SELECT is((SELECT count(*) FROM nhi WHERE law_code(n::insurer_number) IS NOT NULL), 0::bigint,
          '国保 numbers have no law code');
SELECT is((SELECT count(*) FROM nhi
            WHERE category(n::insurer_number) <>
                  CASE WHEN substr(n, 3, 3)::int BETWEEN 300 AND 399 THEN 'nhi_society' ELSE 'municipal_nhi' END::insurer_category),
          0::bigint, '保険者別番号 in the 300s is a 国保組合, others 市町村国保');

-- categories by law code
SELECT results_eq(
  $$SELECT category(n::insurer_number)::text FROM (VALUES ('01130012'), ('02130011'), ('03130010'),
      ('04130019'), ('06139992'), ('07130016'), ('31130016'), ('32130015'), ('33130014'), ('34130013'),
      ('39131156'), ('63130017'), ('67130013'), ('72130016'), ('73130015'), ('74130014'), ('75130013')) AS t(n)$$,
  $$VALUES ('kyokai_kenpo'), ('seamen'), ('day_laborer'), ('day_laborer'), ('health_society'),
      ('self_defense'), ('mutual_aid'), ('mutual_aid'), ('mutual_aid'), ('mutual_aid'), ('late_elderly'),
      ('special_retiree'), ('retiree_nhi'), ('special_retiree'), ('special_retiree'), ('special_retiree'),
      ('special_retiree')$$,
  'each insurance law code maps to its category');

-- prefecture names, all 47
SELECT is((SELECT count(DISTINCT prefecture_name(('01' || lpad(p::text, 2, '0') || '001' ||
                                                  pg_temp.ref_mod10('01' || lpad(p::text, 2, '0') || '001'))::insurer_number))
             FROM generate_series(1, 47) AS p), 47::bigint, '47 distinct prefecture names');
SELECT is(prefecture_name('01010016'::insurer_number), '北海道', '01 is 北海道');
SELECT is(prefecture_name('01470012'::insurer_number), '沖縄県', '47 is 沖縄県');

-- rejections by SQLSTATE and message
SELECT throws_ok($$SELECT '01130013'::insurer_number$$, '22P02',
                 'invalid input syntax for type insurer_number', 'a wrong check digit is 22P02');
SELECT throws_ok($$SELECT '0113001'::insurer_number$$, '22P02',
                 'invalid input syntax for type insurer_number', 'a wrong length is 22P02');
SELECT throws_ok($$SELECT '54016027'::insurer_number$$, '22P02',
                 'invalid input syntax for type insurer_number', 'a 公費 law code is 22P02');
SELECT throws_ok($$SELECT '01000017'::insurer_number$$, '22P02',
                 'invalid input syntax for type insurer_number', 'prefecture 00 is 22P02');
SELECT throws_ok($$SELECT '01480011'::insurer_number$$, '22P02',
                 'invalid input syntax for type insurer_number', 'prefecture 48 is 22P02');
SELECT throws_ok($$SELECT '87654321'::public_payer_number$$, '22P02',
                 'invalid input syntax for type public_payer_number', 'the デジタル庁 payer sample is rejected');
SELECT throws_ok($$SELECT '0000002'::public_recipient_number$$, '22P02',
                 'invalid input syntax for type public_recipient_number', 'the デジタル庁 recipient sample is rejected');
SELECT throws_ok($$SELECT card_number_normalize('')$$, '22P02', 'invalid card number', 'an empty card number is 22P02');

-- 公費: payer (8 digits) and recipient (7 digits, 6 data digits weighted from the right)
CREATE TEMP TABLE recip AS
SELECT d, d || c AS n, c = pg_temp.ref_mod10(d) AS ref_valid
  FROM (SELECT lpad((random() * 999999)::int::text, 6, '0') AS d FROM generate_series(1, 500)) AS g,
       generate_series(0, 9) AS c;
SELECT is((SELECT count(*) FROM recip WHERE public_recipient_number_is_valid(n) <> ref_valid), 0::bigint,
          'recipient numbers agree with the reference on 5,000 candidates');
SELECT is(public_recipient_number_is_valid('1234569'), false, 'weighting from the left (1234569) is wrong');
CREATE TEMP TABLE payer AS
SELECT d || c AS n, c = pg_temp.ref_mod10(d) AS ref_valid
  FROM (SELECT lpad((10 + random() * 89)::int::text, 2, '0') || lpad((1 + (random() * 46)::int)::text, 2, '0')
               || lpad((random() * 999)::int::text, 3, '0') AS d FROM generate_series(1, 500)) AS g,
       generate_series(0, 9) AS c;
SELECT is((SELECT count(*) FROM payer WHERE public_payer_number_is_valid(n) <> ref_valid), 0::bigint,
          'payer numbers agree with the reference on 5,000 candidates');

-- My Number: exactly one check digit of ten, agreeing with the ordinance
CREATE TEMP TABLE mn AS
SELECT b, b || c AS n, c = pg_temp.ref_mynumber(b) AS ref_valid
  FROM (SELECT lpad((floor(random() * 1e11))::bigint::text, 11, '0') AS b FROM generate_series(1, 2000)) AS g,
       generate_series(0, 9) AS c;
SELECT is((SELECT count(*) FROM mn WHERE mynumber_is_valid(n) <> ref_valid), 0::bigint,
          'mynumber_is_valid agrees with 総務省令第85号 on 20,000 candidates');
SELECT is((SELECT count(*) FROM mn WHERE ref_valid), 2000::bigint, 'one valid check digit per base');
SELECT is((SELECT count(*) FROM mn WHERE ref_valid AND NOT mynumber_is_valid(substr(n, 1, 4) || '-' || substr(n, 5, 4) || '-' || substr(n, 9))),
          0::bigint, 'hyphenated groups are accepted');
SELECT is((SELECT count(*) FROM mn WHERE mynumber_problem(n) ~ '[0-9]{4}'), 0::bigint,
          'mynumber_problem never shows a run of digits');

-- 法人番号
CREATE TEMP TABLE corp AS
SELECT b, c::text || b AS n,
       c = (SELECT 9 - sum(substr(b, 13 - k, 1)::int * CASE WHEN k % 2 = 1 THEN 1 ELSE 2 END) % 9
              FROM generate_series(1, 12) AS k) AS ref_valid
  FROM (SELECT lpad((floor(random() * 1e12))::bigint::text, 12, '0') AS b FROM generate_series(1, 1000)) AS g,
       generate_series(0, 9) AS c;
SELECT is((SELECT count(*) FROM corp WHERE corporate_number_is_valid(n) <> ref_valid), 0::bigint,
          'corporate_number_is_valid agrees with the 国税庁 rule on 10,000 candidates');

-- card parts: normalisation is idempotent and width-insensitive
CREATE TEMP TABLE part(v) AS VALUES ('1060708'), ('１０６０７０８'), ('12-34'), ('ＡＢ12'), ('ｶﾞｸﾎﾟ'),
  ('肩腰1'), ('あいう'), ('ｱｲｳ'), ('A-1'), ('７７７');
SELECT is((SELECT count(*) FROM part WHERE card_symbol_normalize(card_symbol_normalize(v)) <> card_symbol_normalize(v)),
          0::bigint, 'card_symbol_normalize is idempotent');
SELECT is((SELECT count(*) FROM part
            WHERE card_symbol_normalize(v) <> card_symbol_normalize(card_symbol_normalize(v, true))),
          0::bigint, 'full-width rendering normalises back to the same part');
SELECT is(insured_key('０１１３００１２', '１０６０７０８', '１２３', '１'),
          insured_key('01130012', '1060708', '123', '01'), 'insured_key is width-insensitive');
SELECT is(insured_key('131151', NULL, '1', NULL), '00131151::1:', '国保 keys use the 8-digit form and empty parts');

SELECT * FROM finish();
ROLLBACK;
