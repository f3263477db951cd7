/* test_defrag.c - IPv4/IPv6 fragment reassembly: order, overlaps, duplicates, loss, timeouts, caps. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "capbuild.h"
#include "decode.h"
#include "defrag.h"

#define SEC INT64_C(1000000000)

/* IPv4 header 10.0.0.1 -> 10.0.0.2, UDP, id 0x0042, MF set (the rebuild
 * must clear it), DF set (it must stay), checksum left wrong on purpose:
 * reassembly recomputes it. */
static const uint8_t hdr4[20] = {
	0x45, 0x00, 0x00, 0x00, 0x00, 0x42, 0x60, 0x00, 0x40, 0x11, 0xde, 0xad,
	10, 0, 0, 1, 10, 0, 0, 2,
};

static struct defrag_frag f4(uint16_t id, uint32_t off, bool more, const void *data, uint32_t len,
			     int64_t ts)
{
	struct defrag_frag f;
	memset(&f, 0, sizeof(f));
	f.af = 4;
	f.proto = 17;
	f.id = id;
	memcpy(f.src, hdr4 + 12, 4);
	memcpy(f.dst, hdr4 + 16, 4);
	f.ts_ns = ts;
	f.offset = off;
	f.more = more;
	f.data = data;
	f.len = len;
	f.hdr = hdr4;
	f.hdr_len = 20;
	return f;
}

static uint16_t csum_ok(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum; /* 0xffff when the checksum field is right */
}

static const uint8_t A[16] = "AAAAAAAAAAAAAAAA", B[16] = "BBBBBBBBBBBBBBBB", C[8] = "CCCCCCCC";

/* ---------------------------------------------------------------------- */
/* The defrag API */

Test(defrag, ipv4_rebuilt_header)
{
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	struct defrag_frag f = f4(0x42, 16, false, C, 8, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(0x42, 0, true, A, 16, 1);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	cr_assert_eq(n, 20 + 24);
	cr_assert_eq(out[2], 0);
	cr_assert_eq(out[3], 44);   /* total length */
	cr_assert_eq(out[6], 0x40); /* DF kept, MF and offset cleared */
	cr_assert_eq(out[7], 0);
	cr_assert_eq(csum_ok(out, 20), 0xffff);
	cr_assert_eq(memcmp(out + 20, A, 16), 0);
	cr_assert_eq(memcmp(out + 36, C, 8), 0);
	cr_assert_eq(defrag_pending(df), 0);
	cr_assert_eq(defrag_mem(df), 0);
	cr_assert_eq(defrag_get_stats(df)->frags, 2);
	cr_assert_eq(defrag_get_stats(df)->reassembled, 1);
	defrag_free(df);
}

/* First come wins: a later fragment cannot rewrite bytes already held. */
Test(defrag, overlap_first_come_wins)
{
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	/* A [0,16), then B [8,24) overlapping A's last 8 bytes, then C [24,32) */
	struct defrag_frag f = f4(1, 0, true, A, 16, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(1, 8, true, B, 16, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(1, 24, false, C, 8, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	cr_assert_eq(n, 20 + 32);
	cr_assert_eq(memcmp(out + 20, "AAAAAAAAAAAAAAAABBBBBBBBCCCCCCCC", 32), 0);
	cr_assert_eq(defrag_get_stats(df)->overlaps, 1);

	/* Other order: B first keeps [8,24); A only adds [0,8). */
	f = f4(2, 8, true, B, 16, 0);
	defrag_add(df, &f, &out, &n);
	f = f4(2, 0, true, A, 16, 0);
	defrag_add(df, &f, &out, &n);
	f = f4(2, 24, false, C, 8, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	cr_assert_eq(memcmp(out + 20, "AAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC", 32), 0);
	cr_assert_eq(defrag_get_stats(df)->overlaps, 2);
	cr_assert_eq(defrag_get_stats(df)->dups, 0);
	defrag_free(df);
}

Test(defrag, duplicates_ignored)
{
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	struct defrag_frag f = f4(3, 0, true, A, 16, 0);
	defrag_add(df, &f, &out, &n);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(3, 16, false, C, 8, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	cr_assert_eq(defrag_get_stats(df)->dups, 1);
	cr_assert_eq(defrag_get_stats(df)->overlaps, 0);
	cr_assert_eq(defrag_get_stats(df)->reassembled, 1);
	/* a late copy starts a new datagram that never completes */
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	cr_assert_eq(defrag_pending(df), 1);
	defrag_free(df);
}

/* Two last fragments that disagree on the length, and data past the end. */
Test(defrag, inconsistent_end)
{
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	struct defrag_frag f = f4(4, 16, false, C, 8, 0); /* ends at 24 */
	defrag_add(df, &f, &out, &n);
	f = f4(4, 24, false, C, 8, 0); /* would end at 32 */
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(4, 24, true, C, 8, 0); /* beyond the end */
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	cr_assert_eq(defrag_get_stats(df)->overlaps, 2);
	f = f4(4, 0, true, A, 16, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	cr_assert_eq(n, 20 + 24);
	defrag_free(df);
}

/* A datagram with a hole never completes and times out after 30 s of
 * capture time (measured from its first fragment). */
Test(defrag, missing_fragment_times_out)
{
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	struct defrag_frag f = f4(5, 0, true, A, 8, 100 * SEC);
	defrag_add(df, &f, &out, &n);
	f = f4(5, 16, false, C, 8, 101 * SEC); /* [8,16) never comes */
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	/* exactly 30 s after the first fragment: still waiting */
	f = f4(6, 0, true, A, 8, 130 * SEC);
	defrag_add(df, &f, &out, &n);
	cr_assert_eq(defrag_pending(df), 2);
	cr_assert_eq(defrag_get_stats(df)->timeouts, 0);
	/* one nanosecond later: id 5 is given up */
	f = f4(7, 0, true, A, 8, 130 * SEC + 1);
	defrag_add(df, &f, &out, &n);
	cr_assert_eq(defrag_pending(df), 2);
	cr_assert_eq(defrag_get_stats(df)->timeouts, 1);
	cr_assert_eq(defrag_get_stats(df)->dropped, 1);
	/* its missing piece now starts a new, incomplete datagram */
	f = f4(5, 8, true, A, 8, 131 * SEC);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	cr_assert_eq(defrag_pending(df), 3);
	defrag_free(df);
}

Test(defrag, key_includes_protocol_and_addresses)
{
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	struct defrag_frag f = f4(8, 0, true, A, 16, 0);
	defrag_add(df, &f, &out, &n);
	f = f4(8, 16, false, C, 8, 0);
	f.proto = 6;
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(8, 16, false, C, 8, 0);
	f.src[3] = 9;
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	cr_assert_eq(defrag_pending(df), 3);
	defrag_free(df);
}

/* At most max_dgrams in progress: the oldest goes. */
Test(defrag, datagram_cap_evicts_oldest)
{
	struct defrag_limits lim = {.max_dgrams = 4, .max_payload = 65535, .max_mem = 1 << 20,
				    .timeout_ns = 30 * SEC};
	struct defrag *df = defrag_new(&lim, 1);
	const uint8_t *out;
	uint32_t n;
	for (uint16_t id = 1; id <= 5; id++) {
		struct defrag_frag f = f4(id, 0, true, A, 16, id);
		cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	}
	cr_assert_eq(defrag_pending(df), 4);
	cr_assert(defrag_get_stats(df)->cap_reached);
	cr_assert_eq(defrag_get_stats(df)->evicted, 1);
	/* id 1 lost its head: its tail alone cannot complete */
	struct defrag_frag f = f4(1, 16, false, C, 8, 10);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	/* (adding it evicted id 2, the oldest now); id 3 still completes */
	f = f4(3, 16, false, C, 8, 11);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	f = f4(2, 16, false, C, 8, 12);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	defrag_free(df);
}

/* At most max_mem bytes held: old datagrams go first; one datagram bigger
 * than the whole budget is given up. */
Test(defrag, memory_cap)
{
	static uint8_t big[4000];
	struct defrag_limits lim = {.max_dgrams = 100, .max_payload = 65535, .max_mem = 10000,
				    .timeout_ns = 30 * SEC};
	struct defrag *df = defrag_new(&lim, 1);
	const uint8_t *out;
	uint32_t n;
	for (uint16_t id = 1; id <= 5; id++) {
		struct defrag_frag f = f4(id, 0, true, big, sizeof(big), id);
		cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
		cr_assert_leq(defrag_mem(df), 10000);
	}
	cr_assert_eq(defrag_pending(df), 2);
	cr_assert(defrag_get_stats(df)->cap_reached);
	cr_assert_eq(defrag_get_stats(df)->evicted, 3);
	/* the newest two survive: id 5 completes */
	struct defrag_frag f = f4(5, 4000, false, C, 8, 6);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DONE);
	cr_assert_eq(n, 20 + 4008);
	/* 12000 bytes in one datagram: more than the budget */
	f = f4(9, 0, true, big, sizeof(big), 7);
	defrag_add(df, &f, &out, &n);
	f = f4(9, 4000, true, big, sizeof(big), 7);
	defrag_add(df, &f, &out, &n);
	f = f4(9, 8000, true, big, sizeof(big), 7);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DROPPED);
	cr_assert_leq(defrag_mem(df), 10000);
	defrag_free(df);
}

/* Many small disjoint fragments (a hole after each) grow the range list;
 * that memory counts too. */
Test(defrag, memory_cap_counts_hole_bookkeeping)
{
	struct defrag_limits lim = {.max_dgrams = 100, .max_payload = 65535, .max_mem = 20000,
				    .timeout_ns = 30 * SEC};
	struct defrag *df = defrag_new(&lim, 1);
	const uint8_t *out;
	uint32_t n;
	unsigned dropped_at = 0;
	for (unsigned i = 0; i < 2000; i++) {
		struct defrag_frag f = f4(1, 16 * i, true, A, 8, 0);
		if (defrag_add(df, &f, &out, &n) == DEFRAG_DROPPED && !dropped_at)
			dropped_at = i;
		cr_assert_leq(defrag_mem(df), 20000, "after fragment %u", i);
	}
	cr_assert_gt(dropped_at, 0);
	cr_assert(defrag_get_stats(df)->cap_reached);
	defrag_free(df);
}

/* Ping of death: fragments that add up past 65535 bytes. */
Test(defrag, oversize_datagrams_dropped)
{
	static uint8_t big[65496];
	struct defrag *df = defrag_new(NULL, 1);
	const uint8_t *out;
	uint32_t n;
	/* the payload alone would end past 65535 */
	struct defrag_frag f = f4(10, 65528, false, C, 8, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DROPPED);
	cr_assert_eq(defrag_get_stats(df)->oversize, 1);
	/* payload ends at 65528: with a 20-byte header, 65548 > 65535 */
	f = f4(11, 0, true, big, sizeof(big), 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(11, 65496, true, B, 16, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_HELD);
	f = f4(11, 65512, false, B, 16, 0);
	cr_assert_eq(defrag_add(df, &f, &out, &n), DEFRAG_DROPPED);
	cr_assert_eq(defrag_get_stats(df)->oversize, 2);
	cr_assert_eq(defrag_get_stats(df)->dropped, 2);
	cr_assert_eq(defrag_pending(df), 0);
	cr_assert_eq(defrag_mem(df), 0);
	defrag_free(df);

	/* IPv6: 40-byte header + 65528 payload: payload length 65528 fits */
	df = defrag_new(NULL, 1);
	static uint8_t h6[40] = {0x60, 0, 0, 0, 0, 0, 44, 64};
	struct defrag_frag g;
	memset(&g, 0, sizeof(g));
	g.af = 6;
	g.id = 1;
	g.offset = 0;
	g.more = true;
	g.data = big;
	g.len = sizeof(big);
	g.hdr = h6;
	g.hdr_len = 40;
	g.nh_off = 6;
	g.nh = 17;
	cr_assert_eq(defrag_add(df, &g, &out, &n), DEFRAG_HELD);
	g.offset = 65496;
	g.more = false;
	g.data = A;
	g.len = 16;
	cr_assert_eq(defrag_add(df, &g, &out, &n), DEFRAG_DONE);
	cr_assert_eq(n, 40 + 65512);
	cr_assert_eq(out[4], 0xff);
	cr_assert_eq(out[5], 0xe8); /* 65512 */
	cr_assert_eq(out[6], 17);
	defrag_free(df);
}

/* ---------------------------------------------------------------------- */
/* Through the decoder (link type RAW) */

static struct decoder *dec;
static struct cap_packet cp;
static uint8_t *copy;

static void setup(void)
{
	dec = decode_new();
}

static void teardown(void)
{
	decode_free(dec);
	free(copy);
}

static enum decode_status feed(const uint8_t *p, size_t n, size_t wirelen, int64_t sec, struct pkt *o)
{
	free(copy);
	copy = malloc(n);
	memcpy(copy, p, n);
	memset(&cp, 0, sizeof(cp));
	cp.linktype = 101;
	cp.data = copy;
	cp.caplen = (uint32_t)n;
	cp.wirelen = (uint32_t)wirelen;
	cp.ts_sec = sec;
	return decode_packet(dec, &cp, 0, o);
}

static uint8_t orig[CB_MAXPKT];
static size_t orig_len;
static uint8_t body[200];

/* UDP 10.0.0.2:5353 -> 10.0.0.1:53 with 200 payload bytes, split in
 * fragments of 80 bytes: 80 + 80 + 48 (the UDP header is in the first). */
static void make_v4(struct cb_frags *fr)
{
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	orig_len = cb_ip_udp(orig, sizeof(orig), "10.0.0.2", "10.0.0.1", 5353, 53, NULL, body, sizeof(body));
	cr_assert_eq(orig_len, 228);
	cr_assert_eq(cb_fragment(orig, orig_len, 80, 0, fr), 0);
	cr_assert_eq(fr->n, 3);
}

/* Hop-by-hop options stay in the unfragmentable part. */
static void make_v6(struct cb_frags *fr)
{
	static const uint8_t hbh[8] = {17, 0, 1, 4, 0, 0, 0, 0};
	struct cb_ip_opt o = {.opts = hbh, .opts_len = 8, .ext_nh = 0};
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(255 - i);
	orig_len = cb_ip_udp(orig, sizeof(orig), "2001:db8::2", "2001:db8::1", 5353, 53, &o, body, sizeof(body));
	cr_assert_eq(orig_len, 40 + 8 + 208);
	cr_assert_eq(cb_fragment(orig, orig_len, 80, 0xabcd, fr), 0);
	cr_assert_eq(fr->n, 3);
	cr_assert_eq(fr->pkt[1][6], 0);   /* HBH first... */
	cr_assert_eq(fr->pkt[1][40], 44); /* ...then the fragment header */
}

/* Feeds fragments in the given order; the last one completes the datagram,
 * which must be byte-identical to the original packet. */
static void reassemble(struct cb_frags *fr, const int *order)
{
	struct pkt o;
	for (size_t i = 0; i < fr->n; i++) {
		size_t k = (size_t)order[i];
		enum decode_status s = feed(fr->pkt[k], fr->len[k], fr->len[k], 10, &o);
		if (i + 1 < fr->n) {
			cr_assert_eq(s, DEC_FRAG_HELD, "fragment %zu", k);
			continue;
		}
		cr_assert_eq(s, DEC_OK, "%s", decode_status_str(s));
		cr_assert(o.reassembled);
		cr_assert_eq(o.ip_len, orig_len);
		cr_assert_eq(memcmp(o.ip, orig, orig_len), 0);
		cr_assert_eq(o.proto, 17);
		cr_assert_eq(o.sport, 5353);
		cr_assert_eq(o.dport, 53);
		cr_assert_eq(o.payload_len, 200);
		cr_assert_eq(memcmp(o.payload, body, 200), 0);
	}
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->frags, fr->n);
	cr_assert_eq(st->reassembled, 1);
	cr_assert_eq(st->frag_dropped, 0);
}

TestSuite(defrag_decode, .init = setup, .fini = teardown);

Test(defrag_decode, ipv4_in_order)
{
	struct cb_frags fr;
	static const int order[] = {0, 1, 2};
	make_v4(&fr);
	reassemble(&fr, order);
	cr_assert_eq(decode_get_stats(dec)->ip4, 1);
	cb_frags_free(&fr);
}

Test(defrag_decode, ipv4_out_of_order)
{
	struct cb_frags fr;
	static const int order[] = {2, 0, 1};
	make_v4(&fr);
	reassemble(&fr, order);
	cb_frags_free(&fr);
}

Test(defrag_decode, ipv6_in_order)
{
	struct cb_frags fr;
	static const int order[] = {0, 1, 2};
	make_v6(&fr);
	reassemble(&fr, order);
	cr_assert_eq(decode_get_stats(dec)->ip6, 1);
	cb_frags_free(&fr);
}

Test(defrag_decode, ipv6_out_of_order)
{
	struct cb_frags fr;
	static const int order[] = {1, 2, 0};
	make_v6(&fr);
	reassemble(&fr, order);
	cb_frags_free(&fr);
}

Test(defrag_decode, missing_fragment_never_completes)
{
	struct cb_frags fr;
	struct pkt o;
	make_v4(&fr);
	cr_assert_eq(feed(fr.pkt[0], fr.len[0], fr.len[0], 10, &o), DEC_FRAG_HELD);
	cr_assert_eq(feed(fr.pkt[2], fr.len[2], fr.len[2], 10, &o), DEC_FRAG_HELD);
	/* 31 s later another datagram's fragment expires this one */
	cr_assert_eq(feed(fr.pkt[1], fr.len[1], fr.len[1], 41, &o), DEC_FRAG_HELD);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->reassembled, 0);
	cr_assert_eq(st->frag_dropped, 1);
	cr_assert_eq(st->frag_timeouts, 1);
	cb_frags_free(&fr);
}

Test(defrag_decode, overlap_and_duplicate_counted)
{
	uint8_t p[128];
	struct pkt o;
	size_t n = cb_ip4_frag(p, sizeof(p), "10.0.0.2", "10.0.0.1", 253, 77, 0, true, A, 16);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_FRAG_HELD);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_FRAG_HELD);
	n = cb_ip4_frag(p, sizeof(p), "10.0.0.2", "10.0.0.1", 253, 77, 8, true, B, 16);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_FRAG_HELD);
	n = cb_ip4_frag(p, sizeof(p), "10.0.0.2", "10.0.0.1", 253, 77, 24, false, C, 8);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_OK);
	cr_assert_eq(o.proto, 253);
	cr_assert_eq(o.payload_len, 32);
	cr_assert_eq(memcmp(o.payload, "AAAAAAAAAAAAAAAABBBBBBBBCCCCCCCC", 32), 0);
	cr_assert_eq(decode_get_stats(dec)->frag_dups, 1);
	cr_assert_eq(decode_get_stats(dec)->frag_overlaps, 1);
}

/* A fragment cut by snaplen cannot be reassembled: it is SNAPPED, and
 * nothing is stored. */
Test(defrag_decode, snapped_fragment_not_stored)
{
	struct cb_frags fr;
	struct pkt o;
	make_v4(&fr);
	cr_assert_eq(feed(fr.pkt[0], 60, fr.len[0], 1, &o), DEC_SNAPPED);
	cr_assert_eq(decode_get_stats(dec)->frags, 0);
	cb_frags_free(&fr);
}

/* RFC 6946: offset 0 and M clear is a whole datagram. */
Test(defrag_decode, ipv6_atomic_fragment)
{
	uint8_t seg[64], p[128];
	struct pkt o;
	size_t sn = cb_udp_seg(seg, sizeof(seg), "2001:db8::2", "2001:db8::1", 1, 53, "hi", 2);
	size_t n = cb_ip6_frag(p, sizeof(p), "2001:db8::2", "2001:db8::1", 17, 9, 0, false, seg, sn);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_OK);
	cr_assert_not(o.reassembled);
	cr_assert_eq(o.proto, 17);
	cr_assert_eq(o.dport, 53);
	cr_assert_eq(o.payload_len, 2);
	cr_assert_eq(decode_get_stats(dec)->frags, 0);
}

/* A fragment header inside a reassembled datagram is not unwrapped again. */
Test(defrag_decode, ipv6_nested_fragment_is_malformed)
{
	uint8_t inner[24] = {17, 0, 0x00, 0x09, 0, 0, 0, 1}; /* frag hdr: offset 8, M */
	uint8_t p[128];
	struct pkt o;
	size_t n = cb_ip6_frag(p, sizeof(p), "2001:db8::2", "2001:db8::1", 44, 5, 0, true, inner, 16);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_FRAG_HELD);
	n = cb_ip6_frag(p, sizeof(p), "2001:db8::2", "2001:db8::1", 44, 5, 16, false, inner + 16, 8);
	cr_assert_eq(feed(p, n, n, 1, &o), DEC_MALFORMED);
	cr_assert_eq(decode_get_stats(dec)->reassembled, 1);
}

/* The decoder's default cap: 1024 datagrams in progress. */
Test(defrag_decode, default_datagram_cap)
{
	uint8_t p[128];
	struct pkt o;
	for (unsigned i = 0; i < 1025; i++) {
		size_t n = cb_ip4_frag(p, sizeof(p), "10.0.0.2", "10.0.0.1", 17, (uint16_t)(i + 1), 0,
				       true, A, 16);
		cr_assert_eq(feed(p, n, n, 1, &o), DEC_FRAG_HELD);
		cr_assert_eq(decode_get_stats(dec)->frag_cap_reached, i == 1024);
	}
	cr_assert_eq(decode_get_stats(dec)->frag_dropped, 1);
	cr_assert_eq(decode_get_stats(dec)->frags, 1025);
}
