/* custody.c - chain of custody: SHA-256 (FIPS 180-4) of the captures and the tunnel description, the command line and versions, for the reports. */
#include "custody.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "util.h"

/* ---------------------------------------------------------------------- */
/* SHA-256 (FIPS 180-4: 4.1.2 functions, 4.2.2 constants, 5.1.1 padding,
 * 5.3.3 initial value, 6.2.2 computation) */

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 |
		       (uint32_t)p[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (int t = 0; t < 64; t++) {
		uint32_t S1 = ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = k + S1 + ch + K[t] + w[t];
		uint32_t S0 = ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = S0 + maj;
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void sha256_init(struct sha256 *c)
{
	static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, H0, sizeof(H0));
	c->len = 0;
	c->n = 0;
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->len += len;
	if (c->n) {
		size_t take = 64 - c->n < len ? 64 - c->n : len;
		memcpy(c->buf + c->n, p, take);
		c->n += take;
		p += take;
		len -= take;
		if (c->n < 64)
			return;
		block(c->h, c->buf);
		c->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		block(c->h, p);
	memcpy(c->buf, p, len);
	c->n = len;
}

void sha256_final_hex(struct sha256 *c, char hex[65])
{
	uint64_t bits = c->len * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (c->n < 56 ? 56 : 120) - c->n;
	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
	uint64_t keep = c->len;
	sha256_update(c, pad, padlen + 8);
	c->len = keep;
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++) {
			uint8_t b = (uint8_t)(c->h[i] >> (24 - 8 * j));
			hex[8 * i + 2 * j] = hx[b >> 4];
			hex[8 * i + 2 * j + 1] = hx[b & 15];
		}
	hex[64] = 0;
}

/* ---------------------------------------------------------------------- */
/* Digests of read-once streams (input.c), taken by custody_captures */

#define STREAMS_MAX 64 /* read-once inputs of one run: "-" once, a few pipes */

static struct {
	char *path;
	char hex[65];
	uint64_t size;
} streams[STREAMS_MAX];
static size_t nstreams;
static pthread_mutex_t streams_mu = PTHREAD_MUTEX_INITIALIZER;

void custody_stream_done(const char *path, const char hex[65], uint64_t size)
{
	pthread_mutex_lock(&streams_mu);
	if (nstreams < STREAMS_MAX) {
		streams[nstreams].path = xstrdup(path);
		memcpy(streams[nstreams].hex, hex, 65);
		streams[nstreams].size = size;
		nstreams++;
	}
	pthread_mutex_unlock(&streams_mu);
}

/* The digest recorded for path (the first not yet taken). */
static bool stream_take(const char *path, char hex[65], uint64_t *size)
{
	bool found = false;
	pthread_mutex_lock(&streams_mu);
	for (size_t i = 0; i < nstreams && !found; i++)
		if (streams[i].path && strcmp(streams[i].path, path) == 0) {
			memcpy(hex, streams[i].hex, 65);
			*size = streams[i].size;
			free(streams[i].path);
			streams[i].path = NULL;
			found = true;
		}
	pthread_mutex_unlock(&streams_mu);
	return found;
}

/* ---------------------------------------------------------------------- */

struct custody *custody_new(int argc, char *const *argv)
{
	struct custody *c = xcalloc(1, sizeof(*c));
	c->argc = argc;
	c->argv = xcalloc((size_t)argc + 1, sizeof(*c->argv));
	for (int i = 0; i < argc; i++)
		c->argv[i] = xstrdup(argv[i]);
	c->desc_source = "none";
	return c;
}

void custody_free(struct custody *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	for (size_t i = 0; i < c->ncaps; i++) {
		free(c->caps[i].path);
		free(c->caps[i].error);
	}
	free(c->caps);
	free(c->desc_path);
	free(c->desc_text);
	free(c->desc_translated);
	free(c);
}

void custody_versions(struct custody *c, const char *leakscope, const char *capture_libs, const char *ndpi,
		      const char *libxml2)
{
	const char *v[4] = {leakscope, capture_libs, ndpi, libxml2};
	for (int i = 0; i < 4; i++)
		snprintf(c->versions[i], sizeof(c->versions[i]), "%s", v[i] ? v[i] : "");
}

/* Second pass: the file's bytes, 1 MiB at a time. */
static int hash_file(const char *path, char hex[65], uint64_t *size, char **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error = xstrdup(strerror(errno));
		return -1;
	}
	size_t bufsz = 1u << 20;
	uint8_t *buf = xmalloc(bufsz);
	struct sha256 h;
	sha256_init(&h);
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf, bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error = xstrdup(strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
	}
	close(fd);
	free(buf);
	if (rc == 0) {
		*size = h.len;
		sha256_final_hex(&h, hex);
	}
	return rc;
}

void custody_captures(struct custody *c, int n, char *const *paths)
{
	c->caps = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*c->caps));
	c->ncaps = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < c->ncaps; i++) {
		struct custody_capture *k = &c->caps[i];
		k->path = xstrdup(paths[i]);
		if (in_rereadable(paths[i])) {
			k->how = "second pass";
			if (hash_file(paths[i], k->sha256, &k->size, &k->error) < 0)
				k->sha256[0] = 0;
		} else {
			k->how = "while reading";
			if (!stream_take(paths[i], k->sha256, &k->size)) {
				k->sha256[0] = 0;
				k->error = xstrdup("not read (the stream could not be opened)");
			}
		}
	}
}

/* Secrets stay out of a report that is handed over: a wg-quick PrivateKey
 * or PresharedKey, a swanctl secret, an OpenVPN inline key block (<key>,
 * <tls-auth>, <tls-crypt>, <tls-crypt-v2>, <secret>, <pkcs12>).  The digest
 * is of the file as it is, so the file itself can still be checked. */
static bool secret_key(const char *line, size_t len)
{
	static const char *const keys[] = {"privatekey", "presharedkey", "secret", "psk", NULL};
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	for (int k = 0; keys[k]; k++) {
		size_t kl = strlen(keys[k]);
		if (len - i >= kl && strncasecmp(line + i, keys[k], kl) == 0) {
			size_t j = i + kl;
			while (j < len && (line[j] == ' ' || line[j] == '\t'))
				j++;
			if (j < len && (line[j] == '=' || line[j] == ':'))
				return true;
		}
	}
	return false;
}

static const char *block_tag(const char *line, size_t len, bool closing)
{
	static const char *const tags[] = {"key", "tls-auth", "tls-crypt", "tls-crypt-v2", "secret", "pkcs12", NULL};
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '<')
		return NULL;
	i++;
	if (closing) {
		if (i >= len || line[i] != '/')
			return NULL;
		i++;
	}
	for (int k = 0; tags[k]; k++) {
		size_t kl = strlen(tags[k]);
		if (len - i > kl && strncasecmp(line + i, tags[k], kl) == 0 && line[i + kl] == '>')
			return tags[k];
	}
	return NULL;
}

static char *redact(const char *bytes, size_t len, size_t *nred)
{
	struct sbuf out = {0};
	const char *in_block = NULL;
	size_t pos = 0;
	*nred = 0;
	while (pos < len) {
		const char *nl = memchr(bytes + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (bytes + pos)) : len - pos;
		const char *line = bytes + pos;
		if (in_block) {
			if (block_tag(line, l, true) == in_block) {
				in_block = NULL;
				sb_addn(&out, line, l);
			} else {
				sb_add(&out, "(redacted)");
				(*nred)++;
			}
		} else if (secret_key(line, l)) {
			const char *eq = line;
			while (*eq != '=' && *eq != ':')
				eq++;
			sb_addn(&out, line, (size_t)(eq - line) + 1);
			sb_add(&out, " (redacted)");
			(*nred)++;
		} else {
			in_block = block_tag(line, l, false);
			sb_addn(&out, line, l);
		}
		if (nl)
			sb_add(&out, "\n");
		pos += l + (nl ? 1 : 0);
	}
	if (!out.s)
		sb_add(&out, "");
	/* NUL bytes would cut the text short: shown as the writers show
	 * any control byte (\x00) */
	return out.s;
}

void custody_description(struct custody *c, const char *source, const char *path, const char *bytes, size_t len,
			 const char *translated)
{
	c->desc_source = source;
	free(c->desc_path);
	free(c->desc_text);
	free(c->desc_translated);
	c->desc_path = path ? xstrdup(path) : NULL;
	c->desc_translated = translated ? xstrdup(translated) : NULL;
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, bytes, len);
	sha256_final_hex(&h, c->desc_sha256);
	c->desc_size = len;
	/* a NUL inside the file is written as the two characters \0 so
	 * that the text is not cut at it */
	struct sbuf nonul = {0};
	for (size_t i = 0; i < len;) {
		const char *z = memchr(bytes + i, 0, len - i);
		size_t l = z ? (size_t)(z - (bytes + i)) : len - i;
		sb_addn(&nonul, bytes + i, l);
		if (z)
			sb_add(&nonul, "\\0");
		i += l + (z ? 1 : 0);
	}
	c->desc_text = redact(nonul.s ? nonul.s : "", nonul.len, &c->desc_redacted);
	sb_free(&nonul);
}

int custody_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen)
{
	*out = NULL;
	*len = 0;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *buf = xmalloc(max + 2);
	size_t n = fread(buf, 1, max + 1, fp);
	int rerr = ferror(fp) ? errno : 0;
	fclose(fp);
	if (rerr || n > max) {
		free(buf);
		if (rerr)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(rerr));
		else
			snprintf(err, errlen, "%s: larger than %zu KiB", path, max / 1024);
		return -1;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}
