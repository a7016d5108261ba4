/*
 * forms.h: the document forms (forms/<id>.xsd): loading, JSON <-> XML
 * conversion, validation (XML Schema plus l:rule XPath rules),
 * canonicalisation, and field descriptions for the UI.  Kore-free and
 * database-free; docs/forms.md describes the JSON shape.
 *
 * Contract, in short:
 *  - qj_forms_load() runs once at start-up, after qj_xml_init() and before
 *    worker threads start (it briefly swaps libxml2's process-wide external
 *    entity loader, see forms.c).  The loaded struct qj_forms is immutable:
 *    every other function only reads it, so many threads may share one.
 *    Each call makes its own validation and XPath contexts.
 *  - A document is stored as the bytes qj_form_from_json() or
 *    qj_form_from_xml() return: Exclusive XML C14N of a document built in
 *    schema order with fixed prefixes (the form's namespace as the default
 *    namespace, common as "c").  The same content gives the same bytes,
 *    whatever the JSON key order or the XML formatting.  The caller hashes
 *    them (qj_sha256_hex) and stores them.
 *  - Failures fill the struct qj_diag (may be NULL) and leave outputs
 *    untouched.  A document that breaks the form is QJ_EUNPROC with type
 *    "schema-violation" (structure, JSON types, XML Schema) or "form-rule"
 *    (an l:rule is false; the detail starts "rule <id> (<citation>): ").
 *    `field` is the element path below the root, local names joined by
 *    "/", with a 1-based "[n]" after a repeated element
 *    ("evidence/item[2]/kind"); the root's attribute is "version".
 *    An unknown form id is QJ_ENOTFOUND "unknown-form".
 */
#ifndef QJ_FORMS_H
#define QJ_FORMS_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/qj.h"
#include "core/xmlsafe.h"

#define QJ_FORM_NS_COMMON	"urn:qujat:form:common:1"
/* Largest XML submission, and largest canonical document produced. */
#define QJ_FORM_MAX_BYTES	QJ_XML_MAX_BYTES_DEFAULT
#define QJ_FORM_MAX_ID		64	/* longest form id, bytes */

struct qj_forms;

/*
 * Loads and compiles every `dir`/<id>.xsd except common.xsd and labels.xsd
 * (those are imported).  xs:import is resolved only to files of `dir`, by
 * plain file name; any other location (a path, a URL) fails the load.
 * On success *out is owned by the caller (qj_forms_free).  Failures:
 * QJ_EIO "forms-dir-unreadable" (cannot list or read `dir`),
 * QJ_EINVAL "form-schema-invalid" with field = the file name and a detail
 * naming the file and the reason, QJ_ENOMEM.
 */
enum qj_err	 qj_forms_load(const char *dir, struct qj_forms **out,
		    struct qj_diag *);
void		 qj_forms_free(struct qj_forms *);

/* Number of forms and the id of the i-th (sorted by id; NULL past the end). */
size_t		 qj_forms_count(const struct qj_forms *);
const char	*qj_forms_id(const struct qj_forms *, size_t i);
/* Root element's local name and namespace of a form; NULL if unknown. */
const char	*qj_form_root(const struct qj_forms *, const char *form_id);
const char	*qj_form_namespace(const struct qj_forms *,
		    const char *form_id);

/*
 * JSON object -> canonical XML, appended to xml_out.  Keys are element
 * local names; a complex element is an object; a wrapper (an element
 * whose only child repeats) is an array of its child's values; the root's
 * version attribute is the "version" key.  Required elements with a
 * schema `fixed` value are filled in when absent.  JSON null is refused
 * (an absent optional element is an absent key).  Failures: QJ_EUNPROC as
 * above (unknown keys, wrong JSON types, missing elements, schema, rules),
 * QJ_ELIMIT "xml-too-large" when the result exceeds QJ_FORM_MAX_BYTES,
 * QJ_ENOTFOUND, QJ_ENOMEM.
 */
enum qj_err	 qj_form_from_json(const struct qj_forms *, const char *form_id,
		    const json_t *obj, struct qj_buf *xml_out,
		    struct qj_diag *);

/*
 * XML submission -> canonical XML, appended to out.  Parsed only with
 * qj_xml_parse() (its QJ_EINVAL / QJ_ELIMIT diagnostics pass through: a
 * DOCTYPE is "xml-doctype", over QJ_FORM_MAX_BYTES is "xml-too-large").
 * The root must be the form's root element in the form's namespace; the
 * document is validated, then rebuilt exactly as qj_form_from_json()
 * builds it, so JSON and XML submissions of the same content give the same
 * bytes.  Comments, processing instructions, formatting whitespace and
 * prefix choices of the submission do not survive.
 */
enum qj_err	 qj_form_from_xml(const struct qj_forms *, const char *form_id,
		    const void *xml, size_t len, struct qj_buf *out,
		    struct qj_diag *);

/*
 * Stored (or any schema-valid) XML -> JSON object in the shape
 * qj_form_from_json() accepts; *out is a new reference.  The document is
 * checked against the schema but not the l:rules, so a stored document
 * stays readable when a rule changes.  Integers and decimals become JSON
 * numbers, booleans true/false, everything else strings.
 */
enum qj_err	 qj_form_to_json(const struct qj_forms *, const char *form_id,
		    const void *xml, size_t len, json_t **out,
		    struct qj_diag *);

/*
 * Describes a form for the UI in language `lang` ("kk", "ru" or "en"):
 *	{"form", "namespace", "root", "lang", "label",
 *	 "fields": [{"path", "type", "required", "repeated", "label",
 *	             ["hint"], ["default"], ["fixed"], ["minItems"],
 *	             ["maxItems"], ["codes": [{"code", "label"}]]}, ...],
 *	 "rules": [{"id", "cite", "field", "message"}, ...]}
 * Fields are in document order; "type" is object, array (a wrapper),
 * string, date, datetime, integer, decimal, boolean or enum; "required" is
 * relative to the parent.  Returns a new reference, or NULL for an
 * unknown form or language or on allocation failure.
 */
json_t		*qj_form_describe(const struct qj_forms *, const char *form_id,
		    const char *lang);

#endif
