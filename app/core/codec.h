/*
 * codec.h: digests, encodings and randomness used across the core.
 *
 * All functions are thread-safe.  Output buffers are sized by the caller as
 * documented; encoders always NUL-terminate.
 */
#ifndef QJ_CODEC_H
#define QJ_CODEC_H

#include <stddef.h>

#include "core/buf.h"
#include "core/qj.h"

#define QJ_SHA256_LEN		32
#define QJ_SHA256_HEX_LEN	64	/* plus one for the NUL */
#define QJ_TOKEN_LEN		43	/* base64url of 32 random bytes */

void		qj_sha256(const void *, size_t, unsigned char out[QJ_SHA256_LEN]);
/* Lower-case hex of SHA-256 into out[65]. */
void		qj_sha256_hex(const void *, size_t, char out[QJ_SHA256_HEX_LEN + 1]);
/* Lower-case hex of n bytes into out[2n+1]. */
void		qj_hex(const unsigned char *, size_t, char *out);
/* Parses exactly 2n hex digits into n bytes; QJ_EINVAL otherwise. */
enum qj_err	qj_unhex(const char *, unsigned char *out, size_t n);

/* Standard base64 with padding, appended to `out`. */
enum qj_err	qj_base64_encode(const void *, size_t, struct qj_buf *out);
/*
 * Decodes standard base64; ASCII whitespace is ignored (XMLDSig wraps
 * lines).  QJ_EINVAL on any other character or bad padding.
 */
enum qj_err	qj_base64_decode(const char *, size_t, struct qj_buf *out);

/* Cryptographically secure random bytes; QJ_EINTERNAL if none available. */
enum qj_err	qj_random(void *, size_t);
/* A fresh 256-bit secret as base64url without padding, into out[44]. */
enum qj_err	qj_random_token(char out[QJ_TOKEN_LEN + 1]);

/* Constant-time comparison of two equal-length byte strings. */
int		qj_ct_equal(const void *, const void *, size_t);

#endif
