/*
 * identifiers.c: parsing and normalisation of Japanese health-insurance
 * identifiers.  Sources for every rule are in doc/identifiers.md.
 */
#include "identifiers.h"

#include "checkdigit.h"
#include "utf8.h"

static int
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	/* card parts hold nothing above the BMP (see classify_card_char) */
	out[0] = (char) (0xE0 | (cp >> 12));
	out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char) (0x80 | (cp & 0x3F));
	return 3;
}

static bool
is_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x3000;
}

mh_status
mh_normalize_digits(const char *in, size_t len, char *out, size_t outcap,
					size_t *outlen, mh_parse_info *info)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		i = 0;
	size_t		chars = 0;
	size_t		n = 0;
	size_t		trailing_space_at = 0;	/* position of a space after digits */

	info->position = 0;
	info->length = 0;
	info->expected = -1;

	while (i < len)
	{
		uint32_t	cp;
		int			step;
		int			digit = -1;

		/* fast path for ASCII digits */
		if (s[i] >= '0' && s[i] <= '9')
		{
			cp = s[i];
			step = 1;
		}
		else if ((step = mh_utf8_decode(s + i, len - i, &cp)) == 0)
		{
			info->position = chars + 1;
			return MH_ERR_ENCODING;
		}
		chars++;
		i += step;

		if (cp >= '0' && cp <= '9')
			digit = (int) (cp - '0');
		else if (cp >= 0xFF10 && cp <= 0xFF19)
			digit = (int) (cp - 0xFF10);
		else if (is_space(cp))
		{
			if (n > 0 && trailing_space_at == 0)
				trailing_space_at = chars;
			continue;
		}
		else
		{
			info->position = chars;
			return MH_ERR_CHARACTER;
		}

		/* a digit after spaces that followed digits: a space inside */
		if (trailing_space_at != 0)
		{
			info->position = trailing_space_at;
			return MH_ERR_SPACE;
		}
		if (n < outcap)
			out[n] = (char) ('0' + digit);
		n++;
	}
	info->length = n;
	*outlen = n < outcap ? n : outcap;
	if (n == 0)
		return MH_ERR_EMPTY;
	if (n > outcap)
		return MH_ERR_LENGTH;
	return MH_OK;
}

static int
two_digits(const char *d)
{
	return (d[0] - '0') * 10 + (d[1] - '0');
}

static int32_t
digits_value(const char *d, size_t n)
{
	int32_t		v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (d[i] - '0');
	return v;
}

/* Check digit is the last of n digits. */
static mh_status
verify_mod10(const char *d, size_t n, mh_parse_info *info)
{
	int			expected = mh_mod10_check_digit(d, n - 1);

	if (expected != d[n - 1] - '0')
	{
		info->expected = expected;
		return MH_ERR_CHECK_DIGIT;
	}
	return MH_OK;
}

static mh_status
verify_prefecture(int code, mh_parse_info *info)
{
	if (code < 1 || code > 47)
	{
		info->expected = code;
		return MH_ERR_PREFECTURE;
	}
	return MH_OK;
}

bool
mh_law_code_is_insurance(int law_code)
{
	switch (law_code)
	{
		case 1: case 2: case 3: case 4: case 6: case 7:
		case 31: case 32: case 33: case 34: case 39:
		case 63: case 67: case 72: case 73: case 74: case 75:
			return true;
		default:
			return false;
	}
}

mh_status
mh_insurer_number_parse(const char *in, size_t len, int32_t *value,
						mh_parse_info *info)
{
	char		d[8];
	size_t		n;
	mh_status	st;
	const char *nhi;

	st = mh_normalize_digits(in, len, d, sizeof(d), &n, info);
	if (st != MH_OK)
		return st;

	if (n == 6)
		nhi = d;
	else if (n == 8 && d[0] == '0' && d[1] == '0')
		nhi = d + 2;			/* 国保 padded to 8 digits with "00" */
	else if (n == 8)
		nhi = NULL;
	else
		return MH_ERR_LENGTH;

	if (nhi)
	{
		if ((st = verify_mod10(nhi, 6, info)) != MH_OK ||
			(st = verify_prefecture(two_digits(nhi), info)) != MH_OK)
			return st;
		*value = digits_value(nhi, 6);
		return MH_OK;
	}

	if ((st = verify_mod10(d, 8, info)) != MH_OK)
		return st;
	if (!mh_law_code_is_insurance(two_digits(d)))
	{
		info->expected = two_digits(d);
		return MH_ERR_LAW_CODE;
	}
	if ((st = verify_prefecture(two_digits(d + 2), info)) != MH_OK)
		return st;
	*value = digits_value(d, 8);
	return MH_OK;
}

bool
mh_insurer_number_is_nhi(int32_t value)
{
	return value < 1000000;
}

int
mh_insurer_number_law_code(int32_t value)
{
	return mh_insurer_number_is_nhi(value) ? -1 : value / 1000000;
}

int
mh_insurer_number_prefecture(int32_t value)
{
	return mh_insurer_number_is_nhi(value) ? value / 10000 : value / 10000 % 100;
}

MhCategory
mh_insurer_number_category(int32_t value)
{
	if (mh_insurer_number_is_nhi(value))
	{
		/* 保険者別番号 in the 300s: a 国保組合 */
		int			local = value / 10 % 1000;

		return local >= 300 && local <= 399 ? MH_CAT_NHI_SOCIETY : MH_CAT_MUNICIPAL_NHI;
	}
	switch (mh_insurer_number_law_code(value))
	{
		case 1:
			return MH_CAT_KYOKAI_KENPO;
		case 2:
			return MH_CAT_SEAMEN;
		case 3:
		case 4:
			return MH_CAT_DAY_LABORER;
		case 6:
			return MH_CAT_HEALTH_SOCIETY;
		case 7:
			return MH_CAT_SELF_DEFENSE;
		case 39:
			return MH_CAT_LATE_ELDERLY;
		case 67:
			return MH_CAT_RETIREE_NHI;
		case 63:
		case 72:
		case 73:
		case 74:
		case 75:
			return MH_CAT_SPECIAL_RETIREE;
		default:				/* 31-34, the only insurance codes left */
			return MH_CAT_MUTUAL_AID;
	}
}

void
mh_insurer_number_format(int32_t value, char *buf)
{
	int			n = mh_insurer_number_is_nhi(value) ? 6 : 8;

	for (int i = n - 1; i >= 0; i--)
	{
		buf[i] = (char) ('0' + value % 10);
		value /= 10;
	}
	buf[n] = '\0';
}

/* Parse exactly want digits. */
static mh_status
parse_fixed_digits(const char *in, size_t len, char *d, size_t want,
				   mh_parse_info *info)
{
	size_t		n;
	mh_status	st = mh_normalize_digits(in, len, d, want, &n, info);

	if (st == MH_OK && n != want)
		st = MH_ERR_LENGTH;
	return st;
}

mh_status
mh_public_payer_parse(const char *in, size_t len, int32_t *value,
					  mh_parse_info *info)
{
	char		d[8];
	mh_status	st;

	if ((st = parse_fixed_digits(in, len, d, 8, info)) != MH_OK ||
		(st = verify_mod10(d, 8, info)) != MH_OK ||
		(st = verify_prefecture(two_digits(d + 2), info)) != MH_OK)
		return st;
	*value = digits_value(d, 8);
	return MH_OK;
}

mh_status
mh_public_recipient_parse(const char *in, size_t len, int32_t *value,
						  mh_parse_info *info)
{
	char		d[7];
	mh_status	st;

	if ((st = parse_fixed_digits(in, len, d, 7, info)) != MH_OK ||
		(st = verify_mod10(d, 7, info)) != MH_OK)
		return st;
	*value = digits_value(d, 7);
	return MH_OK;
}

mh_status
mh_corporate_number_parse(const char *in, size_t len, mh_parse_info *info)
{
	char		d[13];
	mh_status	st;
	int			expected;

	if ((st = parse_fixed_digits(in, len, d, 13, info)) != MH_OK)
		return st;
	expected = mh_corporate_check_digit(d + 1);
	if (expected != d[0] - '0')
	{
		info->expected = expected;
		return MH_ERR_CHECK_DIGIT;
	}
	return MH_OK;
}

static const char *const prefecture_names[47] = {
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
	"茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
	"新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
	"静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
	"奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
	"徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
	"熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"
};

const char *
mh_prefecture_name(int code)
{
	return code >= 1 && code <= 47 ? prefecture_names[code - 1] : NULL;
}

/* ---- 記号・番号 ---- */

typedef enum card_char_class
{
	CC_INVALID,
	CC_SPACE,
	CC_ALNUM,					/* letters and digits: written in ASCII when alone */
	CC_WIDE						/* kana, kanji, symbols: force full width */
} card_char_class;

/* Half-width katakana U+FF66..U+FF9F to full width. */
static const uint16_t halfwidth_kana[] = {
	0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5,	/* ｦ-ｭ */
	0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA,	/* ｮ-ｵ */
	0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9,	/* ｶ-ｽ */
	0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA,	/* ｾ-ﾅ */
	0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8,	/* ﾆ-ﾍ */
	0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6,	/* ﾎ-ﾕ */
	0x30E8, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3,	/* ﾖ-ﾝ */
	0x309B, 0x309C				/* ﾞ ﾟ */
};

/* Full-width kana that take a dakuten (+1) from a following ﾞ. */
static bool
takes_dakuten(uint32_t k)
{
	return (k >= 0x30AB && k <= 0x30C2 && (k - 0x30AB) % 2 == 0) ||	/* カ-チ */
		k == 0x30C4 || k == 0x30C6 || k == 0x30C8 ||	/* ツ テ ト */
		(k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0);	/* ハ-ホ */
}

/*
 * Class of a code point and its full-width form (*wide) and, for letters
 * and digits, its ASCII form (*narrow).
 */
static card_char_class
classify_card_char(uint32_t cp, uint32_t *wide, uint32_t *narrow)
{
	*wide = cp;
	*narrow = cp;
	if (is_space(cp))
		return CC_SPACE;
	if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'))
	{
		*wide = cp + 0xFEE0;
		return CC_ALNUM;
	}
	if (cp > 0x20 && cp < 0x7F)
	{
		*wide = cp + 0xFEE0;	/* ASCII symbol to U+FF01..FF5E */
		return CC_WIDE;
	}
	if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
		(cp >= 0xFF41 && cp <= 0xFF5A))
	{
		*narrow = cp - 0xFEE0;
		return CC_ALNUM;
	}
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return CC_WIDE;			/* full-width symbols */
	if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
	{
		*wide = 0xFF0D;			/* dashes and minus as the full-width hyphen */
		return CC_WIDE;
	}
	if (cp >= 0xFF66 && cp <= 0xFF9F)
	{
		*wide = halfwidth_kana[cp - 0xFF66];
		return CC_WIDE;
	}
	if (cp >= 0xFF61 && cp <= 0xFF65)
	{
		static const uint16_t punct[] = {0x3002, 0x300C, 0x300D, 0x3001, 0x30FB};

		*wide = punct[cp - 0xFF61];
		return CC_WIDE;
	}
	if ((cp >= 0x3001 && cp <= 0x3006) || (cp >= 0x300C && cp <= 0x300F) ||
		(cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x309B && cp <= 0x309F) ||
		(cp >= 0x30A1 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
		(cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF))
		return CC_WIDE;
	return CC_INVALID;
}

mh_status
mh_card_part_normalize(const char *in, size_t len, bool full_width, char *out,
					   size_t *outlen, mh_parse_info *info)
{
	const unsigned char *s = (const unsigned char *) in;
	uint32_t	wide[MH_CARD_PART_MAX];
	uint32_t	narrow[MH_CARD_PART_MAX];
	size_t		n = 0;
	size_t		chars = 0;
	size_t		space_at = 0;	/* position of a space after content */
	bool		all_alnum = true;
	size_t		i = 0;
	size_t		o = 0;

	info->position = 0;
	info->length = 0;
	info->expected = -1;

	while (i < len)
	{
		uint32_t	cp,
					w,
					a;
		int			step = mh_utf8_decode(s + i, len - i, &cp);
		card_char_class cls;

		chars++;
		if (step == 0)
		{
			info->position = chars;
			return MH_ERR_ENCODING;
		}
		i += step;
		cls = classify_card_char(cp, &w, &a);
		if (cls == CC_INVALID)
		{
			info->position = chars;
			return MH_ERR_CHARACTER;
		}
		if (cls == CC_SPACE)
		{
			if (n > 0 && space_at == 0)
				space_at = chars;
			continue;
		}
		if (space_at != 0)
		{
			info->position = space_at;
			return MH_ERR_SPACE;
		}
		/* a half-width ﾞ or ﾟ joins the kana before it when it can */
		if (n > 0 && (cp == 0xFF9E || cp == 0xFF9F))
		{
			uint32_t	k = wide[n - 1];

			if (cp == 0xFF9E && takes_dakuten(k))
			{
				wide[n - 1] = k + 1;
				continue;
			}
			if (cp == 0xFF9E && k == 0x30A6)
			{
				wide[n - 1] = 0x30F4;	/* ｳﾞ is ヴ */
				continue;
			}
			if (cp == 0xFF9F && k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0)
			{
				wide[n - 1] = k + 2;
				continue;
			}
		}
		if (n == MH_CARD_PART_MAX)
		{
			info->length = n + 1;
			return MH_ERR_LENGTH;
		}
		if (cls != CC_ALNUM)
			all_alnum = false;
		wide[n] = w;
		narrow[n] = a;
		n++;
	}
	info->length = n;
	if (n == 0)
		return MH_ERR_EMPTY;
	for (size_t k = 0; k < n; k++)
		o += utf8_encode(all_alnum && !full_width ? narrow[k] : wide[k], out + o);
	out[o] = '\0';
	*outlen = o;
	return MH_OK;
}

mh_status
mh_card_branch_normalize(const char *in, size_t len, char *out, size_t *outlen,
						 mh_parse_info *info)
{
	char		d[2];
	size_t		n;
	mh_status	st = mh_normalize_digits(in, len, d, 2, &n, info);

	if (st == MH_ERR_EMPTY)
	{
		*outlen = 0;			/* the card shows no 枝番 */
		out[0] = '\0';
		return MH_OK;
	}
	if (st != MH_OK)
		return st;
	out[0] = n == 1 ? '0' : d[0];
	out[1] = d[n - 1];
	out[2] = '\0';
	*outlen = 2;
	return MH_OK;
}
