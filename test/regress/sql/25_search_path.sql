-- Calls that pass a My Number, under a search_path with a schema others can
-- create in (doc/tokens.md, "Calls that pass a My Number").  No My Number is
-- written out: synthetic numbers are built from 11 base digits.
CREATE FUNCTION pg_temp.mn(base bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT b || (CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END)::text
    FROM (SELECT lpad(base::text, 11, '0') AS b) x,
         LATERAL (SELECT sum(substr(b, 12 - n, 1)::int
                             * CASE WHEN n <= 6 THEN n + 1 ELSE n - 5 END) AS s
                    FROM generate_series(1, 11) n) y
$$;
CREATE ROLE mh_regress_other NOLOGIN;
CREATE SCHEMA mh_regress_other AUTHORIZATION mh_regress_other;
GRANT CREATE ON SCHEMA public TO PUBLIC;

-- Another role's look-alike with a better-matching signature than
-- mynahoken.tokenize(text): it would see the number and answer for it.
SET ROLE mh_regress_other;
CREATE TABLE mh_regress_other.captured (n text);
CREATE FUNCTION public.tokenize(n varchar) RETURNS text LANGUAGE sql
  AS $$ INSERT INTO mh_regress_other.captured VALUES (n) RETURNING 'captured' $$;
RESET ROLE;
CREATE TEMP TABLE intake (my_number varchar(14));
INSERT INTO intake VALUES (pg_temp.mn(12345678901));

-- mynahoken first on the path does not stop a better match from a later schema ...
SET search_path = mynahoken, public;
SELECT tokenize(my_number)::text = 'captured' AS unqualified_call_captured FROM intake;
SELECT count(*) AS numbers_captured FROM mh_regress_other.captured;
-- ... a schema-qualified call always reaches the extension.
SELECT mynahoken.key_version(mynahoken.tokenize(my_number)) AS qualified_call_key_version FROM intake;
SELECT count(*) AS numbers_captured FROM mh_regress_other.captured;

-- search_path_hazards(): the schemas ahead of mynahoken that others can create in.
SET search_path = mh_regress_other, public, mynahoken;
SELECT * FROM mynahoken.search_path_hazards();
SET search_path = mynahoken, mh_regress_other, public;
SELECT * FROM mynahoken.search_path_hazards();
-- Without mynahoken on the path every such schema counts: no call can reach it unqualified.
SELECT * FROM mynahoken.search_path_hazards('{pg_catalog,mh_regress_other,public}');
-- The role that owns a schema is not a hazard to itself.
SET ROLE mh_regress_other;
SELECT * FROM mynahoken.search_path_hazards('{pg_catalog,mh_regress_other,public,mynahoken}');
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT * FROM mynahoken.search_path_hazards('{pg_catalog,public,mynahoken}');

RESET search_path;
DROP FUNCTION public.tokenize(varchar);
DROP SCHEMA mh_regress_other CASCADE;
DROP ROLE mh_regress_other;
