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
  'Keyed digests of a name or address (field kana, kanji or address), one per fold level (level 0 exact, then NFKC and the folds of doc/linkage.md); variant_from/variant_to: the kanji variant table as two strings of single characters; NULL when the value contains ●, 〓 or 外字';
COMMENT ON FUNCTION mynahoken.linkage_birth_date_digest(date) IS
  'Keyed digest of a birth date (no fold level: a birth date is never fuzzed)';
COMMENT ON FUNCTION mynahoken.linkage_sex_digest(integer) IS
  'Keyed digest of a sex code as J-LIS gives it (1, 2); no fold level';
COMMENT ON FUNCTION mynahoken.linkage_match_level(bytea[], bytea[]) IS
  'Lowest fold level (0-based) at which two digest arrays hold the same digest, or NULL when none does';
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

CREATE SEQUENCE mynahoken.linkage_change_seq;
COMMENT ON SEQUENCE mynahoken.linkage_change_seq IS
  'Orders every change of a linkage input (member facts, newest J-LIS answer, newest report): incremental checks look at members changed since the last run';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_change_seq', '');

CREATE TABLE mynahoken.linkage_member (
  insured_key       text PRIMARY KEY,
  household         text,              -- 記号・番号 shared by the insured person and dependants
  token             mynahoken.mynumber_token,
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
  change_seq        bigint NOT NULL DEFAULT pg_catalog.nextval('mynahoken.linkage_change_seq')
);
COMMENT ON TABLE mynahoken.linkage_member IS
  'The insurer''s own facts of each member as keyed digests (kanji, kana and address at every fold level, birth date, sex), the token and sealed value of the linked My Number, its provenance, the token last sent onward, and a copy of the digests of its newest J-LIS answer (jlis_*); filled by linkage_load_members and linkage_load_jlis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_member', '');
CREATE INDEX linkage_member_token ON mynahoken.linkage_member (token);
CREATE INDEX linkage_member_household ON mynahoken.linkage_member (household);
CREATE INDEX linkage_member_change ON mynahoken.linkage_member (change_seq);
COMMENT ON INDEX mynahoken.linkage_member_token IS 'Members by token: one token on two people';
COMMENT ON INDEX mynahoken.linkage_member_household IS 'Members by household: swaps inside a household';
COMMENT ON INDEX mynahoken.linkage_member_change IS 'Members by change: incremental checks';

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
  basis     text NOT NULL
);
COMMENT ON TABLE mynahoken.linkage_reason IS
  'Reason codes of the linkage checks: default severity (3 high, 2 review, 1 info, 0 recorded only), strength, whether a member''s matching last four digits lower it by one, and the basis (doc/linkage.md)';
INSERT INTO mynahoken.linkage_reason VALUES
  ('jlis_not_found',                       3, 'strong', false, 'J-LIS has no person for the linked number (E5: a typo that passes the check digit)'),
  ('birth_date_mismatch',                  3, 'strong', false, '生年月日 differs: 3.6 % of such mismatches were real errors (E3, E4)'),
  ('sex_mismatch',                         3, 'strong', false, '性別 differs: strong signal, never fuzzed'),
  ('kana_mismatch',                        3, 'strong', true,  'カナ氏名 differs at every fold level (E1, E4)'),
  ('token_shared_other_person',            3, 'strong', false, 'another member with the same token differs in birth date, sex or カナ (E7)'),
  ('household_swap',                       3, 'strong', false, 'J-LIS facts of the linked number are the own facts of another member of the household (E3, E4)'),
  ('address_mismatch_after_lookup',        3, 'strong', true,  '住所 differs and the number came from a J-LIS lookup: the only difference of a homonym (E2)'),
  ('address_mismatch_kanji_unverifiable',  3, 'strong', true,  '漢字氏名 is unverifiable (●) and 住所 differs: nothing but カナ, birth date and sex left (E1)'),
  ('member_reports_last4_differs',         3, 'strong', false, 'the member reports other last four digits than the registered number, or says it is not theirs'),
  ('provenance_weak_unconfirmed',          2, 'review', true,  'number from a J-LIS lookup on カナ, birth date and sex only, never confirmed (E1)'),
  ('kanji_mismatch',                       2, 'review', true,  '漢字氏名 differs at every fold level while カナ matches (外字, variant not in the table)'),
  ('kanji_unverifiable',                   2, 'review', true,  '漢字氏名 holds ●, 〓 or 外字 on one side: it cannot be compared'),
  ('kana_unverifiable',                    2, 'review', true,  'カナ氏名 holds a stand-in character on one side'),
  ('correction_not_sent',                  2, 'review', false, 'the linked number differs from the one last sent to the 中間サーバー (E9)'),
  ('member_reports_facts_wrong',           2, 'review', false, 'the member reports that the printed facts are wrong'),
  ('address_mismatch',                     1, 'info',   false, '住所 differs; the number was submitted, so the address is probably stale (E10)'),
  ('kana_small_large_only',                1, 'info',   false, 'カナ matches once small kana are written large (K2: early 住基 systems)'),
  ('kana_ji_zu_only',                      1, 'info',   false, 'カナ matches once ヂ/ヅ are written ジ/ズ (K3)'),
  ('kanji_variant_only',                   1, 'info',   false, '漢字 matches through the DBA''s variant table (J2: 髙→高)'),
  ('jlis_not_checked',                     1, 'info',   false, 'no J-LIS answer for this member yet'),
  ('jlis_stale',                           1, 'info',   false, 'the newest J-LIS answer is for another number than the one linked now'),
  ('no_number_linked',                     1, 'info',   false, 'no My Number is linked (E11)'),
  ('kana_notation_only',                   0, 'info',   false, 'カナ matches once width, hiragana and spaces are folded (K1)'),
  ('kanji_notation_only',                  0, 'info',   false, '漢字 matches once width, spaces and variation selectors are folded (J1)'),
  ('address_format_only',                  0, 'info',   false, '住所 matches once 丁目/番地/号, 漢数字 and dashes are folded (A1)'),
  ('member_reports_last4_ok',              0, 'info',   false, 'the member''s reported last four digits match: lowers name-only codes by one, never birth date or sex');

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
  next_key        text,                -- resume point: members after this key are still to check
  members_checked bigint NOT NULL DEFAULT 0,
  cases_opened    bigint NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at     timestamptz
);
COMMENT ON TABLE mynahoken.linkage_run IS
  'Runs of the linkage check: full or incremental (members changed since the last finished run), the resume point of a run that stopped, counts';
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
  run_id        bigint NOT NULL REFERENCES mynahoken.linkage_run ON DELETE CASCADE,
  insured_key   text NOT NULL,
  reasons       text[] NOT NULL,
  severity      smallint NOT NULL,
  kana_level    smallint,   -- fold level of the match; -1 no match, -2 unverifiable, NULL not compared
  kanji_level   smallint,
  address_level smallint,
  PRIMARY KEY (run_id, insured_key)
);
COMMENT ON TABLE mynahoken.linkage_check IS
  'Result of each run per member of severity 1 and up (a member without a row was checked and is clean, or has notation differences only): reason codes, severity, and the fold level at which カナ, 漢字 and 住所 matched (-1 none, -2 unverifiable, NULL not compared); codes only, never data';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_check', '');

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
  resolution    text REFERENCES mynahoken.linkage_resolution
);
COMMENT ON TABLE mynahoken.linkage_case IS
  'Work queue of the linkage checks: one case per member and error, with its reasons, severity, state, assigned role and resolution code; at most one unfinished case per member';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case', '');
CREATE UNIQUE INDEX linkage_case_one_open ON mynahoken.linkage_case (insured_key)
  WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON INDEX mynahoken.linkage_case_one_open IS 'At most one unfinished case per member';

CREATE SEQUENCE mynahoken.linkage_case_event_id_seq;
COMMENT ON SEQUENCE mynahoken.linkage_case_event_id_seq IS 'Identifiers of linkage case events';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.linkage_case_event_id_seq', '');
CREATE TABLE mynahoken.linkage_case_event (
  event_id    bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.linkage_case_event_id_seq'),
  case_id     bigint NOT NULL REFERENCES mynahoken.linkage_case,
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
      detail => format('Missing: %s.', array_to_string(missing, ', ')),
      hint => format('The source needs the columns %s.', array_to_string(columns, ', ')));
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
    PERFORM mynahoken.raise_error('23505', pg_catalog.format('linkage source has %s rows without a key or with a repeated key', bad),
      detail => 'Every member needs one row with its own insured_key.');
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO before FROM mynahoken.linkage_change_seq AS s;
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
           change_seq = pg_catalog.nextval('mynahoken.linkage_change_seq')
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
    PERFORM mynahoken.raise_error('23502', pg_catalog.format('linkage source has %s incomplete rows', bad),
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
     SET report_id = id, change_seq = nextval('mynahoken.linkage_change_seq')
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
    INSERT INTO mynahoken.linkage_run_key (run_id, insured_key)
    WITH changed AS (
      SELECT m.insured_key, m.token, m.household FROM mynahoken.linkage_member AS m
       WHERE m.change_seq > since AND m.change_seq <= upto)
    SELECT r, c.insured_key FROM changed AS c
    UNION
    SELECT r, o.insured_key FROM changed AS c
      JOIN mynahoken.linkage_member AS o ON o.token OPERATOR(mynahoken.=) c.token
    UNION
    SELECT r, o.insured_key FROM changed AS c
      JOIN mynahoken.linkage_member AS o ON o.household = c.household;
    -- so that the batches are planned for the number of members they check
    ANALYZE mynahoken.linkage_run_key;
  END IF;
  RETURN r;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_begin_run(boolean, integer) IS
  'Start a linkage check run (or return the run that stopped, to resume it): a full run checks every member, an incremental one the members changed since the last finished run and those sharing a token or household with them';

CREATE FUNCTION mynahoken.linkage_run_batch(run_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  run record;
  hi text;
  n bigint;
  checked bigint;
  opened bigint;
  source text;
  shared_join text;
BEGIN
  SELECT * INTO run FROM mynahoken.linkage_run AS l WHERE l.run_id = linkage_run_batch.run_id FOR UPDATE;
  IF NOT FOUND OR run.status <> 'running' THEN
    RETURN true;
  END IF;
  -- The batch is a key range (next_key, hi]: the next batch_size members of
  -- the run in key order; hi is NULL for the last batch.
  IF run.full_check THEN
    SELECT count(*) INTO n FROM (SELECT FROM mynahoken.linkage_member AS m
                                   WHERE run.next_key IS NULL OR m.insured_key > run.next_key LIMIT 1) AS x;
    SELECT m.insured_key INTO hi FROM mynahoken.linkage_member AS m
     WHERE run.next_key IS NULL OR m.insured_key > run.next_key
     ORDER BY m.insured_key OFFSET run.batch_size - 1 LIMIT 1;
    -- every member: the table itself is the batch, scanned by key range;
    -- shared tokens from one aggregate (in token order, from the index)
    source := 'mynahoken.linkage_member AS m';
    shared_join := 'LEFT JOIN (SELECT t.token AS shared_token FROM mynahoken.linkage_member AS t'
                   ' WHERE t.token IS NOT NULL GROUP BY t.token'
                   ' HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) AS st'
                   ' ON st.shared_token OPERATOR(mynahoken.=) m.token';
    SELECT count(*) INTO checked FROM mynahoken.linkage_member AS m
     WHERE (run.next_key IS NULL OR m.insured_key > run.next_key) AND (hi IS NULL OR m.insured_key <= hi);
  ELSE
    SELECT count(*) INTO n FROM (SELECT FROM mynahoken.linkage_run_key AS rk
                                   WHERE rk.run_id = run.run_id
                                     AND (run.next_key IS NULL OR rk.insured_key > run.next_key) LIMIT 1) AS x;
    SELECT rk.insured_key INTO hi FROM mynahoken.linkage_run_key AS rk
     WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
     ORDER BY rk.insured_key OFFSET run.batch_size - 1 LIMIT 1;
    -- the members of this run: look each one up
    source := 'mynahoken.linkage_run_key AS rk JOIN mynahoken.linkage_member AS m'
              ' ON m.insured_key OPERATOR(pg_catalog.=) rk.insured_key'
              ' AND rk.run_id OPERATOR(pg_catalog.=) $1';
    shared_join := '';
    SELECT count(*) INTO checked FROM mynahoken.linkage_run_key AS rk
     WHERE rk.run_id = run.run_id AND (run.next_key IS NULL OR rk.insured_key > run.next_key)
       AND (hi IS NULL OR rk.insured_key <= hi);
  END IF;
  IF n = 0 THEN
    UPDATE mynahoken.linkage_run AS l SET status = 'finished', finished_at = clock_timestamp()
     WHERE l.run_id = run.run_id;
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
    RETURN true;
  END IF;

  -- One set-based statement per batch; every comparison is digest equality,
  -- reasons are codes.  A full run finds shared tokens with one hashed
  -- aggregate, an incremental one with index look-ups.  Members with
  -- nothing of severity 1 or more leave no row.
  EXECUTE format($q$
  WITH f AS (
    SELECT m.insured_key, m.token IS NULL AS no_number, m.jlis_response_id IS NULL AS no_jlis,
           m.jlis_response_id IS NOT NULL AND m.token IS NOT NULL
             AND NOT (m.jlis_token OPERATOR(mynahoken.=) m.token) AS stale,
           m.jlis_found AS found, m.provenance, m.number_confirmed,
           m.jlis_birth_date_digest IS DISTINCT FROM m.birth_date_digest AS birth_date_differs,
           m.jlis_sex_digest IS DISTINCT FROM m.sex_digest AS sex_differs,
           CASE WHEN m.kana_digest IS NULL OR m.jlis_kana_digest IS NULL THEN -2
                ELSE COALESCE(mynahoken.linkage_match_level(m.kana_digest, m.jlis_kana_digest), -1) END AS kana,
           CASE WHEN m.kanji_digest IS NULL OR m.jlis_kanji_digest IS NULL THEN -2
                ELSE COALESCE(mynahoken.linkage_match_level(m.kanji_digest, m.jlis_kanji_digest), -1) END AS kanji,
           CASE WHEN m.address_digest IS NULL OR m.jlis_address_digest IS NULL THEN -2
                ELSE COALESCE(mynahoken.linkage_match_level(m.address_digest, m.jlis_address_digest), -1) END AS address,
           m.token IS NOT NULL AND %3$s
             AND EXISTS (
             SELECT FROM mynahoken.linkage_member AS o
              WHERE o.token OPERATOR(mynahoken.=) m.token AND o.insured_key OPERATOR(pg_catalog.<>) m.insured_key
                AND (o.birth_date_digest IS DISTINCT FROM m.birth_date_digest
                     OR o.sex_digest IS DISTINCT FROM m.sex_digest
                     OR o.kana_digest[3] IS DISTINCT FROM m.kana_digest[3])) AS shared,
           m.household IS NOT NULL AND m.jlis_found AND m.jlis_token OPERATOR(mynahoken.=) m.token
             AND (m.jlis_birth_date_digest IS DISTINCT FROM m.birth_date_digest
                  OR m.jlis_sex_digest IS DISTINCT FROM m.sex_digest
                  OR m.jlis_kana_digest[3] IS DISTINCT FROM m.kana_digest[3])
             AND EXISTS (
             SELECT FROM mynahoken.linkage_member AS o
              WHERE o.household OPERATOR(pg_catalog.=) m.household AND o.insured_key OPERATOR(pg_catalog.<>) m.insured_key
                AND o.birth_date_digest OPERATOR(pg_catalog.=) m.jlis_birth_date_digest
                AND o.sex_digest OPERATOR(pg_catalog.=) m.jlis_sex_digest
                AND o.kana_digest[3] OPERATOR(pg_catalog.=) m.jlis_kana_digest[3]) AS swap,
           m.sent_token IS NOT NULL AND m.token IS NOT NULL
             AND NOT (m.sent_token OPERATOR(mynahoken.=) m.token) AS not_sent,
           r.claim, r.last4_matches
      FROM %1$s %2$s
      LEFT JOIN mynahoken.member_report AS r ON r.report_id OPERATOR(pg_catalog.=) m.report_id
     WHERE ($2 IS NULL OR m.insured_key OPERATOR(pg_catalog.>) $2)
       AND ($3 IS NULL OR m.insured_key OPERATOR(pg_catalog.<=) $3)
    -- OFFSET 0 keeps each step a subquery, so every comparison runs once per member
    OFFSET 0),
  c AS (
    -- compared: a J-LIS answer for the number linked now, with a person
    SELECT f.*, NOT f.no_number AND NOT f.no_jlis AND NOT f.stale AND f.found AS compared,
           f.provenance IN ('jlis_lookup_5', 'jlis_lookup_weak') AS lookup,
           (f.last4_matches IS TRUE AND f.claim IS DISTINCT FROM 'not_me') AS last4_ok
      FROM f OFFSET 0),
  rs AS (
    SELECT c.*, pg_catalog.array_remove(ARRAY[
      CASE WHEN c.no_number THEN 'no_number_linked' END,
      CASE WHEN NOT c.no_number AND c.no_jlis THEN 'jlis_not_checked' END,
      CASE WHEN c.stale THEN 'jlis_stale' END,
      CASE WHEN NOT c.no_number AND NOT c.no_jlis AND NOT c.stale AND NOT c.found THEN 'jlis_not_found' END,
      CASE WHEN c.compared AND c.birth_date_differs THEN 'birth_date_mismatch' END,
      CASE WHEN c.compared AND c.sex_differs THEN 'sex_mismatch' END,
      CASE WHEN c.compared THEN CASE c.kana WHEN -2 THEN 'kana_unverifiable' WHEN -1 THEN 'kana_mismatch'
                                            WHEN 1 THEN 'kana_notation_only' WHEN 2 THEN 'kana_small_large_only'
                                            WHEN 3 THEN 'kana_ji_zu_only' END END,
      CASE WHEN c.compared THEN CASE c.kanji WHEN -2 THEN 'kanji_unverifiable' WHEN -1 THEN 'kanji_mismatch'
                                             WHEN 1 THEN 'kanji_notation_only' WHEN 2 THEN 'kanji_variant_only' END END,
      CASE WHEN c.compared AND c.address OPERATOR(pg_catalog.<) 0 THEN
             CASE WHEN c.lookup THEN 'address_mismatch_after_lookup'
                  WHEN c.kanji OPERATOR(pg_catalog.=) -2 THEN 'address_mismatch_kanji_unverifiable'
                  ELSE 'address_mismatch' END
           WHEN c.compared AND c.address OPERATOR(pg_catalog.=) 1 THEN 'address_format_only' END,
      CASE WHEN c.shared THEN 'token_shared_other_person' END,
      CASE WHEN c.swap THEN 'household_swap' END,
      CASE WHEN c.last4_matches IS FALSE OR c.claim OPERATOR(pg_catalog.=) 'not_me' THEN 'member_reports_last4_differs' END,
      CASE WHEN c.claim OPERATOR(pg_catalog.=) 'facts_wrong' THEN 'member_reports_facts_wrong' END,
      CASE WHEN c.last4_ok THEN 'member_reports_last4_ok' END,
      CASE WHEN c.not_sent THEN 'correction_not_sent' END,
      CASE WHEN c.provenance OPERATOR(pg_catalog.=) 'jlis_lookup_weak' AND NOT c.number_confirmed
           THEN 'provenance_weak_unconfirmed' END
    ]::pg_catalog.text[], NULL) AS reasons
      FROM c OFFSET 0),
  sv AS (
    SELECT rs.*, CASE WHEN pg_catalog.cardinality(rs.reasons) OPERATOR(pg_catalog.=) 0 THEN 0
                      ELSE (SELECT pg_catalog.max(CASE WHEN rs.last4_ok AND lr.lowered_by_last4_ok
                                                       THEN lr.severity OPERATOR(pg_catalog.-) 1
                                                       ELSE lr.severity END)
                              FROM mynahoken.linkage_reason AS lr
                             WHERE lr.code OPERATOR(pg_catalog.=) ANY (rs.reasons)) END AS severity
      FROM rs)
  INSERT INTO mynahoken.linkage_check (run_id, insured_key, reasons, severity, kana_level, kanji_level, address_level)
  SELECT $1, sv.insured_key, sv.reasons, sv.severity,
         CASE WHEN sv.compared THEN sv.kana END, CASE WHEN sv.compared THEN sv.kanji END,
         CASE WHEN sv.compared THEN sv.address END
    FROM sv WHERE sv.severity OPERATOR(pg_catalog.>=) 1
  ON CONFLICT ON CONSTRAINT linkage_check_pkey DO UPDATE
     SET reasons = EXCLUDED.reasons, severity = EXCLUDED.severity, kana_level = EXCLUDED.kana_level,
         kanji_level = EXCLUDED.kanji_level, address_level = EXCLUDED.address_level$q$,
    source, shared_join, CASE WHEN run.full_check THEN 'st.shared_token IS NOT NULL' ELSE 'true' END)
  USING run.run_id, run.next_key, hi;

  -- A case for severity 2 and up, unless one is unfinished; nothing is closed here.
  WITH ins AS (
    INSERT INTO mynahoken.linkage_case AS lc (insured_key, token, opened_run, last_run, reasons, severity)
    SELECT ch.insured_key, m.token, ch.run_id, ch.run_id, ch.reasons, ch.severity
      FROM mynahoken.linkage_check AS ch
      JOIN mynahoken.linkage_member AS m ON m.insured_key = ch.insured_key
     WHERE ch.run_id = run.run_id AND ch.severity >= 2
       AND (run.next_key IS NULL OR ch.insured_key > run.next_key) AND (hi IS NULL OR ch.insured_key <= hi)
    ON CONFLICT (insured_key) WHERE state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis')
    DO UPDATE SET last_run = EXCLUDED.last_run, reasons = EXCLUDED.reasons, severity = EXCLUDED.severity
    RETURNING lc.case_id, (lc.xmax = 0) AS inserted)
  INSERT INTO mynahoken.linkage_case_event (case_id, from_state, to_state, code)
  SELECT ins.case_id, NULL, 'open', 'opened_by_check' FROM ins WHERE ins.inserted;
  GET DIAGNOSTICS opened = ROW_COUNT;

  UPDATE mynahoken.linkage_run AS l
     SET next_key = hi, members_checked = l.members_checked + checked,
         cases_opened = l.cases_opened + opened,
         status = CASE WHEN hi IS NULL THEN 'finished' ELSE l.status END,
         finished_at = CASE WHEN hi IS NULL THEN clock_timestamp() END
   WHERE l.run_id = run.run_id;
  IF hi IS NULL THEN
    DELETE FROM mynahoken.linkage_run_key AS rk WHERE rk.run_id = run.run_id;
  END IF;
  RETURN hi IS NULL;
END
$$;
COMMENT ON FUNCTION mynahoken.linkage_run_batch(bigint) IS
  'Check the next batch of a linkage run in one set-based statement (reason codes per member, digest equality only; a row in linkage_check for severity 1 and up), open cases of severity 2 and up, move the resume point; true when the run is finished';

CREATE PROCEDURE mynahoken.linkage_check_nightly(full_check boolean DEFAULT false,
                                                 batch_size integer DEFAULT 50000,
                                                 commit_batches boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
-- No SET clause (it would forbid COMMIT): every name is qualified and the
-- work is done by functions that fix their own search_path.
DECLARE
  run pg_catalog.int8;
  done pg_catalog.bool := false;
BEGIN
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
  'The nightly linkage check: incremental by default (members changed since the last run), full_check for all; commits every batch_size members and resumes a run that stopped';

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
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format('linkage case %s does not exist', linkage_case_transition.case_id));
  END IF;
  IF c.state IN ('corrected', 'confirmed_no_error', 'closed') THEN
    PERFORM mynahoken.raise_error('55000', pg_catalog.format('linkage case %s is finished (%s)', c.case_id, c.state),
      hint => 'A new check opens a new case if the error is still there.');
  END IF;
  SELECT r.state INTO code_state FROM mynahoken.linkage_resolution AS r WHERE r.code = linkage_case_transition.code;
  IF code_state IS NULL THEN
    PERFORM mynahoken.raise_error('22023', 'unknown linkage resolution code',
      hint => 'The codes are in mynahoken.linkage_resolution; case notes are codes, never free text.');
  END IF;
  IF code_state <> to_state THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format('resolution code %s does not go with the target state', linkage_case_transition.code));
  END IF;
  IF to_state = 'corrected' THEN
    SELECT m.token INTO current_token FROM mynahoken.linkage_member AS m WHERE m.insured_key = c.insured_key;
    IF mynahoken.mynumber_token_send(current_token) IS NOT DISTINCT FROM mynahoken.mynumber_token_send(c.token) THEN
      PERFORM mynahoken.raise_error('55000', pg_catalog.format('linkage case %s cannot be corrected: the member still has the same number', c.case_id),
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
    PERFORM mynahoken.raise_error('P0002', pg_catalog.format('linkage case %s does not exist', linkage_case_assign.case_id));
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
  ch record;
  level_name text[] := ARRAY['exact', 'notation', 'small_large', 'ji_zu'];
BEGIN
  SELECT * INTO c FROM mynahoken.linkage_case AS lc WHERE lc.case_id = explain_linkage_case.case_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO ch FROM mynahoken.linkage_check AS k WHERE k.run_id = c.last_run AND k.insured_key = c.insured_key;
  RETURN jsonb_build_object(
    'case_id', c.case_id, 'state', c.state, 'severity', c.severity, 'assigned_to', c.assigned_to,
    'resolution', c.resolution,
    'reasons', (SELECT jsonb_agg(jsonb_build_object('code', r.code, 'severity', r.severity, 'strength', r.strength,
                                                    'lowered_by_last4_ok', r.lowered_by_last4_ok) ORDER BY r.severity DESC, r.code)
                  FROM mynahoken.linkage_reason AS r WHERE r.code = ANY (c.reasons)),
    'checks', jsonb_build_object(
       'jlis', CASE WHEN 'no_number_linked' = ANY (c.reasons) THEN 'no_number'
                    WHEN 'jlis_not_checked' = ANY (c.reasons) THEN 'not_checked'
                    WHEN 'jlis_stale' = ANY (c.reasons) THEN 'answer_for_another_number'
                    WHEN 'jlis_not_found' = ANY (c.reasons) THEN 'not_found' ELSE 'found' END,
       'birth_date', CASE WHEN ch.kana_level IS NULL THEN 'not_compared'
                          WHEN 'birth_date_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'sex', CASE WHEN ch.kana_level IS NULL THEN 'not_compared'
                   WHEN 'sex_mismatch' = ANY (c.reasons) THEN 'mismatch' ELSE 'match' END,
       'kana', CASE WHEN ch.kana_level IS NULL THEN 'not_compared' WHEN ch.kana_level = -1 THEN 'mismatch'
                    WHEN ch.kana_level = -2 THEN 'unverifiable'
                    ELSE 'K' || ch.kana_level || ' ' || level_name[ch.kana_level + 1] END,
       'kanji', CASE WHEN ch.kanji_level IS NULL THEN 'not_compared' WHEN ch.kanji_level = -1 THEN 'mismatch'
                     WHEN ch.kanji_level = -2 THEN 'unverifiable'
                     ELSE 'J' || ch.kanji_level || ' ' || (ARRAY['exact', 'notation', 'variant_table'])[ch.kanji_level + 1] END,
       'address', CASE WHEN ch.address_level IS NULL THEN 'not_compared' WHEN ch.address_level = -1 THEN 'mismatch'
                       WHEN ch.address_level = -2 THEN 'unverifiable'
                       ELSE 'A' || ch.address_level || ' ' || (ARRAY['exact', 'notation'])[ch.address_level + 1] END,
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
  'Why a linkage case exists: its reason codes with severity and strength, each check (J-LIS, birth date, sex, and the fold level at which カナ, 漢字 and 住所 matched) and its history; codes only, no name, number or digit';

CREATE VIEW mynahoken.linkage_queue AS
SELECT c.case_id, c.insured_key, c.state, c.severity, c.reasons, c.assigned_to, c.opened_at,
       c.opened_run, c.last_run
  FROM mynahoken.linkage_case AS c
 WHERE c.state IN ('open', 'awaiting_employer', 'awaiting_member', 'awaiting_jlis');
COMMENT ON VIEW mynahoken.linkage_queue IS
  'Unfinished linkage cases, for clerks: member key, state, severity, reason codes, assignment; no name, number or digit';

CREATE VIEW mynahoken.linkage_runs AS
SELECT l.run_id, l.full_check, l.status, l.members_checked, l.cases_opened, l.started_at, l.finished_at,
       l.finished_at - l.started_at AS duration
  FROM mynahoken.linkage_run AS l;
COMMENT ON VIEW mynahoken.linkage_runs IS 'Linkage check runs: kind, status, members checked, cases opened, duration';

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
DECLARE
  job bigint;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in this database',
      detail => format('Database %s has no extension pg_cron.', current_database()),
      hint => 'Call mynahoken.linkage_check_nightly() by hand, or CREATE EXTENSION pg_cron in the database named by cron.database_name.');
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING job_name, schedule, mynahoken.linkage_cron_command(full_check);
  RETURN job;
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_linkage_check(text, text, boolean) IS
  'Schedule the linkage check with pg_cron (default 17:30 UTC = 02:30 JST, incremental; a second job with full_check for a weekly full run); returns the job id; raises 42704 when pg_cron is not installed here';

CREATE FUNCTION mynahoken.unschedule_linkage_check(job_name text DEFAULT 'mynahoken-linkage')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  done boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    PERFORM mynahoken.raise_error('42704', 'pg_cron is not installed in this database',
      detail => format('Database %s has no extension pg_cron.', current_database()));
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1)' INTO done USING job_name;
  IF NOT done THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT cron.unschedule($1::text)' INTO done USING job_name;
  RETURN done;
END
$$;
COMMENT ON FUNCTION mynahoken.unschedule_linkage_check(text) IS
  'Remove the pg_cron job of the linkage check; false when there was none; raises 42704 when pg_cron is not installed here';

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
GRANT USAGE ON SEQUENCE mynahoken.linkage_change_seq, mynahoken.jlis_response_id_seq TO mynahoken_linkage_intake;
GRANT SELECT ON mynahoken.linkage_case, mynahoken.linkage_case_event, mynahoken.linkage_check,
  mynahoken.linkage_reason, mynahoken.linkage_resolution, mynahoken.linkage_run,
  mynahoken.linkage_queue, mynahoken.linkage_runs TO mynahoken_linkage_clerk;
GRANT EXECUTE ON FUNCTION mynahoken.linkage_case_transition(bigint, mynahoken.linkage_case_state, text),
  mynahoken.linkage_case_assign(bigint, regrole), mynahoken.explain_linkage_case(bigint)
  TO mynahoken_linkage_clerk;
