/*
 * archive.c (store): the sealing loop and the archive's records (see
 * archive.h for the protocol and why it seals each case exactly once).
 *
 * Owns the rows of seal_job (after flow.c queued them), archive,
 * legal_hold and disposition_act, and the files case-<id>.zip in the
 * archive directory.  Gathers a case's data for core/archive_case.c from
 * one REPEATABLE READ snapshot, the audit export (store/audit.c) and the
 * blob store.  Called by app/api (the timer, the auditor endpoints) and
 * the tests; bench/archive uses the core only.
 *
 * Invariant: case-<id>.zip is renamed into place only by a sealer holding
 * the case's seal_job row with a current claim and no archive row, and the
 * archive row commits in that same transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/archive_case.h"
#include "core/audit.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/xades.h"
#include "store/archive.h"
#include "store/audit.h"
#include "store/blobs.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* The case and the orders that list it, as a bigint[]. */
#define CASES_OF "array_prepend($1::bigint, ARRAY(SELECT from_case FROM " \
	"case_link WHERE to_case = $1))"

void
archive_path(const char *dir, int64_t case_id, char *out, size_t len)
{
	snprintf(out, len, "%s/case-%lld.zip", dir, (long long)case_id);
}

/* --- 1. claim -------------------------------------------------------------- */

enum qj_err
archive_claim(struct qj_db *db, qj_time now, int lease, int64_t *case_id,
    int *token, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res = NULL;
	enum qj_err		 err;

	*case_id = 0;
	*token = 0;
	qj_p_init(&p);
	qj_p_i64(&p, now);
	qj_p_i64(&p, lease > 0 ? lease : ARCHIVE_LEASE);
	if ((err = qj_db_begin(db, d)) != QJ_OK)
		return (err);
	/* One statement: the row is claimed and leased before COMMIT. */
	err = qj_db_exec(db, &res, "UPDATE seal_job SET attempts = attempts + "
	    "1, next_try_at = to_timestamp($1) + make_interval(secs => $2) "
	    "WHERE case_id = (SELECT case_id FROM seal_job WHERE next_try_at "
	    "<= to_timestamp($1) ORDER BY next_try_at, case_id LIMIT 1 FOR "
	    "UPDATE SKIP LOCKED) RETURNING case_id, attempts", &p, d);
	if (err == QJ_OK && PQntuples(res) == 1) {
		*case_id = qj_db_i64(res, 0, 0);
		*token = (int)qj_db_i64(res, 0, 1);
	}
	PQclear(res);
	if (err == QJ_OK)
		err = qj_db_commit(db, d);
	else
		qj_db_rollback(db);
	return (err);
}

/* --- 2. build --------------------------------------------------------------- */

struct gather {
	PGresult		*c, *docs, *sigs, *atts, *dls, *ords, *listed;
	PGresult		*parts, *ret;
	struct qj_buf		*blobs;
	size_t			 nblobs;
	struct qj_buf		 audit;
	char			 head[AUDIT_HASH_HEX + 1];
	struct qj_arc_doc	*d;
	struct qj_arc_sig	*s;
	struct qj_arc_att	*a;
	struct qj_arc_deadline	*dl;
	struct qj_arc_order	*o;
	struct qj_arc_listed	*l;
	struct qj_arc_party	*pt;
	struct qj_arc_case	 ac;
};

static void
gather_free(struct gather *g)
{
	size_t	i;

	PQclear(g->c);
	PQclear(g->docs);
	PQclear(g->sigs);
	PQclear(g->atts);
	PQclear(g->dls);
	PQclear(g->ords);
	PQclear(g->listed);
	PQclear(g->parts);
	PQclear(g->ret);
	for (i = 0; i < g->nblobs; i++)
		qj_buf_free(&g->blobs[i]);
	free(g->blobs);
	qj_buf_free(&g->audit);
	free(g->d);
	free(g->s);
	free(g->a);
	free(g->dl);
	free(g->o);
	free(g->l);
	free(g->pt);
	memset(g, 0, sizeof(*g));
}

/* A column as a string, or NULL for SQL NULL (and for ""). */
static const char *
col(PGresult *r, int row, int c)
{
	if (qj_db_isnull(r, row, c) || qj_db_str(r, row, c)[0] == '\0')
		return (NULL);
	return (qj_db_str(r, row, c));
}

static enum qj_err
gather_rows(struct qj_db *db, int64_t id, struct gather *g, struct qj_diag *d)
{
	struct qj_params	p;
	enum qj_err		err;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	if ((err = qj_db_exec(db, &g->c, "SELECT c.workflow, c.wf_version, "
	    "c.unit_path, u.code, p.iin, p.name_kk, p.name_ru, p.name_en, "
	    "c.state, c.version, c.terminal, " TS("c.created_at") ", "
	    TS("c.closed_at") ", c.series, c.reg_year, c.reg_number, "
	    "c.reg_date::text, w.sha256, convert_from(w.source, 'UTF8') "
	    "FROM wf_case c JOIN unit u ON u.id = c.unit_id LEFT JOIN person p "
	    "ON p.id = c.applicant_id JOIN workflow_def w ON w.id = c.workflow "
	    "AND w.version = c.wf_version WHERE c.id = $1", &p, d)) != QJ_OK)
		return (err);
	if (PQntuples(g->c) != 1 || !qj_db_bool(g->c, 0, 10))
		return (qj_fail(d, QJ_EUNPROC, "not-terminal", "case", "case "
		    "%lld does not exist or is not closed", (long long)id));
	/* The case's documents first, then those of the orders listing it. */
	if ((err = qj_db_exec(db, &g->docs, "SELECT cd.case_id, cd.role, "
	    "cd.version, d.form, d.sha256, " TS("cd.created_at") ", p.login, "
	    "convert_from(d.bytes, 'UTF8') FROM case_document cd JOIN document "
	    "d ON d.sha256 = cd.sha256 LEFT JOIN person p ON p.id = "
	    "cd.created_by WHERE cd.case_id = ANY (" CASES_OF ") ORDER BY "
	    "cd.case_id <> $1, cd.case_id, cd.id", &p, d)) != QJ_OK ||
	    (err = qj_db_exec(db, &g->sigs, "SELECT s.case_id, cd.sha256, "
	    "s.event, s.commitment, p.login, p.iin, s.signer_role, "
	    TS("s.signing_time") ", s.cert_sha256, convert_from(s.xml, "
	    "'UTF8') FROM signature s JOIN case_document cd ON cd.id = "
	    "s.case_document_id JOIN person p ON p.id = s.signer_id WHERE "
	    "s.case_id = ANY (" CASES_OF ") ORDER BY s.case_id <> $1, "
	    "s.case_id, s.id", &p, d)) != QJ_OK ||
	    (err = qj_db_exec(db, &g->atts, "SELECT a.sha256, a.media_type, "
	    "a.size, coalesce((SELECT u.file_name FROM attachment_upload u "
	    "WHERE u.sha256 = a.sha256 ORDER BY u.uploaded_at LIMIT 1), ''), "
	    TS("ca.linked_at") " FROM case_attachment ca JOIN attachment a ON "
	    "a.sha256 = ca.sha256 WHERE ca.case_id = $1 ORDER BY ca.linked_at, "
	    "a.sha256", &p, d)) != QJ_OK ||
	    (err = qj_db_exec(db, &g->dls, "SELECT name, title_kk, title_ru, "
	    "title_en, " TS("due_at") ", rule, cite, on_expiry, state, "
	    TS("set_at") ", " TS("closed_at") " FROM deadline WHERE case_id = "
	    "$1 ORDER BY id", &p, d)) != QJ_OK ||
	    (err = qj_db_exec(db, &g->ords, "SELECT o.id, o.state, o.series, "
	    "o.reg_year, o.reg_number, o.reg_date::text, l.item_no, l.event, "
	    "l.item::text FROM case_link l JOIN wf_case o ON o.id = l.from_case "
	    "WHERE l.to_case = $1 ORDER BY o.id", &p, d)) != QJ_OK ||
	    (err = qj_db_exec(db, &g->listed, "SELECT l.to_case, l.item_no, "
	    "l.event, l.item::text, c.workflow, c.state, p.iin FROM case_link "
	    "l JOIN wf_case c ON c.id = l.to_case LEFT JOIN person p ON p.id = "
	    "c.applicant_id WHERE l.from_case = $1 ORDER BY l.item_no", &p,
	    d)) != QJ_OK ||
	    (err = qj_db_exec(db, &g->parts, "SELECT p.login, p.iin, "
	    "cp.capacity, " TS("cp.assigned_at") " FROM case_participant cp "
	    "JOIN person p ON p.id = cp.person_id WHERE cp.case_id = $1 ORDER "
	    "BY cp.assigned_at, p.login", &p, d)) != QJ_OK)
		return (err);
	/* The longest period of the case's document types, else '*'. */
	return (qj_db_exec(db, &g->ret, "SELECT r.doc_type, r.years, r.basis "
	    "|| ' (' || r.source || ')', make_date(extract(year FROM "
	    "c.closed_at AT TIME ZONE 'UTC')::int + 1 + r.years, 1, 1)::text "
	    "FROM wf_case c, retention_rule r WHERE c.id = $1 AND (r.doc_type "
	    "= '*' OR r.doc_type IN (SELECT d.form FROM case_document cd JOIN "
	    "document d ON d.sha256 = cd.sha256 WHERE cd.case_id = $1)) ORDER "
	    "BY r.doc_type = '*', r.years DESC, r.doc_type LIMIT 1", &p, d));
}

static size_t
ntuples(PGresult *r)
{
	int	n = PQntuples(r);

	return (n > 0 ? (size_t)n : 0);
}

/* The rows as core structures (pointers into the results). */
static enum qj_err
gather_fill(struct gather *g, int64_t id, const char *blobs, struct qj_diag *d)
{
	struct qj_arc_case	*c = &g->ac;
	size_t			 i;
	enum qj_err		 err = QJ_OK;

	if ((g->d = calloc(ntuples(g->docs) + 1, sizeof(*g->d))) == NULL ||
	    (g->s = calloc(ntuples(g->sigs) + 1, sizeof(*g->s))) == NULL ||
	    (g->a = calloc(ntuples(g->atts) + 1, sizeof(*g->a))) == NULL ||
	    (g->blobs = calloc(ntuples(g->atts) + 1, sizeof(*g->blobs))) ==
	    NULL ||
	    (g->dl = calloc(ntuples(g->dls) + 1, sizeof(*g->dl))) == NULL ||
	    (g->o = calloc(ntuples(g->ords) + 1, sizeof(*g->o))) == NULL ||
	    (g->l = calloc(ntuples(g->listed) + 1, sizeof(*g->l))) == NULL ||
	    (g->pt = calloc(ntuples(g->parts) + 1, sizeof(*g->pt))) == NULL)
		return (QJ_ENOMEM);
	c->id = id;
	c->workflow = col(g->c, 0, 0);
	c->wf_version = (int)qj_db_i64(g->c, 0, 1);
	c->unit_path = col(g->c, 0, 2);
	c->unit_code = col(g->c, 0, 3);
	c->applicant_iin = col(g->c, 0, 4);
	c->applicant_name = (struct qj_arc_names){ col(g->c, 0, 5),
	    col(g->c, 0, 6), col(g->c, 0, 7) };
	c->state = col(g->c, 0, 8);
	c->version = (int)qj_db_i64(g->c, 0, 9);
	c->created_at = col(g->c, 0, 11);
	c->closed_at = col(g->c, 0, 12);
	c->series = col(g->c, 0, 13);
	c->reg_year = (int)qj_db_i64(g->c, 0, 14);
	c->reg_number = (int)qj_db_i64(g->c, 0, 15);
	c->reg_date = col(g->c, 0, 16);
	c->wf_sha256 = col(g->c, 0, 17);
	c->wf_source = qj_db_str(g->c, 0, 18);
	c->wf_len = (size_t)PQgetlength(g->c, 0, 18);
	for (i = 0; i < ntuples(g->docs); i++)
		g->d[i] = (struct qj_arc_doc){ qj_db_i64(g->docs, i, 0),
		    col(g->docs, i, 1), (int)qj_db_i64(g->docs, i, 2),
		    col(g->docs, i, 3), col(g->docs, i, 4), col(g->docs, i, 5),
		    col(g->docs, i, 6), qj_db_str(g->docs, i, 7),
		    (size_t)PQgetlength(g->docs, i, 7) };
	for (i = 0; i < ntuples(g->sigs); i++)
		g->s[i] = (struct qj_arc_sig){ qj_db_i64(g->sigs, i, 0),
		    col(g->sigs, i, 1), col(g->sigs, i, 2), col(g->sigs, i, 3),
		    col(g->sigs, i, 4), col(g->sigs, i, 5), col(g->sigs, i, 6),
		    col(g->sigs, i, 7), col(g->sigs, i, 8),
		    qj_db_str(g->sigs, i, 9),
		    (size_t)PQgetlength(g->sigs, i, 9) };
	for (i = 0; i < ntuples(g->atts) && err == QJ_OK; i++) {
		err = qj_blob_get(blobs, qj_db_str(g->atts, i, 0), &g->blobs[i],
		    ARCHIVE_BLOB_MAX, d);
		g->nblobs = i + 1;
		g->a[i] = (struct qj_arc_att){ col(g->atts, i, 0),
		    col(g->atts, i, 1), col(g->atts, i, 3), col(g->atts, i, 4),
		    g->blobs[i].data != NULL ? g->blobs[i].data : "",
		    g->blobs[i].len };
	}
	for (i = 0; i < ntuples(g->dls); i++)
		g->dl[i] = (struct qj_arc_deadline){ col(g->dls, i, 0),
		    { col(g->dls, i, 1), col(g->dls, i, 2), col(g->dls, i, 3) },
		    col(g->dls, i, 4), col(g->dls, i, 5), col(g->dls, i, 6),
		    col(g->dls, i, 7), col(g->dls, i, 8), col(g->dls, i, 9),
		    col(g->dls, i, 10) };
	for (i = 0; i < ntuples(g->ords); i++)
		g->o[i] = (struct qj_arc_order){ qj_db_i64(g->ords, i, 0),
		    col(g->ords, i, 1), col(g->ords, i, 2), col(g->ords, i, 5),
		    (int)qj_db_i64(g->ords, i, 3), (int)qj_db_i64(g->ords, i, 4),
		    (int)qj_db_i64(g->ords, i, 6), col(g->ords, i, 7),
		    col(g->ords, i, 8) };
	for (i = 0; i < ntuples(g->listed); i++)
		g->l[i] = (struct qj_arc_listed){ qj_db_i64(g->listed, i, 0),
		    (int)qj_db_i64(g->listed, i, 1), col(g->listed, i, 2),
		    col(g->listed, i, 3), col(g->listed, i, 4),
		    col(g->listed, i, 5), col(g->listed, i, 6) };
	for (i = 0; i < ntuples(g->parts); i++)
		g->pt[i] = (struct qj_arc_party){ col(g->parts, i, 0),
		    col(g->parts, i, 1), col(g->parts, i, 2),
		    col(g->parts, i, 3) };
	c->docs = g->d;
	c->ndocs = ntuples(g->docs);
	c->sigs = g->s;
	c->nsigs = ntuples(g->sigs);
	c->atts = g->a;
	c->natts = ntuples(g->atts);
	c->deadlines = g->dl;
	c->ndeadlines = ntuples(g->dls);
	c->orders = g->o;
	c->norders = ntuples(g->ords);
	c->listed = g->l;
	c->nlisted = ntuples(g->listed);
	c->parties = g->pt;
	c->nparties = ntuples(g->parts);
	if (PQntuples(g->ret) == 1) {
		c->retention_rule = col(g->ret, 0, 0);
		c->retention_years = (int)qj_db_i64(g->ret, 0, 1);
		c->retention_basis = col(g->ret, 0, 2);
		c->retain_until = col(g->ret, 0, 3);
	} else if (err == QJ_OK)
		err = qj_fail(d, QJ_EINTERNAL, "no-retention-rule", "retention",
		    "retention_rule has no default ('*') row");
	return (err);
}

static void
meta_fill(const struct qj_arc_case *c, struct archive_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->case_id = c->id;
	snprintf(m->workflow, sizeof(m->workflow), "%s", c->workflow);
	snprintf(m->unit_path, sizeof(m->unit_path), "%s", c->unit_path);
	snprintf(m->applicant_iin, sizeof(m->applicant_iin), "%s",
	    c->applicant_iin != NULL ? c->applicant_iin : "");
	snprintf(m->applicant_name, sizeof(m->applicant_name), "%s / %s / %s",
	    c->applicant_name.kk != NULL ? c->applicant_name.kk : "",
	    c->applicant_name.ru != NULL ? c->applicant_name.ru : "",
	    c->applicant_name.en != NULL ? c->applicant_name.en : "");
	if (c->applicant_iin == NULL)
		m->applicant_name[0] = '\0';
	snprintf(m->state, sizeof(m->state), "%s", c->state);
	snprintf(m->closed_at, sizeof(m->closed_at), "%s", c->closed_at);
	m->retention_years = c->retention_years;
	snprintf(m->retention_rule, sizeof(m->retention_rule), "%s",
	    c->retention_rule);
	snprintf(m->retain_until, sizeof(m->retain_until), "%s",
	    c->retain_until);
	m->head_seq = c->head_seq;
}

/* The package as written, read back: its seal must verify now. */
static enum qj_err
check_seal(const struct archive_cfg *cfg, const struct qj_buf *zip,
    qj_time now, struct qj_diag *d)
{
	struct qj_xades_obj	*objs = NULL;
	struct qj_sig_expect	 ex;
	struct qj_diag		 vd;
	const struct qj_zip_entry *seal = NULL;
	struct qj_zip		 z;
	enum qj_err		 err;
	size_t			 i, n = 0;

	if (cfg->trust == NULL)
		return (QJ_OK);
	if ((err = qj_zip_read(zip->data, zip->len, &z, d)) != QJ_OK)
		return (err);
	if ((objs = calloc(z.n + 1, sizeof(*objs))) == NULL) {
		err = QJ_ENOMEM;
		goto out;
	}
	for (i = 0; i < z.n; i++) {
		if (strcmp(z.e[i].name, QJ_ARC_SEAL_NAME) == 0) {
			seal = &z.e[i];
			continue;
		}
		if (strcmp(z.e[i].name, "mimetype") == 0)
			continue;
		objs[n].uri = z.e[i].name;
		objs[n].data = z.e[i].data;
		objs[n].len = z.e[i].len;
		objs[n++].mime = qj_arc_mime_of(z.e[i].name);
	}
	memset(&ex, 0, sizeof(ex));
	ex.commitment = QJ_COMMIT_ORIGIN;
	ex.now = (time_t)now;
	ex.max_bytes = 64u * 1024 * 1024;
	qj_diag_clear(&vd);
	if (seal == NULL || (err = qj_xades_verify_objects(cfg->trust,
	    seal->data, seal->len, objs, n, &ex, NULL, &vd)) != QJ_OK)
		err = qj_fail(d, QJ_EINTERNAL, "seal-invalid", "seal", "the new "
		    "package's seal does not verify: %s: %s", vd.type != NULL ?
		    vd.type : "no seal", vd.detail);
out:
	free(objs);
	qj_zip_free(&z);
	return (err);
}

enum qj_err
archive_build(struct qj_db *db, const struct archive_cfg *cfg,
    int64_t case_id, qj_time now, struct qj_buf *zip, char sha256[65],
    struct archive_meta *meta, struct qj_diag *d)
{
	struct gather		 g;
	struct audit_verify	 v;
	char			 stream[AUDIT_STREAM_MAX];
	enum qj_err		 err;

	memset(&g, 0, sizeof(g));
	/* One snapshot for everything that is not the audit stream. */
	if ((err = qj_db_begin(db, d)) != QJ_OK)
		return (err);
	if ((err = qj_db_exec(db, NULL, "SET TRANSACTION ISOLATION LEVEL "
	    "REPEATABLE READ, READ ONLY", NULL, d)) == QJ_OK)
		err = gather_rows(db, case_id, &g, d);
	qj_db_rollback(db);
	if (err != QJ_OK)
		goto out;
	/* The stream as an auditor gets it; a broken chain is not sealed. */
	audit_stream_of_case(case_id, stream);
	if ((err = audit_export_stream(db, stream, &g.audit, &v, d)) != QJ_OK)
		goto out;
	if (v.fault != AUDIT_F_NONE) {
		err = qj_fail(d, QJ_EUNPROC, "audit-broken", "audit", "the "
		    "audit chain of %s is broken at seq %lld (%s): not sealed",
		    stream, (long long)v.fault_seq, audit_fault_slug(v.fault));
		goto out;
	}
	if ((err = gather_fill(&g, case_id, cfg->blobs, d)) != QJ_OK)
		goto out;
	g.ac.audit_jsonl = g.audit.data;
	g.ac.audit_len = g.audit.len;
	g.ac.head_seq = v.has_head ? v.head_seq : 0;
	snprintf(g.head, sizeof(g.head), "%s", v.has_head ? v.head_hash : "");
	g.ac.head_hash = g.head;
	if ((err = qj_arc_case_package(&g.ac, cfg->sealer, (time_t)now, zip,
	    sha256, d)) != QJ_OK ||
	    (err = check_seal(cfg, zip, now, d)) != QJ_OK)
		goto out;
	meta_fill(&g.ac, meta);
out:
	gather_free(&g);
	return (err);
}

/* --- 3. commit ------------------------------------------------------------- */

static enum qj_err
io_fail(struct qj_diag *d, const char *what, const char *path)
{
	return (qj_fail(d, QJ_EIO, "archive-io", "archive", "%s %s: %s", what,
	    path, strerror(errno)));
}

static int
fsync_dir(const char *dir)
{
	int	fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

/* The package under a temporary name, on disk. */
static enum qj_err
write_temp(const char *dir, int64_t id, const struct qj_buf *zip, char *tmp,
    size_t len, struct qj_diag *d)
{
	unsigned char	 rnd[8];
	char		 hex[17];
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (qj_random(rnd, sizeof(rnd)) != QJ_OK)
		return (QJ_EINTERNAL);
	qj_hex(rnd, sizeof(rnd), hex);
	snprintf(tmp, len, "%s/.case-%lld.%s.tmp", dir, (long long)id, hex);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0)
		return (io_fail(d, "cannot create", tmp));
	while (off < zip->len) {
		if ((n = write(fd, zip->data + off, zip->len - off)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			return (io_fail(d, "cannot write", tmp));
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		return (io_fail(d, "cannot fsync", tmp));
	}
	return (QJ_OK);
}

/*
 * tmp -> path, never over a recorded package.  The caller holds the job row
 * with a current claim and has seen no archive row, so a file already at
 * `path` is a stray of an attempt that died between its rename and its
 * commit: it is replaced.
 */
static enum qj_err
place(const char *tmp, const char *path, struct qj_diag *d)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return (QJ_OK);
	if (errno == EEXIST) {
		qj_log(QJ_LOG_WARN, "archive", "replacing %s, left by an attempt "
		    "that did not commit", path);
		if (rename(tmp, path) == 0)
			return (QJ_OK);
	} else if (errno == EINVAL || errno == ENOSYS) {
		/* A file system without RENAME_NOREPLACE: link() never
		 * replaces either. */
		if (link(tmp, path) == 0 || (errno == EEXIST &&
		    rename(tmp, path) == 0)) {
			(void)unlink(tmp);
			return (QJ_OK);
		}
	}
	return (io_fail(d, "cannot rename into", path));
}

/* Under the job row's lock: still ours, not sealed, audit unchanged. */
static enum qj_err
commit_checks(struct qj_db *db, int64_t id, int token, int64_t head_seq,
    struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res = NULL;
	char			 stream[AUDIT_STREAM_MAX];
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	if ((err = qj_db_exec(db, &res, "SELECT j.attempts, EXISTS (SELECT 1 "
	    "FROM archive a WHERE a.case_id = j.case_id) FROM seal_job j WHERE "
	    "j.case_id = $1 FOR UPDATE OF j", &p, d)) != QJ_OK)
		return (err);
	if (PQntuples(res) == 1 && qj_db_bool(res, 0, 1)) {
		/* Queued again although sealed: the job goes, the package
		 * stays as it is. */
		PQclear(res);
		if ((err = qj_db_exec(db, NULL, "DELETE FROM seal_job WHERE "
		    "case_id = $1", &p, d)) != QJ_OK ||
		    (err = qj_db_commit(db, d)) != QJ_OK)
			return (err);
		qj_log(QJ_LOG_WARN, "archive", "case %lld was queued again "
		    "after it was sealed; its package is kept", (long long)id);
		return (qj_fail(d, QJ_ECONFLICT, "seal-claim-lost", "case",
		    "case %lld is sealed already", (long long)id));
	}
	if (PQntuples(res) != 1 || qj_db_i64(res, 0, 0) != token) {
		err = qj_fail(d, QJ_ECONFLICT, "seal-claim-lost", "case",
		    "case %lld is sealed or claimed by another sealer",
		    (long long)id);
		PQclear(res);
		return (err);
	}
	PQclear(res);
	audit_stream_of_case(id, stream);
	qj_p_init(&p);
	qj_p_str(&p, stream);
	if ((err = qj_db_exec(db, &res, "SELECT seq FROM audit_head WHERE "
	    "stream = $1 FOR UPDATE", &p, d)) != QJ_OK)
		return (err);
	if ((PQntuples(res) == 1 ? qj_db_i64(res, 0, 0) : 0) != head_seq)
		err = qj_fail(d, QJ_ECONFLICT, "seal-audit-moved", "audit",
		    "the audit stream of case %lld moved since the package was "
		    "built", (long long)id);
	PQclear(res);
	return (err);
}

static enum qj_err
record(struct qj_db *db, const struct archive_cfg *cfg, int64_t id,
    const struct qj_buf *zip, const char *sha, const struct archive_meta *m,
    qj_time now, struct qj_diag *d)
{
	struct qj_params	 p;
	struct audit_in		 in;
	char			 stream[AUDIT_STREAM_MAX], name[64], cert[65];
	char			 detail[256];
	enum qj_err		 err;

	qj_hex(cfg->sealer->cert_sha256, 32, cert);
	snprintf(name, sizeof(name), "case-%lld.zip", (long long)id);
	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_str(&p, name);
	qj_p_str(&p, sha);
	qj_p_i64(&p, (int64_t)zip->len);
	qj_p_i64(&p, now);
	qj_p_str(&p, cert);
	qj_p_str(&p, m->workflow);
	qj_p_str(&p, m->unit_path);
	qj_p_str(&p, m->applicant_iin[0] != '\0' ? m->applicant_iin : NULL);
	qj_p_str(&p, m->applicant_name);
	qj_p_str(&p, m->closed_at);
	qj_p_i64(&p, m->retention_years);
	qj_p_str(&p, m->retention_rule);
	qj_p_str(&p, m->retain_until);
	if ((err = qj_db_exec(db, NULL, "INSERT INTO archive (case_id, path, "
	    "sha256, size, sealed_at, seal_cert_sha256, workflow, unit_path, "
	    "applicant_iin, applicant_name, closed_at, retention_years, "
	    "retention_rule, retain_until) VALUES ($1, $2, $3, $4, "
	    "to_timestamp($5), $6, $7, $8, $9, $10, $11::timestamptz, $12, $13, "
	    "$14::date)", &p, d)) != QJ_OK)
		return (err);
	qj_p_init(&p);
	qj_p_i64(&p, id);
	if ((err = qj_db_exec(db, NULL, "DELETE FROM seal_job WHERE case_id = "
	    "$1", &p, d)) != QJ_OK)
		return (err);
	audit_stream_of_case(id, stream);
	snprintf(detail, sizeof(detail), "{\"path\":\"%s\",\"sha256\":\"%s\"}",
	    name, sha);
	memset(&in, 0, sizeof(in));
	in.stream = stream;
	in.actor_login = "system";
	in.action = "archive.seal";
	in.state_before = m->state;
	in.state_after = m->state;
	in.request_id = "seal";
	in.detail = detail;
	return (audit_append(db, &in, NULL, d));
}

enum qj_err
archive_commit(struct qj_db *db, const struct archive_cfg *cfg,
    int64_t case_id, int token, const struct qj_buf *zip, const char *sha,
    const struct archive_meta *m, qj_time now, struct qj_diag *d)
{
	char		tmp[600], path[600];
	enum qj_err	err;
	int		renamed = 0;

	archive_path(cfg->dir, case_id, path, sizeof(path));
	if ((err = write_temp(cfg->dir, case_id, zip, tmp, sizeof(tmp), d)) !=
	    QJ_OK)
		return (err);
	if ((err = qj_db_begin(db, d)) != QJ_OK ||
	    (err = commit_checks(db, case_id, token, m->head_seq, d)) != QJ_OK)
		goto out;
	if ((err = place(tmp, path, d)) != QJ_OK)
		goto out;
	renamed = 1;
	if (fsync_dir(cfg->dir) != 0) {
		err = io_fail(d, "cannot fsync", cfg->dir);
		goto out;
	}
#ifdef QJ_TEST
	/* Tests simulate a crash between the rename and the commit. */
	if (getenv("QJ_TEST_SEAL_FAULT") != NULL &&
	    strcmp(getenv("QJ_TEST_SEAL_FAULT"), "after-rename") == 0) {
		qj_db_rollback(db);
		return (qj_fail(d, QJ_EINTERNAL, "fault-injected", "",
		    "QJ_TEST_SEAL_FAULT=after-rename"));
	}
#endif
	if ((err = record(db, cfg, case_id, zip, sha, m, now, d)) != QJ_OK)
		goto out;
	err = qj_db_commit(db, d);
out:
	qj_db_rollback(db);
	if (!renamed)
		(void)unlink(tmp);
	/* A renamed file whose row did not commit is a stray: the next
	 * attempt replaces it. */
	return (err);
}

enum qj_err
archive_fail(struct qj_db *db, int64_t case_id, int token, const char *why,
    qj_time now, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, token);
	qj_p_str(&p, why);
	qj_p_i64(&p, now);
	/* 30 s, 60 s, 120 s, ... at most an hour. */
	return (qj_db_exec(db, NULL, "UPDATE seal_job SET last_error = "
	    "left($3, 1000), next_try_at = to_timestamp($4) + make_interval("
	    "secs => least(3600, 30 * power(2, least(attempts - 1, 20))))"
	    " WHERE case_id = $1 AND attempts = $2", &p, d));
}

enum qj_err
archive_seal_pending(struct qj_db *db, const struct archive_cfg *cfg,
    qj_time now, int limit, int *sealed, struct qj_diag *d)
{
	struct archive_meta	 m;
	struct qj_buf		 zip = QJ_BUF_INIT;
	struct qj_diag		 jd;
	char			 sha[65];
	int64_t			 id;
	int			 token, i;
	enum qj_err		 err, jerr;

	*sealed = 0;
	for (i = 0; i < limit; i++) {
		if ((err = archive_claim(db, now, cfg->lease, &id, &token, d)) !=
		    QJ_OK)
			return (err);
		if (id == 0)
			break;
		qj_buf_reset(&zip);
		qj_diag_clear(&jd);
		if ((jerr = archive_build(db, cfg, id, now, &zip, sha, &m,
		    &jd)) == QJ_OK)
			jerr = archive_commit(db, cfg, id, token, &zip, sha, &m,
			    now, &jd);
		if (jerr == QJ_OK) {
			(*sealed)++;
			qj_log(QJ_LOG_INFO, "archive", "sealed case %lld: "
			    "case-%lld.zip %zu bytes sha256 %s", (long long)id,
			    (long long)id, zip.len, sha);
			continue;
		}
		qj_log(QJ_LOG_WARN, "archive", "case %lld not sealed: %s: %s",
		    (long long)id, jd.type != NULL ? jd.type : "error",
		    jd.detail);
		if (jerr == QJ_ECONFLICT && jd.type != NULL &&
		    strcmp(jd.type, "seal-claim-lost") == 0)
			continue;	/* someone else's now */
		if (jerr == QJ_EDB) {
			qj_buf_free(&zip);
			*d = jd;
			return (jerr);
		}
		if ((err = archive_fail(db, id, token, jd.detail, now, d)) !=
		    QJ_OK) {
			qj_buf_free(&zip);
			return (err);
		}
	}
	qj_buf_free(&zip);
	return (QJ_OK);
}

/* --- the archive's records --------------------------------------------------- */

#define SEARCH_COLS "SELECT a.case_id, a.workflow, a.applicant_iin, " \
	"a.applicant_name, a.unit_path, " TS("a.closed_at") ", " \
	TS("a.sealed_at") ", a.sha256, a.size, a.retain_until::text, " \
	TS("a.disposed_at") ", EXISTS (SELECT 1 FROM legal_hold h WHERE " \
	"h.case_id = a.case_id AND h.lifted_at IS NULL), " \
	"extract(epoch FROM a.closed_at)::bigint"
#define SEARCH_TAIL " AND a.unit_path LIKE ANY ($2::text[]) AND ($3::text " \
	"IS NULL OR a.workflow = $3) AND a.closed_at >= $4::timestamptz AND " \
	"a.closed_at < $5::timestamptz AND (a.closed_at, a.case_id) < " \
	"(to_timestamp($6), $7::bigint) ORDER BY a.closed_at DESC, " \
	"a.case_id DESC LIMIT $8"

/* The unit prefixes as LIKE patterns: "{/1/%,/1/4/%}". */
static enum qj_err
unit_patterns(const char *units, struct qj_buf *out)
{
	const char	*p;

	if (units == NULL || units[0] != '{')
		return (qj_buf_puts(out, "{}"));
	for (p = units; *p != '\0'; p++) {
		if ((*p == ',' || *p == '}') && p[-1] != '{' &&
		    qj_buf_puts(out, "%") != QJ_OK)
			return (QJ_ENOMEM);
		if ((*p == '%' || *p == '_' || *p == '\\') &&
		    qj_buf_puts(out, "\\\\") != QJ_OK)
			return (QJ_ENOMEM);
		if (qj_buf_append(out, p, 1) != QJ_OK)
			return (QJ_ENOMEM);
	}
	return (QJ_OK);
}

/* %part% for LIKE, with LIKE's metacharacters escaped. */
static enum qj_err
like_pattern(const char *s, struct qj_buf *out)
{
	enum qj_err	err = qj_buf_puts(out, "%");

	for (; *s != '\0' && err == QJ_OK; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			err = qj_buf_puts(out, "\\");
		if (err == QJ_OK)
			err = qj_buf_append(out, s, 1);
	}
	return (err == QJ_OK ? qj_buf_puts(out, "%") : err);
}

enum qj_err
archive_search(struct qj_db *db, const struct archive_query *q, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	 p;
	struct qj_buf		 units = QJ_BUF_INIT, like = QJ_BUF_INIT;
	enum qj_err		 err;

	if ((err = unit_patterns(q->units, &units)) != QJ_OK ||
	    (q->name != NULL && (err = like_pattern(q->name, &like)) != QJ_OK))
		goto out;
	qj_p_init(&p);
	if (q->iin != NULL)
		qj_p_str(&p, q->iin);
	else if (q->name != NULL)
		qj_p_str(&p, like.data);
	else if (q->order_number > 0)
		qj_p_i64(&p, q->order_number);
	else
		qj_p_str(&p, q->workflow);
	qj_p_str(&p, units.data);
	qj_p_str(&p, q->workflow);
	qj_p_str(&p, q->from != NULL ? q->from : "-infinity");
	qj_p_str(&p, q->to != NULL ? q->to : "infinity");
	qj_p_i64(&p, q->after_closed > 0 ? q->after_closed : 253402300799LL);
	qj_p_i64(&p, q->after_closed > 0 ? q->after_id : INT64_MAX);
	qj_p_i64(&p, q->limit);
	if (q->iin != NULL)
		err = qj_db_exec(db, res, SEARCH_COLS " FROM archive a WHERE "
		    "a.applicant_iin = $1" SEARCH_TAIL, &p, d);
	else if (q->name != NULL)
		err = qj_db_exec(db, res, SEARCH_COLS " FROM archive a WHERE "
		    "lower(a.applicant_name) LIKE lower($1)" SEARCH_TAIL, &p, d);
	else if (q->order_number > 0) {
		qj_p_str(&p, q->order_series);
		if (q->order_year > 0)
			qj_p_i64(&p, q->order_year);
		else
			qj_p_str(&p, NULL);
		err = qj_db_exec(db, res, SEARCH_COLS " FROM archive a WHERE "
		    "a.case_id IN (SELECT o.id FROM wf_case o WHERE "
		    "o.reg_number = $1::int AND ($9::text IS NULL OR o.series = "
		    "$9) AND ($10::int IS NULL OR o.reg_year = $10) UNION SELECT "
		    "l.to_case FROM wf_case o JOIN case_link l ON l.from_case = "
		    "o.id WHERE o.reg_number = $1::int AND ($9::text IS NULL OR "
		    "o.series = $9) AND ($10::int IS NULL OR o.reg_year = $10))"
		    SEARCH_TAIL, &p, d);
	} else if (q->workflow != NULL)
		err = qj_db_exec(db, res, SEARCH_COLS " FROM archive a WHERE "
		    "a.workflow = $1" SEARCH_TAIL, &p, d);
	else
		err = qj_db_exec(db, res, SEARCH_COLS " FROM archive a WHERE "
		    "$1::text IS NULL" SEARCH_TAIL, &p, d);
out:
	qj_buf_free(&units);
	qj_buf_free(&like);
	return (err);
}

enum qj_err
archive_get(struct qj_db *db, int64_t case_id, int lock, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	if (lock)
		return (qj_db_exec(db, res, SEARCH_COLS ", a.path, "
		    "a.seal_cert_sha256, a.retention_years, a.retention_rule "
		    "FROM archive a WHERE a.case_id = $1 FOR UPDATE", &p, d));
	return (qj_db_exec(db, res, SEARCH_COLS ", a.path, a.seal_cert_sha256, "
	    "a.retention_years, a.retention_rule FROM archive a WHERE "
	    "a.case_id = $1", &p, d));
}

enum qj_err
archive_holds(struct qj_db *db, int64_t case_id, PGresult **res,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	return (qj_db_exec(db, res, "SELECT h.id, h.reason, s.login, "
	    TS("h.set_at") ", h.lift_reason, l.login, " TS("h.lifted_at")
	    " FROM legal_hold h JOIN person s ON s.id = h.set_by LEFT JOIN "
	    "person l ON l.id = h.lifted_by WHERE h.case_id = $1 ORDER BY h.id",
	    &p, d));
}

enum qj_err
archive_hold_set(struct qj_db *db, int64_t case_id, const char *reason,
    int64_t by, qj_time now, int64_t *id, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res = NULL;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_str(&p, reason);
	qj_p_i64(&p, by);
	qj_p_i64(&p, now);
	if ((err = qj_db_exec(db, &res, "INSERT INTO legal_hold (case_id, "
	    "reason, set_by, set_at) VALUES ($1, $2, $3, to_timestamp($4)) "
	    "RETURNING id", &p, d)) == QJ_OK)
		*id = qj_db_i64(res, 0, 0);
	PQclear(res);
	return (err);
}

enum qj_err
archive_hold_lift(struct qj_db *db, int64_t case_id, int64_t hold_id,
    const char *reason, int64_t by, qj_time now, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res = NULL;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	qj_p_i64(&p, hold_id);
	qj_p_str(&p, reason);
	qj_p_i64(&p, by);
	qj_p_i64(&p, now);
	if ((err = qj_db_exec(db, &res, "UPDATE legal_hold SET lift_reason = "
	    "$3, lifted_by = $4, lifted_at = to_timestamp($5) WHERE case_id = "
	    "$1 AND id = $2 AND lifted_at IS NULL RETURNING id", &p, d)) !=
	    QJ_OK)
		return (err);
	if (PQntuples(res) != 1)
		err = qj_fail(d, QJ_ENOTFOUND, "not-found", "hold", "no active "
		    "hold %lld on case %lld", (long long)hold_id,
		    (long long)case_id);
	PQclear(res);
	return (err);
}

enum qj_err
archive_dispose(struct qj_db *db, const struct disposition_new *n,
    struct qj_diag *d)
{
	struct qj_params	p;
	char			sigsha[65];
	enum qj_err		err;

	qj_sha256_hex(n->sig, n->sig_len, sigsha);
	qj_p_init(&p);
	qj_p_i64(&p, n->case_id);
	qj_p_str(&p, n->act_sha256);
	qj_p_str(&p, n->sig);
	qj_p_str(&p, sigsha);
	qj_p_i64(&p, n->signer_id);
	qj_p_str(&p, n->cert_sha256);
	qj_p_i64(&p, n->signing_time);
	qj_p_str(&p, n->package_sha256);
	qj_p_i64(&p, n->now);
	/* The signature is UTF-8 XML text: convert_to() keeps its bytes. */
	if ((err = qj_db_exec(db, NULL, "INSERT INTO disposition_act (case_id, "
	    "act_sha256, signature, signature_sha256, signer_id, cert_sha256, "
	    "signing_time, package_sha256, recorded_at) VALUES ($1, $2, "
	    "convert_to($3, 'UTF8'), $4, $5, $6, to_timestamp($7), $8, "
	    "to_timestamp($9))", &p, d)) != QJ_OK)
		return (err);
	qj_p_init(&p);
	qj_p_i64(&p, n->case_id);
	qj_p_i64(&p, n->now);
	return (qj_db_exec(db, NULL, "UPDATE archive SET disposed_at = "
	    "to_timestamp($2) WHERE case_id = $1", &p, d));
}
