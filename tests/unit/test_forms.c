/*
 * test_forms.c: unit tests of the forms core (app/core/forms.c) over the
 * real schemas in forms/ and the samples in tests/data/forms/: every
 * valid sample converts, every invalid one is refused naming a field,
 * every rule sample fails its rule, JSON and XML of the same content give
 * the same bytes whatever the key order or formatting, hostile XML is
 * refused by xmlsafe, and the schema loader reads only its own directory.
 * Run from the repository root.
 */
#include <check.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "core/buf.h"
#include "core/forms.h"
#include "core/xmlsafe.h"

#define FORMS_DIR	"forms"
#define SAMPLES		"tests/data/forms"

static struct qj_forms	*forms;

static void
setup(void)
{
	struct qj_diag	d;

	qj_diag_clear(&d);
	if (qj_forms_load(FORMS_DIR, &forms, &d) != QJ_OK)
		ck_abort_msg("loading %s: %s %s: %s", FORMS_DIR,
		    d.type, d.field, d.detail);
}

static void
teardown(void)
{
	qj_forms_free(forms);
	forms = NULL;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*b;
	long	 n;

	ck_assert_msg((f = fopen(path, "rb")) != NULL, "open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	ck_assert_ptr_nonnull(b = malloc((size_t)n + 1));
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return (b);
}

static void
spit(const char *path, const char *text)
{
	FILE	*f;

	ck_assert_msg((f = fopen(path, "wb")) != NULL, "create %s", path);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

/* "tests/data/forms/order.valid.xml" -> "order"; and the kind after it. */
static void
sample_id(const char *path, char *id, size_t sz, const char **kind)
{
	const char	*b = strrchr(path, '/'), *dot;

	b = b != NULL ? b + 1 : path;
	dot = strchr(b, '.');
	ck_assert_ptr_nonnull(dot);
	snprintf(id, sz, "%.*s", (int)(dot - b), b);
	if (kind != NULL)
		*kind = dot + 1;
}

/* Sample files matching a pattern, without the labels.* vocabulary. */
struct set {
	glob_t	  g;
	char	**v;	/* into g */
	size_t	  n;
};

static void
samples(const char *pattern, struct set *ss)
{
	size_t	i;

	memset(ss, 0, sizeof(*ss));
	if (glob(pattern, 0, NULL, &ss->g) != 0)
		return;
	ck_assert_ptr_nonnull(ss->v = calloc(ss->g.gl_pathc, sizeof(char *)));
	for (i = 0; i < ss->g.gl_pathc; i++)
		if (strstr(ss->g.gl_pathv[i], "/labels.") == NULL)
			ss->v[ss->n++] = ss->g.gl_pathv[i];
}

static void
set_free(struct set *ss)
{
	free(ss->v);
	if (ss->g.gl_pathc > 0)
		globfree(&ss->g);
}

static void
assert_same(const struct qj_buf *a, const struct qj_buf *b, const char *what)
{
	ck_assert_msg(a->len == b->len && memcmp(a->data, b->data, a->len) == 0,
	    "%s: bytes differ:\n%s\n---\n%s", what, a->data, b->data);
}

static void
from_xml_ok(const char *id, const char *xml, size_t len, struct qj_buf *out,
    const char *what)
{
	struct qj_diag	d;
	enum qj_err	err;

	qj_diag_clear(&d);
	err = qj_form_from_xml(forms, id, xml, len, out, &d);
	ck_assert_msg(err == QJ_OK, "%s: %s [%s] %s", what, d.type, d.field,
	    d.detail);
}

static void
from_json_ok(const char *id, const json_t *j, struct qj_buf *out,
    const char *what)
{
	struct qj_diag	d;
	enum qj_err	err;

	qj_diag_clear(&d);
	err = qj_form_from_json(forms, id, j, out, &d);
	ck_assert_msg(err == QJ_OK, "%s: %s [%s] %s", what, d.type, d.field,
	    d.detail);
}

static json_t *
to_json_ok(const char *id, const struct qj_buf *xml, const char *what)
{
	struct qj_diag	 d;
	json_t		*j = NULL;
	enum qj_err	 err;

	qj_diag_clear(&d);
	err = qj_form_to_json(forms, id, xml->data, xml->len, &j, &d);
	ck_assert_msg(err == QJ_OK, "%s: %s [%s] %s", what, d.type, d.field,
	    d.detail);
	return (j);
}

/* Canonical bytes of a sample file, converted as an XML submission. */
static void
canonical_of(const char *path, struct qj_buf *out)
{
	char	 id[80], *x;
	size_t	 len;

	sample_id(path, id, sizeof(id), NULL);
	x = slurp(path, &len);
	from_xml_ok(id, x, len, out, path);
	free(x);
}

/* Deep copy of v with object keys reversed (shuffle 0) or shuffled (1). */
static json_t *
reorder(json_t *v, int shuffle)
{
	const char	*keys[256], *k;
	json_t		*r, *x;
	size_t		 n = 0, i, j;

	if (json_is_array(v)) {
		/* Array order is data (item 1, item 2): keep it. */
		ck_assert_ptr_nonnull(r = json_array());
		json_array_foreach(v, i, x)
			ck_assert_int_eq(json_array_append_new(r,
			    reorder(x, shuffle)), 0);
		return (r);
	}
	if (!json_is_object(v))
		return (json_deep_copy(v));
	json_object_foreach(v, k, x) {
		ck_assert_uint_lt(n, QJ_NELEM(keys));
		keys[n++] = k;
	}
	for (i = 0; i < n; i++) {
		if (shuffle)
			j = i + (size_t)rand() % (n - i);
		else if ((j = n - 1 - i) <= i)
			break;
		k = keys[i];
		keys[i] = keys[j];
		keys[j] = k;
	}
	ck_assert_ptr_nonnull(r = json_object());
	for (i = 0; i < n; i++)
		ck_assert_int_eq(json_object_set_new(r, keys[i],
		    reorder(json_object_get(v, keys[i]), shuffle)), 0);
	return (r);
}

static const char *
first_key(json_t *o)
{
	return (json_object_iter_key(json_object_iter(o)));
}

/* --- loading ------------------------------------------------------------- */

START_TEST(t_load)
{
	size_t	i;

	ck_assert_uint_eq(qj_forms_count(forms), 11);
	for (i = 1; i < qj_forms_count(forms); i++)
		ck_assert_int_lt(strcmp(qj_forms_id(forms, i - 1),
		    qj_forms_id(forms, i)), 0);
	ck_assert_ptr_null(qj_forms_id(forms, 11));
	for (i = 0; i < qj_forms_count(forms); i++) {
		ck_assert_str_ne(qj_forms_id(forms, i), "common");
		ck_assert_str_ne(qj_forms_id(forms, i), "labels");
	}
	ck_assert_str_eq(qj_form_root(forms, "academic-leave-application"),
	    "academicLeaveApplication");
	ck_assert_str_eq(qj_form_namespace(forms, "order"),
	    "urn:qujat:form:order:1");
	ck_assert_str_eq(qj_form_root(forms, "tripartite-contract"),
	    "tripartiteContract");
	ck_assert_ptr_null(qj_form_root(forms, "common"));
	ck_assert_ptr_null(qj_form_root(forms, "nope"));
}
END_TEST

/* --- samples ------------------------------------------------------------- */

START_TEST(t_valid_samples)
{
	struct set	 ss;
	size_t		 n, i;
	char		 id[80], head[256];
	struct qj_buf	 c, c2, c3;
	json_t		*j, *j2;

	samples(SAMPLES "/*.valid*.xml", &ss);
	n = ss.n;
	ck_assert_uint_ge(n, 20);
	for (i = 0; i < n; i++) {
		const char *path = ss.v[i];

		sample_id(path, id, sizeof(id), NULL);
		c = (struct qj_buf)QJ_BUF_INIT;
		c2 = (struct qj_buf)QJ_BUF_INIT;
		c3 = (struct qj_buf)QJ_BUF_INIT;
		canonical_of(path, &c);
		/* Canonical: the root with the form's default namespace. */
		snprintf(head, sizeof(head), "<%s xmlns=\"%s\" version=\"",
		    qj_form_root(forms, id), qj_form_namespace(forms, id));
		ck_assert_msg(strncmp(c.data, head, strlen(head)) == 0,
		    "%s: starts %.80s", path, c.data);
		ck_assert_ptr_null(strstr(c.data, "<?xml"));
		ck_assert_ptr_null(strstr(c.data, "<!--"));
		/* XML -> JSON -> XML gives the same bytes. */
		j = to_json_ok(id, &c, path);
		from_json_ok(id, j, &c2, path);
		assert_same(&c, &c2, path);
		/* Canonical bytes are a fixed point of the XML path. */
		from_xml_ok(id, c.data, c.len, &c3, path);
		assert_same(&c, &c3, path);
		/* ... and of the JSON path. */
		j2 = to_json_ok(id, &c2, path);
		ck_assert_msg(json_equal(j, j2), "%s: JSON differs", path);
		json_decref(j);
		json_decref(j2);
		qj_buf_free(&c);
		qj_buf_free(&c2);
		qj_buf_free(&c3);
	}
	set_free(&ss);
}
END_TEST

START_TEST(t_invalid_samples)
{
	static const struct {
		const char	*file;
		const char	*field;
	} want[] = {
		{ "academic-leave-application.invalid-bad-iin",
		    "applicant/iin" },
		{ "academic-leave-application.invalid-missing-evidence",
		    "evidence" },
		{ "appeal-application.invalid-unknown-ground",
		    "grounds/ground[1]/code" },
		{ "commission-protocol.invalid-unknown-vote",
		    "members/member[3]/vote" },
		{ "commission-protocol.invalid-empty-members",
		    "members/member" },
		{ "employment-report.invalid-employer-without-bin",
		    "employment/employer/bin" },
		{ "order.invalid-registration-without-number",
		    "registration/number" },
		{ "tripartite-contract.invalid-wrong-clause-number",
		    "residentObligations/changeNotice/number" },
		{ "decision.invalid-missing-decided-by", "decidedBy" },
	};
	struct set	 ss;
	size_t		 n, i, k, checked = 0;
	char		 id[80], base[128], *x;
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	size_t		 len;

	samples(SAMPLES "/*.invalid-*.xml", &ss);
	n = ss.n;
	ck_assert_uint_ge(n, 22);
	for (i = 0; i < n; i++) {
		const char *path = ss.v[i];

		sample_id(path, id, sizeof(id), NULL);
		x = slurp(path, &len);
		qj_diag_clear(&d);
		ck_assert_msg(qj_form_from_xml(forms, id, x, len, &out, &d) ==
		    QJ_EUNPROC, "%s: accepted", path);
		ck_assert_uint_eq(out.len, 0);
		ck_assert_str_eq(d.type, "schema-violation");
		ck_assert_msg(d.field[0] != '\0', "%s: no field: %s", path,
		    d.detail);
		ck_assert_msg(strncmp(d.detail, d.field, strlen(d.field)) == 0,
		    "%s: detail does not start with the field", path);
		snprintf(base, sizeof(base), "%s", strrchr(path, '/') + 1);
		base[strlen(base) - 4] = '\0';		/* ".xml" */
		for (k = 0; k < QJ_NELEM(want); k++) {
			if (strcmp(base, want[k].file) != 0)
				continue;
			ck_assert_msg(strcmp(d.field, want[k].field) == 0,
			    "%s: field %s, want %s", path, d.field,
			    want[k].field);
			checked++;
		}
		free(x);
	}
	ck_assert_uint_eq(checked, QJ_NELEM(want));
	set_free(&ss);
}
END_TEST

/* The citation of rule `rule` of form `id`, from the description. */
static const char *
rule_cite(json_t *desc, const char *rule)
{
	json_t	*r;
	size_t	 i;

	json_array_foreach(json_object_get(desc, "rules"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")),
		    rule) == 0)
			return (json_string_value(json_object_get(r, "cite")));
	return (NULL);
}

START_TEST(t_rule_samples)
{
	struct set	 ss;
	size_t		 n, i, len, first = 0;
	char		 id[80], rule[80], head[200], *x, *also;
	const char	*kind, *cite;
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	json_t		*desc;

	samples(SAMPLES "/*.rule-*.xml", &ss);
	n = ss.n;
	ck_assert_uint_ge(n, 30);
	for (i = 0; i < n; i++) {
		const char *path = ss.v[i];

		sample_id(path, id, sizeof(id), &kind);
		snprintf(rule, sizeof(rule), "%.*s", (int)(strlen(kind) - 9),
		    kind + 5);	/* "rule-" <id> ".xml" */
		ck_assert_ptr_nonnull(desc = qj_form_describe(forms, id, "en"));
		ck_assert_msg((cite = rule_cite(desc, rule)) != NULL,
		    "%s: form has no rule %s", path, rule);
		x = slurp(path, &len);
		qj_diag_clear(&d);
		ck_assert_msg(qj_form_from_xml(forms, id, x, len, &out, &d) ==
		    QJ_EUNPROC, "%s: accepted", path);
		ck_assert_uint_eq(out.len, 0);
		ck_assert_msg(strcmp(d.type, "form-rule") == 0,
		    "%s: %s: %s", path, d.type, d.detail);
		snprintf(head, sizeof(head), "rule %s (%s): ", rule, cite);
		if (strncmp(d.detail, head, strlen(head)) == 0)
			first++;
		else {
			/* Another rule came first; ours must be listed too. */
			ck_assert_msg((also = strstr(d.detail,
			    "(also failing: ")) != NULL, "%s: %s", path,
			    d.detail);
			ck_assert_msg(strstr(also, rule) != NULL, "%s: %s",
			    path, d.detail);
		}
		json_decref(desc);
		free(x);
	}
	ck_assert_uint_ge(first, n - 2);
	set_free(&ss);
}
END_TEST

/* --- JSON and XML agree -------------------------------------------------- */

START_TEST(t_json_twins)
{
	struct set	 ss;
	size_t		 n, i, len;
	char		 id[80], xml[PATH_MAX], *text;
	struct qj_buf	 a, b;
	json_t		*j;
	json_error_t	 je;

	samples(SAMPLES "/*.json", &ss);
	n = ss.n;
	ck_assert_uint_ge(n, 2);
	for (i = 0; i < n; i++) {
		const char *path = ss.v[i];

		sample_id(path, id, sizeof(id), NULL);
		snprintf(xml, sizeof(xml), "%.*s.xml",
		    (int)(strlen(path) - 5), path);
		text = slurp(path, &len);
		j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		ck_assert_msg(j != NULL, "%s: %s", path, je.text);
		a = (struct qj_buf)QJ_BUF_INIT;
		b = (struct qj_buf)QJ_BUF_INIT;
		from_json_ok(id, j, &a, path);
		canonical_of(xml, &b);
		assert_same(&a, &b, path);
		json_decref(j);
		free(text);
		qj_buf_free(&a);
		qj_buf_free(&b);
	}
	set_free(&ss);
}
END_TEST

START_TEST(t_key_order)
{
	struct set	 ss;
	size_t		 n, i, mode;
	char		 id[80];
	struct qj_buf	 c, c2;
	json_t		*j, *r;

	srand(20251123);
	samples(SAMPLES "/*.valid*.xml", &ss);
	n = ss.n;
	for (i = 0; i < n; i++) {
		const char *path = ss.v[i];

		sample_id(path, id, sizeof(id), NULL);
		c = (struct qj_buf)QJ_BUF_INIT;
		canonical_of(path, &c);
		j = to_json_ok(id, &c, path);
		for (mode = 0; mode < 3; mode++) {
			r = reorder(j, mode > 0);
			if (mode == 0)
				ck_assert_str_ne(first_key(r), first_key(j));
			c2 = (struct qj_buf)QJ_BUF_INIT;
			from_json_ok(id, r, &c2, path);
			assert_same(&c, &c2, path);
			qj_buf_free(&c2);
			json_decref(r);
		}
		json_decref(j);
		qj_buf_free(&c);
	}
	set_free(&ss);
}
END_TEST

/* Moves every element below n to prefix f or cmn; drops other xmlns. */
static void
reprefix(xmlNodePtr n, xmlNsPtr f, xmlNsPtr cmn)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		n->ns = strcmp((const char *)n->ns->href,
		    QJ_FORM_NS_COMMON) == 0 ? cmn : f;
		reprefix(n->children, f, cmn);
		xmlFreeNsList(n->nsDef);
		n->nsDef = NULL;
	}
}

/* The first element below n with a text child. */
static xmlNodePtr
first_text(xmlNodePtr n)
{
	xmlNodePtr	r;

	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE)
			return (n);
		if (n->type == XML_ELEMENT_NODE &&
		    (r = first_text(n->children)) != NULL)
			return (r);
	}
	return (NULL);
}

/*
 * The same content written differently: indented, with comments, a CDATA
 * section, an XML declaration, and the prefixes f and cmn instead of the
 * default namespace and c, gives the same bytes.
 */
START_TEST(t_xml_formatting)
{
	struct qj_buf	 c = QJ_BUF_INIT, o;
	struct qj_diag	 d;
	xmlDocPtr	 doc;
	xmlNodePtr	 root, t;
	xmlNsPtr	 old, f, cmn;
	xmlChar		*mem;
	int		 size, variant;

	canonical_of(SAMPLES "/decision.valid.xml", &c);
	for (variant = 0; variant < 2; variant++) {
		ck_assert_int_eq(qj_xml_parse(c.data, c.len, 0, &doc, &d),
		    QJ_OK);
		root = xmlDocGetRootElement(doc);
		if (variant == 1) {
			old = root->nsDef;
			root->nsDef = NULL;
			f = xmlNewNs(root, (const xmlChar *)
			    "urn:qujat:form:decision:1", (const xmlChar *)"f");
			cmn = xmlNewNs(root, (const xmlChar *)
			    QJ_FORM_NS_COMMON, (const xmlChar *)"cmn");
			root->ns = f;
			reprefix(root->children, f, cmn);
			xmlFreeNsList(old);
		}
		xmlAddPrevSibling(root->children,
		    xmlNewDocComment(doc, (const xmlChar *)" a comment "));
		ck_assert_ptr_nonnull(t = first_text(root->children));
		xmlAddNextSibling(t, xmlNewCDataBlock(doc,
		    (const xmlChar *)"", 0));
		xmlAddNextSibling(t, xmlNewDocComment(doc,
		    (const xmlChar *)"inside"));
		xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
		if (variant == 0)
			ck_assert_ptr_nonnull(strstr((char *)mem,
			    "<decision xmlns=\"urn:qujat:form:decision:1\""));
		else
			ck_assert_ptr_nonnull(strstr((char *)mem,
			    "<f:decision xmlns:f="));
		ck_assert_ptr_nonnull(strstr((char *)mem, "\n  <"));
		o = (struct qj_buf)QJ_BUF_INIT;
		from_xml_ok("decision", (char *)mem, (size_t)size, &o,
		    (char *)mem);
		assert_same(&c, &o, (char *)mem);
		qj_buf_free(&o);
		xmlFree(mem);
		xmlFreeDoc(doc);
	}
	qj_buf_free(&c);
}
END_TEST

START_TEST(t_decimal_canonical)
{
	struct qj_buf	 c = QJ_BUF_INIT;

	/* The sample writes 73.50 and 3.00; the canonical value is 73.5, 3. */
	canonical_of(SAMPLES "/commission-protocol.valid.xml", &c);
	ck_assert_ptr_nonnull(strstr(c.data,
	    "<scoreBefore>73.5</scoreBefore><pointsAdded>3</pointsAdded>"
	    "<scoreAfter>76.5</scoreAfter>"));
	qj_buf_free(&c);
}
END_TEST

/* Removes the element at a describe() path ("a/b/c") from a JSON object. */
static int
drop_path(json_t *o, const char *path)
{
	char	 buf[256], *seg, *next;

	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = buf; (next = strchr(seg, '/')) != NULL; seg = next + 1) {
		*next = '\0';
		if ((o = json_object_get(o, seg)) == NULL || !json_is_object(o))
			return (0);
	}
	return (json_object_del(o, seg) == 0);
}

START_TEST(t_fixed_filled)
{
	struct qj_buf	 c = QJ_BUF_INIT, c2 = QJ_BUF_INIT;
	json_t		*j, *desc, *f;
	size_t		 i, dropped = 0;

	canonical_of(SAMPLES "/tripartite-contract.valid.xml", &c);
	j = to_json_ok("tripartite-contract", &c, "contract");
	ck_assert_ptr_nonnull(desc = qj_form_describe(forms,
	    "tripartite-contract", "kk"));
	json_array_foreach(json_object_get(desc, "fields"), i, f)
		if (json_object_get(f, "fixed") != NULL)
			dropped += drop_path(j, json_string_value(
			    json_object_get(f, "path")));
	ck_assert_uint_ge(dropped, 30);
	from_json_ok("tripartite-contract", j, &c2, "contract without fixed");
	assert_same(&c, &c2, "fixed values filled in");
	json_decref(desc);
	json_decref(j);
	qj_buf_free(&c);
	qj_buf_free(&c2);
}
END_TEST

/* --- refusals ------------------------------------------------------------ */

static json_t *
twin(void)
{
	json_t		*j;
	json_error_t	 je;

	j = json_load_file(SAMPLES "/academic-leave-application.valid.json",
	    JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(j != NULL, "%s", je.text);
	return (j);
}

/* Converts j (consumed) and expects a refusal on field with slug. */
static void
refused(json_t *j, enum qj_err want, const char *type, const char *field,
    const char *needle)
{
	struct qj_buf	out = QJ_BUF_INIT;
	struct qj_diag	d;
	enum qj_err	err;

	qj_diag_clear(&d);
	err = qj_form_from_json(forms, "academic-leave-application", j, &out,
	    &d);
	ck_assert_msg(err == want, "want %d got %d (%s [%s] %s)", want, err,
	    d.type, d.field, d.detail);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_str_eq(d.type, type);
	ck_assert_str_eq(d.field, field);
	if (needle != NULL)
		ck_assert_msg(strstr(d.detail, needle) != NULL, "%s lacks %s",
		    d.detail, needle);
	json_decref(j);
	qj_buf_free(&out);
}

START_TEST(t_unknown_keys)
{
	json_t	*j;

	j = twin();
	json_object_set_new(j, "nickname", json_string("Aiko"));
	refused(j, QJ_EUNPROC, "schema-violation", "nickname", "'nickname'");
	j = twin();
	json_object_set_new(json_object_get(j, "applicant"), "nickname",
	    json_string("Aiko"));
	refused(j, QJ_EUNPROC, "schema-violation", "applicant/nickname",
	    "unknown field 'nickname'");
	j = twin();
	json_object_set_new(json_array_get(json_object_get(j, "evidence"), 0),
	    "size", json_integer(5));
	refused(j, QJ_EUNPROC, "schema-violation", "evidence/item[1]/size",
	    "'size'");
	/* The wrapper's child is not a key: evidence is an array of items. */
	j = twin();
	json_object_set_new(j, "evidence", json_pack("{s:[]}", "item"));
	refused(j, QJ_EUNPROC, "schema-violation", "evidence",
	    "expected an array of item");
}
END_TEST

START_TEST(t_json_types)
{
	json_t	*j;

	j = twin();
	json_object_set_new(j, "yearOfStudy", json_string("2"));
	refused(j, QJ_EUNPROC, "schema-violation", "yearOfStudy",
	    "expected an integer");
	j = twin();
	json_object_set_new(j, "yearOfStudy", json_real(2.5));
	refused(j, QJ_EUNPROC, "schema-violation", "yearOfStudy", NULL);
	j = twin();
	json_object_set_new(j, "applicant", json_array());
	refused(j, QJ_EUNPROC, "schema-violation", "applicant",
	    "expected an object");
	j = twin();
	json_object_set_new(j, "ground", json_true());
	refused(j, QJ_EUNPROC, "schema-violation", "ground",
	    "expected a string");
	j = twin();
	json_object_set_new(j, "contacts", json_null());
	refused(j, QJ_EUNPROC, "schema-violation", "contacts", "null");
	j = twin();
	json_object_del(j, "version");
	refused(j, QJ_EUNPROC, "schema-violation", "version", "missing");
	j = twin();
	json_object_set_new(j, "version", json_integer(1));
	refused(j, QJ_EUNPROC, "schema-violation", "version", NULL);
	j = twin();
	json_object_set_new(j, "version", json_string("2.0"));
	refused(j, QJ_EUNPROC, "schema-violation", "version", "version");
	/* A string XML cannot carry. */
	j = twin();
	json_object_set_new(j, "statement", json_string("bell \x07 here"));
	refused(j, QJ_EUNPROC, "schema-violation", "statement",
	    "character XML does not allow");
	j = twin();
	json_object_set_new(j, "statement", json_stringn("nul\0here", 8));
	refused(j, QJ_EUNPROC, "schema-violation", "statement", NULL);
	/* Not an object at all. */
	j = json_array();
	refused(j, QJ_EUNPROC, "schema-violation", "", "JSON object");
}
END_TEST

START_TEST(t_missing_and_schema)
{
	json_t	*j;

	j = twin();
	json_object_del(j, "statement");
	refused(j, QJ_EUNPROC, "schema-violation", "statement",
	    "missing required field 'statement'");
	j = twin();
	json_object_del(json_object_get(j, "applicant"), "iin");
	refused(j, QJ_EUNPROC, "schema-violation", "applicant/iin", "missing");
	j = twin();
	json_object_set_new(j, "evidence", json_array());
	refused(j, QJ_EUNPROC, "schema-violation", "evidence",
	    "at least 1 item");
	/* Facets come from libxml2, with the element path. */
	j = twin();
	json_object_set_new(json_object_get(j, "applicant"), "iin",
	    json_string("12345"));
	refused(j, QJ_EUNPROC, "schema-violation", "applicant/iin",
	    "minimum length");
	j = twin();
	json_object_set_new(json_array_get(json_object_get(j, "evidence"), 0),
	    "kind", json_string("selfie"));
	refused(j, QJ_EUNPROC, "schema-violation", "evidence/item[1]/kind",
	    "selfie");
	j = twin();
	json_object_set_new(j, "requestedStartDate", json_string("1 Oct"));
	refused(j, QJ_EUNPROC, "schema-violation", "requestedStartDate", NULL);
	/* A rule. */
	j = twin();
	json_object_set_new(j, "requestedEndDate", json_string("2025-09-01"));
	refused(j, QJ_EUNPROC, "form-rule", "requestedEndDate",
	    "rule dates-in-order (seed 000 L1107): ");
}
END_TEST

/* Markup characters, quotes, CR and tabs survive both directions. */
START_TEST(t_text_escaping)
{
	static const char text[] = "a < b && c > d; \"q\" 'a' ]]> \r\n\ttab "
	    "  trailing  ";
	struct qj_buf	 c = QJ_BUF_INIT, c2 = QJ_BUF_INIT;
	json_t		*j = twin(), *back;

	json_object_set_new(j, "statement", json_string(text));
	from_json_ok("academic-leave-application", j, &c, "escaping");
	ck_assert_ptr_nonnull(strstr(c.data, "<statement>a &lt; b &amp;&amp; "
	    "c &gt; d; \"q\" 'a' ]]&gt; &#xD;\n\ttab   trailing  "
	    "</statement>"));
	back = to_json_ok("academic-leave-application", &c, "escaping");
	ck_assert_str_eq(json_string_value(json_object_get(back,
	    "statement")), text);
	from_xml_ok("academic-leave-application", c.data, c.len, &c2,
	    "escaping");
	assert_same(&c, &c2, "escaping");
	json_decref(j);
	json_decref(back);
	qj_buf_free(&c);
	qj_buf_free(&c2);
}
END_TEST

START_TEST(t_decimals_from_json)
{
	json_error_t	 je;
	json_t		*j, *o;
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;

	j = json_load_file(SAMPLES "/commission-protocol.valid.json", 0, &je);
	ck_assert_ptr_nonnull(j);
	o = json_object_get(j, "appealOutcome");
	/* Three fraction digits break the facet (fractionDigits 2). */
	json_object_set_new(o, "scoreBefore", json_real(73.505));
	ck_assert_int_eq(qj_form_from_json(forms, "commission-protocol", j,
	    &out, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "appealOutcome/scoreBefore");
	/* An exponent cannot be written as xs:decimal. */
	json_object_set_new(o, "scoreBefore", json_real(1e-7));
	ck_assert_int_eq(qj_form_from_json(forms, "commission-protocol", j,
	    &out, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "appealOutcome/scoreBefore");
	/* A string is not a number. */
	json_object_set_new(o, "scoreBefore", json_string("73.5"));
	ck_assert_int_eq(qj_form_from_json(forms, "commission-protocol", j,
	    &out, &d), QJ_EUNPROC);
	ck_assert_ptr_nonnull(strstr(d.detail, "expected a number"));
	/* 70.1 + 3.2 = 73.3 passes the rounded rule despite binary floats. */
	json_object_set_new(o, "scoreBefore", json_real(70.1));
	json_object_set_new(o, "pointsAdded", json_real(3.2));
	json_object_set_new(o, "scoreAfter", json_real(73.3));
	ck_assert_int_eq(qj_form_from_json(forms, "commission-protocol", j,
	    &out, &d), QJ_OK);
	ck_assert_ptr_nonnull(strstr(out.data,
	    "<scoreBefore>70.1</scoreBefore><pointsAdded>3.2</pointsAdded>"
	    "<scoreAfter>73.3</scoreAfter>"));
	json_decref(j);
	qj_buf_free(&out);
}
END_TEST

static void
xml_refused(const char *id, const char *xml, size_t len, enum qj_err want,
    const char *type, const char *field)
{
	struct qj_buf	out = QJ_BUF_INIT;
	struct qj_diag	d;
	enum qj_err	err;

	qj_diag_clear(&d);
	err = qj_form_from_xml(forms, id, xml, len, &out, &d);
	ck_assert_msg(err == want, "want %d got %d: %s %s", want, err,
	    d.type, d.detail);
	ck_assert_str_eq(d.type, type);
	if (field != NULL)
		ck_assert_str_eq(d.field, field);
	ck_assert_uint_eq(out.len, 0);
	qj_buf_free(&out);
}

START_TEST(t_hostile_xml)
{
	static const char xxe[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE decision [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<decision xmlns=\"urn:qujat:form:decision:1\" version=\"1.0\">"
	    "&x;</decision>";
	static const char laughs[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    "]>\n<decision xmlns=\"urn:qujat:form:decision:1\">&lol2;"
	    "</decision>";
	static const char wrong_root[] =
	    "<order xmlns=\"urn:qujat:form:order:1\" version=\"1.0\"/>";
	static const char wrong_ns[] =
	    "<decision xmlns=\"urn:qujat:form:order:1\" version=\"1.0\"/>";
	static const char latin1[] =
	    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	    "<decision xmlns=\"urn:qujat:form:decision:1\" version=\"1.0\"/>";
	struct qj_buf	 big = QJ_BUF_INIT, s = QJ_BUF_INIT;
	char		*x, *p;
	size_t		 len;

	xml_refused("decision", xxe, sizeof(xxe) - 1, QJ_EINVAL,
	    "xml-doctype", "");
	xml_refused("decision", laughs, sizeof(laughs) - 1, QJ_EINVAL,
	    "xml-doctype", "");
	xml_refused("decision", "<decision", 9, QJ_EINVAL, "xml-malformed",
	    NULL);
	xml_refused("decision", "", 0, QJ_EINVAL, "xml-malformed", NULL);
	xml_refused("decision", latin1, sizeof(latin1) - 1, QJ_EINVAL,
	    "xml-encoding", NULL);
	xml_refused("decision", wrong_root, sizeof(wrong_root) - 1,
	    QJ_EUNPROC, "schema-violation", "");
	xml_refused("decision", wrong_ns, sizeof(wrong_ns) - 1, QJ_EUNPROC,
	    "schema-violation", "");
	/* Over the size limit: refused before parsing. */
	x = slurp(SAMPLES "/decision.valid.xml", &len);
	qj_buf_append(&big, x, len);
	while (big.len <= QJ_FORM_MAX_BYTES)
		qj_buf_puts(&big, "<!-- padding padding padding -->\n");
	xml_refused("decision", big.data, big.len, QJ_ELIMIT,
	    "xml-too-large", NULL);
	/* An xsi:type (or any attribute) below the root is refused. */
	p = strstr(x, "<decidedBy>");
	ck_assert_ptr_nonnull(p);
	qj_buf_append(&s, x, (size_t)(p - x));
	qj_buf_puts(&s, "<decidedBy xmlns:xsi=\"http://www.w3.org/2001/"
	    "XMLSchema-instance\" xsi:type=\"c:Official\">");
	qj_buf_puts(&s, p + strlen("<decidedBy>"));
	xml_refused("decision", s.data, s.len, QJ_EUNPROC, "schema-violation",
	    "decidedBy");
	/* An extra attribute on the root. */
	qj_buf_reset(&s);
	p = strstr(strstr(x, "<decision"), "version=");
	qj_buf_append(&s, x, (size_t)(p - x));
	qj_buf_puts(&s, "lang=\"kk\" ");
	qj_buf_puts(&s, p);
	xml_refused("decision", s.data, s.len, QJ_EUNPROC, "schema-violation",
	    "lang");
	/* The root without its version. */
	xml_refused("decision", "<decision xmlns=\"urn:qujat:form:decision:1\""
	    "/>", 45, QJ_EUNPROC, "schema-violation", "version");
	free(x);
	qj_buf_free(&big);
	qj_buf_free(&s);
}
END_TEST

START_TEST(t_unknown_form)
{
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	json_t		*j = json_object(), *o = NULL;

	ck_assert_int_eq(qj_form_from_json(forms, "nope", j, &out, &d),
	    QJ_ENOTFOUND);
	ck_assert_str_eq(d.type, "unknown-form");
	ck_assert_int_eq(qj_form_from_xml(forms, "common", "<a/>", 4, &out,
	    &d), QJ_ENOTFOUND);
	ck_assert_int_eq(qj_form_to_json(forms, NULL, "<a/>", 4, &o, &d),
	    QJ_ENOTFOUND);
	ck_assert_ptr_null(o);
	ck_assert_ptr_null(qj_form_describe(forms, "nope", "kk"));
	json_decref(j);
}
END_TEST

/* --- describe ------------------------------------------------------------ */

static json_t *
field_at(json_t *desc, const char *path)
{
	json_t	*f;
	size_t	 i;

	json_array_foreach(json_object_get(desc, "fields"), i, f)
		if (strcmp(json_string_value(json_object_get(f, "path")),
		    path) == 0)
			return (f);
	ck_abort_msg("no field %s", path);
	return (NULL);
}

static const char *
sget(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	ck_assert_msg(json_is_string(v), "no string %s", k);
	return (json_string_value(v));
}

START_TEST(t_describe)
{
	json_t	*ru, *kk, *en, *f, *c;
	size_t	 i;
	int	 medical = 0;

	ck_assert_ptr_nonnull(ru = qj_form_describe(forms,
	    "academic-leave-application", "ru"));
	ck_assert_ptr_nonnull(kk = qj_form_describe(forms,
	    "academic-leave-application", "kk"));
	ck_assert_ptr_nonnull(en = qj_form_describe(forms,
	    "academic-leave-application", "en"));
	ck_assert_ptr_null(qj_form_describe(forms,
	    "academic-leave-application", "de"));
	ck_assert_str_eq(sget(ru, "label"),
	    "Заявление о предоставлении академического отпуска");
	ck_assert_str_eq(sget(kk, "label"),
	    "Академиялық демалыс беру туралы өтініш");
	ck_assert_str_eq(sget(en, "root"), "academicLeaveApplication");
	/* Document order, the version attribute first. */
	f = json_array_get(json_object_get(ru, "fields"), 0);
	ck_assert_str_eq(sget(f, "path"), "version");
	ck_assert_str_eq(sget(f, "label"), "Версия формы");
	f = json_array_get(json_object_get(ru, "fields"), 1);
	ck_assert_str_eq(sget(f, "path"), "addressee");
	f = field_at(en, "applicant/iin");
	ck_assert_str_eq(sget(f, "type"), "string");
	ck_assert(json_is_true(json_object_get(f, "required")));
	ck_assert(json_is_false(json_object_get(f, "repeated")));
	f = field_at(ru, "contacts");
	ck_assert(json_is_false(json_object_get(f, "required")));
	ck_assert_str_eq(sget(f, "type"), "object");
	ck_assert_str_eq(sget(f, "label"), "Контактные данные");
	f = field_at(en, "yearOfStudy");
	ck_assert_str_eq(sget(f, "type"), "integer");
	f = field_at(en, "requestedStartDate");
	ck_assert_str_eq(sget(f, "type"), "date");
	f = field_at(en, "evidence");
	ck_assert_str_eq(sget(f, "type"), "array");
	f = field_at(en, "evidence/item");
	ck_assert(json_is_true(json_object_get(f, "repeated")));
	ck_assert_int_eq(json_integer_value(json_object_get(f, "minItems")), 1);
	ck_assert_ptr_null(json_object_get(f, "maxItems"));
	f = field_at(en, "evidence/item/kind");
	ck_assert_str_eq(sget(f, "type"), "enum");
	f = field_at(ru, "ground");
	ck_assert_str_eq(sget(f, "type"), "enum");
	ck_assert_uint_eq(json_array_size(json_object_get(f, "codes")), 5);
	json_array_foreach(json_object_get(f, "codes"), i, c)
		if (strcmp(sget(c, "code"), "medical") == 0) {
			ck_assert_str_eq(sget(c, "label"),
			    "По медицинским показаниям");
			medical = 1;
		}
	ck_assert(medical);
	/* Rules, with the message in the language. */
	ck_assert_uint_eq(json_array_size(json_object_get(en, "rules")), 3);
	c = json_array_get(json_object_get(en, "rules"), 1);
	ck_assert_str_eq(sget(c, "id"), "dates-in-order");
	ck_assert_str_eq(sget(c, "cite"), "seed 000 L1107");
	ck_assert_str_eq(sget(c, "field"), "requestedEndDate");
	ck_assert_str_eq(sget(c, "message"),
	    "The end date must be after the start date.");
	json_decref(ru);
	json_decref(kk);
	json_decref(en);
	/* A contract clause: fixed number, Kazakh default text, bools. */
	ck_assert_ptr_nonnull(kk = qj_form_describe(forms,
	    "tripartite-contract", "kk"));
	json_array_foreach(json_object_get(kk, "fields"), i, f)
		if (json_object_get(f, "default") != NULL)
			break;
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(strstr(sget(f, "default"), "Білім туралы"));
	json_decref(kk);
	ck_assert_ptr_nonnull(en = qj_form_describe(forms,
	    "commission-protocol", "en"));
	ck_assert_str_eq(sget(field_at(en, "members/member/present"), "type"),
	    "boolean");
	ck_assert_str_eq(sget(field_at(en, "appealOutcome/scoreBefore"),
	    "type"), "decimal");
	ck_assert_str_eq(sget(field_at(en, "hearing/startedAt"), "type"),
	    "datetime");
	json_decref(en);
}
END_TEST

/* --- the loader ---------------------------------------------------------- */

static const char tiny_xsd[] =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
    "  xmlns:c=\"urn:qujat:form:common:1\"\n"
    "  targetNamespace=\"urn:qujat:form:tiny:1\"\n"
    "  elementFormDefault=\"qualified\">\n"
    "  <xs:import namespace=\"urn:qujat:form:common:1\"\n"
    "    schemaLocation=\"%s\"/>\n"
    "  <xs:element name=\"tiny\"><xs:complexType>\n"
    "    <xs:%s><xs:element name=\"iin\" type=\"c:Iin\"/>\n"
    "      <xs:element name=\"who\" type=\"c:LearnerRef\"/></xs:%s>\n"
    "    <xs:attribute name=\"version\" type=\"c:FormVersion\"\n"
    "      use=\"required\"/>\n"
    "  </xs:complexType></xs:element>\n"
    "</xs:schema>\n";

struct tmpdir {
	char	dir[64];
	char	common[PATH_MAX];	/* realpath of forms/common.xsd */
};

static void
tmp_forms(struct tmpdir *t, const char *location, const char *group)
{
	char	 path[PATH_MAX], *text;
	size_t	 len;
	char	 xsd[sizeof(tiny_xsd) + PATH_MAX + 64];

	snprintf(t->dir, sizeof(t->dir), "/tmp/qj-forms-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	ck_assert_ptr_nonnull(realpath(FORMS_DIR "/common.xsd", t->common));
	text = slurp(FORMS_DIR "/common.xsd", &len);
	snprintf(path, sizeof(path), "%s/common.xsd", t->dir);
	spit(path, text);
	free(text);
	snprintf(xsd, sizeof(xsd), tiny_xsd,
	    location != NULL ? location : t->common, group, group);
	snprintf(path, sizeof(path), "%s/tiny.xsd", t->dir);
	spit(path, xsd);
}

static void
tmp_clean(struct tmpdir *t)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/common.xsd", t->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tiny.xsd", t->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/broken.xsd", t->dir);
	unlink(path);
	ck_assert_int_eq(rmdir(t->dir), 0);
}

static void
load_refused(struct tmpdir *t, const char *file, const char *needle)
{
	struct qj_forms		*fs = NULL;
	struct qj_diag		 d;
	xmlExternalEntityLoader	 before = xmlGetExternalEntityLoader();

	qj_diag_clear(&d);
	ck_assert_int_eq(qj_forms_load(t->dir, &fs, &d), QJ_EINVAL);
	ck_assert_ptr_null(fs);
	ck_assert_str_eq(d.type, "form-schema-invalid");
	ck_assert_str_eq(d.field, file);
	ck_assert_msg(strncmp(d.detail, file, strlen(file)) == 0, "%s",
	    d.detail);
	ck_assert_msg(strstr(d.detail, needle) != NULL, "%s lacks %s",
	    d.detail, needle);
	/* The null loader of qj_xml_init() is back in place. */
	ck_assert(xmlGetExternalEntityLoader() == before);
}

START_TEST(t_loader_confined)
{
	struct tmpdir	 t;
	struct qj_forms	*fs = NULL;
	struct qj_diag	 d;
	struct qj_buf	 out = QJ_BUF_INIT;
	json_t		*j;
	xmlExternalEntityLoader before = xmlGetExternalEntityLoader();

	/* The import by bare name inside the directory works. */
	tmp_forms(&t, "common.xsd", "sequence");
	ck_assert_int_eq(qj_forms_load(t.dir, &fs, &d), QJ_OK);
	ck_assert(xmlGetExternalEntityLoader() == before);
	ck_assert_uint_eq(qj_forms_count(fs), 1);
	j = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "version", "1.0",
	    "iin", "960315400123", "who", "iin", "960315400123", "fullName",
	    "kk", "Серікова");
	ck_assert_int_eq(qj_form_from_json(fs, "tiny", j, &out, &d), QJ_OK);
	ck_assert_str_eq(out.data, "<tiny xmlns=\"urn:qujat:form:tiny:1\" "
	    "version=\"1.0\"><iin>960315400123</iin><who><c:iin xmlns:c=\""
	    "urn:qujat:form:common:1\">960315400123</c:iin><c:fullName "
	    "xmlns:c=\"urn:qujat:form:common:1\"><c:kk>Серікова</c:kk>"
	    "</c:fullName></who></tiny>");
	json_decref(j);
	qj_buf_free(&out);
	qj_forms_free(fs);
	tmp_clean(&t);
	/* An absolute path to the very same file is refused... */
	tmp_forms(&t, NULL, "sequence");
	load_refused(&t, "tiny.xsd", "xs:import loads only a file of the "
	    "forms directory");
	tmp_clean(&t);
	/* ... and so are a relative path out of the directory and a URL. */
	tmp_forms(&t, "../../work/main/forms/common.xsd", "sequence");
	load_refused(&t, "tiny.xsd", "does not compile");
	tmp_clean(&t);
	tmp_forms(&t, "http://127.0.0.1:9/common.xsd", "sequence");
	load_refused(&t, "tiny.xsd", "does not compile");
	tmp_clean(&t);
	/* Outside the converter contract. */
	tmp_forms(&t, "common.xsd", "choice");
	load_refused(&t, "tiny.xsd", "xs:choice");
	tmp_clean(&t);
	/* Not XML, or hostile XML. */
	tmp_forms(&t, "common.xsd", "sequence");
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/broken.xsd", t.dir);
		spit(path, "<xs:schema");
		load_refused(&t, "broken.xsd", "not well-formed");
		spit(path, "<!DOCTYPE x [<!ENTITY e SYSTEM \"/etc/passwd\">]>"
		    "<x>&e;</x>");
		load_refused(&t, "broken.xsd", "DOCTYPE");
	}
	tmp_clean(&t);
	ck_assert_int_eq(qj_forms_load("/nonexistent/forms", &fs, &d),
	    QJ_EIO);
	ck_assert_str_eq(d.type, "forms-dir-unreadable");
}
END_TEST

/* --- libxml2 stays quiet ------------------------------------------------- */

START_TEST(t_no_stderr)
{
	char		 tmpl[] = "/tmp/qj-stderr-XXXXXX", *x;
	int		 fd, saved;
	struct set	 ss;
	size_t		 n, i, len;
	char		 id[80];
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	struct qj_forms	*fs = NULL;
	struct stat	 st;
	struct tmpdir	 t;

	ck_assert_int_ge(fd = mkstemp(tmpl), 0);
	fflush(stderr);
	ck_assert_int_ge(saved = dup(2), 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	samples(SAMPLES "/*.*-*.xml", &ss);
	n = ss.n;
	for (i = 0; i < n; i++) {
		sample_id(ss.v[i], id, sizeof(id), NULL);
		x = slurp(ss.v[i], &len);
		(void)qj_form_from_xml(forms, id, x, len, &out, &d);
		qj_buf_reset(&out);
		free(x);
	}
	(void)qj_form_from_xml(forms, "decision", "<a><b></a>", 10, &out, &d);
	tmp_forms(&t, "http://127.0.0.1:9/common.xsd", "sequence");
	(void)qj_forms_load(t.dir, &fs, &d);
	tmp_clean(&t);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	unlink(tmpl);
	ck_assert_msg(st.st_size == 0, "%lld bytes on stderr",
	    (long long)st.st_size);
	ck_assert_uint_ge(n, 50);
	set_free(&ss);
	qj_buf_free(&out);
}
END_TEST

/* --- threads share one loaded object ------------------------------------- */

struct job {
	const char	*path;
	char		 id[80];
	struct qj_buf	 want;
	char		*xml;
	size_t		 len;
	int		 bad;
};

static void *
worker(void *arg)
{
	struct job	*jobs = arg;
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	json_t		*j;
	size_t		 round, i;

	for (round = 0; round < 3; round++)
		for (i = 0; jobs[i].path != NULL; i++) {
			qj_buf_reset(&out);
			if (qj_form_from_xml(forms, jobs[i].id, jobs[i].xml,
			    jobs[i].len, &out, &d) != QJ_OK ||
			    out.len != jobs[i].want.len ||
			    memcmp(out.data, jobs[i].want.data, out.len) != 0)
				jobs[i].bad = 1;
			if (qj_form_to_json(forms, jobs[i].id, out.data,
			    out.len, &j, &d) != QJ_OK)
				jobs[i].bad = 1;
			else
				json_decref(j);
		}
	qj_buf_free(&out);
	return (NULL);
}

START_TEST(t_threads)
{
	struct set	 ss;
	size_t		 n, i;
	struct job	*jobs;
	pthread_t	 th[4];

	samples(SAMPLES "/*.valid*.xml", &ss);
	n = ss.n;
	ck_assert_ptr_nonnull(jobs = calloc(n + 1, sizeof(*jobs)));
	for (i = 0; i < n; i++) {
		jobs[i].path = ss.v[i];
		sample_id(jobs[i].path, jobs[i].id, sizeof(jobs[i].id), NULL);
		jobs[i].xml = slurp(jobs[i].path, &jobs[i].len);
		canonical_of(jobs[i].path, &jobs[i].want);
	}
	for (i = 0; i < QJ_NELEM(th); i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, jobs), 0);
	for (i = 0; i < QJ_NELEM(th); i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++) {
		ck_assert_msg(!jobs[i].bad, "%s differs under threads",
		    jobs[i].path);
		free(jobs[i].xml);
		qj_buf_free(&jobs[i].want);
	}
	free(jobs);
	set_free(&ss);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("forms");
	TCase	*tc = tcase_create("forms");
	SRunner	*sr;
	int	 failed;

	qj_xml_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_load);
	tcase_add_test(tc, t_valid_samples);
	tcase_add_test(tc, t_invalid_samples);
	tcase_add_test(tc, t_rule_samples);
	tcase_add_test(tc, t_json_twins);
	tcase_add_test(tc, t_key_order);
	tcase_add_test(tc, t_xml_formatting);
	tcase_add_test(tc, t_decimal_canonical);
	tcase_add_test(tc, t_fixed_filled);
	tcase_add_test(tc, t_unknown_keys);
	tcase_add_test(tc, t_json_types);
	tcase_add_test(tc, t_missing_and_schema);
	tcase_add_test(tc, t_text_escaping);
	tcase_add_test(tc, t_decimals_from_json);
	tcase_add_test(tc, t_hostile_xml);
	tcase_add_test(tc, t_unknown_form);
	tcase_add_test(tc, t_describe);
	tcase_add_test(tc, t_loader_confined);
	tcase_add_test(tc, t_no_stderr);
	tcase_add_test(tc, t_threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
