/*
 * rule_box.h: n-dimensional box algebra for the checks of decision tables,
 * in plain C.
 *
 * A dimension is one input column of a table: an ordered one (int or date,
 * values as int64, date as days) or a finite set (boolean, enum: up to 64
 * values as a bitmask).  A value set on a dimension is a union of half-open
 * intervals [lo, hi) or a bitmask, plus whether NULL belongs to it.  A box
 * gives one value set per dimension; a table row's cells make one box, and
 * the checks are:
 *
 *   overlap   two rows' boxes intersect (the witness is the intersection);
 *   gaps      the declared domain minus the union of the rows' boxes,
 *             returned as disjoint boxes;
 *   masking   a row's box minus the union of the boxes of the rows before it
 *             is empty.
 *
 * A cell the algebra cannot analyse (param(), day, another fact, sql:) makes
 * its dimension opaque for that row.  The checks stay sound: for overlaps an
 * opaque cell stands for its whole domain (a reported overlap may not be
 * real, an unreported one cannot exist), for gaps and masking it stands for
 * nothing (a reported gap may not be real, "no gap" is true).  Results that
 * depended on an opaque cell say so.
 *
 * Nothing here allocates: callers pass arrays and capacities, and a result
 * that does not fit is MH_BOX_TOO_MANY, never a truncated answer.
 */
#ifndef MYNAHOKEN_RULE_BOX_H
#define MYNAHOKEN_RULE_BOX_H

#include <stdbool.h>
#include <stdint.h>

#include "rule_cell.h"

#define MH_BOX_MAX_DIMS		16
#define MH_VS_MAX_IVS		12		/* intervals in one value set */
#define MH_VS_MAX_VALUES	64		/* values of a set dimension */

typedef enum MhBoxStatus
{
	MH_BOX_OK = 0,
	MH_BOX_TOO_MANY,			/* more boxes or intervals than the capacity */
	MH_BOX_BAD_DIMENSION,		/* a dimension or domain that is not valid */
	MH_BOX_BAD_CELL				/* a cell that does not fit its dimension */
} MhBoxStatus;

typedef enum MhDimKind
{
	MH_DIM_ORDERED,				/* int or date */
	MH_DIM_SET					/* boolean or enum */
} MhDimKind;

typedef struct MhValueSet
{
	bool		has_null;
	bool		overflow;		/* an intersection had more parts than room */
	uint8_t		n;				/* ordered: number of intervals */
	uint64_t	mask;			/* set: the values in it */
	int64_t		lo[MH_VS_MAX_IVS];	/* ordered: disjoint, sorted [lo, hi) */
	int64_t		hi[MH_VS_MAX_IVS];
} MhValueSet;

typedef struct MhBoxSpace
{
	int			ndims;
	MhDimKind	kind[MH_BOX_MAX_DIMS];
	MhValueSet	domain[MH_BOX_MAX_DIMS];	/* the values a member can have */
} MhBoxSpace;

typedef struct MhBox
{
	MhValueSet	v[MH_BOX_MAX_DIMS];
} MhBox;

/* A row's box, with the dimensions whose cell could not be analysed. */
typedef struct MhRowBox
{
	MhBox		box;
	uint32_t	opaque;			/* bit d: the cell of dimension d is opaque */
} MhRowBox;

/* Value sets. */
extern bool mh_vs_is_empty(MhDimKind kind, const MhValueSet *a);
extern bool mh_vs_intersect(MhDimKind kind, const MhValueSet *a,
							const MhValueSet *b, MhValueSet *out);
extern MhBoxStatus mh_vs_minus(MhDimKind kind, const MhValueSet *a,
							   const MhValueSet *b, MhValueSet *out);
extern bool mh_vs_subset(MhDimKind kind, const MhValueSet *a,
						 const MhValueSet *b);

/* An ordered domain [lo, hi) with or without NULL; a set domain of n values. */
extern void mh_vs_ordered(MhValueSet *vs, int64_t lo, int64_t hi, bool has_null);
extern void mh_vs_set(MhValueSet *vs, int nvalues, bool has_null);

/*
 * The value set a parsed cell stands for on a dimension, within its domain.
 * A cell that is not analysable sets *opaque and gives the whole domain.
 */
extern MhBoxStatus mh_cell_value_set(const MhCell *cell, MhDimKind kind,
									 const MhValueSet *domain, MhValueSet *out,
									 bool *opaque);

/*
 * A row's box from its cells (one per dimension; NULL stands for "-").
 */
extern MhBoxStatus mh_row_box(const MhBoxSpace *space, const MhCell *const *cells,
							  MhRowBox *out);

/* The box of a row as the checks use it: opaque cells widened or emptied. */
extern void mh_row_box_over(const MhBoxSpace *space, const MhRowBox *row, MhBox *out);
extern bool mh_row_box_under(const MhBoxSpace *space, const MhRowBox *row, MhBox *out);

extern bool mh_box_is_empty(const MhBoxSpace *space, const MhBox *a);
extern bool mh_box_intersect(const MhBoxSpace *space, const MhBox *a,
							 const MhBox *b, MhBox *out);

/*
 * a minus b as at most ndims disjoint boxes written to out[*n..cap).
 */
extern MhBoxStatus mh_box_minus(const MhBoxSpace *space, const MhBox *a,
								const MhBox *b, MhBox *out, int cap, int *n);

/*
 * Subtract b from every box of the list (in place, *n boxes, room for cap).
 */
extern MhBoxStatus mh_box_list_minus(const MhBoxSpace *space, MhBox *list,
									 int *n, int cap, const MhBox *b);

/*
 * Overlap of rows i and j: their widened boxes intersect.  *uncertain is set
 * when the overlap relies on an opaque cell.
 */
extern bool mh_rows_overlap(const MhBoxSpace *space, const MhRowBox *ri,
							const MhRowBox *rj, MhBox *witness, bool *uncertain);

/*
 * Gaps: the domain minus the union of the rows (opaque cells emptied), in
 * gaps[0..*n).  *uncertain: some row had an opaque cell, so a gap may be
 * covered after all.
 */
extern MhBoxStatus mh_rows_gaps(const MhBoxSpace *space, const MhRowBox *rows,
								int nrows, MhBox *gaps, int cap, int *n,
								bool *uncertain);

/*
 * Masking: row k (widened) minus the rows before it (emptied) is empty.
 * work is scratch room for cap boxes.  *uncertain as above.
 */
extern MhBoxStatus mh_row_masked(const MhBoxSpace *space, const MhRowBox *rows,
								 int k, MhBox *work, int cap, bool *masked,
								 bool *uncertain);

#endif
