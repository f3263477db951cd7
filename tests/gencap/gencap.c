/* gencap.c - writes small test captures, one per supported link type, plus damaged ones. */
/*
 * Usage: gencap OUT_DIR
 *
 * Every capture (except the damaged ones) holds one DNS exchange over UDP:
 *   frame 1  10.0.0.2:40000 -> 192.0.2.53:53  query  www.example.com A   (id 0x1a2b)
 *   frame 2  192.0.2.53:53 -> 10.0.0.2:40000  answer www.example.com A 93.184.216.34
 * at 2023-11-14T22:13:20.123456Z and 25 ms later.  The IPV6 link type
 * carries IPv6, so there the hosts are 2001:db8::2 and 2001:db8::53.
 * OUT_DIR/MANIFEST.txt lists each file with what it contains.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capbuild.h"

#define TS_SEC 1700000000
#define TS_NSEC 123456000u
#define RTT_NS 25000000u

static const char *outdir;
static FILE *manifest;
static int failures;

static char *path_of(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", outdir, name);
	return buf;
}

static void note(const char *name, const char *what)
{
	fprintf(manifest, "%s\t%s\n", name, what);
	printf("%s\n", path_of(name));
}

static void check(int ok, const char *name, const char *what)
{
	if (!ok) {
		fprintf(stderr, "gencap: %s: %s failed\n", name, what);
		failures++;
	}
}

/* The query and response as IP packets; v6 selects the IPv6 hosts. */
struct exchange {
	uint8_t q[CB_MAXPKT], r[CB_MAXPKT];
	size_t qlen, rlen;
};

static void make_exchange(struct exchange *e, bool v6, const char *cli, const char *srv,
			  const char *name)
{
	uint8_t dq[512], dr[512];
	const char *c = cli ? cli : v6 ? "2001:db8::2" : "10.0.0.2";
	const char *s = srv ? srv : v6 ? "2001:db8::53" : "192.0.2.53";
	size_t nq = cb_dns_query(dq, sizeof(dq), 0x1a2b, name, 1);
	size_t nr = cb_dns_answer_a(dr, sizeof(dr), 0x1a2b, name, "93.184.216.34", 300);
	e->qlen = cb_ip_udp(e->q, sizeof(e->q), c, s, 40000, 53, NULL, dq, nq);
	e->rlen = cb_ip_udp(e->r, sizeof(e->r), s, c, 53, 40000, NULL, dr, nr);
	check(nq && nr && e->qlen && e->rlen, name, "building the DNS exchange");
}

/* One pcap per link type, with the exchange wrapped in that link layer. */
static void write_pcap(const char *name, int lt, const struct cb_link *l, unsigned flags, bool v6,
		       const char *what)
{
	struct exchange e;
	uint8_t f[CB_MAXPKT];
	make_exchange(&e, v6, NULL, NULL, "www.example.com");
	struct cb_pcap *w = cb_pcap_open(path_of(name), lt, 65535, flags);
	check(w != NULL, name, "open");
	if (!w)
		return;
	size_t n = cb_link_wrap(f, sizeof(f), lt, l, e.q, e.qlen);
	check(n && cb_pcap_write(w, TS_SEC, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, "query");
	n = cb_link_wrap(f, sizeof(f), lt, l, e.r, e.rlen);
	check(n && cb_pcap_write(w, TS_SEC, TS_NSEC + RTT_NS, f, (uint32_t)n, (uint32_t)n) == 0, name,
	      "response");
	check(cb_pcap_close(w) == 0, name, "close");
	note(name, what);
}

static void write_multi_iface(void)
{
	const char *name = "multi-iface.pcapng";
	struct exchange leak, tun;
	uint8_t f[CB_MAXPKT];
	struct cb_idb_opt eth = {.name = "eth0", .desc = "physical uplink"};
	struct cb_idb_opt wg = {.name = "wg0", .desc = "WireGuard tunnel", .has_tsresol = true, .tsresol = 9};
	make_exchange(&leak, false, NULL, NULL, "leak.example.com");
	make_exchange(&tun, false, "10.8.0.2", "10.8.0.1", "www.example.com");
	struct cb_png *w = cb_png_open(path_of(name), 0);
	check(w != NULL, name, "open");
	if (!w)
		return;
	check(cb_png_idb(w, 1, 262144, &eth) == 0, name, "idb eth0");
	check(cb_png_idb(w, 101, 262144, &wg) == 1, name, "idb wg0");
	size_t n = cb_link_wrap(f, sizeof(f), 101, NULL, tun.q, tun.qlen);
	check(cb_png_epb(w, 1, TS_SEC, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, "wg0 q");
	n = cb_link_wrap(f, sizeof(f), 1, NULL, leak.q, leak.qlen);
	check(cb_png_epb(w, 0, TS_SEC, TS_NSEC + 1000000, f, (uint32_t)n, (uint32_t)n) == 0, name, "eth0 q");
	n = cb_link_wrap(f, sizeof(f), 101, NULL, tun.r, tun.rlen);
	check(cb_png_epb(w, 1, TS_SEC, TS_NSEC + RTT_NS, f, (uint32_t)n, (uint32_t)n) == 0, name, "wg0 r");
	n = cb_link_wrap(f, sizeof(f), 1, NULL, leak.r, leak.rlen);
	check(cb_png_epb(w, 0, TS_SEC, TS_NSEC + RTT_NS + 1000000, f, (uint32_t)n, (uint32_t)n) == 0,
	      name, "eth0 r");
	check(cb_png_close(w) == 0, name, "close");
	note(name, "pcapng, iface 0 eth0 EN10MB, iface 1 wg0 RAW (ns resolution); frames 1,3: "
		   "10.8.0.2 <-> 10.8.0.1 www.example.com A on wg0; frames 2,4: 10.0.0.2 <-> "
		   "192.0.2.53 leak.example.com A on eth0");
}

static void write_fragmented(void)
{
	const char *name = "en10mb-frag.pcap";
	struct exchange e;
	struct cb_frags fr;
	uint8_t f[CB_MAXPKT];
	make_exchange(&e, false, NULL, NULL, "www.example.com");
	struct cb_pcap *w = cb_pcap_open(path_of(name), 1, 65535, 0);
	check(w != NULL, name, "open");
	if (!w)
		return;
	size_t n = cb_link_wrap(f, sizeof(f), 1, NULL, e.q, e.qlen);
	check(cb_pcap_write(w, TS_SEC, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, "query");
	check(cb_fragment(e.r, e.rlen, 24, 0, &fr) == 0, name, "fragment");
	for (size_t i = 0; i < fr.n; i++) {
		n = cb_link_wrap(f, sizeof(f), 1, NULL, fr.pkt[i], fr.len[i]);
		check(cb_pcap_write(w, TS_SEC, TS_NSEC + RTT_NS + (uint32_t)i * 1000, f, (uint32_t)n,
				    (uint32_t)n) == 0,
		      name, "fragment");
	}
	char what[256];
	snprintf(what, sizeof(what),
		 "EN10MB; the query, then the response in %zu IPv4 fragments of 24 bytes (frames 2-%zu)",
		 fr.n, fr.n + 1);
	cb_frags_free(&fr);
	check(cb_pcap_close(w) == 0, name, "close");
	note(name, what);
}

static void write_damaged(void)
{
	struct exchange e;
	uint8_t f[CB_MAXPKT];
	make_exchange(&e, false, NULL, NULL, "www.example.com");

	/* The last record loses its final 10 bytes. */
	const char *name = "damaged-truncated-last.pcap";
	struct cb_pcap *w = cb_pcap_open(path_of(name), 1, 65535, 0);
	check(w != NULL, name, "open");
	if (w) {
		size_t n = cb_link_wrap(f, sizeof(f), 1, NULL, e.q, e.qlen);
		check(cb_pcap_write(w, TS_SEC, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, "q");
		long at = cb_pcap_tell(w);
		n = cb_link_wrap(f, sizeof(f), 1, NULL, e.r, e.rlen);
		check(cb_pcap_write(w, TS_SEC, TS_NSEC + RTT_NS, f, (uint32_t)n, (uint32_t)n) == 0, name, "r");
		check(cb_pcap_close(w) == 0, name, "close");
		check(cb_truncate(path_of(name), (uint64_t)cb_file_size(path_of(name)) - 10) == 0, name,
		      "truncate");
		char what[160];
		snprintf(what, sizeof(what),
			 "EN10MB; frame 1 intact, frame 2 (record at byte %ld) cut 10 bytes short", at);
		note(name, what);
	}

	name = "damaged-bad-magic.pcap";
	static const uint8_t junk[24] = "this is not a capture!!";
	check(cb_write_file(path_of(name), junk, sizeof(junk)) == 0, name, "write");
	note(name, "24 bytes of text: bad magic");

	/* Frame 1 fine; the second EPB's leading total length says 4 bytes
	 * more than its trailing copy. */
	name = "damaged-bad-blocklen.pcapng";
	struct cb_png *p = cb_png_open(path_of(name), 0);
	check(p != NULL, name, "open");
	if (p) {
		struct cb_idb_opt eth = {.name = "eth0"};
		check(cb_png_idb(p, 1, 262144, &eth) == 0, name, "idb");
		size_t n = cb_link_wrap(f, sizeof(f), 1, NULL, e.q, e.qlen);
		check(cb_png_epb(p, 0, TS_SEC, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, "q");
		long at = cb_png_tell(p);
		n = cb_link_wrap(f, sizeof(f), 1, NULL, e.r, e.rlen);
		/* EPB body: 20 bytes of fields + data padded to 4 */
		uint8_t body[CB_MAXPKT];
		memset(body, 0, 20);
		body[12] = (uint8_t)n;
		body[13] = (uint8_t)(n >> 8);
		body[16] = (uint8_t)n;
		body[17] = (uint8_t)(n >> 8);
		memcpy(body + 20, f, n);
		uint32_t tl = (uint32_t)(12 + 20 + n + (4 - n % 4) % 4);
		check(cb_png_block_raw(p, 6, body, 20 + n, tl + 4, tl) == 0, name, "lying EPB");
		/* a third, intact packet, so the lie is not just a cut file */
		n = cb_link_wrap(f, sizeof(f), 1, NULL, e.q, e.qlen);
		check(cb_png_epb(p, 0, TS_SEC + 1, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, "q2");
		check(cb_png_close(p) == 0, name, "close");
		char what[200];
		snprintf(what, sizeof(what),
			 "pcapng; frame 1 intact, the EPB at byte %ld says total length %u but is %u "
			 "long (its trailing length), an intact EPB follows",
			 at, tl + 4, tl);
		note(name, what);
	}
}

/*
 * tunnels.pcap: the query inside each cleartext tunnel the decoder opens,
 * one frame each (issue 3), so tshark can check the builders and the
 * decoder against each other.  Inner hosts as everywhere; carriers
 * 198.51.100.1 -> 198.51.100.2 (IPv6: 2001:db8:1::1 -> 2001:db8:1::2).
 */
static size_t tun_frame(uint8_t *f, int i, const struct exchange *e4, const struct exchange *e6,
			const char **what)
{
	static uint8_t a[CB_MAXPKT], b[CB_MAXPKT], c[CB_MAXPKT];
	const char *o4s = "198.51.100.1", *o4d = "198.51.100.2";
	const char *o6s = "2001:db8:1::1", *o6d = "2001:db8:1::2";
	struct cb_link l;
	cb_link_init(&l);
	size_t n = 0, m = 0;
	switch (i) {
	case 0: {
		struct cb_gre_opt g = {.csum = true, .has_key = true, .key = 7, .has_seq = true, .seq = 1};
		n = cb_gre(a, sizeof(a), &g, 0x0800, e4->q, e4->qlen);
		m = cb_ip(b, sizeof(b), o4s, o4d, 47, NULL, a, n);
		*what = "gre (checksum, key 7, sequence 1) -> IPv4";
		break;
	}
	case 1: {
		struct cb_gre_opt g = {.pptp = true, .call_id = 0x1234, .has_seq = true, .seq = 5,
				       .has_ack = true, .ack = 4};
		n = cb_ppp(c, sizeof(c), true, false, 0x0021, e4->q, e4->qlen);
		n = cb_gre(a, sizeof(a), &g, 0x880b, c, n);
		m = cb_ip(b, sizeof(b), o4s, o4d, 47, NULL, a, n);
		*what = "pptp-gre (call 0x1234, seq 5, ack 4) -> PPP ff 03 0021 -> IPv4";
		break;
	}
	case 2: {
		struct cb_gre_opt g = {.pptp = true, .call_id = 0x1234};
		n = cb_ppp(c, sizeof(c), false, true, 0x0021, e4->q, e4->qlen);
		n = cb_gre(a, sizeof(a), &g, 0x880b, c, n);
		m = cb_ip(b, sizeof(b), o4s, o4d, 47, NULL, a, n);
		*what = "pptp-gre -> PPP without ff 03, protocol compressed to 21 -> IPv4";
		break;
	}
	case 3: {
		struct cb_link in;
		cb_link_init(&in);
		in.src_mac[5] = 0x12;
		in.nvlan = 1;
		in.vlan[0] = 42;
		n = cb_eth_raw(c, sizeof(c), &in, 0x0800, e4->q, e4->qlen);
		n = cb_gre(a, sizeof(a), NULL, 0x6558, c, n);
		m = cb_ip(b, sizeof(b), o4s, o4d, 47, NULL, a, n);
		*what = "gre -> Ethernet (transparent bridging), VLAN 42 -> IPv4";
		break;
	}
	case 4:
		m = cb_ip(b, sizeof(b), o4s, o4d, 4, NULL, e4->q, e4->qlen);
		*what = "ipip: IPv4 in IPv4";
		break;
	case 5:
		m = cb_ip(b, sizeof(b), o4s, o4d, 41, NULL, e6->q, e6->qlen);
		*what = "6in4: IPv6 in IPv4";
		break;
	case 6:
		m = cb_ip(b, sizeof(b), o6s, o6d, 41, NULL, e6->q, e6->qlen);
		*what = "ip6ip6: IPv6 in IPv6";
		break;
	case 7:
		m = cb_ip(b, sizeof(b), o6s, o6d, 4, NULL, e4->q, e4->qlen);
		*what = "4in6: IPv4 in IPv6";
		break;
	case 8:
		n = cb_gre(a, sizeof(a), NULL, 0x0800, e4->q, e4->qlen);
		m = cb_ip_udp(b, sizeof(b), o4s, o4d, 50000, 4754, NULL, a, n);
		*what = "gre-udp: GRE in UDP 4754 -> IPv4";
		break;
	case 9:
		n = cb_eth_raw(c, sizeof(c), NULL, 0x0800, e4->q, e4->qlen);
		n = cb_vxlan(a, sizeof(a), 0x08, 4242, c, n);
		m = cb_ip_udp(b, sizeof(b), o4s, o4d, 50001, 4789, NULL, a, n);
		*what = "vxlan (VNI 4242) -> Ethernet -> IPv4";
		break;
	case 10: {
		static const uint8_t opt[8] = {0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef};
		n = cb_eth_raw(c, sizeof(c), NULL, 0x0800, e4->q, e4->qlen);
		n = cb_geneve(a, sizeof(a), 0x6558, 77, opt, sizeof(opt), c, n);
		m = cb_ip_udp(b, sizeof(b), o4s, o4d, 50002, 6081, NULL, a, n);
		*what = "geneve (VNI 77, one 8-byte option) -> Ethernet -> IPv4";
		break;
	}
	case 11: {
		struct cb_teredo_opt t = {.auth = true, .id_len = 2, .au_len = 3, .origin = true,
					  .origin_port = 40000, .origin_addr = "203.0.113.9"};
		n = cb_teredo(a, sizeof(a), &t, e6->q, e6->qlen);
		m = cb_ip_udp(b, sizeof(b), o4s, o4d, 3544, 50003, NULL, a, n);
		*what = "teredo (authentication and origin indication; from port 3544) -> IPv6";
		break;
	}
	case 12: {
		/* one PDU session container (type 0x85): length 1, 2 bytes, next 0 */
		static const uint8_t ext[4] = {0x01, 0x00, 0x05, 0x00};
		struct cb_gtpu_opt g = {.seq = true, .seqno = 9, .ext_first = 0x85, .ext = ext,
					.ext_len = sizeof(ext)};
		n = cb_gtpu(a, sizeof(a), 0xabcdef01, &g, e4->q, e4->qlen);
		m = cb_ip_udp(b, sizeof(b), o4s, o4d, 2152, 2152, NULL, a, n);
		*what = "gtp-u (TEID 0xabcdef01, sequence 9, PDU session container) -> IPv4";
		break;
	}
	case 13: {
		struct cb_l2tp_opt t = {.has_len = true, .has_seq = true, .ns = 1, .nr = 2, .has_off = true,
					.off = 2};
		n = cb_ppp(c, sizeof(c), true, false, 0x0021, e4->q, e4->qlen);
		n = cb_l2tp(a, sizeof(a), 11, 22, &t, c, n);
		m = cb_ip_udp(b, sizeof(b), o4s, o4d, 1701, 1701, NULL, a, n);
		*what = "l2tp (length, Ns/Nr, offset 2; tunnel 11, session 22) -> PPP -> IPv4";
		break;
	}
	default:
		return 0;
	}
	return m ? cb_link_wrap(f, CB_MAXPKT, 1, &l, b, m) : 0;
}

static void write_tunnels(void)
{
	const char *name = "tunnels.pcap";
	static struct exchange e4, e6;
	uint8_t f[CB_MAXPKT];
	make_exchange(&e4, false, NULL, NULL, "www.example.com");
	make_exchange(&e6, true, NULL, NULL, "www.example.com");
	struct cb_pcap *w = cb_pcap_open(path_of(name), 1, 65535, 0);
	check(w != NULL, name, "open");
	if (!w)
		return;
	char what[2048] = "EN10MB; the query 10.0.0.2:40000 -> 192.0.2.53:53 (IPv6: 2001:db8::2 -> "
			  "2001:db8::53) inside a tunnel, carriers 198.51.100.1 -> 198.51.100.2 or "
			  "2001:db8:1::1 -> 2001:db8:1::2; frames:";
	for (int i = 0;; i++) {
		const char *w1 = NULL;
		size_t n = tun_frame(f, i, &e4, &e6, &w1);
		if (!n) {
			check(w1 == NULL, name, "building a frame");
			break;
		}
		check(cb_pcap_write(w, TS_SEC + i, TS_NSEC, f, (uint32_t)n, (uint32_t)n) == 0, name, w1);
		size_t k = strlen(what);
		snprintf(what + k, sizeof(what) - k, " %d %s;", i + 1, w1);
	}
	check(cb_pcap_close(w) == 0, name, "close");
	note(name, what);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gencap OUT_DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "gencap: %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	manifest = fopen(path_of("MANIFEST.txt"), "w");
	if (!manifest) {
		fprintf(stderr, "gencap: %s: %s\n", path_of("MANIFEST.txt"), strerror(errno));
		return 1;
	}
	fprintf(manifest, "# file\tcontents (written by tests/gencap/gencap.c)\n");

	struct cb_link l;
	write_pcap("en10mb.pcap", 1, NULL, 0, false, "EN10MB, pcap microseconds, little-endian");
	write_pcap("en10mb-nano-be.pcap", 1, NULL, CB_NANO | CB_BE, false,
		   "EN10MB, pcap nanoseconds, big-endian");
	cb_link_init(&l);
	l.nvlan = 2;
	l.tpid[0] = 0x88a8;
	l.vlan[0] = 100;
	l.vlan[1] = 200;
	write_pcap("en10mb-qinq.pcap", 1, &l, 0, false, "EN10MB, 802.1ad tag 100 + 802.1Q tag 200");
	cb_link_init(&l);
	l.pppoe = true;
	l.pppoe_sid = 0x0011;
	write_pcap("en10mb-pppoe.pcap", 1, &l, 0, false, "EN10MB, PPPoE session 0x0011");
	cb_link_init(&l);
	write_pcap("linux-sll.pcap", 113, &l, 0, false,
		   "LINUX_SLL, hatype 1, pkttype 4 (outgoing), address 02:00:00:00:00:02");
	cb_link_init(&l);
	l.ifindex = 7;
	write_pcap("linux-sll2.pcap", 276, &l, 0, false,
		   "LINUX_SLL2, ifindex 7, hatype 1, pkttype 4, address 02:00:00:00:00:02");
	write_pcap("raw.pcap", 101, NULL, 0, false, "RAW (101)");
	write_pcap("raw12.pcap", 12, NULL, 0, false, "RAW as DLT 12");
	write_pcap("ipv4.pcap", 228, NULL, 0, false, "IPV4 (228)");
	write_pcap("ipv6.pcap", 229, NULL, 0, true,
		   "IPV6 (229); hosts 2001:db8::2 and 2001:db8::53 instead");
	write_pcap("null.pcap", 0, NULL, 0, false, "NULL, family 2 little-endian");
	write_pcap("loop.pcap", 108, NULL, 0, false, "LOOP, family 2 big-endian");
	write_pcap("ppp.pcap", 9, NULL, 0, false, "PPP with ff 03, protocol 0x0021");
	write_pcap("ppp-hdlc.pcap", 50, NULL, 0, false, "PPP_HDLC (50), ff 03 0021");
	cb_link_init(&l);
	l.nflog_prefix = "leak-test";
	write_pcap("nflog.pcap", 239, &l, 0, false, "NFLOG, family 2, prefix \"leak-test\"");
	write_multi_iface();
	write_fragmented();
	write_damaged();
	write_tunnels();

	if (fclose(manifest) != 0)
		failures++;
	if (failures) {
		fprintf(stderr, "gencap: %d failures\n", failures);
		return 1;
	}
	return 0;
}
