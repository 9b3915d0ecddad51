-- The shipped legal calendar: sources, parameter definitions and entries
-- (the DDL and functions are in 40_calendar.sql; backups, grants and roles
-- in 42_calendar_roles.sql, which must follow the seed).

-- ---------------------------------------------------------------------------
-- Seed: the parameters of doc/decisions.md ("Calendar") with their sources,
-- from ../shared/spec/domain.md §5-§7 and the 協会けんぽ briefing of 令和6年11月.
-- recorded_on is the day the source was issued (when it could be known).

INSERT INTO mynahoken.legal_source (code, kind, title, issuer, number, issued_on, url, note) VALUES
  ('law-r5-48', 'law',
   '行政手続における特定の個人を識別するための番号の利用等に関する法律等の一部を改正する法律',
   '国会', '令和5年法律第48号', '2023-06-09', NULL,
   '附則 経過措置: 発行済みの健康保険証は廃止後1年間 (有効期間が先に到来する場合はその日まで) 有効とみなす. Article number UNCONFIRMED. Inserts 健康保険法 第51条の3 (資格確認書). 附則第15条 is the basis for issuing a 資格確認書 without application (職権交付) "当分の間" (保団連, https://hodanren.doc-net.or.jp/?p=27223).'),
  ('ordinance-r5-374', 'ordinance',
   '行政手続における特定の個人を識別するための番号の利用等に関する法律等の一部を改正する法律の施行期日を定める政令',
   '内閣', '令和5年政令第374号', '2023-12-27',
   'https://www.mhlw.go.jp/web/t_doc?dataId=00tc8179&dataType=1&pageNo=1',
   'Sets 2024-12-02 as the day the 健康保険証 is abolished; notice デ社第517号/総行マ第150号/保発1227第4号.'),
  ('mhlw-2024-09-26', 'notice',
   '後期高齢者医療制度における資格確認書の暫定的な運用について',
   '厚生労働省', NULL, '2024-09-26',
   'https://www.city.kakegawa.shizuoka.jp/gyosei/docs/723410.html',
   'Primary text not read; quoted by 掛川市 and 松崎町. 資格確認書 to every 後期 member without application until 2025-07-31.'),
  ('kyokai-2024-11', 'publication',
   '健康保険証とマイナンバーカードの一体化（マイナ保険証）に関する制度について',
   '全国健康保険協会 (協会けんぽ)', NULL, '2024-11-01', NULL,
   'Briefing for employers, 令和6年11月 (day of month not printed). Chart of documents by period; 資格情報のお知らせ rounds.'),
  ('mhlw-2025-03-13', 'notice',
   '全国高齢者医療・国民健康保険主管課(部)長会議 保険局国民健康保険課説明資料',
   '厚生労働省 保険局', NULL, '2025-03-13',
   'https://www.mhlw.go.jp/stf/newpage_54381.html',
   'p.169: 資格確認書の有効期間は5年以内で保険者が設定 (更新あり).'),
  ('mhlw-2025-04-03', 'notice',
   '後期高齢者医療制度における資格確認書の暫定的な運用の延長について',
   '厚生労働省', NULL, '2025-04-03',
   'https://www.city.minamiboso.chiba.jp/0000021464.html',
   'Primary text not read; quoted by 南房総市, 水戸市, 君津市. Extends the 後期 暫定運用 to 2026-07-31.'),
  ('mhlw-2025-06-27', 'notice',
   '健康保険証の有効期限切れに伴う暫定的な取扱いに関する疑義解釈資料の送付について',
   '厚生労働省', '事務連絡', '2025-06-27',
   'https://www.city.karatsu.lg.jp/page/40137.html',
   'From 2025-08-01 to 2026-03-31 an institution may accept an expired 国保 card, or a 資格情報のお知らせ alone, after confirming eligibility online. Its attachment is titled 健康保険証の有効期限切れに伴う暫定的な取扱いについて (the title 0.1 shipped); 日本医師会 forwarded it on 2025-07-01 (全商連, 出雲医師会).'),
  ('kyokai-2025-07-16', 'publication',
   'マイナンバーカードの電子証明書の有効期限が切れた場合について',
   '全国健康保険協会 (協会けんぽ)', NULL, '2025-07-16',
   'https://www.kyoukaikenpo.or.jp/g1/r7-7/7071601',
   '有効期限満了日が属する月の末日から3か月間は引き続きマイナ保険証を利用できる.'),
  ('kyotoiho-2025-09-15', 'publication',
   '京都府医師会 医報: 後期高齢者医療の被保険者証の有効期限切れに伴う暫定的な取扱い',
   '京都府医師会', NULL, '2025-09-15',
   'https://kyotoihou.t-reader.jp/2025/2025-sep-15/30098',
   'Reports a 事務連絡 applying the 2025-06-27 treatment to expired 後期 cards. Since 0.2 the calendar cites that notice itself (mhlw-2025-08-04).'),
  ('mhlw-2025-11-12', 'notice',
   'マイナ保険証を基本とする仕組みへの移行について（周知）',
   '厚生労働省 保険局医療介護連携政策課', '事務連絡', '2025-11-12',
   'https://hodanren.doc-net.or.jp/info/news/2025-11-12-4',
   'Extends the temporary acceptance to all insurers from 2025-12-02 to the end of 2026-03.'),
  ('saitama-kouiki-2026', 'publication',
   '埼玉県後期高齢者医療広域連合: 資格確認書の交付 (令和8年8月以降)',
   '埼玉県後期高齢者医療広域連合', NULL, NULL,
   'https://www.saitama-koukikourei.org/seido/taisho/hokensho-2-2-2-2-2',
   'Reports a national change: from 2026-08-01 members aged 85 or over on that day all get a 資格確認書. National basis UNCONFIRMED; page date not recorded (read by 2026-02-22).'),
  ('shikokoho-r24', 'ordinance',
   '健康保険法施行規則 第24条第1項',
   '内務省 (現 厚生労働省)', '大正15年内務省令第36号', '1926-07-01',
   'http://thoz.org/law/diff/大正15年7月1日内務省令第36号/20170101/',
   '資格取得届は当該事実があった日から五日以内に提出.'),
  ('civil-code-140', 'law',
   '民法 第140条 (期間の起算)', '国会', '明治29年法律第89号', '1896-04-27', NULL,
   'The first day of a period counted in days is not counted. Its application to 規則24条 is UNCONFIRMED.'),
  ('mynahoken-default', 'insurer_decision',
   'mynahoken shipped default for insurer choices; replace with the insurer''s own decision',
   'mynahoken', NULL, '2024-12-02', NULL,
   'A 資格確認書 of 1 year renewed each 8/1 is the usual 後期 and 国保 practice (静岡県広域連合); 14 days to send a 資格情報のお知らせ to a new member is a placeholder.'),
  ('kyokai-2024-07-24', 'insurer_decision',
   '協会けんぽの資格確認書: 有効期限は4~5年 (1年単位の発行期間ごとに同一の有効期限)',
   '全国健康保険協会 (協会けんぽ)', NULL, '2024-07-24',
   'https://hodanren.doc-net.or.jp/info/news/2024-07-24',
   'Reported by 保団連; exact expiry dates UNCONFIRMED.'),
  -- 0.2: the 2025-2026 record (../shared/spec/domain-2026.md)
  ('mhlw-2025-08-04', 'notice',
   '後期高齢者に係る資格確認書の暫定運用におけるマイナ保険証等の取扱いについて',
   '厚生労働省', '事務連絡', '2025-08-04',
   'https://hodanren.doc-net.or.jp/info/news/2025-08-05',
   'Applies the 国保 treatment of 2025-06-27 to expired 後期 cards (expired on 2025-07-31), so from 2025-08-01. Announced by minister 福岡 on 2025-08-05. The PDF was not read; 保団連 links it (also 愛媛県保険医協会, 京都医報 2025-09-15).'),
  ('mhlw-kokuji-2024-349', 'notice',
   '厚生労働省告示第349号 (療担規則等の改正: 電子証明書の有効期限切れ後のオンライン資格確認)',
   '厚生労働大臣', '厚生労働省告示第349号', '2024-11-29',
   'https://www.mhlw.go.jp/web/t_doc?dataId=84ac0107&dataType=0&pageNo=1',
   'In force 2024-12-02. The マイナ保険証 stays usable until the end of the 3rd month after the month its e-certificate expires. Only the preamble was read; the title here describes it. Also 中医協 答申 2024-11-13, MHLW https://www.mhlw.go.jp/stf/newpage_50657.html.'),
  ('press-2026-03-19', 'publication',
   '健康保険証の暫定的な取扱い 2026年7月末まで延長 (厚生労働大臣の発表の報道)',
   'KAB, 新潟日報, 毎日新聞', NULL, '2026-03-19',
   'https://www.kab.co.jp/news/article/16433268',
   'Three outlets quote the minister: institutions checking eligibility online may accept an expired 健康保険証 until 2026-07-31 instead of 2026-03-31, with no extension past July (also https://www.niigata-nippo.co.jp/articles/-/799360, https://www.fujipost.com/lifestyle/48684.html). The 事務連絡 itself was not found: replace this source when it is read. Whether a 資格情報のお知らせ alone stays accepted (notice_alone) is UNCONFIRMED; the product ties it to the same range.'),
  ('mitane-2026-03-06', 'publication',
   '三種町 (秋田県): 後期高齢者医療の資格確認書 (令和8年8月以降, 85歳以上)',
   '三種町', NULL, '2026-03-06',
   'https://www.town.mitane.akita.jp/soshikikarasagasu/kenkosuishinka/1/580.html',
   'Second prefecture with the 埼玉 cut-off: members aged 85 or over on 2026-08-01 all get a 資格確認書, 84 or under a 資格確認書 or a お知らせ. National notice not found (UNCONFIRMED).'),
  ('ascii-2025-09-01', 'publication',
   'スマホでマイナ保険証 2025年9月19日から (医療保険部会 2025-08-28)',
   'ASCII', NULL, '2025-09-01',
   'https://ascii.jp/elem/000/004/316/4316751/',
   'From 2025-09-19 the マイナ保険証 works on a smartphone (iPhone from iOS 18.5, Android with the スマホ用電子証明書), only where the institution has a smartphone reader. Also 関内会計 https://www.kannaikaikei.jp/?p=15211.'),
  -- 0.2: filing deadlines per category and the days the administration is closed
  ('kokuho-kisoku-2', 'ordinance',
   '国民健康保険法施行規則 第2条 (資格取得の届出)',
   '厚生省 (現 厚生労働省)', '昭和33年厚生省令第53号', NULL,
   'https://kanri.nkdesk.com/low/low33.php',
   '世帯主は、十四日以内に届書を市町村に提出 (also 第3条). In force 1959-01-01 (附則第1条); issue day not read. Text quoted by kanri.nkdesk.com; the e-Gov text was not read.'),
  ('kouki-kisoku-10', 'ordinance',
   '高齢者の医療の確保に関する法律施行規則 第10条 (資格取得の届出)',
   '厚生労働省', '平成19年厚生労働省令第129号', '2007-10-22',
   'https://www.sn-hoki.co.jp/data/pickup_hourei/onct/KOREISHAIRYOKAKUHONIKANSURUHOURITU-KISOKU20241031-149.html',
   '資格取得の届出は十四日以内 (Wikipedia, 後期高齢者医療制度; the article number also in the 規則 of the 福岡, 石川 and 佐賀 広域連合). The text of 第10条 was not read.'),
  ('holiday-law', 'law',
   '国民の祝日に関する法律', '国会', '昭和23年法律第178号', '1948-07-20',
   'https://laws.e-gov.go.jp/law/323AC1000000178',
   '第2条 the 国民の祝日 (amended: 昭和41年法律第86号 敬老の日, 体育の日, 建国記念の日; 平成元年法律第5号 みどりの日; 平成7年法律第22号 海の日; 平成10年法律第141号 and 平成13年法律第59号 ハッピーマンデー; 平成17年法律第43号 昭和の日; 平成26年法律第43号 山の日; 平成29年法律第63号 天皇誕生日 2/23). 第3条 休日: 振替休日 (昭和48年法律第10号, from 1973-04-12; the nearest following non-祝日 from 2007), 国民の休日 (昭和60年法律第103号, from 1985-12-27).'),
  ('gyosei-kyujitsu', 'law',
   '行政機関の休日に関する法律', '国会', '昭和63年法律第91号', '1988-12-13',
   'https://laws.e-gov.go.jp/law/363AC0000000091',
   '第1条: 行政機関の休日 are Sundays and Saturdays, the 休日 of 国民の祝日に関する法律, and 12/29 to 1/3. 第2条: a deadline of a 届出 to a 行政庁 that falls on such a day moves to the next day that is not one.'),
  ('chiho-jichi-4-2', 'law',
   '地方自治法 第4条の2 (地方公共団体の休日)', '国会', '昭和22年法律第67号', NULL,
   'https://laws.e-gov.go.jp/law/322AC0000000067',
   '第4項: a deadline of a 届出 to a 地方公共団体 that falls on its 休日 (by 条例: the days of 行政機関の休日に関する法律) moves to the next day that is not one. Added in 1988 (article inserted by 昭和63年法律第94号; day not read).'),
  ('naoj-rekiyoko', 'notice',
   '暦要項 (春分の日・秋分の日)', '国立天文台', NULL, NULL,
   'https://eco.mtk.nao.ac.jp/koyomi/yoko/',
   'Published in the 官報 each February for the next year (2027: 3/21, 9/23). The equinox days 1948-2027 are checked against @holiday-jp/holiday_jp 2.5.1 and python3-holidays 0.10.1.'),
  ('holiday-1959', 'law',
   '皇太子明仁親王の結婚の儀の行われる日を休日とする法律', '国会', '昭和34年法律第16号', '1959-03-17', NULL,
   '1959-04-10 is a 休日.'),
  ('holiday-1989', 'law',
   '昭和天皇の大喪の礼の行われる日を休日とする法律', '国会', '平成元年法律第4号', '1989-02-17', NULL,
   '1989-02-24 is a 休日.'),
  ('holiday-1990', 'law',
   '即位礼正殿の儀の行われる日を休日とする法律', '国会', '平成2年法律第24号', '1990-06-01', NULL,
   '1990-11-12 is a 休日.'),
  ('holiday-1993', 'law',
   '皇太子徳仁親王の結婚の儀の行われる日を休日とする法律', '国会', '平成5年法律第32号', '1993-04-30', NULL,
   '1993-06-09 is a 休日.'),
  ('holiday-2019', 'law',
   '天皇の即位の日及び即位礼正殿の儀の行われる日を休日とする法律', '国会', '平成30年法律第99号', '2018-12-14', NULL,
   '2019-05-01 and 2019-10-22 are 国民の祝日 for the year (so 2019-04-30 and 2019-05-02 are 国民の休日).'),
  ('olympic-2020', 'law',
   '平成三十二年東京オリンピック競技大会・東京パラリンピック競技大会特別措置法 (平成30年改正)', '国会', '平成30年法律第57号', '2018-06-20', NULL,
   'In 2020: 海の日 7/23, スポーツの日 7/24, 山の日 8/10 instead of their days.'),
  ('olympic-2021', 'law',
   '平成三十二年東京オリンピック競技大会・東京パラリンピック競技大会特別措置法 (令和2年改正)', '国会', '令和2年法律第68号', '2020-12-04', NULL,
   'In 2021: 海の日 7/22, スポーツの日 7/23, 山の日 8/8 instead of their days.');

INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description) VALUES
  ('card_issue_end', 'date', 'day',
   'Last day a 健康保険証 could be issued; cards issued by then are covered by the 経過措置'),
  ('card_transition_end', 'date', 'day',
   'Last day of the 経過措置: existing 健康保険証 are valid until then, or until their own expiry if earlier'),
  ('expired_card_acceptance', 'daterange', 'days',
   'Days on which an institution confirming eligibility online may accept an expired 健康保険証 or a 資格情報のお知らせ alone (暫定的な取扱い); empty: none'),
  ('ecert_grace_months', 'int', 'months',
   'マイナ保険証 stays usable until the end of the month this many months after the month its e-certificate expired'),
  ('notice_with_myna_from', 'date', 'day',
   'First day a 資格情報のお知らせ with the マイナ保険証 is usable where the online check is not possible'),
  ('portal_screen_with_myna_from', 'date', 'day',
   'First day the マイナポータル screen with the マイナ保険証 is usable where the online check is not possible'),
  ('portal_pdf_with_myna_from', 'date', 'day',
   'First day a マイナポータル PDF with the マイナ保険証 is usable where the online check is not possible'),
  ('certificate_from', 'date', 'day',
   'First day a 資格確認書 exists (健康保険法 第51条の3 in force)'),
  ('certificate_max_months', 'int', 'months',
   'Legal maximum validity of a 資格確認書'),
  ('certificate_term_months', 'int', 'months',
   'Insurer decision: minimum validity of a 資格確認書 before its renewal day'),
  ('certificate_renewal_month', 'int', 'month of year',
   'Insurer decision: 資格確認書 expire the day before the 1st of this month (0: no renewal day, term only)'),
  ('late_elderly_blanket_until', 'date', 'day',
   'Last day every 後期高齢者 member gets a 資格確認書 without application (暫定運用)'),
  ('late_elderly_age_rule_from', 'date', 'day',
   'Day from which, and on which age is measured for, the 後期高齢者 age rule (UNCONFIRMED)'),
  ('late_elderly_age_threshold', 'int', 'years',
   'Age at or above which every 後期高齢者 member gets a 資格確認書 under the age rule (UNCONFIRMED)'),
  ('acquisition_report_days', 'int', 'days',
   'Days within which the 資格取得届 is due after the acquisition'),
  ('acquisition_report_first_day_counts', 'boolean', 'flag',
   'Whether the day of acquisition counts as the first of acquisition_report_days (UNCONFIRMED)'),
  ('notice_round1_window', 'daterange', 'days',
   'Sending window of the first round of 資格情報のお知らせ to existing members'),
  ('notice_round2_window', 'daterange', 'days',
   'Sending window of the second round of 資格情報のお知らせ'),
  ('notice_round2_acquired', 'daterange', 'days',
   'Members whose acquisition falls in these days got the second round; earlier ones the first'),
  ('notice_on_acquisition_from', 'date', 'day',
   'Members acquiring eligibility from this day get a 資格情報のお知らせ when they join'),
  ('notice_on_acquisition_days', 'int', 'days',
   'Insurer decision: days after the acquisition within which the 資格情報のお知らせ is sent'),
  ('smartphone_myna_from', 'date', 'day',
   'First day a マイナ保険証 on a smartphone is usable (where the institution has a smartphone reader); legally the same マイナ保険証'),
  ('acquisition_report_rollover', 'boolean', 'flag',
   'Whether a 資格取得届 deadline on a day the administration is closed moves to the next open day (行政機関の休日に関する法律 第2条, 地方自治法 第4条の2 第4項)');

-- In the order the insurer learned them, so that later notices supersede.
CREATE FUNCTION mynahoken.seed_parameter(name text, scope mynahoken.insurer_category, valid daterange,
                                         value text, source_code text, recorded_on date,
                                         confirmed boolean DEFAULT true, note text DEFAULT NULL,
                                         keep_own boolean DEFAULT false)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT mynahoken.legal_record_entry(NULL, $6, $1, $2, $3, $4,
           (SELECT s.source_id FROM mynahoken.legal_source s WHERE s.code = $5), $7, $8, $9, NULL);
$$;

SELECT mynahoken.seed_parameter('expired_card_acceptance', NULL, '(,)', 'empty', 'law-r5-48', '2023-06-09',
       note => 'No acceptance of a card that is no longer valid until a notice says otherwise.');
SELECT mynahoken.seed_parameter('card_issue_end', NULL, '(,)', '2024-12-01', 'ordinance-r5-374', '2023-12-27');
SELECT mynahoken.seed_parameter('card_transition_end', NULL, '(,)', '2025-12-01', 'ordinance-r5-374', '2023-12-27',
       note => 'One year after the abolition day set by the ordinance, under the 経過措置 of 令和5年法律第48号.');
SELECT mynahoken.seed_parameter('certificate_from', NULL, '(,)', '2024-12-02', 'ordinance-r5-374', '2023-12-27');
SELECT mynahoken.seed_parameter('portal_screen_with_myna_from', NULL, '(,)', '2024-02-06', 'kyokai-2024-11', '2024-11-01',
       false, 'The chart note "R6.2.6より使用可能" is read as belonging to the マイナポータル screen row.');
SELECT mynahoken.seed_parameter('notice_with_myna_from', NULL, '(,)', '2024-12-02', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('portal_pdf_with_myna_from', NULL, '(,)', '2024-12-02', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('notice_round1_window', 'kyokai_kenpo', '(,)', '[2024-09-09,2024-09-30]', 'kyokai-2024-11', '2024-11-01',
       note => '岡山 sent on 2024-09-12. 日雇特例 members are a separate category.');
SELECT mynahoken.seed_parameter('notice_round2_window', 'kyokai_kenpo', '(,)', '[2025-01-22,2025-02-03]', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('notice_round2_acquired', 'kyokai_kenpo', '(,)', '[2024-06-10,2024-11-29]', 'kyokai-2024-11', '2024-11-01',
       note => 'The briefing says processed (加入の処理) from 2024-06-10 to 2024-11-29; the acquisition day stands in for the processing day.');
SELECT mynahoken.seed_parameter('notice_on_acquisition_from', NULL, '(,)', '2024-12-02', 'kyokai-2024-11', '2024-11-01');
SELECT mynahoken.seed_parameter('notice_on_acquisition_days', NULL, '(,)', '14', 'mynahoken-default', '2024-12-02', false);
SELECT mynahoken.seed_parameter('acquisition_report_days', NULL, '(,)', '5', 'shikokoho-r24', '1926-07-01');
SELECT mynahoken.seed_parameter('acquisition_report_first_day_counts', NULL, '(,)', 'false', 'civil-code-140', '1926-07-01', false,
       'Whether 民法 第140条 (first day not counted) applies to this deadline is UNCONFIRMED.');
SELECT mynahoken.seed_parameter('certificate_max_months', NULL, '[2024-12-02,)', '60', 'mhlw-2025-03-13', '2025-03-13');
SELECT mynahoken.seed_parameter('certificate_term_months', NULL, '[2024-12-02,)', '1', 'mynahoken-default', '2024-12-02', false,
       'With certificate_renewal_month 8: valid to the first 7/31 at least a month after issue.');
SELECT mynahoken.seed_parameter('certificate_renewal_month', NULL, '[2024-12-02,)', '8', 'mynahoken-default', '2024-12-02', false);
SELECT mynahoken.seed_parameter('certificate_term_months', 'kyokai_kenpo', '[2024-12-02,)', '48', 'kyokai-2024-07-24', '2024-07-24', false,
       'With certificate_renewal_month 12: between 4 and 5 years, one expiry per yearly issuing window. 協会けんぽ''s own decision: kept against later defaults for every category.',
       keep_own => true);
SELECT mynahoken.seed_parameter('certificate_renewal_month', 'kyokai_kenpo', '[2024-12-02,)', '12', 'kyokai-2024-07-24', '2024-07-24', false,
       '協会けんぽ''s own decision: kept against later defaults for every category.', keep_own => true);
SELECT mynahoken.seed_parameter('late_elderly_blanket_until', 'late_elderly', '(,)', '2025-07-31', 'mhlw-2024-09-26', '2024-09-26');
SELECT mynahoken.seed_parameter('late_elderly_age_rule_from', 'late_elderly', '(,)', 'infinity', 'mhlw-2024-09-26', '2024-09-26',
       note => 'No age rule: after the blanket period the マイナ保険証 status decides, as for other insurers.');
SELECT mynahoken.seed_parameter('late_elderly_blanket_until', 'late_elderly', '(,)', '2026-07-31', 'mhlw-2025-04-03', '2025-04-03');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'municipal_nhi', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-06-27', '2025-06-27');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'nhi_society', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-06-27', '2025-06-27');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'retiree_nhi', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-06-27', '2025-06-27');
SELECT mynahoken.seed_parameter('ecert_grace_months', NULL, '(,)', '3', 'mhlw-kokuji-2024-349', '2024-11-29',
       note => 'Corrected in 0.2: 0.1 knew it from 2025-07-16 (協会けんぽ), so as known between 2024-12-02 and 2025-07-15 it had no value.');
SELECT mynahoken.seed_parameter('expired_card_acceptance', 'late_elderly', '(,)', '[2025-08-01,2026-03-31]', 'mhlw-2025-08-04', '2025-08-04',
       note => 'The 国保 treatment of 2025-06-27 applied to 後期, whose cards expired on 2025-07-31. Corrected in 0.2: 0.1 knew it from 2025-09-15 (京都府医師会), with the start UNCONFIRMED.');
SELECT mynahoken.seed_parameter('expired_card_acceptance', NULL, '[2025-12-02,)', '[2025-12-02,2026-03-31]', 'mhlw-2025-11-12', '2025-11-12',
       note => 'Decision days from 2025-12-02, the first day the notice covers: before it each category keeps its own value. Extended to 2026-07-31 as known from 2026-03-19.');
SELECT mynahoken.seed_parameter('late_elderly_age_rule_from', 'late_elderly', '(,)', '2026-08-01', 'saitama-kouiki-2026', '2026-02-22', false);
SELECT mynahoken.seed_parameter('late_elderly_age_threshold', 'late_elderly', '[2026-08-01,)', '85', 'saitama-kouiki-2026', '2026-02-22', false);
-- 0.2: the 2025-2026 record (../shared/spec/domain-2026.md), appended so that
-- the ids of the rows above stay those 0.1 shipped.
SELECT mynahoken.seed_parameter('ecert_grace_months', NULL, '(,)', '3', 'kyokai-2025-07-16', '2025-07-16',
       note => 'A second publication of the value of 厚生労働省告示第349号.');
SELECT mynahoken.seed_parameter('smartphone_myna_from', NULL, '(,)', '2025-09-19', 'ascii-2025-09-01', '2025-09-01');
SELECT mynahoken.seed_parameter('late_elderly_age_rule_from', 'late_elderly', '(,)', '2026-08-01', 'mitane-2026-03-06', '2026-03-06', false,
       'Second source of the 埼玉 rule; the national notice is still not found.');
SELECT mynahoken.seed_parameter('late_elderly_age_threshold', 'late_elderly', '[2026-08-01,)', '85', 'mitane-2026-03-06', '2026-03-06', false,
       'Second source of the 埼玉 rule; the national notice is still not found.');
-- Recorded once for every category: by the rule of legal_entry_at it is in
-- force for 国保, 退職者医療, 国保組合 and 後期 too, whose own rows were recorded before.
SELECT mynahoken.seed_parameter('expired_card_acceptance', NULL, '[2025-12-02,)', '[2025-12-02,2026-07-31]', 'press-2026-03-19', '2026-03-19',
       note => 'Extension announced on 2026-03-19 (press; the 事務連絡 itself not found). For 国保 and 後期 acceptance starts 2025-08-01 (their own rows hold the days before 2025-12-02).');

-- Filing deadlines per category: 14 days for 国保 and 後期 in their own
-- ordinances (the 5 days above are 健康保険法施行規則 第24条); whether a
-- deadline on a closed day moves to the next open day.
SELECT mynahoken.seed_parameter('acquisition_report_days', 'municipal_nhi', '(,)', '14', 'kokuho-kisoku-2', '1959-01-01');
SELECT mynahoken.seed_parameter('acquisition_report_days', 'retiree_nhi', '(,)', '14', 'kokuho-kisoku-2', '1959-01-01',
       note => '退職被保険者 are 国保 members; 第2条 names them.');
SELECT mynahoken.seed_parameter('acquisition_report_days', 'nhi_society', '(,)', '14', 'kokuho-kisoku-2', '1959-01-01', false,
       '第2条 is written for 市町村; that a 国保組合 applies the same 14 days (by its 規約) is UNCONFIRMED.');
SELECT mynahoken.seed_parameter('acquisition_report_days', 'late_elderly', '(,)', '14', 'kouki-kisoku-10', '2007-10-22');
SELECT mynahoken.seed_parameter('acquisition_report_rollover', NULL, '(,)', 'true', 'gyosei-kyujitsu', '1988-12-13', false,
       'The 資格取得届 goes to 厚生労働大臣 (through 日本年金機構), a 行政庁; for 健保組合 and 共済組合, not 行政庁, the rollover is UNCONFIRMED.');
SELECT mynahoken.seed_parameter('acquisition_report_rollover', c, '(,)', 'true', 'chiho-jichi-4-2', '1988-12-13',
       note => 'The 届出 goes to the 市町村 (for 後期 through the 市町村 to the 広域連合, a 地方公共団体).', keep_own => true)
  FROM unnest(ARRAY['municipal_nhi', 'retiree_nhi', 'late_elderly']::mynahoken.insurer_category[]) AS c;

-- Renewal of the 資格確認書 (issue 13): how long before the end of its
-- validity the next one is planned, and whether a certificate issued on
-- application is renewed without a new one.  Both are insurer decisions.
INSERT INTO mynahoken.legal_parameter_def (name, value_type, unit, description) VALUES
  ('certificate_renewal_lead_days', 'int', 'days',
   'Insurer decision: days before the end of a 資格確認書''s validity from which its renewal is planned'),
  ('certificate_request_renews', 'boolean', 'flag',
   'Insurer decision: a 資格確認書 issued on application (on_request) is renewed without a new application');
SELECT mynahoken.seed_parameter('certificate_renewal_lead_days', NULL, '[2024-12-02,)', '30', 'mynahoken-default', '2024-12-02', false,
       '後期 and 国保 certificates are valid one year and renewed each 8/1 (静岡県広域連合), so the renewal is mailed in July; how many days ahead is the insurer''s choice (UNCONFIRMED).');
SELECT mynahoken.seed_parameter('certificate_request_renews', NULL, '[2024-12-02,)', 'true', 'mhlw-2025-03-13', '2025-03-13', false,
       '要配慮者 already issued one on application are renewed without a new application (MHLW 2025-03-13); 埼玉県広域連合 and 魚沼市 say the same of every 後期 applicant from 2027-08. For other applicants the insurer decides (UNCONFIRMED).');

DROP FUNCTION mynahoken.seed_parameter(text, mynahoken.insurer_category, daterange, text, text, date, boolean, text, boolean);

