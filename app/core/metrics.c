/*
 * metrics.c: request counters in a region shared by Kore's workers (see
 * metrics.h).  The region is the only state of this module; it is mapped
 * once, before the fork, and never unmapped (the processes exit with it).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "core/metrics.h"

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double	bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
			    0.5, 1, 2.5, 5, 10 };
#define NBOUNDS		(sizeof(bounds) / sizeof(bounds[0]))
#define NCODES		4	/* 2xx 3xx 4xx 5xx (1xx is never answered) */

struct route_counters {
	atomic_ullong	codes[NCODES];
	atomic_ullong	buckets[NBOUNDS + 1];	/* non-cumulative */
	atomic_ullong	micros;			/* sum of durations */
};

struct region {
	size_t			nroutes;
	struct route_counters	r[QJ_METRICS_MAX_ROUTES + 1];
};

static struct region	*shared;

int
qj_metrics_init(size_t nroutes)
{
	void	*p;

	if (shared != NULL)
		return (0);
	if (nroutes > QJ_METRICS_MAX_ROUTES)
		return (-1);
	p = mmap(NULL, sizeof(struct region), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	/* Fresh anonymous pages are zero: every counter starts at 0. */
	shared = p;
	shared->nroutes = nroutes;
	return (0);
}

void
qj_metrics_request(size_t route, int status, double seconds)
{
	struct route_counters	*c;
	size_t			 b;

	if (shared == NULL || status < 200 || status > 599)
		return;
	if (route > shared->nroutes)
		route = shared->nroutes;
	c = &shared->r[route];
	atomic_fetch_add_explicit(&c->codes[status / 100 - 2], 1,
	    memory_order_relaxed);
	for (b = 0; b < NBOUNDS && seconds > bounds[b]; b++)
		;
	atomic_fetch_add_explicit(&c->buckets[b], 1, memory_order_relaxed);
	if (seconds > 0)
		atomic_fetch_add_explicit(&c->micros,
		    (unsigned long long)(seconds * 1e6), memory_order_relaxed);
}

static unsigned long long
load(atomic_ullong *v)
{
	return (atomic_load_explicit(v, memory_order_relaxed));
}

enum qj_err
qj_metrics_render(struct qj_buf *out, const char *const *labels,
    size_t nroutes)
{
	static const char *const codes[NCODES] = { "2xx", "3xx", "4xx",
	    "5xx" };
	struct route_counters	 zero, *c;
	unsigned long long	 n, cum;
	size_t			 i, k;
	const char		*label;
	enum qj_err		 err = QJ_OK;

	memset(&zero, 0, sizeof(zero));
	err = qj_buf_puts(out,
	    "# HELP qujat_http_requests_total HTTP requests answered, by route "
	    "and status class.\n"
	    "# TYPE qujat_http_requests_total counter\n");
	for (i = 0; i <= nroutes && err == QJ_OK; i++) {
		c = shared != NULL && i <= shared->nroutes ? &shared->r[i] :
		    &zero;
		label = i < nroutes ? labels[i] : "unmatched";
		for (k = 0; k < NCODES && err == QJ_OK; k++)
			if ((n = load(&c->codes[k])) != 0)
				err = qj_buf_printf(out,
				    "qujat_http_requests_total{route=\"%s\","
				    "code=\"%s\"} %llu\n", label, codes[k], n);
	}
	if (err == QJ_OK)
		err = qj_buf_puts(out,
		    "# HELP qujat_http_request_duration_seconds Time from the "
		    "request's dispatch to its answer, by route.\n"
		    "# TYPE qujat_http_request_duration_seconds histogram\n");
	for (i = 0; i <= nroutes && err == QJ_OK; i++) {
		c = shared != NULL && i <= shared->nroutes ? &shared->r[i] :
		    &zero;
		label = i < nroutes ? labels[i] : "unmatched";
		for (k = 0, n = 0; k <= NBOUNDS; k++)
			n += load(&c->buckets[k]);
		if (n == 0)
			continue;	/* a route never asked for */
		for (k = 0, cum = 0; k <= NBOUNDS && err == QJ_OK; k++) {
			cum += load(&c->buckets[k]);
			if (k < NBOUNDS)
				err = qj_buf_printf(out,
				    "qujat_http_request_duration_seconds_bucket"
				    "{route=\"%s\",le=\"%g\"} %llu\n", label,
				    bounds[k], cum);
			else
				err = qj_buf_printf(out,
				    "qujat_http_request_duration_seconds_bucket"
				    "{route=\"%s\",le=\"+Inf\"} %llu\n", label,
				    cum);
		}
		if (err == QJ_OK)
			err = qj_buf_printf(out,
			    "qujat_http_request_duration_seconds_sum"
			    "{route=\"%s\"} %.6f\n"
			    "qujat_http_request_duration_seconds_count"
			    "{route=\"%s\"} %llu\n", label,
			    (double)load(&c->micros) / 1e6, label, cum);
	}
	return (err);
}
