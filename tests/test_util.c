/* test_util.c - addresses, prefixes, time formatting, the cursor. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "util.h"

Test(util, prefix_parse_and_match)
{
	struct ls_addr net, x;
	uint8_t plen;
	cr_assert_eq(prefix_parse("10.66.0.0/16", &net, &plen), 0);
	cr_assert_eq(plen, 16);
	cr_assert_eq(addr_parse("10.66.200.1", &x), 0);
	cr_assert(addr_in_prefix(&x, &net, plen));
	cr_assert_eq(addr_parse("10.67.0.1", &x), 0);
	cr_assert_not(addr_in_prefix(&x, &net, plen));
	cr_assert_eq(prefix_parse("2001:db8::/33", &net, &plen), 0);
	cr_assert_eq(addr_parse("2001:db8:7fff::1", &x), 0);
	cr_assert(addr_in_prefix(&x, &net, plen));
	cr_assert_eq(addr_parse("2001:db8:8000::1", &x), 0);
	cr_assert_not(addr_in_prefix(&x, &net, plen));
	/* families never match each other */
	cr_assert_eq(addr_parse("10.66.0.1", &x), 0);
	cr_assert_not(addr_in_prefix(&x, &net, plen));
	cr_assert_eq(prefix_parse("192.0.2.1", &net, &plen), 0);
	cr_assert_eq(plen, 32);
}

Test(util, prefix_parse_refuses_garbage)
{
	struct ls_addr net;
	uint8_t plen;
	cr_assert_lt(prefix_parse("10.0.0.0/33", &net, &plen), 0);
	cr_assert_lt(prefix_parse("10.0.0.0/", &net, &plen), 0);
	cr_assert_lt(prefix_parse("10.0.0.0/-1", &net, &plen), 0);
	cr_assert_lt(prefix_parse("10.0.0.0/1x", &net, &plen), 0);
	cr_assert_lt(prefix_parse("/8", &net, &plen), 0);
	cr_assert_lt(prefix_parse("::/129", &net, &plen), 0);
	cr_assert_lt(prefix_parse("300.0.0.0/8", &net, &plen), 0);
	cr_assert_lt(prefix_parse("", &net, &plen), 0);
}

Test(util, time_iso_is_utc_with_microseconds)
{
	char b[40];
	/* 2024-02-29T12:34:56 UTC = 1709210096 (date -u -d @1709210096) */
	cr_assert_str_eq(time_iso(1709210096, 123456789, b, sizeof(b)), "2024-02-29T12:34:56.123456Z");
	cr_assert_str_eq(time_iso(0, 0, b, sizeof(b)), "1970-01-01T00:00:00.000000Z");
}

Test(util, cursor_sticky_error)
{
	/* 3 bytes: a u16 fits, the following u16 does not; the error sticks */
	const uint8_t buf[] = {0x12, 0x34, 0x56};
	struct cur c;
	cur_init(&c, buf, sizeof(buf));
	cr_assert_eq(cur_u16(&c), 0x1234);
	cr_assert_eq(cur_u16(&c), 0);
	cr_assert(c.err);
	cr_assert_eq(cur_u8(&c), 0);
	cr_assert_eq(cur_left(&c), 0);
	struct cur s = cur_sub(&c, 1);
	cr_assert(s.err);
}

Test(util, loopback_multicast_linklocal)
{
	struct ls_addr x;
	addr_parse("127.0.0.53", &x);
	cr_assert(addr_is_loopback(&x));
	addr_parse("::1", &x);
	cr_assert(addr_is_loopback(&x));
	addr_parse("224.0.0.251", &x);
	cr_assert(addr_is_multicast(&x));
	addr_parse("ff02::fb", &x);
	cr_assert(addr_is_multicast(&x));
	addr_parse("fe80::1", &x);
	cr_assert(addr_is_linklocal(&x));
	addr_parse("192.0.2.1", &x);
	cr_assert_not(addr_is_loopback(&x) || addr_is_multicast(&x) || addr_is_linklocal(&x));
}

Test(util, time_iso_same_second_and_far_future)
{
	char b[40];
	/* the calendar part is cached per second: the microseconds still change */
	cr_assert_str_eq(time_iso(1709210096, 1000, b, sizeof(b)), "2024-02-29T12:34:56.000001Z");
	cr_assert_str_eq(time_iso(1709210096, 999999999, b, sizeof(b)), "2024-02-29T12:34:56.999999Z");
	cr_assert_str_eq(time_iso(1709210097, 0, b, sizeof(b)), "2024-02-29T12:34:57.000000Z");
	/* 2^42 s (the capture reader's clamp) is in year 141338: no shortcut, still right
	 * (date -u -d @4398046511104 prints Sat Jul 19 02:25:04 UTC 141338) */
	cr_assert_str_eq(time_iso((int64_t)1 << 42, 0, b, sizeof(b)), "141338-07-19T02:25:04.000000Z");
	/* too small a buffer: "-" rather than a cut time */
	char small[10];
	cr_assert_str_eq(time_iso(1709210096, 0, small, sizeof(small)), "-");
}

Test(util, ipv4_str_matches_inet_ntop)
{
	/* every octet value in every position, against the C library */
	for (unsigned pos = 0; pos < 4; pos++) {
		for (unsigned v = 0; v < 256; v++) {
			uint8_t a[4] = {10, 0, 99, 255};
			a[pos] = (uint8_t)v;
			char want[INET_ADDRSTRLEN], got[16];
			cr_assert_not_null(inet_ntop(AF_INET, a, want, sizeof(want)));
			size_t n = ipv4_str(a, got);
			cr_expect_str_eq(got, want);
			cr_expect_eq(n, strlen(want));
		}
	}
}

#include "resolvers.h"

Test(util, known_resolver_names)
{
	/* the service names, what is below them on a label boundary, and
	 * what only looks alike */
	static const char *const yes[] = {"dns.google", "DNS.Google.", "mozilla.cloudflare-dns.com",
					  "firefox.dns.nextdns.io", "doh.xfinity.com",
					  "private.canadianshield.cira.ca", "doh.dns.apple.com", "dns0.eu"};
	static const char *const no[] = {"notdns.google", "cloudflare-dns.com.evil.example", "xfinity.com",
					 "dns0.eu.example", "", "google"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(resolver_name_known(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect(!resolver_name_known(no[i]), "%s", no[i]);
}
