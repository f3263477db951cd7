/* tcp-reassembly.c - TCP stream reassembly: sequence space, holes, overlaps, caps (RFC 9293 3.4, 3.10; RFC 5961 3; RFC 7323 2.3). */
#include "tcp-reassembly.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A held piece: bytes that arrived ahead of a hole, copied out of their
 * packet.  Pieces of one direction form a list sorted by sequence number,
 * pairwise disjoint, all starting after tcp_dir.next. */
struct tcp_seg {
	struct tcp_seg *next;
	uint32_t seq;
	uint32_t len;       /* bytes still to deliver (a FIN may shorten it) */
	uint32_t alloc_len; /* bytes allocated, for the memory account */
	bool trunc;         /* its packet was cut by snaplen here: a hole follows */
	uint32_t file_idx;  /* the packet that carried it */
	uint64_t frame;
	uint64_t offset;
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint8_t data[];
};

/* One packet's processing: the callbacks and the packet that triggers them. */
struct run {
	struct tcp_ctx *ctx;
	struct tcp_conn *c;
	const struct tcp_sink *sink;
	const struct pkt *p; /* NULL during tcp_conn_flush */
	uint64_t trigger;    /* frame of p, 0 during tcp_conn_flush */
};

static bool seq_lt(uint32_t a, uint32_t b)
{
	return tcp_seq_diff(a, b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return tcp_seq_diff(a, b) <= 0;
}

static uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

static uint32_t seg_end(const struct tcp_seg *s)
{
	return s->seq + s->len;
}

void tcp_ctx_init(struct tcp_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->memcap = TCP_DEFAULT_MEMCAP;
	ctx->dir_cap = TCP_DEFAULT_DIR_CAP;
	ctx->max_segs = TCP_DEFAULT_MAX_SEGS;
}

void tcp_conn_init(struct tcp_conn *c)
{
	memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------------- */
/* Held pieces */

static void seg_free(struct tcp_ctx *ctx, struct tcp_dir *d, struct tcp_seg *s)
{
	ctx->mem_used -= sizeof(*s) + s->alloc_len;
	d->held_bytes -= s->len;
	d->nsegs--;
	free(s);
}

static struct tcp_seg *seg_pop(struct tcp_dir *d)
{
	struct tcp_seg *s = d->head;

	d->head = s->next;
	if (!d->head)
		d->tail = NULL;
	return s;
}

static struct tcp_seg *seg_new(struct run *r, struct tcp_dir *d, uint32_t seq, const uint8_t *data,
			       uint32_t len, bool trunc)
{
	struct tcp_seg *s = xmalloc(sizeof(*s) + len);
	const struct cap_packet *cp = r->p->cp;

	s->next = NULL;
	s->seq = seq;
	s->len = len;
	s->alloc_len = len;
	s->trunc = trunc;
	s->file_idx = r->p->file_idx;
	s->frame = cp ? cp->frame : 0;
	s->offset = cp ? cp->offset : 0;
	s->ts_sec = cp ? cp->ts_sec : 0;
	s->ts_nsec = cp ? cp->ts_nsec : 0;
	memcpy(s->data, data, len);
	r->ctx->mem_used += sizeof(*s) + len;
	if (r->ctx->mem_used > r->ctx->st.mem_peak)
		r->ctx->st.mem_peak = r->ctx->mem_used;
	d->held_bytes += len;
	d->nsegs++;
	return s;
}

static void free_held(struct tcp_ctx *ctx, struct tcp_dir *d)
{
	while (d->head)
		seg_free(ctx, d, seg_pop(d));
}

/* ---------------------------------------------------------------------- */
/* Delivery */

/* Keeps a copy of the last packet of a direction, so that held bytes can
 * be handed over with a packet of their own direction (addresses, ports,
 * MACs, VLAN, encapsulation) even when the trigger travels the other way or
 * there is no trigger (flush).  Pointers into decoder or capture memory are
 * cleared: they would dangle by the time the copy is used.  encap[] is kept:
 * packet.h says it holds static strings. */
static void save_tmpl(struct tcp_dir *d, const struct pkt *p)
{
	d->tmpl = *p;
	if (p->cp)
		d->tmpl_cp = *p->cp;
	else
		memset(&d->tmpl_cp, 0, sizeof(d->tmpl_cp));
	d->tmpl_cp.data = NULL;
	d->tmpl_cp.caplen = 0;
	d->tmpl_cp.iface_name = NULL;
	d->tmpl.cp = &d->tmpl_cp;
	d->tmpl.payload = NULL;
	d->tmpl.payload_len = 0;
	d->tmpl.ip = NULL;
	d->tmpl.ip_len = 0;
	d->tmpl.nflog_prefix = NULL;
	d->have_tmpl = true;
}

static void emit(struct run *r, int dir, const uint8_t *data, uint32_t len, const struct tcp_src *src)
{
	struct tcp_dir *d = &r->c->d[dir];

	d->next += len;
	d->delivered += len;
	r->ctx->st.bytes_delivered += len;
	if (r->sink->data && len > 0)
		r->sink->data(r->sink->user, dir, data, len, src);
}

/* Delivers a held piece from byte skip on, with the copy of its
 * direction's last packet stamped with the piece's own origin. */
static void emit_held(struct run *r, int dir, const struct tcp_seg *s, uint32_t skip)
{
	struct tcp_dir *d = &r->c->d[dir];
	struct tcp_src src;

	/* Set again here: the caller may have moved the struct tcp_conn. */
	d->tmpl.cp = &d->tmpl_cp;
	d->tmpl.file_idx = s->file_idx;
	d->tmpl.seq = s->seq;
	d->tmpl.tcp_flags = 0;
	d->tmpl.truncated = s->trunc;
	d->tmpl_cp.frame = s->frame;
	d->tmpl_cp.offset = s->offset;
	d->tmpl_cp.ts_sec = s->ts_sec;
	d->tmpl_cp.ts_nsec = s->ts_nsec;
	src.pkt = &d->tmpl;
	src.trigger_frame = r->trigger;
	src.held = true;
	emit(r, dir, s->data + skip, s->len - skip, &src);
}

static void check_closed(struct tcp_dir *d)
{
	if (d->fin_seen && d->next == d->fin_seq)
		d->closed = true;
}

/* Delivers held pieces that have become contiguous with next. */
static void drain(struct run *r, int dir)
{
	struct tcp_dir *d = &r->c->d[dir];

	while (d->head && seq_le(d->head->seq, d->next)) {
		struct tcp_seg *s = seg_pop(d);
		int32_t behind = tcp_seq_diff(d->next, s->seq);

		/* The list invariant keeps pieces after next; a piece that
		 * next has reached or passed anyway is delivered from next. */
		if ((uint32_t)behind < s->len) {
			emit_held(r, dir, s, (uint32_t)behind);
			d->snap_hole = s->trunc;
		}
		seg_free(r->ctx, d, s);
	}
	check_closed(d);
}

/* Declares [next, target) lost, tells the sink, and delivers what follows. */
static void skip_to(struct run *r, int dir, uint32_t target)
{
	struct tcp_dir *d = &r->c->d[dir];
	uint32_t lost = target - d->next;

	if (lost == 0 || !seq_lt(d->next, target))
		return;
	r->ctx->st.gaps++;
	r->ctx->st.gap_bytes += lost;
	d->gap_bytes += lost;
	d->anomalies |= TCP_ANOM_GAP;
	d->next = target;
	d->snap_hole = false;
	if (r->sink->gap)
		r->sink->gap(r->sink->user, dir, lost);
	drain(r, dir);
}

/* Skips every hole of a direction and delivers all it holds. */
static void flush_dir(struct run *r, int dir)
{
	struct tcp_dir *d = &r->c->d[dir];

	while (d->head) {
		if (seq_lt(d->next, d->head->seq))
			skip_to(r, dir, d->head->seq);
		else
			drain(r, dir);
	}
	check_closed(d);
}

/* ---------------------------------------------------------------------- */
/* Holding out-of-order data */

static uint64_t count_diff(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		k += a[i] != b[i];
	return k;
}

struct plan {
	uint32_t bytes;    /* new bytes to hold */
	uint32_t pieces;   /* new pieces */
	uint64_t conflict; /* overlapping bytes that differ from held ones */
	bool overlap;      /* some bytes were already held */
};

/*
 * Walks [seq, seq+len) against the held list.  Parts already held are
 * compared (first come wins: the held copy stays); parts not held become
 * new pieces when commit is set, else are only counted, so that the caps
 * can be checked before anything changes.
 */
static void hold_walk(struct run *r, struct tcp_dir *d, uint32_t seq, const uint8_t *data,
		      uint32_t len, bool trunc, bool commit, struct plan *pl)
{
	struct tcp_seg **link = &d->head;
	uint32_t pos = seq, end = seq + len;

	memset(pl, 0, sizeof(*pl));
	/* Data after a hole usually arrives in order: append without a walk. */
	if (d->tail && seq_le(seg_end(d->tail), seq))
		link = &d->tail->next;
	while (seq_lt(pos, end)) {
		struct tcp_seg *h = *link;

		if (h && seq_le(seg_end(h), pos)) {
			link = &h->next;
			continue;
		}
		if (h && seq_le(h->seq, pos)) {
			uint32_t ov_end = seq_min(end, seg_end(h));

			pl->overlap = true;
			pl->conflict += count_diff(h->data + (pos - h->seq), data + (pos - seq), ov_end - pos);
			pos = ov_end;
			link = &h->next;
			continue;
		}
		uint32_t pend = h ? seq_min(end, h->seq) : end;

		pl->bytes += pend - pos;
		pl->pieces++;
		if (commit) {
			struct tcp_seg *s = seg_new(r, d, pos, data + (pos - seq), pend - pos, trunc && pend == end);

			s->next = h;
			*link = s;
			if (!h)
				d->tail = s;
			link = &s->next;
		}
		pos = pend;
	}
}

/* Holds a segment that lies ahead of a hole.  Returns 0, or -1 when a cap
 * refuses it (nothing changed; the caller skips a hole instead). */
static int hold(struct run *r, int dir, uint32_t seq, const uint8_t *data, uint32_t len, bool trunc)
{
	struct tcp_ctx *ctx = r->ctx;
	struct tcp_dir *d = &r->c->d[dir];
	struct plan pl;

	hold_walk(r, d, seq, data, len, trunc, false, &pl);
	if (pl.pieces > 0) {
		size_t need = pl.bytes + (size_t)pl.pieces * sizeof(struct tcp_seg);

		if (d->held_bytes + pl.bytes > ctx->dir_cap || d->nsegs + pl.pieces > ctx->max_segs)
			return -1;
		if (ctx->mem_used + need > ctx->memcap) {
			ctx->st.memcap_hits++;
			return -1;
		}
		hold_walk(r, d, seq, data, len, trunc, true, &pl);
		ctx->st.out_of_order++;
		if (pl.overlap)
			ctx->st.overlaps++;
	} else {
		ctx->st.retransmissions++; /* every byte already held */
	}
	if (pl.conflict) {
		ctx->st.overlap_conflicts++;
		ctx->st.overlap_conflict_bytes += pl.conflict;
		d->anomalies |= TCP_ANOM_OVERLAP_CONFLICT;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* In-order and general data path */

/* data starts exactly at next.  Held pieces inside its range came first
 * and win; the packet's own bytes fill around them without a copy. */
static void deliver_inorder(struct run *r, int dir, const uint8_t *data, uint32_t len, bool trunc)
{
	struct tcp_dir *d = &r->c->d[dir];
	uint32_t end = d->next + len;
	struct tcp_src src = { r->p, r->trigger, false };

	d->snap_hole = false;
	while (len > 0) {
		struct tcp_seg *h = d->head;

		/* A held piece at next (the list keeps them after next; a
		 * piece reaching back before it is taken from next on). */
		if (h && seq_le(h->seq, d->next)) {
			uint32_t behind = d->next - h->seq;

			seg_pop(d);
			if (behind < h->len) {
				uint32_t hl = h->len - behind, ov = hl < len ? hl : len;
				uint64_t k = count_diff(h->data + behind, data, ov);

				r->ctx->st.overlaps++;
				if (k) {
					r->ctx->st.overlap_conflicts++;
					r->ctx->st.overlap_conflict_bytes += k;
					d->anomalies |= TCP_ANOM_OVERLAP_CONFLICT;
				}
				emit_held(r, dir, h, behind);
				d->snap_hole = h->trunc;
				data += ov;
				len -= ov;
			}
			seg_free(r->ctx, d, h);
			continue;
		}
		uint32_t n = len;

		if (h && tcp_seq_diff(h->seq, d->next) < (int64_t)n)
			n = h->seq - d->next;
		emit(r, dir, data, n, &src);
		data += n;
		len -= n;
	}
	if (trunc && d->next == end)
		d->snap_hole = true;
	drain(r, dir);
}

static void late_data(struct run *r, struct tcp_dir *d, uint32_t n)
{
	r->ctx->st.late_segments++;
	r->ctx->st.late_bytes += n;
	d->anomalies |= TCP_ANOM_DATA_AFTER_CLOSE;
}

static void feed_data(struct run *r, int dir, uint32_t seq, const uint8_t *data, uint32_t len, bool trunc)
{
	struct tcp_ctx *ctx = r->ctx;
	struct tcp_dir *d = &r->c->d[dir];

	if (d->rst_seen) {
		late_data(r, d, len);
		return;
	}
	if (d->fin_seen) {
		/* RFC 9293 3.10.7.4: nothing follows a FIN. */
		int32_t over = tcp_seq_diff(seq + len, d->fin_seq);

		if (over > 0) {
			uint32_t excess = (uint32_t)over < len ? (uint32_t)over : len;

			late_data(r, d, excess);
			len -= excess;
		}
	}
	/* Each pass either returns or moves next forward (skip_to always
	 * advances), so the loop ends after at most nsegs + 3 passes. */
	while (len > 0) {
		int32_t off = tcp_seq_diff(seq, d->next);

		if (off < 0) {
			uint32_t old = (uint32_t)(-(int64_t)off);

			if (old >= len) {
				if (old == 1 && len == 1)
					ctx->st.keepalives++;
				else
					ctx->st.retransmissions++;
				return;
			}
			/* Repacketised retransmission: the old part was
			 * delivered (not kept, so not compared), the rest is new. */
			ctx->st.overlaps++;
			seq += old;
			data += old;
			len -= old;
			continue;
		}
		if (off == 0) {
			deliver_inorder(r, dir, data, len, trunc);
			return;
		}
		if ((uint32_t)off >= TCP_MAX_WINDOW) {
			ctx->st.out_of_window++;
			d->anomalies |= TCP_ANOM_OUT_OF_WINDOW;
			return;
		}
		/* Ahead of a hole: the first hole ends at the earlier of this
		 * segment and the first held piece. */
		uint32_t target = seq;

		if (d->head && seq_lt(d->head->seq, target))
			target = d->head->seq;
		if (d->snap_hole) {
			/* snaplen cut the previous segment: its tail was
			 * never captured and never will be. */
			skip_to(r, dir, target);
			continue;
		}
		if (d->have_peer_ack && tcp_seq_diff(d->peer_ack, d->next) > 0) {
			/* The receiver has these bytes: the capture missed
			 * them, no retransmission will come. */
			skip_to(r, dir, seq_min(target, d->peer_ack));
			continue;
		}
		if (hold(r, dir, seq, data, len, trunc) == 0)
			return;
		/* A cap refused to hold more: give up the first hole (a
		 * lost segment, most likely) rather than the new data. */
		ctx->st.cap_hits++;
		d->anomalies |= TCP_ANOM_CAP;
		skip_to(r, dir, target);
	}
}

/* ---------------------------------------------------------------------- */
/* Flags */

static void start_dir(struct tcp_ctx *ctx, struct tcp_dir *d, uint32_t seq, bool syn)
{
	free_held(ctx, d);
	d->started = true;
	d->syn_seen = syn;
	d->fin_seen = false;
	d->closed = false;
	d->rst_seen = false;
	d->have_peer_ack = false;
	d->snap_hole = false;
	d->isn = syn ? seq : 0;
	d->next = syn ? seq + 1 : seq; /* RFC 9293 3.4: the SYN occupies one sequence number */
}

/* The other side acknowledged data of direction pdir up to ack. */
static void peer_acked(struct run *r, int pdir, uint32_t ack)
{
	struct tcp_dir *d = &r->c->d[pdir];

	if (!d->started || d->closed)
		return;
	/* An ACK beyond any window is not about this stream (or is forged):
	 * trusting it would throw away held data. */
	if (tcp_seq_diff(ack, d->next) >= (int32_t)TCP_MAX_WINDOW)
		return;
	if (d->have_peer_ack && tcp_seq_diff(ack, d->peer_ack) <= 0)
		return;
	d->peer_ack = ack;
	d->have_peer_ack = true;
	while (d->head && tcp_seq_diff(d->peer_ack, d->next) > 0)
		skip_to(r, pdir, seq_min(d->peer_ack, d->head->seq));
}

static void note_fin(struct run *r, struct tcp_dir *d, uint32_t fin_at)
{
	if (d->fin_seen) {
		if (fin_at != d->fin_seq)
			d->anomalies |= TCP_ANOM_FIN_CHANGED;
		return;
	}
	if (d->closed)
		return;
	if (seq_lt(fin_at, d->next)) {
		/* Before bytes already delivered: not a FIN of this stream. */
		d->anomalies |= TCP_ANOM_FIN_CHANGED;
		return;
	}
	d->fin_seen = true;
	d->fin_seq = fin_at;
	/* Held bytes past the FIN cannot be part of the stream. */
	struct tcp_seg **link = &d->head, *prev = NULL;

	while (*link) {
		struct tcp_seg *s = *link;

		if (seq_le(fin_at, s->seq)) {
			*link = s->next;
			late_data(r, d, s->len);
			seg_free(r->ctx, d, s);
			continue;
		}
		if (seq_lt(fin_at, seg_end(s))) {
			uint32_t cut = seg_end(s) - fin_at;

			late_data(r, d, cut);
			s->len -= cut;
			d->held_bytes -= cut;
		}
		prev = s;
		link = &s->next;
	}
	d->tail = prev;
	check_closed(d);
}

static void on_rst(struct run *r, int dir)
{
	struct tcp_dir *d = &r->c->d[dir];

	if (d->started && !d->closed) {
		int32_t off = tcp_seq_diff(r->p->seq, d->next);

		/* RFC 5961 3.2 asks for an exact match; the capture may have
		 * missed bytes before the RST, so accept the window after next. */
		if (off < 0 || (uint32_t)off >= TCP_MAX_WINDOW) {
			r->ctx->st.rst_ignored++;
			d->anomalies |= TCP_ANOM_RST_IGNORED;
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		flush_dir(r, i);
		r->c->d[i].closed = true;
		r->c->d[i].rst_seen = true;
	}
}

int tcp_feed(struct tcp_ctx *ctx, struct tcp_conn *c, int dir, const struct pkt *p,
	     const struct tcp_sink *sink)
{
	static const struct tcp_sink none;

	if (dir != 0 && dir != 1)
		return -1;
	if (!sink)
		sink = &none;

	struct tcp_dir *d = &c->d[dir];
	struct run r = { ctx, c, sink, p, p->cp ? p->cp->frame : 0 };
	uint8_t fl = p->tcp_flags;
	uint32_t len = p->payload ? p->payload_len : 0;
	uint32_t seq = p->seq;

	ctx->st.segments++;
	save_tmpl(d, p);
	if (len >= TCP_MAX_WINDOW) {
		/* More than any window: sequence arithmetic on it would wrap. */
		ctx->st.out_of_window++;
		d->anomalies |= TCP_ANOM_OUT_OF_WINDOW;
		len = 0;
	}
	if (fl & TCP_FLAG_RST) {
		on_rst(&r, dir);
		return 0;
	}
	if (fl & TCP_FLAG_SYN) {
		bool same = d->syn_seen && seq == d->isn;

		if (!d->started || (d->closed && !same)) {
			start_dir(ctx, d, seq, true); /* new connection, or port reuse */
		} else if (!same) {
			/* A SYN with another ISN inside an open stream: not
			 * this connection's; its data cannot be placed. */
			d->anomalies |= TCP_ANOM_SYN_CHANGED;
			return 0;
		}
		seq++; /* data of a SYN segment (TCP Fast Open) follows the ISN */
	} else if (!d->started) {
		/* Capture started mid-connection: begin where we are. */
		start_dir(ctx, d, seq, false);
	}
	if (fl & TCP_FLAG_ACK)
		peer_acked(&r, dir ^ 1, p->ack);
	if (fl & TCP_FLAG_FIN)
		note_fin(&r, d, seq + len);
	if (len > 0)
		feed_data(&r, dir, seq, p->payload, len, p->truncated);
	check_closed(d);
	return 0;
}

void tcp_conn_flush(struct tcp_ctx *ctx, struct tcp_conn *c, const struct tcp_sink *sink)
{
	static const struct tcp_sink none;
	struct run r = { ctx, c, sink ? sink : &none, NULL, 0 };

	for (int i = 0; i < 2; i++)
		flush_dir(&r, i);
}

void tcp_conn_free(struct tcp_ctx *ctx, struct tcp_conn *c)
{
	for (int i = 0; i < 2; i++)
		free_held(ctx, &c->d[i]);
}
