-- Rule engine (issue 11), versions in time:
--   * policy (e): a notice published later changes a date retroactively; the
--     decision for a past night with what was known then (known_on) and
--     with what the database held then (as_recorded_at), and the
--     explanation with its sources;
--   * the system time of a version is the database's; a withdrawal keeps the
--     activation;
--   * change sets: a rule version and a calendar entry made visible together,
--     by an approver other than the author;
--   * the dry run of a draft over the member population (rule_diff).
-- Rolled back at the end.
BEGIN;
SET datestyle = ISO;
SELECT plan(29);

CREATE SCHEMA tap_time;
GRANT USAGE ON SCHEMA tap_time TO PUBLIC;
CREATE TABLE tap_time.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date
);
-- 資格 since 2015, My Number held, マイナ保険証 registered and usable: nationally not_needed.
INSERT INTO tap_time.members
SELECT k, '06139992', b, '2015-04-01', NULL, 'E1', true, '2022-01-01', NULL, '2030-01-01', NULL, NULL
  FROM (VALUES ('E1', date '1946-03-01'),   -- 80 on 2026-07-20
               ('E2', date '1949-03-01'),   -- 77
               ('E3', date '1956-03-01')    -- 70
       ) AS m(k, b);
SELECT mynahoken.register_member_source('tap_time.members');
CREATE ROLE tap_time_author IN ROLE mynahoken_rule_author, mynahoken_calendar_author;
CREATE ROLE tap_time_approver IN ROLE mynahoken_rule_approver, mynahoken_calendar_author;
CREATE ROLE tap_time_both IN ROLE mynahoken_rule_author, mynahoken_rule_approver;
GRANT SELECT ON tap_time.members TO tap_time_approver, tap_time_author;

-- ---------------------------------------------------------------------------
-- Policy (e).  A 組合 notice of 2026-05-01: from 2026-09-01 its members aged
-- 75 or over get a 資格確認書.  A notice published on 2026-07-15 moves the
-- start back to 2026-07-01; it is keyed into the database later, after the
-- night of 2026-07-20 was planned.
SET ROLE tap_time_author;
SELECT mynahoken.rule_outcome_add('certificate_need', 'e_age_policy', '組合の年齢基準による交付', true, 50);
SELECT mynahoken.rule_table_define('e.age', 'certificate_need', '{06139992}', 'national.certificate_need:myna', 'first');
SELECT mynahoken.rule_version_record('e.age', '[2026-09-01,)', 'kumiai-notice-2026-05-01', '2026-05-01', $grid$
  row | age   || outcome
  1   | >= 75 || e_age_policy
$grid$) AS v1 \gset
SET ROLE tap_time_approver;
SELECT is_empty(format('SELECT * FROM mynahoken.rule_activate(%L, %s) a WHERE a.severity <> ''info''', 'e.age', :v1), 'the first notice is activated');
RESET ROLE;
-- the night of 2026-07-20 is planned now: what the database held then
SELECT pg_catalog.clock_timestamp() AS night \gset
SET ROLE tap_time_author;
SELECT mynahoken.rule_version_record('e.age', '[2026-07-01,)', 'kumiai-notice-2026-07-15', '2026-07-15', $grid$
  row | age   || outcome
  1   | >= 75 || e_age_policy
$grid$, note => 'the start moved back to 2026-07-01') AS v2 \gset
SET ROLE tap_time_approver;
SELECT is_empty(format('SELECT * FROM mynahoken.rule_activate(%L, %s) a WHERE a.severity <> ''info''', 'e.age', :v2), 'the later notice is activated');
RESET ROLE;

SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20', '2026-07-10') e ORDER BY 1$$,
                  $$VALUES ('E1', 'not_needed'), ('E2', 'not_needed'), ('E3', 'not_needed')$$,
                  'known then (2026-07-10): the rule starts on 2026-09-01, nobody gets one on 2026-07-20');
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20', '2026-07-20') e ORDER BY 1$$,
                  $$VALUES ('E1', 'e_age_policy'), ('E2', 'e_age_policy'), ('E3', 'not_needed')$$,
                  'known on 2026-07-20 (the notice of 2026-07-15): the members aged 75 or over get one, retroactively');
SELECT results_eq(format($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20', NULL, %L) e ORDER BY 1$$, :'night'),
                  $$VALUES ('E1', 'not_needed'), ('E2', 'not_needed'), ('E3', 'not_needed')$$,
                  'as the database held it on the night: the later notice was not there, whatever the knowledge day');
SELECT results_eq(format($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20', '2026-07-20', %L) e ORDER BY 1$$, :'night'),
                  $$VALUES ('E1', 'not_needed'), ('E2', 'not_needed'), ('E3', 'not_needed')$$,
                  'known on 2026-07-20 but held on the night: still the first notice only');
SELECT results_eq(format($$SELECT e.member_key, e.outcome, e.version_id = %s FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20', NULL, %L) e ORDER BY 1$$,
                         :v2, pg_catalog.clock_timestamp()),
                  $$VALUES ('E1', 'e_age_policy', true), ('E2', 'e_age_policy', true), ('E3', 'not_needed', false)$$,
                  'as held now: the later notice decides');
SELECT results_eq($$SELECT e.member_key, e.outcome, e.layer FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20', NULL, '2020-01-01') e ORDER BY 1$$,
                  $$VALUES ('E1', 'not_needed', 'national'), ('E2', 'not_needed', 'national'), ('E3', 'not_needed', 'national')$$,
                  'held before any insurer version (2020): the national table, shipped with the extension, decides');
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-07-20') e ORDER BY 1$$,
                  $$SELECT e.member_key, e.outcome FROM mynahoken.rule_eval_certificate_need('2026-07-20') e ORDER BY 1$$,
                  'rule_evaluate without a time gives the compiled decision');
-- the explanations, with their sources
SELECT is(mynahoken.rule_explain('certificate_need', 'E1', '2026-07-20', '2026-07-20')->'rule_version'->>'source',
          'kumiai-notice-2026-07-15', 'known on 2026-07-20: the explanation names the later notice as the source');
SELECT is(mynahoken.rule_explain('certificate_need', 'E1', '2026-07-20', '2026-07-20')->>'layer_chain',
          format('row 1 of e.age v%s (source kumiai-notice-2026-07-15) overrides national.certificate_need:myna', :v2),
          'and the layer chain: the insurer row over the national label');
SELECT is((SELECT jsonb_build_object('outcome', x->'outcome', 'layer', x->'layer',
                                     'insurer_rows_tried', jsonb_array_length(jsonb_path_query_array(x->'rows_tried', '$[*] ? (@.table_name != "national.certificate_need")')),
                                     'national_rows_tried', jsonb_array_length(jsonb_path_query_array(x->'rows_tried', '$[*] ? (@.table_name == "national.certificate_need")')),
                                     'held', x ? 'as_recorded_at')
             FROM mynahoken.rule_explain('certificate_need', 'E1', '2026-07-20', '2026-07-20', :'night') AS x),
          '{"held": true, "layer": "national", "outcome": "not_needed", "insurer_rows_tried": 0, "national_rows_tried": 19}'::jsonb,
          'as held on the night: national, no insurer row in force (the national rows tried up to the last, not_needed), and the time asked');
SELECT is((mynahoken.rule_explain('certificate_need', 'E1', '2026-09-02', NULL, :'night')->'rule_version'->>'source'),
          'kumiai-notice-2026-05-01', 'as held on the night, on 2026-09-02: the first notice, with its source');
SELECT is((SELECT x->'parameters' FROM mynahoken.rule_explain('certificate_need', 'E1', '2026-07-20', '2026-07-20') AS x) IS NOT NULL,
          true, 'the explanation lists the parameters read with their sources');

-- ---------------------------------------------------------------------------
-- System time: the database's, and a withdrawal keeps the activation.
SELECT ok((SELECT v.recorded_at > :'night'::timestamptz AND v.activated_at > v.recorded_at
             FROM mynahoken.rule_version v WHERE v.version_id = :v2),
          'recorded_at and activated_at of the later notice come after the night');
SET ROLE tap_time_author;
SELECT throws_ok($$INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, recorded_at)
                   VALUES ('e.age', '[2027-01-01,)', '2026-11-01', 'x', '{age}', '2020-01-01')$$,
                 '42501', NULL, 'an author cannot set the system time');
RESET ROLE;
SET ROLE tap_time_approver;
UPDATE mynahoken.rule_version SET status = 'withdrawn' WHERE version_id = :v1;
RESET ROLE;
SELECT is((SELECT (v.approved_by, v.withdrawn_by, v.activated_at < v.withdrawn_at)::text FROM mynahoken.rule_version v WHERE v.version_id = :v1),
          '(tap_time_approver,tap_time_approver,t)', 'a withdrawal is recorded beside the activation, which stays');
SELECT results_eq(format($$SELECT e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-09-02', '2026-06-01', %L) e WHERE e.member_key = 'E1'$$, :'night'),
                  $$VALUES ('e_age_policy')$$, 'held on the night, the first notice was in force: the withdrawal came later');
SELECT results_eq($$SELECT e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2026-09-02', '2026-06-01') e WHERE e.member_key = 'E1'$$,
                  $$VALUES ('not_needed')$$, 'now it is withdrawn');

-- ---------------------------------------------------------------------------
-- Dry run: a draft raising the age to 78 from 2027, counted over the
-- members before activation (before -> after, the changes first).
SET ROLE tap_time_author;
SELECT mynahoken.rule_version_record('e.age', '[2027-01-01,)', 'kumiai-draft', current_date, $grid$
  row | age   || outcome
  1   | >= 78 || e_age_policy
$grid$) AS v4 \gset
RESET ROLE;
SET ROLE tap_time_approver;
SELECT results_eq(format($$SELECT d.before, d.after, d.members, d.changed FROM mynahoken.rule_diff(%s, '2027-02-01') AS d$$, :v4),
                  $$VALUES ('e_age_policy', 'not_needed', 1::bigint, true), ('e_age_policy', 'e_age_policy', 1::bigint, false),
                           ('not_needed', 'not_needed', 1::bigint, false)$$,
                  'rule_diff: the member aged 77 would lose the insurer''s ground, the others keep their outcome');
SELECT throws_ok($$SELECT * FROM mynahoken.rule_diff(-1, '2027-02-01')$$, '42704', 'no rule version -1', 'rule_diff of an unknown version');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Change sets: an insurer threshold (a calendar entry) and the version that
-- reads it, visible together.
SET ROLE tap_time_author;
INSERT INTO mynahoken.legal_source (code, kind, title, issuer, issued_on)
VALUES ('kumiai-2026-11', 'insurer_decision', '年齢基準の改定', '組合', current_date);
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description)
VALUES ('e_age_threshold', 'int', 'years', 'Age from which the 組合 issues a 資格確認書');
SELECT mynahoken.rule_change_set_open('threshold 70 from 2027-01-01',
         jsonb_build_array(jsonb_build_object('name', 'e_age_threshold', 'valid', '[2027-01-01,)', 'value', '70',
                                              'source', 'kumiai-2026-11')),
         current_date) AS cs \gset
SELECT mynahoken.rule_version_record('e.age', '[2027-01-01,)', 'kumiai-2026-11', current_date, $grid$
  row | age                         || outcome
  1   | >= param(e_age_threshold)   || e_age_policy
$grid$) AS v3 \gset
SELECT lives_ok(format('SELECT mynahoken.rule_change_set_add(%s, %s)', :cs, :v3), 'the author adds the draft to the set');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM mynahoken.legal_parameter_entry e WHERE e.name = 'e_age_threshold'), 0,
          'before activation the calendar has no entry of the set');
SELECT is((SELECT string_agg(c.detail, '; ') FROM mynahoken.rule_check(:v3) c WHERE c.severity = 'error'),
          'parameter e_age_threshold has no value for 06139992 on {[2027-01-01,)}',
          'the version alone would be refused: its parameter comes with the set');
SET ROLE tap_time_approver;
SELECT throws_ok(format('SELECT * FROM mynahoken.rule_activate(%L, %s)', 'e.age', :v3), '55000',
                 format('rule version %s belongs to change set %s, which is activated as a whole', :v3, :cs),
                 'a version of a change set is not activated alone');
RESET ROLE;
SET ROLE tap_time_both;
SELECT mynahoken.rule_change_set_open('four eyes') AS cs2 \gset
SELECT throws_ok(format('SELECT * FROM mynahoken.rule_change_set_activate(%s)', :cs2), '42501',
                 format('change set %s was opened by tap_time_both, who cannot also approve it', :cs2),
                 'the author of a change set cannot approve it');
RESET ROLE;
SET ROLE tap_time_approver;
SELECT is_empty(format('SELECT * FROM mynahoken.rule_change_set_activate(%s) a WHERE a.severity <> ''info''', :cs), 'the approver activates the set');
RESET ROLE;
SELECT is((SELECT (cs.status, cs.approved_by, e.change_set_id = cs.legal_change_set_id, v.status, v.activated_at = cs.activated_at)::text
             FROM mynahoken.rule_change_set cs
             JOIN mynahoken.legal_parameter_entry e ON e.name = 'e_age_threshold'
             JOIN mynahoken.rule_version v ON v.version_id = :v3
            WHERE cs.change_set_id = :cs),
          '(active,tap_time_approver,t,active,t)',
          'after activation: the entry recorded in the set''s legal change set, the version active at the set''s time');
SELECT results_eq($$SELECT e.member_key, e.outcome FROM mynahoken.rule_evaluate('certificate_need', '2027-02-01') e ORDER BY 1$$,
                  $$VALUES ('E1', 'e_age_policy'), ('E2', 'e_age_policy'), ('E3', 'e_age_policy')$$,
                  'from 2027-01-01 the member aged 70 gets one too: the threshold and the row that reads it came together');
SELECT * FROM finish();
ROLLBACK;
