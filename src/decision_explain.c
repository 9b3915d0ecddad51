/*
 * decision_explain.c: explanations of the decision functions (explain_*).
 *
 * The same arguments as the decision and the same rules of
 * src/core/transition.c, run with a trace: the result, the rules applied,
 * the inputs read and the parameters used, with their values and sources.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "decision_internal.h"
#include "mynahoken.h"
#include "transition.h"

/* ---------------------------------------------------------------------
 * Explanations
 */

void
json_day(StringInfo buf, mh_day day, mh_day none)
{
	if (day == none)
		appendStringInfoString(buf, "null");
	else
		appendStringInfo(buf, "\"%s\"", fmt_day(day));
}

void
json_doc_array(StringInfo buf, uint32 mask)
{
	int			i;
	bool		first = true;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < MH_DOC_COUNT; i++)
		if (mask & (1u << i))
		{
			appendStringInfo(buf, "%s\"%s\"", first ? "" : ", ", mh_document_names[i]);
			first = false;
		}
	appendStringInfoChar(buf, ']');
}

/* The inputs the decision looked at, with their values. */
static void
json_inputs(StringInfo buf, const Call *call, uint32 inputs)
{
	const MhMember *m = &call->m;
	int			i;
	bool		first = true;

	appendStringInfoChar(buf, '{');
	for (i = 0; i < MH_IN_COUNT; i++)
	{
		if (!(inputs & (1u << i)))
			continue;
		appendStringInfo(buf, "%s\"%s\": ", first ? "" : ", ", mh_input_names[i]);
		first = false;
		switch (1u << i)
		{
			case MH_IN_CATEGORY:
				appendStringInfo(buf, "\"%s\"", mh_category_names[call->cat]);
				break;
			case MH_IN_DAY:
			case MH_IN_ISSUED_ON:
				json_day(buf, call->day, MH_DAY_MIN);
				break;
			case MH_IN_BIRTH_DATE:
				json_day(buf, m->birth_date, MH_DAY_MIN);
				break;
			case MH_IN_ACQUIRED_ON:
				json_day(buf, m->acquired_on, MH_DAY_MIN);
				break;
			case MH_IN_LOST_ON:
				json_day(buf, m->lost_on, MH_DAY_MAX);
				break;
			case MH_IN_CARD_ISSUED_ON:
				json_day(buf, m->card_issued_on, MH_DAY_MAX);
				break;
			case MH_IN_CARD_EXPIRES_ON:
				json_day(buf, m->card_expires_on, MH_DAY_MAX);
				break;
			case MH_IN_MY_NUMBER_LINKED:
				appendStringInfoString(buf, m->my_number_linked ? "true" : "false");
				break;
			case MH_IN_MYNA_REGISTERED_ON:
				json_day(buf, m->myna_registered_on, MH_DAY_MAX);
				break;
			case MH_IN_MYNA_WITHDRAWN_ON:
				json_day(buf, m->myna_withdrawn_on, MH_DAY_MAX);
				break;
			case MH_IN_ECERT_EXPIRES_ON:
				json_day(buf, m->ecert_expires_on, MH_DAY_MAX);
				break;
			case MH_IN_CERTIFICATE_VALID_UNTIL:
				json_day(buf, m->certificate_valid_until, MH_DAY_MIN);
				break;
			case MH_IN_CERTIFICATE_REQUESTED_ON:
				json_day(buf, m->certificate_requested_on, MH_DAY_MAX);
				break;
			case MH_IN_ONLINE_CHECK:
				appendStringInfoString(buf, call->online ? "true" : "false");
				break;
		}
	}
	appendStringInfoChar(buf, '}');
}

/*
 * The parameters the decision used, with their values and sources.  A stored
 * row can be in force on several parts of its valid range over different
 * spans of knowledge days (mynahoken.legal_parameter), so a calendar row is
 * found by its id, a day of its part and the knowledge day of the cache.
 */
static void
json_parameters(StringInfo buf, const Call *call, uint32 params)
{
	static const char *const sql =
		"SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
		" 'name', c.name, 'scope', c.scope, 'value', c.value, 'unit', c.unit,"
		" 'valid', c.valid_iso, 'recorded', c.recorded_iso, 'confirmed', c.confirmed,"
		" 'note', c.note, 'source', pg_catalog.jsonb_build_object("
		"  'code', c.source_code, 'kind', c.source_kind, 'title', c.source_title,"
		"  'issuer', c.source_issuer, 'number', c.source_number,"
		"  'issued_on', c.source_issued_on, 'url', c.source_url))"
		" ORDER BY c.name, c.scope), '[]'::pg_catalog.jsonb)::pg_catalog.text"
		" FROM mynahoken.legal_calendar c"
		" JOIN ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u (id, day)"
		"   ON c.parameter_id OPERATOR(pg_catalog.=) u.id"
		"  AND c.valid OPERATOR(pg_catalog.@>) u.day"
		" WHERE CASE WHEN $3 IS NULL THEN pg_catalog.upper_inf(c.recorded)"
		" ELSE c.recorded OPERATOR(pg_catalog.@>) $3 END";
	Datum		ids[MH_P_COUNT];
	Datum		days[MH_P_COUNT];
	int			n = 0;
	int			p;
	Oid			argtypes[3] = {INT8ARRAYOID, DATEARRAYOID, DATEOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	char	   *text;

	for (p = 0; p < MH_P_COUNT; p++)
		if ((params & (1u << p)) && call->res->row[p] >= 0)
		{
			const CalRow *r = &call->c->rows[call->res->row[p]];

			/* any day of the part; both ends infinite: every day is in it */
			ids[n] = Int64GetDatum(r->parameter_id);
			days[n++] = DateADTGetDatum(r->lo != MH_DAY_MIN ? r->lo :
										r->hi != MH_DAY_MAX ? r->hi : 0);
		}
	values[0] = PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(days, n, DATEOID, sizeof(DateADT),
												true, TYPALIGN_INT));
	values[2] = DateADTGetDatum(call->c->known_on);
	if (call->c->known_null)
		nulls[2] = 'n';
	if (SPI_connect() != SPI_OK_CONNECT)
		mh_elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, 3, argtypes, values, nulls, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		mh_elog(ERROR, "could not read mynahoken.legal_calendar");
	text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	appendStringInfoString(buf, text);
	SPI_finish();
}

Datum
explanation(const Call *call, const char *decision, const char *result, const MhTrace *t)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"decision\": \"%s\", \"result\": %s, \"knowledge\": ",
					 decision, result);
	escape_json(&buf, fmt_knowledge(call->c, false));
	appendStringInfoString(&buf, ", \"rules\": [");
	for (i = 0; i < t->nrules; i++)
	{
		appendStringInfo(&buf, "%s{\"rule\": \"%s\", \"text\": ",
						 i ? ", " : "", mh_rule_names[t->rules[i]]);
		escape_json(&buf, mh_rule_texts[t->rules[i]]);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "], \"inputs\": ");
	json_inputs(&buf, call, t->inputs);
	appendStringInfoString(&buf, ", \"parameters\": ");
	json_parameters(&buf, call, t->params);
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_legacy_card);
Datum
mynahoken_explain_legacy_card(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	bool		valid,
				accepted;
	mh_day		until;
	StringInfoData res;

	if (!card_args(&call, fcinfo))
		PG_RETURN_NULL();
	t.inputs = MH_IN_CATEGORY | MH_IN_DAY;
	report(&call, mh_card_valid(call.rules, &call.m, call.day, &valid, &t, &param), param);
	report(&call, mh_card_accepted(call.rules, &call.m, call.day, &accepted, &t, &param), param);
	report(&call, mh_card_usable_until(call.rules, &call.m, &until, NULL, &param), param);
	initStringInfo(&res);
	appendStringInfo(&res, "{\"legally_valid\": %s, \"accepted_with_online_check\": %s, \"usable_until\": ",
					 valid ? "true" : "false", accepted ? "true" : "false");
	json_day(&res, until, MH_DAY_MIN);
	appendStringInfoChar(&res, '}');
	PG_RETURN_DATUM(explanation(&call, "legacy_card", res.data, &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_documents);
Datum
mynahoken_explain_documents(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	uint32_t	usable,
				accepted;
	StringInfoData res;

	if (!document_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_documents(call.rules, &call.m, call.day, call.online,
							   &usable, &accepted, &t, &param), param);
	initStringInfo(&res);
	appendStringInfoString(&res, "{\"usable\": ");
	json_doc_array(&res, usable);
	appendStringInfoString(&res, ", \"accepted\": ");
	json_doc_array(&res, accepted);
	appendStringInfoChar(&res, '}');
	PG_RETURN_DATUM(explanation(&call, "documents", res.data, &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_certificate_need);
Datum
mynahoken_explain_certificate_need(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	MhNeed		need;
	char	   *res;

	if (!need_args(&call, fcinfo))
		PG_RETURN_NULL();
	report(&call, mh_certificate_need(call.rules, &call.m, call.day, &need, &t, &param), param);
	res = psprintf("{\"reason\": \"%s\", \"needs_certificate\": %s}", mh_reason_names[need],
				   need == MH_NEED_NOT_NEEDED || need == MH_NEED_NOT_ELIGIBLE ? "false" : "true");
	PG_RETURN_DATUM(explanation(&call, "certificate_need", res, &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_certificate_valid_until);
Datum
mynahoken_explain_certificate_valid_until(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	mh_day		until;

	if (!event_args(&call, fcinfo, "issued_on"))
		PG_RETURN_NULL();
	report(&call, mh_certificate_valid_until(call.rules, call.day, &until, &t, &param), param);
	PG_RETURN_DATUM(explanation(&call, "certificate_valid_until",
								psprintf("{\"valid_until\": \"%s\"}", fmt_day(result_day(until))), &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_acquisition_report_due);
Datum
mynahoken_explain_acquisition_report_due(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	mh_day		due;

	if (!event_args(&call, fcinfo, "acquired_on"))
		PG_RETURN_NULL();
	report(&call, mh_acquisition_report_due(call.rules, call.day, &due, &t, &param), param);
	PG_RETURN_DATUM(explanation(&call, "acquisition_report_due",
								psprintf("{\"due\": \"%s\"}", fmt_day(result_day(due))), &t));
}

PG_FUNCTION_INFO_V1(mynahoken_explain_notice_sending_window);
Datum
mynahoken_explain_notice_sending_window(PG_FUNCTION_ARGS)
{
	Call		call = {0};
	MhParam		param = 0;
	MhTrace		t = {0};
	mh_day		from,
				to;

	if (!event_args(&call, fcinfo, "acquired_on"))
		PG_RETURN_NULL();
	report(&call, mh_notice_window(call.rules, &call.m, &from, &to, &t, &param), param);
	PG_RETURN_DATUM(explanation(&call, "notice_sending_window",
								psprintf("{\"from\": \"%s\", \"to\": \"%s\"}",
										 fmt_day(result_day(from)), fmt_day(result_day(to))), &t));
}
