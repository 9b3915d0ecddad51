\echo
\echo '== My Number tokens (個人番号トークン): members linked by token, no plaintext needed to join'
SELECT count(*) AS valid_my_numbers,
       count(DISTINCT mynahoken.tokenize(my_number)) AS distinct_tokens,
       min(mynahoken.key_version(mynahoken.tokenize(my_number))) AS key_version
  FROM demo.members
 WHERE my_number IS NOT NULL AND mynahoken.mynumber_is_valid(my_number);

\echo '== Three tokens and the last four digits printed on the 資格情報のお知らせ'
SELECT member_id, mynahoken.tokenize(my_number) AS token,
       mynahoken.mynumber_last4(my_number) AS last4
  FROM demo.members
 WHERE my_number IS NOT NULL AND mynahoken.mynumber_is_valid(my_number)
 ORDER BY member_id LIMIT 3;
