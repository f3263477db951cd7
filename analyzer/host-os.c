/* host-os.c - each host's operating system from its own traffic: TTLs, DHCP options 55 and 60 (RFC 2132 9.8, 9.13), the names it asked (os-infer.c weighs them). */
#include "host-os.h"

#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "os-infer.h"
#include "pipeline.h"

struct hostos_dhcp_rec {
	uint8_t prl[DHCP_PRL_MAX];
	size_t prl_len;
	char vendor[DHCP_VENDOR_MAX];
	uint8_t mac[6];
	bool has_mac;
};

/* What a host's events showed, kept per host index during the verdicts. */
struct hostos_seen {
	uint64_t names; /* bit i: os_known_name_at(i) was asked */
	bool nbns, llmnr;
};

/* ---------------------------------------------------------------------- */
/* The map: 64-bit keys (a MAC, or an IPv4 address, tagged), linear
 * probing, at most half full, never past its cap. */

static uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	return k ^ (k >> 33);
}

static size_t map_slot(const struct hostos_map *m, uint64_t key)
{
	size_t i = (size_t)mix64(key) & (m->nslots - 1);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->nslots - 1);
	return i;
}

/* The index stored for key, -1 none. */
static long map_get(const struct hostos_map *m, uint64_t key)
{
	if (!m->nslots)
		return -1;
	size_t i = map_slot(m, key);
	return m->vals[i] ? (long)m->vals[i] - 1 : -1;
}

static void map_put(struct hostos_map *m, uint64_t key, uint32_t idx)
{
	if (2 * (m->n + 1) > m->nslots) {
		struct hostos_map g = {.nslots = m->nslots ? 2 * m->nslots : 256};
		g.keys = xcalloc(g.nslots, sizeof(*g.keys));
		g.vals = xcalloc(g.nslots, sizeof(*g.vals));
		for (size_t i = 0; i < m->nslots; i++)
			if (m->vals[i]) {
				size_t j = map_slot(&g, m->keys[i]);
				g.keys[j] = m->keys[i];
				g.vals[j] = m->vals[i];
			}
		g.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	size_t i = map_slot(m, key);
	if (!m->vals[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = idx + 1;
}

static void map_free(struct hostos_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t key_mac(const uint8_t mac[6])
{
	uint64_t k = 1ULL << 56;
	for (int i = 0; i < 6; i++)
		k |= (uint64_t)mac[i] << (8 * i);
	return k;
}

static uint32_t v4_of(const struct ls_addr *x)
{
	return (uint32_t)x->a[0] << 24 | (uint32_t)x->a[1] << 16 | (uint32_t)x->a[2] << 8 | x->a[3];
}

static uint64_t key_v4(uint32_t v4)
{
	return 2ULL << 56 | v4;
}

static struct hostos_state *st(struct analysis *a)
{
	return &((struct an_priv *)a->priv)->os;
}

void hostos_free(struct analysis *a)
{
	struct hostos_state *s = st(a);
	map_free(&s->ttl_map);
	map_free(&s->dhcp_map);
	free(s->ttl);
	free(s->dhcp);
	free(s->seen);
	for (size_t i = 0; i < a->nhosts; i++)
		free(a->hosts[i].os_evidence);
	memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------------- */
/* While reading */

void hostos_packet(struct analysis *a, const struct pkt *p)
{
	/* IPv4 only (os-infer.c weighs IPv4 TTLs).  Not counted: packets to
	 * multicast or broadcast (mDNS sends TTL 255 and LLMNR TTL 1 by their
	 * RFCs, whatever the system), and TTLs of 32 or less (traceroute
	 * probes, hop-limited tricks: not the system's default). */
	/* -j: what is per packet shard 0 keeps (an_merge_shard) */
	if (a->opt.shard || p->src.af != 4 || p->ttl <= 32 || addr_is_multicast(&p->dst) || addr_is_multicast(&p->src))
		return;
	uint32_t src = v4_of(&p->src), dst = p->dst.af == 4 ? v4_of(&p->dst) : 0;
	if (src == 0 || src == 0xffffffffu || dst == 0xffffffffu)
		return;
	int cls = p->ttl <= 64 ? 0 : p->ttl <= 128 ? 1 : 2;
	struct hostos_state *s = st(a);
	/* a run of packets from one sender is looked up once */
	if (s->last_row && s->last_addr == src) {
		s->ttl[s->last_row - 1][cls]++;
		return;
	}
	long r = map_get(&s->ttl_map, key_v4(src));
	if (r < 0) {
		if (s->nttl >= HOSTOS_MAX_ADDRS) {
			s->capped = true;
			return;
		}
		s->ttl = xgrow(s->ttl, &s->capttl, s->nttl + 1, sizeof(*s->ttl));
		memset(s->ttl[s->nttl], 0, sizeof(s->ttl[s->nttl]));
		r = (long)s->nttl++;
		map_put(&s->ttl_map, key_v4(src), (uint32_t)r);
	}
	if (s->ttl[r][cls] < UINT32_MAX)
		s->ttl[r][cls]++;
	s->last_addr = src;
	s->last_row = (size_t)r + 1;
}

void hostos_dhcp(struct analysis *a, const struct pkt *p, const struct dhcp_info *di)
{
	struct hostos_state *s = st(a);
	if (di->v6 || !di->has_chaddr)
		return;
	uint64_t km = key_mac(di->chaddr);
	long r = map_get(&s->dhcp_map, km);
	if (di->op == 2) {
		/* a reply: the address given is the client's (raw-IP captures
		 * name hosts by address) */
		if (r >= 0 && di->yiaddr.af == 4 && map_get(&s->dhcp_map, key_v4(v4_of(&di->yiaddr))) < 0 &&
		    s->dhcp_map.n < 4 * HOSTOS_MAX_DHCP)
			map_put(&s->dhcp_map, key_v4(v4_of(&di->yiaddr)), (uint32_t)r);
		return;
	}
	if (di->op != 1 || (!di->prl_len && !di->vendor[0]))
		return;
	if (r < 0) {
		/* the first request of a client is kept: later ones add nothing */
		if (s->ndhcp >= HOSTOS_MAX_DHCP) {
			s->capped = true;
			return;
		}
		s->dhcp = xgrow(s->dhcp, &s->capdhcp, s->ndhcp + 1, sizeof(*s->dhcp));
		struct hostos_dhcp_rec *d = &s->dhcp[s->ndhcp];
		memset(d, 0, sizeof(*d));
		memcpy(d->prl, di->prl, di->prl_len);
		d->prl_len = di->prl_len;
		memcpy(d->vendor, di->vendor, sizeof(d->vendor));
		memcpy(d->mac, di->chaddr, 6);
		d->has_mac = true;
		r = (long)s->ndhcp++;
		map_put(&s->dhcp_map, km, (uint32_t)r);
	}
	/* a renewal or INFORM is sent from the client's own address */
	if (p->src.af == 4 && v4_of(&p->src) != 0 && map_get(&s->dhcp_map, key_v4(v4_of(&p->src))) < 0 &&
	    s->dhcp_map.n < 4 * HOSTOS_MAX_DHCP)
		map_put(&s->dhcp_map, key_v4(v4_of(&p->src)), (uint32_t)r);
}

/* ---------------------------------------------------------------------- */
/* After the last packet */

void hostos_event(struct analysis *a, const struct ev *e)
{
	struct hostos_state *s = st(a);
	if (e->host_idx < 0 || (size_t)e->host_idx >= a->nhosts)
		return;
	if (s->nseen < a->nhosts) {
		s->seen = xrealloc(s->seen, a->nhosts * sizeof(*s->seen));
		memset(s->seen + s->nseen, 0, (a->nhosts - s->nseen) * sizeof(*s->seen));
		s->nseen = a->nhosts;
	}
	struct hostos_seen *h = &s->seen[e->host_idx];
	if (e->proto == EVP_NBNS)
		h->nbns = true;
	else if (e->proto == EVP_LLMNR)
		h->llmnr = true;
	int k = os_known_name(e->qname);
	if (k >= 0)
		h->names |= 1ULL << k;
}

void hostos_finish(struct analysis *a)
{
	struct hostos_state *s = st(a);
	for (size_t hi = 0; hi < a->nhosts; hi++) {
		struct an_host *h = &a->hosts[hi];
		struct os_evidence ev;
		memset(&ev, 0, sizeof(ev));
		/* DHCP: by the host's MAC, else by one of its addresses */
		long r = h->has_mac ? map_get(&s->dhcp_map, key_mac(h->mac)) : -1;
		uint64_t ttl[3] = {0, 0, 0};
		for (size_t i = 0; i < h->naddrs; i++) {
			if (h->addrs[i].af != 4)
				continue;
			uint32_t v4 = v4_of(&h->addrs[i]);
			if (r < 0 && !h->has_mac)
				r = map_get(&s->dhcp_map, key_v4(v4));
			long t = map_get(&s->ttl_map, key_v4(v4));
			for (int c = 0; t >= 0 && c < 3; c++)
				ttl[c] += s->ttl[t][c];
		}
		if (r >= 0) {
			ev.dhcp_prl = s->dhcp[r].prl;
			ev.dhcp_prl_len = s->dhcp[r].prl_len;
			ev.dhcp_vendor = s->dhcp[r].vendor[0] ? s->dhcp[r].vendor : NULL;
		}
		/* TTL: one initial value must hold (nine packets in ten); a mix
		 * (a router's address, a NAT) says nothing */
		uint64_t all = ttl[0] + ttl[1] + ttl[2];
		static const uint8_t initial[3] = {64, 128, 255};
		for (int c = 0; c < 3; c++)
			if (all && ttl[c] * 10 >= all * 9) {
				ev.ttl = initial[c];
				ev.ttl_pkts = ttl[c];
			}
		const char *names[OS_MAX_KNOWN_NAMES];
		size_t nn = 0;
		if (hi < s->nseen) {
			for (int k = 0; os_known_name_at(k); k++)
				if (s->seen[hi].names & (1ULL << k))
					names[nn++] = os_known_name_at(k);
			ev.nbns = s->seen[hi].nbns;
			ev.llmnr = s->seen[hi].llmnr;
		}
		ev.names = names;
		ev.n_names = nn;
		struct os_guess g;
		os_infer(&ev, &g);
		h->os = g.os;
		h->os_confidence = g.confidence;
		free(h->os_evidence);
		if (all && !ev.ttl) {
			char mix[1200];
			snprintf(mix, sizeof(mix), "%s; IPv4 TTLs mixed (initial 64: %llu, 128: %llu, 255: %llu): not counted",
				 g.evidence, (unsigned long long)ttl[0], (unsigned long long)ttl[1],
				 (unsigned long long)ttl[2]);
			h->os_evidence = xstrdup(mix);
		} else {
			h->os_evidence = xstrdup(g.evidence);
		}
	}
}
