/* timeline.c - when each described tunnel was up, from its carrier and its inside traffic.
 *
 * Activity is kept in segments at a one-second grain while reading; the
 * carrier's outbound keepalives (WireGuard: empty transport messages) and
 * its outbound silences (OpenVPN's ping) give the rhythm from which the
 * gap threshold follows once every packet is read.  See timeline.h.
 */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "pipeline.h"

void timeline_init(struct analysis *a)
{
	if (a->rules && a->rules->n_tunnels) {
		a->tun = xcalloc(a->rules->n_tunnels, sizeof(*a->tun));
		for (size_t i = 0; i < a->rules->n_tunnels; i++)
			a->tun[i].carrier_host = -1;
	}
}

void timeline_free(struct analysis *a)
{
	if (a->tun)
		for (size_t i = 0; i < a->rules->n_tunnels; i++) {
			free(a->tun[i].segs);
			free(a->tun[i].ka_us);
			free(a->tun[i].idle_us);
		}
	free(a->tun);
}

static int64_t seg_start(const struct an_segment *s)
{
	return us_of(s->start_sec, s->start_nsec);
}

static int64_t seg_end(const struct an_segment *s)
{
	return us_of(s->end_sec, s->end_nsec);
}

static int seg_cmp(const void *x, const void *y)
{
	int64_t a = seg_start(x), b = seg_start(y);
	return a < b ? -1 : a > b;
}

/* Sorts a tunnel's activity segments by start and joins those less than
 * join_us apart (overlapping ones included). */
static void segs_join(struct an_tunnel *t, int64_t join_us)
{
	if (t->nsegs > 1)
		qsort(t->segs, t->nsegs, sizeof(*t->segs), seg_cmp);
	size_t w = 0;
	for (size_t r = 0; r < t->nsegs; r++) {
		if (w > 0 && seg_start(&t->segs[r]) - seg_end(&t->segs[w - 1]) <= join_us) {
			if (seg_end(&t->segs[r]) > seg_end(&t->segs[w - 1])) {
				t->segs[w - 1].end_sec = t->segs[r].end_sec;
				t->segs[w - 1].end_nsec = t->segs[r].end_nsec;
			}
			t->segs[w - 1].pkts += t->segs[r].pkts;
		} else {
			t->segs[w++] = t->segs[r];
		}
	}
	t->nsegs = w;
	t->segs_sorted = true;
}

/* Tunnel activity at a fine grain (AN_FINE_GAP_US): a packet within the
 * last segment or just after it extends it; any other starts a segment of
 * its own, even one earlier in time (captures joined in the wrong order,
 * packets reordered), and the segments are sorted and joined afterwards
 * (segs_join), so the order packets come in never changes the timeline. */
static void tunnel_activity(struct analysis *a, int ti, const struct cap_packet *cp)
{
	struct an_tunnel *t = &a->tun[ti];
	int64_t now = us_of(cp->ts_sec, cp->ts_nsec);
	struct an_segment *last = t->nsegs ? &t->segs[t->nsegs - 1] : NULL;
	if (last && now >= seg_start(last) && now <= seg_end(last) + AN_FINE_GAP_US) {
		if (now > seg_end(last)) {
			last->end_sec = cp->ts_sec;
			last->end_nsec = cp->ts_nsec;
		}
		last->pkts++;
		return;
	}
	if (t->nsegs >= AN_MAX_SEGMENTS && t->nsegs >= t->joined_nsegs + AN_MAX_SEGMENTS / 4) {
		/* out-of-order pieces may join: try, but not again before a
		 * quarter of the table is new (a join costs a sort) */
		segs_join(t, AN_FINE_GAP_US);
		t->joined_nsegs = t->nsegs;
	}
	if (t->nsegs >= AN_MAX_SEGMENTS) {
		/* A hostile capture could pulse the carrier once every two
		 * seconds for days: past the cap, activity joins the nearest
		 * earlier segment, widened to cover it (a gap could be missed;
		 * the report says so).  A full table gets nothing new, so it
		 * is sorted at most once here. */
		t->segs_capped = true;
		if (!t->segs_sorted) {
			qsort(t->segs, t->nsegs, sizeof(*t->segs), seg_cmp);
			t->segs_sorted = true;
		}
		size_t lo = 0, hi = t->nsegs; /* first segment starting after now */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (seg_start(&t->segs[mid]) <= now)
				lo = mid + 1;
			else
				hi = mid;
		}
		struct an_segment *s = &t->segs[lo ? lo - 1 : 0];
		if (now < seg_start(s)) {
			s->start_sec = cp->ts_sec;
			s->start_nsec = cp->ts_nsec;
		}
		if (now > seg_end(s)) {
			s->end_sec = cp->ts_sec;
			s->end_nsec = cp->ts_nsec;
		}
		s->pkts++;
		return;
	}
	t->segs = xgrow(t->segs, &t->capsegs, t->nsegs + 1, sizeof(*t->segs));
	t->segs_sorted = false;
	struct an_segment *s = &t->segs[t->nsegs++];
	s->start_sec = s->end_sec = cp->ts_sec;
	s->start_nsec = s->end_nsec = cp->ts_nsec;
	s->pkts = 1;
}

void timeline_carrier(struct analysis *a, int ti, const struct pkt *p, bool outbound, uint32_t iref)
{
	struct an_tunnel *t = &a->tun[ti];
	t->carrier_pkts++;
	t->carrier_bytes += p->cp->wirelen;
	a->carrier_pkts++;
	a->ifaces[iref].carrier_pkts++;
	enum wg_msg wg = p->proto == 17 ? carrier_wg_msg(p->payload, p->payload_len) : WG_NONE;
	if (wg == WG_INITIATION)
		t->handshakes++;
	if (outbound && wg == WG_KEEPALIVE && a->opt.shard == 0 && t->n_ka < AN_KEEPALIVE_MAX) {
		/* times, not intervals: the rhythm is measured once they are
		 * sorted, so captures given out of order do not distort it */
		t->ka_us = xgrow(t->ka_us, &t->cap_ka, t->n_ka + 1, sizeof(*t->ka_us));
		t->ka_us[t->n_ka++] = us_of(p->cp->ts_sec, p->cp->ts_nsec);
	}
	if (outbound && a->opt.shard == 0) {
		int64_t now = us_of(p->cp->ts_sec, p->cp->ts_nsec);
		if (t->last_out_us && now - t->last_out_us >= AN_IDLE_MIN_US && t->n_idle < AN_KEEPALIVE_MAX) {
			t->idle_us = xgrow(t->idle_us, &t->cap_idle, t->n_idle + 1, sizeof(*t->idle_us));
			t->idle_us[t->n_idle++] = now - t->last_out_us;
		}
		t->last_out_us = now;
	}
	if (outbound && !t->have_sender) {
		t->have_sender = true;
		t->addr = p->src;
		static const uint8_t zero[6];
		if (p->has_mac && memcmp(p->src_mac, zero, 6) != 0) {
			t->has_mac = true;
			memcpy(t->mac, p->src_mac, 6);
		}
	}
	tunnel_activity(a, ti, p->cp);
}

void timeline_inside(struct analysis *a, const struct pkt *p, uint32_t iref)
{
	const struct rules_tunnel *in = rules_inside_match(a->rules, &p->src);
	if (!in)
		in = rules_inside_match(a->rules, &p->dst);
	if (in) {
		int t = (int)(in - a->rules->tunnels);
		a->ifaces[iref].inside_pkts++;
		a->tun[t].inside_pkts++;
		tunnel_activity(a, t, p->cp);
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* The median interval between keepalives (0: no rhythm), from their
 * times sorted: captures given out of order or packets reordered do not
 * make intervals up.  Intervals under AN_KEEPALIVE_MIN_US are dropped:
 * WireGuard schedules keepalives at least a second apart, so such a pair is
 * one keepalive seen twice (tcpdump -i any on a bridge or VLAN) and would
 * otherwise pull the median to zero.  At least three intervals make a
 * rhythm. */
static int64_t keepalive_rhythm(int64_t *ts, size_t n)
{
	if (n < 4)
		return 0;
	qsort(ts, n, sizeof(*ts), cmp_i64);
	size_t k = 0;
	int64_t prev = ts[0];
	for (size_t i = 1; i < n; i++) {
		if (ts[i] - prev < AN_KEEPALIVE_MIN_US)
			continue; /* a copy (or a burst): measured from the first */
		ts[k++] = ts[i] - prev; /* intervals overwrite the consumed times */
		prev = ts[i];
	}
	if (k < 3)
		return 0;
	qsort(ts, k, sizeof(*ts), cmp_i64);
	return ts[k / 2];
}

/* A ping rhythm in the silences of an idle carrier: OpenVPN's keepalive
 * (ping 10 by default in pushed configs) sends a packet when nothing else
 * was sent for its interval, so an idle tunnel's outbound silences all
 * last about that long (OpenVPN checks once a second: 10 to 11 s).  The
 * rhythm is the median of the largest cluster of silences within 15% of
 * each other, if at least 4 silences and a third of them are in it;
 * otherwise 0 (none: pauses of a busy tunnel are no rhythm).  Without it,
 * such silences would sit right at the 10 s default and a tunnel that is
 * up would read as flapping. */
static int64_t idle_rhythm(int64_t *v, size_t n)
{
	if (n < 4)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	size_t best = 0, best_n = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		if (j < i)
			j = i;
		while (j < n && v[j] <= v[i] + v[i] * 15 / 100)
			j++;
		if (j - i > best_n) {
			best_n = j - i;
			best = i;
		}
	}
	if (best_n < 4 || best_n * 3 < n)
		return 0;
	return v[best + best_n / 2];
}

/* Picks each tunnel's gap threshold and merges the fine-grained activity
 * segments with it.  A tunnel with a keepalive rhythm (WireGuard
 * PersistentKeepalive, OpenVPN ping) is silent for at most one interval
 * while up, so 2.5 intervals of silence means it was down; without a
 * rhythm an idle tunnel is simply silent, and only a long silence (the
 * default 10 s, or --gap) counts. */
void timeline_finish(struct analysis *a)
{
	for (size_t ti = 0; a->rules && ti < a->rules->n_tunnels; ti++) {
		struct an_tunnel *t = &a->tun[ti];
		t->keepalive_us = keepalive_rhythm(t->ka_us, t->n_ka);
		if (!t->keepalive_us) {
			t->keepalive_us = idle_rhythm(t->idle_us, t->n_idle);
			t->keepalive_from_idle = t->keepalive_us != 0;
		}
		if (a->opt.gap_ms) {
			t->gap_us = (int64_t)a->opt.gap_ms * 1000;
			t->gap_why = "set with --gap";
		} else if (t->keepalive_us > 0) {
			t->gap_us = t->keepalive_us * 5 / 2;
			if (t->gap_us < AN_FINE_GAP_US)
				t->gap_us = AN_FINE_GAP_US;
			t->gap_why = t->keepalive_from_idle
					     ? "2.5 times the ping rhythm of the carrier's silences (no WireGuard keepalive seen)"
					     : "2.5 times the keepalive interval seen in the carrier";
		} else {
			t->gap_us = (int64_t)AN_DEFAULT_GAP * 1000000;
			t->gap_why = "default: no keepalive rhythm seen in the carrier";
		}
		segs_join(t, AN_FINE_GAP_US);
		segs_join(t, t->gap_us);
	}
}

enum ev_phase timeline_phase(const struct analysis *a, int ti, const struct ev *e)
{
	if (ti < 0)
		return PHASE_NONE;
	const struct an_tunnel *t = &a->tun[ti];
	if (t->nsegs == 0)
		return PHASE_DOWN;
	int64_t now = us_of(e->ts_sec, e->ts_nsec);
	if (now < us_of(t->segs[0].start_sec, t->segs[0].start_nsec))
		return PHASE_BEFORE;
	/* A carrier that stops for good (its last packet in the capture) is
	 * a tunnel that went down, whether or not the gap threshold passed
	 * before the capture ended: a question asked longer than the
	 * tunnel's own silence after that last packet is not inside a tunnel
	 * that is up.  The tunnel's silence: its keepalive or ping rhythm
	 * and a half, at least AN_END_SILENCE_US. */
	int64_t quiet = t->keepalive_us ? t->keepalive_us * 3 / 2 : 0;
	if (quiet < AN_END_SILENCE_US)
		quiet = AN_END_SILENCE_US;
	for (size_t i = 0; i < t->nsegs; i++) {
		int64_t s = us_of(t->segs[i].start_sec, t->segs[i].start_nsec);
		int64_t en = us_of(t->segs[i].end_sec, t->segs[i].end_nsec);
		if (now >= s && now <= en + t->gap_us) {
			if (i + 1 == t->nsegs && now > en + quiet && quiet < t->gap_us)
				return PHASE_DOWN;
			return PHASE_UP;
		}
		if (i + 1 < t->nsegs && now > en + t->gap_us &&
		    now < us_of(t->segs[i + 1].start_sec, t->segs[i + 1].start_nsec))
			return PHASE_GAP;
	}
	return PHASE_DOWN;
}
