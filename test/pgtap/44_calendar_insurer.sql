-- Scope by insurer number (保険者番号): a data centre (国保連) or one database
-- holds several insurers of a category with different decisions.  Of an
-- insurer's own entry, its category's and every category's, the one recorded
-- later is in force (the narrower on a tie, or when it keeps its own); the
-- SQL reader legal_entry_for_insurer and the C transition_rules_for_insurer
-- agree.
BEGIN;
SET client_min_messages = warning;
SELECT * FROM no_plan();

CREATE TEMP TABLE src AS
SELECT source_id AS id FROM mynahoken.legal_source WHERE code = 'mynahoken-default';

-- City A (138016) keeps 資格確認書 for 24 months from 2027-04; city B (138024) does not decide.
SELECT ok(mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2027-04-01,)', '24',
            (SELECT id FROM src), current_date - 5, insurer => '138016') >= 1000000,
          'an entry for one insurer: its category is taken from the insurer number');
SELECT is((SELECT scope FROM mynahoken.legal_parameter_entry WHERE insurer::text = '138016'), 'municipal_nhi'::mynahoken.insurer_category,
          'the entry has the insurer''s category as scope');
SELECT is((mynahoken.transition_rules_for_insurer(i, '2027-05-01')).certificate_term_months, want,
          format('insurer %s: term %s months', i, want))
  FROM (VALUES ('138016'::mynahoken.insurer_number, 24), ('138024', 1)) AS v(i, want);
SELECT is((mynahoken.transition_rules('municipal_nhi', '2027-05-01')).certificate_term_months, 1,
          'the category''s decisions do not take one insurer''s entry');
SELECT is(mynahoken.legal_value_int('certificate_term_months', '2027-05-01', 'municipal_nhi'), 1,
          'nor does the category''s SQL reader');
SELECT is((mynahoken.transition_rules_for_insurer('138016', '2027-03-31')).certificate_term_months, 1,
          'insurer 138016 before its own valid days: the default');
SELECT is((mynahoken.transition_rules_for_insurer('138016', '2027-05-01', current_date - 6)).certificate_term_months, 1,
          'insurer 138016 as known before its entry: the default');
SELECT is((mynahoken.transition_rules_for_insurer('138016', '2027-05-01')).category, 'municipal_nhi'::mynahoken.insurer_category,
          'the rules carry the insurer''s category');
SELECT is(mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules_for_insurer(i, '2027-05-01'), '2027-05-01'), want,
          format('insurer %s: a 資格確認書 issued 2027-05-01 is valid until %s', i, want))
  FROM (VALUES ('138016'::mynahoken.insurer_number, date '2029-07-31'), ('138024', '2027-07-31')) AS v(i, want);

-- A later value for the category reaches the insurer; one it keeps does not move.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('certificate_term_months', 'municipal_nhi', '[2027-04-01,)', '12',
                    (SELECT id FROM src), current_date - 2)$$, 'a later value for the category');
SELECT is((mynahoken.transition_rules_for_insurer(i, '2027-05-01')).certificate_term_months, 12,
          format('insurer %s: the category''s later value is in force', i))
  FROM unnest(ARRAY['138016', '138024']::mynahoken.insurer_number[]) AS i;
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('certificate_renewal_month', NULL, '[2027-04-01,)', '4',
                    (SELECT id FROM src), current_date - 3, keep_own => true, insurer => '138024')$$,
                'insurer 138024 records its renewal month and keeps it');
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('certificate_renewal_month', 'municipal_nhi', '[2027-04-01,)', '10',
                    (SELECT id FROM src), current_date - 1)$$, 'a later renewal month for the category');
SELECT is((mynahoken.transition_rules_for_insurer(i, '2027-05-01')).certificate_renewal_month, want,
          format('insurer %s: renewal month %s', i, want))
  FROM (VALUES ('138016'::mynahoken.insurer_number, 10), ('138024', 4)) AS v(i, want);

-- SQL and C agree for every parameter the rules carry, several days and knowledge days.
SELECT is((SELECT count(*)
             FROM unnest(ARRAY['138008', '138016', '138024']::mynahoken.insurer_number[]) AS i,
                  unnest(ARRAY[date '2025-08-01', '2026-04-01', '2027-03-31', '2027-04-01', '2027-08-01']) AS d,
                  unnest(ARRAY[NULL, current_date - 6, current_date - 4, current_date - 2, current_date]) AS k,
                  unnest(ARRAY['certificate_term_months', 'certificate_renewal_month', 'acquisition_report_days']) AS p
            WHERE (mynahoken.legal_entry_for_insurer(p, d, i, k)).value_int IS DISTINCT FROM
                  CASE p WHEN 'certificate_term_months' THEN (mynahoken.transition_rules_for_insurer(i, d, k)).certificate_term_months
                         WHEN 'certificate_renewal_month' THEN (mynahoken.transition_rules_for_insurer(i, d, k)).certificate_renewal_month
                         ELSE (mynahoken.transition_rules_for_insurer(i, d, k)).acquisition_report_days END), 0::bigint,
          'legal_entry_for_insurer (SQL) and transition_rules_for_insurer (C) agree');
SELECT is((SELECT count(*)
             FROM unnest(ARRAY['138008', '138016']::mynahoken.insurer_number[]) AS i,
                  unnest(ARRAY[date '2025-08-01', '2026-04-01', '2026-07-31', '2026-08-01']) AS d
            WHERE (mynahoken.legal_entry_for_insurer('expired_card_acceptance', d, i)).value_range IS DISTINCT FROM
                  (mynahoken.transition_rules_for_insurer(i, d)).expired_card_acceptance), 0::bigint,
          'the 2026-07-31 extension recorded for every category reaches every insurer');

-- Keys: one insurer, its category and another insurer are different keys.
SELECT lives_ok($$SELECT mynahoken.record_legal_change_set(current_date, '[
                    {"name": "notice_on_acquisition_days", "insurer": "138016", "valid": "(,)", "value": "10", "source": "mynahoken-default"},
                    {"name": "notice_on_acquisition_days", "insurer": "138024", "valid": "(,)", "value": "7", "source": "mynahoken-default"},
                    {"name": "notice_on_acquisition_days", "scope": "municipal_nhi", "valid": "(,)", "value": "21", "source": "mynahoken-default"}]')$$,
                'values for two insurers and their category on one knowledge day');
SELECT is(ARRAY[(mynahoken.legal_entry_for_insurer('notice_on_acquisition_days', '2027-01-01', '138016')).value_int,
                (mynahoken.legal_entry_for_insurer('notice_on_acquisition_days', '2027-01-01', '138024')).value_int,
                (mynahoken.legal_entry_for_insurer('notice_on_acquisition_days', '2027-01-01', '138008')).value_int],
          ARRAY[10, 7, 21], 'each insurer its own; a third insurer its category''s (the narrower on the same knowledge day)');
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('notice_on_acquisition_days', NULL, '[2028-01-01,)', '3',
                     (SELECT id FROM src), current_date, insurer => '138016')$$,
                 '23P01', NULL, 'a second value for one insurer on one knowledge day is refused');
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('notice_on_acquisition_days', 'kyokai_kenpo', '(,)', '3',
                     (SELECT id FROM src), current_date, insurer => '138016')$$,
                 '22023', 'the insurer number is not of the given insurer category',
                 'an insurer outside the scope is refused');
SELECT set_eq($$SELECT coalesce(insurer::text, scope::text, 'all'), relation
                  FROM mynahoken.legal_entry_relations((SELECT parameter_id FROM mynahoken.legal_parameter_entry
                                                         WHERE name = 'notice_on_acquisition_days' AND insurer::text = '138016'))$$,
              $$VALUES ('all', 'masks'), ('municipal_nhi', 'masks')$$,
              'legal_entry_relations: an insurer''s entry masks its category''s and every category''s, not another insurer''s');
SELECT throws_ok($$SELECT mynahoken.legal_entry_for_insurer('no_such_parameter', '2027-01-01', '138016')$$,
                 '42704', 'unknown legal parameter', 'an unknown parameter for an insurer: 42704');

SELECT * FROM finish();
ROLLBACK;
