/* tcp-reassembly.h - per-connection TCP byte-stream reassembly (RFC 9293 sequence space). */
#ifndef LS_TCP_REASSEMBLY_H
#define LS_TCP_REASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "packet.h"

/*
 * The analyzer keeps one struct tcp_conn per TCP flow it dissects (DNS on
 * port 53, later DoH over h2c) and feeds it every packet of that flow with
 * tcp_feed().  Each direction's payload comes out of a struct tcp_sink as
 * in-order contiguous bytes; what the capture never saw comes out as a gap
 * notification with the number of bytes lost, followed by the bytes after
 * the hole.
 *
 * Policies (what a reader of a report needs to know):
 *   - First come wins: bytes already delivered or held are never replaced
 *     by a later copy of the same sequence range.  A later copy that
 *     differs from held bytes is counted (overlap_conflict_bytes) because
 *     overlapping segments with different content are a classic IDS
 *     evasion.  Bytes already delivered are not kept, so a retransmission
 *     of delivered data cannot be compared; it is only counted.
 *   - A capture that starts mid-connection starts each direction at the
 *     first segment seen in it; data before that is lost without a gap.
 *   - A hole is skipped (gap reported, following data delivered) when:
 *       the other side has acknowledged data past it (it was received,
 *       the capture missed it, no retransmission will come);
 *       the segment before it was cut by snaplen (its tail is lost);
 *       holding more would pass a cap (per direction bytes or segments,
 *       or the global memory cap: counted in cap_hits);
 *       an accepted RST ends the connection, or tcp_conn_flush() is called.
 *     A FIN alone does not skip holes: a retransmission may still fill them.
 *   - After a FIN, bytes past the FIN's sequence number are ignored; after
 *     an accepted RST all later data of the connection is ignored.  Both are
 *     counted (late_segments, late_bytes) and flagged TCP_ANOM_DATA_AFTER_CLOSE.
 *   - A RST is accepted only when its sequence number lies in
 *     [next, next + TCP_MAX_WINDOW) of its direction (RFC 5961 3.2 in
 *     spirit: a forged blind RST must not silence the rest of the stream).
 *   - Data more than TCP_MAX_WINDOW ahead of the next expected byte is
 *     dropped (out_of_window): no real window is that large (RFC 7323 2.3
 *     caps the scaled window at 2^30), and holding it would only serve an
 *     attacker.
 *
 * Memory: bytes that arrive ahead of a hole are copied into one allocation
 * per held piece (header + data), accounted in ctx->mem_used and bounded by
 * ctx->dir_cap bytes and ctx->max_segs pieces per direction and ctx->memcap
 * in total.  In-order data is delivered straight from the packet: no copy,
 * no allocation.  A struct tcp_conn also keeps, per direction, a copy of
 * the last struct pkt fed (~270 bytes), so that held data can be delivered
 * with a packet of its own direction when the trigger is not one.
 */

#define TCP_DEFAULT_MEMCAP ((size_t)64 << 20)   /* all held data, all connections */
#define TCP_DEFAULT_DIR_CAP ((size_t)256 << 10) /* held data per direction */
#define TCP_DEFAULT_MAX_SEGS 1024               /* held pieces per direction: bounds the
                                                   list walks a flood of 1-byte segments costs */
#define TCP_MAX_WINDOW ((uint32_t)1 << 30)      /* RFC 7323 2.3: largest scaled window */

/* TCP header flag bits as they appear in struct pkt.tcp_flags (RFC 9293 3.1). */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10

/* Per-direction anomaly bits (evidence the caller can attach to events). */
#define TCP_ANOM_GAP               0x0001 /* bytes of this direction were never captured */
#define TCP_ANOM_OVERLAP_CONFLICT  0x0002 /* a later copy of held bytes differed (first kept) */
#define TCP_ANOM_CAP               0x0004 /* a memory or segment cap forced a hole to be skipped */
#define TCP_ANOM_DATA_AFTER_CLOSE  0x0008 /* data past a FIN, or after a RST, was ignored */
#define TCP_ANOM_OUT_OF_WINDOW     0x0010 /* data too far ahead of the stream was dropped */
#define TCP_ANOM_SYN_CHANGED       0x0020 /* a SYN with another ISN on an open direction */
#define TCP_ANOM_FIN_CHANGED       0x0040 /* a second FIN at another sequence number */
#define TCP_ANOM_RST_IGNORED       0x0080 /* a RST outside the window was not trusted */

struct tcp_stats {
	uint64_t segments;          /* packets fed */
	uint64_t bytes_delivered;   /* payload bytes handed to sinks */
	uint64_t out_of_order;      /* segments (or parts) held ahead of a hole */
	uint64_t retransmissions;   /* segments whose bytes had all been seen */
	uint64_t keepalives;        /* 0/1-byte segments at next-1 (RFC 9293 3.8.4) */
	uint64_t overlaps;          /* segments partly covering bytes already seen */
	uint64_t overlap_conflicts; /* ... whose overlapping bytes differed from held ones */
	uint64_t overlap_conflict_bytes;
	uint64_t gaps;              /* holes skipped */
	uint64_t gap_bytes;         /* bytes lost in them */
	uint64_t cap_hits;          /* holes skipped because a cap was reached */
	uint64_t memcap_hits;       /* ... of which by the global memory cap */
	uint64_t late_segments;     /* segments with data after FIN/RST */
	uint64_t late_bytes;
	uint64_t out_of_window;     /* segments dropped as too far ahead */
	uint64_t rst_ignored;
	size_t mem_peak;            /* highest ctx->mem_used */
};

/* Shared by every connection of one analysis. */
struct tcp_ctx {
	size_t memcap;     /* limits; tcp_ctx_init sets the defaults, the caller may lower them */
	size_t dir_cap;
	uint32_t max_segs;
	size_t mem_used;   /* bytes allocated for held pieces, all connections */
	struct tcp_stats st;
};

struct tcp_seg; /* a held piece; private to tcp-reassembly.c */

struct tcp_dir {
	bool started;      /* next is meaningful */
	bool syn_seen;
	bool fin_seen;
	bool closed;       /* FIN reached, or RST: no more data */
	bool rst_seen;     /* closed by an accepted RST */
	bool have_peer_ack;
	bool snap_hole;    /* the last delivered segment was cut by snaplen */
	bool have_tmpl;
	uint32_t isn;
	uint32_t next;     /* next sequence number to deliver */
	uint32_t fin_seq;  /* sequence number of the FIN (end of data) */
	uint32_t peer_ack; /* highest ACK the other side sent for this direction */
	struct tcp_seg *head, *tail; /* held pieces, sorted, disjoint, all after next */
	uint32_t nsegs;
	size_t held_bytes;
	uint64_t delivered;  /* bytes delivered in this direction */
	uint64_t gap_bytes;  /* bytes lost in this direction */
	uint32_t anomalies;  /* TCP_ANOM_* */
	/* Copy of the last packet fed in this direction; payload, ip and
	 * nflog_prefix cleared (they point into decoder memory), cp pointing
	 * at tmpl_cp, whose data and iface_name are cleared too. */
	struct pkt tmpl;
	struct cap_packet tmpl_cp;
};

/* Both directions; dir 0 and 1 are whatever the caller uses (flow_lookup's
 * dir: 0 = from the initiator). */
struct tcp_conn {
	struct tcp_dir d[2];
};

/*
 * Where delivered bytes came from; valid during the callback only.
 * pkt is never NULL and always travels in the direction of the bytes:
 *   - the packet being fed, when it carried the bytes;
 *   - otherwise (bytes that were held) a copy of the last packet fed in
 *     that direction, with cp->frame, cp->ts_*, cp->offset and file_idx of
 *     the packet that carried the bytes, and payload/ip NULL.
 * trigger_frame is the frame of the packet whose arrival made the bytes
 * deliverable (it filled the hole, or its ACK proved the hole lost), or 0
 * from tcp_conn_flush().
 */
struct tcp_src {
	const struct pkt *pkt;
	uint64_t trigger_frame;
	bool held;  /* the bytes were held out of order before delivery */
};

/*
 * The consumer of one connection's streams.  data receives contiguous
 * in-order bytes of direction dir (never 0 bytes); gap says that lost
 * bytes of dir are missing just before the next data.  Either may be NULL.
 * The callbacks must not feed, flush or free the same connection; data
 * may point into the packet or into a held piece freed after the call.
 */
struct tcp_sink {
	void (*data)(void *user, int dir, const uint8_t *data, size_t len, const struct tcp_src *src);
	void (*gap)(void *user, int dir, uint32_t lost);
	void *user;
};

/* Sets the default limits and zeroes the counters. */
void tcp_ctx_init(struct tcp_ctx *ctx);

/* Prepares an empty connection (no allocation). */
void tcp_conn_init(struct tcp_conn *c);

/*
 * Feeds one TCP packet (p->seq, p->ack, p->tcp_flags, p->payload,
 * p->payload_len, p->truncated, p->cp for frame and time; p->cp may be NULL
 * in which case frame 0 and time 0 are reported) travelling in direction
 * dir (0 or 1).  Calls the sink for whatever becomes deliverable, in
 * sequence order, in this direction and, through an ACK or a RST, in the
 * other one.  Returns 0, or -1 when dir is not 0 or 1 (nothing done).
 */
int tcp_feed(struct tcp_ctx *ctx, struct tcp_conn *c, int dir, const struct pkt *p,
	     const struct tcp_sink *sink);

/*
 * End of the flow: in each direction (0 then 1) skips every remaining hole
 * (gap notification) and delivers everything held.  The connection stays
 * valid (tcp_conn_free still needed); held lists are empty afterwards.
 */
void tcp_conn_flush(struct tcp_ctx *ctx, struct tcp_conn *c, const struct tcp_sink *sink);

/* Frees held pieces without delivering them and returns their memory to
 * ctx.  The struct itself belongs to the caller. */
void tcp_conn_free(struct tcp_ctx *ctx, struct tcp_conn *c);

/* Wraparound-safe sequence comparison (RFC 1982 style, 2^31 horizon):
 * a - b as a signed distance. */
static inline int32_t tcp_seq_diff(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	/* Written without a cast of an out-of-range value to int32_t, whose
	 * result C leaves to the implementation. */
	return d <= (uint32_t)INT32_MAX ? (int32_t)d : -(int32_t)(UINT32_MAX - d) - 1;
}

#endif
