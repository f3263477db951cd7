/* verdict.c - the judging: where each question went, whose it was, and whether it leaked.
 *
 * Reads what the stages before it left (interface roles, tunnel
 * timelines, hosts, the description) and writes each event's path,
 * tunnel_idx, host_idx, phase, verdict, category and evidence.  The
 * categories' texts are in category.c.  See verdict.h.
 */
#include "verdict.h"

#include "resolvers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "category.h"
#include "hosts.h"
#include "pipeline.h"
#include "timeline.h"

/* The keys of every question asked inside a tunnel, sorted (an_finish only). */
struct inside_keys {
	uint64_t *k;
	size_t n;
};

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
static void build_inside_keys(struct analysis *a, struct inside_keys *ik)
{
	size_t n = ev_count(a->ev);
	ik->k = xmalloc((n ? n : 1) * sizeof(*ik->k));
	ik->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = ev_get(a->ev, i);
		if (e->path == PATH_TUNNEL && e->qname)
			ik->k[ik->n++] = name_key(e->qname, e->qtype);
	}
	qsort(ik->k, ik->n, sizeof(*ik->k), u64_cmp);
}

/* Parallel means at the same time: both questions sent at once (within
 * PARALLEL_AT_ONCE_US, as a multi-homed resolver sends them, whatever the
 * tunnel's round trip), or one sent while the other was still
 * unanswered.  An outside question sent well after the inside one was
 * answered (or the reverse) is sequential: a retry or a second lookup,
 * not parallel resolution.  With no answer (or no time for it) seen, the
 * window alone decides. */
#define PARALLEL_AT_ONCE_US 50000
static bool overlapping(const struct ev *e, const struct ev *o)
{
	int64_t te = us_of(e->ts_sec, e->ts_nsec), to = us_of(o->ts_sec, o->ts_nsec);
	int64_t d = te > to ? te - to : to - te;
	if (d <= PARALLEL_AT_ONCE_US)
		return true;
	if (to <= te)
		return o->rtt_us < 0 || te <= to + o->rtt_us;
	return e->rtt_us < 0 || to <= te + e->rtt_us;
}

/* The same name asked inside the tunnel within the window (sorted events). */
static bool asked_inside_nearby(struct analysis *a, const struct inside_keys *ik, size_t i)
{
	/* a copy: the neighbours read below may push e's block out of the cache */
	struct ev e_copy = *ev_get(a->ev, i);
	const struct ev *e = &e_copy;
	if (!e->qname || ik->n == 0)
		return false;
	uint64_t k = name_key(e->qname, e->qtype);
	if (!bsearch(&k, ik->k, ik->n, sizeof(k), u64_cmp))
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
			    strcasecmp(o->qname, e->qname) == 0 && overlapping(e, o))
				return true;
		}
	}
	return false;
}

/* A DNS-over-TCP question that retries a truncated UDP answer (RFC 7766
 * 5: same client, server, name and type, shortly after): the same
 * question, so the same category, whatever the capture shows besides.
 * Returns the UDP question's category, or CAT_NONE. */
#define TC_RETRY_WINDOW_US 5000000
static enum ev_category tc_retry_of(struct analysis *a, size_t i)
{
	struct ev e_copy = *ev_get(a->ev, i);
	const struct ev *e = &e_copy;
	if (e->proto != EVP_DNS_TCP || !e->qname)
		return CAT_NONE;
	int64_t t0 = us_of(e->ts_sec, e->ts_nsec);
	for (size_t j = i; j > 0;) {
		j--;
		const struct ev *o = ev_get(a->ev, j);
		if (t0 - us_of(o->ts_sec, o->ts_nsec) > TC_RETRY_WINDOW_US)
			break;
		if (o->proto == EVP_DNS_UDP && o->tc && o->qname && o->qtype == e->qtype &&
		    strcasecmp(o->qname, e->qname) == 0 && addr_cmp(&o->client, &e->client) == 0 &&
		    addr_cmp(&o->server, &e->server) == 0 && o->path == e->path)
			return (enum ev_category)o->category;
	}
	return CAT_NONE;
}

/* The same name asked on loopback by the same host shortly before: the
 * application asked a local stub, which asked outside (stub-upstream). */
#define STUB_WINDOW_US 2000000
static bool asked_on_loopback_before(struct analysis *a, size_t i)
{
	struct ev e_copy = *ev_get(a->ev, i);
	const struct ev *e = &e_copy;
	if (!e->qname)
		return false;
	int64_t t0 = us_of(e->ts_sec, e->ts_nsec);
	for (size_t j = i; j > 0;) {
		j--;
		const struct ev *o = ev_get(a->ev, j);
		if (t0 - us_of(o->ts_sec, o->ts_nsec) > STUB_WINDOW_US)
			break;
		if (o->path == PATH_LOCAL && o->qname && o->qtype == e->qtype && strcasecmp(o->qname, e->qname) == 0 &&
		    (o->host_idx == e->host_idx || o->host_idx < 0))
			return true;
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

	/* Which host (hosts.c). */
	int h = hosts_assign_event(a, e, in != NULL);
	if (h >= 0 && (e->path == PATH_TUNNEL || in)) {
		a->hosts[h].tunnelled = true;
		if (e->path == PATH_TUNNEL)
			a->hosts[h].asked_inside = true;
	}

	/* An outside event's tunnel: the one its host owns, else the only one. */
	if (r && e->tunnel_idx < 0 && r->n_tunnels) {
		for (size_t t = 0; t < r->n_tunnels; t++)
			if (a->tun[t].have_sender && hosts_of_tunnel(a, (int)t) == h) {
				e->tunnel_idx = (int)t;
				break;
			}
		if (e->tunnel_idx < 0)
			e->tunnel_idx = 0;
	}
}

/* The category of event i (e): the first rule that applies (README "How
 * a verdict is reached"); its verdict follows from the category's row. */
static enum ev_category category_of(struct analysis *a, const struct inside_keys *ik, size_t i, struct ev *e)
{
	const struct rules *r = a->rules;
	switch (e->path) {
	case PATH_LOCAL:
		return CAT_LOCAL;
	case PATH_UNKNOWN:
		return CAT_OUTSIDE_NO_TUNNEL;
	case PATH_TUNNEL: {
		const struct rules_tunnel *t = e->tunnel_idx >= 0 ? &r->tunnels[e->tunnel_idx] : NULL;
		if (t && t->n_resolvers && !addr_is_multicast(&e->server)) {
			const struct rules_tunnel *rt = NULL;
			if (!rules_tunnel_resolver_match(r, &e->server, e->server_port, &rt))
				return CAT_RESOLVER_BYPASS;
		}
		return CAT_TUNNEL;
	}
	case PATH_OUTSIDE:
		break;
	}
	const struct rules_name *an = e->qname ? rules_allow_name(r, e->qname) : NULL;
	const struct rules_resolver *ar = rules_allow_resolver(r, &e->server, e->server_port);
	if (!an && e->sni)
		an = rules_allow_name(r, e->sni);
	if (an || ar) {
		e->reason = an ? an->reason : ar->reason;
		return CAT_ALLOWED;
	}
	const struct rules_tunnel *t = e->tunnel_idx >= 0 ? &r->tunnels[e->tunnel_idx] : NULL;
	const struct rules_tunnel *rt = NULL;
	const struct an_host *ho = e->host_idx >= 0 ? &a->hosts[e->host_idx] : NULL;
	/* A host with no tunnel has nothing to leak from (a gateway capture's
	 * other machines).  Only hosts told apart by MAC: without a link
	 * layer one machine's IPv4 and IPv6 addresses are two "hosts", and
	 * the one without the carrier must still be judged. */
	if (ho && !ho->tunnelled && ho->has_mac && !r->every_host && a->tunnel_hosts_by_mac)
		return CAT_NO_TUNNEL;
	if (is_local_link(e->proto))
		return CAT_LOCAL_LINK;
	if (e->phase == PHASE_BEFORE)
		return CAT_BOOTSTRAP;
	if (e->phase == PHASE_DOWN || e->phase == PHASE_GAP || e->phase == PHASE_AFTER)
		return CAT_KILL_SWITCH;
	if (is_encrypted(e->proto))
		return CAT_ENCRYPTED_OUTSIDE;
	if (rules_endpoint_addr_match(r, &e->server))
		return CAT_VPN_SERVER_DNS;
	if (rules_tunnel_resolver_match(r, &e->server, e->server_port, &rt))
		return CAT_TUNNEL_RESOLVER_OUTSIDE;
	if (e->server.af == 6 && t && !t->carries_ipv6 && !TK_CARRIES_STREAMS(t->kind))
		return CAT_IPV6_OUTSIDE;
	if (e->server.af == 4 && t && !t->carries_ipv4 && !TK_CARRIES_STREAMS(t->kind))
		return CAT_IPV4_OUTSIDE;
	if (t && TK_CARRIES_STREAMS(t->kind))
		return CAT_PROXY_LOCAL;
	enum ev_category retry = tc_retry_of(a, i);
	if (retry != CAT_NONE && cat_is_leak(retry))
		return retry;
	if (asked_on_loopback_before(a, i))
		return CAT_STUB_UPSTREAM;
	if (asked_inside_nearby(a, ik, i))
		return CAT_PARALLEL;
	if (ho && ho->asked_inside && resolver_addr_known(&e->server))
		return CAT_APP_RESOLVER;
	return CAT_SPLIT_TUNNEL;
}

static void decide_verdict(struct analysis *a, const struct inside_keys *ik, size_t i)
{
	struct ev *e = ev_get_mut(a->ev, i); /* its block stays cached: the latest changed */
	e->phase = timeline_phase(a, e->tunnel_idx, e);
	e->category = category_of(a, ik, i, e);
	e->verdict = cat_info(e->category)->verdict; /* category.c */
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

void verdict_paths(struct analysis *a)
{
	size_t n = ev_count(a->ev);
	for (size_t i = 0; i < n; i++)
		decide_path_and_host(a, ev_get_mut(a->ev, i));
}

void verdict_judge(struct analysis *a)
{
	/* the owners of the tunnels' carriers have a tunnel; "no tunnel"
	 * is said only where those owners are told apart by MAC */
	if (a->tun)
		for (size_t t = 0; t < a->rules->n_tunnels; t++) {
			int h = a->tun[t].carrier_host;
			if (h >= 0) {
				a->hosts[h].tunnelled = true;
				if (a->hosts[h].has_mac)
					a->tunnel_hosts_by_mac = true;
			}
		}
	/* every MAC that sent or received a declared carrier has a tunnel (a
	 * gateway capture of many clients of one VPN server) */
	for (size_t h = 0; h < a->nhosts; h++)
		if (a->hosts[h].has_mac && hosts_mac_has_carrier(a, a->hosts[h].mac)) {
			a->hosts[h].tunnelled = true;
			a->tunnel_hosts_by_mac = true;
		}
	struct inside_keys ik;
	build_inside_keys(a, &ik);
	size_t n = ev_count(a->ev);
	for (size_t i = 0; i < n; i++) {
		decide_verdict(a, &ik, i);
		struct ev *e = ev_get_mut(a->ev, i);
		mark_evidence(a, e);
		hosts_count_event(a, e);
		if (e->verdict != VERDICT_NONE)
			a->judged_total++;
		if (e->verdict == VERDICT_LEAK)
			a->leaks_total++;
		if (e->host_idx < 0)
			a->unhosted_events++;
	}
	free(ik.k);
}
