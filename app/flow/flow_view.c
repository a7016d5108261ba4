/*
 * flow_view.c: who may read a case, and the case as JSON with the actions
 * the reader may take now (see flow.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

static int
covers(const struct flow_actor *a, const char *unit_path, const char *role)
{
	int	i;

	for (i = 0; i < a->ngrants; i++) {
		if (role != NULL && strcmp(a->grants[i].role, role) != 0)
			continue;
		if (role == NULL && strcmp(a->grants[i].role, "applicant") == 0)
			continue;
		if (strncmp(unit_path, a->grants[i].unit_path,
		    strlen(a->grants[i].unit_path)) == 0)
			return (1);
	}
	return (0);
}

int
flow_may_read(struct flow_env *env, const struct flow_actor *a,
    const struct case_row *c)
{
	PGresult	*res = NULL;
	int		 i, ok = 0;

	if (a->system || (c->applicant_id != 0 &&
	    a->person_id == c->applicant_id))
		return (1);
	/* Officials over the case's unit, auditors included. */
	if (covers(a, c->unit_path, NULL))
		return (1);
	if (participants_of(env->db, c->id, &res, NULL) == QJ_OK) {
		for (i = 0; i < PQntuples(res) && !ok; i++)
			ok = qj_db_i64(res, i, 0) == a->person_id;
		PQclear(res);
		res = NULL;
	}
	/* The people an order names read the order. */
	if (!ok && links_from(env->db, c->id, &res, NULL) == QJ_OK) {
		for (i = 0; i < PQntuples(res) && !ok; i++)
			ok = qj_db_i64(res, i, 4) == a->person_id;
		PQclear(res);
	}
	return (ok);
}

static json_t *
text_json(const struct wf_text *t)
{
	return (json_pack("{s:s?, s:s?, s:s?}", "kk", t->kk, "ru", t->ru,
	    "en", t->en));
}

static json_t *
docs_json(struct flow_env *env, int64_t id)
{
	PGresult	*res = NULL;
	json_t		*arr = json_array(), *o;
	char		 uri[80];
	int		 i;

	if (case_docs(env->db, id, &res, NULL) != QJ_OK)
		return (arr);
	for (i = 0; i < PQntuples(res); i++) {
		flow_doc_uri(qj_db_str(res, i, 3), uri);
		o = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s}",
		    "id", (json_int_t)qj_db_i64(res, i, 0),
		    "role", qj_db_str(res, i, 1),
		    "version", (int)qj_db_i64(res, i, 2),
		    "sha256", qj_db_str(res, i, 3),
		    "form", qj_db_str(res, i, 4),
		    "uri", uri,
		    "created_at", qj_db_str(res, i, 7));
		json_object_set_new(o, "supersedes", qj_db_isnull(res, i, 5) ?
		    json_null() : json_integer(qj_db_i64(res, i, 5)));
		json_array_append_new(arr, o);
	}
	PQclear(res);
	return (arr);
}

static json_t *
sigs_json(struct flow_env *env, int64_t id)
{
	PGresult	*res = NULL;
	json_t		*arr = json_array();
	int		 i;

	if (signatures_of(env->db, id, &res, NULL) != QJ_OK)
		return (arr);
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:i, "
		    "s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "id", (json_int_t)qj_db_i64(res, i, 0),
		    "document_sha256", qj_db_str(res, i, 10),
		    "document_role", qj_db_str(res, i, 11),
		    "document_version", (int)qj_db_i64(res, i, 12),
		    "signer_id", (json_int_t)qj_db_i64(res, i, 2),
		    "signer", qj_db_str(res, i, 3),
		    "commitment", qj_db_str(res, i, 4),
		    "signer_role", qj_db_str(res, i, 5),
		    "event", qj_db_str(res, i, 6),
		    "signing_time", qj_db_str(res, i, 7),
		    "subject", qj_db_str(res, i, 8),
		    "xml_sha256", qj_db_str(res, i, 9)));
	PQclear(res);
	return (arr);
}

static json_t *
deadlines_json(struct flow_env *env, int64_t id)
{
	PGresult	*res = NULL;
	json_t		*arr = json_array();
	char		 due[QJ_RFC3339_STRLEN + 1];
	int		 i;

	if (deadlines_of(env->db, id, &res, NULL) != QJ_OK)
		return (arr);
	for (i = 0; i < PQntuples(res); i++) {
		if (env->cal == NULL || qj_cal_format_local(env->cal,
		    qj_db_i64(res, i, 4), due) != QJ_OK)
			qj_rfc3339_format(qj_db_i64(res, i, 4), 0, due);
		json_array_append_new(arr, json_pack("{s:s, s:{s:s, s:s, s:s}, "
		    "s:s, s:s, s:s, s:s, s:s}",
		    "name", qj_db_str(res, i, 0),
		    "title", "kk", qj_db_str(res, i, 1), "ru",
		    qj_db_str(res, i, 2), "en", qj_db_str(res, i, 3),
		    "due_at", due,
		    "rule", qj_db_str(res, i, 5),
		    "cite", qj_db_str(res, i, 6),
		    "on_expiry", qj_db_str(res, i, 7),
		    "state", qj_db_str(res, i, 8)));
	}
	PQclear(res);
	return (arr);
}

static json_t *
parts_json(struct flow_env *env, int64_t id)
{
	PGresult	*res = NULL;
	json_t		*arr = json_array();
	int		 i;

	if (participants_of(env->db, id, &res, NULL) != QJ_OK)
		return (arr);
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s}",
		    "person_id", (json_int_t)qj_db_i64(res, i, 0),
		    "capacity", qj_db_str(res, i, 1),
		    "login", qj_db_str(res, i, 2)));
	PQclear(res);
	return (arr);
}

static json_t *
links_json(struct flow_env *env, int64_t id)
{
	PGresult	*res = NULL;
	json_t		*o = json_object(), *lists = json_array();
	json_t		*in = json_array();
	int		 i;

	if (links_from(env->db, id, &res, NULL) == QJ_OK) {
		for (i = 0; i < PQntuples(res); i++)
			json_array_append_new(lists, json_pack("{s:I, s:i, s:s, "
			    "s:o}", "case_id", (json_int_t)qj_db_i64(res, i, 0),
			    "item", (int)qj_db_i64(res, i, 1), "event",
			    qj_db_str(res, i, 2), "data",
			    json_loads(qj_db_str(res, i, 3), 0, NULL)));
		PQclear(res);
		res = NULL;
	}
	if (links_to(env->db, id, &res, NULL) == QJ_OK) {
		for (i = 0; i < PQntuples(res); i++)
			json_array_append_new(in, json_pack("{s:I, s:s}",
			    "order_case_id", (json_int_t)qj_db_i64(res, i, 0),
			    "state", qj_db_str(res, i, 1)));
		PQclear(res);
	}
	json_object_set_new(o, "lists", lists);
	json_object_set_new(o, "listed_in", in);
	return (o);
}

/* The data a transition takes (its declared inputs). */
static json_t *
inputs_json(const struct wf_transition *t)
{
	static const char *const types[] = { "string", "date", "datetime",
	    "integer", "boolean" };
	json_t	*arr = json_array();
	int	 i;

	for (i = 0; i < t->ninputs; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:o}",
		    "name", t->inputs[i].name, "type",
		    types[t->inputs[i].type], "required", t->inputs[i].required,
		    "title", text_json(&t->inputs[i].title)));
	return (arr);
}

/* What the actor may do now, with what each action needs. */
static json_t *
actions_json(struct flow_env *env, const struct flow_actor *a,
    const struct case_row *c, const struct wf_def *def)
{
	const struct wf_state		*st = wf_state(def, c->state);
	const struct wf_transition	*t, *got;
	struct flow_sign_need		 need;
	struct qj_diag			 d;
	json_t				*arr = json_array(), *o;
	int				 i, j;

	if (st == NULL || st->terminal || a->system)
		return (arr);
	for (i = 0; i < def->ntransitions; i++) {
		t = &def->transitions[i];
		for (j = 0; j < t->nfrom; j++)
			if (strcmp(t->from[j], c->state) == 0)
				break;
		if (j == t->nfrom)
			continue;
		/* Branches of one event are one action. */
		if (wf_find(def, c->state, t->event) != t)
			continue;
		qj_diag_clear(&d);
		/* A transition that brings a new document is judged on it. */
		/* A transition that brings a document or data is judged on
		 * them when fired: its guards may fail without them now. */
		if (flow_sign_need(env, a, c->id, t->event, NULL, 0, &need,
		    &d) != QJ_OK && !((t->doc_role != NULL ||
		    t->ninputs > 0) && d.type != NULL &&
		    (strcmp(d.type, "guard-failed") == 0 ||
		    strcmp(d.type, "bad-input") == 0)))
			continue;
		flow_sign_need_free(&need);
		got = t;
		o = json_pack("{s:s, s:o}", "event", got->event, "title",
		    text_json(&got->title));
		if (got->sign_doc != NULL)
			json_object_set_new(o, "signature", json_pack(
			    "{s:s, s:s}", "document", got->sign_doc,
			    "commitment", wf_commitment_name(
			    got->sign_commitment)));
		if (got->doc_role != NULL)
			json_object_set_new(o, "document", json_pack(
			    "{s:s, s:s}", "role", got->doc_role, "form",
			    got->doc_form));
		if (got->reason)
			json_object_set_new(o, "reason", json_string(
			    got->reason == 2 ? "required" : "optional"));
		if (got->ninputs > 0)
			json_object_set_new(o, "inputs", inputs_json(got));
		json_array_append_new(arr, o);
	}
	if (st->parallel != NULL && flow_sign_need(env, a, c->id,
	    st->parallel->event, NULL, 0, &need, &d) == QJ_OK) {
		flow_sign_need_free(&need);
		o = json_pack("{s:s, s:s}", "event", st->parallel->event,
		    "parallel", st->parallel->id);
		if (st->parallel->commitment != WF_COMMIT_NONE)
			json_object_set_new(o, "signature", json_pack(
			    "{s:s, s:s}", "document", st->parallel->document,
			    "commitment", wf_commitment_name(
			    st->parallel->commitment)));
		json_array_append_new(arr, o);
	}
	if (st->vote != NULL) {
		PGresult *p = NULL, *v = NULL;
		int member = 0, voted = 0;

		if (participants_of(env->db, c->id, &p, NULL) == QJ_OK) {
			for (i = 0; i < PQntuples(p); i++)
				member |= qj_db_i64(p, i, 0) == a->person_id &&
				    (strcmp(qj_db_str(p, i, 1),
				    st->vote->members) == 0 ||
				    strcmp(qj_db_str(p, i, 1),
				    st->vote->chair) == 0);
			PQclear(p);
		}
		if (member && votes_of(env->db, c->id, c->round, st->vote->id,
		    &v, NULL) == QJ_OK) {
			for (i = 0; i < PQntuples(v); i++)
				voted |= qj_db_i64(v, i, 0) == a->person_id;
			PQclear(v);
		}
		if (member && !voted) {
			json_t *opts = json_array();

			for (i = 0; i < st->vote->noptions; i++)
				json_array_append_new(opts,
				    json_string(st->vote->options[i]));
			json_array_append_new(arr, json_pack("{s:s, s:o}",
			    "event", st->vote->event, "options", opts));
		}
	}
	return (arr);
}

enum qj_err
flow_case_json(struct flow_env *env, const struct flow_actor *a,
    int64_t case_id, json_t **out, struct qj_diag *d)
{
	const struct wf_def	*def;
	const struct wf_state	*st;
	struct case_row		 c;
	enum qj_err		 err;
	json_t			*o;

	if ((err = case_get(env->db, case_id, &c, d)) != QJ_OK)
		return (err);
	if (!flow_may_read(env, a, &c)) {
		case_row_free(&c);
		return (qj_fail(d, QJ_EDENIED, "not-your-case", "id",
		    "you may not see case %lld", (long long)case_id));
	}
	if ((err = flow_def(env, c.workflow, c.wf_version, &def, d)) != QJ_OK ||
	    (err = flow_calendar(env, d)) != QJ_OK) {
		case_row_free(&c);
		return (err);
	}
	st = wf_state(def, c.state);
	o = json_pack("{s:I, s:s, s:i, s:o, s:s, s:o, s:b, s:i, s:I, s:s, "
	    "s:s, s:s}",
	    "id", (json_int_t)c.id,
	    "workflow", c.workflow,
	    "workflow_version", c.wf_version,
	    "title", text_json(&def->title),
	    "state", c.state,
	    "state_title", st ? text_json(&st->title) : json_null(),
	    "terminal", c.terminal,
	    "version", c.version,
	    "unit_id", (json_int_t)c.unit_id,
	    "unit_path", c.unit_path,
	    "created_at", c.created_at,
	    "updated_at", c.updated_at);
	json_object_set_new(o, "applicant_id", c.applicant_id ?
	    json_integer(c.applicant_id) : json_null());
	json_object_set_new(o, "parent_id", c.parent_id ?
	    json_integer(c.parent_id) : json_null());
	json_object_set_new(o, "vars", json_loads(c.vars, 0, NULL));
	json_object_set_new(o, "registration", c.reg_number ? json_pack(
	    "{s:s, s:i, s:i, s:s}", "series", c.series, "year", c.reg_year,
	    "number", c.reg_number, "date", c.reg_date) : json_null());
	json_object_set_new(o, "documents", docs_json(env, c.id));
	json_object_set_new(o, "signatures", sigs_json(env, c.id));
	json_object_set_new(o, "deadlines", deadlines_json(env, c.id));
	json_object_set_new(o, "participants", parts_json(env, c.id));
	json_object_set_new(o, "links", links_json(env, c.id));
	json_object_set_new(o, "actions", actions_json(env, a, &c, def));
	case_row_free(&c);
	*out = o;
	return (QJ_OK);
}
