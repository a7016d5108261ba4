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
 *	qj:now()			"now" as RFC 3339 in local time
 *	qj:instant(s)			a date-time, or a date (its local 00:00),
 *					as seconds since the epoch (NaN if bad)
 *	qj:deadline(start, rule)	the due instant of a calendar.h deadline
 *					rule ("next-day 13:00", "4 weeks",
 *					"10 working-days") counted from start (a
 *					date-time, or a date from its local
 *					00:00), RFC 3339 local; "" if bad
 *	qj:before-deadline(start, rule)	true while now < qj:deadline(...);
 *					false when either argument is bad
 *	qj:in-period(kind[, day])	true when day (default today) lies in a
 *					period of that kind of the academic
 *					calendar covering the case's unit
 *	qj:actor-iin()			IIN of the person acting
 *	qj:actor-bin()			BIN of the organisation they act for
 *	qj:applicant-iin()		IIN of the case's applicant
 *	qj:var(name)			a case variable, as a string
 *	qj:event(name)			a member of the event's data, as a string
 *	qj:doc(role)			root element of another document of the case
 *	qj:participants(capacities)	number of people assigned in any of the
 *					space-separated capacities
 *	qj:is-participant(iin, caps)	true when the person with that IIN holds
 *					one of the capacities
 *
 * A transition's `when` (a branch condition) is evaluated the same way,
 * with an empty document as the context node.
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


/* "now" at the calendar's local offset. */
static void
fn_now(xmlXPathParserContextPtr ctxt, int nargs)
{
	const struct wf_guard_env	*env = env_of(ctxt)->env;
	char				 out[QJ_RFC3339_STRLEN + 1] = "";

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (env->cal == NULL || qj_cal_format_local(env->cal, env->now, out) !=
	    QJ_OK)
		(void)qj_rfc3339_format(env->now, 0, out);
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)out));
}

/* A date-time, or a date at 00:00 local time. */
static int
instant_of(const struct wf_guard_env *env, const xmlChar *s, qj_time *t)
{
	qj_day	day;

	if (s == NULL)
		return (0);
	if (qj_rfc3339_parse((const char *)s, t) == QJ_OK)
		return (1);
	if (qj_day_parse((const char *)s, &day) != QJ_OK)
		return (0);
	if (env->cal == NULL) {
		*t = (qj_time)day * 86400;
		return (1);
	}
	return (qj_cal_instant_at(env->cal, day, 0, 0, t) == QJ_OK);
}

static void
fn_instant(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar	*s;
	qj_time	 t;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	s = pop_string(ctxt);
	xmlXPathReturnNumber(ctxt, instant_of(env_of(ctxt)->env, s, &t) ?
	    (double)t : NAN);
	xmlFree(s);
}

/* The due instant of (start, rule); 0 when either is bad. */
static int
due_of(xmlXPathParserContextPtr ctxt, qj_time *due)
{
	const struct wf_guard_env	*env = env_of(ctxt)->env;
	struct qj_deadline_rule		 rule;
	xmlChar				*r = pop_string(ctxt), *s = pop_string(ctxt);
	qj_time				 start;
	int				 ok;

	ok = env->cal != NULL && r != NULL && qj_deadline_parse((const char *)
	    r, &rule, NULL) == QJ_OK && instant_of(env, s, &start) &&
	    qj_deadline_due(env->cal, &rule, start, due) == QJ_OK;
	xmlFree(r);
	xmlFree(s);
	return (ok);
}

static void
fn_deadline(xmlXPathParserContextPtr ctxt, int nargs)
{
	char	out[QJ_RFC3339_STRLEN + 1] = "";
	qj_time	due;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (!due_of(ctxt, &due) || qj_cal_format_local(env_of(ctxt)->env->cal,
	    due, out) != QJ_OK)
		out[0] = '\0';
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)out));
}

static void
fn_before_deadline(xmlXPathParserContextPtr ctxt, int nargs)
{
	qj_time	due;
	int	ok;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	ok = due_of(ctxt, &due);
	xmlXPathReturnBoolean(ctxt, ok && env_of(ctxt)->env->now < due);
}

static void
fn_in_period(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env		*ev = env_of(ctxt);
	const struct wf_period	*p;
	const char		*unit = ev->cv->unit_path ? ev->cv->unit_path :
				    "";
	xmlChar			*kind, *ds = NULL;
	qj_day			 day = ev->env->today;
	int			 i, in = 0, ok = 1;

	if (nargs != 1 && nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (nargs == 2) {
		ds = pop_string(ctxt);
		ok = parse_day(ds, &day);
	}
	kind = pop_string(ctxt);
	for (i = 0; ok && kind != NULL && i < ev->env->nperiods && !in; i++) {
		p = &ev->env->periods[i];
		in = strcmp(p->kind, (const char *)kind) == 0 &&
		    day >= p->from && day <= p->to && (p->unit_path == NULL ||
		    strncmp(unit, p->unit_path, strlen(p->unit_path)) == 0);
	}
	xmlFree(kind);
	xmlFree(ds);
	xmlXPathReturnBoolean(ctxt, in);
}

static void
fn_actor_bin(xmlXPathParserContextPtr ctxt, int nargs)
{
	const char	*bin = env_of(ctxt)->av->bin;

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)(bin ? bin :
	    "")));
}

static void
fn_applicant_iin(xmlXPathParserContextPtr ctxt, int nargs)
{
	const char	*iin = env_of(ctxt)->cv->applicant_iin;

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)(iin ? iin :
	    "")));
}

/* A member of a JSON object text as a string into buf; NULL if none. */
static const char *
json_member(const char *text, const char *name, char *buf, size_t len)
{
	json_t		*o, *v;
	const char	*out = NULL;

	if (text == NULL || (o = json_loads(text, 0, NULL)) == NULL)
		return (NULL);
	v = json_object_get(o, name);
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		out = buf;
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		out = buf;
	} else if (json_is_boolean(v)) {
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
		out = buf;
	}
	json_decref(o);
	return (out);
}

static void
fn_event(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env	*ev = env_of(ctxt);
	xmlChar		*name;
	char		 buf[512];
	const char	*v;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	name = pop_string(ctxt);
	v = name != NULL ? json_member(ev->cv->event_json, (const char *)name,
	    buf, sizeof(buf)) : NULL;
	xmlFree(name);
	xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *)(v ? v : "")));
}

/* 1 when `cap` is one of the space-separated capacities in `list`. */
static int
cap_in(const char *list, const char *cap)
{
	size_t	n = strlen(cap);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, cap, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return (1);
		p = strchr(p, ' ');
	}
	return (0);
}

/* The distinct people holding one of `caps` (list text or array). */
static int
people_in(const struct wf_case_view *cv, const char *list,
    char (*caps)[WF_ID_MAX], int ncaps, int64_t *out, int max)
{
	int	i, j, k, n = 0, hit;

	for (i = 0; i < cv->nparts; i++) {
		hit = 0;
		if (list != NULL)
			hit = cap_in(list, cv->parts[i].capacity);
		for (k = 0; k < ncaps && !hit; k++)
			hit = strcmp(caps[k], cv->parts[i].capacity) == 0;
		if (!hit)
			continue;
		for (j = 0; j < n; j++)
			if (out[j] == cv->parts[i].person_id)
				break;
		if (j == n && n < max)
			out[n++] = cv->parts[i].person_id;
	}
	return (n);
}

static void
fn_participants(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env	*ev = env_of(ctxt);
	xmlChar		*caps;
	int64_t		 who[256];
	int		 n = 0;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	caps = pop_string(ctxt);
	if (caps != NULL)
		n = people_in(ev->cv, (const char *)caps, NULL, 0, who, 256);
	xmlFree(caps);
	xmlXPathReturnNumber(ctxt, (double)n);
}

static void
fn_is_participant(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct eval_env	*ev = env_of(ctxt);
	xmlChar		*caps, *iin;
	int		 i, hit = 0;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	caps = pop_string(ctxt);
	iin = pop_string(ctxt);
	for (i = 0; caps != NULL && iin != NULL && i < ev->cv->nparts && !hit;
	    i++)
		hit = ev->cv->parts[i].iin != NULL &&
		    strcmp(ev->cv->parts[i].iin, (const char *)iin) == 0 &&
		    cap_in((const char *)caps, ev->cv->parts[i].capacity);
	xmlFree(caps);
	xmlFree(iin);
	xmlXPathReturnBoolean(ctxt, hit);
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
	{ "now", fn_now },
	{ "instant", fn_instant },
	{ "deadline", fn_deadline },
	{ "before-deadline", fn_before_deadline },
	{ "in-period", fn_in_period },
	{ "actor-bin", fn_actor_bin },
	{ "applicant-iin", fn_applicant_iin },
	{ "event", fn_event },
	{ "participants", fn_participants },
	{ "is-participant", fn_is_participant },
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

/* libxml2 reports some XPath errors (an unbound function prefix) through
 * the generic handler, not the structured one. */
static void
generic_silent(void *arg, const char *msg, ...)
{
	(void)arg;
	(void)msg;
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
	xmlSetGenericErrorFunc(NULL, generic_silent);
	res = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlXPathFreeContext(ctx);
	return (res);
}

static xmlDocPtr
empty_doc(void)
{
	xmlDocPtr	doc = xmlNewDoc((const xmlChar *)"1.0");

	xmlDocSetRootElement(doc, xmlNewNode(NULL, (const xmlChar *)"empty"));
	return (doc);
}

enum qj_err
wf_guard_eval(const struct wf_def *def, const struct wf_guard *g,
    const struct wf_case_view *cv, const struct wf_actor_view *av,
    const struct wf_guard_env *env, struct qj_diag *d)
{
	struct eval_env		 ev = { cv, av, env };
	xmlXPathObjectPtr	 res;
	xmlDocPtr		 doc, own = NULL;
	int			 ok;

	if (g->document == NULL)
		doc = own = empty_doc();
	else
		doc = cv->doc != NULL ? cv->doc(cv->doc_arg, g->document) :
		    NULL;
	if (doc == NULL)
		return (qj_fail(d, QJ_EUNPROC, "guard-failed", g->id,
		    "%s (rule %s, %s): the case has no %s document",
		    wf_text(&g->message, env->lang), g->id, g->cite,
		    g->document));
	res = evaluate(def, doc, g->test, &ev);
	if (own != NULL)
		xmlFreeDoc(own);
	if (res == NULL)
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

/* Evaluates `expr` once against the empty document; -1 if it does not. */
static int
selftest_one(const struct wf_def *def, xmlDocPtr doc, const char *expr,
    struct eval_env *ev, int line, const char *what, enum qj_err *err,
    struct qj_diag *d)
{
	xmlXPathObjectPtr	res;

	if ((res = evaluate(def, doc, expr, ev)) == NULL) {
		*err = qj_fail(d, QJ_EINVAL, "bad-definition", def->file,
		    "%s:%d: %s does not evaluate (unknown prefix or "
		    "function?)", def->file, line, what);
		return (-1);
	}
	xmlXPathFreeObject(res);
	return (0);
}

/* The XPath of a "doc:ROLE:XPATH" reference, or NULL. */
static const char *
ref_xpath(const char *ref)
{
	const char	*c;

	if (ref == NULL || strncmp(ref, "doc:", 4) != 0 ||
	    (c = strchr(ref + 4, ':')) == NULL)
		return (NULL);
	return (c + 1);
}

int
wf_guard_selftest(const struct wf_def *def, enum qj_err *err,
    struct qj_diag *d)
{
	struct wf_case_view		 cv;
	struct wf_actor_view		 av;
	struct wf_guard_env		 env;
	struct eval_env			 ev = { &cv, &av, &env };
	const struct wf_transition	*t;
	const struct wf_parallel	*p;
	const char			*x;
	char				 what[96];
	xmlDocPtr			 doc;
	int				 i, j, k, rc = 0;

	memset(&cv, 0, sizeof(cv));
	memset(&av, 0, sizeof(av));
	memset(&env, 0, sizeof(env));
	doc = empty_doc();
	cv.state = "";
	cv.unit_path = "";
	cv.doc = no_doc;
	cv.doc_arg = doc;
	for (i = 0; i < def->ntransitions && rc == 0; i++) {
		t = &def->transitions[i];
		for (j = 0; j < t->nguards && rc == 0; j++) {
			snprintf(what, sizeof(what), "guard %s",
			    t->guards[j].id);
			rc = selftest_one(def, doc, t->guards[j].test, &ev,
			    t->guards[j].line, what, err, d);
		}
		if (rc == 0 && t->when != NULL) {
			snprintf(what, sizeof(what), "when of %s", t->event);
			rc = selftest_one(def, doc, t->when, &ev, t->line, what,
			    err, d);
		}
		for (j = 0; j < t->nvars && rc == 0; j++)
			if ((x = ref_xpath(t->vars[j].from)) != NULL)
				rc = selftest_one(def, doc, x, &ev, t->line,
				    t->vars[j].from, err, d);
		for (j = 0; j < t->ndeadlines && rc == 0; j++) {
			if ((x = ref_xpath(t->deadlines[j].at)) != NULL ||
			    (x = ref_xpath(t->deadlines[j].from)) != NULL)
				rc = selftest_one(def, doc, x, &ev, t->line,
				    t->deadlines[j].id, err, d);
		}
		for (j = 0; j < t->ncancels && rc == 0; j++)
			if ((x = ref_xpath(t->cancels[j].occurrence)) != NULL)
				rc = selftest_one(def, doc, x, &ev, t->line,
				    t->cancels[j].id, err, d);
	}
	for (i = 0; i < def->nstates && rc == 0; i++) {
		if ((p = def->states[i].parallel) == NULL)
			continue;
		for (j = 0; j < p->nsteps && rc == 0; j++)
			for (k = 0; k < p->steps[j].nguards && rc == 0; k++) {
				snprintf(what, sizeof(what), "guard %s",
				    p->steps[j].guards[k].id);
				rc = selftest_one(def, doc,
				    p->steps[j].guards[k].test, &ev,
				    p->steps[j].guards[k].line, what, err, d);
			}
	}
	xmlFreeDoc(doc);
	return (rc);
}

int
wf_ref_valid(const char *ref)
{
	const char	*c, *r;
	xmlXPathCompExprPtr comp;

	if (ref == NULL)
		return (0);
	if (strncmp(ref, "event:", 6) == 0)
		return (ref[6] != '\0');
	if (strncmp(ref, "var:", 4) == 0)
		return (ref[4] != '\0');
	if (strncmp(ref, "doc:", 4) != 0 || (c = strchr(ref + 4, ':')) ==
	    NULL || c == ref + 4 || c[1] == '\0')
		return (0);
	for (r = ref + 4; r < c; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') ||
		    *r == '-'))
			return (0);
	xmlSetStructuredErrorFunc(NULL, silent);
	comp = xmlXPathCompile((const xmlChar *)(c + 1));
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (comp == NULL)
		return (0);
	xmlXPathFreeCompExpr(comp);
	return (1);
}

enum qj_err
wf_ref_value(const struct wf_def *def, const char *ref,
    const struct wf_case_view *cv, const struct wf_actor_view *av,
    const struct wf_guard_env *env, char *out, size_t outlen,
    struct qj_diag *d)
{
	struct eval_env		 ev = { cv, av, env };
	xmlXPathObjectPtr	 res;
	xmlDocPtr		 doc;
	xmlChar			*s;
	const char		*c, *v = NULL;
	char			 role[WF_ID_MAX];

	out[0] = '\0';
	if (strncmp(ref, "event:", 6) == 0)
		v = json_member(cv->event_json, ref + 6, out, outlen);
	else if (strncmp(ref, "var:", 4) == 0)
		v = json_member(cv->vars_json, ref + 4, out, outlen);
	else if ((c = ref_xpath(ref)) != NULL) {
		snprintf(role, sizeof(role), "%.*s", (int)(c - 1 - (ref + 4)),
		    ref + 4);
		doc = cv->doc != NULL ? cv->doc(cv->doc_arg, role) : NULL;
		if (doc == NULL)
			return (qj_fail(d, QJ_ENOTFOUND, "no-value", ref,
			    "the case has no %s document for %s", role, ref));
		if ((res = evaluate(def, doc, c, &ev)) == NULL)
			return (qj_fail(d, QJ_EINTERNAL, "select-error", ref,
			    "%s: %s does not evaluate", def->id, ref));
		s = xmlXPathCastToString(res);
		snprintf(out, outlen, "%s", s ? (const char *)s : "");
		xmlFree(s);
		xmlXPathFreeObject(res);
		v = out[0] != '\0' ? out : NULL;
	}
	if (v == NULL)
		return (qj_fail(d, QJ_ENOTFOUND, "no-value", ref,
		    "%s has no value", ref));
	return (QJ_OK);
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

static enum qj_err
when_holds(const struct wf_def *def, const struct wf_transition *t,
    const struct wf_case_view *cv, const struct wf_actor_view *av,
    const struct wf_guard_env *env, int *holds, struct qj_diag *d)
{
	struct eval_env		 ev = { cv, av, env };
	xmlXPathObjectPtr	 res;
	xmlDocPtr		 doc = empty_doc();

	res = evaluate(def, doc, t->when, &ev);
	if (res == NULL) {
		xmlFreeDoc(doc);
		return (qj_fail(d, QJ_EINTERNAL, "guard-error", "event",
		    "the condition of %s in %s did not evaluate", t->event,
		    def->id));
	}
	*holds = xmlXPathCastToBoolean(res);
	xmlXPathFreeObject(res);
	xmlFreeDoc(doc);
	return (QJ_OK);
}

/* *t is the first candidate; on return, the branch taken. */
static enum qj_err
choose_branch(const struct wf_def *def, const struct wf_case_view *cv,
    const struct wf_actor_view *av, const struct wf_guard_env *env,
    const struct wf_transition **t, struct qj_diag *d)
{
	const struct wf_transition	*c;
	enum qj_err			 err;
	int				 holds;

	for (c = *t; c != NULL; c = wf_find_next(def, c, cv->state)) {
		if (c->when == NULL) {
			*t = c;
			return (QJ_OK);
		}
		if ((err = when_holds(def, c, cv, av, env, &holds, d)) !=
		    QJ_OK)
			return (err);
		if (holds) {
			*t = c;
			return (QJ_OK);
		}
	}
	return (qj_fail(d, QJ_EUNPROC, "no-branch", "event", "no branch of %s "
	    "applies in state %s", (*t)->event, cv->state));
}

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
	/* Branches: the first transition whose `when` holds. */
	if ((err = choose_branch(def, cv, av, env, &t, d)) != QJ_OK)
		return (err);
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
	/* Data from a person is what the transition declares, no more. */
	if (!av->system && (err = wf_inputs_check(t, cv->event_json, d)) !=
	    QJ_OK)
		return (err);
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
	int				 i, own = 0;

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
	if (p->steps_from != WF_STEPS_FIXED) {
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
	for (i = 0; i < p->nsteps; i++) {
		if (step_done(cv, p->steps[i].id))
			continue;
		if (one_matches(&p->steps[i].actor, cv, av)) {
			/* SPEC 1: the applicant signs only as the applicant. */
			if (p->steps[i].actor.kind != WF_ACTOR_APPLICANT &&
			    cv->applicant_id != 0 &&
			    av->person_id == cv->applicant_id) {
				own = 1;
				continue;
			}
			snprintf(step_id, WF_ID_MAX, "%s", p->steps[i].id);
			return (QJ_OK);
		}
		if (p->sequential)
			return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
			    "step %s comes first (sequential approval)",
			    p->steps[i].id));
	}
	if (own)
		return (qj_fail(d, QJ_EDENIED, "segregation-of-duties", "event",
		    "nobody endorses their own application (SPEC 1)"));
	return (qj_fail(d, QJ_EDENIED, "not-your-step", "event",
	    "no open step of %s is yours", p->id));
}

int
wf_parallel_people(const struct wf_parallel *p, const struct wf_case_view *cv,
    int64_t *out, int max)
{
	if (p->steps_from != WF_STEPS_PARTICIPANTS)
		return (0);
	return (people_in(cv, NULL, p->capacities, p->ncapacities, out, max));
}

int
wf_parallel_complete(const struct wf_parallel *p,
    const struct wf_case_view *cv, int ndone)
{
	if (p->steps_from != WF_STEPS_FIXED)
		return (cv->nlisted > 0 && ndone >= cv->nlisted);
	return (ndone >= p->nsteps);
}

enum qj_err
wf_step_guards(const struct wf_def *def, const struct wf_state *st,
    const char *step_id, const struct wf_case_view *cv,
    const struct wf_actor_view *av, const struct wf_guard_env *env,
    struct qj_diag *d)
{
	const struct wf_step	*s = NULL;
	enum qj_err		 err;
	int			 i;

	for (i = 0; st->parallel != NULL && i < st->parallel->nsteps; i++)
		if (strcmp(st->parallel->steps[i].id, step_id) == 0)
			s = &st->parallel->steps[i];
	for (i = 0; s != NULL && i < s->nguards; i++)
		if ((err = wf_guard_eval(def, &s->guards[i], cv, av, env, d)) !=
		    QJ_OK)
			return (err);
	return (QJ_OK);
}

static int
input_ok(const struct wf_input *in, json_t *v)
{
	qj_day	day;
	qj_time	t;
	size_t	n;

	switch (in->type) {
	case WF_IN_STRING:
		n = json_is_string(v) ? strlen(json_string_value(v)) : 0;
		return (n >= 1 && n <= 200);
	case WF_IN_DATE:
		return (json_is_string(v) && qj_day_parse(json_string_value(v),
		    &day) == QJ_OK);
	case WF_IN_DATETIME:
		return (json_is_string(v) && qj_rfc3339_parse(
		    json_string_value(v), &t) == QJ_OK);
	case WF_IN_INTEGER:
		return (json_is_integer(v));
	case WF_IN_BOOLEAN:
		return (json_is_boolean(v));
	}
	return (0);
}

enum qj_err
wf_inputs_check(const struct wf_transition *t, const char *data_json,
    struct qj_diag *d)
{
	static const char *const tnames[] = { "a string of 1..200 characters",
	    "a date YYYY-MM-DD", "an RFC 3339 date-time with offset",
	    "an integer", "true or false" };
	json_t		*o = NULL, *v;
	const char	*key;
	enum qj_err	 err = QJ_OK;
	int		 i;

	if (data_json != NULL && (o = json_loads(data_json, 0, NULL)) == NULL)
		return (qj_fail(d, QJ_EINVAL, "bad-input", "data",
		    "data must be a JSON object"));
	json_object_foreach(o, key, v) {
		for (i = 0; i < t->ninputs; i++)
			if (strcmp(t->inputs[i].name, key) == 0)
				break;
		if (i == t->ninputs) {
			err = qj_fail(d, QJ_EUNPROC, "bad-input", key,
			    "%s takes no input %s", t->event, key);
			goto out;
		}
		if (!input_ok(&t->inputs[i], v)) {
			err = qj_fail(d, QJ_EUNPROC, "bad-input", key,
			    "input %s of %s must be %s", key, t->event,
			    tnames[t->inputs[i].type]);
			goto out;
		}
	}
	for (i = 0; i < t->ninputs; i++)
		if (t->inputs[i].required && json_object_get(o,
		    t->inputs[i].name) == NULL) {
			err = qj_fail(d, QJ_EUNPROC, "bad-input",
			    t->inputs[i].name, "%s needs input %s (%s)",
			    t->event, t->inputs[i].name,
			    tnames[t->inputs[i].type]);
			goto out;
		}
out:
	if (o != NULL)
		json_decref(o);
	return (err);
}

enum qj_err
wf_assign_check(const struct wf_def *def, const struct wf_case_view *cv,
    const struct wf_actor_view *av, int64_t person, const char *capacity,
    struct qj_diag *d)
{
	const struct wf_capacity	*cap = NULL;
	const struct wf_exclusive	*ex;
	int64_t				 who[256];
	int				 i, j, k, n;

	/* SPEC 1: nobody sits in judgement on their own application. */
	if (cv->applicant_id != 0 && person == cv->applicant_id)
		return (qj_fail(d, QJ_EDENIED, "segregation-of-duties",
		    "person_id", "the applicant cannot take part in their own "
		    "case as %s (SPEC 1)", capacity));
	if (def->ncapacities > 0) {
		if ((cap = wf_capacity(def, capacity)) == NULL)
			return (qj_fail(d, QJ_EUNPROC, "unknown-capacity",
			    "capacity", "%s assigns no one as %s", def->id,
			    capacity));
		if (!wf_actor_matches(cap->assigners, cap->nassigners, cv, av))
			return (qj_fail(d, QJ_EDENIED, "wrong-actor",
			    "capacity", "you may not assign a %s (%s)",
			    capacity, cap->cite ? cap->cite : def->id));
	}
	for (i = 0; i < cv->nparts; i++)
		if (cv->parts[i].person_id == person &&
		    strcmp(cv->parts[i].capacity, capacity) == 0)
			return (qj_fail(d, QJ_ECONFLICT, "already-assigned",
			    "person_id", "this person is already %s of the "
			    "case", capacity));
	if (cap != NULL && cap->max > 0) {
		n = people_in(cv, capacity, NULL, 0, who, 256);
		if (n >= cap->max)
			return (qj_fail(d, QJ_ECONFLICT, "capacity-full",
			    "capacity", "the case already has %d %s (at most "
			    "%d; %s)", n, capacity, cap->max, cap->cite ?
			    cap->cite : def->id));
	}
	for (i = 0; i < def->nexclusives; i++) {
		ex = &def->exclusives[i];
		for (j = 0; j < ex->ncapacities; j++)
			if (strcmp(ex->capacities[j], capacity) == 0)
				break;
		if (j == ex->ncapacities)
			continue;
		for (k = 0; k < cv->nparts; k++) {
			if (cv->parts[k].person_id != person ||
			    strcmp(cv->parts[k].capacity, capacity) == 0)
				continue;
			for (j = 0; j < ex->ncapacities; j++)
				if (strcmp(ex->capacities[j],
				    cv->parts[k].capacity) == 0)
					return (qj_fail(d, QJ_EDENIED,
					    "segregation-of-duties",
					    "person_id", "a %s of the case "
					    "cannot also be its %s (%s)",
					    cv->parts[k].capacity, capacity,
					    ex->cite ? ex->cite : "SPEC 1"));
		}
	}
	return (QJ_OK);
}

enum qj_err
wf_vote_outcome(const struct wf_vote *v, int nmembers,
    const char *const *choice, int chair, char out[WF_ID_MAX],
    struct qj_diag *d)
{
	int	counts[64] = { 0 };
	int	i, j, best = -1, second = -1, voted = 0;

	if (nmembers <= 0 || v->noptions > 64)
		return (qj_fail(d, QJ_EUNPROC, "vote-incomplete", v->id,
		    "the commission has no members"));
	for (i = 0; i < nmembers; i++) {
		if (choice[i] == NULL)
			continue;
		for (j = 0; j < v->noptions; j++)
			if (strcmp(choice[i], v->options[j]) == 0)
				break;
		if (j == v->noptions)
			return (qj_fail(d, QJ_EINVAL, "unknown-option", v->id,
			    "%s is not an option of vote %s", choice[i],
			    v->id));
		counts[j]++;
		voted++;
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
	/* A majority of ALL members decides, whoever is still to vote. */
	if (best >= 0 && counts[best] * 2 > nmembers) {
		snprintf(out, WF_ID_MAX, "%s", v->options[best]);
		return (QJ_OK);
	}
	if (voted < nmembers)
		return (qj_fail(d, QJ_EUNPROC, "vote-incomplete", v->id,
		    "%d of %d members have voted and no option has a majority "
		    "of all members yet (%s)", voted, nmembers, v->cite));
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
