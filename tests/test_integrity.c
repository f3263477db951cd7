/* test_integrity.c - never "clean" over what was not seen: each cause of incomplete/undecided, its exit status and message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "rules.h"

static const uint8_t GW[6] = {2, 0, 0, 0, 0, 1};

static const char *ls(void)
{
	const char *p = getenv("LEAKSCOPE");
	cr_assert_not_null(p, "LEAKSCOPE is not set (make test sets it)");
	return p;
}

static const char *top(void)
{
	const char *t = getenv("LS_TOP");
	return t ? t : ".";
}

struct run {
	int status;
	char err[8192];
	char dir[256];
};

/* Runs leakscope with args (a shell fragment of fixed, safe words), stderr
 * kept, in a fresh temporary folder ($D in args). */
static void run(struct run *r, const char *args)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/ls-integ-XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "cd '%s' && D='%s' && '%s' %s >'%s/out' 2>'%s/err'", top(), r->dir, ls(), args, r->dir,
		 r->dir);
	int st = system(cmd);
	cr_assert(WIFEXITED(st), "%s: did not exit", cmd);
	r->status = WEXITSTATUS(st);
	char p[300];
	snprintf(p, sizeof(p), "%s/err", r->dir);
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(r->err, 1, sizeof(r->err) - 1, f) : 0;
	r->err[n] = '\0';
	if (f)
		fclose(f);
}

static bool file_has(const char *dir, const char *name, const char *needle)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	if (!f)
		return false;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static void done(struct run *r)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	cr_assert_eq(system(cmd), 0);
}

static void mac_of(uint8_t mac[6], uint32_t i)
{
	mac[0] = 0x02;
	mac[1] = 0x10;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static void put_query(struct cb_pcap *w, int64_t t, const uint8_t *mac, const char *src, uint16_t id,
		      const char *name)
{
	uint8_t q[300], frame[600];
	size_t qn = cb_dns_query(q, sizeof(q), id, name, 1);
	size_t n = cb_udp4(frame, mac, GW, src, "192.168.1.1", (uint16_t)(30000 + id % 30000), 53, q, qn);
	cr_assert_eq(cb_pcap_write(w, t, 0, frame, (uint32_t)n, (uint32_t)n), 0);
}

/* WireGuard transport data both ways, rising counters: a carrier */
static void put_carrier(struct cb_pcap *w, int64_t t, const uint8_t *mac, uint64_t ctr)
{
	uint8_t d[64] = {4, 0, 0, 0, 9}, frame[200];
	d[8] = (uint8_t)ctr;
	size_t n = cb_udp4(frame, mac, GW, "192.168.1.10", "203.0.113.5", 40000, 51820, d, sizeof(d));
	cr_assert_eq(cb_pcap_write(w, t, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	uint8_t e[64] = {4, 0, 0, 0, 7};
	e[8] = (uint8_t)ctr;
	n = cb_udp4(frame, GW, mac, "203.0.113.5", "192.168.1.10", 51820, 40000, e, sizeof(e));
	cr_assert_eq(cb_pcap_write(w, t, 500000, frame, (uint32_t)n, (uint32_t)n), 0);
}

static void write_rules(const char *path, bool every_host)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"<tunnels xmlns=\"urn:leakscope:tunnel:1\"%s>\n"
		"  <tunnel name=\"wg\" kind=\"wireguard\">\n"
		"    <endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>\n"
		"    <inside prefix=\"10.66.0.2/32\"/>\n"
		"    <resolver address=\"10.66.0.1\" port=\"53\"/>\n"
		"  </tunnel>\n"
		"  <allow><name exact=\"allowed.example\" reason=\"test\"/></allow>\n"
		"</tunnels>\n",
		every_host ? " every-host=\"true\"" : "");
	cr_assert_eq(fclose(f), 0);
}

Test(integrity, event_cap_is_incomplete_not_clean)
{
	struct run r;
	run(&r, "analyze --max-events 1 --tunnel samples/wg-killswitch/tunnel.xml samples/wg-killswitch/any.pcap -o \"$D/rep\"");
	cr_expect_eq(r.status, 4, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "INCOMPLETE") && strstr(r.err, "event limit"), "%s", r.err);
	cr_expect(file_has(r.dir, "rep/summary.xml", "status=\"incomplete\""));
	cr_expect(file_has(r.dir, "rep/summary.xml", "code=\"event-cap\""));
	cr_expect(file_has(r.dir, "rep/index.html", "INCOMPLETE"));
	done(&r);
	/* without the cap: the three kill-switch leaks */
	run(&r, "analyze --tunnel samples/wg-killswitch/tunnel.xml samples/wg-killswitch/any.pcap -o \"$D/rep\"");
	cr_expect_eq(r.status, 1, "%s", r.err);
	done(&r);
}

Test(integrity, a_leak_of_host_65537_counts)
{
	/* 65,536 hosts resolve an allowed name; host 65,537 resolves a secret
	 * (65,536 was the host table's limit; the limit itself is tested
	 * below, made small) */
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	char cap[400], rules[400];
	snprintf(cap, sizeof(cap), "%s/many.pcap", r.dir);
	snprintf(rules, sizeof(rules), "%s/t.xml", r.dir);
	write_rules(rules, true);
	struct cb_pcap *w = cb_pcap_open(cap, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t mac[6];
	mac_of(mac, 0);
	put_carrier(w, 1000, mac, 1);
	for (uint32_t i = 1; i <= 65536; i++) {
		mac_of(mac, i);
		put_query(w, 1001, mac, "192.168.1.20", (uint16_t)i, "allowed.example");
	}
	mac_of(mac, 70000);
	put_query(w, 1002, mac, "192.168.1.21", 7, "secret.example.com");
	mac_of(mac, 0);
	put_carrier(w, 1003, mac, 2);
	cr_assert_eq(cb_pcap_close(w), 0);
	char args[1200];
	snprintf(args, sizeof(args), "events --tunnel '%s' '%s'", rules, cap);
	struct run e;
	run(&e, args);
	cr_expect_eq(e.status, 1, "exit %d: %s", e.status, e.err);
	cr_expect(!strstr(e.err, "more than"), "no host cap at 65,537 hosts: %s", e.err);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "grep -q 'secret.example.com.*leak' '%s/out'", e.dir);
	cr_expect_eq(system(cmd), 0, "the leak's row is in the TSV");
	done(&e);
	done(&r);
}

Test(integrity, damage_before_the_first_packet_is_not_clean)
{
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	char cap[400], rules[400];
	snprintf(cap, sizeof(cap), "%s/cut.pcap", r.dir);
	snprintf(rules, sizeof(rules), "%s/t.xml", r.dir);
	write_rules(rules, false);
	struct cb_pcap *w = cb_pcap_open(cap, 1, 65535, 0);
	cr_assert_not_null(w);
	/* a first record that claims 60,000 bytes and holds 10 */
	static const uint8_t junk[10] = {0};
	cr_assert_eq(cb_pcap_write_raw(w, 1000, 0, 60000, 60000, junk, sizeof(junk)), 0);
	cr_assert_eq(cb_pcap_close(w), 0);
	char args[1200];
	snprintf(args, sizeof(args), "analyze --tunnel '%s' '%s' -o \"$D/rep\"", rules, cap);
	struct run a;
	run(&a, args);
	cr_expect_eq(a.status, 3, "exit %d: %s", a.status, a.err);
	cr_expect(strstr(a.err, "UNDECIDED") && strstr(a.err, "no packet was read"), "%s", a.err);
	cr_expect(file_has(a.dir, "rep/summary.xml", "status=\"undecided\""));
	done(&a);
	done(&r);
}

Test(integrity, header_only_and_no_vpn_are_undecided)
{
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	char empty[400], novpn[400];
	snprintf(empty, sizeof(empty), "%s/empty.pcap", r.dir);
	snprintf(novpn, sizeof(novpn), "%s/novpn.pcap", r.dir);
	struct cb_pcap *w = cb_pcap_open(empty, 1, 65535, 0);
	cr_assert_eq(cb_pcap_close(w), 0);
	w = cb_pcap_open(novpn, 1, 65535, 0);
	uint8_t mac[6];
	mac_of(mac, 5);
	for (uint16_t i = 1; i <= 9; i++)
		put_query(w, 1000 + i, mac, "192.168.1.30", i, "www.example.com");
	cr_assert_eq(cb_pcap_close(w), 0);
	char args[1200];
	struct run a;
	snprintf(args, sizeof(args), "analyze '%s' -o \"$D/rep\"", empty);
	run(&a, args);
	cr_expect_eq(a.status, 3, "header only: exit %d: %s", a.status, a.err);
	cr_expect(strstr(a.err, "UNDECIDED"), "%s", a.err);
	done(&a);
	snprintf(args, sizeof(args), "analyze '%s' -o \"$D/rep\"", novpn);
	run(&a, args);
	cr_expect_eq(a.status, 3, "no VPN: exit %d: %s", a.status, a.err);
	cr_expect(strstr(a.err, "no tunnel carrier was recognised"), "%s", a.err);
	cr_expect(file_has(a.dir, "rep/index.html", "UNDECIDED"));
	done(&a);
	done(&r);
}

Test(integrity, a_declared_tunnel_that_never_appears_is_undecided)
{
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	char cap[400], rules[400];
	snprintf(cap, sizeof(cap), "%s/c.pcap", r.dir);
	snprintf(rules, sizeof(rules), "%s/t.xml", r.dir);
	write_rules(rules, false);
	struct cb_pcap *w = cb_pcap_open(cap, 1, 65535, 0);
	uint8_t mac[6];
	mac_of(mac, 5);
	/* carrier to another endpoint than the described one: a typo */
	uint8_t d[64] = {4}, frame[200];
	size_t n = cb_udp4(frame, mac, GW, "192.168.1.10", "203.0.113.99", 40000, 51820, d, sizeof(d));
	cr_assert_eq(cb_pcap_write(w, 999, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	put_query(w, 1000, mac, "192.168.1.10", 1, "www.example.com");
	cr_assert_eq(cb_pcap_close(w), 0);
	char args[1200];
	snprintf(args, sizeof(args), "analyze --tunnel '%s' '%s' -o \"$D/rep\"", rules, cap);
	struct run a;
	run(&a, args);
	cr_expect_eq(a.status, 3, "exit %d: %s", a.status, a.err);
	cr_expect(strstr(a.err, "tunnel \"wg\" never appears"), "%s", a.err);
	cr_expect(file_has(a.dir, "rep/summary.xml", "code=\"tunnel-not-seen\""));
	done(&a);
	done(&r);
}

Test(integrity, hosts_without_a_tunnel_are_listed_not_judged)
{
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	char cap[400], rules[400], every[400];
	snprintf(cap, sizeof(cap), "%s/gw.pcap", r.dir);
	snprintf(rules, sizeof(rules), "%s/t.xml", r.dir);
	snprintf(every, sizeof(every), "%s/every.xml", r.dir);
	write_rules(rules, false);
	write_rules(every, true);
	struct cb_pcap *w = cb_pcap_open(cap, 1, 65535, 0);
	uint8_t vpn[6], vpn2[6], other[6];
	mac_of(vpn, 1);
	mac_of(other, 2);
	mac_of(vpn2, 3);
	for (uint64_t t = 0; t < 5; t++) {
		put_carrier(w, 1000 + (int64_t)t, vpn, t + 1);
		put_carrier(w, 1000 + (int64_t)t, vpn2, t + 1); /* a second client of the same server */
	}
	put_query(w, 1002, other, "192.168.1.50", 3, "printer.example.com");
	put_query(w, 1003, vpn, "192.168.1.10", 4, "allowed.example"); /* judged: allowed */
	cr_assert_eq(cb_pcap_close(w), 0);
	char args[1200];
	struct run a;
	snprintf(args, sizeof(args), "events --tunnel '%s' '%s'", rules, cap);
	run(&a, args);
	cr_expect_eq(a.status, 0, "the host without a VPN is not a leak: exit %d: %s", a.status, a.err);
	cr_expect(file_has(a.dir, "out", "no-tunnel"));
	done(&a);
	/* the second client of the same server leaks: judged, not no-tunnel */
	w = cb_pcap_open(cap, 1, 65535, 0);
	for (uint64_t t = 0; t < 5; t++) {
		put_carrier(w, 1000 + (int64_t)t, vpn, t + 1);
		put_carrier(w, 1000 + (int64_t)t, vpn2, t + 1);
	}
	put_query(w, 1002, vpn2, "192.168.1.11", 5, "secret.example.com");
	cr_assert_eq(cb_pcap_close(w), 0);
	run(&a, args);
	cr_expect_eq(a.status, 1, "the second VPN client's question leaks: exit %d: %s", a.status, a.err);
	cr_expect(file_has(a.dir, "out", "split-tunnel"));
	done(&a);
	snprintf(args, sizeof(args), "events --tunnel '%s' '%s'", every, cap);
	run(&a, args);
	cr_expect_eq(a.status, 1, "every-host=\"true\": exit %d: %s", a.status, a.err);
	cr_expect(file_has(a.dir, "out", "split-tunnel"));
	done(&a);
	done(&r);
}

Test(integrity, endpoints_that_are_no_vpn_server_are_warned)
{
	static const char xml[] = "<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
				  "  <tunnel name=\"x\" kind=\"openvpn\">\n"
				  "    <endpoint address=\"8.8.8.8\" port=\"1194\" transport=\"udp\"/>\n"
				  "    <endpoint address=\"224.0.0.252\" port=\"5355\" transport=\"udp\"/>\n"
				  "    <endpoint address=\"203.0.113.5\" port=\"53\" transport=\"udp\"/>\n"
				  "    <endpoint address=\"203.0.113.6\" port=\"1194\" transport=\"udp\"/>\n"
				  "  </tunnel>\n"
				  "</tunnels>\n";
	const char *t = getenv("LS_TOP");
	if (t) {
		char sd[1024];
		snprintf(sd, sizeof(sd), "%s/rules", t);
		rules_set_schema_dir(sd);
	}
	struct rules *r;
	char err[2048];
	cr_assert_eq(rules_load_mem("w.xml", xml, sizeof(xml) - 1, &r, err, sizeof(err)), 0, "%s", err);
	char w[8][RULES_WARNING_MAX];
	size_t n = rules_endpoint_warnings(r, w, 8);
	cr_assert_eq(n, 3, "the public resolver, the multicast address and port 53; not 203.0.113.6:1194");
	cr_expect(strstr(w[0], "line 3") && strstr(w[0], "public resolver"), "%s", w[0]);
	cr_expect(strstr(w[1], "line 4") && strstr(w[1], "multicast"), "%s", w[1]);
	cr_expect(strstr(w[2], "line 5") && strstr(w[2], "name-resolution port"), "%s", w[2]);
	rules_free(r);
}

/* RFC 7766 5: a TCP retry of a truncated UDP answer is the same question,
 * so it takes its category, whatever lies around it: here the UDP query
 * is a stub's upstream (asked on loopback 1.5 s before), and the retry
 * 3 s after the loopback question would alone be split-tunnel. */
Test(integrity, a_tcp_retry_after_truncation_keeps_its_category)
{
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	char cap[400], rules[400];
	snprintf(cap, sizeof(cap), "%s/tc.pcap", r.dir);
	snprintf(rules, sizeof(rules), "%s/t.xml", r.dir);
	write_rules(rules, false);
	struct cb_pcap *w = cb_pcap_open(cap, 101, 65535, 0); /* raw IP */
	cr_assert_not_null(w);
	uint8_t pkt[1500], q[300], d[64] = {4, 0, 0, 0, 9}, e[64] = {4, 0, 0, 0, 7};
	size_t n;
	for (int t = 0; t <= 10; t++) {
		d[8] = e[8] = (uint8_t)(t + 1);
		n = cb_ip_udp(pkt, sizeof(pkt), "192.168.1.10", "203.0.113.5", 40000, 51820, NULL, d, sizeof(d));
		cr_assert_eq(cb_pcap_write(w, 100 + t, 0, pkt, (uint32_t)n, (uint32_t)n), 0);
		n = cb_ip_udp(pkt, sizeof(pkt), "203.0.113.5", "192.168.1.10", 51820, 40000, NULL, e, sizeof(e));
		cr_assert_eq(cb_pcap_write(w, 100 + t, 1000, pkt, (uint32_t)n, (uint32_t)n), 0);
	}
	size_t qn = cb_dns_query(q, sizeof(q), 0x1111, "x.example.com", 1);
	n = cb_ip_udp(pkt, sizeof(pkt), "127.0.0.1", "127.0.0.53", 41000, 53, NULL, q, qn);
	cr_assert_eq(cb_pcap_write(w, 101, 0, pkt, (uint32_t)n, (uint32_t)n), 0);
	qn = cb_dns_query(q, sizeof(q), 0x2222, "x.example.com", 1);
	n = cb_ip_udp(pkt, sizeof(pkt), "192.168.1.10", "192.168.1.1", 41001, 53, NULL, q, qn);
	cr_assert_eq(cb_pcap_write(w, 102, 500000000, pkt, (uint32_t)n, (uint32_t)n), 0);
	uint8_t ans[300];
	size_t an = cb_dns_answer_a(ans, sizeof(ans), 0x2222, "x.example.com", "192.0.2.1", 60);
	ans[2] |= 0x02; /* TC */
	n = cb_ip_udp(pkt, sizeof(pkt), "192.168.1.1", "192.168.1.10", 53, 41001, NULL, ans, an);
	cr_assert_eq(cb_pcap_write(w, 102, 600000000, pkt, (uint32_t)n, (uint32_t)n), 0);
	/* the retry over TCP, 1.4 s later */
	n = cb_ip_tcp(pkt, sizeof(pkt), "192.168.1.10", "192.168.1.1", 41002, 53, 1000, 0, CB_SYN, NULL, NULL, 0);
	cr_assert_eq(cb_pcap_write(w, 104, 0, pkt, (uint32_t)n, (uint32_t)n), 0);
	n = cb_ip_tcp(pkt, sizeof(pkt), "192.168.1.1", "192.168.1.10", 53, 41002, 5000, 1001, CB_SYN | CB_ACK, NULL,
		      NULL, 0);
	cr_assert_eq(cb_pcap_write(w, 104, 100, pkt, (uint32_t)n, (uint32_t)n), 0);
	uint8_t tq[302];
	qn = cb_dns_query(tq + 2, sizeof(tq) - 2, 0x3333, "x.example.com", 1);
	tq[0] = (uint8_t)(qn >> 8);
	tq[1] = (uint8_t)qn;
	n = cb_ip_tcp(pkt, sizeof(pkt), "192.168.1.10", "192.168.1.1", 41002, 53, 1001, 5001, CB_ACK | CB_PSH, NULL, tq,
		      qn + 2);
	cr_assert_eq(cb_pcap_write(w, 104, 200, pkt, (uint32_t)n, (uint32_t)n), 0);
	cr_assert_eq(cb_pcap_close(w), 0);
	char args[1200];
	snprintf(args, sizeof(args), "events --tunnel '%s' '%s'", rules, cap);
	struct run e2;
	run(&e2, args);
	cr_expect_eq(e2.status, 1, "exit %d: %s", e2.status, e2.err);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "grep -q '^[^\t]*\tdns-udp\t.*x.example.com.*stub-upstream\thigh$' '%s/out'", e2.dir);
	cr_expect_eq(system(cmd), 0, "the UDP question is a stub's upstream");
	snprintf(cmd, sizeof(cmd), "grep -q '^[^\t]*\tdns-tcp\t.*x.example.com.*stub-upstream\thigh$' '%s/out'", e2.dir);
	cr_expect_eq(system(cmd), 0, "the TCP retry keeps the UDP question's category");
	done(&e2);
	done(&r);
}

/* Flows ended early at the flow cap: a UDP exchange has shown its
 * question (a caveat), a TCP stream still being followed has not (the
 * verdict is incomplete). */
static enum an_status flow_cap_status(bool with_tcp, struct run *r)
{
	char cap[400], rules[400];
	snprintf(cap, sizeof(cap), "%s/fc%d.pcap", r->dir, with_tcp);
	snprintf(rules, sizeof(rules), "%s/t.xml", r->dir);
	write_rules(rules, false);
	struct cb_pcap *w = cb_pcap_open(cap, 101, 65535, 0);
	cr_assert_not_null(w);
	uint8_t pkt[1500], q[300], d[64] = {4, 0, 0, 0, 9}, e[64] = {4, 0, 0, 0, 7};
	size_t n;
	for (int t = 0; t < 3; t++) {
		d[8] = e[8] = (uint8_t)(t + 1);
		n = cb_ip_udp(pkt, sizeof(pkt), "192.168.1.10", "203.0.113.5", 40000, 51820, NULL, d, sizeof(d));
		cr_assert_eq(cb_pcap_write(w, 100 + t, 0, pkt, (uint32_t)n, (uint32_t)n), 0);
		n = cb_ip_udp(pkt, sizeof(pkt), "203.0.113.5", "192.168.1.10", 51820, 40000, NULL, e, sizeof(e));
		cr_assert_eq(cb_pcap_write(w, 100 + t, 1000, pkt, (uint32_t)n, (uint32_t)n), 0);
	}
	/* open DNS-over-TCP connections, more than the table holds */
	for (uint16_t i = 0; with_tcp && i < 8; i++) {
		n = cb_ip_tcp(pkt, sizeof(pkt), "192.168.1.10", "192.168.1.1", (uint16_t)(41000 + i), 53, 1000, 0, CB_SYN,
			      NULL, NULL, 0);
		cr_assert_eq(cb_pcap_write(w, 101, i, pkt, (uint32_t)n, (uint32_t)n), 0);
	}
	for (uint16_t i = 0; i < 10; i++) {
		size_t qn = cb_dns_query(q, sizeof(q), i, "allowed.example", 1);
		n = cb_ip_udp(pkt, sizeof(pkt), "192.168.1.10", "192.168.1.1", (uint16_t)(42000 + i), 53, NULL, q, qn);
		cr_assert_eq(cb_pcap_write(w, 101, 1000 + i, pkt, (uint32_t)n, (uint32_t)n), 0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	struct rules *rr;
	char err[2048];
	const char *t = getenv("LS_TOP");
	if (t) {
		char sd[1024];
		snprintf(sd, sizeof(sd), "%s/rules", t);
		rules_set_schema_dir(sd);
	}
	cr_assert_eq(rules_load(rules, &rr, err, sizeof(err)), 0, "%s", err);
	struct an_options o;
	an_options_default(&o);
	o.max_flows = 4;
	struct analysis *a = an_new(&o, rr);
	cr_assert_geq(an_add_file(a, cap), 0);
	an_finish(a);
	cr_expect_gt(a->flows_evicted, 0, "the cap was reached");
	enum an_status st = a->integ.status;
	an_free(a);
	rules_free(rr);
	return st;
}

Test(integrity, flows_ended_at_the_cap)
{
	struct run r;
	run(&r, "--version >/dev/null 2>&1; true");
	cr_expect_eq(flow_cap_status(false, &r), AN_CLEAN, "UDP exchanges cut at the cap lose nothing");
	cr_expect_eq(flow_cap_status(true, &r), AN_INCOMPLETE, "a TCP stream cut while followed: incomplete");
	done(&r);
}
