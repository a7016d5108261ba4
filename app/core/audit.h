/*
 * audit.h: the canonical form of an audit event, its chained hash, and a
 * verifier over an ordered sequence of events.  No database, no HTTP: the
 * same code runs in the server (app/store/audit.c), in `qujat
 * verify-audit`, and in the offline archive verifier.
 *
 * CANONICAL FORM.  An event is serialised as one JSON object in the
 * canonical form of RFC 8785 (JCS), restricted so that every step is
 * trivial: object keys are sorted by their bytes (all keys are ASCII, where
 * byte order, code-point order and the UTF-16 order of RFC 8785 agree), no
 * whitespace, strings as UTF-8 with only '"', '\\' and U+0000..U+001F
 * escaped (\b \t \n \f \r, otherwise \u00xx with lower-case hex), and
 * numbers only as integers in -(2^53-1)..2^53-1 written in plain decimal.
 * The members, in canonical order:
 *
 *	action		 string
 *	actor_id	 integer, or null
 *	actor_login	 string, or null
 *	address		 string, or null
 *	at		 string "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, to the usec)
 *	detail		 object (keys [A-Za-z0-9_.-]{1,64}; no fractions)
 *	document_hashes	 array of 64-hex-digit strings, in the given order
 *	prev_hash	 string, 64 lower-case hex digits
 *	request_id	 string, or null
 *	seq		 integer >= 1
 *	state_after	 string, or null
 *	state_before	 string, or null
 *	stream		 string: "case:<id>", "accounts", "calendar" or "system"
 *	v		 integer 1 (the version of this format)
 *
 * Why JSON and not key=value lines: the canonical bytes never contain a
 * newline, so an archive stores each event verbatim as one line of a JSON
 * Lines file; a person reads it as it is, jq parses it, and for this subset
 * Python's json.dumps(obj, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False) reproduces it byte for byte from the parsed object.
 * Nothing has to be re-serialised to check a hash.
 *
 * HASH.  hash = SHA-256(P || C), where P is the previous event's hash as 64
 * lower-case ASCII hex characters (64 '0' characters for seq 1) and C the
 * canonical bytes above; no separator, no trailing newline.  With standard
 * tools:
 *	printf '%s%s' "$prev_hash" "$canonical_line" | sha256sum
 * P is also inside C (prev_hash), so the link is covered twice.
 *
 * Strings given here are UTF-8 and NUL-terminated; an optional string is
 * NULL when absent (the empty string is refused, so that absence has one
 * spelling).  Functions return QJ_EINVAL with slug "invalid-audit-event"
 * and the offending member in `field` for an event that cannot be
 * canonicalised, and leave their outputs untouched on failure.
 */
#ifndef QJ_AUDIT_H
#define QJ_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/qj.h"

#define AUDIT_FORMAT		1	/* the "v" member */
#define AUDIT_HASH_HEX		64
#define AUDIT_ZERO_HASH	\
	"0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_STREAM_MAX	64	/* buffer for a stream name, with NUL */
#define AUDIT_TIME_LEN		27	/* "2026-11-23T13:14:54.123456Z" */
#define AUDIT_TEXT_MAX		64	/* login, state, request id, address */
#define AUDIT_MAX_DOCS		64	/* document hashes per event */
#define AUDIT_DETAIL_MAX	(64 * 1024)	/* detail JSON, bytes */
#define AUDIT_INT_MAX		9007199254740991LL	/* 2^53 - 1 */

struct audit_event {
	const char	*stream;	/* "case:<id>", "accounts", ... */
	int64_t		 seq;		/* 1, 2, ... within the stream */
	int64_t		 at;		/* microseconds since the epoch, UTC */
	int64_t		 actor_id;	/* person id; 0: no actor (null) */
	const char	*actor_login;	/* or NULL */
	const char	*action;	/* [a-z][a-z0-9._-]{0,63} */
	const char	*state_before;	/* or NULL */
	const char	*state_after;	/* or NULL */
	const char *const *docs;	/* ndocs SHA-256 hex strings */
	size_t		 ndocs;
	const char	*request_id;	/* or NULL */
	const char	*address;	/* or NULL */
	const char	*detail;	/* JSON object text; NULL means {} */
	const char	*prev_hash;	/* 64 hex; AUDIT_ZERO_HASH for seq 1 */
	const char	*hash;		/* the stored hash (verifier only) */
};

/*
 * Checks a stream name.  QJ_OK and *case_id (may be NULL) set to the case
 * of a "case:<id>" stream or 0 for the others; QJ_EINVAL otherwise.
 */
enum qj_err	 audit_stream_check(const char *stream, int64_t *case_id,
		    struct qj_diag *);
/* "case:<id>" into out. */
void		 audit_stream_of_case(int64_t case_id,
		    char out[AUDIT_STREAM_MAX]);

/*
 * The fixed time format.  audit_time_format: QJ_EINVAL outside years
 * 1970..9999.  audit_time_parse accepts exactly that format (and only valid
 * dates), QJ_EINVAL otherwise.
 */
enum qj_err	 audit_time_format(int64_t usec, char out[AUDIT_TIME_LEN + 1]);
enum qj_err	 audit_time_parse(const char *, int64_t *usec);

/*
 * The canonical form of a detail object (any JSON object text, any key
 * order or spacing) appended to `out`.  Refuses fractions, exponents,
 * integers beyond 2^53-1, duplicate keys, keys outside [A-Za-z0-9_.-]{1,64},
 * objects and arrays nested more than 16 deep (the detail object itself is
 * the first) and text over AUDIT_DETAIL_MAX.  On failure `out`
 * may hold a partial append; callers discard it.
 */
enum qj_err	 audit_detail_canonical(const char *json, struct qj_buf *out,
		    struct qj_diag *);

/*
 * Validates `ev` and appends its canonical bytes to `out` (ev->hash is not
 * part of them).  On failure `out` may hold a partial append.
 */
enum qj_err	 audit_canonical(const struct audit_event *, struct qj_buf *out,
		    struct qj_diag *);

/* SHA-256(prev_hex || canonical) as lower-case hex into out. */
void		 audit_chain_hash(const char *prev_hex, const void *canonical,
		    size_t len, char out[AUDIT_HASH_HEX + 1]);

/* The hash `ev` must carry: canonicalises it and chains it to prev_hash. */
enum qj_err	 audit_hash(const struct audit_event *,
		    char out[AUDIT_HASH_HEX + 1], struct qj_diag *);

/*
 * VERIFIER.  Feed the events of one stream in the order they are stored
 * (ascending seq), then the stream's head when one is known:
 *
 *	audit_verify_init(&v, "accounts");
 *	for each event: if (audit_verify_next(&v, &ev) != 0) break;
 *	audit_verify_head(&v, 1, head_seq, head_hash);
 *	v.fault == AUDIT_F_NONE  <=>  the chain verifies
 *
 * The first fault sticks: later calls change nothing.  `fault_seq` names
 * the first broken seq: the offending event's seq, or for "gap" and
 * "truncated" the first missing seq.  Only a head reveals a chain cut
 * short at its end; without one (has_head 0 and no expectation) the last
 * events can be removed unnoticed.
 */
enum audit_fault {
	AUDIT_F_NONE = 0,
	AUDIT_F_MALFORMED,	/* an event cannot be canonicalised */
	AUDIT_F_WRONG_STREAM,	/* an event of another stream */
	AUDIT_F_DUPLICATE,	/* the previous seq again */
	AUDIT_F_OUT_OF_ORDER,	/* a seq below the previous one */
	AUDIT_F_GAP,		/* a seq skipped (event deleted) */
	AUDIT_F_PREV_HASH,	/* prev_hash is not the previous hash */
	AUDIT_F_HASH,		/* the stored hash is not the recomputed one */
	AUDIT_F_TRUNCATED,	/* the head is beyond the last event */
	AUDIT_F_HEAD_BEHIND,	/* events beyond the head */
	AUDIT_F_HEAD_MISMATCH,	/* same seq, different hash */
	AUDIT_F_HEAD_MISSING,	/* events but no head */
	AUDIT_F_MAX
};

/* Stable slug of a fault: "gap", "hash-mismatch", ...; "ok" for none. */
const char	*audit_fault_slug(enum audit_fault);

struct audit_verify {
	char		 stream[AUDIT_STREAM_MAX];	/* as given to init */
	int64_t		 events;	/* events accepted so far */
	int64_t		 seq;		/* last accepted seq; 0: none */
	char		 hash[AUDIT_HASH_HEX + 1];	/* its hash; zeros */
	int		 has_head;	/* audit_verify_head saw a head */
	int64_t		 head_seq;	/* valid when has_head */
	char		 head_hash[AUDIT_HASH_HEX + 1];
	enum audit_fault fault;		/* first fault; NONE while valid */
	int64_t		 fault_seq;	/* first broken seq; 0 when valid */
	char		 why[256];	/* one sentence on the fault */
};

void		 audit_verify_init(struct audit_verify *, const char *stream);
/* 0 while the chain holds, -1 once it is broken. */
int		 audit_verify_next(struct audit_verify *,
		    const struct audit_event *);
/*
 * Compares the end of the chain with the stream's head; has_head 0 says the
 * stream has none (which is a fault only if it has events).  0 or -1.
 */
int		 audit_verify_head(struct audit_verify *, int has_head,
		    int64_t head_seq, const char *head_hash);
/* Records a fault found by the caller (e.g. a column the hash misses). */
void		 audit_verify_fail(struct audit_verify *, enum audit_fault,
		    int64_t seq, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/*
 * Verifies a whole list: init, next for each of the n events, and the head
 * when head_hash is not NULL.  Returns 0 when the chain verifies.
 */
int		 audit_verify_events(const char *stream,
		    const struct audit_event *, size_t n, int64_t head_seq,
		    const char *head_hash, struct audit_verify *);

#endif
