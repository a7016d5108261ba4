/*
 * qujat.c: the operator's command-line tool.
 *
 *	qujat migrate [--db DSN]
 *	qujat seed-demo --people FILE --out FILE [--db DSN]
 *	qujat hash-password < password
 *
 * The database comes from --db or the QUJAT_DB environment variable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
