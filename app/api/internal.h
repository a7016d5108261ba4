/*
 * internal.h: what API handlers share — the request context, the acting
 * person, route flags, and the reply helpers.  Handlers are short: check
 * input, authorise, call store/ and core/, reply.
 */
#ifndef QJ_API_INTERNAL_H
#define QJ_API_INTERNAL_H

#include <jansson.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/forms.h"
#include "core/qj.h"
#include "core/trust.h"
#include "core/wf.h"
#include "flow/flow.h"
#include "store/db.h"

#define ACTOR_MAX_GRANTS	32

struct actor_grant {
	int64_t		id;
	char		role[32];
	int64_t		unit_id;
	char		unit_code[48];
	char		unit_path[192];		/* "/1/4/" */
};

struct actor {
	int64_t			person_id;
	char			login[72];
	char			iin[13];
	int64_t			org_id;			/* 0 if none */
	char			bin[13];		/* "" if none */
	int			via_session;		/* cookie, not bearer */
	char			session_hash[65];	/* when via_session */
	char			csrf[44];		/* when via_session */
	int			ngrants;
	struct actor_grant	grants[ACTOR_MAX_GRANTS];
};

struct api_ctx {
	struct api_req	*req;
	struct api_resp	*resp;
	struct qj_db	*db;		/* this thread's connection */
	struct actor	*actor;		/* NULL when anonymous */
	int64_t		 id[4];		/* numeric path parameters, in order */
	int		 nid;
	char		 sha[65];	/* a {sha} path parameter */
	char		 name[49];	/* a {name} path parameter */
	json_t		*json;		/* parsed body for R_JSON routes */
	struct qj_diag	 diag;
	qj_time		 now;
	const char	*lang;		/* "kk", "ru" or "en" */
};

typedef void	(*api_handler)(struct api_ctx *);

/* Route flags. */
#define R_PUBLIC	0x01	/* no authentication */
#define R_JSON		0x02	/* body must be a JSON object */
#define R_NODB		0x04	/* needs no database connection */
#define R_TEST		0x08	/* exists only when QUJAT_TEST_CLOCK=1 */
#define R_RAW		0x10	/* the body is a file, not JSON */

struct api_route {
	enum api_method	 method;
	const char	*pattern;	/* "/api/admin/people/{id}" */
	api_handler	 handler;
	unsigned	 flags;
};

/* What every request shares, loaded once in Kore's parent (api.c). */
struct api_rt {
	struct wf_set	*wfs;		/* workflows/ */
	struct qj_forms	*forms;		/* forms/ */
	struct qj_trust	*trust;		/* anchors, intermediates, CRLs */
	char		 wf_xsd[600];	/* workflows/workflow.xsd */
	char		 store[600];	/* attachment blobs */
	char		*openapi;	/* docs/openapi.json, served as is */
	size_t		 openapi_len;
};
const struct api_rt *api_rt(void);
/* A flow environment for this request (time, language, request id). */
void	api_flow_env(struct api_ctx *, struct flow_env *);
/* The request's actor as the flow sees it; grants[ACTOR_MAX_GRANTS]. */
void	api_flow_actor(const struct actor *, struct flow_actor *,
	    struct wf_grant *grants);

/* reply.c */
void	reply_json(struct api_ctx *, int status, json_t *);	/* steals */
void	reply_empty(struct api_ctx *, int status);
void	reply_error(struct api_ctx *, enum qj_err, const struct qj_diag *);
void	reply_problem(struct api_ctx *, int status, const char *type,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
int	status_of(enum qj_err);

/* query.c: strict query strings.  Unknown parameters are a 400. */
struct query_param {
	const char	*name;
	char		*value;		/* owned; NULL when absent */
};
int	query_parse(struct api_ctx *, struct query_param *, size_t n);
void	query_free(struct query_param *, size_t n);
int	query_int(struct api_ctx *, const struct query_param *, int64_t def,
	    int64_t min, int64_t max, int64_t *out);

/* auth.c */
int	auth_resolve(struct api_ctx *);		/* 0 ok, -1 replied */
int	auth_check_csrf(struct api_ctx *);	/* 0 ok, -1 replied */
int	actor_has_role(const struct actor *, const char *role);
/* True when a grant of `role` covers the unit whose path is given. */
int	actor_covers(const struct actor *, const char *role,
	    const char *unit_path);
/* Replies 403 unless the actor holds `role` somewhere (0 ok, -1 replied). */
int	require_role(struct api_ctx *, const char *role);
json_t	*actor_json(const struct actor *);

/* h_audit.c: records an event in the caller's transaction; steals detail. */
/*
 * Idempotency-Key (idem.c).  api_idem_replay() answers a retry (or a bad
 * key) and returns 1, or returns 0 and fills `hash` for the handler to
 * pass to api_idem_store() (inside its transaction, after the reply is
 * set, before COMMIT) or api_commit_reply() (reply, store, commit).
 */
int	api_idem_replay(struct api_ctx *, char hash[65]);
enum qj_err api_idem_store(struct api_ctx *, const char hash[65]);
void	api_commit_reply(struct api_ctx *, const char hash[65], int status,
	    json_t *);

enum qj_err api_audit(struct api_ctx *, const char *stream, const char *action,
	    const char *state_before, const char *state_after, json_t *detail);
/* {"person_id", "fields": sorted names of the body's members, "disabled"?} */
json_t	*audit_body_fields(const json_t *body, int64_t person_id);

/* handlers, one file per resource */
void	h_healthz(struct api_ctx *);
void	h_metrics(struct api_ctx *);
enum qj_err api_metrics_render(struct qj_buf *);
void	h_openapi(struct api_ctx *);
void	h_calendar_get(struct api_ctx *);
void	h_calendar_put(struct api_ctx *);
void	h_calendar_delete(struct api_ctx *);
void	h_calendar_periods_get(struct api_ctx *);
void	h_calendar_periods_create(struct api_ctx *);
void	h_calendar_periods_delete(struct api_ctx *);
void	h_readyz(struct api_ctx *);
void	h_session_create(struct api_ctx *);
void	h_session_delete(struct api_ctx *);
void	h_me(struct api_ctx *);
void	h_units_list(struct api_ctx *);
void	h_units_create(struct api_ctx *);
void	h_people_list(struct api_ctx *);
void	h_people_create(struct api_ctx *);
void	h_people_get(struct api_ctx *);
void	h_people_update(struct api_ctx *);
void	h_roles_grant(struct api_ctx *);
void	h_roles_revoke(struct api_ctx *);
void	h_tokens_list(struct api_ctx *);
void	h_tokens_create(struct api_ctx *);
void	h_tokens_revoke(struct api_ctx *);
void	h_test_clock(struct api_ctx *);
void	h_workflows(struct api_ctx *);
void	h_forms_describe(struct api_ctx *);
void	h_cases_create(struct api_ctx *);
void	h_cases_list(struct api_ctx *);
void	h_case_get(struct api_ctx *);
void	h_case_signing(struct api_ctx *);
void	h_case_transition(struct api_ctx *);
void	h_case_participants(struct api_ctx *);
void	h_inbox(struct api_ctx *);
void	h_orders_create(struct api_ctx *);
void	h_document_get(struct api_ctx *);
void	h_attachments_upload(struct api_ctx *);
void	h_attachment_get(struct api_ctx *);
void	h_case_audit(struct api_ctx *);
void	h_audit_verify(struct api_ctx *);

/* h_archive.c: the archive (auditors) and the sealing timer. */
int	api_archive_init(void);		/* in Kore's parent; 0 or -1 */
int	api_archive_tick(struct qj_db *);	/* packages sealed, or -1 */
void	h_archive_search(struct api_ctx *);
void	h_archive_get(struct api_ctx *);
void	h_archive_package(struct api_ctx *);
void	h_archive_verify_stored(struct api_ctx *);
void	h_archive_verify_upload(struct api_ctx *);
void	h_archive_hold_set(struct api_ctx *);
void	h_archive_hold_lift(struct api_ctx *);
void	h_archive_dispose_signing(struct api_ctx *);
void	h_archive_dispose(struct api_ctx *);

#endif
