/*
 * flow.h: the case runtime — opening cases, firing transitions, orders,
 * deadlines — on top of the engine core (core/wf.h) and the store.
 *
 * No HTTP and no Kore: the API handlers, the deadline timer and the tests
 * call these functions with an open database connection.  Every function
 * that changes a case expects the caller's transaction to be open and
 * leaves committing or rolling back to the caller, so a transition, its
 * signature, its audit event, the cases an order moves and the sub-cases
 * it opens are one atomic unit.  On failure nothing must be committed.
 */
#ifndef QJ_FLOW_H
#define QJ_FLOW_H

#include <stdint.h>

#include <jansson.h>

#include "core/calendar.h"
#include "core/clock.h"
#include "core/forms.h"
#include "core/qj.h"
#include "core/trust.h"
#include "core/wf.h"
#include "store/cases.h"
#include "store/db.h"

struct flow_env {
	struct qj_db		*db;
	const struct wf_set	*wfs;		/* current definitions */
	const char		*wf_xsd;	/* for stored older versions */
	const struct qj_forms	*forms;
	struct qj_trust		*trust;
	const struct qj_calendar *cal;		/* loaded by flow_calendar() */
	qj_time			 now;
	const char		*lang;		/* "kk", "ru", "en" */
	const char		*request_id;	/* for audit; may be NULL */
	const char		*address;	/* for audit; may be NULL */
	/* Cases whose attachments a document stored now may also name (an
	 * order names its items' individual study plans); NULL: none. */
	const int64_t		*attach_cases;
	int			 nattach_cases;
};

struct flow_actor {
	int64_t			 person_id;	/* 0 for the system */
	int			 system;
	const char		*login;
	const char		*iin;
	const char		*bin;		/* organisation, or NULL */
	const struct wf_grant	*grants;
	int			 ngrants;
};

/* The system actor: timers and cases moved by other cases. */
extern const struct flow_actor flow_system;

struct flow_input {
	const char	*event;
	int		 expect_version;	/* 0: no check (system) */
	const char	*reason;		/* or NULL */
	/* A document supplied with the transition: canonical bytes. */
	const char	*doc;
	size_t		 doc_len;
	/* A signature over the transition's document (complete XML). */
	const char	*sig;
	size_t		 sig_len;
	int		 sig_enveloped;		/* NCALayer format */
	const char	*option;		/* a vote */
	/* Event data: from the system (an order's item, a vote's outcome),
	 * or from a person, then only the transition's declared inputs. */
	const json_t	*data;
};

struct flow_result {
	char	state_before[WF_ID_MAX];
	char	state_after[WF_ID_MAX];
	int	version;
	int64_t	opened_case;			/* a sub-case, or 0 */
	char	step[WF_ID_MAX];		/* a parallel step taken, or "" */
};

/* The definition a case runs on (current, or an older stored version). */
enum qj_err	flow_def(struct flow_env *, const char *id, int version,
		    const struct wf_def **, struct qj_diag *);

/* Loads the calendar into env->cal (cached per process, reloaded on change). */
enum qj_err	flow_calendar(struct flow_env *, struct qj_diag *);

/*
 * Opens a case of `workflow` at unit `unit_id`.  For workflows opened by
 * the applicant, `doc`/`doc_len` is the application (canonical bytes of
 * the definition's form) and the actor becomes the applicant.  Refused
 * (QJ_EDENIED "wrong-actor") when the actor is not an opener.
 */
enum qj_err	flow_open(struct flow_env *, const struct flow_actor *,
		    const char *workflow, int64_t unit_id, int64_t applicant,
		    const char *doc, size_t doc_len, int64_t parent,
		    const char *vars_json, int64_t *case_id, struct qj_diag *);

/* Fires `in->event` on the case (see the file comment on transactions). */
enum qj_err	flow_fire(struct flow_env *, const struct flow_actor *,
		    int64_t case_id, const struct flow_input *,
		    struct flow_result *, struct qj_diag *);

/*
 * What a transition needs before it can be fired with a signature: the
 * document and the commitment.  Runs the same checks as flow_fire (state,
 * actor, guards) without changing anything.  A transition that brings the
 * document it signs passes it as `doc` (canonical bytes): guards read it
 * and it is what gets signed.  need->needed is 0 when the event needs no
 * signature.
 */
struct flow_sign_need {
	int			needed;
	int64_t			cd_id;		/* case_document id; 0: new */
	char			sha256[65];
	char			*doc;		/* owned: the document bytes */
	size_t			doc_len;
	enum wf_commitment	commitment;
	int			case_version;
	char			role[WF_ID_MAX];	/* the signer's capacity */
};
enum qj_err	flow_sign_need(struct flow_env *, const struct flow_actor *,
		    int64_t case_id, const char *event, const char *doc,
		    size_t doc_len, struct flow_sign_need *, struct qj_diag *);
/* The same, judging the event's data (inputs) as flow_fire will. */
enum qj_err	flow_sign_need_data(struct flow_env *, const struct flow_actor *,
		    int64_t case_id, const char *event, const json_t *data,
		    const char *doc, size_t doc_len, struct flow_sign_need *,
		    struct qj_diag *);
void		flow_sign_need_free(struct flow_sign_need *);

/* The URI by which a signature references a document: documents/<sha>.xml */
void		flow_doc_uri(const char *sha256, char out[80]);

/*
 * The case as JSON for GET /api/cases/{id}: state, documents, signatures,
 * deadlines with citations, participants, links, history is the audit
 * endpoint's; "actions" lists what `actor` may do now.  QJ_EDENIED when
 * the actor may not see the case.
 */
enum qj_err	flow_case_json(struct flow_env *, const struct flow_actor *,
		    int64_t case_id, json_t **, struct qj_diag *);
/* 1 when the actor may read the case (applicant, role over its unit,
 * participant, auditor). */
int		flow_may_read(struct flow_env *, const struct flow_actor *,
		    const struct case_row *);

/*
 * Drafts an order (a case of workflow "order") listing `cases`, each in a
 * state with an order-item of `series`; `head` holds the registrar's parts
 * of the order form (title, preamble, signatory, language, place, corrects).
 */
enum qj_err	flow_order_draft(struct flow_env *, const struct flow_actor *,
		    const char *series, const json_t *head,
		    const int64_t *cases, int ncases, int64_t *order_case,
		    struct qj_diag *);

/*
 * Fires due deadlines: claims up to `limit` with FOR UPDATE SKIP LOCKED,
 * each fired in its own transaction exactly once.  *fired receives how
 * many fired.  Safe to run from many threads, processes and hosts.
 */
enum qj_err	flow_tick(struct flow_env *, int limit, int *fired,
		    struct qj_diag *);

/* Assigns a person to a case in a capacity (commission member...). */
enum qj_err	flow_assign(struct flow_env *, const struct flow_actor *,
		    int64_t case_id, int64_t person, const char *capacity,
		    struct qj_diag *);

#endif
