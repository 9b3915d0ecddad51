/*
 * rule_cell.c: parser of the cell (unary-test) language of the rule engine.
 *
 * A recursive-descent parser over the bytes of one cell; see rule_cell.h for
 * the grammar.  It allocates nothing: the result refers to spans of the
 * input.  Words that are keywords (null, not, day, param, true, false, sql)
 * are values of an enum or text fact only when written in double quotes.
 */
#include "rule_cell.h"
#include "nls.h"

#include <string.h>

#include "transition.h"
#include "utf8.h"

typedef struct Parser
{
	const unsigned char *s;
	size_t		n;
	size_t		pos;
	const MhFactTypeInfo *type;
	MhCell	   *cell;
	size_t		errpos;
} Parser;

static const char *const status_text[MH_CELL_STATUS_COUNT] = {
	MH_N_("ok"),
	MH_N_("empty cell"),
	MH_N_("invalid byte sequence"),
	MH_N_("syntax error"),
	MH_N_("unexpected end of cell"),
	MH_N_("unexpected text after the cell"),
	MH_N_("invalid integer"),
	MH_N_("invalid date"),
	MH_N_("test not allowed for the fact's type"),
	MH_N_("value not declared for the fact"),
	MH_N_("invalid name"),
	MH_N_("empty range"),
	MH_N_("too many tests in one cell")
};

static const char *const type_names[MH_FT_COUNT] = {
	"int", "date", "boolean", "enum", "text"
};

const char *
mh_cell_status_text(MhCellStatus status)
{
	if ((int) status < 0 || status >= MH_CELL_STATUS_COUNT)
		return MH_N_("unknown status");
	return status_text[status];
}

const char *
mh_fact_type_name(MhFactType type)
{
	if ((int) type < 0 || type >= MH_FT_COUNT)
		return NULL;
	return type_names[type];
}

int
mh_fact_type_from_name(const char *name, size_t len)
{
	for (int i = 0; i < MH_FT_COUNT; i++)
		if (strlen(type_names[i]) == len && memcmp(type_names[i], name, len) == 0)
			return i;
	return -1;
}

/* Record an error at the current position (the first one wins). */
static MhCellStatus
fail(Parser *p, MhCellStatus st, size_t at)
{
	p->errpos = at;
	return st;
}

static void
skip_ws(Parser *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
							 p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Length of the ASCII identifier at the current position (0 if none). */
static size_t
ident_len(const Parser *p)
{
	size_t		i = p->pos;

	if (i >= p->n || !is_ident_start(p->s[i]))
		return 0;
	while (i < p->n && is_ident_char(p->s[i]))
		i++;
	return i - p->pos;
}

/* Whether the identifier at the current position is exactly the keyword. */
static bool
at_keyword(const Parser *p, const char *kw)
{
	size_t		k = strlen(kw);

	return ident_len(p) == k && memcmp(p->s + p->pos, kw, k) == 0;
}

/* A word of an enum or text value: ASCII letters, digits, _, or non-ASCII. */
static MhCellStatus
word_len(Parser *p, size_t *len)
{
	size_t		i = p->pos;

	while (i < p->n)
	{
		unsigned char c = p->s[i];

		if (c >= 0x80)
		{
			uint32_t	cp;
			int			l = mh_utf8_decode(p->s + i, p->n - i, &cp);

			if (l == 0)
				return fail(p, MH_CELL_ENCODING, i);
			/* U+3000 is a space, not part of a word */
			if (cp == 0x3000)
				break;
			i += l;
		}
		else if (is_ident_char(c))
			i++;
		else
			break;
	}
	*len = i - p->pos;
	return MH_CELL_OK;
}

static MhCellStatus
parse_int(Parser *p, int64_t *out)
{
	size_t		start = p->pos;
	bool		neg = false;
	int64_t		v = 0;
	size_t		digits = 0;

	if (p->pos < p->n && (p->s[p->pos] == '-' || p->s[p->pos] == '+'))
	{
		neg = p->s[p->pos] == '-';
		p->pos++;
	}
	while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
	{
		v = v * 10 + (p->s[p->pos] - '0');
		if (v > (int64_t) INT32_MAX + 1)
			return fail(p, MH_CELL_NUMBER, start);
		p->pos++;
		digits++;
	}
	if (digits == 0)
		return fail(p, p->pos >= p->n ? MH_CELL_END : MH_CELL_NUMBER, p->pos);
	/* 12abc or 2026-08-01 in an int cell */
	if (p->pos < p->n && (is_ident_char(p->s[p->pos]) || p->s[p->pos] == '-' ||
						  p->s[p->pos] >= 0x80))
		return fail(p, MH_CELL_NUMBER, start);
	if (neg)
		v = -v;
	if (v > INT32_MAX || v < INT32_MIN)
		return fail(p, MH_CELL_NUMBER, start);
	*out = v;
	return MH_CELL_OK;
}

static int
digits_at(const Parser *p, size_t at, int count)
{
	int			v = 0;

	if (at + count > p->n)
		return -1;
	for (int i = 0; i < count; i++)
	{
		unsigned char c = p->s[at + i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	return v;
}

static MhCellStatus
parse_date(Parser *p, int64_t *out)
{
	size_t		start = p->pos;
	int			y = digits_at(p, start, 4);
	int			m,
				d;

	if (y < 0 || start + 10 > p->n || p->s[start + 4] != '-' || p->s[start + 7] != '-')
		return fail(p, start >= p->n ? MH_CELL_END : MH_CELL_DATE, start);
	m = digits_at(p, start + 5, 2);
	d = digits_at(p, start + 8, 2);
	if (m < 0 || d < 0 || y < 1 || !mh_ymd_valid(y, m, d))
		return fail(p, MH_CELL_DATE, start);
	p->pos = start + 10;
	if (p->pos < p->n && (is_ident_char(p->s[p->pos]) || p->s[p->pos] == '-' ||
						  p->s[p->pos] >= 0x80))
		return fail(p, MH_CELL_DATE, start);
	*out = mh_day_from_ymd(y, m, d);
	return MH_CELL_OK;
}

/* param(name): the name is an ASCII identifier. */
static MhCellStatus
parse_param(Parser *p, MhOperand *op)
{
	size_t		l;

	p->pos += 5;
	skip_ws(p);
	if (p->pos >= p->n)
		return fail(p, MH_CELL_END, p->pos);
	if (p->s[p->pos] != '(')
		return fail(p, MH_CELL_SYNTAX, p->pos);
	p->pos++;
	skip_ws(p);
	l = ident_len(p);
	if (l == 0)
		return fail(p, p->pos >= p->n ? MH_CELL_END : MH_CELL_NAME, p->pos);
	if (l > MH_CELL_MAX_NAME)
		return fail(p, MH_CELL_NAME, p->pos);
	op->kind = MH_OPND_PARAM;
	op->start = (uint32_t) p->pos;
	op->len = (uint32_t) l;
	p->pos += l;
	skip_ws(p);
	if (p->pos >= p->n)
		return fail(p, MH_CELL_END, p->pos);
	if (p->s[p->pos] != ')')
		return fail(p, MH_CELL_SYNTAX, p->pos);
	p->pos++;
	p->cell->uses_param = true;
	return MH_CELL_OK;
}

/* "a ""quoted"" value": the span is what is between the quotes. */
static MhCellStatus
parse_quoted(Parser *p, MhOperand *op)
{
	size_t		start = p->pos;
	size_t		i = p->pos + 1;

	while (i < p->n)
	{
		if (p->s[i] == '"')
		{
			if (i + 1 < p->n && p->s[i + 1] == '"')
			{
				i += 2;
				continue;
			}
			op->kind = MH_OPND_TEXT;
			op->start = (uint32_t) (start + 1);
			op->len = (uint32_t) (i - start - 1);
			op->quoted = true;
			p->pos = i + 1;
			return MH_CELL_OK;
		}
		if (p->s[i] >= 0x80)
		{
			uint32_t	cp;
			int			l = mh_utf8_decode(p->s + i, p->n - i, &cp);

			if (l == 0)
				return fail(p, MH_CELL_ENCODING, i);
			i += l;
		}
		else
			i++;
	}
	return fail(p, MH_CELL_END, p->n);
}

/* Is this text value one of the enum's declared values?  Its index or -1. */
static int
enum_index(const Parser *p, const MhOperand *op)
{
	char		buf[256];
	int			l = mh_cell_text_value((const char *) p->s, op, buf, sizeof(buf));

	if (l < 0)
		return -1;
	for (int i = 0; i < p->type->nvalues; i++)
		if (strcmp(p->type->values[i], buf) == 0)
			return i;
	return -1;
}

/*
 * One operand, typed.  allow_value: a constant may stand here (false only
 * never; kept for symmetry of the callers).
 */
static MhCellStatus
parse_operand(Parser *p, MhOperand *op)
{
	MhFactType	t = p->type->type;
	size_t		start;
	MhCellStatus st;

	memset(op, 0, sizeof(*op));
	skip_ws(p);
	start = p->pos;
	if (p->pos >= p->n)
		return fail(p, MH_CELL_END, p->pos);

	if (at_keyword(p, "param"))
		return parse_param(p, op);

	switch (t)
	{
		case MH_FT_INT:
		case MH_FT_DATE:
			if (at_keyword(p, "day"))
			{
				if (t != MH_FT_DATE)
					return fail(p, MH_CELL_TYPE, start);
				op->kind = MH_OPND_DAY;
				p->pos += 3;
				p->cell->uses_day = true;
				return MH_CELL_OK;
			}
			if (is_ident_start(p->s[p->pos]))
			{
				size_t		l = ident_len(p);

				if (at_keyword(p, "null") || at_keyword(p, "not") ||
					at_keyword(p, "true") || at_keyword(p, "false") ||
					at_keyword(p, "sql"))
					return fail(p, MH_CELL_SYNTAX, start);
				if (l > MH_CELL_MAX_NAME)
					return fail(p, MH_CELL_NAME, start);
				if (p->pos + l < p->n && p->s[p->pos + l] >= 0x80)
					return fail(p, MH_CELL_NAME, start);
				op->kind = MH_OPND_FACT;
				op->start = (uint32_t) p->pos;
				op->len = (uint32_t) l;
				p->pos += l;
				p->cell->uses_fact = true;
				return MH_CELL_OK;
			}
			op->kind = MH_OPND_CONST;
			if (t == MH_FT_INT)
				return parse_int(p, &op->value);
			return parse_date(p, &op->value);

		case MH_FT_BOOL:
			op->kind = MH_OPND_CONST;
			if (at_keyword(p, "true"))
			{
				op->value = 1;
				p->pos += 4;
				return MH_CELL_OK;
			}
			if (at_keyword(p, "false"))
			{
				op->value = 0;
				p->pos += 5;
				return MH_CELL_OK;
			}
			return fail(p, MH_CELL_TYPE, start);

		case MH_FT_ENUM:
		case MH_FT_TEXT:
			if (p->s[p->pos] == '"')
				st = parse_quoted(p, op);
			else
			{
				size_t		l;

				if (at_keyword(p, "null") || at_keyword(p, "not") ||
					at_keyword(p, "day") || at_keyword(p, "true") ||
					at_keyword(p, "false") || at_keyword(p, "sql"))
					return fail(p, MH_CELL_SYNTAX, start);
				st = word_len(p, &l);
				if (st != MH_CELL_OK)
					return st;
				if (l == 0)
					return fail(p, MH_CELL_SYNTAX, start);
				op->kind = MH_OPND_TEXT;
				op->start = (uint32_t) p->pos;
				op->len = (uint32_t) l;
				p->pos += l;
			}
			if (st != MH_CELL_OK)
				return st;
			if (t == MH_FT_ENUM)
			{
				int			idx = enum_index(p, op);

				if (idx < 0)
					return fail(p, MH_CELL_VALUE, start);
				op->kind = MH_OPND_CONST;
				op->value = idx;
			}
			return MH_CELL_OK;

		default:
			return fail(p, MH_CELL_TYPE, start);
	}
}

/* Does the type allow order comparisons and ranges? */
static bool
type_ordered(MhFactType t)
{
	return t == MH_FT_INT || t == MH_FT_DATE;
}

/* [lo..hi), (lo..hi], ... */
static MhCellStatus
parse_range(Parser *p, MhCellItem *item)
{
	MhCellStatus st;
	size_t		start = p->pos;

	if (!type_ordered(p->type->type))
		return fail(p, MH_CELL_TYPE, start);
	item->op = MH_OP_RANGE;
	item->lo_incl = p->s[p->pos] == '[';
	p->pos++;
	if ((st = parse_operand(p, &item->a)) != MH_CELL_OK)
		return st;
	skip_ws(p);
	if (p->pos + 2 > p->n)
		return fail(p, MH_CELL_END, p->n);
	if (p->s[p->pos] != '.' || p->s[p->pos + 1] != '.')
		return fail(p, MH_CELL_SYNTAX, p->pos);
	p->pos += 2;
	if ((st = parse_operand(p, &item->b)) != MH_CELL_OK)
		return st;
	skip_ws(p);
	if (p->pos >= p->n)
		return fail(p, MH_CELL_END, p->pos);
	if (p->s[p->pos] != ']' && p->s[p->pos] != ')')
		return fail(p, MH_CELL_SYNTAX, p->pos);
	item->hi_incl = p->s[p->pos] == ']';
	p->pos++;
	if (item->a.kind == MH_OPND_CONST && item->b.kind == MH_OPND_CONST)
	{
		int64_t		lo = item->a.value + (item->lo_incl ? 0 : 1);
		int64_t		hi = item->b.value + (item->hi_incl ? 1 : 0);

		if (lo >= hi)
			return fail(p, MH_CELL_EMPTY_RANGE, start);
	}
	return MH_CELL_OK;
}

static MhCellStatus
parse_item(Parser *p, MhCellItem *item)
{
	unsigned char c;

	memset(item, 0, sizeof(*item));
	skip_ws(p);
	if (p->pos >= p->n)
		return fail(p, MH_CELL_END, p->pos);
	item->start = (uint32_t) p->pos;
	c = p->s[p->pos];
	if (c == '[' || c == '(')
		return parse_range(p, item);
	if (c == '<' || c == '>' || c == '=')
	{
		size_t		start = p->pos;

		if (c == '=')
		{
			item->op = MH_OP_EQ;
			p->pos++;
		}
		else if (p->pos + 1 < p->n && p->s[p->pos + 1] == '=')
		{
			item->op = c == '<' ? MH_OP_LE : MH_OP_GE;
			p->pos += 2;
		}
		else
		{
			item->op = c == '<' ? MH_OP_LT : MH_OP_GT;
			p->pos++;
		}
		if (item->op != MH_OP_EQ && !type_ordered(p->type->type))
			return fail(p, MH_CELL_TYPE, start);
		return parse_operand(p, &item->a);
	}
	item->op = MH_OP_EQ;
	return parse_operand(p, &item->a);
}

/* item (, item)* up to the end or a closing parenthesis. */
static MhCellStatus
parse_items(Parser *p, bool in_not)
{
	MhCellStatus st;

	for (;;)
	{
		if (p->cell->nitems >= MH_CELL_MAX_ITEMS)
			return fail(p, MH_CELL_TOO_MANY, p->pos);
		st = parse_item(p, &p->cell->items[p->cell->nitems]);
		if (st != MH_CELL_OK)
			return st;
		p->cell->nitems++;
		skip_ws(p);
		if (p->pos < p->n && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (in_not)
		{
			if (p->pos >= p->n)
				return fail(p, MH_CELL_END, p->pos);
			if (p->s[p->pos] != ')')
				return fail(p, MH_CELL_SYNTAX, p->pos);
			p->pos++;
		}
		return MH_CELL_OK;
	}
}

MhCellStatus
mh_cell_parse(const char *text, size_t len, const MhFactTypeInfo *type,
			  MhCell *cell, size_t *errpos)
{
	Parser		p;
	MhCellStatus st;

	memset(cell, 0, sizeof(*cell));
	*errpos = 0;
	p.s = (const unsigned char *) text;
	p.n = len;
	p.pos = 0;
	p.type = type;
	p.cell = cell;
	p.errpos = 0;

	if (type == NULL || (int) type->type < 0 || type->type >= MH_FT_COUNT ||
		(type->type == MH_FT_ENUM && (type->values == NULL || type->nvalues <= 0)))
		return MH_CELL_TYPE;
	if (len > UINT32_MAX / 2)
		return MH_CELL_TOO_MANY;
	/* the whole cell is valid UTF-8 without NUL, whatever the grammar reads */
	for (size_t i = 0; i < len;)
	{
		uint32_t	cp;
		int			l;

		if (p.s[i] == 0)
		{
			*errpos = i;
			return MH_CELL_ENCODING;
		}
		l = mh_utf8_decode(p.s + i, len - i, &cp);
		if (l == 0)
		{
			*errpos = i;
			return MH_CELL_ENCODING;
		}
		i += l;
	}

	skip_ws(&p);
	if (p.pos >= p.n)
	{
		*errpos = p.pos;
		return MH_CELL_EMPTY;
	}

	if (p.s[p.pos] == '-' &&
		(p.pos + 1 >= p.n || p.s[p.pos + 1] == ' ' || p.s[p.pos + 1] == '\t' ||
		 p.s[p.pos + 1] == '\n' || p.s[p.pos + 1] == '\r'))
	{
		cell->kind = MH_CK_ANY;
		p.pos++;
	}
	else if (at_keyword(&p, "sql") && p.pos + 3 < p.n && p.s[p.pos + 3] == ':')
	{
		p.pos += 4;
		skip_ws(&p);
		if (p.pos >= p.n)
		{
			*errpos = p.pos;
			return MH_CELL_END;
		}
		cell->kind = MH_CK_SQL;
		cell->sql_start = (uint32_t) p.pos;
		/* trailing spaces are not part of the predicate */
		{
			size_t		end = p.n;

			while (end > p.pos && (p.s[end - 1] == ' ' || p.s[end - 1] == '\t' ||
								   p.s[end - 1] == '\n' || p.s[end - 1] == '\r'))
				end--;
			cell->sql_len = (uint32_t) (end - p.pos);
		}
		return MH_CELL_OK;
	}
	else if (at_keyword(&p, "null"))
	{
		cell->kind = MH_CK_NULL;
		p.pos += 4;
	}
	else if (at_keyword(&p, "not"))
	{
		p.pos += 3;
		skip_ws(&p);
		if (at_keyword(&p, "null"))
		{
			cell->kind = MH_CK_NOT_NULL;
			p.pos += 4;
		}
		else if (p.pos < p.n && p.s[p.pos] == '(')
		{
			p.pos++;
			cell->kind = MH_CK_TESTS;
			cell->negated = true;
			st = parse_items(&p, true);
			if (st != MH_CELL_OK)
			{
				*errpos = p.errpos;
				return st;
			}
		}
		else
		{
			*errpos = p.pos;
			return p.pos >= p.n ? MH_CELL_END : MH_CELL_SYNTAX;
		}
	}
	else
	{
		cell->kind = MH_CK_TESTS;
		st = parse_items(&p, false);
		if (st != MH_CELL_OK)
		{
			*errpos = p.errpos;
			return st;
		}
	}
	skip_ws(&p);
	if (p.pos < p.n)
	{
		*errpos = p.pos;
		return MH_CELL_TRAILING;
	}
	return MH_CELL_OK;
}

bool
mh_cell_is_analysable(const MhCell *cell)
{
	return cell->kind != MH_CK_SQL && !cell->uses_param && !cell->uses_day &&
		!cell->uses_fact;
}

int
mh_cell_text_value(const char *text, const MhOperand *op, char *buf, size_t cap)
{
	size_t		o = 0;

	for (uint32_t i = 0; i < op->len; i++)
	{
		char		c = text[op->start + i];

		if (op->quoted && c == '"')
			i++;				/* "" stands for one quote */
		if (o + 1 >= cap)
			return -1;
		buf[o++] = c;
	}
	if (cap == 0)
		return -1;
	buf[o] = '\0';
	return (int) o;
}
