-- My Number tokens (個人番号のトークン), sealed My Numbers and the keyring.
-- See doc/tokens.md.  The byte layouts, text forms and hash functions of
-- both types are frozen: tokens are stored, indexed, hash-partitioned and
-- distributed by them.

-- The roles that may tokenize or seal (anyone who can is an oracle for the
-- key: with 10^11 numbers, enumerating them through tokenize() takes hours,
-- not years) and that may unseal.  Roles are cluster-wide, so this is
-- idempotent: a second database (or a restore) reuses the existing roles.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_tokenize') THEN
    CREATE ROLE mynahoken_tokenize NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_unseal') THEN
    CREATE ROLE mynahoken_unseal NOLOGIN;
  END IF;
END
$$;

-- ---- mynumber_token ----------------------------------------------------

CREATE TYPE mynahoken.mynumber_token;

CREATE FUNCTION mynahoken.mynumber_token_in(cstring) RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_token_out(mynahoken.mynumber_token) RETURNS cstring
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_token_recv(internal) RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_token_send(mynahoken.mynumber_token) RETURNS bytea
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE mynahoken.mynumber_token (
  INPUT = mynahoken.mynumber_token_in,
  OUTPUT = mynahoken.mynumber_token_out,
  RECEIVE = mynahoken.mynumber_token_recv,
  SEND = mynahoken.mynumber_token_send,
  INTERNALLENGTH = 33,
  ALIGNMENT = char,
  STORAGE = plain
);

CREATE FUNCTION mynahoken.mynumber_token_eq(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_ne(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_lt(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_le(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_gt(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_ge(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_cmp(mynahoken.mynumber_token, mynahoken.mynumber_token)
  RETURNS integer AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_hash(mynahoken.mynumber_token)
  RETURNS integer AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_token_hash_extended(mynahoken.mynumber_token, bigint)
  RETURNS bigint AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.= (
  LEFTARG = mynahoken.mynumber_token, RIGHTARG = mynahoken.mynumber_token,
  FUNCTION = mynahoken.mynumber_token_eq, COMMUTATOR = OPERATOR(mynahoken.=),
  NEGATOR = OPERATOR(mynahoken.<>), RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
  HASHES, MERGES);
CREATE OPERATOR mynahoken.<> (
  LEFTARG = mynahoken.mynumber_token, RIGHTARG = mynahoken.mynumber_token,
  FUNCTION = mynahoken.mynumber_token_ne, COMMUTATOR = OPERATOR(mynahoken.<>),
  NEGATOR = OPERATOR(mynahoken.=), RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR mynahoken.< (
  LEFTARG = mynahoken.mynumber_token, RIGHTARG = mynahoken.mynumber_token,
  FUNCTION = mynahoken.mynumber_token_lt, COMMUTATOR = OPERATOR(mynahoken.>),
  NEGATOR = OPERATOR(mynahoken.>=), RESTRICT = pg_catalog.scalarltsel,
  JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR mynahoken.<= (
  LEFTARG = mynahoken.mynumber_token, RIGHTARG = mynahoken.mynumber_token,
  FUNCTION = mynahoken.mynumber_token_le, COMMUTATOR = OPERATOR(mynahoken.>=),
  NEGATOR = OPERATOR(mynahoken.>), RESTRICT = pg_catalog.scalarlesel,
  JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR mynahoken.> (
  LEFTARG = mynahoken.mynumber_token, RIGHTARG = mynahoken.mynumber_token,
  FUNCTION = mynahoken.mynumber_token_gt, COMMUTATOR = OPERATOR(mynahoken.<),
  NEGATOR = OPERATOR(mynahoken.<=), RESTRICT = pg_catalog.scalargtsel,
  JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR mynahoken.>= (
  LEFTARG = mynahoken.mynumber_token, RIGHTARG = mynahoken.mynumber_token,
  FUNCTION = mynahoken.mynumber_token_ge, COMMUTATOR = OPERATOR(mynahoken.<=),
  NEGATOR = OPERATOR(mynahoken.<), RESTRICT = pg_catalog.scalargesel,
  JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS mynahoken.mynumber_token_ops
  DEFAULT FOR TYPE mynahoken.mynumber_token USING btree AS
    OPERATOR 1 mynahoken.<,
    OPERATOR 2 mynahoken.<=,
    OPERATOR 3 mynahoken.=,
    OPERATOR 4 mynahoken.>=,
    OPERATOR 5 mynahoken.>,
    FUNCTION 1 mynahoken.mynumber_token_cmp(mynahoken.mynumber_token, mynahoken.mynumber_token);

CREATE OPERATOR CLASS mynahoken.mynumber_token_hash_ops
  DEFAULT FOR TYPE mynahoken.mynumber_token USING hash AS
    OPERATOR 1 mynahoken.=,
    FUNCTION 1 mynahoken.mynumber_token_hash(mynahoken.mynumber_token),
    FUNCTION 2 mynahoken.mynumber_token_hash_extended(mynahoken.mynumber_token, bigint);

-- ---- mynumber_sealed ---------------------------------------------------

CREATE TYPE mynahoken.mynumber_sealed;

CREATE FUNCTION mynahoken.mynumber_sealed_in(cstring) RETURNS mynahoken.mynumber_sealed
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_sealed_out(mynahoken.mynumber_sealed) RETURNS cstring
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_sealed_recv(internal) RETURNS mynahoken.mynumber_sealed
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_sealed_send(mynahoken.mynumber_sealed) RETURNS bytea
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE mynahoken.mynumber_sealed (
  INPUT = mynahoken.mynumber_sealed_in,
  OUTPUT = mynahoken.mynumber_sealed_out,
  RECEIVE = mynahoken.mynumber_sealed_recv,
  SEND = mynahoken.mynumber_sealed_send,
  INTERNALLENGTH = 29,
  ALIGNMENT = char,
  STORAGE = plain
);

CREATE FUNCTION mynahoken.mynumber_sealed_eq(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_ne(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_hash(mynahoken.mynumber_sealed)
  RETURNS integer AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_hash_extended(mynahoken.mynumber_sealed, bigint)
  RETURNS bigint AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.= (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_eq, COMMUTATOR = OPERATOR(mynahoken.=),
  NEGATOR = OPERATOR(mynahoken.<>), RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
  HASHES);
CREATE OPERATOR mynahoken.<> (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_ne, COMMUTATOR = OPERATOR(mynahoken.<>),
  NEGATOR = OPERATOR(mynahoken.=), RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);

CREATE OPERATOR CLASS mynahoken.mynumber_sealed_hash_ops
  DEFAULT FOR TYPE mynahoken.mynumber_sealed USING hash AS
    OPERATOR 1 mynahoken.=,
    FUNCTION 1 mynahoken.mynumber_sealed_hash(mynahoken.mynumber_sealed),
    FUNCTION 2 mynahoken.mynumber_sealed_hash_extended(mynahoken.mynumber_sealed, bigint);

-- Byte order of sealed values (issue 17): a btree class, so that a sealed
-- column can be indexed, sorted and used where a btree class is required
-- (a Citus distribution column).  Equal bytes are the same number under the
-- same key version; the order of the bytes says nothing about the numbers.
CREATE FUNCTION mynahoken.mynumber_sealed_lt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_le(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_gt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_ge(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS boolean AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.mynumber_sealed_cmp(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed)
  RETURNS integer AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.< (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_lt, COMMUTATOR = OPERATOR(mynahoken.>),
  NEGATOR = OPERATOR(mynahoken.>=), RESTRICT = pg_catalog.scalarltsel,
  JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR mynahoken.<= (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_le, COMMUTATOR = OPERATOR(mynahoken.>=),
  NEGATOR = OPERATOR(mynahoken.>), RESTRICT = pg_catalog.scalarlesel,
  JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR mynahoken.> (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_gt, COMMUTATOR = OPERATOR(mynahoken.<),
  NEGATOR = OPERATOR(mynahoken.<=), RESTRICT = pg_catalog.scalargtsel,
  JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR mynahoken.>= (
  LEFTARG = mynahoken.mynumber_sealed, RIGHTARG = mynahoken.mynumber_sealed,
  FUNCTION = mynahoken.mynumber_sealed_ge, COMMUTATOR = OPERATOR(mynahoken.<=),
  NEGATOR = OPERATOR(mynahoken.<), RESTRICT = pg_catalog.scalargesel,
  JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS mynahoken.mynumber_sealed_ops
  DEFAULT FOR TYPE mynahoken.mynumber_sealed USING btree AS
    OPERATOR 1 mynahoken.<,
    OPERATOR 2 mynahoken.<=,
    OPERATOR 3 mynahoken.=,
    OPERATOR 4 mynahoken.>=,
    OPERATOR 5 mynahoken.>,
    FUNCTION 1 mynahoken.mynumber_sealed_cmp(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed);

COMMENT ON FUNCTION mynahoken.mynumber_sealed_lt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_le(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than or equal (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_gt(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_ge(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than or equal (says nothing about the numbers)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_cmp(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Btree support 1: byte order of the 29 bytes (-1, 0, 1)';
COMMENT ON OPERATOR mynahoken.< (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than';
COMMENT ON OPERATOR mynahoken.<= (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: less than or equal';
COMMENT ON OPERATOR mynahoken.> (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than';
COMMENT ON OPERATOR mynahoken.>= (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Byte order of sealed values: greater than or equal';
COMMENT ON OPERATOR CLASS mynahoken.mynumber_sealed_ops USING btree IS
  'Default btree operator class of mynumber_sealed (byte order)';
COMMENT ON OPERATOR FAMILY mynahoken.mynumber_sealed_ops USING btree IS
  'Btree operator family of mynumber_sealed';

-- ---- functions ---------------------------------------------------------

CREATE FUNCTION mynahoken.key_version(mynahoken.mynumber_token) RETURNS integer
  AS 'MODULE_PATHNAME', 'mynumber_token_key_version'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.key_version(mynahoken.mynumber_sealed) RETURNS integer
  AS 'MODULE_PATHNAME', 'mynumber_sealed_key_version'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- STABLE: the result depends on the server's keyring (its active version).
CREATE FUNCTION mynahoken.tokenize(mynumber text) RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME', 'mynumber_tokenize'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
-- STABLE: it reads the server keyring, which may be missing or lack the
-- version (an IMMUTABLE function would be run, and fail, at plan time).
CREATE FUNCTION mynahoken.tokenize(mynumber text, key_version integer)
  RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME', 'mynumber_tokenize_version'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.tokenize_all(mynumber text) RETURNS mynahoken.mynumber_token[]
  AS 'MODULE_PATHNAME', 'mynumber_tokenize_all'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_last4(mynumber text) RETURNS text
  AS 'MODULE_PATHNAME', 'mynumber_last4'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.keyring_versions(OUT version integer, OUT active boolean,
                                           OUT fingerprint text)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'mynumber_keyring_versions'
  LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 2;

CREATE FUNCTION mynahoken.seal(mynumber text) RETURNS mynahoken.mynumber_sealed
  AS 'MODULE_PATHNAME', 'mynumber_seal'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.unseal(sealed mynahoken.mynumber_sealed) RETURNS text
  AS 'MODULE_PATHNAME', 'mynumber_unseal'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.reseal(sealed mynahoken.mynumber_sealed)
  RETURNS mynahoken.mynumber_sealed
  AS 'MODULE_PATHNAME', 'mynumber_reseal'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.tokenize_sealed(sealed mynahoken.mynumber_sealed)
  RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME', 'mynumber_tokenize_sealed'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;

REVOKE ALL ON FUNCTION mynahoken.tokenize(text), mynahoken.tokenize(text, integer),
  mynahoken.tokenize_all(text), mynahoken.seal(text), mynahoken.reseal(mynahoken.mynumber_sealed),
  mynahoken.tokenize_sealed(mynahoken.mynumber_sealed), mynahoken.keyring_versions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.tokenize(text), mynahoken.tokenize(text, integer),
  mynahoken.tokenize_all(text), mynahoken.seal(text), mynahoken.reseal(mynahoken.mynumber_sealed),
  mynahoken.tokenize_sealed(mynahoken.mynumber_sealed), mynahoken.keyring_versions() TO mynahoken_tokenize;
REVOKE ALL ON FUNCTION mynahoken.unseal(mynahoken.mynumber_sealed) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.unseal(mynahoken.mynumber_sealed) TO mynahoken_unseal;

-- ---- comments ----------------------------------------------------------

COMMENT ON TYPE mynahoken.mynumber_token IS
  'Keyed token of a My Number (個人番号): key version byte + HMAC-SHA256; text mnt<version>:<base64url>';
COMMENT ON FUNCTION mynahoken.mynumber_token_in(cstring) IS 'Text input of mynumber_token';
COMMENT ON FUNCTION mynahoken.mynumber_token_out(mynahoken.mynumber_token) IS
  'Text output of mynumber_token';
COMMENT ON FUNCTION mynahoken.mynumber_token_recv(internal) IS 'Binary input of mynumber_token (33 bytes)';
COMMENT ON FUNCTION mynahoken.mynumber_token_send(mynahoken.mynumber_token) IS
  'Binary output of mynumber_token (33 bytes)';
COMMENT ON FUNCTION mynahoken.mynumber_token_eq(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Tokens are equal';
COMMENT ON FUNCTION mynahoken.mynumber_token_ne(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Tokens differ';
COMMENT ON FUNCTION mynahoken.mynumber_token_lt(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens (version first): less than';
COMMENT ON FUNCTION mynahoken.mynumber_token_le(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens (version first): less than or equal';
COMMENT ON FUNCTION mynahoken.mynumber_token_gt(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens (version first): greater than';
COMMENT ON FUNCTION mynahoken.mynumber_token_ge(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens (version first): greater than or equal';
COMMENT ON FUNCTION mynahoken.mynumber_token_cmp(mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Btree support: byte order of tokens';
COMMENT ON FUNCTION mynahoken.mynumber_token_hash(mynahoken.mynumber_token) IS
  'Hash support 1: hash_any of the 33 bytes (frozen)';
COMMENT ON FUNCTION mynahoken.mynumber_token_hash_extended(mynahoken.mynumber_token, bigint) IS
  'Hash support 2: hash_any_extended of the 33 bytes (frozen)';
COMMENT ON OPERATOR mynahoken.= (mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Same My Number under the same key version';
COMMENT ON OPERATOR mynahoken.<> (mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Different tokens';
COMMENT ON OPERATOR mynahoken.< (mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens: less than';
COMMENT ON OPERATOR mynahoken.<= (mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens: less than or equal';
COMMENT ON OPERATOR mynahoken.> (mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens: greater than';
COMMENT ON OPERATOR mynahoken.>= (mynahoken.mynumber_token, mynahoken.mynumber_token) IS
  'Byte order of tokens: greater than or equal';
COMMENT ON OPERATOR CLASS mynahoken.mynumber_token_ops USING btree IS
  'Default btree operator class of mynumber_token';
COMMENT ON OPERATOR CLASS mynahoken.mynumber_token_hash_ops USING hash IS
  'Default hash operator class of mynumber_token (support functions 1 and 2 frozen)';
COMMENT ON OPERATOR FAMILY mynahoken.mynumber_token_ops USING btree IS
  'Btree operator family of mynumber_token';
COMMENT ON OPERATOR FAMILY mynahoken.mynumber_token_hash_ops USING hash IS
  'Hash operator family of mynumber_token';

COMMENT ON TYPE mynahoken.mynumber_sealed IS
  'My Number sealed with deterministic AES-256-SIV: key version + SIV + ciphertext; text mns<version>:<base64url>';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_in(cstring) IS 'Text input of mynumber_sealed';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_out(mynahoken.mynumber_sealed) IS
  'Text output of mynumber_sealed';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_recv(internal) IS
  'Binary input of mynumber_sealed (29 bytes)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_send(mynahoken.mynumber_sealed) IS
  'Binary output of mynumber_sealed (29 bytes)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_eq(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Sealed values are equal (same number, same key version)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_ne(mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Sealed values differ';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_hash(mynahoken.mynumber_sealed) IS
  'Hash support 1: hash_any of the 29 bytes (frozen)';
COMMENT ON FUNCTION mynahoken.mynumber_sealed_hash_extended(mynahoken.mynumber_sealed, bigint) IS
  'Hash support 2: hash_any_extended of the 29 bytes (frozen)';
COMMENT ON OPERATOR mynahoken.= (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Same My Number sealed under the same key version';
COMMENT ON OPERATOR mynahoken.<> (mynahoken.mynumber_sealed, mynahoken.mynumber_sealed) IS
  'Different sealed values';
COMMENT ON OPERATOR CLASS mynahoken.mynumber_sealed_hash_ops USING hash IS
  'Default hash operator class of mynumber_sealed (support functions 1 and 2 frozen)';
COMMENT ON OPERATOR FAMILY mynahoken.mynumber_sealed_hash_ops USING hash IS
  'Hash operator family of mynumber_sealed';

COMMENT ON FUNCTION mynahoken.key_version(mynahoken.mynumber_token) IS
  'Key version a token was made with';
COMMENT ON FUNCTION mynahoken.key_version(mynahoken.mynumber_sealed) IS
  'Key version a My Number was sealed with';
COMMENT ON FUNCTION mynahoken.tokenize(text) IS
  'Token of a typed My Number under the active key version (STABLE: reads the server keyring)';
COMMENT ON FUNCTION mynahoken.tokenize(text, integer) IS
  'Token of a typed My Number under the given key version (STABLE: reads the server keyring)';
COMMENT ON FUNCTION mynahoken.tokenize_all(text) IS
  'Tokens of a typed My Number under every loaded key version, active first: WHERE t = ANY(...)';
COMMENT ON FUNCTION mynahoken.mynumber_last4(text) IS
  'Last four digits of a valid My Number, as printed on the 資格情報のお知らせ';
COMMENT ON FUNCTION mynahoken.keyring_versions() IS
  'Key versions loaded in this backend, which is active, and a fingerprint that never reveals the key';
COMMENT ON FUNCTION mynahoken.seal(text) IS
  'Seal a typed My Number with AES-256-SIV under the active key version (deterministic)';
COMMENT ON FUNCTION mynahoken.unseal(mynahoken.mynumber_sealed) IS
  'Recover the My Number of a sealed value; executable only by role mynahoken_unseal';
COMMENT ON FUNCTION mynahoken.reseal(mynahoken.mynumber_sealed) IS
  'Seal again under the active key version, without returning the number (rotation)';
COMMENT ON FUNCTION mynahoken.tokenize_sealed(mynahoken.mynumber_sealed) IS
  'Token under the active key version of a sealed My Number, without returning the number (rotation)';

-- Callers that pass a My Number (tokenize, seal, ...) must reach this
-- extension's function, not a look-alike someone else created in a schema
-- that comes first on their search_path.  The function cannot see how it was
-- called (a hijacked call never reaches it), so it checks the path instead.
-- The default argument is evaluated in the caller's context: its path.
CREATE FUNCTION mynahoken.search_path_hazards(path name[] DEFAULT pg_catalog.current_schemas(true))
RETURNS TABLE (path_position integer, schema_name name, can_create name[])
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH p AS (
    SELECT s.schema_name, s.path_position::integer
      FROM unnest(path) WITH ORDINALITY AS s(schema_name, path_position)
  ), mine AS (
    SELECT min(p.path_position) AS pos FROM p WHERE p.schema_name = 'mynahoken'
  )
  SELECT p.path_position, p.schema_name,
         array_agg(DISTINCT w.who ORDER BY w.who)
    FROM p
    JOIN pg_namespace n ON n.nspname = p.schema_name
    CROSS JOIN mine
    CROSS JOIN LATERAL (
      -- the owner and the grantees of CREATE; pg_database_owner is the
      -- database's owner
      SELECT CASE WHEN g.role = 0 THEN 'PUBLIC'::name ELSE r.rolname END AS who
        FROM (SELECT a.grantee FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
               WHERE a.privilege_type = 'CREATE'
              UNION SELECT n.nspowner) AS c
        CROSS JOIN LATERAL (
          SELECT CASE WHEN c.grantee = 'pg_database_owner'::regrole
                      THEN (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database())
                      ELSE c.grantee END AS role) AS g
        LEFT JOIN pg_roles r ON r.oid = g.role
       WHERE g.role = 0 OR (NOT r.rolsuper AND r.rolname <> current_user)
    ) AS w
   WHERE mine.pos IS NULL OR p.path_position < mine.pos
   GROUP BY p.path_position, p.schema_name
   ORDER BY p.path_position
$$;
COMMENT ON FUNCTION mynahoken.search_path_hazards(name[]) IS
  'Schemas of a search_path (default: the caller''s effective one, current_schemas(true)) that come before mynahoken, or any when mynahoken is not on it, in which a role other than the current user and superusers may create objects: there a look-alike of a mynahoken function would be called, and see its arguments, instead of mynahoken''s. Call functions that take a My Number schema-qualified (doc/tokens.md).';
