-- Values SQLsmith can reach through columns: it writes literals only for
-- int4 and boolean and NULL for every other type, so without these most
-- calls of the extension would be NULL calls of STRICT functions.  Edge
-- values of each argument type the extension's routines take: dates and
-- timestamps at the ends of their ranges and at infinity, text that is
-- empty, full-width, decomposed, invalid as a number, or a synthetic My
-- Number (the canary: :'canary', it must never reach the server log through
-- the extension), the JPKI test certificates and CRLs whole, truncated and
-- empty, the extension's own types, numbers at their limits.
-- Variables: canary (a synthetic My Number), fixtures (directory of DER files).
SET client_min_messages = warning;
CREATE SCHEMA hostile;
CREATE TABLE hostile.value (
  id int PRIMARY KEY,
  t text, d date, ts timestamptz, tsn timestamp, i int4, i2 int2, i8 int8, n numeric,
  f float8, b bytea, dr daterange, j jsonb, ta text[], iv interval, ch "char", nm name,
  ins mynahoken.insurer_number, tok mynahoken.mynumber_token, sealed mynahoken.mynumber_sealed,
  cat mynahoken.insurer_category, usage mynahoken.certificate_usage,
  payer mynahoken.public_payer_number, recipient mynahoken.public_recipient_number,
  kr mynahoken.legal_key_range
);
CREATE TEMP TABLE texts (n serial, t text);
INSERT INTO texts (t) VALUES
  (''), (' '), (:'canary'), (' ' || :'canary' || ' '),
  (translate(:'canary', '0123456789', '０１２３４５６７８９')),
  (left(:'canary', 4) || '-' || substr(:'canary', 5, 4) || '-' || right(:'canary', 4)),
  ('000000000000'), ('999999999999'), ('1234567890123456789012345'), ('-1'), ('+0'),
  ('01130012'), ('０１１３００１２'), ('06139992'), ('39131156'), ('131151'), ('99999999'),
  ('00000000'), ('1'), ('a'), ('NaN'), ('infinity'), ('-infinity'), ('null'), ('\'),
  ('''; SELECT 1; --'), ('%s%n%x'), (repeat('9', 100000)), (repeat('あ', 10000)),
  (E'\u3000'), ('ｱｲｳｴｵ'), ('髙橋 一郎'), ('高橋一郎'), ('タカハシ イチロウ'), ('●'), (E'\uFFFD'),
  (E'e\u0301'), (E'\U0001F600'), (E'\u200B123'), ('本町1丁目2番地3号'),
  ('2024-12-02'), ('5874897-12-31'), ('4713-11-24 BC'), ('10000-01-01'), ('0000-00-00'),
  ('[2024-01-01,2025-01-01)'), ('empty'), ('{}'), ('[]'), ('{"a":'), ('1:' || repeat('0', 64)),
  ('mynahoken'), ('pg_catalog'), ('legal_parameter'), ('card_issue'), ('kyokai_kenpo'),
  ('myna_usable_until'), ('*'), ('a.b'), ('"quoted"'), (repeat('x', 64)), ('日本'), ('TRUE');
CREATE TEMP TABLE ders (n serial, b bytea);
INSERT INTO ders (b)
SELECT pg_read_binary_file(:'fixtures' || '/' || f)
  FROM unnest(ARRAY['auth-ca.der', 'auth-ee.der', 'auth-ee-g1.der', 'auth-expired.der', 'auth-notyet.der',
                    'auth-revoked.der', 'auth-root-g1.der', 'auth-root-g2.der', 'auth-tampered.der',
                    'auth-truncated.der', 'auth-wrongku.der', 'auth-wrongpolicy.der', 'rogue-root.der',
                    'auth-g2.crl', 'rogue.crl', 'sign-data.sig', 'sign-data.bin']) AS f;
INSERT INTO ders (b) SELECT substr(b, 1, length(b) / 2) FROM ders WHERE n <= 3;
INSERT INTO ders (b) VALUES (''::bytea), ('\x30'), ('\x3080'), ('\x308400000000'), ('\x3082ffff'),
  ('\x00'), (decode(repeat('ff', 4096), 'hex')), (convert_to(:'canary', 'UTF8'));
INSERT INTO hostile.value (id, t, b)
SELECT coalesce(x.n, y.n), x.t, y.b
  FROM texts AS x FULL JOIN ders AS y ON x.n = y.n;
-- Other types, on the first rows.
UPDATE hostile.value AS v SET
  d = (ARRAY['-infinity', 'infinity', '4713-11-24 BC', '5874897-12-31', '0001-01-01', '1900-02-28',
             '2000-02-29', '2024-12-02', '2025-12-01', '9999-12-31', '10000-01-01', '1989-01-07',
             '2019-04-30', '1873-01-01'])[v.id]::date,
  ts = (ARRAY['-infinity', 'infinity', '4713-11-24 00:00:00+00 BC', '294276-12-31 23:59:59+00',
              '2024-12-02 00:00:00+09', '1970-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00',
              '2000-01-01 00:00:00+00'])[v.id]::timestamptz,
  tsn = (ARRAY['-infinity', 'infinity', '4713-11-24 00:00:00 BC', '294276-12-31 23:59:59',
               '2024-12-02 00:00:00'])[v.id]::timestamp,
  i = (ARRAY[-2147483648, 2147483647, 0, -1, 1, 12, 31, 366, 10000, 100000])[v.id],
  i2 = (ARRAY[-32768, 32767, 0, -1, 1])[v.id]::int2,
  i8 = (ARRAY[-9223372036854775808, 9223372036854775807, 0, -1, 4294967296])[v.id],
  n = (ARRAY['NaN', 'Infinity', '-Infinity', '0', '-0.5', '1e100', '123456789012'])[v.id]::numeric,
  f = (ARRAY['NaN', 'Infinity', '-Infinity', '0', '-0', '1e308', '5e-324'])[v.id]::float8,
  dr = (ARRAY['empty', '(,)', '[2024-12-02,)', '(,2024-12-02]', '[-infinity,infinity]',
              '[2024-12-02,2024-12-03)', '[4713-11-24 BC,5874897-12-30]'])[v.id]::daterange,
  j = (ARRAY['null', '{}', '[]', '{"a": 1}', '"x"', '[1, "2", null, {"b": []}]', '1e400'])[v.id]::jsonb,
  ta = CASE v.id WHEN 1 THEN ARRAY[]::text[] WHEN 2 THEN ARRAY[NULL]::text[] WHEN 3 THEN ARRAY['a', 'b']
                 WHEN 4 THEN ARRAY[:'canary'] WHEN 5 THEN ARRAY['member_id', 'my_number']
                 WHEN 6 THEN ARRAY['', ''] END,
  iv = (ARRAY['0', '-1 day', '1000000 years', '-178000000 years', '1 month -1 day'])[v.id]::interval,
  ch = (ARRAY['', 'a', 'p', 'x'])[v.id]::"char",
  nm = (ARRAY['', 'mynahoken', 'pg_catalog', repeat('n', 63)])[v.id]::name,
  ins = (ARRAY['01130012', '06139992', '31130016', '39131156', '131151', '133033'])[v.id]::mynahoken.insurer_number,
  cat = (enum_range(NULL::mynahoken.insurer_category))[v.id],
  usage = (enum_range(NULL::mynahoken.certificate_usage))[v.id],
  kr = (ARRAY['empty', '(,)', '[a,b)', '[,)'])[v.id]::mynahoken.legal_key_range;
UPDATE hostile.value SET tok = mynahoken.tokenize(:'canary'), sealed = mynahoken.seal(:'canary') WHERE id IN (1, 2);
UPDATE hostile.value SET tok = mynahoken.tokenize(:'canary', 1), sealed = mynahoken.seal(:'canary') WHERE id = 3;
ANALYZE hostile.value;
COMMENT ON TABLE hostile.value IS 'Edge values of every argument type, for SQLsmith (test/sqlsmith)';
