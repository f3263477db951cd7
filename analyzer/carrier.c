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

#include "pipeline.h"

enum wg_msg carrier_wg_msg(const uint8_t *d, uint32_t n)
{
	if (n < 32 || d[1] || d[2] || d[3])
		return WG_NONE;
	if (d[0] == 1 && n == 148)
		return WG_INITIATION;
	if (d[0] == 2 && n == 92)
		return WG_RESPONSE;
	if (d[0] == 3 && n == 64)
		return WG_COOKIE;
	if (d[0] == 4 && (n - 32) % 16 == 0)
		return n == 32 ? WG_KEEPALIVE : WG_TRANSPORT;
	return WG_NONE;
}

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

/*
 * The first bytes of a flow's first payload, for carriers nDPI 4.2 misses
 * (OpenVPN over TCP without HMAC, for one).  WireGuard: handshake
 * initiation, type 1 with three zero bytes, 148 bytes (WireGuard paper
 * 5.4.2).  OpenVPN: P_CONTROL_HARD_RESET_CLIENT_V2/V3 (opcode 7 or 10,
 * key id 0) followed by an 8-byte session id; over TCP behind a 2-byte
 * length that matches the segment.
 */
static enum flow_sniffed sniff_carrier(const struct pkt *p)
{
	const uint8_t *d = p->payload;
	uint32_t n = p->payload_len;
	if (p->proto == 17 && carrier_wg_msg(d, n) == WG_INITIATION)
		return SNIFFED_WIREGUARD;
	if (p->proto == 17 && (p->sport == 500 || p->dport == 500) && ike_shaped(d, n))
		return SNIFFED_IPSEC;
	if (p->proto == 17 && (p->sport == 4500 || p->dport == 4500) && n >= 4 && !d[0] && !d[1] && !d[2] && !d[3] &&
	    ike_shaped(d + 4, n - 4))
		return SNIFFED_IPSEC;
	if (p->proto == 17 && n >= 14 && (d[0] == (7 << 3) || d[0] == (10 << 3)))
		return SNIFFED_OPENVPN;
	if (p->proto == 6 && n >= 16 && (uint32_t)((d[0] << 8) | d[1]) == n - 2 &&
	    (d[2] == (7 << 3) || d[2] == (10 << 3)))
		return SNIFFED_OPENVPN;
	return SNIFFED_NONE;
}

void carrier_sniff(struct flow *f, const struct pkt *p, int dir)
{
	if (dir == 0 && p->payload_len && f->pkts[0] <= 3 && f->st.sniffed == SNIFFED_NONE)
		f->st.sniffed = sniff_carrier(p);
	/* WireGuard seen from the middle, or mixed with other messages on its
	 * port (Tailscale's disco pings): four WireGuard-shaped datagrams, a
	 * third of the flow's first 64 packets at least. */
	if (p->proto == 17 && f->st.sniffed == SNIFFED_NONE && p->payload_len && f->pkts[0] + f->pkts[1] <= 64 &&
	    carrier_wg_msg(p->payload, p->payload_len) != WG_NONE && f->st.wg_like < 255) {
		f->st.wg_like++;
		if (f->st.wg_like >= 4 && 3u * f->st.wg_like >= f->pkts[0] + f->pkts[1])
			f->st.sniffed = SNIFFED_WIREGUARD;
	}
}

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

void carrier_flow_ended(struct analysis *a, const struct flow *f)
{
	enum tunnel_kind kind;
	switch (f->dpi_res.cls) {
	case DPI_WIREGUARD: kind = TK_WIREGUARD; break;
	case DPI_OPENVPN: kind = TK_OPENVPN; break;
	case DPI_IPSEC: kind = TK_IPSEC; break;
	case DPI_TOR: kind = TK_TOR; break;
	default:
		switch (f->st.sniffed) {
		case SNIFFED_WIREGUARD: kind = TK_WIREGUARD; break;
		case SNIFFED_OPENVPN: kind = TK_OPENVPN; break;
		case SNIFFED_IPSEC: kind = TK_IPSEC; break;
		case SNIFFED_NONE:
		default: return;
		}
	}
	bool server_is_b = carrier_server_is_b(f, kind);
	const struct ls_addr *server = server_is_b ? &f->key.b : &f->key.a;
	const struct ls_addr *client = server_is_b ? &f->key.a : &f->key.b;
	uint16_t port = server_is_b ? f->key.pb : f->key.pa;
	carrier_note(a, kind, server, port, f->key.proto, client, f->pkts[0] + f->pkts[1], f->bytes[0] + f->bytes[1],
		     f->first_sec, f->last_sec);
}

void carrier_esp(struct analysis *a, const struct pkt *p)
{
	if (p->proto != 50 || a->rules || a->opt.shard != 0)
		return;
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

/* The decoder asks before opening a tunnel: a declared endpoint's carrier
 * stays closed whatever its port looks like (WireGuard on udp/4789). */
bool carrier_check_hook(void *user, const struct pkt *outer)
{
	const struct analysis *a = user;
	return rules_endpoint_match(a->rules, &outer->dst, outer->dport, outer->proto) ||
	       rules_endpoint_match(a->rules, &outer->src, outer->sport, outer->proto);
}

/* Carrier traffic: to or from a declared endpoint.  Never parsed as name
 * resolution, whatever its port (WireGuard on udp/53, OpenVPN on tcp/443). */
int carrier_declared(struct analysis *a, const struct pkt *p, bool *outbound)
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

void carrier_endpoint_cleartext(struct analysis *a, const struct pkt *p)
{
	/* the endpoint's address, but not its carrier port: cleartext
	 * that the host routes past the tunnel along with the carrier */
	if (rules_endpoint_addr_match(a->rules, &p->dst) || rules_endpoint_addr_match(a->rules, &p->src)) {
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
}

void carrier_free(struct analysis *a)
{
	free(a->carriers);
}
