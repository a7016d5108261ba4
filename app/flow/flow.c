/*
 * flow.c: the case runtime (see flow.h).
 *
 * flow_fire() is the heart: lock the case row, check the version the
 * caller saw, let the engine core decide (state, actor, segregation,
 * guards), then apply the transition's effects in order — supplied
 * document, verified signature, parallel step or vote, new state, case
 * variables, deadlines set and cancelled, registration number, the cases
 * an order lists, a sub-case — write the audit event, and rebuild the
 * inbox rows.  An event several transitions handle takes the first branch
 * whose `when` holds; event data an actor supplies must be the inputs the
 * transition declares.  Events that follow by themselves (the last visa completes
 * the approval sheet, every member has voted) are fired in the same
 * transaction by the system actor.  The recursion is bounded by
 * FLOW_MAX_DEPTH so a definition cannot loop the server.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/xades.h"
#include "core/xmlsafe.h"
#include "flow/flow.h"
#include "flow/flow_audit.h"
#include "store/people.h"

#define FLOW_MAX_DEPTH		8
#define FLOW_MAX_DOCS		16
#define FLOW_CAL_TTL		5	/* seconds a thread keeps its calendar */

const struct flow_actor flow_system = { 0, 1, "system", NULL, NULL, NULL, 0 };

/* ---- definitions of earlier versions ------------------------------------- */

static pthread_mutex_t	 old_defs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wf_def	**old_defs;	/* loaded from workflow_def; kept */
static int		 nold_defs;

enum qj_err
flow_def(struct flow_env *env, const char *id, int version,
    const struct wf_def **out, struct qj_diag *d)
{
	const struct wf_def	*cur = wf_set_find(env->wfs, id);
	struct wf_def		*def = NULL;
	PGresult		*res = NULL;
	enum qj_err		 err;
	char			 name[96];
	int			 i;

	if (cur != NULL && cur->version == version) {
		*out = cur;
		return (QJ_OK);
	}
	pthread_mutex_lock(&old_defs_lock);
	for (i = 0; i < nold_defs; i++)
		if (strcmp(old_defs[i]->id, id) == 0 &&
		    old_defs[i]->version == version) {
			*out = old_defs[i];
			pthread_mutex_unlock(&old_defs_lock);
			return (QJ_OK);
		}
	pthread_mutex_unlock(&old_defs_lock);
	if ((err = cases_def_source(env->db, id, version, &res, d)) != QJ_OK)
		return (err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return (qj_fail(d, QJ_EINTERNAL, "unknown-definition", "",
		    "workflow %s version %d is not recorded", id, version));
	}
	snprintf(name, sizeof(name), "%s@%d", id, version);
	err = wf_load_mem(name, qj_db_str(res, 0, 0),
	    strlen(qj_db_str(res, 0, 0)), env->wf_xsd, &def, d);
	PQclear(res);
	if (err != QJ_OK)
		return (err);
	pthread_mutex_lock(&old_defs_lock);
	old_defs = realloc(old_defs, sizeof(*old_defs) * (size_t)(nold_defs +
	    1));
	old_defs[nold_defs++] = def;
	pthread_mutex_unlock(&old_defs_lock);
	*out = def;
	return (QJ_OK);
}

/* ---- the calendar, per thread ---------------------------------------------- */

static _Thread_local struct qj_calendar	*tl_cal;
static _Thread_local qj_time		 tl_cal_at;
/* The academic calendar (table academic_period), reloaded with tl_cal. */
static _Thread_local struct wf_period	*tl_periods;
static _Thread_local int		 tl_nperiods;
static _Thread_local char		*tl_period_paths;

/* Reads academic_period into the thread's copy. */
static enum qj_err
load_periods(struct flow_env *env, struct qj_diag *d)
{
	struct wf_period	*p = NULL;
	PGresult		*res = NULL;
	enum qj_err		 err;
	char			*paths = NULL;
	size_t			 off = 0, len = 1;
	int			 i, n;

	if ((err = qj_db_exec(env->db, &res, "SELECT ap.kind, coalesce(u.path, "
	    "''), ap.starts_on::text, ap.ends_on::text FROM academic_period "
	    "ap LEFT JOIN unit u ON u.id = ap.unit_id ORDER BY ap.starts_on, "
	    "ap.id", NULL, d)) != QJ_OK)
		return (err);
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		len += strlen(qj_db_str(res, i, 1)) + 1;
	if ((p = calloc((size_t)n + 1, sizeof(*p))) == NULL ||
	    (paths = malloc(len)) == NULL) {
		free(p);
		PQclear(res);
		return (QJ_ENOMEM);
	}
	for (i = 0; i < n; i++) {
		snprintf(p[i].kind, sizeof(p[i].kind), "%s",
		    qj_db_str(res, i, 0));
		memcpy(paths + off, qj_db_str(res, i, 1),
		    strlen(qj_db_str(res, i, 1)) + 1);
		p[i].unit_path = paths[off] != '\0' ? paths + off : NULL;
		off += strlen(qj_db_str(res, i, 1)) + 1;
		if (qj_day_parse(qj_db_str(res, i, 2), &p[i].from) != QJ_OK ||
		    qj_day_parse(qj_db_str(res, i, 3), &p[i].to) != QJ_OK)
			p[i].from = 1, p[i].to = 0;	/* never matches */
	}
	PQclear(res);
	free(tl_periods);
	free(tl_period_paths);
	tl_periods = p;
	tl_nperiods = n;
	tl_period_paths = paths;
	return (QJ_OK);
}

enum qj_err
flow_calendar(struct flow_env *env, struct qj_diag *d)
{
	struct qj_calendar	*cal;
	PGresult		*days = NULL, *zones = NULL;
	enum qj_err		 err;
	qj_time			 real = qj_now() - qj_clock_offset();
	qj_day			 day;
	int			 i;

	if (tl_cal != NULL && real - tl_cal_at < FLOW_CAL_TTL &&
	    real >= tl_cal_at) {
		env->cal = tl_cal;
		return (QJ_OK);
	}
	if ((err = calendar_rows(env->db, &days, &zones, d)) != QJ_OK ||
	    (err = load_periods(env, d)) != QJ_OK)
		return (err);
	if ((cal = qj_calendar_new()) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	for (i = 0; i < PQntuples(days); i++)
		if (qj_day_parse(qj_db_str(days, i, 0), &day) == QJ_OK)
			qj_calendar_set_day(cal, day, qj_db_bool(days, i, 1));
	for (i = 0; i < PQntuples(zones); i++)
		if (qj_day_parse(qj_db_str(zones, i, 0), &day) == QJ_OK)
			qj_calendar_add_zone_rule(cal, day,
			    (int)qj_db_i64(zones, i, 1));
	qj_calendar_free(tl_cal);
	tl_cal = cal;
	tl_cal_at = real;
	env->cal = cal;
out:
	PQclear(days);
	PQclear(zones);
	return (err);
}

static qj_day
local_today(struct flow_env *env)
{
	qj_day	day = (qj_day)(env->now / 86400);

	if (env->cal != NULL)
		qj_cal_local_day(env->cal, env->now, &day);
	return (day);
}

/* What guards see of the world: calendar, clock, academic periods. */
static void
guard_env(struct flow_env *env, struct wf_guard_env *g)
{
	memset(g, 0, sizeof(*g));
	g->cal = env->cal;
	g->today = local_today(env);
	g->lang = env->lang;
	g->now = env->now;
	g->periods = tl_periods;
	g->nperiods = tl_nperiods;
}

/* ---- documents of a case, parsed on demand --------------------------------- */

struct doc_cache {
	struct flow_env	*env;
	int64_t		 case_id;
	int64_t		 parent_id;
	int		 n;
	char		 role[FLOW_MAX_DOCS][WF_ID_MAX + 8];
	xmlDocPtr	 doc[FLOW_MAX_DOCS];
};

static xmlDocPtr
cache_doc(void *arg, const char *role)
{
	struct doc_cache	*dc = arg;
	struct qj_diag		 d;
	PGresult		*res = NULL;
	xmlDocPtr		 doc = NULL;
	int64_t			 case_id = dc->case_id;
	const char		*r = role;
	int			 i;

	for (i = 0; i < dc->n; i++)
		if (strcmp(dc->role[i], role) == 0)
			return (dc->doc[i]);
	if (dc->n == FLOW_MAX_DOCS)
		return (NULL);
	if (strncmp(role, "parent:", 7) == 0) {
		case_id = dc->parent_id;
		r = role + 7;
	}
	if (case_id != 0 && case_doc_current(dc->env->db, case_id, r, &res,
	    &d) == QJ_OK && PQntuples(res) == 1)
		(void)qj_xml_parse(qj_db_str(res, 0, 4),
		    strlen(qj_db_str(res, 0, 4)), 0, &doc, &d);
	PQclear(res);
	snprintf(dc->role[dc->n], sizeof(dc->role[0]), "%s", role);
	dc->doc[dc->n++] = doc;
	return (doc);
}

/* Puts a document the request brings in place of the stored one. */
static void
cache_put(struct doc_cache *dc, const char *role, const char *bytes,
    size_t len)
{
	struct qj_diag	d;
	xmlDocPtr	doc = NULL;

	if (dc->n == FLOW_MAX_DOCS || qj_xml_parse(bytes, len, 0, &doc, &d) !=
	    QJ_OK)
		return;
	snprintf(dc->role[dc->n], sizeof(dc->role[0]), "%s", role);
	dc->doc[dc->n++] = doc;
}

static void
cache_free(struct doc_cache *dc)
{
	int	i;

	for (i = 0; i < dc->n; i++)
		if (dc->doc[i] != NULL)
			xmlFreeDoc(dc->doc[i]);
	dc->n = 0;
}

/* ---- the view of a case and of an actor ------------------------------------ */

#define VIEW_MAX_PARTS	128

struct view {
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct doc_cache	 dc;
	PGresult		*steps;		/* of the current round */
	const char		*step_ids[64];
	int64_t			 step_by[64];
	PGresult		*parts;		/* participants, applicant IIN */
	struct wf_participant	 part[VIEW_MAX_PARTS];
	const char		*caps[16];	/* the actor's capacities */
	int64_t			 listed[256];	/* per-person step takers */
	char			*event_json;	/* owned: the event's data */
};

/*
 * The applicant's IIN and the participants with their IINs: one row per
 * participant capacity (or one row of NULLs): applicant_iin, person_id,
 * capacity, login, iin.
 */
static enum qj_err
parts_query(struct flow_env *env, const struct case_row *c, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, c->id);
	qj_p_i64(&p, c->applicant_id);
	return (qj_db_exec(env->db, res, "SELECT a.iin, cp.person_id, "
	    "cp.capacity, pe.login, pe.iin FROM (SELECT $2::bigint AS id) x "
	    "LEFT JOIN person a ON a.id = x.id LEFT JOIN case_participant cp "
	    "ON cp.case_id = $1 LEFT JOIN person pe ON pe.id = cp.person_id "
	    "ORDER BY cp.assigned_at, cp.person_id, cp.capacity", &p, d));
}

/* 1 when anything in the definition acts through case participants. */
static int
uses_participants(const struct wf_def *def)
{
	int	i, j;

	for (i = 0; i < def->nstates; i++) {
		if (def->states[i].vote != NULL)
			return (1);
		for (j = 0; def->states[i].parallel != NULL &&
		    j < def->states[i].parallel->nsteps; j++)
			if (def->states[i].parallel->steps[j].actor.kind ==
			    WF_ACTOR_PARTICIPANT)
				return (1);
	}
	for (i = 0; i < def->ntransitions; i++)
		for (j = 0; j < def->transitions[i].nactors; j++)
			if (def->transitions[i].actors[j].kind ==
			    WF_ACTOR_PARTICIPANT)
				return (1);
	return (0);
}

static enum qj_err
view_build(struct flow_env *env, const struct flow_actor *a,
    const struct case_row *c, const struct wf_def *def, struct view *v,
    struct qj_diag *d)
{
	const struct wf_state	*st = wf_state(def, c->state);
	PGresult		*links = NULL;
	enum qj_err		 err;
	int			 i, n;

	memset(v, 0, sizeof(*v));
	v->dc.env = env;
	v->dc.case_id = c->id;
	v->dc.parent_id = c->parent_id;
	v->cv.state = c->state;
	v->cv.applicant_id = c->applicant_id;
	v->cv.unit_path = c->unit_path;
	v->cv.vars_json = c->vars;
	v->cv.doc = cache_doc;
	v->cv.doc_arg = &v->dc;
	v->av.person_id = a->person_id;
	v->av.system = a->system;
	v->av.iin = a->iin;
	v->av.bin = a->bin;
	v->av.grants = a->grants;
	v->av.ngrants = a->ngrants;
	/* Skipped where nobody acts as a participant and nothing reads the
	 * case's people (one query less on every transition of such
	 * workflows). */
	if ((uses_participants(def) || def->uses_people) &&
	    (err = parts_query(env, c, &v->parts, d)) != QJ_OK)
		return (err);
	n = v->parts != NULL ? PQntuples(v->parts) : 0;
	if (n > 0 && !qj_db_isnull(v->parts, 0, 0))
		v->cv.applicant_iin = qj_db_str(v->parts, 0, 0);
	for (i = 0; i < n && v->cv.nparts < VIEW_MAX_PARTS; i++) {
		struct wf_participant *p = &v->part[v->cv.nparts];

		if (qj_db_isnull(v->parts, i, 1))
			continue;
		p->person_id = qj_db_i64(v->parts, i, 1);
		p->capacity = qj_db_str(v->parts, i, 2);
		p->iin = qj_db_str(v->parts, i, 4);
		v->cv.nparts++;
		if (p->person_id == a->person_id && !a->system &&
		    v->av.ncapacities < 16)
			v->caps[v->av.ncapacities++] = p->capacity;
	}
	v->cv.parts = v->part;
	v->av.capacities = v->caps;
	if (st != NULL && st->parallel != NULL) {
		if ((err = steps_of(env->db, c->id, c->round, st->parallel->id,
		    &v->steps, d)) != QJ_OK)
			return (err);
		for (i = 0; i < PQntuples(v->steps) && i < 64; i++) {
			v->step_ids[i] = qj_db_str(v->steps, i, 0);
			v->step_by[i] = qj_db_i64(v->steps, i, 1);
		}
		v->cv.steps_done = v->step_ids;
		v->cv.steps_done_by = v->step_by;
		v->cv.nsteps_done = i;
		if (st->parallel->steps_from == WF_STEPS_LISTED) {
			if ((err = links_from(env->db, c->id, &links, d)) !=
			    QJ_OK)
				return (err);
			for (i = 0; i < PQntuples(links) && i < 256; i++)
				v->listed[v->cv.nlisted++] =
				    qj_db_i64(links, i, 4);
			PQclear(links);
		} else if (st->parallel->steps_from == WF_STEPS_PARTICIPANTS)
			v->cv.nlisted = wf_parallel_people(st->parallel, &v->cv,
			    v->listed, 256);
		v->cv.listed = v->listed;
	}
	return (QJ_OK);
}

/* Gives the view the event's data (for `when`, guards and references). */
static void
view_event(struct view *v, const json_t *data)
{
	free(v->event_json);
	v->event_json = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
	v->cv.event_json = v->event_json;
}

static void
view_free(struct view *v)
{
	cache_free(&v->dc);
	PQclear(v->steps);
	PQclear(v->parts);
	v->steps = v->parts = NULL;
	free(v->event_json);
	v->event_json = NULL;
	v->cv.event_json = NULL;
}

/* ---- helpers ----------------------------------------------------------------- */

void
flow_doc_uri(const char *sha256, char out[80])
{
	snprintf(out, 80, "documents/%s.xml", sha256);
}

static enum qj_commitment
to_sig_commitment(enum wf_commitment c)
{
	switch (c) {
	case WF_COMMIT_APPROVAL:
		return (QJ_COMMIT_APPROVAL);
	case WF_COMMIT_ORIGIN:
		return (QJ_COMMIT_ORIGIN);
	case WF_COMMIT_RECEIPT:
		return (QJ_COMMIT_RECEIPT);
	default:
		return (QJ_COMMIT_ANY);
	}
}

/*
 * Gives the case an attachment that belongs to one of env->attach_cases
 * (nothing when it belongs to none: attachment_link then decides).
 */
static enum qj_err
attachment_share(struct flow_env *env, int64_t case_id, const char *sha,
    int64_t cd_id, struct qj_diag *d)
{
	struct qj_params	 p;
	struct qj_buf		 ids = QJ_BUF_INIT;
	enum qj_err		 err;
	int			 i;

	qj_buf_puts(&ids, "{");
	for (i = 0; i < env->nattach_cases; i++)
		qj_buf_printf(&ids, "%s%lld", i ? "," : "",
		    (long long)env->attach_cases[i]);
	qj_buf_puts(&ids, "}");
	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, sha);
	qj_p_i64(&p, cd_id);
	qj_p_i64(&p, env->now);
	qj_p_str(&p, ids.data);
	err = qj_db_exec(env->db, NULL, "INSERT INTO case_attachment (case_id, "
	    "sha256, case_document_id, linked_at) SELECT $1, $2, $3, "
	    "to_timestamp($4) WHERE EXISTS (SELECT 1 FROM case_attachment "
	    "WHERE sha256 = $2 AND case_id = ANY($5::bigint[])) ON CONFLICT "
	    "(case_id, sha256) DO NOTHING", &p, d);
	qj_buf_free(&ids);
	return (err);
}

/*
 * Links every attachment the document names (c:sha256 elements of the
 * common namespace): each must be the case's already, or uploaded by the
 * person storing the document, or one of env->attach_cases'.
 */
static enum qj_err
link_attachments(struct flow_env *env, int64_t case_id, const char *bytes,
    size_t len, int64_t by, int64_t cd_id, struct qj_diag *d)
{
	xmlDocPtr		 doc = NULL;
	xmlXPathContextPtr	 ctx = NULL;
	xmlXPathObjectPtr	 res = NULL;
	xmlChar			*sha;
	enum qj_err		 err;
	int			 i;

	if ((err = qj_xml_parse(bytes, len, 0, &doc, d)) != QJ_OK)
		return (err);
	if ((ctx = xmlXPathNewContext(doc)) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	xmlXPathRegisterNs(ctx, (const xmlChar *)"c",
	    (const xmlChar *)"urn:qujat:form:common:1");
	res = xmlXPathEvalExpression((const xmlChar *)"//c:sha256", ctx);
	for (i = 0; res != NULL && res->nodesetval != NULL &&
	    i < res->nodesetval->nodeNr && err == QJ_OK; i++) {
		sha = xmlNodeGetContent(res->nodesetval->nodeTab[i]);
		if (env->nattach_cases > 0)
			err = attachment_share(env, case_id, (const char *)sha,
			    cd_id, d);
		if (err == QJ_OK)
			err = attachment_link(env->db, case_id,
			    (const char *)sha, by, cd_id, env->now, d);
		xmlFree(sha);
	}
out:
	if (res != NULL)
		xmlXPathFreeObject(res);
	if (ctx != NULL)
		xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return (err);
}

/* Stores canonical document bytes as a new version of `role`. */
static enum qj_err
store_doc(struct flow_env *env, int64_t case_id, const char *role,
    const char *form, const char *bytes, size_t len, int64_t by,
    int64_t *cd_id, char sha[65], struct qj_diag *d)
{
	enum qj_err	err;
	int		version;

	qj_sha256_hex(bytes, len, sha);
	if ((err = doc_put(env->db, sha, form, bytes, len, d)) != QJ_OK ||
	    (err = case_doc_add(env->db, case_id, role, sha, by, env->now,
	    cd_id, &version, d)) != QJ_OK)
		return (err);
	return (link_attachments(env, case_id, bytes, len, by, *cd_id, d));
}

/* A reference's value (event data, variables, a document), or NULL. */
static const char *
ref_value(const struct wf_def *def, struct view *v,
    const struct wf_guard_env *g, const char *ref, char *buf, size_t len)
{
	struct qj_diag	d;

	if (wf_ref_value(def, ref, &v->cv, &v->av, g, buf, len, &d) != QJ_OK)
		return (NULL);
	return (buf);
}

static void
local_date(struct flow_env *env, char out[QJ_DAY_STRLEN + 1])
{
	qj_day_format(local_today(env), out);
}

/* A date-time, or a date at its local 00:00. */
static int
start_instant(struct flow_env *env, const char *s, qj_time *t)
{
	qj_day	day;

	if (qj_rfc3339_parse(s, t) == QJ_OK)
		return (1);
	return (qj_day_parse(s, &day) == QJ_OK && qj_cal_instant_at(env->cal,
	    day, 0, 0, t) == QJ_OK);
}

/* `start` moved `times` times by `every` (not next-day), local time kept. */
static enum qj_err
advance(struct flow_env *env, qj_time start, const struct qj_deadline_rule *r,
    int times, qj_time *out, struct qj_diag *d)
{
	qj_day	day, to;
	qj_time	midnight;
	int	n = r->n * times;

	*out = start;
	if (times == 0)
		return (QJ_OK);
	if (r->unit == QJ_DL_HOURS) {
		*out = start + (qj_time)n * 3600;
		return (QJ_OK);
	}
	if (qj_cal_local_day(env->cal, start, &day) != QJ_OK ||
	    qj_cal_instant_at(env->cal, day, 0, 0, &midnight) != QJ_OK)
		return (qj_fail(d, QJ_EUNPROC, "deadline-date", "", "a start "
		    "out of range"));
	switch (r->unit) {
	case QJ_DL_MONTHS:
		if (qj_day_add_months(day, n, &to) != QJ_OK)
			return (qj_fail(d, QJ_EUNPROC, "deadline-date", "",
			    "a start out of range"));
		break;
	case QJ_DL_WORKING_DAYS:
		if (qj_cal_add_working_days(env->cal, day, n, &to) != QJ_OK)
			return (qj_fail(d, QJ_EUNPROC, "deadline-date", "",
			    "a start out of range"));
		break;
	default:
		to = day + n;
		break;
	}
	if (qj_cal_instant_at(env->cal, to, 0, 0, out) != QJ_OK)
		return (qj_fail(d, QJ_EUNPROC, "deadline-date", "", "a start "
		    "out of range"));
	*out += start - midnight;
	return (QJ_OK);
}

static enum qj_err
one_deadline(struct flow_env *env, int64_t case_id,
    const struct wf_set_deadline *dl, const char *name, qj_time due,
    const char *text, struct qj_diag *d)
{
	struct deadline_new	n;

	memset(&n, 0, sizeof(n));
	n.case_id = case_id;
	n.name = name;
	n.title_kk = dl->title.kk;
	n.title_ru = dl->title.ru;
	n.title_en = dl->title.en;
	n.due = due;
	n.rule = text;
	n.cite = dl->cite;
	n.on_expiry = dl->on_expiry;
	n.now = env->now;
	return (deadline_set(env->db, &n, d));
}

/*
 * Sets the transition's deadlines: a rule counted from now or from a
 * referenced date or date-time, repeated when asked; a date "at" means
 * the end of that day.  Then cancels what the transition cancels.
 */
static enum qj_err
set_deadlines(struct flow_env *env, const struct wf_def *def,
    const struct wf_transition *t, int64_t case_id, struct view *v,
    const struct wf_guard_env *g, struct qj_diag *d)
{
	const struct wf_set_deadline	*dl;
	struct qj_deadline_rule		 rule, every;
	const char			*at, *from;
	char				 buf[64], text[256], name[WF_ID_MAX + 16];
	enum qj_err			 err;
	qj_time				 due, start, sk;
	qj_day				 day;
	int				 i, k;

	for (i = 0; i < t->ndeadlines; i++) {
		dl = &t->deadlines[i];
		if (dl->rule == NULL) {
			at = ref_value(def, v, g, dl->at, buf, sizeof(buf));
			if (at == NULL || qj_day_parse(at, &day) != QJ_OK)
				return (qj_fail(d, QJ_EUNPROC, "deadline-date",
				    dl->id, "deadline %s needs a date from %s",
				    dl->id, dl->at));
			/* "by the date" = before the end of that local day */
			if ((err = qj_cal_instant_at(env->cal, day + 1, 0, 0,
			    &due)) != QJ_OK)
				return (err);
			snprintf(text, sizeof(text), "end of %.40s", at);
			if ((err = one_deadline(env, case_id, dl, dl->id, due,
			    text, d)) != QJ_OK)
				return (err);
			continue;
		}
		if ((err = qj_deadline_parse(dl->rule, &rule, d)) != QJ_OK ||
		    (err = qj_deadline_parse(dl->every != NULL ? dl->every :
		    dl->rule, &every, d)) != QJ_OK)
			return (err);
		start = env->now;
		from = NULL;
		if (dl->from != NULL && ((from = ref_value(def, v, g, dl->from,
		    buf, sizeof(buf))) == NULL || !start_instant(env, from,
		    &start)))
			return (qj_fail(d, QJ_EUNPROC, "deadline-date", dl->id,
			    "deadline %s counts from %s, which gives no date",
			    dl->id, dl->from));
		for (k = 1; k <= dl->repeat; k++) {
			if ((err = advance(env, start, &every, k - 1, &sk, d)) !=
			    QJ_OK || (err = qj_deadline_due(env->cal, &rule, sk,
			    &due)) != QJ_OK)
				return (err);
			if (dl->repeat > 1) {
				snprintf(name, sizeof(name), "%.47s-%d", dl->id,
				    k);
				snprintf(text, sizeof(text), "%.40s%s%.40s, %d "
				    "of %d", dl->rule, from ? " from " : "",
				    from ? from : "", k, dl->repeat);
			} else {
				snprintf(name, sizeof(name), "%.47s", dl->id);
				snprintf(text, sizeof(text), "%.40s%s%.40s",
				    dl->rule, from ? " from " : "", from ? from :
				    "");
			}
			if ((err = one_deadline(env, case_id, dl, name, due,
			    text, d)) != QJ_OK)
				return (err);
		}
	}
	for (i = 0; i < t->ncancels; i++) {
		snprintf(name, sizeof(name), "%.47s", t->cancels[i].id);
		if (t->cancels[i].occurrence != NULL) {
			if (ref_value(def, v, g, t->cancels[i].occurrence, buf,
			    sizeof(buf)) == NULL)
				return (qj_fail(d, QJ_EUNPROC, "deadline-date",
				    t->cancels[i].id, "no occurrence of %s in "
				    "%s", t->cancels[i].id,
				    t->cancels[i].occurrence));
			snprintf(name, sizeof(name), "%.47s-%.8s",
			    t->cancels[i].id, buf);
		}
		if ((err = deadline_cancel(env->db, case_id, name, env->now,
		    d)) != QJ_OK)
			return (err);
	}
	return (QJ_OK);
}

/*
 * The members of a vote, each person once, in assignment order; *chair
 * (may be NULL) receives the chair's index or -1.
 */
static int
vote_members(const struct wf_vote *vo, const struct wf_case_view *cv,
    int64_t *who, int max, int *chair)
{
	int	i, j, n = 0;

	if (chair != NULL)
		*chair = -1;
	for (i = 0; i < cv->nparts; i++) {
		const char *cap = cv->parts[i].capacity;

		if (strcmp(cap, vo->members) != 0 && strcmp(cap, vo->chair) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (who[j] == cv->parts[i].person_id)
				break;
		if (j == n) {
			if (n == max)
				break;
			who[n++] = cv->parts[i].person_id;
		}
		if (chair != NULL && strcmp(cap, vo->chair) == 0)
			*chair = j;
	}
	return (n);
}

/* ---- the inbox rows ------------------------------------------------------------ */

/*
 * Adds `event` for a role (or a person) to the inbox rows, merging with the
 * row of the same role or person: events are stored comma-separated.
 */
static int
add_pending(struct pending_row *rows, char evs[][256], int n, int max,
    const char *role, int64_t person, const char *event)
{
	size_t	len;
	int	i;

	for (i = 0; i < n; i++) {
		if (rows[i].person_id != person || (role == NULL) !=
		    (rows[i].role == NULL) || (role != NULL &&
		    strcmp(role, rows[i].role) != 0))
			continue;
		len = strlen(evs[i]);
		if (len + strlen(event) + 2 < 256) {
			evs[i][len] = ',';
			snprintf(evs[i] + len + 1, 256 - len - 1, "%s", event);
		}
		return (n);
	}
	if (n == max)
		return (n);
	rows[n].role = role;
	rows[n].person_id = person;
	snprintf(evs[n], 256, "%s", event);
	rows[n].event = evs[n];
	return (n + 1);
}

static enum qj_err
refresh_pending(struct flow_env *env, const struct case_row *c,
    const struct wf_def *def, struct qj_diag *d)
{
	const struct wf_state		*st = wf_state(def, c->state);
	const struct wf_transition	*t;
	const struct wf_actor		*a;
	struct pending_row		 rows[64];
	char				 evs[64][256];
	struct view			 v;
	PGresult			*votes = NULL;
	enum qj_err			 err;
	int				 i, j, k, n = 0, official = 0, done;

	if (st == NULL || st->terminal)
		return (pending_replace(env->db, c->id, c->unit_path, rows, 0,
		    env->now, d));
	if ((err = view_build(env, &flow_system, c, def, &v, d)) != QJ_OK)
		goto out;
	/* One row per role or person, naming every event it may fire. */
#define ADD(r, p, e)	n = add_pending(rows, evs, n, (int)QJ_NELEM(rows), \
			    (r), (p), (e))
	/* Where steps or a vote are open, the transitions out of the state
	 * are the alternatives (decline, close); the case waits for the
	 * steps. */
	for (i = 0; st->parallel == NULL && st->vote == NULL &&
	    i < def->ntransitions; i++) {
		t = &def->transitions[i];
		for (j = 0; j < t->nfrom; j++)
			if (strcmp(t->from[j], c->state) == 0)
				break;
		if (j == t->nfrom)
			continue;
		for (k = 0; k < t->nactors; k++) {
			a = &t->actors[k];
			if (a->kind == WF_ACTOR_ROLE) {
				ADD(a->name, 0, t->event);
				official = 1;
			} else if (a->kind == WF_ACTOR_PARTICIPANT) {
				for (j = 0; j < v.cv.nparts; j++)
					if (strcmp(v.part[j].capacity,
					    a->name) == 0) {
						ADD(NULL, v.part[j].person_id,
						    t->event);
						official = 1;
					}
			}
		}
	}
	if (st->parallel != NULL) {
		const struct wf_parallel *p = st->parallel;

		if (p->steps_from != WF_STEPS_FIXED) {
			for (i = 0; i < v.cv.nlisted; i++) {
				for (j = 0, done = 0; j < v.cv.nsteps_done; j++)
					done |= v.step_by[j] == v.listed[i];
				if (!done)
					ADD(NULL, v.listed[i], p->event);
			}
		} else
			for (i = 0; i < p->nsteps; i++) {
				const struct wf_actor *sa = &p->steps[i].actor;

				for (j = 0, done = 0; j < v.cv.nsteps_done; j++)
					done |= strcmp(v.step_ids[j],
					    p->steps[i].id) == 0;
				if (done)
					continue;
				if (sa->kind == WF_ACTOR_ROLE)
					ADD(sa->name, 0, p->event);
				else if (sa->kind == WF_ACTOR_APPLICANT &&
				    c->applicant_id != 0)
					ADD(NULL, c->applicant_id, p->event);
				else if (sa->kind == WF_ACTOR_PARTICIPANT)
					for (j = 0; j < v.cv.nparts; j++)
						if (strcmp(v.part[j].capacity,
						    sa->name) == 0)
							ADD(NULL,
							    v.part[j].person_id,
							    p->event);
				if (p->sequential)
					break;
			}
		official = 1;
	}
	if (st->vote != NULL) {
		int64_t	who[VIEW_MAX_PARTS];
		int	nwho;

		if ((err = votes_of(env->db, c->id, c->round, st->vote->id,
		    &votes, d)) != QJ_OK)
			goto out;
		nwho = vote_members(st->vote, &v.cv, who, VIEW_MAX_PARTS, NULL);
		for (j = 0; j < nwho; j++) {
			for (k = 0, done = 0; k < PQntuples(votes); k++)
				done |= qj_db_i64(votes, k, 0) == who[j];
			if (!done)
				ADD(NULL, who[j], st->vote->event);
		}
		official = 1;
	}
	/* Cases waiting for an order wait for the registrar. */
	if (st->order_item != NULL) {
		ADD("registrar", 0, "include-in-order");
		official = 1;
	}
	/* The applicant waits only where no official has to act. */
	if (!official && c->applicant_id != 0)
		for (i = 0; i < def->ntransitions; i++) {
			t = &def->transitions[i];
			for (j = 0; j < t->nfrom; j++)
				if (strcmp(t->from[j], c->state) == 0)
					break;
			if (j == t->nfrom)
				continue;
			for (k = 0; k < t->nactors; k++)
				if (t->actors[k].kind == WF_ACTOR_APPLICANT)
					ADD(NULL, c->applicant_id, t->event);
		}
#undef ADD
	err = pending_replace(env->db, c->id, c->unit_path, rows, n, env->now,
	    d);
out:
	PQclear(votes);
	view_free(&v);
	return (err);
}

/* ---- firing ---------------------------------------------------------------------- */

static enum qj_err fire(struct flow_env *, const struct flow_actor *, int64_t,
		    const struct flow_input *, struct flow_result *, int,
		    struct qj_diag *);

/* Verifies a signature over the case document; stores it; *sig_id. */
static enum qj_err
take_signature(struct flow_env *env, const struct flow_actor *a,
    const struct case_row *c, const char *doc_role, enum wf_commitment com,
    const struct flow_input *in, int64_t *sig_id, char sig_sha[65],
    struct qj_diag *d)
{
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct signature_new	 s;
	PGresult		*doc = NULL;
	char			 uri[80], cert_hex[65];
	const char		*bytes;
	enum qj_err		 err;

	if (in->sig == NULL || in->sig_len == 0)
		return (qj_fail(d, QJ_EUNPROC, "signature-required", "signature",
		    "%s needs the signer's %s signature over the %s document",
		    in->event, wf_commitment_name(com), doc_role));
	if ((err = case_doc_current(env->db, c->id, doc_role, &doc, d)) !=
	    QJ_OK)
		return (err);
	if (PQntuples(doc) != 1) {
		PQclear(doc);
		return (qj_fail(d, QJ_EUNPROC, "no-document", doc_role,
		    "the case has no %s document to sign", doc_role));
	}
	bytes = qj_db_str(doc, 0, 4);
	flow_doc_uri(qj_db_str(doc, 0, 2), uri);
	memset(&ex, 0, sizeof(ex));
	memset(&res, 0, sizeof(res));
	ex.doc = bytes;
	ex.doc_len = strlen(bytes);
	ex.doc_uri = in->sig_enveloped ? NULL : uri;
	ex.iin = a->iin;
	ex.bin = a->bin;
	/* NCALayer's enveloped format carries no CommitmentTypeIndication:
	 * the transition's commitment is recorded, not verified. */
	ex.commitment = in->sig_enveloped ? QJ_COMMIT_ANY :
	    to_sig_commitment(com);
	/* The certificate must be good now, whatever SigningTime claims. */
	ex.at = (time_t)env->now;
	ex.now = (time_t)env->now;
	if (in->sig_enveloped)
		err = qj_xades_verify_enveloped(env->trust, in->sig,
		    in->sig_len, &ex, &res, d);
	else
		err = qj_xades_verify(env->trust, in->sig, in->sig_len, &ex,
		    &res, d);
	if (err != QJ_OK)
		goto out;
	qj_hex(res.signer.cert_sha256, 32, cert_hex);
	memset(&s, 0, sizeof(s));
	s.case_id = c->id;
	s.case_document_id = qj_db_i64(doc, 0, 0);
	s.signer_id = a->person_id;
	s.commitment = wf_commitment_name(com);
	s.signer_role = res.role[0] != '\0' ? res.role : "-";
	s.event = in->event;
	s.signing_time = res.signing_time != 0 ? (qj_time)res.signing_time :
	    env->now;
	s.cert_sha256 = cert_hex;
	s.cert_subject = res.signer.subject;
	s.xml = in->sig;
	s.xml_len = in->sig_len;
	s.now = env->now;
	err = signature_add(env->db, &s, sig_id, sig_sha, d);
	if (err == QJ_ECONFLICT)
		err = qj_fail(d, QJ_ECONFLICT, "already-signed", "signature",
		    "you have already signed this version of the %s document",
		    doc_role);
out:
	qj_sig_result_free(&res);
	PQclear(doc);
	return (err);
}

/* The first transition-free event of a state: a parallel step. */
static enum qj_err
take_step(struct flow_env *env, const struct flow_actor *a, struct case_row *c,
    const struct wf_def *def, struct view *v, const struct flow_input *in,
    const struct wf_guard_env *g, struct flow_result *r, int depth,
    const char **docs, int *ndocs, char sigsha[65], struct qj_diag *d)
{
	const struct wf_state	*st = wf_state(def, c->state);
	struct flow_input	 next;
	char			 step[WF_ID_MAX];
	int64_t			 sig_id = 0;
	enum qj_err		 err;

	if ((err = wf_step_for(def, st, &v->cv, &v->av, step, d)) != QJ_OK ||
	    (err = wf_step_guards(def, st, step, &v->cv, &v->av, g, d)) !=
	    QJ_OK)
		return (err);
	if (st->parallel->commitment != WF_COMMIT_NONE) {
		if ((err = take_signature(env, a, c, st->parallel->document,
		    st->parallel->commitment, in, &sig_id, sigsha, d)) != QJ_OK)
			return (err);
		docs[(*ndocs)++] = sigsha;
	}
	if ((err = step_add(env->db, c->id, c->round, st->parallel->id, step,
	    a->person_id, sig_id, env->now, d)) != QJ_OK)
		return (err);
	snprintf(r->step, sizeof(r->step), "%s", step);
	c->version++;
	if ((err = case_update(env->db, c, env->now, d)) != QJ_OK)
		return (err);
	if ((err = flow_audit(env, a, c->id, st->parallel->event, c->state,
	    c->state, docs, *ndocs, "step", step, d)) != QJ_OK)
		return (err);
	if (!wf_parallel_complete(st->parallel, &v->cv, v->cv.nsteps_done + 1))
		return (refresh_pending(env, c, def, d));
	memset(&next, 0, sizeof(next));
	next.event = st->parallel->on_complete;
	return (fire(env, &flow_system, c->id, &next, r, depth + 1, d));
}

static enum qj_err
cast_vote(struct flow_env *env, const struct flow_actor *a, struct case_row *c,
    const struct wf_def *def, struct view *v, const struct flow_input *in,
    struct flow_result *r, int depth, struct qj_diag *d)
{
	const struct wf_vote	*vo = wf_state(def, c->state)->vote;
	const char		*choice[64];
	int64_t			 who[64];
	PGresult		*votes = NULL;
	struct flow_input	 next;
	json_t			*data;
	char			 outcome[WF_ID_MAX];
	enum qj_err		 err;
	int			 i, j, n = 0, chair = -1, member = 0, ok;

	for (i = 0; i < v->av.ncapacities; i++)
		member |= strcmp(v->caps[i], vo->members) == 0 ||
		    strcmp(v->caps[i], vo->chair) == 0;
	if (!member || a->system)
		return (qj_fail(d, QJ_EDENIED, "not-a-member", "event",
		    "only members of the commission vote (%s)", vo->cite));
	for (i = 0, ok = 0; in->option != NULL && i < vo->noptions; i++)
		ok |= strcmp(in->option, vo->options[i]) == 0;
	if (!ok)
		return (qj_fail(d, QJ_EINVAL, "unknown-option", "option",
		    "option must be one of the vote's options"));
	if ((err = vote_add(env->db, c->id, c->round, vo->id, a->person_id,
	    in->option, env->now, d)) != QJ_OK)
		return (err == QJ_ECONFLICT ? qj_fail(d, QJ_ECONFLICT,
		    "already-voted", "option", "you have already voted") : err);
	c->version++;
	if ((err = case_update(env->db, c, env->now, d)) != QJ_OK ||
	    (err = flow_audit(env, a, c->id, vo->event, c->state, c->state,
	    NULL, 0, "option", in->option, d)) != QJ_OK)
		return (err);
	if ((err = votes_of(env->db, c->id, c->round, vo->id, &votes, d)) !=
	    QJ_OK)
		return (err);
	/* Every member (and the chair), each once, in a stable order. */
	n = vote_members(vo, &v->cv, who, 64, &chair);
	for (i = 0; i < n; i++) {
		choice[i] = NULL;
		for (j = 0; j < PQntuples(votes); j++)
			if (qj_db_i64(votes, j, 0) == who[i])
				choice[i] = qj_db_str(votes, j, 1);
	}
	err = wf_vote_outcome(vo, n, choice, chair, outcome, d);
	PQclear(votes);
	if (err != QJ_OK) {
		/* Not everyone has voted yet: the vote stays open. */
		if (d != NULL && d->type != NULL &&
		    strcmp(d->type, "vote-incomplete") == 0) {
			qj_diag_clear(d);
			return (refresh_pending(env, c, def, d));
		}
		return (err);
	}
	data = json_pack("{s:s}", "outcome", outcome);
	memset(&next, 0, sizeof(next));
	next.event = vo->on_complete;
	next.data = data;
	err = fire(env, &flow_system, c->id, &next, r, depth + 1, d);
	json_decref(data);
	return (err);
}

/* Fires, on every case an order lists, the event its item names. */
static enum qj_err
notify_listed(struct flow_env *env, const struct case_row *c, int depth,
    struct qj_diag *d)
{
	struct flow_input	 in;
	struct flow_result	 r;
	PGresult		*links = NULL;
	json_t			*item;
	char			 num[32];
	enum qj_err		 err;
	int			 i;

	if ((err = links_from(env->db, c->id, &links, d)) != QJ_OK)
		return (err);
	snprintf(num, sizeof(num), "%d", c->reg_number);
	for (i = 0; i < PQntuples(links) && err == QJ_OK; i++) {
		item = json_loads(qj_db_str(links, i, 3), 0, NULL);
		if (item == NULL) {
			err = QJ_EINTERNAL;
			break;
		}
		json_object_set_new(item, "orderCase", json_integer(c->id));
		json_object_set_new(item, "orderNumber", json_string(num));
		json_object_set_new(item, "orderSeries", json_string(c->series));
		json_object_set_new(item, "orderDate", json_string(c->reg_date));
		memset(&in, 0, sizeof(in));
		in.event = qj_db_str(links, i, 2);
		in.data = item;
		err = fire(env, &flow_system, qj_db_i64(links, i, 0), &in, &r,
		    depth + 1, d);
		json_decref(item);
	}
	PQclear(links);
	return (err);
}

static enum qj_err
open_subcase(struct flow_env *env, const struct wf_transition *t,
    const struct case_row *c, struct flow_result *r, struct qj_diag *d)
{
	char	 today[QJ_DAY_STRLEN + 1], *vars;
	json_t	*o;
	enum qj_err err;

	local_date(env, today);
	o = json_pack("{s:s, s:s, s:s, s:I}", "ground", t->open_ground,
	    "cite", t->open_cite, "opened-on", today, "opened-by-case",
	    (json_int_t)c->id);
	vars = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	err = flow_open(env, &flow_system, t->open_workflow, c->unit_id,
	    c->applicant_id, NULL, 0, c->id, vars, &r->opened_case, d);
	free(vars);
	return (err);
}

/* The transition's set-vars, in order, each seeing the ones before it. */
static enum qj_err
apply_vars(const struct wf_def *def, const struct wf_transition *t,
    struct case_row *c, struct view *v, const struct wf_guard_env *g)
{
	json_t		*vars;
	const char	*val;
	char		 buf[512];
	int		 i;

	for (i = 0; i < t->nvars; i++) {
		val = ref_value(def, v, g, t->vars[i].from, buf, sizeof(buf));
		if (val == NULL)
			continue;
		if ((vars = json_loads(c->vars, 0, NULL)) == NULL)
			vars = json_object();
		json_object_set_new(vars, t->vars[i].name, json_string(val));
		free(c->vars);
		c->vars = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(vars);
		if (c->vars == NULL)
			return (QJ_ENOMEM);
		v->cv.vars_json = c->vars;
	}
	return (QJ_OK);
}

static enum qj_err
registration(struct flow_env *env, struct case_row *c, const struct view *v,
    struct qj_diag *d)
{
	char	today[QJ_DAY_STRLEN + 1], series[WF_ID_MAX] = "order";
	json_t	*vars = json_loads(c->vars, 0, NULL);
	int	year, number;
	enum qj_err err;

	(void)v;
	if (json_is_string(json_object_get(vars, "series")))
		snprintf(series, sizeof(series), "%s",
		    json_string_value(json_object_get(vars, "series")));
	if (vars != NULL)
		json_decref(vars);
	local_date(env, today);
	year = atoi(today);
	if ((err = counter_next(env->db, series, year, &number, d)) != QJ_OK ||
	    (err = case_register(env->db, c->id, series, year, number, today,
	    d)) != QJ_OK)
		return (err);
	snprintf(c->series, sizeof(c->series), "%s", series);
	c->reg_year = year;
	c->reg_number = number;
	snprintf(c->reg_date, sizeof(c->reg_date), "%s", today);
	return (QJ_OK);
}

static enum qj_err
fire(struct flow_env *env, const struct flow_actor *a, int64_t case_id,
    const struct flow_input *in, struct flow_result *r, int depth,
    struct qj_diag *d)
{
	const struct wf_transition	*t = NULL;
	const struct wf_state		*st;
	const struct wf_def		*def;
	struct wf_guard_env		 genv;
	struct case_row			 c;
	struct view			 v;
	const char			*docs[4];
	char				 docsha[65], sigsha[65], detail[48];
	int64_t				 cd_id = 0, sig_id = 0;
	enum qj_err			 err;
	int				 ndocs = 0;

	memset(&v, 0, sizeof(v));
	if (depth > FLOW_MAX_DEPTH)
		return (qj_fail(d, QJ_EINTERNAL, "flow-loop", "event",
		    "events follow each other more than %d deep",
		    FLOW_MAX_DEPTH));
	if (QJ_NEVER(!qj_db_in_tx(env->db)))
		return (QJ_EINTERNAL);
	if ((err = case_lock(env->db, case_id, &c, d)) != QJ_OK)
		return (err);
	if (in->expect_version != 0 && in->expect_version != c.version) {
		err = qj_fail(d, QJ_ECONFLICT, "stale-version", "version",
		    "the case is at version %d, not %d; reload it and retry",
		    c.version, in->expect_version);
		goto out;
	}
	if ((err = flow_def(env, c.workflow, c.wf_version, &def, d)) != QJ_OK ||
	    (err = flow_calendar(env, d)) != QJ_OK ||
	    (err = view_build(env, a, &c, def, &v, d)) != QJ_OK)
		goto out;
	guard_env(env, &genv);
	view_event(&v, in->data);
	snprintf(r->state_before, sizeof(r->state_before), "%s", c.state);
	/* Guards judge the document the transition brings. */
	t = wf_find(def, c.state, in->event);
	if (t != NULL && t->doc_role != NULL && in->doc != NULL)
		cache_put(&v.dc, t->doc_role, in->doc, in->doc_len);
	if ((err = wf_decide(def, &v.cv, &v.av, in->event, &genv, &t, d)) !=
	    QJ_OK)
		goto out;
	st = wf_state(def, c.state);
	if (t == NULL && st->parallel != NULL &&
	    strcmp(st->parallel->event, in->event) == 0) {
		err = take_step(env, a, &c, def, &v, in, &genv, r, depth, docs,
		    &ndocs, sigsha, d);
		goto out;
	}
	if (t == NULL) {
		err = cast_vote(env, a, &c, def, &v, in, r, depth, d);
		goto out;
	}
	if (t->reason == 2 && (in->reason == NULL || in->reason[0] == '\0')) {
		err = qj_fail(d, QJ_EUNPROC, "reason-required", "reason",
		    "%s needs a reason", t->event);
		goto out;
	}
	if (t->doc_role != NULL) {
		if (in->doc == NULL) {
			err = qj_fail(d, QJ_EUNPROC, "document-required",
			    "document", "%s needs a %s document (form %s)",
			    t->event, t->doc_role, t->doc_form);
			goto out;
		}
		if ((err = store_doc(env, c.id, t->doc_role, t->doc_form,
		    in->doc, in->doc_len, a->person_id, &cd_id, docsha, d)) !=
		    QJ_OK)
			goto out;
		docs[ndocs++] = docsha;
	}
	if (t->sign_doc != NULL) {
		if ((err = take_signature(env, a, &c, t->sign_doc,
		    t->sign_commitment, in, &sig_id, sigsha, d)) != QJ_OK)
			goto out;
		docs[ndocs++] = sigsha;
	}
	/* A document just stored is read from the cache (cache_put). */
	if ((err = apply_vars(def, t, &c, &v, &genv)) != QJ_OK ||
	    (err = set_deadlines(env, def, t, c.id, &v, &genv, d)) != QJ_OK)
		goto out;
	/* A transition that stays keeps the state (and its round). */
	if (!t->stay && strcmp(c.state, t->to) != 0) {
		c.round++;
		snprintf(c.state, sizeof(c.state), "%s", t->to);
	}
	c.terminal = wf_state(def, c.state)->terminal;
	c.version++;
	if (c.terminal) {
		/* A closed case waits for nothing, and is sealed. */
		PGresult *dl = NULL;

		if ((err = seal_queue(env->db, c.id, env->now, d)) != QJ_OK)
			goto out;

		if ((err = deadlines_of(env->db, c.id, &dl, d)) == QJ_OK) {
			int i;

			for (i = 0; i < PQntuples(dl) && err == QJ_OK; i++)
				if (strcmp(qj_db_str(dl, i, 8), "pending") == 0)
					err = deadline_cancel(env->db, c.id,
					    qj_db_str(dl, i, 0), env->now, d);
			PQclear(dl);
		}
		if (err != QJ_OK)
			goto out;
	}
	if (t->register_cite != NULL &&
	    (err = registration(env, &c, &v, d)) != QJ_OK)
		goto out;
	if ((err = case_update(env->db, &c, env->now, d)) != QJ_OK)
		goto out;
	snprintf(detail, sizeof(detail), "%d", c.reg_number);
	if ((err = flow_audit(env, a, c.id, t->event, r->state_before, c.state,
	    docs, ndocs, in->reason != NULL ? "reason" : t->register_cite ?
	    "number" : NULL, in->reason != NULL ? in->reason : detail, d)) !=
	    QJ_OK)
		goto out;
	if (t->notify_listed && (err = notify_listed(env, &c, depth, d)) !=
	    QJ_OK)
		goto out;
	if (t->open_workflow != NULL && (err = open_subcase(env, t, &c, r, d))
	    != QJ_OK)
		goto out;
	if ((err = refresh_pending(env, &c, def, d)) != QJ_OK)
		goto out;
	snprintf(r->state_after, sizeof(r->state_after), "%s", c.state);
	r->version = c.version;
	(void)cd_id;
out:
	if (err == QJ_OK && r->state_after[0] == '\0') {
		/* A step or vote that did not move the case. */
		struct case_row now;

		if (case_get(env->db, case_id, &now, NULL) == QJ_OK) {
			snprintf(r->state_after, sizeof(r->state_after), "%s",
			    now.state);
			r->version = now.version;
			case_row_free(&now);
		}
	}
	view_free(&v);
	case_row_free(&c);
	return (err);
}

enum qj_err
flow_fire(struct flow_env *env, const struct flow_actor *a, int64_t case_id,
    const struct flow_input *in, struct flow_result *r, struct qj_diag *d)
{
	memset(r, 0, sizeof(*r));
	return (fire(env, a, case_id, in, r, 0, d));
}

/* ---- opening ----------------------------------------------------------------------- */

enum qj_err
flow_open(struct flow_env *env, const struct flow_actor *a,
    const char *workflow, int64_t unit_id, int64_t applicant, const char *doc,
    size_t doc_len, int64_t parent, const char *vars, int64_t *case_id,
    struct qj_diag *d)
{
	const struct wf_def	*def = wf_set_find(env->wfs, workflow);
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct case_new		 n;
	struct case_row		 c;
	const char		*docs[1];
	char			 sha[65], path[192];
	PGresult		*u = NULL;
	int64_t			 cd_id;
	enum qj_err		 err;

	if (def == NULL)
		return (qj_fail(d, QJ_EUNPROC, "unknown-workflow", "workflow",
		    "no workflow \"%s\"", workflow));
	/* Who may open: the applicant for themselves, a role over the unit,
	 * or the system (a sub-case). */
	if ((err = unit_get(env->db, unit_id, &u, d)) != QJ_OK)
		return (err);
	if (PQntuples(u) != 1) {
		PQclear(u);
		return (qj_fail(d, QJ_EUNPROC, "unknown-unit", "unit_id",
		    "no unit %lld", (long long)unit_id));
	}
	snprintf(path, sizeof(path), "%s", qj_db_str(u, 0, 8));
	PQclear(u);
	memset(&cv, 0, sizeof(cv));
	memset(&av, 0, sizeof(av));
	cv.applicant_id = applicant;
	cv.unit_path = path;
	av.person_id = a->person_id;
	av.system = a->system;
	av.grants = a->grants;
	av.ngrants = a->ngrants;
	if (!wf_actor_matches(def->openers, def->nopeners, &cv, &av))
		return (qj_fail(d, QJ_EDENIED, "wrong-actor", "workflow",
		    "you may not open a %s case here", workflow));
	if (def->open_form != NULL && !a->system && doc == NULL)
		return (qj_fail(d, QJ_EUNPROC, "document-required", "document",
		    "a %s case starts with a %s document", workflow,
		    def->open_form));
	memset(&n, 0, sizeof(n));
	n.workflow = def->id;
	n.wf_version = def->version;
	n.unit_id = unit_id;
	n.applicant_id = applicant;
	n.opened_by = a->person_id;
	n.parent_id = parent;
	n.state = wf_initial(def)->id;
	n.vars = vars;
	n.now = env->now;
	if ((err = cases_def_register(env->db, def->id, def->version,
	    def->sha256, def->source, def->source_len, d)) != QJ_OK ||
	    (err = case_insert(env->db, &n, case_id, d)) != QJ_OK)
		return (err);
	if (doc != NULL) {
		if ((err = store_doc(env, *case_id, def->open_doc,
		    def->open_form, doc, doc_len, a->person_id, &cd_id, sha,
		    d)) != QJ_OK)
			return (err);
		docs[0] = sha;
	}
	if ((err = flow_audit(env, a, *case_id, "open", NULL, n.state, docs,
	    doc != NULL ? 1 : 0, parent != 0 ? "parent" : NULL, parent != 0 ?
	    "case" : NULL, d)) != QJ_OK)
		return (err);
	if ((err = case_get(env->db, *case_id, &c, d)) != QJ_OK)
		return (err);
	err = refresh_pending(env, &c, def, d);
	case_row_free(&c);
	return (err);
}

/* ---- signing preparation ----------------------------------------------------------- */

/* The name of the actor spec that admits the actor (the claimed role). */
static void
matched_role(const struct wf_actor *actors, int n, const struct view *v,
    char out[WF_ID_MAX])
{
	int	k;

	snprintf(out, WF_ID_MAX, "applicant");
	for (k = 0; k < n; k++)
		if (wf_actor_matches(&actors[k], 1, &v->cv, &v->av)) {
			if (actors[k].kind != WF_ACTOR_APPLICANT)
				snprintf(out, WF_ID_MAX, "%s", actors[k].name);
			return;
		}
}

enum qj_err
flow_sign_need(struct flow_env *env, const struct flow_actor *a,
    int64_t case_id, const char *event, const char *newdoc, size_t newlen,
    struct flow_sign_need *need, struct qj_diag *d)
{
	return (flow_sign_need_data(env, a, case_id, event, NULL, newdoc,
	    newlen, need, d));
}

enum qj_err
flow_sign_need_data(struct flow_env *env, const struct flow_actor *a,
    int64_t case_id, const char *event, const json_t *data,
    const char *newdoc, size_t newlen, struct flow_sign_need *need,
    struct qj_diag *d)
{
	const struct wf_transition	*t = NULL;
	const struct wf_state		*st;
	const struct wf_def		*def;
	struct wf_guard_env		 genv;
	struct case_row			 c;
	struct view			 v;
	PGresult			*doc = NULL;
	const char			*role = NULL;
	char				 step[WF_ID_MAX];
	enum qj_err			 err;

	memset(need, 0, sizeof(*need));
	memset(&v, 0, sizeof(v));
	if ((err = case_get(env->db, case_id, &c, d)) != QJ_OK)
		return (err);
	if ((err = flow_def(env, c.workflow, c.wf_version, &def, d)) != QJ_OK ||
	    (err = flow_calendar(env, d)) != QJ_OK ||
	    (err = view_build(env, a, &c, def, &v, d)) != QJ_OK)
		goto out;
	guard_env(env, &genv);
	view_event(&v, data);
	if (newdoc != NULL) {
		t = wf_find(def, c.state, event);
		if (t == NULL || t->doc_role == NULL) {
			err = qj_fail(d, QJ_EUNPROC, "document-not-expected",
			    "document", "%s takes no document in state %s",
			    event, c.state);
			goto out;
		}
		cache_put(&v.dc, t->doc_role, newdoc, newlen);
	}
	if ((err = wf_decide(def, &v.cv, &v.av, event, &genv, &t, d)) != QJ_OK)
		goto out;
	st = wf_state(def, c.state);
	if (t != NULL && t->sign_doc != NULL && newdoc != NULL &&
	    t->doc_role != NULL && strcmp(t->doc_role, t->sign_doc) == 0) {
		/* The transition signs the document it brings. */
		need->needed = 1;
		need->commitment = t->sign_commitment;
		matched_role(t->actors, t->nactors, &v, need->role);
		need->case_version = c.version;
		qj_sha256_hex(newdoc, newlen, need->sha256);
		need->doc = malloc(newlen + 1);
		memcpy(need->doc, newdoc, newlen);
		need->doc[newlen] = '\0';
		need->doc_len = newlen;
		goto out;
	}
	if (t != NULL && t->sign_doc != NULL) {
		role = t->sign_doc;
		need->commitment = t->sign_commitment;
		matched_role(t->actors, t->nactors, &v, need->role);
	} else if (t == NULL && st->parallel != NULL &&
	    st->parallel->commitment != WF_COMMIT_NONE) {
		if ((err = wf_step_for(def, st, &v.cv, &v.av, step, d)) !=
		    QJ_OK || (err = wf_step_guards(def, st, step, &v.cv, &v.av,
		    &genv, d)) != QJ_OK)
			goto out;
		role = st->parallel->document;
		need->commitment = st->parallel->commitment;
		if (st->parallel->steps_from == WF_STEPS_LISTED)
			snprintf(need->role, sizeof(need->role), "learner");
		else if (st->parallel->steps_from == WF_STEPS_PARTICIPANTS) {
			int k, m;

			/* The capacity in which this person signs. */
			for (k = 0; k < v.av.ncapacities; k++)
				for (m = 0; m < st->parallel->ncapacities; m++)
					if (strcmp(v.caps[k],
					    st->parallel->capacities[m]) == 0 &&
					    need->role[0] == '\0')
						snprintf(need->role,
						    sizeof(need->role), "%s",
						    v.caps[k]);
		} else {
			int k;

			for (k = 0; k < st->parallel->nsteps; k++)
				if (strcmp(st->parallel->steps[k].id, step) ==
				    0)
					matched_role(&st->parallel->steps[k].
					    actor, 1, &v, need->role);
		}
	} else if (t == NULL && st->parallel != NULL &&
	    strcmp(st->parallel->event, event) == 0) {
		if ((err = wf_step_for(def, st, &v.cv, &v.av, step, d)) !=
		    QJ_OK)
			goto out;
	}
	need->case_version = c.version;
	if (role == NULL)
		goto out;
	if ((err = case_doc_current(env->db, c.id, role, &doc, d)) != QJ_OK)
		goto out;
	if (PQntuples(doc) != 1) {
		err = qj_fail(d, QJ_EUNPROC, "no-document", role,
		    "the case has no %s document to sign", role);
		goto out;
	}
	need->needed = 1;
	need->cd_id = qj_db_i64(doc, 0, 0);
	snprintf(need->sha256, sizeof(need->sha256), "%s", qj_db_str(doc, 0, 2));
	need->doc = strdup(qj_db_str(doc, 0, 4));
	need->doc_len = strlen(need->doc);
out:
	PQclear(doc);
	view_free(&v);
	case_row_free(&c);
	return (err);
}

void
flow_sign_need_free(struct flow_sign_need *n)
{
	free(n->doc);
	n->doc = NULL;
}

/* ---- participants ------------------------------------------------------------------ */

enum qj_err
flow_assign(struct flow_env *env, const struct flow_actor *a, int64_t case_id,
    int64_t person, const char *capacity, struct qj_diag *d)
{
	struct case_row		 c;
	const struct wf_def	*def;
	struct view		 v;
	enum qj_err		 err;
	char			 who[32];

	memset(&v, 0, sizeof(v));
	if ((err = case_lock(env->db, case_id, &c, d)) != QJ_OK)
		return (err);
	if (c.terminal) {
		err = qj_fail(d, QJ_ECONFLICT, "case-closed", "case",
		    "the case is closed");
		goto out;
	}
	/* Who may assign whom in what capacity is the definition's (and
	 * SPEC 1's) to say: wf_assign_check. */
	if ((err = flow_def(env, c.workflow, c.wf_version, &def, d)) != QJ_OK ||
	    (err = view_build(env, a, &c, def, &v, d)) != QJ_OK ||
	    (err = wf_assign_check(def, &v.cv, &v.av, person, capacity, d)) !=
	    QJ_OK)
		goto out;
	if ((err = participant_add(env->db, case_id, person, capacity,
	    a->person_id, env->now, d)) != QJ_OK)
		goto out;
	c.version++;
	snprintf(who, sizeof(who), "%lld", (long long)person);
	if ((err = case_update(env->db, &c, env->now, d)) != QJ_OK ||
	    (err = flow_audit(env, a, case_id, "assign", c.state, c.state,
	    NULL, 0, capacity, who, d)) != QJ_OK)
		goto out;
	err = refresh_pending(env, &c, def, d);
out:
	view_free(&v);
	case_row_free(&c);
	return (err);
}

/* ---- deadlines --------------------------------------------------------------------- */

enum qj_err
flow_tick(struct flow_env *env, int limit, int *fired, struct qj_diag *d)
{
	struct flow_input	 in;
	struct flow_result	 r;
	PGresult		*res = NULL;
	enum qj_err		 err = QJ_OK;
	int			 i;

	*fired = 0;
	/* One deadline per transaction: a failure does not hold the others. */
	for (i = 0; i < limit; i++) {
		if ((err = qj_db_begin(env->db, d)) != QJ_OK)
			return (err);
		if ((err = deadline_claim(env->db, env->now, 1, &res, d)) !=
		    QJ_OK) {
			qj_db_rollback(env->db);
			return (err);
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			qj_db_rollback(env->db);
			return (QJ_OK);
		}
		memset(&in, 0, sizeof(in));
		in.event = qj_db_str(res, 0, 3);
		err = deadline_close(env->db, qj_db_i64(res, 0, 0), "fired",
		    env->now, d);
		if (err == QJ_OK)
			err = flow_fire(env, &flow_system, qj_db_i64(res, 0, 1),
			    &in, &r, d);
		if (err != QJ_OK) {
			/* The event is no longer possible (the case moved on):
			 * the deadline closes without effect.  Closing by id is
			 * idempotent if another server got there first. */
			int64_t id = qj_db_i64(res, 0, 0);

			qj_log(QJ_LOG_WARN, "deadline", "case=%lld name=%s "
			    "event=%s not fired: %s",
			    (long long)qj_db_i64(res, 0, 1),
			    qj_db_str(res, 0, 2), in.event,
			    d ? d->detail : "");
			qj_db_rollback(env->db);
			PQclear(res);
			res = NULL;
			if ((err = qj_db_begin(env->db, d)) != QJ_OK)
				return (err);
			err = deadline_close(env->db, id, "cancelled",
			    env->now, d);
			if (err == QJ_OK)
				err = qj_db_commit(env->db, d);
			else
				qj_db_rollback(env->db);
			if (err != QJ_OK)
				return (err);
			continue;
		}
		PQclear(res);
		res = NULL;
		if ((err = qj_db_commit(env->db, d)) != QJ_OK)
			return (err);
		(*fired)++;
	}
	return (QJ_OK);
}
