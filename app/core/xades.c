/*
 * xades.c: XAdES B-B signatures of Qujat documents: two-phase signing and
 * the one verification policy (see xades.h for the format, the order of
 * the checks and the diagnostic slugs).
 *
 * Owns the signature format: the skeleton template, the canonical bytes a
 * client signs, the XAdES qualifying properties and their semantics.  The
 * structural allow-lists live in sig_policy.c, the xmlsec context in
 * sig_xmlsec.c, certificate trust in trust.c; this file runs them in order
 * and binds the result to the expected document, person and commitment.
 * The last section adds multi-reference signatures in ASiC-E containers
 * (the archive seal), under the same policy with the References step
 * generalised.  Called by the API layer (prepare/complete/verify on request threads),
 * the CLI (verify-signature) and the archive.
 *
 * Invariant: a QJ_OK from a verification function means every step of the
 * policy ran and passed for this input; there is no option that skips one.
 * Per call, nothing is shared between threads except the read-only trust
 * object (and its locked memo) and the one-time library state.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/hash.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/io.h>

#include "core/codec.h"
#include "core/sig_policy.h"
#include "core/sig_xmlsec.h"
#include "core/xades.h"
#include "core/xmlsafe.h"

#define XADES_SKEW		300	/* SigningTime may run ahead of now */
#define XADES_MAX_URI		400
#define XADES_MAX_ROLE		200
#define XADES_COMMIT_BASE	"http://uri.etsi.org/01903/v1.2.2#"

struct xades_props {
	time_t			 signing_time;
	enum qj_commitment	 commitment;
	char			 role[256];
	const struct sig_alg	*cert_md;	/* CertDigest's DigestMethod */
	struct qj_buf		 cert_digest;	/* CertDigest, decoded */
	struct qj_buf		 issuer_serial;	/* IssuerSerialV2, decoded */
	int			 has_issuer_serial;
};

static void	xades_objs_io_init(void);

void
qj_sig_init(void)
{
	sig_xmlsec_init();
	/* The multi-reference verifier's IO callbacks, after sig_xmlsec's. */
	xades_objs_io_init();
}

const char *
qj_commitment_uri(enum qj_commitment c)
{
	switch (c) {
	case QJ_COMMIT_APPROVAL:
		return (XADES_COMMIT_BASE "ProofOfApproval");
	case QJ_COMMIT_ORIGIN:
		return (XADES_COMMIT_BASE "ProofOfOrigin");
	case QJ_COMMIT_RECEIPT:
		return (XADES_COMMIT_BASE "ProofOfReceipt");
	default:
		return (NULL);
	}
}

static enum qj_commitment
commitment_from_uri(const char *s)
{
	enum qj_commitment	c;

	for (c = QJ_COMMIT_APPROVAL; c <= QJ_COMMIT_RECEIPT; c++)
		if (strcmp(s, qj_commitment_uri(c)) == 0)
			return (c);
	return (QJ_COMMIT_ANY);
}

/* --- small helpers ------------------------------------------------------- */

/* Canonical form of the subtree at `top`, evaluated in its document. */
static int
c14n_visible(void *top, xmlNodePtr node, xmlNodePtr parent)
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

static enum qj_err
c14n_subtree(xmlDocPtr doc, xmlNodePtr top, struct qj_buf *out)
{
	xmlOutputBufferPtr	ob;
	enum qj_err		err = QJ_EINTERNAL;

	if ((ob = xmlAllocOutputBuffer(NULL)) == NULL)
		return (QJ_ENOMEM);
	if (xmlC14NExecute(doc, c14n_visible, top, XML_C14N_EXCLUSIVE_1_0,
	    NULL, 0, ob) >= 0)
		err = qj_buf_append(out, xmlOutputBufferGetContent(ob),
		    xmlOutputBufferGetSize(ob));
	xmlOutputBufferClose(ob);
	return (err);
}

static enum qj_err
doc_dump(xmlDocPtr doc, struct qj_buf *out)
{
	xmlChar		*mem = NULL;
	int		 n = 0;
	enum qj_err	 err;

	xmlDocDumpMemoryEnc(doc, &mem, &n, "UTF-8");
	if (mem == NULL || n <= 0) {
		xmlFree(mem);
		return (QJ_ENOMEM);
	}
	err = qj_buf_append(out, mem, (size_t)n);
	xmlFree(mem);
	return (err);
}

/* A digest by OpenSSL name; SHA-256 from the one fetched at init. */
static EVP_MD *
md_fetch(const char *name)
{
	const EVP_MD	*m = sig_sha256();

	if (strcmp(name, "SHA256") == 0 && EVP_MD_up_ref((EVP_MD *)m) == 1)
		return ((EVP_MD *)m);
	return (EVP_MD_fetch(NULL, name, NULL));
}

static enum qj_err
digest_b64(const char *md, const void *data, size_t len, struct qj_buf *out)
{
	unsigned char	 buf[EVP_MAX_MD_SIZE];
	unsigned int	 n = sizeof(buf);
	EVP_MD		*m;
	int		 ok;

	if ((m = md_fetch(md)) == NULL)
		return (QJ_EINTERNAL);
	ok = EVP_Digest(data, len, buf, &n, m, NULL);
	EVP_MD_free(m);
	if (ok != 1)
		return (QJ_EINTERNAL);
	return (qj_base64_encode(buf, n, out));
}

/* XML text escaping; control characters XML cannot carry are refused. */
static enum qj_err
xml_escape(const char *s, struct qj_buf *out)
{
	enum qj_err	err = QJ_OK;

	for (; *s != '\0' && err == QJ_OK; s++) {
		if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
			return (QJ_EINVAL);
		if (*s == '&')
			err = qj_buf_puts(out, "&amp;");
		else if (*s == '<')
			err = qj_buf_puts(out, "&lt;");
		else if (*s == '>')
			err = qj_buf_puts(out, "&gt;");
		else
			err = qj_buf_append(out, s, 1);
	}
	return (err);
}

/* DER length and TLV helpers for IssuerSerialV2. */
static enum qj_err
der_tlv(unsigned char tag, const void *val, size_t len, struct qj_buf *out)
{
	unsigned char	hdr[6];
	size_t		n = 0;

	hdr[n++] = tag;
	if (len < 0x80)
		hdr[n++] = (unsigned char)len;
	else if (len < 0x100) {
		hdr[n++] = 0x81;
		hdr[n++] = (unsigned char)len;
	} else if (len < 0x10000) {
		hdr[n++] = 0x82;
		hdr[n++] = (unsigned char)(len >> 8);
		hdr[n++] = (unsigned char)len;
	} else
		return (QJ_ELIMIT);
	if (qj_buf_append(out, hdr, n) != QJ_OK ||
	    qj_buf_append(out, val, len) != QJ_OK)
		return (QJ_ENOMEM);
	return (QJ_OK);
}

/*
 * RFC 5035 IssuerSerial ::= SEQUENCE { issuer GeneralNames,
 * serialNumber CertificateSerialNumber }, the issuer as one directoryName
 * ([4] EXPLICIT Name): the DER that IssuerSerialV2 carries in base64.
 */
static enum qj_err
issuer_serial_der(X509 *x, struct qj_buf *out)
{
	struct qj_buf	 dn = QJ_BUF_INIT, gn = QJ_BUF_INIT;
	unsigned char	*name = NULL, *serial = NULL;
	int		 nl, sl;
	enum qj_err	 err = QJ_ENOMEM;

	nl = i2d_X509_NAME(X509_get_issuer_name(x), &name);
	sl = i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(x),
	    &serial);
	if (nl <= 0 || sl <= 0)
		goto out;
	if ((err = der_tlv(0xa4, name, (size_t)nl, &dn)) != QJ_OK ||
	    (err = der_tlv(0x30, dn.data, dn.len, &gn)) != QJ_OK ||
	    (err = qj_buf_append(&gn, serial, (size_t)sl)) != QJ_OK)
		goto out;
	err = der_tlv(0x30, gn.data, gn.len, out);
out:
	OPENSSL_free(name);
	OPENSSL_free(serial);
	qj_buf_free(&dn);
	qj_buf_free(&gn);
	return (err);
}

static int
parse_digits(const char **p, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return (-1);
		*v = *v * 10 + (*(*p)++ - '0');
	}
	return (0);
}

/* xsd:dateTime with a time zone: 2026-11-23T13:14:54(.123)?(Z|+hh:mm). */
static int
parse_datetime(const char *s, time_t *out)
{
	struct tm	tm;
	int		Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;

	memset(&tm, 0, sizeof(tm));
	if (parse_digits(&s, 4, &Y) || *s++ != '-' ||
	    parse_digits(&s, 2, &M) || *s++ != '-' ||
	    parse_digits(&s, 2, &D) || *s++ != 'T' ||
	    parse_digits(&s, 2, &h) || *s++ != ':' ||
	    parse_digits(&s, 2, &m) || *s++ != ':' ||
	    parse_digits(&s, 2, &sec))
		return (-1);
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return (-1);
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (parse_digits(&s, 2, &oh) || *s++ != ':' ||
		    parse_digits(&s, 2, &om) || oh > 14 || om > 59)
			return (-1);
	} else
		return (-1);
	if (*s != '\0' || Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 ||
	    h > 23 || m > 59 || sec > 59)
		return (-1);
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return (0);
}

static int
uri_ok(const char *u)
{
	size_t	n = strlen(u), i;

	if (n == 0 || n > XADES_MAX_URI || u[0] == '#' || u[0] == '/')
		return (0);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)u[i]) && strchr("-._~/", u[i]) ==
		    NULL)
			return (0);
	return (strstr(u, "..") == NULL);
}

/* --- two-phase signing: prepare -------------------------------------------- */

struct prep_fields {
	char		 id[24];		/* random hex shared by the Ids */
	char		 when[32];		/* SigningTime */
	const char	*method;		/* SignatureMethod URI */
	struct qj_buf	 doc_digest;		/* base64 */
	struct qj_buf	 cert;			/* base64 DER */
	struct qj_buf	 cert_digest;		/* base64 */
	struct qj_buf	 issuer_serial;		/* base64 */
	struct qj_buf	 role;			/* escaped */
};

static void
prep_fields_free(struct prep_fields *f)
{
	qj_buf_free(&f->doc_digest);
	qj_buf_free(&f->cert);
	qj_buf_free(&f->cert_digest);
	qj_buf_free(&f->issuer_serial);
	qj_buf_free(&f->role);
}

static enum qj_err
prep_collect(const void *doc, size_t doc_len, X509 *cert, const char *role,
    time_t when, struct prep_fields *f, struct qj_diag *d)
{
	struct qj_buf	 is = QJ_BUF_INIT;
	unsigned char	*der = NULL, rnd[8];
	struct tm	 tm;
	int		 n;
	enum qj_err	 err = QJ_ENOMEM;

	switch (EVP_PKEY_get_base_id(X509_get0_pubkey(cert))) {
	case EVP_PKEY_RSA:
		f->method = SIG_RSA_SHA256;
		break;
	case EVP_PKEY_EC:
		f->method = SIG_ECDSA_SHA256;
		break;
	default:
		ERR_clear_error();
		return (qj_fail(d, QJ_EUNPROC, "sig-weak-key", "certificate",
		    "only RSA and EC keys can sign"));
	}
	if (role != NULL && (strlen(role) > XADES_MAX_ROLE ||
	    xml_escape(role, &f->role) != QJ_OK))
		return (qj_fail(d, QJ_EINVAL, "sig-prepare", "role",
		    "the role must be at most %d bytes of text",
		    XADES_MAX_ROLE));
	if (qj_random(rnd, sizeof(rnd)) != QJ_OK)
		return (QJ_EINTERNAL);
	qj_hex(rnd, sizeof(rnd), f->id);
	if (gmtime_r(&when, &tm) == NULL)
		return (qj_fail(d, QJ_EINVAL, "sig-prepare", "signing_time",
		    "signing time out of range"));
	strftime(f->when, sizeof(f->when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((n = i2d_X509(cert, &der)) <= 0)
		goto out;
	if ((err = digest_b64("SHA256", doc, doc_len, &f->doc_digest)) ||
	    (err = qj_base64_encode(der, (size_t)n, &f->cert)) ||
	    (err = digest_b64("SHA256", der, (size_t)n, &f->cert_digest)) ||
	    (err = issuer_serial_der(cert, &is)) ||
	    (err = qj_base64_encode(is.data, is.len, &f->issuer_serial)))
		goto out;
	err = QJ_OK;
out:
	OPENSSL_free(der);
	qj_buf_free(&is);
	return (err);
}

/*
 * The skeleton.  No whitespace inside SignedInfo and SignedProperties: those
 * two are canonicalised on every verification, and every text node costs.
 */
static enum qj_err
prep_template(const char *uri, enum qj_commitment cm,
    const struct prep_fields *f, struct qj_buf *x)
{
	enum qj_err	err;

	err = qj_buf_printf(x,
	    "<ds:Signature xmlns:ds=\"" SIG_NS_DS "\" Id=\"sig-%s\">\n"
	    "<ds:SignedInfo>"
	    "<ds:CanonicalizationMethod Algorithm=\"" SIG_C14N_EXCL "\"/>"
	    "<ds:SignatureMethod Algorithm=\"%s\"/>"
	    "<ds:Reference Id=\"ref-doc-%s\" URI=\"%s\">"
	    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<ds:DigestValue>%s</ds:DigestValue>"
	    "</ds:Reference>"
	    "<ds:Reference Type=\"" SIG_PROPS_TYPE "\" URI=\"#xades-%s\">"
	    "<ds:Transforms><ds:Transform Algorithm=\"" SIG_C14N_EXCL "\"/>"
	    "</ds:Transforms>"
	    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<ds:DigestValue></ds:DigestValue>"
	    "</ds:Reference>"
	    "</ds:SignedInfo>\n",
	    f->id, f->method, f->id, uri, f->doc_digest.data, f->id);
	if (err == QJ_OK)
		err = qj_buf_printf(x,
		    "<ds:SignatureValue Id=\"sigval-%s\"></ds:SignatureValue>\n"
		    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
		    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n"
		    "<ds:Object><xades:QualifyingProperties xmlns:xades=\""
		    SIG_NS_XADES "\" Target=\"#sig-%s\">"
		    "<xades:SignedProperties Id=\"xades-%s\">"
		    "<xades:SignedSignatureProperties>"
		    "<xades:SigningTime>%s</xades:SigningTime>"
		    "<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>"
		    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
		    "<ds:DigestValue>%s</ds:DigestValue></xades:CertDigest>"
		    "<xades:IssuerSerialV2>%s</xades:IssuerSerialV2>"
		    "</xades:Cert></xades:SigningCertificateV2>",
		    f->id, f->cert.data, f->id, f->id, f->when,
		    f->cert_digest.data, f->issuer_serial.data);
	if (err == QJ_OK && f->role.len > 0)
		err = qj_buf_printf(x, "<xades:SignerRoleV2><xades:ClaimedRoles>"
		    "<xades:ClaimedRole>%s</xades:ClaimedRole>"
		    "</xades:ClaimedRoles></xades:SignerRoleV2>",
		    f->role.data);
	if (err == QJ_OK)
		err = qj_buf_printf(x,
		    "</xades:SignedSignatureProperties>"
		    "<xades:SignedDataObjectProperties>"
		    "<xades:DataObjectFormat ObjectReference=\"#ref-doc-%s\">"
		    "<xades:MimeType>text/xml</xades:MimeType>"
		    "</xades:DataObjectFormat>"
		    "<xades:CommitmentTypeIndication><xades:CommitmentTypeId>"
		    "<xades:Identifier>%s</xades:Identifier>"
		    "</xades:CommitmentTypeId>"
		    "<xades:ObjectReference>#ref-doc-%s</xades:ObjectReference>"
		    "</xades:CommitmentTypeIndication>"
		    "</xades:SignedDataObjectProperties>"
		    "</xades:SignedProperties></xades:QualifyingProperties>"
		    "</ds:Object>\n"
		    "</ds:Signature>\n",
		    f->id, qj_commitment_uri(cm), f->id);
	return (err);
}

/*
 * Fills the SignedProperties digest into the parsed skeleton and returns
 * the canonical SignedInfo, both computed on the tree exactly as a verifier
 * parses it.
 */
static enum qj_err
prep_digest_and_tbs(xmlDocPtr doc, struct qj_buf *tbs)
{
	struct qj_buf	 c = QJ_BUF_INIT, dv = QJ_BUF_INIT;
	xmlNodePtr	 sig = xmlDocGetRootElement(doc), si, ref2, props, obj;
	enum qj_err	 err = QJ_EINTERNAL;

	si = sig_child(sig);
	ref2 = sig_next(sig_next(sig_next(sig_child(si))));
	obj = sig_next(sig_next(sig_next(si)));
	props = sig_child(sig_child(obj));
	if (!sig_is(ref2, SIG_NS_DS, "Reference") ||
	    !sig_is(props, SIG_NS_XADES, "SignedProperties"))
		goto out;
	if ((err = c14n_subtree(doc, props, &c)) != QJ_OK ||
	    (err = digest_b64("SHA256", c.data, c.len, &dv)) != QJ_OK)
		goto out;
	xmlNodeSetContent(sig_next(sig_next(sig_child(ref2))),
	    BAD_CAST dv.data);
	err = c14n_subtree(doc, si, tbs);
out:
	qj_buf_free(&c);
	qj_buf_free(&dv);
	return (err);
}

enum qj_err
qj_xades_prepare(const void *doc, size_t doc_len, const char *doc_uri,
    X509 *cert, enum qj_commitment cm, const char *role, time_t signing_time,
    struct qj_sig_prepared *out, struct qj_diag *d)
{
	struct prep_fields	 f;
	struct qj_buf		 x = QJ_BUF_INIT, tbs = QJ_BUF_INIT,
				 skel = QJ_BUF_INIT;
	xmlDocPtr		 parsed = NULL;
	enum qj_err		 err;

	memset(&f, 0, sizeof(f));
	if (doc == NULL || doc_uri == NULL || !uri_ok(doc_uri)) {
		err = qj_fail(d, QJ_EINVAL, "sig-prepare", "uri",
		    "the document URI must be a relative path of "
		    "[A-Za-z0-9._~/-], at most %d bytes", XADES_MAX_URI);
		goto out;
	}
	if (cert == NULL || qj_commitment_uri(cm) == NULL) {
		err = qj_fail(d, QJ_EINVAL, "sig-prepare", "commitment",
		    "a certificate and one of the three commitments are "
		    "required");
		goto out;
	}
	if ((err = prep_collect(doc, doc_len, cert, role, signing_time, &f,
	    d)) != QJ_OK || (err = prep_template(doc_uri, cm, &f, &x)) != QJ_OK)
		goto out;
	if ((err = qj_xml_parse(x.data, x.len, 0, &parsed, d)) != QJ_OK) {
		err = qj_fail(d, QJ_EINVAL, "sig-prepare", "role",
		    "the signature could not be built (is the role valid "
		    "UTF-8?)");
		goto out;
	}
	if ((err = prep_digest_and_tbs(parsed, &tbs)) != QJ_OK ||
	    (err = doc_dump(parsed, &skel)) != QJ_OK)
		goto out;
	memset(out, 0, sizeof(*out));
	out->skeleton = qj_buf_release(&skel, &out->skeleton_len);
	out->tbs = (unsigned char *)qj_buf_release(&tbs, &out->tbs_len);
	out->sig_method = f.method;
	out->hash = "SHA-256";
	snprintf(out->sig_id, sizeof(out->sig_id), "sig-%s", f.id);
out:
	if (parsed != NULL)
		xmlFreeDoc(parsed);
	prep_fields_free(&f);
	qj_buf_free(&x);
	qj_buf_free(&tbs);
	qj_buf_free(&skel);
	return (err);
}

void
qj_sig_prepared_free(struct qj_sig_prepared *p)
{
	free(p->skeleton);
	free(p->tbs);
	memset(p, 0, sizeof(*p));
}

/* --- two-phase signing: complete ------------------------------------------- */

int
qj_ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t half,
    unsigned char *raw)
{
	const unsigned char	*p = der;
	const BIGNUM		*r, *s;
	ECDSA_SIG		*sig;
	unsigned char		*re = NULL;
	int			 ok = 0, n;

	if (der_len > 0x7fffffff ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL) {
		ERR_clear_error();
		return (-1);
	}
	/* Strict DER: nothing left over, and it re-encodes identically. */
	n = i2d_ECDSA_SIG(sig, &re);
	ECDSA_SIG_get0(sig, &r, &s);
	if (p == der + der_len && n == (int)der_len &&
	    memcmp(re, der, der_len) == 0 &&
	    BN_num_bytes(r) <= (int)half && BN_num_bytes(s) <= (int)half &&
	    BN_bn2binpad(r, raw, (int)half) == (int)half &&
	    BN_bn2binpad(s, raw + half, (int)half) == (int)half)
		ok = 1;
	OPENSSL_free(re);
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return (ok ? 0 : -1);
}

/* The XMLDSig form of the client's signature value for `pkey`. */
static enum qj_err
sigval_normalise(EVP_PKEY *pkey, const unsigned char *v, size_t len,
    struct qj_buf *out, struct qj_diag *d)
{
	unsigned char	raw[2 * 66];
	size_t		want, half;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
		want = (size_t)EVP_PKEY_get_size(pkey);
		if (len != want)
			return (qj_fail(d, QJ_EUNPROC, "sig-value", "signature",
			    "an RSA signature for this key is %zu bytes, not "
			    "%zu", want, len));
		return (qj_base64_encode(v, len, out));
	}
	half = ((size_t)EVP_PKEY_get_bits(pkey) + 7) / 8;
	if (half == 0 || half > 66)
		return (qj_fail(d, QJ_EUNPROC, "sig-weak-key", "certificate",
		    "unsupported key"));
	if (qj_ecdsa_der_to_raw(v, len, half, raw) == 0)
		return (qj_base64_encode(raw, 2 * half, out));
	if (len != 2 * half)
		return (qj_fail(d, QJ_EUNPROC, "sig-value", "signature",
		    "an ECDSA signature must be r||s of %zu bytes or DER",
		    2 * half));
	return (qj_base64_encode(v, len, out));
}

enum qj_err
qj_xades_assemble(const char *skel, size_t skel_len, const void *sigval,
    size_t sigval_len, struct qj_buf *signed_xml, struct qj_diag *d)
{
	struct qj_buf	 b64 = QJ_BUF_INIT, txt = QJ_BUF_INIT,
			 res = QJ_BUF_INIT;
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 sig, sv, ki;
	X509		*cert = NULL;
	enum qj_err	 err;

	if ((err = qj_xml_parse(skel, skel_len, 0, &doc, d)) != QJ_OK)
		goto out;
	sig = xmlDocGetRootElement(doc);
	sv = sig_next(sig_child(sig));
	ki = sig_next(sv);
	if (!sig_is(sig, SIG_NS_DS, "Signature") ||
	    !sig_is(sv, SIG_NS_DS, "SignatureValue") ||
	    !sig_is(ki, SIG_NS_DS, "KeyInfo") ||
	    (err = sig_text(sv, &txt)) != QJ_OK || txt.len != 0) {
		err = qj_fail(d, QJ_EINVAL, "sig-prepare", "skeleton",
		    "not a signature skeleton, or already completed");
		goto out;
	}
	qj_buf_reset(&txt);
	if ((err = sig_text(sig_child(sig_child(ki)), &txt)) != QJ_OK ||
	    (err = qj_cert_parse(txt.data, txt.len, &cert, d)) != QJ_OK ||
	    (err = sigval_normalise(X509_get0_pubkey(cert), sigval, sigval_len,
	    &b64, d)) != QJ_OK)
		goto out;
	xmlNodeSetContent(sv, BAD_CAST b64.data);
	if ((err = doc_dump(doc, &res)) != QJ_OK ||
	    (err = qj_buf_append(signed_xml, res.data, res.len)) != QJ_OK)
		goto out;
out:
	X509_free(cert);
	if (doc != NULL)
		xmlFreeDoc(doc);
	qj_buf_free(&b64);
	qj_buf_free(&txt);
	qj_buf_free(&res);
	ERR_clear_error();
	return (err);
}

enum qj_err
qj_xades_complete(struct qj_trust *t, const char *skel, size_t skel_len,
    const void *sigval, size_t sigval_len, const struct qj_sig_expect *ex,
    struct qj_buf *signed_xml, struct qj_sig_result *res, struct qj_diag *d)
{
	struct qj_buf	xml = QJ_BUF_INIT;
	enum qj_err	err;

	if ((err = qj_xades_assemble(skel, skel_len, sigval, sigval_len, &xml,
	    d)) != QJ_OK ||
	    (err = qj_xades_verify(t, xml.data, xml.len, ex, res, d)) != QJ_OK)
		goto out;
	if ((err = qj_buf_append(signed_xml, xml.data, xml.len)) != QJ_OK)
		qj_sig_result_free(res);
out:
	qj_buf_free(&xml);
	return (err);
}

/* --- XAdES qualifying properties --------------------------------------------- */

static enum qj_err
xades_fail(struct qj_diag *d, const char *field, const char *what)
{
	return (qj_fail(d, QJ_EUNPROC, "sig-xades", field, "%s", what));
}

/* "#<Id of node>" equals `ref`? */
static int
ref_names(const xmlChar *ref, xmlNodePtr node)
{
	xmlChar	*id = xmlGetNoNsProp(node, BAD_CAST "Id");
	int	 same;

	same = ref != NULL && id != NULL && ref[0] == '#' &&
	    xmlStrEqual(ref + 1, id);
	xmlFree(id);
	return (same);
}

static enum qj_err
read_signing_cert(xmlNodePtr scv2, struct xades_props *x, struct qj_diag *d)
{
	struct qj_buf	 t = QJ_BUF_INIT;
	xmlNodePtr	 cert = sig_child(scv2), cd, dm, dv, is;
	xmlChar		*alg = NULL;
	enum qj_err	 err;

	cd = sig_child(cert);
	dm = sig_child(cd);
	dv = sig_next(dm);
	is = sig_next(cd);
	if (!sig_is(cert, SIG_NS_XADES, "Cert") ||
	    !sig_is(cd, SIG_NS_XADES, "CertDigest") ||
	    !sig_is(dm, SIG_NS_DS, "DigestMethod") ||
	    !sig_is(dv, SIG_NS_DS, "DigestValue") ||
	    (is != NULL && !sig_is(is, SIG_NS_XADES, "IssuerSerialV2"))) {
		err = xades_fail(d, "SigningCertificateV2", "SigningCertificateV2"
		    " must hold Cert/CertDigest(DigestMethod, DigestValue) "
		    "[IssuerSerialV2]");
		goto out;
	}
	alg = xmlGetNoNsProp(dm, BAD_CAST "Algorithm");
	if ((x->cert_md = sig_digest_alg(alg)) == NULL) {
		err = qj_fail(d, QJ_EUNPROC, "sig-algorithm", "CertDigest",
		    "certificate digest %s is not allowed",
		    alg != NULL ? (char *)alg : "(none)");
		goto out;
	}
	if ((err = sig_text(dv, &t)) != QJ_OK ||
	    qj_base64_decode(t.data, t.len, &x->cert_digest) != QJ_OK) {
		err = xades_fail(d, "CertDigest", "CertDigest is not base64");
		goto out;
	}
	if (is != NULL) {
		qj_buf_reset(&t);
		if ((err = sig_text(is, &t)) != QJ_OK ||
		    qj_base64_decode(t.data, t.len, &x->issuer_serial) !=
		    QJ_OK) {
			err = xades_fail(d, "IssuerSerialV2",
			    "IssuerSerialV2 is not base64");
			goto out;
		}
		x->has_issuer_serial = 1;
	}
	err = QJ_OK;
out:
	xmlFree(alg);
	qj_buf_free(&t);
	return (err);
}

static void
read_role(xmlNodePtr sr, struct xades_props *x)
{
	struct qj_buf	t = QJ_BUF_INIT;
	xmlNodePtr	cr = sig_child(sr);

	if (sig_is(cr, SIG_NS_XADES, "ClaimedRoles") &&
	    sig_is(sig_child(cr), SIG_NS_XADES, "ClaimedRole") &&
	    sig_text(sig_child(cr), &t) == QJ_OK && t.data != NULL)
		snprintf(x->role, sizeof(x->role), "%s", t.data);
	qj_buf_free(&t);
}

static enum qj_err
read_signature_props(xmlNodePtr ssp, struct xades_props *x,
    struct qj_diag *d)
{
	struct qj_buf	 t = QJ_BUF_INIT;
	xmlNodePtr	 c;
	enum qj_err	 err = QJ_OK;
	int		 ntime = 0, ncert = 0;

	for (c = sig_child(ssp); c != NULL && err == QJ_OK; c = sig_next(c)) {
		if (sig_is(c, SIG_NS_XADES, "SigningTime")) {
			qj_buf_reset(&t);
			if (ntime++ > 0 || sig_text(c, &t) != QJ_OK ||
			    parse_datetime(t.data, &x->signing_time) != 0)
				err = xades_fail(d, "SigningTime",
				    "SigningTime must occur once as an "
				    "xsd:dateTime with a time zone");
		} else if (sig_is(c, SIG_NS_XADES, "SigningCertificateV2")) {
			err = ncert++ > 0 ? xades_fail(d, "SigningCertificateV2",
			    "SigningCertificateV2 occurs twice") :
			    read_signing_cert(c, x, d);
		} else if (sig_is(c, SIG_NS_XADES, "SignerRoleV2") ||
		    sig_is(c, SIG_NS_XADES, "SignerRole")) {
			read_role(c, x);
		} else if (!sig_is(c, SIG_NS_XADES,
		    "SignaturePolicyIdentifier") &&
		    !sig_is(c, SIG_NS_XADES, "SignatureProductionPlace") &&
		    !sig_is(c, SIG_NS_XADES, "SignatureProductionPlaceV2")) {
			err = qj_fail(d, QJ_EUNPROC, "sig-xades",
			    "SignedSignatureProperties", "%s is not accepted "
			    "in SignedSignatureProperties (baseline B-B; "
			    "SigningCertificate v1 is SHA-1 based)",
			    (const char *)c->name);
		}
	}
	if (err == QJ_OK && ntime == 0)
		err = xades_fail(d, "SigningTime", "SigningTime is missing");
	if (err == QJ_OK && ncert == 0)
		err = xades_fail(d, "SigningCertificateV2",
		    "SigningCertificateV2 is missing");
	qj_buf_free(&t);
	return (err);
}

static enum qj_err
read_commitment(xmlNodePtr cti, xmlNodePtr data_ref, struct xades_props *x,
    struct qj_diag *d)
{
	struct qj_buf	 t = QJ_BUF_INIT;
	xmlNodePtr	 id = sig_child(sig_child(cti)), c;
	xmlChar		*ref;
	enum qj_err	 err = QJ_OK;
	int		 covered = 0;

	if (!sig_is(sig_child(cti), SIG_NS_XADES, "CommitmentTypeId") ||
	    !sig_is(id, SIG_NS_XADES, "Identifier") ||
	    sig_text(id, &t) != QJ_OK || t.data == NULL ||
	    (x->commitment = commitment_from_uri(t.data)) == QJ_COMMIT_ANY) {
		err = qj_fail(d, QJ_EUNPROC, "sig-commitment",
		    "CommitmentTypeIndication", "commitment \"%s\" is not "
		    "ProofOfApproval, ProofOfOrigin or ProofOfReceipt",
		    t.data != NULL ? t.data : "");
		goto out;
	}
	for (c = sig_next(sig_child(cti)); c != NULL; c = sig_next(c)) {
		if (sig_is(c, SIG_NS_XADES, "AllSignedDataObjects"))
			covered = 1;
		else if (sig_is(c, SIG_NS_XADES, "ObjectReference")) {
			ref = xmlNodeGetContent(c);
			covered = ref_names(ref, data_ref);
			xmlFree(ref);
			if (!covered)
				break;
		}
	}
	if (!covered)
		err = qj_fail(d, QJ_EUNPROC, "sig-commitment",
		    "CommitmentTypeIndication", "the commitment does not "
		    "apply to the signed document");
out:
	qj_buf_free(&t);
	return (err);
}

static enum qj_err
read_data_object_props(xmlNodePtr sdop, xmlNodePtr data_ref,
    struct xades_props *x, struct qj_diag *d)
{
	struct qj_buf	 t = QJ_BUF_INIT;
	xmlNodePtr	 c, cti = NULL;
	xmlChar		*ref;
	int		 format = 0, ncti = 0;

	for (c = sig_child(sdop); c != NULL; c = sig_next(c)) {
		if (sig_is(c, SIG_NS_XADES, "DataObjectFormat")) {
			ref = xmlGetNoNsProp(c, BAD_CAST "ObjectReference");
			qj_buf_reset(&t);
			if (ref_names(ref, data_ref) &&
			    sig_is(sig_child(c), SIG_NS_XADES, "MimeType") &&
			    sig_text(sig_child(c), &t) == QJ_OK && t.len > 0)
				format = 1;
			xmlFree(ref);
		} else if (sig_is(c, SIG_NS_XADES, "CommitmentTypeIndication")) {
			cti = c;
			ncti++;
		} else {
			qj_buf_free(&t);
			return (qj_fail(d, QJ_EUNPROC, "sig-xades",
			    "SignedDataObjectProperties", "%s is not accepted "
			    "(baseline B-B)", (const char *)c->name));
		}
	}
	qj_buf_free(&t);
	if (!format)
		return (xades_fail(d, "DataObjectFormat", "no DataObjectFormat "
		    "with a MimeType for the document Reference"));
	if (ncti != 1)
		return (qj_fail(d, QJ_EUNPROC, "sig-commitment",
		    "CommitmentTypeIndication", "%d CommitmentTypeIndication "
		    "elements; exactly one is required", ncti));
	return (read_commitment(cti, data_ref, x, d));
}

/* Step 5 of xades.h: the SignedProperties of a detached signature. */
static enum qj_err
xades_read(struct sig_parts *p, struct xades_props *x, struct qj_diag *d)
{
	xmlChar		*sid, *target;
	xmlNodePtr	 ssp, sdop;
	enum qj_err	 err;
	int		 ok;

	sid = xmlGetNoNsProp(p->sig, BAD_CAST "Id");
	target = xmlGetNoNsProp(p->qprops, BAD_CAST "Target");
	ok = sid != NULL && sid[0] != '\0' && target != NULL &&
	    target[0] == '#' && xmlStrEqual(target + 1, sid);
	xmlFree(sid);
	xmlFree(target);
	if (!ok)
		return (xades_fail(d, "QualifyingProperties", "the "
		    "QualifyingProperties Target is not this signature's Id"));
	if (!xmlHasNsProp(p->data_ref, BAD_CAST "Id", NULL))
		return (xades_fail(d, "Reference", "the document Reference "
		    "has no Id for DataObjectFormat to name"));
	if (sig_child(p->qprops) != p->props || sig_next(p->props) != NULL)
		return (xades_fail(d, "QualifyingProperties", "only "
		    "SignedProperties are accepted (baseline B-B)"));
	ssp = sig_child(p->props);
	sdop = sig_next(ssp);
	if (!sig_is(ssp, SIG_NS_XADES, "SignedSignatureProperties") ||
	    !sig_is(sdop, SIG_NS_XADES, "SignedDataObjectProperties") ||
	    sig_next(sdop) != NULL)
		return (xades_fail(d, "SignedProperties", "SignedProperties "
		    "must hold SignedSignatureProperties and "
		    "SignedDataObjectProperties"));
	if ((err = read_signature_props(ssp, x, d)) != QJ_OK)
		return (err);
	return (read_data_object_props(sdop, p->data_ref, x, d));
}

/* SigningCertificateV2 must name the certificate that signs. */
static enum qj_err
xades_check_cert(struct xades_props *x, X509 *leaf,
    const unsigned char sha256[32], struct qj_diag *d)
{
	struct qj_buf	 is = QJ_BUF_INIT;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = sizeof(md);
	EVP_MD		*m;
	enum qj_err	 err = QJ_OK;
	int		 ok;

	if (strcmp(x->cert_md->md, "SHA256") == 0) {
		memcpy(md, sha256, 32);
		n = 32;
		ok = 1;
	} else {
		if ((m = md_fetch(x->cert_md->md)) == NULL)
			return (QJ_EINTERNAL);
		ok = X509_digest(leaf, m, md, &n) == 1;
		EVP_MD_free(m);
	}
	ok = ok && n == x->cert_digest.len &&
	    memcmp(md, x->cert_digest.data, n) == 0;
	if (!ok)
		return (xades_fail(d, "SigningCertificateV2", "the CertDigest "
		    "of SigningCertificateV2 is not the signer certificate's"));
	if (x->has_issuer_serial) {
		if ((err = issuer_serial_der(leaf, &is)) == QJ_OK &&
		    (is.len != x->issuer_serial.len ||
		    memcmp(is.data, x->issuer_serial.data, is.len) != 0))
			err = xades_fail(d, "IssuerSerialV2", "IssuerSerialV2 "
			    "does not name the signer certificate");
	}
	qj_buf_free(&is);
	return (err);
}

static void
xades_props_free(struct xades_props *x)
{
	qj_buf_free(&x->cert_digest);
	qj_buf_free(&x->issuer_serial);
}

/* --- verification ----------------------------------------------------------- */

void
qj_sig_result_free(struct qj_sig_result *r)
{
	if (r == NULL)
		return;
	qj_buf_free(&r->signed_bytes);
	qj_buf_free(&r->signed_info);
}

/* Enveloped: the expected document, canonicalised as the reference was. */
static enum qj_err
compare_expected(const struct qj_sig_expect *ex, const struct sig_parts *p,
    const struct qj_buf *digested, struct qj_diag *d)
{
	struct qj_buf	 c = QJ_BUF_INIT;
	xmlDocPtr	 doc = NULL;
	enum qj_err	 err;

	if ((err = qj_xml_parse(ex->doc, ex->doc_len, ex->max_bytes, &doc,
	    d)) != QJ_OK)
		return (err);
	err = qj_xml_c14n(doc, p->ref_c14n != NULL &&
	    strcmp(p->ref_c14n, SIG_C14N_EXCL) == 0 ? QJ_C14N_EXCL :
	    QJ_C14N_10, &c);
	if (err == QJ_OK && (c.len != digested->len ||
	    memcmp(c.data, digested->data, c.len) != 0))
		err = qj_fail(d, QJ_EUNPROC, "sig-digest", "document",
		    "the signed document is not the expected document");
	xmlFreeDoc(doc);
	qj_buf_free(&c);
	return (err);
}

/* Step 9: the signature must be the expected person's, for the purpose. */
static enum qj_err
check_binding(const struct qj_sig_expect *ex, const struct qj_signer *w,
    enum qj_commitment got, struct qj_diag *d)
{
	if (ex->iin != NULL && strcmp(w->iin, ex->iin) != 0)
		return (qj_fail(d, QJ_EUNPROC, "sig-signer", "certificate",
		    "the certificate belongs to IIN %s, not to the acting "
		    "user (IIN %s)", w->iin[0] != '\0' ? w->iin : "(none)",
		    ex->iin));
	if (ex->bin != NULL && strcmp(w->bin, ex->bin) != 0)
		return (qj_fail(d, QJ_EUNPROC, "sig-signer", "certificate",
		    "the certificate represents BIN %s, not BIN %s",
		    w->bin[0] != '\0' ? w->bin : "(none)", ex->bin));
	if (ex->commitment != QJ_COMMIT_ANY && got != ex->commitment)
		return (qj_fail(d, QJ_EUNPROC, "sig-commitment",
		    "CommitmentTypeIndication", "the signature commits to %s; "
		    "%s is required", got == QJ_COMMIT_ANY ? "nothing" :
		    qj_commitment_uri(got), qj_commitment_uri(ex->commitment)));
	return (QJ_OK);
}

/* X509Certificate DER through the trust store's certificate cache. */
static int
cert_from_der(void *arg, const unsigned char *der, size_t len, X509 **out)
{
	return (qj_trust_cert(arg, der, len, out) == QJ_OK ? 0 : -1);
}

static enum qj_err
sig_verify(struct qj_trust *t, enum sig_mode mode, const void *xml,
    size_t len, const struct qj_sig_expect *ex, struct qj_sig_result *res,
    struct qj_diag *d)
{
	struct sig_parts	p;
	struct xades_props	x;
	struct sig_xmlsec_run	run;
	struct qj_sig_result	r;
	xmlDocPtr		doc = NULL;
	time_t			now, at;
	enum qj_err		err;

	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	memset(&run, 0, sizeof(run));
	memset(&r, 0, sizeof(r));
	now = ex->now != 0 ? ex->now : time(NULL);
	if ((SIG_IS_DETACHED(mode) && ex->doc == NULL) ||
	    (mode == SIG_ENVELOPED && ex->doc_uri != NULL)) {
		err = qj_fail(d, QJ_EINVAL, "sig-references", "document",
		    "a detached signature needs the document; an enveloped "
		    "one takes no URI");
		goto out;
	}
	/* Steps 1-4: parse, then the structure. */
	if ((err = qj_xml_parse(xml, len, ex->max_bytes, &doc, d)) != QJ_OK ||
	    (err = sig_policy_check(doc, mode, ex->doc_uri, cert_from_der, t,
	    &p, d)) != QJ_OK)
		goto out;
	/* Step 5: XAdES properties. */
	if (SIG_IS_DETACHED(mode) && (err = xades_read(&p, &x, d)) !=
	    QJ_OK)
		goto out;
	/* Step 6: the key. */
	if ((err = qj_trust_check_key(p.leaf, d)) != QJ_OK)
		goto out;
	if (EVP_PKEY_get_base_id(X509_get0_pubkey(p.leaf)) != p.alg->key_type) {
		err = qj_fail(d, QJ_EUNPROC, "sig-algorithm", "SignatureMethod",
		    "SignatureMethod %s does not fit the signer's key",
		    p.alg->uri);
		goto out;
	}
	if (SIG_IS_DETACHED(mode) && x.signing_time > now + XADES_SKEW) {
		err = xades_fail(d, "SigningTime", "SigningTime is in the future");
		goto out;
	}
	/* Step 7: trust at the verification time. */
	at = ex->at != 0 ? ex->at : x.signing_time != 0 ? x.signing_time : now;
	if ((err = qj_trust_verify(t, p.leaf, p.extra, at, &r.signer,
	    d)) != QJ_OK)
		goto out;
	/* Step 5, last part: SigningCertificateV2 is the checked certificate. */
	if (SIG_IS_DETACHED(mode) && (err = xades_check_cert(&x, p.leaf,
	    r.signer.cert_sha256, d)) != QJ_OK)
		goto out;
	/* Step 8: the cryptography, by xmlsec. */
	run.mngr = qj_trust_xmlsec_mngr(t);
	run.sig = p.sig;
	run.detached = SIG_IS_DETACHED(mode);
	run.uri = p.data_uri;
	run.data = ex->doc;
	run.len = ex->doc_len;
	run.nrefs = SIG_IS_DETACHED(mode) ? 2 : 1;
	run.props_type = SIG_PROPS_TYPE;
	run.keep_signed_info = ex->keep_signed_info;
	run.keep_digested = mode == SIG_ENVELOPED;
	/* The key of the certificate just validated, and no other. */
	run.key = X509_get0_pubkey(p.leaf);
	run.at = at;
	if (run.key == NULL) {
		err = qj_fail(d, QJ_EUNPROC, "sig-key-source", "KeyInfo",
		    "the signer certificate has no usable key");
		goto out;
	}
	if ((err = sig_xmlsec_verify(&run, d)) != QJ_OK)
		goto out;
	if (mode == SIG_ENVELOPED && ex->doc != NULL &&
	    (err = compare_expected(ex, &p, &run.digested, d)) != QJ_OK)
		goto out;
	/* Step 9: binding. */
	if ((err = check_binding(ex, &r.signer, x.commitment, d)) != QJ_OK)
		goto out;
	r.signing_time = x.signing_time;
	r.checked_at = at;
	r.commitment = x.commitment;
	r.sig_method = p.alg->uri;
	snprintf(r.role, sizeof(r.role), "%s", x.role);
	snprintf(r.uri, sizeof(r.uri), "%s", p.data_uri);
	r.signed_bytes = run.digested;
	r.signed_info = run.signed_info;
	memset(&run.digested, 0, sizeof(run.digested));
	memset(&run.signed_info, 0, sizeof(run.signed_info));
	if (res != NULL) {
		*res = r;
		memset(&r, 0, sizeof(r));
	}
	err = QJ_OK;
out:
	qj_sig_result_free(&r);
	sig_xmlsec_run_free(&run);
	xades_props_free(&x);
	sig_parts_free(&p);
	if (doc != NULL)
		xmlFreeDoc(doc);
	ERR_clear_error();
	return (err);
}

enum qj_err
qj_xades_verify(struct qj_trust *t, const void *xml, size_t len,
    const struct qj_sig_expect *ex, struct qj_sig_result *res,
    struct qj_diag *d)
{
	return (sig_verify(t, SIG_DETACHED, xml, len, ex, res, d));
}

enum qj_err
qj_xades_verify_asic(struct qj_trust *t, const void *xml, size_t len,
    const struct qj_sig_expect *ex, struct qj_sig_result *res,
    struct qj_diag *d)
{
	return (sig_verify(t, SIG_ASIC, xml, len, ex, res, d));
}

enum qj_err
qj_xades_verify_enveloped(struct qj_trust *t, const void *xml, size_t len,
    const struct qj_sig_expect *ex, struct qj_sig_result *res,
    struct qj_diag *d)
{
	return (sig_verify(t, SIG_ENVELOPED, xml, len, ex, res, d));
}

/* --- multi-reference signatures (ASiC-E containers; the archive seal) ------- */

/*
 * The objects a multi-reference verification may read, for the calling
 * thread only: set for the duration of one sig_xmlsec_verify() call and
 * served by IO callbacks registered once, after sig_xmlsec.c's own (whose
 * matcher declines every URI when its single-document call is not set, so
 * xmlsec asks these next).  Outside that call the table is NULL and these
 * callbacks match nothing either.
 */
struct objs_table {
	const struct qj_xades_obj	*objs;
	const size_t			*order;	/* indexes sorted by uri */
	size_t				 n;
};

struct objs_cursor {
	const unsigned char	*data;
	size_t			 len, off;
};

static _Thread_local const struct objs_table	*objs_current;
static pthread_once_t				 objs_once = PTHREAD_ONCE_INIT;
static int					 objs_io_ok;

/* Index (into objs) of `uri` by binary search over t->order, or -1. */
static long
objs_find(const struct objs_table *t, const char *uri)
{
	size_t	lo = 0, hi, mid;
	int	c;

	if (t == NULL || uri == NULL)
		return (-1);
	hi = t->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(uri, t->objs[t->order[mid]].uri);
		if (c == 0)
			return ((long)t->order[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (-1);
}

static int
objs_io_match(const char *uri)
{
	return (objs_find(objs_current, uri) >= 0);
}

static void *
objs_io_open(const char *uri)
{
	struct objs_cursor	*cur;
	long			 i = objs_find(objs_current, uri);

	if (i < 0 || (cur = calloc(1, sizeof(*cur))) == NULL)
		return (NULL);
	cur->data = objs_current->objs[i].data;
	cur->len = objs_current->objs[i].len;
	return (cur);
}

static int
objs_io_read(void *ctx, char *buf, int len)
{
	struct objs_cursor	*cur = ctx;
	size_t			 n;

	if (len < 0)
		return (-1);
	n = cur->len - cur->off;
	if (n > (size_t)len)
		n = (size_t)len;
	if (n > 0)
		memcpy(buf, cur->data + cur->off, n);
	cur->off += n;
	return ((int)n);
}

static int
objs_io_close(void *ctx)
{
	free(ctx);
	return (0);
}

static void
objs_io_register(void)
{
	sig_xmlsec_init();
	objs_io_ok = xmlSecIORegisterCallbacks(objs_io_match, objs_io_open,
	    objs_io_read, objs_io_close) >= 0;
}

static void
xades_objs_io_init(void)
{
	pthread_once(&objs_once, objs_io_register);
}

static const struct qj_xades_obj *objs_sort_objs;

static int
objs_cmp(const void *a, const void *b)
{
	return (strcmp(objs_sort_objs[*(const size_t *)a].uri,
	    objs_sort_objs[*(const size_t *)b].uri));
}

/*
 * Sorted index of the objects, for lookup and the uniqueness check.  qsort
 * needs the objects through a static: the sort runs under a lock.
 */
static pthread_mutex_t objs_sort_lock = PTHREAD_MUTEX_INITIALIZER;

static enum qj_err
objs_index(const struct qj_xades_obj *objs, size_t n, size_t **out,
    struct qj_diag *d)
{
	size_t	*ix, i;

	if (n == 0 || n > QJ_XADES_MAX_OBJECTS)
		return (qj_fail(d, QJ_EINVAL, "sig-prepare", "objects",
		    "between 1 and %d objects are signed", QJ_XADES_MAX_OBJECTS));
	for (i = 0; i < n; i++)
		if (objs[i].uri == NULL || !uri_ok(objs[i].uri) ||
		    (objs[i].data == NULL && objs[i].len > 0))
			return (qj_fail(d, QJ_EINVAL, "sig-prepare", "uri",
			    "object URI \"%s\" is not a relative path of "
			    "[A-Za-z0-9._~/-]", objs[i].uri != NULL ?
			    objs[i].uri : "(null)"));
	if ((ix = calloc(n, sizeof(*ix))) == NULL)
		return (QJ_ENOMEM);
	for (i = 0; i < n; i++)
		ix[i] = i;
	pthread_mutex_lock(&objs_sort_lock);
	objs_sort_objs = objs;
	qsort(ix, n, sizeof(*ix), objs_cmp);
	objs_sort_objs = NULL;
	pthread_mutex_unlock(&objs_sort_lock);
	for (i = 1; i < n; i++)
		if (strcmp(objs[ix[i - 1]].uri, objs[ix[i]].uri) == 0) {
			(void)qj_fail(d, QJ_EINVAL, "sig-prepare", "uri",
			    "object URI \"%s\" is given twice",
			    objs[ix[i]].uri);
			free(ix);
			return (QJ_EINVAL);
		}
	*out = ix;
	return (QJ_OK);
}

/* SHA-256 of an object, precomputed or now. */
static void
obj_sha256(const struct qj_xades_obj *o, unsigned char md[32])
{
	if (o->sha256 != NULL)
		memcpy(md, o->sha256, 32);
	else
		qj_sha256(o->data != NULL ? o->data : "", o->len, md);
}

/* --- signing ------------------------------------------------------------ */

static enum qj_err
multi_template(const struct qj_xades_obj *objs, size_t n,
    enum qj_commitment cm, const struct prep_fields *f, struct qj_buf *x)
{
	struct qj_buf	 b64 = QJ_BUF_INIT, mime = QJ_BUF_INIT;
	unsigned char	 md[32];
	enum qj_err	 err;
	size_t		 i;

	err = qj_buf_printf(x, "<asic:XAdESSignatures xmlns:asic=\"" QJ_ASIC_NS
	    "\">\n<ds:Signature xmlns:ds=\"" SIG_NS_DS "\" Id=\"sig-%s\">\n"
	    "<ds:SignedInfo>"
	    "<ds:CanonicalizationMethod Algorithm=\"" SIG_C14N_EXCL "\"/>"
	    "<ds:SignatureMethod Algorithm=\"%s\"/>\n", f->id, f->method);
	for (i = 0; i < n && err == QJ_OK; i++) {
		obj_sha256(&objs[i], md);
		qj_buf_reset(&b64);
		if ((err = qj_base64_encode(md, sizeof(md), &b64)) != QJ_OK)
			break;
		err = qj_buf_printf(x, "<ds:Reference Id=\"ref-%s-%zu\" "
		    "URI=\"%s\"><ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
		    "<ds:DigestValue>%s</ds:DigestValue></ds:Reference>\n",
		    f->id, i + 1, objs[i].uri, b64.data);
	}
	if (err == QJ_OK)
		err = qj_buf_printf(x,
		    "<ds:Reference Type=\"" SIG_PROPS_TYPE "\" URI=\"#xades-%s\">"
		    "<ds:Transforms><ds:Transform Algorithm=\"" SIG_C14N_EXCL
		    "\"/></ds:Transforms>"
		    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
		    "<ds:DigestValue></ds:DigestValue></ds:Reference>"
		    "</ds:SignedInfo>\n"
		    "<ds:SignatureValue Id=\"sigval-%s\"></ds:SignatureValue>\n"
		    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
		    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n"
		    "<ds:Object><xades:QualifyingProperties xmlns:xades=\""
		    SIG_NS_XADES "\" Target=\"#sig-%s\">"
		    "<xades:SignedProperties Id=\"xades-%s\">"
		    "<xades:SignedSignatureProperties>"
		    "<xades:SigningTime>%s</xades:SigningTime>"
		    "<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>"
		    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
		    "<ds:DigestValue>%s</ds:DigestValue></xades:CertDigest>"
		    "<xades:IssuerSerialV2>%s</xades:IssuerSerialV2>"
		    "</xades:Cert></xades:SigningCertificateV2>",
		    f->id, f->id, f->cert.data, f->id, f->id, f->when,
		    f->cert_digest.data, f->issuer_serial.data);
	if (err == QJ_OK && f->role.len > 0)
		err = qj_buf_printf(x, "<xades:SignerRoleV2><xades:ClaimedRoles>"
		    "<xades:ClaimedRole>%s</xades:ClaimedRole>"
		    "</xades:ClaimedRoles></xades:SignerRoleV2>",
		    f->role.data);
	if (err == QJ_OK)
		err = qj_buf_puts(x, "</xades:SignedSignatureProperties>"
		    "<xades:SignedDataObjectProperties>");
	for (i = 0; i < n && err == QJ_OK; i++) {
		qj_buf_reset(&mime);
		if (objs[i].mime == NULL || objs[i].mime[0] == '\0' ||
		    strlen(objs[i].mime) > 200 ||
		    xml_escape(objs[i].mime, &mime) != QJ_OK) {
			err = QJ_EINVAL;
			break;
		}
		err = qj_buf_printf(x, "<xades:DataObjectFormat ObjectReference="
		    "\"#ref-%s-%zu\"><xades:MimeType>%s</xades:MimeType>"
		    "</xades:DataObjectFormat>", f->id, i + 1, mime.data);
	}
	if (err == QJ_OK)
		err = qj_buf_printf(x,
		    "<xades:CommitmentTypeIndication><xades:CommitmentTypeId>"
		    "<xades:Identifier>%s</xades:Identifier>"
		    "</xades:CommitmentTypeId><xades:AllSignedDataObjects/>"
		    "</xades:CommitmentTypeIndication>"
		    "</xades:SignedDataObjectProperties>"
		    "</xades:SignedProperties></xades:QualifyingProperties>"
		    "</ds:Object>\n</ds:Signature>\n</asic:XAdESSignatures>\n",
		    qj_commitment_uri(cm));
	qj_buf_free(&b64);
	qj_buf_free(&mime);
	return (err);
}

int
qj_xades_is_detached(const void *xml, size_t len)
{
	struct qj_diag	d;
	xmlDocPtr	doc;
	int		yes;

	if (qj_xml_parse(xml, len, 0, &doc, &d) != QJ_OK)
		return (0);
	yes = sig_is(xmlDocGetRootElement(doc), SIG_NS_DS, "Signature");
	xmlFreeDoc(doc);
	return (yes);
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

enum qj_err
qj_asic_split(const void *sig, size_t len, size_t *prolog, size_t *epilog,
    struct qj_diag *d)
{
	const char	*b = sig, *p = b, *end = b + len, *q;

	if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	for (;;) {
		while (p < end && is_space(*p))
			p++;
		if (end - p >= 2 && memcmp(p, "<?", 2) == 0)
			q = memmem(p, (size_t)(end - p), "?>", 2);
		else if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
			q = memmem(p, (size_t)(end - p), "-->", 3);
		else
			break;
		if (q == NULL)
			return (qj_fail(d, QJ_EINVAL, "sig-malformed",
			    "Signature", "an unclosed declaration or comment"));
		p = q + (*q == '?' ? 2 : 3);
	}
	for (;;) {
		while (end > p && is_space(end[-1]))
			end--;
		if (end - p >= 3 && memcmp(end - 3, "-->", 3) == 0)
			q = "<!--";
		else if (end - p >= 2 && memcmp(end - 2, "?>", 2) == 0)
			q = "<?";
		else
			break;
		/* Back to the last opening of a comment or instruction. */
		{
			const char	*t, *r = NULL;
			size_t		 ql = strlen(q);

			for (t = p; t + ql <= end; t++)
				if (memcmp(t, q, ql) == 0)
					r = t;
			if (r == NULL || r == p)
				return (qj_fail(d, QJ_EINVAL, "sig-malformed",
				    "Signature", "an unopened comment or "
				    "instruction"));
			end = r;
		}
	}
	if (p >= end || *p != '<' || end[-1] != '>')
		return (qj_fail(d, QJ_EINVAL, "sig-malformed", "Signature",
		    "no element"));
	*prolog = (size_t)(p - b);
	*epilog = (size_t)(b + len - end);
	return (QJ_OK);
}

enum qj_err
qj_asic_wrap(const void *sig, size_t len, struct qj_buf *out,
    struct qj_diag *d)
{
	size_t		pro, epi;
	enum qj_err	err;

	if ((err = qj_asic_split(sig, len, &pro, &epi, d)) != QJ_OK)
		return (err);
	if ((err = qj_buf_puts(out, QJ_ASIC_FILE_HEAD)) != QJ_OK ||
	    (err = qj_buf_append(out, (const char *)sig + pro, len - pro -
	    epi)) != QJ_OK)
		return (err);
	return (qj_buf_puts(out, QJ_ASIC_FILE_TAIL));
}

/* The one ds:Signature of a container: the root's only element child. */
static xmlNodePtr
container_sig(xmlDocPtr doc)
{
	xmlNodePtr	root = xmlDocGetRootElement(doc), sig;

	if (!sig_is(root, QJ_ASIC_NS, "XAdESSignatures"))
		return (NULL);
	sig = sig_child(root);
	if (!sig_is(sig, SIG_NS_DS, "Signature") || sig_next(sig) != NULL)
		return (NULL);
	return (sig);
}

/* The signature's Id: a digest of the objects, the time and the cert. */
static enum qj_err
multi_id(const struct qj_xades_obj *objs, size_t n, struct prep_fields *f)
{
	EVP_MD_CTX	*mc;
	unsigned char	 md[32], h[32];
	unsigned int	 len = sizeof(md);
	size_t		 i;
	int		 ok;

	if ((mc = EVP_MD_CTX_new()) == NULL)
		return (QJ_ENOMEM);
	ok = EVP_DigestInit_ex(mc, sig_sha256(), NULL) == 1;
	for (i = 0; ok && i < n; i++) {
		obj_sha256(&objs[i], h);
		ok = EVP_DigestUpdate(mc, objs[i].uri, strlen(objs[i].uri) +
		    1) == 1 && EVP_DigestUpdate(mc, h, sizeof(h)) == 1;
	}
	ok = ok && EVP_DigestUpdate(mc, f->when, strlen(f->when)) == 1 &&
	    EVP_DigestUpdate(mc, f->cert_digest.data, f->cert_digest.len) ==
	    1 && EVP_DigestFinal_ex(mc, md, &len) == 1;
	EVP_MD_CTX_free(mc);
	if (!ok)
		return (QJ_EINTERNAL);
	qj_hex(md, 8, f->id);
	return (QJ_OK);
}

/* Fills the SignedProperties digest and returns the canonical SignedInfo. */
static enum qj_err
multi_digest_and_tbs(xmlDocPtr doc, struct qj_buf *tbs)
{
	struct qj_buf	 c = QJ_BUF_INIT, dv = QJ_BUF_INIT;
	xmlNodePtr	 sig = container_sig(doc), si, ref, last = NULL, props;
	enum qj_err	 err = QJ_EINTERNAL;

	si = sig_child(sig);
	for (ref = sig_next(sig_next(sig_child(si))); ref != NULL;
	    ref = sig_next(ref))
		last = ref;
	props = sig_child(sig_child(sig_next(sig_next(sig_next(si)))));
	if (!sig_is(last, SIG_NS_DS, "Reference") ||
	    !sig_is(props, SIG_NS_XADES, "SignedProperties"))
		goto out;
	if ((err = c14n_subtree(doc, props, &c)) != QJ_OK ||
	    (err = digest_b64("SHA256", c.data, c.len, &dv)) != QJ_OK)
		goto out;
	xmlNodeSetContent(sig_next(sig_next(sig_child(last))),
	    BAD_CAST dv.data);
	err = c14n_subtree(doc, si, tbs);
out:
	qj_buf_free(&c);
	qj_buf_free(&dv);
	return (err);
}

/* RSA PKCS#1 v1.5 or ECDSA (as r||s) over tbs with SHA-256, base64. */
static enum qj_err
multi_sign_value(EVP_PKEY *key, const struct qj_buf *tbs, struct qj_buf *b64)
{
	EVP_MD_CTX	*mc = NULL;
	unsigned char	*sig = NULL, raw[2 * 66];
	size_t		 len = 0, half;
	enum qj_err	 err = QJ_EINTERNAL;

	if ((mc = EVP_MD_CTX_new()) == NULL)
		return (QJ_ENOMEM);
	if (EVP_DigestSignInit(mc, NULL, sig_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(mc, NULL, &len, (const unsigned char *)tbs->data,
	    tbs->len) != 1 || (sig = malloc(len)) == NULL ||
	    EVP_DigestSign(mc, sig, &len, (const unsigned char *)tbs->data,
	    tbs->len) != 1)
		goto out;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		half = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
		if (half == 0 || half > 66 ||
		    qj_ecdsa_der_to_raw(sig, len, half, raw) != 0)
			goto out;
		err = qj_base64_encode(raw, 2 * half, b64);
	} else
		err = qj_base64_encode(sig, len, b64);
out:
	free(sig);
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	return (err);
}

enum qj_err
qj_xades_sign_objects(EVP_PKEY *key, X509 *cert,
    const struct qj_xades_obj *objs, size_t n, enum qj_commitment cm,
    const char *role, time_t when, struct qj_buf *out, struct qj_diag *d)
{
	struct prep_fields	 f;
	struct qj_buf		 x = QJ_BUF_INIT, tbs = QJ_BUF_INIT,
				 b64 = QJ_BUF_INIT, res = QJ_BUF_INIT;
	xmlDocPtr		 doc = NULL;
	size_t			*ix = NULL;
	enum qj_err		 err;

	memset(&f, 0, sizeof(f));
	if (key == NULL || cert == NULL || qj_commitment_uri(cm) == NULL ||
	    X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		err = qj_fail(d, QJ_EINVAL, "sig-prepare", "key", "a key, its "
		    "certificate and one of the three commitments are "
		    "required");
		goto out;
	}
	if ((err = objs_index(objs, n, &ix, d)) != QJ_OK ||
	    (err = prep_collect("", 0, cert, role, when, &f, d)) != QJ_OK)
		goto out;
	/* Ids from what is signed, so an RSA seal is reproducible. */
	if ((err = multi_id(objs, n, &f)) != QJ_OK)
		goto out;
	if ((err = multi_template(objs, n, cm, &f, &x)) != QJ_OK) {
		if (err == QJ_EINVAL)
			err = qj_fail(d, QJ_EINVAL, "sig-prepare", "mime",
			    "every object needs a MimeType of 1..200 bytes");
		goto out;
	}
	if ((err = qj_xml_parse(x.data, x.len, x.len + 1, &doc, d)) != QJ_OK ||
	    (err = multi_digest_and_tbs(doc, &tbs)) != QJ_OK ||
	    (err = multi_sign_value(key, &tbs, &b64)) != QJ_OK)
		goto out;
	xmlNodeSetContent(sig_next(sig_child(container_sig(doc))),
	    BAD_CAST b64.data);
	if ((err = doc_dump(doc, &res)) != QJ_OK)
		goto out;
	err = qj_buf_append(out, res.data, res.len);
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(ix);
	prep_fields_free(&f);
	qj_buf_free(&x);
	qj_buf_free(&tbs);
	qj_buf_free(&b64);
	qj_buf_free(&res);
	return (err);
}

/* --- verification: the structural policy ------------------------------------- */

struct multi_parts {
	xmlNodePtr	 sig, signed_info, sig_value, key_info, qprops, props;
	xmlNodePtr	 props_ref;
	xmlNodePtr	*data_refs;	/* owned array: data_refs[i] for obj i */
	const struct sig_alg *alg;
	STACK_OF(X509)	*certs;		/* owned */
	STACK_OF(X509)	*extra;		/* owned stack, borrowed certs */
	X509		*leaf;		/* borrowed from certs */
};

static void
multi_parts_free(struct multi_parts *p)
{
	free(p->data_refs);
	sk_X509_free(p->extra);
	sk_X509_pop_free(p->certs, X509_free);
	memset(p, 0, sizeof(*p));
}

/* Counts ds:Signature, checks Id uniqueness and junk inside the signature. */
struct multi_walk {
	xmlHashTablePtr	 ids;
	int		 nsig, dup, junk, nomem;
	char		 dupval[64];
};

static void
multi_walk(xmlNodePtr n, struct multi_walk *w, int in_sig)
{
	xmlAttrPtr	 a;
	xmlChar		*v;
	int		 here, id;

	for (; n != NULL; n = n->next) {
		if (in_sig && (n->type == XML_COMMENT_NODE ||
		    n->type == XML_PI_NODE))
			w->junk = 1;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		here = sig_is(n, SIG_NS_DS, "Signature");
		w->nsig += here;
		for (a = n->properties; a != NULL; a = a->next) {
			id = a->ns == NULL ? (in_sig || here) &&
			    (xmlStrEqual(a->name, BAD_CAST "Id") ||
			    xmlStrEqual(a->name, BAD_CAST "ID") ||
			    xmlStrEqual(a->name, BAD_CAST "id")) :
			    xmlStrEqual(a->ns->href, XML_XML_NAMESPACE) &&
			    xmlStrEqual(a->name, BAD_CAST "id");
			if (!id)
				continue;
			if ((v = xmlNodeGetContent((xmlNodePtr)a)) == NULL) {
				w->nomem = 1;
				continue;
			}
			if (xmlHashAddEntry(w->ids, v, a) != 0 && !w->dup) {
				w->dup = 1;
				snprintf(w->dupval, sizeof(w->dupval), "%s",
				    (char *)v);
			}
			xmlFree(v);
		}
		multi_walk(n->children, w, in_sig || here);
	}
}

static enum qj_err
multi_place(xmlDocPtr doc, struct multi_parts *p, struct qj_diag *d)
{
	struct multi_walk	w;
	xmlNodePtr		c;

	memset(&w, 0, sizeof(w));
	if ((w.ids = xmlHashCreate(64)) == NULL)
		return (QJ_ENOMEM);
	multi_walk(xmlDocGetRootElement(doc), &w, 0);
	xmlHashFree(w.ids, NULL);
	if (w.nomem)
		return (QJ_ENOMEM);
	if (w.nsig != 1)
		return (qj_fail(d, QJ_EUNPROC, "sig-count", "Signature",
		    "%d ds:Signature elements; exactly one is required",
		    w.nsig));
	if ((p->sig = container_sig(doc)) == NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Signature",
		    "the signature must be the only element of an "
		    "asic:XAdESSignatures root"));
	if (w.dup)
		return (qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Id",
		    "the Id \"%s\" occurs more than once", w.dupval));
	if (w.junk)
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Signature",
		    "comments and processing instructions are not allowed "
		    "inside ds:Signature"));
	c = sig_child(p->sig);
	if (!sig_is(c, SIG_NS_DS, "SignedInfo") ||
	    !sig_is(sig_next(c), SIG_NS_DS, "SignatureValue"))
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Signature",
		    "ds:Signature must start with SignedInfo, SignatureValue"));
	p->signed_info = c;
	p->sig_value = sig_next(c);
	if (!sig_is(p->key_info = sig_next(p->sig_value), SIG_NS_DS,
	    "KeyInfo"))
		return (qj_fail(d, QJ_EUNPROC, "sig-key-source", "KeyInfo",
		    "no ds:KeyInfo with the signer certificate"));
	c = sig_next(p->key_info);
	if (!sig_is(c, SIG_NS_DS, "Object") || sig_next(c) != NULL ||
	    !sig_is(p->qprops = sig_child(c), SIG_NS_XADES,
	    "QualifyingProperties") || sig_next(p->qprops) != NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-wrapping", "Object",
		    "exactly one ds:Object holding only the "
		    "xades:QualifyingProperties must follow KeyInfo"));
	return (QJ_OK);
}

static const struct sig_alg multi_methods[] = {
	{ SIG_RSA_SHA256, EVP_PKEY_RSA, "SHA256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
	    EVP_PKEY_RSA, "SHA384" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
	    EVP_PKEY_RSA, "SHA512" },
	{ SIG_ECDSA_SHA256, EVP_PKEY_EC, "SHA256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
	    EVP_PKEY_EC, "SHA384" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
	    EVP_PKEY_EC, "SHA512" },
};

/* An attribute equal to one of the allowed canonicalisations (no comments). */
static int
multi_c14n_ok(xmlNodePtr m)
{
	xmlChar	*alg = xmlGetNoNsProp(m, BAD_CAST "Algorithm");
	int	 ok;

	ok = alg != NULL && (xmlStrEqual(alg, BAD_CAST SIG_C14N_EXCL) ||
	    xmlStrEqual(alg, BAD_CAST SIG_C14N_10)) && sig_child(m) == NULL;
	xmlFree(alg);
	return (ok);
}

/* [Transforms] DigestMethod DigestValue; the digest decoded into dv. */
static enum qj_err
multi_reference(xmlNodePtr r, int props, const char *uri, struct qj_buf *dv,
    const struct sig_alg **md, struct qj_diag *d)
{
	xmlNodePtr	 c = sig_child(r), t;
	struct qj_buf	 txt = QJ_BUF_INIT;
	xmlChar		*alg;
	enum qj_err	 err = QJ_OK;

	if (sig_is(c, SIG_NS_DS, "Transforms")) {
		t = sig_child(c);
		if (!props)
			return (qj_fail(d, QJ_EUNPROC, "sig-transform",
			    "Transforms", "the Reference to %s takes no "
			    "transforms", uri));
		if (t != NULL && (!sig_is(t, SIG_NS_DS, "Transform") ||
		    !multi_c14n_ok(t) || sig_next(t) != NULL))
			return (qj_fail(d, QJ_EUNPROC, "sig-transform",
			    "Transforms", "the SignedProperties Reference may "
			    "have one canonicalisation transform"));
		c = sig_next(c);
	}
	if (!sig_is(c, SIG_NS_DS, "DigestMethod") ||
	    !sig_is(sig_next(c), SIG_NS_DS, "DigestValue") ||
	    sig_next(sig_next(c)) != NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-malformed", "Reference",
		    "a Reference must hold [Transforms] DigestMethod "
		    "DigestValue"));
	alg = xmlGetNoNsProp(c, BAD_CAST "Algorithm");
	*md = sig_digest_alg(alg);
	if (*md == NULL || sig_child(c) != NULL) {
		err = qj_fail(d, QJ_EUNPROC, "sig-algorithm", "DigestMethod",
		    "digest algorithm %s is not allowed (SHA-256/384/512)",
		    alg != NULL ? (char *)alg : "(none)");
		xmlFree(alg);
		return (err);
	}
	xmlFree(alg);
	if ((err = sig_text(sig_next(c), &txt)) != QJ_OK ||
	    qj_base64_decode(txt.data, txt.len, dv) != QJ_OK)
		err = qj_fail(d, QJ_EUNPROC, "sig-malformed", "DigestValue",
		    "the DigestValue of %s is not base64", uri);
	qj_buf_free(&txt);
	return (err);
}

/* Digest of an object under `md` compared with the Reference's value. */
static int
multi_digest_ok(const struct qj_xades_obj *o, const struct sig_alg *md,
    const struct qj_buf *dv)
{
	unsigned char	 buf[EVP_MAX_MD_SIZE];
	unsigned int	 n = sizeof(buf);
	EVP_MD		*m;
	int		 ok;

	if (strcmp(md->md, "SHA256") == 0) {
		obj_sha256(o, buf);
		n = 32;
	} else {
		if ((m = md_fetch(md->md)) == NULL)
			return (0);
		ok = EVP_Digest(o->data != NULL ? o->data : "", o->len, buf,
		    &n, m, NULL);
		EVP_MD_free(m);
		if (ok != 1)
			return (0);
	}
	return (dv->len == n && memcmp(dv->data, buf, n) == 0);
}

/* Appends `uri` to a list of names for a diagnostic. */
static void
name_list(struct qj_buf *l, size_t *n, const char *uri)
{
	if ((*n)++ < 8)
		(void)qj_buf_printf(l, "%s%s", l->len > 0 ? ", " : "", uri);
	else if (*n == 9)
		(void)qj_buf_puts(l, ", ...");
}

/*
 * The References: exactly one per expected object, plus SignedProperties.
 * Shape errors stop at once; objects that are missing, unexpected or
 * changed are all collected, so the diagnostic names every one of them.
 */
static enum qj_err
multi_signed_info(struct multi_parts *p, const struct qj_xades_obj *objs,
    size_t n, const struct objs_table *tab, struct qj_diag *d)
{
	struct qj_buf		 dv = QJ_BUF_INIT, unknown = QJ_BUF_INIT,
				 missing = QJ_BUF_INIT, changed = QJ_BUF_INIT;
	const struct sig_alg	*md;
	const char		*first = NULL;
	char			 firstbuf[96];
	xmlNodePtr		 c = sig_child(p->signed_info);
	xmlChar			*alg, *type, *uri;
	enum qj_err		 err = QJ_OK;
	size_t			 nunk = 0, nmis = 0, nchg = 0;
	long			 i;

	if (!sig_is(c, SIG_NS_DS, "CanonicalizationMethod") ||
	    !multi_c14n_ok(c))
		return (qj_fail(d, QJ_EUNPROC, "sig-transform",
		    "CanonicalizationMethod", "SignedInfo must start with an "
		    "allowed CanonicalizationMethod"));
	c = sig_next(c);
	alg = sig_is(c, SIG_NS_DS, "SignatureMethod") ?
	    xmlGetNoNsProp(c, BAD_CAST "Algorithm") : NULL;
	for (i = 0; alg != NULL && i < (long)QJ_NELEM(multi_methods); i++)
		if (xmlStrEqual(alg, BAD_CAST multi_methods[i].uri))
			p->alg = &multi_methods[i];
	xmlFree(alg);
	if (p->alg == NULL || sig_child(c) != NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-algorithm",
		    "SignatureMethod", "the SignatureMethod is not RSA or "
		    "ECDSA with SHA-256/384/512"));
	if ((p->data_refs = calloc(n, sizeof(*p->data_refs))) == NULL)
		return (QJ_ENOMEM);
	for (c = sig_next(c); c != NULL && err == QJ_OK; c = sig_next(c)) {
		if (!sig_is(c, SIG_NS_DS, "Reference")) {
			err = qj_fail(d, QJ_EUNPROC, "sig-malformed",
			    "SignedInfo", "unexpected element %s in SignedInfo",
			    (const char *)c->name);
			break;
		}
		type = xmlGetNoNsProp(c, BAD_CAST "Type");
		uri = xmlGetNoNsProp(c, BAD_CAST "URI");
		qj_buf_reset(&dv);
		if (type != NULL && xmlStrEqual(type, BAD_CAST SIG_PROPS_TYPE) &&
		    p->props_ref == NULL) {
			p->props_ref = c;
			err = multi_reference(c, 1, "SignedProperties", &dv, &md,
			    d);
		} else if (type != NULL || uri == NULL || uri[0] == '\0' ||
		    uri[0] == '#') {
			err = qj_fail(d, QJ_EUNPROC, "sig-references",
			    "Reference", "only one SignedProperties Reference "
			    "and References to objects are allowed");
		} else if ((i = objs_find(tab, (char *)uri)) < 0) {
			name_list(&unknown, &nunk, (char *)uri);
			if (first == NULL) {
				snprintf(firstbuf, sizeof(firstbuf), "%s",
				    (char *)uri);
				first = firstbuf;
			}
		} else if (p->data_refs[i] != NULL) {
			err = qj_fail(d, QJ_EUNPROC, "sig-references",
			    objs[i].uri, "%s is referenced twice",
			    objs[i].uri);
		} else if (!xmlHasNsProp(c, BAD_CAST "Id", NULL)) {
			err = qj_fail(d, QJ_EUNPROC, "sig-xades", "Reference",
			    "the Reference to %s has no Id for its "
			    "DataObjectFormat", (char *)uri);
		} else if ((err = multi_reference(c, 0, (char *)uri, &dv, &md,
		    d)) == QJ_OK) {
			p->data_refs[i] = c;
			if (!multi_digest_ok(&objs[i], md, &dv)) {
				name_list(&changed, &nchg, objs[i].uri);
				if (first == NULL)
					first = objs[i].uri;
			}
		}
		xmlFree(type);
		xmlFree(uri);
	}
	for (i = 0; err == QJ_OK && i < (long)n; i++)
		if (p->data_refs[i] == NULL) {
			name_list(&missing, &nmis, objs[i].uri);
			if (first == NULL)
				first = objs[i].uri;
		}
	if (err == QJ_OK && (nunk > 0 || nmis > 0 || nchg > 0))
		err = qj_fail(d, QJ_EUNPROC, nunk > 0 || nmis > 0 ?
		    "sig-references" : "sig-digest", first != NULL ? first :
		    "Reference", "%s%s%s%s%s%s%s%s", nunk > 0 ? "signed but "
		    "absent: " : "", nunk > 0 ? unknown.data : "",
		    nunk > 0 && nmis + nchg > 0 ? "; " : "", nmis > 0 ?
		    "present but not signed: " : "", nmis > 0 ? missing.data :
		    "", nmis > 0 && nchg > 0 ? "; " : "", nchg > 0 ?
		    "changed since signing: " : "", nchg > 0 ? changed.data :
		    "");
	qj_buf_free(&dv);
	qj_buf_free(&unknown);
	qj_buf_free(&missing);
	qj_buf_free(&changed);
	if (err != QJ_OK)
		return (err);
	if (p->props_ref == NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "no SignedProperties Reference"));
	uri = xmlGetNoNsProp(p->props_ref, BAD_CAST "URI");
	p->props = sig_child(p->qprops);
	alg = sig_is(p->props, SIG_NS_XADES, "SignedProperties") ?
	    xmlGetNoNsProp(p->props, BAD_CAST "Id") : NULL;
	if (uri == NULL || alg == NULL || uri[0] != '#' ||
	    !xmlStrEqual(uri + 1, alg) || sig_next(p->props) != NULL)
		err = qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "the SignedProperties Reference does not point at the "
		    "SignedProperties of this signature (the only child of "
		    "QualifyingProperties)");
	xmlFree(uri);
	xmlFree(alg);
	return (err);
}

/* KeyInfo: one X509Data of X509Certificates; the leaf issues none. */
static enum qj_err
multi_key_info(struct qj_trust *t, struct multi_parts *p, struct qj_diag *d)
{
	struct qj_buf	 txt = QJ_BUF_INIT, der = QJ_BUF_INIT;
	xmlNodePtr	 xd = sig_child(p->key_info), c;
	X509		*x, *ci, *cj;
	enum qj_err	 err = QJ_OK;
	int		 i, j, n, issues, leaves = 0;

	if (!sig_is(xd, SIG_NS_DS, "X509Data") || sig_next(xd) != NULL ||
	    sig_child(xd) == NULL)
		return (qj_fail(d, QJ_EUNPROC, "sig-key-source", "KeyInfo",
		    "KeyInfo must hold exactly one X509Data of certificates"));
	if ((p->certs = sk_X509_new_null()) == NULL ||
	    (p->extra = sk_X509_new_null()) == NULL)
		return (QJ_ENOMEM);
	for (c = sig_child(xd); c != NULL && err == QJ_OK; c = sig_next(c)) {
		qj_buf_reset(&txt);
		qj_buf_reset(&der);
		x = NULL;
		if (!sig_is(c, SIG_NS_DS, "X509Certificate") ||
		    sk_X509_num(p->certs) >= 8 ||
		    sig_text(c, &txt) != QJ_OK ||
		    qj_base64_decode(txt.data, txt.len, &der) != QJ_OK ||
		    der.len == 0 || cert_from_der(t,
		    (unsigned char *)der.data, der.len, &x) != 0 ||
		    !sk_X509_push(p->certs, x)) {
			X509_free(x);
			err = qj_fail(d, QJ_EUNPROC, "sig-key-source",
			    "X509Data", "X509Data may hold only up to 8 "
			    "X509Certificate elements");
		}
	}
	qj_buf_free(&txt);
	qj_buf_free(&der);
	if (err != QJ_OK)
		return (err);
	n = sk_X509_num(p->certs);
	for (i = 0; i < n; i++) {
		ci = sk_X509_value(p->certs, i);
		for (issues = 0, j = 0; j < n && !issues; j++) {
			cj = sk_X509_value(p->certs, j);
			issues = j != i && X509_check_issued(ci, cj) ==
			    X509_V_OK;
		}
		if (!issues) {
			leaves++;
			p->leaf = ci;
		}
	}
	ERR_clear_error();
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

/* Step 5: SignedProperties, one DataObjectFormat per object Reference. */
static enum qj_err
multi_xades(struct multi_parts *p, size_t n, struct xades_props *x,
    struct qj_diag *d)
{
	struct qj_buf	 t = QJ_BUF_INIT;
	xmlNodePtr	 ssp, sdop, c, cti = NULL, id;
	xmlChar		*sid, *target, *ref;
	unsigned char	*have = NULL;
	enum qj_err	 err = QJ_OK;
	size_t		 i, ndof = 0;
	int		 ok, ncti = 0, all = 0;

	sid = xmlGetNoNsProp(p->sig, BAD_CAST "Id");
	target = xmlGetNoNsProp(p->qprops, BAD_CAST "Target");
	ok = sid != NULL && sid[0] != '\0' && target != NULL &&
	    target[0] == '#' && xmlStrEqual(target + 1, sid);
	xmlFree(sid);
	xmlFree(target);
	if (!ok)
		return (xades_fail(d, "QualifyingProperties", "the "
		    "QualifyingProperties Target is not this signature's Id"));
	ssp = sig_child(p->props);
	sdop = sig_next(ssp);
	if (!sig_is(ssp, SIG_NS_XADES, "SignedSignatureProperties") ||
	    !sig_is(sdop, SIG_NS_XADES, "SignedDataObjectProperties") ||
	    sig_next(sdop) != NULL)
		return (xades_fail(d, "SignedProperties", "SignedProperties "
		    "must hold SignedSignatureProperties and "
		    "SignedDataObjectProperties"));
	if ((err = read_signature_props(ssp, x, d)) != QJ_OK)
		return (err);
	if ((have = calloc(n, 1)) == NULL)
		return (QJ_ENOMEM);
	for (c = sig_child(sdop); c != NULL && err == QJ_OK; c = sig_next(c)) {
		if (sig_is(c, SIG_NS_XADES, "DataObjectFormat")) {
			ref = xmlGetNoNsProp(c, BAD_CAST "ObjectReference");
			for (i = 0; i < n && !ref_names(ref, p->data_refs[i]);
			    i++)
				;
			qj_buf_reset(&t);
			if (i < n && !have[i] &&
			    sig_is(sig_child(c), SIG_NS_XADES, "MimeType") &&
			    sig_text(sig_child(c), &t) == QJ_OK && t.len > 0) {
				have[i] = 1;
				ndof++;
			} else
				err = xades_fail(d, "DataObjectFormat", "a "
				    "DataObjectFormat names no object "
				    "Reference, repeats one, or has no "
				    "MimeType");
			xmlFree(ref);
		} else if (sig_is(c, SIG_NS_XADES, "CommitmentTypeIndication")) {
			cti = c;
			ncti++;
		} else
			err = qj_fail(d, QJ_EUNPROC, "sig-xades",
			    "SignedDataObjectProperties", "%s is not accepted "
			    "(baseline B-B)", (const char *)c->name);
	}
	if (err == QJ_OK && ndof != n)
		err = xades_fail(d, "DataObjectFormat", "every object "
		    "Reference needs a DataObjectFormat with a MimeType");
	if (err == QJ_OK && ncti != 1)
		err = qj_fail(d, QJ_EUNPROC, "sig-commitment",
		    "CommitmentTypeIndication", "%d CommitmentTypeIndication "
		    "elements; exactly one is required", ncti);
	if (err == QJ_OK) {
		id = sig_child(sig_child(cti));
		qj_buf_reset(&t);
		if (!sig_is(sig_child(cti), SIG_NS_XADES, "CommitmentTypeId") ||
		    !sig_is(id, SIG_NS_XADES, "Identifier") ||
		    sig_text(id, &t) != QJ_OK || t.data == NULL ||
		    (x->commitment = commitment_from_uri(t.data)) ==
		    QJ_COMMIT_ANY)
			err = qj_fail(d, QJ_EUNPROC, "sig-commitment",
			    "CommitmentTypeIndication", "the commitment is not "
			    "ProofOfApproval, ProofOfOrigin or ProofOfReceipt");
		for (c = sig_next(sig_child(cti)); err == QJ_OK && c != NULL;
		    c = sig_next(c))
			all |= sig_is(c, SIG_NS_XADES, "AllSignedDataObjects");
		if (err == QJ_OK && !all)
			err = qj_fail(d, QJ_EUNPROC, "sig-commitment",
			    "CommitmentTypeIndication", "the commitment must "
			    "apply to AllSignedDataObjects");
	}
	free(have);
	qj_buf_free(&t);
	return (err);
}

enum qj_err
qj_xades_verify_objects(struct qj_trust *t, const void *xml, size_t len,
    const struct qj_xades_obj *objs, size_t n, const struct qj_sig_expect *ex,
    struct qj_sig_result *res, struct qj_diag *d)
{
	struct multi_parts	p;
	struct xades_props	x;
	struct sig_xmlsec_run	run;
	struct qj_sig_result	r;
	struct objs_table	tab;
	xmlDocPtr		doc = NULL;
	size_t			*ix = NULL;
	time_t			now, at;
	enum qj_err		err;

	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	memset(&run, 0, sizeof(run));
	memset(&r, 0, sizeof(r));
	xades_objs_io_init();
	now = ex->now != 0 ? ex->now : time(NULL);
	if (!objs_io_ok) {
		err = qj_fail(d, QJ_EINTERNAL, "sig-malformed", "",
		    "qj_sig_init() has not run or failed");
		goto out;
	}
	if ((err = objs_index(objs, n, &ix, d)) != QJ_OK) {
		err = qj_fail(d, QJ_EINVAL, "sig-references", "objects",
		    "%s", d != NULL ? d->detail : "bad objects");
		goto out;
	}
	tab.objs = objs;
	tab.order = ix;
	tab.n = n;
	/* Steps 1-4: parse, place, SignedInfo, KeyInfo. */
	if ((err = qj_xml_parse(xml, len, ex->max_bytes, &doc, d)) != QJ_OK ||
	    (err = multi_place(doc, &p, d)) != QJ_OK ||
	    (err = multi_signed_info(&p, objs, n, &tab, d)) != QJ_OK ||
	    (err = multi_key_info(t, &p, d)) != QJ_OK)
		goto out;
	/* Step 5: XAdES. */
	if ((err = multi_xades(&p, n, &x, d)) != QJ_OK)
		goto out;
	/* Step 6: the key. */
	if ((err = qj_trust_check_key(p.leaf, d)) != QJ_OK)
		goto out;
	if (EVP_PKEY_get_base_id(X509_get0_pubkey(p.leaf)) != p.alg->key_type) {
		err = qj_fail(d, QJ_EUNPROC, "sig-algorithm", "SignatureMethod",
		    "SignatureMethod %s does not fit the signer's key",
		    p.alg->uri);
		goto out;
	}
	if (x.signing_time > now + XADES_SKEW) {
		err = xades_fail(d, "SigningTime", "SigningTime is in the future");
		goto out;
	}
	/* Step 7: trust at the verification time; SigningCertificateV2. */
	at = ex->at != 0 ? ex->at : x.signing_time;
	if ((err = qj_trust_verify(t, p.leaf, p.extra, at, &r.signer,
	    d)) != QJ_OK || (err = xades_check_cert(&x, p.leaf,
	    r.signer.cert_sha256, d)) != QJ_OK)
		goto out;
	/* Step 8: xmlsec, the objects served from the table only. */
	run.mngr = qj_trust_xmlsec_mngr(t);
	run.sig = p.sig;
	run.detached = 1;
	run.uri = NULL;
	run.nrefs = n + 1;
	run.props_type = SIG_PROPS_TYPE;
	run.keep_signed_info = ex->keep_signed_info;
	run.key = X509_get0_pubkey(p.leaf);
	run.at = at;
	objs_current = &tab;
	err = sig_xmlsec_verify(&run, d);
	objs_current = NULL;
	if (err != QJ_OK)
		goto out;
	/* Step 9: binding. */
	if ((err = check_binding(ex, &r.signer, x.commitment, d)) != QJ_OK)
		goto out;
	r.signing_time = x.signing_time;
	r.checked_at = at;
	r.commitment = x.commitment;
	r.sig_method = p.alg->uri;
	snprintf(r.role, sizeof(r.role), "%s", x.role);
	r.signed_info = run.signed_info;
	memset(&run.signed_info, 0, sizeof(run.signed_info));
	if (res != NULL) {
		*res = r;
		memset(&r, 0, sizeof(r));
	}
	err = QJ_OK;
out:
	qj_sig_result_free(&r);
	sig_xmlsec_run_free(&run);
	xades_props_free(&x);
	multi_parts_free(&p);
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(ix);
	ERR_clear_error();
	return (err);
}
