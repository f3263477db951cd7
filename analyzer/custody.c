/* custody.c - chain of custody: SHA-256 (FIPS 180-4, libgcrypt) of the captures and the tunnel description, the command line and versions, for the reports. */
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

#include <gcrypt.h>

#include "input.h"
#include "util.h"

/* ---------------------------------------------------------------------- */
/* SHA-256 through libgcrypt (already linked, as nDPI's dependency; now
 * named in the Makefile): it uses the CPU's SHA extensions or AVX2, some
 * 1.5 GB/s against about 220 MB/s for a plain C FIPS 180-4 loop, and the
 * second pass over a capture runs beside the analysis only while it is
 * faster than the analysis.  Only this file includes gcrypt.h. */

static pthread_once_t gcry_once = PTHREAD_ONCE_INIT;

static void gcry_setup(void)
{
	/* nDPI may have set it up already: these calls are then no-ops */
	gcry_check_version(NULL);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

void sha256_init(struct sha256 *c)
{
	pthread_once(&gcry_once, gcry_setup);
	gcry_md_hd_t md = NULL;
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0) {
		/* out of memory, as xmalloc's policy: no way on */
		fputs("leakscope: libgcrypt: cannot open a SHA-256 context\n", stderr);
		exit(2);
	}
	c->md = md;
	c->len = 0;
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	gcry_md_write((gcry_md_hd_t)c->md, data, len);
	c->len += len;
}

void sha256_final_hex(struct sha256 *c, char hex[65])
{
	gcry_md_hd_t md = c->md;
	const unsigned char *d = gcry_md_read(md, GCRY_MD_SHA256);
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = hx[d[i] >> 4];
		hex[2 * i + 1] = hx[d[i] & 15];
	}
	hex[64] = 0;
	gcry_md_close(md);
	c->md = NULL;
}

void sha256_discard(struct sha256 *c)
{
	if (c->md)
		gcry_md_close((gcry_md_hd_t)c->md);
	c->md = NULL;
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
	custody_captures_end(c);
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
	} else {
		sha256_discard(&h);
	}
	return rc;
}

static void *hash_files(void *arg)
{
	struct custody *c = arg;
	for (size_t i = 0; i < c->ncaps; i++) {
		struct custody_capture *k = &c->caps[i];
		if (k->how[0] == 's' && hash_file(k->path, k->sha256, &k->size, &k->error) < 0)
			k->sha256[0] = 0;
	}
	return NULL;
}

void custody_captures_begin(struct custody *c, int n, char *const *paths)
{
	c->caps = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*c->caps));
	c->ncaps = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < c->ncaps; i++) {
		c->caps[i].path = xstrdup(paths[i]);
		c->caps[i].how = in_rereadable(paths[i]) ? "second pass" : "while reading";
	}
	/* libgcrypt set up here, in the main thread, before nDPI's
	 * modules (which may call gcry_check_version themselves) */
	pthread_once(&gcry_once, gcry_setup);
	/* the second pass runs beside the analysis, on another core */
	c->hashing = pthread_create(&c->thread, NULL, hash_files, c) == 0;
	if (!c->hashing)
		hash_files(c);
}

void custody_captures_end(struct custody *c)
{
	if (c->hashing)
		pthread_join(c->thread, NULL);
	c->hashing = false;
	for (size_t i = 0; i < c->ncaps; i++) {
		struct custody_capture *k = &c->caps[i];
		if (k->how[0] != 'w')
			continue;
		if (!stream_take(k->path, k->sha256, &k->size)) {
			k->sha256[0] = 0;
			k->error = xstrdup("not read (the stream could not be opened)");
		}
	}
}

void custody_captures(struct custody *c, int n, char *const *paths)
{
	custody_captures_begin(c, n, paths);
	custody_captures_end(c);
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
