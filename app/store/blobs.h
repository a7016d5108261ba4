/*
 * blobs.h (store): the content-addressed, immutable file store for
 * document versions and attachments (SPEC.md §3: stored by SHA-256).
 *
 * A blob of bytes B lives at <root>/ab/cd/<sha256(B) in lower-case hex>,
 * where ab and cd are the first two byte pairs of the name.  Directories
 * are made 0750 and files 0640, whatever the umask.  Files are written
 * once and never replaced: the name is the content.  File system only, no
 * SQL (the database records which blob belongs to which case); this file
 * needs nothing but app/core.
 *
 * Durability: qj_blob_put() returns QJ_OK only after the file and the
 * directory entry are on disk (fsync of the file, rename, fsync of the
 * directory), so a 2xx sent after it survives a crash.  Readers never see
 * a partial file: the bytes are written under a temporary name in the same
 * directory first.
 *
 * Every function is safe to call from several threads and processes at
 * once; two writers of the same bytes both succeed.
 */
#ifndef QJ_STORE_BLOBS_H
#define QJ_STORE_BLOBS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/qj.h"

#define QJ_BLOB_MAX_DEFAULT	(10u * 1024 * 1024)	/* bytes read by get */

/*
 * Stores len bytes under root (which must exist) and writes their SHA-256
 * to sha256_hex.  If the blob is already stored with the same bytes,
 * nothing is written.  Failures: QJ_EIO "blob-io" (a file operation
 * failed; the detail names it and errno), QJ_EIO "blob-corrupt" (a file of
 * that name exists with other bytes: it is left as it is, for an operator
 * to look at).  No temporary file is left behind on failure.
 */
enum qj_err	qj_blob_put(const char *root, const void *data, size_t len,
		    char sha256_hex[QJ_SHA256_HEX_LEN + 1], struct qj_diag *);

/*
 * Appends the blob named sha256 (64 lower-case hex digits) to out after
 * checking that its bytes hash to that name.  max is the largest blob
 * accepted (0: QJ_BLOB_MAX_DEFAULT).  Failures, with out untouched:
 * QJ_EINVAL "invalid-sha256", QJ_ENOTFOUND "blob-not-found", QJ_ELIMIT
 * "blob-too-large", QJ_EIO "blob-corrupt" (the bytes do not match the
 * name), QJ_EIO "blob-io", QJ_ENOMEM.
 */
enum qj_err	qj_blob_get(const char *root, const char *sha256,
		    struct qj_buf *out, size_t max, struct qj_diag *);

#endif
