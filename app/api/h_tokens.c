/*
 * h_tokens.c: a person's own bearer tokens for integrations.  The secret is
 * returned once, at creation, as "qjt_<43 base64url chars>"; only its
 * SHA-256 is stored.
 */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/codec.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "store/people.h"

static json_t *
opt_time(PGresult *res, int row, int col)
{
	char	ts[21];

	if (qj_db_isnull(res, row, col))
		return (json_null());
	qj_time_format(qj_db_i64(res, row, col), ts);
	return (json_string(ts));
}

/* GET /api/tokens */
void
h_tokens_list(struct api_ctx *ctx)
{
	PGresult	*res;
	enum qj_err	 err;
	json_t		*arr, *o;
	int		 i;

	err = tokens_list(ctx->db, ctx->actor->person_id, &res, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		o = json_pack("{s:I, s:s}", "id",
		    (json_int_t)qj_db_i64(res, i, 0), "name",
		    qj_db_str(res, i, 1));
		json_object_set_new(o, "created_at", opt_time(res, i, 2));
		json_object_set_new(o, "expires_at", opt_time(res, i, 3));
		json_object_set_new(o, "last_used_at", opt_time(res, i, 4));
		json_object_set_new(o, "revoked_at", opt_time(res, i, 5));
		json_array_append_new(arr, o);
	}
	PQclear(res);
	reply_json(ctx, 200, json_pack("{s:o}", "tokens", arr));
}

/* POST /api/tokens {name, expires_in_days?} */
void
h_tokens_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "name", QJ_J_STRING, 1, 100 },
		{ "expires_in_days", QJ_J_INT, 0, 0 },
	};
	char		 secret[QJ_TOKEN_LEN + 1], hash[65], shown[64];
	json_t		*days;
	enum qj_err	 err;
	int64_t		 id, expires = 0;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if ((days = json_object_get(ctx->json, "expires_in_days")) != NULL &&
	    json_is_integer(days)) {
		if (json_integer_value(days) < 1 ||
		    json_integer_value(days) > 730) {
			reply_problem(ctx, 400, "invalid-field",
			    "expires_in_days", "expires_in_days must be 1..730");
			return;
		}
		expires = ctx->now + json_integer_value(days) * 86400;
	}
	if (qj_random_token(secret) != QJ_OK) {
		reply_error(ctx, QJ_EINTERNAL, NULL);
		return;
	}
	qj_sha256_hex(secret, strlen(secret), hash);
	err = token_create(ctx->db, ctx->actor->person_id,
	    qj_json_str(ctx->json, "name"), hash, ctx->actor->person_id,
	    ctx->now, expires, &id, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	snprintf(shown, sizeof(shown), "qjt_%s", secret);
	qj_log(QJ_LOG_INFO, "token-created", "id=%lld person=%lld",
	    (long long)id, (long long)ctx->actor->person_id);
	reply_json(ctx, 201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
	    "name", qj_json_str(ctx->json, "name"), "token", shown));
}

/* DELETE /api/tokens/{id} */
void
h_tokens_revoke(struct api_ctx *ctx)
{
	enum qj_err	err;

	err = token_revoke(ctx->db, ctx->actor->person_id, ctx->id[0],
	    ctx->now, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	reply_empty(ctx, 204);
}
