/*
 * h_people.c: administration of people and their role grants.
 *
 * Only holders of the admin role, and only within their scope: an admin
 * granted at unit U manages people whose home unit or any grant lies under
 * U, and grants roles only at units under U.  Nobody grants a role to
 * themselves (segregation of duties, SPEC section 1).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/buf.h"
#include "core/iin.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "core/password.h"
#include "store/people.h"

/* The admin's scopes as a PostgreSQL array literal: {"/1/","/9/"}. */
static void
admin_scopes(const struct actor *a, struct qj_buf *out)
{
	int	i, n = 0;

	qj_buf_puts(out, "{");
	for (i = 0; i < a->ngrants; i++) {
		if (strcmp(a->grants[i].role, "admin") != 0)
			continue;
		qj_buf_printf(out, "%s\"%s\"", n++ ? "," : "",
		    a->grants[i].unit_path);
	}
	qj_buf_puts(out, "}");
}

static json_t *
person_json(PGresult *res, int row)
{
	json_t	*o;

	o = json_pack("{s:I, s:s, s:s, s:{s:s, s:s, s:s}, s:b, s:s}",
	    "id", (json_int_t)qj_db_i64(res, row, 0),
	    "iin", qj_db_str(res, row, 1),
	    "login", qj_db_str(res, row, 2),
	    "name", "kk", qj_db_str(res, row, 3), "ru", qj_db_str(res, row, 4),
	    "en", qj_db_str(res, row, 5),
	    "disabled", qj_db_bool(res, row, 10),
	    "created_at", qj_db_str(res, row, 11));
	json_object_set_new(o, "email", qj_db_isnull(res, row, 6) ?
	    json_null() : json_string(qj_db_str(res, row, 6)));
	json_object_set_new(o, "org_id", qj_db_isnull(res, row, 7) ?
	    json_null() : json_integer(qj_db_i64(res, row, 7)));
	json_object_set_new(o, "home_unit_id", qj_db_isnull(res, row, 8) ?
	    json_null() : json_integer(qj_db_i64(res, row, 8)));
	return (o);
}

static json_t *
grants_json(PGresult *res)
{
	json_t	*arr = json_array();
	int	 i;

	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:s, s:s}",
		    "grant_id", (json_int_t)qj_db_i64(res, i, 0),
		    "role", qj_db_str(res, i, 1),
		    "unit_id", (json_int_t)qj_db_i64(res, i, 2),
		    "unit", qj_db_str(res, i, 3),
		    "granted_at", qj_db_str(res, i, 5)));
	return (arr);
}

/*
 * Loads person ctx->id[0] and checks that the admin's scope covers them.
 * Returns 0 with *res set, or -1 having replied 404/403.
 */
static int
person_in_scope(struct api_ctx *ctx, PGresult **res)
{
	PGresult	*g;
	enum qj_err	 err;
	int		 i, visible;

	if ((err = people_get(ctx->db, ctx->id[0], res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		reply_problem(ctx, 404, "not-found", "id", "no person %lld",
		    (long long)ctx->id[0]);
		return (-1);
	}
	visible = !qj_db_isnull(*res, 0, 9) &&
	    actor_covers(ctx->actor, "admin", qj_db_str(*res, 0, 9));
	if (!visible && grants_of(ctx->db, ctx->id[0], &g, &ctx->diag) ==
	    QJ_OK) {
		for (i = 0; i < PQntuples(g) && !visible; i++)
			visible = actor_covers(ctx->actor, "admin",
			    qj_db_str(g, i, 4));
		PQclear(g);
	}
	if (!visible) {
		PQclear(*res);
		reply_problem(ctx, 403, "out-of-scope", "id",
		    "person %lld is outside your administrative scope",
		    (long long)ctx->id[0]);
		return (-1);
	}
	return (0);
}

/* Checks that unit `unit_id` exists and lies in the admin's scope. */
static int
unit_in_scope(struct api_ctx *ctx, int64_t unit_id, const char *field)
{
	PGresult	*res;
	enum qj_err	 err;
	int		 ok;

	if ((err = unit_get(ctx->db, unit_id, &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		reply_problem(ctx, 422, "unknown-unit", field,
		    "%s: no unit %lld", field, (long long)unit_id);
		return (-1);
	}
	ok = actor_covers(ctx->actor, "admin", qj_db_str(res, 0, 8));
	PQclear(res);
	if (!ok) {
		reply_problem(ctx, 403, "out-of-scope", field,
		    "%s: unit %lld is outside your administrative scope",
		    field, (long long)unit_id);
		return (-1);
	}
	return (0);
}

static int
check_names(struct api_ctx *ctx, int required)
{
	static const char *const names[] = { "name_kk", "name_ru", "name_en" };
	const char	*v;
	size_t		 i;

	for (i = 0; i < QJ_NELEM(names); i++) {
		v = qj_json_str(ctx->json, names[i]);
		if (v == NULL && !required)
			continue;
		if (v == NULL || strlen(v) == 0 || strlen(v) > 300) {
			reply_problem(ctx, 400, "invalid-field", names[i],
			    "%s must be 1..300 bytes", names[i]);
			return (-1);
		}
	}
	v = qj_json_str(ctx->json, "email");
	if (v != NULL && (strchr(v, '@') == NULL || strlen(v) > 254 ||
	    strpbrk(v, " \t\r\n") != NULL)) {
		reply_problem(ctx, 400, "invalid-field", "email",
		    "email must look like name@host");
		return (-1);
	}
	return (0);
}

/* GET /api/admin/people?q=&limit=&offset= */
void
h_people_list(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "q", NULL }, { "limit", NULL },
				    { "offset", NULL } };
	struct qj_buf		 scopes = QJ_BUF_INIT;
	PGresult		*res;
	enum qj_err		 err;
	int64_t			 limit, offset, total = 0;
	json_t			*arr;
	int			 i;

	if (require_role(ctx, "admin") != 0 ||
	    query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (query_int(ctx, &qp[1], 50, 1, 500, &limit) != 0 ||
	    query_int(ctx, &qp[2], 0, 0, 100000000, &offset) != 0)
		goto out;
	admin_scopes(ctx->actor, &scopes);
	err = people_list(ctx->db, scopes.data, qp[0].value, limit, offset,
	    &res, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_array_append_new(arr, person_json(res, i));
		total = qj_db_i64(res, i, 12);
	}
	PQclear(res);
	reply_json(ctx, 200, json_pack("{s:o, s:I, s:I, s:I}", "people", arr,
	    "total", (json_int_t)total, "limit", (json_int_t)limit,
	    "offset", (json_int_t)offset));
out:
	qj_buf_free(&scopes);
	query_free(qp, QJ_NELEM(qp));
}

/* GET /api/admin/people/{id} */
void
h_people_get(struct api_ctx *ctx)
{
	PGresult	*res, *g;
	enum qj_err	 err;
	json_t		*o;

	if (require_role(ctx, "admin") != 0 || person_in_scope(ctx, &res) != 0)
		return;
	o = person_json(res, 0);
	PQclear(res);
	if ((err = grants_of(ctx->db, ctx->id[0], &g, &ctx->diag)) != QJ_OK) {
		json_decref(o);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	json_object_set_new(o, "roles", grants_json(g));
	PQclear(g);
	reply_json(ctx, 200, o);
}

/*
 * POST /api/admin/people {iin, login, name_kk, name_ru, name_en, email?,
 *     password?, home_unit_id, org_bin?}
 */
void
h_people_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "iin", QJ_J_STRING, 1, 12 },
		{ "login", QJ_J_STRING, 1, 64 },
		{ "name_kk", QJ_J_STRING, 1, 300 },
		{ "name_ru", QJ_J_STRING, 1, 300 },
		{ "name_en", QJ_J_STRING, 1, 300 },
		{ "email", QJ_J_STRING, 0, 254 },
		{ "password", QJ_J_STRING, 0, 256 },
		{ "home_unit_id", QJ_J_INT, 1, 0 },
		{ "org_bin", QJ_J_STRING, 0, 12 },
	};
	struct person_in	 in;
	char			 hash[QJ_PASSWORD_HASH_MAX], idem[65] = "";
	const char		*bin;
	enum qj_err		 err;
	int64_t			 id;

	if (require_role(ctx, "admin") != 0 || api_idem_replay(ctx, idem))
		return;
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK ||
	    (err = qj_iin_check(qj_json_str(ctx->json, "iin"), "iin", NULL,
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.iin = qj_json_str(ctx->json, "iin");
	in.login = qj_json_str(ctx->json, "login");
	in.name_kk = qj_json_str(ctx->json, "name_kk");
	in.name_ru = qj_json_str(ctx->json, "name_ru");
	in.name_en = qj_json_str(ctx->json, "name_en");
	in.email = qj_json_str(ctx->json, "email");
	in.home_unit_id = json_integer_value(json_object_get(ctx->json,
	    "home_unit_id"));
	if (!qj_login_valid(in.login)) {
		reply_problem(ctx, 400, "invalid-field", "login",
		    "login must be 2..64 of a-z 0-9 . _ - starting with a "
		    "letter or digit");
		return;
	}
	if (check_names(ctx, 1) != 0 ||
	    unit_in_scope(ctx, in.home_unit_id, "home_unit_id") != 0)
		return;
	if ((bin = qj_json_str(ctx->json, "org_bin")) != NULL) {
		if ((err = qj_bin_check(bin, "org_bin", &ctx->diag)) != QJ_OK ||
		    (err = org_by_bin(ctx->db, bin, &in.org_id, &ctx->diag))
		    != QJ_OK) {
			reply_error(ctx, err == QJ_ENOTFOUND ? QJ_EUNPROC : err,
			    &ctx->diag);
			return;
		}
	}
	if (qj_json_str(ctx->json, "password") != NULL) {
		if ((err = qj_password_policy(qj_json_str(ctx->json,
		    "password"), "password", &ctx->diag)) != QJ_OK) {
			reply_error(ctx, err, &ctx->diag);
			return;
		}
		if (qj_password_hash(qj_json_str(ctx->json, "password"), hash)
		    != QJ_OK) {
			reply_error(ctx, QJ_EINTERNAL, NULL);
			return;
		}
		in.password_hash = hash;
	}
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = people_create(ctx->db, &in, &id, &ctx->diag)) != QJ_OK ||
	    /* audit: the "accounts" stream, in this transaction */
	    (err = api_audit(ctx, "accounts", "person.create", NULL, NULL,
	    json_pack("{s:I, s:s, s:I, s:b}", "person_id", (json_int_t)id,
	    "login", in.login, "home_unit_id", (json_int_t)in.home_unit_id,
	    "password_set", in.password_hash != NULL))) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_commit_reply(ctx, idem, 201, json_pack("{s:I, s:s}", "id",
	    (json_int_t)id, "login", in.login));
	if (ctx->resp->status == 201)
		qj_log(QJ_LOG_INFO, "admin", "person-created id=%lld by=%lld",
		    (long long)id, (long long)ctx->actor->person_id);
}

/* PATCH /api/admin/people/{id} {email?, name_*?, disabled?, password?} */
void
h_people_update(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "email", QJ_J_STRING, 0, 254 },
		{ "name_kk", QJ_J_STRING, 0, 300 },
		{ "name_ru", QJ_J_STRING, 0, 300 },
		{ "name_en", QJ_J_STRING, 0, 300 },
		{ "disabled", QJ_J_BOOL, 0, 0 },
		{ "password", QJ_J_STRING, 0, 256 },
	};
	char		 hash[QJ_PASSWORD_HASH_MAX];
	const char	*pw;
	PGresult	*res;
	enum qj_err	 err;
	json_t		*dis;
	int		 disabled = -1;

	if (require_role(ctx, "admin") != 0)
		return;
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (check_names(ctx, 0) != 0 || person_in_scope(ctx, &res) != 0)
		return;
	PQclear(res);
	if ((dis = json_object_get(ctx->json, "disabled")) != NULL &&
	    json_is_boolean(dis))
		disabled = json_is_true(dis);
	if (disabled == 1 && ctx->id[0] == ctx->actor->person_id) {
		reply_problem(ctx, 422, "self-disable", "disabled",
		    "you cannot disable your own account");
		return;
	}
	if ((pw = qj_json_str(ctx->json, "password")) != NULL) {
		if ((err = qj_password_policy(pw, "password", &ctx->diag))
		    != QJ_OK) {
			reply_error(ctx, err, &ctx->diag);
			return;
		}
		if (qj_password_hash(pw, hash) != QJ_OK) {
			reply_error(ctx, QJ_EINTERNAL, NULL);
			return;
		}
	}
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = people_update(ctx->db, ctx->id[0],
	    qj_json_str(ctx->json, "email"),
	    qj_json_str(ctx->json, "name_kk"),
	    qj_json_str(ctx->json, "name_ru"),
	    qj_json_str(ctx->json, "name_en"), disabled,
	    pw != NULL ? hash : NULL, &ctx->diag)) != QJ_OK ||
	    ((disabled == 1 || pw != NULL) &&
	    (err = people_logout_everywhere(ctx->db, ctx->id[0], ctx->now,
	    &ctx->diag)) != QJ_OK) ||
	    /* audit: the "accounts" stream; field names, never values */
	    (err = api_audit(ctx, "accounts", "person.update", NULL, NULL,
	    audit_body_fields(ctx->json, ctx->id[0]))) != QJ_OK ||
	    (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	qj_log(QJ_LOG_INFO, "admin", "person-updated id=%lld by=%lld",
	    (long long)ctx->id[0], (long long)ctx->actor->person_id);
	h_people_get(ctx);
}

/* POST /api/admin/people/{id}/roles {role, unit_id} */
void
h_roles_grant(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "role", QJ_J_STRING, 1, 40 },
		{ "unit_id", QJ_J_INT, 1, 0 },
	};
	const char	*role;
	PGresult	*res;
	char		 idem[65] = "";
	enum qj_err	 err;
	int64_t		 unit_id, gid;

	if (require_role(ctx, "admin") != 0 || api_idem_replay(ctx, idem))
		return;
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	role = qj_json_str(ctx->json, "role");
	unit_id = json_integer_value(json_object_get(ctx->json, "unit_id"));
	if (!role_exists(ctx->db, role)) {
		reply_problem(ctx, 422, "unknown-role", "role",
		    "no role \"%s\" (see SPEC section 1)", role);
		return;
	}
	if (ctx->id[0] == ctx->actor->person_id) {
		reply_problem(ctx, 403, "self-grant", "id",
		    "nobody grants roles to themselves");
		return;
	}
	if (person_in_scope(ctx, &res) != 0)
		return;
	PQclear(res);
	if (unit_in_scope(ctx, unit_id, "unit_id") != 0)
		return;
	/* audit: grant and its "accounts" event in one transaction */
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = grant_add(ctx->db, ctx->id[0], role, unit_id,
	    ctx->actor->person_id, &gid, &ctx->diag)) != QJ_OK ||
	    (err = api_audit(ctx, "accounts", "role.grant", NULL, NULL,
	    json_pack("{s:I, s:I, s:s, s:I}", "person_id",
	    (json_int_t)ctx->id[0], "grant_id", (json_int_t)gid, "role", role,
	    "unit_id", (json_int_t)unit_id))) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_commit_reply(ctx, idem, 201, json_pack("{s:I, s:s, s:I}",
	    "grant_id", (json_int_t)gid, "role", role, "unit_id",
	    (json_int_t)unit_id));
	if (ctx->resp->status == 201)
		qj_log(QJ_LOG_INFO, "admin", "role-granted grant=%lld role=%s "
		    "person=%lld by=%lld", (long long)gid, role,
		    (long long)ctx->id[0], (long long)ctx->actor->person_id);
}

/* DELETE /api/admin/people/{id}/roles/{grant} */
void
h_roles_revoke(struct api_ctx *ctx)
{
	PGresult	*res;
	enum qj_err	 err;
	int		 ok;

	if (require_role(ctx, "admin") != 0)
		return;
	err = grant_get(ctx->db, ctx->id[0], ctx->id[1], &res, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		reply_problem(ctx, 404, "not-found", "grant",
		    "no active grant %lld for person %lld",
		    (long long)ctx->id[1], (long long)ctx->id[0]);
		return;
	}
	ok = actor_covers(ctx->actor, "admin", qj_db_str(res, 0, 2));
	PQclear(res);
	if (!ok) {
		reply_problem(ctx, 403, "out-of-scope", "grant",
		    "grant %lld is outside your administrative scope",
		    (long long)ctx->id[1]);
		return;
	}
	/* audit: revocation and its "accounts" event in one transaction */
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = grant_revoke(ctx->db, ctx->id[1], ctx->actor->person_id,
	    ctx->now, &ctx->diag)) != QJ_OK ||
	    (err = api_audit(ctx, "accounts", "role.revoke", NULL, NULL,
	    json_pack("{s:I, s:I}", "person_id", (json_int_t)ctx->id[0],
	    "grant_id", (json_int_t)ctx->id[1]))) != QJ_OK ||
	    (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	qj_log(QJ_LOG_INFO, "admin", "role-revoked grant=%lld by=%lld",
	    (long long)ctx->id[1], (long long)ctx->actor->person_id);
	reply_empty(ctx, 204);
}

/*
 * POST /api/admin/units {parent_id, code, kind, name_kk, name_ru, name_en}:
 * a new unit (a faculty's dean's office, a department, a commission) under
 * a unit the administrator covers, in the same organisation.  Units never
 * move (the database refuses), so a grant's scope stays what it was.
 */
void
h_units_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "parent_id", QJ_J_INT, 1, 0 },
		{ "code", QJ_J_STRING, 1, 40 },
		{ "kind", QJ_J_STRING, 1, 16 },
		{ "name_kk", QJ_J_STRING, 1, 300 },
		{ "name_ru", QJ_J_STRING, 1, 300 },
		{ "name_en", QJ_J_STRING, 1, 300 },
	};
	static const char *const kinds[] = { "faculty", "registrar", "legal",
	    "rectorate", "commission", "department" };
	PGresult	*res = NULL;
	const char	*code, *kind;
	char		 idem[65] = "";
	enum qj_err	 err;
	int64_t		 parent, org, id, existing;
	size_t		 i;

	if (require_role(ctx, "admin") != 0 || api_idem_replay(ctx, idem))
		return;
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	code = qj_json_str(ctx->json, "code");
	kind = qj_json_str(ctx->json, "kind");
	parent = json_integer_value(json_object_get(ctx->json, "parent_id"));
	for (i = 0; code[i] != '\0'; i++)
		if (!(islower((unsigned char)code[i]) || (i > 0 &&
		    (isdigit((unsigned char)code[i]) || code[i] == '-'))))
			break;
	if (i == 0 || code[i] != '\0') {
		reply_problem(ctx, 400, "invalid-field", "code", "code is 1..40 "
		    "of a-z 0-9 - starting with a letter");
		return;
	}
	for (i = 0; i < QJ_NELEM(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			break;
	if (i == QJ_NELEM(kinds)) {
		reply_problem(ctx, 400, "invalid-field", "kind", "kind is one of "
		    "faculty, registrar, legal, rectorate, commission, "
		    "department");
		return;
	}
	if (check_names(ctx, 1) != 0 ||
	    unit_in_scope(ctx, parent, "parent_id") != 0)
		return;
	if ((err = unit_get(ctx->db, parent, &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	org = qj_db_i64(res, 0, 1);
	PQclear(res);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (unit_by_code(ctx->db, code, &existing, NULL, &ctx->diag) ==
	    QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_problem(ctx, 409, "unit-code-taken", "code", "a unit "
		    "with code %s exists", code);
		return;
	}
	qj_diag_clear(&ctx->diag);
	if ((err = unit_create(ctx->db, org, parent, code, kind,
	    qj_json_str(ctx->json, "name_kk"), qj_json_str(ctx->json,
	    "name_ru"), qj_json_str(ctx->json, "name_en"), &id, &ctx->diag))
	    != QJ_OK ||
	    (err = api_audit(ctx, "accounts", "unit.create", NULL, NULL,
	    json_pack("{s:I, s:I, s:s, s:s}", "unit_id", (json_int_t)id,
	    "parent_id", (json_int_t)parent, "code", code, "kind", kind))) !=
	    QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_commit_reply(ctx, idem, 201, json_pack("{s:I, s:I, s:s, s:s}",
	    "id", (json_int_t)id, "parent_id", (json_int_t)parent, "code",
	    code, "kind", kind));
}
