-- The revocation look-up reads mynahoken.revoked_certificate without SPI:
-- its columns are found by name and checked, never assumed by position.
-- An upgrade that rebuilds a column (so that its position changes) must
-- not make a revoked certificate read as valid; a layout the library
-- cannot read is an error, not a wrong verdict (issue 12, item 7).
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
\set fixtures `cd test/fixtures/jpki && for f in auth-root-g2.der auth-revoked.der auth-g2.crl; do n=${f%.der}; printf "('%s','%s')," "${n%.crl}" "$(base64 -w0 "$f")"; done | sed 's/,$//'`

BEGIN;
SELECT plan(5);
SET LOCAL timezone = 'UTC';
CREATE TEMP TABLE fx (name text PRIMARY KEY, bytes bytea NOT NULL);
INSERT INTO fx SELECT n, decode(b, 'base64') FROM (VALUES :fixtures) v(n, b);
SELECT mynahoken.add_trust_anchor((SELECT bytes FROM fx WHERE name = 'auth-root-g2'), 'authentication');
SELECT mynahoken.load_crl((SELECT bytes FROM fx WHERE name = 'auth-g2'));

CREATE FUNCTION pg_temp.verdict() RETURNS text LANGUAGE sql AS $$
  SELECT v.outcome || ' ' || coalesce(v.revocation_date::text, '-') || ' ' || coalesce(v.revocation_reason, '-')
    FROM fx, mynahoken.verify_certificate(fx.bytes, 'authentication', '2025-06-01') v
   WHERE fx.name = 'auth-revoked' $$;

SELECT is(pg_temp.verdict(), 'revoked 2025-04-01 00:00:00+00 keyCompromise',
          'the revoked certificate is revoked, with its date and reason');

-- an upgrade rebuilds released_at and reason: they move to the end
SELECT attnum AS reason_attnum FROM pg_attribute
 WHERE attrelid = 'mynahoken.revoked_certificate'::regclass AND attname = 'reason' \gset
ALTER TABLE mynahoken.revoked_certificate DROP CONSTRAINT revoked_certificate_release_check;
ALTER TABLE mynahoken.revoked_certificate RENAME COLUMN released_at TO old_released;
ALTER TABLE mynahoken.revoked_certificate RENAME COLUMN reason TO old_reason;
ALTER TABLE mynahoken.revoked_certificate ADD COLUMN reason text, ADD COLUMN released_at timestamptz;
UPDATE mynahoken.revoked_certificate SET released_at = old_released, reason = old_reason;
ALTER TABLE mynahoken.revoked_certificate DROP COLUMN old_released, DROP COLUMN old_reason;
-- rows written after the change hold nothing in the dropped positions
DELETE FROM mynahoken.revoked_certificate;
SELECT mynahoken.load_crl((SELECT bytes FROM fx WHERE name = 'auth-g2'));
SELECT isnt((SELECT attnum FROM pg_attribute WHERE attrelid = 'mynahoken.revoked_certificate'::regclass
              AND attname = 'reason'), :reason_attnum::smallint, '(reason is no longer where it was)');
SELECT is(pg_temp.verdict(), 'revoked 2025-04-01 00:00:00+00 keyCompromise',
          'after the columns moved, the certificate is still revoked, with the same date and reason');

-- a column the look-up needs changes type: an error, never a guess
SAVEPOINT s;
ALTER TABLE mynahoken.revoked_certificate ALTER COLUMN reason TYPE varchar(40);
SELECT throws_ok($$SELECT pg_temp.verdict()$$, '55000',
                 'mynahoken.revoked_certificate has no column "reason" of the expected type',
                 'a reason column of another type is refused');
ROLLBACK TO SAVEPOINT s;
-- nor may the primary key change under the index look-up
ALTER TABLE mynahoken.revoked_certificate DROP CONSTRAINT revoked_certificate_pkey;
ALTER TABLE mynahoken.revoked_certificate ADD CONSTRAINT revoked_certificate_pkey
  PRIMARY KEY (serial, issuer_key_id, revocation_date);
SELECT throws_ok($$SELECT pg_temp.verdict()$$, '55000',
                 'index mynahoken.revoked_certificate_pkey does not start with (issuer_key_id, serial)',
                 'a primary key in another column order is refused');

SELECT * FROM finish();
ROLLBACK;
