-- Identifier input over 10,000,000 rows (issue 2):
--   mynahoken insurer_number input from text, against contrib isn's ean13
--   input of a 13-digit column, a PL/pgSQL validator of the same check digit,
--   an inlinable SQL one, and the floor, a bare text-to-bigint cast.
-- Serial plans, so that the figures are per-core costs.

\if :{?rows}
\else
\set rows ''
\endif
SELECT coalesce(nullif(:'rows', ''), '10000000')::bigint AS nrows \gset
SET max_parallel_workers_per_gather = 0;

DROP TABLE IF EXISTS bench.ids;
SELECT setseed(0.1) AS seeded \gset
CREATE UNLOGGED TABLE bench.ids AS
WITH body AS (
  SELECT i,
         lpad((ARRAY[1,6,31,39,1,1,6,34])[1 + i % 8]::text, 2, '0')
           || lpad((1 + (random() * 46)::int)::text, 2, '0')
           || lpad((random() * 999)::int::text, 3, '0') AS d7,
         '49' || lpad((floor(random() * 1e10))::bigint::text, 10, '0') AS e12
    FROM generate_series(1, :nrows) AS i
)
SELECT i,
       d7 || (10 - (
         (substr(d7,7,1)::int*2/10 + substr(d7,7,1)::int*2%10) + substr(d7,6,1)::int +
         (substr(d7,5,1)::int*2/10 + substr(d7,5,1)::int*2%10) + substr(d7,4,1)::int +
         (substr(d7,3,1)::int*2/10 + substr(d7,3,1)::int*2%10) + substr(d7,2,1)::int +
         (substr(d7,1,1)::int*2/10 + substr(d7,1,1)::int*2%10)) % 10) % 10 AS ins,
       e12 || (10 - (
         substr(e12,1,1)::int + 3*substr(e12,2,1)::int + substr(e12,3,1)::int + 3*substr(e12,4,1)::int +
         substr(e12,5,1)::int + 3*substr(e12,6,1)::int + substr(e12,7,1)::int + 3*substr(e12,8,1)::int +
         substr(e12,9,1)::int + 3*substr(e12,10,1)::int + substr(e12,11,1)::int + 3*substr(e12,12,1)::int
       ) % 10) % 10 AS ean
  FROM body;
VACUUM ANALYZE bench.ids;

-- What a team writes without the extension: the 保険者番号 check digit in PL/pgSQL ...
CREATE OR REPLACE FUNCTION bench.insurer_valid_plpgsql(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  s text := btrim(v);
  total int := 0;
  p int;
BEGIN
  IF s !~ '^[0-9]{8}$' THEN RETURN false; END IF;
  FOR i IN REVERSE 7..1 LOOP
    p := substr(s, i, 1)::int * CASE WHEN (7 - i) % 2 = 0 THEN 2 ELSE 1 END;
    total := total + p / 10 + p % 10;
  END LOOP;
  RETURN (10 - total % 10) % 10 = substr(s, 8, 1)::int;
END $$;

-- ... and as one inlinable SQL expression.
CREATE OR REPLACE FUNCTION bench.insurer_valid_sql(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT s ~ '^[0-9]{8}$' AND (10 - (
    (substr(s,7,1)::int*2/10 + substr(s,7,1)::int*2%10) + substr(s,6,1)::int +
    (substr(s,5,1)::int*2/10 + substr(s,5,1)::int*2%10) + substr(s,4,1)::int +
    (substr(s,3,1)::int*2/10 + substr(s,3,1)::int*2%10) + substr(s,2,1)::int +
    (substr(s,1,1)::int*2/10 + substr(s,1,1)::int*2%10)) % 10) % 10 = substr(s,8,1)::int
$$;

-- sanity: every generated number is valid by all four implementations
SELECT count(*) FILTER (WHERE NOT mynahoken.insurer_number_is_valid(ins)) AS bad_mynahoken,
       count(*) FILTER (WHERE NOT bench.insurer_valid_sql(ins)) AS bad_sql
  FROM (SELECT ins FROM bench.ids LIMIT 100000) AS s;

SELECT bench.run('insurer number input', 'mynahoken insurer_number', :nrows,
                 'SELECT count(ins::mynahoken.insurer_number) FROM bench.ids', true);
SELECT bench.run('insurer number input', 'isn ean13 input (13 digits)', :nrows,
                 'SELECT count(ean::public.ean13) FROM bench.ids');
SELECT bench.run('insurer number input', 'SQL validator (inlined)', :nrows,
                 'SELECT count(*) FILTER (WHERE bench.insurer_valid_sql(ins)) FROM bench.ids', false, 1);
SELECT bench.run('insurer number input', 'PL/pgSQL validator', :nrows,
                 'SELECT count(*) FILTER (WHERE bench.insurer_valid_plpgsql(ins)) FROM bench.ids', false, 1);
SELECT bench.run('insurer number input', 'floor: text to bigint cast', :nrows,
                 'SELECT count(ins::bigint) FROM bench.ids');
SELECT bench.run('insurer number check', 'mynahoken insurer_number_is_valid', :nrows,
                 'SELECT count(*) FILTER (WHERE mynahoken.insurer_number_is_valid(ins)) FROM bench.ids', true);
SELECT bench.run('insurer number check', 'SQL validator (inlined)', :nrows,
                 'SELECT count(*) FILTER (WHERE bench.insurer_valid_sql(ins)) FROM bench.ids', false, 1);

DROP TABLE bench.ids;
RESET max_parallel_workers_per_gather;
