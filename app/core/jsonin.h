/*
 * jsonin.h: strict JSON input.  Every request body that is JSON is parsed
 * by qj_json_parse_object() and checked against a field table with
 * qj_json_check(), which refuses unknown fields, wrong types, missing
 * required fields and over-long strings, naming the field.  jansson refuses
 * duplicate keys (JSON_REJECT_DUPLICATES) and NUL characters in strings.
 */
#ifndef QJ_JSONIN_H
#define QJ_JSONIN_H

#include <jansson.h>

#include "core/qj.h"

#define QJ_JSON_MAX_BYTES	(8 * 1024 * 1024)	/* signatures travel as base64 */

enum qj_jtype {
	QJ_J_STRING,
	QJ_J_INT,	/* JSON integer (no fraction, no exponent) */
	QJ_J_BOOL,
	QJ_J_OBJECT,
	QJ_J_ARRAY,
	QJ_J_ANY,	/* any JSON value, checked by the caller */
};

struct qj_jfield {
	const char	*name;
	enum qj_jtype	 type;
	int		 required;
	size_t		 max_len;	/* strings: bytes; arrays: items; 0 = none */
};

/*
 * Parses `len` bytes as one JSON object (a new reference for the caller).
 * QJ_EINVAL "invalid-json" when it is not well-formed JSON or not an
 * object; QJ_ELIMIT "body-too-large" over QJ_JSON_MAX_BYTES.
 */
enum qj_err	qj_json_parse_object(const void *body, size_t len, json_t **out,
		    struct qj_diag *);

/*
 * Checks `obj` against `spec` (n entries).  `prefix` is prepended to field
 * names in diagnostics ("" at the top level, "names/" below).  Failures are
 * QJ_EINVAL with type "unknown-field", "wrong-type", "missing-field" or
 * "too-long".
 */
enum qj_err	qj_json_check(const json_t *obj, const struct qj_jfield *spec,
		    size_t n, const char *prefix, struct qj_diag *);

/* The string value of `key`, or NULL when absent or JSON null. */
const char	*qj_json_str(const json_t *obj, const char *key);

#endif
