/*
 * sigvec.h: signature test vectors built from the development CA
 * (certs/dev, `make certs`; run from the repository root).
 *
 * Signatures are made two ways: by Qujat's own two-phase signing
 * (qj_xades_prepare(), a signature over the returned bytes with the
 * vector's private key, qj_xades_assemble()), and by a small independent
 * XMLDSig signer (sv_sign_again()) that recomputes every digest and the
 * SignatureValue of whatever XML it is given, so that a crafted signature
 * (SHA-1, an extra Reference, KeyValue, NCALayer's enveloped format, a
 * wrapped document) is still cryptographically valid and only the policy
 * can refuse it.  `who` names a certificate and key under certs/dev
 * without the extension: "users/applicant-rsa", "vectors/revoked-rsa".
 *
 * Every function asserts its own success with Check (ck_assert) and
 * returns memory the caller frees with free().
 */
#ifndef QJ_TEST_SIGVEC_H
#define QJ_TEST_SIGVEC_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/xades.h"

#define SV_CERTS	"certs/dev"

/* A whole file, NUL-terminated; its length in *len (may be NULL). */
char		*sv_slurp(const char *path, size_t *len);
/* Writes `len` bytes to `path`. */
void		 sv_spit(const char *path, const void *data, size_t len);

X509		*sv_load_cert(const char *who);
EVP_PKEY	*sv_load_key(const char *who);
/* The certificate's DER in base64 (X509Certificate content). */
char		*sv_cert_b64(const char *who);
/* Signs with digest `md` ("SHA256", "SHA1"); ECDSA comes back DER. */
unsigned char	*sv_sign_raw(EVP_PKEY *key, const char *md, const void *tbs,
		    size_t len, size_t *siglen);

/*
 * A detached XAdES signature by `who` over `doc` at `uri`, through
 * qj_xades_prepare() with `cm`, `role` and SigningTime `when`.
 */
char		*sv_make_sig(const char *who, const char *doc, const char *uri,
		    enum qj_commitment cm, const char *role, time_t when,
		    size_t *len);

/* A copy with the first `from` replaced by `to` (`from` must occur). */
char		*sv_mutate(const char *xml, const char *from, const char *to);
/* The same, for the first `from` after the first `after`. */
char		*sv_mutate_after(const char *xml, const char *after,
		    const char *from, const char *to);
/* Flips one base64 character of the ds:SignatureValue, in place. */
void		 sv_flip_signature_value(char *xml);

/*
 * Recomputes the digests of the References (a detached one over `data`,
 * URI="" as enveloped over the document, "#id" over that element) and
 * signs SignedInfo with `who`'s key as its SignatureMethod says.
 */
char		*sv_sign_again(const char *xml, const char *data,
		    const char *who, size_t *len);

/*
 * NCALayer's enveloped format (guide section 5) around `doc`: C14N 1.0
 * SignedInfo, one Reference URI="" with enveloped-signature and
 * C14N#WithComments, RSA-SHA256, X509Certificate, the signature the last
 * child of the root.  `extra_ref` and `object` (may be NULL) add what
 * NCALayer never sends.  Unsigned: pass it to sv_sign_again().
 */
char		*sv_ncalayer_template(const char *doc, const char *who,
		    const char *extra_ref, const char *object);
/* The template above, signed. */
char		*sv_make_ncalayer(const char *doc, const char *who,
		    size_t *len);

/*
 * Appends "<ds:KeyInfo><ds:KeyValue>" with `evil`'s RSA key to `kv`,
 * without the KeyInfo end tag (the caller closes it or puts a certificate
 * after it).
 */
void		 sv_attacker_keyvalue(const char *evil, struct qj_buf *kv);
/*
 * `xml` (a detached signature over `data`) with KeyInfo replaced by the
 * attacker `evil`'s RSA key as a bare KeyValue, re-signed by `evil`.
 */
char		*sv_keyvalue_only(const char *xml, const char *data,
		    const char *evil, size_t *len);

/*
 * Wrapping of an enveloped signature: `who`'s signed `doc` moved into
 * ds:Object and `forged` (a document of the same root) put where the
 * application reads, re-signed so that only the policy can see it.
 * by_id: the moved element gets Id="app-1" and the Reference points at it
 * (the classic attack); else the Reference stays URI="" with the
 * enveloped transform.
 */
char		*sv_wrapped_enveloped(const char *doc, const char *forged,
		    const char *who, int by_id, size_t *len);
/* `signed_doc` (an enveloped signature) nested under a forged root. */
char		*sv_nested_enveloped(const char *signed_doc,
		    const char *forged);

/* Hostile XML: a DOCTYPE, an external entity, billion laughs. */
char		*sv_doctype(void);
char		*sv_xxe(void);
char		*sv_billion_laughs(void);
/* `xml` padded with comments to more than `limit` bytes. */
char		*sv_oversize(const char *xml, size_t limit, size_t *len);

#endif
