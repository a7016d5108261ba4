/*
 * cmd_export.c: `qujat export` copies sealed case archives out of the
 * server's archive directory, for offline storage or an auditor.
 *
 *	qujat export --dir DIR [--case ID | --since YYYY-MM-DD]
 *	    [--archive-dir PATH] [--db DSN]
 *
 * Every package the database records (and has not disposed of) is copied
 * to DIR under its own name while its SHA-256 is computed; a copy whose
 * hash is not the recorded one is deleted and reported, never kept.  A
 * file already in DIR with the right content is left as it is, one with
 * other content is never overwritten.  Copies are fsynced, renamed into
 * place and DIR/SHA256SUMS (sha256sum -c format) is rewritten for the
 * packages of this run.  Exit 0 when every package was exported intact, 1
 * when one was missing or differed, 2 on usage errors.  The default
 * archive directory is $QUJAT_VAR/archive (var/archive).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/commands.h"
#include "core/buf.h"
#include "core/codec.h"
#include "store/db.h"

/* SHA-256 of a file, hex; -1 when it cannot be read. */
static int
ex_hash_file(const char *path, char hex[65])
{
	unsigned char	 buf[65536], md[32];
	EVP_MD_CTX	*mc;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	if ((mc = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(mc, EVP_sha256(), NULL) == 1) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			EVP_DigestUpdate(mc, buf, (size_t)n);
		if (n == 0 && EVP_DigestFinal_ex(mc, md, NULL) == 1) {
			qj_hex(md, 32, hex);
			rc = 0;
		}
	}
	EVP_MD_CTX_free(mc);
	close(fd);
	return (rc);
}

/*
 * Copies src to dst (through dst.tmp, fsynced, renamed) when its SHA-256
 * is `want`.  0 copied or already there; -1 with a message otherwise.
 */
static int
ex_copy(const char *src, const char *dst, const char *want, long long id)
{
	unsigned char	 buf[65536], md[32];
	char		 tmp[1200], hex[65];
	EVP_MD_CTX	*mc = NULL;
	ssize_t		 n;
	int		 in = -1, out = -1, rc = -1;

	if (access(dst, F_OK) == 0) {
		if (ex_hash_file(dst, hex) == 0 && strcmp(hex, want) == 0)
			return (0);
		fprintf(stderr, "case %lld: %s exists with other content; "
		    "not overwritten\n", id, dst);
		return (-1);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "case %lld: cannot read %s: %s\n", id, src,
		    strerror(errno));
		return (-1);
	}
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || (mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(mc, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "case %lld: cannot write %s\n", id, tmp);
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n ||
		    EVP_DigestUpdate(mc, buf, (size_t)n) != 1)
			break;
	if (n != 0 || EVP_DigestFinal_ex(mc, md, NULL) != 1 ||
	    fsync(out) != 0) {
		fprintf(stderr, "case %lld: copying %s failed\n", id, src);
		goto out;
	}
	qj_hex(md, 32, hex);
	if (strcmp(hex, want) != 0) {
		fprintf(stderr, "case %lld: %s has SHA-256 %s, the archive "
		    "records %s; not exported\n", id, src, hex, want);
		goto out;
	}
	if (close(out) != 0 || rename(tmp, dst) != 0) {
		out = -1;
		fprintf(stderr, "case %lld: cannot place %s\n", id, dst);
		goto out;
	}
	out = -1;
	rc = 0;
out:
	if (rc != 0)
		unlink(tmp);
	if (out >= 0)
		close(out);
	close(in);
	EVP_MD_CTX_free(mc);
	return (rc);
}

/* Writes DIR/SHA256SUMS through a temporary file; fsyncs it and DIR. */
static int
ex_sums(const char *dir, const struct qj_buf *sums)
{
	char	tmp[1100], path[1100];
	int	fd, dfd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/SHA256SUMS.tmp", dir);
	snprintf(path, sizeof(path), "%s/SHA256SUMS", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		return (-1);
	if ((sums->len == 0 || write(fd, sums->data, sums->len) ==
	    (ssize_t)sums->len) && fsync(fd) == 0 && close(fd) == 0 &&
	    rename(tmp, path) == 0)
		rc = 0;
	else
		close(fd);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(dfd) != 0)
			rc = -1;
		close(dfd);
	}
	return (rc);
}

int
cmd_export(int argc, char **argv)
{
	const char	*dir = cli_opt(argc, argv, "--dir");
	const char	*cid = cli_opt(argc, argv, "--case");
	const char	*since = cli_opt(argc, argv, "--since");
	const char	*adir = cli_opt(argc, argv, "--archive-dir");
	struct qj_buf	 sums = QJ_BUF_INIT;
	struct qj_params p;
	struct qj_diag	 d;
	struct qj_db	*db;
	PGresult	*res = NULL;
	char		 defdir[1024], src[1200], dst[1200], *end;
	int		 i, ok = 0, bad = 0, y, m, dd;

	if (dir == NULL || (cid != NULL && since != NULL) ||
	    (cid != NULL && (strtoll(cid, &end, 10) <= 0 || *end != '\0')) ||
	    (since != NULL && (strlen(since) != 10 || sscanf(since,
	    "%4d-%2d-%2d", &y, &m, &dd) != 3))) {
		fprintf(stderr, "usage: qujat export --dir DIR [--case ID | "
		    "--since YYYY-MM-DD] [--archive-dir PATH] [--db DSN]\n");
		return (2);
	}
	if (adir == NULL) {
		snprintf(defdir, sizeof(defdir), "%s/archive",
		    getenv("QUJAT_VAR") != NULL ? getenv("QUJAT_VAR") : "var");
		adir = defdir;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "qujat: cannot create %s: %s\n", dir,
		    strerror(errno));
		return (1);
	}
	if ((db = cli_db_open(cli_opt(argc, argv, "--db"))) == NULL)
		return (1);
	qj_diag_clear(&d);
	qj_p_init(&p);
	qj_p_str(&p, cid);
	qj_p_str(&p, since);
	if (qj_db_exec(db, &res, "SELECT case_id, path, sha256 FROM archive "
	    "WHERE disposed_at IS NULL AND ($1::bigint IS NULL OR case_id = "
	    "$1::bigint) AND ($2::date IS NULL OR sealed_at >= $2::date) "
	    "ORDER BY case_id", &p, &d) != QJ_OK) {
		fprintf(stderr, "qujat: %s\n", d.detail);
		qj_db_free(db);
		return (1);
	}
	for (i = 0; i < PQntuples(res); i++) {
		long long id = (long long)qj_db_i64(res, i, 0);

		snprintf(src, sizeof(src), "%s/%s", adir, qj_db_str(res, i, 1));
		snprintf(dst, sizeof(dst), "%s/%s", dir, qj_db_str(res, i, 1));
		if (ex_copy(src, dst, qj_db_str(res, i, 2), id) != 0) {
			bad++;
			continue;
		}
		ok++;
		qj_buf_printf(&sums, "%s  %s\n", qj_db_str(res, i, 2),
		    qj_db_str(res, i, 1));
	}
	PQclear(res);
	qj_db_free(db);
	if (ex_sums(dir, &sums) != 0) {
		fprintf(stderr, "qujat: cannot write %s/SHA256SUMS\n", dir);
		bad++;
	}
	qj_buf_free(&sums);
	printf("qujat: %d package%s exported to %s%s", ok, ok == 1 ? "" : "s",
	    dir, bad ? "" : "\n");
	if (bad)
		printf("; %d failed\n", bad);
	return (bad ? 1 : 0);
}
