/*
 * Files compiled into the binary by tools/embed.sh.  The migrations are
 * embedded so that a server knows the exact schema it was built for and can
 * refuse a database that is newer than its code.
 */
#ifndef QJ_EMBEDDED_H
#define QJ_EMBEDDED_H

#include <stddef.h>

struct qj_embedded {
	const char	*name;	/* base name, e.g. "0001_accounts.sql" */
	const char	*data;	/* NUL-terminated contents */
	size_t		 len;	/* length without the NUL */
};

/* Sorted by name; terminated by an entry whose name is NULL. */
extern const struct qj_embedded qj_migrations[];

#endif
