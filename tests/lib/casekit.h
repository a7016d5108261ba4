/*
 * casekit.h: helpers for the integration tests of the workflows built on
 * the general engine features (reinstatement, tripartite contract,
 * appeal): the injected clock as absolute local times, sample form
 * documents with their particulars replaced, firing an event with a
 * document, event data and a reason (signing with the actor's key when the
 * event needs it), assigning participants, orders, deadlines and audit
 * events read back from the database.  Steps that must succeed assert
 * with Check.
 */
#ifndef QJ_TEST_CASEKIT_H
#define QJ_TEST_CASEKIT_H

#include <stdint.h>

#include "core/calendar.h"
#include "tests/lib/http.h"

/* Asia/Almaty (UTC+5) local time as an instant. */
qj_time		 cs_local(int y, int m, int d, int hh, int mm, int ss);
/* Sets the server's clock to `t` (the offset from the real time). */
void		 cs_set_now(qj_time t);
/* The server's "now" as last set (the real time when never set). */
qj_time		 cs_now(void);
/* The local date of `t` + `days` days, "YYYY-MM-DD" into out[11]. */
const char	*cs_date(qj_time t, int days, char out[11]);

/*
 * A sample of tests/data/forms with replacements (pairs, NULL ends the
 * list), every occurrence of each; caller frees.
 */
char		*cs_sample(const char *file, const char *const *from_to);
/* Every `from` in s replaced by `to`: a new string; s is freed. */
char		*cs_replace(char *s, const char *from, const char *to);

struct cs_event {
	const char	*doc_xml;	/* document_xml, or NULL */
	const char	*data;		/* a JSON object text, or NULL */
	const char	*reason;	/* or NULL */
	const char	*option;	/* a vote, or NULL */
};

/*
 * Fires `event` as `login` (logged in as `c`), signing with the login's
 * RSA key when the event needs it.  Returns the final HTTP status; *r
 * holds the last response (the caller frees it).
 */
long		 cs_fire(struct tclient *c, const char *login, int64_t id,
		    const char *event, const struct cs_event *ev,
		    struct tresp *r);
/* The same, asserting 200. */
void		 cs_fire_ok(struct tclient *c, const char *login, int64_t id,
		    const char *event, const struct cs_event *ev);
/* 1 when the response is a problem of `status`, `slug` and `field`
 * (field NULL: any) whose detail contains `cite` (NULL: any). */
int		 cs_refused(const struct tresp *, long status, const char *slug,
		    const char *field, const char *cite);

/* Logs the client in again if its session has expired (clock moved). */
void		 cs_relogin(struct tclient *c, const char *login);
/* Opens a case: POST /api/cases with the body given; its id. */
int64_t		 cs_open(struct tclient *c, const char *body);
/* POST /api/cases/{id}/participants as `as` (logged in as c): assigns
 * `login` in `capacity`; the HTTP status, *r kept. */
long		 cs_assign(struct tclient *c, const char *as, int64_t id,
		    const char *login, const char *capacity, struct tresp *r);
void		 cs_assign_ok(struct tclient *c, const char *as, int64_t id,
		    const char *login, const char *capacity);
int64_t		 cs_person(const char *login);
const char	*cs_state(int64_t id, char out[64]);
void		 cs_expect(int64_t id, const char *state);

/* Drafts an order of `series` listing the cases and signs it (visas,
 * rector); the order case's id.  Each listed learner acknowledges. */
int64_t		 cs_order(const char *series, const int64_t *ids, int n,
		    const char *title_kk, const char *const *ackers);

/* A deadline's due instant (0: none), and its state ("" if none). */
qj_time		 cs_due(int64_t id, const char *name);
const char	*cs_deadline_state(int64_t id, const char *name, char out[16]);
/* Audit events of the case named `action`. */
int64_t		 cs_audit_count(int64_t id, const char *action);
/* Waits up to `seconds` for a deadline to leave "pending"; 1 if it did. */
int		 cs_wait_deadline(int64_t id, const char *name, int seconds);
/* The due instant of `rule` counted from `start` on the database's
 * calendar (the same arithmetic the server must have used). */
qj_time		 cs_expected_due(const char *rule, qj_time start);
/* Waits up to `seconds` for the case's sealed archive; 1 when it is. */
int		 cs_wait_sealed(int64_t id, int seconds);
/* A case variable (text) into out, "" if none. */
const char	*cs_var(int64_t id, const char *name, char *out, size_t len);

#endif
