/*
 * test_core.c: unit tests of the small core modules — IIN/BIN, strict
 * JSON input, codecs, buffers, password hashing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/iin.h"
#include "core/jsonin.h"
#include "core/password.h"

/* A brute-force reference for the check digit. */
static int
ref_check(const char *d)
{
	int	w2[11] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 }, s = 0, i;

	for (i = 0; i < 11; i++)
		s += (d[i] - '0') * (i + 1);
	if (s % 11 != 10)
		return (s % 11);
	for (s = 0, i = 0; i < 11; i++)
		s += (d[i] - '0') * w2[i];
	return (s % 11 == 10 ? -1 : s % 11);
}

START_TEST(t_iin_valid)
{
	struct qj_iin_info	info;
	struct qj_diag		d;

	ck_assert_int_eq(qj_iin_check("980412410006", "iin", &info, &d), QJ_OK);
	ck_assert_int_eq(info.year, 1998);
	ck_assert_int_eq(info.month, 4);
	ck_assert_int_eq(info.day, 12);
	ck_assert_int_eq(info.female, 1);
	ck_assert_int_eq(qj_iin_check("680224310005", "iin", &info, &d), QJ_OK);
	ck_assert_int_eq(info.female, 0);
	ck_assert_int_eq(info.year, 1968);
}
END_TEST

START_TEST(t_iin_invalid)
{
	static const char *const bad[] = {
		"980412410007", "98041241000", "9804124100066", "98O412410006",
		"981312410006", "980230410006", "980412010006", "980412710006",
		"", "400101510005",
	};
	struct qj_diag	d;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(qj_iin_check(bad[i], "iin", NULL, &d),
		    QJ_EINVAL);
		ck_assert_str_eq(d.type, "invalid-iin");
		ck_assert_str_eq(d.field, "iin");
	}
	ck_assert_int_eq(qj_iin_check("980412410007", "iin", NULL, &d),
	    QJ_EINVAL);
	ck_assert_ptr_nonnull(strstr(d.detail, "check digit"));
	/* 29 February exists only in leap years. */
	ck_assert_int_eq(qj_iin_check("000229", "iin", NULL, &d), QJ_EINVAL);
}
END_TEST

START_TEST(t_check_digit_matches_reference)
{
	char	s[13];
	int	i, n;

	srand(7);
	for (n = 0; n < 20000; n++) {
		for (i = 0; i < 11; i++)
			s[i] = (char)('0' + rand() % 10);
		s[11] = '\0';
		ck_assert_int_eq(qj_id_check_digit(s), ref_check(s));
	}
}
END_TEST

START_TEST(t_bin)
{
	struct qj_diag	d;

	ck_assert_int_eq(qj_bin_check("990440010005", "bin", &d), QJ_OK);
	ck_assert_int_eq(qj_bin_check("010340010009", "bin", &d), QJ_OK);
	ck_assert_int_eq(qj_bin_check("010340010008", "bin", &d), QJ_EINVAL);
	ck_assert_int_eq(qj_bin_check("011340010009", "bin", &d), QJ_EINVAL);
	ck_assert_int_eq(qj_bin_check("010370010009", "bin", &d), QJ_EINVAL);
	ck_assert_str_eq(d.type, "invalid-bin");
}
END_TEST

START_TEST(t_json_strict)
{
	static const struct qj_jfield spec[] = {
		{ "name", QJ_J_STRING, 1, 5 },
		{ "n", QJ_J_INT, 0, 0 },
		{ "tags", QJ_J_ARRAY, 0, 2 },
	};
	struct qj_diag	 d;
	json_t		*o;

#define CHECK(js, want, slug) do {					\
	o = NULL;							\
	if (qj_json_parse_object(js, strlen(js), &o, &d) == QJ_OK) {	\
		ck_assert_int_eq(qj_json_check(o, spec, 3, "", &d), want);	\
		json_decref(o);						\
	} else								\
		ck_assert_int_eq(QJ_EINVAL, want);			\
	if (slug != NULL)						\
		ck_assert_str_eq(d.type, slug);				\
} while (0)
	CHECK("{\"name\":\"abc\"}", QJ_OK, NULL);
	CHECK("{\"name\":\"abc\",\"n\":null}", QJ_OK, NULL);
	CHECK("{\"name\":\"abcdef\"}", QJ_EINVAL, "too-long");
	CHECK("{\"name\":\"a\",\"x\":1}", QJ_EINVAL, "unknown-field");
	CHECK("{\"name\":1}", QJ_EINVAL, "wrong-type");
	CHECK("{\"name\":\"a\",\"n\":1.5}", QJ_EINVAL, "wrong-type");
	CHECK("{\"n\":1}", QJ_EINVAL, "missing-field");
	CHECK("{\"name\":\"\"}", QJ_EINVAL, "missing-field");
	CHECK("{\"name\":\"a\",\"tags\":[1,2,3]}", QJ_EINVAL, "too-long");
	CHECK("{\"name\":\"a\",\"name\":\"b\"}", QJ_EINVAL, "invalid-json");
	CHECK("{\"name\":\"a\\u0000\"}", QJ_EINVAL, "invalid-json");
	CHECK("[\"name\"]", QJ_EINVAL, "invalid-json");
	CHECK("{\"name\":\"a\"", QJ_EINVAL, "invalid-json");
#undef CHECK
}
END_TEST

START_TEST(t_codec)
{
	struct qj_buf	b = QJ_BUF_INIT, back = QJ_BUF_INIT;
	char		hex[65], tok[QJ_TOKEN_LEN + 1], tok2[QJ_TOKEN_LEN + 1];
	unsigned char	raw[300];
	size_t		i, n;

	qj_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	for (n = 0; n < sizeof(raw); n++) {
		for (i = 0; i < n; i++)
			raw[i] = (unsigned char)(i * 7 + n);
		qj_buf_reset(&b);
		qj_buf_reset(&back);
		ck_assert_int_eq(qj_base64_encode(raw, n, &b), QJ_OK);
		ck_assert_int_eq(qj_base64_decode(b.data, b.len, &back), QJ_OK);
		ck_assert_uint_eq(back.len, n);
		ck_assert(n == 0 || memcmp(back.data, raw, n) == 0);
	}
	qj_buf_reset(&back);
	ck_assert_int_eq(qj_base64_decode("YW Jj\nZA==\n", 11, &back), QJ_OK);
	ck_assert_str_eq(back.data, "abcd");
	qj_buf_reset(&back);
	ck_assert_int_eq(qj_base64_decode("YWJ*", 4, &back), QJ_EINVAL);
	ck_assert_int_eq(qj_base64_decode("YQ==YQ==", 8, &back), QJ_EINVAL);
	ck_assert_int_eq(qj_base64_decode("YWJ", 3, &back), QJ_EINVAL);
	ck_assert_int_eq(qj_random_token(tok), QJ_OK);
	ck_assert_int_eq(qj_random_token(tok2), QJ_OK);
	ck_assert_int_eq(strlen(tok), QJ_TOKEN_LEN);
	ck_assert_str_ne(tok, tok2);
	ck_assert_int_eq(qj_unhex("00ff10", raw, 3), QJ_OK);
	ck_assert_int_eq(raw[1], 0xff);
	ck_assert_int_eq(qj_unhex("0g", raw, 1), QJ_EINVAL);
	qj_buf_free(&b);
	qj_buf_free(&back);
}
END_TEST

START_TEST(t_buf)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	char		*p;
	size_t		 n, i;

	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(qj_buf_printf(&b, "%zu,", i % 10), QJ_OK);
	ck_assert_uint_eq(b.len, 20000);
	ck_assert_uint_eq(strlen(b.data), 20000);
	p = qj_buf_release(&b, &n);
	ck_assert_uint_eq(n, 20000);
	ck_assert_ptr_null(b.data);
	free(p);
}
END_TEST

START_TEST(t_password)
{
	char		h1[QJ_PASSWORD_HASH_MAX], h2[QJ_PASSWORD_HASH_MAX];
	struct qj_diag	d;

	ck_assert_int_eq(qj_password_hash("correct horse battery", h1), QJ_OK);
	ck_assert_int_eq(qj_password_hash("correct horse battery", h2), QJ_OK);
	ck_assert(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	ck_assert_str_ne(h1, h2);	/* per-hash salt */
	ck_assert(qj_password_verify(h1, "correct horse battery"));
	ck_assert(!qj_password_verify(h1, "correct horse batterY"));
	ck_assert(!qj_password_verify("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$"
	    "aGFzaA", "x"));
	ck_assert(!qj_password_verify("plain", "plain"));
	ck_assert_int_eq(qj_password_policy("short", "password", &d),
	    QJ_EINVAL);
	ck_assert_int_eq(qj_password_policy("aaaaaaaaaaaa", "password", &d),
	    QJ_EINVAL);
	ck_assert_int_eq(qj_password_policy("long enough pass", "password",
	    &d), QJ_OK);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("core");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_iin_valid);
	tcase_add_test(tc, t_iin_invalid);
	tcase_add_test(tc, t_check_digit_matches_reference);
	tcase_add_test(tc, t_bin);
	tcase_add_test(tc, t_json_strict);
	tcase_add_test(tc, t_codec);
	tcase_add_test(tc, t_buf);
	tcase_add_test(tc, t_password);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
