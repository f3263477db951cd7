/* dns-tcp.h - DNS over TCP message framing (RFC 1035 4.2.2, RFC 7766 8) on a reassembled byte stream. */
#ifndef LS_DNS_TCP_H
#define LS_DNS_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "tcp-reassembly.h"

/*
 * One struct dnstcp_dir per direction of a DNS/TCP connection.  It is fed
 * the in-order bytes that tcp-reassembly delivers (dnstcp_feed) and the
 * holes it reports (dnstcp_gap), and calls back once per DNS message with
 * the message bytes (without the 2-byte length prefix).
 *
 * Memory: nothing until a message straddles two deliveries; then one
 * buffer sized to that message (at most DNSTCP_BUF_MAX bytes), freed as
 * soon as it is empty again.  Messages inside one delivery are handed over
 * straight from the delivered bytes.
 *
 * After a gap the stream position is unknown: the partial message is
 * discarded and the framer resynchronises.  It scans the bytes that follow
 * for a plausible message start: a length L >= 12, then a DNS header with
 * opcode 0 and either qdcount 1, or qdcount 0 with QR set and ancount >= 1
 * (a response continuation, RFC 5936 2.2), whose first question (or first
 * answer) has a well-formed name, a type and a known class, all inside L,
 * and whose record counts fit in L (11 bytes per record at least).  A
 * candidate is trusted only once all L bytes are there and dns_parse()
 * parses every declared record (at most DNS_MAX_RRS of them) with no count
 * mismatch, truncated record or trailing bytes: a message found by guessing
 * must account for every byte.  The earliest
 * candidate is waited for before later offsets are tried, since a later
 * "message" may be rdata inside it.  Bytes passed over are counted and
 * reported with the next message.
 */

#define DNSTCP_MSG_MAX 65535                /* the length prefix is 16 bits */
#define DNSTCP_BUF_MAX (DNSTCP_MSG_MAX + 2) /* one message with its prefix */
#define DNSTCP_MARKS 8                      /* remembered chunk starts, for first_frame */

/* Anomalies reported with a message (about what came before it). */
#define DNSTCP_ANOM_ZERO_LEN 0x01 /* a 0-length message was skipped (RFC 1035 gives it no meaning) */
#define DNSTCP_ANOM_GAP      0x02 /* stream bytes were lost (not captured) before it */
#define DNSTCP_ANOM_RESYNC   0x04 /* found by scanning after a gap, not by following lengths */

struct dnstcp_stats {
	uint64_t messages;         /* messages handed to the callback */
	uint64_t zero_len;         /* 0-length prefixes skipped */
	uint64_t gaps;             /* dnstcp_gap calls */
	uint64_t lost_bytes;       /* bytes they reported */
	uint64_t discarded_bytes;  /* partial messages thrown away at a gap */
	uint64_t skipped_bytes;    /* bytes passed over while resynchronising */
	uint64_t resyncs;          /* boundaries found again after a gap */
	uint64_t candidates_refused; /* plausible starts that dns_parse did not confirm */
	uint64_t incomplete;       /* partial messages left at dnstcp_flush */
	uint64_t incomplete_bytes;
};

/* One chunk of the window: the frame that carried bytes from off on. */
struct dnstcp_mark {
	uint32_t off;
	uint64_t frame;
};

struct dnstcp_dir {
	uint8_t *buf;    /* window: a (possibly partial) message with its prefix, or
	                    after a gap the bytes being scanned; NULL when empty */
	uint32_t have;   /* bytes in buf */
	uint32_t cap;    /* bytes allocated */
	bool resync;     /* after a gap: the window start is not trusted */
	uint8_t nmarks;
	struct dnstcp_mark marks[DNSTCP_MARKS];
	/* reported with the next message, then cleared */
	uint64_t pend_lost;
	uint64_t pend_skipped;
	uint32_t pend_anom;
	struct dnstcp_stats st;
};

/* What comes with each message.  Valid during the callback only. */
struct dnstcp_info {
	const struct pkt *pkt;  /* the packet that carried the message's last byte
	                           (src->pkt of that delivery: for held bytes the
	                           reassembler's stamped copy); never NULL */
	uint64_t first_frame;   /* frame that carried the first byte of the length
	                           prefix; after more than DNSTCP_MARKS chunks in one
	                           message, the frame of an earlier chunk of it */
	uint64_t last_frame;    /* pkt->cp->frame */
	uint64_t trigger_frame; /* src->trigger_frame of the last delivery */
	uint64_t lost;          /* bytes lost in gaps since the previous message */
	uint64_t skipped;       /* bytes dropped by the framer since the previous
	                           message: partial message cut by a gap, bytes
	                           scanned over while resynchronising, 0-length prefixes */
	uint32_t anom;          /* DNSTCP_ANOM_* */
};

/* msg: len bytes (1..65535), without the prefix; it points into the
 * delivered data or the framer's buffer and is valid during the call.  The
 * callback must not call back into the same struct dnstcp_dir. */
typedef void (*dnstcp_msg_fn)(void *user, const uint8_t *msg, size_t len, const struct dnstcp_info *mi);

void dnstcp_init(struct dnstcp_dir *d);

/* Frees the buffer; the struct can be reused after dnstcp_init. */
void dnstcp_free(struct dnstcp_dir *d);

/*
 * Feeds len in-order stream bytes of one direction; src says which packet
 * carried them (src->pkt must not be NULL; src->pkt->cp may be NULL: frame 0).
 * Calls cb for each message completed by them, in stream order.
 * Returns the number of messages delivered by this call.
 */
size_t dnstcp_feed(struct dnstcp_dir *d, const uint8_t *data, size_t len, const struct tcp_src *src,
		   dnstcp_msg_fn cb, void *user);

/* lost stream bytes were not captured before the next dnstcp_feed: drops
 * the partial message and starts resynchronising. */
void dnstcp_gap(struct dnstcp_dir *d, uint64_t lost);

/* End of the stream: a partial message is counted as incomplete and
 * dropped; the buffer is freed.  The struct stays usable. */
void dnstcp_flush(struct dnstcp_dir *d);

#endif
