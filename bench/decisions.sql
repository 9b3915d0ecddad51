-- Benchmark: decide the accepted documents and the 資格確認書 need of every
-- member on one day, in one query (issue 5).
--
--   mynahoken          mynahoken.accepted_documents + certificate_need (C, calendar cached per statement)
--   plpgsql_args       the same logic in PL/pgSQL, per row, parameters passed as arguments
--   plpgsql_calendar   the same logic in PL/pgSQL reading the calendar per row
--   floor              sum(length(col)) over the same table
--
-- Serial (no parallel workers) and parallel (2 workers).  :rows defaults to
-- 10,000,000; the PL/pgSQL peers run on a prefix of the table (their rate per
-- row is what the report compares), to keep the run short.

\if :{?rows}
\else
\set rows ''
\endif
SELECT coalesce(nullif(:'rows', ''), '10000000')::bigint AS nrows \gset
SELECT least(:nrows, 1000000) AS nargs, least(:nrows, 20000) AS ncal \gset

SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.dec_members;
CREATE TABLE bench.dec_members (
  id                       bigint,
  category                 mynahoken.insurer_category,
  insurer_number           text,
  birth_date               date,
  acquired_on              date,
  lost_on                  date,
  card_issued_on           date,
  card_expires_on          date,
  my_number_linked         boolean,
  myna_registered_on       date,
  myna_withdrawn_on        date,
  ecert_expires_on         date,
  certificate_requested_on date
) WITH (autovacuum_enabled = false);

-- A member mix like the demo's: 協会けんぽ, 健保組合, 共済, 後期, 国保, 国保組合.
INSERT INTO bench.dec_members
SELECT i, c,
       (ARRAY['01130012', '06139992', '31130016', '39131156', '131151', '133033'])[k],
       b, a,
       CASE WHEN i % 25 = 0 AND a < date '2024-06-01' + (i % 900)::int THEN date '2024-06-01' + (i % 900)::int END,
       CASE WHEN i % 3 <> 0 AND a <= date '2024-11-20' THEN a + 10 END,
       CASE WHEN i % 3 <> 0 AND a <= date '2024-11-20' AND k IN (4, 5, 6) THEN date '2025-07-31' END,
       i % 100 < 85,
       CASE WHEN i % 100 < 62 THEN date '2021-10-20' + (i % 1200)::int END,
       CASE WHEN i % 100 = 1 THEN date '2025-01-01' + (i % 300)::int END,
       CASE WHEN i % 100 < 85 THEN date '2025-01-01' + (i % 1800)::int END,
       CASE WHEN i % 200 = 0 THEN date '2025-01-15' + (i % 300)::int END
  FROM (SELECT i, k,
               (ARRAY['kyokai_kenpo', 'health_society', 'mutual_aid', 'late_elderly',
                      'municipal_nhi', 'nhi_society'])[k]::mynahoken.insurer_category AS c,
               b, greatest(b, date '2005-04-01' + ((i * 104729) % 7500)::int) AS a
          FROM (SELECT i, 1 + (i * 7) % 6 AS k,
                       date '1935-01-01' + ((i * 7919) % 32000)::int AS b
                  FROM generate_series(1::bigint, :nrows) AS i) s) t;
VACUUM ANALYZE bench.dec_members;

-- The parameters of the day, per category, as the PL/pgSQL peer receives them.
DROP TABLE IF EXISTS bench.dec_params;
CREATE TABLE bench.dec_params AS
SELECT c AS category,
       mynahoken.legal_value_date('card_issue_end', d, c) AS card_issue_end,
       mynahoken.legal_value_date('card_transition_end', d, c) AS transition_end,
       lower(mynahoken.legal_value_range('expired_card_acceptance', d, c)) AS accept_from,
       upper(mynahoken.legal_value_range('expired_card_acceptance', d, c)) - 1 AS accept_until,
       mynahoken.legal_value_int('ecert_grace_months', d, c) AS grace_months,
       mynahoken.legal_value_date('certificate_from', d, c) AS certificate_from,
       CASE WHEN c = 'late_elderly' THEN mynahoken.legal_value_date('late_elderly_blanket_until', d, c) END AS blanket_until,
       CASE WHEN c = 'late_elderly' THEN mynahoken.legal_value_date('late_elderly_age_rule_from', d, c) END AS age_rule_from,
       85 AS age_threshold
  FROM unnest(enum_range(NULL::mynahoken.insurer_category)) AS c, (SELECT date '2026-01-15' AS d) AS dd;
ANALYZE bench.dec_params;

-- The peer: the same rules as src/core/transition.c, in PL/pgSQL.
CREATE OR REPLACE FUNCTION bench.pl_myna(day date, linked boolean, registered date, withdrawn date,
                                         ecert date, grace int)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF NOT linked THEN RETURN 'no_my_number'; END IF;
  IF withdrawn <= day AND (registered IS NULL OR withdrawn >= registered) THEN
    RETURN 'registration_withdrawn';
  END IF;
  IF registered IS NULL OR registered > day THEN RETURN 'not_registered'; END IF;
  IF ecert IS NOT NULL
     AND day > (date_trunc('month', ecert) + make_interval(months => grace + 1) - interval '1 day')::date THEN
    RETURN 'ecert_expired';
  END IF;
  RETURN 'usable';
END $$;

CREATE OR REPLACE FUNCTION bench.pl_need(category mynahoken.insurer_category, day date, birth date,
                                         acquired date, lost date, linked boolean, registered date,
                                         withdrawn date, ecert date, requested date,
                                         certificate_from date, grace int, blanket_until date,
                                         age_rule_from date, age_threshold int)
RETURNS mynahoken.certificate_reason LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  m text;
BEGIN
  IF lost < acquired THEN RAISE EXCEPTION 'eligibility lost before it was acquired'; END IF;
  IF day < certificate_from THEN RAISE EXCEPTION 'no 資格確認書 exists on %', day; END IF;
  IF NOT (acquired <= day AND (lost IS NULL OR day < lost)) THEN RETURN 'not_eligible'; END IF;
  IF category = 'late_elderly' THEN
    IF day <= blanket_until THEN RETURN 'late_elderly_blanket'; END IF;
    IF day >= age_rule_from AND extract(year FROM age(age_rule_from, birth)) >= age_threshold THEN
      RETURN 'late_elderly_age';
    END IF;
  END IF;
  m := bench.pl_myna(day, linked, registered, withdrawn, ecert, grace);
  IF m <> 'usable' THEN RETURN m::mynahoken.certificate_reason; END IF;
  IF requested <= day THEN RETURN 'on_request'; END IF;
  RETURN 'not_needed';
END $$;

CREATE OR REPLACE FUNCTION bench.pl_accepted(day date, acquired date, lost date, issued date, expires date,
                                             linked boolean, registered date, withdrawn date, ecert date,
                                             certificate_until date, card_issue_end date,
                                             transition_end date, accept_from date, accept_until date,
                                             grace int, certificate_from date)
RETURNS mynahoken.document[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  docs mynahoken.document[] := '{}';
BEGIN
  IF lost < acquired THEN RAISE EXCEPTION 'eligibility lost before it was acquired'; END IF;
  IF expires < issued THEN RAISE EXCEPTION 'health insurance card expires before it was issued'; END IF;
  IF NOT (acquired <= day AND (lost IS NULL OR day < lost)) THEN RETURN docs; END IF;
  IF bench.pl_myna(day, linked, registered, withdrawn, ecert, grace) = 'usable' THEN
    docs := docs || 'myna_hokensho'::mynahoken.document;
  END IF;
  IF issued IS NOT NULL AND issued <= card_issue_end AND day >= issued THEN
    IF day <= least(coalesce(expires, transition_end), transition_end) THEN
      docs := docs || 'legacy_card'::mynahoken.document;
    ELSIF day BETWEEN accept_from AND accept_until THEN
      docs := docs || 'expired_legacy_card'::mynahoken.document;
    END IF;
  END IF;
  IF certificate_until IS NOT NULL AND day >= certificate_from AND day <= certificate_until THEN
    docs := docs || 'certificate'::mynahoken.document;
  END IF;
  IF registered <= day AND day BETWEEN accept_from AND accept_until THEN
    docs := docs || 'notice_alone'::mynahoken.document;
  END IF;
  RETURN docs;
END $$;

-- What a team writes without the extension: read each parameter per row,
-- straight from the stored entries (the latest one recorded in each scope;
-- of the category's and the one for every category, the later recorded, the
-- category's own on a tie or when it keeps its own).
CREATE OR REPLACE FUNCTION bench.pl_param(pname text, cat mynahoken.insurer_category, day date)
RETURNS mynahoken.legal_parameter_entry LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  r mynahoken.legal_parameter_entry;
BEGIN
  SELECT c.* INTO r
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.* FROM mynahoken.legal_parameter_entry e
           WHERE e.name = pname AND (e.scope = cat OR e.scope IS NULL) AND e.insurer IS NULL AND e.valid @> day
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL LIMIT 1;
  RETURN r;
END $$;

CREATE OR REPLACE FUNCTION bench.pl_need_cal(category mynahoken.insurer_category, day date, birth date,
                                             acquired date, lost date, linked boolean, registered date,
                                             withdrawn date, ecert date, requested date)
RETURNS mynahoken.certificate_reason LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN bench.pl_need(category, day, birth, acquired, lost, linked, registered, withdrawn, ecert, requested,
           (bench.pl_param('certificate_from', category, day)).value_date,
           (bench.pl_param('ecert_grace_months', category, day)).value_int,
           (bench.pl_param('late_elderly_blanket_until', category, day)).value_date,
           (bench.pl_param('late_elderly_age_rule_from', category, day)).value_date,
           (bench.pl_param('late_elderly_age_threshold', category, day)).value_int);
END $$;

CREATE OR REPLACE FUNCTION bench.pl_accepted_cal(category mynahoken.insurer_category, day date, acquired date,
                                                 lost date, issued date, expires date, linked boolean,
                                                 registered date, withdrawn date, ecert date,
                                                 certificate_until date)
RETURNS mynahoken.document[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  acc daterange := (bench.pl_param('expired_card_acceptance', category, day)).value_range;
BEGIN
  RETURN bench.pl_accepted(day, acquired, lost, issued, expires, linked, registered, withdrawn, ecert,
           certificate_until,
           (bench.pl_param('card_issue_end', category, day)).value_date,
           (bench.pl_param('card_transition_end', category, day)).value_date,
           lower(acc), upper(acc) - 1,
           (bench.pl_param('ecert_grace_months', category, day)).value_int,
           (bench.pl_param('certificate_from', category, day)).value_date);
END $$;

-- The three implementations must agree before they are timed.
SELECT count(*) AS disagreements
  FROM (SELECT * FROM bench.dec_members m JOIN bench.dec_params p USING (category)
         WHERE m.id <= 20000) x
 WHERE mynahoken.certificate_need(x.category, '2026-01-15', x.birth_date, x.acquired_on, x.lost_on,
         x.my_number_linked, x.myna_registered_on, x.myna_withdrawn_on, x.ecert_expires_on,
         x.certificate_requested_on)
       IS DISTINCT FROM
       bench.pl_need(x.category, '2026-01-15', x.birth_date, x.acquired_on, x.lost_on, x.my_number_linked,
         x.myna_registered_on, x.myna_withdrawn_on, x.ecert_expires_on, x.certificate_requested_on,
         x.certificate_from, x.grace_months, x.blanket_until, x.age_rule_from, x.age_threshold)
    OR mynahoken.accepted_documents(x.category, '2026-01-15', x.acquired_on, x.lost_on, x.card_issued_on,
         x.card_expires_on, x.my_number_linked, x.myna_registered_on, x.myna_withdrawn_on,
         x.ecert_expires_on, NULL)
       IS DISTINCT FROM
       bench.pl_accepted('2026-01-15', x.acquired_on, x.lost_on, x.card_issued_on, x.card_expires_on,
         x.my_number_linked, x.myna_registered_on, x.myna_withdrawn_on, x.ecert_expires_on, NULL,
         x.card_issue_end, x.transition_end, x.accept_from, x.accept_until, x.grace_months,
         x.certificate_from)
    OR bench.pl_need_cal(x.category, '2026-01-15', x.birth_date, x.acquired_on, x.lost_on,
         x.my_number_linked, x.myna_registered_on, x.myna_withdrawn_on, x.ecert_expires_on,
         x.certificate_requested_on)
       IS DISTINCT FROM
       bench.pl_need(x.category, '2026-01-15', x.birth_date, x.acquired_on, x.lost_on, x.my_number_linked,
         x.myna_registered_on, x.myna_withdrawn_on, x.ecert_expires_on, x.certificate_requested_on,
         x.certificate_from, x.grace_months, x.blanket_until, x.age_rule_from, x.age_threshold)
    OR bench.pl_accepted_cal(x.category, '2026-01-15', x.acquired_on, x.lost_on, x.card_issued_on,
         x.card_expires_on, x.my_number_linked, x.myna_registered_on, x.myna_withdrawn_on,
         x.ecert_expires_on, NULL)
       IS DISTINCT FROM
       bench.pl_accepted('2026-01-15', x.acquired_on, x.lost_on, x.card_issued_on, x.card_expires_on,
         x.my_number_linked, x.myna_registered_on, x.myna_withdrawn_on, x.ecert_expires_on, NULL,
         x.card_issue_end, x.transition_end, x.accept_from, x.accept_until, x.grace_months,
         x.certificate_from) \gset
\if :disagreements
\echo 'the PL/pgSQL peers disagree with mynahoken: fix bench/decisions.sql'
SELECT 1/0;
\endif

-- The queries (%s: the row limit of the PL/pgSQL peers).
\set q_subject 'SELECT count(*) FILTER (WHERE mynahoken.certificate_needed(mynahoken.certificate_need(category, date ''2026-01-15'', birth_date, acquired_on, lost_on, my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on, certificate_requested_on))), sum(cardinality(mynahoken.accepted_documents(category, date ''2026-01-15'', acquired_on, lost_on, card_issued_on, card_expires_on, my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on, NULL))) FROM bench.dec_members'
\set q_args 'SELECT count(*) FILTER (WHERE mynahoken.certificate_needed(bench.pl_need(m.category, date ''2026-01-15'', birth_date, acquired_on, lost_on, my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on, certificate_requested_on, certificate_from, grace_months, blanket_until, age_rule_from, age_threshold))), sum(cardinality(bench.pl_accepted(date ''2026-01-15'', acquired_on, lost_on, card_issued_on, card_expires_on, my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on, NULL, card_issue_end, transition_end, accept_from, accept_until, grace_months, certificate_from))) FROM bench.dec_members m JOIN bench.dec_params p USING (category) WHERE m.id <= '
\set q_cal 'SELECT count(*) FILTER (WHERE mynahoken.certificate_needed(bench.pl_need_cal(category, date ''2026-01-15'', birth_date, acquired_on, lost_on, my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on, certificate_requested_on))), sum(cardinality(bench.pl_accepted_cal(category, date ''2026-01-15'', acquired_on, lost_on, card_issued_on, card_expires_on, my_number_linked, myna_registered_on, myna_withdrawn_on, ecert_expires_on, NULL))) FROM bench.dec_members WHERE id <= '
\set q_floor 'SELECT sum(length(insurer_number)) FROM bench.dec_members'

-- Serial.
SET max_parallel_workers_per_gather = 0;
SELECT bench.run('decisions (serial)', 'floor sum(length(col))', :nrows, :'q_floor');
SELECT bench.run('decisions (serial)', 'mynahoken', :nrows, :'q_subject', true);
SELECT bench.run('decisions (serial)', 'plpgsql_args', :nargs, :'q_args' || :nargs, runs => 1);
SELECT bench.run('decisions (serial)', 'plpgsql_calendar', :ncal, :'q_cal' || :ncal, runs => 1);

-- Parallel: 2 workers (the machine has 2 cores).
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT bench.run('decisions (parallel)', 'floor sum(length(col))', :nrows, :'q_floor');
SELECT bench.run('decisions (parallel)', 'mynahoken', :nrows, :'q_subject', true);
SELECT bench.run('decisions (parallel)', 'plpgsql_args', :nargs, :'q_args' || :nargs, runs => 1);
SELECT bench.run('decisions (parallel)', 'plpgsql_calendar', :ncal, :'q_cal' || :ncal, runs => 1);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
