/*
 * bench/signatures.c: in-process signature verifications per second.
 *
 * Built and run by bench/signatures (which also measures `openssl speed
 * rsa2048` and prints the ratio).  Signs a ~3 KB form document once with
 * the applicant's RSA-2048 development key through Qujat's own two-phase
 * signing (a detached XAdES B-B signature), then verifies it again and
 * again under the full policy: parse, structure, XAdES properties, chain to
 * the anchor with CRL_CHECK_ALL and CRL freshness, key usage, xmlsec
 * signature and digests, binding to the expected IIN and commitment.
 *
 *	signatures [seconds [warm|cold]]	prints "warm <n/s>" and "cold <n/s>"
 *
 * warm: the trust store as the server builds it, which memoises the chain
 * verdict per signer certificate until a certificate or CRL could change
 * it; cold: the memo switched off, so every verification also re-verifies
 * both certificates and both CRLs (RSA-3072/4096 keys in certs/dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/trust.h"
#include "core/xades.h"

#define CERTS	"certs/dev"
#define IIN	"980412410006"

static double
now_secs(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
die(const char *what, const struct qj_diag *d)
{
	fprintf(stderr, "bench/signatures: %s: %s %s\n", what,
	    d != NULL && d->type != NULL ? d->type : "",
	    d != NULL ? d->detail : "");
	exit(2);
}

/* A typical order (бұйрық) with a dozen items: about 3 KB. */
static void
make_document(struct qj_buf *b)
{
	int	i;

	qj_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<order xmlns=\"urn:qujat:form:order:1\" series=\"ОД\" "
	    "number=\"2026-0417\" date=\"2026-11-23\">\n"
	    "  <university bin=\"990440010005\">Qujat Demo Medical "
	    "University</university>\n"
	    "  <title lang=\"kk\">Академиялық демалыс беру туралы</title>\n"
	    "  <title lang=\"ru\">О предоставлении академического отпуска"
	    "</title>\n"
	    "  <basis>Rules of 30.10.2018 No. 595, para. 4.4; commission "
	    "protocol 2026-31</basis>\n");
	for (i = 0; i < 12; i++)
		qj_buf_printf(b, "  <item n=\"%d\">\n"
		    "    <learner iin=\"98041241%04d\">Нұрланова Айгерім "
		    "Серікқызы</learner>\n"
		    "    <programme>6B10101 General Medicine, year 3</programme>\n"
		    "    <action code=\"academic-leave\" from=\"2026-12-01\" "
		    "to=\"2027-11-30\"/>\n"
		    "  </item>\n", i + 1, i);
	qj_buf_puts(b, "  <signatory iin=\"680224310005\" role=\"rector\">"
	    "Шоқанов Марат Ерланұлы</signatory>\n</order>\n");
}

static double
run(struct qj_trust *t, const char *xml, size_t len,
    const struct qj_sig_expect *ex, double seconds, long *count)
{
	struct qj_sig_result	 res;
	struct qj_diag		 d;
	double			 t0 = now_secs(), el;
	long			 n = 0;
	int			 k;

	do {
		for (k = 0; k < 50; k++, n++) {
			if (qj_xades_verify(t, xml, len, ex, &res, &d) != QJ_OK)
				die("verification failed", &d);
			qj_sig_result_free(&res);
		}
	} while ((el = now_secs() - t0) < seconds);
	*count = n;
	return ((double)n / el);
}

int
main(int argc, char **argv)
{
	struct qj_buf		 doc = QJ_BUF_INIT, xml = QJ_BUF_INIT;
	struct qj_sig_prepared	 p;
	struct qj_sig_expect	 ex;
	struct qj_trust		*warm, *cold;
	struct qj_diag		 d;
	EVP_MD_CTX		*mctx;
	EVP_PKEY		*key;
	X509			*cert;
	FILE			*f;
	unsigned char		 sig[512];
	size_t			 siglen = sizeof(sig);
	char			 hex[QJ_SHA256_HEX_LEN + 1], uri[128];
	double			 seconds = argc > 1 ? atof(argv[1]) : 3.0;
	const char		*only = argc > 2 ? argv[2] : "";
	double			 w = 0, c = 0;
	long			 nw = 0, nc = 0;

	qj_sig_init();
	if (qj_trust_load(CERTS "/trust", CERTS "/chain", CERTS "/crl", &warm,
	    &d) != QJ_OK)
		die("trust", &d);
	if (qj_trust_new(&cold) != QJ_OK)
		die("trust", NULL);
	qj_trust_set_cache(cold, 0);
	if (qj_trust_add_anchors(cold, CERTS "/trust", &d) != QJ_OK ||
	    qj_trust_add_intermediates(cold, CERTS "/chain", &d) != QJ_OK ||
	    qj_trust_add_crls(cold, CERTS "/crl", &d) != QJ_OK ||
	    qj_trust_freeze(cold, &d) != QJ_OK)
		die("trust", &d);

	make_document(&doc);
	qj_sha256_hex(doc.data, doc.len, hex);
	snprintf(uri, sizeof(uri), "documents/%s.xml", hex);
	if ((f = fopen(CERTS "/users/applicant-rsa.pem", "r")) == NULL ||
	    (cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		die("certificate", NULL);
	fclose(f);
	if ((f = fopen(CERTS "/users/applicant-rsa.key", "r")) == NULL ||
	    (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		die("key", NULL);
	fclose(f);
	if (qj_xades_prepare(doc.data, doc.len, uri, cert, QJ_COMMIT_ORIGIN,
	    "applicant@fpe", time(NULL), &p, &d) != QJ_OK)
		die("prepare", &d);
	mctx = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(mctx, sig, &siglen, p.tbs, p.tbs_len) != 1)
		die("sign", NULL);
	memset(&ex, 0, sizeof(ex));
	ex.doc = doc.data;
	ex.doc_len = doc.len;
	ex.doc_uri = uri;
	ex.iin = IIN;
	ex.commitment = QJ_COMMIT_ORIGIN;
	if (qj_xades_complete(warm, p.skeleton, p.skeleton_len, sig, siglen,
	    &ex, &xml, NULL, &d) != QJ_OK)
		die("complete", &d);

	printf("document %zu bytes, signature %zu bytes\n", doc.len, xml.len);
	if (strcmp(only, "cold") != 0)
		w = run(warm, xml.data, xml.len, &ex, seconds, &nw);
	if (strcmp(only, "warm") != 0)
		c = run(cold, xml.data, xml.len, &ex, seconds, &nc);
	printf("warm %.0f\ncold %.0f\n", w, c);
	fprintf(stderr, "(warm: %ld verifications, %lu memo hits; cold: %ld "
	    "verifications)\n", nw, qj_trust_cache_hits(warm), nc);

	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(key);
	X509_free(cert);
	qj_sig_prepared_free(&p);
	qj_buf_free(&doc);
	qj_buf_free(&xml);
	qj_trust_free(warm);
	qj_trust_free(cold);
	return (0);
}
