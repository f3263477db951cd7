/* test_tcp_reassembly.c - TCP reassembly: order, holes, overlaps, wraparound, FIN/RST, caps. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp-reassembly.h"

/*
 * Packets are built directly as struct pkt values (no capture needed).
 * Each payload is handed over in a fresh heap block of exactly its length,
 * freed right after tcp_feed, so AddressSanitizer sees any read past it or
 * any use of it after the call.  Expected streams and counters are worked
 * out by hand from the sequence numbers written in each test.
 */

#define REC_MAX 8192
#define LOG_MAX 4096

/* What the sink saw, in order. */
struct logent {
	char kind;           /* 'D' data, 'G' gap */
	int dir;
	uint32_t len;        /* data bytes or lost bytes */
	uint64_t frame;      /* src->pkt->cp->frame */
	uint64_t trigger;    /* src->trigger_frame */
	bool held;
	bool from_payload;   /* data pointed into the packet being fed (no copy) */
	uint16_t sport;      /* src->pkt->sport */
};

struct rec {
	uint8_t buf[2][REC_MAX];
	size_t len[2];
	uint64_t lost[2];
	struct logent log[LOG_MAX];
	size_t nlog;
	const uint8_t *cur_payload; /* payload of the packet being fed */
	size_t cur_len;
};

static void on_data(void *user, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct rec *r = user;

	cr_assert(dir == 0 || dir == 1);
	cr_assert_gt(len, 0);
	cr_assert_not_null(src->pkt);
	cr_assert_not_null(src->pkt->cp);
	cr_assert_leq(r->len[dir] + len, REC_MAX);
	memcpy(r->buf[dir] + r->len[dir], data, len);
	r->len[dir] += len;
	cr_assert_lt(r->nlog, LOG_MAX);
	struct logent *e = &r->log[r->nlog++];
	e->kind = 'D';
	e->dir = dir;
	e->len = (uint32_t)len;
	e->frame = src->pkt->cp->frame;
	e->trigger = src->trigger_frame;
	e->held = src->held;
	e->from_payload = r->cur_payload && data >= r->cur_payload && data + len <= r->cur_payload + r->cur_len;
	e->sport = src->pkt->sport;
}

static void on_gap(void *user, int dir, uint32_t lost)
{
	struct rec *r = user;

	r->lost[dir] += lost;
	cr_assert_lt(r->nlog, LOG_MAX);
	struct logent *e = &r->log[r->nlog++];
	memset(e, 0, sizeof(*e));
	e->kind = 'G';
	e->dir = dir;
	e->len = lost;
}

/* One test's world: a context, a connection, a recorder. */
struct world {
	struct tcp_ctx ctx;
	struct tcp_conn conn;
	struct rec *rec;
	struct tcp_sink sink;
};

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));

	cr_assert_not_null(w);
	w->rec = calloc(1, sizeof(*w->rec));
	cr_assert_not_null(w->rec);
	tcp_ctx_init(&w->ctx);
	tcp_conn_init(&w->conn);
	w->sink.data = on_data;
	w->sink.gap = on_gap;
	w->sink.user = w->rec;
	return w;
}

static void world_free(struct world *w)
{
	tcp_conn_free(&w->ctx, &w->conn);
	cr_assert_eq(w->ctx.mem_used, 0, "memory account must return to 0");
	free(w->rec);
	free(w);
}

/* Direction 0 is the client 10.0.0.1:40000 -> 10.0.0.2:53, 1 the reverse. */
static void feed_on(struct world *w, struct tcp_conn *c, int dir, uint64_t frame, uint32_t seq,
		    uint32_t ack, uint8_t flags, const void *data, size_t len, bool truncated)
{
	struct cap_packet cp;
	struct pkt p;
	uint8_t *copy = NULL;

	memset(&cp, 0, sizeof(cp));
	memset(&p, 0, sizeof(p));
	cp.frame = frame;
	cp.ts_sec = 1700000000 + (int64_t)frame;
	p.cp = &cp;
	p.proto = 6;
	p.src.af = p.dst.af = 4;
	p.src.a[0] = p.dst.a[0] = 10;
	p.src.a[3] = dir == 0 ? 1 : 2;
	p.dst.a[3] = dir == 0 ? 2 : 1;
	p.sport = dir == 0 ? 40000 : 53;
	p.dport = dir == 0 ? 53 : 40000;
	p.seq = seq;
	p.ack = ack;
	p.tcp_flags = flags;
	p.truncated = truncated;
	if (len) {
		copy = malloc(len);
		cr_assert_not_null(copy);
		memcpy(copy, data, len);
	}
	p.payload = copy;
	p.payload_len = (uint32_t)len;
	w->rec->cur_payload = copy;
	w->rec->cur_len = len;
	cr_assert_eq(tcp_feed(&w->ctx, c, dir, &p, &w->sink), 0);
	w->rec->cur_payload = NULL;
	free(copy);
}

static void feed(struct world *w, int dir, uint64_t frame, uint32_t seq, uint8_t flags, const char *data)
{
	feed_on(w, &w->conn, dir, frame, seq, 0, flags, data, data ? strlen(data) : 0, false);
}

#define A TCP_FLAG_ACK
#define PA (TCP_FLAG_PSH | TCP_FLAG_ACK)

/* Client ISN 1000, server ISN 5000: frames 1-3. */
static void handshake(struct world *w)
{
	feed(w, 0, 1, 1000, TCP_FLAG_SYN, NULL);
	feed(w, 1, 2, 5000, TCP_FLAG_SYN | A, NULL);
	feed(w, 0, 3, 1001, A, NULL);
}

static void assert_stream(const struct world *w, int dir, const char *want)
{
	size_t n = strlen(want);

	cr_assert_eq(w->rec->len[dir], n, "dir %d: %zu bytes, want %zu", dir, w->rec->len[dir], n);
	cr_assert(memcmp(w->rec->buf[dir], want, n) == 0, "dir %d: stream differs: %.*s", dir,
		  (int)w->rec->len[dir], (const char *)w->rec->buf[dir]);
}

/* ---------------------------------------------------------------------- */

Test(tcp_reassembly, seq_diff_wraps)
{
	cr_assert_eq(tcp_seq_diff(5, 3), 2);
	cr_assert_eq(tcp_seq_diff(3, 5), -2);
	cr_assert_eq(tcp_seq_diff(0x00000005u, 0xFFFFFFFBu), 10);  /* 5 - (2^32 - 5) mod 2^32 */
	cr_assert_eq(tcp_seq_diff(0xFFFFFFFBu, 0x00000005u), -10);
	cr_assert_eq(tcp_seq_diff(0x80000000u, 0), INT32_MIN);
	cr_assert_eq(tcp_seq_diff(0x7FFFFFFFu, 0), INT32_MAX);
}

Test(tcp_reassembly, in_order)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "abc");  /* 1001..1003 */
	feed(w, 0, 5, 1004, PA, "def");  /* 1004..1006 */
	feed(w, 1, 6, 5001, PA, "XY");   /* server, after its SYN */
	feed(w, 0, 7, 1007, PA, "ghi");
	assert_stream(w, 0, "abcdefghi");
	assert_stream(w, 1, "XY");
	cr_assert_eq(w->rec->nlog, 4);
	/* One delivery per segment, straight from the packet (no copy). */
	uint64_t frames[] = { 4, 5, 6, 7 };
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(w->rec->log[i].kind, 'D');
		cr_assert_eq(w->rec->log[i].frame, frames[i]);
		cr_assert_eq(w->rec->log[i].trigger, frames[i]);
		cr_assert(w->rec->log[i].from_payload);
		cr_assert(!w->rec->log[i].held);
	}
	cr_assert_eq(w->ctx.st.segments, 7);
	cr_assert_eq(w->ctx.st.out_of_order, 0);
	cr_assert_eq(w->ctx.st.gaps, 0);
	cr_assert_eq(w->ctx.st.mem_peak, 0, "the in-order path allocates nothing");
	world_free(w);
}

Test(tcp_reassembly, out_of_order_1_3_2)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "AAAA"); /* 1001..1004 */
	feed(w, 0, 5, 1009, PA, "CCCC"); /* 1009..1012: ahead of a hole */
	assert_stream(w, 0, "AAAA");
	cr_assert_eq(w->ctx.st.out_of_order, 1);
	cr_assert_eq(w->conn.d[0].nsegs, 1);
	cr_assert_eq(w->conn.d[0].held_bytes, 4);
	cr_assert_gt(w->ctx.mem_used, 4);
	feed(w, 0, 6, 1005, PA, "BBBB"); /* fills 1005..1008 */
	assert_stream(w, 0, "AAAABBBBCCCC");
	cr_assert_eq(w->rec->nlog, 3);
	/* The held bytes come with their own frame (5), triggered by 6. */
	cr_assert_eq(w->rec->log[1].frame, 6);
	cr_assert(w->rec->log[1].from_payload);
	cr_assert_eq(w->rec->log[2].frame, 5);
	cr_assert_eq(w->rec->log[2].trigger, 6);
	cr_assert(w->rec->log[2].held);
	cr_assert_eq(w->rec->log[2].sport, 40000, "held data keeps its direction's packet");
	cr_assert_eq(w->ctx.mem_used, 0);
	cr_assert_eq(w->ctx.st.gaps, 0);
	world_free(w);
}

Test(tcp_reassembly, retransmission_dropped)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "query");
	feed(w, 0, 5, 1001, PA, "query"); /* the same segment again */
	feed(w, 0, 6, 1006, PA, "!");
	assert_stream(w, 0, "query!");
	cr_assert_eq(w->ctx.st.retransmissions, 1);
	cr_assert_eq(w->ctx.st.overlaps, 0);
	world_free(w);
}

Test(tcp_reassembly, keepalive_is_harmless)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "ab");
	/* RFC 9293 3.8.4 keep-alive: one garbage byte at SND.NXT - 1. */
	feed(w, 0, 5, 1002, A, "Z");
	feed(w, 0, 6, 1003, PA, "cd");
	assert_stream(w, 0, "abcd");
	cr_assert_eq(w->ctx.st.keepalives, 1);
	world_free(w);
}

Test(tcp_reassembly, partial_overlap_first_wins)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "AAAA");   /* 1001..1004 delivered */
	feed(w, 0, 5, 1009, PA, "CCCC");   /* 1009..1012 held */
	/* 1007..1012: 1007-1008 are new (held), 1009-1012 differ from the
	 * held "CCCC": 4 conflicting bytes, the held copy stays. */
	feed(w, 0, 6, 1007, PA, "xxYYYY");
	cr_assert_eq(w->ctx.st.overlap_conflict_bytes, 4);
	/* 1005..1008: 1007-1008 were held ("xx"), "BB" differs: 2 more. */
	feed(w, 0, 7, 1005, PA, "BBBB");
	assert_stream(w, 0, "AAAABBxxCCCC");
	cr_assert_eq(w->ctx.st.overlap_conflicts, 2);
	cr_assert_eq(w->ctx.st.overlap_conflict_bytes, 6);
	cr_assert(w->conn.d[0].anomalies & TCP_ANOM_OVERLAP_CONFLICT);
	/* Repacketised retransmission of delivered bytes plus new ones:
	 * 1011..1014, of which 1013-1014 are new. */
	feed(w, 0, 8, 1011, PA, "CCDD");
	assert_stream(w, 0, "AAAABBxxCCCCDD");
	cr_assert_eq(w->ctx.st.gaps, 0);
	world_free(w);
}

Test(tcp_reassembly, overlap_with_last_held_piece)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "AAAA");   /* 1001..1004 */
	feed(w, 0, 5, 1009, PA, "CCCC");   /* 1009..1012 held */
	/* 1011..1014 overlaps the end of the last piece: "CX" against "CC"
	 * (1 byte differs), "DD" (1013..1014) is new. */
	feed(w, 0, 6, 1011, PA, "CXDD");
	cr_assert_eq(w->conn.d[0].nsegs, 2);
	cr_assert_eq(w->conn.d[0].held_bytes, 6);
	cr_assert_eq(w->ctx.st.overlap_conflict_bytes, 1);
	feed(w, 0, 7, 1005, PA, "BBBB");
	assert_stream(w, 0, "AAAABBBBCCCCDD");
	world_free(w);
}

Test(tcp_reassembly, identical_overlap_is_not_a_conflict)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "AAAA");
	feed(w, 0, 5, 1009, PA, "CCCC");
	feed(w, 0, 6, 1005, PA, "BBBBCC"); /* overlaps 1009-1010 with equal bytes */
	assert_stream(w, 0, "AAAABBBBCCCC");
	cr_assert_eq(w->ctx.st.overlap_conflicts, 0);
	cr_assert_eq(w->ctx.st.overlaps, 1);
	world_free(w);
}

Test(tcp_reassembly, capture_starts_mid_connection)
{
	struct world *w = world_new();

	/* No handshake: each direction starts at its first segment. */
	feed(w, 1, 1, 777000, A, NULL);            /* server pure ACK */
	feed(w, 0, 2, 123456, PA, "hello");
	feed(w, 0, 3, 123461, PA, "world");
	feed(w, 1, 4, 777000, PA, "reply");
	assert_stream(w, 0, "helloworld");
	assert_stream(w, 1, "reply");
	cr_assert(!w->conn.d[0].syn_seen);
	cr_assert_eq(w->conn.d[0].next, 123466);
	cr_assert_eq(w->ctx.st.gaps, 0);
	world_free(w);
}

Test(tcp_reassembly, isn_near_wrap)
{
	struct world *w = world_new();

	/* ISN 2^32 - 16: data starts at 0xFFFFFFF1 and wraps after 15 bytes. */
	feed(w, 0, 1, 0xFFFFFFF0u, TCP_FLAG_SYN, NULL);
	feed(w, 0, 2, 0xFFFFFFF1u, PA, "0123456789");  /* ..0xFFFFFFFA */
	feed(w, 0, 3, 0x00000005u, PA, "KLMNOPQRST");  /* 5..14: held across the wrap */
	cr_assert_eq(w->ctx.st.out_of_order, 1);
	feed(w, 0, 4, 0xFFFFFFFBu, PA, "abcdefghij");  /* 0xFFFFFFFB..4: fills */
	assert_stream(w, 0, "0123456789abcdefghijKLMNOPQRST");
	cr_assert_eq(w->conn.d[0].next, 15);
	cr_assert_eq(w->ctx.st.gaps, 0);
	/* An old segment from before the wrap is old, not 4 GB ahead. */
	feed(w, 0, 5, 0xFFFFFFF1u, PA, "0123456789");
	cr_assert_eq(w->ctx.st.retransmissions, 1);
	cr_assert_eq(w->ctx.st.out_of_window, 0);
	world_free(w);
}

Test(tcp_reassembly, lost_segment_then_flush)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "one.");    /* 1001..1004 */
	/* "two." (1005..1008) never captured */
	feed(w, 0, 6, 1009, PA, "three.");  /* 1009..1014 */
	feed(w, 0, 7, 1015, PA, "four");    /* 1015..1018 */
	assert_stream(w, 0, "one.");
	tcp_conn_flush(&w->ctx, &w->conn, &w->sink);
	assert_stream(w, 0, "one.three.four");
	cr_assert_eq(w->rec->lost[0], 4);
	cr_assert_eq(w->ctx.st.gaps, 1);
	cr_assert_eq(w->ctx.st.gap_bytes, 4);
	cr_assert(w->conn.d[0].anomalies & TCP_ANOM_GAP);
	/* Order: data, gap, then the held pieces with their own frames. */
	cr_assert_eq(w->rec->nlog, 4);
	cr_assert_eq(w->rec->log[1].kind, 'G');
	cr_assert_eq(w->rec->log[1].len, 4);
	cr_assert_eq(w->rec->log[2].frame, 6);
	cr_assert_eq(w->rec->log[2].trigger, 0, "flush has no trigger packet");
	cr_assert_eq(w->rec->log[3].frame, 7);
	cr_assert_eq(w->ctx.mem_used, 0);
	world_free(w);
}

Test(tcp_reassembly, acked_hole_is_skipped_at_once)
{
	struct world *w = world_new();

	handshake(w);
	feed_on(w, &w->conn, 0, 4, 1001, 5001, PA, "q1..", 4, false);  /* 1001..1004 */
	/* q2 (1005..1008) not captured; the server's ACK says it arrived. */
	feed_on(w, &w->conn, 1, 5, 5001, 1009, A, NULL, 0, false);
	feed_on(w, &w->conn, 0, 6, 1009, 5001, PA, "q3..", 4, false);
	/* No flush needed: delivered by frame 6 itself. */
	assert_stream(w, 0, "q1..q3..");
	cr_assert_eq(w->rec->lost[0], 4);
	cr_assert_eq(w->rec->log[2].frame, 6);
	cr_assert_eq(w->rec->log[2].trigger, 6);
	cr_assert_eq(w->conn.d[0].nsegs, 0);
	world_free(w);
}

Test(tcp_reassembly, ack_releases_held_data)
{
	struct world *w = world_new();

	handshake(w);
	feed_on(w, &w->conn, 0, 4, 1001, 5001, PA, "q1..", 4, false);
	feed_on(w, &w->conn, 0, 5, 1009, 5001, PA, "q3..", 4, false); /* held */
	assert_stream(w, 0, "q1..");
	/* The server acknowledges everything: 1005..1008 is lost. */
	feed_on(w, &w->conn, 1, 6, 5001, 1013, PA, "r1", 2, false);
	assert_stream(w, 0, "q1..q3..");
	assert_stream(w, 1, "r1");
	/* The held bytes come with a client packet (frame 5), not with the
	 * server packet that released them (trigger 6). */
	cr_assert_eq(w->rec->log[1].kind, 'G');
	cr_assert_eq(w->rec->log[2].dir, 0);
	cr_assert_eq(w->rec->log[2].frame, 5);
	cr_assert_eq(w->rec->log[2].trigger, 6);
	cr_assert_eq(w->rec->log[2].sport, 40000);
	world_free(w);
}

Test(tcp_reassembly, snaplen_cut_segment)
{
	struct world *w = world_new();

	handshake(w);
	/* 20 bytes on the wire, 8 captured. */
	feed_on(w, &w->conn, 0, 4, 1001, 0, PA, "12345678", 8, true);
	feed_on(w, &w->conn, 0, 5, 1021, 0, PA, "next", 4, false);
	assert_stream(w, 0, "12345678next");
	cr_assert_eq(w->rec->lost[0], 12);
	cr_assert_eq(w->conn.d[0].nsegs, 0, "a snaplen hole is never waited for");
	world_free(w);
}

Test(tcp_reassembly, dir_cap_skips_hole)
{
	struct world *w = world_new();
	char seg[101];

	w->ctx.dir_cap = 1000;
	handshake(w);
	memset(seg, 'a', 100);
	seg[100] = '\0';
	feed(w, 0, 4, 1001, PA, seg);             /* 1001..1100 */
	/* 1101..1200 lost; 10 segments of 100 fill the 1000-byte cap. */
	for (int i = 0; i < 10; i++) {
		memset(seg, 'c' + i, 100);
		feed(w, 0, 5 + (uint64_t)i, 1201 + 100 * (uint32_t)i, PA, seg);
	}
	cr_assert_eq(w->conn.d[0].held_bytes, 1000);
	cr_assert_eq(w->rec->len[0], 100);
	cr_assert_eq(w->ctx.st.cap_hits, 0);
	memset(seg, 'z', 100);
	feed(w, 0, 15, 2201, PA, seg);            /* one more: over the cap */
	cr_assert_eq(w->ctx.st.cap_hits, 1);
	cr_assert_eq(w->rec->lost[0], 100);
	cr_assert_eq(w->rec->len[0], 1200);
	cr_assert_eq(w->rec->buf[0][99], 'a');
	cr_assert_eq(w->rec->buf[0][100], 'c');
	cr_assert_eq(w->rec->buf[0][1099], 'l');  /* 'c' + 9 */
	cr_assert_eq(w->rec->buf[0][1100], 'z');
	cr_assert_eq(w->conn.d[0].held_bytes, 0);
	cr_assert(w->conn.d[0].anomalies & TCP_ANOM_CAP);
	world_free(w);
}

Test(tcp_reassembly, global_memcap)
{
	struct world *w = world_new();
	struct tcp_conn other;
	char seg[101];

	tcp_conn_init(&other);
	memset(seg, 'h', 100);
	seg[100] = '\0';
	/* Connection "other" holds 100 bytes (hole at 2..10). */
	feed_on(w, &other, 0, 1, 1, 0, PA, "0", 1, false);
	feed_on(w, &other, 0, 2, 11, 0, PA, seg, 100, false);
	size_t used = w->ctx.mem_used;
	size_t before = w->rec->len[0]; /* "0" from the other connection */
	cr_assert_gt(used, 100);
	/* Room for less than another such piece in total. */
	w->ctx.memcap = used + 60;
	handshake(w);
	feed(w, 0, 4, 1001, PA, "first");         /* 1001..1005 */
	feed(w, 0, 5, 1011, PA, seg);             /* after a 5-byte hole: cannot be held */
	cr_assert_eq(w->ctx.st.memcap_hits, 1);
	cr_assert_eq(w->ctx.st.cap_hits, 1);
	cr_assert_eq(w->rec->lost[0], 5);
	cr_assert_eq(w->rec->len[0] - before, 105, "the new data is delivered, the hole given up");
	cr_assert(w->rec->log[w->rec->nlog - 1].from_payload);
	cr_assert_eq(w->ctx.mem_used, used, "the other connection keeps its data");
	tcp_conn_free(&w->ctx, &other);
	world_free(w);
}

Test(tcp_reassembly, fin_then_late_data)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "abc");          /* 1001..1003 */
	feed(w, 0, 5, 1007, PA, "ghi");          /* 1007..1009 held */
	feed(w, 0, 6, 1010, TCP_FLAG_FIN | A, NULL); /* FIN at 1010 */
	cr_assert(!w->conn.d[0].closed, "a FIN does not give up the hole");
	feed(w, 0, 7, 1004, PA, "def");          /* the hole fills */
	assert_stream(w, 0, "abcdefghi");
	cr_assert(w->conn.d[0].closed);
	feed(w, 0, 8, 1010, PA, "XYZ");          /* after the FIN */
	feed(w, 0, 9, 1008, PA, "hiJK");         /* 1008-1009 old, 1010-1011 late */
	assert_stream(w, 0, "abcdefghi");
	cr_assert_eq(w->ctx.st.late_segments, 2);
	cr_assert_eq(w->ctx.st.late_bytes, 5);
	cr_assert(w->conn.d[0].anomalies & TCP_ANOM_DATA_AFTER_CLOSE);
	/* The other direction is still open (half close). */
	feed(w, 1, 10, 5001, PA, "resp");
	assert_stream(w, 1, "resp");
	world_free(w);
}

Test(tcp_reassembly, fin_drops_held_data_beyond_it)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "ab");           /* 1001..1002 */
	feed(w, 0, 5, 1005, PA, "efgh");         /* 1005..1008 held */
	/* 1003..1005 plus a FIN at 1006: the held "fgh" (1006..1008) lies
	 * past the end of the stream; the held "e" (1005) came before the
	 * new "E" and stays. */
	feed(w, 0, 6, 1003, TCP_FLAG_FIN | PA, "cdE");
	assert_stream(w, 0, "abcde");
	cr_assert_eq(w->ctx.st.late_bytes, 3);
	cr_assert_eq(w->ctx.st.overlap_conflict_bytes, 1);
	cr_assert(w->conn.d[0].closed);
	world_free(w);
}

Test(tcp_reassembly, rst_flushes_and_ends)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA, "ab");
	feed(w, 0, 5, 1005, PA, "ef");           /* held after a 2-byte hole */
	/* Out-of-window RST (blind injection): ignored. */
	feed(w, 0, 6, 1001 + 0x50000000u, TCP_FLAG_RST, NULL);
	cr_assert_eq(w->ctx.st.rst_ignored, 1);
	cr_assert_eq(w->rec->len[0], 2);
	feed(w, 0, 7, 1007, TCP_FLAG_RST, NULL);
	assert_stream(w, 0, "abef");
	cr_assert_eq(w->rec->lost[0], 2);
	cr_assert(w->conn.d[0].closed && w->conn.d[1].closed);
	feed(w, 1, 8, 5001, PA, "late");
	cr_assert_eq(w->rec->len[1], 0);
	cr_assert_eq(w->ctx.st.late_bytes, 4);
	world_free(w);
}

Test(tcp_reassembly, port_reuse_after_close)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001, PA | TCP_FLAG_FIN, "old");
	cr_assert(w->conn.d[0].closed);
	feed(w, 0, 5, 90000, TCP_FLAG_SYN, NULL);  /* a new connection, new ISN */
	feed(w, 0, 6, 90001, PA, "new");
	assert_stream(w, 0, "oldnew");
	world_free(w);
}

Test(tcp_reassembly, syn_data_follows_isn)
{
	struct world *w = world_new();

	/* TCP Fast Open (RFC 7413): data in the SYN starts at ISN + 1. */
	feed(w, 0, 1, 41, TCP_FLAG_SYN, "fast");
	feed(w, 0, 2, 46, PA, "open");
	assert_stream(w, 0, "fastopen");
	world_free(w);
}

Test(tcp_reassembly, far_ahead_segment_dropped)
{
	struct world *w = world_new();

	handshake(w);
	feed(w, 0, 4, 1001 + 0x40000000u, PA, "far");
	cr_assert_eq(w->ctx.st.out_of_window, 1);
	cr_assert_eq(w->conn.d[0].nsegs, 0);
	feed(w, 0, 5, 1001, PA, "near");
	assert_stream(w, 0, "near");
	world_free(w);
}

Test(tcp_reassembly, two_thousand_tiny_segments)
{
	struct world *w = world_new();

	handshake(w);
	/* 2000 one-byte segments (byte k = k mod 251), sent last first.  The
	 * first 1024 (k = 1999..976) are held; k = 975 exceeds the segment
	 * cap, so the hole 0..974 is given up, 975..1999 delivered, and
	 * k = 974..0 arrive as old data. */
	for (int k = 1999; k >= 0; k--) {
		char b = (char)(k % 251);

		feed_on(w, &w->conn, 0, 4 + (uint64_t)(1999 - k), 1001 + (uint32_t)k, 0, PA, &b, 1, false);
		cr_assert_leq(w->conn.d[0].nsegs, TCP_DEFAULT_MAX_SEGS);
	}
	cr_assert_eq(w->ctx.st.cap_hits, 1);
	cr_assert_eq(w->rec->lost[0], 975);
	cr_assert_eq(w->rec->len[0], 1025);
	for (size_t i = 0; i < 1025; i++)
		cr_assert_eq(w->rec->buf[0][i], (uint8_t)((975 + i) % 251), "byte %zu", i);
	cr_assert_eq(w->ctx.st.retransmissions, 975);
	cr_assert_eq(w->conn.d[0].nsegs, 0);
	cr_assert_eq(w->ctx.mem_used, 0);
	world_free(w);
}

Test(tcp_reassembly, bad_direction)
{
	struct world *w = world_new();
	struct cap_packet cp = { .frame = 1 };
	struct pkt p = { .cp = &cp };

	cr_assert_eq(tcp_feed(&w->ctx, &w->conn, 2, &p, &w->sink), -1);
	cr_assert_eq(tcp_feed(&w->ctx, &w->conn, -1, &p, &w->sink), -1);
	cr_assert_eq(w->ctx.st.segments, 0);
	world_free(w);
}

/* ---------------------------------------------------------------------- */
/* Property checks on random segmentations (fixed seeds: reproducible). */

static uint32_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545F4914F6CDD1DULL) >> 32);
}

#define PROP_LEN 6000

/* Checks every delivered byte against the stream at its position. */
struct prop {
	const uint8_t *stream;
	uint32_t pos;  /* stream offset of the next byte expected */
	uint64_t lost;
	bool bad;
};

static void prop_data(void *user, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct prop *pr = user;

	(void)dir;
	(void)src;
	if (pr->pos + len > PROP_LEN || memcmp(data, pr->stream + pr->pos, len) != 0)
		pr->bad = true;
	pr->pos += (uint32_t)len;
}

static void prop_gap(void *user, int dir, uint32_t lost)
{
	struct prop *pr = user;

	(void)dir;
	pr->pos += lost;
	pr->lost += lost;
}

struct pseg {
	uint32_t off, len;
};

/*
 * Cuts the stream into random segments (1..300 bytes), adds random
 * retransmissions of overlapping ranges, shuffles within a window of 20,
 * optionally drops some, feeds all, flushes.  Every delivered byte must be
 * the stream's byte at that position; without drops nothing may be lost.
 */
static void prop_run(uint64_t seed, uint32_t isn, bool drop, size_t dir_cap)
{
	static uint8_t stream[PROP_LEN];
	struct pseg segs[2 * PROP_LEN];
	size_t n = 0;
	uint64_t s = seed;
	struct tcp_ctx ctx;
	struct tcp_conn c;
	struct prop pr = { stream, 0, 0, false };
	struct tcp_sink sink = { prop_data, prop_gap, &pr };
	uint32_t covered = 0; /* stream bytes present in some fed segment: a prefix length when !drop */

	for (size_t i = 0; i < PROP_LEN; i++)
		stream[i] = (uint8_t)rnd(&s);
	for (uint32_t off = 0; off < PROP_LEN;) {
		uint32_t len = 1 + rnd(&s) % 300;

		if (off + len > PROP_LEN)
			len = PROP_LEN - off;
		segs[n++] = (struct pseg){ off, len };
		if (rnd(&s) % 4 == 0) { /* a retransmission that may straddle */
			uint32_t o2 = off >= 50 ? off - rnd(&s) % 50 : off;
			uint32_t l2 = 1 + rnd(&s) % 400;

			if (o2 + l2 > PROP_LEN)
				l2 = PROP_LEN - o2;
			segs[n++] = (struct pseg){ o2, l2 };
		}
		off += len;
	}
	for (size_t i = 0; i < n; i++) { /* local shuffle */
		size_t j = i + rnd(&s) % 20;

		if (j < n) {
			struct pseg t = segs[i];
			segs[i] = segs[j];
			segs[j] = t;
		}
	}
	tcp_ctx_init(&ctx);
	ctx.dir_cap = dir_cap;
	tcp_conn_init(&c);
	{
		struct cap_packet cp = { .frame = 1 };
		struct pkt p = { .cp = &cp, .seq = isn, .tcp_flags = TCP_FLAG_SYN };

		tcp_feed(&ctx, &c, 0, &p, &sink);
	}
	for (size_t i = 0; i < n; i++) {
		if (drop && rnd(&s) % 10 == 0)
			continue;
		struct cap_packet cp = { .frame = 2 + i };
		uint8_t *copy = malloc(segs[i].len);
		struct pkt p = { .cp = &cp, .seq = isn + 1 + segs[i].off, .tcp_flags = PA,
				 .payload = copy, .payload_len = segs[i].len };

		cr_assert_not_null(copy);
		memcpy(copy, stream + segs[i].off, segs[i].len);
		tcp_feed(&ctx, &c, 0, &p, &sink);
		free(copy);
		if (segs[i].off + segs[i].len > covered)
			covered = segs[i].off + segs[i].len;
	}
	tcp_conn_flush(&ctx, &c, &sink);
	cr_assert(!pr.bad, "seed %llu: a delivered byte is not the stream's", (unsigned long long)seed);
	cr_assert_eq(pr.pos, covered, "seed %llu: stream ends at %u, want %u", (unsigned long long)seed,
		     pr.pos, covered);
	if (!drop && dir_cap >= PROP_LEN) {
		cr_assert_eq(pr.lost, 0, "seed %llu", (unsigned long long)seed);
		cr_assert_eq(ctx.st.overlap_conflicts, 0);
	}
	cr_assert_leq(c.d[0].nsegs, ctx.max_segs);
	tcp_conn_free(&ctx, &c);
	cr_assert_eq(ctx.mem_used, 0);
}

Test(tcp_reassembly, random_reorder_no_loss)
{
	for (uint64_t seed = 1; seed <= 40; seed++)
		prop_run(seed, (uint32_t)(seed * 0x9E3779B9u), false, TCP_DEFAULT_DIR_CAP);
	/* Across the wrap: the ISN sits 3000 bytes below 2^32. */
	for (uint64_t seed = 41; seed <= 60; seed++)
		prop_run(seed, 0xFFFFFFFFu - 3000, false, TCP_DEFAULT_DIR_CAP);
}

Test(tcp_reassembly, random_reorder_with_drops)
{
	for (uint64_t seed = 100; seed <= 140; seed++)
		prop_run(seed, 0xFFFFF000u + (uint32_t)seed, true, TCP_DEFAULT_DIR_CAP);
}

Test(tcp_reassembly, random_reorder_small_cap)
{
	/* A 500-byte cap forces holes to be given up while data is still
	 * being reordered: bytes may be lost, never misplaced. */
	for (uint64_t seed = 200; seed <= 240; seed++)
		prop_run(seed, (uint32_t)seed, seed % 2 == 0, 500);
}
