/*
 * Unit tests of src/core/linkage.c: the graded folds of the linkage checks,
 * the folds that must be refused, and the variant table.
 *
 * Inputs of levels >= 1 are written as NFKC would leave them (the server
 * applies PostgreSQL's NFKC first); NFKC itself is tested in
 * test/pgtap/70_linkage.sql.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "linkage.h"
#include "unit.h"

static const unsigned char key1[MH_KEY_BYTES] = {
	0x6b, 0x1f, 0x3a, 0x9c, 0x42, 0x07, 0xd5, 0xe8, 0x11, 0x2c, 0x90, 0x5e, 0xa7, 0x33, 0x4d, 0xf0,
0x18, 0x64, 0xbb, 0x02, 0xc9, 0x7e, 0x55, 0x81, 0x3d, 0xe6, 0x0a, 0x97, 0x24, 0xfc, 0x6f, 0xb1};

/* The digest computed with OpenSSL's one-shot HMAC, as the reference. */
static void
reference_digest(int field, int level, const char *value, unsigned char out[MH_LINK_DIGEST_BYTES])
{
	unsigned char k[MH_KEY_BYTES];
	unsigned char msg[256];
	unsigned char mac[32];
	unsigned int maclen = 0;
	size_t		n = sizeof(MH_LINK_DOMAIN);

	mh_key_derive(key1, MH_LABEL_LINKAGE, k);
	memcpy(msg, MH_LINK_DOMAIN, n);
	msg[n++] = (unsigned char) field;
	msg[n++] = (unsigned char) level;
	memcpy(msg + n, value, strlen(value));
	n += strlen(value);
	HMAC(EVP_sha256(), k, sizeof(k), msg, n, mac, &maclen);
	out[0] = 7;
	memcpy(out + 1, mac, MH_LINK_MAC_BYTES);
}

static char result[MH_LINK_OUT_MAX + 1];

/* The fold of s at a level, or "!<status>" */
static const char *
fold_map(mh_link_field field, int level, const char *s, const mh_char_map *map)
{
	size_t		len = 0;
	mh_link_status st = mh_link_fold(field, level, s, strlen(s), map, result,
									 MH_LINK_OUT_MAX, &len);

	if (st != MH_LINK_OK)
	{
		snprintf(result, sizeof(result), "!%d", (int) st);
		return result;
	}
	result[len] = '\0';
	return result;
}

static const char *
fold(mh_link_field field, int level, const char *s)
{
	return fold_map(field, level, s, NULL);
}

/* Lowest level at which a and b fold equal, or -1 (as the digests compare). */
static int
match_level(mh_link_field field, const char *a, const char *b, const mh_char_map *map)
{
	char		fa[MH_LINK_OUT_MAX + 1];

	for (int level = 0; level < mh_link_levels(field); level++)
	{
		strcpy(fa, fold_map(field, level, a, map));
		if (fa[0] != '!' && strcmp(fa, fold_map(field, level, b, map)) == 0)
			return level;
	}
	return -1;
}

int
main(void)
{
	uint32_t	from[16],
				to[16];
	mh_char_map map;
	char		unv[8];

	/* levels per field; birth date and sex have none (no fuzz at all) */
	CHECK_INT(mh_link_levels(MH_LINK_KANA), 4, "kana has K0..K3");
	CHECK_INT(mh_link_levels(MH_LINK_KANJI), 3, "kanji has J0..J2");
	CHECK_INT(mh_link_levels(MH_LINK_ADDRESS), 2, "address has A0..A1");
	CHECK_INT(mh_link_levels(MH_LINK_BIRTH_DATE), 0, "birth date has no fold level");
	CHECK_INT(mh_link_levels(MH_LINK_SEX), 0, "sex has no fold level");
	CHECK_STR(fold(MH_LINK_BIRTH_DATE, 0, "2001-02-03"), "!5", "no fold of a birth date");
	CHECK_STR(fold(MH_LINK_SEX, 0, "1"), "!5", "no fold of sex");
	CHECK_STR(fold(MH_LINK_KANA, 6, "タナカ"), "!5", "no kana form 6");
	CHECK_STR(fold(MH_LINK_KANJI, 4, "田中"), "!5", "no review form of kanji");

	/* review forms of カナ: never a match level, only a review code */
	CHECK_INT(match_level(MH_LINK_KANA, "ダイスケ", "タイスケ", NULL), -1, "refused: voicing is no match level");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_VOICING, "ダイスケ"), "タイスケ", "voicing form: ダ as タ");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_VOICING, "パピプペポバビブベボヴ"), "ハヒフヘホハヒフヘホウ",
			  "voicing form: every ハ行 and ヴ");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_VOICING, "ガギグゲゴザジズゼゾダヂヅデド"),
			  "カキクケコサシスセソタシステト", "voicing form: カ/サ/タ行 (ヂヅ already ジズ at K3)");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_VOICING, "ハッピー"), "ハツヒー", "voicing form keeps the long vowel");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_LONG_VOWEL, "オーノ"), "オオノ", "long-vowel form: ー as the vowel");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_LONG_VOWEL, "トウキョウ"), "トオキヨオ", "long-vowel form: オウ as オオ (after K2)");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_LONG_VOWEL, "トーキョー"), "トオキヨオ", "long-vowel form: ー after o-row");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_LONG_VOWEL, "ケイコ"), "ケエコ", "long-vowel form: エイ as エエ");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_LONG_VOWEL, "ーン"), "ーン", "long-vowel form: a leading ー stays");
	CHECK_STR(fold(MH_LINK_KANA, MH_LINK_KANA_LONG_VOWEL, "ダイスケ"), "ダイスケ", "long-vowel form keeps voicing");
	{
		size_t		st,
					gl;

		CHECK(mh_link_given_name("ヤマダ ハナコ", strlen("ヤマダ ハナコ"), &st, &gl) &&
			  strncmp("ヤマダ ハナコ" + st, "ハナコ", gl) == 0 && gl == strlen("ハナコ"),
			  "the given name follows the 氏/名 gap");
		CHECK(mh_link_given_name("山田　花子", strlen("山田　花子"), &st, &gl) &&
			  gl == strlen("花子"), "a U+3000 gap");
		CHECK(!mh_link_given_name("ヤマダハナコ", strlen("ヤマダハナコ"), &st, &gl), "no gap, no given name");
		CHECK(!mh_link_given_name(" ヤマダ", strlen(" ヤマダ"), &st, &gl), "a leading space is no gap");
		CHECK(!mh_link_given_name("ヤマダ ", strlen("ヤマダ "), &st, &gl), "nothing after the gap");
	}

	/* level 0 is exact */
	CHECK_STR(fold(MH_LINK_KANA, 0, "たなか はなこ"), "たなか はなこ", "K0 keeps the value");
	CHECK_INT(match_level(MH_LINK_KANA, "タナカ ハナコ", "タナカ ハナコ", NULL), 0, "equal at K0");

	/* K1: spaces, the name separator, hiragana */
	CHECK_STR(fold(MH_LINK_KANA, 1, "タナカ ハナコ"), "タナカハナコ", "K1 drops the space");
	CHECK_STR(fold(MH_LINK_KANA, 1, "タナカ　ハナコ"), "タナカハナコ", "K1 drops U+3000");
	CHECK_STR(fold(MH_LINK_KANA, 1, "スミス・ジョン"), "スミスジョン", "K1 drops the ・ separator");
	CHECK_STR(fold(MH_LINK_KANA, 1, "たなか はなこ"), "タナカハナコ", "K1 hiragana as katakana");
	CHECK_STR(fold(MH_LINK_KANA, 1, "ゔぁ"), "ヴァ", "K1 ゔ and small ぁ as katakana");
	CHECK_INT(match_level(MH_LINK_KANA, "たなか はなこ", "タナカハナコ", NULL), 1,
			  "hiragana and katakana match at K1");

	/* K2: small kana as large */
	CHECK_STR(fold(MH_LINK_KANA, 1, "キョウコ"), "キョウコ", "K1 keeps small kana");
	CHECK_STR(fold(MH_LINK_KANA, 2, "キョウコ"), "キヨウコ", "K2 small ョ as ヨ");
	CHECK_STR(fold(MH_LINK_KANA, 2, "ァィゥェォッャュョヮヵヶ"), "アイウエオツヤユヨワカケ",
			  "K2 every small katakana");
	CHECK_STR(fold(MH_LINK_KANA, 2, "ハットリ"), "ハツトリ", "K2 small ッ");
	CHECK_INT(match_level(MH_LINK_KANA, "ハットリ ジュン", "ハツトリ ジユン", NULL), 2,
			  "住基 large kana match at K2");

	/* K3: ヂ/ヅ */
	CHECK_STR(fold(MH_LINK_KANA, 2, "ツヅキ"), "ツヅキ", "K2 keeps ヅ");
	CHECK_STR(fold(MH_LINK_KANA, 3, "ツヅキ"), "ツズキ", "K3 ヅ as ズ");
	CHECK_STR(fold(MH_LINK_KANA, 3, "チヂミ"), "チジミ", "K3 ヂ as ジ");
	CHECK_INT(match_level(MH_LINK_KANA, "ツヅキ", "つずき", NULL), 3, "ツヅキ and つずき match at K3");

	/* refused: 濁点/半濁点, long vowels, fuzzy kana, ● */
	CHECK_INT(match_level(MH_LINK_KANA, "タイスケ", "ダイスケ", NULL), -1,
			  "refused: タイスケ is not ダイスケ at any level (no 濁点 fold)");
	CHECK_INT(match_level(MH_LINK_KANA, "ハルカ", "パルカ", NULL), -1,
			  "refused: no 半濁点 fold");
	CHECK_INT(match_level(MH_LINK_KANA, "バンバ", "ハンハ", NULL), -1,
			  "refused: no voicing fold in hiragana or katakana");
	CHECK_INT(match_level(MH_LINK_KANA, "オーノ", "オオノ", NULL), -1,
			  "refused: オーノ is not オオノ (no long-vowel fold)");
	CHECK_INT(match_level(MH_LINK_KANA, "ユーコ", "ユウコ", NULL), -1,
			  "refused: ユーコ is not ユウコ");
	CHECK_INT(match_level(MH_LINK_KANA, "ヨシコ", "ヨウコ", NULL), -1,
			  "refused: ヨシコ is not ヨウコ (no edit distance)");
	CHECK_INT(match_level(MH_LINK_KANA, "タナカ", "タナカ ハナコ", NULL), -1,
			  "refused: a surname alone is not the name");
	CHECK_STR(fold(MH_LINK_KANA, 2, "タ●カ"), "!2", "refused: ● in kana is unverifiable");

	/* kanji: J1 spaces and variation selectors, J2 the variant table */
	CHECK_STR(fold(MH_LINK_KANJI, 1, "山田 太郎"), "山田太郎", "J1 drops the space");
	CHECK_STR(fold(MH_LINK_KANJI, 1, "葛\xf3\xa0\x84\x81飾"), "葛飾", "J1 drops an IVS");
	CHECK_INT(mh_link_map_build("髙﨑邊邉齋", strlen("髙﨑邊邉齋"), "高崎辺辺斎", strlen("高崎辺辺斎"),
								from, to, 16, &map), MH_LINK_OK, "variant table builds");
	CHECK_INT((int) map.n, 5, "five pairs");
	CHECK_STR(fold_map(MH_LINK_KANJI, 1, "髙橋", &map), "髙橋", "J1 keeps 髙");
	CHECK_STR(fold_map(MH_LINK_KANJI, 2, "髙橋", &map), "高橋", "J2 髙 as 高");
	CHECK_INT(match_level(MH_LINK_KANJI, "山﨑 一郎", "山崎一郎", &map), 2,
			  "kanji variants 﨑/崎 match at J2");
	CHECK_INT(match_level(MH_LINK_KANJI, "渡邊", "渡邉", &map), 2, "邊 and 邉 both 辺 at J2");
	CHECK_INT(match_level(MH_LINK_KANJI, "山崎", "山崎", &map), 0, "same kanji at J0");
	CHECK_INT(match_level(MH_LINK_KANJI, "髙橋", "高橋", NULL), -1,
			  "no variant fold without the DBA's table (a table, not code)");
	CHECK_INT(match_level(MH_LINK_KANJI, "斉藤", "斎藤", &map), -1,
			  "斉 is not 斎 unless the DBA lists it");
	CHECK_STR(fold_map(MH_LINK_KANJI, 2, "山●", &map), "!2",
			  "refused: ● is no wildcard: the kanji name is unverifiable");
	CHECK_STR(fold(MH_LINK_KANJI, 0, "山●"), "!2", "even at J0 ● matches nothing");
	CHECK_STR(fold(MH_LINK_KANJI, 1, "山〓"), "!2", "〓 is unverifiable");
	CHECK_STR(fold(MH_LINK_KANJI, 1, "山\xef\xbf\xbd"), "!2", "U+FFFD is unverifiable");
	CHECK_STR(fold(MH_LINK_KANJI, 1, "山\xee\x80\x80"), "!2", "private use (外字) is unverifiable");
	memcpy(unv, "\xf3\xb0\x80\x80", 5);
	CHECK_STR(fold(MH_LINK_KANJI, 1, unv), "!2", "supplementary private use is unverifiable");

	/* variant table refusals */
	CHECK_INT(mh_link_map_build("髙髙", strlen("髙髙"), "高亠", strlen("高亠"), from, to, 16, &map),
			  MH_LINK_BAD_MAP, "a character mapped twice is refused");
	CHECK_INT(mh_link_map_build("髙高", strlen("髙高"), "高亠", strlen("高亠"), from, to, 16, &map),
			  MH_LINK_BAD_MAP, "a chain is refused");
	CHECK_INT(mh_link_map_build("髙", strlen("髙"), "髙", strlen("髙"), from, to, 16, &map),
			  MH_LINK_BAD_MAP, "a character mapped to itself is refused");
	CHECK_INT(mh_link_map_build("●", strlen("●"), "高", strlen("高"), from, to, 16, &map),
			  MH_LINK_BAD_MAP, "● cannot be mapped to a character (no wildcard)");
	CHECK_INT(mh_link_map_build("髙", strlen("髙"), "●", strlen("●"), from, to, 16, &map),
			  MH_LINK_BAD_MAP, "nothing maps to ●");
	CHECK_INT(mh_link_map_build("髙﨑", strlen("髙﨑"), "高", strlen("高"), from, to, 16, &map),
			  MH_LINK_BAD_MAP, "unequal lengths are refused");
	CHECK_INT(mh_link_map_build("髙", strlen("髙"), "高", strlen("高"), from, to, 0, &map),
			  MH_LINK_BAD_MAP, "no room is refused");
	CHECK_INT(mh_link_map_build("", 0, "", 0, from, to, 16, &map), MH_LINK_OK, "empty table");
	CHECK_INT((int) map.n, 0, "empty table has no pairs");

	/* address notation (A1) */
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "東京都千代田区霞が関2丁目1番地2号"), "東京都千代田区霞ケ関2-1-2",
			  "A1 丁目, 番地, 号, が; 漢数字 of a place name stay");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "霞が関二丁目1番地2号", "霞ヶ関2-1-2", NULL), 1,
			  "2丁目1番地2号 matches 2-1-2 at A1");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町三丁目十二番五号", "本町3-12-5", NULL), 1,
			  "三丁目十二番五号 matches 3-12-5");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町3−12−5", "本町3-12-5", NULL), 1,
			  "minus sign as dash");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町3ー12ー5", "本町3-12-5", NULL), 1,
			  "long vowel mark after a digit as dash");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町1の2", "本町1-2", NULL), 1, "1の2 as 1-2");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "一の瀬1", "一ノ瀬1", NULL), 1, "の/ノ in a place name");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町 3-12-5", "本町3-12-5", NULL), 1, "spaces");
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "二〇二"), "202", "漢数字 digit by digit");
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "二十三番"), "23", "漢数字 by position");
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "百五"), "105", "百五 is 105");
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "八王子市"), "八王子市", "八王子 stays");
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "1の二"), "1-2", "の between numbers");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町3-12-5", "本町3-12-6", NULL), -1,
			  "a different 号 is a different address");
	CHECK_INT(match_level(MH_LINK_ADDRESS, "本町3-12-5", "新町3-12-5", NULL), -1,
			  "a different town is a different address");
	CHECK_STR(fold(MH_LINK_ADDRESS, 1, "本町●-1"), "!2", "● in an address is unverifiable");

	/* malformed input */
	CHECK_STR(fold(MH_LINK_KANA, 1, "\xff"), "!1", "invalid UTF-8");
	CHECK_STR(fold(MH_LINK_KANA, 1, "\xe3\x82"), "!1", "truncated UTF-8");
	CHECK_STR(fold(MH_LINK_KANA, 1, "\xed\xa0\x80"), "!1", "surrogate");
	CHECK_STR(fold(MH_LINK_KANA, 1, "  "), "!4", "spaces only are empty");
	CHECK_STR(fold(MH_LINK_KANA, 0, ""), "!4", "empty at level 0");
	{
		char		big[MH_LINK_VALUE_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK_STR(fold(MH_LINK_KANA, 1, big), "!3", "too long");
	}
	CHECK(strlen(mh_link_status_text(MH_LINK_UNVERIFIABLE)) > 0, "status text");

	/* keyed digests: HMAC under the linkage key, domain-separated */
	{
		mh_mac_key mk;
		unsigned char d1[MH_LINK_DIGEST_BYTES],
					d2[MH_LINK_DIGEST_BYTES],
					ref[MH_LINK_DIGEST_BYTES];
		unsigned char tk[MH_KEY_BYTES],
					lk[MH_KEY_BYTES];

		CHECK(mh_mac_key_init(&mk, key1, MH_LABEL_LINKAGE), "linkage key derived");
		mh_link_digest(&mk, 7, MH_LINK_KANA, 2, "タナカ", strlen("タナカ"), d1);
		reference_digest(MH_LINK_KANA, 2, "タナカ", ref);
		CHECK(memcmp(d1, ref, sizeof(d1)) == 0, "digest is HMAC-SHA256 under K_link (OpenSSL reference)");
		CHECK_INT(d1[0], 7, "digest starts with the key version");
		mh_link_digest(&mk, 7, MH_LINK_KANA, 2, "タナカ", strlen("タナカ"), d2);
		CHECK(memcmp(d1, d2, sizeof(d1)) == 0, "equal values, equal digests");
		mh_link_digest(&mk, 7, MH_LINK_KANA, 1, "タナカ", strlen("タナカ"), d2);
		CHECK(memcmp(d1, d2, sizeof(d1)) != 0, "another level, another digest");
		mh_link_digest(&mk, 7, MH_LINK_KANJI, 2, "タナカ", strlen("タナカ"), d2);
		CHECK(memcmp(d1, d2, sizeof(d1)) != 0, "another field, another digest");
		mh_link_digest(&mk, 7, MH_LINK_KANA, 2, "タナカ ", strlen("タナカ "), d2);
		CHECK(memcmp(d1, d2, sizeof(d1)) != 0, "another value, another digest");
		mh_key_derive(key1, MH_LABEL_TOKEN, tk);
		mh_key_derive(key1, MH_LABEL_LINKAGE, lk);
		CHECK(memcmp(tk, lk, sizeof(tk)) != 0, "the linkage key is not the token key");
		mh_link_digest(&mk, 7, MH_LINK_BIRTH_DATE, 0, "2001-02-03", 10, d1);
		mh_link_digest(&mk, 7, MH_LINK_BIRTH_DATE, 0, "2001-02-04", 10, d2);
		CHECK(memcmp(d1 + 1, d2 + 1, MH_LINK_MAC_BYTES) != 0,
			  "refused: no fuzz on the birth date (a day apart, different digests)");
	}

	UNIT_DONE();
}
