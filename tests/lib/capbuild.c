/* capbuild.c - packet and capture-file builders for tests (pcap: draft-ietf-opsawg-pcap, pcapng: draft-ietf-opsawg-pcapng). */
#include "capbuild.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Small helpers */

struct addr {
	int af; /* 4 or 6 */
	uint8_t a[16];
};

static int parse(const char *s, struct addr *x)
{
	memset(x, 0, sizeof(*x));
	if (inet_pton(AF_INET, s, x->a) == 1) {
		x->af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, x->a) == 1) {
		x->af = 6;
		return 0;
	}
	return -1;
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Internet checksum of a transport segment with its pseudo-header
 * (RFC 768, RFC 8200 section 8.1). */
static uint16_t l4_csum(const struct addr *s, const struct addr *d, uint8_t proto, const uint8_t *seg,
			size_t n)
{
	size_t al = s->af == 4 ? 4 : 16;
	uint32_t sum = sum16(s->a, al, 0);
	sum = sum16(d->a, al, sum);
	sum += proto;
	sum += (uint32_t)(n & 0xffff) + (uint32_t)(n >> 16);
	sum = sum16(seg, n, sum);
	uint16_t c = fold(sum);
	return c ? c : 0xffff;
}

/* ---------------------------------------------------------------------- */
/* Transport and IP */

size_t cb_udp_seg(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		  uint16_t dport, const void *pl, size_t len)
{
	struct addr s, d;
	if (parse(src, &s) || parse(dst, &d) || s.af != d.af || cap < 8 + len || 8 + len > 65535)
		return 0;
	be16(out, sport);
	be16(out + 2, dport);
	be16(out + 4, (uint32_t)(8 + len));
	be16(out + 6, 0);
	if (len)
		memcpy(out + 8, pl, len);
	be16(out + 6, l4_csum(&s, &d, 17, out, 8 + len));
	return 8 + len;
}

size_t cb_tcp_seg(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		  uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *pl, size_t len)
{
	struct addr s, d;
	if (parse(src, &s) || parse(dst, &d) || s.af != d.af || cap < 20 + len)
		return 0;
	memset(out, 0, 20);
	be16(out, sport);
	be16(out + 2, dport);
	be32(out + 4, seq);
	be32(out + 8, ack);
	out[12] = 5 << 4;
	out[13] = flags;
	be16(out + 14, 65535);
	if (len)
		memcpy(out + 20, pl, len);
	be16(out + 16, l4_csum(&s, &d, 6, out, 20 + len));
	return 20 + len;
}

size_t cb_ip(uint8_t *out, size_t cap, const char *src, const char *dst, uint8_t proto,
	     const struct cb_ip_opt *o, const void *l4, size_t l4len)
{
	static const struct cb_ip_opt none;
	struct addr s, d;
	if (!o)
		o = &none;
	if (parse(src, &s) || parse(dst, &d) || s.af != d.af)
		return 0;
	uint8_t ttl = o->ttl ? o->ttl : 64;
	if (s.af == 4) {
		size_t hl = 20 + o->opts_len;
		if (o->opts_len % 4 || o->opts_len > 40 || cap < hl + l4len || hl + l4len > 65535)
			return 0;
		memset(out, 0, 20);
		out[0] = (uint8_t)(0x40 | hl / 4);
		be16(out + 2, o->len_field ? o->len_field : (uint32_t)(hl + l4len));
		be16(out + 4, o->id ? o->id : 0x1234);
		out[6] = o->df ? 0x40 : 0;
		out[8] = ttl;
		out[9] = proto;
		memcpy(out + 12, s.a, 4);
		memcpy(out + 16, d.a, 4);
		if (o->opts_len)
			memcpy(out + 20, o->opts, o->opts_len);
		be16(out + 10, fold(sum16(out, hl, 0)));
		if (l4len)
			memcpy(out + hl, l4, l4len);
		return hl + l4len;
	}
	size_t hl = 40 + o->opts_len;
	if (cap < hl + l4len || hl - 40 + l4len > 65535)
		return 0;
	memset(out, 0, 40);
	out[0] = 0x60;
	be16(out + 4, o->len_field ? o->len_field : (uint32_t)(hl - 40 + l4len));
	out[6] = o->opts_len ? o->ext_nh : proto;
	out[7] = ttl;
	memcpy(out + 8, s.a, 16);
	memcpy(out + 24, d.a, 16);
	if (o->opts_len)
		memcpy(out + 40, o->opts, o->opts_len);
	if (l4len)
		memcpy(out + hl, l4, l4len);
	return hl + l4len;
}

size_t cb_ip_udp(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport, const struct cb_ip_opt *o, const void *pl, size_t len)
{
	uint8_t *seg = malloc(CB_MAXPKT);
	size_t n = seg ? cb_udp_seg(seg, CB_MAXPKT, src, dst, sport, dport, pl, len) : 0;
	size_t r = n ? cb_ip(out, cap, src, dst, 17, o, seg, n) : 0;
	free(seg);
	return r;
}

size_t cb_ip_tcp(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const struct cb_ip_opt *o,
		 const void *pl, size_t len)
{
	uint8_t *seg = malloc(CB_MAXPKT);
	size_t n = seg ? cb_tcp_seg(seg, CB_MAXPKT, src, dst, sport, dport, seq, ack, flags, pl, len)
		       : 0;
	size_t r = n ? cb_ip(out, cap, src, dst, 6, o, seg, n) : 0;
	free(seg);
	return r;
}

static int frags_add(struct cb_frags *f, const uint8_t *p, size_t n)
{
	uint8_t **np = realloc(f->pkt, (f->n + 1) * sizeof(*np));
	if (!np)
		return -1;
	f->pkt = np;
	size_t *nl = realloc(f->len, (f->n + 1) * sizeof(*nl));
	if (!nl)
		return -1;
	f->len = nl;
	f->pkt[f->n] = malloc(n);
	if (!f->pkt[f->n])
		return -1;
	memcpy(f->pkt[f->n], p, n);
	f->len[f->n] = n;
	f->n++;
	return 0;
}

void cb_frags_free(struct cb_frags *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->pkt[i]);
	free(f->pkt);
	free(f->len);
	memset(f, 0, sizeof(*f));
}

int cb_fragment(const uint8_t *ip, size_t len, size_t chunk, uint32_t id, struct cb_frags *out)
{
	uint8_t buf[CB_MAXPKT];
	memset(out, 0, sizeof(*out));
	chunk &= ~(size_t)7;
	if (chunk < 8 || len < 20)
		return -1;
	if (ip[0] >> 4 == 4) {
		size_t hl = (size_t)(ip[0] & 0x0f) * 4;
		if (hl < 20 || hl > len)
			return -1;
		size_t pl = len - hl;
		for (size_t off = 0; off < pl || (off == 0 && pl == 0); off += chunk) {
			size_t n = pl - off < chunk ? pl - off : chunk;
			bool more = off + n < pl;
			memcpy(buf, ip, hl);
			be16(buf + 2, (uint32_t)(hl + n));
			be16(buf + 6, (uint32_t)((ip[6] & 0x40) << 8 | (more ? 0x2000 : 0) | off / 8));
			be16(buf + 10, 0);
			be16(buf + 10, fold(sum16(buf, hl, 0)));
			memcpy(buf + hl, ip + hl + off, n);
			if (frags_add(out, buf, hl + n) < 0)
				goto bad;
			if (pl == 0)
				break;
		}
		return 0;
	}
	if (ip[0] >> 4 != 6 || len < 40)
		return -1;
	/* Unfragmentable part: the fixed header plus leading hop-by-hop and
	 * routing headers (RFC 8200 section 4.5). */
	size_t uf = 40, nh_off = 6;
	uint8_t nh = ip[6];
	while ((nh == 0 || nh == 43) && uf + 2 <= len) {
		size_t hl = ((size_t)ip[uf + 1] + 1) * 8;
		if (uf + hl > len)
			return -1;
		nh_off = uf;
		nh = ip[uf];
		uf += hl;
	}
	size_t pl = len - uf;
	for (size_t off = 0; off < pl; off += chunk) {
		size_t n = pl - off < chunk ? pl - off : chunk;
		bool more = off + n < pl;
		memcpy(buf, ip, uf);
		buf[nh_off] = 44;
		be16(buf + 4, (uint32_t)(uf - 40 + 8 + n));
		uint8_t *fh = buf + uf;
		fh[0] = nh;
		fh[1] = 0;
		be16(fh + 2, (uint32_t)(off | (more ? 1 : 0)));
		be32(fh + 4, id);
		memcpy(fh + 8, ip + uf + off, n);
		if (frags_add(out, buf, uf + 8 + n) < 0)
			goto bad;
	}
	return 0;
bad:
	cb_frags_free(out);
	return -1;
}

size_t cb_ip4_frag(uint8_t *out, size_t cap, const char *src, const char *dst, uint8_t proto,
		   uint16_t id, uint32_t offset, bool more, const void *data, size_t len)
{
	struct cb_ip_opt o;
	memset(&o, 0, sizeof(o));
	o.id = id;
	size_t n = cb_ip(out, cap, src, dst, proto, &o, data, len);
	if (!n || n < 20 || offset % 8 || offset / 8 > 0x1fff)
		return 0;
	be16(out + 6, (uint32_t)((more ? 0x2000 : 0) | offset / 8));
	be16(out + 10, 0);
	be16(out + 10, fold(sum16(out, 20, 0)));
	return n;
}

size_t cb_ip6_frag(uint8_t *out, size_t cap, const char *src, const char *dst, uint8_t nh,
		   uint32_t id, uint32_t offset, bool more, const void *data, size_t len)
{
	uint8_t fh[8];
	if (offset % 8 || offset > 0xfff8 || len > CB_MAXPKT - 8)
		return 0;
	uint8_t *tmp = malloc(8 + len);
	if (!tmp)
		return 0;
	fh[0] = nh;
	fh[1] = 0;
	be16(fh + 2, offset | (more ? 1 : 0));
	be32(fh + 4, id);
	memcpy(tmp, fh, 8);
	if (len)
		memcpy(tmp + 8, data, len);
	size_t n = cb_ip(out, cap, src, dst, 44, NULL, tmp, 8 + len);
	free(tmp);
	return n;
}

/* ---------------------------------------------------------------------- */
/* Link layers */

void cb_link_init(struct cb_link *l)
{
	static const uint8_t s[6] = {2, 0, 0, 0, 0, 2}, d[6] = {2, 0, 0, 0, 0, 1};
	memset(l, 0, sizeof(*l));
	memcpy(l->src_mac, s, 6);
	memcpy(l->dst_mac, d, 6);
	l->hatype = 1;
	l->halen = 6;
	l->pkttype = 4;
	l->ifindex = 1;
	l->af6 = 30;
}

/* VLAN tags then the EtherType; returns bytes written. */
static size_t put_tags(uint8_t *o, const struct cb_link *l, uint16_t type)
{
	size_t n = 0;
	for (int i = 0; i < l->nvlan && i < 8; i++) {
		be16(o + n, l->tpid[i] ? l->tpid[i] : 0x8100);
		be16(o + n + 2, l->vlan[i]);
		n += 4;
	}
	be16(o + n, type);
	return n + 2;
}

size_t cb_eth_raw(uint8_t *out, size_t cap, const struct cb_link *l, uint16_t type,
		  const void *payload, size_t len)
{
	struct cb_link def;
	if (!l) {
		cb_link_init(&def);
		l = &def;
	}
	if (cap < 14 + 32 + len)
		return 0;
	memcpy(out, l->dst_mac, 6);
	memcpy(out + 6, l->src_mac, 6);
	/* The tags sit between the MACs and the EtherType. */
	size_t n = 12 + put_tags(out + 12, l, type);
	if (len)
		memcpy(out + n, payload, len);
	return n + len;
}

size_t cb_link_wrap(uint8_t *out, size_t cap, int linktype, const struct cb_link *l,
		    const uint8_t *ip, size_t len)
{
	struct cb_link def;
	if (!l) {
		cb_link_init(&def);
		l = &def;
	}
	bool v6 = len && ip[0] >> 4 == 6;
	uint16_t etype = v6 ? 0x86dd : 0x0800;
	size_t n = 0;
	/* Headers are at most 48 bytes (NFLOG with a 64-byte prefix: more). */
	size_t pfx = l->nflog_prefix ? strlen(l->nflog_prefix) + 1 : 0;
	if (cap < len + 64 + pfx + 8)
		return 0;
	switch (linktype) {
	case 1: /* EN10MB */
		memcpy(out, l->dst_mac, 6);
		memcpy(out + 6, l->src_mac, 6);
		n = 12;
		if (l->pppoe) {
			n += put_tags(out + n, l, 0x8864);
			out[n] = 0x11;
			out[n + 1] = 0;
			be16(out + n + 2, l->pppoe_sid);
			be16(out + n + 4, (uint32_t)(len + 2));
			be16(out + n + 6, v6 ? 0x0057 : 0x0021);
			n += 8;
		} else {
			n += put_tags(out + n, l, etype);
		}
		break;
	case 113: /* LINUX_SLL */
		be16(out, l->pkttype);
		be16(out + 2, l->hatype);
		be16(out + 4, l->halen);
		memset(out + 6, 0, 8);
		memcpy(out + 6, l->src_mac, 6);
		n = 14 + put_tags(out + 14, l, etype);
		break;
	case 276: /* LINUX_SLL2 */
		be16(out, etype);
		be16(out + 2, 0);
		be32(out + 4, l->ifindex);
		be16(out + 8, l->hatype);
		out[10] = (uint8_t)l->pkttype;
		out[11] = l->halen;
		memset(out + 12, 0, 8);
		memcpy(out + 12, l->src_mac, 6);
		n = 20;
		break;
	case 12:
	case 101:
	case 228:
	case 229:
		n = 0;
		break;
	case 0: /* NULL: host order */
		if (l->null_be)
			be32(out, v6 ? l->af6 : 2);
		else
			le32(out, v6 ? l->af6 : 2);
		n = 4;
		break;
	case 108: /* LOOP: network order */
		be32(out, v6 ? l->af6 : 2);
		n = 4;
		break;
	case 9:
	case 50:
		if (linktype == 50 && l->chdlc) {
			out[0] = 0x0f;
			out[1] = 0;
			be16(out + 2, etype);
			n = 4;
			break;
		}
		if (!l->ppp_no_addr) {
			out[n++] = 0xff;
			out[n++] = 0x03;
		}
		if (l->ppp_pfc) {
			out[n++] = v6 ? 0x57 : 0x21;
		} else {
			be16(out + n, v6 ? 0x0057 : 0x0021);
			n += 2;
		}
		break;
	case 239: { /* NFLOG: header, then TLVs (prefix, payload) */
		void (*p16)(uint8_t *, uint32_t) = l->nflog_be ? be16 : le16;
		out[0] = v6 ? 10 : 2;
		out[1] = 0;
		be16(out + 2, 0);
		n = 4;
		/* NFULA_PACKET_HDR (1): hw protocol, hook, pad, like the kernel */
		p16(out + n, 8);
		p16(out + n + 2, 1);
		be16(out + n + 4, etype);
		out[n + 6] = 1;
		out[n + 7] = 0;
		n += 8;
		if (l->nflog_prefix) {
			p16(out + n, (uint32_t)(4 + pfx));
			p16(out + n + 2, 10);
			memcpy(out + n + 4, l->nflog_prefix, pfx);
			n += 4 + pfx;
			while (n % 4)
				out[n++] = 0;
		}
		if (l->nflog_no_payload)
			return n;
		p16(out + n, (uint32_t)(4 + len));
		p16(out + n + 2, 9);
		n += 4;
		memcpy(out + n, ip, len);
		n += len;
		while (n % 4)
			out[n++] = 0;
		return n;
	}
	default:
		return 0;
	}
	memcpy(out + n, ip, len);
	return n + len;
}

size_t cb_udp4(uint8_t *buf, const uint8_t mac_src[6], const uint8_t mac_dst[6], const char *src,
	       const char *dst, uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
	struct cb_link l;
	uint8_t *ip = malloc(CB_MAXPKT);
	if (!ip)
		return 0;
	cb_link_init(&l);
	memcpy(l.src_mac, mac_src, 6);
	memcpy(l.dst_mac, mac_dst, 6);
	size_t n = cb_ip_udp(ip, CB_MAXPKT, src, dst, sport, dport, NULL, payload, len);
	size_t r = n ? cb_link_wrap(buf, n + 64 + 8, 1, &l, ip, n) : 0;
	free(ip);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Tunnel headers */

size_t cb_gre(uint8_t *out, size_t cap, const struct cb_gre_opt *o, uint16_t proto, const void *inner,
	      size_t len)
{
	static const struct cb_gre_opt none;
	if (!o)
		o = &none;
	size_t hl = 4;
	uint8_t f0 = 0, f1 = 0;
	if (o->pptp) {
		f0 = 0x20; /* K */
		f1 = 0x01; /* version 1 */
		hl += 4;
		if (o->has_seq) {
			f0 |= 0x10;
			hl += 4;
		}
		if (o->has_ack) {
			f1 |= 0x80;
			hl += 4;
		}
	} else {
		if (o->csum) {
			f0 |= 0x80;
			hl += 4;
		}
		if (o->has_key) {
			f0 |= 0x20;
			hl += 4;
		}
		if (o->has_seq) {
			f0 |= 0x10;
			hl += 4;
		}
	}
	if (cap < hl + len)
		return 0;
	out[0] = f0 | o->flags0;
	out[1] = f1 | o->flags1;
	be16(out + 2, proto);
	size_t n = 4;
	if (o->pptp) {
		be16(out + n, o->len_field ? o->len_field : (uint32_t)len);
		be16(out + n + 2, o->call_id);
		n += 4;
		if (o->has_seq) {
			be32(out + n, o->seq);
			n += 4;
		}
		if (o->has_ack) {
			be32(out + n, o->ack);
			n += 4;
		}
	} else {
		size_t csum_at = n;
		if (o->csum) {
			memset(out + n, 0, 4);
			n += 4;
		}
		if (o->has_key) {
			be32(out + n, o->key);
			n += 4;
		}
		if (o->has_seq) {
			be32(out + n, o->seq);
			n += 4;
		}
		if (len)
			memcpy(out + n, inner, len);
		if (o->csum) /* RFC 2784 section 2.5: over the GRE header and payload */
			be16(out + csum_at, fold(sum16(out, n + len, 0)));
		return n + len;
	}
	if (len)
		memcpy(out + n, inner, len);
	return n + len;
}

size_t cb_ppp(uint8_t *out, size_t cap, bool addr_ctrl, bool pfc, uint16_t proto, const void *pl,
	      size_t len)
{
	if (cap < 4 + len)
		return 0;
	size_t n = 0;
	if (addr_ctrl) {
		out[n++] = 0xff;
		out[n++] = 0x03;
	}
	if (pfc && proto < 0x100 && (proto & 1)) {
		out[n++] = (uint8_t)proto;
	} else {
		be16(out + n, proto);
		n += 2;
	}
	if (len)
		memcpy(out + n, pl, len);
	return n + len;
}

size_t cb_vxlan(uint8_t *out, size_t cap, uint8_t flags, uint32_t vni, const void *frame, size_t len)
{
	if (cap < 8 + len)
		return 0;
	memset(out, 0, 8);
	out[0] = flags;
	out[4] = (uint8_t)(vni >> 16);
	out[5] = (uint8_t)(vni >> 8);
	out[6] = (uint8_t)vni;
	if (len)
		memcpy(out + 8, frame, len);
	return 8 + len;
}

size_t cb_geneve(uint8_t *out, size_t cap, uint16_t proto, uint32_t vni, const void *opts, size_t optlen,
		 const void *inner, size_t len)
{
	if (optlen % 4 || optlen > 252 || cap < 8 + optlen + len)
		return 0;
	memset(out, 0, 8);
	out[0] = (uint8_t)(optlen / 4);
	be16(out + 2, proto);
	out[4] = (uint8_t)(vni >> 16);
	out[5] = (uint8_t)(vni >> 8);
	out[6] = (uint8_t)vni;
	if (optlen)
		memcpy(out + 8, opts, optlen);
	if (len)
		memcpy(out + 8 + optlen, inner, len);
	return 8 + optlen + len;
}

size_t cb_teredo(uint8_t *out, size_t cap, const struct cb_teredo_opt *o, const void *ip6, size_t len)
{
	static const struct cb_teredo_opt none;
	if (!o)
		o = &none;
	size_t n = 0;
	if (cap < 4 + 255 + 255 + 9 + 8 + len)
		return 0;
	if (o->auth) {
		out[n++] = 0;
		out[n++] = 1;
		out[n++] = o->id_len;
		out[n++] = o->au_len;
		memset(out + n, 0xaa, o->id_len);
		n += o->id_len;
		memset(out + n, 0xbb, o->au_len);
		n += o->au_len;
		memcpy(out + n, "\x01\x02\x03\x04\x05\x06\x07\x08", 8); /* nonce */
		n += 8;
		out[n++] = 0; /* confirmation */
	}
	if (o->origin) {
		struct addr a;
		if (parse(o->origin_addr ? o->origin_addr : "192.0.2.1", &a) || a.af != 4)
			return 0;
		out[n++] = 0;
		out[n++] = 0;
		be16(out + n, (uint32_t)(o->origin_port ^ 0xffff));
		n += 2;
		for (int i = 0; i < 4; i++)
			out[n++] = (uint8_t)~a.a[i];
	}
	if (len)
		memcpy(out + n, ip6, len);
	return n + len;
}

size_t cb_gtpu(uint8_t *out, size_t cap, uint32_t teid, const struct cb_gtpu_opt *o, const void *inner,
	       size_t len)
{
	static const struct cb_gtpu_opt none;
	if (!o)
		o = &none;
	bool opt = o->seq || o->ext_len || o->ext_first;
	size_t hl = 8 + (opt ? 4 : 0) + o->ext_len;
	if (cap < hl + len || hl - 8 + len > 65535)
		return 0;
	uint8_t fl = 0x30; /* version 1, PT 1 */
	if (o->ext_len || o->ext_first)
		fl |= 0x04;
	if (o->seq)
		fl |= 0x02;
	out[0] = o->flags ? o->flags : fl;
	out[1] = o->type ? o->type : 0xff;
	be16(out + 2, o->len_field ? o->len_field : (uint32_t)(hl - 8 + len));
	be32(out + 4, teid);
	size_t n = 8;
	if (opt) {
		be16(out + n, o->seqno);
		out[n + 2] = 0; /* N-PDU number */
		out[n + 3] = o->ext_first;
		n += 4;
	}
	if (o->ext_len)
		memcpy(out + n, o->ext, o->ext_len);
	n += o->ext_len;
	if (len)
		memcpy(out + n, inner, len);
	return n + len;
}

size_t cb_l2tp(uint8_t *out, size_t cap, uint16_t tunnel, uint16_t session, const struct cb_l2tp_opt *o,
	       const void *pl, size_t len)
{
	static const struct cb_l2tp_opt none;
	if (!o)
		o = &none;
	size_t hl = 6 + (o->has_len ? 2 : 0) + (o->has_seq ? 4 : 0) + (o->has_off ? 2u + o->off : 0);
	if (cap < hl + len || hl + len > 65535)
		return 0;
	uint8_t f0 = 0;
	if (o->control)
		f0 |= 0x80;
	if (o->has_len)
		f0 |= 0x40;
	if (o->has_seq)
		f0 |= 0x08;
	if (o->has_off)
		f0 |= 0x02;
	out[0] = f0;
	out[1] = o->version ? o->version : 2;
	size_t n = 2;
	if (o->has_len) {
		be16(out + n, o->len_field ? o->len_field : (uint32_t)(hl + len));
		n += 2;
	}
	be16(out + n, tunnel);
	be16(out + n + 2, session);
	n += 4;
	if (o->has_seq) {
		be16(out + n, o->ns);
		be16(out + n + 2, o->nr);
		n += 4;
	}
	if (o->has_off) {
		be16(out + n, o->off);
		n += 2;
		memset(out + n, 0, o->off);
		n += o->off;
	}
	if (len)
		memcpy(out + n, pl, len);
	return n + len;
}

/* ---------------------------------------------------------------------- */
/* DNS */

static size_t put_name(uint8_t *out, size_t cap, const char *name)
{
	size_t n = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > 63 || n + 1 + l + 1 > cap)
			return 0;
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	if (n + 1 > cap)
		return 0;
	out[n++] = 0;
	return n;
}

size_t cb_dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	if (cap < 12 + 4)
		return 0;
	memset(out, 0, 12);
	be16(out, id);
	out[2] = 0x01; /* RD */
	be16(out + 4, 1);
	size_t n = put_name(out + 12, cap - 12 - 4, name);
	if (!n)
		return 0;
	n += 12;
	be16(out + n, qtype);
	be16(out + n + 2, 1);
	return n + 4;
}

size_t cb_dns_answer_a(uint8_t *out, size_t cap, uint16_t id, const char *name, const char *ipv4,
		       uint32_t ttl)
{
	uint8_t a[4];
	if (inet_pton(AF_INET, ipv4, a) != 1)
		return 0;
	size_t n = cb_dns_query(out, cap, id, name, 1);
	if (!n || cap < n + 16)
		return 0;
	out[2] = 0x81; /* QR, RD */
	out[3] = 0x80; /* RA, NOERROR */
	be16(out + 6, 1);
	be16(out + n, 0xc00c); /* pointer to the question name */
	be16(out + n + 2, 1);
	be16(out + n + 4, 1);
	be32(out + n + 6, ttl);
	be16(out + n + 10, 4);
	memcpy(out + n + 12, a, 4);
	return n + 16;
}

/* ---------------------------------------------------------------------- */
/* pcap */

struct cb_pcap {
	FILE *fp;
	bool be, nano;
};

static void w16(uint8_t *p, uint32_t v, bool be)
{
	if (be)
		be16(p, v);
	else
		le16(p, v);
}

static void w32(uint8_t *p, uint32_t v, bool be)
{
	if (be)
		be32(p, v);
	else
		le32(p, v);
}

struct cb_pcap *cb_pcap_open(const char *path, int linktype, uint32_t snaplen, unsigned flags)
{
	struct cb_pcap *w = calloc(1, sizeof(*w));
	uint8_t h[24];
	if (!w)
		return NULL;
	w->be = flags & CB_BE;
	w->nano = flags & CB_NANO;
	w->fp = fopen(path, "wb");
	if (!w->fp) {
		free(w);
		return NULL;
	}
	w32(h, w->nano ? 0xa1b23c4d : 0xa1b2c3d4, w->be);
	w16(h + 4, 2, w->be);
	w16(h + 6, 4, w->be);
	w32(h + 8, 0, w->be);
	w32(h + 12, 0, w->be);
	w32(h + 16, snaplen, w->be);
	w32(h + 20, (uint32_t)linktype, w->be);
	if (fwrite(h, 1, 24, w->fp) != 24) {
		fclose(w->fp);
		free(w);
		return NULL;
	}
	return w;
}

int cb_pcap_write_raw(struct cb_pcap *w, int64_t sec, uint32_t nsec, uint32_t caplen_field,
		      uint32_t wirelen, const void *data, size_t n)
{
	uint8_t h[16];
	w32(h, (uint32_t)sec, w->be);
	w32(h + 4, w->nano ? nsec : nsec / 1000, w->be);
	w32(h + 8, caplen_field, w->be);
	w32(h + 12, wirelen, w->be);
	if (fwrite(h, 1, 16, w->fp) != 16)
		return -1;
	if (n && fwrite(data, 1, n, w->fp) != n)
		return -1;
	return 0;
}

int cb_pcap_write(struct cb_pcap *w, int64_t sec, uint32_t nsec, const void *data, uint32_t caplen,
		  uint32_t wirelen)
{
	return cb_pcap_write_raw(w, sec, nsec, caplen, wirelen, data, caplen);
}

long cb_pcap_tell(struct cb_pcap *w)
{
	return ftell(w->fp);
}

int cb_pcap_close(struct cb_pcap *w)
{
	int rc = fclose(w->fp) == 0 ? 0 : -1;
	free(w);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* pcapng */

#define CB_MAX_IFS 64

struct cb_png {
	FILE *fp;
	bool be;
	int nifs;
	uint8_t tsresol[CB_MAX_IFS];
};

int cb_png_block_raw(struct cb_png *w, uint32_t type, const void *body, size_t len,
		     uint32_t lead_len, uint32_t trail_len)
{
	static const uint8_t zero[4];
	uint8_t h[8], t[4];
	size_t pad = (4 - len % 4) % 4;
	w32(h, type, w->be);
	w32(h + 4, lead_len, w->be);
	w32(t, trail_len, w->be);
	if (fwrite(h, 1, 8, w->fp) != 8 || (len && fwrite(body, 1, len, w->fp) != len) ||
	    (pad && fwrite(zero, 1, pad, w->fp) != pad) || fwrite(t, 1, 4, w->fp) != 4)
		return -1;
	return 0;
}

int cb_png_block(struct cb_png *w, uint32_t type, const void *body, size_t len)
{
	uint32_t tl = (uint32_t)(12 + len + (4 - len % 4) % 4);
	return cb_png_block_raw(w, type, body, len, tl, tl);
}

int cb_png_shb(struct cb_png *w)
{
	uint8_t b[16];
	w32(b, 0x1A2B3C4D, w->be);
	w16(b + 4, 1, w->be);
	w16(b + 6, 0, w->be);
	memset(b + 8, 0xff, 8); /* section length unknown */
	w->nifs = 0;
	return cb_png_block(w, 0x0A0D0D0A, b, sizeof(b));
}

int cb_png_shb_ex(struct cb_png *w, unsigned flags)
{
	w->be = flags & CB_BE;
	return cb_png_shb(w);
}

struct cb_png *cb_png_open(const char *path, unsigned flags)
{
	struct cb_png *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->be = flags & CB_BE;
	w->fp = fopen(path, "wb");
	if (!w->fp || cb_png_shb(w) < 0) {
		if (w->fp)
			fclose(w->fp);
		free(w);
		return NULL;
	}
	return w;
}

/* Appends one option (code, length, value padded to 4) at b+n. */
static size_t put_opt(uint8_t *b, size_t n, bool be, uint16_t code, const void *v, size_t len)
{
	w16(b + n, code, be);
	w16(b + n + 2, (uint32_t)len, be);
	if (len)
		memcpy(b + n + 4, v, len);
	n += 4 + len;
	while (n % 4)
		b[n++] = 0;
	return n;
}

int cb_png_idb(struct cb_png *w, int linktype, uint32_t snaplen, const struct cb_idb_opt *o)
{
	uint8_t b[1024];
	size_t n = 8;
	if (w->nifs >= CB_MAX_IFS)
		return -1;
	w16(b, (uint32_t)linktype, w->be);
	w16(b + 2, 0, w->be);
	w32(b + 4, snaplen, w->be);
	uint8_t res = 6;
	if (o) {
		if (o->name && strlen(o->name) < 400)
			n = put_opt(b, n, w->be, 2, o->name, strlen(o->name));
		if (o->desc && strlen(o->desc) < 400)
			n = put_opt(b, n, w->be, 3, o->desc, strlen(o->desc));
		if (o->has_tsresol) {
			res = o->tsresol;
			n = put_opt(b, n, w->be, 9, &res, 1);
		}
		if (o->has_tsoffset) {
			uint8_t v[8];
			uint64_t u = (uint64_t)o->tsoffset;
			if (w->be) {
				be32(v, (uint32_t)(u >> 32));
				be32(v + 4, (uint32_t)u);
			} else {
				le32(v, (uint32_t)u);
				le32(v + 4, (uint32_t)(u >> 32));
			}
			n = put_opt(b, n, w->be, 14, v, 8);
		}
		if (n > 8)
			n = put_opt(b, n, w->be, 0, NULL, 0);
	}
	if (cb_png_block(w, 1, b, n) < 0)
		return -1;
	w->tsresol[w->nifs] = res;
	return w->nifs++;
}

int cb_png_epb_raw(struct cb_png *w, uint32_t iface, uint64_t ts_units, uint32_t caplen_field,
		   uint32_t wirelen, const void *data, size_t n)
{
	uint8_t *b = malloc(20 + n);
	if (!b)
		return -1;
	w32(b, iface, w->be);
	w32(b + 4, (uint32_t)(ts_units >> 32), w->be);
	w32(b + 8, (uint32_t)ts_units, w->be);
	w32(b + 12, caplen_field, w->be);
	w32(b + 16, wirelen, w->be);
	if (n)
		memcpy(b + 20, data, n);
	int rc = cb_png_block(w, 6, b, 20 + n);
	free(b);
	return rc;
}

/* sec/nsec in the interface's if_tsresol units */
static uint64_t to_units(const struct cb_png *w, uint32_t iface, int64_t sec, uint32_t nsec)
{
	uint8_t r = iface < (uint32_t)w->nifs ? w->tsresol[iface] : 6;
	unsigned n = r & 0x7f;
	if (r & 0x80)
		return ((uint64_t)sec << n) + (((uint64_t)nsec << n) / 1000000000u);
	uint64_t m = 1;
	for (unsigned i = 0; i < n; i++)
		m *= 10;
	if (n <= 9) {
		uint64_t d = 1;
		for (unsigned i = n; i < 9; i++)
			d *= 10;
		return (uint64_t)sec * m + nsec / d;
	}
	uint64_t k = 1;
	for (unsigned i = 9; i < n; i++)
		k *= 10;
	return (uint64_t)sec * m + (uint64_t)nsec * k;
}

int cb_png_epb(struct cb_png *w, uint32_t iface, int64_t sec, uint32_t nsec, const void *data,
	       uint32_t caplen, uint32_t wirelen)
{
	return cb_png_epb_raw(w, iface, to_units(w, iface, sec, nsec), caplen, wirelen, data, caplen);
}

int cb_png_spb(struct cb_png *w, const void *data, uint32_t caplen, uint32_t wirelen)
{
	uint8_t *b = malloc(4 + (size_t)caplen);
	if (!b)
		return -1;
	w32(b, wirelen, w->be);
	if (caplen)
		memcpy(b + 4, data, caplen);
	int rc = cb_png_block(w, 3, b, 4 + (size_t)caplen);
	free(b);
	return rc;
}

int cb_png_pb(struct cb_png *w, uint16_t iface, int64_t sec, uint32_t nsec, const void *data,
	      uint32_t caplen, uint32_t wirelen)
{
	uint8_t *b = malloc(20 + (size_t)caplen);
	if (!b)
		return -1;
	uint64_t ts = to_units(w, iface, sec, nsec);
	w16(b, iface, w->be);
	w16(b + 2, 0, w->be);
	w32(b + 4, (uint32_t)(ts >> 32), w->be);
	w32(b + 8, (uint32_t)ts, w->be);
	w32(b + 12, caplen, w->be);
	w32(b + 16, wirelen, w->be);
	if (caplen)
		memcpy(b + 20, data, caplen);
	int rc = cb_png_block(w, 2, b, 20 + (size_t)caplen);
	free(b);
	return rc;
}

long cb_png_tell(struct cb_png *w)
{
	return ftell(w->fp);
}

int cb_png_close(struct cb_png *w)
{
	int rc = fclose(w->fp) == 0 ? 0 : -1;
	free(w);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Files */

int cb_tmpname(char *buf, size_t len, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int n = snprintf(buf, len, "%s/lscb-XXXXXX%s", dir, suffix);
	if (n < 0 || (size_t)n >= len)
		return -1;
	int fd = mkstemps(buf, (int)strlen(suffix));
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int cb_write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	size_t w = n ? fwrite(data, 1, n, fp) : 0;
	int rc = fclose(fp);
	return w == n && rc == 0 ? 0 : -1;
}

int cb_truncate(const char *path, uint64_t size)
{
	return truncate(path, (off_t)size);
}

long cb_file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (long)st.st_size;
}
