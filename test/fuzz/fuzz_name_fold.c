/*
 * libFuzzer target: the graded folds of the linkage checks (mh_link_fold).
 * The first byte picks the field and level, the rest is the value.  A fold
 * never fails on a value its level below accepted, returns valid UTF-8, is
 * idempotent, refines the level below (folding level k's output at level
 * k+1 gives level k+1), and a kana fold never drops or merges a character
 * or a long vowel mark (no fuzzy kana).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linkage.h"
#include "utf8.h"

static char out1[MH_LINK_OUT_MAX],
			out2[MH_LINK_OUT_MAX],
			out3[MH_LINK_OUT_MAX];

static void
check_utf8(const char *s, size_t n, size_t *ncp, size_t *nlong)
{
	size_t		i = 0;

	*ncp = 0;
	*nlong = 0;
	while (i < n)
	{
		uint32_t	cp;
		int			l = mh_utf8_decode((const unsigned char *) s + i, n - i, &cp);

		if (l == 0 || cp == 0)
			abort();
		if (cp == 0x30FC)
			(*nlong)++;
		(*ncp)++;
		i += l;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mh_link_field fields[] = {MH_LINK_KANA, MH_LINK_KANJI, MH_LINK_ADDRESS};
	static uint32_t from[8],
				to[8];
	mh_char_map map;
	mh_link_field field;
	int			level;
	const char *in;
	size_t		n,
				l1 = 0,
				l2 = 0,
				l3 = 0;
	mh_link_status st;

	if (size < 1)
		return 0;
	field = fields[data[0] % 3];
	level = (data[0] / 3) % mh_link_levels(field);
	in = (const char *) data + 1;
	n = size - 1;
	if (mh_link_map_build("髙﨑邊", strlen("髙﨑邊"), "高崎辺", strlen("高崎辺"),
						  from, to, 8, &map) != MH_LINK_OK)
		abort();

	st = mh_link_fold(field, level, in, n, &map, out1, sizeof(out1), &l1);
	if (st != MH_LINK_OK)
		return 0;
	{
		size_t		ncp,
					nlong;

		check_utf8(out1, l1, &ncp, &nlong);
	}
	if (level == 0)
	{
		if (l1 != n || memcmp(out1, in, n) != 0)
			abort();
		return 0;
	}
	/* idempotent */
	if (mh_link_fold(field, level, out1, l1, &map, out2, sizeof(out2), &l2) != MH_LINK_OK ||
		l2 != l1 || memcmp(out1, out2, l1) != 0)
		abort();
	/* level+1 refines level */
	if (level + 1 < mh_link_levels(field))
	{
		if (mh_link_fold(field, level + 1, in, n, &map, out2, sizeof(out2), &l2) != MH_LINK_OK ||
			mh_link_fold(field, level + 1, out1, l1, &map, out3, sizeof(out3), &l3) != MH_LINK_OK ||
			l2 != l3 || memcmp(out2, out3, l2) != 0)
			abort();
	}
	/* kana: only separators go; every other character, and every ー, stays */
	if (field == MH_LINK_KANA)
	{
		size_t		ncp_in,
					nlong_in,
					ncp_out,
					nlong_out;
		size_t		l0 = 0;

		/* the input without separators, as level 1 sees it */
		check_utf8(out1, l1, &ncp_out, &nlong_out);
		if (mh_link_fold(field, 0, in, n, NULL, out2, sizeof(out2), &l0) != MH_LINK_OK)
			abort();
		check_utf8(out2, l0, &ncp_in, &nlong_in);
		if (nlong_out != nlong_in || ncp_out > ncp_in)
			abort();
	}
	/* the review forms of カナ: valid UTF-8, idempotent, the given name inside the value */
	if (field == MH_LINK_KANA)
	{
		for (int form = MH_LINK_KANA_VOICING; form <= MH_LINK_KANA_LONG_VOWEL; form++)
		{
			size_t		ncp,
						nlong;

			if (mh_link_fold(field, form, in, n, &map, out2, sizeof(out2), &l2) != MH_LINK_OK)
				continue;
			check_utf8(out2, l2, &ncp, &nlong);
			if (mh_link_fold(field, form, out2, l2, &map, out3, sizeof(out3), &l3) != MH_LINK_OK ||
				l2 != l3 || memcmp(out2, out3, l2) != 0)
				abort();
		}
		{
			size_t		start,
						glen;

			if (mh_link_given_name(in, n, &start, &glen) && (start == 0 || start + glen != n))
				abort();
		}
	}
	return 0;
}
