/* carrier-evidence.c - VPN carriers claimed on two-sided or sustained evidence (WireGuard, OpenVPN, IKE, ESP, DTLS, SSH, Tor). */
#include "carrier-evidence.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* How many consistent messages make sustained evidence. */
#define WG_TWO_WAY 3     /* transport messages per direction */
#define WG_ONE_WAY 16    /* transport messages, the other direction silent */
#define WG_INITS_ALONE 3 /* unanswered initiations */
#define OVPN_DATA_RUN 6  /* data-channel packets per direction */
#define OVPN_CTL_RUN 3   /* control packets per direction, same session id */
#define ESP_TWO_WAY 3
#define ESP_ONE_WAY 12
#define DTLS_TWO_WAY 3
#define IKE_ALONE 3
#define REORDER 64       /* counters may arrive this far out of order */

struct seqrun {
	uint64_t id;   /* receiver index, SPI, epoch, opcode byte + peer id */
	uint64_t max;  /* highest counter seen */
	uint16_t good; /* consistent messages */
	bool set;
};

/* A message with identity id and counter ctr; rising counters under one id
 * count, a new id after a long run is a rekey (kept), after a short one a
 * fresh start. */
static void run_add(struct seqrun *r, uint64_t id, uint64_t ctr, bool need_rise)
{
	if (!r->set || r->id != id) {
		if (r->set && r->good >= 4) {
			r->id = id;
			r->max = ctr;
			return;
		}
		r->set = true;
		r->id = id;
		r->max = ctr;
		r->good = 1;
		return;
	}
	if (need_rise) {
		if (ctr > r->max) {
			r->max = ctr;
		} else if (ctr + REORDER <= r->max || ctr == r->max) {
			return; /* a replay or a counter running backwards: no evidence */
		}
	}
	if (r->good < UINT16_MAX)
		r->good++;
}

struct cev_flow {
	uint16_t looked;
	uint64_t pkts[2];
	enum cev_strength best;
	enum tunnel_kind kind;
	const char *why;
	uint64_t frame;
	uint32_t file_idx;
	bool candidate_only;
	bool strong; /* a shape no name-resolution flow can take, even in both directions */
	bool wg_reserved_set; /* WARP-style non-zero reserved bytes seen */

	/* WireGuard */
	uint32_t wg_init_sender[2];
	uint16_t wg_inits[2];
	bool wg_init_seen[2];
	struct seqrun wg[2];
	/* OpenVPN */
	bool ov_reset_cli[2], ov_reset_srv[2];
	uint8_t ov_sid[2][8];
	bool ov_sid_set[2];
	uint16_t ov_ctl_same[2];
	bool ov_echo; /* one side echoed the other's session id */
	struct seqrun ov_data[2];
	uint32_t ov_len[2];
	bool ov_len_varies[2];
	/* IKE */
	uint8_t ike_spi[2][8];
	uint16_t ike_msgs[2];
	/* ESP */
	struct seqrun esp[2];
	/* DTLS */
	struct seqrun dtls[2];
	/* SSH */
	bool ssh_banner[2];
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The four WireGuard messages by type and exact size (WireGuard paper
 * 5.4): initiation 148, response 92, cookie reply 64, transport data 32 +
 * a multiple of 16.  The three reserved bytes are zero in WireGuard;
 * Cloudflare WARP puts a client id there, so they are not required here:
 * a single message proves nothing either way, the index/counter
 * consistency across messages does. */
int cev_wg_type(const uint8_t *d, uint32_t n)
{
	if (n < 32)
		return 0;
	if ((d[0] == 1 && n == 148) || (d[0] == 2 && n == 92) || (d[0] == 3 && n == 64) ||
	    (d[0] == 4 && (n - 32) % 16 == 0))
		return d[0];
	return 0;
}

bool cev_ike_shaped(const uint8_t *d, uint32_t n)
{
	if (n < 28)
		return false;
	static const uint8_t zero8[8];
	if (memcmp(d, zero8, 8) == 0 || (d[17] != 0x20 && d[17] != 0x10))
		return false;
	uint8_t x = d[18];
	bool v2 = d[17] == 0x20 && x >= 34 && x <= 43;
	bool v1 = d[17] == 0x10 && (x == 2 || x == 4 || x == 5 || x == 32 || x == 33);
	return (v1 || v2) && be32(d + 24) == n;
}

bool cev_tor_sni(const char *sni)
{
	size_t n = strlen(sni);
	if (n < 4 + 8 + 4 || n > 4 + 20 + 4 || strncmp(sni, "www.", 4) != 0)
		return false;
	const char *tld = sni + n - 4;
	if (strcmp(tld, ".com") != 0 && strcmp(tld, ".net") != 0)
		return false;
	unsigned digits = 0, vowels = 0;
	for (const char *c = sni + 4; c < tld; c++) {
		if (*c >= '2' && *c <= '7')
			digits++;
		else if (*c < 'a' || *c > 'z')
			return false;
		else if (strchr("aeiou", *c))
			vowels++;
	}
	/* random base 32: digits appear, or words would have vowels */
	size_t len = (size_t)(tld - sni - 4);
	return digits > 0 || vowels * 5 < len;
}

static void claim(struct cev_flow *s, enum tunnel_kind k, enum cev_strength st, const char *why, uint64_t frame,
		  uint32_t file_idx, bool candidate, bool strong)
{
	if (st < s->best || (st == s->best && (!strong || s->strong)))
		return;
	s->strong = strong;
	s->best = st;
	s->kind = k;
	s->why = why;
	s->frame = frame;
	s->file_idx = file_idx;
	s->candidate_only = candidate;
}

static void wg_packet(struct cev_flow *s, const uint8_t *d, uint32_t n, int dir, uint64_t fr, uint32_t fi)
{
	int t = cev_wg_type(d, n);
	if (d[0] == 0xc4)
		t = 0;
	if (t && (d[1] || d[2] || d[3]))
		s->wg_reserved_set = true;
	/* with zero reserved bytes no DNS response is WireGuard-shaped (its
	 * flags byte has QR set); with WARP's client id, one might be */
	bool strong = !s->wg_reserved_set;
	if (t == 1) {
		s->wg_init_sender[dir] = le32(d + 4);
		s->wg_init_seen[dir] = true;
		if (s->wg_inits[dir] < UINT16_MAX)
			s->wg_inits[dir]++;
		if (s->wg_inits[dir] >= WG_INITS_ALONE && s->pkts[!dir] == 0)
			claim(s, TK_WIREGUARD, CEV_ONE_SIDED, "WireGuard handshake initiations, unanswered", fr, fi, false, true);
	} else if (t == 2) {
		uint32_t receiver = le32(d + 8);
		if (s->wg_init_seen[!dir] && receiver == s->wg_init_sender[!dir])
			claim(s, TK_WIREGUARD, CEV_TWO_SIDED,
			      "WireGuard handshake: an initiation and the response naming its sender index", fr, fi, false,
			      strong);
	} else if (t == 4 || (d[0] == 0xc4 && n >= 32)) {
		/* 0xc4: Cloudflare WARP's variant of the transport message
		 * (types 0xc1..0xc4, a client id in the reserved bytes, other
		 * sizes), counted the same way but never strong evidence */
		if (d[0] == 0xc4)
			s->wg_reserved_set = true;
		run_add(&s->wg[dir], le32(d + 4), le64(d + 8), true);
		if (s->wg[0].good >= WG_TWO_WAY && s->wg[1].good >= WG_TWO_WAY)
			claim(s, TK_WIREGUARD, CEV_TWO_SIDED,
			      "WireGuard transport data both ways: constant receiver indexes, rising counters", fr, fi, false,
			      strong);
		else if (s->wg[dir].good >= WG_ONE_WAY && s->pkts[!dir] == 0)
			claim(s, TK_WIREGUARD, CEV_ONE_SIDED,
			      "WireGuard transport data one way: constant receiver index, rising counters", fr, fi, false, true);
	}
}

/* OpenVPN opcodes (the high 5 bits of the first byte). */
enum {
	OV_RESET_CLI_V1 = 1,
	OV_RESET_SRV_V1 = 2,
	OV_SOFT_RESET = 3,
	OV_CONTROL = 4,
	OV_ACK = 5,
	OV_DATA_V1 = 6,
	OV_RESET_CLI_V2 = 7,
	OV_RESET_SRV_V2 = 8,
	OV_DATA_V2 = 9,
	OV_RESET_CLI_V3 = 10,
	OV_CONTROL_WKC = 11,
};

/* Does this control packet carry the other side's session id where an
 * ACK puts it: after the ack array, with no tls-auth HMAC, or behind a
 * 20- or 32-byte HMAC plus packet id and time (tls-auth)? */
static bool ov_echoes(const uint8_t *d, uint32_t n, const uint8_t *other_sid)
{
	static const uint32_t hmac[] = {0, 20 + 8, 32 + 8};
	for (size_t h = 0; h < sizeof(hmac) / sizeof(hmac[0]); h++) {
		uint32_t off = 9 + hmac[h];
		if (off >= n)
			continue;
		uint32_t acks = d[off];
		if (acks == 0 || acks > 8)
			continue;
		uint32_t sid = off + 1 + 4 * acks;
		if (sid + 8 <= n && memcmp(d + sid, other_sid, 8) == 0)
			return true;
	}
	return false;
}

static void ovpn_packet(struct cev_flow *s, const uint8_t *d, uint32_t n, int dir, uint64_t fr, uint32_t fi)
{
	if (n < 1)
		return;
	unsigned op = d[0] >> 3;
	bool control = op == OV_RESET_CLI_V1 || op == OV_RESET_SRV_V1 || op == OV_SOFT_RESET || op == OV_CONTROL ||
		       op == OV_ACK || op == OV_RESET_CLI_V2 || op == OV_RESET_SRV_V2 || op == OV_RESET_CLI_V3 ||
		       op == OV_CONTROL_WKC;
	if (control && n >= 9 + 5) {
		if (op == OV_RESET_CLI_V1 || op == OV_RESET_CLI_V2 || op == OV_RESET_CLI_V3)
			s->ov_reset_cli[dir] = true;
		if (op == OV_RESET_SRV_V1 || op == OV_RESET_SRV_V2)
			s->ov_reset_srv[dir] = true;
		if (!s->ov_sid_set[dir]) {
			memcpy(s->ov_sid[dir], d + 1, 8);
			s->ov_sid_set[dir] = true;
		} else if (memcmp(s->ov_sid[dir], d + 1, 8) == 0 && s->ov_ctl_same[dir] < UINT16_MAX) {
			s->ov_ctl_same[dir]++;
		}
		if (s->ov_sid_set[!dir] && memcmp(s->ov_sid[!dir], d + 1, 8) != 0 && ov_echoes(d, n, s->ov_sid[!dir]))
			s->ov_echo = true;
		/* A DNS response repeats its query's first byte, so DNS shows
		 * a "server reset" both ways or not at all; OpenVPN's client
		 * never sends one.  And each side keeps its session id over
		 * the next control packet (retransmitted DNS keeps its bytes
		 * too, but then both sides "reset" alike). */
		bool pair = (s->ov_reset_cli[0] && s->ov_reset_srv[1] && !s->ov_reset_srv[0] && !s->ov_reset_cli[1]) ||
			    (s->ov_reset_cli[1] && s->ov_reset_srv[0] && !s->ov_reset_srv[1] && !s->ov_reset_cli[0]);
		bool sids = s->ov_sid_set[0] && s->ov_sid_set[1] && memcmp(s->ov_sid[0], s->ov_sid[1], 8) != 0;
		if (pair && sids && (s->ov_echo || (s->ov_ctl_same[0] >= 1 && s->ov_ctl_same[1] >= 1)))
			claim(s, TK_OPENVPN, CEV_TWO_SIDED,
			      s->ov_echo ? "OpenVPN hard reset from the client and the server's reply acknowledging its session id"
					 : "OpenVPN hard reset from the client, the server's reply, one session id per side",
			      fr, fi, false, true);
		return;
	}
	if ((op == OV_DATA_V1 && n >= 1 + 4 + 16) || (op == OV_DATA_V2 && n >= 4 + 4 + 16)) {
		uint64_t id = d[0];
		if (op == OV_DATA_V2)
			id = id << 24 | (uint64_t)d[1] << 16 | (uint64_t)d[2] << 8 | d[3];
		run_add(&s->ov_data[dir], id, 0, false);
		if (s->ov_len[dir] == 0)
			s->ov_len[dir] = n;
		else if (s->ov_len[dir] != n)
			s->ov_len_varies[dir] = true;
		/* Sequential DNS ids share their first byte: a DNS flow can look
		 * like this, so it is no evidence against parsed DNS (weak), and
		 * lengths must vary (DNS retransmissions and repeated names do
		 * not). */
		if (s->ov_data[0].good >= OVPN_DATA_RUN && s->ov_data[1].good >= OVPN_DATA_RUN && s->ov_len_varies[0] &&
		    s->ov_len_varies[1])
			claim(s, TK_OPENVPN, CEV_TWO_SIDED,
			      "OpenVPN data channel both ways: constant opcode, key id and peer id", fr, fi, false, false);
	}
}

static void ike_packet(struct cev_flow *s, const uint8_t *d, uint32_t n, int dir, uint64_t fr, uint32_t fi)
{
	if (!cev_ike_shaped(d, n))
		return;
	if (s->ike_msgs[dir] == 0)
		memcpy(s->ike_spi[dir], d, 8);
	if (memcmp(s->ike_spi[dir], d, 8) == 0 && s->ike_msgs[dir] < UINT16_MAX)
		s->ike_msgs[dir]++;
	if (s->ike_msgs[!dir] && memcmp(s->ike_spi[!dir], d, 8) == 0)
		claim(s, TK_IPSEC, CEV_TWO_SIDED, "IKE request and reply with the same initiator SPI", fr, fi, false, true);
	else if (s->ike_msgs[dir] >= IKE_ALONE && s->pkts[!dir] == 0)
		claim(s, TK_IPSEC, CEV_ONE_SIDED, "IKE requests with one initiator SPI, unanswered", fr, fi, false, true);
}

static void esp_packet(struct cev_flow *s, const uint8_t *d, uint32_t n, int dir, uint64_t fr, uint32_t fi)
{
	if (n < 8 + 12)
		return;
	uint32_t spi = be32(d), seq = be32(d + 4);
	if (spi < 256 || seq == 0)
		return;
	run_add(&s->esp[dir], spi, seq, true);
	if (s->esp[0].good >= ESP_TWO_WAY && s->esp[1].good >= ESP_TWO_WAY)
		claim(s, TK_IPSEC, CEV_TWO_SIDED, "ESP both ways: one SPI per direction, rising sequence numbers", fr, fi, false, true);
	else if (s->esp[dir].good >= ESP_ONE_WAY && s->pkts[!dir] == 0)
		claim(s, TK_IPSEC, CEV_ONE_SIDED, "ESP one way: one SPI, rising sequence numbers", fr, fi, false, true);
}

static void dtls_packet(struct cev_flow *s, const uint8_t *d, uint32_t n, int dir, uint64_t fr, uint32_t fi)
{
	/* DTLS 1.0 (0xfeff), 1.2 (0xfefd), and Cisco's pre-standard DTLS
	 * (0x0100, OpenSSL's DTLS1_BAD_VER) that AnyConnect and OpenConnect
	 * still speak */
	if (n < 13 || d[0] < 20 || d[0] > 23)
		return;
	if (!(d[1] == 0xfe && (d[2] == 0xff || d[2] == 0xfd)) && !(d[1] == 0x01 && d[2] == 0x00))
		return;
	uint32_t len = (uint32_t)d[11] << 8 | d[12];
	if (len > n - 13)
		return;
	uint64_t epoch = (uint64_t)d[3] << 8 | d[4];
	uint64_t seq = 0;
	for (int i = 5; i < 11; i++)
		seq = seq << 8 | d[i];
	run_add(&s->dtls[dir], epoch, seq + 1, true);
	if (s->dtls[0].good >= DTLS_TWO_WAY && s->dtls[1].good >= DTLS_TWO_WAY)
		claim(s, TK_OPENCONNECT, CEV_TWO_SIDED,
		      "DTLS on udp/443 both ways (OpenConnect/AnyConnect): constant epochs, rising sequence numbers", fr, fi, false, true);
}

static bool may_start(uint8_t proto, uint16_t sport, uint16_t dport, const uint8_t *d, uint32_t n)
{
	if (proto == 50)
		return n >= 8;
	if (proto == 17) {
		if (cev_wg_type(d, n) || (d[0] == 0xc4 && n >= 32))
			return true;
		if ((sport == 500 || dport == 500) && n >= 28)
			return true;
		if ((sport == 4500 || dport == 4500) && n >= 8)
			return true;
		if ((sport == 443 || dport == 443) && n >= 13 && d[0] >= 20 && d[0] <= 23 && (d[1] == 0xfe || d[1] == 1))
			return true;
		unsigned op = d[0] >> 3;
		return n >= 14 && op >= 1 && op <= 11;
	}
	if (proto == 6) {
		if (n >= 8 && memcmp(d, "SSH-", 4) == 0)
			return true;
		if (n >= 16 && (uint32_t)(d[0] << 8 | d[1]) == n - 2) {
			unsigned op = d[2] >> 3;
			return op >= 1 && op <= 11;
		}
	}
	return false;
}

void cev_packet(struct cev_flow **st, uint8_t proto, uint16_t sport, uint16_t dport, const uint8_t *d, uint32_t n,
		int dir, uint64_t frame, uint32_t file_idx)
{
	struct cev_flow *s = *st;
	if (!s) {
		if (n == 0 || !may_start(proto, sport, dport, d, n))
			return;
		s = *st = xcalloc(1, sizeof(*s));
	}
	dir = dir ? 1 : 0;
	if (s->best == CEV_TWO_SIDED || s->looked >= CEV_MAX_PACKETS || n == 0)
		return;
	s->looked++;
	s->pkts[dir]++;
	if (proto == 50) {
		esp_packet(s, d, n, dir, frame, file_idx);
		return;
	}
	if (proto == 17) {
		bool p500 = sport == 500 || dport == 500, p4500 = sport == 4500 || dport == 4500;
		if (p500) {
			ike_packet(s, d, n, dir, frame, file_idx);
			return;
		}
		if (p4500) {
			/* RFC 3948 2.2: a zero non-ESP marker before IKE, an SPI
			 * (never zero) before ESP; 0xff alone is a keepalive */
			if (n >= 4 && !d[0] && !d[1] && !d[2] && !d[3])
				ike_packet(s, d + 4, n - 4, dir, frame, file_idx);
			else
				esp_packet(s, d, n, dir, frame, file_idx);
			return;
		}
		if (sport == 443 || dport == 443)
			dtls_packet(s, d, n, dir, frame, file_idx);
		wg_packet(s, d, n, dir, frame, file_idx);
		ovpn_packet(s, d, n, dir, frame, file_idx);
		return;
	}
	if (proto == 6) {
		if (n >= 8 && (memcmp(d, "SSH-2.0-", 8) == 0 || (n >= 9 && memcmp(d, "SSH-1.99-", 9) == 0))) {
			s->ssh_banner[dir] = true;
			if (s->ssh_banner[0] && s->ssh_banner[1])
				claim(s, TK_SSH, CEV_TWO_SIDED, "SSH protocol banners both ways (a tunnel only if used as one)",
				      frame, file_idx, true, true);
			return;
		}
		if (n >= 16 && (uint32_t)(d[0] << 8 | d[1]) == n - 2)
			ovpn_packet(s, d + 2, n - 2, dir, frame, file_idx);
	}
}

void cev_tls_hello(struct cev_flow **st, const char *sni, bool has_alpn, uint16_t sport, uint16_t dport,
		   uint64_t frame, uint32_t file_idx)
{
	(void)sport;
	(void)dport;
	if (has_alpn || !cev_tor_sni(sni))
		return;
	if (!*st)
		*st = xcalloc(1, sizeof(**st));
	claim(*st, TK_TOR, CEV_ONE_SIDED, "TLS ClientHello with Tor's random server name and no ALPN", frame, file_idx,
	      false, true);
}

bool cev_claim(const struct cev_flow *s, bool dns_parsed, struct cev_claim *out)
{
	if (!s || s->best == CEV_NONE)
		return false;
	if (dns_parsed && (s->best != CEV_TWO_SIDED || !s->strong))
		return false;
	out->kind = s->kind;
	out->strength = s->best;
	out->why = s->why;
	out->frame = s->frame;
	out->file_idx = s->file_idx;
	out->candidate_only = s->candidate_only;
	return true;
}

void cev_free(struct cev_flow **st)
{
	free(*st);
	*st = NULL;
}

const char *cev_strength_str(enum cev_strength s)
{
	return s == CEV_TWO_SIDED ? "high" : s == CEV_ONE_SIDED ? "medium" : "none";
}
