-- pgTAP: My Number tokens, sealing and the keyring (doc/tokens.md).
-- Synthetic My Numbers are built from 11 base digits with pg_temp.mn().
BEGIN;
SELECT plan(70);
SET LOCAL search_path = public, mynahoken;

CREATE FUNCTION pg_temp.mn(base bigint, wrong boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT b || ((CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END
                + CASE WHEN wrong THEN 1 ELSE 0 END) % 10)::text
    FROM (SELECT lpad(base::text, 11, '0') AS b) x,
         LATERAL (SELECT sum(substr(b, 12 - n, 1)::int
                             * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
                    FROM generate_series(1, 11) n) y
$$;
CREATE FUNCTION pg_temp.explain_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS
  $$ BEGIN RETURN QUERY EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q; END $$;
CREATE FUNCTION pg_temp.fw(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT translate(t, '0123456789-', '０１２３４５６７８９－') $$;

-- Objects, roles and privileges (11)
SELECT has_type('mynahoken', 'mynumber_token', 'type mynumber_token exists');
SELECT has_type('mynahoken', 'mynumber_sealed', 'type mynumber_sealed exists');
SELECT has_role('mynahoken_unseal', 'the extension created role mynahoken_unseal');
SELECT ok(NOT has_function_privilege('public', 'mynahoken.unseal(mynahoken.mynumber_sealed)', 'EXECUTE'),
          'PUBLIC may not execute unseal');
SELECT ok(has_function_privilege('mynahoken_unseal', 'mynahoken.unseal(mynahoken.mynumber_sealed)', 'EXECUTE'),
          'mynahoken_unseal may execute unseal');
SELECT ok(NOT has_function_privilege('public', 'mynahoken.tokenize(text)', 'EXECUTE'),
          'PUBLIC may not tokenize');
SELECT has_role('mynahoken_tokenize', 'the extension created role mynahoken_tokenize');
SELECT is(array_agg(p.proname::text || '/' || p.pronargs ORDER BY p.proname, p.pronargs),
          ARRAY['keyring_versions/0', 'reseal/1', 'seal/1', 'tokenize/1', 'tokenize/2',
                'tokenize_all/1', 'tokenize_sealed/1'],
          'exactly the functions that use a key are executable by mynahoken_tokenize and not by PUBLIC')
  FROM pg_proc p
 WHERE p.pronamespace = 'mynahoken'::regnamespace
   AND has_function_privilege('mynahoken_tokenize', p.oid, 'EXECUTE')
   AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
   AND p.proname <> 'unseal';
SELECT ok(has_function_privilege('public', 'mynahoken.key_version(mynahoken.mynumber_token)', 'EXECUTE'),
          'PUBLIC may read key versions');
SELECT ok(has_function_privilege('public', 'mynahoken.mynumber_is_valid(text)', 'EXECUTE'),
          'PUBLIC may check My Number check digits');
SELECT ok(NOT has_function_privilege('mynahoken_tokenize', 'mynahoken.unseal(mynahoken.mynumber_sealed)', 'EXECUTE'),
          'mynahoken_tokenize may not unseal');

-- Volatility and parallel safety, decided and documented in doc/tokens.md (10)
SELECT is(p.provolatile::text || p.proparallel::text, want,
          format('%s is %s', p.oid::regprocedure, label))
  FROM (VALUES ('mynahoken.tokenize(text)', 'ss', 'STABLE PARALLEL SAFE (reads the active key)'),
               ('mynahoken.tokenize(text,integer)', 'ss', 'STABLE PARALLEL SAFE (reads the keyring)'),
               ('mynahoken.tokenize_all(text)', 'ss', 'STABLE PARALLEL SAFE'),
               ('mynahoken.mynumber_last4(text)', 'is', 'IMMUTABLE PARALLEL SAFE (no key)'),
               ('mynahoken.seal(text)', 'ss', 'STABLE PARALLEL SAFE'),
               ('mynahoken.unseal(mynahoken.mynumber_sealed)', 'ss', 'STABLE PARALLEL SAFE'),
               ('mynahoken.reseal(mynahoken.mynumber_sealed)', 'ss', 'STABLE PARALLEL SAFE'),
               ('mynahoken.tokenize_sealed(mynahoken.mynumber_sealed)', 'ss', 'STABLE PARALLEL SAFE'),
               ('mynahoken.key_version(mynahoken.mynumber_token)', 'is', 'IMMUTABLE PARALLEL SAFE'),
               ('mynahoken.keyring_versions()', 'ss', 'STABLE PARALLEL SAFE')
       ) AS c(f, want, label)
  JOIN pg_proc p ON p.oid = c.f::regprocedure;

-- The volatility decision in use: no form reads the keyring at plan time (3)
SELECT throws_ok($$CREATE TEMP TABLE gen (n text, t mynahoken.mynumber_token
                    GENERATED ALWAYS AS (mynahoken.tokenize(n, 2)) STORED)$$,
                 '42P17', 'generation expression is not immutable',
                 'tokenize(n, version) reads the keyring: no generated column');
SELECT ok((SELECT string_agg(x, ' ') FROM pg_temp.explain_lines(
             $$SELECT mynahoken.tokenize('123456789018', 2)$$) x) NOT LIKE '%mnt2:%',
          'a constant tokenize(n, version) is not folded into the plan');
SELECT throws_ok($$CREATE TEMP TABLE gen2 (n text, t mynahoken.mynumber_token
                     GENERATED ALWAYS AS (mynahoken.tokenize(n)) STORED)$$,
                 '42P17', 'generation expression is not immutable',
                 'tokenize(n), which follows the active version, cannot');

-- Operator classes validate; hash classes have support functions 1 and 2 (5)
SELECT ok(amvalidate(c.oid), format('operator class %s validates', c.opcname))
  FROM pg_opclass c
 WHERE c.opcnamespace = 'mynahoken'::regnamespace
   AND c.opcname IN ('mynumber_token_ops', 'mynumber_token_hash_ops', 'mynumber_sealed_hash_ops');
SELECT is((SELECT array_agg(p.amprocnum ORDER BY p.amprocnum)::int[]
             FROM pg_amproc p JOIN pg_opclass c ON c.opcfamily = p.amprocfamily
            WHERE c.opcname = cls), ARRAY[1, 2],
          format('%s has hash support functions 1 and 2', cls))
  FROM (VALUES ('mynumber_token_hash_ops'), ('mynumber_sealed_hash_ops')) AS t(cls);

-- Normalisation: every typed spelling gives the canonical token (8)
SELECT is(mynahoken.tokenize(spelling), mynahoken.tokenize(pg_temp.mn(98320567321)),
          format('a My Number typed with %s gives the same token', label))
  FROM (SELECT pg_temp.mn(98320567321) AS n) m,
  LATERAL (VALUES ('ASCII digits', n),
                  ('hyphens every four digits', regexp_replace(n, '(....)(....)(....)', '\1-\2-\3')),
                  ('surrounding and inner spaces', regexp_replace(n, '(....)(....)(....)', '  \1 \2 \3  ')),
                  ('a tab', regexp_replace(n, '(......)(......)', E'\\1\t\\2')),
                  ('full-width digits', pg_temp.fw(n)),
                  ('full-width digits and hyphens', pg_temp.fw(regexp_replace(n, '(....)(....)(....)', '\1-\2-\3'))),
                  ('long vowel marks as hyphens', regexp_replace(n, '(....)(....)(....)', '\1ー\2ー\3')),
                  ('an ideographic space', regexp_replace(n, '(......)(......)', '\1　\2'))
          ) AS s(label, spelling);

-- Tokens: version byte, determinism, separation (7)
SELECT is(mynahoken.key_version(mynahoken.tokenize(pg_temp.mn(1))), 2, 'tokenize uses the active version 2');
SELECT is(mynahoken.key_version(mynahoken.tokenize(pg_temp.mn(1), 1)), 1, 'tokenize(n, 1) uses version 1');
SELECT is(mynahoken.tokenize(pg_temp.mn(1), 2), mynahoken.tokenize(pg_temp.mn(1)),
          'the explicit active version equals the implicit one');
SELECT isnt(substr(mynahoken.tokenize(pg_temp.mn(1), 1)::text, 6), substr(mynahoken.tokenize(pg_temp.mn(1), 2)::text, 6),
            'the MAC differs between key versions');
SELECT is((SELECT count(DISTINCT mynahoken.tokenize(pg_temp.mn(b))) FROM generate_series(1, 1000) b), 1000::bigint,
          '1000 numbers give 1000 distinct tokens');
SELECT ok((SELECT bool_and(mynahoken.tokenize(pg_temp.mn(b))::text ~ '^mnt2:[A-Za-z0-9_-]{43}$')
             FROM generate_series(1, 100) b), 'token text is mnt2: and 43 base64url characters');
SELECT ok((SELECT bool_and(position(pg_temp.mn(b) IN mynahoken.tokenize(pg_temp.mn(b))::text) = 0)
             FROM generate_series(1, 1000) b), 'no token text contains its number');

-- Rotation (3)
SELECT is(array_length(mynahoken.tokenize_all(pg_temp.mn(5)), 1), 2, 'tokenize_all gives one token per loaded version');
SELECT ok(mynahoken.tokenize(pg_temp.mn(5), 1) = ANY (mynahoken.tokenize_all(pg_temp.mn(5))),
          'a version-1 token is found through tokenize_all');
SELECT is(mynahoken.tokenize_sealed(mynahoken.seal(pg_temp.mn(5))), mynahoken.tokenize(pg_temp.mn(5)),
          'tokenize_sealed gives the active token without the plaintext');

-- Sealing (4)
SELECT is(mynahoken.seal(pg_temp.mn(6)), mynahoken.seal(pg_temp.fw(pg_temp.mn(6))), 'sealing is deterministic');
SELECT isnt(mynahoken.seal(pg_temp.mn(6)), mynahoken.seal(pg_temp.mn(7)), 'different numbers seal differently');
SELECT is(mynahoken.unseal(mynahoken.seal(pg_temp.mn(6))), pg_temp.mn(6), 'unseal recovers the canonical number');
SELECT ok(mynahoken.seal(pg_temp.mn(6))::text ~ '^mns2:[A-Za-z0-9_-]{38}$', 'sealed text is mns2: and 38 base64url characters');

-- last four digits (2)
SELECT is(mynahoken.mynumber_last4(pg_temp.mn(12345678901)), right(pg_temp.mn(12345678901), 4), 'last4 of ASCII input');
SELECT is(mynahoken.mynumber_last4(pg_temp.fw(pg_temp.mn(12345678901))), right(pg_temp.mn(12345678901), 4),
          'last4 of full-width input is ASCII');

-- Rejections of typed My Numbers: 22P02 naming the problem (9)
SELECT throws_ok(format('SELECT mynahoken.%s(%L)', f, input), '22P02', msg,
                 format('%s rejects %s', f, label))
  FROM (VALUES ('tokenize', pg_temp.mn(12345678901, true), 'invalid My Number: check digit mismatch', 'a wrong check digit'),
               ('tokenize', left(pg_temp.mn(12345678901), 11), 'invalid My Number: wrong number of digits', '11 digits'),
               ('tokenize', pg_temp.mn(12345678901) || '1', 'invalid My Number: wrong number of digits', '13 digits'),
               ('tokenize', '', 'invalid My Number: wrong number of digits', 'the empty string'),
               ('tokenize', pg_temp.mn(1) || 'x', 'invalid My Number: unexpected character', 'a letter'),
               ('tokenize', replace(pg_temp.mn(1), '0', 'O'), 'invalid My Number: unexpected character', 'the letter O for zero'),
               ('seal', pg_temp.mn(8, true), 'invalid My Number: check digit mismatch', 'a wrong check digit'),
               ('mynumber_last4', left(pg_temp.mn(8), 10), 'invalid My Number: wrong number of digits', '10 digits'),
               ('tokenize_all', pg_temp.mn(8) || '.', 'invalid My Number: unexpected character', 'a period')
       ) AS c(f, input, msg, label);

-- Rejections of token and sealed text (4)
SELECT throws_ok(format('SELECT %L::mynahoken.%s', input, typ), '22P02',
                 'invalid input syntax for type ' || typ, format('%s rejects %s', typ, label))
  FROM (VALUES ('mynumber_token', pg_temp.mn(3), 'a My Number'),
               ('mynumber_token', 'mnt1:' || repeat('A', 44), 'a 44-character MAC'),
               ('mynumber_token', 'MNT1:' || repeat('A', 43), 'an upper-case prefix'),
               ('mynumber_sealed', 'mns2:' || repeat('A', 43), 'a token-length value')
       ) AS c(typ, input, label);

-- Key versions not in the keyring (2)
SELECT throws_ok($$SELECT mynahoken.tokenize('000000000000', 7)$$, '22023',
                 'mynahoken key version 7 is not in the keyring', 'tokenize refuses an unknown key version');
SELECT throws_ok($$SELECT mynahoken.unseal('mns3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')$$, '22023',
                 'mynahoken key version 3 is not in the keyring', 'unseal refuses an unknown key version');

-- A sealed value that does not authenticate is bad data (class 22), never
-- XX001, which monitoring reads as on-disk corruption (issue 12, item 14).
SELECT throws_ok(format('SELECT mynahoken.unseal(%L::mynahoken.mynumber_sealed)',
                        overlay(mynahoken.seal(pg_temp.mn(10000000007))::text PLACING
                                CASE WHEN substr(mynahoken.seal(pg_temp.mn(10000000007))::text, 10, 1) = 'A'
                                     THEN 'B' ELSE 'A' END FROM 10 FOR 1)),
                 '22000', 'sealed My Number does not authenticate under key version 2',
                 'a tampered sealed value raises 22000');
SELECT throws_ok(format('SELECT mynahoken.tokenize_sealed(%L::mynahoken.mynumber_sealed)',
                        overlay(mynahoken.seal(pg_temp.mn(10000000007))::text PLACING
                                CASE WHEN substr(mynahoken.seal(pg_temp.mn(10000000007))::text, 20, 1) = 'A'
                                     THEN 'B' ELSE 'A' END FROM 20 FOR 1)),
                 '22000', 'sealed My Number does not authenticate under key version 2',
                 'tokenize_sealed of a tampered value raises 22000');

SELECT * FROM finish();
ROLLBACK;
