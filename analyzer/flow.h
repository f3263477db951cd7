/* flow.h - bidirectional flow table: 5-tuple plus VLAN, seeded hash, idle timeouts, a cap. */
#ifndef LS_FLOW_H
#define LS_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "dpi.h"
#include "flowstate.h"
#include "packet.h"

/* Idle timeouts in capture time (seconds).  UDP as Linux conntrack's
 * defaults (nf_conntrack_udp_timeout 30, _stream 120): a DNS exchange is
 * forgotten half a minute after its answer, so memory follows the flows
 * alive now, not the length of the capture.  TCP: ten minutes while open
 * (conntrack keeps days; this bounds a capture that lost the FINs), 30 s
 * once closed (FIN both ways, or RST) for late retransmissions. */
#define FLOW_UDP_TIMEOUT 30
#define FLOW_UDP_STREAM_TIMEOUT 120
#define FLOW_TCP_TIMEOUT 600
#define FLOW_TCP_CLOSED_TIMEOUT 30
#define FLOW_OTHER_TIMEOUT 60

enum {
	FLOW_CL_UDP,        /* one direction, or a single exchange */
	FLOW_CL_UDP_STREAM, /* both directions, more than two packets */
	FLOW_CL_TCP,
	FLOW_CL_TCP_CLOSED,
	FLOW_CL_OTHER,
	FLOW_NCLASSES
};
/* Default cap on live flows: each costs ~200 bytes, plus ~700 while nDPI
 * looks at it.  Past the cap the least recently used flow is evicted. */
#define FLOW_DEFAULT_MAX 262144

/* Canonical key: the lower (address, port) endpoint first. */
struct flow_key {
	struct ls_addr a, b;
	uint16_t pa, pb;
	uint16_t vlan;
	uint8_t proto;
};

struct flow {
	struct flow_key key;
	struct flow *hnext;          /* hash chain */
	struct flow *lprev, *lnext;  /* LRU list, most recent at the head */
	int64_t first_sec, last_sec;
	uint32_t first_nsec;
	uint64_t pkts[2];            /* [0]: from the initiator, [1]: to it */
	uint64_t bytes[2];
	struct ls_addr init_addr;    /* who sent the first packet we saw */
	uint16_t init_port;
	struct dpi_flow *dpi;        /* nDPI state while it is being fed; owned */
	struct dpi_result dpi_res;
	struct flow_stages st;       /* the pipeline's own (flowstate.h); never read here */
	uint8_t cls;                 /* timeout class (FLOW_CL_*): the LRU list it is on */
	uint8_t tcp_fin;             /* FIN seen: bit 0 from the initiator, bit 1 to it */
	bool tcp_closed;             /* FIN both ways, or RST */
	bool evicted;                /* ended early because the table was full (set before the end callback) */
	void *app;                   /* per-flow protocol state (TCP reassembly...), owned by the user */
};

struct flowtab;

/* Called for every flow that leaves the table (idle, evicted, or at the end),
 * before it is freed: the user releases f->app here. */
typedef void (*flow_end_fn)(struct flow *f, void *user);

struct flowtab *flow_new(size_t max_flows, uint64_t seed, flow_end_fn end, void *user);
/* Ends every remaining flow (callback) and frees the table. */
void flow_free(struct flowtab *t);
/* Finds or creates the flow of p; *dir is 0 when p goes from the initiator.
 * Expires idle flows as capture time passes. Never returns NULL. */
struct flow *flow_lookup(struct flowtab *t, const struct pkt *p, int *dir);
/* Flows evicted because the cap was reached. */
uint64_t flow_evicted(const struct flowtab *t);
uint64_t flow_count(const struct flowtab *t);
uint64_t flow_peak(const struct flowtab *t);

#endif
