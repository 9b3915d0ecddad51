/*
 * Unit tests of src/core/checkdigit.c against the worked examples of
 * doc/identifiers.md.
 */
#include "checkdigit.h"
#include "unit.h"

static int
mod10(const char *s)
{
	return mh_mod10_check_digit(s, strlen(s));
}

int
main(void)
{
	/* 保険者番号: 7 data digits, then the 6-digit 国保 form and its padding */
	CHECK_INT(mod10("3312001"), 5, "33120015 千葉県警");
	CHECK_INT(mod10("0113001"), 2, "01130012 協会けんぽ 東京");
	CHECK_INT(mod10("5401602"), 7, "54016027 難病 北海道");
	CHECK_INT(mod10("3913000"), 0, "39130000 後期 東京 (sum 20)");
	CHECK_INT(mod10("32001"), 0, "320010 国保 6 digits");
	CHECK_INT(mod10("0032001"), 0, "00320010 padding keeps the digit");
	/* 受給者番号: even-length data is weighted from the right */
	CHECK_INT(mod10("123456"), 6, "1234566 weighted from the right");
	CHECK_INT(mod10("000000"), 0, "all zeros");
	CHECK_INT(mod10("9"), 1, "9*2=18 -> 1+8=9 -> check 1");

	/* My Number */
	CHECK(mh_mynumber_is_valid("123456789018", 12), "123456789018 valid");
	CHECK(!mh_mynumber_is_valid("123456789019", 12), "123456789019 invalid");
	CHECK(mh_mynumber_is_valid("023456789013", 12), "leading zero valid");
	CHECK(mh_mynumber_is_valid("983205673214", 12), "983205673214 valid");
	CHECK(!mh_mynumber_is_valid("210987654321", 12), "デジタル庁 sample is invalid");
	CHECK(!mh_mynumber_is_valid("12345678901", 11), "11 digits");
	CHECK(!mh_mynumber_is_valid("12345678901a", 12), "non-digit");
	CHECK_INT(mh_mynumber_check_digit("00000000000"), 0, "remainder 0 gives 0");
	CHECK_INT(mh_mynumber_check_digit("00000000006"), 0, "remainder 1 gives 0");
	CHECK_INT(mh_mynumber_check_digit("00000000001"), 9, "P1=1 weighted 2 gives 9");

	/* 法人番号: the check digit comes first */
	CHECK_INT(mh_corporate_check_digit("000012050002"), 7, "7000012050002 国税庁");
	CHECK_INT(mh_corporate_check_digit("000011000005"), 1, "1000011000005 国立国会図書館");
	CHECK_INT(mh_corporate_check_digit("180301018771"), 1, "1180301018771 Toyota");

	UNIT_DONE();
}
