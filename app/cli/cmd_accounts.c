/*
 * cmd_accounts.c: the operator's commands that make a database usable
 * without the demo seed.
 *
 *	qujat bootstrap --bin BIN --code CODE --name-kk T --name-ru T
 *	    --name-en T --admin-login L --admin-iin IIN --admin-name-kk T
 *	    --admin-name-ru T --admin-name-en T --password-file F [--db DSN]
 *	qujat org-add --kind customer|university --bin BIN --code CODE
 *	    --name-kk T --name-ru T --name-en T [--admin LOGIN] [--db DSN]
 *
 * bootstrap creates the university, its root unit and the first
 * administrator (role admin at the root, password from the file), once: it
 * refuses a database that already has a university.  org-add adds an
 * organisation with its root unit, e.g. a Customer of tripartite
 * contracts, and may make an existing person its administrator.  Everything
 * after that is done over the API by administrators.  Each command is one
 * transaction and writes its events to the "accounts" audit stream, as the
 * API does, with the operator's login name as the actor.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/buf.h"
#include "core/iin.h"
#include "core/password.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/people.h"

#define AC_MAX_TEXT	300

/* Every option named in `names` must be given; returns 0 or prints why. */
static int
ac_require(int argc, char **argv, const char *const *names, size_t n,
    const char **out)
{
	size_t	i;
	int	ok = 1;

	for (i = 0; i < n; i++)
		if ((out[i] = cli_opt(argc, argv, names[i])) == NULL) {
			fprintf(stderr, "qujat: %s is required\n", names[i]);
			ok = 0;
		}
	return (ok ? 0 : -1);
}

static int
ac_text_ok(const char *name, const char *v)
{
	if (strlen(v) == 0 || strlen(v) > AC_MAX_TEXT) {
		fprintf(stderr, "qujat: %s must be 1..%d bytes\n", name,
		    AC_MAX_TEXT);
		return (0);
	}
	return (1);
}

static int
ac_code_ok(const char *code)
{
	size_t	i, n = strlen(code);

	if (n < 1 || n > 40 || code[0] < 'a' || code[0] > 'z')
		return (0);
	for (i = 1; i < n; i++)
		if (!((code[i] >= 'a' && code[i] <= 'z') ||
		    (code[i] >= '0' && code[i] <= '9') || code[i] == '-'))
			return (0);
	return (1);
}

/* The operator, for the audit events: $SUDO_USER, $USER or the uid's name. */
static void
ac_operator(char out[65])
{
	const char	*u = getenv("SUDO_USER");
	struct passwd	*pw;

	if (u == NULL || *u == '\0')
		u = getenv("USER");
	if ((u == NULL || *u == '\0') && (pw = getpwuid(getuid())) != NULL)
		u = pw->pw_name;
	snprintf(out, 65, "cli:%.60s", u != NULL && *u != '\0' ? u : "?");
}

static enum qj_err
ac_audit(struct qj_db *db, const char *op, const char *action,
    const char *detail, struct qj_diag *d)
{
	struct audit_in	in;

	memset(&in, 0, sizeof(in));
	in.stream = "accounts";
	in.actor_login = op;
	in.action = action;
	in.detail = detail;
	return (audit_append(db, &in, NULL, d));
}

/* An organisation and its root unit, audited. */
static enum qj_err
ac_org(struct qj_db *db, const char *op, const char *kind, const char *bin,
    const char *code, const char *const names[3], int64_t *org,
    int64_t *unit, struct qj_diag *d)
{
	char		detail[256];
	enum qj_err	err;

	if ((err = org_create(db, kind, bin, names[0], names[1], names[2], org,
	    d)) != QJ_OK ||
	    (err = unit_create(db, *org, 0, code, "organisation", names[0],
	    names[1], names[2], unit, d)) != QJ_OK)
		return (err);
	snprintf(detail, sizeof(detail), "{\"org_id\":%lld,\"kind\":\"%s\","
	    "\"bin\":\"%s\",\"root_unit_id\":%lld,\"code\":\"%s\"}",
	    (long long)*org, kind, bin, (long long)*unit, code);
	return (ac_audit(db, op, "organisation.create", detail, d));
}

/* Reports a failed command, rolls back and closes. */
static int
ac_fail(struct qj_db *db, const struct qj_diag *d, int rc)
{
	if (d != NULL && d->detail[0] != '\0')
		fprintf(stderr, "qujat: %s\n", d->detail);
	if (db != NULL) {
		qj_db_rollback(db);
		qj_db_free(db);
	}
	return (rc);
}

int
cmd_bootstrap(int argc, char **argv)
{
	static const char *const names[] = { "--bin", "--code", "--name-kk",
	    "--name-ru", "--name-en", "--admin-login", "--admin-iin",
	    "--admin-name-kk", "--admin-name-ru", "--admin-name-en",
	    "--password-file" };
	const char		*v[QJ_NELEM(names)];
	struct qj_buf		 pw = QJ_BUF_INIT;
	struct person_in	 in;
	struct qj_diag		 d;
	struct qj_db		*db;
	PGresult		*res = NULL;
	char			 hash[QJ_PASSWORD_HASH_MAX], op[65], detail[256];
	int64_t			 org, unit, person, grant;
	size_t			 i;
	int			 exists;

	qj_diag_clear(&d);
	if (ac_require(argc, argv, names, QJ_NELEM(names), v) != 0)
		return (2);
	for (i = 2; i < 5; i++)
		if (!ac_text_ok(names[i], v[i]))
			return (2);
	for (i = 7; i < 10; i++)
		if (!ac_text_ok(names[i], v[i]))
			return (2);
	if (qj_bin_check(v[0], "--bin", &d) != QJ_OK ||
	    qj_iin_check(v[6], "--admin-iin", NULL, &d) != QJ_OK) {
		fprintf(stderr, "qujat: %s\n", d.detail);
		return (2);
	}
	if (!ac_code_ok(v[1]) || !qj_login_valid(v[5])) {
		fprintf(stderr, "qujat: %s\n", !ac_code_ok(v[1]) ? "--code is "
		    "1..40 of a-z 0-9 - starting with a letter" : "--admin-login "
		    "is 2..64 of a-z 0-9 . _ - starting with a letter or digit");
		return (2);
	}
	if (cli_read_secret(v[10], 256, &pw, &d) != QJ_OK ||
	    qj_password_policy(pw.data, "--password-file", &d) != QJ_OK ||
	    qj_password_hash(pw.data, hash) != QJ_OK) {
		fprintf(stderr, "qujat: %s\n", d.detail[0] != '\0' ? d.detail :
		    "cannot hash the password");
		cli_secret_free(&pw);
		return (2);
	}
	cli_secret_free(&pw);
	if ((db = cli_db_open(cli_opt(argc, argv, "--db"))) == NULL)
		return (1);
	ac_operator(op);
	if (qj_db_begin(db, &d) != QJ_OK ||
	    qj_db_exec(db, NULL, "LOCK TABLE organisation IN EXCLUSIVE MODE",
	    NULL, &d) != QJ_OK ||
	    qj_db_exec(db, &res, "SELECT count(*) FROM organisation WHERE "
	    "kind = 'university'", NULL, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	exists = atoi(qj_db_str(res, 0, 0)) > 0;
	PQclear(res);
	if (exists) {
		fprintf(stderr, "qujat: this database already has a university; "
		    "bootstrap runs once, on an empty database (administrators "
		    "add people and units over the API)\n");
		return (ac_fail(db, NULL, 1));
	}
	memset(&in, 0, sizeof(in));
	in.login = v[5];
	in.iin = v[6];
	in.name_kk = v[7];
	in.name_ru = v[8];
	in.name_en = v[9];
	in.password_hash = hash;
	if (ac_org(db, op, "university", v[0], v[1], &v[2], &org, &unit, &d) !=
	    QJ_OK)
		return (ac_fail(db, &d, 1));
	in.org_id = org;
	in.home_unit_id = unit;
	if (people_create(db, &in, &person, &d) != QJ_OK ||
	    grant_add(db, person, "admin", unit, 0, &grant, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	snprintf(detail, sizeof(detail), "{\"person_id\":%lld,\"login\":"
	    "\"%s\",\"home_unit_id\":%lld,\"password_set\":true}",
	    (long long)person, in.login, (long long)unit);
	if (ac_audit(db, op, "person.create", detail, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	snprintf(detail, sizeof(detail), "{\"person_id\":%lld,\"grant_id\":"
	    "%lld,\"role\":\"admin\",\"unit_id\":%lld}", (long long)person,
	    (long long)grant, (long long)unit);
	if (ac_audit(db, op, "role.grant", detail, &d) != QJ_OK ||
	    qj_db_commit(db, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	qj_db_free(db);
	printf("qujat: university %s (unit %s) and its administrator %s "
	    "created\n", v[0], v[1], v[5]);
	return (0);
}

int
cmd_org_add(int argc, char **argv)
{
	static const char *const names[] = { "--kind", "--bin", "--code",
	    "--name-kk", "--name-ru", "--name-en" };
	const char	*v[QJ_NELEM(names)], *admin;
	struct qj_diag	 d;
	struct qj_db	*db;
	PGresult	*res = NULL;
	char		 op[65], detail[256];
	int64_t		 org, unit, person, grant;
	size_t		 i;

	qj_diag_clear(&d);
	if (ac_require(argc, argv, names, QJ_NELEM(names), v) != 0)
		return (2);
	if (strcmp(v[0], "customer") != 0 && strcmp(v[0], "university") != 0) {
		fprintf(stderr, "qujat: --kind is customer or university\n");
		return (2);
	}
	for (i = 3; i < 6; i++)
		if (!ac_text_ok(names[i], v[i]))
			return (2);
	if (qj_bin_check(v[1], "--bin", &d) != QJ_OK) {
		fprintf(stderr, "qujat: %s\n", d.detail);
		return (2);
	}
	if (!ac_code_ok(v[2])) {
		fprintf(stderr, "qujat: --code is 1..40 of a-z 0-9 - starting "
		    "with a letter\n");
		return (2);
	}
	admin = cli_opt(argc, argv, "--admin");
	if ((db = cli_db_open(cli_opt(argc, argv, "--db"))) == NULL)
		return (1);
	ac_operator(op);
	if (qj_db_begin(db, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	if (org_by_bin(db, v[1], &org, NULL) == QJ_OK) {
		fprintf(stderr, "qujat: an organisation with BIN %s exists\n",
		    v[1]);
		return (ac_fail(db, NULL, 1));
	}
	if (ac_org(db, op, v[0], v[1], v[2], &v[3], &org, &unit, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	if (admin != NULL) {
		struct qj_params p;

		qj_p_init(&p);
		qj_p_str(&p, admin);
		if (qj_db_exec(db, &res, "SELECT id FROM person WHERE login = "
		    "$1 AND NOT disabled", &p, &d) != QJ_OK)
			return (ac_fail(db, &d, 1));
		if (PQntuples(res) != 1) {
			PQclear(res);
			fprintf(stderr, "qujat: no active person %s\n", admin);
			return (ac_fail(db, NULL, 1));
		}
		person = qj_db_i64(res, 0, 0);
		PQclear(res);
		if (grant_add(db, person, "admin", unit, 0, &grant, &d) !=
		    QJ_OK)
			return (ac_fail(db, &d, 1));
		snprintf(detail, sizeof(detail), "{\"person_id\":%lld,"
		    "\"grant_id\":%lld,\"role\":\"admin\",\"unit_id\":%lld}",
		    (long long)person, (long long)grant, (long long)unit);
		if (ac_audit(db, op, "role.grant", detail, &d) != QJ_OK)
			return (ac_fail(db, &d, 1));
	}
	if (qj_db_commit(db, &d) != QJ_OK)
		return (ac_fail(db, &d, 1));
	qj_db_free(db);
	printf("qujat: %s organisation %s (unit %s) created%s%s\n", v[0], v[1],
	    v[2], admin != NULL ? "; administrator: " : "",
	    admin != NULL ? admin : "");
	return (0);
}
