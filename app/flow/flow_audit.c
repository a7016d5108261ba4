/*
 * flow_audit.c: case actions into the audit chain (see flow_audit.h).
 */
#include <stdlib.h>

#include <jansson.h>

#include "core/audit.h"
#include "flow/flow_audit.h"
#include "store/audit.h"

enum qj_err
flow_audit(struct flow_env *env, const struct flow_actor *a, int64_t case_id,
    const char *action, const char *before, const char *after,
    const char *const *docs, int ndocs, const char *key, const char *value,
    struct qj_diag *d)
{
	struct audit_in	 in;
	char		 stream[AUDIT_STREAM_MAX], hash[AUDIT_HASH_HEX + 1];
	char		*detail = NULL;
	json_t		*o;
	enum qj_err	 err;

	audit_stream_of_case(case_id, stream);
	if (key != NULL && value != NULL) {
		o = json_pack("{s:s}", key, value);
		detail = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
	}
	in.stream = stream;
	in.at = qj_now_usec();
	in.actor_id = a->system ? 0 : a->person_id;
	in.actor_login = a->system ? "system" : a->login;
	in.action = action;
	in.state_before = before;
	in.state_after = after;
	in.docs = docs;
	in.ndocs = (size_t)ndocs;
	in.request_id = env->request_id;
	in.address = env->address;
	in.detail = detail;
	err = audit_append(env->db, &in, hash, d);
	free(detail);
	return (err);
}
