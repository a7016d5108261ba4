/*
 * qujat.c: the operator's command-line tool.
 *
 *	qujat migrate [--db DSN]
 *	qujat seed-demo --people FILE --out FILE [--db DSN]
 *	qujat hash-password < password
 *	qujat bootstrap ..., qujat org-add ... (cmd_accounts.c)
 *	qujat verify-signature, verify-audit, verify-archive, sign, export
 *
 * The database comes from --db or the QUJAT_DB environment variable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/commands.h"
#include "core/log.h"
#include "core/xmlsafe.h"
#include "store/db.h"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*usage;
};

static const struct command commands[] = {
	{ "migrate", cmd_migrate, "migrate [--db DSN]" },
	{ "seed-demo", cmd_seed_demo,
	    "seed-demo --people FILE --out FILE [--db DSN]" },
	{ "bootstrap", cmd_bootstrap, "bootstrap --bin BIN --code CODE "
	    "--name-kk T --name-ru T --name-en T --admin-login L --admin-iin "
	    "IIN --admin-name-kk T --admin-name-ru T --admin-name-en T "
	    "--password-file F [--db DSN]" },
	{ "org-add", cmd_org_add, "org-add --kind customer|university --bin "
	    "BIN --code CODE --name-kk T --name-ru T --name-en T "
	    "[--admin LOGIN] [--db DSN]" },
	{ "hash-password", cmd_hash_password, "hash-password < PASSWORD" },
	{ "verify-signature", cmd_verify_signature,
	    "verify-signature --trust CA.pem [--untrusted CERT.pem]... "
	    "[--crl CRL.pem]... [--at 'YYYY-MM-DD HH:MM:SS'] [--data FILE] "
	    "[--expect-iin IIN] SIGNED.xml" },
	{ "sign", cmd_sign, "sign --url URL (--login NAME "
	    "--login-password-file FILE | --token-file FILE) --case ID "
	    "--event EVENT [--document FILE.json|FILE.xml] [--data JSON] "
	    "[--reason TEXT] --p12 FILE.p12 --p12-password-file FILE" },
	{ "verify-audit", cmd_verify_audit,
	    "verify-audit [--db DSN] [--stream S | --case ID] [--verbose]" },
	{ "export", cmd_export, "export --dir DIR [--case ID | --since "
	    "YYYY-MM-DD] [--archive-dir PATH] [--db DSN]" },
	{ "verify-archive", cmd_verify_archive,
	    "verify-archive PACKAGE.zip --trust CA.pem [--crl CRL.pem]..." },
};

static int
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  qujat %s\n", commands[i].usage);
	return (2);
}

const char *
cli_opt(int argc, char **argv, const char *name)
{
	int	i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return (argv[i + 1]);
	return (NULL);
}

struct qj_db *
cli_db_open(const char *dsn_arg)
{
	struct qj_diag	 d;
	struct qj_db	*db;
	const char	*dsn = dsn_arg ? dsn_arg : getenv("QUJAT_DB");

	if (dsn == NULL || *dsn == '\0') {
		fprintf(stderr, "qujat: set QUJAT_DB or pass --db DSN\n");
		return (NULL);
	}
	if (qj_db_connect(dsn, &db, &d) != QJ_OK) {
		fprintf(stderr, "qujat: %s\n", d.detail);
		return (NULL);
	}
	return (db);
}

/* Reads at most `max` bytes of `path` into `out` (NUL-terminated). */
enum qj_err
cli_read_file(const char *path, size_t max, struct qj_buf *out, struct qj_diag *d)
{
	FILE		*f;
	char		 chunk[8192];
	size_t		 n;
	enum qj_err	 err = QJ_OK;

	if ((f = fopen(path, "rb")) == NULL)
		return (qj_fail(d, QJ_EIO, "file", path, "cannot read %s",
		    path));
	while (err == QJ_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max)
			err = qj_fail(d, QJ_ELIMIT, "file", path, "%s is larger "
			    "than %zu bytes", path, max);
		else
			err = qj_buf_append(out, chunk, n);
	}
	if (err == QJ_OK && ferror(f))
		err = qj_fail(d, QJ_EIO, "file", path, "cannot read %s", path);
	if (err == QJ_OK && out->data == NULL)
		err = qj_buf_puts(out, "");
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	return (err);
}

/* A password or token file: its bytes less one trailing LF or CRLF. */
enum qj_err
cli_read_secret(const char *path, size_t max, struct qj_buf *out,
    struct qj_diag *d)
{
	enum qj_err	err;

	if ((err = cli_read_file(path, max, out, d)) != QJ_OK)
		return (err);
	if (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	if (out->len > 0 && out->data[out->len - 1] == '\r')
		out->data[--out->len] = '\0';
	if (strlen(out->data) != out->len)
		return (qj_fail(d, QJ_EINVAL, "file", path, "%s holds a NUL "
		    "byte", path));
	return (QJ_OK);
}

void
cli_secret_free(struct qj_buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->len);
	qj_buf_free(b);
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2)
		return (usage());
	qj_xml_init();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return (commands[i].run(argc - 1, argv + 1));
	return (usage());
}
