/* test_dhcp.c - DHCPv4/v6 parsing: names, classless routes, hostile lengths, every prefix. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

/* A DHCPACK: BOOTREPLY, Ethernet, chaddr 02:00:00:00:00:0a, yiaddr
 * 192.168.1.10, magic cookie, then
 *   53 len 1: 5 (ACK)
 *   6  len 8: DNS 192.168.1.1, 9.9.9.9
 *   121 len 14: RFC 3442 section 3's kind of list:
 *       /0 -> default via 192.168.1.1           (00 c0 a8 01 01)
 *       /25 10.1.2.0 -> via 192.168.1.254       (19 0a 01 02 00 c0 a8 01 fe)
 *   12 len 6: "laptop"
 *   255 */
static size_t ack(uint8_t *o)
{
	memset(o, 0, 400);
	o[0] = 2, o[1] = 1, o[2] = 6;
	o[16] = 192, o[17] = 168, o[18] = 1, o[19] = 10;
	o[28] = 2, o[33] = 0x0a;
	o[236] = 0x63, o[237] = 0x82, o[238] = 0x53, o[239] = 0x63;
	static const uint8_t opts[] = {53, 1, 5,
				       6, 8, 192, 168, 1, 1, 9, 9, 9, 9,
				       121, 14, 0x00, 0xc0, 0xa8, 0x01, 0x01, 0x19, 0x0a, 0x01, 0x02, 0x00, 0xc0, 0xa8, 0x01, 0xfe,
				       12, 6, 'l', 'a', 'p', 't', 'o', 'p',
				       255};
	memcpy(o + 240, opts, sizeof(opts));
	return 240 + sizeof(opts);
}

Test(dhcp, ack_with_classless_routes)
{
	uint8_t b[400];
	size_t n = ack(b);
	struct dhcp_info d;
	cr_assert_eq(dhcp4_parse(b, n, &d), 0);
	cr_expect_eq(d.op, 2);
	cr_expect_eq(d.msg_type, 5);
	cr_expect(d.has_chaddr);
	cr_expect_eq(d.chaddr[5], 0x0a);
	char s[64];
	cr_expect_str_eq(addr_str(&d.yiaddr, s, sizeof(s)), "192.168.1.10");
	cr_assert_eq(d.ndns, 2);
	cr_expect_str_eq(addr_str(&d.dns[1], s, sizeof(s)), "9.9.9.9");
	cr_assert_eq(d.nroutes, 2);
	cr_expect_eq(d.routes[0].plen, 0);
	cr_expect_str_eq(addr_str(&d.routes[1].net, s, sizeof(s)), "10.1.2.0");
	cr_expect_eq(d.routes[1].plen, 25);
	cr_expect_str_eq(addr_str(&d.routes[1].gw, s, sizeof(s)), "192.168.1.254");
	cr_expect_eq(d.routes[1].option, 121);
	cr_expect_str_eq(d.hostname, "laptop");
	cr_expect_not(d.malformed);
}

Test(dhcp, not_dhcp_is_refused)
{
	uint8_t b[400];
	size_t n = ack(b);
	b[236] = 0; /* magic cookie broken */
	struct dhcp_info d;
	cr_expect_eq(dhcp4_parse(b, n, &d), -1);
	cr_expect_eq(dhcp4_parse(b, 100, &d), -1);
	cr_expect_eq(dhcp6_parse(b, 0, &d), -1);
}

Test(dhcp, lying_option_length_stops_cleanly)
{
	uint8_t b[400];
	size_t n = ack(b);
	b[240 + 3 + 1] = 200; /* option 6 claims 200 bytes */
	struct dhcp_info d;
	cr_assert_eq(dhcp4_parse(b, n, &d), 0);
	cr_expect(d.malformed);
	cr_expect_eq(d.nroutes, 0);
}

Test(dhcp, route_width_over_32_is_malformed)
{
	uint8_t b[400];
	size_t n = ack(b);
	b[240 + 13 + 2] = 33;
	struct dhcp_info d;
	cr_assert_eq(dhcp4_parse(b, n, &d), 0);
	cr_expect(d.malformed);
}

Test(dhcp, name_bytes_are_escaped)
{
	uint8_t b[400];
	size_t n = ack(b);
	/* option 12 "laptop" -> "la\ntop" with a tab and a quote */
	size_t at = 240 + 3 + 10 + 16 + 2;
	b[at + 2] = '\n';
	b[at + 3] = '"';
	struct dhcp_info d;
	cr_assert_eq(dhcp4_parse(b, n, &d), 0);
	cr_expect_str_eq(d.hostname, "la\\010\"op");
}

Test(dhcp, v6_fqdn_and_dns)
{
	/* SOLICIT (1), xid 0x123456, option 39 FQDN: flags 0, "pc.example" wire
	 * format; option 23: one DNS server 2001:db8::53 */
	static const uint8_t m[] = {1, 0x12, 0x34, 0x56,
				    0, 39, 0, 13, 0, 2, 'p', 'c', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
				    0, 23, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
	struct dhcp_info d;
	cr_assert_eq(dhcp6_parse(m, sizeof(m), &d), 0);
	cr_expect_str_eq(d.hostname, "pc.example");
	cr_assert_eq(d.ndns, 1);
	char s[64];
	cr_expect_str_eq(addr_str(&d.dns[0], s, sizeof(s)), "2001:db8::53");
}

Test(dhcp, truncation_sweep)
{
	uint8_t b[400];
	size_t n = ack(b);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, b, k);
		struct dhcp_info d;
		int r = dhcp4_parse(p, k, &d);
		cr_assert(r == 0 || r == -1);
		cr_assert_leq(d.nroutes, DHCP_MAX_ROUTES);
		r = dhcp6_parse(p, k, &d);
		cr_assert(r == 0 || r == -1);
		free(p);
	}
}

/* A DHCPINFORM as Windows sends it (the shape of frame 516 of PcapPlusPlus'
 * sll.pcap, read with tshark): BOOTREQUEST, chaddr 6c:f0:49:b2:de:6e,
 *   53 len 1: 8 (INFORM)
 *   60 len 8: "MSFT 5.0"
 *   55 len 13: 1,15,3,6,44,46,47,31,33,121,249,43,252
 * then a second request whose option 55 claims 255 codes and option 60
 * holds a NUL and 200 bytes: kept cut, never past the buffers. */
Test(dhcp, request_list_and_vendor_class)
{
	uint8_t b[800];
	memset(b, 0, sizeof(b));
	b[0] = 1, b[1] = 1, b[2] = 6;
	static const uint8_t mac[] = {0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e};
	memcpy(b + 28, mac, 6);
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	static const uint8_t opts[] = {53, 1, 8,
				       60, 8, 'M', 'S', 'F', 'T', ' ', '5', '.', '0',
				       55, 13, 1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43, 252,
				       255};
	memcpy(b + 240, opts, sizeof(opts));
	struct dhcp_info d;
	cr_assert_eq(dhcp4_parse(b, 240 + sizeof(opts), &d), 0);
	cr_expect_eq(d.msg_type, 8);
	cr_expect_str_eq(d.vendor, "MSFT 5.0");
	static const uint8_t want[] = {1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43, 252};
	cr_assert_eq(d.prl_len, sizeof(want));
	cr_expect_eq(memcmp(d.prl, want, sizeof(want)), 0);

	size_t at = 240;
	b[at++] = 55, b[at++] = 255;
	for (int i = 0; i < 255; i++)
		b[at++] = (uint8_t)i;
	b[at++] = 60, b[at++] = 200;
	b[at++] = 'x', b[at++] = 0;
	memset(b + at, 'A', 198);
	at += 198;
	b[at++] = 255;
	cr_assert_eq(dhcp4_parse(b, at, &d), 0);
	cr_expect_eq(d.prl_len, DHCP_PRL_MAX);
	cr_expect_eq(d.prl[DHCP_PRL_MAX - 1], DHCP_PRL_MAX - 1);
	cr_expect_str_eq(d.vendor, "x", "the vendor class ends at its first NUL");
	cr_expect_not(d.malformed);
}
