/*
 * category.h: the insurer categories (保険者種別), listed once.
 *
 * The order is that of the SQL enum mynahoken.insurer_category
 * (sql/install/00_common.sql); the fmgr layer checks the enum against this
 * list when it reads the enum's values (src/catalog.c), so a label added on
 * one side only is an error, never a shifted category.
 */
#ifndef MYNAHOKEN_CORE_CATEGORY_H
#define MYNAHOKEN_CORE_CATEGORY_H

/* X(enumerator suffix, SQL enum label), in the SQL enum's order */
#define MH_INSURER_CATEGORIES(X) \
	X(KYOKAI_KENPO, "kyokai_kenpo")		/* 協会けんぽ, 法別 01 */ \
	X(SEAMEN, "seamen")					/* 船員保険, 02 */ \
	X(DAY_LABORER, "day_laborer")		/* 日雇特例被保険者, 03 / 04 */ \
	X(HEALTH_SOCIETY, "health_society")	/* 健保組合, 06 */ \
	X(SELF_DEFENSE, "self_defense")		/* 自衛官等, 07 */ \
	X(MUTUAL_AID, "mutual_aid")			/* 共済組合, 31-34 */ \
	X(LATE_ELDERLY, "late_elderly")		/* 後期高齢者医療, 39 */ \
	X(SPECIAL_RETIREE, "special_retiree")	/* 特例退職被保険者, 63 / 72-75 */ \
	X(RETIREE_NHI, "retiree_nhi")		/* 退職者医療, 67 */ \
	X(MUNICIPAL_NHI, "municipal_nhi")	/* 市町村国保 */ \
	X(NHI_SOCIETY, "nhi_society")		/* 国保組合 */

#define MH_CATEGORY_ENUMERATOR(name, label) MH_CAT_##name,
typedef enum MhCategory
{
	MH_INSURER_CATEGORIES(MH_CATEGORY_ENUMERATOR)
	MH_CAT_COUNT
} MhCategory;
#undef MH_CATEGORY_ENUMERATOR

/* The SQL enum labels, indexed by MhCategory (src/core/category.c). */
extern const char *const mh_category_names[MH_CAT_COUNT];

#endif
