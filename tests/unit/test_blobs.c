/*
 * test_blobs.c: unit tests of the blob store.  app/store is not linked
 * into unit tests, so this file compiles app/store/blobs.c itself (it needs
 * only app/core).  Each test works in its own directory under /tmp.
 */
#include "../../app/store/blobs.c"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "core/codec.h"

static char	root[64];

static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/qj-blobs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

/* rm -r of a test root (two levels of directories, then files). */
static void
remove_tree(const char *path)
{
	DIR		*dp;
	struct dirent	*de;
	char		 sub[PATH_MAX];
	struct stat	 st;

	if ((dp = opendir(path)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			chmod(sub, 0700);
			remove_tree(sub);
		} else
			unlink(sub);
	}
	closedir(dp);
	rmdir(path);
}

static void
teardown(void)
{
	chmod(root, 0700);
	remove_tree(root);
}

/* Number of entries (other than . and ..) in a directory. */
static size_t
entries(const char *path)
{
	DIR		*dp;
	struct dirent	*de;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return (n);
}

static void
blob_file(const char *hex, char *path, size_t sz)
{
	snprintf(path, sz, "%s/%.2s/%.2s/%s", root, hex, hex + 2, hex);
}

START_TEST(t_put_get)
{
	static const char	 data[] = "%PDF-1.7 a small document";
	char			 hex[65], want[65], path[PATH_MAX], dir[PATH_MAX];
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	struct stat		 st;

	qj_sha256_hex(data, sizeof(data) - 1, want);
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex, &d),
	    QJ_OK);
	ck_assert_str_eq(hex, want);
	/* root/ab/cd/<hex>, 0640 in 0750 directories. */
	blob_file(hex, path, sizeof(path));
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_size, (off_t)(sizeof(data) - 1));
	snprintf(dir, sizeof(dir), "%s/%.2s", root, hex);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	snprintf(dir, sizeof(dir), "%s/%.2s/%.2s", root, hex, hex + 2);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	/* Only the blob: no temporary file is left. */
	ck_assert_uint_eq(entries(dir), 1);
	ck_assert_uint_eq(entries(root), 1);
	/* Read back, appended to what out holds. */
	qj_buf_puts(&out, ">");
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_OK);
	ck_assert_uint_eq(out.len, sizeof(data));
	ck_assert_str_eq(out.data + 1, data);
	qj_buf_free(&out);
}
END_TEST

START_TEST(t_put_twice_writes_nothing)
{
	static const char	 data[] = "\x89PNG\r\n\x1a\n same bytes";
	char			 hex[65], hex2[65], path[PATH_MAX];
	struct qj_diag		 d;
	struct stat		 a, b;

	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex, &d),
	    QJ_OK);
	blob_file(hex, path, sizeof(path));
	ck_assert_int_eq(stat(path, &a), 0);
	sleep(1);
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex2, &d),
	    QJ_OK);
	ck_assert_str_eq(hex, hex2);
	ck_assert_int_eq(stat(path, &b), 0);
	/* The same file: not replaced, not rewritten. */
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	ck_assert_int_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
}
END_TEST

START_TEST(t_umask_ignored)
{
	char		hex[65], path[PATH_MAX];
	struct qj_diag	d;
	struct stat	st;
	mode_t		old = umask(077);

	ck_assert_int_eq(qj_blob_put(root, "x", 1, hex, &d), QJ_OK);
	umask(old);
	blob_file(hex, path, sizeof(path));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	*strrchr(path, '/') = '\0';
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
}
END_TEST

START_TEST(t_large_and_empty)
{
	unsigned char	*big;
	char		 hex[65];
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	size_t		 n = 3 * 1024 * 1024 + 17, i;
	uint32_t	 x = 2463534242u;

	ck_assert_ptr_nonnull(big = malloc(n));
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (unsigned char)x;
	}
	ck_assert_int_eq(qj_blob_put(root, big, n, hex, &d), QJ_OK);
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_OK);
	ck_assert_uint_eq(out.len, n);
	ck_assert(memcmp(out.data, big, n) == 0);
	/* The limit is checked before reading. */
	qj_buf_reset(&out);
	ck_assert_int_eq(qj_blob_get(root, hex, &out, n - 1, &d), QJ_ELIMIT);
	ck_assert_str_eq(d.type, "blob-too-large");
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(qj_blob_get(root, hex, &out, n, &d), QJ_OK);
	/* The empty blob has a name too. */
	qj_buf_reset(&out);
	ck_assert_int_eq(qj_blob_put(root, NULL, 0, hex, &d), QJ_OK);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_OK);
	ck_assert_uint_eq(out.len, 0);
	free(big);
	qj_buf_free(&out);
}
END_TEST

START_TEST(t_corrupt)
{
	static const char	 data[] = "the stored document";
	char			 hex[65], path[PATH_MAX];
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	FILE			*f;
	char			 buf[64];

	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex, &d),
	    QJ_OK);
	blob_file(hex, path, sizeof(path));
	/* One byte changed on disk. */
	ck_assert_ptr_nonnull(f = fopen(path, "r+"));
	fputc('T', f);
	fclose(f);
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_EIO);
	ck_assert_str_eq(d.type, "blob-corrupt");
	ck_assert_uint_eq(out.len, 0);
	/* A put of the true bytes refuses, and leaves the file alone. */
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex, &d),
	    QJ_EIO);
	ck_assert_str_eq(d.type, "blob-corrupt");
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "The stored document");
	/* A longer file under the name is corrupt too. */
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "%s and more", data);
	fclose(f);
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex, &d),
	    QJ_EIO);
	ck_assert_str_eq(d.type, "blob-corrupt");
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_EIO);
	ck_assert_str_eq(d.type, "blob-corrupt");
	qj_buf_free(&out);
}
END_TEST

START_TEST(t_symlink_not_followed)
{
	static const char	 data[] = "linked";
	char			 hex[65], path[PATH_MAX], dir[PATH_MAX];
	char			 target[PATH_MAX];
	struct qj_buf		 out = QJ_BUF_INIT;
	struct qj_diag		 d;
	FILE			*f;

	/* A symbolic link where the blob belongs, to a file of those bytes. */
	qj_sha256_hex(data, sizeof(data) - 1, hex);
	snprintf(dir, sizeof(dir), "%s/%.2s", root, hex);
	ck_assert_int_eq(mkdir(dir, 0750), 0);
	snprintf(dir, sizeof(dir), "%s/%.2s/%.2s", root, hex, hex + 2);
	ck_assert_int_eq(mkdir(dir, 0750), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", root);
	ck_assert_ptr_nonnull(f = fopen(target, "w"));
	fputs(data, f);
	fclose(f);
	blob_file(hex, path, sizeof(path));
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_EIO);
	ck_assert_str_eq(d.type, "blob-io");
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data) - 1, hex, &d),
	    QJ_EIO);
	ck_assert_uint_eq(out.len, 0);
	qj_buf_free(&out);
}
END_TEST

START_TEST(t_refusals)
{
	char		 hex[65], upper[65];
	struct qj_buf	 out = QJ_BUF_INIT;
	struct qj_diag	 d;
	size_t		 i;

	ck_assert_int_eq(qj_blob_get(root, "00000000000000000000000000000000"
	    "00000000000000000000000000000000", &out, 0, &d), QJ_ENOTFOUND);
	ck_assert_str_eq(d.type, "blob-not-found");
	ck_assert_int_eq(qj_blob_put(root, "abc", 3, hex, &d), QJ_OK);
	for (i = 0; i < 64; i++)
		upper[i] = hex[i] >= 'a' ? (char)(hex[i] - 'a' + 'A') : hex[i];
	upper[64] = '\0';
	ck_assert_int_eq(qj_blob_get(root, upper, &out, 0, &d), QJ_EINVAL);
	ck_assert_str_eq(d.type, "invalid-sha256");
	ck_assert_int_eq(qj_blob_get(root, "../../etc/passwd", &out, 0, &d),
	    QJ_EINVAL);
	hex[63] = '\0';
	ck_assert_int_eq(qj_blob_get(root, hex, &out, 0, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_blob_get(root, NULL, &out, 0, &d), QJ_EINVAL);
	ck_assert_uint_eq(out.len, 0);
	/* No root directory. */
	ck_assert_int_eq(qj_blob_put("/nonexistent/blobs", "abc", 3, hex, &d),
	    QJ_EIO);
	ck_assert_str_eq(d.type, "blob-io");
	ck_assert_ptr_nonnull(strstr(d.detail, "/nonexistent/blobs"));
	qj_buf_free(&out);
}
END_TEST

START_TEST(t_unwritable)
{
	char		hex[65], want[65], path[PATH_MAX];
	struct qj_diag	d;
	FILE		*f;

	/* A file where the blob's first directory belongs. */
	qj_sha256_hex("abc", 3, want);
	snprintf(path, sizeof(path), "%s/%.2s", root, want);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(qj_blob_put(root, "abc", 3, hex, &d), QJ_EIO);
	ck_assert_str_eq(d.type, "blob-io");
	ck_assert_uint_eq(entries(root), 1);
	unlink(path);
	if (geteuid() == 0)
		return;		/* root writes into a read-only directory */
	ck_assert_int_eq(chmod(root, 0500), 0);
	ck_assert_int_eq(qj_blob_put(root, "abc", 3, hex, &d), QJ_EIO);
	ck_assert_str_eq(d.type, "blob-io");
	ck_assert_int_eq(chmod(root, 0700), 0);
	ck_assert_uint_eq(entries(root), 0);
}
END_TEST

/* A write that fails half-way leaves neither the blob nor a temporary. */
START_TEST(t_write_fails)
{
	static char	 data[8192];
	char		 hex[65], want[65], dir[PATH_MAX];
	struct qj_diag	 d;
	struct rlimit	 rl, old;

	memset(data, 'q', sizeof(data));
	qj_sha256_hex(data, sizeof(data), want);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl.rlim_cur = 4096;		/* soft limit only: it can go back up */
	rl.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data), hex, &d),
	    QJ_EIO);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_str_eq(d.type, "blob-io");
	ck_assert_ptr_nonnull(strstr(d.detail, "write"));
	snprintf(dir, sizeof(dir), "%s/%.2s/%.2s", root, want, want + 2);
	ck_assert_uint_eq(entries(dir), 0);
	/* Within the limit it works. */
	ck_assert_int_eq(qj_blob_put(root, data, sizeof(data), hex, &d),
	    QJ_OK);
	ck_assert_uint_eq(entries(dir), 1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("blobs");
	TCase	*tc = tcase_create("blobs");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_put_get);
	tcase_add_test(tc, t_put_twice_writes_nothing);
	tcase_add_test(tc, t_umask_ignored);
	tcase_add_test(tc, t_large_and_empty);
	tcase_add_test(tc, t_corrupt);
	tcase_add_test(tc, t_symlink_not_followed);
	tcase_add_test(tc, t_refusals);
	tcase_add_test(tc, t_unwritable);
	tcase_add_test(tc, t_write_fails);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
