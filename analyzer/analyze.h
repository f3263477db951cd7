/* analyze.h - one investigation: captures in, events with verdicts, hosts and tunnel timelines out.
 *
 * The public face of the pipeline (pipeline.c says the order of its
 * stages, one file each): an_new, an_add_file per capture, an_finish, then
 * the writers read struct analysis; an_free.  Categories' texts:
 * category.h; suggest-tunnel: suggest.h.
 */
#ifndef LS_ANALYZE_H
#define LS_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "event.h"
#include "integrity.h"
#include "os-infer.h"
#include "facts.h"
#include "partial.h"
#include "rules.h"
#include "category.h" /* cat_severity(), cat_cause(), cat_remedy() */
#include "suggest.h"  /* an_suggest_xml() */

#define AN_MAX_IFACES 1024
#define AN_IFACE_ADDRS 8
/* Hosts told apart (the host table; its lookup is a hash table): past
 * this, a host's questions are judged and counted but belong to no host
 * (blocking: integrity.c "host-cap"). */
#define AN_MAX_HOSTS 2097152
/* Report caps (README "Report size"): host pages (hosts/<host>.html and
 * .xml, and a row of the index, summary.xml and the terminal table) for
 * the AN_DEFAULT_HOST_PAGES most severe hosts, the rest summed up in one
 * line; a host's XML lists at most AN_DEFAULT_HOST_EVENTS events (its
 * leaks first), its counts stay whole.  Caveats, not blocking: every
 * host is judged. */
#define AN_DEFAULT_HOST_PAGES 1000
#define AN_MAX_HOST_PAGES 1000000
#define AN_DEFAULT_HOST_EVENTS 10000
#define AN_MAX_HOST_EVENTS 100000000
#define AN_MAX_SEGMENTS 65536
#define AN_DEFAULT_MAX_EVENTS 5000000
#define AN_DEFAULT_GAP 10        /* seconds of tunnel silence that make a gap, when no keepalive rhythm is seen */
#define AN_FINE_GAP_US 1000000   /* activity is first kept at this grain, then merged with the gap */
#define AN_KEEPALIVE_MAX 65536    /* keepalive times kept per tunnel: the rhythm is long settled by then */
#define AN_KEEPALIVE_MIN_US 500000 /* closer keepalives are copies (one packet on two interfaces) */
#define AN_IDLE_MIN_US 1000000    /* a shorter carrier silence is no ping interval (OpenVPN pings are whole seconds) */
#define AN_DEFAULT_PARALLEL_MS 1000
#define AN_END_SILENCE_US 2000000 /* after a carrier's last packet in the capture, this much silence is "down" */

struct an_options {
	uint32_t gap_ms;          /* 0: automatic (2.5 keepalive intervals, else AN_DEFAULT_GAP) */
	uint32_t parallel_ms;     /* window for parallel multi-homed queries */
	size_t max_events;
	size_t max_flows;
	bool progress;            /* a progress line on stderr while reading */
	uint32_t shard, nshards;  /* -j: nshards > 1 gives the reader that many flow workers (autofp.h);
	                             shard: 0 the reader, k + 1 worker k */
	size_t max_hosts;         /* the host table's limit (0: AN_MAX_HOSTS; tests make it small) */
	size_t max_host_pages;    /* hosts with a page of their own (report caps above) */
	size_t max_host_events;   /* events listed in a host's XML */
	/* an nDPI module to use instead of making one (dpi_shared(): the
	 * fuzz target, one per process instead of ~60 ms per input); borrowed,
	 * an_free leaves it; one analysis at a time may use it.  NULL: the
	 * analysis makes its own (the leakscope binary, each -j shard) */
	struct dpi *dpi;
	const char *partial_path; /* --partial: the (one) capture is also written here, reduced (partial.h) */
	bool partials;            /* merge: the captures are partials; their claims are honoured (cap_trust_partial) */
	const char *filter;       /* -f: the BPF filter the captures were read through (capture.h), or NULL */
	/* the event store's blocks, window and cache (ev_set_storage; 0: the
	 * defaults): tests make them tiny so that every path spills */
	size_t ev_block, ev_window, ev_cache;
};

enum iface_role { IF_UNKNOWN, IF_TUNNEL, IF_PHYSICAL, IF_LOOPBACK };

struct an_iface {
	uint32_t file_idx;
	int id;                  /* SLL2 ifindex / pcapng interface id; -1 none */
	char *name;              /* as the capture names it, or NULL */
	char *desc;              /* its description (pcapng), or NULL */
	int linktype;
	uint16_t hatype;
	uint64_t pkts, inside_pkts, carrier_pkts, loopback_pkts;
	enum iface_role role;
	const char *role_why;    /* static text */
	int tunnel_idx;
	/* what the host itself sent here (SLL outgoing, or any source on a
	 * point-to-point link): the tunnel's inside addresses, for suggestions */
	struct ls_addr src_addrs[AN_IFACE_ADDRS];
	uint8_t n_src_addrs;
};

struct an_file {
	char *path;
	const char *format;      /* "pcap" / "pcapng" / NULL if it could not be opened */
	uint64_t packets, bytes, snapped;
	int64_t first_sec, last_sec;
	uint32_t first_nsec, last_nsec;
	char *error;             /* damage or open failure, NULL if clean */
	bool truncated;          /* analysed up to the damage */
	bool from_partial;       /* read from a partial (partial.h); path is the original's */
	int linktypes[8];
	int n_linktypes;
};

struct an_segment {
	int64_t start_sec, end_sec;
	uint32_t start_nsec, end_nsec;
	uint64_t pkts;
};

struct an_tunnel {
	uint64_t carrier_pkts, carrier_bytes, inside_pkts;
	uint32_t handshakes;      /* WireGuard handshake initiations seen */
	struct an_segment *segs;
	size_t nsegs, capsegs;
	size_t joined_nsegs;      /* segments right after the last join while reading */
	bool segs_sorted;         /* by start: after a join, until the next append */
	bool segs_capped;
	int carrier_host;         /* host index of the carrier's sender, -1 */
	/* keepalive rhythm (WireGuard: 32-byte transport messages with no data) */
	int64_t *ka_us;           /* their capture times, in reading order */
	size_t n_ka, cap_ka;
	/* any carrier: silences of AN_IDLE_MIN_US or more between two
	 * outbound packets (in reading order), for a ping rhythm (OpenVPN
	 * keepalive) where no WireGuard keepalive is seen */
	int64_t last_out_us;
	int64_t *idle_us;
	size_t n_idle, cap_idle;
	bool keepalive_from_idle; /* keepalive_us is the idle rhythm */
	int64_t keepalive_us;     /* median interval, 0 when not seen */
	int64_t gap_us;           /* the gap threshold used for this tunnel */
	const char *gap_why;      /* static text */
	/* carrier sender identity while reading */
	bool has_mac;
	uint8_t mac[6];
	struct ls_addr addr;
	bool have_sender;
};

/* A tunnel carrier recognised in the capture (suggest-tunnel). */
struct an_carrier {
	enum tunnel_kind kind;
	struct ls_addr server;
	uint16_t port;
	uint8_t transport;       /* IPPROTO_UDP / TCP / ESP */
	uint64_t flows, pkts, bytes;
	int64_t first_sec, last_sec;
	struct ls_addr client;   /* first client seen */
	/* the strongest evidence over its flows (carrier-evidence.h) */
	int strength;            /* enum cev_strength: 1 one-sided/sustained, 2 an exchange both ways */
	const char *why;         /* static text */
	uint64_t frame;          /* the frame that completed it (0: nDPI's word) */
	uint32_t file_idx;
	bool candidate_only;     /* every flow of it an SSH session: shown, never applied */
};
#define AN_MAX_CARRIERS 256

/* A name a host announced for itself (DHCP, mDNS, NetBIOS registration). */
struct an_label {
	bool has_mac;
	uint8_t mac[6];
	struct ls_addr addr;
	char name[128];
	const char *source;      /* "dhcp", "dhcpv6", "mdns", "netbios" */
};
#define AN_MAX_LABELS 4096

/* A classless static route pushed by DHCP (option 121/249): TunnelVision,
 * CVE-2024-3661, sends traffic for these prefixes past the tunnel. */
struct an_route {
	bool has_mac;
	uint8_t mac[6];          /* the client it was offered to */
	struct ls_addr net, gw;
	uint8_t plen, option;
	uint32_t file_idx;
	uint64_t frame;
	int64_t ts_sec;
	uint32_t ts_nsec;
};
#define AN_MAX_ROUTES 256

struct an_host {
	char *key;               /* "mac:..." or "ip:..." */
	char *id;                /* file-name-safe id */
	bool has_mac;
	uint8_t mac[6];
	struct ls_addr *addrs;
	size_t naddrs, capaddrs;
	uint64_t events, leaks, allowed;
	uint64_t by_cat[CAT__N];
	char *names[8];          /* announced names, "name (source)", sorted */
	size_t nnames;
	/* verdict.c: it sends or receives a tunnel's carrier, or a question of
	 * it went inside / holds a declared inside address */
	bool tunnelled;
	bool asked_inside;       /* some question of it went inside the tunnel */
	/* host-os.c: its operating system as its own traffic shows it
	 * (os-infer.h): OS_UNKNOWN unless the evidence is clear */
	enum os_kind os;
	const char *os_confidence; /* "strong", "likely", "unknown" (static) */
	char *os_evidence;       /* what counted, plain text (capture bytes \xHH-quoted): escape where shown */
	bool listed;             /* facts.c: it has a page (the report caps) */
};

struct custody;
struct an_relation;

struct analysis {
	struct an_options opt;
	const struct rules *rules;   /* may be NULL */
	struct decoder *dec;
	struct flowtab *flows;
	struct dpi *dpi;
	struct evstore *ev;
	struct ev_hostview *evview; /* the events by host, for the report writers (an_prepare_reports) */
	struct an_file *files;
	size_t nfiles;
	struct an_iface *ifaces;
	size_t nifaces, capifaces;
	struct an_tunnel *tun;       /* one per rules tunnel */
	struct an_host *hosts;
	size_t nhosts, caphosts;
	uint64_t packets;
	uint64_t unsupported_link;
	uint64_t carrier_pkts;
	uint64_t dns_undecodable;    /* payloads on name-resolution ports that were not DNS */
	uint64_t carrier_veto;       /* name-resolution-port flows nDPI called a VPN carrier */
	uint64_t dup_pkts;           /* the same packet seen again on another interface */
	uint64_t flows_peak;         /* most flows alive at once (the cap is an_options.max_flows) */
	uint64_t flows_evicted;      /* flows ended early because the cap was reached */
	uint64_t flows_evicted_live; /* of them, flows that still had something to show (a TCP stream, carrier evidence) */
	struct an_carrier *carriers;
	size_t ncarriers;
	struct an_label *labels;
	size_t nlabels;
	struct an_route *routes;
	size_t nroutes;
	bool labels_capped, routes_capped;
	/* cleartext traffic to an endpoint's address that is not the carrier
	 * (TunnelCrack ServerIP: the endpoint's address is routed outside) */
	uint64_t endpoint_cleartext_pkts;
	uint32_t endpoint_cleartext_file;
	uint64_t endpoint_cleartext_frame;
	bool ifaces_capped, hosts_capped, carriers_capped;
	/* report facts (facts.c, the last stage of an_finish) */
	size_t *host_order;          /* host indices by id: the order of every report */
	/* the report caps (facts.c): host_order[0..nlisted) are the hosts
	 * with a page (the most severe max_host_pages, by id); the others are
	 * summed up here, and hosts_cut hosts list only part of their events */
	size_t nlisted;
	struct {
		uint64_t hosts, events, leaks, allowed;
		uint64_t by_cat[CAT__N];
	} unlisted;
	uint64_t hosts_cut;
	char (*iface_labels)[AN_IFACE_LABEL]; /* an_iface_label of each interface */
	bool suggested;              /* the rules were suggested from the capture, not given */
	/* an_finish: every judged question counted, hosts past the cap
	 * included, and the integrity contract's result (integrity.h) */
	uint64_t leaks_total, judged_total, unhosted_events;
	bool tunnel_hosts_by_mac;    /* some tunnel's owner is known by its MAC (verdict.c) */
	struct an_integrity integ;
	bool partial_failed;         /* writing the partial failed */
	const struct custody *custody; /* custody.h: the reports' chain of custody (set by main; NULL: not recorded) */
	struct an_relation *relation; /* relation.h: hosts by capture, groups (set by main; NULL: one capture) */
	bool finished;
	void *priv;                  /* internal state */
};

void an_options_default(struct an_options *o);
/* rules may be NULL: paths are then "unknown" and nothing is a leak. */
struct analysis *an_new(const struct an_options *o, const struct rules *rules);
void an_free(struct analysis *a);
/* Reads one capture into the analysis (files are one investigation: flows
 * and hosts carry across).  Returns 0 when read to the end, 1 when damaged
 * (analysed up to the damage: files[i].error says where), -1 when it could
 * not be opened at all (files[i].error says why). */
int an_add_file(struct analysis *a, const char *path);
/* Ends flows, sorts events, derives interface roles, tunnel timelines,
 * hosts and verdicts.  Call once, after the last file. */
void an_finish(struct analysis *a);
/* -j: merges what worker src found about its flows into the reader dst,
 * then src can be freed (autofp.c calls it, in worker order).  Before
 * an_finish(dst). */
void an_merge_shard(struct analysis *dst, struct analysis *src);

/* Before the report writers (after an_finish): seals the event store and
 * groups the events by host.  Idempotent; call it before starting writers
 * in threads of their own. */
void an_prepare_reports(struct analysis *a);

const char *an_iface_label(const struct analysis *a, uint32_t ref, char *buf, size_t len);
const char *iface_role_str(enum iface_role r);

#endif
