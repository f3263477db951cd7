/* carrier.c - VPN carriers: declared endpoints, shapes of WireGuard, IKE and OpenVPN, the carrier table.
 *
 * nDPI names most carriers; the shapes here catch what nDPI 4.2 misses
 * (a capture starting mid-session, OpenVPN over TCP without HMAC, IKE on
 * its ports, WireGuard mixed with other messages as Tailscale's).  Every
 * shape is checked against its specification and bounded by the payload
 * length.  See carrier.h.
 */
#include "carrier.h"

#include <stdlib.h>
#include <string.h>

#include "carrier-evidence.h"
#include "pipeline.h"

enum wg_msg carrier_wg_msg(const uint8_t *d, uint32_t n)
{
	/* the shapes are carrier-evidence.c's; a declared WireGuard carrier
	 * also has its three reserved bytes zero */
	int t = cev_wg_type(d, n);
	if (!t || d[1] || d[2] || d[3])
		return WG_NONE;
	static const enum wg_msg m[] = {WG_NONE, WG_INITIATION, WG_RESPONSE, WG_COOKIE, WG_TRANSPORT};
	return t == 4 && n == 32 ? WG_KEEPALIVE : m[t];
}

void carrier_sniff(struct flow *f, const struct pkt *p, int dir)
{
	if (p->payload_len == 0 || f->st.cev_done)
		return;
	if (f->pkts[0] + f->pkts[1] > CEV_MAX_PACKETS) {
		f->st.cev_done = true; /* decided, or never of a carrier's shape */
		return;
	}
	cev_packet(&f->st.cev, p->proto, p->sport, p->dport, p->payload, p->payload_len, dir, p->cp->frame, p->file_idx);
}

void carrier_tls_hello(struct flow *f, const struct pkt *p, const char *sni, bool has_alpn)
{
	cev_tls_hello(&f->st.cev, sni, has_alpn, p->sport, p->dport, p->cp->frame, p->file_idx);
}

static void carrier_note(struct analysis *a, const struct cev_claim *ev, const struct ls_addr *server, uint16_t port,
			 uint8_t transport, const struct ls_addr *client, uint64_t pkts, uint64_t bytes, int64_t first,
			 int64_t last)
{
	enum tunnel_kind kind = ev->kind;
	struct an_carrier *c = NULL;
	for (size_t i = 0; i < a->ncarriers; i++) {
		struct an_carrier *x = &a->carriers[i];
		if (x->kind == kind && x->port == port && x->transport == transport && addr_cmp(&x->server, server) == 0) {
			c = x;
			break;
		}
	}
	if (!c) {
		if (a->ncarriers >= AN_MAX_CARRIERS) {
			a->carriers_capped = true;
			return;
		}
		a->carriers = xrealloc(a->carriers, (a->ncarriers + 1) * sizeof(*a->carriers));
		c = &a->carriers[a->ncarriers++];
		memset(c, 0, sizeof(*c));
		c->kind = kind;
		c->server = *server;
		c->port = port;
		c->transport = transport;
		c->client = *client;
		c->first_sec = first;
		c->last_sec = last;
	}
	if (c->flows == 0 || (int)ev->strength > c->strength) {
		c->strength = (int)ev->strength;
		c->why = ev->why;
		c->frame = ev->frame;
		c->file_idx = ev->file_idx;
		c->candidate_only = ev->candidate_only;
	} else if (!ev->candidate_only) {
		c->candidate_only = false;
	}
	c->flows++;
	c->pkts += pkts;
	c->bytes += bytes;
	if (first < c->first_sec)
		c->first_sec = first;
	if (last > c->last_sec)
		c->last_sec = last;
}

/* The ports a kind's servers listen on by default. */
static bool kind_port(enum tunnel_kind k, uint16_t port)
{
	switch (k) {
	case TK_WIREGUARD: return port == 51820;
	case TK_OPENVPN: return port == 1194 || port == 443 || port == 1197 || port == 1198;
	case TK_IPSEC: return port == 500 || port == 4500;
	case TK_TOR: return port == 9001 || port == 443;
	default: return false;
	}
}

/* Which end of a carrier flow is the server (the endpoint to describe).
 * Not simply the end that did not send first: a capture that starts in
 * the middle of a session, or a flow that idled out and came back, may
 * first show a packet from the server, and either WireGuard peer may
 * start a handshake.  So: the end on the kind's default port, else the
 * end below the ephemeral range (32768) when the other is in it, else
 * the end that did not send first. */
static bool carrier_server_is_b(const struct flow *f, enum tunnel_kind kind)
{
	bool ka = kind_port(kind, f->key.pa), kb = kind_port(kind, f->key.pb);
	if (ka != kb)
		return kb;
	bool ea = f->key.pa >= 32768, eb = f->key.pb >= 32768;
	if (ea != eb)
		return ea;
	bool init_is_a = addr_cmp(&f->init_addr, &f->key.a) == 0 && f->init_port == f->key.pa;
	return init_is_a;
}

/* nDPI's word on a flow, as evidence: never over a flow whose payloads
 * parsed as name resolution (nDPI 4.2's guesses from first bytes are the
 * ones that take DNS for OpenVPN). */
static bool dpi_claim(const struct flow *f, struct cev_claim *out)
{
	if (f->st.dns_good > 0)
		return false;
	switch (f->dpi_res.cls) {
	case DPI_WIREGUARD: out->kind = TK_WIREGUARD; out->why = "nDPI classified the flow as WireGuard"; break;
	case DPI_OPENVPN: out->kind = TK_OPENVPN; out->why = "nDPI classified the flow as OpenVPN"; break;
	case DPI_IPSEC: out->kind = TK_IPSEC; out->why = "nDPI classified the flow as IPsec"; break;
	case DPI_TOR: out->kind = TK_TOR; out->why = "nDPI classified the flow as Tor"; break;
	default: return false;
	}
	out->strength = CEV_ONE_SIDED;
	out->frame = 0;
	out->file_idx = 0;
	out->candidate_only = false;
	return true;
}

void carrier_flow_ended(struct analysis *a, struct flow *f)
{
	struct cev_claim c, d;
	bool have = cev_claim(f->st.cev, f->st.dns_good > 0, &c);
	if ((!have || c.candidate_only) && dpi_claim(f, &d)) {
		c = d;
		have = true;
	}
	cev_free(&f->st.cev);
	if (!have)
		return;
	/* ESP has no ports: the gateway is the end that did not send the
	 * first packet seen */
	bool server_is_b = f->key.proto == 50 ? addr_cmp(&f->init_addr, &f->key.a) == 0
					      : carrier_server_is_b(f, c.kind);
	const struct ls_addr *server = server_is_b ? &f->key.b : &f->key.a;
	const struct ls_addr *client = server_is_b ? &f->key.a : &f->key.b;
	uint16_t port = server_is_b ? f->key.pb : f->key.pa;
	carrier_note(a, &c, server, port, f->key.proto, client, f->pkts[0] + f->pkts[1], f->bytes[0] + f->bytes[1],
		     f->first_sec, f->last_sec);
}

/* ---------------------------------------------------------------------- */
/* The endpoint index (carrier.h) */

static uint64_t ep_hash(const struct ls_addr *a)
{
	uint64_t w0, w1;
	memcpy(&w0, a->a, 8);
	memcpy(&w1, a->a + 8, 8);
	uint64_t h = (w0 ^ ((uint64_t)a->af << 56)) * 0x9e3779b97f4a7c15ULL;
	h ^= (h >> 29) ^ w1 * 0xc2b2ae3d27d4eb4fULL;
	h *= 0x165667b19e3779f9ULL;
	return h ^ (h >> 32);
}

static int ep_cmp(const void *x, const void *y)
{
	const struct carrier_ep *a = x, *b = y;
	int c = addr_cmp(&a->addr, &b->addr);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static uint8_t full_len(const struct ls_addr *a)
{
	return a->af == 6 ? 128 : 32;
}

void carrier_index_build(struct carrier_index *ix, const struct rules *r)
{
	memset(ix, 0, sizeof(*ix));
	if (!r)
		return;
	size_t n = 0;
	for (size_t i = 0; i < r->n_tunnels; i++)
		n += r->tunnels[i].n_endpoints;
	if (!n)
		return;
	ix->exact = xcalloc(n, sizeof(*ix->exact));
	ix->pfx = xcalloc(n, sizeof(*ix->pfx));
	uint32_t order = 0;
	for (size_t i = 0; i < r->n_tunnels; i++)
		for (size_t j = 0; j < r->tunnels[i].n_endpoints; j++) {
			const struct rules_endpoint *ep = &r->tunnels[i].endpoints[j];
			struct carrier_ep e = {ep->pfx.addr, order++, ep->port, ep->transport, ep->pfx.plen, (uint32_t)i};
			if (e.plen >= full_len(&e.addr)) {
				e.plen = full_len(&e.addr);
				ix->exact[ix->nexact++] = e;
			} else {
				ix->pfx[ix->npfx++] = e;
			}
		}
	qsort(ix->exact, ix->nexact, sizeof(*ix->exact), ep_cmp);
	ix->nslots = 4;
	while (ix->nslots < 2 * ix->nexact)
		ix->nslots *= 2;
	ix->slot = xcalloc(ix->nslots, sizeof(*ix->slot));
	for (size_t k = 0; k < ix->nexact; k++) {
		if (k && addr_cmp(&ix->exact[k].addr, &ix->exact[k - 1].addr) == 0)
			continue; /* the first of an address's run is in the table */
		size_t h = (size_t)ep_hash(&ix->exact[k].addr) & (ix->nslots - 1);
		while (ix->slot[h])
			h = (h + 1) & (ix->nslots - 1);
		ix->slot[h] = (uint32_t)k + 1;
	}
}

void carrier_index_free(struct carrier_index *ix)
{
	free(ix->exact);
	free(ix->slot);
	free(ix->pfx);
	memset(ix, 0, sizeof(*ix));
}

/* addr_cmp() == 0 without the call: the probe is per packet */
static inline bool addr_same(const struct ls_addr *x, const struct ls_addr *y)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, x->a, 8);
	memcpy(&a1, x->a + 8, 8);
	memcpy(&b0, y->a, 8);
	memcpy(&b1, y->a + 8, 8);
	return x->af == y->af && a0 == b0 && a1 == b1;
}

static bool ep_fits(const struct carrier_ep *e, uint16_t port, uint8_t transport, bool any_port)
{
	return any_port || ((!e->port || e->port == port) && (!e->transport || e->transport == transport));
}

int carrier_index_match(const struct carrier_index *ix, const struct ls_addr *a, uint16_t port, uint8_t transport,
			bool any_port)
{
	const struct carrier_ep *best = NULL;
	if (ix->nexact) {
		size_t h = (size_t)ep_hash(a) & (ix->nslots - 1);
		for (uint32_t s; (s = ix->slot[h]) != 0; h = (h + 1) & (ix->nslots - 1)) {
			const struct carrier_ep *e = &ix->exact[s - 1];
			if (!addr_same(&e->addr, a))
				continue;
			for (; e < ix->exact + ix->nexact && addr_same(&e->addr, a); e++)
				if (ep_fits(e, port, transport, any_port)) {
					best = e;
					break;
				}
			break;
		}
	}
	for (size_t k = 0; k < ix->npfx; k++) {
		const struct carrier_ep *e = &ix->pfx[k];
		if (best && e->order > best->order)
			break;
		if (addr_in_prefix(a, &e->addr, e->plen) && ep_fits(e, port, transport, any_port)) {
			best = e;
			break;
		}
	}
	return best ? (int)best->tunnel : -1;
}

/* The decoder asks before opening a tunnel: a declared endpoint's carrier
 * stays closed whatever its port looks like (WireGuard on udp/4789). */
bool carrier_check_hook(void *user, const struct pkt *outer)
{
	const struct analysis *a = user;
	const struct carrier_index *ix = &((const struct an_priv *)a->priv)->cix;
	return carrier_index_match(ix, &outer->dst, outer->dport, outer->proto, false) >= 0 ||
	       carrier_index_match(ix, &outer->src, outer->sport, outer->proto, false) >= 0;
}

/* Carrier traffic: to or from a declared endpoint.  Never parsed as name
 * resolution, whatever its port (WireGuard on udp/53, OpenVPN on tcp/443). */
int carrier_declared(struct analysis *a, const struct pkt *p, bool *outbound)
{
	const struct carrier_index *ix = &((const struct an_priv *)a->priv)->cix;
	*outbound = true;
	int t = carrier_index_match(ix, &p->dst, p->dport, p->proto, false);
	if (t < 0) {
		t = carrier_index_match(ix, &p->src, p->sport, p->proto, false);
		*outbound = false;
	}
	return t;
}

void carrier_endpoint_cleartext(struct analysis *a, const struct pkt *p)
{
	/* the endpoint's address, but not its carrier port: cleartext
	 * that the host routes past the tunnel along with the carrier */
	const struct carrier_index *ix = &((const struct an_priv *)a->priv)->cix;
	if (carrier_index_match(ix, &p->dst, 0, 0, true) >= 0 || carrier_index_match(ix, &p->src, 0, 0, true) >= 0) {
		if (!a->endpoint_cleartext_pkts++) {
			a->endpoint_cleartext_file = p->file_idx;
			a->endpoint_cleartext_frame = p->cp->frame;
		}
	}
}

void carrier_merge(struct analysis *dst, const struct analysis *src)
{
	for (size_t i = 0; i < src->ncarriers; i++) {
		const struct an_carrier *c = &src->carriers[i];
		struct an_carrier *d = NULL;
		for (size_t j = 0; j < dst->ncarriers && !d; j++)
			if (dst->carriers[j].kind == c->kind && dst->carriers[j].port == c->port &&
			    dst->carriers[j].transport == c->transport && addr_cmp(&dst->carriers[j].server, &c->server) == 0)
				d = &dst->carriers[j];
		if (d) {
			if (c->strength > d->strength) {
				d->strength = c->strength;
				d->why = c->why;
				d->frame = c->frame;
				d->file_idx = c->file_idx;
			}
			if (!c->candidate_only)
				d->candidate_only = false;
			d->flows += c->flows;
			d->pkts += c->pkts;
			d->bytes += c->bytes;
			if (c->first_sec < d->first_sec) {
				d->first_sec = c->first_sec;
				d->client = c->client;
			}
			if (c->last_sec > d->last_sec)
				d->last_sec = c->last_sec;
		} else if (dst->ncarriers < AN_MAX_CARRIERS) {
			dst->carriers = xrealloc(dst->carriers, (dst->ncarriers + 1) * sizeof(*dst->carriers));
			dst->carriers[dst->ncarriers++] = *c;
		} else {
			dst->carriers_capped = true;
		}
	}
}

void carrier_free(struct analysis *a)
{
	carrier_index_free(&((struct an_priv *)a->priv)->cix);
	free(a->carriers);
}
