/* resolve-wire.h - name resolution on the wire: which packets and flows are questions, made events.
 *
 * The stages of a packet that is not a carrier, in pipeline order:
 *  - wire_dhcp(): DHCP and DHCPv6 give the names hosts announce and the
 *    classless static routes offered (TunnelVision); never a question;
 *  - wire_udp(): UDP on a name-resolution port (DNS, mDNS, LLMNR,
 *    NetBIOS-NS), or DNS on another port that parses strictly, becomes an
 *    event, once even when the same packet crossed two interfaces
 *    (duplicate suppression, DUP_WINDOW_US);
 *  - wire_dpi(): the flow is fed to nDPI until our own parsers have
 *    understood it (nDPI is the costly part);
 *  - wire_tcp(): TCP flows are handed to the stream layer (stream.h: DNS
 *    over TCP, TLS ClientHello, cleartext DoH), whose DNS messages and
 *    ClientHellos come back through the stream hooks;
 *  - wire_encrypted(): DoT, DoH, DoQ decided once per flow from the
 *    ClientHello (ours or nDPI's), its SNI, ALPN and resolver lists.
 * With -j every worker runs these for its own flows; DHCP only the reader.
 */
#ifndef LS_RESOLVE_WIRE_H
#define LS_RESOLVE_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"
#include "flow.h"
#include "stream.h"

/* The same packet captured twice, on two interfaces of one `tcpdump -i any`
 * (a VLAN and its parent, a bridge and its port) is one question, not two.
 * The table is set-associative, its set chosen by the packet's flow
 * (pipeline_flow_hash, the hash -j shards by): the packets that share a set
 * are those of the flows that share it, whatever the number of -j workers,
 * so the same duplicates are found with -j 1 and -j N. */
#define DUP_SLOTS 1024 /* sets, a power of two */
#define DUP_WAYS 4
#define DUP_WINDOW_US 200000

struct dns_msg;

struct wire_state {
	struct dns_msg *msg;     /* scratch: large, reused */
	struct stream_ctx sc;    /* TCP streams */
	struct flow *cur_flow;   /* the flow whose stream is being fed */
	struct dup_slot {
		struct {
			uint64_t sig;
			int64_t ts_us;
			uint32_t iface;
		} way[DUP_WAYS];
		uint8_t next; /* the way replaced next: round robin */
	} dup[DUP_SLOTS];
};

void wire_init(struct analysis *a);
void wire_free(struct analysis *a);
/* A DHCP packet (UDP 67/68/546/547 with a payload): read for names and
 * routes (shard 0), true; any other packet: false. */
bool wire_dhcp(struct analysis *a, const struct pkt *p);
/* UDP name resolution of flow f, seen on interface iref. */
void wire_udp(struct analysis *a, struct pkt *p, struct flow *f, uint32_t iref);
/* nDPI sees the flow until it or our parsers have decided it. */
void wire_dpi(struct analysis *a, const struct pkt *p, struct flow *f);
/* TCP: the flow's stream (dir 0: from its initiator). */
void wire_tcp(struct analysis *a, const struct pkt *p, struct flow *f, int dir, uint32_t iref);
/* Encrypted name resolution, decided once per flow. */
void wire_encrypted(struct analysis *a, struct pkt *p, struct flow *f, int dir, uint32_t iref);
/* A flow ends: its stream is flushed (late messages, DoT record counts). */
void wire_flow_ended(struct analysis *a, struct flow *f);
/* -j: src's announced names and counters added to dst's. */
void wire_merge(struct analysis *dst, const struct analysis *src);

#endif
