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
#include "host-os.h"
#include "hosts.h"
#include "iface.h"
#include "resolve-wire.h"

struct an_priv {
	uint64_t seed;           /* fixed: runs are reproducible (hash order never reaches a report) */
	struct iface_state ifs;  /* iface.c */
	struct hosts_state hs;   /* hosts.c */
	struct wire_state ws;    /* resolve-wire.c */
	struct hostos_state os;  /* host-os.c */
};

/* A capture time in microseconds. */
static inline int64_t us_of(int64_t s, uint32_t ns)
{
	return s * 1000000 + ns / 1000;
}

#endif
