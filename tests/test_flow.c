/* test_flow.c - flow table: direction, canonical keys, idle expiry, the cap. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static struct cap_packet cp;

static struct pkt mk(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t proto, int64_t ts)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	memset(&cp, 0, sizeof(cp));
	cp.ts_sec = ts;
	p.cp = &cp;
	cr_assert_eq(addr_parse(src, &p.src), 0);
	cr_assert_eq(addr_parse(dst, &p.dst), 0);
	p.sport = sp;
	p.dport = dp;
	p.proto = proto;
	return p;
}

static int ended;
static void on_end(struct flow *f, void *user)
{
	(void)f;
	(void)user;
	ended++;
}

Test(flow, both_directions_share_one_flow)
{
	struct flowtab *t = flow_new(16, 1, on_end, NULL);
	int dir;
	struct pkt q = mk("10.0.0.2", 40000, "192.0.2.53", 53, 17, 100);
	struct flow *f1 = flow_lookup(t, &q, &dir);
	cr_assert_eq(dir, 0);
	struct pkt r = mk("192.0.2.53", 53, "10.0.0.2", 40000, 17, 100);
	struct flow *f2 = flow_lookup(t, &r, &dir);
	cr_assert_eq(f1, f2);
	cr_assert_eq(dir, 1);
	cr_assert_eq(f1->pkts[0], 1);
	cr_assert_eq(f1->pkts[1], 1);
	char b[64];
	cr_assert_str_eq(addr_str(&f1->init_addr, b, sizeof(b)), "10.0.0.2");
	cr_assert_eq(flow_count(t), 1);
	flow_free(t);
}

Test(flow, different_ports_or_proto_are_different_flows)
{
	struct flowtab *t = flow_new(16, 1, NULL, NULL);
	int dir;
	struct pkt a = mk("10.0.0.2", 40000, "192.0.2.53", 53, 17, 1);
	struct pkt b = mk("10.0.0.2", 40001, "192.0.2.53", 53, 17, 1);
	struct pkt c = mk("10.0.0.2", 40000, "192.0.2.53", 53, 6, 1);
	struct flow *fa = flow_lookup(t, &a, &dir);
	struct flow *fb = flow_lookup(t, &b, &dir);
	struct flow *fc = flow_lookup(t, &c, &dir);
	cr_assert_neq(fa, fb);
	cr_assert_neq(fa, fc);
	cr_assert_eq(flow_count(t), 3);
	flow_free(t);
}

Test(flow, idle_udp_flows_expire_on_capture_time)
{
	ended = 0;
	struct flowtab *t = flow_new(16, 1, on_end, NULL);
	int dir;
	struct pkt a = mk("10.0.0.2", 40000, "192.0.2.53", 53, 17, 1000);
	flow_lookup(t, &a, &dir);
	/* a packet of another flow, past the UDP timeout */
	struct pkt b = mk("10.0.0.3", 40000, "192.0.2.53", 53, 17, 1000 + FLOW_UDP_TIMEOUT + 1);
	flow_lookup(t, &b, &dir);
	cr_assert_eq(ended, 1);
	cr_assert_eq(flow_count(t), 1);
	flow_free(t);
	cr_assert_eq(ended, 2);
}

Test(flow, cap_evicts_least_recently_used)
{
	ended = 0;
	struct flowtab *t = flow_new(4, 1, on_end, NULL);
	int dir;
	for (int i = 0; i < 10; i++) {
		struct pkt a = mk("10.0.0.2", (uint16_t)(1000 + i), "192.0.2.53", 53, 17, 5);
		flow_lookup(t, &a, &dir);
	}
	cr_assert_eq(flow_count(t), 4);
	cr_assert_eq(flow_evicted(t), 6);
	cr_assert_eq(flow_peak(t), 4);
	/* the newest survive: port 1009 is still the same flow (pkts becomes 2) */
	struct pkt a = mk("10.0.0.2", 1009, "192.0.2.53", 53, 17, 5);
	struct flow *f = flow_lookup(t, &a, &dir);
	cr_assert_eq(f->pkts[0], 2);
	flow_free(t);
}

Test(flow, ipv6_and_ipv4_never_collide)
{
	struct flowtab *t = flow_new(16, 7, NULL, NULL);
	int dir;
	struct pkt a = mk("10.0.0.2", 1, "10.0.0.1", 53, 17, 1);
	struct pkt b = mk("::a00:2", 1, "::a00:1", 53, 17, 1);
	cr_assert_neq(flow_lookup(t, &a, &dir), flow_lookup(t, &b, &dir));
	flow_free(t);
}
