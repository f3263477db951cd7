/* decode.c - link layers, IPv4/IPv6, UDP/TCP headers (IEEE 802.1Q, RFC 2516, 1661/1662, 791, 8200, 768, 9293). */
#include "decode.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "defrag.h"

#define MAX_VLAN_TAGS 8    /* more stacked tags than this is not a real network */
#define MAX_IP6_EXT 8      /* RFC 8200 defines fewer header types than this */
#define MAX_NFLOG_TLVS 256 /* a real NFLOG record has about a dozen */
#define NFLOG_PREFIX_MAX 128

/* Link types (LINKTYPE_* values). */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_PPP 9
#define LT_RAW_DLT 12
#define LT_PPP_HDLC 50
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_NFLOG 239
#define LT_LINUX_SLL2 276

#define ETH_IP4 0x0800
#define ETH_IP6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_PPPOE_SESS 0x8864

#define PPP_IP4 0x0021
#define PPP_IP6 0x0057

#define ARPHRD_ETHER 1
#define ARPHRD_NETLINK 824

#define NFULA_PAYLOAD 9
#define NFULA_PREFIX 10

struct decoder {
	struct decode_stats st;
	struct defrag *df;
	char nflog_prefix[NFLOG_PREFIX_MAX + 1];
};

/* State of one decode_packet() call. */
struct dctx {
	struct decoder *d;
	const struct cap_packet *cp;
	struct pkt *out;
	uint32_t missing; /* wirelen - caplen: bytes snaplen cut off the end */
	bool reasm;       /* decoding a reassembled datagram */
};

static enum decode_status dec_ip4(struct dctx *x, const uint8_t *p, size_t avail, bool tail);
static enum decode_status dec_ip6(struct dctx *x, const uint8_t *p, size_t avail, bool tail);

struct decoder *decode_new(void)
{
	struct decoder *d = xcalloc(1, sizeof(*d));
	uint64_t seed = 0;
	/* The seed only spreads hash buckets; nothing we output depends on it. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)(uintptr_t)d ^ 0x9e3779b97f4a7c15ULL;
	d->df = defrag_new(NULL, seed);
	return d;
}

void decode_free(struct decoder *d)
{
	if (!d)
		return;
	defrag_free(d->df);
	free(d);
}

const struct decode_stats *decode_get_stats(const struct decoder *d)
{
	return &d->st;
}

const char *decode_status_str(enum decode_status s)
{
	switch (s) {
	case DEC_OK:
		return "ok";
	case DEC_NOT_IP:
		return "not-ip";
	case DEC_FRAG_HELD:
		return "fragment-held";
	case DEC_MALFORMED:
		return "malformed";
	case DEC_SNAPPED:
		return "snapped";
	case DEC_UNSUPPORTED:
		return "unsupported-linktype";
	}
	return "unknown";
}

/*
 * A header does not fit in the bytes left.  When the window ends where the
 * record ends (tail) and snaplen cut the record, the header was there on
 * the wire: DEC_SNAPPED.  Otherwise a length field lied: DEC_MALFORMED.
 */
static enum decode_status cut(const struct dctx *x, bool tail)
{
	return tail && x->missing ? DEC_SNAPPED : DEC_MALFORMED;
}

/* ---------------------------------------------------------------------- */
/* Transport */

static enum decode_status dec_transport(struct dctx *x, uint8_t proto, const uint8_t *p,
					size_t avail, size_t declared)
{
	struct pkt *out = x->out;
	struct cur c;
	cur_init(&c, p, avail);
	out->proto = proto;
	out->payload = p;
	out->payload_len = (uint32_t)avail;
	if (avail < declared)
		out->truncated = true;

	if (proto == 17) { /* UDP, RFC 768 */
		if (declared < 8)
			return DEC_MALFORMED;
		if (avail < 8)
			return DEC_SNAPPED; /* avail < declared: the IP layer saw the cut */
		out->sport = cur_u16(&c);
		out->dport = cur_u16(&c);
		uint16_t ulen = cur_u16(&c);
		cur_skip(&c, 2);
		if (ulen < 8)
			return DEC_MALFORMED;
		/* The UDP length may claim less than IP carries (padding) or
		 * more (a lie): trust the smaller of the two. */
		size_t ul = ulen < declared ? ulen : declared;
		size_t have = ul < avail ? ul : avail;
		out->payload = cur_ptr(&c);
		out->payload_len = (uint32_t)(have - 8);
		out->truncated = have < ul;
	} else if (proto == 6) { /* TCP, RFC 9293 section 3.1 */
		if (declared < 20)
			return DEC_MALFORMED;
		if (avail < 20)
			return DEC_SNAPPED;
		out->sport = cur_u16(&c);
		out->dport = cur_u16(&c);
		out->seq = cur_u32(&c);
		out->ack = cur_u32(&c);
		size_t doff = (size_t)(cur_u8(&c) >> 4) * 4;
		out->tcp_flags = cur_u8(&c);
		if (doff < 20 || doff > declared)
			return DEC_MALFORMED;
		if (doff > avail)
			return DEC_SNAPPED;
		out->payload = p + doff;
		out->payload_len = (uint32_t)(avail - doff);
	}
	/* ICMP, ESP, GRE, no-next-header, ...: payload is the IP payload,
	 * ports stay 0; tunnels are unwrapped by a later stage. */
	return DEC_OK;
}

/* ---------------------------------------------------------------------- */
/* IP and fragments */

static int64_t ts_ns(const struct cap_packet *cp)
{
	int64_t ns;
	if (__builtin_mul_overflow(cp->ts_sec, (int64_t)1000000000, &ns))
		return cp->ts_sec < 0 ? INT64_MIN : INT64_MAX;
	if (__builtin_add_overflow(ns, (int64_t)cp->ts_nsec, &ns))
		return INT64_MAX;
	return ns;
}

static void sync_frag_stats(struct decoder *d)
{
	const struct defrag_stats *fs = defrag_get_stats(d->df);
	d->st.frags = fs->frags;
	d->st.reassembled = fs->reassembled;
	d->st.frag_dropped = fs->dropped;
	d->st.frag_overlaps = fs->overlaps;
	d->st.frag_dups = fs->dups;
	d->st.frag_timeouts = fs->timeouts;
	d->st.frag_cap_reached = fs->cap_reached;
}

static enum decode_status do_defrag(struct dctx *x, struct defrag_frag *f)
{
	const uint8_t *buf;
	uint32_t n;
	f->ts_ns = ts_ns(x->cp);
	enum defrag_result r = defrag_add(x->d->df, f, &buf, &n);
	sync_frag_stats(x->d);
	if (r != DEFRAG_DONE)
		return DEC_FRAG_HELD;
	/* Decode the whole datagram again, from its rebuilt header; the
	 * buffer is complete, so nothing in it can be "snapped". */
	x->reasm = true;
	x->out->truncated = false;
	x->out->reassembled = true;
	return f->af == 4 ? dec_ip4(x, buf, n, false) : dec_ip6(x, buf, n, false);
}

/*
 * The IP total length against the bytes present.  Returns the length to
 * decode, or 0 for a lie.  More than present is fine only at the end of a
 * record that snaplen cut by at least the difference.
 */
static size_t ip_window(struct dctx *x, size_t tot, size_t avail, bool tail)
{
	if (tot <= avail)
		return tot; /* narrow: Ethernet padding and trailers are not IP */
	if (tail && x->missing && tot - avail <= x->missing) {
		x->out->truncated = true;
		return avail;
	}
	return 0;
}

/* IPv4, RFC 791 section 3.1. */
static enum decode_status dec_ip4(struct dctx *x, const uint8_t *p, size_t avail, bool tail)
{
	struct pkt *out = x->out;
	struct cur c;
	cur_init(&c, p, avail);
	if (avail < 20)
		return cut(x, tail);
	uint8_t vihl = cur_u8(&c);
	if (vihl >> 4 != 4)
		return DEC_MALFORMED;
	size_t hl = (size_t)(vihl & 0x0f) * 4;
	if (hl < 20)
		return DEC_MALFORMED;
	if (hl > avail)
		return cut(x, tail);
	cur_skip(&c, 1); /* TOS */
	size_t tot = cur_u16(&c);
	uint16_t id = cur_u16(&c);
	uint16_t fo = cur_u16(&c);
	out->ttl = cur_u8(&c);
	uint8_t proto = cur_u8(&c);
	cur_skip(&c, 2); /* checksum: not checked, offloading leaves it wrong */
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->src.af = out->dst.af = 4;
	cur_copy(&c, out->src.a, 4);
	cur_copy(&c, out->dst.a, 4);
	/* options, if any, are skipped with the header length */
	if (tot < hl)
		return DEC_MALFORMED;
	size_t len = ip_window(x, tot, avail, tail);
	if (!len)
		return DEC_MALFORMED;
	out->proto = proto;
	out->ip = p;
	out->ip_len = (uint32_t)len;

	uint32_t off = (uint32_t)(fo & 0x1fff) * 8;
	bool mf = (fo & 0x2000) != 0;
	if (mf || off) {
		if (x->reasm)
			return DEC_MALFORMED; /* cannot happen: the rebuilt header is clean */
		if (len < tot)
			return DEC_SNAPPED; /* a cut fragment cannot be put back together */
		struct defrag_frag f;
		memset(&f, 0, sizeof(f));
		f.af = 4;
		f.proto = proto;
		f.id = id;
		memcpy(f.src, out->src.a, 4);
		memcpy(f.dst, out->dst.a, 4);
		f.offset = off;
		f.more = mf;
		f.data = p + hl;
		f.len = (uint32_t)(tot - hl);
		f.hdr = p;
		f.hdr_len = (uint32_t)hl;
		return do_defrag(x, &f);
	}
	return dec_transport(x, proto, p + hl, len - hl, tot - hl);
}

static bool ip6_is_ext(uint8_t nh)
{
	/* hop-by-hop, routing, fragment, destination options, AH, mobility */
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135;
}

/* IPv6, RFC 8200 sections 3 and 4. */
static enum decode_status dec_ip6(struct dctx *x, const uint8_t *p, size_t avail, bool tail)
{
	struct pkt *out = x->out;
	struct cur c;
	cur_init(&c, p, avail);
	if (avail < 40)
		return cut(x, tail);
	if (cur_u8(&c) >> 4 != 6)
		return DEC_MALFORMED;
	cur_skip(&c, 3); /* traffic class, flow label */
	size_t tot = 40 + (size_t)cur_u16(&c);
	uint8_t nh = cur_u8(&c);
	out->ttl = cur_u8(&c);
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->src.af = out->dst.af = 6;
	cur_copy(&c, out->src.a, 16);
	cur_copy(&c, out->dst.a, 16);
	size_t len = ip_window(x, tot, avail, tail);
	if (!len)
		return DEC_MALFORMED;
	out->ip = p;
	out->ip_len = (uint32_t)len;

	/* Walk the extension headers; c now spans [0, len). */
	cur_init(&c, p, len);
	size_t off = 40, nh_off = 6;
	for (unsigned n = 0; ip6_is_ext(nh); n++) {
		if (n >= MAX_IP6_EXT)
			return DEC_MALFORMED;
		size_t need = nh == 44 ? 8 : 2;
		if (off + need > tot)
			return DEC_MALFORMED;
		if (off + need > len)
			return DEC_SNAPPED;
		c.pos = off;
		uint8_t next = cur_u8(&c);
		uint8_t hlen = cur_u8(&c);
		size_t hl;
		if (nh == 44)
			hl = 8;
		else if (nh == 51)
			hl = ((size_t)hlen + 2) * 4; /* AH counts 4-byte words, RFC 4302 */
		else
			hl = ((size_t)hlen + 1) * 8;
		if (off + hl > tot)
			return DEC_MALFORMED;
		if (off + hl > len)
			return DEC_SNAPPED;
		if (nh == 44) {
			uint16_t fo = cur_u16(&c);
			uint32_t id = cur_u32(&c);
			uint32_t foff = fo & 0xfff8;
			bool more = (fo & 1) != 0;
			if (foff || more) {
				if (x->reasm)
					return DEC_MALFORMED; /* a fragment inside a fragment */
				if (len < tot)
					return DEC_SNAPPED;
				struct defrag_frag f;
				memset(&f, 0, sizeof(f));
				f.af = 6;
				f.id = id;
				memcpy(f.src, out->src.a, 16);
				memcpy(f.dst, out->dst.a, 16);
				f.offset = foff;
				f.more = more;
				f.data = p + off + 8;
				f.len = (uint32_t)(tot - off - 8);
				f.hdr = p;
				f.hdr_len = (uint32_t)off;
				f.nh_off = (uint32_t)nh_off;
				f.nh = next;
				out->proto = 44;
				return do_defrag(x, &f);
			}
			/* An atomic fragment (RFC 6946): a whole datagram. */
		}
		nh_off = off;
		nh = next;
		off += hl;
	}
	return dec_transport(x, nh, p + off, len - off, tot - off);
}

/* ---------------------------------------------------------------------- */
/* Link layers */

static enum decode_status dec_ppp_proto(struct dctx *x, uint16_t proto, struct cur *c, bool tail)
{
	if (proto == PPP_IP4)
		return dec_ip4(x, cur_ptr(c), cur_left(c), tail);
	if (proto == PPP_IP6)
		return dec_ip6(x, cur_ptr(c), cur_left(c), tail);
	return DEC_NOT_IP; /* LCP, IPCP, CCP, compressed data, ... */
}

/* PPPoE session stage, RFC 2516 section 4. */
static enum decode_status dec_pppoe(struct dctx *x, struct cur *c, bool tail)
{
	if (cur_left(c) < 8)
		return cut(x, tail);
	uint8_t vt = cur_u8(c);
	uint8_t code = cur_u8(c);
	cur_skip(c, 2); /* session id */
	size_t plen = cur_u16(c);
	uint16_t proto = cur_u16(c);
	if (vt != 0x11 || code != 0 || plen < 2)
		return DEC_MALFORMED;
	size_t body = plen - 2;
	size_t left = cur_left(c);
	struct cur w;
	if (body > left) {
		if (!(tail && x->missing && body - left <= x->missing))
			return DEC_MALFORMED;
		w = cur_sub(c, left);
	} else {
		tail = tail && body == left;
		w = cur_sub(c, body);
	}
	return dec_ppp_proto(x, proto, &w, tail);
}

/* An EtherType, after any VLAN tags (IEEE 802.1Q / 802.1ad). */
static enum decode_status dec_ethertype(struct dctx *x, uint16_t type, struct cur *c, bool tail)
{
	struct pkt *out = x->out;
	unsigned tags = 0;
	while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
		if (++tags > MAX_VLAN_TAGS)
			return DEC_MALFORMED;
		if (cur_left(c) < 4)
			return cut(x, tail);
		uint16_t tci = cur_u16(c);
		type = cur_u16(c);
		if (out->nvlan < 2)
			out->vlan[out->nvlan++] = tci & 0x0fff;
	}
	switch (type) {
	case ETH_IP4:
		return dec_ip4(x, cur_ptr(c), cur_left(c), tail);
	case ETH_IP6:
		return dec_ip6(x, cur_ptr(c), cur_left(c), tail);
	case ETH_PPPOE_SESS:
		return dec_pppoe(x, c, tail);
	default:
		return DEC_NOT_IP; /* ARP, LLDP, 802.3 lengths, SLL's 0x0004, ... */
	}
}

static enum decode_status dec_ether(struct dctx *x, struct cur *c)
{
	struct pkt *out = x->out;
	if (cur_left(c) < 14)
		return cut(x, true);
	cur_copy(c, out->dst_mac, 6);
	cur_copy(c, out->src_mac, 6);
	out->has_mac = true;
	uint16_t type = cur_u16(c);
	if (type < 0x0600)
		return DEC_NOT_IP; /* 802.3 length field: LLC frames */
	return dec_ethertype(x, type, c, true);
}

/* Linux cooked capture v1 (16 bytes). */
static enum decode_status dec_sll(struct dctx *x, struct cur *c)
{
	struct pkt *out = x->out;
	if (cur_left(c) < 16)
		return cut(x, true);
	uint16_t pkttype = cur_u16(c);
	out->hatype = cur_u16(c);
	uint16_t halen = cur_u16(c);
	uint8_t addr[8];
	cur_copy(c, addr, 8);
	uint16_t proto = cur_u16(c);
	out->pkttype = pkttype <= 127 ? (int8_t)pkttype : -1;
	if (out->hatype == ARPHRD_ETHER && halen == 6) {
		memcpy(out->src_mac, addr, 6);
		out->has_mac = true;
	}
	if (out->hatype == ARPHRD_NETLINK)
		return DEC_NOT_IP; /* protocol is a netlink family there */
	return dec_ethertype(x, proto, c, true);
}

/* Linux cooked capture v2 (20 bytes). */
static enum decode_status dec_sll2(struct dctx *x, struct cur *c)
{
	struct pkt *out = x->out;
	if (cur_left(c) < 20)
		return cut(x, true);
	uint16_t proto = cur_u16(c);
	cur_skip(c, 2);
	uint32_t ifindex = cur_u32(c);
	out->hatype = cur_u16(c);
	uint8_t pkttype = cur_u8(c);
	uint8_t halen = cur_u8(c);
	uint8_t addr[8];
	cur_copy(c, addr, 8);
	out->ifindex = ifindex > INT_MAX ? INT_MAX : (int)ifindex;
	out->pkttype = pkttype <= 127 ? (int8_t)pkttype : -1;
	if (out->hatype == ARPHRD_ETHER && halen == 6) {
		memcpy(out->src_mac, addr, 6);
		out->has_mac = true;
	}
	if (out->hatype == ARPHRD_NETLINK)
		return DEC_NOT_IP;
	return dec_ethertype(x, proto, c, true);
}

/* PPP (RFC 1661), with the optional ff 03 of HDLC framing (RFC 1662) and
 * protocol-field compression (RFC 1661 section 6.5). */
static enum decode_status dec_ppp(struct dctx *x, struct cur *c)
{
	const uint8_t *p = cur_ptr(c);
	if (cur_left(c) >= 2 && p[0] == 0xff && p[1] == 0x03)
		cur_skip(c, 2);
	if (cur_left(c) < 1)
		return cut(x, true);
	uint16_t proto = cur_u8(c);
	if (!(proto & 1)) {
		if (cur_left(c) < 1)
			return cut(x, true);
		proto = (uint16_t)(proto << 8 | cur_u8(c));
	}
	return dec_ppp_proto(x, proto, c, true);
}

/* LINKTYPE_PPP_HDLC: PPP in HDLC-like framing, or Cisco HDLC (address
 * 0x0f/0x8f, control 0, then an EtherType) as libpcap also writes it. */
static enum decode_status dec_ppp_hdlc(struct dctx *x, struct cur *c)
{
	const uint8_t *p = cur_ptr(c);
	if (cur_left(c) >= 1 && (p[0] == 0x0f || p[0] == 0x8f)) {
		if (cur_left(c) < 4)
			return cut(x, true);
		cur_skip(c, 2);
		return dec_ethertype(x, cur_u16(c), c, true);
	}
	return dec_ppp(x, c);
}

/*
 * BSD loopback: an address family, host order (NULL) or network order
 * (LOOP).  For NULL the writer's byte order is unknown; a family is small,
 * so the value is normalised the way Wireshark does it (packet-null.c).
 * Some writers put an EtherType there instead: a value above 1500 is
 * taken as one, as Wireshark does too.
 */
static enum decode_status dec_null(struct dctx *x, struct cur *c, bool network_order)
{
	if (cur_left(c) < 4)
		return cut(x, true);
	uint32_t af = network_order ? cur_u32(c) : cur_u32le(c);
	if (!network_order) {
		if (af & 0xffff0000u) {
			if (!(af & 0xff000000u) && (af & 0x00ff0000u) < 0x00060000u)
				af >>= 16;
			else
				af = __builtin_bswap32(af);
		} else if (!(af & 0xffu) && (af & 0xff00u) < 0x0600u) {
			af = __builtin_bswap16((uint16_t)af);
		}
	}
	if (af == 2)
		return dec_ip4(x, cur_ptr(c), cur_left(c), true);
	if (af == 24 || af == 28 || af == 30) /* Net/OpenBSD, FreeBSD, Darwin AF_INET6 */
		return dec_ip6(x, cur_ptr(c), cur_left(c), true);
	if (af > 1500)
		return dec_ethertype(x, (uint16_t)af, c, true);
	return DEC_NOT_IP;
}

static enum decode_status dec_raw(struct dctx *x, struct cur *c)
{
	if (cur_left(c) < 1)
		return cut(x, true);
	uint8_t v = cur_ptr(c)[0] >> 4;
	if (v == 4)
		return dec_ip4(x, cur_ptr(c), cur_left(c), true);
	if (v == 6)
		return dec_ip6(x, cur_ptr(c), cur_left(c), true);
	return DEC_MALFORMED;
}

static void nflog_prefix(struct dctx *x, const uint8_t *v, size_t n)
{
	char *s = x->d->nflog_prefix;
	size_t k = 0;
	for (size_t i = 0; i < n && k < NFLOG_PREFIX_MAX; i++) {
		if (v[i] == 0)
			break;
		s[k++] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	}
	s[k] = '\0';
	x->out->nflog_prefix = s;
}

/*
 * NFLOG (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html): family,
 * version, resource id, then TLVs whose length and type are in the
 * capturing host's byte order, each padded to 4 bytes.  libpcap converts
 * them to our order for a byte-swapped pcap file but nobody does for
 * pcapng, so the order is guessed from the first TLV length.
 */
static enum decode_status dec_nflog(struct dctx *x, struct cur *c)
{
	if (cur_left(c) < 4)
		return cut(x, true);
	uint8_t family = cur_u8(c);
	cur_skip(c, 3); /* version, resource id */
	bool le = true;
	if (cur_left(c) >= 4) {
		const uint8_t *p = cur_ptr(c);
		size_t l_le = (size_t)p[0] | (size_t)p[1] << 8;
		size_t l_be = (size_t)p[0] << 8 | p[1];
		if (!(l_le >= 4 && l_le <= cur_left(c)) && l_be >= 4 && l_be <= cur_left(c))
			le = false;
	}
	const uint8_t *pl = NULL;
	size_t pl_len = 0;
	bool pl_tail = false;
	for (unsigned n = 0; cur_left(c) >= 4; n++) {
		if (n >= MAX_NFLOG_TLVS)
			return DEC_MALFORMED;
		size_t tl = le ? cur_u16le(c) : cur_u16(c);
		uint16_t type = (uint16_t)((le ? cur_u16le(c) : cur_u16(c)) & 0x7fff);
		if (tl < 4)
			return DEC_MALFORMED;
		size_t vl = tl - 4, left = cur_left(c);
		bool vtail = vl >= left;
		if (vl > left) {
			if (!x->missing || vl - left > x->missing)
				return DEC_MALFORMED;
			vl = left;
		}
		const uint8_t *v = cur_ptr(c);
		if (type == NFULA_PAYLOAD) {
			pl = v;
			pl_len = vl;
			pl_tail = vtail;
		} else if (type == NFULA_PREFIX) {
			nflog_prefix(x, v, vl);
		}
		size_t pad = (vl + 3) & ~(size_t)3; /* the last TLV may lack its padding */
		cur_skip(c, pad < left ? pad : left);
	}
	if (!pl)
		return DEC_NOT_IP; /* logged without the packet (copy range 0) */
	if (family == 2)
		return dec_ip4(x, pl, pl_len, pl_tail);
	if (family == 10)
		return dec_ip6(x, pl, pl_len, pl_tail);
	return DEC_NOT_IP;
}

enum decode_status decode_packet(struct decoder *d, const struct cap_packet *cp, uint32_t file_idx,
				 struct pkt *out)
{
	struct dctx x;
	struct cur c;
	enum decode_status s;

	memset(out, 0, sizeof(*out));
	out->cp = cp;
	out->file_idx = file_idx;
	out->ifindex = cp->has_iface ? cp->iface : -1;
	out->pkttype = -1;
	x.d = d;
	x.cp = cp;
	x.out = out;
	x.missing = cp->wirelen > cp->caplen ? cp->wirelen - cp->caplen : 0;
	x.reasm = false;
	cur_init(&c, cp->data, cp->data ? cp->caplen : 0);
	d->st.packets++;

	switch (cp->linktype) {
	case LT_EN10MB:
		s = dec_ether(&x, &c);
		break;
	case LT_LINUX_SLL:
		s = dec_sll(&x, &c);
		break;
	case LT_LINUX_SLL2:
		s = dec_sll2(&x, &c);
		break;
	case LT_RAW:
	case LT_RAW_DLT:
		s = dec_raw(&x, &c);
		break;
	case LT_IPV4:
		s = dec_ip4(&x, cur_ptr(&c), cur_left(&c), true);
		break;
	case LT_IPV6:
		s = dec_ip6(&x, cur_ptr(&c), cur_left(&c), true);
		break;
	case LT_NULL:
		s = dec_null(&x, &c, false);
		break;
	case LT_LOOP:
		s = dec_null(&x, &c, true);
		break;
	case LT_PPP:
		s = dec_ppp(&x, &c);
		break;
	case LT_PPP_HDLC:
		s = dec_ppp_hdlc(&x, &c);
		break;
	case LT_NFLOG:
		s = dec_nflog(&x, &c);
		break;
	default:
		s = DEC_UNSUPPORTED;
		break;
	}

	switch (s) {
	case DEC_OK:
		if (out->src.af == 4)
			d->st.ip4++;
		else
			d->st.ip6++;
		break;
	case DEC_NOT_IP:
		d->st.not_ip++;
		break;
	case DEC_MALFORMED:
		d->st.malformed++;
		break;
	case DEC_SNAPPED:
		d->st.snapped++;
		break;
	case DEC_UNSUPPORTED:
		d->st.unsupported++;
		break;
	case DEC_FRAG_HELD:
		break;
	}
	return s;
}
