/*
 * xmlsafe.h: the one entry point through which Qujat parses XML.
 *
 * Every XML byte string from outside (a form submission, a signature, an
 * archive entry) goes through qj_xml_parse().  It parses from memory with
 * XML_PARSE_NONET and nothing else (no entity substitution, no DTD loading,
 * no XInclude, no HUGE), stops at the first DOCTYPE declaration (so entity
 * payloads are never expanded), refuses any encoding but UTF-8 (declared,
 * or UTF-16/32 recognised by a BOM or NUL bytes), and enforces a byte and a
 * depth limit (QJ_XML_MAX_DEPTH nested elements are allowed).  qj_xml_init()
 * must run once, before any thread is started: it installs an external
 * entity loader that loads nothing.
 */
#ifndef QJ_XMLSAFE_H
#define QJ_XMLSAFE_H

#include <libxml/tree.h>

#include "core/buf.h"
#include "core/qj.h"

#define QJ_XML_MAX_BYTES_DEFAULT	(4u * 1024 * 1024)
#define QJ_XML_MAX_DEPTH		64

void		qj_xml_init(void);

/*
 * Parses `len` bytes into a new document owned by the caller
 * (xmlFreeDoc).  On failure returns QJ_EINVAL (malformed, DOCTYPE,
 * encoding, depth) or QJ_ELIMIT (over max_bytes) with a diagnostic whose
 * type is "xml-malformed", "xml-doctype", "xml-encoding", "xml-depth" or
 * "xml-too-large".  max_bytes 0 means QJ_XML_MAX_BYTES_DEFAULT.
 */
enum qj_err	qj_xml_parse(const void *data, size_t len, size_t max_bytes,
		    xmlDocPtr *out, struct qj_diag *);

enum qj_c14n_mode {
	QJ_C14N_10,		/* http://www.w3.org/TR/2001/REC-xml-c14n-20010315 */
	QJ_C14N_10_COMMENTS,	/* ...#WithComments */
	QJ_C14N_EXCL,		/* http://www.w3.org/2001/10/xml-exc-c14n# */
};

/* Appends the canonical form of the whole document to `out`. */
enum qj_err	qj_xml_c14n(xmlDocPtr, enum qj_c14n_mode, struct qj_buf *out);

#endif
