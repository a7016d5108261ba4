/*
 * migrate.h: schema migrations compiled into the binary (core/embedded.h).
 *
 * Migration N is the file migrations/NNNN_name.sql.  Each is applied in its
 * own transaction and recorded in schema_migration with its SHA-256; a
 * rerun applies nothing.  Concurrent migrators serialise on an advisory
 * lock.  A database that records a migration this code does not have, or
 * whose recorded hash differs from the embedded file, is refused.
 */
#ifndef QJ_MIGRATE_H
#define QJ_MIGRATE_H

#include "core/qj.h"
#include "store/db.h"

/* The highest migration number compiled in. */
int		qj_migrate_code_version(void);

/*
 * The highest migration applied to the database (0 for an empty one).
 * QJ_ECONFLICT "schema-too-new" when the database is newer than the code or
 * an applied migration's hash differs.
 */
enum qj_err	qj_migrate_check(struct qj_db *, int *db_version, struct qj_diag *);

/* Applies every pending migration; *applied receives how many. */
enum qj_err	qj_migrate_apply(struct qj_db *, int *applied, struct qj_diag *);

#endif
