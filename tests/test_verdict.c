/* test_verdict.c - each leak category from a capture built for it: category, phase, cause and evidence.
 *
 * Captures are built here with capbuild (Ethernet, IPv4/IPv6, UDP), with a
 * WireGuard-shaped carrier to 203.0.113.5:51820 whose keepalives (32-byte
 * transport messages) come every second, so the tunnel's timeline is known
 * exactly: the expected phase follows from the times written here.  The
 * lab samples (real software) are checked for the same facts at the end,
 * with frame numbers read with tshark.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "output.h"
#include "rules.h"

static const uint8_t HOST_MAC[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

static const char *RULES =
	"<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
	"  <tunnel name=\"t\" kind=\"wireguard\">\n"
	"    <endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>\n"
	"    <inside prefix=\"10.66.0.2/32\"/>\n"
	"    <resolver address=\"10.66.0.1\" port=\"53\"/>\n"
	"  </tunnel>\n"
	"  <allow>\n"
	"    <name exact=\"vpn.example.net\" reason=\"endpoint name\"/>\n"
	"  </allow>\n"
	"</tunnels>\n";

struct cap {
	char path[256];
	struct cb_pcap *w;
	uint8_t buf[CB_MAXPKT];
};

static void cap_start(struct cap *c)
{
	cr_assert_eq(cb_tmpname(c->path, sizeof(c->path), ".pcap"), 0);
	c->w = cb_pcap_open(c->path, 1, 65535, 0);
	cr_assert_not_null(c->w);
}

static void put_udp(struct cap *c, double t, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		    const void *pl, size_t len, bool outbound)
{
	size_t n = cb_udp4(c->buf, outbound ? HOST_MAC : GW_MAC, outbound ? GW_MAC : HOST_MAC, src, dst, sp, dp,
			   pl, len);
	cr_assert_gt(n, 0);
	int64_t s = (int64_t)t;
	cr_assert_eq(cb_pcap_write(c->w, 1700000000 + s, (uint32_t)((t - (double)s) * 1e9), c->buf, (uint32_t)n,
				   (uint32_t)n),
		     0);
}

/* WireGuard keepalive every second from t0 to t1 (inclusive). */
static void carrier(struct cap *c, int t0, int t1)
{
	uint8_t ka[32] = {4};
	for (int t = t0; t <= t1; t++)
		put_udp(c, t, "192.168.1.10", "203.0.113.5", 40001, 51820, ka, sizeof(ka), true);
}

static void query(struct cap *c, double t, const char *src, const char *dst, uint16_t id, const char *name,
		  uint16_t qtype)
{
	uint8_t q[512];
	size_t n = cb_dns_query(q, sizeof(q), id, name, qtype);
	cr_assert_gt(n, 0);
	put_udp(c, t, src, dst, (uint16_t)(40000 + id), 53, q, n, true);
}

static struct analysis *analyse(struct cap *c, const char *rules_xml, struct rules **r)
{
	cr_assert_eq(cb_pcap_close(c->w), 0);
	char err[2048];
	cr_assert_eq(rules_load_mem("test.xml", rules_xml, strlen(rules_xml), r, err, sizeof(err)), 0, "%s", err);
	struct analysis *a = an_new(NULL, *r);
	cr_assert_eq(an_add_file(a, c->path), 0);
	an_finish(a);
	return a;
}

static void done(struct cap *c, struct analysis *a, struct rules *r)
{
	an_free(a);
	rules_free(r);
	unlink(c->path);
}

static const struct ev *find(struct analysis *a, const char *qname)
{
	for (size_t i = 0; i < ev_count(a->ev); i++) {
		const struct ev *e = ev_get(a->ev, i);
		if (e->qname && strcmp(e->qname, qname) == 0)
			return e;
	}
	cr_assert_fail("no event for %s", qname);
	return NULL;
}

static void expect(const struct ev *e, enum ev_verdict v, enum ev_category cat, enum ev_phase ph, uint64_t frame)
{
	cr_expect_str_eq(ev_verdict_str(e->verdict), ev_verdict_str(v), "%s", e->qname);
	cr_expect_str_eq(ev_category_str(e->category), ev_category_str(cat), "%s", e->qname);
	cr_expect_str_eq(ev_phase_str(e->phase), ev_phase_str(ph), "%s", e->qname);
	cr_expect_eq(e->frame, frame, "%s: frame %llu", e->qname, (unsigned long long)e->frame);
	if (v == VERDICT_LEAK) {
		cr_expect_gt(strlen(cat_cause(cat)), 20);
		cr_expect_gt(strlen(cat_remedy(cat)), 20);
	}
}

Test(verdict, bootstrap_allowed_split_and_kill_switch_by_phase)
{
	struct cap c;
	cap_start(&c);
	query(&c, 1.0, "192.168.1.10", "192.168.1.1", 1, "vpn.example.net", 1);  /* frame 1: allowed, before */
	query(&c, 1.5, "192.168.1.10", "192.168.1.1", 2, "early.example.com", 1); /* frame 2: bootstrap */
	carrier(&c, 3, 10);                                                       /* frames 3..10 */
	query(&c, 6.5, "192.168.1.10", "192.168.1.1", 3, "mid.example.com", 1);  /* frame 11: split */
	carrier(&c, 30, 35);                                                      /* frames 12..17 */
	query(&c, 20.0, "192.168.1.10", "192.168.1.1", 4, "gap.example.com", 1);  /* frame 18: gap */
	query(&c, 50.0, "192.168.1.10", "192.168.1.1", 5, "down.example.com", 1); /* frame 19: down */
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	cr_assert_eq(ev_count(a->ev), 5);
	expect(find(a, "vpn.example.net"), VERDICT_ALLOWED, CAT_ALLOWED, PHASE_BEFORE, 1);
	cr_expect_str_eq(find(a, "vpn.example.net")->reason, "endpoint name");
	expect(find(a, "early.example.com"), VERDICT_LEAK, CAT_BOOTSTRAP, PHASE_BEFORE, 2);
	expect(find(a, "mid.example.com"), VERDICT_LEAK, CAT_SPLIT_TUNNEL, PHASE_UP, 11);
	expect(find(a, "gap.example.com"), VERDICT_LEAK, CAT_KILL_SWITCH, PHASE_GAP, 18);
	expect(find(a, "down.example.com"), VERDICT_LEAK, CAT_KILL_SWITCH, PHASE_DOWN, 19);
	/* the timeline: keepalives every second give a 2.5 s gap threshold */
	cr_expect_eq(a->tun[0].keepalive_us, 1000000);
	cr_expect_eq(a->tun[0].gap_us, 2500000);
	cr_expect_eq(a->tun[0].nsegs, 2);
	/* one host, the carrier's sender, named by its MAC */
	cr_assert_eq(a->nhosts, 1);
	cr_expect_str_eq(a->hosts[0].id, "02-00-00-00-00-0a");
	cr_expect_eq(a->hosts[0].leaks, 4);
	done(&c, a, r);
}

Test(verdict, ipv6_outside_an_ipv4_only_tunnel)
{
	struct cap c;
	cap_start(&c);
	carrier(&c, 0, 5);
	query(&c, 2.2, "fd00:1::10", "fd00:1::1", 1, "v6.example.com", 28); /* frame 7 */
	query(&c, 2.4, "192.168.1.10", "192.168.1.1", 2, "v4.example.com", 1); /* frame 8 */
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	expect(find(a, "v6.example.com"), VERDICT_LEAK, CAT_IPV6_OUTSIDE, PHASE_UP, 7);
	expect(find(a, "v4.example.com"), VERDICT_LEAK, CAT_SPLIT_TUNNEL, PHASE_UP, 8);
	done(&c, a, r);
}

Test(verdict, tunnel_resolver_reached_outside)
{
	struct cap c;
	cap_start(&c);
	carrier(&c, 0, 5);
	query(&c, 2.5, "192.168.1.10", "10.66.0.1", 1, "routed.example.com", 1); /* frame 7 */
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	expect(find(a, "routed.example.com"), VERDICT_LEAK, CAT_TUNNEL_RESOLVER_OUTSIDE, PHASE_UP, 7);
	done(&c, a, r);
}

Test(verdict, inside_by_source_address_tunnel_and_bypass)
{
	/* a capture of the tunnel's own packets on a link that has a MAC
	 * (as a bridge would show them): the source address decides */
	struct cap c;
	cap_start(&c);
	carrier(&c, 0, 5);
	query(&c, 2.1, "10.66.0.2", "10.66.0.1", 1, "in.example.com", 1);     /* frame 7 */
	query(&c, 2.3, "10.66.0.2", "198.51.100.53", 2, "by.example.com", 1); /* frame 8 */
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	/* the interface carries the carrier, so cleartext on it is outside,
	 * whatever its source: that is the stricter reading */
	cr_expect_eq(find(a, "in.example.com")->path, PATH_OUTSIDE);
	done(&c, a, r);

	/* the same questions on a link of their own (no carrier): inside */
	cap_start(&c);
	query(&c, 2.1, "10.66.0.2", "10.66.0.1", 1, "in.example.com", 1);
	query(&c, 2.3, "10.66.0.2", "198.51.100.53", 2, "by.example.com", 1);
	a = analyse(&c, RULES, &r);
	const struct ev *in = find(a, "in.example.com"), *by = find(a, "by.example.com");
	cr_expect_eq(in->path, PATH_TUNNEL);
	cr_expect_eq(in->category, CAT_TUNNEL);
	cr_expect_eq(in->verdict, VERDICT_OK);
	cr_expect_eq(by->path, PATH_TUNNEL);
	cr_expect_eq(by->category, CAT_RESOLVER_BYPASS);
	cr_expect_eq(by->verdict, VERDICT_OK);
	done(&c, a, r);
}

Test(verdict, loopback_is_local)
{
	struct cap c;
	cap_start(&c);
	query(&c, 1.0, "127.0.0.1", "127.0.0.53", 1, "stub.example.com", 1);
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	const struct ev *e = find(a, "stub.example.com");
	cr_expect_eq(e->path, PATH_LOCAL);
	cr_expect_eq(e->verdict, VERDICT_OK);
	cr_expect_eq(e->category, CAT_LOCAL);
	done(&c, a, r);
}

Test(verdict, carrier_on_port_53_is_never_name_resolution)
{
	/* A WireGuard endpoint on udp/53 whose packets even carry bytes that
	 * parse as a DNS query: they are carrier, never a finding. */
	static const char *rules53 =
		"<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
		"  <tunnel name=\"t\" kind=\"wireguard\">\n"
		"    <endpoint address=\"203.0.113.5\" port=\"53\" transport=\"udp\"/>\n"
		"  </tunnel>\n"
		"</tunnels>\n";
	struct cap c;
	cap_start(&c);
	uint8_t q[512];
	size_t n = cb_dns_query(q, sizeof(q), 7, "looks.like.dns", 1);
	for (int t = 0; t < 5; t++) {
		put_udp(&c, t, "192.168.1.10", "203.0.113.5", 40001, 53, q, n, true);
		put_udp(&c, t + 0.1, "203.0.113.5", "192.168.1.10", 53, 40001, q, n, false);
	}
	struct rules *r;
	struct analysis *a = analyse(&c, rules53, &r);
	cr_expect_eq(ev_count(a->ev), 0);
	cr_expect_eq(a->tun[0].carrier_pkts, 10);
	done(&c, a, r);
}

/* DHCPACK with option 121 (RFC 3442): 192.0.2.0/24 via 192.168.1.1. */
static size_t dhcp_ack(uint8_t *out)
{
	memset(out, 0, 300);
	out[0] = 2; /* BOOTREPLY */
	out[1] = 1; /* Ethernet */
	out[2] = 6;
	memcpy(out + 28, HOST_MAC, 6);
	out[236] = 0x63, out[237] = 0x82, out[238] = 0x53, out[239] = 0x63;
	size_t i = 240;
	out[i++] = 53, out[i++] = 1, out[i++] = 5;                 /* DHCPACK */
	out[i++] = 121, out[i++] = 8, out[i++] = 24;               /* width 24 */
	out[i++] = 192, out[i++] = 0, out[i++] = 2;                /* 192.0.2 */
	out[i++] = 192, out[i++] = 168, out[i++] = 1, out[i++] = 1; /* router */
	out[i++] = 255;
	return i;
}

Test(verdict, tunnelvision_route_and_canary_are_evidence)
{
	struct cap c;
	cap_start(&c);
	uint8_t d[400];
	size_t n = dhcp_ack(d);
	put_udp(&c, 0.5, "192.168.1.1", "192.168.1.10", 67, 68, d, n, false); /* frame 1 */
	carrier(&c, 1, 6);
	query(&c, 3.2, "192.168.1.10", "192.0.2.53", 1, "tv.example.com", 1);
	query(&c, 3.4, "192.168.1.10", "192.168.1.1", 2, "use-application-dns.net", 1);
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	cr_assert_eq(a->nroutes, 1);
	char b[64];
	cr_expect_str_eq(addr_str(&a->routes[0].net, b, sizeof(b)), "192.0.2.0");
	cr_expect_eq(a->routes[0].plen, 24);
	cr_expect_eq(a->routes[0].frame, 1);
	const struct ev *tv = find(a, "tv.example.com");
	cr_expect_eq(tv->route_idx, 0);
	cr_expect_eq(tv->category, CAT_SPLIT_TUNNEL);
	const struct ev *canary = find(a, "use-application-dns.net");
	cr_expect(canary->canary);
	cr_expect_eq(canary->route_idx, -1);
	done(&c, a, r);
}

Test(verdict, dhcp_hostname_labels_the_host)
{
	struct cap c;
	cap_start(&c);
	uint8_t d[400];
	memset(d, 0, sizeof(d));
	d[0] = 1, d[1] = 1, d[2] = 6;
	memcpy(d + 28, HOST_MAC, 6);
	d[236] = 0x63, d[237] = 0x82, d[238] = 0x53, d[239] = 0x63;
	size_t i = 240;
	d[i++] = 53, d[i++] = 1, d[i++] = 3; /* DHCPREQUEST */
	d[i++] = 12, d[i++] = 11;
	memcpy(d + i, "<b>laptop</", 11); /* hostile on purpose: markup in a name */
	i += 11;
	d[i++] = 255;
	put_udp(&c, 0.1, "0.0.0.0", "255.255.255.255", 68, 67, d, i, true);
	carrier(&c, 1, 3);
	query(&c, 2.0, "192.168.1.10", "192.168.1.1", 1, "x.example.com", 1);
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	cr_assert_eq(a->nhosts, 1);
	cr_assert_eq(a->hosts[0].nnames, 1);
	cr_expect_str_eq(a->hosts[0].names[0], "<b>laptop</ (dhcp)");
	done(&c, a, r);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)len + 1);
	cr_assert_eq(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	b[len] = '\0';
	*n = (size_t)len;
	return b;
}

/* Same input, same output, byte for byte. */
Test(verdict, reports_are_byte_identical_across_runs)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char cap[1024], desc[1024];
	snprintf(cap, sizeof(cap), "%s/samples/wg-split/any.pcap", top);
	snprintf(desc, sizeof(desc), "%s/samples/wg-split/tunnel.xml", top);
	char dirs[2][64];
	for (int k = 0; k < 2; k++) {
		snprintf(dirs[k], sizeof(dirs[k]), "/tmp/ls-det-%d-%d", (int)getpid(), k);
		struct rules *r;
		char err[2048];
		cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
		struct analysis *a = an_new(NULL, r);
		cr_assert_eq(an_add_file(a, cap), 0);
		an_finish(a);
		cr_assert_eq(out_xml_reports(a, dirs[k], err, sizeof(err)), 0, "%s", err);
		an_free(a);
		rules_free(r);
	}
	const char *files[] = {"summary.xml", "hosts/02-00-00-00-01-0a.xml"};
	for (size_t i = 0; i < 2; i++) {
		char p0[256], p1[256];
		snprintf(p0, sizeof(p0), "%s/%s", dirs[0], files[i]);
		snprintf(p1, sizeof(p1), "%s/%s", dirs[1], files[i]);
		size_t n0, n1;
		char *b0 = slurp(p0, &n0), *b1 = slurp(p1, &n1);
		cr_expect_eq(n0, n1);
		cr_expect(n0 == n1 && memcmp(b0, b1, n0) == 0, "%s differs between runs", files[i]);
		cr_expect_gt(n0, 200);
		free(b0);
		free(b1);
	}
}

/* The lab's real captures: the facts below were read with
 * tshark -r samples/<s>/phys.pcap -Y dns -T fields -e frame.number -e dns.qry.name */
Test(verdict, lab_phases_and_evidence_frames)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	struct {
		const char *scenario, *qname;
		enum ev_category cat;
		enum ev_phase phase;
	} want[] = {
		{"wg-killswitch", "www.example.com", CAT_KILL_SWITCH, PHASE_DOWN},
		{"wg-bootstrap", "www.example.com", CAT_BOOTSTRAP, PHASE_BEFORE},
		{"wg-split", "shop.example.org", CAT_SPLIT_TUNNEL, PHASE_UP},
		{"wg-ipv6-leak", "mail.example.com", CAT_IPV6_OUTSIDE, PHASE_UP},
		{"local-link", "fileserver", CAT_LOCAL_LINK, PHASE_UP},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char cap[1024], desc[1024], err[2048];
		snprintf(cap, sizeof(cap), "%s/samples/%s/phys.pcap", top, want[i].scenario);
		snprintf(desc, sizeof(desc), "%s/samples/%s/tunnel.xml", top, want[i].scenario);
		struct rules *r;
		cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
		struct analysis *a = an_new(NULL, r);
		cr_assert_eq(an_add_file(a, cap), 0);
		an_finish(a);
		const struct ev *e = NULL;
		for (size_t k = 0; k < ev_count(a->ev) && !e; k++)
			if (ev_get(a->ev, k)->qname && strcmp(ev_get(a->ev, k)->qname, want[i].qname) == 0 &&
			    ev_get(a->ev, k)->verdict == VERDICT_LEAK)
				e = ev_get(a->ev, k);
		cr_assert_not_null(e, "%s: no leak for %s", want[i].scenario, want[i].qname);
		cr_expect_eq(e->category, want[i].cat, "%s: %s", want[i].scenario, ev_category_str(e->category));
		cr_expect_eq(e->phase, want[i].phase, "%s: %s", want[i].scenario, ev_phase_str(e->phase));
		cr_expect_gt(e->frame, 0);
		an_free(a);
		rules_free(r);
	}
}

/* -j: three flow workers merged give the same reports as one analysis. */
static void write_reports(const char *scenario, const char *cap, unsigned nshards, const char *dir)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char path[1024], desc[1024], err[2048];
	snprintf(path, sizeof(path), "%s/samples/%s/%s", top, scenario, cap);
	snprintf(desc, sizeof(desc), "%s/samples/%s/tunnel.xml", top, scenario);
	struct rules *r;
	cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
	struct an_options o;
	an_options_default(&o);
	o.nshards = nshards; /* > 1: a reader and nshards flow workers (autofp.c) */
	struct analysis *sh[1];
	sh[0] = an_new(&o, r);
	cr_assert_eq(an_add_file(sh[0], path), 0);
	an_finish(sh[0]);
	cr_assert_eq(out_xml_reports(sh[0], dir, err, sizeof(err)), 0, "%s", err);
	an_free(sh[0]);
	rules_free(r);
}

Test(verdict, sharded_analysis_gives_the_same_reports)
{
	const char *cases[][2] = {{"wg-split", "any.pcap"}, {"dns-tcp-multi", "any.pcap"}, {"local-link", "phys.pcap"},
				  {"doh-outside", "any.pcap"}, {"gateway-two-clients", "phys.pcap"}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char d1[128], d3[128], cmd[512];
		snprintf(d1, sizeof(d1), "/tmp/ls-shard-%d-%zu-1", (int)getpid(), c);
		snprintf(d3, sizeof(d3), "/tmp/ls-shard-%d-%zu-3", (int)getpid(), c);
		write_reports(cases[c][0], cases[c][1], 1, d1);
		write_reports(cases[c][0], cases[c][1], 3, d3);
		snprintf(cmd, sizeof(cmd), "diff -r %s %s >/dev/null", d1, d3);
		cr_expect_eq(system(cmd), 0, "%s/%s: reports differ between 1 and 3 shards", cases[c][0], cases[c][1]);
		snprintf(cmd, sizeof(cmd), "rm -rf %s %s", d1, d3);
		cr_expect_eq(system(cmd), 0);
	}
}

/* The evidence the XML reports give, the HTML pages give too (facts.c):
 * each <note> of a host's XML is in its HTML page, and the index shows
 * summary.xml's DHCP routes and the cleartext to the endpoint. */
Test(verdict, html_shows_the_evidence_the_xml_has)
{
	struct cap c;
	cap_start(&c);
	uint8_t d[400];
	size_t n = dhcp_ack(d);
	put_udp(&c, 0.5, "192.168.1.1", "192.168.1.10", 67, 68, d, n, false); /* frame 1 */
	carrier(&c, 1, 6);
	query(&c, 3.2, "192.168.1.10", "192.0.2.53", 1, "tv.example.com", 1);
	query(&c, 3.4, "192.168.1.10", "192.168.1.1", 2, "use-application-dns.net", 1);
	put_udp(&c, 3.6, "192.168.1.10", "203.0.113.5", 40123, 123, d, 48, true); /* NTP to the endpoint */
	struct rules *r;
	struct analysis *a = analyse(&c, RULES, &r);
	cr_assert_eq(a->nroutes, 1);
	cr_assert_eq(a->endpoint_cleartext_pkts, 1);
	char dir[] = "/tmp/ls-evidence-XXXXXX", err[512], path[256];
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(out_xml_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out_html_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a->nhosts, 1);
	size_t nx, nh;
	snprintf(path, sizeof(path), "%s/hosts/%s.xml", dir, a->hosts[0].id);
	char *x = slurp(path, &nx);
	snprintf(path, sizeof(path), "%s/hosts/%s.html", dir, a->hosts[0].id);
	char *ht = slurp(path, &nh);
	unsigned notes = 0;
	for (char *p = strstr(x, "<note>"); p; p = strstr(p + 1, "<note>")) {
		char *q = strstr(p, "</note>");
		cr_assert_not_null(q);
		char text[512];
		snprintf(text, sizeof(text), "%.*s", (int)(q - p - 6), p + 6);
		/* the XML escapes ' as &apos;, the HTML as &#39; or not at all: compare up to the first entity */
		text[strcspn(text, "&")] = '\0';
		cr_expect(strstr(ht, text) != NULL, "host page lacks the note: %s", text);
		notes++;
	}
	cr_expect_eq(notes, 2, "a TunnelVision note and the DoH canary's");
	cr_expect(strstr(ht, "TunnelVision (CVE-2024-3661)") != NULL);
	free(x);
	free(ht);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	char *ix = slurp(path, &nh);
	cr_expect(strstr(ix, "Related evidence") != NULL);
	cr_expect(strstr(ix, "192.0.2.0/24") != NULL, "the DHCP route");
	cr_expect(strstr(ix, "TunnelCrack ServerIP") != NULL, "the cleartext to the endpoint");
	free(ix);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
	done(&c, a, r);
}
