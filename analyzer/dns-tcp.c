/* dns-tcp.c - DNS over TCP framing: length prefix, messages across segments, resynchronisation after gaps (RFC 1035 4.2.2, RFC 7766 8). */
#include "dns-tcp.h"

#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "util.h"

#define DNS_HDR_LEN 12
#define NAME_WIRE_MAX 255 /* RFC 1035 3.1 */

void dnstcp_init(struct dnstcp_dir *d)
{
	memset(d, 0, sizeof(*d));
}

static void buf_release(struct dnstcp_dir *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = 0;
	d->have = 0;
	d->nmarks = 0;
}

void dnstcp_free(struct dnstcp_dir *d)
{
	buf_release(d);
}

/* Room for need bytes (need <= DNSTCP_BUF_MAX, which every caller ensures:
 * one message with its prefix, or the resync window). */
static void buf_reserve(struct dnstcp_dir *d, size_t need)
{
	size_t nc = d->cap ? d->cap : 512;

	if (need <= d->cap)
		return;
	while (nc < need)
		nc *= 2;
	if (nc > DNSTCP_BUF_MAX)
		nc = DNSTCP_BUF_MAX;
	d->buf = xrealloc(d->buf, nc);
	d->cap = (uint32_t)nc;
}

static uint64_t src_frame(const struct tcp_src *src)
{
	return src->pkt && src->pkt->cp ? src->pkt->cp->frame : 0;
}

static uint16_t be16_at(const uint8_t *p, size_t avail)
{
	struct cur c;

	cur_init(&c, p, avail);
	return cur_u16(&c);
}

/* ---------------------------------------------------------------------- */
/* Which frame carried which window byte (for first_frame). */

static void mark_add(struct dnstcp_dir *d, uint64_t frame)
{
	if (d->nmarks > 0) {
		struct dnstcp_mark *last = &d->marks[d->nmarks - 1];

		if (last->frame == frame)
			return;
		if (last->off == d->have) {
			last->frame = frame; /* the previous chunk added nothing */
			return;
		}
	}
	if (d->nmarks == DNSTCP_MARKS) {
		/* Forget the second chunk: its bytes are then attributed to
		 * the first, which keeps the window start exact. */
		memmove(&d->marks[1], &d->marks[2], (DNSTCP_MARKS - 2) * sizeof(d->marks[0]));
		d->nmarks--;
	}
	d->marks[d->nmarks].off = d->have;
	d->marks[d->nmarks].frame = frame;
	d->nmarks++;
}

static uint64_t mark_frame(const struct dnstcp_dir *d, uint32_t off)
{
	uint64_t f = 0;

	for (unsigned i = 0; i < d->nmarks && d->marks[i].off <= off; i++)
		f = d->marks[i].frame;
	return f;
}

/* Removes the first n window bytes; frees the buffer when it empties. */
static void window_drop(struct dnstcp_dir *d, uint32_t n)
{
	unsigned base = 0, k = 0;

	if (n >= d->have) {
		buf_release(d);
		return;
	}
	memmove(d->buf, d->buf + n, d->have - n);
	d->have -= n;
	/* The last chunk starting at or before n now starts at 0. */
	while (base + 1 < d->nmarks && d->marks[base + 1].off <= n)
		base++;
	for (unsigned i = base; i < d->nmarks; i++, k++) {
		d->marks[k].frame = d->marks[i].frame;
		d->marks[k].off = i == base ? 0 : d->marks[i].off - n;
	}
	d->nmarks = (uint8_t)k;
}

/* ---------------------------------------------------------------------- */
/* Messages */

struct feed {
	const struct tcp_src *src;
	dnstcp_msg_fn cb;
	void *user;
	size_t count;
};

static void emit(struct dnstcp_dir *d, struct feed *f, const uint8_t *msg, uint32_t len, uint64_t first)
{
	struct dnstcp_info mi;

	mi.pkt = f->src->pkt;
	mi.first_frame = first;
	mi.last_frame = src_frame(f->src);
	mi.trigger_frame = f->src->trigger_frame;
	mi.lost = d->pend_lost;
	mi.skipped = d->pend_skipped;
	mi.anom = d->pend_anom;
	d->pend_lost = 0;
	d->pend_skipped = 0;
	d->pend_anom = 0;
	d->st.messages++;
	f->count++;
	if (f->cb)
		f->cb(f->user, msg, len, &mi);
}

/* RFC 1035 4.2.2 gives a 0-length message no meaning; some scanners send
 * it.  Skipped and reported with the next message. */
static void zero_len(struct dnstcp_dir *d)
{
	d->st.zero_len++;
	d->pend_skipped += 2;
	d->pend_anom |= DNSTCP_ANOM_ZERO_LEN;
}

/* Frames a trusted window in place: emits every complete message from its
 * start and leaves the trailing partial one at offset 0. */
static void frame_window(struct dnstcp_dir *d, struct feed *f)
{
	uint32_t off = 0;

	while (d->have - off >= 2) {
		uint32_t len = be16_at(d->buf + off, d->have - off);

		if (len == 0) {
			zero_len(d);
			off += 2;
			continue;
		}
		if (d->have - off - 2 < len)
			break;
		emit(d, f, d->buf + off + 2, len, mark_frame(d, off));
		off += 2 + len;
	}
	if (off > 0)
		window_drop(d, off);
}

/* The stream position is known: follow the length prefixes. */
static void feed_synced(struct dnstcp_dir *d, struct feed *f, const uint8_t *p, size_t n)
{
	uint64_t fr = src_frame(f->src);

	while (n > 0) {
		if (d->have == 0) {
			/* Whole messages straight from the delivered bytes. */
			if (n >= 2) {
				uint32_t len = be16_at(p, n);

				if (len == 0) {
					zero_len(d);
					p += 2;
					n -= 2;
					continue;
				}
				if (n - 2 >= len) {
					emit(d, f, p + 2, len, fr);
					p += 2 + len;
					n -= 2 + len;
					continue;
				}
			}
			d->nmarks = 0;
		}
		/* Accumulate: first the prefix (it may come 1 + 1 bytes),
		 * then exactly the message it announces. */
		uint32_t need = d->have < 2 ? 2 : 2 + (uint32_t)be16_at(d->buf, d->have);
		size_t take = need - d->have < n ? need - d->have : n;

		mark_add(d, fr);
		buf_reserve(d, need);
		memcpy(d->buf + d->have, p, take);
		d->have += (uint32_t)take;
		p += take;
		n -= take;
		if (d->have < 2)
			continue;
		uint32_t len = be16_at(d->buf, d->have);

		if (len == 0) {
			zero_len(d);
			d->have = 0;
		} else if (d->have == 2 + len) {
			emit(d, f, d->buf + 2, len, mark_frame(d, 0));
			d->have = 0;
		}
	}
	if (d->have == 0)
		buf_release(d);
}

/* ---------------------------------------------------------------------- */
/* Resynchronisation */

enum plaus { P_NO, P_NEED, P_YES };

/*
 * Could a message start at p (length prefix first)?  n bytes are there.
 * P_NEED: not decided until more bytes come; P_YES: plausible and complete
 * (*len set).  The first name must be plain labels: a compression pointer
 * there could only point into the 12-byte header.
 */
static enum plaus plausible(const uint8_t *p, size_t n, uint32_t *len)
{
	struct cur c;
	uint32_t l;
	size_t lim, wire = 0;
	bool cut;

	if (n < 2)
		return P_NEED;
	l = be16_at(p, n);
	if (l < DNS_HDR_LEN)
		return P_NO;
	lim = 2 + (size_t)l;
	cut = n < lim;
	cur_init(&c, p, cut ? n : lim);
	cur_skip(&c, 2 + 2); /* prefix, id */
	uint16_t flags = cur_u16(&c);
	uint16_t qd = cur_u16(&c), an = cur_u16(&c), ns = cur_u16(&c), ar = cur_u16(&c);

	if (c.err)
		return P_NEED; /* l >= 12, so only n can have cut the header */
	if (((flags >> 11) & 0xF) != 0)
		return P_NO;  /* opcode QUERY only */
	if (!(qd == 1 || (qd == 0 && (flags & 0x8000) && an >= 1)))
		return P_NO;
	/* Every record takes at least 11 bytes (root owner, type, class,
	 * TTL, rdlength) and a question 5: the counts must fit in l.  Bytes
	 * inside records (a TTL, an address) often pass the checks above but
	 * claim thousands of records. */
	if ((size_t)DNS_HDR_LEN + 5 * (size_t)qd + 11 * ((size_t)an + ns + ar) > l)
		return P_NO;
	for (;;) {
		uint8_t ll = cur_u8(&c);

		if (c.err)
			return cut ? P_NEED : P_NO;
		if (ll == 0)
			break;
		if (ll > 63)
			return P_NO; /* pointer or reserved label type */
		wire += 1 + (size_t)ll;
		if (wire + 1 > NAME_WIRE_MAX)
			return P_NO;
		cur_skip(&c, ll);
		if (c.err)
			return cut ? P_NEED : P_NO;
	}
	uint16_t type = cur_u16(&c);
	uint16_t cls = cur_u16(&c) & 0x7fff; /* without the mDNS top bit */

	if (c.err)
		return cut ? P_NEED : P_NO;
	if (type == 0 || !(cls == 1 || cls == 3 || cls == 4 || cls == 254 || cls == 255))
		return P_NO;
	if (cut)
		return P_NEED;
	*len = l;
	return P_YES;
}

/*
 * A guessed boundary is trusted only if the whole message parses and
 * accounts for every byte: every declared record parsed (dns_parse stops
 * quietly at the first record that does not), none cut short, nothing
 * after the last.  dns_parse keeps at most DNS_MAX_RRS records and does not
 * say how many more it read, so a message declaring more cannot be
 * confirmed this way and is passed over; the next one is found instead.
 */
static bool confirm(const uint8_t *msg, uint32_t len)
{
	struct dns_msg *m = xmalloc(sizeof(*m)); /* ~66 KB: not on the stack; rare path */
	bool ok = false;

	if (dns_parse(msg, len, m) == 0) {
		uint32_t total = (uint32_t)m->ancount + m->nscount + m->arcount;

		ok = m->opcode == 0 && total <= DNS_MAX_RRS && m->nrr == total &&
		     !(m->anomalies & (DNS_ANOM_COUNT_MISMATCH | DNS_ANOM_TRUNCATED_RR |
				       DNS_ANOM_TRAILING_BYTES | DNS_ANOM_TOO_MANY_QUESTIONS));
	}
	free(m);
	return ok;
}

static void scan(struct dnstcp_dir *d, struct feed *f)
{
	uint32_t i = 0;
	bool found = false;

	/* Each offset is tried once; the earliest undecided candidate stops
	 * the scan until more bytes come. */
	while (i < d->have) {
		uint32_t len = 0;
		enum plaus v = plausible(d->buf + i, d->have - i, &len);

		if (v == P_NEED)
			break;
		if (v == P_YES) {
			if (confirm(d->buf + i + 2, len)) {
				found = true;
				break;
			}
			d->st.candidates_refused++;
		}
		i++;
	}
	if (i > 0) {
		d->st.skipped_bytes += i;
		d->pend_skipped += i;
		window_drop(d, i);
	}
	if (!found)
		return;
	d->resync = false;
	d->st.resyncs++;
	d->pend_anom |= DNSTCP_ANOM_RESYNC;
	frame_window(d, f);
}

static void feed_resync(struct dnstcp_dir *d, struct feed *f, const uint8_t *p, size_t n)
{
	uint64_t fr = src_frame(f->src);

	/* The window never fills: after a scan it starts at an undecided
	 * candidate, which needs at most DNSTCP_BUF_MAX bytes, and holds
	 * fewer than that. */
	while (n > 0 && d->resync) {
		size_t room = DNSTCP_BUF_MAX - d->have;
		size_t take = n < room ? n : room;

		if (take == 0) {
			/* Cannot happen (see above); never loop without progress. */
			d->st.skipped_bytes++;
			d->pend_skipped++;
			window_drop(d, 1);
			continue;
		}

		if (d->have == 0)
			d->nmarks = 0;
		mark_add(d, fr);
		buf_reserve(d, d->have + take);
		memcpy(d->buf + d->have, p, take);
		d->have += (uint32_t)take;
		p += take;
		n -= take;
		scan(d, f);
	}
	if (n > 0)
		feed_synced(d, f, p, n);
	if (d->have == 0)
		buf_release(d);
}

/* ---------------------------------------------------------------------- */

size_t dnstcp_feed(struct dnstcp_dir *d, const uint8_t *data, size_t len, const struct tcp_src *src,
		   dnstcp_msg_fn cb, void *user)
{
	struct feed f = { src, cb, user, 0 };

	if (!data || len == 0)
		return 0;
	if (d->resync)
		feed_resync(d, &f, data, len);
	else
		feed_synced(d, &f, data, len);
	return f.count;
}

void dnstcp_gap(struct dnstcp_dir *d, uint64_t lost)
{
	d->st.gaps++;
	d->st.lost_bytes += lost;
	d->pend_lost += lost;
	d->pend_anom |= DNSTCP_ANOM_GAP;
	if (d->have > 0) {
		if (d->resync)
			d->st.skipped_bytes += d->have;
		else
			d->st.discarded_bytes += d->have;
		d->pend_skipped += d->have;
	}
	buf_release(d);
	d->resync = true;
}

void dnstcp_flush(struct dnstcp_dir *d)
{
	if (d->have > 0) {
		if (d->resync) {
			d->st.skipped_bytes += d->have;
		} else {
			d->st.incomplete++;
			d->st.incomplete_bytes += d->have;
		}
	}
	buf_release(d);
}
