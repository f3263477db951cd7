/* verdict.h - after the last packet: each event's path, tunnel, host, verdict, category and evidence.
 *
 * The order (an_finish in pipeline.c calls these after the timeline and
 * the interface roles, on sorted events):
 *  - verdict_paths(): each event's path (tunnel, outside, local, unknown)
 *    from its interface's role, the carrier beside it and the description's
 *    inside addresses; the tunnel it concerns; its host (hosts.h);
 *  - verdict_judge(): each event's phase on its tunnel's timeline, its
 *    verdict and category (the rules of README "How a verdict is
 *    reached"), the evidence that goes with it (a DHCP route covering its
 *    resolver, Firefox's DoH canary, a .onion name), counted for its host.
 * Without a description every path is unknown and nothing is a leak.
 */
#ifndef LS_VERDICT_H
#define LS_VERDICT_H

#include "analyze.h"

void verdict_paths(struct analysis *a);
void verdict_judge(struct analysis *a);

#endif
