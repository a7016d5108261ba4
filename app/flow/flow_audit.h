/*
 * flow_audit.h: the audit event of a case action, appended to the case's
 * hash chain ("case:<id>") inside the caller's transaction.
 */
#ifndef QJ_FLOW_AUDIT_H
#define QJ_FLOW_AUDIT_H

#include "flow/flow.h"

/*
 * action: the event ("submit", "endorse", "open"...); docs: SHA-256 hex of
 * the documents and signatures the action stored; an optional detail
 * member `key` = `value` (both NULL for none).
 */
enum qj_err	flow_audit(struct flow_env *, const struct flow_actor *,
		    int64_t case_id, const char *action, const char *before,
		    const char *after, const char *const *docs, int ndocs,
		    const char *key, const char *value, struct qj_diag *);

#endif
