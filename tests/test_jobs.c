/* test_jobs.c - -j N finds what -j 1 finds: duplicate suppression and events over many interleaved flows. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"

/* 12,000 DNS questions from as many sockets (SLL2 on ifindex 1), each seen
 * again on ifindex 2 (a bridge and its port, tcpdump -i any) 1 to 3,000
 * packets later, all within the 200 ms window: the duplicate table is
 * under pressure, and which copies it recognises must not depend on how
 * the flows are spread over workers. */
static void write_capture(const char *path)
{
	struct cb_pcap *w = cb_pcap_open(path, 276, 65535, 0);
	cr_assert(w);
	enum { N = 12000 };
	static int delay[N];
	uint64_t r = 0x2545f4914f6cdd1dULL;
	for (int i = 0; i < N; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		delay[i] = 1 + (int)(r % 3000);
	}
	/* slot t holds the original of question t, then copies fall due */
	static int due[N + 3100][4];
	static int ndue[N + 3100];
	memset(ndue, 0, sizeof(ndue));
	uint32_t ns = 0;
	for (int t = 0; t < N + 3001; t++) {
		int list[5], n = 0;
		if (t < N)
			list[n++] = t;
		for (int k = 0; k < ndue[t]; k++)
			list[n++] = -1 - due[t][k];
		for (int k = 0; k < n; k++) {
			int q = list[k] >= 0 ? list[k] : -1 - list[k];
			bool copy = list[k] < 0;
			char name[64], src[32];
			snprintf(name, sizeof(name), "host%d.example.com", q);
			snprintf(src, sizeof(src), "192.168.%d.%d", 1 + q % 50, 10 + q % 200);
			uint8_t dns[300], ip[400], frame[500];
			size_t dl = cb_dns_query(dns, sizeof(dns), (uint16_t)q, name, 1);
			size_t il = cb_ip_udp(ip, sizeof(ip), src, "8.8.8.8", (uint16_t)(20000 + q), 53, NULL, dns, dl);
			struct cb_link l;
			cb_link_init(&l);
			l.ifindex = copy ? 2 : 1;
			size_t fl = cb_link_wrap(frame, sizeof(frame), 276, &l, ip, il);
			cr_assert_gt(fl, 0);
			ns += 10000; /* 10 us apart: 15,000 packets in 150 ms */
			cr_assert_eq(cb_pcap_write(w, 1709251200, ns, frame, (uint32_t)fl, (uint32_t)fl), 0);
		}
		if (t < N) {
			int d = t + delay[t];
			if (ndue[d] < 4)
				due[d][ndue[d]++] = t;
		}
	}
	cr_assert_eq(cb_pcap_close(w), 0);
}

static void run(const char *path, unsigned jobs, size_t *events, uint64_t *dups)
{
	struct an_options o;
	an_options_default(&o);
	o.nshards = jobs;
	struct analysis *a = an_new(&o, NULL);
	cr_assert_eq(an_add_file(a, path), 0);
	an_finish(a);
	*events = ev_count(a->ev);
	*dups = a->dup_pkts;
	an_free(a);
}

Test(jobs, duplicates_and_events_alike)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/ls-jobs-%d.pcap", (int)getpid());
	write_capture(path);
	size_t e1, e2, e3;
	uint64_t d1, d2, d3;
	run(path, 1, &e1, &d1);
	run(path, 2, &e2, &d2);
	run(path, 3, &e3, &d3);
	unlink(path);
	cr_assert_gt(d1, 9000, "copies recognised: %llu", (unsigned long long)d1);
	cr_assert_eq(d2, d1, "-j 2 recognised %llu copies, -j 1 %llu", (unsigned long long)d2, (unsigned long long)d1);
	cr_assert_eq(d3, d1, "-j 3 recognised %llu copies, -j 1 %llu", (unsigned long long)d3, (unsigned long long)d1);
	cr_assert_eq(e2, e1);
	cr_assert_eq(e3, e1);
}
