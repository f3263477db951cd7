/* test_readahead.c - cap_set_readahead (-j): the same records and the same errors as reading without it. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "util.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	cr_assert_eq(fwrite(b, 1, 4, f), 4);
}

/* A classic pcap of about 6 MiB: records of every size from 0 to 256 KiB
 * (the largest libpcap takes), so that headers and bodies fall across the
 * read-ahead's 512 KiB chunks.  Returns its length. */
static long write_capture(const char *path)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	put32(f, 0xa1b2c3d4);
	put32(f, 2 | 4u << 16);
	put32(f, 0);
	put32(f, 0);
	put32(f, 262144);
	put32(f, 1);
	static uint8_t body[262144];
	long len = 24;
	for (uint32_t i = 0; len < (6L << 20); i++) {
		uint32_t r = rnd(100), n;
		if (r < 3)
			n = 262144 - rnd(3);
		else if (r < 10)
			n = rnd(70000);
		else if (r < 15)
			n = rnd(17);
		else
			n = 40 + rnd(1500);
		for (uint32_t k = 0; k < n; k++)
			body[k] = (uint8_t)(i * 31 + k);
		put32(f, 1700000000 + i);
		put32(f, i % 1000000);
		put32(f, n);
		put32(f, n + rnd(2) * 10);
		cr_assert_eq(fwrite(body, 1, n, f), n);
		len += 16 + (long)n;
	}
	cr_assert_eq(fclose(f), 0);
	return len;
}

/* Every record as a line: number, time, lengths, a hash of the bytes; then
 * the end: clean, or the error. */
static char *read_all(const char *path, bool ahead)
{
	char err[512];
	struct cap_file *f;
	cr_assert_eq(cap_open(path, &f, err, sizeof(err)), 0, "%s", err);
	if (ahead)
		cr_assert_eq(cap_set_readahead(f), 0);
	struct sbuf out = {0};
	struct cap_packet cp;
	int r;
	char line[200];
	while ((r = cap_next(f, &cp)) == 1) {
		snprintf(line, sizeof(line), "%llu %lld.%u %u %u %llx\n", (unsigned long long)cp.frame,
			 (long long)cp.ts_sec, cp.ts_nsec, cp.caplen, cp.wirelen,
			 (unsigned long long)hash_bytes(cp.data, cp.caplen, 1));
		sb_add(&out, line);
	}
	sb_add(&out, r == 0 ? "end\n" : cap_error(f));
	cap_close(f);
	return out.s;
}

Test(readahead, same_records_and_errors)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/ls-readahead-%d.pcap", (int)getpid());
	long len = write_capture(path);
	/* whole, then cut at chunk boundaries and around them, in headers
	 * and in bodies, and at random */
	long cuts[40];
	size_t nc = 0;
	cuts[nc++] = len;
	for (long k = 1; k <= 8; k++)
		for (long d = -9; d <= 9; d += 9)
			cuts[nc++] = k * (512L << 10) + d;
	while (nc < sizeof(cuts) / sizeof(cuts[0]))
		cuts[nc++] = 24 + (long)rnd((uint32_t)len - 24);
	/* longest first: each cut shortens the file further */
	for (size_t i = 1; i < nc; i++)
		for (size_t j = i; j > 1 && cuts[j] > cuts[j - 1]; j--) {
			long t = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	size_t records = 0, truncated = 0;
	for (size_t c = 0; c < nc; c++) {
		if (cuts[c] < len)
			cr_assert_eq(truncate(path, cuts[c]), 0);
		char *plain = read_all(path, false);
		char *ahead = read_all(path, true);
		cr_assert_str_eq(ahead, plain, "cut at %ld", cuts[c]);
		if (c == 0) {
			for (char *q = plain; *q; q++)
				records += *q == '\n';
			cr_assert(strstr(plain, "\nend\n"), "the whole file reads to its end");
		} else if (strstr(plain, "truncated")) {
			truncated++;
		}
		free(plain);
		free(ahead);
	}
	cr_assert_gt(records, 400); /* a file of many records, large ones among them */
	cr_assert_gt(truncated, 30);  /* and the cuts fell inside records */
	unlink(path);
}

Test(readahead, not_for_a_pipe_or_pcapng)
{
	char err[512];
	struct cap_file *f;
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0};
	cr_assert_eq(write(fds[1], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	close(fds[1]);
	char path[64];
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	cr_assert_eq(cap_open(path, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cap_set_readahead(f), -1, "a pipe is read through stdio");
	struct cap_packet cp;
	cr_assert_eq(cap_next(f, &cp), 0);
	cap_close(f);
	close(fds[0]);
}
