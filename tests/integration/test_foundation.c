/*
 * test_foundation.c: the foundation through the real HTTP API — health,
 * login, throttling, sessions, logout, CSRF, bearer tokens, roles and
 * scopes, IIN validation, malformed requests, migrations.
 */
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrate.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

#define VALID_NEW_IIN	"950615310008"	/* see t_valid_iin_accepted */

static void
login_as(struct tclient *c, const char *login)
{
	ck_assert_int_eq(t_login(c, login, demo_password(login)), 201);
}

static void
set_clock(long long offset)
{
	struct tresp	r;
	char		body[64];

	snprintf(body, sizeof(body), "{\"offset_seconds\":%lld}", offset);
	ck_assert_int_eq(t_json(NULL, "PUT", "/api/test/clock", body, &r), 200);
	tresp_free(&r);
}

/* Creates a person through the admin API; returns the new id. */
static long long
create_person(struct tclient *admin, const char *login, const char *iin,
    const char *unit_code, const char *password)
{
	struct tresp	r;
	char		body[1024];
	long long	unit = db_int("SELECT 0") ;
	char		q[256];

	snprintf(q, sizeof(q), "SELECT id FROM unit WHERE code = '%s'",
	    unit_code);
	unit = db_int(q);
	snprintf(body, sizeof(body), "{\"iin\":\"%s\",\"login\":\"%s\","
	    "\"name_kk\":\"Сынақ\",\"name_ru\":\"Тест\",\"name_en\":\"Test\","
	    "\"home_unit_id\":%lld%s%s%s}", iin, login, unit,
	    password ? ",\"password\":\"" : "", password ? password : "",
	    password ? "\"" : "");
	ck_assert_msg(t_json(admin, "POST", "/api/admin/people", body, &r) ==
	    201, "create %s: %ld %s", login, r.status, r.body);
	unit = t_int(&r, "id");
	tresp_free(&r);
	return (unit);
}

/* --- health ------------------------------------------------------------- */

START_TEST(t_health_and_ready)
{
	struct tresp	r;

	ck_assert_int_eq(t_json(NULL, "GET", "/healthz", NULL, &r), 200);
	ck_assert_str_eq(t_str(&r, "status"), "alive");
	tresp_free(&r);
	ck_assert_int_eq(t_json(NULL, "GET", "/readyz", NULL, &r), 200);
	ck_assert_str_eq(t_str(&r, "status"), "ready");
	ck_assert_int_eq(t_int(&r, "schema"), qj_migrate_code_version());
	tresp_free(&r);
}
END_TEST

/* The value of one sample of a Prometheus text body; -1 when absent. */
static long long
sample(const char *body, const char *series)
{
	const char	*p = body;
	size_t		 n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == body || p[-1] == '\n') && p[n] == ' ')
			return (strtoll(p + n + 1, NULL, 10));
		p += n;
	}
	return (-1);
}

/* GET /metrics: an administrator's (bearer) view of the request counters
 * of every worker and of the database's gauges. */
START_TEST(t_metrics)
{
	static const char readyz[] =
	    "qujat_http_requests_total{route=\"GET /readyz\",code=\"2xx\"}";
	struct tclient	 admin, aud, bot;
	struct tresp	 r;
	long long	 before, after;
	int		 i;

	ck_assert_int_eq(t_json(NULL, "GET", "/metrics", NULL, &r), 401);
	tresp_free(&r);
	login_as(&aud, "auditor");
	ck_assert_int_eq(t_json(&aud, "GET", "/metrics", NULL, &r), 403);
	tresp_free(&r);
	login_as(&admin, "admin");
	ck_assert_int_eq(t_json(&admin, "POST", "/api/tokens",
	    "{\"name\":\"prometheus\"}", &r), 201);
	memset(&bot, 0, sizeof(bot));
	snprintf(bot.bearer, sizeof(bot.bearer), "%s", t_str(&r, "token"));
	tresp_free(&r);
	ck_assert_int_eq(t_req(&bot, "GET", "/metrics", NULL, 0, NULL, NULL, &r),
	    200);
	ck_assert_msg(strstr(r.body, "# TYPE qujat_http_requests_total "
	    "counter\n") != NULL, "%s", r.body);
	before = sample(r.body, readyz);
	ck_assert_int_ge(sample(r.body, "qujat_deadlines_pending"), 0);
	ck_assert_int_ge(sample(r.body, "qujat_seal_queue"), 0);
	tresp_free(&r);
	/* Thirty answers, from whichever worker: counted once each. */
	for (i = 0; i < 30; i++) {
		ck_assert_int_eq(t_json(NULL, "GET", "/readyz", NULL, &r), 200);
		tresp_free(&r);
	}
	ck_assert_int_eq(t_req(&bot, "GET", "/metrics", NULL, 0, NULL, NULL, &r),
	    200);
	after = sample(r.body, readyz);
	ck_assert_msg(after - (before < 0 ? 0 : before) == 30, "%lld -> %lld",
	    before, after);
	/* The histogram counts the same requests. */
	ck_assert_int_eq(sample(r.body, "qujat_http_request_duration_seconds_"
	    "count{route=\"GET /readyz\"}"), after);
	ck_assert_int_eq(sample(r.body, "qujat_http_request_duration_seconds_"
	    "bucket{route=\"GET /readyz\",le=\"+Inf\"}"), after);
	ck_assert_int_ge(sample(r.body, "qujat_http_requests_total{route="
	    "\"GET /metrics\",code=\"4xx\"}"), 2);
	tresp_free(&r);
}
END_TEST

/* --- login ---------------------------------------------------------------- */

START_TEST(t_login_success)
{
	struct tclient	c;
	struct tresp	r;
	char		cookie[256];

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(t_json(&c, "POST", "/api/session",
	    "{\"login\":\"dean\",\"password\":\"x\"}", &r), 401);
	tresp_free(&r);
	login_as(&c, "dean");
	ck_assert(strncmp(c.cookie, "qj_session=", 11) == 0);
	ck_assert_int_eq(strlen(c.csrf), 43);
	ck_assert_int_eq(t_json(&c, "GET", "/api/me", NULL, &r), 200);
	ck_assert_str_eq(t_str(&r, "login"), "dean");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "roles"), 0), "role")), "dean_office");
	tresp_free(&r);

	/* The cookie is HttpOnly and SameSite=Strict. */
	ck_assert_int_eq(t_json(NULL, "POST", "/api/session", "{\"login\":"
	    "\"dean\",\"password\":\"wrong\"}", &r), 401);
	tresp_free(&r);
	memset(&c, 0, sizeof(c));
	{
		char	body[256];

		snprintf(body, sizeof(body),
		    "{\"login\":\"DEAN\",\"password\":\"%s\"}",
		    demo_password("dean"));
		ck_assert_int_eq(t_json(&c, "POST", "/api/session", body, &r),
		    201);
	}
	ck_assert_ptr_nonnull(t_header(&r, "Set-Cookie", cookie,
	    sizeof(cookie)));
	ck_assert_ptr_nonnull(strstr(cookie, "HttpOnly"));
	ck_assert_ptr_nonnull(strstr(cookie, "SameSite=Strict"));
	ck_assert_ptr_null(strstr(cookie, "Secure"));
	tresp_free(&r);
}
END_TEST

/* Unknown account and wrong password look exactly the same. */
START_TEST(t_login_failure_does_not_reveal_account)
{
	struct tresp	a, b;

	ck_assert_int_eq(t_json(NULL, "POST", "/api/session",
	    "{\"login\":\"registrar\",\"password\":\"not-the-password\"}", &a),
	    401);
	ck_assert_int_eq(t_json(NULL, "POST", "/api/session",
	    "{\"login\":\"no-such-person\",\"password\":\"not-the-password\"}",
	    &b), 401);
	ck_assert(t_is_problem(&a, 401, "invalid-credentials"));
	ck_assert(t_is_problem(&b, 401, "invalid-credentials"));
	ck_assert_str_eq(t_str(&a, "detail"), t_str(&b, "detail"));
	ck_assert_str_eq(t_str(&a, "title"), t_str(&b, "title"));
	ck_assert_ptr_null(json_object_get(a.json, "person_id"));
	tresp_free(&a);
	tresp_free(&b);
	ck_assert_int_eq(db_int("SELECT count(*) FROM session s JOIN person p "
	    "ON p.id = s.person_id WHERE p.login = 'registrar'"), 0);
}
END_TEST

START_TEST(t_login_throttled_per_account)
{
	struct tclient	admin, c;
	struct tresp	r;
	char		ra[32];
	int		i;

	set_clock(0);
	login_as(&admin, "admin");
	create_person(&admin, "throttle-me", "880101310008", "fpe",
	    "correct horse battery");
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(t_login(&c, "throttle-me", "wrong password!"),
		    401);
	/* Now even the right password is refused until the window passes. */
	ck_assert_int_eq(t_json(NULL, "POST", "/api/session", "{\"login\":"
	    "\"throttle-me\",\"password\":\"correct horse battery\"}", &r), 429);
	ck_assert(t_is_problem(&r, 429, "login-throttled"));
	ck_assert_ptr_nonnull(t_header(&r, "Retry-After", ra, sizeof(ra)));
	tresp_free(&r);
	/* An unknown login is throttled the same way. */
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(t_login(&c, "ghost-account", "whatever it is"),
		    401);
	ck_assert_int_eq(t_login(&c, "ghost-account", "whatever it is"), 429);
	/* Other accounts are unaffected. */
	login_as(&c, "legal");
	/* After the window (15 minutes) the right password works again. */
	set_clock(901);
	ck_assert_int_eq(t_login(&c, "throttle-me", "correct horse battery"),
	    201);
	set_clock(0);
}
END_TEST

START_TEST(t_login_throttled_per_address)
{
	const char *const	 from[] = { "X-Real-IP: 10.9.9.9", NULL };
	const char *const	 other[] = { "X-Real-IP: 10.9.9.10", NULL };
	struct tresp		 r;
	char			 body[128];
	int			 i;

	for (i = 0; i < 30; i++) {
		snprintf(body, sizeof(body), "{\"login\":\"spray-%d\","
		    "\"password\":\"guess-guess\"}", i);
		ck_assert_int_eq(t_req(NULL, "POST", "/api/session", body,
		    strlen(body), NULL, from, &r), 401);
		tresp_free(&r);
	}
	snprintf(body, sizeof(body), "{\"login\":\"vicerector\","
	    "\"password\":\"%s\"}", demo_password("vicerector"));
	ck_assert_int_eq(t_req(NULL, "POST", "/api/session", body,
	    strlen(body), NULL, from, &r), 429);
	tresp_free(&r);
	ck_assert_int_eq(t_req(NULL, "POST", "/api/session", body,
	    strlen(body), NULL, other, &r), 201);
	tresp_free(&r);
}
END_TEST

/* --- sessions ------------------------------------------------------------- */

START_TEST(t_session_idle_expiry)
{
	struct tclient	c;
	struct tresp	r;

	set_clock(0);
	login_as(&c, "registrar");
	set_clock(1700);
	ck_assert_int_eq(t_json(&c, "GET", "/api/me", NULL, &r), 200);
	tresp_free(&r);
	/* 1700 s later the last activity is 1700 s ago: still alive. */
	set_clock(3400);
	ck_assert_int_eq(t_json(&c, "GET", "/api/me", NULL, &r), 200);
	tresp_free(&r);
	/* 1801 s of inactivity ends it. */
	set_clock(3400 + 1801);
	ck_assert_int_eq(t_json(&c, "GET", "/api/me", NULL, &r), 401);
	ck_assert(t_is_problem(&r, 401, "unauthenticated"));
	tresp_free(&r);
	set_clock(0);
}
END_TEST

START_TEST(t_session_absolute_expiry)
{
	struct tclient	c;
	struct tresp	r;
	long long	t;

	set_clock(0);
	login_as(&c, "legal");
	/* Active every 25 minutes: idle never ends it, 12 hours do. */
	for (t = 1500; t < 43200; t += 1500) {
		set_clock(t);
		ck_assert_int_eq(t_json(&c, "GET", "/api/me", NULL, &r), 200);
		tresp_free(&r);
	}
	set_clock(43201);
	ck_assert_int_eq(t_json(&c, "GET", "/api/me", NULL, &r), 401);
	tresp_free(&r);
	set_clock(0);
}
END_TEST

START_TEST(t_logout)
{
	struct tclient	c, stale;
	struct tresp	r;

	login_as(&c, "chair");
	stale = c;
	ck_assert_int_eq(t_json(&c, "DELETE", "/api/session", NULL, &r), 204);
	tresp_free(&r);
	ck_assert_str_eq(c.cookie, "");	/* the server cleared the cookie */
	ck_assert_int_eq(t_json(&stale, "GET", "/api/me", NULL, &r), 401);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM session s JOIN person p "
	    "ON p.id = s.person_id WHERE p.login = 'chair' AND revoked_at IS "
	    "NULL"), 0);
}
END_TEST

START_TEST(t_csrf_rejected)
{
	struct tclient	c;
	struct tresp	r;
	int64_t		before = db_int("SELECT count(*) FROM api_token");
	char		saved[64];

	login_as(&c, "member1");
	snprintf(saved, sizeof(saved), "%s", c.csrf);
	c.csrf[0] = '\0';
	ck_assert_int_eq(t_json(&c, "POST", "/api/tokens",
	    "{\"name\":\"ci\"}", &r), 403);
	ck_assert(t_is_problem(&r, 403, "csrf"));
	tresp_free(&r);
	snprintf(c.csrf, sizeof(c.csrf), "%s", "A" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	ck_assert_int_eq(t_json(&c, "POST", "/api/tokens",
	    "{\"name\":\"ci\"}", &r), 403);
	tresp_free(&r);
	/* Logout is state-changing too. */
	c.csrf[0] = '\0';
	ck_assert_int_eq(t_json(&c, "DELETE", "/api/session", NULL, &r), 403);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM api_token"), before);
	/* With the right token it works. */
	snprintf(c.csrf, sizeof(c.csrf), "%s", saved);
	ck_assert_int_eq(t_json(&c, "POST", "/api/tokens",
	    "{\"name\":\"ci\"}", &r), 201);
	tresp_free(&r);
}
END_TEST

START_TEST(t_bearer_token)
{
	struct tclient	c, bot;
	struct tresp	r;
	long long	id;
	char		path[64];

	login_as(&c, "auditor");
	ck_assert_int_eq(t_json(&c, "POST", "/api/tokens",
	    "{\"name\":\"archive sync\",\"expires_in_days\":30}", &r), 201);
	memset(&bot, 0, sizeof(bot));
	snprintf(bot.bearer, sizeof(bot.bearer), "%s", t_str(&r, "token"));
	id = t_int(&r, "id");
	ck_assert(strncmp(bot.bearer, "qjt_", 4) == 0);
	tresp_free(&r);
	/* Only the hash is stored. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM api_token WHERE "
	    "token_hash LIKE 'qjt_%'"), 0);
	ck_assert_int_eq(t_json(&bot, "GET", "/api/me", NULL, &r), 200);
	ck_assert_str_eq(t_str(&r, "login"), "auditor");
	ck_assert_ptr_null(json_object_get(r.json, "csrf_token"));
	tresp_free(&r);
	/* No CSRF token is needed with a bearer token. */
	ck_assert_int_eq(t_json(&bot, "POST", "/api/tokens",
	    "{\"name\":\"second\"}", &r), 201);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/tokens/%lld", id);
	ck_assert_int_eq(t_json(&c, "DELETE", path, NULL, &r), 204);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&bot, "GET", "/api/me", NULL, &r), 401);
	tresp_free(&r);
	bot.bearer[5] ^= 1;
	ck_assert_int_eq(t_json(&bot, "GET", "/api/me", NULL, &r), 401);
	tresp_free(&r);
}
END_TEST

/* --- roles and scopes ---------------------------------------------------- */

START_TEST(t_401_vs_403)
{
	struct tclient	anon, app, admin;
	struct tresp	r;

	memset(&anon, 0, sizeof(anon));
	ck_assert_int_eq(t_json(&anon, "GET", "/api/admin/people", NULL, &r),
	    401);
	ck_assert(t_is_problem(&r, 401, "unauthenticated"));
	tresp_free(&r);
	snprintf(anon.cookie, sizeof(anon.cookie), "qj_session=%s",
	    "0123456789012345678901234567890123456789abc");
	ck_assert_int_eq(t_json(&anon, "GET", "/api/me", NULL, &r), 401);
	tresp_free(&r);
	login_as(&app, "applicant");
	ck_assert_int_eq(t_json(&app, "GET", "/api/admin/people", NULL, &r),
	    403);
	ck_assert(t_is_problem(&r, 403, "forbidden-role"));
	tresp_free(&r);
	login_as(&admin, "admin");
	ck_assert_int_eq(t_json(&admin, "GET", "/api/admin/people", NULL, &r),
	    200);
	ck_assert_int_ge(t_int(&r, "total"), 14);
	tresp_free(&r);
}
END_TEST

/* An admin granted at the faculty manages only the faculty. */
START_TEST(t_admin_scope)
{
	struct tclient	root, fac;
	struct tresp	r;
	long long	fpe = db_int("SELECT id FROM unit WHERE code = 'fpe'");
	long long	reg = db_int("SELECT id FROM unit WHERE code = "
			    "'registrar'");
	long long	registrar = db_int("SELECT id FROM person WHERE "
			    "login = 'registrar'");
	long long	applicant = db_int("SELECT id FROM person WHERE "
			    "login = 'applicant'");
	long long	fa;
	char		path[96], body[128];

	login_as(&root, "admin");
	fa = create_person(&root, "faculty-admin", "770707410006", "fpe",
	    "faculty admin pass");
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles", fa);
	snprintf(body, sizeof(body), "{\"role\":\"admin\",\"unit_id\":%lld}",
	    fpe);
	ck_assert_int_eq(t_json(&root, "POST", path, body, &r), 201);
	tresp_free(&r);
	ck_assert_int_eq(t_login(&fac, "faculty-admin", "faculty admin pass"),
	    201);

	snprintf(path, sizeof(path), "/api/admin/people/%lld", applicant);
	ck_assert_int_eq(t_json(&fac, "GET", path, NULL, &r), 200);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/admin/people/%lld", registrar);
	ck_assert_int_eq(t_json(&fac, "GET", path, NULL, &r), 403);
	ck_assert(t_is_problem(&r, 403, "out-of-scope"));
	tresp_free(&r);
	/* Cannot grant a role at a unit outside the faculty... */
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles", applicant);
	snprintf(body, sizeof(body), "{\"role\":\"registrar\",\"unit_id\":"
	    "%lld}", reg);
	ck_assert_int_eq(t_json(&fac, "POST", path, body, &r), 403);
	ck_assert(t_is_problem(&r, 403, "out-of-scope"));
	tresp_free(&r);
	/* ...nor to themselves. */
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles", fa);
	snprintf(body, sizeof(body), "{\"role\":\"dean_office\",\"unit_id\":"
	    "%lld}", fpe);
	ck_assert_int_eq(t_json(&fac, "POST", path, body, &r), 403);
	ck_assert(t_is_problem(&r, 403, "self-grant"));
	tresp_free(&r);
	/* Listing shows faculty people only. */
	ck_assert_int_eq(t_json(&fac, "GET", "/api/admin/people?limit=500",
	    NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body, "\"login\":\"registrar\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"login\":\"applicant\""));
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM role_grant g JOIN person "
	    "p ON p.id = g.person_id WHERE p.login IN ('applicant', "
	    "'faculty-admin') AND g.role IN ('registrar', 'dean_office')"), 0);
}
END_TEST

/* Units: created under a unit the administrator covers, audited; a
 * faculty administrator cannot add one elsewhere. */
START_TEST(t_units_create)
{
	static const char *const bad[] = {
		"{\"parent_id\":%lld,\"code\":\"Cardio\",\"kind\":"
		    "\"department\",\"name_kk\":\"a\",\"name_ru\":\"a\","
		    "\"name_en\":\"a\"}",
		"{\"parent_id\":%lld,\"code\":\"cardio\",\"kind\":"
		    "\"organisation\",\"name_kk\":\"a\",\"name_ru\":\"a\","
		    "\"name_en\":\"a\"}",
		"{\"parent_id\":%lld,\"code\":\"cardio\",\"kind\":"
		    "\"department\",\"name_kk\":\"\",\"name_ru\":\"a\","
		    "\"name_en\":\"a\"}",
		"{\"parent_id\":%lld,\"code\":\"cardio\",\"kind\":"
		    "\"department\",\"name_kk\":\"a\",\"name_ru\":\"a\"}",
	};
	struct tclient	root, fac, reg;
	struct tresp	r;
	long long	fpe = db_int("SELECT id FROM unit WHERE code = 'fpe'");
	long long	legal = db_int("SELECT id FROM unit WHERE code = "
			    "'legal'");
	long long	units = db_int("SELECT count(*) FROM unit");
	long long	fa, id;
	char		body[512], path[96], q[256];
	size_t		i;

	login_as(&root, "admin");
	login_as(&reg, "registrar");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), bad[i], fpe);
		ck_assert_int_eq(t_json(&root, "POST", "/api/admin/units", body,
		    &r), 400);
		ck_assert(t_is_problem(&r, 400, NULL));
		tresp_free(&r);
	}
	snprintf(body, sizeof(body), "{\"parent_id\":%lld,\"code\":"
	    "\"cardio\",\"kind\":\"department\",\"name_kk\":\"Кардиология "
	    "кафедрасы\",\"name_ru\":\"Кафедра кардиологии\",\"name_en\":"
	    "\"Department of Cardiology\"}", fpe);
	ck_assert_int_eq(t_json(&reg, "POST", "/api/admin/units", body, &r),
	    403);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&root, "POST", "/api/admin/units",
	    "{\"parent_id\":999999,\"code\":\"cardio\",\"kind\":"
	    "\"department\",\"name_kk\":\"a\",\"name_ru\":\"a\","
	    "\"name_en\":\"a\"}", &r), 422);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM unit"), units);
	ck_assert_int_eq(t_json(&root, "POST", "/api/admin/units", body, &r),
	    201);
	id = t_int(&r, "id");
	tresp_free(&r);
	/* Under the faculty, in its organisation; audited. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM unit c JOIN unit p "
	    "ON p.id = %lld WHERE c.id = %lld AND c.path LIKE p.path || '%%' "
	    "AND c.org_id = p.org_id", fpe, id);
	ck_assert_int_eq(db_int(q), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE stream "
	    "= 'accounts' AND action = 'unit.create'"), 1);
	ck_assert_int_eq(t_json(&root, "POST", "/api/admin/units", body, &r),
	    409);
	ck_assert(t_is_problem(&r, 409, "unit-code-taken"));
	tresp_free(&r);
	/* A faculty administrator adds under the faculty only. */
	fa = create_person(&root, "units-admin", "800808410003", "fpe",
	    "units admin pass");
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles", fa);
	snprintf(body, sizeof(body), "{\"role\":\"admin\",\"unit_id\":%lld}",
	    fpe);
	ck_assert_int_eq(t_json(&root, "POST", path, body, &r), 201);
	tresp_free(&r);
	ck_assert_int_eq(t_login(&fac, "units-admin", "units admin pass"), 201);
	snprintf(body, sizeof(body), "{\"parent_id\":%lld,\"code\":"
	    "\"contracts\",\"kind\":\"department\",\"name_kk\":\"a\","
	    "\"name_ru\":\"a\",\"name_en\":\"a\"}", legal);
	ck_assert_int_eq(t_json(&fac, "POST", "/api/admin/units", body, &r),
	    403);
	ck_assert(t_is_problem(&r, 403, "out-of-scope"));
	tresp_free(&r);
	snprintf(body, sizeof(body), "{\"parent_id\":%lld,\"code\":"
	    "\"cardio-lab\",\"kind\":\"department\",\"name_kk\":\"a\","
	    "\"name_ru\":\"a\",\"name_en\":\"a\"}", id);
	ck_assert_int_eq(t_json(&fac, "POST", "/api/admin/units", body, &r),
	    201);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM unit"), units + 2);
	/* Idempotency-Key: a retry gets the first answer and adds nothing;
	 * the key with another request is refused. */
	{
		static const char *const key[] = { "Idempotency-Key: unit-7f3a",
		    NULL };
		const char	*u = "{\"parent_id\":1,\"code\":\"retry-unit\","
				    "\"kind\":\"department\",\"name_kk\":\"a\","
				    "\"name_ru\":\"a\",\"name_en\":\"a\"}";
		char		 hdr[16];
		long long	 first;

		ck_assert_int_eq(t_req(&root, "POST", "/api/admin/units", u,
		    strlen(u), NULL, key, &r), 201);
		first = t_int(&r, "id");
		tresp_free(&r);
		ck_assert_int_eq(t_req(&root, "POST", "/api/admin/units", u,
		    strlen(u), NULL, key, &r), 201);
		ck_assert_int_eq(t_int(&r, "id"), first);
		ck_assert_ptr_nonnull(t_header(&r, "idempotent-replayed", hdr,
		    sizeof(hdr)));
		tresp_free(&r);
		ck_assert_int_eq(db_int("SELECT count(*) FROM unit"), units + 3);
		ck_assert_int_eq(t_req(&root, "POST", "/api/admin/units", body,
		    strlen(body), NULL, key, &r), 422);
		ck_assert(t_is_problem(&r, 422, "idempotency-key-reused"));
		tresp_free(&r);
	}
}
END_TEST

START_TEST(t_grant_and_revoke)
{
	struct tclient	admin, m;
	struct tresp	r;
	long long	member2 = db_int("SELECT id FROM person WHERE login = "
			    "'member2'");
	long long	univ = db_int("SELECT id FROM unit WHERE code = 'univ'");
	long long	gid;
	char		path[96], body[96];

	login_as(&admin, "admin");
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles", member2);
	snprintf(body, sizeof(body), "{\"role\":\"auditor\",\"unit_id\":%lld}",
	    univ);
	ck_assert_int_eq(t_json(&admin, "POST", path, body, &r), 201);
	gid = t_int(&r, "grant_id");
	tresp_free(&r);
	login_as(&m, "member2");
	ck_assert_int_eq(t_json(&m, "GET", "/api/me", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"auditor\""));
	tresp_free(&r);
	/* The same grant twice is a conflict. */
	ck_assert_int_eq(t_json(&admin, "POST", path, body, &r), 409);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles/%lld",
	    member2, gid);
	ck_assert_int_eq(t_json(&admin, "DELETE", path, NULL, &r), 204);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&m, "GET", "/api/me", NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body, "\"auditor\""));
	tresp_free(&r);
}
END_TEST

/* --- IIN ------------------------------------------------------------------ */

START_TEST(t_invalid_iin_rejected)
{
	static const char *const bad[] = {
		"980412410007",		/* check digit off by one */
		"980412410005",		/* another wrong check digit */
		"981312410006",		/* month 13 */
		"980230410006",		/* 30 February */
		"980412710006",		/* century digit 7 */
		"98041241000",		/* 11 digits */
		"98041241000x",		/* not a digit */
		"400101510005",		/* born 2040 */
	};
	struct tclient	admin;
	struct tresp	r;
	int64_t		before = db_int("SELECT count(*) FROM person");
	char		body[512];
	size_t		i;

	login_as(&admin, "admin");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"iin\":\"%s\",\"login\":"
		    "\"iin-test-%zu\",\"name_kk\":\"A\",\"name_ru\":\"A\","
		    "\"name_en\":\"A\",\"home_unit_id\":%lld}", bad[i], i,
		    (long long)db_int("SELECT id FROM unit WHERE code='fpe'"));
		ck_assert_int_eq(t_json(&admin, "POST", "/api/admin/people",
		    body, &r), 400);
		ck_assert_msg(t_is_problem(&r, 400, "invalid-iin"), "%s: %s",
		    bad[i], r.body);
		ck_assert_str_eq(json_string_value(json_object_get(r.json,
		    "field")), "iin");
		tresp_free(&r);
	}
	ck_assert_int_eq(db_int("SELECT count(*) FROM person"), before);
}
END_TEST

START_TEST(t_valid_iin_accepted)
{
	struct tclient	admin;

	login_as(&admin, "admin");
	/* 1995-06-15, male born in the 1900s, serial 1000, check digit 8. */
	create_person(&admin, "valid-iin", VALID_NEW_IIN, "fpe", NULL);
	ck_assert_int_eq(db_int("SELECT count(*) FROM person WHERE iin = '"
	    VALID_NEW_IIN "'"), 1);
}
END_TEST

/* --- malformed requests --------------------------------------------------- */

struct bad_request {
	const char	*method, *path, *body, *ctype;
	long		 status;
	const char	*slug;
};

static int64_t
written_rows(void)
{
	return (db_int("SELECT (SELECT count(*) FROM person) + "
	    "(SELECT count(*) FROM credential) + "
	    "(SELECT count(*) FROM role_grant) + "
	    "(SELECT count(*) FROM api_token) + "
	    "(SELECT count(*) FROM unit) + "
	    "(SELECT count(*) FROM organisation) + "
	    "(SELECT count(*) FROM session)"));
}

START_TEST(t_malformed_requests)
{
	static const struct bad_request bad[] = {
		{ "POST", "/api/admin/people", "{\"iin\":", NULL, 400,
		    "invalid-json" },
		{ "POST", "/api/admin/people", "[1,2,3]", NULL, 400,
		    "invalid-json" },
		{ "POST", "/api/admin/people", "", NULL, 400, "invalid-json" },
		{ "POST", "/api/admin/people", "{\"iin\":\"1\",\"iin\":\"2\"}",
		    NULL, 400, "invalid-json" },
		{ "POST", "/api/admin/people", "{\"login\":\"x\\u0000y\"}",
		    NULL, 400, "invalid-json" },
		{ "POST", "/api/admin/people", "{\"iin\":\"980412410006\","
		    "\"login\":\"a1\",\"name_kk\":\"A\",\"name_ru\":\"A\","
		    "\"name_en\":\"A\",\"home_unit_id\":1,\"role\":\"admin\"}",
		    NULL, 400, "unknown-field" },
		{ "POST", "/api/admin/people", "{\"iin\":980412410006}", NULL,
		    400, "wrong-type" },
		{ "POST", "/api/admin/people", "{\"iin\":\"980412410006\"}",
		    NULL, 400, "missing-field" },
		{ "POST", "/api/admin/people", "{\"iin\":\"980412410006\","
		    "\"login\":\"a1\",\"name_kk\":\"A\",\"name_ru\":\"A\","
		    "\"name_en\":\"A\",\"home_unit_id\":\"7\"}", NULL, 400,
		    "wrong-type" },
		{ "POST", "/api/admin/people", "{\"iin\":\"880808310001\","
		    "\"login\":\"Bad Login\",\"name_kk\":\"A\",\"name_ru\":\"A\","
		    "\"name_en\":\"A\",\"home_unit_id\":1}", NULL, 400,
		    "invalid-field" },
		{ "POST", "/api/admin/people", "{\"iin\":\"880808310001\","
		    "\"login\":\"admin\",\"name_kk\":\"A\",\"name_ru\":\"A\","
		    "\"name_en\":\"A\",\"home_unit_id\":999999}", NULL, 422,
		    "unknown-unit" },
		{ "POST", "/api/admin/people", "{\"iin\":\"980412410006\"}",
		    "text/plain", 415, "unsupported-media-type" },
		{ "POST", "/api/admin/people", "iin=980412410006",
		    "application/x-www-form-urlencoded", 415,
		    "unsupported-media-type" },
		{ "POST", "/api/admin/people/2/roles", "{\"role\":\"pope\","
		    "\"unit_id\":1}", NULL, 422, "unknown-role" },
		{ "POST", "/api/admin/people/2/roles", "{\"role\":\"auditor\","
		    "\"unit_id\":-5}", NULL, 422, "unknown-unit" },
		{ "POST", "/api/admin/people/99999999/roles",
		    "{\"role\":\"auditor\",\"unit_id\":1}", NULL, 404,
		    "not-found" },
		{ "GET", "/api/admin/people?limit=abc", NULL, NULL, 400,
		    "invalid-parameter" },
		{ "GET", "/api/admin/people?limit=100000", NULL, NULL, 400,
		    "invalid-parameter" },
		{ "GET", "/api/admin/people?sort=name", NULL, NULL, 400,
		    "unknown-parameter" },
		{ "GET", "/api/admin/people?q=a&q=b", NULL, NULL, 400,
		    "duplicate-parameter" },
		{ "GET", "/api/admin/people?q=%zz", NULL, NULL, 400,
		    "invalid-query" },
		{ "GET", "/api/admin/people/abc", NULL, NULL, 404, "not-found" },
		{ "GET", "/api/admin/people/0", NULL, NULL, 404, "not-found" },
		{ "PUT", "/api/admin/people", "{}", NULL, 405,
		    "method-not-allowed" },
		{ "GET", "/api/no-such-thing", NULL, NULL, 404, "not-found" },
		{ "PATCH", "/api/admin/people/1", "{\"disabled\":\"yes\"}", NULL,
		    400, "wrong-type" },
		{ "PATCH", "/api/admin/people/1", "{\"password\":\"short\"}",
		    NULL, 400, "weak-password" },
		{ "PATCH", "/api/admin/people/1", "{\"email\":\"no-at-sign\"}",
		    NULL, 400, "invalid-field" },
		{ "POST", "/api/tokens", "{\"name\":\"\"}", NULL, 400,
		    "missing-field" },
		{ "POST", "/api/tokens", "{\"name\":\"x\",\"expires_in_days\":"
		    "0}", NULL, 400, "invalid-field" },
		{ "POST", "/api/session", "{\"login\":[\"admin\"],"
		    "\"password\":\"x\"}", NULL, 400, "wrong-type" },
		{ "DELETE", "/api/tokens/424242", NULL, NULL, 404, "not-found" },
	};
	struct tclient	admin;
	struct tresp	r;
	int64_t		before;
	size_t		i;

	login_as(&admin, "admin");
	before = written_rows();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_req(&admin, bad[i].method, bad[i].path, bad[i].body,
		    bad[i].body ? strlen(bad[i].body) : 0, bad[i].ctype, NULL,
		    &r);
		ck_assert_msg(t_is_problem(&r, bad[i].status, bad[i].slug),
		    "case %zu %s %s: got %ld %s", i, bad[i].method,
		    bad[i].path, r.status, r.body);
		tresp_free(&r);
		ck_assert_msg(written_rows() == before,
		    "case %zu wrote to the database", i);
	}
	ck_assert_int_ge(sizeof(bad) / sizeof(bad[0]), 15);
}
END_TEST

START_TEST(t_body_too_large)
{
	struct tclient	admin;
	struct tresp	r;
	size_t		n = 13 * 1024 * 1024;
	char		*big = malloc(n);

	login_as(&admin, "admin");
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	t_req(&admin, "POST", "/api/tokens", big, n, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 413);
	tresp_free(&r);
	memset(big, ' ', 9 * 1024 * 1024);
	big[0] = '{';
	big[9 * 1024 * 1024 - 1] = '}';
	t_req(&admin, "POST", "/api/tokens", big, 9 * 1024 * 1024, NULL, NULL,
	    &r);
	ck_assert(t_is_problem(&r, 413, "body-too-large"));
	tresp_free(&r);
	free(big);
}
END_TEST

/* --- migrations ----------------------------------------------------------- */

/* Runs bin/qujat with `args` against the database `dsn`; its exit status. */
static int
qujat(const char *dsn, const char *args)
{
	char	cmd[2048];
	int	st;

	snprintf(cmd, sizeof(cmd), "bin/qujat %s --db '%s' >/dev/null 2>&1",
	    args, dsn);
	st = system(cmd);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int64_t
boot_int(struct qj_db *db, const char *sql)
{
	PGresult	*res;
	struct qj_diag	 d;
	int64_t		 v;

	ck_assert_int_eq(qj_db_exec(db, &res, sql, NULL, &d), QJ_OK);
	v = qj_db_i64(res, 0, 0);
	PQclear(res);
	return (v);
}

/*
 * A database without the demo seed: `qujat bootstrap` makes the university
 * and its first administrator, once; `qujat org-add` a Customer with that
 * administrator; both audited in the accounts stream, which verifies.
 */
START_TEST(t_bootstrap)
{
	static const char univ[] = "--bin 990440010005 --code kaznmu "
	    "--name-kk 'ҚазҰМУ' --name-ru 'КазНМУ' --name-en 'KazNMU' "
	    "--admin-login root --admin-iin 770707410006 --admin-name-kk "
	    "'Әкімші' --admin-name-ru 'Администратор' --admin-name-en "
	    "'Administrator' --password-file ";
	char		 dsn[600], pwf[400], args[1024];
	struct qj_db	*db;
	struct qj_diag	 d;
	FILE		*f;

	db_run("DROP DATABASE IF EXISTS boot");
	db_run("CREATE DATABASE boot");
	snprintf(dsn, sizeof(dsn), "host=%s/pg/sock port=5433 dbname=boot "
	    "user=postgres", H.root);
	ck_assert_int_eq(qujat(dsn, "migrate"), 0);
	snprintf(pwf, sizeof(pwf), "%s/boot.pw", H.root);
	ck_assert_ptr_nonnull(f = fopen(pwf, "w"));
	fputs("a long enough root password\n", f);
	fclose(f);
	/* Usage errors change nothing: a missing option, a bad IIN. */
	ck_assert_int_eq(qujat(dsn, "bootstrap --bin 990440010005"), 2);
	snprintf(args, sizeof(args), "bootstrap %s'%s'", univ, pwf);
	memcpy(strstr(args, "770707410006"), "770707410007", 12);
	ck_assert_int_eq(qujat(dsn, args), 2);
	ck_assert_int_eq(qj_db_connect(dsn, &db, &d), QJ_OK);
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM organisation"), 0);
	snprintf(args, sizeof(args), "bootstrap %s'%s'", univ, pwf);
	ck_assert_int_eq(qujat(dsn, args), 0);
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM role_grant g JOIN "
	    "person p ON p.id = g.person_id JOIN unit u ON u.id = g.unit_id "
	    "WHERE p.login = 'root' AND g.role = 'admin' AND u.parent_id IS "
	    "NULL AND u.code = 'kaznmu'"), 1);
	/* Once only: the same again, or another university. */
	ck_assert_int_eq(qujat(dsn, args), 1);
	memcpy(strstr(args, "990440010005"), "000740001307", 12);
	memcpy(strstr(args, "--code kaznmu"), "--code second", 13);
	memcpy(strstr(args, "--admin-login root"), "--admin-login boss", 18);
	memcpy(strstr(args, "770707410006"), "800808410003", 12);
	ck_assert_int_eq(qujat(dsn, args), 1);
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM person"), 1);
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM organisation"), 1);
	ck_assert_int_eq(qujat(dsn, "org-add --kind customer --bin "
	    "010340010009 --code almaty-health --name-kk 'Басқарма' --name-ru "
	    "'Управление' --name-en 'Department' --admin root"), 0);
	ck_assert_int_eq(qujat(dsn, "org-add --kind customer --bin "
	    "010340010009 --code again --name-kk 'a' --name-ru 'a' --name-en "
	    "'a'"), 1);
	ck_assert_int_eq(qujat(dsn, "org-add --kind hospital --bin "
	    "010340010009 --code again --name-kk 'a' --name-ru 'a' --name-en "
	    "'a'"), 2);
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM role_grant g JOIN "
	    "unit u ON u.id = g.unit_id WHERE u.code = 'almaty-health' AND "
	    "g.role = 'admin'"), 1);
	/* Org, person, grant; org and grant: five events, chained. */
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM audit_event WHERE "
	    "stream = 'accounts' AND actor_login LIKE 'cli:%'"), 5);
	ck_assert_int_eq(qujat(dsn, "verify-audit --stream accounts"), 0);
	/* The password works as the API's would (Argon2id). */
	ck_assert_int_eq(boot_int(db, "SELECT count(*) FROM credential c JOIN "
	    "person p ON p.id = c.person_id WHERE p.login = 'root' AND "
	    "c.password_hash LIKE '$argon2id$%'"), 1);
	qj_db_free(db);
	db_run("DROP DATABASE boot");
}
END_TEST

START_TEST(t_migrations_rerun_is_noop)
{
	struct qj_diag	d;
	int		applied = -1, version = 0;

	ck_assert_int_eq(qj_migrate_apply(harness_db(), &applied, &d), QJ_OK);
	ck_assert_int_eq(applied, 0);
	ck_assert_int_eq(qj_migrate_check(harness_db(), &version, &d), QJ_OK);
	ck_assert_int_eq(version, qj_migrate_code_version());
	ck_assert_int_eq(db_int("SELECT count(*) FROM schema_migration"),
	    qj_migrate_code_version());
}
END_TEST

START_TEST(t_server_refuses_newer_schema)
{
	struct qj_diag	 d;
	struct qj_db	*db;
	char		 dsn[600], log[4096];
	int		 applied, st;

	db_run("DROP DATABASE IF EXISTS newer");
	db_run("CREATE DATABASE newer");
	snprintf(dsn, sizeof(dsn), "host=%s/pg/sock port=5433 dbname=newer "
	    "user=postgres", H.root);
	ck_assert_int_eq(qj_db_connect(dsn, &db, &d), QJ_OK);
	ck_assert_int_eq(qj_migrate_apply(db, &applied, &d), QJ_OK);
	ck_assert_int_eq(qj_db_script(db, "INSERT INTO schema_migration "
	    "(version, name, sha256) VALUES (9999, '9999_future.sql', "
	    "repeat('0', 64))", &d), QJ_OK);
	qj_db_free(db);
	st = kore_exit_status(dsn, 10000, log, sizeof(log));
	ck_assert_msg(st > 0, "kore did not refuse to start (status %d)", st);
	ck_assert_msg(strstr(log, "newer") != NULL, "log: %s", log);
	/* And the real database is still served. */
	{
		struct tresp	r;

		ck_assert_int_eq(t_json(NULL, "GET", "/readyz", NULL, &r), 200);
		tresp_free(&r);
	}
}
END_TEST

static Suite *
foundation_suite(void)
{
	Suite	*s = suite_create("foundation");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_health_and_ready);
	tcase_add_test(tc, t_login_success);
	tcase_add_test(tc, t_login_failure_does_not_reveal_account);
	tcase_add_test(tc, t_login_throttled_per_account);
	tcase_add_test(tc, t_login_throttled_per_address);
	tcase_add_test(tc, t_session_idle_expiry);
	tcase_add_test(tc, t_session_absolute_expiry);
	tcase_add_test(tc, t_logout);
	tcase_add_test(tc, t_csrf_rejected);
	tcase_add_test(tc, t_bearer_token);
	tcase_add_test(tc, t_metrics);
	tcase_add_test(tc, t_401_vs_403);
	tcase_add_test(tc, t_admin_scope);
	tcase_add_test(tc, t_units_create);
	tcase_add_test(tc, t_bootstrap);
	tcase_add_test(tc, t_grant_and_revoke);
	tcase_add_test(tc, t_invalid_iin_rejected);
	tcase_add_test(tc, t_valid_iin_accepted);
	tcase_add_test(tc, t_malformed_requests);
	tcase_add_test(tc, t_body_too_large);
	tcase_add_test(tc, t_migrations_rerun_is_noop);
	tcase_add_test(tc, t_server_refuses_newer_schema);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(foundation_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
