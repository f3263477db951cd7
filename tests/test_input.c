/* test_input.c - compressed captures (gzip, zstd, lz4): the same records as the plain file, and every cut prefix reported damaged, never clean. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "capture.h"

static char tmp[64];

static void done(void)
{
	if (tmp[0])
		unlink(tmp);
}

TestSuite(input, .fini = done, .timeout = 120);

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s", path);
	uint8_t *b = malloc(1 << 20);
	*len = fread(b, 1, 1 << 20, fp);
	fclose(fp);
	return b;
}

/* The sample the README's worked example uses: 24 packets. */
static uint8_t *sample(size_t *len)
{
	char path[4200];
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	snprintf(path, sizeof(path), "%s/samples/wg-split/phys.pcap", top);
	return slurp(path, len);
}

static size_t gz(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z = {0};
	cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

static size_t zst(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t len = ZSTD_compress(out, cap, in, n, 3);
	cr_assert(!ZSTD_isError(len));
	return len;
}

static size_t lz4(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t len = LZ4F_compressFrame(out, cap, in, n, NULL);
	cr_assert(!LZ4F_isError(len));
	return len;
}

struct rec {
	int64_t sec;
	uint32_t nsec, caplen;
	uint8_t data[256];
};

/* Reads path to the end: the records (first 256 bytes of each) into recs,
 * their number into *n.  Returns cap_next's last code, or -2 when the
 * file does not open; err gets the message. */
static int read_all(const char *path, struct rec *recs, size_t max, size_t *n, char *err, size_t errlen)
{
	struct cap_file *f;
	*n = 0;
	err[0] = '\0';
	if (cap_open(path, &f, err, errlen) < 0)
		return -2;
	struct cap_packet p;
	int rc;
	while ((rc = cap_next(f, &p)) == 1) {
		cr_assert_lt(*n, max);
		struct rec *r = &recs[(*n)++];
		r->sec = p.ts_sec;
		r->nsec = p.ts_nsec;
		r->caplen = p.caplen;
		memcpy(r->data, p.data, p.caplen < 256 ? p.caplen : 256);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", cap_error(f));
	cap_close(f);
	return rc;
}

static void write_file(const uint8_t *b, size_t n)
{
	snprintf(tmp, sizeof(tmp), "/tmp/ls-input-XXXXXX");
	int fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
}

static void check(size_t (*compress)(const uint8_t *, size_t, uint8_t *, size_t), const char *name)
{
	size_t plen, n0, n;
	uint8_t *plain = sample(&plen);
	uint8_t *c = malloc(2 * plen + 1024);
	size_t clen = compress(plain, plen, c, 2 * plen + 1024);
	static struct rec want[64], got[64];
	char err[1024];
	write_file(plain, plen);
	cr_assert_eq(read_all(tmp, want, 64, &n0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n0, 24);
	unlink(tmp);
	/* whole: the same records */
	write_file(c, clen);
	cr_assert_eq(read_all(tmp, got, 64, &n, err, sizeof(err)), 0, "%s: %s", name, err);
	cr_assert_eq(n, n0);
	cr_assert_eq(memcmp(got, want, n * sizeof(got[0])), 0, "%s: records differ", name);
	unlink(tmp);
	/* every cut: never a clean end; the records before the cut are the
	 * file's own first records; the message says the compression */
	for (size_t cut = 1; cut < clen; cut++) {
		write_file(c, cut);
		int rc = read_all(tmp, got, 64, &n, err, sizeof(err));
		cr_assert(rc == -1 || rc == -2, "%s cut at %zu of %zu: rc %d (%zu records) - a cut file read as whole",
			  name, cut, clen, rc, n);
		cr_assert_not_null(strstr(err, tmp), "%s cut at %zu: %s", name, cut, err);
		if (rc == -1) {
			cr_assert_not_null(strstr(err, name), "%s cut at %zu: %s", name, cut, err);
			cr_assert_leq(n, n0);
			cr_assert_eq(memcmp(got, want, n * sizeof(got[0])), 0, "%s cut at %zu: records differ", name, cut);
		}
		unlink(tmp);
	}
	free(c);
	free(plain);
}

Test(input, gzip_whole_and_every_cut)
{
	check(gz, "gzip");
}

Test(input, zstd_whole_and_every_cut)
{
	check(zst, "zstd");
}

Test(input, lz4_whole_and_every_cut)
{
	check(lz4, "lz4");
}

Test(input, flipped_bytes_terminate)
{
	/* one byte flipped at each offset: a clean end, damage or refusal,
	 * never a hang or a crash, and never more records than the file has */
	size_t plen, n;
	uint8_t *plain = sample(&plen);
	uint8_t *c = malloc(2 * plen + 1024);
	size_t clen = zst(plain, plen, c, 2 * plen + 1024);
	static struct rec got[64];
	char err[1024];
	for (size_t at = 0; at < clen; at++) {
		c[at] ^= 0x5a;
		write_file(c, clen);
		int rc = read_all(tmp, got, 64, &n, err, sizeof(err));
		cr_assert(rc >= -2 && rc <= 0);
		cr_assert_leq(n, 24);
		unlink(tmp);
		c[at] ^= 0x5a;
	}
	free(c);
	free(plain);
}

Test(input, bomb_refused)
{
	/* 80 MiB of zeros after a valid pcap header: zstd packs it into a few
	 * KiB, far past the 4096:1 cap once the first 64 MiB are out */
	size_t n = 80u << 20;
	uint8_t *in = calloc(1, n);
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0};
	memcpy(in, hdr, sizeof(hdr));
	size_t cap = ZSTD_compressBound(n);
	uint8_t *c = malloc(cap);
	size_t clen = zst(in, n, c, cap);
	free(in);
	cr_assert_lt(clen * 4096, 80u << 20, "zstd made %zu bytes: no bomb", clen);
	write_file(c, clen);
	free(c);
	static struct rec got[64];
	char err[1024];
	/* zero records are 16 zero bytes each: empty packets, which the reader
	 * takes; the cap stops it */
	struct cap_file *f;
	cr_assert_eq(cap_open(tmp, &f, err, sizeof(err)), 0, "%s", err);
	struct cap_packet p;
	int rc;
	size_t k = 0;
	while ((rc = cap_next(f, &p)) == 1)
		k++;
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(cap_error(f), "refused as a decompression bomb"), "%s", cap_error(f));
	cap_close(f);
	(void)got;
	(void)k;
}
