/*
 * wf.h: the workflow engine's core — definitions and decisions.
 *
 * A definition (an XML file in workflows/, language workflow.xsd) is loaded
 * once into an immutable struct wf_def shared by every thread.  Deciding
 * what may happen to a case is a pure function of the definition, a view of
 * the case and a view of the actor: wf_decide() finds the transition for an
 * event, checks the actor (role scoped to the case's unit, assigned
 * participant, applicant or the system, and segregation of duties) and
 * evaluates its guards (XPath 1.0 over the case's form documents, with the
 * qj: functions of wf_guard.c).  Applying the transition — storing the new
 * state, documents, signatures, deadlines, sub-cases, audit events — is the
 * store layer's job, driven by the transition's fields.
 *
 * Failures: QJ_ENOTFOUND "no-such-event" (not possible in this state),
 * QJ_EDENIED "wrong-actor" / "segregation-of-duties" / "not-your-step",
 * QJ_EUNPROC "guard-failed" (field = guard id, detail = message and
 * citation).  Loading: QJ_EINVAL "bad-definition" naming file and line.
 */
#ifndef QJ_WF_H
#define QJ_WF_H

#include <stdint.h>

#include <libxml/tree.h>

#include "core/calendar.h"
#include "core/qj.h"

#define WF_ID_MAX	48

enum wf_actor_kind {
	WF_ACTOR_ROLE,		/* a role whose grant covers the case's unit */
	WF_ACTOR_PARTICIPANT,	/* a person assigned to the case */
	WF_ACTOR_APPLICANT,	/* the case's applicant */
	WF_ACTOR_SYSTEM,	/* the server: timers, linked cases */
};

struct wf_actor {
	enum wf_actor_kind	kind;
	char			name[WF_ID_MAX];	/* role or capacity */
};

enum wf_commitment {
	WF_COMMIT_NONE = 0,
	WF_COMMIT_APPROVAL,	/* a visa, endorsement */
	WF_COMMIT_ORIGIN,	/* the author's or signatory's signature */
	WF_COMMIT_RECEIPT,	/* acknowledgment of an order */
};

struct wf_text {
	char	*kk, *ru, *en;
};

struct wf_guard {
	char		 id[WF_ID_MAX];
	char		*document;	/* role of the document the test reads */
	char		*test;		/* XPath 1.0, must be true */
	char		*cite;
	struct wf_text	 message;
	int		 line;
};

struct wf_set_deadline {
	char		 id[WF_ID_MAX];
	char		*rule;		/* "10 working-days", or NULL */
	char		*at;		/* "event:NAME" / "var:NAME", or NULL */
	char		 on_expiry[WF_ID_MAX];
	char		*cite;
	struct wf_text	 title;
};

struct wf_set_var {
	char	 name[WF_ID_MAX];
	char	*from;			/* "event:NAME" or "var:NAME" */
};

struct wf_transition {
	char			 event[WF_ID_MAX];
	char			 (*from)[WF_ID_MAX];
	int			 nfrom;
	char			 to[WF_ID_MAX];
	struct wf_text		 title;
	struct wf_actor		*actors;
	int			 nactors;
	struct wf_guard		*guards;
	int			 nguards;
	char			*doc_role;	/* a document the actor supplies */
	char			*doc_form;
	char			*sign_doc;	/* the document signed, or NULL */
	enum wf_commitment	 sign_commitment;
	int			 reason;	/* 0 none, 1 optional, 2 required */
	struct wf_set_var	*vars;
	int			 nvars;
	struct wf_set_deadline	*deadlines;
	int			 ndeadlines;
	char			 (*cancels)[WF_ID_MAX];
	int			 ncancels;
	char			*open_workflow;	/* sub-case, or NULL */
	char			*open_ground;
	char			*open_cite;
	int			 notify_listed;
	char			*register_cite;	/* registration number, or NULL */
	int			 line;
};

struct wf_step {
	char		id[WF_ID_MAX];
	struct wf_text	title;
	struct wf_actor	actor;
};

struct wf_parallel {
	char			 id[WF_ID_MAX];
	int			 sequential;
	char			 event[WF_ID_MAX];
	char			*document;
	enum wf_commitment	 commitment;
	int			 from_listed;	/* one step per listed applicant */
	char			 on_complete[WF_ID_MAX];
	struct wf_step		*steps;
	int			 nsteps;
};

struct wf_vote {
	char		 id[WF_ID_MAX];
	char		 members[WF_ID_MAX];	/* participant capacity */
	char		 chair[WF_ID_MAX];	/* participant capacity */
	char		 event[WF_ID_MAX];
	char		 on_complete[WF_ID_MAX];
	char		*cite;
	char		 (*options)[WF_ID_MAX];
	int		 noptions;
};

struct wf_order_field {
	char	 name[WF_ID_MAX];	/* element of the order's item */
	char	*document;		/* role, "parent:role" or "var" */
	char	*select;		/* XPath, or the variable name */
};

struct wf_order_item {
	char			 series[WF_ID_MAX];
	char			 action[WF_ID_MAX];
	char			 event[WF_ID_MAX];
	char			*cite;
	struct wf_order_field	*fields;
	int			 nfields;
};

struct wf_state {
	char			 id[WF_ID_MAX];
	struct wf_text		 title;
	int			 initial;
	int			 terminal;
	struct wf_parallel	*parallel;
	struct wf_vote		*vote;
	struct wf_order_item	*order_item;
};

struct wf_ns {
	char	*prefix;
	char	*uri;
};

struct wf_def {
	char			 id[WF_ID_MAX];
	int			 version;
	char			 sha256[65];	/* of the file's bytes */
	char			*source;	/* the file's bytes */
	size_t			 source_len;
	char			*file;
	struct wf_text		 title;
	char			*open_doc;	/* document role, or NULL */
	char			*open_form;
	char			*open_cite;
	struct wf_actor		*openers;
	int			 nopeners;
	struct wf_state		*states;
	int			 nstates;
	struct wf_transition	*transitions;
	int			 ntransitions;
	struct wf_ns		*ns;		/* prefixes for guards */
	int			 nns;
};

/* A set of definitions, the newest version of each id first. */
struct wf_set {
	struct wf_def	**defs;
	int		  ndefs;
};

/*
 * Loads every *.xml in `dir`, validating each against dir/workflow.xsd and
 * then semantically.  On failure nothing is returned and the diagnostic
 * names the file, line and reason.
 */
enum qj_err	 wf_load_dir(const char *dir, struct wf_set **, struct qj_diag *);
/* Loads one definition from memory (also used for stored old versions). */
enum qj_err	 wf_load_mem(const char *name, const char *data, size_t len,
		    const char *xsd_path, struct wf_def **, struct qj_diag *);
void		 wf_def_free(struct wf_def *);
void		 wf_set_free(struct wf_set *);
/* The newest definition with this id, or NULL. */
const struct wf_def *wf_set_find(const struct wf_set *, const char *id);

const struct wf_state *wf_state(const struct wf_def *, const char *id);
const struct wf_state *wf_initial(const struct wf_def *);
/* The transition for `event` from `state`, or NULL. */
const struct wf_transition *wf_find(const struct wf_def *, const char *state,
		    const char *event);
const char	*wf_commitment_name(enum wf_commitment);
const char	*wf_text(const struct wf_text *, const char *lang);

/* ---- deciding ------------------------------------------------------------ */

struct wf_grant {
	const char	*role;
	const char	*unit_path;
};

struct wf_actor_view {
	int64_t			 person_id;	/* 0 for the system */
	int			 system;
	const char		*iin;
	const struct wf_grant	*grants;
	int			 ngrants;
	const char *const	*capacities;	/* this person on this case */
	int			 ncapacities;
};

struct wf_case_view {
	const char	*state;
	int64_t		 applicant_id;	/* 0: none */
	const char	*unit_path;
	const char	*vars_json;	/* the case's variables, a JSON object */
	/* Returns the case's current document of `role` ("parent:role" for the
	 * parent case's), owned by the view, or NULL. */
	xmlDocPtr	(*doc)(void *arg, const char *role);
	void		*doc_arg;
	/* Parallel progress in the current state: steps done, and by whom. */
	const char *const *steps_done;
	const int64_t	*steps_done_by;
	int		 nsteps_done;
	/* For steps-from="listed-applicants": person ids named. */
	const int64_t	*listed;
	int		 nlisted;
};

struct wf_guard_env {
	const struct qj_calendar *cal;
	qj_day			 today;		/* local date of "now" */
	const char		*lang;		/* for messages */
};

/* 1 when the actor is one of `actors` for this case (no segregation check). */
int		wf_actor_matches(const struct wf_actor *, int nactors,
		    const struct wf_case_view *, const struct wf_actor_view *);

/*
 * Decides whether `actor` may fire `event` on the case now.  On QJ_OK *tr
 * is the transition (for a parallel step event, the pseudo-transition is
 * NULL and *step receives the step; check with wf_step_for).
 */
enum qj_err	wf_decide(const struct wf_def *, const struct wf_case_view *,
		    const struct wf_actor_view *, const char *event,
		    const struct wf_guard_env *, const struct wf_transition **tr,
		    struct qj_diag *);

/*
 * Evaluates every guard of the definition once against an empty document,
 * so an unknown prefix or function stops the load instead of a request.
 */
int		wf_guard_selftest(const struct wf_def *, enum qj_err *,
		    struct qj_diag *);

/* Evaluates one guard; QJ_OK when true. */
enum qj_err	wf_guard_eval(const struct wf_def *, const struct wf_guard *,
		    const struct wf_case_view *, const struct wf_actor_view *,
		    const struct wf_guard_env *, struct qj_diag *);

/*
 * Evaluates an XPath expression over a document of the case with the
 * definition's prefixes and the qj: functions; the string value goes to
 * out (truncated to outlen), "" for an empty result.  For order items.
 */
enum qj_err	wf_select_string(const struct wf_def *, xmlDocPtr,
		    const char *xpath, const struct wf_guard_env *,
		    char *out, size_t outlen, struct qj_diag *);
/* The first element the XPath selects, or NULL (for copying subtrees). */
xmlNodePtr	wf_select_node(const struct wf_def *, xmlDocPtr,
		    const char *xpath);

/*
 * The step of the state's parallel set that `actor` may complete now:
 * steps done are skipped; in sequence mode only the first open step is
 * eligible.  For steps-from="listed-applicants" the step id is
 * "person-<id>".  QJ_EDENIED "not-your-step" otherwise.
 */
enum qj_err	wf_step_for(const struct wf_def *, const struct wf_state *,
		    const struct wf_case_view *, const struct wf_actor_view *,
		    char step_id[WF_ID_MAX], struct qj_diag *);
/* 1 when, with `done` steps done, every step of the set is done. */
int		wf_parallel_complete(const struct wf_parallel *,
		    const struct wf_case_view *, int ndone);

/*
 * The outcome of a vote: every member must have voted (QJ_EUNPROC
 * "vote-incomplete" otherwise); the option with a majority of ALL members
 * wins; on a tie between the leading options the chair's vote decides;
 * without a majority and without a tie the decision fails with QJ_EUNPROC
 * "no-majority".  `members` lists every member (the chair included);
 * `chair` is the chair's index in it; `choice[i]` is member i's option or
 * NULL if they have not voted.
 */
enum qj_err	wf_vote_outcome(const struct wf_vote *, int nmembers,
		    const char *const *choice, int chair,
		    char out[WF_ID_MAX], struct qj_diag *);

#endif
