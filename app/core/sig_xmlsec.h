/*
 * sig_xmlsec.h: the xmlsec1 glue of the signature modules (internal to
 * trust.c and xades.c; tests use it to check the xmlsec layer alone).
 *
 * sig_xmlsec_verify() runs xmlSecDSigCtxVerify() on one ds:Signature under
 * a locked-down context: an allow-list of transforms and algorithms,
 * manifests ignored, Reference URIs limited to the kinds the mode needs,
 * and the only external resource it can read is the one document the
 * caller passed in (the process-wide xmlsec IO callbacks are replaced at
 * init by ones that serve only the current call's document, and nothing
 * else: no file system, no network).  It checks ctx->status and the status
 * of every reference.
 *
 * The verification key is the public key of the certificate that trust.c
 * has just validated (chain, CRLs, key usage, allowed key), handed to
 * xmlsec as ctx->signKey, so xmlsec never derives a key from KeyInfo at
 * all: not from KeyValue or KeyName, and not even from a certificate other
 * than the one we checked.  (The context is still restricted to x509 key
 * data with xmlsec's own chain check, against a store that holds only our
 * anchors, should a run ever come without a key.)  Deriving the key from
 * X509Data in xmlsec as well would make it parse the certificate twice
 * more, and in OpenSSL 3.0 each parse costs more than the RSA verification.
 */
#ifndef QJ_SIG_XMLSEC_H
#define QJ_SIG_XMLSEC_H

#include <stddef.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/qj.h"

/* Once, before threads: libxml2, xmlsec, OpenSSL, IO callbacks. */
void	 sig_xmlsec_init(void);

/*
 * SHA-256 fetched once at init: OpenSSL 3 otherwise fetches the
 * implementation again on every EVP_sha256() digest (a locked lookup).
 */
const EVP_MD	*sig_sha256(void);

/*
 * An xmlsec keys manager whose X509 store holds copies of the given
 * certificates and, whatever SSL_CERT_FILE/SSL_CERT_DIR say, nothing from
 * the system CA bundle.  NULL on failure.
 */
void	*sig_xmlsec_mngr_new(STACK_OF(X509) *anchors, STACK_OF(X509) *inter);
void	 sig_xmlsec_mngr_free(void *);

struct sig_xmlsec_run {
	/* inputs */
	void		*mngr;		/* from sig_xmlsec_mngr_new() */
	xmlNodePtr	 sig;		/* the ds:Signature element */
	int		 detached;	/* 1: XAdES detached, 0: enveloped */
	const char	*uri;		/* detached: the one URI served */
	const void	*data;		/* detached: the bytes served for it */
	size_t		 len;
	size_t		 nrefs;		/* references the policy expects */
	const char	*props_type;	/* Type of the SignedProperties ref */
	int		 keep_signed_info; /* fill signed_info */
	int		 keep_digested;	/* fill digested (first reference) */
	EVP_PKEY	*key;		/* borrowed: the validated certificate's
					   key; NULL: xmlsec reads X509Data */
	time_t		 at;		/* xmlsec's chain check time (no key) */
	/* outputs, owned by the run (sig_xmlsec_run_free) */
	struct qj_buf	 signed_info;	/* canonical SignedInfo as xmlsec made it */
	struct qj_buf	 digested;	/* bytes digested by reference 1 */
};

/*
 * QJ_OK when xmlsec reports the signature and every reference valid.
 * Otherwise QJ_EUNPROC with sig-digest (a data reference does not match),
 * sig-xades (the SignedProperties reference does not match), sig-value (the
 * SignatureValue does not verify), sig-references, sig-transform,
 * sig-key-source (no usable key) or sig-malformed (xmlsec refused to
 * process it).
 */
enum qj_err	sig_xmlsec_verify(struct sig_xmlsec_run *, struct qj_diag *);
void		sig_xmlsec_run_free(struct sig_xmlsec_run *);

#endif
