/*
 * archive.h: sealed case archives, part 1 — ZIP containers and the sealed
 * ASiC-E package, with no database and no Kore (SPEC section 4; the
 * layout is in docs/archive.md).
 *
 * Three layers, each usable on its own:
 *
 *  1. qj_zip_*: a ZIP file held in memory, written and read only through
 *     libzip.  The reader is for hostile input: it enforces the limits
 *     below before reading an entry, accepts only canonical entry names
 *     (qj_zip_name_ok) and no duplicates, only stored or deflated entries,
 *     and no encryption.
 *  2. qj_arc_pkg: a list of named files that qj_arc_pkg_seal() turns into an
 *     ASiC-E container: `mimetype` first and stored, the data files,
 *     META-INF/manifest.xml (ODF manifest), SHA256SUMS (sha256sum -c format,
 *     every entry but itself and the seal) and META-INF/signatures-seal.xml
 *     (an XAdES signature by the seal key over every entry except mimetype
 *     and itself, xades.h "multi-reference signatures").
 *  3. struct qj_arc_sealer: the seal key and certificate, plus the trust
 *     material (anchors, intermediates, CRLs) copied into every package,
 *     read from files once at start-up.
 *
 * Entries are written with a fixed modification time (the seal time) and
 * Unix mode 0644, in name order after `mimetype`, and the seal's Ids are
 * derived from what it signs, so with an RSA seal key (PKCS#1 v1.5 is
 * deterministic; ECDSA is not) a package is a pure function of its files,
 * the key and the time.  XML and text are deflated;
 * attachments (PDF, JPEG, PNG scans: already compressed) are stored.
 */
#ifndef QJ_ARCHIVE_H
#define QJ_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/qj.h"

#define QJ_ARC_MIMETYPE		"application/vnd.etsi.asic-e+zip"
#define QJ_ARC_SEAL_NAME	"META-INF/signatures-seal.xml"
#define QJ_ARC_SUMS_NAME	"SHA256SUMS"
#define QJ_ARC_MANIFEST_NAME	"META-INF/manifest.xml"
#define QJ_ARC_ODF_NS		"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

/* Reader limits (style guide item 9). */
#define QJ_ZIP_MAX_ENTRIES	20000
#define QJ_ZIP_MAX_TOTAL	(1024ULL * 1024 * 1024)	/* uncompressed bytes */
#define QJ_ZIP_MAX_ENTRY	(256ULL * 1024 * 1024)
#define QJ_ZIP_MAX_NAME		200			/* bytes */

/* --- 1. ZIP in memory ------------------------------------------------------ */

/*
 * A canonical entry name: 1..QJ_ZIP_MAX_NAME bytes of [A-Za-z0-9._-] and
 * '/', no leading or trailing '/', no empty, "." or ".." segment, no
 * segment starting with '.'.  Returns 1 or 0.
 */
int		 qj_zip_name_ok(const char *);

struct qj_zip_in {
	const char	*name;		/* canonical */
	const void	*data;		/* borrowed */
	size_t		 len;
	int		 deflate;	/* 0: stored */
};

/*
 * Writes the entries, in the order given, as a ZIP file appended to `out`.
 * QJ_EINVAL "zip-name" for a name that is not canonical or repeats,
 * QJ_EINTERNAL "zip-write" when libzip fails, QJ_ENOMEM.
 */
enum qj_err	 qj_zip_write(const struct qj_zip_in *, size_t n, time_t mtime,
		    struct qj_buf *out, struct qj_diag *);

struct qj_zip_entry {
	char		*name;		/* owned, canonical */
	unsigned char	*data;		/* owned, NUL-terminated (not counted) */
	size_t		 len;
	int		 stored;	/* compression method was "store" */
	int		 extra;		/* it carries extra fields */
	uint32_t	 crc;
};

struct qj_zip {
	struct qj_zip_entry	*e;	/* in the archive's order */
	size_t			 n;
};

/*
 * Reads a whole ZIP file from memory.  Failures, with `z` empty:
 * QJ_EINVAL "zip-malformed" (not a ZIP, a bad CRC, an encrypted entry, a
 * method other than store or deflate), "zip-name" (a name that is not
 * canonical, or a duplicate), QJ_ELIMIT "zip-limit" (too many entries, an
 * entry or the total over the limits), QJ_ENOMEM.  The detail names the
 * entry.
 */
enum qj_err	 qj_zip_read(const void *, size_t, struct qj_zip *z,
		    struct qj_diag *);
void		 qj_zip_free(struct qj_zip *);
/* The entry named `name`, or NULL. */
const struct qj_zip_entry *qj_zip_find(const struct qj_zip *,
		    const char *name);

/* --- 2. the sealed package -------------------------------------------------- */

struct qj_arc_file {
	char		*name;		/* owned, canonical */
	const void	*data;		/* borrowed, or `own` */
	size_t		 len;
	char		*mime;		/* owned */
	int		 deflate;
	unsigned char	 sha256[QJ_SHA256_LEN];
	void		*own;		/* owned copy of data, or NULL */
};

struct qj_arc_pkg {
	struct qj_arc_file	*f;
	size_t			 n, cap;
};

void		 qj_arc_pkg_init(struct qj_arc_pkg *);
void		 qj_arc_pkg_free(struct qj_arc_pkg *);

/*
 * Adds a file.  `data` is borrowed until qj_arc_pkg_free() unless `copy`.
 * QJ_EINVAL "zip-name" for a non-canonical or repeated name, or one the
 * package writes itself (mimetype, SHA256SUMS, META-INF/manifest.xml, the
 * seal); QJ_ENOMEM.
 */
enum qj_err	 qj_arc_pkg_add(struct qj_arc_pkg *, const char *name,
		    const void *data, size_t len, const char *mime,
		    int deflate, int copy, struct qj_diag *);
/* As qj_arc_pkg_add() with a copy of the buffer's bytes. */
enum qj_err	 qj_arc_pkg_add_buf(struct qj_arc_pkg *, const char *name,
		    const struct qj_buf *, const char *mime, struct qj_diag *);

/*
 * Adds mimetype, the manifest, SHA256SUMS and the seal (made with `key`
 * and `cert` at `when`) and writes the container to `zip`; on success
 * sha256_hex receives the SHA-256 of the container's bytes.  The package
 * itself is left as it was.  Errors from xades.h's signing (sig-prepare,
 * sig-weak-key), zip-write, QJ_ENOMEM.
 */
enum qj_err	 qj_arc_pkg_seal(const struct qj_arc_pkg *, EVP_PKEY *key,
		    X509 *cert, time_t when, struct qj_buf *zip,
		    char sha256_hex[QJ_SHA256_HEX_LEN + 1], struct qj_diag *);

/* The media type the package records for a file name's extension. */
const char	*qj_arc_mime_of(const char *name);

/* --- 3. the sealer's key and trust material --------------------------------- */

struct qj_arc_tfile {
	char		 name[96];	/* file name, canonical */
	char		*data;		/* owned PEM text */
	size_t		 len;
};

struct qj_arc_sealer {
	EVP_PKEY		*key;
	X509			*cert;
	unsigned char		 cert_sha256[QJ_SHA256_LEN];
	char			 cert_subject[1024];
	struct qj_arc_tfile	*anchors, *chain, *crls;
	size_t			 nanchors, nchain, ncrls;
};

/*
 * Reads the seal key (PEM, unencrypted PKCS#8 or traditional) and its
 * certificate, checks that they belong together, and reads the trust
 * material: every *.pem of each path (a directory) or the file itself, in
 * name order.  Call before threads (and before Kore forks).  QJ_EIO
 * "seal-config" naming the file on failure; nothing is kept then.
 */
enum qj_err	 qj_arc_sealer_load(const char *key_path, const char *cert_path,
		    const char *anchors, const char *chain, const char *crls,
		    struct qj_arc_sealer *, struct qj_diag *);
void		 qj_arc_sealer_free(struct qj_arc_sealer *);

#endif
