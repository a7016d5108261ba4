/*
 * test_archive_seal.c: sealing closed cases into their packages, exactly
 * once, through the real server and through the sealing functions
 * themselves (SPEC 4, issue 5).
 *
 *  - A complete academic-leave case (application with evidence, visas,
 *    leave order, acknowledgment, return, return order) is sealed by the
 *    server's timer once, with its leave order; each package passes
 *    unzip -t, sha256sum -c, xmlsec1 --verify on every signature file and
 *    `qujat verify-archive`; tampered copies fail with the file or event
 *    named.
 *  - With the server's sealer off: two sealers racing, a claim that expired
 *    under a slow sealer, a crash between the rename and the commit
 *    (QJ_TEST_SEAL_FAULT, compiled into test builds only), a case queued
 *    again after sealing, and a failing attempt that backs off: never two
 *    packages, never a package overwritten, never a closed case without a
 *    package or a queued job.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/archive.h"
#include "core/archive_case.h"
#include "core/codec.h"
#include "core/xades.h"
#include "store/archive.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"

#define CERTS	"certs/dev"

static struct qj_arc_sealer	SEALER;
static struct archive_cfg	CFG;
static struct qj_trust		*TRUST;
static char			ADIR[320], BLOBS[320];

/* --- helpers --------------------------------------------------------------- */

static void
sealer_setup(void)
{
	struct qj_diag	d;

	qj_sig_init();
	if (qj_arc_sealer_load(CERTS "/seal/seal.key", CERTS "/seal/seal.pem",
	    CERTS "/trust", CERTS "/chain", CERTS "/crl", &SEALER, &d) !=
	    QJ_OK) {
		fprintf(stderr, "sealer: %s\n", d.detail);
		harness_stop();
		exit(2);
	}
	if (qj_trust_load(CERTS "/trust", CERTS "/chain", CERTS "/crl",
	    &TRUST, &d) != QJ_OK) {
		fprintf(stderr, "trust: %s\n", d.detail);
		harness_stop();
		exit(2);
	}
	snprintf(ADIR, sizeof(ADIR), "%s/archive", H.root);
	snprintf(BLOBS, sizeof(BLOBS), "%s/store", H.root);
	CFG.dir = ADIR;
	CFG.blobs = BLOBS;
	CFG.sealer = &SEALER;
	CFG.trust = TRUST;
	CFG.lease = ARCHIVE_LEASE;
}

static struct qj_db *
connect_db(void)
{
	struct qj_db	*db;
	struct qj_diag	 d;

	ck_assert_msg(qj_db_connect(H.dsn, &db, &d) == QJ_OK, "%s", d.detail);
	return (db);
}

static int64_t
q1(const char *fmt, long long a)
{
	char	sql[512];

	snprintf(sql, sizeof(sql), fmt, a);
	return (db_int(sql));
}

/* Waits until the case has its archive row; 1 when it has. */
static int
wait_sealed(int64_t id, int seconds)
{
	int	i;

	for (i = 0; i < seconds * 10; i++) {
		if (q1("SELECT count(*) FROM archive WHERE case_id = %lld",
		    (long long)id) == 1)
			return (1);
		usleep(100 * 1000);
	}
	return (0);
}

static void
slurp(const char *path, struct qj_buf *out)
{
	char	 chunk[65536];
	size_t	 n;
	FILE	*f = fopen(path, "rb");

	ck_assert_msg(f != NULL, "%s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		qj_buf_append(out, chunk, n);
	fclose(f);
}

static void
spit(const char *path, const void *data, size_t len)
{
	FILE	*f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "%s", path);
	ck_assert(fwrite(data, 1, len, f) == len);
	fclose(f);
}

/* The package file's SHA-256 equals its row's, and it is the only one. */
static void
check_package(int64_t id, char sha_out[65])
{
	struct qj_buf	 zip = QJ_BUF_INIT;
	char		 path[400], sql[256], sha[65];
	PGresult	*res;

	archive_path(ADIR, id, path, sizeof(path));
	slurp(path, &zip);
	qj_sha256_hex(zip.data, zip.len, sha);
	snprintf(sql, sizeof(sql), "SELECT sha256, size FROM archive WHERE "
	    "case_id = %lld", (long long)id);
	res = PQexec(qj_db_conn(harness_db()), sql);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), sha);
	ck_assert_int_eq(strtoll(PQgetvalue(res, 0, 1), NULL, 10),
	    (long long)zip.len);
	PQclear(res);
	ck_assert_int_eq(q1("SELECT count(*) FROM seal_job WHERE case_id = "
	    "%lld", (long long)id), 0);
	if (sha_out != NULL)
		memcpy(sha_out, sha, 65);
	qj_buf_free(&zip);
}

/* Files in the archive directory: packages of `id` and temporary files. */
static void
count_files(int64_t id, int *packages, int *temps)
{
	DIR		*dir = opendir(ADIR);
	struct dirent	*de;
	char		 want[64];

	snprintf(want, sizeof(want), "case-%lld.zip", (long long)id);
	*packages = *temps = 0;
	ck_assert(dir != NULL);
	while ((de = readdir(dir)) != NULL) {
		*packages += strcmp(de->d_name, want) == 0;
		*temps += strstr(de->d_name, ".tmp") != NULL;
	}
	closedir(dir);
}

static int
sh(const char *cmd)
{
	int	st = system(cmd);

	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* `qujat verify-archive` on a file: its exit status; output in out.txt. */
static int
cli_verify(const char *zip, const char *out)
{
	char	cmd[1200];

	snprintf(cmd, sizeof(cmd), "bin/qujat verify-archive %s --trust "
	    CERTS "/trust/root.pem > %s 2>&1", zip, out);
	return (sh(cmd));
}

static int
grep_file(const char *pattern, const char *file)
{
	char	cmd[1200];

	snprintf(cmd, sizeof(cmd), "grep -q -- '%s' %s", pattern, file);
	return (sh(cmd) == 0);
}

/* unzip -t, sha256sum -c, xmlsec1 on every signature; n signatures. */
static void
standard_tools(int64_t id, int min_sigs)
{
	char	cmd[2400], path[400], dir[400], cwd[300];

	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	archive_path(ADIR, id, path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s/x-%lld", H.root, (long long)id);
	snprintf(cmd, sizeof(cmd), "unzip -tq %s >/dev/null", path);
	ck_assert_int_eq(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s && unzip -q %s -d %s && cd %s "
	    "&& sha256sum --quiet -c SHA256SUMS", dir, path, dir, dir);
	ck_assert_int_eq(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && n=0 && for s in "
	    "META-INF/signatures-*.xml; do xmlsec1 --verify --trusted-pem "
	    "%s/" CERTS "/trust/root.pem --untrusted-pem %s/" CERTS
	    "/chain/intermediate.pem --enabled-key-data x509 \"$s\" "
	    ">/dev/null 2>&1 || { echo \"xmlsec1 refused $s\"; exit 1; }; "
	    "n=$((n+1)); done; test $n -ge %d", dir, cwd, cwd, min_sigs + 1);
	ck_assert_int_eq(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)sh(cmd);
}

/* A copy of the package with one change, verified by the CLI. */
static void
tampered(int64_t id, const char *name, int drop, const char *from,
    const char *to, const char *expect)
{
	struct qj_buf		 zip = QJ_BUF_INIT, out = QJ_BUF_INIT,
				 edit = QJ_BUF_INIT;
	struct qj_zip		 z;
	struct qj_zip_in	 in[256];
	struct qj_diag		 d;
	char			 path[400], bad[400], txt[400], *hit;
	size_t			 i, n = 0;

	archive_path(ADIR, id, path, sizeof(path));
	slurp(path, &zip);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	ck_assert(z.n < 256);
	for (i = 0; i < z.n; i++) {
		if (strcmp(z.e[i].name, name) == 0) {
			if (drop)
				continue;
			hit = strstr((char *)z.e[i].data, from);
			ck_assert_msg(hit != NULL, "%s has no %s", name, from);
			qj_buf_append(&edit, z.e[i].data,
			    (size_t)(hit - (char *)z.e[i].data));
			qj_buf_puts(&edit, to);
			qj_buf_puts(&edit, hit + strlen(from));
			in[n++] = (struct qj_zip_in){ z.e[i].name, edit.data,
			    edit.len, 1 };
			continue;
		}
		in[n] = (struct qj_zip_in){ z.e[i].name, z.e[i].data,
		    z.e[i].len, strcmp(z.e[i].name, "mimetype") != 0 };
		n++;
	}
	ck_assert(qj_zip_write(in, n, time(NULL), &out, &d) == QJ_OK);
	snprintf(bad, sizeof(bad), "%s/bad-%lld.zip", H.root, (long long)id);
	snprintf(txt, sizeof(txt), "%s/bad-%lld.txt", H.root, (long long)id);
	spit(bad, out.data, out.len);
	ck_assert_int_eq(cli_verify(bad, txt), 1);
	ck_assert_msg(grep_file(expect, txt), "the report does not name %s",
	    expect);
	ck_assert(grep_file("^INVALID", txt));
	qj_zip_free(&z);
	qj_buf_free(&zip);
	qj_buf_free(&out);
	qj_buf_free(&edit);
}

/* --- the server seals a real case once ---------------------------------------- */

START_TEST(t_sealed_once_end_to_end)
{
	struct tclient	 app, dean, reg;
	int64_t		 id, order, rorder;
	char		 sha[65], sha_again[65], extra[8192], *doc, path[400],
			 out[400], name[128];
	int		 pk, tmp;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	id = kit_case_on_leave("2027-05-31");
	order = q1("SELECT from_case FROM case_link WHERE to_case = %lld",
	    (long long)id);
	/* The learner acknowledges: the leave order is in force, closed. */
	kit_fire_ok(&app, "applicant", order, "acknowledge", "");
	kit_expect_state(&reg, order, "in-force");
	ck_assert_msg(wait_sealed(order, 15), "the order was not sealed");
	/* Return: application, approval, return order: the case closes. */
	kit_upload_pdf(&app, "health", sha);
	doc = kit_return_application(sha);
	snprintf(extra, sizeof(extra), "\"document\":%s", doc);
	free(doc);
	kit_fire_ok(&app, "applicant", id, "file-return", extra);
	kit_fire_ok(&dean, "dean", id, "approve-return", "");
	rorder = kit_draft_order(&reg, &id, 1);
	kit_sign_order(rorder);
	kit_expect_state(&app, id, "studying");
	ck_assert_msg(wait_sealed(id, 15), "the case was not sealed");
	/* Once: one row, one file, the job gone; still so after more ticks. */
	check_package(id, sha);
	check_package(order, NULL);
	sleep(1);
	check_package(id, sha_again);
	ck_assert_str_eq(sha, sha_again);
	count_files(id, &pk, &tmp);
	ck_assert_int_eq(pk, 1);
	ck_assert_int_eq(tmp, 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit_event WHERE stream = "
	    "'case:%lld' AND action = 'archive.seal'", (long long)id), 1);
	/* The return order waits for its acknowledgment: queued? no, open. */
	ck_assert_int_eq(q1("SELECT count(*) FROM archive WHERE case_id = %lld",
	    (long long)rorder), 0);
	/* Independent tools. */
	standard_tools(id, 5);
	standard_tools(order, 4);
	/* Qujat's own verifier. */
	archive_path(ADIR, id, path, sizeof(path));
	snprintf(out, sizeof(out), "%s/verify.txt", H.root);
	ck_assert_int_eq(cli_verify(path, out), 0);
	ck_assert(grep_file("^VALID", out));
	ck_assert(grep_file("^ok   seal", out));
	ck_assert(grep_file("final state studying", out));
	/* What case.xml says: the orders that moved the case, citations. */
	{
		struct qj_buf	 zip = QJ_BUF_INIT;
		struct qj_zip	 z;
		struct qj_diag	 d;
		const char	*cx;
		char		 want[96];

		slurp(path, &zip);
		ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
		cx = (const char *)qj_zip_find(&z, "case.xml")->data;
		snprintf(want, sizeof(want), "<order case=\"%lld\"",
		    (long long)order);
		ck_assert_ptr_nonnull(strstr(cx, want));
		snprintf(want, sizeof(want), "<order case=\"%lld\"",
		    (long long)rorder);
		ck_assert_ptr_nonnull(strstr(cx, want));
		ck_assert_ptr_nonnull(strstr(cx, "seed 000 L1107-L1109"));
		ck_assert_ptr_nonnull(strstr(cx, "final=\"studying\""));
		snprintf(want, sizeof(want), "workflow/academic-leave-v%lld.xml",
		    (long long)q1("SELECT wf_version FROM wf_case WHERE id = "
		    "%lld", (long long)id));
		ck_assert_ptr_nonnull(qj_zip_find(&z, want));
		qj_zip_free(&z);
		qj_buf_free(&zip);
		archive_path(ADIR, order, path, sizeof(path));
		slurp(path, &zip);
		ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
		snprintf(want, sizeof(want), "<case id=\"%lld\"", (long long)id);
		ck_assert_ptr_nonnull(strstr((char *)qj_zip_find(&z,
		    "case.xml")->data, want));
		ck_assert_ptr_nonnull(strstr((char *)qj_zip_find(&z,
		    "case.xml")->data, "<registration series=\"student\""));
		qj_zip_free(&z);
		qj_buf_free(&zip);
	}
	/* Tampering, one kind at a time, on the real package. */
	snprintf(name, sizeof(name), "META-INF/signatures-2.xml");
	tampered(id, "case.xml", 0, "studying", "Studying",
	    "^FAIL sums case.xml");
	tampered(id, name, 1, NULL, NULL, "^FAIL sums " "META-INF/"
	    "signatures-2.xml: listed in SHA256SUMS but missing");
	tampered(id, QJ_ARC_EVENTS_NAME, 0, "\"seq\":3,", "\"seq\":4,",
	    "^FAIL audit");
	tampered(id, QJ_ARC_EVENTS_NAME, 0, "\"actor_login\":\"dean\"",
	    "\"actor_login\":\"dear\"", "^FAIL audit seq");
}
END_TEST

/* --- sealers racing, crashing and failing ---------------------------------------- */

struct racer {
	struct qj_db	*db;
	int		 sealed;
	enum qj_err	 err;
};

static void *
race(void *arg)
{
	struct racer	*r = arg;
	struct qj_diag	 d;

	r->err = archive_seal_pending(r->db, &CFG, qj_now(), 20, &r->sealed,
	    &d);
	return (NULL);
}

/* A closed case with a signed application and evidence. */
static int64_t
closed_case(struct tclient *app)
{
	int64_t		id;
	char		body[96], path[96];
	struct tresp	r;

	id = kit_open_leave(app, "medical", "2026-12-01", "2027-03-01");
	kit_fire_ok(app, "applicant", id, "submit", "");
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)id);
	snprintf(body, sizeof(body), "{\"event\":\"withdraw\",\"version\":%d}",
	    t_case_version(app, id));
	ck_assert_int_eq(t_json(app, "POST", path, body, &r), 200);
	tresp_free(&r);
	return (id);
}

START_TEST(t_exactly_once_under_races_and_crashes)
{
	struct tclient		 app;
	struct racer		 rc[2];
	pthread_t		 th[2];
	struct archive_meta	 ma, mb;
	struct qj_buf		 za = QJ_BUF_INIT, zb = QJ_BUF_INIT,
				 blob = QJ_BUF_INIT;
	struct qj_db		*db1, *db2;
	struct qj_diag		 d;
	int64_t			 ids[4], y, z, w, cid;
	char			 sa[65], sb[65], sha[65], sha2[65], out[400],
				 path[400], bpath[400], att[65];
	int			 i, ta, tb, pk, tmp, sealed;

	/* The server keeps the queue: its sealer is off. */
	harness_stop_kore();
	setenv("QUJAT_SEAL", "off", 1);
	harness_start_kore();
	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	for (i = 0; i < 4; i++)
		ids[i] = closed_case(&app);
	y = closed_case(&app);
	z = closed_case(&app);
	w = closed_case(&app);
	harness_stop_kore();
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(q1("SELECT count(*) FROM seal_job WHERE "
		    "case_id = %lld", (long long)ids[i]), 1);
	db1 = connect_db();
	db2 = connect_db();
	/* Take y, z and w out of the race. */
	db_run("UPDATE seal_job SET next_try_at = now() + interval '1 day'");
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "UPDATE seal_job SET next_try_at = "
		    "now() - interval '1 s' WHERE case_id IN (%lld, %lld, %lld, "
		    "%lld)", (long long)ids[0], (long long)ids[1],
		    (long long)ids[2], (long long)ids[3]);
		db_run(sql);
	}
	/* 1. Two sealers at once: each case sealed once. */
	rc[0] = (struct racer){ db1, 0, QJ_OK };
	rc[1] = (struct racer){ db2, 0, QJ_OK };
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, race, &rc[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(rc[0].err, QJ_OK);
	ck_assert_int_eq(rc[1].err, QJ_OK);
	ck_assert_int_eq(rc[0].sealed + rc[1].sealed, 4);
	for (i = 0; i < 4; i++) {
		check_package(ids[i], NULL);
		count_files(ids[i], &pk, &tmp);
		ck_assert_int_eq(pk, 1);
		ck_assert_int_eq(tmp, 0);
	}
	/* 2. A claim that expired under a slow sealer: the fence holds. */
	db_run("UPDATE seal_job SET next_try_at = now() - interval '1 s' WHERE "
	    "case_id = (SELECT max(case_id) FROM seal_job)");
	ck_assert_int_eq(archive_claim(db1, qj_now(), 300, &cid, &ta, &d),
	    QJ_OK);
	ck_assert_int_eq(cid, w);
	ck_assert_int_eq(archive_build(db1, &CFG, w, qj_now(), &za, sa, &ma,
	    &d), QJ_OK);
	/* ... the lease runs out; another sealer claims and commits. */
	db_run("UPDATE seal_job SET next_try_at = now() - interval '1 s'");
	db_run("UPDATE seal_job SET next_try_at = now() + interval '1 day' "
	    "WHERE case_id <> (SELECT max(case_id) FROM seal_job)");
	ck_assert_int_eq(archive_claim(db2, qj_now() + 1, 300, &cid, &tb, &d),
	    QJ_OK);
	ck_assert_int_eq(cid, w);
	ck_assert_int_eq(tb, ta + 1);
	ck_assert_int_eq(archive_build(db2, &CFG, w, qj_now() + 1, &zb, sb,
	    &mb, &d), QJ_OK);
	ck_assert_str_ne(sa, sb);
	ck_assert_int_eq(archive_commit(db2, &CFG, w, tb, &zb, sb, &mb,
	    qj_now() + 1, &d), QJ_OK);
	/* The first sealer wakes up: refused, nothing written. */
	ck_assert_int_eq(archive_commit(db1, &CFG, w, ta, &za, sa, &ma,
	    qj_now(), &d), QJ_ECONFLICT);
	ck_assert_str_eq(d.type, "seal-claim-lost");
	check_package(w, sha);
	ck_assert_str_eq(sha, sb);
	count_files(w, &pk, &tmp);
	ck_assert_int_eq(pk, 1);
	ck_assert_int_eq(tmp, 0);
	/* 3. A crash between the rename and the commit. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "UPDATE seal_job SET next_try_at = "
		    "now() - interval '1 s' WHERE case_id = %lld",
		    (long long)z);
		db_run(sql);
	}
	setenv("QJ_TEST_SEAL_FAULT", "after-rename", 1);
	ck_assert_int_eq(archive_claim(db1, qj_now(), 300, &cid, &ta, &d),
	    QJ_OK);
	ck_assert_int_eq(cid, z);
	qj_buf_reset(&za);
	ck_assert_int_eq(archive_build(db1, &CFG, z, qj_now(), &za, sa, &ma,
	    &d), QJ_OK);
	ck_assert_int_eq(archive_commit(db1, &CFG, z, ta, &za, sa, &ma,
	    qj_now(), &d), QJ_EINTERNAL);
	ck_assert_str_eq(d.type, "fault-injected");
	unsetenv("QJ_TEST_SEAL_FAULT");
	count_files(z, &pk, &tmp);
	ck_assert_int_eq(pk, 1);		/* the stray */
	ck_assert_int_eq(q1("SELECT count(*) FROM archive WHERE case_id = "
	    "%lld", (long long)z), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM seal_job WHERE case_id = "
	    "%lld", (long long)z), 1);
	/* Whatever the stray holds, it is not trusted: spoil it. */
	archive_path(ADIR, z, path, sizeof(path));
	spit(path, "not a package", 13);
	/* While the dead sealer's claim lasts, nobody touches the case. */
	ck_assert_int_eq(archive_seal_pending(db2, &CFG, qj_now(), 10, &sealed,
	    &d), QJ_OK);
	ck_assert_int_eq(sealed, 0);
	/* After it: sealed once; the stray replaced by the recorded one. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "UPDATE seal_job SET next_try_at = "
		    "now() - interval '1 s' WHERE case_id = %lld",
		    (long long)z);
		db_run(sql);
	}
	ck_assert_int_eq(archive_seal_pending(db2, &CFG, qj_now(), 10,
	    &sealed, &d), QJ_OK);
	ck_assert_int_eq(sealed, 1);
	check_package(z, sha);
	count_files(z, &pk, &tmp);
	ck_assert_int_eq(pk, 1);
	ck_assert_int_eq(tmp, 0);
	archive_path(ADIR, z, path, sizeof(path));
	snprintf(out, sizeof(out), "%s/verify-z.txt", H.root);
	ck_assert_int_eq(cli_verify(path, out), 0);
	/* 4. Queued again after sealing: the package is kept as it is. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "INSERT INTO seal_job (case_id, "
		    "queued_at, next_try_at) VALUES (%lld, now(), now() - "
		    "interval '1 s')", (long long)z);
		db_run(sql);
	}
	ck_assert_int_eq(archive_seal_pending(db2, &CFG, qj_now(), 10, &sealed,
	    &d), QJ_OK);
	ck_assert_int_eq(sealed, 0);
	check_package(z, sha2);
	ck_assert_str_eq(sha, sha2);
	/* 5. A seal the sealer's own trust store refuses is never written. */
	{
		struct qj_trust	*look = NULL;
		struct qj_buf	 zz = QJ_BUF_INIT;
		char		 ss[65];

		ck_assert_int_eq(qj_trust_load(CERTS "/vectors/lookalike/"
		    "root.pem", CERTS "/chain", NULL, &look, &d), QJ_OK);
		CFG.trust = look;
		ck_assert_int_eq(archive_build(db1, &CFG, y, qj_now(), &zz, ss,
		    &ma, &d), QJ_EINTERNAL);
		ck_assert_str_eq(d.type, "seal-invalid");
		CFG.trust = TRUST;
		qj_trust_free(look);
		qj_buf_free(&zz);
	}
	/* 6. An attempt that fails backs off and says why. */
	snprintf(att, sizeof(att), "%s", "");
	{
		PGresult	*res;
		char		 sql[256];

		snprintf(sql, sizeof(sql), "SELECT sha256 FROM case_attachment "
		    "WHERE case_id = %lld", (long long)y);
		res = PQexec(qj_db_conn(harness_db()), sql);
		ck_assert_int_eq(PQntuples(res), 1);
		snprintf(att, sizeof(att), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		snprintf(sql, sizeof(sql), "UPDATE seal_job SET next_try_at = "
		    "now() - interval '1 s' WHERE case_id = %lld",
		    (long long)y);
		db_run(sql);
	}
	snprintf(bpath, sizeof(bpath), "%s/%.2s/%.2s/%s", BLOBS, att, att + 2,
	    att);
	slurp(bpath, &blob);
	ck_assert_int_eq(rename(bpath, "/tmp/qj-archive-blob-aside"), 0);
	ck_assert_int_eq(archive_seal_pending(db1, &CFG, qj_now(), 10, &sealed,
	    &d), QJ_OK);
	ck_assert_int_eq(sealed, 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM seal_job WHERE case_id = "
	    "%lld AND attempts = 1 AND last_error LIKE '%%blob%%' AND "
	    "next_try_at > now() + interval '20 s'", (long long)y), 1);
	ck_assert_int_eq(rename("/tmp/qj-archive-blob-aside", bpath), 0);
	/* Not before the backoff; then sealed. */
	ck_assert_int_eq(archive_seal_pending(db1, &CFG, qj_now(), 10,
	    &sealed, &d), QJ_OK);
	ck_assert_int_eq(sealed, 0);
	db_run("UPDATE seal_job SET next_try_at = now() - interval '1 s' "
	    "WHERE attempts = 1");
	ck_assert_int_eq(archive_seal_pending(db1, &CFG, qj_now(), 10,
	    &sealed, &d), QJ_OK);
	ck_assert_int_eq(sealed, 1);
	check_package(y, NULL);
	/* Nothing closed is left without a package or a queued job. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM wf_case c WHERE "
	    "c.terminal AND NOT EXISTS (SELECT 1 FROM archive a WHERE "
	    "a.case_id = c.id) AND NOT EXISTS (SELECT 1 FROM seal_job j WHERE "
	    "j.case_id = c.id)"), 0);
	/* The server, sealing again, takes what is left. */
	db_run("UPDATE seal_job SET next_try_at = now()");
	unsetenv("QUJAT_SEAL");
	harness_start_kore();
	for (i = 0; i < 100 && db_int("SELECT count(*) FROM seal_job") > 0; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(db_int("SELECT count(*) FROM seal_job"), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM wf_case c WHERE "
	    "c.terminal AND NOT EXISTS (SELECT 1 FROM archive a WHERE "
	    "a.case_id = c.id)"), 0);
	qj_db_free(db1);
	qj_db_free(db2);
	qj_buf_free(&za);
	qj_buf_free(&zb);
	qj_buf_free(&blob);
}
END_TEST

static Suite *
seal_suite(void)
{
	Suite	*s = suite_create("archive-seal");
	TCase	*tc = tcase_create("seal");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_sealed_once_end_to_end);
	tcase_add_test(tc, t_exactly_once_under_races_and_crashes);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sealer_setup();
	sr = srunner_create(seal_suite());
	/* One process: the tests stop and start the server. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	qj_arc_sealer_free(&SEALER);
	qj_trust_free(TRUST);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
