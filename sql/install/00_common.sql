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

-- The errors of the extension's SQL and PL/pgSQL routines, instead of RAISE:
-- the callers' statements, which PostgreSQL would send as CONTEXT and log as
-- STATEMENT, may hold personal data (doc/tokens.md, "Leaks").
CREATE FUNCTION mynahoken.raise_error(sqlstate text, message text, detail text DEFAULT NULL,
                                      hint text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'mh_raise_error' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.raise_error(text, text, text, text) IS
  'Raise an error (SQLSTATE, message, DETAIL, HINT) without CONTEXT and without STATEMENT in the server log; the extension''s routines raise through it and never put a caller''s value in the message';
CREATE FUNCTION mynahoken.raise_notice(message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'mh_raise_notice' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.raise_notice(text, text, text) IS
  'Send a NOTICE (message, DETAIL, HINT) without CONTEXT, as raise_error does for errors; the extension''s routines report through it and never put a caller''s value in the message';
-- Messages are translated in the extension's catalogue (po/, lc_messages):
-- raise_error and raise_notice translate a literal message, detail and hint;
-- a message composed with format() is translated before it is formatted:
--   pg_catalog.format(mynahoken.gettext('rule version %s is %s'), v, s)
CREATE FUNCTION mynahoken.gettext(msgid text)
RETURNS text
AS 'MODULE_PATHNAME', 'mh_gettext_sql' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.gettext(text) IS
  'The translation of a message of the extension''s routines in the session''s lc_messages (catalogue mynahoken-15, po/*.po), or the message itself when it has none; STABLE because it depends on lc_messages';
