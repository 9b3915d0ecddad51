-- DMN interop (issue 15): decision tables drawn in a modeler (Camunda
-- Modeler, Trisotech, the KIE editors) and saved as DMN 1.3, 1.4 or 1.5 XML
-- are imported into draft versions of rule tables, and a rule version is
-- exported back as DMN 1.3.  See doc/rules.md, "Authoring in a modeler".
--
-- The XML is read with PostgreSQL's xml type (libxml2: XMLTABLE and XPath),
-- never by a parser of our own.  FEEL unary tests are translated by the
-- PL/pgSQL below into the cell language, whose C parser (rule_cell.c) then
-- checks every cell as for a grid: the translation only rewrites tokens
-- (date("2026-08-01") -> 2026-08-01, ]a..b[ -> (a..b), not(null) -> not
-- null), so the one cell parser stays the judge and no second grammar needs
-- a fuzz target.  A construct outside the subset is refused, never
-- approximated.

-- One endpoint of a FEEL unary test, from token i: the cell text, the next
-- token, or the problem.
CREATE FUNCTION mynahoken.rule_feel_endpoint(toks text[], kinds text[], poss integer[], i integer,
                                             fact_type text,
                                             OUT cell text, OUT next integer, OUT sqlstate text, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t text := toks[i];
  k text := kinds[i];
  v text;
BEGIN
  next := i + 1;
  IF t IS NULL THEN
    sqlstate := '22P02';
    problem := mynahoken.gettext('the entry ends in the middle of a test');
    RETURN;
  END IF;
  IF k = 'str' THEN
    -- FEEL escapes \" \\ \n \t; the cell language doubles its quotes
    v := replace(replace(replace(replace(replace(substr(t, 2, length(t) - 2),
           '\\', E'\x01'), '\"', '"'), '\n', E'\n'), '\t', E'\t'), E'\x01', '\');
    IF fact_type = 'enum' AND v ~ '^[a-z_][a-z0-9_]*$' THEN
      cell := v;
    ELSE
      cell := '"' || replace(v, '"', '""') || '"';
    END IF;
  ELSIF k = 'num' THEN
    IF strpos(t, '.') > 0 THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('a decimal literal at character %s: the engine''s numbers are whole numbers'), poss[i]);
      RETURN;
    END IF;
    cell := t;
  ELSIF t = '-' AND kinds[i + 1] = 'num' AND strpos(toks[i + 1], '.') = 0 THEN
    cell := '-' || toks[i + 1];
    next := i + 2;
  ELSIF k = 'name' AND t = 'date' THEN
    IF toks[i + 1] IS DISTINCT FROM '(' OR kinds[i + 2] IS DISTINCT FROM 'str' OR toks[i + 3] IS DISTINCT FROM ')'
       OR toks[i + 2] !~ '^"[0-9]{4}-[0-9]{2}-[0-9]{2}"$' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('date() other than date("YYYY-MM-DD") at character %s'), poss[i]);
      RETURN;
    END IF;
    cell := substr(toks[i + 2], 2, 10);
    next := i + 4;
  ELSIF k = 'name' AND t = 'param' THEN
    IF toks[i + 1] IS DISTINCT FROM '(' OR kinds[i + 2] IS DISTINCT FROM 'name' OR toks[i + 3] IS DISTINCT FROM ')'
       OR toks[i + 2] !~ '^[a-z_][a-z0-9_]*$' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('param() other than param(name) at character %s'), poss[i]);
      RETURN;
    END IF;
    cell := 'param(' || toks[i + 2] || ')';
    next := i + 4;
  ELSIF k = 'name' AND toks[i + 1] = '(' THEN
    sqlstate := '0A000';
    -- the function's name is grammar, not a value: named unless it holds a run of digits
    IF t !~ '[0-9]{4}' THEN
      problem := pg_catalog.format(mynahoken.gettext('the function call %s( at character %s: only date(), param() and not() are imported'), t, poss[i]);
    ELSE
      problem := pg_catalog.format(mynahoken.gettext('a function call other than date(), param() and not() at character %s'), poss[i]);
    END IF;
    RETURN;
  ELSIF k = 'name' AND t = 'null' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('null inside a list, a comparison or a range at character %s'), poss[i]);
    RETURN;
  ELSIF k = 'name' AND t IN ('and', 'or', 'if', 'then', 'else', 'for', 'some', 'every', 'in', 'between',
                              'instance', 'of', 'function', 'satisfies', 'return') THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('the FEEL keyword "%s" at character %s: only unary tests are imported'),
                                 CASE t WHEN 'instance' THEN 'instance of' ELSE t END, poss[i]);
    RETURN;
  ELSIF k = 'name' AND t ~ '^[a-z_][a-z0-9_]*$' THEN
    -- true, false, day, or another fact: the cell parser and the checks judge it
    cell := t;
  ELSIF k = 'name' THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('a name at character %s that is not a fact of the engine (lower case letters, digits and _)'), poss[i]);
    RETURN;
  ELSE
    -- strings and numbers are read above: an operator or a bracket
    sqlstate := '22P02';
    problem := pg_catalog.format(mynahoken.gettext('unexpected "%s" at character %s'), t, poss[i]);
    RETURN;
  END IF;
  IF toks[next] IN ('+', '-', '*', '/', '**') THEN
    sqlstate := '0A000';
    problem := pg_catalog.format(mynahoken.gettext('the arithmetic operator "%s" at character %s'), toks[next], poss[next]);
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_endpoint(text[], text[], integer[], integer, text) IS
  'Internal: one endpoint of a FEEL unary test (number, string, date("YYYY-MM-DD"), true, false, param(name), day, a fact) from token i as cell text, the next token, or a SQLSTATE (22P02, 0A000) and the problem naming the construct (operator, keyword, function name) and the character, never a value';

CREATE FUNCTION mynahoken.rule_feel_translate(feel text, fact_type text,
                                              OUT cell text, OUT sqlstate text, OUT problem text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  toks text[] := '{}';
  kinds text[] := '{}';
  poss integer[] := '{}';
  pos integer := 1;
  n integer;
  m record;
  fast text[];
  k text;
  i integer;
  last integer;
  neg boolean := false;
  items text[] := '{}';
  item text;
  e record;
  lo text;
BEGIN
  IF feel IS NULL OR fact_type IS NULL THEN
    RETURN;
  END IF;
  -- the common entries in one match: a constant, a comparison with one, a range of two
  fast := regexp_match(feel, '^\s*(<=|>=|<|>|=)?\s*(-?[0-9]+|true|false|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*$');
  IF fast IS NOT NULL THEN
    cell := coalesce(nullif(fast[1], '=') || ' ', '')
            || CASE WHEN fast[2] LIKE 'date(%' THEN substr(fast[2], 7, 10) ELSE fast[2] END;
    RETURN;
  END IF;
  fast := regexp_match(feel, '^\s*([][(])\s*(-?[0-9]+|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*\.\.\s*(-?[0-9]+|date\("[0-9]{4}-[0-9]{2}-[0-9]{2}"\))\s*([][)])\s*$');
  IF fast IS NOT NULL THEN
    cell := CASE fast[1] WHEN '[' THEN '[' ELSE '(' END
            || CASE WHEN fast[2] LIKE 'date(%' THEN substr(fast[2], 7, 10) ELSE fast[2] END || '..'
            || CASE WHEN fast[3] LIKE 'date(%' THEN substr(fast[3], 7, 10) ELSE fast[3] END
            || CASE fast[4] WHEN ']' THEN ']' ELSE ')' END;
    RETURN;
  END IF;
  n := length(feel);
  -- one pass: every character falls in one group (the last: anything else)
  FOR m IN
    SELECT x.g[1] AS sp, x.g[2] AS str, x.g[3] AS num, x.g[4] AS op, x.g[5] AS name, x.g[6] AS bad
      FROM regexp_matches(feel, '(\s+)|("(?:[^"\\]|\\.)*")|([0-9]+(?:\.[0-9]+)?|\.[0-9]+)|(\.\.|<=|>=|!=|\*\*|[][()<>=,+*/?-])|([A-Za-z_][A-Za-z0-9_]*)|(.)', 'g') WITH ORDINALITY AS x(g, o)
     ORDER BY x.o
  LOOP
    IF m.bad IS NOT NULL THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('unexpected character at character %s'), pos);
      RETURN;
    ELSIF m.sp IS NULL THEN
      k := CASE WHEN m.str IS NOT NULL THEN 'str' WHEN m.num IS NOT NULL THEN 'num' WHEN m.op IS NOT NULL THEN 'op' ELSE 'name' END;
      toks := toks || coalesce(m.str, m.num, m.op, m.name);
      kinds := kinds || k;
      poss := poss || pos;
    END IF;
    pos := pos + length(coalesce(m.sp, m.str, m.num, m.op, m.name));
  END LOOP;
  -- an empty entry is "does not matter", as the modelers show it
  IF cardinality(toks) = 0 OR (cardinality(toks) = 1 AND toks[1] = '-') THEN
    cell := '-';
    RETURN;
  END IF;
  -- the first of a "?" test and a function call (other than date(),
  -- param(), not()) is the construct named; a built-in function of several
  -- words (starts with, date and time ...) is named whole
  FOR i IN 1 .. cardinality(toks) LOOP
    IF toks[i] = '?' AND kinds[i] = 'op' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('an expression test with "?" at character %s'), poss[i]);
      RETURN;
    END IF;
    CONTINUE WHEN kinds[i] IS DISTINCT FROM 'name' OR (i > 1 AND kinds[i - 1] = 'name');
    item := NULL;
    FOR last IN REVERSE least(i + 3, cardinality(toks) - 1) .. i + 1 LOOP
      IF toks[last + 1] = '(' AND array_to_string(toks[i:last], ' ') IN (
           'date and time', 'starts with', 'ends with', 'string length', 'upper case', 'lower case',
           'substring before', 'substring after', 'list contains', 'insert before', 'index of',
           'distinct values', 'string join', 'get value', 'get entries', 'day of year', 'day of week',
           'month of year', 'week of year', 'years and months duration', 'is defined', 'get or else',
           'met by', 'overlaps before', 'overlaps after', 'finished by', 'started by')
         AND kinds[i:last] <@ ARRAY['name'] THEN
        item := array_to_string(toks[i:last], ' ');
        EXIT;
      END IF;
    END LOOP;
    IF item IS NULL AND toks[i + 1] = '(' AND toks[i] NOT IN ('date', 'param', 'not') THEN
      -- the function's name is grammar, not a value: named unless it holds a run of digits
      item := CASE WHEN toks[i] !~ '[0-9]{4}' THEN toks[i] ELSE '' END;
    END IF;
    IF item = '' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('a function call other than date(), param() and not() at character %s'), poss[i]);
      RETURN;
    ELSIF item IS NOT NULL THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('the function call %s( at character %s: only date(), param() and not() are imported'), item, poss[i]);
      RETURN;
    END IF;
  END LOOP;
  item := NULL;
  i := 1;
  last := cardinality(toks);
  IF toks[1] = 'not' AND toks[2] = '(' THEN
    IF toks[last] IS DISTINCT FROM ')' THEN
      sqlstate := '22P02';
      problem := pg_catalog.format(mynahoken.gettext('not( without its closing ")" at character %s'), poss[1]);
      RETURN;
    END IF;
    neg := true;
    i := 3;
    last := last - 1;
  END IF;
  LOOP
    IF i > last THEN
      sqlstate := '22P02';
      problem := mynahoken.gettext('the entry ends in the middle of a test');
      RETURN;
    END IF;
    IF toks[i] = 'null' AND kinds[i] = 'name' THEN
      item := 'null';
      i := i + 1;
    ELSIF toks[i] IN ('<', '<=', '>', '>=', '=') THEN
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      item := CASE WHEN toks[i] = '=' THEN e.cell ELSE toks[i] || ' ' || e.cell END;
      i := e.next;
    ELSIF toks[i] = '!=' THEN
      sqlstate := '0A000';
      problem := pg_catalog.format(mynahoken.gettext('!= at character %s: write not(...)'), poss[i]);
      RETURN;
    ELSIF toks[i] IN ('[', '(', ']') AND kinds[i] = 'op' THEN
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      lo := CASE toks[i] WHEN '[' THEN '[' ELSE '(' END || e.cell;
      IF toks[e.next] IS DISTINCT FROM '..' THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('a range without ".." at character %s'), coalesce(poss[e.next], n + 1));
        RETURN;
      END IF;
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, e.next + 1, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      IF toks[e.next] IS NULL OR toks[e.next] NOT IN (']', ')', '[') OR e.next > last THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('a range without its closing bracket at character %s'), coalesce(poss[e.next], n + 1));
        RETURN;
      END IF;
      item := lo || '..' || e.cell || CASE toks[e.next] WHEN ']' THEN ']' ELSE ')' END;
      i := e.next + 1;
    ELSE
      SELECT * INTO e FROM mynahoken.rule_feel_endpoint(toks, kinds, poss, i, fact_type);
      IF e.problem IS NOT NULL THEN
        sqlstate := e.sqlstate; problem := e.problem; RETURN;
      END IF;
      item := e.cell;
      i := e.next;
    END IF;
    items := items || item;
    EXIT WHEN i > last;
    IF toks[i] IS DISTINCT FROM ',' THEN
      -- named when grammar (an operator, a keyword), never when a value
      IF kinds[i] = 'name' AND toks[i] IN ('and', 'or', 'if', 'then', 'else', 'for', 'some', 'every', 'in', 'between',
                                           'instance', 'of', 'function', 'satisfies', 'return') THEN
        sqlstate := '0A000';
        problem := pg_catalog.format(mynahoken.gettext('the FEEL keyword "%s" at character %s: only unary tests are imported'),
                                     CASE toks[i] WHEN 'instance' THEN 'instance of' ELSE toks[i] END, poss[i]);
      ELSIF kinds[i] = 'op' THEN
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('unexpected "%s" at character %s'), toks[i], poss[i]);
      ELSE
        sqlstate := '22P02';
        problem := pg_catalog.format(mynahoken.gettext('unexpected token at character %s'), poss[i]);
      END IF;
      RETURN;
    END IF;
    i := i + 1;
  END LOOP;
  IF 'null' = ANY (items) AND cardinality(items) > 1 THEN
    sqlstate := '0A000';
    problem := mynahoken.gettext('null in a list with other tests: the cell language tests null alone');
    RETURN;
  END IF;
  IF items = ARRAY['null'] THEN
    cell := CASE WHEN neg THEN 'not null' ELSE 'null' END;
  ELSIF neg THEN
    cell := 'not(' || array_to_string(items, ', ') || ')';
  ELSE
    cell := array_to_string(items, ', ');
  END IF;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_translate(text, text) IS
  'Internal: a FEEL unary test (DMN input entry) as a cell of the cell language for a fact type: -, null, not(null), true, false, numbers, strings, date("YYYY-MM-DD"), comparisons < <= > >= =, ranges [a..b] (a..b) ]a..b[, lists, not(...), param(name), day and facts; otherwise the SQLSTATE (22P02 syntax, 0A000 outside the subset) and the problem naming the construct (operator, keyword, function name) and its character, never a value';

-- What the entries of a fact type are, for the messages of a refused entry
-- (they name the kind of literal expected, never the entry's text).
CREATE FUNCTION mynahoken.rule_cell_expected(fact_type text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE rule_cell_expected.fact_type
         WHEN 'int' THEN mynahoken.gettext('a whole number, or a comparison, range or list of whole numbers')
         WHEN 'date' THEN mynahoken.gettext('a date("YYYY-MM-DD"), or a comparison, range or list of dates')
         WHEN 'boolean' THEN mynahoken.gettext('true, false or null')
         WHEN 'enum' THEN mynahoken.gettext('one of the fact''s declared values as a string, or a list of them')
         WHEN 'text' THEN mynahoken.gettext('a string in double quotes, or a list of strings') END;
COMMENT ON FUNCTION mynahoken.rule_cell_expected(text) IS
  'Internal: what an entry of a fact type (int, date, boolean, enum, text) holds, in words of the session''s language, for the messages of a refused DMN entry; NULL for another type';

CREATE FUNCTION mynahoken.rule_feel_cell(feel text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  problem text;
BEGIN
  SELECT * INTO r FROM mynahoken.rule_feel_translate(feel, fact_type);
  IF r.problem IS NOT NULL THEN
    PERFORM mynahoken.raise_error(r.sqlstate, 'FEEL unary test outside the supported subset',
      detail => (SELECT upper(left(d, 1)) || substr(d, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), r.problem) AS d));
  END IF;
  problem := mynahoken.rule_cell_problem(r.cell, fact_type, enum_values);
  IF problem IS NOT NULL THEN
    PERFORM mynahoken.raise_error('22P02', 'the FEEL unary test is not a valid cell for the fact type',
      detail => pg_catalog.format(mynahoken.gettext('A fact of type %s expects %s; the entry''s translation to the cell language is refused at character %s (%s).'),
                                  fact_type, mynahoken.rule_cell_expected(fact_type),
                                  substring(problem FROM '([0-9]+)$'),
                                  mynahoken.gettext(substring(problem FROM '^(.*) at character'))));
  END IF;
  RETURN r.cell;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_feel_cell(text, text, text[]) IS
  'A FEEL unary test (DMN input entry) as a cell of the cell language, checked against a fact type (int, date, boolean, enum with its values, text); 22P02 for bad syntax or a cell the type refuses, 0A000 for FEEL outside the supported subset (decimals, arithmetic, function calls, "?" tests, null in a list), the DETAIL naming the construct (operator, keyword, function name) and character, never a value (string, number, date); NULL for NULL';

-- A cell as a FEEL unary test (the export), from its parsed form.
CREATE FUNCTION mynahoken.rule_cell_feel(cell text, fact_type text, enum_values text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j jsonb := mynahoken.rule_cell_parse(cell, fact_type, enum_values);
  items text[];
BEGIN
  IF j IS NULL THEN
    RETURN NULL;
  END IF;
  CASE j->>'kind'
    WHEN 'any' THEN RETURN '-';
    WHEN 'null' THEN RETURN 'null';
    WHEN 'not_null' THEN RETURN 'not(null)';
    WHEN 'sql' THEN
      PERFORM mynahoken.raise_error('0A000', 'sql: cells have no DMN form');
    ELSE NULL;
  END CASE;
  items := ARRAY(
    SELECT CASE WHEN it->>'op' = 'range'
                THEN CASE WHEN (it->>'lo_incl')::boolean THEN '[' ELSE '(' END
                     || mynahoken.rule_operand_feel(it->'lo') || '..' || mynahoken.rule_operand_feel(it->'hi')
                     || CASE WHEN (it->>'hi_incl')::boolean THEN ']' ELSE ')' END
                WHEN it->>'op' = '=' THEN mynahoken.rule_operand_feel(it->'value')
                ELSE (it->>'op') || ' ' || mynahoken.rule_operand_feel(it->'value') END
      FROM jsonb_array_elements(j->'items') WITH ORDINALITY AS x(it, o) ORDER BY o);
  IF (j->>'negated')::boolean THEN
    RETURN 'not(' || array_to_string(items, ', ') || ')';
  END IF;
  RETURN array_to_string(items, ', ');
END
$$;
COMMENT ON FUNCTION mynahoken.rule_cell_feel(text, text, text[]) IS
  'A cell of the cell language as a FEEL unary test (the DMN export): -, null, not(null), lists, not(...), comparisons, ranges, date("YYYY-MM-DD"), strings, param(name), day and facts as names; 22P02 for a cell that does not parse, 0A000 for sql: cells';

CREATE FUNCTION mynahoken.rule_operand_feel(op jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'int' THEN rule_operand_feel.op OPERATOR(pg_catalog.->>) 'int'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'date'
              THEN 'date("' OPERATOR(pg_catalog.||) (rule_operand_feel.op OPERATOR(pg_catalog.->>) 'date') OPERATOR(pg_catalog.||) '")'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'bool' THEN rule_operand_feel.op OPERATOR(pg_catalog.->>) 'bool'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'text'
              THEN '"' OPERATOR(pg_catalog.||) pg_catalog.replace(pg_catalog.replace(rule_operand_feel.op OPERATOR(pg_catalog.->>) 'text', '\', '\\'), '"', '\"') OPERATOR(pg_catalog.||) '"'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'param'
              THEN 'param(' OPERATOR(pg_catalog.||) (rule_operand_feel.op OPERATOR(pg_catalog.->>) 'param') OPERATOR(pg_catalog.||) ')'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'day' THEN 'day'
              WHEN rule_operand_feel.op OPERATOR(pg_catalog.?) 'fact' THEN rule_operand_feel.op OPERATOR(pg_catalog.->>) 'fact' END;
END;
COMMENT ON FUNCTION mynahoken.rule_operand_feel(jsonb) IS
  'Internal: one operand of a parsed cell as FEEL (numbers, date("YYYY-MM-DD"), true/false, strings with \ escapes, param(name), day, fact names); NULL for anything else';

-- The namespaces of the DMN versions read.
CREATE FUNCTION mynahoken.rule_dmn_namespaces()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['https://www.omg.org/spec/DMN/20191111/MODEL/',    -- DMN 1.3
             'https://www.omg.org/spec/DMN/20211108/MODEL/',    -- DMN 1.4
             'https://www.omg.org/spec/DMN/20230324/MODEL/'];   -- DMN 1.5
COMMENT ON FUNCTION mynahoken.rule_dmn_namespaces() IS
  'The XML namespaces of the DMN versions mynahoken.rule_import_dmn reads: DMN 1.3 (20191111), 1.4 (20211108) and 1.5 (20230324)';

CREATE FUNCTION mynahoken.rule_import_dmn(dmn xml, table_name text,
                                          valid daterange DEFAULT NULL, source text DEFAULT NULL,
                                          recorded_on date DEFAULT NULL,
                                          decision_name text DEFAULT NULL,
                                          facts jsonb DEFAULT NULL, outcomes jsonb DEFAULT NULL,
                                          decision text DEFAULT NULL, applies_to text[] DEFAULT NULL,
                                          exception_to text DEFAULT NULL, on_no_match text DEFAULT NULL,
                                          note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ns text;
  dpath text;
  dt record;
  t mynahoken.rule_table;
  d mynahoken.rule_decision;
  hp text;
  agg text;
  cols text[] := '{}';
  ftypes text[] := '{}';
  fenums jsonb := '[]';   -- each column's enum values (NULL: not an enum)
  inp record;
  fname text;
  f mynahoken.rule_fact;
  rl record;
  ent record;
  cells text[];
  tr record;
  problem text;
  outv text;
  vid bigint;
  rn integer;
  use_ids boolean;
  pvals text[];
  c text;
  v_valid daterange;
  v_recorded_on date;
  entries jsonb;
  oc record;
  o mynahoken.rule_outcome;
  oc_needs boolean;
  oc_priority integer;
  ann_names text[];
  ann jsonb;
  el record;
BEGIN
  IF dmn IS NULL OR table_name IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a DMN import needs the document and a table name');
  END IF;
  ns := (xpath('namespace-uri(/*)', dmn))[1]::text;
  IF NOT ns = ANY (mynahoken.rule_dmn_namespaces())
     OR (xpath('local-name(/*)', dmn))[1]::text IS DISTINCT FROM 'definitions' THEN
    PERFORM mynahoken.raise_error('0A000', 'the document is not a DMN 1.3, 1.4 or 1.5 definitions element',
      hint => 'Save the model as DMN 1.3 or later; the namespaces read are listed by mynahoken.rule_dmn_namespaces().');
  END IF;
  -- another expression language (Camunda 7's JUEL, JavaScript): the first
  -- such element, named by its rule and column when it is an entry
  SELECT x.* INTO el
    FROM XMLTABLE(XMLNAMESPACES(ns AS d),
                  '//*[@expressionLanguage and not(contains(translate(@expressionLanguage, ''FEL'', ''fel''), ''feel''))]' PASSING dmn
           COLUMNS kind text PATH 'local-name()',
                   rule_pos integer PATH 'count(parent::d:rule/preceding-sibling::d:rule) + 1',
                   col integer PATH 'count(preceding-sibling::d:inputEntry) + 1',
                   decision_pos integer PATH 'count(ancestor::d:decision/preceding-sibling::d:decision) + 1') AS x
   LIMIT 1;
  IF FOUND AND el.kind = 'inputEntry' THEN
    -- the column as the file names it: the input's expression (through facts)
    c := btrim((xpath(format('/d:definitions/d:decision[%s]/d:decisionTable/d:input[%s]/d:inputExpression/d:text/text()',
                             el.decision_pos, el.col), dmn, ARRAY[ARRAY['d', ns]]))[1]::text);
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the entry of rule %s, column "%s" uses an expression language other than FEEL'),
                                                               el.rule_pos, regexp_replace(left(coalesce(facts->>c, c, el.col::text), 60), '[0-9]{4,}', '…', 'g')),
      detail => 'Entries in JUEL, JavaScript or another language cannot be checked or compiled.');
  ELSIF FOUND AND el.kind = 'outputEntry' THEN
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the output entry of rule %s uses an expression language other than FEEL'), el.rule_pos),
      detail => 'Entries in JUEL, JavaScript or another language cannot be checked or compiled.');
  ELSIF FOUND THEN
    PERFORM mynahoken.raise_error('0A000', 'the document uses an expression language other than FEEL',
      detail => 'Entries in JUEL, JavaScript or another language cannot be checked or compiled.');
  END IF;
  -- the decision: the one with a decision table, or the one named (by id or name)
  SELECT x.* INTO dt
    FROM XMLTABLE(XMLNAMESPACES(ns AS d), '/d:definitions/d:decision[d:decisionTable]' PASSING dmn
           COLUMNS pos FOR ORDINALITY, id text PATH '@id', name text PATH '@name',
                   hit text PATH 'd:decisionTable/@hitPolicy', agg text PATH 'd:decisionTable/@aggregation',
                   n_out integer PATH 'count(d:decisionTable/d:output)',
                   m_decision text PATH 'd:extensionElements/*[local-name()="version"]/@decision',
                   m_applies_to text PATH 'd:extensionElements/*[local-name()="version"]/@applies_to',
                   m_exception_to text PATH 'd:extensionElements/*[local-name()="version"]/@exception_to',
                   m_on_no_match text PATH 'd:extensionElements/*[local-name()="version"]/@on_no_match',
                   m_yields_to text PATH 'd:extensionElements/*[local-name()="version"]/@yields_to',
                   m_valid text PATH 'd:extensionElements/*[local-name()="version"]/@valid',
                   m_recorded_on text PATH 'd:extensionElements/*[local-name()="version"]/@recorded_on',
                   m_source text PATH 'd:extensionElements/*[local-name()="version"]/@source',
                   m_note text PATH 'd:extensionElements/*[local-name()="version"]/@note',
                   m_description text PATH 'd:extensionElements/*[local-name()="version"]/@description',
                   m_cap text PATH 'd:extensionElements/*[local-name()="version"]/@cap',
                   total integer PATH 'count(/d:definitions/d:decision[d:decisionTable])') AS x
   WHERE (decision_name IS NULL) OR x.id = decision_name OR x.name = decision_name
   ORDER BY x.pos LIMIT 1;
  IF NOT FOUND AND decision_name IS NULL THEN
    PERFORM mynahoken.raise_error('42704', 'the document has no decision table');
  ELSIF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'the document has no decision table with that id or name');
  END IF;
  IF decision_name IS NULL AND dt.total > 1 THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the document has %s decision tables'), dt.total),
      hint => 'Name one with decision_name => (its id or name).');
  END IF;
  dpath := format('/d:definitions/d:decision[d:decisionTable][%s]/d:decisionTable', dt.pos);
  IF dt.n_out <> 1 THEN
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the decision table has %s outputs'), dt.n_out),
      detail => 'A decision of the rule engine has one output: an outcome, or a date.');
  END IF;
  hp := CASE coalesce(dt.hit, 'UNIQUE') WHEN 'UNIQUE' THEN 'unique' WHEN 'ANY' THEN 'any' WHEN 'FIRST' THEN 'first'
          WHEN 'PRIORITY' THEN 'priority' WHEN 'COLLECT' THEN 'collect' WHEN 'RULE ORDER' THEN 'rule_order' END;
  IF hp IS NULL AND dt.hit = 'OUTPUT ORDER' THEN
    PERFORM mynahoken.raise_error('0A000', 'the hit policy OUTPUT ORDER is outside the supported subset',
      detail => 'OUTPUT ORDER sorts the outputs of every matching rule by the output values; the engine''s collect orders them by the outcomes'' priority.',
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  ELSIF hp IS NULL AND upper(dt.hit) IN ('UNIQUE', 'ANY', 'FIRST', 'PRIORITY', 'COLLECT', 'RULE ORDER', 'OUTPUT ORDER') THEN
    -- the schema's tHitPolicy enumerates the upper-case names only
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('unknown hit policy "%s"'), regexp_replace(left(dt.hit, 60), '[0-9]{4,}', '…', 'g')),
      detail => pg_catalog.format(mynahoken.gettext('DMN hit policies are upper case: the DMN schema knows %s, and no other spelling.'), upper(dt.hit)),
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  ELSIF hp IS NULL THEN
    PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('unknown hit policy "%s"'), regexp_replace(left(dt.hit, 60), '[0-9]{4,}', '…', 'g')),
      hint => 'The hit policies read are UNIQUE, ANY, FIRST, PRIORITY, COLLECT (with SUM, MIN, MAX, COUNT or none) and RULE ORDER.');
  END IF;
  agg := CASE WHEN dt.agg IS NULL THEN CASE WHEN hp = 'collect' THEN 'list' END
              WHEN hp <> 'collect' THEN 'bad'
              ELSE CASE dt.agg WHEN 'SUM' THEN 'sum' WHEN 'MIN' THEN 'min' WHEN 'MAX' THEN 'max' WHEN 'COUNT' THEN 'count' ELSE 'bad' END END;
  IF agg = 'bad' THEN
    PERFORM mynahoken.raise_error('22023', 'an aggregation needs the hit policy COLLECT and is one of SUM, MIN, MAX and COUNT');
  END IF;

  -- the rule table: defined from the arguments (or the document's metadata), or checked
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = rule_import_dmn.table_name;
  IF NOT FOUND AND coalesce(rule_import_dmn.exception_to, dt.m_exception_to) IS NULL THEN
    -- the export of a national table names no label: it is imported as a draft of that table
    PERFORM mynahoken.raise_error('22023', 'a new rule table needs the national label it is an exception to',
      detail => 'Only the extension ships national tables: a table defined by an import is an insurer table.',
      hint => 'Pass exception_to => label, or import the export of a national table under its own name, as a draft of it.');
  ELSIF NOT FOUND THEN
    PERFORM mynahoken.rule_table_define(rule_import_dmn.table_name,
      coalesce(rule_import_dmn.decision, dt.m_decision),
      coalesce(rule_import_dmn.applies_to, string_to_array(dt.m_applies_to, ',')),
      coalesce(rule_import_dmn.exception_to, dt.m_exception_to), hp,
      coalesce(rule_import_dmn.on_no_match, dt.m_on_no_match, 'national'),
      CASE WHEN rule_import_dmn.exception_to IS NULL THEN dt.m_yields_to END,
      CASE WHEN rule_import_dmn.exception_to IS NULL THEN dt.m_cap END,
      dt.m_description, agg);
    SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = rule_import_dmn.table_name;
  ELSIF t.hit_policy <> hp OR t.aggregation IS DISTINCT FROM agg THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the rule table has the hit policy %s, the DMN decision table %s'),
                                                               t.hit_policy || coalesce(' ' || t.aggregation, ''), hp || coalesce(' ' || agg, '')),
      hint => 'Import into a new table, or change the hit policy in the modeler.');
  ELSIF rule_import_dmn.decision IS DISTINCT FROM NULL AND rule_import_dmn.decision <> t.decision THEN
    PERFORM mynahoken.raise_error('22023', 'the rule table belongs to another decision');
  END IF;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;

  -- outcomes the export describes (mh:outcome): added when the database has
  -- none of that code, refused when its own means something else
  FOR oc IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d),
                             (format('/d:definitions/d:decision[d:decisionTable][%s]/d:extensionElements/*[local-name()="outcome"]', dt.pos)) PASSING dmn
                   COLUMNS pos FOR ORDINALITY, code text PATH '@code', label_ja text PATH '@label_ja',
                           needs_certificate text PATH '@needs_certificate', priority text PATH '@priority',
                           description text PATH '@description') AS x
     ORDER BY x.pos
  LOOP
    BEGIN
      oc_needs := oc.needs_certificate::boolean;
      oc_priority := oc.priority::integer;
    EXCEPTION WHEN data_exception THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('outcome %s of the mynahoken metadata has an invalid needs_certificate or priority'), oc.pos));
    END;
    SELECT * INTO o FROM mynahoken.rule_outcome x WHERE x.decision = t.decision AND x.code = oc.code;
    IF NOT FOUND AND oc.label_ja IS NOT NULL THEN
      PERFORM mynahoken.rule_outcome_add(t.decision, oc.code, oc.label_ja, oc_needs, coalesce(oc_priority, 100), oc.description);
    ELSIF FOUND AND (o.needs_certificate IS DISTINCT FROM oc_needs OR o.priority IS DISTINCT FROM coalesce(oc_priority, o.priority)) THEN
      PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('outcome %s of decision %s issues a 資格確認書 or ranks differently in the document'), o.code, t.decision),
        detail => 'The document describes the outcome with another needs_certificate or priority than the database.',
        hint => 'Map the document''s output to another outcome with outcomes => jsonb.');
    END IF;
  END LOOP;

  -- a key of the mapping that names no input is a typing error, never ignored
  SELECT k INTO c
    FROM jsonb_object_keys(CASE WHEN jsonb_typeof(facts) = 'object' THEN facts ELSE '{}' END) AS k
   WHERE NOT EXISTS (SELECT FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:input') PASSING dmn
                                   COLUMNS label text PATH '@label', expr text PATH 'd:inputExpression/d:text') AS x
                      WHERE btrim(x.expr) = k OR x.label = k)
   ORDER BY k LIMIT 1;
  IF c IS NOT NULL THEN
    PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the facts mapping names "%s", which is no input of the decision table'), regexp_replace(left(c, 60), '[0-9]{4,}', '…', 'g')),
      detail => 'The keys of facts => are the inputs'' expressions or labels.');
  END IF;
  c := NULL;

  -- inputs: declared facts, by name or through the mapping
  FOR inp IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:input') PASSING dmn
                   COLUMNS pos FOR ORDINALITY, label text PATH '@label',
                           expr text PATH 'd:inputExpression/d:text', type_ref text PATH 'd:inputExpression/@typeRef') AS x
     ORDER BY x.pos
  LOOP
    fname := coalesce(facts->>btrim(inp.expr), facts->>inp.label, btrim(inp.expr));
    SELECT * INTO f FROM mynahoken.rule_fact x WHERE x.fact = fname;
    IF NOT FOUND THEN
      -- the input's expression and the fact's name are model data, named;
      -- a run of digits (a value typed as a name?) is not, as for functions
      PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('input %s of the decision table, "%s", is not a declared fact'),
                                                                 inp.pos, regexp_replace(left(coalesce(btrim(inp.expr), inp.label), 60), '[0-9]{4,}', '…', 'g')),
        detail => CASE WHEN facts ? btrim(inp.expr) OR facts ? inp.label
                       THEN pg_catalog.format(mynahoken.gettext('The fact looked for is "%s", as facts => maps it.'), regexp_replace(left(fname, 60), '[0-9]{4,}', '…', 'g'))
                       ELSE pg_catalog.format(mynahoken.gettext('The fact looked for is "%s".'), regexp_replace(left(fname, 60), '[0-9]{4,}', '…', 'g')) END,
        hint => 'Map its expression to a fact with facts => jsonb, or declare the fact with mynahoken.rule_fact_add().');
    END IF;
    IF inp.type_ref IS NOT NULL AND inp.type_ref <> ''
       AND NOT (inp.type_ref, f.fact_type) IN (('number', 'int'), ('integer', 'int'), ('long', 'int'), ('string', 'text'), ('string', 'enum'),
                                                ('boolean', 'boolean'), ('date', 'date')) THEN
      PERFORM mynahoken.raise_error('42804', pg_catalog.format(mynahoken.gettext('input %s has a type in the DMN that fact %s (%s) does not have'),
                                                                 inp.pos, f.fact, f.fact_type),
        hint => 'The types read are number, integer and long (int facts), string (text and enum facts), boolean and date.');
    END IF;
    cols := cols || f.fact;
    ftypes := ftypes || f.fact_type;
    fenums := fenums || jsonb_build_array(to_jsonb(f.enum_values));
  END LOOP;
  IF cardinality(cols) = 0 THEN
    PERFORM mynahoken.raise_error('0A000', 'the decision table has no input',
      detail => 'A rule table tests at least one fact.');
  END IF;

  -- PRIORITY: the order of the output values is the outcomes' priority
  IF hp = 'priority' THEN
    pvals := ARRAY(SELECT coalesce(outcomes->>v.m[1], v.m[1])
                     FROM regexp_matches(coalesce((xpath(dpath || '/d:output/d:outputValues/d:text/text()', dmn,
                                                         ARRAY[ARRAY['d', ns]]))[1]::text, ''),
                                         '"((?:[^"\\]|\\.)*)"', 'g') WITH ORDINALITY AS v(m, o) ORDER BY v.o);
    IF cardinality(pvals) = 0 THEN
      PERFORM mynahoken.raise_error('22023', 'a PRIORITY table needs its output values, in priority order');
    END IF;
    IF NOT (SELECT bool_and(s.code IS NOT NULL AND (s.prev IS NULL OR s.prio > s.prev))
              FROM (SELECT ro.code, ro.priority AS prio, lag(ro.priority) OVER (ORDER BY a.o) AS prev
                      FROM unnest(pvals) WITH ORDINALITY AS a(v, o)
                      LEFT JOIN mynahoken.rule_outcome ro ON ro.decision = t.decision AND ro.code = a.v) AS s) THEN
      PERFORM mynahoken.raise_error('22023', 'the output values of the PRIORITY table are not outcomes in the order of their priorities',
        hint => 'The engine ranks outcomes by mynahoken.rule_outcome.priority (lower first): list the output values in that order.');
    END IF;
  END IF;

  -- the version's times and source: the arguments, or the export's metadata
  BEGIN
    v_valid := coalesce(rule_import_dmn.valid, dt.m_valid::daterange);
    v_recorded_on := coalesce(rule_import_dmn.recorded_on, dt.m_recorded_on::date);
  EXCEPTION WHEN data_exception THEN
    -- the cast's own message would repeat the text
    PERFORM mynahoken.raise_error('22P02', 'the mynahoken metadata of the document has an invalid valid range or knowledge day');
  END;
  IF v_valid IS NULL OR v_recorded_on IS NULL OR coalesce(rule_import_dmn.source, dt.m_source) IS NULL THEN
    PERFORM mynahoken.raise_error('22004', 'a DMN import needs valid, source and recorded_on',
      hint => 'Pass them as arguments; a document exported by mynahoken.rule_export_dmn carries them.');
  END IF;
  INSERT INTO mynahoken.rule_version (table_name, valid, recorded_on, source, columns, note)
  VALUES (rule_import_dmn.table_name, v_valid, v_recorded_on,
          coalesce(rule_import_dmn.source, dt.m_source), cols, coalesce(rule_import_dmn.note, dt.m_note))
  RETURNING version_id INTO vid;

  -- rules: row numbers from ids row_<n> (the export's) when every rule has a distinct one
  SELECT count(*) = count(DISTINCT x.id)
         AND bool_and(CASE WHEN x.id ~ '^row_[0-9]{1,6}$' THEN substr(x.id, 5)::int > 0 ELSE false END)
    INTO use_ids
    FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule') PASSING dmn COLUMNS id text PATH '@id') AS x;
  -- every input entry, read once: the texts of each rule's entries in order
  SELECT jsonb_object_agg(y.rule_pos, y.texts) INTO entries
    FROM (SELECT x.rule_pos, jsonb_agg(coalesce(x.txt, '') ORDER BY x.pos) AS texts
            FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule/d:inputEntry') PASSING dmn
                   COLUMNS rule_pos integer PATH 'count(../preceding-sibling::d:rule) + 1',
                           pos integer PATH 'count(preceding-sibling::d:inputEntry) + 1',
                           txt text PATH 'd:text') AS x
           GROUP BY x.rule_pos) AS y;
  -- annotation columns: the one named label gives the rows' labels, the
  -- others are kept by name with each row (annotations)
  ann_names := ARRAY(SELECT coalesce(nullif(x.name, ''), 'annotation_' || x.pos)
                       FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:annotation') PASSING dmn
                              COLUMNS pos FOR ORDINALITY, name text PATH '@name') AS x ORDER BY x.pos);
  SELECT jsonb_object_agg(y.rule_pos, y.anns) INTO ann
    FROM (SELECT x.rule_pos, jsonb_object_agg(ann_names[x.pos], x.txt) AS anns
            FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule/d:annotationEntry') PASSING dmn
                   COLUMNS rule_pos integer PATH 'count(../preceding-sibling::d:rule) + 1',
                           pos integer PATH 'count(preceding-sibling::d:annotationEntry) + 1',
                           txt text PATH 'd:text') AS x
           WHERE x.pos <= cardinality(ann_names) AND coalesce(x.txt, '') <> ''
           GROUP BY x.rule_pos) AS y;
  FOR rl IN
    SELECT x.* FROM XMLTABLE(XMLNAMESPACES(ns AS d), (dpath || '/d:rule') PASSING dmn
                   COLUMNS pos FOR ORDINALITY, id text PATH '@id', description text PATH 'd:description',
                           n_in integer PATH 'count(d:inputEntry)', n_out integer PATH 'count(d:outputEntry)',
                           out_text text PATH 'd:outputEntry/d:text') AS x
     ORDER BY x.pos
  LOOP
    rn := CASE WHEN use_ids THEN substr(rl.id, 5)::int ELSE rl.pos END;
    IF rl.n_in <> cardinality(cols) OR rl.n_out <> 1 THEN
      PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('rule %s has %s input entries and %s output entries for %s inputs and one output'),
                                                                 rl.pos, rl.n_in, rl.n_out, cardinality(cols)));
    END IF;
    cells := '{}';
    FOR ent IN SELECT e.o::integer AS pos, e.v AS txt
                 FROM jsonb_array_elements_text(coalesce(entries->(rl.pos::text), '[]')) WITH ORDINALITY AS e(v, o) ORDER BY e.o LOOP
      -- "-" and the empty entry need neither translation nor check
      IF btrim(ent.txt) IN ('', '-') THEN
        cells := cells || '-'::text;
        CONTINUE;
      END IF;
      SELECT * INTO tr FROM mynahoken.rule_feel_translate(ent.txt, ftypes[ent.pos]);
      IF tr.problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error(tr.sqlstate, pg_catalog.format(mynahoken.gettext('unsupported FEEL in rule %s, column "%s"'), rl.pos, cols[ent.pos]),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), tr.problem) AS x),
          hint => 'The FEEL read is -, null, not(...), lists, comparisons, ranges, numbers, strings, true, false and date("YYYY-MM-DD"): rewrite the entry in the modeler.');
      END IF;
      problem := mynahoken.rule_cell_problem(tr.cell, ftypes[ent.pos],
                   CASE WHEN ftypes[ent.pos] = 'enum' THEN ARRAY(SELECT jsonb_array_elements_text(fenums->(ent.pos - 1))) END);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid entry in rule %s, column "%s": expected %s'),
                                                                 rl.pos, cols[ent.pos], mynahoken.rule_cell_expected(ftypes[ent.pos])),
          detail => pg_catalog.format(mynahoken.gettext('Column "%s" is a fact of type %s; the entry''s translation to the cell language is refused at character %s (%s).'),
                                      cols[ent.pos], ftypes[ent.pos],
                                      substring(problem FROM '([0-9]+)$'),
                                      mynahoken.gettext(substring(problem FROM '^(.*) at character'))));
      END IF;
      cells := cells || tr.cell;
    END LOOP;
    -- the output: an outcome as a FEEL string, or a date decision's expression
    c := btrim(coalesce(rl.out_text, ''));
    IF d.output_type = 'date' THEN
      outv := CASE WHEN c ~ '^date\(\s*"[0-9]{4}-[0-9]{2}-[0-9]{2}"\s*\)$' THEN substring(c FROM '"(.*)"') ELSE c END;
      problem := mynahoken.rule_expr_problem(outv);
      IF problem IS NOT NULL THEN
        PERFORM mynahoken.raise_error('22P02', pg_catalog.format(mynahoken.gettext('invalid output entry in rule %s'), rl.pos),
          detail => (SELECT upper(left(x, 1)) || substr(x, 2) FROM pg_catalog.format(mynahoken.gettext('%s.'), problem) AS x),
          hint => 'A date decision''s output is date("YYYY-MM-DD") or an output expression of the rule engine (add_months(day, 12) ...).');
      END IF;
    ELSE
      IF c !~ '^"(?:[^"\\]|\\.)*"$' THEN
        PERFORM mynahoken.raise_error('0A000', pg_catalog.format(mynahoken.gettext('the output entry of rule %s is not a string literal'), rl.pos),
          hint => 'An outcome is written as a FEEL string, "code".');
      END IF;
      outv := substr(c, 2, length(c) - 2);
      outv := coalesce(outcomes->>outv, outv);
      IF outv = 'undecidable' AND t.layer <> 'national' THEN
        PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the output of rule %s is undecidable, an outcome only national tables give'), rl.pos),
          detail => 'A national table reports the members its decision cannot decide (no birth date, contradictory days); an insurer table leaves them to the national layer.',
          hint => 'Import the export of a national table under its own name, as a draft of it; an insurer table uses on_no_match national or error.');
      END IF;
      IF hp = 'priority' AND NOT outv = ANY (pvals) THEN
        PERFORM mynahoken.raise_error('22023', pg_catalog.format(mynahoken.gettext('the output of rule %s is not among the output values of the PRIORITY table'), rl.pos));
      END IF;
      IF NOT EXISTS (SELECT FROM mynahoken.rule_outcome ro WHERE ro.decision = t.decision AND ro.code = outv)
         AND outv <> 'undecidable' THEN
        PERFORM mynahoken.raise_error('42704', pg_catalog.format(mynahoken.gettext('the output of rule %s is not an outcome of decision %s'), rl.pos, t.decision),
          hint => 'Map it with outcomes => jsonb, or add the outcome with mynahoken.rule_outcome_add().');
      END IF;
    END IF;
    -- PostgreSQL's own message would repeat the values
    BEGIN
      INSERT INTO mynahoken.rule_row (version_id, row_no, cells, outcome, label, note, annotations)
      VALUES (vid, rn, cells, outv, ann->(rl.pos::text)->>'label', nullif(rl.description, ''),
              nullif((ann->(rl.pos::text)) - 'label', '{}'));
    EXCEPTION WHEN unique_violation THEN
      PERFORM mynahoken.raise_error('23505', pg_catalog.format(mynahoken.gettext('rule %s repeats a row number'), rl.pos));
    END;
  END LOOP;
  IF NOT EXISTS (SELECT FROM mynahoken.rule_row r WHERE r.version_id = vid) THEN
    PERFORM mynahoken.raise_error('22P02', 'the decision table has no rule');
  END IF;
  RETURN vid;
END
$$;
COMMENT ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) IS
  'Import a DMN 1.3/1.4/1.5 decision table (read with XMLTABLE) as a draft version of a rule table, defined when new (decision, applies_to, exception_to, on_no_match from the arguments or the export''s metadata); inputs are facts by expression or through facts => {"expression": "fact"}, outputs outcomes through outcomes => {"string": "code"}, FEEL unary tests become cells; valid, source and recorded_on from the arguments or the metadata; the table''s description and cap, the outcomes it lacks (mh:outcome: label_ja, needs_certificate, priority) and the annotation columns (label, the others kept in rule_row.annotations) from the document; the export of a national table is imported under its own name as a draft of it (outcome undecidable, never activated); returns the version id. Errors name the rule number, the column and, in the DETAIL, the FEEL construct (operator, keyword, function name) and character, never a value: 0A000 outside the subset (OUTPUT ORDER, several outputs, decimals, arithmetic, function calls), 22P02 bad FEEL or cell (naming the kind of literal the column expects), 42704 unknown fact or outcome, 42804 type mismatch, 22023 hit policy or priorities that do not fit, a new table without the label it is an exception to, undecidable in an insurer table, an outcome that issues or ranks differently in the database';

CREATE FUNCTION mynahoken.rule_export_dmn(version_id bigint)
RETURNS xml
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v mynahoken.rule_version;
  t mynahoken.rule_table;
  d mynahoken.rule_decision;
  ident text;
  has_label boolean;
  ann_names text[];
BEGIN
  SELECT * INTO v FROM mynahoken.rule_version x WHERE x.version_id = rule_export_dmn.version_id;
  IF NOT FOUND THEN
    PERFORM mynahoken.raise_error('42704', 'no such rule version');
  END IF;
  SELECT * INTO t FROM mynahoken.rule_table x WHERE x.table_name = v.table_name;
  SELECT * INTO d FROM mynahoken.rule_decision x WHERE x.decision = t.decision;
  ident := translate(t.table_name, '.', '_');
  SELECT bool_or(r.label IS NOT NULL) INTO has_label FROM mynahoken.rule_row r WHERE r.version_id = v.version_id;
  -- annotation columns: label, then the rows' other annotations by name
  ann_names := CASE WHEN has_label THEN ARRAY['label'] ELSE '{}' END
               || ARRAY(SELECT DISTINCT k FROM mynahoken.rule_row r, jsonb_object_keys(r.annotations) AS k
                         WHERE r.version_id = v.version_id AND k <> 'label' ORDER BY k);
  RETURN xmlelement(name definitions,
    xmlattributes('https://www.omg.org/spec/DMN/20191111/MODEL/' AS xmlns,
                  'https://www.omg.org/spec/DMN/20191111/DMNDI/' AS "xmlns:dmndi",
                  'http://www.omg.org/spec/DMN/20180521/DC/' AS "xmlns:dc",
                  'urn:mynahoken:dmn' AS "xmlns:mh",
                  'definitions_' || ident AS id, t.table_name AS name, 'urn:mynahoken:rules' AS namespace,
                  'mynahoken' AS exporter, '0.2' AS "exporterVersion"),
    xmlelement(name decision, xmlattributes('decision_' || ident AS id, t.table_name AS name),
      xmlelement(name description,
        format('%s, version %s (%s): valid %s, recorded on %s, source %s; %s, exception to %s, applies to %s',
               t.decision, v.version_id, v.status, v.valid, v.recorded_on, v.source, t.layer,
               t.exception_to, array_to_string(t.applies_to, ','))),
      xmlelement(name "extensionElements",
        xmlelement(name "mh:version",
          xmlattributes(t.table_name AS "table", t.decision AS decision, array_to_string(t.applies_to, ',') AS applies_to,
                        t.exception_to AS exception_to, t.on_no_match AS on_no_match, t.yields_to AS yields_to,
                        v.version_id AS version_id, v.status AS status, v.valid::text AS valid,
                        v.recorded_on::text AS recorded_on, to_char(v.recorded_at, 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM') AS recorded_at, v.source AS source,
                        v.author AS author, v.approved_by AS approved_by, v.note AS note,
                        t.description AS description, t.cap AS cap)),
        -- the outcomes the rows give, so that an import elsewhere defines them
        (SELECT xmlagg(xmlelement(name "mh:outcome",
                         xmlattributes(o.code AS code, o.label_ja AS label_ja, o.needs_certificate AS needs_certificate,
                                       o.priority AS priority, o.description AS description)) ORDER BY o.priority, o.code)
           FROM mynahoken.rule_outcome o
          WHERE o.decision = t.decision AND d.output_type <> 'date'
            AND o.code IN (SELECT r.outcome FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))),
      xmlelement(name "decisionTable",
        xmlattributes('table_' || ident AS id,
                      CASE t.hit_policy WHEN 'rule_order' THEN 'RULE ORDER' ELSE upper(t.hit_policy) END AS "hitPolicy",
                      CASE WHEN t.aggregation <> 'list' THEN upper(t.aggregation) END AS aggregation),
        (SELECT xmlagg(xmlelement(name input, xmlattributes('input_' || i AS id, v.columns[i] AS label),
                         xmlelement(name "inputExpression",
                           xmlattributes('inputExpression_' || i AS id,
                                         CASE f.fact_type WHEN 'int' THEN 'number' WHEN 'date' THEN 'date'
                                                          WHEN 'boolean' THEN 'boolean' ELSE 'string' END AS "typeRef"),
                           xmlelement(name text, v.columns[i]))) ORDER BY i)
           FROM generate_subscripts(v.columns, 1) AS i
           JOIN mynahoken.rule_fact f ON f.fact = v.columns[i]),
        xmlelement(name output, xmlattributes('output_1' AS id, CASE WHEN d.output_type = 'date' THEN 'value' ELSE 'outcome' END AS name,
                                              CASE WHEN d.output_type = 'date' THEN 'date' ELSE 'string' END AS "typeRef"),
          CASE WHEN t.hit_policy = 'priority' THEN
            xmlelement(name "outputValues",
              xmlelement(name text, (SELECT string_agg('"' || o.code || '"', ',' ORDER BY o.priority, o.code)
                                       FROM mynahoken.rule_outcome o WHERE o.decision = t.decision
                                        AND o.code IN (SELECT r.outcome FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))))
          END),
        (SELECT xmlagg(xmlelement(name annotation, xmlattributes(a.name AS name)) ORDER BY a.o)
           FROM unnest(ann_names) WITH ORDINALITY AS a(name, o)),
        (SELECT xmlagg(xmlelement(name rule, xmlattributes('row_' || r.row_no AS id),
                         CASE WHEN r.note IS NOT NULL THEN xmlelement(name description, r.note) END,
                         (SELECT xmlagg(xmlelement(name "inputEntry", xmlattributes(format('row_%s_in_%s', r.row_no, i) AS id),
                                          xmlelement(name text, mynahoken.rule_cell_feel(r.cells[i], f.fact_type, f.enum_values))) ORDER BY i)
                            FROM generate_subscripts(v.columns, 1) AS i
                            JOIN mynahoken.rule_fact f ON f.fact = v.columns[i]),
                         xmlelement(name "outputEntry", xmlattributes(format('row_%s_out', r.row_no) AS id),
                           xmlelement(name text,
                             CASE WHEN d.output_type = 'date' THEN
                                    CASE WHEN r.outcome ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN 'date("' || r.outcome || '")' ELSE r.outcome END
                                  ELSE '"' || replace(replace(r.outcome, '\', '\\'), '"', '\"') || '"' END)),
                         (SELECT xmlagg(xmlelement(name "annotationEntry",
                                          xmlelement(name text, CASE WHEN a.name = 'label' THEN r.label ELSE r.annotations->>a.name END))
                                        ORDER BY a.o)
                            FROM unnest(ann_names) WITH ORDINALITY AS a(name, o)))
                       ORDER BY r.row_no)
           FROM mynahoken.rule_row r WHERE r.version_id = v.version_id))),
    xmlelement(name "dmndi:DMNDI",
      xmlelement(name "dmndi:DMNDiagram", xmlattributes('diagram_' || ident AS id),
        xmlelement(name "dmndi:DMNShape", xmlattributes('shape_' || ident AS id, 'decision_' || ident AS "dmnElementRef"),
          xmlelement(name "dc:Bounds", xmlattributes(80 AS height, 180 AS width, 160 AS x, 100 AS y))))));
END
$$;
COMMENT ON FUNCTION mynahoken.rule_export_dmn(bigint) IS
  'A rule version as DMN 1.3 XML that Camunda Modeler opens: one decision with its decision table (hit policy, aggregation, inputs typed from the facts, cells as FEEL unary tests, outcomes as strings, row notes as rule descriptions, labels and the rows'' annotations as annotation columns, PRIORITY output values in priority order), the version''s source, valid time, knowledge day, status, author and approver and the table''s description and cap in the description and in extensionElements (mh:version), the outcomes the rows give (mh:outcome: label_ja, needs_certificate, priority, description), all read back by mynahoken.rule_import_dmn, and a diagram shape; 42704 for an unknown version, 0A000 for sql: cells';

REVOKE ALL ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mynahoken.rule_import_dmn(xml, text, daterange, text, date, text, jsonb, jsonb, text, text[], text, text, text) TO mynahoken_rule_author;
