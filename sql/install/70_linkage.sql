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
