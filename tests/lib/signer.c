/*
 * signer.c: see signer.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/buf.h"
#include "core/codec.h"
#include "tests/lib/signer.h"

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	if (f == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return (NULL);
	}
	buf[n] = '\0';
	fclose(f);
	return (buf);
}

const char *
t_cert_pem(const char *login, const char *kind)
{
	static char	 pem[8192];
	char		 path[256], *s;

	snprintf(path, sizeof(path), "certs/dev/users/%s-%s.pem", login, kind);
	if ((s = slurp(path)) == NULL)
		return (NULL);
	snprintf(pem, sizeof(pem), "%s", s);
	free(s);
	return (pem);
}

int
t_sign_bytes(const char *login, const char *kind, const unsigned char *tbs,
    size_t len, char *out, size_t outlen)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	unsigned char	 sig[1024];
	size_t		 siglen = sizeof(sig);
	char		 path[256];
	EVP_PKEY	*key;
	EVP_MD_CTX	*md;
	FILE		*f;
	int		 ok = -1;

	snprintf(path, sizeof(path), "certs/dev/users/%s-%s.key", login, kind);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL)
		return (-1);
	md = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, tbs, len) == 1 &&
	    qj_base64_encode(sig, siglen, &b) == QJ_OK && b.len < outlen) {
		memcpy(out, b.data, b.len + 1);
		ok = 0;
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	qj_buf_free(&b);
	return (ok);
}

int
t_case_version(struct tclient *c, int64_t case_id)
{
	struct tresp	r;
	char		path[64];
	int		v;

	snprintf(path, sizeof(path), "/api/cases/%lld", (long long)case_id);
	t_json(c, "GET", path, NULL, &r);
	v = (int)t_int(&r, "version");
	tresp_free(&r);
	return (v);
}

const char *
t_case_state(struct tclient *c, int64_t case_id, char *out, size_t len)
{
	struct tresp	r;
	char		path[64];

	snprintf(path, sizeof(path), "/api/cases/%lld", (long long)case_id);
	t_json(c, "GET", path, NULL, &r);
	snprintf(out, len, "%s", t_str(&r, "state"));
	tresp_free(&r);
	return (out);
}

long
t_fire(struct tclient *c, const char *login, const char *kind,
    int64_t case_id, const char *event, const char *extra, struct tresp *r)
{
	struct qj_buf	 tbs = QJ_BUF_INIT;
	json_t		*body;
	char		 path[96], *s, sig[2048], more[16384];
	const char	*cert = t_cert_pem(login, kind);
	long		 st;
	int		 version = t_case_version(c, case_id);

	snprintf(path, sizeof(path), "/api/cases/%lld/signing",
	    (long long)case_id);
	body = json_pack("{s:s, s:s}", "event", event, "certificate",
	    cert ? cert : "");
	s = json_dumps(body, 0);
	json_decref(body);
	/* A transition that brings a document signs that document; its
	 * inputs are checked with the guards before anything is signed. */
	if (strncmp(extra, "\"document", 9) == 0 ||
	    strncmp(extra, "\"data\"", 6) == 0) {
		char *t = malloc(strlen(s) + strlen(extra) + 2);

		sprintf(t, "%.*s,%s}", (int)strlen(s) - 1, s, extra);
		free(s);
		s = t;
	}
	st = t_json(c, "POST", path, s, r);
	free(s);
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)case_id);
	if (st == 422 && t_is_problem(r, 422, "no-signature-needed")) {
		tresp_free(r);
		snprintf(more, sizeof(more), "{\"event\":\"%s\",\"version\":%d%s"
		    "%s}", event, version, extra[0] ? "," : "", extra);
		return (t_json(c, "POST", path, more, r));
	}
	if (st != 201)
		return (st);
	if (qj_base64_decode(t_str(r, "to_sign"), strlen(t_str(r, "to_sign")),
	    &tbs) != QJ_OK || t_sign_bytes(login, kind,
	    (unsigned char *)tbs.data, tbs.len, sig, sizeof(sig)) != 0) {
		qj_buf_free(&tbs);
		tresp_free(r);
		return (0);
	}
	qj_buf_free(&tbs);
	snprintf(more, sizeof(more), "{\"event\":\"%s\",\"version\":%d,"
	    "\"prepare_id\":\"%s\",\"signature_value\":\"%s\"%s%s}", event,
	    (int)t_int(r, "case_version"), t_str(r, "prepare_id"), sig,
	    extra[0] ? "," : "", extra);
	tresp_free(r);
	return (t_json(c, "POST", path, more, r));
}
