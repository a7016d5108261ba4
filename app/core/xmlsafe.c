/*
 * xmlsafe.c: hardened XML parsing and canonicalisation (see xmlsafe.h).
 *
 * Why a SAX hook instead of checking doc->intSubset afterwards: the hook
 * stops the parser as soon as "<!DOCTYPE" is read, before any entity
 * declaration is processed, so billion-laughs and quadratic-blowup payloads
 * cost nothing (guide xml-signatures.md section 3).
 */
#include <string.h>
#include <strings.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>

#include "core/xmlsafe.h"

struct parse_flags {
	int	doctype;	/* a DOCTYPE was seen */
};

static xmlParserInputPtr
null_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return (NULL);
}

void
qj_xml_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(null_entity_loader);
}

static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr	 ctxt = ctx;
	struct parse_flags	*fl = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	fl->doctype = 1;
	xmlStopParser(ctxt);
}

static void
silent_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static int
tree_depth_ok(xmlNodePtr n, int depth)
{
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (depth > QJ_XML_MAX_DEPTH ||
		    !tree_depth_ok(n->children, depth + 1)))
			return (0);
	return (1);
}

/* UTF-16/32 announce themselves by a BOM or by NUL bytes up front. */
static int
looks_utf8(const unsigned char *p, size_t len)
{
	size_t	i;

	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) ||
	    (p[0] == 0xfe && p[1] == 0xff)))
		return (0);
	for (i = 0; i < len && i < 4; i++)
		if (p[i] == 0)
			return (0);
	return (1);
}

enum qj_err
qj_xml_parse(const void *data, size_t len, size_t max_bytes, xmlDocPtr *out,
    struct qj_diag *d)
{
	xmlParserCtxtPtr	ctxt;
	struct parse_flags	fl = { 0 };
	xmlDocPtr		doc;
	const xmlError		*xe;
	enum qj_err		err = QJ_OK;

	if (max_bytes == 0)
		max_bytes = QJ_XML_MAX_BYTES_DEFAULT;
	if (len > max_bytes)
		return (qj_fail(d, QJ_ELIMIT, "xml-too-large", "",
		    "XML document of %zu bytes exceeds the limit of %zu bytes",
		    len, max_bytes));
	if (len == 0 || len > 0x7fffffff)
		return (qj_fail(d, QJ_EINVAL, "xml-malformed", "",
		    "XML document is empty"));
	if (!looks_utf8(data, len))
		return (qj_fail(d, QJ_EINVAL, "xml-encoding", "",
		    "XML in UTF-16 or UTF-32 is refused; use UTF-8"));
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return (QJ_ENOMEM);
	ctxt->_private = &fl;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = on_doctype;
	ctxt->sax->error = silent_error;
	ctxt->sax->warning = silent_error;
	ctxt->vctxt.error = silent_error;
	ctxt->vctxt.warning = silent_error;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);

	doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (fl.doctype) {
		err = qj_fail(d, QJ_EINVAL, "xml-doctype", "",
		    "XML with a DOCTYPE declaration is refused");
	} else if (doc == NULL || !ctxt->wellFormed) {
		xe = xmlCtxtGetLastError(ctxt);
		err = qj_fail(d, QJ_EINVAL, "xml-malformed", "",
		    "XML is not well-formed: line %d: %s",
		    xe != NULL ? xe->line : 0,
		    xe != NULL && xe->message != NULL ? xe->message : "error");
		/* libxml2 messages end in a newline; drop it. */
		if (d != NULL && strlen(d->detail) > 0 &&
		    d->detail[strlen(d->detail) - 1] == '\n')
			d->detail[strlen(d->detail) - 1] = '\0';
	} else if (doc->encoding != NULL &&
	    strcasecmp((const char *)doc->encoding, "UTF-8") != 0) {
		err = qj_fail(d, QJ_EINVAL, "xml-encoding", "",
		    "XML encoding %s is refused; use UTF-8",
		    (const char *)doc->encoding);
	} else if (doc->intSubset != NULL || doc->extSubset != NULL) {
		err = qj_fail(d, QJ_EINVAL, "xml-doctype", "",
		    "XML with a DOCTYPE declaration is refused");
	} else if (!tree_depth_ok(doc->children, 1)) {
		err = qj_fail(d, QJ_EINVAL, "xml-depth", "",
		    "XML nesting exceeds %d levels", QJ_XML_MAX_DEPTH);
	}
	if (err != QJ_OK && doc != NULL) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	if (err == QJ_OK)
		*out = doc;
	return (err);
}

enum qj_err
qj_xml_c14n(xmlDocPtr doc, enum qj_c14n_mode mode, struct qj_buf *out)
{
	xmlChar	*bytes = NULL;
	int	 n, lib_mode, comments = 0;

	switch (mode) {
	case QJ_C14N_10_COMMENTS:
		comments = 1;
		/* FALLTHROUGH */
	case QJ_C14N_10:
		lib_mode = XML_C14N_1_0;
		break;
	case QJ_C14N_EXCL:
	default:
		lib_mode = XML_C14N_EXCLUSIVE_1_0;
		break;
	}
	n = xmlC14NDocDumpMemory(doc, NULL, lib_mode, NULL, comments, &bytes);
	if (n < 0 || bytes == NULL)
		return (QJ_EINTERNAL);
	if (qj_buf_append(out, bytes, (size_t)n) != QJ_OK) {
		xmlFree(bytes);
		return (QJ_ENOMEM);
	}
	xmlFree(bytes);
	return (QJ_OK);
}
