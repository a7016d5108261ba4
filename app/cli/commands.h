/*
 * commands.h: the subcommands of the `qujat` command-line tool.  Each takes
 * the argument vector starting at its own name and returns the process exit
 * status: 0 success, 1 the operation failed or found a problem, 2 usage.
 */
#ifndef QJ_CLI_COMMANDS_H
#define QJ_CLI_COMMANDS_H

#include <stddef.h>

#include "core/qj.h"

int	cmd_migrate(int, char **);
int	cmd_seed_demo(int, char **);
int	cmd_bootstrap(int, char **);
int	cmd_org_add(int, char **);
int	cmd_export(int, char **);
int	cmd_hash_password(int, char **);
int	cmd_verify_signature(int, char **);
int	cmd_sign(int, char **);
int	cmd_verify_audit(int, char **);
int	cmd_verify_archive(int, char **);

/* The value after the option `name` ("--db"), or NULL. */
const char	*cli_opt(int argc, char **argv, const char *name);

/* Reads at most `max` bytes of a file into a NUL-terminated buffer. */
struct qj_buf;
struct qj_diag;
enum qj_err	cli_read_file(const char *path, size_t max, struct qj_buf *,
		    struct qj_diag *);
/* A password or token file: its bytes less one trailing LF or CRLF. */
enum qj_err	cli_read_secret(const char *path, size_t max, struct qj_buf *,
		    struct qj_diag *);
/* Wipes and frees a secret read by cli_read_secret(). */
void		cli_secret_free(struct qj_buf *);

/* Opens the database named by --db or QUJAT_DB; prints why not. */
struct qj_db;
struct qj_db	*cli_db_open(const char *dsn_arg);

#endif
