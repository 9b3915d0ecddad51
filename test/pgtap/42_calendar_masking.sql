-- No silent masking (doc/decisions.md, "Which value is in force"): of the
-- values for a category and for every category that cover a day, the one
-- recorded later is in force, unless the category's own is marked keep_own.
-- The SQL lookup (legal_value_*) and the C cache of the decision functions
-- (transition_rules, the decisions) follow the same rule.
BEGIN;
SET client_min_messages = warning;
SELECT * FROM no_plan();

CREATE TEMP VIEW cats AS
SELECT c FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c;
CREATE TEMP TABLE src AS
SELECT source_id AS id FROM mynahoken.legal_source WHERE code = 'mynahoken-default';

-- Before: on 2026-09-01 no category accepts an expired card.
SELECT is(mynahoken.legacy_card_accepted(c, '2026-09-01', '2020-04-01', NULL, '2024-08-01', '2025-07-31'), false,
          format('%s: an expired card is refused on 2026-09-01 before any notice', c))
  FROM cats;

-- 国保 keeps its own value (keep_own) ten days ago; 退職者医療 records its own without keeping it.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('expired_card_acceptance', 'municipal_nhi', '[2026-04-01,)',
                    '[2025-08-01,2026-03-31]', (SELECT id FROM src), current_date - 10, keep_own => true)$$,
                'a category records its own value and keeps it');
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('expired_card_acceptance', 'retiree_nhi', '[2026-04-01,)',
                    '[2025-08-01,2026-03-31]', (SELECT id FROM src), current_date - 10)$$,
                'another category records its own value without keeping it');
-- A (hypothetical) notice for every category, recorded once, today.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('expired_card_acceptance', NULL, '[2026-04-01,)',
                    '[2026-04-01,2026-09-30]', (SELECT id FROM src), current_date)$$,
                'a value for every category is recorded once');
SELECT is(mynahoken.legacy_card_accepted(c, '2026-09-01', '2020-04-01', NULL, '2024-08-01', '2025-07-31'),
          c <> 'municipal_nhi',
          format('%s: on 2026-09-01 the value for every category recorded later is in force%s', c,
                 CASE WHEN c = 'municipal_nhi' THEN ', except where the category kept its own' ELSE '' END))
  FROM cats;
SELECT is(mynahoken.legacy_card_accepted(c, '2026-09-01', '2020-04-01', NULL, '2024-08-01', '2025-07-31', current_date - 1),
          false, format('%s: as known yesterday the card was refused on 2026-09-01', c))
  FROM cats;
SELECT is(mynahoken.legal_value_range('expired_card_acceptance', '2026-09-01', c),
          CASE WHEN c = 'municipal_nhi' THEN '[2025-08-01,2026-03-31]' ELSE '[2026-04-01,2026-09-30]' END::daterange,
          format('%s: the SQL lookup gives the value in force', c))
  FROM cats;
-- The C cache and the SQL lookup agree for every category, day and knowledge day.
SELECT is((SELECT count(*) FROM cats,
                  unnest(ARRAY[date '2025-07-31', '2025-08-01', '2025-12-01', '2025-12-02', '2026-03-31',
                               '2026-04-01', '2026-09-30', '2026-10-01']) AS d,
                  unnest(ARRAY[NULL, current_date - 11, current_date - 10, current_date - 1, current_date]) AS k
            WHERE (mynahoken.transition_rules(c, d, k)).expired_card_acceptance
                  IS DISTINCT FROM mynahoken.legal_value_range('expired_card_acceptance', d, c, k)), 0::bigint,
          'transition_rules (C) and legal_value_range (SQL) give the same value for every category, day and knowledge day');

-- What the new value does to the others is reported.
SELECT set_eq($$SELECT o.scope::text, o.relation
                  FROM mynahoken.legal_entry_relations(
                         (SELECT max(parameter_id) FROM mynahoken.legal_parameter_entry
                           WHERE name = 'expired_card_acceptance' AND scope IS NULL)) AS o$$,
              $$VALUES ('municipal_nhi', 'is masked by'), ('retiree_nhi', 'masks'), (NULL, 'supersedes'),
                       ('municipal_nhi', 'masks'), ('nhi_society', 'masks'), ('retiree_nhi', 'masks'),
                       ('late_elderly', 'masks')$$,
              'legal_entry_relations lists the entries a value supersedes, masks, or is masked by');

-- 協会けんぽ's own term is kept against a later default for every category.
SELECT lives_ok($$SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2024-12-02,)', '24',
                    (SELECT id FROM src), current_date)$$,
                'a later default term for every category is recorded');
SELECT is(mynahoken.certificate_valid_until(c, '2026-12-15'),
          CASE WHEN c = 'kyokai_kenpo' THEN date '2031-11-30' ELSE date '2029-07-31' END,
          format('%s: 資格確認書 issued 2026-12-15 valid until %s', c,
                 CASE WHEN c = 'kyokai_kenpo' THEN '2031-11-30 (its own term, kept)' ELSE '2029-07-31 (the later default)' END))
  FROM cats;

-- keep_own is for the value of one category.
SELECT throws_ok($$SELECT mynahoken.record_legal_parameter('certificate_term_months', NULL, '[2030-01-01,)', '12',
                     (SELECT id FROM src), current_date, keep_own => true)$$,
                 '22023', 'only a value of one insurer category can keep its own against later values',
                 'keep_own for every category is refused');
SELECT throws_ok($$INSERT INTO mynahoken.legal_parameter_entry (name, value_type, valid, recorded_on, value_int, source_id, keep_own)
                   VALUES ('certificate_term_months', 'int', '[2030-01-01,)', current_date, 12, (SELECT id FROM src), true)$$,
                 '23514', NULL, 'the table refuses keep_own without a category');

SELECT * FROM finish();
ROLLBACK;
