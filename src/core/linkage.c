/*
 * linkage.c: graded folds of names and addresses for the linkage checks.
 *
 * A value is decoded into code points, checked (valid UTF-8, no stand-in
 * characters), folded character by character, then, for addresses, by the
 * context rules of 住所 notation, and encoded again.  Every fold here maps
 * one way of writing a value onto another way of writing the same value;
 * the list of folds that are refused is in linkage.h.
 */
#include "linkage.h"
#include "nls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define MAX_CPS MH_LINK_VALUE_MAX

int
mh_link_levels(mh_link_field field)
{
	switch (field)
	{
		case MH_LINK_KANA:
			return MH_LINK_KANA_LEVELS;
		case MH_LINK_KANJI:
			return MH_LINK_KANJI_LEVELS;
		case MH_LINK_ADDRESS:
			return MH_LINK_ADDRESS_LEVELS;
		case MH_LINK_BIRTH_DATE:
		case MH_LINK_SEX:
		case MH_LINK_KANA_GIVEN:
		case MH_LINK_KANJI_GIVEN:
			break;
	}
	return 0;
}

bool
mh_link_unverifiable_char(uint32_t cp)
{
	return cp == 0x25CF ||		/* ● BLACK CIRCLE, the 中間サーバー's stand-in */
		cp == 0x3013 ||			/* 〓 GETA MARK */
		cp == 0xFFFD ||			/* REPLACEMENT CHARACTER */
		(cp >= 0xE000 && cp <= 0xF8FF) ||	/* private use (外字) */
		cp >= 0xF0000;			/* supplementary private use planes */
}

/* Separators between family and given name, or inside an address. */
static bool
is_space(uint32_t cp)
{
	return cp == 0x20 || cp == 0x09 || cp == 0x3000 || cp == 0x30FB ||	/* ・ */
		cp == 0xFF65;			/* half-width ・ (NFKC maps it to ・) */
}

static bool
is_variation_selector(uint32_t cp)
{
	return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

static bool
is_dash(uint32_t cp)
{
	return cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 ||
		cp == 0xFF0D || cp == 0xFF70;
}

/* K2: small katakana as large (early 住基 systems stored only large kana). */
static uint32_t
large_kana(uint32_t cp)
{
	switch (cp)
	{
		case 0x30A1:			/* ァ */
		case 0x30A3:			/* ィ */
		case 0x30A5:			/* ゥ */
		case 0x30A7:			/* ェ */
		case 0x30A9:			/* ォ */
		case 0x30C3:			/* ッ */
		case 0x30E3:			/* ャ */
		case 0x30E5:			/* ュ */
		case 0x30E7:			/* ョ */
		case 0x30EE:			/* ヮ */
			return cp + 1;
		case 0x30F5:			/* ヵ */
			return 0x30AB;
		case 0x30F6:			/* ヶ */
			return 0x30B1;
	}
	return cp;
}

/* MH_LINK_KANA_VOICING: 濁点/半濁点 removed (a review form, never a match). */
static uint32_t
unvoiced_kana(uint32_t cp)
{
	if (cp >= 0x30AC && cp <= 0x30C2 && (cp - 0x30AB) % 2 == 1)
		return cp - 1;			/* ガ..ヂ */
	if (cp == 0x30C5 || cp == 0x30C7 || cp == 0x30C9)
		return cp - 1;			/* ヅ デ ド */
	if (cp >= 0x30CF && cp <= 0x30DD)
		return cp - (cp - 0x30CF) % 3;	/* バ パ .. ボ ポ */
	if (cp == 0x30F4)
		return 0x30A6;			/* ヴ */
	if (cp >= 0x30F7 && cp <= 0x30FA)
		return cp - 8;			/* ヷヸヹヺ as ワヰヱヲ */
	return cp;
}

/* The vowel (ア イ ウ エ オ) of a katakana, or 0. */
static uint32_t
kana_vowel(uint32_t cp)
{
	/* one letter per code point from ァ (U+30A1) to ヶ (U+30F6) */
	static const char v[] =
		"aaiiuueeoo" "aaiiuueeoo" "aaiiuueeoo" "aaiiuuueeoo" "aiueo"
		"aaaiiiuuueeeooo" "aiueo" "aauuoo" "aiueo" "aaieo" "-uae";

	if (cp < 0x30A1 || cp > 0x30F6)
		return 0;
	switch (v[cp - 0x30A1])
	{
		case 'a':
			return 0x30A2;
		case 'i':
			return 0x30A4;
		case 'u':
			return 0x30A6;
		case 'e':
			return 0x30A8;
		case 'o':
			return 0x30AA;
	}
	return 0;
}

/* MH_LINK_KANA_LONG_VOWEL over folded[0..m): in place, same length. */
static void
fold_long_vowels(uint32_t *folded, int m)
{
	for (int i = 1; i < m; i++)
	{
		uint32_t	before = kana_vowel(folded[i - 1]);

		if (folded[i] == 0x30FC && before != 0)
			folded[i] = before;	/* オー as オオ */
		else if (folded[i] == 0x30A6 && before == 0x30AA)
			folded[i] = 0x30AA;	/* オウ as オオ */
		else if (folded[i] == 0x30A4 && before == 0x30A8)
			folded[i] = 0x30A8;	/* エイ as エエ */
	}
}

static uint32_t
map_lookup(const mh_char_map *map, uint32_t cp)
{
	size_t		lo = 0,
				hi;

	if (map == NULL || map->n == 0)
		return cp;
	hi = map->n;
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (map->from[mid] == cp)
			return map->to[mid];
		if (map->from[mid] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

/* Decode UTF-8 into cps; the number of code points, or -status. */
static int
decode(const char *in, size_t len, uint32_t *cps)
{
	const unsigned char *u = (const unsigned char *) in;
	size_t		i = 0;
	int			n = 0;
	bool		unverifiable = false;

	if (len > MH_LINK_VALUE_MAX)
		return -MH_LINK_TOO_LONG;
	while (i < len)
	{
		uint32_t	cp;
		int			l = mh_utf8_decode(u + i, len - i, &cp);

		if (l == 0 || cp == 0)
			return -MH_LINK_BAD_UTF8;
		if (mh_link_unverifiable_char(cp))
			unverifiable = true;
		cps[n++] = cp;
		i += l;
	}
	/* an invalid value is reported before an unverifiable one */
	return unverifiable ? -MH_LINK_UNVERIFIABLE : n;
}

static size_t
encode_one(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *) out;

	if (cp < 0x80)
	{
		o[0] = (unsigned char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		o[0] = (unsigned char) (0xC0 | (cp >> 6));
		o[1] = (unsigned char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		o[0] = (unsigned char) (0xE0 | (cp >> 12));
		o[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char) (0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char) (0xF0 | (cp >> 18));
	o[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char) (0x80 | (cp & 0x3F));
	return 4;
}

/* Value of a 漢数字 digit (0..9), a unit (10, 100, 1000), or -1. */
static int
kanji_digit(uint32_t cp)
{
	static const uint32_t digits[] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB,
	0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D};	/* 〇一二三四五六七八九 */

	for (int d = 0; d < 10; d++)
		if (cp == digits[d])
			return d;
	return -1;
}

static int
kanji_unit(uint32_t cp)
{
	if (cp == 0x5341)			/* 十 */
		return 10;
	if (cp == 0x767E)			/* 百 */
		return 100;
	if (cp == 0x5343)			/* 千 */
		return 1000;
	return 0;
}

/*
 * A run of 漢数字 at cps[i..] as ASCII digits into out (room for 8);
 * returns the code points consumed (0 if cps[i] starts no run).
 * With units it is read by position (二十三 is 23, 十 is 10); without, digit
 * by digit (二〇二 is 202).  Runs stop before 10000.
 */
static int
kanji_number(const uint32_t *cps, int n, int i, uint32_t *out, int *nout)
{
	int			j = i;
	bool		units = false;
	long		total = 0,
				cur = 0;
	int			ndig = 0;
	char		buf[16];

	while (j < n && (kanji_digit(cps[j]) >= 0 || kanji_unit(cps[j]) > 0) && j - i < 8)
	{
		if (kanji_unit(cps[j]) > 0)
			units = true;
		j++;
	}
	if (j == i)
		return 0;
	for (int k = i; k < j; k++)
	{
		int			d = kanji_digit(cps[k]);

		if (d >= 0)
		{
			cur = cur * 10 + d;
			buf[ndig++] = (char) ('0' + d);
		}
		else
		{
			total += (cur == 0 ? 1 : cur) * kanji_unit(cps[k]);
			cur = 0;
		}
	}
	if (units)
	{
		total += cur;
		ndig = snprintf(buf, sizeof(buf), "%ld", total);
	}
	for (int k = 0; k < ndig; k++)
		out[k] = (uint32_t) buf[k];
	*nout = ndig;
	return j - i;
}

static bool
is_digit(uint32_t cp)
{
	return cp >= '0' && cp <= '9';
}

/*
 * A1: 住所 notation.  漢数字 of the numbers as digits, 丁目, 番地, 番, 号 and dashes become "-", の/ノ
 * between numbers becomes "-", ケ/ヶ/が (霞ヶ関, 霞が関) become ケ, runs of
 * "-" shrink to one and none is left at the end.
 */
/* Append cp, never two dashes in a row. */
static inline void
push(uint32_t *out, int *m, uint32_t cp)
{
	if (cp == '-' && *m > 0 && out[*m - 1] == '-')
		return;
	out[(*m)++] = cp;
}

static int
fold_address(const uint32_t *cps, int n, uint32_t *out)
{
	int			m = 0;

	for (int i = 0; i < n;)
	{
		uint32_t	cp = cps[i];
		uint32_t	num[16];
		int			nnum = 0;
		int			used = kanji_number(cps, n, i, num, &nnum);

		/*
		 * 漢数字 only where they are a number of the address: before 丁目, 番,
		 * 号, a dash or the end, or after a number (千代田 stays).
		 */
		if (used > 0 &&
			!(i + used == n || cps[i + used] == 0x4E01 || cps[i + used] == 0x756A ||
			  cps[i + used] == 0x53F7 || is_dash(cps[i + used]) ||
			  (m > 0 && (is_digit(out[m - 1]) || out[m - 1] == '-'))))
			used = 0;
		if (used > 0)
		{
			for (int k = 0; k < nnum; k++)
				push(out, &m, num[k]);
			i += used;
			continue;
		}
		if ((cp == 0x4E01 && i + 1 < n && cps[i + 1] == 0x76EE) ||	/* 丁目 */
			(cp == 0x756A && i + 1 < n && cps[i + 1] == 0x5730))	/* 番地 */
		{
			push(out, &m, '-');
			i += 2;
			continue;
		}
		if (cp == 0x756A || cp == 0x53F7 || is_dash(cp))	/* 番, 号 */
			push(out, &m, '-');
		else if (cp == 0x30FC && m > 0 && is_digit(out[m - 1]))	/* ー after a digit */
			push(out, &m, '-');
		else if ((cp == 0x306E || cp == 0x30CE) && m > 0 &&
				 (is_digit(out[m - 1]) || out[m - 1] == '-') &&
				 i + 1 < n && (is_digit(cps[i + 1]) || kanji_digit(cps[i + 1]) >= 0))
			push(out, &m, '-');	/* 1の2 */
		else if (cp == 0x30F6 || cp == 0x304C || cp == 0x30B1 || cp == 0x30F5)
			push(out, &m, 0x30B1);	/* ヶ, が, ケ, ヵ as ケ */
		else if (cp == 0x306E)
			push(out, &m, 0x30CE);	/* の as ノ (一ノ瀬, 一の瀬) */
		else
			push(out, &m, cp);
		i++;
	}
	while (m > 0 && out[m - 1] == '-')
		m--;
	return m;
}

mh_link_status
mh_link_fold(mh_link_field field, int level, const char *in, size_t len,
			 const mh_char_map *map, char *out, size_t outcap, size_t *outlen)
{
	uint32_t	cps[MAX_CPS];
	uint32_t	folded[MAX_CPS * 2];
	int			n;
	int			m = 0;
	size_t		o = 0;

	*outlen = 0;
	if (level < 0 || (level >= mh_link_levels(field) &&
					  !(field == MH_LINK_KANA && level <= MH_LINK_KANA_LONG_VOWEL)))
		return MH_LINK_BAD_FIELD;
	n = decode(in, len, cps);
	if (n < 0)
		return (mh_link_status) -n;
	if (level == 0)
	{
		if (len == 0)
			return MH_LINK_EMPTY;
		if (len > outcap)
			return MH_LINK_TOO_LONG;
		memcpy(out, in, len);
		*outlen = len;
		return MH_LINK_OK;
	}

	for (int i = 0; i < n; i++)
	{
		uint32_t	cp = cps[i];

		/* level 1 of every field: no separators */
		if (is_space(cp))
			continue;
		if (field == MH_LINK_KANA)
		{
			if ((cp >= 0x3041 && cp <= 0x3096) || cp == 0x309D || cp == 0x309E)
				cp += 0x60;		/* hiragana as katakana */
			if (level >= 2)
				cp = large_kana(cp);
			if (level >= 3 && cp == 0x30C2)
				cp = 0x30B8;	/* ヂ as ジ */
			if (level >= 3 && cp == 0x30C5)
				cp = 0x30BA;	/* ヅ as ズ */
			if (level == MH_LINK_KANA_VOICING)
			{
				if (cp == 0x3099 || cp == 0x309A || cp == 0x309B || cp == 0x309C)
					continue;	/* a lone 濁点 or 半濁点 */
				cp = unvoiced_kana(cp);
			}
		}
		else if (field == MH_LINK_KANJI)
		{
			if (is_variation_selector(cp))
				continue;
			if (level >= 2)
				cp = map_lookup(map, cp);
		}
		else if (field == MH_LINK_ADDRESS && is_variation_selector(cp))
			continue;
		folded[m++] = cp;
	}
	if (field == MH_LINK_KANA && level == MH_LINK_KANA_LONG_VOWEL)
		fold_long_vowels(folded, m);
	if (field == MH_LINK_ADDRESS)
	{
		uint32_t	tmp[MAX_CPS * 2];
		int			k = fold_address(folded, m, tmp);

		memcpy(folded, tmp, sizeof(uint32_t) * k);
		m = k;
	}
	if (m == 0)
		return MH_LINK_EMPTY;
	for (int i = 0; i < m; i++)
	{
		char		buf[4];
		size_t		l = encode_one(folded[i], buf);

		if (o + l > outcap)
			return MH_LINK_TOO_LONG;
		memcpy(out + o, buf, l);
		o += l;
	}
	*outlen = o;
	return MH_LINK_OK;
}

bool
mh_link_given_name(const char *in, size_t len, size_t *start, size_t *glen)
{
	const unsigned char *u = (const unsigned char *) in;
	size_t		i = 0;
	bool		seen = false,
				gap = false;

	*start = *glen = 0;
	while (i < len)
	{
		uint32_t	cp;
		int			l = mh_utf8_decode(u + i, len - i, &cp);

		if (l == 0)
			return false;
		if (is_space(cp))
			gap = seen;
		else if (!gap)
			seen = true;
		else
		{
			*start = i;
			*glen = len - i;
			return true;
		}
		i += l;
	}
	return false;
}

typedef struct pair
{
	uint32_t	from;
	uint32_t	to;
} pair;

static int
pair_cmp(const void *a, const void *b)
{
	uint32_t	x = ((const pair *) a)->from,
				y = ((const pair *) b)->from;

	return x < y ? -1 : x > y ? 1 : 0;
}

static int
pair_to_cmp(const void *key, const void *elem)
{
	uint32_t	x = *(const uint32_t *) key,
				y = ((const pair *) elem)->from;

	return x < y ? -1 : x > y ? 1 : 0;
}

mh_link_status
mh_link_map_build(const char *from, size_t fromlen, const char *to, size_t tolen,
				  uint32_t *fromcp, uint32_t *tocp, size_t cap, mh_char_map *map)
{
	const unsigned char *f = (const unsigned char *) from;
	const unsigned char *t = (const unsigned char *) to;
	size_t		i = 0,
				j = 0,
				n = 0;
	pair	   *pairs;

	map->from = fromcp;
	map->to = tocp;
	map->n = 0;
	if (cap == 0)
		return fromlen == 0 && tolen == 0 ? MH_LINK_OK : MH_LINK_BAD_MAP;
	pairs = malloc(sizeof(pair) * cap);
	if (pairs == NULL)
		return MH_LINK_BAD_MAP;
	while (i < fromlen && j < tolen)
	{
		uint32_t	a = 0,
					b = 0;
		int			la = mh_utf8_decode(f + i, fromlen - i, &a);
		int			lb = mh_utf8_decode(t + j, tolen - j, &b);

		if (la == 0 || lb == 0 || a == 0 || b == 0 || n == cap ||
			mh_link_unverifiable_char(a) || mh_link_unverifiable_char(b) ||
			is_space(a) || is_space(b) ||
			is_variation_selector(a) || is_variation_selector(b))
		{
			free(pairs);
			return MH_LINK_BAD_MAP;
		}
		pairs[n].from = a;
		pairs[n].to = b;
		n++;
		i += la;
		j += lb;
	}
	if (i != fromlen || j != tolen)
	{
		free(pairs);
		return MH_LINK_BAD_MAP;
	}
	qsort(pairs, n, sizeof(pair), pair_cmp);
	for (size_t k = 0; k < n; k++)
	{
		/* a character mapped twice, to itself, or a chain a->b->c */
		if ((k > 0 && pairs[k].from == pairs[k - 1].from) ||
			pairs[k].from == pairs[k].to ||
			bsearch(&pairs[k].to, pairs, n, sizeof(pair), pair_to_cmp) != NULL)
		{
			free(pairs);
			return MH_LINK_BAD_MAP;
		}
	}
	for (size_t k = 0; k < n; k++)
	{
		fromcp[k] = pairs[k].from;
		tocp[k] = pairs[k].to;
	}
	map->n = n;
	free(pairs);
	return MH_LINK_OK;
}

const char *
mh_link_status_text(mh_link_status status)
{
	switch (status)
	{
		case MH_LINK_OK:
			return MH_N_("The value is valid.");
		case MH_LINK_BAD_UTF8:
			return MH_N_("The value is not valid UTF-8 or contains a NUL character.");
		case MH_LINK_UNVERIFIABLE:
			return MH_N_("The value contains a stand-in for an unrepresentable character.");
		case MH_LINK_TOO_LONG:
			return MH_N_("The value is longer than 1024 bytes.");
		case MH_LINK_EMPTY:
			return MH_N_("The value is empty once separators are removed.");
		case MH_LINK_BAD_FIELD:
			return MH_N_("There is no such field or fold level.");
		case MH_LINK_BAD_MAP:
			return MH_N_("The variant table must map single characters one to one, without chains, spaces or stand-in characters.");
	}
	return MH_N_("The value is invalid.");
}

void
mh_link_digest(const mh_mac_key *k, int version, mh_link_field field, int level,
			   const char *value, size_t len, unsigned char out[MH_LINK_DIGEST_BYTES])
{
	unsigned char prefix[sizeof(MH_LINK_DOMAIN) + 2];
	unsigned char mac[32];

	memcpy(prefix, MH_LINK_DOMAIN, sizeof(MH_LINK_DOMAIN));
	prefix[sizeof(MH_LINK_DOMAIN)] = (unsigned char) field;
	prefix[sizeof(MH_LINK_DOMAIN) + 1] = (unsigned char) level;
	mh_mac_compute(k, prefix, sizeof(prefix), value, len, mac);
	out[0] = (unsigned char) version;
	memcpy(out + 1, mac, MH_LINK_MAC_BYTES);
}
