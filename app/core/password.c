/*
 * password.c: Argon2id password hashes (see password.h).
 */
#include <ctype.h>
#include <string.h>

#include <argon2.h>

#include "core/codec.h"
#include "core/password.h"

#define PW_T_COST	2
#define PW_M_COST	19456	/* KiB */
#define PW_PARALLEL	1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32
#define PW_MIN		10
#define PW_MAX		256

enum qj_err
qj_password_policy(const char *pw, const char *field, struct qj_diag *d)
{
	size_t	n = strlen(pw), i;

	if (n < PW_MIN || n > PW_MAX)
		return (qj_fail(d, QJ_EINVAL, "weak-password", field,
		    "%s must be %d to %d bytes long", field, PW_MIN, PW_MAX));
	for (i = 1; i < n; i++)
		if (pw[i] != pw[0])
			return (QJ_OK);
	return (qj_fail(d, QJ_EINVAL, "weak-password", field,
	    "%s must not repeat one character", field));
}

enum qj_err
qj_password_hash(const char *pw, char out[QJ_PASSWORD_HASH_MAX])
{
	unsigned char	salt[PW_SALT_LEN];

	if (qj_random(salt, sizeof(salt)) != QJ_OK)
		return (QJ_EINTERNAL);
	if (argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_PARALLEL,
	    pw, strlen(pw), salt, sizeof(salt), PW_HASH_LEN,
	    out, QJ_PASSWORD_HASH_MAX) != ARGON2_OK)
		return (QJ_EINTERNAL);
	return (QJ_OK);
}

int
qj_password_verify(const char *encoded, const char *pw)
{
	if (encoded == NULL || strncmp(encoded, "$argon2id$", 10) != 0)
		return (0);
	return (argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK);
}

int
qj_login_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 2 || n > 64 || !(islower((unsigned char)s[0]) ||
	    isdigit((unsigned char)s[0])))
		return (0);
	for (i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return (0);
	return (1);
}
