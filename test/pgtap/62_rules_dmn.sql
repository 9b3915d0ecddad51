-- DMN interop (issue 15): decision tables drawn in a modeler, imported from
-- DMN 1.3/1.4/1.5 XML into draft rule versions and exported back.
--   * the FEEL unary tests read, and the refusal of each construct outside
--     the subset with its message (rule, column, character; never the text);
--   * the conformance tables of test/dmn (our own files, written after the
--     semantics of the DMN TCK compliance-level-2 decision tables: hit
--     policies U, A, P, F, R, C, C<, C>, and the refused C+, C#, O,
--     multi-output and a broken U), each imported, activated, its cases
--     evaluated by the compiled decision and compared, with the pass count;
--   * import(export(v)) gives the same version, for every table.
-- Rolled back at the end.
BEGIN;
SET datestyle = ISO;

CREATE SCHEMA dmn_t;
GRANT USAGE ON SCHEMA dmn_t TO PUBLIC;
CREATE TABLE dmn_t.members (
  member_key text PRIMARY KEY, insurer_number text, birth_date date, acquired_on date, lost_on date,
  employer text, my_number_linked boolean, myna_registered_on date, myna_withdrawn_on date,
  ecert_expires_on date, certificate_requested_on date, certificate_valid_until date,
  dmn_age integer, dmn_care text, dmn_alone boolean, dmn_applied_on date
);
SELECT mynahoken.register_member_source('dmn_t.members');
CREATE ROLE tap_dmn_author IN ROLE mynahoken_rule_author;
CREATE ROLE tap_dmn_approver IN ROLE mynahoken_rule_approver;
GRANT SELECT ON dmn_t.members TO tap_dmn_approver;

-- The files, read by psql from the working directory (the repository).
CREATE TABLE dmn_t.file (name text PRIMARY KEY, doc text NOT NULL, spec jsonb NOT NULL);
GRANT SELECT ON dmn_t.file TO PUBLIC;
\set cases `cat test/dmn/cases.json`
\set f01 `cat test/dmn/01_unique.dmn`
\set f02 `cat test/dmn/02_any.dmn`
\set f03 `cat test/dmn/03_priority.dmn`
\set f04 `cat test/dmn/04_first.dmn`
\set f05 `cat test/dmn/05_rule_order.dmn`
\set f06 `cat test/dmn/06_collect.dmn`
\set f07 `cat test/dmn/07_collect_min.dmn`
\set f08 `cat test/dmn/08_collect_max.dmn`
\set f09 `cat test/dmn/09_collect_sum.dmn`
\set f10 `cat test/dmn/10_collect_count.dmn`
\set f11 `cat test/dmn/11_multi_output.dmn`
\set f12 `cat test/dmn/12_output_order.dmn`
\set f13 `cat test/dmn/13_unique_overlap.dmn`
\set f14 `cat test/dmn/14_feel.dmn`
INSERT INTO dmn_t.file (name, doc, spec)
SELECT d.name, d.doc, (:'cases'::jsonb)->d.name
  FROM (VALUES ('01_unique', :'f01'), ('02_any', :'f02'), ('03_priority', :'f03'), ('04_first', :'f04'),
               ('05_rule_order', :'f05'), ('06_collect', :'f06'), ('07_collect_min', :'f07'),
               ('08_collect_max', :'f08'), ('09_collect_sum', :'f09'), ('10_collect_count', :'f10'),
               ('11_multi_output', :'f11'), ('12_output_order', :'f12'), ('13_unique_overlap', :'f13'),
               ('14_feel', :'f14')) AS d(name, doc);
CREATE TABLE dmn_t.case_ (name text, n integer, facts jsonb, expect jsonb);
INSERT INTO dmn_t.case_
SELECT f.name, c.n, c.v->'in', c.v->'out'
  FROM dmn_t.file f, jsonb_array_elements(f.spec->'cases') WITH ORDINALITY AS c(v, n);

SELECT plan(73 + (SELECT count(*)::int FROM dmn_t.case_));

SELECT is((SELECT count(*)::int FROM dmn_t.file WHERE spec IS NOT NULL), 14, 'the 14 conformance files of test/dmn and their expectations are read');

-- ---------------------------------------------------------------------------
-- The analyst's facts and outcomes; helpers that report a SQLSTATE.
SET ROLE tap_dmn_author;
SELECT mynahoken.rule_fact_add('dmn_age', 'int', 'dmn_age', 'Age as the modeler''s table tests it', lo => 0, hi => 150);
SELECT mynahoken.rule_fact_add('dmn_care', 'text', 'dmn_care', 'Care level: none, support, care');
SELECT mynahoken.rule_fact_add('dmn_alone', 'boolean', 'dmn_alone', 'Lives alone');
SELECT mynahoken.rule_fact_add('dmn_applied_on', 'date', 'dmn_applied_on', 'Day of the application; NULL: none');
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_issue', '交付', true, 10);
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_renew', '更新', true, 20);
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_refer', '照会', true, 30);
SELECT mynahoken.rule_outcome_add('certificate_need', 'dmn_decline', '交付しない', false, 40);
RESET ROLE;

-- The error of a statement as "SQLSTATE message / detail", or ok.
CREATE FUNCTION dmn_t.err(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text;
BEGIN
  EXECUTE stmt;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RETURN s || ' ' || m || coalesce(' / ' || nullif(d, ''), '');
END $$;

-- A one-rule table over one fact, for the FEEL constructs.
CREATE FUNCTION dmn_t.doc1(cell text, output text DEFAULT '"dmn_issue"', fact text DEFAULT 'dmn_age',
                           type_ref text DEFAULT 'number', hit text DEFAULT 'UNIQUE',
                           ns text DEFAULT 'https://www.omg.org/spec/DMN/20191111/MODEL/') RETURNS text
LANGUAGE sql AS $$
  SELECT format('<definitions xmlns="%s" id="d" name="t" namespace="urn:t"><decision id="x" name="t">'
                '<decisionTable hitPolicy="%s"><input id="i"><inputExpression typeRef="%s"><text>%s</text></inputExpression></input>'
                '<output id="o" typeRef="string"/><rule id="r"><inputEntry><text>%s</text></inputEntry>'
                '<outputEntry><text>%s</text></outputEntry></rule></decisionTable></decision></definitions>',
                ns, hit, type_ref, fact,
                replace(replace(replace(cell, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), output)
$$;
CREATE FUNCTION dmn_t.imp1(doc text, tbl text DEFAULT 'dmn.one') RETURNS bigint
LANGUAGE sql AS $$
  SELECT mynahoken.rule_import_dmn(doc::xml, tbl, '[2026-04-01,)', 'dmn-test', '2026-03-01',
           decision => 'certificate_need', applies_to => '{06131213}',
           exception_to => 'national.certificate_need:on_request')
$$;
-- The cell one FEEL entry becomes.
CREATE FUNCTION dmn_t.cell1(feel text, fact text DEFAULT 'dmn_age', type_ref text DEFAULT 'number') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  v := dmn_t.imp1(dmn_t.doc1(feel, fact => fact, type_ref => type_ref), 'dmn.c' || txid_current() || floor(random() * 1e9)::bigint);
  RETURN (SELECT r.cells[1] FROM mynahoken.rule_row r WHERE r.version_id = v);
END $$;

-- ---------------------------------------------------------------------------
-- Each supported construct.
SET ROLE tap_dmn_author;
SELECT is(dmn_t.cell1('>=18'), '>= 18', 'comparison');
SELECT is(dmn_t.cell1('[18..65)'), '[18..65)', 'range with a closed start and an open end');
SELECT is(dmn_t.cell1(']17..65['), '(17..65)', 'the FEEL open brackets ]a..b[');
SELECT is(dmn_t.cell1('not([70..75), 80, < -5)'), 'not([70..75), 80, < -5)', 'not() of a list, negative numbers');
SELECT is(dmn_t.cell1('-'), '-', '- (does not matter)');
SELECT is(dmn_t.cell1(''), '-', 'an empty entry, as the modelers show "-"');
SELECT is(dmn_t.cell1('null'), 'null', 'null');
SELECT is(dmn_t.cell1('not(null)'), 'not null', 'not(null)');
SELECT is(dmn_t.cell1('< date("2026-08-01"), [date("2026-01-01")..date("2026-02-01")]', 'dmn_applied_on', 'date'),
          '< 2026-08-01, [2026-01-01..2026-02-01]', 'date("YYYY-MM-DD") in a comparison and a range');
SELECT is(dmn_t.cell1('<= day', 'dmn_applied_on', 'date'), '<= day', 'the decision day');
SELECT is(dmn_t.cell1('"care", "a \"b\""', 'dmn_care', 'string'), '"care", "a ""b"""', 'strings, with FEEL escapes');
SELECT is(dmn_t.cell1('"health_society", "late_elderly"', 'category', 'string'), 'health_society, late_elderly',
          'strings of an enum fact become its values');
SELECT is(dmn_t.cell1('false', 'dmn_alone', 'boolean'), 'false', 'boolean');

-- Each construct outside the subset, refused with the rule, the column and the character.
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('98.83'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / A decimal literal at character 1: the engine''s numbers are whole numbers.',
  'a decimal literal, named without its value');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('> 5 + 1'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / The arithmetic operator "+" at character 5.', 'arithmetic: the operator');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('< 2 ** 10'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / The arithmetic operator "**" at character 5.', 'arithmetic: **');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('abs(5)'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / The function call abs( at character 1: only date(), param() and not() are imported.',
  'a function call: its name');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('matches("123456789018", "^[0-9]+$")', fact => 'dmn_care', type_ref => 'string'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_care" / The function call matches( at character 1: only date(), param() and not() are imported.',
  'a function call: its name, never its arguments');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('x1234(5)'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / A function call other than date(), param() and not() at character 1.',
  'a function whose name holds a run of digits (a value typed as a name?): not named');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('some x in [1, 2] satisfies x > 1'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / The FEEL keyword "some" at character 1: only unary tests are imported.',
  'a quantified expression: the keyword some');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('every x in [1] satisfies x > 1'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / The FEEL keyword "every" at character 1: only unary tests are imported.',
  'a quantified expression: the keyword every');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('dmn_age instance of number'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / The FEEL keyword "instance of" at character 9: only unary tests are imported.',
  'instance of');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5 ] 6'))$$),
  '22P02 unsupported FEEL in rule 1, column "dmn_age" / Unexpected "]" at character 3.', 'an unexpected operator: named');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5 123456789018'))$$),
  '22P02 unsupported FEEL in rule 1, column "dmn_age" / Unexpected token at character 3.', 'an unexpected number: never named');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('? > 5'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / An expression test with "?" at character 1.', 'an expression test with ?');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('null, 5'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / Null in a list with other tests: the cell language tests null alone.',
  'null in a list');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('!= 5'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_age" / != at character 1: write not(...).', '!=');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('[1..'))$$),
  '22P02 unsupported FEEL in rule 1, column "dmn_age" / The entry ends in the middle of a test.', 'a range cut short');
-- the text never reaches the message: a 12-digit number typed into the wrong cell
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('"123456789018"'))$$),
  '22P02 invalid entry in rule 1, column "dmn_age": expected a whole number, or a comparison, range or list of whole numbers / Column "dmn_age" is a fact of type int; the entry''s translation to the cell language is refused at character 1 (invalid integer).',
  'a cell the fact''s type refuses: its problem, never its text');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('123456789018', fact => 'dmn_applied_on', type_ref => 'date'))$$),
  '22P02 invalid entry in rule 1, column "dmn_applied_on": expected a date("YYYY-MM-DD"), or a comparison, range or list of dates / Column "dmn_applied_on" is a fact of type date; the entry''s translation to the cell language is refused at character 1 (invalid date).',
  'a number in a date column: the kind of literal expected, never the literal');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', fact => 'unknown_input'))$$),
  '42704 input 1 of the decision table, "unknown_input", is not a declared fact / The fact looked for is "unknown_input".',
  'an input that is no fact: its expression and the fact looked for');
SELECT is(dmn_t.err($$SELECT mynahoken.rule_import_dmn(dmn_t.doc1('5', fact => 'Age')::xml, 'dmn.mapped_bad',
           '[2026-04-01,)', 'dmn-test', '2026-03-01', facts => '{"Age": "dmn_agee"}',
           decision => 'certificate_need', applies_to => '{06131213}', exception_to => 'national.certificate_need:on_request')$$),
  '42704 input 1 of the decision table, "Age", is not a declared fact / The fact looked for is "dmn_agee", as facts => maps it.',
  'an input mapped to no fact: the expression and the mapped name');
SELECT is(dmn_t.err($$SELECT mynahoken.rule_import_dmn(dmn_t.doc1('5', fact => 'Age')::xml, 'dmn.mapped_bad',
           '[2026-04-01,)', 'dmn-test', '2026-03-01', facts => '{"Age": "dmn_age", "Agee": "dmn_age"}',
           decision => 'certificate_need', applies_to => '{06131213}', exception_to => 'national.certificate_need:on_request')$$),
  '22023 the facts mapping names "Agee", which is no input of the decision table / The keys of facts => are the inputs'' expressions or labels.',
  'a key of the facts mapping that matches no input is refused, not ignored');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', fact => 'key_123456789018'))$$),
  '42704 input 1 of the decision table, "key_…", is not a declared fact / The fact looked for is "key_…".',
  'an input named with a run of digits: the digits are not repeated');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', hit => 'UNIQ'))$$),
  '0A000 unknown hit policy "UNIQ"',
  'an unknown hit policy: the value read');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', hit => 'unique'))$$),
  '0A000 unknown hit policy "unique" / DMN hit policies are upper case: the DMN schema knows UNIQUE, and no other spelling.',
  'a hit policy in lower case: refused, the schema has only upper case');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('matches(?, "^9")', fact => 'dmn_care', type_ref => 'string'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_care" / The function call matches( at character 1: only date(), param() and not() are imported.',
  'a function call holding ?: the call, the first construct');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('starts with("0613")', fact => 'dmn_care', type_ref => 'string'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_care" / The function call starts with( at character 1: only date(), param() and not() are imported.',
  'a built-in function of two words: named, not a syntax error');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('< date and time("2026-08-01T00:00:00")', fact => 'dmn_applied_on', type_ref => 'date'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_applied_on" / The function call date and time( at character 3: only date(), param() and not() are imported.',
  'date and time(): named as such');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('< date("2025/01/01")', fact => 'dmn_applied_on', type_ref => 'date'))$$),
  '0A000 unsupported FEEL in rule 1, column "dmn_applied_on" / Date() other than date("YYYY-MM-DD") at character 3.',
  'a malformed date(): distinct from date and time()');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', type_ref => 'string'))$$),
  '42804 input 1 has a type in the DMN that fact dmn_age (int) does not have', 'an input of another type');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', output => '"approved"'))$$),
  '42704 the output of rule 1 is not an outcome of decision certificate_need', 'an output that is no outcome');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', output => '3000'))$$),
  '0A000 the output entry of rule 1 is not a string literal', 'a numeric output');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5', ns => 'http://www.omg.org/spec/DMN/20151101/dmn.xsd'))$$),
  '0A000 the document is not a DMN 1.3, 1.4 or 1.5 definitions element', 'DMN 1.1');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(replace(dmn_t.doc1('5'), '<inputEntry>', '<inputEntry expressionLanguage="juel">'))$$),
  '0A000 the entry of rule 1, column "dmn_age" uses an expression language other than FEEL / Entries in JUEL, JavaScript or another language cannot be checked or compiled.',
  'an entry in another expression language: its rule and column');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(replace(dmn_t.doc1('5'), '<outputEntry>', '<outputEntry expressionLanguage="juel">'))$$),
  '0A000 the output entry of rule 1 uses an expression language other than FEEL / Entries in JUEL, JavaScript or another language cannot be checked or compiled.',
  'an output entry in another expression language: its rule');
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(replace(dmn_t.doc1('5'), '<inputExpression ', '<inputExpression expressionLanguage="javascript" '))$$),
  '0A000 the document uses an expression language other than FEEL / Entries in JUEL, JavaScript or another language cannot be checked or compiled.',
  'an input expression in another expression language');
-- the outcomes' mapping
SELECT mynahoken.rule_import_dmn(dmn_t.doc1('5', output => '"Approved"', fact => 'Age')::xml, 'dmn.mapped',
         '[2026-04-01,)', 'dmn-test', '2026-03-01', facts => '{"Age": "dmn_age"}', outcomes => '{"Approved": "dmn_issue"}',
         decision => 'certificate_need', applies_to => '{06131213}', exception_to => 'national.certificate_need:on_request') AS mapped
\gset
SELECT is((SELECT (v.columns, r.outcome, r.cells)::text FROM mynahoken.rule_version v JOIN mynahoken.rule_row r USING (version_id)
            WHERE v.version_id = :mapped),
          '({dmn_age},dmn_issue,{5})', 'inputs and outputs mapped to facts and outcomes');
RESET ROLE;

-- A document with two decision tables: one is named; only authors import.
CREATE FUNCTION dmn_t.two() RETURNS text LANGUAGE sql AS $$
  SELECT replace(dmn_t.doc1('5'), '</definitions>',
                 '<decision id="second" name="Second"><decisionTable hitPolicy="FIRST"><input id="i"><inputExpression typeRef="boolean"><text>dmn_alone</text></inputExpression></input>'
                 '<output id="o"/><rule id="r"><inputEntry><text>true</text></inputEntry><outputEntry><text>"dmn_refer"</text></outputEntry></rule></decisionTable></decision></definitions>')
$$;
SET ROLE tap_dmn_author;
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.two())$$), '22023 the document has 2 decision tables', 'two decision tables: one must be named');
SELECT is(dmn_t.err($$SELECT mynahoken.rule_import_dmn(dmn_t.two()::xml, 'dmn.second', '[2026-04-01,)', 'dmn-test', '2026-03-01',
                         decision_name => 'Second', decision => 'certificate_need', applies_to => '{06131213}',
                         exception_to => 'national.certificate_need:on_request')$$), 'ok', 'decision_name picks a decision table by name');
SELECT is((SELECT t.hit_policy || ' ' || v.columns::text FROM mynahoken.rule_table t JOIN mynahoken.rule_version v USING (table_name)
            WHERE t.table_name = 'dmn.second'), 'first {dmn_alone}', 'the named decision table is the one imported');
RESET ROLE;
CREATE ROLE tap_dmn_reader;
SET ROLE tap_dmn_reader;
SELECT is(dmn_t.err($$SELECT dmn_t.imp1(dmn_t.doc1('5'))$$), '42501 permission denied for function rule_import_dmn',
          'only mynahoken_rule_author may import');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- The conformance tables: import (author), activate (approver), evaluate.
CREATE FUNCTION dmn_t.import_file(f dmn_t.file) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mynahoken.rule_import_dmn(f.doc::xml, f.spec->>'table', '[2026-04-01,)', 'dmn-tck-like', '2026-03-01',
            decision => coalesce(f.spec->>'decision', 'certificate_need'), applies_to => ARRAY[f.spec->>'insurer'],
            exception_to => CASE WHEN f.spec->>'decision' = 'certificate_valid_until' THEN 'national.certificate_valid_until:term'
                                 ELSE 'national.certificate_need:on_request' END);
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
CREATE FUNCTION dmn_t.activate(tbl text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mynahoken.rule_activate(tbl);
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
-- What the compiled decision gives a case: the outcome, the list of a
-- collect (sorted) or rule order table, the date; null for the national layer.
CREATE FUNCTION dmn_t.eval(f dmn_t.file, facts jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  member jsonb := jsonb_build_object('insurer_number', f.spec->>'insurer', 'birth_date', '1960-01-01',
                    'acquired_on', '2015-04-01', 'my_number_linked', true, 'myna_registered_on', '2022-01-01',
                    'ecert_expires_on', '2030-01-01', 'certificate_requested_on', '2026-05-01') || facts;
  hp text := (SELECT t.hit_policy FROM mynahoken.rule_table t WHERE t.table_name = f.spec->>'table');
  h record;
BEGIN
  IF f.spec->>'decision' = 'certificate_valid_until' THEN
    EXECUTE 'SELECT * FROM mynahoken.rule_decide_certificate_valid_until($1, NULL, $2)' INTO h USING date '2026-08-03', member;
    RETURN CASE WHEN h.layer = 'insurer' THEN to_jsonb(h.value::text) ELSE 'null' END;
  END IF;
  EXECUTE 'SELECT * FROM mynahoken.rule_decide_certificate_need($1, NULL, $2)' INTO h USING date '2026-08-03', member;
  RETURN CASE WHEN h.layer IS DISTINCT FROM 'insurer' THEN 'null'
              WHEN hp = 'rule_order' THEN to_jsonb(h.outcomes)
              WHEN hp = 'collect' THEN to_jsonb(ARRAY(SELECT unnest(h.outcomes) ORDER BY 1))
              ELSE to_jsonb(h.outcome) END;
END $$;

SET ROLE tap_dmn_author;
CREATE TEMP TABLE imported AS SELECT f.name, dmn_t.import_file(f) AS state FROM dmn_t.file f;
RESET ROLE;
SELECT is((SELECT string_agg(i.name || ': ' || coalesce(i.state, 'imported'), ', ' ORDER BY i.name)
             FROM imported i JOIN dmn_t.file f USING (name) WHERE i.state IS DISTINCT FROM f.spec->>'import'),
          NULL, 'every conformance file is imported, or refused at import with the expected SQLSTATE (C+, O, multi-output: 0A000)');
SET ROLE tap_dmn_approver;
CREATE TEMP TABLE activated AS
  SELECT f.name, dmn_t.activate(f.spec->>'table') AS state FROM dmn_t.file f
   WHERE f.spec->>'import' IS NULL ORDER BY f.name;
RESET ROLE;
SELECT is((SELECT string_agg(a.name || ': ' || coalesce(a.state, 'active'), ', ' ORDER BY a.name)
             FROM activated a JOIN dmn_t.file f USING (name) WHERE a.state IS DISTINCT FROM f.spec->>'activate'),
          NULL, 'every imported file is activated, or refused with the expected SQLSTATE (C#, a broken U: 23514)');

SELECT is(dmn_t.eval(f, c.facts), c.expect, format('%s case %s', c.name, c.n))
  FROM dmn_t.case_ c JOIN dmn_t.file f USING (name) ORDER BY c.name, c.n;
SELECT is((SELECT format('%s of %s cases pass', count(*) FILTER (WHERE dmn_t.eval(f, c.facts) = c.expect), count(*))
             FROM dmn_t.case_ c JOIN dmn_t.file f USING (name)),
          (SELECT format('%s of %s cases pass', count(*), count(*)) FROM dmn_t.case_),
          'the pass count of the conformance cases');

-- ---------------------------------------------------------------------------
-- Export, and import(export(v)) = v.
CREATE FUNCTION dmn_t.same(a bigint, b bigint) RETURNS text LANGUAGE sql AS $$
  SELECT CASE
    WHEN (SELECT (t.decision, t.layer, t.hit_policy, t.aggregation, t.exception_to, t.applies_to, t.on_no_match, t.yields_to, t.cap, t.description,
                  v.valid, v.recorded_on, v.source, v.columns, v.note)
            FROM mynahoken.rule_version v JOIN mynahoken.rule_table t USING (table_name) WHERE v.version_id = a)
         IS DISTINCT FROM
         (SELECT (t.decision, t.layer, t.hit_policy, t.aggregation, t.exception_to, t.applies_to, t.on_no_match, t.yields_to, t.cap, t.description,
                  v.valid, v.recorded_on, v.source, v.columns, v.note)
            FROM mynahoken.rule_version v JOIN mynahoken.rule_table t USING (table_name) WHERE v.version_id = b)
    THEN 'table or version differs'
    WHEN EXISTS (
      SELECT FROM (SELECT r.row_no, r.outcome, r.label, r.note, r.annotations::text AS annotations,
                          ARRAY(SELECT mynahoken.rule_cell_parse(r.cells[i], f.fact_type, f.enum_values)::text
                                  FROM generate_subscripts(r.cells, 1) i
                                  JOIN mynahoken.rule_version v ON v.version_id = r.version_id
                                  JOIN mynahoken.rule_fact f ON f.fact = v.columns[i] ORDER BY i) AS cells,
                          r.version_id = a AS is_a
                     FROM mynahoken.rule_row r WHERE r.version_id IN (a, b)) x
       GROUP BY x.row_no, x.outcome, x.label, x.note, x.annotations, x.cells HAVING count(*) <> 2)
    THEN 'rows differ'
    ELSE 'same' END
$$;
CREATE FUNCTION dmn_t.round_trip(v bigint, tbl text) RETURNS text LANGUAGE sql AS $$
  SELECT dmn_t.same(v, mynahoken.rule_import_dmn(mynahoken.rule_export_dmn(v), tbl))
$$;

SET ROLE tap_dmn_author;
SELECT is((SELECT string_agg(t.table_name || ': ' || dmn_t.round_trip(v.version_id, t.table_name || '_rt'), ', ' ORDER BY t.table_name)
             FROM mynahoken.rule_table t JOIN mynahoken.rule_version v USING (table_name)
            WHERE t.table_name LIKE 'dmn.t%'),
          (SELECT string_agg(t.table_name || ': same', ', ' ORDER BY t.table_name)
             FROM mynahoken.rule_table t WHERE t.table_name LIKE 'dmn.t%'),
          'import(export(v)) = v for every imported conformance table, active or refused');
-- parameters, another fact, row labels and notes, a date decision's expressions
SELECT mynahoken.rule_table_define('dmn.extras', 'certificate_need', '{06131353}', 'national.certificate_need:on_request', 'first');
SELECT mynahoken.rule_version_record('dmn.extras', '[2026-04-01,2027-04-01)', 'dmn-extras', '2026-03-01', $grid$
  row | age                               | dmn_applied_on       | category                   || outcome
  1   | >= param(insurer_certificate_age) | <= day               | not(late_elderly)          || dmn_issue
  3   | [70..75), 80                      | > acquired_on        | health_society, "municipal_nhi" || dmn_refer
  7   | -                                 | null                 | -                          || dmn_decline
$grid$, note => 'extras');
UPDATE mynahoken.rule_row SET label = 'group "a" & <b>', note = 'from the 組合''s letter of 2026-02-01',
                              annotations = '{"source": "組合 letter 2026-02-01", "reviewer": "team <b>"}'
 WHERE version_id = (SELECT max(version_id) FROM mynahoken.rule_version WHERE table_name = 'dmn.extras') AND row_no = 3;
SELECT mynahoken.rule_table_define('dmn.extras_date', 'certificate_valid_until', '{06131353}', 'national.certificate_valid_until:term', 'first');
SELECT mynahoken.rule_version_record('dmn.extras_date', '[2026-04-01,)', 'dmn-extras', '2026-03-01', $grid$
  row | age   || value
  1   | >= 75 || day_before(birthday(76))
  2   | -     || 2027-03-31
$grid$);
SELECT is((SELECT string_agg(dmn_t.round_trip(v.version_id, t.table_name || '_rt'), ', ' ORDER BY t.table_name)
             FROM mynahoken.rule_table t JOIN mynahoken.rule_version v USING (table_name)
            WHERE t.table_name IN ('dmn.extras', 'dmn.extras_date')),
          'same, same', 'import(export(v)) = v with param(), day, another fact, enum values, row numbers, labels, notes, annotations and date expressions');

-- Issue 15 (a new user's findings): the shipped national table round-trips
-- as a draft of itself; its outcome undecidable is a national table's only.
SELECT is(dmn_t.same(n.version_id, mynahoken.rule_import_dmn(mynahoken.rule_export_dmn(n.version_id), 'national.certificate_need')),
          'same', 'import(export(national.certificate_need)) under its own name: a draft equal to the shipped version, undecidable rows and labels included')
  FROM mynahoken.rule_version n WHERE n.table_name = 'national.certificate_need' AND n.shipped;
SELECT is((SELECT count(*)::int FROM mynahoken.rule_check(
             (SELECT max(v.version_id) FROM mynahoken.rule_version v WHERE v.table_name = 'national.certificate_need')) c
            WHERE c.check_name = 'reference'),
          0, 'the checks of the national draft: undecidable is no unknown outcome in a national table');
SELECT is(dmn_t.err(format($$SELECT mynahoken.rule_import_dmn(%L, 'dmn.national_copy')$$, mynahoken.rule_export_dmn(n.version_id))),
          '22023 a new rule table needs the national label it is an exception to / Only the extension ships national tables: a table defined by an import is an insurer table.',
          'the export of a national table under a new name: refused, with what to do')
  FROM mynahoken.rule_version n WHERE n.table_name = 'national.certificate_need' AND n.shipped;
SELECT is(dmn_t.err(format($$SELECT mynahoken.rule_import_dmn(%L, 'dmn.national_copy', exception_to => 'national.certificate_need:myna')$$,
                           mynahoken.rule_export_dmn(n.version_id))),
          '22023 the output of rule 1 is undecidable, an outcome only national tables give / A national table reports the members its decision cannot decide (no birth date, contradictory days); an insurer table leaves them to the national layer.',
          'undecidable in an insurer table: refused with the reason')
  FROM mynahoken.rule_version n WHERE n.table_name = 'national.certificate_need' AND n.shipped;
-- the outcomes travel with the export: another database's table defines them
SELECT is(dmn_t.err(format($$SELECT mynahoken.rule_import_dmn(%L, 'dmn.extras_elsewhere')$$,
                           replace(mynahoken.rule_export_dmn(v.version_id)::text, 'dmn_refer', 'dmn_refer_elsewhere'))),
          'ok', 'a table whose outcome the database lacks (as in another database) is imported')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.extras';
SELECT is((SELECT o.label_ja || ' ' || o.needs_certificate || ' ' || o.priority || ' ' || o.shipped
             FROM mynahoken.rule_outcome o WHERE o.decision = 'certificate_need' AND o.code = 'dmn_refer_elsewhere'),
          '照会 true 30 false', 'the outcome is defined from the export (label, 資格確認書, priority)');
SELECT is(dmn_t.err(format($$SELECT mynahoken.rule_import_dmn(%L, 'dmn.extras_other')$$,
                           replace(mynahoken.rule_export_dmn(v.version_id)::text, 'needs_certificate="true" priority="30"', 'needs_certificate="false" priority="30"'))),
          '22023 outcome dmn_refer of decision certificate_need issues a 資格確認書 or ranks differently in the document / The document describes the outcome with another needs_certificate or priority than the database.',
          'an outcome that means something else in the database: refused')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.extras';
RESET ROLE;
SELECT is((xpath('/d:definitions/d:decision/d:decisionTable/d:annotation/@name', mynahoken.rule_export_dmn(v.version_id),
                 ARRAY[ARRAY['d', 'https://www.omg.org/spec/DMN/20191111/MODEL/']]))::text[],
          '{label,reviewer,source}', 'the annotation columns of the export: label, then the rows'' annotations by name')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.extras';
SET ROLE tap_dmn_approver;
SELECT matches(dmn_t.err(format('SELECT * FROM mynahoken.rule_activate(%L, %s)', 'national.certificate_need', max(v.version_id))),
               '^42501 rule version [0-9]+ is a draft of the national table "national.certificate_need", which changes only with the extension$',
               'a draft of a national table is never activated')
  FROM mynahoken.rule_version v WHERE v.table_name = 'national.certificate_need';
RESET ROLE;

SELECT is((xpath('namespace-uri(/*)', mynahoken.rule_export_dmn(v.version_id)))[1]::text,
          'https://www.omg.org/spec/DMN/20191111/MODEL/', 'the export is DMN 1.3')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.t01_unique';
SELECT is((SELECT string_agg(t.table_name || ' ' || coalesce((xpath('/d:definitions/d:decision/d:decisionTable/@hitPolicy', x, n))[1]::text, '')
                             || coalesce(' ' || (xpath('/d:definitions/d:decision/d:decisionTable/@aggregation', x, n))[1]::text, ''),
                             ', ' ORDER BY t.table_name)
             FROM mynahoken.rule_table t JOIN mynahoken.rule_version v USING (table_name),
                  LATERAL (SELECT mynahoken.rule_export_dmn(v.version_id) AS x,
                                  ARRAY[ARRAY['d', 'https://www.omg.org/spec/DMN/20191111/MODEL/']] AS n) e
            WHERE t.table_name ~ '^dmn\.t0[1-8]_[a-z_]+$' AND t.table_name !~ '_rt$'),
          'dmn.t01_unique UNIQUE, dmn.t02_any ANY, dmn.t03_priority PRIORITY, dmn.t04_first FIRST, dmn.t05_rule_order RULE ORDER, dmn.t06_collect COLLECT, dmn.t07_collect_min COLLECT MIN, dmn.t08_collect_max COLLECT MAX',
          'the export writes the hit policies and aggregations');
SELECT is((xpath('/d:definitions/d:decision/d:decisionTable/d:output/d:outputValues/d:text/text()', mynahoken.rule_export_dmn(v.version_id),
                 ARRAY[ARRAY['d', 'https://www.omg.org/spec/DMN/20191111/MODEL/']]))[1]::text,
          '"dmn_issue","dmn_renew","dmn_refer","dmn_decline"', 'PRIORITY: the output values in the outcomes'' priority order')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.t03_priority';
SELECT is((xpath('/d:definitions/d:decision/d:extensionElements/mh:version/@source', mynahoken.rule_export_dmn(v.version_id),
                 ARRAY[ARRAY['d', 'https://www.omg.org/spec/DMN/20191111/MODEL/'], ARRAY['mh', 'urn:mynahoken:dmn']]))[1]::text,
          'dmn-tck-like', 'the version''s source travels in extensionElements')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.t01_unique';
SELECT is(dmn_t.err($$SELECT mynahoken.rule_export_dmn(-1)$$), '42704 no such rule version', 'an unknown version');
SELECT matches((xpath('/d:definitions/d:decision/d:extensionElements/mh:version/@recorded_at', mynahoken.rule_export_dmn(v.version_id),
                 ARRAY[ARRAY['d', 'https://www.omg.org/spec/DMN/20191111/MODEL/'], ARRAY['mh', 'urn:mynahoken:dmn']]))[1]::text,
          '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}$',
          'the system time travels as an xsd:dateTime')
  FROM mynahoken.rule_version v WHERE v.table_name = 'dmn.t01_unique';

SELECT * FROM finish();
ROLLBACK;
