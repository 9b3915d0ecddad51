-- System time, change sets and the writer role of the legal calendar
-- (doc/decisions.md, "Recording: change sets, system time, the author role").
BEGIN;
SET client_min_messages = warning;
SELECT * FROM no_plan();

-- The author role records without owning anything.
CREATE ROLE mh_test_author LOGIN;
GRANT mynahoken_calendar_author TO mh_test_author;
SET ROLE mh_test_author;

SELECT lives_ok($$INSERT INTO mynahoken.legal_source (code, kind, title, issuer, issued_on)
                  VALUES ('city-2026-11', 'insurer_decision', '資格確認書 decision', 'Example City', current_date)$$,
                'the author adds a source of its own');
SELECT lives_ok($$INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
                  VALUES ('city_mailing_days', 'int', 'days', 'Days before expiry the city mails the new 資格確認書')$$,
                'the author defines a parameter of its own');
-- Term and renewal month as one change set: visible together.
SELECT ok(mynahoken.record_legal_change_set(current_date,
            jsonb_build_array(
              jsonb_build_object('name', 'certificate_term_months', 'scope', 'municipal_nhi', 'valid', '[2027-04-01,)',
                                 'value', '24', 'source', 'city-2026-11'),
              jsonb_build_object('name', 'certificate_renewal_month', 'scope', 'municipal_nhi', 'valid', '[2027-04-01,)',
                                 'value', '4', 'source', 'city-2026-11'))) >= 1000000,
          'the author records a change set of two entries');
SELECT ok(mynahoken.record_legal_parameter('city_mailing_days', NULL, '(,)', '30',
            (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11')) >= 1000000,
          'the author records an entry');
-- a negative number of days, or a month of the year 13, is refused before
-- it is recorded for good (a same-day correction is refused with 23P01)
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('certificate_renewal_lead_days', 'municipal_nhi', '[2027-01-01,)', '-5',
                                                           (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'))$$,
                 '22003', 'value of legal parameter "certificate_renewal_lead_days" is out of range for its unit (days)',
                 'a negative lead time is refused');
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('certificate_renewal_month', 'municipal_nhi', '[2027-01-01,)', '13',
                                                           (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'))$$,
                 '22003', 'value of legal parameter "certificate_renewal_month" is out of range for its unit (month of year)',
                 'a month of the year 13 is refused');
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('city_mailing_days', NULL, '[2027-01-01,)', '-1',
                                                           (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'))$$,
                 '22003', NULL, 'a negative number of days of the author''s own parameter is refused');
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('certificate_renewal_lead_days', 'municipal_nhi', '[2027-01-01,)', '0',
                                                          (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'))$$,
                'zero lead days is a value');
SELECT throws_ok($$INSERT INTO mynahoken.legal_parameter_entry (name, value_type, valid, recorded_on, value_int, source_id)
                   VALUES ('city_mailing_days', 'int', '(,)', current_date, 31, 1)$$,
                 '42501', NULL, 'the author cannot insert entries directly (system time and checks are not bypassed)');
SELECT throws_ok($$UPDATE mynahoken.legal_parameter_entry SET note = 'x' WHERE NOT shipped$$,
                 '42501', NULL, 'the author cannot update entries');
SELECT throws_ok($$DELETE FROM mynahoken.legal_source WHERE code = 'law-r5-48'$$,
                 '42501', NULL, 'the author cannot delete shipped sources');
SELECT throws_ok($$INSERT INTO mynahoken.legal_source (source_id, code, kind, title, issuer) VALUES (99, 'x', 'law', 'x', 'x')$$,
                 '42501', NULL, 'the author cannot choose a source id (shipped ids are below 1000000)');
SELECT throws_ok($$INSERT INTO mynahoken.legal_change_set (recorded_at, recorded_on) VALUES ('2020-01-01', '2020-01-01')$$,
                 '42501', NULL, 'the author cannot write a change set with a system time of its choice');
RESET ROLE;

-- A role that is not an author cannot record.
CREATE ROLE mh_test_reader LOGIN;
SET ROLE mh_test_reader;
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('city_mailing_days', NULL, '(,)', '40', 1)$$,
                 '42501', NULL, 'a role without mynahoken_calendar_author cannot record');
SELECT is(mynahoken.legal_value_int('certificate_term_months', '2027-05-01', 'municipal_nhi'), 24,
          'every role reads the calendar');
RESET ROLE;

-- System time: the database sets it, from the transaction, with the user
-- (three change sets: the two-entry one, city_mailing_days, zero lead days).
SELECT is((SELECT count(*) FROM mynahoken.legal_change_set
            WHERE recorded_at = transaction_timestamp() AND recorded_by = session_user), 3::bigint,
          'each change set holds the transaction time and the session user (the login, whatever SET ROLE)');
SELECT is((SELECT count(*) FROM mynahoken.legal_parameter_entry e JOIN mynahoken.legal_change_set c USING (change_set_id)
            WHERE e.name IN ('certificate_term_months', 'certificate_renewal_month') AND e.scope = 'municipal_nhi'),
          2::bigint, 'the two entries of the change set share it');
SELECT is((SELECT count(*) FROM mynahoken.legal_parameter_entry WHERE shipped AND change_set_id IS NOT NULL), 0::bigint,
          'shipped entries belong to no change set');
-- As known on a day: both or neither.
SELECT is(ARRAY[mynahoken.legal_value_int('certificate_term_months', '2027-05-01', 'municipal_nhi', k),
                mynahoken.legal_value_int('certificate_renewal_month', '2027-05-01', 'municipal_nhi', k)],
          want, format('as known on %s: term and renewal month %s', k, want))
  FROM (VALUES (current_date - 1, ARRAY[1, 8]), (current_date, ARRAY[24, 4])) AS v(k, want);
SELECT is(mynahoken.certificate_valid_until('municipal_nhi', '2027-05-01', k), want,
          format('as known on %s a 資格確認書 issued 2027-05-01 is valid until %s', k, want))
  FROM (VALUES (current_date - 1, date '2027-07-31'), (current_date, date '2030-03-31')) AS v(k, want);
-- As held at a time (audit): before the transaction, neither.
SELECT is(ARRAY[(mynahoken.legal_entry_held_at('certificate_term_months', '2027-05-01', 'municipal_nhi', t)).value_int,
                (mynahoken.legal_entry_held_at('certificate_renewal_month', '2027-05-01', 'municipal_nhi', t)).value_int],
          want, format('as held %s: %s', label, want))
  FROM (VALUES (transaction_timestamp() - interval '1 second', ARRAY[1, 8], 'a second before the change set'),
               (transaction_timestamp(), ARRAY[24, 4], 'at the time of the change set')) AS v(t, want, label);
SELECT throws_ok($$SELECT mynahoken.legal_entry_held_at('city_mailing_days', '2027-05-01', NULL, transaction_timestamp() - interval '1 day')$$,
                 'P0002', 'no value for legal parameter "city_mailing_days" on the given day',
                 'a parameter recorded later was not held the day before');

-- Backdating: listed with its reason.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('city_mailing_days', 'municipal_nhi', '(,)', '45',
                    (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'), current_date - 40,
                    reason => 'entered late: the decision of 40 days ago')$$,
                'a knowledge day 40 days back is recorded with a reason');
SELECT is((SELECT array_agg(reason) FROM mynahoken.legal_change_sets WHERE backdated),
          ARRAY['entered late: the decision of 40 days ago'], 'legal_change_sets lists the backdated change set and its reason');
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('city_mailing_days', 'seamen', '(,)', '45',
                    (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'), current_date - 32)$$,
                 '22023', NULL, 'a knowledge day 32 days back without a reason is refused');
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('city_mailing_days', 'seamen', '(,)', '45',
                    (SELECT source_id FROM mynahoken.legal_source WHERE code = 'city-2026-11'), current_date - 31)$$,
                'a knowledge day 31 days back needs no reason');

SELECT * FROM finish();
ROLLBACK;
