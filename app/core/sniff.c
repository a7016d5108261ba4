/*
 * sniff.c: attachment type detection by magic bytes (see sniff.h).
 *
 * The signatures are the format's own: a PDF file begins with "%PDF-"
 * (ISO 32000-1 §7.5.2), a JPEG stream with the SOI marker FF D8 followed
 * by the next marker's FF (ITU T.81 B.1.1.3), a PNG file with its 8-byte
 * signature (ISO 15948 §5.2).  Only offset 0 counts: a PDF reader that
 * tolerates leading junk is exactly the kind of polyglot this refuses.
 * The caller bounds the size before sniffing; nothing here allocates.
 */
#include <stdio.h>
#include <string.h>

#include "core/sniff.h"

static const struct {
	const unsigned char	*magic;
	size_t			 len;
	const char		*type;
} signatures[] = {
	{ (const unsigned char *)"%PDF-", 5, QJ_MEDIA_PDF },
	{ (const unsigned char *)"\xff\xd8\xff", 3, QJ_MEDIA_JPEG },
	{ (const unsigned char *)"\x89PNG\r\n\x1a\n", 8, QJ_MEDIA_PNG },
};

enum qj_err
qj_sniff(const void *data, size_t len, const char **media_type,
    struct qj_diag *d)
{
	const unsigned char	*p = data;
	char			 head[3 * 8 + 1];
	size_t			 i, n, off;

	for (i = 0; i < QJ_NELEM(signatures) && data != NULL; i++) {
		if (len >= signatures[i].len &&
		    memcmp(p, signatures[i].magic, signatures[i].len) == 0) {
			*media_type = signatures[i].type;
			return (QJ_OK);
		}
	}
	if (data == NULL || len == 0)
		return (qj_fail(d, QJ_EUNPROC, "unsupported-media-type", "",
		    "the file is empty; PDF, JPEG or PNG is required"));
	head[0] = '\0';
	for (n = 0, off = 0; n < len && n < 8; n++)
		off += (size_t)snprintf(head + off, sizeof(head) - off,
		    "%s%02x", n > 0 ? " " : "", p[n]);
	return (qj_fail(d, QJ_EUNPROC, "unsupported-media-type", "",
	    "the file is not a PDF, JPEG or PNG by its first bytes (%s%s); "
	    "the declared type is not considered", head,
	    len > 8 ? " ..." : ""));
}
