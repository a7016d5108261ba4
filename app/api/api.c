/*
 * api.c: configuration, the route table, and the dispatcher that every
 * request passes through (see api.h).
 *
 * Order of checks, each answering with problem+json and changing nothing:
 * route (404/405) -> database connection (503) -> authentication (401) ->
 * CSRF (403) -> media type and JSON body (415/400/413) -> handler, which
 * validates fields (400/422) and authorises by role and scope (403).  A
 * transaction left open by a failed handler is rolled back here.
 */
#include <sys/stat.h>

#include <time.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/codec.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xades.h"
#include "store/cases.h"

static struct api_config	cfg;	/* written once by api_init() */
static struct api_rt		rt;	/* loaded once by api_init() */

static int	load_runtime(void);

static const struct api_route routes[] = {
	{ API_GET,	"/healthz",			h_healthz,
	    R_PUBLIC | R_NODB },
	{ API_GET,	"/readyz",			h_readyz,	R_PUBLIC },
	{ API_GET,	"/metrics",			h_metrics,	0 },
	{ API_GET,	"/api/openapi.json",		h_openapi,
	    R_PUBLIC | R_NODB },
	{ API_POST,	"/api/session",			h_session_create,
	    R_PUBLIC | R_JSON },
	{ API_DELETE,	"/api/session",			h_session_delete, 0 },
	{ API_GET,	"/api/me",			h_me,		0 },
	{ API_GET,	"/api/units",			h_units_list,	0 },
	{ API_POST,	"/api/admin/units",		h_units_create,	R_JSON },
	{ API_GET,	"/api/tokens",			h_tokens_list,	0 },
	{ API_POST,	"/api/tokens",			h_tokens_create, R_JSON },
	{ API_DELETE,	"/api/tokens/{id}",		h_tokens_revoke, 0 },
	{ API_GET,	"/api/admin/people",		h_people_list,	0 },
	{ API_POST,	"/api/admin/people",		h_people_create, R_JSON },
	{ API_GET,	"/api/admin/people/{id}",	h_people_get,	0 },
	{ API_PATCH,	"/api/admin/people/{id}",	h_people_update, R_JSON },
	{ API_POST,	"/api/admin/people/{id}/roles",	h_roles_grant,	R_JSON },
	{ API_DELETE,	"/api/admin/people/{id}/roles/{id}", h_roles_revoke, 0 },
	{ API_GET,	"/api/cases/{id}/audit",	h_case_audit,	0 },
	{ API_GET,	"/api/audit/verify",		h_audit_verify,	0 },
	/* h_archive.c: the sealed-case archive (auditors). */
	{ API_GET,	"/api/archive",			h_archive_search, 0 },
	{ API_POST,	"/api/archive/verify",		h_archive_verify_upload,
	    R_RAW },
	{ API_GET,	"/api/archive/{id}",		h_archive_get,	0 },
	{ API_GET,	"/api/archive/{id}/package",	h_archive_package, 0 },
	{ API_GET,	"/api/archive/{id}/verify",	h_archive_verify_stored,
	    0 },
	{ API_POST,	"/api/archive/{id}/holds",	h_archive_hold_set,
	    R_JSON },
	{ API_POST,	"/api/archive/{id}/holds/{id}/lift", h_archive_hold_lift,
	    R_JSON },
	{ API_POST,	"/api/archive/{id}/disposition/signing",
	    h_archive_dispose_signing, R_JSON },
	{ API_POST,	"/api/archive/{id}/disposition", h_archive_dispose,
	    R_JSON },
	{ API_PUT,	"/api/test/clock",		h_test_clock,
	    R_PUBLIC | R_JSON | R_TEST },
	{ API_GET,	"/api/workflows",		h_workflows,	0 },
	{ API_GET,	"/api/forms/{name}",		h_forms_describe, 0 },
	{ API_POST,	"/api/cases",			h_cases_create,	R_JSON },
	{ API_GET,	"/api/cases",			h_cases_list,	0 },
	{ API_GET,	"/api/cases/{id}",		h_case_get,	0 },
	{ API_POST,	"/api/cases/{id}/signing",	h_case_signing,	R_JSON },
	{ API_POST,	"/api/cases/{id}/transitions",	h_case_transition,
	    R_JSON },
	{ API_POST,	"/api/cases/{id}/participants",	h_case_participants,
	    R_JSON },
	{ API_GET,	"/api/cases/{id}/documents/{sha}", h_document_get, 0 },
	{ API_GET,	"/api/cases/{id}/attachments/{sha}", h_attachment_get,
	    0 },
	{ API_POST,	"/api/attachments",		h_attachments_upload,
	    R_RAW },
	{ API_GET,	"/api/inbox",			h_inbox,	0 },
	{ API_GET,	"/api/calendar",		h_calendar_get,	0 },
	{ API_PUT,	"/api/calendar/days/{name}",	h_calendar_put,	R_JSON },
	{ API_DELETE,	"/api/calendar/days/{name}",	h_calendar_delete, 0 },
	{ API_GET,	"/api/calendar/periods",	h_calendar_periods_get, 0 },
	{ API_POST,	"/api/calendar/periods",	h_calendar_periods_create,
	    R_JSON },
	{ API_DELETE,	"/api/calendar/periods/{id}",	h_calendar_periods_delete,
	    0 },
	{ API_POST,	"/api/orders",			h_orders_create, R_JSON },
};

static const char *const method_names[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER"
};

/* "GET /api/cases/{id}" per route, for the metrics; written by api_init(). */
static char	route_labels[QJ_NELEM(routes)][96];
static const char *route_label_ptrs[QJ_NELEM(routes)];

static int64_t
env_int(const char *name, int64_t def, int64_t min, int64_t max, int *bad)
{
	const char	*v = getenv(name);
	char		*end;
	long long	 n;

	if (v == NULL || *v == '\0')
		return (def);
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n < min || n > max) {
		fprintf(stderr, "qujat: %s must be an integer in %lld..%lld\n",
		    name, (long long)min, (long long)max);
		*bad = 1;
		return (def);
	}
	return (n);
}

/* The shared request counters, mapped before the workers fork. */
static int
init_metrics(void)
{
	size_t	i;

	for (i = 0; i < QJ_NELEM(routes); i++) {
		snprintf(route_labels[i], sizeof(route_labels[i]), "%s %s",
		    method_names[routes[i].method], routes[i].pattern);
		route_label_ptrs[i] = route_labels[i];
	}
	if (qj_metrics_init(QJ_NELEM(routes)) != 0) {
		qj_log(QJ_LOG_ERR, "config", "cannot map the metrics region");
		return (-1);
	}
	return (0);
}

enum qj_err
api_metrics_render(struct qj_buf *out)
{
	return (qj_metrics_render(out, route_label_ptrs, QJ_NELEM(routes)));
}

int
api_init(void)
{
	const char	*url = getenv("QUJAT_PUBLIC_URL");
	const char	*tc = getenv("QUJAT_TEST_CLOCK");
	int		 bad = 0;

	cfg.secure_cookies = url != NULL && strncmp(url, "https://", 8) == 0;
	cfg.test_clock = tc != NULL && strcmp(tc, "1") == 0;
	cfg.session_idle = env_int("QUJAT_SESSION_IDLE", 1800, 60, 86400,
	    &bad);
	cfg.session_absolute = env_int("QUJAT_SESSION_ABSOLUTE", 43200, 300,
	    30 * 86400, &bad);
	cfg.throttle_account = (int)env_int("QUJAT_THROTTLE_ACCOUNT", 5, 1,
	    1000, &bad);
	cfg.throttle_address = (int)env_int("QUJAT_THROTTLE_ADDRESS", 50, 1,
	    100000, &bad);
	cfg.throttle_window = env_int("QUJAT_THROTTLE_WINDOW", 900, 10, 86400,
	    &bad);
	cfg.attachment_max = (size_t)env_int("QUJAT_ATTACHMENT_MAX",
	    10 * 1024 * 1024, 1024, 100 * 1024 * 1024, &bad);
	cfg.home = getenv("QUJAT_HOME") ? getenv("QUJAT_HOME") : ".";
	cfg.var = getenv("QUJAT_VAR") ? getenv("QUJAT_VAR") : "var";
	if (cfg.test_clock)
		qj_log(QJ_LOG_WARN, "config",
		    "QUJAT_TEST_CLOCK=1: the clock can be moved over HTTP");
	if (bad || load_runtime() != 0)
		return (-1);
	if (init_metrics() != 0)
		return (-1);
	return (0);
}

static const char *
env_path(const char *name, const char *rel, char *buf, size_t len)
{
	const char	*v = getenv(name);

	if (v != NULL && *v != '\0')
		return (v);
	snprintf(buf, len, "%s/%s", cfg.home, rel);
	return (buf);
}

/*
 * Workflows, forms and the trust store, loaded in Kore's parent before the
 * workers fork; shared read-only afterwards.  Trust anchors, intermediates
 * and CRLs are configuration (QUJAT_TRUST_ANCHORS, QUJAT_TRUST_CHAIN,
 * QUJAT_TRUST_CRLS); the defaults are the development CA of certs/dev.
 */
/* Reads a small file into memory (malloc'd, NUL-terminated). */
static int
read_whole(const char *path, char **out, size_t *len)
{
	FILE	*f;
	long	 n;
	char	*buf;

	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    n > 4 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return (-1);
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return (-1);
	}
	buf[n] = '\0';
	fclose(f);
	*out = buf;
	*len = (size_t)n;
	return (0);
}

static int
load_runtime(void)
{
	struct qj_diag	d;
	char		dir[560], a[600], b[600], c[600];

	qj_sig_init();
	snprintf(dir, sizeof(dir), "%s/workflows", cfg.home);
	snprintf(rt.wf_xsd, sizeof(rt.wf_xsd), "%s/workflow.xsd", dir);
	if (wf_load_dir(dir, &rt.wfs, &d) != QJ_OK) {
		fprintf(stderr, "qujat: workflows: %s\n", d.detail);
		return (-1);
	}
	snprintf(dir, sizeof(dir), "%s/forms", cfg.home);
	if (qj_forms_load(dir, &rt.forms, &d) != QJ_OK) {
		fprintf(stderr, "qujat: forms: %s\n", d.detail);
		return (-1);
	}
	if (qj_trust_load(env_path("QUJAT_TRUST_ANCHORS", "certs/dev/trust", a,
	    sizeof(a)), env_path("QUJAT_TRUST_CHAIN", "certs/dev/chain", b,
	    sizeof(b)), env_path("QUJAT_TRUST_CRLS", "certs/dev/crl", c,
	    sizeof(c)), &rt.trust, &d) != QJ_OK) {
		fprintf(stderr, "qujat: trust store: %s\n", d.detail);
		return (-1);
	}
	snprintf(dir, sizeof(dir), "%s/docs/openapi.json", cfg.home);
	if (read_whole(dir, &rt.openapi, &rt.openapi_len) != 0) {
		fprintf(stderr, "qujat: cannot read %s\n", dir);
		return (-1);
	}
	snprintf(rt.store, sizeof(rt.store), "%s/store", cfg.var);
	if (mkdir(rt.store, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "qujat: %s: %s\n", rt.store, strerror(errno));
		return (-1);
	}
	if (api_archive_init() != 0)	/* seal key, archive directory */
		return (-1);
	qj_log(QJ_LOG_INFO, "startup", "workflows=%d forms=%zu",
	    rt.wfs->ndefs, qj_forms_count(rt.forms));
	return (0);
}

const struct api_rt *
api_rt(void)
{
	return (&rt);
}

int
api_register_definitions(struct qj_db *db, struct qj_diag *d)
{
	const struct wf_def	*def;
	enum qj_err		 err;
	int			 i;

	for (i = 0; i < rt.wfs->ndefs; i++) {
		def = rt.wfs->defs[i];
		if ((err = cases_def_register(db, def->id, def->version,
		    def->sha256, def->source, def->source_len, d)) != QJ_OK)
			return (-1);
	}
	return (0);
}

void
api_flow_env(struct api_ctx *ctx, struct flow_env *env)
{
	memset(env, 0, sizeof(*env));
	env->db = ctx->db;
	env->wfs = rt.wfs;
	env->wf_xsd = rt.wf_xsd;
	env->forms = rt.forms;
	env->trust = rt.trust;
	env->now = ctx->now;
	env->lang = ctx->lang;
	env->request_id = ctx->resp->request_id;
	env->address = ctx->req->address;
}

void
api_flow_actor(const struct actor *a, struct flow_actor *fa,
    struct wf_grant *grants)
{
	int	i;

	memset(fa, 0, sizeof(*fa));
	fa->person_id = a->person_id;
	fa->login = a->login;
	fa->iin = a->iin;
	fa->bin = a->bin[0] != '\0' ? a->bin : NULL;
	for (i = 0; i < a->ngrants; i++) {
		grants[i].role = a->grants[i].role;
		grants[i].unit_path = a->grants[i].unit_path;
	}
	fa->grants = grants;
	fa->ngrants = a->ngrants;
}

int
api_tick(int limit)
{
	struct flow_env	 env;
	struct qj_diag	 d;
	struct qj_db	*db;
	PGresult	*res;
	int		 fired = 0;

	if ((db = qj_db_thread(&d)) == NULL)
		return (-1);
	qj_clock_set_offset(0);
	if (cfg.test_clock && qj_db_exec(db, &res, "SELECT offset_seconds "
	    "FROM test_clock WHERE id = 1", NULL, &d) == QJ_OK) {
		qj_clock_set_offset(PQntuples(res) == 1 ? qj_db_i64(res, 0, 0) :
		    0);
		PQclear(res);
	}
	memset(&env, 0, sizeof(env));
	env.db = db;
	env.wfs = rt.wfs;
	env.wf_xsd = rt.wf_xsd;
	env.forms = rt.forms;
	env.trust = rt.trust;
	env.now = qj_now();
	env.lang = "en";
	env.request_id = "timer";
	(void)api_archive_tick(db);	/* seal closed cases (h_archive.c) */
	if (flow_tick(&env, limit, &fired, &d) != QJ_OK) {
		qj_log(QJ_LOG_ERR, "timer", "%s", d.detail);
		return (-1);
	}
	if (fired > 0)
		qj_log(QJ_LOG_INFO, "timer", "fired %d deadlines", fired);
	return (fired);
}

const struct api_config *
api_config(void)
{
	return (&cfg);
}

/*
 * Matches `path` against `pattern`: {id} is a positive integer (up to 18
 * digits), {sha} 64 lower-case hex digits, {name} [a-z0-9-]{1,48}.
 */
static int
route_match(const char *pattern, const char *path, struct api_ctx *ctx)
{
	const char	*p = pattern, *s = path;
	char		*end;
	long long	 v;
	size_t		 n;

	ctx->nid = 0;
	while (*p != '\0' && *s != '\0') {
		if (strncmp(p, "{id}", 4) == 0) {
			if (!isdigit((unsigned char)*s) || *s == '0')
				return (0);
			v = strtoll(s, &end, 10);
			if (end - s > 18 || ctx->nid >= 4)
				return (0);
			ctx->id[ctx->nid++] = v;
			s = end;
			p += 4;
			continue;
		}
		if (strncmp(p, "{sha}", 5) == 0) {
			n = strspn(s, "0123456789abcdef");
			if (n != 64 || (s[n] != '\0' && s[n] != '/'))
				return (0);
			memcpy(ctx->sha, s, 64);
			ctx->sha[64] = '\0';
			s += 64;
			p += 5;
			continue;
		}
		if (strncmp(p, "{name}", 6) == 0) {
			n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
			if (n == 0 || n > 48 || (s[n] != '\0' && s[n] != '/'))
				return (0);
			memcpy(ctx->name, s, n);
			ctx->name[n] = '\0';
			s += n;
			p += 6;
			continue;
		}
		if (*p != *s)
			return (0);
		p++;
		s++;
	}
	return (*p == '\0' && *s == '\0');
}

int
api_is_inline(const struct api_req *req)
{
	return (req->method == API_GET && strcmp(req->path, "/healthz") == 0);
}

static const char *
pick_lang(const char *accept)
{
	const char	*kk, *ru, *en;

	if (accept == NULL)
		return ("en");
	kk = strcasestr(accept, "kk");
	ru = strcasestr(accept, "ru");
	en = strcasestr(accept, "en");
	if (kk != NULL && (ru == NULL || kk < ru) && (en == NULL || kk < en))
		return ("kk");
	if (ru != NULL && (en == NULL || ru < en))
		return ("ru");
	return ("en");
}

static void
set_request_id(struct api_req *req, struct api_resp *resp)
{
	const char	*in = req->request_id_in;
	unsigned char	 raw[12];
	size_t		 i, n;

	if (in != NULL && (n = strlen(in)) > 0 && n < sizeof(resp->request_id)) {
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)in[i]) && in[i] != '-')
				break;
		if (i == n) {
			memcpy(resp->request_id, in, n + 1);
			return;
		}
	}
	if (qj_random(raw, sizeof(raw)) != QJ_OK)
		memset(raw, 0, sizeof(raw));
	qj_hex(raw, sizeof(raw), resp->request_id);
}

static int
load_test_clock(struct api_ctx *ctx)
{
	PGresult	*res;
	enum qj_err	 err;

	err = qj_db_exec(ctx->db, &res,
	    "SELECT offset_seconds FROM test_clock WHERE id = 1", NULL,
	    &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	qj_clock_set_offset(PQntuples(res) == 1 ? qj_db_i64(res, 0, 0) : 0);
	PQclear(res);
	return (0);
}

static int
parse_json_body(struct api_ctx *ctx)
{
	const char	*ct = ctx->req->content_type;
	enum qj_err	 err;

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		reply_problem(ctx, 415, "unsupported-media-type",
		    "Content-Type", "the body must be application/json");
		return (-1);
	}
	err = qj_json_parse_object(ctx->req->body, ctx->req->body_len,
	    &ctx->json, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	return (0);
}

/* Answers the request; returns the route's index (routes: none matched). */
static size_t
dispatch(struct api_ctx *ctx)
{
	const struct api_route	*r, *hit = NULL;
	char			 allow[96] = "";
	size_t			 i;

	for (i = 0; i < QJ_NELEM(routes); i++) {
		r = &routes[i];
		if ((r->flags & R_TEST) && !cfg.test_clock)
			continue;
		if (!route_match(r->pattern, ctx->req->path, ctx))
			continue;
		if (r->method == ctx->req->method ||
		    (r->method == API_GET && ctx->req->method == API_HEAD)) {
			hit = r;
			break;
		}
		if (strlen(allow) + 10 < sizeof(allow)) {
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, method_names[r->method]);
		}
	}
	if (hit == NULL && allow[0] != '\0') {
		api_resp_header(ctx->resp, "Allow", allow);
		reply_problem(ctx, 405, "method-not-allowed", NULL,
		    "%s is not allowed here; allowed: %s",
		    method_names[ctx->req->method], allow);
		return (QJ_NELEM(routes));
	}
	if (hit == NULL) {
		reply_problem(ctx, 404, "not-found", NULL, "no such resource");
		return (QJ_NELEM(routes));
	}
	i = (size_t)(hit - routes);
	if (!(hit->flags & R_NODB)) {
		if ((ctx->db = qj_db_thread(&ctx->diag)) == NULL) {
			reply_error(ctx, QJ_EDB, &ctx->diag);
			return (i);
		}
		if (cfg.test_clock && load_test_clock(ctx) != 0)
			return (i);
	}
	ctx->now = qj_now();
	if (!(hit->flags & R_PUBLIC)) {
		if (auth_resolve(ctx) != 0 || auth_check_csrf(ctx) != 0)
			return (i);
	}
	if ((hit->flags & R_JSON) && parse_json_body(ctx) != 0)
		return (i);
	if (!(hit->flags & (R_JSON | R_RAW)) && ctx->req->body_len > 0 &&
	    ctx->req->method != API_DELETE) {
		reply_problem(ctx, 400, "unexpected-body", NULL,
		    "this request takes no body");
		return (i);
	}
	hit->handler(ctx);
	return (i);
}

void
api_handle(struct api_req *req, struct api_resp *resp)
{
	struct api_ctx	ctx;
	struct timespec	t0, t1;
	size_t		route = QJ_NELEM(routes);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.req = req;
	ctx.resp = resp;
	ctx.lang = pick_lang(req->accept_language);
	qj_diag_clear(&ctx.diag);
	qj_clock_set_offset(0);
	set_request_id(req, resp);
	resp->status = 0;

	if (req->method == API_OTHER) {
		reply_problem(&ctx, 405, "method-not-allowed", NULL,
		    "this method is not supported");
	} else
		route = dispatch(&ctx);

	if (ctx.db != NULL && qj_db_in_tx(ctx.db))
		qj_db_rollback(ctx.db);
	if (resp->status == 0)
		reply_problem(&ctx, 500, "internal", NULL,
		    "the handler produced no response");
	if (ctx.json != NULL)
		json_decref(ctx.json);
	free(ctx.actor);
	api_resp_header(resp, "X-Request-Id", resp->request_id);
	api_resp_header(resp, "Cache-Control", "no-store");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	qj_metrics_request(route, resp->status, (double)(t1.tv_sec -
	    t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

void
api_resp_init(struct api_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void
api_resp_header(struct api_resp *resp, const char *name, const char *value)
{
	if (QJ_NEVER(resp->nheaders >= API_MAX_HEADERS))
		return;
	resp->hname[resp->nheaders] = strdup(name);
	resp->hvalue[resp->nheaders] = strdup(value);
	if (resp->hname[resp->nheaders] == NULL ||
	    resp->hvalue[resp->nheaders] == NULL) {
		free(resp->hname[resp->nheaders]);
		free(resp->hvalue[resp->nheaders]);
		return;
	}
	resp->nheaders++;
}

void
api_resp_free(struct api_resp *resp)
{
	int	i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->hname[i]);
		free(resp->hvalue[i]);
	}
	qj_buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

void
api_req_free(struct api_req *req)
{
	free(req->path);
	free(req->query);
	free(req->body);
	free(req->content_type);
	free(req->cookie);
	free(req->authorization);
	free(req->csrf_token);
	free(req->idempotency_key);
	free(req->if_match);
	free(req->accept_language);
	free(req->user_agent);
	free(req->request_id_in);
	memset(req, 0, sizeof(*req));
}
