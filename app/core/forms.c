/*
 * forms.c: the form schemas of forms/ as a model Qujat can convert with
 * (see forms.h and docs/forms.md).
 *
 * This file owns three things: the loader that reads the schemas of the
 * forms directory, compiles each form with libxml2 and extracts a model
 * of it (element tree in sequence order, namespaces, occurrences, simple
 * types, enumeration codes, kk/ru/en labels, l:rule rules); the JSON <->
 * XML converter that walks that model; and the validation (XML Schema,
 * then the l:rules as XPath 1.0 over the built document) that every
 * stored document passes.  Every string and node of the model lives in
 * one arena owned by struct qj_forms, freed at once.
 *
 * Why a model of our own instead of libxml2's compiled schema: the
 * compiled structures are private to libxml2 and drop the xs:appinfo
 * labels.  The schemas keep to the converter contract of forms/README.md
 * (sequences of elements only, repetition through a wrapper), and the
 * loader refuses anything outside it, so a small model is exact.
 *
 * Imports: libxml2 2.9 resolves xs:import through the process-wide
 * external entity loader, which qj_xml_init() sets to one that loads
 * nothing.  While a form compiles, forms_entity_loader() is installed
 * (under a mutex, then the previous loader is put back); it serves only
 * the .xsd files already read from the forms directory, by bare file
 * name, and only to the thread doing the load (a thread-local scope): a
 * parse on any other thread during that window still loads nothing.
 *
 * Load runs once at start-up; conversions run on many threads over the
 * immutable model, each with its own validation and XPath contexts
 * (xmlSchemaNewValidCtxt per call over a shared xmlSchemaPtr is safe).
 * Rule tests are compiled per call as well, so no libxml2 object is ever
 * shared mutable; a form has a handful of rules and a conversion of the
 * largest form (the contract) takes well under a millisecond.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "core/forms.h"

#define XS_NS		"http://www.w3.org/2001/XMLSchema"
#define LABELS_NS	"urn:qujat:labels:1"
#define MAX_FILES	256		/* .xsd files in the forms directory */
#define MAX_TYPE_DEPTH	32		/* nesting of types while building */
#define PATH_MAX_LEN	256		/* element paths in diagnostics */
#define UNBOUNDED	0xffffffffu	/* fnode.max: maxOccurs="unbounded" */
#define ARENA_CHUNK	(64 * 1024)

enum { L_KK, L_RU, L_EN, L_N };
static const char *const lang_names[L_N] = { "kk", "ru", "en" };

enum fkind {
	FK_COMPLEX,	/* sequence of child elements */
	FK_STRING,	/* xs:string, normalizedString, token */
	FK_DATE,	/* xs:date */
	FK_DATETIME,	/* xs:dateTime */
	FK_INT,		/* xs:integer and its built-in restrictions */
	FK_DECIMAL,	/* xs:decimal */
	FK_BOOL,	/* xs:boolean */
	FK_ENUM,	/* a restriction with xs:enumeration facets */
};

static const char *const kind_names[] = {
	[FK_COMPLEX] = "object", [FK_STRING] = "string", [FK_DATE] = "date",
	[FK_DATETIME] = "datetime", [FK_INT] = "integer",
	[FK_DECIMAL] = "decimal", [FK_BOOL] = "boolean", [FK_ENUM] = "enum",
};

struct fcode {
	const char	*code;		/* the enumeration value */
	const char	*label[L_N];	/* NULL if the schema has none */
};

/* One element declaration, expanded: named types are copied per use. */
struct fnode {
	const char	*name;		/* local name; the JSON key */
	const char	*ns;		/* namespace URI */
	int		 common;	/* ns is QJ_FORM_NS_COMMON: prefix c */
	unsigned	 min, max;	/* occurrences; max UNBOUNDED */
	enum fkind	 kind;
	int		 wrapper;	/* complex, one child, which repeats */
	const char	*fixed;		/* schema fixed value, or NULL */
	const char	*label[L_N], *hint[L_N], *deflt[L_N];
	struct fcode	*codes;		/* FK_ENUM: allowed codes */
	size_t		 ncodes;
	struct fnode	*kids;		/* FK_COMPLEX: children in order */
	size_t		 nkids;
};

struct frule {
	const char	*id, *cite, *test;
	const char	*field;		/* first element the test names or "" */
	const char	*msg[L_N];
};

struct qj_form {
	const char	*id;		/* file name without .xsd */
	const char	*ns;		/* targetNamespace */
	struct fnode	 root;		/* the one global element */
	const char	*vlabel[L_N];	/* labels of the version attribute */
	struct frule	*rules;
	size_t		 nrules;
	xmlSchemaPtr	 schema;	/* compiled; only read after load */
	xmlDocPtr	 schema_doc;	/* what schema was compiled from */
};

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used;	/* bytes handed out from data */
	size_t			 cap;	/* bytes in data */
	max_align_t		 data[];
};

struct qj_forms {
	struct arena_chunk	*arena;	/* every string and node of the model */
	struct qj_form		*v;	/* sorted by id */
	size_t			 n;
};

/* One .xsd file of the forms directory, read and parsed at load. */
struct xsfile {
	char		 name[QJ_FORM_MAX_ID + 8];
	char		*data;		/* owned; the file's bytes */
	size_t		 len;
	xmlDocPtr	 doc;		/* owned; parsed by qj_xml_parse */
	char		*tns;		/* owned (xmlFree); targetNamespace */
};

struct loader {
	struct xsfile	*files;
	size_t		 nfiles;
};

/* Model building state for one form. */
struct build {
	struct qj_forms		*fs;
	const struct loader	*ld;
	const struct xsfile	*file;	/* the form being built */
	struct qj_form		*form;
	struct qj_diag		*d;
	int			 depth;
};

/* First libxml2 error of an operation. */
struct first_err {
	int		 seen;
	int		 code;
	xmlNodePtr	 node;
	char		 msg[384];
};

/* Element path being built, for diagnostics. */
struct path {
	char	s[PATH_MAX_LEN];
	size_t	len;
};

/* JSON -> XML conversion state. */
struct conv {
	const struct qj_form	*f;
	xmlDocPtr		 doc;
	xmlNsPtr		 nsf, nsc;
	struct path		 p;
	struct qj_diag		*d;
};

/* libxml2's thread-local error handlers, saved while we run. */
struct errguard {
	xmlStructuredErrorFunc	 serr;
	void			*sctx;
	xmlGenericErrorFunc	 gerr;
	void			*gctx;
};

static pthread_mutex_t loader_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const struct loader *loader_scope;

static enum qj_err	 build_type_ref(struct build *, xmlNodePtr,
			    const char *, int, struct fnode *);
static enum qj_err	 emit_node(struct conv *, const struct fnode *,
			    const json_t *, xmlNodePtr, size_t);
static enum qj_err	 node_to_json(const struct qj_form *,
			    const struct fnode *, xmlNodePtr, struct path *,
			    json_t **, struct qj_diag *);

/* --- arena --------------------------------------------------------------- */

static void *
arena_alloc(struct qj_forms *fs, size_t n)
{
	struct arena_chunk	*c = fs->arena;
	size_t			 al = _Alignof(max_align_t), cap;
	void			*p;

	n = n == 0 ? al : (n + al - 1) / al * al;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((c = calloc(1, sizeof(*c) + cap)) == NULL)
			return (NULL);
		c->cap = cap;
		c->next = fs->arena;
		fs->arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return (p);
}

static const char *
arena_strndup(struct qj_forms *fs, const char *s, size_t n)
{
	char	*p;

	if ((p = arena_alloc(fs, n + 1)) == NULL)
		return (NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

static const char *
arena_strdup(struct qj_forms *fs, const char *s)
{
	return (arena_strndup(fs, s, strlen(s)));
}

/* --- diagnostics --------------------------------------------------------- */

/* Cuts an incomplete UTF-8 sequence off the end of s (after truncation). */
static void
utf8_clip(char *s)
{
	size_t		n = strlen(s), i = n, need;
	unsigned char	lead;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	if (lead < 0xc0)
		return;
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/*
 * qj_fail() whose field and detail are cut at whole UTF-8 characters:
 * libxml2 messages and unknown JSON keys quote user text, and a diagnostic
 * must stay valid UTF-8 to be sent as JSON.
 */
static enum qj_err
failf(struct qj_diag *d, enum qj_err err, const char *type, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum qj_err
failf(struct qj_diag *d, enum qj_err err, const char *type, const char *field,
    const char *fmt, ...)
{
	char	f[sizeof(d->field)], msg[sizeof(d->detail)];
	va_list	ap;

	if (d == NULL)
		return (err);
	snprintf(f, sizeof(f), "%s", field);
	utf8_clip(f);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_clip(msg);
	return (qj_fail(d, err, type, f, "%s", msg));
}

/* --- libxml2 error plumbing ---------------------------------------------- */

static void
silent_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void
silent_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/*
 * libxml2 prints to stderr whatever reaches the thread's default handlers;
 * every entry point routes those to nowhere and restores them on return.
 */
static void
guard_push(struct errguard *g)
{
	g->serr = xmlStructuredError;
	g->sctx = xmlStructuredErrorContext;
	g->gerr = xmlGenericError;
	g->gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(NULL, silent_structured);
	xmlSetGenericErrorFunc(NULL, silent_generic);
}

static void
guard_pop(const struct errguard *g)
{
	xmlSetStructuredErrorFunc(g->sctx, g->serr);
	xmlSetGenericErrorFunc(g->gctx, g->gerr);
}

static void
capture_error(void *ctx, xmlErrorPtr e)
{
	struct first_err	*fe = ctx;
	size_t			 n;

	if (fe == NULL || e == NULL || fe->seen || e->level < XML_ERR_ERROR)
		return;
	fe->seen = 1;
	fe->code = e->code;
	fe->node = e->node;
	snprintf(fe->msg, sizeof(fe->msg), "%s",
	    e->message != NULL ? e->message : "error");
	utf8_clip(fe->msg);
	n = strlen(fe->msg);
	while (n > 0 && (fe->msg[n - 1] == '\n' || fe->msg[n - 1] == ' '))
		fe->msg[--n] = '\0';
}

/* --- small helpers ------------------------------------------------------- */

static int
lang_index(const char *lang)
{
	int	i;

	for (i = 0; lang != NULL && i < L_N; i++)
		if (strcmp(lang, lang_names[i]) == 0)
			return (i);
	return (-1);
}

static int
is_xs(xmlNodePtr n, const char *local)
{
	return (n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, XS_NS) == 0 &&
	    (local == NULL || strcmp((const char *)n->name, local) == 0));
}

static int
is_labels(xmlNodePtr n, const char *local)
{
	return (n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, LABELS_NS) == 0 &&
	    strcmp((const char *)n->name, local) == 0);
}

/* The next element sibling from n on (n itself if it is one). */
static xmlNodePtr
elem_from(xmlNodePtr n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return (n);
}

static int
has_prop(xmlNodePtr n, const char *name)
{
	return (xmlHasProp(n, (const xmlChar *)name) != NULL);
}

/* Attribute value copied into the arena; NULL when absent (or no memory). */
static const char *
prop_dup(struct qj_forms *fs, xmlNodePtr n, const char *name)
{
	xmlChar		*v;
	const char	*r;

	if ((v = xmlGetProp(n, (const xmlChar *)name)) == NULL)
		return (NULL);
	r = arena_strdup(fs, (const char *)v);
	xmlFree(v);
	return (r);
}

static int
is_xml_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

/*
 * 1 if the UTF-8 string holds only characters XML 1.0 allows: a JSON
 * string may carry U+0001 or U+FFFE, which no XML document can.
 */
static int
xml_chars_ok(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *e = p + len;
	uint32_t		 c;
	size_t			 n, i;

	while (p < e) {
		if (*p < 0x80) {
			c = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			c = *p & 0x1f;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			c = *p & 0x0f;
			n = 3;
		} else if ((*p & 0xf8) == 0xf0) {
			c = *p & 0x07;
			n = 4;
		} else
			return (0);
		if ((size_t)(e - p) < n)
			return (0);
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (p[i] & 0x3f);
		}
		p += n;
		if (!(c == 0x9 || c == 0xa || c == 0xd ||
		    (c >= 0x20 && c <= 0xd7ff) ||
		    (c >= 0xe000 && c <= 0xfffd) ||
		    (c >= 0x10000 && c <= 0x10ffff)))
			return (0);
	}
	return (1);
}

static const struct qj_form *
form_find(const struct qj_forms *fs, const char *id)
{
	size_t	i;

	if (fs == NULL || id == NULL)
		return (NULL);
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].id, id) == 0)
			return (&fs->v[i]);
	return (NULL);
}

static const struct fnode *
kid_by_name(const struct fnode *m, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < m->nkids; i++)
		if (strlen(m->kids[i].name) == len &&
		    memcmp(m->kids[i].name, name, len) == 0)
			return (&m->kids[i]);
	return (NULL);
}

static const struct fnode *
kid_by_node(const struct fnode *m, xmlNodePtr el)
{
	size_t	i;

	if (m == NULL || el->ns == NULL)
		return (NULL);
	for (i = 0; i < m->nkids; i++)
		if (strcmp(m->kids[i].name, (const char *)el->name) == 0 &&
		    strcmp(m->kids[i].ns, (const char *)el->ns->href) == 0)
			return (&m->kids[i]);
	return (NULL);
}

/* --- element paths ------------------------------------------------------- */

/* Appends "/name" (or "name" at the top) and "[idx]" if idx > 0. */
static size_t
path_push(struct path *p, const char *name, size_t idx)
{
	size_t	old = p->len;
	int	n;

	n = snprintf(p->s + p->len, sizeof(p->s) - p->len, "%s%s",
	    p->len > 0 ? "/" : "", name);
	if (n > 0)
		p->len = p->len + (size_t)n >= sizeof(p->s) ?
		    sizeof(p->s) - 1 : p->len + (size_t)n;
	if (idx > 0) {
		n = snprintf(p->s + p->len, sizeof(p->s) - p->len, "[%zu]",
		    idx);
		if (n > 0)
			p->len = p->len + (size_t)n >= sizeof(p->s) ?
			    sizeof(p->s) - 1 : p->len + (size_t)n;
	}
	return (old);
}

static void
path_pop(struct path *p, size_t old)
{
	p->len = old;
	p->s[old] = '\0';
}

/* 1-based position of el among its element siblings of the same name. */
static size_t
sibling_index(xmlNodePtr el)
{
	xmlNodePtr	n;
	size_t		i = 1;

	for (n = el->prev; n != NULL; n = n->prev)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name,
		    (const char *)el->name) == 0 &&
		    n->ns == el->ns)
			i++;
	return (i);
}

/*
 * Path of a node of a form instance, in the forms.h format: local names
 * below the root, "[n]" after repeated elements, "version" for the root's
 * attribute.  Returns the declaration of the (element) node, NULL if the
 * node is not in the model.
 */
static const struct fnode *
node_path(const struct qj_form *f, xmlNodePtr n, struct path *p)
{
	xmlNodePtr		 chain[QJ_XML_MAX_DEPTH + 2];
	const struct fnode	*m = &f->root, *kid;
	const char		*attr = NULL;
	size_t			 k = 0, i;

	p->len = 0;
	p->s[0] = '\0';
	if (n == NULL)
		return (NULL);
	if (n->type == XML_ATTRIBUTE_NODE) {
		attr = (const char *)n->name;
		n = n->parent;
	}
	for (; n != NULL && n->type == XML_ELEMENT_NODE &&
	    k < QJ_NELEM(chain); n = n->parent)
		chain[k++] = n;
	for (i = k > 0 ? k - 1 : 0; i-- > 0;) {
		kid = kid_by_node(m, chain[i]);
		path_push(p, (const char *)chain[i]->name,
		    kid != NULL && kid->max > 1 ? sibling_index(chain[i]) : 0);
		m = kid;
	}
	if (attr != NULL)
		path_push(p, attr, 0);
	return (m);
}

static size_t
kid_pos(const struct fnode *m, const struct fnode *kid)
{
	return ((size_t)(kid - m->kids));
}

/*
 * libxml2 reports a content-model error on the parent ("Missing child
 * element(s). Expected is ( {ns}iin ).") or on the next element ("This
 * element is not expected. Expected is one of ( {ns}a, {ns}b )."), when the
 * problem is a required element that is missing.  The field should name
 * that element: the first required one of the expected list (else the
 * first).  An element that is out of place itself keeps its own path.
 */
static void
content_error_path(const struct qj_form *f, xmlNodePtr node,
    const char *msg, struct path *p)
{
	const struct fnode	*parent, *here = NULL, *kid, *want = NULL;
	const char		*s, *e;
	int			 missing;

	missing = strstr(msg, "Missing child element") != NULL;
	if (!missing && strstr(msg, "not expected") == NULL)
		goto plain;
	if ((s = strstr(msg, "Expected is")) == NULL ||
	    (s = strchr(s, '(')) == NULL)
		goto plain;
	if (!missing) {
		if (node == NULL || node->parent == NULL ||
		    node->parent->type != XML_ELEMENT_NODE)
			goto plain;
		parent = node_path(f, node->parent, p);
		here = kid_by_node(parent, node);
	} else
		parent = node_path(f, node, p);
	if (parent == NULL)
		goto plain;
	for (s++; *s != '\0' && *s != ')'; s = e) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '{' && (s = strchr(s, '}')) != NULL)
			s++;
		if (s == NULL)
			break;
		for (e = s; *e != '\0' && *e != ' ' && *e != ',' && *e != ')';
		    e++)
			;
		if (e == s)
			break;
		if ((kid = kid_by_name(parent, s, (size_t)(e - s))) == NULL)
			continue;
		if (want == NULL || (want->min == 0 && kid->min > 0))
			want = kid;
	}
	/* Out of place or repeated itself: it comes before what is expected. */
	if (want == NULL || (!missing && (here == NULL ||
	    kid_pos(parent, here) < kid_pos(parent, want))))
		goto plain;
	path_push(p, want->name, 0);
	return;
plain:
	node_path(f, node, p);
}

/*
 * Attribute errors come on the element ("Element 'x', attribute 'version':
 * ..." or "The attribute 'version' is required but missing"): the field
 * is the attribute.
 */
static void
attribute_path(xmlNodePtr node, const char *msg, struct path *p)
{
	const char	*s, *e;
	char		 name[64];

	if (node == NULL || node->type != XML_ELEMENT_NODE ||
	    (s = strstr(msg, "attribute '")) == NULL)
		return;
	s += strlen("attribute '");
	if ((e = strchr(s, '\'')) == NULL || e == s ||
	    (size_t)(e - s) >= sizeof(name))
		return;
	memcpy(name, s, (size_t)(e - s));
	name[e - s] = '\0';
	path_push(p, name, 0);
}

/* --- loading: files ------------------------------------------------------ */

static int
valid_file_name(const char *name)
{
	size_t	n = strlen(name), i;

	if (n < 5 || n > QJ_FORM_MAX_ID + 4 ||
	    strcmp(name + n - 4, ".xsd") != 0)
		return (0);
	for (i = 0; i < n - 4; i++)
		if (!(islower((unsigned char)name[i]) ||
		    isdigit((unsigned char)name[i]) ||
		    (name[i] == '-' && i > 0)))
			return (0);
	return (1);
}

static int
cmp_files(const void *a, const void *b)
{
	return (strcmp(((const struct xsfile *)a)->name,
	    ((const struct xsfile *)b)->name));
}

static enum qj_err
read_file(const char *dir, struct xsfile *xf, struct qj_diag *d)
{
	char		 path[4096];
	struct stat	 st;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd = -1;
	enum qj_err	 err = QJ_OK;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, xf->name) >=
	    sizeof(path))
		return (qj_fail(d, QJ_EIO, "forms-dir-unreadable", xf->name,
		    "path of %s is too long", xf->name));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		err = qj_fail(d, QJ_EIO, "forms-dir-unreadable", xf->name,
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uintmax_t)st.st_size > QJ_XML_MAX_BYTES_DEFAULT) {
		err = qj_fail(d, QJ_EINVAL, "form-schema-invalid", xf->name,
		    "%s: not a regular file of 1 to %u bytes", xf->name,
		    QJ_XML_MAX_BYTES_DEFAULT);
		goto out;
	}
	if ((xf->data = malloc((size_t)st.st_size + 1)) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, xf->data + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = qj_fail(d, QJ_EIO, "forms-dir-unreadable",
			    xf->name, "%s: short read", path);
			goto out;
		}
		got += (size_t)r;
	}
	xf->data[got] = '\0';
	xf->len = got;
out:
	if (fd != -1)
		close(fd);
	return (err);
}

/* Lists, reads and parses (with qj_xml_parse) every .xsd file of dir. */
static enum qj_err
read_dir(const char *dir, struct loader *ld, struct qj_diag *d)
{
	DIR		*dp;
	struct dirent	*de;
	struct qj_diag	 pd;
	size_t		 i, k, n;
	enum qj_err	 err = QJ_OK;

	if ((dp = opendir(dir)) == NULL)
		return (qj_fail(d, QJ_EIO, "forms-dir-unreadable", "",
		    "%s: %s", dir, strerror(errno)));
	if ((ld->files = calloc(MAX_FILES, sizeof(*ld->files))) == NULL) {
		closedir(dp);
		return (QJ_ENOMEM);
	}
	while ((de = readdir(dp)) != NULL) {
		n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".xsd") != 0)
			continue;
		if (!valid_file_name(de->d_name)) {
			err = qj_fail(d, QJ_EINVAL, "form-schema-invalid", "",
			    "%s: a form file name is lower-case letters, digits"
			    " and '-', at most %d, then .xsd", de->d_name,
			    QJ_FORM_MAX_ID);
			goto out;
		}
		if (ld->nfiles == MAX_FILES) {
			err = qj_fail(d, QJ_EINVAL, "form-schema-invalid", "",
			    "%s: more than %d .xsd files", dir, MAX_FILES);
			goto out;
		}
		/* valid_file_name() bounds n below sizeof(name). */
		memcpy(ld->files[ld->nfiles++].name, de->d_name, n + 1);
	}
	qsort(ld->files, ld->nfiles, sizeof(*ld->files), cmp_files);
	for (i = 0; i < ld->nfiles; i++) {
		if ((err = read_file(dir, &ld->files[i], d)) != QJ_OK)
			goto out;
		if (qj_xml_parse(ld->files[i].data, ld->files[i].len, 0,
		    &ld->files[i].doc, &pd) != QJ_OK) {
			err = qj_fail(d, QJ_EINVAL, "form-schema-invalid",
			    ld->files[i].name, "%s: %s", ld->files[i].name,
			    pd.detail);
			goto out;
		}
		if (!is_xs(xmlDocGetRootElement(ld->files[i].doc), "schema")) {
			err = qj_fail(d, QJ_EINVAL, "form-schema-invalid",
			    ld->files[i].name, "%s: root is not xs:schema",
			    ld->files[i].name);
			goto out;
		}
		ld->files[i].tns = (char *)xmlGetProp(
		    xmlDocGetRootElement(ld->files[i].doc),
		    (const xmlChar *)"targetNamespace");
		for (k = 0; k < i && ld->files[i].tns != NULL; k++)
			if (ld->files[k].tns != NULL && strcmp(ld->files[k].tns,
			    ld->files[i].tns) == 0) {
				err = qj_fail(d, QJ_EINVAL,
				    "form-schema-invalid", ld->files[i].name,
				    "%s: namespace %s is also that of %s",
				    ld->files[i].name, ld->files[i].tns,
				    ld->files[k].name);
				goto out;
			}
	}
out:
	closedir(dp);
	return (err);
}

static void
loader_free(struct loader *ld)
{
	size_t	i;

	if (ld->files == NULL)
		return;
	for (i = 0; i < ld->nfiles; i++) {
		free(ld->files[i].data);
		xmlFree(ld->files[i].tns);
		if (ld->files[i].doc != NULL)
			xmlFreeDoc(ld->files[i].doc);
	}
	free(ld->files);
	ld->files = NULL;
}

static const struct xsfile *
file_by_ns(const struct loader *ld, const char *ns)
{
	size_t	i;

	for (i = 0; i < ld->nfiles; i++)
		if (ld->files[i].tns != NULL &&
		    strcmp(ld->files[i].tns, ns) == 0)
			return (&ld->files[i]);
	return (NULL);
}

static const struct xsfile *
file_of_node(const struct loader *ld, xmlNodePtr n)
{
	size_t	i;

	for (i = 0; i < ld->nfiles; i++)
		if (ld->files[i].doc == n->doc)
			return (&ld->files[i]);
	return (NULL);
}

/* --- loading: the entity loader for xs:import ---------------------------- */

/*
 * Serves xs:import schemaLocation="<name>.xsd" from the files read from
 * the forms directory; nothing else, and nothing at all on a thread that
 * is not loading forms.  libxml2 hands over the location resolved against
 * the importing document, which has no URL, so it is the bare name.
 */
static xmlParserInputPtr
forms_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	const struct loader		*ld = loader_scope;
	xmlParserInputBufferPtr		 buf;
	xmlParserInputPtr		 in;
	size_t				 i;

	(void)id;
	if (ld == NULL || url == NULL || strchr(url, '/') != NULL)
		return (NULL);
	for (i = 0; i < ld->nfiles; i++) {
		if (strcmp(ld->files[i].name, url) != 0)
			continue;
		buf = xmlParserInputBufferCreateMem(ld->files[i].data,
		    (int)ld->files[i].len, XML_CHAR_ENCODING_NONE);
		if (buf == NULL)
			return (NULL);
		if ((in = xmlNewIOInputStream(ctxt, buf,
		    XML_CHAR_ENCODING_NONE)) == NULL) {
			xmlFreeParserInputBuffer(buf);
			return (NULL);
		}
		in->filename = (const char *)xmlStrdup((const xmlChar *)url);
		return (in);
	}
	return (NULL);
}

/* --- loading: the model -------------------------------------------------- */

static enum qj_err
bad(struct build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum qj_err
bad(struct build *b, const char *fmt, ...)
{
	char	msg[400];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return (qj_fail(b->d, QJ_EINVAL, "form-schema-invalid", b->file->name,
	    "%s: %s", b->file->name, msg));
}

/*
 * Calls fn for each element of the labels vocabulary inside decl's
 * xs:annotation/xs:appinfo, stopping at the first failure.
 */
static enum qj_err
each_appinfo(struct build *b, xmlNodePtr decl,
    enum qj_err (*fn)(struct build *, xmlNodePtr, void *), void *arg)
{
	xmlNodePtr	ann, ai, x;
	enum qj_err	err;

	for (ann = decl->children; ann != NULL; ann = ann->next) {
		if (!is_xs(ann, "annotation"))
			continue;
		for (ai = ann->children; ai != NULL; ai = ai->next) {
			if (!is_xs(ai, "appinfo"))
				continue;
			for (x = ai->children; x != NULL; x = x->next) {
				if (x->type != XML_ELEMENT_NODE ||
				    x->ns == NULL || strcmp((const char *)
				    x->ns->href, LABELS_NS) != 0)
					continue;
				if ((err = fn(b, x, arg)) != QJ_OK)
					return (err);
			}
		}
	}
	return (QJ_OK);
}

/* Where read_appinfo puts texts; NULL slots are not wanted. */
struct texts {
	const char	**label, **hint, **deflt;
};

static enum qj_err
take_text(struct build *b, xmlNodePtr x, void *arg)
{
	struct texts	 *t = arg;
	const char	**slot;
	xmlChar		 *lang, *text;
	int		  li;

	if (is_labels(x, "label"))
		slot = t->label;
	else if (is_labels(x, "hint"))
		slot = t->hint;
	else if (is_labels(x, "default"))
		slot = t->deflt;
	else
		return (QJ_OK);
	if (slot == NULL)
		return (QJ_OK);
	lang = xmlGetNsProp(x, (const xmlChar *)"lang", XML_XML_NAMESPACE);
	li = lang_index((const char *)lang);
	xmlFree(lang);
	if (li < 0)
		return (bad(b, "line %ld: l:%s without xml:lang kk, ru or en",
		    xmlGetLineNo(x), x->name));
	text = xmlNodeGetContent(x);
	slot[li] = arena_strdup(b->fs, text != NULL ? (const char *)text : "");
	xmlFree(text);
	return (slot[li] != NULL ? QJ_OK : QJ_ENOMEM);
}

/* The l:label, l:hint and l:default texts of a declaration, by language. */
static enum qj_err
read_appinfo(struct build *b, xmlNodePtr decl, const char **label,
    const char **hint, const char **deflt)
{
	struct texts	t = { label, hint, deflt };

	return (each_appinfo(b, decl, take_text, &t));
}

static int
builtin_kind(const char *local)
{
	static const struct {
		const char	*name;
		enum fkind	 kind;
	} map[] = {
		{ "string", FK_STRING }, { "normalizedString", FK_STRING },
		{ "token", FK_STRING }, { "date", FK_DATE },
		{ "dateTime", FK_DATETIME }, { "boolean", FK_BOOL },
		{ "decimal", FK_DECIMAL }, { "integer", FK_INT },
		{ "nonNegativeInteger", FK_INT },
		{ "positiveInteger", FK_INT },
		{ "nonPositiveInteger", FK_INT },
		{ "negativeInteger", FK_INT }, { "long", FK_INT },
		{ "int", FK_INT }, { "short", FK_INT }, { "byte", FK_INT },
		{ "unsignedLong", FK_INT }, { "unsignedInt", FK_INT },
		{ "unsignedShort", FK_INT }, { "unsignedByte", FK_INT },
	};
	size_t	i;

	for (i = 0; i < QJ_NELEM(map); i++)
		if (strcmp(map[i].name, local) == 0)
			return ((int)map[i].kind);
	return (-1);
}

/* Splits a QName of an attribute value, resolving its prefix at n. */
static int
resolve_qname(xmlNodePtr n, const char *qname, const char **ns,
    const char **local)
{
	const char	*colon = strchr(qname, ':');
	char		 prefix[64];
	xmlNsPtr	 x;

	if (colon == NULL) {
		x = xmlSearchNs(n->doc, n, NULL);
		*local = qname;
	} else {
		if ((size_t)(colon - qname) >= sizeof(prefix))
			return (-1);
		memcpy(prefix, qname, (size_t)(colon - qname));
		prefix[colon - qname] = '\0';
		x = xmlSearchNs(n->doc, n, (const xmlChar *)prefix);
		*local = colon + 1;
	}
	if (x == NULL)
		return (-1);
	*ns = (const char *)x->href;
	return (0);
}

static xmlNodePtr
find_global(const struct xsfile *xf, const char *what, const char *name)
{
	xmlNodePtr	n;
	xmlChar		*v;
	int		 hit;

	for (n = xmlDocGetRootElement(xf->doc)->children; n != NULL;
	    n = n->next) {
		if (!is_xs(n, what))
			continue;
		v = xmlGetProp(n, (const xmlChar *)"name");
		hit = v != NULL && strcmp((const char *)v, name) == 0;
		xmlFree(v);
		if (hit)
			return (n);
	}
	return (NULL);
}

/* xs:simpleType: kind, and the codes of an enumeration. */
static enum qj_err
build_simple(struct build *b, xmlNodePtr st, struct fnode *out)
{
	xmlNodePtr	 r, e;
	xmlChar		*base;
	struct fnode	 from;
	size_t		 n = 0, i = 0;
	enum qj_err	 err = QJ_OK;

	if (++b->depth > MAX_TYPE_DEPTH) {
		err = bad(b, "types nest deeper than %d (recursive type?)",
		    MAX_TYPE_DEPTH);
		goto out;
	}
	for (r = elem_from(st->children); is_xs(r, "annotation");
	    r = elem_from(r->next))
		;
	if (!is_xs(r, "restriction") || !has_prop(r, "base")) {
		err = bad(b, "line %ld: simple type: only xs:restriction with "
		    "a base is supported", xmlGetLineNo(st));
		goto out;
	}
	for (e = r->children; e != NULL; e = e->next)
		if (is_xs(e, "enumeration"))
			n++;
	memset(&from, 0, sizeof(from));
	base = xmlGetProp(r, (const xmlChar *)"base");
	err = build_type_ref(b, r, (const char *)base, 0, &from);
	xmlFree(base);
	if (err != QJ_OK)
		goto out;
	if (from.kind == FK_COMPLEX) {
		err = bad(b, "line %ld: simple type based on a complex type",
		    xmlGetLineNo(r));
		goto out;
	}
	out->kind = from.kind;
	out->codes = from.codes;
	out->ncodes = from.ncodes;
	if (n == 0)
		goto out;
	out->kind = FK_ENUM;
	out->ncodes = n;
	if ((out->codes = arena_alloc(b->fs, n * sizeof(*out->codes))) ==
	    NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	for (e = r->children; e != NULL; e = e->next) {
		if (!is_xs(e, "enumeration"))
			continue;
		if ((out->codes[i].code = prop_dup(b->fs, e, "value")) ==
		    NULL) {
			err = bad(b, "line %ld: xs:enumeration without value",
			    xmlGetLineNo(e));
			goto out;
		}
		if ((err = read_appinfo(b, e, out->codes[i].label, NULL,
		    NULL)) != QJ_OK)
			goto out;
		i++;
	}
out:
	b->depth--;
	return (err);
}

static enum qj_err	build_element(struct build *, xmlNodePtr, int,
			    struct fnode *);

/* xs:complexType: exactly one xs:sequence of xs:element. */
static enum qj_err
build_complex(struct build *b, xmlNodePtr ct, int is_root, struct fnode *out)
{
	xmlNodePtr	 c, seq = NULL, e;
	xmlChar		*v;
	size_t		 n = 0, i, j;
	enum qj_err	 err = QJ_OK;

	if (++b->depth > MAX_TYPE_DEPTH) {
		err = bad(b, "types nest deeper than %d (recursive type?)",
		    MAX_TYPE_DEPTH);
		goto out;
	}
	out->kind = FK_COMPLEX;
	v = xmlGetProp(ct, (const xmlChar *)"mixed");
	i = v != NULL && strcmp((const char *)v, "true") == 0;
	xmlFree(v);
	if (i) {
		err = bad(b, "line %ld: mixed content is not supported",
		    xmlGetLineNo(ct));
		goto out;
	}
	for (c = elem_from(ct->children); c != NULL; c = elem_from(c->next)) {
		if (is_xs(c, "annotation"))
			continue;
		if (is_xs(c, "sequence") && seq == NULL) {
			seq = c;
			continue;
		}
		if (is_xs(c, "attribute") && is_root) {
			v = xmlGetProp(c, (const xmlChar *)"name");
			i = v != NULL &&
			    strcmp((const char *)v, "version") == 0;
			xmlFree(v);
			if (i) {
				if ((err = read_appinfo(b, c, b->form->vlabel,
				    NULL, NULL)) != QJ_OK)
					goto out;
				continue;
			}
		}
		err = bad(b, "line %ld: xs:%s in a complex type is not "
		    "supported (one xs:sequence of xs:element; the root may "
		    "have a version attribute)", xmlGetLineNo(c), c->name);
		goto out;
	}
	if (seq == NULL) {
		err = bad(b, "line %ld: complex type without xs:sequence",
		    xmlGetLineNo(ct));
		goto out;
	}
	if (has_prop(seq, "minOccurs") || has_prop(seq, "maxOccurs")) {
		err = bad(b, "line %ld: occurrences on xs:sequence are not "
		    "supported", xmlGetLineNo(seq));
		goto out;
	}
	for (e = elem_from(seq->children); e != NULL; e = elem_from(e->next)) {
		if (is_xs(e, "element"))
			n++;
		else if (!is_xs(e, "annotation")) {
			err = bad(b, "line %ld: xs:%s in a sequence is not "
			    "supported", xmlGetLineNo(e), e->name);
			goto out;
		}
	}
	if (n == 0) {
		err = bad(b, "line %ld: empty xs:sequence", xmlGetLineNo(seq));
		goto out;
	}
	if ((out->kids = arena_alloc(b->fs, n * sizeof(*out->kids))) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	out->nkids = n;
	for (i = 0, e = elem_from(seq->children); e != NULL;
	    e = elem_from(e->next)) {
		if (!is_xs(e, "element"))
			continue;
		memset(&out->kids[i], 0, sizeof(out->kids[i]));
		if ((err = build_element(b, e, 0, &out->kids[i])) != QJ_OK)
			goto out;
		for (j = 0; j < i; j++)
			if (strcmp(out->kids[j].name, out->kids[i].name) == 0) {
				err = bad(b, "line %ld: two children named %s "
				    "(JSON keys must be unique)",
				    xmlGetLineNo(e), out->kids[i].name);
				goto out;
			}
		if (is_root && strcmp(out->kids[i].name, "version") == 0) {
			err = bad(b, "line %ld: a root child named version "
			    "collides with the version attribute",
			    xmlGetLineNo(e));
			goto out;
		}
		i++;
	}
	out->wrapper = n == 1 && out->kids[0].max > 1;
	for (i = 0; i < n && !out->wrapper; i++)
		if (out->kids[i].max > 1) {
			err = bad(b, "element %s repeats but is not the only "
			    "child of a wrapper (forms/README.md rule 5)",
			    out->kids[i].name);
			goto out;
		}
out:
	b->depth--;
	return (err);
}

/*
 * Resolves a type QName used at node n: a built-in simple type, or a named
 * simple or complex type of one of the directory's schemas.
 */
static enum qj_err
build_type_ref(struct build *b, xmlNodePtr n, const char *qname, int is_root,
    struct fnode *out)
{
	const char		*ns, *local;
	const struct xsfile	*xf;
	xmlNodePtr		 t;
	int			 k;

	if (qname == NULL || resolve_qname(n, qname, &ns, &local) == -1)
		return (bad(b, "line %ld: cannot resolve type '%s'",
		    xmlGetLineNo(n), qname != NULL ? qname : ""));
	if (strcmp(ns, XS_NS) == 0) {
		if ((k = builtin_kind(local)) < 0)
			return (bad(b, "line %ld: built-in type xs:%s is not "
			    "supported", xmlGetLineNo(n), local));
		out->kind = (enum fkind)k;
		return (QJ_OK);
	}
	if ((xf = file_by_ns(b->ld, ns)) == NULL)
		return (bad(b, "line %ld: type '%s': no schema for namespace "
		    "%s in the forms directory", xmlGetLineNo(n), qname, ns));
	if ((t = find_global(xf, "complexType", local)) != NULL)
		return (build_complex(b, t, is_root, out));
	if ((t = find_global(xf, "simpleType", local)) != NULL)
		return (build_simple(b, t, out));
	return (bad(b, "line %ld: type '%s' not found in %s", xmlGetLineNo(n),
	    qname, xf->name));
}

static enum qj_err
parse_occurs(struct build *b, xmlNodePtr e, const char *attr, unsigned dflt,
    unsigned *out)
{
	xmlChar		*v;
	char		*end;
	unsigned long	 u;
	enum qj_err	 err = QJ_OK;

	*out = dflt;
	if ((v = xmlGetProp(e, (const xmlChar *)attr)) == NULL)
		return (QJ_OK);
	if (strcmp(attr, "maxOccurs") == 0 &&
	    strcmp((const char *)v, "unbounded") == 0)
		*out = UNBOUNDED;
	else {
		errno = 0;
		u = strtoul((const char *)v, &end, 10);
		if (errno != 0 || *end != '\0' || end == (char *)v ||
		    u >= UNBOUNDED || !isdigit(*v))
			err = bad(b, "line %ld: bad %s '%s'", xmlGetLineNo(e),
			    attr, (const char *)v);
		else
			*out = (unsigned)u;
	}
	xmlFree(v);
	return (err);
}

/* An xs:element declaration (a local one, or the form's root). */
static enum qj_err
build_element(struct build *b, xmlNodePtr e, int is_root, struct fnode *out)
{
	static const char *const refused[] = { "ref", "default", "nillable",
	    "substitutionGroup", "abstract", "form" };
	const struct xsfile	*owner;
	xmlNodePtr		 t;
	xmlChar			*type;
	size_t			 i;
	enum qj_err		 err;

	for (i = 0; i < QJ_NELEM(refused); i++)
		if (has_prop(e, refused[i]))
			return (bad(b, "line %ld: xs:element with %s= is not "
			    "supported", xmlGetLineNo(e), refused[i]));
	if ((owner = file_of_node(b->ld, e)) == NULL || owner->tns == NULL)
		return (bad(b, "line %ld: element outside a schema with a "
		    "targetNamespace", xmlGetLineNo(e)));
	if (strcmp(owner->tns, b->form->ns) != 0 &&
	    strcmp(owner->tns, QJ_FORM_NS_COMMON) != 0)
		return (bad(b, "line %ld: element in namespace %s (only the "
		    "form's and the common namespace)", xmlGetLineNo(e),
		    owner->tns));
	if ((out->name = prop_dup(b->fs, e, "name")) == NULL)
		return (bad(b, "line %ld: xs:element without a name",
		    xmlGetLineNo(e)));
	out->ns = strcmp(owner->tns, b->form->ns) == 0 ? b->form->ns :
	    QJ_FORM_NS_COMMON;
	out->common = out->ns != b->form->ns;
	out->fixed = prop_dup(b->fs, e, "fixed");
	if ((err = parse_occurs(b, e, "minOccurs", 1, &out->min)) != QJ_OK ||
	    (err = parse_occurs(b, e, "maxOccurs", 1, &out->max)) != QJ_OK)
		return (err);
	if (is_root && (out->min != 1 || out->max != 1))
		return (bad(b, "the root element has occurrences"));
	if ((err = read_appinfo(b, e, out->label, out->hint, out->deflt)) !=
	    QJ_OK)
		return (err);
	if ((type = xmlGetProp(e, (const xmlChar *)"type")) != NULL) {
		err = build_type_ref(b, e, (const char *)type, is_root, out);
		xmlFree(type);
		if (err == QJ_OK && out->kind == FK_COMPLEX &&
		    out->fixed != NULL)
			err = bad(b, "line %ld: fixed= on a complex element",
			    xmlGetLineNo(e));
		return (err);
	}
	for (t = elem_from(e->children); is_xs(t, "annotation");
	    t = elem_from(t->next))
		;
	if (is_xs(t, "complexType"))
		return (build_complex(b, t, is_root, out));
	if (is_xs(t, "simpleType"))
		return (build_simple(b, t, out));
	return (bad(b, "line %ld: element %s has no type", xmlGetLineNo(e),
	    out->name));
}

static int
xpath_name_char(int c)
{
	return (isalnum(c) || c == '_' || c == '-' || c == '.');
}

/*
 * The field a rule is reported on: the first element path the test names
 * from the root ("f:evidence/f:item/c:kind" -> "evidence/item/kind"),
 * as far as it matches the model; "" if none does.
 */
static const char *
rule_field(struct build *b, const char *test)
{
	const struct fnode	*m, *kid;
	const char		*p = test, *s;
	struct path		 path;
	char			 quote = 0;

	for (; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			continue;
		}
		if (!((*p == 'f' || *p == 'c') && p[1] == ':') ||
		    (p > test && (xpath_name_char((unsigned char)p[-1]) ||
		    p[-1] == ':')))
			continue;
		path.len = 0;
		path.s[0] = '\0';
		m = &b->form->root;
		while ((*p == 'f' || *p == 'c') && p[1] == ':') {
			s = p + 2;
			for (p = s; xpath_name_char((unsigned char)*p); p++)
				;
			if ((kid = kid_by_name(m, s, (size_t)(p - s))) == NULL)
				break;
			path_push(&path, kid->name, 0);
			m = kid;
			if (*p == '/')
				p++;
		}
		if (path.len > 0)
			return (arena_strdup(b->fs, path.s));
		if (*p == '\0')
			break;
	}
	return ("");
}

/* Counts (rules == NULL) or reads the l:rule elements of the root. */
struct rules_acc {
	struct frule		*rules;
	size_t			 n;
	xmlXPathContextPtr	 xc;
};

static enum qj_err
take_rule(struct build *b, xmlNodePtr x, void *arg)
{
	struct rules_acc	*acc = arg;
	struct frule		*r;
	struct texts		 t;
	xmlNodePtr		 m;
	xmlXPathCompExprPtr	 comp;
	enum qj_err		 err;

	if (!is_labels(x, "rule"))
		return (QJ_OK);
	if (acc->rules == NULL) {
		acc->n++;
		return (QJ_OK);
	}
	r = &acc->rules[acc->n++];
	r->id = prop_dup(b->fs, x, "id");
	r->cite = prop_dup(b->fs, x, "cite");
	r->test = prop_dup(b->fs, x, "test");
	if (r->id == NULL || r->cite == NULL || r->test == NULL)
		return (bad(b, "line %ld: l:rule needs id, cite and test",
		    xmlGetLineNo(x)));
	memset(&t, 0, sizeof(t));
	t.label = r->msg;
	for (m = x->children; m != NULL; m = m->next)
		if ((err = take_text(b, m, &t)) != QJ_OK)
			return (err);
	if ((comp = xmlXPathCtxtCompile(acc->xc,
	    (const xmlChar *)r->test)) == NULL)
		return (bad(b, "rule %s: the test is not XPath 1.0", r->id));
	xmlXPathFreeCompExpr(comp);
	if ((r->field = rule_field(b, r->test)) == NULL)
		return (QJ_ENOMEM);
	return (QJ_OK);
}

/* The form's rules: l:rule in the root declaration's appinfo. */
static enum qj_err
read_rules(struct build *b, xmlNodePtr root_decl)
{
	struct rules_acc	acc;
	enum qj_err		err;

	memset(&acc, 0, sizeof(acc));
	if ((err = each_appinfo(b, root_decl, take_rule, &acc)) != QJ_OK ||
	    acc.n == 0)
		return (err);
	if ((acc.rules = arena_alloc(b->fs, acc.n * sizeof(*acc.rules))) ==
	    NULL || (acc.xc = xmlXPathNewContext(NULL)) == NULL)
		return (QJ_ENOMEM);
	memset(acc.rules, 0, acc.n * sizeof(*acc.rules));
	acc.xc->error = silent_structured;
	acc.n = 0;
	if ((err = each_appinfo(b, root_decl, take_rule, &acc)) == QJ_OK) {
		b->form->rules = acc.rules;
		b->form->nrules = acc.n;
	}
	xmlXPathFreeContext(acc.xc);
	return (err);
}

/* Compiles the form with libxml2, imports served from the directory only. */
static enum qj_err
compile_form(struct build *b)
{
	xmlSchemaParserCtxtPtr	pc = NULL;
	xmlExternalEntityLoader	prev;
	struct first_err	fe;
	enum qj_err		err = QJ_OK;

	memset(&fe, 0, sizeof(fe));
	if ((b->form->schema_doc = xmlCopyDoc(b->file->doc, 1)) == NULL ||
	    (pc = xmlSchemaNewDocParserCtxt(b->form->schema_doc)) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pc, capture_error, &fe);
	pthread_mutex_lock(&loader_mu);
	prev = xmlGetExternalEntityLoader();
	loader_scope = b->ld;
	xmlSetExternalEntityLoader(forms_entity_loader);
	b->form->schema = xmlSchemaParse(pc);
	xmlSetExternalEntityLoader(prev);
	loader_scope = NULL;
	pthread_mutex_unlock(&loader_mu);
	if (b->form->schema == NULL)
		err = bad(b, "does not compile: %s%s", fe.seen ? fe.msg :
		    "unknown error", strstr(fe.msg, "XML resource") == NULL ?
		    "" : " (xs:import loads only a file of the forms directory"
		    ", named without a path)");
out:
	if (pc != NULL)
		xmlSchemaFreeParserCtxt(pc);
	return (err);
}

static enum qj_err
build_form(struct build *b)
{
	xmlNodePtr	 root, e, decl = NULL;
	size_t		 n;
	enum qj_err	 err;

	root = xmlDocGetRootElement(b->file->doc);
	n = strlen(b->file->name) - 4;
	if ((b->form->id = arena_strndup(b->fs, b->file->name, n)) == NULL)
		return (QJ_ENOMEM);
	if (b->file->tns == NULL)
		return (bad(b, "no targetNamespace"));
	if ((b->form->ns = arena_strdup(b->fs, b->file->tns)) == NULL)
		return (QJ_ENOMEM);
	if (strcmp(b->form->ns, QJ_FORM_NS_COMMON) == 0)
		return (bad(b, "a form cannot use the common namespace"));
	for (n = 0, e = elem_from(root->children); e != NULL;
	    e = elem_from(e->next)) {
		if (is_xs(e, "element")) {
			decl = e;
			n++;
		} else if (is_xs(e, "include") || is_xs(e, "redefine") ||
		    is_xs(e, "group") || is_xs(e, "attributeGroup") ||
		    is_xs(e, "attribute"))
			return (bad(b, "line %ld: global xs:%s is not "
			    "supported",
			    xmlGetLineNo(e), e->name));
	}
	if (n != 1)
		return (bad(b, "%zu global elements; a form has exactly one "
		    "(the root)", n));
	if ((err = build_element(b, decl, 1, &b->form->root)) != QJ_OK)
		return (err);
	if (b->form->root.kind != FK_COMPLEX)
		return (bad(b, "the root element %s is not complex",
		    b->form->root.name));
	if ((err = read_rules(b, decl)) != QJ_OK)
		return (err);
	return (compile_form(b));
}

enum qj_err
qj_forms_load(const char *dir, struct qj_forms **out, struct qj_diag *d)
{
	struct loader	 ld;
	struct qj_forms	*fs = NULL;
	struct build	 b;
	struct errguard	 g;
	size_t		 i, nforms = 0;
	enum qj_err	 err;

	memset(&ld, 0, sizeof(ld));
	guard_push(&g);
	if ((err = read_dir(dir, &ld, d)) != QJ_OK)
		goto out;
	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	for (i = 0; i < ld.nfiles; i++)
		if (strcmp(ld.files[i].name, "common.xsd") != 0 &&
		    strcmp(ld.files[i].name, "labels.xsd") != 0)
			nforms++;
	if (nforms == 0) {
		err = qj_fail(d, QJ_EINVAL, "form-schema-invalid", "",
		    "%s: no form schemas", dir);
		goto out;
	}
	if ((fs->v = arena_alloc(fs, nforms * sizeof(*fs->v))) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	memset(fs->v, 0, nforms * sizeof(*fs->v));
	for (i = 0; i < ld.nfiles; i++) {
		if (strcmp(ld.files[i].name, "common.xsd") == 0 ||
		    strcmp(ld.files[i].name, "labels.xsd") == 0)
			continue;
		memset(&b, 0, sizeof(b));
		b.fs = fs;
		b.ld = &ld;
		b.file = &ld.files[i];
		b.form = &fs->v[fs->n++];
		b.d = d;
		if ((err = build_form(&b)) != QJ_OK)
			goto out;
	}
	*out = fs;
	fs = NULL;
out:
	qj_forms_free(fs);
	loader_free(&ld);
	guard_pop(&g);
	return (err);
}

void
qj_forms_free(struct qj_forms *fs)
{
	struct arena_chunk	*c, *next;
	size_t			 i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].schema != NULL)
			xmlSchemaFree(fs->v[i].schema);
		if (fs->v[i].schema_doc != NULL)
			xmlFreeDoc(fs->v[i].schema_doc);
	}
	for (c = fs->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(fs);
}

size_t
qj_forms_count(const struct qj_forms *fs)
{
	return (fs != NULL ? fs->n : 0);
}

const char *
qj_forms_id(const struct qj_forms *fs, size_t i)
{
	return (fs != NULL && i < fs->n ? fs->v[i].id : NULL);
}

const char *
qj_form_root(const struct qj_forms *fs, const char *id)
{
	const struct qj_form	*f = form_find(fs, id);

	return (f != NULL ? f->root.name : NULL);
}

const char *
qj_form_namespace(const struct qj_forms *fs, const char *id)
{
	const struct qj_form	*f = form_find(fs, id);

	return (f != NULL ? f->ns : NULL);
}

/* --- validation, rules, canonical bytes ---------------------------------- */

static enum qj_err
validate_schema(const struct qj_form *f, xmlDocPtr doc, struct qj_diag *d)
{
	xmlSchemaValidCtxtPtr	 vc;
	struct first_err	 fe;
	struct path		 p;
	int			 rc;

	memset(&fe, 0, sizeof(fe));
	if ((vc = xmlSchemaNewValidCtxt(f->schema)) == NULL)
		return (QJ_ENOMEM);
	xmlSchemaSetValidStructuredErrors(vc, capture_error, &fe);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc == 0)
		return (QJ_OK);
	if (rc < 0 || !fe.seen)
		return (qj_fail(d, QJ_EINTERNAL, "form-validation-failed", "",
		    "schema validation of %s did not complete (%d)", f->id,
		    rc));
	if (fe.code == XML_SCHEMAV_ELEMENT_CONTENT)
		content_error_path(f, fe.node, fe.msg, &p);
	else {
		node_path(f, fe.node, &p);
		attribute_path(fe.node, fe.msg, &p);
	}
	return (failf(d, QJ_EUNPROC, "schema-violation", p.s, "%s%s%s",
	    p.s, p.len > 0 ? ": " : "", fe.msg));
}

/*
 * Evaluates every l:rule with the root as context node; reports the first
 * false one and names the others that are false too.
 */
static enum qj_err
check_rules(const struct qj_form *f, xmlDocPtr doc, struct qj_diag *d)
{
	xmlXPathContextPtr	 xc;
	xmlXPathObjectPtr	 res;
	const struct frule	*first = NULL;
	char			 also[256] = "";
	size_t			 i, alen = 0;
	int			 ok, n;
	enum qj_err		 err = QJ_OK;

	if (f->nrules == 0)
		return (QJ_OK);
	if ((xc = xmlXPathNewContext(doc)) == NULL)
		return (QJ_ENOMEM);
	xc->error = silent_structured;
	if (xmlXPathRegisterNs(xc, (const xmlChar *)"f",
	    (const xmlChar *)f->ns) != 0 ||
	    xmlXPathRegisterNs(xc, (const xmlChar *)"c",
	    (const xmlChar *)QJ_FORM_NS_COMMON) != 0) {
		err = QJ_ENOMEM;
		goto out;
	}
	for (i = 0; i < f->nrules; i++) {
		xc->node = xmlDocGetRootElement(doc);
		res = xmlXPathEvalExpression((const xmlChar *)f->rules[i].test,
		    xc);
		if (res == NULL) {
			err = qj_fail(d, QJ_EINTERNAL, "form-rule-broken",
			    f->rules[i].field, "rule %s of %s cannot be "
			    "evaluated", f->rules[i].id, f->id);
			goto out;
		}
		ok = xmlXPathCastToBoolean(res);
		xmlXPathFreeObject(res);
		if (ok)
			continue;
		if (first == NULL) {
			first = &f->rules[i];
			continue;
		}
		n = snprintf(also + alen, sizeof(also) - alen, "%s%s",
		    alen > 0 ? ", " : "", f->rules[i].id);
		if (n > 0 && alen + (size_t)n < sizeof(also))
			alen += (size_t)n;
	}
	if (first != NULL)
		err = failf(d, QJ_EUNPROC, "form-rule", first->field,
		    "rule %s (%s): %s%s%s%s", first->id, first->cite,
		    first->msg[L_EN] != NULL ? first->msg[L_EN] : "rule failed",
		    alen > 0 ? " (also failing: " : "", also,
		    alen > 0 ? ")" : "");
out:
	xmlXPathFreeContext(xc);
	return (err);
}

/* Schema, rules, then Exclusive C14N appended to out. */
static enum qj_err
finish(const struct qj_form *f, xmlDocPtr doc, struct qj_buf *out,
    struct qj_diag *d)
{
	struct qj_buf	c = QJ_BUF_INIT;
	enum qj_err	err;

	if ((err = validate_schema(f, doc, d)) != QJ_OK ||
	    (err = check_rules(f, doc, d)) != QJ_OK)
		return (err);
	if ((err = qj_xml_c14n(doc, QJ_C14N_EXCL, &c)) != QJ_OK)
		goto out;
	if (c.len > QJ_FORM_MAX_BYTES) {
		err = qj_fail(d, QJ_ELIMIT, "xml-too-large", "",
		    "the %s document would be %zu bytes; the limit is %u",
		    f->id, c.len, QJ_FORM_MAX_BYTES);
		goto out;
	}
	err = qj_buf_append(out, c.data, c.len);
out:
	qj_buf_free(&c);
	return (err);
}

/* --- JSON -> XML --------------------------------------------------------- */

static enum qj_err
conv_fail(struct conv *cv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum qj_err
conv_fail(struct conv *cv, const char *fmt, ...)
{
	char	msg[400];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return (failf(cv->d, QJ_EUNPROC, "schema-violation", cv->p.s,
	    "%s%s%s", cv->p.s, cv->p.len > 0 ? ": " : "", msg));
}

static const char *
json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("an object");
	case JSON_ARRAY:
		return ("an array");
	case JSON_STRING:
		return ("a string");
	case JSON_INTEGER:
		return ("an integer");
	case JSON_REAL:
		return ("a number with a fraction");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("a boolean");
	default:
		return ("null");
	}
}

/* A JSON real as an xs:decimal literal, independent of the locale. */
static int
format_decimal(double x, char *buf, size_t sz)
{
	locale_t	c, old;
	int		n;

	if (!isfinite(x))
		return (-1);
	if ((c = newlocale(LC_ALL_MASK, "C", (locale_t)0)) == (locale_t)0)
		return (-1);
	old = uselocale(c);
	n = snprintf(buf, sz, "%.15g", x);
	uselocale(old);
	freelocale(c);
	/* %g switches to an exponent outside 1e-4 .. 1e15: not a decimal. */
	if (n <= 0 || (size_t)n >= sz || strpbrk(buf, "eE") != NULL)
		return (-1);
	return (0);
}

/* The text of a simple element from its JSON value. */
static enum qj_err
simple_text(struct conv *cv, const struct fnode *m, const json_t *v,
    char *buf, size_t sz, const char **text, size_t *len)
{
	int	n;

	switch (m->kind) {
	case FK_STRING:
	case FK_DATE:
	case FK_DATETIME:
	case FK_ENUM:
		if (!json_is_string(v))
			return (conv_fail(cv, "expected a string, got %s",
			    json_kind(v)));
		*text = json_string_value(v);
		*len = json_string_length(v);
		if (!xml_chars_ok(*text, *len))
			return (conv_fail(cv, "the string holds a character "
			    "XML does not allow (a control character, NUL, "
			    "U+FFFE or U+FFFF)"));
		return (QJ_OK);
	case FK_INT:
		if (!json_is_integer(v))
			return (conv_fail(cv, "expected an integer, got %s",
			    json_kind(v)));
		n = snprintf(buf, sz, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case FK_DECIMAL:
		if (json_is_integer(v))
			n = snprintf(buf, sz, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		else if (json_is_real(v)) {
			if (format_decimal(json_real_value(v), buf, sz) == -1)
				return (conv_fail(cv, "the number %g cannot be "
				    "written as a decimal (use 0.0001 to "
				    "1e15)", json_real_value(v)));
			n = (int)strlen(buf);
		} else
			return (conv_fail(cv, "expected a number, got %s",
			    json_kind(v)));
		break;
	case FK_BOOL:
		if (!json_is_boolean(v))
			return (conv_fail(cv, "expected true or false, got %s",
			    json_kind(v)));
		n = snprintf(buf, sz, "%s", json_is_true(v) ? "true" : "false");
		break;
	default:
		return (qj_fail(cv->d, QJ_EINTERNAL, "form-model", cv->p.s,
		    "complex element treated as simple"));
	}
	if (n <= 0 || (size_t)n >= sz)
		return (QJ_EINTERNAL);
	*text = buf;
	*len = (size_t)n;
	return (QJ_OK);
}

static enum qj_err
emit_text(struct conv *cv, xmlNodePtr el, const char *text, size_t len)
{
	xmlNodePtr	t;

	if (len == 0)
		return (QJ_OK);
	if (len > INT32_MAX ||
	    (t = xmlNewDocTextLen(cv->doc, (const xmlChar *)text, (int)len)) ==
	    NULL)
		return (QJ_ENOMEM);
	if (xmlAddChild(el, t) == NULL) {
		xmlFreeNode(t);
		return (QJ_ENOMEM);
	}
	return (QJ_OK);
}

/* The children of complex element m from JSON object obj, in order. */
static enum qj_err
emit_object(struct conv *cv, const struct fnode *m, const json_t *obj,
    xmlNodePtr el, int is_root)
{
	const char		*key;
	json_t			*v;
	void			*it;
	const struct fnode	*kid;
	size_t			 i, old;
	enum qj_err		 err;

	if (!json_is_object(obj))
		return (conv_fail(cv, "expected an object, got %s",
		    json_kind(obj)));
	/* jansson's iterator takes a non-const object; it only reads. */
	for (it = json_object_iter((json_t *)(uintptr_t)obj); it != NULL;
	    it = json_object_iter_next((json_t *)(uintptr_t)obj, it)) {
		key = json_object_iter_key(it);
		if (kid_by_name(m, key, strlen(key)) != NULL ||
		    (is_root && strcmp(key, "version") == 0))
			continue;
		old = path_push(&cv->p, key, 0);
		err = conv_fail(cv, "unknown field '%s'", key);
		path_pop(&cv->p, old);
		return (err);
	}
	for (i = 0; i < m->nkids; i++) {
		kid = &m->kids[i];
		v = json_object_get(obj, kid->name);
		if (v == NULL && kid->min == 0)
			continue;
		if (v == NULL && kid->fixed == NULL) {
			old = path_push(&cv->p, kid->name, 0);
			err = conv_fail(cv, "missing required field '%s'",
			    kid->name);
			path_pop(&cv->p, old);
			return (err);
		}
		if ((err = emit_node(cv, kid, v, el, 0)) != QJ_OK)
			return (err);
	}
	return (QJ_OK);
}

/* A wrapper's array: one child element per item. */
static enum qj_err
emit_array(struct conv *cv, const struct fnode *m, const json_t *arr,
    xmlNodePtr el)
{
	const struct fnode	*kid = &m->kids[0];
	size_t			 i, n;
	enum qj_err		 err;

	if (!json_is_array(arr))
		return (conv_fail(cv, "expected an array of %s, got %s",
		    kid->name, json_kind(arr)));
	n = json_array_size(arr);
	if (n < kid->min)
		return (conv_fail(cv, "needs at least %u %s, got %zu",
		    kid->min, kid->name, n));
	if (kid->max != UNBOUNDED && n > kid->max)
		return (conv_fail(cv, "allows at most %u %s, got %zu",
		    kid->max, kid->name, n));
	for (i = 0; i < n; i++)
		if ((err = emit_node(cv, kid, json_array_get(arr, i), el,
		    i + 1)) != QJ_OK)
			return (err);
	return (QJ_OK);
}

/*
 * Appends element m to parent from JSON value v (NULL: a required element
 * with a fixed value the JSON left out).  idx > 0 is the 1-based position
 * of a repeated element, for paths.
 */
static enum qj_err
emit_node(struct conv *cv, const struct fnode *m, const json_t *v,
    xmlNodePtr parent, size_t idx)
{
	xmlNodePtr	 el;
	char		 buf[64];
	const char	*text = NULL;
	size_t		 len = 0, old;
	enum qj_err	 err;

	old = path_push(&cv->p, m->name, idx);
	if (v != NULL && json_is_null(v)) {
		err = conv_fail(cv, "null is not a value; leave an optional "
		    "field out instead");
		goto out;
	}
	if ((el = xmlNewDocNode(cv->doc, m->common ? cv->nsc : cv->nsf,
	    (const xmlChar *)m->name, NULL)) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	if (xmlAddChild(parent, el) == NULL) {
		xmlFreeNode(el);
		err = QJ_ENOMEM;
		goto out;
	}
	if (v == NULL)
		err = emit_text(cv, el, m->fixed, strlen(m->fixed));
	else if (m->kind == FK_COMPLEX && m->wrapper)
		err = emit_array(cv, m, v, el);
	else if (m->kind == FK_COMPLEX)
		err = emit_object(cv, m, v, el, 0);
	else if ((err = simple_text(cv, m, v, buf, sizeof(buf), &text,
	    &len)) == QJ_OK)
		err = emit_text(cv, el, text, len);
out:
	path_pop(&cv->p, old);
	return (err);
}

/* Builds the document of form f from obj; the caller frees *out. */
static enum qj_err
build_doc(const struct qj_form *f, const json_t *obj, xmlDocPtr *out,
    struct qj_diag *d)
{
	struct conv	 cv;
	xmlNodePtr	 root;
	const json_t	*ver;
	enum qj_err	 err;

	memset(&cv, 0, sizeof(cv));
	cv.f = f;
	cv.d = d;
	if ((cv.doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(cv.doc, NULL, (const xmlChar *)f->root.name,
	    NULL)) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	xmlDocSetRootElement(cv.doc, root);
	if ((cv.nsf = xmlNewNs(root, (const xmlChar *)f->ns, NULL)) == NULL ||
	    (cv.nsc = xmlNewNs(root, (const xmlChar *)QJ_FORM_NS_COMMON,
	    (const xmlChar *)"c")) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	xmlSetNs(root, cv.nsf);
	if (obj == NULL || !json_is_object(obj)) {
		err = conv_fail(&cv, "a form is a JSON object, got %s",
		    obj != NULL ? json_kind(obj) : "nothing");
		goto out;
	}
	if ((ver = json_object_get(obj, "version")) == NULL) {
		path_push(&cv.p, "version", 0);
		err = conv_fail(&cv, "missing required field 'version' (the "
		    "form version, e.g. \"1.0\")");
		goto out;
	}
	if (!json_is_string(ver) || !xml_chars_ok(json_string_value(ver),
	    json_string_length(ver))) {
		path_push(&cv.p, "version", 0);
		err = conv_fail(&cv, "expected a string such as \"1.0\"");
		goto out;
	}
	if (xmlNewProp(root, (const xmlChar *)"version",
	    (const xmlChar *)json_string_value(ver)) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	err = emit_object(&cv, &f->root, obj, root, 1);
out:
	if (err == QJ_OK)
		*out = cv.doc;
	else if (cv.doc != NULL)
		xmlFreeDoc(cv.doc);
	return (err);
}

enum qj_err
qj_form_from_json(const struct qj_forms *fs, const char *form_id,
    const json_t *obj, struct qj_buf *xml_out, struct qj_diag *d)
{
	const struct qj_form	*f;
	xmlDocPtr		 doc = NULL;
	struct errguard		 g;
	enum qj_err		 err;

	if ((f = form_find(fs, form_id)) == NULL)
		return (qj_fail(d, QJ_ENOTFOUND, "unknown-form", "",
		    "no form '%s'", form_id != NULL ? form_id : ""));
	guard_push(&g);
	if ((err = build_doc(f, obj, &doc, d)) == QJ_OK)
		err = finish(f, doc, xml_out, d);
	if (doc != NULL)
		xmlFreeDoc(doc);
	guard_pop(&g);
	return (err);
}

/* --- XML -> JSON --------------------------------------------------------- */

static enum qj_err
walk_fail(struct qj_diag *d, const struct path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum qj_err
walk_fail(struct qj_diag *d, const struct path *p, const char *fmt, ...)
{
	char	msg[400];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return (failf(d, QJ_EUNPROC, "schema-violation", p->s, "%s%s%s",
	    p->s, p->len > 0 ? ": " : "", msg));
}

/* Trimmed copy of XML whitespace around s (for collapsed types). */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_xml_space((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_xml_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* JSON value of a simple element's text. */
static enum qj_err
simple_to_json(const struct fnode *m, const char *s, size_t len,
    const struct path *p, json_t **out, struct qj_diag *d)
{
	char		 num[64], *end;
	long long	 ll;
	double		 x;
	locale_t	 c;
	size_t		 i;
	int		 whole;

	if (m->kind == FK_STRING || m->kind == FK_ENUM) {
		*out = json_stringn(s, len);
		return (*out != NULL ? QJ_OK : QJ_ENOMEM);
	}
	trim(&s, &len);
	if (m->kind == FK_DATE || m->kind == FK_DATETIME) {
		*out = json_stringn(s, len);
		return (*out != NULL ? QJ_OK : QJ_ENOMEM);
	}
	if (m->kind == FK_BOOL) {
		if ((len == 4 && memcmp(s, "true", 4) == 0) ||
		    (len == 1 && *s == '1'))
			*out = json_true();
		else if ((len == 5 && memcmp(s, "false", 5) == 0) ||
		    (len == 1 && *s == '0'))
			*out = json_false();
		else
			return (walk_fail(d, p, "'%.*s' is not a boolean",
			    (int)len, s));
		return (QJ_OK);
	}
	if (len == 0 || len >= sizeof(num))
		return (walk_fail(d, p, "not a number of at most %zu "
		    "characters", sizeof(num) - 1));
	memcpy(num, s, len);
	num[len] = '\0';
	/* A decimal with no fraction (or only zeros) is a JSON integer. */
	whole = 1;
	if ((end = strchr(num, '.')) != NULL) {
		for (i = 1; end[i] != '\0'; i++)
			if (end[i] != '0')
				whole = 0;
		if (whole)
			*end = '\0';
	}
	if (whole && (num[0] == '\0' || strcmp(num, "-") == 0 ||
	    strcmp(num, "+") == 0)) {
		*out = json_integer(0);		/* ".0", "-.00" */
		return (*out != NULL ? QJ_OK : QJ_ENOMEM);
	}
	if (whole) {
		errno = 0;
		ll = strtoll(num, &end, 10);
		if (errno != 0 || *end != '\0')
			return (walk_fail(d, p, "'%s' is out of range", num));
		*out = json_integer(ll);
		return (*out != NULL ? QJ_OK : QJ_ENOMEM);
	}
	if (m->kind != FK_DECIMAL)
		return (walk_fail(d, p, "'%s' is not an integer", num));
	if ((c = newlocale(LC_ALL_MASK, "C", (locale_t)0)) == (locale_t)0)
		return (QJ_ENOMEM);
	errno = 0;
	x = strtod_l(num, &end, c);
	freelocale(c);
	if (errno != 0 || *end != '\0' || !isfinite(x))
		return (walk_fail(d, p, "'%s' is not a decimal", num));
	*out = json_real(x);
	return (*out != NULL ? QJ_OK : QJ_ENOMEM);
}

/* Text of a simple element: text and CDATA children, nothing else. */
static enum qj_err
element_text(xmlNodePtr el, const struct path *p, struct qj_buf *b,
    struct qj_diag *d)
{
	xmlNodePtr	n;

	for (n = el->children; n != NULL; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
			continue;
		if (n->type != XML_TEXT_NODE &&
		    n->type != XML_CDATA_SECTION_NODE)
			return (walk_fail(d, p, "a simple value cannot "
			    "contain elements"));
		if (n->content != NULL && qj_buf_puts(b,
		    (const char *)n->content) != QJ_OK)
			return (QJ_ENOMEM);
	}
	return (QJ_OK);
}

/* The children of a complex element: objects, or a wrapper's array. */
static enum qj_err
complex_to_json(const struct qj_form *f, const struct fnode *m,
    xmlNodePtr el, struct path *p, json_t **out, struct qj_diag *d)
{
	xmlNodePtr		 n;
	const struct fnode	*kid;
	json_t			*acc, *v = NULL;
	const xmlChar		*t;
	size_t			 old, idx = 0;
	enum qj_err		 err = QJ_OK;

	if ((acc = m->wrapper ? json_array() : json_object()) == NULL)
		return (QJ_ENOMEM);
	for (n = el->children; n != NULL; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
			continue;
		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) {
			for (t = n->content; t != NULL && *t != '\0'; t++)
				if (!is_xml_space(*t)) {
					err = walk_fail(d, p, "text is not "
					    "allowed between elements");
					goto out;
				}
			continue;
		}
		if (n->type != XML_ELEMENT_NODE ||
		    (kid = kid_by_node(m, n)) == NULL) {
			old = path_push(p, n->name != NULL ?
			    (const char *)n->name : "?", 0);
			err = walk_fail(d, p, "unexpected %s",
			    n->type == XML_ELEMENT_NODE ? "element" : "node");
			path_pop(p, old);
			goto out;
		}
		if (!m->wrapper && json_object_get(acc, kid->name) != NULL) {
			old = path_push(p, kid->name, 0);
			err = walk_fail(d, p, "element repeated");
			path_pop(p, old);
			goto out;
		}
		old = path_push(p, kid->name, m->wrapper ? ++idx : 0);
		err = node_to_json(f, kid, n, p, &v, d);
		path_pop(p, old);
		if (err != QJ_OK)
			goto out;
		if ((m->wrapper ? json_array_append_new(acc, v) :
		    json_object_set_new(acc, kid->name, v)) != 0) {
			err = QJ_ENOMEM;
			goto out;
		}
	}
out:
	if (err == QJ_OK)
		*out = acc;
	else
		json_decref(acc);
	return (err);
}

/* JSON value of element el, declared by m; p is el's path. */
static enum qj_err
node_to_json(const struct qj_form *f, const struct fnode *m, xmlNodePtr el,
    struct path *p, json_t **out, struct qj_diag *d)
{
	struct qj_buf	b = QJ_BUF_INIT;
	enum qj_err	err;

	if (el->properties != NULL && el->parent != NULL &&
	    el->parent->type == XML_ELEMENT_NODE)
		return (walk_fail(d, p, "attribute %s is not allowed",
		    el->properties->name));
	if (m->kind == FK_COMPLEX)
		return (complex_to_json(f, m, el, p, out, d));
	if ((err = element_text(el, p, &b, d)) == QJ_OK)
		err = simple_to_json(m, b.data != NULL ? b.data : "", b.len,
		    p, out, d);
	qj_buf_free(&b);
	return (err);
}

/* The root of a parsed submission: right element, version, JSON. */
static enum qj_err
doc_to_json(const struct qj_form *f, xmlDocPtr doc, json_t **out,
    struct qj_diag *d)
{
	xmlNodePtr	 root = xmlDocGetRootElement(doc);
	xmlAttrPtr	 a;
	xmlChar		*ver = NULL;
	json_t		*obj = NULL;
	struct path	 p;
	enum qj_err	 err;

	p.len = 0;
	p.s[0] = '\0';
	for (a = root->properties; a != NULL; a = a->next)
		if (a->ns != NULL || strcmp((const char *)a->name,
		    "version") != 0)
			return (walk_fail(d, &p, "attribute %s is not allowed",
			    a->name));
	if ((ver = xmlGetNoNsProp(root, (const xmlChar *)"version")) == NULL) {
		path_push(&p, "version", 0);
		return (walk_fail(d, &p, "missing required attribute "
		    "'version'"));
	}
	if ((err = complex_to_json(f, &f->root, root, &p, &obj, d)) != QJ_OK)
		goto out;
	if (json_object_set_new(obj, "version",
	    json_string((const char *)ver)) != 0)
		err = QJ_ENOMEM;
out:
	xmlFree(ver);
	if (err == QJ_OK)
		*out = obj;
	else
		json_decref(obj);
	return (err);
}

/* Parses with qj_xml_parse, checks the root, validates against the schema. */
static enum qj_err
parse_instance(const struct qj_form *f, const void *xml, size_t len,
    xmlDocPtr *out, struct qj_diag *d)
{
	xmlDocPtr	doc;
	xmlNodePtr	root;
	enum qj_err	err;

	if ((err = qj_xml_parse(xml, len, QJ_FORM_MAX_BYTES, &doc, d)) !=
	    QJ_OK)
		return (err);
	root = xmlDocGetRootElement(doc);
	if (root == NULL || root->ns == NULL ||
	    strcmp((const char *)root->name, f->root.name) != 0 ||
	    strcmp((const char *)root->ns->href, f->ns) != 0) {
		err = qj_fail(d, QJ_EUNPROC, "schema-violation", "",
		    "the root element must be %s in namespace %s (form %s)",
		    f->root.name, f->ns, f->id);
		goto out;
	}
	err = validate_schema(f, doc, d);
out:
	if (err == QJ_OK)
		*out = doc;
	else
		xmlFreeDoc(doc);
	return (err);
}

enum qj_err
qj_form_from_xml(const struct qj_forms *fs, const char *form_id,
    const void *xml, size_t len, struct qj_buf *out, struct qj_diag *d)
{
	const struct qj_form	*f;
	xmlDocPtr		 doc = NULL, built = NULL;
	json_t			*obj = NULL;
	struct errguard		 g;
	enum qj_err		 err;

	if ((f = form_find(fs, form_id)) == NULL)
		return (qj_fail(d, QJ_ENOTFOUND, "unknown-form", "",
		    "no form '%s'", form_id != NULL ? form_id : ""));
	guard_push(&g);
	if ((err = parse_instance(f, xml, len, &doc, d)) != QJ_OK ||
	    (err = doc_to_json(f, doc, &obj, d)) != QJ_OK ||
	    (err = build_doc(f, obj, &built, d)) != QJ_OK)
		goto out;
	err = finish(f, built, out, d);
out:
	json_decref(obj);
	if (built != NULL)
		xmlFreeDoc(built);
	if (doc != NULL)
		xmlFreeDoc(doc);
	guard_pop(&g);
	return (err);
}

enum qj_err
qj_form_to_json(const struct qj_forms *fs, const char *form_id,
    const void *xml, size_t len, json_t **out, struct qj_diag *d)
{
	const struct qj_form	*f;
	xmlDocPtr		 doc = NULL;
	struct errguard		 g;
	enum qj_err		 err;

	if ((f = form_find(fs, form_id)) == NULL)
		return (qj_fail(d, QJ_ENOTFOUND, "unknown-form", "",
		    "no form '%s'", form_id != NULL ? form_id : ""));
	guard_push(&g);
	if ((err = parse_instance(f, xml, len, &doc, d)) == QJ_OK)
		err = doc_to_json(f, doc, out, d);
	if (doc != NULL)
		xmlFreeDoc(doc);
	guard_pop(&g);
	return (err);
}

/* --- describe ------------------------------------------------------------ */

static int
set_str(json_t *o, const char *key, const char *s)
{
	return (json_object_set_new(o, key, json_string(s != NULL ? s : "")));
}

static int
describe_node(const struct fnode *m, struct path *p, int li, json_t *fields)
{
	json_t	*o, *codes, *c;
	size_t	 i, old;
	int	 rc = 0;

	if ((o = json_object()) == NULL || json_array_append_new(fields, o))
		return (-1);
	rc |= set_str(o, "path", p->s);
	rc |= set_str(o, "type", m->wrapper ? "array" : kind_names[m->kind]);
	rc |= json_object_set_new(o, "required", json_boolean(m->min > 0));
	rc |= json_object_set_new(o, "repeated", json_boolean(m->max > 1));
	rc |= set_str(o, "label", m->label[li]);
	if (m->hint[li] != NULL)
		rc |= set_str(o, "hint", m->hint[li]);
	if (m->deflt[li] != NULL)
		rc |= set_str(o, "default", m->deflt[li]);
	if (m->fixed != NULL)
		rc |= set_str(o, "fixed", m->fixed);
	if (m->max > 1) {
		rc |= json_object_set_new(o, "minItems", json_integer(m->min));
		if (m->max != UNBOUNDED)
			rc |= json_object_set_new(o, "maxItems",
			    json_integer(m->max));
	}
	if (m->kind == FK_ENUM) {
		if ((codes = json_array()) == NULL ||
		    json_object_set_new(o, "codes", codes) != 0)
			return (-1);
		for (i = 0; i < m->ncodes; i++) {
			if ((c = json_object()) == NULL ||
			    json_array_append_new(codes, c) != 0)
				return (-1);
			rc |= set_str(c, "code", m->codes[i].code);
			rc |= set_str(c, "label", m->codes[i].label[li]);
		}
	}
	for (i = 0; i < m->nkids && rc == 0; i++) {
		old = path_push(p, m->kids[i].name, 0);
		rc |= describe_node(&m->kids[i], p, li, fields);
		path_pop(p, old);
	}
	return (rc);
}

json_t *
qj_form_describe(const struct qj_forms *fs, const char *form_id,
    const char *lang)
{
	const struct qj_form	*f;
	json_t			*top = NULL, *fields, *rules, *o;
	struct path		 p;
	size_t			 i, old;
	int			 li, rc = 0;

	if ((f = form_find(fs, form_id)) == NULL ||
	    (li = lang_index(lang)) < 0 || (top = json_object()) == NULL)
		return (NULL);
	rc |= set_str(top, "form", f->id);
	rc |= set_str(top, "namespace", f->ns);
	rc |= set_str(top, "root", f->root.name);
	rc |= set_str(top, "lang", lang_names[li]);
	rc |= set_str(top, "label", f->root.label[li]);
	if ((fields = json_array()) == NULL ||
	    json_object_set_new(top, "fields", fields) != 0 ||
	    (rules = json_array()) == NULL ||
	    json_object_set_new(top, "rules", rules) != 0)
		goto fail;
	if ((o = json_object()) == NULL || json_array_append_new(fields, o))
		goto fail;
	rc |= set_str(o, "path", "version");
	rc |= set_str(o, "type", "string");
	rc |= json_object_set_new(o, "required", json_true());
	rc |= json_object_set_new(o, "repeated", json_false());
	rc |= set_str(o, "label", f->vlabel[li]);
	p.len = 0;
	p.s[0] = '\0';
	for (i = 0; i < f->root.nkids && rc == 0; i++) {
		old = path_push(&p, f->root.kids[i].name, 0);
		rc |= describe_node(&f->root.kids[i], &p, li, fields);
		path_pop(&p, old);
	}
	for (i = 0; i < f->nrules && rc == 0; i++) {
		if ((o = json_object()) == NULL ||
		    json_array_append_new(rules, o) != 0)
			goto fail;
		rc |= set_str(o, "id", f->rules[i].id);
		rc |= set_str(o, "cite", f->rules[i].cite);
		rc |= set_str(o, "field", f->rules[i].field);
		rc |= set_str(o, "message", f->rules[i].msg[li]);
	}
	if (rc == 0)
		return (top);
fail:
	json_decref(top);
	return (NULL);
}
