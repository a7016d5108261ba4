/*
 * jsonin.c: strict JSON parsing and field-table checks (see jsonin.h).
 */
#include <string.h>

#include "core/jsonin.h"

enum qj_err
qj_json_parse_object(const void *body, size_t len, json_t **out,
    struct qj_diag *d)
{
	json_error_t	 jerr;
	json_t		*root;

	if (len > QJ_JSON_MAX_BYTES)
		return (qj_fail(d, QJ_ELIMIT, "body-too-large", "",
		    "JSON body of %zu bytes exceeds %d bytes", len,
		    QJ_JSON_MAX_BYTES));
	if (body == NULL || len == 0)
		return (qj_fail(d, QJ_EINVAL, "invalid-json", "",
		    "request body is empty; a JSON object is required"));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return (qj_fail(d, QJ_EINVAL, "invalid-json", "",
		    "malformed JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text));
	if (!json_is_object(root)) {
		json_decref(root);
		return (qj_fail(d, QJ_EINVAL, "invalid-json", "",
		    "the JSON body must be an object"));
	}
	*out = root;
	return (QJ_OK);
}

static const char *
jtype_name(enum qj_jtype t)
{
	switch (t) {
	case QJ_J_STRING:
		return ("a string");
	case QJ_J_INT:
		return ("an integer");
	case QJ_J_BOOL:
		return ("a boolean");
	case QJ_J_OBJECT:
		return ("an object");
	case QJ_J_ARRAY:
		return ("an array");
	default:
		return ("a value");
	}
}

static int
jtype_ok(const json_t *v, enum qj_jtype t)
{
	switch (t) {
	case QJ_J_STRING:
		return (json_is_string(v));
	case QJ_J_INT:
		return (json_is_integer(v));
	case QJ_J_BOOL:
		return (json_is_boolean(v));
	case QJ_J_OBJECT:
		return (json_is_object(v));
	case QJ_J_ARRAY:
		return (json_is_array(v));
	default:
		return (1);
	}
}

enum qj_err
qj_json_check(const json_t *obj, const struct qj_jfield *spec, size_t n,
    const char *prefix, struct qj_diag *d)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(spec[i].name, key) == 0)
				break;
		if (i == n)
			return (qj_fail(d, QJ_EINVAL, "unknown-field", key,
			    "unknown field \"%s%s\"", prefix, key));
		if (json_is_null(v) && !spec[i].required)
			continue;
		if (!jtype_ok(v, spec[i].type))
			return (qj_fail(d, QJ_EINVAL, "wrong-type", key,
			    "field \"%s%s\" must be %s", prefix, key,
			    jtype_name(spec[i].type)));
		if (spec[i].max_len > 0 && json_is_string(v) &&
		    json_string_length(v) > spec[i].max_len)
			return (qj_fail(d, QJ_EINVAL, "too-long", key,
			    "field \"%s%s\" is longer than %zu bytes", prefix,
			    key, spec[i].max_len));
		if (spec[i].max_len > 0 && json_is_array(v) &&
		    json_array_size(v) > spec[i].max_len)
			return (qj_fail(d, QJ_EINVAL, "too-long", key,
			    "field \"%s%s\" has more than %zu items", prefix,
			    key, spec[i].max_len));
		if (json_is_string(v) && json_string_length(v) == 0 &&
		    spec[i].required)
			return (qj_fail(d, QJ_EINVAL, "missing-field", key,
			    "field \"%s%s\" must not be empty", prefix, key));
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, spec[i].name);
		if (spec[i].required && (v == NULL || json_is_null(v)))
			return (qj_fail(d, QJ_EINVAL, "missing-field",
			    spec[i].name, "field \"%s%s\" is required", prefix,
			    spec[i].name));
	}
	return (QJ_OK);
}

const char *
qj_json_str(const json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}
