/* event.c - name-resolution events: one per question, matched to responses by flow, id and question (RFC 1035 7.3). */
#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An unanswered query is forgotten (stays an event, unanswered) after this
 * much capture time, so the pending table stays bounded. */
#define PEND_TIMEOUT 60
#define PEND_SWEEP_EVERY 4096
#define ANSWERS_TEXT_MAX 2048

struct pend_key {
	struct ls_addr client, server;
	uint16_t cport, sport, txid;
	uint8_t proto;
};

struct pend {
	struct pend_key k;
	size_t first;   /* index of the first event of the query message */
	uint32_t n;     /* its questions */
	int64_t ts;
	struct pend *next;
};

/* Interned strings: names, answers and server names repeat across
 * thousands of events, so each distinct text is kept once.  Open
 * addressing, seeded hash, grown at half load; freed with the store. */
struct strtab {
	char **slot;
	size_t cap, n;
	uint64_t seed;
};

static const char *intern(struct strtab *t, const char *s)
{
	if (!s)
		return NULL;
	if (2 * (t->n + 1) > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 1024;
		char **ns = xcalloc(nc, sizeof(*ns));
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slot[i])
				continue;
			size_t j = (size_t)hash_bytes(t->slot[i], strlen(t->slot[i]), t->seed) & (nc - 1);
			while (ns[j])
				j = (j + 1) & (nc - 1);
			ns[j] = t->slot[i];
		}
		free(t->slot);
		t->slot = ns;
		t->cap = nc;
	}
	size_t len = strlen(s);
	size_t j = (size_t)hash_bytes(s, len, t->seed) & (t->cap - 1);
	while (t->slot[j]) {
		if (strcmp(t->slot[j], s) == 0)
			return t->slot[j];
		j = (j + 1) & (t->cap - 1);
	}
	t->slot[j] = xmalloc(len + 1);
	memcpy(t->slot[j], s, len + 1);
	t->n++;
	return t->slot[j];
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

struct evstore {
	struct strtab strs;
	struct ev *v;
	size_t n, cap, max;
	uint64_t dropped;
	bool sorted;
	struct pend **pb;
	size_t npb;
	size_t npend;
	uint64_t adds;
	int64_t now;
	uint64_t seed;
};

struct evstore *ev_new(size_t max_events, uint64_t seed)
{
	struct evstore *s = xcalloc(1, sizeof(*s));
	s->max = max_events;
	s->npb = 4096;
	s->pb = xcalloc(s->npb, sizeof(*s->pb));
	s->seed = seed;
	s->strs.seed = seed;
	return s;
}

void ev_free(struct evstore *s)
{
	if (!s)
		return;
	strtab_free(&s->strs);
	free(s->v);
	for (size_t b = 0; b < s->npb; b++) {
		struct pend *p = s->pb[b], *nx;
		for (; p; p = nx) {
			nx = p->next;
			free(p);
		}
	}
	free(s->pb);
	free(s);
}

void ev_move(struct evstore *dst, struct evstore *src)
{
	if (src->n) /* src->v is NULL when empty */
		dst->v = xgrow(dst->v, &dst->cap, dst->n + src->n, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		struct ev e = src->v[i];
		/* strings live in each store's table: take them over */
		e.qname = intern(&dst->strs, e.qname);
		e.answers = intern(&dst->strs, e.answers);
		e.sni = intern(&dst->strs, e.sni);
		e.encap = intern(&dst->strs, e.encap);
		dst->v[dst->n++] = e;
	}
	dst->dropped += src->dropped;
	dst->sorted = false;
	src->n = 0;
}

size_t ev_count(const struct evstore *s)
{
	return s->n;
}

struct ev *ev_get(struct evstore *s, size_t i)
{
	return i < s->n ? &s->v[i] : NULL;
}

bool ev_cap_reached(const struct evstore *s)
{
	return s->dropped > 0;
}

uint64_t ev_dropped(const struct evstore *s)
{
	return s->dropped;
}

static struct ev *ev_alloc(struct evstore *s)
{
	if (s->max && s->n >= s->max) {
		s->dropped++;
		return NULL;
	}
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	struct ev *e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->rcode = -1;
	e->rtt_us = -1;
	e->tunnel_idx = -1;
	e->host_idx = -1;
	e->route_idx = -1;
	return e;
}

static void ev_fill_common(struct evstore *s, struct ev *e, const struct pkt *p, enum ev_proto proto,
			   uint32_t iface_ref, bool from_client)
{
	e->file_idx = p->file_idx;
	e->frame = p->cp->frame;
	e->ts_sec = p->cp->ts_sec;
	e->ts_nsec = p->cp->ts_nsec;
	e->iface_ref = iface_ref;
	e->proto = proto;
	e->client = from_client ? p->src : p->dst;
	e->server = from_client ? p->dst : p->src;
	e->client_port = from_client ? p->sport : p->dport;
	e->server_port = from_client ? p->dport : p->sport;
	e->vlan = p->nvlan ? p->vlan[p->nvlan - 1] : 0;
	if (p->nencap) {
		struct sbuf b = {0};
		for (uint8_t i = 0; i < p->nencap && i < LS_MAX_ENCAP; i++) {
			if (i)
				sb_add(&b, " ");
			sb_add(&b, p->encap[i] ? p->encap[i] : "?");
		}
		e->encap = intern(&s->strs, b.s);
		sb_free(&b);
		e->outer_src = from_client ? p->outer_src : p->outer_dst;
		e->outer_dst = from_client ? p->outer_dst : p->outer_src;
	}
	if (p->has_mac) {
		/* the client's MAC: source of a query, destination of a response */
		const uint8_t *mac = from_client ? p->src_mac : p->dst_mac;
		static const uint8_t zero[6];
		if (memcmp(mac, zero, 6) != 0) {
			e->has_mac = true;
			memcpy(e->client_mac, mac, 6);
		}
	}
}

static size_t pend_bucket(const struct evstore *s, const struct pend_key *k)
{
	return (size_t)(hash_bytes(k, sizeof(*k), s->seed) & (s->npb - 1));
}

static void pend_key_make(struct pend_key *k, const struct pkt *p, enum ev_proto proto, uint16_t txid,
			  bool from_client)
{
	memset(k, 0, sizeof(*k));
	k->client = from_client ? p->src : p->dst;
	k->server = from_client ? p->dst : p->src;
	k->cport = from_client ? p->sport : p->dport;
	k->sport = from_client ? p->dport : p->sport;
	k->txid = txid;
	k->proto = (uint8_t)proto;
	/* Multicast questions (mDNS, LLMNR) are answered by unicast from whoever
	 * knows: match those by client side and id only. */
	if (addr_is_multicast(&k->server) || proto == EVP_MDNS || proto == EVP_LLMNR || proto == EVP_NBNS) {
		memset(&k->server, 0, sizeof(k->server));
		k->sport = 0;
	}
}

static struct pend **pend_find(struct evstore *s, const struct pend_key *k)
{
	struct pend **pp = &s->pb[pend_bucket(s, k)];
	while (*pp && memcmp(&(*pp)->k, k, sizeof(*k)) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void pend_sweep(struct evstore *s)
{
	for (size_t b = 0; b < s->npb; b++) {
		struct pend **pp = &s->pb[b];
		while (*pp) {
			if (s->now - (*pp)->ts > 2 * PEND_TIMEOUT) {
				struct pend *dead = *pp;
				*pp = dead->next;
				free(dead);
				s->npend--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
}

static char *answers_text(const struct dns_msg *m)
{
	struct sbuf b = {0};
	char tb[16];
	for (size_t i = 0; i < m->nrr; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->section != DNS_SEC_ANSWER)
			continue;
		if (b.len > ANSWERS_TEXT_MAX) {
			sb_add(&b, ",...");
			break;
		}
		if (b.len)
			sb_add(&b, ",");
		sb_add(&b, ev_qtype_str(rr->type, tb, sizeof(tb)));
		sb_add(&b, " ");
		sb_add(&b, rr->data);
	}
	return b.s;
}

static void fill_response(struct evstore *s, struct ev *e, const struct pkt *p, const struct dns_msg *m,
			  const char *answers)
{
	e->answered = true;
	e->rcode = m->rcode;
	e->answers = intern(&s->strs, answers);
	e->resp_frame = p->cp->frame;
	e->resp_file_idx = p->file_idx;
	int64_t d = (p->cp->ts_sec - e->ts_sec) * 1000000 + ((int64_t)p->cp->ts_nsec - (int64_t)e->ts_nsec) / 1000;
	e->rtt_us = d >= 0 && d <= INT32_MAX ? (int32_t)d : -1;
	e->anomalies |= m->anomalies;
}

void ev_add_dns(struct evstore *s, const struct pkt *p, enum ev_proto proto, const struct dns_msg *m,
		uint32_t iface_ref, uint32_t extra_anom)
{
	s->sorted = false;
	if (p->cp->ts_sec > s->now)
		s->now = p->cp->ts_sec;
	if (++s->adds % PEND_SWEEP_EVERY == 0)
		pend_sweep(s);

	struct pend_key k;
	pend_key_make(&k, p, proto, m->id, !m->qr);
	struct pend **pp = pend_find(s, &k);
	/* Expiry is decided here, by this packet's own time, not by when the
	 * sweep last ran: the sweep's timing depends on how many messages a
	 * thread saw, and results must not (-j gives the same reports). */
	if (*pp && p->cp->ts_sec - (*pp)->ts > PEND_TIMEOUT) {
		struct pend *dead = *pp;
		*pp = dead->next;
		free(dead);
		s->npend--;
		pp = pend_find(s, &k); /* *pp was the next entry of the chain: find the end again */
	}

	if (!m->qr) {
		if (m->nq == 0)
			return;
		/* A retransmission: same key and same first question, not yet answered. */
		if (*pp) {
			struct ev *f = &s->v[(*pp)->first];
			if (f->qtype == m->q[0].qtype && f->qname && strcasecmp(f->qname, m->q[0].name) == 0) {
				for (uint32_t i = 0; i < (*pp)->n; i++)
					s->v[(*pp)->first + i].retrans++;
				return;
			}
		}
		size_t first = s->n;
		uint32_t made = 0;
		for (size_t i = 0; i < m->nq; i++) {
			struct ev *e = ev_alloc(s);
			if (!e)
				break;
			ev_fill_common(s, e, p, proto, iface_ref, true);
			e->txid = m->id;
			e->qname = intern(&s->strs, m->q[i].name);
			e->qtype = m->q[i].qtype;
			e->qindex = (uint16_t)i;
			e->anomalies = m->anomalies | extra_anom;
			made++;
		}
		if (!made)
			return;
		struct pend *pe = *pp;
		if (!pe) {
			pe = xcalloc(1, sizeof(*pe));
			pe->k = k;
			*pp = pe;
			s->npend++;
		}
		pe->first = first;
		pe->n = made;
		pe->ts = p->cp->ts_sec;
		return;
	}

	/* A response. */
	char *ans = answers_text(m);
	if (*pp) {
		struct pend *pe = *pp;
		bool any = false;
		for (uint32_t i = 0; i < pe->n; i++) {
			struct ev *e = &s->v[pe->first + i];
			bool match = m->nq == 0;
			if (!match && (e->anomalies & EV_ANOM_UNDECODABLE) && !(m->q[0].qtype == 0 &&
			    strcmp(m->q[0].name, "(undecodable)") == 0)) {
				/* the query's name did not parse but the answer's
				 * does: the response tells what was asked */
				e->qname = intern(&s->strs, m->q[e->qindex < m->nq ? e->qindex : 0].name);
				e->qtype = m->q[e->qindex < m->nq ? e->qindex : 0].qtype;
				match = true;
			}
			for (size_t j = 0; j < m->nq && !match; j++)
				match = e->qtype == m->q[j].qtype && e->qname &&
					strcasecmp(e->qname, m->q[j].name) == 0;
			if (match) {
				fill_response(s, e, p, m, ans);
				any = true;
			}
		}
		if (any) {
			*pp = pe->next;
			free(pe);
			s->npend--;
			free(ans);
			return;
		}
	}
	/* No query seen: the questions get rows of their own, keyed from the
	 * client's side (the response's destination). */
	for (size_t i = 0; i < m->nq; i++) {
		struct ev *e = ev_alloc(s);
		if (!e)
			break;
		ev_fill_common(s, e, p, proto, iface_ref, false);
		e->txid = m->id;
		e->qname = intern(&s->strs, m->q[i].name);
		e->qtype = m->q[i].qtype;
		e->qindex = (uint16_t)i;
		e->from_response = true;
		e->anomalies = m->anomalies | extra_anom;
		e->answered = true;
		e->rcode = m->rcode;
		e->answers = intern(&s->strs, ans);
		e->resp_frame = p->cp->frame;
		e->resp_file_idx = p->file_idx;
	}
	free(ans);
}

struct ev *ev_add_encrypted(struct evstore *s, const struct pkt *p, enum ev_proto proto, const char *sni,
			    uint32_t iface_ref, bool from_initiator)
{
	s->sorted = false;
	struct ev *e = ev_alloc(s);
	if (!e)
		return NULL;
	ev_fill_common(s, e, p, proto, iface_ref, from_initiator);
	e->sni = sni && sni[0] ? intern(&s->strs, sni) : NULL;
	return e;
}

static int ev_cmp(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	if (a->ts_sec != b->ts_sec)
		return a->ts_sec < b->ts_sec ? -1 : 1;
	if (a->ts_nsec != b->ts_nsec)
		return a->ts_nsec < b->ts_nsec ? -1 : 1;
	if (a->file_idx != b->file_idx)
		return a->file_idx < b->file_idx ? -1 : 1;
	if (a->frame != b->frame)
		return a->frame < b->frame ? -1 : 1;
	if (a->qindex != b->qindex)
		return a->qindex < b->qindex ? -1 : 1;
	/* Distinct events never compare equal: fall back to content. */
	int c = strcmp(a->qname ? a->qname : "", b->qname ? b->qname : "");
	if (c)
		return c;
	return a->qtype < b->qtype ? -1 : a->qtype > b->qtype;
}

void ev_sort(struct evstore *s)
{
	if (s->sorted)
		return;
	/* Pending indices point into the array: sorting happens after the last
	 * packet, so drop them first. */
	s->now = INT64_MAX / 2;
	for (size_t b = 0; b < s->npb; b++) {
		struct pend *p = s->pb[b], *nx;
		for (; p; p = nx) {
			nx = p->next;
			free(p);
		}
		s->pb[b] = NULL;
	}
	s->npend = 0;
	/* With no events s->v is NULL, and qsort's pointer must not be (C11 7.22.5) */
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), ev_cmp);
	s->sorted = true;
}

const char *ev_proto_str(enum ev_proto p)
{
	static const char *const n[] = {"dns-udp", "dns-tcp", "dot", "doh", "doq", "mdns", "llmnr", "nbns"};
	return (unsigned)p < EVP__N ? n[p] : "?";
}

const char *ev_path_str(enum ev_path p)
{
	static const char *const n[] = {"unknown", "tunnel", "outside", "local"};
	return (unsigned)p <= PATH_LOCAL ? n[p] : "?";
}

const char *ev_verdict_str(enum ev_verdict v)
{
	static const char *const n[] = {"-", "ok", "allowed", "leak"};
	return (unsigned)v <= VERDICT_LEAK ? n[v] : "?";
}

const char *ev_category_str(enum ev_category c)
{
	static const char *const n[] = {
		"-", "tunnel", "local", "resolver-bypass", "allowed", "local-link", "bootstrap",
		"kill-switch", "encrypted-outside", "tunnel-resolver-outside", "ipv6-outside",
		"parallel-multihomed", "split-tunnel", "outside-no-tunnel",
	};
	return (unsigned)c < CAT__N ? n[c] : "?";
}

const char *ev_phase_str(enum ev_phase p)
{
	static const char *const n[] = {"-", "before", "up", "gap", "down", "after"};
	return (unsigned)p <= PHASE_AFTER ? n[p] : "?";
}

const char *ev_qtype_str(uint16_t t, char *buf, size_t len)
{
	const char *n = dns_type_name(t);
	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "TYPE%u", (unsigned)t);
	return buf;
}

const char *ev_qtype_label(const struct ev *e, char *buf, size_t len)
{
	if (!e->qname) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (e->proto == EVP_NBNS && (e->qtype == 0x20 || e->qtype == 0x21)) {
		snprintf(buf, len, "%s", e->qtype == 0x20 ? "NB" : "NBSTAT");
		return buf;
	}
	return ev_qtype_str(e->qtype, buf, len);
}
