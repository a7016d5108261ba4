/*
 * test_signatures_api.c: issue 3's acceptance of signatures through the
 * HTTP API, and `qujat sign`.
 *
 * Every malicious signature of the acceptance list is sent to a running
 * server (tests/lib/harness.h) in the form that reaches the check: phase
 * two of two-phase signing (prepare_id + signature_value), a complete
 * external XAdES signature (signature_xml), or an NCALayer-style enveloped
 * signed document (signed_document).  Each must be a 4xx problem naming
 * its check, and nothing may be stored: the signature, case_document,
 * document and audit_event rows, the preparations used, and the case's
 * version and state are compared before and after.  The positive paths
 * (RSA and ECDSA two-phase, an xmlsec1-made XAdES signature, NCALayer's
 * format, `bin/qujat sign` with the demo users' PKCS#12 files) must move
 * the case.
 *
 * Agreement: every vector is also given to `bin/qujat verify-signature`
 * (the dev trust anchor, intermediate and CRLs, --data with the stored
 * document for detached signatures, --expect-iin with the acting user's
 * IIN), which must print VALID exactly when the server accepts and
 * "INVALID: <the server's slug>" when it refuses.  Where the server
 * refuses in phase one (the certificate alone is enough to refuse), the
 * CLI gets a complete signature made with the same certificate and key,
 * and the server gets that signature as well.  Vectors the CLI cannot see
 * as the server does are marked where they are built: the commitment a
 * transition requires (the CLI has no such option; it must print the
 * commitment it found), and the stored document an enveloped signature
 * must be over (the CLI has no --data for enveloped signatures).
 *
 * Vectors come from tests/lib/sigvec.h and certs/dev (README there).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/codec.h"
#include "core/jsonin.h"
#include "core/sig_policy.h"
#include "core/xades.h"
#include "core/xmlsafe.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"
#include "tests/lib/sigvec.h"

#define APPLICANT_IIN	"980412410006"
#define DEAN_IIN	"750321410004"
#define CLI_TRUST	"--trust " SV_CERTS "/trust/root.pem --untrusted " \
			SV_CERTS "/chain/intermediate.pem"
#define CLI_CRLS	"--crl " SV_CERTS "/crl/root.crl.pem --crl " SV_CERTS \
			"/crl/intermediate.crl.pem"

static char	saved_base[64];		/* H.base while another Kore serves */
static pid_t	extra_kore = -1;

/* What a refusal must leave alone. */
struct snap {
	int64_t	signatures, documents, case_docs, audit, prepares, used;
	int64_t	version;
	char	state[64];
};

/* One case and its stored document, as a test drives it. */
struct scene {
	struct tclient	 c;
	const char	*login;
	const char	*iin;
	int64_t		 id;
	const char	*event;
	char		*doc;		/* the stored bytes */
	char		 sha[65];
	char		 uri[80];	/* documents/<sha>.xml */
	char		 dir[320];	/* scratch files */
	char		 docfile[400];
};

/* --- the database -------------------------------------------------------- */

/* The first column of the one row a query returns (caller frees). */
static char *
db_text(const char *fmt, ...)
{
	PGresult	*res;
	va_list		 ap;
	char		 sql[1024], *v;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	(void)db_int("SELECT 1");
	res = PQexec(qj_db_conn(harness_db()), sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1, "%s: %s", sql, PQresultErrorMessage(res));
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return (v);
}

static int64_t
db_count(const char *fmt, ...)
{
	va_list	ap;
	char	sql[1024];

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return (db_int(sql));
}

static void
snap_take(int64_t id, struct snap *s)
{
	char	*st;

	memset(s, 0, sizeof(*s));
	s->signatures = db_int("SELECT count(*) FROM signature");
	s->documents = db_int("SELECT count(*) FROM document");
	s->case_docs = db_count("SELECT count(*) FROM case_document WHERE "
	    "case_id = %lld", (long long)id);
	s->audit = db_count("SELECT count(*) FROM audit_event WHERE case_id = "
	    "%lld", (long long)id);
	s->prepares = db_int("SELECT count(*) FROM signing_prepare");
	s->used = db_int("SELECT count(*) FROM signing_prepare WHERE used_at "
	    "IS NOT NULL");
	s->version = db_count("SELECT version FROM wf_case WHERE id = %lld",
	    (long long)id);
	st = db_text("SELECT state FROM wf_case WHERE id = %lld",
	    (long long)id);
	snprintf(s->state, sizeof(s->state), "%s", st);
	free(st);
}

static void
snap_same(const struct snap *a, const struct snap *b, const char *what)
{
	ck_assert_msg(a->signatures == b->signatures, "%s: a signature was "
	    "stored", what);
	ck_assert_msg(a->documents == b->documents, "%s: a document was "
	    "stored", what);
	ck_assert_msg(a->case_docs == b->case_docs, "%s: a case document was "
	    "stored", what);
	ck_assert_msg(a->audit == b->audit, "%s: an audit event was stored",
	    what);
	ck_assert_msg(a->prepares == b->prepares, "%s: a preparation was "
	    "stored", what);
	ck_assert_msg(a->used == b->used, "%s: a preparation was used up",
	    what);
	ck_assert_msg(a->version == b->version, "%s: the case version moved "
	    "from %lld to %lld", what, (long long)a->version,
	    (long long)b->version);
	ck_assert_msg(strcmp(a->state, b->state) == 0, "%s: the case moved "
	    "from %s to %s", what, a->state, b->state);
}

/* --- scenes ------------------------------------------------------------------ */

static int
run_cmd(const char *cmd)
{
	int	st = system(cmd);

	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Reads the case's current document of `role` into the scene. */
static void
scene_doc(struct scene *s, const char *role)
{
	char	*sha;

	free(s->doc);
	sha = db_text("SELECT cd.sha256 FROM case_document cd WHERE "
	    "cd.case_id = %lld AND cd.role = '%s' ORDER BY cd.version DESC "
	    "LIMIT 1", (long long)s->id, role);
	snprintf(s->sha, sizeof(s->sha), "%s", sha);
	s->doc = db_text("SELECT convert_from(bytes, 'UTF8') FROM document "
	    "WHERE sha256 = '%s'", sha);
	free(sha);
	snprintf(s->uri, sizeof(s->uri), "documents/%s.xml", s->sha);
	sv_spit(s->docfile, s->doc, strlen(s->doc));
}

/* A new leave case in draft, for the applicant to submit. */
static void
scene_open(struct scene *s)
{
	memset(s, 0, sizeof(*s));
	kit_set_clock(0);
	kit_login_as(&s->c, "applicant");
	s->login = "applicant";
	s->iin = APPLICANT_IIN;
	s->event = "submit";
	s->id = kit_open_leave(&s->c, "medical", "2026-12-01", "2027-05-31");
	snprintf(s->dir, sizeof(s->dir), "%s/sigapi-XXXXXX", H.root);
	ck_assert(mkdtemp(s->dir) != NULL);
	snprintf(s->docfile, sizeof(s->docfile), "%s/doc.xml", s->dir);
	scene_doc(s, "application");
}

static void
scene_free(struct scene *s)
{
	char	cmd[400];

	free(s->doc);
	s->doc = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	(void)run_cmd(cmd);
}

/* --- the command line ------------------------------------------------------------ */

/*
 * `bin/qujat verify-signature` on `xml`: detached over the scene's
 * document, or enveloped (no --data).  Returns its output; *verdict gets
 * "VALID" or the slug of "INVALID: <slug>: ...".
 */
static char *
cli_verify(struct scene *s, const char *xml, size_t len, int enveloped,
    const char *crls, char *verdict, size_t cap)
{
	char	 cmd[2048], sig[400], out[400], *text, *colon;

	snprintf(sig, sizeof(sig), "%s/sig.xml", s->dir);
	snprintf(out, sizeof(out), "%s/cli.out", s->dir);
	sv_spit(sig, xml, len);
	snprintf(cmd, sizeof(cmd), "bin/qujat verify-signature " CLI_TRUST
	    " %s %s%s --expect-iin %s '%s' >'%s' 2>&1", crls,
	    enveloped ? "" : "--data ", enveloped ? "" : s->docfile, s->iin,
	    sig, out);
	(void)run_cmd(cmd);
	text = sv_slurp(out, NULL);
	snprintf(verdict, cap, "%.*s", (int)strcspn(text, "\n"), text);
	if (strncmp(verdict, "INVALID: ", 9) == 0) {
		memmove(verdict, verdict + 9, strlen(verdict + 9) + 1);
		if ((colon = strchr(verdict, ':')) != NULL)
			*colon = '\0';
	}
	return (text);
}

/* The CLI's verdict must be `want`; returns its output (caller frees). */
static char *
cli_expect(struct scene *s, const char *xml, size_t len, int enveloped,
    const char *crls, const char *want, const char *what)
{
	char	 got[256], *text;

	text = cli_verify(s, xml, len, enveloped, crls, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s: the server says %s, "
	    "qujat verify-signature says %s:\n%s", what, want, got, text);
	return (text);
}

/* --- requests ------------------------------------------------------------------------ */

/* Fires the scene's event with a whole signature in `field`. */
static long
post_signature(struct scene *s, const char *field, const void *xml,
    size_t len, struct tresp *r)
{
	struct qj_buf	 b64 = QJ_BUF_INIT, body = QJ_BUF_INIT;
	char		 path[96];

	ck_assert(qj_base64_encode(xml, len, &b64) == QJ_OK);
	qj_buf_printf(&body, "{\"event\":\"%s\",\"version\":%d,\"%s\":\"",
	    s->event, t_case_version(&s->c, s->id), field);
	qj_buf_append(&body, b64.data, b64.len);
	qj_buf_puts(&body, "\"}");
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)s->id);
	t_req(&s->c, "POST", path, body.data, body.len, NULL, NULL, r);
	qj_buf_free(&b64);
	qj_buf_free(&body);
	return (r->status);
}

/*
 * A refused whole signature: `status` and `slug` from the server, nothing
 * stored, and the CLI's verdict `cli` (NULL: the same slug).
 */
static void
refused(struct scene *s, const char *field, const char *xml, size_t len,
    long status, const char *slug, const char *cli, const char *what)
{
	struct snap	 a, b;
	struct tresp	 r;
	char		*text;

	snap_take(s->id, &a);
	post_signature(s, field, xml, len, &r);
	ck_assert_msg(t_is_problem(&r, status, slug), "%s via %s: expected "
	    "%ld %s, got %ld %s", what, field, status, slug, r.status,
	    r.len < 600 ? r.body : "(long)");
	ck_assert_msg(r.status >= 400 && r.status < 500, "%s", what);
	tresp_free(&r);
	snap_take(s->id, &b);
	snap_same(&a, &b, what);
	text = cli_expect(s, xml, len, strcmp(field, "signed_document") == 0,
	    CLI_CRLS, cli != NULL ? cli : slug, what);
	free(text);
}

/* An accepted whole signature moves the case to `state`; CLI: VALID. */
static void
accepted(struct scene *s, const char *field, const char *xml, size_t len,
    const char *state, const char *what)
{
	struct snap	 a, b;
	struct tresp	 r;
	char		*text;

	text = cli_expect(s, xml, len, strcmp(field, "signed_document") == 0,
	    CLI_CRLS, "VALID", what);
	free(text);
	snap_take(s->id, &a);
	post_signature(s, field, xml, len, &r);
	ck_assert_msg(r.status == 200, "%s via %s: %ld %s", what, field,
	    r.status, r.body);
	ck_assert_str_eq(t_str(&r, "state"), state);
	tresp_free(&r);
	snap_take(s->id, &b);
	ck_assert_int_eq(b.signatures, a.signatures + 1);
	ck_assert_int_eq(b.version, a.version + 1);
	ck_assert_str_eq(b.state, state);
}

/* The stored signature XML of the case's latest signature (caller frees). */
static char *
last_signature(int64_t id, size_t *len)
{
	char	*xml = db_text("SELECT convert_from(xml, 'UTF8') FROM signature "
	    "WHERE case_id = %lld ORDER BY id DESC LIMIT 1", (long long)id);

	*len = strlen(xml);
	return (xml);
}

/* Phase one with `who`'s certificate. */
static long
prepare(struct scene *s, const char *who, struct tresp *r)
{
	json_t	*b;
	char	 path[96], pem[300], *cert, *body;

	snprintf(pem, sizeof(pem), SV_CERTS "/%s.pem", who);
	cert = sv_slurp(pem, NULL);
	b = json_pack("{s:s, s:s}", "event", s->event, "certificate", cert);
	body = json_dumps(b, 0);
	json_decref(b);
	snprintf(path, sizeof(path), "/api/cases/%lld/signing",
	    (long long)s->id);
	t_json(&s->c, "POST", path, body, r);
	free(body);
	free(cert);
	return (r->status);
}

/* Phase two with the value `sig`. */
static long
complete(struct scene *s, const char *prepare_id, int version,
    const void *sig, size_t siglen, struct tresp *r)
{
	struct qj_buf	 b64 = QJ_BUF_INIT;
	char		 path[96], body[4096];

	ck_assert(qj_base64_encode(sig, siglen, &b64) == QJ_OK);
	snprintf(body, sizeof(body), "{\"event\":\"%s\",\"version\":%d,"
	    "\"prepare_id\":\"%s\",\"signature_value\":\"%s\"}", s->event,
	    version, prepare_id, b64.data);
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)s->id);
	t_json(&s->c, "POST", path, body, r);
	qj_buf_free(&b64);
	return (r->status);
}

/* The skeleton the server keeps for a preparation (caller frees). */
static char *
skeleton_of(const char *prepare_id)
{
	return (db_text("SELECT convert_from(skeleton, 'UTF8') FROM "
	    "signing_prepare WHERE id_hash = encode(sha256('%s'::bytea), "
	    "'hex')", prepare_id));
}

/*
 * Two-phase signing with `cert_who`'s certificate and `key_who`'s key;
 * `tamper` flips a bit of the value.  Expects `status`/`slug` (200/NULL:
 * accepted).  The CLI checks the very signature the server built from its
 * skeleton and the value.
 */
static void
two_phase(struct scene *s, const char *cert_who, const char *key_who,
    int tamper, long status, const char *slug, const char *what)
{
	struct snap	 a, b;
	struct tresp	 r;
	struct qj_buf	 tbs = QJ_BUF_INIT, xml = QJ_BUF_INIT;
	struct qj_diag	 d;
	EVP_PKEY	*key = sv_load_key(key_who);
	unsigned char	*sig;
	size_t		 siglen, len;
	char		*skel, *text, *stored, id[96];
	int		 version;

	ck_assert_msg(prepare(s, cert_who, &r) == 201, "%s: %ld %s", what,
	    r.status, r.body);
	snprintf(id, sizeof(id), "%s", t_str(&r, "prepare_id"));
	version = (int)t_int(&r, "case_version");
	ck_assert_str_eq(t_str(&r, "hash"), "SHA-256");
	ck_assert_str_eq(t_str(&r, "document_sha256"), s->sha);
	ck_assert(qj_base64_decode(t_str(&r, "to_sign"),
	    strlen(t_str(&r, "to_sign")), &tbs) == QJ_OK);
	tresp_free(&r);
	sig = sv_sign_raw(key, "SHA256", tbs.data, tbs.len, &siglen);
	if (tamper)
		sig[siglen / 2] ^= 0x01;
	skel = skeleton_of(id);
	ck_assert(qj_xades_assemble(skel, strlen(skel), sig, siglen, &xml,
	    &d) == QJ_OK);
	snap_take(s->id, &a);
	complete(s, id, version, sig, siglen, &r);
	snap_take(s->id, &b);
	if (slug == NULL) {
		ck_assert_msg(r.status == 200, "%s: %ld %s", what, r.status,
		    r.body);
		ck_assert_int_eq(b.signatures, a.signatures + 1);
		ck_assert_int_eq(b.used, a.used + 1);
		ck_assert_int_eq(b.version, a.version + 1);
		/* What the server stored is what the CLI is given. */
		stored = last_signature(s->id, &len);
		ck_assert_msg(len == xml.len && memcmp(stored, xml.data, len) ==
		    0, "%s: the stored signature differs", what);
		free(stored);
		text = cli_expect(s, xml.data, xml.len, 0, CLI_CRLS, "VALID",
		    what);
	} else {
		ck_assert_msg(t_is_problem(&r, status, slug), "%s: expected "
		    "%ld %s, got %ld %s", what, status, slug, r.status, r.body);
		snap_same(&a, &b, what);
		text = cli_expect(s, xml.data, xml.len, 0, CLI_CRLS, slug,
		    what);
	}
	free(text);
	tresp_free(&r);
	free(skel);
	free(sig);
	qj_buf_free(&tbs);
	qj_buf_free(&xml);
	EVP_PKEY_free(key);
}

/*
 * A certificate the server refuses in phase one: `slug`, nothing stored,
 * no preparation.  The same certificate and key in a complete signature
 * over the stored document: refused by the server with the same slug
 * (signature_xml), and by the CLI.
 */
static void
refused_cert(struct scene *s, const char *who, const char *slug,
    const char *crls)
{
	struct snap	 a, b;
	struct tresp	 r;
	char		*xml, *text;
	size_t		 len;

	snap_take(s->id, &a);
	prepare(s, who, &r);
	ck_assert_msg(t_is_problem(&r, 422, slug), "phase one with %s: "
	    "expected 422 %s, got %ld %s", who, slug, r.status, r.body);
	tresp_free(&r);
	snap_take(s->id, &b);
	snap_same(&a, &b, who);
	xml = sv_make_sig(who, s->doc, s->uri, QJ_COMMIT_ORIGIN, "applicant",
	    time(NULL), &len);
	if (strcmp(crls, CLI_CRLS) == 0)
		refused(s, "signature_xml", xml, len, 422, slug, NULL, who);
	else {
		snap_take(s->id, &a);
		post_signature(s, "signature_xml", xml, len, &r);
		ck_assert_msg(t_is_problem(&r, 422, slug), "%s: %ld %s", who,
		    r.status, r.body);
		tresp_free(&r);
		snap_take(s->id, &b);
		snap_same(&a, &b, who);
		text = cli_expect(s, xml, len, 0, crls, slug, who);
		free(text);
	}
	free(xml);
}

/* --- two-phase signing ------------------------------------------------------------ */

START_TEST(t_two_phase)
{
	struct scene	 s, dean;
	struct tresp	 r;

	scene_open(&s);
	/* SignatureValue changed: RSA and ECDSA. */
	two_phase(&s, "users/applicant-rsa", "users/applicant-rsa", 1, 422,
	    "sig-value", "RSA value changed");
	two_phase(&s, "users/applicant-ec", "users/applicant-ec", 1, 422,
	    "sig-value", "ECDSA value changed");
	/* A value made with another key than the certificate's. */
	two_phase(&s, "users/applicant-rsa", "vectors/other-rsa", 0, 422,
	    "sig-value", "another key");
	/* Certificates refused before anything is prepared. */
	refused_cert(&s, "vectors/other-rsa", "sig-signer", CLI_CRLS);
	refused_cert(&s, "users/applicant2-rsa", "sig-signer", CLI_CRLS);
	refused_cert(&s, "vectors/lookalike/applicant-rsa", "sig-chain",
	    CLI_CRLS);
	refused_cert(&s, "vectors/revoked-rsa", "sig-revoked", CLI_CRLS);
	refused_cert(&s, "vectors/expired-rsa", "sig-cert-expired", CLI_CRLS);
	refused_cert(&s, "vectors/notyet-rsa", "sig-cert-not-yet-valid",
	    CLI_CRLS);
	refused_cert(&s, "vectors/rsa1024", "sig-weak-key", CLI_CRLS);
	refused_cert(&s, "vectors/ec-secp256k1", "sig-weak-key", CLI_CRLS);
	refused_cert(&s, "vectors/sha1-rsa", "sig-algorithm", CLI_CRLS);
	refused_cert(&s, "vectors/nokeyusage-rsa", "sig-key-usage", CLI_CRLS);
	/* A preparation is used once, by the person it was made for. */
	ck_assert_int_eq(prepare(&s, "users/applicant-rsa", &r), 201);
	{
		struct tclient	other;
		char		id[96];
		int		v = (int)t_int(&r, "case_version");

		snprintf(id, sizeof(id), "%s", t_str(&r, "prepare_id"));
		tresp_free(&r);
		kit_login_as(&other, "applicant2");
		dean = s;
		dean.c = other;
		complete(&dean, id, v, "x", 1, &r);
		ck_assert_msg(t_is_problem(&r, 422, "unknown-prepare"), "%s",
		    r.body);
		tresp_free(&r);
	}
	/* RSA, then ECDSA (the dean's visa): each moves the case. */
	two_phase(&s, "users/applicant-rsa", "users/applicant-rsa", 0, 200,
	    NULL, "RSA");
	kit_expect_state(&s.c, s.id, "dean-review");
	dean = s;
	kit_login_as(&dean.c, "dean");
	dean.login = "dean";
	dean.iin = DEAN_IIN;
	dean.event = "approve";
	two_phase(&dean, "users/dean-ec", "users/dean-ec", 1, 422,
	    "sig-value", "ECDSA visa value changed");
	two_phase(&dean, "users/dean-ec", "users/dean-ec", 0, 200, NULL,
	    "ECDSA visa");
	kit_expect_state(&s.c, s.id, "registrar-check");
	ck_assert_int_eq(db_count("SELECT count(*) FROM signature WHERE "
	    "case_id = %lld", (long long)s.id), 2);
	scene_free(&s);
}
END_TEST

/* --- complete external XAdES signatures (signature_xml) ------------------------- */

/* A XAdES B-B template over the scene's document, as an external tool. */
static char *
external_template(struct scene *s, const char *who)
{
	struct qj_buf	 t = QJ_BUF_INIT, dig = QJ_BUF_INIT;
	unsigned char	 md[32];
	unsigned int	 n = sizeof(md);
	X509		*x = sv_load_cert(who);
	time_t		 hour_ago = time(NULL) - 3600;
	struct tm	 tm;
	char		 when[32];

	gmtime_r(&hour_ago, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	X509_digest(x, EVP_sha256(), md, &n);
	qj_base64_encode(md, n, &dig);
	qj_buf_printf(&t,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Signature xmlns=\"" SIG_NS_DS "\" Id=\"S1\">\n"
	    " <SignedInfo>\n"
	    "  <CanonicalizationMethod Algorithm=\"" SIG_C14N_EXCL "\"/>\n"
	    "  <SignatureMethod Algorithm=\"%s\"/>\n"
	    "  <Reference Id=\"R1\" URI=\"%s\">\n"
	    "   <DigestMethod Algorithm=\"" SIG_SHA256 "\"/>\n"
	    "   <DigestValue/>\n"
	    "  </Reference>\n"
	    "  <Reference Type=\"" SIG_PROPS_TYPE "\" URI=\"#SP1\">\n"
	    "   <Transforms><Transform Algorithm=\"" SIG_C14N_EXCL "\"/>"
	    "</Transforms>\n"
	    "   <DigestMethod Algorithm=\"" SIG_SHA256 "\"/>\n"
	    "   <DigestValue/>\n"
	    "  </Reference>\n"
	    " </SignedInfo>\n"
	    " <SignatureValue/>\n"
	    " <KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>\n"
	    " <Object>\n"
	    "  <xa:QualifyingProperties xmlns:xa=\"" SIG_NS_XADES "\" "
	    "Target=\"#S1\">\n"
	    "   <xa:SignedProperties Id=\"SP1\">\n"
	    "    <xa:SignedSignatureProperties>\n"
	    "     <xa:SigningTime>%s</xa:SigningTime>\n"
	    "     <xa:SigningCertificateV2><xa:Cert><xa:CertDigest>"
	    "<DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
	    "<DigestValue>%s</DigestValue></xa:CertDigest></xa:Cert>"
	    "</xa:SigningCertificateV2>\n"
	    "    </xa:SignedSignatureProperties>\n"
	    "    <xa:SignedDataObjectProperties>\n"
	    "     <xa:DataObjectFormat ObjectReference=\"#R1\"><xa:MimeType>"
	    "text/xml</xa:MimeType></xa:DataObjectFormat>\n"
	    "     <xa:CommitmentTypeIndication><xa:CommitmentTypeId>"
	    "<xa:Identifier>http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin"
	    "</xa:Identifier></xa:CommitmentTypeId><xa:AllSignedDataObjects/>"
	    "</xa:CommitmentTypeIndication>\n"
	    "    </xa:SignedDataObjectProperties>\n"
	    "   </xa:SignedProperties>\n"
	    "  </xa:QualifyingProperties>\n"
	    " </Object>\n"
	    "</Signature>\n",
	    EVP_PKEY_get_base_id(X509_get0_pubkey(x)) == EVP_PKEY_EC ?
	    SIG_ECDSA_SHA256 : SIG_RSA_SHA256, s->uri, when, dig.data);
	X509_free(x);
	qj_buf_free(&dig);
	return (qj_buf_release(&t, NULL));
}

/* `xmlsec1 --sign` of the template, the document at its relative URI. */
static char *
xmlsec1_sign(struct scene *s, const char *who, size_t *len)
{
	char	 path[512], cmd[2048], cwd[512], *t;

	ck_assert_msg(run_cmd("xmlsec1 --version >/dev/null 2>&1") == 0,
	    "the xmlsec1 program is missing (make deps installs it)");
	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/documents'", s->dir);
	ck_assert_int_eq(run_cmd(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", s->dir, s->uri);
	sv_spit(path, s->doc, strlen(s->doc));
	t = external_template(s, who);
	snprintf(path, sizeof(path), "%s/tmpl.xml", s->dir);
	sv_spit(path, t, strlen(t));
	free(t);
	snprintf(cmd, sizeof(cmd), "cd '%s' && xmlsec1 --sign --privkey-pem "
	    "'%s/" SV_CERTS "/%s.key,%s/" SV_CERTS "/%s.pem' --output "
	    "signed.xml tmpl.xml >xmlsec1.log 2>&1", s->dir, cwd, who, cwd,
	    who);
	ck_assert_msg(run_cmd(cmd) == 0, "xmlsec1 --sign failed, see %s",
	    s->dir);
	snprintf(path, sizeof(path), "%s/signed.xml", s->dir);
	return (sv_slurp(path, len));
}

START_TEST(t_complete_signatures)
{
	struct scene	 s;
	char		*xml, *a, *b, *other, *text, got[256];
	size_t		 len;

	scene_open(&s);
	xml = sv_make_sig("users/applicant-rsa", s.doc, s.uri,
	    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &len);
	/* One byte of the document changed: signed, but not what is stored. */
	a = sv_mutate(s.doc, "2027-05-31", "2027-05-30");
	b = sv_make_sig("users/applicant-rsa", a, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signature_xml", b, len, 422, "sig-digest", NULL,
	    "one byte of the document changed");
	free(a);
	free(b);
	/* SignatureValue changed. */
	a = strdup(xml);
	sv_flip_signature_value(a);
	refused(&s, "signature_xml", a, strlen(a), 422, "sig-value", NULL,
	    "SignatureValue changed");
	free(a);
	/* Look-alike CA with the same names, with its chain riding along. */
	a = sv_make_sig("vectors/lookalike/applicant-rsa", s.doc, s.uri,
	    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-chain", NULL,
	    "look-alike CA");
	{
		char *ica = sv_cert_b64("vectors/lookalike/intermediate");
		char *rca = sv_cert_b64("vectors/lookalike/root");
		char *more = malloc(strlen(ica) + strlen(rca) + 256);

		sprintf(more, "</ds:X509Certificate><ds:X509Certificate>%s"
		    "</ds:X509Certificate><ds:X509Certificate>%s"
		    "</ds:X509Certificate></ds:X509Data>", ica, rca);
		b = sv_mutate(a, "</ds:X509Certificate></ds:X509Data>", more);
		refused(&s, "signature_xml", b, strlen(b), 422, "sig-chain",
		    NULL, "look-alike CA with its chain embedded");
		free(b);
		free(more);
		free(ica);
		free(rca);
	}
	free(a);
	/* The key only as KeyValue (the attacker's key). */
	a = sv_keyvalue_only(xml, s.doc, "vectors/other-rsa", &len);
	refused(&s, "signature_xml", a, len, 422, "sig-key-source", NULL,
	    "key only as KeyValue");
	free(a);
	/* Revoked, expired, another user's, RSA-1024. */
	a = sv_make_sig("vectors/revoked-rsa", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-revoked", NULL,
	    "revoked certificate");
	free(a);
	a = sv_make_sig("vectors/expired-rsa", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-cert-expired", NULL,
	    "expired certificate");
	free(a);
	/* Expired, and backdated to when it was valid: checked at now. */
	a = sv_make_sig("vectors/expired-rsa", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", 1593561600 /* 2020-07-01 */, &len);
	/* The CLI checks at the SigningTime unless told --at: in 2020 the
	   dev root (valid from 2024) was not yet valid.  Told the server's
	   time, it says what the server says. */
	refused(&s, "signature_xml", a, len, 422, "sig-cert-expired",
	    "sig-cert-not-yet-valid", "expired certificate, backdated "
	    "SigningTime");
	{
		char at[32], cmd[2048], out[400], sig[400];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(sig, sizeof(sig), "%s/sig.xml", s.dir);
		snprintf(out, sizeof(out), "%s/cli.out", s.dir);
		snprintf(cmd, sizeof(cmd), "bin/qujat verify-signature "
		    CLI_TRUST " " CLI_CRLS " --at '%s' --data '%s' '%s' >'%s' "
		    "2>&1", at, s.docfile, sig, out);
		(void)run_cmd(cmd);
		text = sv_slurp(out, NULL);
		ck_assert_msg(strncmp(text, "INVALID: sig-cert-expired:", 26) ==
		    0, "%s", text);
		free(text);
	}
	free(a);
	a = sv_make_sig("vectors/other-rsa", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-signer", NULL,
	    "another user's certificate");
	/* Without --expect-iin the CLI cannot know who acts: VALID. */
	{
		const char *iin = s.iin;

		s.iin = "000101500011";
		text = cli_verify(&s, a, len, 0, CLI_CRLS, got, sizeof(got));
		ck_assert_msg(strcmp(got, "VALID") == 0, "%s", text);
		free(text);
		s.iin = iin;
	}
	free(a);
	a = sv_make_sig("vectors/rsa1024", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-weak-key", NULL,
	    "RSA-1024");
	free(a);
	/* SHA-1: the SignatureMethod, a digest, the certificate's signature. */
	a = sv_mutate(xml, SIG_RSA_SHA256,
	    "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
	b = sv_sign_again(a, s.doc, "users/applicant-rsa", &len);
	refused(&s, "signature_xml", b, len, 422, "sig-algorithm", NULL,
	    "SHA-1 SignatureMethod");
	free(a);
	free(b);
	a = sv_mutate_after(xml, "<ds:Reference Id=", SIG_SHA256,
	    "http://www.w3.org/2000/09/xmldsig#sha1");
	b = sv_sign_again(a, s.doc, "users/applicant-rsa", &len);
	refused(&s, "signature_xml", b, len, 422, "sig-algorithm", NULL,
	    "SHA-1 DigestMethod");
	free(a);
	free(b);
	a = sv_make_sig("vectors/sha1-rsa", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-algorithm", NULL,
	    "certificate signed with SHA-1");
	free(a);
	/* Two References where one is expected (plus SignedProperties). */
	{
		char ref[512];

		snprintf(ref, sizeof(ref), "<ds:Reference URI=\"%s\">"
		    "<ds:DigestMethod Algorithm=\"" SIG_SHA256 "\"/>"
		    "<ds:DigestValue>AA==</ds:DigestValue></ds:Reference>"
		    "</ds:SignedInfo>", s.uri);
		a = sv_mutate(xml, "</ds:SignedInfo>", ref);
		b = sv_sign_again(a, s.doc, "users/applicant-rsa", &len);
		refused(&s, "signature_xml", b, len, 422, "sig-references",
		    NULL, "two document References");
		free(a);
		free(b);
	}
	/* Wrapping: foreign content in ds:Object, a duplicate Id. */
	a = sv_mutate(xml, "<ds:Object>", "<ds:Object><application "
	    "Id=\"app-1\"/>");
	b = sv_sign_again(a, s.doc, "users/applicant-rsa", &len);
	refused(&s, "signature_xml", b, len, 422, "sig-wrapping", NULL,
	    "content wrapped in ds:Object");
	free(a);
	free(b);
	{
		char id[96];
		const char *p = strstr(xml, "Id=\"ref-doc-") + 4;

		snprintf(id, sizeof(id), "<ds:SignedInfo Id=\"%.*s\">",
		    (int)strcspn(p, "\""), p);
		a = sv_mutate(xml, "<ds:SignedInfo>", id);
		refused(&s, "signature_xml", a, strlen(a), 422,
		    "sig-wrapping", NULL, "duplicate Id");
		free(a);
	}
	/* The wrong commitment for the transition.  The CLI accepts any of
	   the three (it has no option for the expected one): it must show
	   the commitment it found. */
	a = sv_make_sig("users/applicant-rsa", s.doc, s.uri,
	    QJ_COMMIT_APPROVAL, "applicant", time(NULL), &len);
	refused(&s, "signature_xml", a, len, 422, "sig-commitment", "VALID",
	    "ProofOfApproval where ProofOfOrigin is required");
	text = cli_verify(&s, a, len, 0, CLI_CRLS, got, sizeof(got));
	ck_assert_msg(strstr(text, "commitment: http://uri.etsi.org/01903/"
	    "v1.2.2#ProofOfApproval") != NULL, "%s", text);
	free(text);
	free(a);
	/* A signature for another case's document URI. */
	other = sv_mutate(s.uri, "documents/", "documents/0");
	other[strlen("documents/") + 64] = '\0';
	strcat(other, ".xml");
	a = sv_make_sig("users/applicant-rsa", s.doc, other, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	{
		struct snap sa, sb;
		struct tresp r;

		snap_take(s.id, &sa);
		post_signature(&s, "signature_xml", a, len, &r);
		ck_assert_msg(t_is_problem(&r, 422, "sig-references"), "%s",
		    r.body);
		tresp_free(&r);
		snap_take(s.id, &sb);
		snap_same(&sa, &sb, "another document URI");
		/* The CLI serves --data under whatever URI: the bytes are
		   right, so VALID; the URI binding is the server's. */
		text = cli_verify(&s, a, len, 0, CLI_CRLS, got, sizeof(got));
		ck_assert_msg(strcmp(got, "VALID") == 0, "%s", text);
		free(text);
	}
	free(a);
	free(other);
	/* The positive path: our own, and one made by xmlsec1. */
	a = xmlsec1_sign(&s, "users/applicant-rsa", &len);
	b = sv_mutate(a, "ProofOfOrigin", "ProofOfReceipt");
	refused(&s, "signature_xml", b, strlen(b), 422, "sig-xades", NULL,
	    "xmlsec1 signature with SignedProperties changed");
	free(b);
	accepted(&s, "signature_xml", a, len, "dean-review",
	    "xmlsec1 --sign XAdES");
	free(a);
	free(xml);
	scene_free(&s);
}
END_TEST

/* A second case: our own complete signature, RSA, then ECDSA by the dean. */
START_TEST(t_complete_signatures_accepted)
{
	struct scene	 s;
	char		*xml;
	size_t		 len;

	scene_open(&s);
	xml = sv_make_sig("users/applicant-ec", s.doc, s.uri,
	    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &len);
	accepted(&s, "signature_xml", xml, len, "dean-review",
	    "complete ECDSA XAdES");
	/* The same signature again is not a second act. */
	{
		struct tresp r;

		post_signature(&s, "signature_xml", xml, len, &r);
		ck_assert_msg(r.status >= 400 && r.status < 500, "%s", r.body);
		tresp_free(&r);
	}
	free(xml);
	scene_free(&s);
}
END_TEST

/* --- NCALayer's enveloped format (signed_document) ------------------------------- */

START_TEST(t_enveloped)
{
	struct scene	 s;
	char		*xml, *a, *b, *forged;
	size_t		 len;

	scene_open(&s);
	forged = sv_mutate(s.doc, "2027-05-31", "2027-11-30");
	/* Wrapping: the signed application moved into ds:Object, a forged
	   one in its place; by Id and with Reference URI="". */
	a = sv_wrapped_enveloped(s.doc, forged, "users/applicant-rsa", 1,
	    &len);
	refused(&s, "signed_document", a, len, 422, "sig-wrapping", NULL,
	    "wrapped document, Reference by Id");
	free(a);
	a = sv_wrapped_enveloped(s.doc, forged, "users/applicant-rsa", 0,
	    &len);
	refused(&s, "signed_document", a, len, 422, "sig-wrapping", NULL,
	    "wrapped document, Reference URI=\"\"");
	free(a);
	xml = sv_make_ncalayer(s.doc, "users/applicant-rsa", &len);
	a = sv_nested_enveloped(xml, forged);
	refused(&s, "signed_document", a, strlen(a), 422, "sig-wrapping",
	    NULL, "signed document nested under a forged root");
	free(a);
	/* Two References where one is expected. */
	a = sv_ncalayer_template(s.doc, "users/applicant-rsa",
	    "<ds:Reference URI=\"#x\"><ds:DigestMethod Algorithm=\""
	    SIG_SHA256 "\"/><ds:DigestValue>AA==</ds:DigestValue>"
	    "</ds:Reference>", NULL);
	b = sv_sign_again(a, "", "users/applicant-rsa", &len);
	refused(&s, "signed_document", b, len, 422, "sig-references", NULL,
	    "two References in an enveloped signature");
	free(a);
	free(b);
	/* A byte of the signed document changed after signing. */
	a = sv_mutate(xml, "2027-05-31", "2027-05-30");
	refused(&s, "signed_document", a, strlen(a), 422, "sig-digest", NULL,
	    "enveloped document changed after signing");
	free(a);
	/* Validly signed, but another document than the stored one.  The CLI
	   has no --data for enveloped signatures, so it cannot know which
	   document is expected: VALID (the server's check, not the CLI's). */
	a = sv_make_ncalayer(forged, "users/applicant-rsa", &len);
	refused(&s, "signed_document", a, len, 422, "sig-digest", "VALID",
	    "enveloped signature over another document");
	free(a);
	/* SignatureValue, another user, revoked, KeyValue. */
	a = strdup(xml);
	sv_flip_signature_value(a);
	refused(&s, "signed_document", a, strlen(a), 422, "sig-value", NULL,
	    "enveloped SignatureValue changed");
	free(a);
	a = sv_make_ncalayer(s.doc, "vectors/other-rsa", &len);
	refused(&s, "signed_document", a, len, 422, "sig-signer", NULL,
	    "enveloped, another user's certificate");
	free(a);
	a = sv_make_ncalayer(s.doc, "vectors/revoked-rsa", &len);
	refused(&s, "signed_document", a, len, 422, "sig-revoked", NULL,
	    "enveloped, revoked certificate");
	free(a);
	a = sv_mutate(xml, "<ds:KeyInfo>", "<ds:KeyInfo><ds:KeyName>x"
	    "</ds:KeyName>");
	refused(&s, "signed_document", a, strlen(a), 422, "sig-key-source",
	    NULL, "enveloped, KeyName");
	free(a);
	/* A detached signature where an enveloped one is expected. */
	a = sv_make_sig("users/applicant-rsa", s.doc, s.uri, QJ_COMMIT_ORIGIN,
	    "applicant", time(NULL), &len);
	refused(&s, "signed_document", a, len, 422, "sig-wrapping", NULL,
	    "detached signature as signed_document");
	free(a);
	free(xml);
	free(forged);
	scene_free(&s);
}
END_TEST

/* The positive path: NCALayer's format over the stored document. */
START_TEST(t_enveloped_accepted)
{
	struct scene	 s;
	char		*xml;
	size_t		 len;

	scene_open(&s);
	xml = sv_make_ncalayer(s.doc, "users/applicant-rsa", &len);
	accepted(&s, "signed_document", xml, len, "dean-review",
	    "NCALayer enveloped signature");
	free(xml);
	scene_free(&s);
}
END_TEST

/* --- hostile XML and size ----------------------------------------------------------- */

START_TEST(t_hostile_xml)
{
	static const char *const fields[] = { "signature_xml",
	    "signed_document" };
	struct scene	 s;
	struct snap	 a, b;
	struct tresp	 r;
	char		*v[3], *xml, *big, body[2048];
	size_t		 i, j, len, blen;

	scene_open(&s);
	v[0] = sv_doctype();
	v[1] = sv_xxe();
	v[2] = sv_billion_laughs();
	for (i = 0; i < QJ_NELEM(fields); i++)
		for (j = 0; j < 3; j++)
			refused(&s, fields[i], v[j], strlen(v[j]), 400,
			    "xml-doctype", NULL, j == 0 ? "DOCTYPE" : j == 1 ?
			    "external entity" : "entity expansion");
	/*
	 * A signature over the size limit: 413 xml-too-large from the server
	 * and the CLI alike (the JSON body limit, QJ_JSON_MAX_BYTES = 8 MiB,
	 * leaves room for a 4 MiB signature in base64).  A body over the
	 * JSON limit is refused before its XML is read: body-too-large.
	 */
	xml = sv_make_sig("users/applicant-rsa", s.doc, s.uri,
	    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &len);
	big = sv_oversize(xml, QJ_XML_MAX_BYTES_DEFAULT, &blen);
	refused(&s, "signature_xml", big, blen, 413, "xml-too-large",
	    "xml-too-large", "signature over the size limit");
	free(big);
	big = sv_oversize(xml, QJ_JSON_MAX_BYTES * 3 / 4, &blen);
	refused(&s, "signature_xml", big, blen, 413, "body-too-large",
	    "xml-too-large", "signature over the JSON limit too");
	free(big);
	free(xml);
	xml = sv_make_ncalayer(s.doc, "users/applicant-rsa", &len);
	big = sv_oversize(xml, QJ_XML_MAX_BYTES_DEFAULT, &blen);
	refused(&s, "signed_document", big, blen, 413, "xml-too-large",
	    "xml-too-large", "signed document over the size limit");
	free(big);
	free(xml);
	/* A DOCTYPE in a document a case is opened with: nothing stored. */
	snap_take(s.id, &a);
	snprintf(body, sizeof(body), "{\"workflow\":\"academic-leave\","
	    "\"document_xml\":\"<?xml version=\\\"1.0\\\"?><!DOCTYPE r "
	    "[<!ENTITY x SYSTEM \\\"file:///etc/passwd\\\">]><r>&x;</r>\"}");
	t_json(&s.c, "POST", "/api/cases", body, &r);
	ck_assert_msg(t_is_problem(&r, 400, "xml-doctype"), "%ld %s",
	    r.status, r.body);
	tresp_free(&r);
	snap_take(s.id, &b);
	snap_same(&a, &b, "document with an external entity");
	ck_assert_int_eq(db_int("SELECT count(*) FROM document WHERE "
	    "convert_from(bytes, 'UTF8') LIKE '%root:%'"), 0);
	for (j = 0; j < 3; j++)
		free(v[j]);
	scene_free(&s);
}
END_TEST

/* --- a server whose CRLs are incomplete -------------------------------------------- */

static void
use_server(const char *base)
{
	if (saved_base[0] == '\0')
		snprintf(saved_base, sizeof(saved_base), "%s", H.base);
	snprintf(H.base, sizeof(H.base), "%s", base);
}

static void
restore_server(void)
{
	if (saved_base[0] != '\0') {
		snprintf(H.base, sizeof(H.base), "%s", saved_base);
		saved_base[0] = '\0';
	}
	if (extra_kore > 0) {
		harness_stop_extra_kore(extra_kore);
		extra_kore = -1;
	}
}

START_TEST(t_missing_crl)
{
	struct scene	 s;
	char		 base[64], log[4096], empty[400], env1[480];
	const char	*env[2] = { NULL, NULL };
	char		*xml, *text;
	size_t		 len;

	scene_open(&s);
	/* No CRL at all: the server does not start (fail closed). */
	snprintf(empty, sizeof(empty), "%s/no-crls", s.dir);
	ck_assert(mkdir(empty, 0755) == 0);
	snprintf(env1, sizeof(env1), "QUJAT_TRUST_CRLS=%s", empty);
	env[0] = env1;
	ck_assert_int_eq(harness_start_extra_kore(env, 10000, base,
	    sizeof(base), log, sizeof(log)), -1);
	ck_assert_msg(strstr(log, "trust") != NULL, "%s", log);
	/* The issuing CA's CRL missing: every signature fails closed. */
	env[0] = "QUJAT_TRUST_CRLS=" SV_CERTS "/crl/root.crl.pem";
	extra_kore = harness_start_extra_kore(env, 10000, base, sizeof(base),
	    log, sizeof(log));
	ck_assert_msg(extra_kore > 0, "%s", log);
	use_server(base);
	refused_cert(&s, "users/applicant-rsa", "sig-crl-missing",
	    "--crl " SV_CERTS "/crl/root.crl.pem");
	refused_cert(&s, "users/applicant-ec", "sig-crl-missing",
	    "--crl " SV_CERTS "/crl/root.crl.pem");
	/* The CLI without any CRL says the same. */
	xml = sv_make_sig("users/applicant-rsa", s.doc, s.uri,
	    QJ_COMMIT_ORIGIN, "applicant", time(NULL), &len);
	text = cli_expect(&s, xml, len, 0, "", "sig-crl-missing", "no CRL");
	free(text);
	/* The same signature is fine where the CRLs are complete. */
	restore_server();
	accepted(&s, "signature_xml", xml, len, "dean-review",
	    "complete CRLs");
	free(xml);
	scene_free(&s);
}
END_TEST

/* --- qujat sign -------------------------------------------------------------------------- */

/* Runs bin/qujat sign with `args`; its exit status; output into *out. */
static int
qujat_sign(struct scene *s, const char *args, char **out)
{
	char	cmd[4096], path[400];
	int	rc;

	snprintf(path, sizeof(path), "%s/sign.out", s->dir);
	snprintf(cmd, sizeof(cmd), "bin/qujat sign --url %s %s >'%s' 2>&1",
	    H.base, args, path);
	rc = run_cmd(cmd);
	*out = sv_slurp(path, NULL);
	return (rc);
}

/* A file holding `text`, in the scene's directory; its path. */
static const char *
scene_file(struct scene *s, const char *name, const char *text, char *path,
    size_t cap)
{
	snprintf(path, cap, "%s/%s", s->dir, name);
	sv_spit(path, text, strlen(text));
	return (path);
}

START_TEST(t_qujat_sign)
{
	struct scene	 s;
	struct snap	 a, b;
	struct tresp	 r;
	char		 pw[400], tok[400], args[2048], *out, *xml, *text;
	size_t		 len;
	int		 rc;

	ck_assert_msg(access("bin/qujat", X_OK) == 0, "bin/qujat is not built");
	scene_open(&s);
	scene_file(&s, "applicant.pw", demo_password("applicant"), pw,
	    sizeof(pw));
	/* Usage errors: exit 2, nothing sent. */
	snap_take(s.id, &a);
	snprintf(args, sizeof(args), "--login applicant --case %lld --event "
	    "submit --p12 " SV_CERTS "/users/applicant-rsa.p12 "
	    "--p12-password-file " SV_CERTS "/users/password", (long long)s.id);
	ck_assert_int_eq(qujat_sign(&s, args, &out), 2);
	ck_assert_msg(strstr(out, "usage: qujat sign") != NULL, "%s", out);
	free(out);
	/* A wrong PKCS#12 password: exit 2. */
	snprintf(args, sizeof(args), "--login applicant --login-password-file "
	    "'%s' --case %lld --event submit --p12 " SV_CERTS
	    "/users/applicant-rsa.p12 --p12-password-file '%s'", pw,
	    (long long)s.id, pw);
	ck_assert_int_eq(qujat_sign(&s, args, &out), 2);
	ck_assert_msg(strstr(out, "cannot open") != NULL, "%s", out);
	free(out);
	/* Another user's PKCS#12: refused by the server, exit 1. */
	snprintf(args, sizeof(args), "--login applicant --login-password-file "
	    "'%s' --case %lld --event submit --p12 " SV_CERTS
	    "/users/applicant2-rsa.p12 --p12-password-file " SV_CERTS
	    "/users/password", pw, (long long)s.id);
	rc = qujat_sign(&s, args, &out);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_msg(strncmp(out, "REFUSED: sig-signer: ", 21) == 0, "%s",
	    out);
	ck_assert_msg(strstr(out, "type: urn:qujat:problem:sig-signer\n") !=
	    NULL && strstr(out, "status: 422\n") != NULL, "%s", out);
	free(out);
	/* A wrong login password: refused, exit 1. */
	snprintf(args, sizeof(args), "--login applicant --login-password-file "
	    SV_CERTS "/users/password --case %lld --event submit --p12 "
	    SV_CERTS "/users/applicant-rsa.p12 --p12-password-file " SV_CERTS
	    "/users/password", (long long)s.id);
	ck_assert_int_eq(qujat_sign(&s, args, &out), 1);
	ck_assert_msg(strncmp(out, "REFUSED: invalid-credentials: ", 30) ==
	    0, "%s", out);
	free(out);
	snap_take(s.id, &b);
	snap_same(&a, &b, "qujat sign refusals");
	/* RSA: the applicant submits. */
	snprintf(args, sizeof(args), "--login applicant --login-password-file "
	    "'%s' --case %lld --event submit --p12 " SV_CERTS
	    "/users/applicant-rsa.p12 --p12-password-file " SV_CERTS
	    "/users/password", pw, (long long)s.id);
	rc = qujat_sign(&s, args, &out);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_msg(strncmp(out, "SIGNED\n", 7) == 0 &&
	    strstr(out, "state: dean-review\n") != NULL, "%s", out);
	snprintf(args, sizeof(args), "version: %lld\n", (long long)db_count(
	    "SELECT version FROM wf_case WHERE id = %lld", (long long)s.id));
	ck_assert_msg(strstr(out, args) != NULL, "%s", out);
	free(out);
	snap_take(s.id, &b);
	ck_assert_int_eq(b.signatures, a.signatures + 1);
	ck_assert_str_eq(b.state, "dean-review");
	xml = last_signature(s.id, &len);
	ck_assert_msg(strstr(xml, SIG_RSA_SHA256) != NULL, "%s", xml);
	text = cli_expect(&s, xml, len, 0, CLI_CRLS, "VALID", "qujat sign RSA");
	free(text);
	free(xml);
	/* The session it opened is closed again. */
	ck_assert_int_ge(db_int("SELECT count(*) FROM session WHERE "
	    "user_agent = 'qujat-sign/1'"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM session WHERE "
	    "user_agent = 'qujat-sign/1' AND revoked_at IS NULL"), 0);
	/* ECDSA: the dean endorses with a bearer token and a reason. */
	{
		struct tclient dean;

		kit_login_as(&dean, "dean");
		t_json(&dean, "POST", "/api/tokens", "{\"name\":\"qujat sign\"}",
		    &r);
		ck_assert_msg(r.status == 201, "%s", r.body);
		scene_file(&s, "dean.token", t_str(&r, "token"), tok,
		    sizeof(tok));
		tresp_free(&r);
	}
	snprintf(args, sizeof(args), "--token-file '%s' --case %lld --event "
	    "approve --reason 'Негіз расталды' --p12 " SV_CERTS
	    "/users/dean-ec.p12 --p12-password-file " SV_CERTS
	    "/users/password", tok, (long long)s.id);
	rc = qujat_sign(&s, args, &out);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "state: registrar-check\n") != NULL, "%s",
	    out);
	free(out);
	xml = last_signature(s.id, &len);
	ck_assert_msg(strstr(xml, SIG_ECDSA_SHA256) != NULL, "%s", xml);
	s.iin = DEAN_IIN;
	text = cli_expect(&s, xml, len, 0, CLI_CRLS, "VALID",
	    "qujat sign ECDSA");
	free(text);
	free(xml);
	ck_assert_int_eq(db_count("SELECT count(*) FROM audit_event WHERE "
	    "case_id = %lld AND action = 'approve' AND detail->>'reason' = "
	    "'Негіз расталды'", (long long)s.id), 1);
	/* --data: the registrar's check states the funding basis, which
	 * the event requires; not JSON, or not an object, is a usage error. */
	scene_file(&s, "registrar.pw", demo_password("registrar"), pw,
	    sizeof(pw));
	snprintf(args, sizeof(args), "--login registrar --login-password-file "
	    "'%s' --case %lld --event confirm-record --p12 " SV_CERTS
	    "/users/registrar-rsa.p12 --p12-password-file " SV_CERTS
	    "/users/password", pw, (long long)s.id);
	ck_assert_int_eq(qujat_sign(&s, args, &out), 1);
	ck_assert_msg(strstr(out, "funding-basis") != NULL, "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--login registrar --login-password-file "
	    "'%s' --case %lld --event confirm-record --data '[\"paid\"]' "
	    "--p12 " SV_CERTS "/users/registrar-rsa.p12 --p12-password-file "
	    SV_CERTS "/users/password", pw, (long long)s.id);
	ck_assert_int_eq(qujat_sign(&s, args, &out), 2);
	ck_assert_msg(strstr(out, "JSON object") != NULL, "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--login registrar --login-password-file "
	    "'%s' --case %lld --event confirm-record --data "
	    "'{\"funding-basis\":\"paid\"}' --p12 " SV_CERTS
	    "/users/registrar-rsa.p12 --p12-password-file " SV_CERTS
	    "/users/password", pw, (long long)s.id);
	rc = qujat_sign(&s, args, &out);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "state: awaiting-order\n") != NULL, "%s",
	    out);
	free(out);
	ck_assert_int_eq(db_count("SELECT count(*) FROM wf_case WHERE id = %lld "
	    "AND vars ->> 'funding-basis' = 'paid'", (long long)s.id), 1);
	/* An event that takes no signature is not for qujat sign. */
	snprintf(args, sizeof(args), "--token-file '%s' --case %lld --event "
	    "withdraw --p12 " SV_CERTS "/users/dean-ec.p12 "
	    "--p12-password-file " SV_CERTS "/users/password", tok,
	    (long long)s.id);
	ck_assert_int_eq(qujat_sign(&s, args, &out), 1);
	ck_assert_msg(strncmp(out, "REFUSED: ", 9) == 0, "%s", out);
	free(out);
	scene_free(&s);
}
END_TEST

/* --document: the return application travels with phase one. */
START_TEST(t_qujat_sign_document)
{
	struct scene	 s;
	struct tclient	 app;
	char		 sha[65], pw[400], path[400], args[2048], *doc, *out;
	char		*xml, *text;
	size_t		 len;
	int64_t		 id;
	int		 rc;

	kit_set_clock(0);
	id = kit_case_on_leave("2027-05-31");
	scene_open(&s);
	s.id = id;
	kit_login_as(&app, "applicant");
	kit_upload_pdf(&app, "health-cli", sha);
	doc = kit_return_application(sha);
	scene_file(&s, "return.json", doc, path, sizeof(path));
	free(doc);
	scene_file(&s, "applicant.pw", demo_password("applicant"), pw,
	    sizeof(pw));
	snprintf(args, sizeof(args), "--login applicant --login-password-file "
	    "'%s' --case %lld --event file-return --document '%s' --p12 "
	    SV_CERTS "/users/applicant-ec.p12 --p12-password-file " SV_CERTS
	    "/users/password", pw, (long long)id, path);
	rc = qujat_sign(&s, args, &out);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "state: return-review\n") != NULL, "%s",
	    out);
	free(out);
	/* What was signed is the stored return application. */
	scene_doc(&s, "return-application");
	ck_assert_msg(strstr(s.doc, sha) != NULL, "%s", s.doc);
	xml = last_signature(id, &len);
	ck_assert_msg(strstr(xml, s.uri) != NULL, "%s", xml);
	text = cli_expect(&s, xml, len, 0, CLI_CRLS, "VALID",
	    "qujat sign --document");
	free(text);
	free(xml);
	scene_free(&s);
}
END_TEST

static void
teardown(void)
{
	restore_server();
}

static Suite *
signatures_suite(void)
{
	Suite	*s = suite_create("signatures-api");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, t_two_phase);
	tcase_add_test(tc, t_complete_signatures);
	tcase_add_test(tc, t_complete_signatures_accepted);
	tcase_add_test(tc, t_enveloped);
	tcase_add_test(tc, t_enveloped_accepted);
	tcase_add_test(tc, t_hostile_xml);
	tcase_add_test(tc, t_missing_crl);
	tcase_add_test(tc, t_qujat_sign);
	tcase_add_test(tc, t_qujat_sign_document);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	qj_sig_init();
	harness_start();
	sr = srunner_create(signatures_suite());
	/* One process: a test starts a second server and swaps H.base. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
