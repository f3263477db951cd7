/* dpi.h - flow classification, the only door to nDPI 4.2. */
#ifndef LS_DPI_H
#define LS_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

/* What we care about of nDPI's verdict. */
enum dpi_class {
	DPI_UNKNOWN = 0,
	DPI_DNS,
	DPI_MDNS,
	DPI_LLMNR,
	DPI_NETBIOS,
	DPI_TLS,
	DPI_QUIC,
	DPI_DOH_DOT,
	DPI_HTTP,
	DPI_WIREGUARD,
	DPI_OPENVPN,
	DPI_IPSEC,
	DPI_TOR,
	DPI_DNSCRYPT,
	DPI_OTHER, /* known, but none of the above */
};

/* The texts nDPI read from a flow: kept on the heap only while needed
 * (most flows never have any), so the flow table stays small. */
struct dpi_text {
	char sni[80];         /* TLS/QUIC server name or DNS host as nDPI saw it */
	char alpn[64];        /* client's ALPN list, comma-joined, sanitised */
};

/* Per-flow result; lives in the flow, filled by dpi_feed. */
struct dpi_result {
	enum dpi_class cls;
	bool done;            /* classified (or given up): stop feeding */
	bool guessed;         /* by port only (nDPI confidence) */
	uint16_t app, master; /* nDPI protocol ids */
	struct dpi_text *text; /* NULL until nDPI has a verdict; owned: dpi_result_clear */
};

/* "" when nDPI saw none. */
const char *dpi_sni(const struct dpi_result *r);
const char *dpi_alpn(const struct dpi_result *r);
/* Frees the texts (the class stays). */
void dpi_result_clear(struct dpi_result *r);

struct dpi;        /* one per thread: never share */
struct dpi_flow;   /* nDPI state of one flow */

/* Creates a detection module (~5 MB, 50-100 ms).  Returns NULL on failure. */
struct dpi *dpi_new(void);
void dpi_free(struct dpi *d);
/* One module for the whole process, made at the first call and never
 * freed (NULL when it cannot be made): for a caller that runs many short
 * analyses one after the other (the fuzz target, an_options.dpi).  Not
 * for threads: one analysis at a time.  nDPI keeps a few caches in its
 * module, so an analysis may classify a flow with what an earlier one
 * taught it; the analyze binary never shares one. */
struct dpi *dpi_shared(void);

/*
 * Feeds one packet of a flow.  *fs is the flow's nDPI state, created on the
 * first call (NULL before).  Stops by itself: once res->done is set, further
 * calls return at once.  Packets stop being fed after a per-flow cap (24 UDP /
 * 80 TCP, as ndpiReader does), then the flow is given up.
 */
void dpi_feed(struct dpi *d, struct dpi_flow **fs, const struct pkt *p, uint64_t time_ms,
	      struct dpi_result *res);
/* Gives up on a flow still unknown (at its end) and fills res; frees state. */
void dpi_flow_end(struct dpi *d, struct dpi_flow **fs, struct dpi_result *res);
/* Frees a flow's nDPI state; *fs becomes NULL. */
void dpi_flow_free(struct dpi_flow **fs);

const char *dpi_class_str(enum dpi_class c);
/* Memory nDPI state takes per flow, for the memory caps. */
size_t dpi_flow_size(void);

/* nDPI's revision string as the library running reports it ("4.2.0"). */
const char *dpi_version(void);

#endif
