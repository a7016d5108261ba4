/*
 * cmd_verify_archive.c: `qujat verify-archive`, the offline verifier of a
 * sealed case package.
 *
 *	qujat verify-archive PACKAGE.zip --trust CA.pem [--trust ...]
 *	    [--crl CRL.pem]...
 *
 * Runs qj_arc_verify() (app/core/archive_case.h: the same verifier the
 * server's POST /api/archive/verify runs) and prints one line per check,
 * then every finding as "FAIL <check> <file or event>: <detail>", then the
 * verdict.  Trust comes only from --trust (a PEM file or a directory of
 * *.pem): without one it is a usage error, never the system CA bundle and
 * never the anchors inside the package.  The package's own CRLs are used;
 * --crl adds more.  The package's intermediates and CRLs are written to
 * $TMPDIR (or /tmp) while they load and removed afterwards.
 *
 * Exit status: 0 every check holds, 1 a check failed, 2 usage (including an
 * unreadable package or anchor).  Owns nothing beyond one run; called from
 * app/cli/qujat.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "core/archive_case.h"
#include "core/buf.h"
#include "core/xades.h"

#define VA_MAX_PATHS	32
#define VA_MAX_FILE	(2ULL * 1024 * 1024 * 1024)

struct va_args {
	const char	*trust[VA_MAX_PATHS];
	const char	*crl[VA_MAX_PATHS];
	size_t		 ntrust, ncrl;
	const char	*package;
};

static const char *const va_checks[] = {
	"zip", "mimetype", "sums", "manifest", "case", "audit", "trust",
	"signature", "seal",
};

static int
va_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "qujat verify-archive: %s\n", why);
	fprintf(stderr, "usage: qujat verify-archive PACKAGE.zip --trust "
	    "CA.pem [--trust ...] [--crl CRL.pem]...\n");
	return (2);
}

static int
va_parse(int argc, char **argv, struct va_args *a)
{
	const char	*opt;
	int		 i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strcmp(opt, "--trust") == 0 || strcmp(opt, "--crl") == 0) {
			if (i + 1 >= argc)
				return (va_usage("an option is missing its "
				    "value"));
			if (opt[2] == 't' && a->ntrust < VA_MAX_PATHS)
				a->trust[a->ntrust++] = argv[++i];
			else if (opt[2] == 'c' && a->ncrl < VA_MAX_PATHS)
				a->crl[a->ncrl++] = argv[++i];
			else
				return (va_usage("too many paths"));
		} else if (strncmp(opt, "--", 2) == 0)
			return (va_usage("unknown option"));
		else if (a->package != NULL)
			return (va_usage("more than one PACKAGE.zip"));
		else
			a->package = opt;
	}
	if (a->package == NULL)
		return (va_usage("no PACKAGE.zip given"));
	if (a->ntrust == 0)
		return (va_usage("at least one --trust is required; neither "
		    "the system CA bundle nor the package's own anchors are "
		    "ever trusted"));
	return (0);
}

static int
va_read(const char *path, struct qj_buf *out)
{
	FILE		*f;
	char		 chunk[65536];
	size_t		 n;
	int		 rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "qujat verify-archive: cannot read %s\n", path);
		return (-1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (out->len + n > VA_MAX_FILE ||
		    qj_buf_append(out, chunk, n) != QJ_OK) {
			fprintf(stderr, "qujat verify-archive: %s is too large\n",
			    path);
			rc = -1;
			break;
		}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return (rc);
}

static size_t
va_count(const struct qj_arc_report *r, const char *check)
{
	size_t	i, n = 0;

	for (i = 0; i < r->nf; i++)
		n += strcmp(r->f[i].check, check) == 0;
	return (n);
}

static void
va_print(const char *path, const struct qj_arc_report *r)
{
	struct tm	tm;
	char		when[32] = "-";
	size_t		i, k;

	printf("package: %s\nsha256: %s\n", path, r->sha256);
	if (r->case_id > 0)
		printf("case: %lld (%s), final state %s\n",
		    (long long)r->case_id, r->workflow, r->state);
	printf("entries: %zu\n", r->entries);
	if (r->sealed_at != 0 && gmtime_r(&r->sealed_at, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (k = 0; k < QJ_NELEM(va_checks); k++) {
		printf("%-4s %-9s", va_count(r, va_checks[k]) == 0 ? "ok" :
		    "FAIL", va_checks[k]);
		if (strcmp(va_checks[k], "audit") == 0)
			printf(" %lld events chained", (long long)r->events);
		else if (strcmp(va_checks[k], "signature") == 0)
			printf(" %zu of %zu signatures verified",
			    r->signatures_ok, r->signatures);
		else if (strcmp(va_checks[k], "seal") == 0 && r->seal_ok)
			printf(" by %s at %s", r->seal_signer, when);
		printf("\n");
	}
	for (i = 0; i < r->nf; i++)
		printf("FAIL %s %s: %s\n", r->f[i].check, r->f[i].subject[0] !=
		    '\0' ? r->f[i].subject : "-", r->f[i].detail);
	if (r->nf == 0)
		printf("VALID: every check holds\n");
	else
		printf("INVALID: %zu problem%s\n", r->nf, r->nf == 1 ? "" : "s");
}

int
cmd_verify_archive(int argc, char **argv)
{
	struct va_args		 a;
	struct qj_arc_vopts	 o;
	struct qj_arc_report	 rep;
	struct qj_diag		 d;
	struct qj_buf		 zip = QJ_BUF_INIT;
	const char		*tmp = getenv("TMPDIR");
	int			 rc = 2;

	if (va_parse(argc, argv, &a) != 0)
		return (2);
	if (va_read(a.package, &zip) != 0)
		goto out;
	qj_sig_init();
	memset(&o, 0, sizeof(o));
	o.anchors = a.trust;
	o.nanchors = a.ntrust;
	o.crls = a.crl;
	o.ncrls = a.ncrl;
	o.scratch = tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
	qj_diag_clear(&d);
	if (qj_arc_verify(zip.data != NULL ? zip.data : "", zip.len, &o, &rep,
	    &d) != QJ_OK) {
		fprintf(stderr, "qujat verify-archive: %s\n", d.detail);
		goto out;
	}
	va_print(a.package, &rep);
	rc = rep.nf == 0 ? 0 : 1;
	qj_arc_report_free(&rep);
out:
	qj_buf_free(&zip);
	return (rc);
}
