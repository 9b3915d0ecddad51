\echo
\echo '== Identifiers: which insurer numbers were keyed in wrong, and why'
SELECT insurer_number_problem(insurer_number) AS problem, count(*) AS members
  FROM demo.members
 WHERE NOT insurer_number_is_valid(insurer_number)
 GROUP BY 1 ORDER BY 2 DESC;

\echo '== Members per insurer, after normalisation (full-width and padded input folded together)'
SELECT n AS insurer_number, category(n) AS category, prefecture_name(n) AS prefecture,
       i.name, count(*) AS members
  FROM demo.members m
  CROSS JOIN LATERAL (SELECT m.insurer_number::insurer_number AS n) AS c
  LEFT JOIN demo.insurers i ON i.insurer_number::insurer_number = n
 WHERE insurer_number_is_valid(m.insurer_number)
 GROUP BY 1, 2, 3, 4 ORDER BY members DESC;

\echo '== The insured-person key (JP Core 被保険者個人識別子) of a few members'
SELECT member_id, insurer_number, card_symbol, card_number, card_branch,
       insured_key(insurer_number::insurer_number, card_symbol, card_number, card_branch) AS key
  FROM demo.members
 WHERE insurer_number_is_valid(insurer_number)
   AND member_id IN (1, 3, 5, 7, 42)
 ORDER BY member_id;

\echo '== My Numbers and employers 法人番号 that fail their check digit'
SELECT count(*) FILTER (WHERE my_number IS NOT NULL) AS my_numbers,
       count(*) FILTER (WHERE my_number IS NOT NULL AND NOT mynahoken.mynumber_is_valid(my_number)) AS invalid_my_numbers,
       (SELECT count(*) FILTER (WHERE NOT corporate_number_is_valid(corporate_number))
          FROM demo.employers) AS invalid_corporate_numbers
  FROM demo.members;
