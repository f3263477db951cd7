/* rules-index.c - sorted address tables behind the description's lookups: prefix groups, binary search. */
#include "rules-index.h"

#include <stdlib.h>
#include <string.h>

struct ri_ent {
	uint8_t key[16]; /* the address with the bits past plen cleared */
	uint8_t af, plen;
	uint16_t port;
	uint8_t transport;
	uint32_t order;
	const void *item, *owner;
};

/* The entries of one family and prefix length, twice: by (key, port,
 * transport, order) for the port-aware lookup, by (key, order) for
 * any_port. */
struct ri_group {
	uint8_t af, plen;
	struct ri_ent *pt, *ad;
	size_t n;
};

struct ri_table {
	struct ri_ent *all; /* while building */
	size_t n, cap;
	struct ri_group *g;
	size_t ng;
};

static void mask(uint8_t key[16], const uint8_t a[16], uint8_t plen)
{
	unsigned full = plen / 8, rest = plen % 8;
	memset(key, 0, 16);
	memcpy(key, a, full > 16 ? 16 : full);
	if (rest && full < 16)
		key[full] = (uint8_t)(a[full] & (0xff << (8 - rest)));
}

struct ri_table *ri_new(void)
{
	return xcalloc(1, sizeof(struct ri_table));
}

void ri_add(struct ri_table *t, const struct ls_addr *addr, uint8_t plen, uint16_t port, uint8_t transport,
	    uint32_t order, const void *item, const void *owner)
{
	t->all = xgrow(t->all, &t->cap, t->n + 1, sizeof(*t->all));
	struct ri_ent *e = &t->all[t->n++];
	memset(e, 0, sizeof(*e));
	e->af = addr->af;
	e->plen = plen > 128 ? 128 : plen;
	mask(e->key, addr->a, e->plen);
	e->port = port;
	e->transport = transport;
	e->order = order;
	e->item = item;
	e->owner = owner;
}

static int cmp_group(const void *x, const void *y)
{
	const struct ri_ent *a = x, *b = y;
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_pt(const void *x, const void *y)
{
	const struct ri_ent *a = x, *b = y;
	int c = memcmp(a->key, b->key, 16);
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->transport != b->transport)
		return a->transport < b->transport ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_ad(const void *x, const void *y)
{
	const struct ri_ent *a = x, *b = y;
	int c = memcmp(a->key, b->key, 16);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

void ri_finish(struct ri_table *t)
{
	if (t->n) /* an empty table has no array: qsort(NULL, 0) is undefined */
		qsort(t->all, t->n, sizeof(*t->all), cmp_group);
	size_t capg = 0;
	for (size_t i = 0; i < t->n;) {
		size_t j = i;
		while (j < t->n && t->all[j].af == t->all[i].af && t->all[j].plen == t->all[i].plen)
			j++;
		t->g = xgrow(t->g, &capg, t->ng + 1, sizeof(*t->g));
		struct ri_group *g = &t->g[t->ng++];
		g->af = t->all[i].af;
		g->plen = t->all[i].plen;
		g->n = j - i;
		g->pt = xmalloc(g->n * sizeof(*g->pt));
		g->ad = xmalloc(g->n * sizeof(*g->ad));
		memcpy(g->pt, t->all + i, g->n * sizeof(*g->pt));
		memcpy(g->ad, t->all + i, g->n * sizeof(*g->ad));
		qsort(g->pt, g->n, sizeof(*g->pt), cmp_pt);
		qsort(g->ad, g->n, sizeof(*g->ad), cmp_ad);
		i = j;
	}
	free(t->all);
	t->all = NULL;
	t->n = t->cap = 0;
}

/* The first index in v[0..n) not below probe under cmp. */
static size_t lower(const struct ri_ent *v, size_t n, const struct ri_ent *probe, int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(&v[mid], probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const void *ri_find(const struct ri_table *t, const struct ls_addr *a, uint16_t port, uint8_t transport,
		    bool any_port, const void **owner)
{
	const struct ri_ent *best = NULL;
	if (owner)
		*owner = NULL;
	if (!t || !a)
		return NULL;
	struct ri_ent probe;
	memset(&probe, 0, sizeof(probe));
	for (size_t k = 0; k < t->ng; k++) {
		const struct ri_group *g = &t->g[k];
		if (g->af != a->af)
			continue;
		mask(probe.key, a->a, g->plen);
		probe.order = 0;
		if (any_port) {
			size_t i = lower(g->ad, g->n, &probe, cmp_ad);
			if (i < g->n && !memcmp(g->ad[i].key, probe.key, 16) && (!best || g->ad[i].order < best->order))
				best = &g->ad[i];
			continue;
		}
		/* the four ways an entry can accept (port, transport): each is
		 * an exact (key, port, transport) run, least order first */
		const uint16_t ports[2] = {0, port};
		const uint8_t trs[2] = {0, transport};
		for (int pi = 0; pi < (port ? 2 : 1); pi++)
			for (int ti = 0; ti < (transport ? 2 : 1); ti++) {
				probe.port = ports[pi];
				probe.transport = trs[ti];
				size_t i = lower(g->pt, g->n, &probe, cmp_pt);
				if (i < g->n && !memcmp(g->pt[i].key, probe.key, 16) && g->pt[i].port == probe.port &&
				    g->pt[i].transport == probe.transport && (!best || g->pt[i].order < best->order))
					best = &g->pt[i];
			}
		probe.port = 0;
		probe.transport = 0;
	}
	if (!best)
		return NULL;
	if (owner)
		*owner = best->owner;
	return best->item;
}

void ri_free(struct ri_table *t)
{
	if (!t)
		return;
	for (size_t k = 0; k < t->ng; k++) {
		free(t->g[k].pt);
		free(t->g[k].ad);
	}
	free(t->g);
	free(t->all);
	free(t);
}
