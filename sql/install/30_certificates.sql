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

-- Revocation facts, from verified CRLs or an operator feed: one row per
-- revocation or hold period of a certificate.  A certificate is revoked at T
-- iff a row with its issuer key and serial has revocation_date <= T and no
-- released_at <= T.
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
  released_at     timestamptz,
  CONSTRAINT revoked_certificate_pkey PRIMARY KEY (issuer_key_id, serial, revocation_date),
  CONSTRAINT revoked_certificate_release_check
    CHECK (released_at IS NULL OR (reason = 'certificateHold' AND released_at > revocation_date))
);
COMMENT ON TABLE mynahoken.revoked_certificate IS
  'JPKI revocation facts keyed by issuer key identifier, serial and start; revoked at T iff revocation_date <= T < released_at (or no released_at)';
COMMENT ON COLUMN mynahoken.revoked_certificate.revocation_date IS
  'Start of the revocation or hold (the CRL entry''s revocationDate)';
COMMENT ON COLUMN mynahoken.revoked_certificate.released_at IS
  'End of a hold (certificateHold): thisUpdate of the first CRL that no longer lists it, or the feed''s release time; NULL while in force.  The held period stays on record';

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
  name                         text,
  name_substitute_positions    bit varying,
  sex                          text,
  birth_date                   text,
  address                      text,
  address_substitute_positions bit varying
);
COMMENT ON TYPE mynahoken.certificate_personal_data IS
  'Personal data (基本4情報) of a 署名用 certificate, subjectAltName otherName 1.2.392.200149.8.5.5.1-.6 (J-LIS certificate profile)';
COMMENT ON COLUMN mynahoken.certificate_personal_data.name IS
  '氏名 (1.2.392.200149.8.5.5.1): characters outside JIS X 0208/0212 replaced by substitute characters (代替文字)';
COMMENT ON COLUMN mynahoken.certificate_personal_data.name_substitute_positions IS
  '氏名代替文字の使用位置情報 (.5.5.2): bit i (from 0) is 1 when character i+1 of name is a substitute character; NULL unless only 0s and 1s';
COMMENT ON COLUMN mynahoken.certificate_personal_data.sex IS
  '性別 (.5.5.3): 1 male, 2 female, 3 unknown, as on the card';
COMMENT ON COLUMN mynahoken.certificate_personal_data.birth_date IS
  '生年月日 (.5.5.4): era digit (1 明治, 2 大正, 3 昭和, 4 平成, 5 令和, 0 unknown) and the Gregorian YYYYMMDD, as on the card';
COMMENT ON COLUMN mynahoken.certificate_personal_data.address IS
  '住所 (.5.5.5): up to 200 characters, substitute characters as in name';
COMMENT ON COLUMN mynahoken.certificate_personal_data.address_substitute_positions IS
  '住所代替文字の使用位置情報 (.5.5.6): bit i (from 0) is 1 when character i+1 of address is a substitute character; NULL unless only 0s and 1s';

CREATE FUNCTION mynahoken.verify_certificate(certificate bytea,
                                             usage mynahoken.certificate_usage,
                                             at timestamptz DEFAULT pg_catalog.now())
RETURNS mynahoken.certificate_verdict
AS 'MODULE_PATHNAME', 'mh_verify_certificate'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 5000;
COMMENT ON FUNCTION mynahoken.verify_certificate(bytea, mynahoken.certificate_usage, timestamptz) IS
  'Verify a DER JPKI certificate for a usage at a time against the trust anchors and revocation rows; a time outside years 1-9999 UTC or infinite raises 22008';

CREATE FUNCTION mynahoken.verify_signature(certificate bytea, data bytea, signature bytea,
                                           at timestamptz DEFAULT pg_catalog.now(),
                                           usage mynahoken.certificate_usage DEFAULT 'signature')
RETURNS mynahoken.certificate_verdict
AS 'MODULE_PATHNAME', 'mh_verify_signature'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 5000;
COMMENT ON FUNCTION mynahoken.verify_signature(bytea, bytea, bytea, timestamptz, mynahoken.certificate_usage) IS
  'Verify the certificate, then a SHA256withRSA (PKCS#1 v1.5) signature over data with its key; a time outside years 1-9999 UTC or infinite raises 22008';

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

CREATE FUNCTION mynahoken.crl_facts(crl bytea,
    OUT anchor_id bigint, OUT issuer_key_id bytea, OUT this_update timestamptz,
    OUT next_update timestamptz, OUT delta boolean, OUT entries integer)
AS 'MODULE_PATHNAME', 'mh_crl_facts'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mynahoken.crl_facts(bytea) IS
  'Issuing anchor, key identifier, thisUpdate, nextUpdate, delta flag and entry count of a DER CRL whose signature verifies with a trust anchor; errors as crl_entries';

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
    PERFORM mynahoken.raise_error('22004', 'certificate and purpose must not be null');
  END IF;
  SELECT * INTO a FROM mynahoken.inspect_trust_anchor(certificate);
  IF expected_fingerprint IS NOT NULL AND expected_fingerprint <> a.fingerprint THEN
    PERFORM mynahoken.raise_error('22023', 'trust anchor fingerprint does not match the expected fingerprint',
      detail => pg_catalog.format(mynahoken.gettext('The certificate''s SHA-256 fingerprint is %s.'),
                            encode(a.fingerprint, 'hex')),
      hint => 'Compare it with the fingerprint J-LIS publishes for this root.');
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
      PERFORM mynahoken.raise_error('23505',
        pg_catalog.format(mynahoken.gettext('trust anchor is already pinned for %s'), old_purpose),
        hint => 'Remove it first to change its purpose.');
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
  c record;
  added integer;
  released integer;
BEGIN
  SELECT * INTO c FROM mynahoken.crl_facts(crl);
  -- New revocations and holds; a hold the CRL now lists with another
  -- reason has become a revocation from the same date.
  INSERT INTO mynahoken.revoked_certificate AS r
         (issuer_key_id, serial, revocation_date, reason, source)
  SELECT e.issuer_key_id, e.serial, e.revocation_date, e.reason, 'crl'
    FROM mynahoken.crl_entries(crl) e
   -- a delta CRL's removeFromCRL entry is a release, never a revocation
   WHERE e.reason IS DISTINCT FROM 'removeFromCRL'
  ON CONFLICT (issuer_key_id, serial, revocation_date) DO UPDATE
     SET reason = excluded.reason
   WHERE r.reason = 'certificateHold' AND r.released_at IS NULL
     AND excluded.reason IS DISTINCT FROM 'certificateHold';
  GET DIAGNOSTICS added = ROW_COUNT;
  -- Holds end at the thisUpdate of the first CRL that no longer lists them
  -- (of a delta CRL: that lists them as removeFromCRL).  An earlier CRL
  -- loaded later moves the end back, never forward; the held period stays.
  UPDATE mynahoken.revoked_certificate r
     SET released_at = c.this_update
   WHERE r.issuer_key_id = c.issuer_key_id
     AND r.reason = 'certificateHold'
     AND r.source = 'crl'
     AND r.revocation_date < c.this_update
     AND (r.released_at IS NULL OR r.released_at > c.this_update)
     AND CASE WHEN c.delta
              THEN EXISTS (SELECT FROM mynahoken.crl_entries(crl) e
                            WHERE e.serial = r.serial AND e.reason = 'removeFromCRL')
              ELSE NOT EXISTS (SELECT FROM mynahoken.crl_entries(crl) e
                                WHERE e.serial = r.serial
                                  AND e.revocation_date = r.revocation_date)
         END;
  GET DIAGNOSTICS released = ROW_COUNT;
  RETURN added + released;
END $$;
COMMENT ON FUNCTION mynahoken.load_crl(bytea) IS
  'Verify a DER CRL against the trust anchors, record its revocations and holds, and end the holds it no longer lists; returns the number of rows added or changed';

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
