/* analyze.c - the pipeline: capture -> decode -> flows -> nDPI -> DNS events -> tunnel timeline, hosts, verdicts. */
#include "analyze.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "capture.h"
#include "dhcp.h"
#include "dpi.h"
#include "flow.h"
#include "resolvers.h"
#include "stream.h"

#define ARPHRD_LOOPBACK_ 772
#define ARPHRD_NONE_ 0xfffe
#define MACMAP_MAX 65536
/* The same packet captured twice, on two interfaces of one `tcpdump -i any`
 * (a VLAN and its parent, a bridge and its port) is one question, not two. */
#define DUP_SLOTS 4096
#define DUP_WINDOW_US 200000

/* Address -> MAC, learned from packets a host sent itself (src IP, src MAC),
 * to join a host's events seen without a link layer to the same host. */
struct macmap_ent {
	struct ls_addr addr;
	uint8_t mac[6];
	struct macmap_ent *next;
};

struct an_priv {
	struct macmap_ent **mm;
	size_t nmm_buckets, nmm;
	uint64_t seed;
	uint32_t last_iface;     /* cache: most packets come from the same interface */
	struct ls_addr mm_last;  /* cache: the last source address known to the MAC map */
	struct dns_msg *msg;     /* scratch: large, reused */
	struct stream_ctx sc;    /* TCP streams */
	struct flow *cur_flow;   /* the flow whose stream is being fed */
	uint64_t *inside_keys;   /* an_finish: sorted keys of inside questions */
	size_t n_inside_keys;
	int cur_dir;
	struct dup_slot {
		uint64_t sig;
		int64_t ts_us;
		uint32_t iface;
	} dup[DUP_SLOTS];
};

static void stream_dns(void *user, const struct pkt *p, int dir, enum ev_proto proto, const struct dns_msg *m,
		       uint32_t anom, uint32_t iref);
static void stream_hello(void *user, const struct pkt *p, const struct tls_hello *h, uint32_t iref);

static void carrier_note(struct analysis *a, enum tunnel_kind kind, const struct ls_addr *server, uint16_t port,
			 uint8_t transport, const struct ls_addr *client, uint64_t pkts, uint64_t bytes, int64_t first,
			 int64_t last)
{
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
	c->flows++;
	c->pkts += pkts;
	c->bytes += bytes;
	if (first < c->first_sec)
		c->first_sec = first;
	if (last > c->last_sec)
		c->last_sec = last;
}

/* Every flow that ends: its TCP stream is flushed (late DNS messages,
 * DoT record counts), and carriers are kept for suggest-tunnel. */
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

static void flow_ended(struct flow *f, void *user)
{
	struct analysis *a = user;
	struct an_priv *pv = a->priv;
	if (f->app) {
		long tag;
		uint64_t app[2];
		pv->cur_flow = f;
		stream_close(&pv->sc, f->app, &tag, app);
		pv->cur_flow = NULL;
		f->app = NULL;
		struct ev *e = tag >= 0 ? ev_get_mut(a->ev, (size_t)tag) : NULL;
		if (e) {
			e->tls_app_records[0] = app[0];
			e->tls_app_records[1] = app[1];
		}
	}
	enum tunnel_kind kind;
	switch (f->dpi_res.cls) {
	case DPI_WIREGUARD: kind = TK_WIREGUARD; break;
	case DPI_OPENVPN: kind = TK_OPENVPN; break;
	case DPI_IPSEC: kind = TK_IPSEC; break;
	case DPI_TOR: kind = TK_TOR; break;
	default:
		if (!f->sniffed_kind)
			return;
		kind = (enum tunnel_kind)(f->sniffed_kind - 1);
	}
	bool server_is_b = carrier_server_is_b(f, kind);
	const struct ls_addr *server = server_is_b ? &f->key.b : &f->key.a;
	const struct ls_addr *client = server_is_b ? &f->key.a : &f->key.b;
	uint16_t port = server_is_b ? f->key.pb : f->key.pa;
	carrier_note(a, kind, server, port, f->key.proto, client, f->pkts[0] + f->pkts[1], f->bytes[0] + f->bytes[1],
		     f->first_sec, f->last_sec);
}

/* The decoder asks before opening a tunnel: a declared endpoint's carrier
 * stays closed whatever its port looks like (WireGuard on udp/4789). */
static bool is_carrier_hook(void *user, const struct pkt *outer)
{
	const struct analysis *a = user;
	return rules_endpoint_match(a->rules, &outer->dst, outer->dport, outer->proto) ||
	       rules_endpoint_match(a->rules, &outer->src, outer->sport, outer->proto);
}

void an_options_default(struct an_options *o)
{
	memset(o, 0, sizeof(*o));
	o->gap_ms = 0; /* automatic */
	o->parallel_ms = AN_DEFAULT_PARALLEL_MS;
	o->max_events = AN_DEFAULT_MAX_EVENTS;
	o->max_flows = FLOW_DEFAULT_MAX;
}

struct analysis *an_new(const struct an_options *o, const struct rules *rules)
{
	struct analysis *a = xcalloc(1, sizeof(*a));
	struct an_priv *pv = xcalloc(1, sizeof(*pv));
	a->priv = pv;
	if (o)
		a->opt = *o;
	else
		an_options_default(&a->opt);
	a->rules = rules;
	/* A fixed seed keeps runs reproducible; hash order never reaches the
	 * output (everything is sorted), so the seed only spreads buckets. */
	pv->seed = 0x6c65616b73636f70ULL;
	pv->nmm_buckets = 4096;
	pv->mm = xcalloc(pv->nmm_buckets, sizeof(*pv->mm));
	pv->msg = xmalloc(sizeof(*pv->msg));
	struct stream_hooks hooks = {stream_dns, stream_hello, a};
	stream_ctx_init(&pv->sc, &hooks);
	pv->last_iface = UINT32_MAX;
	a->dec = decode_new();
	if (rules)
		decode_set_carrier_check(a->dec, is_carrier_hook, a);
	a->flows = flow_new(a->opt.max_flows, pv->seed, flow_ended, a);
	a->dpi = dpi_new();
	if (!a->dpi) {
		fprintf(stderr, "leakscope: cannot initialise nDPI\n");
		exit(2);
	}
	a->ev = ev_new(a->opt.max_events, pv->seed);
	if (a->opt.ev_block || a->opt.ev_window || a->opt.ev_cache)
		ev_set_storage(a->ev, a->opt.ev_block, a->opt.ev_window, a->opt.ev_cache);
	(void)resolver_addr_known(&(struct ls_addr){0}); /* builds its table now, before any thread */
	if (rules && rules->n_tunnels) {
		a->tun = xcalloc(rules->n_tunnels, sizeof(*a->tun));
		for (size_t i = 0; i < rules->n_tunnels; i++)
			a->tun[i].carrier_host = -1;
	}
	return a;
}

void an_prepare_reports(struct analysis *a)
{
	if (a->evview)
		return;
	ev_seal(a->ev);
	a->evview = ev_hostview_new(a->ev, a->nhosts);
}

void an_free(struct analysis *a)
{
	if (!a)
		return;
	struct an_priv *pv = a->priv;
	flow_free(a->flows);
	dpi_free(a->dpi);
	decode_free(a->dec);
	ev_hostview_free(a->evview);
	ev_free(a->ev);
	for (size_t i = 0; i < a->nfiles; i++) {
		free(a->files[i].path);
		free(a->files[i].error);
	}
	free(a->files);
	for (size_t i = 0; i < a->nifaces; i++) {
		free(a->ifaces[i].name);
		free(a->ifaces[i].desc);
	}
	free(a->ifaces);
	if (a->tun)
		for (size_t i = 0; i < a->rules->n_tunnels; i++) {
			free(a->tun[i].segs);
			free(a->tun[i].ka_us);
			free(a->tun[i].idle_us);
		}
	free(a->tun);
	for (size_t i = 0; i < a->nhosts; i++) {
		free(a->hosts[i].key);
		free(a->hosts[i].id);
		free(a->hosts[i].addrs);
	}
	for (size_t i = 0; i < a->nhosts; i++)
		for (size_t k = 0; k < a->hosts[i].nnames; k++)
			free(a->hosts[i].names[k]);
	free(a->hosts);
	free(a->carriers);
	free(a->labels);
	free(a->routes);
	for (size_t b = 0; b < pv->nmm_buckets; b++) {
		struct macmap_ent *e = pv->mm[b], *nx;
		for (; e; e = nx) {
			nx = e->next;
			free(e);
		}
	}
	free(pv->mm);
	free(pv->msg);
	stream_ctx_free(&pv->sc);
	free(pv);
	free(a);
}

/* ---------------------------------------------------------------------- */
/* Interfaces */

static uint32_t iface_ref(struct analysis *a, const struct pkt *p)
{
	struct an_priv *pv = a->priv;
	const struct cap_packet *cp = p->cp;
	int id = p->ifindex;
	if (pv->last_iface < a->nifaces) {
		struct an_iface *c = &a->ifaces[pv->last_iface];
		if (c->file_idx == p->file_idx && c->id == id && c->linktype == cp->linktype)
			return pv->last_iface;
	}
	for (size_t i = 0; i < a->nifaces; i++) {
		struct an_iface *c = &a->ifaces[i];
		if (c->file_idx == p->file_idx && c->id == id && c->linktype == cp->linktype) {
			pv->last_iface = (uint32_t)i;
			return (uint32_t)i;
		}
	}
	if (a->nifaces >= AN_MAX_IFACES) {
		/* A hostile capture may claim thousands of SLL2 interfaces: the
		 * rest share the last slot, and the report says so. */
		a->ifaces_capped = true;
		return (uint32_t)(a->nifaces - 1);
	}
	a->ifaces = xgrow(a->ifaces, &a->capifaces, a->nifaces + 1, sizeof(*a->ifaces));
	struct an_iface *n = &a->ifaces[a->nifaces];
	memset(n, 0, sizeof(*n));
	n->file_idx = p->file_idx;
	n->id = id;
	/* PKTAP names each packet's own interface: that beats the name of
	 * the capture's interface (a pcapng's "pktap" or "any") */
	n->name = p->ifname ? xstrdup(p->ifname) : cp->iface_name ? xstrdup(cp->iface_name) : NULL;
	n->desc = p->ifname ? NULL : cp->iface_desc ? xstrdup(cp->iface_desc) : NULL;
	n->linktype = cp->linktype;
	n->hatype = p->hatype;
	n->tunnel_idx = -1;
	pv->last_iface = (uint32_t)a->nifaces;
	return (uint32_t)a->nifaces++;
}

const char *iface_role_str(enum iface_role r)
{
	static const char *const n[] = {"unknown", "tunnel", "physical", "loopback"};
	return (unsigned)r <= IF_LOOPBACK ? n[r] : "?";
}

const char *an_iface_label(const struct analysis *a, uint32_t ref, char *buf, size_t len)
{
	if (ref >= a->nifaces) {
		snprintf(buf, len, "-");
		return buf;
	}
	const struct an_iface *f = &a->ifaces[ref];
	if (f->name && f->desc && strncmp(f->name, "\\Device\\", 8) == 0)
		snprintf(buf, len, "%s (%s)", f->desc, f->name); /* Windows: the GUID alone says nothing */
	else if (f->name)
		snprintf(buf, len, "%s", f->name);
	else if (f->linktype == 276 && f->id >= 0)
		snprintf(buf, len, "ifindex%d", f->id);
	else if (f->id > 0)
		snprintf(buf, len, "if%d", f->id);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* ---------------------------------------------------------------------- */
/* MAC map */

static void macmap_learn(struct analysis *a, const struct pkt *p)
{
	struct an_priv *pv = a->priv;
	static const uint8_t zero[6];
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
	if (addr_cmp(&pv->mm_last, &p->src) == 0)
		return;
	size_t b = (size_t)(hash_bytes(&p->src, sizeof(p->src), pv->seed) & (pv->nmm_buckets - 1));
	for (struct macmap_ent *e = pv->mm[b]; e; e = e->next)
		if (addr_cmp(&e->addr, &p->src) == 0) {
			pv->mm_last = p->src;
			return; /* first sender wins: stable whatever follows */
		}
	if (pv->nmm >= MACMAP_MAX)
		return;
	struct macmap_ent *e = xcalloc(1, sizeof(*e));
	e->addr = p->src;
	memcpy(e->mac, p->src_mac, 6);
	e->next = pv->mm[b];
	pv->mm[b] = e;
	pv->nmm++;
	pv->mm_last = p->src;
}

static const uint8_t *macmap_find(const struct analysis *a, const struct ls_addr *x)
{
	const struct an_priv *pv = a->priv;
	size_t b = (size_t)(hash_bytes(x, sizeof(*x), pv->seed) & (pv->nmm_buckets - 1));
	for (const struct macmap_ent *e = pv->mm[b]; e; e = e->next)
		if (addr_cmp(&e->addr, x) == 0)
			return e->mac;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Tunnel activity */

static int64_t us_of(int64_t s, uint32_t ns)
{
	return s * 1000000 + ns / 1000;
}

static int64_t seg_start(const struct an_segment *s)
{
	return us_of(s->start_sec, s->start_nsec);
}

static int64_t seg_end(const struct an_segment *s)
{
	return us_of(s->end_sec, s->end_nsec);
}

static int seg_cmp(const void *x, const void *y)
{
	int64_t a = seg_start(x), b = seg_start(y);
	return a < b ? -1 : a > b;
}

/* Sorts a tunnel's activity segments by start and joins those less than
 * join_us apart (overlapping ones included). */
static void segs_join(struct an_tunnel *t, int64_t join_us)
{
	if (t->nsegs > 1)
		qsort(t->segs, t->nsegs, sizeof(*t->segs), seg_cmp);
	size_t w = 0;
	for (size_t r = 0; r < t->nsegs; r++) {
		if (w > 0 && seg_start(&t->segs[r]) - seg_end(&t->segs[w - 1]) <= join_us) {
			if (seg_end(&t->segs[r]) > seg_end(&t->segs[w - 1])) {
				t->segs[w - 1].end_sec = t->segs[r].end_sec;
				t->segs[w - 1].end_nsec = t->segs[r].end_nsec;
			}
			t->segs[w - 1].pkts += t->segs[r].pkts;
		} else {
			t->segs[w++] = t->segs[r];
		}
	}
	t->nsegs = w;
	t->segs_sorted = true;
}

/* Tunnel activity at a fine grain (AN_FINE_GAP_US): a packet within the
 * last segment or just after it extends it; any other starts a segment of
 * its own, even one earlier in time (captures joined in the wrong order,
 * packets reordered), and the segments are sorted and joined afterwards
 * (segs_join), so the order packets come in never changes the timeline. */
static void tunnel_activity(struct analysis *a, int ti, const struct cap_packet *cp)
{
	struct an_tunnel *t = &a->tun[ti];
	int64_t now = us_of(cp->ts_sec, cp->ts_nsec);
	struct an_segment *last = t->nsegs ? &t->segs[t->nsegs - 1] : NULL;
	if (last && now >= seg_start(last) && now <= seg_end(last) + AN_FINE_GAP_US) {
		if (now > seg_end(last)) {
			last->end_sec = cp->ts_sec;
			last->end_nsec = cp->ts_nsec;
		}
		last->pkts++;
		return;
	}
	if (t->nsegs >= AN_MAX_SEGMENTS && t->nsegs >= t->joined_nsegs + AN_MAX_SEGMENTS / 4) {
		/* out-of-order pieces may join: try, but not again before a
		 * quarter of the table is new (a join costs a sort) */
		segs_join(t, AN_FINE_GAP_US);
		t->joined_nsegs = t->nsegs;
	}
	if (t->nsegs >= AN_MAX_SEGMENTS) {
		/* A hostile capture could pulse the carrier once every two
		 * seconds for days: past the cap, activity joins the nearest
		 * earlier segment, widened to cover it (a gap could be missed;
		 * the report says so).  A full table gets nothing new, so it
		 * is sorted at most once here. */
		t->segs_capped = true;
		if (!t->segs_sorted) {
			qsort(t->segs, t->nsegs, sizeof(*t->segs), seg_cmp);
			t->segs_sorted = true;
		}
		size_t lo = 0, hi = t->nsegs; /* first segment starting after now */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (seg_start(&t->segs[mid]) <= now)
				lo = mid + 1;
			else
				hi = mid;
		}
		struct an_segment *s = &t->segs[lo ? lo - 1 : 0];
		if (now < seg_start(s)) {
			s->start_sec = cp->ts_sec;
			s->start_nsec = cp->ts_nsec;
		}
		if (now > seg_end(s)) {
			s->end_sec = cp->ts_sec;
			s->end_nsec = cp->ts_nsec;
		}
		s->pkts++;
		return;
	}
	t->segs = xgrow(t->segs, &t->capsegs, t->nsegs + 1, sizeof(*t->segs));
	t->segs_sorted = false;
	struct an_segment *s = &t->segs[t->nsegs++];
	s->start_sec = s->end_sec = cp->ts_sec;
	s->start_nsec = s->end_nsec = cp->ts_nsec;
	s->pkts = 1;
}

static int addr_qcmp(const void *x, const void *y)
{
	return addr_cmp(x, y);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* The median interval between keepalives (0: no rhythm), from their
 * times sorted: captures given out of order or packets reordered do not
 * make intervals up.  Intervals under AN_KEEPALIVE_MIN_US are dropped:
 * WireGuard schedules keepalives at least a second apart, so such a pair is
 * one keepalive seen twice (tcpdump -i any on a bridge or VLAN) and would
 * otherwise pull the median to zero.  At least three intervals make a
 * rhythm. */
static int64_t keepalive_rhythm(int64_t *ts, size_t n)
{
	if (n < 4)
		return 0;
	qsort(ts, n, sizeof(*ts), cmp_i64);
	size_t k = 0;
	int64_t prev = ts[0];
	for (size_t i = 1; i < n; i++) {
		if (ts[i] - prev < AN_KEEPALIVE_MIN_US)
			continue; /* a copy (or a burst): measured from the first */
		ts[k++] = ts[i] - prev; /* intervals overwrite the consumed times */
		prev = ts[i];
	}
	if (k < 3)
		return 0;
	qsort(ts, k, sizeof(*ts), cmp_i64);
	return ts[k / 2];
}

/* A ping rhythm in the silences of an idle carrier: OpenVPN's keepalive
 * (ping 10 by default in pushed configs) sends a packet when nothing else
 * was sent for its interval, so an idle tunnel's outbound silences all
 * last about that long (OpenVPN checks once a second: 10 to 11 s).  The
 * rhythm is the median of the largest cluster of silences within 15% of
 * each other, if at least 4 silences and a third of them are in it;
 * otherwise 0 (none: pauses of a busy tunnel are no rhythm).  Without it,
 * such silences would sit right at the 10 s default and a tunnel that is
 * up would read as flapping. */
static int64_t idle_rhythm(int64_t *v, size_t n)
{
	if (n < 4)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	size_t best = 0, best_n = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		if (j < i)
			j = i;
		while (j < n && v[j] <= v[i] + v[i] * 15 / 100)
			j++;
		if (j - i > best_n) {
			best_n = j - i;
			best = i;
		}
	}
	if (best_n < 4 || best_n * 3 < n)
		return 0;
	return v[best + best_n / 2];
}

/* Picks each tunnel's gap threshold and merges the fine-grained activity
 * segments with it.  A tunnel with a keepalive rhythm (WireGuard
 * PersistentKeepalive, OpenVPN ping) is silent for at most one interval
 * while up, so 2.5 intervals of silence means it was down; without a
 * rhythm an idle tunnel is simply silent, and only a long silence (the
 * default 10 s, or --gap) counts. */
static void finish_timeline(struct analysis *a)
{
	for (size_t ti = 0; a->rules && ti < a->rules->n_tunnels; ti++) {
		struct an_tunnel *t = &a->tun[ti];
		t->keepalive_us = keepalive_rhythm(t->ka_us, t->n_ka);
		if (!t->keepalive_us) {
			t->keepalive_us = idle_rhythm(t->idle_us, t->n_idle);
			t->keepalive_from_idle = t->keepalive_us != 0;
		}
		if (a->opt.gap_ms) {
			t->gap_us = (int64_t)a->opt.gap_ms * 1000;
			t->gap_why = "set with --gap";
		} else if (t->keepalive_us > 0) {
			t->gap_us = t->keepalive_us * 5 / 2;
			if (t->gap_us < AN_FINE_GAP_US)
				t->gap_us = AN_FINE_GAP_US;
			t->gap_why = t->keepalive_from_idle
					     ? "2.5 times the ping rhythm of the carrier's silences (no WireGuard keepalive seen)"
					     : "2.5 times the keepalive interval seen in the carrier";
		} else {
			t->gap_us = (int64_t)AN_DEFAULT_GAP * 1000000;
			t->gap_why = "default: no keepalive rhythm seen in the carrier";
		}
		segs_join(t, AN_FINE_GAP_US);
		segs_join(t, t->gap_us);
	}
}

/* Carrier traffic: to or from a declared endpoint.  Never parsed as name
 * resolution, whatever its port (WireGuard on udp/53, OpenVPN on tcp/443). */
static int carrier_of(struct analysis *a, const struct pkt *p, bool *outbound)
{
	if (!a->rules)
		return -1;
	const struct rules_tunnel *t = rules_endpoint_match(a->rules, &p->dst, p->dport, p->proto);
	*outbound = true;
	if (!t) {
		t = rules_endpoint_match(a->rules, &p->src, p->sport, p->proto);
		*outbound = false;
	}
	if (!t)
		return -1;
	return (int)(t - a->rules->tunnels);
}

static void carrier_packet(struct analysis *a, int ti, const struct pkt *p, bool outbound, uint32_t iref)
{
	struct an_tunnel *t = &a->tun[ti];
	t->carrier_pkts++;
	t->carrier_bytes += p->cp->wirelen;
	a->carrier_pkts++;
	a->ifaces[iref].carrier_pkts++;
	/* WireGuard handshake initiation: type 1, 148 bytes (WireGuard paper 5.4.2). */
	if (p->proto == 17 && p->payload_len == 148 && p->payload[0] == 1)
		t->handshakes++;
	/* WireGuard keepalive: a transport message (type 4) with no data is
	 * 16 bytes of header and a 16-byte tag. */
	if (outbound && p->proto == 17 && p->payload_len == 32 && p->payload[0] == 4 && a->opt.shard == 0 &&
	    t->n_ka < AN_KEEPALIVE_MAX) {
		/* times, not intervals: the rhythm is measured once they are
		 * sorted, so captures given out of order do not distort it */
		t->ka_us = xgrow(t->ka_us, &t->cap_ka, t->n_ka + 1, sizeof(*t->ka_us));
		t->ka_us[t->n_ka++] = us_of(p->cp->ts_sec, p->cp->ts_nsec);
	}
	if (outbound && a->opt.shard == 0) {
		int64_t now = us_of(p->cp->ts_sec, p->cp->ts_nsec);
		if (t->last_out_us && now - t->last_out_us >= AN_IDLE_MIN_US && t->n_idle < AN_KEEPALIVE_MAX) {
			t->idle_us = xgrow(t->idle_us, &t->cap_idle, t->n_idle + 1, sizeof(*t->idle_us));
			t->idle_us[t->n_idle++] = now - t->last_out_us;
		}
		t->last_out_us = now;
	}
	if (outbound && !t->have_sender) {
		t->have_sender = true;
		t->addr = p->src;
		static const uint8_t zero[6];
		if (p->has_mac && memcmp(p->src_mac, zero, 6) != 0) {
			t->has_mac = true;
			memcpy(t->mac, p->src_mac, 6);
		}
	}
	tunnel_activity(a, ti, p->cp);
}

/* ---------------------------------------------------------------------- */
/* Name resolution dissection */

/* True when p repeats a name-resolution packet seen an instant ago on
 * another interface.  Direct-mapped by signature: O(1) per packet. */
static bool seen_on_other_iface(struct analysis *a, const struct pkt *p, uint32_t iref)
{
	struct an_priv *pv = a->priv;
	struct {
		struct ls_addr s, d;
		uint16_t sp, dp;
		uint8_t proto;
		uint32_t len;
	} k;
	memset(&k, 0, sizeof(k));
	k.s = p->src;
	k.d = p->dst;
	k.sp = p->sport;
	k.dp = p->dport;
	k.proto = p->proto;
	k.len = p->payload_len;
	uint64_t sig = hash_bytes(&k, sizeof(k), pv->seed);
	sig = hash_bytes(p->payload, p->payload_len < 512 ? p->payload_len : 512, sig);
	struct dup_slot *d = &pv->dup[sig % DUP_SLOTS];
	int64_t now = us_of(p->cp->ts_sec, p->cp->ts_nsec);
	int64_t dt = now - d->ts_us;
	if (d->sig == sig && d->iface != iref && dt <= DUP_WINDOW_US && dt >= -DUP_WINDOW_US) {
		a->dup_pkts++;
		return true;
	}
	d->sig = sig;
	d->ts_us = now;
	d->iface = iref;
	return false;
}

/*
 * A message to or from port 53 whose question does not parse (a
 * compression loop, a forward pointer, a name over 255 bytes) still left
 * the host: resolvers answer some of these, and hiding a query behind a
 * malformed name is exactly what an auditor must see.  When the header is
 * plausible (opcode QUERY, one to four questions, no more than a handful
 * of records), keep one question with a placeholder name; the anomaly bits
 * say why.  Random bytes rarely pass: nDPI and the flow's parse history are
 * checked first.
 */
static bool salvage_question(const struct pkt *p, struct dns_msg *m)
{
	struct cur c;
	cur_init(&c, p->payload, p->payload_len);
	uint16_t id = cur_u16(&c), flags = cur_u16(&c), qd = cur_u16(&c), an = cur_u16(&c);
	uint16_t ns = cur_u16(&c), ar = cur_u16(&c);
	if (c.err || ((flags >> 11) & 0xf) != 0 || qd < 1 || qd > 4 || an > 64 || ns > 64 || ar > 64)
		return false;
	uint32_t anom = m->anomalies;
	memset(m, 0, offsetof(struct dns_msg, q));
	m->id = id;
	m->qr = (flags & 0x8000) != 0;
	m->rcode = flags & 0xf;
	m->qdcount = qd;
	m->nq = 1;
	snprintf(m->q[0].name, sizeof(m->q[0].name), "(undecodable)");
	m->q[0].qtype = 0;
	m->q[0].qclass = 1;
	m->nrr = 0;
	m->anomalies = anom;
	return true;
}

static void label_add(struct analysis *a, const struct pkt *p, bool use_dst, const char *name, const char *source)
{
	if (!name[0])
		return;
	const uint8_t *mac = use_dst ? p->dst_mac : p->src_mac;
	for (size_t i = 0; i < a->nlabels; i++) {
		struct an_label *l = &a->labels[i];
		if (strcmp(l->name, name) == 0 && l->source == source && l->has_mac == p->has_mac &&
		    (!p->has_mac || memcmp(l->mac, mac, 6) == 0))
			return;
	}
	if (a->nlabels >= AN_MAX_LABELS) {
		a->labels_capped = true;
		return;
	}
	a->labels = xrealloc(a->labels, (a->nlabels + 1) * sizeof(*a->labels));
	struct an_label *l = &a->labels[a->nlabels++];
	memset(l, 0, sizeof(*l));
	l->has_mac = p->has_mac;
	if (p->has_mac)
		memcpy(l->mac, mac, 6);
	l->addr = use_dst ? p->dst : p->src;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->source = source;
}

static void dissect_dhcp(struct analysis *a, const struct pkt *p)
{
	struct dhcp_info di;
	bool v4 = (p->sport == 67 || p->sport == 68) && (p->dport == 67 || p->dport == 68);
	if (v4 ? dhcp4_parse(p->payload, p->payload_len, &di) < 0 : dhcp6_parse(p->payload, p->payload_len, &di) < 0)
		return;
	if (di.hostname[0] && (v4 ? di.op == 1 : p->dport == 547)) {
		/* the client names itself in its own request */
		struct pkt q = *p;
		if (v4 && di.has_chaddr) {
			q.has_mac = true;
			memcpy(q.src_mac, di.chaddr, 6);
		}
		label_add(a, &q, false, di.hostname, v4 ? "dhcp" : "dhcpv6");
	}
	for (size_t i = 0; v4 && di.op == 2 && i < di.nroutes; i++) {
		if (a->nroutes >= AN_MAX_ROUTES) {
			a->routes_capped = true;
			break;
		}
		a->routes = xrealloc(a->routes, (a->nroutes + 1) * sizeof(*a->routes));
		struct an_route *r = &a->routes[a->nroutes++];
		memset(r, 0, sizeof(*r));
		r->has_mac = di.has_chaddr;
		memcpy(r->mac, di.chaddr, 6);
		r->net = di.routes[i].net;
		r->gw = di.routes[i].gw;
		r->plen = di.routes[i].plen;
		r->option = di.routes[i].option;
		r->file_idx = p->file_idx;
		r->frame = p->cp->frame;
		r->ts_sec = p->cp->ts_sec;
		r->ts_nsec = p->cp->ts_nsec;
	}
}

/* Names hosts announce for themselves: an mDNS response whose A/AAAA record
 * is the sender's own address, a NetBIOS name registration (opcode 5). */
static void learn_names(struct analysis *a, const struct pkt *p, enum ev_proto proto, const struct dns_msg *m)
{
	char b[64];
	if (proto == EVP_MDNS && m->qr) {
		addr_str(&p->src, b, sizeof(b));
		for (size_t i = 0; i < m->nrr; i++)
			if ((m->rr[i].type == 1 || m->rr[i].type == 28) && strcmp(m->rr[i].data, b) == 0)
				label_add(a, p, false, m->rr[i].name, "mdns");
	} else if (proto == EVP_NBNS && !m->qr && m->opcode == 5 && m->nq) {
		label_add(a, p, false, m->q[0].name, "netbios");
	}
}

/*
 * Cleartext DNS on another port (DNSCrypt certificate lookups on 443 or
 * 8443, a resolver on 5300, a tunnel through a firewall): a flow whose
 * first one or two messages from its initiator parse completely as DNS
 * queries is DNS, whatever the port.  The parser is strict (dns.h), and
 * carrier traffic never gets here.
 */
static bool odd_port_dns(struct analysis *a, const struct pkt *p, struct flow *f)
{
	struct an_priv *pv = a->priv;
	if (f->odd_dns == 1)
		return true;
	if (f->odd_dns == 2 || p->payload_len < 17)
		return false;
	bool from_init = addr_cmp(&p->src, &f->init_addr) == 0 && p->sport == f->init_port;
	if (!from_init)
		return false;
	struct dns_msg *m = pv->msg;
	if (dns_parse(p->payload, p->payload_len, m) == 0 && !m->qr && m->opcode == 0 && m->nq >= 1 &&
	    !(m->anomalies & (DNS_ANOM_COUNT_MISMATCH | DNS_ANOM_TRAILING_BYTES | DNS_ANOM_TRUNCATED_RR))) {
		f->odd_dns = 1;
		return true;
	}
	if (++f->odd_tries >= 2)
		f->odd_dns = 2;
	return false;
}

static void dissect_dns_udp(struct analysis *a, struct pkt *p, struct flow *f, uint32_t iref)
{
	struct an_priv *pv = a->priv;
	enum ev_proto proto;
	uint16_t sp = p->sport, dp = p->dport;
	/* Port 53 on either side is unicast DNS even from source port 5353
	 * (a resolver library bound there): mDNS, LLMNR and NBNS only when
	 * 53 is not involved. */
	if (sp == 53 || dp == 53)
		proto = EVP_DNS_UDP;
	else if (sp == 5353 || dp == 5353)
		proto = EVP_MDNS;
	else if (sp == 5355 || dp == 5355)
		proto = EVP_LLMNR;
	else if (sp == 137 || dp == 137)
		proto = EVP_NBNS;
	else if (odd_port_dns(a, p, f))
		proto = EVP_DNS_UDP;
	else
		return;
	/* nDPI recognised a VPN carrier on a name-resolution port. */
	enum dpi_class c = f->dpi_res.cls;
	if (c == DPI_WIREGUARD || c == DPI_OPENVPN || c == DPI_IPSEC || c == DPI_TOR) {
		a->carrier_veto++;
		return;
	}
	/* A flow that kept failing to parse is not DNS: stop trying. */
	if (f->dns_good == 0 && f->dns_bad >= 4)
		return;
	if (seen_on_other_iface(a, p, iref))
		return;
	struct dns_msg *m = pv->msg;
	if (dns_parse(p->payload, p->payload_len, m) < 0) {
		f->dns_bad++;
		a->dns_undecodable++;
		if (proto == EVP_DNS_UDP && salvage_question(p, m))
			ev_add_dns(a->ev, p, proto, m, iref, EV_ANOM_UNDECODABLE);
		return;
	}
	f->dns_good++;
	if (proto == EVP_NBNS) {
		/* The question name is the RFC 1001 first-level encoding: show the
		 * NetBIOS name itself. */
		for (size_t i = 0; i < m->nq; i++) {
			char dec[DNS_NAME_TEXT_MAX];
			char *nm = m->q[i].name;
			if (strcspn(nm, ".") != 32 || nbns_decode_name((const uint8_t *)nm, 32, dec, sizeof(dec)) < 0)
				continue;
			size_t dl = strlen(dec), tl = strlen(nm + 32); /* tl: the scope id, if any */
			if (dl + tl >= sizeof(m->q[i].name))
				continue;
			memmove(nm + dl, nm + 32, tl + 1);
			memcpy(nm, dec, dl);
		}
	}
	learn_names(a, p, proto, m);
	if (proto == EVP_NBNS && m->opcode != 0)
		return; /* registrations, releases, refreshes: not questions */
	ev_add_dns(a->ev, p, proto, m, iref, p->truncated ? EV_ANOM_TRUNCATED : 0);
}

static bool alpn_has(const char *list, const char *proto)
{
	size_t n = strlen(proto);
	for (const char *s = list; s && *s;) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l >= n && strncmp(s, proto, n) == 0 && (l == n || s[n] == '-'))
			return true; /* "doq" matches "doq" and drafts "doq-i02" */
		s = e ? e + 1 : s + l;
	}
	return false;
}

static bool name_is_tunnel_resolver(const struct rules *r, const char *sni)
{
	for (size_t t = 0; r && t < r->n_tunnels; t++)
		for (size_t i = 0; i < r->tunnels[t].n_resolvers; i++)
			if (r->tunnels[t].resolvers[i].name && sni && strcasecmp(r->tunnels[t].resolvers[i].name, sni) == 0)
				return true;
	return false;
}

/*
 * Encrypted name resolution: decided once per flow, when nDPI has seen the
 * TLS ClientHello or QUIC Initial.  DoT (RFC 7858): TCP 853 or ALPN "dot";
 * DoQ (RFC 9250): QUIC with ALPN "doq" or UDP 853; DoH (RFC 8484): TLS/QUIC
 * to a known resolver name or address, or nDPI's DoH_DoT verdict.
 */
static long decide_encrypted(struct analysis *a, const struct pkt *p, struct flow *f, int dir, uint32_t iref,
			     const char *sni, const char *alpn, bool tls, bool quic)
{
	const struct dpi_result *r = &f->dpi_res;
	f->enc_state = 1;
	/* The server is the flow's responder; dir 0 is a packet from the initiator. */
	const struct ls_addr *server = dir == 0 ? &p->dst : &p->src;
	uint16_t sport = dir == 0 ? p->dport : p->sport;
	enum ev_proto proto;
	if (sni && !sni[0])
		sni = NULL;
	bool named = (sni && (resolver_name_known(sni) || name_is_tunnel_resolver(a->rules, sni))) ||
		     resolver_addr_known(server);
	if (p->proto == 6 && (sport == 853 || alpn_has(alpn, "dot")) && (tls || r->cls == DPI_UNKNOWN))
		proto = EVP_DOT;
	else if (p->proto == 17 && (alpn_has(alpn, "doq") || (sport == 853 && (quic || r->cls == DPI_UNKNOWN))))
		proto = EVP_DOQ;
	else if ((tls || quic) && (r->cls == DPI_DOH_DOT || named))
		proto = EVP_DOH;
	else
		return -1;
	/* The event is keyed from the client's side: the flow's initiator. */
	long idx = (long)ev_count(a->ev);
	return ev_add_encrypted(a->ev, p, proto, sni, iref, dir == 0) ? idx : -1;
}

/* The nDPI path: QUIC (nDPI decrypts the Initial), and TLS flows whose
 * ClientHello the stream parser did not get. */
static void check_encrypted(struct analysis *a, struct pkt *p, struct flow *f, int dir, uint32_t iref)
{
	const struct dpi_result *r = &f->dpi_res;
	if (r->cls == DPI_UNKNOWN && !r->done)
		return; /* wait for nDPI */
	bool tls = r->cls == DPI_TLS || r->cls == DPI_DOH_DOT;
	bool quic = p->proto == 17 && (r->cls == DPI_QUIC || (r->cls == DPI_DOH_DOT && r->master == 188));
	decide_encrypted(a, p, f, dir, iref, dpi_sni(r), dpi_alpn(r), tls, quic);
}

/* Stream hooks: a DNS message from a TCP stream (DNS over TCP, cleartext DoH). */
static void stream_dns(void *user, const struct pkt *p, int dir, enum ev_proto proto, const struct dns_msg *m,
		       uint32_t anom, uint32_t iref)
{
	struct analysis *a = user;
	(void)dir;
	ev_add_dns(a->ev, p, proto, m, iref, anom | (p->truncated ? EV_ANOM_TRUNCATED : 0));
}

/* The stream parser read the flow's ClientHello (h NULL: it could not). */
static void stream_hello(void *user, const struct pkt *p, const struct tls_hello *h, uint32_t iref)
{
	struct analysis *a = user;
	struct an_priv *pv = a->priv;
	struct flow *f = pv->cur_flow;
	if (!f || f->enc_state)
		return;
	/* p carries the hello: it travels from the initiator */
	long idx;
	if (h)
		idx = decide_encrypted(a, p, f, 0, iref, h->has_sni ? h->sni : NULL, h->alpn, true, false);
	else
		idx = decide_encrypted(a, p, f, 0, iref, dpi_sni(&f->dpi_res), dpi_alpn(&f->dpi_res), true, false);
	if (idx >= 0 && f->app)
		stream_count_records(f->app, idx);
}

/*
 * The first bytes of a flow's first payload, for carriers nDPI 4.2 misses
 * (OpenVPN over TCP without HMAC, for one).  WireGuard: handshake
 * initiation, type 1 with three zero bytes, 148 bytes (WireGuard paper
 * 5.4.2).  OpenVPN: P_CONTROL_HARD_RESET_CLIENT_V2/V3 (opcode 7 or 10,
 * key id 0) followed by an 8-byte session id; over TCP behind a 2-byte
 * length that matches the segment.
 */
/* An IKE header (RFC 7296 3.1; RFC 2408 3.1 for IKEv1) filling the
 * datagram exactly: two SPIs, the initiator's not zero, version 2.0 or
 * 1.0, a known exchange type, and the length field equal to what is
 * there.  On 4500 after the 4-byte non-ESP marker (RFC 3948 2.2). */
static bool ike_shaped(const uint8_t *d, uint32_t n)
{
	if (n < 28)
		return false;
	static const uint8_t zero8[8];
	if (memcmp(d, zero8, 8) == 0 || (d[17] != 0x20 && d[17] != 0x10))
		return false;
	uint8_t x = d[18];
	bool v2 = d[17] == 0x20 && x >= 34 && x <= 43;
	bool v1 = d[17] == 0x10 && (x == 2 || x == 4 || x == 5 || x == 32 || x == 33);
	uint32_t len = (uint32_t)d[24] << 24 | (uint32_t)d[25] << 16 | (uint32_t)d[26] << 8 | d[27];
	return (v1 || v2) && len == n;
}

/* A WireGuard message by its type, reserved zeros and exact size
 * (WireGuard paper 5.4): initiation 148, response 92, cookie reply 64,
 * transport data 32 + a multiple of 16. */
static bool wg_shaped(const uint8_t *d, uint32_t n)
{
	if (n < 32 || d[1] || d[2] || d[3])
		return false;
	return (d[0] == 1 && n == 148) || (d[0] == 2 && n == 92) || (d[0] == 3 && n == 64) ||
	       (d[0] == 4 && (n - 32) % 16 == 0);
}

static int8_t sniff_carrier(const struct pkt *p)
{
	const uint8_t *d = p->payload;
	uint32_t n = p->payload_len;
	if (p->proto == 17 && n == 148 && d[0] == 1 && d[1] == 0 && d[2] == 0 && d[3] == 0)
		return TK_WIREGUARD + 1;
	if (p->proto == 17 && (p->sport == 500 || p->dport == 500) && ike_shaped(d, n))
		return TK_IPSEC + 1;
	if (p->proto == 17 && (p->sport == 4500 || p->dport == 4500) && n >= 4 && !d[0] && !d[1] && !d[2] && !d[3] &&
	    ike_shaped(d + 4, n - 4))
		return TK_IPSEC + 1;
	if (p->proto == 17 && n >= 14 && (d[0] == (7 << 3) || d[0] == (10 << 3)))
		return TK_OPENVPN + 1;
	if (p->proto == 6 && n >= 16 && (uint32_t)((d[0] << 8) | d[1]) == n - 2 &&
	    (d[2] == (7 << 3) || d[2] == (10 << 3)))
		return TK_OPENVPN + 1;
	return 0;
}

/* TCP: DNS over TCP, the TLS ClientHello, DoH over HTTP/1.1 and h2c are
 * read from the reassembled stream.  DNS flows are followed from their
 * first packet (the SYN gives the sequence numbers), the others from the
 * first payload, which decides. */
static void feed_stream(struct analysis *a, const struct pkt *p, struct flow *f, int dir, uint32_t iref)
{
	struct an_priv *pv = a->priv;
	if (f->app_state == 0) {
		bool dns_port = p->sport == 53 || p->dport == 53 || p->sport == 5355 || p->dport == 5355;
		if (!dns_port && p->payload_len == 0)
			return;
		f->app = stream_open(&pv->sc, p, dir);
		f->app_state = f->app ? 1 : 2;
	}
	if (f->app_state != 1)
		return;
	pv->cur_flow = f;
	stream_feed(&pv->sc, f->app, dir, p, iref);
	pv->cur_flow = NULL;
	if (stream_finished(f->app)) {
		long tag;
		uint64_t app[2];
		stream_close(&pv->sc, f->app, &tag, app);
		f->app = NULL;
		f->app_state = 2;
	}
}

/* The shard of a packet's flow: both directions, and the same packet seen
 * on two interfaces (VLAN tags differ), land in the same shard, so
 * query/response matching and duplicate suppression stay within one
 * thread. */
static uint32_t shard_of(const struct pkt *p, uint32_t n)
{
	struct {
		struct ls_addr a, b;
		uint16_t pa, pb;
		uint8_t proto;
	} k;
	memset(&k, 0, sizeof(k));
	/* Multicast name resolution (mDNS, LLMNR, NetBIOS-NS) is answered by
	 * unicast from whoever knows: the query and its answer are different
	 * 5-tuples, matched by the client's side (event.c), so they shard by
	 * the client's address and port alone. */
	bool ll = (p->sport == 5353 || p->dport == 5353 || p->sport == 5355 || p->dport == 5355 || p->sport == 137 ||
		   p->dport == 137) && p->sport != 53 && p->dport != 53;
	if (ll) {
		/* the client's side exactly as event.c keys the message: the
		 * sender of a query (QR clear), the receiver of a response */
		bool client_is_src = p->payload_len < 3 || !(p->payload[2] & 0x80);
		k.a = client_is_src ? p->src : p->dst;
		k.pa = client_is_src ? p->sport : p->dport;
		k.proto = p->proto;
		return (uint32_t)(hash_bytes(&k, sizeof(k), 0x5eed) % n);
	}
	bool sw = addr_cmp(&p->src, &p->dst) > 0 || (addr_cmp(&p->src, &p->dst) == 0 && p->sport > p->dport);
	k.a = sw ? p->dst : p->src;
	k.b = sw ? p->src : p->dst;
	k.pa = sw ? p->dport : p->sport;
	k.pb = sw ? p->sport : p->dport;
	k.proto = p->proto;
	return (uint32_t)(hash_bytes(&k, sizeof(k), 0x5eed) % n);
}

/* Returns true when p was a tunnel's carrier (a partial keeps only its
 * headers and first payload bytes: nothing else of it is read). */
static bool process_packet(struct analysis *a, struct pkt *p)
{
	uint32_t iref = iface_ref(a, p);
	struct an_iface *ifc = &a->ifaces[iref];
	ifc->pkts++;
	if (!ifc->hatype && p->hatype)
		ifc->hatype = p->hatype;
	if (addr_is_loopback(&p->src) || addr_is_loopback(&p->dst))
		ifc->loopback_pkts++;
	macmap_learn(a, p);
	/* The host's own addresses on a point-to-point (tunnel) interface:
	 * what it sends there, as SLL says (outgoing) or, without SLL, every
	 * unicast source on a link with no MAC. */
	if (!p->has_mac && (p->pkttype == PKTTYPE_OUTGOING || p->pkttype < 0) && ifc->n_src_addrs < AN_IFACE_ADDRS &&
	    !addr_is_multicast(&p->src) && !addr_is_loopback(&p->src) && !addr_is_linklocal(&p->src)) {
		bool have = false;
		for (uint8_t i = 0; i < ifc->n_src_addrs && !have; i++)
			have = addr_cmp(&ifc->src_addrs[i], &p->src) == 0;
		if (!have)
			ifc->src_addrs[ifc->n_src_addrs++] = p->src;
	}
	if (p->proto == 50 && !a->rules && a->opt.shard == 0) {
		/* ESP has no ports and no initiator: the first packet's
		 * destination is taken as the gateway, and packets back from
		 * it count for the same carrier. */
		const struct ls_addr *srv = &p->dst, *cli = &p->src;
		for (size_t i = 0; i < a->ncarriers; i++)
			if (a->carriers[i].transport == 50 && addr_cmp(&a->carriers[i].server, &p->src) == 0) {
				srv = &p->src;
				cli = &p->dst;
				break;
			}
		carrier_note(a, TK_IPSEC, srv, 0, 50, cli, 1, p->cp->wirelen, p->cp->ts_sec, p->cp->ts_sec);
	}

	if (a->rules) {
		bool outbound;
		int ti = carrier_of(a, p, &outbound);
		if (ti >= 0) {
			carrier_packet(a, ti, p, outbound, iref);
			return true;
		}
		/* the endpoint's address, but not its carrier port: cleartext
		 * that the host routes past the tunnel along with the carrier */
		if (rules_endpoint_addr_match(a->rules, &p->dst) || rules_endpoint_addr_match(a->rules, &p->src)) {
			if (!a->endpoint_cleartext_pkts++) {
				a->endpoint_cleartext_file = p->file_idx;
				a->endpoint_cleartext_frame = p->cp->frame;
			}
		}
		const struct rules_tunnel *in = rules_inside_match(a->rules, &p->src);
		if (!in)
			in = rules_inside_match(a->rules, &p->dst);
		if (in) {
			int t = (int)(in - a->rules->tunnels);
			ifc->inside_pkts++;
			a->tun[t].inside_pkts++;
			tunnel_activity(a, t, p->cp);
		}
	}

	if (p->proto != 17 && p->proto != 6)
		return false;
	bool dhcp = p->proto == 17 && p->payload_len > 0 &&
		    (p->sport == 67 || p->sport == 68 || p->sport == 546 || p->sport == 547);
	if (dhcp) {
		/* names and routes concern the whole investigation: shard 0 */
		if (a->opt.shard == 0)
			dissect_dhcp(a, p);
		return false;
	}
	/* With -j, each thread follows only its share of the flows; what came
	 * before this point (interfaces, tunnel timeline) every thread sees. */
	if (a->opt.nshards > 1 && shard_of(p, a->opt.nshards) != a->opt.shard)
		return false;
	int dir;
	struct flow *f = flow_lookup(a->flows, p, &dir);
	if (dir == 0 && p->payload_len && f->pkts[0] <= 3 && !f->sniffed_kind)
		f->sniffed_kind = sniff_carrier(p);
	/* WireGuard seen from the middle, or mixed with other messages on its
	 * port (Tailscale's disco pings): four WireGuard-shaped datagrams, a
	 * third of the flow's first 64 packets at least. */
	if (p->proto == 17 && !f->sniffed_kind && p->payload_len && f->pkts[0] + f->pkts[1] <= 64 &&
	    wg_shaped(p->payload, p->payload_len) && f->wg_like < 255) {
		f->wg_like++;
		if (f->wg_like >= 4 && 3u * f->wg_like >= f->pkts[0] + f->pkts[1])
			f->sniffed_kind = TK_WIREGUARD + 1;
	}
	/* Name resolution first: a DNS flow that parses needs no nDPI. */
	if (p->proto == 17 && p->payload_len > 0)
		dissect_dns_udp(a, p, f, iref);
	/* nDPI is the costly part of a packet (its host-name automaton on DNS
	 * above all): a flow our own parsers have already understood, DNS that
	 * parsed or a TLS flow whose ClientHello was read, is not fed to it. */
	if (!f->dpi_res.done && (f->dns_good > 0 || (f->app_state == 1 && f->enc_state))) {
		dpi_flow_free(&f->dpi);
		f->dpi_res.done = true;
		if (f->dpi_res.cls == DPI_UNKNOWN)
			f->dpi_res.cls = f->dns_good > 0 ? DPI_DNS : DPI_TLS;
	}
	if (!f->dpi_res.done)
		dpi_feed(a->dpi, &f->dpi, p, (uint64_t)us_of(p->cp->ts_sec, p->cp->ts_nsec) / 1000, &f->dpi_res);
	if (p->proto == 6)
		feed_stream(a, p, f, dir, iref);
	/* the TLS stream parser decides TLS flows itself (stream_hello) */
	if (!f->enc_state && p->payload_len > 0 && f->app_state != 1)
		check_encrypted(a, p, f, dir, iref);
	/* nDPI's texts are needed only until both are settled */
	if (f->dpi_res.text && f->dpi_res.done && f->enc_state)
		dpi_result_clear(&f->dpi_res);
	return false;
}

/* ---------------------------------------------------------------------- */
/* Files */

static void file_note_linktype(struct an_file *fi, int lt)
{
	for (int i = 0; i < fi->n_linktypes; i++)
		if (fi->linktypes[i] == lt)
			return;
	if (fi->n_linktypes < (int)(sizeof(fi->linktypes) / sizeof(fi->linktypes[0])))
		fi->linktypes[fi->n_linktypes++] = lt;
}

/* The terminal's progress line: wall-clock time is used here only, never
 * in a report. */
static void progress(const char *path, uint64_t done, uint64_t size, const struct timespec *t0, bool last)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
	double mb = (double)done / 1e6;
	fprintf(stderr, "\r%s: %.0f of %.0f MB (%.0f%%), %.0f MB/s%s", path, mb, (double)size / 1e6,
		size ? 100.0 * (double)done / (double)size : 100.0, secs > 0 ? mb / secs : 0.0, last ? "\n" : "   ");
}

int an_add_file(struct analysis *a, const char *path)
{
	a->files = xrealloc(a->files, (a->nfiles + 1) * sizeof(*a->files));
	uint32_t idx = (uint32_t)a->nfiles++;
	struct an_file *fi = &a->files[idx];
	memset(fi, 0, sizeof(*fi));
	fi->path = xstrdup(path);
	char err[512];
	struct cap_file *cf;
	if (cap_open(path, &cf, err, sizeof(err)) < 0) {
		fi->error = xstrdup(err);
		return -1;
	}
	fi->format = cap_format(cf);
	struct partial *pw = NULL;
	if (a->opt.partial_path) {
		pw = partial_open(a->opt.partial_path, cap_origin_path(cf) ? cap_origin_path(cf) : path, fi->format, err,
				  sizeof(err));
		if (!pw) {
			fi->error = xstrdup(err);
			a->partial_failed = true;
			cap_close(cf);
			return -1;
		}
	}
	struct cap_packet cp;
	struct pkt p;
	int r;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t size = cap_size(cf);
	while ((r = cap_next(cf, &cp)) == 1) {
		fi->packets++;
		if (a->opt.progress && a->opt.shard == 0 && (fi->packets & 0xffff) == 0)
			progress(path, cap_tell(cf), size, &t0, false);
		fi->bytes += cp.wirelen;
		a->packets++;
		if (fi->packets == 1 || cp.ts_sec < fi->first_sec ||
		    (cp.ts_sec == fi->first_sec && cp.ts_nsec < fi->first_nsec)) {
			fi->first_sec = cp.ts_sec;
			fi->first_nsec = cp.ts_nsec;
		}
		if (fi->packets == 1 || cp.ts_sec > fi->last_sec ||
		    (cp.ts_sec == fi->last_sec && cp.ts_nsec > fi->last_nsec)) {
			fi->last_sec = cp.ts_sec;
			fi->last_nsec = cp.ts_nsec;
		}
		file_note_linktype(fi, cp.linktype);
		enum decode_status st = decode_packet(a->dec, &cp, idx, &p);
		bool carrier = false;
		if (st == DEC_UNSUPPORTED)
			a->unsupported_link++;
		else if (st == DEC_OK)
			carrier = process_packet(a, &p);
		if (pw) {
			uint32_t keep = cp.caplen;
			if (carrier && p.payload >= cp.data && p.payload <= cp.data + cp.caplen)
				keep = (uint32_t)(p.payload - cp.data) + PARTIAL_CARRIER_KEEP;
			if (partial_write(pw, cf, &cp, keep) < 0)
				a->partial_failed = true;
		}
	}
	if (a->opt.progress && a->opt.shard == 0)
		progress(path, cap_tell(cf), size, &t0, true);
	fi->snapped = cap_snapped(cf);
	if (r < 0) {
		fi->error = xstrdup(cap_error(cf));
		fi->truncated = true;
	} else if (cap_origin_damage(cf)) {
		/* a partial of a damaged capture: the original's story */
		fi->error = xstrdup(cap_origin_damage(cf));
		fi->truncated = true;
		r = -1;
	}
	if (cap_origin_path(cf)) {
		free(fi->path);
		fi->path = xstrdup(cap_origin_path(cf));
		fi->from_partial = true;
	}
	if (pw && partial_close(pw, fi->error) < 0)
		a->partial_failed = true;
	cap_close(cf);
	return r < 0 ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Shards */

void an_merge_shard(struct analysis *dst, struct analysis *src)
{
	/* Per-flow results: events, flow-level carriers, names from mDNS and
	 * NetBIOS, counters.  Everything per packet (files, interfaces, the
	 * tunnel timeline, DHCP) every shard computed alike: dst keeps its own. */
	src->flows_peak = flow_peak(src->flows);
	src->flows_evicted = flow_evicted(src->flows);
	flow_free(src->flows); /* ends its flows: late TCP messages, carriers */
	src->flows = NULL;
	ev_move(dst->ev, src->ev);
	for (size_t i = 0; i < src->ncarriers; i++) {
		const struct an_carrier *c = &src->carriers[i];
		if (c->transport == 50)
			continue; /* ESP is counted per packet, by shard 0 */
		struct an_carrier *d = NULL;
		for (size_t j = 0; j < dst->ncarriers && !d; j++)
			if (dst->carriers[j].kind == c->kind && dst->carriers[j].port == c->port &&
			    dst->carriers[j].transport == c->transport && addr_cmp(&dst->carriers[j].server, &c->server) == 0)
				d = &dst->carriers[j];
		if (d) {
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
	for (size_t i = 0; i < src->nlabels; i++) {
		const struct an_label *l = &src->labels[i];
		bool have = false;
		for (size_t j = 0; j < dst->nlabels && !have; j++)
			have = strcmp(dst->labels[j].name, l->name) == 0 && dst->labels[j].source == l->source &&
			       dst->labels[j].has_mac == l->has_mac && memcmp(dst->labels[j].mac, l->mac, 6) == 0 &&
			       addr_cmp(&dst->labels[j].addr, &l->addr) == 0;
		if (have)
			continue;
		if (dst->nlabels >= AN_MAX_LABELS) {
			dst->labels_capped = true;
			break;
		}
		dst->labels = xrealloc(dst->labels, (dst->nlabels + 1) * sizeof(*dst->labels));
		dst->labels[dst->nlabels++] = *l;
	}
	dst->dns_undecodable += src->dns_undecodable;
	dst->carrier_veto += src->carrier_veto;
	dst->dup_pkts += src->dup_pkts;
	if (src->flows_peak > dst->flows_peak)
		dst->flows_peak = src->flows_peak;
	dst->flows_evicted += src->flows_evicted;
}

/* ---------------------------------------------------------------------- */
/* After the last packet: roles, hosts, verdicts */

static void decide_roles(struct analysis *a)
{
	const struct rules *r = a->rules;
	for (size_t i = 0; i < a->nifaces; i++) {
		struct an_iface *f = &a->ifaces[i];
		f->role = IF_UNKNOWN;
		f->role_why = "no evidence";
		if (r && f->name) {
			for (size_t t = 0; t < r->n_tunnels; t++) {
				if (r->tunnels[t].tun_iface && (strcmp(r->tunnels[t].tun_iface, f->name) == 0 ||
								(f->desc && strcmp(r->tunnels[t].tun_iface, f->desc) == 0))) {
					f->role = IF_TUNNEL;
					f->tunnel_idx = (int)t;
					f->role_why = "named as the tunnel interface in the description";
					break;
				}
				if (r->tunnels[t].phys_iface && (strcmp(r->tunnels[t].phys_iface, f->name) == 0 ||
								 (f->desc && strcmp(r->tunnels[t].phys_iface, f->desc) == 0))) {
					f->role = IF_PHYSICAL;
					f->role_why = "named as the physical interface in the description";
					break;
				}
			}
			if (f->role != IF_UNKNOWN)
				continue;
		}
		if (f->hatype == ARPHRD_LOOPBACK_ || (f->loopback_pkts && f->loopback_pkts == f->pkts)) {
			f->role = IF_LOOPBACK;
			f->role_why = "loopback hardware type or only loopback addresses";
		} else if (f->carrier_pkts > 0) {
			f->role = IF_PHYSICAL;
			f->role_why = "carries the tunnel's encrypted carrier traffic";
		} else if (f->inside_pkts > 0) {
			f->role = IF_TUNNEL;
			f->role_why = "carries the host's tunnel addresses and no carrier traffic";
		}
	}
}

static int host_find_or_add(struct analysis *a, const char *key, bool has_mac, const uint8_t *mac,
			    const struct ls_addr *addr)
{
	for (size_t i = 0; i < a->nhosts; i++)
		if (strcmp(a->hosts[i].key, key) == 0)
			return (int)i;
	if (a->nhosts >= AN_MAX_HOSTS) {
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

static int host_of_tunnel(struct analysis *a, int ti)
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

static enum ev_phase phase_of(const struct analysis *a, int ti, const struct ev *e)
{
	if (ti < 0)
		return PHASE_NONE;
	const struct an_tunnel *t = &a->tun[ti];
	if (t->nsegs == 0)
		return PHASE_DOWN;
	int64_t now = us_of(e->ts_sec, e->ts_nsec);
	if (now < us_of(t->segs[0].start_sec, t->segs[0].start_nsec))
		return PHASE_BEFORE;
	for (size_t i = 0; i < t->nsegs; i++) {
		int64_t s = us_of(t->segs[i].start_sec, t->segs[i].start_nsec);
		int64_t en = us_of(t->segs[i].end_sec, t->segs[i].end_nsec);
		if (now >= s && now <= en + t->gap_us)
			return PHASE_UP;
		if (i + 1 < t->nsegs && now > en + t->gap_us &&
		    now < us_of(t->segs[i + 1].start_sec, t->segs[i + 1].start_nsec))
			return PHASE_GAP;
	}
	return PHASE_DOWN;
}

static bool is_encrypted(enum ev_proto p)
{
	return p == EVP_DOT || p == EVP_DOH || p == EVP_DOQ;
}

static bool is_local_link(enum ev_proto p)
{
	return p == EVP_MDNS || p == EVP_LLMNR || p == EVP_NBNS;
}

static uint64_t name_key(const char *qname, uint16_t qtype)
{
	char low[DNS_NAME_TEXT_MAX];
	size_t n = 0;
	for (; qname[n] && n + 1 < sizeof(low); n++)
		low[n] = (qname[n] >= 'A' && qname[n] <= 'Z') ? (char)(qname[n] + 32) : qname[n];
	return hash_bytes(low, n, qtype);
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* The keys of every question asked inside a tunnel, sorted: most outside
 * questions have no inside twin, and a lookup here spares them the scan of
 * their time window. */
static void build_inside_keys(struct analysis *a)
{
	struct an_priv *pv = a->priv;
	size_t n = ev_count(a->ev);
	free(pv->inside_keys);
	pv->inside_keys = xmalloc((n ? n : 1) * sizeof(*pv->inside_keys));
	pv->n_inside_keys = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = ev_get(a->ev, i);
		if (e->path == PATH_TUNNEL && e->qname)
			pv->inside_keys[pv->n_inside_keys++] = name_key(e->qname, e->qtype);
	}
	qsort(pv->inside_keys, pv->n_inside_keys, sizeof(*pv->inside_keys), u64_cmp);
}

/* The same name asked inside the tunnel within the window (sorted events). */
static bool asked_inside_nearby(struct analysis *a, size_t i)
{
	struct an_priv *pv = a->priv;
	/* a copy: the neighbours read below may push e's block out of the cache */
	struct ev e_copy = *ev_get(a->ev, i);
	const struct ev *e = &e_copy;
	if (!e->qname || pv->n_inside_keys == 0)
		return false;
	uint64_t k = name_key(e->qname, e->qtype);
	if (!bsearch(&k, pv->inside_keys, pv->n_inside_keys, sizeof(k), u64_cmp))
		return false;
	int64_t t0 = us_of(e->ts_sec, e->ts_nsec), w = (int64_t)a->opt.parallel_ms * 1000;
	size_t n = ev_count(a->ev);
	for (int dirn = -1; dirn <= 1; dirn += 2) {
		for (size_t j = i;;) {
			if (dirn < 0 && j == 0)
				break;
			j = dirn < 0 ? j - 1 : j + 1;
			if (j >= n)
				break;
			const struct ev *o = ev_get(a->ev, j);
			int64_t d = us_of(o->ts_sec, o->ts_nsec) - t0;
			if (d > w || d < -w)
				break;
			if (o->path == PATH_TUNNEL && o->qname && o->qtype == e->qtype &&
			    strcasecmp(o->qname, e->qname) == 0)
				return true;
		}
	}
	return false;
}

static void decide_path_and_host(struct analysis *a, struct ev *e)
{
	const struct rules *r = a->rules;
	const struct an_iface *ifc = e->iface_ref < a->nifaces ? &a->ifaces[e->iface_ref] : NULL;
	const struct rules_tunnel *in = r ? rules_inside_match(r, &e->client) : NULL;
	if (addr_is_loopback(&e->client) || addr_is_loopback(&e->server) || (ifc && ifc->role == IF_LOOPBACK))
		e->path = PATH_LOCAL;
	else if (!r)
		e->path = PATH_UNKNOWN;
	else if (ifc && ifc->role == IF_TUNNEL)
		e->path = PATH_TUNNEL;
	else if (ifc && ifc->role == IF_PHYSICAL && ifc->carrier_pkts > 0)
		e->path = PATH_OUTSIDE; /* cleartext beside the carrier: outside, whatever its source */
	else if (in)
		e->path = PATH_TUNNEL;
	else
		e->path = PATH_OUTSIDE;

	/* Which tunnel it relates to. */
	if (r && r->n_tunnels) {
		if (ifc && ifc->tunnel_idx >= 0)
			e->tunnel_idx = ifc->tunnel_idx;
		else if (in)
			e->tunnel_idx = (int)(in - r->tunnels);
	}

	/* Which host. */
	int h = -1;
	if (e->tunnel_idx >= 0 && (e->path == PATH_TUNNEL || in))
		h = host_of_tunnel(a, e->tunnel_idx);
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
			h = host_of_tunnel(a, only);
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

	/* An outside event's tunnel: the one its host owns, else the only one. */
	if (r && e->tunnel_idx < 0 && r->n_tunnels) {
		for (size_t t = 0; t < r->n_tunnels; t++)
			if (a->tun[t].have_sender && host_of_tunnel(a, (int)t) == h) {
				e->tunnel_idx = (int)t;
				break;
			}
		if (e->tunnel_idx < 0)
			e->tunnel_idx = 0;
	}
}

static void decide_verdict(struct analysis *a, size_t i)
{
	struct ev *e = ev_get_mut(a->ev, i); /* its block stays cached: the latest changed */
	const struct rules *r = a->rules;
	e->phase = phase_of(a, e->tunnel_idx, e);
	switch (e->path) {
	case PATH_LOCAL:
		e->verdict = VERDICT_OK;
		e->category = CAT_LOCAL;
		return;
	case PATH_UNKNOWN:
		e->verdict = VERDICT_NONE;
		e->category = CAT_OUTSIDE_NO_TUNNEL;
		return;
	case PATH_TUNNEL: {
		e->verdict = VERDICT_OK;
		e->category = CAT_TUNNEL;
		const struct rules_tunnel *t = e->tunnel_idx >= 0 ? &r->tunnels[e->tunnel_idx] : NULL;
		if (t && t->n_resolvers && !addr_is_multicast(&e->server)) {
			const struct rules_tunnel *rt = NULL;
			if (!rules_tunnel_resolver_match(r, &e->server, e->server_port, &rt))
				e->category = CAT_RESOLVER_BYPASS;
		}
		return;
	}
	case PATH_OUTSIDE:
		break;
	}
	const struct rules_name *an = e->qname ? rules_allow_name(r, e->qname) : NULL;
	const struct rules_resolver *ar = rules_allow_resolver(r, &e->server, e->server_port);
	if (!an && e->sni)
		an = rules_allow_name(r, e->sni);
	if (an || ar) {
		e->verdict = VERDICT_ALLOWED;
		e->category = CAT_ALLOWED;
		e->reason = an ? an->reason : ar->reason;
		return;
	}
	e->verdict = VERDICT_LEAK;
	const struct rules_tunnel *t = e->tunnel_idx >= 0 ? &r->tunnels[e->tunnel_idx] : NULL;
	const struct rules_tunnel *rt = NULL;
	if (is_local_link(e->proto))
		e->category = CAT_LOCAL_LINK;
	else if (e->phase == PHASE_BEFORE)
		e->category = CAT_BOOTSTRAP;
	else if (e->phase == PHASE_DOWN || e->phase == PHASE_GAP || e->phase == PHASE_AFTER)
		e->category = CAT_KILL_SWITCH;
	else if (is_encrypted(e->proto))
		e->category = CAT_ENCRYPTED_OUTSIDE;
	else if (rules_tunnel_resolver_match(r, &e->server, e->server_port, &rt))
		e->category = CAT_TUNNEL_RESOLVER_OUTSIDE;
	else if (e->server.af == 6 && t && !t->carries_ipv6)
		e->category = CAT_IPV6_OUTSIDE;
	else if (asked_inside_nearby(a, i))
		e->category = CAT_PARALLEL;
	else
		e->category = CAT_SPLIT_TUNNEL;
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
static void attach_labels(struct analysis *a)
{
	for (size_t i = 0; i < a->nlabels; i++) {
		const struct an_label *l = &a->labels[i];
		char key[96];
		key_for(key, sizeof(key), l->has_mac, l->mac, &l->addr);
		for (size_t h = 0; h < a->nhosts; h++)
			if (strcmp(a->hosts[h].key, key) == 0)
				host_add_name(&a->hosts[h], l->name, l->source);
	}
	for (size_t h = 0; h < a->nhosts; h++)
		qsort(a->hosts[h].names, a->hosts[h].nnames, sizeof(char *), str_qcmp);
}

/* True when name is a .onion name (RFC 7686), with or without the root dot. */
static bool is_onion(const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	return (n == 5 && strncasecmp(name, "onion", 5) == 0) ||
	       (n > 6 && strncasecmp(name + n - 6, ".onion", 6) == 0);
}

/* Related evidence on each event: a DHCP-pushed route covering a leak's
 * resolver (TunnelVision), Firefox's DoH canary, a .onion name. */
static void mark_evidence(struct analysis *a, struct ev *e)
{
	if (e->qname && strcasecmp(e->qname, "use-application-dns.net") == 0)
		e->canary = true;
	if (e->verdict != VERDICT_LEAK)
		return;
	if (e->qname && is_onion(e->qname) && !e->reason)
		e->reason = "a .onion name reached DNS (RFC 7686 section 2: it must never be resolved there): "
			    "something other than the Tor client looked it up, and the resolver now knows the "
			    "hidden service was visited";
	const struct an_host *h = e->host_idx >= 0 ? &a->hosts[e->host_idx] : NULL;
	for (size_t i = 0; i < a->nroutes; i++) {
		const struct an_route *r = &a->routes[i];
		if (r->plen == 0)
			continue; /* a plain default route: not a diversion */
		if (r->has_mac && h && h->has_mac && memcmp(r->mac, h->mac, 6) != 0)
			continue;
		if (addr_in_prefix(&e->server, &r->net, r->plen)) {
			e->route_idx = (int)i;
			break;
		}
	}
}

void an_finish(struct analysis *a)
{
	if (a->finished)
		return;
	a->finished = true;
	struct an_priv *pv = a->priv;
	if (a->flows) {
		a->flows_peak = flow_peak(a->flows);
		a->flows_evicted = flow_evicted(a->flows);
	}
	flow_free(a->flows);
	a->flows = NULL;
	ev_sort(a->ev);
	finish_timeline(a);
	decide_roles(a);
	if (a->tun)
		for (size_t t = 0; t < a->rules->n_tunnels; t++)
			host_of_tunnel(a, (int)t);
	size_t n = ev_count(a->ev);
	for (size_t i = 0; i < n; i++)
		decide_path_and_host(a, ev_get_mut(a->ev, i));
	attach_labels(a);
	build_inside_keys(a);
	for (size_t i = 0; i < n; i++) {
		decide_verdict(a, i);
		struct ev *e = ev_get_mut(a->ev, i);
		mark_evidence(a, e);
		if (e->host_idx >= 0) {
			struct an_host *h = &a->hosts[e->host_idx];
			h->events++;
			h->by_cat[e->category]++;
			if (e->verdict == VERDICT_LEAK)
				h->leaks++;
			else if (e->verdict == VERDICT_ALLOWED)
				h->allowed++;
		}
	}
	free(pv->inside_keys);
	pv->inside_keys = NULL;
	pv->n_inside_keys = 0;
	/* addresses in order once here: the report writers only read the
	 * analysis (with -j they run side by side) */
	for (size_t i = 0; i < a->nhosts; i++)
		if (a->hosts[i].naddrs > 1)
			qsort(a->hosts[i].addrs, a->hosts[i].naddrs, sizeof(*a->hosts[i].addrs), addr_qcmp);
}

/* ---------------------------------------------------------------------- */
/* suggest-tunnel */

static bool iface_looks_tunnel(const struct an_iface *f)
{
	static const char *const prefixes[] = {"wg", "tun", "utun", "ppp", "tailscale", "ipsec", "nordlynx",
					       "proton", "mullvad", "vpn", "tap", NULL};
	/* Windows names interfaces \Device\NPF_{GUID}: the description
	 * tells (WireGuard's and OpenVPN's drivers, VPN clients' adapters) */
	static const char *const in_desc[] = {"wireguard", "wintun", "tap-windows", "openvpn", "vpn", "tailscale",
					      "nordlynx", "mullvad", "proton", NULL};
	if (f->hatype == ARPHRD_NONE_)
		return true;
	if (f->name)
		for (const char *const *p = prefixes; *p; p++)
			if (strncasecmp(f->name, *p, strlen(*p)) == 0)
				return true;
	if (f->desc)
		for (const char *const *p = in_desc; *p; p++)
			if (strcasestr(f->desc, *p))
				return true;
	return false;
}

static int carrier_cmp(const void *x, const void *y)
{
	const struct an_carrier *a = x, *b = y;
	if (a->pkts != b->pkts)
		return a->pkts > b->pkts ? -1 : 1;
	int c = addr_cmp(&a->server, &b->server);
	if (c)
		return c;
	return (int)a->port - (int)b->port;
}

static const char *transport_str(uint8_t t)
{
	return t == 6 ? "tcp" : t == 17 ? "udp" : t == 50 ? "esp" : NULL;
}

size_t an_suggest_xml(const struct analysis *a, struct sbuf *out)
{
	char b[64], b2[64], t1[40], t2[40];
	size_t n = a->ncarriers;
	struct an_carrier *cs = xcalloc(n ? n : 1, sizeof(*cs));
	if (n) /* no carrier: a->carriers is NULL, which memcpy may not be given */
		memcpy(cs, a->carriers, n * sizeof(*cs));
	qsort(cs, n, sizeof(*cs), carrier_cmp);
	sb_add(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_add(out, "<!-- Suggested by leakscope from the capture: review it before relying on it.\n"
		    "     Each tunnel was recognised from its carrier traffic (nDPI); inside addresses and\n"
		    "     resolvers come from a tunnel interface when the capture has one (tcpdump -i any,\n"
		    "     or a pcapng with the tunnel interface).  Add an <allow> list for names that may\n"
		    "     be resolved outside (the endpoint's own name). -->\n");
	sb_add(out, "<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n");
	size_t made = 0;
	bool used_iface[AN_MAX_IFACES] = {false};
	for (size_t i = 0; i < n; i++) {
		const struct an_carrier *c = &cs[i];
		const char *tr = transport_str(c->transport);
		if (!tr || c->pkts < 2)
			continue;
		made++;
		sb_addf(out, "  <!-- %s carrier: %llu flow(s), %llu packets, %s to %s, client %s -->\n",
			rules_kind_str(c->kind), (unsigned long long)c->flows, (unsigned long long)c->pkts,
			time_iso_sec(c->first_sec, t1, sizeof(t1)), time_iso_sec(c->last_sec, t2, sizeof(t2)),
			addr_str(&c->client, b2, sizeof(b2)));
		sb_addf(out, "  <tunnel name=\"%s-%zu\" kind=\"%s\">\n", rules_kind_str(c->kind), made,
			rules_kind_str(c->kind));
		if (c->port)
			sb_addf(out, "    <endpoint address=\"%s\" port=\"%u\" transport=\"%s\"/>\n",
				addr_str(&c->server, b, sizeof(b)), c->port, tr);
		else
			sb_addf(out, "    <endpoint address=\"%s\" transport=\"%s\"/>\n", addr_str(&c->server, b, sizeof(b)),
				tr);
		/* the first unused tunnel-looking interface of a capture */
		for (size_t k = 0; k < a->nifaces; k++) {
			const struct an_iface *f = &a->ifaces[k];
			if (used_iface[k] || !iface_looks_tunnel(f) || f->n_src_addrs == 0)
				continue;
			used_iface[k] = true;
			for (uint8_t j = 0; j < f->n_src_addrs; j++)
				sb_addf(out, "    <inside prefix=\"%s/%u\"/>\n", addr_str(&f->src_addrs[j], b, sizeof(b)),
					f->src_addrs[j].af == 4 ? 32 : 128);
			/* resolvers the host asked on that interface */
			struct ls_addr seen[8];
			size_t nseen = 0;
			for (size_t e = 0; e < ev_count(a->ev) && nseen < 8; e++) {
				const struct ev *ev = ev_get(a->ev, e);
				if (ev->iface_ref != k || ev->proto != EVP_DNS_UDP || addr_is_multicast(&ev->server))
					continue;
				bool have = false;
				for (size_t q = 0; q < nseen && !have; q++)
					have = addr_cmp(&seen[q], &ev->server) == 0;
				if (!have)
					seen[nseen++] = ev->server;
			}
			for (size_t q = 0; q < nseen; q++)
				sb_addf(out, "    <resolver address=\"%s\" port=\"53\"/>\n", addr_str(&seen[q], b, sizeof(b)));
			if (f->name) {
				sb_add(out, "    <interface tunnel=\"");
				sb_add_xml(out, f->name);
				sb_add(out, "\"/>\n");
			}
			break;
		}
		sb_add(out, "  </tunnel>\n");
	}
	if (!made)
		sb_add(out, "  <!-- no tunnel carrier was recognised in the capture -->\n");
	sb_add(out, "</tunnels>\n");
	free(cs);
	return made;
}

/* ---------------------------------------------------------------------- */
/* What each category means.  README.md repeats these; keep them in step. */

struct cat_text {
	enum ev_category c;
	const char *severity, *cause, *remedy;
};

static const struct cat_text cat_texts[] = {
	{CAT_TUNNEL, "info", "Resolved inside the tunnel by the tunnel's resolver.", "Nothing to change."},
	{CAT_LOCAL, "info", "Resolved on the host itself (loopback, a local stub resolver).",
	 "Nothing to change; the stub's upstream queries are judged on their own."},
	{CAT_RESOLVER_BYPASS, "low",
	 "Inside the tunnel, but to a resolver other than the tunnel's (an application with its own resolver, e.g. browser DoH).",
	 "Point the application at the VPN's resolver or block third-party resolvers inside the tunnel."},
	{CAT_ALLOWED, "info", "Outside the tunnel, but the description's allow list permits it.",
	 "Nothing to change if the allow-list reason still holds."},
	{CAT_LOCAL_LINK, "medium",
	 "Local-link name resolution (mDNS, LLMNR or NetBIOS-NS) on the physical network: names the host looks up are broadcast to the LAN.",
	 "Disable LLMNR and NetBIOS over TCP/IP and mDNS on the physical interface, or block UDP 5353/5355/137 outside the tunnel."},
	{CAT_BOOTSTRAP, "medium",
	 "Resolved outside before the tunnel came up (bootstrap leak).",
	 "Bring the tunnel up before other applications start, resolve the endpoint by address or allow only its name; block port 53 until the tunnel is up."},
	{CAT_KILL_SWITCH, "high",
	 "Resolved outside while the tunnel was down or interrupted: the kill switch did not hold.",
	 "Enable a firewall-based kill switch that blocks all traffic outside the tunnel (except the carrier) whenever the tunnel is not up."},
	{CAT_ENCRYPTED_OUTSIDE, "high",
	 "Encrypted resolution (DoH, DoT or DoQ) outside the tunnel: an application bypasses the system resolver (browser DoH).",
	 "Force DoH to the VPN's resolver (enterprise policy) or block known DoH/DoT/DoQ resolvers outside the tunnel."},
	{CAT_TUNNEL_RESOLVER_OUTSIDE, "high",
	 "The tunnel's own resolver was reached outside the tunnel: a routing error sends it past the tunnel.",
	 "Route the resolver's address into the tunnel (AllowedIPs / pushed routes) and check for more specific routes on the LAN."},
	{CAT_IPV6_OUTSIDE, "high",
	 "IPv6 resolution outside a tunnel that carries no IPv6.",
	 "Tunnel IPv6 too (an IPv6 default route into the tunnel) or disable IPv6 on the physical interface while the tunnel is up."},
	{CAT_PARALLEL, "high",
	 "The same name was asked inside and outside the tunnel at the same time (parallel multi-homed resolution, e.g. Windows smart multi-homed name resolution).",
	 "Disable smart multi-homed name resolution and block port 53 outside the tunnel."},
	{CAT_SPLIT_TUNNEL, "high",
	 "Cleartext resolution to a resolver outside the tunnel while it was up: split tunnel, or the system resolver was not switched to the tunnel's.",
	 "Set the tunnel's resolver as the only system resolver (DNS= in WireGuard, dhcp-option DNS with a resolver update script in OpenVPN) and block port 53 outside the tunnel."},
	{CAT_OUTSIDE_NO_TUNNEL, "info", "No tunnel description: the path could not be judged.",
	 "Give a tunnel description with --tunnel."},
	{CAT_NONE, NULL, NULL, NULL},
};

static const struct cat_text *cat_lookup(enum ev_category c)
{
	for (const struct cat_text *t = cat_texts; t->severity; t++)
		if (t->c == c)
			return t;
	return NULL;
}

const char *cat_severity(enum ev_category c)
{
	const struct cat_text *t = cat_lookup(c);
	return t ? t->severity : "info";
}

const char *cat_cause(enum ev_category c)
{
	const struct cat_text *t = cat_lookup(c);
	return t ? t->cause : "";
}

const char *cat_remedy(enum ev_category c)
{
	const struct cat_text *t = cat_lookup(c);
	return t ? t->remedy : "";
}
