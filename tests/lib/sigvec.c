/*
 * sigvec.c: signature test vectors; see sigvec.h.  Owns the independent
 * XMLDSig signer the tests use to craft what qj_xades_prepare() would
 * never produce.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/codec.h"
#include "core/sig_policy.h"
#include "core/xades.h"
#include "core/xmlsafe.h"
#include "tests/lib/sigvec.h"

/* --- files, certificates, keys ------------------------------------------- */

char *
sv_slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	ck_assert_msg((f = fopen(path, "rb")) != NULL, "open %s: %s", path,
	    strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert(buf != NULL);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return (buf);
}

void
sv_spit(const char *path, const void *data, size_t len)
{
	FILE	*f;

	ck_assert_msg((f = fopen(path, "wb")) != NULL, "create %s", path);
	ck_assert(fwrite(data, 1, len, f) == len);
	fclose(f);
}

X509 *
sv_load_cert(const char *who)
{
	char	 path[256];
	BIO	*b;
	X509	*x;

	snprintf(path, sizeof(path), SV_CERTS "/%s.pem", who);
	ck_assert_msg((b = BIO_new_file(path, "r")) != NULL, "%s", path);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(x != NULL, "cert %s", path);
	return (x);
}

EVP_PKEY *
sv_load_key(const char *who)
{
	char		 path[256];
	BIO		*b;
	EVP_PKEY	*k;

	snprintf(path, sizeof(path), SV_CERTS "/%s.key", who);
	ck_assert_msg((b = BIO_new_file(path, "r")) != NULL, "%s", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(k != NULL, "key %s", path);
	return (k);
}

char *
sv_cert_b64(const char *who)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	unsigned char	*der = NULL;
	X509		*x = sv_load_cert(who);
	int		 n = i2d_X509(x, &der);

	ck_assert(n > 0);
	ck_assert(qj_base64_encode(der, (size_t)n, &b) == QJ_OK);
	OPENSSL_free(der);
	X509_free(x);
	return (qj_buf_release(&b, NULL));
}

unsigned char *
sv_sign_raw(EVP_PKEY *key, const char *md, const void *tbs, size_t len,
    size_t *siglen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	*sig;

	ck_assert(ctx != NULL);
	ck_assert(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key,
	    NULL) == 1);
	ck_assert(EVP_DigestSign(ctx, NULL, siglen, tbs, len) == 1);
	sig = malloc(*siglen);
	ck_assert(sig != NULL);
	ck_assert(EVP_DigestSign(ctx, sig, siglen, tbs, len) == 1);
	EVP_MD_CTX_free(ctx);
	return (sig);
}

char *
sv_make_sig(const char *who, const char *doc, const char *uri,
    enum qj_commitment cm, const char *role, time_t when, size_t *len)
{
	struct qj_sig_prepared	 p;
	struct qj_diag		 d;
	struct qj_buf		 out = QJ_BUF_INIT;
	unsigned char		*sig;
	size_t			 siglen;
	X509			*cert = sv_load_cert(who);
	EVP_PKEY		*key = sv_load_key(who);

	ck_assert_msg(qj_xades_prepare(doc, strlen(doc), uri, cert, cm, role,
	    when, &p, &d) == QJ_OK, "prepare: %s: %s", d.type, d.detail);
	sig = sv_sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
	ck_assert_msg(qj_xades_assemble(p.skeleton, p.skeleton_len, sig,
	    siglen, &out, &d) == QJ_OK, "assemble: %s: %s", d.type, d.detail);
	free(sig);
	qj_sig_prepared_free(&p);
	X509_free(cert);
	EVP_PKEY_free(key);
	return (qj_buf_release(&out, len));
}

/* --- text surgery ------------------------------------------------------------ */

char *
sv_mutate(const char *xml, const char *from, const char *to)
{
	const char	*at = strstr(xml, from);
	char		*out;
	size_t		 pre;

	ck_assert_msg(at != NULL, "mutate: \"%s\" not found", from);
	pre = (size_t)(at - xml);
	out = malloc(strlen(xml) - strlen(from) + strlen(to) + 1);
	ck_assert(out != NULL);
	memcpy(out, xml, pre);
	strcpy(out + pre, to);
	strcat(out + pre, at + strlen(from));
	return (out);
}

char *
sv_mutate_after(const char *xml, const char *after, const char *from,
    const char *to)
{
	const char	*a = strstr(xml, after);
	char		*tail, *out;
	size_t		 pre;

	ck_assert_msg(a != NULL, "mutate_after: \"%s\" not found", after);
	pre = (size_t)(a - xml);
	tail = sv_mutate(a, from, to);
	out = malloc(pre + strlen(tail) + 1);
	ck_assert(out != NULL);
	memcpy(out, xml, pre);
	strcpy(out + pre, tail);
	free(tail);
	return (out);
}

void
sv_flip_signature_value(char *xml)
{
	char	*sv = strstr(xml, "<ds:SignatureValue");

	ck_assert(sv != NULL && (sv = strchr(sv, '>')) != NULL);
	sv += 5;
	*sv = *sv == 'A' ? 'B' : 'A';
}

/* The root element's start tag. */
static const char *
root_start(const char *doc)
{
	const char	*p = doc;

	for (;;) {
		p = strchr(p, '<');
		ck_assert_msg(p != NULL, "no root element");
		if (p[1] != '?' && p[1] != '!')
			return (p);
		p++;
	}
}

/* The root element's end tag: the last "</". */
static const char *
root_end(const char *doc)
{
	const char	*p, *last = NULL;

	for (p = doc; (p = strstr(p, "</")) != NULL; p++)
		last = p;
	ck_assert_msg(last != NULL, "no end tag");
	return (last);
}

/* The root element alone, from its start tag to its end tag. */
static char *
root_element(const char *doc)
{
	const char	*s = root_start(doc), *e = strchr(root_end(doc), '>');

	ck_assert(e != NULL);
	return (strndup(s, (size_t)(e + 1 - s)));
}

/* --- an independent XMLDSig signer ------------------------------------------ */

static int
visible(void *top, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr	n = node;

	if (n == NULL || n->type == XML_NAMESPACE_DECL ||
	    n->type == XML_ATTRIBUTE_NODE)
		n = parent;
	for (; n != NULL; n = n->parent)
		if (n == (xmlNodePtr)top)
			return (1);
	return (0);
}

static int
c14n_mode(const xmlChar *alg, int *comments)
{
	*comments = xmlStrstr(alg, BAD_CAST "WithComments") != NULL;
	if (xmlStrstr(alg, BAD_CAST "exc-c14n") != NULL)
		return (XML_C14N_EXCLUSIVE_1_0);
	return (XML_C14N_1_0);
}

/* Canonical bytes of `top` (NULL: the whole document, comments dropped). */
static void
c14n_node(xmlDocPtr doc, xmlNodePtr top, const xmlChar *alg,
    struct qj_buf *out)
{
	xmlOutputBufferPtr	ob = xmlAllocOutputBuffer(NULL);
	int			comments, mode = c14n_mode(alg, &comments);

	ck_assert(xmlC14NExecute(doc, top != NULL ? visible : NULL, top, mode,
	    NULL, top != NULL ? comments : 0, ob) >= 0);
	qj_buf_append(out, xmlOutputBufferGetContent(ob),
	    xmlOutputBufferGetSize(ob));
	xmlOutputBufferClose(ob);
}

static const char *
md_of(const xmlChar *alg)
{
	if (xmlStrstr(alg, BAD_CAST "sha1") != NULL)
		return ("SHA1");
	if (xmlStrstr(alg, BAD_CAST "sha384") != NULL)
		return ("SHA384");
	if (xmlStrstr(alg, BAD_CAST "sha512") != NULL)
		return ("SHA512");
	return ("SHA256");
}

static xmlNodePtr
find_ds(xmlNodePtr n, const char *name)
{
	xmlNodePtr	r;

	for (; n != NULL; n = n->next) {
		if (sig_is(n, SIG_NS_DS, name))
			return (n);
		if (n->type == XML_ELEMENT_NODE &&
		    (r = find_ds(n->children, name)) != NULL)
			return (r);
	}
	return (NULL);
}

static xmlNodePtr
find_id(xmlNodePtr n, const xmlChar *id)
{
	xmlNodePtr	 r;
	xmlChar		*v;
	int		 same;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		v = xmlGetNoNsProp(n, BAD_CAST "Id");
		same = v != NULL && xmlStrEqual(v, id);
		xmlFree(v);
		if (same)
			return (n);
		if ((r = find_id(n->children, id)) != NULL)
			return (r);
	}
	return (NULL);
}

static void
set_b64(xmlNodePtr n, const void *data, size_t len)
{
	struct qj_buf	b = QJ_BUF_INIT;

	ck_assert(qj_base64_encode(data, len, &b) == QJ_OK);
	xmlNodeSetContent(n, BAD_CAST b.data);
	qj_buf_free(&b);
}

static void
set_digest(xmlNodePtr ref, const void *data, size_t len)
{
	xmlNodePtr	 dm = find_ds(ref->children, "DigestMethod");
	xmlChar		*alg = xmlGetNoNsProp(dm, BAD_CAST "Algorithm");
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = sizeof(md);

	ck_assert(EVP_Digest(data, len, md, &n, EVP_get_digestbyname(
	    md_of(alg)), NULL) == 1);
	xmlFree(alg);
	set_b64(find_ds(ref->children, "DigestValue"), md, n);
}

/* The digest input of one Reference into `b`; 0 if it resolves nowhere. */
static int
ref_input(xmlDocPtr doc, xmlNodePtr sig, xmlNodePtr ref, const char *data,
    struct qj_buf *b)
{
	xmlNodePtr	 parent, next, last = NULL, tgt;
	xmlChar		*uri, *alg;
	int		 done = 0;

	uri = xmlGetNoNsProp(ref, BAD_CAST "URI");
	for (next = find_ds(ref->children, "Transform"); next != NULL;
	    next = next->next)
		if (sig_is(next, SIG_NS_DS, "Transform"))
			last = next;
	alg = last != NULL ? xmlGetNoNsProp(last, BAD_CAST "Algorithm") :
	    xmlStrdup(BAD_CAST SIG_C14N_10);
	if (uri != NULL && uri[0] == '\0') {
		parent = sig->parent;
		next = sig->next;
		xmlUnlinkNode(sig);
		c14n_node(doc, NULL, alg, b);
		done = 1;
		if (next != NULL)
			xmlAddPrevSibling(next, sig);
		else
			xmlAddChild(parent, sig);
	} else if (uri != NULL && uri[0] == '#') {
		if ((tgt = find_id(xmlDocGetRootElement(doc), uri + 1)) !=
		    NULL) {
			c14n_node(doc, tgt, alg, b);
			done = 1;
		}
	} else {
		qj_buf_append(b, data, strlen(data));
		done = 1;
	}
	xmlFree(uri);
	xmlFree(alg);
	return (done);
}

char *
sv_sign_again(const char *xml, const char *data, const char *who,
    size_t *len)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	xmlDocPtr	 doc;
	xmlNodePtr	 sig, si, ref;
	xmlChar		*alg, *mem;
	EVP_PKEY	*key = sv_load_key(who);
	unsigned char	*sv, raw[132];
	size_t		 svlen, half;
	char		*s;
	int		 n;

	ck_assert(qj_xml_parse(xml, strlen(xml), 0, &doc, NULL) == QJ_OK);
	sig = find_ds(xmlDocGetRootElement(doc), "Signature");
	ck_assert(sig != NULL);
	si = find_ds(sig->children, "SignedInfo");
	for (ref = si->children; ref != NULL; ref = ref->next) {
		if (!sig_is(ref, SIG_NS_DS, "Reference"))
			continue;
		qj_buf_reset(&b);
		if (ref_input(doc, sig, ref, data, &b))
			set_digest(ref, b.data != NULL ? b.data : "", b.len);
	}
	qj_buf_reset(&b);
	alg = xmlGetNoNsProp(find_ds(si->children, "CanonicalizationMethod"),
	    BAD_CAST "Algorithm");
	c14n_node(doc, si, alg, &b);
	xmlFree(alg);
	alg = xmlGetNoNsProp(find_ds(si->children, "SignatureMethod"),
	    BAD_CAST "Algorithm");
	sv = sv_sign_raw(key, md_of(alg), b.data, b.len, &svlen);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		half = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
		ck_assert(qj_ecdsa_der_to_raw(sv, svlen, half, raw) == 0);
		set_b64(find_ds(sig->children, "SignatureValue"), raw,
		    2 * half);
	} else
		set_b64(find_ds(sig->children, "SignatureValue"), sv, svlen);
	xmlFree(alg);
	free(sv);
	xmlDocDumpMemoryEnc(doc, &mem, &n, "UTF-8");
	xmlFreeDoc(doc);
	qj_buf_free(&b);
	EVP_PKEY_free(key);
	*len = (size_t)n;
	s = strdup((char *)mem);
	xmlFree(mem);
	return (s);
}

/* --- NCALayer's enveloped format ------------------------------------------- */

char *
sv_ncalayer_template(const char *doc, const char *who, const char *extra_ref,
    const char *object)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	const char	*end = root_end(doc);
	char		*cert = sv_cert_b64(who);

	qj_buf_append(&b, doc, (size_t)(end - doc));
	qj_buf_printf(&b,
	    "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
	    "<ds:SignedInfo>"
	    "<ds:CanonicalizationMethod Algorithm=\"" SIG_C14N_10 "\"/>"
	    "<ds:SignatureMethod Algorithm=\"" SIG_RSA_SHA256 "\"/>"
	    "<ds:Reference URI=\"\"><ds:Transforms>"
	    "<ds:Transform Algorithm=\"" SIG_TR_ENVELOPED "\"/>"
	    "<ds:Transform Algorithm=\"" SIG_C14N_10_WC "\"/>"
	    "</ds:Transforms>"
	    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<ds:DigestValue/></ds:Reference>%s"
	    "</ds:SignedInfo><ds:SignatureValue/>"
	    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>%s"
	    "</ds:Signature>",
	    extra_ref != NULL ? extra_ref : "", cert,
	    object != NULL ? object : "");
	qj_buf_puts(&b, end);
	free(cert);
	return (qj_buf_release(&b, NULL));
}

char *
sv_make_ncalayer(const char *doc, const char *who, size_t *len)
{
	char	*t = sv_ncalayer_template(doc, who, NULL, NULL), *s;

	s = sv_sign_again(t, "", who, len);
	free(t);
	return (s);
}

/* --- KeyValue ---------------------------------------------------------------- */

void
sv_attacker_keyvalue(const char *evil, struct qj_buf *kv)
{
	EVP_PKEY	*k = sv_load_key(evil);
	BIGNUM		*nb = NULL, *eb = NULL;
	unsigned char	 buf[1024];
	int		 n;

	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &nb));
	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &eb));
	qj_buf_puts(kv, "<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>");
	n = BN_bn2bin(nb, buf);
	qj_base64_encode(buf, (size_t)n, kv);
	qj_buf_puts(kv, "</ds:Modulus><ds:Exponent>");
	n = BN_bn2bin(eb, buf);
	qj_base64_encode(buf, (size_t)n, kv);
	qj_buf_puts(kv, "</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>");
	BN_free(nb);
	BN_free(eb);
	EVP_PKEY_free(k);
}

char *
sv_keyvalue_only(const char *xml, const char *data, const char *evil,
    size_t *len)
{
	struct qj_buf	 kv = QJ_BUF_INIT;
	const char	*ks, *ke;
	char		*old, *b, *a;

	sv_attacker_keyvalue(evil, &kv);
	qj_buf_puts(&kv, "</ds:KeyInfo>");
	ks = strstr(xml, "<ds:KeyInfo>");
	ke = strstr(xml, "</ds:KeyInfo>");
	ck_assert(ks != NULL && ke != NULL);
	old = strndup(ks, (size_t)(ke + 13 - ks));
	b = sv_mutate(xml, old, kv.data);
	a = sv_sign_again(b, data, evil, len);
	free(old);
	free(b);
	qj_buf_free(&kv);
	return (a);
}

/* --- wrapping ------------------------------------------------------------------ */

char *
sv_wrapped_enveloped(const char *doc, const char *forged, const char *who,
    int by_id, size_t *len)
{
	struct qj_buf	 obj = QJ_BUF_INIT;
	const char	*name;
	char		*orig = root_element(doc), *t, *u, *s;
	size_t		 n;

	/* The signed element, moved into ds:Object (with an Id to point at). */
	name = orig + 1;
	n = strcspn(name, " \t\r\n/>");
	qj_buf_puts(&obj, "<ds:Object>");
	qj_buf_append(&obj, orig, 1 + n);
	if (by_id)
		qj_buf_puts(&obj, " Id=\"app-1\"");
	qj_buf_puts(&obj, name + n);
	qj_buf_puts(&obj, "</ds:Object>");
	t = sv_ncalayer_template(forged, who, NULL, obj.data);
	if (by_id) {
		u = sv_mutate(t, "<ds:Reference URI=\"\">",
		    "<ds:Reference URI=\"#app-1\">");
		free(t);
		t = sv_mutate(u, "<ds:Transform Algorithm=\"" SIG_TR_ENVELOPED
		    "\"/>", "");
		free(u);
	}
	s = sv_sign_again(t, "", who, len);
	free(t);
	free(orig);
	qj_buf_free(&obj);
	return (s);
}

char *
sv_nested_enveloped(const char *signed_doc, const char *forged)
{
	struct qj_buf	 w = QJ_BUF_INIT;
	char		*f = root_element(forged), *g = root_element(signed_doc);

	qj_buf_printf(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<outer>%s%s</outer>\n", f, g);
	free(f);
	free(g);
	return (qj_buf_release(&w, NULL));
}

/* --- hostile XML ------------------------------------------------------------------ */

char *
sv_doctype(void)
{
	return (strdup("<?xml version=\"1.0\"?><!DOCTYPE ds:Signature []>"
	    "<ds:Signature xmlns:ds=\"" SIG_NS_DS "\"/>"));
}

char *
sv_xxe(void)
{
	return (strdup("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><ds:Signature xmlns:ds=\"" SIG_NS_DS
	    "\">&x;</ds:Signature>"));
}

char *
sv_billion_laughs(void)
{
	struct qj_buf	lol = QJ_BUF_INIT;
	int		i, j;

	qj_buf_puts(&lol, "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol "
	    "\"lol\">");
	for (i = 1; i < 10; i++) {
		qj_buf_printf(&lol, "<!ENTITY lol%d \"", i);
		for (j = 0; j < 10; j++) {
			if (i == 1)
				qj_buf_puts(&lol, "&lol;");
			else
				qj_buf_printf(&lol, "&lol%d;", i - 1);
		}
		qj_buf_puts(&lol, "\">");
	}
	qj_buf_puts(&lol, "]><lolz>&lol9;</lolz>");
	return (qj_buf_release(&lol, NULL));
}

char *
sv_oversize(const char *xml, size_t limit, size_t *len)
{
	struct qj_buf	big = QJ_BUF_INIT;

	qj_buf_puts(&big, xml);
	while (big.len <= limit)
		qj_buf_puts(&big, "<!-- padding padding padding padding -->\n");
	return (qj_buf_release(&big, len));
}
