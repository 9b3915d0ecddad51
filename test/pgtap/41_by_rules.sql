-- The IMMUTABLE *_by_rules decisions give the same answers as the
-- calendar-reading ones, for every category, around every calendar date.
BEGIN;
SELECT * FROM no_plan();

CREATE TEMP TABLE cases AS
SELECT c, d, k, r
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c,
       unnest(ARRAY[date '2024-12-02', '2025-07-31', '2025-08-01', '2025-09-01', '2025-12-01', '2025-12-02',
                    '2026-03-31', '2026-04-01', '2026-07-31', '2026-08-01']) AS d,
       unnest(ARRAY[NULL, date '2025-06-26', '2025-06-27', '2025-11-12', '2026-03-01']) AS k,
       LATERAL (SELECT mynahoken.transition_rules(c, d, k) AS r) AS rr;

CREATE TEMP TABLE people AS
SELECT * FROM (VALUES
  (date '1941-08-01', date '2016-08-01', NULL::date, date '2016-08-01', date '2025-07-31', true, date '2022-01-01', NULL::date, date '2025-05-15', NULL::date, NULL::date),
  ('1980-01-01', '2020-04-01', NULL, '2020-04-01', NULL, true, '2022-01-01', NULL, '2029-01-01', NULL, '2029-11-30'),
  ('1980-01-01', '2020-04-01', '2026-01-01', '2020-04-01', NULL, false, NULL, NULL, NULL, '2025-01-10', NULL),
  ('1960-01-01', '2024-12-10', NULL, NULL, NULL, true, '2023-01-01', '2025-02-01', '2028-01-01', NULL, '2026-07-31')
) AS p(birth, acq, lost, issued, expires, linked, reg, wd, ecert, req, cert_until);

SELECT is(count(*) FILTER (WHERE
            mynahoken.accepted_documents_by_rules(r, d, acq, lost, issued, expires, linked, reg, wd, ecert, cert_until)
              IS DISTINCT FROM mynahoken.accepted_documents(c, d, acq, lost, issued, expires, linked, reg, wd, ecert, cert_until, true, k)
         OR mynahoken.usable_documents_by_rules(r, d, acq, lost, issued, expires, linked, reg, wd, ecert, cert_until, false)
              IS DISTINCT FROM mynahoken.usable_documents(c, d, acq, lost, issued, expires, linked, reg, wd, ecert, cert_until, false, k)
         OR mynahoken.legacy_card_valid_by_rules(r, d, acq, lost, issued, expires)
              IS DISTINCT FROM mynahoken.legacy_card_valid(c, d, acq, lost, issued, expires, k)
         OR mynahoken.legacy_card_accepted_by_rules(r, d, acq, lost, issued, expires)
              IS DISTINCT FROM mynahoken.legacy_card_accepted(c, d, acq, lost, issued, expires, k)), 0::bigint,
          'documents and card decisions agree for every category, day and knowledge day')
  FROM cases, people
 WHERE k IS NULL OR k >= '2025-07-16';

SELECT is(count(*) FILTER (WHERE
            mynahoken.certificate_need_by_rules(r, d, birth, acq, lost, linked, reg, wd, ecert, req)
              IS DISTINCT FROM mynahoken.certificate_need(c, d, birth, acq, lost, linked, reg, wd, ecert, req, k)), 0::bigint,
          'certificate_need agrees for every category, day and knowledge day')
  FROM cases, people
 WHERE k IS NULL OR k >= '2026-03-01';

SELECT is(mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules(c, d), d),
          mynahoken.certificate_valid_until(c, d),
          format('%s: certificate_valid_until agrees for an issue on %s', c, d))
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c,
       unnest(ARRAY[date '2024-12-02', '2025-07-31', '2025-08-01', '2025-12-01']) AS d;

SELECT throws_ok($$SELECT mynahoken.certificate_need_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2026-01-15', '2024-11-28'),
                     '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, '2022-01-01', NULL, '2027-01-01', NULL)$$,
                 'P0002', 'no value for legal parameter "ecert_grace_months" on the given day',
                 'rules missing a parameter: the error names it');
SELECT is(mynahoken.transition_rules(NULL, '2026-01-15'), NULL, 'no category: no rules');
SELECT is(mynahoken.certificate_need_by_rules(NULL, '2026-01-15', '1980-01-01', '2020-04-01', NULL, true, NULL, NULL, NULL, NULL),
          NULL, 'no rules: NULL');

SELECT * FROM finish();
ROLLBACK;
