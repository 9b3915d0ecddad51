-- My Number linkage checks (doc/linkage.md): the errors of the digest
-- functions and of the case queue.  No error echoes a name, an address, a
-- birth date or reported digits; no value here is real.
SET search_path = public, mynahoken;

-- Digests are one per fold level: kana 4, kanji 3, address 2; 17 bytes each.
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
