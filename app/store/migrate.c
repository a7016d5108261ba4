/*
 * migrate.c: applies the embedded migrations in order (see migrate.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/embedded.h"
#include "core/log.h"
#include "store/migrate.h"

#define MIGRATE_LOCK	"7277220001"	/* pg_advisory_lock key: "qujat" */

static int
migration_number(const char *name)
{
	return (atoi(name));
}

int
qj_migrate_code_version(void)
{
	int	i, v = 0;

	for (i = 0; qj_migrations[i].name != NULL; i++)
		if (migration_number(qj_migrations[i].name) > v)
			v = migration_number(qj_migrations[i].name);
	return (v);
}

static const struct qj_embedded *
find_migration(int version)
{
	int	i;

	for (i = 0; qj_migrations[i].name != NULL; i++)
		if (migration_number(qj_migrations[i].name) == version)
			return (&qj_migrations[i]);
	return (NULL);
}

enum qj_err
qj_migrate_check(struct qj_db *db, int *db_version, struct qj_diag *d)
{
	const struct qj_embedded	*m;
	PGresult			*res = NULL;
	char				 hex[QJ_SHA256_HEX_LEN + 1];
	enum qj_err			 err;
	int				 i, v;

	*db_version = 0;
	err = qj_db_exec(db, &res,
	    "SELECT to_regclass('schema_migration') IS NOT NULL", NULL, d);
	if (err != QJ_OK)
		return (err);
	if (!qj_db_bool(res, 0, 0)) {
		PQclear(res);
		return (QJ_OK);
	}
	PQclear(res);
	err = qj_db_exec(db, &res, "SELECT version, name, sha256 FROM "
	    "schema_migration ORDER BY version", NULL, d);
	if (err != QJ_OK)
		return (err);
	for (i = 0; i < PQntuples(res); i++) {
		v = (int)qj_db_i64(res, i, 0);
		if ((m = find_migration(v)) == NULL) {
			err = qj_fail(d, QJ_ECONFLICT, "schema-too-new", "",
			    "database has migration %d (%s), which this code "
			    "does not know; refusing to run against a newer "
			    "schema", v, qj_db_str(res, i, 1));
			break;
		}
		qj_sha256_hex(m->data, m->len, hex);
		if (strcmp(hex, qj_db_str(res, i, 2)) != 0) {
			err = qj_fail(d, QJ_ECONFLICT, "schema-mismatch", "",
			    "migration %s was applied with different contents",
			    m->name);
			break;
		}
		*db_version = v;
	}
	PQclear(res);
	return (err);
}

static enum qj_err
apply_one(struct qj_db *db, const struct qj_embedded *m, struct qj_diag *d)
{
	struct qj_params	p;
	char			hex[QJ_SHA256_HEX_LEN + 1];
	enum qj_err		err;

	if ((err = qj_db_begin(db, d)) != QJ_OK)
		return (err);
	if ((err = qj_db_script(db, m->data, d)) != QJ_OK) {
		qj_db_rollback(db);
		return (qj_fail(d, err, "migration-failed", "",
		    "migration %s failed: %s", m->name, d ? d->detail : ""));
	}
	qj_sha256_hex(m->data, m->len, hex);
	qj_p_init(&p);
	qj_p_i64(&p, migration_number(m->name));
	qj_p_str(&p, m->name);
	qj_p_str(&p, hex);
	err = qj_db_exec(db, NULL, "INSERT INTO schema_migration "
	    "(version, name, sha256) VALUES ($1, $2, $3)", &p, d);
	if (err == QJ_OK)
		err = qj_db_commit(db, d);
	else
		qj_db_rollback(db);
	if (err == QJ_OK)
		qj_log(QJ_LOG_INFO, "migrate", "applied %s", m->name);
	return (err);
}

enum qj_err
qj_migrate_apply(struct qj_db *db, int *applied, struct qj_diag *d)
{
	enum qj_err	err;
	int		i, current;

	*applied = 0;
	err = qj_db_exec(db, NULL, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
	    NULL, d);
	if (err != QJ_OK)
		return (err);
	err = qj_db_script(db, "CREATE TABLE IF NOT EXISTS schema_migration ("
	    " version int PRIMARY KEY CHECK (version > 0),"
	    " name text NOT NULL UNIQUE,"
	    " sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
	    " applied_at timestamptz NOT NULL DEFAULT now())", d);
	if (err == QJ_OK)
		err = qj_migrate_check(db, &current, d);
	for (i = 0; err == QJ_OK && qj_migrations[i].name != NULL; i++) {
		if (migration_number(qj_migrations[i].name) <= current)
			continue;
		if ((err = apply_one(db, &qj_migrations[i], d)) == QJ_OK)
			(*applied)++;
	}
	(void)qj_db_exec(db, NULL, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")",
	    NULL, NULL);
	return (err);
}
