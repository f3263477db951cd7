/* flow.c - bidirectional flow table with a seeded hash, LRU eviction and idle expiry. */
#include "flow.h"
#include "tcp-reassembly.h"

#include <stdlib.h>
#include <string.h>

struct flowtab {
	struct flow **buckets;
	size_t nbuckets; /* power of two */
	size_t max;
	uint64_t seed;
	/* one LRU list per timeout class, most recent at the head: the tail
	 * of each is the first of its class to expire */
	struct {
		struct flow *head, *tail;
	} lru[FLOW_NCLASSES];
	uint64_t count, peak, evicted;
	int64_t now;      /* latest capture time seen */
	int64_t next_sweep;
	flow_end_fn end;
	void *user;
};

struct flowtab *flow_new(size_t max_flows, uint64_t seed, flow_end_fn end, void *user)
{
	struct flowtab *t = xcalloc(1, sizeof(*t));
	t->max = max_flows ? max_flows : FLOW_DEFAULT_MAX;
	size_t nb = 1024;
	while (nb < t->max && nb < ((size_t)1 << 22))
		nb <<= 1;
	t->nbuckets = nb;
	t->buckets = xcalloc(nb, sizeof(*t->buckets));
	t->seed = seed;
	t->end = end;
	t->user = user;
	return t;
}

static void lru_unlink(struct flowtab *t, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		t->lru[f->cls].head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		t->lru[f->cls].tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_push(struct flowtab *t, struct flow *f)
{
	f->lprev = NULL;
	f->lnext = t->lru[f->cls].head;
	if (f->lnext)
		f->lnext->lprev = f;
	t->lru[f->cls].head = f;
	if (!t->lru[f->cls].tail)
		t->lru[f->cls].tail = f;
}

static size_t bucket_of(const struct flowtab *t, const struct flow_key *k)
{
	return (size_t)(hash_bytes(k, sizeof(*k), t->seed) & (t->nbuckets - 1));
}

static void flow_remove(struct flowtab *t, struct flow *f)
{
	struct flow **pp = &t->buckets[bucket_of(t, &f->key)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	if (t->end)
		t->end(f, t->user);
	dpi_flow_free(&f->dpi);
	dpi_result_clear(&f->dpi_res);
	free(f);
	t->count--;
}

/* Idle timeouts by class, as Linux conntrack's defaults: a UDP exchange
 * (a DNS query and its answer) is done after 30 s, a UDP stream after 120
 * s; a closed TCP connection lingers 30 s for late retransmissions. */
static const int64_t class_timeout[FLOW_NCLASSES] = {
	[FLOW_CL_UDP] = FLOW_UDP_TIMEOUT,
	[FLOW_CL_UDP_STREAM] = FLOW_UDP_STREAM_TIMEOUT,
	[FLOW_CL_TCP] = FLOW_TCP_TIMEOUT,
	[FLOW_CL_TCP_CLOSED] = FLOW_TCP_CLOSED_TIMEOUT,
	[FLOW_CL_OTHER] = FLOW_OTHER_TIMEOUT,
};

static uint8_t class_of(const struct flow *f)
{
	if (f->key.proto == 17)
		return f->pkts[0] && f->pkts[1] && f->pkts[0] + f->pkts[1] > 2 ? FLOW_CL_UDP_STREAM : FLOW_CL_UDP;
	if (f->key.proto == 6)
		return f->tcp_closed ? FLOW_CL_TCP_CLOSED : FLOW_CL_TCP;
	return FLOW_CL_OTHER;
}

/* Expires, class by class, from each list's tail until a live flow is
 * found.  Runs at most once per capture second. */
static void sweep(struct flowtab *t)
{
	for (int c = 0; c < FLOW_NCLASSES; c++)
		while (t->lru[c].tail && t->now - t->lru[c].tail->last_sec > class_timeout[c])
			flow_remove(t, t->lru[c].tail);
}

/* The least recently seen flow of all classes (the cap's victim). */
static struct flow *oldest(const struct flowtab *t)
{
	struct flow *o = NULL;
	for (int c = 0; c < FLOW_NCLASSES; c++) {
		struct flow *f = t->lru[c].tail;
		if (f && (!o || f->last_sec < o->last_sec))
			o = f;
	}
	return o;
}

static void make_key(const struct pkt *p, struct flow_key *k, int *swapped)
{
	memset(k, 0, sizeof(*k));
	int c = addr_cmp(&p->src, &p->dst);
	bool sw = c > 0 || (c == 0 && p->sport > p->dport);
	k->a = sw ? p->dst : p->src;
	k->b = sw ? p->src : p->dst;
	k->pa = sw ? p->dport : p->sport;
	k->pb = sw ? p->sport : p->dport;
	k->vlan = p->nvlan ? p->vlan[p->nvlan - 1] : 0;
	k->proto = p->proto;
	*swapped = sw;
}

struct flow *flow_lookup(struct flowtab *t, const struct pkt *p, int *dir)
{
	struct flow_key k;
	int sw;
	make_key(p, &k, &sw);
	int64_t ts = p->cp->ts_sec;
	if (ts > t->now)
		t->now = ts;
	if (t->now >= t->next_sweep) {
		sweep(t);
		t->next_sweep = t->now + 1;
	}
	size_t b = bucket_of(t, &k);
	struct flow *f;
	for (f = t->buckets[b]; f; f = f->hnext)
		if (memcmp(&f->key, &k, sizeof(k)) == 0)
			break;
	if (!f) {
		struct flow *victim = t->count >= t->max ? oldest(t) : NULL;
		if (victim) {
			t->evicted++;
			victim->evicted = true;
			flow_remove(t, victim);
		}
		f = xcalloc(1, sizeof(*f));
		f->key = k;
		f->first_sec = ts;
		f->first_nsec = p->cp->ts_nsec;
		f->init_addr = p->src;
		f->init_port = p->sport;
		f->hnext = t->buckets[b];
		t->buckets[b] = f;
		t->count++;
		if (t->count > t->peak)
			t->peak = t->count;
	} else {
		lru_unlink(t, f);
	}
	f->last_sec = ts;
	*dir = (addr_cmp(&p->src, &f->init_addr) == 0 && p->sport == f->init_port) ? 0 : 1;
	f->pkts[*dir]++;
	f->bytes[*dir] += p->payload_len;
	if (p->proto == 6) {
		if (p->tcp_flags & TCP_FLAG_RST)
			f->tcp_closed = true;
		if (p->tcp_flags & TCP_FLAG_FIN)
			f->tcp_fin |= (uint8_t)(1u << *dir);
		if (f->tcp_fin == 3)
			f->tcp_closed = true;
	}
	f->cls = class_of(f);
	lru_push(t, f);
	return f;
}

void flow_free(struct flowtab *t)
{
	if (!t)
		return;
	for (int c = 0; c < FLOW_NCLASSES; c++)
		while (t->lru[c].tail)
			flow_remove(t, t->lru[c].tail);
	free(t->buckets);
	free(t);
}

uint64_t flow_evicted(const struct flowtab *t)
{
	return t->evicted;
}

uint64_t flow_count(const struct flowtab *t)
{
	return t->count;
}

uint64_t flow_peak(const struct flowtab *t)
{
	return t->peak;
}
