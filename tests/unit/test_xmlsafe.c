/*
 * test_xmlsafe.c: unit tests for app/core/xmlsafe.c, the one XML entry
 * point (guide xml-signatures.md section 3).
 *
 * Each hostile input of the guide's table is refused with its slug, and
 * refused fast: entity payloads must cost nothing because the parser stops
 * at the DOCTYPE.  Also size, depth, encoding and the canonical forms.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "core/buf.h"
#include "core/xmlsafe.h"

static double
now_secs(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Parses and returns the slug ("ok" on success); frees the document. */
static const char *
parse(const char *xml, size_t len, size_t max, enum qj_err *errp)
{
	struct qj_diag	 d;
	xmlDocPtr	 doc = NULL;
	enum qj_err	 err;

	qj_diag_clear(&d);
	err = qj_xml_parse(xml, len, max, &doc, &d);
	if (errp != NULL)
		*errp = err;
	if (err == QJ_OK) {
		ck_assert(doc != NULL);
		xmlFreeDoc(doc);
		return ("ok");
	}
	ck_assert(doc == NULL);
	ck_assert(d.type != NULL);
	return (d.type);
}

static const char *
parse_s(const char *xml)
{
	return (parse(xml, strlen(xml), 0, NULL));
}

START_TEST(plain_documents)
{
	ck_assert_str_eq(parse_s("<a/>"), "ok");
	ck_assert_str_eq(parse_s("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<a xmlns=\"urn:x\"><b c=\"Қазақша\">текст</b><!-- c --></a>"),
	    "ok");
	ck_assert_str_eq(parse_s("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<a/>"), "ok");
}
END_TEST

START_TEST(doctype_refused)
{
	enum qj_err	err;

	ck_assert_str_eq(parse("<!DOCTYPE a><a/>", 15, 0, &err),
	    "xml-doctype");
	ck_assert_int_eq(err, QJ_EINVAL);
	ck_assert_str_eq(parse_s("<!DOCTYPE a [<!ELEMENT a EMPTY>]><a/>"),
	    "xml-doctype");
	/* External DTD: never fetched, refused. */
	ck_assert_str_eq(parse_s("<!DOCTYPE a SYSTEM "
	    "\"http://127.0.0.1:9/evil.dtd\"><a/>"), "xml-doctype");
	ck_assert_str_eq(parse_s("<!DOCTYPE a PUBLIC \"-//x//y\" "
	    "\"file:///etc/passwd\"><a/>"), "xml-doctype");
}
END_TEST

START_TEST(external_entity_refused)
{
	struct qj_diag	 d;
	xmlDocPtr	 doc = NULL;

	ck_assert_int_eq(qj_xml_parse("<?xml version=\"1.0\"?><!DOCTYPE r ["
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>", 75, 0,
	    &doc, &d), QJ_EINVAL);
	ck_assert_str_eq(d.type, "xml-doctype");
	ck_assert(doc == NULL);
	/* Parameter entities pointing outside, too. */
	ck_assert_str_eq(parse_s("<!DOCTYPE r [<!ENTITY % p SYSTEM "
	    "\"http://127.0.0.1:9/x\"> %p;]><r/>"), "xml-doctype");
	/* An entity reference without a DOCTYPE is just malformed. */
	ck_assert_str_eq(parse_s("<r>&x;</r>"), "xml-malformed");
}
END_TEST

START_TEST(billion_laughs_fast)
{
	struct qj_buf	b = QJ_BUF_INIT;
	double		t0, secs;
	int		i, j;

	qj_buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol0 \"lol\">\n");
	for (i = 1; i <= 9; i++) {
		qj_buf_printf(&b, " <!ENTITY lol%d \"", i);
		for (j = 0; j < 10; j++)
			qj_buf_printf(&b, "&lol%d;", i - 1);
		qj_buf_puts(&b, "\">\n");
	}
	qj_buf_puts(&b, "]>\n<lolz>&lol9;</lolz>\n");
	t0 = now_secs();
	for (i = 0; i < 100; i++)
		ck_assert_str_eq(parse(b.data, b.len, 0, NULL), "xml-doctype");
	secs = now_secs() - t0;
	ck_assert_msg(secs < 1.0, "100 billion-laughs parses took %.3f s",
	    secs);
	qj_buf_free(&b);
}
END_TEST

/* 100 KB entity referenced 20000 times: 2 GB if ever expanded. */
START_TEST(quadratic_blowup_fast)
{
	struct qj_buf	b = QJ_BUF_INIT;
	double		t0, secs;
	int		i;

	qj_buf_puts(&b, "<!DOCTYPE r [<!ENTITY a \"");
	for (i = 0; i < 100000; i++)
		qj_buf_append(&b, "a", 1);
	qj_buf_puts(&b, "\">]><r>");
	for (i = 0; i < 20000; i++)
		qj_buf_puts(&b, "&a;");
	qj_buf_puts(&b, "</r>");
	t0 = now_secs();
	ck_assert_str_eq(parse(b.data, b.len, 0, NULL), "xml-doctype");
	secs = now_secs() - t0;
	ck_assert_msg(secs < 1.0, "quadratic blowup took %.3f s", secs);
	qj_buf_free(&b);
}
END_TEST

START_TEST(depth_limit)
{
	struct qj_buf	b = QJ_BUF_INIT;
	enum qj_err	err;
	double		t0;
	int		i;

	for (i = 0; i < QJ_XML_MAX_DEPTH; i++)
		qj_buf_puts(&b, "<a>");
	for (i = 0; i < QJ_XML_MAX_DEPTH; i++)
		qj_buf_puts(&b, "</a>");
	ck_assert_str_eq(parse(b.data, b.len, 0, NULL), "ok");
	qj_buf_reset(&b);
	for (i = 0; i <= QJ_XML_MAX_DEPTH; i++)
		qj_buf_puts(&b, "<a>");
	for (i = 0; i <= QJ_XML_MAX_DEPTH; i++)
		qj_buf_puts(&b, "</a>");
	ck_assert_str_eq(parse(b.data, b.len, 0, &err), "xml-depth");
	ck_assert_int_eq(err, QJ_EINVAL);
	/* 300 000 levels: libxml2's own limit stops it, quickly. */
	qj_buf_reset(&b);
	for (i = 0; i < 300000; i++)
		qj_buf_puts(&b, "<a>");
	t0 = now_secs();
	ck_assert_str_eq(parse(b.data, b.len, 0, &err), "xml-malformed");
	ck_assert_int_eq(err, QJ_EINVAL);
	ck_assert(now_secs() - t0 < 1.0);
	qj_buf_free(&b);
}
END_TEST

START_TEST(encoding)
{
	static const unsigned char utf16[] = {
		0xff, 0xfe, '<', 0, 'a', 0, '/', 0, '>', 0
	};

	ck_assert_str_eq(parse_s("<?xml version=\"1.0\" encoding=\"ISO-8859-1\""
	    "?><a>\xe9</a>"), "xml-encoding");
	ck_assert_str_eq(parse_s("<?xml version=\"1.0\" encoding=\"windows-1251"
	    "\"?><a/>"), "xml-encoding");
	ck_assert_str_eq(parse((const char *)utf16, sizeof(utf16), 0, NULL),
	    "xml-encoding");
	/* Bytes that are not UTF-8 in a UTF-8 document. */
	ck_assert_str_eq(parse_s("<a>\xff\xfe</a>"), "xml-malformed");
	ck_assert_str_eq(parse_s("<a>\xc3</a>"), "xml-malformed");
}
END_TEST

START_TEST(size_limit)
{
	static const char	doc[] = "<a>0123456789</a>";
	struct qj_buf		b = QJ_BUF_INIT;
	enum qj_err		err;
	size_t			n = strlen(doc);

	ck_assert_str_eq(parse(doc, n, n, NULL), "ok");
	ck_assert_str_eq(parse(doc, n, n - 1, &err), "xml-too-large");
	ck_assert_int_eq(err, QJ_ELIMIT);
	ck_assert_str_eq(parse(doc, 0, 0, &err), "xml-malformed");
	/* The default limit. */
	qj_buf_puts(&b, "<a>");
	while (b.len <= QJ_XML_MAX_BYTES_DEFAULT)
		qj_buf_puts(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	qj_buf_puts(&b, "</a>");
	ck_assert_str_eq(parse(b.data, b.len, 0, &err), "xml-too-large");
	ck_assert_int_eq(err, QJ_ELIMIT);
	qj_buf_free(&b);
}
END_TEST

START_TEST(no_xinclude_no_network)
{
	struct qj_diag	 d;
	xmlDocPtr	 doc;
	xmlNodePtr	 root;
	static const char xi[] =
	    "<x xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	    "<xi:include href=\"/etc/passwd\" parse=\"text\"/></x>";

	ck_assert(qj_xml_parse(xi, strlen(xi), 0, &doc, &d) == QJ_OK);
	root = xmlDocGetRootElement(doc);
	/* The include element is still there: nothing was fetched. */
	ck_assert(root->children != NULL);
	ck_assert_str_eq((const char *)root->children->name, "include");
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(malformed)
{
	ck_assert_str_eq(parse_s("<a>"), "xml-malformed");
	ck_assert_str_eq(parse_s("<a></b>"), "xml-malformed");
	ck_assert_str_eq(parse_s("text"), "xml-malformed");
	ck_assert_str_eq(parse_s("<a/><b/>"), "xml-malformed");
}
END_TEST

START_TEST(canonical_forms)
{
	static const char	 xml[] = "<a xmlns=\"urn:x\" xmlns:u=\"urn:u\" "
				    "z=\"1\"   b='2'><!--c--><b/></a>";
	struct qj_buf		 b = QJ_BUF_INIT;
	xmlDocPtr		 doc;

	ck_assert(qj_xml_parse(xml, strlen(xml), 0, &doc, NULL) == QJ_OK);
	ck_assert(qj_xml_c14n(doc, QJ_C14N_10, &b) == QJ_OK);
	ck_assert_str_eq(b.data, "<a xmlns=\"urn:x\" xmlns:u=\"urn:u\" b=\"2\" "
	    "z=\"1\"><b></b></a>");
	qj_buf_reset(&b);
	ck_assert(qj_xml_c14n(doc, QJ_C14N_10_COMMENTS, &b) == QJ_OK);
	ck_assert_str_eq(b.data, "<a xmlns=\"urn:x\" xmlns:u=\"urn:u\" b=\"2\" "
	    "z=\"1\"><!--c--><b></b></a>");
	qj_buf_reset(&b);
	/* Exclusive c14n drops the unused prefix. */
	ck_assert(qj_xml_c14n(doc, QJ_C14N_EXCL, &b) == QJ_OK);
	ck_assert_str_eq(b.data, "<a xmlns=\"urn:x\" b=\"2\" z=\"1\"><b></b>"
	    "</a>");
	qj_buf_free(&b);
	xmlFreeDoc(doc);
}
END_TEST

static Suite *
xmlsafe_suite(void)
{
	Suite	*s = suite_create("xmlsafe");
	TCase	*tc = tcase_create("parse");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plain_documents);
	tcase_add_test(tc, doctype_refused);
	tcase_add_test(tc, external_entity_refused);
	tcase_add_test(tc, billion_laughs_fast);
	tcase_add_test(tc, quadratic_blowup_fast);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, encoding);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, no_xinclude_no_network);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, canonical_forms);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	qj_xml_init();
	sr = srunner_create(xmlsafe_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
