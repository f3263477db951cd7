/* carrier.h - VPN carriers: which packets are a tunnel's encrypted traffic, and of what kind.
 *
 * With carrier-evidence.c (the one place that knows carrier message shapes:
 * WireGuard, OpenVPN, IKE, ESP, DTLS, SSH, Tor), the kinds' default ports
 * and the carrier table suggest-tunnel reads:
 *  - with a description: carrier_declared() says whether a packet is a
 *    declared endpoint's carrier (never parsed as name resolution,
 *    whatever its port), carrier_endpoint_cleartext() counts other traffic
 *    to an endpoint's address (TunnelCrack ServerIP), and
 *    carrier_check_hook() keeps the decoder from opening a declared
 *    carrier as a tunnel (WireGuard on udp/4789);
 *  - on every flow: carrier_sniff() gathers evidence of a carrier
 *    (carrier-evidence.c: two-sided exchanges or sustained shapes that no
 *    name-resolution message produces), and carrier_flow_ended() adds each
 *    carrier flow to a->carriers with its evidence and strength (capped at
 *    AN_MAX_CARRIERS, carriers_capped).
 */
#ifndef LS_CARRIER_H
#define LS_CARRIER_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"
#include "flow.h"
#include "rules.h"

/* A WireGuard message by its type, reserved zeros and exact size (WireGuard
 * paper 5.4): initiation 148, response 92, cookie reply 64, transport data
 * 32 + a multiple of 16 (a keepalive: exactly 32, no data). */
enum wg_msg { WG_NONE, WG_INITIATION, WG_RESPONSE, WG_COOKIE, WG_KEEPALIVE, WG_TRANSPORT };
enum wg_msg carrier_wg_msg(const uint8_t *d, uint32_t n);

/*
 * The declared endpoints as an index, built once from the description:
 * full-length addresses (/32, /128) in an open-addressing hash table, each
 * address's endpoints in description order beside it, and the shorter
 * prefixes in a list of their own.  A lookup costs one hash probe (plus
 * the prefix list, empty in most descriptions) whatever the number of
 * tunnels and endpoints, and answers exactly as rules_endpoint_match() and
 * rules_endpoint_addr_match() do: the first tunnel, in description order,
 * with a matching endpoint.
 */
struct carrier_ep {
	struct ls_addr addr;
	uint32_t order;    /* position in the description: tunnel-major, endpoint-minor */
	uint16_t port;     /* 0: any */
	uint8_t transport; /* 0: any */
	uint8_t plen;
	uint32_t tunnel;
};
struct carrier_index {
	struct carrier_ep *exact; /* sorted by address, then order */
	size_t nexact;
	uint32_t *slot;           /* hash slots: 1 + index of an address's first entry, 0 empty */
	size_t nslots;            /* a power of two, at least twice the distinct addresses */
	struct carrier_ep *pfx;   /* shorter prefixes, in order */
	size_t npfx;
};
void carrier_index_build(struct carrier_index *ix, const struct rules *r);
void carrier_index_free(struct carrier_index *ix);
/* The tunnel index of the first endpoint matching a, port and transport
 * (any_port: the address alone), -1 none. */
int carrier_index_match(const struct carrier_index *ix, const struct ls_addr *a, uint16_t port, uint8_t transport,
			bool any_port);

/* The decoder's hook (decode_set_carrier_check): user is the analysis. */
bool carrier_check_hook(void *user, const struct pkt *outer);
/* The index of the tunnel whose declared endpoint p goes to or comes from
 * (outbound: to it), -1 none or no description. */
int carrier_declared(struct analysis *a, const struct pkt *p, bool *outbound);
/* Not a carrier, but to or from an endpoint's address: counted, first frame kept. */
void carrier_endpoint_cleartext(struct analysis *a, const struct pkt *p);
/* A packet of flow f (dir 0: from its initiator; UDP, TCP or ESP): evidence
 * of a carrier (carrier-evidence.h), over the flow's first CEV_MAX_PACKETS. */
void carrier_sniff(struct flow *f, const struct pkt *p, int dir);
/* The flow's TLS ClientHello (Tor's shape). */
void carrier_tls_hello(struct flow *f, const struct pkt *p, const char *sni, bool has_alpn);
/* A flow ends: a flow with carrier evidence (ours, or nDPI's on a flow that
 * did not parse as name resolution) goes to a->carriers; f->cev is freed. */
void carrier_flow_ended(struct analysis *a, struct flow *f);
/* -j: src's flow-level carriers added to dst's. */
void carrier_merge(struct analysis *dst, const struct analysis *src);
void carrier_free(struct analysis *a);

#endif
