-- JPKI certificate verification over the synthetic fixtures of
-- test/fixtures/jpki (made by test/fixtures/make-jpki.sh).  Every "as of"
-- time is explicit; nothing here depends on today's date.  Fingerprints
-- and keys change when the fixtures are regenerated, so they are compared,
-- never printed.
SET timezone = 'UTC';
\set fixtures `cd test/fixtures/jpki && for f in *.der *.crl *.bin *.sig; do n=${f%.der}; printf "('%s','%s')," "${n%.crl}" "$(base64 -w0 "$f")"; done | sed 's/,$//'`
CREATE TEMP TABLE fx (name text PRIMARY KEY, bytes bytea NOT NULL);
INSERT INTO fx SELECT n, decode(b, 'base64') FROM (VALUES :fixtures) v(n, b);
SELECT count(*) AS fixtures FROM fx;

-- Pin the roots, each checked against its expected SHA-256 fingerprint:
-- two generations of the authentication root share one subject DN.
SELECT mynahoken.add_trust_anchor(bytes, 'authentication', sha256(bytes), 'auth g1') > 0 AS pinned
  FROM fx WHERE name = 'auth-root-g1';
SELECT mynahoken.add_trust_anchor(bytes, 'authentication', sha256(bytes), 'auth g2') > 0 AS pinned
  FROM fx WHERE name = 'auth-root-g2';
SELECT mynahoken.add_trust_anchor(bytes, 'signature', sha256(bytes), 'sign g2') > 0 AS pinned
  FROM fx WHERE name = 'sign-root-g2';
SELECT a.label, fx.name AS fixture, a.purpose, a.subject, a.not_before, a.not_after,
       a.revocations
  FROM mynahoken.trust_anchors a
  LEFT JOIN fx ON encode(sha256(fx.bytes), 'hex') = a.sha256_fingerprint
 ORDER BY a.id;

-- Adding the same root again is a no-op returning the same id.
SELECT mynahoken.add_trust_anchor(bytes, 'authentication') =
       (SELECT id FROM mynahoken.trust_anchor WHERE label = 'auth g2') AS same_id
  FROM fx WHERE name = 'auth-root-g2';
SELECT count(*) AS anchors FROM mynahoken.trust_anchor;

-- Rejected anchors: an end-entity certificate, a fingerprint that does not
-- match, bytes that are not a certificate, a root pinned for the other
-- purpose, NULL.
\set VERBOSITY terse
SELECT mynahoken.add_trust_anchor(bytes, 'authentication') FROM fx WHERE name = 'auth-ee';
SELECT mynahoken.add_trust_anchor(bytes, 'authentication', sha256('not this'::bytea))
  FROM fx WHERE name = 'rogue-root';
SELECT mynahoken.add_trust_anchor('\x3082'::bytea, 'authentication');
SELECT mynahoken.add_trust_anchor(bytes, 'signature') FROM fx WHERE name = 'auth-root-g2';
SELECT mynahoken.add_trust_anchor(NULL, 'signature');
\set VERBOSITY default

-- Every outcome of verify_certificate, as of 2026-01-01 unless stated.
CREATE TEMP TABLE cases (name text, usage mynahoken.certificate_usage, at timestamptz);
INSERT INTO cases VALUES
  ('auth-ee',          'authentication', '2026-01-01'),
  ('auth-ee',          'authentication', '2029-01-01 00:00:00'),
  ('auth-ee',          'authentication', '2029-01-01 00:00:01'),
  ('auth-ee',          'signature',      '2026-01-01'),
  ('auth-ee-g1',       'authentication', '2022-06-01'),
  ('auth-ee-g1',       'authentication', '2026-01-01'),
  ('auth-ee-g1-late',  'authentication', '2025-06-01'),
  ('auth-ee-g1-late',  'authentication', '2026-01-01'),
  ('auth-expired',     'authentication', '2026-01-01'),
  ('auth-expired',     'authentication', '2021-01-01'),
  ('auth-notyet',      'authentication', '2026-01-01'),
  ('auth-revoked',     'authentication', '2026-01-01'),
  ('auth-wrongpolicy', 'authentication', '2026-01-01'),
  ('auth-wrongku',     'authentication', '2026-01-01'),
  ('auth-ca',          'authentication', '2026-01-01'),
  ('auth-rogue',       'authentication', '2026-01-01'),
  ('auth-tampered',    'authentication', '2026-01-01'),
  ('auth-truncated',   'authentication', '2026-01-01'),
  ('auth-root-g2',     'authentication', '2026-01-01'),
  ('sign-ee',          'signature',      '2026-01-01'),
  ('sign-ee',          'authentication', '2026-01-01'),
  -- issue 12: a one-second validity is valid at that second
  ('auth-instant',     'authentication', '2025-12-31 23:59:59'),
  ('auth-instant',     'authentication', '2026-01-01 00:00:00'),
  ('auth-instant',     'authentication', '2026-01-01 00:00:01'),
  -- the policy listed twice is malformed, anyPolicy is not the JPKI policy
  ('auth-duppolicy',   'authentication', '2026-01-01'),
  ('auth-anypolicy',   'authentication', '2026-01-01'),
  -- no authorityKeyIdentifier: the generation whose key verifies it
  ('auth-noaki-g1',    'authentication', '2022-06-01'),
  ('auth-noaki-g2',    'authentication', '2022-06-01'),
  ('auth-noaki-g1',    'authentication', '2026-01-01'),
  -- tampered is bad_signature whatever the time
  ('auth-tampered-g1', 'authentication', '2026-01-01'),
  ('auth-tampered',    'authentication', '2030-01-01'),
  -- found by the differential test: a CA without keyCertSign, a key that
  -- does not decode
  ('auth-ca-ku',       'authentication', '2026-01-01'),
  ('auth-badkey',      'authentication', '2026-01-01');
SELECT c.name, c.usage, c.at, (v).outcome, (v).serial, (v).not_before, (v).not_after,
       a.label AS anchor, (v).detail
  FROM cases c JOIN fx USING (name),
       LATERAL mynahoken.verify_certificate(fx.bytes, c.usage, c.at) v
  LEFT JOIN mynahoken.trust_anchor a ON a.id = (v).anchor_id
 ORDER BY c.name, c.usage, c.at;

-- Revocation from a CRL: the CRL verifies against root g2 and loading it
-- twice adds nothing the second time.
SELECT mynahoken.load_crl(bytes) AS new_rows FROM fx WHERE name = 'auth-g2';
SELECT mynahoken.load_crl(bytes) AS new_rows FROM fx WHERE name = 'auth-g2';
SELECT serial, revocation_date, reason, source, released_at FROM mynahoken.revoked_certificate;

-- Revoked from 2025-04-01 00:00 UTC on, not a microsecond before.
SELECT at, (mynahoken.verify_certificate(bytes, 'authentication', at)).*
  FROM fx, (VALUES (timestamptz '2025-03-31 23:59:59.999999'),
                   ('2025-04-01 00:00:00'), ('2026-01-01')) t(at)
 WHERE name = 'auth-revoked'
 ORDER BY at;

-- A revocation fact from an operator feed counts the same way.
INSERT INTO mynahoken.revoked_certificate (issuer_key_id, serial, revocation_date, reason, source)
SELECT key_id, 1714946, '2026-06-01', 'affiliationChanged', 'feed'
  FROM mynahoken.trust_anchor WHERE label = 'auth g2';
SELECT at, (v).outcome, (v).revocation_date, (v).revocation_reason
  FROM fx, (VALUES (timestamptz '2026-05-31'), ('2026-06-01')) t(at),
       LATERAL mynahoken.verify_certificate(bytes, 'authentication', at) v
 WHERE name = 'auth-ee'
 ORDER BY at;
DELETE FROM mynahoken.revoked_certificate WHERE source = 'feed';

-- A hold (certificateHold) is history: auth-hold is on hold from 2025-05-01
-- (CRL of 2025-05-01 12:00) and the CRL of 2025-07-01 12:00 no longer
-- lists it.  As of a time during the hold it is revoked, before and after
-- it is valid, and the release keeps the held period.
CREATE TEMP TABLE hold_times (at timestamptz);
INSERT INTO hold_times VALUES ('2025-04-30 23:59:59'), ('2025-05-01 00:00:00'),
  ('2025-06-15'), ('2025-07-01 11:59:59.999999'), ('2025-07-01 12:00:00'), ('2026-01-01');
SELECT mynahoken.load_crl(bytes) AS changed_rows FROM fx WHERE name = 'auth-g2-hold';
SELECT h.at, (v).outcome, (v).revocation_date, (v).revocation_reason
  FROM fx, hold_times h, LATERAL mynahoken.verify_certificate(bytes, 'authentication', h.at) v
 WHERE name = 'auth-hold' ORDER BY h.at;
SELECT mynahoken.load_crl(bytes) AS changed_rows FROM fx WHERE name = 'auth-g2-release';
SELECT mynahoken.load_crl(bytes) AS changed_rows FROM fx WHERE name = 'auth-g2-release';
SELECT serial, revocation_date, reason, released_at FROM mynahoken.revoked_certificate ORDER BY serial;
SELECT h.at, (v).outcome, (v).revocation_date, (v).revocation_reason
  FROM fx, hold_times h, LATERAL mynahoken.verify_certificate(bytes, 'authentication', h.at) v
 WHERE name = 'auth-hold' ORDER BY h.at;
-- Loading the older CRL again neither reopens nor moves the hold.
SELECT mynahoken.load_crl(bytes) AS changed_rows FROM fx WHERE name = 'auth-g2-hold';
SELECT serial, revocation_date, released_at FROM mynahoken.revoked_certificate WHERE reason = 'certificateHold';
SELECT (f).this_update, (f).next_update, (f).delta, (f).entries
  FROM fx, LATERAL mynahoken.crl_facts(bytes) f WHERE name = 'auth-g2-release';
-- A release must end after the start, and only a hold is released.
\set VERBOSITY terse
UPDATE mynahoken.revoked_certificate SET released_at = revocation_date WHERE reason = 'certificateHold';
UPDATE mynahoken.revoked_certificate SET released_at = '2030-01-01' WHERE reason = 'keyCompromise';
\set VERBOSITY default
DELETE FROM mynahoken.revoked_certificate WHERE reason = 'certificateHold';

-- Rejected CRLs: signed by an unpinned key under a pinned root's name, and
-- bytes that are not a CRL.
\set SHOW_CONTEXT never
SELECT mynahoken.load_crl(bytes) FROM fx WHERE name = 'rogue';
SELECT mynahoken.load_crl(substr(bytes, 1, 100)) FROM fx WHERE name = 'auth-g2';
\set SHOW_CONTEXT errors
SELECT count(*) AS revocations FROM mynahoken.revoked_certificate;

-- Signatures: matching, data changed, signature cut short, and the
-- certificate's own outcome first (not valid yet in 2023, untrusted when
-- checked as an authentication certificate).
SELECT t.case_, t.at, (v).outcome, (v).serial, (v).detail
  FROM (SELECT c.bytes AS cert, d.bytes AS data, g.bytes AS sig
          FROM fx c, fx d, fx g
         WHERE c.name = 'sign-ee' AND d.name = 'sign-data.bin' AND g.name = 'sign-data.sig') f,
       LATERAL (VALUES
         ('matching',      f.data,                   f.sig,                 timestamptz '2026-01-01', 'signature'::mynahoken.certificate_usage),
         ('data changed',  f.data || '\x00'::bytea, f.sig,                 '2026-01-01', 'signature'),
         ('short',         f.data,                   substr(f.sig, 1, 100), '2026-01-01', 'signature'),
         ('empty',         f.data,                   '\x'::bytea,          '2026-01-01', 'signature'),
         ('not yet valid', f.data,                   f.sig,                 '2023-01-01', 'signature'),
         ('wrong usage',   f.data,                   f.sig,                 '2026-01-01', 'authentication')
       ) t(case_, data, sig, at, usage),
       LATERAL mynahoken.verify_signature(f.cert, t.data, t.sig, t.at, t.usage) v
 ORDER BY t.case_;

-- A revoked signer: the revocation wins over the signature check.
SELECT (mynahoken.verify_signature(c.bytes, d.bytes, d.bytes, '2026-01-01', 'authentication')).outcome
  FROM fx c, fx d WHERE c.name = 'auth-revoked' AND d.name = 'sign-data.bin';

-- Certificate facts (no personal data).
SELECT name, (f).serial, (f).issuer, (f).subject, (f).not_before, (f).not_after,
       (f).policy_oids, (f).key_usage,
       length((f).subject_key_id) AS ski_len,
       (f).authority_key_id = a.key_id AS aki_is_anchor_key,
       (f).fingerprint = sha256(bytes) AS fingerprint_ok
  FROM fx, LATERAL mynahoken.certificate_facts(bytes) f
  LEFT JOIN mynahoken.trust_anchor a ON a.key_id = (f).authority_key_id
 WHERE name IN ('auth-ee', 'sign-ee', 'auth-wrongpolicy', 'auth-wrongku')
 ORDER BY name;
SELECT mynahoken.certificate_facts('\x00'::bytea) IS NULL AS malformed_is_null;

-- Personal data needs the mynahoken_pii_reader role.  (Compared rather
-- than printed, so that the output does not depend on the client encoding.)
-- The position information of substitute characters (J-LIS profile) is a
-- bit string with one bit per character: the 4th character of the name
-- (吉, standing in for 𠮷) is a substitute.
SELECT (p).name = '試験　吉子' AS name_ok, (p).name_substitute_positions,
       length((p).name_substitute_positions) = length((p).name) AS one_bit_per_character,
       substr((p).name, position(B'1' IN (p).name_substitute_positions), 1) = '吉' AS substitute_is_4th,
       (p).sex, (p).birth_date,
       (p).address = '東京都千代田区霞が関一丁目１番１号' AS address_ok,
       (p).address_substitute_positions,
       length((p).address_substitute_positions) = length((p).address) AS one_bit_per_address_character
  FROM fx, LATERAL mynahoken.certificate_personal_data(bytes) p WHERE fx.name = 'sign-ee';
SELECT (mynahoken.certificate_personal_data(bytes)).* FROM fx WHERE name = 'auth-ee';
CREATE ROLE regress_cert_analyst;
GRANT USAGE ON SCHEMA mynahoken TO regress_cert_analyst;
GRANT SELECT ON fx TO regress_cert_analyst;
SET ROLE regress_cert_analyst;
SELECT (mynahoken.certificate_personal_data(bytes)).name FROM fx WHERE name = 'sign-ee';
SELECT (mynahoken.verify_certificate(bytes, 'signature', '2026-01-01')).outcome
  FROM fx WHERE name = 'sign-ee';
RESET ROLE;
GRANT mynahoken_pii_reader TO regress_cert_analyst;
SET ROLE regress_cert_analyst;
SELECT (mynahoken.certificate_personal_data(bytes)).sex FROM fx WHERE name = 'sign-ee';
RESET ROLE;
REVOKE ALL ON fx FROM regress_cert_analyst;
REVOKE USAGE ON SCHEMA mynahoken FROM regress_cert_analyst;
DROP ROLE regress_cert_analyst;

-- Bad input is an outcome, not an error, so a query over many rows never
-- stops at the first bad one: empty, one byte, garbage, a cut certificate,
-- trailing bytes, and 300 random buffers.
SELECT label, (mynahoken.verify_certificate(b, 'authentication', '2026-01-01')).outcome
  FROM (VALUES ('empty', '\x'::bytea), ('one byte', '\x30'),
               ('garbage', '\xdeadbeefdeadbeef'),
               ('cut', (SELECT substr(bytes, 1, 600) FROM fx WHERE name = 'auth-ee')),
               ('trailing byte', (SELECT bytes || '\x00'::bytea FROM fx WHERE name = 'auth-ee'))
       ) t(label, b);
SELECT (mynahoken.verify_certificate(b, 'authentication', '2026-01-01')).outcome, count(*)
  FROM (SELECT decode(md5(i::text) || md5((i * 7)::text), 'hex') AS b
          FROM generate_series(1, 300) i) r
 GROUP BY 1;

-- The verification time must be one X.509 can state (years 1 to 9999 UTC):
-- anything else is a bad argument (22008), not a malformed certificate.
\set VERBOSITY sqlstate
SELECT mynahoken.verify_certificate(bytes, 'authentication', 'infinity') FROM fx WHERE name = 'auth-ee';
SELECT mynahoken.verify_certificate(bytes, 'authentication', '-infinity') FROM fx WHERE name = 'auth-ee';
SELECT mynahoken.verify_certificate(bytes, 'authentication', '10000-01-01 00:00:00+00') FROM fx WHERE name = 'auth-ee';
SELECT mynahoken.verify_certificate(bytes, 'authentication', '0001-12-31 23:59:59+00 BC') FROM fx WHERE name = 'auth-ee';
SELECT mynahoken.verify_signature(bytes, '\x', '\x', '10000-01-01 00:00:00+00') FROM fx WHERE name = 'sign-ee';
\set VERBOSITY default
SELECT mynahoken.verify_certificate(bytes, 'authentication', '10000-01-01 00:00:00+00') FROM fx WHERE name = 'auth-ee';
-- The first and last seconds X.509 can state are verdicts.
SELECT (mynahoken.verify_certificate(bytes, 'authentication', '0001-01-01 00:00:00+00')).outcome AS first_second,
       (mynahoken.verify_certificate(bytes, 'authentication', '9999-12-31 23:59:59+00')).outcome AS last_second
  FROM fx WHERE name = 'auth-ee';

-- Unpinning root g2 makes its certificates untrusted at once; pinning it
-- again restores them.
SELECT mynahoken.remove_trust_anchor(fingerprint) AS removed
  FROM mynahoken.trust_anchor WHERE label = 'auth g2';
SELECT mynahoken.remove_trust_anchor(sha256('nothing'::bytea)) AS removed;
SELECT (mynahoken.verify_certificate(bytes, 'authentication', '2026-01-01')).outcome
  FROM fx WHERE name = 'auth-ee';
SELECT mynahoken.add_trust_anchor(bytes, 'authentication', NULL, 'auth g2') > 0 AS pinned
  FROM fx WHERE name = 'auth-root-g2';
SELECT (mynahoken.verify_certificate(bytes, 'authentication', '2026-01-01')).outcome
  FROM fx WHERE name = 'auth-ee';

-- Leave nothing behind for the next test file.
DELETE FROM mynahoken.revoked_certificate;
DELETE FROM mynahoken.trust_anchor;
