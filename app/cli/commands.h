/*
 * commands.h: the subcommands of the `qujat` command-line tool.  Each takes
 * the argument vector starting at its own name and returns the process exit
 * status: 0 success, 1 the operation failed or found a problem, 2 usage.
 */
#ifndef QJ_CLI_COMMANDS_H
#define QJ_CLI_COMMANDS_H

int	cmd_migrate(int, char **);
int	cmd_seed_demo(int, char **);
int	cmd_hash_password(int, char **);
int	cmd_verify_signature(int, char **);
int	cmd_sign(int, char **);
int	cmd_verify_audit(int, char **);
int	cmd_verify_archive(int, char **);

/* Opens the database named by --db or QUJAT_DB; prints why not. */
struct qj_db;
struct qj_db	*cli_db_open(const char *dsn_arg);

#endif
