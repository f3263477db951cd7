/* genscale.c - large generated captures for the scale checks (tests/scale/README.md).
 *
 * Usage:
 *   genscale hosts N OUT.pcap     N distinct hosts (MACs 02:xx:xx:xx:xx:xx, addresses
 *                                 10.x.y.z), each asking one question over UDP to
 *                                 192.0.2.53 (outside the tunnel of tunnel.xml), after
 *                                 one WireGuard carrier packet from the first host;
 *                                 host i asks h<i>.example.com, the last host asks
 *                                 secret.example.net (a leak: tunnel.xml allows
 *                                 names under example.com only).
 *   genscale tcpstream MB OUT.pcap one DNS-over-TCP connection from 10.0.0.2 to
 *                                 192.0.2.53:53 carrying back-to-back queries (2-byte
 *                                 length, then the message) in 1448-byte segments
 *                                 until the file holds MB MiB, after one carrier packet.
 *
 * Deterministic: the same arguments give the same bytes.  Links with
 * tests/lib/capbuild.c only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capbuild.h"

#define T0 1700000000

static int usage(void)
{
	fprintf(stderr, "usage: genscale hosts N OUT.pcap | genscale tcpstream MB OUT.pcap\n");
	return 2;
}

static int carrier(struct cb_pcap *w, const uint8_t mac[6], const char *src)
{
	static const uint8_t gw[6] = {0x02, 0, 0, 0, 0, 1};
	uint8_t wg[148] = {1}; /* WireGuard handshake initiation: type 1, 148 bytes */
	uint8_t buf[CB_MAXPKT];
	size_t n = cb_udp4(buf, mac, gw, src, "203.0.113.5", 40000, 51820, wg, sizeof(wg));
	return n ? cb_pcap_write(w, T0, 0, buf, (uint32_t)n, (uint32_t)n) : -1;
}

static int gen_hosts(uint64_t n, const char *out)
{
	static const uint8_t gw[6] = {0x02, 0, 0, 0, 0, 1};
	struct cb_pcap *w = cb_pcap_open(out, 1, 65535, 0);
	if (!w)
		return perror(out), 1;
	uint8_t mac[6] = {0x02, 0x10, 0, 0, 0, 2}; /* the first host's */
	if (carrier(w, mac, "10.0.0.2") < 0)
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t h = i + 2; /* 10.0.0.2 upwards */
		mac[2] = (uint8_t)(h >> 24), mac[3] = (uint8_t)(h >> 16), mac[4] = (uint8_t)(h >> 8), mac[5] = (uint8_t)h;
		char src[32], name[64];
		snprintf(src, sizeof(src), "10.%u.%u.%u", (unsigned)(h >> 16) & 255, (unsigned)(h >> 8) & 255,
			 (unsigned)h & 255);
		if (i + 1 == n)
			snprintf(name, sizeof(name), "secret.example.net");
		else
			snprintf(name, sizeof(name), "h%" PRIu64 ".example.com", i);
		uint8_t q[512], buf[CB_MAXPKT];
		size_t ql = cb_dns_query(q, sizeof(q), (uint16_t)i, name, 1);
		size_t len = cb_udp4(buf, mac, gw, src, "192.0.2.53", (uint16_t)(40000 + i % 20000), 53, q, ql);
		uint64_t us = 1000 + i * 10; /* 10 us apart */
		if (!ql || !len || cb_pcap_write(w, T0 + (int64_t)(us / 1000000), (uint32_t)(us % 1000000) * 1000, buf,
						 (uint32_t)len, (uint32_t)len) < 0)
			return fprintf(stderr, "genscale: write failed\n"), 1;
	}
	return cb_pcap_close(w) < 0;
}

static int gen_tcpstream(uint64_t mb, const char *out)
{
	static const uint8_t cmac[6] = {0x02, 0, 0, 0, 0, 2}, gw[6] = {0x02, 0, 0, 0, 0, 1};
	struct cb_link l;
	cb_link_init(&l);
	memcpy(l.src_mac, cmac, 6);
	memcpy(l.dst_mac, gw, 6);
	struct cb_pcap *w = cb_pcap_open(out, 1, 65535, 0);
	if (!w || carrier(w, cmac, "10.0.0.2") < 0)
		return perror(out), 1;
	uint8_t ip[CB_MAXPKT], fr[CB_MAXPKT];
	uint64_t us = 1000;
	uint32_t cseq = 1000, sseq = 5000;
#define EMIT(fromc, flags, pl, pln)                                                                              \
	do {                                                                                                       \
		size_t il = (fromc) ? cb_ip_tcp(ip, sizeof(ip), "10.0.0.2", "192.0.2.53", 41000, 53, cseq, sseq,    \
						(flags), NULL, (pl), (pln))                                          \
				    : cb_ip_tcp(ip, sizeof(ip), "192.0.2.53", "10.0.0.2", 53, 41000, sseq, cseq,    \
						(flags), NULL, (pl), (pln));                                         \
		size_t fl = cb_link_wrap(fr, sizeof(fr), 1, &l, ip, il);                                           \
		if (!il || !fl || cb_pcap_write(w, T0 + (int64_t)(us / 1000000), (uint32_t)(us % 1000000) * 1000, fr, \
						(uint32_t)fl, (uint32_t)fl) < 0)                                      \
			return fprintf(stderr, "genscale: write failed\n"), 1;                                      \
		us += 5;                                                                                           \
	} while (0)
	EMIT(1, CB_SYN, NULL, 0);
	cseq++;
	EMIT(0, CB_SYN | CB_ACK, NULL, 0);
	sseq++;
	EMIT(1, CB_ACK, NULL, 0);
	uint64_t limit = mb << 20, qn = 0;
	uint8_t seg[1448];
	size_t fill = 0;
	uint8_t msg[600];
	size_t mlen = 0, moff = 0;
	while ((uint64_t)cb_pcap_tell(w) < limit) {
		if (moff == mlen) {
			char name[64];
			snprintf(name, sizeof(name), "q%" PRIu64 ".example.com", qn);
			size_t dl = cb_dns_query(msg + 2, sizeof(msg) - 2, (uint16_t)qn, name, 1);
			msg[0] = (uint8_t)(dl >> 8), msg[1] = (uint8_t)dl;
			mlen = dl + 2, moff = 0, qn++;
		}
		size_t m = mlen - moff < sizeof(seg) - fill ? mlen - moff : sizeof(seg) - fill;
		memcpy(seg + fill, msg + moff, m);
		fill += m, moff += m;
		if (fill == sizeof(seg)) {
			EMIT(1, CB_ACK | CB_PSH, seg, fill);
			cseq += (uint32_t)fill;
			fill = 0;
			if (qn % 64 == 0)
				EMIT(0, CB_ACK, NULL, 0);
		}
	}
	if (fill) {
		EMIT(1, CB_ACK | CB_PSH, seg, fill);
		cseq += (uint32_t)fill;
	}
	EMIT(1, CB_FIN | CB_ACK, NULL, 0);
	fprintf(stderr, "genscale: %" PRIu64 " queries\n", qn);
	return cb_pcap_close(w) < 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return usage();
	char *end;
	uint64_t n = strtoull(argv[2], &end, 10);
	if (*end || n == 0 || n > 100000000)
		return usage();
	if (!strcmp(argv[1], "hosts"))
		return gen_hosts(n, argv[3]);
	if (!strcmp(argv[1], "tcpstream"))
		return gen_tcpstream(n, argv[3]);
	return usage();
}
