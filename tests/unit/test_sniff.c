/*
 * test_sniff.c: unit tests of attachment type detection (app/core/sniff.c):
 * the three accepted signatures, and the refusals the upload path relies
 * on — a PNG claimed as PDF is a PNG, an HTML page named .pdf, an empty
 * file and a cut-short PNG signature are refused.
 */
#include <check.h>
#include <string.h>

#include "core/sniff.h"

/* Sniffs n bytes; returns the type or NULL, checking the refusal shape. */
static const char *
sniff(const void *p, size_t n)
{
	const char	*type = "untouched";
	struct qj_diag	 d;
	enum qj_err	 err;

	qj_diag_clear(&d);
	err = qj_sniff(p, n, &type, &d);
	if (err == QJ_OK) {
		ck_assert_ptr_nonnull(type);
		return (type);
	}
	ck_assert_int_eq(err, QJ_EUNPROC);
	ck_assert_str_eq(d.type, "unsupported-media-type");
	ck_assert_str_eq(type, "untouched");
	ck_assert(d.detail[0] != '\0');
	return (NULL);
}

START_TEST(t_accepted)
{
	static const unsigned char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";
	static const unsigned char jfif[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00,
	    0x10, 'J', 'F', 'I', 'F', 0x00 };
	static const unsigned char exif[] = { 0xff, 0xd8, 0xff, 0xe1, 0x12,
	    0x34, 'E', 'x', 'i', 'f' };
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
	    0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R' };

	ck_assert_str_eq(sniff(pdf, sizeof(pdf) - 1), "application/pdf");
	ck_assert_str_eq(sniff("%PDF-", 5), "application/pdf");
	ck_assert_str_eq(sniff(jfif, sizeof(jfif)), "image/jpeg");
	ck_assert_str_eq(sniff(exif, sizeof(exif)), "image/jpeg");
	ck_assert_str_eq(sniff(jfif, 3), "image/jpeg");
	ck_assert_str_eq(sniff(png, sizeof(png)), "image/png");
	ck_assert_str_eq(sniff(png, 8), "image/png");
}
END_TEST

START_TEST(t_claim_ignored)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
	    0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R' };
	static const char html[] = "<!DOCTYPE html>\n<html><body>"
	    "<script>alert(1)</script></body></html>\n";
	const char	*claimed = "application/pdf";	/* and "scan.pdf" */
	const char	*type;

	/* A PNG uploaded as application/pdf is a PNG. */
	type = sniff(png, sizeof(png));
	ck_assert_str_eq(type, "image/png");
	ck_assert_str_ne(type, claimed);
	/* An HTML page named scan.pdf is nothing we accept. */
	ck_assert_ptr_null(sniff(html, sizeof(html) - 1));
}
END_TEST

START_TEST(t_refused)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
	    0x1a, 0x0a };
	static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00";
	static const unsigned char zip[] = "PK\x03\x04\x14\x00";
	struct qj_diag	 d;
	const char	*type = NULL;
	size_t		 n;

	/* Empty, and NULL. */
	ck_assert_ptr_null(sniff("", 0));
	ck_assert_ptr_null(sniff(NULL, 0));
	/* Every cut-short signature. */
	for (n = 0; n < sizeof(png); n++)
		ck_assert_ptr_null(sniff(png, n));
	ck_assert_ptr_null(sniff("%PDF", 4));
	ck_assert_ptr_null(sniff("\xff\xd8", 2));
	/* A signature one byte off. */
	ck_assert_ptr_null(sniff("%PDF_1.7", 8));
	ck_assert_ptr_null(sniff("\x89PNG\r\n\x1a\r", 8));
	ck_assert_ptr_null(sniff("\xff\xd8\xfe", 3));
	/* Not at offset 0. */
	ck_assert_ptr_null(sniff(" %PDF-1.4", 9));
	ck_assert_ptr_null(sniff("\n\x89PNG\r\n\x1a\n", 9));
	/* Other formats. */
	ck_assert_ptr_null(sniff(gif, sizeof(gif) - 1));
	ck_assert_ptr_null(sniff(zip, sizeof(zip) - 1));
	ck_assert_ptr_null(sniff("plain text", 10));
	/* The detail shows the first bytes, in hex. */
	ck_assert_int_eq(qj_sniff("<html>", 6, &type, &d), QJ_EUNPROC);
	ck_assert_ptr_nonnull(strstr(d.detail, "3c 68 74 6d 6c 3e"));
	ck_assert_int_eq(qj_sniff("0123456789", 10, &type, &d), QJ_EUNPROC);
	ck_assert_ptr_nonnull(strstr(d.detail, "30 31 32 33 34 35 36 37 ..."));
	ck_assert_int_eq(qj_sniff("", 0, &type, &d), QJ_EUNPROC);
	ck_assert_ptr_nonnull(strstr(d.detail, "empty"));
	ck_assert_ptr_null(type);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("sniff");
	TCase	*tc = tcase_create("sniff");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_accepted);
	tcase_add_test(tc, t_claim_ignored);
	tcase_add_test(tc, t_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
