/*
 * category.c: the labels of the insurer categories (see category.h).
 */
#include "category.h"

#define MH_CATEGORY_LABEL(name, label) label,
const char *const mh_category_names[MH_CAT_COUNT] = {
	MH_INSURER_CATEGORIES(MH_CATEGORY_LABEL)
};
