/* test_decode.c - link layers, IPv4/IPv6, UDP/TCP decoding: vectors, every link type, hostile input, corpus. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capbuild.h"
#include "capture.h"
#include "decode.h"
#include "testtop.h"

/*
 * Frame 1 of gencap's en10mb.pcap; tshark 4.0 decodes it as
 * 10.0.0.2:40000 -> 192.0.2.53:53 DNS query www.example.com A, IP and UDP
 * checksums good.
 */
static const uint8_t v4udp[] = {
	/* Ethernet: dst 02:00:00:00:00:01, src 02:00:00:00:00:02, IPv4 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	/* IPv4: IHL 5, total 61, id 0x1234, TTL 64, UDP, csum 9c45 */
	0x45, 0x00, 0x00, 0x3d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x9c, 0x45,
	0x0a, 0x00, 0x00, 0x02, /* 10.0.0.2 */
	0xc0, 0x00, 0x02, 0x35, /* 192.0.2.53 */
	/* UDP 40000 -> 53, length 41 */
	0x9c, 0x40, 0x00, 0x35, 0x00, 0x29, 0x32, 0x68,
	/* DNS: id 1a2b, RD, 1 question: www.example.com A IN */
	0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
	0x00, 0x01, 0x00, 0x01,
};

/*
 * The same query over TCP and IPv6; tshark: 2001:db8::2:40001 ->
 * 2001:db8::53:53, seq 1000, ack 2000, flags PSH ACK, checksum good,
 * tcp.len 35, DNS query www.example.com.
 */
static const uint8_t v6tcp[] = {
	/* Ethernet, IPv6 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,
	/* IPv6: payload length 55, next header TCP, hop limit 64 */
	0x60, 0x00, 0x00, 0x00, 0x00, 0x37, 0x06, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, /* 2001:db8::2 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53, /* 2001:db8::53 */
	/* TCP 40001 -> 53, seq 1000, ack 2000, offset 5, PSH|ACK, win 65535 */
	0x9c, 0x41, 0x00, 0x35, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x18, 0xff, 0xff,
	0x47, 0x0c, 0x00, 0x00,
	/* DNS over TCP: length 33, then the query */
	0x00, 0x21, 0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
	0x00, 0x01, 0x00, 0x01,
};

/* ---------------------------------------------------------------------- */
/* Helpers */

static struct decoder *dec;
static struct cap_packet cp;
static uint8_t *copy; /* exactly caplen bytes, so ASan sees any overread */

static void setup(void)
{
	dec = decode_new();
}

static void teardown(void)
{
	decode_free(dec);
	free(copy);
	copy = NULL;
}

static enum decode_status run(int lt, const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *o)
{
	free(copy);
	copy = malloc(caplen ? caplen : 1);
	memcpy(copy, p, caplen);
	memset(&cp, 0, sizeof(cp));
	cp.frame = 1;
	cp.linktype = lt;
	cp.caplen = (uint32_t)caplen;
	cp.wirelen = (uint32_t)wirelen;
	cp.data = copy;
	cp.ts_sec = 1700000000;
	return decode_packet(dec, &cp, 0, o);
}

static void assert_addr(const struct ls_addr *a, const char *want)
{
	char buf[64];
	addr_str(a, buf, sizeof(buf));
	cr_assert_str_eq(buf, want);
}

/* Ethernet frame around an IP packet (default cb_link). */
static size_t eth(uint8_t *out, const uint8_t *ip, size_t n)
{
	return cb_link_wrap(out, CB_MAXPKT, 1, NULL, ip, n);
}

/* ---------------------------------------------------------------------- */
/* The two vectors */

TestSuite(decode, .init = setup, .fini = teardown);

Test(decode, eth_ipv4_udp_vector)
{
	struct pkt o;
	cr_assert_eq(run(1, v4udp, sizeof(v4udp), sizeof(v4udp), &o), DEC_OK);
	static const uint8_t dmac[6] = {2, 0, 0, 0, 0, 1}, smac[6] = {2, 0, 0, 0, 0, 2};
	cr_assert(o.has_mac);
	cr_assert_eq(memcmp(o.dst_mac, dmac, 6), 0);
	cr_assert_eq(memcmp(o.src_mac, smac, 6), 0);
	cr_assert_eq(o.nvlan, 0);
	cr_assert_eq(o.ifindex, -1);
	cr_assert_eq(o.pkttype, -1);
	assert_addr(&o.src, "10.0.0.2");
	assert_addr(&o.dst, "192.0.2.53");
	cr_assert_eq(o.proto, 17);
	cr_assert_eq(o.ttl, 64);
	cr_assert_eq(o.ip, copy + 14);
	cr_assert_eq(o.ip_len, 61);
	cr_assert_eq(o.sport, 40000);
	cr_assert_eq(o.dport, 53);
	cr_assert_eq(o.payload, copy + 42);
	cr_assert_eq(o.payload_len, 33);
	cr_assert_not(o.truncated);
	cr_assert_not(o.reassembled);
	cr_assert_eq(o.cp, &cp);
	cr_assert_eq(decode_get_stats(dec)->ip4, 1);
	cr_assert_eq(decode_get_stats(dec)->packets, 1);
}

/* A sender-side capture of a TSO super-frame: IPv4 total length 0.  tshark
 * 4.0 on this frame: "[Total Length: 61 bytes (reported as 0, presumed to
 * be because of "TCP segmentation offload" (TSO))]" and the DNS query. */
Test(decode, ipv4_total_length_zero_is_tso)
{
	uint8_t f[sizeof(v4udp)];
	memcpy(f, v4udp, sizeof(f));
	f[16] = f[17] = 0;
	struct pkt o;
	cr_assert_eq(run(1, f, sizeof(f), sizeof(f), &o), DEC_OK);
	cr_assert_eq(o.ip_len, 61);
	cr_assert_eq(o.payload_len, 33);
	cr_assert_eq(o.dport, 53);
	cr_assert_eq(decode_get_stats(dec)->tso, 1);
	/* cut by snaplen: the missing bytes count as cut, not as a lie */
	cr_assert_eq(run(1, f, sizeof(f) - 10, sizeof(f), &o), DEC_OK);
	cr_assert(o.truncated);
	/* a fragment with total length 0 is still a lie */
	f[20] = 0x20; /* MF */
	cr_assert_eq(run(1, f, sizeof(f), sizeof(f), &o), DEC_MALFORMED);
}

Test(decode, eth_ipv6_tcp_vector)
{
	struct pkt o;
	cr_assert_eq(run(1, v6tcp, sizeof(v6tcp), sizeof(v6tcp), &o), DEC_OK);
	assert_addr(&o.src, "2001:db8::2");
	assert_addr(&o.dst, "2001:db8::53");
	cr_assert_eq(o.proto, 6);
	cr_assert_eq(o.ttl, 64);
	cr_assert_eq(o.ip, copy + 14);
	cr_assert_eq(o.ip_len, 95);
	cr_assert_eq(o.sport, 40001);
	cr_assert_eq(o.dport, 53);
	cr_assert_eq(o.seq, 1000);
	cr_assert_eq(o.ack, 2000);
	cr_assert_eq(o.tcp_flags, 0x18);
	cr_assert_eq(o.payload, copy + 74);
	cr_assert_eq(o.payload_len, 35);
	cr_assert_eq(o.payload[1], 0x21);
	cr_assert_eq(decode_get_stats(dec)->ip6, 1);
}

/*
 * Every prefix of each vector.  Cut by snaplen (wirelen = full length):
 * SNAPPED until the transport header is complete, then OK with truncated
 * set.  The same prefix recorded as complete (wirelen = caplen) contradicts
 * the IP length: MALFORMED.  ASan catches any read past the prefix.
 */
static void sweep(const uint8_t *v, size_t n, size_t l4_end)
{
	for (size_t k = 0; k < n; k++) {
		struct pkt o;
		enum decode_status s = run(1, v, k, n, &o);
		if (k < l4_end) {
			cr_assert_eq(s, DEC_SNAPPED, "prefix %zu: %s", k, decode_status_str(s));
		} else {
			cr_assert_eq(s, DEC_OK, "prefix %zu: %s", k, decode_status_str(s));
			cr_assert(o.truncated, "prefix %zu", k);
			cr_assert_eq(o.payload_len, k - l4_end);
		}
		s = run(1, v, k, k, &o);
		cr_assert_eq(s, DEC_MALFORMED, "unsnapped prefix %zu: %s", k, decode_status_str(s));
	}
}

Test(decode, truncation_sweep_eth_ipv4_udp)
{
	sweep(v4udp, sizeof(v4udp), 14 + 20 + 8);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->snapped, 42);
	cr_assert_eq(st->malformed, sizeof(v4udp));
	cr_assert_eq(st->ip4, sizeof(v4udp) - 42);
}

Test(decode, truncation_sweep_eth_ipv6_tcp)
{
	sweep(v6tcp, sizeof(v6tcp), 14 + 40 + 20);
}

/* ---------------------------------------------------------------------- */
/* Every link type, through a capture file and cap_next() */

static uint8_t dnsq[64];
static size_t dnsq_len;
static struct cap_file *rt_file;
static char rt_path[512];
static struct cap_packet rt_cp;

static void rt_close(void)
{
	if (rt_file)
		cap_close(rt_file);
	rt_file = NULL;
	unlink(rt_path);
}

/* Writes the DNS query (IPv4 or IPv6) in link type lt to a pcap, reads it
 * back, decodes it and checks the network and transport fields. */
static enum decode_status roundtrip(int lt, const struct cb_link *l, bool v6, struct pkt *o)
{
	uint8_t ip[CB_MAXPKT], fr[CB_MAXPKT];
	dnsq_len = cb_dns_query(dnsq, sizeof(dnsq), 0x1a2b, "www.example.com", 1);
	size_t n = v6 ? cb_ip_udp(ip, sizeof(ip), "2001:db8::2", "2001:db8::53", 40000, 53, NULL, dnsq, dnsq_len)
		      : cb_ip_udp(ip, sizeof(ip), "10.0.0.2", "192.0.2.53", 40000, 53, NULL, dnsq, dnsq_len);
	size_t m = cb_link_wrap(fr, sizeof(fr), lt, l, ip, n);
	cr_assert_gt(m, 0);
	cr_assert_eq(cb_tmpname(rt_path, sizeof(rt_path), ".pcap"), 0);
	struct cb_pcap *w = cb_pcap_open(rt_path, lt, 65535, 0);
	cb_pcap_write(w, 1700000000, 0, fr, (uint32_t)m, (uint32_t)m);
	cb_pcap_close(w);
	char err[512];
	cr_assert_eq(cap_open(rt_path, &rt_file, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cap_next(rt_file, &rt_cp), 1);
	enum decode_status s = decode_packet(dec, &rt_cp, 3, o);
	if (s != DEC_OK)
		return s;
	cr_assert_eq(o->file_idx, 3);
	assert_addr(&o->src, v6 ? "2001:db8::2" : "10.0.0.2");
	assert_addr(&o->dst, v6 ? "2001:db8::53" : "192.0.2.53");
	cr_assert_eq(o->proto, 17);
	cr_assert_eq(o->sport, 40000);
	cr_assert_eq(o->dport, 53);
	cr_assert_eq(o->ip_len, n);
	cr_assert_eq(memcmp(o->ip, ip, n), 0);
	cr_assert_eq(o->payload_len, dnsq_len);
	cr_assert_eq(memcmp(o->payload, dnsq, dnsq_len), 0);
	cr_assert_eq(o->ifindex, lt == 276 ? (int)(l ? l->ifindex : 1) : -1);
	return s;
}

Test(decode, linktype_en10mb, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(1, NULL, false, &o), DEC_OK);
	cr_assert(o.has_mac);
	cr_assert_eq(o.src_mac[5], 2);
	cr_assert_eq(o.dst_mac[5], 1);
	cr_assert_eq(o.pkttype, -1);
}

Test(decode, linktype_en10mb_ipv6, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(1, NULL, true, &o), DEC_OK);
}

Test(decode, linktype_en10mb_qinq_three_tags, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.nvlan = 3;
	l.tpid[0] = 0x88a8;
	l.tpid[1] = 0x9100;
	l.vlan[0] = 0x2000 | 100; /* priority bits are not part of the id */
	l.vlan[1] = 200;
	l.vlan[2] = 300;
	cr_assert_eq(roundtrip(1, &l, false, &o), DEC_OK);
	cr_assert_eq(o.nvlan, 2);
	cr_assert_eq(o.vlan[0], 100);
	cr_assert_eq(o.vlan[1], 200);
}

Test(decode, linktype_en10mb_pppoe, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.pppoe = true;
	l.pppoe_sid = 0x11;
	l.nvlan = 1;
	l.vlan[0] = 7;
	cr_assert_eq(roundtrip(1, &l, true, &o), DEC_OK);
	cr_assert_eq(o.nvlan, 1);
	cr_assert_eq(o.vlan[0], 7);
}

Test(decode, linktype_linux_sll, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(113, NULL, false, &o), DEC_OK);
	cr_assert(o.has_mac);
	cr_assert_eq(o.src_mac[0], 2);
	cr_assert_eq(o.src_mac[5], 2);
	cr_assert_eq(o.dst_mac[5], 0); /* SLL does not say */
	cr_assert_eq(o.hatype, 1);
	cr_assert_eq(o.pkttype, PKTTYPE_OUTGOING);
}

Test(decode, linktype_linux_sll_loopback_has_no_mac, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.hatype = 772; /* ARPHRD_LOOPBACK */
	l.pkttype = PKTTYPE_HOST;
	cr_assert_eq(roundtrip(113, &l, true, &o), DEC_OK);
	cr_assert_not(o.has_mac);
	cr_assert_eq(o.hatype, 772);
	cr_assert_eq(o.pkttype, PKTTYPE_HOST);
}

Test(decode, linktype_linux_sll2, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.ifindex = 7;
	l.pkttype = PKTTYPE_BROADCAST;
	cr_assert_eq(roundtrip(276, &l, false, &o), DEC_OK);
	cr_assert_eq(o.ifindex, 7);
	cr_assert_eq(o.pkttype, PKTTYPE_BROADCAST);
	cr_assert_eq(o.hatype, 1);
	cr_assert(o.has_mac);
	cr_assert_eq(o.src_mac[5], 2);
}

Test(decode, linktype_raw_101_v4, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(101, NULL, false, &o), DEC_OK);
	cr_assert_not(o.has_mac);
}

Test(decode, linktype_raw_101_v6, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(101, NULL, true, &o), DEC_OK);
}

Test(decode, linktype_raw_12, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(12, NULL, true, &o), DEC_OK);
}

Test(decode, linktype_ipv4, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(228, NULL, false, &o), DEC_OK);
}

Test(decode, linktype_ipv6, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(229, NULL, true, &o), DEC_OK);
}

Test(decode, linktype_ipv4_carrying_ipv6_is_malformed, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(228, NULL, true, &o), DEC_MALFORMED);
}

Test(decode, linktype_null_little_endian, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(0, NULL, false, &o), DEC_OK);
}

Test(decode, linktype_null_big_endian, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.null_be = true;
	cr_assert_eq(roundtrip(0, &l, false, &o), DEC_OK);
}

static void null_v6(uint32_t af, bool be)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.af6 = af;
	l.null_be = be;
	cr_assert_eq(roundtrip(0, &l, true, &o), DEC_OK, "af %u", af);
	rt_close();
}

Test(decode, linktype_null_ipv6_families, .fini = rt_close)
{
	null_v6(24, false); /* NetBSD, OpenBSD */
	null_v6(28, true);  /* FreeBSD */
	null_v6(30, false); /* Darwin */
	null_v6(30, true);
}

Test(decode, linktype_loop, .fini = rt_close)
{
	struct pkt o;
	cr_assert_eq(roundtrip(108, NULL, false, &o), DEC_OK);
	rt_close();
	cr_assert_eq(roundtrip(108, NULL, true, &o), DEC_OK);
}

Test(decode, linktype_ppp, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cr_assert_eq(roundtrip(9, NULL, false, &o), DEC_OK);
	rt_close();
	cb_link_init(&l);
	l.ppp_no_addr = true;
	l.ppp_pfc = true;
	cr_assert_eq(roundtrip(9, &l, true, &o), DEC_OK);
}

Test(decode, linktype_ppp_hdlc_and_cisco_hdlc, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cr_assert_eq(roundtrip(50, NULL, false, &o), DEC_OK);
	rt_close();
	cb_link_init(&l);
	l.chdlc = true;
	cr_assert_eq(roundtrip(50, &l, true, &o), DEC_OK);
}

Test(decode, linktype_nflog_with_prefix, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.nflog_prefix = "leak-test";
	cr_assert_eq(roundtrip(239, &l, false, &o), DEC_OK);
	cr_assert_str_eq(o.nflog_prefix, "leak-test");
}

Test(decode, linktype_nflog_big_endian_tlvs_ipv6, .fini = rt_close)
{
	struct cb_link l;
	struct pkt o;
	cb_link_init(&l);
	l.nflog_be = true;
	cr_assert_eq(roundtrip(239, &l, true, &o), DEC_OK);
	cr_assert_null(o.nflog_prefix);
}

/* pcapng: the interface id becomes ifindex; an unsupported interface
 * yields DEC_UNSUPPORTED while the others decode. */
Test(decode, pcapng_interfaces_and_unsupported_linktype, .fini = rt_close)
{
	uint8_t ip[CB_MAXPKT];
	char err[512];
	size_t n = cb_ip_udp(ip, sizeof(ip), "10.8.0.2", "10.8.0.1", 1234, 53, NULL, "x", 1);
	cr_assert_eq(cb_tmpname(rt_path, sizeof(rt_path), ".pcapng"), 0);
	struct cb_png *w = cb_png_open(rt_path, 0);
	struct cb_idb_opt a = {.name = "wlan0"}, b = {.name = "wg0"};
	cb_png_idb(w, 127, 0, &a); /* IEEE802_11_RADIOTAP */
	cb_png_idb(w, 101, 0, &b);
	cb_png_epb(w, 0, 1, 0, "\x00\x00\x08\x00\x00\x00\x00\x00", 8, 8);
	cb_png_epb(w, 1, 2, 0, ip, (uint32_t)n, (uint32_t)n);
	cb_png_close(w);
	cr_assert_eq(cap_open(rt_path, &rt_file, err, sizeof(err)), 0, "%s", err);
	struct cap_file *f = rt_file;
	struct cap_packet p;
	struct pkt o;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(decode_packet(dec, &p, 0, &o), DEC_UNSUPPORTED);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(decode_packet(dec, &p, 0, &o), DEC_OK);
	cr_assert_eq(o.ifindex, 1);
	cr_assert_str_eq(o.cp->iface_name, "wg0");
	assert_addr(&o.dst, "10.8.0.1");
	cr_assert_eq(decode_get_stats(dec)->unsupported, 1);
	cr_assert_eq(decode_get_stats(dec)->ip4, 1);
}


/* ---------------------------------------------------------------------- */
/* Not IP */

Test(decode, not_ip)
{
	struct pkt o;
	uint8_t b[CB_MAXPKT];
	static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};
	size_t n = cb_eth_raw(b, sizeof(b), NULL, 0x0806, arp, sizeof(arp));
	cr_assert_eq(run(1, b, n, n, &o), DEC_NOT_IP);
	cr_assert(o.has_mac); /* the link layer is still reported */
	/* 802.3: a length, then LLC (STP) */
	n = cb_eth_raw(b, sizeof(b), NULL, 0x0026, "\x42\x42\x03\x00\x00\x00", 6);
	cr_assert_eq(run(1, b, n, n, &o), DEC_NOT_IP);
	/* SLL with protocol 0x0004 (802.2 frames) */
	static const uint8_t sll[20] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0, 0x00, 0x04, 0x42, 0x42, 3, 0};
	cr_assert_eq(run(113, sll, sizeof(sll), sizeof(sll), &o), DEC_NOT_IP);
	cr_assert_eq(o.pkttype, 0);
	/* PPP LCP (c021) */
	cr_assert_eq(run(9, (const uint8_t *)"\xff\x03\xc0\x21\x01\x01\x00\x04", 8, 8, &o), DEC_NOT_IP);
	/* NULL with AF 7 (OSI) */
	cr_assert_eq(run(0, (const uint8_t *)"\x07\x00\x00\x00\x45\x00", 6, 6, &o), DEC_NOT_IP);
	/* NFLOG without a payload TLV, and NFLOG of family 7 (bridge) */
	struct cb_link l;
	cb_link_init(&l);
	l.nflog_no_payload = true;
	l.nflog_prefix = "drop";
	n = cb_link_wrap(b, sizeof(b), 239, &l, v4udp + 14, sizeof(v4udp) - 14);
	cr_assert_eq(run(239, b, n, n, &o), DEC_NOT_IP);
	cr_assert_str_eq(o.nflog_prefix, "drop");
	n = cb_link_wrap(b, sizeof(b), 239, NULL, v4udp + 14, sizeof(v4udp) - 14);
	b[0] = 7;
	cr_assert_eq(run(239, b, n, n, &o), DEC_NOT_IP);
	cr_assert_eq(decode_get_stats(dec)->not_ip, 7);
}

Test(decode, unsupported_linktype)
{
	struct pkt o;
	cr_assert_eq(run(105, v4udp, sizeof(v4udp), sizeof(v4udp), &o), DEC_UNSUPPORTED);
	cr_assert_eq(decode_get_stats(dec)->unsupported, 1);
	cr_assert_str_eq(decode_status_str(DEC_UNSUPPORTED), "unsupported-linktype");
	cr_assert_str_eq(decode_status_str(DEC_OK), "ok");
	cr_assert_str_eq(decode_status_str(DEC_SNAPPED), "snapped");
}

/* ---------------------------------------------------------------------- */
/* Hostile and odd headers */

/* A copy of v4udp with byte i set to v, decoded unsnapped. */
static enum decode_status v4_with(size_t i, uint8_t v, struct pkt *o)
{
	uint8_t b[sizeof(v4udp)];
	memcpy(b, v4udp, sizeof(b));
	b[i] = v;
	return run(1, b, sizeof(b), sizeof(b), o);
}

Test(decode, ipv4_header_lies)
{
	struct pkt o;
	cr_assert_eq(v4_with(14, 0x55, &o), DEC_MALFORMED); /* version 5 */
	cr_assert_eq(v4_with(14, 0x44, &o), DEC_MALFORMED); /* IHL 4 */
	cr_assert_eq(v4_with(14, 0x4f, &o), DEC_MALFORMED); /* IHL 15: 60 bytes, 1 left for UDP */
	cr_assert_eq(v4_with(17, 19, &o), DEC_MALFORMED);   /* total length 19 < header */
	cr_assert_eq(v4_with(17, 62, &o), DEC_MALFORMED);   /* total 62 > 61 present, not snapped */
	cr_assert_eq(v4_with(39, 7, &o), DEC_MALFORMED);    /* UDP length 7 */
	cr_assert_eq(decode_get_stats(dec)->malformed, 6);
}

/* UDP length and IP length disagree: the smaller wins. */
Test(decode, udp_length_vs_ip_length)
{
	struct pkt o;
	cr_assert_eq(v4_with(39, 0x29 + 10, &o), DEC_OK); /* UDP claims 10 more */
	cr_assert_eq(o.payload_len, 33);
	cr_assert_eq(v4_with(39, 0x29 - 13, &o), DEC_OK); /* UDP claims 13 less */
	cr_assert_eq(o.payload_len, 20);
	cr_assert_eq(o.ip_len, 61);
}

/* Ethernet pads short frames to 60 bytes: the IP total length narrows. */
Test(decode, ethernet_padding_is_not_payload)
{
	uint8_t ip[64], fr[128];
	struct pkt o;
	size_t n = cb_ip_udp(ip, sizeof(ip), "10.0.0.2", "10.0.0.1", 1, 2, NULL, "ab", 2);
	cr_assert_eq(n, 30);
	size_t m = eth(fr, ip, n);
	memset(fr + m, 0xaa, 60 - m);
	cr_assert_eq(run(1, fr, 60, 60, &o), DEC_OK);
	cr_assert_eq(o.ip_len, 30);
	cr_assert_eq(o.payload_len, 2);
	cr_assert_eq(memcmp(o.payload, "ab", 2), 0);
}

Test(decode, ipv4_options_skipped)
{
	/* Router Alert (RFC 2113): 94 04 00 00 */
	static const uint8_t ra[4] = {0x94, 0x04, 0x00, 0x00};
	struct cb_ip_opt opt = {.opts = ra, .opts_len = 4};
	uint8_t ip[128], fr[160];
	struct pkt o;
	size_t n = cb_ip_udp(ip, sizeof(ip), "10.0.0.2", "224.0.0.22", 5, 6, &opt, "hello", 5);
	cr_assert_eq(ip[0], 0x46);
	size_t m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.ip_len, 24 + 8 + 5);
	cr_assert_eq(o.sport, 5);
	cr_assert_eq(o.dport, 6);
	cr_assert_eq(o.payload, copy + 14 + 24 + 8);
	cr_assert_eq(memcmp(o.payload, "hello", 5), 0);
}

Test(decode, tcp_options_and_bad_offsets)
{
	uint8_t ip[128], fr[160], seg[64];
	struct pkt o;
	/* TCP with 12 bytes of options (MSS, SACK-permitted, NOP x2, WS, NOP... ) */
	memset(seg, 0, sizeof(seg));
	seg[0] = 0x04; seg[1] = 0xd2; /* 1234 */
	seg[2] = 0x00; seg[3] = 0x35; /* 53 */
	seg[7] = 1;                   /* seq 1 */
	seg[12] = 8 << 4;             /* data offset 8: 32 bytes */
	seg[13] = 0x02;               /* SYN */
	static const uint8_t opts[12] = {2, 4, 5, 0xb4, 4, 2, 1, 1, 3, 3, 7, 0};
	memcpy(seg + 20, opts, 12);
	memcpy(seg + 32, "DATA", 4);
	size_t n = cb_ip(ip, sizeof(ip), "10.0.0.2", "10.0.0.1", 6, NULL, seg, 36);
	size_t m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.tcp_flags, 0x02);
	cr_assert_eq(o.seq, 1);
	cr_assert_eq(o.payload_len, 4);
	cr_assert_eq(memcmp(o.payload, "DATA", 4), 0);
	fr[14 + 20 + 12] = 4 << 4; /* data offset 4 < 5 */
	cr_assert_eq(run(1, fr, m, m, &o), DEC_MALFORMED);
	fr[14 + 20 + 12] = 15 << 4; /* 60 bytes > the 36-byte segment */
	cr_assert_eq(run(1, fr, m, m, &o), DEC_MALFORMED);
	/* the same, but the record was cut to 40 of 90 bytes: the header is
	 * not all there, and the segment may well be 60+ bytes long */
	fr[14 + 20 + 12] = 8 << 4;
	cr_assert_eq(run(1, fr, 14 + 20 + 25, m, &o), DEC_SNAPPED);
}

Test(decode, vlan_tag_cap)
{
	struct cb_link l;
	uint8_t fr[CB_MAXPKT];
	struct pkt o;
	cb_link_init(&l);
	l.nvlan = 8;
	for (int i = 0; i < 8; i++)
		l.vlan[i] = (uint16_t)(i + 1);
	size_t n = cb_link_wrap(fr, sizeof(fr), 1, &l, v4udp + 14, sizeof(v4udp) - 14);
	cr_assert_eq(run(1, fr, n, n, &o), DEC_OK);
	cr_assert_eq(o.nvlan, 2);
	cr_assert_eq(o.vlan[1], 2);
	/* a ninth tag: no real network stacks that deep */
	uint8_t big[CB_MAXPKT];
	memcpy(big, fr, 12);
	big[12] = 0x81;
	big[13] = 0x00;
	big[14] = 0;
	big[15] = 9;
	memcpy(big + 16, fr + 12, n - 12);
	cr_assert_eq(run(1, big, n + 4, n + 4, &o), DEC_MALFORMED);
}

Test(decode, pppoe_and_nflog_lies)
{
	struct cb_link l;
	uint8_t fr[CB_MAXPKT];
	struct pkt o;
	cb_link_init(&l);
	l.pppoe = true;
	size_t n = cb_link_wrap(fr, sizeof(fr), 1, &l, v4udp + 14, sizeof(v4udp) - 14);
	fr[14] = 0x12; /* PPPoE version 1 type 2 */
	cr_assert_eq(run(1, fr, n, n, &o), DEC_MALFORMED);
	fr[14] = 0x11;
	fr[18] = 0x01; /* PPPoE length 256 + ..., more than the frame */
	cr_assert_eq(run(1, fr, n, n, &o), DEC_MALFORMED);

	cb_link_init(&l);
	n = cb_link_wrap(fr, sizeof(fr), 239, &l, v4udp + 14, sizeof(v4udp) - 14);
	fr[4] = 2; /* first TLV length 2 < 4 (both byte orders) */
	fr[5] = 0;
	cr_assert_eq(run(239, fr, n, n, &o), DEC_MALFORMED);
}

/* IPv6 extension header chains (RFC 8200 section 4). */
Test(decode, ipv6_extension_chain)
{
	/* hop-by-hop (8, PadN) -> routing (24: type 0... segments left 0) ->
	 * destination options (8) -> UDP */
	static const uint8_t chain[40] = {
		43, 0, 1, 4, 0, 0, 0, 0,                 /* HBH: next 43, len 0, PadN 4 */
		60, 2, 0, 0, 0, 0, 0, 0,                 /* routing: next 60, len 2 (24 bytes) */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		17, 0, 1, 4, 0, 0, 0, 0,                 /* dest opts: next UDP */
	};
	struct cb_ip_opt opt = {.opts = chain, .opts_len = sizeof(chain), .ext_nh = 0};
	uint8_t ip[256], fr[300];
	struct pkt o;
	size_t n = cb_ip_udp(ip, sizeof(ip), "2001:db8::2", "2001:db8::53", 40000, 53, &opt, "q", 1);
	size_t m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 17);
	cr_assert_eq(o.sport, 40000);
	cr_assert_eq(o.payload_len, 1);
	cr_assert_eq(o.payload, copy + 14 + 40 + 40 + 8);
	cr_assert_eq(o.ip_len, 40 + 40 + 9);
	/* cut inside the routing header by snaplen */
	cr_assert_eq(run(1, fr, 14 + 40 + 12, m, &o), DEC_SNAPPED);
	/* the routing header claims 8 * (200+1) bytes */
	fr[14 + 40 + 9] = 200;
	cr_assert_eq(run(1, fr, m, m, &o), DEC_MALFORMED);
}

Test(decode, ipv6_ah_then_udp)
{
	/* AH: next UDP, payload len 4 -> (4+2)*4 = 24 bytes (RFC 4302) */
	uint8_t ah[24] = {17, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1};
	struct cb_ip_opt opt = {.opts = ah, .opts_len = 24, .ext_nh = 51};
	uint8_t ip[256], fr[300];
	struct pkt o;
	size_t n = cb_ip_udp(ip, sizeof(ip), "2001:db8::2", "2001:db8::53", 7, 53, &opt, "qq", 2);
	size_t m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 17);
	cr_assert_eq(o.sport, 7);
	cr_assert_eq(o.payload_len, 2);
}

Test(decode, ipv6_too_many_extension_headers)
{
	uint8_t chain[9 * 8];
	for (int i = 0; i < 9; i++) {
		uint8_t *h = chain + 8 * i;
		memset(h, 0, 8);
		h[0] = i == 8 ? 17 : 60; /* destination options, again and again */
		h[2] = 1;
		h[3] = 4;
	}
	struct cb_ip_opt opt = {.opts = chain, .opts_len = 64, .ext_nh = 60};
	uint8_t ip[256], fr[300];
	struct pkt o;
	/* 8 headers: fine */
	chain[7 * 8] = 17;
	size_t n = cb_ip_udp(ip, sizeof(ip), "2001:db8::2", "2001:db8::53", 7, 53, &opt, "q", 1);
	size_t m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	/* 9 headers: over the cap */
	chain[7 * 8] = 60;
	opt.opts_len = 72;
	n = cb_ip_udp(ip, sizeof(ip), "2001:db8::2", "2001:db8::53", 7, 53, &opt, "q", 1);
	m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_MALFORMED);
}

Test(decode, other_transports_keep_ip_payload)
{
	uint8_t ip[256], fr[300];
	struct pkt o;
	/* ICMP echo request */
	static const uint8_t icmp[12] = {8, 0, 0xf7, 0xfe, 0, 1, 0, 0, 'p', 'i', 'n', 'g'};
	size_t n = cb_ip(ip, sizeof(ip), "10.0.0.2", "10.0.0.1", 1, NULL, icmp, sizeof(icmp));
	size_t m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 1);
	cr_assert_eq(o.sport, 0);
	cr_assert_eq(o.payload_len, 12);
	cr_assert_eq(o.payload, copy + 34);
	/* GRE with a protocol the decoder does not open (MPLS, 0x8847): the
	 * packet stays the outer one, ip/ip_len span it */
	uint8_t gre[4 + sizeof(v4udp) - 14] = {0, 0, 0x88, 0x47};
	memcpy(gre + 4, v4udp + 14, sizeof(v4udp) - 14);
	n = cb_ip(ip, sizeof(ip), "198.51.100.1", "198.51.100.2", 47, NULL, gre, sizeof(gre));
	m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 47);
	cr_assert_eq(o.ip_len, 20 + sizeof(gre));
	assert_addr(&o.dst, "198.51.100.2");
	cr_assert_eq(o.nencap, 0);
	/* GRE carrying IPv4 is opened: the inner UDP packet, with the chain */
	gre[2] = 0x08, gre[3] = 0x00;
	n = cb_ip(ip, sizeof(ip), "198.51.100.1", "198.51.100.2", 47, NULL, gre, sizeof(gre));
	m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 17);
	cr_assert_eq(o.nencap, 1);
	cr_assert_str_eq(o.encap[0], "gre");
	cr_assert(o.has_outer);
	assert_addr(&o.outer_dst, "198.51.100.2");
	cr_assert_eq(o.outer_proto, 47);
	/* ESP over IPv6, and no-next-header */
	n = cb_ip(ip, sizeof(ip), "2001:db8::2", "2001:db8::1", 50, NULL, "\0\0\0\x01\0\0\0\x01xxxx", 12);
	m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 50);
	cr_assert_eq(o.payload_len, 12);
	n = cb_ip(ip, sizeof(ip), "2001:db8::2", "2001:db8::1", 59, NULL, NULL, 0);
	m = eth(fr, ip, n);
	cr_assert_eq(run(1, fr, m, m, &o), DEC_OK);
	cr_assert_eq(o.proto, 59);
	cr_assert_eq(o.payload_len, 0);
}

/* ---------------------------------------------------------------------- */
/* Random damage: any outcome but a crash, and pointers stay in the record. */

static uint32_t rng = 2463534242u;
static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

Test(decode, random_mutations_stay_in_bounds)
{
	static const int lts[] = {0, 1, 9, 12, 50, 101, 108, 113, 228, 229, 239, 276};
	uint8_t fr[CB_MAXPKT];
	for (size_t t = 0; t < sizeof(lts) / sizeof(lts[0]); t++) {
		for (int v = 0; v < 2; v++) {
			const uint8_t *ip = v ? v6tcp + 14 : v4udp + 14;
			size_t iplen = v ? sizeof(v6tcp) - 14 : sizeof(v4udp) - 14;
			struct cb_link l;
			cb_link_init(&l);
			l.nflog_prefix = "p";
			size_t n = cb_link_wrap(fr, sizeof(fr), lts[t], &l, ip, iplen);
			cr_assert_gt(n, 0);
			for (int i = 0; i < 3000; i++) {
				uint8_t b[CB_MAXPKT];
				memcpy(b, fr, n);
				int flips = 1 + (int)(xorshift() % 4);
				for (int k = 0; k < flips; k++)
					b[xorshift() % n] = (uint8_t)xorshift();
				size_t cl = n - xorshift() % 8;
				struct pkt o;
				enum decode_status s = run(lts[t], b, cl, n, &o);
				cr_assert(s == DEC_OK || s == DEC_NOT_IP || s == DEC_MALFORMED ||
					  s == DEC_SNAPPED || s == DEC_FRAG_HELD);
				if (s == DEC_OK && !o.reassembled) {
					cr_assert(o.ip >= copy && o.ip + o.ip_len <= copy + cl);
					cr_assert(o.payload >= o.ip &&
						  o.payload + o.payload_len <= o.ip + o.ip_len);
				}
			}
		}
	}
}

/* ---------------------------------------------------------------------- */
/* The public corpus: packet counts against capinfos (MANIFEST.tsv column
 * `packets`), every packet decoded under the sanitizers. */

Test(decode, corpus_counts_and_decoding, .timeout = 300)
{
	const char *dir = ls_test_corpus();
	char path[4096 + 32], line[8192];
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
	TEST_NEED_FILE(path);
	FILE *mf = fopen(path, "r");
	cr_assert_not_null(mf, "%s", path);
	unsigned files = 0;
	uint64_t total = 0, ok = 0;
	cr_assert_not_null(fgets(line, sizeof(line), mf)); /* header */
	while (fgets(line, sizeof(line), mf)) {
		char *cols[8] = {0};
		char *s = line;
		for (int i = 0; i < 8 && s; i++) {
			cols[i] = s;
			s = strchr(s, '\t');
			if (s)
				*s++ = '\0';
		}
		cr_assert_not_null(cols[6]);
		uint64_t want = strtoull(cols[6], NULL, 10);
		snprintf(path, sizeof(path), "%s/%s", dir, cols[0]);
		struct cap_file *f;
		char err[1024];
		if (strcmp(cols[5], "fddi-swapped") == 0) {
			cr_assert_eq(cap_open(path, &f, err, sizeof(err)), -1);
			cr_assert(strstr(err, "link type 10 (FDDI) is not supported"), "%s", err);
			continue;
		}
		cr_assert_eq(cap_open(path, &f, err, sizeof(err)), 0, "%s", err);
		struct decoder *d = decode_new();
		struct cap_packet p;
		struct pkt o;
		uint64_t n = 0;
		int rc;
		while ((rc = cap_next(f, &p)) == 1) {
			n++;
			if (decode_packet(d, &p, files, &o) == DEC_OK)
				ok++;
		}
		cr_assert_eq(rc, 0, "%s: %s", cols[0], cap_error(f));
		cr_assert_eq(n, want, "%s: %llu packets, capinfos says %llu", cols[0],
			     (unsigned long long)n, (unsigned long long)want);
		cr_assert_eq(decode_get_stats(d)->packets, n);
		cr_assert_eq(decode_get_stats(d)->unsupported, 0, "%s", cols[0]);
		total += n;
		files++;
		decode_free(d);
		cap_close(f);
	}
	fclose(mf);
	cr_assert_geq(files, 100);
	cr_log_info("corpus: %u files, %llu packets, %llu decoded to IP", files,
		    (unsigned long long)total, (unsigned long long)ok);
}

/* The one list of link types (decode.c): each is decoded (a cut record is
 * malformed or snapped, never unsupported), has a name in capture.c's
 * table, and is what the capture reader accepts; types outside it are
 * refused by both. */
Test(decode, link_types_one_list)
{
	static const int listed[] = {LT_NULL, LT_EN10MB, LT_PPP, LT_RAW_DLT, LT_PPP_HDLC, LT_RAW, LT_LOOP,
				     LT_LINUX_SLL, LT_IPV4, LT_IPV6, LT_NFLOG, LT_LINUX_SLL2, LT_PKTAP};
	static const uint8_t one[1] = {0x45};
	struct pkt o;
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		cr_expect(decode_linktype_supported(listed[i]), "%d", listed[i]);
		cr_expect(cap_linktype_supported(listed[i]), "%d", listed[i]);
		cr_expect_str_neq(cap_linktype_name(listed[i]), "unknown", "%d has no name", listed[i]);
		cr_expect_neq(run(listed[i], one, 1, 1, &o), DEC_UNSUPPORTED, "%d", listed[i]);
	}
	int n = 0;
	for (int lt = -1; lt < 70000; lt++)
		n += decode_linktype_supported(lt);
	cr_expect_eq(n, (int)(sizeof(listed) / sizeof(listed[0])), "decode.c lists %d link types", n);
	static const int not_listed[] = {6, 10, 105, 127, 192, 12345, -1};
	for (size_t i = 0; i < sizeof(not_listed) / sizeof(not_listed[0]); i++) {
		cr_expect_not(cap_linktype_supported(not_listed[i]), "%d", not_listed[i]);
		cr_expect_eq(run(not_listed[i], one, 1, 1, &o), DEC_UNSUPPORTED, "%d", not_listed[i]);
	}
}
