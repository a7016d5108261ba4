/*
 * h_cases.c: cases over HTTP — open, read, sign, fire transitions, assign
 * participants, the inbox, orders, documents and attachments.
 *
 * Each state-changing handler runs one transaction through app/flow, which
 * decides and applies; this file parses, authorises the parts that are not
 * the workflow's (who may see a case, who drafts orders), and renders.
 * POSTs honour Idempotency-Key: the first response to a key is stored in
 * the same transaction as the change and replayed to retries.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/codec.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "core/sniff.h"
#include "core/xades.h"
#include "store/blobs.h"
#include "store/cases.h"
#include "store/people.h"

#define PREPARE_TTL	600	/* seconds a prepared signature stays valid */

/* ---- helpers ---------------------------------------------------------------- */

static enum qj_err
doc_from_body(struct api_ctx *ctx, const char *form, struct qj_buf *out)
{
	json_t		*obj = json_object_get(ctx->json, "document");
	const char	*xml = qj_json_str(ctx->json, "document_xml");

	if (obj != NULL && xml != NULL)
		return (qj_fail(&ctx->diag, QJ_EINVAL, "invalid-field",
		    "document", "give document or document_xml, not both"));
	if (xml != NULL)
		return (qj_form_from_xml(api_rt()->forms, form, xml,
		    strlen(xml), out, &ctx->diag));
	if (obj != NULL) {
		if (!json_is_object(obj))
			return (qj_fail(&ctx->diag, QJ_EINVAL, "wrong-type",
			    "document", "document must be an object"));
		return (qj_form_from_json(api_rt()->forms, form, obj, out,
		    &ctx->diag));
	}
	return (QJ_ENOTFOUND);
}

/* ---- GET /api/workflows ------------------------------------------------------ */

void
h_workflows(struct api_ctx *ctx)
{
	const struct wf_set	*set = api_rt()->wfs;
	const struct wf_def	*def;
	json_t			*arr = json_array();
	int			 i;

	for (i = 0; set != NULL && i < set->ndefs; i++) {
		def = set->defs[i];
		json_array_append_new(arr, json_pack("{s:s, s:i, s:{s:s, s:s, "
		    "s:s}, s:s?, s:s?, s:s}", "id", def->id, "version",
		    def->version, "title", "kk", def->title.kk, "ru",
		    def->title.ru, "en", def->title.en, "form", def->open_form,
		    "document", def->open_doc, "sha256", def->sha256));
	}
	reply_json(ctx, 200, json_pack("{s:o}", "workflows", arr));
}

/* GET /api/forms/{name}: the fields and their labels, for the UI. */
void
h_forms_describe(struct api_ctx *ctx)
{
	json_t	*o = qj_form_describe(api_rt()->forms, ctx->name, ctx->lang);

	if (o == NULL) {
		reply_problem(ctx, 404, "not-found", "form", "no form %s",
		    ctx->name);
		return;
	}
	reply_json(ctx, 200, o);
}

/*
 * ---- POST /api/cases {workflow, unit_id?, applicant_id?, document |
 * document_xml} -----------------------------------------------------------
 * An applicant opens a case for themselves; an official whom the
 * definition names as an opener opens one for a person (applicant_id) at
 * a unit (unit_id), with or without a document as the definition says.
 */

void
h_cases_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "workflow", QJ_J_STRING, 1, 48 },
		{ "unit_id", QJ_J_INT, 0, 0 },
		{ "applicant_id", QJ_J_INT, 0, 0 },
		{ "document", QJ_J_OBJECT, 0, 0 },
		{ "document_xml", QJ_J_STRING, 0, 0 },
	};
	const struct wf_def	*def;
	PGresult		*pe = NULL;
	json_t			*aid;
	int64_t			 applicant;
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	struct qj_buf		 doc = QJ_BUF_INIT;
	char			 hash[65] = "";
	json_t			*unit, *o = NULL;
	int64_t			 unit_id = 0, id;
	enum qj_err		 err;
	int			 i;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (api_idem_replay(ctx, hash))
		return;
	def = wf_set_find(api_rt()->wfs, qj_json_str(ctx->json, "workflow"));
	if (def == NULL) {
		reply_problem(ctx, 422, "unknown-workflow", "workflow",
		    "no workflow \"%s\"", qj_json_str(ctx->json, "workflow"));
		return;
	}
	applicant = ctx->actor->person_id;
	if ((aid = json_object_get(ctx->json, "applicant_id")) != NULL &&
	    json_is_integer(aid)) {
		applicant = json_integer_value(aid);
		if ((err = people_get(ctx->db, applicant, &pe, &ctx->diag)) !=
		    QJ_OK) {
			reply_error(ctx, err, &ctx->diag);
			return;
		}
		i = PQntuples(pe);
		PQclear(pe);
		if (i != 1) {
			reply_problem(ctx, 422, "unknown-person",
			    "applicant_id", "no person %lld",
			    (long long)applicant);
			return;
		}
	}
	/* The unit: given, or the actor's applicant grant. */
	if ((unit = json_object_get(ctx->json, "unit_id")) != NULL &&
	    json_is_integer(unit))
		unit_id = json_integer_value(unit);
	for (i = 0; unit_id == 0 && i < ctx->actor->ngrants; i++)
		if (strcmp(ctx->actor->grants[i].role, "applicant") == 0)
			unit_id = ctx->actor->grants[i].unit_id;
	if (unit_id == 0) {
		reply_problem(ctx, 403, "forbidden-role", "unit_id",
		    "opening a %s case needs the applicant role", def->id);
		return;
	}
	err = def->open_form != NULL ? doc_from_body(ctx, def->open_form,
	    &doc) : QJ_OK;
	if (err == QJ_ENOTFOUND)
		err = qj_fail(&ctx->diag, QJ_EINVAL, "missing-field",
		    "document", "a %s case starts with a %s document "
		    "(document or document_xml)", def->id, def->open_form);
	if (err == QJ_OK && def->open_form == NULL &&
	    (json_object_get(ctx->json, "document") != NULL ||
	    json_object_get(ctx->json, "document_xml") != NULL))
		err = qj_fail(&ctx->diag, QJ_EUNPROC, "document-not-expected",
		    "document", "a %s case starts without a document", def->id);
	if (err != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = flow_open(&env, &fa, def->id, unit_id, applicant,
	    doc.data, doc.len, 0, NULL, &id, &ctx->diag)) != QJ_OK ||
	    (err = flow_case_json(&env, &fa, id, &o, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	{
		char loc[64];

		snprintf(loc, sizeof(loc), "/api/cases/%lld", (long long)id);
		api_resp_header(ctx->resp, "Location", loc);
	}
	api_commit_reply(ctx, hash, 201, o);
out:
	qj_buf_free(&doc);
}

/* ---- GET /api/cases?limit&before: the caller's own cases ---------------------- */

void
h_cases_list(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "limit", NULL }, { "before", NULL } };
	PGresult		*res = NULL;
	json_t			*arr;
	int64_t			 limit, before;
	enum qj_err		 err;
	int			 i;

	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (query_int(ctx, &qp[0], 50, 1, 500, &limit) != 0 ||
	    query_int(ctx, &qp[1], 0, 0, INT64_MAX, &before) != 0)
		goto out;
	if ((err = cases_of_applicant(ctx->db, ctx->actor->person_id,
	    (int)limit, before, &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:i}",
		    "id", (json_int_t)qj_db_i64(res, i, 0),
		    "workflow", qj_db_str(res, i, 1),
		    "state", qj_db_str(res, i, 2),
		    "updated_at", qj_db_str(res, i, 3),
		    "version", (int)qj_db_i64(res, i, 4)));
	PQclear(res);
	reply_json(ctx, 200, json_pack("{s:o}", "cases", arr));
out:
	query_free(qp, QJ_NELEM(qp));
}

/* ---- GET /api/cases/{id} ----------------------------------------------------- */

void
h_case_get(struct api_ctx *ctx)
{
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	enum qj_err		 err;
	json_t			*o;
	char			 etag[32];

	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	if ((err = flow_case_json(&env, &fa, ctx->id[0], &o, &ctx->diag)) !=
	    QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)json_integer_value(
	    json_object_get(o, "version")));
	api_resp_header(ctx->resp, "ETag", etag);
	reply_json(ctx, 200, o);
}

/* ---- POST /api/cases/{id}/signing {event, certificate}: phase one ------------- */

void
h_case_signing(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "event", QJ_J_STRING, 1, 48 },
		{ "certificate", QJ_J_STRING, 1, 16384 },
		{ "document", QJ_J_OBJECT, 0, 0 },
		{ "document_xml", QJ_J_STRING, 0, 0 },
		{ "data", QJ_J_OBJECT, 0, 0 },
	};
	const struct wf_transition *t;
	const struct wf_def	*def;
	struct case_row		 c;
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	struct flow_sign_need	 need;
	struct qj_sig_prepared	 prep;
	struct qj_signer	 signer;
	struct prepare_new	 pn;
	struct qj_buf		 tbs = QJ_BUF_INIT, doc = QJ_BUF_INIT;
	const char		*pem = NULL;
	char			 token[QJ_TOKEN_LEN + 1], id_hash[65], uri[80];
	char			 expires[21];
	X509			*cert = NULL;
	enum qj_err		 err;

	memset(&need, 0, sizeof(need));
	memset(&prep, 0, sizeof(prep));
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK)
		goto fail;
	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	/* A transition that brings its document signs that document. */
	if (json_object_get(ctx->json, "document") != NULL ||
	    json_object_get(ctx->json, "document_xml") != NULL) {
		if ((err = case_get(ctx->db, ctx->id[0], &c, &ctx->diag)) !=
		    QJ_OK)
			goto fail;
		err = flow_def(&env, c.workflow, c.wf_version, &def,
		    &ctx->diag);
		t = err == QJ_OK ? wf_find(def, c.state, qj_json_str(ctx->json,
		    "event")) : NULL;
		case_row_free(&c);
		if (err != QJ_OK)
			goto fail;
		if (t == NULL || t->doc_form == NULL) {
			err = qj_fail(&ctx->diag, QJ_EUNPROC,
			    "document-not-expected", "document", "this event "
			    "takes no document now");
			goto fail;
		}
		if ((err = doc_from_body(ctx, t->doc_form, &doc)) != QJ_OK)
			goto fail;
	}
	if ((err = flow_sign_need_data(&env, &fa, ctx->id[0],
	    qj_json_str(ctx->json, "event"), json_object_get(ctx->json,
	    "data"), doc.data, doc.len, &need, &ctx->diag)) != QJ_OK)
		goto fail;
	if (!need.needed) {
		err = qj_fail(&ctx->diag, QJ_EUNPROC, "no-signature-needed",
		    "event", "%s is fired without a signature",
		    qj_json_str(ctx->json, "event"));
		goto fail;
	}
	pem = qj_json_str(ctx->json, "certificate");
	if ((err = qj_cert_parse(pem, strlen(pem), &cert, &ctx->diag)) !=
	    QJ_OK)
		goto fail;
	/* Fail early on a certificate that cannot pass complete(). */
	if ((err = qj_signer_from_cert(cert, &signer)) != QJ_OK)
		goto fail;
	if (strcmp(signer.iin, ctx->actor->iin) != 0) {
		err = qj_fail(&ctx->diag, QJ_EUNPROC, "sig-signer",
		    "certificate", "the certificate belongs to IIN %s, not to "
		    "you", signer.iin[0] ? signer.iin : "(none)");
		goto fail;
	}
	if ((err = qj_trust_verify(api_rt()->trust, cert, NULL,
	    (time_t)ctx->now, NULL, &ctx->diag)) != QJ_OK)
		goto fail;
	flow_doc_uri(need.sha256, uri);
	if ((err = qj_xades_prepare(need.doc, need.doc_len, uri, cert,
	    (enum qj_commitment)need.commitment, need.role, (time_t)ctx->now,
	    &prep, &ctx->diag)) != QJ_OK)
		goto fail;
	if (qj_random_token(token) != QJ_OK) {
		err = QJ_EINTERNAL;
		goto fail;
	}
	qj_sha256_hex(token, strlen(token), id_hash);
	memset(&pn, 0, sizeof(pn));
	pn.id_hash = id_hash;
	pn.case_id = ctx->id[0];
	pn.case_version = need.case_version;
	pn.event = qj_json_str(ctx->json, "event");
	pn.person_id = ctx->actor->person_id;
	pn.case_document_id = need.cd_id;
	pn.document = need.cd_id == 0 ? need.doc : NULL;
	pn.commitment = wf_commitment_name(need.commitment);
	pn.skeleton = prep.skeleton;
	pn.skeleton_len = prep.skeleton_len;
	pn.now = ctx->now;
	pn.expires = ctx->now + PREPARE_TTL;
	if ((err = prepare_put(ctx->db, &pn, &ctx->diag)) != QJ_OK ||
	    (err = qj_base64_encode(prep.tbs, prep.tbs_len, &tbs)) != QJ_OK)
		goto fail;
	qj_time_format(pn.expires, expires);
	reply_json(ctx, 201, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, "
	    "s:s, s:s}",
	    "prepare_id", token,
	    "to_sign", tbs.data,
	    "hash", prep.hash,
	    "signature_method", prep.sig_method,
	    "document_sha256", need.sha256,
	    "document_uri", uri,
	    "case_version", need.case_version,
	    "commitment", wf_commitment_name(need.commitment),
	    "expires_at", expires));
	goto out;
fail:
	reply_error(ctx, err, &ctx->diag);
out:
	if (cert != NULL)
		X509_free(cert);
	qj_sig_prepared_free(&prep);
	flow_sign_need_free(&need);
	qj_buf_free(&tbs);
	qj_buf_free(&doc);
}

/* ---- POST /api/cases/{id}/transitions ------------------------------------------ */

/* Phase two: the prepared skeleton plus the client's signature value. */
static enum qj_err
complete_prepared(struct api_ctx *ctx, const char *event, struct qj_buf *sig,
    struct qj_buf *newdoc, struct qj_diag *d)
{
	const char		*token = qj_json_str(ctx->json, "prepare_id");
	const char		*value = qj_json_str(ctx->json,
				    "signature_value");
	struct qj_sig_expect	 ex;
	struct qj_buf		 raw = QJ_BUF_INIT;
	PGresult		*pr = NULL, *doc = NULL;
	char			 id_hash[65], uri[80];
	enum qj_err		 err;

	if (value == NULL)
		return (qj_fail(d, QJ_EINVAL, "missing-field",
		    "signature_value", "prepare_id needs signature_value"));
	qj_sha256_hex(token, strlen(token), id_hash);
	if ((err = prepare_take(ctx->db, id_hash, ctx->actor->person_id,
	    ctx->id[0], ctx->now, &pr, d)) != QJ_OK)
		return (err);
	if (PQntuples(pr) != 1) {
		PQclear(pr);
		return (qj_fail(d, QJ_EUNPROC, "unknown-prepare", "prepare_id",
		    "no live signing preparation with this id for you and "
		    "this case (they expire after %d s and are used once)",
		    PREPARE_TTL));
	}
	if (strcmp(qj_db_str(pr, 0, 1), event) != 0) {
		err = qj_fail(d, QJ_EUNPROC, "prepare-mismatch", "event",
		    "the preparation was made for %s", qj_db_str(pr, 0, 1));
		goto out;
	}
	if ((err = qj_base64_decode(value, strlen(value), &raw)) != QJ_OK) {
		err = qj_fail(d, QJ_EINVAL, "invalid-field", "signature_value",
		    "signature_value must be base64");
		goto out;
	}
	/* The document of the preparation: stored (a later version would
	 * have made the case version stale, caught by flow_fire), or the new
	 * one the transition brings, kept with the preparation. */
	if (qj_db_isnull(pr, 0, 2)) {
		if (newdoc->len > 0 && (newdoc->len != strlen(qj_db_str(pr, 0,
		    5)) || memcmp(newdoc->data, qj_db_str(pr, 0, 5),
		    newdoc->len) != 0)) {
			err = qj_fail(d, QJ_EUNPROC, "prepare-mismatch",
			    "document", "the document differs from the one "
			    "prepared for signing");
			goto out;
		}
		if (newdoc->len == 0)
			qj_buf_puts(newdoc, qj_db_str(pr, 0, 5));
	} else {
		struct qj_params p;

		qj_p_init(&p);
		qj_p_i64(&p, qj_db_i64(pr, 0, 2));
		if ((err = qj_db_exec(ctx->db, &doc, "SELECT cd.sha256, "
		    "convert_from(d.bytes, 'UTF8') FROM case_document cd JOIN "
		    "document d ON d.sha256 = cd.sha256 WHERE cd.id = $1", &p,
		    d)) != QJ_OK)
			goto out;
	}
	memset(&ex, 0, sizeof(ex));
	if (doc != NULL) {
		flow_doc_uri(qj_db_str(doc, 0, 0), uri);
		ex.doc = qj_db_str(doc, 0, 1);
	} else {
		char sha[65];

		qj_sha256_hex(newdoc->data, newdoc->len, sha);
		flow_doc_uri(sha, uri);
		ex.doc = newdoc->data;
	}
	ex.doc_len = strlen(ex.doc);
	ex.doc_uri = uri;
	ex.iin = ctx->actor->iin;
	ex.bin = ctx->actor->bin[0] ? ctx->actor->bin : NULL;
	ex.now = (time_t)ctx->now;
	err = qj_xades_complete(api_rt()->trust, qj_db_str(pr, 0, 4),
	    strlen(qj_db_str(pr, 0, 4)), raw.data, raw.len, &ex, sig, NULL, d);
out:
	PQclear(doc);
	PQclear(pr);
	qj_buf_free(&raw);
	return (err);
}

static int
parse_if_match(const char *h, int *version)
{
	char	*end;
	long	 v;

	if (h == NULL)
		return (0);
	if (*h == 'W' && h[1] == '/')
		h += 2;
	if (*h == '"')
		h++;
	v = strtol(h, &end, 10);
	if (end == h || v <= 0 || v > 0x7fffffff || (*end != '"' &&
	    *end != '\0'))
		return (-1);
	*version = (int)v;
	return (1);
}

void
h_case_transition(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "event", QJ_J_STRING, 1, 48 },
		{ "version", QJ_J_INT, 0, 0 },
		{ "reason", QJ_J_STRING, 0, 2000 },
		{ "document", QJ_J_OBJECT, 0, 0 },
		{ "document_xml", QJ_J_STRING, 0, 0 },
		{ "option", QJ_J_STRING, 0, 48 },
		{ "prepare_id", QJ_J_STRING, 0, 64 },
		{ "signature_value", QJ_J_STRING, 0, 4096 },
		{ "signature_xml", QJ_J_STRING, 0, 0 },
		{ "signed_document", QJ_J_STRING, 0, 0 },
		{ "data", QJ_J_OBJECT, 0, 0 },
	};
	const struct wf_transition *t = NULL;
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	struct flow_input	 in;
	struct flow_result	 r;
	struct case_row		 c;
	struct qj_buf		 doc = QJ_BUF_INIT, sig = QJ_BUF_INIT;
	const char		*event, *b64;
	const struct wf_def	*def;
	char			 hash[65] = "";
	json_t			*o = NULL, *ver;
	enum qj_err		 err;
	int			 version = 0, im;

	memset(&c, 0, sizeof(c));
	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if ((im = parse_if_match(ctx->req->if_match, &version)) < 0) {
		reply_problem(ctx, 400, "invalid-header", "If-Match",
		    "If-Match must be the case version as an ETag, e.g. \"3\"");
		return;
	}
	if ((ver = json_object_get(ctx->json, "version")) != NULL &&
	    json_is_integer(ver)) {
		if (im == 1 && json_integer_value(ver) != version) {
			reply_problem(ctx, 400, "invalid-field", "version",
			    "version and If-Match disagree");
			return;
		}
		version = (int)json_integer_value(ver);
	}
	if (version <= 0) {
		reply_problem(ctx, 428, "version-required", "version",
		    "name the case version you saw (\"version\" or If-Match) "
		    "so that concurrent changes are not overwritten");
		return;
	}
	if (api_idem_replay(ctx, hash))
		return;
	event = qj_json_str(ctx->json, "event");
	memset(&in, 0, sizeof(in));
	in.event = event;
	in.expect_version = version;
	in.reason = qj_json_str(ctx->json, "reason");
	in.option = qj_json_str(ctx->json, "option");
	/* Event data: the definition's inputs decide what is accepted. */
	in.data = json_object_get(ctx->json, "data");
	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK)
		goto fail;
	/* A document brought by the transition is in the form it declares. */
	if (json_object_get(ctx->json, "document") != NULL ||
	    json_object_get(ctx->json, "document_xml") != NULL) {
		if ((err = case_get(ctx->db, ctx->id[0], &c, &ctx->diag)) !=
		    QJ_OK || (err = flow_def(&env, c.workflow, c.wf_version,
		    &def, &ctx->diag)) != QJ_OK)
			goto fail;
		t = wf_find(def, c.state, event);
		if (t == NULL || t->doc_form == NULL) {
			err = qj_fail(&ctx->diag, QJ_EUNPROC,
			    "document-not-expected", "document", "%s takes no "
			    "document in state %s", event, c.state);
			goto fail;
		}
		if ((err = doc_from_body(ctx, t->doc_form, &doc)) != QJ_OK)
			goto fail;
		in.doc = doc.data;
		in.doc_len = doc.len;
	}
	if (qj_json_str(ctx->json, "prepare_id") != NULL) {
		if ((err = complete_prepared(ctx, event, &sig, &doc,
		    &ctx->diag)) != QJ_OK)
			goto fail;
		if (doc.len > 0) {
			in.doc = doc.data;
			in.doc_len = doc.len;
		}
	} else if ((b64 = qj_json_str(ctx->json, "signature_xml")) != NULL ||
	    (b64 = qj_json_str(ctx->json, "signed_document")) != NULL) {
		in.sig_enveloped = qj_json_str(ctx->json, "signed_document") !=
		    NULL;
		if (qj_base64_decode(b64, strlen(b64), &sig) != QJ_OK) {
			err = qj_fail(&ctx->diag, QJ_EINVAL, "invalid-field",
			    in.sig_enveloped ? "signed_document" :
			    "signature_xml", "must be base64 of the XML");
			goto fail;
		}
	}
	in.sig = sig.data;
	in.sig_len = sig.len;
	if ((err = flow_fire(&env, &fa, ctx->id[0], &in, &r, &ctx->diag)) !=
	    QJ_OK)
		goto fail;
	/* The outcome only: GET /api/cases/{id} has the whole case and the
	 * actions now possible (a transition answers fast). */
	o = json_pack("{s:I, s:s, s:s, s:s, s:i}", "case_id",
	    (json_int_t)ctx->id[0], "event", event, "state_before",
	    r.state_before, "state", r.state_after, "version", r.version);
	if (r.step[0] != '\0')
		json_object_set_new(o, "step", json_string(r.step));
	if (r.opened_case != 0)
		json_object_set_new(o, "opened_case", json_integer(
		    r.opened_case));
	{
		char etag[32];

		snprintf(etag, sizeof(etag), "\"%d\"", r.version);
		api_resp_header(ctx->resp, "ETag", etag);
	}
	api_commit_reply(ctx, hash, 200, o);
	goto out;
fail:
	qj_db_rollback(ctx->db);
	reply_error(ctx, err, &ctx->diag);
	/* A refusal is an answer too: retries with the key get it again. */
	if (ctx->req->idempotency_key != NULL && ctx->resp->status < 500 &&
	    ctx->resp->status != 409 && qj_db_begin(ctx->db, NULL) == QJ_OK) {
		if (api_idem_store(ctx, hash) == QJ_OK)
			(void)qj_db_commit(ctx->db, NULL);
		else
			qj_db_rollback(ctx->db);
	}
out:
	case_row_free(&c);
	qj_buf_free(&doc);
	qj_buf_free(&sig);
}

/* ---- POST /api/cases/{id}/participants {person_id, capacity} ----------------- */

void
h_case_participants(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "person_id", QJ_J_INT, 1, 0 },
		{ "capacity", QJ_J_STRING, 1, 40 },
	};
	static const char *const assigners[] = { "vice_rector", "dean_office",
	    "commission_chair", "admin" };
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	struct case_row		 c;
	const struct wf_def	*def;
	json_t			*o = NULL;
	enum qj_err		 err;
	size_t			 i;
	int			 ok = 0;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if ((err = case_get(ctx->db, ctx->id[0], &c, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_flow_env(ctx, &env);
	/* A definition that declares its capacities names their assigners
	 * (flow_assign checks); otherwise these roles may assign. */
	if (flow_def(&env, c.workflow, c.wf_version, &def, NULL) == QJ_OK &&
	    def->ncapacities > 0)
		ok = 1;
	for (i = 0; i < QJ_NELEM(assigners) && !ok; i++)
		ok = actor_covers(ctx->actor, assigners[i], c.unit_path);
	if (!ok) {
		case_row_free(&c);
		reply_problem(ctx, 403, "forbidden-role", NULL, "assigning "
		    "people to a case needs the vice_rector, dean_office, "
		    "commission_chair or admin role over its unit");
		return;
	}
	case_row_free(&c);
	api_flow_actor(ctx->actor, &fa, grants);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = flow_assign(&env, &fa, ctx->id[0], json_integer_value(
	    json_object_get(ctx->json, "person_id")), qj_json_str(ctx->json,
	    "capacity"), &ctx->diag)) != QJ_OK ||
	    (err = flow_case_json(&env, &fa, ctx->id[0], &o, &ctx->diag)) !=
	    QJ_OK || (err = qj_db_commit(ctx->db, &ctx->diag)) != QJ_OK) {
		qj_db_rollback(ctx->db);
		if (o != NULL)
			json_decref(o);
		reply_error(ctx, err == QJ_EUNPROC && ctx->diag.type != NULL &&
		    strcmp(ctx->diag.type, "reference-not-found") == 0 ?
		    QJ_EUNPROC : err, &ctx->diag);
		return;
	}
	reply_json(ctx, 200, o);
}

/* ---- GET /api/inbox?limit&cursor ------------------------------------------------ */

/* "a,b,a" -> ["a","b"]: the events a case waits for from the caller. */
static json_t *
event_list(const char *s)
{
	json_t	*arr = json_array();
	char	 ev[64];
	size_t	 n, i;
	int	 seen;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n > 0 && n < sizeof(ev)) {
			snprintf(ev, sizeof(ev), "%.*s", (int)n, s);
			for (i = 0, seen = 0; i < json_array_size(arr); i++)
				seen |= strcmp(json_string_value(
				    json_array_get(arr, i)), ev) == 0;
			if (!seen)
				json_array_append_new(arr, json_string(ev));
		}
		s += n + (s[n] == ',');
	}
	return (arr);
}

void
h_inbox(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "limit", NULL }, { "cursor", NULL } };
	struct qj_buf		 roles = QJ_BUF_INIT, units = QJ_BUF_INIT;
	PGresult		*res = NULL;
	json_t			*arr, *item, *o;
	char			 next[64], due[QJ_RFC3339_STRLEN + 1];
	long long		 cdue = -1, cid = 0;
	int64_t			 limit;
	enum qj_err		 err;
	int			 i;

	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (query_int(ctx, &qp[0], 50, 1, 200, &limit) != 0)
		goto out;
	if (qp[1].value != NULL && (sscanf(qp[1].value, "%lld.%lld", &cdue,
	    &cid) != 2 || cid < 0)) {
		reply_problem(ctx, 400, "invalid-parameter", "cursor",
		    "cursor must be the next_cursor of the previous page");
		goto out;
	}
	qj_buf_puts(&roles, "{");
	qj_buf_puts(&units, "{");
	for (i = 0; i < ctx->actor->ngrants; i++) {
		qj_buf_printf(&roles, "%s\"%s\"", i ? "," : "",
		    ctx->actor->grants[i].role);
		qj_buf_printf(&units, "%s%lld", i ? "," : "",
		    (long long)ctx->actor->grants[i].unit_id);
	}
	qj_buf_puts(&roles, "}");
	qj_buf_puts(&units, "}");
	if ((err = inbox(ctx->db, ctx->actor->person_id, roles.data,
	    units.data, cdue == -1 ? -9223372036LL : cdue, cid, (int)limit,
	    &res, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		item = json_pack("{s:I, s:s, s:s, s:i}",
		    "case_id", (json_int_t)qj_db_i64(res, i, 0),
		    "workflow", qj_db_str(res, i, 1),
		    "state", qj_db_str(res, i, 2),
		    "version", (int)qj_db_i64(res, i, 6));
		if (qj_db_isnull(res, i, 3))
			json_object_set_new(item, "due_at", json_null());
		else {
			qj_rfc3339_format(qj_db_i64(res, i, 3), 300, due);
			json_object_set_new(item, "due_at", json_string(due));
		}
		json_object_set_new(item, "events", event_list(
		    qj_db_str(res, i, 5)));
		json_array_append_new(arr, item);
	}
	o = json_pack("{s:o}", "items", arr);
	if (PQntuples(res) == limit) {
		snprintf(next, sizeof(next), "%lld.%lld",
		    (long long)qj_db_i64(res, PQntuples(res) - 1, 8),
		    (long long)qj_db_i64(res, PQntuples(res) - 1, 0));
		json_object_set_new(o, "next_cursor", json_string(next));
	} else
		json_object_set_new(o, "next_cursor", json_null());
	PQclear(res);
	reply_json(ctx, 200, o);
out:
	qj_buf_free(&roles);
	qj_buf_free(&units);
	query_free(qp, QJ_NELEM(qp));
}

/* ---- POST /api/orders {series, case_ids, title, preamble, signatory, ...} ----- */

void
h_orders_create(struct api_ctx *ctx)
{
	static const struct qj_jfield	spec[] = {
		{ "series", QJ_J_STRING, 1, 48 },
		{ "case_ids", QJ_J_ARRAY, 1, 256 },
		{ "language", QJ_J_STRING, 1, 2 },
		{ "title", QJ_J_OBJECT, 1, 0 },
		{ "preamble", QJ_J_OBJECT, 1, 0 },
		{ "signatory", QJ_J_OBJECT, 1, 0 },
		{ "place", QJ_J_STRING, 0, 200 },
		{ "corrects", QJ_J_OBJECT, 0, 0 },
	};
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	int64_t			 ids[256], order;
	char			 hash[65] = "";
	json_t			*head = NULL, *v, *o = NULL;
	enum qj_err		 err;
	size_t			 i, n;
	const char		*key;

	if ((err = qj_json_check(ctx->json, spec, QJ_NELEM(spec), "",
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (require_role(ctx, "registrar") != 0 || api_idem_replay(ctx, hash))
		return;
	n = json_array_size(json_object_get(ctx->json, "case_ids"));
	for (i = 0; i < n; i++) {
		v = json_array_get(json_object_get(ctx->json, "case_ids"), i);
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			reply_problem(ctx, 400, "wrong-type", "case_ids",
			    "case_ids must be positive integers");
			return;
		}
		ids[i] = json_integer_value(v);
	}
	/* The order form's head: everything but series and case_ids. */
	head = json_object();
	json_object_foreach(ctx->json, key, v)
		if (strcmp(key, "series") != 0 && strcmp(key, "case_ids") != 0)
			json_object_set(head, key, v);
	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	if ((err = qj_db_begin(ctx->db, &ctx->diag)) != QJ_OK ||
	    (err = flow_order_draft(&env, &fa, qj_json_str(ctx->json,
	    "series"), head, ids, (int)n, &order, &ctx->diag)) != QJ_OK ||
	    (err = flow_case_json(&env, &fa, order, &o, &ctx->diag)) !=
	    QJ_OK) {
		qj_db_rollback(ctx->db);
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	api_commit_reply(ctx, hash, 201, o);
out:
	json_decref(head);
}

/* ---- GET /api/cases/{id}/documents/{sha} ----------------------------------------- */

void
h_document_get(struct api_ctx *ctx)
{
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	struct case_row		 c;
	PGresult		*res = NULL;
	struct qj_params	 p;
	enum qj_err		 err;

	if ((err = case_get(ctx->db, ctx->id[0], &c, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	if (!flow_may_read(&env, &fa, &c)) {
		case_row_free(&c);
		reply_problem(ctx, 403, "not-your-case", "id",
		    "you may not see case %lld", (long long)ctx->id[0]);
		return;
	}
	case_row_free(&c);
	qj_p_init(&p);
	qj_p_i64(&p, ctx->id[0]);
	qj_p_str(&p, ctx->sha);
	if ((err = qj_db_exec(ctx->db, &res, "SELECT convert_from(d.bytes, "
	    "'UTF8') FROM case_document cd JOIN document d ON d.sha256 = "
	    "cd.sha256 WHERE cd.case_id = $1 AND cd.sha256 = $2 LIMIT 1", &p,
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		reply_problem(ctx, 404, "not-found", "sha256",
		    "the case has no document %s", ctx->sha);
		return;
	}
	ctx->resp->status = 200;
	ctx->resp->content_type = "application/xml";
	qj_buf_reset(&ctx->resp->body);
	qj_buf_puts(&ctx->resp->body, qj_db_str(res, 0, 0));
	PQclear(res);
}

/* ---- attachments ---------------------------------------------------------------- */

static int
safe_name(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > 255)
		return (0);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '/' || s[i] == '\\')
			return (0);
	return (1);
}

/* POST /api/attachments?name=FILE (the raw file as the body) */
void
h_attachments_upload(struct api_ctx *ctx)
{
	struct query_param	 qp[] = { { "name", NULL } };
	const char		*media;
	char			 sha[65];
	enum qj_err		 err;

	if (query_parse(ctx, qp, QJ_NELEM(qp)) != 0)
		return;
	if (qp[0].value == NULL || !safe_name(qp[0].value)) {
		reply_problem(ctx, 400, "invalid-parameter", "name",
		    "name must be the file name (1..255 bytes, no slashes)");
		goto out;
	}
	if (ctx->req->body_len == 0) {
		reply_problem(ctx, 400, "missing-body", NULL,
		    "the file is the request body");
		goto out;
	}
	if (ctx->req->body_len > api_config()->attachment_max) {
		reply_problem(ctx, 413, "attachment-too-large", NULL,
		    "attachments are limited to %zu bytes",
		    api_config()->attachment_max);
		goto out;
	}
	if ((err = qj_sniff(ctx->req->body, ctx->req->body_len, &media,
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	/* The file is on disk and fsynced before the row commits. */
	if ((err = qj_blob_put(api_rt()->store, ctx->req->body,
	    ctx->req->body_len, sha, &ctx->diag)) != QJ_OK ||
	    (err = attachment_record(ctx->db, sha, media, ctx->req->body_len,
	    ctx->actor->person_id, qp[0].value, ctx->now, &ctx->diag)) !=
	    QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		goto out;
	}
	reply_json(ctx, 201, json_pack("{s:s, s:s, s:I, s:s}", "sha256", sha,
	    "media_type", media, "size", (json_int_t)ctx->req->body_len,
	    "name", qp[0].value));
out:
	query_free(qp, QJ_NELEM(qp));
}

/* GET /api/cases/{id}/attachments/{sha} */
void
h_attachment_get(struct api_ctx *ctx)
{
	struct flow_env		 env;
	struct flow_actor	 fa;
	struct wf_grant		 grants[ACTOR_MAX_GRANTS];
	struct case_row		 c;
	PGresult		*res = NULL;
	enum qj_err		 err;

	if ((err = case_get(ctx->db, ctx->id[0], &c, &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	api_flow_env(ctx, &env);
	api_flow_actor(ctx->actor, &fa, grants);
	if (!flow_may_read(&env, &fa, &c)) {
		case_row_free(&c);
		reply_problem(ctx, 403, "not-your-case", "id",
		    "you may not see case %lld", (long long)ctx->id[0]);
		return;
	}
	case_row_free(&c);
	if ((err = attachment_of_case(ctx->db, ctx->id[0], ctx->sha, &res,
	    &ctx->diag)) != QJ_OK) {
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		reply_problem(ctx, 404, "not-found", "sha256",
		    "the case has no attachment %s", ctx->sha);
		return;
	}
	qj_buf_reset(&ctx->resp->body);
	if ((err = qj_blob_get(api_rt()->store, ctx->sha, &ctx->resp->body,
	    api_config()->attachment_max, &ctx->diag)) != QJ_OK) {
		PQclear(res);
		reply_error(ctx, err, &ctx->diag);
		return;
	}
	ctx->resp->status = 200;
	ctx->resp->content_type = strcmp(qj_db_str(res, 0, 0), "image/png") ==
	    0 ? "image/png" : strcmp(qj_db_str(res, 0, 0), "image/jpeg") == 0 ?
	    "image/jpeg" : "application/pdf";
	PQclear(res);
}
