-- My Number tokens, sealed My Numbers and the keyring (doc/tokens.md).
-- The cluster runs with the test keyring of scripts/lib.sh: versions 1 and
-- 2, version 2 active.  No My Number is written out here: synthetic numbers
-- are built from 11 base digits with their check digit.
SET search_path = public, mynahoken;
CREATE FUNCTION pg_temp.mn(base bigint, wrong boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT b || ((CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END
                + CASE WHEN wrong THEN 1 ELSE 0 END) % 10)::text
    FROM (SELECT lpad(base::text, 11, '0') AS b) x,
         LATERAL (SELECT sum(substr(b, 12 - n, 1)::int
                             * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
                    FROM generate_series(1, 11) n) y
$$;
CREATE FUNCTION pg_temp.fw(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT translate(t, '0123456789-', '０１２３４５６７８９－') $$;

-- The keyring: two versions, 2 active; fingerprints identify keys without revealing them.
SELECT * FROM mynahoken.keyring_versions();

-- A token is the key version and an HMAC, shown as mnt<version>:<base64url>.
SELECT mynahoken.tokenize(pg_temp.mn(12345678901)) AS token;
SELECT mynahoken.tokenize(pg_temp.mn(12345678901), 1) AS token_v1;
SELECT mynahoken.key_version(mynahoken.tokenize(pg_temp.mn(12345678901))) AS active,
       mynahoken.key_version(mynahoken.tokenize(pg_temp.mn(12345678901), 1)) AS explicit;

-- Typed spellings give the same token: hyphens, spaces, full-width digits and hyphens.
SELECT label, mynahoken.tokenize(spelling) = mynahoken.tokenize(n) AS same_token
  FROM (SELECT pg_temp.mn(12345678901) AS n) m,
  LATERAL (VALUES ('hyphens', regexp_replace(n, '(....)(....)(....)', '\1-\2-\3')),
                  ('spaces', regexp_replace(n, '(....)(....)(....)', ' \1 \2 \3 ')),
                  ('full width', pg_temp.fw(n)),
                  ('full width, hyphens', pg_temp.fw(regexp_replace(n, '(....)(....)(....)', '\1-\2-\3'))),
                  ('ideographic space', regexp_replace(n, '(......)(......)', '\1　\2'))
          ) AS s(label, spelling)
 ORDER BY 1;

-- Different numbers, different tokens; the text form holds none of the digits.
SELECT mynahoken.tokenize(pg_temp.mn(12345678901)) <> mynahoken.tokenize(pg_temp.mn(2345678901)) AS differ,
       position(pg_temp.mn(12345678901) IN mynahoken.tokenize(pg_temp.mn(12345678901))::text) = 0 AS no_digits,
       length(mynahoken.tokenize(pg_temp.mn(12345678901))::text) AS text_length;

-- Text form round-trips; the binary form is 33 bytes (binary COPY: test/scripts/21_token_dump_restore.sh).
SELECT t::text::mynahoken.mynumber_token = t AS text_round_trip,
       length(mynahoken.mynumber_token_send(t)) AS binary_bytes
  FROM (SELECT mynahoken.tokenize(pg_temp.mn(12345678901)) AS t) x;

-- Tokens are join keys, primary keys and hash-partition keys.
CREATE TABLE members (token mynahoken.mynumber_token PRIMARY KEY, name text);
CREATE TABLE submissions (token mynahoken.mynumber_token, employer text)
  PARTITION BY HASH (token);
CREATE TABLE submissions_0 PARTITION OF submissions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE submissions_1 PARTITION OF submissions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON submissions USING hash (token);
INSERT INTO members
  SELECT mynahoken.tokenize(pg_temp.mn(b)), 'member ' || b FROM generate_series(1, 50) b;
INSERT INTO submissions
  SELECT mynahoken.tokenize(pg_temp.fw(pg_temp.mn(b))), 'employer ' || b % 3
    FROM generate_series(41, 60) b;
SELECT count(*) AS matched FROM members m JOIN submissions s USING (token);
SET enable_hashjoin = off;
SET enable_mergejoin = on;
SET enable_nestloop = off;
SELECT count(*) AS matched_by_merge_join FROM members m JOIN submissions s USING (token);
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT count(*) FILTER (WHERE tableoid = 'submissions_0'::regclass) > 0 AS partition_0_used,
       count(*) FILTER (WHERE tableoid = 'submissions_1'::regclass) > 0 AS partition_1_used
  FROM submissions;
-- The hash support functions are frozen: these values must never change.
SELECT mynahoken.mynumber_token_hash(mynahoken.tokenize(pg_temp.mn(12345678901))) AS hash,
       mynahoken.mynumber_token_hash_extended(mynahoken.tokenize(pg_temp.mn(12345678901)), 0) AS hash_ext_0,
       mynahoken.mynumber_token_hash_extended(mynahoken.tokenize(pg_temp.mn(12345678901)), 42) AS hash_ext_42;

-- A duplicate token reports the token, never the number.
INSERT INTO members VALUES (mynahoken.tokenize(pg_temp.mn(7)), 'duplicate');

-- Rotation: rows tokenized under version 1 are still found through tokenize_all().
CREATE TABLE old_rows AS
  SELECT mynahoken.tokenize(pg_temp.mn(b), 1) AS token, b FROM generate_series(1, 5) b;
SELECT array_length(mynahoken.tokenize_all(pg_temp.mn(3)), 1) AS versions,
       (mynahoken.tokenize_all(pg_temp.mn(3)))[1] = mynahoken.tokenize(pg_temp.mn(3)) AS active_first;
SELECT b FROM old_rows WHERE token = ANY (mynahoken.tokenize_all(pg_temp.mn(3)));
SELECT b FROM old_rows WHERE token = mynahoken.tokenize(pg_temp.mn(3));

-- Sealing is deterministic AES-256-SIV, equality-comparable and reversible.
SELECT mynahoken.seal(pg_temp.mn(12345678901)) AS sealed;
SELECT mynahoken.seal(pg_temp.mn(12345678901)) = mynahoken.seal(pg_temp.fw(pg_temp.mn(12345678901))) AS deterministic,
       mynahoken.key_version(mynahoken.seal(pg_temp.mn(12345678901))) AS version,
       mynahoken.unseal(mynahoken.seal(pg_temp.fw(pg_temp.mn(12345678901)))) = pg_temp.mn(12345678901) AS unsealed,
       mynahoken.tokenize_sealed(mynahoken.seal(pg_temp.mn(12345678901))) = mynahoken.tokenize(pg_temp.mn(12345678901)) AS tokenized,
       mynahoken.reseal(mynahoken.seal(pg_temp.mn(12345678901))) = mynahoken.seal(pg_temp.mn(12345678901)) AS reseal_keeps_active,
       mynahoken.seal(pg_temp.mn(12345678901))::text::mynahoken.mynumber_sealed = mynahoken.seal(pg_temp.mn(12345678901)) AS text_round_trip;

-- The last four digits, as printed on the 資格情報のお知らせ.
SELECT mynahoken.mynumber_last4(pg_temp.mn(12345678901)) AS last4,
       mynahoken.mynumber_last4(pg_temp.fw(pg_temp.mn(2345678901))) AS last4_full_width;

-- Rejections: each names the problem (SQLSTATE 22P02, checked in
-- test/pgtap/20_tokens.sql) and never the input.
SELECT mynahoken.tokenize(pg_temp.mn(12345678901, true));
SELECT mynahoken.tokenize(substr(pg_temp.mn(12345678901), 1, 11));
SELECT mynahoken.tokenize(pg_temp.mn(12345678901) || '0');
SELECT mynahoken.tokenize('');
SELECT mynahoken.tokenize(pg_temp.mn(12345678901) || '.');
SELECT mynahoken.tokenize('My Number');
SELECT mynahoken.seal(pg_temp.mn(1, true));
SELECT mynahoken.mynumber_last4(pg_temp.mn(1, true));
SELECT mynahoken.tokenize_all(substr(pg_temp.mn(1), 2));

-- Token and sealed text: only the canonical form is accepted.
SELECT 'mnt1:abc'::mynahoken.mynumber_token;
SELECT 'mnt0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'::mynahoken.mynumber_token;
SELECT 'mnt256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'::mynahoken.mynumber_token;
SELECT 'mns1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'::mynahoken.mynumber_token;
SELECT 'mnt1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+'::mynahoken.mynumber_token;
-- The last of 43 characters carries 4 bits of the MAC and 2 unused bits:
-- 'B' sets an unused bit and is refused, 'E' does not and is accepted.
SELECT 'mnt1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB'::mynahoken.mynumber_token;
SELECT 'mnt1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE'::mynahoken.mynumber_token;
SELECT pg_temp.mn(12345678901)::mynahoken.mynumber_token;
SELECT 'mns1:AAAA'::mynahoken.mynumber_sealed;

-- Key versions that are not in the keyring.
SELECT mynahoken.tokenize(pg_temp.mn(1), 3);
SELECT mynahoken.tokenize(pg_temp.mn(1), 0);
SELECT mynahoken.unseal('mns9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');

-- A sealed value that was altered does not authenticate.
SELECT mynahoken.unseal(overlay(mynahoken.seal(pg_temp.mn(1))::text PLACING 'A' FROM 10 FOR 1)::mynahoken.mynumber_sealed);
SELECT mynahoken.unseal(replace(mynahoken.seal(pg_temp.mn(1))::text, 'mns2:', 'mns1:')::mynahoken.mynumber_sealed);

-- Tokenizing and sealing are for mynahoken_tokenize, unsealing for
-- mynahoken_unseal; every role may compare, join and read key versions.
CREATE ROLE mh_tokens_analyst;
CREATE ROLE mh_tokens_clerk IN ROLE mynahoken_tokenize, mynahoken_unseal;
CREATE TABLE sealed AS SELECT mynahoken.seal(pg_temp.mn(12345678901)) AS s;
GRANT SELECT ON sealed TO mh_tokens_analyst, mh_tokens_clerk;
SET ROLE mh_tokens_analyst;
SELECT mynahoken.key_version(s) FROM sealed;
SELECT mynahoken.key_version(mynahoken.tokenize_sealed(s)) FROM sealed;
SELECT mynahoken.tokenize(pg_temp.mn(1));
SELECT mynahoken.unseal(s) FROM sealed;
RESET ROLE;
SET ROLE mh_tokens_clerk;
SELECT mynahoken.key_version(mynahoken.tokenize_sealed(s)) FROM sealed;
SELECT mynahoken.mynumber_last4(mynahoken.unseal(s)) FROM sealed;
RESET ROLE;
DROP TABLE sealed;
DROP OWNED BY mh_tokens_analyst, mh_tokens_clerk;
DROP ROLE mh_tokens_analyst, mh_tokens_clerk;

-- The keyring settings are superuser-only.
SELECT name, context, (SELECT count(*) FROM pg_settings s WHERE s.name = g.name) AS visible_to_superuser
  FROM (VALUES ('mynahoken.keyring_file'), ('mynahoken.keyring_command')) g(name)
  JOIN pg_settings USING (name);
CREATE ROLE mh_tokens_nobody;
SET ROLE mh_tokens_nobody;
SELECT count(*) AS visible_to_others FROM pg_settings WHERE name LIKE 'mynahoken.keyring%';
SHOW mynahoken.keyring_file;
RESET ROLE;
DROP ROLE mh_tokens_nobody;

DROP TABLE members, submissions, old_rows;
