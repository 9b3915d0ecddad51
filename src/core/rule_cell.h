/*
 * rule_cell.h: the cell (unary-test) language of the rule engine, in plain C.
 *
 * A cell of a decision table tests one fact of a member.  The language is a
 * small analysable fragment of DMN's unary tests:
 *
 *   -                       anything, NULL included ("does not matter")
 *   null | not null         the fact is unknown / known
 *   true | false            booleans
 *   a, b, "c d"             a set of values (enum or text facts: words or
 *                           double-quoted strings)
 *   not(a, b)               a negated set, range or comparison (NULL never
 *                           matches a negation)
 *   >= 85   < param(name)   comparisons with a constant, a legal parameter,
 *   <= day  > other_fact    the decision day or another fact
 *   [70..75)  (a..b]        ranges, bounds as for comparisons
 *   sql: <predicate>        opaque: kept as text, validated by the SQL side
 *                           and excluded from the checks
 *
 * The parser is strict and typed against the fact's type: int (int4 values),
 * date (ISO YYYY-MM-DD, kept as days since 2000-01-01 like transition.h),
 * boolean, enum (a declared list of values) or text (any words).  It never
 * allocates: names and text values are spans of the input.  Errors come back
 * as a status with the 0-based byte offset where parsing stopped.
 */
#ifndef MYNAHOKEN_RULE_CELL_H
#define MYNAHOKEN_RULE_CELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_CELL_MAX_ITEMS	32		/* tests in one cell (set elements) */
#define MH_CELL_MAX_NAME	63		/* bytes of a fact or parameter name */

typedef enum MhCellStatus
{
	MH_CELL_OK = 0,
	MH_CELL_EMPTY,				/* nothing but spaces */
	MH_CELL_ENCODING,			/* bytes that are not UTF-8, or a NUL byte */
	MH_CELL_SYNTAX,				/* an unexpected character or word */
	MH_CELL_END,				/* the text ends in the middle of a test */
	MH_CELL_TRAILING,			/* text after a complete cell */
	MH_CELL_NUMBER,				/* not an integer, or out of the int4 range */
	MH_CELL_DATE,				/* not an ISO date, or no such day */
	MH_CELL_TYPE,				/* a test the fact's type does not have */
	MH_CELL_VALUE,				/* a value not in the enum's declared list */
	MH_CELL_NAME,				/* a fact or parameter name too long or bad */
	MH_CELL_EMPTY_RANGE,		/* a range with no value in it */
	MH_CELL_TOO_MANY,			/* more than MH_CELL_MAX_ITEMS tests */
	MH_CELL_STATUS_COUNT
} MhCellStatus;

typedef enum MhFactType
{
	MH_FT_INT,
	MH_FT_DATE,
	MH_FT_BOOL,
	MH_FT_ENUM,					/* values declared: MhFactTypeInfo.values */
	MH_FT_TEXT,					/* any words */
	MH_FT_COUNT
} MhFactType;

/* The type a cell is parsed against. */
typedef struct MhFactTypeInfo
{
	MhFactType	type;
	const char *const *values;	/* MH_FT_ENUM: the declared values */
	int			nvalues;
} MhFactTypeInfo;

typedef enum MhCellKind
{
	MH_CK_ANY,					/* - */
	MH_CK_NULL,					/* null */
	MH_CK_NOT_NULL,				/* not null */
	MH_CK_TESTS,				/* a disjunction of items, maybe negated */
	MH_CK_SQL					/* sql: ... (opaque) */
} MhCellKind;

typedef enum MhOperandKind
{
	MH_OPND_CONST,				/* int, day, boolean (0/1) or enum index */
	MH_OPND_TEXT,				/* a text value: span of the input */
	MH_OPND_PARAM,				/* param(name): span of the name */
	MH_OPND_DAY,				/* the decision day */
	MH_OPND_FACT				/* another fact: span of its name */
} MhOperandKind;

typedef struct MhOperand
{
	MhOperandKind kind;
	int64_t		value;			/* MH_OPND_CONST */
	uint32_t	start;			/* byte offset of the name or text value */
	uint32_t	len;			/* its length in bytes */
	bool		quoted;			/* text value written "..." (doubled quotes inside) */
} MhOperand;

typedef enum MhItemOp
{
	MH_OP_EQ,					/* a set element */
	MH_OP_LT,
	MH_OP_LE,
	MH_OP_GT,
	MH_OP_GE,
	MH_OP_RANGE					/* lo..hi with inclusive flags */
} MhItemOp;

typedef struct MhCellItem
{
	MhItemOp	op;
	MhOperand	a;				/* the operand; lo for a range */
	MhOperand	b;				/* hi for a range */
	bool		lo_incl;
	bool		hi_incl;
	uint32_t	start;			/* byte offset of the item in the cell */
} MhCellItem;

typedef struct MhCell
{
	MhCellKind	kind;
	bool		negated;		/* not(...) around the items */
	int			nitems;
	MhCellItem	items[MH_CELL_MAX_ITEMS];
	uint32_t	sql_start;		/* MH_CK_SQL: the predicate's span */
	uint32_t	sql_len;
	bool		uses_param;		/* any operand is param(), day or a fact: */
	bool		uses_day;		/* the box algebra cannot analyse it */
	bool		uses_fact;
} MhCell;

/*
 * Parse the cell text (len bytes, not NUL-terminated) against a fact type.
 * On error, *errpos is the 0-based byte offset where parsing stopped.
 */
extern MhCellStatus mh_cell_parse(const char *text, size_t len,
								  const MhFactTypeInfo *type, MhCell *cell,
								  size_t *errpos);

/* A short English description of a status, for messages. */
extern const char *mh_cell_status_text(MhCellStatus status);

/* The name of a fact type ("int", "date", ...), and back; -1 if unknown. */
extern const char *mh_fact_type_name(MhFactType type);
extern int	mh_fact_type_from_name(const char *name, size_t len);

/* Whether the cell's items are all constants (the box algebra can use it). */
extern bool mh_cell_is_analysable(const MhCell *cell);

/*
 * Copy a text operand's value into buf (cap bytes, NUL-terminated), undoing
 * the doubled quotes of a quoted value.  Returns the length, or -1 if it does
 * not fit.
 */
extern int	mh_cell_text_value(const char *text, const MhOperand *op,
							   char *buf, size_t cap);

#endif
