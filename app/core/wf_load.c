/*
 * wf_load.c: reads workflow definitions into struct wf_def (see wf.h).
 *
 * Each file is parsed with the hardened parser (xmlsafe), validated against
 * workflows/workflow.xsd (parsed from memory, so no entity loader is ever
 * consulted), and then checked for what a schema cannot say: one initial
 * state; every state, event and deadline referenced exists; no two
 * transitions from one state share an event unless the earlier ones carry a
 * `when` (branches), and branches bring the same document; terminal states
 * are left by nothing; guards and conditions compile as XPath 1.0 and
 * evaluate; deadline rules and value references parse; participant
 * capacities are declared where a definition declares any; sub-cases name
 * loaded workflows.  The first problem stops the load with file, line
 * and reason, and the server does not start.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "core/codec.h"
#include "core/wf.h"
#include "core/xmlsafe.h"

#define WF_NS		"urn:qujat:workflow:1"
#define WF_MAX_FILE	(1024 * 1024)

struct load {
	const char	*file;
	struct qj_diag	*diag;
	enum qj_err	 err;
};

static enum qj_err
bad(struct load *ld, int line, const char *fmt, const char *a, const char *b)
{
	char	msg[384];

	snprintf(msg, sizeof(msg), fmt, a, b);
	ld->err = qj_fail(ld->diag, QJ_EINVAL, "bad-definition", ld->file,
	    "%s:%d: %s", ld->file, line, msg);
	return (ld->err);
}

static int
is(xmlNodePtr n, const char *name)
{
	return (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, WF_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0);
}

/* An attribute as a fresh string (NULL when absent). */
static char *
attr(xmlNodePtr n, const char *name)
{
	xmlChar	*v = xmlGetProp(n, (const xmlChar *)name);
	char	*s;

	if (v == NULL)
		return (NULL);
	s = strdup((const char *)v);
	xmlFree(v);
	return (s);
}

static void
attr_id(xmlNodePtr n, const char *name, char out[WF_ID_MAX])
{
	char	*v = attr(n, name);

	snprintf(out, WF_ID_MAX, "%s", v != NULL ? v : "");
	free(v);
}

static int
attr_bool(xmlNodePtr n, const char *name)
{
	char	*v = attr(n, name);
	int	 b = v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);

	free(v);
	return (b);
}

/* Whether an attribute is there and equals value. */
static int
attr_is(xmlNodePtr n, const char *name, const char *value)
{
	char	*v = attr(n, name);
	int	 b = v != NULL && strcmp(v, value) == 0;

	free(v);
	return (b);
}

static void
text_of(xmlNodePtr n, struct wf_text *t)
{
	t->kk = attr(n, "kk");
	t->ru = attr(n, "ru");
	t->en = attr(n, "en");
}

static void
text_free(struct wf_text *t)
{
	free(t->kk);
	free(t->ru);
	free(t->en);
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n->children; n != NULL; n = n->next)
		if (is(n, name))
			return (n);
	return (NULL);
}

static enum wf_commitment
commitment_of(const char *s)
{
	if (s == NULL)
		return (WF_COMMIT_NONE);
	if (strcmp(s, "approval") == 0)
		return (WF_COMMIT_APPROVAL);
	if (strcmp(s, "origin") == 0)
		return (WF_COMMIT_ORIGIN);
	if (strcmp(s, "receipt") == 0)
		return (WF_COMMIT_RECEIPT);
	return (WF_COMMIT_NONE);
}

static int
actor_of(struct load *ld, xmlNodePtr n, struct wf_actor *a)
{
	char	*role = attr(n, "role"), *part = attr(n, "participant");
	int	 app = attr_bool(n, "applicant"), sys = attr_bool(n, "system");
	int	 kinds = (role != NULL) + (part != NULL) + app + sys;

	memset(a, 0, sizeof(*a));
	if (kinds != 1) {
		free(role);
		free(part);
		return (bad(ld, n->line, "an actor needs exactly one of role, "
		    "participant, applicant, system%s%s", "", ""));
	}
	if (role != NULL) {
		a->kind = WF_ACTOR_ROLE;
		snprintf(a->name, sizeof(a->name), "%s", role);
	} else if (part != NULL) {
		a->kind = WF_ACTOR_PARTICIPANT;
		snprintf(a->name, sizeof(a->name), "%s", part);
	} else
		a->kind = app ? WF_ACTOR_APPLICANT : WF_ACTOR_SYSTEM;
	free(role);
	free(part);
	return (0);
}

static void
quiet(void *arg, xmlErrorPtr e)
{
	(void)arg;
	(void)e;
}

static int
xpath_compiles(const char *expr)
{
	xmlXPathCompExprPtr	comp;

	xmlSetStructuredErrorFunc(NULL, quiet);
	comp = xmlXPathCompile((const xmlChar *)expr);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (comp == NULL)
		return (0);
	xmlXPathFreeCompExpr(comp);
	return (1);
}

static int
guard_of(struct load *ld, xmlNodePtr n, struct wf_guard *g)
{
	xmlNodePtr		 m;

	g->line = n->line;
	attr_id(n, "id", g->id);
	g->document = attr(n, "document");
	g->test = attr(n, "test");
	g->cite = attr(n, "cite");
	if ((m = child(n, "message")) != NULL)
		text_of(m, &g->message);
	if (!xpath_compiles(g->test))
		return (bad(ld, n->line, "guard %s: test is not XPath 1.0: %s",
		    g->id, g->test));
	return (0);
}

#define WF_MAX_REPEAT	60

static int
deadline_of(struct load *ld, xmlNodePtr n, struct wf_set_deadline *dl)
{
	struct qj_deadline_rule	rule;
	struct qj_diag		d;
	xmlNodePtr		t;
	char			*rep;

	memset(&rule, 0, sizeof(rule));
	attr_id(n, "id", dl->id);
	attr_id(n, "on-expiry", dl->on_expiry);
	dl->rule = attr(n, "rule");
	dl->at = attr(n, "at");
	dl->from = attr(n, "from");
	dl->every = attr(n, "every");
	dl->cite = attr(n, "cite");
	rep = attr(n, "repeat");
	dl->repeat = rep != NULL ? atoi(rep) : 1;
	free(rep);
	if ((t = child(n, "title")) != NULL)
		text_of(t, &dl->title);
	if ((dl->rule == NULL) == (dl->at == NULL))
		return (bad(ld, n->line, "deadline %s needs exactly one of "
		    "rule and at%s", dl->id, ""));
	if (dl->rule != NULL && qj_deadline_parse(dl->rule, &rule, &d) !=
	    QJ_OK)
		return (bad(ld, n->line, "deadline %s: bad rule \"%s\"", dl->id,
		    dl->rule));
	if (dl->at != NULL && !wf_ref_valid(dl->at))
		return (bad(ld, n->line, "deadline %s: at must be event:NAME, "
		    "var:NAME or doc:ROLE:XPATH, not %s", dl->id, dl->at));
	if (dl->from != NULL && (dl->at != NULL || !wf_ref_valid(dl->from)))
		return (bad(ld, n->line, "deadline %s: from needs a rule and "
		    "must be event:NAME, var:NAME or doc:ROLE:XPATH, not %s",
		    dl->id, dl->from));
	if (dl->repeat < 1 || dl->repeat > WF_MAX_REPEAT ||
	    (dl->repeat > 1 && dl->at != NULL))
		return (bad(ld, n->line, "deadline %s: repeat must be 1..60 "
		    "and needs a rule%s", dl->id, ""));
	if (dl->every != NULL && (dl->repeat < 2 ||
	    qj_deadline_parse(dl->every, &rule, &d) != QJ_OK ||
	    rule.unit == QJ_DL_NEXT_DAY_AT))
		return (bad(ld, n->line, "deadline %s: every needs repeat > 1 "
		    "and a rule other than next-day (\"%s\")", dl->id,
		    dl->every));
	if (dl->repeat > 1 && dl->every == NULL && rule.unit ==
	    QJ_DL_NEXT_DAY_AT)
		return (bad(ld, n->line, "deadline %s: a next-day rule does not "
		    "repeat without every%s", dl->id, ""));
	return (0);
}

static enum wf_input_type
input_type_of(const char *s, int *ok)
{
	static const struct {
		const char		*name;
		enum wf_input_type	 type;
	} types[] = {
		{ "string", WF_IN_STRING }, { "date", WF_IN_DATE },
		{ "datetime", WF_IN_DATETIME }, { "integer", WF_IN_INTEGER },
		{ "boolean", WF_IN_BOOLEAN },
	};
	size_t	i;

	*ok = 0;
	for (i = 0; s != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i].name) == 0) {
			*ok = 1;
			return (types[i].type);
		}
	return (WF_IN_STRING);
}

/* A space-separated list of capacities into a grown array. */
static int
capacities_of(const char *list, char (**out)[WF_ID_MAX], int *n)
{
	char	*s, *tok, *save = NULL;

	if (list == NULL)
		return (0);
	s = strdup(list);
	for (tok = strtok_r(s, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save)) {
		*out = realloc(*out, sizeof(**out) * (size_t)(*n + 1));
		snprintf((*out)[(*n)++], WF_ID_MAX, "%s", tok);
	}
	free(s);
	return (0);
}

#define GROW(arr, n) \
	((arr) = realloc((arr), sizeof(*(arr)) * (size_t)((n) + 1)), \
	    memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

static int
transition_of(struct load *ld, xmlNodePtr n, struct wf_transition *t)
{
	xmlNodePtr	 c;
	char		*from, *tok, *save = NULL, *r;

	t->line = n->line;
	attr_id(n, "event", t->event);
	attr_id(n, "to", t->to);
	t->stay = attr_bool(n, "stay");
	if (t->stay == (t->to[0] != '\0'))
		return (bad(ld, n->line, "transition %s needs exactly one of "
		    "to and stay=\"true\"%s", t->event, ""));
	t->when = attr(n, "when");
	if (t->when != NULL && !xpath_compiles(t->when))
		return (bad(ld, n->line, "transition %s: when is not XPath "
		    "1.0: %s", t->event, t->when));
	from = attr(n, "from");
	for (tok = strtok_r(from, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save))
		snprintf(*GROW(t->from, t->nfrom), WF_ID_MAX, "%s", tok);
	free(from);
	for (c = n->children; c != NULL; c = c->next) {
		if (is(c, "title"))
			text_of(c, &t->title);
		else if (is(c, "actor")) {
			if (actor_of(ld, c, GROW(t->actors, t->nactors)) != 0)
				return (-1);
		} else if (is(c, "guard")) {
			if (guard_of(ld, c, GROW(t->guards, t->nguards)) != 0)
				return (-1);
		} else if (is(c, "document")) {
			t->doc_role = attr(c, "role");
			t->doc_form = attr(c, "form");
		} else if (is(c, "sign")) {
			t->sign_doc = attr(c, "document");
			r = attr(c, "commitment");
			t->sign_commitment = commitment_of(r);
			free(r);
		} else if (is(c, "reason"))
			t->reason = attr_bool(c, "required") ? 2 : 1;
		else if (is(c, "set-var")) {
			struct wf_set_var *v = GROW(t->vars, t->nvars);

			attr_id(c, "name", v->name);
			v->from = attr(c, "from");
			if (!wf_ref_valid(v->from))
				return (bad(ld, c->line, "set-var %s: from must "
				    "be event:NAME, var:NAME or doc:ROLE:XPATH, "
				    "not %s", v->name, v->from));
		} else if (is(c, "set-deadline")) {
			if (deadline_of(ld, c, GROW(t->deadlines,
			    t->ndeadlines)) != 0)
				return (-1);
		} else if (is(c, "cancel-deadline")) {
			struct wf_cancel *cl = GROW(t->cancels, t->ncancels);

			attr_id(c, "id", cl->id);
			cl->occurrence = attr(c, "occurrence");
			if (cl->occurrence != NULL &&
			    !wf_ref_valid(cl->occurrence))
				return (bad(ld, c->line, "cancel-deadline %s: "
				    "bad occurrence %s", cl->id,
				    cl->occurrence));
		} else if (is(c, "input")) {
			struct wf_input *in = GROW(t->inputs, t->ninputs);
			xmlNodePtr tt;
			int ok, k;

			attr_id(c, "name", in->name);
			r = attr(c, "type");
			in->type = input_type_of(r, &ok);
			free(r);
			in->required = attr_bool(c, "required");
			if ((tt = child(c, "title")) != NULL)
				text_of(tt, &in->title);
			if (!ok)
				return (bad(ld, c->line, "input %s: unknown "
				    "type%s", in->name, ""));
			for (k = 0; k < t->ninputs - 1; k++)
				if (strcmp(t->inputs[k].name, in->name) == 0)
					return (bad(ld, c->line, "input %s is "
					    "declared twice%s", in->name, ""));
		} else if (is(c, "open-case")) {
			t->open_workflow = attr(c, "workflow");
			t->open_ground = attr(c, "ground");
			t->open_cite = attr(c, "cite");
		} else if (is(c, "notify-listed"))
			t->notify_listed = 1;
		else if (is(c, "register"))
			t->register_cite = attr(c, "cite");
	}
	return (0);
}

static int
parallel_of(struct load *ld, xmlNodePtr n, struct wf_parallel *p)
{
	xmlNodePtr	 c, a;
	char		*v;
	struct wf_step	*s;

	attr_id(n, "id", p->id);
	attr_id(n, "event", p->event);
	attr_id(n, "on-complete", p->on_complete);
	p->document = attr(n, "document");
	v = attr(n, "mode");
	p->sequential = v != NULL && strcmp(v, "sequence") == 0;
	free(v);
	v = attr(n, "commitment");
	p->commitment = commitment_of(v);
	free(v);
	v = attr(n, "steps-from");
	if (v == NULL)
		p->steps_from = WF_STEPS_FIXED;
	else if (strcmp(v, "listed-applicants") == 0)
		p->steps_from = WF_STEPS_LISTED;
	else if (strcmp(v, "participants") == 0)
		p->steps_from = WF_STEPS_PARTICIPANTS;
	else {
		free(v);
		return (bad(ld, n->line, "parallel %s: unknown steps-from%s",
		    p->id, ""));
	}
	free(v);
	v = attr(n, "capacities");
	capacities_of(v, &p->capacities, &p->ncapacities);
	free(v);
	if ((p->steps_from == WF_STEPS_PARTICIPANTS) != (p->ncapacities > 0))
		return (bad(ld, n->line, "parallel %s: steps-from=\"participants"
		    "\" goes with capacities%s", p->id, ""));
	if ((p->commitment != WF_COMMIT_NONE) != (p->document != NULL))
		return (bad(ld, n->line, "parallel %s: document and commitment "
		    "go together%s", p->id, ""));
	if (p->steps_from != WF_STEPS_FIXED && p->sequential)
		return (bad(ld, n->line, "parallel %s: per-person steps have no "
		    "order; use mode=\"all\"%s", p->id, ""));
	for (c = n->children; c != NULL; c = c->next) {
		if (!is(c, "step"))
			continue;
		s = GROW(p->steps, p->nsteps);
		attr_id(c, "id", s->id);
		if ((a = child(c, "title")) != NULL)
			text_of(a, &s->title);
		if ((a = child(c, "actor")) == NULL ||
		    actor_of(ld, a, &s->actor) != 0)
			return (-1);
		for (a = c->children; a != NULL; a = a->next)
			if (is(a, "guard") && guard_of(ld, a, GROW(s->guards,
			    s->nguards)) != 0)
				return (-1);
	}
	if ((p->steps_from != WF_STEPS_FIXED) == (p->nsteps > 0))
		return (bad(ld, n->line, "parallel %s: give steps or "
		    "steps-from, not both or neither%s", p->id, ""));
	return (0);
}

static int
vote_of(struct load *ld, xmlNodePtr n, struct wf_vote *v)
{
	xmlNodePtr	c;

	attr_id(n, "id", v->id);
	attr_id(n, "members", v->members);
	attr_id(n, "chair", v->chair);
	attr_id(n, "event", v->event);
	attr_id(n, "on-complete", v->on_complete);
	v->cite = attr(n, "cite");
	for (c = n->children; c != NULL; c = c->next)
		if (is(c, "option"))
			attr_id(c, "id", *GROW(v->options, v->noptions));
	if (v->noptions < 2)
		return (bad(ld, n->line, "vote %s needs two options%s", v->id,
		    ""));
	return (0);
}

static int
state_of(struct load *ld, xmlNodePtr n, struct wf_state *s)
{
	xmlNodePtr	c, f;

	attr_id(n, "id", s->id);
	s->initial = attr_bool(n, "initial");
	s->terminal = attr_bool(n, "terminal");
	for (c = n->children; c != NULL; c = c->next) {
		if (is(c, "title"))
			text_of(c, &s->title);
		else if (is(c, "parallel")) {
			s->parallel = calloc(1, sizeof(*s->parallel));
			if (parallel_of(ld, c, s->parallel) != 0)
				return (-1);
		} else if (is(c, "vote")) {
			s->vote = calloc(1, sizeof(*s->vote));
			if (vote_of(ld, c, s->vote) != 0)
				return (-1);
		} else if (is(c, "order-item")) {
			struct wf_order_item *oi;

			oi = s->order_item = calloc(1, sizeof(*oi));
			attr_id(c, "series", oi->series);
			attr_id(c, "action", oi->action);
			attr_id(c, "event", oi->event);
			oi->cite = attr(c, "cite");
			for (f = c->children; f != NULL; f = f->next) {
				struct wf_order_field *fl;

				if (!is(f, "field"))
					continue;
				fl = GROW(oi->fields, oi->nfields);
				attr_id(f, "name", fl->name);
				fl->document = attr(f, "document");
				fl->select = attr(f, "select");
				fl->value = attr(f, "value");
				fl->integer = attr_is(f, "type", "integer");
				fl->line = (int)xmlGetLineNo(f);
			}
		}
	}
	return (0);
}

const struct wf_state *
wf_state(const struct wf_def *def, const char *id)
{
	int	i;

	for (i = 0; i < def->nstates; i++)
		if (strcmp(def->states[i].id, id) == 0)
			return (&def->states[i]);
	return (NULL);
}

const struct wf_state *
wf_initial(const struct wf_def *def)
{
	int	i;

	for (i = 0; i < def->nstates; i++)
		if (def->states[i].initial)
			return (&def->states[i]);
	return (NULL);
}

const struct wf_transition *
wf_find(const struct wf_def *def, const char *state, const char *event)
{
	const struct wf_transition	*t;
	int				 i, j;

	for (i = 0; i < def->ntransitions; i++) {
		t = &def->transitions[i];
		if (strcmp(t->event, event) != 0)
			continue;
		for (j = 0; j < t->nfrom; j++)
			if (strcmp(t->from[j], state) == 0)
				return (t);
	}
	return (NULL);
}

const struct wf_transition *
wf_find_next(const struct wf_def *def, const struct wf_transition *prev,
    const char *state)
{
	const struct wf_transition	*t;
	int				 i, j;

	for (i = (int)(prev - def->transitions) + 1; i < def->ntransitions;
	    i++) {
		t = &def->transitions[i];
		if (strcmp(t->event, prev->event) != 0)
			continue;
		for (j = 0; j < t->nfrom; j++)
			if (strcmp(t->from[j], state) == 0)
				return (t);
	}
	return (NULL);
}

const struct wf_capacity *
wf_capacity(const struct wf_def *def, const char *id)
{
	int	i;

	for (i = 0; i < def->ncapacities; i++)
		if (strcmp(def->capacities[i].id, id) == 0)
			return (&def->capacities[i]);
	return (NULL);
}

/* 1 when some transition from `state` handles `event` with a system actor. */
static int
system_event(const struct wf_def *def, const char *state, const char *event)
{
	const struct wf_transition	*t;
	int				 i;

	for (t = wf_find(def, state, event); t != NULL;
	    t = wf_find_next(def, t, state))
		for (i = 0; i < t->nactors; i++)
			if (t->actors[i].kind == WF_ACTOR_SYSTEM)
				return (1);
	return (0);
}

static int
same_str(const char *a, const char *b)
{
	return ((a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0));
}

/* A capacity a definition names must be declared, if it declares any. */
static int
check_capacity(struct load *ld, const struct wf_def *def, int line,
    const char *what, const char *cap)
{
	if (def->ncapacities == 0 || wf_capacity(def, cap) != NULL)
		return (0);
	return (bad(ld, line, "%s names capacity %s, which the definition "
	    "does not declare", what, cap));
}

static int
check_actors(struct load *ld, const struct wf_def *def, int line,
    const struct wf_actor *a, int n, const char *what)
{
	int	i;

	for (i = 0; i < n; i++)
		if (a[i].kind == WF_ACTOR_PARTICIPANT &&
		    check_capacity(ld, def, line, what, a[i].name) != 0)
			return (-1);
	return (0);
}

/* Capacities named by actors, votes, steps and exclusive rules. */
static int
check_capacities(struct load *ld, const struct wf_def *def)
{
	const struct wf_state	*s;
	int			 i, j;

	for (i = 0; i < def->ntransitions; i++)
		if (check_actors(ld, def, def->transitions[i].line,
		    def->transitions[i].actors, def->transitions[i].nactors,
		    def->transitions[i].event) != 0)
			return (-1);
	for (i = 0; i < def->nstates; i++) {
		s = &def->states[i];
		if (s->vote != NULL && (check_capacity(ld, def, 0, s->vote->id,
		    s->vote->members) != 0 || check_capacity(ld, def, 0,
		    s->vote->id, s->vote->chair) != 0))
			return (-1);
		if (s->parallel == NULL)
			continue;
		for (j = 0; j < s->parallel->ncapacities; j++)
			if (check_capacity(ld, def, 0, s->parallel->id,
			    s->parallel->capacities[j]) != 0)
				return (-1);
		for (j = 0; j < s->parallel->nsteps; j++)
			if (check_actors(ld, def, 0, &s->parallel->steps[j].actor,
			    1, s->parallel->steps[j].id) != 0)
				return (-1);
	}
	for (i = 0; i < def->nexclusives; i++) {
		if (def->exclusives[i].ncapacities < 2)
			return (bad(ld, def->exclusives[i].line, "an exclusive "
			    "rule needs two capacities or more%s%s", "", ""));
		for (j = 0; j < def->exclusives[i].ncapacities; j++)
			if (check_capacity(ld, def, def->exclusives[i].line,
			    "exclusive", def->exclusives[i].capacities[j]) != 0)
				return (-1);
	}
	for (i = 0; i < def->ncapacities; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(def->capacities[j].id,
			    def->capacities[i].id) == 0)
				return (bad(ld, 0, "capacity %s is declared "
				    "twice%s", def->capacities[i].id, ""));
		if (def->capacities[i].nassigners == 0)
			return (bad(ld, 0, "capacity %s: nobody may assign it%s",
			    def->capacities[i].id, ""));
	}
	return (0);
}

static int
event_exists(const struct wf_def *def, const char *event)
{
	int	i;

	for (i = 0; i < def->ntransitions; i++)
		if (strcmp(def->transitions[i].event, event) == 0)
			return (1);
	return (0);
}

/* 1 when some transition sets deadline `id` with repeat > 1. */
static int
repeated_deadline(const struct wf_def *def, const char *id)
{
	int	i, j;

	for (i = 0; i < def->ntransitions; i++)
		for (j = 0; j < def->transitions[i].ndeadlines; j++)
			if (strcmp(def->transitions[i].deadlines[j].id, id) ==
			    0 && def->transitions[i].deadlines[j].repeat > 1)
				return (1);
	return (0);
}

static int
reads_people(const char *xpath)
{
	return (xpath != NULL && (strstr(xpath, "participant") != NULL ||
	    strstr(xpath, "applicant-iin") != NULL));
}

/* Sets def->uses_people (see wf.h). */
static void
people_flag(struct wf_def *def)
{
	const struct wf_transition	*t;
	const struct wf_parallel	*p;
	int				 i, j, k, u;

	u = def->ncapacities > 0 || def->nexclusives > 0;
	for (i = 0; i < def->nstates && !u; i++) {
		u = def->states[i].vote != NULL;
		if ((p = def->states[i].parallel) == NULL)
			continue;
		u |= p->steps_from == WF_STEPS_PARTICIPANTS;
		for (j = 0; j < p->nsteps; j++) {
			u |= p->steps[j].actor.kind == WF_ACTOR_PARTICIPANT;
			for (k = 0; k < p->steps[j].nguards; k++)
				u |= reads_people(p->steps[j].guards[k].test);
		}
	}
	for (i = 0; i < def->ntransitions && !u; i++) {
		t = &def->transitions[i];
		u = reads_people(t->when);
		for (j = 0; j < t->nactors; j++)
			u |= t->actors[j].kind == WF_ACTOR_PARTICIPANT;
		for (j = 0; j < t->nguards; j++)
			u |= reads_people(t->guards[j].test);
		for (j = 0; j < t->nvars; j++)
			u |= reads_people(t->vars[j].from);
	}
	def->uses_people = u;
}

/*
 * An order item's field reads a document (document and select), a variable
 * (document="var" and select) or is a constant (value alone); a document
 * field selects with XPath that compiles.
 */
static int
check_order_fields(struct load *ld, const struct wf_order_item *oi)
{
	const struct wf_order_field	*f;
	int				 i, j;

	for (i = 0; i < oi->nfields; i++) {
		f = &oi->fields[i];
		for (j = 0; j < i; j++)
			if (strcmp(oi->fields[j].name, f->name) == 0)
				return (bad(ld, f->line, "order-item field %s "
				    "is given twice%s", f->name, ""));
		if (f->value != NULL && (f->document != NULL ||
		    f->select != NULL))
			return (bad(ld, f->line, "order-item field %s: a "
			    "constant value takes no document or select%s",
			    f->name, ""));
		if (f->value == NULL && (f->document == NULL ||
		    f->select == NULL))
			return (bad(ld, f->line, "order-item field %s needs "
			    "document and select, or a value%s", f->name, ""));
		if (f->document != NULL && strcmp(f->document, "var") != 0 &&
		    !xpath_compiles(f->select))
			return (bad(ld, f->line, "order-item field %s: select "
			    "is not XPath 1.0: %s", f->name, f->select));
	}
	return (0);
}

/* The checks a schema cannot express. */
static int
check_semantics(struct load *ld, struct wf_def *def)
{
	const struct wf_transition	*t, *u;
	const struct wf_state		*s;
	int				 i, j, k, l, initial = 0;

	for (i = 0; i < def->nstates; i++) {
		s = &def->states[i];
		initial += s->initial;
		for (j = 0; j < i; j++)
			if (strcmp(def->states[j].id, s->id) == 0)
				return (bad(ld, 0, "state %s is declared twice%s",
				    s->id, ""));
		if (s->initial && s->terminal)
			return (bad(ld, 0, "state %s cannot be initial and "
			    "terminal%s", s->id, ""));
		if (s->parallel != NULL && !system_event(def, s->id,
		    s->parallel->on_complete))
			return (bad(ld, 0, "state %s: no system transition "
			    "handles on-complete event %s", s->id,
			    s->parallel->on_complete));
		if (s->vote != NULL && !system_event(def, s->id,
		    s->vote->on_complete))
			return (bad(ld, 0, "state %s: no system transition "
			    "handles on-complete event %s", s->id,
			    s->vote->on_complete));
		if (s->order_item != NULL && !system_event(def, s->id,
		    s->order_item->event))
			return (bad(ld, 0, "state %s: no system transition "
			    "handles order event %s", s->id,
			    s->order_item->event));
		if (s->order_item != NULL && check_order_fields(ld,
		    s->order_item) != 0)
			return (ld->err);
	}
	if (initial != 1)
		return (bad(ld, 0, "a definition needs exactly one initial "
		    "state%s%s", "", ""));
	for (i = 0; i < def->ntransitions; i++) {
		t = &def->transitions[i];
		if (!t->stay && wf_state(def, t->to) == NULL)
			return (bad(ld, t->line, "transition %s goes to unknown "
			    "state %s", t->event, t->to));
		for (j = 0; j < t->nfrom; j++) {
			if ((s = wf_state(def, t->from[j])) == NULL)
				return (bad(ld, t->line, "transition %s leaves "
				    "unknown state %s", t->event, t->from[j]));
			if (s->terminal)
				return (bad(ld, t->line, "transition %s leaves "
				    "terminal state %s", t->event, s->id));
			/* Two transitions from one state on one event: the
			 * earlier must be a branch with a condition, and
			 * both bring the same document. */
			for (k = 0; k < i; k++) {
				u = &def->transitions[k];
				if (strcmp(u->event, t->event) != 0)
					continue;
				for (l = 0; l < u->nfrom; l++) {
					if (strcmp(u->from[l], t->from[j]) != 0)
						continue;
					if (u->when == NULL)
						return (bad(ld, t->line,
						    "event %s is handled twice "
						    "in state %s (only a branch "
						    "with `when` may come "
						    "first)", t->event, s->id));
					if (!same_str(u->doc_role,
					    t->doc_role) || !same_str(
					    u->doc_form, t->doc_form))
						return (bad(ld, t->line,
						    "branches of event %s in "
						    "state %s bring different "
						    "documents", t->event,
						    s->id));
				}
			}
		}
		for (j = 0; j < t->ndeadlines; j++)
			if (!event_exists(def, t->deadlines[j].on_expiry))
				return (bad(ld, t->line, "deadline %s fires "
				    "unknown event %s", t->deadlines[j].id,
				    t->deadlines[j].on_expiry));
		if ((t->sign_doc != NULL) !=
		    (t->sign_commitment != WF_COMMIT_NONE))
			return (bad(ld, t->line, "transition %s: sign needs a "
			    "document and a commitment%s", t->event, ""));
		for (j = 0; j < t->nguards; j++)
			if (t->guards[j].message.en == NULL)
				return (bad(ld, t->guards[j].line, "guard %s has "
				    "no message%s", t->guards[j].id, ""));
		for (j = 0; j < t->ncancels; j++)
			if (t->cancels[j].occurrence != NULL &&
			    !repeated_deadline(def, t->cancels[j].id))
				return (bad(ld, t->line, "cancel-deadline %s: an "
				    "occurrence of a deadline that does not "
				    "repeat%s", t->cancels[j].id, ""));
	}
	return (check_capacities(ld, def));
}

static int
namespaces_of(struct wf_def *def, xmlNodePtr root)
{
	xmlNsPtr	ns;

	for (ns = root->nsDef; ns != NULL; ns = ns->next) {
		struct wf_ns	*n;

		if (ns->prefix == NULL)
			continue;
		n = GROW(def->ns, def->nns);
		n->prefix = strdup((const char *)ns->prefix);
		n->uri = strdup((const char *)ns->href);
	}
	return (0);
}

struct schema_err {
	char	msg[300];
	int	line;
};

static void
on_schema_error(void *arg, xmlErrorPtr e)
{
	struct schema_err	*se = arg;
	size_t			 n;

	if (se->msg[0] != '\0' || e == NULL)
		return;
	snprintf(se->msg, sizeof(se->msg), "%s", e->message ? e->message : "");
	n = strlen(se->msg);
	if (n > 0 && se->msg[n - 1] == '\n')
		se->msg[n - 1] = '\0';
	se->line = e->line;
}

static enum qj_err
read_file(const char *path, char **data, size_t *len, struct qj_diag *d)
{
	struct stat	 st;
	FILE		*f;
	char		*buf;

	if ((f = fopen(path, "rb")) == NULL)
		return (qj_fail(d, QJ_EIO, "bad-definition", path,
		    "%s: %s", path, strerror(errno)));
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
	    st.st_size > WF_MAX_FILE) {
		fclose(f);
		return (qj_fail(d, QJ_EINVAL, "bad-definition", path,
		    "%s: empty or larger than %d bytes", path, WF_MAX_FILE));
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return (QJ_ENOMEM);
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return (qj_fail(d, QJ_EIO, "bad-definition", path,
		    "%s: short read", path));
	}
	buf[st.st_size] = '\0';
	fclose(f);
	*data = buf;
	*len = (size_t)st.st_size;
	return (QJ_OK);
}

static enum qj_err
validate(const char *name, xmlDocPtr doc, const char *xsd_path,
    struct qj_diag *d)
{
	xmlSchemaParserCtxtPtr	 pctx = NULL;
	xmlSchemaValidCtxtPtr	 vctx = NULL;
	xmlSchemaPtr		 schema = NULL;
	xmlDocPtr		 xsd = NULL;
	struct schema_err	 se;
	char			*data = NULL;
	size_t			 len;
	enum qj_err		 err;

	if ((err = read_file(xsd_path, &data, &len, d)) != QJ_OK ||
	    (err = qj_xml_parse(data, len, WF_MAX_FILE, &xsd, d)) != QJ_OK)
		goto out;
	memset(&se, 0, sizeof(se));
	pctx = xmlSchemaNewDocParserCtxt(xsd);
	xmlSchemaSetParserStructuredErrors(pctx, on_schema_error, &se);
	if ((schema = xmlSchemaParse(pctx)) == NULL) {
		err = qj_fail(d, QJ_EINVAL, "bad-definition", xsd_path,
		    "%s: %s", xsd_path, se.msg);
		goto out;
	}
	vctx = xmlSchemaNewValidCtxt(schema);
	xmlSchemaSetValidStructuredErrors(vctx, on_schema_error, &se);
	if (xmlSchemaValidateDoc(vctx, doc) != 0)
		err = qj_fail(d, QJ_EINVAL, "bad-definition", name,
		    "%s:%d: %s", name, se.line, se.msg);
out:
	if (vctx != NULL)
		xmlSchemaFreeValidCtxt(vctx);
	if (schema != NULL)
		xmlSchemaFree(schema);
	if (pctx != NULL)
		xmlSchemaFreeParserCtxt(pctx);
	if (xsd != NULL)
		xmlFreeDoc(xsd);
	free(data);
	return (err);
}

enum qj_err
wf_load_mem(const char *name, const char *data, size_t len,
    const char *xsd_path, struct wf_def **out, struct qj_diag *d)
{
	struct load	 ld = { name, d, QJ_OK };
	struct wf_def	*def;
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root, n, c;
	char		*v;
	enum qj_err	 err;

	if ((err = qj_xml_parse(data, len, WF_MAX_FILE, &doc, d)) != QJ_OK) {
		qj_fail(d, QJ_EINVAL, "bad-definition", name, "%s: %s", name,
		    d ? d->detail : "");
		return (QJ_EINVAL);
	}
	if ((err = validate(name, doc, xsd_path, d)) != QJ_OK) {
		xmlFreeDoc(doc);
		return (err);
	}
	if ((def = calloc(1, sizeof(*def))) == NULL) {
		xmlFreeDoc(doc);
		return (QJ_ENOMEM);
	}
	def->file = strdup(name);
	if ((def->source = malloc(len + 1)) != NULL) {
		memcpy(def->source, data, len);
		def->source[len] = '\0';
	}
	def->source_len = len;
	qj_sha256_hex(data, len, def->sha256);
	root = xmlDocGetRootElement(doc);
	attr_id(root, "id", def->id);
	v = attr(root, "version");
	def->version = v ? atoi(v) : 0;
	free(v);
	namespaces_of(def, root);
	for (n = root->children; n != NULL && ld.err == QJ_OK; n = n->next) {
		if (is(n, "title"))
			text_of(n, &def->title);
		else if (is(n, "opens")) {
			def->open_doc = attr(n, "document");
			def->open_form = attr(n, "form");
			def->open_cite = attr(n, "cite");
			for (c = n->children; c != NULL; c = c->next)
				if (is(c, "actor") && actor_of(&ld, c,
				    GROW(def->openers, def->nopeners)) != 0)
					break;
		} else if (is(n, "capacity")) {
			struct wf_capacity *cp = GROW(def->capacities,
			    def->ncapacities);

			attr_id(n, "id", cp->id);
			cp->cite = attr(n, "cite");
			v = attr(n, "max");
			cp->max = v != NULL ? atoi(v) : 0;
			free(v);
			for (c = n->children; c != NULL && ld.err == QJ_OK;
			    c = c->next) {
				if (is(c, "title"))
					text_of(c, &cp->title);
				else if (is(c, "actor"))
					actor_of(&ld, c, GROW(cp->assigners,
					    cp->nassigners));
			}
		} else if (is(n, "exclusive")) {
			struct wf_exclusive *ex = GROW(def->exclusives,
			    def->nexclusives);

			ex->line = n->line;
			ex->cite = attr(n, "cite");
			v = attr(n, "capacities");
			capacities_of(v, &ex->capacities, &ex->ncapacities);
			free(v);
		} else if (is(n, "state"))
			state_of(&ld, n, GROW(def->states, def->nstates));
		else if (is(n, "transition"))
			transition_of(&ld, n, GROW(def->transitions,
			    def->ntransitions));
	}
	if (ld.err == QJ_OK)
		check_semantics(&ld, def);
	people_flag(def);
	if (ld.err == QJ_OK)
		(void)wf_guard_selftest(def, &ld.err, d);
	xmlFreeDoc(doc);
	if (ld.err != QJ_OK) {
		wf_def_free(def);
		return (ld.err);
	}
	*out = def;
	return (QJ_OK);
}

static int
by_name(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

enum qj_err
wf_load_dir(const char *dir, struct wf_set **out, struct qj_diag *d)
{
	struct wf_set	*set;
	struct dirent	*e;
	char		 path[1024], xsd[1024], **names = NULL, *data;
	size_t		 len, n = 0, i, nl;
	enum qj_err	 err = QJ_OK;
	DIR		*dp;
	int		 j, k;

	snprintf(xsd, sizeof(xsd), "%s/workflow.xsd", dir);
	if ((dp = opendir(dir)) == NULL)
		return (qj_fail(d, QJ_EIO, "bad-definition", dir, "%s: %s",
		    dir, strerror(errno)));
	while ((e = readdir(dp)) != NULL) {
		nl = strlen(e->d_name);
		if (nl < 5 || strcmp(e->d_name + nl - 4, ".xml") != 0 ||
		    e->d_name[0] == '.')
			continue;
		names = realloc(names, sizeof(*names) * (n + 1));
		names[n++] = strdup(e->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), by_name);
	set = calloc(1, sizeof(*set));
	for (i = 0; i < n && err == QJ_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((err = read_file(path, &data, &len, d)) != QJ_OK)
			break;
		set->defs = realloc(set->defs, sizeof(*set->defs) *
		    (size_t)(set->ndefs + 1));
		err = wf_load_mem(path, data, len, xsd,
		    &set->defs[set->ndefs], d);
		free(data);
		if (err == QJ_OK)
			set->ndefs++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* Cross-definition checks: unique ids, sub-cases exist. */
	for (j = 0; err == QJ_OK && j < set->ndefs; j++) {
		for (k = 0; k < j && err == QJ_OK; k++)
			if (strcmp(set->defs[j]->id, set->defs[k]->id) == 0)
				err = qj_fail(d, QJ_EINVAL, "bad-definition",
				    set->defs[j]->file, "%s: workflow id %s is "
				    "also defined by %s", set->defs[j]->file,
				    set->defs[j]->id, set->defs[k]->file);
		for (k = 0; err == QJ_OK && k < set->defs[j]->ntransitions;
		    k++) {
			const struct wf_transition *t =
			    &set->defs[j]->transitions[k];

			if (t->open_workflow != NULL &&
			    wf_set_find(set, t->open_workflow) == NULL)
				err = qj_fail(d, QJ_EINVAL, "bad-definition",
				    set->defs[j]->file, "%s:%d: open-case names "
				    "unknown workflow %s", set->defs[j]->file,
				    t->line, t->open_workflow);
		}
	}
	if (err != QJ_OK) {
		wf_set_free(set);
		return (err);
	}
	*out = set;
	return (QJ_OK);
}

const struct wf_def *
wf_set_find(const struct wf_set *set, const char *id)
{
	int	i;

	for (i = 0; set != NULL && i < set->ndefs; i++)
		if (strcmp(set->defs[i]->id, id) == 0)
			return (set->defs[i]);
	return (NULL);
}

static void
guards_free(struct wf_guard *g, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(g[i].document);
		free(g[i].test);
		free(g[i].cite);
		text_free(&g[i].message);
	}
	free(g);
}

static void
transition_free(struct wf_transition *t)
{
	int	i;

	free(t->from);
	free(t->when);
	text_free(&t->title);
	for (i = 0; i < t->ninputs; i++)
		text_free(&t->inputs[i].title);
	free(t->inputs);
	free(t->actors);
	guards_free(t->guards, t->nguards);
	free(t->doc_role);
	free(t->doc_form);
	free(t->sign_doc);
	for (i = 0; i < t->nvars; i++)
		free(t->vars[i].from);
	free(t->vars);
	for (i = 0; i < t->ndeadlines; i++) {
		free(t->deadlines[i].rule);
		free(t->deadlines[i].at);
		free(t->deadlines[i].from);
		free(t->deadlines[i].every);
		free(t->deadlines[i].cite);
		text_free(&t->deadlines[i].title);
	}
	free(t->deadlines);
	for (i = 0; i < t->ncancels; i++)
		free(t->cancels[i].occurrence);
	free(t->cancels);
	free(t->open_workflow);
	free(t->open_ground);
	free(t->open_cite);
	free(t->register_cite);
}

static void
state_free(struct wf_state *s)
{
	int	i;

	text_free(&s->title);
	if (s->parallel != NULL) {
		free(s->parallel->document);
		free(s->parallel->capacities);
		for (i = 0; i < s->parallel->nsteps; i++) {
			text_free(&s->parallel->steps[i].title);
			guards_free(s->parallel->steps[i].guards,
			    s->parallel->steps[i].nguards);
		}
		free(s->parallel->steps);
		free(s->parallel);
	}
	if (s->vote != NULL) {
		free(s->vote->cite);
		free(s->vote->options);
		free(s->vote);
	}
	if (s->order_item != NULL) {
		for (i = 0; i < s->order_item->nfields; i++) {
			free(s->order_item->fields[i].document);
			free(s->order_item->fields[i].select);
			free(s->order_item->fields[i].value);
		}
		free(s->order_item->fields);
		free(s->order_item->cite);
		free(s->order_item);
	}
}

void
wf_def_free(struct wf_def *def)
{
	int	i;

	if (def == NULL)
		return;
	for (i = 0; i < def->nstates; i++)
		state_free(&def->states[i]);
	free(def->states);
	for (i = 0; i < def->ntransitions; i++)
		transition_free(&def->transitions[i]);
	free(def->transitions);
	for (i = 0; i < def->nns; i++) {
		free(def->ns[i].prefix);
		free(def->ns[i].uri);
	}
	free(def->ns);
	for (i = 0; i < def->ncapacities; i++) {
		text_free(&def->capacities[i].title);
		free(def->capacities[i].assigners);
		free(def->capacities[i].cite);
	}
	free(def->capacities);
	for (i = 0; i < def->nexclusives; i++) {
		free(def->exclusives[i].capacities);
		free(def->exclusives[i].cite);
	}
	free(def->exclusives);
	free(def->openers);
	free(def->open_doc);
	free(def->open_form);
	free(def->open_cite);
	text_free(&def->title);
	free(def->source);
	free(def->file);
	free(def);
}

void
wf_set_free(struct wf_set *set)
{
	int	i;

	if (set == NULL)
		return;
	for (i = 0; i < set->ndefs; i++)
		wf_def_free(set->defs[i]);
	free(set->defs);
	free(set);
}

const char *
wf_commitment_name(enum wf_commitment c)
{
	switch (c) {
	case WF_COMMIT_APPROVAL:
		return ("approval");
	case WF_COMMIT_ORIGIN:
		return ("origin");
	case WF_COMMIT_RECEIPT:
		return ("receipt");
	default:
		return ("none");
	}
}

const char *
wf_text(const struct wf_text *t, const char *lang)
{
	if (lang != NULL && strcmp(lang, "kk") == 0 && t->kk != NULL)
		return (t->kk);
	if (lang != NULL && strcmp(lang, "ru") == 0 && t->ru != NULL)
		return (t->ru);
	return (t->en != NULL ? t->en : "");
}
