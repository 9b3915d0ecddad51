/*
 * linkage_check.h: the reason codes of a linkage check for one member, in
 * plain C.
 *
 * The caller compares the member's own digests with those of its newest
 * J-LIS answer (match levels, see linkage.h) and looks up what needs other
 * rows (a token held by another person, a household swap); this file turns
 * those facts into reason codes and a severity, once per member, so that
 * the nightly check evaluates one function per member instead of an
 * expression tree.
 *
 * A result is packed into 64 bits, so that a set-based check can carry it
 * and compare it with the member's previous result as one integer:
 *
 *   bits  0..39  one bit per reason code (mh_link_reason)
 *   bits 40..43  カナ level + 2 (0 unverifiable, 1 mismatch, 2.. level 0..), 15 not compared
 *   bits 44..47  漢字 level, the same way
 *   bits 48..51  住所 level, the same way
 *   bits 56..59  severity (0..3)
 *
 * so a result of severity s is >= s << 56.
 */
#ifndef MYNAHOKEN_LINKAGE_CHECK_H
#define MYNAHOKEN_LINKAGE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

typedef enum mh_link_reason
{
	MH_R_NO_NUMBER_LINKED,
	MH_R_JLIS_NOT_CHECKED,
	MH_R_JLIS_STALE,
	MH_R_JLIS_NOT_FOUND,
	MH_R_BIRTH_DATE_MISMATCH,
	MH_R_SEX_MISMATCH,
	MH_R_KANA_UNVERIFIABLE,
	MH_R_KANA_MISMATCH,
	MH_R_KANA_NOTATION_ONLY,
	MH_R_KANA_SMALL_LARGE_ONLY,
	MH_R_KANA_JI_ZU_ONLY,
	MH_R_KANJI_UNVERIFIABLE,
	MH_R_KANJI_MISMATCH,
	MH_R_KANJI_NOTATION_ONLY,
	MH_R_KANJI_VARIANT_ONLY,
	MH_R_ADDRESS_MISMATCH_AFTER_LOOKUP,
	MH_R_ADDRESS_MISMATCH_KANJI_UNVERIFIABLE,
	MH_R_ADDRESS_MISMATCH,
	MH_R_ADDRESS_FORMAT_ONLY,
	MH_R_TOKEN_SHARED_OTHER_PERSON,
	MH_R_HOUSEHOLD_SWAP,
	MH_R_LAST4_DIFFERS,
	MH_R_FACTS_WRONG,
	MH_R_LAST4_OK,
	MH_R_CORRECTION_NOT_SENT,
	MH_R_PROVENANCE_WEAK_UNCONFIRMED,
	MH_R_SURNAME_ONLY_MISMATCH,
	MH_R_KANA_VOICING_ONLY,
	MH_R_KANA_LONG_VOWEL_ONLY,
	MH_R_DIGEST_KEY_STALE,
	MH_R_COUNT
} mh_link_reason;

/* The code of each reason, as in mynahoken.linkage_reason. */
extern const char *const mh_link_reason_code[MH_R_COUNT];

/* Level of a field comparison (match levels are 0 and up). */
#define MH_LVL_UNVERIFIABLE (-2)	/* a stand-in character on one side */
#define MH_LVL_NONE (-1)			/* no level matches */
#define MH_LVL_NOT_COMPARED (13)	/* packed as 15 */

/* The member's report, newest first. */
typedef enum mh_link_claim
{
	MH_CLAIM_NONE,
	MH_CLAIM_LAST4_DIFFERS,
	MH_CLAIM_LAST4_OK,
	MH_CLAIM_NOT_ME,
	MH_CLAIM_FACTS_WRONG
} mh_link_claim;

typedef struct mh_link_facts
{
	bool		no_number;		/* no token linked */
	bool		no_jlis;		/* no J-LIS answer */
	bool		stale;			/* the newest answer is for another token */
	bool		found;			/* J-LIS had a person for the number */
	bool		key_stale;		/* own and J-LIS digests under different key versions */
	bool		birth_date_differs;
	bool		sex_differs;
	int			kana;			/* match level of カナ (0..3), a review form
								 * (MH_LINK_KANA_VOICING, _LONG_VOWEL), -1, -2 */
	int			kanji;			/* match level of 漢字 (0..2), -1, -2 */
	int			address;		/* match level of 住所 (0..1), -1, -2 */
	bool		kana_given_equal;	/* the given names (カナ) are equal */
	bool		kanji_given_equal;	/* the given names (漢字) are equal */
	bool		lookup;			/* number from a J-LIS lookup (5 fields or weak) */
	bool		weak_unconfirmed;	/* weak lookup, never confirmed */
	bool		shared;			/* another member holds the token and differs */
	bool		swap;			/* the J-LIS facts are another household member's */
	bool		not_sent;		/* token differs from the one last sent onward */
	mh_link_claim claim;
	int			last4;			/* -1 unknown, 0 differs, 1 matches */
} mh_link_facts;

/* Reasons of one member as bits (1 << mh_link_reason). */
extern uint64_t mh_link_reasons(const mh_link_facts *f);

/*
 * Severity of a set of reasons: the highest severity[] of its codes, each
 * lowered by one where lowered[] says so and the member's reported digits
 * matched (last4_ok); 0 with no code.
 */
extern int	mh_link_severity(uint64_t reasons, bool last4_ok,
							 const int severity[MH_R_COUNT], const bool lowered[MH_R_COUNT]);

/* The whole check of one member, packed as described above. */
extern uint64_t mh_link_check(const mh_link_facts *f,
							  const int severity[MH_R_COUNT], const bool lowered[MH_R_COUNT]);

/*
 * The same in two steps.  mh_link_own() is what the member's own row
 * decides (f->shared and f->swap are ignored), packed with severity 0: the
 * loaders store it with the row, since it changes only when the row does.
 * mh_link_finish() adds what other rows decide (a shared token, a household
 * swap) and the severity of the insurer's table, at check time:
 * mh_link_finish(mh_link_own(f), f->shared, f->swap, ...) == mh_link_check(f, ...).
 */
extern uint64_t mh_link_own(const mh_link_facts *f);
extern uint64_t mh_link_finish(uint64_t own, bool shared, bool swap,
							   const int severity[MH_R_COUNT], const bool lowered[MH_R_COUNT]);

/* Parts of a packed result. */
#define MH_LINK_PACK_SEVERITY(p) ((int) (((p) >> 56) & 15))
extern int	mh_link_pack_level(uint64_t packed, int field);	/* 1 カナ, 2 漢字, 3 住所 */

#endif
