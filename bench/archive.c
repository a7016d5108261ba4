/*
 * bench/archive.c: sealed case packages per second, in process.
 *
 * Built and run by bench/archive (which also times `zip -6` plus
 * `sha256sum` over the same files and prints the ratio).  Builds one
 * realistic case once — an application and a decision (form XML), five
 * detached XAdES signatures made with the development users' keys, the
 * audit stream, and `scans` attachments of `mb` megabytes each (random
 * bytes behind a PDF header: a scan does not compress) — then, for
 * `seconds`, makes its sealed package as the server does, reads it back
 * and verifies the seal (the server's check before writing), and writes
 * it durably (temporary file, fsync, rename into place):
 *
 *	archive SECONDS SCANS MB DIR	prints "qujat <packages/s> <MB/s>",
 *					"deflated <packages/s> <MB/s>",
 *					"input <bytes>"; leaves the package's
 *					files in DIR/in for the baseline
 *
 * "qujat" is the server's package (attachments stored: scans are already
 * compressed); "deflated" is the same package with every file deflated at
 * level 6, the like-for-like comparison with `zip -6`.  Core only: no
 * database, no Kore.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/archive.h"
#include "core/archive_case.h"
#include "core/audit.h"
#include "core/codec.h"
#include "core/xades.h"

#define CERTS	"certs/dev"
#define CASE_ID	42

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
	fprintf(stderr, "bench/archive: %s: %s\n", what, d != NULL ?
	    d->detail : "");
	exit(2);
}

/* A detached XAdES signature by `login` over documents/<sha>.xml. */
static void
sign_doc(const char *login, const char *doc, const char *sha,
    struct qj_buf *out, char cert_hex[65])
{
	struct qj_sig_prepared	 p;
	struct qj_signer	 who;
	struct qj_diag		 d;
	EVP_MD_CTX		*mc = EVP_MD_CTX_new();
	unsigned char		 sig[1024];
	size_t			 len = sizeof(sig);
	char			 path[256], uri[96];
	EVP_PKEY		*k;
	X509			*x;
	BIO			*b;

	snprintf(path, sizeof(path), CERTS "/users/%s-rsa.key", login);
	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		die(path, NULL);
	BIO_free(b);
	snprintf(path, sizeof(path), CERTS "/users/%s-rsa.pem", login);
	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		die(path, NULL);
	BIO_free(b);
	snprintf(uri, sizeof(uri), "documents/%s.xml", sha);
	if (qj_xades_prepare(doc, strlen(doc), uri, x, QJ_COMMIT_APPROVAL,
	    login, time(NULL) - 3600, &p, &d) != QJ_OK)
		die("prepare", &d);
	if (EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(mc, sig, &len, p.tbs, p.tbs_len) != 1)
		die("sign", NULL);
	if (qj_xades_assemble(p.skeleton, p.skeleton_len, sig, len, out,
	    &d) != QJ_OK)
		die("assemble", &d);
	qj_signer_from_cert(x, &who);
	qj_hex(who.cert_sha256, 32, cert_hex);
	qj_sig_prepared_free(&p);
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* A form-sized XML document (about 3 KB). */
static void
make_doc(struct qj_buf *b, const char *root, int n)
{
	int	i;

	qj_buf_printf(b, "<%s xmlns=\"urn:qujat:form:%s:1\" version=\"1.0\">",
	    root, root);
	for (i = 0; i < n; i++)
		qj_buf_printf(b, "<item n=\"%d\"><text>Академиялық демалыс "
		    "беру туралы өтініш, тармақ %d / заявление, пункт %d"
		    "</text></item>", i, i, i);
	qj_buf_printf(b, "</%s>", root);
}

struct bcase {
	struct qj_arc_case	c;
	struct qj_arc_doc	docs[2];
	struct qj_arc_sig	sigs[5];
	struct qj_arc_att	atts[16];
	struct qj_buf		d[2], s[5], a[16], jsonl;
	char			dsha[2][65], asha[16][65], cert[5][65];
	char			head[65];
	size_t			input;	/* bytes of the files that vary */
};

static void
build_case(struct bcase *b, int scans, double mb)
{
	static const char	*who[5] = { "applicant", "dean", "registrar",
				    "dean", "applicant" };
	static const char	*wf = "<workflow id=\"academic-leave\"/>\n";
	struct audit_event	 ev;
	struct qj_diag		 d;
	const char		*docs[2];
	char			 sigsha[65];
	size_t			 i, k, n = (size_t)(mb * 1024 * 1024);
	unsigned char		 rnd[4096];

	memset(b, 0, sizeof(*b));
	make_doc(&b->d[0], "applicationForm", 20);
	make_doc(&b->d[1], "decision", 12);
	for (i = 0; i < 2; i++) {
		qj_sha256_hex(b->d[i].data, b->d[i].len, b->dsha[i]);
		b->docs[i] = (struct qj_arc_doc){ CASE_ID, i ? "decision" :
		    "application", 1, i ? "decision" :
		    "academic-leave-application", b->dsha[i],
		    "2026-11-23T10:00:00Z", who[i], b->d[i].data, b->d[i].len };
		b->input += b->d[i].len;
	}
	memset(b->head, '0', 64);
	for (i = 0; i < 5; i++) {
		sign_doc(who[i], b->d[i % 2].data, b->dsha[i % 2], &b->s[i],
		    b->cert[i]);
		b->sigs[i] = (struct qj_arc_sig){ CASE_ID, b->dsha[i % 2],
		    "submit", "approval", who[i], NULL, who[i],
		    "2026-11-23T10:00:00Z", b->cert[i], b->s[i].data,
		    b->s[i].len };
		b->input += b->s[i].len;
		/* One audit event per signature, naming it. */
		qj_sha256_hex(b->s[i].data, b->s[i].len, sigsha);
		docs[0] = sigsha;
		docs[1] = b->dsha[i % 2];
		memset(&ev, 0, sizeof(ev));
		ev.stream = "case:42";
		ev.seq = (int64_t)i + 1;
		ev.at = 1795000000000000LL + ev.seq;
		ev.actor_login = who[i];
		ev.action = "submit";
		ev.state_before = "draft";
		ev.state_after = "dean-review";
		ev.docs = docs;
		ev.ndocs = 2;
		ev.prev_hash = b->head;
		if (audit_canonical(&ev, &b->jsonl, &d) != QJ_OK ||
		    audit_hash(&ev, b->head, &d) != QJ_OK)
			die("audit", &d);
		qj_buf_puts(&b->jsonl, "\n");
	}
	b->input += b->jsonl.len;
	for (i = 0; i < (size_t)scans; i++) {
		qj_buf_puts(&b->a[i], "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
		for (k = b->a[i].len; k < n; k += sizeof(rnd)) {
			qj_random(rnd, sizeof(rnd));
			qj_buf_append(&b->a[i], rnd, sizeof(rnd));
		}
		qj_buf_puts(&b->a[i], "\n%%EOF\n");
		qj_sha256_hex(b->a[i].data, b->a[i].len, b->asha[i]);
		b->atts[i] = (struct qj_arc_att){ b->asha[i], "application/pdf",
		    "scan.pdf", "2026-11-23T10:00:00Z", b->a[i].data,
		    b->a[i].len };
		b->input += b->a[i].len;
	}
	b->c.id = CASE_ID;
	b->c.workflow = "academic-leave";
	b->c.wf_version = 1;
	b->c.wf_source = wf;
	b->c.wf_len = strlen(wf);
	{
		static char wsha[65];

		qj_sha256_hex(wf, strlen(wf), wsha);
		b->c.wf_sha256 = wsha;
	}
	b->c.unit_path = "/1/3/";
	b->c.applicant_iin = "980412410006";
	b->c.applicant_name = (struct qj_arc_names){ "Нұрланова Айгерім",
	    "Нурланова Айгерим", "Aigerim Nurlanova" };
	b->c.state = "dean-review";
	b->c.version = 6;
	b->c.created_at = b->c.closed_at = "2026-11-23T10:00:00Z";
	b->c.retention_years = 75;
	b->c.retain_until = "2102-01-01";
	b->c.retention_rule = "academic-leave-application";
	b->c.retention_basis = "INFERRED";
	b->c.docs = b->docs;
	b->c.ndocs = 2;
	b->c.sigs = b->sigs;
	b->c.nsigs = 5;
	b->c.atts = b->atts;
	b->c.natts = (size_t)scans;
	b->c.audit_jsonl = b->jsonl.data;
	b->c.audit_len = b->jsonl.len;
	b->c.head_seq = 5;
	b->c.head_hash = b->head;
}

/* What the server does next: read the package back, verify its seal. */
static void
check_seal(struct qj_trust *t, const struct qj_buf *zip)
{
	struct qj_xades_obj	 objs[64];
	struct qj_sig_expect	 ex;
	const struct qj_zip_entry *seal = NULL;
	struct qj_zip		 z;
	struct qj_diag		 d;
	size_t			 i, n = 0;

	if (qj_zip_read(zip->data, zip->len, &z, &d) != QJ_OK || z.n > 64)
		die("read back", &d);
	for (i = 0; i < z.n; i++) {
		if (strcmp(z.e[i].name, QJ_ARC_SEAL_NAME) == 0)
			seal = &z.e[i];
		else if (strcmp(z.e[i].name, "mimetype") != 0)
			objs[n++] = (struct qj_xades_obj){ z.e[i].name,
			    z.e[i].data, z.e[i].len,
			    qj_arc_mime_of(z.e[i].name), NULL };
	}
	memset(&ex, 0, sizeof(ex));
	ex.commitment = QJ_COMMIT_ORIGIN;
	ex.max_bytes = 64u * 1024 * 1024;
	if (seal == NULL || qj_xades_verify_objects(t, seal->data, seal->len,
	    objs, n, &ex, NULL, &d) != QJ_OK)
		die("seal", &d);
	qj_zip_free(&z);
}

/* The server's durable write: temporary name, fsync, rename, dir fsync. */
static void
write_durably(const char *dir, const struct qj_buf *zip)
{
	char	tmp[600], path[600];
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s/.case.tmp", dir);
	snprintf(path, sizeof(path), "%s/case-%d.zip", dir, CASE_ID);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0 ||
	    write(fd, zip->data, zip->len) != (ssize_t)zip->len ||
	    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
		die("write", NULL);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0 || fsync(fd) != 0 ||
	    close(fd) != 0)
		die("fsync dir", NULL);
}

/* Every entry of a package re-added, all deflated (the zip -6 analogue). */
static void
deflated_package(const struct qj_zip *z, struct qj_arc_pkg *p)
{
	struct qj_diag	d;
	size_t		i;

	qj_arc_pkg_init(p);
	for (i = 0; i < z->n; i++) {
		if (strcmp(z->e[i].name, "mimetype") == 0 ||
		    strcmp(z->e[i].name, QJ_ARC_SUMS_NAME) == 0 ||
		    strcmp(z->e[i].name, QJ_ARC_MANIFEST_NAME) == 0 ||
		    strcmp(z->e[i].name, QJ_ARC_SEAL_NAME) == 0)
			continue;
		if (qj_arc_pkg_add(p, z->e[i].name, z->e[i].data, z->e[i].len,
		    NULL, 1, 0, &d) != QJ_OK)
			die("add", &d);
	}
}

/* Writes the package's entries under dir/in for the baseline. */
static void
export(const struct qj_zip *z, const char *dir)
{
	char	path[1024], cmd[1100], *slash;
	FILE	*f;
	size_t	i;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/in' && mkdir -p '%s/in'", dir,
	    dir);
	if (system(cmd) != 0)
		die("export", NULL);
	for (i = 0; i < z->n; i++) {
		snprintf(path, sizeof(path), "%s/in/%s", dir, z->e[i].name);
		for (slash = strchr(path + strlen(dir) + 4, '/'); slash != NULL;
		    slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			(void)mkdir(path, 0755);
			*slash = '/';
		}
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(z->e[i].data, 1, z->e[i].len, f) != z->e[i].len ||
		    fclose(f) != 0)
			die(path, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct qj_arc_sealer	s;
	struct qj_trust		*trust;
	struct bcase		b;
	struct qj_buf		zip = QJ_BUF_INIT;
	struct qj_arc_pkg	p;
	struct qj_zip		z;
	struct qj_diag		d;
	double			secs, t0, t;
	long			n;
	char			sha[65];
	int			scans;

	if (argc != 5)
		die("usage: archive SECONDS SCANS MB DIR", NULL);
	secs = atof(argv[1]);
	scans = atoi(argv[2]);
	if (secs <= 0 || scans < 0 || scans > 16 || atof(argv[3]) <= 0)
		die("usage: archive SECONDS SCANS(0-16) MB DIR", NULL);
	qj_sig_init();
	if (qj_arc_sealer_load(CERTS "/seal/seal.key", CERTS "/seal/seal.pem",
	    CERTS "/trust", CERTS "/chain", CERTS "/crl", &s, &d) != QJ_OK)
		die("sealer", &d);
	if (qj_trust_load(CERTS "/trust", CERTS "/chain", CERTS "/crl", &trust,
	    &d) != QJ_OK)
		die("trust", &d);
	build_case(&b, scans, atof(argv[3]));
	/* The server's package, sealed and written durably, again and again. */
	t0 = now_secs();
	for (n = 0; (t = now_secs()) - t0 < secs || n < 3; n++) {
		qj_buf_reset(&zip);
		if (qj_arc_case_package(&b.c, &s, time(NULL), &zip, sha, &d) !=
		    QJ_OK)
			die("package", &d);
		check_seal(trust, &zip);
		write_durably(argv[4], &zip);
	}
	printf("qujat %.2f %.2f\n", n / (t - t0), n * (b.input / 1048576.0) /
	    (t - t0));
	if (qj_zip_read(zip.data, zip.len, &z, &d) != QJ_OK)
		die("read", &d);
	export(&z, argv[4]);
	/* The same files, all deflated. */
	deflated_package(&z, &p);
	t0 = now_secs();
	for (n = 0; (t = now_secs()) - t0 < secs || n < 3; n++) {
		qj_buf_reset(&zip);
		if (qj_arc_pkg_seal(&p, s.key, s.cert, time(NULL), &zip, sha,
		    &d) != QJ_OK)
			die("seal", &d);
		check_seal(trust, &zip);
		write_durably(argv[4], &zip);
	}
	printf("deflated %.2f %.2f\n", n / (t - t0), n * (b.input / 1048576.0) /
	    (t - t0));
	printf("input %zu\n", b.input);
	printf("package %zu\n", zip.len);
	qj_arc_pkg_free(&p);
	qj_zip_free(&z);
	qj_buf_free(&zip);
	qj_arc_sealer_free(&s);
	qj_trust_free(trust);
	return (0);
}
