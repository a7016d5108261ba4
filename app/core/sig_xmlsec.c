/*
 * sig_xmlsec.c: one-time library set-up and the locked-down xmlsec
 * verification context (see sig_xmlsec.h).
 *
 * Owns the only process-wide state of the signature code, set once by
 * sig_xmlsec_init() (via qj_sig_init()) before any thread starts: libxml2
 * and xmlsec initialisation, the xmlsec error callback, and the xmlsec IO
 * callback table, which after init contains nothing but our four
 * functions.  Those functions serve the document of the verification
 * running on the calling thread (a _Thread_local pointer set for the
 * duration of one xmlSecDSigCtxVerify() call) and refuse everything else.
 * Called by trust.c (keys manager) and xades.c (verification).
 *
 * Invariant: outside sig_xmlsec_verify() the thread's current call is NULL,
 * so a Reference URI can never resolve to anything.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/membuf.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>

#include "core/log.h"
#include "core/sig_xmlsec.h"
#include "core/xmlsafe.h"

/* A directory that does not exist: xmlsec's default "trusted certs" dir. */
#define SIG_NO_CERT_DIR	"/nonexistent/qujat-no-system-ca"

/* The verification running on this thread: what the IO callbacks serve. */
struct sig_call {
	const char		*uri;
	const unsigned char	*data;
	size_t			 len;
	int			 reason;	/* first specific xmlsec error */
	int			 unserved;	/* a URI we do not serve was asked */
	int			 keyinfo;	/* an error while finding the key */
	char			 msg[200];
};

struct sig_cursor {
	const unsigned char	*data;
	size_t			 len, off;
};

static _Thread_local struct sig_call	*sig_current;
static pthread_once_t			 sig_once = PTHREAD_ONCE_INIT;
static int				 sig_init_ok;
static EVP_MD				*sig_md_sha256;	/* set once */

/* --- IO callbacks: the caller's document, nothing else ------------------- */

static int
sig_io_match(const char *uri)
{
	struct sig_call	*c = sig_current;

	if (c != NULL && c->uri != NULL && uri != NULL &&
	    strcmp(uri, c->uri) == 0)
		return (1);
	if (c != NULL)
		c->unserved = 1;
	return (0);
}

static void *
sig_io_open(const char *uri)
{
	struct sig_call		*c = sig_current;
	struct sig_cursor	*cur;

	if (!sig_io_match(uri) || (cur = calloc(1, sizeof(*cur))) == NULL)
		return (NULL);
	cur->data = c->data;
	cur->len = c->len;
	return (cur);
}

static int
sig_io_read(void *ctx, char *buf, int len)
{
	struct sig_cursor	*cur = ctx;
	size_t			 n;

	if (len < 0)
		return (-1);
	n = cur->len - cur->off;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, cur->data + cur->off, n);
	cur->off += n;
	return ((int)n);
}

static int
sig_io_close(void *ctx)
{
	free(ctx);
	return (0);
}

/* xmlsec errors go to the current call's diagnostic, never to stderr. */
static void
sig_xmlsec_error(const char *file, int line, const char *func,
    const char *obj, const char *subj, int reason, const char *msg)
{
	struct sig_call	*c = sig_current;

	(void)file;
	(void)line;
	(void)obj;
	if (c == NULL) {
		qj_log(QJ_LOG_DEBUG, "xmlsec", "func=%s reason=%d %s",
		    func != NULL ? func : "?", reason, msg != NULL ? msg : "");
		return;
	}
	/* xmlSecKeyInfoNodeRead, xmlSecKeysMngrGetKey, ...KeyInfoNode... */
	if (func != NULL && strstr(func, "Key") != NULL)
		c->keyinfo = 1;
	/* Keep the first specific reason: deeper calls report first. */
	if (c->reason != 0 && c->reason != XMLSEC_ERRORS_R_XMLSEC_FAILED)
		return;
	if (c->reason == XMLSEC_ERRORS_R_XMLSEC_FAILED &&
	    reason == XMLSEC_ERRORS_R_XMLSEC_FAILED)
		return;
	c->reason = reason;
	snprintf(c->msg, sizeof(c->msg), "%s%s%s", func != NULL ? func : "",
	    subj != NULL ? ": " : "", subj != NULL ? subj : "");
}

/* --- initialisation -------------------------------------------------------- */

static void
sig_init_once(void)
{
	qj_xml_init();
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) {
		qj_log(QJ_LOG_ERR, "sig-init", "xmlsec initialisation failed");
		return;
	}
	/* Pitfall 2 of the guide: no default "trusted certs" directory. */
	xmlSecOpenSSLSetDefaultTrustedCertsFolder(BAD_CAST SIG_NO_CERT_DIR);
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		qj_log(QJ_LOG_ERR, "sig-init", "xmlsec-openssl init failed");
		return;
	}
	/* No file, HTTP or FTP resolution of Reference URIs, ever. */
	xmlSecIOCleanupCallbacks();
	if (xmlSecIORegisterCallbacks(sig_io_match, sig_io_open, sig_io_read,
	    sig_io_close) < 0) {
		qj_log(QJ_LOG_ERR, "sig-init", "cannot register IO callbacks");
		return;
	}
	if ((sig_md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		qj_log(QJ_LOG_ERR, "sig-init", "no SHA-256 in OpenSSL");
		return;
	}
	/* Last: the crypto initialisation above resets it. */
	xmlSecErrorsSetCallback(sig_xmlsec_error);
	ERR_clear_error();
	sig_init_ok = 1;
}

void
sig_xmlsec_init(void)
{
	pthread_once(&sig_once, sig_init_once);
}

const EVP_MD *
sig_sha256(void)
{
	sig_xmlsec_init();
	return (sig_md_sha256 != NULL ? sig_md_sha256 : EVP_sha256());
}

/* --- keys manager ----------------------------------------------------------- */

/*
 * xmlsec's X509 store calls X509_STORE_set_default_paths(), which reads the
 * system bundle named by SSL_CERT_FILE/SSL_CERT_DIR (else OpenSSL's
 * compiled-in paths).  Point both at nothing while the store is created,
 * then put the caller's environment back.  Runs at start-up, before threads.
 */
static int
sig_mngr_init_isolated(xmlSecKeysMngrPtr m)
{
	static const char	*vars[] = { "SSL_CERT_FILE", "SSL_CERT_DIR" };
	static const char	*nothing[] = { "/dev/null", SIG_NO_CERT_DIR };
	char			*saved[2] = { NULL, NULL };
	const char		*v;
	int			 i, ret;

	for (i = 0; i < 2; i++) {
		if ((v = getenv(vars[i])) != NULL)
			saved[i] = strdup(v);
		setenv(vars[i], nothing[i], 1);
	}
	ret = xmlSecCryptoAppDefaultKeysMngrInit(m);
	for (i = 0; i < 2; i++) {
		if (saved[i] != NULL)
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
	return (ret);
}

void *
sig_xmlsec_mngr_new(STACK_OF(X509) *anchors, STACK_OF(X509) *inter)
{
	xmlSecKeysMngrPtr	m;
	xmlSecKeyDataStorePtr	store;
	X509			*c;
	int			 i, s;

	sig_xmlsec_init();
	if (!sig_init_ok || (m = xmlSecKeysMngrCreate()) == NULL)
		return (NULL);
	if (sig_mngr_init_isolated(m) < 0 ||
	    (store = xmlSecKeysMngrGetDataStore(m,
	    xmlSecOpenSSLX509StoreId)) == NULL)
		goto fail;
	for (s = 0; s < 2; s++) {
		STACK_OF(X509) *set = s == 0 ? anchors : inter;

		for (i = 0; i < sk_X509_num(set); i++) {
			if ((c = X509_dup(sk_X509_value(set, i))) == NULL)
				goto fail;
			if (xmlSecOpenSSLX509StoreAdoptCert(store, c, s == 0 ?
			    xmlSecKeyDataTypeTrusted :
			    xmlSecKeyDataTypeNone) < 0) {
				X509_free(c);
				goto fail;
			}
		}
	}
	ERR_clear_error();
	return (m);
fail:
	xmlSecKeysMngrDestroy(m);
	ERR_clear_error();
	return (NULL);
}

void
sig_xmlsec_mngr_free(void *m)
{
	if (m != NULL)
		xmlSecKeysMngrDestroy(m);
}

/* --- verification ----------------------------------------------------------- */

/* The allow-lists of guide section 3, checklist item 4. */
static int
sig_ctx_restrict(xmlSecDSigCtxPtr ctx, int detached)
{
	xmlSecTransformId	sigids[] = {
		xmlSecTransformExclC14NId, xmlSecTransformInclC14NId,
		xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
		xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
		xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id,
	};
	xmlSecTransformId	refids[] = {
		xmlSecTransformExclC14NId, xmlSecTransformInclC14NId,
		xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformEnvelopedId, xmlSecTransformSha256Id,
		xmlSecTransformSha384Id, xmlSecTransformSha512Id,
	};
	size_t			i;

	for (i = 0; i < QJ_NELEM(sigids); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, sigids[i]) < 0)
			return (-1);
	for (i = 0; i < QJ_NELEM(refids); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, refids[i]) < 0)
			return (-1);
	/* Key only from X509Data: never KeyValue, KeyName, RetrievalMethod. */
	if (xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData,
	    BAD_CAST xmlSecKeyDataX509Id) < 0)
		return (-1);
	ctx->keyInfoReadCtx.flags |=
	    XMLSEC_KEYINFO_FLAGS_STOP_ON_UNKNOWN_CHILD |
	    XMLSEC_KEYINFO_FLAGS_X509DATA_STOP_ON_UNKNOWN_CHILD |
	    XMLSEC_KEYINFO_FLAGS_X509DATA_STOP_ON_INVALID_CERT;
	/*
	 * "#id" References resolve by xmlGetID() to the element and its
	 * subtree without comments: what the XPointer bare name means
	 * (XMLDSig 4.4.3.3), without building an XPath context for it.  Ids
	 * are unique (sig_policy.c) and the one "#id" allowed names our
	 * SignedProperties; xpointer(...) forms keep the XPointer path.
	 */
	ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS |
	    XMLSEC_DSIG_FLAGS_USE_VISA3D_HACK;
	ctx->enabledReferenceUris = detached ?
	    (xmlSecTransformUriTypeSameDocument |
	    xmlSecTransformUriTypeRemote) : xmlSecTransformUriTypeEmpty;
	return (0);
}

static enum qj_err
sig_xmlsec_fail(struct sig_call *c, struct qj_diag *d)
{
	const char	*slug;

	if (c->unserved)
		return (qj_fail(d, QJ_EUNPROC, "sig-references", "Reference",
		    "a Reference URI is not the document given for "
		    "verification, and nothing else is ever read"));
	if (c->keyinfo)
		return (qj_fail(d, QJ_EUNPROC, "sig-key-source", "KeyInfo",
		    "xmlsec found no acceptable key (X509Data only) (reason "
		    "%d: %s)", c->reason, c->msg));
	switch (c->reason) {
	case XMLSEC_ERRORS_R_KEY_NOT_FOUND:
	case XMLSEC_ERRORS_R_KEY_DATA_NOT_FOUND:
	case XMLSEC_ERRORS_R_KEYDATA_DISABLED:
	case XMLSEC_ERRORS_R_INVALID_KEY_DATA:
	case XMLSEC_ERRORS_R_CERT_VERIFY_FAILED:
	case XMLSEC_ERRORS_R_CERT_NOT_FOUND:
	case XMLSEC_ERRORS_R_CERT_REVOKED:
	case XMLSEC_ERRORS_R_CERT_ISSUER_FAILED:
	case XMLSEC_ERRORS_R_CERT_NOT_YET_VALID:
	case XMLSEC_ERRORS_R_CERT_HAS_EXPIRED:
		slug = "sig-key-source";
		break;
	case XMLSEC_ERRORS_R_INVALID_URI_TYPE:
	case XMLSEC_ERRORS_R_IO_FAILED:
	case XMLSEC_ERRORS_R_DSIG_NO_REFERENCES:
	case XMLSEC_ERRORS_R_DSIG_INVALID_REFERENCE:
		slug = "sig-references";
		break;
	case XMLSEC_ERRORS_R_TRANSFORM_DISABLED:
	case XMLSEC_ERRORS_R_INVALID_TRANSFORM:
		slug = "sig-transform";
		break;
	default:
		slug = "sig-malformed";
		break;
	}
	return (qj_fail(d, QJ_EUNPROC, slug, "signature",
	    "xmlsec refused the signature (reason %d: %s)", c->reason,
	    c->msg[0] != '\0' ? c->msg : "unknown"));
}

static enum qj_err
sig_copy_membuf(xmlSecTransformPtr t, struct qj_buf *out)
{
	xmlSecBufferPtr	b;

	if (t == NULL || (b = xmlSecTransformMemBufGetBuffer(t)) == NULL)
		return (QJ_EINTERNAL);
	return (qj_buf_append(out, xmlSecBufferGetData(b),
	    xmlSecBufferGetSize(b)));
}

/* ctx->status and every reference's status (checklist item 8). */
static enum qj_err
sig_check_status(struct sig_xmlsec_run *r, xmlSecDSigCtxPtr ctx,
    struct qj_diag *d)
{
	xmlSecDSigReferenceCtxPtr	ref;
	xmlSecSize			i, n;

	n = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
	for (i = 0; i < n; i++) {
		ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
		if (ref == NULL || ref->status == xmlSecDSigStatusSucceeded)
			continue;
		if (ref->type != NULL && r->props_type != NULL &&
		    xmlStrEqual(ref->type, BAD_CAST r->props_type))
			return (qj_fail(d, QJ_EUNPROC, "sig-xades",
			    "SignedProperties", "the SignedProperties were "
			    "changed after signing (digest mismatch)"));
		return (qj_fail(d, QJ_EUNPROC, "sig-digest", "document",
		    "the signed document was changed: the digest of "
		    "reference \"%s\" does not match",
		    ref->uri != NULL ? (const char *)ref->uri : ""));
	}
	if (ctx->status != xmlSecDSigStatusSucceeded)
		return (qj_fail(d, QJ_EUNPROC, "sig-value", "SignatureValue",
		    "the SignatureValue does not verify with the signer's "
		    "key"));
	if ((size_t)n != r->nrefs)
		return (qj_fail(d, QJ_EUNPROC, "sig-references", "SignedInfo",
		    "xmlsec processed %zu references, %zu expected",
		    (size_t)n, r->nrefs));
	return (QJ_OK);
}

/* An xmlsec key holding a reference to `pkey` (public). */
static xmlSecKeyPtr
sig_key_new(EVP_PKEY *pkey)
{
	xmlSecKeyDataPtr	data;
	xmlSecKeyPtr		key;

	if (EVP_PKEY_up_ref(pkey) != 1)
		return (NULL);
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pkey)) == NULL) {
		EVP_PKEY_free(pkey);
		return (NULL);
	}
	if ((key = xmlSecKeyCreate()) == NULL) {
		xmlSecKeyDataDestroy(data);
		return (NULL);
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		xmlSecKeyDestroy(key);
		return (NULL);
	}
	return (key);
}

enum qj_err
sig_xmlsec_verify(struct sig_xmlsec_run *r, struct qj_diag *d)
{
	struct sig_call			 call;
	xmlSecDSigCtxPtr		 ctx = NULL;
	xmlSecDSigReferenceCtxPtr	 ref;
	enum qj_err			 err = QJ_ENOMEM;
	int				 ret;

	memset(&call, 0, sizeof(call));
	call.uri = r->detached ? r->uri : NULL;
	call.data = r->data;
	call.len = r->len;
	if (!sig_init_ok) {
		err = qj_fail(d, QJ_EINTERNAL, "sig-malformed", "",
		    "qj_sig_init() has not run or failed");
		goto out;
	}
	if ((ctx = xmlSecDSigCtxCreate(r->mngr)) == NULL ||
	    sig_ctx_restrict(ctx, r->detached) < 0)
		goto out;
	if (r->key != NULL && (ctx->signKey = sig_key_new(r->key)) == NULL)
		goto out;
	ctx->keyInfoReadCtx.certsVerificationTime = r->at;
	if (r->keep_digested)
		ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
	if (r->keep_signed_info)
		ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNATURE;

	sig_current = &call;
	ret = xmlSecDSigCtxVerify(ctx, r->sig);
	sig_current = NULL;

	if (ret < 0) {
		err = sig_xmlsec_fail(&call, d);
		goto out;
	}
	if ((err = sig_check_status(r, ctx, d)) != QJ_OK)
		goto out;
	if (r->keep_signed_info &&
	    (err = sig_copy_membuf(ctx->preSignMemBufMethod,
	    &r->signed_info)) != QJ_OK)
		goto out;
	if (r->keep_digested) {
		ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
		if (ref == NULL || (err = sig_copy_membuf(
		    ref->preDigestMemBufMethod, &r->digested)) != QJ_OK) {
			err = QJ_EINTERNAL;
			goto out;
		}
	}
	err = QJ_OK;
out:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	ERR_clear_error();
	return (err);
}

void
sig_xmlsec_run_free(struct sig_xmlsec_run *r)
{
	qj_buf_free(&r->signed_info);
	qj_buf_free(&r->digested);
}
