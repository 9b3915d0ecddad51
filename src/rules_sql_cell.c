/*
 * rules_sql_cell.c: the opaque sql: cells of the rule engine, parsed and
 * analysed by PostgreSQL's own parser, checked against the catalog and
 * written back as SQL from the analysed tree.
 *
 * An sql: cell is a boolean predicate over the declared facts and day.  Its
 * text never reaches a compiled decision: rule_sql_cell_sql parses it as the
 * one target of a SELECT (a semicolon, comment or dollar sign is refused
 * before), analyses it with every bare name bound to a fact (a parameter of
 * the fact's type) and the functions and operators resolved with pg_catalog
 * alone on the search path (a look-alike in public or any other schema is
 * never found; mynahoken's functions are named with their schema), and then
 * writes the analysed expression again, node by node, from a short list of
 * node kinds: every function and operator schema-qualified by OID, every
 * constant a quoted literal cast to its schema-qualified type, every fact
 * the caller's SQL for it.  Functions and operators must be IMMUTABLE and
 * belong to pg_catalog or mynahoken; subqueries, aggregates, window
 * functions, set-returning functions, collations and other node kinds are
 * refused; the values are of a short list of scalar types.
 *
 * The parser's own errors would quote the cell: they are caught (a
 * subtransaction, as PL/pgSQL's exception blocks do) and reported as one
 * message with the SQLSTATE and the character position only.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "mynahoken.h"
#include "rules.h"

/* The facts a cell may name, bound as parameters $1..$n. */
typedef struct SqlCellFacts
{
	int			n;
	char	  **names;
	Oid		   *types;
	char	  **sql;			/* per fact its SQL, or NULL (validation only) */
	bool	   *used;
	Oid			mh_namespace;
	Node	   *case_arg;		/* inside a simple CASE: its operand */
} SqlCellFacts;

static Oid
fact_type_oid(const char *t)
{
	if (strcmp(t, "int") == 0)
		return INT4OID;
	if (strcmp(t, "date") == 0)
		return DATEOID;
	if (strcmp(t, "boolean") == 0)
		return BOOLOID;
	if (strcmp(t, "enum") == 0 || strcmp(t, "text") == 0)
		return TEXTOID;
	mh_sensitive_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown fact type")));
	return InvalidOid;
}

/* A bare name is a fact (a parameter of its type); anything else is not. */
static Node *
sql_cell_columnref(ParseState *pstate, ColumnRef *cref)
{
	SqlCellFacts *facts = (SqlCellFacts *) pstate->p_ref_hook_state;

	if (list_length(cref->fields) == 1 && IsA(linitial(cref->fields), String))
	{
		const char *name = strVal(linitial(cref->fields));

		for (int i = 0; i < facts->n; i++)
			if (strcmp(facts->names[i], name) == 0)
			{
				Param	   *p = makeNode(Param);

				p->paramkind = PARAM_EXTERN;
				p->paramid = i + 1;
				p->paramtype = facts->types[i];
				p->paramtypmod = -1;
				p->paramcollid = get_typcollation(facts->types[i]);
				p->location = cref->location;
				return (Node *) p;
			}
	}
	/* caught by sql_cell_analyse, which reports it without the name */
	mh_sensitive_ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg_internal("not a fact")));
	return NULL;
}

static void
sql_cell_refuse_text(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == ';' || *p == '$' || (p[0] == '-' && p[1] == '-') ||
			(p[0] == '/' && p[1] == '*'))
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("an sql: cell may not contain a semicolon, a comment or a dollar sign"),
					 errdetail("The cell is one predicate over the facts, written without them.")));
}

/* Parse and analyse; the parser's errors are reported without the text. */
static Node *
sql_cell_analyse(const char *pred, SqlCellFacts *facts)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *query = psprintf("SELECT %s", pred);
	Node	   *expr = NULL;
	bool		unknown_fact = false;
	int			errcode_ = 0;
	int			cursorpos = 0;
	bool		bad_shape = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		OverrideSearchPath path = {0};
		List	   *raw;
		SelectStmt *sel = NULL;

		/* pg_catalog alone: no other schema's look-alike is ever found */
		path.schemas = NIL;
		path.addCatalog = true;
		path.addTemp = false;
		PushOverrideSearchPath(&path);
		raw = raw_parser(query, RAW_PARSE_DEFAULT);
		if (list_length(raw) == 1 && IsA(((RawStmt *) linitial(raw))->stmt, SelectStmt))
			sel = (SelectStmt *) ((RawStmt *) linitial(raw))->stmt;
		if (sel == NULL || sel->op != SETOP_NONE || list_length(sel->targetList) != 1 ||
			sel->distinctClause || sel->intoClause || sel->fromClause ||
			sel->whereClause || sel->groupClause || sel->havingClause ||
			sel->windowClause || sel->valuesLists || sel->sortClause ||
			sel->limitOffset || sel->limitCount || sel->lockingClause ||
			sel->withClause || ((ResTarget *) linitial(sel->targetList))->name ||
			(IsA(((ResTarget *) linitial(sel->targetList))->val, ColumnRef) &&
			 IsA(llast(((ColumnRef *) ((ResTarget *) linitial(sel->targetList))->val)->fields), A_Star)))
			bad_shape = true;
		else
		{
			ParseState *pstate = make_parsestate(NULL);

			pstate->p_sourcetext = query;
			pstate->p_pre_columnref_hook = sql_cell_columnref;
			pstate->p_ref_hook_state = facts;
			expr = transformExpr(pstate, ((ResTarget *) linitial(sel->targetList))->val,
								 EXPR_KIND_SELECT_TARGET);
			free_parsestate(pstate);
		}
		PopOverrideSearchPath();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		errcode_ = edata->sqlerrcode;
		cursorpos = edata->cursorpos;
		unknown_fact = edata->sqlerrcode == ERRCODE_UNDEFINED_COLUMN;
		FreeErrorData(edata);
	}
	PG_END_TRY();

	if (unknown_fact)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("an sql: cell names something that is not a declared fact"),
				 errdetail("A name in the cell is a fact or day; functions of mynahoken are named with their schema.")));
	if (errcode_ == ERRCODE_UNDEFINED_FUNCTION)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("an sql: cell calls a function or operator that is not in pg_catalog"),
				 errdetail("Names are looked up in pg_catalog alone; a function of mynahoken is named with its schema.")));
	if (errcode_ != 0)
		mh_sensitive_ereport(ERROR,
				(errcode(errcode_),
				 errmsg("an sql: cell is not a valid predicate"),
				 cursorpos > 7 ? errdetail("PostgreSQL's parser refused it at character %d.", cursorpos - 7)
				 : errdetail("PostgreSQL's parser refused it.")));
	if (bad_shape)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("an sql: cell must be one expression"),
				 errdetail("A FROM, WHERE, UNION, alias or other clause is not part of a cell.")));
	if (exprType(expr) != BOOLOID)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("an sql: cell must be a boolean predicate")));
	return expr;
}

/* The constructs a cell may not contain, each its own message. */
typedef enum
{
	REFUSE_SUBQUERY,
	REFUSE_AGGREGATE,
	REFUSE_COLLATE,
	REFUSE_ROW,
	REFUSE_MULTIDIM,
	REFUSE_OTHER
} Refusal;

static void
refuse_construct(Refusal what)
{
	switch (what)
	{
		case REFUSE_SUBQUERY:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell may not contain a subquery")));
			break;
		case REFUSE_AGGREGATE:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell may not contain an aggregate, window or set-returning function")));
			break;
		case REFUSE_COLLATE:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell may not contain a COLLATE clause")));
			break;
		case REFUSE_ROW:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell may not contain a row value")));
			break;
		case REFUSE_MULTIDIM:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell may not contain a multidimensional array")));
			break;
		case REFUSE_OTHER:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell uses a construct that is not supported"),
					 errdetail("A cell uses operators, functions, CASE, COALESCE, NULLIF, GREATEST, LEAST, IS [NOT] NULL, IS [NOT] DISTINCT FROM, IN, ANY, ALL, ARRAY[...] and casts.")));
			break;
	}
}

/* Only plain scalar types (no reg* or oid types that name objects). */
static void
check_type(Oid type)
{
	switch (type)
	{
		case BOOLOID: case INT2OID: case INT4OID: case INT8OID:
		case NUMERICOID: case FLOAT4OID: case FLOAT8OID:
		case TEXTOID: case VARCHAROID: case BPCHAROID:
		case DATEOID: case INTERVALOID: case TIMESTAMPOID:
		case BOOLARRAYOID: case INT2ARRAYOID: case INT4ARRAYOID: case INT8ARRAYOID:
		case NUMERICARRAYOID: case TEXTARRAYOID: case DATEARRAYOID:
			return;
		default:
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an sql: cell may compute only with booleans, numbers, text, dates and intervals"),
					 errdetail("Type %s is not one of them.", format_type_be(type))));
	}
}

/* A function the cell calls: IMMUTABLE, an ordinary function, pg_catalog or mynahoken. */
static void
check_function(Oid fn, SqlCellFacts *facts)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc p;
	bool		schema_ok,
				immutable,
				plain;

	if (!HeapTupleIsValid(tup))
		mh_elog(ERROR, "cache lookup failed for function %u", fn);
	p = (Form_pg_proc) GETSTRUCT(tup);
	schema_ok = p->pronamespace == PG_CATALOG_NAMESPACE || p->pronamespace == facts->mh_namespace;
	immutable = p->provolatile == PROVOLATILE_IMMUTABLE;
	plain = p->prokind == PROKIND_FUNCTION && !p->proretset && !p->prosecdef;
	ReleaseSysCache(tup);
	if (!schema_ok)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("an sql: cell may call only functions and operators of pg_catalog and mynahoken")));
	if (!immutable)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("an sql: cell may call only immutable functions and operators")));
	if (!plain)
		refuse_construct(REFUSE_AGGREGATE);
}

static bool
check_function_walker(Oid fn, void *context)
{
	check_function(fn, (SqlCellFacts *) context);
	return false;
}

static void
append_type(StringInfo out, Oid type, int32 typmod)
{
	check_type(type);
	appendStringInfoString(out, format_type_extended(type, typmod, FORMAT_TYPE_FORCE_QUALIFY | FORMAT_TYPE_TYPEMOD_GIVEN));
}

static void emit(Node *node, StringInfo out, SqlCellFacts *facts);

static void
emit_operator(Oid opno, StringInfo out, SqlCellFacts *facts)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator o;
	Oid			nsp;
	char	   *name;

	if (!HeapTupleIsValid(tup))
		mh_elog(ERROR, "cache lookup failed for operator %u", opno);
	o = (Form_pg_operator) GETSTRUCT(tup);
	nsp = o->oprnamespace;
	name = pstrdup(NameStr(o->oprname));
	check_function(o->oprcode, facts);
	ReleaseSysCache(tup);
	if (nsp != PG_CATALOG_NAMESPACE && nsp != facts->mh_namespace)
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("an sql: cell may call only functions and operators of pg_catalog and mynahoken")));
	appendStringInfo(out, " OPERATOR(%s.%s) ", quote_identifier(get_namespace_name(nsp)), name);
}

static void
emit_list(List *args, StringInfo out, SqlCellFacts *facts, const char *sep)
{
	ListCell   *lc;

	foreach(lc, args)
	{
		if (lc != list_head(args))
			appendStringInfoString(out, sep);
		emit((Node *) lfirst(lc), out, facts);
	}
}

/* Write an analysed node as SQL, every name qualified. */
static void
emit(Node *node, StringInfo out, SqlCellFacts *facts)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (node == NULL)
		mh_elog(ERROR, "unexpected empty node in an sql: cell");
	/* functions of every node that calls one: operators, casts, I/O */
	(void) check_functions_in_node(node, check_function_walker, facts);
	switch (nodeTag(node))
	{
		case T_Param:
			{
				Param	   *p = (Param *) node;
				int			i = p->paramid - 1;

				facts->used[i] = true;
				if (facts->sql && facts->sql[i])
					appendStringInfo(out, "CAST((%s) AS %s)", facts->sql[i],
									 format_type_extended(facts->types[i], -1, FORMAT_TYPE_FORCE_QUALIFY));
				else
					appendStringInfoString(out, quote_identifier(facts->names[i]));
				break;
			}
		case T_Const:
			{
				Const	   *c = (Const *) node;

				appendStringInfoString(out, "CAST(");
				if (c->constisnull)
					appendStringInfoString(out, "NULL");
				else
				{
					Oid			fn;
					bool		varlena;

					check_type(c->consttype);
					getTypeOutputInfo(c->consttype, &fn, &varlena);
					appendStringInfoString(out, quote_literal_cstr(OidOutputFunctionCall(fn, c->constvalue)));
				}
				appendStringInfoString(out, " AS ");
				append_type(out, c->consttype, c->consttypmod);
				appendStringInfoChar(out, ')');
				break;
			}
		case T_FuncExpr:
			{
				FuncExpr   *f = (FuncExpr *) node;
				ListCell   *lc;

				if (f->funcretset)
					refuse_construct(REFUSE_AGGREGATE);
				appendStringInfo(out, "%s(", quote_qualified_identifier(get_namespace_name(get_func_namespace(f->funcid)),
																		 get_func_name(f->funcid)));
				foreach(lc, f->args)
				{
					if (lc != list_head(f->args))
						appendStringInfoString(out, ", ");
					if (f->funcvariadic && lnext(f->args, lc) == NULL)
						appendStringInfoString(out, "VARIADIC ");
					emit((Node *) lfirst(lc), out, facts);
				}
				appendStringInfoChar(out, ')');
				break;
			}
		case T_OpExpr:
			{
				OpExpr	   *o = (OpExpr *) node;

				if (o->opretset)
					refuse_construct(REFUSE_AGGREGATE);
				appendStringInfoChar(out, '(');
				if (list_length(o->args) == 2)
					emit(linitial(o->args), out, facts);
				emit_operator(o->opno, out, facts);
				emit(llast(o->args), out, facts);
				appendStringInfoChar(out, ')');
				break;
			}
		case T_DistinctExpr:
			{
				/* a IS DISTINCT FROM b, written with the = operator found */
				OpExpr	   *o = (OpExpr *) node;

				appendStringInfoString(out, "(CASE WHEN (");
				emit(linitial(o->args), out, facts);
				appendStringInfoString(out, ") IS NULL THEN (");
				emit(lsecond(o->args), out, facts);
				appendStringInfoString(out, ") IS NOT NULL WHEN (");
				emit(lsecond(o->args), out, facts);
				appendStringInfoString(out, ") IS NULL THEN true ELSE NOT (");
				emit(linitial(o->args), out, facts);
				emit_operator(o->opno, out, facts);
				emit(lsecond(o->args), out, facts);
				appendStringInfoString(out, ") END)");
				break;
			}
		case T_NullIfExpr:
			{
				OpExpr	   *o = (OpExpr *) node;

				appendStringInfoString(out, "(CASE WHEN (");
				emit(linitial(o->args), out, facts);
				emit_operator(o->opno, out, facts);
				emit(lsecond(o->args), out, facts);
				appendStringInfoString(out, ") THEN CAST(NULL AS ");
				append_type(out, o->opresulttype, -1);
				appendStringInfoString(out, ") ELSE ");
				emit(linitial(o->args), out, facts);
				appendStringInfoString(out, " END)");
				break;
			}
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *s = (ScalarArrayOpExpr *) node;

				appendStringInfoChar(out, '(');
				emit(linitial(s->args), out, facts);
				emit_operator(s->opno, out, facts);
				appendStringInfoString(out, s->useOr ? "ANY (" : "ALL (");
				emit(lsecond(s->args), out, facts);
				appendStringInfoString(out, "))");
				break;
			}
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) node;

				appendStringInfoChar(out, '(');
				if (b->boolop == NOT_EXPR)
				{
					appendStringInfoString(out, "NOT ");
					emit(linitial(b->args), out, facts);
				}
				else
					emit_list(b->args, out, facts, b->boolop == AND_EXPR ? " AND " : " OR ");
				appendStringInfoChar(out, ')');
				break;
			}
		case T_NullTest:
			{
				NullTest   *t = (NullTest *) node;

				if (t->argisrow)
					refuse_construct(REFUSE_ROW);
				appendStringInfoString(out, "((");
				emit((Node *) t->arg, out, facts);
				appendStringInfoString(out, t->nulltesttype == IS_NULL ? ") IS NULL)" : ") IS NOT NULL)");
				break;
			}
		case T_BooleanTest:
			{
				BooleanTest *t = (BooleanTest *) node;
				static const char *const tests[] = {") IS TRUE)", ") IS NOT TRUE)", ") IS FALSE)",
				") IS NOT FALSE)", ") IS UNKNOWN)", ") IS NOT UNKNOWN)"};

				appendStringInfoString(out, "((");
				emit((Node *) t->arg, out, facts);
				appendStringInfoString(out, tests[t->booltesttype]);
				break;
			}
		case T_CaseExpr:
			{
				/* a simple CASE is written as a searched one */
				CaseExpr   *c = (CaseExpr *) node;
				Node	   *saved = facts->case_arg;
				ListCell   *lc;

				facts->case_arg = (Node *) c->arg;
				appendStringInfoString(out, "(CASE");
				foreach(lc, c->args)
				{
					CaseWhen   *w = lfirst_node(CaseWhen, lc);

					appendStringInfoString(out, " WHEN ");
					emit((Node *) w->expr, out, facts);
					appendStringInfoString(out, " THEN ");
					facts->case_arg = NULL;
					emit((Node *) w->result, out, facts);
					facts->case_arg = (Node *) c->arg;
				}
				facts->case_arg = NULL;
				appendStringInfoString(out, " ELSE ");
				if (c->defresult)
					emit((Node *) c->defresult, out, facts);
				else
				{
					appendStringInfoString(out, "CAST(NULL AS ");
					append_type(out, c->casetype, -1);
					appendStringInfoChar(out, ')');
				}
				appendStringInfoString(out, " END)");
				facts->case_arg = saved;
				break;
			}
		case T_CaseTestExpr:
			if (facts->case_arg == NULL)
				refuse_construct(REFUSE_OTHER);
			emit(facts->case_arg, out, facts);
			break;
		case T_CoalesceExpr:
			appendStringInfoString(out, "COALESCE(");
			emit_list(((CoalesceExpr *) node)->args, out, facts, ", ");
			appendStringInfoChar(out, ')');
			break;
		case T_MinMaxExpr:
			appendStringInfoString(out, ((MinMaxExpr *) node)->op == IS_GREATEST ? "GREATEST(" : "LEAST(");
			emit_list(((MinMaxExpr *) node)->args, out, facts, ", ");
			appendStringInfoChar(out, ')');
			break;
		case T_ArrayExpr:
			{
				ArrayExpr  *a = (ArrayExpr *) node;

				if (a->multidims)
					refuse_construct(REFUSE_MULTIDIM);
				appendStringInfoString(out, "CAST(ARRAY[");
				emit_list(a->elements, out, facts, ", ");
				appendStringInfoString(out, "] AS ");
				append_type(out, a->array_typeid, -1);
				appendStringInfoChar(out, ')');
				break;
			}
		case T_RelabelType:
			appendStringInfoString(out, "CAST(");
			emit((Node *) ((RelabelType *) node)->arg, out, facts);
			appendStringInfoString(out, " AS ");
			append_type(out, ((RelabelType *) node)->resulttype, ((RelabelType *) node)->resulttypmod);
			appendStringInfoChar(out, ')');
			break;
		case T_CoerceViaIO:
			appendStringInfoString(out, "CAST(");
			emit((Node *) ((CoerceViaIO *) node)->arg, out, facts);
			appendStringInfoString(out, " AS ");
			append_type(out, ((CoerceViaIO *) node)->resulttype, -1);
			appendStringInfoChar(out, ')');
			break;
		case T_SubLink:
			refuse_construct(REFUSE_SUBQUERY);
			break;
		case T_Aggref:
		case T_WindowFunc:
		case T_GroupingFunc:
			refuse_construct(REFUSE_AGGREGATE);
			break;
		case T_CollateExpr:
			refuse_construct(REFUSE_COLLATE);
			break;
		default:
			refuse_construct(REFUSE_OTHER);
	}
	check_type(exprType(node));
}

static char *
sql_cell_compile(FunctionCallInfo fcinfo, SqlCellFacts *facts, bool with_sql)
{
	char	   *pred = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Datum	   *names,
			   *types,
			   *sqls = NULL;
	bool	   *nn,
			   *tn,
			   *sn = NULL;
	int			n,
				nt,
				ns = 0;
	Node	   *expr;
	StringInfoData out;
	int			nest;

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT, &names, &nn, &n);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TEXTOID, -1, false, TYPALIGN_INT, &types, &tn, &nt);
	if (with_sql)
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), TEXTOID, -1, false, TYPALIGN_INT, &sqls, &sn, &ns);
	if (n != nt || (with_sql && n != ns))
		mh_sensitive_ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the arrays of facts, types and SQL must have the same length")));
	facts->n = n;
	facts->names = palloc0(sizeof(char *) * (n + 1));
	facts->types = palloc0(sizeof(Oid) * (n + 1));
	facts->sql = with_sql ? palloc0(sizeof(char *) * (n + 1)) : NULL;
	facts->used = palloc0(sizeof(bool) * (n + 1));
	facts->mh_namespace = get_namespace_oid("mynahoken", false);
	facts->case_arg = NULL;
	for (int i = 0; i < n; i++)
	{
		if (nn[i] || tn[i])
			mh_sensitive_ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a fact or its type is NULL")));
		facts->names[i] = TextDatumGetCString(names[i]);
		facts->types[i] = fact_type_oid(TextDatumGetCString(types[i]));
		if (with_sql && !sn[i])
			facts->sql[i] = TextDatumGetCString(sqls[i]);
	}
	sql_cell_refuse_text(pred);
	expr = sql_cell_analyse(pred, facts);

	/* constants written as ISO dates and exact numbers, whatever the session's style */
	nest = NewGUCNestLevel();
	(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	initStringInfo(&out);
	emit(expr, &out, facts);
	AtEOXact_GUC(true, nest);
	if (with_sql)
		for (int i = 0; i < n; i++)
			if (facts->used[i] && facts->sql[i] == NULL)
				mh_sensitive_ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a fact the sql: cell reads has no SQL")));
	return out.data;
}

PG_FUNCTION_INFO_V1(mynahoken_rule_sql_cell_sql);
Datum
mynahoken_rule_sql_cell_sql(PG_FUNCTION_ARGS)
{
	SqlCellFacts facts;

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("(%s)", sql_cell_compile(fcinfo, &facts, true))));
}

PG_FUNCTION_INFO_V1(mynahoken_rule_sql_cell_facts);
Datum
mynahoken_rule_sql_cell_facts(PG_FUNCTION_ARGS)
{
	SqlCellFacts facts;
	Datum	   *out;
	int			k = 0;

	(void) sql_cell_compile(fcinfo, &facts, false);
	out = palloc(sizeof(Datum) * (facts.n + 1));
	for (int i = 0; i < facts.n; i++)
		if (facts.used[i])
			out[k++] = CStringGetTextDatum(facts.names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, k, TEXTOID, -1, false, TYPALIGN_INT));
}
