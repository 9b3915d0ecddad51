/*
 * Unit tests of the rule engine's pure core: the cell parser (rule_cell.c)
 * the box algebra of the checks (rule_box.c) and the date primitives
 * (rule_date.c).
 */
#include "unit.h"

#include "rule_box.h"
#include "rule_date.h"
#include "rule_cell.h"
#include "transition.h"

static const char *const categories[] = {
	"kyokai_kenpo", "health_society", "late_elderly", "municipal_nhi"
};

static const MhFactTypeInfo t_int = {MH_FT_INT, NULL, 0};
static const MhFactTypeInfo t_date = {MH_FT_DATE, NULL, 0};
static const MhFactTypeInfo t_bool = {MH_FT_BOOL, NULL, 0};
static const MhFactTypeInfo t_enum = {MH_FT_ENUM, categories, 4};
static const MhFactTypeInfo t_text = {MH_FT_TEXT, NULL, 0};

static MhCellStatus
parse(const char *s, const MhFactTypeInfo *t, MhCell *c, size_t *pos)
{
	return mh_cell_parse(s, strlen(s), t, c, pos);
}

/* Status and error position of a cell that must be refused. */
static void
refused(const char *s, const MhFactTypeInfo *t, MhCellStatus want, size_t wantpos)
{
	MhCell		c;
	size_t		pos;
	char		name[160];

	snprintf(name, sizeof(name), "refused: %s", s);
	CHECK_INT(parse(s, t, &c, &pos), want, name);
	CHECK_INT(pos, wantpos, name);
}

static void
test_parse_accepts(void)
{
	MhCell		c;
	size_t		pos;
	char		buf[64];

	CHECK_INT(parse("-", &t_int, &c, &pos), MH_CELL_OK, "- parses");
	CHECK_INT(c.kind, MH_CK_ANY, "- is any");
	CHECK_INT(parse("  null ", &t_date, &c, &pos), MH_CELL_OK, "null parses");
	CHECK_INT(c.kind, MH_CK_NULL, "null is null");
	CHECK_INT(parse("not  null", &t_bool, &c, &pos), MH_CELL_OK, "not null parses");
	CHECK_INT(c.kind, MH_CK_NOT_NULL, "not null kind");

	CHECK_INT(parse(">= 85", &t_int, &c, &pos), MH_CELL_OK, ">= 85");
	CHECK_INT(c.nitems, 1, ">= 85 one item");
	CHECK_INT(c.items[0].op, MH_OP_GE, ">= 85 op");
	CHECK_INT(c.items[0].a.value, 85, ">= 85 value");
	CHECK(mh_cell_is_analysable(&c), ">= 85 analysable");

	CHECK_INT(parse("-5, 7, <-10", &t_int, &c, &pos), MH_CELL_OK, "negative numbers");
	CHECK_INT(c.items[0].a.value, -5, "-5");
	CHECK_INT(c.items[2].op, MH_OP_LT, "<-10 op");
	CHECK_INT(c.items[2].a.value, -10, "<-10 value");

	CHECK_INT(parse("[70..75)", &t_int, &c, &pos), MH_CELL_OK, "[70..75)");
	CHECK_INT(c.items[0].op, MH_OP_RANGE, "range op");
	CHECK(c.items[0].lo_incl && !c.items[0].hi_incl, "range bounds");
	CHECK_INT(c.items[0].b.value, 75, "range hi");

	CHECK_INT(parse("< param(insurer_certificate_age)", &t_int, &c, &pos), MH_CELL_OK, "param");
	CHECK_INT(c.items[0].a.kind, MH_OPND_PARAM, "param kind");
	CHECK_INT(c.items[0].a.len, 23, "param name length");
	CHECK(c.uses_param && !mh_cell_is_analysable(&c), "param not analysable");

	CHECK_INT(parse("<= day", &t_date, &c, &pos), MH_CELL_OK, "<= day");
	CHECK_INT(c.items[0].a.kind, MH_OPND_DAY, "day kind");
	CHECK(c.uses_day, "uses day");
	CHECK_INT(parse("> last_certificate_from", &t_date, &c, &pos), MH_CELL_OK, "fact");
	CHECK_INT(c.items[0].a.kind, MH_OPND_FACT, "fact kind");
	CHECK(c.uses_fact, "uses fact");

	CHECK_INT(parse(">= 2026-08-01", &t_date, &c, &pos), MH_CELL_OK, "date");
	CHECK_INT(c.items[0].a.value, mh_day_from_ymd(2026, 8, 1), "date value");
	CHECK_INT(parse("[2024-02-29..2024-03-01]", &t_date, &c, &pos), MH_CELL_OK, "leap day");

	CHECK_INT(parse("true", &t_bool, &c, &pos), MH_CELL_OK, "true");
	CHECK_INT(c.items[0].a.value, 1, "true is 1");
	CHECK_INT(parse("not(false)", &t_bool, &c, &pos), MH_CELL_OK, "not(false)");
	CHECK(c.negated, "not(false) negated");

	CHECK_INT(parse("health_society, municipal_nhi", &t_enum, &c, &pos), MH_CELL_OK, "set");
	CHECK_INT(c.nitems, 2, "set of two");
	CHECK_INT(c.items[1].a.value, 3, "municipal_nhi is value 3");
	CHECK_INT(parse("not( late_elderly )", &t_enum, &c, &pos), MH_CELL_OK, "not(set)");
	CHECK_INT(parse("\"late_elderly\"", &t_enum, &c, &pos), MH_CELL_OK, "quoted enum value");
	CHECK_INT(c.items[0].a.value, 2, "quoted enum index");

	CHECK_INT(parse("06139992, \"it's \"\"quoted\"\"; --\", 要配慮", &t_text, &c, &pos),
			  MH_CELL_OK, "text values");
	CHECK_INT(c.nitems, 3, "three text values");
	CHECK_INT(mh_cell_text_value("06139992, \"it's \"\"quoted\"\"; --\", 要配慮",
								 &c.items[1].a, buf, sizeof(buf)), 17, "unquoted length");
	CHECK_STR(buf, "it's \"quoted\"; --", "doubled quotes undone");
	CHECK_INT(parse("= param(x)", &t_text, &c, &pos), MH_CELL_OK, "text = param");

	CHECK_INT(parse("sql: a.x > 3 ", &t_int, &c, &pos), MH_CELL_OK, "sql:");
	CHECK_INT(c.kind, MH_CK_SQL, "sql kind");
	CHECK_INT(c.sql_start, 5, "sql start");
	CHECK_INT(c.sql_len, 7, "sql length trimmed");
	CHECK(!mh_cell_is_analysable(&c), "sql opaque");
}

static void
test_parse_refuses(void)
{
	refused("", &t_int, MH_CELL_EMPTY, 0);
	refused("   ", &t_int, MH_CELL_EMPTY, 3);
	refused(">= 85x", &t_int, MH_CELL_NUMBER, 3);
	refused(">= 2147483648", &t_int, MH_CELL_NUMBER, 3);
	refused(">= -2147483648", &t_int, MH_CELL_OK, 0);
	refused(">= 85", &t_date, MH_CELL_DATE, 3);
	refused(">= 2026-02-30", &t_date, MH_CELL_DATE, 3);
	refused(">= 2025-02-29", &t_date, MH_CELL_DATE, 3);
	refused(">= 2026-8-1", &t_date, MH_CELL_DATE, 3);
	refused(">= 2026-08-01", &t_int, MH_CELL_NUMBER, 3);
	refused("<= day", &t_int, MH_CELL_TYPE, 3);
	refused(">= 1", &t_bool, MH_CELL_TYPE, 0);
	refused("yes", &t_bool, MH_CELL_TYPE, 0);
	refused("[1..2)", &t_enum, MH_CELL_TYPE, 0);
	refused("< late_elderly", &t_enum, MH_CELL_TYPE, 0);
	refused("kyokai, late_elderly", &t_enum, MH_CELL_VALUE, 0);
	refused("late_elderly, nope", &t_enum, MH_CELL_VALUE, 14);
	refused("[75..70)", &t_int, MH_CELL_EMPTY_RANGE, 0);
	refused("(70..71)", &t_int, MH_CELL_EMPTY_RANGE, 0);
	refused("[70..75", &t_int, MH_CELL_END, 7);
	refused("[70,75)", &t_int, MH_CELL_SYNTAX, 3);
	refused("not(1, 2", &t_int, MH_CELL_END, 8);
	refused("not 1", &t_int, MH_CELL_SYNTAX, 4);
	refused(">= 85 86", &t_int, MH_CELL_TRAILING, 6);
	refused("1,", &t_int, MH_CELL_END, 2);
	refused("< param(", &t_int, MH_CELL_END, 8);
	refused("< param(1x)", &t_int, MH_CELL_NAME, 8);
	refused("< param(a b)", &t_int, MH_CELL_SYNTAX, 10);
	refused("\"open", &t_text, MH_CELL_END, 5);
	refused("a; DROP TABLE x", &t_text, MH_CELL_TRAILING, 1);
	refused("a'--", &t_text, MH_CELL_TRAILING, 1);
	refused("null, a", &t_text, MH_CELL_TRAILING, 4);
	refused("a, null", &t_text, MH_CELL_SYNTAX, 3);
	refused("sql:", &t_int, MH_CELL_END, 4);
	refused("- 1", &t_int, MH_CELL_TRAILING, 2);
	refused("> other.schema", &t_int, MH_CELL_TRAILING, 7);
	refused("\xff", &t_text, MH_CELL_ENCODING, 0);
	refused("a\xe3\x81", &t_text, MH_CELL_ENCODING, 1);
	{
		MhCell		c;
		size_t		pos;
		char		many[200];
		char	   *p = many;

		for (int i = 0; i < MH_CELL_MAX_ITEMS + 1; i++)
			p += sprintf(p, "%s%d", i ? "," : "", i);
		CHECK_INT(parse(many, &t_int, &c, &pos), MH_CELL_TOO_MANY, "too many items");
		CHECK_INT(mh_cell_parse("1\0002", 3, &t_int, &c, &pos), MH_CELL_ENCODING, "NUL byte");
		CHECK_INT(pos, 1, "NUL position");
	}
	CHECK_STR(mh_cell_status_text(MH_CELL_EMPTY_RANGE), "empty range", "status text");
	CHECK_STR(mh_fact_type_name(MH_FT_DATE), "date", "type name");
	CHECK_INT(mh_fact_type_from_name("boolean", 7), MH_FT_BOOL, "type from name");
	CHECK_INT(mh_fact_type_from_name("bool", 4), -1, "unknown type name");
}

/* A box space: age int [0, 150), category enum of 4, care_needs boolean. */
static void
space3(MhBoxSpace *s, bool nullable_bool)
{
	memset(s, 0, sizeof(*s));
	s->ndims = 3;
	s->kind[0] = MH_DIM_ORDERED;
	mh_vs_ordered(&s->domain[0], 0, 150, false);
	s->kind[1] = MH_DIM_SET;
	mh_vs_set(&s->domain[1], 4, false);
	s->kind[2] = MH_DIM_SET;
	mh_vs_set(&s->domain[2], 2, nullable_bool);
}

/* Build a row box from three cell texts. */
static MhBoxStatus
row3(const MhBoxSpace *s, const char *age, const char *cat, const char *care,
	 MhRowBox *out)
{
	static MhCell c[3];
	const MhCell *cp[3];
	size_t		pos;

	if (parse(age, &t_int, &c[0], &pos) != MH_CELL_OK ||
		parse(cat, &t_enum, &c[1], &pos) != MH_CELL_OK ||
		parse(care, &t_bool, &c[2], &pos) != MH_CELL_OK)
		return MH_BOX_BAD_CELL;
	cp[0] = &c[0];
	cp[1] = &c[1];
	cp[2] = &c[2];
	return mh_row_box(s, cp, out);
}

static MhBox work[256];

/* Is the point (age, category, care) in one of the boxes? */
static bool
in_boxes(const MhBoxSpace *s, const MhBox *boxes, int n, int age, int cat, int care)
{
	for (int i = 0; i < n; i++)
	{
		bool		age_in = false;

		for (int k = 0; k < boxes[i].v[0].n; k++)
			if (boxes[i].v[0].lo[k] <= age && age < boxes[i].v[0].hi[k])
				age_in = true;
		if (age_in && (boxes[i].v[1].mask & (1u << cat)) &&
			(boxes[i].v[2].mask & (1u << care)))
			return true;
	}
	(void) s;
	return false;
}

static void
test_value_sets(void)
{
	MhValueSet	a,
				b,
				r;
	MhBoxSpace	s;
	MhCell		c;
	size_t		pos;
	bool		opaque;

	mh_vs_ordered(&a, 0, 100, true);
	mh_vs_ordered(&b, 20, 30, false);
	CHECK_INT(mh_vs_minus(MH_DIM_ORDERED, &a, &b, &r), MH_BOX_OK, "minus ok");
	CHECK_INT(r.n, 2, "[0,100) - [20,30) has two parts");
	CHECK(r.lo[1] == 30 && r.hi[1] == 100 && r.has_null, "second part and null");
	CHECK(mh_vs_intersect(MH_DIM_ORDERED, &r, &b, &r) == false, "disjoint after minus");
	CHECK(mh_vs_subset(MH_DIM_ORDERED, &b, &a), "subset");
	CHECK(!mh_vs_subset(MH_DIM_ORDERED, &a, &b), "not subset");

	space3(&s, false);
	CHECK_INT(parse("not([70..75), 80, >= 100)", &t_int, &c, &pos), MH_CELL_OK, "negated ranges");
	CHECK_INT(mh_cell_value_set(&c, MH_DIM_ORDERED, &s.domain[0], &r, &opaque), MH_BOX_OK, "value set");
	CHECK_INT(r.n, 3, "not([70..75), 80, >= 100) is three intervals");
	CHECK(r.lo[0] == 0 && r.hi[0] == 70 && r.lo[1] == 75 && r.hi[1] == 80 &&
		  r.lo[2] == 81 && r.hi[2] == 100, "its intervals");
	CHECK_INT(parse("(69..74], 74, 75", &t_int, &c, &pos), MH_CELL_OK, "adjacent items");
	mh_cell_value_set(&c, MH_DIM_ORDERED, &s.domain[0], &r, &opaque);
	CHECK(r.n == 1 && r.lo[0] == 70 && r.hi[0] == 76, "adjacent items merge");
	CHECK_INT(parse("< param(x)", &t_int, &c, &pos), MH_CELL_OK, "param cell");
	mh_cell_value_set(&c, MH_DIM_ORDERED, &s.domain[0], &r, &opaque);
	CHECK(opaque, "param cell is opaque");
}

static void
test_boxes(void)
{
	MhBoxSpace	s;
	MhRowBox	rows[8];
	MhBox		w;
	bool		unc,
				masked;
	int			n;

	/*
	 * The spec's prototype table: per-column multiranges missed the gap of
	 * care_needs = false, ages 0..79, late_elderly.
	 */
	space3(&s, false);
	CHECK_INT(row3(&s, "< 75", "kyokai_kenpo, health_society, municipal_nhi", "-", &rows[0]), MH_BOX_OK, "row 1");
	CHECK_INT(row3(&s, "[80..85)", "late_elderly", "true", &rows[1]), MH_BOX_OK, "row 2");
	CHECK_INT(row3(&s, "[80..150)", "late_elderly", "-", &rows[2]), MH_BOX_OK, "row 3");
	CHECK_INT(row3(&s, "< 80", "late_elderly", "true", &rows[3]), MH_BOX_OK, "row 4");

	CHECK(mh_rows_overlap(&s, &rows[1], &rows[2], &w, &unc), "rows 2 and 3 overlap");
	CHECK(!unc, "overlap is certain");
	CHECK(w.v[0].n == 1 && w.v[0].lo[0] == 80 && w.v[0].hi[0] == 85, "witness age [80,85)");
	CHECK_INT(w.v[1].mask, 1 << 2, "witness late_elderly");
	CHECK_INT(w.v[2].mask, 1 << 1, "witness care_needs true");
	CHECK(!mh_rows_overlap(&s, &rows[0], &rows[1], &w, &unc), "rows 1 and 2 disjoint");

	CHECK_INT(mh_rows_gaps(&s, rows, 4, work, 256, &n, &unc), MH_BOX_OK, "gaps ok");
	CHECK(!unc, "gaps certain");
	/* gaps: ages 75..149 of the three others; late_elderly < 80 care false */
	CHECK(in_boxes(&s, work, n, 79, 2, 0), "the n-dimensional gap: late_elderly, 79, care false");
	CHECK(in_boxes(&s, work, n, 0, 2, 0), "the n-dimensional gap: late_elderly, 0, care false");
	CHECK(!in_boxes(&s, work, n, 80, 2, 0), "late_elderly, 80, care false is covered");
	CHECK(!in_boxes(&s, work, n, 79, 2, 1), "late_elderly, 79, care true is covered");
	CHECK(in_boxes(&s, work, n, 75, 0, 1), "the gap from 75: kyokai_kenpo");
	CHECK(in_boxes(&s, work, n, 149, 3, 0), "the gap from 75: municipal_nhi, 149");
	CHECK(!in_boxes(&s, work, n, 74, 0, 1), "kyokai_kenpo at 74 is covered");
	{
		MhBox		x;
		bool		disjoint = true;

		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (mh_box_intersect(&s, &work[i], &work[j], &x))
					disjoint = false;
		CHECK(disjoint, "gap boxes are disjoint");
	}

	/* complete the table: no gap */
	CHECK_INT(row3(&s, "< 80", "late_elderly", "false", &rows[4]), MH_BOX_OK, "row 5");
	CHECK_INT(row3(&s, ">= 75", "not(late_elderly)", "-", &rows[5]), MH_BOX_OK, "row 6");
	CHECK_INT(mh_rows_gaps(&s, rows, 6, work, 256, &n, &unc), MH_BOX_OK, "gaps ok");
	CHECK_INT(n, 0, "complete table has no gap");

	/* masking: row 2 is inside row 3? no, row 3 after; row 3 masks nothing */
	CHECK_INT(mh_row_masked(&s, rows, 2, work, 256, &masked, &unc), MH_BOX_OK, "mask ok");
	CHECK(!masked, "row 3 not masked by rows 1-2");
	CHECK_INT(row3(&s, "[80..83]", "late_elderly", "true", &rows[6]), MH_BOX_OK, "row 7");
	CHECK_INT(mh_row_masked(&s, rows, 6, work, 256, &masked, &unc), MH_BOX_OK, "mask ok");
	CHECK(masked, "row 7 masked by row 2");
	CHECK(!unc, "masking certain");
	/* masked by the union, not by any single row */
	CHECK_INT(row3(&s, "[70..90)", "late_elderly", "-", &rows[7]), MH_BOX_OK, "row 8");
	CHECK_INT(mh_row_masked(&s, rows, 7, work, 256, &masked, &unc), MH_BOX_OK, "mask ok");
	CHECK(masked, "row 8 masked by the union of rows 3, 4 and 5");

	/* opaque cells: gaps are never wrongly denied */
	CHECK_INT(row3(&s, "< param(a)", "-", "-", &rows[0]), MH_BOX_OK, "param row");
	CHECK_INT(row3(&s, ">= param(a)", "-", "-", &rows[1]), MH_BOX_OK, "param row");
	CHECK_INT(mh_rows_gaps(&s, rows, 2, work, 256, &n, &unc), MH_BOX_OK, "gaps ok");
	CHECK(n == 1 && unc, "a possible gap, flagged uncertain");
	CHECK(mh_rows_overlap(&s, &rows[0], &rows[1], &w, &unc) && unc, "a possible overlap, uncertain");
	CHECK_INT(mh_row_masked(&s, rows, 1, work, 256, &masked, &unc), MH_BOX_OK, "mask ok");
	CHECK(!masked && unc, "not claimed masked, uncertain");

	/* nullable dimension: "-" covers NULL, true/false do not */
	space3(&s, true);
	CHECK_INT(row3(&s, "-", "-", "true", &rows[0]), MH_BOX_OK, "true row");
	CHECK_INT(row3(&s, "-", "-", "false", &rows[1]), MH_BOX_OK, "false row");
	CHECK_INT(mh_rows_gaps(&s, rows, 2, work, 256, &n, &unc), MH_BOX_OK, "gaps ok");
	CHECK(n == 1 && work[0].v[2].has_null && work[0].v[2].mask == 0, "the gap is care_needs null");
	CHECK_INT(row3(&s, "-", "-", "null", &rows[2]), MH_BOX_OK, "null row");
	CHECK_INT(mh_rows_gaps(&s, rows, 3, work, 256, &n, &unc), MH_BOX_OK, "gaps ok");
	CHECK_INT(n, 0, "null closes the gap");
	CHECK_INT(row3(&s, "-", "-", "not(true)", &rows[3]), MH_BOX_OK, "not(true) row");
	CHECK(!rows[3].box.v[2].has_null && rows[3].box.v[2].mask == 1, "not(true) is false, not NULL");

	/* capacity: a result that does not fit is an error, not a short answer */
	space3(&s, false);
	CHECK_INT(row3(&s, "1, 3, 5, 7, 9", "kyokai_kenpo", "true", &rows[0]), MH_BOX_OK, "sparse row");
	CHECK_INT(mh_rows_gaps(&s, rows, 1, work, 2, &n, &unc), MH_BOX_TOO_MANY, "too many gaps");
}

/* The date primitives agree with the national age rule, day by day. */
static void
test_dates(void)
{
	mh_day		b,
				r;
	int			bad = 0;

	for (b = mh_day_from_ymd(1995, 1, 1); b <= mh_day_from_ymd(2005, 12, 31); b += 3)
		for (int n = 0; n <= 100; n += 7)
		{
			if (!mh_birthday(b, n, &r) || mh_age_on(b, r) < n || mh_age_on(b, r - 1) >= n)
				bad++;
		}
	CHECK_INT(bad, 0, "the n-th birthday is the first day of age n, for every 3rd birth day of 1995-2005");
	CHECK(mh_birthday(mh_day_from_ymd(1952, 2, 29), 75, &r) && r == mh_day_from_ymd(2027, 3, 1),
		  "29 February 1952: the 75th birthday is 1 March 2027");
	CHECK(mh_birthday(mh_day_from_ymd(1952, 2, 29), 72, &r) && r == mh_day_from_ymd(2024, 2, 29),
		  "and 29 February 2024 in a leap year");
	CHECK(!mh_birthday(b, -1, &r), "a negative birthday is refused");
	CHECK(mh_birthday(MH_DAY_MAX, 5, &r) && r == MH_DAY_MAX, "infinity stays infinite");

	bad = 0;
	for (mh_day d = mh_day_from_ymd(2023, 1, 1); d <= mh_day_from_ymd(2029, 12, 31); d++)
	{
		int			y,
					m,
					dd;
		mh_day		x;

		if (!mh_next_month_day(d, 7, 31, &r))
		{
			bad++;
			continue;
		}
		mh_ymd_from_day(r, &y, &m, &dd);
		if (r < d || m != 7 || dd != 31)
			bad++;
		for (x = d; x < r; x++)
		{
			mh_ymd_from_day(x, &y, &m, &dd);
			if (m == 7 && dd == 31)
				bad++;
		}
	}
	CHECK_INT(bad, 0, "the next 7月31日 is on or after the day and none is skipped, 2023-2029");
	CHECK(mh_next_month_day(mh_day_from_ymd(2025, 3, 1), 2, 29, &r) && r == mh_day_from_ymd(2028, 2, 29),
		  "the next 29 February is in the next leap year");
	CHECK(!mh_next_month_day(mh_day_from_ymd(2025, 3, 1), 2, 30, &r), "2/30 is refused");
	CHECK(!mh_next_month_day(mh_day_from_ymd(2025, 3, 1), 4, 31, &r), "4/31 is refused");
	CHECK(!mh_next_month_day(mh_day_from_ymd(2025, 3, 1), 13, 1, &r), "month 13 is refused");
}

int
main(void)
{
	test_parse_accepts();
	test_parse_refuses();
	test_value_sets();
	test_boxes();
	test_dates();
	UNIT_DONE();
}
