/*
 * http.c: see http.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "tests/lib/harness.h"
#include "tests/lib/http.h"

/*
 * One libcurl handle per thread, reused so that requests keep their
 * connection alive (a benchmark otherwise measures TCP set-up); freed when
 * the thread ends, or by t_http_cleanup() for the main thread.
 */
static pthread_key_t	handle_key;
static pthread_once_t	handle_once = PTHREAD_ONCE_INIT;

static void
handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void
handle_key_make(void)
{
	pthread_key_create(&handle_key, handle_free);
}

static CURL *
thread_handle(void)
{
	CURL	*cu;

	pthread_once(&handle_once, handle_key_make);
	if ((cu = pthread_getspecific(handle_key)) == NULL) {
		if ((cu = curl_easy_init()) == NULL)
			return (NULL);
		pthread_setspecific(handle_key, cu);
	} else
		curl_easy_reset(cu);
	return (cu);
}

void
t_http_cleanup(void)
{
	CURL	*cu;

	pthread_once(&handle_once, handle_key_make);
	if ((cu = pthread_getspecific(handle_key)) != NULL) {
		curl_easy_cleanup(cu);
		pthread_setspecific(handle_key, NULL);
	}
}

struct sink {
	char	*data;
	size_t	 len;
};

static size_t
sink_write(void *p, size_t sz, size_t n, void *u)
{
	struct sink	*s = u;
	char		*q;

	if ((q = realloc(s->data, s->len + sz * n + 1)) == NULL)
		return (0);
	s->data = q;
	memcpy(s->data + s->len, p, sz * n);
	s->len += sz * n;
	s->data[s->len] = '\0';
	return (sz * n);
}

const char *
t_header(const struct tresp *r, const char *name, char *out, size_t outlen)
{
	const char	*p = r->headers;
	size_t		 n = strlen(name), vlen;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			vlen = strcspn(p, "\r\n");
			snprintf(out, outlen, "%.*s", (int)vlen, p);
			return (out);
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return (NULL);
}

static void
remember_cookie(struct tclient *c, const struct tresp *r)
{
	char	v[512];
	size_t	n;

	if (t_header(r, "Set-Cookie", v, sizeof(v)) == NULL ||
	    strncmp(v, "qj_session=", 11) != 0)
		return;
	n = strcspn(v, ";");
	if (n == 11)
		c->cookie[0] = '\0';	/* cleared by logout */
	else
		snprintf(c->cookie, sizeof(c->cookie), "%.*s", (int)n, v);
}

long
t_req(struct tclient *c, const char *method, const char *path,
    const char *body, size_t len, const char *ctype,
    const char *const *extra, struct tresp *r)
{
	struct curl_slist	*hl = NULL;
	struct sink		 b = { NULL, 0 }, h = { NULL, 0 };
	char			 url[1024], line[600];
	CURL			*cu;

	memset(r, 0, sizeof(*r));
	if ((cu = thread_handle()) == NULL)
		return (0);
	snprintf(url, sizeof(url), "%s%s", H.base, path);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	/* Kore answers 408 and closes a kept-alive connection idle for its
	 * http_header_timeout (10 s): never reuse one that old. */
	curl_easy_setopt(cu, CURLOPT_MAXAGE_CONN, 5L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)len);
		snprintf(line, sizeof(line), "Content-Type: %s",
		    ctype ? ctype : "application/json");
		hl = curl_slist_append(hl, line);
	}
	hl = curl_slist_append(hl, "Expect:");
	if (c != NULL && c->cookie[0] != '\0') {
		snprintf(line, sizeof(line), "Cookie: %s", c->cookie);
		hl = curl_slist_append(hl, line);
	}
	if (c != NULL && c->csrf[0] != '\0') {
		snprintf(line, sizeof(line), "X-CSRF-Token: %s", c->csrf);
		hl = curl_slist_append(hl, line);
	}
	if (c != NULL && c->bearer[0] != '\0') {
		snprintf(line, sizeof(line), "Authorization: Bearer %s",
		    c->bearer);
		hl = curl_slist_append(hl, line);
	}
	for (; extra != NULL && *extra != NULL; extra++)
		hl = curl_slist_append(hl, *extra);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
	if (curl_easy_perform(cu) == CURLE_OK)
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	r->body = b.data ? b.data : strdup("");
	r->len = b.len;
	r->headers = h.data ? h.data : strdup("");
	r->json = json_loadb(r->body, r->len, 0, NULL);
	if (c != NULL)
		remember_cookie(c, r);
	return (r->status);
}

long
t_json(struct tclient *c, const char *method, const char *path,
    const char *json, struct tresp *r)
{
	return (t_req(c, method, path, json, json ? strlen(json) : 0, NULL,
	    NULL, r));
}

void
tresp_free(struct tresp *r)
{
	free(r->body);
	free(r->headers);
	if (r->json != NULL)
		json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

long
t_login(struct tclient *c, const char *login, const char *password)
{
	struct tresp	 r;
	json_t		*body;
	char		*s;
	long		 st;

	memset(c, 0, sizeof(*c));
	body = json_pack("{s:s, s:s}", "login", login, "password",
	    password ? password : "");
	s = json_dumps(body, 0);
	json_decref(body);
	st = t_json(c, "POST", "/api/session", s, &r);
	free(s);
	if (st == 201)
		snprintf(c->csrf, sizeof(c->csrf), "%s", t_str(&r,
		    "csrf_token"));
	tresp_free(&r);
	return (st);
}

int
t_is_problem(const struct tresp *r, long status, const char *slug)
{
	char		 ct[128], urn[128];
	const char	*type, *detail;

	if (r->status != status || r->json == NULL)
		return (0);
	if (t_header(r, "Content-Type", ct, sizeof(ct)) == NULL ||
	    strcmp(ct, "application/problem+json") != 0)
		return (0);
	type = json_string_value(json_object_get(r->json, "type"));
	detail = json_string_value(json_object_get(r->json, "detail"));
	if (type == NULL || detail == NULL || detail[0] == '\0' ||
	    json_integer_value(json_object_get(r->json, "status")) != status)
		return (0);
	if (slug == NULL)
		return (strncmp(type, "urn:qujat:problem:", 18) == 0);
	snprintf(urn, sizeof(urn), "urn:qujat:problem:%s", slug);
	return (strcmp(type, urn) == 0);
}

const char *
t_str(const struct tresp *r, const char *key)
{
	const char	*s;

	s = r->json ? json_string_value(json_object_get(r->json, key)) : NULL;
	return (s ? s : "");
}

long long
t_int(const struct tresp *r, const char *key)
{
	return (r->json ? json_integer_value(json_object_get(r->json, key)) :
	    0);
}
