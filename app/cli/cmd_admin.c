/*
 * cmd_admin.c: `qujat migrate`, `qujat seed-demo` and `qujat hash-password`.
 *
 * seed-demo creates the demo university of SPEC section 1 once: a
 * university with a Faculty of Postgraduate Education (dean's office), a
 * Registrar Office, a Legal Department and a rectorate; one external
 * Customer organisation; and the people of the given file, each with a
 * fresh random password written (mode 0600) to --out and printed once.
 * Run again on a seeded database it changes nothing.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/codec.h"
#include "core/iin.h"
#include "core/password.h"
#include "store/db.h"
#include "store/migrate.h"
#include "store/people.h"

#define UNIV_BIN	"990440010005"
#define CUSTOMER_BIN	"010340010009"

int
cmd_migrate(int argc, char **argv)
{
	struct qj_diag	 d;
	struct qj_db	*db;
	int		 applied, version;

	if ((db = cli_db_open(cli_opt(argc, argv, "--db"))) == NULL)
		return (1);
	if (qj_migrate_apply(db, &applied, &d) != QJ_OK) {
		fprintf(stderr, "qujat: migrate: %s\n", d.detail);
		qj_db_free(db);
		return (1);
	}
	(void)qj_migrate_check(db, &version, &d);
	printf("qujat: schema at migration %d (%d applied now)\n", version,
	    applied);
	qj_db_free(db);
	return (0);
}

int
cmd_hash_password(int argc, char **argv)
{
	char	line[512], hash[QJ_PASSWORD_HASH_MAX];
	size_t	n;

	(void)argc;
	(void)argv;
	if (fgets(line, sizeof(line), stdin) == NULL)
		return (2);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (qj_password_policy(line, "password", NULL) != QJ_OK) {
		fprintf(stderr, "qujat: password must be 10..256 bytes\n");
		return (1);
	}
	if (qj_password_hash(line, hash) != QJ_OK)
		return (1);
	printf("%s\n", hash);
	return (0);
}

struct unit_seed {
	const char	*code, *parent, *kind, *kk, *ru, *en;
};

static const struct unit_seed univ_units[] = {
	{ "univ", NULL, "organisation", "Qujat демо медицина университеті",
	    "Демонстрационный медицинский университет Qujat",
	    "Qujat Demo Medical University" },
	{ "rectorate", "univ", "rectorate", "Ректорат", "Ректорат",
	    "Rectorate" },
	{ "fpe", "univ", "faculty",
	    "Дипломнан кейінгі білім беру факультеті",
	    "Факультет послевузовского образования",
	    "Faculty of Postgraduate Education" },
	{ "registrar", "univ", "registrar", "Тіркеуші кеңсе",
	    "Офис регистратора", "Registrar Office" },
	{ "legal", "univ", "legal", "Заң бөлімі", "Юридический отдел",
	    "Legal Department" },
};

static int
seed_units(struct qj_db *db, struct qj_diag *d)
{
	int64_t	org, cust, id, parent;
	size_t	i;

	if (org_create(db, "university", UNIV_BIN, univ_units[0].kk,
	    univ_units[0].ru, univ_units[0].en, &org, d) != QJ_OK)
		return (-1);
	for (i = 0; i < sizeof(univ_units) / sizeof(univ_units[0]); i++) {
		parent = 0;
		if (univ_units[i].parent != NULL &&
		    unit_by_code(db, univ_units[i].parent, &parent, NULL, d)
		    != QJ_OK)
			return (-1);
		if (unit_create(db, org, parent, univ_units[i].code,
		    univ_units[i].kind, univ_units[i].kk, univ_units[i].ru,
		    univ_units[i].en, &id, d) != QJ_OK)
			return (-1);
	}
	if (org_create(db, "customer", CUSTOMER_BIN,
	    "Алматы қаласының денсаулық сақтау басқармасы",
	    "Управление общественного здравоохранения города Алматы",
	    "Almaty City Public Health Department", &cust, d) != QJ_OK ||
	    unit_create(db, cust, 0, "customer", "organisation",
	    "Алматы қаласының денсаулық сақтау басқармасы",
	    "Управление общественного здравоохранения города Алматы",
	    "Almaty City Public Health Department", &id, d) != QJ_OK)
		return (-1);
	return (0);
}

/* A password of 16 characters from an alphabet without look-alikes. */
static int
demo_password(char out[17])
{
	static const char	alphabet[] =
	    "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char		raw[16];
	int			i;

	if (qj_random(raw, sizeof(raw)) != QJ_OK)
		return (-1);
	for (i = 0; i < 16; i++)
		out[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	out[16] = '\0';
	return (0);
}

/* Splits a TSV line in place into at most n fields; returns the count. */
static int
split_tabs(char *line, char **f, int n)
{
	int	k = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (k < n) {
		f[k++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return (k);
}

static int
seed_person(struct qj_db *db, char **f, FILE *out, struct qj_diag *d)
{
	struct person_in	 in;
	char			 pw[17], hash[QJ_PASSWORD_HASH_MAX], *roles;
	char			*tok, *save = NULL, *at;
	int64_t			 id, unit, gid;

	memset(&in, 0, sizeof(in));
	in.login = f[0];
	in.iin = f[1];
	in.name_kk = f[2];
	in.name_ru = f[3];
	in.name_en = f[4];
	if (qj_iin_check(in.iin, "iin", NULL, d) != QJ_OK)
		return (-1);
	if (strcmp(f[6], "-") != 0 && org_by_bin(db, f[6], &in.org_id, d)
	    != QJ_OK)
		return (-1);
	if ((roles = strdup(f[5])) == NULL)
		return (-1);
	/* The home unit is the unit of the first role. */
	if ((at = strchr(f[5], '@')) == NULL) {
		free(roles);
		return (-1);
	}
	snprintf(pw, sizeof(pw), "%.*s", (int)strcspn(at + 1, ","), at + 1);
	if (unit_by_code(db, pw, &unit, NULL, d) != QJ_OK) {
		free(roles);
		return (-1);
	}
	in.home_unit_id = unit;
	if (demo_password(pw) != 0 || qj_password_hash(pw, hash) != QJ_OK) {
		free(roles);
		return (-1);
	}
	in.password_hash = hash;
	if (people_create(db, &in, &id, d) != QJ_OK) {
		free(roles);
		return (-1);
	}
	for (tok = strtok_r(roles, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((at = strchr(tok, '@')) == NULL) {
			free(roles);
			return (-1);
		}
		*at = '\0';
		if (unit_by_code(db, at + 1, &unit, NULL, d) != QJ_OK ||
		    grant_add(db, id, tok, unit, 0, &gid, d) != QJ_OK) {
			free(roles);
			return (-1);
		}
	}
	free(roles);
	fprintf(out, "%s\t%s\t%s\n", f[0], pw, f[5]);
	return (0);
}

int
cmd_seed_demo(int argc, char **argv)
{
	const char	*people = cli_opt(argc, argv, "--people");
	const char	*outpath = cli_opt(argc, argv, "--out");
	struct qj_diag	 d;
	struct qj_db	*db;
	char		 line[2048], *f[8];
	FILE		*in = NULL, *out = NULL;
	int64_t		 existing;
	int		 fd, rc = 1, n = 0;

	if (people == NULL || outpath == NULL) {
		fprintf(stderr, "usage: qujat seed-demo --people FILE "
		    "--out FILE [--db DSN]\n");
		return (2);
	}
	if ((db = cli_db_open(cli_opt(argc, argv, "--db"))) == NULL)
		return (1);
	qj_diag_clear(&d);
	if (org_by_bin(db, UNIV_BIN, &existing, NULL) == QJ_OK) {
		printf("qujat: demo university already seeded\n");
		qj_db_free(db);
		return (0);
	}
	if ((in = fopen(people, "r")) == NULL) {
		perror(people);
		goto out;
	}
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
		perror(outpath);
		goto out;
	}
	fprintf(out, "# login\tpassword\troles (demo only; keep private)\n");
	if (qj_db_begin(db, &d) != QJ_OK || seed_units(db, &d) != 0)
		goto out;
	while (fgets(line, sizeof(line), in) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (split_tabs(line, f, 7) != 7) {
			fprintf(stderr, "qujat: %s: line needs 7 fields\n",
			    people);
			goto out;
		}
		if (seed_person(db, f, out, &d) != 0) {
			fprintf(stderr, "qujat: seeding %s failed\n", f[0]);
			goto out;
		}
		n++;
	}
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 ||
	    qj_db_commit(db, &d) != QJ_OK)
		goto out;
	rc = 0;
	printf("qujat: seeded %d demo people; credentials (shown once, kept "
	    "in %s):\n", n, outpath);
	fflush(stdout);
	{
		FILE	*again = fopen(outpath, "r");

		while (again != NULL && fgets(line, sizeof(line), again))
			if (line[0] != '#')
				fputs(line, stdout);
		if (again != NULL)
			fclose(again);
	}
out:
	if (rc != 0) {
		if (d.detail[0] != '\0')
			fprintf(stderr, "qujat: %s\n", d.detail);
		qj_db_rollback(db);
		if (out != NULL)
			unlink(outpath);
	}
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
	qj_db_free(db);
	return (rc);
}
