/* pipeline.h - the analysis's private state, shared by the stages of the pipeline (pipeline.c).
 *
 * Not for the writers or main.c: they read struct analysis (analyze.h).
 * Each stage keeps its state in a struct of its own header; this one only
 * puts them together behind analysis.priv.
 */
#ifndef LS_PIPELINE_H
#define LS_PIPELINE_H

#include <stdint.h>

#include "analyze.h"
#include "carrier.h"
#include "host-os.h"
#include "hosts.h"
#include "iface.h"
#include "packet.h"
#include "resolve-wire.h"

struct autofp;

struct an_priv {
	uint64_t seed;           /* fixed: runs are reproducible (hash order never reaches a report) */
	struct iface_state ifs;  /* iface.c */
	struct hosts_state hs;   /* hosts.c */
	struct wire_state ws;    /* resolve-wire.c */
	struct carrier_index cix; /* carrier.c: the declared endpoints, hashed */
	struct autofp *fp;        /* -j: the flow workers (autofp.c), NULL with one job */
	struct hostos_state os;  /* host-os.c */
};

/* The hash of p's flow (pipeline.c): -j shards by it, the duplicate table
 * (resolve-wire.c) picks its set by it. */
uint64_t pipeline_flow_hash(const struct pkt *p);

/* A capture time in microseconds. */
static inline int64_t us_of(int64_t s, uint32_t ns)
{
	return s * 1000000 + ns / 1000;
}

#endif
