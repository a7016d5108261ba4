/*
 * h_misc.c: health, readiness, units, and the test clock.
 */
#include <stdio.h>

#include "api/internal.h"
#include "core/jsonin.h"
#include "store/migrate.h"
#include "store/people.h"

/* GET /healthz: the process is alive; never touches the database. */
void
h_healthz(struct api_ctx *ctx)
{
	reply_json(ctx, 200, json_pack("{s:s}", "status", "alive"));
}

/* GET /api/openapi.json: the API's description (docs/openapi.json). */
void
h_openapi(struct api_ctx *ctx)
{
	ctx->resp->status = 200;
	ctx->resp->content_type = "application/json";
	qj_buf_reset(&ctx->resp->body);
	qj_buf_append(&ctx->resp->body, api_rt()->openapi,
	    api_rt()->openapi_len);
}

/* GET /readyz: the database answers and its schema is this code's. */
void
h_readyz(struct api_ctx *ctx)
{
	enum qj_err	err;
	int		version, want = qj_migrate_code_version();

	err = qj_migrate_check(ctx->db, &version, &ctx->diag);
	if (err != QJ_OK) {
		reply_problem(ctx, 503, "not-ready", NULL, "%s",
		    ctx->diag.detail);
		return;
	}
	if (version != want) {
		reply_problem(ctx, 503, "not-ready", NULL,
		    "database schema is at migration %d; this server needs %d "
		    "(run `qujat migrate`)", version, want);
		return;
	}
	reply_json(ctx, 200, json_pack("{s:s, s:i}", "status", "ready",
	    "schema", version));
}

/* GET /api/units */
void
h_units_list(struct api_ctx *ctx)
{
	PGresult	*res;
	enum qj_err	 err;
	json_t		*arr;
	int		 i;

	if ((err = units_list(ctx->db, &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_t *u = json_pack("{s:I, s:I, s:s, s:s, "
		    "s:{s:s, s:s, s:s}}",
		    "id", (json_int_t)qj_db_i64(res, i, 0),
		    "org_id", (json_int_t)qj_db_i64(res, i, 1),
		    "code", qj_db_str(res, i, 3),
		    "kind", qj_db_str(res, i, 4),
		    "name", "kk", qj_db_str(res, i, 5),
		    "ru", qj_db_str(res, i, 6), "en", qj_db_str(res, i, 7));
		json_object_set_new(u, "parent_id", qj_db_isnull(res, i, 2) ?
		    json_null() : json_integer(qj_db_i64(res, i, 2)));
		json_array_append_new(arr, u);
	}
	PQclear(res);
	reply_json(ctx, 200, json_pack("{s:o}", "units", arr));
}

/* PUT /api/test/clock {offset_seconds} — only with QUJAT_TEST_CLOCK=1. */
void
h_test_clock(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "offset_seconds", QJ_J_INT, 1, 0 },
	};
	struct qj_params	p;
	enum qj_err		err;
	json_int_t		off;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	off = json_integer_value(json_object_get(ctx->json, "offset_seconds"));
	if (off < 0 || off > 20LL * 365 * 86400) {
		reply_problem(ctx, 400, "invalid-field", "offset_seconds",
		    "offset_seconds must be in 0..20 years");
		return;
	}
	qj_p_init(&p);
	qj_p_i64(&p, off);
	err = qj_db_exec(ctx->db, NULL, "INSERT INTO test_clock (id, "
	    "offset_seconds) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET "
	    "offset_seconds = $1", &p, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	reply_json(ctx, 200, json_pack("{s:I}", "offset_seconds", off));
}

/*
 * GET /metrics: Prometheus text format 0.0.4, for an administrator's
 * bearer token (the scraper's).  The request counters of every worker
 * (core/metrics), then gauges read from the database at scrape time:
 * cases by workflow and state, pending and overdue deadlines, cases
 * waiting to be sealed, sealed archives and their bytes.
 */
void
h_metrics(struct api_ctx *ctx)
{
	PGresult	*res = NULL;
	struct qj_buf	*out = &ctx->resp->body;
	enum qj_err	 err;
	int		 i;

	if (require_role(ctx, "admin") != 0)
		return;
	qj_buf_reset(out);
	if ((err = api_metrics_render(out)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if ((err = qj_db_exec(ctx->db, &res, "SELECT workflow, state, "
	    "count(*) FROM wf_case GROUP BY workflow, state ORDER BY 1, 2",
	    NULL, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	qj_buf_puts(out, "# HELP qujat_cases Cases by workflow and state.\n"
	    "# TYPE qujat_cases gauge\n");
	for (i = 0; i < PQntuples(res); i++)
		qj_buf_printf(out, "qujat_cases{workflow=\"%s\",state=\"%s\"} "
		    "%s\n", qj_db_str(res, i, 0), qj_db_str(res, i, 1),
		    qj_db_str(res, i, 2));
	PQclear(res);
	if ((err = qj_db_exec(ctx->db, &res, "SELECT (SELECT count(*) FROM "
	    "deadline WHERE state = 'pending'), (SELECT count(*) FROM deadline "
	    "WHERE state = 'pending' AND due_at < now()), (SELECT count(*) "
	    "FROM seal_job), (SELECT count(*) FROM archive), (SELECT "
	    "coalesce(sum(size), 0) FROM archive)", NULL, &ctx->diag)) !=
	    QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	qj_buf_printf(out,
	    "# HELP qujat_deadlines_pending Deadlines not yet fired or "
	    "cancelled.\n# TYPE qujat_deadlines_pending gauge\n"
	    "qujat_deadlines_pending %s\n"
	    "# HELP qujat_deadlines_overdue Pending deadlines already past "
	    "(the timer fires them within seconds; a lasting value is an "
	    "alarm).\n# TYPE qujat_deadlines_overdue gauge\n"
	    "qujat_deadlines_overdue %s\n"
	    "# HELP qujat_seal_queue Closed cases waiting to be sealed.\n"
	    "# TYPE qujat_seal_queue gauge\nqujat_seal_queue %s\n"
	    "# HELP qujat_archives Sealed case archives.\n"
	    "# TYPE qujat_archives gauge\nqujat_archives %s\n"
	    "# HELP qujat_archive_bytes Bytes of sealed case archives.\n"
	    "# TYPE qujat_archive_bytes gauge\nqujat_archive_bytes %s\n",
	    qj_db_str(res, 0, 0), qj_db_str(res, 0, 1), qj_db_str(res, 0, 2),
	    qj_db_str(res, 0, 3), qj_db_str(res, 0, 4));
	PQclear(res);
	ctx->resp->status = 200;
	ctx->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
