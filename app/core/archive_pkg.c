/*
 * archive_pkg.c: the sealed ASiC-E package (archive.h, layers 2 and 3).
 *
 * Owns the package's fixed entries and their order: `mimetype` first and
 * stored, then every other entry in byte order of its name;
 * META-INF/manifest.xml lists the data files (everything outside
 * META-INF/), SHA256SUMS lists every entry but itself and the seal, and the
 * seal signs every entry but `mimetype` and itself.  Each file's SHA-256 is
 * computed once, when it is added, and serves SHA256SUMS and the seal's
 * References alike.  Also loads the sealer's key and trust material.
 * Called by archive_case.c (a case's package), the store's sealing loop
 * through it, bench/archive and tests.
 *
 * Invariant: qj_arc_pkg_seal() never changes the package; with an RSA key
 * its output is a pure function of the files, the key, the certificate and
 * the time.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/archive.h"
#include "core/trust.h"
#include "core/xades.h"

#define PKG_MAX_TRUST_FILES	64
#define PKG_MAX_PEM		(8u * 1024 * 1024)

static const struct {
	const char	*ext;
	const char	*mime;
} mimes[] = {
	{ ".xml", "text/xml" },
	{ ".pdf", "application/pdf" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".png", "image/png" },
	{ ".jsonl", "application/x-ndjson" },
	{ ".json", "application/json" },
	{ ".txt", "text/plain" },
	{ ".pem", "application/x-pem-file" },
};

const char *
qj_arc_mime_of(const char *name)
{
	size_t	i, n = strlen(name), e;

	if (strcmp(name, QJ_ARC_SUMS_NAME) == 0)
		return ("text/plain");
	for (i = 0; i < QJ_NELEM(mimes); i++) {
		e = strlen(mimes[i].ext);
		if (n > e && strcasecmp(name + n - e, mimes[i].ext) == 0)
			return (mimes[i].mime);
	}
	return ("application/octet-stream");
}

/* --- the file list -------------------------------------------------------- */

void
qj_arc_pkg_init(struct qj_arc_pkg *p)
{
	memset(p, 0, sizeof(*p));
}

void
qj_arc_pkg_free(struct qj_arc_pkg *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		free(p->f[i].name);
		free(p->f[i].mime);
		free(p->f[i].own);
	}
	free(p->f);
	memset(p, 0, sizeof(*p));
}

static int
reserved(const char *name)
{
	return (strcmp(name, "mimetype") == 0 ||
	    strcmp(name, QJ_ARC_SUMS_NAME) == 0 ||
	    strcmp(name, QJ_ARC_MANIFEST_NAME) == 0 ||
	    strcmp(name, QJ_ARC_SEAL_NAME) == 0);
}

enum qj_err
qj_arc_pkg_add(struct qj_arc_pkg *p, const char *name, const void *data,
    size_t len, const char *mime, int deflate, int copy, struct qj_diag *d)
{
	struct qj_arc_file	*f, *nf;
	size_t			 i;

	if (!qj_zip_name_ok(name) || reserved(name))
		return (qj_fail(d, QJ_EINVAL, "zip-name", "name", "\"%s\" "
		    "cannot be a package file name", name));
	if (mime != NULL && (mime[0] == '\0' || strlen(mime) > 100 ||
	    strspn(mime, "abcdefghijklmnopqrstuvwxyz0123456789.+/-") !=
	    strlen(mime)))
		return (qj_fail(d, QJ_EINVAL, "invalid-field", "mime",
		    "\"%s\" is not a media type", mime));
	for (i = 0; i < p->n; i++)
		if (strcmp(p->f[i].name, name) == 0)
			return (qj_fail(d, QJ_EINVAL, "zip-name", "name",
			    "\"%s\" is already in the package", name));
	if (p->n == p->cap) {
		if ((nf = reallocarray(p->f, p->cap ? p->cap * 2 : 32,
		    sizeof(*nf))) == NULL)
			return (QJ_ENOMEM);
		p->f = nf;
		p->cap = p->cap ? p->cap * 2 : 32;
	}
	f = &p->f[p->n];
	memset(f, 0, sizeof(*f));
	if ((f->name = strdup(name)) == NULL ||
	    (f->mime = strdup(mime != NULL ? mime : qj_arc_mime_of(name))) ==
	    NULL || (copy && (f->own = malloc(len + 1)) == NULL)) {
		free(f->name);
		free(f->mime);
		return (QJ_ENOMEM);
	}
	if (copy) {
		if (len > 0)
			memcpy(f->own, data, len);
		data = f->own;
	}
	f->data = data;
	f->len = len;
	f->deflate = deflate;
	qj_sha256(data != NULL ? data : "", len, f->sha256);
	p->n++;
	return (QJ_OK);
}

enum qj_err
qj_arc_pkg_add_buf(struct qj_arc_pkg *p, const char *name,
    const struct qj_buf *b, const char *mime, struct qj_diag *d)
{
	return (qj_arc_pkg_add(p, name, b->data != NULL ? b->data : "",
	    b->len, mime, 1, 1, d));
}

/* --- sealing ----------------------------------------------------------------- */

/* A file of the sealed container: the package's, or one made here. */
struct entry {
	const char		*name;
	const void		*data;
	size_t			 len;
	const char		*mime;
	int			 deflate;
	unsigned char		 sha256[QJ_SHA256_LEN];
};

static int
entry_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct entry *)a)->name,
	    ((const struct entry *)b)->name));
}

static void
entry_set(struct entry *e, const char *name, const struct qj_buf *b,
    const char *mime)
{
	e->name = name;
	e->data = b->data != NULL ? b->data : "";
	e->len = b->len;
	e->mime = mime;
	e->deflate = 1;
	qj_sha256(e->data, e->len, e->sha256);
}

/* ODF manifest of the data files (ASiC-E: everything outside META-INF). */
static enum qj_err
manifest_xml(const struct entry *e, size_t n, struct qj_buf *out)
{
	enum qj_err	err;
	size_t		i;

	err = qj_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<manifest:manifest xmlns:manifest=\"" QJ_ARC_ODF_NS "\" "
	    "manifest:version=\"1.2\">\n <manifest:file-entry "
	    "manifest:full-path=\"/\" manifest:media-type=\""
	    QJ_ARC_MIMETYPE "\"/>\n");
	/* SHA256SUMS is a data file too; it is made after this manifest. */
	if (err == QJ_OK)
		err = qj_buf_puts(out, " <manifest:file-entry "
		    "manifest:full-path=\"" QJ_ARC_SUMS_NAME "\" "
		    "manifest:media-type=\"text/plain\"/>\n");
	for (i = 0; i < n && err == QJ_OK; i++)
		if (strncmp(e[i].name, "META-INF/", 9) != 0)
			err = qj_buf_printf(out, " <manifest:file-entry "
			    "manifest:full-path=\"%s\" manifest:media-type="
			    "\"%s\"/>\n", e[i].name, e[i].mime);
	if (err == QJ_OK)
		err = qj_buf_puts(out, "</manifest:manifest>\n");
	return (err);
}

/* "<hex>  <name>\n" for each entry, in order (sha256sum -c reads it). */
static enum qj_err
sums_text(const struct entry *e, size_t n, struct qj_buf *out)
{
	char		hex[QJ_SHA256_HEX_LEN + 1];
	enum qj_err	err = QJ_OK;
	size_t		i;

	for (i = 0; i < n && err == QJ_OK; i++) {
		qj_hex(e[i].sha256, QJ_SHA256_LEN, hex);
		err = qj_buf_printf(out, "%s  %s\n", hex, e[i].name);
	}
	return (err);
}

enum qj_err
qj_arc_pkg_seal(const struct qj_arc_pkg *p, EVP_PKEY *key, X509 *cert,
    time_t when, struct qj_buf *zip, char sha256_hex[QJ_SHA256_HEX_LEN + 1],
    struct qj_diag *d)
{
	struct qj_buf		 man = QJ_BUF_INIT, sums = QJ_BUF_INIT,
				 seal = QJ_BUF_INIT, out = QJ_BUF_INIT,
				 mt = QJ_BUF_INIT;
	struct entry		*e = NULL;
	struct qj_xades_obj	*objs = NULL;
	struct qj_zip_in	*zi = NULL;
	size_t			 n = p->n, i, k;
	enum qj_err		 err = QJ_ENOMEM;

	/* mimetype, files, manifest, SHA256SUMS, seal. */
	if ((e = calloc(n + 4, sizeof(*e))) == NULL ||
	    (objs = calloc(n + 2, sizeof(*objs))) == NULL ||
	    (zi = calloc(n + 4, sizeof(*zi))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		e[i].name = p->f[i].name;
		e[i].data = p->f[i].data;
		e[i].len = p->f[i].len;
		e[i].mime = p->f[i].mime;
		e[i].deflate = p->f[i].deflate;
		memcpy(e[i].sha256, p->f[i].sha256, QJ_SHA256_LEN);
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	if ((err = manifest_xml(e, n, &man)) != QJ_OK ||
	    (err = qj_buf_puts(&mt, QJ_ARC_MIMETYPE)) != QJ_OK)
		goto out;
	entry_set(&e[n++], QJ_ARC_MANIFEST_NAME, &man, "text/xml");
	entry_set(&e[n++], "mimetype", &mt, "text/plain");
	qsort(e, n, sizeof(*e), entry_cmp);
	if ((err = sums_text(e, n, &sums)) != QJ_OK)
		goto out;
	entry_set(&e[n++], QJ_ARC_SUMS_NAME, &sums, "text/plain");
	qsort(e, n, sizeof(*e), entry_cmp);
	/* The seal covers every entry but mimetype (and itself). */
	for (i = 0, k = 0; i < n; i++) {
		if (strcmp(e[i].name, "mimetype") == 0)
			continue;
		objs[k].uri = e[i].name;
		objs[k].data = e[i].data;
		objs[k].len = e[i].len;
		objs[k].mime = e[i].mime;
		objs[k].sha256 = e[i].sha256;
		k++;
	}
	if ((err = qj_xades_sign_objects(key, cert, objs, k, QJ_COMMIT_ORIGIN,
	    "archive-seal", when, &seal, d)) != QJ_OK)
		goto out;
	entry_set(&e[n++], QJ_ARC_SEAL_NAME, &seal, "text/xml");
	qsort(e, n, sizeof(*e), entry_cmp);
	/* mimetype first and stored; then the rest in name order. */
	k = 0;
	zi[k].name = "mimetype";
	zi[k].data = mt.data;
	zi[k].len = mt.len;
	zi[k++].deflate = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(e[i].name, "mimetype") == 0)
			continue;
		zi[k].name = e[i].name;
		zi[k].data = e[i].data;
		zi[k].len = e[i].len;
		zi[k++].deflate = e[i].deflate;
	}
	if ((err = qj_zip_write(zi, k, when, &out, d)) != QJ_OK)
		goto out;
	qj_sha256_hex(out.data, out.len, sha256_hex);
	err = qj_buf_append(zip, out.data, out.len);
out:
	free(e);
	free(objs);
	free(zi);
	qj_buf_free(&man);
	qj_buf_free(&sums);
	qj_buf_free(&seal);
	qj_buf_free(&mt);
	qj_buf_free(&out);
	return (err);
}

/* --- the sealer ------------------------------------------------------------ */

static enum qj_err
seal_fail(struct qj_diag *d, const char *path, const char *what)
{
	ERR_clear_error();
	return (qj_fail(d, QJ_EIO, "seal-config", path, "%s: %s", path, what));
}

static enum qj_err
read_file(const char *path, char **out, size_t *len, struct qj_diag *d)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	char		 chunk[8192];
	size_t		 n;
	FILE		*f;
	enum qj_err	 err = QJ_OK;

	if ((f = fopen(path, "rb")) == NULL)
		return (seal_fail(d, path, "cannot be read"));
	while (err == QJ_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = b.len + n > PKG_MAX_PEM ? QJ_ELIMIT :
		    qj_buf_append(&b, chunk, n);
	if (ferror(f) || err != QJ_OK) {
		fclose(f);
		qj_buf_free(&b);
		return (seal_fail(d, path, "cannot be read (or too large)"));
	}
	fclose(f);
	if (b.data == NULL && qj_buf_append(&b, "", 0) != QJ_OK)
		return (QJ_ENOMEM);
	*out = qj_buf_release(&b, len);
	return (QJ_OK);
}

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Every *.pem of a directory (by name), or the file itself. */
static enum qj_err
read_pems(const char *path, struct qj_arc_tfile **out, size_t *nout,
    struct qj_diag *d)
{
	struct qj_arc_tfile	*t = NULL;
	char			*names[PKG_MAX_TRUST_FILES], full[1024], *base;
	size_t			 n = 0, i, j, len;
	struct stat		 st;
	struct dirent		*de;
	DIR			*dir;
	enum qj_err		 err = QJ_OK;

	if (stat(path, &st) != 0)
		return (seal_fail(d, path, "does not exist"));
	if (S_ISDIR(st.st_mode)) {
		if ((dir = opendir(path)) == NULL)
			return (seal_fail(d, path, "cannot be listed"));
		while ((de = readdir(dir)) != NULL && err == QJ_OK) {
			len = strlen(de->d_name);
			if (de->d_name[0] == '.' || len < 5 ||
			    strcasecmp(de->d_name + len - 4, ".pem") != 0)
				continue;
			if (n == PKG_MAX_TRUST_FILES)
				err = seal_fail(d, path, "too many files");
			else if ((names[n++] = strdup(de->d_name)) == NULL)
				err = QJ_ENOMEM;
		}
		closedir(dir);
	} else if ((base = strrchr(path, '/')) != NULL) {
		if ((names[n++] = strdup(base + 1)) == NULL)
			err = QJ_ENOMEM;
	} else if ((names[n++] = strdup(path)) == NULL)
		err = QJ_ENOMEM;
	if (err == QJ_OK && n == 0)
		err = seal_fail(d, path, "holds no *.pem file");
	if (err == QJ_OK && (t = calloc(n, sizeof(*t))) == NULL)
		err = QJ_ENOMEM;
	if (err == QJ_OK)
		qsort(names, n, sizeof(names[0]), str_cmp);
	for (i = 0; i < n && err == QJ_OK; i++) {
		if (S_ISDIR(st.st_mode))
			snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		else
			snprintf(full, sizeof(full), "%s", path);
		/* A package file name: unusual characters become '-'. */
		snprintf(t[i].name, sizeof(t[i].name), "%s", names[i]);
		for (j = 0; t[i].name[j] != '\0'; j++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
			    "TUVWXYZ0123456789._-", t[i].name[j]) == NULL ||
			    (j == 0 && t[i].name[j] == '.'))
				t[i].name[j] = '-';
		err = read_file(full, &t[i].data, &t[i].len, d);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	if (err != QJ_OK) {
		for (i = 0; t != NULL && i < n; i++)
			free(t[i].data);
		free(t);
		return (err);
	}
	*out = t;
	*nout = n;
	return (QJ_OK);
}

static void
tfiles_free(struct qj_arc_tfile *t, size_t n)
{
	size_t	i;

	for (i = 0; t != NULL && i < n; i++)
		free(t[i].data);
	free(t);
}

void
qj_arc_sealer_free(struct qj_arc_sealer *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	tfiles_free(s->anchors, s->nanchors);
	tfiles_free(s->chain, s->nchain);
	tfiles_free(s->crls, s->ncrls);
	memset(s, 0, sizeof(*s));
}

enum qj_err
qj_arc_sealer_load(const char *key_path, const char *cert_path,
    const char *anchors, const char *chain, const char *crls,
    struct qj_arc_sealer *s, struct qj_diag *d)
{
	struct qj_arc_sealer	 n;
	struct qj_signer	 who;
	BIO			*b;
	enum qj_err		 err;

	memset(&n, 0, sizeof(n));
	if ((b = BIO_new_file(key_path, "r")) == NULL)
		return (seal_fail(d, key_path, "cannot be read"));
	n.key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (n.key == NULL)
		return (seal_fail(d, key_path, "is not an unencrypted PEM "
		    "private key"));
	if ((b = BIO_new_file(cert_path, "r")) == NULL) {
		err = seal_fail(d, cert_path, "cannot be read");
		goto fail;
	}
	n.cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (n.cert == NULL || X509_check_private_key(n.cert, n.key) != 1) {
		err = seal_fail(d, cert_path, "is not the certificate of the "
		    "seal key");
		goto fail;
	}
	if (qj_signer_from_cert(n.cert, &who) != QJ_OK) {
		err = seal_fail(d, cert_path, "cannot be decoded");
		goto fail;
	}
	memcpy(n.cert_sha256, who.cert_sha256, QJ_SHA256_LEN);
	snprintf(n.cert_subject, sizeof(n.cert_subject), "%s", who.subject);
	if ((err = read_pems(anchors, &n.anchors, &n.nanchors, d)) != QJ_OK ||
	    (err = read_pems(chain, &n.chain, &n.nchain, d)) != QJ_OK ||
	    (err = read_pems(crls, &n.crls, &n.ncrls, d)) != QJ_OK)
		goto fail;
	*s = n;
	return (QJ_OK);
fail:
	qj_arc_sealer_free(&n);
	return (err);
}
