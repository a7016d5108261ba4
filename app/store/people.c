/*
 * people.c: SQL for people, organisations, units, grants and API tokens
 * (see people.h).
 */
#include <stdio.h>
#include <string.h>

#include "store/people.h"

#define PERSON_COLS \
	"p.id, p.iin, p.login, p.name_kk, p.name_ru, p.name_en, p.email, " \
	"p.org_id, p.home_unit_id, hu.path, p.disabled, " \
	"to_char(p.created_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static enum qj_err
returning_id(struct qj_db *db, const char *sql, struct qj_params *p,
    int64_t *id, struct qj_diag *d)
{
	PGresult	*res;
	enum qj_err	 err;

	if ((err = qj_db_exec(db, &res, sql, p, d)) != QJ_OK)
		return (err);
	if (id != NULL)
		*id = qj_db_i64(res, 0, 0);
	PQclear(res);
	return (QJ_OK);
}

static void
p_id(struct qj_params *p, int64_t id)
{
	if (id == 0)
		qj_p_str(p, NULL);
	else
		qj_p_i64(p, id);
}

enum qj_err
people_create(struct qj_db *db, const struct person_in *in, int64_t *id,
    struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_str(&p, in->iin);
	qj_p_str(&p, in->login);
	qj_p_str(&p, in->name_kk);
	qj_p_str(&p, in->name_ru);
	qj_p_str(&p, in->name_en);
	qj_p_str(&p, in->email);
	p_id(&p, in->org_id);
	p_id(&p, in->home_unit_id);
	err = returning_id(db, "INSERT INTO person (iin, login, name_kk, "
	    "name_ru, name_en, email, org_id, home_unit_id) VALUES ($1, $2, "
	    "$3, $4, $5, $6, $7, $8) RETURNING id", &p, id, d);
	if (err != QJ_OK || in->password_hash == NULL)
		return (err);
	qj_p_init(&p);
	qj_p_i64(&p, *id);
	qj_p_str(&p, in->password_hash);
	return (qj_db_exec(db, NULL, "INSERT INTO credential (person_id, "
	    "password_hash) VALUES ($1, $2)", &p, d));
}

enum qj_err
people_get(struct qj_db *db, int64_t id, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	return (qj_db_exec(db, res, "SELECT " PERSON_COLS " FROM person p "
	    "LEFT JOIN unit hu ON hu.id = p.home_unit_id WHERE p.id = $1",
	    &p, d));
}

enum qj_err
people_list(struct qj_db *db, const char *scope_paths, const char *q,
    int64_t limit, int64_t offset, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, scope_paths);
	qj_p_str(&p, q);
	qj_p_i64(&p, limit);
	qj_p_i64(&p, offset);
	return (qj_db_exec(db, res, "SELECT " PERSON_COLS ", "
	    "count(*) OVER () FROM person p "
	    "LEFT JOIN unit hu ON hu.id = p.home_unit_id "
	    "WHERE (EXISTS (SELECT 1 FROM unnest($1::text[]) s "
	    "    WHERE hu.path LIKE s || '%') "
	    "  OR EXISTS (SELECT 1 FROM role_grant g JOIN unit u "
	    "    ON u.id = g.unit_id, unnest($1::text[]) s "
	    "    WHERE g.person_id = p.id AND g.revoked_at IS NULL "
	    "    AND u.path LIKE s || '%')) "
	    "AND ($2::text IS NULL OR p.login LIKE '%' || $2 || '%' "
	    "  OR p.iin LIKE '%' || $2 || '%' "
	    "  OR p.name_kk ILIKE '%' || $2 || '%' "
	    "  OR p.name_ru ILIKE '%' || $2 || '%' "
	    "  OR p.name_en ILIKE '%' || $2 || '%') "
	    "ORDER BY p.id LIMIT $3 OFFSET $4", &p, d));
}

enum qj_err
people_update(struct qj_db *db, int64_t id, const char *email,
    const char *kk, const char *ru, const char *en, int disabled,
    const char *password_hash, struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_str(&p, email);
	qj_p_str(&p, kk);
	qj_p_str(&p, ru);
	qj_p_str(&p, en);
	if (disabled < 0)
		qj_p_str(&p, NULL);
	else
		qj_p_bool(&p, disabled);
	err = qj_db_exec(db, NULL, "UPDATE person SET "
	    "email = coalesce($2, email), name_kk = coalesce($3, name_kk), "
	    "name_ru = coalesce($4, name_ru), name_en = coalesce($5, name_en), "
	    "disabled = coalesce($6::boolean, disabled) WHERE id = $1", &p, d);
	if (err != QJ_OK || password_hash == NULL)
		return (err);
	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_str(&p, password_hash);
	return (qj_db_exec(db, NULL, "INSERT INTO credential (person_id, "
	    "password_hash) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE "
	    "SET password_hash = $2, changed_at = now()", &p, d));
}

enum qj_err
people_logout_everywhere(struct qj_db *db, int64_t id, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_i64(&p, now);
	err = qj_db_exec(db, NULL, "UPDATE session SET revoked_at = "
	    "to_timestamp($2) WHERE person_id = $1 AND revoked_at IS NULL",
	    &p, d);
	if (err == QJ_OK)
		err = qj_db_exec(db, NULL, "UPDATE api_token SET revoked_at = "
		    "to_timestamp($2) WHERE person_id = $1 AND revoked_at IS "
		    "NULL", &p, d);
	return (err);
}

enum qj_err
grants_of(struct qj_db *db, int64_t person_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person_id);
	return (qj_db_exec(db, res, "SELECT g.id, g.role, g.unit_id, u.code, "
	    "u.path, to_char(g.granted_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM role_grant g "
	    "JOIN unit u ON u.id = g.unit_id WHERE g.person_id = $1 "
	    "AND g.revoked_at IS NULL ORDER BY g.id", &p, d));
}

enum qj_err
grant_add(struct qj_db *db, int64_t person_id, const char *role,
    int64_t unit_id, int64_t by, int64_t *grant_id, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person_id);
	qj_p_str(&p, role);
	qj_p_i64(&p, unit_id);
	p_id(&p, by);
	return (returning_id(db, "INSERT INTO role_grant (person_id, role, "
	    "unit_id, granted_by) VALUES ($1, $2, $3, $4) RETURNING id", &p,
	    grant_id, d));
}

enum qj_err
grant_get(struct qj_db *db, int64_t person_id, int64_t grant_id,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person_id);
	qj_p_i64(&p, grant_id);
	return (qj_db_exec(db, res, "SELECT g.id, g.role, u.path FROM "
	    "role_grant g JOIN unit u ON u.id = g.unit_id WHERE g.id = $2 "
	    "AND g.person_id = $1 AND g.revoked_at IS NULL", &p, d));
}

enum qj_err
grant_revoke(struct qj_db *db, int64_t grant_id, int64_t by, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, grant_id);
	qj_p_i64(&p, by);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "UPDATE role_grant SET revoked_by = $2, "
	    "revoked_at = to_timestamp($3) WHERE id = $1 AND revoked_at IS "
	    "NULL", &p, d));
}

int
role_exists(struct qj_db *db, const char *role)
{
	struct qj_params	 p;
	PGresult		*res;
	int			 n;

	qj_p_init(&p);
	qj_p_str(&p, role);
	if (qj_db_exec(db, &res, "SELECT 1 FROM role WHERE code = $1", &p,
	    NULL) != QJ_OK)
		return (0);
	n = PQntuples(res);
	PQclear(res);
	return (n == 1);
}

#define UNIT_COLS "id, org_id, parent_id, code, kind, name_kk, name_ru, " \
	"name_en, path"

enum qj_err
units_list(struct qj_db *db, PGresult **res, struct qj_diag *d)
{
	return (qj_db_exec(db, res, "SELECT " UNIT_COLS " FROM unit "
	    "ORDER BY path", NULL, d));
}

enum qj_err
unit_get(struct qj_db *db, int64_t id, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	return (qj_db_exec(db, res, "SELECT " UNIT_COLS " FROM unit "
	    "WHERE id = $1", &p, d));
}

enum qj_err
unit_by_code(struct qj_db *db, const char *code, int64_t *id, char path[192],
    struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_str(&p, code);
	err = qj_db_exec(db, &res, "SELECT id, path FROM unit WHERE code = $1",
	    &p, d);
	if (err != QJ_OK)
		return (err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return (qj_fail(d, QJ_ENOTFOUND, "unknown-unit", "unit",
		    "no unit with code \"%s\"", code));
	}
	*id = qj_db_i64(res, 0, 0);
	if (path != NULL)
		snprintf(path, 192, "%s", qj_db_str(res, 0, 1));
	PQclear(res);
	return (QJ_OK);
}

enum qj_err
unit_create(struct qj_db *db, int64_t org_id, int64_t parent_id,
    const char *code, const char *kind, const char *kk, const char *ru,
    const char *en, int64_t *id, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, org_id);
	p_id(&p, parent_id);
	qj_p_str(&p, code);
	qj_p_str(&p, kind);
	qj_p_str(&p, kk);
	qj_p_str(&p, ru);
	qj_p_str(&p, en);
	return (returning_id(db, "INSERT INTO unit (org_id, parent_id, code, "
	    "kind, name_kk, name_ru, name_en, path) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7, '') RETURNING id", &p, id, d));
}

enum qj_err
org_create(struct qj_db *db, const char *kind, const char *bin,
    const char *kk, const char *ru, const char *en, int64_t *id,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, kind);
	qj_p_str(&p, bin);
	qj_p_str(&p, kk);
	qj_p_str(&p, ru);
	qj_p_str(&p, en);
	return (returning_id(db, "INSERT INTO organisation (kind, bin, "
	    "name_kk, name_ru, name_en) VALUES ($1, $2, $3, $4, $5) "
	    "RETURNING id", &p, id, d));
}

enum qj_err
org_by_bin(struct qj_db *db, const char *bin, int64_t *id, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_str(&p, bin);
	err = qj_db_exec(db, &res, "SELECT id FROM organisation WHERE bin = $1",
	    &p, d);
	if (err != QJ_OK)
		return (err);
	if (PQntuples(res) != 1)
		err = qj_fail(d, QJ_ENOTFOUND, "unknown-organisation", "bin",
		    "no organisation with BIN %s", bin);
	else
		*id = qj_db_i64(res, 0, 0);
	PQclear(res);
	return (err);
}

enum qj_err
tokens_list(struct qj_db *db, int64_t person_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person_id);
	return (qj_db_exec(db, res, "SELECT id, name, "
	    "extract(epoch FROM created_at)::bigint, "
	    "extract(epoch FROM expires_at)::bigint, "
	    "extract(epoch FROM last_used_at)::bigint, "
	    "extract(epoch FROM revoked_at)::bigint FROM api_token "
	    "WHERE person_id = $1 ORDER BY id", &p, d));
}

enum qj_err
token_create(struct qj_db *db, int64_t person_id, const char *name,
    const char *token_hash, int64_t by, qj_time now, qj_time expires,
    int64_t *id, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person_id);
	qj_p_str(&p, name);
	qj_p_str(&p, token_hash);
	qj_p_i64(&p, by);
	qj_p_i64(&p, now);
	if (expires == 0)
		qj_p_str(&p, NULL);
	else
		qj_p_i64(&p, expires);
	return (returning_id(db, "INSERT INTO api_token (person_id, name, "
	    "token_hash, created_by, created_at, expires_at) VALUES ($1, $2, "
	    "$3, $4, to_timestamp($5), to_timestamp($6)) RETURNING id", &p,
	    id, d));
}

enum qj_err
token_revoke(struct qj_db *db, int64_t person_id, int64_t id, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, person_id);
	qj_p_i64(&p, id);
	qj_p_i64(&p, now);
	err = qj_db_exec(db, &res, "UPDATE api_token SET revoked_at = "
	    "to_timestamp($3) WHERE id = $2 AND person_id = $1 AND "
	    "revoked_at IS NULL RETURNING id", &p, d);
	if (err != QJ_OK)
		return (err);
	if (PQntuples(res) != 1)
		err = qj_fail(d, QJ_ENOTFOUND, "not-found", "id",
		    "no active token %lld", (long long)id);
	PQclear(res);
	return (err);
}
