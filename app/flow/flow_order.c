/*
 * flow_order.c: drafting an order (бұйрық) from the cases that wait for
 * one (see flow_order_draft() in flow.h).
 *
 * Each listed case must be in a state with an order-item of the order's
 * series and must not already be on a live order.  The order document is
 * built as JSON in the shape of forms/order.xsd — the registrar's head
 * (title, preamble, signatory, language...) plus one item per case, made
 * from the case's applicant and the fields its order-item selects from its
 * documents — and then converted and validated by the forms module like
 * any submission, so a server-built order meets the same schema.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/xmlsafe.h"
#include "flow/flow.h"
#include "store/people.h"

#define ORDER_MAX_CASES	256

/* The first "seed NNN Lx[-Ly]" of a free-text citation, or "". */
static void
cite_prefix(const char *cite, char *out, size_t len)
{
	const char	*s = strstr(cite ? cite : "", "seed ");
	size_t		 n = 0;

	out[0] = '\0';
	if (s == NULL || strlen(s) < 10 || !isdigit((unsigned char)s[5]) ||
	    !isdigit((unsigned char)s[6]) || !isdigit((unsigned char)s[7]) ||
	    s[8] != ' ' || s[9] != 'L')
		return;
	n = 10;
	while (isdigit((unsigned char)s[n]))
		n++;
	if (n == 10)
		return;
	if (s[n] == '-' && (s[n + 1] == 'L' || isdigit((unsigned char)
	    s[n + 1]))) {
		size_t m = n + 1 + (s[n + 1] == 'L');

		if (isdigit((unsigned char)s[m])) {
			while (isdigit((unsigned char)s[m]))
				m++;
			n = m;
		}
	}
	snprintf(out, len, "%.*s", (int)n, s);
}

/*
 * The value of an element of a form document, typed as the form says:
 * the document as JSON (qj_form_to_json) walked along the element's path
 * of local names from the root.  NULL when the element is not there.
 */
/* 0-based position of an element among its same-named siblings. */
static size_t
sibling_index(xmlNodePtr n)
{
	xmlNodePtr	p;
	size_t		i = 0;

	for (p = n->prev; p != NULL; p = p->prev)
		if (p->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(p->name, n->name) == 0)
			i++;
	return (i);
}

/*
 * The value of an element of a form document, typed as the form says:
 * the document as JSON (qj_form_to_json) walked along the element's path
 * of local names from the root; a repeated element (the JSON array of its
 * wrapper) is taken at its position.  NULL when the element is not there.
 */
static json_t *
typed_value(const json_t *docjson, xmlNodePtr node)
{
	xmlNodePtr	 nodes[16];
	const json_t	*v = docjson;
	xmlNodePtr	 n;
	int		 depth = 0, i;

	for (n = node; n != NULL && n->parent != NULL &&
	    n->parent->type == XML_ELEMENT_NODE && depth < 16; n = n->parent)
		nodes[depth++] = n;
	for (i = depth - 1; i >= 0 && v != NULL; i--) {
		if (json_is_array(v))
			v = json_array_get(v, sibling_index(nodes[i]));
		else
			v = json_is_object(v) ? json_object_get(v,
			    (const char *)nodes[i]->name) : NULL;
	}
	return ((json_t *)v);
}

/*
 * The JSON of a variable's or a constant's text: a string, or with
 * type="integer" an integer (a 422 naming the case when the text is not
 * one, e.g. a variable set from a form field left empty).
 */
static enum qj_err
text_value(int64_t case_id, const struct wf_order_field *f, const char *text,
    json_t **out, struct qj_diag *d)
{
	char		*end;
	long long	 n;

	if (!f->integer) {
		*out = json_string(text);
		return (QJ_OK);
	}
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || !isdigit(
	    (unsigned char)text[text[0] == '-']))
		return (qj_fail(d, QJ_EUNPROC, "invalid-field", "case_ids",
		    "case %lld: the order item's %s is not an integer: %.40s",
		    (long long)case_id, f->name, text));
	*out = json_integer((json_int_t)n);
	return (QJ_OK);
}

struct listed {
	int64_t		 id;
	struct case_row	 c;
	const struct wf_def *def;
	const struct wf_order_item *oi;
};

/* The item of one case: JSON for the form, and flat data for its event. */
static enum qj_err
build_item(struct flow_env *env, struct listed *l, int number, json_t **item,
    json_t **flat, struct qj_diag *d)
{
	const struct wf_order_item	*oi = l->oi;
	PGresult			*pe = NULL, *doc = NULL;
	xmlDocPtr			 x = NULL;
	xmlNodePtr			 node;
	json_t				*vars, *v, *dj = NULL;
	char				 ref[64], cite[96];
	const char			*role;
	int64_t				 case_id;
	enum qj_err			 err;
	int				 i;

	if ((err = people_get(env->db, l->c.applicant_id, &pe, d)) != QJ_OK)
		return (err);
	if (PQntuples(pe) != 1) {
		PQclear(pe);
		return (qj_fail(d, QJ_EUNPROC, "no-applicant", "case_ids",
		    "case %lld has no learner to list", (long long)l->id));
	}
	snprintf(ref, sizeof(ref), "%s-%lld", l->c.workflow, (long long)l->id);
	cite_prefix(oi->cite, cite, sizeof(cite));
	*item = json_pack("{s:i, s:s, s:{s:s, s:{s:s, s:s, s:s}}, s:s}",
	    "number", number, "caseRef", ref,
	    "learner", "iin", qj_db_str(pe, 0, 1), "fullName",
	    "kk", qj_db_str(pe, 0, 3), "ru", qj_db_str(pe, 0, 4),
	    "en", qj_db_str(pe, 0, 5),
	    "action", oi->action);
	*flat = json_pack("{s:s, s:I, s:s}", "action", oi->action, "case",
	    (json_int_t)l->id, "iin", qj_db_str(pe, 0, 1));
	PQclear(pe);
	vars = json_loads(l->c.vars, 0, NULL);
	for (i = 0; i < oi->nfields && err == QJ_OK; i++) {
		const struct wf_order_field *f = &oi->fields[i];

		if (f->document == NULL || strcmp(f->document, "var") == 0) {
			v = f->document == NULL ? NULL :
			    json_object_get(vars, f->select);
			if (f->document == NULL || json_is_string(v)) {
				err = text_value(l->id, f, f->document == NULL ?
				    f->value : json_string_value(v), &v, d);
				if (err != QJ_OK)
					break;
				json_object_set(*item, f->name, v);
				json_object_set_new(*flat, f->name, v);
			}
			continue;
		}
		role = f->document;
		case_id = l->id;
		if (strncmp(role, "parent:", 7) == 0) {
			role += 7;
			case_id = l->c.parent_id;
		}
		if (x == NULL) {
			if ((err = case_doc_current(env->db, case_id, role,
			    &doc, d)) != QJ_OK)
				break;
			if (PQntuples(doc) != 1 ||
			    qj_xml_parse(qj_db_str(doc, 0, 4),
			    strlen(qj_db_str(doc, 0, 4)), 0, &x, d) != QJ_OK ||
			    qj_form_to_json(env->forms, qj_db_str(doc, 0, 3),
			    qj_db_str(doc, 0, 4), strlen(qj_db_str(doc, 0, 4)),
			    &dj, d) != QJ_OK) {
				err = qj_fail(d, QJ_EUNPROC, "no-document",
				    "case_ids", "case %lld has no readable %s "
				    "document for its order item",
				    (long long)l->id, f->document);
				break;
			}
		}
		node = wf_select_node(l->def, x, f->select);
		if (node != NULL && node->type == XML_ELEMENT_NODE &&
		    (v = typed_value(dj, node)) != NULL) {
			json_object_set(*item, f->name, v);
			if (!json_is_object(v) && !json_is_array(v))
				json_object_set(*flat, f->name, v);
		}
		/* The next field may read another document. */
		if (i + 1 < oi->nfields && (oi->fields[i + 1].document == NULL ||
		    strcmp(oi->fields[i + 1].document, f->document) != 0)) {
			PQclear(doc);
			doc = NULL;
			if (x != NULL)
				xmlFreeDoc(x);
			x = NULL;
			if (dj != NULL)
				json_decref(dj);
			dj = NULL;
		}
	}
	if (err == QJ_OK)
		json_object_set_new(*item, "basis", json_pack("{s:{s:s, s:s, "
		    "s:s}, s:s}", "act", "kk", l->def->title.kk, "ru",
		    l->def->title.ru, "en", l->def->title.en, "citation",
		    cite[0] != '\0' ? cite : "seed 000 L1565"));
	PQclear(doc);
	if (x != NULL)
		xmlFreeDoc(x);
	if (dj != NULL)
		json_decref(dj);
	if (vars != NULL)
		json_decref(vars);
	return (err);
}

/* The deepest unit containing every path ("/1/3/" and "/1/4/" -> "/1/"). */
static void
common_path(char *acc, const char *path)
{
	size_t	i, last = 0;

	for (i = 0; acc[i] != '\0' && acc[i] == path[i]; i++)
		if (acc[i] == '/')
			last = i;
	if (acc[i] != '\0' || (path[i] != '\0' && acc[i - 1] != '/'))
		acc[last + 1] = '\0';
}

enum qj_err
flow_order_draft(struct flow_env *env, const struct flow_actor *a,
    const char *series, const json_t *head, const int64_t *ids, int n,
    int64_t *order_case, struct qj_diag *d)
{
	struct listed	*l = NULL;
	struct qj_buf	 xml = QJ_BUF_INIT;
	PGresult	*res = NULL, *org = NULL;
	json_t		*doc = NULL, *items, *flats = json_array();
	json_t		*item = NULL, *flat = NULL;
	char		 common[192] = "", vars[128], *item_text;
	int64_t		 unit = 0;
	enum qj_err	 err = QJ_OK;
	int		 i, j;

	if (n < 1 || n > ORDER_MAX_CASES) {
		json_decref(flats);
		return (qj_fail(d, QJ_EINVAL, "invalid-field", "case_ids",
		    "an order lists 1 to %d cases", ORDER_MAX_CASES));
	}
	if ((err = flow_calendar(env, d)) != QJ_OK) {
		json_decref(flats);
		return (err);
	}
	l = calloc((size_t)n, sizeof(*l));
	for (i = 0; i < n && err == QJ_OK; i++) {
		for (j = 0; j < i; j++)
			if (ids[j] == ids[i])
				err = qj_fail(d, QJ_EINVAL, "duplicate-case",
				    "case_ids", "case %lld is listed twice",
				    (long long)ids[i]);
		if (err != QJ_OK)
			break;
		l[i].id = ids[i];
		if ((err = case_lock(env->db, ids[i], &l[i].c, d)) != QJ_OK ||
		    (err = flow_def(env, l[i].c.workflow, l[i].c.wf_version,
		    &l[i].def, d)) != QJ_OK)
			break;
		l[i].oi = wf_state(l[i].def, l[i].c.state) ?
		    wf_state(l[i].def, l[i].c.state)->order_item : NULL;
		if (l[i].oi == NULL || strcmp(l[i].oi->series, series) != 0) {
			err = qj_fail(d, QJ_ECONFLICT, "not-awaiting-order",
			    "case_ids", "case %lld (%s, %s) does not wait for "
			    "an order of series %s", (long long)ids[i],
			    l[i].c.workflow, l[i].c.state, series);
			break;
		}
		if ((err = links_to(env->db, ids[i], &res, d)) != QJ_OK)
			break;
		/* Live: neither closed nor registered (a registered order
		 * has already moved the case). */
		for (j = 0; j < PQntuples(res); j++)
			if (!qj_db_bool(res, j, 2) && !qj_db_bool(res, j, 3))
				err = qj_fail(d, QJ_ECONFLICT, "already-in-order",
				    "case_ids", "case %lld is already on order "
				    "case %lld", (long long)ids[i],
				    (long long)qj_db_i64(res, j, 0));
		PQclear(res);
		res = NULL;
		if (i == 0)
			snprintf(common, sizeof(common), "%s", l[i].c.unit_path);
		else
			common_path(common, l[i].c.unit_path);
	}
	if (err != QJ_OK)
		goto out;
	/* The organisation of the common unit, and that unit. */
	{
		struct qj_params p;

		qj_p_init(&p);
		qj_p_str(&p, common);
		if ((err = qj_db_exec(env->db, &org, "SELECT u.id, o.bin, "
		    "o.name_kk, o.name_ru, o.name_en FROM unit u JOIN "
		    "organisation o ON o.id = u.org_id WHERE u.path = $1", &p,
		    d)) != QJ_OK)
			goto out;
	}
	if (PQntuples(org) != 1) {
		err = qj_fail(d, QJ_EUNPROC, "no-common-unit", "case_ids",
		    "the cases belong to different organisations");
		goto out;
	}
	unit = qj_db_i64(org, 0, 0);
	doc = json_deep_copy(head);
	json_object_set_new(doc, "organisation", json_pack("{s:{s:s, s:s, s:s}, "
	    "s:s}", "name", "kk", qj_db_str(org, 0, 2), "ru",
	    qj_db_str(org, 0, 3), "en", qj_db_str(org, 0, 4), "bin",
	    qj_db_str(org, 0, 1)));
	json_object_set_new(doc, "series", json_string(series));
	items = json_array();
	for (i = 0; i < n && err == QJ_OK; i++) {
		item = flat = NULL;
		err = build_item(env, &l[i], i + 1, &item, &flat, d);
		/* Owned by the arrays from here, on success or not. */
		if (item != NULL)
			json_array_append_new(items, item);
		if (flat != NULL)
			json_array_append_new(flats, flat);
	}
	json_object_set_new(doc, "items", items);
	if (err != QJ_OK)
		goto out;
	if (json_object_get(doc, "version") == NULL)
		json_object_set_new(doc, "version", json_string("1.0"));
	if ((err = qj_form_from_json(env->forms, "order", doc, &xml, d)) !=
	    QJ_OK)
		goto out;
	snprintf(vars, sizeof(vars), "{\"series\":\"%s\"}", series);
	/* The items may name the listed cases' attachments (the ISP). */
	env->attach_cases = ids;
	env->nattach_cases = n;
	err = flow_open(env, a, "order", unit, 0, xml.data, xml.len, 0, vars,
	    order_case, d);
	env->attach_cases = NULL;
	env->nattach_cases = 0;
	if (err != QJ_OK)
		goto out;
	for (i = 0; i < n && err == QJ_OK; i++) {
		item_text = json_dumps(json_array_get(flats, (size_t)i),
		    JSON_COMPACT | JSON_SORT_KEYS);
		err = link_add(env->db, *order_case, l[i].id, i + 1,
		    l[i].oi->event, item_text, d);
		free(item_text);
	}
out:
	for (i = 0; l != NULL && i < n; i++)
		case_row_free(&l[i].c);
	free(l);
	PQclear(org);
	if (doc != NULL)
		json_decref(doc);
	json_decref(flats);
	qj_buf_free(&xml);
	return (err);
}
