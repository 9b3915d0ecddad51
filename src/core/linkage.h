/*
 * linkage.h: graded folds of names, addresses and facts for the My Number
 * linkage checks (紐付け点検), in plain C.
 *
 * A value is compared through levels: level 0 is the value as received,
 * and each higher level removes one more kind of difference in how the
 * value is *written*, never a difference in what it says.  Levels are
 * cumulative (level 2 applies the folds of level 1 too).  The caller
 * applies Unicode NFKC (PostgreSQL's unicode_normalize(), the machinery of
 * normalize(text, NFKC)) before every level from 1 up; this file does the
 * folds PostgreSQL has no function for.
 *
 *   kana (カナ氏名)      K0 exact; K1 no spaces or name separator, hiragana
 *                        as katakana; K2 small kana as large; K3 ヂ/ヅ as ジ/ズ
 *   kanji (漢字氏名)     J0 exact; J1 no spaces, no variation selectors;
 *                        J2 the DBA's variant table (髙→高), one to one
 *   address (住所)       A0 exact; A1 漢数字 as digits, 丁目/番地/番/号/の
 *                        and dashes as "-", ケ/ヶ/が as ケ
 *
 * Folds that would hide a real mismatch are never applied, at any level:
 * ● 〓 U+FFFD and private-use characters are not wildcards (the value is
 * unverifiable and gets no digest at all), 濁点/半濁点 stay (タイスケ is not
 * ダイスケ), long vowels stay (オーノ is not オオノ), there is no edit distance,
 * and birth date and sex have no levels.
 */
#ifndef MYNAHOKEN_LINKAGE_H
#define MYNAHOKEN_LINKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mynumber_token.h"

typedef enum mh_link_field
{
	MH_LINK_KANA = 1,
	MH_LINK_KANJI = 2,
	MH_LINK_ADDRESS = 3,
	MH_LINK_BIRTH_DATE = 4,
	MH_LINK_SEX = 5,
	MH_LINK_KANA_GIVEN = 6,		/* the given name alone (after the 氏/名 gap) */
	MH_LINK_KANJI_GIVEN = 7
} mh_link_field;

#define MH_LINK_KANA_LEVELS 4
#define MH_LINK_KANJI_LEVELS 3
#define MH_LINK_ADDRESS_LEVELS 2
#define MH_LINK_MAX_LEVELS 4
/* Digests linkage_digests() returns at most: K0..K3, two review forms, the given name. */
#define MH_LINK_MAX_FORMS 7

/*
 * Review forms of カナ: folds that would hide a real mismatch (§ refused
 * folds) are never a match level, but a name that differs *only* by one of
 * them gets its own review code instead of a plain mismatch.  Both start
 * from K3.  mh_link_fold() takes them as levels of MH_LINK_KANA past
 * mh_link_levels().
 *
 *   MH_LINK_KANA_VOICING     濁点/半濁点 removed (ダイスケ as タイスケ)
 *   MH_LINK_KANA_LONG_VOWEL  ー as the vowel before it, オウ as オオ, エイ as
 *                            エエ (オーノ as オオノ, ユーコ as ユウコ)
 */
#define MH_LINK_KANA_VOICING 4
#define MH_LINK_KANA_LONG_VOWEL 5

/*
 * Where the given name starts: after the first separator (space, U+3000,
 * ・) of a name written 氏 名.  Returns false (no given name) when the value
 * has no separator or nothing after it; *start and *len then are 0.
 */
extern bool mh_link_given_name(const char *in, size_t len, size_t *start, size_t *glen);

/* Longest value folded, in bytes (a name or address is far shorter). */
#define MH_LINK_VALUE_MAX 1024
/* Room a fold needs for its output: digits may be longer than 漢数字. */
#define MH_LINK_OUT_MAX (2 * MH_LINK_VALUE_MAX + 16)

typedef enum mh_link_status
{
	MH_LINK_OK = 0,
	MH_LINK_BAD_UTF8,			/* not valid UTF-8 */
	MH_LINK_UNVERIFIABLE,		/* ●, 〓, U+FFFD or a private-use character */
	MH_LINK_TOO_LONG,			/* more than MH_LINK_VALUE_MAX bytes */
	MH_LINK_EMPTY,				/* nothing left once spaces are removed */
	MH_LINK_BAD_FIELD,			/* no such field or level */
	MH_LINK_BAD_MAP				/* variant table not one to one, or not single characters */
} mh_link_status;

/*
 * A one-to-one map of single characters (the kanji variant table), sorted
 * by from[] with no duplicates: mh_link_map_build() checks that.
 */
typedef struct mh_char_map
{
	const uint32_t *from;
	const uint32_t *to;
	size_t		n;
} mh_char_map;

/* Number of match levels of a text field (0 for birth date, sex, or no field). */
extern int	mh_link_levels(mh_link_field field);

/*
 * Fold in[0..len) (UTF-8) to `level` of `field` into out (outcap bytes,
 * MH_LINK_OUT_MAX is always enough), setting *outlen.  map is the variant
 * table (used by kanji level 2; may be NULL).  Level 0 returns the input
 * as it is (after the same checks).
 */
extern mh_link_status mh_link_fold(mh_link_field field, int level, const char *in, size_t len,
								   const mh_char_map *map, char *out, size_t outcap,
								   size_t *outlen);

/*
 * Build a map from two strings of single characters, from[i] -> to[i]
 * (UTF-8; both with the same number of characters): sorts the pairs into
 * fromcp/tocp (room for `cap` pairs each) and refuses a character mapped
 * twice, a map to an unverifiable character, or a chain (a target that is
 * itself mapped), so the map is applied once and is one to one per entry.
 */
extern mh_link_status mh_link_map_build(const char *from, size_t fromlen,
										const char *to, size_t tolen,
										uint32_t *fromcp, uint32_t *tocp, size_t cap,
										mh_char_map *map);

/* A full English sentence describing status, for an error DETAIL. */
extern const char *mh_link_status_text(mh_link_status status);

/* Is this code point a stand-in for an unrepresentable character? */
extern bool mh_link_unverifiable_char(uint32_t cp);

/*
 * Keyed digests.  The linkage key is derived from each keyring key under
 * its own label (MH_LABEL_LINKAGE), never the token key, and a digest is
 *
 *     version byte || first 16 bytes of
 *     HMAC-SHA256(K_link, MH_LINK_DOMAIN || NUL || field || level || value)
 *
 * so equal folded values give equal digests under one key version, and a
 * kana digest never equals an address digest or a digest of another level.
 * 128 bits keep accidental equality out of reach for any number of members.
 */
#define MH_LINK_DOMAIN "mynahoken linkage digest"
#define MH_LINK_MAC_BYTES 16
#define MH_LINK_DIGEST_BYTES (1 + MH_LINK_MAC_BYTES)

extern void mh_link_digest(const mh_mac_key *k, int version, mh_link_field field, int level,
						   const char *value, size_t len,
						   unsigned char out[MH_LINK_DIGEST_BYTES]);

#endif
