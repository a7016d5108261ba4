/*
 * people.h: people, organisations, units, role grants and API tokens.
 *
 * The caller owns the transaction and has already validated and authorised
 * the input; the database constraints catch anything that slips through.
 * Results are returned as PGresult for the handler to render; the column
 * order is stated at each function.
 */
#ifndef QJ_STORE_PEOPLE_H
#define QJ_STORE_PEOPLE_H

#include <stdint.h>

#include "core/clock.h"
#include "core/qj.h"
#include "store/db.h"

struct person_in {
	const char	*iin;
	const char	*login;
	const char	*name_kk, *name_ru, *name_en;
	const char	*email;		/* may be NULL */
	int64_t		 org_id;	/* 0: none */
	int64_t		 home_unit_id;	/* 0: none */
	const char	*password_hash;	/* NULL: no password login */
};

enum qj_err	people_create(struct qj_db *, const struct person_in *,
		    int64_t *id, struct qj_diag *);

/*
 * One person: id, iin, login, name_kk, name_ru, name_en, email, org_id,
 * home_unit_id, home unit path, disabled, created_at.  Zero rows if none.
 */
enum qj_err	people_get(struct qj_db *, int64_t id, PGresult **,
		    struct qj_diag *);

/*
 * People visible to an administrator whose scopes are the unit paths in
 * `scope_paths` (a PostgreSQL text array literal, e.g. {"/1/","/7/"}):
 * those whose home unit or any active grant lies in a scope.  Optional
 * substring `q` on login, IIN or names.  Same columns as people_get, plus
 * the total count in the last column.
 */
enum qj_err	people_list(struct qj_db *, const char *scope_paths,
		    const char *q, int64_t limit, int64_t offset, PGresult **,
		    struct qj_diag *);

/* Any of the fields may be NULL (unchanged); disabled < 0 is unchanged. */
enum qj_err	people_update(struct qj_db *, int64_t id, const char *email,
		    const char *name_kk, const char *name_ru,
		    const char *name_en, int disabled,
		    const char *password_hash, struct qj_diag *);
/* Revokes every session and API token of the person. */
enum qj_err	people_logout_everywhere(struct qj_db *, int64_t id, qj_time,
		    struct qj_diag *);

/* Active grants: id, role, unit_id, unit code, unit path, granted_at. */
enum qj_err	grants_of(struct qj_db *, int64_t person_id, PGresult **,
		    struct qj_diag *);
enum qj_err	grant_add(struct qj_db *, int64_t person_id, const char *role,
		    int64_t unit_id, int64_t by, int64_t *grant_id,
		    struct qj_diag *);
/* Grant (id, role, unit path) if active and belonging to the person. */
enum qj_err	grant_get(struct qj_db *, int64_t person_id, int64_t grant_id,
		    PGresult **, struct qj_diag *);
enum qj_err	grant_revoke(struct qj_db *, int64_t grant_id, int64_t by,
		    qj_time, struct qj_diag *);
int		role_exists(struct qj_db *, const char *role);

/* Units: id, org_id, parent_id, code, kind, name_kk, name_ru, name_en, path. */
enum qj_err	units_list(struct qj_db *, PGresult **, struct qj_diag *);
enum qj_err	unit_get(struct qj_db *, int64_t id, PGresult **,
		    struct qj_diag *);
enum qj_err	unit_by_code(struct qj_db *, const char *code, int64_t *id,
		    char path[192], struct qj_diag *);
enum qj_err	unit_create(struct qj_db *, int64_t org_id, int64_t parent_id,
		    const char *code, const char *kind, const char *kk,
		    const char *ru, const char *en, int64_t *id,
		    struct qj_diag *);
enum qj_err	org_create(struct qj_db *, const char *kind, const char *bin,
		    const char *kk, const char *ru, const char *en,
		    int64_t *id, struct qj_diag *);
enum qj_err	org_by_bin(struct qj_db *, const char *bin, int64_t *id,
		    struct qj_diag *);

/* Tokens: id, name, created_at, expires_at, last_used_at, revoked_at. */
enum qj_err	tokens_list(struct qj_db *, int64_t person_id, PGresult **,
		    struct qj_diag *);
enum qj_err	token_create(struct qj_db *, int64_t person_id,
		    const char *name, const char *token_hash, int64_t by,
		    qj_time now, qj_time expires, int64_t *id,
		    struct qj_diag *);
/* QJ_ENOTFOUND unless an active token `id` belongs to the person. */
enum qj_err	token_revoke(struct qj_db *, int64_t person_id, int64_t id,
		    qj_time, struct qj_diag *);

#endif
