-- My Number linkage checks (紐付け点検): find members linked to another
-- person's My Number without keeping names, addresses, birth dates or
-- numbers in clear.  See doc/linkage.md.
--
-- Names and addresses are stored only as keyed digests, one per fold level
-- (src/core/linkage.h), under a key derived from the keyring for this
-- purpose; the nightly check compares digests and writes reason codes; a
-- work queue keeps the cases, their states and history as codes.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_linkage_intake') THEN
    CREATE ROLE mynahoken_linkage_intake NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_linkage_clerk') THEN
    CREATE ROLE mynahoken_linkage_clerk NOLOGIN;
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Keyed digests at fold levels

-- STABLE: the digests depend on the active key version of the keyring.
CREATE FUNCTION mynahoken.linkage_digests(value text, field text,
                                          variant_from text DEFAULT '', variant_to text DEFAULT '')
  RETURNS bytea[]
  AS 'MODULE_PATHNAME', 'linkage_digests'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_birth_date_digest(birth_date date) RETURNS bytea
  AS 'MODULE_PATHNAME', 'linkage_birth_date_digest'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_sex_digest(sex integer) RETURNS bytea
  AS 'MODULE_PATHNAME', 'linkage_sex_digest'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_match_level(a bytea[], b bytea[]) RETURNS integer
  AS 'MODULE_PATHNAME', 'linkage_match_level'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Unseals inside: reachable only through record_member_report().
CREATE FUNCTION mynahoken.linkage_last4_matches(sealed mynahoken.mynumber_sealed, reported text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'linkage_last4_matches'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
-- Whoever can compute digests holds an oracle for the key (a birth date
-- digest is found among 40,000 dates): only the intake role.
REVOKE ALL ON FUNCTION mynahoken.linkage_digests(text, text, text, text),
  mynahoken.linkage_birth_date_digest(date), mynahoken.linkage_sex_digest(integer),
  mynahoken.linkage_last4_matches(mynahoken.mynumber_sealed, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_digests(text, text, text, text),
  mynahoken.linkage_birth_date_digest(date), mynahoken.linkage_sex_digest(integer)
  TO mynahoken_linkage_intake;
COMMENT ON FUNCTION mynahoken.linkage_digests(text, text, text, text) IS
  'Keyed digests of a name or address (field kana, kanji or address), one per fold level (level 0 exact, then NFKC and the folds of doc/linkage.md); for kana then the two review forms (voicing removed, long vowels folded: never a match), and for kana and kanji last the given name alone (NULL without a 氏/名 gap); variant_from/variant_to: the kanji variant table as two strings of single characters; NULL when the value contains ●, 〓 or 外字';
COMMENT ON FUNCTION mynahoken.linkage_birth_date_digest(date) IS
  'Keyed digest of a birth date (no fold level: a birth date is never fuzzed)';
COMMENT ON FUNCTION mynahoken.linkage_sex_digest(integer) IS
  'Keyed digest of a sex code as J-LIS gives it (1, 2); no fold level';
COMMENT ON FUNCTION mynahoken.linkage_match_level(bytea[], bytea[]) IS
  'Lowest element (0-based) at which two digest arrays hold the same digest, or NULL when none does (for kana, 4 and 5 are the review forms and 6 the given name: not matches)';
COMMENT ON FUNCTION mynahoken.linkage_last4_matches(mynahoken.mynumber_sealed, text) IS
  'Whether the last four digits of a sealed My Number equal the digits a member reports; neither leaves the function; called by record_member_report only';

-- The kanji variant table the DBA loads (髙→高): single characters, one to
-- one.  Not shipped: MJ縮退マップ is CC BY-SA and large, and the reviewed
-- pairs are the insurer's decision.
CREATE TABLE mynahoken.kanji_variant (
  variant  text PRIMARY KEY CHECK (pg_catalog.length(variant) OPERATOR(pg_catalog.=) 1),
  standard text NOT NULL CHECK (pg_catalog.length(standard) OPERATOR(pg_catalog.=) 1
                                AND standard OPERATOR(pg_catalog.<>) variant),
  source   text NOT NULL DEFAULT 'reviewed' CHECK (source IN ('mj_single_candidate', 'reviewed'))
);
COMMENT ON TABLE mynahoken.kanji_variant IS
  'Kanji variant table loaded by the DBA (fold level J2): one character to its standard form (髙→高, 﨑→崎), from MJ縮退マップ single-candidate rows or reviewed pairs; nothing shipped';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.kanji_variant', '');
GRANT SELECT ON mynahoken.kanji_variant TO mynahoken_linkage_intake;

-- ---------------------------------------------------------------------------
-- Inputs as rows: the insurer's members, J-LIS answers, members' reports.
-- No name, address, birth date or number in clear: digests, tokens and
-- sealed values only.

CREATE TYPE mynahoken.linkage_provenance AS ENUM (
  'member_submitted',    -- on the 資格取得届 from the member's own documents
  'employer_submitted',  -- on the 資格取得届, typed by the employer
  'jlis_lookup_5',       -- looked up at J-LIS with all 5 fields (since 2023-06)
  'jlis_lookup_weak',    -- looked up at J-LIS on カナ氏名 + 生年月日 + 性別 (the 2023 failure)
  'municipal_juki',      -- from the 住民基本台帳 itself (国保, 後期)
  'unknown'
);
COMMENT ON TYPE mynahoken.linkage_provenance IS
  'How a member''s My Number was obtained: submitted by the member or the employer, a J-LIS lookup with 5 fields or a weak one, the 住民基本台帳, unknown';

-- The per-member step of the check (src/linkage_check.c): one call per
-- member gives its reason codes, severity and fold levels packed in a
-- bigint; the others read such a result.
CREATE FUNCTION mynahoken.linkage_check_result(
    token mynahoken.mynumber_token, sent_token mynahoken.mynumber_token,
    provenance mynahoken.linkage_provenance, number_confirmed boolean,
    kanji_digest bytea[], kana_digest bytea[], address_digest bytea[],
    birth_date_digest bytea, sex_digest bytea,
    jlis_response_id bigint, jlis_token mynahoken.mynumber_token, jlis_found boolean,
    jlis_kanji_digest bytea[], jlis_kana_digest bytea[], jlis_address_digest bytea[],
    jlis_birth_date_digest bytea, jlis_sex_digest bytea,
    claim text, last4_matches boolean, shared boolean, swap boolean,
    severity smallint[], lowered boolean[])
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'linkage_check_result'
  LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_swap_candidate(
    token mynahoken.mynumber_token, jlis_token mynahoken.mynumber_token, jlis_found boolean,
    birth_date_digest bytea, sex_digest bytea, kana_digest bytea[],
    jlis_birth_date_digest bytea, jlis_sex_digest bytea, jlis_kana_digest bytea[])
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'linkage_swap_candidate'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- The same check in two steps: what the member's own row decides, stored
-- with the row (linkage_member.own_result), and what other rows and the
-- severity table add at check time.
CREATE FUNCTION mynahoken.linkage_member_result(
    token mynahoken.mynumber_token, sent_token mynahoken.mynumber_token,
    lookup boolean, weak_unconfirmed boolean,
    kanji_digest bytea[], kana_digest bytea[], address_digest bytea[],
    birth_date_digest bytea, sex_digest bytea,
    jlis_response_id bigint, jlis_token mynahoken.mynumber_token, jlis_found boolean,
    jlis_kanji_digest bytea[], jlis_kana_digest bytea[], jlis_address_digest bytea[],
    jlis_birth_date_digest bytea, jlis_sex_digest bytea,
    claim text, last4_matches boolean)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'linkage_member_result'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_finish(own_result bigint, shared boolean, swap boolean,
                                                severity smallint[], lowered boolean[])
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'linkage_result_finish'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_reason_list() RETURNS text[]
  AS 'MODULE_PATHNAME', 'linkage_reason_list'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_reasons(result bigint) RETURNS text[]
  AS 'MODULE_PATHNAME', 'linkage_result_reasons'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_severity(result bigint) RETURNS smallint
  AS 'MODULE_PATHNAME', 'linkage_result_severity'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.linkage_result_level(result bigint, field integer) RETURNS smallint
  AS 'MODULE_PATHNAME', 'linkage_result_level'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.linkage_check_result(mynahoken.mynumber_token, mynahoken.mynumber_token, mynahoken.linkage_provenance, boolean, bytea[], bytea[], bytea[], bytea, bytea, bigint, mynahoken.mynumber_token, boolean, bytea[], bytea[], bytea[], bytea, bytea, text, boolean, boolean, boolean, smallint[], boolean[]) IS
  'The check of one member in one call: its own digests against those of its newest J-LIS answer, its report, whether its token is held by another person and whether a household swap was found; severity and lowered are linkage_reason in the order of linkage_reason_list() (error 22023 otherwise); returns the result packed as a bigint (bits 0-39 reasons, 40-51 fold levels, 56-59 severity: a result of severity s is at least s << 56)';
COMMENT ON FUNCTION mynahoken.linkage_swap_candidate(mynahoken.mynumber_token, mynahoken.mynumber_token, boolean, bytea, bytea, bytea[], bytea, bytea, bytea[]) IS
  'Whether the J-LIS answer for the member''s own token found a person whose birth date, sex or K2 カナ digest is not the member''s: only then can another household member be that person';
COMMENT ON FUNCTION mynahoken.linkage_member_result(mynahoken.mynumber_token, mynahoken.mynumber_token, boolean, boolean, bytea[], bytea[], bytea[], bytea, bytea, bigint, mynahoken.mynumber_token, boolean, bytea[], bytea[], bytea[], bytea, bytea, text, boolean) IS
  'What one member''s own row decides in its linkage check: its digests against those of its newest J-LIS answer (lookup: the number came from a J-LIS lookup; weak_unconfirmed: from a weak lookup never confirmed), its report; reason codes and fold levels packed as in linkage_check_result, severity 0, without the codes other rows decide; the generated column linkage_member.own_result';
COMMENT ON FUNCTION mynahoken.linkage_result_finish(bigint, boolean, boolean, smallint[], boolean[]) IS
  'A member''s stored own result (linkage_member_result) with token_shared_other_person and household_swap as shared and swap say, and its severity from severity and lowered (linkage_reason in the order of linkage_reason_list(); error 22023 otherwise): the packed result of linkage_check_result; NULL for a NULL own_result';
COMMENT ON FUNCTION mynahoken.linkage_reason_list() IS
  'The reason codes of the checks in the order of the bits of a packed result';
COMMENT ON FUNCTION mynahoken.linkage_result_reasons(bigint) IS
  'The reason codes of a packed check result';
COMMENT ON FUNCTION mynahoken.linkage_result_severity(bigint) IS
  'The severity (0-3) of a packed check result';
COMMENT ON FUNCTION mynahoken.linkage_result_level(bigint, integer) IS
  'The fold level of a packed check result for field 1 (カナ), 2 (漢字) or 3 (住所): -2 unverifiable, -1 none, 0 and up the level (カナ 4 and 5: a review form), NULL not compared; 22023 for another field';

CREATE SEQUENCE mynahoken.linkage_change_seq;
COMMENT ON SEQUENCE mynahoken.linkage_change_seq IS
  'Orders every change of a linkage input (member facts, newest J-LIS answer, newest report): incremental checks look at members changed since the last run';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_change_seq', '');

CREATE TABLE mynahoken.linkage_member (
  -- what the check reads of every member comes first, so that a scan
  -- deforms four columns, not the digests
  insured_key       text PRIMARY KEY,
  token             mynahoken.mynumber_token,
  -- what the member's own row decides (reason codes and fold levels,
  -- linkage_member_result), kept with the row like an index: the check adds
  -- what other rows decide and the severity
  own_result        bigint GENERATED ALWAYS AS (
                      mynahoken.linkage_member_result(
                        token, sent_token, provenance IN ('jlis_lookup_5', 'jlis_lookup_weak'),
                        provenance = 'jlis_lookup_weak' AND NOT number_confirmed,
                        kanji_digest, kana_digest, address_digest, birth_date_digest, sex_digest,
                        jlis_response_id, jlis_token, jlis_found, jlis_kanji_digest, jlis_kana_digest,
                        jlis_address_digest, jlis_birth_date_digest, jlis_sex_digest,
                        report_claim, report_last4_matches)) STORED,
  -- whether another member of the household may be the person J-LIS found
  -- for this member's token (its facts are not the member's own): only then
  -- does the check look the household up
  swap_candidate    boolean GENERATED ALWAYS AS (
                      household IS NOT NULL
                      AND mynahoken.linkage_swap_candidate(token, jlis_token, jlis_found, birth_date_digest,
                                                           sex_digest, kana_digest, jlis_birth_date_digest,
                                                           jlis_sex_digest, jlis_kana_digest)) STORED,
  household         text,              -- 記号・番号 shared by the insured person and dependants
  sealed            mynahoken.mynumber_sealed,
  provenance        mynahoken.linkage_provenance NOT NULL DEFAULT 'unknown',
  number_confirmed  boolean NOT NULL DEFAULT false,   -- later confirmed from the member's own documents
  sent_token        mynahoken.mynumber_token,         -- token of the number last sent to the 中間サーバー
  kanji_digest      bytea[],
  kana_digest       bytea[],
  address_digest    bytea[],
  birth_date_digest bytea,
  sex_digest        bytea,
  jlis_response_id  bigint,            -- the newest J-LIS answer for this member, and its facts:
  jlis_token        mynahoken.mynumber_token,   -- copied here so that the check reads one row per member
  jlis_found        boolean,
  jlis_kanji_digest bytea[],
  jlis_kana_digest  bytea[],
  jlis_address_digest bytea[],
  jlis_birth_date_digest bytea,
  jlis_sex_digest   bytea,
  report_id         bigint,            -- the newest report of this member
  change_seq        bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq'),
  identity_seq      bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq'),
                    -- last change of what other members' checks read: token, household, birth date, sex, カナ
  report_claim      text,              -- the claim and the yes/no of the newest report, copied here
  report_last4_matches boolean         -- so that the check reads one row per member
);
COMMENT ON TABLE mynahoken.linkage_member IS
  'The insurer''s own facts of each member as keyed digests (kanji, kana and address at every fold level, birth date, sex), the token and sealed value of the linked My Number, its provenance, the token last sent onward, and a copy of the digests of its newest J-LIS answer (jlis_*); change_seq orders every change, identity_seq the changes other members'' checks depend on (token, household, birth date, sex, カナ), the newest report''s claim and yes/no, whether a household swap is possible (swap_candidate, generated) and what the member''s own row decides in its check (own_result, generated by linkage_member_result); filled by linkage_load_members, linkage_load_jlis and record_member_report';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_member', '');
CREATE INDEX linkage_member_token ON mynahoken.linkage_member (token);
CREATE INDEX linkage_member_household ON mynahoken.linkage_member (household);
CREATE INDEX linkage_member_change ON mynahoken.linkage_member (change_seq);
COMMENT ON INDEX mynahoken.linkage_member_token IS 'Members by token: one token on two people';
COMMENT ON INDEX mynahoken.linkage_member_household IS 'Members by household: swaps inside a household';
COMMENT ON INDEX mynahoken.linkage_member_change IS 'Members by change: incremental checks';
CREATE INDEX linkage_member_swap ON mynahoken.linkage_member (insured_key) WHERE swap_candidate;
COMMENT ON INDEX mynahoken.linkage_member_swap IS 'Members whose J-LIS facts are not their own: household swaps';

-- A token or household a member left: the members who still hold it are
-- checked again by the next incremental run (their token may no longer be
-- shared, their household no longer swapped).
CREATE TABLE mynahoken.linkage_left (
  change_seq  bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq'),
  token       mynahoken.mynumber_token,
  household   text
);
COMMENT ON TABLE mynahoken.linkage_left IS
  'Tokens and households members left (a corrected number, a move between households), with the change that left them: an incremental check looks again at the members who still hold them; emptied as runs finish';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_left', '');

-- Tokens held by two or more different people (birth date, sex or K2 カナ
-- differ), kept by the triggers below on every change of linkage_member,
-- like an index: the check reads it instead of aggregating every token.
-- Not dumped: restoring linkage_member fills it again.
CREATE TABLE mynahoken.linkage_shared_token (
  token mynahoken.mynumber_token PRIMARY KEY
);
COMMENT ON TABLE mynahoken.linkage_shared_token IS
  'Tokens that linkage_member holds for two or more different people (birth date, sex or K2 カナ digest differ): one number, two people (E7); kept by triggers on linkage_member, never written by hand';

CREATE FUNCTION mynahoken.linkage_shared_token_sync()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  touched mynahoken.mynumber_token[];
  rows bigint;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE mynahoken.linkage_shared_token;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    SELECT count(*) INTO rows FROM linkage_old;
  ELSE
    SELECT count(*) INTO rows FROM linkage_new;
  END IF;
  IF rows > 100000 THEN
    -- a bulk load: count every token again
    DELETE FROM mynahoken.linkage_shared_token;
    INSERT INTO mynahoken.linkage_shared_token (token)
    SELECT m.token FROM mynahoken.linkage_member AS m WHERE m.token IS NOT NULL
     GROUP BY m.token
    HAVING count(DISTINCT ROW(m.birth_date_digest, m.sex_digest, m.kana_digest[3])) > 1;
    RETURN NULL;
  END IF;
  -- the tokens whose holders may have changed
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n.token) INTO touched FROM linkage_new AS n WHERE n.token IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT o.token) INTO touched FROM linkage_old AS o WHERE o.token IS NOT NULL;
  ELSE
    SELECT array_agg(DISTINCT t.token) INTO touched
      FROM linkage_old AS o FULL JOIN linkage_new AS n ON n.insured_key = o.insured_key
     CROSS JOIN LATERAL (VALUES (o.token), (n.token)) AS t (token)
     WHERE t.token IS NOT NULL
       AND ROW(mynahoken.mynumber_token_send(o.token), o.birth_date_digest, o.sex_digest, o.kana_digest[3])
           IS DISTINCT FROM
           ROW(mynahoken.mynumber_token_send(n.token), n.birth_date_digest, n.sex_digest, n.kana_digest[3]);
  END IF;
  IF touched IS NULL THEN
    RETURN NULL;
  END IF;
  DELETE FROM mynahoken.linkage_shared_token AS s WHERE s.token OPERATOR(mynahoken.=) ANY (touched);
  INSERT INTO mynahoken.linkage_shared_token (token)
  SELECT m.token FROM mynahoken.linkage_member AS m
   WHERE m.token OPERATOR(mynahoken.=) ANY (touched)
   GROUP BY m.token
  HAVING count(DISTINCT ROW(m.birth_date_digest, m.sex_digest, m.kana_digest[3])) > 1;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_shared_token_sync() IS
  'Trigger of linkage_member: recounts the people holding each token a statement inserted, deleted or changed (token, birth date, sex, K2 カナ) and keeps linkage_shared_token';
CREATE TRIGGER linkage_shared_token_insert AFTER INSERT ON mynahoken.linkage_member
  REFERENCING NEW TABLE AS linkage_new FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
CREATE TRIGGER linkage_shared_token_update AFTER UPDATE ON mynahoken.linkage_member
  REFERENCING OLD TABLE AS linkage_old NEW TABLE AS linkage_new FOR EACH STATEMENT
  EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
CREATE TRIGGER linkage_shared_token_delete AFTER DELETE ON mynahoken.linkage_member
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
CREATE TRIGGER linkage_shared_token_truncate AFTER TRUNCATE ON mynahoken.linkage_member
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_shared_token_sync();
COMMENT ON TRIGGER linkage_shared_token_insert ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';
COMMENT ON TRIGGER linkage_shared_token_update ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';
COMMENT ON TRIGGER linkage_shared_token_delete ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';
COMMENT ON TRIGGER linkage_shared_token_truncate ON mynahoken.linkage_member IS 'Keeps linkage_shared_token';

-- A member removed has no current result: its row of linkage_check goes
-- with it (a full run reads the members, not the results, so it would not
-- find it).  Its cases and their history stay.
CREATE FUNCTION mynahoken.linkage_member_forget()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM mynahoken.linkage_check;
  ELSE
    DELETE FROM mynahoken.linkage_check AS c USING linkage_old AS o
     WHERE c.insured_key = o.insured_key
       AND NOT EXISTS (SELECT FROM mynahoken.linkage_member AS m WHERE m.insured_key = o.insured_key);
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_member_forget() IS
  'Trigger of linkage_member: removes the current check result (linkage_check) of the members a statement deleted or truncated; their cases stay';
CREATE TRIGGER linkage_member_forget_delete AFTER DELETE ON mynahoken.linkage_member
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_member_forget();
CREATE TRIGGER linkage_member_forget_truncate AFTER TRUNCATE ON mynahoken.linkage_member
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_member_forget();
COMMENT ON TRIGGER linkage_member_forget_delete ON mynahoken.linkage_member IS 'Removes the check results of deleted members';
COMMENT ON TRIGGER linkage_member_forget_truncate ON mynahoken.linkage_member IS 'Removes the check results of every member';

CREATE SEQUENCE mynahoken.jlis_response_id_seq;
COMMENT ON SEQUENCE mynahoken.jlis_response_id_seq IS 'Identifiers of J-LIS answers';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.jlis_response_id_seq', '');
CREATE TABLE mynahoken.jlis_response (
  response_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.jlis_response_id_seq'),
  insured_key       text NOT NULL,
  token             mynahoken.mynumber_token NOT NULL,   -- the number that was asked about
  asked_on          date NOT NULL,
  source            text NOT NULL CHECK (source IN ('own_query', 'chukan_match', 'member_docs')),
  found             boolean NOT NULL,                    -- J-LIS had a person for this number
  kanji_digest      bytea[],
  kana_digest       bytea[],
  address_digest    bytea[],
  birth_date_digest bytea,
  sex_digest        bytea,
  source_ref        text                                 -- file and row of the answer, never its content
);
COMMENT ON TABLE mynahoken.jlis_response IS
  'J-LIS answers (基本4情報/5情報) for a member and the number asked about: keyed digests only, the token of the number, where the answer came from (own query, 中間サーバー 突合結果, member''s documents); filled by linkage_load_jlis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.jlis_response', '');
CREATE INDEX jlis_response_member ON mynahoken.jlis_response (insured_key, asked_on DESC, response_id DESC);
COMMENT ON INDEX mynahoken.jlis_response_member IS 'J-LIS answers of a member, newest first';

CREATE SEQUENCE mynahoken.member_report_id_seq;
COMMENT ON SEQUENCE mynahoken.member_report_id_seq IS 'Identifiers of members'' reports';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_report_id_seq', '');
CREATE TABLE mynahoken.member_report (
  report_id     bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.member_report_id_seq'),
  insured_key   text NOT NULL,
  reported_on   date NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('employer', 'mail', 'counter', 'portal')),
  claim         text NOT NULL CHECK (claim IN ('last4_differs', 'last4_ok', 'not_me', 'facts_wrong')),
  last4_matches boolean          -- the reported digits against the sealed number; the digits are not kept
);
COMMENT ON TABLE mynahoken.member_report IS
  'Members'' reports after the 資格情報のお知らせ (下4桁): the claim, the channel, and whether the reported last four digits match the sealed number (the digits themselves are never stored); filled by record_member_report';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_report', '');
CREATE INDEX member_report_member ON mynahoken.member_report (insured_key);
COMMENT ON INDEX mynahoken.member_report_member IS 'Reports of a member';

-- ---------------------------------------------------------------------------
-- Reason codes, resolutions, runs, results, cases

CREATE TABLE mynahoken.linkage_reason (
  code      text PRIMARY KEY,
  severity  smallint NOT NULL CHECK (severity BETWEEN 0 AND 3),
  strength  text NOT NULL CHECK (strength IN ('strong', 'review', 'info')),
  lowered_by_last4_ok boolean NOT NULL,
  basis     text NOT NULL,
  rarer_from date        -- from this day the code should become rarer (the 戸籍 カナ, 2026-05-26)
);
COMMENT ON TABLE mynahoken.linkage_reason IS
  'Reason codes of the linkage checks: default severity (3 high, 2 review, 1 info, 0 recorded only; the insurer may change it), strength, whether a member''s matching last four digits lower it by one, the basis (doc/linkage.md), and the day from which a code should become rarer (K2/K3 kana codes: カナ recorded from the 戸籍 from 2026-05-26, 令和5年法律第48号)';
INSERT INTO mynahoken.linkage_reason (code, severity, strength, lowered_by_last4_ok, basis, rarer_from) VALUES
  ('jlis_not_found',                       3, 'strong', false, 'J-LIS has no person for the linked number (E5: a typo that passes the check digit)', NULL),
  ('birth_date_mismatch',                  3, 'strong', false, '生年月日 differs: 3.6 % of such mismatches were real errors (E3, E4)', NULL),
  ('sex_mismatch',                         3, 'strong', false, '性別 differs: strong signal, never fuzzed', NULL),
  ('kana_mismatch',                        3, 'strong', true,  'カナ氏名 differs at every fold level (E1, E4)', NULL),
  ('token_shared_other_person',            3, 'strong', false, 'another member with the same token differs in birth date, sex or カナ (E7)', NULL),
  ('household_swap',                       3, 'strong', false, 'J-LIS facts of the linked number are the own facts of another member of the household (E3, E4)', NULL),
  ('address_mismatch_after_lookup',        3, 'strong', true,  '住所 differs and the number came from a J-LIS lookup: the only difference of a homonym (E2)', NULL),
  ('address_mismatch_kanji_unverifiable',  3, 'strong', true,  '漢字氏名 is unverifiable (●) and 住所 differs: nothing but カナ, birth date and sex left (E1)', NULL),
  ('member_reports_last4_differs',         3, 'strong', false, 'the member reports other last four digits than the registered number, or says it is not theirs', NULL),
  ('provenance_weak_unconfirmed',          2, 'review', true,  'number from a J-LIS lookup on カナ, birth date and sex only, never confirmed (E1)', NULL),
  ('kanji_mismatch',                       2, 'review', true,  '漢字氏名 differs at every fold level while カナ matches (外字, variant not in the table)', NULL),
  ('kanji_unverifiable',                   2, 'review', true,  '漢字氏名 holds ●, 〓 or 外字 on one side: it cannot be compared', NULL),
  ('kana_unverifiable',                    2, 'review', true,  'カナ氏名 holds a stand-in character on one side', NULL),
  ('correction_not_sent',                  2, 'review', false, 'the linked number differs from the one last sent to the 中間サーバー (E9)', NULL),
  ('member_reports_facts_wrong',           2, 'review', false, 'the member reports that the printed facts are wrong', NULL),
  ('address_mismatch',                     1, 'info',   false, '住所 differs; the number was submitted, so the address is probably stale (E10)', NULL),
  ('kana_small_large_only',                1, 'info',   false, 'カナ matches once small kana are written large (K2: early 住基 systems)', '2026-05-26'),
  ('kana_ji_zu_only',                      1, 'info',   false, 'カナ matches once ヂ/ヅ are written ジ/ズ (K3)', '2026-05-26'),
  ('kanji_variant_only',                   1, 'info',   false, '漢字 matches through the DBA''s variant table (J2: 髙→高)', NULL),
  ('jlis_not_checked',                     1, 'info',   false, 'no J-LIS answer for this member yet', NULL),
  ('jlis_stale',                           1, 'info',   false, 'the newest J-LIS answer is for another number than the one linked now', NULL),
  ('no_number_linked',                     1, 'info',   false, 'no My Number is linked (E11)', NULL),
  ('kana_notation_only',                   0, 'info',   false, 'カナ matches once width, hiragana and spaces are folded (K1)', NULL),
  ('kanji_notation_only',                  0, 'info',   false, '漢字 matches once width, spaces and variation selectors are folded (J1)', NULL),
  ('address_format_only',                  0, 'info',   false, '住所 matches once 丁目/番地/号, 漢数字 and dashes are folded (A1)', NULL),
  ('member_reports_last4_ok',              0, 'info',   false, 'the member''s reported last four digits match: lowers name-only codes by one, never birth date or sex', NULL),
  ('surname_only_mismatch',                2, 'review', true,  'only the surname differs: the given name (カナ, and 漢字 unless unverifiable), birth date and sex match (marriage not filed; the 0.025 % class)', NULL),
  ('kana_voicing_only',                    2, 'review', true,  'カナ matches only once 濁点/半濁点 are removed (タイスケ/ダイスケ): a refused fold, so a review, never a match', NULL),
  ('kana_long_vowel_only',                 2, 'review', true,  'カナ matches only once long vowels are folded (オーノ/オオノ): a refused fold, so a review, never a match', NULL),
  ('digest_key_stale',                     1, 'info',   false, 'the member''s digests and those of its J-LIS answer are under different key versions: reload both after a key rotation; nothing was compared', NULL);

CREATE TYPE mynahoken.linkage_case_state AS ENUM (
  'open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis',
  'corrected',            -- a new number is linked (new token) and sent onward
  'confirmed_no_error',   -- 理由付き疑いなし, with a resolution code
  'closed'
);
COMMENT ON TYPE mynahoken.linkage_case_state IS
  'State of a linkage case: open, waiting for the employer, the member or J-LIS, corrected, confirmed with a reason (理由付き疑いなし), closed';

CREATE TABLE mynahoken.linkage_resolution (
  code     text PRIMARY KEY,
  state    mynahoken.linkage_case_state NOT NULL,
  basis    text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_resolution IS
  'Codes a clerk may give with a state change (case notes are codes, never free text, so nobody pastes a name): the state each code goes with';
INSERT INTO mynahoken.linkage_resolution VALUES
  ('asked_employer',           'awaiting_employer',  'the employer was asked for the member''s documents'),
  ('asked_member',             'awaiting_member',    'the member was asked directly'),
  ('asked_jlis_5',             'awaiting_jlis',      'J-LIS was asked again with all 5 fields'),
  ('reopened',                 'open',               'the case goes back to the open queue'),
  ('number_corrected',         'corrected',          'the right number is linked and sent to the 中間サーバー'),
  ('surname_changed_marriage', 'confirmed_no_error', 'the surname changed (marriage) and was not yet filed'),
  ('address_not_updated',      'confirmed_no_error', 'the member moved and the address was not yet filed'),
  ('kanji_variant',            'confirmed_no_error', 'the names differ only in a kanji variant or 外字'),
  ('kana_spelling',            'confirmed_no_error', 'the names differ only in how カナ is written'),
  ('documents_checked',        'confirmed_no_error', 'the member''s identity documents show the number is theirs'),
  ('member_confirmed_last4',   'confirmed_no_error', 'the member confirmed the last four digits'),
  ('member_left',              'closed',             'the member left and the record is past'),
  ('duplicate_case',           'closed',             'the same error is handled in another case');

CREATE SEQUENCE mynahoken.linkage_run_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_run_id_seq IS 'Identifiers of linkage check runs';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run_id_seq', '');
CREATE TABLE mynahoken.linkage_run (
  run_id          bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_run_id_seq'),
  full_check      boolean NOT NULL,
  since_seq       bigint NOT NULL,     -- members changed after this ...
  upto_seq        bigint NOT NULL,     -- ... up to this are checked (all of them in a full check)
  status          text NOT NULL CHECK (status IN ('running', 'finished')),
  batch_size      integer NOT NULL CHECK (batch_size > 0),
  next_key        text,                -- resume point of an incremental run: members after this key
  members_checked bigint NOT NULL DEFAULT 0,
  cases_opened    bigint NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at     timestamptz,
  results_changed bigint NOT NULL DEFAULT 0,
  next_block      bigint,              -- resume point of a full run: blocks of linkage_member from this one
  scan_filenode   oid                  -- ... of this file of linkage_member (a rewrite starts the scan over)
);
COMMENT ON TABLE mynahoken.linkage_run IS
  'Runs of the linkage check: full or incremental (members changed since the last finished run), the resume point of a run that stopped (next_key for an incremental run, next_block and scan_filenode for a full one), counts (members checked, results that changed, cases opened)';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run', '');

CREATE TABLE mynahoken.linkage_run_key (
  run_id      bigint NOT NULL REFERENCES mynahoken.linkage_run ON DELETE CASCADE,
  insured_key text NOT NULL,
  PRIMARY KEY (run_id, insured_key)
);
COMMENT ON TABLE mynahoken.linkage_run_key IS
  'Members an incremental run checks: changed since the last run, and the members who share a token or a household with them';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_run_key', '');

CREATE TABLE mynahoken.linkage_check (
  insured_key   text PRIMARY KEY,
  run_id        bigint NOT NULL,   -- the run that found this result (linkage_refs_check, not a foreign key)
  result        bigint NOT NULL,   -- the packed result (linkage_result_reasons, _severity, _level)
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  kana_level    smallint,   -- fold level of the match; -1 no match, -2 unverifiable, NULL not compared
  kanji_level   smallint,
  address_level smallint
);
COMMENT ON TABLE mynahoken.linkage_check IS
  'Current result of the linkage check of every member of severity 1 and up (a member without a row is clean, or differs in notation only): the run that found it, reason codes, severity, and the fold level at which カナ, 漢字 and 住所 matched (-1 none, -2 unverifiable, 4 and 5 for カナ a review form, NULL not compared); a run writes only results that changed; codes only, never data';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_check', '');

-- How long a case may stay unanswered.  The 中間サーバー stops viewing until
-- the insurer corrects the record or confirms it with a reason, and no
-- deadline for that answer is published: the periods are the insurer's.
CREATE TABLE mynahoken.linkage_due_period (
  severity  smallint PRIMARY KEY CHECK (severity BETWEEN 2 AND 3),
  open_days integer NOT NULL CHECK (open_days BETWEEN 1 AND 250),
  basis     text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_due_period IS
  'Days the administration is open (行政機関の休日に関する法律 第1条, mynahoken.is_closed_day) from the opening of a linkage case to its due day, per severity, with the basis; shipped defaults, the insurer updates them';
INSERT INTO mynahoken.linkage_due_period VALUES
  (3, 5,  'mynahoken default: a strong signal stops viewing at the 中間サーバー (誤入力チェック since 2024-05-07) until answered; 5 days as for registering a member''s number (資格取得届, since 2023-06-01; 健保ニュース 2023-06上旬). No published deadline for the answer (UNCONFIRMED)'),
  (2, 20, 'mynahoken default: a review code; the 総点検 gave insurers about four months for the 1.39 M 氏名等不一致 (2023-12 to spring 2024, MHLW 医療保険部会 第173回); the insurer''s choice');

CREATE SEQUENCE mynahoken.linkage_case_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_id_seq IS 'Identifiers of linkage cases';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_id_seq', '');
CREATE TABLE mynahoken.linkage_case (
  case_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_id_seq'),
  insured_key   text NOT NULL,
  token         mynahoken.mynumber_token,    -- the token the case is about
  opened_run    bigint NOT NULL,
  last_run      bigint NOT NULL,
  opened_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  state         mynahoken.linkage_case_state NOT NULL DEFAULT 'open',
  assigned_to   name,
  resolution    text REFERENCES mynahoken.linkage_resolution,
  due_on        date,        -- from linkage_due_period; NULL beyond the holiday calendar
  result        bigint       -- the packed result that opened or last changed the case
);
COMMENT ON TABLE mynahoken.linkage_case IS
  'Work queue of the linkage checks: one case per member and error, with its reasons, severity, state, assigned role, resolution code and due day (linkage_due_period); at most one unfinished case per member';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case', '');
CREATE UNIQUE INDEX linkage_case_one_open ON mynahoken.linkage_case (insured_key)
  WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON INDEX mynahoken.linkage_case_one_open IS 'At most one unfinished case per member';

CREATE SEQUENCE mynahoken.linkage_case_event_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_event_id_seq IS 'Identifiers of linkage case events';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event_id_seq', '');
CREATE TABLE mynahoken.linkage_case_event (
  event_id    bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_event_id_seq'),
  case_id     bigint NOT NULL,   -- a case of linkage_case (linkage_refs_check, not a foreign key)
  at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  actor       name NOT NULL DEFAULT SESSION_USER,
  from_state  mynahoken.linkage_case_state,
  to_state    mynahoken.linkage_case_state NOT NULL,
  code        text NOT NULL,
  assigned_to name
);
COMMENT ON TABLE mynahoken.linkage_case_event IS
  'History of each linkage case, append-only: who, when, from which state to which, with a code (opened_by_check, a resolution code, assigned); never free text';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event', '');
CREATE INDEX linkage_case_event_case ON mynahoken.linkage_case_event (case_id, event_id);
COMMENT ON INDEX mynahoken.linkage_case_event_case IS 'History of a case in order';

-- What foreign keys would check, once per statement: a first full check
-- writes a result, a case and an event for hundreds of thousands of members
-- in one statement per batch, where a foreign key runs a query for every row
-- (about half of what writing them cost).  A result names an existing run
-- and goes with it; an event names an existing case, and a case with
-- history stays.
CREATE FUNCTION mynahoken.linkage_refs_check()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the rows a statement wrote are looked up by primary key, never by a scan
-- of every run or case: the planner would pick one for a table it believes
-- empty (statistics of a table truncated or new), once per written row
SET enable_seqscan = off
AS $$
BEGIN
  IF TG_TABLE_NAME = 'linkage_check' THEN
    IF EXISTS (SELECT FROM (SELECT DISTINCT n.run_id FROM linkage_new AS n) AS n
                WHERE NOT EXISTS (SELECT FROM mynahoken.linkage_run AS r WHERE r.run_id = n.run_id)) THEN
      PERFORM mynahoken.raise_error('23503', 'a linkage check result refers to a run that does not exist');
    END IF;
  ELSIF TG_TABLE_NAME = 'linkage_case_event' THEN
    IF EXISTS (SELECT FROM linkage_new AS n
                WHERE NOT EXISTS (SELECT FROM mynahoken.linkage_case AS c WHERE c.case_id = n.case_id)) THEN
      PERFORM mynahoken.raise_error('23503', 'a linkage case event refers to a case that does not exist');
    END IF;
  ELSIF TG_TABLE_NAME = 'linkage_run' THEN
    DELETE FROM mynahoken.linkage_check AS c USING linkage_old AS o WHERE c.run_id = o.run_id;
  ELSIF TG_TABLE_NAME = 'linkage_case' THEN
    IF TG_OP = 'TRUNCATE' THEN
      IF EXISTS (SELECT FROM mynahoken.linkage_case_event) THEN
        PERFORM mynahoken.raise_error('23503', 'linkage cases with history cannot be removed');
      END IF;
    ELSIF EXISTS (SELECT FROM linkage_old AS o
                   WHERE EXISTS (SELECT FROM mynahoken.linkage_case_event AS e WHERE e.case_id = o.case_id)
                     AND NOT EXISTS (SELECT FROM mynahoken.linkage_case AS c WHERE c.case_id = o.case_id)) THEN
      PERFORM mynahoken.raise_error('23503', 'linkage cases with history cannot be removed');
    END IF;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_refs_check() IS
  'Trigger of linkage_check, linkage_case_event, linkage_run and linkage_case, once per statement: 23503 for a result whose run or an event whose case does not exist, or for removing a case with history; deleting a run deletes its results';
CREATE TRIGGER linkage_check_run_insert AFTER INSERT ON mynahoken.linkage_check
  REFERENCING NEW TABLE AS linkage_new FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_check_run_update AFTER UPDATE ON mynahoken.linkage_check
  REFERENCING NEW TABLE AS linkage_new FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_case_event_case_insert AFTER INSERT ON mynahoken.linkage_case_event
  REFERENCING NEW TABLE AS linkage_new FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_case_event_case_update AFTER UPDATE ON mynahoken.linkage_case_event
  REFERENCING NEW TABLE AS linkage_new FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_run_delete AFTER DELETE ON mynahoken.linkage_run
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_case_history_delete AFTER DELETE ON mynahoken.linkage_case
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_case_history_update AFTER UPDATE ON mynahoken.linkage_case
  REFERENCING OLD TABLE AS linkage_old FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
CREATE TRIGGER linkage_case_history_truncate AFTER TRUNCATE ON mynahoken.linkage_case
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.linkage_refs_check();
COMMENT ON TRIGGER linkage_check_run_insert ON mynahoken.linkage_check IS 'A result names an existing run';
COMMENT ON TRIGGER linkage_check_run_update ON mynahoken.linkage_check IS 'A result names an existing run';
COMMENT ON TRIGGER linkage_case_event_case_insert ON mynahoken.linkage_case_event IS 'An event names an existing case';
COMMENT ON TRIGGER linkage_case_event_case_update ON mynahoken.linkage_case_event IS 'An event names an existing case';
COMMENT ON TRIGGER linkage_run_delete ON mynahoken.linkage_run IS 'Deleting a run deletes its results';
COMMENT ON TRIGGER linkage_case_history_delete ON mynahoken.linkage_case IS 'A case with history stays';
COMMENT ON TRIGGER linkage_case_history_update ON mynahoken.linkage_case IS 'A case with history keeps its identifier';
COMMENT ON TRIGGER linkage_case_history_truncate ON mynahoken.linkage_case IS 'A case with history stays';

-- ---------------------------------------------------------------------------
-- Loading

-- The column list a source must have, with the type each is read as.
CREATE FUNCTION mynahoken.linkage_source_check(source regclass, columns text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text[];
BEGIN
  SELECT array_agg(c ORDER BY c) INTO missing
    FROM unnest(columns) AS c
   WHERE NOT EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = source AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
  IF missing IS NOT NULL THEN
    PERFORM mynahoken.raise_error('42703', 'linkage source lacks columns',
      detail => pg_catalog.format(mynahoken.gettext('Missing: %s.'), array_to_string(missing, ', ')),
      hint => pg_catalog.format(mynahoken.gettext('The source needs the columns %s.'), array_to_string(columns, ', ')));
  END IF;
  RETURN (SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_source_check(regclass, text[]) IS
  'The qualified name of a linkage source after checking it has the columns named (an error lists the missing column names, never data); used by linkage_load_members and linkage_load_jlis';

-- The kanji variant table as the two strings linkage_digests takes.
CREATE FUNCTION mynahoken.kanji_variant_strings(OUT variant_from text, OUT variant_to text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT COALESCE(pg_catalog.string_agg(k.variant, '' ORDER BY k.variant), ''),
         COALESCE(pg_catalog.string_agg(k.standard, '' ORDER BY k.variant), '')
    FROM mynahoken.kanji_variant AS k;
END;
COMMENT ON FUNCTION mynahoken.kanji_variant_strings() IS
  'The kanji variant table as the two strings of single characters linkage_digests takes (variant_from, variant_to)';

CREATE FUNCTION mynahoken.linkage_load_members(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'household', 'token', 'sealed', 'provenance', 'number_confirmed', 'sent_token',
          'kanji_name', 'kana_name', 'address', 'birth_date', 'sex']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete or repeated rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) - count(DISTINCT s.insured_key) + count(*) FILTER (WHERE s.insured_key IS NULL)
                     FROM %s AS s$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23505', pg_catalog.format(mynahoken.gettext('linkage source has %s rows without a key or with a repeated key'), bad),
      detail => 'Every member needs one row with its own insured_key.');
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO before FROM mynahoken.linkage_change_seq AS s;
  -- The tokens and households members leave: the next incremental check
  -- looks again at whoever still holds them.
  EXECUTE format($q$
    INSERT INTO mynahoken.linkage_left (token, household)
    SELECT CASE WHEN x.token_left THEN x.token END, CASE WHEN x.household_left THEN x.household END
      FROM (SELECT m.token, m.household,
                   mynahoken.mynumber_token_send(m.token) IS DISTINCT FROM
                     mynahoken.mynumber_token_send(s.token::mynahoken.mynumber_token) AS token_left,
                   m.household IS DISTINCT FROM s.household::text AS household_left
              FROM %s AS s JOIN mynahoken.linkage_member AS m ON m.insured_key = s.insured_key::text) AS x
     WHERE (x.token_left AND x.token IS NOT NULL) OR (x.household_left AND x.household IS NOT NULL)$q$, src);
  -- Digests are computed once here; a member whose facts, number or
  -- provenance did not change keeps its row and its change_seq.
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings()),
    s AS (
      SELECT s.insured_key::text AS insured_key, s.household::text AS household,
             s.token::mynahoken.mynumber_token AS token, s.sealed::mynahoken.mynumber_sealed AS sealed,
             COALESCE(s.provenance::text, 'unknown')::mynahoken.linkage_provenance AS provenance,
             COALESCE(s.number_confirmed::boolean, false) AS number_confirmed,
             s.sent_token::mynahoken.mynumber_token AS sent_token,
             mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to) AS kanji_digest,
             mynahoken.linkage_digests(s.kana_name::text, 'kana') AS kana_digest,
             mynahoken.linkage_digests(s.address::text, 'address') AS address_digest,
             mynahoken.linkage_birth_date_digest(s.birth_date::date) AS birth_date_digest,
             mynahoken.linkage_sex_digest(s.sex::integer) AS sex_digest
        FROM %s AS s CROSS JOIN v)
    INSERT INTO mynahoken.linkage_member AS m
           (insured_key, household, token, sealed, provenance, number_confirmed, sent_token,
            kanji_digest, kana_digest, address_digest, birth_date_digest, sex_digest)
    SELECT * FROM s
    ON CONFLICT (insured_key) DO UPDATE
       SET household = EXCLUDED.household, token = EXCLUDED.token, sealed = EXCLUDED.sealed,
           provenance = EXCLUDED.provenance, number_confirmed = EXCLUDED.number_confirmed,
           sent_token = EXCLUDED.sent_token, kanji_digest = EXCLUDED.kanji_digest,
           kana_digest = EXCLUDED.kana_digest, address_digest = EXCLUDED.address_digest,
           birth_date_digest = EXCLUDED.birth_date_digest, sex_digest = EXCLUDED.sex_digest,
           change_seq = pg_catalog.nextval('mynahoken.linkage_change_seq'),
           identity_seq = CASE WHEN ROW(m.household, mynahoken.mynumber_token_send(m.token), m.kana_digest,
                                        m.birth_date_digest, m.sex_digest)
                                    IS DISTINCT FROM
                                    ROW(EXCLUDED.household, mynahoken.mynumber_token_send(EXCLUDED.token),
                                        EXCLUDED.kana_digest, EXCLUDED.birth_date_digest, EXCLUDED.sex_digest)
                               THEN pg_catalog.nextval('mynahoken.linkage_change_seq') ELSE m.identity_seq END
     WHERE ROW(m.household, mynahoken.mynumber_token_send(m.token), mynahoken.mynumber_sealed_send(m.sealed),
               m.provenance::text, m.number_confirmed, mynahoken.mynumber_token_send(m.sent_token),
               m.kanji_digest, m.kana_digest, m.address_digest, m.birth_date_digest, m.sex_digest)
           IS DISTINCT FROM
           ROW(EXCLUDED.household, mynahoken.mynumber_token_send(EXCLUDED.token),
               mynahoken.mynumber_sealed_send(EXCLUDED.sealed), EXCLUDED.provenance::text,
               EXCLUDED.number_confirmed, mynahoken.mynumber_token_send(EXCLUDED.sent_token),
               EXCLUDED.kanji_digest, EXCLUDED.kana_digest, EXCLUDED.address_digest,
               EXCLUDED.birth_date_digest, EXCLUDED.sex_digest)$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- A member loaded after its J-LIS answer or report points at them now.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT k.insured_key FROM mynahoken.linkage_member AS k
                                    WHERE k.change_seq > before AND k.jlis_response_id IS NULL)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS NULL;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_load_members(regclass) IS
  'Load the insurer''s member facts from a table or view (columns in doc/linkage.md; typically a temporary table filled by COPY): digests replace names, addresses, birth dates and sex; rows that did not change keep their change_seq; returns the rows inserted or changed';

CREATE FUNCTION mynahoken.linkage_load_jlis(source regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src text := mynahoken.linkage_source_check(source,
    ARRAY['insured_key', 'token', 'asked_on', 'source', 'found', 'kanji_name', 'kana_name', 'address',
          'birth_date', 'sex', 'source_ref']);
  n bigint;
  before bigint;
  bad bigint;
BEGIN
  -- Refuse incomplete rows here: a constraint error would quote the row.
  EXECUTE format($q$SELECT count(*) FROM %s AS s
                     WHERE s.insured_key IS NULL OR s.token IS NULL OR s.asked_on IS NULL OR s.found IS NULL
                        OR s.source IS NULL OR s.source::text NOT IN ('own_query', 'chukan_match', 'member_docs')$q$, src)
    INTO bad;
  IF bad > 0 THEN
    PERFORM mynahoken.raise_error('23502', pg_catalog.format(mynahoken.gettext('linkage source has %s incomplete rows'), bad),
      detail => 'Every J-LIS answer needs insured_key, token, asked_on, found and a source of own_query, chukan_match or member_docs.');
  END IF;
  SELECT COALESCE(max(r.response_id), 0) INTO before FROM mynahoken.jlis_response AS r;
  EXECUTE format($q$
    WITH v AS (SELECT * FROM mynahoken.kanji_variant_strings())
    INSERT INTO mynahoken.jlis_response
           (insured_key, token, asked_on, source, found, kanji_digest, kana_digest, address_digest,
            birth_date_digest, sex_digest, source_ref)
    SELECT s.insured_key::text, s.token::mynahoken.mynumber_token, s.asked_on::date, s.source::text,
           s.found::boolean,
           mynahoken.linkage_digests(s.kanji_name::text, 'kanji', v.variant_from, v.variant_to),
           mynahoken.linkage_digests(s.kana_name::text, 'kana'),
           mynahoken.linkage_digests(s.address::text, 'address'),
           mynahoken.linkage_birth_date_digest(s.birth_date::date),
           mynahoken.linkage_sex_digest(s.sex::integer),
           s.source_ref::text
      FROM %s AS s CROSS JOIN v$q$, src);
  GET DIAGNOSTICS n = ROW_COUNT;
  -- Each member points at its newest answer; a new pointer is a change.
  UPDATE mynahoken.linkage_member AS m
     SET jlis_response_id = j.response_id, jlis_token = j.token, jlis_found = j.found,
         jlis_kanji_digest = j.kanji_digest, jlis_kana_digest = j.kana_digest,
         jlis_address_digest = j.address_digest, jlis_birth_date_digest = j.birth_date_digest,
         jlis_sex_digest = j.sex_digest,
         change_seq = nextval('mynahoken.linkage_change_seq')
    FROM (SELECT DISTINCT ON (r.insured_key) r.*
            FROM mynahoken.jlis_response AS r
           WHERE r.insured_key IN (SELECT x.insured_key FROM mynahoken.jlis_response AS x
                                    WHERE x.response_id > before)
           ORDER BY r.insured_key, r.asked_on DESC, r.response_id DESC) AS j
   WHERE m.insured_key = j.insured_key AND m.jlis_response_id IS DISTINCT FROM j.response_id;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_load_jlis(regclass) IS
  'Load J-LIS answers from a table or view (columns in doc/linkage.md; the number asked about as a token): digests replace the 基本4情報/5情報; each member then points at its newest answer; returns the answers loaded';

CREATE FUNCTION mynahoken.record_member_report(insured_key text, reported_last4 text, claim text,
                                               channel text DEFAULT 'employer',
                                               reported_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k text := insured_key;
  m record;
  matches boolean;
  id bigint;
BEGIN
  SELECT l.sealed INTO m FROM mynahoken.linkage_member AS l WHERE l.insured_key = k;
  -- No error for an unknown member: its statement (with the digits) would
  -- be logged.  NULL says nothing was recorded.
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF reported_last4 IS NOT NULL AND m.sealed IS NOT NULL THEN
    matches := mynahoken.linkage_last4_matches(m.sealed, reported_last4);
  END IF;
  INSERT INTO mynahoken.member_report (insured_key, reported_on, channel, claim, last4_matches)
  VALUES (k, reported_on, channel, claim, matches)
  RETURNING report_id INTO id;
  UPDATE mynahoken.linkage_member AS l
     SET report_id = id, report_claim = claim, report_last4_matches = matches,
         change_seq = nextval('mynahoken.linkage_change_seq')
   WHERE l.insured_key = k;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.record_member_report(text, text, text, text, date) IS
  'Record a member''s report after the 資格情報のお知らせ: the reported last four digits are compared inside with the sealed number and only the yes/no is kept; claim last4_differs, last4_ok, not_me or facts_wrong; NULL (nothing recorded) for a member not loaded; pass the digits as a bind parameter';

-- ---------------------------------------------------------------------------
-- The check: set-based, incremental, resumable

CREATE FUNCTION mynahoken.linkage_begin_run(full_check boolean, batch_size integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r bigint;
  since bigint;
  upto bigint;
BEGIN
  -- One run at a time; a run that stopped is resumed, not restarted.
  PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('mynahoken linkage run'));
  SELECT l.run_id INTO r FROM mynahoken.linkage_run AS l WHERE l.status = 'running' ORDER BY l.run_id LIMIT 1;
  IF FOUND THEN
    RETURN r;
  END IF;
  -- Wait for loads in flight, so that every change numbered up to upto is
  -- visible to this run.
  LOCK TABLE mynahoken.linkage_member IN SHARE MODE;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO upto FROM mynahoken.linkage_change_seq AS s;
  SELECT COALESCE(max(l.upto_seq), 0) INTO since FROM mynahoken.linkage_run AS l WHERE l.status = 'finished';
  INSERT INTO mynahoken.linkage_run (full_check, since_seq, upto_seq, status, batch_size)
  VALUES (full_check, CASE WHEN full_check THEN 0 ELSE since END, upto, 'running', batch_size)
  RETURNING run_id INTO r;
  IF NOT full_check THEN
    -- The members changed, and, where what other members' checks read
    -- changed (token, household, birth date, sex, カナ) or a token or
    -- household was left, the members who share it.  A new address, answer
    -- or report changes no one else's result.
    INSERT INTO mynahoken.linkage_run_key (run_id, insured_key)
    WITH changed AS (
      SELECT m.insured_key, m.token, m.household, m.identity_seq > since AS identity
        FROM mynahoken.linkage_member AS m
       WHERE m.change_seq > since AND m.change_seq <= upto),
    moved AS (
      SELECT c.token, c.household FROM changed AS c WHERE c.identity
      UNION ALL
      SELECT l.token, l.household FROM mynahoken.linkage_left AS l
       WHERE l.change_seq > since AND l.change_seq <= upto)
    SELECT r, k.insured_key
      FROM (SELECT c.insured_key FROM changed AS c
            UNION
            -- look each one up (OFFSET 0 keeps the index probes: the few
            -- members moved against the whole table)
            SELECT o.insured_key FROM moved AS v
             CROSS JOIN LATERAL (SELECT o.insured_key FROM mynahoken.linkage_member AS o
                                  WHERE o.token OPERATOR(mynahoken.=) v.token OFFSET 0) AS o
            UNION
            SELECT o.insured_key FROM moved AS v
             CROSS JOIN LATERAL (SELECT o.insured_key FROM mynahoken.linkage_member AS o
                                  WHERE o.household = v.household OFFSET 0) AS o) AS k
     -- in key order, so that the batches read the members in the order of the key index
     ORDER BY k.insured_key;
    -- so that the batches are planned for the number of members they check
    ANALYZE mynahoken.linkage_run_key;
  END IF;
  RETURN r;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_begin_run(boolean, integer) IS
  'Start a linkage check run (or return the run that stopped, to resume it): a full run checks every member, an incremental one the members changed since the last finished run and, where a token, household, birth date, sex or カナ changed or a token or household was left, those sharing it';

-- The due day of a case opened today: the open_days-th day after today on
-- which the administration is open; NULL beyond the holiday calendar.
CREATE FUNCTION mynahoken.linkage_due_on(opened_on date, open_days integer)
RETURNS date
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN opened_on OPERATOR(pg_catalog.<) '1948-07-20' THEN NULL
              WHEN pg_catalog.date_part('year', opened_on OPERATOR(pg_catalog.+)
                                               ((open_days OPERATOR(pg_catalog.*) 2) OPERATOR(pg_catalog.+) 14))
                   OPERATOR(pg_catalog.<=) (SELECT pg_catalog.max(e.year) FROM mynahoken.equinox_day AS e)
              THEN (SELECT d.d FROM (SELECT opened_on OPERATOR(pg_catalog.+) i AS d
                                       FROM pg_catalog.generate_series(1, (open_days OPERATOR(pg_catalog.*) 2)
                                                                          OPERATOR(pg_catalog.+) 14) AS i) AS d
                     WHERE NOT mynahoken.is_closed_day(d.d)
                     ORDER BY d.d OFFSET open_days OPERATOR(pg_catalog.-) 1 LIMIT 1) END;
END;
COMMENT ON FUNCTION mynahoken.linkage_due_on(date, integer) IS
  'The open_days-th day after opened_on on which the administration is open (行政機関の休日に関する法律 第1条: no weekend, 休日 or 12/29-1/3); NULL when that may lie outside the holiday calendar';

CREATE FUNCTION mynahoken.linkage_run_batch(run_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  run record;
  hi text;
  lo_block bigint;
  hi_block bigint;
  nblocks bigint;
  per_block float8;
  filenode oid;
  checked bigint;
  opened bigint;
  changed bigint;
  source text;
  shared mynahoken.mynumber_token[];
  swapped text[];
  severities smallint[];
  lowered boolean[];
  due2 date;
  due3 date;
BEGIN
  SELECT * INTO run FROM mynahoken.linkage_run AS l WHERE l.run_id = linkage_run_batch.run_id FOR UPDATE;
  IF NOT FOUND OR run.status <> 'running' THEN
    RETURN true;
  END IF;
  IF run.full_check THEN
    -- Every member: the batch is a range of blocks of the table [lo, hi),
    -- read by a TID range scan, so that the batches together read the
    -- table once, in its physical order, and filter nothing.  A rewritten
    -- table (VACUUM FULL, CLUSTER) has other blocks: the run starts over
    -- (members checked twice get the same result, which is not written).
    filenode := pg_relation_filenode('mynahoken.linkage_member');
    lo_block := CASE WHEN run.scan_filenode = filenode THEN COALESCE(run.next_block, 0) ELSE 0 END;
    nblocks := pg_relation_size('mynahoken.linkage_member') / current_setting('block_size')::bigint;
    -- about batch_size members: the statistics' members per block, or a
    -- count of the first blocks when the table was never analyzed
    SELECT CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages END INTO per_block
      FROM pg_class AS c WHERE c.oid = 'mynahoken.linkage_member'::regclass;
    IF per_block IS NULL THEN
      SELECT count(*)::float8 / greatest(least(nblocks, 16), 1) INTO per_block
        FROM mynahoken.linkage_member AS m WHERE m.ctid < format('(%s,0)', least(nblocks, 16))::tid;
    END IF;
    hi_block := lo_block + greatest(ceil(run.batch_size / greatest(per_block, 1)), 1)::bigint;
    IF hi_block >= nblocks THEN
      -- the last batch: up to the end, including blocks added meanwhile
      hi_block := NULL;
    END IF;
    IF lo_block = 0 AND hi_block IS NULL THEN
      -- the whole table in one batch: a sequential scan, which reads it
      -- through a small ring of buffers (a TID range scan would replace
      -- shared_buffers with it, a table larger than them at every batch)
      source := 'mynahoken.linkage_member AS m';
    ELSE
      source := 'mynahoken.linkage_member AS m'
                ' WHERE m.ctid OPERATOR(pg_catalog.>=) $10 AND m.ctid OPERATOR(pg_catalog.<) $11';
    END IF;
  ELSE
    -- The members of this run, a key range (next_key, hi] of
    -- linkage_run_key: the next batch_size of them in key order, each
    -- looked up; hi is NULL for the last batch.
    SELECT count(*), max(b.k) INTO checked, hi
      FROM (SELECT rk.insured_key AS k FROM mynahoken.linkage_run_key AS rk
             WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
             ORDER BY rk.insured_key LIMIT run.batch_size) AS b;
    IF checked < run.batch_size
       OR NOT EXISTS (SELECT FROM mynahoken.linkage_run_key AS rk
                       WHERE rk.run_id = run.run_id AND rk.insured_key > hi) THEN
      hi := NULL;
    END IF;
    source := 'mynahoken.linkage_run_key AS rk JOIN mynahoken.linkage_member AS m'
              ' ON m.insured_key OPERATOR(pg_catalog.=) rk.insured_key'
              ' AND rk.run_id OPERATOR(pg_catalog.=) $1'
              ' WHERE ($2 IS NULL OR rk.insured_key OPERATOR(pg_catalog.>) $2)'
              ' AND ($3 IS NULL OR rk.insured_key OPERATOR(pg_catalog.<=) $3)';
  END IF;
  -- The severity table in the order of the result bits, and the due days.
  SELECT array_agg(COALESCE(lr.severity, 0::smallint) ORDER BY o.n),
         array_agg(COALESCE(lr.lowered_by_last4_ok, false) ORDER BY o.n)
    INTO severities, lowered
    FROM unnest(mynahoken.linkage_reason_list()) WITH ORDINALITY AS o (code, n)
    LEFT JOIN mynahoken.linkage_reason AS lr ON lr.code = o.code;
  SELECT mynahoken.linkage_due_on(current_date, d.open_days) INTO due2 FROM mynahoken.linkage_due_period AS d WHERE d.severity = 2;
  SELECT mynahoken.linkage_due_on(current_date, d.open_days) INTO due3 FROM mynahoken.linkage_due_period AS d WHERE d.severity = 3;
  -- The tokens held by two people (few, kept by the triggers), and the
  -- members whose J-LIS facts are another household member's own (few:
  -- swap_candidate, a partial index); the statement below tests each
  -- member against these two sets (hashed) instead of joining.
  SELECT COALESCE(array_agg(st.token), '{}') INTO shared FROM mynahoken.linkage_shared_token AS st;
  -- (of this batch only: its blocks, or its keys)
  IF run.full_check THEN
    SELECT COALESCE(array_agg(m.insured_key), '{}') INTO swapped
      FROM mynahoken.linkage_member AS m
     WHERE m.ctid >= format('(%s,0)', lo_block)::tid
       AND m.ctid < format('(%s,0)', COALESCE(hi_block, 4294967295))::tid
       AND m.swap_candidate
       AND EXISTS (SELECT FROM mynahoken.linkage_member AS o
                    WHERE o.household = m.household AND o.insured_key <> m.insured_key
                      AND o.birth_date_digest = m.jlis_birth_date_digest AND o.sex_digest = m.jlis_sex_digest
                      AND o.kana_digest[3] = m.jlis_kana_digest[3]);
  ELSE
    SELECT COALESCE(array_agg(m.insured_key), '{}') INTO swapped
      FROM mynahoken.linkage_member AS m
     WHERE m.swap_candidate
       AND (run.next_key IS NULL OR m.insured_key > run.next_key) AND (hi IS NULL OR m.insured_key <= hi)
       AND EXISTS (SELECT FROM mynahoken.linkage_run_key AS rk
                    WHERE rk.run_id = run.run_id AND rk.insured_key = m.insured_key)
       AND EXISTS (SELECT FROM mynahoken.linkage_member AS o
                    WHERE o.household = m.household AND o.insured_key <> m.insured_key
                      AND o.birth_date_digest = m.jlis_birth_date_digest AND o.sex_digest = m.jlis_sex_digest
                      AND o.kana_digest[3] = m.jlis_kana_digest[3]);
  END IF;

  -- One set-based statement per batch.  Each member's result comes from one
  -- C call on what its own row decided when it was written (own_result:
  -- digest equality only, reasons packed in a bigint), the two small sets
  -- above and the severity table; results of severity 0 are none.  Only
  -- results that differ from the member's current one (looked up by key)
  -- are written, and only they open or update cases: a run over unchanged
  -- members writes nothing.  A member without a current result gets one by
  -- a plain insert, and a member without an unfinished case a new case
  -- (only a run writes either, one run at a time): no speculative insertion
  -- for the many rows of a first check.
  EXECUTE format($q$
  WITH a AS (
    -- one pass over the batch: the number of members checked, and the
    -- results that changed (few but in a first run), kept as four arrays
    SELECT pg_catalog.count(*) AS checked,
           pg_catalog.array_agg(b.insured_key) FILTER (WHERE b.changed) AS keys,
           pg_catalog.array_agg(b.token) FILTER (WHERE b.changed) AS tokens,
           pg_catalog.array_agg(b.result) FILTER (WHERE b.changed) AS results,
           pg_catalog.array_agg(b.had) FILTER (WHERE b.changed) AS had
      FROM (SELECT x.insured_key, x.token, n.result, n.result IS DISTINCT FROM c.result AS changed,
                   c.result IS NOT NULL AS had
              FROM (SELECT m.insured_key, m.token,
                           mynahoken.linkage_result_finish(
                             m.own_result, m.token OPERATOR(mynahoken.=) ANY ($8),
                             m.swap_candidate AND m.insured_key OPERATOR(pg_catalog.=) ANY ($9), $4, $5) AS result
                      FROM %1$s) AS x
             CROSS JOIN LATERAL (SELECT CASE WHEN x.result OPERATOR(pg_catalog.>=) 72057594037927936  -- severity 1 and up
                                             THEN x.result END AS result) AS n
              LEFT JOIN %2$s) AS b),
  d AS (
    SELECT u.insured_key, u.token, u.result, u.had,
           mynahoken.linkage_result_reasons(u.result) AS reasons,
           mynahoken.linkage_result_severity(u.result) AS severity
      FROM a CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(a.keys), pg_catalog.unnest(a.tokens),
                                            pg_catalog.unnest(a.results), pg_catalog.unnest(a.had))
                                AS u (insured_key, token, result, had)),
  gone AS (
    DELETE FROM mynahoken.linkage_check AS c USING d
     WHERE c.insured_key OPERATOR(pg_catalog.=) d.insured_key AND d.result IS NULL),
  upd AS (
    UPDATE mynahoken.linkage_check AS c
       SET run_id = $1, result = d.result, reasons = d.reasons, severity = d.severity,
           kana_level = mynahoken.linkage_result_level(d.result, 1),
           kanji_level = mynahoken.linkage_result_level(d.result, 2),
           address_level = mynahoken.linkage_result_level(d.result, 3)
      FROM d
     WHERE c.insured_key OPERATOR(pg_catalog.=) d.insured_key AND d.result IS NOT NULL AND d.had),
  ins AS (
    INSERT INTO mynahoken.linkage_check
           (insured_key, run_id, result, reasons, severity, kana_level, kanji_level, address_level)
    SELECT d.insured_key, $1, d.result, d.reasons, d.severity,
           mynahoken.linkage_result_level(d.result, 1), mynahoken.linkage_result_level(d.result, 2),
           mynahoken.linkage_result_level(d.result, 3)
      FROM d WHERE d.result IS NOT NULL AND NOT d.had),
  -- A case for severity 2 and up, unless one is unfinished (it gets the new
  -- reasons, and the earlier due day); nothing is closed here.
  k AS (
    SELECT d.insured_key, d.token, d.reasons, d.severity, d.result,
           CASE WHEN d.severity OPERATOR(pg_catalog.>=) 3 THEN $7 ELSE $6 END AS due_on,
           EXISTS (SELECT FROM mynahoken.linkage_case AS lc
                    WHERE lc.insured_key OPERATOR(pg_catalog.=) d.insured_key
                      AND lc.state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis')) AS unfinished
      FROM d WHERE d.severity OPERATOR(pg_catalog.>=) 2),
  cs_new AS (
    INSERT INTO mynahoken.linkage_case (insured_key, token, opened_run, last_run, reasons, severity, due_on, result)
    SELECT k.insured_key, k.token, $1, $1, k.reasons, k.severity, k.due_on, k.result FROM k WHERE NOT k.unfinished
    RETURNING case_id),
  -- (an unfinished case finished meanwhile by a clerk: a new one is opened)
  cs AS (
    INSERT INTO mynahoken.linkage_case AS lc (insured_key, token, opened_run, last_run, reasons, severity, due_on, result)
    SELECT k.insured_key, k.token, $1, $1, k.reasons, k.severity, k.due_on, k.result FROM k WHERE k.unfinished
    ON CONFLICT (insured_key) WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis')
    DO UPDATE SET last_run = EXCLUDED.last_run, reasons = EXCLUDED.reasons, severity = EXCLUDED.severity,
                  result = EXCLUDED.result, due_on = LEAST(lc.due_on, EXCLUDED.due_on)
    RETURNING lc.case_id, (lc.xmax OPERATOR(pg_catalog.=) 0) AS inserted),
  ev AS (
    INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
    SELECT o.case_id, NULL, 'open', 'opened_by_check'
      FROM (SELECT cs_new.case_id FROM cs_new UNION ALL SELECT cs.case_id FROM cs WHERE cs.inserted) AS o
    RETURNING 1)
  SELECT (SELECT a.checked FROM a), (SELECT pg_catalog.count(*) FROM ev), (SELECT pg_catalog.count(*) FROM d)$q$,
    source,
    -- the current results: all of them, hashed, for a full run; looked up
    -- one by one for the few members of an incremental one
    CASE WHEN run.full_check
         THEN 'mynahoken.linkage_check AS c ON c.insured_key OPERATOR(pg_catalog.=) x.insured_key'
         ELSE 'LATERAL (SELECT c.result FROM mynahoken.linkage_check AS c'
              ' WHERE c.insured_key OPERATOR(pg_catalog.=) x.insured_key OFFSET 0) AS c ON true' END)
  INTO checked, opened, changed
  USING run.run_id, run.next_key, hi, severities, lowered, due2, due3, shared, swapped,
        format('(%s,0)', lo_block)::tid, format('(%s,0)', COALESCE(hi_block, 4294967295))::tid;

  UPDATE mynahoken.linkage_run AS l
     SET next_key = hi, next_block = hi_block, scan_filenode = filenode,
         members_checked = l.members_checked + checked,
         cases_opened = l.cases_opened + opened, results_changed = l.results_changed + changed,
         status = CASE WHEN hi IS NULL AND hi_block IS NULL THEN 'finished' ELSE l.status END,
         finished_at = CASE WHEN hi IS NULL AND hi_block IS NULL THEN clock_timestamp() END
   WHERE l.run_id = run.run_id;
  IF hi IS NULL AND hi_block IS NULL THEN
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_left AS lf WHERE lf.change_seq <= run.upto_seq;
    RETURN true;
  END IF;
  RETURN false;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_run_batch(bigint) IS
  'Check the next batch of a linkage run in one set-based statement (one C call per member for its reason codes; digest equality only): a full run reads the member table in ranges of blocks of about batch_size members, an incremental run looks up the next batch_size of its members; write the results that changed to linkage_check, open or update cases of severity 2 and up with their due day, move the resume point; true when the run is finished';

CREATE PROCEDURE mynahoken.linkage_check_nightly(full_check boolean DEFAULT false,
                                                 batch_size integer DEFAULT NULL,
                                                 commit_batches boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
-- No SET clause (it would forbid COMMIT): every name is qualified and the
-- work is done by functions that fix their own search_path.
DECLARE
  run pg_catalog.int8;
  done pg_catalog.bool := false;
BEGIN
  IF full_check IS NULL OR commit_batches IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'full_check and commit_batches must not be null');
  END IF;
  IF batch_size IS NULL THEN
    -- Automatic.  Each batch of a full check hashes the current results
    -- once: in about ten batches (of at least 100,000 members, by the
    -- table's statistics) that costs ten hashes whatever the table's size,
    -- where batches of a fixed size would cost one per batch, growing with
    -- the square of the members.  An incremental check looks its members
    -- up by key: 50,000 per batch.
    IF full_check THEN
      SELECT pg_catalog.int4(LEAST(GREATEST(100000::pg_catalog.float8,
                                                                  pg_catalog.ceil(c.reltuples OPERATOR(pg_catalog./) 10::pg_catalog.float8)),
                                              2147483647::pg_catalog.float8))
        INTO batch_size
        FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) 'mynahoken.linkage_member'::pg_catalog.regclass;
    ELSE
      batch_size := 50000;
    END IF;
  ELSIF batch_size OPERATOR(pg_catalog.<) 1 THEN
    PERFORM mynahoken.raise_error('22023', 'batch_size must be a positive integer');
  END IF;
  IF commit_batches THEN
    COMMIT;
  END IF;
  run := mynahoken.linkage_begin_run(full_check, batch_size);
  IF commit_batches THEN
    COMMIT;
  END IF;
  WHILE NOT done LOOP
    done := mynahoken.linkage_run_batch(run);
    IF commit_batches THEN
      COMMIT;
    END IF;
  END LOOP;
END
$$;
COMMENT ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) IS
  'The nightly linkage check: incremental by default (members changed since the last run), full_check for all; commits every batch of batch_size members (a full check: of whole blocks of the member table holding about that many); batch_size NULL (the default) is automatic: a tenth of the members by the table''s statistics, at least 100,000, for a full check (each of its batches hashes the current results once), 50,000 for an incremental one and resumes a run that stopped; commit_batches false runs it inside the caller''s transaction (needed within BEGIN, where a COMMIT raises 2D000); 22023 for a batch_size below 1, 22004 for a null full_check or commit_batches';

-- ---------------------------------------------------------------------------
-- The work queue

CREATE FUNCTION mynahoken.linkage_case_transition(case_id bigint, to_state mynahoken.linkage_case_state,
                                                  code text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  code_state mynahoken.linkage_case_state;
  current_token mynahoken.mynumber_token;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_transition.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format(mynahoken.gettext('linkage case %s does not exist'), linkage_case_transition.case_id));
  END IF;
  IF c.state IN ('corrected', 'confirmed_no_error', 'closed') THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('linkage case %s is finished (%s)'), c.case_id, c.state),
      hint => 'A new check opens a new case if the error is still there.');
  END IF;
  SELECT r.state INTO code_state FROM mynahoken.linkage_resolution AS r WHERE r.code = linkage_case_transition.code;
  IF code_state IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'unknown linkage resolution code',
      hint => 'The codes are in mynahoken.linkage_resolution; case notes are codes, never free text.');
  END IF;
  IF code_state <> to_state THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('resolution code %s does not go with the target state'), linkage_case_transition.code));
  END IF;
  IF to_state = 'corrected' THEN
    SELECT m.token INTO current_token FROM mynahoken.linkage_member AS m WHERE m.insured_key = c.insured_key;
    IF mynahoken.mynumber_token_send(current_token) IS NOT DISTINCT FROM mynahoken.mynumber_token_send(c.token) THEN
      PERFORM mynahoken.raise_error('55000', pg_catalog.format(mynahoken.gettext('linkage case %s cannot be corrected: the member still has the same number'), c.case_id),
        hint => 'Link the right number (linkage_load_members) before marking the case corrected.');
    END IF;
  END IF;
  UPDATE mynahoken.linkage_case AS lc
     SET state = to_state,
         resolution = CASE WHEN to_state IN ('corrected', 'confirmed_no_error', 'closed')
                           THEN linkage_case_transition.code END
   WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
  VALUES (c.case_id, c.state, to_state, linkage_case_transition.code);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text) IS
  'Move a linkage case to another state with a resolution code that goes with it (corrected needs a new number linked; confirmed_no_error is 理由付き疑いなし); finished cases do not move; the history records who and when';

CREATE FUNCTION mynahoken.linkage_case_assign(case_id bigint, assignee regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = linkage_case_assign.case_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format(mynahoken.gettext('linkage case %s does not exist'), linkage_case_assign.case_id));
  END IF;
  UPDATE mynahoken.linkage_case AS lc SET assigned_to = assignee::text::name WHERE lc.case_id = c.case_id;
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code, assigned_to)
  VALUES (c.case_id, c.state, c.state, 'assigned', assignee::text::name);
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_case_assign(bigint, regrole) IS
  'Assign a linkage case to a role (a team or a clerk); recorded in the case history';

CREATE FUNCTION mynahoken.explain_linkage_case(case_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  kana smallint;
  kanji smallint;
  address smallint;
  level_name text[] := ARRAY['exact', 'notation', 'small_large', 'ji_zu', 'voicing_review', 'long_vowel_review'];
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = explain_linkage_case.case_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- the levels of the result that opened or last changed the case
  kana := mynahoken.linkage_result_level(c.result, 1);
  kanji := mynahoken.linkage_result_level(c.result, 2);
  address := mynahoken.linkage_result_level(c.result, 3);
  RETURN jsonb_build_object(
    'case_id', c.case_id, 'state', c.state, 'severity', c.severity, 'assigned_to', c.assigned_to,
    'resolution', c.resolution, 'due_on', c.due_on,
    'reasons', (SELECT jsonb_agg(jsonb_build_object('code', r.code, 'severity', r.severity, 'strength', r.strength,
                                                    'lowered_by_last4_ok', r.lowered_by_last4_ok) ORDER BY r.severity DESC, r.code)
                  FROM mynahoken.linkage_reason AS r WHERE r.code = ANY (c.reasons)),
    'checks', jsonb_build_object(
       'jlis', CASE WHEN 'no_number_linked' = ANY (c.reasons) THEN 'no_number'
                    WHEN 'jlis_not_checked' = ANY (c.reasons) THEN 'not_checked'
                    WHEN 'jlis_stale' = ANY (c.reasons) THEN 'answer_for_another_number'
                    WHEN 'jlis_not_found' = ANY (c.reasons) THEN 'not_found' ELSE 'found' END,
       'key_version', CASE WHEN 'digest_key_stale' = ANY (c.reasons) THEN 'stale' ELSE 'same' END,
       'birth_date', CASE WHEN kana IS NULL THEN 'not_compared'
                          WHEN 'birth_date_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'sex', CASE WHEN kana IS NULL THEN 'not_compared'
                   WHEN 'sex_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'kana', CASE WHEN kana IS NULL THEN 'not_compared'
                    WHEN 'surname_only_mismatch' = ANY (c.reasons) THEN 'given_name_only'
                    WHEN kana = -1 THEN 'mismatch'
                    WHEN kana = -2 THEN 'unverifiable'
                    ELSE 'K' || kana || ' ' || level_name[kana + 1] END,
       'kanji', CASE WHEN kanji IS NULL THEN 'not_compared' WHEN kanji = -1 THEN 'mismatch'
                     WHEN kanji = -2 THEN 'unverifiable'
                     ELSE 'J' || kanji || ' ' || (ARRAY['exact', 'notation', 'variant_table'])[kanji + 1] END,
       'address', CASE WHEN address IS NULL THEN 'not_compared' WHEN address = -1 THEN 'mismatch'
                       WHEN address = -2 THEN 'unverifiable'
                       ELSE 'A' || address || ' ' || (ARRAY['exact', 'notation'])[address + 1] END,
       'token_shared_other_person', 'token_shared_other_person' = ANY (c.reasons),
       'household_swap', 'household_swap' = ANY (c.reasons),
       'member_report', CASE WHEN 'member_reports_last4_differs' = ANY (c.reasons) THEN 'last4_differs'
                             WHEN 'member_reports_last4_ok' = ANY (c.reasons) THEN 'last4_ok'
                             WHEN 'member_reports_facts_wrong' = ANY (c.reasons) THEN 'facts_wrong'
                             ELSE 'none' END),
    'history', (SELECT jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor, 'from', e.from_state,
                                                    'to', e.to_state, 'code', e.code, 'assigned_to', e.assigned_to)
                                 ORDER BY e.event_id)
                  FROM mynahoken.linkage_case_event AS e WHERE e.case_id = c.case_id));
END
$$;
COMMENT ON FUNCTION mynahoken.explain_linkage_case(bigint) IS
  'Why a linkage case exists: its reason codes with severity and strength, its due day, each check (J-LIS, key version, birth date, sex, and the fold level or review form at which カナ, 漢字 and 住所 matched) and its history; codes only, no name, number or digit';

CREATE VIEW mynahoken.linkage_queue AS
SELECT c.case_id, c.insured_key, c.state, c.severity, c.reasons, c.assigned_to, c.opened_at,
       c.opened_run, c.last_run, c.due_on
  FROM mynahoken.linkage_case AS c
 WHERE c.state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON VIEW mynahoken.linkage_queue IS
  'Unfinished linkage cases, for clerks: member key, state, severity, reason codes, assignment, due day; no name, number or digit';

CREATE VIEW mynahoken.linkage_runs AS
SELECT l.run_id, l.full_check, l.status, l.members_checked, l.cases_opened, l.started_at, l.finished_at,
       l.finished_at - l.started_at AS duration, l.results_changed
  FROM mynahoken.linkage_run AS l;
COMMENT ON VIEW mynahoken.linkage_runs IS 'Linkage check runs: kind, status, members checked, cases opened, duration, results that changed';

-- ---------------------------------------------------------------------------
-- pg_cron (optional)

CREATE FUNCTION mynahoken.linkage_cron_command(full_check boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.linkage_check_nightly(' || CASE WHEN full_check THEN 'true' ELSE 'false' END || ')';
COMMENT ON FUNCTION mynahoken.linkage_cron_command(boolean) IS
  'The single CALL a pg_cron job runs for the linkage check (every name qualified, so the job''s search_path does not matter)';

CREATE FUNCTION mynahoken.schedule_linkage_check(schedule text DEFAULT '30 17 * * *',
                                                 job_name text DEFAULT 'mynahoken-linkage',
                                                 full_check boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.cron_schedule(job_name, schedule, mynahoken.linkage_cron_command(full_check));
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_linkage_check(text, text, boolean) IS
  'Schedule the linkage check of this database with pg_cron (default 17:30 UTC = 02:30 JST, incremental; a second job with full_check for a weekly full run), pg_cron here or, with dblink, in cron.database_name; returns the job id; raises 22023, 42704 and 42710 as cron_schedule';

CREATE FUNCTION mynahoken.unschedule_linkage_check(job_name text DEFAULT 'mynahoken-linkage')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.cron_unschedule(job_name);
END
$$;
COMMENT ON FUNCTION mynahoken.unschedule_linkage_check(text) IS
  'Remove the pg_cron job of this database''s linkage check (pg_cron here or, with dblink, in cron.database_name); false when there was none; raises 42704 as cron_query';

-- ---------------------------------------------------------------------------
-- Roles: the intake loads and runs; a clerk sees cases and codes, not data.
-- Only mynahoken_unseal recovers a number, as for every sealed value.

REVOKE ALL ON FUNCTION mynahoken.linkage_source_check(regclass, text[]),
  mynahoken.linkage_load_members(regclass), mynahoken.linkage_load_jlis(regclass),
  mynahoken.record_member_report(text, text, text, text, date),
  mynahoken.linkage_begin_run(boolean, integer), mynahoken.linkage_run_batch(bigint),
  mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint),
  mynahoken.schedule_linkage_check(text, text, boolean), mynahoken.unschedule_linkage_check(text)
  FROM PUBLIC;
REVOKE ALL ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_source_check(regclass, text[]),
  mynahoken.linkage_load_members(regclass), mynahoken.linkage_load_jlis(regclass),
  mynahoken.record_member_report(text, text, text, text, date),
  mynahoken.linkage_begin_run(boolean, integer), mynahoken.linkage_run_batch(bigint)
  TO mynahoken_linkage_intake;
GRANT EXECUTE ON PROCEDURE mynahoken.linkage_check_nightly(boolean, integer, boolean) TO mynahoken_linkage_intake;
GRANT SELECT, INSERT, UPDATE ON mynahoken.linkage_member, mynahoken.jlis_response TO mynahoken_linkage_intake;
GRANT INSERT ON mynahoken.linkage_left TO mynahoken_linkage_intake;
GRANT USAGE ON SEQUENCE mynahoken.linkage_change_seq, mynahoken.jlis_response_id_seq TO mynahoken_linkage_intake;
GRANT SELECT ON mynahoken.linkage_case, mynahoken.linkage_case_event, mynahoken.linkage_check,
  mynahoken.linkage_reason, mynahoken.linkage_resolution, mynahoken.linkage_run, mynahoken.linkage_due_period,
  mynahoken.linkage_queue, mynahoken.linkage_runs TO mynahoken_linkage_clerk;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint)
  TO mynahoken_linkage_clerk;
