-- JPKI certificate verification: every outcome from the fixtures, the
-- revocation boundary, each rejection by SQLSTATE, and the certificate
-- store rebuilt when another session changes the anchors.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
\set fixtures `cd test/fixtures/jpki && for f in *.der *.crl *.bin *.sig; do n=${f%.der}; printf "('%s','%s')," "${n%.crl}" "$(base64 -w0 "$f")"; done | sed 's/,$//'`

BEGIN;
SELECT plan(97);
SET LOCAL timezone = 'UTC';

CREATE TEMP TABLE fx (name text PRIMARY KEY, bytes bytea NOT NULL);
INSERT INTO fx SELECT n, decode(b, 'base64') FROM (VALUES :fixtures) v(n, b);
CREATE FUNCTION pg_temp.fx(n text) RETURNS bytea LANGUAGE sql STABLE
  AS $$ SELECT bytes FROM fx WHERE name = n $$;
-- verify_certificate with the legacy RSA decoder off for the call
CREATE FUNCTION pg_temp.verify_without_engine(c bytea, u mynahoken.certificate_usage, t timestamptz)
  RETURNS mynahoken.certificate_verdict LANGUAGE sql VOLATILE
  SET mynahoken.legacy_rsa_decoder = off
  AS $$ SELECT mynahoken.verify_certificate(c, u, t) $$;

-- Objects
SELECT has_table('mynahoken', 'trust_anchor', 'trust anchors are rows');
SELECT has_table('mynahoken', 'revoked_certificate', 'revocation facts are rows');
SELECT has_view('mynahoken', 'trust_anchors', 'a view lists the trust anchors');
SELECT has_index('mynahoken', 'revoked_certificate', 'revoked_certificate_pkey',
                 ARRAY['issuer_key_id', 'serial', 'revocation_date'],
                 'revocations are keyed by issuer key, serial and start: a certificate has a history');
SELECT enum_has_labels('mynahoken', 'certificate_outcome',
  ARRAY['valid', 'expired', 'not_yet_valid', 'revoked', 'untrusted_issuer', 'bad_signature',
        'wrong_usage', 'malformed', 'signature_mismatch'], 'the outcomes are a fixed set');
SELECT volatility_is('mynahoken', 'verify_certificate',
  ARRAY['bytea', 'mynahoken.certificate_usage', 'timestamp with time zone'], 'stable',
  'verify_certificate is STABLE: it reads anchors and revocations');

-- Pinning: generation 1 and 2 of the authentication root share a DN.
SELECT ok(mynahoken.add_trust_anchor(pg_temp.fx('auth-root-g1'), 'authentication',
                                     sha256(pg_temp.fx('auth-root-g1')), 'g1') > 0,
          'generation 1 of the authentication root is pinned by fingerprint');
SELECT ok(mynahoken.add_trust_anchor(pg_temp.fx('auth-root-g2'), 'authentication',
                                     sha256(pg_temp.fx('auth-root-g2')), 'g2') > 0,
          'generation 2, with the same subject DN, is pinned beside it');
SELECT is((SELECT count(DISTINCT subject)::int FROM mynahoken.trust_anchor), 1,
          'both generations have one subject DN');
SELECT is(mynahoken.add_trust_anchor(pg_temp.fx('auth-root-g2'), 'authentication'),
          (SELECT id FROM mynahoken.trust_anchor WHERE label = 'g2'),
          'pinning a root again returns its id');

SELECT throws_ok($$SELECT mynahoken.add_trust_anchor(pg_temp.fx('auth-ee'), 'authentication')$$,
  '22023', 'trust anchor must be a self-signed certificate',
  'an end-entity certificate is not a trust anchor');
SELECT throws_ok($$SELECT mynahoken.add_trust_anchor(pg_temp.fx('rogue-root'), 'authentication',
                                                    sha256(pg_temp.fx('auth-root-g2')))$$,
  '22023', 'trust anchor fingerprint does not match the expected fingerprint',
  'a root whose fingerprint differs from the expected one is refused');
SELECT throws_ok($$SELECT mynahoken.add_trust_anchor(substr(pg_temp.fx('auth-root-g2'), 1, 500), 'authentication')$$,
  '22P03', 'trust anchor is not a well-formed DER X.509 certificate',
  'a truncated root is refused');
SELECT throws_ok($$SELECT mynahoken.add_trust_anchor(pg_temp.fx('auth-root-g2'), 'signature')$$,
  '23505', 'trust anchor is already pinned for authentication',
  'a root keeps the purpose it was pinned for');

-- Every outcome, from a table of cases.
CREATE TEMP TABLE cases (name text, usage mynahoken.certificate_usage, at timestamptz,
                         want mynahoken.certificate_outcome, why text);
INSERT INTO cases VALUES
  ('auth-ee',          'authentication', '2026-01-01',          'valid',            'a generation 2 authentication certificate is valid in 2026'),
  ('auth-ee',          'authentication', '2029-01-01 00:00:00', 'valid',            'notAfter is inclusive'),
  ('auth-ee',          'authentication', '2029-01-01 00:00:01', 'expired',          'one second after notAfter it has expired'),
  ('auth-ee',          'authentication', '2024-06-01 00:00:00', 'valid',            'notBefore is inclusive'),
  ('auth-ee',          'authentication', '2024-05-31 23:59:59', 'not_yet_valid',    'one second before notBefore it is not yet valid'),
  ('auth-ee',          'signature',      '2026-01-01',          'wrong_usage',      'an authentication certificate is real, but not for signature'),
  ('auth-ee',          'signature',      '2030-01-01',          'wrong_usage',      'an authentication certificate is not for signature, also once expired'),
  ('auth-instant',     'authentication', '2026-01-01 00:00:00', 'valid',            'notBefore = notAfter: valid at that very second'),
  ('auth-instant',     'authentication', '2025-12-31 23:59:59', 'not_yet_valid',    'notBefore = notAfter: not yet valid a second before'),
  ('auth-instant',     'authentication', '2026-01-01 00:00:01', 'expired',          'notBefore = notAfter: expired a second after'),
  ('auth-duppolicy',   'authentication', '2026-01-01',          'malformed',        'the JPKI policy listed twice is malformed (RFC 5280 4.2.1.4; CVE-2023-0465)'),
  ('auth-anypolicy',   'authentication', '2026-01-01',          'wrong_usage',      'anyPolicy does not stand for the JPKI policy'),
  ('auth-noaki-g1',    'authentication', '2022-06-01',          'valid',            'without an AKI, the generation 1 root is found by its signature'),
  ('auth-noaki-g2',    'authentication', '2022-06-01',          'valid',            'without an AKI, the generation 2 root is found by its signature'),
  ('auth-noaki-g1',    'authentication', '2026-01-01',          'expired',          'without an AKI, a certificate of an expired generation is expired, not bad_signature'),
  ('auth-tampered-g1', 'authentication', '2026-01-01',          'bad_signature',    'a tampered certificate verified after its root expired has a bad signature'),
  ('auth-tampered',    'authentication', '2030-01-01',          'bad_signature',    'a tampered certificate verified after it and its root expired has a bad signature'),
  ('auth-ca-ku',       'authentication', '2026-01-01',          'wrong_usage',      'basicConstraints cA without keyCertSign is still a CA certificate (found by the differential test)'),
  ('auth-badkey',      'authentication', '2026-01-01',          'malformed',        'a subject public key that does not decode is malformed (found by the differential test)'),
  ('auth-ee-g1',       'authentication', '2022-06-01',          'valid',            'a generation 1 certificate is valid as of 2022'),
  ('auth-ee-g1',       'authentication', '2026-01-01',          'expired',          'a generation 1 certificate has expired in 2026'),
  ('auth-ee-g1-late',  'authentication', '2025-10-19 14:59:59', 'valid',            'a certificate is valid up to its root''s last second'),
  ('auth-ee-g1-late',  'authentication', '2025-10-19 15:00:00', 'expired',          'a certificate expires with its root'),
  ('auth-expired',     'authentication', '2026-01-01',          'expired',          'an expired certificate is expired'),
  ('auth-expired',     'authentication', '2021-01-01',          'valid',            'an expired certificate was valid as of 2021'),
  ('auth-notyet',      'authentication', '2026-01-01',          'not_yet_valid',    'a certificate from 2027 is not yet valid'),
  ('auth-wrongpolicy', 'authentication', '2026-01-01',          'wrong_usage',      'a certificate without the JPKI authentication policy has the wrong usage'),
  ('auth-wrongku',     'authentication', '2026-01-01',          'wrong_usage',      'a certificate without digitalSignature has the wrong usage'),
  ('auth-ca',          'authentication', '2026-01-01',          'wrong_usage',      'a CA certificate with the authentication policy is not a card certificate'),
  ('auth-rogue',       'authentication', '2026-01-01',          'untrusted_issuer', 'a certificate from an unpinned root with the same DN is untrusted'),
  ('auth-tampered',    'authentication', '2026-01-01',          'bad_signature',    'a tampered certificate has a bad signature'),
  ('auth-truncated',   'authentication', '2026-01-01',          'malformed',        'a truncated certificate is malformed'),
  ('auth-root-g2',     'authentication', '2026-01-01',          'untrusted_issuer', 'a root is not an end-entity certificate'),
  ('sign-ee',          'signature',      '2026-01-01',          'untrusted_issuer', 'no signature root is pinned yet');
SELECT is((mynahoken.verify_certificate(fx.bytes, c.usage, c.at)).outcome, c.want, c.why)
  FROM cases c JOIN fx USING (name) ORDER BY c.name, c.at;

SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-ee-g1'), 'authentication', '2022-06-01')).anchor_id,
          (SELECT id FROM mynahoken.trust_anchor WHERE label = 'g1'),
          'a generation 1 certificate is resolved to the generation 1 root by key identifier');
SELECT is((mynahoken.verify_certificate(b, 'authentication', '2026-01-01')).outcome, 'malformed',
          'bad input ' || label || ' is malformed, not an error')
  FROM (VALUES ('(empty)', '\x'::bytea), ('(one byte)', '\x30'), ('(zeros)', '\x0000000000'),
               ('(a CRL)', pg_temp.fx('auth-g2'))) t(label, b);
SELECT throws_ok($$SELECT mynahoken.verify_certificate(pg_temp.fx('auth-ee'), 'authentication', '-infinity')$$,
  '22008', 'verification time is out of range for X.509', 'an infinite time is an error');
SELECT throws_ok($$SELECT mynahoken.verify_certificate(pg_temp.fx('auth-ee'), 'authentication', '10000-01-01 00:00+00')$$,
  '22008', 'verification time is out of range for X.509', 'year 10000 is a bad argument, not a malformed certificate');
SELECT throws_ok($$SELECT mynahoken.verify_certificate(pg_temp.fx('auth-ee'), 'authentication', '0044-03-15 12:00+00 BC')$$,
  '22008', 'verification time is out of range for X.509', 'a BC time is a bad argument, not a malformed certificate');

-- Revocation: the CRL, idempotently; revoked from its revocation date on.
SELECT is(mynahoken.load_crl(pg_temp.fx('auth-g2')), 1, 'the CRL of root g2 adds one revocation');
SELECT is(mynahoken.load_crl(pg_temp.fx('auth-g2')), 0, 'loading the same CRL again adds nothing');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-revoked'), 'authentication', '2025-03-31 23:59:59.999999')).outcome,
          'valid', 'a certificate is not revoked a microsecond before its revocation date');
SELECT results_eq(
  $$SELECT outcome, revocation_date, revocation_reason
      FROM mynahoken.verify_certificate(pg_temp.fx('auth-revoked'), 'authentication', '2025-04-01')$$,
  $$VALUES ('revoked'::mynahoken.certificate_outcome, timestamptz '2025-04-01', 'keyCompromise')$$,
  'a certificate is revoked from its revocation date, with date and reason');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-revoked'), 'authentication', '2024-12-01')).outcome,
          'valid', 'a revoked certificate was valid as of before its revocation');
SELECT throws_ok($$SELECT mynahoken.load_crl(pg_temp.fx('rogue'))$$,
  '22023', 'CRL signature does not verify with any trust anchor of its issuer',
  'a CRL signed by an unpinned key under a pinned name is refused');
SELECT throws_ok($$SELECT mynahoken.load_crl('\x3000'::bytea)$$,
  '22P03', 'CRL is not a well-formed DER certificate revocation list', 'garbage is not a CRL');
INSERT INTO mynahoken.revoked_certificate (issuer_key_id, serial, revocation_date, reason, source)
SELECT key_id, (mynahoken.certificate_facts(pg_temp.fx('auth-ee'))).serial, '2027-01-01', 'superseded', 'feed'
  FROM mynahoken.trust_anchor WHERE label = 'g2';
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-ee'), 'authentication', '2027-01-01')).outcome,
          'revoked', 'a revocation fact from an operator feed counts');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-ee'), 'authentication', '2026-12-31')).outcome,
          'valid', 'an operator feed fact counts only from its date');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-expired'), 'authentication', '2026-01-01')).revocation_date,
          NULL, 'an invalid certificate carries no revocation date');
SELECT throws_ok($$SELECT mynahoken.load_crl(pg_temp.fx('sign-data.bin'))$$,
  '22P03', NULL, 'signed data is not a CRL');

-- A hold is history: on hold from 2025-05-01, released by the CRL of
-- 2025-07-01 12:00 that no longer lists it.
SELECT is(mynahoken.load_crl(pg_temp.fx('auth-g2-hold')), 1, 'the CRL with the hold adds it');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-hold'), 'authentication', '2026-01-01')).outcome,
          'revoked', 'a hold no CRL has released is in force');
SELECT is(mynahoken.load_crl(pg_temp.fx('auth-g2-release')), 1, 'the next CRL, without the hold, releases it');
SELECT results_eq(
  $$SELECT outcome, revocation_date, revocation_reason
      FROM mynahoken.verify_certificate(pg_temp.fx('auth-hold'), 'authentication', '2025-06-15')$$,
  $$VALUES ('revoked'::mynahoken.certificate_outcome, timestamptz '2025-05-01', 'certificateHold')$$,
  'as of a time during the hold, the certificate was revoked (the release does not erase the held period)');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('auth-hold'), 'authentication', '2025-07-01 12:00+00')).outcome,
          'valid', 'as of the release, the certificate is valid again');
SELECT is((SELECT released_at FROM mynahoken.revoked_certificate WHERE reason = 'certificateHold'),
          timestamptz '2025-07-01 12:00+00', 'the hold ends at the thisUpdate of the first CRL without it');
SELECT is(mynahoken.load_crl(pg_temp.fx('auth-g2-release')) + mynahoken.load_crl(pg_temp.fx('auth-g2-hold')), 0,
          'loading either CRL again changes nothing');

-- Signature verification, and the signature root pinned in another session.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('other', format('host=%s port=%s dbname=%s user=%s',
       current_setting('unix_socket_directories'), current_setting('port'),
       current_database(), current_user)) = 'OK' AS connected \gset
SELECT is((mynahoken.verify_signature(pg_temp.fx('sign-ee'), pg_temp.fx('sign-data.bin'),
                                      pg_temp.fx('sign-data.sig'), '2026-01-01')).outcome,
          'untrusted_issuer', 'before the signature root is pinned, the signer is untrusted');
SELECT ok((SELECT id FROM dblink('other', format('SELECT mynahoken.add_trust_anchor(%L::bytea, %L)',
                                      pg_temp.fx('sign-root-g2'), 'signature')) AS t(id bigint)) > 0,
          'another session pins the signature root and commits');
SELECT is((mynahoken.verify_signature(pg_temp.fx('sign-ee'), pg_temp.fx('sign-data.bin'),
                                      pg_temp.fx('sign-data.sig'), '2026-01-01')).outcome,
          'valid', 'this session''s store is rebuilt and the signature matches');
SELECT is((mynahoken.verify_signature(pg_temp.fx('sign-ee'), pg_temp.fx('sign-data.bin') || '\x00'::bytea,
                                      pg_temp.fx('sign-data.sig'), '2026-01-01')).outcome,
          'signature_mismatch', 'a signature over other bytes does not match');
SELECT is((mynahoken.verify_signature(pg_temp.fx('sign-ee'), pg_temp.fx('sign-data.bin'),
                                      pg_temp.fx('sign-data.bin'), '2026-01-01')).outcome,
          'signature_mismatch', 'garbage as a signature does not match');
SELECT is((mynahoken.verify_signature(pg_temp.fx('sign-ee'), pg_temp.fx('sign-data.bin'),
                                      pg_temp.fx('sign-data.sig'), '2030-01-01')).outcome,
          'expired', 'the certificate''s outcome comes before the signature''s');
SELECT is((mynahoken.verify_signature(pg_temp.fx('auth-tampered'), pg_temp.fx('sign-data.bin'),
                                      pg_temp.fx('sign-data.sig'), '2026-01-01', 'authentication')).outcome,
          'bad_signature', 'a tampered signer certificate has a bad signature');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('sign-ee'), 'authentication', '2026-01-01')).outcome,
          'wrong_usage', 'a signature certificate has the wrong usage for authentication');
SELECT ok((SELECT removed FROM dblink('other', format('SELECT mynahoken.remove_trust_anchor(%L::bytea)',
                                      sha256(pg_temp.fx('sign-root-g2')))) AS t(removed boolean)),
          'the other session unpins the signature root and commits');
SELECT is((mynahoken.verify_certificate(pg_temp.fx('sign-ee'), 'signature', '2026-01-01')).outcome,
          'untrusted_issuer', 'this session sees the root gone at its next call');
SELECT is(dblink_disconnect('other'), 'OK', 'the other session ends');

-- Facts and personal data.
SELECT is((mynahoken.certificate_facts(pg_temp.fx('sign-ee'))).policy_oids,
          ARRAY['1.2.392.200149.8.5.1.1.20'], 'the signature certificate has the JPKI signature policy');
SELECT is((mynahoken.certificate_facts(pg_temp.fx('sign-ee'))).key_usage,
          ARRAY['digitalSignature', 'nonRepudiation'], 'the signature certificate has its key usages');
SELECT is((mynahoken.certificate_facts(pg_temp.fx('auth-ee'))).policy_oids,
          ARRAY['1.2.392.200149.8.5.1.3.30'], 'the authentication certificate has the JPKI authentication policy');
SELECT is((mynahoken.certificate_facts(pg_temp.fx('auth-truncated'))), NULL,
          'a malformed certificate has no facts');
SELECT is((mynahoken.certificate_personal_data(pg_temp.fx('sign-ee'))).birth_date, '419900102',
          'the superuser reads the birth date of a signature certificate');
SELECT ok(NOT has_function_privilege('public', 'mynahoken.certificate_personal_data(bytea)', 'execute'),
          'PUBLIC may not read personal data');
SELECT ok(has_function_privilege('mynahoken_pii_reader', 'mynahoken.certificate_personal_data(bytea)', 'execute'),
          'mynahoken_pii_reader may read personal data');
CREATE ROLE tap_cert_analyst;
GRANT USAGE ON SCHEMA mynahoken TO tap_cert_analyst;
GRANT SELECT ON fx TO tap_cert_analyst;
SET LOCAL ROLE tap_cert_analyst;
SELECT throws_ok($$SELECT mynahoken.certificate_personal_data(bytes) FROM fx WHERE name = 'sign-ee'$$,
  '42501', 'permission denied for function certificate_personal_data',
  'an analyst without the role cannot read personal data');
SELECT is((mynahoken.verify_certificate(bytes, 'authentication', '2026-01-01')).outcome, 'valid',
          'an analyst without the role can verify certificates')
  FROM fx WHERE name = 'auth-ee';
RESET ROLE;

-- The legacy RSA decoder (an OpenSSL ENGINE) can be turned off by a
-- superuser; the verdicts are the same either way.
SELECT is((SELECT context FROM pg_settings WHERE name = 'mynahoken.legacy_rsa_decoder'), 'superuser',
          'mynahoken.legacy_rsa_decoder is a superuser setting');
SELECT mynahoken.add_trust_anchor(pg_temp.fx('sign-root-g2'), 'signature') > 0 AS pinned \gset
CREATE TEMP TABLE all_verdicts_sql (q text);
INSERT INTO all_verdicts_sql VALUES ($$
  SELECT fx.name, u, t, v.*
    FROM fx, unnest(enum_range(NULL::mynahoken.certificate_usage)) u,
         unnest(ARRAY[timestamptz '2022-06-01', '2025-06-01', '2026-01-01', '2030-01-01',
                      '2029-01-01 00:00:00+00']) t,
         LATERAL mynahoken.verify_certificate(fx.bytes, u, t) v
   ORDER BY 1, 2, 3$$);
SET LOCAL mynahoken.legacy_rsa_decoder = on;
SELECT results_eq((SELECT q FROM all_verdicts_sql),
                  (SELECT replace(q, 'mynahoken.verify_certificate', 'pg_temp.verify_without_engine') FROM all_verdicts_sql),
                  'every fixture, usage and time: the same verdict with and without the legacy RSA decoder');
SELECT is((SELECT count(DISTINCT (v).outcome)::int FROM fx,
                  LATERAL mynahoken.verify_certificate(fx.bytes, 'authentication', '2026-01-01') v), 8,
          'the comparison covers eight different outcomes');
RESET mynahoken.legacy_rsa_decoder;

SELECT * FROM finish();
ROLLBACK;
