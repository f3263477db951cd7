/* stream.c - TCP streams: DNS over TCP (RFC 7766), TLS ClientHello (RFC 8446), DoH over HTTP/1.1 and h2c (RFC 8484, 9113). */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "dns-tcp.h"
#include "doh.h"
#include "nameport.h"

enum stream_kind { STREAM_DNS = 1, STREAM_TLS, STREAM_HTTP1, STREAM_H2 };

struct stream {
	enum stream_kind kind;
	enum ev_proto proto;          /* DNS streams: dns-tcp or llmnr */
	struct tcp_conn conn;
	struct stream_ctx *ctx;
	uint32_t iref;
	/* DNS */
	struct dnstcp_dir dt[2];
	uint32_t pending_anom[2];     /* gap/resync marks for the next message */
	/* TLS */
	uint8_t *hello;
	size_t hello_len;
	bool hello_done;
	bool counting;
	long tag;
	struct tls_rec_count rec;
	/* HTTP */
	uint8_t *hbuf[2];
	size_t hlen[2];
	bool not_doh;
	struct doh_h2 *h2;
	bool h2_dead;
	const struct pkt *cur_pkt;    /* packet whose bytes are being delivered */
	int cur_dir;
};

void stream_ctx_init(struct stream_ctx *c, const struct stream_hooks *h)
{
	memset(c, 0, sizeof(*c));
	tcp_ctx_init(&c->tcp);
	c->hooks = *h;
	c->msg = xmalloc(sizeof(*c->msg));
	size_t big = sizeof(struct doh_req) > sizeof(struct doh_resp) ? sizeof(struct doh_req) : sizeof(struct doh_resp);
	c->scratch = xmalloc(big);
}

void stream_ctx_free(struct stream_ctx *c)
{
	free(c->msg);
	free(c->scratch);
	c->msg = NULL;
	c->scratch = NULL;
}

static bool starts_with(const struct pkt *p, const char *s)
{
	size_t n = strlen(s);
	return p->payload_len >= n && memcmp(p->payload, s, n) == 0;
}

struct stream *stream_open(struct stream_ctx *c, const struct pkt *p, int dir)
{
	enum stream_kind kind = 0;
	enum ev_proto proto = EVP_DNS_TCP;
	const struct nameport *np = nameport_of(6, p->sport, p->dport); /* nameport.c */
	if (np && np->cleartext) {
		kind = STREAM_DNS;
		proto = np->proto;
	} else if (dir == 0 && p->payload_len >= 6 && p->payload[0] == 0x16 && p->payload[1] == 0x03 &&
		   p->payload[5] == 1) {
		kind = STREAM_TLS; /* handshake record carrying a ClientHello */
	} else if (dir == 0 && doh_h2_preface(p->payload, p->payload_len) && p->payload_len >= 3) {
		kind = STREAM_H2;
	} else if (dir == 0 && (starts_with(p, "GET /") || starts_with(p, "POST /"))) {
		kind = STREAM_HTTP1;
	} else if (dir == 0 && p->payload_len >= 14 &&
		   (uint32_t)((p->payload[0] << 8) | p->payload[1]) == p->payload_len - 2u &&
		   dns_parse(p->payload + 2, p->payload_len - 2u, c->msg) == 0 && !c->msg->qr && c->msg->nq >= 1) {
		/* DNS over TCP on another port: a complete length-prefixed
		 * query in the first segment (RFC 7766 framing) */
		kind = STREAM_DNS;
	}
	if (!kind)
		return NULL;
	struct stream *s = xcalloc(1, sizeof(*s));
	s->kind = kind;
	s->proto = proto;
	s->ctx = c;
	s->tag = -1;
	tcp_conn_init(&s->conn);
	if (kind == STREAM_DNS) {
		dnstcp_init(&s->dt[0]);
		dnstcp_init(&s->dt[1]);
	}
	c->opened++;
	return s;
}

/* ---------------------------------------------------------------------- */

static void on_dns_msg(void *user, const uint8_t *msg, size_t len, const struct dnstcp_info *mi)
{
	struct stream *s = user;
	struct stream_ctx *c = s->ctx;
	uint32_t anom = (mi->anom & DNSTCP_ANOM_GAP ? EV_ANOM_TCP_GAP : 0) |
			(mi->anom & DNSTCP_ANOM_RESYNC ? EV_ANOM_TCP_RESYNC : 0);
	if (dns_parse(msg, len, c->msg) < 0) {
		c->undecodable++;
		return;
	}
	c->dns_msgs++;
	c->hooks.dns(c->hooks.user, mi->pkt, s->cur_dir, s->proto, c->msg, anom, s->iref);
}

static void deliver_dns(struct stream *s, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	dnstcp_feed(&s->dt[dir], data, len, src, on_dns_msg, s);
}

static void deliver_tls(struct stream *s, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct stream_ctx *c = s->ctx;
	if (s->counting)
		tls_count_app_records(&s->rec, dir, data, len);
	if (s->hello_done || dir != 0)
		return;
	if (!s->hello)
		s->hello = xmalloc(STREAM_HELLO_MAX);
	size_t take = len < STREAM_HELLO_MAX - s->hello_len ? len : STREAM_HELLO_MAX - s->hello_len;
	memcpy(s->hello + s->hello_len, data, take);
	s->hello_len += take;
	struct tls_hello h;
	int r = tls_parse_client_hello(s->hello, s->hello_len, &h);
	if (r == 1 && s->hello_len < STREAM_HELLO_MAX)
		return; /* the hello goes on in the next segment */
	s->hello_done = true;
	if (r == 0)
		c->hellos++;
	/* NULL when the hello did not parse: the caller falls back on nDPI */
	c->hooks.hello(c->hooks.user, src->pkt, r == 0 ? &h : NULL, s->iref);
	if (s->counting)
		tls_count_app_records(&s->rec, 0, s->hello, s->hello_len);
	free(s->hello);
	s->hello = NULL;
}

static void h2_msg(void *user, const struct doh_h2_msg *m)
{
	struct stream *s = user;
	struct stream_ctx *c = s->ctx;
	if (m->kind != DOH_KIND_WIRE_GET && m->kind != DOH_KIND_WIRE_POST && m->kind != DOH_KIND_WIRE_RESPONSE)
		return;
	if (dns_parse(m->msg, m->msg_len, c->msg) < 0) {
		c->undecodable++;
		return;
	}
	c->doh_msgs++;
	c->hooks.dns(c->hooks.user, s->cur_pkt, m->dir, EVP_DOH, c->msg, 0, s->iref);
}

/* HTTP/1.1: one message per direction at a time, bounded; pipelined
 * messages are taken in turn (consumed says where the next starts). */
static void deliver_http1(struct stream *s, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct stream_ctx *c = s->ctx;
	if (s->not_doh)
		return;
	if (!s->hbuf[dir])
		s->hbuf[dir] = xmalloc(STREAM_HTTP_MAX);
	size_t take = len < STREAM_HTTP_MAX - s->hlen[dir] ? len : STREAM_HTTP_MAX - s->hlen[dir];
	memcpy(s->hbuf[dir] + s->hlen[dir], data, take);
	s->hlen[dir] += take;
	for (int guard = 0; guard < 64 && s->hlen[dir] > 0; guard++) {
		size_t used = 0;
		const uint8_t *msg = NULL;
		size_t msg_len = 0;
		int r;
		if (dir == 0) {
			struct doh_req *q = c->scratch;
			r = doh_http1_request(s->hbuf[0], s->hlen[0], q);
			if (r == 0) {
				used = q->consumed;
				if (q->kind == DOH_KIND_WIRE_GET || q->kind == DOH_KIND_WIRE_POST) {
					msg = q->msg;
					msg_len = q->msg_len;
				} else if (q->kind == DOH_KIND_NONE) {
					s->not_doh = true; /* plain web traffic: stop looking */
				}
			}
		} else {
			struct doh_resp *rs = c->scratch;
			r = doh_http1_response(s->hbuf[1], s->hlen[1], rs);
			if (r == 0) {
				used = rs->consumed;
				if (rs->kind == DOH_KIND_WIRE_RESPONSE) {
					msg = rs->msg;
					msg_len = rs->msg_len;
				}
			}
		}
		if (r == 1 && s->hlen[dir] < STREAM_HTTP_MAX)
			return;
		if (r != 0 || used == 0 || used > s->hlen[dir]) {
			s->not_doh = true;
			return;
		}
		if (msg && dns_parse(msg, msg_len, c->msg) == 0) {
			c->doh_msgs++;
			c->hooks.dns(c->hooks.user, src->pkt, dir, EVP_DOH, c->msg, 0, s->iref);
		}
		if (s->not_doh)
			return;
		memmove(s->hbuf[dir], s->hbuf[dir] + used, s->hlen[dir] - used);
		s->hlen[dir] -= used;
	}
}

static void on_data(void *user, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct stream *s = user;
	s->cur_dir = dir;
	s->cur_pkt = src->pkt;
	switch (s->kind) {
	case STREAM_DNS:
		deliver_dns(s, dir, data, len, src);
		break;
	case STREAM_TLS:
		deliver_tls(s, dir, data, len, src);
		break;
	case STREAM_HTTP1:
		deliver_http1(s, dir, data, len, src);
		break;
	case STREAM_H2:
		if (!s->h2 && !s->h2_dead)
			s->h2 = doh_h2_new(h2_msg, s);
		if (s->h2 && doh_h2_feed(s->h2, dir, data, len) < 0 && doh_h2_error(s->h2, 0) != DOH_OK &&
		    doh_h2_error(s->h2, 1) != DOH_OK) {
			doh_h2_free(s->h2);
			s->h2 = NULL;
			s->h2_dead = true;
		}
		break;
	}
}

static void on_gap(void *user, int dir, uint32_t lost)
{
	struct stream *s = user;
	if (s->kind == STREAM_DNS)
		dnstcp_gap(&s->dt[dir], lost);
	else if (s->kind == STREAM_HTTP1)
		s->not_doh = true; /* a hole in HTTP framing: no resync attempted */
	else if (s->kind == STREAM_TLS && dir == 0 && !s->hello_done) {
		s->hello_done = true;
		free(s->hello);
		s->hello = NULL;
		if (s->cur_pkt)
			s->ctx->hooks.hello(s->ctx->hooks.user, s->cur_pkt, NULL, s->iref);
	}
}

void stream_feed(struct stream_ctx *c, struct stream *s, int dir, const struct pkt *p, uint32_t iref)
{
	struct tcp_sink sink = {on_data, on_gap, s};
	s->iref = iref;
	tcp_feed(&c->tcp, &s->conn, dir, p, &sink);
}

void stream_count_records(struct stream *s, long tag)
{
	if (s->kind != STREAM_TLS)
		return;
	s->counting = true;
	s->tag = tag;
	tls_rec_init(&s->rec);
}

bool stream_finished(const struct stream *s)
{
	if (s->kind == STREAM_TLS)
		return s->hello_done && !s->counting;
	if (s->kind == STREAM_HTTP1)
		return s->not_doh;
	if (s->kind == STREAM_H2)
		return s->h2_dead;
	return false;
}

void stream_close(struct stream_ctx *c, struct stream *s, long *tag, uint64_t app[2])
{
	struct tcp_sink sink = {on_data, on_gap, s};
	tcp_conn_flush(&c->tcp, &s->conn, &sink);
	tcp_conn_free(&c->tcp, &s->conn);
	if (s->kind == STREAM_DNS) {
		dnstcp_flush(&s->dt[0]);
		dnstcp_flush(&s->dt[1]);
		dnstcp_free(&s->dt[0]);
		dnstcp_free(&s->dt[1]);
	}
	if (s->kind == STREAM_H2 && s->h2)
		doh_h2_free(s->h2);
	if (s->counting) {
		*tag = s->tag;
		app[0] = s->rec.dir[0].records[3];
		app[1] = s->rec.dir[1].records[3];
	} else {
		*tag = -1;
		app[0] = app[1] = 0;
	}
	free(s->hello);
	free(s->hbuf[0]);
	free(s->hbuf[1]);
	free(s);
}
