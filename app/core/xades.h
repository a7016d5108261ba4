/*
 * xades.h: electronic signatures of Qujat documents (SPEC section 3).
 *
 * Format: detached XAdES baseline B-B (ETSI EN 319 132-1) over XMLDSig, one
 * signature document per signer:
 *
 *   ds:Signature Id="sig-X"
 *     ds:SignedInfo: exc-c14n, rsa-sha256 or ecdsa-sha256 (from the key),
 *       Reference Id="ref-doc-X" URI="<document URI>" (SHA-256 over the raw
 *       stored bytes, no transforms), Reference
 *       Type="http://uri.etsi.org/01903#SignedProperties" URI="#xades-X"
 *       (exc-c14n, SHA-256)
 *     ds:SignatureValue (RSA PKCS#1 v1.5, or ECDSA r||s of fixed width)
 *     ds:KeyInfo/ds:X509Data/ds:X509Certificate: the signer certificate
 *     ds:Object/xades:QualifyingProperties Target="#sig-X"/SignedProperties:
 *       SigningTime, SigningCertificateV2 (SHA-256 of the certificate,
 *       IssuerSerialV2), SignerRoleV2/ClaimedRoles, DataObjectFormat
 *       (text/xml) for ref-doc-X, CommitmentTypeIndication.
 *
 * Two-phase signing keeps private keys off the server: qj_xades_prepare()
 * returns a skeleton (stored server-side) and the exact bytes the client
 * signs; qj_xades_complete() inserts the client's signature value and runs
 * the full verification below.
 *
 * Verification (qj_xades_verify(), qj_xades_verify_enveloped(), used alike
 * by the server and `qujat verify-signature`) applies one policy, in this
 * order; the first failure is returned:
 *   1. XML through qj_xml_parse() only (size limit, no DOCTYPE/entities);
 *   2. exactly one ds:Signature (counted by namespace URI), in the right
 *      place: the root element (detached) or the last child of the root
 *      (enveloped); no ds:Object besides the XAdES one; unique Id values;
 *   3. SignedInfo: allow-listed c14n (exc-c14n, c14n 1.0 with or without
 *      comments) and SignatureMethod (rsa- or ecdsa-sha256/384/512);
 *      exactly the expected References (detached: one data reference with
 *      the expected URI and no transforms, plus one SignedProperties
 *      reference to the SignedProperties inside this signature; enveloped:
 *      one URI="" with enveloped-signature and an allowed c14n), digests
 *      SHA-256/384/512;
 *   4. KeyInfo: one X509Data with X509Certificate elements only (no
 *      KeyValue, KeyName, RetrievalMethod...);
 *   5. XAdES: Target is this signature's Id, SigningTime present and
 *      parseable (not in the future), DataObjectFormat for the data
 *      reference, one CommitmentTypeIndication naming one of the three
 *      commitments;
 *   6. the signer's key is allowed and matches the SignatureMethod;
 *   7. trust.c: chain to our anchors with CRLs, validity, key usage, at the
 *      verification time; then SigningCertificateV2 must name exactly that
 *      certificate (CertDigest, and IssuerSerialV2 when present);
 *   8. xmlsec, with the key of the certificate checked in 7 and no other
 *      (KeyInfo is never used to find a key), allow-listed transforms and
 *      algorithms, Reference URIs served only from the caller's bytes:
 *      ctx->status and every reference;
 *   9. binding: the certificate's IIN (and BIN) must be the expected ones,
 *      and the commitment the expected one.
 *
 * Diagnostic slugs (struct qj_diag.type).  Signature failures are
 * QJ_EUNPROC; unparseable XML is QJ_EINVAL; an over-size input QJ_ELIMIT.
 *   xml-malformed      not well-formed XML (QJ_EINVAL)
 *   xml-doctype        a DOCTYPE (DTD, entities, XXE, billion laughs)
 *   xml-encoding       an encoding other than UTF-8
 *   xml-depth          nesting too deep
 *   xml-too-large      over the byte limit (QJ_ELIMIT)
 *   sig-malformed      not a usable XMLDSig structure
 *   sig-count          not exactly one ds:Signature
 *   sig-wrapping       signature misplaced, foreign content in ds:Object,
 *                      duplicate Id values (wrapping attacks)
 *   sig-references     References other than exactly the expected ones
 *   sig-transform      a transform or c14n method outside the allow-list
 *   sig-algorithm      signature or digest algorithm outside the
 *                      allow-list (SHA-1, MD5, HMAC...), a SignatureMethod
 *                      that does not fit the key, or a certificate in the
 *                      chain signed with a weak digest
 *   sig-weak-key       signer key not RSA >= 2048 or EC P-256/P-384
 *   sig-key-source     the key is not given as exactly one X509Data
 *                      signer certificate (KeyValue, KeyName, several
 *                      unrelated certificates...)
 *   sig-digest         the signed document was changed
 *   sig-value          the SignatureValue does not verify
 *   sig-chain          no path to a trust anchor (unknown or look-alike CA)
 *   sig-revoked        a certificate of the chain is revoked
 *   sig-crl-missing    no usable CRL for a certificate of the chain
 *   sig-crl-stale      the CRL's nextUpdate is before the verification time
 *   sig-cert-expired   a certificate had expired at the verification time
 *   sig-cert-not-yet-valid  ... was not yet valid at that time
 *   sig-key-usage      keyUsage lacks digitalSignature/nonRepudiation
 *   sig-signer         the certificate is not the expected person's
 *                      (IIN) or organisation's (BIN)
 *   sig-commitment     CommitmentTypeIndication missing, unknown, or not
 *                      the expected one
 *   sig-xades          a SignedProperties problem (Target, SigningTime,
 *                      SigningCertificateV2, DataObjectFormat, changed
 *                      after signing)
 *
 * Threads: call qj_sig_init() once at start-up before any thread; then
 * every function here is thread-safe, with one struct qj_trust shared by
 * all threads.
 */
#ifndef QJ_XADES_H
#define QJ_XADES_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "core/buf.h"
#include "core/qj.h"
#include "core/trust.h"

#define QJ_XADES_NS		"http://uri.etsi.org/01903/v1.3.2#"
#define QJ_SIG_DS_NS		"http://www.w3.org/2000/09/xmldsig#"

enum qj_commitment {
	QJ_COMMIT_ANY = 0,	/* verify: any of the three below */
	QJ_COMMIT_APPROVAL,	/* ProofOfApproval: a visa or endorsement */
	QJ_COMMIT_ORIGIN,	/* ProofOfOrigin: the signatory */
	QJ_COMMIT_RECEIPT,	/* ProofOfReceipt: a learner acknowledges */
};

/* "http://uri.etsi.org/01903/v1.2.2#ProofOfApproval" etc.; NULL for ANY. */
const char	*qj_commitment_uri(enum qj_commitment);

/*
 * Initialises libxml2 (qj_xml_init()), xmlsec and its OpenSSL backend once,
 * replaces xmlsec's IO callbacks (no file or network access) and its error
 * output.  Call at start-up before starting threads; later calls do
 * nothing.
 */
void		 qj_sig_init(void);

/* --- two-phase signing ---------------------------------------------------- */

struct qj_sig_prepared {
	char		*skeleton;	/* owned: the signature without value */
	size_t		 skeleton_len;
	unsigned char	*tbs;		/* owned: exc-c14n SignedInfo to sign */
	size_t		 tbs_len;
	const char	*sig_method;	/* static: SignatureMethod URI */
	const char	*hash;		/* static: "SHA-256", what the client
					   hashes tbs with before signing */
	char		 sig_id[40];	/* the Signature's Id */
};

/*
 * Builds the signature skeleton for `doc` (the exact stored bytes) at
 * `doc_uri`, signed by `cert` with `commitment` (not ANY), claimed `role`
 * (UTF-8, may be NULL or "") and SigningTime `signing_time`.  The
 * SignatureMethod follows the key: rsa-sha256 or ecdsa-sha256.  No trust
 * decision is made here (complete() makes all of them; callers that want
 * to fail early call qj_trust_verify() first).  On failure `out` is
 * untouched: QJ_EINVAL (bad arguments, "sig-prepare"), QJ_EUNPROC
 * "sig-weak-key" (a key type that cannot sign XMLDSig here), QJ_ENOMEM.
 */
enum qj_err	 qj_xades_prepare(const void *doc, size_t doc_len,
		    const char *doc_uri, X509 *cert, enum qj_commitment,
		    const char *role, time_t signing_time,
		    struct qj_sig_prepared *out, struct qj_diag *);
void		 qj_sig_prepared_free(struct qj_sig_prepared *);

/* What the verifier must find; zero-initialise and fill what applies. */
struct qj_sig_expect {
	const void	*doc;		/* detached: the stored bytes; enveloped:
					   optional, compared after c14n */
	size_t		 doc_len;
	const char	*doc_uri;	/* detached: the Reference URI; NULL
					   accepts any URI (the CLI's --data) */
	const char	*iin;		/* required signer IIN, or NULL */
	const char	*bin;		/* required organisation BIN, or NULL */
	enum qj_commitment commitment;	/* required, or QJ_COMMIT_ANY */
	time_t		 at;		/* check the certificate at this time;
					   0: at the SigningTime (XAdES), at
					   `now` (no SigningTime) */
	time_t		 now;		/* the current time; 0: time(NULL); the
					   server passes qj_now() */
	size_t		 max_bytes;	/* signature XML limit; 0: default */
	int		 keep_signed_info; /* fill result.signed_info */
};

struct qj_sig_result {
	struct qj_signer	signer;		/* the verified signer */
	time_t			signing_time;	/* 0 if the format has none */
	time_t			checked_at;	/* when the chain was checked */
	enum qj_commitment	commitment;	/* ANY if the format has none */
	char			role[256];	/* first ClaimedRole, or "" */
	char			uri[512];	/* detached: the data URI */
	const char		*sig_method;	/* static: SignatureMethod URI */
	struct qj_buf		signed_bytes;	/* enveloped: the canonical
						   document that was digested
						   (signature removed) */
	struct qj_buf		signed_info;	/* canonical SignedInfo as
						   xmlsec computed it, when
						   keep_signed_info */
};

void		 qj_sig_result_free(struct qj_sig_result *);

/*
 * Inserts the client's signature value into `skeleton` and verifies the
 * result with qj_xades_verify().  RSA: the raw PKCS#1 v1.5 signature (as
 * long as the modulus).  ECDSA: r||s, each half as long as the group order
 * (XMLDSig); a DER ECDSA-Sig-Value (what OpenSSL, Java and WebCrypto's
 * "DER" exports produce) is also accepted and converted: input that parses
 * as strict DER SEQUENCE { INTEGER r, INTEGER s } with nothing left over is
 * DER, anything else must be exactly r||s.  On success `signed_xml`
 * receives the complete signature document and `res` (may be NULL) the
 * verification result; on failure neither is touched.
 */
enum qj_err	 qj_xades_complete(struct qj_trust *, const char *skeleton,
		    size_t skeleton_len, const void *sigval, size_t sigval_len,
		    const struct qj_sig_expect *, struct qj_buf *signed_xml,
		    struct qj_sig_result *res, struct qj_diag *);

/*
 * complete() without the verification: for tests and tools that need to
 * build signatures the policy refuses.  Never use its output unverified.
 */
enum qj_err	 qj_xades_assemble(const char *skeleton, size_t skeleton_len,
		    const void *sigval, size_t sigval_len,
		    struct qj_buf *signed_xml, struct qj_diag *);

/* --- verification ----------------------------------------------------------- */

/* Detached XAdES signature `xml` over expect->doc (see the list above). */
enum qj_err	 qj_xades_verify(struct qj_trust *, const void *xml,
		    size_t len, const struct qj_sig_expect *,
		    struct qj_sig_result *, struct qj_diag *);

/*
 * The same signature inside an ASiC-E signatures file (EN 319 162-1): the
 * root is asic:XAdESSignatures (QJ_ASIC_NS) and the ds:Signature its only
 * child, with nothing else but whitespace (else sig-wrapping).  Exclusive
 * C14N leaves the wrapper out of everything signed, so a stored signature
 * put inside one verifies as it did alone.
 */
enum qj_err	 qj_xades_verify_asic(struct qj_trust *, const void *xml,
		    size_t len, const struct qj_sig_expect *,
		    struct qj_sig_result *, struct qj_diag *);

/*
 * An enveloped signature in NCALayer's format (C14N 1.0 SignedInfo, one
 * Reference URI="" with enveloped-signature + C14N#WithComments, RSA-SHA256,
 * X509Certificate in KeyInfo, ds:Signature the last child of the root).
 * res->signed_bytes receives the canonical bytes that were digested: the
 * document without the signature.  If expect->doc is set, it is parsed and
 * canonicalised the same way and must be identical (else sig-digest).
 * expect->doc_uri must be NULL.
 */
enum qj_err	 qj_xades_verify_enveloped(struct qj_trust *, const void *xml,
		    size_t len, const struct qj_sig_expect *,
		    struct qj_sig_result *, struct qj_diag *);

/* Converts a DER ECDSA signature to r||s of 2*half bytes; -1 if not DER. */
int		 qj_ecdsa_der_to_raw(const unsigned char *der, size_t der_len,
		    size_t half, unsigned char *raw);

/* --- multi-reference signatures: ASiC-E containers (archive seal) --------- */

/*
 * A signature over several data objects at once, each named by a relative
 * URI (an ASiC-E entry name), inside an ASiC-E signatures container:
 *
 *   asic:XAdESSignatures (ns QJ_ASIC_NS)
 *     ds:Signature Id="sig-X"
 *       ds:SignedInfo: exc-c14n, rsa-/ecdsa-sha256 (from the key),
 *         one Reference Id="ref-X-<i>" URI="<uri i>" per object (SHA-256
 *         over the raw bytes, no transforms), plus the SignedProperties
 *         Reference (exc-c14n, SHA-256)
 *       ds:SignatureValue, ds:KeyInfo/X509Data/X509Certificate (signer)
 *       ds:Object/xades:QualifyingProperties Target="#sig-X"/SignedProperties:
 *         SigningTime, SigningCertificateV2, SignerRoleV2 (optional),
 *         one DataObjectFormat (MimeType) per object Reference, and one
 *         CommitmentTypeIndication with AllSignedDataObjects.
 *
 * Unlike the two-phase functions above, the private key is the caller's
 * (the server's archive seal, loaded before the workers fork).  The
 * verifier applies the policy of the list at the top of this file, with
 * step 3 reading "exactly one data Reference per expected object, each
 * expected object referenced once, nothing else" and step 2 "exactly one
 * ds:Signature, the only element child of the asic:XAdESSignatures root".
 * Reference URIs resolve only to the caller's objects (a thread-local
 * table served by IO callbacks registered by qj_sig_init(); nothing else is
 * ever read).  Slugs as above; a changed object is sig-digest naming its
 * URI.
 */
#define QJ_ASIC_NS		"http://uri.etsi.org/02918/v1.2.1#"

/* 1 when `xml` parses and its root is ds:Signature (detached XAdES). */
int		 qj_xades_is_detached(const void *xml, size_t len);

/*
 * A stored detached signature as an ASiC-E signatures file (see
 * qj_xades_verify_asic()): QJ_ASIC_FILE_HEAD, the bytes of its
 * ds:Signature element exactly as stored, QJ_ASIC_FILE_TAIL.  What the
 * stored bytes hold around the element (BOM, XML declaration, comments,
 * whitespace) cannot stand inside the wrapper: qj_asic_split() gives the
 * lengths of that prolog and epilog, which the archive records in case.xml
 * so a verifier rebuilds the stored bytes (and their SHA-256, which the
 * audit events name) from prolog + element + epilog.
 */
#define QJ_ASIC_FILE_HEAD	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<asic:XAdESSignatures xmlns:asic=\"" QJ_ASIC_NS "\">\n"
#define QJ_ASIC_FILE_TAIL	"\n</asic:XAdESSignatures>\n"

enum qj_err	 qj_asic_split(const void *sig, size_t len, size_t *prolog,
		    size_t *epilog, struct qj_diag *);
enum qj_err	 qj_asic_wrap(const void *sig, size_t len, struct qj_buf *out,
		    struct qj_diag *);
#define QJ_XADES_MAX_OBJECTS	100000

struct qj_xades_obj {
	const char		*uri;	/* relative path [A-Za-z0-9._~/-], unique */
	const void		*data;	/* the bytes digested; borrowed */
	size_t			 len;
	const char		*mime;	/* DataObjectFormat MimeType */
	const unsigned char	*sha256; /* 32 bytes precomputed, or NULL */
};

/*
 * Signs `n` objects with `key` (whose certificate is `cert`) and appends
 * the container document (UTF-8, with an XML declaration) to `out`.  The
 * SignatureMethod follows the key (RSA PKCS#1 v1.5 or ECDSA, SHA-256).
 * Makes no trust decision.  QJ_EINVAL "sig-prepare" for bad arguments (no
 * object, a URI outside the allowed form or given twice, a key that is not
 * the certificate's), QJ_EUNPROC "sig-weak-key", QJ_ENOMEM, QJ_EINTERNAL;
 * on failure `out` is untouched.
 */
enum qj_err	 qj_xades_sign_objects(EVP_PKEY *key, X509 *cert,
		    const struct qj_xades_obj *, size_t n, enum qj_commitment,
		    const char *role, time_t signing_time, struct qj_buf *out,
		    struct qj_diag *);

/*
 * Verifies a container made by qj_xades_sign_objects() (or any signature of
 * that shape) over exactly the objects given: expect->doc and doc_uri are
 * not used; iin, bin, commitment, at, now and max_bytes are as for
 * qj_xades_verify().  res->uri is "".
 */
enum qj_err	 qj_xades_verify_objects(struct qj_trust *, const void *xml,
		    size_t len, const struct qj_xades_obj *, size_t n,
		    const struct qj_sig_expect *, struct qj_sig_result *,
		    struct qj_diag *);

#endif
