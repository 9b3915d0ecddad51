/*
 * Unit tests of src/core/linkage_check.c: which reason codes a member's
 * comparisons give, the severity, and the packed result.
 */
#include "linkage.h"
#include "linkage_check.h"
#include "unit.h"

#define BIT(r) (UINT64_C(1) << (r))

static int	sev[MH_R_COUNT];
static bool low[MH_R_COUNT];

/* A member whose every field matches at level 0. */
static mh_link_facts
clean(void)
{
	mh_link_facts f = {0};

	f.found = true;
	f.last4 = -1;
	return f;
}

int
main(void)
{
	mh_link_facts f;
	uint64_t	p;

	for (int i = 0; i < MH_R_COUNT; i++)
		sev[i] = 1;
	sev[MH_R_KANA_MISMATCH] = 3;
	sev[MH_R_BIRTH_DATE_MISMATCH] = 3;
	sev[MH_R_SURNAME_ONLY_MISMATCH] = 2;
	sev[MH_R_KANA_VOICING_ONLY] = 2;
	sev[MH_R_KANA_NOTATION_ONLY] = 0;
	sev[MH_R_LAST4_OK] = 0;
	low[MH_R_KANA_MISMATCH] = true;
	low[MH_R_SURNAME_ONLY_MISMATCH] = true;

	for (int i = 0; i < MH_R_COUNT; i++)
		CHECK(mh_link_reason_code[i] != NULL && mh_link_reason_code[i][0] != '\0', "every reason has a code");
	CHECK(MH_R_COUNT <= 40, "the reasons fit bits 0..39");

	f = clean();
	CHECK(mh_link_reasons(&f) == 0, "a clean member has no reason");
	p = mh_link_check(&f, sev, low);
	CHECK_INT(MH_LINK_PACK_SEVERITY(p), 0, "clean: severity 0");
	CHECK_INT(mh_link_pack_level(p, 1), 0, "clean: カナ matched at level 0");
	CHECK_INT(mh_link_pack_level(p, 3), 0, "clean: 住所 matched at level 0");

	f = clean();
	f.kana = 1;
	p = mh_link_check(&f, sev, low);
	CHECK(p & BIT(MH_R_KANA_NOTATION_ONLY), "K1: notation only");
	CHECK_INT(MH_LINK_PACK_SEVERITY(p), 0, "notation only: severity 0");
	CHECK_INT(mh_link_pack_level(p, 1), 1, "the level is packed");

	f = clean();
	f.kana = MH_LVL_NONE;
	f.kanji = MH_LVL_NONE;
	f.kana_given_equal = true;
	f.kanji_given_equal = true;
	p = mh_link_check(&f, sev, low);
	CHECK(p & BIT(MH_R_SURNAME_ONLY_MISMATCH), "given name, birth date and sex match: surname only");
	CHECK(!(p & BIT(MH_R_KANA_MISMATCH)) && !(p & BIT(MH_R_KANJI_MISMATCH)), "surname only: no name mismatch");
	CHECK_INT(MH_LINK_PACK_SEVERITY(p), 2, "surname only: a review");
	CHECK(p >= (UINT64_C(2) << 56) && p < (UINT64_C(3) << 56), "severity s is at least s << 56");

	f.birth_date_differs = true;
	p = mh_link_check(&f, sev, low);
	CHECK(p & BIT(MH_R_KANA_MISMATCH) && !(p & BIT(MH_R_SURNAME_ONLY_MISMATCH)),
		  "another birth date: a カナ mismatch, never surname only");
	f = clean();
	f.kana = MH_LVL_NONE;
	f.kanji = MH_LVL_NONE;
	f.kana_given_equal = true;
	p = mh_link_check(&f, sev, low);
	CHECK(p & BIT(MH_R_KANA_MISMATCH), "漢字 given name differs: not surname only");

	f = clean();
	f.kana = MH_LINK_KANA_VOICING;
	p = mh_link_check(&f, sev, low);
	CHECK(p & BIT(MH_R_KANA_VOICING_ONLY), "voicing review form: its own code");
	CHECK_INT(MH_LINK_PACK_SEVERITY(p), 2, "voicing: a review, never silent");
	f.kana = MH_LINK_KANA_LONG_VOWEL;
	CHECK(mh_link_reasons(&f) & BIT(MH_R_KANA_LONG_VOWEL_ONLY), "long-vowel review form: its own code");

	f = clean();
	f.key_stale = true;
	f.kana = MH_LVL_NONE;
	f.birth_date_differs = true;
	p = mh_link_check(&f, sev, low);
	CHECK(p == (BIT(MH_R_DIGEST_KEY_STALE) | UINT64_C(15) << 40 | UINT64_C(15) << 44 | UINT64_C(15) << 48 |
				UINT64_C(1) << 56), "another key version: only digest_key_stale, nothing compared");
	CHECK_INT(mh_link_pack_level(p, 2), MH_LVL_NOT_COMPARED, "not compared");

	f = clean();
	f.found = false;
	CHECK(mh_link_reasons(&f) == BIT(MH_R_JLIS_NOT_FOUND), "J-LIS has nobody");
	f = clean();
	f.no_number = true;
	CHECK(mh_link_reasons(&f) == BIT(MH_R_NO_NUMBER_LINKED), "no number");

	f = clean();
	f.kana = MH_LVL_NONE;
	f.last4 = 1;
	p = mh_link_check(&f, sev, low);
	CHECK(p & BIT(MH_R_LAST4_OK), "reported digits match");
	CHECK_INT(MH_LINK_PACK_SEVERITY(p), 2, "matching digits lower a name code by one");
	f.birth_date_differs = true;
	CHECK_INT(MH_LINK_PACK_SEVERITY(mh_link_check(&f, sev, low)), 3, "never a birth date");
	f.claim = MH_CLAIM_NOT_ME;
	p = mh_link_reasons(&f);
	CHECK((p & BIT(MH_R_LAST4_DIFFERS)) && !(p & BIT(MH_R_LAST4_OK)), "not me: differs, whatever the digits");

	f = clean();
	f.address = MH_LVL_NONE;
	f.lookup = true;
	CHECK(mh_link_reasons(&f) & BIT(MH_R_ADDRESS_MISMATCH_AFTER_LOOKUP), "address after a lookup");
	f.lookup = false;
	f.kanji = MH_LVL_UNVERIFIABLE;
	CHECK(mh_link_reasons(&f) & BIT(MH_R_ADDRESS_MISMATCH_KANJI_UNVERIFIABLE), "address with ●");

	/* in two steps: the stored own part, then other rows and the severities */
	f = clean();
	f.kana = 2;
	f.shared = true;
	p = mh_link_own(&f);
	CHECK(!(p & BIT(MH_R_TOKEN_SHARED_OTHER_PERSON)), "the own part ignores other rows");
	CHECK_INT(MH_LINK_PACK_SEVERITY(p), 0, "the own part has no severity");
	CHECK(mh_link_finish(p, true, false, sev, low) == mh_link_check(&f, sev, low), "own + finish = check (shared)");
	f.shared = false;
	f.swap = true;
	f.last4 = 1;
	CHECK(mh_link_finish(mh_link_own(&f), false, true, sev, low) == mh_link_check(&f, sev, low),
		  "own + finish = check (swap, digits)");
	CHECK(mh_link_finish(mh_link_check(&f, sev, low), false, false, sev, low) ==
		  mh_link_finish(mh_link_own(&f), false, false, sev, low), "finish replaces an earlier severity");

	UNIT_DONE();
}
