/* carrier.h - VPN carriers: which packets are a tunnel's encrypted traffic, and of what kind.
 *
 * The one place that knows carrier shapes (WireGuard, IKE, OpenVPN), the
 * kinds' default ports and the carrier table suggest-tunnel reads:
 *  - with a description: carrier_declared() says whether a packet is a
 *    declared endpoint's carrier (never parsed as name resolution,
 *    whatever its port), carrier_endpoint_cleartext() counts other traffic
 *    to an endpoint's address (TunnelCrack ServerIP), and
 *    carrier_check_hook() keeps the decoder from opening a declared
 *    carrier as a tunnel (WireGuard on udp/4789);
 *  - on every flow: carrier_sniff() recognises carriers nDPI 4.2 misses
 *    from their first bytes or message shapes (flow.st.sniffed), and
 *    carrier_flow_ended() adds each carrier flow to a->carriers (capped at
 *    AN_MAX_CARRIERS, carriers_capped); without a description ESP is
 *    counted per packet (carrier_esp).
 */
#ifndef LS_CARRIER_H
#define LS_CARRIER_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"
#include "flow.h"

/* A WireGuard message by its type, reserved zeros and exact size (WireGuard
 * paper 5.4): initiation 148, response 92, cookie reply 64, transport data
 * 32 + a multiple of 16 (a keepalive: exactly 32, no data). */
enum wg_msg { WG_NONE, WG_INITIATION, WG_RESPONSE, WG_COOKIE, WG_KEEPALIVE, WG_TRANSPORT };
enum wg_msg carrier_wg_msg(const uint8_t *d, uint32_t n);

/* The decoder's hook (decode_set_carrier_check): user is the analysis. */
bool carrier_check_hook(void *user, const struct pkt *outer);
/* The index of the tunnel whose declared endpoint p goes to or comes from
 * (outbound: to it), -1 none or no description. */
int carrier_declared(struct analysis *a, const struct pkt *p, bool *outbound);
/* Not a carrier, but to or from an endpoint's address: counted, first frame kept. */
void carrier_endpoint_cleartext(struct analysis *a, const struct pkt *p);
/* No description: an ESP packet counts for its gateway's carrier (shard 0 only). */
void carrier_esp(struct analysis *a, const struct pkt *p);
/* A packet of flow f (dir 0: from its initiator): its carrier kind, from shapes. */
void carrier_sniff(struct flow *f, const struct pkt *p, int dir);
/* A flow ends: a carrier flow (nDPI's or sniffed) goes to a->carriers. */
void carrier_flow_ended(struct analysis *a, const struct flow *f);
/* -j: src's flow-level carriers added to dst's. */
void carrier_merge(struct analysis *dst, const struct analysis *src);
void carrier_free(struct analysis *a);

#endif
