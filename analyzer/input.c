/* input.c - capture bytes from files, pipes and standard input, gzip (RFC 1952), zstd (RFC 8878) and lz4 frame decompression, streaming. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "custody.h"
#include "util.h"

#define IN_BUF (256u << 10)  /* compressed bytes read at a time */
#define IN_HEAD (64u << 10)  /* first decoded bytes kept, for the header sniff's rewind */
#define IN_RATIO_FREE (64ull << 20) /* output before the ratio cap applies */
#define ZSTD_WINDOW_LOG_MAX 27  /* 128 MiB: zstd's own default limit, said explicitly */
#define DAMAGE_MAX 256

enum in_kind { IN_PLAIN, IN_GZIP, IN_ZSTD, IN_LZ4 };

struct in_stream {
	int fd;
	enum in_kind kind;
	uint8_t *in;            /* compressed (or plain pipe) bytes */
	size_t in_len, in_pos;
	bool src_eof;
	uint64_t in_off;        /* source bytes consumed by the decoder */
	uint8_t head[IN_HEAD];  /* the first decoded bytes */
	uint64_t produced;      /* decoded bytes so far */
	uint64_t pos;           /* logical position of the next byte handed out */
	bool done;              /* end: clean or damaged */
	bool frame_open;        /* a gzip member / zstd or lz4 frame is incomplete */
	z_stream z;
	bool z_init;
	ZSTD_DStream *zs;
	LZ4F_dctx *lz;
	char damage[DAMAGE_MAX];
	/* a read-once source (standard input, a pipe) is hashed here, every
	 * byte as it comes off the descriptor (custody.h) */
	bool hash;
	struct sha256 sh;
	char *path;
};

/* Every read of the source goes through here. */
static ssize_t src_read(struct in_stream *s, uint8_t *buf, size_t n)
{
	ssize_t r = read(s->fd, buf, n);
	if (r > 0 && s->hash)
		sha256_update(&s->sh, buf, (size_t)r);
	return r;
}

static void damaged(struct in_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void damaged(struct in_stream *s, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	static const char *const names[] = {"", "gzip", "zstd", "lz4"};
	snprintf(s->damage, sizeof(s->damage), "%s data %s at compressed byte %llu (decompressed byte %llu)",
		 names[s->kind], what, (unsigned long long)s->in_off, (unsigned long long)s->produced);
	s->done = true;
}

/* Refills the source buffer when it is empty.  Returns bytes available. */
static size_t src_fill(struct in_stream *s)
{
	if (s->in_pos < s->in_len || s->src_eof)
		return s->in_len - s->in_pos;
	s->in_pos = s->in_len = 0;
	for (;;) {
		ssize_t n = src_read(s, s->in, IN_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			s->src_eof = true;
			snprintf(s->damage, sizeof(s->damage), "read error at byte %llu: %s",
				 (unsigned long long)s->in_off, strerror(e));
			s->done = true;
			return 0;
		}
		if (n == 0)
			s->src_eof = true;
		s->in_len = (size_t)n;
		return s->in_len;
	}
}

static void consumed(struct in_stream *s, size_t n)
{
	s->in_pos += n;
	s->in_off += n;
}

/* At the end of the source: a frame left open is a truncated file. */
static size_t at_src_end(struct in_stream *s)
{
	if (s->frame_open && !s->done)
		damaged(s, "truncated (the file ends inside a %s)", s->kind == IN_GZIP ? "member" : "frame");
	s->done = true;
	return 0;
}

static size_t dec_plain(struct in_stream *s, uint8_t *out, size_t cap)
{
	if (!src_fill(s))
		return at_src_end(s);
	size_t n = s->in_len - s->in_pos;
	if (n > cap)
		n = cap;
	memcpy(out, s->in + s->in_pos, n);
	consumed(s, n);
	return n;
}

/* gzip: several members one after another are one stream (RFC 1952 2.2,
 * what gzip -d and Wireshark do); bytes after a member that do not start
 * another are damage. */
static size_t dec_gzip(struct in_stream *s, uint8_t *out, size_t cap)
{
	size_t got = 0;
	while (got == 0 && !s->done) {
		if (!src_fill(s))
			return at_src_end(s);
		if (!s->frame_open) {
			if (s->in_len - s->in_pos < 2 && !s->src_eof) {
				/* a member boundary split across reads: keep the byte */
				memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
				s->in_len -= s->in_pos;
				s->in_pos = 0;
				ssize_t n = src_read(s, s->in + s->in_len, IN_BUF - s->in_len);
				if (n <= 0)
					s->src_eof = true;
				else
					s->in_len += (size_t)n;
			}
			const uint8_t *p = s->in + s->in_pos;
			size_t left = s->in_len - s->in_pos;
			if (left < 2 || p[0] != 0x1f || p[1] != 0x8b) {
				damaged(s, "followed by %zu%s byte(s) that are not a gzip member", left,
					s->src_eof ? "" : " or more");
				return 0;
			}
			if (inflateReset2(&s->z, 16 + 15) != Z_OK) {
				damaged(s, "cannot be decoded (zlib reset failed)");
				return 0;
			}
			s->frame_open = true;
		}
		s->z.next_in = s->in + s->in_pos;
		s->z.avail_in = (uInt)(s->in_len - s->in_pos);
		s->z.next_out = out;
		s->z.avail_out = (uInt)cap;
		int rc = inflate(&s->z, Z_NO_FLUSH);
		size_t used = (s->in_len - s->in_pos) - s->z.avail_in;
		consumed(s, used);
		got = cap - s->z.avail_out;
		if (rc == Z_STREAM_END) {
			s->frame_open = false;
		} else if (rc == Z_BUF_ERROR && used == 0 && got == 0) {
			continue; /* needs more input: the next src_fill */
		} else if (rc != Z_OK) {
			s->produced += got;
			damaged(s, "damaged (%s)", s->z.msg ? s->z.msg : "inflate failed");
			s->produced -= got;
			return got;
		}
	}
	return got;
}

static size_t dec_zstd(struct in_stream *s, uint8_t *out, size_t cap)
{
	size_t got = 0;
	while (got == 0 && !s->done) {
		if (!src_fill(s))
			return at_src_end(s);
		ZSTD_inBuffer ib = {s->in + s->in_pos, s->in_len - s->in_pos, 0};
		ZSTD_outBuffer ob = {out, cap, 0};
		size_t rc = ZSTD_decompressStream(s->zs, &ob, &ib);
		consumed(s, ib.pos);
		got = ob.pos;
		if (ZSTD_isError(rc)) {
			damaged(s, "damaged (%s)", ZSTD_getErrorName(rc));
			return got;
		}
		/* rc == 0: a frame is complete; another may follow */
		s->frame_open = rc != 0;
	}
	return got;
}

static size_t dec_lz4(struct in_stream *s, uint8_t *out, size_t cap)
{
	size_t got = 0;
	while (got == 0 && !s->done) {
		if (!src_fill(s))
			return at_src_end(s);
		size_t isz = s->in_len - s->in_pos, osz = cap;
		size_t rc = LZ4F_decompress(s->lz, out, &osz, s->in + s->in_pos, &isz, NULL);
		consumed(s, isz);
		got = osz;
		if (LZ4F_isError(rc)) {
			damaged(s, "damaged (%s)", LZ4F_getErrorName(rc));
			return got;
		}
		s->frame_open = rc != 0;
	}
	return got;
}

static ssize_t in_read(void *cookie, char *buf, size_t size)
{
	struct in_stream *s = cookie;
	if (size == 0)
		return 0; /* the decoders need room to make progress */
	if (s->pos < s->produced) {
		/* after a rewind: only possible inside the kept head */
		size_t n = (size_t)(s->produced - s->pos);
		if (n > size)
			n = size;
		memcpy(buf, s->head + s->pos, n);
		s->pos += n;
		return (ssize_t)n;
	}
	if (s->done)
		return 0;
	size_t cap = size;
	if (s->produced < IN_HEAD && cap > IN_HEAD - s->produced)
		cap = (size_t)(IN_HEAD - s->produced); /* the head is filled exactly, then bypassed */
	size_t n = 0;
	uint8_t *out = (uint8_t *)buf;
	switch (s->kind) {
	case IN_PLAIN: n = dec_plain(s, out, cap); break;
	case IN_GZIP: n = dec_gzip(s, out, cap); break;
	case IN_ZSTD: n = dec_zstd(s, out, cap); break;
	case IN_LZ4: n = dec_lz4(s, out, cap); break;
	}
	if (s->produced < IN_HEAD)
		memcpy(s->head + s->produced, out, n); /* n <= IN_HEAD - produced */
	s->produced += n;
	s->pos += n;
	if (s->kind != IN_PLAIN && s->produced > IN_RATIO_FREE && s->produced / IN_MAX_RATIO > s->in_off &&
	    !s->done)
		damaged(s, "expands more than %u times (refused as a decompression bomb)", IN_MAX_RATIO);
	return (ssize_t)n;
}

/* Only what reading a capture needs: telling the position, and going back
 * to a byte already decoded while every byte decoded is still in the head. */
static int in_seek(void *cookie, off64_t *offset, int whence)
{
	struct in_stream *s = cookie;
	int64_t target;
	if (whence == SEEK_SET)
		target = *offset;
	else if (whence == SEEK_CUR)
		target = (int64_t)s->pos + *offset;
	else
		goto no;
	if (target < 0)
		goto no;
	if ((uint64_t)target != s->pos && !((uint64_t)target <= s->produced && s->produced <= IN_HEAD))
		goto no;
	s->pos = (uint64_t)target;
	*offset = target;
	return 0;
no:
	errno = ESPIPE;
	return -1;
}

static int in_close_cookie(void *cookie)
{
	struct in_stream *s = cookie;
	if (s->hash) {
		/* the reader may stop early (damage, a cap): the digest is
		 * still of the whole stream, as sha256sum would see it */
		for (;;) {
			ssize_t n = src_read(s, s->in, IN_BUF);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
		}
		char hex[65];
		uint64_t size = s->sh.len;
		sha256_final_hex(&s->sh, hex);
		custody_stream_done(s->path, hex, size);
	}
	sha256_discard(&s->sh);
	free(s->path);
	int rc = s->fd > 2 ? close(s->fd) : 0;
	if (s->z_init)
		inflateEnd(&s->z);
	ZSTD_freeDStream(s->zs);
	if (s->lz)
		LZ4F_freeDecompressionContext(s->lz);
	free(s->in);
	free(s);
	return rc;
}

const char *in_compression(const struct in_stream *s)
{
	static const char *const names[] = {NULL, "gzip", "zstd", "lz4"};
	return s ? names[s->kind] : NULL;
}

const char *in_damage(const struct in_stream *s)
{
	return s && s->damage[0] ? s->damage : NULL;
}

void in_lib_versions(char *buf, size_t len)
{
	unsigned v = LZ4_versionNumber();
	snprintf(buf, len, "zlib %s, zstd %s, lz4 %u.%u.%u", zlibVersion(), ZSTD_versionString(), v / 10000,
		 v / 100 % 100, v % 100);
}

bool in_rereadable(const char *path)
{
	struct stat st;
	if (strcmp(path, "-") == 0 || stat(path, &st) != 0)
		return strcmp(path, "-") != 0; /* a missing file fails later, by its name */
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}

/* Reads up to n bytes from the start of the source into s->in. */
static void sniff(struct in_stream *s, size_t n)
{
	while (s->in_len < n && !s->src_eof) {
		ssize_t r = src_read(s, s->in + s->in_len, IN_BUF - s->in_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				snprintf(s->damage, sizeof(s->damage), "read error at byte %zu: %s", s->in_len,
					 strerror(errno));
			s->src_eof = true;
			break;
		}
		s->in_len += (size_t)r;
	}
}

FILE *in_open(const char *path, struct in_stream **state, uint64_t *size, char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct stat st;
	*state = NULL;
	*size = 0;
	int fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", is_stdin ? "standard input" : path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		close(fd);
		return NULL;
	}
	uint8_t magic[6];
	if (!is_stdin && S_ISREG(st.st_mode)) {
		ssize_t got = pread(fd, magic, sizeof(magic), 0);
		bool compressed = got >= 4 &&
				  ((magic[0] == 0x1f && magic[1] == 0x8b) ||
				   (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) ||
				   (magic[0] == 0x04 && magic[1] == 0x22 && magic[2] == 0x4d && magic[3] == 0x18));
		if (!compressed) {
			/* the common case: an ordinary, seekable FILE */
			FILE *fp = fdopen(fd, "rb");
			if (!fp) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				close(fd);
				return NULL;
			}
			*size = (uint64_t)st.st_size;
			return fp;
		}
	}
	struct in_stream *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->in = xmalloc(IN_BUF);
	s->hash = !in_rereadable(path);
	s->path = xstrdup(path);
	if (s->hash) /* a file is hashed by a second pass (custody.c) */
		sha256_init(&s->sh);
	sniff(s, sizeof(magic));
	const uint8_t *m = s->in;
	size_t n = s->in_len;
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
		s->kind = IN_GZIP;
		s->z_init = inflateInit2(&s->z, 16 + 15) == Z_OK;
		if (!s->z_init)
			goto nomem;
	} else if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
		s->kind = IN_ZSTD;
		s->zs = ZSTD_createDStream();
		if (!s->zs || ZSTD_isError(ZSTD_initDStream(s->zs)) ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(s->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
			goto nomem;
	} else if (n >= 4 && m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4d && m[3] == 0x18) {
		s->kind = IN_LZ4;
		if (LZ4F_isError(LZ4F_createDecompressionContext(&s->lz, LZ4F_VERSION)))
			goto nomem;
	} else if (n >= 4 && m[0] == 0x02 && m[1] == 0x21 && m[2] == 0x4c && m[3] == 0x18) {
		snprintf(err, errlen, "%s: lz4 legacy format (lz4 -l): not supported, recompress with lz4 (frame format)",
			 path);
		goto fail;
	} else if ((n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0) || (n >= 3 && memcmp(m, "BZh", 3) == 0)) {
		snprintf(err, errlen, "%s: %s-compressed: not supported (gzip, zstd and lz4 are), decompress it first",
			 path, m[0] == 'B' ? "bzip2" : "xz");
		goto fail;
	}
	/* A stream that ends inside the first frame's magic is truncated,
	 * not empty: the decoders see it as an open frame. */
	s->frame_open = s->kind != IN_PLAIN;
	cookie_io_functions_t io = {.read = in_read, .seek = in_seek, .close = in_close_cookie};
	FILE *fp = fopencookie(s, "rb", io);
	if (!fp)
		goto nomem;
	*state = s;
	return fp;
nomem:
	snprintf(err, errlen, "%s: cannot set up the decompressor", path);
fail:
	in_close_cookie(s);
	return NULL;
}
