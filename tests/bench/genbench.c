/* genbench.c - deterministic generator of large VPN-audit captures (pcap) for `make bench`.
 * Follows RFC 791 (IPv4), 768 (UDP), 793 (TCP), 826 (ARP), 1035/7766/6891/9460 (DNS, over TCP,
 * EDNS, HTTPS RR), 8446/6066/7301 (TLS 1.3, SNI, ALPN), 9000 (QUIC), 6762 (mDNS), 4795 (LLMNR)
 * and the WireGuard paper (wireguard.com/papers/wireguard.pdf, 5.4 and 6). */

/*
 * usage: genbench [-c] OUT.pcap SIZE_MB [SEED]
 *
 * -c: the carrier-dominated mix (about 94% WireGuard carrier packets)
 * instead of the office mix.
 *
 * Writes a classic pcap (Ethernet, microsecond timestamps) of at least
 * SIZE_MB MiB as seen on the LAN side of an office gateway: 200 clients in
 * 192.168.0.0/16, most of them with a WireGuard tunnel to 203.0.113.5:51820,
 * and beside the tunnel the traffic an audit is looking for: plain DNS over
 * UDP and TCP to the gateway and public resolvers, TLS to web sites and to
 * DoH resolvers, QUIC, mDNS, LLMNR, ARP.  tests/bench/README.md describes
 * the mix.
 *
 * Determinism: one PRNG (xoshiro256**) with a fixed seed, no clock, no
 * environment; ties in the packet queue are broken by insertion order.  The
 * same arguments give the same bytes, and a smaller SIZE_MB gives a prefix
 * of a larger one's packet stream (up to where it stops and drains).
 *
 * How it works: "conversations" (a DNS lookup, a TLS connection, a burst of
 * tunnel traffic, ...) start at Poisson arrival times; each one lays out all
 * its packets with future timestamps into a min-heap, and packets leave the
 * heap in time order, so conversations interleave as on a real link.  A
 * sweep once per simulated second sends the WireGuard keepalives of clients
 * that have been silent for 25 s.
 *
 * This is a test tool, not the analyzer: input is only the command line,
 * and any failure ends the program with a message.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0_US (1709251200ULL * 1000000ULL) /* 2024-03-01T00:00:00Z */
#define SEC 1000000ULL
#define MS 1000ULL

#define NCLIENTS 200
#define NSERVERS 512
#define DEFAULT_SEED 0x6c65616b73636f70ULL /* "leakscop" */
#define MAX_SIZE_MB 65536                   /* 64 GiB: beyond this, a typo */
#define MAXFRAME 1514                       /* Ethernet, no FCS */
#define MAXPL 65536                         /* one staged payload or TCP stream */
/* Pending packets.  Concurrency is a few hundred conversations of at most a
 * few hundred packets; a runaway schedule stops here instead of in swap. */
#define HEAP_MAX (1u << 22)
#define OUTBUF (1u << 20) /* the stdio buffer the brief asks for */

/* Mean time between conversation starts: with the mix below this gives about
 * 1 MiB/s of traffic, so a 200 MiB capture spans a few minutes (tunnel
 * rekeys every 120 s and 25 s keepalives both show up). */
#define MEAN_GAP_US 7000.0

/* WireGuard timers (wireguard.com/papers/wireguard.pdf, section 6.1). */
#define WG_REKEY_AFTER (120 * SEC)
#define WG_REJECT_AFTER (180 * SEC)
#define WG_KEEPALIVE (25 * SEC)

static void die(const char *what)
{
	fprintf(stderr, "genbench: %s\n", what);
	exit(1);
}

/* ---------------------------------------------------------------------- */
/* PRNG: xoshiro256** seeded through splitmix64 (Blackman and Vigna). */

static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9;
	uint64_t t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32). */
static uint32_t below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t between(uint32_t lo, uint32_t hi)
{
	return lo + below(hi - lo + 1);
}

static double unit(void)
{
	return (double)(rnd() >> 11) * 0x1.0p-53;
}

static bool chance(double p)
{
	return unit() < p;
}

/* Exponentially distributed microseconds with the given mean, at least 1. */
static uint64_t exp_us(double mean)
{
	double v = -log(1.0 - unit()) * mean;
	if (v > 3600.0 * 1e6)
		v = 3600.0 * 1e6;
	return v < 1.0 ? 1 : (uint64_t)v;
}

static void fill_random(uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rnd();
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t v = rnd();
		memcpy(p, &v, n);
	}
}

/* ---------------------------------------------------------------------- */
/* Big-endian stores. */

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

/* ---------------------------------------------------------------------- */
/* Pending packets: a min-heap on (time, insertion number). */

struct pend {
	uint64_t t;
	uint64_t seq;
	uint32_t len;
	uint8_t *data;
};

static struct pend *heap;
static size_t hn, hcap;
static uint64_t hseq, pend_bytes;

static bool pend_before(const struct pend *a, const struct pend *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(uint64_t t, const uint8_t *frame, size_t len)
{
	if (hn == hcap) {
		size_t ncap = hcap ? hcap * 2 : 4096;
		if (ncap > HEAP_MAX)
			die("more than 4 Mi packets pending: schedule runaway");
		struct pend *nh = realloc(heap, ncap * sizeof *nh);
		if (nh == NULL)
			die("out of memory");
		heap = nh;
		hcap = ncap;
	}
	struct pend p = {t, hseq++, (uint32_t)len, malloc(len)};
	if (p.data == NULL)
		die("out of memory");
	memcpy(p.data, frame, len);
	size_t i = hn++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!pend_before(&p, &heap[up]))
			break;
		heap[i] = heap[up];
		i = up;
	}
	heap[i] = p;
	pend_bytes += 16 + len;
}

static struct pend heap_pop(void)
{
	struct pend top = heap[0];
	struct pend last = heap[--hn];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1;
		if (l >= hn)
			break;
		if (l + 1 < hn && pend_before(&heap[l + 1], &heap[l]))
			l++;
		if (!pend_before(&heap[l], &last))
			break;
		heap[i] = heap[l];
		i = l;
	}
	if (hn > 0)
		heap[i] = last;
	pend_bytes -= 16 + top.len;
	return top;
}

/* ---------------------------------------------------------------------- */
/* pcap output (the classic format: 24-byte file header, 16 per record). */

static FILE *out;
static const char *out_name;
static uint64_t out_bytes, out_pkts, last_t;

static void out_write(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		fprintf(stderr, "genbench: %s: write failed: %s\n", out_name, strerror(errno));
		exit(1);
	}
	out_bytes += n;
}

static void pcap_header(void)
{
	uint8_t h[24];
	le32(h, 0xa1b2c3d4); /* microsecond timestamps */
	h[4] = 2, h[5] = 0;  /* version 2.4, little-endian fields */
	h[6] = 4, h[7] = 0;
	le32(h + 8, 0);       /* thiszone */
	le32(h + 12, 0);      /* sigfigs */
	le32(h + 16, 262144); /* snaplen */
	le32(h + 20, 1);      /* LINKTYPE_ETHERNET */
	out_write(h, sizeof h);
}

static void flush_until(uint64_t t)
{
	while (hn > 0 && heap[0].t <= t) {
		struct pend p = heap_pop();
		if (p.t < last_t)
			die("internal: time went backwards");
		last_t = p.t;
		uint8_t rec[16];
		le32(rec, (uint32_t)(p.t / SEC));
		le32(rec + 4, (uint32_t)(p.t % SEC));
		le32(rec + 8, p.len);
		le32(rec + 12, p.len);
		out_write(rec, sizeof rec);
		out_write(p.data, p.len);
		free(p.data);
		out_pkts++;
	}
}

/* ---------------------------------------------------------------------- */
/* Nodes and frames. */

/* An IPv4 address as the capture sees it: its own MAC for LAN hosts, the
 * gateway's MAC for anything behind the gateway. */
struct node {
	uint32_t ip;
	uint8_t mac[6];
	uint16_t ipid;
	uint8_t ttl; /* as captured: remote hosts have been routed a few times */
	bool local;  /* on the LAN: its short frames arrive padded to 60 bytes */
};

static struct node gw;       /* 192.168.0.1, also the LAN resolver */
static struct node wg_end;   /* 203.0.113.5, the WireGuard endpoint */
static struct node mdns_grp; /* 224.0.0.251 */
static struct node llmnr_grp;
static struct node servers[NSERVERS];

enum { RES_GW, RES_GOOGLE, RES_GOOGLE2, RES_CF, RES_CF2, RES_QUAD9, NRES };
static struct node resolvers[NRES];

static uint8_t frame[MAXFRAME + 64];
static uint8_t pl[MAXPL]; /* the payload being staged */

static uint64_t csum_add(uint64_t s, const uint8_t *p, size_t n)
{
	while (n > 1) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		n -= 2;
	}
	if (n)
		s += (uint32_t)(p[0] << 8);
	return s;
}

static uint16_t csum_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Frame an IPv4 packet whose transport header + payload (l4len bytes) is
 * already at frame + 34, fill in the transport checksum at ck_off (from
 * the start of the transport header), and queue it at time t. */
static void emit_ip(uint64_t t, struct node *s, const struct node *d, uint8_t proto,
		    size_t l4len, size_t ck_off, bool df)
{
	uint8_t *e = frame, *ip = frame + 14, *l4 = frame + 34;
	size_t iplen = 20 + l4len;
	if (14 + iplen > MAXFRAME)
		die("internal: frame too large");
	memcpy(e, d->mac, 6);
	memcpy(e + 6, s->mac, 6);
	be16(e + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	be16(ip + 2, (uint32_t)iplen);
	be16(ip + 4, s->local ? s->ipid++ : (uint16_t)rnd());
	be16(ip + 6, df ? 0x4000 : 0);
	/* mDNS sends with TTL 255 (RFC 6762 11), LLMNR with 1 (RFC 4795 2.5) */
	ip[8] = d == &mdns_grp ? 255 : d == &llmnr_grp ? 1 : s->ttl;
	ip[9] = proto;
	be16(ip + 10, 0);
	be32(ip + 12, s->ip);
	be32(ip + 16, d->ip);
	be16(ip + 10, csum_fold(csum_add(0, ip, 20)));

	/* Pseudo-header (RFC 768, RFC 793 section 3.1). */
	uint8_t ph[12];
	be32(ph, s->ip);
	be32(ph + 4, d->ip);
	ph[8] = 0;
	ph[9] = proto;
	be16(ph + 10, (uint32_t)l4len);
	be16(l4 + ck_off, 0);
	uint16_t ck = csum_fold(csum_add(csum_add(0, ph, 12), l4, l4len));
	if (proto == 17 && ck == 0)
		ck = 0xffff; /* 0 means "no checksum" in UDP */
	be16(l4 + ck_off, ck);

	size_t len = 14 + iplen;
	/* A frame received from the LAN wire is at least 60 bytes; the padding
	 * lies outside the IP total length, which a decoder must honour. */
	if (s->local && len < 60) {
		memset(frame + len, 0, 60 - len);
		len = 60;
	}
	heap_push(t, frame, len);
}

static void emit_udp(uint64_t t, struct node *s, uint16_t sp, const struct node *d, uint16_t dp,
		     size_t n)
{
	uint8_t *u = frame + 34;
	if (n > MAXFRAME - 42)
		die("internal: UDP payload too large");
	be16(u, sp);
	be16(u + 2, dp);
	be16(u + 4, (uint32_t)(8 + n));
	memcpy(u + 8, pl, n);
	emit_ip(t, s, d, 17, 8 + n, 6, false);
}

/* ---------------------------------------------------------------------- */
/* TCP connections: sequence numbers, handshake and teardown. */

struct tcpc {
	struct node *c, *s;
	uint16_t cp, sp;
	uint32_t cseq, sseq;
	uint64_t t;
	uint64_t rtt;
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10

/* One segment after dt microseconds; the payload is pl[off .. off+n). */
static void tcp_seg(struct tcpc *k, bool from_client, uint8_t flags, const uint8_t *p, size_t n,
		    uint64_t dt)
{
	k->t += dt;
	uint8_t *h = frame + 34;
	size_t hl = (flags & F_SYN) ? 32 : 20;
	if (hl + n > MAXFRAME - 34)
		die("internal: TCP segment too large");
	uint32_t *seq = from_client ? &k->cseq : &k->sseq;
	uint32_t ack = from_client ? k->sseq : k->cseq;
	be16(h, from_client ? k->cp : k->sp);
	be16(h + 2, from_client ? k->sp : k->cp);
	be32(h + 4, *seq);
	be32(h + 8, (flags & F_ACK) ? ack : 0);
	h[12] = (uint8_t)((hl / 4) << 4);
	h[13] = flags;
	be16(h + 14, from_client ? 64240 : 65535);
	be16(h + 16, 0);
	be16(h + 18, 0);
	if (flags & F_SYN) {
		/* MSS 1460, NOP, window scale 7, NOP, NOP, SACK permitted */
		static const uint8_t opt[12] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2};
		memcpy(h + 20, opt, sizeof opt);
	}
	if (n)
		memcpy(h + hl, p, n);
	*seq += (uint32_t)n + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
	if (from_client)
		emit_ip(k->t, k->c, k->s, 6, hl + n, 16, true);
	else
		emit_ip(k->t, k->s, k->c, 6, hl + n, 16, true);
}

static void tcp_open(struct tcpc *k, struct node *c, struct node *s, uint16_t sp, uint64_t t)
{
	k->c = c;
	k->s = s;
	k->cp = (uint16_t)between(32768, 60999);
	k->sp = sp;
	k->cseq = (uint32_t)rnd();
	k->sseq = (uint32_t)rnd();
	k->t = t;
	k->rtt = between(4, 60) * MS;
	tcp_seg(k, true, F_SYN, NULL, 0, 0);
	tcp_seg(k, false, F_SYN | F_ACK, NULL, 0, k->rtt);
	tcp_seg(k, true, F_ACK, NULL, 0, between(30, 120));
}

/* Sends a byte stream in MSS-sized segments, the peer ACKing every second. */
static void tcp_stream(struct tcpc *k, bool from_client, const uint8_t *p, size_t n)
{
	size_t off = 0, segs = 0;
	while (off < n) {
		size_t m = n - off > 1460 ? 1460 : n - off;
		tcp_seg(k, from_client, F_ACK | (off + m == n ? F_PSH : 0), p + off, m,
			segs == 0 ? between(50, 400) : between(15, 140));
		off += m;
		if (++segs % 2 == 0 || off == n)
			tcp_seg(k, !from_client, F_ACK, NULL, 0, segs % 2 == 0 ? k->rtt / 2 : 40 * MS);
	}
}

static void tcp_close(struct tcpc *k, bool client_first)
{
	tcp_seg(k, client_first, F_FIN | F_ACK, NULL, 0, between(1, 800) * MS);
	tcp_seg(k, !client_first, F_FIN | F_ACK, NULL, 0, k->rtt);
	tcp_seg(k, client_first, F_ACK, NULL, 0, between(20, 90));
}

/* ---------------------------------------------------------------------- */
/* Clients. */

struct client {
	struct node n;
	char hostname[40];
	double cum; /* cumulative activity weight, for picking */
	bool tunnel;
	/* WireGuard (the client is the initiator) */
	uint16_t wg_port;
	bool wg_up;
	uint32_t wg_local, wg_remote; /* session indexes */
	uint64_t wg_tx_ctr, wg_rx_ctr;
	uint64_t wg_since, wg_last_tx;
};

static struct client clients[NCLIENTS];

static struct client *pick_client(void)
{
	double x = unit() * clients[NCLIENTS - 1].cum;
	size_t lo = 0, hi = NCLIENTS - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (clients[mid].cum > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &clients[lo];
}

static void set_mac(uint8_t *m, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f)
{
	m[0] = a, m[1] = b, m[2] = c, m[3] = d, m[4] = e, m[5] = f;
}

/* Public-looking server addresses, never in a special-purpose range. */
static uint32_t public_ip(void)
{
	for (;;) {
		uint32_t a = (uint32_t)rnd();
		uint8_t o = (uint8_t)(a >> 24);
		if (o == 0 || o == 10 || o == 127 || o >= 224 || o == 100)
			continue;
		if ((a >> 16) == 0xa9fe || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8)
			continue;
		if ((a >> 8) == 0xcb0071 || (a >> 8) == 0xc00002 || (a >> 8) == 0xc63364)
			continue;
		if ((a & 0xff) == 0 || (a & 0xff) == 255)
			continue;
		return a;
	}
}

static void init_world(void)
{
	gw = (struct node){.ip = 0xc0a80001, .ttl = 64, .local = false};
	set_mac(gw.mac, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01);
	wg_end = (struct node){.ip = 0xcb007105, .ttl = 52};
	memcpy(wg_end.mac, gw.mac, 6);
	mdns_grp = (struct node){.ip = 0xe00000fb};
	set_mac(mdns_grp.mac, 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb);
	llmnr_grp = (struct node){.ip = 0xe00000fc};
	set_mac(llmnr_grp.mac, 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfc);

	static const uint32_t res_ip[NRES] = {0xc0a80001, 0x08080808, 0x08080404,
					      0x01010101, 0x01000001, 0x09090909};
	for (size_t i = 0; i < NRES; i++) {
		resolvers[i] = (struct node){.ip = res_ip[i], .ttl = (uint8_t)between(54, 60)};
		memcpy(resolvers[i].mac, gw.mac, 6);
	}
	resolvers[RES_GW].ttl = 64;

	for (size_t i = 0; i < NSERVERS; i++) {
		servers[i] = (struct node){.ip = public_ip(), .ttl = (uint8_t)between(44, 120)};
		memcpy(servers[i].mac, gw.mac, 6);
	}

	static const char *const kinds[] = {"desktop-", "laptop-", "macbook-", "iphone-", "android-"};
	double w[NCLIENTS];
	for (size_t i = 0; i < NCLIENTS; i++) {
		struct client *c = &clients[i];
		c->n.ip = 0xc0a80000 | (uint32_t)((1 + i / 100) << 8) | (uint32_t)(10 + i % 100);
		/* Locally administered unicast, distinct by construction. */
		set_mac(c->n.mac, 0x02, 0x1b, (uint8_t)below(256), (uint8_t)below(256),
			(uint8_t)(i >> 8), (uint8_t)i);
		c->n.ipid = (uint16_t)rnd();
		c->n.ttl = 64;
		c->n.local = true;
		const char *k = kinds[below(5)];
		char tag[9];
		for (size_t j = 0; j < 7; j++)
			tag[j] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[below(34)];
		tag[7] = 0;
		snprintf(c->hostname, sizeof c->hostname, "%s%s", k, tag);
		for (char *p = c->hostname; *p; p++)
			if (*p >= 'A' && *p <= 'Z' && k[0] != 'd')
				*p = (char)(*p - 'A' + 'a');
		/* 90% run the tunnel; the rest are the audit's "no VPN at all". */
		c->tunnel = i % 10 != 7;
		/* ListenPort unset: a random port; from the dynamic range so that
		 * no dissector mistakes it for a service (1194 reads as OpenVPN) */
		c->wg_port = (uint16_t)between(49152, 65535);
		w[i] = 1.0 / pow((double)(i + 1), 0.9);
	}
	/* Shuffle the activity weights so busy hosts are spread over the range. */
	for (size_t i = NCLIENTS - 1; i > 0; i--) {
		size_t j = below((uint32_t)i + 1);
		double x = w[i];
		w[i] = w[j];
		w[j] = x;
	}
	double cum = 0;
	for (size_t i = 0; i < NCLIENTS; i++) {
		cum += w[i];
		clients[i].cum = cum;
	}
}

/* ---------------------------------------------------------------------- */
/* Names. */

static const char *const sites[] = {
	"google.com", "youtube.com", "facebook.com", "instagram.com", "wikipedia.org",
	"amazon.com", "netflix.com", "microsoft.com", "apple.com", "icloud.com",
	"github.com", "stackoverflow.com", "reddit.com", "twitter.com", "linkedin.com",
	"zoom.us", "slack.com", "office.com", "live.com", "bing.com",
	"yahoo.com", "cloudflare.com", "akamaized.net", "fastly.net", "spotify.com",
	"whatsapp.net", "telegram.org", "dropbox.com", "adobe.com", "ubuntu.com",
	"debian.org", "mozilla.org", "firefox.com", "nytimes.com", "bbc.co.uk",
	"theguardian.com", "cnn.com", "twitch.tv", "discord.com", "paypal.com",
	"ebay.com", "booking.com", "airbnb.com", "salesforce.com", "atlassian.net",
	"gitlab.com", "docker.io", "npmjs.org", "pypi.org", "python.org",
	"rust-lang.org", "kernel.org", "wordpress.com", "medium.com", "imgur.com",
	"pinterest.com", "tiktok.com", "doubleclick.net", "googlesyndication.com", "googleapis.com",
	"gstatic.com", "googlevideo.com", "ytimg.com", "fbcdn.net", "jsdelivr.net",
	"office365.com", "sharepoint.com", "outlook.com", "msftconnecttest.com", "windowsupdate.com",
	"digicert.com", "letsencrypt.org", "sentry.io", "datadoghq.com", "newrelic.com",
	"hotjar.com", "segment.io", "stripe.com", "shopify.com", "notion.so",
	"figma.com", "canva.com", "duckduckgo.com", "proton.me", "signal.org",
	"steamcontent.com", "epicgames.com", "playstation.net", "xboxlive.com", "nintendo.net",
	"example.org", "wetransfer.com", "deepl.com", "openai.com", "heise.de",
	"spiegel.de", "lemonde.fr", "corriere.it", "elpais.com", "nos.nl",
};
#define NSITES (sizeof sites / sizeof sites[0])

static const char *const prefixes[] = {
	"", "www.", "www.", "www.", "api.", "cdn.", "static.", "img.", "login.", "mail.",
	"m.", "assets.", "edge.", "media.", "accounts.", "update.", "telemetry.", "push.",
	"graph.", "auth.", "i.", "s.", "fonts.", "video.", "ws.", "events.",
};
#define NPREFIXES (sizeof prefixes / sizeof prefixes[0])

/* DoH resolvers as nDPI 4.2 lists them, with the resolver they live on. */
static const struct {
	const char *name;
	int res;
} doh_names[] = {
	{"dns.google", RES_GOOGLE},          {"dns.google", RES_GOOGLE2},
	{"cloudflare-dns.com", RES_CF},      {"mozilla.cloudflare-dns.com", RES_CF2},
	{"chrome.cloudflare-dns.com", RES_CF}, {"dns.quad9.net", RES_QUAD9},
};
#define NDOH (sizeof doh_names / sizeof doh_names[0])

static const char *const mdns_services[] = {
	"_googlecast._tcp.local", "_airplay._tcp.local", "_spotify-connect._tcp.local",
	"_ipp._tcp.local", "_raop._tcp.local", "_companion-link._tcp.local",
	"_homekit._tcp.local", "_sleep-proxy._udp.local",
};
#define NMDNS (sizeof mdns_services / sizeof mdns_services[0])

static void rand_label(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[below(i == 0 ? 26 : 36)];
	p[n] = 0;
}

struct qname {
	char name[256];
	int site;    /* index into sites[], -1 for none */
	bool nx;     /* the resolver will say NXDOMAIN */
};

/* A name as a browser, an OS or an app would look it up. */
static void pick_name(struct qname *q)
{
	char a[64], b[64];
	uint32_t r = below(1000);
	q->site = (int)below(NSITES);
	q->nx = false;
	const char *site = sites[q->site];
	if (r < 560) {
		snprintf(q->name, sizeof q->name, "%s%s", prefixes[below(NPREFIXES)], site);
	} else if (r < 780) {
		/* CDN shard and tracking names: high cardinality */
		rand_label(a, between(6, 14));
		snprintf(q->name, sizeof q->name, "%s.%s", a, site);
	} else if (r < 860) {
		rand_label(a, between(3, 8));
		snprintf(q->name, sizeof q->name, "rr%u---sn-%s.googlevideo.com", between(1, 8), a);
		q->site = 61;
	} else if (r < 880) {
		/* long, exfiltration-shaped names (beyond nDPI's 80-byte field) */
		rand_label(a, between(30, 60));
		rand_label(b, between(30, 60));
		snprintf(q->name, sizeof q->name, "%s.%s.t.%s", a, b, site);
	} else if (r < 900) {
		q->site = -1;
		snprintf(q->name, sizeof q->name, "%s", doh_names[below(NDOH)].name);
	} else if (r < 910) {
		q->site = -1;
		snprintf(q->name, sizeof q->name, "vpn.example.net");
	} else if (r < 950) {
		/* NXDOMAIN: typos, search-domain walks, WPAD */
		q->nx = true;
		q->site = -1;
		uint32_t k = below(4);
		if (k == 0) {
			snprintf(q->name, sizeof q->name, "%s", site);
			size_t n = strlen(q->name);
			size_t i = below((uint32_t)(n - 5));
			char x = q->name[i];
			q->name[i] = q->name[i + 1];
			q->name[i + 1] = x;
		} else if (k == 1) {
			snprintf(q->name, sizeof q->name, "%s%s.lan", prefixes[below(NPREFIXES)], site);
		} else if (k == 2) {
			snprintf(q->name, sizeof q->name, "wpad.corp.example");
		} else {
			rand_label(a, between(4, 10));
			snprintf(q->name, sizeof q->name, "%s.internal.corp.example", a);
		}
	} else {
		snprintf(q->name, sizeof q->name, "%s%s", prefixes[below(NPREFIXES)], site);
	}
}

/* Writes a name in wire form at p (no compression); returns its length.
 * label_at receives the offsets of the last three labels from p. */
static size_t put_name(uint8_t *p, const char *name, size_t label_at[3])
{
	size_t o = 0, nl = 0, offs[128];
	const char *s = name;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		if (n == 0 || n > 63 || nl == 128)
			die("internal: bad name");
		offs[nl++] = o;
		p[o++] = (uint8_t)n;
		memcpy(p + o, s, n);
		o += n;
		s += n + (dot ? 1 : 0);
	}
	p[o++] = 0;
	if (label_at)
		for (size_t i = 0; i < 3; i++)
			label_at[i] = nl > i ? offs[nl - 1 - i] : 0;
	return o;
}

/* ---------------------------------------------------------------------- */
/* DNS messages (RFC 1035 section 4). */

#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_PTR 12
#define T_TXT 16
#define T_AAAA 28
#define T_SRV 33
#define T_OPT 41
#define T_HTTPS 65

static size_t put_rr_head(uint8_t *p, uint16_t ptr, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	be16(p, 0xc000 | ptr);
	be16(p + 2, type);
	be16(p + 4, 1);
	be32(p + 6, ttl);
	be16(p + 10, rdlen);
	return 12;
}

static size_t put_opt(uint8_t *p, uint16_t udp_size)
{
	p[0] = 0;
	be16(p + 1, T_OPT);
	be16(p + 3, udp_size);
	be32(p + 5, 0);
	be16(p + 9, 0);
	return 11;
}

static size_t dns_query(uint8_t *p, uint16_t id, uint16_t flags, const char *name, uint16_t type,
			uint16_t qclass, bool edns)
{
	be16(p, id);
	be16(p + 2, flags);
	be16(p + 4, 1);
	be16(p + 6, 0);
	be16(p + 8, 0);
	be16(p + 10, edns ? 1 : 0);
	size_t o = 12 + put_name(p + 12, name, NULL);
	be16(p + o, type);
	be16(p + o + 2, qclass);
	o += 4;
	if (edns)
		o += put_opt(p + o, 1232);
	return o;
}

/* An SOA for the zone whose name starts at offset zone (a pointer). */
static size_t put_soa(uint8_t *p, uint16_t zone, uint32_t serial)
{
	size_t o = put_rr_head(p, zone, T_SOA, between(300, 3600), 0);
	size_t rd = o;
	p[o++] = 3, memcpy(p + o, "ns1", 3), o += 3;
	be16(p + o, 0xc000 | zone), o += 2;
	p[o++] = 10, memcpy(p + o, "hostmaster", 10), o += 10;
	be16(p + o, 0xc000 | zone), o += 2;
	be32(p + o, serial), o += 4;
	be32(p + o, 7200), o += 4;
	be32(p + o, 3600), o += 4;
	be32(p + o, 1209600), o += 4;
	be32(p + o, 300), o += 4;
	be16(p + rd - 2, (uint32_t)(o - rd));
	return o;
}

static uint32_t site_ip(int site, uint32_t k)
{
	return servers[((uint32_t)site * 7 + k) % NSERVERS].ip;
}

/* The answer to dns_query(): A/AAAA with an optional CNAME in front,
 * HTTPS (RFC 9460) or NODATA, NXDOMAIN with the root SOA. */
static size_t dns_response(uint8_t *p, uint16_t id, const struct qname *q, uint16_t type,
			   bool edns)
{
	size_t lab[3];
	be16(p, id);
	be16(p + 4, 1);
	be16(p + 6, 0);
	be16(p + 8, 0);
	be16(p + 10, edns ? 1 : 0);
	size_t o = 12 + put_name(p + 12, q->name, lab);
	be16(p + o, type);
	be16(p + o + 2, 1);
	o += 4;
	uint16_t an = 0, ns = 0, rcode = 0;
	/* zone: the registrable domain, two labels (three under co.uk) */
	uint16_t zone = (uint16_t)(12 + (strstr(q->name, ".co.uk") ? lab[2] : lab[1]));

	if (q->nx) {
		rcode = 3;
		/* the root zone's SOA: an empty name, no pointer */
		p[o++] = 0;
		be16(p + o, T_SOA), be16(p + o + 2, 1), be32(p + o + 4, 86400);
		o += 10;
		size_t rd = o;
		static const uint8_t mname[] = "\001a\014root-servers\003net";
		static const uint8_t rname[] = "\005nstld\014verisign-grs\003com";
		memcpy(p + o, mname, sizeof mname), o += sizeof mname;
		memcpy(p + o, rname, sizeof rname), o += sizeof rname;
		be32(p + o, 2024030100), o += 4;
		be32(p + o, 1800), o += 4;
		be32(p + o, 900), o += 4;
		be32(p + o, 604800), o += 4;
		be32(p + o, 86400), o += 4;
		be16(p + rd - 2, (uint32_t)(o - rd));
		ns = 1;
	} else if (type == T_HTTPS) {
		if (q->site >= 0 && chance(0.5)) {
			/* priority 1, target ".", alpn=h3,h2, ipv4hint */
			o += put_rr_head(p + o, 12, T_HTTPS, 300, 0);
			size_t rd = o;
			be16(p + o, 1), o += 2;
			p[o++] = 0;
			static const uint8_t alpn[] = {0, 1, 0, 6, 2, 'h', '3', 2, 'h', '2'};
			memcpy(p + o, alpn, sizeof alpn), o += sizeof alpn;
			be16(p + o, 4), be16(p + o + 2, 8), o += 4;
			be32(p + o, site_ip(q->site, 0)), be32(p + o + 4, site_ip(q->site, 1)), o += 8;
			be16(p + rd - 2, (uint32_t)(o - rd));
			an = 1;
		} else {
			o += put_soa(p + o, zone, 2024030100 + below(99));
			ns = 1;
		}
	} else {
		uint16_t owner = 12;
		int site = q->site >= 0 ? q->site : (int)(strlen(q->name) % NSITES);
		if (chance(0.25)) {
			/* CNAME to an edge name under a CDN: "<label>.edge.<cdn>" */
			static const char *const cdns[] = {"akamaiedge.net", "cloudfront.net",
							   "fastly.net", "edgekey.net"};
			char tgt[96], l[16];
			rand_label(l, 6);
			snprintf(tgt, sizeof tgt, "%s.edge.%s", l, cdns[below(4)]);
			o += put_rr_head(p + o, 12, T_CNAME, between(60, 3600), 0);
			size_t rd = o;
			o += put_name(p + o, tgt, NULL);
			be16(p + rd - 2, (uint32_t)(o - rd));
			owner = (uint16_t)rd;
			an++;
		}
		uint32_t n = type == T_A ? between(1, 4) : between(0, 2);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t ttl = between(20, 300);
			if (type == T_A) {
				o += put_rr_head(p + o, owner, T_A, ttl, 4);
				be32(p + o, site_ip(site, i)), o += 4;
			} else {
				o += put_rr_head(p + o, owner, T_AAAA, ttl, 16);
				be32(p + o, 0x2001 << 16 | 0x0db8), be32(p + o + 4, (uint32_t)site << 16);
				be32(p + o + 8, 0), be32(p + o + 12, site_ip(site, i));
				o += 16;
			}
			an++;
		}
		if (n == 0) {
			o += put_soa(p + o, zone, 2024030100 + below(99));
			ns = 1;
		}
	}
	be16(p + 2, 0x8180 | rcode); /* QR RD RA */
	be16(p + 6, an);
	be16(p + 8, ns);
	if (edns)
		o += put_opt(p + o, 1232);
	return o;
}

/* ---------------------------------------------------------------------- */
/* Conversation statistics (printed at the end). */

enum { K_WG, K_DNS, K_DNSTCP, K_TLS, K_DOH, K_QUIC, K_MDNS, K_LLMNR, K_ARP, NK };
static const char *const kname[NK] = {"wg-burst", "dns-udp", "dns-tcp", "tls", "tls-doh",
				      "quic", "mdns", "llmnr", "arp"};
static uint64_t kcount[NK];
static uint64_t wg_handshakes, wg_keepalives, dns_queries;

/* ---------------------------------------------------------------------- */
/* WireGuard (message formats: wireguard.com/papers/wireguard.pdf 5.4). */

static void wg_handshake(struct client *c, uint64_t t, uint64_t *tend)
{
	/* initiation, 148 bytes: type 1, 3 zero bytes, sender index,
	 * ephemeral (32), static (32+16), timestamp (12+16), mac1, mac2 */
	c->wg_local = (uint32_t)rnd();
	memset(pl, 0, 4);
	pl[0] = 1;
	le32(pl + 4, c->wg_local);
	fill_random(pl + 8, 148 - 8 - 16);
	memset(pl + 132, 0, 16); /* mac2 is zero unless under load */
	emit_udp(t, &c->n, c->wg_port, &wg_end, 51820, 148);
	wg_handshakes++;
	/* response, 92 bytes: type 2, sender, receiver, ephemeral, empty (0+16),
	 * mac1, mac2 */
	uint64_t rtt = between(15, 45) * MS;
	c->wg_remote = (uint32_t)rnd();
	memset(pl, 0, 4);
	pl[0] = 2;
	le32(pl + 4, c->wg_remote);
	le32(pl + 8, c->wg_local);
	fill_random(pl + 12, 92 - 12 - 16);
	memset(pl + 76, 0, 16);
	emit_udp(t + rtt, &wg_end, 51820, &c->n, c->wg_port, 92);
	c->wg_up = true;
	c->wg_since = t;
	c->wg_tx_ctr = 0;
	c->wg_rx_ctr = 0;
	c->wg_last_tx = t;
	*tend = t + rtt;
}

/* Transport data, type 4: receiver index, 64-bit counter, then the padded
 * ciphertext and its 16-byte tag; size = 32 + padded plaintext. */
static void wg_data(struct client *c, uint64_t t, bool to_client, size_t size)
{
	memset(pl, 0, 4);
	pl[0] = 4;
	le32(pl + 4, to_client ? c->wg_local : c->wg_remote);
	le64(pl + 8, to_client ? c->wg_rx_ctr++ : c->wg_tx_ctr++);
	fill_random(pl + 16, size - 16);
	if (to_client) {
		emit_udp(t, &wg_end, 51820, &c->n, c->wg_port, size);
	} else {
		emit_udp(t, &c->n, c->wg_port, &wg_end, 51820, size);
		if (t > c->wg_last_tx)
			c->wg_last_tx = t;
	}
}

/* Plaintext of L bytes padded to 16, within the inner MTU: 32..1420 bytes. */
static size_t wg_size(uint32_t inner)
{
	size_t p = (inner + 15u) & ~15u;
	if (p > 1388)
		p = 1388;
	return 32 + p;
}

static size_t wg_bulk(void)
{
	return chance(0.8) ? wg_size(1388) : wg_size(between(200, 1388));
}

static size_t wg_small(void)
{
	return wg_size(between(40, 120)); /* TCP ACKs, DNS, small requests */
}

static void conv_wg(uint64_t t)
{
	struct client *c;
	do
		c = pick_client();
	while (!c->tunnel);
	kcount[K_WG]++;
	if (!c->wg_up || t - c->wg_since >= WG_REKEY_AFTER) {
		uint64_t tend;
		wg_handshake(c, t, &tend);
		t = tend + between(50, 400);
	}
	uint32_t n = (uint32_t)exp_us(35.0);
	if (n > 600)
		n = 600;
	uint32_t shape = below(100);
	for (uint32_t i = 0; i < n; i++) {
		if (shape < 65) { /* download: bulk in, an ACK out every second one */
			t += exp_us(140.0);
			wg_data(c, t, true, wg_bulk());
			if (i % 2 == 1)
				wg_data(c, t + between(30, 200), false, wg_small());
		} else if (shape < 80) { /* upload */
			t += exp_us(180.0);
			wg_data(c, t, false, wg_bulk());
			if (i % 2 == 1)
				wg_data(c, t + between(10000, 40000), true, wg_small());
		} else { /* interactive: request, response */
			t += exp_us(20000.0);
			wg_data(c, t, false, wg_small());
			wg_data(c, t + between(15, 80) * MS, true, wg_size(between(60, 1388)));
		}
	}
}

/* Once per simulated second: WireGuard persistent keepalives (an empty
 * transport message after 25 s without sending), and when the session is
 * past its reject time, the handshake that must come first. */
static void sweep(uint64_t now)
{
	for (size_t i = 0; i < NCLIENTS; i++) {
		struct client *c = &clients[i];
		if (!c->tunnel)
			continue;
		if (!c->wg_up) {
			/* clients bring their tunnel up at staggered times */
			if (now >= T0_US + (uint64_t)i * 150 * MS) {
				uint64_t tend;
				wg_handshake(c, now + below(1000000), &tend);
				wg_data(c, tend + between(100, 900), false, 32);
			}
			continue;
		}
		uint64_t due = c->wg_last_tx + WG_KEEPALIVE;
		if (due >= now + SEC)
			continue;
		uint64_t t = due < now ? now : due;
		if (t - c->wg_since >= WG_REJECT_AFTER) {
			uint64_t tend;
			wg_handshake(c, t, &tend);
			t = tend + between(100, 900);
		}
		wg_data(c, t, false, 32);
		wg_keepalives++;
	}
}

/* ---------------------------------------------------------------------- */
/* DNS conversations. */

static struct node *pick_resolver(void)
{
	uint32_t r = below(100);
	if (r < 50)
		return &resolvers[RES_GW];
	if (r < 70)
		return &resolvers[RES_GOOGLE + (r & 1)];
	if (r < 90)
		return &resolvers[RES_CF + (r & 1)];
	return &resolvers[RES_QUAD9];
}

/* One lookup as a stub resolver does it: A alone, A and AAAA together from
 * one socket (glibc), or HTTPS + A + AAAA (browsers); an occasional lost
 * answer and retry. */
static void conv_dns(uint64_t t)
{
	struct client *c = pick_client();
	struct node *r = pick_resolver();
	struct qname q;
	pick_name(&q);
	kcount[K_DNS]++;
	uint16_t sp = (uint16_t)between(32768, 60999);
	bool edns = chance(0.6);
	uint16_t types[3];
	size_t nt = 0;
	uint32_t k = below(100);
	if (k < 30) {
		types[nt++] = T_A;
	} else if (k < 75) {
		types[nt++] = T_A;
		types[nt++] = T_AAAA;
	} else if (k < 90) {
		types[nt++] = T_HTTPS;
		types[nt++] = T_A;
		types[nt++] = T_AAAA;
	} else {
		types[nt++] = T_AAAA;
	}
	uint64_t rtt = r == &resolvers[RES_GW] ? between(1, 30) * MS : between(8, 45) * MS;
	bool lost = chance(0.02);
	for (size_t i = 0; i < nt; i++) {
		uint16_t id = (uint16_t)rnd();
		uint64_t tq = t + i * between(20, 200);
		size_t n = dns_query(pl, id, 0x0100, q.name, types[i], 1, edns);
		emit_udp(tq, &c->n, sp, r, 53, n);
		dns_queries++;
		if (lost) {
			/* retry after glibc's timeout, same id */
			emit_udp(tq + 5 * SEC, &c->n, sp, r, 53, n);
			dns_queries++;
			tq += 5 * SEC;
		}
		n = dns_response(pl, id, &q, types[i], edns);
		emit_udp(tq + rtt, r, 53, &c->n, sp, n);
	}
}

/* DNS over TCP (RFC 7766): one connection, several length-prefixed
 * queries, sometimes two in one segment and answers split across two. */
static void conv_dns_tcp(uint64_t t)
{
	struct client *c = pick_client();
	struct node *r = chance(0.5) ? &resolvers[RES_GW] : &resolvers[RES_GOOGLE];
	struct tcpc k;
	kcount[K_DNSTCP]++;
	tcp_open(&k, &c->n, r, 53, t);
	uint32_t nq = between(2, 6);
	uint8_t msg[2][1024];
	for (uint32_t i = 0; i < nq; i++) {
		struct qname q[2];
		uint16_t id[2], type[2];
		size_t batch = (i + 1 < nq && chance(0.2)) ? 2 : 1;
		size_t off = 0;
		for (size_t j = 0; j < batch; j++) {
			pick_name(&q[j]);
			id[j] = (uint16_t)rnd();
			type[j] = chance(0.7) ? T_A : T_AAAA;
			size_t n = dns_query(msg[j] + 2, id[j], 0x0100, q[j].name, type[j], 1, true);
			be16(msg[j], (uint32_t)n);
			memcpy(pl + off, msg[j], n + 2);
			off += n + 2;
			dns_queries++;
		}
		tcp_seg(&k, true, F_PSH | F_ACK, pl, off, between(100, 2000));
		for (size_t j = 0; j < batch; j++) {
			size_t n = dns_response(msg[j] + 2, id[j], &q[j], type[j], true);
			be16(msg[j], (uint32_t)n);
			size_t mlen = n + 2;
			uint64_t dt = j == 0 ? k.rtt : between(50, 300);
			if (chance(0.15)) {
				size_t cut = chance(0.5) ? 2 : 2 + n / 2;
				tcp_seg(&k, false, F_ACK, msg[j], cut, dt);
				tcp_seg(&k, false, F_PSH | F_ACK, msg[j] + cut, mlen - cut,
					between(100, 3000));
			} else {
				tcp_seg(&k, false, F_PSH | F_ACK, msg[j], mlen, dt);
			}
		}
		tcp_seg(&k, true, F_ACK, NULL, 0, between(30, 200));
	}
	tcp_close(&k, true);
}

/* ---------------------------------------------------------------------- */
/* TLS over TCP 443. */

/* A Chrome-shaped TLS 1.3 ClientHello (RFC 8446 4.1.2) with SNI (RFC 6066
 * section 3) and ALPN (RFC 7301); with pq, an X25519Kyber768 key share
 * makes it ~1.8 KB, so it spans two TCP segments. */
static size_t tls_client_hello(uint8_t *p, const char *sni, bool pq)
{
	static const uint8_t suites[] = {0x0a, 0x0a, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b,
					 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8,
					 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f,
					 0x00, 0x35};
	static const uint8_t sigalgs[] = {0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
					  0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01};
	size_t o = 0;
	p[o++] = 0x16, p[o++] = 3, p[o++] = 1, o += 2; /* record, length later */
	size_t hs = o;
	p[o++] = 1, o += 3; /* ClientHello, length later */
	p[o++] = 3, p[o++] = 3;
	fill_random(p + o, 32), o += 32;
	p[o++] = 32, fill_random(p + o, 32), o += 32;
	be16(p + o, sizeof suites), o += 2;
	memcpy(p + o, suites, sizeof suites), o += sizeof suites;
	p[o++] = 1, p[o++] = 0;
	size_t ext = o;
	o += 2;
	/* GREASE */
	be16(p + o, 0x2a2a), be16(p + o + 2, 0), o += 4;
	/* server_name */
	size_t sl = strlen(sni);
	be16(p + o, 0), be16(p + o + 2, (uint32_t)(sl + 5)), be16(p + o + 4, (uint32_t)(sl + 3));
	p[o + 6] = 0, be16(p + o + 7, (uint32_t)sl), memcpy(p + o + 9, sni, sl);
	o += 9 + sl;
	/* extended_master_secret, renegotiation_info */
	be16(p + o, 0x17), be16(p + o + 2, 0), o += 4;
	be16(p + o, 0xff01), be16(p + o + 2, 1), p[o + 4] = 0, o += 5;
	/* supported_groups */
	{
		uint16_t g[5] = {0x4a4a, 0x001d, 0x0017, 0x0018, 0x6399};
		size_t ng = pq ? 5 : 4;
		be16(p + o, 0x0a), be16(p + o + 2, (uint32_t)(2 + 2 * ng)),
			be16(p + o + 4, (uint32_t)(2 * ng));
		o += 6;
		for (size_t i = 0; i < ng; i++)
			be16(p + o, g[i]), o += 2;
	}
	/* ec_point_formats, session_ticket */
	be16(p + o, 0x0b), be16(p + o + 2, 2), p[o + 4] = 1, p[o + 5] = 0, o += 6;
	be16(p + o, 0x23), be16(p + o + 2, 0), o += 4;
	/* ALPN: h2, http/1.1 */
	static const uint8_t alpn[] = {0, 0x10, 0, 14, 0, 12, 2, 'h', '2',
				       8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
	memcpy(p + o, alpn, sizeof alpn), o += sizeof alpn;
	/* status_request */
	static const uint8_t sr[] = {0, 5, 0, 5, 1, 0, 0, 0, 0};
	memcpy(p + o, sr, sizeof sr), o += sizeof sr;
	/* signature_algorithms */
	be16(p + o, 0x0d), be16(p + o + 2, sizeof sigalgs + 2), be16(p + o + 4, sizeof sigalgs);
	memcpy(p + o + 6, sigalgs, sizeof sigalgs), o += 6 + sizeof sigalgs;
	/* signed_certificate_timestamp */
	be16(p + o, 0x12), be16(p + o + 2, 0), o += 4;
	/* key_share: GREASE (1 byte), [X25519Kyber768Draft00 (1216)], x25519 (32) */
	{
		size_t ks = o;
		be16(p + o, 0x33), o += 4 + 2;
		be16(p + o, 0x4a4a), be16(p + o + 2, 1), p[o + 4] = 0, o += 5;
		if (pq) {
			be16(p + o, 0x6399), be16(p + o + 2, 1216), o += 4;
			fill_random(p + o, 1216), o += 1216;
		}
		be16(p + o, 0x1d), be16(p + o + 2, 32), o += 4;
		fill_random(p + o, 32), o += 32;
		be16(p + ks + 2, (uint32_t)(o - ks - 4));
		be16(p + ks + 4, (uint32_t)(o - ks - 6));
	}
	/* psk_key_exchange_modes, supported_versions, compress_certificate */
	be16(p + o, 0x2d), be16(p + o + 2, 2), p[o + 4] = 1, p[o + 5] = 1, o += 6;
	static const uint8_t sv[] = {0, 0x2b, 0, 7, 6, 0x6a, 0x6a, 3, 4, 3, 3};
	memcpy(p + o, sv, sizeof sv), o += sizeof sv;
	static const uint8_t cc[] = {0, 0x1b, 0, 3, 2, 0, 2};
	memcpy(p + o, cc, sizeof cc), o += sizeof cc;
	/* trailing GREASE, then padding to 512 bytes of ClientHello (RFC 7685) */
	be16(p + o, 0x1a1a), be16(p + o + 2, 1), p[o + 4] = 0, o += 5;
	if (!pq && o - hs < 508) {
		size_t padn = 508 - (o - hs);
		be16(p + o, 0x15), be16(p + o + 2, (uint32_t)padn), o += 4;
		memset(p + o, 0, padn), o += padn;
	}
	be16(p + ext, (uint32_t)(o - ext - 2));
	be24(p + hs + 1, (uint32_t)(o - hs - 4));
	be16(p + 3, (uint32_t)(o - 5));
	return o;
}

/* TLS 1.3 application-data records of random bytes, n bytes in all. */
static size_t tls_appdata(uint8_t *p, size_t n)
{
	size_t o = 0;
	while (o + 5 + 1 < n) {
		size_t r = n - o - 5;
		if (r > 16384 + 256)
			r = 16384 + 256;
		p[o] = 0x17, p[o + 1] = 3, p[o + 2] = 3, be16(p + o + 3, (uint32_t)r);
		fill_random(p + o + 5, r);
		o += 5 + r;
	}
	return o;
}

static void conv_tls(uint64_t t)
{
	struct client *c = pick_client();
	char sni[256];
	struct node *s;
	bool doh = chance(0.12);
	if (doh) {
		size_t d = below(NDOH);
		snprintf(sni, sizeof sni, "%s", doh_names[d].name);
		s = &resolvers[doh_names[d].res];
		kcount[K_DOH]++;
	} else {
		uint32_t site = below(NSITES);
		snprintf(sni, sizeof sni, "%s%s", prefixes[below(NPREFIXES)], sites[site]);
		s = &servers[(site * 7 + below(3)) % NSERVERS];
		kcount[K_TLS]++;
	}
	struct tcpc k;
	tcp_open(&k, &c->n, s, 443, t);
	size_t n = tls_client_hello(pl, sni, chance(0.15));
	tcp_stream(&k, true, pl, n);
	/* ServerHello + ChangeCipherSpec + encrypted flight (certificate ...) */
	size_t o = 0;
	pl[o++] = 0x16, pl[o++] = 3, pl[o++] = 3, be16(pl + o, 122), o += 2;
	pl[o++] = 2, be24(pl + o, 118), o += 3;
	pl[o++] = 3, pl[o++] = 3;
	fill_random(pl + o, 32), o += 32;
	pl[o++] = 32, fill_random(pl + o, 32), o += 32;
	pl[o++] = 0x13, pl[o++] = 0x01, pl[o++] = 0;
	be16(pl + o, 46), o += 2;
	be16(pl + o, 0x2b), be16(pl + o + 2, 2), be16(pl + o + 4, 0x0304), o += 6;
	be16(pl + o, 0x33), be16(pl + o + 2, 36), be16(pl + o + 4, 0x1d), be16(pl + o + 6, 32);
	fill_random(pl + o + 8, 32), o += 40;
	pl[o++] = 0x14, pl[o++] = 3, pl[o++] = 3, pl[o++] = 0, pl[o++] = 1, pl[o++] = 1;
	o += tls_appdata(pl + o, between(2500, 5500));
	tcp_stream(&k, false, pl, o);
	/* client Finished + request; server response */
	o = 0;
	pl[o++] = 0x14, pl[o++] = 3, pl[o++] = 3, pl[o++] = 0, pl[o++] = 1, pl[o++] = 1;
	o += tls_appdata(pl + o, 74);
	o += tls_appdata(pl + o, between(200, 900));
	tcp_stream(&k, true, pl, o);
	o = tls_appdata(pl, doh ? between(150, 700) : between(300, 30000));
	tcp_stream(&k, false, pl, o);
	tcp_close(&k, chance(0.6));
}

/* ---------------------------------------------------------------------- */
/* QUIC (RFC 9000 17.2.2): Initial packets of the usual sizes, then
 * short-header traffic; payloads are random (not decryptable). */

static size_t quic_long(uint8_t *p, size_t size, const uint8_t *dcid, size_t dl,
			const uint8_t *scid, size_t sl, bool handshake)
{
	size_t o = 0;
	p[o++] = (uint8_t)(0xc0 | (handshake ? 0x20 : 0) | (rnd() & 0x0f));
	be32(p + o, 1), o += 4;
	p[o++] = (uint8_t)dl;
	if (dl)
		memcpy(p + o, dcid, dl), o += dl;
	p[o++] = (uint8_t)sl;
	if (sl)
		memcpy(p + o, scid, sl), o += sl;
	if (!handshake)
		p[o++] = 0; /* token length */
	size_t rest = size - o - 2;
	be16(p + o, (uint32_t)(0x4000 | rest)), o += 2;
	fill_random(p + o, rest);
	return size;
}

static void conv_quic(uint64_t t)
{
	struct client *c = pick_client();
	uint32_t site = below(NSITES);
	struct node *s = &servers[(site * 7 + below(3)) % NSERVERS];
	uint16_t cp = (uint16_t)between(32768, 60999);
	uint8_t dcid[8], scid[8];
	fill_random(dcid, 8);
	fill_random(scid, 8);
	kcount[K_QUIC]++;
	uint64_t rtt = between(5, 60) * MS;
	size_t n = quic_long(pl, chance(0.7) ? 1252 : 1200, dcid, 8, NULL, 0, false);
	emit_udp(t, &c->n, cp, s, 443, n);
	t += rtt;
	n = quic_long(pl, 1200, NULL, 0, scid, 8, false);
	emit_udp(t, s, 443, &c->n, cp, n);
	n = quic_long(pl, between(900, 1200), NULL, 0, scid, 8, true);
	emit_udp(t + between(20, 200), s, 443, &c->n, cp, n);
	t += between(300, 2000);
	n = quic_long(pl, 1252, scid, 8, NULL, 0, false);
	emit_udp(t, &c->n, cp, s, 443, n);
	uint32_t np = between(2, 40);
	for (uint32_t i = 0; i < np; i++) {
		t += exp_us(400.0);
		size_t m = between(1150, 1350);
		pl[0] = (uint8_t)(0x40 | (rnd() & 0x3f));
		fill_random(pl + 1, m - 1); /* no DCID: the client's SCID was empty */
		emit_udp(t, s, 443, &c->n, cp, m);
		if (i % 3 == 2) {
			size_t a = between(35, 60);
			pl[0] = (uint8_t)(0x40 | (rnd() & 0x3f));
			memcpy(pl + 1, scid, 8);
			fill_random(pl + 9, a - 9);
			emit_udp(t + between(100, 1500), &c->n, cp, s, 443, a);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Link-local name resolution: mDNS (RFC 6762), LLMNR (RFC 4795), ARP. */

static void conv_mdns(uint64_t t)
{
	struct client *c = pick_client();
	kcount[K_MDNS]++;
	const char *svc = mdns_services[below(NMDNS)];
	size_t n;
	bool svcq = chance(0.7);
	char host[64];
	snprintf(host, sizeof host, "%s.local", clients[below(NCLIENTS)].hostname);
	if (svcq)
		n = dns_query(pl, 0, 0, svc, T_PTR, chance(0.3) ? 0x8001 : 1, false);
	else
		n = dns_query(pl, 0, 0, host, chance(0.6) ? T_A : T_AAAA, 1, false);
	emit_udp(t, &c->n, 5353, &mdns_grp, 5353, n);
	if (chance(0.3)) {
		/* an answer from a device that has the service, multicast too:
		 * PTR to its instance name, and its A record */
		struct client *d = pick_client();
		size_t o = 12;
		be16(pl, 0), be16(pl + 2, 0x8400), be16(pl + 4, 0), be16(pl + 6, 2);
		be16(pl + 8, 0), be16(pl + 10, 0);
		size_t owner = o;
		o += put_name(pl + o, svcq ? svc : host, NULL);
		be16(pl + o, svcq ? T_PTR : T_A), be16(pl + o + 2, 0x8001), be32(pl + o + 4, 120);
		o += 10;
		size_t rd = o;
		if (svcq) {
			size_t hl = strlen(d->hostname);
			pl[o++] = (uint8_t)hl, memcpy(pl + o, d->hostname, hl), o += hl;
			be16(pl + o, (uint32_t)(0xc000 | owner)), o += 2;
		} else {
			be32(pl + o, d->n.ip), o += 4;
		}
		be16(pl + rd - 2, (uint32_t)(o - rd));
		/* its address: "<hostname>.local" A */
		size_t hl = strlen(d->hostname);
		pl[o++] = (uint8_t)hl, memcpy(pl + o, d->hostname, hl), o += hl;
		pl[o++] = 5, memcpy(pl + o, "local", 5), o += 5, pl[o++] = 0;
		be16(pl + o, T_A), be16(pl + o + 2, 0x8001), be32(pl + o + 4, 120), be16(pl + o + 8, 4);
		o += 10;
		be32(pl + o, d->n.ip), o += 4;
		emit_udp(t + between(1, 120) * MS, &d->n, 5353, &mdns_grp, 5353, o);
	}
}

static void conv_llmnr(uint64_t t)
{
	struct client *c = pick_client();
	kcount[K_LLMNR]++;
	static const char *const names[] = {"wpad", "fileserver", "printer", "nas", "isatap"};
	struct client *d = NULL;
	char name[64];
	if (chance(0.5)) {
		d = &clients[below(NCLIENTS)];
		snprintf(name, sizeof name, "%s", d->hostname);
	} else {
		snprintf(name, sizeof name, "%s", names[below(5)]);
	}
	uint16_t id = (uint16_t)rnd(), sp = (uint16_t)between(49152, 65535);
	size_t n = dns_query(pl, id, 0, name, chance(0.5) ? T_A : T_AAAA, 1, false);
	emit_udp(t, &c->n, sp, &llmnr_grp, 5355, n);
	/* Windows asks twice, 100 ms apart */
	emit_udp(t + 100 * MS, &c->n, sp, &llmnr_grp, 5355, n);
	if (d != NULL && d != c && chance(0.5)) {
		size_t o = dns_query(pl, id, 0x8000, name, T_A, 1, false);
		be16(pl + 6, 1);
		o += put_rr_head(pl + o, 12, T_A, 30, 4);
		be32(pl + o, d->n.ip), o += 4;
		emit_udp(t + between(1, 20) * MS, &d->n, 5355, &c->n, sp, o);
	}
}

static void conv_arp(uint64_t t)
{
	struct client *c = pick_client();
	kcount[K_ARP]++;
	for (int reply = 0; reply < 2; reply++) {
		uint8_t *e = frame, *a = frame + 14;
		memcpy(e, reply ? c->n.mac : (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 6);
		memcpy(e + 6, reply ? gw.mac : c->n.mac, 6);
		be16(e + 12, 0x0806);
		be16(a, 1), be16(a + 2, 0x0800), a[4] = 6, a[5] = 4, be16(a + 6, reply ? 2 : 1);
		memcpy(a + 8, reply ? gw.mac : c->n.mac, 6);
		be32(a + 14, reply ? gw.ip : c->n.ip);
		if (reply)
			memcpy(a + 18, c->n.mac, 6);
		else
			memset(a + 18, 0, 6);
		be32(a + 24, reply ? c->n.ip : gw.ip);
		size_t len = 42;
		if (!reply) {
			memset(frame + 42, 0, 18);
			len = 60;
		}
		heap_push(t + (reply ? between(100, 900) : 0), frame, len);
	}
}

/* ---------------------------------------------------------------------- */

/* Conversation mixes, in starts per 1000 (README.md shows what they give).
 * The office mix is the default; the carrier mix (-c) is an audit capture
 * that is mostly the tunnel itself: about 94% of the packets WireGuard
 * carrier, 3% DNS, the rest TLS, QUIC and mDNS. */
struct mixent {
	void (*fn)(uint64_t);
	uint32_t per_mille;
};
static const struct mixent mix_office[] = {
	{conv_wg, 180},   {conv_dns, 600},  {conv_dns_tcp, 10}, {conv_tls, 40},
	{conv_quic, 20},  {conv_mdns, 100}, {conv_llmnr, 40},   {conv_arp, 10}, {NULL, 0},
};
static const struct mixent mix_carrier[] = {
	{conv_wg, 565}, {conv_dns, 270}, {conv_tls, 12}, {conv_quic, 11}, {conv_mdns, 142}, {NULL, 0},
};
static const struct mixent *mix = mix_office;

static void spawn(uint64_t t)
{
	uint32_t r = below(1000);
	for (size_t i = 0; mix[i].fn; i++) {
		if (r < mix[i].per_mille) {
			mix[i].fn(t);
			return;
		}
		r -= mix[i].per_mille;
	}
	die("internal: mix does not add up to 1000");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t size_mb, seed = DEFAULT_SEED;
	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		mix = mix_carrier;
		argc--;
		argv++;
	}
	if (argc < 3 || argc > 4 || parse_u64(argv[2], MAX_SIZE_MB, &size_mb) < 0 || size_mb == 0 ||
	    (argc == 4 && parse_u64(argv[3], UINT64_MAX, &seed) < 0)) {
		fprintf(stderr, "usage: genbench [-c] OUT.pcap SIZE_MB [SEED]   (SIZE_MB 1..%d, MiB)\n",
			MAX_SIZE_MB);
		return 2;
	}
	out_name = argv[1];
	uint64_t target = size_mb << 20;

	uint64_t x = seed;
	for (size_t i = 0; i < 4; i++)
		rs[i] = splitmix(&x);
	init_world();

	out = fopen(out_name, "wb");
	if (out == NULL) {
		fprintf(stderr, "genbench: %s: %s\n", out_name, strerror(errno));
		return 1;
	}
	/* our own buffer: with NULL, glibc ignores the size and uses st_blksize */
	static char outbuf[OUTBUF];
	if (setvbuf(out, outbuf, _IOFBF, sizeof outbuf) != 0)
		die("setvbuf failed");
	pcap_header();

	uint64_t next_spawn = T0_US, next_sweep = T0_US;
	while (out_bytes + pend_bytes < target) {
		uint64_t now = next_sweep <= next_spawn ? next_sweep : next_spawn;
		flush_until(now);
		if (next_sweep <= next_spawn) {
			sweep(now);
			next_sweep += SEC;
		} else {
			spawn(now);
			next_spawn = now + exp_us(MEAN_GAP_US);
		}
	}
	flush_until(UINT64_MAX);
	if (fclose(out) != 0) {
		fprintf(stderr, "genbench: %s: %s\n", out_name, strerror(errno));
		return 1;
	}
	free(heap);

	uint64_t flows = 0;
	fprintf(stderr, "genbench: %s: %" PRIu64 " bytes, %" PRIu64 " packets, %.1f s of traffic\n",
		out_name, out_bytes, out_pkts, (double)(last_t - T0_US) / 1e6);
	fprintf(stderr, "genbench: conversations:");
	for (size_t i = 0; i < NK; i++) {
		fprintf(stderr, " %s %" PRIu64, kname[i], kcount[i]);
		if (i != K_WG)
			flows += kcount[i];
	}
	fprintf(stderr, "\ngenbench: %" PRIu64 " DNS queries, %" PRIu64 " WireGuard handshakes, %" PRIu64
		" keepalives, about %" PRIu64 " flows\n",
		dns_queries, wg_handshakes, wg_keepalives, flows + NCLIENTS);
	return 0;
}
