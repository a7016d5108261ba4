/*
 * archive_verify.c: the offline verifier of sealed case packages
 * (archive_case.h lists the checks and their names).
 *
 * Owns the verdict on a package.  The same function serves `qujat
 * verify-archive`, the server's POST /api/archive/verify and the tests, so
 * there is one verifier.  It never stops at the first fault: every check
 * that can still run does, and each fault becomes one finding that names
 * the file or audit event concerned.  The package is hostile input: it is
 * read only through qj_zip_read() (limits, canonical names) and parsed
 * only through qj_xml_parse() and jansson; the package's own trust anchors
 * are never trusted, only the caller's.
 *
 * Invariant: a report without findings means every check below ran on
 * this package and passed.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "core/archive_case.h"
#include "core/audit.h"
#include "core/codec.h"
#include "core/trust.h"
#include "core/xades.h"
#include "core/xmlsafe.h"

#define V_XML_MAX	(64u * 1024 * 1024)	/* case.xml, seal */
#define V_SIG_MAX	(8u * 1024 * 1024)	/* one user signature */

struct vevent {
	int64_t	 seq;
	char	*at, *action, *actor, *before, *after;	/* owned, or NULL */
	char	**hashes;				/* owned */
	size_t	 nhashes;
};

struct vctx {
	const struct qj_arc_vopts	*o;
	struct qj_arc_report		*rep;
	struct qj_zip			 z;
	unsigned char			(*sha)[QJ_SHA256_LEN];	/* per entry */
	/* per entry: a signature's hash as stored (stored_hashes()) */
	unsigned char			(*ssha)[QJ_SHA256_LEN];
	xmlDocPtr			 cx;		/* case.xml */
	xmlNodePtr			 root;
	struct vevent			*ev;
	size_t				 nev;
	int				 audit_ok;
	struct qj_trust			*trust;
	time_t				 now;
};

/* --- findings ------------------------------------------------------------------ */

static void
finding(struct qj_arc_report *r, const char *check, const char *subject,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
finding(struct qj_arc_report *r, const char *check, const char *subject,
    const char *fmt, ...)
{
	struct qj_arc_finding	*f, *nf;
	va_list			 ap;

	if (r->nf == r->capf) {
		if ((nf = reallocarray(r->f, r->capf ? r->capf * 2 : 16,
		    sizeof(*nf))) == NULL)
			return;
		r->f = nf;
		r->capf = r->capf ? r->capf * 2 : 16;
	}
	f = &r->f[r->nf++];
	snprintf(f->check, sizeof(f->check), "%s", check);
	snprintf(f->subject, sizeof(f->subject), "%s", subject != NULL ?
	    subject : "");
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

void
qj_arc_report_free(struct qj_arc_report *r)
{
	free(r->f);
	memset(r, 0, sizeof(*r));
}

/* --- entries ------------------------------------------------------------------ */

static long
entry_index(const struct vctx *v, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < v->z.n; i++)
		if (strcmp(v->z.e[i].name, name) == 0)
			return ((long)i);
	return (-1);
}

static int
entry_hash_is(const struct vctx *v, long i, const char *hex)
{
	char	h[QJ_SHA256_HEX_LEN + 1];

	if (i < 0 || hex == NULL)
		return (0);
	qj_hex(v->sha[i], QJ_SHA256_LEN, h);
	return (strcmp(h, hex) == 0);
}

static void
check_mimetype(struct vctx *v)
{
	const struct qj_zip_entry	*e = v->z.n > 0 ? &v->z.e[0] : NULL;

	if (e == NULL || strcmp(e->name, "mimetype") != 0) {
		finding(v->rep, "mimetype", "mimetype", "the first entry must "
		    "be mimetype (ASiC-E)");
		return;
	}
	if (!e->stored || e->extra)
		finding(v->rep, "mimetype", "mimetype", "mimetype must be "
		    "stored, without compression or extra fields");
	if (e->len != strlen(QJ_ARC_MIMETYPE) ||
	    memcmp(e->data, QJ_ARC_MIMETYPE, e->len) != 0)
		finding(v->rep, "mimetype", "mimetype", "mimetype must be "
		    "exactly %s", QJ_ARC_MIMETYPE);
}

/* SHA256SUMS: every entry but itself and the seal, each hash right. */
static void
check_sums(struct vctx *v)
{
	long		 si = entry_index(v, QJ_ARC_SUMS_NAME), i;
	const char	*p, *end, *nl;
	unsigned char	*listed;
	char		 name[QJ_ZIP_MAX_NAME + 1], hex[QJ_SHA256_HEX_LEN + 1];
	size_t		 k, len;

	if (si < 0) {
		finding(v->rep, "sums", QJ_ARC_SUMS_NAME, "the package has no "
		    "SHA256SUMS");
		return;
	}
	if ((listed = calloc(v->z.n + 1, 1)) == NULL)
		return;
	p = (const char *)v->z.e[si].data;
	end = p + v->z.e[si].len;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len < 67 || len - 66 > QJ_ZIP_MAX_NAME || p[64] != ' ' ||
		    p[65] != ' ') {
			finding(v->rep, "sums", QJ_ARC_SUMS_NAME, "a line is "
			    "not \"<sha256>  <name>\": %.80s", p);
			continue;
		}
		memcpy(hex, p, 64);
		hex[64] = '\0';
		memcpy(name, p + 66, len - 66);
		name[len - 66] = '\0';
		if ((i = entry_index(v, name)) < 0) {
			finding(v->rep, "sums", name, "listed in SHA256SUMS "
			    "but missing from the package (removed?)");
			continue;
		}
		if (listed[i]++)
			finding(v->rep, "sums", name, "listed twice in "
			    "SHA256SUMS");
		if (!entry_hash_is(v, i, hex))
			finding(v->rep, "sums", name, "the SHA-256 of %s is "
			    "not the one SHA256SUMS lists (changed)", name);
	}
	for (k = 0; k < v->z.n; k++)
		if (!listed[k] && (long)k != si &&
		    strcmp(v->z.e[k].name, QJ_ARC_SEAL_NAME) != 0)
			finding(v->rep, "sums", v->z.e[k].name, "%s is in the "
			    "package but not in SHA256SUMS (added?)",
			    v->z.e[k].name);
	free(listed);
}

/* META-INF/manifest.xml lists exactly the data files. */
static void
check_manifest(struct vctx *v)
{
	long		 mi = entry_index(v, QJ_ARC_MANIFEST_NAME), i;
	struct qj_diag	 d;
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root, c;
	xmlChar		*path;
	unsigned char	*seen = NULL;
	size_t		 k;

	if (mi < 0) {
		finding(v->rep, "manifest", QJ_ARC_MANIFEST_NAME, "missing");
		return;
	}
	if (qj_xml_parse(v->z.e[mi].data, v->z.e[mi].len, V_XML_MAX, &doc,
	    &d) != QJ_OK || (root = xmlDocGetRootElement(doc)) == NULL ||
	    root->ns == NULL || !xmlStrEqual(root->ns->href,
	    BAD_CAST QJ_ARC_ODF_NS) || (seen = calloc(v->z.n + 1, 1)) ==
	    NULL) {
		finding(v->rep, "manifest", QJ_ARC_MANIFEST_NAME, "not an ODF "
		    "manifest");
		goto out;
	}
	for (c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		path = xmlGetNsProp(c, BAD_CAST "full-path",
		    BAD_CAST QJ_ARC_ODF_NS);
		if (path != NULL && strcmp((char *)path, "/") != 0) {
			if ((i = entry_index(v, (char *)path)) < 0 ||
			    strncmp((char *)path, "META-INF/", 9) == 0)
				finding(v->rep, "manifest", (char *)path, "the "
				    "manifest lists a file the package does "
				    "not hold as data");
			else
				seen[i] = 1;
		}
		xmlFree(path);
	}
	for (k = 1; k < v->z.n; k++)
		if (!seen[k] && strncmp(v->z.e[k].name, "META-INF/", 9) != 0)
			finding(v->rep, "manifest", v->z.e[k].name, "a data "
			    "file missing from META-INF/manifest.xml");
out:
	free(seen);
	if (doc != NULL)
		xmlFreeDoc(doc);
}

/* --- case.xml helpers ------------------------------------------------------------ */

static int
is_el(xmlNodePtr n, const char *name)
{
	return (n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    xmlStrEqual(n->ns->href, BAD_CAST QJ_ARC_CASE_NS) &&
	    xmlStrEqual(n->name, BAD_CAST name));
}

static xmlNodePtr
el_first(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	c;

	for (c = parent != NULL ? parent->children : NULL; c != NULL;
	    c = c->next)
		if (is_el(c, name))
			return (c);
	return (NULL);
}

static xmlNodePtr
el_next(xmlNodePtr n, const char *name)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (is_el(n, name))
			return (n);
	return (NULL);
}

/* An attribute as a string owned by the caller (xmlFree), or NULL. */
static char *
attr(xmlNodePtr n, const char *name)
{
	return ((char *)xmlGetNoNsProp(n, BAD_CAST name));
}

static int64_t
attr_i64(xmlNodePtr n, const char *name)
{
	char	*s = attr(n, name), *end;
	long long v = 0;

	if (s != NULL) {
		v = strtoll(s, &end, 10);
		if (*end != '\0')
			v = 0;
	}
	xmlFree(s);
	return (v);
}

/* Both absent, or equal. */
static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static void
load_case(struct vctx *v)
{
	long		 i = entry_index(v, "case.xml");
	struct qj_diag	 d;
	char		*s;

	if (i < 0) {
		finding(v->rep, "case", "case.xml", "missing");
		return;
	}
	if (qj_xml_parse(v->z.e[i].data, v->z.e[i].len, V_XML_MAX, &v->cx,
	    &d) != QJ_OK) {
		finding(v->rep, "case", "case.xml", "%s", d.detail);
		return;
	}
	v->root = xmlDocGetRootElement(v->cx);
	if (!is_el(v->root, "case") || attr_i64(v->root, "id") <= 0 ||
	    attr_i64(v->root, "format") != QJ_ARC_FORMAT) {
		finding(v->rep, "case", "case.xml", "not a Qujat case "
		    "description of format %d", QJ_ARC_FORMAT);
		v->root = NULL;
		return;
	}
	v->rep->case_id = attr_i64(v->root, "id");
	s = attr(el_first(v->root, "workflow"), "id");
	snprintf(v->rep->workflow, sizeof(v->rep->workflow), "%s",
	    s != NULL ? s : "");
	xmlFree(s);
	s = attr(el_first(v->root, "state"), "final");
	snprintf(v->rep->state, sizeof(v->rep->state), "%s",
	    s != NULL ? s : "");
	xmlFree(s);
}

/* --- the audit stream ----------------------------------------------------------- */

static void
vevents_free(struct vctx *v)
{
	size_t	i, k;

	for (i = 0; i < v->nev; i++) {
		free(v->ev[i].at);
		free(v->ev[i].action);
		free(v->ev[i].actor);
		free(v->ev[i].before);
		free(v->ev[i].after);
		for (k = 0; k < v->ev[i].nhashes; k++)
			free(v->ev[i].hashes[k]);
		free(v->ev[i].hashes);
	}
	free(v->ev);
	v->ev = NULL;
	v->nev = 0;
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? strdup(s) : NULL);
}

static const char *
jstr(json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

/*
 * One JSON line into an audit event (strings borrowed from `o`); -1 when a
 * member has the wrong type.  The caller compares the line with the
 * event's canonical form, which catches every other kind of difference.
 */
static int
line_event(json_t *o, struct audit_event *ev, const char **docs,
    char **detail)
{
	json_t	*a, *x;
	size_t	 i;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "seq")) ||
	    (a = json_object_get(o, "document_hashes")) == NULL ||
	    !json_is_array(a) || json_array_size(a) > AUDIT_MAX_DOCS ||
	    jstr(o, "at") == NULL ||
	    audit_time_parse(jstr(o, "at"), &ev->at) != QJ_OK ||
	    !json_is_object(json_object_get(o, "detail")))
		return (-1);
	ev->stream = jstr(o, "stream");
	ev->seq = json_integer_value(json_object_get(o, "seq"));
	x = json_object_get(o, "actor_id");
	ev->actor_id = json_is_integer(x) ? json_integer_value(x) : 0;
	ev->actor_login = jstr(o, "actor_login");
	ev->action = jstr(o, "action");
	ev->state_before = jstr(o, "state_before");
	ev->state_after = jstr(o, "state_after");
	ev->request_id = jstr(o, "request_id");
	ev->address = jstr(o, "address");
	ev->prev_hash = jstr(o, "prev_hash");
	for (i = 0; i < json_array_size(a); i++)
		if ((docs[i] = json_string_value(json_array_get(a, i))) ==
		    NULL)
			return (-1);
	ev->docs = docs;
	ev->ndocs = json_array_size(a);
	if ((*detail = json_dumps(json_object_get(o, "detail"),
	    JSON_COMPACT)) == NULL)
		return (-1);
	ev->detail = *detail;
	return (0);
}

static int
keep_event(struct vctx *v, const struct audit_event *ev)
{
	struct vevent	*n;
	size_t		 k;

	if ((n = reallocarray(v->ev, v->nev + 1, sizeof(*n))) == NULL)
		return (-1);
	v->ev = n;
	n = &v->ev[v->nev++];
	memset(n, 0, sizeof(*n));
	n->seq = ev->seq;
	if ((n->at = malloc(AUDIT_TIME_LEN + 1)) == NULL ||
	    audit_time_format(ev->at, n->at) != QJ_OK)
		return (-1);
	n->action = dup_or_null(ev->action);
	n->actor = dup_or_null(ev->actor_login);
	n->before = dup_or_null(ev->state_before);
	n->after = dup_or_null(ev->state_after);
	if ((n->hashes = calloc(ev->ndocs + 1, sizeof(char *))) == NULL)
		return (-1);
	for (k = 0; k < ev->ndocs; k++)
		n->hashes[n->nhashes++] = strdup(ev->docs[k]);
	return (0);
}

/* head.json: {"hash","seq","stream"}; 0 when read. */
static int
read_head(struct vctx *v, char stream[AUDIT_STREAM_MAX], int64_t *seq,
    char hash[AUDIT_HASH_HEX + 1])
{
	long		 i = entry_index(v, QJ_ARC_HEAD_NAME);
	json_t		*o;
	json_error_t	 je;
	int		 rc = -1;

	if (i < 0)
		return (-1);
	o = json_loadb((char *)v->z.e[i].data, v->z.e[i].len,
	    JSON_REJECT_DUPLICATES, &je);
	if (o != NULL && jstr(o, "stream") != NULL && jstr(o, "hash") !=
	    NULL && json_is_integer(json_object_get(o, "seq")) &&
	    strlen(jstr(o, "stream")) < AUDIT_STREAM_MAX &&
	    strlen(jstr(o, "hash")) <= AUDIT_HASH_HEX) {
		snprintf(stream, AUDIT_STREAM_MAX, "%s", jstr(o, "stream"));
		snprintf(hash, AUDIT_HASH_HEX + 1, "%s", jstr(o, "hash"));
		*seq = json_integer_value(json_object_get(o, "seq"));
		rc = 0;
	}
	json_decref(o);
	return (rc);
}

static void
check_audit(struct vctx *v)
{
	struct audit_verify	 av;
	struct audit_event	 ev;
	struct qj_buf		 canon = QJ_BUF_INIT;
	struct qj_diag		 d;
	const char		*docs[AUDIT_MAX_DOCS], *p, *end, *nl;
	char			 stream[AUDIT_STREAM_MAX], hhash[AUDIT_HASH_HEX + 1],
				 hash[AUDIT_HASH_HEX + 1], subj[48], *detail;
	long			 li = entry_index(v, QJ_ARC_EVENTS_NAME);
	json_t			*o;
	json_error_t		 je;
	int64_t			 hseq = 0, line = 0;
	int			 broken = 0;

	if (li < 0 || read_head(v, stream, &hseq, hhash) != 0) {
		finding(v->rep, "audit", li < 0 ? QJ_ARC_EVENTS_NAME :
		    QJ_ARC_HEAD_NAME, "missing or unreadable");
		return;
	}
	if (audit_stream_check(stream, NULL, &d) != QJ_OK) {
		finding(v->rep, "audit", QJ_ARC_HEAD_NAME, "stream \"%s\" is "
		    "not a valid stream name", stream);
		return;
	}
	audit_verify_init(&av, stream);
	p = (const char *)v->z.e[li].data;
	end = p + v->z.e[li].len;
	for (; p < end && !broken; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			finding(v->rep, "audit", QJ_ARC_EVENTS_NAME, "the last "
			    "line has no newline");
			broken = 1;
			break;
		}
		line++;
		detail = NULL;
		o = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &je);
		qj_buf_reset(&canon);
		snprintf(subj, sizeof(subj), "%s line %lld",
		    QJ_ARC_EVENTS_NAME, (long long)line);
		if (o == NULL || line_event(o, &ev, docs, &detail) != 0 ||
		    audit_canonical(&ev, &canon, &d) != QJ_OK ||
		    canon.len != (size_t)(nl - p) ||
		    memcmp(canon.data, p, canon.len) != 0) {
			finding(v->rep, "audit", subj, "not an audit event in "
			    "canonical form (edited?)");
			broken = 1;
		} else if (audit_hash(&ev, hash, &d) == QJ_OK) {
			ev.hash = hash;
			if (audit_verify_next(&av, &ev) == 0 &&
			    keep_event(v, &ev) != 0)
				broken = 1;
		}
		free(detail);
		json_decref(o);
	}
	qj_buf_free(&canon);
	if (!broken)
		(void)audit_verify_head(&av, 1, hseq, hhash);
	if (av.fault == AUDIT_F_PREV_HASH || av.fault == AUDIT_F_HEAD_MISMATCH) {
		/* The link after an edited event breaks: name both. */
		snprintf(subj, sizeof(subj), "seq %lld",
		    (long long)av.fault_seq);
		finding(v->rep, "audit", subj, "%s: %s: the event at seq %lld "
		    "was edited, or this link was (audit/events.jsonl against "
		    "audit/head.json)", audit_fault_slug(av.fault), av.why,
		    (long long)(av.fault == AUDIT_F_PREV_HASH ? av.fault_seq - 1 :
		    av.fault_seq));
	} else if (av.fault != AUDIT_F_NONE) {
		snprintf(subj, sizeof(subj), "seq %lld", (long long)av.fault_seq);
		finding(v->rep, "audit", subj, "%s: %s (audit/events.jsonl "
		    "against audit/head.json)", audit_fault_slug(av.fault),
		    av.why);
	} else if (!broken)
		v->audit_ok = 1;
	v->rep->events = av.events;
}

/* --- consistency of case.xml ------------------------------------------------------ */

static int
event_names(const struct vctx *v, const char *hex)
{
	size_t	i, k;

	for (i = 0; hex != NULL && i < v->nev; i++)
		for (k = 0; k < v->ev[i].nhashes; k++)
			if (strcmp(v->ev[i].hashes[k], hex) == 0)
				return (1);
	return (0);
}

static void
check_history(struct vctx *v)
{
	xmlNodePtr	 h = el_first(v->root, "history"), e;
	char		 subj[32], *a[6];
	const char	*names[6] = { "at", "action", "actor", "before", "after",
			    "seq" };
	size_t		 i = 0, k, nh;
	xmlNodePtr	 hh;
	int		 bad;

	for (e = el_first(h, "event"); e != NULL; e = el_next(e, "event"), i++) {
		snprintf(subj, sizeof(subj), "seq %lld",
		    (long long)attr_i64(e, "seq"));
		if (i >= v->nev) {
			finding(v->rep, "case", subj, "case.xml's history has "
			    "an event the audit stream lacks");
			return;
		}
		for (k = 0; k < 6; k++)
			a[k] = attr(e, names[k]);
		bad = attr_i64(e, "seq") != v->ev[i].seq ||
		    !same(a[0], v->ev[i].at) || !same(a[1], v->ev[i].action) || !same(a[2], v->ev[i].actor) ||
		    !same(a[3], v->ev[i].before) || !same(a[4], v->ev[i].after);
		for (nh = 0, hh = el_first(e, "hash"); hh != NULL && !bad;
		    hh = el_next(hh, "hash"), nh++) {
			char *s = attr(hh, "sha256");

			bad = nh >= v->ev[i].nhashes ||
			    !same(s, v->ev[i].hashes[nh]);
			xmlFree(s);
		}
		bad = bad || nh != v->ev[i].nhashes;
		for (k = 0; k < 6; k++)
			xmlFree(a[k]);
		if (bad) {
			snprintf(subj, sizeof(subj), "seq %lld",
			    (long long)v->ev[i].seq);
			finding(v->rep, "case", subj, "case.xml's history "
			    "differs from the audit event");
			return;
		}
	}
	if (i != v->nev)
		finding(v->rep, "case", "case.xml", "the history has %zu "
		    "events, the audit stream %zu", i, v->nev);
	if (v->nev > 0 && !same(v->rep->state, v->ev[v->nev - 1].after)) {
		snprintf(subj, sizeof(subj), "seq %lld",
		    (long long)v->ev[v->nev - 1].seq);
		finding(v->rep, "case", subj, "the final state in case.xml "
		    "(%s) is not the last event's state (%s)", v->rep->state,
		    v->ev[v->nev - 1].after != NULL ? v->ev[v->nev - 1].after :
		    "none");
	}
}

/* A file case.xml names must exist and (when given) hash to `hex`. */
static long
named_file(struct vctx *v, xmlNodePtr n, const char *what, const char *hex)
{
	char	*file = attr(n, "file");
	long	 i = entry_index(v, file);

	if (i < 0)
		finding(v->rep, "case", file != NULL ? file : "case.xml",
		    "case.xml names a %s the package does not hold", what);
	else if (hex != NULL && !entry_hash_is(v, i, hex))
		finding(v->rep, "case", file, "the %s's SHA-256 is not the one "
		    "case.xml gives", what);
	xmlFree(file);
	return (i);
}

/*
 * A signature's SHA-256 as the server stored it, which the audit events
 * name.  An ASiC-E signatures file holds the signature's element alone
 * between QJ_ASIC_FILE_HEAD and QJ_ASIC_FILE_TAIL; case.xml records what
 * stood around it (stored-prolog, stored-epilog), which must be inert (no
 * element: prolog + <r/> + epilog parses as a lone empty element).  Any
 * other signature file is stored whole.
 */
static void
stored_hash(struct vctx *v, xmlNodePtr n)
{
	static const char	 head[] = QJ_ASIC_FILE_HEAD,
				 tail[] = QJ_ASIC_FILE_TAIL;
	const struct qj_zip_entry *e;
	struct qj_buf		 b = QJ_BUF_INIT;
	struct qj_diag		 d;
	xmlDocPtr		 doc = NULL;
	xmlNodePtr		 r;
	char			*file = attr(n, "file"), *pro, *epi;
	long			 i = entry_index(v, file);
	size_t			 hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	int			 inert;

	xmlFree(file);
	if (i < 0 || strncmp(v->z.e[i].name, "META-INF/signatures-", 20) != 0)
		return;
	e = &v->z.e[i];
	pro = attr(n, "stored-prolog");
	epi = attr(n, "stored-epilog");
	if (e->len < hl + tl || memcmp(e->data, head, hl) != 0 ||
	    memcmp((const char *)e->data + e->len - tl, tail, tl) != 0) {
		finding(v->rep, "case", e->name, "not a Qujat ASiC-E signatures "
		    "file (asic:XAdESSignatures around one stored signature)");
		goto out;
	}
	qj_buf_printf(&b, "%s<r/>%s", pro != NULL ? pro : "", epi != NULL ?
	    epi : "");
	inert = b.data != NULL && qj_xml_parse(b.data, b.len, 0, &doc, &d) ==
	    QJ_OK && (r = xmlDocGetRootElement(doc)) != NULL &&
	    xmlStrEqual(r->name, BAD_CAST "r") && r->children == NULL &&
	    r->next == NULL;
	if (!inert) {
		finding(v->rep, "case", e->name, "case.xml's stored-prolog or "
		    "stored-epilog of this signature is not inert XML");
		goto out;
	}
	qj_buf_reset(&b);
	if (qj_buf_puts(&b, pro != NULL ? pro : "") == QJ_OK &&
	    qj_buf_append(&b, (const char *)e->data + hl, e->len - hl - tl) ==
	    QJ_OK && qj_buf_puts(&b, epi != NULL ? epi : "") == QJ_OK)
		qj_sha256(b.data, b.len, v->ssha[i]);
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	qj_buf_free(&b);
	xmlFree(pro);
	xmlFree(epi);
}

static void
stored_hashes(struct vctx *v)
{
	xmlNodePtr	n;

	for (n = el_first(el_first(v->root, "signatures"), "signature");
	    n != NULL; n = el_next(n, "signature"))
		stored_hash(v, n);
}

static void
check_files(struct vctx *v)
{
	xmlNodePtr	 n;
	unsigned char	*named;
	char		*s, *c, expect[160];
	long		 i;
	size_t		 k;
	int64_t		 cid = v->rep->case_id;

	if ((named = calloc(v->z.n + 1, 1)) == NULL)
		return;
	n = el_first(v->root, "workflow");
	s = attr(n, "sha256");
	if ((i = named_file(v, n, "workflow definition", s)) >= 0)
		named[i] = 1;
	xmlFree(s);
	for (n = el_first(el_first(v->root, "documents"), "document");
	    n != NULL; n = el_next(n, "document")) {
		s = attr(n, "sha256");
		c = attr(n, "file");
		snprintf(expect, sizeof(expect), "documents/%s.xml",
		    s != NULL ? s : "");
		if (!same(c, expect))
			finding(v->rep, "case", c, "a document must be named "
			    "%s", expect);
		if ((i = named_file(v, n, "document", s)) >= 0)
			named[i] = 1;
		if (attr_i64(n, "case") == cid && v->audit_ok &&
		    !event_names(v, s))
			finding(v->rep, "case", expect, "no audit event of the "
			    "case records this document");
		xmlFree(s);
		xmlFree(c);
	}
	for (n = el_first(el_first(v->root, "attachments"), "attachment");
	    n != NULL; n = el_next(n, "attachment")) {
		s = attr(n, "sha256");
		if ((i = named_file(v, n, "attachment", s)) >= 0) {
			named[i] = 1;
			if ((int64_t)v->z.e[i].len != attr_i64(n, "size"))
				finding(v->rep, "case", v->z.e[i].name,
				    "the attachment's size is not the one "
				    "case.xml gives");
		}
		xmlFree(s);
	}
	for (n = el_first(el_first(v->root, "signatures"), "signature");
	    n != NULL; n = el_next(n, "signature")) {
		if ((i = named_file(v, n, "signature", NULL)) < 0)
			continue;
		named[i] = 1;
		qj_hex(v->ssha[i], QJ_SHA256_LEN, expect);
		if (attr_i64(n, "case") == cid && v->audit_ok &&
		    !event_names(v, expect))
			finding(v->rep, "case", v->z.e[i].name, "no audit event "
			    "of the case records this signature");
	}
	for (n = el_first(el_first(v->root, "trust"), "file"); n != NULL;
	    n = el_next(n, "file")) {
		s = attr(n, "path");
		if ((i = entry_index(v, s)) < 0)
			finding(v->rep, "case", s, "case.xml names trust "
			    "material the package does not hold");
		else
			named[i] = 1;
		xmlFree(s);
	}
	for (k = 0; k < v->z.n; k++) {
		const char *nm = v->z.e[k].name;

		if (named[k] || strcmp(nm, QJ_ARC_SEAL_NAME) == 0)
			continue;
		if (strncmp(nm, "documents/", 10) == 0 ||
		    strncmp(nm, "attachments/", 12) == 0 ||
		    strncmp(nm, "workflow/", 9) == 0 ||
		    strncmp(nm, "META-INF/trust/", 15) == 0 ||
		    strncmp(nm, "signed/", 7) == 0 ||
		    strncmp(nm, "META-INF/signatures", 19) == 0)
			finding(v->rep, "case", nm, "a file case.xml does not "
			    "describe");
	}
	free(named);
}

/* Every hash an event of the case names is a document or a signature. */
static void
check_event_hashes(struct vctx *v)
{
	xmlNodePtr	 n;
	char		*s, hex[QJ_SHA256_HEX_LEN + 1], subj[32];
	size_t		 i, k;
	long		 j;
	int		 found;

	for (i = 0; i < v->nev; i++)
		for (k = 0; k < v->ev[i].nhashes; k++) {
			found = 0;
			for (n = el_first(el_first(v->root, "documents"),
			    "document"); n != NULL && !found;
			    n = el_next(n, "document")) {
				s = attr(n, "sha256");
				found = same(s, v->ev[i].hashes[k]);
				xmlFree(s);
			}
			for (n = el_first(el_first(v->root, "signatures"),
			    "signature"); n != NULL && !found;
			    n = el_next(n, "signature")) {
				s = attr(n, "file");
				if ((j = entry_index(v, s)) >= 0) {
					qj_hex(v->ssha[j], QJ_SHA256_LEN, hex);
					found = strcmp(hex,
					    v->ev[i].hashes[k]) == 0;
				}
				xmlFree(s);
			}
			if (!found) {
				snprintf(subj, sizeof(subj), "seq %lld",
				    (long long)v->ev[i].seq);
				finding(v->rep, "case", subj, "the event names "
				    "%s, which is neither a document nor a "
				    "signature of the package",
				    v->ev[i].hashes[k]);
			}
		}
}

static void
check_consistency(struct vctx *v)
{
	xmlNodePtr	 a = el_first(v->root, "audit");
	char		 stream[AUDIT_STREAM_MAX], hhash[AUDIT_HASH_HEX + 1];
	char		 want[AUDIT_STREAM_MAX], *s, *h;
	int64_t		 hseq = 0;

	snprintf(want, sizeof(want), "case:%lld",
	    (long long)v->rep->case_id);
	s = attr(a, "stream");
	h = attr(a, "hash");
	if (read_head(v, stream, &hseq, hhash) == 0 &&
	    (strcmp(stream, want) != 0 || !same(s, want) ||
	    attr_i64(a, "seq") != hseq || !same(h, hhash)))
		finding(v->rep, "case", QJ_ARC_HEAD_NAME, "the audit head is "
		    "not the one case.xml records for stream %s", want);
	xmlFree(s);
	xmlFree(h);
	if (v->audit_ok) {
		check_history(v);
		check_event_hashes(v);
	}
	check_files(v);
}

/* --- trust --------------------------------------------------------------------- */

/* Writes `len` bytes to a new file in the scratch directory. */
static int
scratch_put(const char *dir, const void *data, size_t len, char *path,
    size_t plen)
{
	unsigned char	 rnd[8];
	char		 hex[17];
	int		 fd, ok;

	if (qj_random(rnd, sizeof(rnd)) != QJ_OK)
		return (-1);
	qj_hex(rnd, sizeof(rnd), hex);
	snprintf(path, plen, "%s/qj-verify-%s.pem", dir, hex);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return (-1);
	ok = write(fd, data, len) == (ssize_t)len;
	if (close(fd) != 0 || !ok) {
		unlink(path);
		return (-1);
	}
	return (0);
}

/* The caller's anchors, the package's chain, and CRLs when given. */
static enum qj_err
trust_new(struct vctx *v, const char *chain, const char *crl,
    struct qj_trust **out, struct qj_diag *d)
{
	struct qj_trust	*t;
	enum qj_err	 err = QJ_OK;
	size_t		 i;

	if ((err = qj_trust_new(&t)) != QJ_OK)
		return (err);
	for (i = 0; i < v->o->nanchors && err == QJ_OK; i++)
		err = qj_trust_add_anchors(t, v->o->anchors[i], d);
	if (err == QJ_OK && chain != NULL)
		err = qj_trust_add_intermediates(t, chain, d);
	for (i = 0; crl != NULL && i < v->o->ncrls && err == QJ_OK; i++)
		err = qj_trust_add_crls(t, v->o->crls[i], d);
	if (err == QJ_OK && crl != NULL && crl[0] != '\0')
		err = qj_trust_add_crls(t, crl, d);
	if (err == QJ_OK)
		err = qj_trust_freeze(t, d);
	if (err != QJ_OK) {
		qj_trust_free(t);
		return (err);
	}
	*out = t;
	return (QJ_OK);
}

static enum qj_err
build_trust(struct vctx *v, struct qj_diag *d)
{
	struct qj_trust	*t = NULL;
	struct qj_diag	 td;
	struct qj_buf	 chain = QJ_BUF_INIT, crls = QJ_BUF_INIT;
	char		 cpath[600] = "", one[600], all[600] = "";
	const char	*dir = v->o->scratch;
	size_t		 k;
	enum qj_err	 err = QJ_OK;

	/* The caller's anchors alone must load: otherwise it is usage. */
	if (trust_new(v, NULL, NULL, &t, d) != QJ_OK)
		return (qj_fail(d, QJ_EINVAL, "usage", "trust", "%s",
		    d != NULL ? d->detail : "the trust anchors do not load"));
	qj_trust_free(t);
	t = NULL;
	for (k = 0; k < v->z.n; k++)
		if (strncmp(v->z.e[k].name, "META-INF/trust/chain/", 21) == 0 &&
		    (qj_buf_append(&chain, v->z.e[k].data, v->z.e[k].len) !=
		    QJ_OK || qj_buf_append(&chain, "\n", 1) != QJ_OK))
			err = QJ_ENOMEM;
	if (err != QJ_OK || (chain.len > 0 && scratch_put(dir, chain.data,
	    chain.len, cpath, sizeof(cpath)) != 0)) {
		err = err != QJ_OK ? err : qj_fail(d, QJ_EIO, "scratch",
		    "scratch", "cannot write to %s", dir);
		goto out;
	}
	/* Each package CRL must be issued by an anchor or the chain. */
	for (k = 0; k < v->z.n; k++) {
		if (strncmp(v->z.e[k].name, "META-INF/trust/crls/", 20) != 0)
			continue;
		if (scratch_put(dir, v->z.e[k].data, v->z.e[k].len, one,
		    sizeof(one)) != 0) {
			err = qj_fail(d, QJ_EIO, "scratch", "scratch",
			    "cannot write to %s", dir);
			goto out;
		}
		if (trust_new(v, cpath[0] != '\0' ? cpath : NULL, one, &t,
		    &td) == QJ_OK) {
			if (qj_buf_append(&crls, v->z.e[k].data,
			    v->z.e[k].len) != QJ_OK ||
			    qj_buf_append(&crls, "\n", 1) != QJ_OK)
				err = QJ_ENOMEM;
			qj_trust_free(t);
			t = NULL;
		} else
			finding(v->rep, "trust", v->z.e[k].name, "not usable "
			    "under the given anchors: %s", td.detail);
		unlink(one);
		if (err != QJ_OK)
			goto out;
	}
	if (crls.len > 0 && scratch_put(dir, crls.data, crls.len, all,
	    sizeof(all)) != 0) {
		err = qj_fail(d, QJ_EIO, "scratch", "scratch", "cannot write "
		    "to %s", dir);
		goto out;
	}
	if (trust_new(v, cpath[0] != '\0' ? cpath : NULL, all, &v->trust,
	    &td) != QJ_OK)
		finding(v->rep, "trust", "META-INF/trust", "the package's chain "
		    "and CRLs do not load: %s", td.detail);
out:
	if (all[0] != '\0')
		unlink(all);
	if (cpath[0] != '\0')
		unlink(cpath);
	qj_buf_free(&chain);
	qj_buf_free(&crls);
	return (err);
}

/* --- signatures ------------------------------------------------------------- */

static enum qj_commitment
commitment_of(const char *s)
{
	if (same(s, "approval"))
		return (QJ_COMMIT_APPROVAL);
	if (same(s, "origin"))
		return (QJ_COMMIT_ORIGIN);
	if (same(s, "receipt"))
		return (QJ_COMMIT_RECEIPT);
	return (QJ_COMMIT_ANY);
}

static void
time_rfc3339(time_t t, char out[32])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
check_one_signature(struct vctx *v, xmlNodePtr n, long si)
{
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 r;
	struct qj_diag		 d;
	const struct qj_zip_entry *e = &v->z.e[si];
	char			*doc = attr(n, "document"), *iin = attr(n, "iin"),
				*com = attr(n, "commitment"),
				*cert = attr(n, "cert-sha256"),
				*st = attr(n, "signing-time"), uri[96], hex[65],
				 when[32];
	long			 di;
	enum qj_err		 err;

	v->rep->signatures++;
	snprintf(uri, sizeof(uri), "documents/%s.xml", doc != NULL ? doc : "");
	if ((di = entry_index(v, uri)) < 0) {
		finding(v->rep, "signature", e->name, "the signed document %s "
		    "is not in the package", uri);
		goto out;
	}
	memset(&ex, 0, sizeof(ex));
	memset(&r, 0, sizeof(r));
	ex.doc = v->z.e[di].data;
	ex.doc_len = v->z.e[di].len;
	ex.iin = iin;
	ex.commitment = commitment_of(com);
	ex.now = v->now;
	ex.max_bytes = V_SIG_MAX;
	/* Detached: an ASiC-E signatures file; enveloped: a data file. */
	if (strncmp(e->name, "META-INF/signatures-", 20) == 0) {
		ex.doc_uri = uri;
		err = qj_xades_verify_asic(v->trust, e->data, e->len, &ex, &r,
		    &d);
	} else if (strncmp(e->name, "signed/", 7) == 0) {
		/* NCALayer's format carries no commitment (as on the server,
		 * flow.c: the transition states it). */
		ex.commitment = QJ_COMMIT_ANY;
		err = qj_xades_verify_enveloped(v->trust, e->data, e->len, &ex,
		    &r, &d);
	}
	else {
		finding(v->rep, "signature", e->name, "a signature is "
		    "META-INF/signatures-N.xml (XAdES) or signed/*.xml "
		    "(enveloped)");
		goto out;
	}
	if (err != QJ_OK) {
		finding(v->rep, "signature", e->name, "%s: %s", d.type != NULL ?
		    d.type : "sig-malformed", d.detail);
		goto out;
	}
	qj_hex(r.signer.cert_sha256, 32, hex);
	time_rfc3339(r.signing_time, when);
	if (!same(cert, hex))
		finding(v->rep, "signature", e->name, "signed with certificate "
		    "%s, case.xml records %s", hex, cert != NULL ? cert : "none");
	else if (r.signing_time != 0 && !same(st, when))
		finding(v->rep, "signature", e->name, "SigningTime %s, case.xml "
		    "records %s", when, st != NULL ? st : "none");
	else
		v->rep->signatures_ok++;
	qj_sig_result_free(&r);
out:
	xmlFree(doc);
	xmlFree(iin);
	xmlFree(com);
	xmlFree(cert);
	xmlFree(st);
}

static void
check_signatures(struct vctx *v)
{
	xmlNodePtr	 n;
	char		*file;
	long		 i;

	for (n = el_first(el_first(v->root, "signatures"), "signature");
	    n != NULL; n = el_next(n, "signature")) {
		file = attr(n, "file");
		i = entry_index(v, file);
		xmlFree(file);
		if (i < 0)
			continue;	/* check_files reported it */
		if (v->trust == NULL) {
			v->rep->signatures++;
			finding(v->rep, "signature", v->z.e[i].name, "not "
			    "verified: no usable trust store");
			continue;
		}
		check_one_signature(v, n, i);
	}
}

static void
check_seal(struct vctx *v)
{
	struct qj_xades_obj	*objs;
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 r;
	struct qj_diag		 d;
	long			 si = entry_index(v, QJ_ARC_SEAL_NAME);
	char			 hex[65], *cert = NULL;
	size_t			 k, n = 0;

	if (si < 0) {
		finding(v->rep, "seal", QJ_ARC_SEAL_NAME, "the package has no "
		    "seal");
		return;
	}
	if (v->trust == NULL) {
		finding(v->rep, "seal", QJ_ARC_SEAL_NAME, "not verified: no "
		    "usable trust store");
		return;
	}
	if ((objs = calloc(v->z.n + 1, sizeof(*objs))) == NULL)
		return;
	for (k = 0; k < v->z.n; k++) {
		if (strcmp(v->z.e[k].name, "mimetype") == 0 || (long)k == si)
			continue;
		objs[n].uri = v->z.e[k].name;
		objs[n].data = v->z.e[k].data;
		objs[n].len = v->z.e[k].len;
		objs[n].mime = qj_arc_mime_of(v->z.e[k].name);
		objs[n].sha256 = v->sha[k];
		n++;
	}
	memset(&ex, 0, sizeof(ex));
	memset(&r, 0, sizeof(r));
	ex.commitment = QJ_COMMIT_ORIGIN;
	ex.now = v->now;
	ex.max_bytes = V_XML_MAX;
	if (qj_xades_verify_objects(v->trust, v->z.e[si].data, v->z.e[si].len,
	    objs, n, &ex, &r, &d) != QJ_OK) {
		finding(v->rep, "seal", entry_index(v, d.field) >= 0 ?
		    d.field : QJ_ARC_SEAL_NAME,
		    "%s: %s", d.type != NULL ? d.type : "sig-malformed",
		    d.detail);
		free(objs);
		return;
	}
	snprintf(v->rep->seal_signer, sizeof(v->rep->seal_signer), "%s",
	    r.signer.subject);
	v->rep->sealed_at = r.signing_time;
	qj_hex(r.signer.cert_sha256, 32, hex);
	if (v->root != NULL)
		cert = attr(el_first(v->root, "seal"), "cert-sha256");
	if (v->root != NULL && !same(cert, hex))
		finding(v->rep, "seal", QJ_ARC_SEAL_NAME, "sealed by certificate "
		    "%s, case.xml names %s", hex, cert != NULL ? cert : "none");
	else
		v->rep->seal_ok = 1;
	xmlFree(cert);
	qj_sig_result_free(&r);
	free(objs);
}

/* --- entry point ------------------------------------------------------------ */

enum qj_err
qj_arc_verify(const void *zip, size_t len, const struct qj_arc_vopts *o,
    struct qj_arc_report *rep, struct qj_diag *d)
{
	struct vctx	v;
	struct qj_diag	zd;
	enum qj_err	err = QJ_OK;
	size_t		k;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	if (o == NULL || o->nanchors == 0 || o->scratch == NULL)
		return (qj_fail(d, QJ_EINVAL, "usage", "trust", "at least one "
		    "trust anchor and a scratch directory are required"));
	v.o = o;
	v.rep = rep;
	v.now = o->now != 0 ? o->now : time(NULL);
	qj_sig_init();
	qj_sha256_hex(zip, len, rep->sha256);
	if (qj_zip_read(zip, len, &v.z, &zd) != QJ_OK) {
		finding(rep, "zip", zd.field, "%s", zd.detail);
		return (QJ_OK);
	}
	rep->entries = v.z.n;
	if ((v.sha = calloc(v.z.n + 1, sizeof(*v.sha))) == NULL ||
	    (v.ssha = calloc(v.z.n + 1, sizeof(*v.ssha))) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	for (k = 0; k < v.z.n; k++) {
		qj_sha256(v.z.e[k].data, v.z.e[k].len, v.sha[k]);
		memcpy(v.ssha[k], v.sha[k], QJ_SHA256_LEN);
	}
	check_mimetype(&v);
	check_sums(&v);
	check_manifest(&v);
	load_case(&v);
	if (v.root != NULL)
		stored_hashes(&v);
	check_audit(&v);
	if (v.root != NULL)
		check_consistency(&v);
	if ((err = build_trust(&v, d)) != QJ_OK)
		goto out;
	if (v.root != NULL)
		check_signatures(&v);
	check_seal(&v);
out:
	vevents_free(&v);
	qj_trust_free(v.trust);
	if (v.cx != NULL)
		xmlFreeDoc(v.cx);
	free(v.sha);
	free(v.ssha);
	qj_zip_free(&v.z);
	return (err);
}
