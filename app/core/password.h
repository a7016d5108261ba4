/*
 * password.h: password hashing with Argon2id (libargon2), per-hash salt.
 *
 * Hashes are stored in the PHC string format ("$argon2id$v=19$m=...").
 * Parameters follow the OWASP recommendation (19 MiB, t=2, p=1); a hash
 * made with other parameters still verifies, because they travel in the
 * string.  The policy: 10..256 bytes, not all the same character.
 */
#ifndef QJ_PASSWORD_H
#define QJ_PASSWORD_H

#include <stddef.h>

#include "core/qj.h"

#define QJ_PASSWORD_HASH_MAX	160

/* QJ_EINVAL "weak-password" naming `field` when the policy is not met. */
enum qj_err	qj_password_policy(const char *pw, const char *field,
		    struct qj_diag *);

/* Hashes `pw` with a fresh random salt into out (NUL-terminated). */
enum qj_err	qj_password_hash(const char *pw, char out[QJ_PASSWORD_HASH_MAX]);

/* 1 when `pw` matches `encoded`, 0 otherwise (including a bad encoding). */
int		qj_password_verify(const char *encoded, const char *pw);

/* 1 when `s` is a login: 2..64 of a-z 0-9 . _ - starting with a-z or 0-9. */
int		qj_login_valid(const char *s);

#endif
