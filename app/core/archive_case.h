/*
 * archive_case.h: sealed case archives, part 2 — the package of one case
 * and the offline verifier (SPEC section 4; layout in docs/archive.md).
 * No database and no Kore: app/store/archive.c fills a struct qj_arc_case
 * from PostgreSQL and the blob store; `qujat verify-archive`, the server's
 * POST /api/archive/verify and the tests call qj_arc_verify().
 *
 * PACKAGE (besides what archive.h's sealed package adds):
 *	README.txt			how to verify, in kk, ru and en
 *	case.xml			metadata (namespace QJ_ARC_CASE_NS)
 *	workflow/<id>-v<n>.xml		the definition the case ran on
 *	documents/<sha256>.xml		every document version, exact bytes
 *	attachments/<sha256>.<ext>	every attachment
 *	META-INF/signatures-<n>.xml	every stored signature, exact bytes
 *	audit/events.jsonl		the case's audit stream, canonical lines
 *	audit/head.json			{"hash","seq","stream"} of that stream
 *	META-INF/trust/{anchors,chain,crls}/NAME.pem  the sealer's trust store
 *
 * Documents and signatures of the orders that list the case travel with it
 * (case.xml names the case each belongs to), so an auditor can check the
 * order that moved a learner from the learner's package alone.
 *
 * VERIFIER.  qj_arc_verify() reads the package through qj_zip_read() (its
 * limits and name rules) and checks, recording one finding per fault:
 *   zip        the container is readable within the limits
 *   mimetype   first entry, stored, no extra field, exact media type
 *   sums       SHA256SUMS lists every entry but itself and the seal,
 *              nothing else, and every hash matches
 *   manifest   META-INF/manifest.xml lists exactly the data files
 *   case       case.xml parses; files it names exist and nothing unnamed
 *              is in documents/, attachments/ or META-INF/signatures-*;
 *              the workflow file's hash; the history equals the audit
 *              events (seq, time, action, actor, states), the final state
 *              is the last event's, every document and signature of the
 *              case appears in an event and every hash an event names is
 *              in the package
 *   audit      the chain of audit/events.jsonl (core/audit.h) ends at the
 *              head of audit/head.json; each line is its event's
 *              canonical form
 *   trust      the package's chain and CRLs load under the caller's
 *              anchors
 *   signature  every signature verifies under the server's policy
 *              (xades.h) at its SigningTime with the package's CRLs and
 *              the caller's anchors, over the document case.xml names,
 *              by the certificate, person and commitment case.xml names
 *   seal       META-INF/signatures-seal.xml verifies the same way over
 *              every entry but mimetype and itself, by the certificate
 *              case.xml names
 * The verdict holds only when there is no finding.
 */
#ifndef QJ_ARCHIVE_CASE_H
#define QJ_ARCHIVE_CASE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/archive.h"
#include "core/buf.h"
#include "core/qj.h"

#define QJ_ARC_CASE_NS		"urn:qujat:archive:case:1"
#define QJ_ARC_FORMAT		1
#define QJ_ARC_EVENTS_NAME	"audit/events.jsonl"
#define QJ_ARC_HEAD_NAME	"audit/head.json"

/* Strings are UTF-8, borrowed from the caller; NULL means absent. */
struct qj_arc_names {
	const char	*kk, *ru, *en;
};

struct qj_arc_doc {			/* one document version */
	int64_t		 case_id;	/* this case, or an order listing it */
	const char	*role;
	int		 version;
	const char	*form;
	const char	*sha256;	/* 64 lower-case hex */
	const char	*created_at;	/* RFC 3339 UTC */
	const char	*created_by;	/* login, or NULL */
	const void	*bytes;
	size_t		 len;
};

struct qj_arc_sig {			/* one stored signature */
	int64_t		 case_id;
	const char	*document;	/* sha256 of the signed document */
	const char	*event;
	const char	*commitment;	/* approval, origin, receipt */
	const char	*signer_login;
	const char	*signer_iin;
	const char	*signer_role;
	const char	*signing_time;	/* RFC 3339 UTC */
	const char	*cert_sha256;
	const void	*xml;
	size_t		 len;
};

struct qj_arc_att {			/* one attachment */
	const char	*sha256;
	const char	*media_type;	/* application/pdf, image/jpeg, image/png */
	const char	*file_name;
	const char	*linked_at;
	const void	*bytes;
	size_t		 len;
};

struct qj_arc_deadline {
	const char		*name;
	struct qj_arc_names	 title;
	const char		*due, *rule, *cite, *on_expiry, *state;
	const char		*set_at, *closed_at;
};

struct qj_arc_order {			/* an order that lists this case */
	int64_t		 case_id;
	const char	*state, *series, *reg_date;
	int		 reg_year, reg_number;	/* 0: not registered */
	int		 item_no;
	const char	*event, *item_json;
};

struct qj_arc_listed {			/* a case this order lists */
	int64_t		 case_id;
	int		 item_no;
	const char	*event, *item_json;
	const char	*workflow, *state, *applicant_iin;
};

struct qj_arc_party {
	const char	*login, *iin, *capacity, *assigned_at;
};

struct qj_arc_case {
	int64_t			 id;
	const char		*workflow;
	int			 wf_version;
	const char		*wf_sha256;
	const void		*wf_source;
	size_t			 wf_len;
	const char		*unit_path, *unit_code;
	const char		*applicant_iin;		/* NULL: none */
	struct qj_arc_names	 applicant_name;
	const char		*state;			/* final */
	int			 version;
	const char		*created_at, *closed_at;
	const char		*series, *reg_date;	/* orders */
	int			 reg_year, reg_number;
	int			 retention_years;
	const char		*retain_until;		/* YYYY-MM-DD */
	const char		*retention_rule;	/* the rule's key */
	const char		*retention_basis;	/* its citation */
	struct qj_arc_doc	*docs;
	size_t			 ndocs;
	struct qj_arc_sig	*sigs;
	size_t			 nsigs;
	struct qj_arc_att	*atts;
	size_t			 natts;
	struct qj_arc_deadline	*deadlines;
	size_t			 ndeadlines;
	struct qj_arc_order	*orders;
	size_t			 norders;
	struct qj_arc_listed	*listed;
	size_t			 nlisted;
	struct qj_arc_party	*parties;
	size_t			 nparties;
	const char		*audit_jsonl;	/* audit_export_stream() */
	size_t			 audit_len;
	int64_t			 head_seq;	/* 0: no head */
	const char		*head_hash;
};

/*
 * Builds and seals the package of `c` with the sealer's key at `when`:
 * `zip` receives the container, sha256_hex its SHA-256.  QJ_EINVAL with
 * "archive-input" naming the member for data that cannot be packaged (a
 * hash that is not 64 hex digits, a signature of an unknown document...),
 * the errors of qj_arc_pkg_seal(), QJ_ENOMEM.
 */
enum qj_err	 qj_arc_case_package(const struct qj_arc_case *,
		    const struct qj_arc_sealer *, time_t when,
		    struct qj_buf *zip, char sha256_hex[QJ_SHA256_HEX_LEN + 1],
		    struct qj_diag *);

/* --- verification ------------------------------------------------------------ */

struct qj_arc_vopts {
	const char *const	*anchors;	/* trust anchor paths (PEM file or
						   directory); at least one */
	size_t			 nanchors;
	const char *const	*crls;		/* extra CRL paths, or none */
	size_t			 ncrls;
	const char		*scratch;	/* a writable directory for the
						   package's chain and CRLs while
						   they load (removed after) */
	time_t			 now;		/* 0: time(NULL) */
};

struct qj_arc_finding {
	char	check[16];	/* zip, mimetype, sums, manifest, case, audit,
				   trust, signature, seal */
	char	subject[224];	/* the file, "seq N", or "" */
	char	detail[512];
};

struct qj_arc_report {
	struct qj_arc_finding	*f;		/* owned */
	size_t			 nf, capf;
	int64_t			 case_id;	/* from case.xml; 0 if unknown */
	char			 workflow[64];
	char			 state[64];
	size_t			 entries;	/* in the container */
	size_t			 signatures;	/* user signatures checked */
	size_t			 signatures_ok;
	int64_t			 events;	/* audit events that chain */
	int			 seal_ok;
	char			 seal_signer[1024];
	time_t			 sealed_at;
	char			 sha256[QJ_SHA256_HEX_LEN + 1];	/* of the zip */
};

/*
 * Verifies a package (see the list at the top).  QJ_OK when the checks ran:
 * the verdict is rep->nf == 0.  QJ_EINVAL "usage" for options that cannot
 * be used (no anchor, an unreadable anchor file), QJ_ENOMEM, QJ_EIO for a
 * scratch directory that cannot be written.  qj_arc_report_free() after.
 */
enum qj_err	 qj_arc_verify(const void *zip, size_t len,
		    const struct qj_arc_vopts *, struct qj_arc_report *,
		    struct qj_diag *);
void		 qj_arc_report_free(struct qj_arc_report *);

#endif
