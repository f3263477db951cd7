/* carrier-evidence.h - is this flow a VPN carrier?  Only on evidence that no name-resolution message produces. */
#ifndef LS_CARRIER_EVIDENCE_H
#define LS_CARRIER_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

/*
 * A carrier is claimed per flow, from a two-sided exchange or a sustained
 * shape that a DNS, mDNS, LLMNR or NetBIOS message cannot take:
 *
 *   WireGuard  initiation and response with matching sender/receiver
 *              indexes, or transport data with a constant receiver index
 *              and rising counters in each direction (WireGuard paper 5.4);
 *   OpenVPN    the client's hard reset one way and the server's the other
 *              (never both ways: a DNS response repeats its query's first
 *              byte), or the server echoing the client's session id in an
 *              ACK, or a sustained data channel with constant opcode/key
 *              and peer id both ways (openvpn ssl_pkt.h / RFC-less wire
 *              format as documented in OpenVPN's "Protocol" page);
 *   IKE        a request and a reply with the same initiator SPI
 *              (RFC 7296 3.1; IKEv1 RFC 2408 3.1), on 500 or 4500 behind
 *              the non-ESP marker (RFC 3948 2.2);
 *   ESP        a constant SPI (>= 256, RFC 4303 2.1) and rising sequence
 *              numbers in each direction, in IP protocol 50 or UDP 4500;
 *   OpenConnect / AnyConnect: DTLS records (RFC 6347 4.1) with a constant
 *              epoch and rising sequence numbers both ways on UDP 443;
 *   SSH        protocol banners both ways (RFC 4253 4.2): a candidate only
 *              (an SSH session is a tunnel only when used as one);
 *   Tor        a TLS ClientHello with no ALPN and Tor's random server name
 *              ("www." + 8 to 20 base-32 characters + ".com"/".net", tor's
 *              tortls.c), besides every flow nDPI calls Tor.
 *
 * One-sided evidence (only one direction was captured, or the server never
 * answered) counts only when sustained, and never on a flow whose payloads
 * parsed as name resolution.
 */

enum cev_strength {
	CEV_NONE = 0,
	CEV_ONE_SIDED = 1, /* sustained in one direction, nothing contradicting it */
	CEV_TWO_SIDED = 2, /* an exchange both ways */
};

struct cev_flow; /* per-flow state, allocated on the first packet of a candidate shape */

struct cev_claim {
	enum tunnel_kind kind;
	enum cev_strength strength;
	const char *why;     /* static text: which messages */
	uint64_t frame;      /* the frame that completed the evidence (1-based, in its file) */
	uint32_t file_idx;   /* that frame's capture */
	bool candidate_only; /* shown to the user, never applied as a description (SSH) */
};

/*
 * Feeds one packet of a flow.  proto 17, 6 or 50; dir 0 from the flow's
 * initiator; d/n the transport payload (for ESP the ESP header on).  May
 * allocate *st, owned by the caller and released with cev_free.  Reads at
 * most n bytes of d; does nothing once the flow's evidence is two-sided or
 * CEV_MAX_PACKETS packets were looked at.
 */
#define CEV_MAX_PACKETS 64
void cev_packet(struct cev_flow **st, uint8_t proto, uint16_t sport, uint16_t dport, const uint8_t *d, uint32_t n,
		int dir, uint64_t frame, uint32_t file_idx);

/* A TLS ClientHello read on the flow (sni "" when none). */
void cev_tls_hello(struct cev_flow **st, const char *sni, bool has_alpn, uint16_t sport, uint16_t dport,
		   uint64_t frame, uint32_t file_idx);

/*
 * The flow's claim.  dns_parsed: some payload of the flow parsed as name
 * resolution; then only two-sided evidence counts.  Returns false (and
 * leaves *out alone) when there is none.
 */
bool cev_claim(const struct cev_flow *st, bool dns_parsed, struct cev_claim *out);

void cev_free(struct cev_flow **st);

/* Shape checks for single messages.  cev_wg_type: the WireGuard message
 * type (1 initiation 148 bytes, 2 response 92, 3 cookie reply 64, 4
 * transport data 32 + 16k), 0 for none; the reserved bytes are not looked
 * at (Cloudflare WARP puts a client id there): carrier.c's carrier_wg_msg
 * asks for them to be zero. */
int cev_wg_type(const uint8_t *d, uint32_t n);
bool cev_ike_shaped(const uint8_t *d, uint32_t n);
/* Tor's random TLS server name (see above). */
bool cev_tor_sni(const char *sni);

const char *cev_strength_str(enum cev_strength s); /* "high", "medium", "none" */

#endif
