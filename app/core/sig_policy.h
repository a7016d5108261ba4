/*
 * sig_policy.h: structural policy over a parsed signature document, before
 * any cryptography (internal to xades.c; tests may call it directly).
 *
 * sig_policy_check() enforces steps 2-4 of the verification order listed
 * in xades.h (signature count and position, Id uniqueness, SignedInfo
 * shape, allow-listed algorithms and transforms, exactly the expected
 * References, KeyInfo as X509Data certificates only) and hands back the
 * nodes and certificates the later steps need.  Every failure is
 * QJ_EUNPROC with one of the sig-* slugs of xades.h.
 */
#ifndef QJ_SIG_POLICY_H
#define QJ_SIG_POLICY_H

#include <libxml/tree.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/qj.h"

#define SIG_NS_DS	"http://www.w3.org/2000/09/xmldsig#"
#define SIG_NS_XADES	"http://uri.etsi.org/01903/v1.3.2#"
#define SIG_NS_EXC	"http://www.w3.org/2001/10/xml-exc-c14n#"

#define SIG_C14N_EXCL	"http://www.w3.org/2001/10/xml-exc-c14n#"
#define SIG_C14N_10	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define SIG_C14N_10_WC	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
#define SIG_TR_ENVELOPED	"http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define SIG_RSA_SHA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define SIG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define SIG_SHA256	"http://www.w3.org/2001/04/xmlenc#sha256"
#define SIG_PROPS_TYPE	"http://uri.etsi.org/01903#SignedProperties"

#define SIG_NS_ASIC	"http://uri.etsi.org/02918/v1.2.1#"

enum sig_mode {
	SIG_DETACHED,		/* XAdES: the signature is the document */
	SIG_ENVELOPED,		/* NCALayer: last child of the signed root */
	SIG_ASIC,		/* XAdES, detached, the only child of the
				 * asic:XAdESSignatures root of an ASiC-E
				 * signatures file */
};

/* XAdES detached (alone, or in an ASiC-E signatures file). */
#define SIG_IS_DETACHED(mode)	((mode) == SIG_DETACHED || (mode) == SIG_ASIC)

/* An allowed signature or digest algorithm. */
struct sig_alg {
	const char	*uri;
	int		 key_type;	/* EVP_PKEY_RSA, EVP_PKEY_EC, 0: digest */
	const char	*md;		/* OpenSSL digest name */
};

struct sig_parts {
	xmlNodePtr		 sig;		/* ds:Signature */
	xmlNodePtr		 signed_info;
	xmlNodePtr		 sig_value;
	xmlNodePtr		 key_info;
	xmlNodePtr		 qprops;	/* detached: QualifyingProperties */
	xmlNodePtr		 props;		/* detached: SignedProperties */
	xmlNodePtr		 data_ref;	/* the document's Reference */
	xmlNodePtr		 props_ref;	/* detached: SignedProperties ref */
	const char		*c14n;		/* SignedInfo c14n URI (static) */
	const char		*ref_c14n;	/* enveloped: last transform, or
						   NULL (static) */
	const struct sig_alg	*alg;		/* SignatureMethod */
	STACK_OF(X509)		*certs;		/* owned: the X509Certificates */
	STACK_OF(X509)		*extra;		/* owned stack, borrowed certs:
						   all but the leaf */
	X509			*leaf;		/* borrowed from certs */
	char			 data_uri[512];	/* detached: data Reference URI */
	int			 junk;		/* comment or PI in ds:Signature */
};

/*
 * Turns the DER of one X509Certificate into a certificate the caller then
 * owns (X509_free); non-zero if it is not one.  NULL in sig_policy_check()
 * means plain d2i_X509().
 */
typedef int	(*sig_cert_fn)(void *arg, const unsigned char *der,
		    size_t len, X509 **out);

/*
 * QJ_OK with `p` filled (free with sig_parts_free()), or QJ_EUNPROC with
 * a sig-* slug.  `expect_uri` NULL accepts any data URI (detached mode).
 */
enum qj_err	sig_policy_check(xmlDocPtr, enum sig_mode,
		    const char *expect_uri, sig_cert_fn, void *cert_arg,
		    struct sig_parts *p, struct qj_diag *);
void		sig_parts_free(struct sig_parts *);

/* The allowed digest algorithm for `uri`, or NULL. */
const struct sig_alg *sig_digest_alg(const xmlChar *uri);

/* --- small DOM helpers shared with xades.c ------------------------------- */

int		sig_is(xmlNodePtr, const char *ns, const char *name);
/* First element child / next element sibling; NULL at the end. */
xmlNodePtr	sig_child(xmlNodePtr);
xmlNodePtr	sig_next(xmlNodePtr);
/* Text content with surrounding XML whitespace trimmed, into `out`. */
enum qj_err	sig_text(xmlNodePtr, struct qj_buf *out);

#endif
