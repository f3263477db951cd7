/* capbuild.h - build packets and write pcap/pcapng files (also damaged ones) for tests. */
#ifndef LS_CAPBUILD_H
#define LS_CAPBUILD_H

/*
 * Standalone: links with libc only (gencap uses it without the analyzer).
 *
 * Conventions.  Builders write into a caller buffer out of size cap and
 * return the number of bytes written, or 0 when an address does not parse
 * or cap is too small.  CB_MAXPKT is always enough.  Addresses are text,
 * "10.0.0.2" or "2001:db8::2"; the family of src decides IPv4 or IPv6.
 * Checksums (IPv4 header, UDP, TCP) are filled in correctly.
 * Writers return 0 or -1 (I/O error; errno is kept).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_MAXPKT 70000

/* ---------------------------------------------------------------------- */
/* Transport and IP */

/* UDP header + payload (RFC 768), checksum over the pseudo-header of
 * src/dst (which must be the IP addresses the segment will travel with). */
size_t cb_udp_seg(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		  uint16_t dport, const void *pl, size_t len);

/* TCP flags for cb_tcp_seg */
#define CB_FIN 0x01
#define CB_SYN 0x02
#define CB_RST 0x04
#define CB_PSH 0x08
#define CB_ACK 0x10

/* TCP header (20 bytes, no options) + payload; window 65535. */
size_t cb_tcp_seg(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		  uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *pl, size_t len);

/* Options for cb_ip(); all-zero means defaults. */
struct cb_ip_opt {
	uint8_t ttl;         /* 0: 64 */
	uint16_t id;         /* IPv4 identification (default 0x1234) */
	bool df;             /* IPv4 Don't Fragment */
	/* IPv4: option bytes (a multiple of 4, at most 40).  IPv6: a chain of
	 * extension headers as raw bytes; ext_nh names the first one, and the
	 * last one's Next Header must be the proto given to cb_ip(). */
	const uint8_t *opts;
	size_t opts_len;
	uint8_t ext_nh;
	/* Lies, for hostile packets: when non-zero, written instead of the
	 * true IPv4 total length / IPv6 payload length. */
	uint16_t len_field;
};

/* IP header (+ options / extension headers) + the given transport bytes. */
size_t cb_ip(uint8_t *out, size_t cap, const char *src, const char *dst, uint8_t proto,
	     const struct cb_ip_opt *o, const void *l4, size_t l4len);

/* IP + UDP, IP + TCP in one call (o may be NULL). */
size_t cb_ip_udp(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport, const struct cb_ip_opt *o, const void *pl, size_t len);
size_t cb_ip_tcp(uint8_t *out, size_t cap, const char *src, const char *dst, uint16_t sport,
		 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const struct cb_ip_opt *o,
		 const void *pl, size_t len);

/* Fragments of one IP packet.  Free with cb_frags_free(). */
struct cb_frags {
	size_t n;
	uint8_t **pkt; /* each a complete IP packet */
	size_t *len;
};

/*
 * Splits an IPv4 or IPv6 packet into fragments carrying at most chunk
 * payload bytes each (rounded down to a multiple of 8, at least 8), in
 * order.  IPv4 keeps the header (and its id); IPv6 inserts a fragment
 * header with identification id after the unfragmentable part (the IPv6
 * header and any leading hop-by-hop / routing headers).  Returns 0 or -1.
 */
int cb_fragment(const uint8_t *ip, size_t len, size_t chunk, uint32_t id, struct cb_frags *out);
void cb_frags_free(struct cb_frags *f);

/* Builds one raw IPv4 fragment: header for src/dst/proto/id with the given
 * byte offset (multiple of 8) and MF flag, carrying data.  For overlap
 * tests where fragments are made by hand. */
size_t cb_ip4_frag(uint8_t *out, size_t cap, const char *src, const char *dst, uint8_t proto,
		   uint16_t id, uint32_t offset, bool more, const void *data, size_t len);
/* Same for IPv6 (fragment header right after the fixed header). */
size_t cb_ip6_frag(uint8_t *out, size_t cap, const char *src, const char *dst, uint8_t nh,
		   uint32_t id, uint32_t offset, bool more, const void *data, size_t len);

/* ---------------------------------------------------------------------- */
/* Link layers */

struct cb_link {
	uint8_t src_mac[6], dst_mac[6]; /* Ethernet; SLL/SLL2 address = src_mac */
	int nvlan;                      /* Ethernet/SLL: 802.1Q tags, outer first (max 8) */
	uint16_t vlan[8];               /* TCI (the id is the low 12 bits) */
	uint16_t tpid[8];               /* 0: 0x8100 */
	bool pppoe;                     /* Ethernet: PPPoE session header */
	uint16_t pppoe_sid;
	uint16_t hatype;                /* SLL/SLL2 ARPHRD_* (cb_link_init: 1) */
	uint8_t halen;                  /* SLL/SLL2 address length (cb_link_init: 6) */
	uint16_t pkttype;               /* SLL/SLL2 packet type (cb_link_init: 4 outgoing) */
	uint32_t ifindex;               /* SLL2 (cb_link_init: 1) */
	bool null_be;                   /* NULL: family written big-endian */
	uint32_t af6;                   /* NULL/LOOP AF_INET6 value (cb_link_init: 30, Darwin) */
	bool ppp_no_addr;               /* PPP/PPP_HDLC: omit ff 03 */
	bool ppp_pfc;                   /* PPP: 1-byte compressed protocol field */
	bool chdlc;                     /* PPP_HDLC: Cisco HDLC framing instead */
	const char *nflog_prefix;       /* NFLOG: NFULA_PREFIX TLV (NULL: none) */
	bool nflog_be;                  /* NFLOG: TLV lengths/types big-endian */
	bool nflog_no_payload;          /* NFLOG: omit the payload TLV */
};

/* Defaults: src_mac 02:00:00:00:00:02, dst_mac 02:00:00:00:00:01, hatype 1,
 * halen 6, pkttype 4 (outgoing), ifindex 1, af6 30. */
void cb_link_init(struct cb_link *l);

/*
 * Puts an IP packet inside the link layer of linktype (1 EN10MB, 0 NULL,
 * 9 PPP, 12/101 RAW, 50 PPP_HDLC, 108 LOOP, 113 LINUX_SLL, 228 IPV4,
 * 229 IPV6, 239 NFLOG, 276 LINUX_SLL2).  The EtherType, family or PPP
 * protocol follows the IP version nibble.  l NULL: cb_link_init defaults.
 * Returns 0 for an unknown link type.
 */
size_t cb_link_wrap(uint8_t *out, size_t cap, int linktype, const struct cb_link *l,
		    const uint8_t *ip, size_t len);

/* An Ethernet frame with any EtherType (ARP, LLDP, ... or a length). */
size_t cb_eth_raw(uint8_t *out, size_t cap, const struct cb_link *l, uint16_t type,
		  const void *payload, size_t len);

/* Ethernet + IPv4/IPv6 + UDP in one call.  buf needs len + 62 bytes. */
size_t cb_udp4(uint8_t *buf, const uint8_t mac_src[6], const uint8_t mac_dst[6], const char *src,
	       const char *dst, uint16_t sport, uint16_t dport, const void *payload, size_t len);

/* ---------------------------------------------------------------------- */
/* Tunnel headers (issue 3).  Each writes its header followed by the inner
 * bytes (an IP packet, an Ethernet frame from cb_eth_raw, or a PPP frame
 * from cb_ppp); the result goes into cb_ip (GRE: proto 47) or cb_ip_udp
 * (the tunnel's port).  Fields marked "lie" write a wrong value when
 * non-zero, for hostile tests. */

/* GRE, RFC 2784/2890 (version 0) or PPTP's enhanced GRE, RFC 2637 (pptp:
 * version 1, key = payload length + call id, protocol should be 0x880b). */
struct cb_gre_opt {
	bool csum;           /* version 0: C bit, checksum over header and payload */
	bool has_key;
	uint32_t key;        /* version 0 */
	bool has_seq;
	uint32_t seq;
	bool pptp;
	uint16_t call_id;    /* pptp */
	bool has_ack;        /* pptp: A bit and acknowledgement number */
	uint32_t ack;
	uint16_t len_field;  /* pptp, lie: payload length */
	uint8_t flags0, flags1; /* lie: OR-ed into the two flag bytes */
};
size_t cb_gre(uint8_t *out, size_t cap, const struct cb_gre_opt *o, uint16_t proto, const void *inner,
	      size_t len);

/* A PPP frame (RFC 1661/1662): ff 03 when addr_ctrl, the protocol in one
 * byte when pfc and it fits (RFC 1661 6.5), else two. */
size_t cb_ppp(uint8_t *out, size_t cap, bool addr_ctrl, bool pfc, uint16_t proto, const void *pl,
	      size_t len);

/* VXLAN, RFC 7348: flags (0x08 = I bit), VNI, then the Ethernet frame. */
size_t cb_vxlan(uint8_t *out, size_t cap, uint8_t flags, uint32_t vni, const void *frame, size_t len);

/* Geneve, RFC 8926: version 0, the options (optlen a multiple of 4, at
 * most 252, raw bytes), protocol type (0x6558 Ethernet, 0x0800, 0x86dd). */
size_t cb_geneve(uint8_t *out, size_t cap, uint16_t proto, uint32_t vni, const void *opts, size_t optlen,
		 const void *inner, size_t len);

/* Teredo, RFC 4380 5.1.1: optional authentication and origin indication
 * headers, then the IPv6 packet. */
struct cb_teredo_opt {
	bool auth;
	uint8_t id_len, au_len; /* client id and auth value lengths (filled with 0xaa, 0xbb) */
	bool origin;
	uint16_t origin_port;   /* written obfuscated (XOR 0xffff), as the RFC says */
	const char *origin_addr; /* IPv4, obfuscated (XOR 0xffffffff); NULL: 192.0.2.1 */
};
size_t cb_teredo(uint8_t *out, size_t cap, const struct cb_teredo_opt *o, const void *ip6, size_t len);

/* GTP-U, 3GPP TS 29.281: GTPv1, PT 1, TEID.  ext: raw extension headers
 * (each length byte, content, next type), ext_first the type announced in
 * the optional fields; with ext or seq the 4 optional bytes are present. */
struct cb_gtpu_opt {
	uint8_t type;        /* message type; 0: 255 (G-PDU) */
	bool seq;
	uint16_t seqno;
	uint8_t ext_first;
	const uint8_t *ext;
	size_t ext_len;
	uint16_t len_field;  /* lie */
	uint8_t flags;       /* lie: replaces the first byte */
};
size_t cb_gtpu(uint8_t *out, size_t cap, uint32_t teid, const struct cb_gtpu_opt *o, const void *inner,
	       size_t len);

/* L2TPv2, RFC 2661 3.1: tunnel and session ids, optional length, Ns/Nr and
 * offset fields; control sets the T bit (then has_len and has_seq should
 * be set too, as the RFC demands). */
struct cb_l2tp_opt {
	bool control;
	bool has_len;
	bool has_seq;
	uint16_t ns, nr;
	bool has_off;
	uint16_t off;        /* offset size; that many zero bytes of padding follow */
	uint16_t len_field;  /* lie */
	uint8_t version;     /* lie: 0 means 2 */
};
size_t cb_l2tp(uint8_t *out, size_t cap, uint16_t tunnel, uint16_t session, const struct cb_l2tp_opt *o,
	       const void *pl, size_t len);

/* ---------------------------------------------------------------------- */
/* DNS messages (RFC 1035) */

/* A query for name (dotted, no trailing dot needed), class IN, RD set. */
size_t cb_dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype);
/* The response to that query with one A record (name compressed). */
size_t cb_dns_answer_a(uint8_t *out, size_t cap, uint16_t id, const char *name, const char *ipv4,
		       uint32_t ttl);

/* ---------------------------------------------------------------------- */
/* pcap writer */

#define CB_NANO 1u /* pcap: nanosecond magic a1b23c4d */
#define CB_BE 2u   /* big-endian file (pcap and pcapng) */

struct cb_pcap;
struct cb_pcap *cb_pcap_open(const char *path, int linktype, uint32_t snaplen, unsigned flags);
/* Writes data[0..caplen); wirelen is the original length. */
int cb_pcap_write(struct cb_pcap *w, int64_t sec, uint32_t nsec, const void *data, uint32_t caplen,
		  uint32_t wirelen);
/* A record whose header says caplen_field while n bytes follow: damage. */
int cb_pcap_write_raw(struct cb_pcap *w, int64_t sec, uint32_t nsec, uint32_t caplen_field,
		      uint32_t wirelen, const void *data, size_t n);
/* Byte offset the next record will be written at. */
long cb_pcap_tell(struct cb_pcap *w);
int cb_pcap_close(struct cb_pcap *w);

/* ---------------------------------------------------------------------- */
/* pcapng writer */

struct cb_idb_opt {
	const char *name; /* if_name */
	const char *desc; /* if_description */
	bool has_tsresol;
	uint8_t tsresol;  /* raw if_tsresol byte: 9 = ns, 0x80|n = 2^-n */
	bool has_tsoffset;
	int64_t tsoffset; /* seconds */
};

struct cb_png;
/* Creates the file and writes its first Section Header Block. */
struct cb_png *cb_png_open(const char *path, unsigned flags);
/* Starts a new section (interface ids restart at 0). */
int cb_png_shb(struct cb_png *w);
/* Same, switching the byte order of this and later blocks (flags: CB_BE). */
int cb_png_shb_ex(struct cb_png *w, unsigned flags);
/* Interface Description Block; returns the interface id in the section,
 * or -1. o may be NULL. */
int cb_png_idb(struct cb_png *w, int linktype, uint32_t snaplen, const struct cb_idb_opt *o);
/* Enhanced Packet Block; the time is converted to the interface's units. */
int cb_png_epb(struct cb_png *w, uint32_t iface, int64_t sec, uint32_t nsec, const void *data,
	       uint32_t caplen, uint32_t wirelen);
/* EPB with a raw timestamp and a caplen field that may lie about the n
 * data bytes that follow. */
int cb_png_epb_raw(struct cb_png *w, uint32_t iface, uint64_t ts_units, uint32_t caplen_field,
		   uint32_t wirelen, const void *data, size_t n);
/* Simple Packet Block (interface 0, no timestamp). */
int cb_png_spb(struct cb_png *w, const void *data, uint32_t caplen, uint32_t wirelen);
/* Obsolete Packet Block (type 2). */
int cb_png_pb(struct cb_png *w, uint16_t iface, int64_t sec, uint32_t nsec, const void *data,
	      uint32_t caplen, uint32_t wirelen);
/* Any block: body padded to 4 bytes, correct lengths. */
int cb_png_block(struct cb_png *w, uint32_t type, const void *body, size_t len);
/* Any block with the given leading and trailing length fields (lies). */
int cb_png_block_raw(struct cb_png *w, uint32_t type, const void *body, size_t len,
		     uint32_t lead_len, uint32_t trail_len);
long cb_png_tell(struct cb_png *w);
int cb_png_close(struct cb_png *w);

/* ---------------------------------------------------------------------- */
/* Files */

/* A fresh file name under $TMPDIR (or /tmp) ending in suffix; the empty
 * file is created.  Returns 0 or -1.  The caller unlinks it. */
int cb_tmpname(char *buf, size_t len, const char *suffix);
int cb_write_file(const char *path, const void *data, size_t n);
/* Cuts the file to size bytes (damage: truncated record or block). */
int cb_truncate(const char *path, uint64_t size);
/* File size, or -1. */
long cb_file_size(const char *path);

#endif
