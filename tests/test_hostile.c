/* test_hostile.c - damaged captures, resource limits and hostile names, each through the whole analysis. */
/*
 * Every capture here is written with capbuild into $TMPDIR and removed
 * afterwards.  Damage goes through an_new / an_add_file / an_finish like a
 * real run: the point is what the investigator gets (the error text with
 * the byte offset, the events read before the damage), not what the
 * reader alone returns (test_capture.c covers that).  Byte offsets are
 * worked out here from the record sizes (pcap: 24-byte file header, 16 per
 * record header; pcapng: blocks padded to 4) and taken from the writer's
 * position just before the damaged record, and the two are compared.
 *
 * The resource tests write their million-packet captures into $TMPDIR
 * (48 MB of RAW IPv4/UDP records for the flows, ~75 MB of DNS queries for
 * the names) and delete them at the end; each takes about 10 s under
 * AddressSanitizer (gcc 12, -O1), mostly writing and reading the file.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "flow.h"
#include "output.h"
#include "rules.h"

#define T0 1700000000 /* 2023-11-14T22:13:20Z */

static const uint8_t HOST_MAC[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

/* A WireGuard tunnel whose carrier goes to 203.0.113.5:51820, as in
 * test_verdict.c: keepalives every second make its timeline exact. */
static const char *RULES =
	"<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
	"  <tunnel name=\"t\" kind=\"wireguard\">\n"
	"    <endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>\n"
	"    <inside prefix=\"10.66.0.2/32\"/>\n"
	"    <resolver address=\"10.66.0.1\" port=\"53\"/>\n"
	"  </tunnel>\n"
	"</tunnels>\n";

static uint8_t frame[CB_MAXPKT];

/* An Ethernet frame: the host's DNS query for name to 192.168.1.1. */
static size_t query_frame(uint16_t id, const char *name)
{
	uint8_t q[1024];
	size_t n = cb_dns_query(q, sizeof(q), id, name, 1);
	cr_assert_gt(n, 0, "query for %s", name);
	n = cb_udp4(frame, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", (uint16_t)(40000 + id), 53, q, n);
	cr_assert_gt(n, 0);
	return n;
}

static void pcap_query(struct cb_pcap *w, double t, uint16_t id, const char *name)
{
	size_t n = query_frame(id, name);
	int64_t s = (int64_t)t;
	cr_assert_eq(cb_pcap_write(w, T0 + s, (uint32_t)((t - (double)s) * 1e9), frame, (uint32_t)n, (uint32_t)n), 0);
}

static void png_query(struct cb_png *w, uint32_t iface, int t, uint16_t id, const char *name)
{
	size_t n = query_frame(id, name);
	cr_assert_eq(cb_png_epb(w, iface, T0 + t, 0, frame, (uint32_t)n, (uint32_t)n), 0);
}

/* The whole analysis of one file; *rc gets an_add_file's return value. */
static struct analysis *analyse(const char *path, const struct rules *r, const struct an_options *o, int *rc)
{
	struct analysis *a = an_new(o, r);
	cr_assert_not_null(a);
	*rc = an_add_file(a, path);
	an_finish(a);
	cr_assert_eq(a->nfiles, 1);
	return a;
}

static bool has_event(struct analysis *a, const char *qname)
{
	for (size_t i = 0; i < ev_count(a->ev); i++) {
		const struct ev *e = ev_get(a->ev, i);
		if (e->qname && strcmp(e->qname, qname) == 0)
			return true;
	}
	return false;
}

static void expect_error(struct analysis *a, const char *path, const char *what)
{
	const char *err = a->files[0].error;
	cr_assert_not_null(err, "no error for %s", what);
	cr_expect(strstr(err, path) != NULL, "the message names the file: %s", err);
	cr_expect(strstr(err, what) != NULL, "expected \"%s\" in: %s", what, err);
}

static char *tmp(const char *suffix)
{
	static char path[8][256];
	static int k;
	char *p = path[k++ % 8];
	cr_assert_eq(cb_tmpname(p, 256, suffix), 0);
	return p;
}

/* ---------------------------------------------------------------------- */
/* Damaged captures */

Test(hostile, bad_magic)
{
	char *p = tmp(".pcap");
	static const char text[] = "this is not a capture, only text\n";
	cr_assert_eq(cb_write_file(p, text, sizeof(text) - 1), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, -1);
	/* "this" = 74 68 69 73 */
	expect_error(a, p, "not a pcap or pcapng file (magic 74 68 69 73)");
	cr_expect_null(a->files[0].format);
	cr_expect_eq(ev_count(a->ev), 0);
	an_free(a);
	unlink(p);
}

Test(hostile, truncated_global_header)
{
	/* the first 14 of a pcap file header's 24 bytes */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	pcap_query(w, 1, 1, "a.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	cr_assert_eq(cb_truncate(p, 14), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, -1);
	expect_error(a, p, "truncated pcap file header (14 of 24 bytes)");
	an_free(a);

	/* a pcapng section header cut after 10 of its first 12 bytes */
	struct cb_png *g = cb_png_open(p, 0);
	cr_assert_not_null(g);
	cr_assert_eq(cb_png_close(g), 0);
	cr_assert_eq(cb_truncate(p, 10), 0);
	a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, -1);
	expect_error(a, p, "byte 0");
	expect_error(a, p, "10 of 12 bytes");
	an_free(a);
	unlink(p);
}

Test(hostile, truncated_last_packet)
{
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	pcap_query(w, 1, 1, "a.example");  /* Ethernet 14 + IP 20 + UDP 8 + DNS 27 = 69 bytes */
	pcap_query(w, 2, 2, "b.example");
	long third = cb_pcap_tell(w);
	pcap_query(w, 3, 3, "c.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	/* 24 + 2 * (16 + 69) */
	cr_assert_eq(third, 194);
	cr_assert_eq(cb_file_size(p), 194 + 16 + 69);
	cr_assert_eq(cb_truncate(p, 194 + 16 + 59), 0); /* the last record 10 bytes short */
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 1);
	expect_error(a, p, "truncated record at byte 194 (packet 3)");
	cr_expect(a->files[0].truncated);
	cr_expect_eq(a->files[0].packets, 2);
	cr_expect(has_event(a, "a.example"));
	cr_expect(has_event(a, "b.example"));
	cr_expect_not(has_event(a, "c.example"));
	an_free(a);
	unlink(p);
}

Test(hostile, caplen_over_snaplen)
{
	/* A broken writer: snaplen 96 in the file header, a 200-byte record.
	 * libpcap keeps 96 bytes of it (capture.h); the next record must still
	 * be found at the right offset. */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 96, 0);
	cr_assert_not_null(w);
	pcap_query(w, 1, 1, "a.example");
	char longname[160];
	memset(longname, 'x', 150);
	memcpy(longname + 50, ".", 1);
	memcpy(longname + 100, ".", 1);
	strcpy(longname + 150, ".example");
	size_t n = query_frame(2, longname);
	cr_assert_gt(n, 200);
	cr_assert_eq(cb_pcap_write(w, T0 + 2, 0, frame, 200, (uint32_t)n), 0);
	pcap_query(w, 3, 3, "c.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_null(a->files[0].error, "%s", a->files[0].error);
	cr_expect_eq(a->files[0].packets, 3);
	cr_expect_eq(a->files[0].snapped, 1);
	cr_expect(has_event(a, "a.example"));
	cr_expect(has_event(a, "c.example"));
	an_free(a);
	unlink(p);
}

Test(hostile, caplen_over_256k)
{
	/* A record header claiming 300000 bytes: over libpcap's 262144-byte
	 * limit, so damage; what came before is analysed. */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	pcap_query(w, 1, 1, "a.example");
	pcap_query(w, 2, 2, "b.example");
	long bad = cb_pcap_tell(w);
	static const uint8_t junk[100];
	cr_assert_eq(cb_pcap_write_raw(w, T0 + 3, 0, 300000, 300000, junk, sizeof(junk)), 0);
	pcap_query(w, 4, 4, "d.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	cr_assert_eq(bad, 194);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 1);
	expect_error(a, p, "record at byte 194 (packet 3)");
	expect_error(a, p, "300000");
	cr_expect_eq(a->files[0].packets, 2);
	cr_expect(has_event(a, "a.example"));
	cr_expect(has_event(a, "b.example"));
	an_free(a);
	unlink(p);
}

Test(hostile, zero_length_packets)
{
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	pcap_query(w, 1, 1, "a.example");
	cr_assert_eq(cb_pcap_write(w, T0 + 2, 0, frame, 0, 0), 0);  /* nothing at all */
	cr_assert_eq(cb_pcap_write(w, T0 + 3, 0, frame, 0, 60), 0); /* 60 bytes on the wire, none kept */
	pcap_query(w, 4, 4, "d.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_null(a->files[0].error, "%s", a->files[0].error);
	cr_expect_eq(a->files[0].packets, 4);
	cr_expect_eq(a->files[0].snapped, 1);
	cr_expect(has_event(a, "a.example"));
	cr_expect(has_event(a, "d.example"));
	an_free(a);

	/* the same in pcapng: an EPB and an SPB with no packet bytes */
	struct cb_png *g = cb_png_open(p, 0);
	cr_assert_not_null(g);
	cr_assert_eq(cb_png_idb(g, 1, 0, NULL), 0);
	png_query(g, 0, 1, 1, "a.example");
	cr_assert_eq(cb_png_epb(g, 0, T0 + 2, 0, frame, 0, 0), 0);
	cr_assert_eq(cb_png_spb(g, frame, 0, 0), 0);
	png_query(g, 0, 4, 4, "d.example");
	cr_assert_eq(cb_png_close(g), 0);
	a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_null(a->files[0].error, "%s", a->files[0].error);
	cr_expect_eq(a->files[0].packets, 4);
	cr_expect(has_event(a, "a.example"));
	cr_expect(has_event(a, "d.example"));
	an_free(a);
	unlink(p);
}

static void keepalive(struct cb_pcap *w, double t)
{
	uint8_t ka[32] = {4}; /* WireGuard transport message, no data */
	size_t n = cb_udp4(frame, HOST_MAC, GW_MAC, "192.168.1.10", "203.0.113.5", 40001, 51820, ka, sizeof(ka));
	cr_assert_gt(n, 0);
	int64_t s = (int64_t)t;
	cr_assert_eq(cb_pcap_write(w, T0 + s, (uint32_t)((t - (double)s) * 1e9), frame, (uint32_t)n, (uint32_t)n), 0);
}

Test(hostile, timestamps_backwards)
{
	/* Time goes backwards twice, as when captures are joined in the wrong
	 * order: keepalives 6..10, then 3..5; queries at 20, then 4.5, then
	 * 1.  Sorted: one tunnel segment 3..10 with a 1 s keepalive rhythm
	 * (2.5 s gap threshold), a query before it, one inside it (4.5: the
	 * keepalives that cover it come after it in the file), one after it
	 * (down).  Before the fix in tunnel_activity(), 3..5 were counted in
	 * the segment 6..10 without widening it, and 4.5 was "before". */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	for (int t = 6; t <= 10; t++)
		keepalive(w, t);
	pcap_query(w, 20.0, 1, "late.example");
	for (int t = 3; t <= 5; t++)
		keepalive(w, t);
	pcap_query(w, 4.5, 2, "mid.example");
	pcap_query(w, 1.0, 3, "early.example");
	cr_assert_eq(cb_pcap_close(w), 0);

	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_eq(a->files[0].first_sec, T0 + 1);
	cr_expect_eq(a->files[0].last_sec, T0 + 20);
	/* events in time order, whatever the file order */
	cr_assert_eq(ev_count(a->ev), 3);
	static const char *const want[] = {"early.example", "mid.example", "late.example"};
	static const enum ev_phase phase[] = {PHASE_BEFORE, PHASE_UP, PHASE_DOWN};
	for (size_t i = 0; i < 3; i++) {
		const struct ev *e = ev_get(a->ev, i);
		cr_expect_str_eq(e->qname, want[i]);
		cr_expect_str_eq(ev_phase_str(e->phase), ev_phase_str(phase[i]), "%s: %s", e->qname,
				 ev_phase_str(e->phase));
	}
	/* the timeline: one segment, from the first keepalive to the last */
	cr_assert_eq(a->tun[0].nsegs, 1);
	cr_expect_eq(a->tun[0].segs[0].start_sec, T0 + 3);
	cr_expect_eq(a->tun[0].segs[0].end_sec, T0 + 10);
	cr_expect_eq(a->tun[0].segs[0].pkts, 8);
	cr_expect_eq(a->tun[0].keepalive_us, 1000000);
	an_free(a);
	rules_free(r);
	unlink(p);
}

Test(hostile, keepalive_rhythm_from_shuffled_and_doubled_times)
{
	/* Keepalives every 2 s from t=2 to t=40, written in a shuffled order
	 * and each one twice, 50 us apart (tcpdump -i any on a bridge sees a
	 * packet on two interfaces).  The rhythm must still be 2 s, so the
	 * gap threshold is 5 s.  Before the rhythm was measured on sorted
	 * times, intervals were taken in file order (negative ones skipped,
	 * the copies' 50 us kept): the median was 50 us and the threshold fell
	 * to the 1 s floor, which cuts a tunnel that is up into pieces. */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	for (int k = 0; k < 20; k++) {
		int t = 2 + 2 * ((k * 7) % 20); /* 7 is prime to 20: a permutation */
		keepalive(w, t);
		keepalive(w, t + 0.00005);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_eq(a->tun[0].keepalive_us, 2000000);
	cr_expect_eq(a->tun[0].gap_us, 5000000);
	/* one segment from 2 to 40: no gap invented */
	cr_assert_eq(a->tun[0].nsegs, 1);
	cr_expect_eq(a->tun[0].segs[0].start_sec, T0 + 2);
	cr_expect_eq(a->tun[0].segs[0].end_sec, T0 + 40);
	an_free(a);
	rules_free(r);
	unlink(p);
}

/* An OpenVPN-shaped data packet (P_DATA_V2, 41 bytes) to the endpoint. */
static void ping(struct cb_pcap *w, double t)
{
	uint8_t d[41] = {0x48};
	size_t n = cb_udp4(frame, HOST_MAC, GW_MAC, "192.168.1.10", "203.0.113.5", 40001, 51820, d, sizeof(d));
	cr_assert_gt(n, 0);
	int64_t s = (int64_t)t;
	cr_assert_eq(cb_pcap_write(w, T0 + s, (uint32_t)((t - (double)s) * 1e9), frame, (uint32_t)n, (uint32_t)n), 0);
}

Test(hostile, idle_carrier_ping_rhythm_is_no_gap)
{
	/* An idle OpenVPN tunnel: a burst of traffic, then a ping every 10.4 s
	 * (OpenVPN's "ping 10" fires when nothing was sent for 10 s, checked
	 * once a second), and a query outside 10.2 s after a ping, just before
	 * the next.
	 * No WireGuard keepalive: the rhythm comes from the carrier's
	 * silences, 10.4 s, so the gap threshold is 26 s and the tunnel is up
	 * throughout; the query is a leak while the tunnel was up.  With the
	 * plain 10 s default each ping interval was a gap, and the query fell
	 * in one (phase gap: a kill-switch failure that did not happen). */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	for (int k = 0; k < 10; k++)
		ping(w, 1.0 + 0.1 * k);
	for (int k = 1; k <= 10; k++)
		ping(w, 1.9 + 10.4 * k);
	pcap_query(w, 1.9 + 10.4 * 5 + 10.2, 7, "idle.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect(a->tun[0].keepalive_from_idle);
	cr_expect_eq(a->tun[0].keepalive_us, 10400000);
	cr_expect_eq(a->tun[0].gap_us, 26000000);
	cr_expect_eq(a->tun[0].nsegs, 1);
	cr_assert_eq(ev_count(a->ev), 1);
	cr_expect_str_eq(ev_phase_str(ev_get(a->ev, 0)->phase), ev_phase_str(PHASE_UP));
	an_free(a);
	rules_free(r);
	unlink(p);
}

Test(hostile, busy_carrier_pauses_are_no_rhythm)
{
	/* Pauses of a busy tunnel that share no length (0.6, 1.3, 2.9, 4.4,
	 * 7.7 s) are no rhythm: the 10 s default stays. */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	static const double at[] = {1.0, 1.6, 2.9, 5.8, 10.2, 17.9};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
		ping(w, at[k]);
	cr_assert_eq(cb_pcap_close(w), 0);
	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_eq(a->tun[0].keepalive_us, 0);
	cr_expect_eq(a->tun[0].gap_us, (int64_t)AN_DEFAULT_GAP * 1000000);
	an_free(a);
	rules_free(r);
	unlink(p);
}

Test(hostile, carrier_pulses_past_the_segment_cap)
{
	/* A carrier packet every 2 s for AN_MAX_SEGMENTS + 1000 pulses, the
	 * last 1000 written first (out of order): each pulse is a fine
	 * segment of its own until the cap; past it, activity joins the
	 * nearest earlier segment and the report says the timeline is
	 * capped.  Must finish quickly (no sort per packet) and keep every
	 * packet counted. */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	const int n = AN_MAX_SEGMENTS + 1000;
	for (int k = n - 1000; k < n; k++)
		keepalive(w, 2.0 * k);
	for (int k = 0; k < n - 1000; k++)
		keepalive(w, 2.0 * k);
	cr_assert_eq(cb_pcap_close(w), 0);
	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect(a->tun[0].segs_capped);
	uint64_t pkts = 0;
	for (size_t i = 0; i < a->tun[0].nsegs; i++) {
		pkts += a->tun[0].segs[i].pkts;
		if (i)
			cr_expect_gt(a->tun[0].segs[i].start_sec, a->tun[0].segs[i - 1].end_sec);
	}
	cr_expect_eq(pkts, (uint64_t)n);
	cr_expect_eq(a->tun[0].segs[0].start_sec, T0);
	cr_expect_eq(a->tun[0].segs[a->tun[0].nsegs - 1].end_sec, T0 + 2 * (int64_t)(n - 1));
	an_free(a);
	rules_free(r);
	unlink(p);
}

/* An EPB body (RFC draft-ietf-opsawg-pcapng 4.3) for the query frame:
 * interface, timestamp in microseconds, caplen, wirelen, data. */
static size_t epb_body(uint8_t *b, uint32_t iface, int t, const uint8_t *data, size_t n)
{
	uint64_t ts = (uint64_t)(T0 + t) * 1000000u;
	uint32_t v[5] = {iface, (uint32_t)(ts >> 32), (uint32_t)ts, (uint32_t)n, (uint32_t)n};
	for (int i = 0; i < 5; i++) /* cb_png_open(.., 0): a little-endian section */
		for (int k = 0; k < 4; k++)
			b[4 * i + k] = (uint8_t)(v[i] >> (8 * k));
	memcpy(b + 20, data, n);
	return 20 + n;
}

Test(hostile, pcapng_lying_lengths)
{
	/*
	 * SHB 28 bytes at 0, IDB 20 bytes at 28 (no options), an EPB with the
	 * 69-byte query frame at 48: 12 + 20 + 72 (69 padded) = 104 bytes, so
	 * the lying block starts at 152.  Its true length is 104 too.
	 */
	static const struct {
		uint32_t lead, trail;
		bool last;          /* no block after it (the file ends inside it) */
		const char *what;
	} cases[] = {
		{104, 108, false, "block at byte 152 (type 0x6): trailing length 108 differs from leading length 104"},
		{106, 106, false, "block at byte 152 (type 0x6): total length 106 is not a multiple of 4"},
		{8, 8, false, "block at byte 152 (type 0x6): total length 8 is too small"},
		{0x7ffffff0u, 0x7ffffff0u, false, "block at byte 152 (type 0x6): total length 2147483632 exceeds"},
		{1000, 1000, true, "truncated block at byte 152 (type 0x6, packet 2): file ends after 104 of 1000 bytes"},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char *p = tmp(".pcapng");
		struct cb_png *g = cb_png_open(p, 0);
		cr_assert_not_null(g);
		cr_assert_eq(cb_png_idb(g, 1, 0, NULL), 0);
		png_query(g, 0, 1, 1, "a.example");
		cr_assert_eq(cb_png_tell(g), 152);
		uint8_t b[512];
		size_t n = query_frame(2, "b.example");
		size_t bl = epb_body(b, 0, 2, frame, n);
		cr_assert_eq(cb_png_block_raw(g, 6, b, bl, cases[k].lead, cases[k].trail), 0);
		if (!cases[k].last)
			png_query(g, 0, 3, 3, "c.example");
		cr_assert_eq(cb_png_close(g), 0);
		int rc;
		struct analysis *a = analyse(p, NULL, NULL, &rc);
		cr_expect_eq(rc, 1, "case %zu", k);
		expect_error(a, p, cases[k].what);
		cr_expect_eq(a->files[0].packets, 1, "case %zu", k);
		cr_expect(has_event(a, "a.example"), "case %zu", k);
		an_free(a);
		unlink(p);
	}
}

Test(hostile, pcapng_unknown_interface)
{
	char *p = tmp(".pcapng");
	struct cb_png *g = cb_png_open(p, 0);
	cr_assert_not_null(g);
	cr_assert_eq(cb_png_idb(g, 1, 0, NULL), 0);
	png_query(g, 0, 1, 1, "a.example");
	long bad = cb_png_tell(g);
	png_query(g, 3, 2, 2, "b.example"); /* interface 3: the section has one */
	png_query(g, 0, 3, 3, "c.example");
	cr_assert_eq(cb_png_close(g), 0);
	cr_assert_eq(bad, 152);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 1);
	expect_error(a, p, "block at byte 152 (type 0x6, packet 2): interface 3 does not exist (the section declares 1)");
	cr_expect_eq(a->files[0].packets, 1);
	cr_expect(has_event(a, "a.example"));
	cr_expect_not(has_event(a, "b.example"));
	an_free(a);
	unlink(p);
}

/* ---------------------------------------------------------------------- */
/* Resource limits */

#define MANY 1000000

static char *read_text(const char *path);
static void rm_tree(const char *dir);

/* RAW (101) records: IPv4 + UDP + 4 bytes = 32 bytes, 48 with the record
 * header: 48 MB for a million. */
Test(hostile, million_flows_stay_under_the_cap, .timeout = 300)
{
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 101, 65535, 0);
	cr_assert_not_null(w);
	for (uint32_t i = 0; i < MANY; i++) {
		char src[32];
		snprintf(src, sizeof(src), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		size_t n = cb_ip_udp(frame, sizeof(frame), src, "192.0.2.9", 40000, 9, NULL, "ping", 4);
		cr_assert_eq(n, 32);
		/* 100 s in all: no flow reaches the 180 s UDP idle timeout */
		cr_assert_eq(cb_pcap_write(w, T0 + i / 10000, (i % 10000) * 100000u, frame, 32, 32), 0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	struct analysis *a = an_new(NULL, NULL);
	cr_assert_eq(an_add_file(a, p), 0);
	cr_expect_eq(a->packets, MANY);
	cr_expect_eq(flow_peak(a->flows), FLOW_DEFAULT_MAX);
	/* every flow past the cap evicts the least recently used one */
	cr_expect_eq(flow_evicted(a->flows), MANY - FLOW_DEFAULT_MAX);
	an_finish(a);
	cr_expect_eq(ev_count(a->ev), 0);
	cr_expect_eq(a->flows_evicted, MANY - FLOW_DEFAULT_MAX);
	/* and the summary says so */
	char dir[256], err[1024], f[512];
	snprintf(dir, sizeof(dir), "%s.out", p);
	cr_assert_eq(out_xml_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	snprintf(f, sizeof(f), "%s/summary.xml", dir);
	char *s = read_text(f);
	cr_expect(strstr(s, "flows-evicted=\"737856\"") != NULL, "summary.xml does not report the evictions");
	free(s);
	rm_tree(dir);
	an_free(a);
	unlink(p);
}

static int count_xml_errors;

static void on_xml_error(void *user, xmlErrorPtr e)
{
	(void)user;
	(void)e;
	count_xml_errors++;
}

/* Parses path without network access; returns the document (or NULL) and
 * counts libxml2's complaints in count_xml_errors. */
static xmlDocPtr parse_xml(const char *path)
{
	count_xml_errors = 0;
	xmlSetStructuredErrorFunc(NULL, on_xml_error);
	xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	return d;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void rm_tree(const char *dir)
{
	char sub[512], f[1024];
	snprintf(sub, sizeof(sub), "%s/hosts", dir);
	DIR *d = opendir(sub);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(f, sizeof(f), "%s/%s", sub, e->d_name);
			unlink(f);
		}
		closedir(d);
		rmdir(sub);
	}
	snprintf(f, sizeof(f), "%s/summary.xml", dir);
	unlink(f);
	rmdir(dir);
}

/* One host, a million names: with max_events 100000 the rest is counted
 * as dropped, and the summary says so. */
Test(hostile, million_names_capped_events, .timeout = 300)
{
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 101, 65535, 0);
	cr_assert_not_null(w);
	for (uint32_t i = 0; i < MANY; i++) {
		char name[32];
		uint8_t q[64];
		snprintf(name, sizeof(name), "n%u.example", i);
		size_t qn = cb_dns_query(q, sizeof(q), (uint16_t)i, name, 1);
		size_t n = cb_ip_udp(frame, sizeof(frame), "10.0.0.2", "192.0.2.53", 40000, 53, NULL, q, qn);
		cr_assert_gt(n, 0);
		cr_assert_eq(cb_pcap_write(w, T0 + i / 10000, (i % 10000) * 100000u, frame, (uint32_t)n, (uint32_t)n), 0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	struct an_options o;
	an_options_default(&o);
	o.max_events = 100000;
	struct analysis *a = an_new(&o, NULL);
	cr_assert_eq(an_add_file(a, p), 0);
	an_finish(a);
	cr_expect_eq(ev_count(a->ev), 100000);
	cr_expect_eq(ev_dropped(a->ev), MANY - 100000);
	cr_expect(ev_cap_reached(a->ev));
	/* the first 100000 are kept, in order */
	cr_expect_str_eq(ev_get(a->ev, 0)->qname, "n0.example");
	cr_expect_str_eq(ev_get(a->ev, 99999)->qname, "n99999.example");

	char dir[256], err[1024], f[512];
	snprintf(dir, sizeof(dir), "%s.out", p);
	cr_assert_eq(out_xml_reports(a, dir, err, sizeof(err)), 0, "%s", err);
	snprintf(f, sizeof(f), "%s/summary.xml", dir);
	xmlDocPtr d = parse_xml(f);
	cr_expect_not_null(d);
	cr_expect_eq(count_xml_errors, 0);
	xmlFreeDoc(d);
	char *s = read_text(f);
	cr_expect(strstr(s, "events-dropped=\"900000\"") != NULL, "summary.xml does not report the drop");
	free(s);
	rm_tree(dir);
	an_free(a);
	unlink(p);
}

/* ---------------------------------------------------------------------- */
/* Reports with hostile names */

/* Finds the first element called name whose text is text (libxml2 has
 * decoded the entities, so this is the value as the analyzer had it). */
static bool find_text(xmlNodePtr n, const char *name, const char *text)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
			xmlChar *c = xmlNodeGetContent(n);
			bool eq = c && strcmp((const char *)c, text) == 0;
			xmlFree(c);
			if (eq)
				return true;
		}
		if (find_text(n->children, name, text))
			return true;
	}
	return false;
}

/* The first attribute attr of an element name whose value is val. */
static bool find_attr(xmlNodePtr n, const char *name, const char *attr, const char *val)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
			xmlChar *c = xmlGetProp(n, (const xmlChar *)attr);
			bool eq = c && strcmp((const char *)c, val) == 0;
			xmlFree(c);
			if (eq)
				return true;
		}
		if (find_attr(n->children, name, attr, val))
			return true;
	}
	return false;
}

/* A wire-format query whose first labels are given raw (any bytes). */
static size_t raw_query(uint8_t *out, uint16_t id, const char *const *labels, const size_t *lens, size_t nl)
{
	static const uint8_t hdr[12] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t n = sizeof(hdr);
	memcpy(out, hdr, n);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	for (size_t i = 0; i < nl; i++) {
		out[n++] = (uint8_t)lens[i];
		memcpy(out + n, labels[i], lens[i]);
		n += lens[i];
	}
	static const uint8_t tail[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
	memcpy(out + n, tail, sizeof(tail));
	return n + sizeof(tail);
}

Test(hostile, markup_and_bad_bytes_stay_well_formed)
{
	/* The capture's own path carries markup and a byte that is not UTF-8. */
	char p[256];
	snprintf(p, sizeof(p), "%s/ls-<hostile>&\"'\xff-XXXXXX.pcapng",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemps(p, 7);
	cr_assert_geq(fd, 0);
	close(fd);

	struct cb_png *g = cb_png_open(p, 0);
	cr_assert_not_null(g);
	struct cb_idb_opt io = {.name = "eth<0>&\"x'"};
	cr_assert_eq(cb_png_idb(g, 1, 0, &io), 0);
	/* Labels: markup; quotes and an ampersand; control bytes; bytes that
	 * are not UTF-8 (a lone continuation byte, an overlong NUL, 0xff). */
	static const char *const l1[] = {"<script>alert(1)</script>"};
	static const char *const l2[] = {"a&b\"c'd", "]]>"};
	static const char *const l3[] = {"\x01\x1b[31m\x7f"};
	static const char *const l4[] = {"\x80\xc0\x80\xff"};
	const size_t n1[] = {25}, n2[] = {7, 3}, n3[] = {7}, n4[] = {4};
	const char *const *ls[] = {l1, l2, l3, l4};
	const size_t *ns[] = {n1, n2, n3, n4};
	const size_t nl[] = {1, 2, 1, 1};
	for (int i = 0; i < 4; i++) {
		uint8_t q[256];
		size_t qn = raw_query(q, (uint16_t)(i + 1), ls[i], ns[i], nl[i]);
		size_t n = cb_udp4(frame, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", (uint16_t)(40000 + i), 53, q,
				   qn);
		cr_assert_gt(n, 0);
		cr_assert_eq(cb_png_epb(g, 0, T0 + i, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	}
	/* A DHCPREQUEST naming the host "<b>&\"'" plus 0xff (RFC 2132 option 12) */
	uint8_t d[300];
	memset(d, 0, sizeof(d));
	d[0] = 1, d[1] = 1, d[2] = 6;
	memcpy(d + 28, HOST_MAC, 6);
	d[236] = 0x63, d[237] = 0x82, d[238] = 0x53, d[239] = 0x63;
	static const uint8_t opts[] = {53, 1, 3, 12, 6, '<', 'b', '>', '&', '"', 0xff, 255};
	memcpy(d + 240, opts, sizeof(opts));
	size_t n = cb_udp4(frame, HOST_MAC, (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "0.0.0.0",
			   "255.255.255.255", 68, 67, d, 240 + sizeof(opts));
	cr_assert_gt(n, 0);
	cr_assert_eq(cb_png_epb(g, 0, T0 + 5, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	cr_assert_eq(cb_png_close(g), 0);

	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_assert_eq(rc, 0, "%s", a->files[0].error);
	/* DNS presentation format (dns.h): bytes outside 0x21..0x7e as \DDD */
	static const char *const want[] = {
		"<script>alert(1)</script>.example",
		"a&b\"c'd.]]>.example",
		"\\001\\027[31m\\127.example",
		"\\128\\192\\128\\255.example",
	};
	for (int i = 0; i < 4; i++)
		cr_expect(has_event(a, want[i]), "no event for %s", want[i]);

	char dir[512], err[1024], f[1024];
	snprintf(dir, sizeof(dir), "%s.out", p);
	cr_assert_eq(out_xml_reports(a, dir, err, sizeof(err)), 0, "%s", err);

	/* summary.xml: well-formed; the file path and interface name as given */
	snprintf(f, sizeof(f), "%s/summary.xml", dir);
	xmlDocPtr doc = parse_xml(f);
	cr_assert_not_null(doc, "summary.xml does not parse");
	cr_expect_eq(count_xml_errors, 0);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	/* the path's 0xff is not UTF-8: the writer shows it as \xff (xmlw.h) */
	char shown[256];
	snprintf(shown, sizeof(shown), "%s", p);
	char *ff = strchr(shown, '\xff');
	cr_assert_not_null(ff);
	memmove(ff + 4, ff + 1, strlen(ff + 1) + 1);
	memcpy(ff, "\\xff", 4);
	cr_expect(find_attr(root, "capture", "path", shown), "capture path %s not found", shown);
	xmlFreeDoc(doc);
	char *s = read_text(f);
	cr_expect(strstr(s, "&lt;hostile&gt;&amp;&quot;") != NULL, "path not escaped");
	cr_expect(strstr(s, "eth&lt;0&gt;&amp;&quot;x") != NULL, "interface name not escaped");
	free(s);

	/* the host report: every qname and the DHCP name come back intact */
	snprintf(f, sizeof(f), "%s/hosts", dir);
	DIR *hd = opendir(f);
	cr_assert_not_null(hd);
	struct dirent *e;
	int hosts = 0;
	bool found[4] = {false, false, false, false}, label = false;
	while ((e = readdir(hd)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char hp[1536];
		snprintf(hp, sizeof(hp), "%s/%s", f, e->d_name);
		hosts++;
		doc = parse_xml(hp);
		cr_assert_not_null(doc, "%s does not parse", hp);
		cr_expect_eq(count_xml_errors, 0, "%s", hp);
		root = xmlDocGetRootElement(doc);
		for (int i = 0; i < 4; i++)
			found[i] = found[i] || find_text(root, "qname", want[i]);
		label = label || find_text(root, "name", "<b>&\"\\255 (dhcp)");
		xmlFreeDoc(doc);
		s = read_text(hp);
		cr_expect(strstr(s, "<script>") == NULL, "raw markup in %s", hp);
		cr_expect(strstr(s, "\x1b") == NULL && strstr(s, "\xff") == NULL, "raw bytes in %s", hp);
		free(s);
	}
	closedir(hd);
	cr_expect_geq(hosts, 1);
	for (int i = 0; i < 4; i++)
		cr_expect(found[i], "qname %s not in a host report", want[i]);
	cr_expect(label, "the DHCP host name is not in a host report");
	rm_tree(dir);
	an_free(a);
	unlink(p);
}

/* ---------------------------------------------------------------------- */
/* PKTAP: macOS tcpdump -i any.  Each record: a 108-byte PKTAP header
 * (little-endian: length, type 1, inner DLT, interface name, flags), then
 * the packet in its interface's link type. */

static size_t pktap_wrap(uint8_t *out, const char *ifname, uint32_t dlt, uint8_t flags, const uint8_t *pkt,
			 size_t n)
{
	memset(out, 0, 108);
	out[0] = 108;
	out[4] = 1;
	out[8] = (uint8_t)dlt;
	memcpy(out + 12, ifname, strlen(ifname));
	out[36] = flags;
	memcpy(out + 108, pkt, n);
	return 108 + n;
}

Test(hostile, pktap_capture_keeps_its_interfaces)
{
	/* en0 (Ethernet inside PKTAP): the WireGuard carrier every second
	 * and a query to the LAN resolver; utun3 (BSD loopback framing): the
	 * inside query to the tunnel's resolver.  Checked with tshark 4.0
	 * (pktap.ifname, dns.qry.name) when this test was written. */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 258, 65535, 0);
	cr_assert_not_null(w);
	uint8_t rec[CB_MAXPKT + 200], q[512], inner[CB_MAXPKT];
	for (int t = 1; t <= 10; t++) {
		uint8_t ka[32] = {4};
		size_t n = cb_udp4(inner, HOST_MAC, GW_MAC, "192.168.1.10", "203.0.113.5", 40001, 51820, ka, sizeof(ka));
		size_t m = pktap_wrap(rec, "en0", 1, 2, inner, n);
		cr_assert_eq(cb_pcap_write(w, T0 + t, 0, rec, (uint32_t)m, (uint32_t)m), 0);
	}
	size_t qn = cb_dns_query(q, sizeof(q), 7, "leak.example", 1);
	size_t n = cb_udp4(inner, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40007, 53, q, qn);
	size_t m = pktap_wrap(rec, "en0", 1, 2, inner, n);
	cr_assert_eq(cb_pcap_write(w, T0 + 5, 0, rec, (uint32_t)m, (uint32_t)m), 0);
	qn = cb_dns_query(q, sizeof(q), 8, "inside.example", 1);
	n = cb_udp4(inner, HOST_MAC, GW_MAC, "10.66.0.2", "10.66.0.1", 40008, 53, q, qn);
	/* BSD loopback framing: AF_INET (2), host order, then the IP packet */
	uint8_t nullf[CB_MAXPKT];
	nullf[0] = 2;
	nullf[1] = nullf[2] = nullf[3] = 0;
	memcpy(nullf + 4, inner + 14, n - 14);
	m = pktap_wrap(rec, "utun3", 0, 2, nullf, 4 + n - 14);
	cr_assert_eq(cb_pcap_write(w, T0 + 6, 0, rec, (uint32_t)m, (uint32_t)m), 0);
	/* hostile: a header longer than the record, a header length under 40 */
	memset(rec, 0, 108);
	rec[0] = 200;
	rec[4] = 1;
	cr_assert_eq(cb_pcap_write(w, T0 + 7, 0, rec, 108, 108), 0);
	rec[0] = 8;
	cr_assert_eq(cb_pcap_write(w, T0 + 7, 0, rec, 108, 108), 0);
	cr_assert_eq(cb_pcap_close(w), 0);

	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect_eq(a->tun[0].carrier_pkts, 10);
	cr_assert_eq(ev_count(a->ev), 2);
	bool leak = false, inside = false;
	for (size_t i = 0; i < ev_count(a->ev); i++) {
		const struct ev *e = ev_get(a->ev, i);
		char b[64];
		const char *label = an_iface_label(a, e->iface_ref, b, sizeof(b));
		if (strcmp(e->qname, "leak.example") == 0) {
			leak = true;
			cr_expect_str_eq(label, "en0");
			cr_expect_eq(e->verdict, VERDICT_LEAK);
			cr_expect_eq(e->path, PATH_OUTSIDE);
		} else if (strcmp(e->qname, "inside.example") == 0) {
			inside = true;
			cr_expect_str_eq(label, "utun3");
			cr_expect_eq(e->verdict, VERDICT_OK);
			cr_expect_eq(e->path, PATH_TUNNEL);
		}
	}
	cr_expect(leak);
	cr_expect(inside);
	an_free(a);
	rules_free(r);
	if (getenv("LS_KEEP_PKTAP"))
		fprintf(stderr, "pktap capture kept: %s\n", p);
	else
		unlink(p);
}

Test(hostile, pktap_in_pcapng_names_each_interface)
{
	/* the same records in a pcapng whose one interface is "pktap": each
	 * packet's own interface name wins over the capture's */
	char *p = tmp(".pcapng");
	struct cb_png *w = cb_png_open(p, 0);
	cr_assert_not_null(w);
	struct cb_idb_opt o = {.name = "pktap", .desc = "Packet Tap"};
	cr_assert_eq(cb_png_idb(w, 258, 65535, &o), 0);
	uint8_t rec[CB_MAXPKT + 200], q[512], inner[CB_MAXPKT], nullf[CB_MAXPKT];
	size_t qn = cb_dns_query(q, sizeof(q), 8, "inside.example", 1);
	size_t n = cb_udp4(inner, HOST_MAC, GW_MAC, "10.66.0.2", "10.66.0.1", 40008, 53, q, qn);
	nullf[0] = 2;
	nullf[1] = nullf[2] = nullf[3] = 0;
	memcpy(nullf + 4, inner + 14, n - 14);
	size_t m = pktap_wrap(rec, "utun3", 0, 2, nullf, 4 + n - 14);
	cr_assert_eq(cb_png_epb(w, 0, T0 + 1, 0, rec, (uint32_t)m, (uint32_t)m), 0);
	qn = cb_dns_query(q, sizeof(q), 7, "leak.example", 1);
	n = cb_udp4(inner, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40007, 53, q, qn);
	m = pktap_wrap(rec, "en0", 1, 2, inner, n);
	cr_assert_eq(cb_png_epb(w, 0, T0 + 2, 0, rec, (uint32_t)m, (uint32_t)m), 0);
	cr_assert_eq(cb_png_close(w), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_assert_eq(ev_count(a->ev), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct ev *e = ev_get(a->ev, i);
		char b[64];
		cr_expect_str_eq(an_iface_label(a, e->iface_ref, b, sizeof(b)),
				 strcmp(e->qname, "leak.example") == 0 ? "en0" : "utun3");
	}
	an_free(a);
	unlink(p);
}

Test(hostile, onion_name_leak_says_so)
{
	/* a .onion name asked of the LAN resolver while a tunnel is up: a
	 * leak, and the report says what a .onion name in DNS means */
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	for (int t = 1; t <= 6; t++)
		keepalive(w, t);
	pcap_query(w, 3.5, 1, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion");
	pcap_query(w, 4.5, 2, "onion.example");
	cr_assert_eq(cb_pcap_close(w), 0);
	char err[1024];
	struct rules *r;
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &r, err, sizeof(err)), 0, "%s", err);
	int rc;
	struct analysis *a = analyse(p, r, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_assert_eq(ev_count(a->ev), 2);
	const struct ev *e = ev_get(a->ev, 0);
	cr_expect_eq(e->verdict, VERDICT_LEAK);
	cr_assert_not_null(e->reason);
	cr_expect(strstr(e->reason, "RFC 7686"), "%s", e->reason);
	e = ev_get(a->ev, 1); /* "onion" as a label elsewhere: nothing special */
	cr_expect_eq(e->verdict, VERDICT_LEAK);
	cr_expect_null(e->reason);
	an_free(a);
	rules_free(r);
	unlink(p);
}

/* 4,100 sections of one interface and one query each: the 4,097th
 * interface is past the reader's limit.  The file is not cut silently: it
 * is incomplete (truncated, the error names the limit, the byte and the
 * section), and every query before the limit is an event. */
Test(hostile, sections_past_the_interface_limit_make_the_file_incomplete)
{
	char *p = tmp(".pcapng");
	struct cb_png *g = cb_png_open(p, 0);
	cr_assert_not_null(g);
	long at4097 = 0;
	for (int s = 0; s < 4100; s++) {
		if (s > 0)
			cr_assert_eq(cb_png_shb(g), 0);
		if (s == 4096)
			at4097 = cb_png_tell(g);
		cr_assert_eq(cb_png_idb(g, 1, 65535, NULL), 0);
		char name[32];
		snprintf(name, sizeof(name), "s%d.example", s + 1);
		png_query(g, 0, s, (uint16_t)(s + 1), name);
	}
	cr_assert_eq(cb_png_close(g), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 1, "damage, not a clean read");
	cr_expect(a->files[0].truncated);
	char want[128];
	snprintf(want, sizeof(want), "interface block at byte %ld (section 4097): more than 4096 interfaces", at4097);
	expect_error(a, p, want);
	expect_error(a, p, "the rest of the file was not read");
	cr_expect_eq(a->files[0].packets, 4096);
	cr_expect(has_event(a, "s4096.example"));
	cr_expect_not(has_event(a, "s4097.example"));
	an_free(a);
	unlink(p);
}

/* A query whose qdcount (2,000) is over the questions walked (1,024): its
 * first question is still an event, once gave none at all. */
Test(hostile, qdcount_over_the_cap_still_gives_the_question)
{
	static uint8_t q[8192];
	size_t n = cb_dns_query(q, sizeof(q), 7, "secret.example.com", 1);
	cr_assert_gt(n, 12);
	q[4] = 0x07, q[5] = 0xd0; /* qdcount 2000 */
	for (int i = 1; i < 1100; i++) {
		static const uint8_t again[6] = {0xc0, 0x0c, 0, 1, 0, 1}; /* the same name, A IN */
		memcpy(q + n, again, 6);
		n += 6;
	}
	size_t fl = cb_udp4(frame, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40007, 53, q, n);
	cr_assert_gt(fl, 0);
	char *p = tmp(".pcap");
	struct cb_pcap *w = cb_pcap_open(p, 1, 65535, 0);
	cr_assert_not_null(w);
	cr_assert_eq(cb_pcap_write(w, T0, 0, frame, (uint32_t)fl, (uint32_t)fl), 0);
	cr_assert_eq(cb_pcap_close(w), 0);
	int rc;
	struct analysis *a = analyse(p, NULL, NULL, &rc);
	cr_expect_eq(rc, 0);
	cr_expect(has_event(a, "secret.example.com"));
	an_free(a);
	unlink(p);
}
