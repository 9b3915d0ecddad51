-- mynahoken 0.1 -> 0.2 (ALTER EXTENSION mynahoken UPDATE TO '0.2').
--
-- Every change of 0.2 to the extension's objects, in the order the install
-- fragments (sql/install/NN_*.sql) define them; the upgrade test
-- (test/scripts/05_upgrade.sh) requires the result to equal a fresh 0.2
-- install, object by object.  One section per change set.
\echo Use "ALTER EXTENSION mynahoken UPDATE TO '0.2'" to load this file. \quit

-- ===========================================================================
-- Issue 9, name resolution: every body resolves each name to the schema it
-- means (SQL-standard bodies bound at creation, SET search_path, qualified
-- operators), whatever the caller's search_path holds.
-- ===========================================================================

-- ===========================================================================
-- Issue 9, personal data: no value a caller passes reaches an error, a
-- notice or the server log.
-- ===========================================================================

-- ===========================================================================
-- Issue 10, legal calendar 0.2.
-- ===========================================================================

-- ---------------------------------------------------------------------------
-- No silent masking (doc/decisions.md, "Which value is in force"): of the
-- entries for a category and for every category that cover a day, the one
-- recorded later is in force; keep_own lets a category keep its own.

ALTER TABLE mynahoken.legal_parameter_entry
  ADD COLUMN keep_own boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT legal_parameter_keep_own_scoped CHECK (NOT keep_own OR scope IS NOT NULL);
COMMENT ON COLUMN mynahoken.legal_parameter_entry.keep_own IS
  'True: this value of one category stays in force against values for every category recorded later (the insurer keeps its own); false: the most recently recorded covering value is in force';

CREATE OR REPLACE FUNCTION mynahoken.legal_entry_at(name text, day date,
                                         category mynahoken.insurer_category DEFAULT NULL,
                                         known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
BEGIN
  IF name IS NULL OR day IS NULL THEN
    RAISE EXCEPTION 'legal parameter name and day must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
           WHERE e.name = legal_entry_at.name
             AND (e.scope = category OR e.scope IS NULL)
             AND e.valid @> day
             AND (known_on IS NULL OR e.recorded_on <= known_on)
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL
   LIMIT 1;
  IF FOUND THEN
    RETURN ent;
  END IF;
  PERFORM FROM mynahoken.legal_parameter_def d WHERE d.name = legal_entry_at.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal parameter "%"', name
      USING ERRCODE = 'undefined_object',
            HINT = 'The parameters are listed in mynahoken.legal_parameter_def.';
  END IF;
  RAISE EXCEPTION 'no value for legal parameter "%" on %', name, to_char(day, 'YYYY-MM-DD')
    USING ERRCODE = 'no_data_found',
          DETAIL = format('Insurer category: %s. Knowledge: %s.',
                          coalesce(category::text, 'all'),
                          CASE WHEN known_on IS NULL THEN 'as currently known'
                               ELSE 'as known on ' || to_char(known_on, 'YYYY-MM-DD') END),
          HINT = 'Record a value with mynahoken.record_legal_parameter().';
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_at(text, date, mynahoken.insurer_category, date) IS
  'Internal: stored entry in force for a legal parameter on a day, for a category, as known on a day (NULL: now); error P0002 when none';

CREATE OR REPLACE FUNCTION mynahoken.legal_entry_relations(parameter_id bigint)
RETURNS TABLE (parameter_id bigint, scope mynahoken.insurer_category, recorded_on date,
               days daterange, relation text)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT o.parameter_id, o.scope, o.recorded_on, n.valid OPERATOR(pg_catalog.*) o.valid,
         CASE WHEN n.scope IS NOT DISTINCT FROM o.scope
              THEN CASE WHEN o.recorded_on OPERATOR(pg_catalog.<) n.recorded_on THEN 'supersedes'
                        ELSE 'is superseded by' END
              WHEN n.scope IS NULL
              THEN CASE WHEN o.keep_own OR o.recorded_on OPERATOR(pg_catalog.>=) n.recorded_on
                        THEN 'is masked by' ELSE 'masks' END
              ELSE CASE WHEN n.keep_own OR n.recorded_on OPERATOR(pg_catalog.>=) o.recorded_on
                        THEN 'masks' ELSE 'is masked by' END END
    FROM mynahoken.legal_parameter_entry n
    JOIN mynahoken.legal_parameter_entry o
      ON o.name OPERATOR(pg_catalog.=) n.name
     AND o.parameter_id OPERATOR(pg_catalog.<>) n.parameter_id
     AND o.valid OPERATOR(pg_catalog.&&) n.valid
     AND (o.scope IS NULL OR n.scope IS NULL OR o.scope OPERATOR(pg_catalog.=) n.scope)
   WHERE n.parameter_id OPERATOR(pg_catalog.=) legal_entry_relations.parameter_id
   ORDER BY o.parameter_id;
END;
COMMENT ON FUNCTION mynahoken.legal_entry_relations(bigint) IS
  'Entries of the same parameter sharing valid days with an entry, and whether it supersedes, masks, is superseded by or is masked by each (no silent masking)';

-- record_legal_parameter gains keep_own (and reason, below): created again
-- with the change sets.
DROP FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text);

-- Shipped rows changed by the rule (corrections of the shipped data, the same
-- as a fresh 0.2 install): 協会けんぽ's own term and renewal month are kept
-- against the later default for every category; the notice of 2025-11-12
-- covers the decision days from 2025-12-02 only, so that 国保 and 後期 keep
-- their acceptance from 2025-08-01.
ALTER TABLE mynahoken.legal_parameter_entry DISABLE TRIGGER legal_parameter_entry_guard;
UPDATE mynahoken.legal_parameter_entry
   SET keep_own = true,
       note = CASE name
                WHEN 'certificate_term_months' THEN 'With certificate_renewal_month 12: between 4 and 5 years, one expiry per yearly issuing window. 協会けんぽ''s own decision: kept against later defaults for every category.'
                ELSE '協会けんぽ''s own decision: kept against later defaults for every category.' END
 WHERE shipped AND scope = 'kyokai_kenpo' AND name IN ('certificate_term_months', 'certificate_renewal_month');
UPDATE mynahoken.legal_parameter_entry
   SET valid = '[2025-12-02,)',
       note = 'Decision days from 2025-12-02, the first day the notice covers: before it each category keeps its own value. No extension past 2026-03-31 found as of 2026-02-22.'
 WHERE shipped AND name = 'expired_card_acceptance' AND scope IS NULL AND recorded_on = '2025-11-12';
ALTER TABLE mynahoken.legal_parameter_entry ENABLE TRIGGER legal_parameter_entry_guard;

-- ---------------------------------------------------------------------------
-- The 2025-2026 record (../shared/spec/domain-2026.md; doc/decisions.md,
-- "Parameters shipped").  Corrections of the shipped data, the same as a
-- fresh 0.2 install:
--   * 後期's acceptance rests on the MHLW 事務連絡 of 2025-08-04, from
--     2025-08-01 (0.1: 京都府医師会, known from 2025-09-15, start UNCONFIRMED);
--   * the e-certificate grace rests on 厚生労働省告示第349号 of 2024-11-29
--     (0.1: known from 2025-07-16, 協会けんぽ, kept as a second publication);
--   * the title of the notice of 2025-06-27, the 附則第15条 basis in the note
--     of 令和5年法律第48号, the notes that said "no extension past 2026-03-31".
-- Both corrections make a value known on an earlier day than 0.1 said: a
-- decision "as known on" a day between gives a different answer after the
-- update (doc/decisions.md, "Updating from 0.1").
ALTER TABLE mynahoken.legal_source DISABLE TRIGGER legal_source_guard;
UPDATE mynahoken.legal_source
   SET note = note || ' 附則第15条 is the basis for issuing a 資格確認書 without application (職権交付) "当分の間" (保団連, https://hodanren.doc-net.or.jp/?p=27223).'
 WHERE shipped AND code = 'law-r5-48';
UPDATE mynahoken.legal_source
   SET title = '健康保険証の有効期限切れに伴う暫定的な取扱いに関する疑義解釈資料の送付について',
       note = note || ' Its attachment is titled 健康保険証の有効期限切れに伴う暫定的な取扱いについて (the title 0.1 shipped); 日本医師会 forwarded it on 2025-07-01 (全商連, 出雲医師会).'
 WHERE shipped AND code = 'mhlw-2025-06-27';
UPDATE mynahoken.legal_source
   SET note = 'Reports a 事務連絡 applying the 2025-06-27 treatment to expired 後期 cards. Since 0.2 the calendar cites that notice itself (mhlw-2025-08-04).'
 WHERE shipped AND code = 'kyotoiho-2025-09-15';
ALTER TABLE mynahoken.legal_source ENABLE TRIGGER legal_source_guard;

INSERT INTO mynahoken.legal_source (source_id, code, kind, title, issuer, number, issued_on, url, note, shipped) VALUES
  (16, 'mhlw-2025-08-04', 'notice',
   '後期高齢者に係る資格確認書の暫定運用におけるマイナ保険証等の取扱いについて',
   '厚生労働省', '事務連絡', '2025-08-04',
   'https://hodanren.doc-net.or.jp/info/news/2025-08-05',
   'Applies the 国保 treatment of 2025-06-27 to expired 後期 cards (expired on 2025-07-31), so from 2025-08-01. Announced by minister 福岡 on 2025-08-05. The PDF was not read; 保団連 links it (also 愛媛県保険医協会, 京都医報 2025-09-15).', true),
  (17, 'mhlw-kokuji-2024-349', 'notice',
   '厚生労働省告示第349号 (療担規則等の改正: 電子証明書の有効期限切れ後のオンライン資格確認)',
   '厚生労働大臣', '厚生労働省告示第349号', '2024-11-29',
   'https://www.mhlw.go.jp/web/t_doc?dataId=84ac0107&dataType=0&pageNo=1',
   'In force 2024-12-02. The マイナ保険証 stays usable until the end of the 3rd month after the month its e-certificate expires. Only the preamble was read; the title here describes it. Also 中医協 答申 2024-11-13, MHLW https://www.mhlw.go.jp/stf/newpage_50657.html.', true),
  (18, 'press-2026-03-19', 'publication',
   '健康保険証の暫定的な取扱い 2026年7月末まで延長 (厚生労働大臣の発表の報道)',
   'KAB, 新潟日報, 毎日新聞', NULL, '2026-03-19',
   'https://www.kab.co.jp/news/article/16433268',
   'Three outlets quote the minister: institutions checking eligibility online may accept an expired 健康保険証 until 2026-07-31 instead of 2026-03-31, with no extension past July (also https://www.niigata-nippo.co.jp/articles/-/799360, https://www.fujipost.com/lifestyle/48684.html). The 事務連絡 itself was not found: replace this source when it is read. Whether a 資格情報のお知らせ alone stays accepted (notice_alone) is UNCONFIRMED; the product ties it to the same range.', true),
  (19, 'mitane-2026-03-06', 'publication',
   '三種町 (秋田県): 後期高齢者医療の資格確認書 (令和8年8月以降, 85歳以上)',
   '三種町', NULL, '2026-03-06',
   'https://www.town.mitane.akita.jp/soshikikarasagasu/kenkosuishinka/1/580.html',
   'Second prefecture with the 埼玉 cut-off: members aged 85 or over on 2026-08-01 all get a 資格確認書, 84 or under a 資格確認書 or a お知らせ. National notice not found (UNCONFIRMED).', true),
  (20, 'ascii-2025-09-01', 'publication',
   'スマホでマイナ保険証 2025年9月19日から (医療保険部会 2025-08-28)',
   'ASCII', NULL, '2025-09-01',
   'https://ascii.jp/elem/000/004/316/4316751/',
   'From 2025-09-19 the マイナ保険証 works on a smartphone (iPhone from iOS 18.5, Android with the スマホ用電子証明書), only where the institution has a smartphone reader. Also 関内会計 https://www.kannaikaikei.jp/?p=15211.', true);

INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description, shipped) VALUES
  ('smartphone_myna_from', 'date', 'day',
   'First day a マイナ保険証 on a smartphone is usable (where the institution has a smartphone reader); legally the same マイナ保険証', true);

ALTER TABLE mynahoken.legal_parameter_entry DISABLE TRIGGER legal_parameter_entry_guard;
UPDATE mynahoken.legal_parameter_entry
   SET recorded_on = '2024-11-29', source_id = 17,
       note = 'Corrected in 0.2: 0.1 knew it from 2025-07-16 (協会けんぽ), so as known between 2024-12-02 and 2025-07-15 it had no value.'
 WHERE shipped AND parameter_id = 26 AND name = 'ecert_grace_months';
UPDATE mynahoken.legal_parameter_entry
   SET recorded_on = '2025-08-04', source_id = 16, confirmed = true,
       note = 'The 国保 treatment of 2025-06-27 applied to 後期, whose cards expired on 2025-07-31. Corrected in 0.2: 0.1 knew it from 2025-09-15 (京都府医師会), with the start UNCONFIRMED.'
 WHERE shipped AND parameter_id = 27 AND name = 'expired_card_acceptance';
UPDATE mynahoken.legal_parameter_entry
   SET note = 'Decision days from 2025-12-02, the first day the notice covers: before it each category keeps its own value. Extended to 2026-07-31 as known from 2026-03-19.'
 WHERE shipped AND parameter_id = 28 AND name = 'expired_card_acceptance';
ALTER TABLE mynahoken.legal_parameter_entry ENABLE TRIGGER legal_parameter_entry_guard;

INSERT INTO mynahoken.legal_parameter_entry
  (parameter_id, name, value_type, scope, valid, recorded_on, value_date, value_int, value_range,
   source_id, confirmed, note, shipped) VALUES
  (31, 'ecert_grace_months', 'int', NULL, '(,)', '2025-07-16', NULL, 3, NULL, 8, true,
   'A second publication of the value of 厚生労働省告示第349号.', true),
  (32, 'smartphone_myna_from', 'date', NULL, '(,)', '2025-09-01', '2025-09-19', NULL, NULL, 20, true, NULL, true),
  (33, 'late_elderly_age_rule_from', 'date', 'late_elderly', '(,)', '2026-03-06', '2026-08-01', NULL, NULL, 19, false,
   'Second source of the 埼玉 rule; the national notice is still not found.', true),
  (34, 'late_elderly_age_threshold', 'int', 'late_elderly', '[2026-08-01,)', '2026-03-06', NULL, 85, NULL, 19, false,
   'Second source of the 埼玉 rule; the national notice is still not found.', true),
  (35, 'expired_card_acceptance', 'daterange', NULL, '[2025-12-02,)', '2026-03-19', NULL, NULL, '[2025-12-02,2026-07-31]', 18, true,
   'Extension announced on 2026-03-19 (press; the 事務連絡 itself not found). For 国保 and 後期 acceptance starts 2025-08-01 (their own rows hold the days before 2025-12-02).', true);

-- ---------------------------------------------------------------------------
-- Change sets, system time, the author role (doc/decisions.md, "Recording:
-- change sets, system time, the author role").  Entries recorded before the
-- update belong to no change set: their system time was not kept.

CREATE SEQUENCE mynahoken.legal_change_set_id_seq START 1000000 MINVALUE 1000000;
COMMENT ON SEQUENCE mynahoken.legal_change_set_id_seq IS 'Ids of mynahoken.legal_change_set';
CREATE TABLE mynahoken.legal_change_set (
  change_set_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('mynahoken.legal_change_set_id_seq'),
  recorded_at   timestamptz NOT NULL DEFAULT pg_catalog.transaction_timestamp(),  -- system time
  recorded_by   name NOT NULL DEFAULT SESSION_USER,
  recorded_on   date NOT NULL CHECK (pg_catalog.isfinite(recorded_on)),  -- knowledge day of its entries
  reason        text CHECK (reason OPERATOR(pg_catalog.<>) ''),  -- required for a knowledge day long before the recording
  note          text
);
ALTER SEQUENCE mynahoken.legal_change_set_id_seq OWNED BY mynahoken.legal_change_set.change_set_id;
COMMENT ON TABLE mynahoken.legal_change_set IS
  'Entries of the legal calendar recorded together: system time and user (set by the database), knowledge day, reason for a backdated knowledge day';
ALTER TABLE mynahoken.legal_parameter_entry
  ADD COLUMN change_set_id bigint REFERENCES mynahoken.legal_change_set;

CREATE OR REPLACE FUNCTION mynahoken.legal_record_entry(change_set_id bigint,
                                             recorded_on date,
                                             name text,
                                             scope mynahoken.insurer_category,
                                             valid daterange,
                                             value text,
                                             source_id bigint,
                                             confirmed boolean,
                                             note text,
                                             keep_own boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  def mynahoken.legal_parameter_def;
  latest date;
  new_id bigint;
  report text;
BEGIN
  IF name IS NULL OR valid IS NULL OR value IS NULL OR source_id IS NULL OR recorded_on IS NULL
     OR keep_own IS NULL THEN
    RAISE EXCEPTION 'name, valid, value, source_id, recorded_on and keep_own must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF keep_own AND scope IS NULL THEN
    RAISE EXCEPTION 'only a value of one insurer category can keep its own against later values'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'keep_own protects a category''s value from values for every category recorded later.';
  END IF;
  IF isempty(valid) THEN
    RAISE EXCEPTION 'valid range of legal parameter "%" is empty', name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO def FROM mynahoken.legal_parameter_def d WHERE d.name = legal_record_entry.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal parameter "%"', name
      USING ERRCODE = 'undefined_object',
            HINT = 'Define it in mynahoken.legal_parameter_def first.';
  END IF;
  -- One writer at a time, so that the order check below holds when two
  -- notices are recorded concurrently.
  LOCK TABLE mynahoken.legal_parameter_entry IN SHARE ROW EXCLUSIVE MODE;

  -- The new row supersedes the rows it overlaps (derived, nothing is
  -- updated), so it must come after them.
  SELECT max(p.recorded_on) INTO latest
    FROM mynahoken.legal_parameter_entry p
   WHERE p.name = legal_record_entry.name
     AND p.scope IS NOT DISTINCT FROM legal_record_entry.scope
     AND p.valid && legal_record_entry.valid;
  IF latest > recorded_on THEN
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on %, after %',
                    name, to_char(latest, 'YYYY-MM-DD'), to_char(recorded_on, 'YYYY-MM-DD')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Values are recorded in the order they become known.';
  ELSIF latest = recorded_on THEN
    RAISE EXCEPTION 'legal parameter "%" already has a value recorded on % for some of these days',
                    name, to_char(latest, 'YYYY-MM-DD')
      USING ERRCODE = 'exclusion_violation',
            DETAIL = 'One value per parameter, scope, decision day and knowledge day.',
            HINT = 'Record the correction as known from a later day.';
  END IF;

  INSERT INTO mynahoken.legal_parameter_entry
    (name, value_type, scope, valid, recorded_on, value_date, value_int, value_bool,
     value_range, value_text, source_id, confirmed, note, keep_own, change_set_id)
  VALUES (name, def.value_type, scope, valid, recorded_on,
          CASE WHEN def.value_type = 'date' THEN value::date END,
          CASE WHEN def.value_type = 'int' THEN value::int END,
          CASE WHEN def.value_type = 'boolean' THEN value::boolean END,
          CASE WHEN def.value_type = 'daterange' THEN value::daterange END,
          CASE WHEN def.value_type = 'text' THEN value END,
          source_id, confirmed, note, keep_own, change_set_id)
  RETURNING parameter_id INTO new_id;

  -- No silent masking: say which entries the new one takes days from, and
  -- which still take days from it.
  SELECT string_agg(format('%s entry %s (%s, recorded on %s) on %s', r.relation, r.parameter_id,
                           coalesce(r.scope::text, 'every category'), to_char(r.recorded_on, 'YYYY-MM-DD'),
                           mynahoken.daterange_iso(r.days)),
                    '; ' ORDER BY r.parameter_id)
    INTO report
    FROM mynahoken.legal_entry_relations(new_id) AS r;
  IF report IS NOT NULL THEN
    RAISE NOTICE 'legal parameter "%" recorded as entry %', name, new_id
      USING DETAIL = 'It ' || report || '.',
            HINT = 'mynahoken.legal_entry_relations(entry) lists them.';
  END IF;
  RETURN new_id;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_record_entry(bigint, date, text, mynahoken.insurer_category, daterange, text, bigint, boolean, text, boolean) IS
  'Internal: append one entry of a change set (NULL: shipped) after the checks; a NOTICE lists what it supersedes and masks';
REVOKE ALL ON FUNCTION mynahoken.legal_record_entry(bigint, date, text, mynahoken.insurer_category, daterange, text, bigint, boolean, text, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION mynahoken.legal_change_set_open(recorded_on date, reason text, note text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  today date := (transaction_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
  id bigint;
BEGIN
  IF recorded_on IS NULL OR NOT isfinite(recorded_on) THEN
    RAISE EXCEPTION 'the knowledge day of a change set must be a finite date'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF recorded_on > today THEN
    RAISE EXCEPTION 'a knowledge day cannot be after the day it is recorded'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Knowledge day %s, recording day %s (in Japan).',
                            to_char(recorded_on, 'YYYY-MM-DD'), to_char(today, 'YYYY-MM-DD'));
  END IF;
  IF recorded_on < today - 31 AND coalesce(reason, '') = '' THEN
    RAISE EXCEPTION 'knowledge day % is more than 31 days before the day it is recorded',
                    to_char(recorded_on, 'YYYY-MM-DD')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Recording day %s (in Japan). Decisions "as known on" the days between change when this is recorded.',
                            to_char(today, 'YYYY-MM-DD')),
            HINT = 'Give the reason (a correction, a late entry); mynahoken.legal_change_sets lists it.';
  END IF;
  INSERT INTO mynahoken.legal_change_set (recorded_on, reason, note)
  VALUES (recorded_on, nullif(reason, ''), note)
  RETURNING change_set_id INTO id;
  RETURN id;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_change_set_open(date, text, text) IS
  'Internal: open a change set known from a day (a reason is required more than 31 days back; a later day is refused)';
REVOKE ALL ON FUNCTION mynahoken.legal_change_set_open(date, text, text) FROM PUBLIC;

CREATE FUNCTION mynahoken.record_legal_parameter(name text,
                                                 scope mynahoken.insurer_category,
                                                 valid daterange,
                                                 value text,
                                                 source_id bigint,
                                                 recorded_on date DEFAULT current_date,
                                                 confirmed boolean DEFAULT true,
                                                 note text DEFAULT NULL,
                                                 keep_own boolean DEFAULT false,
                                                 reason text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN mynahoken.legal_record_entry(mynahoken.legal_change_set_open(recorded_on, reason, NULL),
                                      recorded_on, name, scope, valid, value, source_id,
                                      confirmed, note, keep_own);
END
$$;
COMMENT ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean, text) IS
  'Record a new value of a legal parameter from a source, as a change set of one: appends an entry that supersedes or masks the values it overlaps (a NOTICE lists them); a reason is needed for a knowledge day more than 31 days back';
CREATE OR REPLACE FUNCTION mynahoken.record_legal_change_set(recorded_on date, entries jsonb,
                                                  reason text DEFAULT NULL, note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cs bigint;
  e jsonb;
  src bigint;
BEGIN
  IF entries IS NULL OR jsonb_typeof(entries) <> 'array' OR jsonb_array_length(entries) = 0 THEN
    RAISE EXCEPTION 'entries of a change set must be a non-empty JSON array'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cs := mynahoken.legal_change_set_open(recorded_on, reason, note);
  FOR e IN SELECT x FROM jsonb_array_elements(entries) AS x LOOP
    IF jsonb_typeof(e) <> 'object' THEN
      RAISE EXCEPTION 'each entry of a change set must be a JSON object'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    src := (e ->> 'source_id')::bigint;
    IF src IS NULL AND e ? 'source' THEN
      SELECT s.source_id INTO src FROM mynahoken.legal_source s WHERE s.code = e ->> 'source';
      IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown legal source "%"', e ->> 'source'
          USING ERRCODE = 'undefined_object';
      END IF;
    END IF;
    PERFORM mynahoken.legal_record_entry(cs, recorded_on, e ->> 'name',
              (e ->> 'scope')::mynahoken.insurer_category, (e ->> 'valid')::daterange,
              e ->> 'value', src, coalesce((e ->> 'confirmed')::boolean, true), e ->> 'note',
              coalesce((e ->> 'keep_own')::boolean, false));
  END LOOP;
  RETURN cs;
END
$$;
COMMENT ON FUNCTION mynahoken.record_legal_change_set(date, jsonb, text, text) IS
  'Record several entries that take effect together (one change set, one knowledge day); returns the change set id';
CREATE OR REPLACE FUNCTION mynahoken.legal_entry_held_at(name text, day date,
                                              category mynahoken.insurer_category,
                                              held_at timestamptz,
                                              known_on date DEFAULT NULL)
RETURNS mynahoken.legal_parameter_entry
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ent mynahoken.legal_parameter_entry;
BEGIN
  IF name IS NULL OR day IS NULL OR held_at IS NULL THEN
    RAISE EXCEPTION 'legal parameter name, day and time must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT c.* INTO ent
    FROM (SELECT DISTINCT ON (e.scope IS NULL) e.*
            FROM mynahoken.legal_parameter_entry e
            LEFT JOIN mynahoken.legal_change_set cs ON cs.change_set_id = e.change_set_id
           WHERE e.name = legal_entry_held_at.name
             AND (e.scope = category OR e.scope IS NULL)
             AND e.valid @> day
             AND (known_on IS NULL OR e.recorded_on <= known_on)
             AND (e.change_set_id IS NULL OR cs.recorded_at <= held_at)
           ORDER BY e.scope IS NULL, e.recorded_on DESC) AS c
   ORDER BY c.keep_own DESC, c.recorded_on DESC, c.scope IS NULL
   LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no value for legal parameter "%" on %', name, to_char(day, 'YYYY-MM-DD')
      USING ERRCODE = 'no_data_found',
            DETAIL = format('Insurer category: %s. As held at %s.', coalesce(category::text, 'all'),
                            to_char(held_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
  END IF;
  RETURN ent;
END
$$;
COMMENT ON FUNCTION mynahoken.legal_entry_held_at(text, date, mynahoken.insurer_category, timestamptz, date) IS
  'Audit: entry in force for a legal parameter on a day, for a category, as the database held the calendar at a time (and as known on a day, NULL: as then known)';
CREATE OR REPLACE VIEW mynahoken.legal_change_sets AS
SELECT cs.change_set_id, cs.recorded_at, cs.recorded_by, cs.recorded_on,
       (cs.recorded_at AT TIME ZONE 'Asia/Tokyo')::date OPERATOR(pg_catalog.-) cs.recorded_on AS days_back,
       cs.recorded_on OPERATOR(pg_catalog.<) ((cs.recorded_at AT TIME ZONE 'Asia/Tokyo')::date OPERATOR(pg_catalog.-) 31) AS backdated,
       cs.reason, cs.note,
       (SELECT pg_catalog.array_agg(e.parameter_id ORDER BY e.parameter_id)
          FROM mynahoken.legal_parameter_entry e
         WHERE e.change_set_id OPERATOR(pg_catalog.=) cs.change_set_id) AS entries
  FROM mynahoken.legal_change_set cs;
COMMENT ON VIEW mynahoken.legal_change_sets IS
  'Change sets of the legal calendar: system time, user, knowledge day, days back and whether backdated (with its reason), entries';
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_change_set', '');
SELECT pg_catalog.pg_extension_config_dump('mynahoken.legal_change_set_id_seq', '');
GRANT SELECT ON mynahoken.legal_change_set, mynahoken.legal_change_sets TO PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'mynahoken_calendar_author') THEN
    CREATE ROLE mynahoken_calendar_author NOLOGIN;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean, text),
  mynahoken.record_legal_change_set(date, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.record_legal_parameter(text, mynahoken.insurer_category, daterange, text, bigint, date, boolean, text, boolean, text),
  mynahoken.record_legal_change_set(date, jsonb, text, text) TO mynahoken_calendar_author;
GRANT INSERT (code, kind, title, issuer, number, issued_on, url, note) ON mynahoken.legal_source TO mynahoken_calendar_author;
GRANT INSERT (name, value_type, unit, description) ON mynahoken.legal_parameter_def TO mynahoken_calendar_author;
GRANT USAGE ON SEQUENCE mynahoken.legal_source_id_seq TO mynahoken_calendar_author;
