/*
 * h_archive.c: the sealed-case archive over HTTP, and the sealing timer.
 *
 *	GET  /api/archive?iin=&name=&workflow=&order=&series=&year=&from=&to=
 *	     &limit=&cursor=			search archived cases
 *	GET  /api/archive/{id}			one package: record, holds, act
 *	GET  /api/archive/{id}/package		download the package (ZIP)
 *	GET  /api/archive/{id}/verify		verify the stored package
 *	POST /api/archive/verify		verify an uploaded package (raw)
 *	POST /api/archive/{id}/holds {reason}			legal hold
 *	POST /api/archive/{id}/holds/{id}/lift {reason}		lift it
 *	POST /api/archive/{id}/disposition/signing {certificate, reason}
 *	POST /api/archive/{id}/disposition {prepare_id, signature_value |
 *	     signature_xml}			the signed disposition act
 *
 * Every route is for the auditor role, and a package only for auditors
 * whose unit covers the case's unit (403 otherwise).  Reading (search,
 * record, download, verification) changes nothing but is audited in the
 * "system" stream in its own transaction before the answer is sent; holds
 * and disposition are records-management acts of the archive's custodian,
 * audited in the case's stream (docs/archive.md says why the auditor and
 * not the administrator holds them).  The same verifier as `qujat
 * verify-archive` answers the verify routes, with the server's trust
 * anchors.
 *
 * api_archive_init() loads the seal key and the trust material in Kore's
 * parent; api_archive_tick() runs archive_seal_pending() on the timer's
 * task thread.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "core/archive_case.h"
#include "core/codec.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "core/xades.h"
#include "store/archive.h"
#include "store/cases.h"

#define ARC_PREPARE_TTL	600	/* seconds a prepared act stays valid */
#define ARC_PAGE_MAX	200
#define ARC_SEAL_BATCH	8	/* packages sealed per tick and worker */

static struct qj_arc_sealer	sealer;
static struct archive_cfg	acfg;
static char			adir[600], scratch[600], anchors[600];
static int			ready;	/* this server seals */

/* --- start-up and the timer ---------------------------------------------- */

static const char *
conf_path(const char *env, const char *home, const char *rel, char *buf,
    size_t len)
{
	const char	*v = getenv(env);

	if (v != NULL && *v != '\0')
		return (v);
	snprintf(buf, len, "%s/%s", home, rel);
	return (buf);
}

int
api_archive_init(void)
{
	const struct api_config	*c = api_config();
	struct qj_diag		 d;
	char			 k[600], crt[600], ch[600], cr[600];

	conf_path("QUJAT_TRUST_ANCHORS", c->home, "certs/dev/trust", anchors,
	    sizeof(anchors));
	if (qj_arc_sealer_load(conf_path("QUJAT_SEAL_KEY", c->home,
	    "certs/dev/seal/seal.key", k, sizeof(k)), conf_path(
	    "QUJAT_SEAL_CERT", c->home, "certs/dev/seal/seal.pem", crt,
	    sizeof(crt)), anchors, conf_path("QUJAT_TRUST_CHAIN", c->home,
	    "certs/dev/chain", ch, sizeof(ch)), conf_path("QUJAT_TRUST_CRLS",
	    c->home, "certs/dev/crl", cr, sizeof(cr)), &sealer, &d) != QJ_OK) {
		fprintf(stderr, "qujat: archive seal: %s\n", d.detail);
		return (-1);
	}
	snprintf(adir, sizeof(adir), "%s/archive", c->var);
	snprintf(scratch, sizeof(scratch), "%s/archive-tmp", c->var);
	if ((mkdir(adir, 0750) != 0 && errno != EEXIST) ||
	    (mkdir(scratch, 0700) != 0 && errno != EEXIST)) {
		fprintf(stderr, "qujat: %s: %s\n", adir, strerror(errno));
		return (-1);
	}
	acfg.dir = adir;
	acfg.blobs = api_rt()->store;
	acfg.sealer = &sealer;
	acfg.trust = api_rt()->trust;	/* each new seal is checked */
	acfg.lease = ARCHIVE_LEASE;
	/* QUJAT_SEAL=off: this server serves the archive but leaves the
	 * sealing queue to other servers (or to a test that drives it). */
	ready = getenv("QUJAT_SEAL") == NULL ||
	    strcmp(getenv("QUJAT_SEAL"), "off") != 0;
	qj_log(QJ_LOG_INFO, "startup", "archive %s sealed by %s", adir,
	    sealer.cert_subject);
	return (0);
}

int
api_archive_tick(struct qj_db *db)
{
	struct qj_diag	d;
	int		sealed = 0;

	if (!ready)
		return (0);
	if (archive_seal_pending(db, &acfg, qj_now(), ARC_SEAL_BATCH, &sealed,
	    &d) != QJ_OK) {
		qj_log(QJ_LOG_ERR, "archive", "sealing: %s", d.detail);
		return (-1);
	}
	return (sealed);
}

/* --- helpers ---------------------------------------------------------------- */

/*
 * The archive row of case ctx->id[0], locked when `lock`, for an auditor
 * whose unit covers the case; 0, or -1 after replying.
 */
static int
row_or_reply(struct api_ctx *ctx, int lock, PGresult **row)
{
	enum qj_err	err;

	*row = NULL;
	if (require_role(ctx, "auditor") != 0)
		return (-1);
	if ((err = archive_get(ctx->db, ctx->id[0], lock, row, &ctx->diag)) !=
	    QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	if (PQntuples(*row) != 1) {
		reply_problem(ctx, 404, "not-archived", "id", "case %lld has no "
		    "sealed package", (long long)ctx->id[0]);
		goto fail;
	}
	if (!actor_covers(ctx->actor, "auditor", qj_db_str(*row, 0, 4))) {
		reply_problem(ctx, 403, "out-of-scope", "id", "case %lld is "
		    "outside the units you audit", (long long)ctx->id[0]);
		goto fail;
	}
	return (0);
fail:
	PQclear(*row);
	*row = NULL;
	return (-1);
}

/* Audits an access in the "system" stream and commits; 0 or replied. */
static int
audit_access(struct api_ctx *ctx, const char *action, json_t *detail)
{
	enum qj_err	err;

	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = api_audit(ctx, "system", action, NULL, NULL, detail)) !=
	    QJ_OK || (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		if (err == QJ_OK)
			json_decref(detail);
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	return (0);
}

static json_t *
opt(PGresult *r, int row, int c)
{
	return (qj_db_isnull(r, row, c) ? json_null() :
	    json_string(qj_db_str(r, row, c)));
}

/* A row of archive_search()/archive_get() as JSON. */
static json_t *
row_json(PGresult *r, int i)
{
	json_t	*o;

	o = json_pack("{s:I, s:s, s:{s:o, s:s}, s:s, s:s, s:s, s:s, s:I, "
	    "s:s, s:o, s:b}",
	    "case_id", (json_int_t)qj_db_i64(r, i, 0),
	    "workflow", qj_db_str(r, i, 1),
	    "applicant", "iin", opt(r, i, 2), "name", qj_db_str(r, i, 3),
	    "unit_path", qj_db_str(r, i, 4),
	    "closed_at", qj_db_str(r, i, 5),
	    "sealed_at", qj_db_str(r, i, 6),
	    "sha256", qj_db_str(r, i, 7),
	    "size", (json_int_t)qj_db_i64(r, i, 8),
	    "retain_until", qj_db_str(r, i, 9),
	    "disposed_at", opt(r, i, 10),
	    "on_hold", qj_db_bool(r, i, 11));
	return (o);
}

/* Reads the stored package and checks it is the recorded one. */
static enum qj_err
read_package(struct api_ctx *ctx, PGresult *row, struct qj_buf *out)
{
	char		 path[700], sha[65], chunk[65536];
	ssize_t		 n;
	int		 fd;
	enum qj_err	 err = QJ_OK;

	if (!qj_db_isnull(row, 0, 10))
		return (qj_fail(&ctx->diag, QJ_ENOTFOUND, "disposed", "id",
		    "the package of case %lld was disposed of on %s",
		    (long long)ctx->id[0], qj_db_str(row, 0, 10)));
	snprintf(path, sizeof(path), "%s/%s", adir, qj_db_str(row, 0, 13));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (qj_fail(&ctx->diag, QJ_EIO, "archive-io", "id",
		    "the package of case %lld cannot be read",
		    (long long)ctx->id[0]));
	while (err == QJ_OK && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		err = n < 0 ? QJ_EIO : qj_buf_append(out, chunk, (size_t)n);
	}
	close(fd);
	if (err != QJ_OK)
		return (qj_fail(&ctx->diag, err, "archive-io", "id", "reading "
		    "the package of case %lld failed", (long long)ctx->id[0]));
	qj_sha256_hex(out->data != NULL ? out->data : "", out->len, sha);
	if (strcmp(sha, qj_db_str(row, 0, 7)) != 0) {
		qj_log(QJ_LOG_ERR, "archive", "%s: SHA-256 %s, recorded %s",
		    path, sha, qj_db_str(row, 0, 7));
		return (qj_fail(&ctx->diag, QJ_EINTERNAL, "archive-corrupt",
		    "id", "the stored package of case %lld is not the one "
		    "recorded", (long long)ctx->id[0]));
	}
	return (QJ_OK);
}

static json_t *
report_json(const struct qj_arc_report *r)
{
	json_t	*f = json_array(), *o;
	char	 when[21] = "";
	size_t	 i;

	for (i = 0; i < r->nf; i++)
		json_array_append_new(f, json_pack("{s:s, s:s, s:s}", "check",
		    r->f[i].check, "subject", r->f[i].subject, "detail",
		    r->f[i].detail));
	if (r->sealed_at != 0)
		qj_time_format((qj_time)r->sealed_at, when);
	o = json_pack("{s:b, s:s, s:I, s:s, s:s, s:I, s:{s:I, s:I}, s:I, "
	    "s:{s:b, s:s, s:s}, s:o}",
	    "valid", r->nf == 0,
	    "sha256", r->sha256,
	    "case_id", (json_int_t)r->case_id,
	    "workflow", r->workflow,
	    "state", r->state,
	    "entries", (json_int_t)r->entries,
	    "signatures", "checked", (json_int_t)r->signatures, "verified",
	    (json_int_t)r->signatures_ok,
	    "events", (json_int_t)r->events,
	    "seal", "valid", r->seal_ok, "signer", r->seal_signer,
	    "sealed_at", when,
	    "findings", f);
	return (o);
}

static enum qj_err
verify_bytes(const void *zip, size_t len, struct qj_arc_report *rep,
    struct qj_diag *d)
{
	struct qj_arc_vopts	o;
	const char		*a[1] = { anchors };

	memset(&o, 0, sizeof(o));
	o.anchors = a;
	o.nanchors = 1;
	o.scratch = scratch;
	o.now = (time_t)qj_now();
	return (qj_arc_verify(zip, len, &o, rep, d));
}

/* --- search -------------------------------------------------------------------- */

static int
all_digits(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (i == n);
}

static int
is_slug(const char *s)
{
	size_t	n = strlen(s);

	return (n > 0 && n <= 48 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
}

/* YYYY-MM-DD (+ days) as an RFC 3339 instant; -1 if not a date. */
static int
day_bound(const char *s, int plus, char out[32])
{
	struct tm	tm;
	const char	*end;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10 || (end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    *end != '\0')
		return (-1);
	t = timegm(&tm) + (time_t)plus * 86400;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (0);
}

/* The unit paths of the actor's auditor grants as a text[] literal. */
static void
auditor_units(const struct actor *a, struct qj_buf *out)
{
	int	i, n = 0;

	qj_buf_puts(out, "{");
	for (i = 0; i < a->ngrants; i++)
		if (strcmp(a->grants[i].role, "auditor") == 0)
			qj_buf_printf(out, "%s%s", n++ ? "," : "",
			    a->grants[i].unit_path);
	qj_buf_puts(out, "}");
}

static int
search_params(struct api_ctx *ctx, struct query_param *qp,
    struct archive_query *q, char from[32], char to[32])
{
	int64_t		v;
	long long	c1, c2;

	if (qp[0].value != NULL && !all_digits(qp[0].value, 12)) {
		reply_problem(ctx, 400, "invalid-parameter", "iin", "iin is 12 "
		    "digits");
		return (-1);
	}
	if (qp[1].value != NULL && (strlen(qp[1].value) < 3 ||
	    strlen(qp[1].value) > 100)) {
		reply_problem(ctx, 400, "invalid-parameter", "name", "name is "
		    "3 to 100 characters of a name");
		return (-1);
	}
	if ((qp[2].value != NULL && !is_slug(qp[2].value)) ||
	    (qp[4].value != NULL && !is_slug(qp[4].value))) {
		reply_problem(ctx, 400, "invalid-parameter", qp[2].value !=
		    NULL && !is_slug(qp[2].value) ? "workflow" : "series",
		    "a workflow or series id is [a-z0-9-]{1,48}");
		return (-1);
	}
	q->iin = qp[0].value;
	q->name = qp[1].value;
	q->workflow = qp[2].value;
	q->order_series = qp[4].value;
	if (query_int(ctx, &qp[3], 0, 1, 1000000000, &v) != 0)
		return (-1);
	q->order_number = (int)v;
	if (query_int(ctx, &qp[5], 0, 1900, 9999, &v) != 0)
		return (-1);
	q->order_year = (int)v;
	if ((qp[4].value != NULL || qp[5].value != NULL) &&
	    q->order_number == 0) {
		reply_problem(ctx, 400, "invalid-parameter", "order", "series "
		    "and year narrow an order number; give order too");
		return (-1);
	}
	if ((qp[6].value != NULL && day_bound(qp[6].value, 0, from) != 0) ||
	    (qp[7].value != NULL && day_bound(qp[7].value, 1, to) != 0)) {
		reply_problem(ctx, 400, "invalid-parameter", qp[6].value !=
		    NULL && day_bound(qp[6].value, 0, from) != 0 ? "from" :
		    "to", "dates are YYYY-MM-DD (to is inclusive)");
		return (-1);
	}
	q->from = qp[6].value != NULL ? from : NULL;
	q->to = qp[7].value != NULL ? to : NULL;
	if (query_int(ctx, &qp[8], 50, 1, ARC_PAGE_MAX, &v) != 0)
		return (-1);
	q->limit = (int)v;
	if (qp[9].value != NULL) {
		if (sscanf(qp[9].value, "%lld.%lld", &c1, &c2) != 2 || c1 <= 0 ||
		    c2 <= 0) {
			reply_problem(ctx, 400, "invalid-parameter", "cursor",
			    "cursor is the next_cursor of the previous page");
			return (-1);
		}
		q->after_closed = c1;
		q->after_id = c2;
	}
	return (0);
}

/* GET /api/archive?... */
void
h_archive_search(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "iin", NULL }, { "name", NULL },
				    { "workflow", NULL }, { "order", NULL },
				    { "series", NULL }, { "year", NULL },
				    { "from", NULL }, { "to", NULL },
				    { "limit", NULL }, { "cursor", NULL } };
	struct archive_query	 q;
	struct qj_buf		 units = QJ_BUF_INIT;
	PGresult		*res = NULL;
	json_t			*items, *filters, *o;
	char			 from[32], to[32], next[64];
	enum qj_err		 err;
	size_t			 i;
	int			 r, n;

	if (require_role(ctx, "auditor") != 0 ||
	    query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	memset(&q, 0, sizeof(q));
	if (search_params(ctx, qp, &q, from, to) != 0)
		goto out;
	auditor_units(ctx->actor, &units);
	q.units = units.data;
	if ((err = archive_search(ctx->db, &q, &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	n = PQntuples(res);
	filters = json_object();
	for (i = 0; i < QJ_NELEM(qp); i++)
		if (qp[i].value != NULL)
			json_object_set_new(filters, qp[i].name,
			    json_string(qp[i].value));
	if (audit_access(ctx, "archive.search", json_pack("{s:o, s:i}",
	    "filters", filters, "results", n)) != 0)
		goto out;
	items = json_array();
	for (r = 0; r < n; r++)
		json_array_append_new(items, row_json(res, r));
	o = json_pack("{s:o}", "items", items);
	if (n == q.limit) {
		snprintf(next, sizeof(next), "%lld.%lld",
		    (long long)qj_db_i64(res, n - 1, 12),
		    (long long)qj_db_i64(res, n - 1, 0));
		json_object_set_new(o, "next_cursor", json_string(next));
	} else
		json_object_set_new(o, "next_cursor", json_null());
	reply_json(ctx, 200, o);
out:
	PQclear(res);
	qj_buf_free(&units);
	query_free(qp, QJ_NELEM(qp));
}

/* --- one package ------------------------------------------------------------ */

/* GET /api/archive/{id} */
void
h_archive_get(struct api_ctx *ctx)
{
	PGresult	*row = NULL, *holds = NULL, *act = NULL;
	struct qj_params p;
	enum qj_err	 err;
	json_t		*o, *h;
	int		 i;

	if (row_or_reply(ctx, 0, &row) != 0)
		return;
	qj_p_init(&p);
	qj_p_i64(&p, ctx->id[0]);
	if ((err = archive_holds(ctx->db, ctx->id[0], &holds, &ctx->diag)) !=
	    QJ_OK || (err = qj_db_exec(ctx->db, &act, "SELECT a.act_sha256, "
	    "a.signature_sha256, p.login, a.cert_sha256, to_char(a.signing_time "
	    "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "a.package_sha256 FROM disposition_act a JOIN person p ON p.id = "
	    "a.signer_id WHERE a.case_id = $1", &p, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	o = row_json(row, 0);
	json_object_set_new(o, "retention", json_pack("{s:s, s:I, s:s}",
	    "rule", qj_db_str(row, 0, 16), "years",
	    (json_int_t)qj_db_i64(row, 0, 15), "until", qj_db_str(row, 0, 9)));
	json_object_set_new(o, "seal_cert_sha256", json_string(
	    qj_db_str(row, 0, 14)));
	h = json_array();
	for (i = 0; i < PQntuples(holds); i++)
		json_array_append_new(h, json_pack("{s:I, s:s, s:s, s:s, s:o, "
		    "s:o, s:o}", "id", (json_int_t)qj_db_i64(holds, i, 0),
		    "reason", qj_db_str(holds, i, 1), "set_by",
		    qj_db_str(holds, i, 2), "set_at", qj_db_str(holds, i, 3),
		    "lift_reason", opt(holds, i, 4), "lifted_by",
		    opt(holds, i, 5), "lifted_at", opt(holds, i, 6)));
	json_object_set_new(o, "holds", h);
	json_object_set_new(o, "disposition", PQntuples(act) != 1 ?
	    json_null() : json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    "act_sha256", qj_db_str(act, 0, 0), "signature_sha256",
	    qj_db_str(act, 0, 1), "signer", qj_db_str(act, 0, 2),
	    "cert_sha256", qj_db_str(act, 0, 3), "signing_time",
	    qj_db_str(act, 0, 4), "package_sha256", qj_db_str(act, 0, 5)));
	if (audit_access(ctx, "archive.read", json_pack("{s:I}", "case_id",
	    (json_int_t)ctx->id[0])) != 0) {
		json_decref(o);
		goto out;
	}
	reply_json(ctx, 200, o);
out:
	PQclear(row);
	PQclear(holds);
	PQclear(act);
}

/* GET /api/archive/{id}/package */
void
h_archive_package(struct api_ctx *ctx)
{
	PGresult	*row = NULL;
	struct qj_buf	 zip = QJ_BUF_INIT;
	char		 disp[96];
	enum qj_err	 err;

	if (row_or_reply(ctx, 0, &row) != 0)
		return;
	if ((err = read_package(ctx, row, &zip)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	if (audit_access(ctx, "archive.download", json_pack("{s:I, s:s}",
	    "case_id", (json_int_t)ctx->id[0], "sha256",
	    qj_db_str(row, 0, 7))) != 0)
		goto out;
	snprintf(disp, sizeof(disp), "attachment; filename=\"case-%lld.zip\"",
	    (long long)ctx->id[0]);
	api_resp_header(ctx->resp, "Content-Disposition", disp);
	api_resp_header(ctx->resp, "X-Content-SHA256", qj_db_str(row, 0, 7));
	ctx->resp->status = 200;
	ctx->resp->content_type = QJ_ARC_MIMETYPE;
	qj_buf_reset(&ctx->resp->body);
	qj_buf_append(&ctx->resp->body, zip.data, zip.len);
out:
	qj_buf_free(&zip);
	PQclear(row);
}

static void
verify_reply(struct api_ctx *ctx, const void *zip, size_t len)
{
	struct qj_arc_report	rep;
	enum qj_err		err;
	json_t			*o;

	if ((err = verify_bytes(zip, len, &rep, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	o = report_json(&rep);
	if (audit_access(ctx, "archive.verify", json_pack("{s:I, s:I, s:s, "
	    "s:b, s:I}", "id", (json_int_t)(ctx->nid > 0 ? ctx->id[0] : 0),
	    "case_id", (json_int_t)rep.case_id, "sha256", rep.sha256, "valid",
	    rep.nf == 0, "findings", (json_int_t)rep.nf)) != 0) {
		json_decref(o);
		qj_arc_report_free(&rep);
		return;
	}
	qj_arc_report_free(&rep);
	reply_json(ctx, 200, o);
}

/* GET /api/archive/{id}/verify */
void
h_archive_verify_stored(struct api_ctx *ctx)
{
	PGresult	*row = NULL;
	struct qj_buf	 zip = QJ_BUF_INIT;
	enum qj_err	 err;

	if (row_or_reply(ctx, 0, &row) != 0)
		return;
	if ((err = read_package(ctx, row, &zip)) != QJ_OK)
		reply_error(ctx, err, &ctx->diag);
	else
		verify_reply(ctx, zip.data, zip.len);
	qj_buf_free(&zip);
	PQclear(row);
}

/* POST /api/archive/verify (the package as the body) */
void
h_archive_verify_upload(struct api_ctx *ctx)
{
	if (require_role(ctx, "auditor") != 0)
		return;
	if (ctx->req->body_len == 0) {
		reply_problem(ctx, 400, "missing-body", NULL, "the package is "
		    "the request body");
		return;
	}
	verify_reply(ctx, ctx->req->body, ctx->req->body_len);
}

/* --- legal holds ---------------------------------------------------------------- */

static const char *
reason_or_reply(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "reason", QJ_J_STRING, 1, 2000 },
	};
	enum qj_err			err;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (NULL);
	}
	if (qj_json_str(ctx->json, "reason")[0] == '\0') {
		reply_problem(ctx, 400, "missing-field", "reason", "a reason is "
		    "required");
		return (NULL);
	}
	return (qj_json_str(ctx->json, "reason"));
}

static void
hold_change(struct api_ctx *ctx, int lift)
{
	PGresult	*row = NULL;
	const char	*reason;
	char		 stream[40], hash[65] = "";
	int64_t		 id = lift ? ctx->id[1] : 0;
	enum qj_err	 err;
	json_t		*detail;

	/* A retried hold must not become two holds. */
	if (api_idem_replay(ctx, hash))
		return;
	if ((reason = reason_or_reply(ctx)) == NULL)
		return;
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (row_or_reply(ctx, 1, &row) != 0)
		return;
	if (!qj_db_isnull(row, 0, 10)) {
		reply_problem(ctx, 409, "disposed", "id", "the package was "
		    "disposed of on %s", qj_db_str(row, 0, 10));
		goto out;
	}
	err = lift ? archive_hold_lift(ctx->db, ctx->id[0], id, reason,
	    ctx->actor->person_id, ctx->now, &ctx->diag) :
	    archive_hold_set(ctx->db, ctx->id[0], reason,
	    ctx->actor->person_id, ctx->now, &id, &ctx->diag);
	snprintf(stream, sizeof(stream), "case:%lld", (long long)ctx->id[0]);
	if (err == QJ_OK) {
		/* api_audit() takes the detail. */
		detail = json_pack("{s:I, s:s}", "hold_id", (json_int_t)id,
		    "reason", reason);
		err = api_audit(ctx, stream, lift ? "archive.hold.lift" :
		    "archive.hold.set", NULL, NULL, detail);
	}
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	api_commit_reply(ctx, hash, lift ? 200 : 201, json_pack("{s:I, s:I, "
	    "s:s, s:b}", "case_id", (json_int_t)ctx->id[0], "hold_id",
	    (json_int_t)id, "reason", reason, "active", !lift));
out:
	qj_db_rollback(ctx->db);
	PQclear(row);
}

/* POST /api/archive/{id}/holds {reason} */
void
h_archive_hold_set(struct api_ctx *ctx)
{
	hold_change(ctx, 0);
}

/* POST /api/archive/{id}/holds/{id}/lift {reason} */
void
h_archive_hold_lift(struct api_ctx *ctx)
{
	hold_change(ctx, 1);
}

/* --- disposition ------------------------------------------------------------------ */

/* 0 when the package may be disposed of now; else replied. */
static int
disposable_or_reply(struct api_ctx *ctx, PGresult *row)
{
	char	today[21];

	if (!qj_db_isnull(row, 0, 10)) {
		reply_problem(ctx, 409, "disposed", "id", "the package was "
		    "disposed of on %s", qj_db_str(row, 0, 10));
		return (-1);
	}
	if (qj_db_bool(row, 0, 11)) {
		reply_problem(ctx, 409, "legal-hold", "id", "the package of "
		    "case %lld is on legal hold; lift the hold first",
		    (long long)ctx->id[0]);
		return (-1);
	}
	qj_time_format(ctx->now, today);
	today[10] = '\0';
	if (strcmp(today, qj_db_str(row, 0, 9)) < 0) {
		reply_problem(ctx, 422, "retention-not-over", "id", "the "
		    "package of case %lld is kept until %s (rule %s, %lld "
		    "years)", (long long)ctx->id[0], qj_db_str(row, 0, 9),
		    qj_db_str(row, 0, 16), (long long)qj_db_i64(row, 0, 15));
		return (-1);
	}
	return (0);
}

static enum qj_err
xml_text(const char *s, struct qj_buf *out)
{
	enum qj_err	err = QJ_OK;

	for (; *s != '\0' && err == QJ_OK; s++) {
		if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			return (QJ_EINVAL);
		err = *s == '&' ? qj_buf_puts(out, "&amp;") : *s == '<' ?
		    qj_buf_puts(out, "&lt;") : *s == '>' ?
		    qj_buf_puts(out, "&gt;") : *s == '"' ?
		    qj_buf_puts(out, "&quot;") : qj_buf_append(out, s, 1);
	}
	return (err);
}

/*
 * The act the auditor signs: composed by the server from the archive
 * record, so everything but the reason is what the record says.
 */
static enum qj_err
act_document(struct api_ctx *ctx, PGresult *row, const char *reason,
    struct qj_buf *out)
{
	struct qj_buf	r = QJ_BUF_INIT;
	char		today[21];
	enum qj_err	err;

	if ((err = xml_text(reason, &r)) != QJ_OK) {
		qj_buf_free(&r);
		return (qj_fail(&ctx->diag, QJ_EINVAL, "invalid-field",
		    "reason", "the reason holds characters XML cannot carry"));
	}
	qj_time_format(ctx->now, today);
	err = qj_buf_printf(out, "<dispositionAct xmlns=\"urn:qujat:archive:"
	    "disposition:1\" version=\"1\"><case id=\"%lld\" workflow=\"%s\"/>"
	    "<package file=\"case-%lld.zip\" sha256=\"%s\" sealed=\"%s\" "
	    "seal-cert-sha256=\"%s\"/><retention rule=\"%s\" years=\"%lld\" "
	    "until=\"%s\"/><reason>%s</reason><auditor iin=\"%s\" "
	    "login=\"%s\"/><date>%s</date></dispositionAct>",
	    (long long)ctx->id[0], qj_db_str(row, 0, 1), (long long)ctx->id[0],
	    qj_db_str(row, 0, 7), qj_db_str(row, 0, 6), qj_db_str(row, 0, 14),
	    qj_db_str(row, 0, 16), (long long)qj_db_i64(row, 0, 15),
	    qj_db_str(row, 0, 9), r.data, ctx->actor->iin, ctx->actor->login,
	    today);
	qj_buf_free(&r);
	return (err);
}

/* POST /api/archive/{id}/disposition/signing {certificate, reason} */
void
h_archive_dispose_signing(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "certificate", QJ_J_STRING, 1, 16384 },
		{ "reason", QJ_J_STRING, 1, 2000 },
	};
	struct qj_sig_prepared	 prep;
	struct qj_signer	 who;
	struct prepare_new	 pn;
	struct case_row		 c;
	struct qj_buf		 act = QJ_BUF_INIT, tbs = QJ_BUF_INIT,
				 b64 = QJ_BUF_INIT;
	PGresult		*row = NULL;
	const char		*pem;
	char			 sha[65], uri[96], token[QJ_TOKEN_LEN + 1],
				 id_hash[65], expires[21];
	X509			*cert = NULL;
	enum qj_err		 err;

	memset(&prep, 0, sizeof(prep));
	memset(&c, 0, sizeof(c));
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (row_or_reply(ctx, 0, &row) != 0)
		return;
	if (disposable_or_reply(ctx, row) != 0)
		goto out;
	if ((err = act_document(ctx, row, qj_json_str(ctx->json, "reason"),
	    &act)) != QJ_OK)
		goto fail;
	pem = qj_json_str(ctx->json, "certificate");
	if ((err = qj_cert_parse(pem, strlen(pem), &cert, &ctx->diag)) !=
	    QJ_OK || (err = qj_signer_from_cert(cert, &who)) != QJ_OK)
		goto fail;
	if (strcmp(who.iin, ctx->actor->iin) != 0) {
		err = qj_fail(&ctx->diag, QJ_EUNPROC, "sig-signer",
		    "certificate", "the certificate belongs to IIN %s, not to "
		    "you", who.iin[0] != '\0' ? who.iin : "(none)");
		goto fail;
	}
	if ((err = qj_trust_verify(api_rt()->trust, cert, NULL,
	    (time_t)ctx->now, NULL, &ctx->diag)) != QJ_OK)
		goto fail;
	qj_sha256_hex(act.data, act.len, sha);
	snprintf(uri, sizeof(uri), "documents/%s.xml", sha);
	if ((err = qj_xades_prepare(act.data, act.len, uri, cert,
	    QJ_COMMIT_ORIGIN, "auditor", (time_t)ctx->now, &prep,
	    &ctx->diag)) != QJ_OK ||
	    (err = case_get(ctx->db, ctx->id[0], &c, &ctx->diag)) != QJ_OK)
		goto fail;
	if (qj_random_token(token) != QJ_OK) {
		err = QJ_EINTERNAL;
		goto fail;
	}
	qj_sha256_hex(token, strlen(token), id_hash);
	memset(&pn, 0, sizeof(pn));
	pn.id_hash = id_hash;
	pn.case_id = ctx->id[0];
	pn.case_version = c.version;
	pn.event = "dispose";
	pn.person_id = ctx->actor->person_id;
	pn.document = act.data;
	pn.commitment = "origin";
	pn.skeleton = prep.skeleton;
	pn.skeleton_len = prep.skeleton_len;
	pn.now = ctx->now;
	pn.expires = ctx->now + ARC_PREPARE_TTL;
	if ((err = prepare_put(ctx->db, &pn, &ctx->diag)) != QJ_OK ||
	    (err = qj_base64_encode(prep.tbs, prep.tbs_len, &tbs)) != QJ_OK ||
	    (err = qj_base64_encode(act.data, act.len, &b64)) != QJ_OK)
		goto fail;
	qj_time_format(pn.expires, expires);
	reply_json(ctx, 201, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s}", "prepare_id", token, "to_sign", tbs.data, "hash",
	    prep.hash, "signature_method", prep.sig_method, "document",
	    b64.data, "document_sha256", sha, "document_uri", uri,
	    "expires_at", expires));
	goto out;
fail:
	reply_error(ctx, err, &ctx->diag);
out:
	X509_free(cert);
	qj_sig_prepared_free(&prep);
	case_row_free(&c);
	qj_buf_free(&act);
	qj_buf_free(&tbs);
	qj_buf_free(&b64);
	PQclear(row);
}

/* The signature over the prepared act: two-phase or a complete XAdES. */
static enum qj_err
act_signature(struct api_ctx *ctx, PGresult *pr, struct qj_buf *sig,
    struct qj_sig_result *res)
{
	struct qj_sig_expect	 ex;
	struct qj_buf		 raw = QJ_BUF_INIT;
	const char		*value = qj_json_str(ctx->json,
				    "signature_value");
	const char		*xml = qj_json_str(ctx->json, "signature_xml");
	char			 sha[65], uri[96];
	enum qj_err		 err;

	if ((value == NULL) == (xml == NULL))
		return (qj_fail(&ctx->diag, QJ_EINVAL, "missing-field",
		    "signature_value", "give signature_value (two-phase) or "
		    "signature_xml (a complete XAdES signature, base64)"));
	memset(&ex, 0, sizeof(ex));
	ex.doc = qj_db_str(pr, 0, 5);
	ex.doc_len = strlen(ex.doc);
	qj_sha256_hex(ex.doc, ex.doc_len, sha);
	snprintf(uri, sizeof(uri), "documents/%s.xml", sha);
	ex.doc_uri = uri;
	ex.iin = ctx->actor->iin;
	ex.commitment = QJ_COMMIT_ORIGIN;
	ex.now = (time_t)ctx->now;
	if (qj_base64_decode(value != NULL ? value : xml, strlen(value != NULL ?
	    value : xml), &raw) != QJ_OK) {
		qj_buf_free(&raw);
		return (qj_fail(&ctx->diag, QJ_EINVAL, "invalid-field",
		    value != NULL ? "signature_value" : "signature_xml",
		    "must be base64"));
	}
	if (value != NULL)
		err = qj_xades_complete(api_rt()->trust, qj_db_str(pr, 0, 4),
		    strlen(qj_db_str(pr, 0, 4)), raw.data, raw.len, &ex, sig,
		    res, &ctx->diag);
	else {
		/* Brought complete: the certificate must be good now. */
		ex.at = (time_t)ctx->now;
		err = qj_xades_verify(api_rt()->trust, raw.data, raw.len, &ex,
		    res, &ctx->diag);
		if (err == QJ_OK && (err = qj_buf_append(sig, raw.data,
		    raw.len)) != QJ_OK)
			qj_sig_result_free(res);
	}
	qj_buf_free(&raw);
	return (err);
}

/* POST /api/archive/{id}/disposition {prepare_id, signature_value|_xml} */
void
h_archive_dispose(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "prepare_id", QJ_J_STRING, 1, 64 },
		{ "signature_value", QJ_J_STRING, 0, 4096 },
		{ "signature_xml", QJ_J_STRING, 0, 1048576 },
	};
	struct disposition_new	 dn;
	struct qj_sig_result	 res;
	struct qj_buf		 sig = QJ_BUF_INIT;
	PGresult		*row = NULL, *pr = NULL;
	const char		*token;
	char			 id_hash[65], act_sha[65], cert[65], sig_sha[65],
				 stream[40], path[700];
	enum qj_err		 err;

	memset(&res, 0, sizeof(res));
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (row_or_reply(ctx, 1, &row) != 0)
		goto out;
	if (disposable_or_reply(ctx, row) != 0)
		goto out;
	token = qj_json_str(ctx->json, "prepare_id");
	qj_sha256_hex(token, strlen(token), id_hash);
	if ((err = prepare_take(ctx->db, id_hash, ctx->actor->person_id,
	    ctx->id[0], ctx->now, &pr, &ctx->diag)) != QJ_OK)
		goto fail;
	if (PQntuples(pr) != 1 || strcmp(qj_db_str(pr, 0, 1), "dispose") !=
	    0) {
		err = qj_fail(&ctx->diag, QJ_EUNPROC, "unknown-prepare",
		    "prepare_id", "no live disposition act prepared with this "
		    "id for you and this case (they expire after %d s and are "
		    "used once)", ARC_PREPARE_TTL);
		goto fail;
	}
	if ((err = act_signature(ctx, pr, &sig, &res)) != QJ_OK)
		goto fail;
	qj_sha256_hex(qj_db_str(pr, 0, 5), strlen(qj_db_str(pr, 0, 5)),
	    act_sha);
	qj_sha256_hex(sig.data, sig.len, sig_sha);
	qj_hex(res.signer.cert_sha256, 32, cert);
	memset(&dn, 0, sizeof(dn));
	dn.case_id = ctx->id[0];
	dn.act_sha256 = act_sha;
	dn.sig = sig.data;
	dn.sig_len = sig.len;
	dn.signer_id = ctx->actor->person_id;
	dn.cert_sha256 = cert;
	dn.signing_time = res.signing_time != 0 ? (qj_time)res.signing_time :
	    ctx->now;
	dn.package_sha256 = qj_db_str(row, 0, 7);
	dn.now = ctx->now;
	snprintf(stream, sizeof(stream), "case:%lld", (long long)ctx->id[0]);
	if ((err = doc_put(ctx->db, act_sha, "disposition-act",
	    qj_db_str(pr, 0, 5), strlen(qj_db_str(pr, 0, 5)), &ctx->diag)) !=
	    QJ_OK || (err = archive_dispose(ctx->db, &dn, &ctx->diag)) !=
	    QJ_OK || (err = api_audit(ctx, stream, "archive.dispose", NULL,
	    NULL, json_pack("{s:s, s:s, s:s}", "act_sha256", act_sha,
	    "package_sha256", dn.package_sha256, "signature_sha256",
	    sig_sha))) != QJ_OK || (err = qj_db_commit(ctx->db,
	    &ctx->diag)) != QJ_OK)
		goto fail;
	/* Committed: the file goes, and its removal is on disk. */
	snprintf(path, sizeof(path), "%s/%s", adir, qj_db_str(row, 0, 13));
	if (unlink(path) != 0 && errno != ENOENT)
		qj_log(QJ_LOG_ERR, "archive", "disposed case %lld but %s "
		    "remains: %s", (long long)ctx->id[0], path, strerror(errno));
	else {
		int fd = open(adir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
	reply_json(ctx, 200, json_pack("{s:I, s:s, s:s, s:s, s:s}", "case_id",
	    (json_int_t)ctx->id[0], "act_sha256", act_sha, "signature_sha256",
	    sig_sha, "package_sha256", dn.package_sha256, "signer",
	    res.signer.subject));
	goto out;
fail:
	qj_db_rollback(ctx->db);
	reply_error(ctx, err, &ctx->diag);
out:
	qj_db_rollback(ctx->db);
	qj_sig_result_free(&res);
	qj_buf_free(&sig);
	PQclear(pr);
	PQclear(row);
}
