/*
 * h_calendar.c: the Kazakhstan working-day calendar as editable data
 * (issue 4 item 3).  Anyone signed in reads it; administrators add, change
 * or remove an exception to the Monday-Friday rule (a holiday, a carried
 * over day off, a transfer decreed by the Government) with its legal
 * source.  Every change is an event of the "calendar" audit stream, and
 * deadlines set afterwards use the new calendar (servers reload it within
 * a few seconds, see flow_calendar()).
 */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/calendar.h"
#include "core/jsonin.h"

static const char *const kinds[] = { "holiday", "holiday-carryover",
    "transfer-day-off", "transfer-working-day" };

/* GET /api/calendar?from=YYYY-MM-DD&to=YYYY-MM-DD */
void
h_calendar_get(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "from", NULL }, { "to", NULL } };
	struct qj_params	 p;
	PGresult		*res = NULL;
	qj_day			 from, to;
	json_t			*arr;
	enum qj_err		 err;
	int			 i;

	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (qp[0].value == NULL || qp[1].value == NULL ||
	    qj_day_parse(qp[0].value, &from) != QJ_OK ||
	    qj_day_parse(qp[1].value, &to) != QJ_OK || to < from ||
	    to - from > 3 * 366) {
		reply_problem(ctx, 400, "invalid-parameter", "from",
		    "from and to must be dates YYYY-MM-DD, from <= to, at most "
		    "three years apart");
		goto out;
	}
	qj_p_init(&p);
	qj_p_str(&p, qp[0].value);
	qj_p_str(&p, qp[1].value);
	if ((err = qj_db_exec(ctx->db, &res, "SELECT day::text, working, "
	    "kind, name_kk, name_ru, name_en, source FROM calendar_day WHERE "
	    "day BETWEEN $1::date AND $2::date ORDER BY day", &p, &ctx->diag))
	    != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:s, s:b, s:s, "
		    "s:{s:s, s:s, s:s}, s:s}",
		    "date", qj_db_str(res, i, 0),
		    "working", qj_db_bool(res, i, 1),
		    "kind", qj_db_str(res, i, 2),
		    "name", "kk", qj_db_str(res, i, 3), "ru",
		    qj_db_str(res, i, 4), "en", qj_db_str(res, i, 5),
		    "source", qj_db_str(res, i, 6)));
	PQclear(res);
	reply_json(ctx, 200, json_pack("{s:s, s:s, s:s, s:o}", "from",
	    qp[0].value, "to", qp[1].value, "rule", "Monday-Friday are "
	    "working days except the listed exceptions", "exceptions", arr));
out:
	query_free(qp, QJ_NELEM(qp));
}

/* PUT /api/calendar/days/{date} {working, kind, name_kk, name_ru, name_en,
 * source} */
void
h_calendar_put(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "working", QJ_J_BOOL, 1, 0 },
		{ "kind", QJ_J_STRING, 1, 32 },
		{ "name_kk", QJ_J_STRING, 1, 300 },
		{ "name_ru", QJ_J_STRING, 1, 300 },
		{ "name_en", QJ_J_STRING, 1, 300 },
		{ "source", QJ_J_STRING, 1, 500 },
	};
	struct qj_params	 p;
	const char		*kind;
	qj_day			 day;
	enum qj_err		 err;
	size_t			 i;
	int			 working;

	if (require_role(ctx, "admin") != 0)
		return;
	if (qj_day_parse(ctx->name, &day) != QJ_OK) {
		reply_problem(ctx, 404, "not-found", "date",
		    "%s is not a date YYYY-MM-DD", ctx->name);
		return;
	}
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	kind = qj_json_str(ctx->json, "kind");
	for (i = 0; i < QJ_NELEM(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			break;
	if (i == QJ_NELEM(kinds)) {
		reply_problem(ctx, 400, "invalid-field", "kind", "kind must be "
		    "holiday, holiday-carryover, transfer-day-off or "
		    "transfer-working-day");
		return;
	}
	working = json_is_true(json_object_get(ctx->json, "working"));
	if (working != (strcmp(kind, "transfer-working-day") == 0)) {
		reply_problem(ctx, 422, "calendar-kind", "working", "only a "
		    "transfer-working-day is a working day; every other kind "
		    "is a day off");
		return;
	}
	qj_p_init(&p);
	qj_p_str(&p, ctx->name);
	qj_p_bool(&p, working);
	qj_p_str(&p, kind);
	qj_p_str(&p, qj_json_str(ctx->json, "name_kk"));
	qj_p_str(&p, qj_json_str(ctx->json, "name_ru"));
	qj_p_str(&p, qj_json_str(ctx->json, "name_en"));
	qj_p_str(&p, qj_json_str(ctx->json, "source"));
	qj_p_i64(&p, ctx->actor->person_id);
	qj_p_i64(&p, ctx->now);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = qj_db_exec(ctx->db, NULL, "INSERT INTO calendar_day (day, "
	    "working, kind, name_kk, name_ru, name_en, source, updated_by, "
	    "updated_at) VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8, "
	    "to_timestamp($9)) ON CONFLICT (day) DO UPDATE SET working = $2, "
	    "kind = $3, name_kk = $4, name_ru = $5, name_en = $6, source = $7, "
	    "updated_by = $8, updated_at = to_timestamp($9)", &p,
	    &ctx->diag)) != QJ_OK ||
	    (err = api_audit(ctx, "calendar", "calendar.set", NULL, NULL,
	    json_pack("{s:s, s:s, s:b}", "date", ctx->name, "kind", kind,
	    "working", working))) != QJ_OK ||
	    (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	reply_json(ctx, 200, json_pack("{s:s, s:b, s:s}", "date", ctx->name,
	    "working", working, "kind", kind));
}

/* DELETE /api/calendar/days/{date}: back to the Monday-Friday rule. */
void
h_calendar_delete(struct api_ctx *ctx)
{
	struct qj_params	 p;
	PGresult		*res = NULL;
	qj_day			 day;
	enum qj_err		 err;

	if (require_role(ctx, "admin") != 0)
		return;
	if (qj_day_parse(ctx->name, &day) != QJ_OK) {
		reply_problem(ctx, 404, "not-found", "date",
		    "%s is not a date YYYY-MM-DD", ctx->name);
		return;
	}
	qj_p_init(&p);
	qj_p_str(&p, ctx->name);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = qj_db_exec(ctx->db, &res, "DELETE FROM calendar_day WHERE "
	    "day = $1::date RETURNING kind", &p, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		qj_db_rollback(ctx->db);
		reply_problem(ctx, 404, "not-found", "date", "%s is not an "
		    "exception", ctx->name);
		return;
	}
	PQclear(res);
	if ((err = api_audit(ctx, "calendar", "calendar.remove", NULL, NULL,
	    json_pack("{s:s}", "date", ctx->name))) != QJ_OK ||
	    (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	reply_empty(ctx, 204);
}
