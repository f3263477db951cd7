/* resolve-wire.c - name resolution on the wire: UDP questions, DHCP names, TCP hand-off, DoT/DoH/DoQ.
 *
 * Every question becomes an event (event.h) keyed from the client's side;
 * the parsers (dns.c, stream.c, tls.c, doh.c, dhcp.c) are strict and
 * bounded, and this file decides only what goes to which of them and what
 * an event is.  See resolve-wire.h for the order of the stages.
 */
#include "resolve-wire.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dhcp.h"
#include "dns.h"
#include "dpi.h"
#include "nameport.h"
#include "carrier.h"
#include "pipeline.h"
#include "resolvers.h"

static void stream_dns(void *user, const struct pkt *p, int dir, enum ev_proto proto, const struct dns_msg *m,
		       uint32_t anom, uint32_t iref);
static void stream_hello(void *user, const struct pkt *p, const struct tls_hello *h, uint32_t iref);

void wire_init(struct analysis *a)
{
	struct an_priv *pv = a->priv;
	pv->ws.msg = xmalloc(sizeof(*pv->ws.msg));
	struct stream_hooks hooks = {stream_dns, stream_hello, a};
	stream_ctx_init(&pv->ws.sc, &hooks);
}

void wire_free(struct analysis *a)
{
	struct an_priv *pv = a->priv;
	free(a->labels);
	free(a->routes);
	free(pv->ws.msg);
	stream_ctx_free(&pv->ws.sc);
}

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
	struct dup_slot *d = &pv->ws.dup[pipeline_flow_hash(p) % DUP_SLOTS];
	int64_t now = us_of(p->cp->ts_sec, p->cp->ts_nsec);
	unsigned w = DUP_WAYS;
	for (unsigned i = 0; i < DUP_WAYS; i++)
		if (d->way[i].sig == sig) {
			w = i;
			break;
		}
	if (w < DUP_WAYS) {
		int64_t dt = now - d->way[w].ts_us;
		if (d->way[w].iface != iref && dt <= DUP_WINDOW_US && dt >= -DUP_WINDOW_US) {
			a->dup_pkts++;
			return true;
		}
	} else {
		w = d->next;
		d->next = (uint8_t)((d->next + 1) % DUP_WAYS);
	}
	d->way[w].sig = sig;
	d->way[w].ts_us = now;
	d->way[w].iface = iref;
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
	if (v4)
		hostos_dhcp(a, p, &di); /* its request list and vendor class: its OS (host-os.h) */
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

bool wire_dhcp(struct analysis *a, const struct pkt *p)
{
	bool dhcp = p->proto == 17 && p->payload_len > 0 &&
		    (p->sport == 67 || p->sport == 68 || p->sport == 546 || p->sport == 547);
	if (!dhcp)
		return false;
	/* names and routes concern the whole investigation: shard 0 */
	if (a->opt.shard == 0)
		dissect_dhcp(a, p);
	return true;
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
	if (f->st.odd_dns == ODD_DNS_YES)
		return true;
	if (f->st.odd_dns == ODD_DNS_NO || p->payload_len < 17)
		return false;
	bool from_init = addr_cmp(&p->src, &f->init_addr) == 0 && p->sport == f->init_port;
	if (!from_init)
		return false;
	struct dns_msg *m = pv->ws.msg;
	if (dns_parse(p->payload, p->payload_len, m) == 0 && !m->qr && m->opcode == 0 && m->nq >= 1 &&
	    !(m->anomalies & (DNS_ANOM_COUNT_MISMATCH | DNS_ANOM_TRAILING_BYTES | DNS_ANOM_TRUNCATED_RR))) {
		f->st.odd_dns = ODD_DNS_YES;
		return true;
	}
	if (++f->st.odd_tries >= 2)
		f->st.odd_dns = ODD_DNS_NO;
	return false;
}

void wire_udp(struct analysis *a, struct pkt *p, struct flow *f, uint32_t iref)
{
	struct an_priv *pv = a->priv;
	if (p->proto != 17 || p->payload_len == 0)
		return;
	enum ev_proto proto;
	/* the port table (nameport.c): 53 on either side wins */
	const struct nameport *np = nameport_of(17, p->sport, p->dport);
	if (np && np->cleartext)
		proto = np->proto;
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
	if (f->st.dns_good == 0 && f->st.dns_bad >= 4)
		return;
	if (seen_on_other_iface(a, p, iref))
		return;
	struct dns_msg *m = pv->ws.msg;
	if (dns_parse(p->payload, p->payload_len, m) < 0) {
		f->st.dns_bad++;
		a->dns_undecodable++;
		if (proto == EVP_DNS_UDP && salvage_question(p, m))
			ev_add_dns(a->ev, p, proto, m, iref, EV_ANOM_UNDECODABLE);
		return;
	}
	f->st.dns_good++;
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

/* nDPI is the costly part of a packet (its host-name automaton on DNS
 * above all): a flow our own parsers have already understood, DNS that
 * parsed or a TLS flow whose ClientHello was read, is not fed to it. */
void wire_dpi(struct analysis *a, const struct pkt *p, struct flow *f)
{
	if (!f->dpi_res.done && (f->st.dns_good > 0 || (f->st.follow == FOLLOW_YES && f->st.enc == ENC_DECIDED))) {
		dpi_flow_free(&f->dpi);
		f->dpi_res.done = true;
		if (f->dpi_res.cls == DPI_UNKNOWN)
			f->dpi_res.cls = f->st.dns_good > 0 ? DPI_DNS : DPI_TLS;
	}
	if (!f->dpi_res.done)
		dpi_feed(a->dpi, &f->dpi, p, (uint64_t)us_of(p->cp->ts_sec, p->cp->ts_nsec) / 1000, &f->dpi_res);
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
	f->st.enc = ENC_DECIDED;
	/* The server is the flow's responder; dir 0 is a packet from the initiator. */
	const struct ls_addr *server = dir == 0 ? &p->dst : &p->src;
	uint16_t sport = dir == 0 ? p->dport : p->sport;
	enum ev_proto proto;
	if (sni && !sni[0])
		sni = NULL;
	bool named = (sni && (resolver_name_known(sni) || name_is_tunnel_resolver(a->rules, sni))) ||
		     resolver_addr_known(server);
	const struct nameport *np = nameport_server(p->proto, sport);
	enum ev_proto by_port = np ? np->proto : EVP__N;
	if (p->proto == 6 && (by_port == EVP_DOT || alpn_has(alpn, "dot")) && (tls || r->cls == DPI_UNKNOWN))
		proto = EVP_DOT;
	else if (p->proto == 17 && (alpn_has(alpn, "doq") || (by_port == EVP_DOQ && (quic || r->cls == DPI_UNKNOWN))))
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

void wire_encrypted(struct analysis *a, struct pkt *p, struct flow *f, int dir, uint32_t iref)
{
	/* the TLS stream parser decides TLS flows itself (stream_hello) */
	if (f->st.enc == ENC_OPEN && p->payload_len > 0 && f->st.follow != FOLLOW_YES)
		check_encrypted(a, p, f, dir, iref);
	/* nDPI's texts are needed only until both are settled */
	if (f->dpi_res.text && f->dpi_res.done && f->st.enc == ENC_DECIDED)
		dpi_result_clear(&f->dpi_res);
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
	struct flow *f = pv->ws.cur_flow;
	if (!f || f->st.enc == ENC_DECIDED)
		return;
	/* p carries the hello: it travels from the initiator */
	if (h)
		carrier_tls_hello(f, p, h->has_sni ? h->sni : "", h->alpn_count > 0);
	long idx;
	if (h)
		idx = decide_encrypted(a, p, f, 0, iref, h->has_sni ? h->sni : NULL, h->alpn, true, false);
	else
		idx = decide_encrypted(a, p, f, 0, iref, dpi_sni(&f->dpi_res), dpi_alpn(&f->dpi_res), true, false);
	if (idx >= 0 && f->app)
		stream_count_records(f->app, idx);
}

/* TCP: DNS over TCP, the TLS ClientHello, DoH over HTTP/1.1 and h2c are
 * read from the reassembled stream.  DNS flows are followed from their
 * first packet (the SYN gives the sequence numbers), the others from the
 * first payload, which decides. */
void wire_tcp(struct analysis *a, const struct pkt *p, struct flow *f, int dir, uint32_t iref)
{
	struct an_priv *pv = a->priv;
	if (p->proto != 6)
		return;
	if (f->st.follow == FOLLOW_UNDECIDED) {
		const struct nameport *np = nameport_of(6, p->sport, p->dport);
		bool dns_port = np && np->cleartext;
		if (!dns_port && p->payload_len == 0)
			return;
		f->app = stream_open(&pv->ws.sc, p, dir);
		f->st.follow = f->app ? FOLLOW_YES : FOLLOW_NO;
	}
	if (f->st.follow != FOLLOW_YES)
		return;
	pv->ws.cur_flow = f;
	stream_feed(&pv->ws.sc, f->app, dir, p, iref);
	pv->ws.cur_flow = NULL;
	if (stream_finished(f->app)) {
		long tag;
		uint64_t app[2];
		stream_close(&pv->ws.sc, f->app, &tag, app);
		f->app = NULL;
		f->st.follow = FOLLOW_NO;
	}
}

void wire_flow_ended(struct analysis *a, struct flow *f)
{
	struct an_priv *pv = a->priv;
	if (f->app) {
		long tag;
		uint64_t app[2];
		pv->ws.cur_flow = f;
		stream_close(&pv->ws.sc, f->app, &tag, app);
		pv->ws.cur_flow = NULL;
		f->app = NULL;
		struct ev *e = tag >= 0 ? ev_get_mut(a->ev, (size_t)tag) : NULL;
		if (e) {
			e->tls_app_records[0] = app[0];
			e->tls_app_records[1] = app[1];
		}
	}
}

void wire_merge(struct analysis *dst, const struct analysis *src)
{
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
}
