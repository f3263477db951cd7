/* autofp.h - -j N: one reader, N flow workers (the shape of Suricata's autofp runmode).
 *
 * The reader (the analysis given to an_add_file) reads and decodes every
 * packet once and runs the per-packet stages itself: interfaces, MACs,
 * the tunnel timeline and the carrier fast path, DHCP.  A packet that
 * goes on to the flow stages is copied, with its decoded headers, into a
 * batch of the worker that owns its flow (shard_of: both directions, and a
 * multicast question and its unicast answers, go to the same worker).
 * Each worker is an analysis of its own (its flow table, nDPI module,
 * event store) fed by a bounded queue of batches, so the reader waits
 * when a worker falls behind and memory stays flat.  Workers never see a
 * carrier packet, never read a file, and each builds its nDPI module once
 * in its own thread, one after another (module creation is not
 * thread-safe), while the reader already reads; no worker runs a packet
 * before every module is built.  At the end (autofp_stop) the workers drain
 * their queues, their flows end, and what they found is merged into the
 * reader's analysis in worker order (an_merge_shard): the reports are the
 * same bytes as with one thread.
 */
#ifndef LS_AUTOFP_H
#define LS_AUTOFP_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"
#include "packet.h"

struct autofp;

/* n workers (n >= 2) for reader a, each an an_new() with a's options and
 * rules.  Returns NULL when no thread can be had (then a works alone). */
struct autofp *autofp_start(struct analysis *a, unsigned n);
/* Hands p (decoded by the reader; iref its interface) to its flow's worker. */
void autofp_dispatch(struct autofp *fp, const struct pkt *p, uint32_t iref);
/* Drains every queue, joins the workers, merges them into a; frees fp. */
void autofp_stop(struct autofp *fp, struct analysis *a);

/* The worker's side, in pipeline.c: a packet through the flow stages. */
void pipeline_flow_packet(struct analysis *w, struct pkt *p, uint32_t iref);
/* Every flow of w ends (flows peak and evictions kept; pipeline.c). */
void an_end_flows(struct analysis *w);
/* The shard of a packet's flow among n (pipeline.c). */
uint32_t pipeline_shard_of(const struct pkt *p, uint32_t n);

#endif
