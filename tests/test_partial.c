/* test_partial.c - analyze --partial then merge gives the reports of one run over the same captures. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "capture.h"
#include "output.h"
#include "rules.h"

/* Splits a pcap into pieces of n records (as editcap -c does). Returns the count. */
static int split(const char *in, int n, char paths[][256], int max)
{
	struct cap_file *cf;
	char err[512];
	cr_assert_eq(cap_open(in, &cf, err, sizeof(err)), 0, "%s", err);
	struct cap_packet cp;
	int pieces = 0, inpiece = n;
	struct cb_pcap *w = NULL;
	while (cap_next(cf, &cp) == 1) {
		if (inpiece == n) {
			if (w)
				cr_assert_eq(cb_pcap_close(w), 0);
			cr_assert_lt(pieces, max);
			snprintf(paths[pieces], 256, "/tmp/ls-part-%d-%d.pcap", (int)getpid(), pieces);
			w = cb_pcap_open(paths[pieces], cp.linktype, 262144, CB_NANO);
			cr_assert_not_null(w);
			pieces++;
			inpiece = 0;
		}
		cr_assert_eq(cb_pcap_write(w, cp.ts_sec, cp.ts_nsec, cp.data, cp.caplen, cp.wirelen), 0);
		inpiece++;
	}
	if (w)
		cr_assert_eq(cb_pcap_close(w), 0);
	cap_close(cf);
	return pieces;
}

/* Reports of one analysis over files; merging: they are partials (as
 * leakscope merge reads them: their claims honoured). */
static void report(const char *desc, char files[][256], int nfiles, const char *dir, bool merging)
{
	char err[2048];
	struct rules *r;
	cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
	struct an_options o;
	an_options_default(&o);
	o.partials = merging;
	struct analysis *a = an_new(&o, r);
	for (int i = 0; i < nfiles; i++)
		cr_assert_geq(an_add_file(a, files[i]), 0, "%s", files[i]);
	an_finish(a);
	int orc = out_xml_reports(a, dir, err, sizeof(err));
	cr_assert_eq(orc, 0, "dir=%s err=%s nhosts=%zu", dir, err, a->nhosts);
	an_free(a);
	rules_free(r);
}

static void one_case(const char *scenario, int per_piece)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char in[1024], desc[1024], err[2048];
	snprintf(in, sizeof(in), "%s/samples/%s/any.pcap", top, scenario);
	snprintf(desc, sizeof(desc), "%s/samples/%s/tunnel.xml", top, scenario);
	char pieces[64][256], parts[64][256];
	int n = split(in, per_piece, pieces, 64);
	cr_assert_gt(n, 1);
	/* one partial per piece, each from an analysis of its own */
	for (int i = 0; i < n; i++) {
		snprintf(parts[i], sizeof(parts[i]), "%s.lsp", pieces[i]);
		struct rules *r;
		cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
		struct an_options o;
		an_options_default(&o);
		o.partial_path = parts[i];
		struct analysis *a = an_new(&o, r);
		cr_assert_eq(an_add_file(a, pieces[i]), 0);
		cr_assert_not(a->partial_failed);
		an_free(a);
		rules_free(r);
	}
	char d1[128], d2[128], cmd[400];
	snprintf(d1, sizeof(d1), "/tmp/ls-part-%d-one", (int)getpid());
	snprintf(d2, sizeof(d2), "/tmp/ls-part-%d-merged", (int)getpid());
	report(desc, pieces, n, d1, false);
	report(desc, parts, n, d2, true);
	snprintf(cmd, sizeof(cmd), "diff -r %s %s", d1, d2);
	cr_expect_eq(system(cmd), 0, "%s: merged partials differ from one run", scenario);
	/* the reports name the pieces, not the partials */
	snprintf(cmd, sizeof(cmd), "grep -q 'ls-part-%d-0.pcap\"' %s/summary.xml", (int)getpid(), d2);
	cr_expect_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", d1, d2);
	cr_expect_eq(system(cmd), 0);
	for (int i = 0; i < n; i++) {
		unlink(pieces[i]);
		unlink(parts[i]);
	}
}

Test(partial, merge_equals_one_run_killswitch)
{
	one_case("wg-killswitch", 12);
}

Test(partial, merge_equals_one_run_dns_tcp)
{
	one_case("dns-tcp-multi", 10);
}

Test(partial, merge_equals_one_run_doh)
{
	one_case("doh-outside", 15);
}

Test(partial, carrier_records_are_reduced_and_read_back)
{
	/* a WireGuard-shaped carrier of 1400-byte records: the partial keeps
	 * the headers and PARTIAL_CARRIER_KEEP payload bytes of each */
	char cap[256], part[300];
	cr_assert_eq(cb_tmpname(cap, sizeof(cap), ".pcap"), 0);
	snprintf(part, sizeof(part), "%s.lsp", cap);
	struct cb_pcap *w = cb_pcap_open(cap, 1, 65535, 0);
	uint8_t pl[1400] = {4}, fr[CB_MAXPKT];
	const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2};
	for (int i = 0; i < 20; i++) {
		size_t n = cb_udp4(fr, m1, m2, "192.168.1.10", "203.0.113.5", 40001, 51820, pl, sizeof(pl));
		cr_assert_eq(cb_pcap_write(w, 1700000000 + i, 0, fr, (uint32_t)n, (uint32_t)n), 0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	static const char *rx = "<tunnels xmlns=\"urn:leakscope:tunnel:1\"><tunnel name=\"t\" kind=\"wireguard\">"
				"<endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/></tunnel></tunnels>";
	struct rules *r;
	char err[2048];
	cr_assert_eq(rules_load_mem("t.xml", rx, strlen(rx), &r, err, sizeof(err)), 0, "%s", err);
	struct an_options o;
	an_options_default(&o);
	o.partial_path = part;
	struct analysis *a = an_new(&o, r);
	cr_assert_eq(an_add_file(a, cap), 0);
	an_free(a);
	struct cap_file *cf;
	cr_assert_eq(cap_open(part, &cf, err, sizeof(err)), 0, "%s", err);
	/* untrusted (outside merge), the partial is the pcapng it is */
	cr_expect(cap_claims_partial(cf));
	cr_expect_null(cap_origin_path(cf));
	cr_expect_str_eq(cap_format(cf), "pcapng");
	cap_trust_partial(cf);
	cr_expect_str_eq(cap_origin_path(cf), cap);
	cr_expect_str_eq(cap_format(cf), "pcap");
	struct cap_packet cp;
	int k = 0;
	while (cap_next(cf, &cp) == 1) {
		k++;
		cr_expect_eq(cp.caplen, 14 + 20 + 8 + PARTIAL_CARRIER_KEEP);
		cr_expect_eq(cp.wirelen, 14 + 20 + 8 + 1400);
		cr_expect(cp.reduced);
		cr_expect_eq(cp.orig_caplen, cp.wirelen);
		cr_expect_eq(cp.ts_sec, 1700000000 + k - 1);
	}
	cr_expect_eq(k, 20);
	/* read back, the reduction is not a snaplen cut */
	cr_expect_eq(cap_snapped(cf), 0);
	cap_close(cf);
	rules_free(r);
	unlink(cap);
	unlink(part);
}

Test(partial, timestamp_out_of_range_fails_instead_of_wrapping)
{
	/* 2^40 s (year 36812) does not fit in 64-bit nanoseconds: the partial
	 * must fail rather than write a wrapped time that merge would trust */
	char cap[256], part[300];
	cr_assert_eq(cb_tmpname(cap, sizeof(cap), ".pcapng"), 0);
	snprintf(part, sizeof(part), "%s.lsp", cap);
	struct cb_png *w = cb_png_open(cap, 0);
	cr_assert_not_null(w);
	cr_assert_eq(cb_png_idb(w, 1, 65535, NULL), 0);
	uint8_t fr[CB_MAXPKT], q[64];
	const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2};
	size_t ql = cb_dns_query(q, sizeof(q), 1, "x.example", 1);
	size_t n = cb_udp4(fr, m1, m2, "10.0.0.2", "192.0.2.53", 40000, 53, q, ql);
	cr_assert_eq(cb_png_epb(w, 0, (int64_t)1 << 40, 0, fr, (uint32_t)n, (uint32_t)n), 0);
	cr_assert_eq(cb_png_close(w), 0);
	struct an_options o;
	an_options_default(&o);
	o.partial_path = part;
	struct analysis *a = an_new(&o, NULL);
	cr_assert_geq(an_add_file(a, cap), 0);
	cr_expect(a->partial_failed);
	an_free(a);
	unlink(cap);
	unlink(part);
}
