-- My Number linkage checks (doc/linkage.md): the errors of the digest
-- functions and of the case queue.  No error echoes a name, an address, a
-- birth date or reported digits; no value here is real.
SET search_path = public, mynahoken;

-- Digests are one per fold level (kana 4, kanji 3, address 2), then for kana
-- the two review forms, and for kana and kanji the given name; 17 bytes each.
SELECT cardinality(mynahoken.linkage_digests('タナカ', 'kana')) AS kana,
       cardinality(mynahoken.linkage_digests('田中', 'kanji')) AS kanji,
       cardinality(mynahoken.linkage_digests('本町1-2', 'address')) AS address,
       length((mynahoken.linkage_digests('タナカ', 'kana'))[1]) AS digest_bytes,
       length(mynahoken.linkage_birth_date_digest(DATE '2001-02-03')) AS birth_date_bytes;

-- ● and 〓 make a value unverifiable: no digest at all, so it matches nothing.
SELECT mynahoken.linkage_digests('山●', 'kanji') IS NULL AS black_circle,
       mynahoken.linkage_digests('山〓', 'kanji') IS NULL AS geta,
       mynahoken.linkage_digests('　', 'kana') IS NULL AS spaces_only;

-- Errors: a value too long, an unknown field, a variant table that is not
-- one to one, an infinite birth date.  None quotes the value.
SELECT mynahoken.linkage_digests(repeat('タ', 400), 'kana');
SELECT mynahoken.linkage_digests('タナカ', 'name');
SELECT mynahoken.linkage_digests('髙橋', 'kanji', '髙髙', '高亠');
SELECT mynahoken.linkage_digests('髙橋', 'kanji', '髙高', '高亠');
SELECT mynahoken.linkage_digests('髙橋', 'kanji', '髙', '●');
SELECT mynahoken.linkage_birth_date_digest('infinity');

-- Reported digits: four digits, ASCII or full width; anything else is an
-- error that does not repeat them.
SELECT mynahoken.linkage_last4_matches(mynahoken.seal('1234' || '5678' || '9018'), '12a4');
SELECT mynahoken.linkage_last4_matches(mynahoken.seal('1234' || '5678' || '9018'), '12345');

-- Loading: a source must have the documented columns; the error names the
-- missing columns, never a row.
CREATE TEMP TABLE few (insured_key text, household text);
SELECT mynahoken.linkage_load_members('pg_temp.few');
CREATE TEMP TABLE jl (insured_key text, token mynahoken.mynumber_token, asked_on date, source text,
  found boolean, kanji_name text, kana_name text, address text, birth_date date, sex integer, source_ref text);
INSERT INTO jl VALUES ('X1', NULL, DATE '2026-11-01', 'own_query', true, 'X', 'X', 'X', DATE '2001-01-01', 1, 'r1');
SELECT mynahoken.linkage_load_jlis('pg_temp.jl');
CREATE TEMP TABLE twice AS
SELECT k AS insured_key, NULL::text AS household, NULL::mynahoken.mynumber_token AS token,
       NULL::mynahoken.mynumber_sealed AS sealed, 'unknown' AS provenance, false AS number_confirmed,
       NULL::mynahoken.mynumber_token AS sent_token, 'X' AS kanji_name, 'X' AS kana_name, 'X' AS address,
       DATE '2001-01-01' AS birth_date, 1 AS sex
  FROM (VALUES ('X1'), ('X1')) AS v(k);
SELECT mynahoken.linkage_load_members('pg_temp.twice');

-- Reports: nothing is recorded for an unknown member, and no error is raised
-- (its statement, with the digits, would be logged).
SELECT mynahoken.record_member_report('X1', NULL, 'facts_wrong') IS NULL AS not_recorded;

-- The queue: unknown cases, codes that are not codes, finished cases.
SELECT mynahoken.linkage_case_transition(0, 'closed', 'member_left');
SELECT mynahoken.linkage_case_assign(0, 'mynahoken_linkage_clerk');
SELECT mynahoken.explain_linkage_case(0) IS NULL AS no_such_case;

-- pg_cron: the command qualifies every name; scheduling needs pg_cron here, or dblink
-- (42704 here: pg_cron in another database, or not loaded where the package is built).
SELECT mynahoken.linkage_cron_command(), mynahoken.linkage_cron_command(true);
\set VERBOSITY sqlstate
SELECT mynahoken.schedule_linkage_check();
\set VERBOSITY default
