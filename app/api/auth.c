/*
 * auth.c: who is asking, and may they?
 *
 * A request authenticates with the session cookie (browsers) or with
 * "Authorization: Bearer qjt_..." (integrations).  Only SHA-256 hashes of
 * either secret are looked up.  A cookie-authenticated request that changes
 * state must also carry the session's CSRF token in X-CSRF-Token (the
 * synchronizer-token pattern; SameSite=Strict is the second fence).
 * Authorisation is by role grants, each covering a subtree of units.
 */
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/codec.h"
#include "store/accounts.h"

#define SESSION_COOKIE	"qj_session"
#define TOKEN_PREFIX	"qjt_"

/* Finds the value of cookie `name` in a Cookie header; NULL if absent. */
static const char *
cookie_value(const char *header, const char *name, size_t *len)
{
	const char	*p = header, *end;
	size_t		 nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			*len = end ? (size_t)(end - p) : strlen(p);
			return (p);
		}
		p = end;
	}
	return (NULL);
}

static int
fill_actor(struct api_ctx *ctx, PGresult *res, int via_session,
    const char *hash)
{
	struct actor		*a;
	struct actor_grant	*g;
	int			 i;

	if (PQntuples(res) == 0)
		return (-1);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (-1);
	a->person_id = qj_db_i64(res, 0, 0);
	snprintf(a->login, sizeof(a->login), "%s", qj_db_str(res, 0, 1));
	snprintf(a->iin, sizeof(a->iin), "%s", qj_db_str(res, 0, 2));
	a->org_id = qj_db_i64(res, 0, 3);
	snprintf(a->bin, sizeof(a->bin), "%s", qj_db_str(res, 0, 10));
	a->via_session = via_session;
	snprintf(a->csrf, sizeof(a->csrf), "%s", qj_db_str(res, 0, 4));
	snprintf(a->session_hash, sizeof(a->session_hash), "%s", hash);
	for (i = 0; i < PQntuples(res) && a->ngrants < ACTOR_MAX_GRANTS; i++) {
		if (qj_db_isnull(res, i, 5))
			continue;
		g = &a->grants[a->ngrants++];
		g->id = qj_db_i64(res, i, 5);
		snprintf(g->role, sizeof(g->role), "%s", qj_db_str(res, i, 6));
		g->unit_id = qj_db_i64(res, i, 7);
		snprintf(g->unit_code, sizeof(g->unit_code), "%s",
		    qj_db_str(res, i, 8));
		snprintf(g->unit_path, sizeof(g->unit_path), "%s",
		    qj_db_str(res, i, 9));
	}
	ctx->actor = a;
	return (0);
}

int
auth_resolve(struct api_ctx *ctx)
{
	const struct api_config	*cfg = api_config();
	const char		*auth = ctx->req->authorization, *secret;
	char			 hash[QJ_SHA256_HEX_LEN + 1];
	PGresult		*res = NULL;
	enum qj_err		 err;
	size_t			 len = 0;
	int			 via_session;

	if (auth != NULL) {
		if (strncasecmp(auth, "Bearer ", 7) != 0 ||
		    strncmp(auth + 7, TOKEN_PREFIX, 4) != 0) {
			reply_problem(ctx, 401, "unauthenticated", NULL,
			    "Authorization must be \"Bearer qjt_...\"");
			return (-1);
		}
		secret = auth + 11;
		len = strlen(secret);
		via_session = 0;
	} else if (ctx->req->cookie != NULL &&
	    (secret = cookie_value(ctx->req->cookie, SESSION_COOKIE, &len))
	    != NULL) {
		via_session = 1;
	} else {
		reply_problem(ctx, 401, "unauthenticated", NULL,
		    "log in first (session cookie or bearer token)");
		return (-1);
	}
	if (len != QJ_TOKEN_LEN) {
		reply_problem(ctx, 401, "unauthenticated", NULL,
		    "the session or token is invalid or has expired");
		return (-1);
	}
	qj_sha256_hex(secret, len, hash);
	if (via_session)
		err = acct_actor_by_session(ctx->db, hash, ctx->now,
		    cfg->session_idle, &res, &ctx->diag);
	else
		err = acct_actor_by_token(ctx->db, hash, ctx->now, &res,
		    &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (-1);
	}
	if (fill_actor(ctx, res, via_session, hash) != 0) {
		PQclear(res);
		reply_problem(ctx, 401, "unauthenticated", NULL,
		    "the session or token is invalid or has expired");
		return (-1);
	}
	PQclear(res);
	return (0);
}

int
auth_check_csrf(struct api_ctx *ctx)
{
	const char	*t = ctx->req->csrf_token;

	if (ctx->actor == NULL || !ctx->actor->via_session)
		return (0);
	switch (ctx->req->method) {
	case API_GET:
	case API_HEAD:
		return (0);
	default:
		break;
	}
	if (t == NULL || strlen(t) != strlen(ctx->actor->csrf) ||
	    !qj_ct_equal(t, ctx->actor->csrf, strlen(t))) {
		reply_problem(ctx, 403, "csrf", "X-CSRF-Token",
		    "a state-changing request with a session cookie needs the "
		    "session's X-CSRF-Token header");
		return (-1);
	}
	return (0);
}

int
actor_has_role(const struct actor *a, const char *role)
{
	int	i;

	for (i = 0; a != NULL && i < a->ngrants; i++)
		if (strcmp(a->grants[i].role, role) == 0)
			return (1);
	return (0);
}

int
actor_covers(const struct actor *a, const char *role, const char *unit_path)
{
	int	i;

	for (i = 0; a != NULL && i < a->ngrants; i++)
		if (strcmp(a->grants[i].role, role) == 0 &&
		    strncmp(unit_path, a->grants[i].unit_path,
		    strlen(a->grants[i].unit_path)) == 0)
			return (1);
	return (0);
}

int
require_role(struct api_ctx *ctx, const char *role)
{
	if (actor_has_role(ctx->actor, role))
		return (0);
	reply_problem(ctx, 403, "forbidden-role", NULL,
	    "this needs the %s role", role);
	return (-1);
}

json_t *
actor_json(const struct actor *a)
{
	json_t	*roles;
	int	 i;

	roles = json_array();
	for (i = 0; i < a->ngrants; i++)
		json_array_append_new(roles, json_pack("{s:I, s:s, s:I, s:s}",
		    "grant_id", (json_int_t)a->grants[i].id,
		    "role", a->grants[i].role,
		    "unit_id", (json_int_t)a->grants[i].unit_id,
		    "unit", a->grants[i].unit_code));
	return (roles);
}
