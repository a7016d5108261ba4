/*
 * casekit.c: see casekit.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/codec.h"
#include "store/cases.h"
#include "tests/lib/casekit.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/signer.h"

#define ALMATY	(5 * 3600)

static char	*replace_all(char *, const char *, const char *);

static long long	cs_offset;

qj_time
cs_local(int y, int m, int d, int hh, int mm, int ss)
{
	qj_day	day;

	ck_assert_int_eq(qj_day_from_ymd(y, m, d, &day), QJ_OK);
	return ((qj_time)day * 86400 + hh * 3600 + mm * 60 + ss - ALMATY);
}

void
cs_set_now(qj_time t)
{
	cs_offset = (long long)(t - (qj_time)time(NULL));
	kit_set_clock(cs_offset);
}

qj_time
cs_now(void)
{
	return ((qj_time)time(NULL) + cs_offset);
}

const char *
cs_date(qj_time t, int days, char out[11])
{
	qj_day	day = (qj_day)((t + ALMATY) / 86400) + days;

	ck_assert_int_eq(qj_day_format(day, out), QJ_OK);
	return (out);
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	return (buf);
}

/* Replaces every `from` in s by `to`; returns a new string, frees s. */
char *
cs_replace(char *s, const char *from, const char *to)
{
	return (replace_all(s, from, to));
}

static char *
replace_all(char *s, const char *from, const char *to)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	const char	*p = s, *q;
	char		*out;

	while ((q = strstr(p, from)) != NULL) {
		qj_buf_append(&b, p, (size_t)(q - p));
		qj_buf_puts(&b, to);
		p = q + strlen(from);
	}
	qj_buf_puts(&b, p);
	out = strdup(b.data);
	qj_buf_free(&b);
	free(s);
	return (out);
}

char *
cs_sample(const char *file, const char *const *from_to)
{
	char	path[256], *s;
	int	i;

	snprintf(path, sizeof(path), "tests/data/forms/%s", file);
	s = slurp(path);
	for (i = 0; from_to != NULL && from_to[i] != NULL; i += 2)
		s = replace_all(s, from_to[i], from_to[i + 1]);
	return (s);
}

/* Adds the event's members to a JSON object. */
static void
add_members(json_t *o, const struct cs_event *ev, int signing)
{
	json_t	*data;

	if (ev == NULL)
		return;
	if (ev->doc_xml != NULL)
		json_object_set_new(o, "document_xml", json_string(ev->doc_xml));
	if (ev->data != NULL) {
		data = json_loads(ev->data, 0, NULL);
		ck_assert_msg(data != NULL, "bad data %s", ev->data);
		json_object_set_new(o, "data", data);
	}
	if (signing)
		return;
	if (ev->reason != NULL)
		json_object_set_new(o, "reason", json_string(ev->reason));
	if (ev->option != NULL)
		json_object_set_new(o, "option", json_string(ev->option));
}

static long
post(struct tclient *c, const char *path, json_t *o, struct tresp *r)
{
	char	*s = json_dumps(o, 0);
	long	 st;

	json_decref(o);
	st = t_json(c, "POST", path, s, r);
	free(s);
	return (st);
}

/* A session outlives no move of the clock past its expiry: log in again. */
void
cs_relogin(struct tclient *c, const char *login)
{
	struct tresp	r;

	if (t_json(c, "GET", "/api/me", NULL, &r) == 401)
		kit_login_as(c, login);
	tresp_free(&r);
}

long
cs_fire(struct tclient *c, const char *login, int64_t id, const char *event,
    const struct cs_event *ev, struct tresp *r)
{
	struct qj_buf	 tbs = QJ_BUF_INIT;
	const char	*cert = t_cert_pem(login, "rsa");
	char		 path[96], sig[2048];
	json_t		*o;
	long		 st;
	int		 version;

	cs_relogin(c, login);
	version = t_case_version(c, id);

	snprintf(path, sizeof(path), "/api/cases/%lld/signing", (long long)id);
	o = json_pack("{s:s, s:s}", "event", event, "certificate",
	    cert != NULL ? cert : "");
	add_members(o, ev, 1);
	st = post(c, path, o, r);
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)id);
	if (st == 422 && t_is_problem(r, 422, "no-signature-needed")) {
		tresp_free(r);
		o = json_pack("{s:s, s:i}", "event", event, "version", version);
		add_members(o, ev, 0);
		return (post(c, path, o, r));
	}
	if (st != 201)
		return (st);
	ck_assert_int_eq(qj_base64_decode(t_str(r, "to_sign"),
	    strlen(t_str(r, "to_sign")), &tbs), QJ_OK);
	ck_assert_int_eq(t_sign_bytes(login, "rsa", (unsigned char *)tbs.data,
	    tbs.len, sig, sizeof(sig)), 0);
	qj_buf_free(&tbs);
	o = json_pack("{s:s, s:i, s:s, s:s}", "event", event, "version",
	    (int)t_int(r, "case_version"), "prepare_id", t_str(r, "prepare_id"),
	    "signature_value", sig);
	tresp_free(r);
	add_members(o, ev, 0);
	return (post(c, path, o, r));
}

void
cs_fire_ok(struct tclient *c, const char *login, int64_t id,
    const char *event, const struct cs_event *ev)
{
	struct tresp	r;

	cs_fire(c, login, id, event, ev, &r);
	ck_assert_msg(r.status == 200, "%s by %s on case %lld: %ld %s", event,
	    login, (long long)id, r.status, r.body);
	tresp_free(&r);
}

int
cs_refused(const struct tresp *r, long status, const char *slug,
    const char *field, const char *cite)
{
	const char	*f;

	if (!t_is_problem(r, status, slug))
		return (0);
	f = json_string_value(json_object_get(r->json, "field"));
	if (field != NULL && (f == NULL || strcmp(f, field) != 0))
		return (0);
	return (cite == NULL || strstr(t_str(r, "detail"), cite) != NULL);
}

int64_t
cs_open(struct tclient *c, const char *body)
{
	struct tresp	r;
	int64_t		id;

	t_json(c, "POST", "/api/cases", body, &r);
	ck_assert_msg(r.status == 201, "open: %ld %s", r.status, r.body);
	id = t_int(&r, "id");
	tresp_free(&r);
	return (id);
}

int64_t
cs_person(const char *login)
{
	char	q[160];

	snprintf(q, sizeof(q), "SELECT id FROM person WHERE login = '%s'",
	    login);
	return (db_int(q));
}

long
cs_assign(struct tclient *c, const char *as, int64_t id, const char *login,
    const char *capacity, struct tresp *r)
{
	char	path[96], body[160];

	cs_relogin(c, as);
	snprintf(path, sizeof(path), "/api/cases/%lld/participants",
	    (long long)id);
	snprintf(body, sizeof(body), "{\"person_id\":%lld,\"capacity\":\"%s\"}",
	    (long long)cs_person(login), capacity);
	return (t_json(c, "POST", path, body, r));
}

void
cs_assign_ok(struct tclient *c, const char *as, int64_t id,
    const char *login, const char *capacity)
{
	struct tresp	r;

	cs_assign(c, as, id, login, capacity, &r);
	ck_assert_msg(r.status == 200, "assign %s as %s: %ld %s", login,
	    capacity, r.status, r.body);
	tresp_free(&r);
}

/*
 * The single text value a query returns ("" for no row) into out.  A
 * plain statement on the harness's connection (no prepared statements:
 * Check's forked tests share that connection).
 */
static const char *
db_text(const char *sql, char *out, size_t len)
{
	PGresult	*res = PQexec(qj_db_conn(harness_db()), sql);

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	snprintf(out, len, "%s", PQntuples(res) == 1 && !PQgetisnull(res, 0,
	    0) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return (out);
}

const char *
cs_state(int64_t id, char out[64])
{
	char	q[128];

	snprintf(q, sizeof(q), "SELECT state FROM wf_case WHERE id = %lld",
	    (long long)id);
	return (db_text(q, out, 64));
}

void
cs_expect(int64_t id, const char *state)
{
	char	s[64];

	ck_assert_msg(strcmp(cs_state(id, s), state) == 0, "case %lld is %s, "
	    "not %s", (long long)id, s, state);
}

int64_t
cs_order(const char *series, const int64_t *ids, int n, const char *title_kk,
    const char *const *ackers)
{
	struct tclient	 reg, ack;
	struct tresp	 r;
	json_t		*o, *list = json_array();
	int64_t		 order;
	int		 i;

	for (i = 0; i < n; i++)
		json_array_append_new(list, json_integer(ids[i]));
	o = json_pack("{s:s, s:o, s:s, s:{s:s}, s:{s:{s:s}, s:[{s:{s:s}, "
	    "s:s}]}, s:{s:{s:s, s:s, s:s}, s:s, s:s, s:{s:s}}}",
	    "series", series, "case_ids", list, "language", "kk",
	    "title", "kk", title_kk,
	    "preamble", "text", "kk", "Негізінде БҰЙЫРАМЫН:", "legalBasis",
	    "act", "kk", "Резидентурада оқу қағидалары", "citation",
	    "seed 000 L948-L1020",
	    "signatory", "fullName", "surname", "Шоқанов", "givenName", "Марат",
	    "patronymic", "Ерланұлы", "iin", "680224310005", "role", "rector",
	    "position", "kk", "Басқарма төрағасы – Ректор");
	kit_login_as(&reg, "registrar");
	post(&reg, "/api/orders", o, &r);
	ck_assert_msg(r.status == 201, "order: %ld %s", r.status, r.body);
	order = t_int(&r, "id");
	tresp_free(&r);
	kit_sign_order(order);
	for (i = 0; ackers != NULL && ackers[i] != NULL; i++) {
		kit_login_as(&ack, ackers[i]);
		kit_fire_ok(&ack, ackers[i], order, "acknowledge", "");
	}
	return (order);
}

qj_time
cs_due(int64_t id, const char *name)
{
	char	q[256];

	snprintf(q, sizeof(q), "SELECT coalesce(max(extract(epoch FROM due_at)"
	    "::bigint), 0) FROM deadline WHERE case_id = %lld AND name = '%s'",
	    (long long)id, name);
	return ((qj_time)db_int(q));
}

const char *
cs_deadline_state(int64_t id, const char *name, char out[16])
{
	char	q[256];

	snprintf(q, sizeof(q), "SELECT state FROM deadline WHERE case_id = "
	    "%lld AND name = '%s' ORDER BY id DESC LIMIT 1", (long long)id,
	    name);
	return (db_text(q, out, 16));
}

int64_t
cs_audit_count(int64_t id, const char *action)
{
	char	q[256];

	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_event WHERE "
	    "case_id = %lld AND action = '%s'", (long long)id, action);
	return (db_int(q));
}

int
cs_wait_deadline(int64_t id, const char *name, int seconds)
{
	char	st[16];
	int	i;

	for (i = 0; i < seconds * 10; i++) {
		if (strcmp(cs_deadline_state(id, name, st), "pending") != 0)
			return (1);
		usleep(100 * 1000);
	}
	return (0);
}

qj_time
cs_expected_due(const char *rule, qj_time start)
{
	struct qj_deadline_rule	 r;
	struct qj_calendar	*cal = qj_calendar_new();
	struct qj_diag		 d;
	PGresult		*res;
	qj_time			 due;
	qj_day			 day;
	int			 i;

	res = PQexec(qj_db_conn(harness_db()), "SELECT day::text, working "
	    "FROM calendar_day");
	for (i = 0; i < PQntuples(res); i++)
		if (qj_day_parse(PQgetvalue(res, i, 0), &day) == QJ_OK)
			qj_calendar_set_day(cal, day, PQgetvalue(res, i, 1)[0] ==
			    't');
	PQclear(res);
	res = PQexec(qj_db_conn(harness_db()), "SELECT valid_from::text, "
	    "utc_offset_minutes FROM time_zone_rule ORDER BY valid_from");
	for (i = 0; i < PQntuples(res); i++)
		if (qj_day_parse(PQgetvalue(res, i, 0), &day) == QJ_OK)
			qj_calendar_add_zone_rule(cal, day,
			    atoi(PQgetvalue(res, i, 1)));
	PQclear(res);
	ck_assert_int_eq(qj_deadline_parse(rule, &r, &d), QJ_OK);
	ck_assert_int_eq(qj_deadline_due(cal, &r, start, &due), QJ_OK);
	qj_calendar_free(cal);
	return (due);
}

const char *
cs_var(int64_t id, const char *name, char *out, size_t len)
{
	char	q[256];

	snprintf(q, sizeof(q), "SELECT coalesce(vars ->> '%s', '') FROM "
	    "wf_case WHERE id = %lld", name, (long long)id);
	return (db_text(q, out, len));
}

int
cs_wait_sealed(int64_t id, int seconds)
{
	char	q[160];
	int	i;

	snprintf(q, sizeof(q), "SELECT count(*) FROM archive WHERE case_id = "
	    "%lld", (long long)id);
	for (i = 0; i < seconds * 10; i++) {
		if (db_int(q) == 1)
			return (1);
		usleep(100 * 1000);
	}
	return (0);
}
