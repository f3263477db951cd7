/* decode.h - link layer, IPv4/IPv6 and UDP/TCP decoding, with fragment reassembly and cleartext tunnels. */
#ifndef LS_DECODE_H
#define LS_DECODE_H

#include "packet.h"

enum decode_status {
	DEC_OK = 0,       /* *out is an IP packet with transport fields filled */
	DEC_NOT_IP,       /* ARP, LLDP, ...: nothing for us */
	DEC_FRAG_HELD,    /* an IP fragment was stored; nothing to analyse yet */
	DEC_MALFORMED,    /* a header lies about its length or is cut: counted */
	DEC_SNAPPED,      /* the record was cut by snaplen before the transport header */
	DEC_UNSUPPORTED,  /* link type we cannot decode */
};

/*
 * Cleartext tunnels the decoder opens (issue 3).  decode_encap_name() gives
 * the name recorded in struct pkt's encap[].
 */
enum encap_kind {
	ENCAP_GRE,      /* "gre": IP protocol 47, version 0 (RFC 2784, 2890) */
	ENCAP_PPTP_GRE, /* "pptp-gre": enhanced GRE, version 1, carrying PPP (RFC 2637) */
	ENCAP_IPIP,     /* "ipip": IPv4 in IPv4, protocol 4 (RFC 2003) */
	ENCAP_6IN4,     /* "6in4": IPv6 in IPv4, protocol 41 (RFC 4213) */
	ENCAP_IP6IP6,   /* "ip6ip6": IPv6 in IPv6, next header 41 (RFC 2473) */
	ENCAP_4IN6,     /* "4in6": IPv4 in IPv6, next header 4 (RFC 2473) */
	ENCAP_GRE_UDP,  /* "gre-udp": GRE in UDP port 4754 (RFC 8086) */
	ENCAP_VXLAN,    /* "vxlan": UDP 4789 (RFC 7348) */
	ENCAP_GENEVE,   /* "geneve": UDP 6081 (RFC 8926) */
	ENCAP_TEREDO,   /* "teredo": UDP 3544 (RFC 4380) */
	ENCAP_GTPU,     /* "gtp-u": UDP 2152 (3GPP TS 29.281) */
	ENCAP_L2TP,     /* "l2tp": L2TPv2 data messages, UDP 1701 (RFC 2661) */
	ENCAP_KINDS
};

/* Counters kept by the decoder, for the report's capture metadata. */
struct decode_stats {
	uint64_t packets, ip4, ip6, not_ip, malformed, snapped;
	uint64_t unsupported;      /* records of a link type we cannot decode */
	uint64_t frags, reassembled, frag_dropped; /* fragments offered, datagrams
	                                              completed, datagrams given up */
	uint64_t frag_overlaps;    /* fragments overlapping earlier bytes (first wins) */
	uint64_t frag_dups;        /* fragments repeating bytes already held */
	uint64_t frag_timeouts;    /* datagrams given up after 30 s of capture time */
	bool frag_cap_reached;     /* the 1024-datagram or 8 MiB reassembly cap evicted one */
	uint64_t tso;              /* IPv4 total length 0 read as a segmentation-offload
	                              super-frame: the record's length used (dec_ip4) */

	/* Tunnels.  "Carrier" below is the packet around the tunnel header:
	 * in every case counted here, that packet is what decode_packet()
	 * returns, with DEC_OK. */
	uint64_t decap_packets;    /* records with at least one tunnel opened */
	uint64_t decap[ENCAP_KINDS]; /* tunnel headers opened, per kind */
	uint64_t encap_depth_capped; /* a tunnel found inside LS_MAX_ENCAP others: left closed */
	uint64_t tunnel_invalid;   /* a tunnel port or protocol whose header failed validation */
	uint64_t tunnel_other;     /* a valid tunnel carrying no IP: control or signalling
	                              messages, ARP, PPP LCP/CCP, MPLS, ... */
	uint64_t tunnel_inner_malformed; /* the packet inside a valid tunnel header lied */
	uint64_t tunnel_carrier_kept; /* the carrier check said: a declared endpoint, keep closed */
};

struct decoder;

struct decoder *decode_new(void);
void decode_free(struct decoder *d);
/* Decodes one record.  On DEC_OK the pointers in *out point into the record
 * or into a reassembly buffer owned by the decoder, valid until the next
 * call.  Never reads outside cp->data[0..caplen).
 *
 * *out is always reset first; link-layer fields (macs, vlan, ifindex,
 * hatype, pkttype, nflog_prefix) are filled as far as decoding got, also
 * when the status is not DEC_OK.  ifindex: SLL2 interface index, else the
 * pcapng interface id (cp->has_iface), else -1.  out->truncated is set when
 * snaplen cut the IP packet (the transport header is then complete, else
 * the status would be DEC_SNAPPED).
 *
 * DEC_SNAPPED is returned only when the record is shorter than its wire
 * length (cp->caplen < cp->wirelen) and the cut explains the missing bytes;
 * a header that does not fit in a record that was not snapped, or in the
 * length an outer header declares, is DEC_MALFORMED.  A fragment whose
 * datagram is given up (oversize, memory cap) also yields DEC_FRAG_HELD:
 * the loss is counted in frag_dropped. */
/* The link types decode_packet() reads (LINKTYPE_* values, https://www.tcpdump.org/linktypes.html). */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_PPP 9
#define LT_RAW_DLT 12
#define LT_PPP_HDLC 50
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_NFLOG 239
#define LT_LINUX_SLL2 276
#define LT_PKTAP 258
/* True for a link type decode_packet() reads (the one list, decode.c);
 * capture.c refuses a file of any other. */
bool decode_linktype_supported(int linktype);

enum decode_status decode_packet(struct decoder *d, const struct cap_packet *cp,
				 uint32_t file_idx, struct pkt *out);

/*
 * Tunnels.  decode_packet() opens the cleartext tunnels of enum encap_kind,
 * one inside the other up to LS_MAX_ENCAP deep: IP protocols 4, 41 and 47
 * always, the UDP ones when either port is the tunnel's (4754, 4789, 6081,
 * 3544, 2152, 1701; the destination port is tried first).  On DEC_OK the
 * network and transport fields then describe the innermost packet,
 * out->encap[] lists the tunnels outermost first and out->outer_* the
 * outermost IP header.  Inner IP fragments are reassembled like outer ones,
 * keyed also by the tunnel they travel in.
 *
 * The tunnel is left closed and its carrier returned as an ordinary DEC_OK
 * packet when: the carrier check says so; the header fails validation
 * (version and reserved bits, lengths; ordinary traffic on a tunnel port);
 * it carries no IP (control messages, ARP, ...); the packet inside does
 * not parse (DEC_MALFORMED or DEC_NOT_IP inside); or LS_MAX_ENCAP tunnels
 * are already open (out->encap_capped).  Each is counted in decode_stats.
 * A tunnel or inner header cut by snaplen is DEC_SNAPPED: out then holds
 * the innermost IP packet whose header was complete and the tunnels whose
 * headers were read.
 */

/*
 * Carrier protection: a declared VPN endpoint may use any port (WireGuard
 * on 4789 looks like VXLAN).  Before each tunnel is opened, fn(user, pkt)
 * is called with *pkt describing the carrier (addresses, proto, ports,
 * payload; at depth > 0 also encap[] and outer_*); true keeps the tunnel
 * closed and the carrier is returned.  fn NULL (the default): no check.
 */
void decode_set_carrier_check(struct decoder *d, bool (*fn)(void *user, const struct pkt *outer),
			      void *user);

/* "gre", "vxlan", ... (static); NULL outside the enum. */
const char *decode_encap_name(enum encap_kind k);
const struct decode_stats *decode_get_stats(const struct decoder *d);
/* A short name for a status, for messages. */
const char *decode_status_str(enum decode_status s);

#endif
