/* test_event.c - questions become events; responses matched by endpoints, id and question. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

static struct cap_packet cps[8];
static int ncp;

static struct pkt mk(const char *src, uint16_t sp, const char *dst, uint16_t dp, int64_t ts, uint64_t frame)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	struct cap_packet *cp = &cps[ncp++ % 8];
	memset(cp, 0, sizeof(*cp));
	cp->ts_sec = ts;
	cp->frame = frame;
	p.cp = cp;
	addr_parse(src, &p.src);
	addr_parse(dst, &p.dst);
	p.sport = sp;
	p.dport = dp;
	p.proto = 17;
	return p;
}

static struct dns_msg *msg(uint16_t id, bool qr, const char *name, uint16_t qtype)
{
	struct dns_msg *m = calloc(1, sizeof(*m));
	m->id = id;
	m->qr = qr;
	m->nq = 1;
	snprintf(m->q[0].name, sizeof(m->q[0].name), "%s", name);
	m->q[0].qtype = qtype;
	m->q[0].qclass = 1;
	return m;
}

static void add_answer(struct dns_msg *m, uint16_t type, const char *data)
{
	struct dns_rr *rr = &m->rr[m->nrr++];
	rr->section = DNS_SEC_ANSWER;
	snprintf(rr->name, sizeof(rr->name), "%s", m->q[0].name);
	rr->type = type;
	rr->rclass = 1;
	snprintf(rr->data, sizeof(rr->data), "%s", data);
}

Test(event, query_and_response_make_one_event)
{
	struct evstore *s = ev_new(0, 1);
	struct pkt q = mk("10.0.0.2", 40000, "192.0.2.53", 53, 100, 1);
	struct dns_msg *mq = msg(0x1234, false, "www.example.com", 1);
	ev_add_dns(s, &q, EVP_DNS_UDP, mq, 0, 0);
	struct pkt r = mk("192.0.2.53", 53, "10.0.0.2", 40000, 100, 2);
	struct dns_msg *mr = msg(0x1234, true, "www.example.com", 1);
	add_answer(mr, 1, "93.184.216.34");
	mr->rcode = 0;
	ev_add_dns(s, &r, EVP_DNS_UDP, mr, 0, 0);
	ev_sort(s);
	cr_assert_eq(ev_count(s), 1);
	const struct ev *e = ev_get(s, 0);
	char b[64];
	cr_assert_str_eq(addr_str(&e->client, b, sizeof(b)), "10.0.0.2");
	cr_assert_str_eq(addr_str(&e->server, b, sizeof(b)), "192.0.2.53");
	cr_assert_eq(e->client_port, 40000);
	cr_assert_eq(e->server_port, 53);
	cr_assert_str_eq(e->qname, "www.example.com");
	cr_assert(e->answered);
	cr_assert_eq(e->rcode, 0);
	cr_assert_str_eq(e->answers, "A 93.184.216.34");
	cr_assert_eq(e->frame, 1);
	cr_assert_eq(e->resp_frame, 2);
	cr_assert_not(e->from_response);
	free(mq);
	free(mr);
	ev_free(s);
}

Test(event, response_with_other_id_does_not_match)
{
	struct evstore *s = ev_new(0, 1);
	struct pkt q = mk("10.0.0.2", 40000, "192.0.2.53", 53, 100, 1);
	struct dns_msg *mq = msg(1, false, "a.example", 1);
	ev_add_dns(s, &q, EVP_DNS_UDP, mq, 0, 0);
	struct pkt r = mk("192.0.2.53", 53, "10.0.0.2", 40000, 100, 2);
	struct dns_msg *mr = msg(2, true, "a.example", 1);
	ev_add_dns(s, &r, EVP_DNS_UDP, mr, 0, 0);
	ev_sort(s);
	/* the query unanswered, the response a row of its own */
	cr_assert_eq(ev_count(s), 2);
	cr_assert_not(ev_get(s, 0)->answered);
	cr_assert_eq(ev_get(s, 0)->rcode, -1);
	cr_assert(ev_get(s, 1)->from_response);
	free(mq);
	free(mr);
	ev_free(s);
}

Test(event, response_without_query_is_keyed_from_client_side)
{
	struct evstore *s = ev_new(0, 1);
	struct pkt r = mk("192.0.2.53", 53, "10.0.0.2", 40000, 100, 7);
	struct dns_msg *mr = msg(9, true, "b.example", 28);
	ev_add_dns(s, &r, EVP_DNS_UDP, mr, 0, 0);
	cr_assert_eq(ev_count(s), 1);
	const struct ev *e = ev_get(s, 0);
	char b[64];
	cr_assert_str_eq(addr_str(&e->client, b, sizeof(b)), "10.0.0.2");
	cr_assert_eq(e->client_port, 40000);
	cr_assert_eq(e->server_port, 53);
	cr_assert_eq(e->qtype, 28);
	cr_assert(e->from_response);
	cr_assert_eq(e->frame, 7);
	free(mr);
	ev_free(s);
}

Test(event, retransmission_is_counted_not_duplicated)
{
	struct evstore *s = ev_new(0, 1);
	struct dns_msg *mq = msg(5, false, "c.example", 1);
	struct pkt q1 = mk("10.0.0.2", 40000, "192.0.2.53", 53, 100, 1);
	ev_add_dns(s, &q1, EVP_DNS_UDP, mq, 0, 0);
	struct pkt q2 = mk("10.0.0.2", 40000, "192.0.2.53", 53, 101, 2);
	ev_add_dns(s, &q2, EVP_DNS_UDP, mq, 0, 0);
	cr_assert_eq(ev_count(s), 1);
	cr_assert_eq(ev_get(s, 0)->retrans, 1);
	free(mq);
	ev_free(s);
}

/* RFC 6762 5.2: an mDNS querier repeats a multicast question (ID 0) on
 * purpose; each repeat is a question of its own (the capture: 0 s,
 * 16 s and 48 s: three rows, not one "2 resent"). */
Test(event, mdns_repeats_are_separate_questions)
{
	struct evstore *s = ev_new(0, 1);
	struct dns_msg *mq = msg(0, false, "printer.local", 255);
	int64_t at[3] = {100, 116, 148};
	for (int i = 0; i < 3; i++) {
		struct pkt q = mk("192.168.1.10", 5353, "224.0.0.251", 5353, at[i], (uint64_t)i + 1);
		ev_add_dns(s, &q, EVP_MDNS, mq, 0, 0);
	}
	cr_assert_eq(ev_count(s), 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(ev_get(s, i)->retrans, 0);
		cr_assert_eq(ev_get(s, i)->ts_sec, at[i]);
	}
	free(mq);
	/* a unicast one-shot query with an ID of its own retries as DNS */
	struct dns_msg *mu = msg(77, false, "nas.local", 1);
	struct pkt u1 = mk("192.168.1.10", 40001, "192.168.1.20", 5353, 200, 10);
	struct pkt u2 = mk("192.168.1.10", 40001, "192.168.1.20", 5353, 201, 11);
	ev_add_dns(s, &u1, EVP_MDNS, mu, 0, 0);
	ev_add_dns(s, &u2, EVP_MDNS, mu, 0, 0);
	cr_assert_eq(ev_count(s), 4);
	cr_assert_eq(ev_get(s, 3)->retrans, 1);
	free(mu);
	ev_free(s);
}

/* RFC 4795 7: LLMNR retries after 1 s, at most 3 times, same ID. */
Test(event, llmnr_retry_only_within_its_timeouts)
{
	struct evstore *s = ev_new(0, 1);
	struct dns_msg *mq = msg(0x4242, false, "fileserver", 1);
	int64_t at[4] = {100, 101, 102, 116}; /* two retries, then the name asked again */
	for (int i = 0; i < 4; i++) {
		struct pkt q = mk("192.168.1.10", 50000, "224.0.0.252", 5355, at[i], (uint64_t)i + 1);
		ev_add_dns(s, &q, EVP_LLMNR, mq, 0, 0);
	}
	cr_assert_eq(ev_count(s), 2);
	cr_assert_eq(ev_get(s, 0)->retrans, 2);
	cr_assert_eq(ev_get(s, 1)->ts_sec, 116);
	cr_assert_eq(ev_get(s, 1)->retrans, 0);
	free(mq);
	ev_free(s);
}

Test(event, several_questions_several_events_in_order)
{
	struct evstore *s = ev_new(0, 1);
	struct dns_msg *m = msg(0, false, "one.local", 12);
	m->nq = 3;
	snprintf(m->q[1].name, sizeof(m->q[1].name), "two.local");
	m->q[1].qtype = 33;
	snprintf(m->q[2].name, sizeof(m->q[2].name), "three.local");
	m->q[2].qtype = 16;
	struct pkt q = mk("10.0.0.2", 5353, "224.0.0.251", 5353, 100, 1);
	ev_add_dns(s, &q, EVP_MDNS, m, 0, 0);
	ev_sort(s);
	cr_assert_eq(ev_count(s), 3);
	cr_assert_str_eq(ev_get(s, 0)->qname, "one.local");
	cr_assert_str_eq(ev_get(s, 1)->qname, "two.local");
	cr_assert_str_eq(ev_get(s, 2)->qname, "three.local");
	free(m);
	ev_free(s);
}

Test(event, cap_drops_and_counts)
{
	struct evstore *s = ev_new(2, 1);
	struct dns_msg *m = msg(0, false, "x.example", 1);
	for (int i = 0; i < 5; i++) {
		struct pkt q = mk("10.0.0.2", (uint16_t)(1000 + i), "192.0.2.53", 53, 100, (uint64_t)i + 1);
		ev_add_dns(s, &q, EVP_DNS_UDP, m, 0, 0);
	}
	cr_assert_eq(ev_count(s), 2);
	cr_assert_eq(ev_dropped(s), 3);
	cr_assert(ev_cap_reached(s));
	free(m);
	ev_free(s);
}

Test(event, sort_is_by_time_then_frame)
{
	struct evstore *s = ev_new(0, 1);
	struct dns_msg *m = msg(0, false, "x.example", 1);
	struct pkt a = mk("10.0.0.2", 1, "192.0.2.53", 53, 200, 9);
	struct pkt b = mk("10.0.0.2", 2, "192.0.2.53", 53, 100, 3);
	ev_add_dns(s, &a, EVP_DNS_UDP, m, 0, 0);
	ev_add_dns(s, &b, EVP_DNS_UDP, m, 0, 0);
	ev_sort(s);
	cr_assert_eq(ev_get(s, 0)->frame, 3);
	cr_assert_eq(ev_get(s, 1)->frame, 9);
	free(m);
	ev_free(s);
}

/* Regression (found by comparing -j 1 and -j 2 on the bench capture): when a
 * pending query had expired, the expired entry was unlinked and the next
 * entry of its hash chain was then overwritten with the new query, under
 * the other key.  With thousands of keys every chain is shared: every resend
 * within the timeout must still be a retransmission. */
Test(event, expired_pending_does_not_corrupt_its_chain)
{
	struct evstore *s = ev_new(0, 1);
	struct dns_msg *m = msg(7, false, "x.example", 1);
	const int n = 10000;
	for (int i = 0; i < n; i++) {
		struct pkt q = mk("10.0.0.2", (uint16_t)(1000 + i), "192.0.2.53", 53, 100, (uint64_t)i + 1);
		ev_add_dns(s, &q, EVP_DNS_UDP, m, 0, 0);
	}
	/* 100 s later every pending entry has expired: each is asked anew... */
	for (int i = 0; i < n; i++) {
		struct pkt q = mk("10.0.0.2", (uint16_t)(1000 + i), "192.0.2.53", 53, 200, (uint64_t)n + i + 1);
		ev_add_dns(s, &q, EVP_DNS_UDP, m, 0, 0);
	}
	/* ...and resent a second later: retransmissions, not new questions */
	for (int i = 0; i < n; i++) {
		struct pkt q = mk("10.0.0.2", (uint16_t)(1000 + i), "192.0.2.53", 53, 201, (uint64_t)2 * n + i + 1);
		ev_add_dns(s, &q, EVP_DNS_UDP, m, 0, 0);
	}
	cr_assert_eq(ev_count(s), (size_t)2 * n);
	for (size_t i = 0; i < ev_count(s); i++) {
		const struct ev *e = ev_get(s, i);
		/* the first round: never resent; the second: resent once; the
		 * third round's packets are retransmissions, never events */
		cr_assert_leq(e->frame, (uint64_t)2 * n, "frame %llu became an event", (unsigned long long)e->frame);
		cr_assert_eq(e->retrans, e->frame <= (uint64_t)n ? 0u : 1u, "frame %llu: %u retransmissions",
			     (unsigned long long)e->frame, e->retrans);
	}
	free(m);
	ev_free(s);
}

/* ---------------------------------------------------------------------- */
/* The spilled store: blocks of 4 events, one in memory besides the current
 * one, a cache of 2: almost every event lives in the temporary file. */

/* Adds n queries (answered two packets later for even i) at the times
 * t(i), to s. */
static void fill_store(struct evstore *s, size_t n, int64_t (*t)(size_t))
{
	for (size_t i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "q%zu.example", i);
		struct pkt q = mk("10.0.0.2", (uint16_t)(20000 + i), "192.0.2.53", 53, t(i), 2 * i + 1);
		struct dns_msg *mq = msg((uint16_t)i, false, name, 1);
		ev_add_dns(s, &q, EVP_DNS_UDP, mq, 0, 0);
		free(mq);
		if (i % 2 == 0 && i >= 4) {
			/* the answer to a question asked 4 queries ago: its event
			 * may be spilled by now */
			size_t j = i - 4;
			snprintf(name, sizeof(name), "q%zu.example", j);
			struct pkt r = mk("192.0.2.53", 53, "10.0.0.2", (uint16_t)(20000 + j), t(j), 2 * i + 2);
			struct dns_msg *mr = msg((uint16_t)j, true, name, 1);
			add_answer(mr, 1, "192.0.2.1");
			ev_add_dns(s, &r, EVP_DNS_UDP, mr, 0, 0);
			free(mr);
		}
	}
}

static int64_t t_in_order(size_t i)
{
	return 1000 + (int64_t)i;
}

static int64_t t_shuffled(size_t i)
{
	return 1000 + (int64_t)((i * 7919) % 1009); /* many runs: the index sort */
}

static int64_t t_shuffled_big(size_t i)
{
	return 1000 + (int64_t)((i * 7919) % 20011); /* formed runs of 256, then two merge passes */
}

static int64_t t_two_runs(size_t i)
{
	return i < 300 ? 2000 + (int64_t)i : 1000 + (int64_t)i; /* two runs: the merge */
}

static void same_stores(int64_t (*t)(size_t), size_t n)
{
	struct evstore *a = ev_new(0, 1), *b = ev_new(0, 1);
	ev_set_storage(b, 4, 1, 2);
	fill_store(a, n, t);
	fill_store(b, n, t);
	ev_sort(a);
	ev_sort(b);
	/* a response whose query was forgotten (swept: over two minutes
	 * before the latest time seen) makes an event of its own */
	cr_assert_geq(ev_count(a), n);
	cr_assert_eq(ev_count(b), ev_count(a));
	n = ev_count(a);
	for (size_t i = 0; i < n; i++) {
		struct ev x = *ev_get(a, i);
		const struct ev *y = ev_get(b, i);
		cr_assert_str_eq(x.qname, y->qname, "event %zu", i);
		cr_assert_eq(x.ts_sec, y->ts_sec);
		cr_assert_eq(x.frame, y->frame);
		cr_assert_eq(x.from_response, y->from_response);
		cr_assert_eq(x.answered, y->answered, "%s", x.qname);
		cr_assert_eq(x.resp_frame, y->resp_frame, "%s", x.qname);
		if (i)
			cr_assert_leq(ev_get(b, i - 1)->ts_sec, ev_get(b, i)->ts_sec);
	}
	/* the changes of a verdict pass land on spilled events, and readers
	 * of a host view see them */
	for (size_t i = 0; i < n; i++)
		ev_get_mut(b, i)->host_idx = (int32_t)(i % 3);
	ev_seal(b);
	struct ev_hostview *v = ev_hostview_new(b, 3);
	struct ev_reader *r = ev_reader_new(b, v);
	size_t seen = 0;
	for (size_t h = 0; h < 3; h++)
		for (size_t p = ev_hostview_start(v, h); p < ev_hostview_start(v, h + 1); p++) {
			const struct ev *e = ev_read(r, p);
			cr_assert_eq(e->host_idx, (int32_t)h);
			seen++;
		}
	cr_assert_eq(seen, n);
	cr_assert_eq(ev_hostview_start(v, 3), n); /* none without a host */
	ev_reader_free(r);
	ev_hostview_free(v);
	/* one host only: the view is the store itself, in its order */
	for (size_t i = 0; i < n; i++)
		ev_get_mut(b, i)->host_idx = 0;
	ev_seal(b);
	v = ev_hostview_new(b, 3);
	cr_assert_eq(ev_hostview_start(v, 0), 0);
	cr_assert_eq(ev_hostview_start(v, 1), n);
	r = ev_reader_new(b, v);
	struct ev_reader *plain = ev_reader_new(b, NULL);
	for (size_t i = 0; i < n; i++) {
		struct ev x = *ev_read(plain, i);
		const struct ev *y = ev_read(r, i);
		cr_assert_eq(x.frame, y->frame);
		cr_assert_eq(y->host_idx, 0);
	}
	ev_reader_free(plain);
	ev_reader_free(r);
	ev_hostview_free(v);
	ev_free(a);
	ev_free(b);
}

Test(event, spilled_store_in_order)
{
	same_stores(t_in_order, 600);
}

Test(event, spilled_store_two_runs_merged)
{
	same_stores(t_two_runs, 600);
}

Test(event, spilled_store_shuffled)
{
	same_stores(t_shuffled, 600);
}

Test(event, spilled_store_shuffled_merge_passes)
{
	same_stores(t_shuffled_big, 20000);
}

/* Every anomaly bit has its name (event.c, beside event.h's and dns.h's bits). */
Test(event, every_anomaly_bit_has_a_name)
{
	static const uint32_t bits[] = {
		DNS_ANOM_COMPRESSION_LOOP, DNS_ANOM_FORWARD_POINTER, DNS_ANOM_LABEL_TOO_LONG, DNS_ANOM_NAME_TOO_LONG,
		DNS_ANOM_COUNT_MISMATCH, DNS_ANOM_TRUNCATED_RR, DNS_ANOM_TRAILING_BYTES, DNS_ANOM_TOO_MANY_QUESTIONS,
		DNS_ANOM_TOO_MANY_RRS, DNS_ANOM_BAD_RDATA, DNS_ANOM_BAD_CHARS, DNS_ANOM_POINTER_INTO_HEADER,
		DNS_ANOM_RESERVED_Z, DNS_ANOM_ODD_OPCODE, DNS_ANOM_BAD_OPT, EV_ANOM_TRUNCATED, EV_ANOM_UNDECODABLE,
		EV_ANOM_TCP_GAP, EV_ANOM_TCP_RESYNC,
	};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct sbuf b = {0};
		ev_anomaly_text(&b, bits[i]);
		cr_expect(b.s && b.s[0] != '(', "bit 0x%x has no name: %s", bits[i], b.s ? b.s : "");
		sb_free(&b);
	}
	struct sbuf b = {0};
	ev_anomaly_text(&b, DNS_ANOM_COMPRESSION_LOOP | EV_ANOM_TRUNCATED);
	cr_expect_str_eq(b.s, "compression-loop, snapped (0x10001)");
	sb_free(&b);
}
