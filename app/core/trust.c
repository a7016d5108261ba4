/*
 * trust.c: the signer-certificate trust store and its checks (trust.h).
 *
 * Owns the X509_STORE of trust anchors (built from our own files only,
 * never X509_STORE_set_default_paths), the untrusted intermediates and the
 * CRLs, and decides whether a signer certificate is acceptable at a given
 * time.  Called by xades.c for every signature verification, by the CLI,
 * and by the API layer (which may check a certificate before "prepare").
 *
 * Invariant: after qj_trust_freeze() nothing but the memos change, every CRL
 * has been checked once against the CA certificate that issued it, and the
 * verdict memo only ever records what X509_verify_cert() with
 * CRL_CHECK|CRL_CHECK_ALL plus the explicit freshness and algorithm checks
 * returned for the same certificates, valid for a time window inside which
 * that verdict cannot change (all certificates valid, the one CRL per issuer
 * fresh).
 *
 * Load: one verification per signature, many per second per thread.  A
 * cold path validation with this project's RSA-3072/4096 CAs costs four RSA
 * verifications with large keys (two certificates, two CRLs), roughly ten
 * RSA-2048 verifications, and OpenSSL 3.0 spends more than one RSA
 * verification just decoding a certificate's public key.  So two small
 * locked memos turn the common case (the same signer again, before a
 * certificate or CRL runs out) into hash lookups: parsed certificates with
 * their identity, and chain verdicts with the time window they hold for.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/sig_xmlsec.h"
#include "core/trust.h"

#define TRUST_MEMO_SLOTS	256	/* power of two */
#define TRUST_CERT_SLOTS	256	/* power of two */
#define TRUST_MAX_DEPTH		6	/* leaf, intermediates, anchor */
#define TRUST_RSA_MIN_BITS	2048
#define TRUST_RSA_MAX_BITS	16384
#define TRUST_MAX_FILES		256	/* *.pem files read from one directory */

struct trust_crl {
	X509_CRL	*crl;		/* owned (one reference) */
	X509		*issuer;	/* borrowed from anchors/inter: verified it */
};

struct trust_memo {
	unsigned char	key[32];	/* SHA-256 over the certificates' digests */
	time_t		lo, hi;		/* verdict holds for lo <= t <= hi */
	int		used;
};

/* A parsed certificate, by the SHA-256 of its DER. */
struct trust_cert {
	unsigned char	 key[32];
	X509		*x;		/* owned reference; NULL if empty */
	int		 who_ok;	/* who is filled */
	struct qj_signer who;		/* qj_signer_from_cert(x) */
};

struct qj_trust {
	X509_STORE		*store;		/* anchors only */
	STACK_OF(X509)		*anchors;	/* owned */
	STACK_OF(X509)		*inter;		/* owned; untrusted */
	STACK_OF(X509_CRL)	*crlstack;	/* owned; same CRLs as crls[] */
	struct trust_crl	*crls;		/* ncrls entries */
	size_t			 ncrls;
	void			*mngr;		/* xmlSecKeysMngrPtr; owned */
	int			 frozen;
	int			 memo_on;
	pthread_mutex_t		 lock;		/* guards memo[], certs[], hits */
	struct trust_memo	 memo[TRUST_MEMO_SLOTS];
	struct trust_cert	 certs[TRUST_CERT_SLOTS];
	unsigned long		 hits;
};

enum trust_kind { TRUST_ANCHOR, TRUST_INTER, TRUST_CRL };

/* --- time helpers --------------------------------------------------------- */

static int
asn1_to_time(const ASN1_TIME *a, time_t *out)
{
	struct tm	tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return (-1);
	*out = timegm(&tm);
	return (0);
}

static void
name_rfc2253(const X509_NAME *name, char *out, size_t cap)
{
	BIO	*bio;
	int	 n;

	out[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	/* RFC 2253 order and escaping, but UTF-8 left as UTF-8. */
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_read(bio, out, (int)cap - 1)) > 0)
		out[n] = '\0';
	BIO_free(bio);
}

/* --- building ---------------------------------------------------------- */

enum qj_err
qj_trust_new(struct qj_trust **out)
{
	struct qj_trust	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (QJ_ENOMEM);
	t->memo_on = 1;
	if ((t->store = X509_STORE_new()) == NULL ||
	    (t->anchors = sk_X509_new_null()) == NULL ||
	    (t->inter = sk_X509_new_null()) == NULL ||
	    (t->crlstack = sk_X509_CRL_new_null()) == NULL ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		X509_STORE_free(t->store);
		sk_X509_free(t->anchors);
		sk_X509_free(t->inter);
		sk_X509_CRL_free(t->crlstack);
		free(t);
		return (QJ_ENOMEM);
	}
	*out = t;
	return (QJ_OK);
}

void
qj_trust_set_cache(struct qj_trust *t, int on)
{
	if (!t->frozen)
		t->memo_on = on;
}

/* Adds the objects of one PEM file; counts what it took in *n. */
static enum qj_err
trust_add_file(struct qj_trust *t, enum trust_kind kind, const char *path,
    size_t *n, struct qj_diag *d)
{
	STACK_OF(X509_INFO)	*infos = NULL;
	X509_INFO		*xi;
	BIO			*bio;
	enum qj_err		 err = QJ_OK;
	int			 i;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		err = qj_fail(d, QJ_EIO, "trust-config", path,
		    "cannot read %s", path);
		goto out;
	}
	if ((infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL) {
		err = qj_fail(d, QJ_EIO, "trust-config", path,
		    "%s is not a PEM file of certificates or CRLs", path);
		goto out;
	}
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (kind == TRUST_CRL && xi->crl != NULL) {
			if (!sk_X509_CRL_push(t->crlstack, xi->crl))
				goto nomem;
			xi->crl = NULL;
			(*n)++;
		} else if (kind != TRUST_CRL && xi->x509 != NULL) {
			if (!sk_X509_push(kind == TRUST_ANCHOR ? t->anchors :
			    t->inter, xi->x509))
				goto nomem;
			xi->x509 = NULL;
			(*n)++;
		}
	}
	goto out;
nomem:
	err = QJ_ENOMEM;
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	ERR_clear_error();
	return (err);
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
is_pem_name(const char *s)
{
	size_t	n = strlen(s);

	return (n > 4 && s[0] != '.' && strcasecmp(s + n - 4, ".pem") == 0);
}

/* A file, or every *.pem in a directory, sorted by name. */
static enum qj_err
trust_add_path(struct qj_trust *t, enum trust_kind kind, const char *path,
    struct qj_diag *d)
{
	DIR		*dir;
	struct dirent	*de;
	char		*names[TRUST_MAX_FILES], full[4096];
	size_t		 nnames = 0, n = 0, i;
	enum qj_err	 err = QJ_OK;

	if (t->frozen)
		return (qj_fail(d, QJ_EINTERNAL, "trust-config", path,
		    "the trust store is frozen"));
	if ((dir = opendir(path)) == NULL) {
		if ((err = trust_add_file(t, kind, path, &n, d)) != QJ_OK)
			return (err);
		goto counted;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!is_pem_name(de->d_name))
			continue;
		if (nnames == TRUST_MAX_FILES) {
			err = qj_fail(d, QJ_EIO, "trust-config", path,
			    "more than %d PEM files in %s", TRUST_MAX_FILES,
			    path);
			goto out;
		}
		if ((names[nnames] = strdup(de->d_name)) == NULL) {
			err = QJ_ENOMEM;
			goto out;
		}
		nnames++;
	}
	qsort(names, nnames, sizeof(names[0]), name_cmp);
	for (i = 0; i < nnames && err == QJ_OK; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		err = trust_add_file(t, kind, full, &n, d);
	}
out:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	closedir(dir);
	if (err != QJ_OK)
		return (err);
counted:
	if (n == 0)
		return (qj_fail(d, QJ_EIO, "trust-config", path,
		    "no %s found in %s", kind == TRUST_CRL ? "CRL" :
		    "certificate", path));
	return (QJ_OK);
}

enum qj_err
qj_trust_add_anchors(struct qj_trust *t, const char *path, struct qj_diag *d)
{
	return (trust_add_path(t, TRUST_ANCHOR, path, d));
}

enum qj_err
qj_trust_add_intermediates(struct qj_trust *t, const char *path,
    struct qj_diag *d)
{
	return (trust_add_path(t, TRUST_INTER, path, d));
}

enum qj_err
qj_trust_add_crls(struct qj_trust *t, const char *path, struct qj_diag *d)
{
	return (trust_add_path(t, TRUST_CRL, path, d));
}

/* The configured CA certificate whose key signed `crl`, or NULL. */
static X509 *
crl_find_issuer(struct qj_trust *t, X509_CRL *crl)
{
	STACK_OF(X509)	*sets[2] = { t->anchors, t->inter };
	X509		*c;
	int		 s, i;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < sk_X509_num(sets[s]); i++) {
			c = sk_X509_value(sets[s], i);
			if (X509_NAME_cmp(X509_get_subject_name(c),
			    X509_CRL_get_issuer(crl)) != 0)
				continue;
			if (X509_CRL_verify(crl, X509_get0_pubkey(c)) == 1)
				return (c);
		}
	}
	ERR_clear_error();
	return (NULL);
}

enum qj_err
qj_trust_freeze(struct qj_trust *t, struct qj_diag *d)
{
	X509_CRL	*crl;
	char		 name[256];
	int		 i;

	if (t->frozen)
		return (QJ_OK);
	if (sk_X509_num(t->anchors) == 0)
		return (qj_fail(d, QJ_EIO, "trust-config", "anchors",
		    "no trust anchor configured"));
	/*
	 * OpenSSL fills a certificate's extension cache on first use; do it
	 * now, single-threaded, so shared certificates are never written to.
	 */
	for (i = 0; i < sk_X509_num(t->anchors); i++)
		(void)X509_get_extension_flags(sk_X509_value(t->anchors, i));
	for (i = 0; i < sk_X509_num(t->inter); i++)
		(void)X509_get_extension_flags(sk_X509_value(t->inter, i));
	for (i = 0; i < sk_X509_num(t->anchors); i++)
		if (X509_STORE_add_cert(t->store,
		    sk_X509_value(t->anchors, i)) != 1)
			return (qj_fail(d, QJ_EIO, "trust-config", "anchors",
			    "cannot add anchor %d to the store", i));
	t->ncrls = (size_t)sk_X509_CRL_num(t->crlstack);
	if (t->ncrls > 0 &&
	    (t->crls = calloc(t->ncrls, sizeof(*t->crls))) == NULL)
		return (QJ_ENOMEM);
	for (i = 0; i < (int)t->ncrls; i++) {
		crl = sk_X509_CRL_value(t->crlstack, i);
		t->crls[i].crl = crl;
		if ((t->crls[i].issuer = crl_find_issuer(t, crl)) == NULL) {
			name_rfc2253(X509_CRL_get_issuer(crl), name,
			    sizeof(name));
			return (qj_fail(d, QJ_EIO, "trust-config", "crls",
			    "the CRL of %s is not signed by any configured CA",
			    name));
		}
	}
	if ((t->mngr = sig_xmlsec_mngr_new(t->anchors, t->inter)) == NULL)
		return (qj_fail(d, QJ_EINTERNAL, "trust-config", "",
		    "cannot create the xmlsec keys manager"));
	t->frozen = 1;
	return (QJ_OK);
}

enum qj_err
qj_trust_load(const char *anchors, const char *intermediates,
    const char *crls, struct qj_trust **out, struct qj_diag *d)
{
	struct qj_trust	*t;
	enum qj_err	 err;

	if ((err = qj_trust_new(&t)) != QJ_OK)
		return (err);
	if ((err = qj_trust_add_anchors(t, anchors, d)) != QJ_OK ||
	    (intermediates != NULL &&
	    (err = qj_trust_add_intermediates(t, intermediates, d)) != QJ_OK) ||
	    (crls != NULL && (err = qj_trust_add_crls(t, crls, d)) != QJ_OK) ||
	    (err = qj_trust_freeze(t, d)) != QJ_OK) {
		qj_trust_free(t);
		return (err);
	}
	*out = t;
	return (QJ_OK);
}

void
qj_trust_free(struct qj_trust *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < TRUST_CERT_SLOTS; i++)
		X509_free(t->certs[i].x);
	sig_xmlsec_mngr_free(t->mngr);
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->anchors, X509_free);
	sk_X509_pop_free(t->inter, X509_free);
	sk_X509_CRL_pop_free(t->crlstack, X509_CRL_free);
	free(t->crls);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void *
qj_trust_xmlsec_mngr(const struct qj_trust *t)
{
	return (t->mngr);
}

unsigned long
qj_trust_cache_hits(struct qj_trust *t)
{
	unsigned long	n;

	pthread_mutex_lock(&t->lock);
	n = t->hits;
	pthread_mutex_unlock(&t->lock);
	return (n);
}

/* --- identity ------------------------------------------------------------ */

/* Copies the value of every `nid` entry starting with `prefix` + 12 digits. */
static void
name_find_id(const X509_NAME *name, int nid, const char *prefix,
    char out[13])
{
	const X509_NAME_ENTRY	*e;
	unsigned char		*s;
	size_t			 plen = strlen(prefix), k;
	int			 i = -1, n, ok, ambiguous = 0;

	out[0] = '\0';
	while ((i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0) {
		e = X509_NAME_get_entry(name, i);
		if ((n = ASN1_STRING_to_UTF8(&s,
		    X509_NAME_ENTRY_get_data(e))) < 0)
			continue;
		ok = (size_t)n == plen + 12 &&
		    strncmp((char *)s, prefix, plen) == 0;
		for (k = plen; ok && k < plen + 12; k++)
			ok = s[k] >= '0' && s[k] <= '9';
		if (ok) {
			if (out[0] != '\0' && strcmp(out, (char *)s + plen))
				ambiguous = 1;
			memcpy(out, s + plen, 12);
			out[12] = '\0';
		}
		OPENSSL_free(s);
	}
	/* Two different identifiers in one subject bind to nobody. */
	if (ambiguous)
		out[0] = '\0';
}

static void
key_describe(EVP_PKEY *pkey, char *out, size_t cap)
{
	char	group[64];

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		snprintf(out, cap, "RSA-%d", EVP_PKEY_get_bits(pkey));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    NULL) != 1)
			snprintf(group, sizeof(group), "explicit parameters");
		else if (strcmp(group, "prime256v1") == 0)
			snprintf(group, sizeof(group), "P-256");
		else if (strcmp(group, "secp384r1") == 0)
			snprintf(group, sizeof(group), "P-384");
		snprintf(out, cap, "EC %.40s", group);
		break;
	default:
		snprintf(out, cap, "%s", EVP_PKEY_get0_type_name(pkey) ?
		    EVP_PKEY_get0_type_name(pkey) : "unknown");
		break;
	}
}

enum qj_err
qj_signer_from_cert(X509 *x, struct qj_signer *w)
{
	const X509_NAME	*subj = X509_get_subject_name(x);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM		*bn;
	char		*hex;
	unsigned int	 mdlen = sizeof(w->cert_sha256);
	int		 i;
	unsigned char	*s;

	memset(w, 0, sizeof(*w));
	name_find_id(subj, NID_serialNumber, "IIN", w->iin);
	name_find_id(subj, NID_organizationalUnitName, "BIN", w->bin);
	if ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) >= 0 &&
	    ASN1_STRING_to_UTF8(&s, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(subj, i))) >= 0) {
		snprintf(w->cn, sizeof(w->cn), "%s", (char *)s);
		OPENSSL_free(s);
	}
	name_rfc2253(subj, w->subject, sizeof(w->subject));
	name_rfc2253(X509_get_issuer_name(x), w->issuer, sizeof(w->issuer));
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL) {
		snprintf(w->serial, sizeof(w->serial), "%s", hex);
		OPENSSL_free(hex);
	}
	BN_free(bn);
	key_describe(X509_get0_pubkey(x), w->key, sizeof(w->key));
	if (X509_digest(x, sig_sha256(), w->cert_sha256, &mdlen) != 1 ||
	    asn1_to_time(X509_get0_notBefore(x), &w->not_before) != 0 ||
	    asn1_to_time(X509_get0_notAfter(x), &w->not_after) != 0) {
		ERR_clear_error();
		return (QJ_EINTERNAL);
	}
	return (QJ_OK);
}

enum qj_err
qj_cert_parse(const void *data, size_t len, X509 **out, struct qj_diag *d)
{
	struct qj_buf		 der = QJ_BUF_INIT;
	const unsigned char	*p;
	X509			*x = NULL;
	BIO			*bio;

	if (len > 64 * 1024 || len > 0x7fffffff)
		return (qj_fail(d, QJ_EINVAL, "cert-malformed", "certificate",
		    "certificate of %zu bytes is too large", len));
	if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL)
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else if (len > 0 && *(const unsigned char *)data == 0x30) {
		p = data;
		if ((x = d2i_X509(NULL, &p, (long)len)) != NULL &&
		    p != (const unsigned char *)data + len) {
			X509_free(x);
			x = NULL;
		}
	} else if (qj_base64_decode(data, len, &der) == QJ_OK && der.len > 0) {
		p = (const unsigned char *)der.data;
		if ((x = d2i_X509(NULL, &p, (long)der.len)) != NULL &&
		    p != (const unsigned char *)der.data + der.len) {
			X509_free(x);
			x = NULL;
		}
	}
	qj_buf_free(&der);
	ERR_clear_error();
	if (x == NULL)
		return (qj_fail(d, QJ_EINVAL, "cert-malformed", "certificate",
		    "not an X.509 certificate (PEM, DER or base64 DER)"));
	*out = x;
	return (QJ_OK);
}

/*
 * OpenSSL 3.0 decodes the public key of every certificate it parses through
 * a freshly built OSSL_DECODER chain, which costs more than an RSA
 * verification; signers come back again and again, so keep the last
 * certificates seen (direct-mapped by the DER's SHA-256, locked).
 */
enum qj_err
qj_trust_cert(struct qj_trust *t, const void *der, size_t len, X509 **out)
{
	const unsigned char	*p = der;
	struct trust_cert	*slot;
	unsigned char		 key[32];
	X509			*x;

	if (len == 0 || len > 0x7fffffff ||
	    EVP_Digest(der, len, key, NULL, sig_sha256(), NULL) != 1)
		return (QJ_EINVAL);
	slot = &t->certs[(key[0] | key[1] << 8) & (TRUST_CERT_SLOTS - 1)];
	pthread_mutex_lock(&t->lock);
	if (slot->x != NULL && memcmp(slot->key, key, 32) == 0 &&
	    X509_up_ref(slot->x) == 1) {
		*out = slot->x;
		pthread_mutex_unlock(&t->lock);
		return (QJ_OK);
	}
	pthread_mutex_unlock(&t->lock);
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != (const unsigned char *)der + len) {
		X509_free(x);
		ERR_clear_error();
		return (QJ_EINVAL);
	}
	/* Fill the extension cache now, while only this thread sees it. */
	(void)X509_get_extension_flags(x);
	pthread_mutex_lock(&t->lock);
	if (X509_up_ref(x) == 1) {
		X509_free(slot->x);
		memcpy(slot->key, key, 32);
		slot->x = x;
		slot->who_ok = 0;
	}
	pthread_mutex_unlock(&t->lock);
	*out = x;
	return (QJ_OK);
}

/* --- checks ------------------------------------------------------------- */

enum qj_err
qj_trust_check_key(X509 *x, struct qj_diag *d)
{
	EVP_PKEY	*pkey;
	char		 desc[64], group[64];
	int		 bits;

	if ((pkey = X509_get0_pubkey(x)) == NULL) {
		ERR_clear_error();
		return (qj_fail(d, QJ_EUNPROC, "sig-weak-key", "certificate",
		    "the certificate's public key cannot be decoded"));
	}
	key_describe(pkey, desc, sizeof(desc));
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits >= TRUST_RSA_MIN_BITS && bits <= TRUST_RSA_MAX_BITS)
			return (QJ_OK);
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    NULL) == 1 && (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "secp384r1") == 0))
			return (QJ_OK);
		break;
	default:
		break;
	}
	ERR_clear_error();
	return (qj_fail(d, QJ_EUNPROC, "sig-weak-key", "certificate",
	    "signer key %s is not allowed (RSA of at least %d bits, or EC "
	    "P-256 or P-384)", desc, TRUST_RSA_MIN_BITS));
}

enum qj_err
qj_trust_check_key_usage(X509 *x, struct qj_diag *d)
{
	uint32_t	flags = X509_get_extension_flags(x);

	if (flags & EXFLAG_INVALID)
		return (qj_fail(d, QJ_EUNPROC, "sig-key-usage", "certificate",
		    "the certificate's extensions cannot be decoded"));
	if (!(flags & EXFLAG_KUSAGE))
		return (qj_fail(d, QJ_EUNPROC, "sig-key-usage", "certificate",
		    "the certificate has no keyUsage extension"));
	if (!(X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE |
	    KU_NON_REPUDIATION)))
		return (qj_fail(d, QJ_EUNPROC, "sig-key-usage", "certificate",
		    "keyUsage allows neither digitalSignature nor "
		    "nonRepudiation"));
	if (X509_check_ca(x) != 0)
		return (qj_fail(d, QJ_EUNPROC, "sig-key-usage", "certificate",
		    "a CA certificate cannot sign documents"));
	return (QJ_OK);
}

/*
 * CRLs dated after the verification time are fine: a CRL issued later
 * still says whether the certificate was revoked by then (and a revoked
 * certificate fails whatever its revocation date).  Every other error
 * stands.  Expired CRLs are also checked again explicitly afterwards.
 */
static int
trust_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CRL_NOT_YET_VALID)
		return (1);
	return (ok);
}

static enum qj_err
trust_x509_fail(X509_STORE_CTX *ctx, struct qj_diag *d)
{
	X509		*c = X509_STORE_CTX_get_current_cert(ctx);
	const char	*slug;
	char		 subj[256] = "?";
	int		 e = X509_STORE_CTX_get_error(ctx);

	if (c != NULL)
		name_rfc2253(X509_get_subject_name(c), subj, sizeof(subj));
	switch (e) {
	case X509_V_ERR_CERT_REVOKED:
		slug = "sig-revoked";
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
		slug = "sig-crl-missing";
		break;
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
		slug = "sig-crl-stale";
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		slug = "sig-cert-expired";
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		slug = "sig-cert-not-yet-valid";
		break;
	default:
		slug = "sig-chain";
		break;
	}
	return (qj_fail(d, QJ_EUNPROC, slug, "certificate",
	    "%s (depth %d: %s)", X509_verify_cert_error_string(e),
	    X509_STORE_CTX_get_error_depth(ctx), subj));
}

/*
 * For every certificate of the built chain, at least one CRL signed by the
 * certificate that issued it must be fresh at `at` (nextUpdate after it).
 * Narrows [*lo, *hi] to where that stays true and clears *memo_ok when an
 * issuer has more than one CRL (OpenSSL's choice could then depend on the
 * time).
 */
static enum qj_err
trust_check_crl_fresh(struct qj_trust *t, STACK_OF(X509) *chain, time_t at,
    time_t *hi, int *memo_ok, struct qj_diag *d)
{
	X509		*c, *issuer;
	const ASN1_TIME	*nu;
	time_t		 next;
	char		 subj[256];
	size_t		 j;
	int		 i, n = sk_X509_num(chain), found, fresh;

	for (i = 0; i < n; i++) {
		c = sk_X509_value(chain, i);
		issuer = i + 1 < n ? sk_X509_value(chain, i + 1) : c;
		found = fresh = 0;
		for (j = 0; j < t->ncrls; j++) {
			if (X509_cmp(t->crls[j].issuer, issuer) != 0)
				continue;
			found++;
			nu = X509_CRL_get0_nextUpdate(t->crls[j].crl);
			if (nu == NULL || asn1_to_time(nu, &next) != 0)
				continue;
			if (next > at)
				fresh = 1;
			if (next - 1 < *hi)
				*hi = next - 1;
		}
		if (found != 1)
			*memo_ok = 0;
		if (found == 0 || !fresh)
			name_rfc2253(X509_get_subject_name(issuer), subj,
			    sizeof(subj));
		if (found == 0)
			return (qj_fail(d, QJ_EUNPROC, "sig-crl-missing",
			    "certificate", "no CRL from %s", subj));
		if (!fresh)
			return (qj_fail(d, QJ_EUNPROC, "sig-crl-stale",
			    "certificate", "the CRL from %s is out of date "
			    "(nextUpdate before the verification time)", subj));
	}
	return (QJ_OK);
}

/* Certificate signatures in the chain: SHA-2 only (the anchor excepted). */
static enum qj_err
trust_check_chain_algs(STACK_OF(X509) *chain, time_t *lo, time_t *hi,
    struct qj_diag *d)
{
	X509	*c;
	time_t	 nb, na;
	char	 subj[256];
	int	 i, n = sk_X509_num(chain), mdnid = NID_undef;

	for (i = 0; i < n; i++) {
		c = sk_X509_value(chain, i);
		if (asn1_to_time(X509_get0_notBefore(c), &nb) != 0 ||
		    asn1_to_time(X509_get0_notAfter(c), &na) != 0)
			return (qj_fail(d, QJ_EUNPROC, "sig-chain",
			    "certificate", "unreadable validity dates"));
		if (nb > *lo)
			*lo = nb;
		if (na - 1 < *hi)
			*hi = na - 1;
		if (i == n - 1)
			break;
		if (X509_get_signature_info(c, &mdnid, NULL, NULL, NULL) != 1 ||
		    (mdnid != NID_sha256 && mdnid != NID_sha384 &&
		    mdnid != NID_sha512)) {
			name_rfc2253(X509_get_subject_name(c), subj,
			    sizeof(subj));
			return (qj_fail(d, QJ_EUNPROC, "sig-algorithm",
			    "certificate", "certificate %s is signed with %s; "
			    "only SHA-256/384/512 are allowed", subj,
			    mdnid == NID_undef ? "an unknown digest" :
			    OBJ_nid2sn(mdnid)));
		}
	}
	return (QJ_OK);
}

/* SHA-256 over the digests of the leaf (given) and the extra certificates. */
static void
memo_key(const unsigned char leafdig[32], STACK_OF(X509) *extra,
    unsigned char key[32])
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n;
	int		 i;

	memset(key, 0, 32);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return;
	EVP_DigestInit_ex(ctx, sig_sha256(), NULL);
	EVP_DigestUpdate(ctx, leafdig, 32);
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++) {
		n = sizeof(md);
		if (X509_digest(sk_X509_value(extra, i), sig_sha256(), md,
		    &n) == 1)
			EVP_DigestUpdate(ctx, md, n);
	}
	n = 32;
	EVP_DigestFinal_ex(ctx, key, &n);
	EVP_MD_CTX_free(ctx);
}

static int
memo_lookup(struct qj_trust *t, const unsigned char key[32], time_t at)
{
	struct trust_memo	*m = &t->memo[(key[0] | key[1] << 8) &
				    (TRUST_MEMO_SLOTS - 1)];
	int			 hit;

	pthread_mutex_lock(&t->lock);
	hit = m->used && memcmp(m->key, key, 32) == 0 && m->lo <= at &&
	    at <= m->hi;
	if (hit)
		t->hits++;
	pthread_mutex_unlock(&t->lock);
	return (hit);
}

static void
memo_store(struct qj_trust *t, const unsigned char key[32], time_t lo,
    time_t hi)
{
	struct trust_memo	*m = &t->memo[(key[0] | key[1] << 8) &
				    (TRUST_MEMO_SLOTS - 1)];

	pthread_mutex_lock(&t->lock);
	memcpy(m->key, key, 32);
	m->lo = lo;
	m->hi = hi;
	m->used = 1;
	pthread_mutex_unlock(&t->lock);
}

/*
 * The signer's own validity first: OpenSSL checks revocation before dates,
 * so a certificate checked after its end would otherwise be reported as
 * "CRL has expired" rather than "certificate has expired".
 */
static enum qj_err
trust_check_leaf_dates(X509 *leaf, time_t at, struct qj_diag *d)
{
	time_t	nb, na;

	if (asn1_to_time(X509_get0_notBefore(leaf), &nb) != 0 ||
	    asn1_to_time(X509_get0_notAfter(leaf), &na) != 0)
		return (qj_fail(d, QJ_EUNPROC, "sig-chain", "certificate",
		    "unreadable validity dates"));
	if (at < nb)
		return (qj_fail(d, QJ_EUNPROC, "sig-cert-not-yet-valid",
		    "certificate", "certificate is not yet valid at the "
		    "verification time"));
	if (at >= na)
		return (qj_fail(d, QJ_EUNPROC, "sig-cert-expired",
		    "certificate", "certificate has expired by the "
		    "verification time"));
	return (QJ_OK);
}

/* Path validation proper (the memo's slow path). */
static enum qj_err
trust_validate(struct qj_trust *t, X509 *leaf, STACK_OF(X509) *extra,
    time_t at, time_t *lo, time_t *hi, int *memo_ok, struct qj_diag *d)
{
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*param;
	STACK_OF(X509)		*untrusted = NULL, *chain;
	enum qj_err		 err = QJ_ENOMEM;
	int			 i;

	if ((untrusted = sk_X509_dup(t->inter)) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(extra, i)))
			goto out;
	if (X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set0_crls(ctx, t->crlstack);
	X509_STORE_CTX_set_verify_cb(ctx, trust_verify_cb);
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	X509_VERIFY_PARAM_set_time(param, at);
	X509_VERIFY_PARAM_set_depth(param, TRUST_MAX_DEPTH);
	if (X509_verify_cert(ctx) != 1) {
		err = trust_x509_fail(ctx, d);
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if ((err = trust_check_chain_algs(chain, lo, hi, d)) != QJ_OK ||
	    (err = trust_check_crl_fresh(t, chain, at, hi, memo_ok,
	    d)) != QJ_OK)
		goto out;
	err = QJ_OK;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return (err);
}

/* The identity of `leaf` (whose DER hashes to dig), cached beside it. */
static enum qj_err
trust_identity(struct qj_trust *t, X509 *leaf, const unsigned char dig[32],
    struct qj_signer *who)
{
	struct trust_cert	*slot = &t->certs[(dig[0] | dig[1] << 8) &
				    (TRUST_CERT_SLOTS - 1)];

	pthread_mutex_lock(&t->lock);
	if (slot->x != NULL && slot->who_ok && memcmp(slot->key, dig,
	    32) == 0) {
		*who = slot->who;
		pthread_mutex_unlock(&t->lock);
		return (QJ_OK);
	}
	pthread_mutex_unlock(&t->lock);
	if (qj_signer_from_cert(leaf, who) != QJ_OK)
		return (QJ_EINTERNAL);
	pthread_mutex_lock(&t->lock);
	if (slot->x != NULL && memcmp(slot->key, dig, 32) == 0) {
		slot->who = *who;
		slot->who_ok = 1;
	}
	pthread_mutex_unlock(&t->lock);
	return (QJ_OK);
}

enum qj_err
qj_trust_verify(struct qj_trust *t, X509 *leaf, STACK_OF(X509) *extra,
    time_t at, struct qj_signer *who, struct qj_diag *d)
{
	unsigned char	key[32], dig[32];
	unsigned int	n = sizeof(dig);
	time_t		lo = 0, hi = (time_t)1 << 62;
	int		memo_ok = 1;
	enum qj_err	err;

	if (!t->frozen)
		return (qj_fail(d, QJ_EINTERNAL, "trust-config", "",
		    "the trust store is not frozen"));
	if ((err = qj_trust_check_key(leaf, d)) != QJ_OK ||
	    (err = qj_trust_check_key_usage(leaf, d)) != QJ_OK ||
	    (err = trust_check_leaf_dates(leaf, at, d)) != QJ_OK)
		return (err);
	if (X509_digest(leaf, sig_sha256(), dig, &n) != 1)
		return (QJ_EINTERNAL);
	if (t->memo_on)
		memo_key(dig, extra, key);
	if (!t->memo_on || !memo_lookup(t, key, at)) {
		if ((err = trust_validate(t, leaf, extra, at, &lo, &hi,
		    &memo_ok, d)) != QJ_OK)
			return (err);
		if (t->memo_on && memo_ok && lo <= at && at <= hi)
			memo_store(t, key, lo, hi);
	}
	if (who != NULL && trust_identity(t, leaf, dig, who) != QJ_OK)
		return (qj_fail(d, QJ_EINTERNAL, "sig-chain", "certificate",
		    "cannot read the signer's identity"));
	return (QJ_OK);
}
