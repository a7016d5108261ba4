/*
 * codec.c: SHA-256, hex, base64 and randomness on OpenSSL (see codec.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/codec.h"

void
qj_sha256(const void *data, size_t len, unsigned char out[QJ_SHA256_LEN])
{
	unsigned int	n = QJ_SHA256_LEN;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void
qj_hex(const unsigned char *in, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
qj_sha256_hex(const void *data, size_t len, char out[QJ_SHA256_HEX_LEN + 1])
{
	unsigned char	md[QJ_SHA256_LEN];

	qj_sha256(data, len, md);
	qj_hex(md, sizeof(md), out);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

enum qj_err
qj_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	if (strlen(s) != 2 * n)
		return (QJ_EINVAL);
	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return (QJ_EINVAL);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (QJ_OK);
}

enum qj_err
qj_base64_encode(const void *data, size_t len, struct qj_buf *out)
{
	size_t	need;
	int	n;

	if (len > ((size_t)1 << 30))
		return (QJ_ELIMIT);
	need = 4 * ((len + 2) / 3);
	if (qj_buf_reserve(out, need) != QJ_OK)
		return (QJ_ENOMEM);
	n = EVP_EncodeBlock((unsigned char *)out->data + out->len, data, (int)len);
	out->len += (size_t)n;
	out->data[out->len] = '\0';
	return (QJ_OK);
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

enum qj_err
qj_base64_decode(const char *s, size_t len, struct qj_buf *out)
{
	unsigned char	quad[4], tri[3];
	size_t		i, nq = 0, pad = 0, start = out->len;
	int		v;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			quad[nq++] = 0;
		} else {
			if (pad > 0 || (v = b64val(c)) < 0)
				goto bad;
			quad[nq++] = (unsigned char)v;
		}
		if (nq == 4) {
			tri[0] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
			tri[1] = (unsigned char)(quad[1] << 4 | quad[2] >> 2);
			tri[2] = (unsigned char)(quad[2] << 6 | quad[3]);
			if (pad > 2 || qj_buf_append(out, tri, 3 - pad) != QJ_OK)
				goto bad;
			nq = 0;
			if (pad > 0)
				break;
		}
	}
	/* Only whitespace may follow the padding. */
	for (i++; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			goto bad;
	if (nq != 0)
		goto bad;
	return (QJ_OK);
bad:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return (QJ_EINVAL);
}

enum qj_err
qj_random(void *out, size_t len)
{
	if (len > 0x7fffffff || RAND_bytes(out, (int)len) != 1)
		return (QJ_EINTERNAL);
	return (QJ_OK);
}

enum qj_err
qj_random_token(char out[QJ_TOKEN_LEN + 1])
{
	static const char	alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char		raw[32];
	unsigned int		acc = 0;
	int			bits = 0;
	size_t			i, o = 0;

	if (qj_random(raw, sizeof(raw)) != QJ_OK)
		return (QJ_EINTERNAL);
	for (i = 0; i < sizeof(raw); i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return (QJ_OK);
}

int
qj_ct_equal(const void *a, const void *b, size_t n)
{
	return (CRYPTO_memcmp(a, b, n) == 0);
}
