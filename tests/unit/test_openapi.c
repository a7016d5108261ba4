/*
 * test_openapi.c: docs/openapi.json describes exactly the routes of the
 * route table in app/api/api.c — every route documented, nothing
 * documented that does not exist (path parameters compared by position).
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MAXR	256

struct route {
	char	method[8];
	char	path[160];
};

/* "/api/x/{id}/y/{sha}" -> "/api/x/{}/y/{}" */
static void
normalise(const char *in, char *out, size_t len)
{
	size_t	o = 0;

	while (*in != '\0' && o + 3 < len) {
		if (*in == '{') {
			out[o++] = '{';
			out[o++] = '}';
			in = strchr(in, '}');
			if (in == NULL)
				break;
			in++;
			continue;
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
}

static int
from_table(struct route *r)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
	    "PATCH", "DELETE" };
	FILE	*f = fopen("app/api/api.c", "r");
	char	 line[512], *p, *q;
	size_t	 i;
	int	 n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL && n < MAXR) {
		if ((p = strstr(line, "{ API_")) == NULL)
			continue;
		p += 6;
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (strncmp(p, methods[i], strlen(methods[i])) == 0 &&
			    p[strlen(methods[i])] == ',')
				break;
		ck_assert_msg(i < sizeof(methods) / sizeof(methods[0]),
		    "unparsed route line: %s", line);
		snprintf(r[n].method, sizeof(r[n].method), "%s", methods[i]);
		for (q = r[n].method; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		p = strchr(p, '"');
		ck_assert_ptr_nonnull(p);
		q = strchr(p + 1, '"');
		*q = '\0';
		normalise(p + 1, r[n].path, sizeof(r[n].path));
		n++;
	}
	fclose(f);
	return (n);
}

START_TEST(t_every_route_documented_and_back)
{
	struct route	 table[MAXR];
	json_error_t	 e;
	json_t		*doc, *paths, *ops, *o;
	const char	*path, *method;
	char		 norm[160];
	int		 n = from_table(table), i, found, documented = 0;

	ck_assert_int_ge(n, 30);
	doc = json_load_file("docs/openapi.json", 0, &e);
	ck_assert_msg(doc != NULL, "docs/openapi.json: %s", e.text);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")),
	    "3.0.3");
	paths = json_object_get(doc, "paths");
	/* Documented -> exists. */
	json_object_foreach(paths, path, ops) {
		normalise(path, norm, sizeof(norm));
		json_object_foreach(ops, method, o) {
			documented++;
			for (i = 0, found = 0; i < n && !found; i++)
				found = strcmp(table[i].path, norm) == 0 &&
				    strcmp(table[i].method, method) == 0;
			ck_assert_msg(found, "documented but not routed: %s %s",
			    method, path);
			ck_assert_ptr_nonnull(json_object_get(o, "summary"));
			ck_assert_ptr_nonnull(json_object_get(json_object_get(o,
			    "responses"), "400") != NULL || strcmp(path,
			    "/healthz") == 0 ? json_object_get(o, "responses") :
			    NULL);
		}
	}
	/* Exists -> documented. */
	for (i = 0; i < n; i++) {
		found = 0;
		json_object_foreach(paths, path, ops) {
			normalise(path, norm, sizeof(norm));
			if (strcmp(norm, table[i].path) == 0 &&
			    json_object_get(ops, table[i].method) != NULL)
				found = 1;
		}
		ck_assert_msg(found, "routed but not documented: %s %s",
		    table[i].method, table[i].path);
	}
	ck_assert_int_eq(documented, n);
	json_decref(doc);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("openapi");
	TCase	*tc = tcase_create("openapi");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_every_route_documented_and_back);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
