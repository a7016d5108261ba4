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

/*
 * The academic calendar (table academic_period, migration 0006): periods
 * of an academic year that guards read with qj:in-period(kind), e.g. the
 * summer vacation in which alone a learner is reinstated (seed 000
 * L950-L954).  Anyone signed in reads them; an administrator adds one for
 * every organisation or for a unit in their scope, with its source, or
 * removes one.  Periods of one kind never overlap for the same unit.
 * Servers reload the table with the working-day calendar.
 */

/* "2025-2026": two consecutive years. */
static int
academic_year_ok(const char *s, int *first)
{
	int	a, b, n = 0;

	if (strlen(s) != 9 || sscanf(s, "%4d-%4d%n", &a, &b, &n) != 2 ||
	    n != 9 || a < 2000 || b != a + 1)
		return (0);
	*first = a;
	return (1);
}

static int
period_kind_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > 48 || s[0] < 'a' || s[0] > 'z')
		return (0);
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return (0);
	return (1);
}

static json_t *
period_json(PGresult *res, int i)
{
	return (json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, "
	    "s:s}",
	    "id", (json_int_t)qj_db_i64(res, i, 0),
	    "unit_id", PQgetisnull(res, i, 1) ? json_null() :
	    json_integer(qj_db_i64(res, i, 1)),
	    "kind", qj_db_str(res, i, 2),
	    "academic_year", qj_db_str(res, i, 3),
	    "starts_on", qj_db_str(res, i, 4),
	    "ends_on", qj_db_str(res, i, 5),
	    "title", "kk", qj_db_str(res, i, 6), "ru", qj_db_str(res, i, 7),
	    "en", qj_db_str(res, i, 8),
	    "source", qj_db_str(res, i, 9)));
}

/* GET /api/calendar/periods[?academic_year=YYYY-YYYY] */
void
h_calendar_periods_get(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "academic_year", NULL } };
	struct qj_params	 p;
	PGresult		*res = NULL;
	json_t			*arr;
	enum qj_err		 err;
	int			 i, first;

	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (qp[0].value != NULL && !academic_year_ok(qp[0].value, &first)) {
		reply_problem(ctx, 400, "invalid-parameter", "academic_year",
		    "academic_year is two consecutive years, e.g. 2025-2026");
		goto out;
	}
	qj_p_init(&p);
	qj_p_str(&p, qp[0].value);
	if ((err = qj_db_exec(ctx->db, &res, "SELECT id, unit_id, kind, "
	    "academic_year, starts_on::text, ends_on::text, title_kk, "
	    "title_ru, title_en, source FROM academic_period WHERE $1::text "
	    "IS NULL OR academic_year = $1 ORDER BY starts_on, kind, id", &p,
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, period_json(res, i));
	PQclear(res);
	reply_json(ctx, 200, json_pack("{s:o}", "periods", arr));
out:
	query_free(qp, QJ_NELEM(qp));
}

/* POST /api/calendar/periods {kind, academic_year, starts_on, ends_on,
 * unit_id?, title_kk, title_ru, title_en, source} */
void
h_calendar_periods_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "kind", QJ_J_STRING, 1, 48 },
		{ "academic_year", QJ_J_STRING, 1, 9 },
		{ "starts_on", QJ_J_STRING, 1, 10 },
		{ "ends_on", QJ_J_STRING, 1, 10 },
		{ "unit_id", QJ_J_INT, 0, 0 },
		{ "title_kk", QJ_J_STRING, 1, 300 },
		{ "title_ru", QJ_J_STRING, 1, 300 },
		{ "title_en", QJ_J_STRING, 1, 300 },
		{ "source", QJ_J_STRING, 1, 300 },
	};
	static const char *const day_fields[] = { "starts_on", "ends_on" };
	struct qj_params	 p;
	PGresult		*res = NULL;
	const char		*kind, *year, *from, *to;
	json_t			*unit;
	char			 lo[24], hi[24], idem[65] = "";
	qj_day			 d[2];
	enum qj_err		 err;
	int64_t			 unit_id = 0, id;
	int			 first, i;

	if (require_role(ctx, "admin") != 0 || api_idem_replay(ctx, idem))
		return;
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	kind = qj_json_str(ctx->json, "kind");
	year = qj_json_str(ctx->json, "academic_year");
	from = qj_json_str(ctx->json, "starts_on");
	to = qj_json_str(ctx->json, "ends_on");
	if (!period_kind_ok(kind)) {
		reply_problem(ctx, 400, "invalid-field", "kind", "kind is a "
		    "lower-case name such as summer-vacation (a-z, 0-9, -)");
		return;
	}
	if (!academic_year_ok(year, &first)) {
		reply_problem(ctx, 400, "invalid-field", "academic_year",
		    "academic_year is two consecutive years, e.g. 2025-2026");
		return;
	}
	for (i = 0; i < 2; i++)
		if (qj_day_parse(i == 0 ? from : to, &d[i]) != QJ_OK) {
			reply_problem(ctx, 400, "invalid-field", day_fields[i],
			    "%s must be a date YYYY-MM-DD", day_fields[i]);
			return;
		}
	if (d[1] < d[0]) {
		reply_problem(ctx, 422, "period-dates", "ends_on", "the period "
		    "ends before it starts");
		return;
	}
	/* A period of academic year Y-(Y+1) lies within those two years. */
	snprintf(lo, sizeof(lo), "%04d-01-01", first);
	snprintf(hi, sizeof(hi), "%04d-12-31", first + 1);
	if (strcmp(from, lo) < 0 || strcmp(to, hi) > 0) {
		reply_problem(ctx, 422, "period-dates", "starts_on", "a period "
		    "of the academic year %s lies between %s and %s", year, lo,
		    hi);
		return;
	}
	for (i = 0; i < 4; i++) {
		static const char *const texts[] = { "title_kk", "title_ru",
		    "title_en", "source" };

		if (strlen(qj_json_str(ctx->json, texts[i])) < (i == 3 ? 3u :
		    1u)) {
			reply_problem(ctx, 400, "invalid-field", texts[i],
			    "%s must not be empty%s", texts[i], i == 3 ?
			    " (the act or rule the dates come from)" : "");
			return;
		}
	}
	if ((unit = json_object_get(ctx->json, "unit_id")) != NULL) {
		unit_id = json_integer_value(unit);
		qj_p_init(&p);
		qj_p_i64(&p, unit_id);
		if ((err = qj_db_exec(ctx->db, &res, "SELECT path FROM unit "
		    "WHERE id = $1", &p, &ctx->diag)) != QJ_OK) {
			reply_error(ctx, err, &ctx->diag);
			return;
		}
		if (PQntuples(res) != 1) {
			PQclear(res);
			reply_problem(ctx, 422, "unknown-unit", "unit_id",
			    "there is no unit %lld", (long long)unit_id);
			return;
		}
		if (!actor_covers(ctx->actor, "admin", qj_db_str(res, 0, 0))) {
			PQclear(res);
			reply_problem(ctx, 403, "out-of-scope", "unit_id",
			    "unit %lld is outside the units you administer",
			    (long long)unit_id);
			return;
		}
		PQclear(res);
	}
	qj_p_init(&p);
	if (unit_id != 0)
		qj_p_i64(&p, unit_id);
	else
		qj_p_str(&p, NULL);
	qj_p_str(&p, kind);
	qj_p_str(&p, year);
	qj_p_str(&p, from);
	qj_p_str(&p, to);
	qj_p_str(&p, qj_json_str(ctx->json, "title_kk"));
	qj_p_str(&p, qj_json_str(ctx->json, "title_ru"));
	qj_p_str(&p, qj_json_str(ctx->json, "title_en"));
	qj_p_str(&p, qj_json_str(ctx->json, "source"));
	qj_p_i64(&p, ctx->actor->person_id);
	qj_p_i64(&p, ctx->now);
	/* The overlap check and the insert see the same rows: the table is
	 * locked against concurrent additions for the transaction. */
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = qj_db_exec(ctx->db, NULL, "LOCK TABLE academic_period IN "
	    "SHARE ROW EXCLUSIVE MODE", NULL, &ctx->diag)) != QJ_OK ||
	    (err = qj_db_exec(ctx->db, &res, "INSERT INTO academic_period "
	    "(unit_id, kind, academic_year, starts_on, ends_on, title_kk, "
	    "title_ru, title_en, source, updated_by, updated_at) SELECT "
	    "$1::bigint, $2, $3, $4::date, $5::date, $6, $7, $8, $9, $10, "
	    "to_timestamp($11) WHERE NOT EXISTS (SELECT 1 FROM academic_period "
	    "WHERE kind = $2 AND unit_id IS NOT DISTINCT FROM $1::bigint AND "
	    "starts_on <= $5::date AND ends_on >= $4::date) RETURNING id", &p,
	    &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		qj_db_rollback(ctx->db);
		reply_problem(ctx, 409, "period-overlap", "starts_on", "a %s "
		    "period of the same unit already covers some of %s..%s",
		    kind, from, to);
		return;
	}
	id = qj_db_i64(res, 0, 0);
	PQclear(res);
	if ((err = api_audit(ctx, "calendar", "calendar.period.add", NULL,
	    NULL, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id,
	    "kind", kind, "academic_year", year, "starts_on", from, "ends_on",
	    to))) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_commit_reply(ctx, idem, 201, json_pack("{s:I, s:s, s:s, s:s, s:s}",
	    "id", (json_int_t)id, "kind", kind, "academic_year", year,
	    "starts_on", from, "ends_on", to));
}

/* DELETE /api/calendar/periods/{id} */
void
h_calendar_periods_delete(struct api_ctx *ctx)
{
	struct qj_params	 p;
	PGresult		*res = NULL;
	enum qj_err		 err;

	if (require_role(ctx, "admin") != 0)
		return;
	qj_p_init(&p);
	qj_p_i64(&p, ctx->id[0]);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = qj_db_exec(ctx->db, &res, "SELECT p.kind, "
	    "p.academic_year, coalesce(u.path, '') FROM academic_period p "
	    "LEFT JOIN unit u ON u.id = p.unit_id WHERE p.id = $1 FOR UPDATE "
	    "OF p", &p, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		qj_db_rollback(ctx->db);
		reply_problem(ctx, 404, "not-found", "id", "there is no "
		    "academic period %lld", (long long)ctx->id[0]);
		return;
	}
	if (qj_db_str(res, 0, 2)[0] != '\0' && !actor_covers(ctx->actor,
	    "admin", qj_db_str(res, 0, 2))) {
		PQclear(res);
		qj_db_rollback(ctx->db);
		reply_problem(ctx, 403, "out-of-scope", "id", "the period "
		    "belongs to a unit outside the units you administer");
		return;
	}
	if ((err = qj_db_exec(ctx->db, NULL, "DELETE FROM academic_period "
	    "WHERE id = $1", &p, &ctx->diag)) != QJ_OK ||
	    (err = api_audit(ctx, "calendar", "calendar.period.remove", NULL,
	    NULL, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)ctx->id[0],
	    "kind", qj_db_str(res, 0, 0), "academic_year",
	    qj_db_str(res, 0, 1)))) != QJ_OK ||
	    (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		PQclear(res);
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	PQclear(res);
	reply_empty(ctx, 204);
}
