-- Benchmark of issue 3: tokenize N My Numbers from a table in one query
-- (default 10,000,000; BENCH_ROWS overrides), serial and with parallel
-- workers, against pgcrypto hmac(text, text, 'sha256') over the same column
-- in the same run, and against bench/hmac_peer (C, OpenSSL 3, one core) in
-- four ways of computing the same tokens.  Best of 5 runs: the machine is shared.
SELECT coalesce(nullif(:'rows', ''), '10000000')::bigint AS nrows \gset

DROP TABLE IF EXISTS bench.mynumbers;
-- 10^10 + 7i: 11 base digits (weights 2..7, 2..6 from the right), check digit appended
CREATE TABLE bench.mynumbers AS
SELECT lpad(b::text, 11, '0')
       || (CASE WHEN s % 11 <= 1 THEN 0 ELSE 11 - s % 11 END)::text AS n
  FROM (SELECT b, (b % 10) * 2 + (b / 10 % 10) * 3 + (b / 100 % 10) * 4
                  + (b / 1000 % 10) * 5 + (b / 10000 % 10) * 6 + (b / 100000 % 10) * 7
                  + (b / 1000000 % 10) * 2 + (b / 10000000 % 10) * 3
                  + (b / 100000000 % 10) * 4 + (b / 1000000000 % 10) * 5
                  + (b / 10000000000 % 10) * 6 AS s
          FROM (SELECT 10000000000 + 7 * i AS b FROM generate_series(1, :nrows) i) x) y;
VACUUM ANALYZE bench.mynumbers;

-- The C peer computes exactly the server's tokens (checked on the first row).
\set peer_check `bench/bin/hmac_peer check 10000000007 "$MH_TMP/keyring"`
SELECT mynahoken.tokenize(n)::text = :'peer_check' AS peer_ok
  FROM bench.mynumbers WHERE left(n, 11) = '10000000007' \gset
\if :peer_ok
\echo 'C peer tokens equal mynahoken.tokenize'
\else
\echo 'C peer tokens DIFFER from mynahoken.tokenize: stopping'
\quit
\endif

\o /dev/null
SET max_parallel_workers_per_gather = 0;
SELECT bench.run('tokenize (serial)', 'mynahoken.tokenize(n)', :nrows,
                 'SELECT count(mynahoken.tokenize(n)) FROM bench.mynumbers', true, 5);
SELECT bench.run('tokenize (serial)', 'pgcrypto hmac(n, key, ''sha256'')', :nrows,
                 'SELECT count(hmac(n, ''bench-key-in-sql-text'', ''sha256'')) FROM bench.mynumbers', false, 5);

SET max_parallel_workers_per_gather = 2;
SELECT bench.run('tokenize (parallel)', 'mynahoken.tokenize(n)', :nrows,
                 'SELECT count(mynahoken.tokenize(n)) FROM bench.mynumbers', true, 5);
SELECT bench.run('tokenize (parallel)', 'pgcrypto hmac(n, key, ''sha256'')', :nrows,
                 'SELECT count(hmac(n, ''bench-key-in-sql-text'', ''sha256'')) FROM bench.mynumbers', false, 5);
RESET max_parallel_workers_per_gather;

-- C peer, one core, no table: rows/s printed by the program.
\set rate `bench/bin/hmac_peer dup :nrows "$MH_TMP/keyring"`
SELECT bench.record('tokenize (serial)', 'C peer: EVP_MAC_CTX_dup per row', :nrows, :nrows / :rate::float8);
\set rate `bench/bin/hmac_peer reinit :nrows "$MH_TMP/keyring"`
SELECT bench.record('tokenize (serial)', 'C peer: EVP_MAC_init per row', :nrows, :nrows / :rate::float8);
\set rate `bench/bin/hmac_peer precomputed :nrows "$MH_TMP/keyring"`
SELECT bench.record('tokenize (serial)', 'C peer: precomputed SHA-256 states', :nrows, :nrows / :rate::float8);
\set rate `bench/bin/hmac_peer transform :nrows "$MH_TMP/keyring"`
SELECT bench.record('tokenize (serial)', 'C peer: precomputed states, SHA256_Transform', :nrows, :nrows / :rate::float8);

DROP TABLE bench.mynumbers;
\o
