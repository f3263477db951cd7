/* hosts.h - who asked: the MAC map, the hosts and the lookup of an event's host.
 *
 * While reading, hosts_learn_mac() remembers which MAC sent from which
 * address (the first sender wins), so that a host's events seen without a
 * link layer (a tunnel interface, a loopback) join the same host.  After
 * the last packet the hosts are made, in this order (it is the report's
 * host order): each tunnel's owner (the carrier's sender), then each
 * event's host (hosts_assign_event: the tunnel's owner for inside
 * questions, the capturing host for loopback, else the client's MAC or
 * address).  A host is keyed "mac:..." or "ip:..." and capped at
 * AN_MAX_HOSTS (hosts_capped); its addresses at 256, its names at 8.
 */
#ifndef LS_HOSTS_H
#define LS_HOSTS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"

struct macmap_ent;

struct hosts_state {
	struct macmap_ent **mm;  /* address -> MAC, a hash of nmm_buckets chains */
	size_t nmm_buckets, nmm;
	struct ls_addr mm_last;  /* cache: the last source address known to the MAC map */
	/* host key -> index in a->hosts: open addressing, linear probing,
	 * at most half full (a host lookup per event must not cost a scan of
	 * every host: 70,000 MACs took 380 s that way) */
	uint32_t *hidx;          /* index + 1, 0 empty */
	size_t nhidx;            /* slots, a power of two */
	/* MACs that sent or received a declared carrier: the hosts that have
	 * a tunnel (open addressing of MAC | 1 << 63, 0 empty, at most half
	 * full; past HOSTS_MAX_CARRIER_MACS every MAC counts as tunnelled) */
	uint64_t *cmac;
	size_t ncmac, capcmac;
	uint64_t cmac_last;
	bool cmac_capped;
};
#define HOSTS_MAX_CARRIER_MACS (1u << 20)

/* A declared carrier's packet (outbound: from the host): its host's MAC
 * has a tunnel.  One compare per packet for a run from one sender. */
void hosts_carrier_sender(struct analysis *a, const struct pkt *p, bool outbound);
/* Did this MAC send or receive a declared carrier? */
bool hosts_mac_has_carrier(const struct analysis *a, const uint8_t mac[6]);

void hosts_init(struct analysis *a);
void hosts_free(struct analysis *a);
/* Per packet: the sender's MAC for its source address. */
void hosts_learn_mac(struct analysis *a, const struct pkt *p);
/* The host that owns tunnel ti (the carrier's sender), made on first ask; -1 none. */
int hosts_of_tunnel(struct analysis *a, int ti);
/* Every tunnel's owner, made first: they come first in the report. */
void hosts_of_tunnels(struct analysis *a);
/* Sets e->host_idx (path and tunnel_idx decided; inside: the client's
 * address is one of a tunnel's inside addresses) and adds the client's
 * address to that host.  Returns it, -1 past the cap. */
int hosts_assign_event(struct analysis *a, struct ev *e, bool inside);
/* Names hosts announced (DHCP, mDNS, NetBIOS) go to their hosts, sorted. */
void hosts_attach_labels(struct analysis *a);
/* The event's verdict counted for its host. */
void hosts_count_event(struct analysis *a, const struct ev *e);
/* After the verdicts: each host's addresses in order (the writers only read). */
void hosts_finish(struct analysis *a);

#endif
