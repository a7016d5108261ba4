/*
 * sniff.h: the media type of an attachment, decided by its first bytes
 * only.  Qujat accepts PDF, JPEG and PNG evidence (SPEC.md §3); the type a
 * client claims (Content-Type, file name) is never consulted, so a PNG
 * sent as application/pdf is stored and served as image/png, and an HTML
 * page named scan.pdf is refused.
 *
 *	%PDF-				application/pdf
 *	FF D8 FF			image/jpeg
 *	89 50 4E 47 0D 0A 1A 0A		image/png
 *
 * Pure function of its input; thread-safe.
 */
#ifndef QJ_SNIFF_H
#define QJ_SNIFF_H

#include <stddef.h>

#include "core/qj.h"

#define QJ_MEDIA_PDF	"application/pdf"
#define QJ_MEDIA_JPEG	"image/jpeg"
#define QJ_MEDIA_PNG	"image/png"

/*
 * On success sets *media_type to one of the static QJ_MEDIA_* strings and
 * returns QJ_OK.  Anything else (including empty input and a signature
 * cut short) is QJ_EUNPROC with type "unsupported-media-type", a detail
 * showing the first bytes, and *media_type untouched.
 */
enum qj_err	qj_sniff(const void *data, size_t len, const char **media_type,
		    struct qj_diag *);

#endif
