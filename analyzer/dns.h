/* dns.h - DNS wire format (RFC 1035, 3596, 2782, 6891, 9460) for DNS, mDNS and LLMNR messages. */
#ifndef LS_DNS_H
#define LS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Names are kept in presentation format: labels joined by '.', the root as
 * ".", and every byte outside 0x21..0x7e, plus '.' and '\\' inside a label,
 * written as \DDD or \. \\ (RFC 4343 / dig style).  Text never contains a
 * tab, a newline or a NUL, so it is safe for TSV; XML/HTML escaping of
 * < > & " is still the writer's job.  A 255-byte wire name is at most 1003
 * text bytes.
 */
#define DNS_NAME_TEXT_MAX 1024
#define DNS_MAX_QUESTIONS 16  /* questions kept per message; more are counted */
#define DNS_MAX_RRS 32        /* records kept per message (all sections); more are counted */
#define DNS_RDATA_TEXT_MAX 512 /* rdata text is cut (and marked with "...") past this */
/*
 * Compression pointers followed per name.  Every pointer must go strictly
 * backwards, so a walk always ends; the cap only bounds the work a crafted
 * chain of pointers-to-pointers can cause.  Real compressors add at least
 * one label per hop and rarely exceed a handful.
 */
#define DNS_MAX_PTR_HOPS 64
/* Questions walked at most: past them, DNS_ANOM_TOO_MANY_QUESTIONS and no
 * records (they lie beyond the questions not walked). */
#define DNS_MAX_QDCOUNT (DNS_MAX_QUESTIONS * 64)

/* Anomaly bits: hostile or odd encodings seen while parsing (evidence). */
#define DNS_ANOM_COMPRESSION_LOOP  0x0001 /* pointer hop cap reached or pointer not strictly backwards */
#define DNS_ANOM_FORWARD_POINTER   0x0002
#define DNS_ANOM_LABEL_TOO_LONG    0x0004 /* label type 01/10 or length > 63 */
#define DNS_ANOM_NAME_TOO_LONG     0x0008 /* > 255 wire bytes */
#define DNS_ANOM_COUNT_MISMATCH    0x0010 /* counts claim more records than the message holds */
#define DNS_ANOM_TRUNCATED_RR      0x0020 /* a record runs past the end / rdlength lies */
#define DNS_ANOM_TRAILING_BYTES    0x0040 /* bytes after the last declared record */
#define DNS_ANOM_TOO_MANY_QUESTIONS 0x0080 /* more than DNS_MAX_QUESTIONS; extras not kept */
#define DNS_ANOM_TOO_MANY_RRS      0x0100
#define DNS_ANOM_BAD_RDATA         0x0200 /* rdata does not fit its type (A with 5 bytes, a bad
                                           * name inside it, ...); set alone: name bits raised
                                           * inside such rdata are dropped */
#define DNS_ANOM_BAD_CHARS         0x0400 /* label bytes outside letters, digits, '-', '_' */
#define DNS_ANOM_POINTER_INTO_HEADER 0x0800 /* compression pointer to offset < 12 */
#define DNS_ANOM_RESERVED_Z        0x1000 /* the reserved Z flag (0x0040) is set */
#define DNS_ANOM_ODD_OPCODE        0x2000 /* opcode 3 or 7..15 (unassigned in DNS; NBNS uses 7, 8, 9, 15) */
#define DNS_ANOM_BAD_OPT           0x4000 /* OPT outside additional, owner not root, or more than one */

struct dns_question {
	char name[DNS_NAME_TEXT_MAX];
	uint16_t qtype;
	uint16_t qclass;   /* without the mDNS unicast-response bit */
	bool unicast_resp; /* mDNS QU bit (top bit of qclass, RFC 6762 5.4) */
};

enum dns_section { DNS_SEC_ANSWER = 1, DNS_SEC_AUTHORITY = 2, DNS_SEC_ADDITIONAL = 3 };

struct dns_rr {
	enum dns_section section;
	char name[DNS_NAME_TEXT_MAX];
	uint16_t type;
	uint16_t rclass;   /* without the mDNS cache-flush bit; for OPT the raw UDP size */
	bool cache_flush;  /* mDNS cache-flush bit (top bit of rclass, RFC 6762 10.2); never for OPT */
	uint32_t ttl;
	/*
	 * rdata in text.  Names inside rdata use the same presentation format as
	 * owner names (no trailing dot, the root as ".").
	 *   A, AAAA        192.0.2.1 / 2001:db8::1
	 *   NS CNAME PTR DNAME   target
	 *   MX             10 mx.example.com
	 *   SOA            mname rname serial refresh retry expire minimum
	 *   TXT            "one" "two \"q\" \\"   (each string quoted; " and \
	 *                  escaped with \, bytes outside 0x20..0x7e as \DDD)
	 *   SRV            prio weight port target
	 *   SVCB/HTTPS     prio target key=value ... (RFC 9460: mandatory=alpn,port
	 *                  alpn=h2,h3 no-default-alpn port=443 ipv4hint=a,b
	 *                  ech=<base64> ipv6hint=a,b keyN=hex)
	 *   OPT            udp=1232 extrcode=0 version=0 do=1 [z=0x...] then the
	 *                  options: nsid="text" (or nsid=hex), ecs=addr/src/scope,
	 *                  cookie=hex, padding=len, optN=hex
	 *   NSEC           next-name TYPE TYPE ...
	 *   CAA            flags tag "value"
	 *   DS             keytag alg digesttype HEX
	 *   DNSKEY         flags protocol alg keytag=N keylen=N
	 *   RRSIG          covered alg labels origttl expiration inception keytag
	 *                  signer siglen=N (times as YYYYMMDDHHMMSS UTC)
	 *   anything else  \# len HEX (RFC 3597), also used when the rdata does not
	 *                  fit its type (DNS_ANOM_BAD_RDATA is then set)
	 * Text longer than DNS_RDATA_TEXT_MAX - 4 is cut and ends in "...".
	 */
	char data[DNS_RDATA_TEXT_MAX];
};

struct dns_msg {
	uint16_t id;
	bool qr, aa, tc, rd, ra, ad, cd;
	uint8_t opcode;
	uint16_t rcode;    /* with the EDNS extended bits when OPT present */
	uint16_t qdcount, ancount, nscount, arcount; /* as declared in the header */
	size_t nq;         /* questions parsed and kept */
	struct dns_question q[DNS_MAX_QUESTIONS];
	size_t nrr;        /* records parsed and kept */
	struct dns_rr rr[DNS_MAX_RRS];
	bool edns;
	uint16_t edns_udp_size;
	uint32_t anomalies; /* DNS_ANOM_* */
};

/*
 * Parses a DNS, mDNS, LLMNR or NBNS message of len bytes (for TCP, without
 * the 2-byte length prefix).  *m is overwritten; only q[0..nq) and
 * rr[0..nrr) are meaningful afterwards.  No allocation, no recursion;
 * bounded time: each name walk reads at most 255 wire bytes and follows at
 * most DNS_MAX_PTR_HOPS pointers, and every record consumes at least 11
 * bytes, so the work is O(len * DNS_MAX_PTR_HOPS) at worst.
 *
 * Returns -1 ("these bytes are not DNS"; the caller uses it to decide that a
 * flow on port 53 is something else, e.g. WireGuard or OpenVPN) when:
 *   - len < 12;
 *   - qdcount == 0 and ancount == 0 (nothing to learn);
 *   - any declared question (the first DNS_MAX_QDCOUNT when qdcount is
 *     larger: the rest are not walked, DNS_ANOM_TOO_MANY_QUESTIONS is set
 *     and no record is read) does not parse completely: its name (labels,
 *     compression rules below), qtype and qclass must all be present, and
 *     qclass, after the mDNS QU bit is taken off, must be IN (1), CH (3),
 *     HS (4), NONE (254) or ANY (255);
 *   - qdcount == 0 and the first answer does not parse completely or its
 *     class (without the cache-flush bit) is not one of the classes above
 *     (mDNS responses and known-answer continuations have qdcount 0).
 * Otherwise returns 0, even when later records are cut short or malformed:
 * records are read until the first one that does not parse, and what was
 * wrong is recorded in m->anomalies (evidence, not a reason to stop).
 * Unassigned opcodes (3, 7..15) are accepted with DNS_ANOM_ODD_OPCODE,
 * because NBNS uses 7 (WACK), 8/9 (refresh) and 15 (multi-homed), and the
 * qclass and name checks already refuse random bytes.
 *
 * Names (RFC 1035 4.1.4): a pointer must point strictly before the start of
 * the label sequence being read (so a walk always terminates), and not into
 * the 12-byte header; a self pointer or one into the current sequence sets
 * DNS_ANOM_COMPRESSION_LOOP, a forward one DNS_ANOM_FORWARD_POINTER, more
 * than DNS_MAX_PTR_HOPS pointers DNS_ANOM_COMPRESSION_LOOP; label types
 * 0x40/0x80 set DNS_ANOM_LABEL_TOO_LONG; more than 255 wire bytes set
 * DNS_ANOM_NAME_TOO_LONG.  Each of these fails the name.  Case is kept as
 * sent (mDNS, 0x20 randomisation).  Names inside rdata may point anywhere
 * backwards in the message, but their inline part must stay inside rdlength.
 *
 * mDNS: the top bit of a question's qclass goes to unicast_resp and the top
 * bit of a record's class to cache_flush (except OPT, whose class is the UDP
 * size).  This is done for every message: a unicast DNS message with those
 * bits set is odd, and the caller knows the port.
 *
 * EDNS: the first OPT record in the additional section sets edns,
 * edns_udp_size and the upper 8 bits of rcode (RFC 6891 6.1.3).  OPT
 * records past DNS_MAX_RRS still count.
 *
 * NBNS (RFC 1002 4.2): the header layout is the same (the B flag 0x0010 is
 * reported in cd).  The question name is a single label of 32 letters
 * 'A'..'P' (plus any NetBIOS scope labels), all printable, so q[i].name
 * starts with the 32 encoded bytes unescaped: pass (const uint8_t *)name
 * and 32 to nbns_decode_name when strlen(name) >= 32 and name[32] is '\0'
 * or '.'.  qtype NB is 0x20 and NBSTAT 0x21 (the same number as SRV, so an
 * NBSTAT answer renders as \# with DNS_ANOM_BAD_RDATA).
 */
int dns_parse(const uint8_t *p, size_t len, struct dns_msg *m);

/* "A", "AAAA", "HTTPS", ... or NULL when unknown (callers print TYPE123). */
const char *dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ... or NULL when unknown. */
const char *dns_rcode_name(uint16_t rcode);

/*
 * Decodes a NetBIOS first-level encoded name (RFC 1001 14.1, 32 bytes 'A'..'P'
 * per nibble) into "NAME<1c>" form: trailing spaces removed, the suffix byte
 * in hex between < >, non-printable bytes as \DDD.  Returns 0 or -1.
 * enc points at the 32 encoded bytes (without the 0x20 length byte that
 * precedes them on the wire); enc_len must be exactly 32 and every byte
 * 'A'..'P', else -1.  Trailing spaces and trailing NULs of the 15-byte name
 * are removed (the wildcard "*" is NUL-padded: "*<00>"); '\' is written as
 * "\\".  out needs at most 66 bytes; -1 when outlen is too small.
 */
int nbns_decode_name(const uint8_t *enc, size_t enc_len, char *out, size_t outlen);

#endif
