/*
 * cmd_verify_signature.c: `qujat verify-signature`, the offline verifier.
 *
 *	qujat verify-signature --trust CA.pem [--trust ...] [--untrusted CERT.pem]...
 *	    [--crl CRL.pem]... [--at 'YYYY-MM-DD HH:MM:SS'] [--data FILE]
 *	    [--expect-iin IIN] [--expect-bin BIN] SIGNED.xml
 *
 * Verifies one signed XML file under exactly the server's policy
 * (xades.h): a detached XAdES signature when --data names the signed
 * document (whatever URI the signature's document Reference carries is
 * served from that file, and from nothing else), otherwise an enveloped
 * signature in NCALayer's format.  Every --trust/--untrusted/--crl may name
 * a PEM file or a directory of *.pem files.  There is no default trust
 * store: without --trust it is a usage error, never the system CA bundle.
 * Without --crl every check fails closed (sig-crl-missing), as on the
 * server.  --at checks the certificates at that UTC time instead of the
 * signature's SigningTime (or now, for formats without one).
 *
 * Prints "VALID" and the signer to stdout and exits 0, or prints
 * "INVALID: <slug>: <detail>" and exits 1.  Usage errors (including
 * unreadable files and unusable trust material) exit 2.  Owns nothing
 * beyond one run; called from app/cli/qujat.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/qj.h"
#include "core/trust.h"
#include "core/xades.h"

#define VS_MAX_FILE	(64u * 1024 * 1024)
#define VS_MAX_PATHS	32

int	cmd_verify_signature(int, char **);

struct vs_args {
	const char	*trust[VS_MAX_PATHS];
	const char	*untrusted[VS_MAX_PATHS];
	const char	*crl[VS_MAX_PATHS];
	size_t		 ntrust, nuntrusted, ncrl;
	const char	*data;		/* --data FILE, or NULL */
	const char	*iin;		/* --expect-iin */
	const char	*bin;		/* --expect-bin */
	time_t		 at;		/* --at, or 0 */
	const char	*signed_xml;	/* the positional argument */
};

static int
vs_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "qujat verify-signature: %s\n", why);
	fprintf(stderr, "usage: qujat verify-signature --trust CA.pem "
	    "[--trust ...] [--untrusted CERT.pem]...\n"
	    "           [--crl CRL.pem]... [--at 'YYYY-MM-DD HH:MM:SS'] "
	    "[--data FILE]\n"
	    "           [--expect-iin IIN] [--expect-bin BIN] SIGNED.xml\n");
	return (2);
}

/* 'YYYY-MM-DD HH:MM:SS' (or with a 'T'), UTC. */
static int
vs_parse_time(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 19 || (s[10] != ' ' && s[10] != 'T'))
		return (-1);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || end != s + 10)
		return (-1);
	end = strptime(s + 11, "%H:%M:%S", &tm);
	if (end == NULL || *end != '\0')
		return (-1);
	*out = timegm(&tm);
	return (0);
}

static int
vs_twelve_digits(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return (0);
	return (i == 12);
}

static int
vs_push(const char **list, size_t *n, const char *v)
{
	if (*n == VS_MAX_PATHS)
		return (-1);
	list[(*n)++] = v;
	return (0);
}

/* 0 on success, else the usage exit status has been printed (2). */
static int
vs_parse_args(int argc, char **argv, struct vs_args *a)
{
	const char	*opt, *val;
	int		 i, rc = 0;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strncmp(opt, "--", 2) != 0 || strcmp(opt, "--") == 0) {
			if (strcmp(opt, "--") == 0 && i + 1 < argc)
				opt = argv[++i];
			if (a->signed_xml != NULL)
				return (vs_usage("more than one SIGNED.xml"));
			a->signed_xml = opt;
			continue;
		}
		if (i + 1 >= argc)
			return (vs_usage("an option is missing its value"));
		val = argv[++i];
		if (strcmp(opt, "--trust") == 0)
			rc = vs_push(a->trust, &a->ntrust, val);
		else if (strcmp(opt, "--untrusted") == 0)
			rc = vs_push(a->untrusted, &a->nuntrusted, val);
		else if (strcmp(opt, "--crl") == 0)
			rc = vs_push(a->crl, &a->ncrl, val);
		else if (strcmp(opt, "--data") == 0 && a->data == NULL)
			a->data = val;
		else if (strcmp(opt, "--expect-iin") == 0 &&
		    vs_twelve_digits(val))
			a->iin = val;
		else if (strcmp(opt, "--expect-bin") == 0 &&
		    vs_twelve_digits(val))
			a->bin = val;
		else if (strcmp(opt, "--at") == 0) {
			if (vs_parse_time(val, &a->at) != 0)
				return (vs_usage("--at wants 'YYYY-MM-DD "
				    "HH:MM:SS' (UTC)"));
		} else
			return (vs_usage("unknown, repeated or malformed "
			    "option"));
		if (rc != 0)
			return (vs_usage("too many paths for one option"));
	}
	if (a->signed_xml == NULL)
		return (vs_usage("no SIGNED.xml given"));
	if (a->ntrust == 0)
		return (vs_usage("at least one --trust is required; the "
		    "system CA bundle is never used"));
	return (0);
}

static int
vs_read(const char *path, struct qj_buf *out)
{
	FILE	*f;
	char	 chunk[65536];
	size_t	 n;
	int	 rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "qujat verify-signature: cannot read %s\n",
		    path);
		return (-1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > VS_MAX_FILE ||
		    qj_buf_append(out, chunk, n) != QJ_OK) {
			fprintf(stderr, "qujat verify-signature: %s is larger "
			    "than %u bytes\n", path, VS_MAX_FILE);
			rc = -1;
			break;
		}
	}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return (rc);
}

static int
vs_trust(const struct vs_args *a, struct qj_trust **out)
{
	struct qj_trust	*t;
	struct qj_diag	 d;
	size_t		 i;
	enum qj_err	 err = QJ_OK;

	qj_diag_clear(&d);
	if (qj_trust_new(&t) != QJ_OK)
		return (-1);
	for (i = 0; err == QJ_OK && i < a->ntrust; i++)
		err = qj_trust_add_anchors(t, a->trust[i], &d);
	for (i = 0; err == QJ_OK && i < a->nuntrusted; i++)
		err = qj_trust_add_intermediates(t, a->untrusted[i], &d);
	for (i = 0; err == QJ_OK && i < a->ncrl; i++)
		err = qj_trust_add_crls(t, a->crl[i], &d);
	if (err == QJ_OK)
		err = qj_trust_freeze(t, &d);
	if (err != QJ_OK) {
		fprintf(stderr, "qujat verify-signature: %s\n",
		    d.detail[0] != '\0' ? d.detail : qj_strerror(err));
		qj_trust_free(t);
		return (-1);
	}
	*out = t;
	return (0);
}

static void
vs_print_time(const char *label, time_t t)
{
	struct tm	tm;
	char		buf[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s: %s\n", label, buf);
}

static void
vs_print_valid(const struct vs_args *a, const struct qj_sig_result *r)
{
	printf("VALID\n");
	printf("signer: %s\n", r->signer.subject);
	if (r->signer.iin[0] != '\0')
		printf("iin: %s\n", r->signer.iin);
	if (r->signer.bin[0] != '\0')
		printf("bin: %s\n", r->signer.bin);
	printf("issuer: %s\n", r->signer.issuer);
	printf("key: %s\n", r->signer.key);
	printf("format: %s\n", a->data != NULL ? "XAdES B-B detached" :
	    "enveloped (NCALayer)");
	if (a->data != NULL)
		printf("document: %s\n", r->uri);
	vs_print_time("signing-time", r->signing_time);
	vs_print_time("checked-at", r->checked_at);
	if (qj_commitment_uri(r->commitment) != NULL)
		printf("commitment: %s\n", qj_commitment_uri(r->commitment));
	if (r->role[0] != '\0')
		printf("role: %s\n", r->role);
}

int
cmd_verify_signature(int argc, char **argv)
{
	struct vs_args		 a;
	struct qj_buf		 xml = QJ_BUF_INIT, data = QJ_BUF_INIT;
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 res;
	struct qj_trust		*t = NULL;
	struct qj_diag		 d;
	enum qj_err		 err;
	int			 rc = 2;

	if (vs_parse_args(argc, argv, &a) != 0)
		return (2);
	qj_sig_init();
	if (vs_read(a.signed_xml, &xml) != 0 ||
	    (a.data != NULL && vs_read(a.data, &data) != 0) ||
	    vs_trust(&a, &t) != 0)
		goto out;
	memset(&ex, 0, sizeof(ex));
	memset(&res, 0, sizeof(res));
	qj_diag_clear(&d);
	ex.doc = a.data != NULL ? (data.data != NULL ? data.data : "") : NULL;
	ex.doc_len = data.len;
	ex.iin = a.iin;
	ex.bin = a.bin;
	ex.at = a.at;
	if (a.data != NULL)
		err = qj_xades_verify(t, xml.data != NULL ? xml.data : "",
		    xml.len, &ex, &res, &d);
	else
		err = qj_xades_verify_enveloped(t, xml.data != NULL ?
		    xml.data : "", xml.len, &ex, &res, &d);
	if (err == QJ_OK) {
		vs_print_valid(&a, &res);
		qj_sig_result_free(&res);
		rc = 0;
	} else {
		printf("INVALID: %s: %s\n", d.type != NULL ? d.type :
		    "sig-malformed", d.detail[0] != '\0' ? d.detail :
		    qj_strerror(err));
		rc = 1;
	}
out:
	qj_trust_free(t);
	qj_buf_free(&xml);
	qj_buf_free(&data);
	return (rc);
}
