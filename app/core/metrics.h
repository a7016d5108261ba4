/*
 * metrics.h: request counters for GET /metrics (Prometheus text format
 * 0.0.4), shared by every worker process.
 *
 * qj_metrics_init() maps one anonymous shared region; called in Kore's
 * parent before the workers fork, every worker then adds to the same
 * counters (C11 atomics, lock-free on the platforms we build for), so any
 * worker answers a scrape with the totals of all.  Without init (a unit
 * test, a tool) recording is a no-op and rendering prints zeros.
 *
 * Routes are small integers the caller assigns (its route table index);
 * `nroutes` is the "no route matched" slot.
 */
#ifndef QJ_METRICS_H
#define QJ_METRICS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/qj.h"

#define QJ_METRICS_MAX_ROUTES	96

/* 0, or -1 when nroutes is over the limit or the mapping fails. */
int		qj_metrics_init(size_t nroutes);

/* One answered request: its route, HTTP status and wall time. */
void		qj_metrics_request(size_t route, int status, double seconds);

/*
 * Appends qujat_http_requests_total{route,code} (code: 2xx..5xx) and the
 * qujat_http_request_duration_seconds histogram per route; labels[i] names
 * route i ("GET /api/cases/{id}"), the extra slot is "unmatched".
 */
enum qj_err	qj_metrics_render(struct qj_buf *, const char *const *labels,
		    size_t nroutes);

#endif
