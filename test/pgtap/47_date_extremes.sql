-- pgTAP: every function returning a date, a timestamp or a range of dates,
-- called with each of its date arguments at -infinity, infinity, the lowest
-- and the highest date PostgreSQL stores.  Each call either returns a value
-- whose text form reads back as the same value (so it survives a dump and
-- restore), or raises a clear error: 22008 for a date out of range, or the
-- documented "no value on the given day" / "no 資格確認書" errors; never an
-- unreadable value, never an internal error (issue 12, item 5).
BEGIN;
SELECT plan(31);
SET LOCAL search_path = public, mynahoken;

-- X is replaced by each extreme date; a call may name its result type.
CREATE TEMP TABLE call (fn regprocedure, template text, result_type regtype DEFAULT 'date');
INSERT INTO call VALUES
 ('mynahoken.acquisition_report_deadline(mynahoken.insurer_category,date,date)', $$mynahoken.acquisition_report_deadline('kyokai_kenpo', X, NULL)$$),
 ('mynahoken.acquisition_report_deadline(mynahoken.insurer_category,date,date)', $$mynahoken.acquisition_report_deadline('kyokai_kenpo', '2025-09-01', X)$$),
 ('mynahoken.acquisition_report_due(mynahoken.insurer_category,date,date)', $$mynahoken.acquisition_report_due('kyokai_kenpo', X, NULL)$$),
 ('mynahoken.acquisition_report_due(mynahoken.insurer_category,date,date)', $$mynahoken.acquisition_report_due('kyokai_kenpo', '2025-09-01', X)$$),
 ('mynahoken.acquisition_report_due_by_rules(mynahoken.transition_rules,date)', $$mynahoken.acquisition_report_due_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), X)$$),
 ('mynahoken.certificate_valid_until(mynahoken.insurer_category,date,date)', $$mynahoken.certificate_valid_until('kyokai_kenpo', X, NULL)$$),
 ('mynahoken.certificate_valid_until(mynahoken.insurer_category,date,date)', $$mynahoken.certificate_valid_until('kyokai_kenpo', '2025-09-01', X)$$),
 ('mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules,date)', $$mynahoken.certificate_valid_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), X)$$),
 ('mynahoken.legacy_card_usable_until(mynahoken.insurer_category,date,date,date,date)', $$mynahoken.legacy_card_usable_until('kyokai_kenpo', X, NULL, NULL, NULL)$$),
 ('mynahoken.legacy_card_usable_until(mynahoken.insurer_category,date,date,date,date)', $$mynahoken.legacy_card_usable_until('kyokai_kenpo', '2024-01-01', X, NULL, NULL)$$),
 ('mynahoken.legacy_card_usable_until(mynahoken.insurer_category,date,date,date,date)', $$mynahoken.legacy_card_usable_until('kyokai_kenpo', '2024-01-01', NULL, X, NULL)$$),
 ('mynahoken.legacy_card_usable_until(mynahoken.insurer_category,date,date,date,date)', $$mynahoken.legacy_card_usable_until('kyokai_kenpo', '2024-01-01', NULL, NULL, X)$$),
 ('mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules,date,date,date)', $$mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), X, NULL, NULL)$$),
 ('mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules,date,date,date)', $$mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), '2024-01-01', X, NULL)$$),
 ('mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules,date,date,date)', $$mynahoken.legacy_card_usable_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), '2024-01-01', NULL, X)$$),
 ('mynahoken.myna_usable_until(mynahoken.insurer_category,date,date)', $$mynahoken.myna_usable_until('kyokai_kenpo', X, NULL)$$),
 ('mynahoken.myna_usable_until(mynahoken.insurer_category,date,date)', $$mynahoken.myna_usable_until('kyokai_kenpo', '2025-09-01', X)$$),
 ('mynahoken.myna_usable_until_by_rules(mynahoken.transition_rules,date)', $$mynahoken.myna_usable_until_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), X)$$),
 ('mynahoken.next_open_day(date)', $$mynahoken.next_open_day(X)$$),
 ('mynahoken.linkage_due_on(date,integer)', $$mynahoken.linkage_due_on(X, 5)$$),
 ('mynahoken.issuance_send_by(mynahoken.issuance_document,date,daterange,integer)', $$mynahoken.issuance_send_by('certificate', X, NULL, 14)$$),
 ('mynahoken.rule_add_months(date,integer)', $$mynahoken.rule_add_months(X, 12)$$),
 ('mynahoken.rule_birthday(date,integer)', $$mynahoken.rule_birthday(X, 75)$$),
 ('mynahoken.rule_month_end(date)', $$mynahoken.rule_month_end(X)$$),
 ('mynahoken.rule_next_month_day(date,integer,integer)', $$mynahoken.rule_next_month_day(X, 7, 31)$$),
 ('mynahoken.legal_value_date(text,date,mynahoken.insurer_category,date)', $$mynahoken.legal_value_date('card_issue_end', X)$$),
 ('mynahoken.legal_value_date(text,date,mynahoken.insurer_category,date)', $$mynahoken.legal_value_date('card_issue_end', '2025-09-01', NULL, X)$$),
 ('mynahoken.transition_rules(mynahoken.insurer_category,date,date)', $$(mynahoken.transition_rules('kyokai_kenpo', X, NULL)).day$$),
 ('mynahoken.transition_rules(mynahoken.insurer_category,date,date)', $$(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', X)).day$$),
 ('mynahoken.transition_rules_for_insurer(mynahoken.insurer_number,date,date)', $$(mynahoken.transition_rules_for_insurer('01130012', X, NULL)).day$$),
 ('mynahoken.legal_entry_at(text,date,mynahoken.insurer_category,date)', $$(mynahoken.legal_entry_at('card_issue_end', X)).value_date$$),
 ('mynahoken.legal_entry_at(text,date,mynahoken.insurer_category,date)', $$(mynahoken.legal_entry_at('card_issue_end', '2025-09-01', NULL, X)).value_date$$),
 ('mynahoken.legal_entry_for_insurer(text,date,mynahoken.insurer_number,date)', $$(mynahoken.legal_entry_for_insurer('card_issue_end', X, '01130012')).value_date$$),
 ('mynahoken.legal_entry_held_at(text,date,mynahoken.insurer_category,timestamp with time zone,date)', $$(mynahoken.legal_entry_held_at('card_issue_end', X, NULL, now())).value_date$$),
 ('mynahoken.rule_param_entry(text,date,mynahoken.insurer_category,mynahoken.insurer_number,date,timestamp with time zone)', $$(mynahoken.rule_param_entry('card_issue_end', X, NULL, '01130012', NULL, now())).value_date$$),
 ('mynahoken.legal_parameter_at(text,date,mynahoken.insurer_category,date)', $$(mynahoken.legal_parameter_at('card_issue_end', X)).value_date$$);
INSERT INTO call VALUES
 ('mynahoken.notice_sending_window(mynahoken.insurer_category,date,date)', $$mynahoken.notice_sending_window('kyokai_kenpo', X, NULL)$$, 'daterange'),
 ('mynahoken.notice_sending_window(mynahoken.insurer_category,date,date)', $$mynahoken.notice_sending_window('kyokai_kenpo', '2025-09-01', X)$$, 'daterange'),
 ('mynahoken.notice_sending_window_by_rules(mynahoken.transition_rules,date)', $$mynahoken.notice_sending_window_by_rules(mynahoken.transition_rules('kyokai_kenpo', '2025-09-01', NULL), X)$$, 'daterange'),
 ('mynahoken.legal_value_range(text,date,mynahoken.insurer_category,date)', $$mynahoken.legal_value_range('notice_round2_window', X)$$, 'daterange'),
 ('mynahoken.legal_value_range(text,date,mynahoken.insurer_category,date)', $$mynahoken.legal_value_range('notice_round2_window', '2025-09-01', NULL, X)$$, 'daterange'),
 -- the oldest problem (no rows here: NULL) and the unsent_days arithmetic on as_of
 ('mynahoken.issuance_health(integer,date)', $$(SELECT max(h.since) FROM mynahoken.issuance_health(7, X) h)$$, 'timestamptz'),
 -- years at the ends of the calendar; a set: every day must read back
 ('mynahoken.holidays_by_rules(integer,integer)', $$(SELECT max(h.day) FROM mynahoken.holidays_by_rules(extract(year FROM least(greatest(X, '0001-01-01'::date), '9999-12-31'::date))::int, extract(year FROM least(greatest(X, '0001-01-01'::date), '9999-12-31'::date))::int) h)$$, 'date');

-- Functions whose dates come only from stored rows or certificates, not
-- from a computation on a date argument (verify_* and certificate_facts:
-- X.509 times, see test/pgtap/30_certificates.sql).
CREATE TEMP TABLE not_computed (fn regprocedure, why text);
INSERT INTO not_computed VALUES
 ('mynahoken.issuance_candidates(date,date,bigint,bigint)', 'internal to plan_issuance, whose arguments are checked first (51_issuance_plan.sql)'),
 ('mynahoken.legal_entry_relations(bigint)', 'stored rows only'),
 ('mynahoken.rule_run_tests(text,bigint)', 'stored rows only'),
 ('mynahoken.rule_versions_used(text,bigint,timestamp with time zone)', 'stored rows only (rule versions)'),
 ('mynahoken.issuance_cron_runs(text)', 'pg_cron''s stored rows only');

CREATE FUNCTION pg_temp.outcome(call text, typ regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text; back text;
BEGIN
  BEGIN
    EXECUTE 'SELECT (' || call || ')::text' INTO t;
  EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
  END;
  IF t IS NULL THEN RETURN 'null'; END IF;
  BEGIN
    EXECUTE format('SELECT (%L::%s)::text', t, typ) INTO back;
  EXCEPTION WHEN OTHERS THEN
    RETURN 'unreadable ' || t;
  END;
  RETURN CASE WHEN back = t THEN 'value' ELSE 'changed ' || t END;
END $$;

CREATE TEMP TABLE outcome AS
SELECT c.fn, c.template, x.d, pg_temp.outcome(replace(c.template, 'X', quote_literal(x.d) || '::date'), c.result_type) AS o
  FROM call c,
       (VALUES ('-infinity'), ('infinity'), ('4714-11-24 BC'), ('5874897-12-31')) x(d);

-- every function of the extension with a date in its result is covered
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
            WHERE p.pronamespace = 'mynahoken'::regnamespace
              AND (pg_get_function_result(p.oid) ~ '(date|timestamp|daterange)'
                   OR p.prorettype IN (SELECT t.oid FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid
                                        WHERE a.atttypid IN ('date'::regtype, 'daterange'::regtype) AND a.attnum > 0))
              AND p.oid NOT IN (SELECT fn FROM not_computed)
              AND p.proname NOT IN ('verify_certificate', 'verify_signature', 'certificate_facts', 'legal_value_check_type')),
          (SELECT array_agg(DISTINCT fn::text ORDER BY fn::text) FROM call),
          'every date-returning function has its extreme-date calls in this table');

-- per function: only readable values and clear errors
SELECT is((SELECT string_agg(o.d || ' in ' || o.template || ': ' || o.o, '; ')
             FROM outcome o WHERE o.fn = f.fn
              AND o.o NOT IN ('value', 'null', '22008', 'P0002', '22023')),
          NULL, f.fn::text || ': a readable value or a clear error at every extreme date')
  FROM (SELECT DISTINCT fn FROM call ORDER BY 1) f;

-- the faults found: results past the last date are 22008, not an unreadable date
SELECT is((SELECT string_agg(o.o, ',' ORDER BY o.template) FROM outcome o
            WHERE o.d = '5874897-12-31' AND o.template ~ '^mynahoken\.(certificate_valid_until|myna_usable_until|acquisition_report_due)\(''kyokai_kenpo'', X'),
          '22008,22008,22008',
          '資格確認書 validity, マイナ保険証 grace end and report due date at the last date: 22008');

SELECT * FROM finish();
ROLLBACK;
