/*
 * test_xades.c: unit tests for the signature core (app/core/xades.c,
 * trust.c, sig_policy.c, sig_xmlsec.c).
 *
 * Every acceptance case of issue 3 that needs no HTTP is a test here that
 * asserts the exact diagnostic slug.  Signatures are made three ways: by
 * Qujat's own two-phase signing (prepare, sign the returned bytes with the
 * vector's private key, assemble/complete); by the small independent
 * XMLDSig signer of tests/lib/sigvec.c (sv_sign_again()), used to craft
 * what prepare() would never produce (SHA-1, extra References, KeyValue,
 * NCALayer's enveloped format, changed SignedProperties) so that each
 * malformed signature is still cryptographically valid and only the policy
 * can reject it; and by the xmlsec1 and openssl command-line tools
 * (interop).  Certificates come from certs/dev (make certs); run from the
 * repository root.
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

#include <libxml/parser.h>
#include <openssl/bn.h>
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
#include "tests/lib/sigvec.h"

#define CERTS		SV_CERTS
#define ROLE		"applicant@fpe"		/* make_sig()'s ClaimedRole */
#define EVIL		"vectors/other-rsa"	/* the attacker's key */
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

/* A detached signature by `who` over DOC at doc_uri, signed now. */
static char *
make_sig(const char *who, enum qj_commitment cm, size_t *len)
{
	return (sv_make_sig(who, DOC, doc_uri, cm, ROLE, time(NULL), len));
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
	X509			*cert = sv_load_cert("users/applicant-rsa");
	EVP_PKEY		*key = sv_load_key("users/applicant-rsa");
	unsigned char		*sig;
	size_t			 siglen;
	time_t			 now = time(NULL);

	ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
	    QJ_COMMIT_ORIGIN, "applicant@fpe", now, &p, &d) == QJ_OK);
	ck_assert_str_eq(p.sig_method, SIG_RSA_SHA256);
	ck_assert_str_eq(p.hash, "SHA-256");
	ck_assert(strncmp((char *)p.tbs, "<ds:SignedInfo xmlns:ds=", 24) == 0);
	sig = sv_sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
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
		X509 *cert = sv_load_cert(whos[i]);
		EVP_PKEY *key = sv_load_key(whos[i]);

		ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
		    QJ_COMMIT_APPROVAL, NULL, time(NULL), &p, &d) == QJ_OK);
		ck_assert_str_eq(p.sig_method, SIG_ECDSA_SHA256);
		sig = sv_sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
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
		X509 *cert = sv_load_cert(whos[i]);
		EVP_PKEY *key = sv_load_key(whos[i]);

		ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
		    QJ_COMMIT_APPROVAL, "rector & <chair> \"ü\"", time(NULL), &p,
		    &d) == QJ_OK);
		sig = sv_sign_raw(key, "SHA256", p.tbs, p.tbs_len, &siglen);
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
		X509 *cert = sv_load_cert(whos[i]);

		ck_assert(qj_xades_prepare(DOC, strlen(DOC), doc_uri, cert,
		    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &p, &d) == QJ_OK);
		snprintf(path, sizeof(path), "%s/tbs.bin", dir);
		sv_spit(path, p.tbs, p.tbs_len);
		snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -sign "
		    CERTS "/%s.key -out %s/sig.bin %s/tbs.bin", whos[i], dir,
		    dir);
		ck_assert_int_eq(run_cmd(cmd), 0);
		snprintf(path, sizeof(path), "%s/sig.bin", dir);
		sig = sv_slurp(path, &siglen);
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
	doc = sv_mutate(DOC, "2027-11-30", "2027-11-31");
	ck_slug(verify_with(T, xml, len, doc, APPLICANT_IIN, QJ_COMMIT_ANY,
	    NULL), "sig-digest");
	free(doc);
	free(xml);
}
END_TEST

START_TEST(signature_value_changed)
{
	char	*xml;
	size_t	 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	sv_flip_signature_value(xml);
	ck_slug(verify(xml, len), "sig-value");
	free(xml);
	/* The same for ECDSA. */
	xml = make_sig("users/applicant-ec", QJ_COMMIT_ORIGIN, &len);
	sv_flip_signature_value(xml);
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
	chain = sv_cert_b64("vectors/lookalike/intermediate");
	cert = malloc(strlen(chain) + 4096);
	sprintf(cert, "</ds:X509Certificate><ds:X509Certificate>%s"
	    "</ds:X509Certificate>", chain);
	withchain = sv_mutate(xml, "</ds:X509Certificate>", cert);
	ck_slug(verify(withchain, strlen(withchain)), "sig-chain");
	/* And with the look-alike root as well. */
	free(chain);
	chain = sv_cert_b64("vectors/lookalike/root");
	sprintf(cert, "</ds:X509Certificate><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data>", chain);
	xml2 = sv_mutate(withchain, "</ds:X509Certificate></ds:X509Data>",
	    cert);
	ck_slug(verify(xml2, strlen(xml2)), "sig-chain");
	free(xml2);
	free(withchain);
	free(chain);
	free(cert);
	free(xml);
}
END_TEST

/* The applicant's signature re-signed by the attacker, key as KeyValue. */
static char *
keyvalue_only_sig(size_t *len)
{
	char	*xml, *a;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, len);
	a = sv_keyvalue_only(xml, DOC, EVIL, len);
	free(xml);
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
	sv_attacker_keyvalue(EVIL, &kv);
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = sv_mutate(xml, "<ds:KeyInfo>", kv.data);
	b = sv_sign_again(a, DOC, EVIL, &len);
	ck_slug(verify(b, len), "sig-key-source");
	free(a);
	free(b);
	/* 3: a KeyName. */
	a = sv_mutate(xml, "<ds:KeyInfo>", "<ds:KeyInfo><ds:KeyName>applicant"
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
	xml = sv_make_sig("users/applicant-rsa", DOC, doc_uri,
	    QJ_COMMIT_ORIGIN, ROLE, 1746057600 /* 2025-05-01 */, &len);
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
	a = sv_mutate(xml, SIG_RSA_SHA256,
	    "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
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
	a = sv_mutate_after(xml, "<ds:Reference Id=", SIG_SHA256,
	    "http://www.w3.org/2000/09/xmldsig#sha1");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-algorithm");
	free(a);
	free(b);
	/* MD5 for the SignedProperties Reference. */
	a = sv_mutate_after(xml, "URI=\"#xades-", SIG_SHA256,
	    "http://www.w3.org/2001/04/xmldsig-more#md5");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-algorithm");
	free(a);
	free(b);
	/* SHA-1 in SigningCertificateV2's CertDigest (SHA-1 of the cert). */
	{
		X509 *x = sv_load_cert("users/applicant-rsa");
		unsigned char md[20];
		unsigned int n = 20;
		struct qj_buf bb = QJ_BUF_INIT;
		char *p = strstr(strstr(xml, "<xades:CertDigest>"),
		    "<ds:DigestValue>") + 16, *e = strchr(p, '<');
		char *old = strndup(p, (size_t)(e - p));

		X509_digest(x, EVP_sha1(), md, &n);
		qj_base64_encode(md, n, &bb);
		a = sv_mutate_after(xml, "<xades:CertDigest>", SIG_SHA256,
		    "http://www.w3.org/2000/09/xmldsig#sha1");
		b = sv_mutate(a, old, bb.data);
		free(a);
		a = sv_sign_again(b, DOC, "users/applicant-rsa", &len);
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
	a = sv_mutate(xml, SIG_ECDSA_SHA256, SIG_RSA_SHA256);
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
	a = sv_mutate(xml, "</ds:SignedInfo>", ref);
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* A third Reference to the very document (served, right digest):
	   only the count tells it apart. */
	snprintf(ref, 512, "<ds:Reference URI=\"%s\">"
	    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<ds:DigestValue>AA==</ds:DigestValue></ds:Reference>"
	    "</ds:SignedInfo>", doc_uri);
	a = sv_mutate(xml, "</ds:SignedInfo>", ref);
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* Two data References and no SignedProperties one. */
	a = sv_mutate(xml, "Type=\"" SIG_PROPS_TYPE "\" ", "");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* The enveloped format: a second Reference next to URI="". */
	a = sv_ncalayer_template(DOC, "users/applicant-rsa",
	    "<ds:Reference URI=\"#x\"><ds:DigestMethod Algorithm=\""
	    SIG_SHA256 "\"/><ds:DigestValue>AA==</ds:DigestValue>"
	    "</ds:Reference>", NULL);
	b = sv_sign_again(a, "", "users/applicant-rsa", &len);
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
	a = sv_mutate(xml, doc_uri, "documents/0000.xml");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* A file or network URI is never resolved, whatever it is. */
	a = sv_mutate(xml, doc_uri, "file:///etc/hostname");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-references");
	free(a);
	free(b);
	/* The SignedProperties Reference pointing elsewhere. */
	a = sv_mutate(xml, "URI=\"#xades-", "URI=\"#ref-doc-");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
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
	a = sv_mutate(xml, "<ds:Transform Algorithm=\"" SIG_C14N_EXCL "\"/>",
	    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/"
	    "REC-xpath-19991116\"><ds:XPath>1</ds:XPath></ds:Transform>");
	b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
	ck_slug(verify(b, len), "sig-transform");
	free(a);
	free(b);
	/* XSLT. */
	a = sv_mutate(xml, SIG_C14N_EXCL "\"/></ds:Transforms>",
	    "http://www.w3.org/TR/1999/REC-xslt-19991116\"/></ds:Transforms>");
	ck_slug(verify(a, strlen(a)), "sig-transform");
	free(a);
	/* Any transform on the detached document. */
	a = sv_mutate(xml, "<ds:DigestMethod", "<ds:Transforms><ds:Transform "
	    "Algorithm=\"" SIG_C14N_10 "\"/></ds:Transforms><ds:DigestMethod");
	ck_slug(verify(a, strlen(a)), "sig-transform");
	free(a);
	/* An unknown SignedInfo canonicalisation. */
	a = sv_mutate(xml, "CanonicalizationMethod Algorithm=\"" SIG_C14N_EXCL,
	    "CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/"
	    "xml-c14n11");
	ck_slug(verify(a, strlen(a)), "sig-transform");
	free(a);
	/* HMAC as a signature method. */
	a = sv_mutate(xml, SIG_RSA_SHA256,
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
	a = sv_mutate(xml, "</ds:Object>", "<ds:Signature/></ds:Object>");
	ck_slug(verify(a, strlen(a)), "sig-count");
	free(a);
	/* Prefix games do not change the count: it is by namespace. */
	a = sv_mutate(xml, "<ds:Object>", "<ds:Object><x:Signature xmlns:x=\""
	    SIG_NS_DS "\"/>");
	ck_slug(verify(a, strlen(a)), "sig-count");
	free(a);
	b = sv_mutate(xml, "</ds:Object>",
	    "<ds2:Signature xmlns:ds2=\"urn:x\"/></ds:Object>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(b);
	/* A detached signature inside some other root. */
	a = sv_mutate(xml, "<ds:Signature", "<wrapper><ds:Signature");
	b = sv_mutate(a, "</ds:Signature>", "</ds:Signature></wrapper>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(a);
	free(b);
	/* Unknown element in ds:Signature. */
	a = sv_mutate(xml, "<ds:Object>", "<junk/><ds:Object>");
	ck_slug(verify(a, strlen(a)), "sig-malformed");
	free(a);
	free(xml);
}
END_TEST

static const char *
verify_asic(const char *xml, size_t len)
{
	struct qj_sig_expect	ex;
	struct qj_diag		d;

	memset(&ex, 0, sizeof(ex));
	qj_diag_clear(&d);
	ex.doc = DOC;
	ex.doc_len = strlen(DOC);
	ex.doc_uri = doc_uri;
	ex.iin = APPLICANT_IIN;
	last_detail[0] = '\0';
	return (slug_of(qj_xades_verify_asic(T, xml, len, &ex, NULL, &d), &d));
}

/*
 * ASiC-E signatures files (EN 319 162-1): a stored signature wrapped in
 * asic:XAdESSignatures verifies as it did alone (exclusive C14N leaves the
 * wrapper out), the wrapper holds exactly that one signature, and the
 * stored bytes split into prolog, element and epilog exactly.
 */
START_TEST(asic_signatures_file)
{
	struct qj_buf	 w = QJ_BUF_INIT;
	struct qj_diag	 d;
	char		*xml, *a, *stored;
	size_t		 len, pro, epi;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_assert_int_eq(qj_asic_wrap(xml, len, &w, &d), QJ_OK);
	ck_assert(strncmp(w.data, QJ_ASIC_FILE_HEAD,
	    strlen(QJ_ASIC_FILE_HEAD)) == 0);
	ck_slug(verify_asic(w.data, w.len), "VALID");
	/* Each form only where it belongs. */
	ck_slug(verify(w.data, w.len), "sig-wrapping");
	ck_slug(verify_asic(xml, len), "sig-wrapping");
	/* Nothing else in the container: another element, text, a comment,
	 * a second signature; nor another root. */
	a = sv_mutate(w.data, "</asic:XAdESSignatures>",
	    "<x/></asic:XAdESSignatures>");
	ck_slug(verify_asic(a, strlen(a)), "sig-wrapping");
	free(a);
	a = sv_mutate(w.data, "</asic:XAdESSignatures>",
	    "text</asic:XAdESSignatures>");
	ck_slug(verify_asic(a, strlen(a)), "sig-wrapping");
	free(a);
	a = sv_mutate(w.data, "</asic:XAdESSignatures>",
	    "<!-- c --></asic:XAdESSignatures>");
	ck_slug(verify_asic(a, strlen(a)), "sig-wrapping");
	free(a);
	a = sv_mutate(w.data, "</asic:XAdESSignatures>",
	    "<ds:Signature xmlns:ds=\"" SIG_NS_DS "\"/></asic:XAdESSignatures>");
	ck_slug(verify_asic(a, strlen(a)), "sig-count");
	free(a);
	a = sv_mutate(w.data, "asic:XAdESSignatures xmlns:asic=\"" QJ_ASIC_NS,
	    "asic:XAdESSignatures xmlns:asic=\"urn:other");
	ck_slug(verify_asic(a, strlen(a)), "sig-wrapping");
	free(a);
	/* A changed byte inside is still caught. */
	a = sv_mutate(w.data, "<ds:DigestValue>", "<ds:DigestValue>AAAA");
	ck_assert_str_ne(verify_asic(a, strlen(a)), "VALID");
	free(a);
	/* Prolog (BOM, declaration, comments, PIs) and epilog come off
	 * exactly and put back give the stored bytes. */
	stored = malloc(len + 128);
	snprintf(stored, len + 128, "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n"
	    "<!-- signed by a tool -->\n%s\n<?pi x?>\n<!-- end -->\n", strstr(xml,
	    "<ds:Signature"));
	ck_assert_int_eq(qj_asic_split(stored, strlen(stored), &pro, &epi, &d),
	    QJ_OK);
	ck_assert(strncmp(stored + pro, "<ds:Signature", 13) == 0);
	ck_assert(strncmp(stored + strlen(stored) - epi - 15,
	    "</ds:Signature>", 15) == 0);
	ck_assert(strstr(stored + strlen(stored) - epi, "<?pi x?>\n<!-- end "
	    "-->\n") != NULL);
	ck_assert(strspn(stored + strlen(stored) - epi, "\n") >= 1);
	qj_buf_reset(&w);
	ck_assert_int_eq(qj_asic_wrap(stored, strlen(stored), &w, &d), QJ_OK);
	ck_slug(verify_asic(w.data, w.len), "VALID");
	ck_assert_int_eq(qj_asic_split("no element", 10, &pro, &epi, &d),
	    QJ_EINVAL);
	ck_assert_int_eq(qj_asic_split("<!-- open <a/>", 14, &pro, &epi, &d),
	    QJ_EINVAL);
	free(stored);
	qj_buf_free(&w);
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
		a = sv_mutate(xml, cases[i].from, cases[i].to);
		b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
		ck_assert_msg(strcmp(verify(b, len), cases[i].slug) == 0,
		    "case %zu: expected %s; %s", i, cases[i].slug, last_detail);
		free(a);
		free(b);
	}
	/* SigningCertificateV2 naming another certificate (rector's). */
	{
		X509 *r = sv_load_cert("users/rector-rsa");
		unsigned char md[32];
		unsigned int n = 32;
		struct qj_buf bb = QJ_BUF_INIT;
		char *p = strstr(strstr(xml, "<xades:CertDigest>"),
		    "<ds:DigestValue>") + 16, *e = strchr(p, '<');
		char *old = strndup(p, (size_t)(e - p));

		X509_digest(r, EVP_sha256(), md, &n);
		qj_base64_encode(md, n, &bb);
		a = sv_mutate(xml, old, bb.data);
		b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
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

		a = sv_mutate(xml, cut, "");
		b = sv_sign_again(a, DOC, "users/applicant-rsa", &len);
		ck_slug(verify(b, len), "sig-commitment");
		free(a);
		free(b);
		free(cut);
	}
	/* A SigningTime in the future. */
	free(xml);
	xml = sv_make_sig("users/applicant-rsa", DOC, doc_uri,
	    QJ_COMMIT_ORIGIN, ROLE, time(NULL) + 86400, &len);
	ck_slug(verify(xml, len), "sig-xades");
	free(xml);
	/* SignedProperties changed after signing (not re-signed). */
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = sv_mutate(xml, "applicant@fpe</xades:ClaimedRole>",
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
	struct qj_sig_expect ex;
	struct qj_diag	 d;
	struct timespec	 t0, t1;
	char		*xml, *h;
	size_t		 len, hlen;
	double		 secs;

	h = sv_doctype();
	ck_slug(verify(h, strlen(h)), "xml-doctype");
	free(h);
	h = sv_xxe();
	ck_slug(verify(h, strlen(h)), "xml-doctype");
	free(h);
	/* Billion laughs: refused before a single expansion. */
	h = sv_billion_laughs();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_slug(verify(h, strlen(h)), "xml-doctype");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(h);
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
	h = sv_oversize(xml, QJ_XML_MAX_BYTES_DEFAULT, &hlen);
	ck_assert_int_eq(qj_xades_verify(T, h, hlen, &ex, NULL, &d),
	    QJ_ELIMIT);
	ck_assert_str_eq(d.type, "xml-too-large");
	free(h);
	/* Malformed XML is QJ_EINVAL. */
	ck_assert_int_eq(qj_xades_verify(T, xml, len / 2, &ex, NULL, &d),
	    QJ_EINVAL);
	ck_assert_str_eq(d.type, "xml-malformed");
	free(xml);
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

	xml = sv_make_ncalayer(DOC, "users/applicant-rsa", &len);
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
		char *t = sv_ncalayer_template(DOC, "users/applicant-rsa",
		    NULL, NULL);
		char *u = sv_mutate(t, "<period ", "<x id=\"1\"/><x id=\"1\"/>"
		    "<period ");

		xml = sv_sign_again(u, "", "users/applicant-rsa", &len);
		ck_slug(verify_env(T, xml, len, NULL, NULL), "VALID");
		free(xml);
		free(u);
		/* ...but a repeated xml:id is. */
		u = sv_mutate(t, "<period ",
		    "<x xml:id=\"a\"/><x xml:id=\"a\"/><period ");
		xml = sv_sign_again(u, "", "users/applicant-rsa", &len);
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

	xml = sv_make_ncalayer(DOC, "users/applicant-rsa", &len);
	/* The signed text changed. */
	a = sv_mutate(xml, "2027-11-30", "2027-11-31");
	ck_slug(verify_env(T, a, strlen(a), NULL, NULL), "sig-digest");
	free(a);
	/* Valid, but not over the document the caller expects. */
	doc = sv_mutate(DOC, "2027-11-30", "2027-11-31");
	ck_slug(verify_env(T, xml, len, doc, NULL), "sig-digest");
	free(doc);
	/* Signature value. */
	a = sv_mutate(xml, "<ds:SignatureValue>", "<ds:SignatureValue>AAAA");
	ck_slug(verify_env(T, a, strlen(a), NULL, NULL), "sig-value");
	free(a);
	/* Another person's certificate. */
	free(xml);
	xml = sv_make_ncalayer(DOC, "vectors/other-rsa", &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-signer");
	free(xml);
	/* A revoked one. */
	xml = sv_make_ncalayer(DOC, "vectors/revoked-rsa", &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-revoked");
	/* The ds:Signature not the root's last child. */
	a = sv_mutate(xml, "</ds:Signature>", "</ds:Signature><tail/>");
	ck_slug(verify_env(T, a, strlen(a), NULL, NULL), "sig-wrapping");
	free(a);
	/* An XPath transform instead of the c14n one. */
	free(xml);
	a = sv_ncalayer_template(DOC, "users/applicant-rsa", NULL, NULL);
	b = sv_mutate(a, "<ds:Transform Algorithm=\"" SIG_C14N_10_WC "\"/>",
	    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/"
	    "REC-xpath-19991116\"><ds:XPath>not(ancestor-or-self::reason)"
	    "</ds:XPath></ds:Transform>");
	xml = sv_sign_again(b, "", "users/applicant-rsa", &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-transform");
	free(a);
	free(b);
	free(xml);
	/* No enveloped-signature transform. */
	a = sv_ncalayer_template(DOC, "users/applicant-rsa", NULL, NULL);
	b = sv_mutate(a, "<ds:Transform Algorithm=\"" SIG_TR_ENVELOPED "\"/>",
	    "");
	ck_slug(verify_env(T, b, strlen(b), NULL, NULL), "sig-transform");
	free(a);
	free(b);
	/* A detached signature is not an enveloped one, and vice versa. */
	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	ck_slug(verify_env(T, xml, len, NULL, NULL), "sig-wrapping");
	free(xml);
	xml = sv_make_ncalayer(DOC, "users/applicant-rsa", &len);
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
	a = sv_mutate(DOC, "version=\"1\"", "version=\"1\" Id=\"app-1\"");
	orig = strdup(a);
	free(a);
	xml = sv_make_ncalayer(DOC, "users/applicant-rsa", &len);
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
	a = sv_mutate(w.data, "<ds:Reference URI=\"\">",
	    "<ds:Reference URI=\"#app-1\">");
	b = sv_mutate(a, "<ds:Transform Algorithm=\"" SIG_TR_ENVELOPED "\"/>",
	    "");
	free(a);
	a = sv_sign_again(b, "", "users/applicant-rsa", &len);
	ck_slug(verify_env(T, a, len, NULL, NULL), "sig-wrapping");
	free(a);
	free(b);
	/* Same, but keeping Reference URI="" and the enveloped transform. */
	a = sv_sign_again(w.data, "", "users/applicant-rsa", &len);
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
		a = sv_mutate(xml, "<ds:SignedInfo>", id);
		ck_slug(verify(a, strlen(a)), "sig-wrapping");
		free(a);
	}
	/* Foreign content next to QualifyingProperties in ds:Object. */
	b = sv_mutate(xml, "<ds:Object>", "<ds:Object><application Id=\"x\"/>");
	ck_slug(verify(b, strlen(b)), "sig-wrapping");
	free(b);
	b = sv_mutate(xml, "</ds:Object>", "</ds:Object><ds:Object/>");
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
	X509			*cert = sv_load_cert("users/applicant-rsa");

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
	X509		*x = sv_load_cert("users/customer-ec");
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
		char *pem = sv_slurp(CERTS "/users/customer-ec.pem", &n);
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
	X509			*sys, *root = sv_load_cert("trust/root");
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
	X509			*x = sv_load_cert("users/applicant-rsa");
	char			*xml, *a;
	size_t			 len;

	xml = make_sig("users/applicant-rsa", QJ_COMMIT_ORIGIN, &len);
	a = sv_mutate(xml, doc_uri, "/etc/hostname");
	free(xml);
	xml = sv_sign_again(a, "", "users/applicant-rsa", &len);
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
	EVP_PKEY		*evil = sv_load_key(EVIL);
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
	sv_spit(path, DOC, strlen(DOC));
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
	sv_spit(path, xml, len);
	ck_assert_msg(xmlsec1_verify(dir, "sig.xml") == 0,
	    "xmlsec1 rejected our RSA signature, see %s/xmlsec1.log", dir);
	free(xml);
	xml = make_sig("users/applicant-ec", QJ_COMMIT_APPROVAL, &len);
	sv_spit(path, xml, len);
	ck_assert_msg(xmlsec1_verify(dir, "sig.xml") == 0,
	    "xmlsec1 rejected our ECDSA signature, see %s/xmlsec1.log", dir);
	/* Control: xmlsec1 does see a changed document. */
	doc = sv_mutate(DOC, "2027-11-30", "2027-11-31");
	snprintf(path, sizeof(path), "%s/%s", dir, doc_uri);
	sv_spit(path, doc, strlen(doc));
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
	X509		*x = sv_load_cert("users/applicant-rsa");
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
	sv_spit(path, t.data, t.len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && xmlsec1 --sign --privkey-pem "
	    "'%s/" CERTS "/users/applicant-rsa.key,%s/" CERTS
	    "/users/applicant-rsa.pem' --output signed.xml tmpl.xml "
	    ">xmlsec1.log 2>&1", dir, cwd, cwd);
	ck_assert_msg(run_cmd(cmd) == 0, "xmlsec1 --sign failed, see %s", dir);
	snprintf(path, sizeof(path), "%s/signed.xml", dir);
	xml = sv_slurp(path, &len);
	ck_slug(verify_with(T, xml, len, DOC, APPLICANT_IIN, QJ_COMMIT_ORIGIN,
	    NULL), "VALID");
	ck_slug(verify_with(T, xml, len, "changed", APPLICANT_IIN,
	    QJ_COMMIT_ORIGIN, NULL), "sig-digest");
	free(xml);

	/* The NCALayer enveloped format, signed by xmlsec1. */
	env = sv_ncalayer_template(DOC, "users/applicant-rsa", NULL, NULL);
	cert = strstr(env, "<ds:X509Certificate>") + 20;
	*cert = '\0';
	qj_buf_reset(&t);
	qj_buf_printf(&t, "%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
	    "</ds:Signature></application>\n", env);
	snprintf(path, sizeof(path), "%s/env.xml", dir);
	sv_spit(path, t.data, t.len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && xmlsec1 --sign --privkey-pem "
	    "'%s/" CERTS "/users/applicant-rsa.key,%s/" CERTS
	    "/users/applicant-rsa.pem' --output env-signed.xml env.xml "
	    ">xmlsec1.log 2>&1", dir, cwd, cwd);
	ck_assert_msg(run_cmd(cmd) == 0, "xmlsec1 --sign failed, see %s", dir);
	snprintf(path, sizeof(path), "%s/env-signed.xml", dir);
	xml = sv_slurp(path, &len);
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
	first = sv_slurp(path, &n);
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
		doc = cases[i].change_doc ? sv_mutate(DOC, "2027", "2028") :
		    strdup(DOC);
		sv_spit(datapath, doc, strlen(doc));
		if (cases[i].enveloped) {
			xml = sv_make_ncalayer(DOC, cases[i].who, &len);
			want = verify_env(T, xml, len, NULL, NULL);
		} else {
			xml = make_sig(cases[i].who, QJ_COMMIT_ORIGIN, &len);
			want = verify_with(T, xml, len, doc, APPLICANT_IIN,
			    QJ_COMMIT_ANY, NULL);
		}
		snprintf(path, sizeof(path), "%s/sig.xml", dir);
		sv_spit(path, xml, len);
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
	tcase_add_test(tc, asic_signatures_file);
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
