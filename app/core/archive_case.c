/*
 * archive_case.c: the package of one case (archive_case.h): which files it
 * holds, under which names, case.xml, README.txt and audit/head.json.
 *
 * Owns the layout of a case package and the case.xml format (namespace
 * QJ_ARC_CASE_NS, version QJ_ARC_FORMAT); archive_verify.c reads what this
 * file writes.  Everything a file name is made of (hashes, ids) is checked
 * here, so a name is always canonical.  Called by app/store/archive.c (the
 * sealing loop), bench/archive and the tests.
 *
 * Invariant: the bytes of documents, attachments, signatures and audit
 * lines go into the package exactly as given; nothing is re-serialised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "core/archive_case.h"
#include "core/xades.h"

static int
hex64(const char *s)
{
	size_t	i;

	if (s == NULL)
		return (0);
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return (0);
	return (s[64] == '\0');
}

static enum qj_err
bad_input(struct qj_diag *d, const char *field, const char *what)
{
	return (qj_fail(d, QJ_EINVAL, "archive-input", field, "%s", what));
}

static const char *
att_ext(const char *media)
{
	if (media != NULL && strcmp(media, "image/jpeg") == 0)
		return ("jpg");
	if (media != NULL && strcmp(media, "image/png") == 0)
		return ("png");
	return ("pdf");
}

/* --- case.xml ----------------------------------------------------------------- */

static void
set(xmlNodePtr n, const char *name, const char *v)
{
	if (v != NULL)
		xmlNewProp(n, BAD_CAST name, BAD_CAST v);
}

static void
seti(xmlNodePtr n, const char *name, int64_t v)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	return (xmlNewChild(parent, NULL, BAD_CAST name, NULL));
}

static void
names(xmlNodePtr parent, const char *el, const struct qj_arc_names *n)
{
	const char	*lang[3] = { "kk", "ru", "en" };
	const char	*v[3] = { n->kk, n->ru, n->en };
	xmlNodePtr	 c;
	int		 i;

	for (i = 0; i < 3; i++) {
		if (v[i] == NULL || v[i][0] == '\0')
			continue;
		c = xmlNewTextChild(parent, NULL, BAD_CAST el, BAD_CAST v[i]);
		xmlNodeSetLang(c, BAD_CAST lang[i]);
	}
}

/* <history>: one <event> per audit line (the verifier compares them). */
static enum qj_err
history(xmlNodePtr root, const struct qj_arc_case *c, struct qj_diag *d)
{
	const char	*p = c->audit_jsonl, *end, *nl;
	xmlNodePtr	 h = child(root, "history"), e;
	json_t		*o, *docs;
	json_error_t	 je;
	size_t		 i;

	if (p == NULL)
		return (QJ_OK);
	end = p + c->audit_len;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		if ((o = json_loadb(p, (size_t)(nl - p), 0, &je)) == NULL)
			return (bad_input(d, "audit", "an audit line is not "
			    "JSON"));
		e = child(h, "event");
		seti(e, "seq", json_integer_value(json_object_get(o, "seq")));
		set(e, "at", json_string_value(json_object_get(o, "at")));
		set(e, "action", json_string_value(json_object_get(o,
		    "action")));
		set(e, "actor", json_string_value(json_object_get(o,
		    "actor_login")));
		set(e, "before", json_string_value(json_object_get(o,
		    "state_before")));
		set(e, "after", json_string_value(json_object_get(o,
		    "state_after")));
		docs = json_object_get(o, "document_hashes");
		for (i = 0; i < json_array_size(docs); i++)
			set(child(e, "hash"), "sha256", json_string_value(
			    json_array_get(docs, i)));
		json_decref(o);
		if (nl == end)
			break;
	}
	return (QJ_OK);
}

static void
deadlines(xmlNodePtr root, const struct qj_arc_case *c)
{
	xmlNodePtr	l = child(root, "deadlines"), e;
	size_t		i;

	for (i = 0; i < c->ndeadlines; i++) {
		const struct qj_arc_deadline *x = &c->deadlines[i];

		e = child(l, "deadline");
		set(e, "name", x->name);
		set(e, "due", x->due);
		set(e, "state", x->state);
		set(e, "rule", x->rule);
		set(e, "cite", x->cite);
		set(e, "on-expiry", x->on_expiry);
		set(e, "set-at", x->set_at);
		set(e, "closed-at", x->closed_at);
		names(e, "title", &x->title);
	}
}

static void
links(xmlNodePtr root, const struct qj_arc_case *c)
{
	xmlNodePtr	l, e;
	size_t		i;

	l = child(root, "orders");
	for (i = 0; i < c->norders; i++) {
		const struct qj_arc_order *o = &c->orders[i];

		e = child(l, "order");
		seti(e, "case", o->case_id);
		set(e, "state", o->state);
		set(e, "series", o->series);
		if (o->reg_number > 0) {
			seti(e, "year", o->reg_year);
			seti(e, "number", o->reg_number);
			set(e, "date", o->reg_date);
		}
		seti(e, "item-no", o->item_no);
		set(e, "event", o->event);
		if (o->item_json != NULL)
			xmlNewTextChild(e, NULL, BAD_CAST "item",
			    BAD_CAST o->item_json);
	}
	l = child(root, "listed");
	for (i = 0; i < c->nlisted; i++) {
		const struct qj_arc_listed *x = &c->listed[i];

		e = child(l, "case");
		seti(e, "id", x->case_id);
		seti(e, "item-no", x->item_no);
		set(e, "event", x->event);
		set(e, "workflow", x->workflow);
		set(e, "state", x->state);
		set(e, "applicant-iin", x->applicant_iin);
		if (x->item_json != NULL)
			xmlNewTextChild(e, NULL, BAD_CAST "item",
			    BAD_CAST x->item_json);
	}
	l = child(root, "participants");
	for (i = 0; i < c->nparties; i++) {
		e = child(l, "participant");
		set(e, "login", c->parties[i].login);
		set(e, "iin", c->parties[i].iin);
		set(e, "capacity", c->parties[i].capacity);
		set(e, "assigned-at", c->parties[i].assigned_at);
	}
}

/*
 * Where signature i goes (EN 319 162-1): a detached XAdES signature into
 * an ASiC-E signatures file (META-INF/signatures-N.xml, wrapped in
 * asic:XAdESSignatures); an enveloped (NCALayer) one, which is the signed
 * document itself, among the data files (signed/signature-N.xml).
 */
static void
sig_entry(const struct qj_arc_case *c, size_t i, char *name, size_t len)
{
	if (qj_xades_is_detached(c->sigs[i].xml, c->sigs[i].len))
		snprintf(name, len, "META-INF/signatures-%zu.xml", i + 1);
	else
		snprintf(name, len, "signed/signature-%zu.xml", i + 1);
}

static void
files(xmlNodePtr root, const struct qj_arc_case *c)
{
	struct qj_diag	sd;
	xmlNodePtr	l, e;
	char		name[128];
	size_t		i, pro, epi;

	l = child(root, "documents");
	for (i = 0; i < c->ndocs; i++) {
		const struct qj_arc_doc *x = &c->docs[i];

		e = child(l, "document");
		seti(e, "case", x->case_id);
		set(e, "role", x->role);
		seti(e, "version", x->version);
		set(e, "form", x->form);
		set(e, "sha256", x->sha256);
		snprintf(name, sizeof(name), "documents/%s.xml", x->sha256);
		set(e, "file", name);
		set(e, "created", x->created_at);
		set(e, "by", x->created_by);
	}
	l = child(root, "signatures");
	for (i = 0; i < c->nsigs; i++) {
		const struct qj_arc_sig *x = &c->sigs[i];

		e = child(l, "signature");
		sig_entry(c, i, name, sizeof(name));
		set(e, "file", name);
		if (strncmp(name, "META-INF/", 9) == 0 && qj_asic_split(x->xml,
		    x->len, &pro, &epi, &sd) == QJ_OK) {
			char	*t = strndup(x->xml, pro);

			set(e, "stored-prolog", t);
			free(t);
			t = strndup((const char *)x->xml + x->len - epi, epi);
			set(e, "stored-epilog", t);
			free(t);
		}
		seti(e, "case", x->case_id);
		set(e, "document", x->document);
		set(e, "event", x->event);
		set(e, "commitment", x->commitment);
		set(e, "signer", x->signer_login);
		set(e, "iin", x->signer_iin);
		set(e, "role", x->signer_role);
		set(e, "signing-time", x->signing_time);
		set(e, "cert-sha256", x->cert_sha256);
	}
	l = child(root, "attachments");
	for (i = 0; i < c->natts; i++) {
		const struct qj_arc_att *x = &c->atts[i];

		e = child(l, "attachment");
		set(e, "sha256", x->sha256);
		snprintf(name, sizeof(name), "attachments/%s.%s", x->sha256,
		    att_ext(x->media_type));
		set(e, "file", name);
		set(e, "media-type", x->media_type);
		seti(e, "size", (int64_t)x->len);
		set(e, "name", x->file_name);
		set(e, "linked", x->linked_at);
	}
}

static void
trust_files(xmlNodePtr root, const struct qj_arc_sealer *s)
{
	const struct qj_arc_tfile	*sets[3] = { s->anchors, s->chain,
					    s->crls };
	size_t				 ns[3] = { s->nanchors, s->nchain,
					    s->ncrls }, i, k;
	const char			*kind[3] = { "anchors", "chain",
					    "crls" };
	xmlNodePtr			 l = child(root, "trust"), e;
	char				 name[160];

	for (k = 0; k < 3; k++)
		for (i = 0; i < ns[k]; i++) {
			e = child(l, "file");
			set(e, "kind", kind[k]);
			snprintf(name, sizeof(name), "META-INF/trust/%s/%s",
			    kind[k], sets[k][i].name);
			set(e, "path", name);
		}
}

static enum qj_err
case_xml(const struct qj_arc_case *c, const struct qj_arc_sealer *s,
    time_t when, struct qj_buf *out, struct qj_diag *d)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, e;
	xmlNsPtr	 ns;
	xmlChar		*mem = NULL;
	char		 buf[160], hex[QJ_SHA256_HEX_LEN + 1], at[32];
	struct tm	 tm;
	int		 n = 0;
	enum qj_err	 err;

	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return (QJ_ENOMEM);
	root = xmlNewDocNode(doc, NULL, BAD_CAST "case", NULL);
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST QJ_ARC_CASE_NS, NULL);
	xmlSetNs(root, ns);
	seti(root, "format", QJ_ARC_FORMAT);
	seti(root, "id", c->id);
	e = child(root, "workflow");
	set(e, "id", c->workflow);
	seti(e, "version", c->wf_version);
	set(e, "sha256", c->wf_sha256);
	snprintf(buf, sizeof(buf), "workflow/%s-v%d.xml", c->workflow,
	    c->wf_version);
	set(e, "file", buf);
	e = child(root, "unit");
	set(e, "path", c->unit_path);
	set(e, "code", c->unit_code);
	if (c->applicant_iin != NULL) {
		e = child(root, "applicant");
		set(e, "iin", c->applicant_iin);
		names(e, "name", &c->applicant_name);
	}
	e = child(root, "state");
	set(e, "final", c->state);
	seti(e, "version", c->version);
	set(e, "opened", c->created_at);
	set(e, "closed", c->closed_at);
	if (c->reg_number > 0) {
		e = child(root, "registration");
		set(e, "series", c->series);
		seti(e, "year", c->reg_year);
		seti(e, "number", c->reg_number);
		set(e, "date", c->reg_date);
	}
	e = child(root, "retention");
	seti(e, "years", c->retention_years);
	set(e, "until", c->retain_until);
	set(e, "rule", c->retention_rule);
	set(e, "basis", c->retention_basis);
	if ((err = history(root, c, d)) != QJ_OK)
		goto out;
	files(root, c);
	deadlines(root, c);
	links(root, c);
	e = child(root, "audit");
	snprintf(buf, sizeof(buf), "case:%lld", (long long)c->id);
	set(e, "stream", buf);
	set(e, "file", QJ_ARC_EVENTS_NAME);
	set(e, "head", QJ_ARC_HEAD_NAME);
	seti(e, "seq", c->head_seq);
	set(e, "hash", c->head_hash);
	trust_files(root, s);
	e = child(root, "seal");
	qj_hex(s->cert_sha256, QJ_SHA256_LEN, hex);
	set(e, "cert-sha256", hex);
	set(e, "subject", s->cert_subject);
	gmtime_r(&when, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	set(e, "at", at);
	set(e, "file", QJ_ARC_SEAL_NAME);
	xmlDocDumpFormatMemoryEnc(doc, &mem, &n, "UTF-8", 1);
	err = mem != NULL && n > 0 ? qj_buf_append(out, mem, (size_t)n) :
	    QJ_ENOMEM;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	return (err);
}

/* --- README.txt --------------------------------------------------------------- */

static enum qj_err
readme(const struct qj_arc_case *c, const struct qj_arc_sealer *s,
    struct qj_buf *b)
{
	const char	*chain = s->nchain > 0 ? s->chain[0].name :
			    "intermediate.pem";

	return (qj_buf_printf(b,
"Qujat: sealed case archive / мұрағат пакеті / архивный пакет\n"
"case %lld, workflow %s v%d, final state %s, closed %s\n"
"\n"
"EN  How to verify this package (needs unzip, sha256sum, xmlsec1)\n"
"  1. unzip -q PACKAGE.zip -d pkg && cd pkg\n"
"  2. sha256sum -c SHA256SUMS            every line must end in OK\n"
"  3. for f in META-INF/signatures-*.xml; do\n"
"       xmlsec1 --verify --trusted-pem ROOT.pem \\\n"
"         --untrusted-pem META-INF/trust/chain/%s \\\n"
"         --enabled-key-data x509 \"$f\"; done\n"
"     Run it in this directory: signatures name documents by their\n"
"     relative paths.  ROOT.pem is the root certificate you trust, obtained\n"
"     independently; META-INF/trust/anchors/ holds a copy to compare with.\n"
"     META-INF/signatures-seal.xml is the archive seal over every file.\n"
"     Documents signed in NCALayer's enveloped format are in signed/\n"
"     (when there are any); verify each the same way.\n"
"  4. qujat verify-archive PACKAGE.zip --trust ROOT.pem\n"
"     also checks revocation (META-INF/trust/crls/), the XAdES properties,\n"
"     the audit hash chain (audit/events.jsonl against audit/head.json)\n"
"     and that case.xml agrees with the audit events.  xmlsec1 alone\n"
"     checks neither CRLs nor XAdES properties.\n"
"\n"
"KK  Пакетті тексеру (unzip, sha256sum, xmlsec1 қажет)\n"
"  1. unzip -q PACKAGE.zip -d pkg && cd pkg\n"
"  2. sha256sum -c SHA256SUMS            әр жол OK деп аяқталуы тиіс\n"
"  3. META-INF/signatures-*.xml әр қолтаңбасы үшін жоғарыдағы xmlsec1\n"
"     --verify пәрменін осы каталогта орындаңыз (құжаттарға салыстырмалы\n"
"     жолмен сілтеме жасалады).  ROOT.pem — өзіңіз сенетін, тәуелсіз\n"
"     алынған түбірлік сертификат; META-INF/trust/anchors/ ішіндегі\n"
"     көшірмемен салыстырыңыз.  META-INF/signatures-seal.xml — барлық\n"
"     файлдардағы мұрағат мөрі.  NCALayer пішіміндегі (enveloped) қол\n"
"     қойылған құжаттар signed/ ішінде; оларды да солай тексеріңіз.\n"
"  4. qujat verify-archive PACKAGE.zip --trust ROOT.pem\n"
"     кері қайтарып алу тізімдерін (CRL), XAdES қасиеттерін, аудит\n"
"     хэш-тізбегін және case.xml файлының оқиғалармен сәйкестігін де\n"
"     тексереді.\n"
"\n"
"RU  Проверка пакета (нужны unzip, sha256sum, xmlsec1)\n"
"  1. unzip -q PACKAGE.zip -d pkg && cd pkg\n"
"  2. sha256sum -c SHA256SUMS            каждая строка должна кончаться OK\n"
"  3. Для каждой подписи META-INF/signatures-*.xml выполните команду\n"
"     xmlsec1 --verify, приведённую выше, в этом каталоге (документы\n"
"     указаны относительными путями).  ROOT.pem — корневой сертификат,\n"
"     которому вы доверяете, полученный независимо; сравните его с копией\n"
"     в META-INF/trust/anchors/.  META-INF/signatures-seal.xml — печать\n"
"     архива над всеми файлами.  Документы, подписанные в формате\n"
"     NCALayer (enveloped), лежат в signed/; проверьте их так же.\n"
"  4. qujat verify-archive PACKAGE.zip --trust ROOT.pem\n"
"     проверяет также отзыв сертификатов (CRL), свойства XAdES, хэш-цепочку\n"
"     журнала аудита и соответствие case.xml событиям журнала.\n",
	    (long long)c->id, c->workflow, c->wf_version, c->state,
	    c->closed_at != NULL ? c->closed_at : "-", chain));
}

/* --- the package ------------------------------------------------------------ */

static int
doc_known(const struct qj_arc_case *c, const char *sha)
{
	size_t	i;

	for (i = 0; i < c->ndocs; i++)
		if (strcmp(c->docs[i].sha256, sha) == 0)
			return (1);
	return (0);
}

static enum qj_err
check_input(const struct qj_arc_case *c, struct qj_diag *d)
{
	char	name[160];
	size_t	i;

	snprintf(name, sizeof(name), "workflow/%s-v%d.xml",
	    c->workflow != NULL ? c->workflow : "", c->wf_version);
	if (c->id <= 0 || c->state == NULL || !qj_zip_name_ok(name) ||
	    !hex64(c->wf_sha256) || c->wf_source == NULL)
		return (bad_input(d, "case", "the case needs an id, a final "
		    "state and its workflow definition"));
	for (i = 0; i < c->ndocs; i++)
		if (!hex64(c->docs[i].sha256) || c->docs[i].bytes == NULL)
			return (bad_input(d, "documents", "a document without "
			    "bytes or a valid SHA-256"));
	for (i = 0; i < c->natts; i++)
		if (!hex64(c->atts[i].sha256) || c->atts[i].bytes == NULL)
			return (bad_input(d, "attachments", "an attachment "
			    "without bytes or a valid SHA-256"));
	for (i = 0; i < c->nsigs; i++)
		if (c->sigs[i].xml == NULL || !hex64(c->sigs[i].document) ||
		    !doc_known(c, c->sigs[i].document))
			return (bad_input(d, "signatures", "a signature of a "
			    "document the package does not hold"));
	if (c->head_seq > 0 && !hex64(c->head_hash))
		return (bad_input(d, "audit", "the audit head hash is not "
		    "64 hex digits"));
	return (QJ_OK);
}

static enum qj_err
add_trust(struct qj_arc_pkg *p, const struct qj_arc_sealer *s,
    struct qj_diag *d)
{
	const struct qj_arc_tfile	*sets[3] = { s->anchors, s->chain,
					    s->crls };
	size_t				 ns[3] = { s->nanchors, s->nchain,
					    s->ncrls }, i, k;
	const char			*kind[3] = { "anchors", "chain",
					    "crls" };
	char				 name[160];
	enum qj_err			 err = QJ_OK;

	for (k = 0; k < 3; k++)
		for (i = 0; i < ns[k] && err == QJ_OK; i++) {
			snprintf(name, sizeof(name), "META-INF/trust/%s/%s",
			    kind[k], sets[k][i].name);
			err = qj_arc_pkg_add(p, name, sets[k][i].data,
			    sets[k][i].len, NULL, 1, 0, d);
		}
	return (err);
}

enum qj_err
qj_arc_case_package(const struct qj_arc_case *c,
    const struct qj_arc_sealer *s, time_t when, struct qj_buf *zip,
    char sha256_hex[QJ_SHA256_HEX_LEN + 1], struct qj_diag *d)
{
	struct qj_arc_pkg	 p;
	struct qj_buf		 cx = QJ_BUF_INIT, rd = QJ_BUF_INIT,
				 head = QJ_BUF_INIT, sx = QJ_BUF_INIT;
	char			 name[160];
	size_t			 i;
	enum qj_err		 err;

	qj_arc_pkg_init(&p);
	if ((err = check_input(c, d)) != QJ_OK)
		goto out;
	if ((err = case_xml(c, s, when, &cx, d)) != QJ_OK ||
	    (err = readme(c, s, &rd)) != QJ_OK ||
	    (err = qj_buf_printf(&head, "{\"hash\":\"%s\",\"seq\":%lld,"
	    "\"stream\":\"case:%lld\"}\n", c->head_seq > 0 ? c->head_hash :
	    "", (long long)c->head_seq, (long long)c->id)) != QJ_OK)
		goto out;
	if ((err = qj_arc_pkg_add(&p, "case.xml", cx.data, cx.len,
	    "text/xml", 1, 0, d)) != QJ_OK ||
	    (err = qj_arc_pkg_add(&p, "README.txt", rd.data, rd.len,
	    "text/plain", 1, 0, d)) != QJ_OK ||
	    (err = qj_arc_pkg_add(&p, QJ_ARC_HEAD_NAME, head.data, head.len,
	    "application/json", 1, 0, d)) != QJ_OK ||
	    (err = qj_arc_pkg_add(&p, QJ_ARC_EVENTS_NAME, c->audit_jsonl != NULL
	    ? c->audit_jsonl : "", c->audit_len, "application/x-ndjson", 1, 0,
	    d)) != QJ_OK)
		goto out;
	snprintf(name, sizeof(name), "workflow/%s-v%d.xml", c->workflow,
	    c->wf_version);
	if ((err = qj_arc_pkg_add(&p, name, c->wf_source, c->wf_len,
	    "text/xml", 1, 0, d)) != QJ_OK)
		goto out;
	for (i = 0; i < c->ndocs && err == QJ_OK; i++) {
		snprintf(name, sizeof(name), "documents/%s.xml",
		    c->docs[i].sha256);
		/* Two versions with the same bytes share one file. */
		if (i > 0 && doc_known(&(struct qj_arc_case){ .docs = c->docs,
		    .ndocs = i }, c->docs[i].sha256))
			continue;
		err = qj_arc_pkg_add(&p, name, c->docs[i].bytes,
		    c->docs[i].len, "text/xml", 1, 0, d);
	}
	for (i = 0; i < c->natts && err == QJ_OK; i++) {
		snprintf(name, sizeof(name), "attachments/%s.%s",
		    c->atts[i].sha256, att_ext(c->atts[i].media_type));
		/* Scans are compressed already: stored, not deflated. */
		err = qj_arc_pkg_add(&p, name, c->atts[i].bytes,
		    c->atts[i].len, c->atts[i].media_type != NULL ?
		    c->atts[i].media_type : "application/pdf", 0, 0, d);
	}
	for (i = 0; i < c->nsigs && err == QJ_OK; i++) {
		sig_entry(c, i, name, sizeof(name));
		if (strncmp(name, "META-INF/", 9) != 0) {
			err = qj_arc_pkg_add(&p, name, c->sigs[i].xml,
			    c->sigs[i].len, "text/xml", 1, 0, d);
			continue;
		}
		qj_buf_reset(&sx);
		if ((err = qj_asic_wrap(c->sigs[i].xml, c->sigs[i].len, &sx,
		    d)) == QJ_OK)
			err = qj_arc_pkg_add_buf(&p, name, &sx, "text/xml", d);
	}
	if (err != QJ_OK || (err = add_trust(&p, s, d)) != QJ_OK)
		goto out;
	err = qj_arc_pkg_seal(&p, s->key, s->cert, when, zip, sha256_hex, d);
out:
	qj_arc_pkg_free(&p);
	qj_buf_free(&sx);
	qj_buf_free(&cx);
	qj_buf_free(&rd);
	qj_buf_free(&head);
	return (err);
}
