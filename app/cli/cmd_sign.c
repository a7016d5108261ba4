/*
 * cmd_sign.c: `qujat sign`, the client side of two-phase signing.
 *
 *	qujat sign --url URL
 *	    (--login NAME --login-password-file FILE | --token-file FILE)
 *	    --case ID --event EVENT [--document FILE.json|FILE.xml]
 *	    [--data JSON] [--reason TEXT] --p12 FILE.p12 --p12-password-file FILE
 *
 * Fires EVENT on case ID through the HTTP API with a signature made here,
 * with the private key of a PKCS#12 file, as a person's own signing tool
 * would (docs/signatures.md sections 2, 6 and 7):
 *   1. authenticate: POST /api/session (session cookie and CSRF token), or
 *      "Authorization: Bearer" with the token of --token-file;
 *   2. GET /api/cases/{id}: the case must be readable; its version;
 *   3. POST /api/cases/{id}/signing {event, certificate, document?}: phase
 *      one; the server answers with the exact bytes to sign (to_sign), the
 *      hash and the SignatureMethod, a prepare_id and the case version;
 *   4. sign to_sign locally with SHA-256: RSASSA-PKCS1-v1_5 for an RSA key,
 *      ECDSA for an EC key, sent as r||s (the XMLDSig form);
 *   5. POST /api/cases/{id}/transitions {event, version, prepare_id,
 *      signature_value, reason?}: the server builds the XAdES signature,
 *      verifies it under its policy, stores it and moves the case;
 *   6. DELETE /api/session when it logged in.
 * Only the certificate leaves the process; the private key and both
 * passwords are wiped before exit.  --document (a form as JSON, or as XML)
 * travels once, with phase one: a transition that brings a document signs
 * that document, and the server keeps it with the preparation.
 *
 * Each password file holds the password as its bytes, one trailing newline
 * (LF or CRLF) ignored, so certs/dev/users/password and `echo pw > f` both
 * work.  --token-file holds a "qjt_..." token from POST /api/tokens.
 *
 * Prints "SIGNED" and the case's new state and version to stdout and exits
 * 0; on a refusal prints "REFUSED: <slug>: <detail>" and the problem's
 * type, status and request, and exits 1 (also when the server cannot be
 * reached); usage errors, unreadable files and a PKCS#12 that cannot be
 * opened exit 2.  Owns nothing beyond one run; called from app/cli/qujat.c.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "cli/commands.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/qj.h"
#include "core/trust.h"
#include "core/xades.h"

#define SG_MAX_FILE	(16u * 1024 * 1024)	/* --document, --p12 */
#define SG_MAX_SECRET	4096			/* password and token files */
#define SG_MAX_REPLY	(32u * 1024 * 1024)
#define SG_TIMEOUT	60L			/* seconds per request */
#define SG_PROBLEM	"urn:qujat:problem:"
#define SG_RSA_SHA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define SG_EC_SHA256	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

struct sg_args {
	const char	*url;
	const char	*login;
	const char	*login_pw_file;
	const char	*token_file;
	const char	*case_id;
	const char	*event;
	const char	*document;
	const char	*reason;
	const char	*data;
	const char	*p12;
	const char	*p12_pw_file;
};

/* One HTTP exchange with the server. */
struct sg_http {
	CURL		*cu;
	const char	*base;		/* --url, without a trailing slash */
	size_t		 base_len;
	char		 csrf[128];	/* the session's CSRF token, or "" */
	char		 auth[160];	/* "Authorization: Bearer ...", or "" */
};

struct sg_resp {
	long		 status;	/* 0: no answer */
	struct qj_buf	 body;
	json_t		*json;		/* the body, when it is JSON */
	char		 request[160];	/* "POST /api/cases/7/signing" */
	char		 error[CURL_ERROR_SIZE];
};

static int
sg_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "qujat sign: %s\n", why);
	fprintf(stderr, "usage: qujat sign --url URL\n"
	    "           (--login NAME --login-password-file FILE | "
	    "--token-file FILE)\n"
	    "           --case ID --event EVENT [--document FILE.json|"
	    "FILE.xml] [--data JSON] [--reason TEXT]\n"
	    "           --p12 FILE.p12 --p12-password-file FILE\n");
	return (2);
}

static int
sg_parse_args(int argc, char **argv, struct sg_args *a)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} opts[] = {
		{ "--url", offsetof(struct sg_args, url) },
		{ "--login", offsetof(struct sg_args, login) },
		{ "--login-password-file",
		    offsetof(struct sg_args, login_pw_file) },
		{ "--token-file", offsetof(struct sg_args, token_file) },
		{ "--case", offsetof(struct sg_args, case_id) },
		{ "--event", offsetof(struct sg_args, event) },
		{ "--document", offsetof(struct sg_args, document) },
		{ "--reason", offsetof(struct sg_args, reason) },
		{ "--data", offsetof(struct sg_args, data) },
		{ "--p12", offsetof(struct sg_args, p12) },
		{ "--p12-password-file",
		    offsetof(struct sg_args, p12_pw_file) },
	};
	const char	**slot;
	size_t		  j;
	int		  i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		for (j = 0; j < QJ_NELEM(opts); j++)
			if (strcmp(argv[i], opts[j].name) == 0)
				break;
		if (j == QJ_NELEM(opts))
			return (sg_usage("unknown option or stray argument"));
		if (i + 1 >= argc)
			return (sg_usage("an option is missing its value"));
		slot = (const char **)(void *)((char *)a + opts[j].off);
		if (*slot != NULL)
			return (sg_usage("an option is repeated"));
		*slot = argv[++i];
	}
	if (a->url == NULL || a->case_id == NULL || a->event == NULL ||
	    a->p12 == NULL || a->p12_pw_file == NULL)
		return (sg_usage("--url, --case, --event, --p12 and "
		    "--p12-password-file are required"));
	if ((a->token_file != NULL) == (a->login != NULL) ||
	    (a->login != NULL) != (a->login_pw_file != NULL))
		return (sg_usage("give --login with --login-password-file, or "
		    "--token-file"));
	if (strncmp(a->url, "http://", 7) != 0 &&
	    strncmp(a->url, "https://", 8) != 0)
		return (sg_usage("--url must start with http:// or https://"));
	for (j = 0; a->case_id[j] != '\0'; j++)
		if (!isdigit((unsigned char)a->case_id[j]))
			break;
	if (j == 0 || j > 18 || a->case_id[j] != '\0')
		return (sg_usage("--case wants the case's number"));
	for (j = 0; a->event[j] != '\0'; j++)
		if (!islower((unsigned char)a->event[j]) &&
		    !isdigit((unsigned char)a->event[j]) && a->event[j] != '-')
			break;
	if (j == 0 || j > 48 || a->event[j] != '\0')
		return (sg_usage("--event wants an event name such as submit"));
	return (0);
}

/* The key and its certificate from a PKCS#12 file. */
static enum qj_err
sg_load_p12(const char *path, const char *pass, EVP_PKEY **key, X509 **cert,
    struct qj_diag *d)
{
	struct qj_buf		 raw = QJ_BUF_INIT;
	const unsigned char	*p;
	STACK_OF(X509)		*ca = NULL;
	PKCS12			*p12 = NULL;
	enum qj_err		 err;

	*key = NULL;
	*cert = NULL;
	if ((err = cli_read_file(path, SG_MAX_FILE, &raw, d)) != QJ_OK)
		goto out;
	p = (const unsigned char *)raw.data;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)raw.len)) == NULL) {
		err = qj_fail(d, QJ_EINVAL, "p12", path, "%s is not a PKCS#12 "
		    "file", path);
		goto out;
	}
	if (PKCS12_parse(p12, pass, key, cert, &ca) != 1 || *key == NULL ||
	    *cert == NULL) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		err = qj_fail(d, QJ_EINVAL, "p12", path, "cannot open %s: wrong "
		    "password, or no key with its certificate", path);
		goto out;
	}
	if (EVP_PKEY_get_base_id(*key) != EVP_PKEY_RSA &&
	    EVP_PKEY_get_base_id(*key) != EVP_PKEY_EC) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		err = qj_fail(d, QJ_EINVAL, "p12", path, "the key in %s is "
		    "neither RSA nor EC", path);
	}
out:
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	cli_secret_free(&raw);
	ERR_clear_error();
	return (err);
}

/* --- HTTP ------------------------------------------------------------------- */

static size_t
sg_sink(void *p, size_t sz, size_t n, void *u)
{
	struct qj_buf	*b = u;

	if (b->len + sz * n > SG_MAX_REPLY ||
	    qj_buf_append(b, p, sz * n) != QJ_OK)
		return (0);
	return (sz * n);
}

static void
sg_resp_free(struct sg_resp *r)
{
	qj_buf_free(&r->body);
	if (r->json != NULL)
		json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/*
 * Sends one request (body: a JSON object, or NULL) and fills `r`.  The
 * session cookie rides in libcurl's in-memory cookie store.  QJ_EIO when
 * no HTTP answer came.
 */
static enum qj_err
sg_request(struct sg_http *h, const char *method, const char *path,
    json_t *body, struct sg_resp *r)
{
	struct curl_slist	*hl = NULL;
	struct qj_buf		 url = QJ_BUF_INIT;
	char			*json = NULL, line[192];
	enum qj_err		 err = QJ_OK;
	CURLcode		 rc;

	memset(r, 0, sizeof(*r));
	snprintf(r->request, sizeof(r->request), "%s %s", method, path);
	if (qj_buf_printf(&url, "%.*s%s", (int)h->base_len, h->base, path) !=
	    QJ_OK) {
		err = QJ_ENOMEM;
		goto out;
	}
	curl_easy_setopt(h->cu, CURLOPT_URL, url.data);
	curl_easy_setopt(h->cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->cu, CURLOPT_WRITEFUNCTION, sg_sink);
	curl_easy_setopt(h->cu, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h->cu, CURLOPT_ERRORBUFFER, r->error);
	hl = curl_slist_append(hl, "Accept: application/json, "
	    "application/problem+json");
	hl = curl_slist_append(hl, "Expect:");
	if (body != NULL) {
		if ((json = json_dumps(body, JSON_COMPACT)) == NULL) {
			err = QJ_ENOMEM;
			goto out;
		}
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(h->cu, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(h->cu, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(json));
	} else {
		curl_easy_setopt(h->cu, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h->cu, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h->cu, CURLOPT_CUSTOMREQUEST, method);
	}
	if (h->csrf[0] != '\0') {
		snprintf(line, sizeof(line), "X-CSRF-Token: %s", h->csrf);
		hl = curl_slist_append(hl, line);
	}
	if (h->auth[0] != '\0')
		hl = curl_slist_append(hl, h->auth);
	curl_easy_setopt(h->cu, CURLOPT_HTTPHEADER, hl);
	if ((rc = curl_easy_perform(h->cu)) != CURLE_OK) {
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "%s",
			    curl_easy_strerror(rc));
		err = QJ_EIO;
		goto out;
	}
	curl_easy_getinfo(h->cu, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body.len > 0)
		r->json = json_loadb(r->body.data, r->body.len, 0, NULL);
out:
	curl_easy_setopt(h->cu, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->cu, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hl);
	if (json != NULL) {
		OPENSSL_cleanse(json, strlen(json));
		free(json);
	}
	qj_buf_free(&url);
	return (err);
}

static const char *
sg_str(const struct sg_resp *r, const char *key)
{
	const char	*s = NULL;

	if (r->json != NULL)
		s = json_string_value(json_object_get(r->json, key));
	return (s != NULL ? s : "");
}

/* Prints why the server said no (or did not answer); returns 1. */
static int
sg_refused(const struct sg_resp *r)
{
	const char	*type = sg_str(r, "type"), *detail = sg_str(r, "detail");
	const char	*slug = type;

	if (r->status == 0) {
		printf("REFUSED: no-answer: %s\n", r->error);
		printf("request: %s\n", r->request);
		return (1);
	}
	if (strncmp(type, SG_PROBLEM, strlen(SG_PROBLEM)) == 0)
		slug = type + strlen(SG_PROBLEM);
	if (*slug == '\0') {
		printf("REFUSED: http-%ld: %.*s\n", r->status,
		    (int)(r->body.len < 300 ? r->body.len : 300),
		    r->body.data != NULL ? r->body.data : "");
	} else
		printf("REFUSED: %s: %s\n", slug, detail);
	if (*type != '\0')
		printf("type: %s\n", type);
	printf("status: %ld\n", r->status);
	printf("request: %s\n", r->request);
	return (1);
}

/* --- the steps -------------------------------------------------------------- */

static int
sg_login(struct sg_http *h, const char *login, const char *password)
{
	struct sg_resp	 r;
	json_t		*body;
	const char	*csrf;
	int		 rc = 0;

	body = json_pack("{s:s, s:s}", "login", login, "password", password);
	if (body == NULL) {
		fprintf(stderr, "qujat sign: out of memory\n");
		return (1);
	}
	(void)sg_request(h, "POST", "/api/session", body, &r);
	json_decref(body);
	csrf = sg_str(&r, "csrf_token");
	if (r.status != 201 || *csrf == '\0' ||
	    strlen(csrf) >= sizeof(h->csrf))
		rc = sg_refused(&r);
	else
		snprintf(h->csrf, sizeof(h->csrf), "%s", csrf);
	sg_resp_free(&r);
	return (rc);
}

/* The certificate as PEM text. */
static char *
sg_cert_pem(X509 *cert)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p, *out = NULL;
	long	 n;

	if (b != NULL && PEM_write_bio_X509(b, cert) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return (out);
}

/* Adds --data, the event's inputs as a JSON object, to a request body. */
static enum qj_err
sg_data(const char *text, json_t *body, struct qj_diag *d)
{
	json_t		*o;
	json_error_t	 e;

	if ((o = json_loads(text, JSON_REJECT_DUPLICATES, &e)) == NULL)
		return (qj_fail(d, QJ_EINVAL, "data", "--data", "--data is not "
		    "JSON: %s", e.text));
	if (!json_is_object(o)) {
		json_decref(o);
		return (qj_fail(d, QJ_EINVAL, "data", "--data", "--data must "
		    "be a JSON object, e.g. {\"funding-basis\":\"paid\"}"));
	}
	json_object_set_new(body, "data", o);
	return (QJ_OK);
}

/*
 * Adds --document to a request body: "document" (a JSON object) or
 * "document_xml" (the XML text), by the file's first non-blank byte.
 */
static enum qj_err
sg_document(const char *path, json_t *body, struct qj_diag *d)
{
	struct qj_buf	 raw = QJ_BUF_INIT;
	json_error_t	 je;
	json_t		*doc;
	const char	*p;
	enum qj_err	 err;

	if ((err = cli_read_file(path, SG_MAX_FILE, &raw, d)) != QJ_OK)
		goto out;
	for (p = raw.data; isspace((unsigned char)*p); p++)
		continue;
	if (*p == '{') {
		if ((doc = json_loadb(raw.data, raw.len, JSON_REJECT_DUPLICATES,
		    &je)) == NULL || !json_is_object(doc)) {
			if (doc != NULL)
				json_decref(doc);
			err = qj_fail(d, QJ_EINVAL, "document", path, "%s: not a "
			    "JSON object (line %d: %s)", path, je.line, je.text);
			goto out;
		}
		json_object_set_new(body, "document", doc);
	} else if (*p == '<') {
		if (strlen(raw.data) != raw.len) {
			err = qj_fail(d, QJ_EINVAL, "document", path, "%s holds "
			    "a NUL byte", path);
			goto out;
		}
		json_object_set_new(body, "document_xml",
		    json_stringn(raw.data, raw.len));
		if (json_object_get(body, "document_xml") == NULL)
			err = qj_fail(d, QJ_EINVAL, "document", path, "%s is not "
			    "UTF-8", path);
	} else
		err = qj_fail(d, QJ_EINVAL, "document", path, "%s is neither a "
		    "JSON object nor XML", path);
out:
	qj_buf_free(&raw);
	return (err);
}

/*
 * Signs `tbs` as XMLDSig wants it: SHA-256, RSASSA-PKCS1-v1_5 or ECDSA as
 * r||s.  Returns the value in base64, or NULL.
 */
static char *
sg_sign(EVP_PKEY *key, const struct qj_buf *tbs)
{
	struct qj_buf	 b64 = QJ_BUF_INIT;
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	unsigned char	*sig = NULL, raw[2 * 66];
	size_t		 len = 0, half;
	char		*out = NULL;

	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    key) != 1 || EVP_DigestSign(md, NULL, &len,
	    (const unsigned char *)tbs->data, tbs->len) != 1 ||
	    (sig = malloc(len)) == NULL || EVP_DigestSign(md, sig, &len,
	    (const unsigned char *)tbs->data, tbs->len) != 1)
		goto out;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		half = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
		if (2 * half > sizeof(raw) ||
		    qj_ecdsa_der_to_raw(sig, len, half, raw) != 0 ||
		    qj_base64_encode(raw, 2 * half, &b64) != QJ_OK)
			goto out;
	} else if (qj_base64_encode(sig, len, &b64) != QJ_OK)
		goto out;
	out = qj_buf_release(&b64, NULL);
out:
	qj_buf_free(&b64);
	free(sig);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return (out);
}

/* Phase one, local signature, phase two.  Returns the exit status. */
static int
sg_run(struct sg_http *h, const struct sg_args *a, EVP_PKEY *key, X509 *cert,
    json_t *signing)
{
	struct sg_resp	 r;
	struct qj_buf	 tbs = QJ_BUF_INIT;
	struct qj_signer who;
	const char	*want;
	char		 path[96], *pem = NULL, *value = NULL;
	json_t		*body = NULL, *v;
	int		 rc = 1, version;

	memset(&r, 0, sizeof(r));
	/* The case must be there for this user. */
	snprintf(path, sizeof(path), "/api/cases/%s", a->case_id);
	(void)sg_request(h, "GET", path, NULL, &r);
	if (r.status != 200 || !json_is_integer(v = json_object_get(r.json,
	    "version"))) {
		rc = sg_refused(&r);
		goto out;
	}
	version = (int)json_integer_value(v);
	sg_resp_free(&r);
	/* Phase one: the certificate (never the key). */
	if ((pem = sg_cert_pem(cert)) == NULL) {
		fprintf(stderr, "qujat sign: cannot encode the certificate\n");
		goto out;
	}
	json_object_set_new(signing, "event", json_string(a->event));
	json_object_set_new(signing, "certificate", json_string(pem));
	snprintf(path, sizeof(path), "/api/cases/%s/signing", a->case_id);
	(void)sg_request(h, "POST", path, signing, &r);
	if (r.status != 201) {
		rc = sg_refused(&r);
		goto out;
	}
	want = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? SG_EC_SHA256 :
	    SG_RSA_SHA256;
	if (strcmp(sg_str(&r, "hash"), "SHA-256") != 0 ||
	    strcmp(sg_str(&r, "signature_method"), want) != 0 ||
	    *sg_str(&r, "prepare_id") == '\0' ||
	    qj_base64_decode(sg_str(&r, "to_sign"), strlen(sg_str(&r,
	    "to_sign")), &tbs) != QJ_OK || tbs.len == 0) {
		fprintf(stderr, "qujat sign: the server asked for %s with %s; "
		    "this key signs %s with SHA-256\n",
		    sg_str(&r, "signature_method"), sg_str(&r, "hash"), want);
		goto out;
	}
	if (json_is_integer(v = json_object_get(r.json, "case_version")))
		version = (int)json_integer_value(v);
	if ((value = sg_sign(key, &tbs)) == NULL) {
		fprintf(stderr, "qujat sign: signing with the PKCS#12 key "
		    "failed\n");
		goto out;
	}
	/* Phase two. */
	body = json_pack("{s:s, s:i, s:s, s:s}", "event", a->event, "version",
	    version, "prepare_id", sg_str(&r, "prepare_id"),
	    "signature_value", value);
	if (body == NULL)
		goto out;
	if (a->reason != NULL)
		json_object_set_new(body, "reason", json_string(a->reason));
	/* The event's inputs, checked at phase one, go with phase two. */
	if (json_object_get(signing, "data") != NULL)
		json_object_set(body, "data", json_object_get(signing, "data"));
	sg_resp_free(&r);
	snprintf(path, sizeof(path), "/api/cases/%s/transitions", a->case_id);
	(void)sg_request(h, "POST", path, body, &r);
	if (r.status != 200) {
		rc = sg_refused(&r);
		goto out;
	}
	printf("SIGNED\n");
	printf("case: %s\n", a->case_id);
	printf("event: %s\n", a->event);
	printf("state: %s\n", sg_str(&r, "state"));
	printf("version: %lld\n", (long long)json_integer_value(
	    json_object_get(r.json, "version")));
	if (qj_signer_from_cert(cert, &who) == QJ_OK)
		printf("signer: %s\n", who.subject);
	rc = 0;
out:
	sg_resp_free(&r);
	if (body != NULL)
		json_decref(body);
	free(pem);
	free(value);
	qj_buf_free(&tbs);
	return (rc);
}

int
cmd_sign(int argc, char **argv)
{
	struct sg_args	 a;
	struct sg_http	 h;
	struct sg_resp	 r;
	struct qj_buf	 p12pw = QJ_BUF_INIT, secret = QJ_BUF_INIT;
	struct qj_diag	 d;
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL;
	json_t		*signing = NULL;
	int		 rc = 2, logged_in = 0;

	memset(&h, 0, sizeof(h));
	qj_diag_clear(&d);
	if (sg_parse_args(argc, argv, &a) != 0)
		return (2);
	/* Everything local first: a usage error never reaches the server. */
	if (cli_read_secret(a.p12_pw_file, SG_MAX_SECRET, &p12pw, &d) != QJ_OK ||
	    sg_load_p12(a.p12, p12pw.data, &key, &cert, &d) != QJ_OK ||
	    cli_read_secret(a.token_file != NULL ? a.token_file :
	    a.login_pw_file, SG_MAX_SECRET, &secret, &d) != QJ_OK ||
	    (signing = json_object()) == NULL ||
	    (a.document != NULL && sg_document(a.document, signing, &d) !=
	    QJ_OK) || (a.data != NULL && sg_data(a.data, signing, &d) !=
	    QJ_OK)) {
		fprintf(stderr, "qujat sign: %s\n", d.detail[0] != '\0' ?
		    d.detail : "out of memory");
		goto out;
	}
	if (a.token_file != NULL && (strncmp(secret.data, "qjt_", 4) != 0 ||
	    secret.len + 32 > sizeof(h.auth))) {
		fprintf(stderr, "qujat sign: %s does not hold a qjt_ token\n",
		    a.token_file);
		goto out;
	}
	if (a.login != NULL && secret.len == 0) {
		fprintf(stderr, "qujat sign: %s is empty\n", a.login_pw_file);
		goto out;
	}
	rc = 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h.cu = curl_easy_init()) == NULL) {
		fprintf(stderr, "qujat sign: cannot start libcurl\n");
		goto out;
	}
	h.base = a.url;
	h.base_len = strlen(a.url);
	while (h.base_len > 0 && h.base[h.base_len - 1] == '/')
		h.base_len--;
	curl_easy_setopt(h.cu, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(h.cu, CURLOPT_TIMEOUT, SG_TIMEOUT);
	curl_easy_setopt(h.cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h.cu, CURLOPT_USERAGENT, "qujat-sign/1");
	curl_easy_setopt(h.cu, CURLOPT_PROTOCOLS_STR, "http,https");
	if (a.token_file != NULL)
		snprintf(h.auth, sizeof(h.auth), "Authorization: Bearer %s",
		    secret.data);
	else {
		if ((rc = sg_login(&h, a.login, secret.data)) != 0)
			goto out;
		logged_in = 1;
	}
	cli_secret_free(&secret);
	rc = sg_run(&h, &a, key, cert, signing);
	if (logged_in) {
		(void)sg_request(&h, "DELETE", "/api/session", NULL, &r);
		sg_resp_free(&r);
	}
out:
	if (h.cu != NULL) {
		curl_easy_cleanup(h.cu);
		curl_global_cleanup();
	}
	OPENSSL_cleanse(h.auth, sizeof(h.auth));
	OPENSSL_cleanse(h.csrf, sizeof(h.csrf));
	if (signing != NULL)
		json_decref(signing);
	cli_secret_free(&secret);
	cli_secret_free(&p12pw);
	EVP_PKEY_free(key);
	X509_free(cert);
	return (rc);
}
