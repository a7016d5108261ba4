/*
 * h_audit.c: reading and verifying the audit log over HTTP, and the one
 * helper through which handlers record audit events.
 *
 *	GET /api/cases/{id}/audit?after=&limit=	a case's events, in order
 *	GET /api/audit/verify?stream=S | ?case=ID	recompute one chain
 *
 * A case's events are shown to its applicant, to holders of a staff role
 * (any role but applicant) whose unit covers the case's unit, and to
 * auditors; anyone else gets the same 404 as for a case that does not
 * exist.  The applicant alone sees staff addresses redacted.  Verification
 * is for the auditor and admin roles.  api_audit() is called by handlers
 * inside their transactions (h_people.c for the "accounts" stream).
 */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/audit.h"
#include "core/log.h"
#include "store/audit.h"

#define PAGE_DEFAULT	500
#define PAGE_MAX	1000

enum qj_err
api_audit(struct api_ctx *ctx, const char *stream, const char *action,
    const char *state_before, const char *state_after, json_t *detail)
{
	struct audit_in	 in;
	char		*text = NULL;
	enum qj_err	 err;

	if (detail != NULL && (text = json_dumps(detail, JSON_COMPACT)) ==
	    NULL) {
		json_decref(detail);
		return (qj_fail(&ctx->diag, QJ_ENOMEM, "unavailable", "",
		    "out of memory"));
	}
	json_decref(detail);
	memset(&in, 0, sizeof(in));
	in.stream = stream;
	if (ctx->actor != NULL) {
		in.actor_id = ctx->actor->person_id;
		in.actor_login = ctx->actor->login;
	}
	in.action = action;
	in.state_before = state_before;
	in.state_after = state_after;
	in.request_id = ctx->resp->request_id[0] ? ctx->resp->request_id : NULL;
	in.address = ctx->req->address[0] ? ctx->req->address : NULL;
	in.detail = text;
	err = audit_append(ctx->db, &in, NULL, &ctx->diag);
	free(text);
	/* The handler built the event: if it is refused, that is our bug. */
	if (err == QJ_EINVAL || err == QJ_EUNPROC) {
		qj_log(QJ_LOG_ERR, "audit", "%s %s refused: %s", stream, action,
		    ctx->diag.detail);
		err = qj_fail(&ctx->diag, QJ_EINTERNAL, "internal", "",
		    "audit event refused");
	}
	return (err);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

json_t *
audit_body_fields(const json_t *body, int64_t person_id)
{
	const char	*k, *keys[32];
	json_t		*v, *o, *names;
	size_t		 n = 0, i;

	/* Names only, sorted: values such as a password never reach the log. */
	json_object_foreach((json_t *)body, k, v)
		if (n < QJ_NELEM(keys))
			keys[n++] = k;
	if (n > 1)
		qsort(keys, n, sizeof(keys[0]), cmp_str);
	names = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(names, json_string(keys[i]));
	o = json_pack("{s:I, s:o}", "person_id", (json_int_t)person_id,
	    "fields", names);
	if (o != NULL && (v = json_object_get(body, "disabled")) != NULL &&
	    json_is_boolean(v))
		json_object_set_new(o, "disabled",
		    json_boolean(json_is_true(v)));
	return (o);
}

/* May the actor read the audit of a case with this applicant and unit? */
static int
case_visible(const struct actor *a, int64_t applicant_id,
    const char *unit_path, int *staff)
{
	int	i;

	*staff = actor_has_role(a, "auditor");
	for (i = 0; i < a->ngrants && !*staff; i++)
		if (strcmp(a->grants[i].role, "applicant") != 0 &&
		    strncmp(unit_path, a->grants[i].unit_path,
		    strlen(a->grants[i].unit_path)) == 0)
			*staff = 1;
	return (*staff || (applicant_id != 0 && applicant_id == a->person_id));
}

/* A JSON value from database text, or null if it does not parse. */
static json_t *
json_of(const char *text)
{
	json_t	*v = json_loads(text, JSON_DECODE_ANY, NULL);

	return (v != NULL ? v : json_null());
}

static json_t *
opt_str(PGresult *res, int r, int c)
{
	return (qj_db_isnull(res, r, c) ? json_null() :
	    json_string(qj_db_str(res, r, c)));
}

/* One row of audit_events_page() as JSON. */
static json_t *
event_json(PGresult *res, int r, int redact)
{
	json_t	*o, *actor;

	actor = qj_db_isnull(res, r, 2) ? json_null() : json_pack("{s:I}",
	    "id", (json_int_t)qj_db_i64(res, r, 2));
	if (json_is_object(actor))
		json_object_set_new(actor, "login", opt_str(res, r, 3));
	o = json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:s, s:s}",
	    "seq", (json_int_t)qj_db_i64(res, r, 0),
	    "at", qj_db_str(res, r, 1),
	    "actor", actor,
	    "action", qj_db_str(res, r, 4),
	    "state_before", opt_str(res, r, 5),
	    "state_after", opt_str(res, r, 6),
	    "document_hashes", json_of(qj_db_str(res, r, 7)),
	    "request_id", opt_str(res, r, 8),
	    "address", redact ? json_null() : opt_str(res, r, 9),
	    "detail", json_of(qj_db_str(res, r, 10)),
	    "prev_hash", qj_db_str(res, r, 11),
	    "hash", qj_db_str(res, r, 12));
	if (o != NULL && redact && !qj_db_isnull(res, r, 9))
		json_object_set_new(o, "redacted", json_pack("[s]", "address"));
	return (o);
}

/* GET /api/cases/{id}/audit?after=&limit= */
void
h_case_audit(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "after", NULL },
				    { "limit", NULL } };
	char			 path[192], stream[AUDIT_STREAM_MAX];
	PGresult		*res = NULL;
	enum qj_err		 err;
	int64_t			 applicant, after, limit, last = 0;
	json_t			*arr;
	int			 i, n, staff;

	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (query_int(ctx, &qp[0], 0, 0, INT32_MAX, &after) != 0 ||
	    query_int(ctx, &qp[1], PAGE_DEFAULT, 1, PAGE_MAX, &limit) != 0)
		goto out;
	err = audit_case_scope(ctx->db, ctx->id[0], &applicant, path,
	    &ctx->diag);
	if (err == QJ_OK && !case_visible(ctx->actor, applicant, path, &staff))
		err = qj_fail(&ctx->diag, QJ_ENOTFOUND, "not-found", "id",
		    "no case %lld", (long long)ctx->id[0]);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	audit_stream_of_case(ctx->id[0], stream);
	/* One row more than asked says whether there is a next page. */
	if ((err = audit_events_page(ctx->db, stream, after, (int)limit + 1,
	    &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	n = PQntuples(res) < limit ? PQntuples(res) : (int)limit;
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, event_json(res, i, !staff));
		last = qj_db_i64(res, i, 0);
	}
	reply_json(ctx, 200, json_pack("{s:I, s:s, s:o, s:o}", "case_id",
	    (json_int_t)ctx->id[0], "stream", stream, "events", arr,
	    "next_after", PQntuples(res) > limit ? json_integer(last) :
	    json_null()));
out:
	PQclear(res);
	query_free(qp, QJ_NELEM(qp));
}

/* GET /api/audit/verify?stream=S or ?case=ID */
void
h_audit_verify(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "stream", NULL },
				    { "case", NULL } };
	struct audit_verify	 v;
	char			 path[192], stream[AUDIT_STREAM_MAX];
	enum qj_err		 err;
	int64_t			 case_id, applicant;
	json_t			*o;

	if (!actor_has_role(ctx->actor, "auditor") &&
	    require_role(ctx, "admin") != 0)
		return;
	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if ((qp[0].value == NULL) == (qp[1].value == NULL)) {
		reply_problem(ctx, 400, "invalid-parameter", "stream",
		    "give exactly one of stream and case");
		goto out;
	}
	if (qp[1].value != NULL) {
		if (query_int(ctx, &qp[1], 0, 1, INT64_MAX, &case_id) != 0)
			goto out;
		if ((err = audit_case_scope(ctx->db, case_id, &applicant, path,
		    &ctx->diag)) != QJ_OK) {
			reply_error(ctx, err, &ctx->diag);
			goto out;
		}
		audit_stream_of_case(case_id, stream);
	} else if (strlen(qp[0].value) >= sizeof(stream) ||
	    audit_stream_check(qp[0].value, NULL, &ctx->diag) != QJ_OK) {
		reply_problem(ctx, 400, "invalid-parameter", "stream",
		    "stream must be case:<id>, accounts, calendar or system");
		goto out;
	} else
		snprintf(stream, sizeof(stream), "%s", qp[0].value);
	if ((err = audit_verify_stream(ctx->db, stream, &v, &ctx->diag)) !=
	    QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	o = json_pack("{s:s, s:b, s:I}", "stream", stream,
	    "valid", v.fault == AUDIT_F_NONE, "events", (json_int_t)v.events);
	json_object_set_new(o, "head", v.has_head ? json_pack("{s:I, s:s}",
	    "seq", (json_int_t)v.head_seq, "hash", v.head_hash) : json_null());
	json_object_set_new(o, "first_broken", v.fault == AUDIT_F_NONE ?
	    json_null() : json_pack("{s:I, s:s, s:s}", "seq",
	    (json_int_t)v.fault_seq, "reason", audit_fault_slug(v.fault),
	    "detail", v.why));
	reply_json(ctx, 200, o);
out:
	query_free(qp, QJ_NELEM(qp));
}
