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
 * Several transitions may handle one event in one state: each but the last
 * carries a `when` condition (XPath 1.0 over the case, its documents and
 * the event's data) and the first whose condition holds is taken, so an
 * event can branch on a document's content or on a vote's outcome.
 *
 * Failures: QJ_ENOTFOUND "no-such-event" (not possible in this state),
 * QJ_EDENIED "wrong-actor" / "segregation-of-duties" / "not-your-step",
 * QJ_EUNPROC "guard-failed" (field = guard id, detail = message and
 * citation), "no-branch" (no `when` holds), "bad-input" (event data that
 * the transition does not declare).  Loading: QJ_EINVAL "bad-definition"
 * naming file and line.
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
	char		*document;	/* role of the document the test reads,
					 * or NULL: an empty context (the test
					 * reads only qj: functions) */
	char		*test;		/* XPath 1.0, must be true */
	char		*cite;
	struct wf_text	 message;
	int		 line;
};

/*
 * A value reference (set-var from, set-deadline from/at, cancel-deadline
 * occurrence): "event:NAME" (the event's data), "var:NAME" (a case
 * variable) or "doc:ROLE:XPATH" (the string value of XPath 1.0 over the
 * case's current document of ROLE, with the qj: functions).
 */
struct wf_set_deadline {
	char		 id[WF_ID_MAX];
	char		*rule;		/* "10 working-days", or NULL */
	char		*at;		/* a value reference (a date), or NULL */
	char		*from;		/* rule counted from this reference (a
					 * date or date-time), NULL: from now */
	int		 repeat;	/* occurrences, >= 1; names id-1..id-N
					 * when > 1 */
	char		*every;		/* rule between occurrences, or NULL
					 * (then `rule`) */
	char		 on_expiry[WF_ID_MAX];
	char		*cite;
	struct wf_text	 title;
};

struct wf_set_var {
	char	 name[WF_ID_MAX];
	char	*from;			/* a value reference */
};

/* A deadline cancelled: id, or occurrence id-<value> of a repeated one. */
struct wf_cancel {
	char	 id[WF_ID_MAX];
	char	*occurrence;		/* a value reference, or NULL */
};

/* Data an actor supplies with an event (POST .../transitions "data"). */
enum wf_input_type {
	WF_IN_STRING,		/* 1..200 characters */
	WF_IN_DATE,		/* YYYY-MM-DD */
	WF_IN_DATETIME,		/* RFC 3339 with an offset */
	WF_IN_INTEGER,
	WF_IN_BOOLEAN,
};

struct wf_input {
	char			name[WF_ID_MAX];
	enum wf_input_type	type;
	int			required;
	struct wf_text		title;
};

struct wf_transition {
	char			 event[WF_ID_MAX];
	char			 (*from)[WF_ID_MAX];
	int			 nfrom;
	char			 to[WF_ID_MAX];	/* "" when `stay` */
	int			 stay;		/* the case keeps its state */
	char			*when;		/* branch condition, or NULL */
	struct wf_text		 title;
	struct wf_input		*inputs;
	int			 ninputs;
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
	struct wf_cancel	*cancels;
	int			 ncancels;
	char			*open_workflow;	/* sub-case, or NULL */
	char			*open_ground;
	char			*open_cite;
	int			 notify_listed;
	char			*register_cite;	/* registration number, or NULL */
	int			 line;
};

struct wf_step {
	char		 id[WF_ID_MAX];
	struct wf_text	 title;
	struct wf_actor	 actor;
	struct wf_guard	*guards;	/* checked when the step is taken */
	int		 nguards;
};

/* Where the steps of a parallel set come from. */
enum wf_steps_from {
	WF_STEPS_FIXED,		/* the <step> elements */
	WF_STEPS_LISTED,	/* one per applicant an order lists */
	WF_STEPS_PARTICIPANTS,	/* one per person assigned in `capacities` */
};

struct wf_parallel {
	char			 id[WF_ID_MAX];
	int			 sequential;
	char			 event[WF_ID_MAX];
	char			*document;
	enum wf_commitment	 commitment;
	enum wf_steps_from	 steps_from;
	char			 (*capacities)[WF_ID_MAX];	/* PARTICIPANTS */
	int			 ncapacities;
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

/*
 * One element of an order item: read from a document of the case (an
 * XPath), from a case variable, or a constant.  Variables and constants
 * are text; integer makes the element a JSON integer (a year of study
 * kept in a variable).
 */
struct wf_order_field {
	char	 name[WF_ID_MAX];	/* element of the order's item */
	char	*document;		/* role, "parent:role", "var"; NULL: value */
	char	*select;		/* XPath, or the variable name */
	char	*value;			/* the constant, when document is NULL */
	int	 integer;		/* type="integer" */
	int	 line;
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

/*
 * A capacity in which people are assigned to a case (commission member,
 * examiner, the Customer's representative), who may assign them and how
 * many may hold it.  A definition that declares capacities accepts no
 * other.
 */
struct wf_capacity {
	char		 id[WF_ID_MAX];
	struct wf_text	 title;
	struct wf_actor	*assigners;
	int		 nassigners;
	int		 max;		/* people holding it; 0: unlimited */
	char		*cite;
};

/* Nobody holds two of these capacities on one case. */
struct wf_exclusive {
	char	 (*capacities)[WF_ID_MAX];
	int	 ncapacities;
	char	*cite;
	int	 line;
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
	struct wf_capacity	*capacities;	/* none declared: any */
	int			 ncapacities;
	struct wf_exclusive	*exclusives;
	int			 nexclusives;
	/* 1 when anything reads the case's people (participants, their
	 * capacities, the applicant's IIN): the runtime loads them only
	 * then. */
	int			 uses_people;
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
/*
 * The first transition for `event` from `state`, or NULL.  Later branches
 * of the same event follow it in definition order (wf_find_next).
 */
const struct wf_transition *wf_find(const struct wf_def *, const char *state,
		    const char *event);
const struct wf_transition *wf_find_next(const struct wf_def *,
		    const struct wf_transition *, const char *state);
const struct wf_capacity *wf_capacity(const struct wf_def *, const char *id);
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
	const char		*bin;		/* organisation, or NULL */
	const struct wf_grant	*grants;
	int			 ngrants;
	const char *const	*capacities;	/* this person on this case */
	int			 ncapacities;
};

/* A person assigned to the case in a capacity (one row per capacity). */
struct wf_participant {
	int64_t		 person_id;
	const char	*capacity;
	const char	*iin;
};

struct wf_case_view {
	const char	*state;
	int64_t		 applicant_id;	/* 0: none */
	const char	*applicant_iin;	/* or NULL */
	const char	*unit_path;
	const char	*vars_json;	/* the case's variables, a JSON object */
	const char	*event_json;	/* the event's data (object), or NULL */
	const struct wf_participant *parts;
	int		 nparts;
	/* Returns the case's current document of `role` ("parent:role" for the
	 * parent case's), owned by the view, or NULL. */
	xmlDocPtr	(*doc)(void *arg, const char *role);
	void		*doc_arg;
	/* Parallel progress in the current state: steps done, and by whom. */
	const char *const *steps_done;
	const int64_t	*steps_done_by;
	int		 nsteps_done;
	/* For per-person steps (listed applicants, participants): the
	 * people who take one, each once. */
	const int64_t	*listed;
	int		 nlisted;
};

/* A period of the academic calendar (data: migrations 0006). */
struct wf_period {
	char		 kind[WF_ID_MAX];	/* "summer-vacation" */
	const char	*unit_path;		/* "" or NULL: every unit */
	qj_day		 from, to;		/* inclusive local days */
};

struct wf_guard_env {
	const struct qj_calendar *cal;
	qj_day			 today;		/* local date of "now" */
	const char		*lang;		/* for messages */
	qj_time			 now;		/* the injected clock; 0: unknown */
	const struct wf_period	*periods;
	int			 nperiods;
};

/* 1 when the actor is one of `actors` for this case (no segregation check). */
int		wf_actor_matches(const struct wf_actor *, int nactors,
		    const struct wf_case_view *, const struct wf_actor_view *);

/*
 * Decides whether `actor` may fire `event` on the case now: the branch
 * whose `when` holds, the actor, segregation of duties, a person's event
 * data against the declared inputs (cv->event_json), then the guards.  On
 * QJ_OK *tr is the transition (NULL for a parallel step or a vote: check
 * those with wf_step_for and wf_vote_outcome).
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
 * The value of a reference ("event:NAME", "var:NAME", "doc:ROLE:XPATH")
 * as a string into out; QJ_ENOTFOUND "no-value" when it has none (an
 * absent key, no such document, an empty result).
 */
enum qj_err	wf_ref_value(const struct wf_def *, const char *ref,
		    const struct wf_case_view *, const struct wf_actor_view *,
		    const struct wf_guard_env *, char *out, size_t outlen,
		    struct qj_diag *);
/* 1 when `ref` is a well-formed value reference (XPath compiled). */
int		wf_ref_valid(const char *ref);

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
/* The guards of step `step_id` of the state's parallel set; QJ_OK when all
 * hold (per-person steps have none). */
enum qj_err	wf_step_guards(const struct wf_def *, const struct wf_state *,
		    const char *step_id, const struct wf_case_view *,
		    const struct wf_actor_view *, const struct wf_guard_env *,
		    struct qj_diag *);
/* The people who take a per-person step set: the distinct persons of
 * cv->parts holding one of the set's capacities, into out (at most max);
 * returns how many. */
int		wf_parallel_people(const struct wf_parallel *,
		    const struct wf_case_view *, int64_t *out, int max);

/*
 * Checks event data an actor supplies against the transition's inputs:
 * every key is a declared input of the right type, every required input
 * is there.  `data_json` may be NULL (no data).  QJ_EUNPROC "bad-input"
 * (field = the input) otherwise.
 */
enum qj_err	wf_inputs_check(const struct wf_transition *,
		    const char *data_json, struct qj_diag *);

/*
 * May `assigner` assign `person` to the case in `capacity`?  Refused:
 * the applicant (QJ_EDENIED "segregation-of-duties", SPEC 1); a capacity
 * the definition does not declare (QJ_EUNPROC "unknown-capacity"); an
 * assigner the capacity does not name (QJ_EDENIED "wrong-actor"); a full
 * capacity (QJ_ECONFLICT "capacity-full"); a person who already holds it
 * (QJ_ECONFLICT "already-assigned"); a person holding another capacity of
 * an exclusive set with this one (QJ_EDENIED "segregation-of-duties",
 * citing the rule).  cv->parts are the current assignments.
 */
enum qj_err	wf_assign_check(const struct wf_def *,
		    const struct wf_case_view *, const struct wf_actor_view *,
		    int64_t person, const char *capacity, struct qj_diag *);

/*
 * The outcome of a vote.  An option that has the votes of a majority of
 * ALL members wins at once, whoever has not voted yet (their votes could
 * not change it).  Otherwise the decision waits for every member
 * (QJ_EUNPROC "vote-incomplete"); when all have voted and the leading
 * options tie, the chair's vote decides; without a majority and without a
 * tie the decision fails with QJ_EUNPROC "no-majority".  `members` lists
 * every member once (the chair included); `chair` is the chair's index in
 * it; `choice[i]` is member i's option or NULL if they have not voted.
 */
enum qj_err	wf_vote_outcome(const struct wf_vote *, int nmembers,
		    const char *const *choice, int chair,
		    char out[WF_ID_MAX], struct qj_diag *);

#endif
