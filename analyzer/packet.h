/* packet.h - one packet decoded from link layer to transport layer. */
#ifndef LS_PACKET_H
#define LS_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "util.h"

/* SLL/SLL2 packet types (linux/if_packet.h) */
#define PKTTYPE_HOST 0
#define PKTTYPE_BROADCAST 1
#define PKTTYPE_MULTICAST 2
#define PKTTYPE_OTHERHOST 3
#define PKTTYPE_OUTGOING 4

#define PKTAP_IFINDEX 1000000 /* PKTAP interfaces are numbered from here (no SLL2 index comes close) */

#define LS_MAX_ENCAP 8 /* cap on nested encapsulations (issue 3) */

struct pkt {
	const struct cap_packet *cp; /* the raw record */
	uint32_t file_idx;           /* which capture of the investigation */

	/* Link layer */
	bool has_mac;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint8_t nvlan;
	uint16_t vlan[2];  /* outer first; 12-bit ids */
	int ifindex;       /* SLL2 interface index, else pcapng interface id, else -1;
	                      PKTAP: PKTAP_IFINDEX + the name's number in its capture */
	const char *ifname; /* PKTAP: the interface's name (the decoder's), else NULL */
	uint16_t hatype;   /* SLL/SLL2 ARPHRD_* of the interface, 0 when unknown */
	int8_t pkttype;    /* PKTTYPE_*, -1 when the link layer does not say */
	const char *nflog_prefix; /* NFLOG log prefix (NUL-terminated copy owned by decoder), else NULL */

	/* Network layer (the innermost IP header) */
	struct ls_addr src;
	struct ls_addr dst;
	uint8_t proto;         /* IPPROTO_* of the transport header */
	uint8_t ttl;           /* TTL / hop limit */
	const uint8_t *ip;     /* start of the IP header */
	uint32_t ip_len;       /* header + payload, narrowed to the IP total length;
	                          for a reassembled datagram, the reassembled copy */
	bool reassembled;      /* built from IP fragments (this packet, or a
	                          carrier it travelled in: ip then points into
	                          a decoder buffer) */

	/* Encapsulation chain, outermost first (issue 3): e.g. "gre", "vxlan";
	 * static strings (decode_encap_name).  When nencap > 0 the network and
	 * transport fields above and below describe the innermost packet and
	 * the outer_* fields the outermost IP header, the one the capturing
	 * host's neighbour saw.  Link-layer fields stay the capture's own. */
	uint8_t nencap;
	const char *encap[LS_MAX_ENCAP];
	bool encap_capped;     /* a further tunnel header was left closed: depth cap */
	bool has_outer;        /* outer_* are set (nencap > 0) */
	struct ls_addr outer_src;
	struct ls_addr outer_dst;
	uint8_t outer_proto;   /* IPPROTO_* of the outermost IP header: 17, 47, 4, 41 */
	uint16_t outer_sport;  /* its UDP ports; 0 for GRE and IP-in-IP */
	uint16_t outer_dport;

	/* Transport layer */
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;     /* TH_* bits */
	uint32_t seq;
	uint32_t ack;
	const uint8_t *payload;
	uint32_t payload_len;  /* bytes actually present */
	bool truncated;        /* snaplen cut the payload short */
};

#endif
