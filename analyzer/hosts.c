/* hosts.c - who asked: the MAC map while reading, then the hosts and each event's host.
 *
 * A host is a MAC where the capture has one, else an address.  The MAC
 * map joins the two: an event seen without a link layer whose client
 * address some MAC sent from belongs to that MAC's host.  Hash order never
 * reaches a report: hosts are made in event order (sorted events).
 */
#include "hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define MACMAP_MAX 65536

/* Address -> MAC, learned from packets a host sent itself (src IP, src MAC),
 * to join a host's events seen without a link layer to the same host. */
struct macmap_ent {
	struct ls_addr addr;
	uint8_t mac[6];
	struct macmap_ent *next;
};

void hosts_init(struct analysis *a)
{
	struct an_priv *pv = a->priv;
	pv->hs.nmm_buckets = 4096;
	pv->hs.mm = xcalloc(pv->hs.nmm_buckets, sizeof(*pv->hs.mm));
}

void hosts_free(struct analysis *a)
{
	struct an_priv *pv = a->priv;
	for (size_t i = 0; i < a->nhosts; i++) {
		free(a->hosts[i].key);
		free(a->hosts[i].id);
		free(a->hosts[i].addrs);
	}
	for (size_t i = 0; i < a->nhosts; i++)
		for (size_t k = 0; k < a->hosts[i].nnames; k++)
			free(a->hosts[i].names[k]);
	free(a->hosts);
	for (size_t b = 0; b < pv->hs.nmm_buckets; b++) {
		struct macmap_ent *e = pv->hs.mm[b], *nx;
		for (; e; e = nx) {
			nx = e->next;
			free(e);
		}
	}
	free(pv->hs.mm);
	free(pv->hs.hidx);
	free(pv->hs.cmac);
}

static uint64_t mac_key(const uint8_t m[6])
{
	uint64_t k = 1ull << 63;
	for (int i = 0; i < 6; i++)
		k |= (uint64_t)m[i] << (8 * i);
	return k;
}

static size_t cmac_slot(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

void hosts_carrier_sender(struct analysis *a, const struct pkt *p, bool outbound)
{
	struct hosts_state *hs = &((struct an_priv *)a->priv)->hs;
	static const uint8_t zero[6];
	if (!p->has_mac)
		return;
	const uint8_t *m = outbound ? p->src_mac : p->dst_mac;
	if (memcmp(m, zero, 6) == 0 || (m[0] & 1))
		return;
	uint64_t k = mac_key(m);
	if (k == hs->cmac_last || hs->cmac_capped)
		return;
	hs->cmac_last = k;
	if (2 * (hs->ncmac + 1) > hs->capcmac) {
		if (hs->ncmac >= HOSTS_MAX_CARRIER_MACS) {
			hs->cmac_capped = true;
			return;
		}
		size_t n = hs->capcmac ? 2 * hs->capcmac : 64;
		uint64_t *t = xcalloc(n, sizeof(*t));
		for (size_t i = 0; i < hs->capcmac; i++)
			if (hs->cmac[i]) {
				size_t j = cmac_slot(hs->cmac[i], n);
				while (t[j])
					j = (j + 1) & (n - 1);
				t[j] = hs->cmac[i];
			}
		free(hs->cmac);
		hs->cmac = t;
		hs->capcmac = n;
	}
	size_t j = cmac_slot(k, hs->capcmac);
	while (hs->cmac[j] && hs->cmac[j] != k)
		j = (j + 1) & (hs->capcmac - 1);
	if (!hs->cmac[j]) {
		hs->cmac[j] = k;
		hs->ncmac++;
	}
}

bool hosts_mac_has_carrier(const struct analysis *a, const uint8_t mac[6])
{
	const struct hosts_state *hs = &((const struct an_priv *)a->priv)->hs;
	if (hs->cmac_capped)
		return true;
	if (!hs->capcmac)
		return false;
	uint64_t k = mac_key(mac);
	for (size_t j = cmac_slot(k, hs->capcmac); hs->cmac[j]; j = (j + 1) & (hs->capcmac - 1))
		if (hs->cmac[j] == k)
			return true;
	return false;
}

void hosts_learn_mac(struct analysis *a, const struct pkt *p)
{
	struct an_priv *pv = a->priv;
	static const uint8_t zero[6];
	hostos_packet(a, p); /* its TTL, with or without a link layer */
	if (!p->has_mac || memcmp(p->src_mac, zero, 6) == 0 || (p->src_mac[0] & 1))
		return;
	/* the MAC is the outer packet's sender: inside a tunnel, the inner
	 * source is somebody else */
	if (p->nencap)
		return;
	if (addr_is_multicast(&p->src) || addr_is_loopback(&p->src) || p->src.af == 0)
		return;
	/* a run of packets from one sender (the carrier) is looked up once:
	 * an address in the map never changes (the first sender wins) */
	if (addr_cmp(&pv->hs.mm_last, &p->src) == 0)
		return;
	size_t b = (size_t)(hash_bytes(&p->src, sizeof(p->src), pv->seed) & (pv->hs.nmm_buckets - 1));
	for (struct macmap_ent *e = pv->hs.mm[b]; e; e = e->next)
		if (addr_cmp(&e->addr, &p->src) == 0) {
			pv->hs.mm_last = p->src;
			return; /* first sender wins: stable whatever follows */
		}
	if (pv->hs.nmm >= MACMAP_MAX)
		return;
	struct macmap_ent *e = xcalloc(1, sizeof(*e));
	e->addr = p->src;
	memcpy(e->mac, p->src_mac, 6);
	e->next = pv->hs.mm[b];
	pv->hs.mm[b] = e;
	pv->hs.nmm++;
	pv->hs.mm_last = p->src;
}

static const uint8_t *macmap_find(const struct analysis *a, const struct ls_addr *x)
{
	const struct an_priv *pv = a->priv;
	size_t b = (size_t)(hash_bytes(x, sizeof(*x), pv->seed) & (pv->hs.nmm_buckets - 1));
	for (const struct macmap_ent *e = pv->hs.mm[b]; e; e = e->next)
		if (addr_cmp(&e->addr, x) == 0)
			return e->mac;
	return NULL;
}

static size_t host_slot(const struct hosts_state *hs, const char *key, uint64_t seed)
{
	size_t mask = hs->nhidx - 1;
	size_t i = (size_t)hash_bytes(key, strlen(key), seed) & mask;
	return i;
}

/* The index of the host with this key, -1 when there is none. */
static int host_find(const struct analysis *a, const char *key)
{
	const struct an_priv *pv = a->priv;
	const struct hosts_state *hs = &pv->hs;
	if (!hs->nhidx)
		return -1;
	for (size_t i = host_slot(hs, key, pv->seed);; i = (i + 1) & (hs->nhidx - 1)) {
		uint32_t v = hs->hidx[i];
		if (!v)
			return -1;
		if (strcmp(a->hosts[v - 1].key, key) == 0)
			return (int)(v - 1);
	}
}

static void host_index_put(struct analysis *a, size_t idx)
{
	struct an_priv *pv = a->priv;
	struct hosts_state *hs = &pv->hs;
	if (2 * (a->nhosts + 1) > hs->nhidx) {
		size_t n = hs->nhidx ? 2 * hs->nhidx : 1024;
		free(hs->hidx);
		hs->hidx = xcalloc(n, sizeof(*hs->hidx));
		hs->nhidx = n;
		for (size_t h = 0; h < a->nhosts; h++) {
			size_t i = host_slot(hs, a->hosts[h].key, pv->seed);
			while (hs->hidx[i])
				i = (i + 1) & (n - 1);
			hs->hidx[i] = (uint32_t)h + 1;
		}
	}
	size_t i = host_slot(hs, a->hosts[idx].key, pv->seed);
	while (hs->hidx[i])
		i = (i + 1) & (hs->nhidx - 1);
	hs->hidx[i] = (uint32_t)idx + 1;
}

static int host_find_or_add(struct analysis *a, const char *key, bool has_mac, const uint8_t *mac,
			    const struct ls_addr *addr)
{
	int found = host_find(a, key);
	if (found >= 0)
		return found;
	if (a->nhosts >= (a->opt.max_hosts ? a->opt.max_hosts : (size_t)AN_MAX_HOSTS)) {
		a->hosts_capped = true;
		return -1;
	}
	a->hosts = xgrow(a->hosts, &a->caphosts, a->nhosts + 1, sizeof(*a->hosts));
	struct an_host *h = &a->hosts[a->nhosts];
	memset(h, 0, sizeof(*h));
	h->key = xstrdup(key);
	char id[64];
	if (has_mac) {
		h->has_mac = true;
		memcpy(h->mac, mac, 6);
		snprintf(id, sizeof(id), "%02x-%02x-%02x-%02x-%02x-%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
			 mac[5]);
	} else {
		addr_str(addr, id, sizeof(id));
		for (char *c = id; *c; c++)
			if (*c == ':')
				*c = '-';
	}
	h->id = xstrdup(id);
	host_index_put(a, a->nhosts);
	return (int)a->nhosts++;
}

static void host_add_addr(struct an_host *h, const struct ls_addr *x)
{
	if (x->af == 0 || addr_is_multicast(x))
		return;
	for (size_t i = 0; i < h->naddrs; i++)
		if (addr_cmp(&h->addrs[i], x) == 0)
			return;
	if (h->naddrs >= 256)
		return;
	h->addrs = xgrow(h->addrs, &h->capaddrs, h->naddrs + 1, sizeof(*h->addrs));
	h->addrs[h->naddrs++] = *x;
}

static void key_for(char *key, size_t len, bool has_mac, const uint8_t *mac, const struct ls_addr *addr)
{
	if (has_mac) {
		snprintf(key, len, "mac:%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
			 mac[5]);
	} else {
		char b[64];
		snprintf(key, len, "ip:%s", addr_str(addr, b, sizeof(b)));
	}
}

int hosts_of_tunnel(struct analysis *a, int ti)
{
	struct an_tunnel *t = &a->tun[ti];
	if (!t->have_sender)
		return -1;
	if (t->carrier_host >= 0)
		return t->carrier_host;
	const uint8_t *mac = t->has_mac ? t->mac : macmap_find(a, &t->addr);
	char key[96];
	key_for(key, sizeof(key), mac != NULL, mac, &t->addr);
	t->carrier_host = host_find_or_add(a, key, mac != NULL, mac, &t->addr);
	if (t->carrier_host >= 0)
		host_add_addr(&a->hosts[t->carrier_host], &t->addr);
	return t->carrier_host;
}

void hosts_of_tunnels(struct analysis *a)
{
	if (a->tun)
		for (size_t t = 0; t < a->rules->n_tunnels; t++)
			hosts_of_tunnel(a, (int)t);
}

int hosts_assign_event(struct analysis *a, struct ev *e, bool inside)
{
	const struct rules *r = a->rules;
	int h = -1;
	if (e->tunnel_idx >= 0 && (e->path == PATH_TUNNEL || inside))
		h = hosts_of_tunnel(a, e->tunnel_idx);
	if (h < 0 && e->path == PATH_LOCAL && a->tun) {
		/* loopback belongs to the capturing host: the tunnel's owner
		 * when the capture has exactly one */
		int only = -1, count = 0;
		for (size_t t = 0; t < r->n_tunnels; t++)
			if (a->tun[t].have_sender) {
				only = (int)t;
				count++;
			}
		if (count == 1)
			h = hosts_of_tunnel(a, only);
	}
	if (h < 0) {
		const uint8_t *mac = e->has_mac ? e->client_mac : macmap_find(a, &e->client);
		char key[96];
		key_for(key, sizeof(key), mac != NULL, mac, &e->client);
		h = host_find_or_add(a, key, mac != NULL, mac, &e->client);
	}
	e->host_idx = h;
	if (h >= 0 && !addr_is_multicast(&e->client))
		host_add_addr(&a->hosts[h], &e->client);
	return h;
}

static void host_add_name(struct an_host *h, const char *name, const char *source)
{
	char buf[192];
	snprintf(buf, sizeof(buf), "%s (%s)", name, source);
	for (size_t i = 0; i < h->nnames; i++)
		if (strcmp(h->names[i], buf) == 0)
			return;
	if (h->nnames >= sizeof(h->names) / sizeof(h->names[0]))
		return;
	h->names[h->nnames++] = xstrdup(buf);
}

static int str_qcmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Announced names go to the host with that MAC (or address). */
void hosts_attach_labels(struct analysis *a)
{
	for (size_t i = 0; i < a->nlabels; i++) {
		const struct an_label *l = &a->labels[i];
		char key[96];
		key_for(key, sizeof(key), l->has_mac, l->mac, &l->addr);
		int h = host_find(a, key);
		if (h >= 0)
			host_add_name(&a->hosts[h], l->name, l->source);
	}
	for (size_t h = 0; h < a->nhosts; h++)
		qsort(a->hosts[h].names, a->hosts[h].nnames, sizeof(char *), str_qcmp);
}

void hosts_count_event(struct analysis *a, const struct ev *e)
{
	if (e->host_idx < 0)
		return;
	struct an_host *h = &a->hosts[e->host_idx];
	h->events++;
	h->by_cat[e->category]++;
	hostos_event(a, e);
	if (e->verdict == VERDICT_LEAK)
		h->leaks++;
	else if (e->verdict == VERDICT_ALLOWED)
		h->allowed++;
}

static int addr_qcmp(const void *x, const void *y)
{
	return addr_cmp(x, y);
}

void hosts_finish(struct analysis *a)
{
	/* addresses in order once here: the report writers only read the
	 * analysis (with -j they run side by side) */
	for (size_t i = 0; i < a->nhosts; i++)
		if (a->hosts[i].naddrs > 1)
			qsort(a->hosts[i].addrs, a->hosts[i].naddrs, sizeof(*a->hosts[i].addrs), addr_qcmp);
}
