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
