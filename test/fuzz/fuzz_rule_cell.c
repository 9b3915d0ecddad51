/*
 * libFuzzer target: mh_cell_parse against every fact type, and the value set
 * the box algebra makes of an accepted cell.  Spans stay inside the input,
 * value sets are sorted and disjoint, and membership of sample values in the
 * value set agrees with evaluating the cell's items directly.
 */
#include <stdlib.h>
#include <string.h>

#include "rule_box.h"
#include "rule_cell.h"

int			LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const values[] = {"a", "b", "late_elderly", "要配慮"};

/* Direct evaluation of an analysable ordered cell on v (not NULL). */
static bool
eval_ordered(const MhCell *c, int64_t v)
{
	bool		any = false;

	for (int i = 0; i < c->nitems; i++)
	{
		const MhCellItem *it = &c->items[i];
		int64_t		a = it->a.value;
		bool		m = false;

		switch (it->op)
		{
			case MH_OP_EQ: m = v == a; break;
			case MH_OP_LT: m = v < a; break;
			case MH_OP_LE: m = v <= a; break;
			case MH_OP_GT: m = v > a; break;
			case MH_OP_GE: m = v >= a; break;
			case MH_OP_RANGE:
				m = (it->lo_incl ? v >= a : v > a) &&
					(it->hi_incl ? v <= it->b.value : v < it->b.value);
				break;
		}
		any = any || m;
	}
	return c->negated ? !any : any;
}

static void
check_operand(const MhOperand *op, size_t size)
{
	if (op->kind != MH_OPND_CONST && op->kind != MH_OPND_DAY &&
		(size_t) op->start + op->len > size)
		abort();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	for (int t = 0; t < MH_FT_COUNT; t++)
	{
		MhFactTypeInfo type = {(MhFactType) t, values, 4};
		MhCell		cell;
		size_t		pos;
		MhCellStatus st = mh_cell_parse((const char *) data, size, &type, &cell, &pos);
		MhValueSet	dom,
					vs;
		bool		opaque;
		MhDimKind	kind = (t == MH_FT_INT || t == MH_FT_DATE) ? MH_DIM_ORDERED : MH_DIM_SET;

		if (st != MH_CELL_OK)
		{
			if (pos > size || st >= MH_CELL_STATUS_COUNT)
				abort();
			continue;
		}
		if (cell.nitems < 0 || cell.nitems > MH_CELL_MAX_ITEMS)
			abort();
		if (cell.kind == MH_CK_SQL && (size_t) cell.sql_start + cell.sql_len > size)
			abort();
		for (int i = 0; i < cell.nitems; i++)
		{
			check_operand(&cell.items[i].a, size);
			if (cell.items[i].op == MH_OP_RANGE)
				check_operand(&cell.items[i].b, size);
		}
		if (t == MH_FT_TEXT)
			continue;			/* text sets get their domain from the rows */
		if (kind == MH_DIM_ORDERED)
			mh_vs_ordered(&dom, -200000, 200000, true);
		else
			mh_vs_set(&dom, t == MH_FT_BOOL ? 2 : 4, true);
		if (mh_cell_value_set(&cell, kind, &dom, &vs, &opaque) != MH_BOX_OK)
			continue;
		if (opaque != !mh_cell_is_analysable(&cell) &&
			(cell.kind == MH_CK_TESTS || cell.kind == MH_CK_SQL))
			abort();
		if (kind == MH_DIM_ORDERED)
		{
			for (int i = 0; i < vs.n; i++)
				if (vs.lo[i] >= vs.hi[i] || (i > 0 && vs.lo[i] <= vs.hi[i - 1]))
					abort();
			if (cell.kind == MH_CK_TESTS && !opaque)
			{
				static const int64_t probes[] = {-200001, -200000, -1, 0, 1, 69, 70, 74,
				75, 85, 9496, 9497, 199999, 200000};

				for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++)
				{
					int64_t		v = probes[k];
					bool		in = false;

					for (int i = 0; i < vs.n; i++)
						in = in || (vs.lo[i] <= v && v < vs.hi[i]);
					if (v >= -200000 && v < 200000 && in != eval_ordered(&cell, v))
						abort();
					if ((v < -200000 || v >= 200000) && in)
						abort();
				}
				if (vs.has_null)
					abort();
			}
		}
	}
	return 0;
}
