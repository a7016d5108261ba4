/*
 * signer.h: a client that signs as a person would, with the person's own
 * key from the development CA (certs/dev/users/<login>-rsa|ec.key), through
 * the two-phase API: POST /api/cases/{id}/signing with the certificate,
 * sign the returned bytes locally (RSA PKCS#1 v1.5 or ECDSA with SHA-256),
 * then POST the transition with prepare_id and signature_value.
 */
#ifndef QJ_TEST_SIGNER_H
#define QJ_TEST_SIGNER_H

#include <stdint.h>

#include "tests/lib/http.h"

/* Signs `tbs` with the login's key ("rsa" or "ec"); base64 into out. */
int	t_sign_bytes(const char *login, const char *kind, const unsigned char *,
	    size_t, char *out, size_t outlen);
/* The login's certificate PEM, or NULL (static buffer). */
const char *t_cert_pem(const char *login, const char *kind);

/* The case's current version (GET /api/cases/{id}). */
int	t_case_version(struct tclient *, int64_t case_id);
/* The case's state into out. */
const char *t_case_state(struct tclient *, int64_t case_id, char *out,
	    size_t len);

/*
 * Fires `event` on the case, signing with the login's key when the event
 * needs a signature (phase one answers 422 no-signature-needed otherwise).
 * `extra` is JSON members to add to the transition body ("" or e.g.
 * "\"reason\":\"x\"").  Returns the HTTP status of the transition (or of
 * the preparation when that failed); *r holds that response.
 */
long	t_fire(struct tclient *, const char *login, const char *kind,
	    int64_t case_id, const char *event, const char *extra,
	    struct tresp *r);

#endif
