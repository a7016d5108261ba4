/*
 * http.h: a small libcurl client for integration tests, with a session
 * (cookie and CSRF token) or a bearer token per client.
 */
#ifndef QJ_TEST_HTTP_H
#define QJ_TEST_HTTP_H

#include <stddef.h>

#include <jansson.h>

struct tclient {
	char	cookie[128];	/* "qj_session=..." or "" */
	char	csrf[64];	/* sent as X-CSRF-Token when not "" */
	char	bearer[96];	/* sent as Authorization when not "" */
};

struct tresp {
	long	 status;
	char	*body;		/* NUL-terminated */
	size_t	 len;
	char	*headers;	/* raw response headers */
	json_t	*json;		/* parsed body, or NULL */
};

/*
 * Sends a request to the harness server.  `body` (may be NULL) is sent with
 * `ctype` (NULL means application/json).  `extra` is a NULL-terminated list
 * of "Name: value" headers or NULL.  Returns the status (0 on transport
 * failure).  A Set-Cookie for the session is remembered in the client.
 */
long	t_req(struct tclient *, const char *method, const char *path,
	    const char *body, size_t len, const char *ctype,
	    const char *const *extra, struct tresp *);
/* Convenience: JSON body (or NULL). */
long	t_json(struct tclient *, const char *method, const char *path,
	    const char *json, struct tresp *);
void	tresp_free(struct tresp *);
/* Frees the calling thread's connection (other threads free theirs). */
void	t_http_cleanup(void);

/* The value of a response header (case-insensitive), or NULL. */
const char *t_header(const struct tresp *, const char *name, char *out,
	    size_t outlen);

/* Logs in; fills cookie and csrf on 201.  Returns the status. */
long	t_login(struct tclient *, const char *login, const char *password);

/*
 * 1 when the response is problem+json with `status`, type
 * "urn:qujat:problem:<slug>" (slug NULL: any), and a non-empty detail.
 */
int	t_is_problem(const struct tresp *, long status, const char *slug);

/* A string member of the JSON body, or "". */
const char *t_str(const struct tresp *, const char *key);
long long   t_int(const struct tresp *, const char *key);

#endif
