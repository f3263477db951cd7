/* tls.c - TLS ClientHello and record layer (RFC 5246 6.2, RFC 8446 4.1.2 and 5, RFC 6066 3 SNI, RFC 7301 ALPN). */
#include "tls.h"

#include <string.h>

#include "util.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_HT_CLIENT_HELLO 1

#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43
#define EXT_ECH 0xfe0d
#define EXT_ESNI 0xffce

/*
 * Smallest ClientHello body: version (2), random (32), empty session id (1),
 * one cipher suite (2 + 2), one compression method (1 + 1).
 */
#define HELLO_BODY_MIN 41

static const char *const tls_err_names[] = {
	"ok",
	"not-handshake",
	"record-version",
	"record-length",
	"not-client-hello",
	"handshake-length",
	"version",
	"session-id",
	"cipher-suites",
	"compression-methods",
	"extensions",
	"extension-length",
	"truncated",
	NULL,
};

const char *tls_err_str(enum tls_err e)
{
	if ((size_t)e >= sizeof(tls_err_names) / sizeof(tls_err_names[0]) - 1)
		return "unknown";
	return tls_err_names[e];
}

/* GREASE values (RFC 8701) look like 0x?a?a with both bytes equal. */
static bool is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* ---------------------------------------------------------------------- */
/* Record layer. */

/*
 * Checks the bytes of a record header that are present (n < 5 for a header
 * cut short), so that a stream that is plainly not TLS is refused at once
 * instead of waiting for more data.  Returns 0 or -1 with *err.
 */
static int check_hs_record_header(const uint8_t *h, size_t n, enum tls_err *err)
{
	if (n >= 1 && h[0] != TLS_CT_HANDSHAKE) {
		*err = TLS_ERR_NOT_HANDSHAKE;
		return -1;
	}
	if (n >= 2 && h[1] != 3) {
		*err = TLS_ERR_RECORD_VERSION;
		return -1;
	}
	if (n >= 3 && h[2] > 4) {
		*err = TLS_ERR_RECORD_VERSION;
		return -1;
	}
	if (n >= 5) {
		size_t rl = ((size_t)h[3] << 8) | h[4];
		/* RFC 8446 5.1: handshake records are never empty. */
		if (rl == 0 || rl > TLS_RECORD_MAX) {
			*err = TLS_ERR_RECORD_LEN;
			return -1;
		}
	}
	return 0;
}

/* Handshake type and length, as far as present in h[0..n). */
static int check_hs_header(const uint8_t *h, size_t n, size_t cap, enum tls_err *err)
{
	if (n >= 1 && h[0] != TLS_HT_CLIENT_HELLO) {
		*err = TLS_ERR_NOT_CLIENT_HELLO;
		return -1;
	}
	if (n >= 4) {
		size_t bl = ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
		if (bl < HELLO_BODY_MIN || bl > TLS_HS_BODY_MAX || bl + 4 > cap) {
			*err = TLS_ERR_HS_LEN;
			return -1;
		}
	}
	return 0;
}

int tls_unwrap_handshake(const uint8_t *p, size_t len, uint8_t *buf, size_t cap, size_t *hs_len,
			 unsigned *records, enum tls_err *err)
{
	struct cur c;
	size_t have = 0;  /* bytes of the handshake message in buf */
	size_t want = 4;  /* the header first, then header + body */
	unsigned nrec = 0;

	*hs_len = 0;
	*records = 0;
	*err = TLS_OK;
	if (cap < 4) {
		*err = TLS_ERR_HS_LEN;
		return -1;
	}
	cur_init(&c, p, len);
	/*
	 * Each pass consumes a 5-byte header and at least one payload byte
	 * (empty records are refused), so the loop ends after len / 6 passes.
	 */
	while (have < want) {
		const uint8_t *h = cur_ptr(&c);
		size_t left = cur_left(&c);
		if (check_hs_record_header(h, left < 5 ? left : 5, err) < 0)
			return -1;
		if (left < 5)
			return 1;
		cur_skip(&c, 5);
		size_t rl = ((size_t)h[3] << 8) | h[4];
		nrec++;
		/* Only the part of this record that is present is readable. */
		size_t avail = cur_left(&c) < rl ? cur_left(&c) : rl;
		struct cur rec = cur_sub(&c, avail);
		while (have < want && cur_left(&rec) > 0) {
			size_t n = want - have;
			if (n > cur_left(&rec))
				n = cur_left(&rec);
			cur_copy(&rec, buf + have, n);
			have += n;
			if (have == 4 && want == 4) {
				if (check_hs_header(buf, 4, cap, err) < 0)
					return -1;
				want = 4 + (((size_t)buf[1] << 16) | ((size_t)buf[2] << 8) | buf[3]);
			}
		}
		if (have < want) {
			if (check_hs_header(buf, have, cap, err) < 0)
				return -1;
			if (avail < rl)
				return 1; /* the record itself is cut */
		}
	}
	*hs_len = have;
	*records = nrec;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* ClientHello body and extensions. */

static bool hostname_char(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
	       ch == '.';
}

/* host_name of server_name: sanitised into out->sni (see tls.h). */
static void take_sni(struct tls_hello *out, struct cur *name, size_t n)
{
	size_t k = 0;
	out->has_sni = true;
	if (n == 0)
		out->anomalies |= TLS_ANOM_BAD_SNI;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = cur_u8(name);
		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if (ch < 0x21 || ch > 0x7e) {
			out->anomalies |= TLS_ANOM_SNI_CHARS;
			ch = '?';
		} else if (!hostname_char(ch)) {
			out->anomalies |= TLS_ANOM_SNI_NOT_HOSTNAME;
		}
		if (k < TLS_SNI_MAX)
			out->sni[k++] = (char)ch;
		else
			out->anomalies |= TLS_ANOM_SNI_TOO_LONG;
	}
	out->sni[k] = '\0';
}

/*
 * RFC 6066 3: ServerNameList <1..2^16-1>, entries of type (1 byte) and a
 * 2-byte length.  Only the first host_name is kept; a second one is not
 * allowed ("MUST NOT contain more than one name of the same name_type").
 * A list length that disagrees with the extension length is what an evasion
 * attempt (a parser that reads the list, another that reads the extension)
 * would look like, so it is flagged rather than silently trusted.
 */
static void parse_sni(struct tls_hello *out, struct cur *e)
{
	size_t ext_len = cur_left(e);
	size_t list_len = cur_u16(e);
	if (e->err || list_len != ext_len - 2) {
		out->anomalies |= TLS_ANOM_BAD_SNI;
		if (e->err || list_len > cur_left(e))
			list_len = cur_left(e);
	}
	struct cur l = cur_sub(e, list_len);
	while (cur_left(&l) > 0) {
		uint8_t type = cur_u8(&l);
		size_t n = cur_u16(&l);
		if (l.err || n > cur_left(&l)) {
			out->anomalies |= TLS_ANOM_BAD_SNI;
			return;
		}
		struct cur name = cur_sub(&l, n);
		if (type != 0)
			continue;
		if (out->has_sni) {
			out->anomalies |= TLS_ANOM_BAD_SNI;
			continue;
		}
		take_sni(out, &name, n);
	}
	if (!out->has_sni && list_len == 0)
		out->anomalies |= TLS_ANOM_BAD_SNI;
}

static void alpn_add(struct tls_hello *out, size_t *k, char ch)
{
	if (*k + 1 < TLS_ALPN_TEXT_MAX)
		out->alpn[(*k)++] = ch;
	else
		out->anomalies |= TLS_ANOM_ALPN_CUT;
}

/* RFC 7301 3.1: ProtocolNameList <2..2^16-1>, names <1..2^8-1>. */
static void parse_alpn(struct tls_hello *out, struct cur *e)
{
	size_t ext_len = cur_left(e);
	size_t list_len = cur_u16(e);
	size_t k = 0;
	if (e->err || list_len != ext_len - 2 || list_len == 0) {
		out->anomalies |= TLS_ANOM_BAD_ALPN;
		if (e->err || list_len > cur_left(e))
			list_len = cur_left(e);
	}
	struct cur l = cur_sub(e, list_len);
	while (cur_left(&l) > 0) {
		size_t n = cur_u8(&l);
		if (n == 0 || n > cur_left(&l)) {
			out->anomalies |= TLS_ANOM_BAD_ALPN;
			break;
		}
		const uint8_t *name = cur_ptr(&l);
		cur_skip(&l, n);
		if (out->alpn_count > 0)
			alpn_add(out, &k, ',');
		out->alpn_count++;
		for (size_t i = 0; i < n; i++) {
			uint8_t ch = name[i];
			if (ch < 0x21 || ch > 0x7e || ch == ',') {
				out->anomalies |= TLS_ANOM_ALPN_CHARS;
				ch = '?';
			}
			alpn_add(out, &k, (char)ch);
		}
		if (n == 3 && memcmp(name, "dot", 3) == 0)
			out->alpn_dot = true;
		else if (n == 2 && memcmp(name, "h2", 2) == 0)
			out->alpn_h2 = true;
		else if (n == 8 && memcmp(name, "http/1.1", 8) == 0)
			out->alpn_http11 = true;
		/* "doq" (RFC 9250) and the draft identifiers "doq-i00".."doq-i12"
		 * still sent by deployed resolvers. */
		else if ((n == 3 && memcmp(name, "doq", 3) == 0) ||
			 (n >= 6 && memcmp(name, "doq-i", 5) == 0))
			out->alpn_doq = true;
	}
	out->alpn[k] = '\0';
}

/* RFC 8446 4.2.1, ClientHello form: versions <2..254>. */
static void parse_versions(struct tls_hello *out, struct cur *e)
{
	size_t n = cur_u8(e);
	out->has_supported_versions = true;
	if (e->err || n == 0 || n % 2 != 0 || n != cur_left(e)) {
		out->anomalies |= TLS_ANOM_BAD_VERSIONS;
		if (e->err)
			return;
		if (n > cur_left(e))
			n = cur_left(e);
	}
	uint16_t best = 0;
	for (size_t i = 0; i + 2 <= n; i += 2) {
		uint16_t v = cur_u16(e);
		if (is_grease(v))
			continue;
		if ((v >> 8) == 0x7f) /* TLS 1.3 drafts */
			v = 0x0304;
		if (v > best)
			best = v;
	}
	if (best)
		out->max_version = best;
}

static int fail(struct tls_hello *out, enum tls_err e)
{
	out->err = e;
	return -1;
}

/* Body of a ClientHello of exactly len bytes (the handshake length). */
static int parse_hello_body(const uint8_t *p, size_t len, struct tls_hello *out)
{
	struct cur c;
	uint16_t seen[TLS_MAX_EXTENSIONS];

	cur_init(&c, p, len);
	out->legacy_version = cur_u16(&c);
	if (c.err)
		return fail(out, TLS_ERR_TRUNCATED);
	if ((out->legacy_version >> 8) != 3)
		return fail(out, TLS_ERR_VERSION);
	out->max_version = out->legacy_version;
	cur_skip(&c, 32); /* random */
	size_t sid = cur_u8(&c);
	if (c.err)
		return fail(out, TLS_ERR_TRUNCATED);
	if (sid > 32)
		return fail(out, TLS_ERR_SESSION_ID);
	cur_skip(&c, sid);
	size_t cs = cur_u16(&c);
	if (c.err)
		return fail(out, TLS_ERR_TRUNCATED);
	if (cs == 0 || cs % 2 != 0 || cs > cur_left(&c))
		return fail(out, TLS_ERR_CIPHERS);
	cur_skip(&c, cs);
	out->cipher_count = (uint16_t)(cs / 2);
	size_t cm = cur_u8(&c);
	if (c.err)
		return fail(out, TLS_ERR_TRUNCATED);
	if (cm == 0 || cm > cur_left(&c))
		return fail(out, TLS_ERR_COMPRESSION);
	cur_skip(&c, cm);

	/* RFC 5246 7.4.1.2: a hello without extensions ends here. */
	if (cur_left(&c) == 0)
		return 0;
	size_t el = cur_u16(&c);
	if (c.err || el > cur_left(&c))
		return fail(out, TLS_ERR_EXTENSIONS);
	if (el < cur_left(&c))
		out->anomalies |= TLS_ANOM_TRAILING;
	struct cur ex = cur_sub(&c, el);

	while (cur_left(&ex) > 0) {
		if (out->ext_count >= TLS_MAX_EXTENSIONS) {
			/* 16 KiB holds 4096 empty extensions; looking at 128 is
			 * plenty for any real client and bounds the duplicate
			 * check below. */
			out->anomalies |= TLS_ANOM_TOO_MANY_EXT;
			break;
		}
		if (cur_left(&ex) < 4)
			return fail(out, TLS_ERR_EXTENSIONS);
		uint16_t type = cur_u16(&ex);
		size_t n = cur_u16(&ex);
		if (n > cur_left(&ex))
			return fail(out, TLS_ERR_EXTENSION);
		struct cur e = cur_sub(&ex, n);

		for (size_t i = 0; i < out->ext_count; i++) {
			if (seen[i] == type) {
				out->anomalies |= TLS_ANOM_DUP_EXT;
				break;
			}
		}
		seen[out->ext_count++] = type;

		switch (type) {
		case EXT_SERVER_NAME:
			/* A duplicate extension is not read twice: the first
			 * one is what a server following RFC 8446 would refuse
			 * or use. */
			if (!out->has_sni)
				parse_sni(out, &e);
			break;
		case EXT_ALPN:
			if (out->alpn_count == 0)
				parse_alpn(out, &e);
			break;
		case EXT_SUPPORTED_VERSIONS:
			if (!out->has_supported_versions)
				parse_versions(out, &e);
			break;
		case EXT_ESNI:
			out->esni = true;
			break;
		default:
			if (type >= 0xfe08 && type <= EXT_ECH)
				out->ech = true;
			break;
		}
	}
	out->sni_invalid = (out->anomalies & (TLS_ANOM_BAD_SNI | TLS_ANOM_SNI_CHARS |
					      TLS_ANOM_SNI_NOT_HOSTNAME | TLS_ANOM_SNI_TOO_LONG)) != 0 &&
			   out->has_sni;
	out->sni_is_outer = out->has_sni && (out->ech || out->esni);
	return 0;
}

/* hs points at a complete handshake message: its callers have checked
 * that the 4 + length bytes its header declares are present. */
static int parse_hs_message(const uint8_t *hs, struct tls_hello *out)
{
	size_t bl = ((size_t)hs[1] << 16) | ((size_t)hs[2] << 8) | hs[3];
	return parse_hello_body(hs + 4, bl, out);
}

int tls_parse_handshake(const uint8_t *p, size_t len, struct tls_hello *out)
{
	memset(out, 0, sizeof(*out));
	if (check_hs_header(p, len < 4 ? len : 4, TLS_HS_MAX, &out->err) < 0)
		return -1;
	if (len < 4)
		return 1;
	size_t bl = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
	if (len - 4 < bl)
		return 1;
	return parse_hs_message(p, out);
}

int tls_parse_client_hello(const uint8_t *p, size_t len, struct tls_hello *out)
{
	memset(out, 0, sizeof(*out));
	/*
	 * Common case first: the whole ClientHello sits in the first record,
	 * and is parsed in place.  Otherwise the record payloads are joined
	 * into a bounded buffer.
	 */
	if (check_hs_record_header(p, len < 5 ? len : 5, &out->err) < 0)
		return -1;
	if (len < 5)
		return 1;
	out->record_version = (uint16_t)((p[1] << 8) | p[2]);
	size_t rl = ((size_t)p[3] << 8) | p[4];
	size_t avail = len - 5 < rl ? len - 5 : rl;
	if (avail >= 4) {
		size_t bl = ((size_t)p[6] << 16) | ((size_t)p[7] << 8) | p[8];
		if (check_hs_header(p + 5, 4, TLS_HS_MAX, &out->err) < 0)
			return -1;
		if (bl + 4 <= avail) {
			out->records = 1;
			return parse_hs_message(p + 5, out);
		}
	}
	uint8_t buf[TLS_HS_MAX];
	size_t hs_len;
	unsigned nrec;
	int r = tls_unwrap_handshake(p, len, buf, sizeof(buf), &hs_len, &nrec, &out->err);
	if (r != 0)
		return r;
	out->records = nrec;
	(void)hs_len; /* 4 + the declared length, by tls_unwrap_handshake's contract */
	return parse_hs_message(buf, out);
}

/* ---------------------------------------------------------------------- */
/* Record counting. */

void tls_rec_init(struct tls_rec_count *c)
{
	memset(c, 0, sizeof(*c));
}

static bool plausible_header(const uint8_t *h)
{
	size_t rl = ((size_t)h[3] << 8) | h[4];
	return h[0] >= TLS_CT_FIRST && h[0] < TLS_CT_FIRST + TLS_CT_N && h[1] == 3 && h[2] <= 4 &&
	       rl <= TLS_CIPHERTEXT_MAX;
}

void tls_rec_feed(struct tls_rec_dir *d, const uint8_t *p, size_t len)
{
	struct cur c;
	cur_init(&c, p, len);
	while (cur_left(&c) > 0) {
		if (d->body_left > 0) {
			size_t n = cur_left(&c) < d->body_left ? cur_left(&c) : d->body_left;
			cur_skip(&c, n);
			d->body_left -= (uint32_t)n;
			continue;
		}
		/* Collect a 5-byte header, possibly across feeds. */
		while (d->hdr_have < 5 && cur_left(&c) > 0)
			d->hdr[d->hdr_have++] = cur_u8(&c);
		if (d->hdr_have < 5)
			break;
		d->hdr_have = 0;
		if (!plausible_header(d->hdr)) {
			/* Out of step (a lost segment, or not TLS): give up on
			 * this feed and expect a record to start the next one. */
			d->desyncs++;
			d->body_left = 0;
			return;
		}
		uint32_t rl = (uint32_t)((d->hdr[3] << 8) | d->hdr[4]);
		d->records[d->hdr[0] - TLS_CT_FIRST]++;
		if (d->hdr[0] == 23)
			d->app_bytes += rl;
		d->body_left = rl;
	}
}

void tls_count_app_records(struct tls_rec_count *c, int dir, const uint8_t *p, size_t len)
{
	if (dir != 0 && dir != 1)
		return;
	tls_rec_feed(&c->dir[dir], p, len);
}
