/* iface.h - the interface table: one entry per capture interface, what crossed it, and its role.
 *
 * Stage 1 of every packet (pipeline.c): iface_packet() finds or adds the
 * packet's interface (capture file, SLL2 ifindex or pcapng interface id,
 * link type) and counts what the host sent there.  After the last packet,
 * iface_decide_roles() gives each one a role (tunnel, physical, loopback,
 * unknown) and says why.  The table itself is public (struct an_iface in
 * analyze.h, an_iface_label(), iface_role_str()); its cap is
 * AN_MAX_IFACES: a hostile capture claiming more shares the last slot
 * (ifaces_capped).
 */
#ifndef LS_IFACE_H
#define LS_IFACE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"

struct iface_state {
	uint32_t last_iface; /* cache: most packets come from the same interface (UINT32_MAX: none) */
};

void iface_init(struct analysis *a);
void iface_free(struct analysis *a);
/* The packet's interface (its index in a->ifaces), counted. */
uint32_t iface_packet(struct analysis *a, const struct pkt *p);
/* After the last packet: each interface's role and role_why. */
void iface_decide_roles(struct analysis *a);
/* A name, description or hardware type that looks like a VPN's interface
 * (suggest-tunnel looks there for the host's inside addresses). */
bool iface_looks_tunnel(const struct an_iface *f);

#endif
