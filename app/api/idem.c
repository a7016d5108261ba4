/*
 * idem.c: Idempotency-Key for the POSTs that change something (SPEC 5).
 *
 * A retry with the same key and the same request (method, path, body)
 * gets the first answer again, with Idempotent-Replayed: true, and changes
 * nothing; the same key with another request is a 422.  The answer is
 * stored in the transaction that made the change, just before its COMMIT,
 * so a change and its record exist together or not at all; two requests
 * racing with one key meet on the table's unique key and one gets a 409.
 * Keys are per person.  Never used for answers that hold a secret (a new
 * API token), which must not rest in the database.
 */
#include <ctype.h>
#include <string.h>

#include "api/internal.h"
#include "core/codec.h"
#include "store/cases.h"

static int
idem_valid(const char *key)
{
	size_t	i, n = strlen(key);

	if (n == 0 || n > 128)
		return (0);
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)key[i]))
			return (0);
	return (1);
}

/* The request's fingerprint: method, path and body. */
static void
idem_hash(struct api_ctx *ctx, char out[65])
{
	struct qj_buf	b = QJ_BUF_INIT;

	qj_buf_printf(&b, "%d %s\n", ctx->req->method, ctx->req->path);
	if (ctx->req->body != NULL)
		qj_buf_append(&b, ctx->req->body, ctx->req->body_len);
	qj_sha256_hex(b.data, b.len, out);
	qj_buf_free(&b);
}

/*
 * Replays an earlier response to this Idempotency-Key.  Returns 1 when it
 * replied (replay or a 4xx), 0 when the handler should proceed.
 */
int
api_idem_replay(struct api_ctx *ctx, char hash[65])
{
	PGresult	*res = NULL;
	enum qj_err	 err;

	if (ctx->req->idempotency_key == NULL)
		return (0);
	if (!idem_valid(ctx->req->idempotency_key)) {
		reply_problem(ctx, 400, "invalid-header", "Idempotency-Key",
		    "Idempotency-Key must be 1..128 visible characters");
		return (1);
	}
	idem_hash(ctx, hash);
	err = idem_get(ctx->db, ctx->actor->person_id,
	    ctx->req->idempotency_key, &res, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return (1);
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return (0);
	}
	if (strcmp(qj_db_str(res, 0, 2), hash) != 0) {
		PQclear(res);
		reply_problem(ctx, 422, "idempotency-key-reused",
		    "Idempotency-Key", "this key was used for a different "
		    "request");
		return (1);
	}
	ctx->resp->status = (int)qj_db_i64(res, 0, 0);
	ctx->resp->content_type = ctx->resp->status >= 400 ?
	    "application/problem+json" : "application/json";
	qj_buf_reset(&ctx->resp->body);
	qj_buf_puts(&ctx->resp->body, qj_db_str(res, 0, 1));
	api_resp_header(ctx->resp, "Idempotent-Replayed", "true");
	PQclear(res);
	return (1);
}

/* Stores the response in the open transaction (before the commit). */
enum qj_err
api_idem_store(struct api_ctx *ctx, const char hash[65])
{
	if (ctx->req->idempotency_key == NULL)
		return (QJ_OK);
	return (idem_put(ctx->db, ctx->actor->person_id,
	    ctx->req->idempotency_key, hash, ctx->resp->status,
	    ctx->resp->body.data ? ctx->resp->body.data : "",
	    ctx->resp->body.len, ctx->now, &ctx->diag));
}

/* Commits with the idempotency record; on failure replies an error. */
void
api_commit_reply(struct api_ctx *ctx, const char hash[65], int status, json_t *o)
{
	enum qj_err	err;

	reply_json(ctx, status, o);
	if ((err = api_idem_store(ctx, hash)) != QJ_OK ||
	    (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
	}
}
