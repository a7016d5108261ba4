/*
 * cases.h: SQL for cases and everything that hangs off them — definitions
 * kept per version, documents, signatures, parallel steps, votes,
 * participants, links (orders and the cases they list), deadlines, the
 * inbox, idempotency keys, registration counters and signing preparations.
 *
 * The caller owns the transaction.  Functions that return rows return a
 * PGresult with the columns stated; the caller frees it.  Times are
 * qj_time seconds (UTC) unless a name says usec.
 */
#ifndef QJ_STORE_CASES_H
#define QJ_STORE_CASES_H

#include <stdint.h>

#include "core/clock.h"
#include "core/qj.h"
#include "store/db.h"

struct case_row {
	int64_t	id;
	char	workflow[48];
	int	wf_version;
	int64_t	unit_id;
	char	unit_path[192];
	int64_t	applicant_id;		/* 0: none */
	int64_t	parent_id;		/* 0: none */
	char	state[48];
	int	version;
	int	round;
	int	terminal;
	char	*vars;			/* owned: JSON object text */
	char	series[48];		/* "" unless registered */
	int	reg_year, reg_number;
	char	reg_date[11];
	char	created_at[21], updated_at[21];
};

void		case_row_free(struct case_row *);

/* Records definition (id, version) or checks that its bytes did not change. */
enum qj_err	cases_def_register(struct qj_db *, const char *id, int version,
		    const char *sha256, const char *source, size_t len,
		    struct qj_diag *);
/* source */
enum qj_err	cases_def_source(struct qj_db *, const char *id, int version,
		    PGresult **, struct qj_diag *);

struct case_new {
	const char	*workflow;
	int		 wf_version;
	int64_t		 unit_id;
	int64_t		 applicant_id;	/* 0: none */
	int64_t		 opened_by;	/* 0: the system */
	int64_t		 parent_id;	/* 0: none */
	const char	*state;
	const char	*vars;		/* JSON object */
	qj_time		 now;
};
enum qj_err	case_insert(struct qj_db *, const struct case_new *,
		    int64_t *id, struct qj_diag *);
/* QJ_ENOTFOUND "not-found" when there is no such case. */
enum qj_err	case_lock(struct qj_db *, int64_t id, struct case_row *,
		    struct qj_diag *);
enum qj_err	case_get(struct qj_db *, int64_t id, struct case_row *,
		    struct qj_diag *);
enum qj_err	case_update(struct qj_db *, const struct case_row *,
		    qj_time now, struct qj_diag *);
enum qj_err	case_register(struct qj_db *, int64_t id, const char *series,
		    int year, int number, const char *date, struct qj_diag *);
/* The next number of (series, year), gap-free within the transaction. */
enum qj_err	counter_next(struct qj_db *, const char *series, int year,
		    int *number, struct qj_diag *);

/* Documents. */
enum qj_err	doc_put(struct qj_db *, const char *sha256, const char *form,
		    const void *bytes, size_t len, struct qj_diag *);
/* Adds a version of `role` (superseding the latest); *cd_id, *version. */
enum qj_err	case_doc_add(struct qj_db *, int64_t case_id, const char *role,
		    const char *sha256, int64_t by, qj_time now,
		    int64_t *cd_id, int *version, struct qj_diag *);
/* Latest version of role: id, version, sha256, form, bytes (text). */
enum qj_err	case_doc_current(struct qj_db *, int64_t case_id,
		    const char *role, PGresult **, struct qj_diag *);
/* All: id, role, version, sha256, form, supersedes, created_by, created_at. */
enum qj_err	case_docs(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
/* One stored document: form, bytes. */
enum qj_err	doc_get(struct qj_db *, const char *sha256, PGresult **,
		    struct qj_diag *);

struct signature_new {
	int64_t		 case_id;
	int64_t		 case_document_id;
	int64_t		 signer_id;
	const char	*commitment;
	const char	*signer_role;
	const char	*event;
	qj_time		 signing_time;
	const char	*cert_sha256;
	const char	*cert_subject;
	const void	*xml;
	size_t		 xml_len;
	qj_time		 now;
};
enum qj_err	signature_add(struct qj_db *, const struct signature_new *,
		    int64_t *id, char xml_sha256[65], struct qj_diag *);
/* id, case_document_id, signer_id, login, commitment, signer_role, event,
 * signing_time, cert_subject, xml_sha256, document sha256, role, version */
enum qj_err	signatures_of(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);

/* Steps and votes of a round: step_id, person_id / person_id, option. */
enum qj_err	steps_of(struct qj_db *, int64_t case_id, int round,
		    const char *parallel_id, PGresult **, struct qj_diag *);
enum qj_err	step_add(struct qj_db *, int64_t case_id, int round,
		    const char *parallel_id, const char *step_id,
		    int64_t person, int64_t signature_id, qj_time now,
		    struct qj_diag *);
enum qj_err	votes_of(struct qj_db *, int64_t case_id, int round,
		    const char *vote_id, PGresult **, struct qj_diag *);
enum qj_err	vote_add(struct qj_db *, int64_t case_id, int round,
		    const char *vote_id, int64_t person, const char *option,
		    qj_time now, struct qj_diag *);

/* Participants: person_id, capacity, login. */
enum qj_err	participants_of(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
enum qj_err	participant_add(struct qj_db *, int64_t case_id,
		    int64_t person, const char *capacity, int64_t by,
		    qj_time now, struct qj_diag *);

/* Links from an order: to_case, item_no, event, item, applicant_id. */
enum qj_err	links_from(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
/* Orders that list a case: from_case, state, terminal, registered. */
enum qj_err	links_to(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
enum qj_err	link_add(struct qj_db *, int64_t from, int64_t to, int item_no,
		    const char *event, const char *item_json, struct qj_diag *);

struct deadline_new {
	int64_t		 case_id;
	const char	*name;
	const char	*title_kk, *title_ru, *title_en;
	qj_time		 due;
	const char	*rule;
	const char	*cite;
	const char	*on_expiry;
	qj_time		 now;
};
/* Replaces a pending deadline of the same name. */
enum qj_err	deadline_set(struct qj_db *, const struct deadline_new *,
		    struct qj_diag *);
enum qj_err	deadline_cancel(struct qj_db *, int64_t case_id,
		    const char *name, qj_time now, struct qj_diag *);
/* name, titles kk ru en, due (epoch), rule, cite, on_expiry, state */
enum qj_err	deadlines_of(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
/*
 * Claims up to `limit` pending deadlines due at `now` that nobody else has
 * claimed (FOR UPDATE SKIP LOCKED): id, case_id, name, on_expiry.  Must run
 * in a transaction; the rows stay locked until it ends.
 */
enum qj_err	deadline_claim(struct qj_db *, qj_time now, int limit,
		    PGresult **, struct qj_diag *);
enum qj_err	deadline_close(struct qj_db *, int64_t id, const char *state,
		    qj_time now, struct qj_diag *);
/* The earliest pending due time of a case (0: none). */
enum qj_err	deadline_next(struct qj_db *, int64_t case_id, qj_time *due,
		    struct qj_diag *);

/* The inbox index. */
struct pending_row {
	const char	*role;		/* or NULL */
	int64_t		 person_id;	/* or 0 */
	const char	*event;
};
/* Replaces the case's inbox rows (due: its earliest pending deadline). */
enum qj_err	pending_replace(struct qj_db *, int64_t case_id,
		    const char *unit_path, const struct pending_row *, int n,
		    qj_time since, struct qj_diag *);
/*
 * Cases waiting for `person` directly or through a role grant (grants as
 * two parallel PostgreSQL array literals: roles and unit ids), ordered by
 * due time (none last) then case id, after the cursor (due, id) where due
 * 9223372036 stands for "no deadline": case_id, workflow, state, due
 * (epoch or null), since (epoch), events (comma-separated), version,
 * applicant_id, cursor due.
 */
enum qj_err	inbox(struct qj_db *, int64_t person, const char *roles,
		    const char *units, qj_time after_due, int64_t after_id,
		    int limit, PGresult **, struct qj_diag *);

/* Idempotency: status, body of an earlier response, if any. */
enum qj_err	idem_get(struct qj_db *, int64_t person, const char *key,
		    PGresult **, struct qj_diag *);
enum qj_err	idem_put(struct qj_db *, int64_t person, const char *key,
		    const char *request_sha256, int status, const char *body,
		    size_t len, qj_time now, struct qj_diag *);

/* Two-phase signing. */
struct prepare_new {
	const char	*id_hash;
	int64_t		 case_id;
	int		 case_version;
	const char	*event;
	int64_t		 person_id;
	int64_t		 case_document_id;	/* 0 when `document` */
	const char	*document;		/* a new document, or NULL */
	const char	*commitment;
	const char	*skeleton;
	size_t		 skeleton_len;
	qj_time		 now, expires;
};
enum qj_err	prepare_put(struct qj_db *, const struct prepare_new *,
		    struct qj_diag *);
/*
 * Takes (marks used) a live preparation of this person and case:
 * case_version, event, case_document_id (null for a new document),
 * commitment, skeleton (text), document (text, or null).
 * Zero rows when unknown, used, expired or someone else's.
 */
enum qj_err	prepare_take(struct qj_db *, const char *id_hash, int64_t person,
		    int64_t case_id, qj_time now, PGresult **, struct qj_diag *);

/* Cases of an applicant, newest first: id, workflow, state, updated_at. */
enum qj_err	cases_of_applicant(struct qj_db *, int64_t person, int limit,
		    int64_t before_id, PGresult **, struct qj_diag *);

/* Attachments: the file itself is in the blob store (store/blobs.h). */
enum qj_err	attachment_record(struct qj_db *, const char *sha256,
		    const char *media_type, size_t size, int64_t person,
		    const char *file_name, qj_time now, struct qj_diag *);
/*
 * Links an attachment named by a document of the case: it must already be
 * the case's, or have been uploaded by `person`; QJ_EUNPROC
 * "unknown-attachment" otherwise.
 */
enum qj_err	attachment_link(struct qj_db *, int64_t case_id,
		    const char *sha256, int64_t person, int64_t case_doc_id,
		    qj_time now, struct qj_diag *);
/* sha256, media_type, size, file_name (of the first upload), linked_at */
enum qj_err	attachments_of(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
/* media_type, size if `sha256` belongs to the case (zero rows otherwise) */
enum qj_err	attachment_of_case(struct qj_db *, int64_t case_id,
		    const char *sha256, PGresult **, struct qj_diag *);

/* Queues a terminal case for sealing (once; a second call does nothing). */
enum qj_err	seal_queue(struct qj_db *, int64_t case_id, qj_time now,
		    struct qj_diag *);

/* The calendar: exceptions (day, working) and zone rules (from, minutes). */
enum qj_err	calendar_rows(struct qj_db *, PGresult **days, PGresult **zones,
		    struct qj_diag *);

#endif
