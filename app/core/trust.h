/*
 * trust.h: the certificate trust store of the signature verifier.
 *
 * A struct qj_trust holds trust anchors, untrusted intermediates and CRLs
 * read from PEM files (every *.pem of a directory, or a single file; a file
 * may hold several certificates or CRLs).  It never consults the system CA
 * bundle.  Build it once at start-up:
 *
 *	qj_trust_load("certs/dev/trust", "certs/dev/chain", "certs/dev/crl",
 *	    &trust, &diag);
 *
 * or step by step with qj_trust_new(), qj_trust_add_*() and
 * qj_trust_freeze().  After qj_trust_freeze() the configuration is
 * read-only and the object may be shared by any number of threads; the
 * verification functions below are thread-safe.  The only things that
 * change after freezing are two small internally locked memos: parsed
 * certificates (qj_trust_cert()) and successful chain verifications (see
 * qj_trust_verify()); the second can be switched off with
 * qj_trust_set_cache() before freezing.
 *
 * Policy applied by qj_trust_verify() (SPEC section 3, guide section 3
 * checklist item 7):
 *   - path validation with OpenSSL to one of the anchors at a given time,
 *     X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL (a CRL for every
 *     certificate of the chain, the anchor included), failing closed when
 *     a CRL is missing; a CRL whose nextUpdate is before the verification
 *     time (or that has no nextUpdate) is stale and fails the check;
 *   - certificate signatures in the chain made with SHA-256/384/512 only;
 *   - the signer's key: RSA of 2048..16384 bits, or EC on P-256 or P-384
 *     (named curve);
 *   - the signer's keyUsage must be present and allow digitalSignature or
 *     nonRepudiation; a CA certificate cannot be a signer.
 * Failures are QJ_EUNPROC with one of the slugs sig-chain, sig-revoked,
 * sig-crl-missing, sig-crl-stale, sig-cert-expired,
 * sig-cert-not-yet-valid, sig-key-usage, sig-weak-key, sig-algorithm
 * (listed with the others in xades.h).
 */
#ifndef QJ_TRUST_H
#define QJ_TRUST_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "core/qj.h"

struct qj_trust;

/* Who signed: extracted from the signer certificate. */
struct qj_signer {
	char		iin[13];	/* from serialNumber "IIN<12 digits>"; "" if none */
	char		bin[13];	/* from OU "BIN<12 digits>"; "" if none */
	char		cn[256];	/* commonName, UTF-8; "" if none */
	char		subject[1024];	/* RFC 2253, UTF-8 (not escaped) */
	char		issuer[1024];	/* RFC 2253, UTF-8 */
	char		serial[96];	/* serial number, upper-case hex */
	char		key[32];	/* e.g. "RSA-2048", "EC P-256" */
	unsigned char	cert_sha256[32]; /* SHA-256 of the certificate DER */
	time_t		not_before;	/* validity, seconds since the epoch */
	time_t		not_after;
};

/* --- building ------------------------------------------------------------ */

/* An empty, unfrozen store; QJ_ENOMEM on failure. */
enum qj_err	qj_trust_new(struct qj_trust **);

/*
 * Add every certificate (anchors, intermediates) or CRL found in `path`:
 * a PEM file, or a directory whose *.pem files are read in name order.
 * QJ_EIO with type "trust-config" when nothing usable is found or a file
 * cannot be read or parsed.  Only before qj_trust_freeze().
 */
enum qj_err	qj_trust_add_anchors(struct qj_trust *, const char *path,
		    struct qj_diag *);
enum qj_err	qj_trust_add_intermediates(struct qj_trust *, const char *path,
		    struct qj_diag *);
enum qj_err	qj_trust_add_crls(struct qj_trust *, const char *path,
		    struct qj_diag *);

/* 1 (default) memoises successful chain verifications; 0 does not. */
void		qj_trust_set_cache(struct qj_trust *, int on);

/*
 * Finishes the store: requires at least one anchor, builds the xmlsec keys
 * manager (see qj_trust_xmlsec_mngr()).  Requires qj_sig_init() (xades.h).
 * QJ_EIO "trust-config" when there is no anchor.
 */
enum qj_err	qj_trust_freeze(struct qj_trust *, struct qj_diag *);

/* new + add the three paths (crl_path may be NULL) + freeze. */
enum qj_err	qj_trust_load(const char *anchors, const char *intermediates,
		    const char *crls, struct qj_trust **, struct qj_diag *);

void		qj_trust_free(struct qj_trust *);

/* --- using ------------------------------------------------------------- */

/*
 * Full check of a signer certificate at time `at` (seconds since the
 * epoch): allowed key, key usage, path to an anchor with CRLs, explicit CRL
 * freshness, chain signature algorithms.  `extra` (may be NULL) holds
 * untrusted certificates supplied with the signature.  On success fills
 * `who` (may be NULL).  Thread-safe on a frozen store.
 */
enum qj_err	qj_trust_verify(struct qj_trust *, X509 *leaf,
		    STACK_OF(X509) *extra, time_t at, struct qj_signer *who,
		    struct qj_diag *);

/* Only the allowed-key check: QJ_EUNPROC "sig-weak-key" otherwise. */
enum qj_err	qj_trust_check_key(X509 *, struct qj_diag *);

/* Only the key-usage check: QJ_EUNPROC "sig-key-usage" otherwise. */
enum qj_err	qj_trust_check_key_usage(X509 *, struct qj_diag *);

/* Identity of a certificate, without any trust decision. */
enum qj_err	qj_signer_from_cert(X509 *, struct qj_signer *);

/*
 * Parses one certificate from PEM, DER, or base64 of DER (whitespace
 * allowed).  Caller frees with X509_free().  QJ_EINVAL "cert-malformed".
 */
enum qj_err	qj_cert_parse(const void *, size_t, X509 **, struct qj_diag *);

/*
 * The certificate encoded by `der` (exactly, nothing left over), from a
 * small cache of recently seen certificates: parsing is the most expensive
 * step of a verification in OpenSSL 3.0.  Thread-safe; the caller owns a
 * reference (X509_free).  QJ_EINVAL if it is not a certificate.
 */
enum qj_err	qj_trust_cert(struct qj_trust *, const void *der, size_t len,
		    X509 **out);

/* The xmlsec keys manager built by qj_trust_freeze() (xmlSecKeysMngrPtr). */
void		*qj_trust_xmlsec_mngr(const struct qj_trust *);

/* Number of memo hits so far (tests and the benchmark report it). */
unsigned long	qj_trust_cache_hits(struct qj_trust *);

#endif
