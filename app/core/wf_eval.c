/*
 * wf_eval.c: deciding what may happen to a case (see wf.h): actors,
 * segregation of duties, guards, parallel steps and votes.
 *
 * Guards are XPath 1.0 evaluated with the definition's namespace prefixes
 * and these functions in namespace urn:qujat:fn (prefix qj):
 *
 *	qj:date(s)			"YYYY-MM-DD" -> number YYYYMMDD (NaN if bad)
 *	qj:add-months(s, n)		date n months later, end-of-month clamped
 *	qj:months-between(a, b)		whole months from a to b
 *	qj:days-between(a, b)		calendar days from a to b
 *	qj:working-days-between(a, b)	working days in (a, b] (KZ calendar)
 *	qj:age-on(birth, day)		whole years
 *	qj:today()			the local date of "now" (injected clock)
 *	qj:actor-iin()			IIN of the person acting
 *	qj:var(name)			a case variable, as a string
 *	qj:doc(role)			root element of another document of the case
 *
 * Nothing here stores anything; every function is thread-safe given that
 * the definition and the views are not modified concurrently.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "core/wf.h"

#define QJ_FN_NS	"urn:qujat:fn"

struct eval_env {
	const struct wf_case_view	*cv;
	const struct wf_actor_view	*av;
	const struct wf_guard_env	*env;
};

/* ---- actors -------------------------------------------------------------- */

static int
one_matches(const struct wf_actor *a, const struct wf_case_view *cv,
    const struct wf_actor_view *av)
{
	size_t	n;
	int	i;

	switch (a->kind) {
	case WF_ACTOR_SYSTEM:
		return (av->system);
	case WF_ACTOR_APPLICANT:
		return (!av->system && cv->applicant_id != 0 &&
		    av->person_id == cv->applicant_id);
	case WF_ACTOR_ROLE:
		if (av->system)
			return (0);
		for (i = 0; i < av->ngrants; i++) {
			n = strlen(av->grants[i].unit_path);
			if (strcmp(av->grants[i].role, a->name) == 0 &&
			    strncmp(cv->unit_path, av->grants[i].unit_path,
			    n) == 0)
				return (1);
		}
		return (0);
	case WF_ACTOR_PARTICIPANT:
		if (av->system)
			return (0);
		for (i = 0; i < av->ncapacities; i++)
			if (strcmp(av->capacities[i], a->name) == 0)
				return (1);
		return (0);
	}
	return (0);
}

int
wf_actor_matches(const struct wf_actor *actors, int n,
    const struct wf_case_view *cv, const struct wf_actor_view *av)
{
	int	i;

	for (i = 0; i < n; i++)
		if (one_matches(&actors[i], cv, av))
			return (1);
	return (0);
}

/* True when the actor qualifies only as an official, not as the applicant. */
static int
acts_as_official(const struct wf_actor *actors, int n,
    const struct wf_case_view *cv, const struct wf_actor_view *av)
{
	int	i;

	for (i = 0; i < n; i++)
		if (actors[i].kind == WF_ACTOR_APPLICANT &&
		    one_matches(&actors[i], cv, av))
			return (0);
	return (1);
}

/* ---- XPath functions ----------------------------------------------------- */

static struct eval_env *
env_of(xmlXPathParserContextPtr ctxt)
{
	return (ctxt->context->userData);
}

/* Pops one argument as a C string (caller frees with xmlFree). */
static xmlChar *
pop_string(xmlXPathParserContextPtr ctxt)
{
	return (xmlXPathPopString(ctxt));
}

static int
parse_day(const xmlChar *s, qj_day *out)
{
	return (s != NULL && qj_day_parse((const char *)s, out) == QJ_OK);
}

static void
fn_date(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar	*s;
	qj_day	 day;
	int	 y, m, dd;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	s = pop_string(ctxt);
	if (parse_day(s, &day) && qj_day_to_ymd(day, &y, &m, &dd) == QJ_OK)
		xmlXPathReturnNumber(ctxt, (double)(y * 10000 + m * 100 + dd));
	else
		xmlXPathReturnNumber(ctxt, NAN);
	xmlFree(s);
}

static void
fn_add_months(xmlXPathParserContextPtr ctxt, int nargs)
{
	char	 out[QJ_DAY_STRLEN + 1] = "";
	xmlChar	*s;
	double	 n;
	qj_day	 day, r;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	n = xmlXPathPopNumber(ctxt);
	s = pop_string(ctxt);
	if (parse_day(s, &day) && !isnan(n) && fabs(n) < 12000 &&
	    qj_day_add_months(day, (int)n, &r) == QJ_OK)
		qj_day_format(r, out);
	xmlFree(s);
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)out));
}

/* Two date arguments; *ok is 0 when either is not a date. */
static void
pop_two_days(xmlXPathParserContextPtr ctxt, qj_day *a, qj_day *b, int *ok)
{
	xmlChar	*sb = pop_string(ctxt), *sa = pop_string(ctxt);

	*ok = parse_day(sa, a) && parse_day(sb, b);
	xmlFree(sa);
	xmlFree(sb);
}

static void
fn_months_between(xmlXPathParserContextPtr ctxt, int nargs)
{
	qj_day	a, b;
	int	ok, n;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	pop_two_days(ctxt, &a, &b, &ok);
	xmlXPathReturnNumber(ctxt, ok && qj_months_between(a, b, &n) == QJ_OK ?
	    (double)n : NAN);
}

static void
fn_days_between(xmlXPathParserContextPtr ctxt, int nargs)
{
	qj_day	a, b;
	int	ok;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	pop_two_days(ctxt, &a, &b, &ok);
	xmlXPathReturnNumber(ctxt, ok ? (double)(b - a) : NAN);
}

static void
fn_working_days_between(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env	*ev = env_of(ctxt);
	qj_day		 a, b;
	int		 ok;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	pop_two_days(ctxt, &a, &b, &ok);
	xmlXPathReturnNumber(ctxt, ok && ev->env->cal != NULL ?
	    (double)qj_cal_working_days_between(ev->env->cal, a, b) : NAN);
}

static void
fn_age_on(xmlXPathParserContextPtr ctxt, int nargs)
{
	qj_day	a, b;
	int	ok, n;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	pop_two_days(ctxt, &a, &b, &ok);
	xmlXPathReturnNumber(ctxt, ok && qj_age_on(a, b, &n) == QJ_OK ?
	    (double)n : NAN);
}

static void
fn_today(xmlXPathParserContextPtr ctxt, int nargs)
{
	char	out[QJ_DAY_STRLEN + 1] = "";

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	qj_day_format(env_of(ctxt)->env->today, out);
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)out));
}

static void
fn_actor_iin(xmlXPathParserContextPtr ctxt, int nargs)
{
	const char	*iin = env_of(ctxt)->av->iin;

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)(iin ? iin :
	    "")));
}

static void
fn_var(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env	*ev = env_of(ctxt);
	json_t		*vars, *v;
	xmlChar		*name;
	char		 num[32];
	const char	*out = "";

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	name = pop_string(ctxt);
	vars = ev->cv->vars_json ? json_loads(ev->cv->vars_json, 0, NULL) :
	    NULL;
	v = vars ? json_object_get(vars, (const char *)name) : NULL;
	if (json_is_string(v))
		out = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		out = num;
	}
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)out));
	if (vars != NULL)
		json_decref(vars);
	xmlFree(name);
}

static void
fn_doc(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env	*ev = env_of(ctxt);
	xmlNodeSetPtr	 set;
	xmlChar		*role;
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	role = pop_string(ctxt);
	if (ev->cv->doc != NULL)
		doc = ev->cv->doc(ev->cv->doc_arg, (const char *)role);
	xmlFree(role);
	root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	set = xmlXPathNodeSetCreate(root);
	xmlXPathReturnNodeSet(ctxt, set);
}

static const struct {
	const char		*name;
	xmlXPathFunction	 fn;
} functions[] = {
	{ "date", fn_date },
	{ "add-months", fn_add_months },
	{ "months-between", fn_months_between },
	{ "days-between", fn_days_between },
	{ "working-days-between", fn_working_days_between },
	{ "age-on", fn_age_on },
	{ "today", fn_today },
	{ "actor-iin", fn_actor_iin },
	{ "var", fn_var },
	{ "doc", fn_doc },
};

static xmlXPathContextPtr
new_context(const struct wf_def *def, xmlDocPtr doc, struct eval_env *ev)
{
	xmlXPathContextPtr	ctx;
	size_t			i;
	int			j;

	if ((ctx = xmlXPathNewContext(doc)) == NULL)
		return (NULL);
	ctx->node = xmlDocGetRootElement(doc);
	ctx->userData = ev;
	for (j = 0; j < def->nns; j++)
		xmlXPathRegisterNs(ctx, (const xmlChar *)def->ns[j].prefix,
		    (const xmlChar *)def->ns[j].uri);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"qj",
	    (const xmlChar *)QJ_FN_NS);
	for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		xmlXPathRegisterFuncNS(ctx, (const xmlChar *)functions[i].name,
		    (const xmlChar *)QJ_FN_NS, functions[i].fn);
	return (ctx);
}

static void
silent(void *arg, xmlErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* Evaluates `expr` over `doc`; NULL when it does not evaluate. */
static xmlXPathObjectPtr
evaluate(const struct wf_def *def, xmlDocPtr doc, const char *expr,
    struct eval_env *ev)
{
	xmlXPathContextPtr	ctx;
	xmlXPathObjectPtr	res;

	if ((ctx = new_context(def, doc, ev)) == NULL)
		return (NULL);
	xmlSetStructuredErrorFunc(NULL, silent);
	res = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlXPathFreeContext(ctx);
	return (res);
}

enum qj_err
wf_guard_eval(const struct wf_def *def, const struct wf_guard *g,
    const struct wf_case_view *cv, const struct wf_actor_view *av,
    const struct wf_guard_env *env, struct qj_diag *d)
{
	struct eval_env		 ev = { cv, av, env };
	xmlXPathObjectPtr	 res;
	xmlDocPtr		 doc;
	int			 ok;

	doc = cv->doc != NULL ? cv->doc(cv->doc_arg, g->document) : NULL;
	if (doc == NULL)
		return (qj_fail(d, QJ_EUNPROC, "guard-failed", g->id,
		    "%s (rule %s, %s): the case has no %s document",
		    wf_text(&g->message, env->lang), g->id, g->cite,
		    g->document));
	if ((res = evaluate(def, doc, g->test, &ev)) == NULL)
		return (qj_fail(d, QJ_EINTERNAL, "guard-error", g->id,
		    "guard %s of %s did not evaluate", g->id, def->id));
	ok = xmlXPathCastToBoolean(res);
	xmlXPathFreeObject(res);
	if (!ok)
		return (qj_fail(d, QJ_EUNPROC, "guard-failed", g->id,
		    "%s (rule %s, %s)", wf_text(&g->message, env->lang), g->id,
		    g->cite));
	return (QJ_OK);
}

static xmlDocPtr
no_doc(void *arg, const char *role)
{
	(void)role;
	return (arg);
}

int
wf_guard_selftest(const struct wf_def *def, enum qj_err *err,
    struct qj_diag *d)
{
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 env;
	struct eval_env		 ev = { &cv, &av, &env };
	const struct wf_guard	*g;
	xmlXPathObjectPtr	 res;
	xmlDocPtr		 doc;
	int			 i, j;

	memset(&cv, 0, sizeof(cv));
	memset(&av, 0, sizeof(av));
	memset(&env, 0, sizeof(env));
	doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlDocSetRootElement(doc, xmlNewNode(NULL, (const xmlChar *)"empty"));
	cv.state = "";
	cv.unit_path = "";
	cv.doc = no_doc;
	cv.doc_arg = doc;
	for (i = 0; i < def->ntransitions; i++) {
		for (j = 0; j < def->transitions[i].nguards; j++) {
			g = &def->transitions[i].guards[j];
			if ((res = evaluate(def, doc, g->test, &ev)) == NULL) {
				*err = qj_fail(d, QJ_EINVAL, "bad-definition",
				    def->file, "%s:%d: guard %s does not "
				    "evaluate (unknown prefix or function?)",
				    def->file, g->line, g->id);
				xmlFreeDoc(doc);
				return (-1);
			}
			xmlXPathFreeObject(res);
		}
	}
	xmlFreeDoc(doc);
	return (0);
}

enum qj_err
wf_select_string(const struct wf_def *def, xmlDocPtr doc, const char *xpath,
    const struct wf_guard_env *env, char *out, size_t outlen,
    struct qj_diag *d)
{
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct eval_env		 ev = { &cv, &av, env };
	xmlXPathObjectPtr	 res;
	xmlChar			*s;

	memset(&cv, 0, sizeof(cv));
	memset(&av, 0, sizeof(av));
	cv.unit_path = "";
	if ((res = evaluate(def, doc, xpath, &ev)) == NULL)
		return (qj_fail(d, QJ_EINTERNAL, "select-error", "",
		    "%s: %s does not evaluate", def->id, xpath));
	s = xmlXPathCastToString(res);
	snprintf(out, outlen, "%s", s ? (const char *)s : "");
	xmlFree(s);
	xmlXPathFreeObject(res);
	return (QJ_OK);
}

xmlNodePtr
wf_select_node(const struct wf_def *def, xmlDocPtr doc, const char *xpath)
{
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 env;
	struct eval_env		 ev = { &cv, &av, &env };
	xmlXPathObjectPtr	 res;
	xmlNodePtr		 n = NULL;

	memset(&cv, 0, sizeof(cv));
	memset(&av, 0, sizeof(av));
	memset(&env, 0, sizeof(env));
	cv.unit_path = "";
	if ((res = evaluate(def, doc, xpath, &ev)) == NULL)
		return (NULL);
	if (res->type == XPATH_NODESET && res->nodesetval != NULL &&
	    res->nodesetval->nodeNr > 0)
		n = res->nodesetval->nodeTab[0];
	xmlXPathFreeObject(res);
	return (n);
}

/* ---- deciding ------------------------------------------------------------ */

enum qj_err
wf_decide(const struct wf_def *def, const struct wf_case_view *cv,
    const struct wf_actor_view *av, const char *event,
    const struct wf_guard_env *env, const struct wf_transition **out,
    struct qj_diag *d)
{
	const struct wf_state		*st;
	const struct wf_transition	*t;
	enum qj_err			 err;
	int				 i;

	*out = NULL;
	if ((st = wf_state(def, cv->state)) == NULL)
		return (qj_fail(d, QJ_EINTERNAL, "unknown-state", "state",
		    "case is in state %s, which %s v%d does not define",
		    cv->state, def->id, def->version));
	if (st->terminal)
		return (qj_fail(d, QJ_ECONFLICT, "case-closed", "event",
		    "the case is closed (%s)", st->id));
	if ((t = wf_find(def, cv->state, event)) == NULL) {
		if ((st->parallel != NULL &&
		    strcmp(st->parallel->event, event) == 0) ||
		    (st->vote != NULL && strcmp(st->vote->event, event) == 0))
			return (QJ_OK);
		return (qj_fail(d, QJ_ECONFLICT, "not-in-this-state", "event",
		    "event %s is not possible in state %s", event, st->id));
	}
	if (!wf_actor_matches(t->actors, t->nactors, cv, av))
		return (qj_fail(d, QJ_EDENIED, "wrong-actor", "event",
		    "%s may not fire %s in state %s", av->system ? "the system" :
		    "this person", event, st->id));
	/* SPEC 1: nobody approves or signs their own application. */
	if (!av->system && cv->applicant_id != 0 &&
	    av->person_id == cv->applicant_id &&
	    acts_as_official(t->actors, t->nactors, cv, av))
		return (qj_fail(d, QJ_EDENIED, "segregation-of-duties",
		    "event", "nobody acts as an official on their own "
		    "application (SPEC 1)"));
	for (i = 0; i < t->nguards; i++)
		if ((err = wf_guard_eval(def, &t->guards[i], cv, av, env, d)) !=
		    QJ_OK)
			return (err);
	*out = t;
	return (QJ_OK);
}

static int
step_done(const struct wf_case_view *cv, const char *id)
{
	int	i;

	for (i = 0; i < cv->nsteps_done; i++)
		if (strcmp(cv->steps_done[i], id) == 0)
			return (1);
	return (0);
}

enum qj_err
wf_step_for(const struct wf_def *def, const struct wf_state *st,
    const struct wf_case_view *cv, const struct wf_actor_view *av,
    char step_id[WF_ID_MAX], struct qj_diag *d)
{
	const struct wf_parallel	*p = st->parallel;
	int				 i;

	(void)def;
	if (p == NULL)
		return (qj_fail(d, QJ_ECONFLICT, "not-in-this-state", "event",
		    "state %s has no parallel steps", st->id));
	if (av->system)
		return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
		    "the system takes no steps"));
	for (i = 0; i < cv->nsteps_done; i++)
		if (cv->steps_done_by != NULL &&
		    cv->steps_done_by[i] == av->person_id)
			return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
			    "you have already taken step %s of %s",
			    cv->steps_done[i], p->id));
	if (p->from_listed) {
		for (i = 0; i < cv->nlisted; i++)
			if (cv->listed[i] == av->person_id)
				break;
		if (i == cv->nlisted)
			return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
			    "only the people this case names take step %s",
			    p->id));
		snprintf(step_id, WF_ID_MAX, "person-%lld",
		    (long long)av->person_id);
		return (QJ_OK);
	}
	if (cv->applicant_id != 0 && av->person_id == cv->applicant_id)
		return (qj_fail(d, QJ_EDENIED, "segregation-of-duties", "event",
		    "nobody endorses their own application (SPEC 1)"));
	for (i = 0; i < p->nsteps; i++) {
		if (step_done(cv, p->steps[i].id))
			continue;
		if (one_matches(&p->steps[i].actor, cv, av)) {
			snprintf(step_id, WF_ID_MAX, "%s", p->steps[i].id);
			return (QJ_OK);
		}
		if (p->sequential)
			return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
			    "step %s comes first (sequential approval)",
			    p->steps[i].id));
	}
	return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
	    "no open step of %s is yours", p->id));
}

int
wf_parallel_complete(const struct wf_parallel *p,
    const struct wf_case_view *cv, int ndone)
{
	if (p->from_listed)
		return (ndone >= cv->nlisted);
	return (ndone >= p->nsteps);
}

enum qj_err
wf_vote_outcome(const struct wf_vote *v, int nmembers,
    const char *const *choice, int chair, char out[WF_ID_MAX],
    struct qj_diag *d)
{
	int	counts[64] = { 0 };
	int	i, j, best = -1, second = -1;

	if (nmembers <= 0 || v->noptions > 64)
		return (qj_fail(d, QJ_EUNPROC, "vote-incomplete", v->id,
		    "the commission has no members"));
	for (i = 0; i < nmembers; i++) {
		if (choice[i] == NULL)
			return (qj_fail(d, QJ_EUNPROC, "vote-incomplete", v->id,
			    "%d of %d members have voted; a decision needs "
			    "every member's vote (%s)", i, nmembers, v->cite));
		for (j = 0; j < v->noptions; j++)
			if (strcmp(choice[i], v->options[j]) == 0)
				break;
		if (j == v->noptions)
			return (qj_fail(d, QJ_EINVAL, "unknown-option", v->id,
			    "%s is not an option of vote %s", choice[i],
			    v->id));
		counts[j]++;
	}
	/* "abstain" is a vote cast, never a decision. */
	for (j = 0; j < v->noptions; j++) {
		if (strcmp(v->options[j], "abstain") == 0)
			continue;
		if (best < 0 || counts[j] > counts[best]) {
			second = best;
			best = j;
		} else if (second < 0 || counts[j] > counts[second])
			second = j;
	}
	if (best >= 0 && counts[best] * 2 > nmembers) {
		snprintf(out, WF_ID_MAX, "%s", v->options[best]);
		return (QJ_OK);
	}
	if (best >= 0 && second >= 0 && counts[best] == counts[second] &&
	    counts[best] > 0 && chair >= 0 && chair < nmembers) {
		if (strcmp(choice[chair], v->options[best]) == 0 ||
		    strcmp(choice[chair], v->options[second]) == 0) {
			snprintf(out, WF_ID_MAX, "%s", choice[chair]);
			return (QJ_OK);
		}
	}
	return (qj_fail(d, QJ_EUNPROC, "no-majority", v->id,
	    "no option has a majority of all %d members and the chair's vote "
	    "does not break a tie (%s)", nmembers, v->cite));
}
