-- JPKI certificate verification: 100,000 distinct certificates from a table
-- in one query, against bench/bin/x509_peer (d2i_X509 + X509_verify_cert at
-- the same time on the same certificates, with RFC 5280 policy checking and
-- the JPKI policy as the explicit acceptable policy, as the verdict does,
-- plus the JPKI key usage and policy checks a verdict makes), measured in the same run; then again with
-- 1,000,000 revocation rows loaded.  BENCH_ROWS sets the number of
-- certificates (default 100000).  The peer also prints its CPU time per
-- certificate (stderr), steadier than wall time on a shared machine.
--
-- Ops: "1 core" runs with parallel query off, which is the like-for-like
-- comparison with the single-threaded peer; "parallel" lets PostgreSQL use
-- its workers (the peer still runs on one core).
SELECT coalesce(nullif(:'rows', ''), '100000')::int AS n \gset
SELECT 'verify ' || :n || ' JPKI certificates' AS op \gset

-- Certificates minted by the peer under the fixture root (cached in bench/bin).
\set hexfile `pwd`/bench/bin/jpki-certs-:n.hex
\set minted `bench/bin/x509_peer mint :n bench/bin/jpki-certs-:n`
\set root `base64 -w0 test/fixtures/jpki/auth-root-g2.der`
SELECT mynahoken.add_trust_anchor(decode(:'root', 'base64'), 'authentication', NULL, 'bench auth g2') > 0 AS pinned;

DROP TABLE IF EXISTS bench.jpki_cert;
CREATE TABLE bench.jpki_cert (id int GENERATED ALWAYS AS IDENTITY, der bytea NOT NULL);
COPY bench.jpki_cert (der) FROM :'hexfile';
VACUUM ANALYZE bench.jpki_cert;
SELECT count(*) AS certificates, round(avg(length(der))) AS avg_bytes FROM bench.jpki_cert;

-- The peer: best of three runs, seconds on stdout.
\set peer_s `bench/bin/x509_peer verify bench/bin/jpki-certs-:n.bin test/fixtures/jpki/auth-root-g2.der 1767225600`
SELECT bench.record(:'op' || ', 1 core', 'C d2i_X509 + X509_verify_cert (policy checking) + usage checks', :n, :peer_s);
SELECT bench.record(:'op' || ', parallel', 'C d2i_X509 + X509_verify_cert (policy checking) + usage checks', :n, :peer_s);

-- The same verdicts from SQL, as of 2026-01-01 00:00 UTC.
SELECT (mynahoken.verify_certificate(der, 'authentication', '2026-01-01 00:00+00')).outcome,
       count(*)
  FROM bench.jpki_cert GROUP BY 1;

SET max_parallel_workers_per_gather = 0;
SELECT bench.run(:'op' || ', 1 core', 'mynahoken.verify_certificate', :n,
  $$SELECT count(*) FILTER (WHERE (mynahoken.verify_certificate(der, 'authentication',
                                   '2026-01-01 00:00+00')).outcome = 'valid')
      FROM bench.jpki_cert$$, true);
RESET max_parallel_workers_per_gather;
SELECT bench.run(:'op' || ', parallel', 'mynahoken.verify_certificate', :n,
  $$SELECT count(*) FILTER (WHERE (mynahoken.verify_certificate(der, 'authentication',
                                   '2026-01-01 00:00+00')).outcome = 'valid')
      FROM bench.jpki_cert$$, true);

-- 1,000,000 revocation rows for the same issuer; 10,000 of them hit the
-- benchmark certificates (serials 0x2000000 + i), revoked in 2025.
INSERT INTO mynahoken.revoked_certificate (issuer_key_id, serial, revocation_date, reason, source)
SELECT a.key_id,
       CASE WHEN i % 100 = 0 THEN 33554432 + (i / 100) % :n ELSE 900000000 + i END,
       timestamptz '2025-01-01 00:00+00' + i * interval '1 second',
       'keyCompromise', 'feed'
  FROM mynahoken.trust_anchor a, generate_series(1, 1000000) i
 WHERE a.label = 'bench auth g2'
ON CONFLICT DO NOTHING;
VACUUM ANALYZE mynahoken.revoked_certificate;
SELECT count(*) AS revocation_rows FROM mynahoken.revoked_certificate;
SELECT (mynahoken.verify_certificate(der, 'authentication', '2026-01-01 00:00+00')).outcome,
       count(*)
  FROM bench.jpki_cert GROUP BY 1;

-- The peer again, so that this op's ratio compares runs made under the
-- same load (the machine is shared).
\set peer_s `bench/bin/x509_peer verify bench/bin/jpki-certs-:n.bin test/fixtures/jpki/auth-root-g2.der 1767225600`
SELECT bench.record(:'op' || ', 1 core, 1M revocation rows', 'C d2i_X509 + X509_verify_cert (policy checking) + usage checks', :n, :peer_s);
SET max_parallel_workers_per_gather = 0;
SELECT bench.run(:'op' || ', 1 core, 1M revocation rows', 'mynahoken.verify_certificate', :n,
  $$SELECT count(*) FILTER (WHERE (mynahoken.verify_certificate(der, 'authentication',
                                   '2026-01-01 00:00+00')).outcome = 'valid')
      FROM bench.jpki_cert$$, true);
RESET max_parallel_workers_per_gather;

DELETE FROM mynahoken.revoked_certificate WHERE source = 'feed';
SELECT mynahoken.remove_trust_anchor(fingerprint) FROM mynahoken.trust_anchor
 WHERE label = 'bench auth g2';
