/* decode.h - link layer, IPv4/IPv6 and UDP/TCP decoding, with fragment reassembly. */
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
enum decode_status decode_packet(struct decoder *d, const struct cap_packet *cp,
				 uint32_t file_idx, struct pkt *out);
const struct decode_stats *decode_get_stats(const struct decoder *d);
/* A short name for a status, for messages. */
const char *decode_status_str(enum decode_status s);

#endif
