/*
 * rules.c: fmgr wrappers of the rule engine's pure core.
 *
 * rule_cell_parse and rule_cell_problem expose the cell parser
 * (src/core/rule_cell.c): the parsed cell as jsonb, the form the compiler
 * (PL/pgSQL in sql/install/60_rules.sql) generates SQL from, and a problem
 * text for the checks.  rule_check_boxes runs the box algebra
 * (src/core/rule_box.c) over the cells of one table version: overlaps, gaps
 * and masked rows, each with a witness written in the cell language.
 *
 * Cell text is analyst data, not personal data: errors quote it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "mynahoken.h"
#include "rule_box.h"
#include "rule_cell.h"
#include "rule_date.h"
#include "rules.h"
#include "transition.h"

/* Room for the gaps of one table and the scratch of the masking check. */
#define RULE_MAX_BOXES	4096
#define RULE_MAX_ROWS	2000

/* The declared values of an enum or text fact, from a text[] (NULLs skipped). */
static void
values_from_array(ArrayType *arr, MhFactTypeInfo *info)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	const char **vals;
	int			k = 0;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	vals = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			vals[k++] = TextDatumGetCString(elems[i]);
	info->values = vals;
	info->nvalues = k;
}

/*
 * The fact type by name, with its values for an enum (values_later: the
 * caller fills an enum's values itself and checks them).
 */
static void
type_info(text *type_name, ArrayType *values, MhFactTypeInfo *info, bool values_later)
{
	char	   *name = text_to_cstring(type_name);
	int			t = mh_fact_type_from_name(name, strlen(name));

	memset(info, 0, sizeof(*info));
	if (t < 0)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown fact type"),
				 errhint("The fact types are int, date, boolean, enum and text.")));
	info->type = (MhFactType) t;
	if (values != NULL)
		values_from_array(values, info);
	if (info->type == MH_FT_ENUM && info->nvalues == 0 && !values_later)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an enum fact needs its list of values")));
}

/* A status text starting with a capital, for errdetail. */
static char *
sentence(const char *text)
{
	char	   *s = pstrdup(text);

	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = s[0] - 'a' + 'A';
	return s;
}

/* 1-based character position of a byte offset, for messages. */
static int
char_position(const char *s, size_t byteoff)
{
	return pg_mbstrlen_with_len(s, (int) byteoff) + 1;
}

static void
append_day(StringInfo buf, int64 day)
{
	int			y,
				m,
				d;

	mh_ymd_from_day((mh_day) day, &y, &m, &d);
	appendStringInfo(buf, "%04d-%02d-%02d", y, m, d);
}

/* A span of the cell text as a JSON string (text values: quotes undone). */
static void
append_span_json(StringInfo buf, const char *text, const MhOperand *op)
{
	char	   *v = palloc(op->len + 1);

	if (mh_cell_text_value(text, op, v, op->len + 1) < 0)
		mh_elog(ERROR, "cell value does not fit");
	escape_json(buf, v);
	pfree(v);
}

static void
append_operand_json(StringInfo buf, const char *text, const MhFactTypeInfo *info,
					const MhOperand *op)
{
	switch (op->kind)
	{
		case MH_OPND_CONST:
			if (info->type == MH_FT_INT)
				appendStringInfo(buf, "{\"int\": " INT64_FORMAT "}", op->value);
			else if (info->type == MH_FT_DATE)
			{
				appendStringInfoString(buf, "{\"date\": \"");
				append_day(buf, op->value);
				appendStringInfoString(buf, "\"}");
			}
			else if (info->type == MH_FT_BOOL)
				appendStringInfo(buf, "{\"bool\": %s}", op->value ? "true" : "false");
			else
			{
				appendStringInfoString(buf, "{\"text\": ");
				escape_json(buf, info->values[op->value]);
				appendStringInfoChar(buf, '}');
			}
			break;
		case MH_OPND_TEXT:
			appendStringInfoString(buf, "{\"text\": ");
			append_span_json(buf, text, op);
			appendStringInfoChar(buf, '}');
			break;
		case MH_OPND_PARAM:
			appendStringInfoString(buf, "{\"param\": ");
			append_span_json(buf, text, op);
			appendStringInfoChar(buf, '}');
			break;
		case MH_OPND_DAY:
			appendStringInfoString(buf, "{\"day\": true}");
			break;
		case MH_OPND_FACT:
			appendStringInfoString(buf, "{\"fact\": ");
			append_span_json(buf, text, op);
			appendStringInfoChar(buf, '}');
			break;
	}
}

static const char *const op_names[] = {"=", "<", "<=", ">", ">=", "range"};
static const char *const kind_names[] = {"any", "null", "not_null", "tests", "sql"};

/* Names of the operands of one kind (params or facts), as a JSON array. */
static void
append_names_json(StringInfo buf, const char *text, const MhCell *cell,
				  MhOperandKind kind)
{
	bool		first = true;

	appendStringInfoChar(buf, '[');
	for (int i = 0; i < cell->nitems; i++)
	{
		const MhOperand *ops[2] = {&cell->items[i].a, &cell->items[i].b};

		for (int k = 0; k < (cell->items[i].op == MH_OP_RANGE ? 2 : 1); k++)
			if (ops[k]->kind == kind)
			{
				if (!first)
					appendStringInfoString(buf, ", ");
				append_span_json(buf, text, ops[k]);
				first = false;
			}
	}
	appendStringInfoChar(buf, ']');
}

static Datum
cell_jsonb(const char *text, const MhFactTypeInfo *info, const MhCell *cell)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\": \"%s\", \"type\": \"%s\"",
					 kind_names[cell->kind], mh_fact_type_name(info->type));
	if (cell->kind == MH_CK_SQL)
	{
		char	   *sql = pnstrdup(text + cell->sql_start, cell->sql_len);

		appendStringInfoString(&buf, ", \"sql\": ");
		escape_json(&buf, sql);
	}
	if (cell->kind == MH_CK_TESTS)
	{
		appendStringInfo(&buf, ", \"negated\": %s, \"items\": [",
						 cell->negated ? "true" : "false");
		for (int i = 0; i < cell->nitems; i++)
		{
			const MhCellItem *it = &cell->items[i];

			if (i > 0)
				appendStringInfoString(&buf, ", ");
			appendStringInfo(&buf, "{\"op\": \"%s\", ", op_names[it->op]);
			if (it->op == MH_OP_RANGE)
			{
				appendStringInfoString(&buf, "\"lo\": ");
				append_operand_json(&buf, text, info, &it->a);
				appendStringInfoString(&buf, ", \"hi\": ");
				append_operand_json(&buf, text, info, &it->b);
				appendStringInfo(&buf, ", \"lo_incl\": %s, \"hi_incl\": %s}",
								 it->lo_incl ? "true" : "false",
								 it->hi_incl ? "true" : "false");
			}
			else
			{
				appendStringInfoString(&buf, "\"value\": ");
				append_operand_json(&buf, text, info, &it->a);
				appendStringInfoChar(&buf, '}');
			}
		}
		appendStringInfoString(&buf, "], \"params\": ");
		append_names_json(&buf, text, cell, MH_OPND_PARAM);
		appendStringInfoString(&buf, ", \"facts\": ");
		append_names_json(&buf, text, cell, MH_OPND_FACT);
		appendStringInfo(&buf, ", \"uses_day\": %s", cell->uses_day ? "true" : "false");
	}
	appendStringInfo(&buf, ", \"analysable\": %s}",
					 (cell->kind != MH_CK_SQL && mh_cell_is_analysable(cell)) ? "true" : "false");
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* Parse, or return the status; the cell text is NUL-terminated. */
static MhCellStatus
parse_cell(const char *s, const MhFactTypeInfo *info, MhCell *cell, size_t *pos)
{
	return mh_cell_parse(s, strlen(s), info, cell, pos);
}

PG_FUNCTION_INFO_V1(mynahoken_rule_cell_parse);
Datum
mynahoken_rule_cell_parse(PG_FUNCTION_ARGS)
{
	char	   *s;
	MhFactTypeInfo info;
	MhCell		cell;
	size_t		pos;
	MhCellStatus st;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	s = text_to_cstring(PG_GETARG_TEXT_PP(0));
	type_info(PG_GETARG_TEXT_PP(1), PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), &info, false);
	st = parse_cell(s, &info, &cell, &pos);
	if (st != MH_CELL_OK)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid cell for a fact of type %s",
						mh_fact_type_name(info.type)),
				 errdetail("%s at character %d.", sentence(mh_gettext(mh_cell_status_text(st))),
						   char_position(s, pos))));
	PG_RETURN_DATUM(cell_jsonb(s, &info, &cell));
}

PG_FUNCTION_INFO_V1(mynahoken_rule_cell_problem);
Datum
mynahoken_rule_cell_problem(PG_FUNCTION_ARGS)
{
	char	   *s;
	MhFactTypeInfo info;
	MhCell		cell;
	size_t		pos;
	MhCellStatus st;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	s = text_to_cstring(PG_GETARG_TEXT_PP(0));
	type_info(PG_GETARG_TEXT_PP(1), PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), &info, false);
	st = parse_cell(s, &info, &cell, &pos);
	if (st == MH_CELL_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s at character %d",
											  mh_cell_status_text(st),
											  char_position(s, pos))));
}

/* ------------------------------------------------------------------------
 * Box checks
 */

typedef struct Column
{
	char	   *name;
	MhFactTypeInfo info;
	MhDimKind	kind;
	int64		lo;
	int64		hi;
	bool		other;			/* text: the last value stands for all others */
} Column;

static const char *const other_value = "\x01other";

static void
append_ordered_value(StringInfo buf, const Column *c, int64 v)
{
	if (c->info.type == MH_FT_DATE)
		append_day(buf, v);
	else
		appendStringInfo(buf, INT64_FORMAT, v);
}

/* A value set in the cell language ("[80..84]", "a, b", "null"). */
static void
append_value_set(StringInfo buf, const Column *c, const MhValueSet *vs)
{
	bool		first = true;

	if (c->kind == MH_DIM_ORDERED)
	{
		for (int i = 0; i < vs->n; i++)
		{
			if (!first)
				appendStringInfoString(buf, ", ");
			first = false;
			if (vs->hi[i] - vs->lo[i] == 1)
				append_ordered_value(buf, c, vs->lo[i]);
			else if (vs->lo[i] <= c->lo && vs->hi[i] >= c->hi)
				appendStringInfoString(buf, "not null");
			else if (vs->lo[i] <= c->lo)
			{
				appendStringInfoString(buf, "< ");
				append_ordered_value(buf, c, vs->hi[i]);
			}
			else if (vs->hi[i] >= c->hi)
			{
				appendStringInfoString(buf, ">= ");
				append_ordered_value(buf, c, vs->lo[i]);
			}
			else
			{
				appendStringInfoChar(buf, '[');
				append_ordered_value(buf, c, vs->lo[i]);
				appendStringInfoString(buf, "..");
				append_ordered_value(buf, c, vs->hi[i] - 1);
				appendStringInfoChar(buf, ']');
			}
		}
	}
	else
	{
		for (int i = 0; i < c->info.nvalues; i++)
			if (vs->mask & ((uint64) 1 << i))
			{
				if (!first)
					appendStringInfoString(buf, ", ");
				first = false;
				if (c->other && i == c->info.nvalues - 1)
					appendStringInfoString(buf, "(any other value)");
				else if (c->info.type == MH_FT_BOOL)
					appendStringInfoString(buf, c->info.values[i]);
				else
					appendStringInfoString(buf, c->info.values[i]);
			}
	}
	if (vs->has_null)
		appendStringInfoString(buf, first ? "null" : ", null");
}

/* "age_on(day): [80..84]; care_needs: true": the dimensions a box limits. */
static char *
box_text(const MhBoxSpace *space, const Column *cols, const MhBox *b)
{
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	for (int d = 0; d < space->ndims; d++)
	{
		if (mh_vs_subset(space->kind[d], &space->domain[d], &b->v[d]))
			continue;			/* the whole domain: not a condition */
		if (!first)
			appendStringInfoString(&buf, "; ");
		first = false;
		appendStringInfo(&buf, "%s: ", cols[d].name);
		append_value_set(&buf, &cols[d], &b->v[d]);
	}
	if (first)
		appendStringInfoString(&buf, "any member");
	return buf.data;
}

static const char *const bool_values[] = {"false", "true"};

/* Text columns: the distinct values written in the cells, and "any other". */
static void
collect_text_values(Column *c, int col, int ncols, int nrows, char **cells,
					int *row_nos)
{
	const char **vals = palloc(sizeof(char *) * MH_VS_MAX_VALUES);
	int			n = 0;
	MhFactTypeInfo t = {MH_FT_TEXT, NULL, 0};

	for (int r = 0; r < nrows; r++)
	{
		char	   *s = cells[r * ncols + col];
		MhCell		cell;
		size_t		pos;

		CHECK_FOR_INTERRUPTS();

		if (s == NULL || parse_cell(s, &t, &cell, &pos) != MH_CELL_OK)
			continue;
		for (int i = 0; i < cell.nitems; i++)
		{
			char	   *v;
			bool		seen = false;

			if (cell.items[i].a.kind != MH_OPND_TEXT)
				continue;
			v = palloc(cell.items[i].a.len + 1);
			mh_cell_text_value(s, &cell.items[i].a, v, cell.items[i].a.len + 1);
			for (int k = 0; k < n; k++)
				seen = seen || strcmp(vals[k], v) == 0;
			if (seen)
				continue;
			if (n >= MH_VS_MAX_VALUES - 1)
				mh_sensitive_ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("column \"%s\" names more than %d distinct values",
								c->name, MH_VS_MAX_VALUES - 1),
						 errdetail("Row %d.", row_nos[r])));
			vals[n++] = v;
		}
	}
	vals[n++] = other_value;
	c->info.type = MH_FT_ENUM;
	c->info.values = vals;
	c->info.nvalues = n;
	c->other = true;
}

/* An element of a 1-D array argument, NULL allowed. */
static Datum *
array_elems(ArrayType *arr, Oid type, int typlen, bool byval, char align,
			bool **nulls, int *n)
{
	Datum	   *e;

	deconstruct_array(arr, type, typlen, byval, align, &e, nulls, n);
	return e;
}

PG_FUNCTION_INFO_V1(mynahoken_rule_check_boxes);
Datum
mynahoken_rule_check_boxes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *a_names = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *a_types = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *a_nullable = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *a_lo = PG_GETARG_ARRAYTYPE_P(3);
	ArrayType  *a_hi = PG_GETARG_ARRAYTYPE_P(4);
	ArrayType  *a_values = PG_GETARG_ARRAYTYPE_P(5);
	ArrayType  *a_rows = PG_GETARG_ARRAYTYPE_P(6);
	ArrayType  *a_cells = PG_GETARG_ARRAYTYPE_P(7);
	ArrayType  *a_checks = PG_GETARG_ARRAYTYPE_P(8);
	Datum	   *names,
			   *types,
			   *nullable,
			   *lo,
			   *hi,
			   *vals,
			   *rowsd,
			   *cellsd,
			   *checksd;
	bool	   *nnames,
			   *ntypes,
			   *nnullable,
			   *nlo,
			   *nhi,
			   *nvals,
			   *nrowsd,
			   *ncells,
			   *nchecks;
	int			ncols,
				n,
				nrows,
				nvalcells,
				ncellsd,
				nchecks_n;
	int			maxvals = 0;
	Column	   *cols;
	MhBoxSpace	space;
	int		   *row_nos;
	char	  **cells;
	MhRowBox   *rboxes;
	bool		do_overlap = false,
				do_gaps = false,
				do_masked = false;
	MhBox	   *work;

	InitMaterializedSRF(fcinfo, 0);

	names = array_elems(a_names, TEXTOID, -1, false, TYPALIGN_INT, &nnames, &ncols);
	types = array_elems(a_types, TEXTOID, -1, false, TYPALIGN_INT, &ntypes, &n);
	if (n != ncols)
		goto bad_arrays;
	nullable = array_elems(a_nullable, BOOLOID, 1, true, TYPALIGN_CHAR, &nnullable, &n);
	if (n != ncols)
		goto bad_arrays;
	lo = array_elems(a_lo, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &nlo, &n);
	if (n != ncols)
		goto bad_arrays;
	hi = array_elems(a_hi, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &nhi, &n);
	if (n != ncols)
		goto bad_arrays;
	vals = array_elems(a_values, TEXTOID, -1, false, TYPALIGN_INT, &nvals, &nvalcells);
	if (ARR_NDIM(a_values) == 2)
	{
		if (ARR_DIMS(a_values)[0] != ncols)
			goto bad_arrays;
		maxvals = ARR_DIMS(a_values)[1];
	}
	else if (nvalcells != 0)
		goto bad_arrays;
	rowsd = array_elems(a_rows, INT4OID, 4, true, TYPALIGN_INT, &nrowsd, &nrows);
	cellsd = array_elems(a_cells, TEXTOID, -1, false, TYPALIGN_INT, &ncells, &ncellsd);
	if (ncellsd != nrows * ncols ||
		(ncellsd > 0 && (ARR_NDIM(a_cells) != 2 || ARR_DIMS(a_cells)[1] != ncols)))
		goto bad_arrays;
	checksd = array_elems(a_checks, TEXTOID, -1, false, TYPALIGN_INT, &nchecks, &nchecks_n);
	if (ncols > MH_BOX_MAX_DIMS)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a decision table can have at most %d input columns", MH_BOX_MAX_DIMS)));
	if (nrows > RULE_MAX_ROWS)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a decision table can have at most %d rows", RULE_MAX_ROWS)));
	for (int i = 0; i < nchecks_n; i++)
	{
		char	   *c;

		if (nchecks[i])
			continue;
		c = TextDatumGetCString(checksd[i]);
		if (strcmp(c, "overlap") == 0)
			do_overlap = true;
		else if (strcmp(c, "gap") == 0)
			do_gaps = true;
		else if (strcmp(c, "masked") == 0)
			do_masked = true;
		else
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown check"),
					 errhint("The box checks are overlap, gap and masked.")));
	}

	row_nos = palloc(sizeof(int) * (nrows + 1));
	for (int r = 0; r < nrows; r++)
		row_nos[r] = nrowsd[r] ? r + 1 : DatumGetInt32(rowsd[r]);
	cells = palloc(sizeof(char *) * (ncellsd + 1));
	for (int i = 0; i < ncellsd; i++)
		cells[i] = ncells[i] ? NULL : TextDatumGetCString(cellsd[i]);

	/* the space: one dimension per column */
	cols = palloc0(sizeof(Column) * (ncols + 1));
	memset(&space, 0, sizeof(space));
	space.ndims = ncols;
	for (int c = 0; c < ncols; c++)
	{
		Column	   *col = &cols[c];
		bool		isnull = nnullable[c] ? true : DatumGetBool(nullable[c]);

		if (nnames[c] || ntypes[c])
			goto bad_arrays;
		col->name = TextDatumGetCString(names[c]);
		/* an enum's values are the column's row of vals, below */
		type_info(DatumGetTextPP(types[c]), NULL, &col->info, true);
		if (col->info.type == MH_FT_ENUM)
		{
			const char **v = palloc(sizeof(char *) * (maxvals + 1));
			int			k = 0;

			for (int i = 0; i < maxvals; i++)
				if (!nvals[c * maxvals + i])
					v[k++] = TextDatumGetCString(vals[c * maxvals + i]);
			if (k == 0 || k > MH_VS_MAX_VALUES)
				mh_sensitive_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("enum column \"%s\" needs between 1 and %d values",
								col->name, MH_VS_MAX_VALUES)));
			col->info.values = v;
			col->info.nvalues = k;
		}
		else if (col->info.type == MH_FT_BOOL)
		{
			col->info.values = bool_values;
			col->info.nvalues = 2;
		}
		else if (col->info.type == MH_FT_TEXT)
			collect_text_values(col, c, ncols, nrows, cells, row_nos);

		if (col->info.type == MH_FT_INT || col->info.type == MH_FT_DATE)
		{
			col->kind = MH_DIM_ORDERED;
			col->lo = nlo[c] ? (col->info.type == MH_FT_INT ? INT32_MIN : mh_day_from_ymd(1, 1, 1))
				: DatumGetInt64(lo[c]);
			col->hi = nhi[c] ? (col->info.type == MH_FT_INT ? (int64) INT32_MAX + 1 : mh_day_from_ymd(9999, 12, 31) + 1)
				: DatumGetInt64(hi[c]);
			mh_vs_ordered(&space.domain[c], col->lo, col->hi, isnull);
		}
		else
		{
			col->kind = MH_DIM_SET;
			mh_vs_set(&space.domain[c], col->info.nvalues, isnull);
		}
		space.kind[c] = col->kind;
	}

	/* the rows' boxes; a bad cell names its row, column and text */
	rboxes = palloc(sizeof(MhRowBox) * (nrows + 1));
	for (int r = 0; r < nrows; r++)
	{
		MhCell	   *pc = palloc(sizeof(MhCell) * MH_BOX_MAX_DIMS);
		const MhCell *cp[MH_BOX_MAX_DIMS];
		MhBoxStatus bst;

		CHECK_FOR_INTERRUPTS();

		for (int c = 0; c < ncols; c++)
		{
			char	   *s = cells[r * ncols + c];
			size_t		pos;
			MhCellStatus st;

			if (s == NULL)
			{
				cp[c] = NULL;
				continue;
			}
			st = parse_cell(s, &cols[c].info, &pc[c], &pos);
			if (st != MH_CELL_OK)
				mh_sensitive_ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid cell in row %d, column \"%s\"",
								row_nos[r], cols[c].name),
						 errdetail("%s at character %d.", sentence(mh_gettext(mh_cell_status_text(st))),
								   char_position(s, pos))));
			cp[c] = &pc[c];
		}
		bst = mh_row_box(&space, cp, &rboxes[r]);
		if (bst != MH_BOX_OK)
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("row %d is too complex for the checks", row_nos[r]),
					 errdetail("A cell has more than %d disjoint ranges.", MH_VS_MAX_IVS)));
	}

	work = palloc(sizeof(MhBox) * RULE_MAX_BOXES);

	if (do_overlap)
		for (int i = 0; i < nrows; i++)
			for (int j = i + 1; j < nrows; j++)
			{
				MhBox		w;
				bool		unc;

				CHECK_FOR_INTERRUPTS();
				if (mh_rows_overlap(&space, &rboxes[i], &rboxes[j], &w, &unc))
				{
					Datum		values[4];
					bool		nulls[4] = {false, false, false, false};
					Datum		pair[2] = {Int32GetDatum(row_nos[i]), Int32GetDatum(row_nos[j])};

					values[0] = CStringGetTextDatum("overlap");
					values[1] = PointerGetDatum(construct_array(pair, 2, INT4OID, 4, true, TYPALIGN_INT));
					values[2] = CStringGetTextDatum(box_text(&space, cols, &w));
					values[3] = BoolGetDatum(unc);
					tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
				}
			}

	if (do_gaps)
	{
		int			ng;
		bool		unc;

		if (mh_rows_gaps(&space, rboxes, nrows, work, RULE_MAX_BOXES, &ng, &unc) != MH_BOX_OK)
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the gaps of this table are too many to list"),
					 errdetail("More than %d disjoint boxes are not covered by any row.", RULE_MAX_BOXES)));
		for (int g = 0; g < ng; g++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, true, false, false};

			values[0] = CStringGetTextDatum("gap");
			values[1] = (Datum) 0;
			values[2] = CStringGetTextDatum(box_text(&space, cols, &work[g]));
			values[3] = BoolGetDatum(unc);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}

	if (do_masked)
		for (int k = 1; k < nrows; k++)
		{
			bool		masked,
						unc;

			CHECK_FOR_INTERRUPTS();
			if (mh_row_masked(&space, rboxes, k, work, RULE_MAX_BOXES, &masked, &unc) != MH_BOX_OK)
				mh_sensitive_ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("row %d is too complex for the masking check", row_nos[k])));
			if (masked)
			{
				Datum		values[4];
				bool		nulls[4] = {false, false, false, false};
				Datum		one = Int32GetDatum(row_nos[k]);
				MhBox		over;

				mh_row_box_over(&space, &rboxes[k], &over);
				values[0] = CStringGetTextDatum("masked");
				values[1] = PointerGetDatum(construct_array(&one, 1, INT4OID, 4, true, TYPALIGN_INT));
				values[2] = CStringGetTextDatum(box_text(&space, cols, &over));
				values[3] = BoolGetDatum(false);	/* a masking claim is always sound */
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	return (Datum) 0;

bad_arrays:
	mh_sensitive_ereport(ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("the column and cell arrays of a box check do not agree"),
			 errdetail("Names, types, nullability and bounds need one element per column, cells one row of that many per row.")));
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Date primitives the compiled decisions call
 */

PG_FUNCTION_INFO_V1(mynahoken_rule_age_on);
Datum
mynahoken_rule_age_on(PG_FUNCTION_ARGS)
{
	DateADT		birth = PG_GETARG_DATEADT(0);
	DateADT		day = PG_GETARG_DATEADT(1);

	if (DATE_NOT_FINITE(birth) || DATE_NOT_FINITE(day))
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("age on a day needs finite dates")));
	PG_RETURN_INT32(mh_age_on((mh_day) birth, (mh_day) day));
}

/*
 * The n-th birthday (the birthday counts; 29 February is 1 March in other
 * years).  The birth date is personal data: it is never in a message.
 */
PG_FUNCTION_INFO_V1(mynahoken_rule_birthday);
Datum
mynahoken_rule_birthday(PG_FUNCTION_ARGS)
{
	DateADT		birth = PG_GETARG_DATEADT(0);
	int32		n = PG_GETARG_INT32(1);
	mh_day		r;

	if (n < 0 || n > 200)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a birthday number must be between 0 and 200")));
	if (!mh_birthday((mh_day) birth, n, &r))
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the birthday is out of the date range")));
	PG_RETURN_DATEADT((DateADT) r);
}

/* A day plus n months, clamped to the end of a shorter month. */
PG_FUNCTION_INFO_V1(mynahoken_rule_add_months);
Datum
mynahoken_rule_add_months(PG_FUNCTION_ARGS)
{
	DateADT		day = PG_GETARG_DATEADT(0);
	int32		n = PG_GETARG_INT32(1);

	if (n < -1200 || n > 1200)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a number of months must be between -1200 and 1200")));
	if (!DATE_NOT_FINITE(day) &&
		(day < -2400000 || day > 2000000000))
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the day is too close to the end of the date range for month arithmetic")));
	PG_RETURN_DATEADT((DateADT) mh_add_months((mh_day) day, n));
}

/* The last day of the day's month. */
PG_FUNCTION_INFO_V1(mynahoken_rule_month_end);
Datum
mynahoken_rule_month_end(PG_FUNCTION_ARGS)
{
	DateADT		day = PG_GETARG_DATEADT(0);

	if (!DATE_NOT_FINITE(day) && day > 2000000000)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the day is too close to the end of the date range for month arithmetic")));
	PG_RETURN_DATEADT((DateADT) mh_month_end((mh_day) day, 0));
}

/* The first day on or after the day that is month/mday (7, 31: the next 7月31日). */
PG_FUNCTION_INFO_V1(mynahoken_rule_next_month_day);
Datum
mynahoken_rule_next_month_day(PG_FUNCTION_ARGS)
{
	DateADT		day = PG_GETARG_DATEADT(0);
	int32		month = PG_GETARG_INT32(1);
	int32		mday = PG_GETARG_INT32(2);
	mh_day		r;

	if (!mh_next_month_day((mh_day) day, month, mday, &r))
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("no next month-day %d/%d in the date range", month, mday)));
	PG_RETURN_DATEADT((DateADT) r);
}
