/* event.c - name-resolution events: one per question, matched to responses by flow, id and question (RFC 1035 7.3). */
#include "event.h"

#include "category.h"
#include "nameport.h"
#include <errno.h>
#include <unistd.h>
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

/*
 * Storage.  Events live in blocks of bs events.  The block being filled
 * and the `window` blocks before it stay in memory (mem[b]); older blocks
 * are written to a spill file (an unlinked temporary file) and read back
 * through a small cache of blocks when asked for.  So the memory an
 * investigation takes is bounded by the flows alive at a time plus a fixed
 * window of recent events (some 33,000), not by the length of the capture:
 * the usual audit never touches the disk.
 *
 * Blocks are frozen in order, so a late change to an old event (a
 * response after a long wait, the TLS record counts when a DoT flow ends,
 * the verdicts) goes through ev_get_mut(): its block is loaded into the
 * cache, marked dirty and written back when evicted.  ev_get() pointers
 * stay valid until EV_CACHE further blocks have been read; the block of
 * the latest ev_get_mut() is never evicted.
 */
#define EV_BLOCK 256    /* events per block (53 KiB) */
#define EV_WINDOW 128   /* full blocks kept in memory besides the one being filled (6.7 MiB) */
#define EV_CACHE 8      /* spilled blocks cached, by the store and by each reader */

struct evcache {
	struct ev *v;
	size_t block;
	uint64_t used;
	bool valid, dirty;
};

struct evstore {
	struct strtab strs;
	struct ev **mem;         /* per block: its events in memory, or NULL (spilled) */
	size_t nblocks, capblocks;
	size_t bs, window;
	size_t mem_first;        /* the first block that may still be in memory */
	size_t n, max;
	int fd;                  /* the spill file; -1 until the first block is spilled */
	bool no_spill;           /* no temporary file could be made: all stays in memory */
	struct evcache *cache;
	size_t ncache;
	uint64_t tick;
	size_t pinned;           /* block of the latest ev_get_mut (SIZE_MAX: none) */
	uint64_t dropped;
	bool sorted;
	struct pend **pb;
	size_t npb;
	size_t npend;
	uint64_t adds, last_sweep;
	int64_t now;
	uint64_t seed;
};

static void spill_fail(const char *what)
{
	fprintf(stderr, "leakscope: temporary event file: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void io_all(int fd, void *buf, size_t len, off_t off, bool write_it)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t r = write_it ? pwrite(fd, p, len, off) : pread(fd, p, len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			spill_fail(write_it ? "write" : "read");
		}
		p += r;
		len -= (size_t)r;
		off += r;
	}
}

static off_t block_off(const struct evstore *s, size_t b)
{
	return (off_t)(b * s->bs * sizeof(struct ev));
}

static const char *spill_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

/* A fresh unlinked file in TMPDIR (or /tmp), or -1 with errno. */
static int spill_open(void)
{
	char path[4096];
	if (ls_path(path, sizeof(path), "%s/leakscope-events.XXXXXX", spill_dir()) < 0)
		return -1;
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static void cache_reset(struct evstore *s)
{
	for (size_t k = 0; k < s->ncache; k++) {
		s->cache[k].valid = false;
		s->cache[k].dirty = false;
	}
	s->pinned = SIZE_MAX;
}

static void cache_flush(struct evstore *s)
{
	for (size_t k = 0; k < s->ncache; k++)
		if (s->cache[k].valid && s->cache[k].dirty) {
			io_all(s->fd, s->cache[k].v, s->bs * sizeof(struct ev), block_off(s, s->cache[k].block), true);
			s->cache[k].dirty = false;
		}
}

/* Writes the oldest blocks to the spill file until only the window and the
 * block being filled are in memory (all of them with all = true). */
static void freeze(struct evstore *s, bool all)
{
	size_t keep = all ? 0 : s->window + 1;
	size_t b = s->mem_first; /* blocks below are spilled already */
	for (; b < s->nblocks && s->nblocks - b > keep; b++) {
		if (!s->mem[b])
			continue;
		if (s->fd < 0 && !s->no_spill) {
			s->fd = spill_open();
			s->no_spill = s->fd < 0;
			/* The run goes on (the events are all kept, in memory),
			 * but the investigator is told why it takes more memory
			 * than it should: once per process, not per -j shard. */
			static int warned;
			if (s->no_spill && !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
				fprintf(stderr,
					"leakscope: warning: no temporary event file can be made in %s (%s): keeping every "
					"event in memory instead (%zu events, %zu MB so far, %zu bytes per further event)\n",
					spill_dir(), strerror(errno), s->n,
					(s->nblocks - s->mem_first) * s->bs * sizeof(struct ev) >> 20, sizeof(struct ev));
		}
		if (s->no_spill)
			return;
		io_all(s->fd, s->mem[b], s->bs * sizeof(struct ev), block_off(s, b), true);
		free(s->mem[b]);
		s->mem[b] = NULL;
	}
	s->mem_first = b;
}

/*
 * Block b of the file fd (cnt events; blocks hold bs) through the cache
 * c[0..nc): on a miss the least recently used block that is not pinned
 * makes room, written back first when dirty.  dirty marks the block
 * changed.  Shared by the store and its readers.
 */
static struct ev *blocks_get(struct evcache *c, size_t nc, uint64_t *tick, size_t pinned, int fd, size_t bs,
			     size_t b, size_t cnt, bool dirty)
{
	struct evcache *victim = NULL;
	for (size_t k = 0; k < nc; k++) {
		struct evcache *x = &c[k];
		if (x->valid && x->block == b) {
			x->used = ++*tick;
			x->dirty |= dirty;
			return x->v;
		}
		if (x->valid && x->block == pinned)
			continue;
		if (!victim || !x->valid || (victim->valid && x->used < victim->used))
			victim = x;
	}
	if (victim->valid && victim->dirty)
		io_all(fd, victim->v, bs * sizeof(struct ev), (off_t)(victim->block * bs * sizeof(struct ev)), true);
	if (!victim->v)
		victim->v = xmalloc(bs * sizeof(struct ev));
	io_all(fd, victim->v, cnt * sizeof(struct ev), (off_t)(b * bs * sizeof(struct ev)), false);
	victim->block = b;
	victim->valid = true;
	victim->dirty = dirty;
	victim->used = ++*tick;
	return victim->v;
}

static struct ev *slot(struct evstore *s, size_t i, bool dirty)
{
	size_t b = i / s->bs;
	if (s->mem[b])
		return &s->mem[b][i % s->bs];
	if (dirty)
		s->pinned = b;
	/* spilled blocks are written whole: every one has bs events */
	return &blocks_get(s->cache, s->ncache, &s->tick, s->pinned, s->fd, s->bs, b, s->bs, dirty)[i % s->bs];
}

static void store_clear(struct evstore *s)
{
	for (size_t b = 0; b < s->nblocks; b++)
		free(s->mem[b]);
	free(s->mem);
	s->mem = NULL;
	s->nblocks = s->capblocks = s->mem_first = 0;
	s->n = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	cache_reset(s);
}

void ev_set_storage(struct evstore *s, size_t block_events, size_t window_blocks, size_t cache_blocks)
{
	store_clear(s);
	s->bs = block_events ? block_events : EV_BLOCK;
	s->window = window_blocks ? window_blocks : EV_WINDOW;
	for (size_t k = 0; k < s->ncache; k++)
		free(s->cache[k].v);
	free(s->cache);
	s->ncache = cache_blocks >= 2 ? cache_blocks : cache_blocks ? 2 : EV_CACHE;
	s->cache = xcalloc(s->ncache, sizeof(*s->cache));
	s->pinned = SIZE_MAX;
}

struct evstore *ev_new(size_t max_events, uint64_t seed)
{
	struct evstore *s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	ev_set_storage(s, EV_BLOCK, EV_WINDOW, EV_CACHE);
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
	store_clear(s);
	for (size_t k = 0; k < s->ncache; k++)
		free(s->cache[k].v);
	free(s->cache);
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

/* A new event at the end, zeroed, whatever the cap (callers check it). */
static struct ev *append(struct evstore *s)
{
	if (s->n % s->bs == 0) {
		s->mem = xgrow(s->mem, &s->capblocks, s->nblocks + 1, sizeof(*s->mem));
		/* zeroed: a partial last block is written whole when spilled */
		s->mem[s->nblocks++] = xcalloc(s->bs, sizeof(struct ev));
		freeze(s, false);
	}
	struct ev *e = &s->mem[s->n / s->bs][s->n % s->bs];
	s->n++;
	memset(e, 0, sizeof(*e));
	return e;
}

void ev_move(struct evstore *dst, struct evstore *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct ev e = *slot(src, i, false);
		/* strings live in each store's table: take them over */
		e.qname = intern(&dst->strs, e.qname);
		e.answers = intern(&dst->strs, e.answers);
		e.sni = intern(&dst->strs, e.sni);
		e.encap = intern(&dst->strs, e.encap);
		*append(dst) = e;
	}
	dst->dropped += src->dropped;
	dst->sorted = false;
	store_clear(src);
}

size_t ev_count(const struct evstore *s)
{
	return s->n;
}

const struct ev *ev_get(struct evstore *s, size_t i)
{
	return i < s->n ? slot(s, i, false) : NULL;
}

struct ev *ev_get_mut(struct evstore *s, size_t i)
{
	return i < s->n ? slot(s, i, true) : NULL;
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
	struct ev *e = append(s);
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
	if (addr_is_multicast(&k->server) || nameport_any_responder(proto)) {
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

/* One pending query a bucket on average: the table doubles as questions
 * wait (a million hosts each asking once, none answered, within a
 * minute), up to PEND_BUCKETS_MAX.  Chain order never reaches a result:
 * a key is in the table at most once. */
#define PEND_BUCKETS_MAX ((size_t)1 << 22)

static void pend_grow(struct evstore *s)
{
	if (s->npend < s->npb || s->npb >= PEND_BUCKETS_MAX)
		return;
	size_t n = 2 * s->npb;
	struct pend **nb = xcalloc(n, sizeof(*nb));
	size_t old = s->npb;
	s->npb = n;
	for (size_t b = 0; b < old; b++) {
		struct pend *p = s->pb[b], *nx;
		for (; p; p = nx) {
			nx = p->next;
			size_t i = pend_bucket(s, &p->k);
			p->next = nb[i];
			nb[i] = p;
		}
	}
	free(s->pb);
	s->pb = nb;
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
		/* ',' separates the answers: one inside the data (a TXT string,
		 * a crafted name) is written \044, as presentation format allows,
		 * so the list splits back exactly (the JSON writer does) */
		for (const char *d = rr->data; *d;) {
			size_t run = strcspn(d, ",");
			sb_addn(&b, d, run);
			d += run;
			if (*d == ',') {
				sb_add(&b, "\\044");
				d++;
			}
		}
	}
	return b.s;
}

static void fill_response(struct evstore *s, struct ev *e, const struct pkt *p, const struct dns_msg *m,
			  const char *answers)
{
	e->answered = true;
	e->tc = m->tc;
	e->rcode = m->rcode;
	e->answers = intern(&s->strs, answers);
	e->resp_frame = p->cp->frame;
	e->resp_file_idx = p->file_idx;
	int64_t d = (p->cp->ts_sec - e->ts_sec) * 1000000 + ((int64_t)p->cp->ts_nsec - (int64_t)e->ts_nsec) / 1000;
	e->rtt_us = d >= 0 && d <= INT32_MAX ? (int32_t)d : -1;
	e->anomalies |= m->anomalies;
}

/*
 * Whether a query repeating an unanswered one (same endpoints, ID and
 * question) is a retry of it, to be counted on it, or a question of its own.
 *
 * mDNS (RFC 6762): multicast queries carry ID 0 (section 18.1), so the ID
 * cannot tell a retry, and a querier repeats its question on purpose
 * (continuous querying, section 5.2: 1 s, 2 s, 4 s... apart, up to an hour):
 * each repeat is a new disclosure to the link, and one sent while the tunnel
 * was down is a leak of its own.  So a multicast or ID-0 mDNS query is never
 * folded; a unicast one-shot query with its own ID (section 6.7, a legacy
 * resolver) retries as DNS does.
 * LLMNR (RFC 4795): a sender retransmits the same query after LLMNR_TIMEOUT
 * (1 s by default, section 7) and at most 3 times (section 2.7): a repeat
 * within LLMNR_RETRY_US of the first with the same non-zero ID is a retry;
 * a later one is a new question (a name asked again when the first went
 * unanswered, 16 s later, is not a lost packet resent).
 * DNS: as before, within the pending timeout.
 */
#define LLMNR_RETRY_US 4000000 /* 3 retries 1 s apart, and slack */

static bool is_retry(enum ev_proto proto, const struct pkt *p, uint16_t id, const struct ev *first)
{
	if (proto == EVP_MDNS)
		return id != 0 && !addr_is_multicast(&p->dst);
	if (proto == EVP_LLMNR) {
		int64_t d = (p->cp->ts_sec - first->ts_sec) * 1000000 +
			    ((int64_t)p->cp->ts_nsec - (int64_t)first->ts_nsec) / 1000;
		return id != 0 && d >= 0 && d <= LLMNR_RETRY_US;
	}
	return true;
}

void ev_add_dns(struct evstore *s, const struct pkt *p, enum ev_proto proto, const struct dns_msg *m,
		uint32_t iface_ref, uint32_t extra_anom)
{
	s->sorted = false;
	if (p->cp->ts_sec > s->now)
		s->now = p->cp->ts_sec;
	/* The sweep only gives memory back (expiry is decided below, per
	 * packet); it walks every bucket, so it runs once the adds since the
	 * last one at least match the buckets. */
	if (++s->adds % PEND_SWEEP_EVERY == 0 && s->adds - s->last_sweep >= s->npb) {
		s->last_sweep = s->adds;
		pend_sweep(s);
	}

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
		/* A retransmission: same key and same first question, not yet
		 * answered, and a retry by the protocol's rules (is_retry). */
		if (*pp) {
			const struct ev *f = slot(s, (*pp)->first, false);
			if (f->qtype == m->q[0].qtype && f->qname && strcasecmp(f->qname, m->q[0].name) == 0 &&
			    is_retry(proto, p, m->id, f)) {
				for (uint32_t i = 0; i < (*pp)->n; i++)
					slot(s, (*pp)->first + i, true)->retrans++;
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
			pend_grow(s);
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
			struct ev *e = slot(s, pe->first + i, true);
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

/* A run of the store being merged: its events [at, end), read ahead in
 * chunks from the spill file. */
struct run {
	size_t at, end;
	struct ev *buf;
	size_t nbuf, pos;
};

#define RUN_CHUNK 64     /* events a run reads ahead */
#define MAX_RUNS 64      /* runs merged at once */
#define RUN_FORM_BLOCKS 64 /* blocks sorted in memory at once when there are too many runs (3.4 MiB) */

static const struct ev *run_peek(struct evstore *s, struct run *r)
{
	if (r->pos == r->nbuf) {
		if (r->at >= r->end)
			return NULL;
		size_t k = r->end - r->at < RUN_CHUNK ? r->end - r->at : RUN_CHUNK;
		/* a chunk may cross a block boundary: blocks are contiguous in the file */
		io_all(s->fd, r->buf, k * sizeof(struct ev), (off_t)(r->at * sizeof(struct ev)), false);
		r->at += k;
		r->nbuf = k;
		r->pos = 0;
	}
	return &r->buf[r->pos];
}

/* Writes events into a new spill file block after block, then makes it the
 * store's (every block spilled). */
struct sink {
	int fd;
	struct ev *blk;
	size_t fill, block;
};

static void sink_put(struct evstore *s, struct sink *k, const struct ev *e)
{
	k->blk[k->fill++] = *e;
	if (k->fill == s->bs) {
		io_all(k->fd, k->blk, s->bs * sizeof(struct ev), block_off(s, k->block), true);
		k->block++;
		k->fill = 0;
	}
}

static void sink_finish(struct evstore *s, struct sink *k)
{
	if (k->fill)
		io_all(k->fd, k->blk, s->bs * sizeof(struct ev), block_off(s, k->block), true);
	free(k->blk);
	close(s->fd);
	s->fd = k->fd;
	cache_reset(s);
}

static bool sink_open(struct evstore *s, struct sink *k)
{
	k->fd = spill_open();
	if (k->fd < 0)
		return false;
	k->blk = xcalloc(s->bs, sizeof(struct ev));
	k->fill = k->block = 0;
	return true;
}

/* Merges the runs [starts[j], starts[j + 1]) for j in [j0, j1) of the
 * spill file into k; on a tie the earlier run first, as a stable sort. */
static void merge_runs(struct evstore *s, const size_t *starts, size_t j0, size_t j1, struct sink *k)
{
	struct run r[MAX_RUNS];
	size_t nr = j1 - j0;
	for (size_t j = 0; j < nr; j++) {
		r[j] = (struct run){.at = starts[j0 + j], .end = starts[j0 + j + 1]};
		r[j].buf = xmalloc(RUN_CHUNK * sizeof(struct ev));
	}
	for (;;) {
		const struct ev *best = NULL;
		size_t bj = 0;
		for (size_t j = 0; j < nr; j++) {
			const struct ev *c = run_peek(s, &r[j]);
			if (c && (!best || ev_cmp(c, best) < 0)) {
				best = c;
				bj = j;
			}
		}
		if (!best)
			break;
		sink_put(s, k, best);
		r[bj].pos++;
	}
	for (size_t j = 0; j < nr; j++)
		free(r[j].buf);
}

void ev_sort(struct evstore *s)
{
	if (s->sorted)
		return;
	/* Pending indices point into the store: sorting happens after the last
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
	s->sorted = true;
	/* Events are made in packet order, so a capture read in time order
	 * gives them sorted or nearly: find the sorted runs first. */
	size_t first_starts[MAX_RUNS + 1];
	size_t nruns = s->n ? 1 : 0;
	first_starts[0] = 0;
	struct ev prev;
	for (size_t i = 0; i < s->n; i++) {
		const struct ev *e = slot(s, i, false);
		if (i && ev_cmp(&prev, e) > 0) {
			if (nruns < MAX_RUNS)
				first_starts[nruns] = i;
			nruns++;
		}
		prev = *e;
	}
	if (nruns <= 1)
		return;
	bool inmem = true;
	for (size_t b = 0; b < s->nblocks && inmem; b++)
		inmem = s->mem[b] != NULL;
	if (inmem) {
		/* everything is in memory: sort the blocks' contents together */
		struct ev *all = xmalloc(s->n * sizeof(*all));
		for (size_t i = 0; i < s->n; i++)
			all[i] = s->mem[i / s->bs][i % s->bs];
		qsort(all, s->n, sizeof(*all), ev_cmp);
		for (size_t i = 0; i < s->n; i++)
			s->mem[i / s->bs][i % s->bs] = all[i];
		free(all);
		return;
	}
	cache_flush(s);
	freeze(s, true);
	size_t *starts;
	struct sink k;
	if (nruns <= MAX_RUNS) {
		starts = xmalloc((nruns + 1) * sizeof(*starts));
		memcpy(starts, first_starts, nruns * sizeof(*starts));
	} else {
		/* many runs (packets far out of order, rotated files given in a
		 * jumbled order): sorted runs of RUN_FORM_BLOCKS blocks first,
		 * made in memory one at a time */
		if (!sink_open(s, &k))
			spill_fail("open");
		size_t form = RUN_FORM_BLOCKS * s->bs;
		struct ev *buf = xmalloc(form * sizeof(*buf));
		for (size_t at = 0; at < s->n; at += form) {
			size_t m = s->n - at < form ? s->n - at : form;
			io_all(s->fd, buf, m * sizeof(struct ev), (off_t)(at * sizeof(struct ev)), false);
			qsort(buf, m, sizeof(*buf), ev_cmp);
			for (size_t j = 0; j < m; j++)
				sink_put(s, &k, &buf[j]);
		}
		free(buf);
		sink_finish(s, &k);
		nruns = (s->n + form - 1) / form;
		starts = xmalloc((nruns + 1) * sizeof(*starts));
		for (size_t j = 0; j < nruns; j++)
			starts[j] = j * form;
	}
	starts[nruns] = s->n;
	/* merge passes, MAX_RUNS runs at a time, until one run is left */
	while (nruns > 1) {
		if (!sink_open(s, &k))
			spill_fail("open");
		size_t out = 0;
		for (size_t j = 0; j < nruns; j += MAX_RUNS) {
			size_t j1 = j + MAX_RUNS < nruns ? j + MAX_RUNS : nruns;
			size_t at = starts[j];
			merge_runs(s, starts, j, j1, &k);
			starts[out++] = at;
		}
		sink_finish(s, &k);
		starts[out] = s->n;
		nruns = out;
	}
	free(starts);
}

/* ---------------------------------------------------------------------- */
/* Reading a finished store: readers with caches of their own (several
 * threads may read at once), over the store's order or a host view. */

struct ev_hostview {
	size_t n, nhosts, bs;
	size_t *start;  /* nhosts + 2: host h's events at [start[h], start[h + 1]); none last */
	size_t *idx;    /* a store that never spilled: position -> the store's index */
	int fd;         /* or its file */
	bool alias;     /* one bucket holds every event: the view is the store itself */
};

struct ev_reader {
	struct evstore *s;
	const struct ev_hostview *v;
	struct evcache cache[EV_CACHE];
	uint64_t tick;
};

void ev_seal(struct evstore *s)
{
	if (s->fd >= 0)
		cache_flush(s);
	s->sorted = true; /* nothing changes any more */
}

/* The view's bucket of a host index: its own, or the last (no host). */
static size_t host_bucket(int h, size_t nhosts)
{
	return h >= 0 && (size_t)h < nhosts ? (size_t)h : nhosts;
}

struct ev_hostview *ev_hostview_new(struct evstore *s, size_t nhosts)
{
	struct ev_hostview *v = xcalloc(1, sizeof(*v));
	v->n = s->n;
	v->nhosts = nhosts;
	v->bs = s->bs;
	v->fd = -1;
	v->start = xcalloc(nhosts + 2, sizeof(*v->start));
	for (size_t i = 0; i < s->n; i++) {
		v->start[host_bucket(slot(s, i, false)->host_idx, nhosts) + 1]++;
	}
	bool one = false;
	for (size_t h = 1; h <= nhosts + 1; h++) {
		one |= v->start[h] == s->n && s->n > 0;
		v->start[h] += v->start[h - 1];
	}
	if (one) {
		/* a single host (the usual capture of one machine): its events
		 * are the store's, in the same order; nothing to copy */
		v->alias = true;
		return v;
	}
	bool inmem = true;
	for (size_t b = 0; b < s->nblocks && inmem; b++)
		inmem = s->mem[b] != NULL;
	size_t *wat = xmalloc((nhosts + 1) * sizeof(*wat));
	memcpy(wat, v->start, (nhosts + 1) * sizeof(*wat));
	if (inmem) {
		v->idx = xmalloc((s->n ? s->n : 1) * sizeof(*v->idx));
		for (size_t i = 0; i < s->n; i++) {
			v->idx[wat[host_bucket(s->mem[i / s->bs][i % s->bs].host_idx, nhosts)]++] = i;
		}
		free(wat);
		return v;
	}
	/* spilled: one pass over the store, each event written to its host's
	 * place through per-host buffers (some 4 MiB in all) */
	cache_flush(s);
	v->fd = spill_open();
	if (v->fd < 0)
		spill_fail("open");
	size_t per = (4u << 20) / ((nhosts + 1) * sizeof(struct ev));
	per = per > 64 ? 64 : per; /* 0: too many hosts, each event written alone */
	struct ev *bufs = per ? xmalloc((nhosts + 1) * per * sizeof(struct ev)) : NULL;
	size_t *fill = xcalloc(nhosts + 1, sizeof(*fill));
	for (size_t i = 0; i < s->n; i++) {
		const struct ev *e = slot(s, i, false);
		size_t hb = host_bucket(e->host_idx, nhosts);
		if (!per) {
			struct ev c = *e;
			io_all(v->fd, &c, sizeof(c), (off_t)(wat[hb]++ * sizeof(struct ev)), true);
			continue;
		}
		bufs[hb * per + fill[hb]++] = *e;
		if (fill[hb] == per) {
			io_all(v->fd, &bufs[hb * per], per * sizeof(struct ev), (off_t)(wat[hb] * sizeof(struct ev)), true);
			wat[hb] += per;
			fill[hb] = 0;
		}
	}
	for (size_t hb = 0; hb <= nhosts; hb++)
		if (fill[hb])
			io_all(v->fd, &bufs[hb * per], fill[hb] * sizeof(struct ev), (off_t)(wat[hb] * sizeof(struct ev)),
			       true);
	free(bufs);
	free(fill);
	free(wat);
	return v;
}

size_t ev_hostview_start(const struct ev_hostview *v, size_t h)
{
	return v->start[h <= v->nhosts + 1 ? h : v->nhosts + 1];
}

void ev_hostview_free(struct ev_hostview *v)
{
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	free(v->idx);
	free(v->start);
	free(v);
}

struct ev_reader *ev_reader_new(struct evstore *s, const struct ev_hostview *v)
{
	struct ev_reader *r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->v = v;
	return r;
}

void ev_reader_free(struct ev_reader *r)
{
	if (!r)
		return;
	for (size_t k = 0; k < EV_CACHE; k++)
		free(r->cache[k].v);
	free(r);
}

const struct ev *ev_read(struct ev_reader *r, size_t i)
{
	size_t bs = r->s->bs;
	int fd;
	if (r->v && !r->v->alias) {
		if (i >= r->v->n)
			return NULL;
		if (r->v->idx) {
			size_t k = r->v->idx[i];
			return &r->s->mem[k / bs][k % bs];
		}
		fd = r->v->fd;
	} else {
		if (i >= r->s->n)
			return NULL;
		struct ev *m = r->s->mem[i / bs];
		if (m)
			return &m[i % bs];
		fd = r->s->fd;
	}
	size_t b = i / bs;
	/* the last block of a view may be short: read what there is */
	size_t total = r->v && !r->v->alias ? r->v->n : r->s->n;
	size_t cnt = total - b * bs < bs ? total - b * bs : bs;
	return &blocks_get(r->cache, EV_CACHE, &r->tick, SIZE_MAX, fd, bs, b, cnt, false)[i % bs];
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
	return cat_info(c)->name; /* category.c: the one table */
}

/* Names of the anomaly bits (dns.h DNS_ANOM_*, event.h EV_ANOM_*), as the reports write them. */
struct anom_name {
	uint32_t bit;
	const char *name;
};

static const struct anom_name anom_names[] = {
	{DNS_ANOM_COMPRESSION_LOOP, "compression-loop"},
	{DNS_ANOM_FORWARD_POINTER, "forward-pointer"},
	{DNS_ANOM_LABEL_TOO_LONG, "label-too-long"},
	{DNS_ANOM_NAME_TOO_LONG, "name-too-long"},
	{DNS_ANOM_COUNT_MISMATCH, "count-mismatch"},
	{DNS_ANOM_TRUNCATED_RR, "truncated-record"},
	{DNS_ANOM_TRAILING_BYTES, "trailing-bytes"},
	{DNS_ANOM_TOO_MANY_QUESTIONS, "too-many-questions"},
	{DNS_ANOM_TOO_MANY_RRS, "too-many-records"},
	{DNS_ANOM_BAD_RDATA, "bad-rdata"},
	{DNS_ANOM_BAD_CHARS, "bad-chars"},
	{DNS_ANOM_POINTER_INTO_HEADER, "pointer-into-header"},
	{DNS_ANOM_RESERVED_Z, "reserved-z"},
	{DNS_ANOM_ODD_OPCODE, "odd-opcode"},
	{DNS_ANOM_BAD_OPT, "bad-opt"},
	{EV_ANOM_TRUNCATED, "snapped"},
	{EV_ANOM_UNDECODABLE, "undecodable"},
	{EV_ANOM_TCP_GAP, "tcp-gap"},
	{EV_ANOM_TCP_RESYNC, "tcp-resync"},
	{0, NULL},
};

void ev_anomaly_text(struct sbuf *b, uint32_t bits)
{
	bool first = true;
	for (const struct anom_name *n = anom_names; n->name; n++) {
		if (!(bits & n->bit))
			continue;
		sb_addf(b, "%s%s", first ? "" : ", ", n->name);
		first = false;
	}
	sb_addf(b, "%s(0x%x)", first ? "" : " ", bits);
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
