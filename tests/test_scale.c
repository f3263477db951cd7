/* test_scale.c - the report caps (README "Report size"): a bounded folder, every host still judged and counted. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"

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

/* leakscope with args (fixed words; $D is the run's temporary folder). */
static void run(struct run *r, const char *args)
{
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

static char *slurp(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	cr_assert_not_null(f, "%s is missing", p);
	static char buf[1 << 21];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void put_query(struct cb_pcap *w, int64_t t, const uint8_t *mac, const char *src, uint16_t id,
		      const char *name)
{
	uint8_t q[300], frame[600];
	size_t qn = cb_dns_query(q, sizeof(q), id, name, 1);
	size_t n = cb_udp4(frame, mac, GW, src, "192.168.1.1", (uint16_t)(30000 + id), 53, q, qn);
	cr_assert_eq(cb_pcap_write(w, t, (uint32_t)id * 1000, frame, (uint32_t)n, (uint32_t)n), 0);
}

/* WireGuard transport data both ways from the first host: a carrier. */
static void put_carrier(struct cb_pcap *w, int64_t t, const uint8_t *mac)
{
	uint8_t d[64] = {4, 0, 0, 0, 9}, frame[200];
	size_t n = cb_udp4(frame, mac, GW, "192.168.1.10", "203.0.113.5", 40000, 51820, d, sizeof(d));
	cr_assert_eq(cb_pcap_write(w, t, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	uint8_t e[64] = {4, 0, 0, 0, 7};
	n = cb_udp4(frame, GW, mac, "203.0.113.5", "192.168.1.10", 51820, 40000, e, sizeof(e));
	cr_assert_eq(cb_pcap_write(w, t, 500000, frame, (uint32_t)n, (uint32_t)n), 0);
}

static void setup(struct run *r)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/ls-scale-XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	char p[300];
	snprintf(p, sizeof(p), "%s/t.xml", r->dir);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f, "<tunnels xmlns=\"urn:leakscope:tunnel:1\" every-host=\"true\">\n"
		   "  <tunnel name=\"wg\" kind=\"wireguard\">\n"
		   "    <endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>\n"
		   "    <inside prefix=\"10.66.0.2/32\"/>\n"
		   "    <resolver address=\"10.66.0.1\" port=\"53\"/>\n"
		   "  </tunnel>\n"
		   "  <allow><name exact=\"allowed.example\" reason=\"test\"/></allow>\n"
		   "</tunnels>\n");
	cr_assert_eq(fclose(f), 0);
}

static void done(struct run *r)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	cr_assert_eq(system(cmd), 0);
}

static void xsd_valid(const char *doc)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "xmllint --noout --nonet --schema '%s/reports/report.xsd' '%s' 2>/dev/null", top(),
		 doc);
	cr_expect_eq(system(cmd), 0, "%s does not validate against reports/report.xsd", doc);
}

/*
 * Six hosts, 02:10:00:00:00:01 to :06, host i asks i questions, all
 * allowed but one: host 2's second question is a leak.  With two pages,
 * the pages go to host 2 (the only one with a leak) and host 6 (most
 * questions); hosts 1, 3, 4, 5 (13 questions, no leak) are summed up.
 */
Test(scale, host_pages_capped_rest_summed_up)
{
	struct run r;
	setup(&r);
	char p[300];
	snprintf(p, sizeof(p), "%s/c.pcap", r.dir);
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t mac[6] = {0x02, 0x10, 0, 0, 0, 1};
	put_carrier(w, 1700000000, mac);
	uint16_t id = 1;
	for (int i = 1; i <= 6; i++) {
		mac[5] = (uint8_t)i;
		char src[32];
		snprintf(src, sizeof(src), "192.168.1.%d", 10 + i);
		for (int k = 0; k < i; k++, id++)
			put_query(w, 1700000001, mac, src, id, i == 2 && k == 1 ? "secret.example" : "allowed.example");
	}
	cr_assert_eq(cb_pcap_close(w), 0);

	run(&r, "analyze --tunnel \"$D/t.xml\" --max-host-pages 2 -o \"$D/r\" \"$D/c.pcap\"");
	cr_expect_eq(r.status, 1, "one leak: exit 1, got %d (%s)", r.status, r.err);
	char rd[300], hd[320];
	snprintf(rd, sizeof(rd), "%s/r", r.dir);
	snprintf(hd, sizeof(hd), "%s/r/hosts", r.dir);
	cr_expect_eq(files_in(hd), 4, "two hosts, two pages each");
	char *s = slurp(rd, "hosts/02-10-00-00-00-02.xml");
	cr_expect(strstr(s, "secret.example") != NULL, "the leaking host has its page");
	slurp(rd, "hosts/02-10-00-00-00-06.html");
	snprintf(p, sizeof(p), "%s/r/hosts/02-10-00-00-00-01.xml", r.dir);
	cr_expect_neq(access(p, F_OK), 0, "host 1 has no page");

	s = slurp(rd, "summary.xml");
	cr_expect_eq(count_of(s, "<host "), 2, "summary.xml lists the two hosts with a page");
	cr_expect(strstr(s, "<unlisted-hosts hosts=\"4\" events=\"13\" leaks=\"0\" allowed=\"13\">") != NULL,
		  "the four others summed up (1+3+4+5 questions)");
	cr_expect(strstr(s, "<verdict status=\"leak\" leaks=\"1\" hosts=\"6\" events=\"21\"") != NULL,
		  "the verdict counts every host and question");
	cr_expect(strstr(s, "code=\"host-pages\" blocks-clean=\"false\"") != NULL, "a caveat, not a cause");
	snprintf(p, sizeof(p), "%s/r/summary.xml", r.dir);
	xsd_valid(p);
	s = slurp(rd, "index.html");
	cr_expect(strstr(s, "4 more hosts without a page") != NULL, "the index's summed-up row");
	cr_expect(strstr(s, "hosts/02-10-00-00-00-01.html") == NULL, "no link to a page that is not there");
	s = slurp(r.dir, "out");
	cr_expect(strstr(s, "(4 more hosts without a page: 13 events, 0 leaks, 13 allowed") != NULL, "%s", s);
	cr_expect(strstr(r.err, "4 hosts have no page of their own") != NULL, "%s", r.err);
	done(&r);
}

/* Without a leak, hosts without a page keep the verdict clean: they were
 * judged (a caveat); the exit status stays 0. */
Test(scale, unlisted_hosts_do_not_block_clean)
{
	struct run r;
	setup(&r);
	char p[300];
	snprintf(p, sizeof(p), "%s/c.pcap", r.dir);
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t mac[6] = {0x02, 0x10, 0, 0, 0, 1};
	put_carrier(w, 1700000000, mac);
	for (int i = 1; i <= 3; i++) {
		mac[5] = (uint8_t)i;
		char src[32];
		snprintf(src, sizeof(src), "192.168.1.%d", 10 + i);
		put_query(w, 1700000001, mac, src, (uint16_t)i, "allowed.example");
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	run(&r, "analyze -q --tunnel \"$D/t.xml\" --max-host-pages 1 -o \"$D/r\" \"$D/c.pcap\"");
	cr_expect_eq(r.status, 0, "exit %d (%s)", r.status, r.err);
	char rd[300];
	snprintf(rd, sizeof(rd), "%s/r", r.dir);
	char *s = slurp(rd, "summary.xml");
	cr_expect(strstr(s, "<verdict status=\"clean\"") != NULL);
	cr_expect(strstr(s, "<unlisted-hosts hosts=\"2\" events=\"2\" leaks=\"0\" allowed=\"2\">") != NULL);
	done(&r);
}

/*
 * One host, 12 questions, the 4th, 9th and 11th leaks.  With
 * --max-host-events 5 its XML lists the three leaks and the first two
 * other questions (frames of questions 1, 2), in time order, says
 * listed="5" total="12", and keeps the whole counts.
 */
Test(scale, host_events_capped_leaks_first)
{
	struct run r;
	setup(&r);
	char p[300];
	snprintf(p, sizeof(p), "%s/c.pcap", r.dir);
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t mac[6] = {0x02, 0x10, 0, 0, 0, 1};
	put_carrier(w, 1700000000, mac);
	for (int q = 1; q <= 12; q++) {
		char name[64];
		if (q == 4 || q == 9 || q == 11)
			snprintf(name, sizeof(name), "leak%d.example", q);
		else
			snprintf(name, sizeof(name), "allowed.example");
		put_query(w, 1700000001, mac, "192.168.1.10", (uint16_t)q, name);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	run(&r, "analyze -q --tunnel \"$D/t.xml\" --max-host-events 5 -o \"$D/r\" \"$D/c.pcap\"");
	cr_expect_eq(r.status, 1, "exit %d (%s)", r.status, r.err);
	char rd[300];
	snprintf(rd, sizeof(rd), "%s/r", r.dir);
	char *s = slurp(rd, "hosts/02-10-00-00-00-01.xml");
	cr_expect(strstr(s, "<events listed=\"5\" total=\"12\">") != NULL, "the cut is said");
	cr_expect_eq(count_of(s, "<event "), 5, "five events listed");
	cr_expect(strstr(s, "leak4.example") && strstr(s, "leak9.example") && strstr(s, "leak11.example"),
		  "every leak listed");
	cr_expect_eq(count_of(s, "allowed.example"), 2, "then the first two others");
	cr_expect(strstr(s, "leak4.example") < strstr(s, "leak9.example"), "in time order");
	cr_expect(strstr(s, "n=\"9\"") != NULL && strstr(s, "n=\"3\"") != NULL, "counts whole: 9 allowed, 3 leaks");
	snprintf(p, sizeof(p), "%s/r/hosts/02-10-00-00-00-01.xml", r.dir);
	xsd_valid(p);
	s = slurp(rd, "summary.xml");
	cr_expect(strstr(s, "code=\"host-events-cut\" blocks-clean=\"false\"") != NULL);
	done(&r);
}

/* The caps' bounds are checked like every number. */
Test(scale, cap_options_refused_out_of_range)
{
	struct run r;
	setup(&r);
	run(&r, "analyze --max-host-pages 0 samples/wg-split/phys.pcap");
	cr_expect_eq(r.status, 2);
	run(&r, "analyze --max-host-events x samples/wg-split/phys.pcap");
	cr_expect_eq(r.status, 2);
	done(&r);
}

/*
 * The host table's limit (AN_MAX_HOSTS, 2,097,152; here made 3 through
 * an_options.max_hosts): five hosts, the fifth asks a secret.  Hosts 4
 * and 5 belong to no host, their questions are judged all the same: the
 * leak counts, the verdict is leak, and host-cap is a blocking reason.
 */
Test(scale, host_table_limit_blocks_clean_but_counts_leaks)
{
	struct run r;
	setup(&r);
	char cap[300], desc[300], err[2048];
	snprintf(cap, sizeof(cap), "%s/c.pcap", r.dir);
	snprintf(desc, sizeof(desc), "%s/t.xml", r.dir);
	struct cb_pcap *w = cb_pcap_open(cap, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t mac[6] = {0x02, 0x10, 0, 0, 0, 1};
	put_carrier(w, 1700000000, mac);
	for (int i = 1; i <= 5; i++) {
		mac[5] = (uint8_t)i;
		char src[32];
		snprintf(src, sizeof(src), "192.168.1.%d", 10 + i);
		put_query(w, 1700000001, mac, src, (uint16_t)i, i == 5 ? "secret.example" : "allowed.example");
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	struct rules *rl;
	cr_assert_eq(rules_load(desc, &rl, err, sizeof(err)), 0, "%s", err);
	struct an_options o;
	an_options_default(&o);
	o.max_hosts = 3;
	struct analysis *a = an_new(&o, rl);
	cr_assert_eq(an_add_file(a, cap), 0);
	an_finish(a);
	cr_expect_eq(a->nhosts, 3);
	cr_expect(a->hosts_capped);
	cr_expect_eq(a->integ.leaks, 1, "the leak of host 5 counts");
	cr_expect_eq(a->integ.status, AN_LEAKS);
	bool found = false;
	for (size_t i = 0; i < a->integ.nreasons; i++)
		if (!strcmp(a->integ.reasons[i].code, "host-cap")) {
			found = true;
			cr_expect(a->integ.reasons[i].blocks_clean);
			cr_expect(strstr(a->integ.reasons[i].text, "more than 3 hosts: 2 name resolutions") != NULL, "%s",
				  a->integ.reasons[i].text);
		}
	cr_expect(found, "host-cap among the reasons");
	an_free(a);
	rules_free(rl);
	done(&r);
}
