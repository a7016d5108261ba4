/*
 * blobs.c: content-addressed blob files (see blobs.h).
 *
 * This file owns everything under the blob root: only it creates, names
 * and reads those files.  The invariant is that a file named N holds bytes
 * whose SHA-256 is N; put keeps it by writing through a temporary file in
 * the final directory (same file system, so rename is atomic) and never
 * replacing an existing name, and get checks it on every read.
 *
 * Syscalls: open/openat, newfstatat, mkdir, chmod, fchmod, write, read,
 * fsync, rename, unlink, getrandom (mkostemp) — all allowed by the Kore
 * worker's seccomp filter (app/http/server.c and Kore's default list).
 * Two concurrent puts of the same bytes may both rename a complete file
 * over the name; the bytes are identical, so a reader sees one or the
 * other, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/blobs.h"

#define DIR_MODE	0750
#define FILE_MODE	0640
#define IO_CHUNK	(64 * 1024)

/* The three directories and the file of a blob. */
struct blob_path {
	char	top[PATH_MAX];		/* root/ab */
	char	dir[PATH_MAX];		/* root/ab/cd */
	char	file[PATH_MAX];		/* root/ab/cd/<hex> */
	char	tmp[PATH_MAX];		/* root/ab/cd/.tmp-XXXXXX */
};

static enum qj_err
io_fail(struct qj_diag *d, const char *what, const char *path, int e)
{
	return (qj_fail(d, QJ_EIO, "blob-io", "", "%s %s: %s", what, path,
	    strerror(e)));
}

static int
valid_hex(const char *s)
{
	size_t	i;

	for (i = 0; i < QJ_SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

static enum qj_err
make_paths(const char *root, const char *hex, struct blob_path *p,
    struct qj_diag *d)
{
	if ((size_t)snprintf(p->top, sizeof(p->top), "%s/%.2s", root, hex) >=
	    sizeof(p->top) ||
	    (size_t)snprintf(p->dir, sizeof(p->dir), "%s/%.2s", p->top,
	    hex + 2) >= sizeof(p->dir) ||
	    (size_t)snprintf(p->file, sizeof(p->file), "%s/%s", p->dir, hex) >=
	    sizeof(p->file) ||
	    (size_t)snprintf(p->tmp, sizeof(p->tmp), "%s/.tmp-XXXXXX",
	    p->dir) >= sizeof(p->tmp))
		return (qj_fail(d, QJ_EIO, "blob-io", "",
		    "blob path under %s is too long", root));
	return (QJ_OK);
}

/* fsync(2) of a directory, so the entries made in it are durable. */
static enum qj_err
sync_dir(const char *path, struct qj_diag *d)
{
	int	fd, e;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (io_fail(d, "open", path, errno));
	if (fsync(fd) == -1) {
		e = errno;
		close(fd);
		return (io_fail(d, "fsync", path, e));
	}
	close(fd);
	return (QJ_OK);
}

/*
 * mkdir path (0750 whatever the umask) unless it exists; a new directory
 * is made durable in its parent.
 */
static enum qj_err
ensure_dir(const char *parent, const char *path, struct qj_diag *d)
{
	struct stat	st;

	if (mkdir(path, DIR_MODE) == -1) {
		if (errno != EEXIST)
			return (io_fail(d, "mkdir", path, errno));
		if (stat(path, &st) == -1)
			return (io_fail(d, "stat", path, errno));
		if (!S_ISDIR(st.st_mode))
			return (io_fail(d, "mkdir", path, ENOTDIR));
		return (QJ_OK);
	}
	if (chmod(path, DIR_MODE) == -1)
		return (io_fail(d, "chmod", path, errno));
	return (sync_dir(parent, d));
}

static enum qj_err
write_all(int fd, const char *path, const void *data, size_t len,
    struct qj_diag *d)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len > IO_CHUNK ? IO_CHUNK : len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (io_fail(d, "write", path, n == 0 ? EIO : errno));
		p += n;
		len -= (size_t)n;
	}
	return (QJ_OK);
}

/*
 * Reads the regular file at path (not following a symbolic link) into a
 * new buffer of at most max bytes.  QJ_ENOTFOUND if it does not exist.
 */
static enum qj_err
read_file(const char *path, size_t max, struct qj_buf *b, struct qj_diag *d)
{
	struct stat	st;
	ssize_t		n;
	int		fd;
	enum qj_err	err = QJ_OK;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (qj_fail(d, QJ_ENOTFOUND, "blob-not-found", "",
			    "no blob %s", strrchr(path, '/') + 1));
		return (io_fail(d, "open", path, errno));
	}
	if (fstat(fd, &st) == -1) {
		err = io_fail(d, "stat", path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = io_fail(d, "read", path, EINVAL);
		goto out;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)max) {
		err = qj_fail(d, QJ_ELIMIT, "blob-too-large", "",
		    "blob %s has %lld bytes; the limit is %zu",
		    strrchr(path, '/') + 1, (long long)st.st_size, max);
		goto out;
	}
	if (qj_buf_reserve(b, (size_t)st.st_size) != QJ_OK) {
		err = QJ_ENOMEM;
		goto out;
	}
	/* Read to the end, but never past max: the size may have changed. */
	for (;;) {
		if (b->len > max) {
			err = qj_fail(d, QJ_ELIMIT, "blob-too-large", "",
			    "blob %s grew past the limit of %zu bytes",
			    strrchr(path, '/') + 1, max);
			goto out;
		}
		if (qj_buf_reserve(b, IO_CHUNK) != QJ_OK) {
			err = QJ_ENOMEM;
			goto out;
		}
		n = read(fd, b->data + b->len, IO_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = io_fail(d, "read", path, errno);
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
out:
	close(fd);
	return (err);
}

/*
 * The blob already stored: QJ_OK if its bytes are data, QJ_ENOTFOUND if
 * there is none, QJ_EIO "blob-corrupt" if they differ.
 */
static enum qj_err
check_existing(const struct blob_path *p, const void *data, size_t len,
    struct qj_diag *d)
{
	struct qj_buf	b = QJ_BUF_INIT;
	struct qj_diag	rd;
	enum qj_err	err;

	err = read_file(p->file, len, &b, &rd);
	if (err == QJ_ENOTFOUND)
		goto out;
	/* Longer than len (ELIMIT), or as long with other bytes. */
	if (err == QJ_ELIMIT || (err == QJ_OK && (b.len != len ||
	    (len > 0 && memcmp(b.data, data, len) != 0))))
		err = qj_fail(d, QJ_EIO, "blob-corrupt", "",
		    "%s exists with bytes that do not hash to its name; it is "
		    "left in place", p->file);
	else if (err != QJ_OK && d != NULL)
		*d = rd;
out:
	qj_buf_free(&b);
	return (err);
}

enum qj_err
qj_blob_put(const char *root, const void *data, size_t len,
    char sha256_hex[QJ_SHA256_HEX_LEN + 1], struct qj_diag *d)
{
	struct blob_path	 p;
	char			 hex[QJ_SHA256_HEX_LEN + 1];
	int			 fd = -1;
	enum qj_err		 err;

	if (data == NULL)
		data = "";		/* only with len 0 */
	qj_sha256_hex(data, len, hex);
	if ((err = make_paths(root, hex, &p, d)) != QJ_OK)
		return (err);
	/*
	 * Already stored: write nothing.  The directory is synced anyway, in
	 * case the put that renamed the file failed before its own sync.
	 */
	if ((err = check_existing(&p, data, len, d)) == QJ_OK) {
		if ((err = sync_dir(p.dir, d)) != QJ_OK)
			return (err);
		goto done;
	}
	if (err != QJ_ENOTFOUND)
		return (err);
	if ((err = ensure_dir(root, p.top, d)) != QJ_OK ||
	    (err = ensure_dir(p.top, p.dir, d)) != QJ_OK)
		return (err);
	if ((fd = mkostemp(p.tmp, O_CLOEXEC)) == -1)
		return (io_fail(d, "create", p.tmp, errno));
	if (fchmod(fd, FILE_MODE) == -1) {
		err = io_fail(d, "chmod", p.tmp, errno);
		goto fail;
	}
	if ((err = write_all(fd, p.tmp, data, len, d)) != QJ_OK)
		goto fail;
	if (fsync(fd) == -1) {
		err = io_fail(d, "fsync", p.tmp, errno);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		err = io_fail(d, "close", p.tmp, errno);
		goto fail;
	}
	fd = -1;
	if (rename(p.tmp, p.file) == -1) {
		err = io_fail(d, "rename", p.file, errno);
		goto fail;
	}
	if ((err = sync_dir(p.dir, d)) != QJ_OK)
		return (err);
done:
	memcpy(sha256_hex, hex, sizeof(hex));
	return (QJ_OK);
fail:
	if (fd != -1)
		close(fd);
	(void)unlink(p.tmp);
	return (err);
}

enum qj_err
qj_blob_get(const char *root, const char *sha256, struct qj_buf *out,
    size_t max, struct qj_diag *d)
{
	struct blob_path	 p;
	struct qj_buf		 b = QJ_BUF_INIT;
	char			 hex[QJ_SHA256_HEX_LEN + 1];
	enum qj_err		 err;

	if (sha256 == NULL || !valid_hex(sha256))
		return (qj_fail(d, QJ_EINVAL, "invalid-sha256", "sha256",
		    "a blob name is 64 lower-case hexadecimal digits"));
	if (max == 0)
		max = QJ_BLOB_MAX_DEFAULT;
	if ((err = make_paths(root, sha256, &p, d)) != QJ_OK ||
	    (err = read_file(p.file, max, &b, d)) != QJ_OK)
		goto out;
	qj_sha256_hex(b.data != NULL ? b.data : "", b.len, hex);
	if (strcmp(hex, sha256) != 0) {
		err = qj_fail(d, QJ_EIO, "blob-corrupt", "",
		    "blob %s holds bytes whose SHA-256 is %s", sha256, hex);
		goto out;
	}
	err = qj_buf_append(out, b.data != NULL ? b.data : "", b.len);
out:
	qj_buf_free(&b);
	return (err);
}
