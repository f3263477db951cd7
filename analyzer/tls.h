/* tls.h - TLS ClientHello parsing (SNI, ALPN, versions, ECH) and TLS record counting. */
#ifndef LS_TLS_H
#define LS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Limits.  A TLS record carries at most 2^14 bytes of plaintext (RFC 8446
 * 5.1); RFC 8446 5.2 allows 256 more for a protected record, and we accept
 * that much slack on the handshake records of a ClientHello too.  The
 * ClientHello itself may span records; we reassemble at most
 * TLS_HS_BODY_MAX bytes of it (a real one is 200..2000 bytes; even with
 * post-quantum key shares it stays far below), so a hostile length cannot
 * make us buffer more than that.
 */
#define TLS_RECORD_MAX (16384 + 256)
#define TLS_HS_BODY_MAX 16384
#define TLS_HS_MAX (TLS_HS_BODY_MAX + 4)    /* with the handshake header */
/* Records of any type, for the record counter: RFC 5246 6.2.3 lets a
 * TLS 1.2 TLSCiphertext be 2^14 + 2048 bytes long (CBC padding + MAC). */
#define TLS_CIPHERTEXT_MAX (16384 + 2048)
#define TLS_MAX_EXTENSIONS 128  /* extensions examined; more set TLS_ANOM_TOO_MANY_EXT */
#define TLS_SNI_MAX 255         /* text bytes kept of the server name */
#define TLS_ALPN_TEXT_MAX 256   /* bytes of the joined ALPN text, with the NUL */

/* Why a ClientHello was refused (return -1), or TLS_OK. */
enum tls_err {
	TLS_OK = 0,
	TLS_ERR_NOT_HANDSHAKE,   /* a record that is not a handshake record (content type != 22), SSLv2 */
	TLS_ERR_RECORD_VERSION,  /* record version major != 3 or minor > 4 */
	TLS_ERR_RECORD_LEN,      /* record length 0 or > TLS_RECORD_MAX */
	TLS_ERR_NOT_CLIENT_HELLO,/* handshake type != 1 */
	TLS_ERR_HS_LEN,          /* handshake length > TLS_HS_BODY_MAX or too short for a ClientHello */
	TLS_ERR_VERSION,         /* legacy_version major != 3 */
	TLS_ERR_SESSION_ID,      /* session id length > 32 */
	TLS_ERR_CIPHERS,         /* cipher suites length odd, 0, or past the end */
	TLS_ERR_COMPRESSION,     /* compression methods length 0 or past the end */
	TLS_ERR_EXTENSIONS,      /* extensions block length past the end, or a partial extension header */
	TLS_ERR_EXTENSION,       /* one extension's length runs past the extensions block */
	TLS_ERR_TRUNCATED,       /* a fixed field runs past the handshake length */
};

/* Anomalies: odd or hostile encodings inside a ClientHello that parsed. */
#define TLS_ANOM_DUP_EXT          0x0001 /* the same extension type twice (RFC 8446 4.2) */
#define TLS_ANOM_TOO_MANY_EXT     0x0002 /* more than TLS_MAX_EXTENSIONS: the rest not examined */
#define TLS_ANOM_BAD_SNI          0x0004 /* server_name list length lies, empty name, or two host names */
#define TLS_ANOM_SNI_CHARS        0x0008 /* bytes outside 0x21..0x7e in the name (written as '?') */
#define TLS_ANOM_SNI_NOT_HOSTNAME 0x0010 /* printable, but not letters, digits, '-', '_', '.' */
#define TLS_ANOM_SNI_TOO_LONG     0x0020 /* longer than TLS_SNI_MAX (cut) */
#define TLS_ANOM_BAD_ALPN         0x0040 /* ALPN list length lies or a 0-length protocol name */
#define TLS_ANOM_ALPN_CUT         0x0080 /* joined ALPN text longer than TLS_ALPN_TEXT_MAX - 1 (cut) */
#define TLS_ANOM_ALPN_CHARS       0x0100 /* ALPN bytes outside 0x21..0x7e, or ',' (written as '?') */
#define TLS_ANOM_BAD_VERSIONS     0x0200 /* supported_versions list malformed */
#define TLS_ANOM_TRAILING         0x0400 /* bytes after the extensions block inside the handshake */

struct tls_hello {
	enum tls_err err;         /* why -1 was returned; TLS_OK otherwise */
	uint16_t record_version;  /* of the first record; 0 from tls_parse_handshake */
	unsigned records;         /* records the ClientHello spanned (0 from tls_parse_handshake) */
	uint16_t legacy_version;  /* ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3) */
	/*
	 * Highest version offered: the largest non-GREASE entry of
	 * supported_versions (RFC 8446 4.2.1; TLS 1.3 drafts 0x7fXX count as
	 * 0x0304), or legacy_version when that extension is absent or empty.
	 */
	uint16_t max_version;
	bool has_supported_versions;
	/*
	 * First host_name (type 0) entry of server_name (RFC 6066 3): bytes
	 * 0x21..0x7e kept (upper case folded to lower), any other byte written
	 * as '?', cut at TLS_SNI_MAX bytes.  sni_invalid is set when any byte was
	 * replaced, the name was cut or empty, it holds characters a host name
	 * cannot have, or the extension around it was malformed (TLS_ANOM_SNI_*,
	 * TLS_ANOM_BAD_SNI).  "" when there is no name.  The text
	 * contains no control character, tab or newline; XML/HTML escaping of
	 * < > & " stays the writer's job.
	 */
	char sni[TLS_SNI_MAX + 1];
	bool has_sni;
	bool sni_invalid;
	/* With ECH or ESNI present the SNI is the outer, public name of the
	 * client-facing server, not the name really asked for. */
	bool sni_is_outer;
	bool ech;                 /* encrypted_client_hello 0xfe0d (and drafts 0xfe08..0xfe0c) */
	bool esni;                /* encrypted_server_name 0xffce (ESNI drafts) */
	/* ALPN (RFC 7301): protocols joined with ',', each sanitised as the SNI
	 * (',' itself becomes '?'), case kept; "" when absent. */
	char alpn[TLS_ALPN_TEXT_MAX];
	uint16_t alpn_count;
	/* Exact byte matches on the protocol names as sent. */
	bool alpn_dot;            /* "dot" (DNS over TLS) */
	bool alpn_h2;             /* "h2" */
	bool alpn_http11;         /* "http/1.1" */
	bool alpn_doq;            /* "doq" (RFC 9250), or a draft "doq-iNN" */
	uint16_t cipher_count;    /* cipher suites offered, GREASE included */
	uint16_t ext_count;       /* extensions examined, GREASE included (<= TLS_MAX_EXTENSIONS) */
	uint32_t anomalies;       /* TLS_ANOM_* */
};

/*
 * Parses the first bytes a TLS client sent on a TCP stream: one or more
 * handshake records (RFC 8446 5.1) carrying a ClientHello, which may span
 * records.  Every length is checked against what is left before use; no
 * allocation (a ClientHello spanning records is reassembled into a
 * TLS_HS_MAX-byte buffer on the stack).  *out is overwritten.
 *
 * Returns 0: a ClientHello parsed (fields above; oddities inside
 *            extensions are in out->anomalies, they do not fail the parse);
 *        1: need more data: every byte so far is consistent, but a record
 *           or the handshake message says it is longer than len;
 *       -1: not a ClientHello, or malformed; out->err says why.
 * Bytes after the ClientHello (the rest of its last record, later records)
 * are not looked at.
 */
int tls_parse_client_hello(const uint8_t *p, size_t len, struct tls_hello *out);

/*
 * The same for a handshake message without the record layer, as QUIC
 * carries it in CRYPTO frames (RFC 9001 4): p starts at the 4-byte
 * handshake header.  Same return values; record_version and records are 0.
 */
int tls_parse_handshake(const uint8_t *p, size_t len, struct tls_hello *out);

/*
 * Strips the record headers from a stream prefix: copies the payloads of
 * consecutive handshake records into buf until buf holds the whole first
 * handshake message (header + body).  cap bounds the copy (use TLS_HS_MAX).
 * Returns 0 with *hs_len = 4 + body length (bytes of buf used; payload
 * bytes after the message are not copied) and *records = records read;
 * 1 when more bytes are needed; -1 with *err set when the bytes are not
 * handshake records or the message would not fit in cap.
 */
int tls_unwrap_handshake(const uint8_t *p, size_t len, uint8_t *buf, size_t cap, size_t *hs_len,
			 unsigned *records, enum tls_err *err);

/* "not-handshake", "record-length", ...: a short name for reports. */
const char *tls_err_str(enum tls_err e);

/* ---------------------------------------------------------------------- */
/*
 * TLS record counting, one direction of a connection: used to estimate how
 * many DNS messages a DoT connection carried (each query is usually one
 * application_data record; TLS 1.3 also sends its encrypted handshake and
 * session tickets as application_data: about 1 extra record from the client
 * (Finished) and 2..6 from the server).
 *
 * Feed the bytes of one direction in order, either a reassembled stream in
 * any slices, or the payloads of successive packets: a record may span
 * feeds.  A header that does not look like TLS (content type outside 20..24,
 * version major != 3 or minor > 4, length > TLS_CIPHERTEXT_MAX) counts a
 * desync; the rest of that feed is skipped and the next feed is taken to
 * start on a record boundary (true of packets from most stacks, which write
 * one record per send).  Each header consumes 5 bytes and each body its
 * length, so a feed of n bytes takes O(n) time whatever it holds.
 */
#define TLS_CT_FIRST 20
#define TLS_CT_N 5 /* change_cipher_spec 20, alert 21, handshake 22, application_data 23, heartbeat 24 */

struct tls_rec_dir {
	uint64_t records[TLS_CT_N]; /* complete headers seen, by content type - 20 */
	uint64_t app_bytes;         /* sum of the application_data record lengths */
	uint64_t desyncs;           /* headers that did not look like TLS */
	uint32_t body_left;         /* bytes of the current record still to skip */
	uint8_t hdr[5];             /* a header cut by the end of a feed */
	uint8_t hdr_have;
};

struct tls_rec_count {
	struct tls_rec_dir dir[2];  /* [0]: client to server, [1]: server to client */
};

/* Zeroes the state. */
void tls_rec_init(struct tls_rec_count *c);
/* Feeds len bytes of direction dir (0 or 1; other values are ignored). */
void tls_count_app_records(struct tls_rec_count *c, int dir, const uint8_t *p, size_t len);
/* The one-direction worker behind it. */
void tls_rec_feed(struct tls_rec_dir *d, const uint8_t *p, size_t len);

#endif
