-- mynahoken 0.1 as shipped (generated from sql/install/*.sql at the 0.1 release); frozen: never edit.
\echo Use "CREATE EXTENSION mynahoken" to load this file. \quit

-- ---- sql/install/00_common.sql
-- Objects shared by every subsystem.

-- Every role may use the types and functions; what reads keys, personal
-- data or the insurer's work tables is granted per object, below and in
-- doc/*.md (roles mynahoken_tokenize, mynahoken_unseal, mynahoken_pii_reader).
GRANT USAGE ON SCHEMA mynahoken TO PUBLIC;

COMMENT ON SCHEMA mynahoken IS
  'mynahoken: identifiers, My Number tokens, JPKI verification and マイナ保険証 transition rules';

-- 保険者の種別: the kind of insurer, derived from the 法別番号 (or its absence for 国保).
CREATE TYPE mynahoken.insurer_category AS ENUM (
  'kyokai_kenpo',     -- 全国健康保険協会 (協会けんぽ), 法別 01
  'seamen',           -- 船員保険, 02
  'day_laborer',      -- 日雇特例被保険者, 03 / 04
  'health_society',   -- 組合管掌健康保険 (健保組合), 06
  'self_defense',     -- 自衛官等, 07
  'mutual_aid',       -- 共済組合, 31-34
  'late_elderly',     -- 後期高齢者医療, 39
  'special_retiree',  -- 特例退職被保険者, 63 / 72-75
  'retiree_nhi',      -- 国保 退職者医療, 67
  'municipal_nhi',    -- 市町村国保, 6 digits
  'nhi_society'       -- 国保組合, 6 digits with 保険者別番号 in the 300s
);
COMMENT ON TYPE mynahoken.insurer_category IS
  'Kind of insurer (保険者の種別), derived from the 法別番号 of an insurer number';

-- ---- sql/install/10_identifiers.sql
-- Identifier types and functions: 保険者番号, 公費負担者番号, 公費受給者番号,
-- 記号・番号・枝番, My Number and 法人番号 check digits.
--
-- The three number types are 4-byte integers passed by value.  Comparison and
-- hashing call the server's int4 functions, so btree order is numeric order
-- and the hash (support functions 1 and 2, used by hash partitioning and
-- Citus) is int4's, frozen forever.

-- ---- insurer_number (保険者番号)

CREATE TYPE mynahoken.insurer_number;

CREATE FUNCTION mynahoken.insurer_number_in(cstring) RETURNS mynahoken.insurer_number
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.insurer_number_out(mynahoken.insurer_number) RETURNS cstring
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.insurer_number_recv(internal) RETURNS mynahoken.insurer_number
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.insurer_number_send(mynahoken.insurer_number) RETURNS bytea
  AS 'MODULE_PATHNAME', 'int_identifier_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE mynahoken.insurer_number (
  INPUT = mynahoken.insurer_number_in,
  OUTPUT = mynahoken.insurer_number_out,
  RECEIVE = mynahoken.insurer_number_recv,
  SEND = mynahoken.insurer_number_send,
  INTERNALLENGTH = 4,
  PASSEDBYVALUE,
  ALIGNMENT = int4,
  STORAGE = plain,
  CATEGORY = 'U'
);

CREATE FUNCTION mynahoken.insurer_number_eq(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS boolean
  AS 'int4eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_ne(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS boolean
  AS 'int4ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_lt(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS boolean
  AS 'int4lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_le(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS boolean
  AS 'int4le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_gt(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS boolean
  AS 'int4gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_ge(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS boolean
  AS 'int4ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_cmp(mynahoken.insurer_number, mynahoken.insurer_number) RETURNS integer
  AS 'btint4cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_hash(mynahoken.insurer_number) RETURNS integer
  AS 'hashint4' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.insurer_number_hash_extended(mynahoken.insurer_number, bigint) RETURNS bigint
  AS 'hashint4extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.= (
  LEFTARG = mynahoken.insurer_number, RIGHTARG = mynahoken.insurer_number, PROCEDURE = mynahoken.insurer_number_eq,
  COMMUTATOR = OPERATOR(mynahoken.=), NEGATOR = OPERATOR(mynahoken.<>),
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR mynahoken.<> (
  LEFTARG = mynahoken.insurer_number, RIGHTARG = mynahoken.insurer_number, PROCEDURE = mynahoken.insurer_number_ne,
  COMMUTATOR = OPERATOR(mynahoken.<>), NEGATOR = OPERATOR(mynahoken.=),
  RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR mynahoken.< (
  LEFTARG = mynahoken.insurer_number, RIGHTARG = mynahoken.insurer_number, PROCEDURE = mynahoken.insurer_number_lt,
  COMMUTATOR = OPERATOR(mynahoken.>), NEGATOR = OPERATOR(mynahoken.>=),
  RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR mynahoken.<= (
  LEFTARG = mynahoken.insurer_number, RIGHTARG = mynahoken.insurer_number, PROCEDURE = mynahoken.insurer_number_le,
  COMMUTATOR = OPERATOR(mynahoken.>=), NEGATOR = OPERATOR(mynahoken.>),
  RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR mynahoken.> (
  LEFTARG = mynahoken.insurer_number, RIGHTARG = mynahoken.insurer_number, PROCEDURE = mynahoken.insurer_number_gt,
  COMMUTATOR = OPERATOR(mynahoken.<), NEGATOR = OPERATOR(mynahoken.<=),
  RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR mynahoken.>= (
  LEFTARG = mynahoken.insurer_number, RIGHTARG = mynahoken.insurer_number, PROCEDURE = mynahoken.insurer_number_ge,
  COMMUTATOR = OPERATOR(mynahoken.<=), NEGATOR = OPERATOR(mynahoken.<),
  RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS mynahoken.insurer_number_ops DEFAULT FOR TYPE mynahoken.insurer_number USING btree AS
  OPERATOR 1 mynahoken.<,
  OPERATOR 2 mynahoken.<=,
  OPERATOR 3 mynahoken.=,
  OPERATOR 4 mynahoken.>=,
  OPERATOR 5 mynahoken.>,
  FUNCTION 1 mynahoken.insurer_number_cmp(mynahoken.insurer_number, mynahoken.insurer_number);

CREATE OPERATOR CLASS mynahoken.insurer_number_ops DEFAULT FOR TYPE mynahoken.insurer_number USING hash AS
  OPERATOR 1 mynahoken.=,
  FUNCTION 1 mynahoken.insurer_number_hash(mynahoken.insurer_number),
  FUNCTION 2 mynahoken.insurer_number_hash_extended(mynahoken.insurer_number, bigint);

CREATE FUNCTION mynahoken.insurer_number(text) RETURNS mynahoken.insurer_number
  AS 'MODULE_PATHNAME', 'insurer_number_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS mynahoken.insurer_number) WITH FUNCTION mynahoken.insurer_number(text) AS ASSIGNMENT;
CREATE CAST (mynahoken.insurer_number AS text) WITH INOUT AS ASSIGNMENT;

COMMENT ON TYPE mynahoken.insurer_number IS 'Insurer number (保険者番号): 8 digits, or 6 for 国民健康保険; check digit verified';
COMMENT ON FUNCTION mynahoken.insurer_number_in(cstring) IS 'Text input of insurer_number: ASCII or full-width digits, surrounding spaces allowed';
COMMENT ON FUNCTION mynahoken.insurer_number_out(mynahoken.insurer_number) IS 'Text output of insurer_number: canonical ASCII digits';
COMMENT ON FUNCTION mynahoken.insurer_number_recv(internal) IS 'Binary input of insurer_number, checked as text input is';
COMMENT ON FUNCTION mynahoken.insurer_number_send(mynahoken.insurer_number) IS 'Binary output of insurer_number: the number as a 4-byte integer';
COMMENT ON FUNCTION mynahoken.insurer_number_eq(mynahoken.insurer_number, mynahoken.insurer_number) IS 'Equality of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_ne(mynahoken.insurer_number, mynahoken.insurer_number) IS 'Inequality of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_lt(mynahoken.insurer_number, mynahoken.insurer_number) IS 'Less than, in numeric order of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_le(mynahoken.insurer_number, mynahoken.insurer_number) IS 'Less than or equal, in numeric order of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_gt(mynahoken.insurer_number, mynahoken.insurer_number) IS 'Greater than, in numeric order of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_ge(mynahoken.insurer_number, mynahoken.insurer_number) IS 'Greater than or equal, in numeric order of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_cmp(mynahoken.insurer_number, mynahoken.insurer_number) IS 'btree comparison of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number_hash(mynahoken.insurer_number) IS 'Hash of insurer_number (int4 hash; frozen: used by hash indexes, partitioning and Citus)';
COMMENT ON FUNCTION mynahoken.insurer_number_hash_extended(mynahoken.insurer_number, bigint) IS 'Seeded 64-bit hash of insurer_number for hash partitioning (int4 hash; frozen)';
COMMENT ON OPERATOR mynahoken.=(mynahoken.insurer_number, mynahoken.insurer_number) IS 'equal';
COMMENT ON OPERATOR mynahoken.<>(mynahoken.insurer_number, mynahoken.insurer_number) IS 'not equal';
COMMENT ON OPERATOR mynahoken.<(mynahoken.insurer_number, mynahoken.insurer_number) IS 'less than';
COMMENT ON OPERATOR mynahoken.<=(mynahoken.insurer_number, mynahoken.insurer_number) IS 'less than or equal';
COMMENT ON OPERATOR mynahoken.>(mynahoken.insurer_number, mynahoken.insurer_number) IS 'greater than';
COMMENT ON OPERATOR mynahoken.>=(mynahoken.insurer_number, mynahoken.insurer_number) IS 'greater than or equal';
COMMENT ON OPERATOR CLASS mynahoken.insurer_number_ops USING btree IS 'Default btree operator class of insurer_number';
COMMENT ON OPERATOR CLASS mynahoken.insurer_number_ops USING hash IS 'Default hash operator class of insurer_number';
COMMENT ON OPERATOR FAMILY mynahoken.insurer_number_ops USING btree IS 'Default btree operator family of insurer_number';
COMMENT ON OPERATOR FAMILY mynahoken.insurer_number_ops USING hash IS 'Default hash operator family of insurer_number';
COMMENT ON FUNCTION mynahoken.insurer_number(text) IS 'Parse text as insurer_number, as the cast from text does';
COMMENT ON CAST (text AS mynahoken.insurer_number) IS 'Parse text as insurer_number (raises 22P02 on bad input)';
COMMENT ON CAST (mynahoken.insurer_number AS text) IS 'Canonical text of insurer_number';

-- ---- public_payer_number (公費負担者番号)

CREATE TYPE mynahoken.public_payer_number;

CREATE FUNCTION mynahoken.public_payer_number_in(cstring) RETURNS mynahoken.public_payer_number
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_payer_number_out(mynahoken.public_payer_number) RETURNS cstring
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_payer_number_recv(internal) RETURNS mynahoken.public_payer_number
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_payer_number_send(mynahoken.public_payer_number) RETURNS bytea
  AS 'MODULE_PATHNAME', 'int_identifier_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE mynahoken.public_payer_number (
  INPUT = mynahoken.public_payer_number_in,
  OUTPUT = mynahoken.public_payer_number_out,
  RECEIVE = mynahoken.public_payer_number_recv,
  SEND = mynahoken.public_payer_number_send,
  INTERNALLENGTH = 4,
  PASSEDBYVALUE,
  ALIGNMENT = int4,
  STORAGE = plain,
  CATEGORY = 'U'
);

CREATE FUNCTION mynahoken.public_payer_number_eq(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS boolean
  AS 'int4eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_ne(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS boolean
  AS 'int4ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_lt(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS boolean
  AS 'int4lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_le(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS boolean
  AS 'int4le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_gt(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS boolean
  AS 'int4gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_ge(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS boolean
  AS 'int4ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_cmp(mynahoken.public_payer_number, mynahoken.public_payer_number) RETURNS integer
  AS 'btint4cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_hash(mynahoken.public_payer_number) RETURNS integer
  AS 'hashint4' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_payer_number_hash_extended(mynahoken.public_payer_number, bigint) RETURNS bigint
  AS 'hashint4extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.= (
  LEFTARG = mynahoken.public_payer_number, RIGHTARG = mynahoken.public_payer_number, PROCEDURE = mynahoken.public_payer_number_eq,
  COMMUTATOR = OPERATOR(mynahoken.=), NEGATOR = OPERATOR(mynahoken.<>),
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR mynahoken.<> (
  LEFTARG = mynahoken.public_payer_number, RIGHTARG = mynahoken.public_payer_number, PROCEDURE = mynahoken.public_payer_number_ne,
  COMMUTATOR = OPERATOR(mynahoken.<>), NEGATOR = OPERATOR(mynahoken.=),
  RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR mynahoken.< (
  LEFTARG = mynahoken.public_payer_number, RIGHTARG = mynahoken.public_payer_number, PROCEDURE = mynahoken.public_payer_number_lt,
  COMMUTATOR = OPERATOR(mynahoken.>), NEGATOR = OPERATOR(mynahoken.>=),
  RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR mynahoken.<= (
  LEFTARG = mynahoken.public_payer_number, RIGHTARG = mynahoken.public_payer_number, PROCEDURE = mynahoken.public_payer_number_le,
  COMMUTATOR = OPERATOR(mynahoken.>=), NEGATOR = OPERATOR(mynahoken.>),
  RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR mynahoken.> (
  LEFTARG = mynahoken.public_payer_number, RIGHTARG = mynahoken.public_payer_number, PROCEDURE = mynahoken.public_payer_number_gt,
  COMMUTATOR = OPERATOR(mynahoken.<), NEGATOR = OPERATOR(mynahoken.<=),
  RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR mynahoken.>= (
  LEFTARG = mynahoken.public_payer_number, RIGHTARG = mynahoken.public_payer_number, PROCEDURE = mynahoken.public_payer_number_ge,
  COMMUTATOR = OPERATOR(mynahoken.<=), NEGATOR = OPERATOR(mynahoken.<),
  RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS mynahoken.public_payer_number_ops DEFAULT FOR TYPE mynahoken.public_payer_number USING btree AS
  OPERATOR 1 mynahoken.<,
  OPERATOR 2 mynahoken.<=,
  OPERATOR 3 mynahoken.=,
  OPERATOR 4 mynahoken.>=,
  OPERATOR 5 mynahoken.>,
  FUNCTION 1 mynahoken.public_payer_number_cmp(mynahoken.public_payer_number, mynahoken.public_payer_number);

CREATE OPERATOR CLASS mynahoken.public_payer_number_ops DEFAULT FOR TYPE mynahoken.public_payer_number USING hash AS
  OPERATOR 1 mynahoken.=,
  FUNCTION 1 mynahoken.public_payer_number_hash(mynahoken.public_payer_number),
  FUNCTION 2 mynahoken.public_payer_number_hash_extended(mynahoken.public_payer_number, bigint);

CREATE FUNCTION mynahoken.public_payer_number(text) RETURNS mynahoken.public_payer_number
  AS 'MODULE_PATHNAME', 'public_payer_number_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS mynahoken.public_payer_number) WITH FUNCTION mynahoken.public_payer_number(text) AS ASSIGNMENT;
CREATE CAST (mynahoken.public_payer_number AS text) WITH INOUT AS ASSIGNMENT;

COMMENT ON TYPE mynahoken.public_payer_number IS 'Public expense payer number (公費負担者番号): 8 digits with 法別番号, prefecture and check digit';
COMMENT ON FUNCTION mynahoken.public_payer_number_in(cstring) IS 'Text input of public_payer_number: ASCII or full-width digits, surrounding spaces allowed';
COMMENT ON FUNCTION mynahoken.public_payer_number_out(mynahoken.public_payer_number) IS 'Text output of public_payer_number: canonical ASCII digits';
COMMENT ON FUNCTION mynahoken.public_payer_number_recv(internal) IS 'Binary input of public_payer_number, checked as text input is';
COMMENT ON FUNCTION mynahoken.public_payer_number_send(mynahoken.public_payer_number) IS 'Binary output of public_payer_number: the number as a 4-byte integer';
COMMENT ON FUNCTION mynahoken.public_payer_number_eq(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'Equality of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_ne(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'Inequality of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_lt(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'Less than, in numeric order of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_le(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'Less than or equal, in numeric order of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_gt(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'Greater than, in numeric order of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_ge(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'Greater than or equal, in numeric order of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_cmp(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'btree comparison of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number_hash(mynahoken.public_payer_number) IS 'Hash of public_payer_number (int4 hash; frozen: used by hash indexes, partitioning and Citus)';
COMMENT ON FUNCTION mynahoken.public_payer_number_hash_extended(mynahoken.public_payer_number, bigint) IS 'Seeded 64-bit hash of public_payer_number for hash partitioning (int4 hash; frozen)';
COMMENT ON OPERATOR mynahoken.=(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'equal';
COMMENT ON OPERATOR mynahoken.<>(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'not equal';
COMMENT ON OPERATOR mynahoken.<(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'less than';
COMMENT ON OPERATOR mynahoken.<=(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'less than or equal';
COMMENT ON OPERATOR mynahoken.>(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'greater than';
COMMENT ON OPERATOR mynahoken.>=(mynahoken.public_payer_number, mynahoken.public_payer_number) IS 'greater than or equal';
COMMENT ON OPERATOR CLASS mynahoken.public_payer_number_ops USING btree IS 'Default btree operator class of public_payer_number';
COMMENT ON OPERATOR CLASS mynahoken.public_payer_number_ops USING hash IS 'Default hash operator class of public_payer_number';
COMMENT ON OPERATOR FAMILY mynahoken.public_payer_number_ops USING btree IS 'Default btree operator family of public_payer_number';
COMMENT ON OPERATOR FAMILY mynahoken.public_payer_number_ops USING hash IS 'Default hash operator family of public_payer_number';
COMMENT ON FUNCTION mynahoken.public_payer_number(text) IS 'Parse text as public_payer_number, as the cast from text does';
COMMENT ON CAST (text AS mynahoken.public_payer_number) IS 'Parse text as public_payer_number (raises 22P02 on bad input)';
COMMENT ON CAST (mynahoken.public_payer_number AS text) IS 'Canonical text of public_payer_number';

-- ---- public_recipient_number (公費受給者番号)

CREATE TYPE mynahoken.public_recipient_number;

CREATE FUNCTION mynahoken.public_recipient_number_in(cstring) RETURNS mynahoken.public_recipient_number
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_recipient_number_out(mynahoken.public_recipient_number) RETURNS cstring
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_recipient_number_recv(internal) RETURNS mynahoken.public_recipient_number
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_recipient_number_send(mynahoken.public_recipient_number) RETURNS bytea
  AS 'MODULE_PATHNAME', 'int_identifier_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE mynahoken.public_recipient_number (
  INPUT = mynahoken.public_recipient_number_in,
  OUTPUT = mynahoken.public_recipient_number_out,
  RECEIVE = mynahoken.public_recipient_number_recv,
  SEND = mynahoken.public_recipient_number_send,
  INTERNALLENGTH = 4,
  PASSEDBYVALUE,
  ALIGNMENT = int4,
  STORAGE = plain,
  CATEGORY = 'U'
);

CREATE FUNCTION mynahoken.public_recipient_number_eq(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS boolean
  AS 'int4eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_ne(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS boolean
  AS 'int4ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_lt(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS boolean
  AS 'int4lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_le(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS boolean
  AS 'int4le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_gt(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS boolean
  AS 'int4gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_ge(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS boolean
  AS 'int4ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_cmp(mynahoken.public_recipient_number, mynahoken.public_recipient_number) RETURNS integer
  AS 'btint4cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_hash(mynahoken.public_recipient_number) RETURNS integer
  AS 'hashint4' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION mynahoken.public_recipient_number_hash_extended(mynahoken.public_recipient_number, bigint) RETURNS bigint
  AS 'hashint4extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR mynahoken.= (
  LEFTARG = mynahoken.public_recipient_number, RIGHTARG = mynahoken.public_recipient_number, PROCEDURE = mynahoken.public_recipient_number_eq,
  COMMUTATOR = OPERATOR(mynahoken.=), NEGATOR = OPERATOR(mynahoken.<>),
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR mynahoken.<> (
  LEFTARG = mynahoken.public_recipient_number, RIGHTARG = mynahoken.public_recipient_number, PROCEDURE = mynahoken.public_recipient_number_ne,
  COMMUTATOR = OPERATOR(mynahoken.<>), NEGATOR = OPERATOR(mynahoken.=),
  RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR mynahoken.< (
  LEFTARG = mynahoken.public_recipient_number, RIGHTARG = mynahoken.public_recipient_number, PROCEDURE = mynahoken.public_recipient_number_lt,
  COMMUTATOR = OPERATOR(mynahoken.>), NEGATOR = OPERATOR(mynahoken.>=),
  RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR mynahoken.<= (
  LEFTARG = mynahoken.public_recipient_number, RIGHTARG = mynahoken.public_recipient_number, PROCEDURE = mynahoken.public_recipient_number_le,
  COMMUTATOR = OPERATOR(mynahoken.>=), NEGATOR = OPERATOR(mynahoken.>),
  RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR mynahoken.> (
  LEFTARG = mynahoken.public_recipient_number, RIGHTARG = mynahoken.public_recipient_number, PROCEDURE = mynahoken.public_recipient_number_gt,
  COMMUTATOR = OPERATOR(mynahoken.<), NEGATOR = OPERATOR(mynahoken.<=),
  RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR mynahoken.>= (
  LEFTARG = mynahoken.public_recipient_number, RIGHTARG = mynahoken.public_recipient_number, PROCEDURE = mynahoken.public_recipient_number_ge,
  COMMUTATOR = OPERATOR(mynahoken.<=), NEGATOR = OPERATOR(mynahoken.<),
  RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS mynahoken.public_recipient_number_ops DEFAULT FOR TYPE mynahoken.public_recipient_number USING btree AS
  OPERATOR 1 mynahoken.<,
  OPERATOR 2 mynahoken.<=,
  OPERATOR 3 mynahoken.=,
  OPERATOR 4 mynahoken.>=,
  OPERATOR 5 mynahoken.>,
  FUNCTION 1 mynahoken.public_recipient_number_cmp(mynahoken.public_recipient_number, mynahoken.public_recipient_number);

CREATE OPERATOR CLASS mynahoken.public_recipient_number_ops DEFAULT FOR TYPE mynahoken.public_recipient_number USING hash AS
  OPERATOR 1 mynahoken.=,
  FUNCTION 1 mynahoken.public_recipient_number_hash(mynahoken.public_recipient_number),
  FUNCTION 2 mynahoken.public_recipient_number_hash_extended(mynahoken.public_recipient_number, bigint);

CREATE FUNCTION mynahoken.public_recipient_number(text) RETURNS mynahoken.public_recipient_number
  AS 'MODULE_PATHNAME', 'public_recipient_number_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS mynahoken.public_recipient_number) WITH FUNCTION mynahoken.public_recipient_number(text) AS ASSIGNMENT;
CREATE CAST (mynahoken.public_recipient_number AS text) WITH INOUT AS ASSIGNMENT;

COMMENT ON TYPE mynahoken.public_recipient_number IS 'Public expense recipient number (公費受給者番号): 7 digits with check digit';
COMMENT ON FUNCTION mynahoken.public_recipient_number_in(cstring) IS 'Text input of public_recipient_number: ASCII or full-width digits, surrounding spaces allowed';
COMMENT ON FUNCTION mynahoken.public_recipient_number_out(mynahoken.public_recipient_number) IS 'Text output of public_recipient_number: canonical ASCII digits';
COMMENT ON FUNCTION mynahoken.public_recipient_number_recv(internal) IS 'Binary input of public_recipient_number, checked as text input is';
COMMENT ON FUNCTION mynahoken.public_recipient_number_send(mynahoken.public_recipient_number) IS 'Binary output of public_recipient_number: the number as a 4-byte integer';
COMMENT ON FUNCTION mynahoken.public_recipient_number_eq(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'Equality of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_ne(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'Inequality of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_lt(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'Less than, in numeric order of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_le(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'Less than or equal, in numeric order of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_gt(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'Greater than, in numeric order of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_ge(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'Greater than or equal, in numeric order of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_cmp(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'btree comparison of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number_hash(mynahoken.public_recipient_number) IS 'Hash of public_recipient_number (int4 hash; frozen: used by hash indexes, partitioning and Citus)';
COMMENT ON FUNCTION mynahoken.public_recipient_number_hash_extended(mynahoken.public_recipient_number, bigint) IS 'Seeded 64-bit hash of public_recipient_number for hash partitioning (int4 hash; frozen)';
COMMENT ON OPERATOR mynahoken.=(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'equal';
COMMENT ON OPERATOR mynahoken.<>(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'not equal';
COMMENT ON OPERATOR mynahoken.<(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'less than';
COMMENT ON OPERATOR mynahoken.<=(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'less than or equal';
COMMENT ON OPERATOR mynahoken.>(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'greater than';
COMMENT ON OPERATOR mynahoken.>=(mynahoken.public_recipient_number, mynahoken.public_recipient_number) IS 'greater than or equal';
COMMENT ON OPERATOR CLASS mynahoken.public_recipient_number_ops USING btree IS 'Default btree operator class of public_recipient_number';
COMMENT ON OPERATOR CLASS mynahoken.public_recipient_number_ops USING hash IS 'Default hash operator class of public_recipient_number';
COMMENT ON OPERATOR FAMILY mynahoken.public_recipient_number_ops USING btree IS 'Default btree operator family of public_recipient_number';
COMMENT ON OPERATOR FAMILY mynahoken.public_recipient_number_ops USING hash IS 'Default hash operator family of public_recipient_number';
COMMENT ON FUNCTION mynahoken.public_recipient_number(text) IS 'Parse text as public_recipient_number, as the cast from text does';
COMMENT ON CAST (text AS mynahoken.public_recipient_number) IS 'Parse text as public_recipient_number (raises 22P02 on bad input)';
COMMENT ON CAST (mynahoken.public_recipient_number AS text) IS 'Canonical text of public_recipient_number';

-- ---- accessors and checks

CREATE FUNCTION mynahoken.insurer_number_is_valid(text) RETURNS boolean
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.insurer_number_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.law_code(mynahoken.insurer_number) RETURNS text
  AS 'MODULE_PATHNAME', 'insurer_number_law_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.category(mynahoken.insurer_number)
  RETURNS mynahoken.insurer_category
  AS 'MODULE_PATHNAME', 'insurer_number_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.prefecture_code(mynahoken.insurer_number) RETURNS integer
  AS 'MODULE_PATHNAME', 'insurer_number_prefecture_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.prefecture_name(mynahoken.insurer_number) RETURNS text
  AS 'MODULE_PATHNAME', 'insurer_number_prefecture_name' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.check_digit(mynahoken.insurer_number) RETURNS integer
  AS 'MODULE_PATHNAME', 'identifier_check_digit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.padded(mynahoken.insurer_number) RETURNS text
  AS 'MODULE_PATHNAME', 'insurer_number_padded' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION mynahoken.insurer_number_is_valid(text) IS
  'True when the text is a valid insurer number (保険者番号); never raises';
COMMENT ON FUNCTION mynahoken.insurer_number_problem(text) IS
  'What is wrong with the text as an insurer number, or NULL when it is valid; never raises';
COMMENT ON FUNCTION mynahoken.law_code(mynahoken.insurer_number) IS
  '法別番号 (law code) of an insurer number as two digits; NULL for 国民健康保険, which has none';
COMMENT ON FUNCTION mynahoken.category(mynahoken.insurer_number) IS
  'Kind of insurer (協会けんぽ, 組合健保, 共済組合, 国保, 後期高齢者医療, ...) from the 法別番号';
COMMENT ON FUNCTION mynahoken.prefecture_code(mynahoken.insurer_number) IS
  '都道府県番号 (prefecture code, 1-47) of an insurer number';
COMMENT ON FUNCTION mynahoken.prefecture_name(mynahoken.insurer_number) IS
  'Prefecture name of an insurer number, e.g. 東京都';
COMMENT ON FUNCTION mynahoken.check_digit(mynahoken.insurer_number) IS
  '検証番号 (check digit) of an insurer number';
COMMENT ON FUNCTION mynahoken.padded(mynahoken.insurer_number) IS
  'Insurer number as 8 digits: 国民健康保険 numbers padded with 00, as JP Core and 特定健診 files want';

CREATE FUNCTION mynahoken.public_payer_number_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_payer_number_is_valid(text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN mynahoken.public_payer_number_problem($1) IS NULL;
CREATE FUNCTION mynahoken.law_code(mynahoken.public_payer_number) RETURNS text
  AS 'MODULE_PATHNAME', 'public_payer_number_law_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.prefecture_code(mynahoken.public_payer_number) RETURNS integer
  AS 'MODULE_PATHNAME', 'public_payer_number_prefecture_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.prefecture_name(mynahoken.public_payer_number) RETURNS text
  AS 'MODULE_PATHNAME', 'public_payer_number_prefecture_name' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.check_digit(mynahoken.public_payer_number) RETURNS integer
  AS 'MODULE_PATHNAME', 'identifier_check_digit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION mynahoken.public_payer_number_problem(text) IS
  'What is wrong with the text as a public expense payer number (公費負担者番号), or NULL; never raises';
COMMENT ON FUNCTION mynahoken.public_payer_number_is_valid(text) IS
  'True when the text is a valid public expense payer number (公費負担者番号); never raises';
COMMENT ON FUNCTION mynahoken.law_code(mynahoken.public_payer_number) IS
  '法別番号 (law code) of a public expense payer number, e.g. 54 for 指定難病';
COMMENT ON FUNCTION mynahoken.prefecture_code(mynahoken.public_payer_number) IS
  '都道府県番号 (prefecture code, 1-47) of a public expense payer number';
COMMENT ON FUNCTION mynahoken.prefecture_name(mynahoken.public_payer_number) IS
  'Prefecture name of a public expense payer number';
COMMENT ON FUNCTION mynahoken.check_digit(mynahoken.public_payer_number) IS
  '検証番号 (check digit) of a public expense payer number';

CREATE FUNCTION mynahoken.public_recipient_number_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.public_recipient_number_is_valid(text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN mynahoken.public_recipient_number_problem($1) IS NULL;
CREATE FUNCTION mynahoken.check_digit(mynahoken.public_recipient_number) RETURNS integer
  AS 'MODULE_PATHNAME', 'identifier_check_digit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION mynahoken.public_recipient_number_problem(text) IS
  'What is wrong with the text as a public expense recipient number (公費受給者番号), or NULL; never raises';
COMMENT ON FUNCTION mynahoken.public_recipient_number_is_valid(text) IS
  'True when the text is a valid public expense recipient number (公費受給者番号); never raises';
COMMENT ON FUNCTION mynahoken.check_digit(mynahoken.public_recipient_number) IS
  '検証番号 (check digit) of a public expense recipient number';

-- 公費 programs by 法別番号: reference data, so that a new or local program is
-- a row, not a code change.  Only codes with a source are shipped.
CREATE TABLE mynahoken.public_expense_program (
  law_code  text PRIMARY KEY CHECK (law_code OPERATOR(pg_catalog.~) '^[0-9]{2}$'),
  name      text NOT NULL,
  source    text NOT NULL,
  shipped   boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE mynahoken.public_expense_program IS
  '公費負担医療 programs by 法別番号 (law code); add local programs (地方単独, 80s and 90s) as rows';
COMMENT ON COLUMN mynahoken.public_expense_program.law_code IS 'Two-digit 法別番号';
COMMENT ON COLUMN mynahoken.public_expense_program.name IS 'Program name';
COMMENT ON COLUMN mynahoken.public_expense_program.source IS 'Where the code is defined or documented';
COMMENT ON COLUMN mynahoken.public_expense_program.shipped IS
  'True for rows CREATE EXTENSION inserts; pg_dump saves only the others, so a restore does not insert them twice';
INSERT INTO mynahoken.public_expense_program (law_code, name, source) VALUES
  ('10', '感染症法 結核患者の適正医療 (37条の2)', 'myclinic-ts futan-calc KouhiKekkaku'),
  ('11', '感染症法 結核患者の入院', 'MHLW 設定要領 via chigasaki-localtkt.com/?p=17440'),
  ('12', '生活保護法 医療扶助', 'MHLW 設定要領 via chigasaki-localtkt.com/?p=17440'),
  ('15', '障害者総合支援法 更生医療', 'MHLW 社援更第26号 (1993-02-15)'),
  ('21', '障害者総合支援法 精神通院医療', 'MHLW 設定要領 via chigasaki-localtkt.com/?p=17440'),
  ('28', '感染症法 一類・二類感染症等 入院', 'myclinic-ts futan-calc KouhiGroup1Group2Infection'),
  ('38', '肝炎治療特別促進事業', 'myclinic-ts futan-calc KouhiHepatitis'),
  ('51', '特定疾患治療研究事業', 'nanbyo.ukure.com/kiten; ORCA fixtures'),
  ('52', '小児慢性特定疾病医療支援', 'ORCA fixture 52316015'),
  ('54', '難病法 特定医療 (指定難病)', 'nanbyo.ukure.com/kiten; chigasaki-localtkt.com/?p=17533');
UPDATE mynahoken.public_expense_program SET shipped = true;
SELECT pg_catalog.pg_extension_config_dump('mynahoken.public_expense_program', 'WHERE NOT shipped');
GRANT SELECT ON mynahoken.public_expense_program TO PUBLIC;

CREATE FUNCTION mynahoken.public_expense_program(mynahoken.public_payer_number) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  RETURN (SELECT p.name FROM mynahoken.public_expense_program p
           WHERE p.law_code OPERATOR(pg_catalog.=) mynahoken.law_code($1));
COMMENT ON FUNCTION mynahoken.public_expense_program(mynahoken.public_payer_number) IS
  'Name of the 公費 program of a payer number, from mynahoken.public_expense_program; NULL when unknown';

-- ---- 記号・番号・枝番

CREATE FUNCTION mynahoken.card_symbol_normalize(text, full_width boolean DEFAULT false) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.card_number_normalize(text, full_width boolean DEFAULT false) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.card_branch_normalize(text, full_width boolean DEFAULT false) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.card_symbol_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.card_number_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.card_branch_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.insured_key(insurer mynahoken.insurer_number, symbol text,
                                      number text, branch text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION mynahoken.card_symbol_normalize(text, boolean) IS
  '記号 (card symbol) normalised: letters and digits in ASCII, any part with kana, kanji or symbols wholly full-width (all full-width with full_width); empty when the card has none';
COMMENT ON FUNCTION mynahoken.card_number_normalize(text, boolean) IS
  '番号 (card number) normalised like card_symbol_normalize; must not be empty';
COMMENT ON FUNCTION mynahoken.card_branch_normalize(text, boolean) IS
  '枝番 (branch number) as two ASCII digits, or empty when the card shows none (full_width is ignored: 枝番 is always ASCII)';
COMMENT ON FUNCTION mynahoken.card_symbol_problem(text) IS
  'What is wrong with the text as a card symbol (記号), or NULL; never raises';
COMMENT ON FUNCTION mynahoken.card_number_problem(text) IS
  'What is wrong with the text as a card number (番号), or NULL; never raises';
COMMENT ON FUNCTION mynahoken.card_branch_problem(text) IS
  'What is wrong with the text as a branch number (枝番), or NULL; never raises';
COMMENT ON FUNCTION mynahoken.insured_key(mynahoken.insurer_number, text, text, text) IS
  'Insured-person key (JP Core 被保険者個人識別子) "保険者番号8桁:記号:番号:枝番" from normalised parts; NULL when insurer or number is NULL';

-- ---- My Number and 法人番号

CREATE FUNCTION mynahoken.mynumber_is_valid(text) RETURNS boolean
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.mynumber_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.corporate_number_problem(text) RETURNS text
  AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mynahoken.corporate_number_is_valid(text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN mynahoken.corporate_number_problem($1) IS NULL;

COMMENT ON FUNCTION mynahoken.mynumber_is_valid(text) IS
  'True when the text is 12 digits (ASCII or full-width, spaces or hyphens between groups) with a correct My Number (個人番号) check digit; never raises, never logs';
COMMENT ON FUNCTION mynahoken.mynumber_problem(text) IS
  'What is wrong with the text as a My Number, without repeating any digit, or NULL; never raises';
COMMENT ON FUNCTION mynahoken.corporate_number_problem(text) IS
  'What is wrong with the text as a corporate number (法人番号), or NULL; never raises';
COMMENT ON FUNCTION mynahoken.corporate_number_is_valid(text) IS
  'True when the text is a 13-digit corporate number (法人番号) with a correct check digit; never raises';

-- ---- sql/install/20_tokens.sql
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
-- IMMUTABLE by contract: a key version's bytes never change (enforced within
-- a backend's life, documented for the keyring's whole life).
CREATE FUNCTION mynahoken.tokenize(mynumber text, key_version integer)
  RETURNS mynahoken.mynumber_token
  AS 'MODULE_PATHNAME', 'mynumber_tokenize_version'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
  'Token of a typed My Number under the given key version (IMMUTABLE: key versions never change)';
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

-- ---- sql/install/30_certificates.sql
-- JPKI (公的個人認証) certificates: trust anchors and revocation facts as rows,
-- verification at a given time, signature checks, certificate facts, and the
-- role-gated personal data of 署名用 certificates.  See doc/certificates.md.

CREATE TYPE mynahoken.certificate_usage AS ENUM (
  'authentication',   -- 利用者証明用電子証明書
  'signature'         -- 署名用電子証明書
);
COMMENT ON TYPE mynahoken.certificate_usage IS
  'JPKI certificate usage: authentication (利用者証明用) or signature (署名用)';

CREATE TYPE mynahoken.certificate_outcome AS ENUM (
  'valid',
  'expired',
  'not_yet_valid',
  'revoked',
  'untrusted_issuer',
  'bad_signature',
  'wrong_usage',
  'malformed',
  'signature_mismatch'
);
COMMENT ON TYPE mynahoken.certificate_outcome IS
  'Outcome of a JPKI certificate verification; signature_mismatch only from verify_signature';

-- Pinned roots.  Generations of one root share a subject DN and coexist;
-- rows are added by add_trust_anchor, which checks them.
CREATE TABLE mynahoken.trust_anchor (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  purpose     mynahoken.certificate_usage NOT NULL,
  der         bytea NOT NULL,
  fingerprint bytea NOT NULL UNIQUE CHECK (pg_catalog.length(fingerprint) = 32),
  key_id      bytea NOT NULL,
  subject     text NOT NULL,
  serial      numeric NOT NULL,
  not_before  timestamptz NOT NULL,
  not_after   timestamptz NOT NULL,
  label       text,
  added_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE mynahoken.trust_anchor IS
  'Pinned JPKI root certificates (trust anchors), one row per root generation and purpose';
COMMENT ON SEQUENCE mynahoken.trust_anchor_id_seq IS 'Identifiers of mynahoken.trust_anchor rows';
COMMENT ON COLUMN mynahoken.trust_anchor.fingerprint IS 'SHA-256 of the DER certificate';
COMMENT ON COLUMN mynahoken.trust_anchor.key_id IS
  'Subject key identifier of the root (SHA-1 of its public key when absent); keys revocation rows';

-- Revocation facts, from verified CRLs or an operator feed.  A certificate
-- is revoked at T iff a row with its issuer key and serial has
-- revocation_date <= T.
CREATE TABLE mynahoken.revoked_certificate (
  issuer_key_id   bytea NOT NULL,
  serial          numeric NOT NULL,
  revocation_date timestamptz NOT NULL,
  reason          text CHECK (reason IN ('unspecified', 'keyCompromise', 'cACompromise',
                    'affiliationChanged', 'superseded', 'cessationOfOperation',
                    'certificateHold', 'removeFromCRL', 'privilegeWithdrawn',
                    'aACompromise')),
  source          text NOT NULL CHECK (source IN ('crl', 'feed')),
  recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT revoked_certificate_pkey PRIMARY KEY (issuer_key_id, serial)
);
COMMENT ON TABLE mynahoken.revoked_certificate IS
  'JPKI revocation facts keyed by issuer key identifier and serial; revoked at T iff revocation_date <= T';

SELECT pg_catalog.pg_extension_config_dump('mynahoken.trust_anchor', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.trust_anchor_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.revoked_certificate', '');

CREATE TYPE mynahoken.certificate_verdict AS (
  outcome           mynahoken.certificate_outcome,
  serial            numeric,
  not_before        timestamptz,
  not_after         timestamptz,
  anchor_id         bigint,
  revocation_date   timestamptz,
  revocation_reason text,
  detail            text
);
COMMENT ON TYPE mynahoken.certificate_verdict IS
  'Result of verify_certificate and verify_signature';

CREATE TYPE mynahoken.certificate_facts AS (
  serial           numeric,
  issuer           text,
  subject          text,
  not_before       timestamptz,
  not_after        timestamptz,
  policy_oids      text[],
  key_usage        text[],
  subject_key_id   bytea,
  authority_key_id bytea,
  fingerprint      bytea
);
COMMENT ON TYPE mynahoken.certificate_facts IS
  'Public facts of a certificate (no personal data)';

CREATE TYPE mynahoken.certificate_personal_data AS (
  name               text,
  name_substitute    text,
  sex                text,
  birth_date         text,
  address            text,
  address_substitute text
);
COMMENT ON TYPE mynahoken.certificate_personal_data IS
  'Personal data (基本4情報) of a 署名用 certificate, subjectAltName otherName 1.2.392.200149.8.5.5.1-.6';

CREATE FUNCTION mynahoken.verify_certificate(certificate bytea,
                                             usage mynahoken.certificate_usage,
                                             at timestamptz DEFAULT pg_catalog.now())
RETURNS mynahoken.certificate_verdict
AS 'MODULE_PATHNAME', 'mh_verify_certificate'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 5000;
COMMENT ON FUNCTION mynahoken.verify_certificate(bytea, mynahoken.certificate_usage, timestamptz) IS
  'Verify a DER JPKI certificate for a usage at a time against the trust anchors and revocation rows';

CREATE FUNCTION mynahoken.verify_signature(certificate bytea, data bytea, signature bytea,
                                           at timestamptz DEFAULT pg_catalog.now(),
                                           usage mynahoken.certificate_usage DEFAULT 'signature')
RETURNS mynahoken.certificate_verdict
AS 'MODULE_PATHNAME', 'mh_verify_signature'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 5000;
COMMENT ON FUNCTION mynahoken.verify_signature(bytea, bytea, bytea, timestamptz, mynahoken.certificate_usage) IS
  'Verify the certificate, then a SHA256withRSA (PKCS#1 v1.5) signature over data with its key';

CREATE FUNCTION mynahoken.certificate_facts(certificate bytea)
RETURNS mynahoken.certificate_facts
AS 'MODULE_PATHNAME', 'mh_certificate_facts'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION mynahoken.certificate_facts(bytea) IS
  'Serial, issuer, subject, validity, policy OIDs, key usage and key ids of a DER certificate; NULL when malformed';

CREATE FUNCTION mynahoken.certificate_personal_data(certificate bytea)
RETURNS mynahoken.certificate_personal_data
AS 'MODULE_PATHNAME', 'mh_certificate_personal_data'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION mynahoken.certificate_personal_data(bytea) IS
  'Personal data of a 署名用 certificate; executable only by mynahoken_pii_reader';

CREATE FUNCTION mynahoken.inspect_trust_anchor(certificate bytea,
    OUT fingerprint bytea, OUT key_id bytea, OUT subject text, OUT serial numeric,
    OUT not_before timestamptz, OUT not_after timestamptz)
AS 'MODULE_PATHNAME', 'mh_inspect_trust_anchor'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.inspect_trust_anchor(bytea) IS
  'Check that a DER certificate is a self-signed CA certificate and describe it; errors otherwise';

CREATE FUNCTION mynahoken.crl_entries(crl bytea,
    OUT anchor_id bigint, OUT issuer_key_id bytea, OUT serial numeric,
    OUT revocation_date timestamptz, OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'mh_crl_entries'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.crl_entries(bytea) IS
  'Entries of a DER CRL whose signature verifies with a trust anchor; errors otherwise';

CREATE FUNCTION mynahoken.trust_anchor_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'mh_trust_anchor_changed'
LANGUAGE C;
COMMENT ON FUNCTION mynahoken.trust_anchor_changed() IS
  'Trigger: tells every session to rebuild its certificate store from trust_anchor';

CREATE TRIGGER trust_anchor_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mynahoken.trust_anchor
  FOR EACH STATEMENT EXECUTE FUNCTION mynahoken.trust_anchor_changed();
COMMENT ON TRIGGER trust_anchor_changed ON mynahoken.trust_anchor IS
  'Invalidates the per-backend X509_STORE of every session at commit';

CREATE FUNCTION mynahoken.add_trust_anchor(certificate bytea,
                                           purpose mynahoken.certificate_usage,
                                           expected_fingerprint bytea DEFAULT NULL,
                                           label text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a record;
  anchor_id bigint;
  old_purpose mynahoken.certificate_usage;
BEGIN
  IF certificate IS NULL OR purpose IS NULL THEN
    RAISE EXCEPTION 'certificate and purpose must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO a FROM mynahoken.inspect_trust_anchor(certificate);
  IF expected_fingerprint IS NOT NULL AND expected_fingerprint <> a.fingerprint THEN
    RAISE EXCEPTION 'trust anchor fingerprint does not match the expected fingerprint'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('The certificate''s SHA-256 fingerprint is %s.',
                            encode(a.fingerprint, 'hex')),
            HINT = 'Compare it with the fingerprint J-LIS publishes for this root.';
  END IF;
  INSERT INTO mynahoken.trust_anchor
         (purpose, der, fingerprint, key_id, subject, serial, not_before, not_after, label)
  VALUES (purpose, certificate, a.fingerprint, a.key_id, a.subject, a.serial,
          a.not_before, a.not_after, label)
  ON CONFLICT (fingerprint) DO NOTHING
  RETURNING id INTO anchor_id;
  IF anchor_id IS NULL THEN
    SELECT t.id, t.purpose INTO anchor_id, old_purpose
      FROM mynahoken.trust_anchor t WHERE t.fingerprint = a.fingerprint;
    IF old_purpose <> purpose THEN
      RAISE EXCEPTION 'trust anchor is already pinned for %', old_purpose
        USING ERRCODE = 'unique_violation',
              HINT = 'Remove it first to change its purpose.';
    END IF;
  END IF;
  RETURN anchor_id;
END $$;
COMMENT ON FUNCTION mynahoken.add_trust_anchor(bytea, mynahoken.certificate_usage, bytea, text) IS
  'Pin a self-signed CA certificate as a trust anchor, optionally only if its SHA-256 matches; idempotent';

CREATE FUNCTION mynahoken.remove_trust_anchor(fingerprint bytea)
RETURNS boolean
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  WITH d AS (DELETE FROM mynahoken.trust_anchor t
              WHERE t.fingerprint = remove_trust_anchor.fingerprint RETURNING 1)
  SELECT count(*) > 0 FROM d;
END;
COMMENT ON FUNCTION mynahoken.remove_trust_anchor(bytea) IS
  'Unpin the trust anchor with this SHA-256 fingerprint; false when there was none';

CREATE FUNCTION mynahoken.load_crl(crl bytea)
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer;
BEGIN
  INSERT INTO mynahoken.revoked_certificate
         (issuer_key_id, serial, revocation_date, reason, source)
  SELECT e.issuer_key_id, e.serial, e.revocation_date, e.reason, 'crl'
    FROM mynahoken.crl_entries(crl) e
   -- a delta CRL's removeFromCRL entry is an un-revocation, never a revocation
   WHERE e.reason IS DISTINCT FROM 'removeFromCRL'
  ON CONFLICT (issuer_key_id, serial) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
COMMENT ON FUNCTION mynahoken.load_crl(bytea) IS
  'Verify a DER CRL against the trust anchors and record its entries; returns the number of new rows';

CREATE VIEW mynahoken.trust_anchors AS
SELECT t.id,
       t.purpose,
       t.label,
       t.subject,
       pg_catalog.encode(t.fingerprint, 'hex') AS sha256_fingerprint,
       pg_catalog.encode(t.key_id, 'hex') AS key_id,
       t.not_before,
       t.not_after,
       pg_catalog.now() BETWEEN t.not_before AND t.not_after AS valid_now,
       (SELECT pg_catalog.count(*) FROM mynahoken.revoked_certificate r
         WHERE r.issuer_key_id = t.key_id) AS revocations,
       t.added_at
  FROM mynahoken.trust_anchor t;
COMMENT ON VIEW mynahoken.trust_anchors IS
  'Pinned trust anchors with purpose, validity, fingerprint and revocation count';

-- Personal data is for a dedicated role only.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_pii_reader') THEN
    CREATE ROLE mynahoken_pii_reader NOLOGIN;
  END IF;
END $$;
REVOKE ALL ON FUNCTION mynahoken.certificate_personal_data(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.certificate_personal_data(bytea) TO mynahoken_pii_reader;
REVOKE ALL ON FUNCTION mynahoken.add_trust_anchor(bytea, mynahoken.certificate_usage, bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mynahoken.remove_trust_anchor(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION mynahoken.load_crl(bytea) FROM PUBLIC;
GRANT SELECT ON mynahoken.trust_anchor, mynahoken.trust_anchors TO PUBLIC;

-- ---- sql/install/40_calendar.sql
-- Legal calendar (法令・事務連絡の日付) and transition-period decision functions.
--
-- The calendar is bitemporal: each value of a legal parameter has a valid
-- time (the decision days it applies to) and a recorded time (from when the
-- insurer knew it until a later notice superseded it).  The stored rows are
-- append-only (mynahoken.legal_parameter_entry): a row holds only the day it
-- became known; a later notice inserts a new row, and what it supersedes is
-- derived (view mynahoken.legal_parameter).  Shipped rows are never changed,
-- so that pg_dump, which dumps only the insurer's rows, restores exactly the
-- calendar the insurer had on top of the rows CREATE EXTENSION seeds.
--
-- The decision functions are C: a pure core (src/core/transition.c) over
-- explicit arguments, wrapped by STABLE functions (src/decision.c) that read
-- the calendar once per statement and cache it, so that a query over tens of
-- millions of members does not run a calendar query per row.

-- ---------------------------------------------------------------------------
-- Sources

CREATE TYPE mynahoken.legal_source_kind AS ENUM (
  'law',              -- 法律
  'ordinance',        -- 政令・省令
  'notice',           -- 通知・事務連絡 and ministry documents
  'insurer_decision', -- the insurer's own choice (within the law)
  'publication'       -- an insurer, municipal or press page reporting a rule whose primary text was not read
);
COMMENT ON TYPE mynahoken.legal_source_kind IS
  'Kind of document a legal parameter comes from (法律, 政令・省令, 通知・事務連絡, insurer decision, secondary publication)';

-- Ids of the shipped rows are below 1000000 (the seed below); the insurer's
-- own rows get ids from 1000000, so that a later version can ship more rows
-- without taking ids a restored dump already uses.
CREATE SEQUENCE mynahoken.legal_source_id_seq;
COMMENT ON SEQUENCE mynahoken.legal_source_id_seq IS
  'Ids of mynahoken.legal_source (shipped below 1000000, the insurer''s own from 1000000)';

CREATE TABLE mynahoken.legal_source (
  source_id  bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.legal_source_id_seq'),
  code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]*$'),  -- short handle, e.g. mhlw-2025-06-27
  kind       mynahoken.legal_source_kind NOT NULL,
  title      text NOT NULL CHECK (title <> ''),
  issuer     text NOT NULL CHECK (issuer <> ''),
  number     text,               -- 法令番号 or 文書番号, when it has one
  issued_on  date,                -- NULL only when the document carries no date we could read
  url        text,
  note       text,
  shipped    boolean NOT NULL DEFAULT true, -- false from the end of this script: the insurer's own
  CONSTRAINT legal_source_shipped_ids CHECK (shipped = (source_id < 1000000))
);
ALTER SEQUENCE mynahoken.legal_source_id_seq OWNED BY mynahoken.legal_source.source_id;
COMMENT ON TABLE mynahoken.legal_source IS
  'Documents (laws, ordinances, notices, insurer decisions, publications) that legal parameters cite';

-- ---------------------------------------------------------------------------
-- Parameter definitions: one row per parameter name, with its type and unit.

CREATE TYPE mynahoken.legal_value_type AS ENUM ('date', 'int', 'boolean', 'daterange', 'text');
COMMENT ON TYPE mynahoken.legal_value_type IS 'Type of the value of a legal parameter';

CREATE TABLE mynahoken.legal_parameter_def (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
  value_type  mynahoken.legal_value_type NOT NULL,
  unit        text NOT NULL,     -- 'day', 'months', 'days', 'years', 'flag', 'month of year', ...
  description text NOT NULL,
  shipped     boolean NOT NULL DEFAULT true,  -- false from the end of this script: the insurer's own
  UNIQUE (name, value_type)
);
COMMENT ON TABLE mynahoken.legal_parameter_def IS
  'Legal parameters the decision functions use: name, value type, unit and meaning';

-- A one-point range over text ("C" collation): two keys overlap exactly when
-- they are equal, which lets the exclusion constraint below compare
-- (name, scope) with && and avoids a dependency on btree_gist.
CREATE TYPE mynahoken.legal_key_range AS RANGE (subtype = text, collation = "C");
COMMENT ON TYPE mynahoken.legal_key_range IS
  'Range over text used as a one-point key in the exclusion constraint of mynahoken.legal_parameter';
COMMENT ON FUNCTION mynahoken.legal_key_range(text, text) IS 'Constructor of mynahoken.legal_key_range';
COMMENT ON FUNCTION mynahoken.legal_key_range(text, text, text) IS 'Constructor of mynahoken.legal_key_range';
COMMENT ON TYPE mynahoken.legal_key_multirange IS 'Multirange of mynahoken.legal_key_range (created with the range type)';
COMMENT ON FUNCTION mynahoken.legal_key_multirange() IS 'Constructor of mynahoken.legal_key_multirange';
COMMENT ON FUNCTION mynahoken.legal_key_multirange(mynahoken.legal_key_range) IS 'Constructor of mynahoken.legal_key_multirange';
COMMENT ON FUNCTION mynahoken.legal_key_multirange(mynahoken.legal_key_range[]) IS 'Constructor of mynahoken.legal_key_multirange';
COMMENT ON CAST (mynahoken.legal_key_range AS mynahoken.legal_key_multirange) IS 'Range to multirange';

-- IMMUTABLE although it casts an enum to text: the labels of
-- mynahoken.insurer_category are never renamed (they are part of the API).
CREATE FUNCTION mynahoken.legal_parameter_key(name text, scope mynahoken.insurer_category)
RETURNS mynahoken.legal_key_range
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT mynahoken.legal_key_range(k, k, '[]')
    FROM (SELECT $1 OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) coalesce($2::text, '*') AS k) AS t
$$;
COMMENT ON FUNCTION mynahoken.legal_parameter_key(text, mynahoken.insurer_category) IS
  'Exclusion key of a legal parameter value: its name and scope (NULL scope = all insurer categories)';

CREATE SEQUENCE mynahoken.legal_parameter_id_seq;
COMMENT ON SEQUENCE mynahoken.legal_parameter_id_seq IS
  'Ids of mynahoken.legal_parameter_entry (shipped below 1000000, the insurer''s own from 1000000)';

-- Append-only: a row is what was recorded on one knowledge day.  It is never
-- updated; a later row of the same parameter and scope whose valid range
-- overlaps supersedes it on the days they share.
CREATE TABLE mynahoken.legal_parameter_entry (
  parameter_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.legal_parameter_id_seq'),
  name         text NOT NULL,
  value_type   mynahoken.legal_value_type NOT NULL,
  scope        mynahoken.insurer_category,   -- NULL: every category
  valid        daterange NOT NULL CHECK (NOT isempty(valid)),
  recorded_on  date NOT NULL CHECK (isfinite(recorded_on)),  -- first knowledge day
  value_date   date,
  value_int    int,
  value_bool   boolean,
  value_range  daterange,
  value_text   text,
  source_id    bigint NOT NULL REFERENCES mynahoken.legal_source,
  confirmed    boolean NOT NULL DEFAULT true, -- false: UNCONFIRMED, a documented choice
  note         text,
  shipped      boolean NOT NULL DEFAULT true, -- false from the end of this script: the insurer's own
  CONSTRAINT legal_parameter_shipped_ids CHECK (shipped = (parameter_id < 1000000)),
  FOREIGN KEY (name, value_type) REFERENCES mynahoken.legal_parameter_def (name, value_type),
  CONSTRAINT legal_parameter_one_value
    CHECK (num_nonnulls(value_date, value_int, value_bool, value_range, value_text) = 1),
  CONSTRAINT legal_parameter_value_of_type CHECK (CASE value_type
           WHEN 'date' THEN value_date IS NOT NULL
           WHEN 'int' THEN value_int IS NOT NULL
           WHEN 'boolean' THEN value_bool IS NOT NULL
           WHEN 'daterange' THEN value_range IS NOT NULL
           WHEN 'text' THEN value_text IS NOT NULL END),
  -- One value per parameter, scope, decision day and knowledge day: the rows
  -- recorded on one day never overlap, so "the latest row recorded by day K
  -- whose valid range holds day D" is one row.
  CONSTRAINT legal_parameter_no_overlap EXCLUDE USING gist (
    mynahoken.legal_parameter_key(name, scope) WITH &&,
    valid WITH &&,
    pg_catalog.daterange(recorded_on, recorded_on, '[]') WITH &&)
);
ALTER SEQUENCE mynahoken.legal_parameter_id_seq OWNED BY mynahoken.legal_parameter_entry.parameter_id;
COMMENT ON TABLE mynahoken.legal_parameter_entry IS
  'Values of legal parameters as recorded (append-only): valid time, day recorded, typed value, required source; read through mynahoken.legal_parameter';

-- Shipped rows are restored by CREATE EXTENSION, not by the dump: a change to
-- one would be lost silently.  Rows are added (superseding), never changed.
CREATE FUNCTION mynahoken.legal_calendar_guard()
RETURNS trigger
LANGUAGE plpgsql STABLE   -- reads no table and changes nothing: it only refuses
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_TABLE_NAME = 'legal_parameter_entry' AND TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'values of legal parameters are never updated'
      USING ERRCODE = 'integrity_constraint_violation',
            HINT = 'Record a superseding value with mynahoken.record_legal_parameter().';
  END IF;
  IF OLD.shipped THEN
    RAISE EXCEPTION 'shipped rows of mynahoken.% cannot be changed or deleted', TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation',
            DETAIL = 'CREATE EXTENSION restores the shipped rows and a dump keeps only the insurer''s own, so the change would be lost.',
            HINT = 'Record a superseding value, or a source of your own, instead.';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_calendar_guard() IS
  'Trigger: values of legal parameters are append-only, shipped calendar rows are read-only';

-- The values as the insurer knew them over time (bitemporal), derived from
-- the append-only rows: a row is in force, from its recording, on the days of
-- its valid range that no later row of the same parameter and scope covers.
-- Each part of a row that stays in force over a span of knowledge days is one
-- row here; its recorded range ends when a later row takes any of its days.
-- For any knowledge day and decision day there is at most one row per
-- parameter and scope (the constraint on legal_parameter_entry).
CREATE VIEW mynahoken.legal_parameter AS
SELECT e.parameter_id, e.name, e.value_type, e.scope, k.valid,
       pg_catalog.daterange(min(k.since),
                            CASE WHEN bool_or(k.until IS NULL) THEN NULL ELSE max(k.until) END) AS recorded,
       e.value_date, e.value_int, e.value_bool, e.value_range, e.value_text,
       e.source_id, e.confirmed, e.note
  FROM mynahoken.legal_parameter_entry e
 CROSS JOIN LATERAL (
       SELECT s.since, s.until, piece AS valid
         FROM (SELECT t.since, pg_catalog.lead(t.since) OVER (ORDER BY t.since) AS until
                 FROM (SELECT e.recorded_on
                       UNION
                       SELECT l.recorded_on
                         FROM mynahoken.legal_parameter_entry l
                        WHERE l.name OPERATOR(pg_catalog.=) e.name
                          AND l.scope IS NOT DISTINCT FROM e.scope
                          AND l.valid OPERATOR(pg_catalog.&&) e.valid
                          AND l.recorded_on OPERATOR(pg_catalog.>) e.recorded_on) AS t (since)) AS s
        CROSS JOIN LATERAL pg_catalog.unnest(
               pg_catalog.datemultirange(e.valid) OPERATOR(pg_catalog.-) coalesce(
                 (SELECT pg_catalog.range_agg(l.valid)
                    FROM mynahoken.legal_parameter_entry l
                   WHERE l.name OPERATOR(pg_catalog.=) e.name
                     AND l.scope IS NOT DISTINCT FROM e.scope
                     AND l.valid OPERATOR(pg_catalog.&&) e.valid
                     AND l.recorded_on OPERATOR(pg_catalog.>) e.recorded_on
                     AND l.recorded_on OPERATOR(pg_catalog.<=) s.since),
                 '{}'::pg_catalog.datemultirange)) AS piece) AS k
 GROUP BY e.parameter_id, e.name, e.scope, k.valid;
COMMENT ON VIEW mynahoken.legal_parameter IS
  'Bitemporal values of legal parameters: valid time (decision days), recorded time (when known), typed value, required source; derived from legal_parameter_entry';

-- ---------------------------------------------------------------------------
-- Reading the calendar

-- The stored entry in force for decision day "day", for the given insurer
-- category (a category-specific value wins over an all-categories one), as
-- known on known_on (NULL: as known now): the latest recorded by then whose
-- valid range holds the day, one by the exclusion constraint.  The
-- legal_value_* functions read it directly: one query per call.
CREATE FUNCTION mynahoken.legal_entry_at(name text, day date,
                                         category mynahoken.insurer_category DEFAULT NULL,
                                         known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
BEGIN
  IF name IS NULL OR day IS NULL THEN
    RAISE EXCEPTION 'legal parameter name and day must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT e.* INTO ent
    FROM mynahoken.legal_parameter_entry e
   WHERE e.name = legal_entry_at.name
     AND (e.scope = category OR e.scope IS NULL)
     AND e.valid @> day
     AND (known_on IS NULL OR e.recorded_on <= known_on)
   ORDER BY e.scope IS NULL, e.recorded_on DESC
   LIMIT 1;
  IF FOUND THEN
    RETURN ent;
  END IF;
  PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_at.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal parameter "%"', name
      USING ERRCODE = 'undefined_object',
            HINT = 'The parameters are listed in mynahoken.legal_parameter_def.';
  END IF;
  RAISE EXCEPTION 'no value for legal parameter "%" on %', name, to_char(day, 'YYYY-MM-DD')
    USING ERRCODE = 'no_data_found',
          DETAIL = format('Insurer category: %s. Knowledge: %s.',
                          coalesce(category::text, 'all'),
                          CASE WHEN known_on IS NULL THEN 'as currently known'
                               ELSE 'as known on ' || to_char(known_on, 'YYYY-MM-DD') END),
          HINT = 'Record a value with mynahoken.record_legal_parameter().';
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_at(text, date, mynahoken.insurer_category, date) IS
  'Internal: stored entry in force for a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';

-- The row of mynahoken.legal_parameter for decision day "day": the entry in
-- force with the part of its valid range that holds the day and the recorded
-- range of that part, computed for this entry only (the view costs more than
-- a call should).
CREATE FUNCTION mynahoken.legal_parameter_at(name text, day date,
                                             category mynahoken.insurer_category DEFAULT NULL,
                                             known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r mynahoken.legal_parameter;
  ent mynahoken.legal_parameter_entry;
  taken datemultirange;
  part daterange;
  since date;
  until date;
BEGIN
  ent := mynahoken.legal_entry_at(name, day, category, known_on);
  -- the days later entries took from it by known_on; the part left holding the day
  SELECT range_agg(l.valid) INTO taken
    FROM mynahoken.legal_parameter_entry l
   WHERE l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope
     AND l.valid && ent.valid AND l.recorded_on > ent.recorded_on
     AND (known_on IS NULL OR l.recorded_on <= known_on);
  SELECT x INTO part
    FROM unnest(datemultirange(ent.valid) - coalesce(taken, '{}'::datemultirange)) AS x
   WHERE x @> day;
  -- it has been this part since the days on either side of it were taken
  -- (or from its recording), until a later entry takes one of its days
  SELECT max(t) INTO since
    FROM (SELECT ent.recorded_on
          UNION ALL
          SELECT min(l.recorded_on)
            FROM mynahoken.legal_parameter_entry l,
                 (VALUES (lower(part) - 1), (upper(part))) AS n (d)
           WHERE n.d IS NOT NULL AND ent.valid @> n.d AND l.valid @> n.d
             AND l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope
             AND l.recorded_on > ent.recorded_on
           GROUP BY n.d) AS v (t);
  SELECT min(l.recorded_on) INTO until
    FROM mynahoken.legal_parameter_entry l
   WHERE known_on IS NOT NULL AND l.recorded_on > known_on
     AND l.name = ent.name AND l.scope IS NOT DISTINCT FROM ent.scope
     AND l.valid && part;
  SELECT ent.parameter_id, ent.name, ent.value_type, ent.scope, part, daterange(since, until),
         ent.value_date, ent.value_int, ent.value_bool, ent.value_range, ent.value_text,
         ent.source_id, ent.confirmed, ent.note
    INTO r;
  RETURN r;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_parameter_at(text, date, mynahoken.insurer_category, date) IS
  'Calendar row of a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';

CREATE FUNCTION mynahoken.legal_value_check_type(p mynahoken.legal_parameter_entry, want mynahoken.legal_value_type)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p.value_type <> want THEN
    RAISE EXCEPTION 'legal parameter "%" is of type %, not %', p.name, p.value_type, want
      USING ERRCODE = 'datatype_mismatch';
  END IF;
  RETURN p;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_value_check_type(mynahoken.legal_parameter_entry, mynahoken.legal_value_type) IS
  'Internal: raise 42804 when a legal parameter is read as the wrong type';

CREATE FUNCTION mynahoken.legal_value_date(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS date LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (mynahoken.legal_value_check_type(mynahoken.legal_entry_at($1, $2, $3, $4), 'date')).value_date $$;
COMMENT ON FUNCTION mynahoken.legal_value_date(text, date, mynahoken.insurer_category, date) IS
  'Date value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_int(name text, day date,
                                          category mynahoken.insurer_category DEFAULT NULL,
                                          known_on date DEFAULT NULL)
RETURNS int LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (mynahoken.legal_value_check_type(mynahoken.legal_entry_at($1, $2, $3, $4), 'int')).value_int $$;
COMMENT ON FUNCTION mynahoken.legal_value_int(text, date, mynahoken.insurer_category, date) IS
  'Integer value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_bool(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (mynahoken.legal_value_check_type(mynahoken.legal_entry_at($1, $2, $3, $4), 'boolean')).value_bool $$;
COMMENT ON FUNCTION mynahoken.legal_value_bool(text, date, mynahoken.insurer_category, date) IS
  'Boolean value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_range(name text, day date,
                                            category mynahoken.insurer_category DEFAULT NULL,
                                            known_on date DEFAULT NULL)
RETURNS daterange LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (mynahoken.legal_value_check_type(mynahoken.legal_entry_at($1, $2, $3, $4), 'daterange')).value_range $$;
COMMENT ON FUNCTION mynahoken.legal_value_range(text, date, mynahoken.insurer_category, date) IS
  'Date-range value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

CREATE FUNCTION mynahoken.legal_value_text(name text, day date,
                                           category mynahoken.insurer_category DEFAULT NULL,
                                           known_on date DEFAULT NULL)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (mynahoken.legal_value_check_type(mynahoken.legal_entry_at($1, $2, $3, $4), 'text')).value_text $$;
COMMENT ON FUNCTION mynahoken.legal_value_text(text, date, mynahoken.insurer_category, date) IS
  'Text value of a legal parameter on a day, for a category, as known on a day (NULL: now)';

-- A date range as text in ISO dates whatever DateStyle says, e.g. [2024-12-02,).
CREATE FUNCTION mynahoken.daterange_iso(r daterange)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_catalog.isempty(r) THEN 'empty'
              ELSE '[' || coalesce(pg_catalog.to_char(pg_catalog.lower(r), 'YYYY-MM-DD'), '') || ','
                   || coalesce(pg_catalog.to_char(pg_catalog.upper(r), 'YYYY-MM-DD'), '') || ')' END
$$;
COMMENT ON FUNCTION mynahoken.daterange_iso(daterange) IS
  'A date range as text with ISO dates, independent of DateStyle';

-- The whole calendar with sources, for people.
CREATE VIEW mynahoken.legal_calendar AS
SELECT p.name, p.scope, p.valid, p.recorded,
       CASE p.value_type
         WHEN 'date' THEN CASE WHEN pg_catalog.isfinite(p.value_date)
                               THEN pg_catalog.to_char(p.value_date, 'YYYY-MM-DD')
                               ELSE p.value_date::text END
         WHEN 'int' THEN p.value_int::text
         WHEN 'boolean' THEN p.value_bool::text
         WHEN 'daterange' THEN mynahoken.daterange_iso(p.value_range)
         ELSE p.value_text END AS value,
       d.unit, p.confirmed, p.note, d.description,
       mynahoken.daterange_iso(p.valid) AS valid_iso,
       mynahoken.daterange_iso(p.recorded) AS recorded_iso,
       s.code AS source_code, s.kind AS source_kind, s.title AS source_title,
       s.issuer AS source_issuer, s.number AS source_number, s.issued_on AS source_issued_on,
       s.url AS source_url, p.parameter_id, p.source_id
  FROM mynahoken.legal_parameter p
  JOIN mynahoken.legal_parameter_def d USING (name, value_type)
  JOIN mynahoken.legal_source s USING (source_id);
COMMENT ON VIEW mynahoken.legal_calendar IS
  'Every value of every legal parameter with its valid and recorded time, unit and source';

-- ---------------------------------------------------------------------------
-- Recording a new value: supersede, never overwrite.

CREATE FUNCTION mynahoken.record_legal_parameter(name text,
                                                 scope mynahoken.insurer_category,
                                                 valid daterange,
                                                 value text,
                                                 source_id bigint,
                                                 recorded_on date DEFAULT current_date,
                                                 confirmed boolean DEFAULT true,
                                                 note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  def mynahoken.legal_parameter_def;
  latest date;
  new_id bigint;
BEGIN
  IF name IS NULL OR valid IS NULL OR value IS NULL OR source_id IS NULL OR recorded_on IS NULL THEN
    RAISE EXCEPTION 'name, valid, value, source_id and recorded_on must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF isempty(valid) THEN
    RAISE EXCEPTION 'valid range of legal parameter "%" is empty', name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = record_legal_parameter.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal parameter "%"', name
      USING ERRCODE = 'undefined_object',
            HINT = 'Define it in mynahoken.legal_parameter_def first.';
  END IF;
  -- One writer at a time, so that the order check below holds when two
  -- notices are recorded concurrently.
  LOCK TABLE mynahoken.legal_parameter_entry IN SHARE ROW EXCLUSIVE MODE;

  -- The new row supersedes the rows it overlaps (derived, nothing is
  -- updated), so it must come after them.
  SELECT max(p.recorded_on) INTO latest
    FROM mynahoken.legal_parameter_entry p
   WHERE p.name = record_legal_parameter.name
     AND p.scope IS NOT DISTINCT FROM record_legal_parameter.scope
     AND p.valid && record_legal_parameter.valid;
  IF latest > recorded_on THEN
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on %, after %',
                    name, to_char(latest, 'YYYY-MM-DD'), to_char(recorded_on, 'YYYY-MM-DD')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Values are recorded in the order they become known.';
  ELSIF latest = recorded_on THEN
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on % for some of these days',
                    name, to_char(latest, 'YYYY-MM-DD')
      USING ERRCODE = 'exclusion_violation',
            DETAIL = 'One value per parameter, scope, decision day and knowledge day.',
            HINT = 'Record the correction as known from a later day.';
  END IF;

  INSERT INTO mynahoken.legal_parameter_entry
    (name, value_type, scope, valid, recorded_on, value_date, value_int, value_bool,
     value_range, value_text, source_id, confirmed, note)
  VALUES (name, def.value_type, scope, valid, recorded_on,
          CASE WHEN def.value_type = 'date' THEN value::date END,
          CASE WHEN def.value_type = 'int' THEN value::int END,
          CASE WHEN def.value_type = 'boolean' THEN value::boolean END,
          CASE WHEN def.value_type = 'daterange' THEN value::daterange END,
          CASE WHEN def.value_type = 'text' THEN value END,
          source_id, confirmed, note)
  RETURNING parameter_id INTO new_id;
  RETURN new_id;
END
$$;
COMMENT ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text) IS
  'Record a new value of a legal parameter from a source: appends a row that supersedes the values it overlaps, never overwrites';

-- ---------------------------------------------------------------------------
-- Decision functions.  STABLE: they read the calendar (once per statement,
-- cached in C).  NULL category, day or acquired_on gives NULL; other NULLs
-- mean "none" as documented per argument in doc/decisions.md.  known_on NULL
-- means "as currently known".

CREATE TYPE mynahoken.document AS ENUM (
  'myna_hokensho',            -- マイナ保険証 at an institution with オンライン資格確認
  'myna_with_notice',         -- マイナ保険証 + 資格情報のお知らせ, where the online check is not possible
  'myna_with_portal_screen',  -- マイナ保険証 + マイナポータル screen (smartphone), same condition
  'myna_with_portal_pdf',     -- マイナ保険証 + マイナポータル PDF, same condition
  'legacy_card',              -- 健康保険証, legally valid (経過措置)
  'certificate',              -- 資格確認書
  'expired_legacy_card',      -- 健康保険証 no longer valid, accepted under the 暫定的な取扱い
  'notice_alone'              -- 資格情報のお知らせ alone, accepted under the 暫定的な取扱い
);
COMMENT ON TYPE mynahoken.document IS
  'Documents a member can show at a medical institution (受診時に提示する書類)';

CREATE TYPE mynahoken.certificate_reason AS ENUM (
  'not_eligible',             -- no 資格 on the day: no document at all
  'late_elderly_blanket',     -- 後期高齢者 暫定運用: everyone gets one
  'late_elderly_age',         -- 後期高齢者 aged 85+ rule (UNCONFIRMED)
  'no_my_number',             -- the insurer holds no My Number for the member
  'not_registered',           -- マイナンバーカード not registered for insurance use
  'registration_withdrawn',   -- 利用登録解除
  'ecert_expired',            -- e-certificate expired, grace period over
  'on_request',               -- applied for one (申請, 要配慮者)
  'not_needed'                -- マイナ保険証 usable, no other ground
);
COMMENT ON TYPE mynahoken.certificate_reason IS
  'Why a member needs a 資格確認書 on a day (職権交付 grounds, blanket issuance, application), or not_needed / not_eligible';

CREATE FUNCTION mynahoken.certificate_needed(reason mynahoken.certificate_reason)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE   -- not STRICT, so that it is inlined
AS $$ SELECT $1 OPERATOR(pg_catalog.<>) 'not_needed' AND $1 OPERATOR(pg_catalog.<>) 'not_eligible' $$;
COMMENT ON FUNCTION mynahoken.certificate_needed(mynahoken.certificate_reason) IS
  'True when the reason returned by certificate_need means a 資格確認書 is needed';

-- The contradictions the decision functions refuse, as a value, so that a
-- bulk query can list or leave out the rows an error would stop on.
CREATE FUNCTION mynahoken.member_facts_conflict(birth_date date, acquired_on date, lost_on date,
                                                card_issued_on date, card_expires_on date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN $3 OPERATOR(pg_catalog.<) $2 THEN 'lost_before_acquired'
              WHEN $5 OPERATOR(pg_catalog.<) $4 THEN 'card_expires_before_issued'
              WHEN $2 OPERATOR(pg_catalog.<) $1 THEN 'acquired_before_birth' END
$$;
COMMENT ON FUNCTION mynahoken.member_facts_conflict(date, date, date, date, date) IS
  'Which contradiction in a member''s facts the decision functions would refuse (lost_before_acquired, card_expires_before_issued, acquired_before_birth), or NULL';

CREATE FUNCTION mynahoken.legacy_card_usable_until(category mynahoken.insurer_category,
                                                   issued_on date, expires_on date, lost_on date,
                                                   known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_usable_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_usable_until(mynahoken.insurer_category, date, date, date, date) IS
  'Last day a 健康保険証 is legally valid: min(its expiry, end of the 経過措置, day before 資格喪失日); NULL when never';

CREATE FUNCTION mynahoken.legacy_card_valid(category mynahoken.insurer_category, day date,
                                            acquired_on date, lost_on date,
                                            issued_on date, expires_on date,
                                            known_on date DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_valid'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_valid(mynahoken.insurer_category, date, date, date, date, date, date) IS
  'Whether a 健康保険証 is legally valid on a day (its expiry, 経過措置 end, eligibility)';

CREATE FUNCTION mynahoken.legacy_card_accepted(category mynahoken.insurer_category, day date,
                                               acquired_on date, lost_on date,
                                               issued_on date, expires_on date,
                                               known_on date DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_accepted'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_accepted(mynahoken.insurer_category, date, date, date, date, date, date) IS
  'Whether an institution confirming eligibility online may accept the 健康保険証 on a day: legally valid, or under the 暫定的な取扱い';

CREATE FUNCTION mynahoken.myna_usable_until(category mynahoken.insurer_category,
                                            ecert_expires_on date,
                                            known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_myna_usable_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.myna_usable_until(mynahoken.insurer_category, date, date) IS
  'Last day the マイナ保険証 works after its e-certificate expires: end of the month ecert_grace_months after the month of expiry';

CREATE FUNCTION mynahoken.usable_documents(category mynahoken.insurer_category, day date,
                                           acquired_on date, lost_on date,
                                           card_issued_on date, card_expires_on date,
                                           my_number_linked boolean,
                                           myna_registered_on date, myna_withdrawn_on date,
                                           ecert_expires_on date,
                                           certificate_valid_until date,
                                           online_check boolean DEFAULT true,
                                           known_on date DEFAULT NULL)
RETURNS mynahoken.document[]
AS 'MODULE_PATHNAME', 'mynahoken_usable_documents'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.usable_documents(mynahoken.insurer_category, date, date, date, date, date, boolean, date, date, date, date, boolean, date) IS
  'Documents a member can legally use on a day at an institution with or without online check (seed chart)';

CREATE FUNCTION mynahoken.accepted_documents(category mynahoken.insurer_category, day date,
                                             acquired_on date, lost_on date,
                                             card_issued_on date, card_expires_on date,
                                             my_number_linked boolean,
                                             myna_registered_on date, myna_withdrawn_on date,
                                             ecert_expires_on date,
                                             certificate_valid_until date,
                                             online_check boolean DEFAULT true,
                                             known_on date DEFAULT NULL)
RETURNS mynahoken.document[]
AS 'MODULE_PATHNAME', 'mynahoken_accepted_documents'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.accepted_documents(mynahoken.insurer_category, date, date, date, date, date, boolean, date, date, date, date, boolean, date) IS
  'Documents an institution may accept on a day: the usable ones plus those of the temporary measures (暫定的な取扱い)';

CREATE FUNCTION mynahoken.certificate_need(category mynahoken.insurer_category, day date,
                                           birth_date date, acquired_on date, lost_on date,
                                           my_number_linked boolean,
                                           myna_registered_on date, myna_withdrawn_on date,
                                           ecert_expires_on date,
                                           certificate_requested_on date,
                                           known_on date DEFAULT NULL)
RETURNS mynahoken.certificate_reason
AS 'MODULE_PATHNAME', 'mynahoken_certificate_need'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_need(mynahoken.insurer_category, date, date, date, date, boolean, date, date, date, date, date) IS
  'Whether a member needs a 資格確認書 on a day, as a reason code (not_needed / not_eligible when not)';

CREATE FUNCTION mynahoken.certificate_valid_until(category mynahoken.insurer_category, issued_on date,
                                                  known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_certificate_valid_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_valid_until(mynahoken.insurer_category, date, date) IS
  'Last valid day of a 資格確認書 issued on a day: the insurer''s term and renewal month, capped at the legal maximum';

CREATE FUNCTION mynahoken.acquisition_report_due(category mynahoken.insurer_category, acquired_on date,
                                                 known_on date DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'mynahoken_acquisition_report_due'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.acquisition_report_due(mynahoken.insurer_category, date, date) IS
  'Last day to file the 資格取得届 (健康保険法施行規則 第24条: within 5 days; counting rule is a parameter)';

CREATE FUNCTION mynahoken.notice_sending_window(category mynahoken.insurer_category, acquired_on date,
                                                known_on date DEFAULT NULL)
RETURNS daterange
AS 'MODULE_PATHNAME', 'mynahoken_notice_sending_window'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.notice_sending_window(mynahoken.insurer_category, date, date) IS
  'Days in which the 資格情報のお知らせ is (was) sent to a member acquired on a day';

-- The same decisions as IMMUTABLE functions over explicit parameters: the
-- parameters of one category and day in a mynahoken.transition_rules value
-- (made by mynahoken.transition_rules(category, day, known_on), or by hand).
-- Pure functions of their arguments, so they can be pushed down (Citus) and
-- used in indexes; the caller passes the rules of the right category and day.

CREATE TYPE mynahoken.transition_rules AS (
  category                            mynahoken.insurer_category,
  day                                 date,
  card_issue_end                      date,
  card_transition_end                 date,
  expired_card_acceptance             daterange,
  ecert_grace_months                  int,
  notice_with_myna_from               date,
  portal_screen_with_myna_from        date,
  portal_pdf_with_myna_from           date,
  certificate_from                    date,
  certificate_max_months              int,
  certificate_term_months             int,
  certificate_renewal_month           int,
  late_elderly_blanket_until          date,
  late_elderly_age_rule_from          date,
  late_elderly_age_threshold          int,
  acquisition_report_days             int,
  acquisition_report_first_day_counts boolean,
  notice_round1_window                daterange,
  notice_round2_window                daterange,
  notice_round2_acquired              daterange,
  notice_on_acquisition_from          date,
  notice_on_acquisition_days          int
);
COMMENT ON TYPE mynahoken.transition_rules IS
  'The legal parameters of one insurer category on one day (NULL: no value), for the IMMUTABLE *_by_rules decisions';

CREATE FUNCTION mynahoken.transition_rules(category mynahoken.insurer_category, day date,
                                           known_on date DEFAULT NULL)
RETURNS mynahoken.transition_rules
AS 'MODULE_PATHNAME', 'mynahoken_transition_rules'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.transition_rules(mynahoken.insurer_category, date, date) IS
  'The legal parameters of a category on a day as known on a day (NULL: now), read from the calendar';

CREATE FUNCTION mynahoken.legacy_card_usable_until_by_rules(rules mynahoken.transition_rules,
                                                            issued_on date, expires_on date, lost_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_usable_until_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules, date, date, date) IS
  'legacy_card_usable_until over explicit parameters';

CREATE FUNCTION mynahoken.legacy_card_valid_by_rules(rules mynahoken.transition_rules, day date,
                                                     acquired_on date, lost_on date,
                                                     issued_on date, expires_on date)
RETURNS boolean AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_valid_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_valid_by_rules(mynahoken.transition_rules, date, date, date, date, date) IS
  'legacy_card_valid over explicit parameters';

CREATE FUNCTION mynahoken.legacy_card_accepted_by_rules(rules mynahoken.transition_rules, day date,
                                                        acquired_on date, lost_on date,
                                                        issued_on date, expires_on date)
RETURNS boolean AS 'MODULE_PATHNAME', 'mynahoken_legacy_card_accepted_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.legacy_card_accepted_by_rules(mynahoken.transition_rules, date, date, date, date, date) IS
  'legacy_card_accepted over explicit parameters';

CREATE FUNCTION mynahoken.myna_usable_until_by_rules(rules mynahoken.transition_rules, ecert_expires_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_myna_usable_until_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.myna_usable_until_by_rules(mynahoken.transition_rules, date) IS
  'myna_usable_until over explicit parameters';

CREATE FUNCTION mynahoken.usable_documents_by_rules(rules mynahoken.transition_rules, day date,
                                                    acquired_on date, lost_on date,
                                                    card_issued_on date, card_expires_on date,
                                                    my_number_linked boolean,
                                                    myna_registered_on date, myna_withdrawn_on date,
                                                    ecert_expires_on date,
                                                    certificate_valid_until date,
                                                    online_check boolean DEFAULT true)
RETURNS mynahoken.document[] AS 'MODULE_PATHNAME', 'mynahoken_usable_documents_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.usable_documents_by_rules(mynahoken.transition_rules, date, date, date, date, date, boolean, date, date, date, date, boolean) IS
  'usable_documents over explicit parameters';

CREATE FUNCTION mynahoken.accepted_documents_by_rules(rules mynahoken.transition_rules, day date,
                                                      acquired_on date, lost_on date,
                                                      card_issued_on date, card_expires_on date,
                                                      my_number_linked boolean,
                                                      myna_registered_on date, myna_withdrawn_on date,
                                                      ecert_expires_on date,
                                                      certificate_valid_until date,
                                                      online_check boolean DEFAULT true)
RETURNS mynahoken.document[] AS 'MODULE_PATHNAME', 'mynahoken_accepted_documents_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.accepted_documents_by_rules(mynahoken.transition_rules, date, date, date, date, date, boolean, date, date, date, date, boolean) IS
  'accepted_documents over explicit parameters';

CREATE FUNCTION mynahoken.certificate_need_by_rules(rules mynahoken.transition_rules, day date,
                                                    birth_date date, acquired_on date, lost_on date,
                                                    my_number_linked boolean,
                                                    myna_registered_on date, myna_withdrawn_on date,
                                                    ecert_expires_on date,
                                                    certificate_requested_on date)
RETURNS mynahoken.certificate_reason AS 'MODULE_PATHNAME', 'mynahoken_certificate_need_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_need_by_rules(mynahoken.transition_rules, date, date, date, date, boolean, date, date, date, date) IS
  'certificate_need over explicit parameters';

CREATE FUNCTION mynahoken.certificate_valid_until_by_rules(rules mynahoken.transition_rules, issued_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_certificate_valid_until_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules, date) IS
  'certificate_valid_until over explicit parameters';

CREATE FUNCTION mynahoken.acquisition_report_due_by_rules(rules mynahoken.transition_rules, acquired_on date)
RETURNS date AS 'MODULE_PATHNAME', 'mynahoken_acquisition_report_due_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.acquisition_report_due_by_rules(mynahoken.transition_rules, date) IS
  'acquisition_report_due over explicit parameters';

CREATE FUNCTION mynahoken.notice_sending_window_by_rules(rules mynahoken.transition_rules, acquired_on date)
RETURNS daterange AS 'MODULE_PATHNAME', 'mynahoken_notice_sending_window_by_rules'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.notice_sending_window_by_rules(mynahoken.transition_rules, date) IS
  'notice_sending_window over explicit parameters';

-- Explanations: the same arguments as the decision; a jsonb with the
-- decision, its result, the rules applied (with a sentence each), the inputs
-- that mattered, and the parameters used with their sources.

CREATE FUNCTION mynahoken.explain_legacy_card(category mynahoken.insurer_category, day date,
                                              acquired_on date, lost_on date,
                                              issued_on date, expires_on date,
                                              known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_legacy_card'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_legacy_card(mynahoken.insurer_category, date, date, date, date, date, date) IS
  'Explanation of legacy_card_valid, legacy_card_accepted and legacy_card_usable_until: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_documents(category mynahoken.insurer_category, day date,
                                            acquired_on date, lost_on date,
                                            card_issued_on date, card_expires_on date,
                                            my_number_linked boolean,
                                            myna_registered_on date, myna_withdrawn_on date,
                                            ecert_expires_on date,
                                            certificate_valid_until date,
                                            online_check boolean DEFAULT true,
                                            known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_documents'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_documents(mynahoken.insurer_category, date, date, date, date, date, boolean, date, date, date, date, boolean, date) IS
  'Explanation of usable_documents and accepted_documents: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_certificate_need(category mynahoken.insurer_category, day date,
                                                   birth_date date, acquired_on date, lost_on date,
                                                   my_number_linked boolean,
                                                   myna_registered_on date, myna_withdrawn_on date,
                                                   ecert_expires_on date,
                                                   certificate_requested_on date,
                                                   known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_certificate_need'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_certificate_need(mynahoken.insurer_category, date, date, date, date, boolean, date, date, date, date, date) IS
  'Explanation of certificate_need: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_certificate_valid_until(category mynahoken.insurer_category, issued_on date,
                                                          known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_certificate_valid_until'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_certificate_valid_until(mynahoken.insurer_category, date, date) IS
  'Explanation of certificate_valid_until: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_acquisition_report_due(category mynahoken.insurer_category, acquired_on date,
                                                         known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_acquisition_report_due'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_acquisition_report_due(mynahoken.insurer_category, date, date) IS
  'Explanation of acquisition_report_due: rules, inputs, parameters with sources';

CREATE FUNCTION mynahoken.explain_notice_sending_window(category mynahoken.insurer_category, acquired_on date,
                                                        known_on date DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mynahoken_explain_notice_sending_window'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.explain_notice_sending_window(mynahoken.insurer_category, date, date) IS
  'Explanation of notice_sending_window: rules, inputs, parameters with sources';

-- ---------------------------------------------------------------------------
-- Seed: the parameters of doc/decisions.md ("Calendar") with their sources,
-- from ../shared/spec/domain.md §5-§7 and the 協会けんぽ briefing of 令和6年11月.
-- recorded_on is the day the source was issued (when it could be known).

INSERT INTO mynahoken.legal_source (code, kind, title, issuer, number, issued_on, url, note) VALUES
  ('law-r5-48', 'law',
   '行政手続における特定の個人を識別するための番号の利用等に関する法律等の一部を改正する法律',
   '国会', '令和5年法律第48号', '2023-06-09', NULL,
   '附則 経過措置: 発行済みの健康保険証は廃止後1年間 (有効期間が先に到来する場合はその日まで) 有効とみなす. Article number UNCONFIRMED. Inserts 健康保険法 第51条の3 (資格確認書).'),
  ('ordinance-r5-374', 'ordinance',
   '行政手続における特定の個人を識別するための番号の利用等に関する法律等の一部を改正する法律の施行期日を定める政令',
   '内閣', '令和5年政令第374号', '2023-12-27',
   'https://www.mhlw.go.jp/web/t_doc?dataId=00tc8179&dataType=1&pageNo=1',
   'Sets 2024-12-02 as the day the 健康保険証 is abolished; notice デ社第517号/総行マ第150号/保発1227第4号.'),
  ('mhlw-2024-09-26', 'notice',
   '後期高齢者医療制度における資格確認書の暫定的な運用について',
   '厚生労働省', NULL, '2024-09-26',
   'https://www.city.kakegawa.shizuoka.jp/gyosei/docs/723410.html',
   'Primary text not read; quoted by 掛川市 and 松崎町. 資格確認書 to every 後期 member without application until 2025-07-31.'),
  ('kyokai-2024-11', 'publication',
   '健康保険証とマイナンバーカードの一体化（マイナ保険証）に関する制度について',
   '全国健康保険協会 (協会けんぽ)', NULL, '2024-11-01', NULL,
   'Briefing for employers, 令和6年11月 (day of month not printed). Chart of documents by period; 資格情報のお知らせ rounds.'),
  ('mhlw-2025-03-13', 'notice',
   '全国高齢者医療・国民健康保険主管課(部)長会議 保険局国民健康保険課説明資料',
   '厚生労働省 保険局', NULL, '2025-03-13',
   'https://www.mhlw.go.jp/stf/newpage_54381.html',
   'p.169: 資格確認書の有効期間は5年以内で保険者が設定 (更新あり).'),
  ('mhlw-2025-04-03', 'notice',
   '後期高齢者医療制度における資格確認書の暫定的な運用の延長について',
   '厚生労働省', NULL, '2025-04-03',
   'https://www.city.minamiboso.chiba.jp/0000021464.html',
   'Primary text not read; quoted by 南房総市, 水戸市, 君津市. Extends the 後期 暫定運用 to 2026-07-31.'),
  ('mhlw-2025-06-27', 'notice',
   '健康保険証の有効期限切れに伴う暫定的な取扱いについて',
   '厚生労働省', '事務連絡', '2025-06-27',
   'https://www.city.karatsu.lg.jp/page/40137.html',
   'From 2025-08-01 to 2026-03-31 an institution may accept an expired 国保 card, or a 資格情報のお知らせ alone, after confirming eligibility online.'),
  ('kyokai-2025-07-16', 'publication',
   'マイナンバーカードの電子証明書の有効期限が切れた場合について',
   '全国健康保険協会 (協会けんぽ)', NULL, '2025-07-16',
   'https://www.kyoukaikenpo.or.jp/g1/r7-7/7071601',
   '有効期限満了日が属する月の末日から3か月間は引き続きマイナ保険証を利用できる.'),
  ('kyotoiho-2025-09-15', 'publication',
   '京都府医師会 医報: 後期高齢者医療の被保険者証の有効期限切れに伴う暫定的な取扱い',
   '京都府医師会', NULL, '2025-09-15',
   'https://kyotoihou.t-reader.jp/2025/2025-sep-15/30098',
   'Reports a 事務連絡 of 2025-09 applying the 2025-06-27 treatment to expired 後期 cards; the notice itself was not found.'),
  ('mhlw-2025-11-12', 'notice',
   'マイナ保険証を基本とする仕組みへの移行について（周知）',
   '厚生労働省 保険局医療介護連携政策課', '事務連絡', '2025-11-12',
   'https://hodanren.doc-net.or.jp/info/news/2025-11-12-4',
   'Extends the temporary acceptance to all insurers from 2025-12-02 to the end of 2026-03.'),
  ('saitama-kouiki-2026', 'publication',
   '埼玉県後期高齢者医療広域連合: 資格確認書の交付 (令和8年8月以降)',
   '埼玉県後期高齢者医療広域連合', NULL, NULL,
   'https://www.saitama-koukikourei.org/seido/taisho/hokensho-2-2-2-2-2',
   'Reports a national change: from 2026-08-01 members aged 85 or over on that day all get a 資格確認書. National basis UNCONFIRMED; page date not recorded (read by 2026-02-22).'),
  ('shikokoho-r24', 'ordinance',
   '健康保険法施行規則 第24条第1項',
   '内務省 (現 厚生労働省)', '大正15年内務省令第36号', '1926-07-01',
   'http://thoz.org/law/diff/大正15年7月1日内務省令第36号/20170101/',
   '資格取得届は当該事実があった日から五日以内に提出.'),
  ('civil-code-140', 'law',
   '民法 第140条 (期間の起算)', '国会', '明治29年法律第89号', '1896-04-27', NULL,
   'The first day of a period counted in days is not counted. Its application to 規則24条 is UNCONFIRMED.'),
  ('mynahoken-default', 'insurer_decision',
   'mynahoken shipped default for insurer choices; replace with the insurer''s own decision',
   'mynahoken', NULL, '2024-12-02', NULL,
   'A 資格確認書 of 1 year renewed each 8/1 is the usual 後期 and 国保 practice (静岡県広域連合); 14 days to send a 資格情報のお知らせ to a new member is a placeholder.'),
  ('kyokai-2024-07-24', 'insurer_decision',
   '協会けんぽの資格確認書: 有効期限は4~5年 (1年単位の発行期間ごとに同一の有効期限)',
   '全国健康保険協会 (協会けんぽ)', NULL, '2024-07-24',
   'https://hodanren.doc-net.or.jp/info/news/2024-07-24',
   'Reported by 保団連; exact expiry dates UNCONFIRMED.');

INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description) VALUES
  ('card_issue_end', 'date', 'day',
   'Last day a 健康保険証 could be issued; cards issued by then are covered by the 経過措置'),
  ('card_transition_end', 'date', 'day',
   'Last day of the 経過措置: existing 健康保険証 are valid until then, or until their own expiry if earlier'),
  ('expired_card_acceptance', 'daterange', 'days',
   'Days on which an institution confirming eligibility online may accept an expired 健康保険証 or a 資格情報のお知らせ alone (暫定的な取扱い); empty: none'),
  ('ecert_grace_months', 'int', 'months',
   'マイナ保険証 stays usable until the end of the month this many months after the month its e-certificate expired'),
  ('notice_with_myna_from', 'date', 'day',
   'First day a 資格情報のお知らせ with the マイナ保険証 is usable where the online check is not possible'),
  ('portal_screen_with_myna_from', 'date', 'day',
   'First day the マイナポータル screen with the マイナ保険証 is usable where the online check is not possible'),
  ('portal_pdf_with_myna_from', 'date', 'day',
   'First day a マイナポータル PDF with the マイナ保険証 is usable where the online check is not possible'),
  ('certificate_from', 'date', 'day',
   'First day a 資格確認書 exists (健康保険法 第51条の3 in force)'),
  ('certificate_max_months', 'int', 'months',
   'Legal maximum validity of a 資格確認書'),
  ('certificate_term_months', 'int', 'months',
   'Insurer decision: minimum validity of a 資格確認書 before its renewal day'),
  ('certificate_renewal_month', 'int', 'month of year',
   'Insurer decision: 資格確認書 expire the day before the 1st of this month (0: no renewal day, term only)'),
  ('late_elderly_blanket_until', 'date', 'day',
   'Last day every 後期高齢者 member gets a 資格確認書 without application (暫定運用)'),
  ('late_elderly_age_rule_from', 'date', 'day',
   'Day from which, and on which age is measured for, the 後期高齢者 age rule (UNCONFIRMED)'),
  ('late_elderly_age_threshold', 'int', 'years',
   'Age at or above which every 後期高齢者 member gets a 資格確認書 under the age rule (UNCONFIRMED)'),
  ('acquisition_report_days', 'int', 'days',
   'Days within which the 資格取得届 is due after the acquisition'),
  ('acquisition_report_first_day_counts', 'boolean', 'flag',
   'Whether the day of acquisition counts as the first of acquisition_report_days (UNCONFIRMED)'),
  ('notice_round1_window', 'daterange', 'days',
   'Sending window of the first round of 資格情報のお知らせ to existing members'),
  ('notice_round2_window', 'daterange', 'days',
   'Sending window of the second round of 資格情報のお知らせ'),
  ('notice_round2_acquired', 'daterange', 'days',
   'Members whose acquisition falls in these days got the second round; earlier ones the first'),
  ('notice_on_acquisition_from', 'date', 'day',
   'Members acquiring eligibility from this day get a 資格情報のお知らせ when they join'),
  ('notice_on_acquisition_days', 'int', 'days',
   'Insurer decision: days after the acquisition within which the 資格情報のお知らせ is sent');

-- In the order the insurer learned them, so that later notices supersede.
CREATE FUNCTION mynahoken.seed_parameter(name text, scope mynahoken.insurer_category, valid daterange,
                                         value text, source_code text, recorded_on date,
                                         confirmed boolean DEFAULT true, note text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT mynahoken.record_legal_parameter($1, $2, $3, $4,
           (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = $5), $6, $7, $8);
$$;

SELECT mynahoken.seed_parameter('expired_card_acceptance', NULL, '(,)', 'empty', 'law-r5-48', '2023-06-09',
       note => 'No acceptance of a card that is no longer valid until a notice says otherwise.');
SELECT mynahoken.seed_parameter('card_issue_end', NULL, '(,)', '2024-12-01', 'ordinance-r5-374', '2023-12-27');
SELECT mynahoken.seed_parameter('card_transition_end', NULL, '(,)', '2025-12-01', 'ordinance-r5-374', '2023-12-27',
       note => 'One year after the abolition day set by the ordinance, under the 経過措置 of 令和5年法律第48号.');
SELECT mynahoken.seed_parameter('certificate_from', NULL, '(,)', '2024-12-02', 'ordinance-r5-374', '2023-12-27');
SELECT mynahoken.seed_parameter('portal_screen_with_myna_from', NULL, '(,)', '2024-02-06', 'kyokai-2024-11', '2024-11-01',
       false, 'The chart note "R6.2.6より使用可能" is read as belonging to the マイナポータル screen row.');
SELECT mynahoken.seed_parameter('notice_with_myna_from', NULL, '(,)', '2024-12-02', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('portal_pdf_with_myna_from', NULL, '(,)', '2024-12-02', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('notice_round1_window', 'kyokai_kenpo', '(,)', '[2024-09-09,2024-09-30]', 'kyokai-2024-11', '2024-11-01',
       note => '岡山 sent on 2024-09-12. 日雇特例 members are a separate category.');
SELECT mynahoken.seed_parameter('notice_round2_window', 'kyokai_kenpo', '(,)', '[2025-01-22,2025-02-03]', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('notice_round2_acquired', 'kyokai_kenpo', '(,)', '[2024-06-10,2024-11-29]', 'kyokai-2024-11', '2024-11-01',
       note => 'The briefing says processed (加入の処理) from 2024-06-10 to 2024-11-29; the acquisition day stands in for the processing day.');
SELECT mynahoken.seed_parameter('notice_on_acquisition_from', NULL, '(,)', '2024-12-02', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('notice_on_acquisition_days', NULL, '(,)', '14', 'mynahoken-default', '2024-12-02', false);
SELECT mynahoken.seed_parameter('acquisition_report_days', NULL, '(,)', '5', 'shikokoho-r24', '1926-07-01');
SELECT mynahoken.seed_parameter('acquisition_report_first_day_counts', NULL, '(,)', 'false', 'civil-code-140', '1926-07-01', false,
       'Whether 民法 第140条 (first day not counted) applies to this deadline is UNCONFIRMED.');
SELECT mynahoken.seed_parameter('certificate_max_months', NULL, '[2024-12-02,)', '60', 'mhlw-2025-03-13', '2025-03-13');
SELECT mynahoken.seed_parameter('certificate_term_months', NULL, '[2024-12-02,)', '1', 'mynahoken-default', '2024-12-02', false,
       'With certificate_renewal_month 8: valid to the first 7/31 at least a month after issue.');
SELECT mynahoken.seed_parameter('certificate_renewal_month', NULL, '[2024-12-02,)', '8', 'mynahoken-default', '2024-12-02', false);
SELECT mynahoken.seed_parameter('certificate_term_months', 'kyokai_kenpo', '[2024-12-02,)', '48', 'kyokai-2024-07-24', '2024-07-24', false,
       'With certificate_renewal_month 12: between 4 and 5 years, one expiry per yearly issuing window.');
SELECT mynahoken.seed_parameter('certificate_renewal_month', 'kyokai_kenpo', '[2024-12-02,)', '12', 'kyokai-2024-07-24', '2024-07-24', false);
SELECT mynahoken.seed_parameter('late_elderly_blanket_until', 'late_elderly', '(,)', '2025-07-31', 'mhlw-2024-09-26', '2024-09-26');
SELECT mynahoken.seed_parameter('late_elderly_age_rule_from', 'late_elderly', '(,)', 'infinity', 'mhlw-2024-09-26', '2024-09-26',
       note => 'No age rule: after the blanket period the マイナ保険証 status decides, as for other insurers.');
SELECT mynahoken.seed_parameter('late_elderly_blanket_until', 'late_elderly', '(,)', '2026-07-31', 'mhlw-2025-04-03', '2025-04-03');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'municipal_nhi', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-06-27', '2025-06-27');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'nhi_society', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-06-27', '2025-06-27');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'retiree_nhi', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-06-27', '2025-06-27');
SELECT mynahoken.seed_parameter('ecert_grace_months', NULL, '(,)', '3', 'kyokai-2025-07-16', '2025-07-16');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'late_elderly', '(,)', '[2025-08-01,2026-03-31]', 'kyotoiho-2025-09-15', '2025-09-15', false,
       'The date of the 2025-09 事務連絡 and its first day of application are UNCONFIRMED; 後期 cards expired on 2025-07-31.');
SELECT mynahoken.seed_parameter('expired_card_acceptance', NULL, '(,)', '[2025-12-02,2026-03-31]', 'mhlw-2025-11-12', '2025-11-12',
       note => 'No extension past 2026-03-31 found as of 2026-02-22.');
SELECT mynahoken.seed_parameter('late_elderly_age_rule_from', 'late_elderly', '(,)', '2026-08-01', 'saitama-kouiki-2026', '2026-02-22', false);
SELECT mynahoken.seed_parameter('late_elderly_age_threshold', 'late_elderly', '[2026-08-01,)', '85', 'saitama-kouiki-2026', '2026-02-22', false);

DROP FUNCTION mynahoken.seed_parameter(text, mynahoken.insurer_category, daterange, text, text, date, boolean, text);

-- ---------------------------------------------------------------------------
-- Backups.  Everything above is the shipped calendar; from here on rows are
-- the insurer's own, and pg_dump dumps those (and the id sequences) with the
-- database, while CREATE EXTENSION at restore seeds the shipped ones again.

ALTER TABLE mynahoken.legal_source ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.legal_parameter_def ALTER COLUMN shipped SET DEFAULT false;
ALTER TABLE mynahoken.legal_parameter_entry ALTER COLUMN shipped SET DEFAULT false;
SELECT pg_catalog.setval('mynahoken.legal_source_id_seq', 1000000, false);
SELECT pg_catalog.setval('mynahoken.legal_parameter_id_seq', 1000000, false);

CREATE TRIGGER legal_source_guard BEFORE UPDATE OR DELETE ON mynahoken.legal_source
  FOR EACH ROW EXECUTE FUNCTION mynahoken.legal_calendar_guard();
CREATE TRIGGER legal_parameter_def_guard BEFORE UPDATE OR DELETE ON mynahoken.legal_parameter_def
  FOR EACH ROW EXECUTE FUNCTION mynahoken.legal_calendar_guard();
CREATE TRIGGER legal_parameter_entry_guard BEFORE UPDATE OR DELETE ON mynahoken.legal_parameter_entry
  FOR EACH ROW EXECUTE FUNCTION mynahoken.legal_calendar_guard();

SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_source', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_source_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_parameter_def', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_parameter_entry', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_parameter_id_seq', '');

-- The calendar is public legal information, and the decision functions read
-- it with the caller's rights: every role may read it; only its owner writes.
GRANT SELECT ON mynahoken.legal_source, mynahoken.legal_parameter_def, mynahoken.legal_parameter_entry,
  mynahoken.legal_parameter, mynahoken.legal_calendar TO PUBLIC;

-- ---- sql/install/50_issuance.sql
-- Issuance: plan 資格確認書 and 資格情報のお知らせ every night, exactly once.
--
-- The insurer exposes its members through a table or view with fixed column
-- names (the member source, checked by check_member_source and registered by
-- register_member_source).  CALL mynahoken.plan_issuance(as_of) takes a
-- snapshot of the source into a temporary table ordered by member key, then
-- plans documents chunk by chunk, committing after each chunk:
--   * idempotent: every planned document has a unique key (member key,
--     document, 資格取得日, issue window) and is inserted with ON CONFLICT DO
--     NOTHING, so a rerun plans nothing new;
--   * resumable: the run row records the last member key committed; a run
--     that crashed or failed is taken over by the next run for the same day,
--     which starts after that key;
--   * one run at a time: a session-level advisory lock (a transaction-level
--     one would be released by the first COMMIT inside CALL).
-- A procedure that COMMITs may not have a SET clause nor an exception block
-- around the COMMIT, so the work is done by helper functions that catch
-- errors and return them, and the procedure only loops and commits.

-- ---------------------------------------------------------------------------
-- Types

CREATE TYPE mynahoken.issuance_document AS ENUM (
  'certificate',   -- 資格確認書
  'notice'         -- 資格情報のお知らせ (資格情報通知書)
);
COMMENT ON TYPE mynahoken.issuance_document IS
  'Document planned by the issuance job: certificate (資格確認書) or notice (資格情報のお知らせ)';

-- ---------------------------------------------------------------------------
-- Member source: the insurer's table or view, with fixed column names.

CREATE TABLE mynahoken.member_source_column (
  column_name   text PRIMARY KEY,
  position      int NOT NULL UNIQUE,
  accepted      regtype[] NOT NULL,    -- accepted types, the first is the preferred one
  description   text NOT NULL
);
COMMENT ON TABLE mynahoken.member_source_column IS
  'Columns a member source (table or view given to register_member_source) must have, with the accepted types';

INSERT INTO mynahoken.member_source_column VALUES
  ('member_key', 1, '{text,character varying,bigint,integer,numeric}',
   'The insurer''s own member identifier, unique per row; never the My Number (個人番号)'),
  ('insurer_number', 2, '{mynahoken.insurer_number,text,character varying,character}',
   '保険者番号; rows with an invalid one are skipped and counted'),
  ('birth_date', 3, '{date}', '生年月日'),
  ('acquired_on', 4, '{date}', '資格取得日'),
  ('lost_on', 5, '{date}', '資格喪失日 (first day without cover); NULL while the member holds 資格'),
  ('employer', 6, '{text,character varying,bigint,integer}',
   'Employer (事業所) the documents go through; NULL: sent directly to the member'),
  ('my_number_linked', 7, '{boolean}', 'The insurer holds the member''s My Number (マイナンバー登録済)'),
  ('myna_registered_on', 8, '{date}', 'マイナ保険証 利用登録 day; NULL: never registered'),
  ('myna_withdrawn_on', 9, '{date}', '利用登録解除 day; NULL: never withdrawn'),
  ('ecert_expires_on', 10, '{date}', '利用者証明用電子証明書 expiry; NULL: not recorded'),
  ('certificate_requested_on', 11, '{date}', '資格確認書 交付申請 day; NULL: never requested'),
  ('certificate_valid_until', 12, '{date}', 'Last valid day of a 資格確認書 the member already holds (issued outside this queue); NULL: none');

CREATE TABLE mynahoken.member_source (
  only_one   boolean PRIMARY KEY DEFAULT true CHECK (only_one),
  source     text NOT NULL,        -- qualified name, resolved at each run (survives DROP and CREATE of a view)
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE mynahoken.member_source IS
  'The registered member source of the issuance job (one row)';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.member_source', '');

CREATE FUNCTION mynahoken.check_member_source(source regclass)
RETURNS TABLE (column_name text, expected_type text, actual_type text, problem text)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.column_name,
         pg_catalog.array_to_string(c.accepted::text[], ' or '),
         pg_catalog.format_type(a.atttypid, a.atttypmod),
         CASE WHEN a.attname IS NULL THEN 'missing'
              WHEN NOT (a.atttypid::regtype = ANY (c.accepted)) THEN 'wrong type'
         END
    FROM mynahoken.member_source_column c
    LEFT JOIN pg_catalog.pg_attribute a
      ON a.attrelid = source AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY c.position
$$;
COMMENT ON FUNCTION mynahoken.check_member_source(regclass) IS
  'Columns a member source needs, with the type found and the problem (missing, wrong type) or NULL when the column is fine';

CREATE FUNCTION mynahoken.register_member_source(source regclass)
RETURNS regclass
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  problems text;
BEGIN
  SELECT string_agg(format('%s: %s', c.column_name, c.problem), '; ' ORDER BY c.column_name)
    INTO problems
    FROM mynahoken.check_member_source(source) c
   WHERE c.problem IS NOT NULL;
  IF problems IS NOT NULL THEN
    RAISE EXCEPTION 'relation % cannot be a member source', source
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Problems: %s.', problems),
            HINT = 'SELECT * FROM mynahoken.check_member_source(...) lists the columns and types it needs.';
  END IF;
  INSERT INTO mynahoken.member_source AS m (only_one, source)
  SELECT true, format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = source
  ON CONFLICT (only_one) DO UPDATE SET source = EXCLUDED.source, registered_at = pg_catalog.now();
  RETURN source;
END
$$;
COMMENT ON FUNCTION mynahoken.register_member_source(regclass) IS
  'Register the table or view the issuance job reads members from; raises 22023 listing missing or mistyped columns';

-- ---------------------------------------------------------------------------
-- Run log, legal bases, queue, rejections, hand-offs

CREATE SEQUENCE mynahoken.issuance_run_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_run_id_seq IS 'Identifiers of issuance runs';
CREATE TABLE mynahoken.issuance_run (
  run_id        bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_run_id_seq'),
  as_of         date NOT NULL,
  known_on      date,
  late_days     int NOT NULL,
  source        text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'superseded', 'skipped')),
  started_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  attempt_started_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at   timestamptz,
  attempts      int NOT NULL DEFAULT 1,
  pid           int NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
  chunk_size    int NOT NULL,
  members_total bigint,
  members_done  bigint NOT NULL DEFAULT 0,
  chunks        bigint NOT NULL DEFAULT 0,
  last_key      text,
  certificates  bigint NOT NULL DEFAULT 0,
  notices       bigint NOT NULL DEFAULT 0,
  already_planned bigint NOT NULL DEFAULT 0,
  rejected_invalid_insurer bigint NOT NULL DEFAULT 0,
  rejected_other bigint NOT NULL DEFAULT 0,
  error         text,
  note          text
);
COMMENT ON TABLE mynahoken.issuance_run IS
  'Run log of plan_issuance: one row per run (a run taken over after a crash keeps its row and counts attempts); finished_at is set only at the end';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_run', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_run_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_basis_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_basis_id_seq IS 'Identifiers of issuance bases';
CREATE TABLE mynahoken.issuance_basis (
  basis_id    bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_basis_id_seq'),
  document    mynahoken.issuance_document NOT NULL,
  category    mynahoken.insurer_category NOT NULL,
  reason      text NOT NULL,
  rules       jsonb NOT NULL,
  parameters  jsonb NOT NULL,
  digest      text NOT NULL,
  first_run   bigint NOT NULL,
  UNIQUE (document, category, reason, digest)
);
COMMENT ON TABLE mynahoken.issuance_basis IS
  'Legal basis of planned documents: rules and legal parameters with their sources, from the explanation functions; shared by every document with the same basis';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_basis', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_basis_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_handoff_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_handoff_id_seq IS 'Identifiers of hand-off batches';
CREATE TABLE mynahoken.issuance_handoff (
  handoff_id  bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_handoff_id_seq'),
  employer    text,              -- NULL: documents mailed directly to members
  documents   bigint NOT NULL,
  prepared_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  sent_on     date
);
COMMENT ON TABLE mynahoken.issuance_handoff IS
  'Hand-off batches: planned documents of one employer (or of direct mail) given to the print vendor together';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_handoff', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_handoff_id_seq', '');

CREATE SEQUENCE mynahoken.issuance_queue_id_seq;
COMMENT ON SEQUENCE mynahoken.issuance_queue_id_seq IS 'Identifiers of planned documents';
CREATE TABLE mynahoken.issuance_queue (
  queue_id       bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.issuance_queue_id_seq'),
  member_key     text NOT NULL,
  document       mynahoken.issuance_document NOT NULL,
  acquired_on    date NOT NULL,
  issue_window   date NOT NULL,   -- certificate: last valid day; notice: first day of its sending window
  reason         text NOT NULL,
  valid_from     date,            -- certificate only
  valid_until    date,            -- certificate only
  sending_window daterange,       -- notice only
  insurer_number mynahoken.insurer_number NOT NULL,
  category       mynahoken.insurer_category NOT NULL,
  employer       text,            -- NULL: mailed directly to the member
  as_of          date NOT NULL,
  run_id         bigint NOT NULL,
  basis_id       bigint NOT NULL,
  handoff_id     bigint REFERENCES mynahoken.issuance_handoff,
  sent_on        date,
  CONSTRAINT issuance_queue_once UNIQUE (member_key, document, acquired_on, issue_window),
  CHECK ((document = 'certificate') = (valid_until IS NOT NULL)),
  CHECK ((document = 'notice') = (sending_window IS NOT NULL))
);
COMMENT ON TABLE mynahoken.issuance_queue IS
  'Planned documents: one row per member, document, 資格取得日 and issue window (unique), with reason, validity, employer, legal basis and run; never a My Number';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_queue', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_queue_id_seq', '');
-- Documents not yet handed off, by employer: what prepare_handoff reads.
CREATE INDEX issuance_queue_pending ON mynahoken.issuance_queue (employer) WHERE handoff_id IS NULL;
CREATE INDEX issuance_queue_handoff ON mynahoken.issuance_queue (handoff_id) WHERE handoff_id IS NOT NULL;
COMMENT ON INDEX mynahoken.issuance_queue_pending IS 'Partial index: planned documents not yet in a hand-off batch, by employer';
COMMENT ON INDEX mynahoken.issuance_queue_handoff IS 'Documents of each hand-off batch';

CREATE TABLE mynahoken.issuance_rejection (
  run_id     bigint NOT NULL,
  member_key text NOT NULL,
  problem    text NOT NULL,
  PRIMARY KEY (run_id, member_key)
);
COMMENT ON TABLE mynahoken.issuance_rejection IS
  'Members a run skipped and why (invalid_insurer_number, lost_before_acquired, ...); the problem never quotes a My Number';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.issuance_rejection', '');

-- ---------------------------------------------------------------------------
-- Internal helpers of plan_issuance.  They run in the caller's session and
-- use its temporary tables:
--   pg_temp.mh_iss_snap    the member snapshot of this attempt (rn = order by key)
--   pg_temp.mh_iss_cert    per category: validity of a 資格確認書 issued on as_of, basis
--   pg_temp.mh_iss_notice  per category and 資格取得日: sending window relevant to as_of, rule, basis
--   pg_temp.mh_iss_map     per category and certificate reason: basis

-- The advisory lock of the issuance job: (key1, key2) of pg_advisory_lock(int, int).
CREATE FUNCTION mynahoken.issuance_lock_key()
RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY[1836674657, 6];   -- 'myna' as an int4, issue 6
COMMENT ON FUNCTION mynahoken.issuance_lock_key() IS
  'Keys (int, int) of the session-level advisory lock that lets one plan_issuance run at a time per database';

CREATE FUNCTION mynahoken.issuance_lock_holder()
RETURNS int
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT l.pid FROM pg_catalog.pg_locks l
   WHERE l.locktype = 'advisory' AND l.granted
     AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
     AND l.classid = (mynahoken.issuance_lock_key())[1]::oid
     AND l.objid = (mynahoken.issuance_lock_key())[2]::oid
     AND l.objsubid = 2
   LIMIT 1
$$;
COMMENT ON FUNCTION mynahoken.issuance_lock_holder() IS
  'Process id of the backend running plan_issuance in this database, or NULL';

-- Basis row for (document, category, reason, rules, parameters): shared by content.
CREATE FUNCTION mynahoken.issuance_basis_id(p_document mynahoken.issuance_document,
                                            p_category mynahoken.insurer_category,
                                            p_reason text, p_rules jsonb, p_parameters jsonb,
                                            p_run bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d text := md5(p_rules::text || p_parameters::text);
  id bigint;
BEGIN
  INSERT INTO mynahoken.issuance_basis AS b (document, category, reason, rules, parameters, digest, first_run)
  VALUES (p_document, p_category, p_reason, p_rules, p_parameters, d, p_run)
  ON CONFLICT (document, category, reason, digest) DO NOTHING
  RETURNING b.basis_id INTO id;
  IF id IS NULL THEN
    SELECT b.basis_id INTO id FROM mynahoken.issuance_basis b
     WHERE b.document = p_document AND b.category = p_category AND b.reason = p_reason AND b.digest = d;
  END IF;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_basis_id(mynahoken.issuance_document, mynahoken.insurer_category, text, jsonb, jsonb, bigint) IS
  'Internal: basis row for the given rules and parameters, created when new';

-- Rules and parameters of explanations merged: {"rules": [names], "parameters": [...]}.
CREATE FUNCTION mynahoken.issuance_merge_explanations(VARIADIC e jsonb[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_build_object(
    'rules', coalesce((SELECT jsonb_agg(DISTINCT r->>'rule') FROM unnest(e) x, jsonb_array_elements(x->'rules') r), '[]'),
    'parameters', coalesce((SELECT jsonb_agg(p ORDER BY p->>'name') FROM
                              (SELECT DISTINCT ON (p->>'name') p FROM unnest(e) x, jsonb_array_elements(x->'parameters') p
                                ORDER BY p->>'name') AS s), '[]'))
$$;
COMMENT ON FUNCTION mynahoken.issuance_merge_explanations(jsonb[]) IS
  'Internal: the rules and legal parameters (with sources) of several explanations, without repeats';

-- Start or take over a run; NULL when another run holds the lock.
CREATE FUNCTION mynahoken.issuance_begin(p_as_of date, p_known_on date, p_late_days int,
                                         p_chunk_size int, p_wait_seconds int)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  k int[] := mynahoken.issuance_lock_key();
  src regclass;
  got boolean := false;
  waited int := 0;
  holder int;
  busy_run bigint;
  old record;
  run bigint;
BEGIN
  IF p_as_of IS NULL THEN
    RAISE EXCEPTION 'as_of must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_chunk_size IS NULL OR p_chunk_size < 1 THEN
    RAISE EXCEPTION 'chunk_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_late_days IS NULL OR p_late_days < 0 THEN
    RAISE EXCEPTION 'late_days must be zero or more' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    RAISE EXCEPTION 'no member source is registered'
      USING ERRCODE = 'undefined_object',
            HINT = 'Register the table or view of members with mynahoken.register_member_source().';
  END IF;
  SELECT m.source::regclass INTO src FROM mynahoken.member_source m;

  -- A lock this session kept from a cancelled call is ours already.
  IF mynahoken.issuance_lock_holder() = pg_backend_pid() THEN
    got := true;
  END IF;
  WHILE NOT got LOOP
    got := pg_try_advisory_lock(k[1], k[2]);
    EXIT WHEN got OR waited >= coalesce(p_wait_seconds, 0);
    PERFORM pg_sleep(1);
    waited := waited + 1;
  END LOOP;
  IF NOT got THEN
    holder := mynahoken.issuance_lock_holder();
    SELECT r.run_id INTO busy_run FROM mynahoken.issuance_run r
     WHERE r.status = 'running' ORDER BY r.run_id DESC LIMIT 1;
    INSERT INTO mynahoken.issuance_run (as_of, known_on, late_days, source, status, chunk_size,
                                        finished_at, note)
    VALUES (p_as_of, p_known_on, p_late_days, src::text, 'skipped', p_chunk_size, clock_timestamp(),
            format('skipped: run %s (pid %s) was in progress', coalesce(busy_run::text, '?'),
                   coalesce(holder::text, '?')));
    RAISE WARNING 'issuance run skipped: another run is in progress'
      USING DETAIL = format('Run %s holds the issuance lock (pid %s).', coalesce(busy_run::text, '?'),
                            coalesce(holder::text, '?')),
            HINT = 'Pass wait_seconds to wait for it, or let the next scheduled run catch up.';
    RETURN NULL;
  END IF;

  -- Unfinished runs: take over the latest one when it plans the same thing,
  -- supersede the others (the new run re-plans every member anyway).
  FOR old IN
    SELECT r.* FROM mynahoken.issuance_run r
     WHERE r.status IN ('running', 'failed')
     ORDER BY r.run_id DESC
     FOR UPDATE
  LOOP
    IF run IS NULL AND old.as_of = p_as_of AND old.known_on IS NOT DISTINCT FROM p_known_on
       AND old.late_days = p_late_days AND old.source = src::text THEN
      run := old.run_id;
      UPDATE mynahoken.issuance_run r
         SET status = 'running', attempts = r.attempts + 1, pid = pg_backend_pid(),
             attempt_started_at = clock_timestamp(), chunk_size = p_chunk_size,
             note = format('taken over after %s', CASE WHEN old.status = 'failed'
                                                       THEN 'a failure' ELSE 'an interruption' END)
       WHERE r.run_id = old.run_id;
    ELSE
      UPDATE mynahoken.issuance_run r
         SET status = 'superseded', note = 'superseded by a later run'
       WHERE r.run_id = old.run_id;
    END IF;
  END LOOP;
  IF run IS NULL THEN
    INSERT INTO mynahoken.issuance_run AS r (as_of, known_on, late_days, source, status, chunk_size)
    VALUES (p_as_of, p_known_on, p_late_days, src::text, 'running', p_chunk_size)
    RETURNING r.run_id INTO run;
  END IF;
  RETURN run;
EXCEPTION WHEN OTHERS THEN
  IF got THEN
    PERFORM pg_advisory_unlock(k[1], k[2]);
  END IF;
  RAISE;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_begin(date, date, int, int, int) IS
  'Internal: take the issuance lock (or log a skipped run and return NULL), then start a run or take over an unfinished one';

-- Snapshot and per-run maps.  Returns 'SQLSTATE message' on failure.
CREATE FUNCTION mynahoken.issuance_prepare(p_run bigint)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
#variable_conflict use_column
DECLARE
  r mynahoken.issuance_run;
  src regclass;
  n bigint;
  looks bigint;
  dnum int;
  from_day date;
  rounds_open boolean;
  pname text;
  c record;
  e jsonb;
  e2 jsonb;
  m jsonb;
  w daterange;
BEGIN
  SELECT * INTO r FROM mynahoken.issuance_run x WHERE x.run_id = p_run;
  src := r.source::regclass;
  IF EXISTS (SELECT FROM mynahoken.check_member_source(src) x WHERE x.problem IS NOT NULL) THEN
    RAISE EXCEPTION 'member source % no longer has the columns it needs', src
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT * FROM mynahoken.check_member_source(...) says what is wrong.';
  END IF;
  IF pg_my_temp_schema() <> 0 THEN
    DROP TABLE IF EXISTS pg_temp.mh_iss_snap, pg_temp.mh_iss_cert, pg_temp.mh_iss_notice, pg_temp.mh_iss_map, pg_temp.mh_iss_days, pg_temp.mh_iss_state;
  END IF;

  -- The members after the last committed key, in key order, with the
  -- problems that make the decision functions refuse a row (contradictory
  -- dates as member_facts_conflict says; the birth date, needed by the
  -- 後期高齢者 age rule, is required of every member).
  EXECUTE format($q$
    CREATE TEMP TABLE mh_iss_snap AS
    SELECT row_number() OVER (ORDER BY s.k COLLATE "C") AS rn, s.*,
           mynahoken.category(s.ins) AS category,
           CASE WHEN s.k IS NULL THEN 'member_key_missing'
                WHEN s.k = lag(s.k) OVER (ORDER BY s.k COLLATE "C") THEN 'duplicate_member_key'
                WHEN s.ins IS NULL THEN 'invalid_insurer_number'
                WHEN s.acquired_on IS NULL THEN 'acquired_on_missing'
                WHEN s.birth_date IS NULL THEN 'birth_date_missing'
                ELSE mynahoken.member_facts_conflict(s.birth_date, s.acquired_on, s.lost_on, NULL, NULL)
           END AS reject
      FROM (SELECT src.member_key::text AS k,
                   CASE WHEN mynahoken.insurer_number_is_valid(src.insurer_number::text)
                        THEN src.insurer_number::text::mynahoken.insurer_number END AS ins,
                   src.birth_date, src.acquired_on, src.lost_on, src.employer::text AS employer,
                   coalesce(src.my_number_linked, false) AS my_number_linked,
                   src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on,
                   src.certificate_requested_on, src.certificate_valid_until
              FROM %s AS src) AS s
     WHERE $1 IS NULL OR s.k COLLATE "C" > $1 COLLATE "C"
  $q$, src) USING r.last_key;
  CREATE UNIQUE INDEX ON pg_temp.mh_iss_snap (rn);
  ANALYZE pg_temp.mh_iss_snap;
  SELECT coalesce(max(s.rn), 0) INTO n FROM pg_temp.mh_iss_snap s;
  -- A My Number used as member key would end up in the queue and the logs:
  -- refuse the run when the keys (the first 10,000) look like My Numbers.
  SELECT count(*) FILTER (WHERE s.k ~ '^[0-9]{12}$' AND mynahoken.mynumber_is_valid(s.k))
    INTO looks FROM pg_temp.mh_iss_snap s WHERE s.rn <= 10000;
  IF n >= 10 AND looks * 10 >= least(n, 10000) * 9 THEN
    RAISE EXCEPTION 'member keys look like My Numbers'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s of %s member keys are 12 digits with a valid My Number check digit.', looks, n),
            HINT = 'Use the insurer''s own member identifier as member_key, never the 個人番号.';
  END IF;
  UPDATE mynahoken.issuance_run x SET members_total = coalesce(x.members_total, n)
   WHERE x.run_id = p_run;

  -- Validity of a 資格確認書 issued on as_of, per category.
  CREATE TEMP TABLE mh_iss_cert (category mynahoken.insurer_category PRIMARY KEY, valid_until date, explanation jsonb);
  INSERT INTO pg_temp.mh_iss_cert
  SELECT x.category, mynahoken.certificate_valid_until(x.category, r.as_of, r.known_on),
         mynahoken.explain_certificate_valid_until(x.category, r.as_of, r.known_on)
    FROM (SELECT DISTINCT s.category FROM pg_temp.mh_iss_snap s WHERE s.reject IS NULL) AS x;
  CREATE TEMP TABLE mh_iss_map (category mynahoken.insurer_category, reason text, basis_id bigint,
                                PRIMARY KEY (category, reason));
  -- Bases of every certificate reason met in the snapshot, from the
  -- explanation of the first member with it; when a member is refused by
  -- certificate_need here, the chunks find the bases as they go.
  CREATE TEMP TABLE mh_iss_state (map_complete boolean NOT NULL);
  BEGIN
    FOR c IN
      SELECT x.category, x.need::text AS reason, min(x.rn) AS rn
        FROM (SELECT s.rn, s.category,
                     mynahoken.certificate_need(s.category, r.as_of, s.birth_date, s.acquired_on, s.lost_on,
                                                s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                                s.ecert_expires_on, s.certificate_requested_on, r.known_on) AS need
                FROM pg_temp.mh_iss_snap s WHERE s.reject IS NULL) AS x
       WHERE mynahoken.certificate_needed(x.need)
       GROUP BY 1, 2
    LOOP
      PERFORM mynahoken.issuance_certificate_basis(p_run, r.as_of, r.known_on, c.category, c.reason, c.rn);
    END LOOP;
    INSERT INTO pg_temp.mh_iss_state VALUES (true);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    INSERT INTO pg_temp.mh_iss_state VALUES (false);
  END;

  -- Sending windows of the 資格情報のお知らせ per category and acquisition
  -- day, kept when open on as_of or closed at most late_days before.
  -- notice_sending_window raises P0002 for a day without a window, and a
  -- failed call costs a reload of the calendar (~0.25 ms), so days before
  -- notice_on_acquisition_from (sent in rounds to existing members) are
  -- looked at only while a round window (notice_round1_window,
  -- notice_round2_window) is open or recently closed.  Any other P0002 falls
  -- back to one call per day.
  CREATE TEMP TABLE mh_iss_notice (category mynahoken.insurer_category, acquired_on date, win daterange,
                                   rule text, basis_id bigint, PRIMARY KEY (category, acquired_on));
  CREATE TEMP TABLE mh_iss_days (category mynahoken.insurer_category, acquired_on date,
                                 PRIMARY KEY (category, acquired_on));
  INSERT INTO pg_temp.mh_iss_days
  SELECT DISTINCT s.category, s.acquired_on FROM pg_temp.mh_iss_snap s
   WHERE s.reject IS NULL AND s.my_number_linked AND s.acquired_on <= r.as_of;
  FOR c IN SELECT DISTINCT d.category FROM pg_temp.mh_iss_days d LOOP
    BEGIN
      from_day := mynahoken.legal_value_date('notice_on_acquisition_from', r.as_of, c.category, r.known_on);
    EXCEPTION WHEN no_data_found THEN
      from_day := 'infinity';
    END;
    rounds_open := false;
    FOREACH pname IN ARRAY ARRAY['notice_round1_window', 'notice_round2_window'] LOOP
      BEGIN
        w := mynahoken.legal_value_range(pname, r.as_of, c.category, r.known_on);
        rounds_open := rounds_open OR (lower(w) <= r.as_of AND r.as_of < upper(w) + r.late_days);
      EXCEPTION WHEN no_data_found THEN
        NULL;
      END;
    END LOOP;
    BEGIN
      INSERT INTO pg_temp.mh_iss_notice (category, acquired_on, win)
      SELECT c.category, d.acquired_on, mynahoken.notice_sending_window(c.category, d.acquired_on, r.known_on)
        FROM pg_temp.mh_iss_days d
       WHERE d.category = c.category AND (d.acquired_on >= from_day OR rounds_open);
    EXCEPTION WHEN no_data_found THEN
      FOR dnum IN SELECT d.acquired_on - date '2000-01-01' FROM pg_temp.mh_iss_days d
                   WHERE d.category = c.category AND (d.acquired_on >= from_day OR rounds_open)
      LOOP
        BEGIN
          w := mynahoken.notice_sending_window(c.category, date '2000-01-01' + dnum, r.known_on);
        EXCEPTION WHEN no_data_found THEN
          w := NULL;
        END;
        INSERT INTO pg_temp.mh_iss_notice (category, acquired_on, win)
        VALUES (c.category, date '2000-01-01' + dnum, w);
      END LOOP;
    END;
  END LOOP;
  DROP TABLE pg_temp.mh_iss_days;
  DELETE FROM pg_temp.mh_iss_notice x
   WHERE x.win IS NULL OR isempty(x.win) OR lower(x.win) > r.as_of
      OR upper(x.win) + r.late_days <= r.as_of;
  -- Rule and basis from one explanation per category and kind of window:
  -- windows starting on the acquisition day (sent on acquisition) share one,
  -- fixed windows (rounds) are explained one by one.  An explanation costs
  -- about 0.4 ms.
  FOR c IN SELECT x.category, lower(x.win) = x.acquired_on AS on_acq,
                  CASE WHEN lower(x.win) = x.acquired_on THEN NULL ELSE x.win END AS win,
                  min(x.acquired_on) AS acquired_on
             FROM pg_temp.mh_iss_notice x GROUP BY 1, 2, 3 LOOP
    e := mynahoken.explain_notice_sending_window(c.category, c.acquired_on, r.known_on);
    m := mynahoken.issuance_merge_explanations(e);
    UPDATE pg_temp.mh_iss_notice x
       SET rule = regexp_replace(coalesce(m->'rules'->>0, 'unknown'), '^notice_', ''),
           basis_id = mynahoken.issuance_basis_id('notice', c.category,
                        regexp_replace(coalesce(m->'rules'->>0, 'unknown'), '^notice_', ''),
                        m->'rules', m->'parameters', p_run)
     WHERE x.category = c.category AND (lower(x.win) = x.acquired_on) = c.on_acq
       AND (c.on_acq OR x.win = c.win);
  END LOOP;
  ANALYZE pg_temp.mh_iss_notice;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_prepare(bigint) IS
  'Internal: snapshot of the member source after the last committed key, validity per category and notice windows open on as_of; returns the error or NULL';

-- Documents one range of the snapshot would get (before the "already
-- planned" checks): the planning rules, in one place.
CREATE FUNCTION mynahoken.issuance_candidates(p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS TABLE (rn bigint, member_key text, document mynahoken.issuance_document, reason text,
               acquired_on date, issue_window date, valid_from date, valid_until date,
               sending_window daterange, insurer_number mynahoken.insurer_number,
               category mynahoken.insurer_category, employer text, basis_id bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH d AS MATERIALIZED (
    SELECT s.rn, s.k, s.ins, s.category, s.acquired_on, s.employer, s.my_number_linked,
           s.certificate_valid_until AS held_until,
           mynahoken.certificate_need(s.category, p_as_of, s.birth_date, s.acquired_on, s.lost_on,
                                      s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                      s.ecert_expires_on, s.certificate_requested_on, p_known_on) AS need
      FROM pg_temp.mh_iss_snap s
     WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NULL
  )
  -- 資格確認書: needed on as_of (certificate_need), unless the member holds one valid on as_of.
  SELECT d.rn, d.k, 'certificate'::mynahoken.issuance_document, d.need::text, d.acquired_on,
         c.valid_until, p_as_of, c.valid_until, NULL::daterange, d.ins, d.category, d.employer,
         mp.basis_id
    FROM d
    JOIN pg_temp.mh_iss_cert c ON c.category = d.category
    LEFT JOIN pg_temp.mh_iss_map mp ON mp.category = d.category AND mp.reason = d.need::text
   WHERE mynahoken.certificate_needed(d.need)
     AND (d.held_until IS NULL OR d.held_until < p_as_of)
  UNION ALL
  -- 資格情報のお知らせ: My Number linked, eligible, window open on as_of, and
  -- not a member who gets a 資格確認書 instead under the 後期高齢者 rules.
  SELECT d.rn, d.k, 'notice'::mynahoken.issuance_document, n.rule, d.acquired_on,
         lower(n.win), NULL::date, NULL::date, n.win, d.ins, d.category, d.employer, n.basis_id
    FROM d
    JOIN pg_temp.mh_iss_notice n ON n.category = d.category AND n.acquired_on = d.acquired_on
   WHERE d.my_number_linked
     AND d.need NOT IN ('not_eligible', 'late_elderly_blanket', 'late_elderly_age');
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_candidates(date, date, bigint, bigint) IS
  'Internal: the planning rules: documents the snapshot rows rn in [lo, hi] need on as_of, before removing those already planned';

-- Basis of a certificate reason for a category, from the explanations of
-- snapshot row rn (certificate_need) and of the validity for the category.
CREATE FUNCTION mynahoken.issuance_certificate_basis(p_run bigint, p_as_of date, p_known_on date,
                                                     p_category mynahoken.insurer_category, p_reason text,
                                                     p_rn bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  m jsonb;
  id bigint;
BEGIN
  SELECT mynahoken.issuance_merge_explanations(
           mynahoken.explain_certificate_need(s.category, p_as_of, s.birth_date, s.acquired_on, s.lost_on,
                                              s.my_number_linked, s.myna_registered_on, s.myna_withdrawn_on,
                                              s.ecert_expires_on, s.certificate_requested_on, p_known_on),
           ce.explanation)
    INTO m
    FROM pg_temp.mh_iss_snap s
    JOIN pg_temp.mh_iss_cert ce ON ce.category = s.category
   WHERE s.rn = p_rn;
  id := mynahoken.issuance_basis_id('certificate', p_category, p_reason, m->'rules', m->'parameters', p_run);
  INSERT INTO pg_temp.mh_iss_map (category, reason, basis_id) VALUES (p_category, p_reason, id)
  ON CONFLICT DO NOTHING;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_certificate_basis(bigint, date, date, mynahoken.insurer_category, text, bigint) IS
  'Internal: basis of a certificate reason for a category, from the explanation of one snapshot member; recorded in the run''s map';

-- Plan rows [lo, hi] of the snapshot; returns {certificates, notices, already}.
CREATE FUNCTION mynahoken.issuance_plan_rows(p_run bigint, p_as_of date, p_known_on date, p_lo bigint, p_hi bigint)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  c record;
  res bigint[];
BEGIN
  -- Bases of certificate reasons not met in prepare (only when a member was
  -- refused there, so the pass over all members stopped early).
  IF NOT (SELECT st.map_complete FROM pg_temp.mh_iss_state st) THEN
    FOR c IN
      SELECT x.category, x.reason, min(x.rn) AS rn
        FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi) x
       WHERE x.document = 'certificate' AND x.basis_id IS NULL
       GROUP BY 1, 2
    LOOP
      PERFORM mynahoken.issuance_certificate_basis(p_run, p_as_of, p_known_on, c.category, c.reason, c.rn);
    END LOOP;
  END IF;

  WITH cand AS MATERIALIZED (
    SELECT * FROM mynahoken.issuance_candidates(p_as_of, p_known_on, p_lo, p_hi)
  ), fresh AS (
    -- LATERAL ... LIMIT 1: one index probe per candidate, never a hash
    -- join over the whole queue (which the planner picks for NOT EXISTS).
    SELECT x.* FROM cand x
      LEFT JOIN LATERAL (SELECT 1 AS found FROM mynahoken.issuance_queue q
                          WHERE q.member_key = x.member_key AND q.document = x.document
                            AND q.acquired_on = x.acquired_on
                            AND (x.document = 'notice' OR q.valid_until >= p_as_of)
                          LIMIT 1) AS e ON true
     WHERE e.found IS NULL
  ), ins AS (
    INSERT INTO mynahoken.issuance_queue AS q
           (member_key, document, acquired_on, issue_window, reason, valid_from, valid_until,
            sending_window, insurer_number, category, employer, as_of, run_id, basis_id)
    SELECT x.member_key, x.document, x.acquired_on, x.issue_window, x.reason, x.valid_from, x.valid_until,
           x.sending_window, x.insurer_number, x.category, x.employer, p_as_of, p_run, x.basis_id
      FROM fresh x
     ORDER BY x.member_key COLLATE "C", x.document
    ON CONFLICT ON CONSTRAINT issuance_queue_once DO NOTHING
    RETURNING q.document
  )
  SELECT ARRAY[count(*) FILTER (WHERE i.document = 'certificate'),
               count(*) FILTER (WHERE i.document = 'notice'),
               (SELECT count(*) FROM cand) - count(*)]
    INTO res FROM ins i;
  RETURN res;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_plan_rows(bigint, date, date, bigint, bigint) IS
  'Internal: insert the documents rows [lo, hi] of the snapshot need and that are not planned yet; returns {certificates, notices, already planned}';

-- One chunk: rejections, planning (row by row when a row is refused by the
-- decision functions), progress.  Returns NULL or 'SQLSTATE message'.
CREATE FUNCTION mynahoken.issuance_chunk(p_run bigint, p_lo bigint, p_hi bigint)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  r mynahoken.issuance_run;
  res bigint[];
  one bigint[];
  bad_insurer bigint;
  bad_other bigint;
  i bigint;
  k text;
BEGIN
  SELECT * INTO r FROM mynahoken.issuance_run x WHERE x.run_id = p_run;
  INSERT INTO mynahoken.issuance_rejection (run_id, member_key, problem)
  SELECT p_run, s.k, s.reject FROM pg_temp.mh_iss_snap s
   WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NOT NULL AND s.k IS NOT NULL
  ON CONFLICT DO NOTHING;
  SELECT count(*) FILTER (WHERE s.reject = 'invalid_insurer_number'),
         count(*) FILTER (WHERE s.reject <> 'invalid_insurer_number')
    INTO bad_insurer, bad_other
    FROM pg_temp.mh_iss_snap s WHERE s.rn BETWEEN p_lo AND p_hi;

  BEGIN
    res := mynahoken.issuance_plan_rows(p_run, r.as_of, r.known_on, p_lo, p_hi);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    -- Some member's facts were refused: plan row by row, record the refusals.
    res := ARRAY[0, 0, 0]::bigint[];
    FOR i, k IN SELECT s.rn, s.k FROM pg_temp.mh_iss_snap s
                 WHERE s.rn BETWEEN p_lo AND p_hi AND s.reject IS NULL ORDER BY s.rn LOOP
      BEGIN
        one := mynahoken.issuance_plan_rows(p_run, r.as_of, r.known_on, i, i);
        res := ARRAY[res[1] + one[1], res[2] + one[2], res[3] + one[3]];
      EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
        INSERT INTO mynahoken.issuance_rejection (run_id, member_key, problem)
        VALUES (p_run, k, 'refused: ' || SQLERRM) ON CONFLICT DO NOTHING;
        bad_other := bad_other + 1;
      END;
    END LOOP;
  END;

  UPDATE mynahoken.issuance_run x
     SET members_done = x.members_done + (p_hi - p_lo + 1),
         chunks = x.chunks + 1,
         last_key = (SELECT s.k FROM pg_temp.mh_iss_snap s WHERE s.rn = p_hi),
         certificates = x.certificates + res[1],
         notices = x.notices + res[2],
         already_planned = x.already_planned + res[3],
         rejected_invalid_insurer = x.rejected_invalid_insurer + bad_insurer,
         rejected_other = x.rejected_other + bad_other
   WHERE x.run_id = p_run;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_chunk(bigint, bigint, bigint) IS
  'Internal: plan one chunk of the snapshot and record progress in the run row; returns the error or NULL';

-- End of a run: finished, or failed with its error.  Releases the lock.
CREATE FUNCTION mynahoken.issuance_end(p_run bigint, p_error text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
#variable_conflict use_column
DECLARE
  k int[] := mynahoken.issuance_lock_key();
BEGIN
  IF p_error IS NULL THEN
    UPDATE mynahoken.issuance_run x SET status = 'finished', finished_at = clock_timestamp(), error = NULL
     WHERE x.run_id = p_run;
  ELSE
    UPDATE mynahoken.issuance_run x SET status = 'failed', error = p_error
     WHERE x.run_id = p_run;
  END IF;
  IF pg_my_temp_schema() <> 0 THEN
    DROP TABLE IF EXISTS pg_temp.mh_iss_snap, pg_temp.mh_iss_cert, pg_temp.mh_iss_notice, pg_temp.mh_iss_map, pg_temp.mh_iss_days, pg_temp.mh_iss_state;
  END IF;
  IF mynahoken.issuance_lock_holder() = pg_backend_pid() THEN
    PERFORM pg_advisory_unlock(k[1], k[2]);
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.issuance_end(bigint, text) IS
  'Internal: mark a run finished (or failed with its error), drop its temporary tables and release the issuance lock';

-- ---------------------------------------------------------------------------
-- The procedure

CREATE PROCEDURE mynahoken.plan_issuance(as_of date DEFAULT CURRENT_DATE,
                                         chunk_size integer DEFAULT 10000,
                                         late_days integer DEFAULT 60,
                                         known_on date DEFAULT NULL,
                                         wait_seconds integer DEFAULT 0,
                                         pause_ms integer DEFAULT 0,
                                         commit_chunks boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
  p_as_of date := as_of;
  p_chunk int := chunk_size;
  run bigint;
  err text;
  total bigint;
  lo bigint := 1;
BEGIN
  -- No SET clause (it would forbid COMMIT): every name is qualified.
  -- Called inside a transaction block with commit_chunks, fail here, before
  -- taking the lock, rather than at the first chunk.
  IF commit_chunks THEN
    COMMIT;
  END IF;
  run := mynahoken.issuance_begin(p_as_of, known_on, late_days, p_chunk, wait_seconds);
  IF run IS NULL THEN
    RETURN;
  END IF;
  IF commit_chunks THEN
    COMMIT;
  END IF;
  err := mynahoken.issuance_prepare(run);
  IF err IS NULL THEN
    SELECT pg_catalog.count(*) INTO total FROM pg_temp.mh_iss_snap;
    IF commit_chunks THEN
      COMMIT;
    END IF;
    WHILE lo <= total LOOP
      err := mynahoken.issuance_chunk(run, lo, CASE WHEN lo + p_chunk - 1 < total THEN lo + p_chunk - 1 ELSE total END);
      EXIT WHEN err IS NOT NULL;
      IF commit_chunks THEN
        COMMIT;
      END IF;
      lo := lo + p_chunk;
      IF pause_ms > 0 AND lo <= total THEN
        PERFORM pg_catalog.pg_sleep(pause_ms / 1000.0);
      END IF;
    END LOOP;
  END IF;
  PERFORM mynahoken.issuance_end(run, err);
  IF commit_chunks THEN
    COMMIT;
  END IF;
  IF err IS NOT NULL THEN
    RAISE EXCEPTION 'issuance run % failed: %', run, pg_catalog.substr(err, 7)
      USING ERRCODE = pg_catalog.left(err, 5),
            HINT = 'The run is logged as failed; the next run for the same day takes it over where it stopped.';
  END IF;
END
$$;
COMMENT ON PROCEDURE mynahoken.plan_issuance(date, integer, integer, date, integer, integer, boolean) IS
  'Plan the 資格確認書 and 資格情報のお知らせ members need on as_of, committing every chunk_size members; idempotent, resumable, one run at a time';

-- ---------------------------------------------------------------------------
-- Operators' views

CREATE VIEW mynahoken.issuance_runs AS
SELECT r.run_id, r.as_of,
       CASE WHEN r.status = 'running' AND mynahoken.issuance_lock_holder() IS DISTINCT FROM r.pid
            THEN 'interrupted' ELSE r.status END AS state,
       r.attempts, r.started_at, r.finished_at,
       r.members_total, r.members_done, r.certificates, r.notices, r.already_planned,
       r.rejected_invalid_insurer, r.rejected_other, r.chunks, r.error, r.note,
       CASE WHEN r.finished_at IS NOT NULL AND r.members_done > 0 AND r.attempts = 1
            THEN round(r.members_done / greatest(extract(epoch FROM r.finished_at - r.started_at), 0.001)) END
         AS members_per_s
  FROM mynahoken.issuance_run r;
COMMENT ON VIEW mynahoken.issuance_runs IS
  'Run log for operators: state (running, interrupted = crashed or killed and not yet taken over, finished, failed, superseded, skipped), counts, rate';

CREATE VIEW mynahoken.issuance_pending AS
SELECT q.employer, q.document, q.reason, count(*) AS documents, min(q.as_of) AS oldest
  FROM mynahoken.issuance_queue q
 WHERE q.handoff_id IS NULL
 GROUP BY 1, 2, 3;
COMMENT ON VIEW mynahoken.issuance_pending IS
  'Planned documents not yet handed off, per employer (NULL: direct mail), document and reason';

-- The print vendor's layout: one line per document, grouped by batch
-- (one employer each), with the Japanese document name and dates in ISO.
CREATE VIEW mynahoken.issuance_handoff_file AS
SELECT q.handoff_id,
       coalesce(q.employer, '') AS employer,
       CASE WHEN q.employer IS NULL THEN 'member' ELSE 'employer' END AS deliver_to,
       row_number() OVER (PARTITION BY q.handoff_id ORDER BY q.member_key COLLATE "C", q.document) AS line_no,
       mynahoken.padded(q.insurer_number) AS insurer_number,
       q.member_key,
       CASE q.document WHEN 'certificate' THEN '資格確認書' ELSE '資格情報のお知らせ' END AS document_name,
       q.document::text AS document,
       q.reason,
       pg_catalog.to_char(q.valid_from, 'YYYY-MM-DD') AS valid_from,
       pg_catalog.to_char(q.valid_until, 'YYYY-MM-DD') AS valid_until,
       pg_catalog.to_char(upper(q.sending_window) - 1, 'YYYY-MM-DD') AS send_by,
       q.queue_id
  FROM mynahoken.issuance_queue q
 WHERE q.handoff_id IS NOT NULL;
COMMENT ON VIEW mynahoken.issuance_handoff_file IS
  'Hand-off file for the print vendor, one line per document of each batch: COPY (SELECT * FROM ... WHERE handoff_id = N ORDER BY line_no) TO ... CSV HEADER';

-- ---------------------------------------------------------------------------
-- Hand-off and sending

CREATE FUNCTION mynahoken.prepare_handoff(employer text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  h bigint := nextval('mynahoken.issuance_handoff_id_seq');
  n bigint;
BEGIN
  -- The queue rows reference the batch: create it first, count after.
  INSERT INTO mynahoken.issuance_handoff (handoff_id, employer, documents)
  VALUES (h, prepare_handoff.employer, 0);
  -- "=" and IS NULL separately, so that the partial index is used.
  IF prepare_handoff.employer IS NULL THEN
    UPDATE mynahoken.issuance_queue q SET handoff_id = h
     WHERE q.handoff_id IS NULL AND q.employer IS NULL;
  ELSE
    UPDATE mynahoken.issuance_queue q SET handoff_id = h
     WHERE q.handoff_id IS NULL AND q.employer = prepare_handoff.employer;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n = 0 THEN
    DELETE FROM mynahoken.issuance_handoff x WHERE x.handoff_id = h;
    RETURN NULL;
  END IF;
  UPDATE mynahoken.issuance_handoff x SET documents = n WHERE x.handoff_id = h;
  RETURN h;
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoff(text) IS
  'Put every planned document of one employer (NULL: direct mail to members) not yet handed off into a new batch; returns its id, or NULL when there is none';

CREATE FUNCTION mynahoken.prepare_handoffs()
RETURNS TABLE (handoff_id bigint, employer text, documents bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  e record;
  h bigint;
BEGIN
  FOR e IN SELECT DISTINCT q.employer FROM mynahoken.issuance_queue q
            WHERE q.handoff_id IS NULL ORDER BY 1 NULLS FIRST LOOP
    h := mynahoken.prepare_handoff(e.employer);
    IF h IS NOT NULL THEN
      RETURN QUERY SELECT b.handoff_id, b.employer, b.documents
                     FROM mynahoken.issuance_handoff b WHERE b.handoff_id = h;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION mynahoken.prepare_handoffs() IS
  'prepare_handoff for every employer with documents waiting (and for direct mail); one row per batch created';

CREATE FUNCTION mynahoken.mark_handoff_sent(handoff_id bigint, sent_on date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  b mynahoken.issuance_handoff;
  n bigint;
BEGIN
  SELECT * INTO b FROM mynahoken.issuance_handoff x WHERE x.handoff_id = mark_handoff_sent.handoff_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'hand-off batch % does not exist', mark_handoff_sent.handoff_id
      USING ERRCODE = 'no_data_found';
  END IF;
  IF b.sent_on IS NOT NULL THEN
    RAISE EXCEPTION 'hand-off batch % was already marked sent on %', b.handoff_id, to_char(b.sent_on, 'YYYY-MM-DD')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE mynahoken.issuance_handoff x SET sent_on = mark_handoff_sent.sent_on
   WHERE x.handoff_id = b.handoff_id;
  UPDATE mynahoken.issuance_queue q SET sent_on = mark_handoff_sent.sent_on
   WHERE q.handoff_id = b.handoff_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION mynahoken.mark_handoff_sent(bigint, date) IS
  'Mark every document of a hand-off batch as sent on a day; returns how many; raises when the batch is unknown or already sent';

-- ---------------------------------------------------------------------------
-- Explanation of one member

CREATE FUNCTION mynahoken.explain_issuance(member_key text, as_of date DEFAULT CURRENT_DATE,
                                           known_on date DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  src regclass;
  m record;
  found_rows bigint;
  cat mynahoken.insurer_category;
  need jsonb;
  validity jsonb;
  notice jsonb;
  planned jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM mynahoken.member_source) THEN
    RAISE EXCEPTION 'no member source is registered'
      USING ERRCODE = 'undefined_object',
            HINT = 'Register the table or view of members with mynahoken.register_member_source().';
  END IF;
  SELECT s.source::regclass INTO src FROM mynahoken.member_source s;
  EXECUTE format('SELECT src.insurer_number::text AS ins, src.birth_date, src.acquired_on, src.lost_on,
                         src.employer::text AS employer, coalesce(src.my_number_linked, false) AS linked,
                         src.myna_registered_on, src.myna_withdrawn_on, src.ecert_expires_on,
                         src.certificate_requested_on, src.certificate_valid_until
                    FROM %s AS src WHERE src.member_key::text = $1', src)
    INTO m USING explain_issuance.member_key;
  GET DIAGNOSTICS found_rows = ROW_COUNT;
  IF found_rows = 0 THEN
    RAISE EXCEPTION 'member % is not in the member source', explain_issuance.member_key
      USING ERRCODE = 'no_data_found';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'queue_id', q.queue_id, 'document', q.document, 'reason', q.reason,
           'valid_from', q.valid_from, 'valid_until', q.valid_until,
           'sending_window', mynahoken.daterange_iso(q.sending_window),
           'as_of', q.as_of, 'run_id', q.run_id, 'employer', q.employer,
           'handoff_id', q.handoff_id, 'sent_on', q.sent_on,
           'basis', (SELECT jsonb_build_object('rules', b.rules, 'parameters', b.parameters)
                       FROM mynahoken.issuance_basis b WHERE b.basis_id = q.basis_id))
           ORDER BY q.queue_id), '[]')
    INTO planned
    FROM mynahoken.issuance_queue q WHERE q.member_key = explain_issuance.member_key;
  IF NOT coalesce(mynahoken.insurer_number_is_valid(m.ins), false) THEN
    RETURN jsonb_build_object('member_key', explain_issuance.member_key, 'as_of', as_of,
                              'problem', 'invalid_insurer_number', 'planned', planned);
  END IF;
  cat := mynahoken.category(m.ins::mynahoken.insurer_number);
  BEGIN
    need := mynahoken.explain_certificate_need(cat, as_of, m.birth_date, m.acquired_on, m.lost_on, m.linked,
                                               m.myna_registered_on, m.myna_withdrawn_on, m.ecert_expires_on,
                                               m.certificate_requested_on, known_on);
    validity := mynahoken.explain_certificate_valid_until(cat, as_of, known_on);
  EXCEPTION WHEN data_exception OR null_value_not_allowed THEN
    need := jsonb_build_object('error', SQLERRM);
  END;
  BEGIN
    notice := mynahoken.explain_notice_sending_window(cat, m.acquired_on, known_on);
  EXCEPTION WHEN no_data_found OR data_exception THEN
    notice := jsonb_build_object('error', SQLERRM);
  END;
  RETURN jsonb_build_object(
    'member_key', explain_issuance.member_key,
    'as_of', as_of,
    'insurer_number', m.ins::mynahoken.insurer_number::text,
    'category', cat,
    'employer', m.employer,
    'my_number_linked', m.linked,
    'certificate_need', need,
    'certificate_valid_until', validity,
    'notice_sending_window', notice,
    'planned', planned);
END
$$;
COMMENT ON FUNCTION mynahoken.explain_issuance(text, date, date) IS
  'Why a member gets (or not) a 資格確認書 and a 資格情報のお知らせ on a day: the decision explanations with sources, and the documents planned for the member';

-- ---------------------------------------------------------------------------
-- pg_cron (optional: the extension works without it)

CREATE FUNCTION mynahoken.issuance_cron_command(lead_days integer DEFAULT 0)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'CALL mynahoken.plan_issuance(' ||
       CASE WHEN lead_days = 0 THEN 'CURRENT_DATE'
            ELSE 'CURRENT_DATE + ' || lead_days::text END || ')';
COMMENT ON FUNCTION mynahoken.issuance_cron_command(integer) IS
  'The single CALL a pg_cron job runs: plan_issuance as of today (plus lead_days); usable with cron.schedule_in_database';

CREATE FUNCTION mynahoken.schedule_issuance(schedule text DEFAULT '0 17 * * *',
                                            job_name text DEFAULT 'mynahoken-issuance',
                                            lead_days integer DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  job bigint;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in this database'
      USING ERRCODE = 'undefined_object',
            DETAIL = format('Database %s has no extension pg_cron.', current_database()),
            HINT = 'Call mynahoken.plan_issuance() by hand, or CREATE EXTENSION pg_cron in the database named by cron.database_name.';
  END IF;
  -- Dynamic: the cron schema exists only where pg_cron is installed.
  EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
    USING job_name, schedule, mynahoken.issuance_cron_command(lead_days);
  RETURN job;
END
$$;
COMMENT ON FUNCTION mynahoken.schedule_issuance(text, text, integer) IS
  'Schedule the nightly plan_issuance with pg_cron (default 17:00 UTC = 02:00 JST); returns the job id; raises 42704 when pg_cron is not installed here';

CREATE FUNCTION mynahoken.unschedule_issuance(job_name text DEFAULT 'mynahoken-issuance')
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  done boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in this database'
      USING ERRCODE = 'undefined_object',
            DETAIL = format('Database %s has no extension pg_cron.', current_database());
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1)' INTO done USING job_name;
  IF NOT done THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT cron.unschedule($1::text)' INTO done USING job_name;
  RETURN done;
END
$$;
COMMENT ON FUNCTION mynahoken.unschedule_issuance(text) IS
  'Remove the pg_cron job of the nightly issuance; false when there was none; raises 42704 when pg_cron is not installed here';
