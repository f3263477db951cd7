/* decode.c - link layers, IPv4/IPv6, UDP/TCP, cleartext tunnels (802.1Q, RFC 2516, 1661/1662, 791, 8200, 768, 9293; tunnels: 2784, 2890, 2637, 2003, 4213, 2473, 8086, 7348, 8926, 4380, 2661, 3GPP TS 29.281). */
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
/* GTP-U extension headers in one G-PDU: TS 29.281 defines about a dozen
 * types and a real packet carries one or two (PDU session container). */
#define MAX_GTP_EXT 16
/* One reassembly per IP layer at most (a fragment inside a rebuilt
 * datagram is refused), and each tunnel adds one IP layer. */
#define REASM_BUFS (LS_MAX_ENCAP + 1)


#define PKTAP_NAMES 64     /* interface names a PKTAP capture may bring (more share the last) */
#define PKTAP_NAME_LEN 24  /* pth_ifname */

#define ETH_IP4 0x0800
#define ETH_IP6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_PPPOE_SESS 0x8864
#define ETH_TEB 0x6558 /* transparent Ethernet bridging (GRE, Geneve) */
#define ETH_PPP 0x880b /* PPP, as PPTP's GRE names it */

#define PPP_IP4 0x0021
#define PPP_IP6 0x0057

#define ARPHRD_ETHER 1
#define ARPHRD_NETLINK 824

#define NFULA_PAYLOAD 9
#define NFULA_PREFIX 10

struct decoder {
	struct decode_stats st;
	struct defrag *df;
	uint64_t seed;
	char nflog_prefix[NFLOG_PREFIX_MAX + 1];
	bool (*carrier_fn)(void *user, const struct pkt *outer);
	void *carrier_user;
	/* Reassembled datagrams of the current record, one per IP layer.
	 * defrag_add() frees its own output on the next call, and an inner
	 * fragment found inside a rebuilt outer datagram makes that call
	 * while pointing into it; so each result is copied here and stays
	 * valid until the next decode_packet(). */
	uint8_t *rbuf[REASM_BUFS];
	size_t rcap[REASM_BUFS];
	/* PKTAP: the interface names seen, in order; a packet's ifindex is
	 * PKTAP_IFINDEX + its place here */
	char pktap_names[PKTAP_NAMES][PKTAP_NAME_LEN + 1];
	size_t npktap;
};

/* What a layer found inside itself, for the loop in decode_packet(): the
 * tunnels are opened one after the other, never by recursion. */
enum layer_kind { LK_NONE, LK_IP4, LK_IP6, LK_ETHER, LK_PPP };

struct layer {
	enum layer_kind kind;
	const uint8_t *p;
	size_t len;
	bool tail;  /* the window ends where the record ends */
	bool reasm; /* a datagram rebuilt from fragments */
};

/* State of one decode_packet() call. */
struct dctx {
	struct decoder *d;
	const struct cap_packet *cp;
	struct pkt *out;
	uint32_t missing; /* wirelen - caplen: bytes snaplen cut off the end */
	bool reasm;       /* decoding a reassembled datagram */
	struct layer next; /* set when a layer found another one inside */
	uint64_t ctx;      /* fragment key context: the tunnels around this layer */
	unsigned nreasm;   /* rbuf slots used */
	uint8_t kinds[LS_MAX_ENCAP]; /* enum encap_kind of out->encap[i] */
	struct pkt carrier; /* *out before the innermost tunnel was opened */
	bool has_carrier;
};

static enum decode_status dec_ip4(struct dctx *x, const uint8_t *p, size_t avail, bool tail);
static enum decode_status dec_ip6(struct dctx *x, const uint8_t *p, size_t avail, bool tail);

static const char *const encap_names[] = {
	[ENCAP_GRE] = "gre",
	[ENCAP_PPTP_GRE] = "pptp-gre",
	[ENCAP_IPIP] = "ipip",
	[ENCAP_6IN4] = "6in4",
	[ENCAP_IP6IP6] = "ip6ip6",
	[ENCAP_4IN6] = "4in6",
	[ENCAP_GRE_UDP] = "gre-udp",
	[ENCAP_VXLAN] = "vxlan",
	[ENCAP_GENEVE] = "geneve",
	[ENCAP_TEREDO] = "teredo",
	[ENCAP_GTPU] = "gtp-u",
	[ENCAP_L2TP] = "l2tp",
	[ENCAP_KINDS] = NULL,
};

struct decoder *decode_new(void)
{
	struct decoder *d = xcalloc(1, sizeof(*d));
	uint64_t seed = 0;
	/* The seed only spreads hash buckets; nothing we output depends on it. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)(uintptr_t)d ^ 0x9e3779b97f4a7c15ULL;
	d->seed = seed;
	d->df = defrag_new(NULL, seed);
	return d;
}

void decode_free(struct decoder *d)
{
	if (!d)
		return;
	defrag_free(d->df);
	for (size_t i = 0; i < REASM_BUFS; i++)
		free(d->rbuf[i]);
	free(d);
}

void decode_set_carrier_check(struct decoder *d, bool (*fn)(void *user, const struct pkt *outer),
			      void *user)
{
	d->carrier_fn = fn;
	d->carrier_user = user;
}

const char *decode_encap_name(enum encap_kind k)
{
	return (unsigned)k < ENCAP_KINDS ? encap_names[k] : NULL;
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

/*
 * A length field claims want bytes where left are present.  More than
 * present is believable only at the end of a record that snaplen cut by
 * at least the difference.  Returns the window to use (want, or left when
 * cut) and sets *cutoff, or returns SIZE_MAX for a lie.
 */
static size_t claim(const struct dctx *x, size_t want, size_t left, bool tail, bool *cutoff)
{
	*cutoff = false;
	if (want <= left)
		return want;
	if (tail && x->missing && want - left <= x->missing) {
		*cutoff = true;
		return left;
	}
	return SIZE_MAX;
}

/* ---------------------------------------------------------------------- */
/* Tunnels */

/* What a tunnel parser decided. */
enum tun_res {
	TUN_OPEN,    /* a valid header: *t says what is inside */
	TUN_INVALID, /* not this tunnel after all (or a lie): keep the carrier */
	TUN_OTHER,   /* a valid header carrying no IP: keep the carrier */
	TUN_CUT,     /* the header runs into a snaplen cut */
};

struct tun {
	enum encap_kind kind;
	enum layer_kind inner;
	const uint8_t *p;
	size_t len;
	bool tail;
	uint32_t id; /* VNI, GRE key, TEID, call or session id: fragment context */
};

/* A header that does not fit the bytes left: cut by snaplen, or a lie. */
static enum tun_res tun_short(const struct dctx *x, bool tail)
{
	return tail && x->missing ? TUN_CUT : TUN_INVALID;
}

static void tun_set(struct tun *t, enum encap_kind kind, enum layer_kind inner, const uint8_t *p,
		    size_t len, bool tail)
{
	t->kind = kind;
	t->inner = inner;
	t->p = p;
	t->len = len;
	t->tail = tail;
}

/*
 * GRE, RFC 2784 with the key and sequence number of RFC 2890; in_udp for
 * GRE-in-UDP (RFC 8086), which is version 0 only.  Version 1 is PPTP's
 * enhanced GRE (RFC 2637 section 4.1): the key holds the payload length
 * and call id, sequence and acknowledgement numbers are optional, and the
 * payload is PPP.
 */
static enum tun_res tun_gre(const struct dctx *x, const uint8_t *p, size_t n, bool tail, bool in_udp,
			    struct tun *t)
{
	struct cur c;
	cur_init(&c, p, n);
	if (n < 4)
		return tun_short(x, tail);
	uint8_t f0 = cur_u8(&c), f1 = cur_u8(&c);
	uint16_t type = cur_u16(&c);
	bool csum = f0 & 0x80, key = f0 & 0x20, seq = f0 & 0x10, ack = f1 & 0x80;
	unsigned ver = f1 & 0x07;
	if (ver == 0) {
		/* RFC 2784 section 2.3: bits 1-5 set (routing, strict source
		 * route, recursion of RFC 1701) mean discard; bits 6-12 must
		 * be sent as zero.  Demanding all of them zero is what keeps
		 * other traffic on UDP 4754 from being read as GRE. */
		if ((f0 & 0x4f) || (f1 & 0xf8))
			return TUN_INVALID;
		size_t opt = (csum ? 4u : 0u) + (key ? 4u : 0u) + (seq ? 4u : 0u);
		if (cur_left(&c) < opt)
			return tun_short(x, tail);
		if (csum)
			cur_skip(&c, 4); /* checksum and reserved1: not checked */
		t->id = key ? cur_u32(&c) : 0;
		if (seq)
			cur_skip(&c, 4);
		enum encap_kind k = in_udp ? ENCAP_GRE_UDP : ENCAP_GRE;
		enum layer_kind inner;
		if (type == ETH_IP4)
			inner = LK_IP4;
		else if (type == ETH_IP6)
			inner = LK_IP6;
		else if (type == ETH_TEB)
			inner = LK_ETHER;
		else
			return TUN_OTHER; /* MPLS, ERSPAN, WCCP, keepalives, ... */
		tun_set(t, k, inner, cur_ptr(&c), cur_left(&c), tail);
		return TUN_OPEN;
	}
	if (ver != 1 || in_udp)
		return TUN_INVALID;
	/* RFC 2637 section 4.1: C, R, s and recursion 0, K 1, flags 0. */
	if ((f0 & 0xef) != 0x20 || (f1 & 0x78) || type != ETH_PPP)
		return TUN_INVALID;
	size_t opt = 4u + (seq ? 4u : 0u) + (ack ? 4u : 0u);
	if (cur_left(&c) < opt)
		return tun_short(x, tail);
	size_t plen = cur_u16(&c);
	t->id = cur_u16(&c); /* call id */
	cur_skip(&c, opt - 4);
	if (plen == 0)
		return TUN_OTHER; /* an acknowledgement alone */
	bool cutoff;
	size_t w = claim(x, plen, cur_left(&c), tail, &cutoff);
	if (w == SIZE_MAX)
		return TUN_INVALID; /* payload length beyond the packet */
	tun_set(t, ENCAP_PPTP_GRE, LK_PPP, cur_ptr(&c), w, cutoff);
	return TUN_OPEN;
}

/* IP in IP: the payload is the inner header, whose version must match the
 * protocol number (4: IPv4, RFC 2003 / 2473; 41: IPv6, RFC 4213 / 2473). */
static enum tun_res tun_ipip(const struct dctx *x, uint8_t proto, const uint8_t *p, size_t n,
			     bool tail, struct tun *t)
{
	bool outer6 = x->out->src.af == 6;
	if (n < 1)
		return tun_short(x, tail);
	unsigned v = p[0] >> 4;
	if (proto == 4) {
		if (v != 4)
			return TUN_INVALID;
		tun_set(t, outer6 ? ENCAP_4IN6 : ENCAP_IPIP, LK_IP4, p, n, tail);
	} else {
		if (v != 6)
			return TUN_INVALID;
		tun_set(t, outer6 ? ENCAP_IP6IP6 : ENCAP_6IN4, LK_IP6, p, n, tail);
	}
	return TUN_OPEN;
}

/*
 * VXLAN, RFC 7348 section 5: flags (I bit 0x08 set), 24 reserved bits,
 * the 24-bit VNI, 8 reserved bits, then an Ethernet frame.  The RFC says
 * reserved bits are ignored on receipt, and two extensions use some:
 * Group Based Policy (G 0x80, a policy id in bytes 2-3) and VXLAN-GPE
 * (version bits 0x30, P 0x04: byte 3 names the next protocol, 1 IPv4,
 * 2 IPv6, 3 Ethernet; Zeek's vxlan-triple-v2.pcap is framed that way on
 * 4789).  What none of them uses must be zero: flag bits 0x70 and the
 * last byte (a DNS answer on port 4789 has ANCOUNT there).
 */
static enum tun_res tun_vxlan(const struct dctx *x, const uint8_t *p, size_t n, bool tail, struct tun *t)
{
	if (n >= 1 && (!(p[0] & 0x08) || (p[0] & 0x70)))
		return TUN_INVALID;
	if (n < 8)
		return tun_short(x, tail);
	struct cur c;
	cur_init(&c, p, n);
	uint8_t fl = cur_u8(&c);
	cur_skip(&c, 2);
	uint8_t next = cur_u8(&c);
	uint32_t vni = (uint32_t)cur_u8(&c) << 16;
	vni |= cur_u16(&c);
	if (cur_u8(&c))
		return TUN_INVALID;
	enum layer_kind inner = LK_ETHER;
	if (fl & 0x04) {
		if (next == 1)
			inner = LK_IP4;
		else if (next == 2)
			inner = LK_IP6;
		else if (next != 3)
			return TUN_OTHER; /* NSH, MPLS, ... */
	}
	t->id = vni;
	tun_set(t, ENCAP_VXLAN, inner, cur_ptr(&c), cur_left(&c), tail);
	return TUN_OPEN;
}

/*
 * Geneve, RFC 8926 section 3.4: version 0, options length in 4-byte
 * words, O and C bits, reserved, protocol type, VNI, reserved; then the
 * options, each a 4-byte header whose low 5 bits count 4-byte words of
 * data.  The options must tile their length exactly.
 */
static enum tun_res tun_geneve(const struct dctx *x, const uint8_t *p, size_t n, bool tail,
			       struct tun *t)
{
	if (n >= 1 && p[0] >> 6 != 0)
		return TUN_INVALID;
	if (n < 8)
		return tun_short(x, tail);
	struct cur c;
	cur_init(&c, p, n);
	size_t optlen = (size_t)(cur_u8(&c) & 0x3f) * 4;
	uint8_t b1 = cur_u8(&c);
	uint16_t type = cur_u16(&c);
	uint32_t vni = (uint32_t)cur_u8(&c) << 16;
	vni |= cur_u16(&c);
	uint8_t r7 = cur_u8(&c);
	if ((b1 & 0x3f) || r7)
		return TUN_INVALID;
	if (cur_left(&c) < optlen)
		return tun_short(x, tail);
	/* At most 252 bytes, 4 or more per option: at most 63 rounds. */
	struct cur o = cur_sub(&c, optlen);
	while (cur_left(&o) > 0) {
		if (cur_left(&o) < 4)
			return TUN_INVALID;
		cur_skip(&o, 3); /* class, type */
		size_t ol = (size_t)(cur_u8(&o) & 0x1f) * 4;
		if (ol > cur_left(&o))
			return TUN_INVALID;
		cur_skip(&o, ol);
	}
	enum layer_kind inner;
	if (type == ETH_TEB)
		inner = LK_ETHER;
	else if (type == ETH_IP4)
		inner = LK_IP4;
	else if (type == ETH_IP6)
		inner = LK_IP6;
	else
		return TUN_OTHER; /* NSH, MPLS, ... */
	t->id = vni;
	tun_set(t, ENCAP_GENEVE, inner, cur_ptr(&c), cur_left(&c), tail);
	return TUN_OPEN;
}

/*
 * Teredo, RFC 4380 section 5.1.1: an optional authentication indicator
 * (00 01, id length, auth length, client id, auth value, 8-byte nonce,
 * confirmation byte), an optional origin indication (00 00, port, address:
 * 8 bytes), in that order, then a bare IPv6 packet.  The IPv6 version and
 * a payload length that accounts for exactly the rest are the check: UDP
 * 3544 carries nothing else worth reading as IPv6.
 */
static enum tun_res tun_teredo(const struct dctx *x, const uint8_t *p, size_t n, bool tail,
			       struct tun *t)
{
	struct cur c;
	cur_init(&c, p, n);
	bool auth = false, origin = false;
	for (;;) { /* at most two rounds: each header once */
		if (cur_left(&c) < 2)
			return tun_short(x, tail);
		const uint8_t *q = cur_ptr(&c);
		if (q[0] != 0)
			break;
		if (q[1] == 1 && !auth && !origin) {
			if (cur_left(&c) < 4)
				return tun_short(x, tail);
			cur_skip(&c, 2);
			size_t rest = (size_t)cur_u8(&c);
			rest += (size_t)cur_u8(&c) + 8 + 1;
			if (cur_left(&c) < rest)
				return tun_short(x, tail);
			cur_skip(&c, rest);
			auth = true;
		} else if (q[1] == 0 && !origin) {
			if (cur_left(&c) < 8)
				return tun_short(x, tail);
			cur_skip(&c, 8);
			origin = true;
		} else {
			return TUN_INVALID;
		}
	}
	const uint8_t *ip = cur_ptr(&c);
	size_t left = cur_left(&c);
	if (ip[0] >> 4 != 6)
		return TUN_INVALID;
	if (left < 40)
		return tun_short(x, tail);
	size_t tot = 40 + ((size_t)ip[4] << 8 | ip[5]);
	bool cutoff;
	if (tot < left || claim(x, tot, left, tail, &cutoff) == SIZE_MAX)
		return TUN_INVALID;
	t->id = 0;
	tun_set(t, ENCAP_TEREDO, LK_IP6, ip, left, tail);
	return TUN_OPEN;
}

/*
 * GTP-U, 3GPP TS 29.281 section 5: version 1, PT 1, a spare bit, E, S
 * and PN; message type; length of what follows the first 8 bytes; TEID.
 * Any of E, S, PN adds sequence number, N-PDU number and next extension
 * type.  Extension headers count their length in 4-byte units and end
 * with the next type.  Only a G-PDU (255) carries a user packet; echo,
 * error indication and end marker are signalling.
 */
static enum tun_res tun_gtpu(const struct dctx *x, const uint8_t *p, size_t n, bool tail, struct tun *t)
{
	if (n >= 1 && (p[0] & 0xf8) != 0x30)
		return TUN_INVALID;
	if (n < 8)
		return tun_short(x, tail);
	struct cur c;
	cur_init(&c, p, n);
	uint8_t fl = cur_u8(&c);
	uint8_t type = cur_u8(&c);
	size_t glen = cur_u16(&c);
	uint32_t teid = cur_u32(&c);
	bool bcut;
	size_t w = claim(x, glen, cur_left(&c), tail, &bcut);
	if (w == SIZE_MAX)
		return TUN_INVALID;
	if (type != 0xff)
		return TUN_OTHER;
	/* Inside the declared length, running out is a lie unless the
	 * window itself was cut short. */
	enum tun_res shortfall = bcut ? TUN_CUT : TUN_INVALID;
	struct cur b = cur_sub(&c, w);
	uint8_t next = 0;
	if (fl & 0x07) {
		if (cur_left(&b) < 4)
			return shortfall;
		cur_skip(&b, 3);
		next = cur_u8(&b);
		if (!(fl & 0x04))
			next = 0; /* the byte means something only with E */
	}
	for (unsigned k = 0; next; k++) {
		/* Each header moves forward, so the chain cannot loop, but a
		 * long chain of short ones is still work for nothing. */
		if (k >= MAX_GTP_EXT)
			return TUN_INVALID;
		if (cur_left(&b) < 1)
			return shortfall;
		size_t el = (size_t)cur_ptr(&b)[0] * 4;
		if (el == 0)
			return TUN_INVALID; /* would not move: the one way to loop */
		if (cur_left(&b) < el)
			return shortfall;
		next = cur_ptr(&b)[el - 1];
		cur_skip(&b, el);
	}
	if (cur_left(&b) < 1)
		return bcut ? TUN_CUT : TUN_OTHER; /* a G-PDU without a packet */
	unsigned v = cur_ptr(&b)[0] >> 4;
	if (v != 4 && v != 6)
		return TUN_OTHER; /* Ethernet or unstructured PDU sessions */
	t->id = teid;
	tun_set(t, ENCAP_GTPU, v == 4 ? LK_IP4 : LK_IP6, cur_ptr(&b), cur_left(&b), bcut);
	return TUN_OPEN;
}

/*
 * L2TPv2, RFC 2661 section 3.1: T, L, x, x, S, x, O, P, x x x x, version
 * 2; optional length (L), tunnel and session id, optional Ns and Nr (S),
 * optional offset size and padding (O); a data message (T 0) carries a
 * PPP frame.  Reserved bits are demanded zero: L2TPv3 (version 3) and
 * other traffic share the port.
 */
static enum tun_res tun_l2tp(const struct dctx *x, const uint8_t *p, size_t n, bool tail, struct tun *t)
{
	if (n >= 2 && ((p[1] & 0x0f) != 2 || (p[0] & 0x34) || (p[1] & 0xf0)))
		return TUN_INVALID;
	if (n < 2)
		return tun_short(x, tail);
	uint8_t fl = p[0];
	if (fl & 0x80)
		return TUN_OTHER; /* a control message: tunnel signalling */
	bool has_len = fl & 0x40, has_seq = fl & 0x08, has_off = fl & 0x02;
	size_t hdr = 6 + (has_len ? 2u : 0u) + (has_seq ? 4u : 0u) + (has_off ? 2u : 0u);
	if (n < hdr)
		return tun_short(x, tail);
	struct cur c;
	cur_init(&c, p, n);
	cur_skip(&c, 2);
	size_t w = n;
	bool bcut = tail && x->missing; /* no length: the datagram's end is the message's */
	if (has_len) {
		size_t mlen = cur_u16(&c);
		if (mlen < hdr)
			return TUN_INVALID;
		w = claim(x, mlen, n, tail, &bcut);
		if (w == SIZE_MAX)
			return TUN_INVALID;
	}
	uint16_t tunnel = cur_u16(&c), session = cur_u16(&c);
	if (has_seq)
		cur_skip(&c, 4);
	size_t off = has_off ? cur_u16(&c) : 0;
	if (hdr + off > w)
		return bcut ? TUN_CUT : TUN_INVALID;
	cur_skip(&c, off);
	t->id = (uint32_t)tunnel << 16 | session;
	tun_set(t, ENCAP_L2TP, LK_PPP, cur_ptr(&c), w - hdr - off, bcut);
	return TUN_OPEN;
}

/* UDP tunnel ports (IANA), ending in a sentinel. */
static const struct {
	uint16_t port;
	enum encap_kind kind;
} udp_tunnels[] = {
	{4754, ENCAP_GRE_UDP}, {4789, ENCAP_VXLAN}, {6081, ENCAP_GENEVE}, {3544, ENCAP_TEREDO},
	{2152, ENCAP_GTPU},    {1701, ENCAP_L2TP},  {0, ENCAP_KINDS},
};

static enum encap_kind udp_port_kind(uint16_t port)
{
	for (size_t i = 0; udp_tunnels[i].port; i++)
		if (udp_tunnels[i].port == port)
			return udp_tunnels[i].kind;
	return ENCAP_KINDS;
}

static enum tun_res tun_udp_try(const struct dctx *x, enum encap_kind k, const uint8_t *p, size_t n,
				bool tail, struct tun *t)
{
	switch (k) {
	case ENCAP_GRE_UDP:
		return tun_gre(x, p, n, tail, true, t);
	case ENCAP_VXLAN:
		return tun_vxlan(x, p, n, tail, t);
	case ENCAP_GENEVE:
		return tun_geneve(x, p, n, tail, t);
	case ENCAP_TEREDO:
		return tun_teredo(x, p, n, tail, t);
	case ENCAP_GTPU:
		return tun_gtpu(x, p, n, tail, t);
	case ENCAP_L2TP:
		return tun_l2tp(x, p, n, tail, t);
	default:
		return TUN_INVALID;
	}
}

/* The carrier check: true when the user says the packet is a declared
 * VPN endpoint's, whose payload is not ours to open. */
static bool carrier_kept(struct dctx *x)
{
	struct decoder *d = x->d;
	if (!d->carrier_fn || !d->carrier_fn(d->carrier_user, x->out))
		return false;
	d->st.tunnel_carrier_kept++;
	return true;
}

/* Fragment key context of the layer inside tunnel t: the context around
 * it, the kind, the tunnel id and the carrier's addresses. */
static uint64_t ctx_mix(const struct dctx *x, const struct tun *t)
{
	uint8_t b[8 + 4 + 1 + 2 * sizeof(struct ls_addr)];
	const struct pkt *out = x->out;
	size_t n = 0;
	memcpy(b + n, &x->ctx, 8);
	n += 8;
	memcpy(b + n, &t->id, 4);
	n += 4;
	b[n++] = (uint8_t)t->kind;
	memcpy(b + n, &out->src, sizeof(out->src));
	n += sizeof(out->src);
	memcpy(b + n, &out->dst, sizeof(out->dst));
	n += sizeof(out->dst);
	return hash_bytes(b, n, x->d->seed);
}

/* Acts on a parser's verdict.  Returns DEC_OK with the carrier in *out
 * (and x->next set when the tunnel was opened), or DEC_SNAPPED. */
static enum decode_status tun_finish(struct dctx *x, enum tun_res r, const struct tun *t)
{
	struct pkt *out = x->out;
	switch (r) {
	case TUN_INVALID:
		x->d->st.tunnel_invalid++;
		return DEC_OK;
	case TUN_OTHER:
		x->d->st.tunnel_other++;
		return DEC_OK;
	case TUN_CUT:
		return DEC_SNAPPED;
	case TUN_OPEN:
		break;
	}
	if (out->nencap >= LS_MAX_ENCAP) {
		/* Nesting this deep is built, not deployed (Zeek stops at 2
		 * by default); the carrier is returned and the cap counted. */
		x->d->st.encap_depth_capped++;
		out->encap_capped = true;
		return DEC_OK;
	}
	x->carrier = *out;
	x->has_carrier = true;
	if (!out->has_outer) {
		out->has_outer = true;
		out->outer_src = out->src;
		out->outer_dst = out->dst;
		out->outer_proto = out->proto;
		out->outer_sport = out->sport;
		out->outer_dport = out->dport;
	}
	x->ctx = ctx_mix(x, t);
	x->kinds[out->nencap] = (uint8_t)t->kind;
	out->encap[out->nencap++] = encap_names[t->kind];
	x->next.kind = t->inner;
	x->next.p = t->p;
	x->next.len = t->len;
	x->next.tail = t->tail;
	x->next.reasm = false;
	return DEC_OK;
}

/* Teredo off its port (RFC 4380 4: a client talks to relays and peers
 * from and to any port): a bare IPv6 packet that fills the datagram
 * exactly, to or from a Teredo address (2001:0::/32).  Windows keeps
 * Teredo on by default: IPv6 name resolution through it leaves an IPv4
 * tunnel behind. */
static bool teredo_shaped(const uint8_t *p, size_t n)
{
	static const uint8_t pfx[4] = {0x20, 0x01, 0x00, 0x00};
	if (n < 40 || p[0] >> 4 != 6 || 40 + ((size_t)p[4] << 8 | p[5]) != n)
		return false;
	return memcmp(p + 8, pfx, 4) == 0 || memcmp(p + 24, pfx, 4) == 0;
}

/* A UDP datagram on a tunnel port (either side: answers come back from
 * the port), or shaped as Teredo.  The destination port is tried first. */
static enum decode_status tun_udp(struct dctx *x, const uint8_t *p, size_t n, bool tail)
{
	enum encap_kind kd = udp_port_kind(x->out->dport), ks = udp_port_kind(x->out->sport);
	if (kd == ENCAP_KINDS && ks == ENCAP_KINDS) {
		if (!teredo_shaped(p, n))
			return DEC_OK;
		kd = ENCAP_TEREDO;
	}
	if (carrier_kept(x))
		return DEC_OK;
	struct tun t;
	memset(&t, 0, sizeof(t));
	enum tun_res r = TUN_INVALID;
	if (kd != ENCAP_KINDS)
		r = tun_udp_try(x, kd, p, n, tail, &t);
	if (r == TUN_INVALID && ks != ENCAP_KINDS && ks != kd) {
		memset(&t, 0, sizeof(t));
		r = tun_udp_try(x, ks, p, n, tail, &t);
	}
	return tun_finish(x, r, &t);
}

/* IP protocols 4, 41 and 47. */
static enum decode_status tun_ip(struct dctx *x, uint8_t proto, const uint8_t *p, size_t n, bool tail)
{
	if (carrier_kept(x))
		return DEC_OK;
	struct tun t;
	memset(&t, 0, sizeof(t));
	enum tun_res r = proto == 47 ? tun_gre(x, p, n, tail, false, &t) : tun_ipip(x, proto, p, n, tail, &t);
	return tun_finish(x, r, &t);
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
		/* have < ul only when the IP window was cut: the payload
		 * then ends where the record ends. */
		return tun_udp(x, out->payload, out->payload_len, out->truncated);
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
	} else if (proto == 47 || proto == 4 || proto == 41) {
		return tun_ip(x, proto, p, avail, avail < declared);
	}
	/* ICMP, ESP, no-next-header, ...: payload is the IP payload, ports 0. */
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
	f->ctx = x->ctx;
	enum defrag_result r = defrag_add(x->d->df, f, &buf, &n);
	sync_frag_stats(x->d);
	if (r != DEFRAG_DONE)
		return DEC_FRAG_HELD;
	if (x->nreasm >= REASM_BUFS)
		return DEC_MALFORMED; /* cannot happen: one per IP layer */
	struct decoder *d = x->d;
	unsigned i = x->nreasm++;
	if (d->rcap[i] < n) {
		d->rbuf[i] = xrealloc(d->rbuf[i], n);
		d->rcap[i] = n;
	}
	memcpy(d->rbuf[i], buf, n);
	/* Decode the whole datagram again, from its rebuilt header; the
	 * buffer is complete, so nothing in it can be "snapped". */
	x->out->reassembled = true;
	x->next.kind = f->af == 4 ? LK_IP4 : LK_IP6;
	x->next.p = d->rbuf[i];
	x->next.len = n;
	x->next.tail = false;
	x->next.reasm = true;
	return DEC_OK;
}

/*
 * The IP total length against the bytes present.  Returns the length to
 * decode, or 0 for a lie.  More than present is fine only at the end of a
 * record that snaplen cut by at least the difference (*cutoff then set).
 */
static size_t ip_window(const struct dctx *x, size_t tot, size_t avail, bool tail, bool *cutoff)
{
	size_t w = claim(x, tot, avail, tail, cutoff);
	return w == SIZE_MAX ? 0 : w; /* narrowed: Ethernet padding and trailers are not IP */
}

/*
 * A complete, consistent IP header becomes the packet's network layer;
 * what an outer layer left in the transport fields goes.  Until then the
 * fields keep the enclosing packet, so a header cut by snaplen inside a
 * tunnel leaves the last complete one in place.
 */
static void set_ip(struct pkt *out, const struct ls_addr *src, const struct ls_addr *dst,
		   uint8_t proto, uint8_t ttl, const uint8_t *p, size_t len, bool cutoff)
{
	out->src = *src;
	out->dst = *dst;
	out->proto = proto;
	out->ttl = ttl;
	out->ip = p;
	out->ip_len = (uint32_t)len;
	out->truncated = cutoff;
	out->sport = out->dport = 0;
	out->tcp_flags = 0;
	out->seq = out->ack = 0;
	out->payload = NULL;
	out->payload_len = 0;
}

/* IPv4, RFC 791 section 3.1. */
static enum decode_status dec_ip4(struct dctx *x, const uint8_t *p, size_t avail, bool tail)
{
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
	uint8_t ttl = cur_u8(&c);
	uint8_t proto = cur_u8(&c);
	cur_skip(&c, 2); /* checksum: not checked, offloading leaves it wrong */
	struct ls_addr src, dst;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.af = dst.af = 4;
	cur_copy(&c, src.a, 4);
	cur_copy(&c, dst.a, 4);
	/* options, if any, are skipped with the header length */
	if (tot == 0 && tail && !x->reasm && x->out->nencap == 0 && (fo & 0x3fff) == 0) {
		/* Total length 0 on the outermost header of a whole datagram:
		 * a sender-side capture of a segmentation-offload (TSO/GSO,
		 * Linux BIG TCP) super-frame, handed to the NIC before it was
		 * cut and its headers filled in.  The record's length is the
		 * datagram's, as Wireshark assumes; what snaplen cut off
		 * counts as cut. */
		tot = avail + x->missing;
		x->d->st.tso++;
	}
	if (tot < hl)
		return DEC_MALFORMED;
	bool cutoff;
	size_t len = ip_window(x, tot, avail, tail, &cutoff);
	if (!len)
		return DEC_MALFORMED;
	set_ip(x->out, &src, &dst, proto, ttl, p, len, cutoff);

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
		memcpy(f.src, src.a, 4);
		memcpy(f.dst, dst.a, 4);
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
	uint8_t ttl = cur_u8(&c);
	struct ls_addr src, dst;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.af = dst.af = 6;
	cur_copy(&c, src.a, 16);
	cur_copy(&c, dst.a, 16);
	bool cutoff;
	size_t len = ip_window(x, tot, avail, tail, &cutoff);
	if (!len)
		return DEC_MALFORMED;
	set_ip(out, &src, &dst, nh, ttl, p, len, cutoff);

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
				memcpy(f.src, src.a, 16);
				memcpy(f.dst, dst.a, 16);
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
		/* Inside a tunnel these are the overlay's tags (see dec_ether). */
		if (out->nencap == 0 && out->nvlan < 2)
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

/*
 * Ethernet II.  A frame inside a tunnel (VXLAN, Geneve, GRE transparent
 * bridging) is decoded, VLAN tags included, but its MACs and tags are not
 * recorded: they belong to the overlay's virtual machines, while the link
 * fields of struct pkt identify the capturing host's neighbour, which is
 * what the per-host model and the interface roles are built from.
 */
static enum decode_status dec_ether(struct dctx *x, struct cur *c, bool tail)
{
	struct pkt *out = x->out;
	if (cur_left(c) < 14)
		return cut(x, tail);
	if (out->nencap == 0) {
		cur_copy(c, out->dst_mac, 6);
		cur_copy(c, out->src_mac, 6);
		out->has_mac = true;
	} else {
		cur_skip(c, 12);
	}
	uint16_t type = cur_u16(c);
	if (type < 0x0600)
		return DEC_NOT_IP; /* 802.3 length field: LLC frames */
	return dec_ethertype(x, type, c, tail);
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
 * protocol-field compression (RFC 1661 section 6.5: a protocol number's
 * first byte is even, its last odd, so an odd first byte is a whole
 * 1-byte field).  Also the payload of PPTP's GRE and of L2TP. */
static enum decode_status dec_ppp(struct dctx *x, struct cur *c, bool tail)
{
	const uint8_t *p = cur_ptr(c);
	if (cur_left(c) == 1 && p[0] == 0xff)
		return cut(x, tail); /* the address byte, its control byte cut off */
	if (cur_left(c) >= 2 && p[0] == 0xff && p[1] == 0x03)
		cur_skip(c, 2);
	if (cur_left(c) < 1)
		return cut(x, tail);
	uint16_t proto = cur_u8(c);
	if (!(proto & 1)) {
		if (cur_left(c) < 1)
			return cut(x, tail);
		proto = (uint16_t)(proto << 8 | cur_u8(c));
	}
	return dec_ppp_proto(x, proto, c, tail);
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
	return dec_ppp(x, c, true);
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

/* The interface number of a PKTAP interface name (sanitised to printable
 * ASCII, as pcapng names are): names are numbered as they come. */
static int pktap_iface(struct decoder *d, const uint8_t *raw, const char **name_out)
{
	char name[PKTAP_NAME_LEN + 1];
	size_t n = 0;
	while (n < PKTAP_NAME_LEN && raw[n]) {
		name[n] = raw[n] > 0x20 && raw[n] < 0x7f ? (char)raw[n] : '?';
		n++;
	}
	name[n] = '\0';
	if (n == 0)
		snprintf(name, sizeof(name), "?");
	size_t i;
	for (i = 0; i < d->npktap; i++)
		if (strcmp(d->pktap_names[i], name) == 0)
			break;
	if (i == d->npktap) {
		if (d->npktap < PKTAP_NAMES)
			memcpy(d->pktap_names[d->npktap++], name, sizeof(name));
		else
			i = PKTAP_NAMES - 1; /* a hostile capture with endless names: they share one */
	}
	*name_out = d->pktap_names[i];
	return PKTAP_IFINDEX + (int)i;
}

/*
 * Apple's PKTAP (what tcpdump -i any or -i pktap writes on macOS): a header
 * in the capturing Mac's byte order (little-endian), then the packet in its
 * interface's own link type.  Read: pth_length (offset 0), pth_type_next
 * (4: 1 is a packet), pth_dlt (8), pth_ifname (12, 24 bytes), pth_flags
 * (36: 1 in, 2 out).  The interface name keeps en0 apart from utun3.
 */
static enum decode_status dec_pktap(struct dctx *x, struct cur *c)
{
	struct pkt *out = x->out;
	const uint8_t *p = cur_ptr(c);
	size_t n = cur_left(c);
	if (n < 40)
		return cut(x, true);
	uint32_t hlen = cur_u32le(c), type = cur_u32le(c), dlt = cur_u32le(c);
	uint8_t flags = p[36];
	if (hlen < 40)
		return DEC_MALFORMED;
	if (hlen > n)
		return cut(x, true);
	if (type != 1)
		return DEC_NOT_IP; /* not a packet record */
	out->ifindex = pktap_iface(x->d, p + 12, &out->ifname);
	out->pkttype = flags & 2 ? PKTTYPE_OUTGOING : flags & 1 ? PKTTYPE_HOST : -1;
	cur_skip(c, hlen - 12); /* the three fields read above */
	switch (dlt) { /* DLT_ values as Darwin numbers them */
	case 0:
		return dec_null(x, c, false);
	case 1:
		return dec_ether(x, c, true);
	case 9:
		return dec_ppp(x, c, true);
	case 12: /* DLT_RAW */
		return dec_raw(x, c);
	case 108:
		return dec_null(x, c, true);
	default:
		return DEC_NOT_IP;
	}
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

/* One layer found inside another (see decode_packet). */
static enum decode_status dec_layer(struct dctx *x, const struct layer *l)
{
	struct cur c;
	cur_init(&c, l->p, l->len);
	switch (l->kind) {
	case LK_IP4:
		return dec_ip4(x, l->p, l->len, l->tail);
	case LK_IP6:
		return dec_ip6(x, l->p, l->len, l->tail);
	case LK_ETHER:
		return dec_ether(x, &c, l->tail);
	case LK_PPP:
		return dec_ppp(x, &c, l->tail);
	case LK_NONE:
		break;
	}
	return DEC_OK;
}

/* ---------------------------------------------------------------------- */
/* The link types decode_packet() reads: the one list (capture.c asks it
 * through decode_linktype_supported() before reading a file). */

static enum decode_status lt_ether(struct dctx *x, struct cur *c)
{
	return dec_ether(x, c, true);
}

static enum decode_status lt_ip4(struct dctx *x, struct cur *c)
{
	return dec_ip4(x, cur_ptr(c), cur_left(c), true);
}

static enum decode_status lt_ip6(struct dctx *x, struct cur *c)
{
	return dec_ip6(x, cur_ptr(c), cur_left(c), true);
}

static enum decode_status lt_null(struct dctx *x, struct cur *c)
{
	return dec_null(x, c, false);
}

static enum decode_status lt_loop(struct dctx *x, struct cur *c)
{
	return dec_null(x, c, true);
}

static enum decode_status lt_ppp(struct dctx *x, struct cur *c)
{
	return dec_ppp(x, c, true);
}

struct link_decoder {
	int lt;
	enum decode_status (*dec)(struct dctx *x, struct cur *c);
};

static const struct link_decoder link_decoders[] = {
	{LT_EN10MB, lt_ether},
	{LT_LINUX_SLL, dec_sll},
	{LT_LINUX_SLL2, dec_sll2},
	{LT_RAW, dec_raw},
	{LT_RAW_DLT, dec_raw},
	{LT_IPV4, lt_ip4},
	{LT_IPV6, lt_ip6},
	{LT_NULL, lt_null},
	{LT_LOOP, lt_loop},
	{LT_PPP, lt_ppp},
	{LT_PPP_HDLC, dec_ppp_hdlc},
	{LT_NFLOG, dec_nflog},
	{LT_PKTAP, dec_pktap},
};

static const struct link_decoder *link_decoder_of(int lt)
{
	for (size_t i = 0; i < sizeof(link_decoders) / sizeof(link_decoders[0]); i++)
		if (link_decoders[i].lt == lt)
			return &link_decoders[i];
	return NULL;
}

bool decode_linktype_supported(int linktype)
{
	return link_decoder_of(linktype) != NULL;
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
	x.next.kind = LK_NONE;
	x.ctx = 0;
	x.nreasm = 0;
	x.has_carrier = false;
	cur_init(&c, cp->data, cp->data ? cp->caplen : 0);
	d->st.packets++;

	const struct link_decoder *ld = link_decoder_of(cp->linktype);
	s = ld ? ld->dec(&x, &c) : DEC_UNSUPPORTED;

	/* Layers found inside others: reassembled datagrams and tunnels.
	 * Each round either ends or opens one more tunnel (at most
	 * LS_MAX_ENCAP) or rebuilds one datagram (at most one per IP layer). */
	while (s == DEC_OK && x.next.kind != LK_NONE) {
		struct layer l = x.next;
		x.next.kind = LK_NONE;
		x.reasm = l.reasm;
		s = dec_layer(&x, &l);
		if ((s == DEC_MALFORMED || s == DEC_NOT_IP) && x.has_carrier) {
			/* Nothing IP inside a tunnel header that looked valid:
			 * a port misread, a control frame (ARP, PPP LCP) or a
			 * lie.  The carrier is a real packet; return that. */
			if (s == DEC_MALFORMED)
				d->st.tunnel_inner_malformed++;
			else
				d->st.tunnel_other++;
			*out = x.carrier;
			s = DEC_OK;
		}
	}
	if (out->nencap) {
		d->st.decap_packets++;
		for (uint8_t i = 0; i < out->nencap; i++)
			d->st.decap[x.kinds[i]]++;
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
