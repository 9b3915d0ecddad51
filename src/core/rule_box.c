/*
 * rule_box.c: n-dimensional box algebra for the checks of decision tables.
 *
 * Ordered value sets are sorted lists of disjoint, non-adjacent half-open
 * intervals; set value sets are bitmasks.  Box subtraction splits a minus b
 * dimension by dimension into disjoint pieces (the classic construction), so
 * the gaps come back as disjoint boxes.  See rule_box.h for the soundness of
 * the checks with opaque cells.
 */
#include "rule_box.h"

#include <string.h>

/* Far enough from the int64 limits that lo - 1 and hi + 1 never overflow. */
#define ORD_MIN		(INT64_MIN / 4)
#define ORD_MAX		(INT64_MAX / 4)

void
mh_vs_ordered(MhValueSet *vs, int64_t lo, int64_t hi, bool has_null)
{
	memset(vs, 0, sizeof(*vs));
	vs->has_null = has_null;
	if (lo < ORD_MIN)
		lo = ORD_MIN;
	if (hi > ORD_MAX)
		hi = ORD_MAX;
	if (lo < hi)
	{
		vs->n = 1;
		vs->lo[0] = lo;
		vs->hi[0] = hi;
	}
}

void
mh_vs_set(MhValueSet *vs, int nvalues, bool has_null)
{
	memset(vs, 0, sizeof(*vs));
	vs->has_null = has_null;
	if (nvalues >= 64)
		vs->mask = ~(uint64_t) 0;
	else if (nvalues > 0)
		vs->mask = ((uint64_t) 1 << nvalues) - 1;
}

bool
mh_vs_is_empty(MhDimKind kind, const MhValueSet *a)
{
	if (a->has_null)
		return false;
	return kind == MH_DIM_SET ? a->mask == 0 : a->n == 0;
}

/* Add [lo, hi) to an ordered set, merging with what it touches. */
static MhBoxStatus
vs_add(MhValueSet *vs, int64_t lo, int64_t hi)
{
	int			i,
				j,
				k;
	int64_t		nlo = lo,
				nhi = hi;

	if (lo >= hi)
		return MH_BOX_OK;
	/* first interval that ends at or after lo (touching counts) */
	for (i = 0; i < vs->n && vs->hi[i] < lo; i++)
		;
	/* first interval that starts after hi */
	for (j = i; j < vs->n && vs->lo[j] <= hi; j++)
	{
		if (vs->lo[j] < nlo)
			nlo = vs->lo[j];
		if (vs->hi[j] > nhi)
			nhi = vs->hi[j];
	}
	/* intervals i..j-1 merge into one */
	if (i == j)
	{
		if (vs->n >= MH_VS_MAX_IVS)
			return MH_BOX_TOO_MANY;
		for (k = vs->n; k > i; k--)
		{
			vs->lo[k] = vs->lo[k - 1];
			vs->hi[k] = vs->hi[k - 1];
		}
		vs->n++;
	}
	else if (j - i > 1)
	{
		int			drop = j - i - 1;

		for (k = i + 1; k + drop < vs->n; k++)
		{
			vs->lo[k] = vs->lo[k + drop];
			vs->hi[k] = vs->hi[k + drop];
		}
		vs->n -= drop;
	}
	vs->lo[i] = nlo;
	vs->hi[i] = nhi;
	return MH_BOX_OK;
}

bool
mh_vs_intersect(MhDimKind kind, const MhValueSet *a, const MhValueSet *b,
				MhValueSet *out)
{
	MhValueSet	r;

	memset(&r, 0, sizeof(r));
	r.has_null = a->has_null && b->has_null;
	if (kind == MH_DIM_SET)
		r.mask = a->mask & b->mask;
	else
	{
		int			i = 0,
					j = 0;

		/* the intersection of two disjoint lists has at most n + m - 1 parts */
		while (i < a->n && j < b->n)
		{
			int64_t		lo = a->lo[i] > b->lo[j] ? a->lo[i] : b->lo[j];
			int64_t		hi = a->hi[i] < b->hi[j] ? a->hi[i] : b->hi[j];

			if (lo < hi && r.n >= MH_VS_MAX_IVS)
				r.overflow = true;	/* a subset: fine for a witness only */
			else if (lo < hi)
			{
				r.lo[r.n] = lo;
				r.hi[r.n] = hi;
				r.n++;
			}
			if (a->hi[i] < b->hi[j])
				i++;
			else
				j++;
		}
	}
	*out = r;
	return !mh_vs_is_empty(kind, &r);
}

MhBoxStatus
mh_vs_minus(MhDimKind kind, const MhValueSet *a, const MhValueSet *b,
			MhValueSet *out)
{
	MhValueSet	r;

	memset(&r, 0, sizeof(r));
	r.has_null = a->has_null && !b->has_null;
	if (kind == MH_DIM_SET)
		r.mask = a->mask & ~b->mask;
	else
	{
		int			j = 0;

		for (int i = 0; i < a->n; i++)
		{
			int64_t		cur = a->lo[i];
			int64_t		end = a->hi[i];

			while (j < b->n && b->hi[j] <= cur)
				j++;
			for (int k = j; k < b->n && b->lo[k] < end; k++)
			{
				if (b->lo[k] > cur)
				{
					if (r.n >= MH_VS_MAX_IVS)
						return MH_BOX_TOO_MANY;
					r.lo[r.n] = cur;
					r.hi[r.n] = b->lo[k];
					r.n++;
				}
				if (b->hi[k] > cur)
					cur = b->hi[k];
				if (cur >= end)
					break;
			}
			if (cur < end)
			{
				if (r.n >= MH_VS_MAX_IVS)
					return MH_BOX_TOO_MANY;
				r.lo[r.n] = cur;
				r.hi[r.n] = end;
				r.n++;
			}
		}
	}
	*out = r;
	return MH_BOX_OK;
}

bool
mh_vs_subset(MhDimKind kind, const MhValueSet *a, const MhValueSet *b)
{
	MhValueSet	d;

	if (mh_vs_minus(kind, a, b, &d) != MH_BOX_OK)
		return false;
	return mh_vs_is_empty(kind, &d);
}

/* The values of one constant item of an ordered cell, as [lo, hi). */
static void
item_interval(const MhCellItem *it, int64_t *lo, int64_t *hi)
{
	int64_t		v = it->a.value;

	*lo = ORD_MIN;
	*hi = ORD_MAX;
	switch (it->op)
	{
		case MH_OP_EQ:
			*lo = v;
			*hi = v + 1;
			break;
		case MH_OP_LT:
			*hi = v;
			break;
		case MH_OP_LE:
			*hi = v + 1;
			break;
		case MH_OP_GT:
			*lo = v + 1;
			break;
		case MH_OP_GE:
			*lo = v;
			break;
		case MH_OP_RANGE:
			*lo = it->lo_incl ? v : v + 1;
			*hi = it->hi_incl ? it->b.value + 1 : it->b.value;
			break;
	}
}

MhBoxStatus
mh_cell_value_set(const MhCell *cell, MhDimKind kind, const MhValueSet *domain,
				  MhValueSet *out, bool *opaque)
{
	MhValueSet	items;
	MhValueSet	nonnull = *domain;
	MhBoxStatus st;

	*opaque = false;
	nonnull.has_null = false;
	switch (cell->kind)
	{
		case MH_CK_ANY:
			*out = *domain;
			return MH_BOX_OK;
		case MH_CK_NULL:
			memset(out, 0, sizeof(*out));
			out->has_null = domain->has_null;
			return MH_BOX_OK;
		case MH_CK_NOT_NULL:
			*out = nonnull;
			return MH_BOX_OK;
		case MH_CK_SQL:
			*opaque = true;
			*out = *domain;
			return MH_BOX_OK;
		case MH_CK_TESTS:
			break;
	}
	if (!mh_cell_is_analysable(cell))
	{
		*opaque = true;
		*out = *domain;
		return MH_BOX_OK;
	}

	memset(&items, 0, sizeof(items));
	for (int i = 0; i < cell->nitems; i++)
	{
		const MhCellItem *it = &cell->items[i];

		if (kind == MH_DIM_SET)
		{
			if (it->op != MH_OP_EQ || it->a.kind != MH_OPND_CONST ||
				it->a.value < 0 || it->a.value >= MH_VS_MAX_VALUES)
				return MH_BOX_BAD_CELL;
			items.mask |= (uint64_t) 1 << it->a.value;
		}
		else
		{
			int64_t		lo,
						hi;

			if (it->a.kind != MH_OPND_CONST ||
				(it->op == MH_OP_RANGE && it->b.kind != MH_OPND_CONST))
				return MH_BOX_BAD_CELL;
			item_interval(it, &lo, &hi);
			if ((st = vs_add(&items, lo, hi)) != MH_BOX_OK)
				return st;
		}
	}
	if (cell->negated)
		return mh_vs_minus(kind, &nonnull, &items, out);
	mh_vs_intersect(kind, &items, &nonnull, out);
	return out->overflow ? MH_BOX_TOO_MANY : MH_BOX_OK;
}

MhBoxStatus
mh_row_box(const MhBoxSpace *space, const MhCell *const *cells, MhRowBox *out)
{
	if (space->ndims < 0 || space->ndims > MH_BOX_MAX_DIMS)
		return MH_BOX_BAD_DIMENSION;
	memset(out, 0, sizeof(*out));
	for (int d = 0; d < space->ndims; d++)
	{
		bool		opaque = false;
		MhBoxStatus st;

		if (cells[d] == NULL)
			out->box.v[d] = space->domain[d];
		else if ((st = mh_cell_value_set(cells[d], space->kind[d], &space->domain[d],
										 &out->box.v[d], &opaque)) != MH_BOX_OK)
			return st;
		if (opaque)
			out->opaque |= (uint32_t) 1 << d;
	}
	return MH_BOX_OK;
}

void
mh_row_box_over(const MhBoxSpace *space, const MhRowBox *row, MhBox *out)
{
	*out = row->box;
	for (int d = 0; d < space->ndims; d++)
		if (row->opaque & ((uint32_t) 1 << d))
			out->v[d] = space->domain[d];
}

bool
mh_row_box_under(const MhBoxSpace *space, const MhRowBox *row, MhBox *out)
{
	*out = row->box;
	for (int d = 0; d < space->ndims; d++)
		if (row->opaque & ((uint32_t) 1 << d))
		{
			memset(&out->v[d], 0, sizeof(out->v[d]));
			return false;
		}
	return !mh_box_is_empty(space, out);
}

bool
mh_box_is_empty(const MhBoxSpace *space, const MhBox *a)
{
	for (int d = 0; d < space->ndims; d++)
		if (mh_vs_is_empty(space->kind[d], &a->v[d]))
			return true;
	return false;
}

bool
mh_box_intersect(const MhBoxSpace *space, const MhBox *a, const MhBox *b,
				 MhBox *out)
{
	bool		nonempty = true;

	for (int d = 0; d < space->ndims; d++)
		if (!mh_vs_intersect(space->kind[d], &a->v[d], &b->v[d], &out->v[d]))
			nonempty = false;
	return nonempty;
}

MhBoxStatus
mh_box_minus(const MhBoxSpace *space, const MhBox *a, const MhBox *b,
			 MhBox *out, int cap, int *n)
{
	MhBox		cur = *a;

	if (mh_box_is_empty(space, a))
		return MH_BOX_OK;
	for (int d = 0; d < space->ndims; d++)
	{
		MhValueSet	diff;
		MhBoxStatus st;

		st = mh_vs_minus(space->kind[d], &cur.v[d], &b->v[d], &diff);
		if (st != MH_BOX_OK)
			return st;
		if (!mh_vs_is_empty(space->kind[d], &diff))
		{
			if (*n >= cap)
				return MH_BOX_TOO_MANY;
			out[*n] = cur;
			out[*n].v[d] = diff;
			(*n)++;
		}
		if (!mh_vs_intersect(space->kind[d], &cur.v[d], &b->v[d], &cur.v[d]))
			return MH_BOX_OK;	/* b misses what is left: all of it was emitted */
		if (cur.v[d].overflow)
			return MH_BOX_TOO_MANY;
	}
	return MH_BOX_OK;
}

MhBoxStatus
mh_box_list_minus(const MhBoxSpace *space, MhBox *list, int *n, int cap,
				  const MhBox *b)
{
	MhBox		pieces[MH_BOX_MAX_DIMS];
	int			orig = *n;
	int			total = *n;
	int			k;

	for (int i = 0; i < orig; i++)
	{
		MhBox		x;
		int			np = 0;
		MhBoxStatus st;

		if (!mh_box_intersect(space, &list[i], b, &x))
			continue;
		st = mh_box_minus(space, &list[i], b, pieces, MH_BOX_MAX_DIMS, &np);
		if (st != MH_BOX_OK)
			return st;
		if (np == 0)
		{
			memset(&list[i], 0, sizeof(list[i]));	/* removed below */
			continue;
		}
		list[i] = pieces[0];
		for (int p = 1; p < np; p++)
		{
			if (total >= cap)
				return MH_BOX_TOO_MANY;
			list[total++] = pieces[p];
		}
	}
	for (int i = k = 0; i < total; i++)
		if (!mh_box_is_empty(space, &list[i]))
		{
			if (k != i)
				list[k] = list[i];
			k++;
		}
	*n = k;
	return MH_BOX_OK;
}

bool
mh_rows_overlap(const MhBoxSpace *space, const MhRowBox *ri,
				const MhRowBox *rj, MhBox *witness, bool *uncertain)
{
	MhBox		a,
				b;

	mh_row_box_over(space, ri, &a);
	mh_row_box_over(space, rj, &b);
	*uncertain = (ri->opaque | rj->opaque) != 0;
	return mh_box_intersect(space, &a, &b, witness);
}

MhBoxStatus
mh_rows_gaps(const MhBoxSpace *space, const MhRowBox *rows, int nrows,
			 MhBox *gaps, int cap, int *n, bool *uncertain)
{
	*uncertain = false;
	*n = 0;
	if (cap < 1)
		return MH_BOX_TOO_MANY;
	for (int d = 0; d < space->ndims; d++)
		gaps[0].v[d] = space->domain[d];
	*n = mh_box_is_empty(space, &gaps[0]) ? 0 : 1;
	for (int r = 0; r < nrows && *n > 0; r++)
	{
		MhBox		u;
		MhBoxStatus st;

		if (rows[r].opaque)
			*uncertain = true;
		if (!mh_row_box_under(space, &rows[r], &u))
			continue;
		if ((st = mh_box_list_minus(space, gaps, n, cap, &u)) != MH_BOX_OK)
			return st;
	}
	return MH_BOX_OK;
}

MhBoxStatus
mh_row_masked(const MhBoxSpace *space, const MhRowBox *rows, int k,
			  MhBox *work, int cap, bool *masked, bool *uncertain)
{
	int			n;

	*masked = false;
	*uncertain = rows[k].opaque != 0;
	if (cap < 1)
		return MH_BOX_TOO_MANY;
	mh_row_box_over(space, &rows[k], &work[0]);
	n = mh_box_is_empty(space, &work[0]) ? 0 : 1;
	for (int j = 0; j < k && n > 0; j++)
	{
		MhBox		u;
		MhBoxStatus st;

		if (rows[j].opaque)
			*uncertain = true;
		if (!mh_row_box_under(space, &rows[j], &u))
			continue;
		if ((st = mh_box_list_minus(space, work, &n, cap, &u)) != MH_BOX_OK)
			return st;
	}
	*masked = n == 0;
	return MH_BOX_OK;
}
