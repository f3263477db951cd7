/* event.h - name-resolution events: one per question, queries matched to responses. */
#ifndef LS_EVENT_H
#define LS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "packet.h"

enum ev_proto {
	EVP_DNS_UDP, EVP_DNS_TCP, EVP_DOT, EVP_DOH, EVP_DOQ, EVP_MDNS, EVP_LLMNR, EVP_NBNS, EVP__N
};

enum ev_path { PATH_UNKNOWN, PATH_TUNNEL, PATH_OUTSIDE, PATH_LOCAL };

enum ev_verdict { VERDICT_NONE, VERDICT_OK, VERDICT_ALLOWED, VERDICT_LEAK };

/* Categories: README.md "Verdicts and categories" explains each. */
enum ev_category {
	CAT_NONE,
	CAT_TUNNEL,                  /* ok: inside the tunnel, to its resolver */
	CAT_LOCAL,                   /* ok: loopback (a local stub resolver) */
	CAT_RESOLVER_BYPASS,         /* ok, reported: inside the tunnel, another resolver */
	CAT_ALLOWED,                 /* allowed by the description's allow list */
	CAT_LOCAL_LINK,              /* leak: mDNS/LLMNR/NBNS on the physical network */
	CAT_BOOTSTRAP,               /* leak: before the tunnel came up */
	CAT_KILL_SWITCH,             /* leak: while the tunnel was down or in a gap */
	CAT_ENCRYPTED_OUTSIDE,       /* leak: DoT/DoH/DoQ outside the tunnel */
	CAT_TUNNEL_RESOLVER_OUTSIDE, /* leak: the tunnel's resolver reached outside it */
	CAT_IPV6_OUTSIDE,            /* leak: IPv6 outside a tunnel that carries none */
	CAT_PARALLEL,                /* leak: same name inside and outside within a window */
	CAT_SPLIT_TUNNEL,            /* leak: any other cleartext resolution outside */
	CAT_OUTSIDE_NO_TUNNEL,       /* no tunnel description: seen outside, undecided */
	CAT_NO_TUNNEL,               /* not judged: a host with no tunnel (no carrier, no inside address) */
	CAT_IPV4_OUTSIDE,            /* leak: IPv4 outside a tunnel that carries only IPv6 */
	CAT_VPN_SERVER_DNS,          /* leak: to the VPN server's own address, outside the tunnel */
	CAT_PROXY_LOCAL,             /* leak: resolved locally beside a proxy tunnel (SOCKS without remote DNS) */
	CAT_APP_RESOLVER,            /* leak: an application's own public resolver, outside */
	CAT_STUB_UPSTREAM,           /* leak: a local stub's upstream query, outside */
	CAT__N
};

enum ev_phase { PHASE_NONE, PHASE_BEFORE, PHASE_UP, PHASE_GAP, PHASE_DOWN, PHASE_AFTER };

/* Anomalies recorded on an event besides the DNS parser's bits. */
#define EV_ANOM_TRUNCATED 0x10000   /* snaplen cut the message */
#define EV_ANOM_UNDECODABLE 0x20000 /* the question did not parse: name shown as "(undecodable)" */
#define EV_ANOM_TCP_GAP 0x40000     /* DNS over TCP: stream bytes were lost before this message */
#define EV_ANOM_TCP_RESYNC 0x80000  /* DNS over TCP: message found by scanning after a gap */
/* Every bit above and in dns.h has its name in event.c (ev_anomaly_text). */

/* Kept small (ordered by size, narrow types): a large capture holds
 * millions of these, most of them in the store's temporary file (event.c),
 * written and read back as they are (the strings they point to stay in
 * memory, interned).  The enum-valued fields are stored as uint8_t. */
struct ev {
	/* where the question was seen first (the query, or the response if the
	 * query was not captured) */
	int64_t ts_sec;
	uint64_t frame;
	uint64_t resp_frame;
	/* Strings belong to the event store (interned: equal texts shared). */
	const char *qname;      /* presentation format, or NULL when encrypted */
	const char *answers;    /* "A 192.0.2.1,CNAME x.example." or NULL */
	const char *sni;        /* TLS/QUIC server name, or NULL */
	const char *encap;      /* cleartext tunnels it travelled in, outermost first ("gre vxlan"), or NULL */
	const char *reason;     /* allow-list reason or other short explanation (borrowed) */
	struct ls_addr client, server;
	struct ls_addr outer_src, outer_dst; /* the outermost IP header, when encap */
	uint32_t ts_nsec;
	uint32_t file_idx;
	uint32_t resp_file_idx;
	uint32_t iface_ref;     /* index into the analysis' interface table */
	uint32_t anomalies;     /* DNS_ANOM_* | EV_ANOM_* */
	uint32_t retrans;       /* identical queries resent before an answer */
	int32_t rcode;          /* -1 when no response */
	int32_t rtt_us;         /* -1 unknown (or over 35 minutes) */
	int32_t host_idx;       /* the host it belongs to, -1 none */
	uint32_t tls_app_records[2]; /* encrypted exchanges: application-data records each way */
	uint16_t client_port, server_port;
	uint16_t vlan;
	uint16_t txid;
	uint16_t qtype;         /* 0 when encrypted */
	uint16_t qindex;        /* position of the question in its message */
	int16_t tunnel_idx;     /* the tunnel it relates to, -1 none */
	int16_t route_idx;      /* a DHCP-pushed route (TunnelVision) covering the server, -1 none */
	uint8_t client_mac[6];
	uint8_t proto;          /* enum ev_proto */
	/* filled by the verdict pass */
	uint8_t path;           /* enum ev_path */
	uint8_t verdict;        /* enum ev_verdict */
	uint8_t category;       /* enum ev_category */
	uint8_t phase;          /* enum ev_phase */
	bool has_mac;
	/* from the matched response */
	bool answered;
	bool from_response;     /* the query itself was not captured */
	bool canary;            /* use-application-dns.net: Firefox's DoH canary */
	bool tc;                /* the response said TC (truncated): the client retries over TCP */
};

struct evstore;

/* max_events: cap on stored events (reaching it is reported, extra dropped). */
struct evstore *ev_new(size_t max_events, uint64_t seed);
void ev_free(struct evstore *s);

/* Records a parsed DNS-family message carried by p (UDP payload or one TCP
 * message).  Queries create one event per question; responses fill the
 * matching query's events (same proto, endpoints, id and question), or
 * create events of their own when no query was seen.  iface_ref is stored
 * as given. */
void ev_add_dns(struct evstore *s, const struct pkt *p, enum ev_proto proto,
		const struct dns_msg *m, uint32_t iface_ref, uint32_t extra_anom);

/* Records an encrypted exchange (DoT/DoH/DoQ flow) as one event. */
struct ev *ev_add_encrypted(struct evstore *s, const struct pkt *p, enum ev_proto proto,
			    const char *sni, uint32_t iface_ref, bool from_initiator);

/* Moves every event of src to the end of dst (src is left empty). */
void ev_move(struct evstore *dst, struct evstore *src);
size_t ev_count(const struct evstore *s);
/* Event i, to read: valid until EV_CACHE (event.c) more spilled blocks
 * have been read.  NULL past the end. */
const struct ev *ev_get(struct evstore *s, size_t i);
/* Event i, to change (its block is written back). */
struct ev *ev_get_mut(struct evstore *s, size_t i);
/* How the store keeps events: block_events a block, window_blocks full
 * blocks in memory besides the current one, cache_blocks spilled blocks
 * cached (0: the defaults).  Only on an empty store; for tests. */
void ev_set_storage(struct evstore *s, size_t block_events, size_t window_blocks, size_t cache_blocks);
/* After the last change (verdicts included): writes back what is cached,
 * so readers (below) may then read from several threads at once. */
void ev_seal(struct evstore *s);

/* The events grouped by host (host_idx; those of no host last), each
 * host's in the store's order: the report writers read a host's events in
 * one sweep.  Made from a sealed store, in one pass. */
struct ev_hostview;
struct ev_hostview *ev_hostview_new(struct evstore *s, size_t nhosts);
/* Host h's events are at positions [start(h), start(h + 1)); h = nhosts:
 * those of no host. */
size_t ev_hostview_start(const struct ev_hostview *v, size_t h);
void ev_hostview_free(struct ev_hostview *v);

/* A reader of a sealed store (v NULL: in the store's order) or of a host
 * view, with a cache of its own: one per thread.  ev_read's pointer stays
 * valid until EV_CACHE (event.c) other blocks have been read. */
struct ev_reader;
struct ev_reader *ev_reader_new(struct evstore *s, const struct ev_hostview *v);
const struct ev *ev_read(struct ev_reader *r, size_t i);
void ev_reader_free(struct ev_reader *r);
bool ev_cap_reached(const struct evstore *s);
uint64_t ev_dropped(const struct evstore *s);
/* Sorts by time, file, frame, question index (stable, total order). */
void ev_sort(struct evstore *s);

/*
 * For report writers going through many events: fetch the record a few
 * events ahead while working on this one, and (texts) the name and answers
 * of one whose record is there by then (interned strings lie elsewhere in
 * memory).  always_inline: a function doing nothing but prefetches looks
 * free of effects to GCC, which then drops the calls altogether.
 */
static inline __attribute__((always_inline)) void ev_prefetch(const struct ev *e, bool texts)
{
	if (!e)
		return;
	if (texts) {
		if (e->qname)
			__builtin_prefetch(e->qname);
		if (e->answers)
			__builtin_prefetch(e->answers);
		return;
	}
	for (size_t off = 0; off < sizeof(*e); off += 64)
		__builtin_prefetch((const char *)e + off);
}

const char *ev_proto_str(enum ev_proto p);
const char *ev_path_str(enum ev_path p);
const char *ev_verdict_str(enum ev_verdict v);
const char *ev_category_str(enum ev_category c);
const char *ev_phase_str(enum ev_phase p);
/* The names of the anomaly bits set in bits, then the bits in hex:
 * "compression-loop, snapped (0x10001)" (event.c has the table, one name per bit). */
struct sbuf;
void ev_anomaly_text(struct sbuf *b, uint32_t bits);
/* Writes "A", "AAAA" or "TYPE65534" into buf. */
const char *ev_qtype_str(uint16_t t, char *buf, size_t len);
/* The event's question type as shown in reports: NetBIOS-NS types by their
 * RFC 1002 names (NB, NBSTAT), "-" for encrypted exchanges. */
const char *ev_qtype_label(const struct ev *e, char *buf, size_t len);

#endif
