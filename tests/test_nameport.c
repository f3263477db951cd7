/* test_nameport.c - the one table of name-resolution ports (analyzer/nameport.c). */
#include <criterion/criterion.h>

#include "nameport.h"

static enum ev_proto proto_of(uint8_t tr, uint16_t sp, uint16_t dp)
{
	const struct nameport *n = nameport_of(tr, sp, dp);
	return n ? n->proto : EVP__N;
}

Test(nameport, precedence_and_transports)
{
	cr_expect_eq(proto_of(17, 40000, 53), EVP_DNS_UDP);
	cr_expect_eq(proto_of(17, 5353, 53), EVP_DNS_UDP, "53 wins over 5353 (a resolver library bound to 5353)");
	cr_expect_eq(proto_of(17, 5353, 5353), EVP_MDNS);
	cr_expect_eq(proto_of(17, 5355, 40000), EVP_LLMNR);
	cr_expect_eq(proto_of(17, 137, 137), EVP_NBNS);
	cr_expect_eq(proto_of(17, 40000, 853), EVP_DOQ);
	cr_expect_eq(proto_of(6, 40000, 853), EVP_DOT);
	cr_expect_eq(proto_of(6, 40000, 53), EVP_DNS_TCP);
	/* TCP 5353 is unicast DNS over TCP; TCP 5355 is LLMNR's unicast TCP */
	cr_expect_eq(proto_of(6, 40000, 5353), EVP_DNS_TCP);
	cr_expect_eq(proto_of(6, 5355, 40000), EVP_LLMNR);
	cr_expect_eq(proto_of(6, 40000, 137), EVP__N);
	cr_expect_eq(proto_of(6, 40000, 443), EVP__N, "DoH has no port of its own");
	cr_expect_eq(proto_of(17, 40000, 5300), EVP__N);
	cr_expect_null(nameport_of(50, 53, 53));
}

Test(nameport, who_answers)
{
	/* a question to a group is answered by anyone: only the UDP rows */
	cr_expect(nameport_of(17, 40000, 5353)->any_responder);
	cr_expect(nameport_of(17, 40000, 5355)->any_responder);
	cr_expect(nameport_of(17, 137, 137)->any_responder);
	cr_expect_not(nameport_of(6, 40000, 5353)->any_responder);
	cr_expect_not(nameport_of(6, 40000, 5355)->any_responder);
	cr_expect_not(nameport_of(17, 40000, 53)->any_responder);
	cr_expect(nameport_any_responder(EVP_MDNS));
	cr_expect(nameport_any_responder(EVP_LLMNR));
	cr_expect(nameport_any_responder(EVP_NBNS));
	cr_expect_not(nameport_any_responder(EVP_DNS_UDP));
	cr_expect_not(nameport_any_responder(EVP_DNS_TCP));
	/* cleartext: DNS messages on the wire; DoT and DoQ are not */
	cr_expect(nameport_of(6, 40000, 5353)->cleartext);
	cr_expect_not(nameport_of(6, 40000, 853)->cleartext);
	cr_expect_not(nameport_of(17, 40000, 853)->cleartext);
}

/* ---------------------------------------------------------------------- */
/* TCP 5353 and 5355 end to end: one connection each (SYN, SYN-ACK, ACK, a
 * length-prefixed query, its answer), read as DNS over TCP and LLMNR, the
 * answer matched to the query, and the same with the flows split over 3
 * shards (-j 3): shard_of keeps a TCP connection in one shard. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"

static void tcp_pkt(struct cb_pcap *w, double t, const char *s, const char *d, uint16_t sp, uint16_t dp, uint32_t seq,
		    uint32_t ack, uint8_t fl, const void *pl, size_t len)
{
	uint8_t buf[CB_MAXPKT];
	size_t n = cb_ip_tcp(buf, sizeof(buf), s, d, sp, dp, seq, ack, fl, NULL, pl, len);
	cr_assert_gt(n, 0);
	int64_t sec = (int64_t)t;
	cr_assert_eq(cb_pcap_write(w, 1700000000 + sec, (uint32_t)((t - (double)sec) * 1e9), buf, (uint32_t)n,
				   (uint32_t)n),
		     0);
}

static void tcp_exchange(struct cb_pcap *w, double t, uint16_t cport, uint16_t sport, uint16_t id, const char *name)
{
	const char *c = "192.168.1.10", *s = "192.168.1.20";
	uint8_t q[600], r[600];
	size_t qn = cb_dns_query(q + 2, sizeof(q) - 2, id, name, 1);
	size_t rn = cb_dns_answer_a(r + 2, sizeof(r) - 2, id, name, "192.168.1.77", 60);
	cr_assert(qn > 0 && rn > 0);
	q[0] = (uint8_t)(qn >> 8), q[1] = (uint8_t)qn;
	r[0] = (uint8_t)(rn >> 8), r[1] = (uint8_t)rn;
	tcp_pkt(w, t, c, s, cport, sport, 1000, 0, CB_SYN, NULL, 0);
	tcp_pkt(w, t + 0.001, s, c, sport, cport, 5000, 1001, CB_SYN | CB_ACK, NULL, 0);
	tcp_pkt(w, t + 0.002, c, s, cport, sport, 1001, 5001, CB_ACK, NULL, 0);
	tcp_pkt(w, t + 0.003, c, s, cport, sport, 1001, 5001, CB_ACK | CB_PSH, q, qn + 2);
	tcp_pkt(w, t + 0.004, s, c, sport, cport, 5001, 1001 + (uint32_t)qn + 2, CB_ACK | CB_PSH, r, rn + 2);
}

static void tcp_events(const char *path, unsigned nshards, char *out, size_t len)
{
	struct analysis *sh[3];
	for (unsigned k = 0; k < nshards; k++) {
		struct an_options o;
		an_options_default(&o);
		o.shard = k;
		o.nshards = nshards;
		sh[k] = an_new(&o, NULL);
		cr_assert_eq(an_add_file(sh[k], path), 0);
	}
	for (unsigned k = 1; k < nshards; k++) {
		an_merge_shard(sh[0], sh[k]);
		an_free(sh[k]);
	}
	an_finish(sh[0]);
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ev_count(sh[0]->ev); i++) {
		const struct ev *e = ev_get(sh[0]->ev, i);
		used += (size_t)snprintf(out + used, len - used, "%s %u %s answered=%d rcode=%d\n", ev_proto_str(e->proto),
					 e->server_port, e->qname ? e->qname : "-", e->answered, e->rcode);
		cr_assert_lt(used, len);
	}
	an_free(sh[0]);
}

Test(nameport, tcp_5353_and_5355_whole_and_sharded)
{
	char path[256];
	cr_assert_eq(cb_tmpname(path, sizeof(path), ".pcap"), 0);
	struct cb_pcap *w = cb_pcap_open(path, 101, 65535, 0);
	cr_assert_not_null(w);
	tcp_exchange(w, 1.0, 40001, 5353, 7, "printer.local");
	tcp_exchange(w, 2.0, 40002, 5355, 8, "fileserver");
	tcp_exchange(w, 3.0, 40003, 53, 9, "www.example.com");
	cr_assert_eq(cb_pcap_close(w), 0);
	char one[1024], three[1024];
	tcp_events(path, 1, one, sizeof(one));
	cr_expect_str_eq(one, "dns-tcp 5353 printer.local answered=1 rcode=0\n"
			      "llmnr 5355 fileserver answered=1 rcode=0\n"
			      "dns-tcp 53 www.example.com answered=1 rcode=0\n");
	tcp_events(path, 3, three, sizeof(three));
	cr_expect_str_eq(three, one, "-j 3 differs from -j 1");
	unlink(path);
}
