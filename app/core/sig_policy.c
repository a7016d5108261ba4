/*
 * sig_policy.c: the structural part of the signature verification policy
 * (sig_policy.h; guide xml-signatures.md section 3, checklist items 2-4
 * and 6).
 *
 * Owns nothing beyond one call: it reads a parsed document and returns the
 * nodes of the one ds:Signature it accepts plus the certificates of its
 * X509Data.  Called by xades.c before any cryptography, so that a document
 * that is not exactly the expected shape never reaches xmlsec.
 *
 * Invariant: on QJ_OK the signature is the only ds:Signature of the
 * document, sits where the mode says, every Id value in the document is
 * unique, and every algorithm, transform and Reference it names is on the
 * allow-list; nothing else has been checked.
 */
#include <string.h>

#include <libxml/hash.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/codec.h"
#include "core/sig_policy.h"

#define SIG_MAX_CERTS	8	/* X509Certificate elements in X509Data */

static const struct sig_alg sig_methods[] = {
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	    EVP_PKEY_RSA, "SHA256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
	    EVP_PKEY_RSA, "SHA384" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
	    EVP_PKEY_RSA, "SHA512" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
	    EVP_PKEY_EC, "SHA256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
	    EVP_PKEY_EC, "SHA384" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
	    EVP_PKEY_EC, "SHA512" },
};

static const struct sig_alg sig_digests[] = {
	{ "http://www.w3.org/2001/04/xmlenc#sha256", 0, "SHA256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#sha384", 0, "SHA384" },
	{ "http://www.w3.org/2001/04/xmlenc#sha512", 0, "SHA512" },
};

/* Canonicalisation methods allowed for SignedInfo and as transforms. */
static const char *const sig_c14ns[] = {
	SIG_C14N_EXCL, SIG_C14N_10, SIG_C14N_10_WC,
};

/* --- DOM helpers --------------------------------------------------------- */

int
sig_is(xmlNodePtr n, const char *ns, const char *name)
{
	return (n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    xmlStrEqual(n->ns->href, BAD_CAST ns) &&
	    xmlStrEqual(n->name, BAD_CAST name));
}

xmlNodePtr
sig_next(xmlNodePtr n)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return (n);
	return (NULL);
}

xmlNodePtr
sig_child(xmlNodePtr n)
{
	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return (n);
	return (NULL);
}

static int
is_xml_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

enum qj_err
sig_text(xmlNodePtr n, struct qj_buf *out)
{
	xmlChar		*s;
	size_t		 b, e;
	enum qj_err	 err;

	if ((s = xmlNodeGetContent(n)) == NULL)
		return (qj_buf_append(out, "", 0));
	e = strlen((char *)s);
	for (b = 0; b < e && is_xml_space(s[b]); b++)
		;
	while (e > b && is_xml_space(s[e - 1]))
		e--;
	err = qj_buf_append(out, s + b, e - b);
	xmlFree(s);
	return (err);
}

/* Element children only, with nothing but whitespace between them. */
static int
only_elements(xmlNodePtr n)
{
	const xmlChar	*p;

	for (n = n->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			continue;
		if (n->type != XML_TEXT_NODE)
			return (0);
		for (p = n->content; p != NULL && *p != '\0'; p++)
			if (!is_xml_space(*p))
				return (0);
	}
	return (1);
}

static const struct sig_alg *
alg_find(const struct sig_alg *tab, size_t n, const xmlChar *uri)
{
	size_t	i;

	for (i = 0; uri != NULL && i < n; i++)
		if (xmlStrEqual(uri, BAD_CAST tab[i].uri))
			return (&tab[i]);
	return (NULL);
}

const struct sig_alg *
sig_digest_alg(const xmlChar *uri)
{
	return (alg_find(sig_digests, QJ_NELEM(sig_digests), uri));
}

static const char *
c14n_find(const xmlChar *uri)
{
	size_t	i;

	for (i = 0; uri != NULL && i < QJ_NELEM(sig_c14ns); i++)
		if (xmlStrEqual(uri, BAD_CAST sig_c14ns[i]))
			return (sig_c14ns[i]);
	return (NULL);
}

/* --- step 2: count, position, Ids ------------------------------------------ */

#define SIG_WALK_IDS	64	/* Id values compared pairwise; then hashed */

struct sig_walk {
	const xmlChar	*idv[SIG_WALK_IDS];	/* the first Id values */
	size_t		 nid;
	xmlHashTablePtr	 ids;		/* all of them, past SIG_WALK_IDS */
	xmlNodePtr	 sig;		/* the last ds:Signature seen */
	int		 count;		/* ds:Signature elements */
	int		 dup;		/* a repeated Id value */
	int		 junk;		/* comment or PI inside ds:Signature */
	int		 nomem;
	char		 dupval[64];
};

/*
 * Attributes that can name a Reference target: xml:id anywhere (libxml2
 * makes it an ID), and inside ds:Signature any Id/ID/id (xmlsec registers
 * "Id" there).  Without a DTD nothing else is an ID, so a form's own "id"
 * attributes outside the signature are left alone.
 */
static int
is_id_attr(xmlAttrPtr a, int in_sig)
{
	if (a->ns == NULL)
		return (in_sig && (xmlStrEqual(a->name, BAD_CAST "Id") ||
		    xmlStrEqual(a->name, BAD_CAST "ID") ||
		    xmlStrEqual(a->name, BAD_CAST "id")));
	return (xmlStrEqual(a->ns->href, XML_XML_NAMESPACE) &&
	    xmlStrEqual(a->name, BAD_CAST "id"));
}

/*
 * Records one Id value.  Without a DTD an attribute value is one text node
 * (character references are already resolved), so the value is read in
 * place; documents with many Ids go to a hash table.
 */
static void
walk_id(struct sig_walk *w, xmlAttrPtr a)
{
	const xmlChar	*v = a->children != NULL &&
			    a->children->type == XML_TEXT_NODE &&
			    a->children->next == NULL ? a->children->content :
			    BAD_CAST "";
	size_t		 i;
	int		 dup = 0;

	if (w->nid < SIG_WALK_IDS) {
		for (i = 0; i < w->nid && !dup; i++)
			dup = xmlStrEqual(w->idv[i], v);
		w->idv[w->nid++] = v;
	} else {
		if (w->ids == NULL) {
			if ((w->ids = xmlHashCreate(256)) == NULL) {
				w->nomem = 1;
				return;
			}
			for (i = 0; i < SIG_WALK_IDS; i++)
				(void)xmlHashAddEntry(w->ids, w->idv[i], a);
		}
		dup = xmlHashAddEntry(w->ids, v, a) != 0;
	}
	if (dup && !w->dup) {
		w->dup = 1;
		snprintf(w->dupval, sizeof(w->dupval), "%s", (const char *)v);
	}
}

static void
sig_walk(xmlNodePtr n, struct sig_walk *w, int in_sig)
{
	xmlAttrPtr	 a;
	int		 here;

	for (; n != NULL; n = n->next) {
		if (in_sig && (n->type == XML_COMMENT_NODE ||
		    n->type == XML_PI_NODE))
			w->junk = 1;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		here = sig_is(n, SIG_NS_DS, "Signature");
		if (here) {
			w->count++;
			w->sig = n;
		}
		for (a = n->properties; a != NULL; a = a->next)
			if (is_id_attr(a, in_sig || here))
				walk_id(w, a);
		sig_walk(n->children, w, in_sig || here);
	}
}

static enum qj_err
check_place(xmlDocPtr doc, enum sig_mode mode, struct sig_parts *p,
    struct qj_diag *d)
{
	struct sig_walk	 w;
	xmlNodePtr	 root = xmlDocGetRootElement(doc);
	enum qj_err	 err = QJ_OK;

	memset(&w, 0, sizeof(w));
	sig_walk(root, &w, 0);
	if (w.ids != NULL)
		xmlHashFree(w.ids, NULL);
	if (w.nomem)
		return (QJ_ENOMEM);
	if (w.count != 1)
		return (qj_fail(d, QJ_EUNPROC, "sig-count", "Signature",
		    "%d ds:Signature elements; exactly one is required",
		    w.count));
	p->sig = w.sig;
	if (w.dup)
		err = qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Id",
		    "the Id \"%s\" occurs more than once", w.dupval);
	else if (mode == SIG_DETACHED && root != w.sig)
		err = qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Signature",
		    "a detached signature must be the root element");
	else if (mode == SIG_ASIC && (!sig_is(root, SIG_NS_ASIC,
	    "XAdESSignatures") || w.sig->parent != root ||
	    sig_child(root) != w.sig || sig_next(w.sig) != NULL ||
	    !only_elements(root)))
		err = qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Signature",
		    "an ASiC-E signatures file holds one ds:Signature, the "
		    "only child of its asic:XAdESSignatures root");
	else if (mode == SIG_ENVELOPED && (w.sig == root ||
	    w.sig->parent != (xmlNodePtr)root || sig_next(w.sig) != NULL))
		err = qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Signature",
		    "an enveloped signature must be the last child of the "
		    "root element");
	p->junk = w.junk;
	return (err);
}

/* --- step 2 (cont.): the children of ds:Signature --------------------------- */

static enum qj_err
check_objects(enum sig_mode mode, struct sig_parts *p, struct qj_diag *d)
{
	xmlNodePtr	c, o;
	int		nobj = 0;

	for (c = sig_child(p->sig); c != NULL; c = sig_next(c)) {
		if (!sig_is(c, SIG_NS_DS, "Object"))
			continue;
		if (mode == SIG_ENVELOPED)
			return (qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Object",
			    "an enveloped signature must not carry ds:Object"));
		o = sig_child(c);
		if (++nobj > 1 || !only_elements(c) ||
		    !sig_is(o, SIG_NS_XADES, "QualifyingProperties") ||
		    sig_next(o) != NULL)
			return (qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Object",
			    "ds:Object may hold only the one "
			    "xades:QualifyingProperties"));
		p->qprops = o;
	}
	if (SIG_IS_DETACHED(mode) && p->qprops == NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-xades",
		    "QualifyingProperties", "no xades:QualifyingProperties"));
	return (QJ_OK);
}

static enum qj_err
check_signature(enum sig_mode mode, struct sig_parts *p, struct qj_diag *d)
{
	xmlNodePtr	c;
	enum qj_err	err;

	if ((err = check_objects(mode, p, d)) != QJ_OK)
		return (err);
	if (p->junk)
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Signature",
		    "comments and processing instructions are not allowed "
		    "inside ds:Signature"));
	if (!only_elements(p->sig) ||
	    !sig_is(c = sig_child(p->sig), SIG_NS_DS, "SignedInfo") ||
	    !sig_is(c = sig_next(p->signed_info = c), SIG_NS_DS,
	    "SignatureValue"))
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Signature",
		    "ds:Signature must start with SignedInfo, SignatureValue"));
	p->sig_value = c;
	if (!sig_is(c = sig_next(c), SIG_NS_DS, "KeyInfo"))
		return (qj_fail(d, QJ_EUNPROC, "sig-key-source", "KeyInfo",
		    "no ds:KeyInfo with the signer certificate"));
	p->key_info = c;
	while (sig_is(c = sig_next(c), SIG_NS_DS, "Object"))
		;
	if (c != NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Signature",
		    "unexpected element %s in ds:Signature",
		    (const char *)c->name));
	return (QJ_OK);
}

/* --- step 3: SignedInfo ---------------------------------------------------- */

/* A Transform or CanonicalizationMethod: only exc-c14n may have a child. */
static enum qj_err
check_method_children(xmlNodePtr m, const char *uri, struct qj_diag *d)
{
	xmlNodePtr	c = sig_child(m);

	if (!only_elements(m))
		goto bad;
	if (c == NULL)
		return (QJ_OK);
	if (strcmp(uri, SIG_C14N_EXCL) == 0 &&
	    sig_is(c, SIG_NS_EXC, "InclusiveNamespaces") && sig_next(c) == NULL)
		return (QJ_OK);
bad:
	return (qj_fail(d, QJ_EUNPROC, "sig-transform", "Transform",
	    "parameters of %s are not allowed", uri));
}

/* Reads one ds:Transform; *uri gets the allow-listed URI. */
static enum qj_err
read_transform(xmlNodePtr t, int enveloped_ok, const char **uri,
    struct qj_diag *d)
{
	xmlChar		*alg;
	const char	*u;

	if (!sig_is(t, SIG_NS_DS, "Transform"))
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Transforms",
		    "ds:Transforms may hold only ds:Transform"));
	alg = xmlGetNoNsProp(t, BAD_CAST "Algorithm");
	if (enveloped_ok && alg != NULL &&
	    xmlStrEqual(alg, BAD_CAST SIG_TR_ENVELOPED))
		u = SIG_TR_ENVELOPED;
	else
		u = c14n_find(alg);
	if (u == NULL) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-transform", "Transform",
		    "transform %s is not allowed", alg != NULL ?
		    (char *)alg : "(none)");
		xmlFree(alg);
		return (QJ_EUNPROC);
	}
	xmlFree(alg);
	*uri = u;
	return (check_method_children(t, u, d));
}

/*
 * The transforms of one Reference.  kind 0: detached data (none allowed),
 * 1: SignedProperties (at most one c14n), 2: enveloped (enveloped-signature
 * first, then at most one c14n).
 */
static enum qj_err
check_transforms(xmlNodePtr ts, int kind, struct sig_parts *p,
    struct qj_diag *d)
{
	xmlNodePtr	 t;
	const char	*u = "";
	enum qj_err	 err;
	int		 n = 0;

	if (ts == NULL)
		return (kind == 2 ? qj_fail(d, QJ_EUNPROC, "sig-transform",
		    "Transforms", "the enveloped-signature transform is "
		    "missing") : QJ_OK);
	if (kind == 0)
		return (qj_fail(d, QJ_EUNPROC, "sig-transform", "Transforms",
		    "the document reference of a detached signature takes "
		    "no transforms"));
	if (!only_elements(ts))
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Transforms",
		    "unexpected content in ds:Transforms"));
	for (t = sig_child(ts); t != NULL; t = sig_next(t), n++) {
		if ((err = read_transform(t, kind == 2 && n == 0, &u,
		    d)) != QJ_OK)
			return (err);
		if ((kind == 2 && n == 0 && strcmp(u, SIG_TR_ENVELOPED) != 0) ||
		    (kind == 2 && n > 1) || (kind == 1 && n > 0) ||
		    (kind == 1 && strcmp(u, SIG_C14N_10_WC) == 0))
			return (qj_fail(d, QJ_EUNPROC, "sig-transform",
			    "Transforms", "transform %s is not allowed in "
			    "this position", u));
		if (kind == 2 && n == 1)
			p->ref_c14n = u;
	}
	if (kind == 2 && n == 0)
		return (qj_fail(d, QJ_EUNPROC, "sig-transform", "Transforms",
		    "the enveloped-signature transform is missing"));
	return (QJ_OK);
}

/* [Transforms] DigestMethod DigestValue, allowed digest. */
static enum qj_err
check_reference(xmlNodePtr r, int kind, struct sig_parts *p,
    struct qj_diag *d)
{
	xmlNodePtr	 c = sig_child(r), ts = NULL;
	xmlChar		*alg;
	enum qj_err	 err;

	if (sig_is(c, SIG_NS_DS, "Transforms")) {
		ts = c;
		c = sig_next(c);
	}
	if (!only_elements(r) || !sig_is(c, SIG_NS_DS, "DigestMethod") ||
	    !sig_is(sig_next(c), SIG_NS_DS, "DigestValue") ||
	    sig_next(sig_next(c)) != NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Reference",
		    "a Reference must hold [Transforms] DigestMethod "
		    "DigestValue"));
	alg = xmlGetNoNsProp(c, BAD_CAST "Algorithm");
	if (sig_digest_alg(alg) == NULL || sig_child(c) != NULL) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-algorithm", "DigestMethod",
		    "digest algorithm %s is not allowed (SHA-256/384/512)",
		    alg != NULL ? (char *)alg : "(none)");
		xmlFree(alg);
		return (QJ_EUNPROC);
	}
	xmlFree(alg);
	err = check_transforms(ts, kind, p, d);
	return (err);
}

/* The SignedProperties inside this signature that `uri` names, or NULL. */
static xmlNodePtr
find_props(struct sig_parts *p, const xmlChar *uri)
{
	xmlNodePtr	 c;
	xmlChar		*id;
	int		 same;

	if (uri == NULL || uri[0] != '#' || uri[1] == '\0' || p->qprops == NULL)
		return (NULL);
	for (c = sig_child(p->qprops); c != NULL; c = sig_next(c)) {
		if (!sig_is(c, SIG_NS_XADES, "SignedProperties"))
			continue;
		id = xmlGetNoNsProp(c, BAD_CAST "Id");
		same = id != NULL && xmlStrEqual(id, uri + 1);
		xmlFree(id);
		if (same)
			return (c);
	}
	return (NULL);
}

static enum qj_err
check_refs_detached(xmlNodePtr *refs, const char *expect_uri,
    struct sig_parts *p, struct qj_diag *d)
{
	xmlChar		*type, *uri = NULL;
	enum qj_err	 err = QJ_EUNPROC;
	int		 i;

	for (i = 0; i < 2; i++) {
		type = xmlGetNoNsProp(refs[i], BAD_CAST "Type");
		if (type != NULL && xmlStrEqual(type, BAD_CAST SIG_PROPS_TYPE)) {
			if (p->props_ref == NULL)
				p->props_ref = refs[i];
		} else if (type == NULL && p->data_ref == NULL)
			p->data_ref = refs[i];
		xmlFree(type);
	}
	if (p->props_ref == NULL || p->data_ref == NULL) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "expected one document Reference and one SignedProperties "
		    "Reference");
		goto out;
	}
	uri = xmlGetNoNsProp(p->props_ref, BAD_CAST "URI");
	if ((p->props = find_props(p, uri)) == NULL) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "the SignedProperties Reference (%s) does not point at the "
		    "SignedProperties of this signature",
		    uri != NULL ? (char *)uri : "no URI");
		goto out;
	}
	xmlFree(uri);
	uri = xmlGetNoNsProp(p->data_ref, BAD_CAST "URI");
	if (uri == NULL || uri[0] == '\0' || uri[0] == '#' ||
	    (size_t)xmlStrlen(uri) >= sizeof(p->data_uri) ||
	    (expect_uri != NULL && !xmlStrEqual(uri, BAD_CAST expect_uri))) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "the document Reference has URI \"%s\"; expected \"%s\"",
		    uri != NULL ? (char *)uri : "", expect_uri != NULL ?
		    expect_uri : "a relative document URI");
		goto out;
	}
	snprintf(p->data_uri, sizeof(p->data_uri), "%s", (char *)uri);
	if ((err = check_reference(p->data_ref, 0, p, d)) != QJ_OK)
		goto out;
	err = check_reference(p->props_ref, 1, p, d);
out:
	xmlFree(uri);
	return (err);
}

static enum qj_err
check_refs_enveloped(xmlNodePtr ref, struct sig_parts *p, struct qj_diag *d)
{
	xmlChar	*uri = xmlGetNoNsProp(ref, BAD_CAST "URI");
	int	 ok = uri != NULL && uri[0] == '\0';

	xmlFree(uri);
	if (!ok)
		return (qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "an enveloped signature must have one Reference URI=\"\" "
		    "(the whole document)"));
	p->data_ref = ref;
	return (check_reference(ref, 2, p, d));
}

static enum qj_err
check_signed_info(enum sig_mode mode, const char *expect_uri,
    struct sig_parts *p, struct qj_diag *d)
{
	xmlNodePtr	 c = sig_child(p->signed_info), refs[2];
	xmlChar		*alg;
	enum qj_err	 err;
	int		 n = 0, want = SIG_IS_DETACHED(mode) ? 2 : 1;

	if (!only_elements(p->signed_info) ||
	    !sig_is(c, SIG_NS_DS, "CanonicalizationMethod"))
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "SignedInfo",
		    "SignedInfo must start with CanonicalizationMethod"));
	alg = xmlGetNoNsProp(c, BAD_CAST "Algorithm");
	p->c14n = c14n_find(alg);
	if (p->c14n == NULL) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-transform",
		    "CanonicalizationMethod", "canonicalisation %s is not "
		    "allowed", alg != NULL ? (char *)alg : "(none)");
		xmlFree(alg);
		return (QJ_EUNPROC);
	}
	xmlFree(alg);
	if ((err = check_method_children(c, p->c14n, d)) != QJ_OK)
		return (err);
	if (!sig_is(c = sig_next(c), SIG_NS_DS, "SignatureMethod"))
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "SignedInfo",
		    "SignedInfo must hold SignatureMethod second"));
	alg = xmlGetNoNsProp(c, BAD_CAST "Algorithm");
	p->alg = alg_find(sig_methods, QJ_NELEM(sig_methods), alg);
	if (p->alg == NULL || sig_child(c) != NULL) {
		(void)qj_fail(d, QJ_EUNPROC, "sig-algorithm",
		    "SignatureMethod", "signature algorithm %s is not allowed "
		    "(RSA or ECDSA with SHA-256/384/512)",
		    alg != NULL ? (char *)alg : "(none)");
		xmlFree(alg);
		return (QJ_EUNPROC);
	}
	xmlFree(alg);
	for (c = sig_next(c); sig_is(c, SIG_NS_DS, "Reference");
	    c = sig_next(c)) {
		if (n < 2)
			refs[n] = c;
		n++;
	}
	if (c != NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "SignedInfo",
		    "unexpected element %s in SignedInfo",
		    (const char *)c->name));
	if (n != want)
		return (qj_fail(d, QJ_EUNPROC, "sig-references", "SignedInfo",
		    "%d References; exactly %d expected", n, want));
	if (SIG_IS_DETACHED(mode))
		return (check_refs_detached(refs, expect_uri, p, d));
	return (check_refs_enveloped(refs[0], p, d));
}

/* --- step 4: KeyInfo ------------------------------------------------------- */

/*
 * Base64 with XML whitespace, for the certificates: EVP_DecodeBlock is an
 * order of magnitude faster than a byte-by-byte decoder on ~2 KB.
 */
static int
b64_decode(const char *s, size_t len, struct qj_buf *out)
{
	struct qj_buf	clean = QJ_BUF_INIT;
	size_t		i, pad = 0;
	int		n = -1;

	if (qj_buf_reserve(&clean, len) != QJ_OK)
		return (-1);
	for (i = 0; i < len; i++)
		if (!is_xml_space((unsigned char)s[i]))
			clean.data[clean.len++] = s[i];
	if (clean.len == 0 || clean.len % 4 != 0 || clean.len > 0x7ffffff0)
		goto out;
	while (pad < 2 && clean.data[clean.len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < clean.len - pad; i++)
		if (clean.data[i] == '=')
			goto out;
	if (qj_buf_reserve(out, clean.len / 4 * 3) != QJ_OK)
		goto out;
	n = EVP_DecodeBlock((unsigned char *)out->data + out->len,
	    (unsigned char *)clean.data, (int)clean.len);
	if (n >= (int)pad) {
		out->len += (size_t)n - pad;
		out->data[out->len] = '\0';
	} else
		n = -1;
out:
	qj_buf_free(&clean);
	return (n < 0 ? -1 : 0);
}

static int
plain_d2i(void *arg, const unsigned char *der, size_t len, X509 **out)
{
	const unsigned char	*q = der;
	X509			*x;

	(void)arg;
	if (len > 0x7fffffff || (x = d2i_X509(NULL, &q, (long)len)) == NULL)
		return (-1);
	if (q != der + len) {
		X509_free(x);
		return (-1);
	}
	*out = x;
	return (0);
}

static enum qj_err
read_certs(xmlNodePtr x509data, sig_cert_fn fn, void *arg,
    struct sig_parts *p, struct qj_diag *d)
{
	struct qj_buf		 b64 = QJ_BUF_INIT, der = QJ_BUF_INIT;
	xmlNodePtr		 c;
	X509			*x;
	enum qj_err		 err = QJ_OK;
	int			 n = 0;

	for (c = sig_child(x509data); c != NULL; c = sig_next(c), n++) {
		if (!sig_is(c, SIG_NS_DS, "X509Certificate") ||
		    n >= SIG_MAX_CERTS) {
			err = qj_fail(d, QJ_EUNPROC, "sig-key-source",
			    "X509Data", "X509Data may hold only up to %d "
			    "X509Certificate elements", SIG_MAX_CERTS);
			goto out;
		}
		qj_buf_reset(&b64);
		qj_buf_reset(&der);
		if ((err = sig_text(c, &b64)) != QJ_OK)
			goto out;
		x = NULL;
		if (b64_decode(b64.data, b64.len, &der) == 0 &&
		    der.len > 0 && fn(arg, (const unsigned char *)der.data,
		    der.len, &x) != 0)
			x = NULL;
		if (x == NULL || !sk_X509_push(p->certs, x)) {
			X509_free(x);
			err = qj_fail(d, QJ_EUNPROC, "sig-key-source",
			    "X509Certificate", "X509Certificate %d is not a "
			    "certificate", n + 1);
			goto out;
		}
	}
	if (n == 0)
		err = qj_fail(d, QJ_EUNPROC, "sig-key-source", "X509Data",
		    "X509Data holds no X509Certificate");
out:
	qj_buf_free(&b64);
	qj_buf_free(&der);
	ERR_clear_error();
	return (err);
}

/* The leaf: the one certificate that issued none of the others. */
static enum qj_err
pick_leaf(struct sig_parts *p, struct qj_diag *d)
{
	X509	*ci, *cj;
	int	 i, j, n = sk_X509_num(p->certs), issues, leaves = 0;

	for (i = 0; i < n; i++) {
		ci = sk_X509_value(p->certs, i);
		issues = 0;
		for (j = 0; j < n && !issues; j++) {
			cj = sk_X509_value(p->certs, j);
			issues = j != i && X509_check_issued(ci, cj) ==
			    X509_V_OK;
		}
		if (!issues) {
			leaves++;
			p->leaf = ci;
		}
	}
	if (leaves != 1)
		return (qj_fail(d, QJ_EUNPROC, "sig-key-source", "X509Data",
		    "X509Data must hold one signer certificate (and "
		    "optionally its issuers); found %d unrelated ones",
		    leaves));
	for (i = 0; i < n; i++)
		if (sk_X509_value(p->certs, i) != p->leaf &&
		    !sk_X509_push(p->extra, sk_X509_value(p->certs, i)))
			return (QJ_ENOMEM);
	return (QJ_OK);
}

static enum qj_err
check_key_info(sig_cert_fn fn, void *arg, struct sig_parts *p,
    struct qj_diag *d)
{
	xmlNodePtr	c = sig_child(p->key_info);
	enum qj_err	err;

	if (!only_elements(p->key_info) ||
	    !sig_is(c, SIG_NS_DS, "X509Data") || sig_next(c) != NULL ||
	    !only_elements(c))
		return (qj_fail(d, QJ_EUNPROC, "sig-key-source", "KeyInfo",
		    "KeyInfo must hold exactly one X509Data (%s is not "
		    "accepted)", c == NULL ? "an empty KeyInfo" :
		    !sig_is(c, SIG_NS_DS, "X509Data") ? (const char *)c->name :
		    sig_next(c) != NULL ? (const char *)sig_next(c)->name :
		    "text"));
	if ((p->certs = sk_X509_new_null()) == NULL ||
	    (p->extra = sk_X509_new_null()) == NULL)
		return (QJ_ENOMEM);
	if ((err = read_certs(c, fn != NULL ? fn : plain_d2i, arg, p,
	    d)) != QJ_OK)
		return (err);
	return (pick_leaf(p, d));
}

/* --- entry points ------------------------------------------------------------ */

enum qj_err
sig_policy_check(xmlDocPtr doc, enum sig_mode mode, const char *expect_uri,
    sig_cert_fn fn, void *arg, struct sig_parts *p, struct qj_diag *d)
{
	enum qj_err	err;

	memset(p, 0, sizeof(*p));
	if ((err = check_place(doc, mode, p, d)) != QJ_OK ||
	    (err = check_signature(mode, p, d)) != QJ_OK ||
	    (err = check_signed_info(mode, expect_uri, p, d)) != QJ_OK ||
	    (err = check_key_info(fn, arg, p, d)) != QJ_OK) {
		sig_parts_free(p);
		return (err);
	}
	return (QJ_OK);
}

void
sig_parts_free(struct sig_parts *p)
{
	sk_X509_free(p->extra);
	sk_X509_pop_free(p->certs, X509_free);
	p->extra = NULL;
	p->certs = NULL;
	p->leaf = NULL;
}
