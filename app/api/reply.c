/*
 * reply.c: JSON and problem+json (RFC 9457) responses.
 *
 * The status of an error comes from one table here (the core never knows
 * HTTP).  Problem types are URNs, "urn:qujat:problem:<slug>", whose slugs
 * are stable and listed in docs/api.md; titles follow Accept-Language in
 * Kazakh, Russian or English.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/log.h"

static const int err_status[QJ_ERR_MAX] = {
	[QJ_OK] = 200,
	[QJ_ENOMEM] = 503,
	[QJ_EINVAL] = 400,
	[QJ_EUNPROC] = 422,
	[QJ_EAUTH] = 401,
	[QJ_EDENIED] = 403,
	[QJ_ENOTFOUND] = 404,
	[QJ_ECONFLICT] = 409,
	[QJ_ELIMIT] = 413,
	[QJ_ERATE] = 429,
	[QJ_EDB] = 503,
	[QJ_EIO] = 503,
	[QJ_EINTERNAL] = 500,
};

struct title {
	int		 status;
	const char	*kk, *ru, *en;
};

static const struct title titles[] = {
	{ 400, "Сұраныс қате", "Неверный запрос", "Bad request" },
	{ 401, "Кіру қажет", "Требуется вход", "Authentication required" },
	{ 403, "Рұқсат жоқ", "Доступ запрещён", "Forbidden" },
	{ 404, "Табылмады", "Не найдено", "Not found" },
	{ 405, "Әдіс рұқсат етілмеген", "Метод не разрешён",
	    "Method not allowed" },
	{ 409, "Қайшылық", "Конфликт", "Conflict" },
	{ 412, "Нұсқа сәйкес емес", "Версия не совпадает",
	    "Precondition failed" },
	{ 413, "Тым үлкен", "Слишком большой объём", "Payload too large" },
	{ 415, "Қолдау көрсетілмейтін түр", "Неподдерживаемый тип",
	    "Unsupported media type" },
	{ 422, "Ереже бұзылды", "Нарушено правило", "Unprocessable content" },
	{ 428, "Нұсқа көрсетілмеген", "Не указана версия",
	    "Precondition required" },
	{ 429, "Әрекет тым көп", "Слишком много попыток",
	    "Too many requests" },
	{ 500, "Ішкі қате", "Внутренняя ошибка", "Internal error" },
	{ 503, "Қызмет қолжетімсіз", "Сервис недоступен",
	    "Service unavailable" },
};

int
status_of(enum qj_err err)
{
	if (err <= QJ_OK || err >= QJ_ERR_MAX)
		return (500);
	return (err_status[err]);
}

static const char *
title_of(int status, const char *lang)
{
	size_t	i;

	for (i = 0; i < QJ_NELEM(titles); i++) {
		if (titles[i].status != status)
			continue;
		if (strcmp(lang, "kk") == 0)
			return (titles[i].kk);
		if (strcmp(lang, "ru") == 0)
			return (titles[i].ru);
		return (titles[i].en);
	}
	return ("Error");
}

void
reply_json(struct api_ctx *ctx, int status, json_t *obj)
{
	char	*s;

	ctx->resp->status = status;
	ctx->resp->content_type = "application/json";
	qj_buf_reset(&ctx->resp->body);
	s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (s == NULL) {
		ctx->resp->status = 503;
		qj_buf_puts(&ctx->resp->body, "{}");
		return;
	}
	qj_buf_puts(&ctx->resp->body, s);
	free(s);
}

void
reply_empty(struct api_ctx *ctx, int status)
{
	ctx->resp->status = status;
	ctx->resp->content_type = NULL;
	qj_buf_reset(&ctx->resp->body);
}

static void
problem(struct api_ctx *ctx, int status, const char *type, const char *field,
    const char *detail)
{
	json_t	*o;
	char	 urn[96];

	snprintf(urn, sizeof(urn), "urn:qujat:problem:%s",
	    type != NULL ? type : "error");
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}",
	    "type", urn,
	    "title", title_of(status, ctx->lang),
	    "status", status,
	    "detail", detail,
	    "instance", ctx->req->path,
	    "request_id", ctx->resp->request_id);
	if (o != NULL && field != NULL && field[0] != '\0')
		json_object_set_new(o, "field", json_string(field));
	if (o == NULL) {
		ctx->resp->status = status;
		ctx->resp->content_type = "application/problem+json";
		qj_buf_reset(&ctx->resp->body);
		qj_buf_printf(&ctx->resp->body, "{\"type\":\"%s\",\"status\":%d}",
		    urn, status);
		return;
	}
	reply_json(ctx, status, o);
	ctx->resp->content_type = "application/problem+json";
	if (status == 401)
		api_resp_header(ctx->resp, "WWW-Authenticate",
		    "Bearer realm=\"qujat\"");
}

void
reply_problem(struct api_ctx *ctx, int status, const char *type,
    const char *field, const char *fmt, ...)
{
	char	detail[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	problem(ctx, status, type, field, detail);
}

void
reply_error(struct api_ctx *ctx, enum qj_err err, const struct qj_diag *d)
{
	int	status = status_of(err);

	if (status >= 500)
		qj_log(QJ_LOG_ERR, "request", "id=%s path=%s err=%s detail=%s",
		    ctx->resp->request_id, ctx->req->path, qj_strerror(err),
		    d && d->detail[0] ? d->detail : "-");
	if (d == NULL || d->type == NULL) {
		problem(ctx, status, status == 503 ? "unavailable" : "error",
		    NULL, qj_strerror(err));
		return;
	}
	/* Internal details of a 5xx stay in the log. */
	if (status >= 500 && status != 503)
		problem(ctx, status, "internal", NULL,
		    "internal error; quote the request id");
	else
		problem(ctx, status, d->type, d->field, d->detail);
}
