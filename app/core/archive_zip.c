/*
 * archive_zip.c: ZIP files in memory through libzip (archive.h, layer 1).
 *
 * Owns the one place where Qujat reads or writes ZIP bytes.  The writer
 * builds the file in a libzip buffer source (nothing touches the disk, so
 * the caller decides where and how durably the bytes go).  The reader
 * treats its input as hostile: entry names are canonicalised before
 * anything is read, every size is bounded before allocation
 * (QJ_ZIP_MAX_*), duplicates and encrypted or exotic entries are refused,
 * and libzip's CRC check runs on every entry.  Called by archive_pkg.c
 * (writing packages), archive_verify.c (reading them) and tests.
 *
 * Invariant: qj_zip_read() either returns every entry with exactly the
 * bytes libzip verified against its CRC, or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "core/archive.h"

#define ZIP_MODE	0100644u	/* regular file, rw-r--r-- */
#define ZIP_LEVEL	6

int
qj_zip_name_ok(const char *s)
{
	size_t	n, i, seg = 0;

	if (s == NULL || (n = strlen(s)) == 0 || n > QJ_ZIP_MAX_NAME ||
	    s[0] == '/' || s[n - 1] == '/')
		return (0);
	for (i = 0; i < n; i++) {
		if (s[i] == '/') {
			if (seg == 0)
				return (0);
			seg = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return (0);
		/* No ".", "..", or hidden segment: none starts with '.'. */
		if (seg == 0 && s[i] == '.')
			return (0);
		seg++;
	}
	return (1);
}

/* --- writing ------------------------------------------------------------- */

static enum qj_err
qjz_fail(struct qj_diag *d, const char *what, zip_error_t *ze)
{
	return (qj_fail(d, QJ_EINTERNAL, "zip-write", "zip", "libzip: %s: %s",
	    what, ze != NULL ? zip_error_strerror(ze) : "failed"));
}

static enum qj_err
qjz_add(zip_t *za, const struct qj_zip_in *in, time_t mtime,
    struct qj_diag *d)
{
	zip_source_t	*s;
	zip_int64_t	 idx;

	if ((s = zip_source_buffer(za, in->data != NULL ? in->data : "",
	    in->len, 0)) == NULL)
		return (qjz_fail(d, in->name, zip_get_error(za)));
	if ((idx = zip_file_add(za, in->name, s, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(s);
		return (qjz_fail(d, in->name, zip_get_error(za)));
	}
	if (zip_set_file_compression(za, (zip_uint64_t)idx, in->deflate ?
	    ZIP_CM_DEFLATE : ZIP_CM_STORE, in->deflate ? ZIP_LEVEL : 0) != 0 ||
	    zip_file_set_mtime(za, (zip_uint64_t)idx, mtime, 0) != 0 ||
	    zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0,
	    ZIP_OPSYS_UNIX, ZIP_MODE << 16) != 0)
		return (qjz_fail(d, in->name, zip_get_error(za)));
	return (QJ_OK);
}

static int
name_ptr_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* 0 when every name is canonical and unique; else the offending name. */
static const char *
names_check(const char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!qj_zip_name_ok(names[i]))
			return (names[i]);
	qsort(names, n, sizeof(*names), name_ptr_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			return (names[i]);
	return (NULL);
}

enum qj_err
qj_zip_write(const struct qj_zip_in *in, size_t n, time_t mtime,
    struct qj_buf *out, struct qj_diag *d)
{
	zip_error_t	 ze;
	zip_source_t	*src = NULL;
	zip_t		*za = NULL;
	zip_stat_t	 st;
	const char	**names = NULL, *bad;
	size_t		 i, old = out->len;
	zip_int64_t	 got;
	enum qj_err	 err = QJ_OK;

	zip_error_init(&ze);
	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		return (QJ_ENOMEM);
	for (i = 0; i < n; i++)
		names[i] = in[i].name;
	if ((bad = names_check(names, n)) != NULL) {
		err = qj_fail(d, QJ_EINVAL, "zip-name", "name", "entry name "
		    "\"%s\" is not canonical or is repeated", bad);
		goto out;
	}
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL ||
	    (za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL) {
		err = qjz_fail(d, "open", &ze);
		goto out;
	}
	zip_source_keep(src);
	for (i = 0; i < n && err == QJ_OK; i++)
		err = qjz_add(za, &in[i], mtime, d);
	if (err != QJ_OK)
		goto out;
	if (zip_close(za) != 0) {
		err = qjz_fail(d, "close", zip_get_error(za));
		goto out;
	}
	za = NULL;
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) {
		err = qjz_fail(d, "reopen", zip_source_error(src));
		goto out;
	}
	if ((err = qj_buf_reserve(out, (size_t)st.size)) == QJ_OK) {
		got = zip_source_read(src, out->data + out->len, st.size);
		if (got != (zip_int64_t)st.size)
			err = qjz_fail(d, "read back", zip_source_error(src));
		else {
			out->len += (size_t)got;
			out->data[out->len] = '\0';
		}
	}
	zip_source_close(src);
out:
	if (za != NULL)
		zip_discard(za);
	if (src != NULL)
		zip_source_free(src);
	if (err != QJ_OK && out->data != NULL) {
		out->len = old;
		out->data[old] = '\0';
	}
	free(names);
	zip_error_fini(&ze);
	return (err);
}

/* --- reading --------------------------------------------------------------- */

void
qj_zip_free(struct qj_zip *z)
{
	size_t	i;

	for (i = 0; i < z->n; i++) {
		free(z->e[i].name);
		free(z->e[i].data);
	}
	free(z->e);
	memset(z, 0, sizeof(*z));
}

const struct qj_zip_entry *
qj_zip_find(const struct qj_zip *z, const char *name)
{
	size_t	i;

	for (i = 0; i < z->n; i++)
		if (strcmp(z->e[i].name, name) == 0)
			return (&z->e[i]);
	return (NULL);
}

/* Reads entry i (already stat'ed and bounded) into e. */
static enum qj_err
read_entry(zip_t *za, zip_uint64_t i, const zip_stat_t *st,
    struct qj_zip_entry *e, struct qj_diag *d)
{
	zip_file_t	*zf;
	zip_int64_t	 got;
	char		 probe;

	if ((e->data = malloc((size_t)st->size + 1)) == NULL)
		return (QJ_ENOMEM);
	if ((zf = zip_fopen_index(za, i, 0)) == NULL)
		return (qj_fail(d, QJ_EINVAL, "zip-malformed", e->name,
		    "%s cannot be opened: %s", e->name,
		    zip_error_strerror(zip_get_error(za))));
	got = zip_fread(zf, e->data, st->size);
	/* Nothing beyond the declared size; libzip checks the CRC at EOF. */
	if (got == (zip_int64_t)st->size && zip_fread(zf, &probe, 1) != 0)
		got = -1;
	zip_fclose(zf);
	if (got != (zip_int64_t)st->size)
		return (qj_fail(d, QJ_EINVAL, "zip-malformed", e->name,
		    "%s is damaged (size or CRC does not match)", e->name));
	e->data[st->size] = '\0';
	e->len = (size_t)st->size;
	return (QJ_OK);
}

static enum qj_err
read_all(zip_t *za, struct qj_zip *z, struct qj_diag *d)
{
	zip_stat_t		 st;
	zip_int64_t		 n;
	zip_uint64_t		 i;
	uint64_t		 total = 0;
	const char		*name, **names = NULL, *bad;
	struct qj_zip_entry	*e;
	enum qj_err		 err = QJ_OK;

	if ((n = zip_get_num_entries(za, 0)) < 0 || n > QJ_ZIP_MAX_ENTRIES)
		return (qj_fail(d, QJ_ELIMIT, "zip-limit", "entries",
		    "more than %d entries", QJ_ZIP_MAX_ENTRIES));
	if ((z->e = calloc((size_t)n + 1, sizeof(*z->e))) == NULL ||
	    (names = calloc((size_t)n + 1, sizeof(*names))) == NULL) {
		free(names);
		return (QJ_ENOMEM);
	}
	/* Names and sizes first: nothing is inflated before all pass. */
	for (i = 0; i < (zip_uint64_t)n; i++) {
		if ((name = zip_get_name(za, i, ZIP_FL_ENC_RAW)) == NULL ||
		    zip_stat_index(za, i, ZIP_FL_ENC_RAW, &st) != 0) {
			err = qj_fail(d, QJ_EINVAL, "zip-malformed", "entry",
			    "entry %llu is unreadable", (unsigned long long)i);
			goto out;
		}
		e = &z->e[z->n];
		if ((e->name = strdup(name)) == NULL) {
			err = QJ_ENOMEM;
			goto out;
		}
		z->n++;
		names[i] = e->name;
		if (!qj_zip_name_ok(name)) {
			err = qj_fail(d, QJ_EINVAL, "zip-name", "entry", "entry "
			    "name \"%.200s\" is not canonical (absolute, '..', "
			    "a directory or an unusual character)", name);
			goto out;
		}
		if (st.encryption_method != ZIP_EM_NONE ||
		    (st.comp_method != ZIP_CM_STORE &&
		    st.comp_method != ZIP_CM_DEFLATE)) {
			err = qj_fail(d, QJ_EINVAL, "zip-malformed", name,
			    "%s is encrypted or uses an unsupported method",
			    name);
			goto out;
		}
		if (st.size > QJ_ZIP_MAX_ENTRY ||
		    (total += st.size) > QJ_ZIP_MAX_TOTAL) {
			err = qj_fail(d, QJ_ELIMIT, "zip-limit", name, "%s: "
			    "entries are limited to %llu bytes, the whole "
			    "package to %llu", name,
			    (unsigned long long)QJ_ZIP_MAX_ENTRY,
			    (unsigned long long)QJ_ZIP_MAX_TOTAL);
			goto out;
		}
		e->stored = st.comp_method == ZIP_CM_STORE;
		e->crc = st.crc;
		e->extra = zip_file_extra_fields_count(za, i, ZIP_FL_LOCAL) !=
		    0 || zip_file_extra_fields_count(za, i, ZIP_FL_CENTRAL) != 0;
	}
	if ((bad = names_check(names, (size_t)n)) != NULL) {
		err = qj_fail(d, QJ_EINVAL, "zip-name", bad, "entry \"%s\" "
		    "occurs more than once", bad);
		goto out;
	}
	for (i = 0; i < (zip_uint64_t)n && err == QJ_OK; i++) {
		if (zip_stat_index(za, i, ZIP_FL_ENC_RAW, &st) != 0)
			err = qj_fail(d, QJ_EINVAL, "zip-malformed", "entry",
			    "entry %llu is unreadable", (unsigned long long)i);
		else
			err = read_entry(za, i, &st, &z->e[i], d);
	}
out:
	free(names);
	return (err);
}

enum qj_err
qj_zip_read(const void *data, size_t len, struct qj_zip *z, struct qj_diag *d)
{
	zip_error_t	 ze;
	zip_source_t	*src;
	zip_t		*za = NULL;
	enum qj_err	 err;

	memset(z, 0, sizeof(*z));
	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(data, len, 0, &ze)) == NULL) {
		zip_error_fini(&ze);
		return (QJ_ENOMEM);
	}
	if ((za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS,
	    &ze)) == NULL) {
		err = qj_fail(d, QJ_EINVAL, "zip-malformed", "zip", "not a "
		    "readable ZIP file: %s", zip_error_strerror(&ze));
		zip_source_free(src);
		goto out;
	}
	err = read_all(za, z, d);
	zip_discard(za);
out:
	if (err != QJ_OK)
		qj_zip_free(z);
	zip_error_fini(&ze);
	return (err);
}
