/* test_carrier_evidence.c - carriers claimed only on evidence that name resolution cannot produce. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "carrier-evidence.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* A DNS query for www.example.com (qtype A) with this id, or its response. */
static uint32_t dns_msg(uint8_t *b, uint16_t id, bool response)
{
	static const uint8_t q[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = response ? 0x81 : 0x01;
	b[3] = response ? 0x80 : 0x00;
	b[5] = 1;
	if (response)
		b[7] = 1;
	memcpy(b + 12, q, sizeof(q));
	uint32_t n = 12 + sizeof(q);
	if (response) {
		static const uint8_t a[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34};
		memcpy(b + n, a, sizeof(a));
		n += sizeof(a);
	}
	return n;
}

Test(carrier_evidence, dns_flows_are_never_carriers_whatever_their_ids)
{
	/* Every first byte of a DNS id, on the ports OpenVPN, WireGuard, IKE
	 * and AnyConnect use, one to eight exchanges per flow, ids random,
	 * repeated (retransmissions) and sequential (stacks that count up). */
	static const uint16_t ports[] = {53, 1194, 443, 51820, 500, 4500, 5353, 5355};
	uint8_t b[128];
	unsigned claimed = 0, flows = 0;
	for (unsigned hi = 0; hi < 256; hi++)
		for (size_t pi = 0; pi < sizeof(ports) / sizeof(ports[0]); pi++)
			for (unsigned mode = 0; mode < 3; mode++) {
				struct cev_flow *st = NULL;
				unsigned nx = 1 + rnd() % 8;
				uint16_t id = (uint16_t)(hi << 8 | (rnd() & 0xff));
				for (unsigned x = 0; x < nx; x++) {
					uint16_t qid = mode == 0 ? (uint16_t)(hi << 8 | (rnd() & 0xff))
						       : mode == 1 ? id
								   : (uint16_t)(id + x);
					uint32_t n = dns_msg(b, qid, false);
					cev_packet(&st, 17, 40000, ports[pi], b, n, 0, x * 2 + 1, 0);
					n = dns_msg(b, qid, true);
					cev_packet(&st, 17, ports[pi], 40000, b, n, 1, x * 2 + 2, 0);
				}
				struct cev_claim c;
				flows++;
				if (cev_claim(st, true, &c))
					claimed++;
				cev_free(&st);
			}
	cr_assert_eq(claimed, 0, "%u of %u DNS flows claimed as carriers", claimed, flows);
}

Test(carrier_evidence, dns_over_tcp_is_never_openvpn)
{
	uint8_t b[130];
	for (unsigned hi = 0; hi < 256; hi++) {
		struct cev_flow *st = NULL;
		for (unsigned x = 0; x < 4; x++) {
			uint16_t id = (uint16_t)(hi << 8 | x);
			uint32_t n = dns_msg(b + 2, id, false);
			b[0] = 0;
			b[1] = (uint8_t)n;
			cev_packet(&st, 6, 40000, 53, b, n + 2, 0, 1, 0);
			n = dns_msg(b + 2, id, true);
			b[1] = (uint8_t)n;
			cev_packet(&st, 6, 53, 40000, b, n + 2, 1, 2, 0);
		}
		struct cev_claim c;
		cr_assert(!cev_claim(st, true, &c), "first byte 0x%02x", hi);
		cev_free(&st);
	}
}

static uint32_t wg_transport(uint8_t *b, uint32_t receiver, uint64_t ctr, uint32_t data)
{
	memset(b, 0, 32 + data);
	b[0] = 4;
	put_le32(b + 4, receiver);
	put_le64(b + 8, ctr);
	for (uint32_t i = 16; i < 32 + data; i++)
		b[i] = (uint8_t)rnd();
	return 32 + data;
}

Test(carrier_evidence, wireguard_handshake_pair)
{
	uint8_t b[148];
	struct cev_flow *st = NULL;
	memset(b, 0, 148);
	b[0] = 1;
	put_le32(b + 4, 0x11223344);
	cev_packet(&st, 17, 40000, 51820, b, 148, 0, 1, 0);
	struct cev_claim c;
	cr_assert(!cev_claim(st, false, &c), "one initiation proves nothing");
	memset(b, 0, 92);
	b[0] = 2;
	put_le32(b + 4, 0x55667788);
	put_le32(b + 8, 0x99999999); /* a receiver that is not the initiator's */
	cev_packet(&st, 17, 51820, 40000, b, 92, 1, 2, 0);
	cr_assert(!cev_claim(st, false, &c), "a response to another initiation");
	put_le32(b + 8, 0x11223344);
	cev_packet(&st, 17, 51820, 40000, b, 92, 1, 3, 0);
	cr_assert(cev_claim(st, true, &c));
	cr_assert_eq(c.kind, TK_WIREGUARD);
	cr_assert_eq(c.strength, CEV_TWO_SIDED);
	cr_assert_eq(c.frame, 3);
	cev_free(&st);
}

Test(carrier_evidence, wireguard_mid_session_and_warp_reserved_bytes)
{
	uint8_t b[256];
	for (int warp = 0; warp < 2; warp++) {
		struct cev_flow *st = NULL;
		for (uint64_t i = 0; i < 3; i++) {
			uint32_t n = wg_transport(b, 0xaaaa0001, 1000 + i, 64);
			if (warp)
				b[1] = 0x12, b[2] = 0x34, b[3] = 0x56;
			cev_packet(&st, 17, 40000, 2408, b, n, 0, 2 * i + 1, 0);
			n = wg_transport(b, 0xbbbb0002, 500 + i, 16 * (uint32_t)i);
			if (warp)
				b[1] = 0x12, b[2] = 0x34, b[3] = 0x56;
			cev_packet(&st, 17, 2408, 40000, b, n, 1, 2 * i + 2, 0);
		}
		struct cev_claim c;
		cr_assert(cev_claim(st, false, &c));
		cr_assert_eq(c.kind, TK_WIREGUARD);
		cr_assert_eq(c.strength, CEV_TWO_SIDED);
		/* with WARP's reserved bytes a DNS response could look alike:
		 * no claim against parsed DNS then */
		cr_assert_eq(cev_claim(st, true, &c), !warp);
		cev_free(&st);
	}
}

Test(carrier_evidence, wireguard_counters_that_do_not_rise_are_no_evidence)
{
	uint8_t b[64];
	struct cev_flow *st = NULL;
	for (int i = 0; i < 20; i++) {
		uint32_t n = wg_transport(b, 0xaaaa0001, 7, 0); /* the same counter every time */
		cev_packet(&st, 17, 40000, 51820, b, n, i & 1, (uint64_t)i + 1, 0);
	}
	struct cev_claim c;
	cr_assert(!cev_claim(st, false, &c));
	cev_free(&st);
	/* random receiver indexes each time */
	for (int i = 0; i < 20; i++) {
		uint32_t n = wg_transport(b, rnd(), (uint64_t)i, 0);
		cev_packet(&st, 17, 40000, 51820, b, n, i & 1, (uint64_t)i + 1, 0);
	}
	cr_assert(!cev_claim(st, false, &c));
	cev_free(&st);
}

Test(carrier_evidence, wireguard_one_way_needs_a_long_run_and_a_silent_peer)
{
	uint8_t b[64];
	struct cev_flow *st = NULL;
	struct cev_claim c;
	for (uint64_t i = 0; i < 15; i++)
		cev_packet(&st, 17, 40000, 51820, b, wg_transport(b, 9, i + 1, 0), 0, i + 1, 0);
	cr_assert(!cev_claim(st, false, &c));
	cev_packet(&st, 17, 40000, 51820, b, wg_transport(b, 9, 99, 0), 0, 16, 0);
	cr_assert(cev_claim(st, false, &c));
	cr_assert_eq(c.strength, CEV_ONE_SIDED);
	cr_assert(!cev_claim(st, true, &c), "one-sided evidence never beats parsed DNS");
	cev_free(&st);
}

static uint32_t ovpn_ctl(uint8_t *b, unsigned op, const uint8_t *sid, const uint8_t *ack_sid)
{
	b[0] = (uint8_t)(op << 3);
	memcpy(b + 1, sid, 8);
	uint32_t n = 9;
	if (ack_sid) {
		b[n++] = 1;
		put_be32(b + n, 0);
		n += 4;
		memcpy(b + n, ack_sid, 8);
		n += 8;
	} else {
		b[n++] = 0;
	}
	put_be32(b + n, 0);
	n += 4;
	for (int i = 0; i < 20; i++)
		b[n++] = (uint8_t)rnd();
	return n;
}

Test(carrier_evidence, openvpn_reset_pair_udp_and_tcp)
{
	static const uint8_t cs[8] = {1, 2, 3, 4, 5, 6, 7, 8}, ss[8] = {9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t b[128];
	for (int tcp = 0; tcp < 2; tcp++) {
		struct cev_flow *st = NULL;
		uint32_t off = tcp ? 2 : 0;
		uint32_t n = ovpn_ctl(b + off, 7, cs, NULL);
		if (tcp)
			b[0] = 0, b[1] = (uint8_t)n;
		cev_packet(&st, tcp ? 6 : 17, 40000, 1194, b, n + off, 0, 1, 0);
		struct cev_claim c;
		cr_assert(!cev_claim(st, false, &c));
		n = ovpn_ctl(b + off, 8, ss, cs);
		if (tcp)
			b[0] = 0, b[1] = (uint8_t)n;
		cev_packet(&st, tcp ? 6 : 17, 1194, 40000, b, n + off, 1, 2, 0);
		cr_assert(cev_claim(st, true, &c), "tcp=%d", tcp);
		cr_assert_eq(c.kind, TK_OPENVPN);
		cr_assert_eq(c.strength, CEV_TWO_SIDED);
		cev_free(&st);
	}
	/* a reset pair with no ack and no second control packet: not enough */
	struct cev_flow *st = NULL;
	struct cev_claim c;
	cev_packet(&st, 17, 40000, 1194, b, ovpn_ctl(b, 7, cs, NULL), 0, 1, 0);
	cev_packet(&st, 17, 1194, 40000, b, ovpn_ctl(b, 8, ss, NULL), 1, 2, 0);
	cr_assert(!cev_claim(st, false, &c));
	/* the client's next control packet and the server's, same ids: enough */
	cev_packet(&st, 17, 40000, 1194, b, ovpn_ctl(b, 4, cs, NULL), 0, 3, 0);
	cr_assert(!cev_claim(st, false, &c));
	cev_packet(&st, 17, 1194, 40000, b, ovpn_ctl(b, 4, ss, NULL), 1, 4, 0);
	cr_assert(cev_claim(st, true, &c));
	cev_free(&st);
}

Test(carrier_evidence, openvpn_data_channel_mid_session)
{
	uint8_t b[128];
	struct cev_flow *st = NULL;
	struct cev_claim c;
	for (int i = 0; i < 6; i++) {
		memset(b, 0, 100);
		b[0] = 9 << 3; /* P_DATA_V2, key 0 */
		b[3] = 5;      /* peer id 5 */
		for (int k = 4; k < 100; k++)
			b[k] = (uint8_t)rnd();
		cev_packet(&st, 17, 40000, 1194, b, 100 + (uint32_t)i, 0, 1, 0);
		cr_assert(!cev_claim(st, false, &c) || i == 5);
		cev_packet(&st, 17, 1194, 40000, b, 80 + 16 * (uint32_t)i, 1, 2, 0);
	}
	cr_assert(cev_claim(st, false, &c));
	cr_assert_eq(c.kind, TK_OPENVPN);
	cr_assert(!cev_claim(st, true, &c), "sequential DNS ids can look like this");
	cev_free(&st);
	/* the same packets, lengths fixed (DNS retransmissions): nothing */
	for (int i = 0; i < 8; i++) {
		cev_packet(&st, 17, 40000, 1194, b, 100, 0, 1, 0);
		cev_packet(&st, 17, 1194, 40000, b, 80, 1, 2, 0);
	}
	cr_assert(!cev_claim(st, false, &c));
	cev_free(&st);
}

static uint32_t ike_msg(uint8_t *b, const uint8_t *spi_i, bool response)
{
	memset(b, 0, 64);
	memcpy(b, spi_i, 8);
	if (response)
		memset(b + 8, 0x77, 8);
	b[16] = 33; /* SA */
	b[17] = 0x20;
	b[18] = 34; /* IKE_SA_INIT */
	b[19] = response ? 0x20 : 0x08;
	put_be32(b + 24, 64);
	return 64;
}

Test(carrier_evidence, ike_pair_and_esp_in_udp_and_esp)
{
	static const uint8_t spi[8] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
	uint8_t b[128];
	struct cev_flow *st = NULL;
	struct cev_claim c;
	cev_packet(&st, 17, 500, 500, b, ike_msg(b, spi, false), 0, 1, 0);
	cr_assert(!cev_claim(st, false, &c));
	cev_packet(&st, 17, 500, 500, b, ike_msg(b, spi, true), 1, 2, 0);
	cr_assert(cev_claim(st, false, &c));
	cr_assert_eq(c.kind, TK_IPSEC);
	cev_free(&st);

	for (int udp = 0; udp < 2; udp++) {
		for (uint32_t i = 1; i <= 3; i++) {
			for (int dir = 0; dir < 2; dir++) {
				put_be32(b, dir ? 0xc0de0002 : 0xc0de0001);
				put_be32(b + 4, i);
				for (int k = 8; k < 80; k++)
					b[k] = (uint8_t)rnd();
				cev_packet(&st, udp ? 17 : 50, udp ? 4500 : 0, udp ? 4500 : 0, b, 80, dir, i, 0);
			}
		}
		cr_assert(cev_claim(st, false, &c), "udp=%d", udp);
		cr_assert_eq(c.kind, TK_IPSEC);
		cev_free(&st);
	}
}

Test(carrier_evidence, dtls_on_443_is_openconnect)
{
	uint8_t b[100];
	struct cev_flow *st = NULL;
	struct cev_claim c;
	for (int i = 0; i < 3; i++)
		for (int dir = 0; dir < 2; dir++) {
			memset(b, 0, sizeof(b));
			b[0] = 23;
			b[1] = 0xfe;
			b[2] = 0xfd;
			b[4] = 1;
			b[10] = (uint8_t)(i + 1);
			b[12] = 80;
			cev_packet(&st, 17, dir ? 443 : 40000, dir ? 40000 : 443, b, 93, dir, 1, 0);
		}
	cr_assert(cev_claim(st, false, &c));
	cr_assert_eq(c.kind, TK_OPENCONNECT);
	cev_free(&st);
}

Test(carrier_evidence, ssh_banners_are_a_candidate_only)
{
	struct cev_flow *st = NULL;
	struct cev_claim c;
	const char *cli = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", *srv = "SSH-2.0-OpenSSH_9.2p1\r\n";
	cev_packet(&st, 6, 40000, 22, (const uint8_t *)cli, (uint32_t)strlen(cli), 0, 4, 0);
	cr_assert(!cev_claim(st, false, &c));
	cev_packet(&st, 6, 22, 40000, (const uint8_t *)srv, (uint32_t)strlen(srv), 1, 5, 0);
	cr_assert(cev_claim(st, false, &c));
	cr_assert_eq(c.kind, TK_SSH);
	cr_assert(c.candidate_only);
	cev_free(&st);
}

Test(carrier_evidence, tor_server_names)
{
	cr_assert(cev_tor_sni("www.4kcpxnd6hy3c.com"));
	cr_assert(cev_tor_sni("www.qvbzxtrmnpwk.net"));
	cr_assert(!cev_tor_sni("www.wikipedia.com"));
	cr_assert(!cev_tor_sni("www.example.com"));
	cr_assert(!cev_tor_sni("www.google.com"));
	cr_assert(!cev_tor_sni("mail.4kcpxnd6hy3c.com"));
	cr_assert(!cev_tor_sni("www.4kcpxnd6hy3c.org"));
	struct cev_flow *st = NULL;
	struct cev_claim c;
	cev_tls_hello(&st, "www.4kcpxnd6hy3c.com", true, 40000, 443, 1, 0);
	cr_assert(!cev_claim(st, false, &c), "browsers send ALPN; Tor does not");
	cev_tls_hello(&st, "www.4kcpxnd6hy3c.com", false, 40000, 443, 1, 0);
	cr_assert(cev_claim(st, false, &c));
	cr_assert_eq(c.kind, TK_TOR);
	cev_free(&st);
}

Test(carrier_evidence, random_bytes_rarely_claim)
{
	uint8_t b[200];
	unsigned claimed = 0;
	for (int f = 0; f < 2000; f++) {
		struct cev_flow *st = NULL;
		uint16_t port = (uint16_t)(f % 5 == 0 ? 1194 : f % 5 == 1 ? 4500 : f % 5 == 2 ? 443 : 1024 + rnd() % 60000);
		for (int i = 0; i < 16; i++) {
			uint32_t n = 1 + rnd() % sizeof(b);
			for (uint32_t k = 0; k < n; k++)
				b[k] = (uint8_t)rnd();
			cev_packet(&st, 17, 40000, port, b, n, i & 1, 1, 0);
		}
		struct cev_claim c;
		claimed += cev_claim(st, false, &c);
		cev_free(&st);
	}
	cr_assert_eq(claimed, 0);
}
