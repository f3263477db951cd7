/* test_dns_tcp.c - DNS-over-TCP framing: prefixes, splits, gaps and resync; end to end against tshark. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "dns-tcp.h"
#include "dns.h"
#include "tcp-reassembly.h"
#include "testtop.h"

/*
 * The three messages below were written by hand and checked with
 * text2pcap -T 40000,53 then tshark 4.0: -e dns.id -e dns.flags.response
 * -e dns.qry.name -e dns.qry.type -e dns.a -e dns.length gives
 *   0x1234,0xbeef,0x1234  0,0,1  example.com,a.io,example.com  1,28,1
 *   93.184.216.34  29,22,45
 * Every feed hands over a fresh heap block of exactly the bytes fed, so
 * AddressSanitizer catches a read past them.
 */
static const char M1_HEX[] =
	"001d"                     /* length 29 */
	"1234 0100"                /* id, flags: RD */
	"0001 0000 0000 0000"      /* qd an ns ar */
	"07 6578616d706c65 03 636f6d 00" /* example.com */
	"0001 0001";               /* A IN */
static const char M2_HEX[] =
	"0016"                     /* length 22 */
	"beef 0100 0001 0000 0000 0000"
	"01 61 02 696f 00"         /* a.io */
	"001c 0001";               /* AAAA IN */
static const char M3_HEX[] =
	"002d"                     /* length 45 */
	"1234 8180 0001 0001 0000 0000" /* response, RD RA */
	"07 6578616d706c65 03 636f6d 00 0001 0001"
	"c00c 0001 0001 0000012c 0004 5db8d822"; /* example.com A 93.184.216.34, TTL 300 */
/* Looks like a query (qd 1, root name, A IN) with one answer whose
 * rdlength (4) runs past the end: plausible at a glance (header, question
 * and counts fit in 28 bytes), refused by dns_parse (truncated record). */
static const char FAKE_HEX[] =
	"001c"                     /* length 28 */
	"0000 0100 0001 0001 0000 0000"
	"00 0001 0001"             /* . A IN */
	"00 0001 0001 00000000 0004"; /* . A IN TTL 0, rdlength 4, no rdata */

#define M1_LEN 31 /* with prefix */
#define M2_LEN 24
#define M3_LEN 47

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		cr_assert_lt(n, cap, "vector too long");
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	cr_assert_eq(hi, -1, "odd number of hex digits");
	return n;
}

/* A stream made of several hex vectors. */
static size_t stream(uint8_t *out, size_t cap, const char *const *parts, size_t nparts)
{
	size_t n = 0;

	for (size_t i = 0; i < nparts; i++)
		n += unhex(parts[i], out + n, cap - n);
	return n;
}

/* ---------------------------------------------------------------------- */
/* Recorder */

#define GOT_MAX 64

struct got {
	size_t n;
	uint8_t msg[GOT_MAX][512];
	size_t len[GOT_MAX];
	struct dnstcp_info info[GOT_MAX];
};

static void on_msg(void *user, const uint8_t *msg, size_t len, const struct dnstcp_info *mi)
{
	struct got *g = user;

	cr_assert_lt(g->n, GOT_MAX);
	cr_assert_not_null(mi->pkt);
	cr_assert_gt(len, 0);
	g->len[g->n] = len;
	memcpy(g->msg[g->n], msg, len < 512 ? len : 512);
	g->info[g->n] = *mi;
	g->info[g->n].pkt = NULL; /* valid during the call only */
	g->n++;
}

/* A delivery as tcp-reassembly would make it, carried by frame. */
static size_t feed(struct dnstcp_dir *d, const uint8_t *p, size_t len, uint64_t frame, struct got *g)
{
	struct cap_packet cp;
	struct pkt pk;
	struct tcp_src src;
	uint8_t *copy = malloc(len ? len : 1);
	size_t k;

	cr_assert_not_null(copy);
	memset(&cp, 0, sizeof(cp));
	memset(&pk, 0, sizeof(pk));
	cp.frame = frame;
	pk.cp = &cp;
	src.pkt = &pk;
	src.trigger_frame = frame;
	src.held = false;
	if (len)
		memcpy(copy, p, len);
	k = dnstcp_feed(d, copy, len, &src, on_msg, g);
	free(copy);
	return k;
}

static void assert_msg(const struct got *g, size_t i, const uint8_t *whole, size_t whole_len)
{
	cr_assert_lt(i, g->n, "message %zu missing (got %zu)", i, g->n);
	cr_assert_eq(g->len[i], whole_len - 2, "message %zu: length %zu", i, g->len[i]);
	cr_assert(memcmp(g->msg[i], whole + 2, whole_len - 2) == 0, "message %zu: bytes differ", i);
}

/* ---------------------------------------------------------------------- */

Test(dns_tcp, two_messages_in_one_segment)
{
	const char *parts[] = { M1_HEX, M2_HEX };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 2);
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	cr_assert_eq(n, M1_LEN + M2_LEN);
	cr_assert_eq(feed(&d, s, n, 7, &g), 2);
	assert_msg(&g, 0, s, M1_LEN);
	assert_msg(&g, 1, s + M1_LEN, M2_LEN);
	cr_assert_eq(g.info[0].first_frame, 7);
	cr_assert_eq(g.info[1].last_frame, 7);
	cr_assert_eq(g.info[1].anom, 0);
	cr_assert_null(d.buf, "nothing buffered when messages arrive whole");
	dnstcp_free(&d);
}

Test(dns_tcp, one_message_across_three_segments)
{
	uint8_t s[64];
	size_t n = unhex(M3_HEX, s, sizeof(s));
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	cr_assert_eq(n, M3_LEN);
	cr_assert_eq(feed(&d, s, 10, 10, &g), 0);
	cr_assert_eq(feed(&d, s + 10, 20, 11, &g), 0);
	cr_assert_eq(feed(&d, s + 30, n - 30, 12, &g), 1);
	assert_msg(&g, 0, s, M3_LEN);
	cr_assert_eq(g.info[0].first_frame, 10);
	cr_assert_eq(g.info[0].last_frame, 12);
	cr_assert_null(d.buf, "buffer freed once empty");
	dnstcp_free(&d);
}

Test(dns_tcp, prefix_alone_in_its_segment)
{
	const char *parts[] = { M3_HEX, M1_HEX };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 2);
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	cr_assert_eq(feed(&d, s, 2, 5, &g), 0);       /* 00 2d */
	cr_assert_eq(feed(&d, s + 2, n - 2, 6, &g), 2); /* body, then M1 whole */
	assert_msg(&g, 0, s, M3_LEN);
	assert_msg(&g, 1, s + M3_LEN, M1_LEN);
	cr_assert_eq(g.info[0].first_frame, 5);
	cr_assert_eq(g.info[0].last_frame, 6);
	cr_assert_eq(g.info[1].first_frame, 6);
	dnstcp_free(&d);
}

Test(dns_tcp, prefix_split_one_plus_one)
{
	uint8_t s[64];
	size_t n = unhex(M2_HEX, s, sizeof(s));
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	cr_assert_eq(feed(&d, s, 1, 1, &g), 0);  /* 00 */
	cr_assert_eq(feed(&d, s + 1, 1, 2, &g), 0); /* 16 */
	cr_assert_eq(feed(&d, s + 2, n - 2, 3, &g), 1);
	assert_msg(&g, 0, s, M2_LEN);
	cr_assert_eq(g.info[0].first_frame, 1);
	cr_assert_eq(g.info[0].last_frame, 3);
	dnstcp_free(&d);
}

Test(dns_tcp, zero_length_message_skipped)
{
	const char *parts[] = { "0000", M1_HEX, "0000" };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 3);
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	cr_assert_eq(feed(&d, s, n, 1, &g), 1);
	assert_msg(&g, 0, s + 2, M1_LEN);
	cr_assert_eq(g.info[0].anom, DNSTCP_ANOM_ZERO_LEN);
	cr_assert_eq(g.info[0].skipped, 2);
	cr_assert_eq(d.st.zero_len, 2);
	/* A 0-length prefix split 1 + 1, then a message. */
	cr_assert_eq(feed(&d, s, 1, 2, &g), 0);
	cr_assert_eq(feed(&d, s + 1, 1 + M1_LEN, 3, &g), 1);
	assert_msg(&g, 1, s + 2, M1_LEN);
	cr_assert_eq(d.st.zero_len, 3);
	cr_assert_eq(g.info[1].anom, DNSTCP_ANOM_ZERO_LEN);
	cr_assert_eq(g.info[1].skipped, 4, "the trailing 0000 of the first feed, then this one");
	dnstcp_free(&d);
}

Test(dns_tcp, gap_mid_message_then_resync)
{
	const char *parts[] = { M1_HEX, M2_HEX, M3_HEX };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 3);
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	/* Stream bytes 10..19 of M1 were never captured. */
	cr_assert_eq(feed(&d, s, 10, 1, &g), 0);
	dnstcp_gap(&d, 10);
	cr_assert_null(d.buf, "the partial message is dropped at once");
	cr_assert_eq(feed(&d, s + 20, n - 20, 3, &g), 2);
	/* Scanning from byte 20: the 11 bytes left of M1 hold no plausible
	 * start (checked offset by offset: opcodes 13, qdcount 256/22,
	 * class 0), so M2 at byte 31 is the first boundary. */
	assert_msg(&g, 0, s + M1_LEN, M2_LEN);
	assert_msg(&g, 1, s + M1_LEN + M2_LEN, M3_LEN);
	cr_assert_eq(g.info[0].anom, DNSTCP_ANOM_GAP | DNSTCP_ANOM_RESYNC);
	cr_assert_eq(g.info[0].lost, 10);
	cr_assert_eq(g.info[0].skipped, 10 + 11);
	cr_assert_eq(g.info[0].first_frame, 3);
	cr_assert_eq(g.info[1].anom, 0);
	cr_assert_eq(g.info[1].skipped, 0);
	cr_assert_eq(d.st.discarded_bytes, 10);
	cr_assert_eq(d.st.skipped_bytes, 11);
	cr_assert_eq(d.st.resyncs, 1);
	cr_assert(!d.resync);
	dnstcp_free(&d);
}

Test(dns_tcp, resync_candidate_across_segments)
{
	const char *parts[] = { M3_HEX, M1_HEX };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 2);
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	dnstcp_gap(&d, 100); /* at a boundary, but the framer cannot know */
	cr_assert_eq(feed(&d, s, 20, 4, &g), 0);      /* candidate, not complete */
	cr_assert_eq(feed(&d, s + 20, 20, 5, &g), 0);
	cr_assert_eq(feed(&d, s + 40, n - 40, 6, &g), 2);
	assert_msg(&g, 0, s, M3_LEN);
	assert_msg(&g, 1, s + M3_LEN, M1_LEN);
	cr_assert_eq(g.info[0].skipped, 0);
	cr_assert_eq(g.info[0].first_frame, 4);
	cr_assert_eq(g.info[0].last_frame, 6);
	cr_assert_eq(g.info[0].anom, DNSTCP_ANOM_GAP | DNSTCP_ANOM_RESYNC);
	dnstcp_free(&d);
}

Test(dns_tcp, fake_length_after_gap_not_trusted)
{
	const char *parts[] = { FAKE_HEX, M2_HEX };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 2);
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	dnstcp_gap(&d, 3);
	cr_assert_eq(feed(&d, s, n, 9, &g), 1);
	/* The fake (30 bytes) passes the quick checks, dns_parse finds its
	 * answer cut; no other offset before M2 is plausible (checked by
	 * hand: lengths < 12, opcode 7, qdcount 0/256/1024, counts that do
	 * not fit, class 0x6f01). */
	assert_msg(&g, 0, s + 30, M2_LEN);
	cr_assert_eq(d.st.candidates_refused, 1);
	cr_assert_eq(g.info[0].skipped, 30);
	cr_assert_eq(g.info[0].lost, 3);
	dnstcp_free(&d);
}

Test(dns_tcp, garbage_after_gap_is_skipped)
{
	uint8_t s[4096];
	size_t n = 0;
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	/* 3000 bytes of 0xff (length 65535, opcode 15: never plausible),
	 * then M1: found after skipping all of it. */
	memset(s, 0xff, 3000);
	n = 3000 + unhex(M1_HEX, s + 3000, sizeof(s) - 3000);
	dnstcp_gap(&d, 1);
	for (size_t off = 0; off < n; off += 100)
		feed(&d, s + off, off + 100 < n ? 100 : n - off, 1 + off / 100, &g);
	cr_assert_eq(g.n, 1);
	assert_msg(&g, 0, s + 3000, M1_LEN);
	cr_assert_eq(g.info[0].skipped, 3000);
	cr_assert_eq(g.info[0].first_frame, 31, "M1 starts in the 31st chunk");
	cr_assert_leq(d.cap, DNSTCP_BUF_MAX);
	dnstcp_free(&d);
}

Test(dns_tcp, largest_message_accumulates)
{
	/* 65535 bytes (synced framing does not look inside) in 70 pieces:
	 * more chunks than marks, first_frame must stay the first. */
	size_t n = 2 + 65535;
	uint8_t *s = malloc(n);
	struct dnstcp_dir d;
	struct got g = { 0 };
	size_t k = 0;

	cr_assert_not_null(s);
	s[0] = 0xff;
	s[1] = 0xff;
	for (size_t i = 2; i < n; i++)
		s[i] = (uint8_t)i;
	dnstcp_init(&d);
	for (size_t off = 0; off < n; off += 1000)
		k += feed(&d, s + off, off + 1000 < n ? 1000 : n - off, 100 + off / 1000, &g);
	cr_assert_eq(k, 1);
	cr_assert_eq(g.len[0], 65535);
	cr_assert(memcmp(g.msg[0], s + 2, 512) == 0);
	cr_assert_eq(g.info[0].first_frame, 100);
	cr_assert_eq(g.info[0].last_frame, 165);
	cr_assert_null(d.buf);
	free(s);
	dnstcp_free(&d);
}

Test(dns_tcp, flush_counts_incomplete)
{
	uint8_t s[64];
	size_t n = unhex(M3_HEX, s, sizeof(s));
	struct dnstcp_dir d;
	struct got g = { 0 };

	dnstcp_init(&d);
	feed(&d, s, n - 1, 1, &g);
	dnstcp_flush(&d);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(d.st.incomplete, 1);
	cr_assert_eq(d.st.incomplete_bytes, n - 1);
	cr_assert_null(d.buf);
	dnstcp_free(&d);
}

/* Every prefix of a two-message stream, fed whole and byte by byte, then
 * flushed: complete messages come out, the rest is counted, no overread. */
Test(dns_tcp, truncation_sweep)
{
	const char *parts[] = { M1_HEX, M3_HEX };
	uint8_t s[128];
	size_t n = stream(s, sizeof(s), parts, 2);

	for (size_t k = 0; k <= n; k++) {
		size_t want = (k >= M1_LEN) + (k >= M1_LEN + M3_LEN);
		size_t rest = k >= M1_LEN + M3_LEN ? 0 : k >= M1_LEN ? k - M1_LEN : k;

		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct dnstcp_dir d;
			struct got g = { 0 };

			dnstcp_init(&d);
			if (bytewise) {
				for (size_t i = 0; i < k; i++)
					feed(&d, s + i, 1, 1 + i, &g);
			} else {
				feed(&d, s, k, 1, &g);
			}
			cr_assert_eq(g.n, want, "prefix %zu (bytewise %d): %zu messages", k, bytewise, g.n);
			dnstcp_flush(&d);
			cr_assert_eq(d.st.incomplete_bytes, rest, "prefix %zu", k);
			if (want >= 1)
				assert_msg(&g, 0, s, M1_LEN);
			if (want == 2)
				assert_msg(&g, 1, s + M1_LEN, M3_LEN);
			dnstcp_free(&d);
		}
		/* The same prefix after a gap (resync path). */
		{
			struct dnstcp_dir d;
			struct got g = { 0 };

			dnstcp_init(&d);
			dnstcp_gap(&d, 1);
			for (size_t i = 0; i < k; i++)
				feed(&d, s + i, 1, 1 + i, &g);
			cr_assert_eq(g.n, want, "resync prefix %zu: %zu messages", k, g.n);
			dnstcp_flush(&d);
			dnstcp_free(&d);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* End to end: capture -> decode -> tcp-reassembly -> dns-tcp -> dns_parse,
 * compared with tshark 4.0.17 on the public corpus.  Expected lines are
 * the output of
 *   tshark -r FILE -Y 'dns && tcp' -T fields -e frame.number -e dns.qry.name
 * (a frame carrying several messages lists their names joined by ',', a
 * message without a question gives an empty name).  Port filter: tcp 53
 * and 5353, tshark's default DNS TCP ports. */

#define E2E_FLOWS 16
#define E2E_LINES 64

struct e2e_flow {
	struct ls_addr a, b; /* a: the sender of the first packet (dir 0) */
	uint16_t pa, pb;
	struct tcp_conn tc;
	struct dnstcp_dir dd[2];
};

struct e2e {
	struct tcp_ctx ctx;
	struct e2e_flow fl[E2E_FLOWS];
	int nfl;
	struct e2e_flow *cur;
	struct dns_msg m;
	size_t nmsg;
	size_t nlines;
	uint64_t line_frame[E2E_LINES];
	char line[E2E_LINES][1200];
};

static void e2e_msg(void *user, const uint8_t *msg, size_t len, const struct dnstcp_info *mi)
{
	struct e2e *e = user;
	char names[1100] = "";

	cr_assert_eq(dns_parse(msg, len, &e->m), 0, "frame %llu: message does not parse",
		     (unsigned long long)mi->last_frame);
	for (size_t i = 0; i < e->m.nq; i++) {
		if (i)
			strncat(names, ",", sizeof(names) - strlen(names) - 1);
		strncat(names, e->m.q[i].name, sizeof(names) - strlen(names) - 1);
	}
	e->nmsg++;
	/* Messages completed by the same frame share one tshark line. */
	if (e->nlines > 0 && e->line_frame[e->nlines - 1] == mi->last_frame) {
		char *l = e->line[e->nlines - 1];

		strncat(l, ",", sizeof(e->line[0]) - strlen(l) - 1);
		strncat(l, names, sizeof(e->line[0]) - strlen(l) - 1);
		return;
	}
	cr_assert_lt(e->nlines, E2E_LINES);
	e->line_frame[e->nlines] = mi->last_frame;
	snprintf(e->line[e->nlines], sizeof(e->line[0]), "%llu\t%s", (unsigned long long)mi->last_frame,
		 names);
	e->nlines++;
}

static void e2e_data(void *user, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct e2e *e = user;

	dnstcp_feed(&e->cur->dd[dir], data, len, src, e2e_msg, e);
}

static void e2e_gap(void *user, int dir, uint32_t lost)
{
	struct e2e *e = user;

	dnstcp_gap(&e->cur->dd[dir], lost);
}

static struct e2e_flow *e2e_flow(struct e2e *e, const struct pkt *p, int *dir)
{
	for (int i = 0; i < e->nfl; i++) {
		struct e2e_flow *f = &e->fl[i];

		if (addr_cmp(&f->a, &p->src) == 0 && f->pa == p->sport && addr_cmp(&f->b, &p->dst) == 0 &&
		    f->pb == p->dport) {
			*dir = 0;
			return f;
		}
		if (addr_cmp(&f->b, &p->src) == 0 && f->pb == p->sport && addr_cmp(&f->a, &p->dst) == 0 &&
		    f->pa == p->dport) {
			*dir = 1;
			return f;
		}
	}
	cr_assert_lt(e->nfl, E2E_FLOWS);
	struct e2e_flow *f = &e->fl[e->nfl++];

	f->a = p->src;
	f->b = p->dst;
	f->pa = p->sport;
	f->pb = p->dport;
	tcp_conn_init(&f->tc);
	dnstcp_init(&f->dd[0]);
	dnstcp_init(&f->dd[1]);
	*dir = 0;
	return f;
}

static const char *corpus_dir(void)
{
	return ls_test_corpus();
}

static void e2e_run(const char *rel, const char *const *want, size_t nwant)
{
	char path[1024], err[512];
	struct cap_file *cf;
	struct cap_packet cp;
	struct decoder *dec;
	struct e2e *e;
	struct tcp_sink sink;
	int r;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rel);
	TEST_NEED_FILE(path);
	e = calloc(1, sizeof(*e));
	cr_assert_not_null(e);
	tcp_ctx_init(&e->ctx);
	sink.data = e2e_data;
	sink.gap = e2e_gap;
	sink.user = e;
	cr_assert_eq(cap_open(path, &cf, err, sizeof(err)), 0, "%s", err);
	dec = decode_new();
	while ((r = cap_next(cf, &cp)) == 1) {
		struct pkt p;
		int dir;

		if (decode_packet(dec, &cp, 0, &p) != DEC_OK || p.proto != 6)
			continue;
		if (p.sport != 53 && p.dport != 53 && p.sport != 5353 && p.dport != 5353)
			continue;
		e->cur = e2e_flow(e, &p, &dir);
		tcp_feed(&e->ctx, &e->cur->tc, dir, &p, &sink);
	}
	cr_assert_eq(r, 0, "%s: %s", path, cap_error(cf));
	for (int i = 0; i < e->nfl; i++) {
		e->cur = &e->fl[i];
		tcp_conn_flush(&e->ctx, &e->fl[i].tc, &sink);
		tcp_conn_free(&e->ctx, &e->fl[i].tc);
		for (int k = 0; k < 2; k++) {
			dnstcp_flush(&e->fl[i].dd[k]);
			dnstcp_free(&e->fl[i].dd[k]);
		}
	}
	cr_assert_eq(e->ctx.mem_used, 0);
	for (size_t i = 0; i < e->nlines && i < nwant; i++)
		cr_expect_str_eq(e->line[i], want[i], "%s line %zu", rel, i);
	cr_assert_eq(e->nlines, nwant, "%s: %zu frames with DNS, tshark has %zu", rel, e->nlines, nwant);
	decode_free(dec);
	cap_close(cf);
	free(e);
}

#define E2E(name, file, ...)                                                   \
	Test(dns_tcp, name)                                                    \
	{                                                                      \
		static const char *const want[] = { __VA_ARGS__ };             \
		e2e_run(file, want, sizeof(want) / sizeof(want[0]));           \
	}

/* 20 queries in one segment (frame 4), client FIN, 20 answers. */
E2E(corpus_multirequest_buffer,
    "suricata-verify/dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap",
    "4\t0.google.com,1.google.com,2.google.com,3.google.com,4.google.com,5.google.com,"
    "6.google.com,7.google.com,8.google.com,9.google.com,10.google.com,11.google.com,"
    "12.google.com,13.google.com,14.google.com,15.google.com,16.google.com,17.google.com,"
    "18.google.com,19.google.com",
    "8\t0.google.com", "10\t1.google.com", "12\t2.google.com", "14\t3.google.com",
    "16\t4.google.com", "18\t5.google.com", "20\t6.google.com", "22\t7.google.com",
    "24\t8.google.com", "26\t9.google.com", "28\t10.google.com", "30\t11.google.com",
    "32\t12.google.com", "34\t13.google.com", "36\t14.google.com", "38\t15.google.com",
    "40\t16.google.com", "42\t17.google.com", "44\t18.google.com", "46\t19.google.com")

/* A 3247-byte TKEY query in segments of 1460 + 1460 + 327 (frames 4, 5, 7). */
E2E(corpus_tkey_split,
    "zeek/Traces/dns/tkey.pcap",
    "7\t1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5",
    "8\t1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5")

/* Query 0x0001 (34 bytes, between frames 7 and 9) was not captured; the
 * server's ACK in frame 8 proves it was sent, so frame 10 is delivered at
 * once after a gap and found by resync. */
E2E(corpus_ts_gap,
    "suricata-verify/dns-tcp-ts-gap/input.pcap",
    "4\twww.google.com", "6\twww.google.com", "8\twww.google.com",
    "10\twww.google.com", "11\twww.google.com")

/* BSD loopback link type, TCP 5353; query 0x1032 split 14 + 16 (frames 9, 11). */
E2E(corpus_incomplete,
    "suricata-verify/dns/dns-incomplete/input.pcap",
    "5\tgoogle.net", "7\tgoogle.com", "11\tgoogle.com", "13\tgoogle.com")

E2E(corpus_edns_keepalive,
    "zeek/Traces/dns-edns-tcp-keepalive.pcap",
    "4\twikipedia.org", "6\twikipedia.org", "14\twikipedia.org", "16\twikipedia.org")

E2E(corpus_www_google_com,
    "suricata-verify/dns/dns-tcp-www-google-com/dns.pcap",
    "4\twww.google.com", "6\twww.google.com")

E2E(corpus_two_connections,
    "suricata-verify/issues/issue-4759.1/tcpdns.pcap",
    "4\tgoogle.com", "6\tgoogle.com", "14\taol.com", "16\taol.com")

/* Three interfaces, connections caught mid-way; frame 4 is a shorter
 * retransmission of frame 1's bytes (no DNS in tshark either). */
E2E(corpus_pcapng_mid_connection,
    "pcapplusplus/Packet++Test/PacketExamples/dns_over_tcp.pcapng",
    "1\tgithub.com", "2\tcole-tech.net", "3\tcole-tech.net")

/* IPv6 and IPv4 connections whose 1732-byte answers arrive in one
 * (offloaded) segment each. */
E2E(corpus_ipv6_large_segment,
    "ndpi/default/pcap/dns_fragmented.pcap",
    "48\tweberlab.de", "50\tweberlab.de", "60\tweberlab.de", "62\tweberlab.de")

/* ---------------------------------------------------------------------- */
/* Property: a stream of 300 messages (the three vectors with ids 0..299)
 * cut into random chunks, some chunks lost (gaps).  Every message that
 * comes out must be one of the originals, in stream order; without losses
 * all 300 come out.  Fixed seeds: reproducible. */

static uint32_t xrnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545F4914F6CDD1DULL) >> 32);
}

#define PM_N 300

struct pmcheck {
	const uint8_t *stream;
	const size_t *start; /* stream offset of message i (its prefix) */
	const size_t *mlen;  /* with prefix */
	size_t next;         /* first index that may still come */
	size_t got;
	bool bad;
};

static void pm_msg(void *user, const uint8_t *msg, size_t len, const struct dnstcp_info *mi)
{
	struct pmcheck *c = user;

	(void)mi;
	for (size_t i = c->next; i < PM_N; i++) {
		if (c->mlen[i] - 2 == len && memcmp(c->stream + c->start[i] + 2, msg, len) == 0) {
			c->next = i + 1;
			c->got++;
			return;
		}
	}
	c->bad = true;
}

static void pm_run(uint64_t seed, int loss_pct)
{
	static uint8_t s[PM_N * M3_LEN];
	size_t start[PM_N], mlen[PM_N], n = 0;
	uint64_t r = seed;
	const char *vec[] = { M1_HEX, M2_HEX, M3_HEX };
	struct dnstcp_dir d;
	struct pmcheck c = { s, start, mlen, 0, 0, false };
	struct cap_packet cp = { .frame = 1 };
	struct pkt pk = { .cp = &cp };
	struct tcp_src src = { &pk, 1, false };

	for (size_t i = 0; i < PM_N; i++) {
		start[i] = n;
		mlen[i] = unhex(vec[xrnd(&r) % 3], s + n, sizeof(s) - n);
		s[n + 2] = (uint8_t)(i >> 8); /* id */
		s[n + 3] = (uint8_t)i;
		n += mlen[i];
	}
	dnstcp_init(&d);
	for (size_t off = 0; off < n;) {
		size_t len = 1 + xrnd(&r) % 80;

		if (off + len > n)
			len = n - off;
		if ((int)(xrnd(&r) % 100) < loss_pct) {
			dnstcp_gap(&d, len);
		} else {
			uint8_t *copy = malloc(len);

			cr_assert_not_null(copy);
			memcpy(copy, s + off, len);
			dnstcp_feed(&d, copy, len, &src, pm_msg, &c);
			free(copy);
		}
		cr_assert_leq(d.cap, DNSTCP_BUF_MAX);
		off += len;
	}
	dnstcp_flush(&d);
	dnstcp_free(&d);
	cr_assert(!c.bad, "seed %llu: a message that is not in the stream came out", (unsigned long long)seed);
	if (loss_pct == 0)
		cr_assert_eq(c.got, PM_N);
	else
		cr_assert_gt(c.got, 0, "seed %llu: resync never found a boundary", (unsigned long long)seed);
}

Test(dns_tcp, random_chunks_no_loss)
{
	for (uint64_t seed = 1; seed <= 20; seed++)
		pm_run(seed, 0);
}

Test(dns_tcp, random_chunks_with_gaps)
{
	for (uint64_t seed = 100; seed <= 160; seed++)
		pm_run(seed, 5 + (int)(seed % 20));
}

/* Hostile bytes after a gap: random data in random chunks never crashes,
 * never holds more than one message's worth. */
Test(dns_tcp, random_garbage_after_gaps)
{
	uint64_t r = 77;
	struct dnstcp_dir d;
	struct got g = { 0 };
	uint8_t buf[256];

	dnstcp_init(&d);
	for (int i = 0; i < 4000; i++) {
		size_t len = 1 + xrnd(&r) % sizeof(buf);

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)xrnd(&r);
		/* Mostly small lengths and opcode 0 to reach deeper checks. */
		if (len > 6 && xrnd(&r) % 2) {
			buf[0] = 0;
			buf[1] = (uint8_t)(12 + xrnd(&r) % 64);
			buf[4] &= 0x87;
			buf[6] = 0;
			buf[7] = 1;
		}
		if (xrnd(&r) % 50 == 0)
			dnstcp_gap(&d, 7);
		g.n = 0;
		feed(&d, buf, len, (uint64_t)i, &g);
		cr_assert_leq(d.cap, DNSTCP_BUF_MAX);
	}
	dnstcp_flush(&d);
	dnstcp_free(&d);
}
