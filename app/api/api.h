/*
 * api.h: the HTTP API without Kore.
 *
 * app/http copies what it needs out of a Kore request into a struct api_req,
 * runs api_handle() on a task thread (so database work never blocks Kore's
 * event loop), and writes the struct api_resp back.  Everything between —
 * routing, authentication, CSRF, authorisation, validation, the call into
 * store/ and core/, problem+json errors — lives here and knows nothing of
 * Kore.  api_handle() never fails: every outcome is a response.
 */
#ifndef QJ_API_H
#define QJ_API_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum api_method {
	API_GET, API_HEAD, API_POST, API_PUT, API_PATCH, API_DELETE,
	API_OTHER
};

struct api_req {
	enum api_method	 method;
	char		*path;		/* owned; without the query string */
	char		*query;		/* owned; raw query string or NULL */
	unsigned char	*body;		/* owned; may be NULL */
	size_t		 body_len;
	char		*content_type;	/* owned header values, or NULL */
	char		*cookie;
	char		*authorization;
	char		*csrf_token;	/* X-CSRF-Token */
	char		*idempotency_key;
	char		*if_match;
	char		*accept_language;
	char		*user_agent;
	char		*request_id_in;	/* X-Request-Id from the proxy */
	char		 address[64];	/* client address */
};

#define API_MAX_HEADERS	8

struct api_resp {
	int		 status;
	const char	*content_type;			/* static */
	struct qj_buf	 body;
	int		 nheaders;
	char		*hname[API_MAX_HEADERS];	/* owned */
	char		*hvalue[API_MAX_HEADERS];	/* owned */
	char		 request_id[40];
};

/* Process-wide configuration, read from the environment at start-up. */
struct api_config {
	int		 secure_cookies;	/* QUJAT_PUBLIC_URL is https */
	int		 test_clock;		/* QUJAT_TEST_CLOCK=1 */
	int64_t		 session_idle;		/* seconds */
	int64_t		 session_absolute;	/* seconds */
	int		 throttle_account;	/* failures per window */
	int		 throttle_address;
	int64_t		 throttle_window;	/* seconds */
	size_t		 attachment_max;	/* bytes */
	const char	*home;			/* data files: workflows/, forms/ */
	const char	*var;			/* storage root */
};

/*
 * Reads the configuration and prepares the API (called once in Kore's
 * parent, before workers fork).  Returns 0 on success; on failure prints
 * the reason and returns -1.
 */
int		 api_init(void);
const struct api_config *api_config(void);

/*
 * Records the loaded workflow definitions in the database (a changed file
 * without a new version is refused).  0 on success.
 */
struct qj_db;
struct qj_diag;
int		 api_register_definitions(struct qj_db *, struct qj_diag *);

/*
 * Fires up to `limit` due deadlines (the server's timer).  Returns how many
 * fired, or -1 on a database error.  Runs on a task thread.
 */
int		 api_tick(int limit);

/* The request-independent part: true for routes served without a task. */
int		 api_is_inline(const struct api_req *);

void		 api_handle(struct api_req *, struct api_resp *);

void		 api_req_free(struct api_req *);
void		 api_resp_init(struct api_resp *);
void		 api_resp_free(struct api_resp *);
void		 api_resp_header(struct api_resp *, const char *, const char *);

#endif
