/*
 * test_metrics.c: the request counters are shared by processes forked
 * after qj_metrics_init() (Kore's workers), and render as Prometheus text:
 * counters by status class, cumulative histogram buckets ending in +Inf,
 * _count equal to the requests, routes never asked for left out.
 */
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"

static const char *const labels[] = { "GET /a", "POST /b/{id}" };

static long long
sample(const char *body, const char *series)
{
	const char	*p = body;
	size_t		 n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == body || p[-1] == '\n') && p[n] == ' ')
			return (strtoll(p + n + 1, NULL, 10));
		p += n;
	}
	return (-1);
}

START_TEST(t_shared_across_fork_and_rendered)
{
	struct qj_buf	 out = QJ_BUF_INIT;
	pid_t		 pid;
	int		 st, i;

	ck_assert_int_eq(qj_metrics_init(2), 0);
	ck_assert_int_eq(qj_metrics_init(2), 0);	/* idempotent */
	/* Two "workers" record; the parent sees both. */
	for (i = 0; i < 2; i++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			qj_metrics_request(0, 200, 0.003);
			qj_metrics_request(0, 404, 0.2);
			qj_metrics_request(1, 503, 30.0);
			qj_metrics_request(7, 404, 0.001);	/* unmatched */
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	qj_metrics_request(0, 201, 0.004);
	qj_metrics_request(0, 100, 0.004);	/* never answered: ignored */
	ck_assert_int_eq(qj_metrics_render(&out, labels, 2), QJ_OK);
	qj_buf_puts(&out, "");
	ck_assert_int_eq(sample(out.data, "qujat_http_requests_total{route="
	    "\"GET /a\",code=\"2xx\"}"), 3);
	ck_assert_int_eq(sample(out.data, "qujat_http_requests_total{route="
	    "\"GET /a\",code=\"4xx\"}"), 2);
	ck_assert_int_eq(sample(out.data, "qujat_http_requests_total{route="
	    "\"POST /b/{id}\",code=\"5xx\"}"), 2);
	ck_assert_int_eq(sample(out.data, "qujat_http_requests_total{route="
	    "\"unmatched\",code=\"4xx\"}"), 2);
	/* Zero series are not printed. */
	ck_assert_int_eq(sample(out.data, "qujat_http_requests_total{route="
	    "\"GET /a\",code=\"5xx\"}"), -1);
	/* Cumulative buckets. */
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_bucket{route=\"GET /a\",le=\"0.005\"}"), 3);
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_bucket{route=\"GET /a\",le=\"0.1\"}"), 3);
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_bucket{route=\"GET /a\",le=\"0.25\"}"), 5);
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_bucket{route=\"GET /a\",le=\"+Inf\"}"), 5);
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_count{route=\"GET /a\"}"), 5);
	/* 30 s is over the last bound: only in +Inf. */
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_bucket{route=\"POST /b/{id}\",le=\"10\"}"), 0);
	ck_assert_int_eq(sample(out.data, "qujat_http_request_duration_"
	    "seconds_bucket{route=\"POST /b/{id}\",le=\"+Inf\"}"), 2);
	ck_assert_ptr_nonnull(strstr(out.data, "qujat_http_request_duration_"
	    "seconds_sum{route=\"POST /b/{id}\"} 60.000000\n"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "# TYPE qujat_http_request_duration_seconds histogram\n"));
	qj_buf_free(&out);
}
END_TEST

START_TEST(t_too_many_routes)
{
	/* A fresh process: this one has no mapping yet. */
	pid_t	pid = fork();
	int	st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(qj_metrics_init(QJ_METRICS_MAX_ROUTES + 1) == -1 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_too_many_routes);
	tcase_add_test(tc, t_shared_across_fork_and_rendered);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
