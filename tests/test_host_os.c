/* test_host_os.c - each host's operating system end to end (host-os.c): what is kept while reading, the <os> element, remedies in that system's terms.
 *
 * Where the captures come from:
 *   - ../shared/corpus/pcapplusplus/Pcap++Test/PcapExamples/sll.pcap
 *     (seladb/PcapPlusPlus): a Windows host 10.0.0.5, 6c:f0:49:b2:de:6e
 *     (DHCPINFORM frame 516 with vendor class MSFT 5.0 and Windows' request
 *     list, NetBIOS-NS, TTL 128) and an Ubuntu host 10.0.0.8,
 *     08:00:27:19:1c:78 (asks daisy.ubuntu.com, TTL 64); values read with
 *     tshark (test_os_infer.c re-reads them).
 *   - .../PcapExamples/raw_ip.pcap: raw IP, so the Windows DHCP request
 *     (from 0.0.0.0) cannot be tied to any address: the host 10.0.0.1 shows
 *     only a TTL of 128 and must be unknown.
 *   - ../shared/corpus/ndpi/default/pcap/googledns_android10.pcap (an
 *     Android 10 phone, TTL 64 and DoT only) and
 *     ../shared/corpus/zeek/Traces/pcapng-multi-interface.pcapng (a Windows
 *     side asking google.com with TTL 128): too thin, unknown.
 *   - Built here: the real DHCPINFORM payload of sll.pcap frame 516
 *     (tshark -e udp.payload), sent by a host that also has a WireGuard
 *     tunnel and leaks, so that its findings show Windows' remedies; and
 *     the same leaks from a host with no evidence: generic remedies only.
 *   - samples/: Linux network namespaces (samples/README.md): every host
 *     must come out linux or unknown, never another system.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "output.h"
#include "rules.h"

static const char *top(void)
{
	return getenv("LS_TOP") ? getenv("LS_TOP") : ".";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	return b;
}

static struct analysis *analyse_file(const char *path, const struct rules *r)
{
	struct analysis *a = an_new(NULL, r);
	cr_assert_geq(an_add_file(a, path), 0, "%s", path);
	an_finish(a);
	return a;
}

static const struct an_host *host_by_id(const struct analysis *a, const char *id)
{
	for (size_t i = 0; i < a->nhosts; i++)
		if (strcmp(a->hosts[i].id, id) == 0)
			return &a->hosts[i];
	cr_assert_fail("no host %s", id);
	return NULL;
}

/* The host's XML report, written and read back. */
static char *host_xml(struct analysis *a, const char *id, char *dir, size_t dlen)
{
	char err[2048], path[512];
	snprintf(dir, dlen, "/tmp/ls-hostos-%d-%s", (int)getpid(), id);
	cr_assert_eq(out_xml_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/hosts/%s.xml", dir, id);
	return slurp(path);
}

static void rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static bool corpus(const char *rel, char *path, size_t len)
{
	struct stat st;
	snprintf(path, len, "%s/../shared/corpus/%s", top(), rel);
	return stat(path, &st) == 0;
}

Test(host_os, corpus_windows_and_ubuntu_hosts)
{
	char path[4096], dir[256];
	if (!corpus("pcapplusplus/Pcap++Test/PcapExamples/sll.pcap", path, sizeof(path)))
		cr_skip_test("../shared/corpus is absent: %s", path);
	struct analysis *a = analyse_file(path, NULL);
	const struct an_host *w = host_by_id(a, "6c-f0-49-b2-de-6e");
	cr_expect_eq(w->os, OS_WINDOWS, "%s", w->os_evidence);
	cr_expect_str_eq(w->os_confidence, "strong");
	cr_expect(strstr(w->os_evidence, "DHCP vendor class 'MSFT 5.0': Windows (+3)"), "%s", w->os_evidence);
	cr_expect(strstr(w->os_evidence, "DHCP parameter request list 1,15,3,6,44,46,47,31,33,121,249,43,252: Windows (+2)"),
		  "%s", w->os_evidence);
	cr_expect(strstr(w->os_evidence, "NetBIOS-NS used"), "%s", w->os_evidence);
	cr_expect(strstr(w->os_evidence, "IPv4 TTL 128"), "%s", w->os_evidence);
	const struct an_host *u = host_by_id(a, "08-00-27-19-1c-78");
	cr_expect_eq(u->os, OS_LINUX, "%s", u->os_evidence);
	cr_expect(strstr(u->os_evidence, "daisy.ubuntu.com asked"), "%s", u->os_evidence);
	char *x = host_xml(a, "6c-f0-49-b2-de-6e", dir, sizeof(dir));
	cr_expect(strstr(x, "<os name=\"windows\" confidence=\"strong\" evidence=\"DHCP vendor class &apos;MSFT 5.0&apos;"),
		  "%s", x);
	free(x);
	rm_rf(dir);
	an_free(a);
}

/* Known systems whose captures show too little: unknown, with what was seen. */
Test(host_os, corpus_thin_hosts_are_unknown)
{
	static const char *const caps[] = {"pcapplusplus/Pcap++Test/PcapExamples/raw_ip.pcap",
					   "ndpi/default/pcap/googledns_android10.pcap",
					   "zeek/Traces/pcapng-multi-interface.pcapng"};
	char path[4096];
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		if (!corpus(caps[c], path, sizeof(path)))
			cr_skip_test("../shared/corpus is absent: %s", path);
		struct analysis *a = analyse_file(path, NULL);
		cr_assert_gt(a->nhosts, 0, "%s", caps[c]);
		for (size_t i = 0; i < a->nhosts; i++) {
			const struct an_host *h = &a->hosts[i];
			cr_expect_eq(h->os, OS_UNKNOWN, "%s %s: %s", caps[c], h->id, h->os_evidence);
			cr_expect_str_eq(h->os_confidence, "unknown");
			cr_expect_not_null(h->os_evidence);
		}
		if (c == 0) {
			const struct an_host *h = host_by_id(a, "10.0.0.1");
			cr_expect(strstr(h->os_evidence, "IPv4 TTL 128"), "%s", h->os_evidence);
			cr_expect_null(strstr(h->os_evidence, "DHCP"), "the DHCP request from 0.0.0.0 is no one's: %s",
				       h->os_evidence);
		}
		an_free(a);
	}
}

/* ---------------------------------------------------------------------- */
/* A host with a tunnel and leaks, built here (see the top) */

static const char *RULES =
	"<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
	"  <tunnel name=\"t\" kind=\"wireguard\">\n"
	"    <endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>\n"
	"    <inside prefix=\"10.66.0.2/32\"/>\n"
	"    <resolver address=\"10.66.0.1\" port=\"53\"/>\n"
	"  </tunnel>\n"
	"</tunnels>\n";

/* sll.pcap frame 516's UDP payload: BOOTREQUEST, chaddr 6c:f0:49:b2:de:6e,
 * 53=8 (INFORM), 61, 12 "Bichman", 60 "MSFT 5.0", 55 (13 codes), 255. */
static const char inform_hex[] =
	"010106001ecf9ccf000080000a0000050000000000000000000000006cf049b2de6e"
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000"
	"638253633501083d07016cf049b2de6e0c07426963686d616e3c084d53465420352e30370d010f03062c2e2f1f2179f92bfcff00000000000000000000000000";

static const uint8_t WIN_MAC[6] = {0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

struct cap {
	char path[256], tpath[256]; /* the physical interface's capture, the tunnel interface's (raw IP) */
	struct cb_pcap *w, *tw;
	uint8_t ip[CB_MAXPKT], buf[CB_MAXPKT];
};

static void put(struct cap *c, double t, uint8_t ttl, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		const void *pl, size_t len, bool outbound)
{
	struct cb_ip_opt o = {.ttl = ttl};
	size_t n = cb_ip_udp(c->ip, sizeof(c->ip), src, dst, sp, dp, &o, pl, len);
	cr_assert_gt(n, 0);
	struct cb_link l;
	cb_link_init(&l);
	memcpy(l.src_mac, outbound ? WIN_MAC : GW_MAC, 6);
	memcpy(l.dst_mac, outbound ? GW_MAC : WIN_MAC, 6);
	bool inside = strncmp(src, "10.66.", 6) == 0;
	size_t m = cb_link_wrap(c->buf, sizeof(c->buf), inside ? 101 : 1, &l, c->ip, n);
	cr_assert_gt(m, 0);
	int64_t s = (int64_t)t;
	cr_assert_eq(cb_pcap_write(inside ? c->tw : c->w, 1700000000 + s, (uint32_t)((t - (double)s) * 1e9), c->buf, (uint32_t)m,
				   (uint32_t)m),
		     0);
}

static void query(struct cap *c, double t, uint8_t ttl, const char *src, const char *dst, uint16_t id,
		  const char *name)
{
	uint8_t q[512];
	size_t n = cb_dns_query(q, sizeof(q), id, name, 1);
	cr_assert_gt(n, 0);
	put(c, t, ttl, src, dst, (uint16_t)(40000 + id), 53, q, n, true);
}

/* The host: WireGuard keepalives 1..8 s, a name asked outside (split
 * tunnel), one asked inside and outside at once (parallel multi-homed).
 * windows: its DHCPINFORM first, its packets at TTL 128; else TTL 64 and
 * no DHCP. */
static void build(struct cap *c, bool windows)
{
	cr_assert_eq(cb_tmpname(c->path, sizeof(c->path), ".pcap"), 0);
	cr_assert_eq(cb_tmpname(c->tpath, sizeof(c->tpath), ".pcap"), 0);
	c->w = cb_pcap_open(c->path, 1, 65535, 0);
	c->tw = cb_pcap_open(c->tpath, 101, 65535, 0);
	cr_assert_not_null(c->w);
	cr_assert_not_null(c->tw);
	uint8_t ttl = windows ? 128 : 64;
	if (windows) {
		uint8_t d[400];
		size_t n = strlen(inform_hex) / 2;
		cr_assert_leq(n, sizeof(d));
		for (size_t i = 0; i < n; i++) {
			unsigned v;
			cr_assert_eq(sscanf(inform_hex + 2 * i, "%2x", &v), 1);
			d[i] = (uint8_t)v;
		}
		put(c, 0.5, 128, "10.0.0.5", "255.255.255.255", 68, 67, d, n, true);
	}
	uint8_t ka[32] = {4};
	for (int t = 1; t <= 8; t++)
		put(c, t, ttl, "10.0.0.5", "203.0.113.5", 40001, 51820, ka, sizeof(ka), true);
	query(c, 3.2, ttl, "10.0.0.5", "192.168.1.1", 1, "split.example.com");
	query(c, 5.0, ttl, "10.66.0.2", "10.66.0.1", 2, "both.example.com"); /* inside: the tunnel interface's capture */
	query(c, 5.1, ttl, "10.0.0.5", "192.168.1.1", 3, "both.example.com");
	cr_assert_eq(cb_pcap_close(c->w), 0);
	cr_assert_eq(cb_pcap_close(c->tw), 0);
}

/* Both captures, one investigation. */
static struct analysis *analyse_cap(const struct cap *c, const struct rules *r)
{
	struct analysis *a = an_new(NULL, r);
	cr_assert_eq(an_add_file(a, c->path), 0);
	cr_assert_eq(an_add_file(a, c->tpath), 0);
	an_finish(a);
	return a;
}

Test(host_os, windows_host_gets_windows_remedies)
{
	struct cap c;
	build(&c, true);
	char err[2048], dir[256], path[600];
	struct rules *r;
	cr_assert_eq(rules_load_mem("t.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	struct analysis *a = analyse_cap(&c, r);
	const struct an_host *h = host_by_id(a, "6c-f0-49-b2-de-6e");
	cr_expect_eq(h->os, OS_WINDOWS, "%s", h->os_evidence);
	cr_expect_eq(h->by_cat[CAT_SPLIT_TUNNEL], 1);
	cr_expect_eq(h->by_cat[CAT_PARALLEL], 1);
	char *x = host_xml(a, "6c-f0-49-b2-de-6e", dir, sizeof(dir));
	cr_expect(strstr(x, "<os name=\"windows\" confidence=\"strong\""), "%s", x);
	/* each finding: the generic remedy, then Windows' own */
	cr_expect(strstr(x, "<os-remedy os=\"windows\">Windows: make the tunnel the only resolver: an NRPT rule"), "%s", x);
	cr_expect(strstr(x, "<os-remedy os=\"windows\">Windows: set the Group Policy &quot;Turn off smart multi-homed name "
			    "resolution&quot;"),
		  "%s", x);
	cr_expect(strstr(x, "<remedy>Set the tunnel&apos;s resolver as the only system resolver") ||
			  strstr(x, "<remedy>Set the tunnel's resolver as the only system resolver"),
		  "the generic remedy stays: %s", x);
	free(x);
	snprintf(path, sizeof(path), "%s/hosts/6c-f0-49-b2-de-6e.xml", dir);
	snprintf(err, sizeof(err), "xmllint --noout --schema '%s/reports/report.xsd' '%s' 2>/dev/null", top(), path);
	cr_expect_eq(system(err), 0, "the report does not validate: %s", path);
	rm_rf(dir);
	/* the HTML page: its OS in the identity facts, the remedies in its terms */
	cr_assert_eq(out_html_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/hosts/6c-f0-49-b2-de-6e.html", dir);
	char *html = slurp(path);
	cr_expect(strstr(html, "<dt>Operating system</dt>\n<dd>Windows (strong evidence from its own traffic)</dd>"), "%s",
		  html);
	cr_expect(strstr(html, "MSFT 5.0"), "the evidence is shown");
	cr_expect(strstr(html, "<b>Remedy on Windows (strong)</b><span>Windows: make the tunnel the only resolver: an "
			       "NRPT rule"),
		  "%s", html);
	cr_expect(strstr(html, "<b>Remedy on Windows (strong)</b><span>Windows: set the Group Policy &quot;Turn off smart "
			       "multi-homed name resolution&quot;"));
	cr_expect(strstr(html, "<b>On any system</b><span>Disable smart multi-homed name resolution"), "the generic one stays");
	free(html);
	rm_rf(dir);
	an_free(a);
	rules_free(r);
	unlink(c.path);
	unlink(c.tpath);
}

/* The same leaks from a host that shows nothing of its system: unknown,
 * and only the generic remedies. */
Test(host_os, thin_host_gets_generic_remedies)
{
	struct cap c;
	build(&c, false);
	char err[2048], dir[256], path[600];
	struct rules *r;
	cr_assert_eq(rules_load_mem("t.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	struct analysis *a = analyse_cap(&c, r);
	const struct an_host *h = host_by_id(a, "6c-f0-49-b2-de-6e");
	cr_expect_eq(h->os, OS_UNKNOWN, "%s", h->os_evidence);
	cr_expect_eq(h->by_cat[CAT_SPLIT_TUNNEL], 1);
	cr_expect(strstr(h->os_evidence, "IPv4 TTL 64"), "%s", h->os_evidence);
	char *x = host_xml(a, "6c-f0-49-b2-de-6e", dir, sizeof(dir));
	cr_expect(strstr(x, "<os name=\"unknown\" confidence=\"unknown\" evidence=\"IPv4 TTL 64"), "%s", x);
	cr_expect_null(strstr(x, "<os-remedy"), "no system's remedy for an unknown system: %s", x);
	cr_expect(strstr(x, "<remedy>"), "%s", x);
	free(x);
	rm_rf(dir);
	cr_assert_eq(out_html_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/hosts/6c-f0-49-b2-de-6e.html", dir);
	char *html = slurp(path);
	cr_expect(strstr(html, "<dt>Operating system</dt>\n<dd>unknown"), "%s", html);
	cr_expect_null(strstr(html, "Remedy on "));
	cr_expect_null(strstr(html, "NRPT"));
	free(html);
	rm_rf(dir);
	an_free(a);
	rules_free(r);
	unlink(c.path);
	unlink(c.tpath);
}

/* The lab samples are Linux: linux or unknown, never another system. */
Test(host_os, lab_samples_are_linux_or_unknown)
{
	char sdir[4096];
	snprintf(sdir, sizeof(sdir), "%s/samples", top());
	DIR *d = opendir(sdir);
	cr_assert_not_null(d, "%s", sdir);
	struct dirent *de;
	size_t hosts = 0, linux_hosts = 0;
	while ((de = readdir(d))) {
		char desc[8192], cap[8192], err[2048];
		struct stat st;
		snprintf(desc, sizeof(desc), "%s/%s/tunnel.xml", sdir, de->d_name);
		if (de->d_name[0] == '.' || stat(desc, &st) != 0)
			continue;
		struct rules *r;
		cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
		static const char *const caps[] = {"any.pcap", "phys.pcap"};
		for (size_t k = 0; k < 2; k++) {
			snprintf(cap, sizeof(cap), "%s/%s/%s", sdir, de->d_name, caps[k]);
			if (stat(cap, &st) != 0)
				continue;
			struct analysis *a = analyse_file(cap, r);
			for (size_t i = 0; i < a->nhosts; i++) {
				const struct an_host *h = &a->hosts[i];
				hosts++;
				linux_hosts += h->os == OS_LINUX;
				cr_expect(h->os == OS_LINUX || h->os == OS_UNKNOWN, "%s %s: %s (%s)", cap, h->id,
					  os_name(h->os), h->os_evidence);
			}
			an_free(a);
		}
		rules_free(r);
	}
	closedir(d);
	cr_expect_gt(hosts, 20, "the samples were read");
	cr_log_info("lab samples: %zu hosts, %zu of them linux, the rest unknown", hosts, linux_hosts);
}

/* -j: per-packet evidence (TTLs, DHCP) is shard 0's, the events' the
 * merged analysis's: three shards give each host the same system and
 * evidence as one analysis. */
Test(host_os, shards_agree)
{
	char path[4096];
	if (!corpus("pcapplusplus/Pcap++Test/PcapExamples/sll.pcap", path, sizeof(path)))
		cr_skip_test("../shared/corpus is absent: %s", path);
	struct analysis *one = analyse_file(path, NULL);
	struct analysis *sh[3];
	for (unsigned k = 0; k < 3; k++) {
		struct an_options o;
		an_options_default(&o);
		o.shard = k;
		o.nshards = 3;
		sh[k] = an_new(&o, NULL);
		cr_assert_geq(an_add_file(sh[k], path), 0);
	}
	for (unsigned k = 1; k < 3; k++) {
		an_merge_shard(sh[0], sh[k]);
		an_free(sh[k]);
	}
	an_finish(sh[0]);
	cr_assert_eq(sh[0]->nhosts, one->nhosts);
	for (size_t i = 0; i < one->nhosts; i++) {
		const struct an_host *h = host_by_id(sh[0], one->hosts[i].id);
		cr_expect_eq(h->os, one->hosts[i].os, "%s", h->id);
		cr_expect_str_eq(h->os_evidence, one->hosts[i].os_evidence, "%s", h->id);
	}
	cr_expect_eq(host_by_id(sh[0], "6c-f0-49-b2-de-6e")->os, OS_WINDOWS);
	an_free(sh[0]);
	an_free(one);
}
