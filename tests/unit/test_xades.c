/*
 * test_xades.c: unit tests for the signature core (app/core/xades.c,
 * trust.c, sig_policy.c, sig_xmlsec.c).
 *
 * Every acceptance case of issue 3 that needs no HTTP is a test here that
 * asserts the exact diagnostic slug.  Signatures are made three ways: by
 * Qujat's own two-phase signing (prepare, sign the returned bytes with the
 * vector's private key, assemble/complete); by a small independent XMLDSig
 * signer in this file (sign_again()), used to craft what prepare() would
 * never produce (SHA-1, extra References, KeyValue, NCALayer's enveloped
 * format, changed SignedProperties) so that each malformed signature is
 * still cryptographically valid and only the policy can reject it; and by
 * the xmlsec1 and openssl command-line tools (interop).  Certificates come
 * from certs/dev (make certs); run from the repository root.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/keyinfo.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/x509.h>

#include "core/codec.h"
#include "core/sig_policy.h"
#include "core/sig_xmlsec.h"
#include "core/trust.h"
#include "core/xades.h"
#include "core/xmlsafe.h"

#define CERTS		"certs/dev"
#define APPLICANT_IIN	"980412410006"
#define RECTOR_IIN	"680224310005"
#define CUSTOMER_IIN	"860505310000"
#define CUSTOMER_BIN	"010340010009"

static struct qj_trust	*T;		/* certs/dev trust, crl */
static char		 last_detail[600];
static char		 doc_uri[128];

/* A typical small form document (the benchmark uses a larger one). */
static const char DOC[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<application xmlns=\"urn:qujat:form:academic-leave:1\" "
    "version=\"1\">\n"
    "  <applicant iin=\"980412410006\">Нұрланова Айгерім Серікқызы</applicant>\n"
    "  <!-- a comment that is not signed in the enveloped format -->\n"
    "  <reason code=\"medical\">Денсаулығыма байланысты / по состоянию "
    "здоровья</reason>\n"
    "  <period from=\"2026-12-01\" to=\"2027-11-30\"/>\n"
    "  <attachment sha256=\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c"
    "d15d6c15b0f00a08\"/>\n"
    "</application>\n";

/* --- helpers -------------------------------------------------------------- */

static char *
slurp(const char *path, size_t *len)
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

static void
spit(const char *path, const void *data, size_t len)
{
	FILE	*f;

	ck_assert_msg((f = fopen(path, "wb")) != NULL, "create %s", path);
	ck_assert(fwrite(data, 1, len, f) == len);
	fclose(f);
}

static X509 *
load_cert(const char *who)
{
	char	 path[256];
	BIO	*b;
	X509	*x;

	snprintf(path, sizeof(path), CERTS "/%s.pem", who);
	ck_assert_msg((b = BIO_new_file(path, "r")) != NULL, "%s", path);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(x != NULL, "cert %s", path);
	return (x);
}

static EVP_PKEY *
load_key(const char *who)
{
	char		 path[256];
	BIO		*b;
	EVP_PKEY	*k;

	snprintf(path, sizeof(path), CERTS "/%s.key", who);
	ck_assert_msg((b = BIO_new_file(path, "r")) != NULL, "%s", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(k != NULL, "key %s", path);
	return (k);
}

/* Signs with `md`; ECDSA comes back DER, as OpenSSL produces it. */
static unsigned char *
sign_raw(EVP_PKEY *key, const char *md, const void *tbs, size_t len,
    size_t *siglen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	*sig;

	ck_assert(ctx != NULL);
	ck_assert(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key,
	    NULL) == 1);
	ck_assert(EVP_DigestSign(ctx, NULL, siglen, tbs, len) == 1);
	sig = malloc(*siglen);
	ck_assert(EVP_DigestSign(ctx, sig, siglen, tbs, len) == 1);
	EVP_MD_CTX_free(ctx);
	return (sig);
}

/* A detached XAdES signature by `who` over `doc`, through prepare(). */
static char *
make_sig_doc(const char *who, const char *doc, const char *uri,
    enum qj_commitment cm, time_t when, size_t *len)
{
	struct qj_sig_prepared	 p;
	struct qj_diag		 d;
	struct qj_buf		 out = QJ_BUF_INIT;
	unsigned char		*sig;
	size_t			 siglen;
	X509			*cert = load_cert(who);
	EVP_PKEY		*key = load_key(who);

	ck_assert_msg(qj_xades_prepare(doc, strlen(doc), uri, cert, cm,
	    "applicant@fpe", when, &p, &d) == QJ_OK, "prepare: %s: %s",
	    d.type, d.detail);
	sig = sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
	ck_assert_msg(qj_xades_assemble(p.skeleton, p.skeleton_len, sig,
	    siglen, &out, &d) == QJ_OK, "assemble: %s: %s", d.type, d.detail);
	free(sig);
	qj_sig_prepared_free(&p);
	X509_free(cert);
	EVP_PKEY_free(key);
	return (qj_buf_release(&out, len));
}

static char *
make_sig(const char *who, enum qj_commitment cm, size_t *len)
{
	return (make_sig_doc(who, DOC, doc_uri, cm, time(NULL), len));
}

static const char *
slug_of(enum qj_err err, struct qj_diag *d)
{
	if (err == QJ_OK)
		return ("VALID");
	snprintf(last_detail, sizeof(last_detail), "%s: %s (%s)",
	    d->type != NULL ? d->type : "?", d->detail, qj_strerror(err));
	return (d->type != NULL ? d->type : "no-slug");
}

static const char *
verify_with(struct qj_trust *t, const char *xml, size_t len, const char *doc,
    const char *iin, enum qj_commitment cm, struct qj_sig_result *res)
{
	struct qj_sig_expect	ex;
	struct qj_diag		d;

	memset(&ex, 0, sizeof(ex));
	qj_diag_clear(&d);
	ex.doc = doc;
	ex.doc_len = strlen(doc);
	ex.doc_uri = doc_uri;
	ex.iin = iin;
	ex.commitment = cm;
	last_detail[0] = '\0';
	return (slug_of(qj_xades_verify(t, xml, len, &ex, res, &d), &d));
}

static const char *
verify(const char *xml, size_t len)
{
	return (verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL));
}

#define ck_slug(got, want) \
	ck_assert_msg(strcmp((got), (want)) == 0, "expected %s, got %s; %s", \
	    (want), (got), last_detail)

/* Replaces the first occurrence of `from` (which must exist). */
static char *
mutate(const char *xml, const char *from, const char *to)
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

/* Replaces the first `from` after the first `after` (both must exist). */
static char *
mutate_after(const char *xml, const char *after, const char *from,
    const char *to)
{
	const char	*a = strstr(xml, after);
	char		*tail, *out;
	size_t		 pre;

	ck_assert_msg(a != NULL, "mutate_after: \"%s\" not found", after);
	pre = (size_t)(a - xml);
	tail = mutate(a, from, to);
	out = malloc(pre + strlen(tail) + 1);
	ck_assert(out != NULL);
	memcpy(out, xml, pre);
	strcpy(out + pre, tail);
	free(tail);
	return (out);
}

/* --- an independent XMLDSig signer for crafted vectors ------------------- */

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

	qj_base64_encode(data, len, &b);
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

/*
 * Recomputes the digests of the References (detached ones over `data`,
 * URI="" as enveloped over the document, "#id" over that element) and signs
 * SignedInfo with `key` as its SignatureMethod says.  Returns the document.
 */
static char *
sign_again(const char *xml, const char *data, const char *who, size_t *len)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	xmlDocPtr	 doc;
	xmlNodePtr	 sig, si, ref, parent, next, last;
	xmlChar		*uri, *alg;
	EVP_PKEY	*key = load_key(who);
	unsigned char	*sv, raw[132];
	size_t		 svlen, half;
	xmlChar		*mem;
	int		 n, done;

	ck_assert(qj_xml_parse(xml, strlen(xml), 0, &doc, NULL) == QJ_OK);
	sig = find_ds(xmlDocGetRootElement(doc), "Signature");
	si = find_ds(sig->children, "SignedInfo");
	for (ref = si->children; ref != NULL; ref = ref->next) {
		if (!sig_is(ref, SIG_NS_DS, "Reference"))
			continue;
		qj_buf_reset(&b);
		done = 0;
		uri = xmlGetNoNsProp(ref, BAD_CAST "URI");
		last = NULL;
		for (next = find_ds(ref->children, "Transform"); next != NULL;
		    next = next->next)
			if (sig_is(next, SIG_NS_DS, "Transform"))
				last = next;
		alg = last != NULL ? xmlGetNoNsProp(last,
		    BAD_CAST "Algorithm") : xmlStrdup(BAD_CAST SIG_C14N_10);
		if (uri != NULL && uri[0] == '\0') {
			parent = sig->parent;
			next = sig->next;
			xmlUnlinkNode(sig);
			c14n_node(doc, NULL, alg, &b);
			done = 1;
			if (next != NULL)
				xmlAddPrevSibling(next, sig);
			else
				xmlAddChild(parent, sig);
		} else if (uri != NULL && uri[0] == '#') {
			xmlNodePtr tgt = find_id(xmlDocGetRootElement(doc),
			    uri + 1);

			if (tgt != NULL) {
				xmlFree(alg);
				alg = last != NULL ? xmlGetNoNsProp(last,
				    BAD_CAST "Algorithm") :
				    xmlStrdup(BAD_CAST SIG_C14N_10);
				c14n_node(doc, tgt, alg, &b);
				done = 1;
			}
		} else {
			qj_buf_append(&b, data, strlen(data));
			done = 1;
		}
		if (done)
			set_digest(ref, b.data != NULL ? b.data : "", b.len);
		xmlFree(uri);
		xmlFree(alg);
	}
	qj_buf_reset(&b);
	alg = xmlGetNoNsProp(find_ds(si->children, "CanonicalizationMethod"),
	    BAD_CAST "Algorithm");
	c14n_node(doc, si, alg, &b);
	xmlFree(alg);
	alg = xmlGetNoNsProp(find_ds(si->children, "SignatureMethod"),
	    BAD_CAST "Algorithm");
	sv = sign_raw(key, md_of(alg), b.data, b.len, &svlen);
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
	{
		char *s = strdup((char *)mem);

		xmlFree(mem);
		return (s);
	}
}

static char *
cert_b64(const char *who)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	unsigned char	*der = NULL;
	X509		*x = load_cert(who);
	int		 n = i2d_X509(x, &der);

	qj_base64_encode(der, (size_t)n, &b);
	OPENSSL_free(der);
	X509_free(x);
	return (qj_buf_release(&b, NULL));
}

/*
 * NCALayer's enveloped format (guide section 5) around DOC: C14N 1.0
 * SignedInfo, one Reference URI="" with enveloped-signature and
 * C14N#WithComments, RSA-SHA256, X509Certificate, signature last in the
 * root.  `extra_ref`/`object` let tests add what NCALayer never sends.
 */
static char *
ncalayer_template(const char *who, const char *extra_ref, const char *object)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	char		*cert = cert_b64(who), *doc;
	const char	*end = strstr(DOC, "</application>");

	qj_buf_append(&b, DOC, (size_t)(end - DOC));
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
	    "</ds:Signature></application>\n",
	    extra_ref != NULL ? extra_ref : "", cert,
	    object != NULL ? object : "");
	free(cert);
	doc = qj_buf_release(&b, NULL);
	return (doc);
}

static char *
make_ncalayer(const char *who, size_t *len)
{
	char	*t = ncalayer_template(who, NULL, NULL), *s;

	s = sign_again(t, "", who, len);
	free(t);
	return (s);
}

static const char *
verify_env(struct qj_trust *t, const char *xml, size_t len, const char *doc,
    struct qj_sig_result *res)
{
	struct qj_sig_expect	ex;
	struct qj_diag		d;

	memset(&ex, 0, sizeof(ex));
	qj_diag_clear(&d);
	ex.doc = doc;
	ex.doc_len = doc != NULL ? strlen(doc) : 0;
	ex.iin = APPLICANT_IIN;
	last_detail[0] = '\0';
	return (slug_of(qj_xades_verify_enveloped(t, xml, len, &ex, res, &d),
	    &d));
}

static struct qj_trust *
trust_with_crls(const char *crl1, const char *crl2)
{
	struct qj_trust	*t;
	struct qj_diag	 d;

	ck_assert(qj_trust_new(&t) == QJ_OK);
	ck_assert(qj_trust_add_anchors(t, CERTS "/trust", &d) == QJ_OK);
	ck_assert(qj_trust_add_intermediates(t, CERTS "/chain", &d) == QJ_OK);
	if (crl1 != NULL)
		ck_assert(qj_trust_add_crls(t, crl1, &d) == QJ_OK);
	if (crl2 != NULL)
		ck_assert(qj_trust_add_crls(t, crl2, &d) == QJ_OK);
	ck_assert_msg(qj_trust_freeze(t, &d) == QJ_OK, "%s", d.detail);
	return (t);
}

static int
run_cmd(const char *cmd)
{
	int	st = system(cmd);

	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int
have_xmlsec1(void)
{
	return (run_cmd("xmlsec1 --version >/dev/null 2>&1") == 0);
}

static void
tmpdir(char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/qj-xades-XXXXXX");
	ck_assert(mkdtemp(out) != NULL);
}

static void
rmtree(const char *dir)
{
	char	cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)run_cmd(cmd);
}

/* --- positive paths --------------------------------------------------------- */

START_TEST(rsa_prepare_complete)
{
	struct qj_sig_prepared	 p;
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	X509			*cert = load_cert("users/applicant-rsa");
	EVP_PKEY		*key = load_key("users/applicant-rsa");
	unsigned char		*sig;
	size_t			 siglen;
	time_t			 now = time(NULL);

	ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
	    QJ_COMMIT_ORIGIN, "applicant@fpe", now, &p, &d) == QJ_OK);
	ck_assert_str_eq(p.sig_method, SIG_RSA_SHA256);
	ck_assert_str_eq(p.hash, "SHA-256");
	ck_assert(strncmp((char *)p.tbs, "<ds:SignedInfo xmlns:ds=", 24) == 0);
	sig = sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
	memset(&ex, 0, sizeof(ex));
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.iin = APPLICANT_IIN;
	ex.commitment = QJ_COMMIT_ORIGIN;
	ck_assert_msg(qj_xades_complete(T, p.skeleton, p.skeleton_len, sig,
	    siglen, &ex, &out, &res, &d) == QJ_OK, "%s: %s", d.type, d.detail);
	ck_assert_str_eq(res.signer.iin, APPLICANT_IIN);
	ck_assert_str_eq(res.signer.bin, "");
	ck_assert_str_eq(res.signer.cn, "НҰРЛАНОВА АЙГЕРІМ");
	ck_assert(strstr(res.signer.subject, "serialNumber=IIN980412410006")
	    != NULL);
	ck_assert(strstr(res.signer.subject, "CN=НҰРЛАНОВА АЙГЕРІМ") != NULL);
	ck_assert_str_eq(res.signer.key, "RSA-2048");
	ck_assert_int_eq(res.signing_time, now);
	ck_assert_int_eq(res.commitment, QJ_COMMIT_ORIGIN);
	ck_assert_str_eq(res.role, "applicant@fpe");
	ck_assert_str_eq(res.uri, doc_uri);
	/* What complete() returned verifies again, alone. */
	ck_slug(verify(out.data, out.len), "VALID");
	/* A wrong value leaves the output alone and names the check. */
	sig[10] ^= 1;
	qj_buf_reset(&out);
	ck_assert_int_eq(qj_xades_complete(T, p.skeleton, p.skeleton_len, sig,
	    siglen, &ex, &out, NULL, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-value");
	ck_assert_int_eq(out.len, 0);
	/* A value of the wrong length never reaches the skeleton. */
	ck_assert_int_eq(qj_xades_complete(T, p.skeleton, p.skeleton_len, sig,
	    siglen - 1, &ex, &out, NULL, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-value");
	qj_sig_result_free(&res);
	qj_buf_free(&out);
	qj_sig_prepared_free(&p);
	free(sig);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

/* ECDSA P-256 (a user) and P-384 (a vector), DER from OpenSSL converted. */
START_TEST(ecdsa_prepare_complete)
{
	static const char	*whos[] = { "users/applicant-ec",
				    "vectors/ec-p384" };
	static const size_t	 halves[] = { 32, 48 };
	struct qj_sig_prepared	 p;
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	unsigned char		*sig, raw[96];
	size_t			 siglen;
	int			 i;

	memset(&ex, 0, sizeof(ex));
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.iin = APPLICANT_IIN;
	for (i = 0; i < 2; i++) {
		X509 *cert = load_cert(whos[i]);
		EVP_PKEY *key = load_key(whos[i]);

		ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
		    QJ_COMMIT_APPROVAL, NULL, time(NULL), &p, &d) == QJ_OK);
		ck_assert_str_eq(p.sig_method, SIG_ECDSA_SHA256);
		sig = sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
		ck_assert_int_eq(sig[0], 0x30);	/* DER, as OpenSSL makes it */
		qj_buf_reset(&out);
		ck_assert_msg(qj_xades_complete(T, p.skeleton, p.skeleton_len,
		    sig, siglen, &ex, &out, &res, &d) == QJ_OK, "%s: %s: %s",
		    whos[i], d.type, d.detail);
		ck_assert_str_eq(res.signer.key, i == 0 ? "EC P-256" :
		    "EC P-384");
		ck_assert_str_eq(res.role, "");
		qj_sig_result_free(&res);
		/* The stored SignatureValue is r||s, not DER. */
		ck_assert(qj_ecdsa_der_to_raw(sig, siglen, halves[i], raw) == 0);
		{
			struct qj_buf b = QJ_BUF_INIT;

			qj_base64_encode(raw, 2 * halves[i], &b);
			ck_assert(strstr(out.data, b.data) != NULL);
			qj_buf_free(&b);
		}
		/* r||s is accepted as is, too. */
		qj_buf_reset(&out);
		ck_assert(qj_xades_complete(T, p.skeleton, p.skeleton_len, raw,
		    2 * halves[i], &ex, &out, NULL, &d) == QJ_OK);
		free(sig);
		qj_sig_prepared_free(&p);
		X509_free(cert);
		EVP_PKEY_free(key);
	}
	qj_buf_free(&out);
}
END_TEST

/*
 * The bytes prepare() tells the client to sign are byte for byte what
 * xmlsec canonicalises while verifying the finished signature in place.
 */
START_TEST(tbs_equals_xmlsec_c14n)
{
	static const char	*whos[] = { "users/rector-rsa",
				    "users/rector-ec", "vectors/ec-p384" };
	struct qj_sig_prepared	 p;
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	unsigned char		*sig;
	size_t			 siglen;
	int			 i;

	for (i = 0; i < 3; i++) {
		X509 *cert = load_cert(whos[i]);
		EVP_PKEY *key = load_key(whos[i]);

		ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
		    QJ_COMMIT_APPROVAL, "rector & <chair> \"ü\"", time(NULL), &p,
		    &d) == QJ_OK);
		sig = sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
		qj_buf_reset(&out);
		ck_assert(qj_xades_assemble(p.skeleton, p.skeleton_len, sig,
		    siglen, &out, &d) == QJ_OK);
		memset(&ex, 0, sizeof(ex));
		ex.doc = DOC;
		ex.doc_len = strlen(DOC);
		ex.doc_uri = doc_uri;
		ex.keep_signed_info = 1;
		ck_assert_msg(qj_xades_verify(T, out.data, out.len, &ex, &res,
		    &d) == QJ_OK, "%s: %s", d.type, d.detail);
		ck_assert_uint_eq(res.signed_info.len, p.tbs_len);
		ck_assert(memcmp(res.signed_info.data, p.tbs, p.tbs_len) == 0);
		ck_assert_str_eq(res.role, "rector & <chair> \"ü\"");
		ck_assert_str_eq(res.signer.iin, i < 2 ? RECTOR_IIN :
		    APPLICANT_IIN);
		qj_sig_result_free(&res);
		free(sig);
		qj_sig_prepared_free(&p);
		X509_free(cert);
		EVP_PKEY_free(key);
	}
	qj_buf_free(&out);
}
END_TEST

/* The client side as a shell script would do it: openssl dgst -sign. */
START_TEST(openssl_cli_signatures)
{
	static const char	*whos[] = { "users/applicant-rsa",
				    "users/applicant-ec" };
	struct qj_sig_prepared	 p;
	struct qj_sig_expect	 ex;
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	char			 dir[64], cmd[512], path[128];
	char			*sig;
	size_t			 siglen;
	int			 i;

	tmpdir(dir, sizeof(dir));
	memset(&ex, 0, sizeof(ex));
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.iin = APPLICANT_IIN;
	for (i = 0; i < 2; i++) {
		X509 *cert = load_cert(whos[i]);

		ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
		    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &p, &d) == QJ_OK);
		snprintf(path, sizeof(path), "%s/tbs.bin", dir);
		spit(path, p.tbs, p.tbs_len);
		snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -sign "
		    CERTS "/%s.key -out %s/sig.bin %s/tbs.bin", whos[i], dir,
		    dir);
		ck_assert_int_eq(run_cmd(cmd), 0);
		snprintf(path, sizeof(path), "%s/sig.bin", dir);
		sig = slurp(path, &siglen);
		qj_buf_reset(&out);
		ck_assert_msg(qj_xades_complete(T, p.skeleton, p.skeleton_len,
		    sig, siglen, &ex, &out, NULL, &d) == QJ_OK, "%s: %s: %s",
		    whos[i], d.type, d.detail);
		free(sig);
		qj_sig_prepared_free(&p);
		X509_free(cert);
	}
	qj_buf_free(&out);
	rmtree(dir);
}
END_TEST

START_TEST(organisation_representative)
{
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct qj_diag		 d;
	char			*xml;
	size_t			 len;

	xml = make_sig("users/customer-rsa", QJ_COMMIT_ORIGIN, &len);
	memset(&ex, 0, sizeof(ex));
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.iin = CUSTOMER_IIN;
	ex.bin = CUSTOMER_BIN;
	ex.commitment = QJ_COMMIT_ORIGIN;
	ck_assert_msg(qj_xades_verify(T, xml, len, &ex, &res, &d) == QJ_OK,
	    "%s", d.detail);
	ck_assert_str_eq(res.signer.bin, CUSTOMER_BIN);
	ck_assert(strstr(res.signer.subject, "OU=BIN010340010009") != NULL);
	qj_sig_result_free(&res);
	/* The right person for another organisation is not enough. */
	ex.bin = "990440010005";
	ck_assert_int_eq(qj_xades_verify(T, xml, len, &ex, NULL, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-signer");
	/* Someone without any BIN cannot act for an organisation. */
	free(xml);
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ex.iin = APPLICANT_IIN;
	ex.bin = CUSTOMER_BIN;
	ck_assert_int_eq(qj_xades_verify(T, xml, len, &ex, NULL, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-signer");
	free(xml);
}
END_TEST

/* --- the acceptance cases ------------------------------------------------ */

START_TEST(document_byte_changed)
{
	char	*xml, *doc;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "VALID");
	doc = mutate(DOC, "2027-11-30", "2027-11-31");
	ck_slug(verify_with(T, xml, len, doc, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "sig-digest");
	free(doc);
	free(xml);
}
END_TEST

/* Flips one base64 character of the SignatureValue. */
static void
flip_signature_value(char *xml)
{
	char	*sv = strchr(strstr(xml, "<ds:SignatureValue"), '>') + 5;

	*sv = *sv == 'A' ? 'B' : 'A';
}

START_TEST(signature_value_changed)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	flip_signature_value(xml);
	ck_slug(verify(xml, len), "sig-value");
	free(xml);
	/* The same for ECDSA. */
	xml = make_sig("users/applicant-ec", QJ_COMMIT_ORIGIN, &len);
	flip_signature_value(xml);
	ck_slug(verify(xml, len), "sig-value");
	free(xml);
}
END_TEST

START_TEST(lookalike_ca)
{
	char	*xml, *xml2, *cert, *withchain, *chain;
	size_t	 len;

	xml = make_sig("vectors/lookalike/applicant-rsa", QJ_COMMIT_ORIGIN,
	    &len);
	ck_slug(verify(xml, len), "sig-chain");
	/* Also when the look-alike intermediate rides along in X509Data. */
	chain = cert_b64("vectors/lookalike/intermediate");
	cert = malloc(strlen(chain) + 4096);
	sprintf(cert, "</ds:X509Certificate><ds:X509Certificate>%s"
	    "</ds:X509Certificate>", chain);
	withchain = mutate(xml, "</ds:X509Certificate>", cert);
	ck_slug(verify(withchain, strlen(withchain)), "sig-chain");
	/* And with the look-alike root as well. */
	free(chain);
	chain = cert_b64("vectors/lookalike/root");
	sprintf(cert, "</ds:X509Certificate><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data>", chain);
	xml2 = mutate(withchain, "</ds:X509Certificate></ds:X509Data>", cert);
	ck_slug(verify(xml2, strlen(xml2)), "sig-chain");
	free(xml2);
	free(withchain);
	free(chain);
	free(cert);
	free(xml);
}
END_TEST

/* <ds:KeyInfo><ds:KeyValue> of the attacker's key, without the end tag. */
static void
attacker_keyvalue(struct qj_buf *kv)
{
	EVP_PKEY	*evil = load_key("vectors/other-rsa");
	BIGNUM		*nb = NULL, *eb = NULL;
	unsigned char	 buf[1024];
	int		 n;

	ck_assert(EVP_PKEY_get_bn_param(evil, OSSL_PKEY_PARAM_RSA_N, &nb));
	ck_assert(EVP_PKEY_get_bn_param(evil, OSSL_PKEY_PARAM_RSA_E, &eb));
	qj_buf_puts(kv, "<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>");
	n = BN_bn2bin(nb, buf);
	qj_base64_encode(buf, (size_t)n, kv);
	qj_buf_puts(kv, "</ds:Modulus><ds:Exponent>");
	n = BN_bn2bin(eb, buf);
	qj_base64_encode(buf, (size_t)n, kv);
	qj_buf_puts(kv, "</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>");
	BN_free(nb);
	BN_free(eb);
	EVP_PKEY_free(evil);
}

/* The applicant's signature re-signed by the attacker, key as KeyValue. */
static char *
keyvalue_only_sig(size_t *len)
{
	struct qj_buf	 kv = QJ_BUF_INIT;
	char		*xml, *ks, *ke, *old, *b, *a;

	attacker_keyvalue(&kv);
	qj_buf_puts(&kv, "</ds:KeyInfo>");
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, len);
	ks = strstr(xml, "<ds:KeyInfo>");
	ke = strstr(xml, "</ds:KeyInfo>") + 13;
	old = strndup(ks, (size_t)(ke - ks));
	b = mutate(xml, old, kv.data);
	a = sign_again(b, DOC, "vectors/other-rsa", len);
	free(old);
	free(b);
	free(xml);
	qj_buf_free(&kv);
	return (a);
}

/* The attacker's own key as KeyValue, the legitimate certificate or none. */
START_TEST(key_only_as_keyvalue)
{
	struct qj_buf	 kv = QJ_BUF_INIT;
	char		*xml, *a, *b;
	size_t		 len;

	/* 1: KeyValue only, signed by the attacker's key. */
	a = keyvalue_only_sig(&len);
	ck_slug(verify(a, len), "sig-key-source");
	free(a);
	/* 2: KeyValue first, then the applicant's real certificate. */
	attacker_keyvalue(&kv);
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = mutate(xml, "<ds:KeyInfo>", kv.data);
	b = sign_again(a, DOC, "vectors/other-rsa", &len);
	ck_slug(verify(b, len), "sig-key-source");
	free(a);
	free(b);
	/* 3: a KeyName. */
	a = mutate(xml, "<ds:KeyInfo>", "<ds:KeyInfo><ds:KeyName>applicant"
	    "</ds:KeyName>");
	ck_slug(verify(a, strlen(a)), "sig-key-source");
	free(a);
	free(xml);
	qj_buf_free(&kv);
}
END_TEST

START_TEST(revoked)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/revoked-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-revoked");
	free(xml);
}
END_TEST

START_TEST(crl_missing)
{
	struct qj_trust	*t = trust_with_crls(CERTS "/crl/root.crl.pem", NULL);
	struct qj_trust	*t2 = trust_with_crls(NULL, NULL);
	struct qj_trust	*t3;
	struct qj_diag	 d;
	char		*xml;
	size_t		 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify_with(t, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "sig-crl-missing");
	ck_slug(verify_with(t2, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "sig-crl-missing");
	/* Only the leaf's CRL: the intermediate has none (CRL_CHECK_ALL). */
	t3 = trust_with_crls(CERTS "/crl/intermediate.crl.pem", NULL);
	ck_slug(verify_with(t3, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "sig-crl-missing");
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "VALID");
	/* A CRL signed by nobody we trust is a configuration error. */
	qj_trust_free(t);
	ck_assert(qj_trust_new(&t) == QJ_OK);
	ck_assert(qj_trust_add_anchors(t, CERTS "/trust", &d) == QJ_OK);
	ck_assert(qj_trust_add_crls(t, CERTS "/crl", &d) == QJ_OK);
	ck_assert_int_eq(qj_trust_freeze(t, &d), QJ_EIO);
	ck_assert_str_eq(d.type, "trust-config");
	qj_trust_free(t);
	qj_trust_free(t2);
	qj_trust_free(t3);
	free(xml);
}
END_TEST

START_TEST(crl_stale)
{
	struct qj_trust	*t = trust_with_crls(CERTS "/crl/root.crl.pem",
			    CERTS "/vectors/stale/intermediate.crl.pem");
	char		*xml;
	size_t		 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify_with(t, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "sig-crl-stale");
	/* Fresh when checked at a time before its nextUpdate (2025-06-01). */
	free(xml);
	xml = make_sig_doc("users/applicant-rsa", DOC, doc_uri,
	    QJ_COMMIT_ORIGIN, 1746057600 /* 2025-05-01 */, &len);
	ck_slug(verify_with(t, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "VALID");
	/* The current CRL says the same document is fine; the memo of T
	   holds nothing that could leak into t (separate objects). */
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "VALID");
	qj_trust_free(t);
	free(xml);
}
END_TEST

START_TEST(cert_expired)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/expired-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-cert-expired");
	free(xml);
	/* A valid certificate checked after its end, at an explicit time. */
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	{
		struct qj_sig_expect	ex;
		struct qj_diag		d;

		memset(&ex, 0, sizeof(ex));
		ex.doc = DOC;
		ex.doc_len = strlen(DOC);
		ex.doc_uri = doc_uri;
		ex.at = 1924992000;	/* 2031-01-01 */
		ck_slug(slug_of(qj_xades_verify(T, xml, len, &ex, NULL, &d),
		    &d), "sig-cert-expired");
	}
	free(xml);
}
END_TEST

START_TEST(cert_not_yet_valid)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/notyet-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-cert-not-yet-valid");
	free(xml);
}
END_TEST

START_TEST(another_users_certificate)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/other-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-signer");
	/* It is a valid signature, just not the applicant's. */
	ck_slug(verify_with(T, xml, len, DOC, "000101500011", QJ_COMMIT_ANY,
	    NULL), "VALID");
	free(xml);
	xml = make_sig("users/rector-rsa", QJ_COMMIT_APPROVAL, &len);
	ck_slug(verify(xml, len), "sig-signer");
	free(xml);
}
END_TEST

START_TEST(sha1_signature_method)
{
	char	*xml, *a, *b;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = mutate(xml, SIG_RSA_SHA256,
	    "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-algorithm");
	free(a);
	free(b);
	free(xml);
}
END_TEST

START_TEST(sha1_digest)
{
	char	*xml, *a, *b;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	/* The document Reference's digest. */
	a = mutate_after(xml, "<ds:Reference Id=", SIG_SHA256,
	    "http://www.w3.org/2000/09/xmldsig#sha1");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-algorithm");
	free(a);
	free(b);
	/* MD5 for the SignedProperties Reference. */
	a = mutate_after(xml, "URI=\"#xades-", SIG_SHA256,
	    "http://www.w3.org/2001/04/xmldsig-more#md5");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-algorithm");
	free(a);
	free(b);
	/* SHA-1 in SigningCertificateV2's CertDigest (SHA-1 of the cert). */
	{
		X509 *x = load_cert("users/applicant-rsa");
		unsigned char md[20];
		unsigned int n = 20;
		struct qj_buf bb = QJ_BUF_INIT;
		char *p = strstr(strstr(xml, "<xades:CertDigest>"),
		    "<ds:DigestValue>") + 16, *e = strchr(p, '<');
		char *old = strndup(p, (size_t)(e - p));

		X509_digest(x, EVP_sha1(), md, &n);
		qj_base64_encode(md, n, &bb);
		a = mutate_after(xml, "<xades:CertDigest>", SIG_SHA256,
		    "http://www.w3.org/2000/09/xmldsig#sha1");
		b = mutate(a, old, bb.data);
		free(a);
		a = sign_again(b, DOC, "users/applicant-rsa", &len);
		ck_slug(verify(a, len), "sig-algorithm");
		free(a);
		free(b);
		free(old);
		qj_buf_free(&bb);
		X509_free(x);
	}
	free(xml);
}
END_TEST

START_TEST(sha1_signed_certificate)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/sha1-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-algorithm");
	free(xml);
}
END_TEST

START_TEST(rsa_1024)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/rsa1024", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-weak-key");
	free(xml);
}
END_TEST

START_TEST(secp256k1)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/ec-secp256k1", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-weak-key");
	free(xml);
}
END_TEST

START_TEST(no_key_usage)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("vectors/nokeyusage-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify(xml, len), "sig-key-usage");
	free(xml);
}
END_TEST

/* Method/key mismatch: an EC certificate under rsa-sha256. */
START_TEST(method_key_mismatch)
{
	char	*xml, *a;
	size_t	 len;

	xml = make_sig("users/applicant-ec", QJ_COMMIT_ORIGIN, &len);
	a = mutate(xml, SIG_ECDSA_SHA256, SIG_RSA_SHA256);
	ck_slug(verify(a, strlen(a)), "sig-algorithm");
	free(a);
	free(xml);
}
END_TEST

START_TEST(two_references)
{
	char	*xml, *a, *b, *ref;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	/* A third Reference, to the same document under another URI. */
	ref = malloc(512);
	snprintf(ref, 512, "<ds:Reference URI=\"documents/other.xml\">"
	    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<ds:DigestValue>AA==</ds:DigestValue></ds:Reference>\n"
	    "</ds:SignedInfo>");
	a = mutate(xml, "</ds:SignedInfo>", ref);
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* A third Reference to the very document (served, right digest):
	   only the count tells it apart. */
	snprintf(ref, 512, "<ds:Reference URI=\"%s\">"
	    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<ds:DigestValue>AA==</ds:DigestValue></ds:Reference>"
	    "</ds:SignedInfo>", doc_uri);
	a = mutate(xml, "</ds:SignedInfo>", ref);
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* Two data References and no SignedProperties one. */
	a = mutate(xml, "Type=\"" SIG_PROPS_TYPE "\" ", "");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* The enveloped format: a second Reference next to URI="". */
	a = ncalayer_template("users/applicant-rsa",
	    "<ds:Reference URI=\"#x\"><ds:DigestMethod Algorithm=\""
	    SIG_SHA256 "\"/><ds:DigestValue>AA==</ds:DigestValue>"
	    "</ds:Reference>", NULL);
	b = sign_again(a, "", "users/applicant-rsa", &len);
	ck_slug(verify_env(T, b, len, NULL, NULL), "sig-references");
	free(a);
	free(b);
	free(ref);
	free(xml);
}
END_TEST

START_TEST(wrong_references)
{
	char	*xml, *a, *b;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	/* Signed for another document URI. */
	a = mutate(xml, doc_uri, "documents/0000.xml");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* A file or network URI is never resolved, whatever it is. */
	a = mutate(xml, doc_uri, "file:///etc/hostname");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* The SignedProperties Reference pointing elsewhere. */
	a = mutate(xml, "URI=\"#xades-", "URI=\"#ref-doc-");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	free(xml);
}
END_TEST

START_TEST(transforms_refused)
{
	char	*xml, *a, *b;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	/* XPath on the SignedProperties Reference. */
	a = mutate(xml, "<ds:Transform Algorithm=\"" SIG_C14N_EXCL "\"/>",
	    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/"
	    "REC-xpath-19991116\"><ds:XPath>1</ds:XPath></ds:Transform>");
	b = sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-transform");
	free(a);
	free(b);
	/* XSLT. */
	a = mutate(xml, SIG_C14N_EXCL "\"/></ds:Transforms>",
	    "http://www.w3.org/TR/1999/REC-xslt-19991116\"/></ds:Transforms>");
	ck_slug(verify(a, strlen(a)), "sig-transform");
	free(a);
	/* Any transform on the detached document. */
	a = mutate(xml, "<ds:DigestMethod", "<ds:Transforms><ds:Transform "
	    "Algorithm=\"" SIG_C14N_10 "\"/></ds:Transforms><ds:DigestMethod");
	ck_slug(verify(a, strlen(a)), "sig-transform");
	free(a);
	/* An unknown SignedInfo canonicalisation. */
	a = mutate(xml, "CanonicalizationMethod Algorithm=\"" SIG_C14N_EXCL,
	    "CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/"
	    "xml-c14n11");
	ck_slug(verify(a, strlen(a)), "sig-transform");
	free(a);
	/* HMAC as a signature method. */
	a = mutate(xml, SIG_RSA_SHA256,
	    "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256");
	ck_slug(verify(a, strlen(a)), "sig-algorithm");
	free(a);
	free(xml);
}
END_TEST

START_TEST(signature_count_and_shape)
{
	char	*xml, *a, *b;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	/* No signature at all. */
	ck_slug(verify(DOC, strlen(DOC)), "sig-count");
	/* A second signature nested in the Object. */
	a = mutate(xml, "</ds:Object>", "<ds:Signature/></ds:Object>");
	ck_slug(verify(a, strlen(a)), "sig-count");
	free(a);
	/* Prefix games do not change the count: it is by namespace. */
	a = mutate(xml, "<ds:Object>", "<ds:Object><x:Signature xmlns:x=\""
	    SIG_NS_DS "\"/>");
	ck_slug(verify(a, strlen(a)), "sig-count");
	free(a);
	b = mutate(xml, "</ds:Object>", "<ds2:Signature xmlns:ds2=\"urn:x\"/>"
	    "</ds:Object>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(b);
	/* A detached signature inside some other root. */
	a = mutate(xml, "<ds:Signature", "<wrapper><ds:Signature");
	b = mutate(a, "</ds:Signature>", "</ds:Signature></wrapper>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(a);
	free(b);
	/* Unknown element in ds:Signature. */
	a = mutate(xml, "<ds:Object>", "<junk/><ds:Object>");
	ck_slug(verify(a, strlen(a)), "sig-malformed");
	free(a);
	free(xml);
}
END_TEST

/* XAdES semantics: each defect re-signed so only the policy can see it. */
START_TEST(xades_properties)
{
	struct {
		const char	*from, *to, *slug;
	} cases[] = {
		{ "Target=\"#sig-", "Target=\"#sig-x", "sig-xades" },
		{ "<xades:SigningTime>", "<xades:SigningTime>x", "sig-xades" },
		{ "ObjectReference=\"#ref-doc-", "ObjectReference=\"#ref-",
		    "sig-xades" },
		{ "<xades:MimeType>text/xml</xades:MimeType>", "", "sig-xades" },
		{ "#ProofOfOrigin", "#ProofOfSender", "sig-commitment" },
		{ "<ds:Reference Id=\"ref-doc-", "<ds:Reference Id=\"ref-docx-",
		    "sig-xades" },
		{ "<xades:SignedSignatureProperties>",
		    "<xades:SignedSignatureProperties><xades:SigningCertificate/>",
		    "sig-xades" },
	};
	char	*xml, *a, *b;
	size_t	 len, i;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	for (i = 0; i < QJ_NELEM(cases); i++) {
		a = mutate(xml, cases[i].from, cases[i].to);
		b = sign_again(a, DOC, "users/applicant-rsa", &len);
		ck_assert_msg(strcmp(verify(b, len), cases[i].slug) == 0,
		    "case %zu: expected %s; %s", i, cases[i].slug, last_detail);
		free(a);
		free(b);
	}
	/* SigningCertificateV2 naming another certificate (rector's). */
	{
		X509 *r = load_cert("users/rector-rsa");
		unsigned char md[32];
		unsigned int n = 32;
		struct qj_buf bb = QJ_BUF_INIT;
		char *p = strstr(strstr(xml, "<xades:CertDigest>"),
		    "<ds:DigestValue>") + 16, *e = strchr(p, '<');
		char *old = strndup(p, (size_t)(e - p));

		X509_digest(r, EVP_sha256(), md, &n);
		qj_base64_encode(md, n, &bb);
		a = mutate(xml, old, bb.data);
		b = sign_again(a, DOC, "users/applicant-rsa", &len);
		ck_slug(verify(b, len), "sig-xades");
		free(a);
		free(b);
		free(old);
		qj_buf_free(&bb);
		X509_free(r);
	}
	/* Missing CommitmentTypeIndication. */
	{
		char *s = strstr(xml, "<xades:CommitmentTypeIndication>");
		char *e = strstr(s, "</xades:CommitmentTypeIndication>") +
		    strlen("</xades:CommitmentTypeIndication>");
		char *cut = strndup(s, (size_t)(e - s));

		a = mutate(xml, cut, "");
		b = sign_again(a, DOC, "users/applicant-rsa", &len);
		ck_slug(verify(b, len), "sig-commitment");
		free(a);
		free(b);
		free(cut);
	}
	/* A SigningTime in the future. */
	free(xml);
	xml = make_sig_doc("users/applicant-rsa", DOC, doc_uri,
	    QJ_COMMIT_ORIGIN, time(NULL) + 86400, &len);
	ck_slug(verify(xml, len), "sig-xades");
	free(xml);
	/* SignedProperties changed after signing (not re-signed). */
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = mutate(xml, "applicant@fpe</xades:ClaimedRole>",
	    "rector@univ</xades:ClaimedRole>");
	ck_slug(verify(a, strlen(a)), "sig-xades");
	free(a);
	free(xml);
}
END_TEST

START_TEST(expected_commitment)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_RECEIPT, &len);
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_RECEIPT,
	    NULL), "VALID");
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN,
	    QJ_COMMIT_APPROVAL, NULL), "sig-commitment");
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ORIGIN,
	    NULL), "sig-commitment");
	free(xml);
}
END_TEST

START_TEST(hostile_xml)
{
	static const char doctype[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE ds:Signature []>"
	    "<ds:Signature xmlns:ds=\"" SIG_NS_DS "\"/>";
	static const char xxe[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><ds:Signature xmlns:ds=\"" SIG_NS_DS
	    "\">&x;</ds:Signature>";
	struct qj_buf	 lol = QJ_BUF_INIT, big = QJ_BUF_INIT;
	struct qj_sig_expect ex;
	struct qj_diag	 d;
	struct timespec	 t0, t1;
	char		*xml;
	size_t		 len;
	int		 i, j;
	double		 secs;

	ck_slug(verify(doctype, strlen(doctype)), "xml-doctype");
	ck_slug(verify(xxe, strlen(xxe)), "xml-doctype");
	/* Billion laughs: refused before a single expansion. */
	qj_buf_puts(&lol, "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol "
	    "\"lol\">");
	for (i = 1; i < 10; i++) {
		qj_buf_printf(&lol, "<!ENTITY lol%d \"", i);
		for (j = 0; j < 10; j++)
			qj_buf_printf(&lol, "&lol%s;", i == 1 ? "" :
			    (char[]){ (char)('0' + i - 1), 0 });
		qj_buf_puts(&lol, "\">");
	}
	qj_buf_puts(&lol, "]><lolz>&lol9;</lolz>");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_slug(verify(lol.data, lol.len), "xml-doctype");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs < 1.0, "billion laughs took %.3f s", secs);
	/* Over the size limit: QJ_ELIMIT before parsing. */
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	memset(&ex, 0, sizeof(ex));
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.max_bytes = len - 1;
	ck_assert_int_eq(qj_xades_verify(T, xml, len, &ex, NULL, &d),
	    QJ_ELIMIT);
	ck_assert_str_eq(d.type, "xml-too-large");
	ex.max_bytes = 0;
	qj_buf_append(&big, xml, len);
	while (big.len <= QJ_XML_MAX_BYTES_DEFAULT)
		qj_buf_puts(&big, "<!-- padding padding padding padding -->\n");
	ck_assert_int_eq(qj_xades_verify(T, big.data, big.len, &ex, NULL, &d),
	    QJ_ELIMIT);
	ck_assert_str_eq(d.type, "xml-too-large");
	/* Malformed XML is QJ_EINVAL. */
	ck_assert_int_eq(qj_xades_verify(T, xml, len / 2, &ex, NULL, &d),
	    QJ_EINVAL);
	ck_assert_str_eq(d.type, "xml-malformed");
	free(xml);
	qj_buf_free(&lol);
	qj_buf_free(&big);
}
END_TEST

/* --- NCALayer's enveloped format ------------------------------------------ */

START_TEST(ncalayer_positive)
{
	struct qj_sig_result	 res;
	struct qj_buf		 c = QJ_BUF_INIT;
	xmlDocPtr		 doc;
	char			*xml;
	size_t			 len;

	xml = make_ncalayer("users/applicant-rsa", &len);
	ck_slug(verify_env(T, xml, len, DOC, &res), "VALID");
	ck_assert_str_eq(res.signer.iin, APPLICANT_IIN);
	ck_assert_int_eq(res.commitment, QJ_COMMIT_ANY);
	ck_assert_int_eq(res.signing_time, 0);
	/* The digested bytes are the document without the signature, in
	   C14N (the comment is gone: URI="" drops comments). */
	ck_assert(qj_xml_parse(DOC, strlen(DOC), 0, &doc, NULL) == QJ_OK);
	ck_assert(qj_xml_c14n(doc, QJ_C14N_10, &c) == QJ_OK);
	ck_assert_uint_eq(res.signed_bytes.len, c.len);
	ck_assert(memcmp(res.signed_bytes.data, c.data, c.len) == 0);
	ck_assert(strstr(res.signed_bytes.data, "<!--") == NULL);
	ck_assert(strstr(res.signed_bytes.data, "Signature") == NULL);
	xmlFreeDoc(doc);
	qj_buf_free(&c);
	qj_sig_result_free(&res);
	/* Without an expected document it verifies too. */
	ck_slug(verify_env(T, xml, len, NULL, NULL), "VALID");
	free(xml);
	/* A form's own repeated "id" attributes are not XML IDs: fine. */
	{
		char *t = ncalayer_template("users/applicant-rsa", NULL, NULL);
		char *u = mutate(t, "<period ", "<x id=\"1\"/><x id=\"1\"/>"
		    "<period ");

		xml = sign_again(u, "", "users/applicant-rsa", &len);
		ck_slug(verify_env(T, xml, len, NULL, NULL), "VALID");
		free(xml);
		free(u);
		/* ...but a repeated xml:id is. */
		u = mutate(t, "<period ", "<x xml:id=\"a\"/><x xml:id=\"a\"/>"
		    "<period ");
		xml = sign_again(u, "", "users/applicant-rsa", &len);
		ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-wrapping");
		free(xml);
		free(u);
		free(t);
	}
}
END_TEST

START_TEST(ncalayer_negative)
{
	char	*xml, *a, *b, *doc;
	size_t	 len;

	xml = make_ncalayer("users/applicant-rsa", &len);
	/* The signed text changed. */
	a = mutate(xml, "2027-11-30", "2027-11-31");
	ck_slug(verify_env(T, a, strlen(a), NULL, NULL), "sig-digest");
	free(a);
	/* Valid, but not over the document the caller expects. */
	doc = mutate(DOC, "2027-11-30", "2027-11-31");
	ck_slug(verify_env(T, xml, len, doc, NULL), "sig-digest");
	free(doc);
	/* Signature value. */
	a = mutate(xml, "<ds:SignatureValue>", "<ds:SignatureValue>AAAA");
	ck_slug(verify_env(T, a, strlen(a), NULL, NULL), "sig-value");
	free(a);
	/* Another person's certificate. */
	free(xml);
	xml = make_ncalayer("vectors/other-rsa", &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-signer");
	free(xml);
	/* A revoked one. */
	xml = make_ncalayer("vectors/revoked-rsa", &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-revoked");
	/* The ds:Signature not the root's last child. */
	a = mutate(xml, "</ds:Signature>", "</ds:Signature><tail/>");
	ck_slug(verify_env(T, a, strlen(a), NULL, NULL), "sig-wrapping");
	free(a);
	/* An XPath transform instead of the c14n one. */
	free(xml);
	a = ncalayer_template("users/applicant-rsa", NULL, NULL);
	b = mutate(a, "<ds:Transform Algorithm=\"" SIG_C14N_10_WC "\"/>",
	    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/"
	    "REC-xpath-19991116\"><ds:XPath>not(ancestor-or-self::reason)"
	    "</ds:XPath></ds:Transform>");
	xml = sign_again(b, "", "users/applicant-rsa", &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-transform");
	free(a);
	free(b);
	free(xml);
	/* No enveloped-signature transform. */
	a = ncalayer_template("users/applicant-rsa", NULL, NULL);
	b = mutate(a, "<ds:Transform Algorithm=\"" SIG_TR_ENVELOPED "\"/>", "");
	ck_slug(verify_env(T, b, strlen(b), NULL, NULL), "sig-transform");
	free(a);
	free(b);
	/* A detached signature is not an enveloped one, and vice versa. */
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-wrapping");
	free(xml);
	xml = make_ncalayer("users/applicant-rsa", &len);
	ck_slug(verify(xml, len), "sig-wrapping");
	free(xml);
}
END_TEST

/*
 * Wrapping: the signed <application> moved into ds:Object (an Id makes it
 * addressable), a forged one put where the application reads; variants
 * with an Id reference, with the original Reference URI="", with the whole
 * signed document nested under a new root, and with a duplicate Id.
 */
START_TEST(wrapping)
{
	static const char forged[] =
	    "<application xmlns=\"urn:qujat:form:academic-leave:1\" "
	    "version=\"1\">\n  <applicant iin=\"980412410006\">Нұрланова "
	    "Айгерім Серікқызы</applicant>\n  <reason code=\"other\">"
	    "стипендия / scholarship</reason>\n";
	struct qj_buf	 w = QJ_BUF_INIT;
	char		*xml, *a, *b, *sig, *orig;
	size_t		 len;

	/* Id-based: sign <application Id="app-1"> by reference. */
	a = mutate(DOC, "version=\"1\"", "version=\"1\" Id=\"app-1\"");
	orig = strdup(a);
	free(a);
	xml = make_ncalayer("users/applicant-rsa", &len);
	sig = strstr(xml, "<ds:Signature");
	/* Build: forged root content + signature whose Object holds the
	   original (now the Reference target) and Reference URI="#app-1". */
	qj_buf_puts(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	qj_buf_puts(&w, forged);
	qj_buf_append(&w, sig, (size_t)(strstr(sig, "</ds:KeyInfo>") - sig));
	qj_buf_puts(&w, "</ds:KeyInfo><ds:Object>");
	qj_buf_append(&w, strstr(orig, "<application"),
	    strlen(strstr(orig, "<application")) - 1);
	qj_buf_puts(&w, "</ds:Object></ds:Signature></application>\n");
	a = mutate(w.data, "<ds:Reference URI=\"\">",
	    "<ds:Reference URI=\"#app-1\">");
	b = mutate(a, "<ds:Transform Algorithm=\"" SIG_TR_ENVELOPED "\"/>", "");
	free(a);
	a = sign_again(b, "", "users/applicant-rsa", &len);
	ck_slug(verify_env(T, a, len, NULL, NULL), "sig-wrapping");
	free(a);
	free(b);
	/* Same, but keeping Reference URI="" and the enveloped transform. */
	a = sign_again(w.data, "", "users/applicant-rsa", &len);
	ck_slug(verify_env(T, a, len, NULL, NULL), "sig-wrapping");
	free(a);
	/* The genuine signed document nested under a forged root. */
	qj_buf_reset(&w);
	qj_buf_puts(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<outer>");
	qj_buf_puts(&w, forged);
	qj_buf_puts(&w, "</application>");
	qj_buf_puts(&w, strstr(xml, "<application"));
	qj_buf_puts(&w, "</outer>\n");
	ck_slug(verify_env(T, w.data, w.len, NULL, NULL), "sig-wrapping");
	/* Duplicate Id: another element shares the data Reference's Id. */
	free(xml);
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	{
		char id[80];
		char *p = strstr(xml, "Id=\"ref-doc-") + 4;
		char *e = strchr(p, '"');

		snprintf(id, sizeof(id), "<ds:SignedInfo Id=\"%.*s\">",
		    (int)(e - p), p);
		a = mutate(xml, "<ds:SignedInfo>", id);
		ck_slug(verify(a, strlen(a)), "sig-wrapping");
		free(a);
	}
	/* Foreign content next to QualifyingProperties in ds:Object. */
	b = mutate(xml, "<ds:Object>", "<ds:Object><application Id=\"x\"/>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(b);
	b = mutate(xml, "</ds:Object>", "</ds:Object><ds:Object/>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(b);
	free(xml);
	free(orig);
	qj_buf_free(&w);
}
END_TEST

START_TEST(ecdsa_der_conversion)
{
	unsigned char	der[80], raw[64];
	ECDSA_SIG	*s = ECDSA_SIG_new();
	BIGNUM		*r = BN_new(), *ss = BN_new();
	unsigned char	*p = der;
	int		 n;

	BN_set_word(r, 0x0102);
	BN_set_word(ss, 0xff);
	ECDSA_SIG_set0(s, r, ss);
	n = i2d_ECDSA_SIG(s, &p);
	ck_assert(qj_ecdsa_der_to_raw(der, (size_t)n, 32, raw) == 0);
	ck_assert_int_eq(raw[30], 0x01);
	ck_assert_int_eq(raw[31], 0x02);
	ck_assert_int_eq(raw[63], 0xff);
	ck_assert_int_eq(raw[0], 0);
	/* Trailing garbage, truncation, a raw value: not DER. */
	der[n] = 0;
	ck_assert(qj_ecdsa_der_to_raw(der, (size_t)n + 1, 32, raw) == -1);
	ck_assert(qj_ecdsa_der_to_raw(der, (size_t)n - 1, 32, raw) == -1);
	memset(raw, 0x42, sizeof(raw));
	ck_assert(qj_ecdsa_der_to_raw(raw, 64, 32, raw) == -1);
	/* r longer than the half. */
	ck_assert(qj_ecdsa_der_to_raw(der, (size_t)n, 1, raw) == -1);
	ECDSA_SIG_free(s);
}
END_TEST

START_TEST(prepare_arguments)
{
	struct qj_sig_prepared	 p;
	struct qj_diag		 d;
	X509			*cert = load_cert("users/applicant-rsa");

	ck_assert_int_eq(qj_xades_prepare(DOC, strlen(DOC), "#x", cert,
	    QJ_COMMIT_ORIGIN, NULL, time(NULL), &p, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_prepare(DOC, strlen(DOC), "../etc/x", cert,
	    QJ_COMMIT_ORIGIN, NULL, time(NULL), &p, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_prepare(DOC, strlen(DOC), "a\"b", cert,
	    QJ_COMMIT_ORIGIN, NULL, time(NULL), &p, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
	    QJ_COMMIT_ANY, NULL, time(NULL), &p, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
	    QJ_COMMIT_ORIGIN, "bad\001role", time(NULL), &p, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
	    QJ_COMMIT_ORIGIN, "\xff\xfe", time(NULL), &p, &d), QJ_EINVAL);
	X509_free(cert);
}
END_TEST

/* --- trust.c on its own --------------------------------------------------- */

START_TEST(trust_identity_and_memo)
{
	struct qj_trust	*t = trust_with_crls(CERTS "/crl", NULL);
	struct qj_signer w;
	struct qj_diag	 d;
	X509		*x = load_cert("users/customer-ec");
	time_t		 now = time(NULL);
	unsigned long	 h0;

	ck_assert(qj_trust_verify(t, x, NULL, now, &w, &d) == QJ_OK);
	ck_assert_str_eq(w.iin, CUSTOMER_IIN);
	ck_assert_str_eq(w.bin, CUSTOMER_BIN);
	ck_assert_str_eq(w.key, "EC P-256");
	ck_assert(strstr(w.issuer, "CN=Qujat Demo Issuing CA (RSA)") != NULL);
	h0 = qj_trust_cache_hits(t);
	ck_assert(qj_trust_verify(t, x, NULL, now + 60, &w, &d) == QJ_OK);
	ck_assert_uint_eq(qj_trust_cache_hits(t), h0 + 1);
	/* Outside the window the memo does not answer: a full check fails. */
	ck_assert_int_eq(qj_trust_verify(t, x, NULL, 1924992000, &w, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-cert-expired");
	ck_assert_uint_eq(qj_trust_cache_hits(t), h0 + 1);
	/* The memo holds only inside its window: a CRL that was fresh in May
	   2025 is stale now, and a verdict from May must not answer. */
	{
		struct qj_trust *st = trust_with_crls(CERTS "/crl/root.crl.pem",
		    CERTS "/vectors/stale/intermediate.crl.pem");

		ck_assert(qj_trust_verify(st, x, NULL, 1747267200 /* 2025-05-15 */,
		    &w, &d) == QJ_OK);
		ck_assert(qj_trust_verify(st, x, NULL, 1747353600, &w, &d) ==
		    QJ_OK);
		ck_assert_uint_eq(qj_trust_cache_hits(st), 1);
		ck_assert_int_eq(qj_trust_verify(st, x, NULL, now, &w, &d),
		    QJ_EUNPROC);
		ck_assert_str_eq(d.type, "sig-crl-stale");
		qj_trust_free(st);
	}
	/* PEM, DER and base64 parse alike. */
	{
		size_t n;
		char *pem = slurp(CERTS "/users/customer-ec.pem", &n);
		X509 *y = NULL;

		ck_assert(qj_cert_parse(pem, n, &y, &d) == QJ_OK);
		ck_assert_int_eq(X509_cmp(x, y), 0);
		X509_free(y);
		ck_assert_int_eq(qj_cert_parse("garbage", 7, &y, &d),
		    QJ_EINVAL);
		free(pem);
	}
	X509_free(x);
	qj_trust_free(t);
}
END_TEST

/*
 * Guide section 1, pitfall 2: xmlsec's own X509 store must not trust the
 * system CA bundle, even when SSL_CERT_FILE names it.
 */
START_TEST(xmlsec_store_has_no_system_anchors)
{
	static const char	 bundle[] = "/etc/ssl/certs/ca-certificates.crt";
	struct qj_trust		*t;
	struct qj_diag		 d;
	xmlSecKeyDataStorePtr	 store;
	xmlSecKeyInfoCtxPtr	 kic;
	STACK_OF(X509)		*certs = sk_X509_new_null();
	X509			*sys, *root = load_cert("trust/root");
	BIO			*b;

	if (access(bundle, R_OK) != 0) {
		fprintf(stderr, "SKIP xmlsec_store_has_no_system_anchors: "
		    "no %s\n", bundle);
		return;
	}
	ck_assert((b = BIO_new_file(bundle, "r")) != NULL);
	ck_assert((sys = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL);
	BIO_free(b);
	setenv("SSL_CERT_FILE", bundle, 1);
	/* Anchors only, so the store has nothing but our root. */
	ck_assert(qj_trust_new(&t) == QJ_OK);
	ck_assert(qj_trust_add_anchors(t, CERTS "/trust", &d) == QJ_OK);
	ck_assert(qj_trust_add_crls(t, CERTS "/crl/root.crl.pem", &d) ==
	    QJ_OK);
	ck_assert(qj_trust_freeze(t, &d) == QJ_OK);
	ck_assert_str_eq(getenv("SSL_CERT_FILE"), bundle);	/* restored */
	store = xmlSecKeysMngrGetDataStore(qj_trust_xmlsec_mngr(t),
	    xmlSecOpenSSLX509StoreId);
	kic = xmlSecKeyInfoCtxCreate(qj_trust_xmlsec_mngr(t));
	ck_assert(store != NULL && kic != NULL);
	sk_X509_push(certs, sys);
	ck_assert_msg(xmlSecOpenSSLX509StoreVerify(store, certs, NULL, kic) ==
	    NULL, "xmlsec trusts a system CA");
	/* Control: our own anchor is trusted by the same call. */
	sk_X509_pop(certs);
	sk_X509_push(certs, root);
	ck_assert(xmlSecOpenSSLX509StoreVerify(store, certs, NULL, kic) !=
	    NULL);
	xmlSecKeyInfoCtxDestroy(kic);
	sk_X509_free(certs);
	X509_free(sys);
	X509_free(root);
	qj_trust_free(t);
	unsetenv("SSL_CERT_FILE");
	ERR_clear_error();
}
END_TEST

static void
run_init(struct sig_xmlsec_run *run, xmlDocPtr doc, const char *uri,
    const char *data, EVP_PKEY *key)
{
	memset(run, 0, sizeof(*run));
	run->mngr = qj_trust_xmlsec_mngr(T);
	run->sig = xmlDocGetRootElement(doc);
	run->detached = 1;
	run->uri = uri;
	run->data = data;
	run->len = strlen(data);
	run->nrefs = 2;
	run->props_type = SIG_PROPS_TYPE;
	run->key = key;
}

/* The xmlsec layer alone serves nothing but the caller's bytes. */
START_TEST(xmlsec_io_is_confined)
{
	struct sig_xmlsec_run	 run;
	struct qj_diag		 d;
	xmlDocPtr		 doc;
	X509			*x = load_cert("users/applicant-rsa");
	char			*xml, *a;
	size_t			 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = mutate(xml, doc_uri, "/etc/hostname");
	free(xml);
	xml = sign_again(a, "", "users/applicant-rsa", &len);
	ck_assert(qj_xml_parse(xml, len, 0, &doc, NULL) == QJ_OK);
	/* DOC served under another name: /etc/hostname is not read. */
	run_init(&run, doc, doc_uri, DOC, X509_get0_pubkey(x));
	ck_assert_int_eq(sig_xmlsec_verify(&run, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-references");
	sig_xmlsec_run_free(&run);
	/* Served (as the empty file it was signed over): valid. */
	run_init(&run, doc, "/etc/hostname", "", X509_get0_pubkey(x));
	ck_assert_msg(sig_xmlsec_verify(&run, &d) == QJ_OK, "%s", d.detail);
	sig_xmlsec_run_free(&run);
	/* Without a key given, xmlsec takes it from X509Data itself. */
	run_init(&run, doc, "/etc/hostname", "", NULL);
	ck_assert_msg(sig_xmlsec_verify(&run, &d) == QJ_OK, "%s", d.detail);
	sig_xmlsec_run_free(&run);
	xmlFreeDoc(doc);
	free(a);
	free(xml);
	X509_free(x);
}
END_TEST

/*
 * Guide section 1, pitfall 1: left to itself, xmlsec 1.2 trusts a bare
 * KeyValue.  Our context must not, even without the policy in front.
 */
START_TEST(xmlsec_keyvalue_refused)
{
	struct sig_xmlsec_run	 run;
	struct qj_diag		 d;
	xmlDocPtr		 doc;
	EVP_PKEY		*evil = load_key("vectors/other-rsa");
	char			*xml;
	size_t			 len;

	xml = keyvalue_only_sig(&len);
	ck_assert(qj_xml_parse(xml, len, 0, &doc, NULL) == QJ_OK);
	/* Control: the signature itself is good for the attacker's key. */
	run_init(&run, doc, doc_uri, DOC, evil);
	ck_assert_msg(sig_xmlsec_verify(&run, &d) == QJ_OK, "%s", d.detail);
	sig_xmlsec_run_free(&run);
	run_init(&run, doc, doc_uri, DOC, NULL);
	ck_assert_int_eq(sig_xmlsec_verify(&run, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-key-source");
	sig_xmlsec_run_free(&run);
	xmlFreeDoc(doc);
	free(xml);
	EVP_PKEY_free(evil);
}
END_TEST

/* --- threads ------------------------------------------------------------------ */

struct thread_arg {
	const char	*xml;
	size_t		 len;
	struct qj_trust	*t;
	int		 ok;
	char		 why[800];
};

static void *
thread_main(void *p)
{
	struct thread_arg	*a = p;
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct qj_diag		 d;
	int			 i;

	memset(&ex, 0, sizeof(ex));
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.iin = APPLICANT_IIN;
	for (i = 0; i < 200; i++) {
		if (qj_xades_verify(a->t, a->xml, a->len, &ex, &res, &d) !=
		    QJ_OK || strcmp(res.signer.iin, APPLICANT_IIN) != 0) {
			snprintf(a->why, sizeof(a->why), "%d: %s: %s", i,
			    d.type, d.detail);
			return (NULL);
		}
		qj_sig_result_free(&res);
		a->ok++;
	}
	return (NULL);
}

START_TEST(threads_share_one_trust)
{
	struct qj_trust		*cold = trust_with_crls(CERTS "/crl", NULL);
	struct thread_arg	 args[4];
	pthread_t		 th[4];
	char			*xmls[2];
	size_t			 lens[2];
	int			 i;

	xmls[0] = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &lens[0]);
	xmls[1] = make_sig("users/applicant-ec", QJ_COMMIT_ORIGIN, &lens[1]);
	qj_trust_free(cold);
	ck_assert(qj_trust_new(&cold) == QJ_OK);
	qj_trust_set_cache(cold, 0);
	ck_assert(qj_trust_add_anchors(cold, CERTS "/trust", NULL) == QJ_OK);
	ck_assert(qj_trust_add_intermediates(cold, CERTS "/chain", NULL) ==
	    QJ_OK);
	ck_assert(qj_trust_add_crls(cold, CERTS "/crl", NULL) == QJ_OK);
	ck_assert(qj_trust_freeze(cold, NULL) == QJ_OK);
	for (i = 0; i < 4; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].xml = xmls[i % 2];
		args[i].len = lens[i % 2];
		args[i].t = i < 2 ? T : cold;
		ck_assert(pthread_create(&th[i], NULL, thread_main,
		    &args[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(args[i].ok == 200, "thread %d: %d valid; %s", i,
		    args[i].ok, args[i].why);
	}
	ck_assert_uint_eq(qj_trust_cache_hits(cold), 0);
	qj_trust_free(cold);
	free(xmls[0]);
	free(xmls[1]);
}
END_TEST

/* --- interop with xmlsec1 --------------------------------------------------- */

static void
write_doc_tree(const char *dir)
{
	char	path[256];

	snprintf(path, sizeof(path), "%s/documents", dir);
	ck_assert(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/%s", dir, doc_uri);
	spit(path, DOC, strlen(DOC));
}

static int
xmlsec1_verify(const char *dir, const char *file)
{
	char	cmd[2048], cwd[512];

	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(cmd, sizeof(cmd), "cd '%s' && xmlsec1 --verify --trusted-pem "
	    "'%s/" CERTS "/trust/root.pem' --untrusted-pem '%s/" CERTS
	    "/chain/intermediate.pem' --enabled-key-data x509 '%s' "
	    ">xmlsec1.log 2>&1", dir, cwd, cwd, file);
	return (run_cmd(cmd));
}

START_TEST(interop_xmlsec1_verifies_ours)
{
	char	 dir[64], path[256];
	char	*xml, *doc;
	size_t	 len;

	if (!have_xmlsec1()) {
		fprintf(stderr, "SKIP interop: the xmlsec1 program is not "
		    "installed (apt-get install xmlsec1)\n");
		return;
	}
	tmpdir(dir, sizeof(dir));
	write_doc_tree(dir);
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	snprintf(path, sizeof(path), "%s/sig.xml", dir);
	spit(path, xml, len);
	ck_assert_msg(xmlsec1_verify(dir, "sig.xml") == 0,
	    "xmlsec1 rejected our RSA signature, see %s/xmlsec1.log", dir);
	free(xml);
	xml = make_sig("users/applicant-ec", QJ_COMMIT_APPROVAL, &len);
	spit(path, xml, len);
	ck_assert_msg(xmlsec1_verify(dir, "sig.xml") == 0,
	    "xmlsec1 rejected our ECDSA signature, see %s/xmlsec1.log", dir);
	/* Control: xmlsec1 does see a changed document. */
	doc = mutate(DOC, "2027-11-30", "2027-11-31");
	snprintf(path, sizeof(path), "%s/%s", dir, doc_uri);
	spit(path, doc, strlen(doc));
	ck_assert(xmlsec1_verify(dir, "sig.xml") != 0);
	free(doc);
	free(xml);
	rmtree(dir);
}
END_TEST

START_TEST(interop_we_verify_xmlsec1)
{
	struct qj_buf	 t = QJ_BUF_INIT;
	char		 dir[64], path[256], cmd[2048], cwd[512];
	char		*cert, *xml, *env;
	unsigned char	 md[32];
	unsigned int	 n = 32;
	X509		*x = load_cert("users/applicant-rsa");
	struct qj_buf	 dig = QJ_BUF_INIT;
	size_t		 len;

	if (!have_xmlsec1()) {
		fprintf(stderr, "SKIP interop: the xmlsec1 program is not "
		    "installed (apt-get install xmlsec1)\n");
		return;
	}
	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	tmpdir(dir, sizeof(dir));
	write_doc_tree(dir);
	X509_digest(x, EVP_sha256(), md, &n);
	qj_base64_encode(md, n, &dig);
	/* A XAdES B-B template written by hand (no IssuerSerialV2, another
	   prefix, line breaks), as an external tool would. */
	qj_buf_printf(&t,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Signature xmlns=\"" SIG_NS_DS "\" Id=\"S1\">\n"
	    " <SignedInfo>\n"
	    "  <CanonicalizationMethod Algorithm=\"" SIG_C14N_EXCL "\"/>\n"
	    "  <SignatureMethod Algorithm=\"" SIG_RSA_SHA256 "\"/>\n"
	    "  <Reference Id=\"R1\" URI=\"%s\">\n"
	    "   <DigestMethod Algorithm=\"" SIG_SHA256 "\"/>\n"
	    "   <DigestValue/>\n"
	    "  </Reference>\n"
	    "  <Reference Type=\"" SIG_PROPS_TYPE "\" URI=\"#SP1\">\n"
	    "   <Transforms><Transform Algorithm=\"" SIG_C14N_EXCL "\"/>"
	    "</Transforms>\n"
	    "   <DigestMethod Algorithm=\"" SIG_SHA256 "\"/>\n"
	    "   <DigestValue/>\n"
	    "  </Reference>\n"
	    " </SignedInfo>\n"
	    " <SignatureValue/>\n"
	    " <KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>\n"
	    " <Object>\n"
	    "  <xa:QualifyingProperties xmlns:xa=\"" SIG_NS_XADES "\" "
	    "Target=\"#S1\">\n"
	    "   <xa:SignedProperties Id=\"SP1\">\n"
	    "    <xa:SignedSignatureProperties>\n"
	    "     <xa:SigningTime>2026-01-15T09:30:00+05:00</xa:SigningTime>\n"
	    "     <xa:SigningCertificateV2><xa:Cert><xa:CertDigest>"
	    "<DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<DigestValue>%s</DigestValue></xa:CertDigest></xa:Cert>"
	    "</xa:SigningCertificateV2>\n"
	    "    </xa:SignedSignatureProperties>\n"
	    "    <xa:SignedDataObjectProperties>\n"
	    "     <xa:DataObjectFormat ObjectReference=\"#R1\"><xa:MimeType>"
	    "text/xml</xa:MimeType></xa:DataObjectFormat>\n"
	    "     <xa:CommitmentTypeIndication><xa:CommitmentTypeId>"
	    "<xa:Identifier>http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin"
	    "</xa:Identifier></xa:CommitmentTypeId><xa:AllSignedDataObjects/>"
	    "</xa:CommitmentTypeIndication>\n"
	    "    </xa:SignedDataObjectProperties>\n"
	    "   </xa:SignedProperties>\n"
	    "  </xa:QualifyingProperties>\n"
	    " </Object>\n"
	    "</Signature>\n", doc_uri, dig.data);
	snprintf(path, sizeof(path), "%s/tmpl.xml", dir);
	spit(path, t.data, t.len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && xmlsec1 --sign --privkey-pem "
	    "'%s/" CERTS "/users/applicant-rsa.key,%s/" CERTS
	    "/users/applicant-rsa.pem' --output signed.xml tmpl.xml "
	    ">xmlsec1.log 2>&1", dir, cwd, cwd);
	ck_assert_msg(run_cmd(cmd) == 0, "xmlsec1 --sign failed, see %s", dir);
	snprintf(path, sizeof(path), "%s/signed.xml", dir);
	xml = slurp(path, &len);
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ORIGIN,
	    NULL), "VALID");
	ck_slug(verify_with(T, xml, len, "changed", APPLICANT_IIN,
	    QJ_COMMIT_ORIGIN, NULL), "sig-digest");
	free(xml);

	/* The NCALayer enveloped format, signed by xmlsec1. */
	env = ncalayer_template("users/applicant-rsa", NULL, NULL);
	cert = strstr(env, "<ds:X509Certificate>") + 20;
	*cert = '\0';
	qj_buf_reset(&t);
	qj_buf_printf(&t, "%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
	    "</ds:Signature></application>\n", env);
	snprintf(path, sizeof(path), "%s/env.xml", dir);
	spit(path, t.data, t.len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && xmlsec1 --sign --privkey-pem "
	    "'%s/" CERTS "/users/applicant-rsa.key,%s/" CERTS
	    "/users/applicant-rsa.pem' --output env-signed.xml env.xml "
	    ">xmlsec1.log 2>&1", dir, cwd, cwd);
	ck_assert_msg(run_cmd(cmd) == 0, "xmlsec1 --sign failed, see %s", dir);
	snprintf(path, sizeof(path), "%s/env-signed.xml", dir);
	xml = slurp(path, &len);
	ck_slug(verify_env(T, xml, len, DOC, NULL), "VALID");
	free(xml);
	free(env);
	qj_buf_free(&t);
	qj_buf_free(&dig);
	X509_free(x);
	rmtree(dir);
}
END_TEST

/* --- the command line agrees with the library ----------------------------- */

/* First line of `bin/qujat verify-signature ...`: "VALID" or the slug. */
static void
cli_verdict(const char *dir, const char *sig, const char *data,
    const char *iin, char *out, size_t cap)
{
	char	 cmd[2048], path[256], *first, *colon;
	size_t	 n;

	snprintf(cmd, sizeof(cmd), "bin/qujat verify-signature --trust "
	    CERTS "/trust --untrusted " CERTS "/chain --crl " CERTS "/crl "
	    "%s%s%s%s%s/%s >%s/cli.out 2>/dev/null", data != NULL ? "--data " :
	    "", data != NULL ? data : "", data != NULL ? " " : "",
	    iin != NULL ? "--expect-iin " APPLICANT_IIN " " : "", dir, sig,
	    dir);
	(void)run_cmd(cmd);
	snprintf(path, sizeof(path), "%s/cli.out", dir);
	first = slurp(path, &n);
	first[strcspn(first, "\n")] = '\0';
	if (strncmp(first, "INVALID: ", 9) == 0) {
		colon = strchr(first + 9, ':');
		if (colon != NULL)
			*colon = '\0';
		snprintf(out, cap, "%s", first + 9);
	} else
		snprintf(out, cap, "%s", first);
	free(first);
}

START_TEST(cli_agrees_with_library)
{
	static const struct {
		const char	*who;
		int		 enveloped, change_doc;
	} cases[] = {
		{ "users/applicant-rsa", 0, 0 },
		{ "users/applicant-ec", 0, 0 },
		{ "vectors/ec-p384", 0, 0 },
		{ "users/applicant-rsa", 0, 1 },
		{ "vectors/revoked-rsa", 0, 0 },
		{ "vectors/expired-rsa", 0, 0 },
		{ "vectors/notyet-rsa", 0, 0 },
		{ "vectors/lookalike/applicant-rsa", 0, 0 },
		{ "vectors/other-rsa", 0, 0 },
		{ "vectors/rsa1024", 0, 0 },
		{ "vectors/ec-secp256k1", 0, 0 },
		{ "vectors/nokeyusage-rsa", 0, 0 },
		{ "vectors/sha1-rsa", 0, 0 },
		{ "users/applicant-rsa", 1, 0 },
		{ "vectors/revoked-rsa", 1, 0 },
		{ "vectors/other-rsa", 1, 0 },
	};
	char	 dir[64], path[256], datapath[256], got[128];
	char	*xml, *doc;
	size_t	 i, len;
	const char *want;

	if (access("bin/qujat", X_OK) != 0 ||
	    run_cmd("bin/qujat verify-signature 2>&1 | grep -q "
	    "'usage: qujat verify-signature'") != 0) {
		fprintf(stderr, "SKIP cli_agrees_with_library: bin/qujat with "
		    "the verify-signature command is not built (make build)\n");
		return;
	}
	tmpdir(dir, sizeof(dir));
	snprintf(datapath, sizeof(datapath), "%s/doc.xml", dir);
	for (i = 0; i < QJ_NELEM(cases); i++) {
		doc = cases[i].change_doc ? mutate(DOC, "2027", "2028") :
		    strdup(DOC);
		spit(datapath, doc, strlen(doc));
		if (cases[i].enveloped) {
			xml = make_ncalayer(cases[i].who, &len);
			want = verify_env(T, xml, len, NULL, NULL);
		} else {
			xml = make_sig(cases[i].who, QJ_COMMIT_ORIGIN, &len);
			want = verify_with(T, xml, len, doc, APPLICANT_IIN,
			    QJ_COMMIT_ANY, NULL);
		}
		snprintf(path, sizeof(path), "%s/sig.xml", dir);
		spit(path, xml, len);
		cli_verdict(dir, "sig.xml", cases[i].enveloped ? NULL :
		    datapath, APPLICANT_IIN, got, sizeof(got));
		ck_assert_msg(strcmp(got, want) == 0, "case %zu (%s): library "
		    "%s, command line %s", i, cases[i].who, want, got);
		free(xml);
		free(doc);
	}
	rmtree(dir);
}
END_TEST

/* --- suite ------------------------------------------------------------------- */

static Suite *
xades_suite(void)
{
	Suite	*s = suite_create("xades");
	TCase	*tc;

	tc = tcase_create("positive");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rsa_prepare_complete);
	tcase_add_test(tc, ecdsa_prepare_complete);
	tcase_add_test(tc, tbs_equals_xmlsec_c14n);
	tcase_add_test(tc, openssl_cli_signatures);
	tcase_add_test(tc, organisation_representative);
	suite_add_tcase(s, tc);

	tc = tcase_create("acceptance");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, document_byte_changed);
	tcase_add_test(tc, signature_value_changed);
	tcase_add_test(tc, lookalike_ca);
	tcase_add_test(tc, key_only_as_keyvalue);
	tcase_add_test(tc, revoked);
	tcase_add_test(tc, crl_missing);
	tcase_add_test(tc, crl_stale);
	tcase_add_test(tc, cert_expired);
	tcase_add_test(tc, cert_not_yet_valid);
	tcase_add_test(tc, another_users_certificate);
	tcase_add_test(tc, sha1_signature_method);
	tcase_add_test(tc, sha1_digest);
	tcase_add_test(tc, sha1_signed_certificate);
	tcase_add_test(tc, rsa_1024);
	tcase_add_test(tc, secp256k1);
	tcase_add_test(tc, no_key_usage);
	tcase_add_test(tc, method_key_mismatch);
	tcase_add_test(tc, two_references);
	tcase_add_test(tc, wrong_references);
	tcase_add_test(tc, transforms_refused);
	tcase_add_test(tc, signature_count_and_shape);
	tcase_add_test(tc, xades_properties);
	tcase_add_test(tc, expected_commitment);
	tcase_add_test(tc, hostile_xml);
	tcase_add_test(tc, wrapping);
	suite_add_tcase(s, tc);

	tc = tcase_create("ncalayer");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ncalayer_positive);
	tcase_add_test(tc, ncalayer_negative);
	suite_add_tcase(s, tc);

	tc = tcase_create("parts");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ecdsa_der_conversion);
	tcase_add_test(tc, prepare_arguments);
	tcase_add_test(tc, trust_identity_and_memo);
	tcase_add_test(tc, xmlsec_store_has_no_system_anchors);
	tcase_add_test(tc, xmlsec_io_is_confined);
	tcase_add_test(tc, xmlsec_keyvalue_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, threads_share_one_trust);
	suite_add_tcase(s, tc);

	tc = tcase_create("interop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, interop_xmlsec1_verifies_ours);
	tcase_add_test(tc, interop_we_verify_xmlsec1);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cli_agrees_with_library);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	struct qj_diag	 d;
	SRunner		*sr;
	char		 hex[QJ_SHA256_HEX_LEN + 1];
	int		 failed;

	if (access(CERTS "/trust/root.pem", R_OK) != 0) {
		fprintf(stderr, "test_xades: %s missing; run `make certs` "
		    "from the repository root\n", CERTS "/trust/root.pem");
		return (1);
	}
	qj_sig_init();
	if (qj_trust_load(CERTS "/trust", CERTS "/chain", CERTS "/crl", &T,
	    &d) != QJ_OK) {
		fprintf(stderr, "test_xades: trust: %s\n", d.detail);
		return (1);
	}
	qj_sha256_hex(DOC, strlen(DOC), hex);
	snprintf(doc_uri, sizeof(doc_uri), "documents/%s.xml", hex);
	sr = srunner_create(xades_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	qj_trust_free(T);
	return (failed == 0 ? 0 : 1);
}
