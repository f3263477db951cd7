/* test_decap.c - cleartext tunnels in the decoder (issue 3): every kind, nesting, hostile headers, carrier check, fragments, truncation, corpus. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capbuild.h"
#include "capture.h"
#include "decode.h"
#include "testtop.h"

/*
 * Frame 10 of gencap's tunnels.pcap (tests/gencap/gencap.c).  tshark 4.0:
 * eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp:dns, 198.51.100.1:50001
 * -> 198.51.100.2:4789, VNI 4242, then 10.0.0.2:40000 -> 192.0.2.53:53
 * query www.example.com A; no expert warnings (checksums good).
 */
static const uint8_t vxlan_v4[] = {
	/* Ethernet 02:..:02 -> 02:..:01, IPv4 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	/* IPv4: total 111, UDP, 198.51.100.1 -> 198.51.100.2 */
	0x45, 0x00, 0x00, 0x6f, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xe0,
	0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64, 0x02,
	/* UDP 50001 -> 4789, length 91 */
	0xc3, 0x51, 0x12, 0xb5, 0x00, 0x5b, 0xfb, 0x24,
	/* VXLAN: flags 08 (I), VNI 0x001092 = 4242 */
	0x08, 0x00, 0x00, 0x00, 0x00, 0x10, 0x92, 0x00,
	/* inner Ethernet, same MACs, IPv4 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	/* inner IPv4: total 61, UDP, 10.0.0.2 -> 192.0.2.53 */
	0x45, 0x00, 0x00, 0x3d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x9c, 0x45,
	0x0a, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x35,
	/* UDP 40000 -> 53, length 41 */
	0x9c, 0x40, 0x00, 0x35, 0x00, 0x29, 0x32, 0x68,
	/* DNS query id 1a2b, RD, www.example.com A IN */
	0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
	0x00, 0x01, 0x00, 0x01,
};

/*
 * Frame 2 of gencap's tunnels.pcap.  tshark 4.0:
 * eth:ethertype:ip:gre:ppp:ip:udp:dns, GRE version 1 (PPTP) with key
 * (payload length 65, call id 4660 = 0x1234), sequence 5, ack 4; PPP ff 03
 * protocol 0x0021; the same inner query.
 */
static const uint8_t pptp_v4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	/* IPv4: total 101, GRE (47), 198.51.100.1 -> 198.51.100.2 */
	0x45, 0x00, 0x00, 0x65, 0x12, 0x34, 0x00, 0x00, 0x40, 0x2f, 0x13, 0xcc,
	0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64, 0x02,
	/* GRE: K S, A version 1, protocol 880b; payload length 65, call id
	 * 0x1234, sequence 5, acknowledgement 4 */
	0x30, 0x81, 0x88, 0x0b, 0x00, 0x41, 0x12, 0x34, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x04,
	/* PPP: ff 03, IPv4 */
	0xff, 0x03, 0x00, 0x21,
	0x45, 0x00, 0x00, 0x3d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x9c, 0x45,
	0x0a, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x35,
	0x9c, 0x40, 0x00, 0x35, 0x00, 0x29, 0x32, 0x68,
	0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
	0x00, 0x01, 0x00, 0x01,
};

#define DNS_OFF_VX 92   /* DNS payload offset in vxlan_v4 */
#define DNS_OFF_PPTP 82 /* ... in pptp_v4 */

/* ---------------------------------------------------------------------- */
/* Helpers */

static struct decoder *dec;
static struct cap_packet cp;
static uint8_t *copy; /* exactly caplen bytes, so ASan sees any overread */

/* The query, as IPv4 and IPv6 packets (built once per test). */
static uint8_t dnsq[64], q4[128], q6[128];
static size_t dnsq_len, q4_len, q6_len;

/* Scratch frames: large, so static. */
static uint8_t fr[CB_MAXPKT], b1[CB_MAXPKT], b2[CB_MAXPKT], b3[CB_MAXPKT];

static const char *O4S = "198.51.100.1", *O4D = "198.51.100.2";
static const char *O6S = "2001:db8:1::1", *O6D = "2001:db8:1::2";

static void setup(void)
{
	dec = decode_new();
	dnsq_len = cb_dns_query(dnsq, sizeof(dnsq), 0x1a2b, "www.example.com", 1);
	q4_len = cb_ip_udp(q4, sizeof(q4), "10.0.0.2", "192.0.2.53", 40000, 53, NULL, dnsq, dnsq_len);
	q6_len = cb_ip_udp(q6, sizeof(q6), "2001:db8::2", "2001:db8::53", 40000, 53, NULL, dnsq, dnsq_len);
	cr_assert(dnsq_len == 33 && q4_len == 61 && q6_len == 81);
}

static void teardown(void)
{
	decode_free(dec);
	dec = NULL;
	free(copy);
	copy = NULL;
}

TestSuite(decap, .init = setup, .fini = teardown);

static enum decode_status run(const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *o)
{
	free(copy);
	copy = malloc(caplen ? caplen : 1);
	memcpy(copy, p, caplen);
	memset(&cp, 0, sizeof(cp));
	cp.frame = 1;
	cp.linktype = 1;
	cp.caplen = (uint32_t)caplen;
	cp.wirelen = (uint32_t)wirelen;
	cp.data = copy;
	cp.ts_sec = 1700000000;
	return decode_packet(dec, &cp, 0, o);
}

static enum decode_status run_full(const uint8_t *p, size_t n, struct pkt *o)
{
	return run(p, n, n, o);
}

static void assert_addr(const struct ls_addr *a, const char *want)
{
	char buf[64];
	addr_str(a, buf, sizeof(buf));
	cr_assert_str_eq(buf, want);
}

/* The encapsulation chain as "a,b,c". */
static const char *chain(const struct pkt *o)
{
	static char buf[256];
	buf[0] = '\0';
	for (unsigned i = 0; i < o->nencap; i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, o->encap[i]);
	}
	return buf;
}

/* The inner query arrived whole: addresses, ports, payload bytes. */
static void assert_query(const struct pkt *o, bool v6)
{
	assert_addr(&o->src, v6 ? "2001:db8::2" : "10.0.0.2");
	assert_addr(&o->dst, v6 ? "2001:db8::53" : "192.0.2.53");
	cr_assert_eq(o->proto, 17);
	cr_assert_eq(o->sport, 40000);
	cr_assert_eq(o->dport, 53);
	cr_assert_eq(o->ip_len, v6 ? q6_len : q4_len);
	cr_assert_eq(memcmp(o->ip, v6 ? q6 : q4, o->ip_len), 0);
	cr_assert_eq(o->payload_len, dnsq_len);
	cr_assert_eq(memcmp(o->payload, dnsq, dnsq_len), 0);
	cr_assert_not(o->truncated);
}

static size_t eth(uint8_t *out, const uint8_t *ip, size_t n)
{
	return cb_link_wrap(out, CB_MAXPKT, 1, NULL, ip, n);
}

/* An inner Ethernet frame with MACs unlike the capture's own, VLAN 42. */
static size_t inner_eth(uint8_t *out, const uint8_t *ip, size_t n)
{
	struct cb_link l;
	cb_link_init(&l);
	l.src_mac[5] = 0x12;
	l.dst_mac[5] = 0x13;
	l.nvlan = 1;
	l.vlan[0] = 42;
	return cb_eth_raw(out, CB_MAXPKT, &l, n && ip[0] >> 4 == 6 ? 0x86dd : 0x0800, ip, n);
}

/* A frame that must come back as its carrier: the outer packet, no
 * tunnel opened. */
static void assert_carrier(const uint8_t *f, size_t n, const char *src, uint8_t proto)
{
	struct pkt o;
	cr_assert_eq(run_full(f, n, &o), DEC_OK);
	cr_assert_eq(o.nencap, 0, "chain %s", chain(&o));
	cr_assert_not(o.has_outer);
	assert_addr(&o.src, src);
	cr_assert_eq(o.proto, proto);
}

/* ---------------------------------------------------------------------- */
/* The two vectors */

Test(decap, vxlan_vector)
{
	struct pkt o;
	cr_assert_eq(run_full(vxlan_v4, sizeof(vxlan_v4), &o), DEC_OK);
	assert_query(&o, false);
	cr_assert_eq(o.ip, copy + 64);
	cr_assert_eq(o.payload, copy + DNS_OFF_VX);
	cr_assert_str_eq(chain(&o), "vxlan");
	cr_assert(o.has_outer);
	assert_addr(&o.outer_src, "198.51.100.1");
	assert_addr(&o.outer_dst, "198.51.100.2");
	cr_assert_eq(o.outer_proto, 17);
	cr_assert_eq(o.outer_sport, 50001);
	cr_assert_eq(o.outer_dport, 4789);
	cr_assert_not(o.encap_capped);
	/* link fields are the capture's own */
	static const uint8_t smac[6] = {2, 0, 0, 0, 0, 2};
	cr_assert(o.has_mac);
	cr_assert_eq(memcmp(o.src_mac, smac, 6), 0);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->decap_packets, 1);
	cr_assert_eq(st->decap[ENCAP_VXLAN], 1);
	cr_assert_eq(st->ip4, 1);
	cr_assert_str_eq(decode_encap_name(ENCAP_VXLAN), "vxlan");
	cr_assert_null(decode_encap_name(ENCAP_KINDS));
}

Test(decap, pptp_gre_vector)
{
	struct pkt o;
	cr_assert_eq(run_full(pptp_v4, sizeof(pptp_v4), &o), DEC_OK);
	assert_query(&o, false);
	cr_assert_eq(o.ip, copy + 54);
	cr_assert_eq(o.payload, copy + DNS_OFF_PPTP);
	cr_assert_str_eq(chain(&o), "pptp-gre");
	assert_addr(&o.outer_src, "198.51.100.1");
	cr_assert_eq(o.outer_proto, 47);
	cr_assert_eq(o.outer_sport, 0);
	cr_assert_eq(decode_get_stats(dec)->decap[ENCAP_PPTP_GRE], 1);
}

/* ---------------------------------------------------------------------- */
/* Every kind, built.  Written to a pcap, tshark 4.0 decodes each of these
 * frames (and nested(8) below) to the same layers, carriers and inner
 * query: frame.protocols e.g. eth:ethertype:ip:udp:vxlan:eth:ethertype:
 * vlan:ethertype:ip:udp:dns; gencap's tunnels.pcap holds 14 of them. */

struct kcase {
	const char *chain;
	bool v6;          /* inner query over IPv6 */
	const char *osrc; /* carrier */
	uint8_t oproto;
	uint16_t osport, odport;
};

static size_t build_kind(int i, struct kcase *k)
{
	size_t n = 0, m = 0;
	memset(k, 0, sizeof(*k));
	k->osrc = O4S;
	switch (i) {
	case 0: { /* GRE with every optional field of RFC 2784/2890 */
		struct cb_gre_opt g = {.csum = true, .has_key = true, .key = 7, .has_seq = true, .seq = 1};
		n = cb_gre(b1, sizeof(b1), &g, 0x0800, q4, q4_len);
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
		*k = (struct kcase){"gre", false, O4S, 47, 0, 0};
		break;
	}
	case 1: { /* PPTP with sequence and acknowledgement */
		struct cb_gre_opt g = {.pptp = true, .call_id = 0x1234, .has_seq = true, .seq = 5,
				       .has_ack = true, .ack = 4};
		n = cb_ppp(b3, sizeof(b3), true, false, 0x0021, q4, q4_len);
		n = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
		*k = (struct kcase){"pptp-gre", false, O4S, 47, 0, 0};
		break;
	}
	case 2: { /* PPTP, PPP without ff 03 and with a 1-byte protocol */
		struct cb_gre_opt g = {.pptp = true, .call_id = 0x1234};
		n = cb_ppp(b3, sizeof(b3), false, true, 0x0021, q4, q4_len);
		cr_assert_eq(n, 1 + q4_len);
		n = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
		*k = (struct kcase){"pptp-gre", false, O4S, 47, 0, 0};
		break;
	}
	case 3: /* GRE transparent Ethernet bridging, VLAN inside */
		n = inner_eth(b3, q4, q4_len);
		n = cb_gre(b1, sizeof(b1), NULL, 0x6558, b3, n);
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
		*k = (struct kcase){"gre", false, O4S, 47, 0, 0};
		break;
	case 4:
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 4, NULL, q4, q4_len);
		*k = (struct kcase){"ipip", false, O4S, 4, 0, 0};
		break;
	case 5:
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 41, NULL, q6, q6_len);
		*k = (struct kcase){"6in4", true, O4S, 41, 0, 0};
		break;
	case 6:
		m = cb_ip(b2, sizeof(b2), O6S, O6D, 41, NULL, q6, q6_len);
		*k = (struct kcase){"ip6ip6", true, O6S, 41, 0, 0};
		break;
	case 7:
		m = cb_ip(b2, sizeof(b2), O6S, O6D, 4, NULL, q4, q4_len);
		*k = (struct kcase){"4in6", false, O6S, 4, 0, 0};
		break;
	case 8:
		n = cb_gre(b1, sizeof(b1), NULL, 0x86dd, q6, q6_len);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 4754, NULL, b1, n);
		*k = (struct kcase){"gre-udp", true, O4S, 17, 50000, 4754};
		break;
	case 9:
		n = inner_eth(b3, q4, q4_len);
		n = cb_vxlan(b1, sizeof(b1), 0x08, 4242, b3, n);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50001, 4789, NULL, b1, n);
		*k = (struct kcase){"vxlan", false, O4S, 17, 50001, 4789};
		break;
	case 10: { /* Geneve with two options, Ethernet inside */
		static const uint8_t opt[12] = {0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef,
						0x01, 0x03, 0x05, 0x00};
		n = inner_eth(b3, q6, q6_len);
		n = cb_geneve(b1, sizeof(b1), 0x6558, 77, opt, sizeof(opt), b3, n);
		m = cb_ip_udp(b2, sizeof(b2), O6S, O6D, 50002, 6081, NULL, b1, n);
		*k = (struct kcase){"geneve", true, O6S, 17, 50002, 6081};
		break;
	}
	case 11: { /* Geneve carrying IPv4 directly */
		n = cb_geneve(b1, sizeof(b1), 0x0800, 78, NULL, 0, q4, q4_len);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50002, 6081, NULL, b1, n);
		*k = (struct kcase){"geneve", false, O4S, 17, 50002, 6081};
		break;
	}
	case 12: { /* Teredo with both optional headers, from the server port */
		struct cb_teredo_opt t = {.auth = true, .id_len = 2, .au_len = 3, .origin = true,
					  .origin_port = 40000, .origin_addr = "203.0.113.9"};
		n = cb_teredo(b1, sizeof(b1), &t, q6, q6_len);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 3544, 50003, NULL, b1, n);
		*k = (struct kcase){"teredo", true, O4S, 17, 3544, 50003};
		break;
	}
	case 13: { /* GTP-U with sequence number and a PDU session container */
		static const uint8_t ext[4] = {0x01, 0x00, 0x05, 0x00};
		struct cb_gtpu_opt g = {.seq = true, .seqno = 9, .ext_first = 0x85, .ext = ext,
					.ext_len = sizeof(ext)};
		n = cb_gtpu(b1, sizeof(b1), 0xabcdef01, &g, q4, q4_len);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 2152, 2152, NULL, b1, n);
		*k = (struct kcase){"gtp-u", false, O4S, 17, 2152, 2152};
		break;
	}
	case 14: { /* GTP-U, bare header, IPv6 inside */
		n = cb_gtpu(b1, sizeof(b1), 1, NULL, q6, q6_len);
		m = cb_ip_udp(b2, sizeof(b2), O6S, O6D, 2152, 2152, NULL, b1, n);
		*k = (struct kcase){"gtp-u", true, O6S, 17, 2152, 2152};
		break;
	}
	case 15: { /* L2TP with length, Ns/Nr and an offset */
		struct cb_l2tp_opt t = {.has_len = true, .has_seq = true, .ns = 1, .nr = 2, .has_off = true,
					.off = 2};
		n = cb_ppp(b3, sizeof(b3), true, false, 0x0021, q4, q4_len);
		n = cb_l2tp(b1, sizeof(b1), 11, 22, &t, b3, n);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 1701, 1701, NULL, b1, n);
		*k = (struct kcase){"l2tp", false, O4S, 17, 1701, 1701};
		break;
	}
	case 16: { /* L2TP, bare header, PPP compressed, IPv6 */
		n = cb_ppp(b3, sizeof(b3), false, true, 0x0057, q6, q6_len);
		n = cb_l2tp(b1, sizeof(b1), 11, 22, NULL, b3, n);
		m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 33333, 1701, NULL, b1, n);
		*k = (struct kcase){"l2tp", true, O4S, 17, 33333, 1701};
		break;
	}
	default:
		return 0;
	}
	cr_assert_gt(m, 0, "case %d", i);
	return eth(fr, b2, m);
}

#define NKINDS 17

Test(decap, every_kind_carries_the_query)
{
	unsigned seen[ENCAP_KINDS] = {0};
	for (int i = 0; i < NKINDS; i++) {
		struct kcase k;
		size_t n = build_kind(i, &k);
		cr_assert_gt(n, 0);
		struct pkt o;
		cr_assert_eq(run_full(fr, n, &o), DEC_OK, "case %d %s", i, k.chain);
		cr_assert_str_eq(chain(&o), k.chain, "case %d", i);
		assert_query(&o, k.v6);
		cr_assert(o.has_outer);
		assert_addr(&o.outer_src, k.osrc);
		cr_assert_eq(o.outer_proto, k.oproto, "case %d", i);
		cr_assert_eq(o.outer_sport, k.osport, "case %d", i);
		cr_assert_eq(o.outer_dport, k.odport, "case %d", i);
		/* pointers into the record */
		cr_assert(o.ip > copy && o.payload + o.payload_len == copy + n, "case %d", i);
		/* the inner Ethernet's MACs and VLAN 42 are not the capture's */
		cr_assert_eq(o.src_mac[5], 0x02, "case %d", i);
		cr_assert_eq(o.nvlan, 0, "case %d", i);
		for (int e = 0; e < ENCAP_KINDS; e++)
			if (strcmp(decode_encap_name((enum encap_kind)e), k.chain) == 0)
				seen[e]++;
	}
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->decap_packets, NKINDS);
	for (int e = 0; e < ENCAP_KINDS; e++) {
		cr_assert_gt(seen[e], 0, "kind %s never built", decode_encap_name((enum encap_kind)e));
		cr_assert_eq(st->decap[e], seen[e], "%s", decode_encap_name((enum encap_kind)e));
	}
	cr_assert_eq(st->tunnel_invalid + st->tunnel_other + st->tunnel_inner_malformed, 0);
}

/* ---------------------------------------------------------------------- */
/* Hostile and edge headers */

Test(decap, gre_flags_and_versions)
{
	size_t n, m;
	/* RFC 2784 bits 1-5: routing present (0x40), strict route (0x08),
	 * recursion (0x04): discard; reserved bits 6-12; version 2..7 */
	static const uint8_t bad0[] = {0x40, 0x08, 0x04, 0x01, 0x02};
	static const uint8_t bad1[] = {0x00, 0x00, 0x00, 0x40, 0x02};
	for (size_t i = 0; i < sizeof(bad0); i++) {
		struct cb_gre_opt g = {.flags0 = bad0[i], .flags1 = bad1[i]};
		n = cb_gre(b1, sizeof(b1), &g, 0x0800, q4, q4_len);
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
		assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	}
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, sizeof(bad0));
	/* version 1 must be PPTP's exact shape: protocol 880b, K set, no C */
	struct cb_gre_opt p1 = {.pptp = true};
	n = cb_gre(b1, sizeof(b1), &p1, 0x0800, q4, q4_len);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	struct cb_gre_opt p2 = {.pptp = true, .flags0 = 0x80};
	n = cb_gre(b1, sizeof(b1), &p2, 0x880b, q4, q4_len);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	/* version 1 inside UDP 4754 is not GRE-in-UDP */
	n = cb_ppp(b3, sizeof(b3), true, false, 0x21, q4, q4_len);
	n = cb_gre(b1, sizeof(b1), &(struct cb_gre_opt){.pptp = true}, 0x880b, b3, n);
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 4754, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, sizeof(bad0) + 3);
	/* a valid header carrying MPLS or a keepalive: not ours, counted */
	n = cb_gre(b1, sizeof(b1), NULL, 0x8847, q4, q4_len);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	/* PPTP acknowledgement alone: payload length 0 */
	struct cb_gre_opt ackonly = {.pptp = true, .has_ack = true, .ack = 9};
	n = cb_gre(b1, sizeof(b1), &ackonly, 0x880b, NULL, 0);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	cr_assert_eq(decode_get_stats(dec)->tunnel_other, 2);
	/* A GRE header cut inside its optional fields, record complete: a lie */
	struct cb_gre_opt all = {.csum = true, .has_key = true, .has_seq = true};
	n = cb_gre(b1, sizeof(b1), &all, 0x0800, NULL, 0);
	for (size_t k = 0; k < n; k++) {
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, k);
		assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	}
}

Test(decap, pptp_lengths_lie)
{
	struct pkt o;
	size_t n = cb_ppp(b3, sizeof(b3), true, false, 0x0021, q4, q4_len);
	/* payload length one more than present: a lie (record not snapped) */
	struct cb_gre_opt g = {.pptp = true, .len_field = (uint16_t)(n + 1)};
	size_t m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 1);
	/* less than present: the PPP frame ends there, the inner IP is cut
	 * by the lie: the carrier comes back, counted as inner malformed */
	g.len_field = (uint16_t)(n - 10);
	m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	cr_assert_eq(decode_get_stats(dec)->tunnel_inner_malformed, 1);
	/* trailing bytes after the PPP frame are ignored */
	memcpy(b3 + n, "\xde\xad\xbe\xef", 4);
	g.len_field = (uint16_t)n;
	m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n + 4);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	assert_query(&o, false);
}

Test(decap, ppp_protocol_field)
{
	struct pkt o;
	struct cb_gre_opt g = {.pptp = true, .call_id = 1};
	/* with ff 03 and a compressed protocol; without ff 03, two bytes */
	for (int v = 0; v < 2; v++) {
		size_t n = cb_ppp(b3, sizeof(b3), v == 0, v == 0, 0x0021, q4, q4_len);
		cr_assert_eq(n, v == 0 ? 3 + q4_len : 2 + q4_len);
		size_t m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
		m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
		cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
		assert_query(&o, false);
		cr_assert_str_eq(chain(&o), "pptp-gre");
	}
	/* IPv6 with a compressed 0x57 */
	size_t n = cb_ppp(b3, sizeof(b3), false, true, 0x0057, q6, q6_len);
	size_t m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	assert_query(&o, true);
	/* LCP (c021), and MPPE-compressed data (00fd, compressed to fd):
	 * nothing IP inside, the carrier comes back */
	static const uint8_t lcp[] = {0x01, 0x01, 0x00, 0x04};
	n = cb_ppp(b3, sizeof(b3), true, false, 0xc021, lcp, sizeof(lcp));
	m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	n = cb_ppp(b3, sizeof(b3), false, true, 0x00fd, lcp, sizeof(lcp));
	cr_assert_eq(b3[0], 0xfd);
	m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, n);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	cr_assert_eq(decode_get_stats(dec)->tunnel_other, 2);
	/* an even first byte needs a second one: a 1-byte PPP frame lies */
	b3[0] = 0x00;
	m = cb_gre(b1, sizeof(b1), &g, 0x880b, b3, 1);
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 47, NULL, b1, m);
	assert_carrier(fr, eth(fr, b2, m), O4S, 47);
	cr_assert_eq(decode_get_stats(dec)->tunnel_inner_malformed, 1);
}

static size_t teredo_frame(const struct cb_teredo_opt *t, const uint8_t *ip6, size_t len, uint16_t sport,
			   uint16_t dport)
{
	size_t n = cb_teredo(b1, sizeof(b1), t, ip6, len);
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, sport, dport, NULL, b1, n);
	return eth(fr, b2, m);
}

Test(decap, teredo_optional_headers)
{
	struct pkt o;
	/* none, authentication only (with empty and full-size fields),
	 * origin only, both; from and to the port */
	struct cb_teredo_opt ok[] = {
		{0},
		{.auth = true},
		{.auth = true, .id_len = 255, .au_len = 255},
		{.origin = true, .origin_port = 1},
		{.auth = true, .id_len = 1, .au_len = 1, .origin = true},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = teredo_frame(&ok[i], q6, q6_len, i % 2 ? 3544 : 50000, i % 2 ? 50000 : 3544);
		cr_assert_eq(run_full(fr, n, &o), DEC_OK, "case %zu", i);
		cr_assert_str_eq(chain(&o), "teredo", "case %zu", i);
		assert_query(&o, true);
	}
	/* origin before authentication, twice the same header, an unknown
	 * indicator (00 02): not Teredo */
	b3[0] = 0;
	b3[1] = 0;
	memset(b3 + 2, 0x11, 6);
	b3[8] = 0;
	b3[9] = 1;
	b3[10] = 0;
	b3[11] = 0;
	memset(b3 + 12, 0, 9);
	memcpy(b3 + 21, q6, q6_len);
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 3544, NULL, b3, 21 + q6_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	memcpy(b3 + 8, b3, 8); /* origin, origin */
	memcpy(b3 + 16, q6, q6_len);
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 3544, NULL, b3, 16 + q6_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	b3[1] = 2;
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 3544, NULL, b3, 16 + q6_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	/* authentication lengths that run past the datagram */
	static const uint8_t authlie[] = {0x00, 0x01, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0};
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 3544, NULL, authlie, sizeof(authlie));
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	/* the IPv6 packet: payload length one too many or too few, an IPv4
	 * packet, 39 bytes of IPv6 */
	uint8_t v6[128];
	memcpy(v6, q6, q6_len);
	v6[5]++;
	assert_carrier(fr, teredo_frame(NULL, v6, q6_len, 50000, 3544), O4S, 17);
	v6[5] -= 2;
	assert_carrier(fr, teredo_frame(NULL, v6, q6_len, 50000, 3544), O4S, 17);
	assert_carrier(fr, teredo_frame(NULL, q4, q4_len, 50000, 3544), O4S, 17);
	assert_carrier(fr, teredo_frame(NULL, q6, 39, 50000, 3544), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 8);
	cr_assert_eq(decode_get_stats(dec)->decap_packets, 5);
}

static size_t gtpu_frame(const struct cb_gtpu_opt *g, const uint8_t *ip, size_t len)
{
	size_t n = cb_gtpu(b1, sizeof(b1), 0x01020304, g, ip, len);
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 2152, 2152, NULL, b1, n);
	cr_assert_gt(m, 0);
	return eth(fr, b2, m);
}

Test(decap, gtpu_extension_chains)
{
	struct pkt o;
	uint8_t ext[256];
	/* A chain of 16 headers of 4 bytes, each naming the next: fine.  17:
	 * past the cap.  The chain cannot loop (each header moves forward),
	 * but a length of 0 would stand still: refused. */
	for (int k = 0; k < 17; k++) {
		ext[4 * k] = 1;
		ext[4 * k + 1] = 0xaa;
		ext[4 * k + 2] = 0xbb;
		ext[4 * k + 3] = 0x85; /* next: another PDU session container */
	}
	ext[4 * 15 + 3] = 0;
	struct cb_gtpu_opt g = {.ext_first = 0x85, .ext = ext, .ext_len = 64};
	cr_assert_eq(run_full(fr, gtpu_frame(&g, q4, q4_len), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "gtp-u");
	assert_query(&o, false);
	ext[4 * 15 + 3] = 0x85;
	ext[4 * 16 + 3] = 0;
	g.ext_len = 68;
	assert_carrier(fr, gtpu_frame(&g, q4, q4_len), O4S, 17);
	/* a zero length: the one way to loop */
	ext[0] = 0;
	g.ext_len = 64;
	assert_carrier(fr, gtpu_frame(&g, q4, q4_len), O4S, 17);
	/* an extension header longer than the GTP message */
	ext[0] = 0xff;
	ext[3] = 0;
	g.ext_len = 4;
	assert_carrier(fr, gtpu_frame(&g, q4, q4_len), O4S, 17);
	/* the last header names a next one that is not there */
	ext[0] = 1;
	ext[3] = 0x85;
	assert_carrier(fr, gtpu_frame(&g, NULL, 0), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 4);
	/* the GTP length: one more than present, then shorter than the
	 * optional fields */
	struct cb_gtpu_opt l1 = {.len_field = (uint16_t)(q4_len + 1)};
	assert_carrier(fr, gtpu_frame(&l1, q4, q4_len), O4S, 17);
	struct cb_gtpu_opt l2 = {.seq = true, .len_field = 3};
	assert_carrier(fr, gtpu_frame(&l2, q4, q4_len), O4S, 17);
	/* version 2 (GTPv2-C on the wrong port), PT 0 (GTP'), the spare bit */
	static const uint8_t badfl[] = {0x50, 0x20, 0x38};
	for (size_t i = 0; i < sizeof(badfl); i++) {
		struct cb_gtpu_opt f = {.flags = badfl[i]};
		assert_carrier(fr, gtpu_frame(&f, q4, q4_len), O4S, 17);
	}
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 9);
	/* echo request (type 1), end marker (254): signalling; a G-PDU
	 * carrying neither IPv4 nor IPv6, and one carrying nothing */
	struct cb_gtpu_opt echo = {.type = 1, .seq = true};
	assert_carrier(fr, gtpu_frame(&echo, NULL, 0), O4S, 17);
	struct cb_gtpu_opt endm = {.type = 254};
	assert_carrier(fr, gtpu_frame(&endm, NULL, 0), O4S, 17);
	assert_carrier(fr, gtpu_frame(NULL, (const uint8_t *)"\x20\x00\x00\x00", 4), O4S, 17);
	assert_carrier(fr, gtpu_frame(NULL, NULL, 0), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_other, 4);
	/* the next-type byte without the E flag means nothing */
	struct cb_gtpu_opt se = {.seq = true, .flags = 0x32};
	size_t n = gtpu_frame(&se, q4, q4_len);
	fr[14 + 20 + 8 + 11] = 0x85;
	cr_assert_eq(run_full(fr, n, &o), DEC_OK);
	assert_query(&o, false);
}

static size_t l2tp_frame(const struct cb_l2tp_opt *t, const uint8_t *ppp, size_t len)
{
	size_t n = cb_l2tp(b1, sizeof(b1), 7, 8, t, ppp, len);
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 1701, 1701, NULL, b1, n);
	cr_assert_gt(m, 0);
	return eth(fr, b2, m);
}

Test(decap, l2tp_control_and_lies)
{
	struct pkt o;
	size_t pn = cb_ppp(b3, sizeof(b3), true, false, 0x0021, q4, q4_len);
	/* control messages (T bit, with L and S as RFC 2661 demands): tunnel
	 * signalling, never opened, even when the bytes after look like PPP */
	struct cb_l2tp_opt ctl = {.control = true, .has_len = true, .has_seq = true};
	assert_carrier(fr, l2tp_frame(&ctl, b3, pn), O4S, 17);
	/* a zero-length body (ZLB) acknowledgement */
	assert_carrier(fr, l2tp_frame(&ctl, NULL, 0), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_other, 2);
	/* version 3 and reserved bits: not L2TPv2 */
	struct cb_l2tp_opt v3 = {.version = 3};
	assert_carrier(fr, l2tp_frame(&v3, b3, pn), O4S, 17);
	struct cb_l2tp_opt rsv = {.version = 0x12};
	assert_carrier(fr, l2tp_frame(&rsv, b3, pn), O4S, 17);
	/* the length field: past the datagram, shorter than the header */
	struct cb_l2tp_opt l1 = {.has_len = true, .len_field = (uint16_t)(8 + pn + 1)};
	assert_carrier(fr, l2tp_frame(&l1, b3, pn), O4S, 17);
	struct cb_l2tp_opt l2 = {.has_len = true, .len_field = 7};
	assert_carrier(fr, l2tp_frame(&l2, b3, pn), O4S, 17);
	/* an offset size past the end */
	struct cb_l2tp_opt off = {.has_off = true};
	size_t n = l2tp_frame(&off, b3, 0);
	fr[n - 2] = 0x00;
	fr[n - 1] = 0x10;
	assert_carrier(fr, n, O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 5);
	/* a length shorter than the datagram: trailing bytes are not PPP */
	struct cb_l2tp_opt l3 = {.has_len = true, .len_field = (uint16_t)(8 + pn)};
	memcpy(b3 + pn, "junk", 4);
	cr_assert_eq(run_full(fr, l2tp_frame(&l3, b3, pn + 4), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "l2tp");
	assert_query(&o, false);
	/* the real L2TP capture's shape: O and P bits, offset 0 */
	struct cb_l2tp_opt op = {.has_off = true};
	n = l2tp_frame(&op, b3, pn);
	fr[14 + 20 + 8] |= 0x01; /* P */
	cr_assert_eq(run_full(fr, n, &o), DEC_OK);
	assert_query(&o, false);
}

static size_t vxlan_frame(uint8_t flags, const uint8_t *inner, size_t len, uint16_t sport, uint16_t dport)
{
	size_t n = cb_vxlan(b1, sizeof(b1), flags, 99, inner, len);
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, sport, dport, NULL, b1, n);
	return eth(fr, b2, m);
}

Test(decap, vxlan_flags)
{
	struct pkt o;
	size_t e = inner_eth(b3, q4, q4_len);
	/* I bit clear: RFC 7348 says the packet is not VXLAN */
	assert_carrier(fr, vxlan_frame(0x00, b3, e, 50000, 4789), O4S, 17);
	/* reserved flag bits nobody uses; the last reserved byte */
	assert_carrier(fr, vxlan_frame(0x48, b3, e, 50000, 4789), O4S, 17);
	size_t n = vxlan_frame(0x08, b3, e, 50000, 4789);
	fr[14 + 20 + 8 + 7] = 1;
	assert_carrier(fr, n, O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 3);
	/* Group Based Policy: G bit and a policy id */
	n = vxlan_frame(0x88, b3, e, 50000, 4789);
	fr[14 + 20 + 8 + 3] = 0x21;
	cr_assert_eq(run_full(fr, n, &o), DEC_OK);
	assert_query(&o, false);
	/* VXLAN-GPE framing (P bit, next protocol 1: IPv4 with no Ethernet) */
	n = vxlan_frame(0x0c, q4, q4_len, 50000, 4789);
	fr[14 + 20 + 8 + 3] = 1;
	cr_assert_eq(run_full(fr, n, &o), DEC_OK);
	assert_query(&o, false);
	fr[14 + 20 + 8 + 3] = 4; /* NSH */
	assert_carrier(fr, n, O4S, 17);
	/* the answer comes back from port 4789 */
	cr_assert_eq(run_full(fr, vxlan_frame(0x08, b3, e, 4789, 50000), &o), DEC_OK);
	assert_query(&o, false);
	/* ARP inside: a valid tunnel without IP */
	static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};
	n = cb_eth_raw(b3, sizeof(b3), NULL, 0x0806, arp, sizeof(arp));
	assert_carrier(fr, vxlan_frame(0x08, b3, n, 50000, 4789), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_other, 2);
}

Test(decap, geneve_options_and_protocols)
{
	struct pkt o;
	uint8_t opt[252];
	memset(opt, 0, sizeof(opt));
	/* 63 options of 4 bytes each (length 0): the most there can be */
	size_t n = cb_geneve(b1, sizeof(b1), 0x0800, 1, opt, 252, q4, q4_len);
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	assert_query(&o, false);
	/* an option whose length runs past the options length */
	opt[3] = 2;
	n = cb_geneve(b1, sizeof(b1), 0x0800, 1, opt, 8, q4, q4_len);
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	/* options length past the datagram */
	n = cb_geneve(b1, sizeof(b1), 0x0800, 1, NULL, 0, NULL, 0);
	b1[0] = 0x3f;
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	/* version 1, reserved bits */
	n = cb_geneve(b1, sizeof(b1), 0x0800, 1, NULL, 0, q4, q4_len);
	b1[0] = 0x40;
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	b1[0] = 0;
	b1[1] = 0x01;
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 4);
	/* the O bit (OAM) is a valid header; an unknown protocol is not IP */
	b1[1] = 0x80;
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "geneve");
	n = cb_geneve(b1, sizeof(b1), 0x894f, 1, NULL, 0, q4, q4_len);
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	/* the protocol says IPv6, an IPv4 packet follows */
	n = cb_geneve(b1, sizeof(b1), 0x86dd, 1, NULL, 0, q4, q4_len);
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 50000, 6081, NULL, b1, n);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_other, 1);
	cr_assert_eq(decode_get_stats(dec)->tunnel_inner_malformed, 1);
}

Test(decap, ipip_version_must_match)
{
	/* protocol 4 carrying IPv6 and 41 carrying IPv4: not IP-in-IP */
	size_t m = cb_ip(b2, sizeof(b2), O4S, O4D, 4, NULL, q6, q6_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 4);
	m = cb_ip(b2, sizeof(b2), O6S, O6D, 41, NULL, q4, q4_len);
	assert_carrier(fr, eth(fr, b2, m), O6S, 41);
	/* empty */
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 4, NULL, NULL, 0);
	assert_carrier(fr, eth(fr, b2, m), O4S, 4);
	cr_assert_eq(decode_get_stats(dec)->tunnel_invalid, 3);
	/* the inner total length lies (one more than there is) */
	uint8_t lie[128];
	memcpy(lie, q4, q4_len);
	lie[3]++;
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 4, NULL, lie, q4_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 4);
	cr_assert_eq(decode_get_stats(dec)->tunnel_inner_malformed, 1);
	cr_assert_eq(decode_get_stats(dec)->malformed, 0);
}

Test(decap, inner_lengths_lie)
{
	/* Inside VXLAN: an inner IPv4 total length past the frame, an inner
	 * UDP length under 8, an inner Ethernet frame of 13 bytes.  Each
	 * time the carrier comes back, counted. */
	uint8_t lie[128];
	memcpy(lie, q4, q4_len);
	lie[2] = 0x01;
	size_t e = inner_eth(b3, lie, q4_len);
	assert_carrier(fr, vxlan_frame(0x08, b3, e, 50000, 4789), O4S, 17);
	memcpy(lie, q4, q4_len);
	lie[20 + 5] = 7;
	e = inner_eth(b3, lie, q4_len);
	assert_carrier(fr, vxlan_frame(0x08, b3, e, 50000, 4789), O4S, 17);
	assert_carrier(fr, vxlan_frame(0x08, b3, 13, 50000, 4789), O4S, 17);
	cr_assert_eq(decode_get_stats(dec)->tunnel_inner_malformed, 3);
	cr_assert_eq(decode_get_stats(dec)->malformed, 0);
	cr_assert_eq(decode_get_stats(dec)->decap_packets, 0);
}

/* DNS from or to a tunnel port is DNS: the header checks (and, behind
 * them, the inner decode) keep it from being read as a tunnel. */
Test(decap, dns_on_tunnel_ports_is_left_alone)
{
	static const uint16_t ports[] = {4754, 4789, 6081, 3544, 2152, 1701};
	uint8_t r[128];
	size_t rn = cb_dns_answer_a(r, sizeof(r), 0x1a2b, "www.example.com", "93.184.216.34", 300);
	/* IDs chosen to pass the first byte checks: 0x08 (VXLAN), 0x30
	 * (GTP-U), 0x00 (Geneve version 0, Teredo indicator, L2TP) */
	static const uint16_t ids[] = {0x1a2b, 0x0800, 0x3000, 0x0002, 0x0001};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
			uint8_t q[64];
			size_t qn = cb_dns_query(q, sizeof(q), ids[k], "www.example.com", 1);
			r[0] = (uint8_t)(ids[k] >> 8);
			r[1] = (uint8_t)ids[k];
			struct pkt o;
			size_t m = cb_ip_udp(b2, sizeof(b2), "10.0.0.2", "192.0.2.53", ports[i], 53, NULL, q, qn);
			cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
			cr_assert_eq(o.nencap, 0, "port %u id %04x", ports[i], ids[k]);
			cr_assert_eq(o.sport, ports[i]);
			cr_assert_eq(o.payload_len, qn);
			m = cb_ip_udp(b2, sizeof(b2), "192.0.2.53", "10.0.0.2", 53, ports[i], NULL, r, rn);
			cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
			cr_assert_eq(o.nencap, 0, "port %u id %04x answer", ports[i], ids[k]);
			cr_assert_eq(o.dport, ports[i]);
			cr_assert_eq(o.payload_len, rn);
		}
	}
	cr_assert_eq(decode_get_stats(dec)->decap_packets, 0);
}

/* ---------------------------------------------------------------------- */
/* Nesting: GRE inside VXLAN inside IP-in-IP, repeated, to the cap and past */

/* Wraps the IP packet in[0..n) at nesting level lvl (1 = outermost):
 * carriers 10.lvl.0.1 -> 10.lvl.0.2. */
static size_t wrap(uint8_t *out, int lvl, const uint8_t *in, size_t n)
{
	static uint8_t t1[CB_MAXPKT], t2[CB_MAXPKT];
	char s[32], d[32];
	snprintf(s, sizeof(s), "10.%d.0.1", lvl);
	snprintf(d, sizeof(d), "10.%d.0.2", lvl);
	switch ((lvl - 1) % 3) {
	case 0: /* ipip: the inner packet must be IPv4 */
		return cb_ip(out, CB_MAXPKT, s, d, 4, NULL, in, n);
	case 1:
		n = inner_eth(t1, in, n);
		n = cb_vxlan(t2, sizeof(t2), 0x08, (uint32_t)lvl, t1, n);
		return cb_ip_udp(out, CB_MAXPKT, s, d, (uint16_t)(40000 + lvl), 4789, NULL, t2, n);
	default:
		n = cb_gre(t2, sizeof(t2), NULL, 0x0800, in, n);
		return cb_ip(out, CB_MAXPKT, s, d, 47, NULL, t2, n);
	}
}

static size_t nested(int depth)
{
	static uint8_t x[2][CB_MAXPKT];
	memcpy(x[0], q4, q4_len);
	size_t n = q4_len;
	int cur = 0;
	for (int lvl = depth; lvl >= 1; lvl--) {
		n = wrap(x[1 - cur], lvl, x[cur], n);
		cr_assert_gt(n, 0);
		cur = 1 - cur;
	}
	return eth(fr, x[cur], n);
}

Test(decap, nested_up_to_the_cap)
{
	struct pkt o;
	cr_assert_eq(LS_MAX_ENCAP, 8);
	cr_assert_eq(run_full(fr, nested(3), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "ipip,vxlan,gre");
	assert_query(&o, false);
	cr_assert_eq(run_full(fr, nested(8), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "ipip,vxlan,gre,ipip,vxlan,gre,ipip,vxlan");
	assert_query(&o, false);
	cr_assert_not(o.encap_capped);
	assert_addr(&o.outer_src, "10.1.0.1");
	assert_addr(&o.outer_dst, "10.1.0.2");
	cr_assert_eq(o.outer_proto, 4);
	cr_assert_eq(o.nvlan, 0);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->decap[ENCAP_IPIP], 1 + 3);
	cr_assert_eq(st->decap[ENCAP_VXLAN], 1 + 3);
	cr_assert_eq(st->decap[ENCAP_GRE], 1 + 2);
	cr_assert_eq(st->encap_depth_capped, 0);
}

Test(decap, nested_one_past_the_cap)
{
	struct pkt o;
	/* The ninth tunnel (GRE, level 9) stays closed: the packet returned
	 * is its carrier, 10.9.0.1 -> 10.9.0.2 protocol 47. */
	cr_assert_eq(run_full(fr, nested(9), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "ipip,vxlan,gre,ipip,vxlan,gre,ipip,vxlan");
	cr_assert(o.encap_capped);
	assert_addr(&o.src, "10.9.0.1");
	assert_addr(&o.dst, "10.9.0.2");
	cr_assert_eq(o.proto, 47);
	assert_addr(&o.outer_src, "10.1.0.1");
	cr_assert_eq(decode_get_stats(dec)->encap_depth_capped, 1);
	/* and far past it */
	cr_assert_eq(run_full(fr, nested(40), &o), DEC_OK);
	cr_assert_eq(o.nencap, LS_MAX_ENCAP);
	assert_addr(&o.src, "10.9.0.1");
	cr_assert_eq(decode_get_stats(dec)->encap_depth_capped, 2);
}

/* ---------------------------------------------------------------------- */
/* Carrier check */

struct ck {
	int calls;
	struct pkt seen[LS_MAX_ENCAP + 1];
	const char *endpoint; /* this destination is a declared VPN endpoint */
};

static bool ck_fn(void *user, const struct pkt *p)
{
	struct ck *k = user;
	if (k->calls <= LS_MAX_ENCAP)
		k->seen[k->calls] = *p;
	k->calls++;
	char buf[64];
	addr_str(&p->dst, buf, sizeof(buf));
	return k->endpoint && strcmp(buf, k->endpoint) == 0;
}

Test(decap, carrier_check_keeps_declared_endpoints_closed)
{
	struct ck k = {.endpoint = "198.51.100.2"};
	struct pkt o;
	decode_set_carrier_check(dec, ck_fn, &k);
	/* a real VXLAN packet to the endpoint: left closed */
	cr_assert_eq(run_full(vxlan_v4, sizeof(vxlan_v4), &o), DEC_OK);
	cr_assert_eq(o.nencap, 0);
	assert_addr(&o.dst, "198.51.100.2");
	cr_assert_eq(o.dport, 4789);
	cr_assert_eq(o.payload_len, sizeof(vxlan_v4) - 42);
	cr_assert_eq(k.calls, 1);
	assert_addr(&k.seen[0].src, "198.51.100.1");
	cr_assert_eq(k.seen[0].proto, 17);
	cr_assert_eq(k.seen[0].sport, 50001);
	cr_assert_eq(k.seen[0].dport, 4789);
	cr_assert_not(k.seen[0].has_outer);
	/* WireGuard's handshake initiation (type 1, 148 bytes) on 4789 */
	uint8_t wg[148] = {1, 0, 0, 0};
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 51820, 4789, NULL, wg, sizeof(wg));
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	cr_assert_eq(o.nencap, 0);
	cr_assert_eq(o.payload_len, 148);
	/* GRE and IP-in-IP are asked about too */
	m = cb_ip(b2, sizeof(b2), O4S, O4D, 4, NULL, q4, q4_len);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	cr_assert_eq(o.nencap, 0);
	cr_assert_eq(run_full(pptp_v4, sizeof(pptp_v4), &o), DEC_OK);
	cr_assert_eq(o.nencap, 0);
	cr_assert_eq(o.proto, 47);
	cr_assert_eq(k.calls, 4);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->tunnel_carrier_kept, 4);
	cr_assert_eq(st->tunnel_invalid, 0);
	/* ordinary UDP is not asked about */
	run_full(fr, eth(fr, q4, q4_len), &o);
	cr_assert_eq(k.calls, 4);
	/* another destination: opened */
	k.endpoint = "203.0.113.1";
	cr_assert_eq(run_full(vxlan_v4, sizeof(vxlan_v4), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "vxlan");
	/* back to no check */
	decode_set_carrier_check(dec, NULL, NULL);
	cr_assert_eq(run_full(pptp_v4, sizeof(pptp_v4), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "pptp-gre");
	cr_assert_eq(k.calls, 5);
}

Test(decap, carrier_check_at_every_depth)
{
	struct ck k = {0};
	struct pkt o;
	decode_set_carrier_check(dec, ck_fn, &k);
	cr_assert_eq(run_full(fr, nested(3), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "ipip,vxlan,gre");
	cr_assert_eq(k.calls, 3);
	for (int i = 0; i < 3; i++) {
		char want[32];
		snprintf(want, sizeof(want), "10.%d.0.2", i + 1);
		assert_addr(&k.seen[i].dst, want);
		cr_assert_eq(k.seen[i].nencap, i);
		cr_assert_eq(k.seen[i].has_outer, i > 0);
	}
	cr_assert_eq(k.seen[1].dport, 4789);
	cr_assert_eq(k.seen[2].proto, 47);
	/* the second carrier (the VXLAN one) is a declared endpoint */
	k.calls = 0;
	k.endpoint = "10.2.0.2";
	cr_assert_eq(run_full(fr, nested(3), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "ipip");
	assert_addr(&o.src, "10.2.0.1");
	cr_assert_eq(o.dport, 4789);
	cr_assert_eq(k.calls, 2);
}

/* ---------------------------------------------------------------------- */
/* Fragments inside tunnels */

/* The query's IPv4 packet in two fragments (24 + 17 payload bytes). */
static struct cb_frags frags;

static void frags_fini(void)
{
	cb_frags_free(&frags);
}

static size_t gre_around(uint8_t *out, const char *s, const char *d, uint32_t key, const uint8_t *ip,
			 size_t n)
{
	struct cb_gre_opt g = {.has_key = true, .key = key};
	size_t k = cb_gre(b1, sizeof(b1), &g, 0x0800, ip, n);
	return cb_ip(out, CB_MAXPKT, s, d, 47, NULL, b1, k);
}

Test(decap, inner_fragments_reassembled, .fini = frags_fini)
{
	struct pkt o;
	cr_assert_eq(cb_fragment(q4, q4_len, 24, 0, &frags), 0);
	cr_assert_eq(frags.n, 2);
	size_t m = gre_around(b2, O4S, O4D, 1, frags.pkt[0], frags.len[0]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_FRAG_HELD);
	cr_assert_str_eq(chain(&o), "gre");
	m = gre_around(b2, O4S, O4D, 1, frags.pkt[1], frags.len[1]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	cr_assert(o.reassembled);
	cr_assert_str_eq(chain(&o), "gre");
	assert_query(&o, false);
	assert_addr(&o.outer_src, O4S);
	cr_assert_eq(decode_get_stats(dec)->reassembled, 1);
}

Test(decap, inner_fragments_of_two_tunnels_do_not_mix, .fini = frags_fini)
{
	/* Two tunnels carry the same inner addresses and IP id (two tenants
	 * reusing 10.0.0.0/8): a fragment from each must not make one
	 * datagram.  Tunnel A: key 1; tunnel B: key 2; C: other carriers. */
	struct pkt o;
	cr_assert_eq(cb_fragment(q4, q4_len, 24, 0, &frags), 0);
	size_t m = gre_around(b2, O4S, O4D, 1, frags.pkt[0], frags.len[0]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_FRAG_HELD);
	m = gre_around(b2, O4S, O4D, 2, frags.pkt[1], frags.len[1]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_FRAG_HELD);
	m = gre_around(b2, "203.0.113.1", O4D, 1, frags.pkt[1], frags.len[1]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_FRAG_HELD);
	/* outside any tunnel: not the tunnel's datagram either */
	cr_assert_eq(run_full(fr, eth(fr, frags.pkt[1], frags.len[1]), &o), DEC_FRAG_HELD);
	cr_assert_eq(decode_get_stats(dec)->reassembled, 0);
	m = gre_around(b2, O4S, O4D, 1, frags.pkt[1], frags.len[1]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	assert_query(&o, false);
	m = gre_around(b2, O4S, O4D, 2, frags.pkt[0], frags.len[0]);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	assert_query(&o, false);
	cr_assert_eq(decode_get_stats(dec)->reassembled, 2);
}

Test(decap, fragments_outside_and_inside, .fini = frags_fini)
{
	/* Each inner fragment travels in a GRE packet that is itself cut
	 * into outer fragments of 16 bytes: the last outer fragment of the
	 * second completes two datagrams in one call, the inner one built
	 * from bytes of the outer one (ASan checks the buffers' lifetimes). */
	struct pkt o;
	cr_assert_eq(cb_fragment(q4, q4_len, 24, 0, &frags), 0);
	int done = 0;
	for (size_t i = 0; i < frags.n; i++) {
		struct cb_frags outer = {0};
		size_t m = gre_around(b2, O4S, O4D, 5, frags.pkt[i], frags.len[i]);
		b2[5] = (uint8_t)(0x40 + i); /* outer IP id differs */
		cr_assert_eq(cb_fragment(b2, m, 16, 0, &outer), 0);
		cr_assert_gt(outer.n, 2);
		for (size_t j = 0; j < outer.n; j++) {
			enum decode_status s = run_full(fr, eth(fr, outer.pkt[j], outer.len[j]), &o);
			if (s == DEC_OK) {
				done++;
				cr_assert_eq(i, 1);
				cr_assert_eq(j, outer.n - 1);
			} else {
				cr_assert_eq(s, DEC_FRAG_HELD, "%zu %zu: %s", i, j, decode_status_str(s));
			}
		}
		cb_frags_free(&outer);
	}
	cr_assert_eq(done, 1);
	cr_assert(o.reassembled);
	cr_assert_str_eq(chain(&o), "gre");
	assert_query(&o, false);
	cr_assert_eq(decode_get_stats(dec)->reassembled, 3);
}

Test(decap, inner_ipv6_fragments_in_6in4, .fini = frags_fini)
{
	struct pkt o;
	cr_assert_eq(cb_fragment(q6, q6_len, 16, 0xabcd, &frags), 0);
	cr_assert_eq(frags.n, 3);
	for (size_t i = 0; i < frags.n; i++) {
		size_t m = cb_ip(b2, sizeof(b2), O4S, O4D, 41, NULL, frags.pkt[i], frags.len[i]);
		enum decode_status s = run_full(fr, eth(fr, b2, m), &o);
		cr_assert_eq(s, i + 1 < frags.n ? DEC_FRAG_HELD : DEC_OK);
		cr_assert_str_eq(chain(&o), "6in4");
	}
	assert_query(&o, true);
}

/* ---------------------------------------------------------------------- */
/* Truncation sweeps: every prefix, cut by snaplen and recorded whole */

struct sweep_marks {
	size_t outer_ip;  /* end of the outer IP header */
	size_t tun_hdr;   /* end of the tunnel header */
	size_t inner_ip;  /* end of the inner IP header */
	size_t inner_l4;  /* end of the inner UDP header */
	const char *chain;
};

static void sweep(const uint8_t *v, size_t n, const struct sweep_marks *mk)
{
	for (size_t k = 0; k < n; k++) {
		struct pkt o;
		enum decode_status s = run(v, k, n, &o);
		if (k < mk->inner_l4) {
			cr_assert_eq(s, DEC_SNAPPED, "prefix %zu: %s", k, decode_status_str(s));
			/* what was decoded so far: the last complete IP header,
			 * the tunnels whose headers were read */
			cr_assert_eq(o.nencap, k >= mk->tun_hdr, "prefix %zu", k);
			if (k >= mk->inner_ip)
				assert_addr(&o.src, "10.0.0.2");
			else if (k >= mk->outer_ip)
				assert_addr(&o.src, "198.51.100.1");
			if (o.nencap) {
				cr_assert_str_eq(chain(&o), mk->chain);
				assert_addr(&o.outer_src, "198.51.100.1");
			}
		} else {
			cr_assert_eq(s, DEC_OK, "prefix %zu: %s", k, decode_status_str(s));
			cr_assert(o.truncated, "prefix %zu", k);
			cr_assert_str_eq(chain(&o), mk->chain);
			assert_addr(&o.src, "10.0.0.2");
			cr_assert_eq(o.dport, 53);
			cr_assert_eq(o.payload_len, k - mk->inner_l4);
			cr_assert_eq(o.payload, copy + mk->inner_l4);
		}
		s = run(v, k, k, &o);
		cr_assert_eq(s, DEC_MALFORMED, "unsnapped prefix %zu: %s", k, decode_status_str(s));
	}
}

Test(decap, truncation_sweep_vxlan)
{
	struct sweep_marks mk = {34, 50, 84, DNS_OFF_VX, "vxlan"};
	sweep(vxlan_v4, sizeof(vxlan_v4), &mk);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->snapped, DNS_OFF_VX);
	cr_assert_eq(st->malformed, sizeof(vxlan_v4));
	cr_assert_eq(st->tunnel_invalid + st->tunnel_inner_malformed, 0);
}

Test(decap, truncation_sweep_pptp_gre)
{
	struct sweep_marks mk = {34, 50, 74, DNS_OFF_PPTP, "pptp-gre"};
	sweep(pptp_v4, sizeof(pptp_v4), &mk);
	const struct decode_stats *st = decode_get_stats(dec);
	cr_assert_eq(st->snapped, DNS_OFF_PPTP);
	cr_assert_eq(st->malformed, sizeof(pptp_v4));
}

/* Every kind and the nested frames, cut at every length: any outcome but
 * a crash, pointers inside the record (ASan checks the reads). */
Test(decap, every_kind_cut_everywhere)
{
	for (int i = 0; i <= NKINDS; i++) {
		struct kcase k;
		size_t n = i < NKINDS ? build_kind(i, &k) : nested(9);
		static uint8_t v[CB_MAXPKT];
		memcpy(v, fr, n);
		for (size_t c = 0; c <= n; c++) {
			struct pkt o;
			enum decode_status s = run(v, c, n, &o);
			cr_assert(s == DEC_OK || s == DEC_SNAPPED, "case %d cut %zu: %s", i, c,
				  decode_status_str(s));
			if (s == DEC_OK) {
				cr_assert(o.ip >= copy && o.ip + o.ip_len <= copy + c);
				cr_assert(o.payload >= o.ip && o.payload + o.payload_len <= o.ip + o.ip_len);
				cr_assert_eq(o.truncated, c < n, "case %d cut %zu", i, c);
			}
		}
	}
}

static uint32_t rng = 2463534242u;
static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

Test(decap, random_mutations_stay_in_bounds)
{
	for (int i = 0; i <= NKINDS; i++) {
		struct kcase k;
		size_t n = i < NKINDS ? build_kind(i, &k) : nested(9);
		static uint8_t v[CB_MAXPKT], b[CB_MAXPKT];
		memcpy(v, fr, n);
		for (int r = 0; r < 2000; r++) {
			memcpy(b, v, n);
			int flips = 1 + (int)(xorshift() % 4);
			for (int f = 0; f < flips; f++)
				b[14 + xorshift() % (n - 14)] = (uint8_t)xorshift();
			size_t cl = n - xorshift() % 8;
			struct pkt o;
			enum decode_status s = run(b, cl, n, &o);
			cr_assert(s == DEC_OK || s == DEC_NOT_IP || s == DEC_MALFORMED || s == DEC_SNAPPED ||
				  s == DEC_FRAG_HELD);
			cr_assert_leq(o.nencap, LS_MAX_ENCAP);
			if (s == DEC_OK && !o.reassembled) {
				cr_assert(o.ip >= copy && o.ip + o.ip_len <= copy + cl);
				cr_assert(o.payload >= o.ip && o.payload + o.payload_len <= o.ip + o.ip_len);
			}
		}
	}
}

/* ---------------------------------------------------------------------- */
/* The public corpus.  Expectations were read with
 *   tshark -n -r FILE -T fields -e frame.number -e frame.protocols \
 *          -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e udp.srcport -e udp.dstport
 * (tshark 4.0.17; it lists every layer, the innermost last) and, where
 * Zeek ships a baseline (zeek/Baseline/core.tunnels.*), against its
 * tunnel.log and dns.log.  Skipped without the corpus. */

struct want {
	uint64_t frame;
	const char *chain;
	const char *src, *dst; /* innermost */
	uint8_t proto;
	uint16_t sport, dport;
	const char *osrc, *odst; /* outermost */
	uint16_t osport, odport;
};

struct corpus_file {
	const char *path;
	uint64_t packets;
	uint64_t decap;       /* records with a tunnel opened */
	const char *chain;    /* every opened record's chain */
	const struct want *w; /* selected frames, ending with frame 0 */
};

/* zeek/Traces/tunnels/gre-sample.pcap: every frame is GRE between
 * 172.27.1.66 and 66.59.109.137 (tunnel.log: one Tunnel::GRE, those
 * hosts); frames 33 and 35 carry the query of dns.log, 66.59.111.190:37675
 * -> 172.28.2.3:53 www.gleeble.org. */
static const struct want w_gre_sample[] = {
	{33, "gre", "66.59.111.190", "172.28.2.3", 17, 37675, 53, "172.27.1.66", "66.59.109.137", 0, 0},
	{35, "gre", "66.59.111.190", "172.28.2.3", 17, 37675, 53, "172.27.1.66", "66.59.109.137", 0, 0},
	{11, "gre", "66.59.111.190", "172.28.2.3", 6, 40264, 22, "172.27.1.66", "66.59.109.137", 0, 0},
	{34, "gre", "172.28.2.3", "66.59.111.190", 1, 0, 0, "66.59.109.137", "172.27.1.66", 0, 0},
	{0},
};

/* zeek/Traces/tunnels/gre-pptp.pcap, byte-identical to
 * arkime/6-4-gre-ppp-udp-4-dns.pcap: VLAN, IPv6 -> IPv4 -> PPTP GRE ->
 * PPP -> IPv4 -> UDP.  tunnel.log: Tunnel::IP 2402:f000:1:8e01::5555 ->
 * 2607:fcd0:100:2300::b108:2a6b, Tunnel::GRE 16.0.0.200 -> 192.52.166.154;
 * dns.log: 172.16.44.3:40768 -> 8.8.8.8:53 AAAA. */
static const struct want w_gre_pptp[] = {
	{1, "4in6,pptp-gre", "172.16.44.3", "8.8.8.8", 17, 40768, 53, "2402:f000:1:8e01::5555",
	 "2607:fcd0:100:2300::b108:2a6b", 0, 0},
	{2, "4in6,pptp-gre", "8.8.8.8", "172.16.44.3", 17, 53, 40768, "2607:fcd0:100:2300::b108:2a6b",
	 "2402:f000:1:8e01::5555", 0, 0},
	{0},
};

/* zeek/Traces/tunnels/gre-over-udp-4754.pcap: tunnel.log Tunnel::GRE
 * 192.168.0.107 -> 192.168.5.1; dns.log 172.17.0.2:51714 -> 1.1.1.1:53
 * zeek.org A and AAAA (tshark: frames 1-2 queries, 3-4 answers). */
static const struct want w_gre_udp[] = {
	{1, "gre-udp", "172.17.0.2", "1.1.1.1", 17, 51714, 53, "192.168.0.107", "192.168.5.1", 50343, 4754},
	{2, "gre-udp", "172.17.0.2", "1.1.1.1", 17, 51714, 53, "192.168.0.107", "192.168.5.1", 50343, 4754},
	{3, "gre-udp", "1.1.1.1", "172.17.0.2", 17, 53, 51714, "192.168.0.107", "192.168.5.1", 53571, 4754},
	{4, "gre-udp", "1.1.1.1", "172.17.0.2", 17, 53, 51714, "192.168.0.107", "192.168.5.1", 53571, 4754},
	{0},
};

/* zeek/Traces/tunnels/vxlan-triple-v2.pcap: tunnel.log three
 * Tunnel::VXLAN (1.1.1.1, 2.2.2.2, 3.3.3.3 :4789); dns.log.cut 4.4.4.4 ->
 * 4.4.4.9:53 www.bbc.com.  The VXLAN headers are 0c 00 00 03 (GPE style:
 * P bit, next protocol 3 Ethernet). */
static const struct want w_vxlan3[] = {
	{1, "vxlan,vxlan,vxlan", "4.4.4.4", "4.4.4.9", 17, 53, 53, "1.1.1.1", "1.1.1.9", 4789, 4789},
	{0},
};

/* zeek/Traces/tunnels/geneve-vxlan-dns-truncated.pcap: tunnel.log
 * Tunnel::GENEVE 127.0.0.1:11803 -> 127.0.0.1:6081, Tunnel::VXLAN
 * 127.0.0.1:26383 -> 4789; records cut to 176 bytes (truncated). */
static const struct want w_geneve[] = {
	{1, "geneve,vxlan", "172.16.11.201", "1.1.1.1", 17, 36872, 53, "127.0.0.1", "127.0.0.1", 11803, 6081},
	{2, "geneve,vxlan", "1.1.1.1", "172.16.11.201", 17, 53, 36872, "127.0.0.1", "127.0.0.1", 11803, 6081},
	{0},
};

/* zeek/Traces/tunnels/Teredo.pcap: tshark opens frames 6, 7, 30, 31 (port
 * 3544; 6 and 7 carry the authentication header, 7 and 31 the origin
 * indication).  Zeek's tunnel.log also lists 83.170.1.38:32900, learnt
 * from the Teredo server's answers: not on 3544, so neither tshark nor we
 * open it.  The DNS in this file is plain UDP. */
static const struct want w_teredo[] = {
	{6, "teredo", "fe80::8000:ffff:ffff:fffd", "ff02::2", 58, 0, 0, "192.168.2.16", "65.55.158.80", 3797, 3544},
	{7, "teredo", "fe80::8000:f227:bec8:61af", "fe80::8000:ffff:ffff:fffd", 58, 0, 0, "65.55.158.81",
	 "192.168.2.16", 3544, 3797},
	{30, "teredo", "2001:0:4137:9e50:8000:f12a:b9c8:2815", "2001:4860:0:2001::68", 58, 0, 0, "192.168.2.16",
	 "65.55.158.80", 3797, 3544},
	{31, "teredo", "fe80::708d:fe83:4114:a512", "2001:0:4137:9e50:8000:f12a:b9c8:2815", 59, 0, 0,
	 "65.55.158.80", "192.168.2.16", 3544, 3797},
	/* off 3544: a relay's port, found by the shape (tshark: -d udp.port==32900,teredo) */
	{33, "teredo", "2001:4860:0:2001::68", "2001:0:4137:9e50:8000:f12a:b9c8:2815", 58, 0, 0, "83.170.1.38",
	 "192.168.2.16", 32900, 3797},
	{21, "", "192.168.2.16", "192.168.2.1", 17, 1920, 53, NULL, NULL, 0, 0},
	{0},
};

/* zeek/Traces/tunnels/4in4.pcap: tshark ip.src 1.2.3.4,10.0.0.1 udp
 * 30000 -> 13000. */
static const struct want w_4in4[] = {
	{1, "ipip", "10.0.0.1", "10.0.0.2", 17, 30000, 13000, "1.2.3.4", "5.6.7.8", 0, 0},
	{0},
};

/* ndpi/default/pcap/6in4tunnel.pcap: every frame 6in4 between
 * 174.3.73.24 and 184.105.255.26; DNS in frames 18-21. */
static const struct want w_6in4[] = {
	{18, "6in4", "2001:470:1f16:13f::2", "2a03:2880:fffe:b:face:b00c:0:99", 17, 53959, 53, "174.3.73.24",
	 "184.105.255.26", 0, 0},
	{19, "6in4", "2001:470:1f16:13f::2", "2a03:2880:fffe:b:face:b00c:0:99", 17, 6404, 53, "174.3.73.24",
	 "184.105.255.26", 0, 0},
	{21, "6in4", "2a03:2880:fffe:b:face:b00c:0:99", "2001:470:1f16:13f::2", 17, 53, 6404, "184.105.255.26",
	 "174.3.73.24", 0, 0},
	{0},
};

/* arkime/ipv6-gtp6.pcap: VLAN, IPv6, UDP 62301 -> 2152, GTP-U, IPv6, DNS
 * answer. */
static const struct want w_gtp6[] = {
	{1, "gtp-u", "1111:2222:3333:4444:5555:7777::", "1111:2222:3333:4444:5555:8888:a8ac:7bc0", 17, 53,
	 57030, "1111:2222:3333:4444:5555:6666:0:1", "1111:2222:3333:4444:5555:6666::", 62301, 2152},
	{0},
};

/* packetnet/l2tp.pcap, the corpus' one L2TP capture: PPPoE, IPv4, UDP
 * 1701, an L2TP data message (O and P bits, offset 0) carrying PPP LCP:
 * nothing IP inside, so the carrier comes back. */
static const struct want w_l2tp[] = {
	{1, "", "109.6.1.72", "95.136.242.99", 17, 1701, 1701, NULL, NULL, 0, 0},
	{0},
};

/* ndpi/default/pcap/gre.pcapng: PPTP GRE, PPP, IPv4, SIP over UDP. */
static const struct want w_ndpi_gre[] = {
	{1, "pptp-gre", "192.168.10.210", "192.168.103.40", 17, 5060, 5060, "109.105.228.253", "10.177.98.84",
	 0, 0},
	{0},
};

static const struct corpus_file corpus[] = {
	{"zeek/Traces/tunnels/gre-sample.pcap", 40, 40, "gre", w_gre_sample},
	{"zeek/Traces/tunnels/gre-pptp.pcap", 2, 2, "4in6,pptp-gre", w_gre_pptp},
	{"arkime/6-4-gre-ppp-udp-4-dns.pcap", 2, 2, "4in6,pptp-gre", w_gre_pptp},
	{"zeek/Traces/tunnels/gre-over-udp-4754.pcap", 14, 14, "gre-udp", w_gre_udp},
	{"zeek/Traces/tunnels/vxlan-triple-v2.pcap", 1, 1, "vxlan,vxlan,vxlan", w_vxlan3},
	{"zeek/Traces/tunnels/geneve-vxlan-dns-truncated.pcap", 2, 2, "geneve,vxlan", w_geneve},
	/* 4 on 3544, 25 more between the client's 3797 and a relay's 32900,
	 * found by their shape: tshark 4.0 shows the same 29 IPv6 packets
	 * with -d udp.port==32900,teredo */
	{"zeek/Traces/tunnels/Teredo.pcap", 78, 29, "teredo", w_teredo},
	{"zeek/Traces/tunnels/4in4.pcap", 1, 1, "ipip", w_4in4},
	{"ndpi/default/pcap/6in4tunnel.pcap", 127, 127, "6in4", w_6in4},
	{"arkime/ipv6-gtp6.pcap", 1, 1, "gtp-u", w_gtp6},
	{"packetnet/l2tp.pcap", 1, 0, "", w_l2tp},
	{"ndpi/default/pcap/gre.pcapng", 1, 1, "pptp-gre", w_ndpi_gre},
};

static const char *corpus_dir(void)
{
	return ls_test_corpus();
}

Test(decap, corpus_tunnels)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus_dir());
	TEST_NEED_FILE(path);
	FILE *mf = fopen(path, "r");
	cr_assert_not_null(mf, "%s", path);
	fclose(mf);
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct corpus_file *cf = &corpus[i];
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), cf->path);
		struct cap_file *f;
		char err[1024];
		cr_assert_eq(cap_open(path, &f, err, sizeof(err)), 0, "%s", err);
		struct decoder *d = decode_new();
		struct cap_packet p;
		struct pkt o;
		uint64_t n = 0, checked = 0;
		while (cap_next(f, &p) == 1) {
			n++;
			enum decode_status s = decode_packet(d, &p, 0, &o);
			cr_assert_eq(s, DEC_OK, "%s frame %llu: %s", cf->path, (unsigned long long)p.frame,
				     decode_status_str(s));
			if (o.nencap)
				cr_assert_str_eq(chain(&o), cf->chain, "%s frame %llu", cf->path,
						 (unsigned long long)p.frame);
			for (const struct want *w = cf->w; w->frame; w++) {
				if (w->frame != p.frame)
					continue;
				checked++;
				cr_assert_str_eq(chain(&o), w->chain, "%s frame %llu", cf->path,
						 (unsigned long long)p.frame);
				assert_addr(&o.src, w->src);
				assert_addr(&o.dst, w->dst);
				cr_assert_eq(o.proto, w->proto, "%s frame %llu", cf->path, (unsigned long long)p.frame);
				cr_assert_eq(o.sport, w->sport);
				cr_assert_eq(o.dport, w->dport);
				cr_assert_eq(o.has_outer, w->osrc != NULL);
				if (w->osrc) {
					assert_addr(&o.outer_src, w->osrc);
					assert_addr(&o.outer_dst, w->odst);
					cr_assert_eq(o.outer_sport, w->osport);
					cr_assert_eq(o.outer_dport, w->odport);
				}
			}
		}
		size_t nw = 0;
		while (cf->w[nw].frame)
			nw++;
		cr_assert_eq(checked, nw, "%s", cf->path);
		cr_assert_eq(n, cf->packets, "%s", cf->path);
		const struct decode_stats *st = decode_get_stats(d);
		cr_assert_eq(st->decap_packets, cf->decap, "%s: %llu", cf->path, (unsigned long long)st->decap_packets);
		cr_assert_eq(st->tunnel_invalid + st->tunnel_inner_malformed, 0, "%s", cf->path);
		decode_free(d);
		cap_close(f);
	}
}

/* The rest of the corpus has no tunnel on these ports or protocols: no
 * header is opened or refused there (a misread would show here). */
Test(decap, corpus_no_tunnel_elsewhere)
{
	char path[4096 + 8192], line[8192];
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus_dir());
	TEST_NEED_FILE(path);
	FILE *mf = fopen(path, "r");
	cr_assert_not_null(mf, "%s", path);
	cr_assert_not_null(fgets(line, sizeof(line), mf));
	unsigned files = 0;
	while (fgets(line, sizeof(line), mf)) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		bool listed = false;
		for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
			listed = listed || strcmp(corpus[i].path, line) == 0;
		if (listed)
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), line);
		struct cap_file *f;
		char err[1024];
		if (cap_open(path, &f, err, sizeof(err)) != 0)
			continue; /* FDDI: test_decode checks the message */
		struct decoder *d = decode_new();
		struct cap_packet p;
		struct pkt o;
		while (cap_next(f, &p) == 1)
			decode_packet(d, &p, 0, &o);
		const struct decode_stats *st = decode_get_stats(d);
		cr_assert_eq(st->decap_packets + st->tunnel_invalid + st->tunnel_other + st->tunnel_inner_malformed,
			     0, "%s", line);
		decode_free(d);
		cap_close(f);
		files++;
	}
	fclose(mf);
	cr_assert_geq(files, 100);
}

Test(decap, teredo_off_its_port_by_shape)
{
	/* a Teredo client's query to a relay's port (no 3544 on either side):
	 * opened because the datagram is exactly an IPv6 packet from a
	 * Teredo address (2001:0::/32) */
	uint8_t t6[160];
	size_t t6_len = cb_ip_udp(t6, sizeof(t6), "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:4860:4860::8888",
				  40000, 53, NULL, dnsq, dnsq_len);
	struct pkt o;
	size_t m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 51413, 32900, NULL, t6, t6_len);
	cr_assert_eq(run_full(fr, eth(fr, b2, m), &o), DEC_OK);
	cr_assert_str_eq(chain(&o), "teredo");
	cr_assert_eq(o.proto, 17);
	cr_assert_eq(o.dport, 53);
	/* the same packet between documentation addresses: no Teredo address,
	 * left closed (a UDP payload that merely starts like IPv6) */
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 51413, 32900, NULL, q6, q6_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
	/* a Teredo address but a length that does not fill the datagram */
	t6[5]++;
	m = cb_ip_udp(b2, sizeof(b2), O4S, O4D, 51413, 32900, NULL, t6, t6_len);
	assert_carrier(fr, eth(fr, b2, m), O4S, 17);
}
