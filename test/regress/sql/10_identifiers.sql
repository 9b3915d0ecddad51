-- Identifier types and functions: 保険者番号, 公費負担者番号/受給者番号,
-- 記号・番号・枝番, My Number and 法人番号 check digits.
SET search_path = mynahoken, public;

--
-- insurer_number: accepted forms, all printed in canonical ASCII
--
SELECT v, v::insurer_number AS canonical
  FROM (VALUES ('01130012'), (' 01130012 '), ('０１１３００１２'), ('　01130012　'),
               ('320010'), ('00320010'), (' 320010')) AS t(v);

-- accessors, one row per category
SELECT n, law_code(n), category(n), prefecture_code(n), prefecture_name(n),
       check_digit(n), padded(n)
  FROM (VALUES ('01130012'::insurer_number), ('02130011'), ('04130019'), ('06139992'),
               ('07130016'), ('31130016'), ('39131156'), ('63130017'), ('67130013'),
               ('013003'), ('320010')) AS t(n);

--
-- insurer_number: each kind of rejection (SQLSTATE 22P02, the value is never echoed)
--
\set VERBOSITY default
SELECT ''::insurer_number;
SELECT '0113001'::insurer_number;
SELECT '01130013'::insurer_number;
SELECT '01A30012'::insurer_number;
SELECT '0113 0012'::insurer_number;
SELECT '54016027'::insurer_number;
SELECT '01480011'::insurer_number;
SELECT '480012'::insurer_number;
-- a My Number typed into the wrong column is not repeated in the error
-- (test files never hold a 12-digit number in one piece: their text is echoed)
SELECT ('1234' || '56789018')::insurer_number;
\set VERBOSITY sqlstate
SELECT '01130013'::insurer_number;
\set VERBOSITY default

-- the non-raising companions for dirty columns
SELECT v, insurer_number_is_valid(v) AS valid, insurer_number_problem(v) AS problem
  FROM (VALUES ('01130012'), ('０１１３００１２'), ('01130013'), ('0113001'),
               ('01-130012'), (''), ('54016027')) AS t(v);
SELECT insurer_number_is_valid(NULL), insurer_number_problem(NULL);

--
-- operators, ordering, indexes (6-digit 国保 numbers sort first)
--
CREATE TABLE insurer (n insurer_number PRIMARY KEY, name text);
INSERT INTO insurer VALUES ('01130012', '協会けんぽ 東京'), ('320010', '国保'),
  ('39131156', '後期 東京'), ('06139992', '健保組合');
SELECT n, name FROM insurer ORDER BY n;
SELECT count(*) FROM insurer WHERE n > '320010' AND n <= '39131156' AND n <> '06139992';
INSERT INTO insurer VALUES ('０１１３００１２', 'duplicate in full width');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM insurer WHERE n = '01130012';
RESET enable_seqscan;
CREATE TABLE insurer_hashed AS SELECT * FROM insurer;
CREATE INDEX ON insurer_hashed USING hash (n);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM insurer_hashed WHERE n = '01130012';
SELECT name FROM insurer_hashed WHERE n = '01130012';
RESET enable_seqscan;
-- hash join and merge join
SET enable_mergejoin = off;
SELECT count(*) FROM insurer a JOIN insurer_hashed b ON a.n = b.n;
RESET enable_mergejoin;
-- hash partitioning needs support function 2
CREATE TABLE insurer_part (n insurer_number) PARTITION BY HASH (n);
CREATE TABLE insurer_part_0 PARTITION OF insurer_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE insurer_part_1 PARTITION OF insurer_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO insurer_part SELECT n FROM insurer;
SELECT tableoid::regclass, n FROM insurer_part ORDER BY n;
-- the hash is int4's, frozen: these values must never change
SELECT insurer_number_hash('01130012'), to_hex(insurer_number_hash_extended('01130012', 42));

-- binary COPY round trip (files in the test run's own temporary directory)
\getenv tmpdir MH_TMP
\set insurer_bin :tmpdir '/insurer.bin'
\set raw_bin :tmpdir '/raw.bin'
COPY insurer TO :'insurer_bin' WITH (FORMAT binary);
CREATE TABLE insurer_copy (LIKE insurer);
COPY insurer_copy FROM :'insurer_bin' WITH (FORMAT binary);
SELECT count(*) FROM insurer_copy JOIN insurer USING (n, name);
-- binary input is checked as text input is: an int4 column read as insurer_number
CREATE TABLE raw_int (n int4);
INSERT INTO raw_int VALUES (1130013);
COPY raw_int TO :'raw_bin' WITH (FORMAT binary);
COPY insurer_part FROM :'raw_bin' WITH (FORMAT binary);

--
-- public_payer_number (公費負担者番号) and public_recipient_number (公費受給者番号)
--
SELECT p, law_code(p), prefecture_code(p), prefecture_name(p), check_digit(p),
       public_expense_program(p)
  FROM (VALUES ('54016027'::public_payer_number), ('12132817'), ('８２１３４００８')) AS t(p);
SELECT '1234566'::public_recipient_number AS r, check_digit('1234566'::public_recipient_number);
SELECT '87654321'::public_payer_number;
SELECT '54006028'::public_payer_number;
SELECT '5401602'::public_payer_number;
SELECT '1234569'::public_recipient_number;
SELECT '0000002'::public_recipient_number;
SELECT v, public_payer_number_is_valid(v), public_payer_number_problem(v),
       public_recipient_number_is_valid(v), public_recipient_number_problem(v)
  FROM (VALUES ('54016027'), ('1234566'), ('5401602x')) AS t(v);
SELECT '54016027'::public_payer_number < '82134008'::public_payer_number,
       '1234566'::public_recipient_number = '１２３４５６６'::public_recipient_number;

--
-- 記号・番号・枝番 and the insured-person key
--
SELECT v, card_symbol_normalize(v) AS normalized, card_symbol_normalize(v, true) AS full_width
  FROM (VALUES ('1060708'), ('１０６０７０８'), ('12-34'), ('ＡＢ12'), ('ｶﾞｸﾎﾟ'), ('肩腰1'), ('')) AS t(v);
SELECT card_number_normalize(' １８７ '), card_branch_normalize('5'), card_branch_normalize('０１'),
       card_branch_normalize('');
SELECT insured_key('01130012', '１０６０７０８', '１２３', '1') AS kyokai,
       insured_key('39131156', NULL, '00012345', NULL) AS late_elderly,
       insured_key('320010', 'あいう', '１８７', '05') AS nhi,
       insured_key(NULL, '1', '2', '3') AS no_insurer,
       insured_key('01130012', '1', NULL, '3') AS no_number;
SELECT card_symbol_normalize('12 34');
SELECT card_number_normalize('');
SELECT card_number_normalize(repeat('1', 41));
SELECT card_number_normalize(E'12\t3');
SELECT card_symbol_normalize('Café');
SELECT card_branch_normalize('100');
SELECT insured_key('01130012', '1', '2', 'x');
SELECT card_symbol_problem('12 34'), card_number_problem(''), card_branch_problem('1a'),
       card_symbol_problem('１２'), card_number_problem('あ'), card_branch_problem('');
-- the key as a unique constraint: the same person keyed in two widths collides
CREATE TABLE person (
  insurer insurer_number, symbol text, number text, branch text,
  key text GENERATED ALWAYS AS (insured_key(insurer, symbol, number, branch)) STORED UNIQUE
);
INSERT INTO person VALUES ('01130012', '1060708', '123', '01');
INSERT INTO person VALUES ('０１１３００１２', '１０６０７０８', '１２３', '1');

--
-- My Number and 法人番号 check digits (synthetic numbers only)
--
SELECT mynumber_is_valid('1234' || '5678' || '9018') AS plain,
       mynumber_is_valid('1234-5678-9018') AS hyphens,
       mynumber_is_valid('１２３４ ５６７８ ９０１８') AS full_width,
       mynumber_is_valid('1234' || '5678' || '9019') AS bad_check,
       mynumber_is_valid('12345678901') AS short,
       mynumber_is_valid('') AS empty,
       mynumber_is_valid(NULL) AS null_in;
SELECT mynumber_problem('1234' || '5678' || '9019'), mynumber_problem('12345678901x'),
       mynumber_problem('1234-5678-9018');
SELECT corporate_number_is_valid('7000012050002'), corporate_number_is_valid('8000012050002'),
       corporate_number_problem('8000012050002'), corporate_number_problem('T7000012050002');

--
-- catalog checks: opclasses validate, every function is immutable and
-- parallel safe, the types are passed by value with send and receive
--
SELECT opcname, amname, amvalidate(c.oid)
  FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
 WHERE opcnamespace = 'mynahoken'::regnamespace ORDER BY 1, 2;
SELECT typname, typbyval, typlen, typsend::text <> '-' AS has_send, typreceive::text <> '-' AS has_recv
  FROM pg_type WHERE typnamespace = 'mynahoken'::regnamespace AND typtype = 'b' AND typname NOT LIKE '\_%'
 ORDER BY 1;
SELECT proname, provolatile, proparallel, proisstrict
  FROM pg_proc
 WHERE pronamespace = 'mynahoken'::regnamespace
   AND (provolatile <> 'i' OR proparallel <> 's')
   AND proname ~ '^(insurer_number|public_|card_|insured_key|mynumber_is|mynumber_problem|corporate|law_code|category|prefecture|check_digit|padded)'
 ORDER BY 1;

-- in a database that is not UTF-8, full-width input still works
CREATE DATABASE mynahoken_eucjp ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c mynahoken_eucjp
SET client_encoding = 'UTF8';
CREATE EXTENSION mynahoken;
SELECT '０１１３００１２'::mynahoken.insurer_number,
       mynahoken.prefecture_name('01130012'::mynahoken.insurer_number),
       mynahoken.card_symbol_normalize('ｶﾞｸ12'),
       mynahoken.insured_key('01130012', '１０６', 'あ', '1');
\c contrib_regression
DROP DATABASE mynahoken_eucjp;
