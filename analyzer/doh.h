/* doh.h - DNS over HTTPS seen in cleartext: HTTP/1.1 messages, HTTP/2 prior knowledge (h2c) with HPACK, base64url. */
#ifndef LS_DOH_H
#define LS_DOH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * RFC 8484 sends a DNS message either as the base64url "dns" parameter of a
 * GET, or as the body of a POST, with media type application/dns-message;
 * the answer comes back as a body of the same type.  The JSON APIs of
 * Google and Cloudflare (GET ?name=example.com&type=A, Accept:
 * application/dns-json) are recognised too, and their name and type
 * returned as text.  Everything here reads hostile bytes: every length is
 * checked against what is present, and every buffer has a cap.
 */

#define DOH_MSG_MAX 65535          /* a DNS message (RFC 8484 6: no larger than TCP DNS) */
#define DOH_HEAD_MAX 16384         /* HTTP/1 head bytes looked at before giving up */
#define DOH_HEADER_LINES_MAX 100   /* header lines in an HTTP/1 head (request/status line apart) */
#define DOH_PATH_TEXT_MAX 1024     /* request target text kept for reports (cut past it) */
#define DOH_HOST_MAX 256
#define DOH_FIELD_MAX 128          /* content-type, accept */
#define DOH_METHOD_MAX 16
#define DOH_JSON_NAME_MAX 1024     /* a 255-byte name with every byte as \DDD fits */
#define DOH_JSON_TYPE_MAX 16

/* Why a message was refused (return -1), or DOH_OK. */
enum doh_err {
	DOH_OK = 0,
	DOH_ERR_NOT_HTTP,          /* request or status line is not HTTP/1.0 or 1.1 */
	DOH_ERR_HEAD_TOO_LARGE,    /* no end of head within DOH_HEAD_MAX bytes */
	DOH_ERR_TOO_MANY_HEADERS,  /* more than DOH_HEADER_LINES_MAX header lines */
	DOH_ERR_BAD_HEADER,        /* a header line without ':', a bad name, space before ':', obs-fold */
	DOH_ERR_CONTENT_LENGTH,    /* not a number, two different values, or > DOH_MSG_MAX for a DNS body */
	DOH_ERR_CHUNKED,           /* chunked body framing broken or larger than DOH_MSG_MAX */
	DOH_ERR_H2_PREFACE,        /* h2c: no client preface, or first frame not SETTINGS */
	DOH_ERR_H2_FRAME,          /* h2c: frame length over H2 hard cap, or a frame that breaks framing */
	DOH_ERR_H2_CONTINUATION,   /* h2c: header block interrupted or larger than its cap */
	DOH_ERR_HPACK,             /* h2c: header block undecodable; the HPACK state is lost */
};

enum doh_kind {
	DOH_KIND_NONE = 0,         /* HTTP, but not a DNS message */
	DOH_KIND_WIRE_GET,         /* GET ?dns=<base64url> */
	DOH_KIND_WIRE_POST,        /* POST, Content-Type application/dns-message */
	DOH_KIND_JSON_GET,         /* GET ?name=...&type=... (JSON API) */
	DOH_KIND_WIRE_RESPONSE,    /* response, Content-Type application/dns-message */
	DOH_KIND_JSON_RESPONSE,    /* response, Content-Type application/dns-json (body is JSON text) */
};

/* Anomalies: odd encodings in a message that was accepted. */
#define DOH_ANOM_BAD_BASE64     0x00001 /* dns= present but not base64url (msg_len 0) */
#define DOH_ANOM_DUP_PARAM      0x00002 /* dns= (or name=) given twice: the first is used */
#define DOH_ANOM_BARE_LF        0x00004 /* a line ended by LF alone */
#define DOH_ANOM_CHUNKED        0x00008 /* Transfer-Encoding: chunked */
#define DOH_ANOM_CL_AND_TE      0x00010 /* Content-Length and Transfer-Encoding together (smuggling) */
#define DOH_ANOM_FIELD_CUT      0x00020 /* a kept field was longer than its buffer */
#define DOH_ANOM_FIELD_CHARS    0x00040 /* control or non-ASCII bytes in a kept field (written '?') */
#define DOH_ANOM_NO_LENGTH      0x00080 /* response body delimited by connection close */
#define DOH_ANOM_MSG_CUT        0x00100 /* body or decoded message over DOH_MSG_MAX / stream cap: cut */
#define DOH_ANOM_H2_FRAME_SIZE  0x00200 /* frame over the peer's SETTINGS_MAX_FRAME_SIZE (but <= 65535) */
#define DOH_ANOM_H2_BAD_FRAME   0x00400 /* padding over the payload, wrong fixed length, stream 0 misuse */
#define DOH_ANOM_H2_STREAMS     0x00800 /* more than DOH_H2_MAX_STREAMS open: oldest dropped */
#define DOH_ANOM_H2_CONN_CAP    0x01000 /* connection body cap reached: bodies dropped */
#define DOH_ANOM_HPACK_FIELDS   0x02000 /* more than DOH_HPACK_FIELDS_MAX fields in a block */
#define DOH_ANOM_HPACK_LATE_SIZE 0x04000 /* table size update after a field (RFC 7541 4.2) */

/* ---------------------------------------------------------------------- */
/* base64url (RFC 4648 5). */

/*
 * Decodes n characters of base64url into out (at most cap bytes).  The
 * alphabet is A-Z a-z 0-9 '-' '_'; '=' padding is accepted only at the end
 * and only where it completes a 4-character group; without padding a final
 * group of 2 or 3 characters is accepted, 1 is not.  The standard-alphabet
 * '+' and '/' are refused like any other character.
 * Returns 0 with *out_len, or -1 (bad character, bad length or padding,
 * output would exceed cap).  Never writes past out + cap.
 */
int doh_base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* ---------------------------------------------------------------------- */
/* HTTP/1.x (RFC 9112). */

struct doh_req {
	enum doh_err err;           /* why -1 was returned */
	enum doh_kind kind;
	char method[DOH_METHOD_MAX];
	char path[DOH_PATH_TEXT_MAX];   /* request target, bytes outside 0x21..0x7e as '?', cut */
	char host[DOH_HOST_MAX];
	char content_type[DOH_FIELD_MAX];
	char accept[DOH_FIELD_MAX];
	bool has_content_length;
	uint64_t content_length;
	bool chunked;
	/* JSON API: name (DNS presentation text: bytes outside 0x21..0x7e as
	 * \DDD, one trailing '.' removed) and type as given ("" when absent:
	 * the APIs then use A). */
	char json_name[DOH_JSON_NAME_MAX];
	char json_type[DOH_JSON_TYPE_MAX];
	size_t head_len;            /* bytes up to and including the blank line */
	/* Bytes of this request: the head plus the body read (DoH messages) or
	 * declared by Content-Length (others).  A chunked body of a request
	 * that is not DoH is not walked: consumed is head_len, body_unread set. */
	size_t consumed;
	bool body_unread;
	uint32_t anomalies;         /* DOH_ANOM_* */
	size_t msg_len;             /* DNS message: decoded dns= or the POST body */
	uint8_t msg[DOH_MSG_MAX];
};

struct doh_resp {
	enum doh_err err;
	enum doh_kind kind;         /* WIRE_RESPONSE, JSON_RESPONSE or NONE */
	uint16_t status;
	char content_type[DOH_FIELD_MAX];
	bool has_content_length;
	uint64_t content_length;
	bool chunked;
	size_t head_len;
	size_t consumed;            /* as for doh_req */
	bool body_unread;
	uint32_t anomalies;
	size_t msg_len;             /* the body of a DoH response */
	uint8_t msg[DOH_MSG_MAX];
};

/*
 * Parses one HTTP/1.0 or 1.1 request starting at p (a client's stream
 * from a message boundary).  *out is overwritten (it is ~70 KB: keep it
 * off small stacks).  A request line may be preceded by up to 8 CR/LF
 * bytes (RFC 9112 2.2).  Bare LF line ends are accepted and flagged.
 *
 * DoH kinds: a GET whose query has a "dns" parameter (percent-decoded, then
 * base64url-decoded into msg; a bad value sets DOH_ANOM_BAD_BASE64 with
 * msg_len 0); a POST with Content-Type application/dns-message (its body
 * into msg: Content-Length or chunked, at most DOH_MSG_MAX); a GET with a
 * "name" parameter when Accept or a "ct" parameter says application/dns-json
 * or the path is /resolve or /dns-query (JSON API).  Anything else is
 * DOH_KIND_NONE, and its body is not read.
 *
 * Returns 0: parsed; 1: need more (no end of head yet within DOH_HEAD_MAX
 * and under DOH_HEADER_LINES_MAX lines, or a DoH body not complete);
 * -1: refused, out->err says why.
 */
int doh_http1_request(const uint8_t *p, size_t len, struct doh_req *out);

/*
 * The same for a response.  A 1xx, 204 or 304 response has no body; a
 * DoH response with neither Content-Length nor chunked runs to the end of
 * what is given (DOH_ANOM_NO_LENGTH): call it at the end of the flow.
 */
int doh_http1_response(const uint8_t *p, size_t len, struct doh_resp *out);

/* ---------------------------------------------------------------------- */
/* HPACK (RFC 7541). */

/*
 * Dynamic table size cap.  The protocol starts every table at 4096 bytes,
 * but an endpoint may allow more with SETTINGS_HEADER_TABLE_SIZE, and the
 * encoder then grows its table with a size update: Chrome and Firefox
 * announce 65536, and Google's DoH server answers with 12288
 * (suricata-verify dns-over-http2, frame 8).  A decoder that cannot follow
 * such an update loses every later header block of that direction, so the
 * cap is the browsers' 65536.  A table starts at min(4096, cap) and only
 * grows when the encoder says so; its bytes are allocated as it grows.
 */
#define DOH_HPACK_TABLE_MAX 65536
#define DOH_HPACK_ENTRIES_MAX (DOH_HPACK_TABLE_MAX / 32)
#define DOH_HPACK_STRING_MAX 8192  /* bytes of a decoded name or value passed to the callback */
#define DOH_HPACK_FIELDS_MAX 256   /* fields passed on per block; more only keep the table in sync */

/*
 * Decodes a Huffman-coded string (RFC 7541 5.2, Appendix B) of n bytes into
 * out.  Output past cap is not written, but the whole input is still
 * checked; *out_len is the full decoded length.  Returns 0, or -1 when the
 * EOS symbol appears, or the padding is longer than 7 bits or not all ones.
 */
int doh_huffman_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/*
 * One decoder (one direction of a connection).  Memory: the entry ring
 * (16 KiB) once the first entry is added, and table bytes kept at twice
 * the current maximum size (at most 128 KiB); the decoder also uses ~16 KB
 * of stack for its string views.
 */
struct doh_hpack {
	size_t max_size;   /* current maximum table size (<= cap) */
	size_t cap;        /* largest size an update may set */
	size_t size;       /* RFC 7541 4.1 size: sum of name + value + 32 */
	size_t n;          /* entries */
	size_t first;      /* ring index of the oldest entry */
	struct doh_hpack_ent {
		uint32_t off;
		uint16_t nlen, vlen;
	} *ent;            /* ring of DOH_HPACK_ENTRIES_MAX (heap, owned) */
	uint8_t *data;     /* entry bytes, oldest first, in data[dstart, dend) (heap, owned) */
	size_t dcap, dstart, dend;
};

/* cap: DOH_HPACK_TABLE_MAX, or less (tests use the RFC's 256). */
void doh_hpack_init(struct doh_hpack *h, size_t cap);
/* Frees the table memory; the decoder may be initialised again. */
void doh_hpack_free(struct doh_hpack *h);

/*
 * Called per decoded field.  name and value point at bytes valid for the
 * call only; cut is set when either was longer than DOH_HPACK_STRING_MAX
 * (only the first DOH_HPACK_STRING_MAX bytes are given).
 */
typedef void (*doh_hpack_field_fn)(void *user, const uint8_t *name, size_t nlen, const uint8_t *value,
				   size_t vlen, bool cut);

/*
 * Decodes one complete header block.  Returns 0, or -1 (index 0 or out of
 * range, integer over 2^31 or longer than 5 continuation bytes, string past
 * the block, bad Huffman, table size update over cap): the table is then
 * out of step with the encoder and the decoder must not be used again.
 * *anom gets DOH_ANOM_HPACK_* bits.  Work is O(len + fields * 2 *
 * DOH_HPACK_STRING_MAX).
 */
int doh_hpack_decode(struct doh_hpack *h, const uint8_t *block, size_t len, doh_hpack_field_fn fn,
		     void *user, uint32_t *anom);

/* ---------------------------------------------------------------------- */
/* HTTP/2 with prior knowledge (RFC 9113), as used by cleartext DoH. */

#define DOH_H2_FRAME_MAX 65535       /* frames longer than this end the direction */
#define DOH_H2_FRAME_DEFAULT 16384   /* SETTINGS_MAX_FRAME_SIZE until the peer says more */
#define DOH_H2_BLOCK_MAX 65535       /* a header block with its CONTINUATIONs */
#define DOH_H2_MAX_STREAMS 64        /* streams followed at once */
#define DOH_H2_PATH_MAX 8192         /* :path bytes kept (longer: dns= not decoded) */
#define DOH_H2_CONN_BODY_MAX (256 * 1024) /* body bytes buffered per connection */

/* One DoH message found in a connection; valid for the callback only. */
struct doh_h2_msg {
	uint32_t stream_id;
	int dir;                   /* 0: client to server (request), 1: server to client */
	enum doh_kind kind;
	const char *method;        /* "" when absent; sanitised text */
	const char *path;          /* sanitised, cut at DOH_PATH_TEXT_MAX */
	const char *authority;
	const char *content_type;
	uint16_t status;           /* responses */
	const char *json_name;     /* JSON_GET */
	const char *json_type;
	const uint8_t *msg;        /* the DNS message (JSON text for JSON_RESPONSE); never NULL */
	size_t msg_len;
	uint32_t anomalies;        /* DOH_ANOM_* of this message */
};

typedef void (*doh_h2_msg_fn)(void *user, const struct doh_h2_msg *m);

struct doh_h2;

/*
 * A connection.  fn is called once per DoH message, in the order the bytes
 * complete them: a GET request when its header block ends, a POST when its
 * stream ends, a response when its stream ends.  Memory: ~60 KB for the
 * connection (decoders, stream slots), plus per direction a 64 KiB frame
 * buffer and a 64 KiB header block buffer when a frame or block spans
 * feeds, plus :path copies (<= 8 KiB per stream) and bodies (<=
 * DOH_H2_CONN_BODY_MAX in all).  Free with doh_h2_free.
 */
struct doh_h2 *doh_h2_new(doh_h2_msg_fn fn, void *user);
void doh_h2_free(struct doh_h2 *c);

/*
 * Feeds the next len bytes of direction dir (0: from the client, which
 * starts with the 24-byte preface; 1: from the server) in stream order, in
 * any slices.  Returns 0, or -1 once that direction is not (or no longer)
 * followable: doh_h2_error says why and later feeds of it are ignored.
 */
int doh_h2_feed(struct doh_h2 *c, int dir, const uint8_t *p, size_t len);
enum doh_err doh_h2_error(const struct doh_h2 *c, int dir);
/* DOH_ANOM_* seen on the connection so far (frames and streams). */
uint32_t doh_h2_anomalies(const struct doh_h2 *c);

/* True when p (len bytes, possibly fewer than 24) starts like the HTTP/2
 * client connection preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
bool doh_h2_preface(const uint8_t *p, size_t len);

const char *doh_err_str(enum doh_err e);
const char *doh_kind_str(enum doh_kind k);

#endif
