-- My Number linkage checks (doc/linkage.md): fold levels, a table of cases
-- for each reason, the work queue and its transitions, incremental and
-- resumed runs, roles.  Synthetic people only; My Numbers are built here
-- from 11 base digits and their check digit, never written out.
BEGIN;
SET search_path = public, mynahoken;
SELECT plan(138);

CREATE FUNCTION pg_temp.mn(base bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT b || (CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END)::text
    FROM (SELECT lpad(base::text, 11, '0') AS b) x,
         LATERAL (SELECT sum(substr(b, 12 - n, 1)::int
                             * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
                    FROM generate_series(1, 11) n) y
$$;
-- The fold level at which two values of a field match (NULL: none).
CREATE FUNCTION pg_temp.lvl(a text, b text, field text) RETURNS integer
LANGUAGE sql AS $$
  SELECT mynahoken.linkage_match_level(
           mynahoken.linkage_digests(a, field, v.variant_from, v.variant_to),
           mynahoken.linkage_digests(b, field, v.variant_from, v.variant_to))
    FROM mynahoken.kanji_variant_strings() AS v
$$;

INSERT INTO mynahoken.kanji_variant (variant, standard) VALUES ('髙', '高'), ('﨑', '崎'), ('邊', '辺');

-- ---- fold levels, through the digests (NFKC is PostgreSQL's) ----------------
SELECT is(pg_temp.lvl('タナカ ハナコ', 'タナカ ハナコ', 'kana'), 0, 'same カナ matches at K0');
SELECT is(pg_temp.lvl('ﾀﾅｶ ﾊﾅｺ', 'タナカハナコ', 'kana'), 1, 'half-width カナ matches at K1 (NFKC)');
SELECT is(pg_temp.lvl('たなか　はなこ', 'タナカ ハナコ', 'kana'), 1, 'hiragana and U+3000 match at K1');
SELECT is(pg_temp.lvl('ｷｮｳｺ', 'キヨウコ', 'kana'), 2, 'small kana match large at K2');
SELECT is(pg_temp.lvl('ツヅキ', 'ツズキ', 'kana'), 3, 'ヅ matches ズ at K3');
-- Refused folds are no match level (0-3): equal only in a review form
-- (4: voicing removed, 5: long vowels folded), which gives a review code.
SELECT is(pg_temp.lvl('ダイスケ', 'タイスケ', 'kana'), 4, 'refused: 濁点 is never dropped (equal only in the voicing review form)');
SELECT is(pg_temp.lvl('ﾀﾞｲｽｹ', 'タイスケ', 'kana'), 4, 'refused: half-width ﾀﾞ is ダ, not タ (voicing review form only)');
SELECT is(pg_temp.lvl('パク', 'ハク', 'kana'), 4, 'refused: 半濁点 is never dropped (voicing review form only)');
SELECT is(pg_temp.lvl('オーノ', 'オオノ', 'kana'), 5, 'refused: long vowels are not folded (equal only in the long-vowel review form)');
SELECT is(pg_temp.lvl('ユーコ', 'ユウコ', 'kana'), 5, 'refused: ー/ウ after ユ (long-vowel review form only)');
SELECT is(pg_temp.lvl('トウキョウ', 'トーキョー', 'kana'), 5, 'refused: オウ/オー (long-vowel review form only)');
SELECT is(pg_temp.lvl('ダイスケ', 'タイスケー', 'kana'), NULL, 'two refused folds at once: no form is equal');
SELECT is(pg_temp.lvl('ヤマダ ハナコ', 'スズキ ハナコ', 'kana'), 6, 'another surname: only the given name (element 6) is equal');
SELECT is(pg_temp.lvl('ヤマダハナコ', 'スズキハナコ', 'kana'), NULL, 'without a 氏/名 gap there is no given name to compare');
SELECT is(pg_temp.lvl('ヨシコ', 'ヨウコ', 'kana'), NULL, 'refused: no fuzzy kana');
SELECT is(pg_temp.lvl('髙橋 花子', '高橋花子', 'kanji'), 2, 'kanji variant 髙/高 matches at J2 (the DBA table)');
SELECT is(pg_temp.lvl('山﨑', '山崎', 'kanji'), 2, '﨑/崎 matches at J2');
SELECT is(pg_temp.lvl('斉藤', '斎藤', 'kanji'), NULL, 'a pair not in the table does not match');
SELECT is(mynahoken.linkage_digests('山●', 'kanji'), NULL, 'refused: ● is no wildcard (no digest at all)');
SELECT is(pg_temp.lvl('本町一丁目２番３号', '本町1-2-3', 'address'), 1, 'address notation matches at A1');
SELECT is(pg_temp.lvl('本町1-2-3', '本町1-2-4', 'address'), NULL, 'another 号 is another address');
SELECT isnt(mynahoken.linkage_birth_date_digest('1970-01-01'), mynahoken.linkage_birth_date_digest('1970-01-02'),
            'refused: no fuzz on birth dates');
SELECT isnt(mynahoken.linkage_sex_digest(1), mynahoken.linkage_sex_digest(2), 'refused: no fuzz on sex');

-- ---- the synthetic insurer's members and J-LIS answers ---------------------
CREATE TEMP TABLE m (insured_key text, household text, token mynahoken.mynumber_token,
  sealed mynahoken.mynumber_sealed, provenance text, number_confirmed boolean,
  sent_token mynahoken.mynumber_token, kanji_name text, kana_name text, address text,
  birth_date date, sex integer);
CREATE TEMP TABLE j (insured_key text, token mynahoken.mynumber_token, asked_on date, source text,
  found boolean, kanji_name text, kana_name text, address text, birth_date date, sex integer,
  source_ref text);
-- people: key, household, number base, names, address, birth date, sex
CREATE TEMP TABLE p (k text, h text, b bigint, kanji text, kana text, addr text, dob date, sex int, prov text);
INSERT INTO p VALUES
  ('K01', 'H1', 1001, '田中 一郎', 'タナカ イチロウ', '本町1丁目2番3号', '1970-01-01', 1, 'employer_submitted'),
  ('K02', 'H2', 1002, '鈴木 健', 'スズキ ケン', '北町5-1', '1968-03-03', 1, 'employer_submitted'),
  ('K03', 'H2', 1003, '鈴木 陽菜', 'スズキ ヒナ', '北町5-1', '2001-06-06', 2, 'employer_submitted'),
  ('K04', 'H3', 1004, '佐藤 美咲', 'サトウ ミサキ', '南町2-2', '2010-09-09', 2, 'employer_submitted'),
  ('K05', 'H3', 1005, '佐藤 美穂', 'サトウ ミホ', '南町2-2', '2010-09-09', 2, 'employer_submitted'),
  ('K06', 'H4', 1006, '伊藤 誠', 'イトウ マコト', '東町3-3', '1980-04-04', 1, 'jlis_lookup_weak'),
  ('K07', 'H5', 1007, '渡辺 翔', 'ワタナベ ショウ', '西町4-4', '1990-07-07', 1, 'employer_submitted'),
  ('K08', 'H6', 1008, '髙橋 京子', 'タカハシ キョウコ', '中町6-6', '1975-08-08', 2, 'member_submitted'),
  ('K09', 'H7', 1009, '山﨑 ●子', 'ヤマサキ ハナコ', '旭町7-7', '1985-02-02', 2, 'employer_submitted'),
  ('K10', 'H8', 1010, '小林 茂', 'コバヤシ シゲル', '緑町8-8', '1960-10-10', 1, 'employer_submitted'),
  ('K11', 'H9', 1010, '加藤 勇', 'カトウ イサム', '若葉町9-9', '1962-12-12', 1, 'employer_submitted'),
  ('K12', 'H10', 1012, '吉田 恵', 'ヨシダ メグミ', '桜町1-1', '1995-01-15', 2, 'employer_submitted'),
  ('K13', 'H11', 1013, '斉藤 実', 'サイトウ ミノル', '松町2-2', '1955-05-05', 1, 'member_submitted'),
  ('K14', 'H12', 1014, '森 光', 'モリ ヒカル', '竹町3-3', '2000-02-29', 1, 'member_submitted'),
  ('K15', 'H13', 1015, '林 大輔', 'ハヤシ ダイスケ', '梅町4-4', '1977-07-17', 1, 'employer_submitted'),
  ('K16', 'H14', 1016, '清水 翼', 'シミズ ツバサ', '菊町5-5', '1999-09-19', 1, 'employer_submitted'),
  ('K17', 'H15', 1017, '山田 花子', 'ヤマダ ハナコ', '桃町6-6', '1988-06-16', 2, 'member_submitted'),
  ('K18', 'H16', 1018, '大野 裕子', 'オーノ ユーコ', '栗町7-7', '1979-11-11', 2, 'member_submitted'),
  ('K19', 'H17', 1019, '石井 豊', 'イシイ ユタカ', '柿町8-8', '1966-03-30', 1, 'member_submitted');
-- a typo of K07's number that still passes the check digit: one digit changed
CREATE TEMP TABLE typo AS
SELECT t.n FROM (SELECT b, pos, d, overlay(pg_temp.mn(b) PLACING d::text FROM pos FOR 1) AS n
                   FROM generate_series(2001, 2200) b, generate_series(1, 11) pos, generate_series(0, 9) d) t
 WHERE t.n <> pg_temp.mn(t.b) AND mynahoken.mynumber_is_valid(t.n)
 ORDER BY t.b, t.pos, t.d LIMIT 1;
SELECT is((SELECT count(*) FROM typo), 1::bigint, 'a one-digit typo of a number passes the check digit');

INSERT INTO m
SELECT p.k, p.h,
       mynahoken.tokenize(CASE p.k WHEN 'K02' THEN pg_temp.mn(1003) WHEN 'K03' THEN pg_temp.mn(1002)   -- family swap
                                   WHEN 'K04' THEN pg_temp.mn(1005) WHEN 'K05' THEN pg_temp.mn(1004)   -- twins swapped
                                   WHEN 'K07' THEN (SELECT n FROM typo)
                                   ELSE pg_temp.mn(p.b) END),
       mynahoken.seal(CASE p.k WHEN 'K07' THEN (SELECT n FROM typo) ELSE pg_temp.mn(p.b) END),
       p.prov, false,
       CASE WHEN p.k = 'K14' THEN mynahoken.tokenize(pg_temp.mn(99014)) END,
       CASE p.k WHEN 'K13' THEN '斎藤 実' ELSE p.kanji END,
       CASE p.k WHEN 'K15' THEN 'ハヤシ タイスケ' ELSE p.kana END,
       CASE p.k WHEN 'K01' THEN '本町一丁目２番地３号' WHEN 'K09' THEN '旭町7-8' ELSE p.addr END,
       p.dob, p.sex
  FROM p;
-- J-LIS answers for the number linked to each member: the facts of the
-- person the number belongs to (a typo's number belongs to nobody here).
INSERT INTO j
SELECT m.insured_key, m.token, DATE '2026-11-01', 'own_query', owner.k IS NOT NULL,
       CASE m.insured_key WHEN 'K08' THEN '高橋 京子' WHEN 'K17' THEN '鈴木 花子' ELSE owner.kanji END,
       CASE m.insured_key WHEN 'K08' THEN 'タカハシ キヨウコ' WHEN 'K17' THEN 'スズキ ハナコ'
                          WHEN 'K18' THEN 'オオノ ユウコ' ELSE owner.kana END,
       CASE WHEN m.insured_key = 'K06' THEN '遠町9-9' ELSE owner.addr END,
       CASE WHEN m.insured_key = 'K16' THEN owner.dob + 1 ELSE owner.dob END,
       CASE WHEN m.insured_key = 'K15' THEN owner.sex ELSE owner.sex END,
       'test file row ' || m.insured_key
  FROM m LEFT JOIN LATERAL (SELECT * FROM p WHERE mynahoken.tokenize(pg_temp.mn(p.b)) = m.token
                             ORDER BY p.k LIMIT 1) AS owner ON true;
UPDATE j SET sex = 2 WHERE insured_key = 'K16';

SELECT is(mynahoken.linkage_load_members('pg_temp.m'), 19::bigint, 'nineteen members loaded');
SELECT is(mynahoken.linkage_load_members('pg_temp.m'), 0::bigint, 'loading the same facts again changes nothing');
SELECT is(mynahoken.linkage_load_jlis('pg_temp.j'), 19::bigint, 'nineteen J-LIS answers loaded');
-- K19's answer as if made under another key version (the first byte of a
-- digest): after a key rotation without a reload nothing is compared.
UPDATE mynahoken.linkage_member
   SET jlis_birth_date_digest = set_byte(jlis_birth_date_digest, 0, get_byte(jlis_birth_date_digest, 0) + 1),
       jlis_kana_digest = ARRAY['\x00'::bytea]
 WHERE insured_key = 'K19';
SELECT is((SELECT count(*) FROM mynahoken.linkage_member WHERE jlis_response_id IS NULL), 0::bigint,
          'every member points at its answer');
SELECT ok(NOT EXISTS (SELECT FROM mynahoken.linkage_member l JOIN p ON true
                       WHERE position(p.kana IN l::text) > 0 OR position(p.kanji IN l::text) > 0),
          'no name is stored in clear');

-- reports: K01 reads the right digits, K12 wrong ones, K13 right ones (full width)
SELECT ok(mynahoken.record_member_report('K01', right(pg_temp.mn(1001), 4), 'last4_ok') > 0, 'K01 reports its digits');
SELECT ok(mynahoken.record_member_report('K12', translate(right(pg_temp.mn(1012), 4), '0123456789', '1234567890'),
                                         'last4_differs', 'mail') > 0, 'K12 reports other digits');
SELECT ok(mynahoken.record_member_report('K13', translate(right(pg_temp.mn(1013), 4), '0123456789', '０１２３４５６７８９'),
                                         'last4_ok') > 0, 'K13 reports its digits in full width');
SELECT results_eq($$SELECT insured_key, last4_matches FROM mynahoken.member_report ORDER BY 1$$,
                  $$VALUES ('K01', true), ('K12', false), ('K13', true)$$,
                  'only yes/no is kept of the reported digits');
SELECT is(mynahoken.record_member_report('K99', '1234', 'last4_ok'), NULL,
          'an unknown member: nothing recorded, and no error (which would log the statement)');

-- ---- the check ---------------------------------------------------------------
CALL mynahoken.linkage_check_nightly(full_check => true, batch_size => 5, commit_batches => false);
SELECT throws_ok($$CALL mynahoken.linkage_check_nightly(batch_size => 0, commit_batches => false)$$,
                 '22023', 'batch_size must be a positive integer', 'a batch size of 0 is refused by name');
CALL mynahoken.linkage_check_nightly(batch_size => NULL, commit_batches => false);
SELECT is((SELECT l.batch_size FROM mynahoken.linkage_run AS l ORDER BY l.run_id DESC LIMIT 1), 50000,
          'a null batch size is automatic, never a silent no-op: 50,000 for an incremental check');
CALL mynahoken.linkage_check_nightly(full_check => true, commit_batches => false);
SELECT is((SELECT l.batch_size FROM mynahoken.linkage_run AS l ORDER BY l.run_id DESC LIMIT 1), 100000,
          'by default a full check of a small table is one batch of at least 100,000 members');
ANALYZE mynahoken.linkage_member;
SELECT set_config('mh.tap_members', (SELECT c.reltuples::bigint::text FROM pg_class c WHERE c.oid = 'mynahoken.linkage_member'::regclass), true);
UPDATE pg_class SET reltuples = 5000000 WHERE oid = 'mynahoken.linkage_member'::regclass;
CALL mynahoken.linkage_check_nightly(full_check => true, commit_batches => false);
SELECT is((SELECT l.batch_size FROM mynahoken.linkage_run AS l ORDER BY l.run_id DESC LIMIT 1), 500000,
          'a full check of 5,000,000 members (by the statistics): ten batches of 500,000');
UPDATE pg_class SET reltuples = current_setting('mh.tap_members')::real WHERE oid = 'mynahoken.linkage_member'::regclass;
SELECT throws_ok($$CALL mynahoken.linkage_check_nightly(full_check => NULL, commit_batches => false)$$,
                 '22004', 'full_check and commit_batches must not be null', 'a null full_check is refused');
CREATE TEMP VIEW r AS
SELECT c.insured_key, c.reasons, c.severity FROM mynahoken.linkage_check c;

SELECT ok(NOT EXISTS (SELECT FROM r WHERE insured_key = 'K01'),
          'K01: right person, only the address notation differs: severity 0, no row');
SELECT is((SELECT count(*) FROM r), 18::bigint, 'eighteen members of severity 1 and up');
SELECT results_eq($$SELECT code FROM unnest(mynahoken.linkage_reason_list()) AS code ORDER BY 1$$,
                  $$SELECT code FROM mynahoken.linkage_reason ORDER BY 1$$,
                  'the C check and the reason table know the same codes');
SELECT ok((SELECT '{birth_date_mismatch,household_swap}' <@ reasons FROM r WHERE insured_key = 'K02'),
          'family swap: K02 has the child''s number (birth date, household swap)');
SELECT ok((SELECT '{birth_date_mismatch,sex_mismatch,household_swap}' <@ reasons FROM r WHERE insured_key = 'K03'),
          'family swap: K03 has the parent''s number');
SELECT ok((SELECT '{kana_mismatch,kanji_mismatch,household_swap}' <@ reasons FROM r WHERE insured_key = 'K04'),
          'twins: K04 has her twin''s number (names differ, household swap)');
SELECT ok((SELECT NOT reasons && '{birth_date_mismatch,sex_mismatch}' FROM r WHERE insured_key = 'K04'),
          'twins: birth date and sex match');
SELECT ok((SELECT 'household_swap' = ANY (reasons) FROM r WHERE insured_key = 'K05'), 'twins: K05 too');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K06'),
          '{address_mismatch_after_lookup,provenance_weak_unconfirmed}',
          'same-name stranger at another address: the address after a weak lookup');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K06'), 3::smallint, 'same-name stranger: severity 3');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K07'), '{jlis_not_found}',
          'typo that passes the check digit: J-LIS has nobody');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K08'),
          '{kana_small_large_only,kanji_variant_only}', 'kanji variant 髙/高 and small kana match');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K08'), 1::smallint, 'kanji variants: information only');
SELECT ok((SELECT '{kanji_unverifiable,address_mismatch_kanji_unverifiable}' <@ reasons FROM r WHERE insured_key = 'K09'),
          '● does not match: unverifiable, and then the address is required');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K09'), 3::smallint, '●: severity 3');
SELECT ok((SELECT 'token_shared_other_person' = ANY (reasons) FROM r WHERE insured_key = 'K10')
          AND (SELECT 'token_shared_other_person' = ANY (reasons) FROM r WHERE insured_key = 'K11'),
          'one token on two different people: both members');
SELECT ok((SELECT 'member_reports_last4_differs' = ANY (reasons) FROM r WHERE insured_key = 'K12'),
          'reported digits wrong: flagged');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K12'), 3::smallint, 'reported digits wrong: severity 3');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K13'),
          '{kanji_mismatch,member_reports_last4_ok}', 'kanji differ, digits right');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K13'), 1::smallint,
          'right reported digits lower a name-only code by one');
SELECT ok((SELECT 'correction_not_sent' = ANY (reasons) FROM r WHERE insured_key = 'K14'),
          'a corrected number not yet sent onward');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K15'), '{kana_voicing_only}',
          'ダイスケ against タイスケ: the refused fold gives a review code, not a match');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K15'), 2::smallint, 'a voicing difference opens a case');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K18'), '{kana_long_vowel_only}',
          'オーノ ユーコ against オオノ ユウコ: a review code, not a match');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K17'), '{surname_only_mismatch}',
          'only the surname differs (given name, birth date, sex match): surname_only_mismatch, no kana or kanji mismatch');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K17'), 2::smallint, 'a surname-only difference is a review');
SELECT ok((SELECT 'kana_mismatch' = ANY (reasons) AND NOT 'surname_only_mismatch' = ANY (reasons) FROM r WHERE insured_key = 'K04'),
          'twins share the surname but differ in the given name: a カナ mismatch, not surname-only');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K19'), '{digest_key_stale}',
          'digests under another key version: nothing compared, no mismatch reported');
SELECT is((SELECT severity FROM r WHERE insured_key = 'K19'), 1::smallint, 'a stale key version is information');
SELECT ok((SELECT reasons @> '{birth_date_mismatch,sex_mismatch}' FROM r WHERE insured_key = 'K16'),
          'a birth date one day off and another sex are mismatches');
SELECT results_eq($$SELECT insured_key FROM mynahoken.linkage_queue ORDER BY 1$$,
                  $$VALUES ('K02'), ('K03'), ('K04'), ('K05'), ('K06'), ('K07'), ('K09'), ('K10'), ('K11'),
                           ('K12'), ('K14'), ('K15'), ('K16'), ('K17'), ('K18')$$,
                  'a case for every member of severity 2 and up');
SELECT is((SELECT members_checked FROM mynahoken.linkage_run ORDER BY run_id DESC LIMIT 1), 19::bigint,
          'the full run checked every member in batches of five');
-- due days: open days of the administration from today, per severity
SELECT is((SELECT count(*) FROM mynahoken.linkage_case
            WHERE due_on IS DISTINCT FROM mynahoken.linkage_due_on(current_date, CASE WHEN severity = 3 THEN 5 ELSE 20 END)),
          0::bigint, 'every case is due 5 open days (severity 3) or 20 (severity 2) after today');
SELECT ok((SELECT bool_and(due_on > current_date AND NOT mynahoken.is_closed_day(due_on)) FROM mynahoken.linkage_case),
          'due days are open days after today');
SELECT is(mynahoken.linkage_due_on('2026-12-25', 5), '2027-01-07'::date,
          'five open days after 2026-12-25 skip the weekend and 12/29-1/3');
SELECT is(mynahoken.linkage_due_on('2026-12-25', 20), '2027-01-29'::date, 'twenty open days skip 成人の日 too');
SELECT is(mynahoken.linkage_due_on('2099-01-01', 5), NULL, 'no due day beyond the holiday calendar');
UPDATE mynahoken.linkage_due_period SET open_days = 3 WHERE severity = 3;

-- ---- explanation: checks and levels, never data -------------------------------
CREATE TEMP TABLE e AS
SELECT mynahoken.explain_linkage_case((SELECT case_id FROM mynahoken.linkage_case WHERE insured_key = 'K09')) AS x;
SELECT is((SELECT x->'checks'->>'kanji' FROM e), 'unverifiable', 'explanation: 漢字 unverifiable');
SELECT is((SELECT (x->>'due_on')::date FROM e), mynahoken.linkage_due_on(current_date, 5), 'explanation: the due day');
SELECT is(mynahoken.explain_linkage_case((SELECT case_id FROM mynahoken.linkage_case WHERE insured_key = 'K17'))->'checks'->>'kana',
          'given_name_only', 'explanation: only the given name matched');
SELECT is(mynahoken.explain_linkage_case((SELECT case_id FROM mynahoken.linkage_case WHERE insured_key = 'K15'))->'checks'->>'kana',
          'K4 voicing_review', 'explanation: equal only once voicing is removed (a review form)');
SELECT is((SELECT x->'checks'->>'kana' FROM e), 'K0 exact', 'explanation: カナ matched at K0');
SELECT is((SELECT x->'checks'->>'birth_date' FROM e), 'match', 'explanation: birth date matched');
SELECT is((SELECT x->'history'->0->>'code' FROM e), 'opened_by_check', 'explanation: history');
SELECT ok(NOT EXISTS (SELECT FROM e, p WHERE position(p.kana IN e.x::text) > 0 OR position(p.addr IN e.x::text) > 0
                                         OR position(pg_temp.mn(p.b) IN e.x::text) > 0
                                         -- (the four digits outside the explanation's own timestamps,
                                         -- whose fractions of a second may hold any four digits)
                                         OR position(right(pg_temp.mn(p.b), 4) IN
                                                     regexp_replace(e.x::text, '\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d)?)?', '', 'g')) > 0),
          'the explanation holds no name, address, number or digits');

-- ---- queue transitions ------------------------------------------------------------
CREATE TEMP TABLE k2 AS SELECT case_id FROM mynahoken.linkage_case WHERE insured_key = 'K02';
SELECT lives_ok($$SELECT mynahoken.linkage_case_assign((SELECT case_id FROM k2), 'mynahoken_linkage_clerk')$$,
                'a case is assigned to a role');
SELECT lives_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM k2), 'awaiting_employer', 'asked_employer')$$,
                'open -> awaiting_employer');
SELECT throws_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM k2), 'confirmed_no_error', 'asked_member')$$,
                 '22023', NULL, 'a code must go with its state');
SELECT throws_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM k2), 'confirmed_no_error', 'looks fine to me')$$,
                 '22023', 'unknown linkage resolution code', 'free text is refused: codes only');
SELECT throws_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM k2), 'corrected', 'number_corrected')$$,
                 '55000', NULL, 'corrected needs a new number linked');
UPDATE m SET token = mynahoken.tokenize(pg_temp.mn(1002)), sealed = mynahoken.seal(pg_temp.mn(1002)),
             sent_token = mynahoken.tokenize(pg_temp.mn(1002)) WHERE insured_key = 'K02';
SELECT is(mynahoken.linkage_load_members('pg_temp.m'), 1::bigint, 'the right number is linked to K02');
SELECT lives_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM k2), 'corrected', 'number_corrected')$$,
                'awaiting_employer -> corrected');
SELECT throws_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM k2), 'open', 'reopened')$$,
                 '55000', NULL, 'a finished case does not move');
SELECT results_eq($$SELECT from_state::text, to_state::text, code FROM mynahoken.linkage_case_event
                     WHERE case_id = (SELECT case_id FROM k2) ORDER BY event_id$$,
                  $$VALUES (NULL, 'open', 'opened_by_check'), ('open', 'open', 'assigned'),
                           ('open', 'awaiting_employer', 'asked_employer'), ('awaiting_employer', 'corrected', 'number_corrected')$$,
                  'the history of the case, as codes');
SELECT lives_ok($$SELECT mynahoken.linkage_case_transition((SELECT case_id FROM mynahoken.linkage_case WHERE insured_key = 'K10'),
                   'confirmed_no_error', 'documents_checked')$$, 'open -> confirmed_no_error (理由付き疑いなし)');
-- Every state, in a table: each row a transition of a member's case (its
-- newest), and the SQLSTATE it must raise (NULL: allowed).
CREATE TEMP TABLE tr (n int, k text, to_state mynahoken.linkage_case_state, code text, want text);
INSERT INTO tr VALUES
  (1, 'K15', 'awaiting_member', 'asked_member', NULL),
  (2, 'K15', 'awaiting_jlis', 'asked_jlis_5', NULL),
  (3, 'K15', 'awaiting_jlis', 'asked_member', '22023'),          -- a code of another state
  (4, 'K15', 'open', 'reopened', NULL),
  (5, 'K15', 'closed', 'duplicate_case', NULL),
  (6, 'K15', 'open', 'reopened', '55000'),                       -- closed is finished
  (7, 'K18', 'confirmed_no_error', 'kana_spelling', NULL),
  (8, 'K18', 'awaiting_member', 'asked_member', '55000'),        -- confirmed is finished
  (9, 'K16', 'corrected', 'number_corrected', '55000'),          -- still the same number
  (10, 'K16', 'confirmed_no_error', 'no such code', '22023'),
  (11, 'K16', 'closed', 'member_left', NULL);
CREATE FUNCTION pg_temp.apply_transitions() RETURNS TABLE (n int, got text) LANGUAGE plpgsql AS $f$
DECLARE t record;
BEGIN
  FOR t IN SELECT * FROM tr ORDER BY tr.n LOOP
    n := t.n; got := NULL;
    BEGIN
      PERFORM mynahoken.linkage_case_transition((SELECT max(c.case_id) FROM mynahoken.linkage_case c WHERE c.insured_key = t.k),
                                                t.to_state, t.code);
    EXCEPTION WHEN OTHERS THEN got := SQLSTATE;
    END;
    RETURN NEXT;
  END LOOP;
END $f$;
SELECT results_eq($$SELECT * FROM pg_temp.apply_transitions()$$, $$SELECT n, want FROM tr ORDER BY n$$,
                  'queue transitions: every state reached with its code, wrong codes and finished cases refused');
SELECT results_eq($$SELECT e.from_state::text, e.to_state::text, e.code FROM mynahoken.linkage_case_event e
                     JOIN mynahoken.linkage_case c USING (case_id) WHERE c.insured_key = 'K15' ORDER BY e.event_id$$,
                  $$VALUES (NULL, 'open', 'opened_by_check'), ('open', 'awaiting_member', 'asked_member'),
                           ('awaiting_member', 'awaiting_jlis', 'asked_jlis_5'), ('awaiting_jlis', 'open', 'reopened'),
                           ('open', 'closed', 'duplicate_case')$$,
                  'the history holds the allowed transitions only');
SELECT results_eq($$SELECT insured_key, state::text, resolution FROM mynahoken.linkage_case
                     WHERE insured_key IN ('K15', 'K16', 'K18') ORDER BY 1$$,
                  $$VALUES ('K15', 'closed', 'duplicate_case'), ('K16', 'closed', 'member_left'),
                           ('K18', 'confirmed_no_error', 'kana_spelling')$$,
                  'a finished case keeps its resolution code');
SELECT ok(NOT EXISTS (SELECT FROM mynahoken.linkage_queue WHERE insured_key IN ('K15', 'K16', 'K18')),
          'finished cases leave the queue');

-- ---- incremental and resumed runs ---------------------------------------------------
SELECT mynahoken.linkage_begin_run(false, 100) AS inc \gset
SELECT is((SELECT full_check FROM mynahoken.linkage_run WHERE run_id = :inc), false, 'an incremental run starts');
SELECT ok(mynahoken.linkage_run_batch(:inc), 'its one batch checks the changed members and finishes the run');
SELECT ok(mynahoken.linkage_run_batch(:inc), 'a finished run has nothing left');
SELECT results_eq($$SELECT insured_key FROM mynahoken.linkage_check WHERE run_id = (SELECT max(run_id) FROM mynahoken.linkage_run) ORDER BY 1$$,
                  $$VALUES ('K02'), ('K03')$$,
                  'the incremental run checked the changed member and its household only');
SELECT is((SELECT reasons FROM mynahoken.linkage_check WHERE insured_key = 'K02' ORDER BY run_id DESC LIMIT 1),
          '{jlis_stale,token_shared_other_person}',
          'K02 has its own number now: K03 still holds it too, and the J-LIS answer is for the old one');
CALL mynahoken.linkage_check_nightly(commit_batches => false);
SELECT is((SELECT members_checked FROM mynahoken.linkage_run ORDER BY run_id DESC LIMIT 1), 0::bigint,
          'nothing changed: the next incremental run checks nobody');

-- A new address changes no one else's result: only that member is checked.
UPDATE m SET address = '南町2-3' WHERE insured_key = 'K04';
SELECT is(mynahoken.linkage_load_members('pg_temp.m'), 1::bigint, 'K04 moved');
CALL mynahoken.linkage_check_nightly(commit_batches => false);
SELECT is((SELECT members_checked FROM mynahoken.linkage_run ORDER BY run_id DESC LIMIT 1), 1::bigint,
          'an address change: the member alone is checked, not its household');
SELECT ok((SELECT 'address_mismatch' = ANY (reasons) FROM r WHERE insured_key = 'K04'), 'K04''s new address differs from J-LIS');

-- The old token: K11 gets its own number; K10 still holds the one they
-- shared and is checked again, and is no longer flagged.
SELECT ok((SELECT 'token_shared_other_person' = ANY (reasons) FROM r WHERE insured_key = 'K10'), 'K10 shares its token');
UPDATE m SET token = mynahoken.tokenize(pg_temp.mn(1011)), sealed = mynahoken.seal(pg_temp.mn(1011)) WHERE insured_key = 'K11';
SELECT is(mynahoken.linkage_load_members('pg_temp.m'), 1::bigint, 'K11 gets its own number');
CALL mynahoken.linkage_check_nightly(commit_batches => false);
SELECT is((SELECT members_checked FROM mynahoken.linkage_run ORDER BY run_id DESC LIMIT 1), 2::bigint,
          'the incremental run checks K11 and K10, the holder of the token K11 left');
SELECT ok(NOT EXISTS (SELECT FROM r WHERE insured_key = 'K10'), 'K10 is clean now: its result is removed');
SELECT is((SELECT reasons FROM r WHERE insured_key = 'K11'), '{jlis_stale}', 'K11''s J-LIS answer is for the old number');
SELECT is((SELECT count(*) FROM mynahoken.linkage_left), 0::bigint, 'the tokens left are forgotten once checked');
SELECT mynahoken.linkage_begin_run(true, 4) AS resumable \gset
SELECT ok(NOT mynahoken.linkage_run_batch(:resumable), 'a full run checks a first batch, then stops');
SELECT is(mynahoken.linkage_begin_run(true, 4), :resumable::bigint, 'the next start resumes the stopped run');
CALL mynahoken.linkage_check_nightly(true, 4, false);
SELECT is((SELECT members_checked FROM mynahoken.linkage_run WHERE run_id = :resumable), 19::bigint,
          'the resumed run checked every member once');
SELECT is((SELECT results_changed FROM mynahoken.linkage_run WHERE run_id = :resumable), 0::bigint,
          'a full run over unchanged members writes no result');
-- A full run reads the member table in ranges of blocks: a table rewritten
-- while a run is stopped (other blocks) makes the run start over.
CREATE TEMP TABLE before_rewrite AS SELECT insured_key, result FROM mynahoken.linkage_check;
SELECT mynahoken.linkage_begin_run(true, 4) AS rewritten \gset
SELECT ok(NOT mynahoken.linkage_run_batch(:rewritten), 'a full run checks its first blocks, then stops');
SELECT members_checked AS first_blocks FROM mynahoken.linkage_run WHERE run_id = :rewritten \gset
CLUSTER mynahoken.linkage_member USING linkage_member_pkey;
CALL mynahoken.linkage_check_nightly(true, 4, false);
SELECT is((SELECT members_checked FROM mynahoken.linkage_run WHERE run_id = :rewritten), (:first_blocks + 19)::bigint,
          'after a rewrite of the member table the stopped run checks every member from the first block');
SELECT is((SELECT results_changed FROM mynahoken.linkage_run WHERE run_id = :rewritten), 0::bigint,
          'members checked twice get the same result, which is not written');
SELECT results_eq($$SELECT insured_key, result FROM mynahoken.linkage_check ORDER BY 1$$,
                  $$SELECT insured_key, result FROM before_rewrite ORDER BY 1$$,
                  'the results are those of an uninterrupted run');
SELECT is((SELECT count(*) FROM mynahoken.linkage_case WHERE insured_key = 'K10'), 1::bigint,
          'a case confirmed with a reason (理由付き疑いなし) is not reopened while the result stays the same');
SELECT is((SELECT due_on FROM mynahoken.linkage_case WHERE insured_key = 'K05'), mynahoken.linkage_due_on(current_date, 5),
          'an open case keeps its due day while its result does not change');
SELECT is((SELECT due_on FROM mynahoken.linkage_case WHERE insured_key = 'K04'), mynahoken.linkage_due_on(current_date, 3),
          'a case whose result changed takes the earlier due day (the period was shortened to 3 open days)');

-- A member removed has no result any more (a full run would not find it);
-- its case stays.
DELETE FROM mynahoken.linkage_member WHERE insured_key = 'K07';
SELECT ok(NOT EXISTS (SELECT FROM mynahoken.linkage_check WHERE insured_key = 'K07'),
          'a deleted member''s result goes with it');
SELECT is((SELECT count(*) FROM mynahoken.linkage_case WHERE insured_key = 'K07'), 1::bigint, 'its case stays');
SELECT results_eq($$SELECT insured_key, result FROM mynahoken.linkage_check ORDER BY 1$$,
                  $$SELECT insured_key, result FROM before_rewrite WHERE insured_key <> 'K07' ORDER BY 1$$,
                  'the other results stay');

-- What foreign keys would check, once per statement (linkage_refs_check):
-- a first full check writes its results, cases and events set-based.
SELECT throws_ok($$INSERT INTO mynahoken.linkage_case_event (case_id, to_state, code) VALUES (-1, 'open', 'opened_by_check')$$,
                 '23503', NULL, 'an event of a case that does not exist is refused');
SELECT throws_ok($$INSERT INTO mynahoken.linkage_check (insured_key, run_id, result, reasons, severity) VALUES ('K99', -1, 0, '{}', 1)$$,
                 '23503', NULL, 'a result of a run that does not exist is refused');
SELECT throws_ok($$DELETE FROM mynahoken.linkage_case WHERE insured_key = 'K07'$$,
                 '23503', NULL, 'a case with history stays');
SELECT throws_ok($$UPDATE mynahoken.linkage_case SET case_id = -case_id WHERE insured_key = 'K07'$$,
                 '23503', NULL, 'a case with history keeps its identifier');
SAVEPOINT refs;
SELECT max(run_id) AS result_run FROM mynahoken.linkage_check \gset
DELETE FROM mynahoken.linkage_run WHERE run_id = :result_run;
SELECT ok(NOT EXISTS (SELECT FROM mynahoken.linkage_check WHERE run_id = :result_run), 'deleting a run deletes its results');
ROLLBACK TO SAVEPOINT refs;

-- ---- roles: a clerk sees cases and codes, not data ------------------------------
CREATE ROLE mh_tap_clerk;
GRANT mynahoken_linkage_clerk TO mh_tap_clerk;
SET ROLE mh_tap_clerk;
SELECT ok((SELECT count(*) FROM mynahoken.linkage_queue) > 0, 'a clerk sees the queue');
SELECT ok(mynahoken.explain_linkage_case((SELECT min(case_id) FROM mynahoken.linkage_queue)) IS NOT NULL,
          'a clerk reads explanations');
SELECT throws_ok($$SELECT count(*) FROM mynahoken.linkage_member$$, '42501', NULL, 'a clerk does not read the digests');
SELECT throws_ok($$SELECT mynahoken.linkage_digests('タナカ', 'kana')$$, '42501', NULL,
                 'a clerk cannot compute digests (an oracle for the key)');
SELECT throws_ok($$SELECT mynahoken.unseal(sealed) FROM mynahoken.linkage_member$$, '42501', NULL,
                 'a clerk cannot recover a number');
SELECT throws_ok($$SELECT mynahoken.linkage_last4_matches(mynahoken.seal('x'), '1234')$$, '42501', NULL,
                 'nobody calls the last-four comparison directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
