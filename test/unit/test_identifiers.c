/*
 * Unit tests of src/core/identifiers.c: every accessor, every rejection and
 * the boundaries of each rule.
 */
#include "identifiers.h"
#include "unit.h"

static mh_status
insurer(const char *s, int32_t *v, mh_parse_info *info)
{
	return mh_insurer_number_parse(s, strlen(s), v, info);
}

static int32_t
insurer_ok(const char *s)
{
	int32_t		v = -1;
	mh_parse_info info;

	return insurer(s, &v, &info) == MH_OK ? v : -1;
}

static mh_status
insurer_status(const char *s)
{
	int32_t		v;
	mh_parse_info info;

	return insurer(s, &v, &info);
}

static const char *
card(const char *s, bool wide)
{
	static char out[MH_CARD_PART_BUFSZ];
	size_t		len;
	mh_parse_info info;

	if (mh_card_part_normalize(s, strlen(s), wide, out, &len, &info) != MH_OK)
		return "(error)";
	return out;
}

static mh_status
card_status(const char *s, mh_parse_info *info)
{
	char		out[MH_CARD_PART_BUFSZ];
	size_t		len;

	return mh_card_part_normalize(s, strlen(s), false, out, &len, info);
}

static const char *
branch(const char *s)
{
	static char out[3];
	size_t		len;
	mh_parse_info info;

	if (mh_card_branch_normalize(s, strlen(s), out, &len, &info) != MH_OK)
		return "(error)";
	return out;
}

static mh_status
payer(const char *s)
{
	int32_t		v;
	mh_parse_info info;

	return mh_public_payer_parse(s, strlen(s), &v, &info);
}

static mh_status
recipient(const char *s)
{
	int32_t		v;
	mh_parse_info info;

	return mh_public_recipient_parse(s, strlen(s), &v, &info);
}

static mh_status
corporate(const char *s)
{
	mh_parse_info info;

	return mh_corporate_number_parse(s, strlen(s), &info);
}

int
main(void)
{
	mh_parse_info info;
	int32_t		v;
	char		buf[9];

	/* 保険者番号: forms accepted */
	CHECK_INT(insurer_ok("01130012"), 1130012, "8 digits");
	CHECK_INT(insurer_ok(" 01130012 "), 1130012, "surrounding spaces");
	CHECK_INT(insurer_ok("\t01130012\n"), 1130012, "surrounding tabs and newline");
	CHECK_INT(insurer_ok("\xe3\x80\x80" "01130012" "\xe3\x80\x80"), 1130012, "surrounding U+3000");
	CHECK_INT(insurer_ok("０１１３００１２"), 1130012, "full-width digits");
	CHECK_INT(insurer_ok("01１30０12"), 1130012, "mixed widths");
	CHECK_INT(insurer_ok("320010"), 320010, "国保 6 digits");
	CHECK_INT(insurer_ok("00320010"), 320010, "国保 padded with 00");
	CHECK_INT(insurer_ok(" 320010"), 320010, "国保 padded with a space");

	/* rejections */
	CHECK_INT(insurer_status(""), MH_ERR_EMPTY, "empty");
	CHECK_INT(insurer_status("   "), MH_ERR_EMPTY, "spaces only");
	CHECK_INT(insurer_status("0113001"), MH_ERR_LENGTH, "7 digits");
	CHECK_INT(insurer_status("011300120"), MH_ERR_LENGTH, "9 digits");
	CHECK_INT(insurer_status("0113"), MH_ERR_LENGTH, "4-digit 政管 numbers are obsolete");
	CHECK_INT(insurer_status("01130013"), MH_ERR_CHECK_DIGIT, "check digit off by one");
	insurer("01130019", &v, &info);
	CHECK_INT(info.expected, 2, "expected check digit reported");
	CHECK_INT(insurer_status("01A30012"), MH_ERR_CHARACTER, "letter");
	insurer("01A30012", &v, &info);
	CHECK_INT(info.position, 3, "position of the letter");
	CHECK_INT(insurer_status("0113 0012"), MH_ERR_SPACE, "space inside");
	insurer(" 0113 0012", &v, &info);
	CHECK_INT(info.position, 6, "position of the inner space counts the leading one");
	CHECK_INT(insurer_status("01-130012"), MH_ERR_CHARACTER, "hyphen is not a separator here");
	CHECK_INT(insurer_status("0113001\xff"), MH_ERR_ENCODING, "invalid UTF-8");
	CHECK_INT(insurer_status("\xe3\x80"), MH_ERR_ENCODING, "truncated UTF-8");
	CHECK_INT(insurer_status("0113001\xc0\xb2"), MH_ERR_ENCODING, "overlong UTF-8");
	CHECK_INT(insurer_status("54016027"), MH_ERR_LAW_CODE, "公費 law code 54");
	CHECK_INT(insurer_status("12130019"), MH_ERR_LAW_CODE, "公費 law code 12");
	CHECK_INT(insurer_status("05130018"), MH_ERR_LAW_CODE, "law code 05 unused");
	CHECK_INT(insurer_status("35130012"), MH_ERR_LAW_CODE, "law code 35 unused");
	CHECK_INT(insurer_status("99130015"), MH_ERR_LAW_CODE, "law code 99");
	CHECK_INT(insurer_status("01000017"), MH_ERR_PREFECTURE, "prefecture 00");
	CHECK_INT(insurer_ok("01010016"), 1010016, "prefecture 01 (北海道)");
	CHECK_INT(insurer_ok("01470012"), 1470012, "prefecture 47 (沖縄)");
	CHECK_INT(insurer_status("01480011"), MH_ERR_PREFECTURE, "prefecture 48");
	CHECK_INT(insurer_status("000018"), MH_ERR_PREFECTURE, "国保 prefecture 00");
	CHECK_INT(insurer_ok("479998"), 479998, "国保 prefecture 47");
	CHECK_INT(insurer_status("480012"), MH_ERR_PREFECTURE, "国保 prefecture 48");
	CHECK_INT(insurer_status("320011"), MH_ERR_CHECK_DIGIT, "国保 check digit");

	/* accessors */
	CHECK_INT(mh_insurer_number_law_code(1130012), 1, "law code 01");
	CHECK_INT(mh_insurer_number_law_code(320010), -1, "国保 has no law code");
	CHECK_INT(mh_insurer_number_prefecture(1130012), 13, "prefecture 13");
	CHECK_INT(mh_insurer_number_prefecture(320010), 32, "国保 prefecture 32");
	CHECK_STR(mh_prefecture_name(13), "東京都", "東京都");
	CHECK_STR(mh_prefecture_name(1), "北海道", "北海道");
	CHECK_STR(mh_prefecture_name(47), "沖縄県", "沖縄県");
	CHECK(mh_prefecture_name(0) == NULL, "no prefecture 0");
	CHECK(mh_prefecture_name(48) == NULL, "no prefecture 48");
	mh_insurer_number_format(320010, buf);
	CHECK_STR(buf, "320010", "国保 prints 6 digits");
	mh_insurer_number_format(1130012, buf);
	CHECK_STR(buf, "01130012", "8 digits keep the leading zero");

	/* categories, one per law code */
	CHECK_INT(mh_insurer_number_category(insurer_ok("01130012")), MH_CAT_KYOKAI_KENPO, "01 協会けんぽ");
	CHECK_INT(mh_insurer_number_category(insurer_ok("02130011")), MH_CAT_SEAMEN, "02 船員保険");
	CHECK_INT(mh_insurer_number_category(insurer_ok("03130010")), MH_CAT_DAY_LABORER, "03 日雇");
	CHECK_INT(mh_insurer_number_category(insurer_ok("04130019")), MH_CAT_DAY_LABORER, "04 日雇");
	CHECK_INT(mh_insurer_number_category(insurer_ok("06139992")), MH_CAT_HEALTH_SOCIETY, "06 健保組合");
	CHECK_INT(mh_insurer_number_category(insurer_ok("07130016")), MH_CAT_SELF_DEFENSE, "07 自衛官等");
	CHECK_INT(mh_insurer_number_category(insurer_ok("31130016")), MH_CAT_MUTUAL_AID, "31 共済");
	CHECK_INT(mh_insurer_number_category(insurer_ok("32130015")), MH_CAT_MUTUAL_AID, "32 共済");
	CHECK_INT(mh_insurer_number_category(insurer_ok("33130014")), MH_CAT_MUTUAL_AID, "33 共済");
	CHECK_INT(mh_insurer_number_category(insurer_ok("34130013")), MH_CAT_MUTUAL_AID, "34 共済");
	CHECK_INT(mh_insurer_number_category(insurer_ok("39131156")), MH_CAT_LATE_ELDERLY, "39 後期");
	CHECK_INT(mh_insurer_number_category(insurer_ok("63130017")), MH_CAT_SPECIAL_RETIREE, "63 特例退職");
	CHECK_INT(mh_insurer_number_category(insurer_ok("67130013")), MH_CAT_RETIREE_NHI, "67 退職者医療");
	CHECK_INT(mh_insurer_number_category(insurer_ok("72130016")), MH_CAT_SPECIAL_RETIREE, "72 特定共済");
	CHECK_INT(mh_insurer_number_category(insurer_ok("75130013")), MH_CAT_SPECIAL_RETIREE, "75 特定共済");
	CHECK_INT(mh_insurer_number_category(insurer_ok("012997")), MH_CAT_MUNICIPAL_NHI, "国保 299 市町村");
	CHECK_INT(mh_insurer_number_category(insurer_ok("013003")), MH_CAT_NHI_SOCIETY, "国保 300 国保組合");
	CHECK_INT(mh_insurer_number_category(insurer_ok("013995")), MH_CAT_NHI_SOCIETY, "国保 399 国保組合");
	CHECK_INT(mh_insurer_number_category(insurer_ok("014001")), MH_CAT_MUNICIPAL_NHI, "国保 400 市町村");

	/* 公費負担者番号 and 受給者番号 */
	CHECK_INT(payer("54016027"), MH_OK, "難病 北海道");
	CHECK_INT(payer("82134008"), MH_OK, "東京 local program");
	CHECK_INT(payer("54016028"), MH_ERR_CHECK_DIGIT, "payer check digit");
	CHECK_INT(payer("54006028"), MH_ERR_PREFECTURE, "payer prefecture 00");
	CHECK_INT(payer("54486022"), MH_ERR_PREFECTURE, "payer prefecture 48");
	CHECK_INT(payer("87654321"), MH_ERR_CHECK_DIGIT, "デジタル庁 sample is invalid");
	CHECK_INT(payer("5401602"), MH_ERR_LENGTH, "payer 7 digits");
	CHECK_INT(recipient("1234566"), MH_OK, "recipient weighted from the right");
	CHECK_INT(recipient("1234569"), MH_ERR_CHECK_DIGIT, "recipient weighted from the left is wrong");
	CHECK_INT(recipient("0000002"), MH_ERR_CHECK_DIGIT, "デジタル庁 recipient sample is invalid");
	CHECK_INT(recipient("0000000"), MH_OK, "recipient all zeros");
	CHECK_INT(recipient("12345660"), MH_ERR_LENGTH, "recipient 8 digits");

	/* 法人番号 */
	CHECK_INT(corporate("7000012050002"), MH_OK, "国税庁");
	CHECK_INT(corporate("1180301018771"), MH_OK, "Toyota");
	CHECK_INT(corporate("8000012050002"), MH_ERR_CHECK_DIGIT, "corporate check digit");
	CHECK_INT(corporate("T1180301018771"), MH_ERR_CHARACTER, "invoice T prefix is not a corporate number");
	CHECK_INT(corporate("700001205000"), MH_ERR_LENGTH, "corporate 12 digits");

	/* 記号・番号 */
	CHECK_STR(card("1060708", false), "1060708", "digits stay ASCII");
	CHECK_STR(card("１０６０７０８", false), "1060708", "full-width digits become ASCII");
	CHECK_STR(card("ＡＢ１２", false), "AB12", "full-width letters become ASCII");
	CHECK_STR(card("12-34", false), "１２－３４", "a symbol makes the whole part full width");
	CHECK_STR(card("１２‐３４", false), "１２－３４", "hyphen U+2010 becomes U+FF0D");
	CHECK_STR(card("あいう", false), "あいう", "hiragana kept");
	CHECK_STR(card("肩腰1", false), "肩腰１", "kanji forces full width");
	CHECK_STR(card("ｶﾞｷﾞﾊﾟﾎﾟｳﾞ", false), "ガギパポヴ", "half-width kana with voicing marks");
	CHECK_STR(card("ｱﾞ", false), "ア゛", "voicing mark that cannot combine");
	CHECK_STR(card("ｰ｡", false), "ー。", "half-width prolonged mark and period");
	CHECK_STR(card("abc", true), "ａｂｃ", "full_width forces full width");
	CHECK_STR(card(" 187 ", false), "187", "surrounding spaces trimmed");
	CHECK_INT(card_status("12 34", &info), MH_ERR_SPACE, "inner space");
	CHECK_INT(card_status("１２\xe3\x80\x80３４", &info), MH_ERR_SPACE, "inner full-width space");
	CHECK_INT(card_status("12\x01", &info), MH_ERR_CHARACTER, "control character");
	CHECK_INT(info.position, 3, "position of the control character");
	CHECK_INT(card_status("é", &info), MH_ERR_CHARACTER, "Latin-1 letter");
	CHECK_INT(card_status("\xf0\x9f\x98\x80", &info), MH_ERR_CHARACTER, "emoji");
	CHECK_INT(card_status("", &info), MH_ERR_EMPTY, "empty part");
	CHECK_INT(card_status("1234567890123456789012345678901234567890", &info), MH_OK, "40 characters");
	CHECK_INT(card_status("12345678901234567890123456789012345678901", &info), MH_ERR_LENGTH, "41 characters");
	CHECK_INT(card_status("ｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞ", &info), MH_OK,
			  "40 half-width code points combine into 20");

	/* 枝番 */
	CHECK_STR(branch("00"), "00", "00");
	CHECK_STR(branch("5"), "05", "one digit padded");
	CHECK_STR(branch("０１"), "01", "full width");
	CHECK_STR(branch(""), "", "empty: the card shows none");
	CHECK_STR(branch(" "), "", "spaces: the card shows none");
	CHECK_STR(branch("100"), "(error)", "three digits");
	CHECK_STR(branch("a1"), "(error)", "letter");

	UNIT_DONE();
}
