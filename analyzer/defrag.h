/* defrag.h - IPv4 and IPv6 fragment reassembly with memory and time limits. */
#ifndef LS_DEFRAG_H
#define LS_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Fragments are keyed by (src, dst, id, proto) for IPv4 (RFC 791) and by
 * (src, dst, identification) for IPv6 (RFC 8200 section 4.5), plus the
 * tunnel context ctx: fragments of a packet inside a tunnel belong to that
 * tunnel, and two tunnels (two VXLAN segments reusing 10.0.0.0/8) may
 * carry the same inner addresses and ids at once.  Overlapping
 * bytes: the first fragment to carry a byte wins (later copies are counted,
 * never written), so a second, different copy cannot rewrite what an
 * analyst already saw (the classic IDS-evasion overlap trick).
 */

/* Defaults; every one can be lowered for tests through defrag_limits. */
#define DEFRAG_MAX_DGRAMS 1024                /* datagrams in progress */
#define DEFRAG_MAX_PAYLOAD 65535u             /* fragmentable bytes per datagram */
#define DEFRAG_MAX_MEM (8u << 20)             /* bytes held over all datagrams */
#define DEFRAG_TIMEOUT_NS (30LL * 1000000000) /* capture time since the first fragment */

struct defrag_limits {
	uint32_t max_dgrams;
	uint32_t max_payload;
	uint64_t max_mem;
	int64_t timeout_ns;
};

struct defrag_stats {
	uint64_t frags;        /* fragments offered */
	uint64_t reassembled;  /* datagrams completed */
	uint64_t dropped;      /* datagrams given up: timeout + evicted + oversize */
	uint64_t timeouts;     /* ... of which timed out */
	uint64_t evicted;      /* ... of which pushed out by a cap */
	uint64_t oversize;     /* ... of which would exceed max_payload or 65535 */
	uint64_t overlaps;     /* fragments overlapping earlier bytes with other data */
	uint64_t dups;         /* exact repeats of bytes already held */
	bool cap_reached;      /* max_dgrams or max_mem forced an eviction */
};

/* One fragment, as the IP decoder found it. */
struct defrag_frag {
	uint8_t af;             /* 4 or 6 */
	uint8_t proto;          /* IPv4 protocol (part of the key); unused for IPv6 */
	uint32_t id;            /* IPv4 16-bit id or IPv6 32-bit identification */
	uint64_t ctx;           /* tunnel context (a hash of the carriers); 0 outside tunnels */
	uint8_t src[16], dst[16]; /* IPv4 uses the first 4 bytes */
	int64_t ts_ns;          /* capture time */
	uint32_t offset;        /* fragment offset in bytes */
	bool more;              /* MF / M flag */
	const uint8_t *data;    /* the fragment's payload */
	uint32_t len;
	/* Header, used from the offset-0 fragment only: IPv4, the IP header
	 * with options; IPv6, the unfragmentable part (IPv6 header and the
	 * extension headers before the fragment header). */
	const uint8_t *hdr;
	uint32_t hdr_len;
	/* IPv6: offset in hdr of the Next Header byte that named the fragment
	 * header, and the fragment header's own Next Header. */
	uint32_t nh_off;
	uint8_t nh;
};

enum defrag_result {
	DEFRAG_HELD,    /* stored (or ignored as a repeat); datagram not complete */
	DEFRAG_DONE,    /* *out is the whole datagram */
	DEFRAG_DROPPED, /* the datagram was discarded (oversize); counted */
};

struct defrag;

/* lim NULL: the DEFRAG_* defaults.  seed: for the key hash. */
struct defrag *defrag_new(const struct defrag_limits *lim, uint64_t seed);
void defrag_free(struct defrag *df);

/*
 * Adds one fragment.  Datagrams older than the timeout (relative to
 * f->ts_ns) are dropped first.  On DEFRAG_DONE, *out and *out_len hold the
 * reassembled IP datagram: IPv4 with a rebuilt header (MF and offset
 * cleared, total length and checksum fixed), IPv6 with the fragment header
 * removed, the Next Header byte and payload length fixed.  The buffer is
 * owned by df and valid until the next defrag_add() or defrag_free().
 */
enum defrag_result defrag_add(struct defrag *df, const struct defrag_frag *f, const uint8_t **out,
			      uint32_t *out_len);

const struct defrag_stats *defrag_get_stats(const struct defrag *df);
/* Datagrams in progress and bytes held, for tests and reports. */
uint32_t defrag_pending(const struct defrag *df);
uint64_t defrag_mem(const struct defrag *df);

#endif
