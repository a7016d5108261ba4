/*
 * cmd_audit.c: `qujat verify-audit`, the operator's check of the audit
 * chains in the database.
 *
 *	qujat verify-audit [--db DSN] [--stream S | --case ID] [--verbose]
 *
 * Recomputes every event's hash from its canonical form (core/audit.h),
 * checks each link and each stream's head (store/audit.h), and prints one
 * line per broken stream (per stream with --verbose) and a verdict.  Exit
 * status: 0 every chain verifies, 1 a chain is broken (the first broken
 * stream and seq are named) or the database failed, 2 usage.  Reads only;
 * safe to run against a live server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/audit.h"
#include "store/audit.h"
#include "store/db.h"

static void
print_broken(const struct audit_verify *v)
{
	printf("BROKEN stream %s at seq %lld: %s: %s\n", v->stream,
	    (long long)v->fault_seq, audit_fault_slug(v->fault), v->why);
}

static void
print_stream(const struct audit_verify *v, void *arg)
{
	const int	*verbose = arg;

	if (v->fault != AUDIT_F_NONE)
		print_broken(v);
	else if (*verbose)
		printf("ok     stream %s: %lld events, head seq %lld\n",
		    v->stream, (long long)v->events, (long long)v->head_seq);
}

static int
usage(void)
{
	fprintf(stderr, "usage: qujat verify-audit [--db DSN] "
	    "[--stream S | --case ID] [--verbose]\n");
	return (2);
}

static int
verify_one(struct qj_db *db, const char *stream)
{
	struct audit_verify	v;
	struct qj_diag		d;

	if (audit_verify_stream(db, stream, &v, &d) != QJ_OK) {
		fprintf(stderr, "qujat: verify-audit: %s\n", d.detail);
		return (1);
	}
	if (v.fault != AUDIT_F_NONE) {
		print_broken(&v);
		printf("qujat: verify-audit: stream %s is BROKEN at seq %lld "
		    "(%s)\n", v.stream, (long long)v.fault_seq,
		    audit_fault_slug(v.fault));
		return (1);
	}
	printf("qujat: verify-audit: stream %s: %lld events, head seq %lld: "
	    "the chain verifies\n", v.stream, (long long)v.events,
	    (long long)(v.has_head ? v.head_seq : 0));
	return (0);
}

static int
verify_every(struct qj_db *db, int verbose)
{
	struct audit_summary	s;
	struct qj_diag		d;

	if (audit_verify_all(db, print_stream, &verbose, &s, &d) != QJ_OK) {
		fprintf(stderr, "qujat: verify-audit: %s\n", d.detail);
		return (1);
	}
	if (s.broken > 0) {
		printf("qujat: verify-audit: %lld streams, %lld BROKEN; first "
		    "broken: stream %s at seq %lld (%s)\n",
		    (long long)s.streams, (long long)s.broken, s.first.stream,
		    (long long)s.first.fault_seq,
		    audit_fault_slug(s.first.fault));
		return (1);
	}
	printf("qujat: verify-audit: %lld streams, %lld events: every chain "
	    "verifies\n", (long long)s.streams, (long long)s.events);
	return (0);
}

int
cmd_verify_audit(int argc, char **argv)
{
	const char	*dsn = NULL, *stream = NULL, *cid = NULL;
	char		 buf[AUDIT_STREAM_MAX], *end;
	struct qj_db	*db;
	long long	 id;
	int		 i, verbose = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--db") == 0)
			dsn = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--stream") == 0)
			stream = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--case") == 0)
			cid = argv[++i];
		else
			return (usage());
	}
	if (stream != NULL && cid != NULL)
		return (usage());
	if (cid != NULL) {
		id = strtoll(cid, &end, 10);
		if (*cid == '\0' || *end != '\0' || id <= 0) {
			fprintf(stderr, "qujat: --case needs a case id\n");
			return (2);
		}
		audit_stream_of_case(id, buf);
		stream = buf;
	}
	if (stream != NULL && audit_stream_check(stream, NULL, NULL) != QJ_OK) {
		fprintf(stderr, "qujat: --stream must be case:<id>, accounts, "
		    "calendar or system\n");
		return (2);
	}
	if ((db = cli_db_open(dsn)) == NULL)
		return (1);
	rc = stream != NULL ? verify_one(db, stream) : verify_every(db,
	    verbose);
	qj_db_free(db);
	return (rc);
}
