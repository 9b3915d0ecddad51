/*
 * linkage_check.c: reason codes and severity of one member's linkage check.
 *
 * Which code a comparison gives is decided here, once; the SQL of the
 * nightly check only gathers the facts (digest match levels, the rows a
 * shared token or a household swap needs) and stores the result.
 */
#include "linkage_check.h"

#include "linkage.h"

const char *const mh_link_reason_code[MH_R_COUNT] = {
	"no_number_linked",
	"jlis_not_checked",
	"jlis_stale",
	"jlis_not_found",
	"birth_date_mismatch",
	"sex_mismatch",
	"kana_unverifiable",
	"kana_mismatch",
	"kana_notation_only",
	"kana_small_large_only",
	"kana_ji_zu_only",
	"kanji_unverifiable",
	"kanji_mismatch",
	"kanji_notation_only",
	"kanji_variant_only",
	"address_mismatch_after_lookup",
	"address_mismatch_kanji_unverifiable",
	"address_mismatch",
	"address_format_only",
	"token_shared_other_person",
	"household_swap",
	"member_reports_last4_differs",
	"member_reports_facts_wrong",
	"member_reports_last4_ok",
	"correction_not_sent",
	"provenance_weak_unconfirmed",
	"surname_only_mismatch",
	"kana_voicing_only",
	"kana_long_vowel_only",
	"digest_key_stale",
};

#define BIT(r) (UINT64_C(1) << (r))

uint64_t
mh_link_reasons(const mh_link_facts *f)
{
	uint64_t	r = 0;
	bool		answer = !f->no_number && !f->no_jlis && !f->stale;
	bool		compared = answer && f->found && !f->key_stale;

	if (f->no_number)
		r |= BIT(MH_R_NO_NUMBER_LINKED);
	else if (f->no_jlis)
		r |= BIT(MH_R_JLIS_NOT_CHECKED);
	if (f->stale)
		r |= BIT(MH_R_JLIS_STALE);
	if (answer && !f->found)
		r |= BIT(MH_R_JLIS_NOT_FOUND);
	/* digests of two key versions never compare: reload, do not guess */
	if (answer && f->found && f->key_stale)
		r |= BIT(MH_R_DIGEST_KEY_STALE);

	if (compared)
	{
		bool		surname_only;

		if (f->birth_date_differs)
			r |= BIT(MH_R_BIRTH_DATE_MISMATCH);
		if (f->sex_differs)
			r |= BIT(MH_R_SEX_MISMATCH);

		/*
		 * The given name, birth date and sex match and カナ differs at every
		 * level and in no review form: only the surname differs (marriage
		 * not filed).  A review code, never a match: the surname alone is
		 * a field, and dropping it is refused.
		 */
		surname_only = f->kana == MH_LVL_NONE && f->kana_given_equal &&
			!f->birth_date_differs && !f->sex_differs &&
			(f->kanji >= 0 || f->kanji == MH_LVL_UNVERIFIABLE || f->kanji_given_equal);
		switch (f->kana)
		{
			case MH_LVL_UNVERIFIABLE:
				r |= BIT(MH_R_KANA_UNVERIFIABLE);
				break;
			case MH_LVL_NONE:
				r |= surname_only ? BIT(MH_R_SURNAME_ONLY_MISMATCH) : BIT(MH_R_KANA_MISMATCH);
				break;
			case 1:
				r |= BIT(MH_R_KANA_NOTATION_ONLY);
				break;
			case 2:
				r |= BIT(MH_R_KANA_SMALL_LARGE_ONLY);
				break;
			case 3:
				r |= BIT(MH_R_KANA_JI_ZU_ONLY);
				break;
			case MH_LINK_KANA_VOICING:
				r |= BIT(MH_R_KANA_VOICING_ONLY);
				break;
			case MH_LINK_KANA_LONG_VOWEL:
				r |= BIT(MH_R_KANA_LONG_VOWEL_ONLY);
				break;
		}
		switch (f->kanji)
		{
			case MH_LVL_UNVERIFIABLE:
				r |= BIT(MH_R_KANJI_UNVERIFIABLE);
				break;
			case MH_LVL_NONE:
				if (!surname_only)
					r |= BIT(MH_R_KANJI_MISMATCH);
				break;
			case 1:
				r |= BIT(MH_R_KANJI_NOTATION_ONLY);
				break;
			case 2:
				r |= BIT(MH_R_KANJI_VARIANT_ONLY);
				break;
		}
		if (f->address < 0)
			r |= f->lookup ? BIT(MH_R_ADDRESS_MISMATCH_AFTER_LOOKUP) :
				f->kanji == MH_LVL_UNVERIFIABLE ? BIT(MH_R_ADDRESS_MISMATCH_KANJI_UNVERIFIABLE) :
				BIT(MH_R_ADDRESS_MISMATCH);
		else if (f->address == 1)
			r |= BIT(MH_R_ADDRESS_FORMAT_ONLY);
	}
	if (f->shared)
		r |= BIT(MH_R_TOKEN_SHARED_OTHER_PERSON);
	if (f->swap)
		r |= BIT(MH_R_HOUSEHOLD_SWAP);
	if (f->last4 == 0 || f->claim == MH_CLAIM_NOT_ME)
		r |= BIT(MH_R_LAST4_DIFFERS);
	if (f->claim == MH_CLAIM_FACTS_WRONG)
		r |= BIT(MH_R_FACTS_WRONG);
	if (f->last4 == 1 && f->claim != MH_CLAIM_NOT_ME)
		r |= BIT(MH_R_LAST4_OK);
	if (f->not_sent)
		r |= BIT(MH_R_CORRECTION_NOT_SENT);
	if (f->weak_unconfirmed)
		r |= BIT(MH_R_PROVENANCE_WEAK_UNCONFIRMED);
	return r;
}

int
mh_link_severity(uint64_t reasons, bool last4_ok,
				 const int severity[MH_R_COUNT], const bool lowered[MH_R_COUNT])
{
	int			s = 0;

	for (int i = 0; i < MH_R_COUNT; i++)
	{
		int			v;

		if (!(reasons & BIT(i)))
			continue;
		v = severity[i] - (last4_ok && lowered[i] ? 1 : 0);
		if (v > s)
			s = v;
	}
	return s;
}

static uint64_t
pack_level(int level, bool compared)
{
	if (!compared)
		return 15;
	return (uint64_t) (level + 2) & 15;
}

#define REASON_MASK ((UINT64_C(1) << 40) - 1)
#define SEVERITY_MASK (UINT64_C(15) << 56)

uint64_t
mh_link_own(const mh_link_facts *f)
{
	mh_link_facts g = *f;
	bool		compared = !f->no_number && !f->no_jlis && !f->stale && f->found && !f->key_stale;

	g.shared = false;
	g.swap = false;
	return mh_link_reasons(&g) |
		pack_level(f->kana, compared) << 40 |
		pack_level(f->kanji, compared) << 44 |
		pack_level(f->address, compared) << 48;
}

uint64_t
mh_link_finish(uint64_t own, bool shared, bool swap,
			   const int severity[MH_R_COUNT], const bool lowered[MH_R_COUNT])
{
	uint64_t	r = own & REASON_MASK & ~(BIT(MH_R_TOKEN_SHARED_OTHER_PERSON) | BIT(MH_R_HOUSEHOLD_SWAP));
	int			s;

	if (shared)
		r |= BIT(MH_R_TOKEN_SHARED_OTHER_PERSON);
	if (swap)
		r |= BIT(MH_R_HOUSEHOLD_SWAP);
	s = mh_link_severity(r, (r & BIT(MH_R_LAST4_OK)) != 0, severity, lowered);
	return (own & ~(REASON_MASK | SEVERITY_MASK)) | r | (uint64_t) s << 56;
}

uint64_t
mh_link_check(const mh_link_facts *f, const int severity[MH_R_COUNT], const bool lowered[MH_R_COUNT])
{
	return mh_link_finish(mh_link_own(f), f->shared, f->swap, severity, lowered);
}

int
mh_link_pack_level(uint64_t packed, int field)
{
	int			v = (int) ((packed >> (36 + 4 * field)) & 15);

	return v == 15 ? MH_LVL_NOT_COMPARED : v - 2;
}
