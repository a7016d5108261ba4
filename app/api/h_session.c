/*
 * h_session.c: log in, log out, who am I.
 *
 * A failed login answers the same 401 whether the account exists, is
 * disabled or the password is wrong, and costs the same (an unknown login is
 * verified against a dummy hash).  Failures are counted per login name and
 * per client address; over the limit within the window the answer is 429,
 * even for the right password, until the window passes.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/codec.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "core/password.h"
#include "store/accounts.h"
#include "store/people.h"

static char		dummy_hash[QJ_PASSWORD_HASH_MAX];
static pthread_once_t	dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy_hash(void)
{
	char	pw[QJ_TOKEN_LEN + 1];

	if (qj_random_token(pw) != QJ_OK ||
	    qj_password_hash(pw, dummy_hash) != QJ_OK)
		dummy_hash[0] = '\0';
}

static void
set_session_cookie(struct api_ctx *ctx, const char *value, int64_t max_age)
{
	char	cookie[256];

	snprintf(cookie, sizeof(cookie),
	    "qj_session=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
	    value, (long long)max_age,
	    api_config()->secure_cookies ? "; Secure" : "");
	api_resp_header(ctx->resp, "Set-Cookie", cookie);
}

static int
login_name(const char *in, char out[129])
{
	size_t	i, n = strlen(in);

	if (n == 0 || n > 128)
		return (-1);
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return (0);
}

/* POST /api/session {login, password} */
void
h_session_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "login", QJ_J_STRING, 1, 128 },
		{ "password", QJ_J_STRING, 1, 256 },
	};
	const struct api_config	*cfg = api_config();
	struct acct_login	 acct;
	char			 login[129], token[QJ_TOKEN_LEN + 1];
	char			 csrf[QJ_TOKEN_LEN + 1], hash[65], ra[16];
	const char		*pw;
	enum qj_err		 err;
	int			 by_login, by_addr, ok;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	pw = qj_json_str(ctx->json, "password");
	if (login_name(qj_json_str(ctx->json, "login"), login) != 0) {
		reply_problem(ctx, 400, "missing-field", "login",
		    "field \"login\" is required");
		return;
	}
	err = acct_failures(ctx->db, login, ctx->req->address,
	    ctx->now - cfg->throttle_window, &by_login, &by_addr, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (by_login >= cfg->throttle_account ||
	    by_addr >= cfg->throttle_address) {
		snprintf(ra, sizeof(ra), "%lld", (long long)cfg->throttle_window);
		api_resp_header(ctx->resp, "Retry-After", ra);
		qj_log(QJ_LOG_WARN, "login-throttled", "address=%s",
		    ctx->req->address);
		reply_problem(ctx, 429, "login-throttled", NULL,
		    "too many failed logins; try again later");
		return;
	}
	if ((err = acct_login_lookup(ctx->db, login, &acct, &ctx->diag))
	    != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	pthread_once(&dummy_once, make_dummy_hash);
	if (acct.person_id != 0 && acct.password_hash[0] != '\0')
		ok = qj_password_verify(acct.password_hash, pw);
	else {
		/* Same cost as a real check, so timing does not tell. */
		(void)qj_password_verify(dummy_hash, pw);
		ok = 0;
	}
	if (!ok || acct.disabled) {
		if ((err = acct_failure_record(ctx->db, login,
		    ctx->req->address, ctx->now, &ctx->diag)) != QJ_OK) {
			reply_error(ctx, err, &ctx->diag);
			return;
		}
		qj_log(QJ_LOG_INFO, "login-failed", "address=%s",
		    ctx->req->address);
		reply_problem(ctx, 401, "invalid-credentials", NULL,
		    "the login or the password is wrong");
		return;
	}
	if (qj_random_token(token) != QJ_OK || qj_random_token(csrf) != QJ_OK) {
		reply_error(ctx, QJ_EINTERNAL, NULL);
		return;
	}
	qj_sha256_hex(token, strlen(token), hash);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = acct_failure_clear(ctx->db, login, &ctx->diag)) != QJ_OK ||
	    (err = acct_session_create(ctx->db, hash, acct.person_id, csrf,
	    ctx->now, ctx->now + cfg->session_absolute, ctx->req->address,
	    ctx->req->user_agent ? ctx->req->user_agent : "", &ctx->diag))
	    != QJ_OK || (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	qj_log(QJ_LOG_INFO, "login", "person=%lld address=%s",
	    (long long)acct.person_id, ctx->req->address);
	set_session_cookie(ctx, token, cfg->session_absolute);
	reply_json(ctx, 201, json_pack("{s:I, s:s, s:I, s:I}",
	    "person_id", (json_int_t)acct.person_id,
	    "csrf_token", csrf,
	    "idle_timeout", (json_int_t)cfg->session_idle,
	    "expires_in", (json_int_t)cfg->session_absolute));
}

/* DELETE /api/session */
void
h_session_delete(struct api_ctx *ctx)
{
	enum qj_err	err;

	if (!ctx->actor->via_session) {
		reply_problem(ctx, 400, "not-a-session", NULL,
		    "this request is authenticated by a token, not a session; "
		    "revoke tokens with DELETE /api/tokens/{id}");
		return;
	}
	err = acct_session_revoke(ctx->db, ctx->actor->session_hash, ctx->now,
	    &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	qj_log(QJ_LOG_INFO, "logout", "person=%lld",
	    (long long)ctx->actor->person_id);
	set_session_cookie(ctx, "", 0);
	reply_empty(ctx, 204);
}

/* GET /api/me */
void
h_me(struct api_ctx *ctx)
{
	PGresult	*res;
	enum qj_err	 err;
	json_t		*o;

	err = people_get(ctx->db, ctx->actor->person_id, &res, &ctx->diag);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	o = json_pack("{s:I, s:s, s:s, s:{s:s, s:s, s:s}, s:o}",
	    "id", (json_int_t)ctx->actor->person_id,
	    "login", ctx->actor->login,
	    "iin", ctx->actor->iin,
	    "name", "kk", qj_db_str(res, 0, 3), "ru", qj_db_str(res, 0, 4),
	    "en", qj_db_str(res, 0, 5),
	    "roles", actor_json(ctx->actor));
	PQclear(res);
	if (o != NULL && ctx->actor->via_session)
		json_object_set_new(o, "csrf_token",
		    json_string(ctx->actor->csrf));
	reply_json(ctx, 200, o);
}
