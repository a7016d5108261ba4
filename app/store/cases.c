/*
 * cases.c: the SQL behind cases (see cases.h).  Every statement is a
 * parameterised constant; the transaction belongs to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "store/cases.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define EPOCH(col) "extract(epoch FROM " col ")::bigint"

static void
p_opt_id(struct qj_params *p, int64_t id)
{
	if (id == 0)
		qj_p_str(p, NULL);
	else
		qj_p_i64(p, id);
}

/* Runs a query that returns one bigint; *out = 0 when no row. */
static enum qj_err
one_i64(struct qj_db *db, const char *sql, struct qj_params *p, int64_t *out,
    struct qj_diag *d)
{
	PGresult	*res;
	enum qj_err	 err;

	if ((err = qj_db_exec(db, &res, sql, p, d)) != QJ_OK)
		return (err);
	*out = PQntuples(res) > 0 ? qj_db_i64(res, 0, 0) : 0;
	PQclear(res);
	return (QJ_OK);
}

void
case_row_free(struct case_row *c)
{
	free(c->vars);
	c->vars = NULL;
}

enum qj_err
cases_def_register(struct qj_db *db, const char *id, int version,
    const char *sha256, const char *source, size_t len, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;
	char			*hex;
	size_t			 i;

	(void)len;
	qj_p_init(&p);
	qj_p_str(&p, id);
	qj_p_i64(&p, version);
	err = qj_db_exec(db, &res, "SELECT sha256 FROM workflow_def WHERE "
	    "id = $1 AND version = $2", &p, d);
	if (err != QJ_OK)
		return (err);
	if (PQntuples(res) == 1) {
		if (strcmp(qj_db_str(res, 0, 0), sha256) != 0)
			err = qj_fail(d, QJ_ECONFLICT, "definition-changed", id,
			    "workflow %s version %d differs from the version "
			    "recorded in the database; give the changed "
			    "definition a new version", id, version);
		PQclear(res);
		return (err);
	}
	PQclear(res);
	/* bytea as hex text, so the bytes travel verbatim. */
	if ((hex = malloc(2 * len + 3)) == NULL)
		return (QJ_ENOMEM);
	hex[0] = '\\';
	hex[1] = 'x';
	for (i = 0; i < len; i++)
		snprintf(hex + 2 + 2 * i, 3, "%02x", (unsigned char)source[i]);
	hex[2 + 2 * len] = '\0';
	qj_p_str(&p, sha256);
	qj_p_str(&p, hex);
	err = qj_db_exec(db, NULL, "INSERT INTO workflow_def (id, version, "
	    "sha256, source) VALUES ($1, $2, $3, $4::bytea) ON CONFLICT DO "
	    "NOTHING", &p, d);
	free(hex);
	return (err);
}

enum qj_err
cases_def_source(struct qj_db *db, const char *id, int version,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, id);
	qj_p_i64(&p, version);
	return (qj_db_exec(db, res, "SELECT convert_from(source, 'UTF8') FROM "
	    "workflow_def WHERE id = $1 AND version = $2", &p, d));
}

enum qj_err
case_insert(struct qj_db *db, const struct case_new *c, int64_t *id,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, c->workflow);
	qj_p_i64(&p, c->wf_version);
	qj_p_i64(&p, c->unit_id);
	p_opt_id(&p, c->applicant_id);
	p_opt_id(&p, c->opened_by);
	p_opt_id(&p, c->parent_id);
	qj_p_str(&p, c->state);
	qj_p_str(&p, c->vars ? c->vars : "{}");
	qj_p_i64(&p, c->now);
	return (one_i64(db, "INSERT INTO wf_case (workflow, wf_version, "
	    "unit_id, unit_path, applicant_id, opened_by, parent_id, state, "
	    "vars, created_at, updated_at) SELECT $1, $2, u.id, u.path, $4, "
	    "$5, $6, $7, $8::jsonb, to_timestamp($9), to_timestamp($9) FROM "
	    "unit u WHERE u.id = $3 RETURNING id", &p, id, d));
}

#define CASE_COLS "id, workflow, wf_version, unit_id, unit_path, " \
	"coalesce(applicant_id, 0), coalesce(parent_id, 0), state, version, " \
	"round, terminal, vars::text, coalesce(series, ''), " \
	"coalesce(reg_year, 0), coalesce(reg_number, 0), " \
	"coalesce(reg_date::text, ''), " TS("created_at") ", " TS("updated_at")

static enum qj_err
read_case(PGresult *res, struct case_row *c, int64_t id, struct qj_diag *d)
{
	memset(c, 0, sizeof(*c));
	if (PQntuples(res) != 1)
		return (qj_fail(d, QJ_ENOTFOUND, "not-found", "id",
		    "no case %lld", (long long)id));
	c->id = qj_db_i64(res, 0, 0);
	snprintf(c->workflow, sizeof(c->workflow), "%s", qj_db_str(res, 0, 1));
	c->wf_version = (int)qj_db_i64(res, 0, 2);
	c->unit_id = qj_db_i64(res, 0, 3);
	snprintf(c->unit_path, sizeof(c->unit_path), "%s",
	    qj_db_str(res, 0, 4));
	c->applicant_id = qj_db_i64(res, 0, 5);
	c->parent_id = qj_db_i64(res, 0, 6);
	snprintf(c->state, sizeof(c->state), "%s", qj_db_str(res, 0, 7));
	c->version = (int)qj_db_i64(res, 0, 8);
	c->round = (int)qj_db_i64(res, 0, 9);
	c->terminal = qj_db_bool(res, 0, 10);
	c->vars = strdup(qj_db_str(res, 0, 11));
	snprintf(c->series, sizeof(c->series), "%s", qj_db_str(res, 0, 12));
	c->reg_year = (int)qj_db_i64(res, 0, 13);
	c->reg_number = (int)qj_db_i64(res, 0, 14);
	snprintf(c->reg_date, sizeof(c->reg_date), "%s", qj_db_str(res, 0, 15));
	snprintf(c->created_at, sizeof(c->created_at), "%s",
	    qj_db_str(res, 0, 16));
	snprintf(c->updated_at, sizeof(c->updated_at), "%s",
	    qj_db_str(res, 0, 17));
	return (c->vars == NULL ? QJ_ENOMEM : QJ_OK);
}

enum qj_err
case_lock(struct qj_db *db, int64_t id, struct case_row *c, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	err = qj_db_exec(db, &res, "SELECT " CASE_COLS " FROM wf_case WHERE "
	    "id = $1 FOR UPDATE", &p, d);
	if (err != QJ_OK)
		return (err);
	err = read_case(res, c, id, d);
	PQclear(res);
	return (err);
}

enum qj_err
case_get(struct qj_db *db, int64_t id, struct case_row *c, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	err = qj_db_exec(db, &res, "SELECT " CASE_COLS " FROM wf_case WHERE "
	    "id = $1", &p, d);
	if (err != QJ_OK)
		return (err);
	err = read_case(res, c, id, d);
	PQclear(res);
	return (err);
}

enum qj_err
case_update(struct qj_db *db, const struct case_row *c, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, c->id);
	qj_p_str(&p, c->state);
	qj_p_i64(&p, c->version);
	qj_p_i64(&p, c->round);
	qj_p_bool(&p, c->terminal);
	qj_p_str(&p, c->vars ? c->vars : "{}");
	qj_p_i64(&p, now);
	/* Deferred: the row is locked by this transaction and exists. */
	return (qj_db_defer(db, "UPDATE wf_case SET state = $2, "
	    "version = $3, round = $4, terminal = $5, vars = $6::jsonb, "
	    "updated_at = to_timestamp($7), closed_at = CASE WHEN $5 THEN "
	    "to_timestamp($7) END WHERE id = $1", &p, d));
}

enum qj_err
case_register(struct qj_db *db, int64_t id, const char *series, int year,
    int number, const char *date, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_str(&p, series);
	qj_p_i64(&p, year);
	qj_p_i64(&p, number);
	qj_p_str(&p, date);
	return (qj_db_exec(db, NULL, "UPDATE wf_case SET series = $2, "
	    "reg_year = $3, reg_number = $4, reg_date = $5::date WHERE id = $1 "
	    "AND reg_number IS NULL", &p, d));
}

enum qj_err
counter_next(struct qj_db *db, const char *series, int year, int *number,
    struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;
	int64_t			n;

	qj_p_init(&p);
	qj_p_str(&p, series);
	qj_p_i64(&p, year);
	err = one_i64(db, "INSERT INTO order_counter (series, year, "
	    "last_number) VALUES ($1, $2, 1) ON CONFLICT (series, year) DO "
	    "UPDATE SET last_number = order_counter.last_number + 1 "
	    "RETURNING last_number", &p, &n, d);
	*number = (int)n;
	return (err);
}

enum qj_err
doc_put(struct qj_db *db, const char *sha256, const char *form,
    const void *bytes, size_t len, struct qj_diag *d)
{
	struct qj_params	p;
	struct qj_buf		hex = QJ_BUF_INIT;
	enum qj_err		err;
	char			num[24];

	if (qj_buf_reserve(&hex, 2 * len + 2) != QJ_OK)
		return (QJ_ENOMEM);
	qj_buf_puts(&hex, "\\x");
	qj_hex(bytes, len, hex.data + hex.len);
	hex.len += 2 * len;
	snprintf(num, sizeof(num), "%zu", len);
	qj_p_init(&p);
	qj_p_str(&p, sha256);
	qj_p_str(&p, form);
	qj_p_str(&p, num);
	qj_p_str(&p, hex.data);
	err = qj_db_exec(db, NULL, "INSERT INTO document (sha256, form, size, "
	    "bytes) VALUES ($1, $2, $3::int, $4::bytea) ON CONFLICT (sha256) "
	    "DO NOTHING", &p, d);
	qj_buf_free(&hex);
	return (err);
}

enum qj_err
case_doc_add(struct qj_db *db, int64_t case_id, const char *role,
    const char *sha256, int64_t by, qj_time now, int64_t *cd_id, int *version,
    struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, role);
	qj_p_str(&p, sha256);
	p_opt_id(&p, by);
	qj_p_i64(&p, now);
	err = qj_db_exec(db, &res, "WITH prev AS (SELECT id, version FROM "
	    "case_document WHERE case_id = $1 AND role = $2 ORDER BY version "
	    "DESC LIMIT 1) INSERT INTO case_document (case_id, role, version, "
	    "sha256, supersedes, created_by, created_at) SELECT $1, $2, "
	    "coalesce((SELECT version FROM prev), 0) + 1, $3, (SELECT id FROM "
	    "prev), $4, to_timestamp($5) RETURNING id, version", &p, d);
	if (err != QJ_OK)
		return (err);
	*cd_id = qj_db_i64(res, 0, 0);
	*version = (int)qj_db_i64(res, 0, 1);
	PQclear(res);
	return (QJ_OK);
}

enum qj_err
case_doc_current(struct qj_db *db, int64_t case_id, const char *role,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, role);
	return (qj_db_exec(db, res, "SELECT cd.id, cd.version, cd.sha256, "
	    "doc.form, convert_from(doc.bytes, 'UTF8') FROM case_document cd "
	    "JOIN document doc ON doc.sha256 = cd.sha256 WHERE cd.case_id = $1 "
	    "AND cd.role = $2 ORDER BY cd.version DESC LIMIT 1", &p, d));
}

enum qj_err
case_docs(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT cd.id, cd.role, cd.version, "
	    "cd.sha256, doc.form, cd.supersedes, cd.created_by, "
	    TS("cd.created_at") " FROM case_document cd JOIN document doc ON "
	    "doc.sha256 = cd.sha256 WHERE cd.case_id = $1 ORDER BY cd.role, "
	    "cd.version", &p, d));
}

enum qj_err
doc_get(struct qj_db *db, const char *sha256, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, sha256);
	return (qj_db_exec(db, res, "SELECT form, convert_from(bytes, 'UTF8') "
	    "FROM document WHERE sha256 = $1", &p, d));
}

enum qj_err
signature_add(struct qj_db *db, const struct signature_new *s, int64_t *id,
    char xml_sha256[65], struct qj_diag *d)
{
	struct qj_params	p;
	struct qj_buf		hex = QJ_BUF_INIT;
	enum qj_err		err;

	qj_sha256_hex(s->xml, s->xml_len, xml_sha256);
	if (qj_buf_reserve(&hex, 2 * s->xml_len + 2) != QJ_OK)
		return (QJ_ENOMEM);
	qj_buf_puts(&hex, "\\x");
	qj_hex(s->xml, s->xml_len, hex.data + hex.len);
	hex.len += 2 * s->xml_len;
	qj_p_init(&p);
	qj_p_i64(&p, s->case_id);
	qj_p_i64(&p, s->case_document_id);
	qj_p_i64(&p, s->signer_id);
	qj_p_str(&p, s->commitment);
	qj_p_str(&p, s->signer_role);
	qj_p_str(&p, s->event);
	qj_p_i64(&p, s->signing_time);
	qj_p_str(&p, s->cert_sha256);
	qj_p_str(&p, s->cert_subject);
	qj_p_str(&p, hex.data);
	qj_p_str(&p, xml_sha256);
	qj_p_i64(&p, s->now);
	err = one_i64(db, "INSERT INTO signature (case_id, case_document_id, "
	    "signer_id, commitment, signer_role, event, signing_time, "
	    "cert_sha256, cert_subject, xml, xml_sha256, created_at) VALUES "
	    "($1, $2, $3, $4, $5, $6, to_timestamp($7), $8, $9, $10::bytea, "
	    "$11, to_timestamp($12)) RETURNING id", &p, id, d);
	qj_buf_free(&hex);
	return (err);
}

enum qj_err
signatures_of(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT s.id, s.case_document_id, "
	    "s.signer_id, pe.login, s.commitment, s.signer_role, s.event, "
	    TS("s.signing_time") ", s.cert_subject, s.xml_sha256, cd.sha256, "
	    "cd.role, cd.version FROM signature s JOIN case_document cd ON "
	    "cd.id = s.case_document_id JOIN person pe ON pe.id = s.signer_id "
	    "WHERE s.case_id = $1 ORDER BY s.id", &p, d));
}

enum qj_err
steps_of(struct qj_db *db, int64_t case_id, int round, const char *par,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, round);
	qj_p_str(&p, par);
	return (qj_db_exec(db, res, "SELECT step_id, person_id FROM case_step "
	    "WHERE case_id = $1 AND round = $2 AND parallel_id = $3 ORDER BY "
	    "done_at, step_id", &p, d));
}

enum qj_err
step_add(struct qj_db *db, int64_t case_id, int round, const char *par,
    const char *step, int64_t person, int64_t sig, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, round);
	qj_p_str(&p, par);
	qj_p_str(&p, step);
	qj_p_i64(&p, person);
	p_opt_id(&p, sig);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "INSERT INTO case_step (case_id, round, "
	    "parallel_id, step_id, person_id, signature_id, done_at) VALUES "
	    "($1, $2, $3, $4, $5, $6, to_timestamp($7))", &p, d));
}

enum qj_err
votes_of(struct qj_db *db, int64_t case_id, int round, const char *vote,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, round);
	qj_p_str(&p, vote);
	return (qj_db_exec(db, res, "SELECT person_id, option FROM case_vote "
	    "WHERE case_id = $1 AND round = $2 AND vote_id = $3", &p, d));
}

enum qj_err
vote_add(struct qj_db *db, int64_t case_id, int round, const char *vote,
    int64_t person, const char *option, qj_time now, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, round);
	qj_p_str(&p, vote);
	qj_p_i64(&p, person);
	qj_p_str(&p, option);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "INSERT INTO case_vote (case_id, round, "
	    "vote_id, person_id, option, voted_at) VALUES ($1, $2, $3, $4, $5, "
	    "to_timestamp($6))", &p, d));
}

enum qj_err
participants_of(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT cp.person_id, cp.capacity, "
	    "pe.login FROM case_participant cp JOIN person pe ON pe.id = "
	    "cp.person_id WHERE cp.case_id = $1 ORDER BY cp.capacity, "
	    "cp.person_id", &p, d));
}

enum qj_err
participant_add(struct qj_db *db, int64_t case_id, int64_t person,
    const char *capacity, int64_t by, qj_time now, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, person);
	qj_p_str(&p, capacity);
	p_opt_id(&p, by);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "INSERT INTO case_participant (case_id, "
	    "person_id, capacity, assigned_by, assigned_at) VALUES ($1, $2, "
	    "$3, $4, to_timestamp($5))", &p, d));
}

enum qj_err
links_from(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT l.to_case, l.item_no, l.event, "
	    "l.item::text, coalesce(c.applicant_id, 0) FROM case_link l JOIN "
	    "wf_case c ON c.id = l.to_case WHERE l.from_case = $1 ORDER BY "
	    "l.item_no", &p, d));
}

enum qj_err
links_to(struct qj_db *db, int64_t case_id, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT l.from_case, c.state, c.terminal, "
	    "c.reg_number IS NOT NULL FROM case_link l JOIN wf_case c ON c.id = "
	    "l.from_case WHERE l.to_case = $1 ORDER BY l.from_case", &p, d));
}

enum qj_err
link_add(struct qj_db *db, int64_t from, int64_t to, int item_no,
    const char *event, const char *item, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, from);
	qj_p_i64(&p, to);
	qj_p_i64(&p, item_no);
	qj_p_str(&p, event);
	qj_p_str(&p, item);
	return (qj_db_exec(db, NULL, "INSERT INTO case_link (from_case, "
	    "to_case, item_no, event, item) VALUES ($1, $2, $3, $4, $5::jsonb)",
	    &p, d));
}

enum qj_err
deadline_set(struct qj_db *db, const struct deadline_new *n, struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;

	if ((err = deadline_cancel(db, n->case_id, n->name, n->now, d)) !=
	    QJ_OK)
		return (err);
	qj_p_init(&p);
	qj_p_i64(&p, n->case_id);
	qj_p_str(&p, n->name);
	qj_p_str(&p, n->title_kk);
	qj_p_str(&p, n->title_ru);
	qj_p_str(&p, n->title_en);
	qj_p_i64(&p, n->due);
	qj_p_str(&p, n->rule);
	qj_p_str(&p, n->cite);
	qj_p_str(&p, n->on_expiry);
	qj_p_i64(&p, n->now);
	return (qj_db_exec(db, NULL, "INSERT INTO deadline (case_id, name, "
	    "title_kk, title_ru, title_en, due_at, rule, cite, on_expiry, "
	    "set_at) VALUES ($1, $2, $3, $4, $5, to_timestamp($6), $7, $8, $9, "
	    "to_timestamp($10))", &p, d));
}

enum qj_err
deadline_cancel(struct qj_db *db, int64_t case_id, const char *name,
    qj_time now, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, name);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "UPDATE deadline SET state = 'cancelled', "
	    "closed_at = to_timestamp($3) WHERE case_id = $1 AND name = $2 AND "
	    "state = 'pending'", &p, d));
}

enum qj_err
deadlines_of(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT name, title_kk, title_ru, "
	    "title_en, " EPOCH("due_at") ", rule, cite, on_expiry, state FROM "
	    "deadline WHERE case_id = $1 ORDER BY due_at, id", &p, d));
}

enum qj_err
deadline_claim(struct qj_db *db, qj_time now, int limit, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, now);
	qj_p_i64(&p, limit);
	return (qj_db_exec(db, res, "SELECT id, case_id, name, on_expiry FROM "
	    "deadline WHERE state = 'pending' AND due_at <= to_timestamp($1) "
	    "ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED", &p, d));
}

enum qj_err
deadline_close(struct qj_db *db, int64_t id, const char *state, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_str(&p, state);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "UPDATE deadline SET state = $2, "
	    "closed_at = to_timestamp($3) WHERE id = $1 AND state = 'pending'",
	    &p, d));
}

enum qj_err
deadline_next(struct qj_db *db, int64_t case_id, qj_time *due,
    struct qj_diag *d)
{
	struct qj_params	p;
	int64_t			v;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	err = one_i64(db, "SELECT coalesce(" EPOCH("min(due_at)") ", 0) FROM "
	    "deadline WHERE case_id = $1 AND state = 'pending'", &p, &v, d);
	*due = v;
	return (err);
}

/*
 * One call: the case's rows are replaced by a role row for every unit
 * on the path "/1/4/9/" (the inbox of a grant at any of them finds it) or
 * a person row, all due at the case's earliest pending deadline.
 */
enum qj_err
pending_replace(struct qj_db *db, int64_t case_id, const char *unit_path,
    const struct pending_row *rows, int n, qj_time since, struct qj_diag *d)
{
	struct qj_params	 p;
	struct qj_buf		 roles = QJ_BUF_INIT, persons = QJ_BUF_INIT;
	struct qj_buf		 events = QJ_BUF_INIT, units = QJ_BUF_INIT;
	const char		*s;
	char			*end;
	long long		 unit;
	enum qj_err		 err;
	int			 i;

	qj_buf_puts(&roles, "{");
	qj_buf_puts(&persons, "{");
	qj_buf_puts(&events, "{");
	for (i = 0; i < n; i++) {
		qj_buf_printf(&roles, "%s%s%s%s", i ? "," : "",
		    rows[i].role ? "\"" : "", rows[i].role ? rows[i].role :
		    "NULL", rows[i].role ? "\"" : "");
		if (rows[i].person_id != 0)
			qj_buf_printf(&persons, "%s%lld", i ? "," : "",
			    (long long)rows[i].person_id);
		else
			qj_buf_printf(&persons, "%sNULL", i ? "," : "");
		qj_buf_printf(&events, "%s\"%s\"", i ? "," : "",
		    rows[i].event);
	}
	qj_buf_puts(&roles, "}");
	qj_buf_puts(&persons, "}");
	qj_buf_puts(&events, "}");
	qj_buf_puts(&units, "{");
	for (s = unit_path, i = 0; *s == '/' && s[1] != '\0'; s = end, i++) {
		unit = strtoll(s + 1, &end, 10);
		if (end == s + 1)
			break;
		qj_buf_printf(&units, "%s%lld", i ? "," : "", unit);
	}
	qj_buf_puts(&units, "}");
	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, roles.data);
	qj_p_str(&p, persons.data);
	qj_p_str(&p, events.data);
	qj_p_str(&p, units.data);
	qj_p_i64(&p, since);
	/* Deferred: derived rows nobody reads back in this transaction.
	 * The function (migration 0010) deletes through index probes only. */
	err = qj_db_defer(db, "SELECT case_pending_replace($1, $2::text[], "
	    "$3::bigint[], $4::text[], $5::bigint[], $6)", &p, d);
	qj_buf_free(&roles);
	qj_buf_free(&persons);
	qj_buf_free(&events);
	qj_buf_free(&units);
	return (err);
}

/*
 * One ordered index range per grant (role, scope unit) plus the person's
 * own rows, merged and ordered by (due, case): every branch is a LIMITed
 * scan of case_pending_role or case_pending_person, so the cost does not
 * grow with the number of cases.  Time "infinity" stands for no deadline
 * so that the cursor (due, id) is total.
 */
enum qj_err
inbox(struct qj_db *db, int64_t person, const char *roles, const char *units,
    qj_time after_due, int64_t after_id, int limit, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person);
	qj_p_str(&p, roles);
	qj_p_str(&p, units);
	qj_p_i64(&p, after_due);
	qj_p_i64(&p, after_id);
	qj_p_i64(&p, limit);
	return (qj_db_exec(db, res,
	    "WITH g AS (SELECT r, u FROM unnest($2::text[], $3::bigint[]) "
	    "  AS t(r, u)), "
	    "cur AS (SELECT CASE WHEN $4 >= 9223372036 THEN 'infinity'::"
	    "  timestamptz ELSE to_timestamp($4) END AS due), "
	    "hits AS ("
	    "  SELECT x.* FROM g, cur, LATERAL ("
	    "    SELECT cp.case_id, cp.event, coalesce(cp.due_at, 'infinity') "
	    "    AS due, cp.since FROM case_pending cp WHERE cp.role = g.r "
	    "    AND cp.scope_unit = g.u AND (coalesce(cp.due_at, 'infinity'), "
	    "    cp.case_id) > (cur.due, $5) "
	    "    ORDER BY cp.due_at NULLS LAST, cp.case_id LIMIT $6 * 4) x "
	    "  UNION ALL "
	    "  SELECT y.* FROM cur, LATERAL ("
	    "    SELECT cp.case_id, cp.event, coalesce(cp.due_at, 'infinity') "
	    "    AS due, cp.since FROM case_pending cp WHERE cp.person_id = $1 "
	    "    AND (coalesce(cp.due_at, 'infinity'), cp.case_id) > "
	    "    (cur.due, $5) ORDER BY cp.due_at NULLS LAST, cp.case_id "
	    "    LIMIT $6 * 4) y), "
	    "agg AS (SELECT case_id, min(due) AS due, min(since) AS since, "
	    "  string_agg(DISTINCT event, ',') AS events FROM hits "
	    "  GROUP BY case_id ORDER BY min(due), case_id LIMIT $6) "
	    "SELECT a.case_id, c.workflow, c.state, CASE WHEN a.due = "
	    "'infinity' THEN NULL ELSE " EPOCH("a.due") " END, "
	    EPOCH("a.since") ", a.events, c.version, "
	    "coalesce(c.applicant_id, 0), CASE WHEN a.due = 'infinity' THEN "
	    "9223372036 ELSE " EPOCH("a.due") " END FROM agg a JOIN wf_case c "
	    "ON c.id = a.case_id ORDER BY a.due, a.case_id", &p, d));
}

enum qj_err
idem_get(struct qj_db *db, int64_t person, const char *key, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person);
	qj_p_str(&p, key);
	return (qj_db_exec(db, res, "SELECT status, convert_from(body, "
	    "'UTF8'), request_sha256 FROM idempotency WHERE person_id = $1 AND "
	    "key = $2", &p, d));
}

enum qj_err
idem_put(struct qj_db *db, int64_t person, const char *key,
    const char *req_sha, int status, const char *body, size_t len,
    qj_time now, struct qj_diag *d)
{
	struct qj_params	p;

	(void)len;
	qj_p_init(&p);
	qj_p_i64(&p, person);
	qj_p_str(&p, key);
	qj_p_str(&p, req_sha);
	qj_p_i64(&p, status);
	qj_p_str(&p, body);
	qj_p_i64(&p, now);
	/* Deferred to the commit: a concurrent twin of the key fails it. */
	return (qj_db_defer(db, "INSERT INTO idempotency (person_id, key, "
	    "request_sha256, status, body, created_at) VALUES ($1, $2, $3, $4, "
	    "convert_to($5, 'UTF8'), to_timestamp($6))", &p, d));
}

enum qj_err
prepare_put(struct qj_db *db, const struct prepare_new *n, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, n->id_hash);
	qj_p_i64(&p, n->case_id);
	qj_p_i64(&p, n->case_version);
	qj_p_str(&p, n->event);
	qj_p_i64(&p, n->person_id);
	p_opt_id(&p, n->case_document_id);
	qj_p_str(&p, n->commitment);
	qj_p_str(&p, n->skeleton);
	qj_p_i64(&p, n->now);
	qj_p_i64(&p, n->expires);
	qj_p_str(&p, n->document);
	return (qj_db_exec(db, NULL, "INSERT INTO signing_prepare (id_hash, "
	    "case_id, case_version, event, person_id, case_document_id, "
	    "commitment, skeleton, created_at, expires_at, document) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7, convert_to($8, 'UTF8'), "
	    "to_timestamp($9), to_timestamp($10), convert_to($11, 'UTF8'))",
	    &p, d));
}

enum qj_err
prepare_take(struct qj_db *db, const char *id_hash, int64_t person,
    int64_t case_id, qj_time now, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, id_hash);
	qj_p_i64(&p, person);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, res, "UPDATE signing_prepare SET used_at = "
	    "to_timestamp($4) WHERE id_hash = $1 AND person_id = $2 AND "
	    "case_id = $3 AND used_at IS NULL AND expires_at > to_timestamp($4) "
	    "RETURNING case_version, event, case_document_id, commitment, "
	    "convert_from(skeleton, 'UTF8'), convert_from(document, 'UTF8')",
	    &p, d));
}

enum qj_err
cases_of_applicant(struct qj_db *db, int64_t person, int limit,
    int64_t before_id, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, person);
	qj_p_i64(&p, limit);
	qj_p_i64(&p, before_id);
	return (qj_db_exec(db, res, "SELECT id, workflow, state, "
	    TS("updated_at") ", version FROM wf_case WHERE applicant_id = $1 "
	    "AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $2", &p, d));
}

enum qj_err
calendar_rows(struct qj_db *db, PGresult **days, PGresult **zones,
    struct qj_diag *d)
{
	enum qj_err	err;

	err = qj_db_exec(db, days, "SELECT day::text, working FROM "
	    "calendar_day ORDER BY day", NULL, d);
	if (err != QJ_OK)
		return (err);
	err = qj_db_exec(db, zones, "SELECT valid_from::text, "
	    "utc_offset_minutes FROM time_zone_rule ORDER BY valid_from", NULL,
	    d);
	if (err != QJ_OK) {
		PQclear(*days);
		*days = NULL;
	}
	return (err);
}

enum qj_err
attachment_record(struct qj_db *db, const char *sha256, const char *media,
    size_t size, int64_t person, const char *name, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_str(&p, sha256);
	qj_p_str(&p, media);
	qj_p_i64(&p, (int64_t)size);
	if ((err = qj_db_exec(db, NULL, "INSERT INTO attachment (sha256, "
	    "media_type, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO "
	    "NOTHING", &p, d)) != QJ_OK)
		return (err);
	qj_p_init(&p);
	qj_p_str(&p, sha256);
	qj_p_i64(&p, person);
	qj_p_str(&p, name);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "INSERT INTO attachment_upload (sha256, "
	    "person_id, file_name, uploaded_at) VALUES ($1, $2, $3, "
	    "to_timestamp($4)) ON CONFLICT (sha256, person_id) DO NOTHING", &p,
	    d));
}

enum qj_err
attachment_link(struct qj_db *db, int64_t case_id, const char *sha256,
    int64_t person, int64_t cd_id, qj_time now, struct qj_diag *d)
{
	struct qj_params	p;
	int64_t			ok;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, sha256);
	qj_p_i64(&p, person);
	err = one_i64(db, "SELECT (EXISTS (SELECT 1 FROM case_attachment "
	    "WHERE case_id = $1 AND sha256 = $2) OR EXISTS (SELECT 1 FROM "
	    "attachment_upload WHERE sha256 = $2 AND person_id = $3))::int",
	    &p, &ok, d);
	if (err != QJ_OK)
		return (err);
	if (!ok)
		return (qj_fail(d, QJ_EUNPROC, "unknown-attachment", "sha256",
		    "attachment %s was not uploaded by you (POST "
		    "/api/attachments) nor is it part of this case", sha256));
	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, sha256);
	qj_p_i64(&p, cd_id);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "INSERT INTO case_attachment (case_id, "
	    "sha256, case_document_id, linked_at) VALUES ($1, $2, $3, "
	    "to_timestamp($4)) ON CONFLICT (case_id, sha256) DO NOTHING", &p,
	    d));
}

enum qj_err
attachments_of(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT a.sha256, a.media_type, a.size, "
	    "(SELECT file_name FROM attachment_upload u WHERE u.sha256 = "
	    "a.sha256 ORDER BY uploaded_at LIMIT 1), " TS("ca.linked_at")
	    " FROM case_attachment ca JOIN attachment a ON a.sha256 = "
	    "ca.sha256 WHERE ca.case_id = $1 ORDER BY ca.linked_at, a.sha256",
	    &p, d));
}

enum qj_err
attachment_of_case(struct qj_db *db, int64_t case_id, const char *sha256,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, sha256);
	return (qj_db_exec(db, res, "SELECT a.media_type, a.size FROM "
	    "case_attachment ca JOIN attachment a ON a.sha256 = ca.sha256 "
	    "WHERE ca.case_id = $1 AND ca.sha256 = $2", &p, d));
}

enum qj_err
seal_queue(struct qj_db *db, int64_t case_id, qj_time now, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "INSERT INTO seal_job (case_id, "
	    "queued_at, next_try_at) VALUES ($1, to_timestamp($2), "
	    "to_timestamp($2)) ON CONFLICT (case_id) DO NOTHING", &p, d));
}
