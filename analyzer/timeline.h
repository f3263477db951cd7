/* timeline.h - when each described tunnel was up: activity segments, keepalive rhythm, gaps, phases.
 *
 * Only with a tunnel description.  Per packet: a declared carrier's packet
 * (timeline_carrier) and any packet to or from a tunnel's inside address
 * (timeline_inside) are tunnel activity, kept at a fine grain
 * (AN_FINE_GAP_US, at most AN_MAX_SEGMENTS segments per tunnel: past that
 * activity widens the nearest segment and segs_capped says so).  After
 * the last packet, timeline_finish() picks each tunnel's gap threshold
 * (--gap, else 2.5 keepalive or ping intervals, else AN_DEFAULT_GAP) and
 * joins the segments with it; timeline_phase() then tells where an
 * event's time falls: before, up, in a gap, down.  The order packets come
 * in never changes the timeline (segments and rhythms are sorted first).
 */
#ifndef LS_TIMELINE_H
#define LS_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"

void timeline_init(struct analysis *a);
void timeline_free(struct analysis *a);
/* A packet of tunnel ti's carrier (outbound: sent to the endpoint) on interface iref. */
void timeline_carrier(struct analysis *a, int ti, const struct pkt *p, bool outbound, uint32_t iref);
/* A packet that is not a carrier: to or from a tunnel's inside address, it is activity of that tunnel. */
void timeline_inside(struct analysis *a, const struct pkt *p, uint32_t iref);
/* After the last packet: gap thresholds, joined segments. */
void timeline_finish(struct analysis *a);
/* Where e's time falls on tunnel ti's timeline (PHASE_NONE when ti < 0). */
enum ev_phase timeline_phase(const struct analysis *a, int ti, const struct ev *e);

#endif
