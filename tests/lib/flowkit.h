/*
 * flowkit.h: steps of the workflows as the tests drive them through the
 * API with the demo users (tests/lib/harness.h) and their keys
 * (tests/lib/signer.h).  Each step asserts its own success with Check.
 */
#ifndef QJ_TEST_FLOWKIT_H
#define QJ_TEST_FLOWKIT_H

#include <stdint.h>

#include "tests/lib/http.h"

#define KIT_APPLICANT_IIN	"980412410006"

void	 kit_login_as(struct tclient *, const char *login);
void	 kit_set_clock(long long offset);
/* Uploads a small PDF; its SHA-256 into out. */
void	 kit_upload_pdf(struct tclient *, const char *tag, char out[65]);
/* An academic-leave application (JSON text, caller frees). */
char	*kit_leave_application(const char *ground, const char *start,
	    const char *end, const char *child_birth, const char *evidence_sha,
	    const char *kind);
/* Opens a leave case for the demo applicant; its id. */
int64_t	 kit_open_leave(struct tclient *app, const char *ground,
	    const char *start, const char *end);
void	 kit_expect_state(struct tclient *, int64_t id, const char *state);
/* Fires an event (signing when needed) and asserts 200. */
void	 kit_fire_ok(struct tclient *, const char *login, int64_t id,
	    const char *event, const char *extra);
/* submit, approve, confirm-record: the case waits for its order. */
void	 kit_approve_leave(struct tclient *app, struct tclient *dean,
	    struct tclient *reg, int64_t id);
/* A leave/return order listing the cases; its case id. */
int64_t	 kit_draft_order(struct tclient *reg, const int64_t *ids, int n);
/* Visas and the rector's signature: the order registered. */
void	 kit_sign_order(int64_t order);
/* A return-from-leave application naming the health certificate. */
char	*kit_return_application(const char *cert_sha);
/* A new case on leave until `end`; its id. */
int64_t	 kit_case_on_leave(const char *end);
/* The clock offset that puts "now" `delta` s after the instant a query
 * returns (epoch seconds). */
long long kit_offset_after(const char *due_sql, long long delta);
/* Waits up to `seconds` for the case to reach `state`; 1 when it did. */
int	 kit_wait_state(int64_t id, const char *state, int seconds);

#endif
