/* dns.c - DNS/mDNS/LLMNR/NBNS wire format (RFC 1035, 3596, 2782, 3597, 4034, 6762, 6891, 7871, 8659, 9460; NBNS RFC 1001/1002). */
#include "dns.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255 /* RFC 1035 3.1, including the root byte */
#define DNS_LABEL_MAX 63

/* Header flag bits (RFC 1035 4.1.1, RFC 4035 3.2). */
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_Z 0x0040
#define F_AD 0x0020
#define F_CD 0x0010

#define T_OPT 41
#define CLASS_TOP 0x8000 /* mDNS QU / cache-flush bit */

/* Name walk results: malformed (anomaly bit set) versus cut short. */
#define NAME_BAD (-1)
#define NAME_SHORT (-2)

struct ctx {
	const uint8_t *msg;
	size_t len;
	struct dns_msg *m;
	bool seen_opt;
};

/* ---------------------------------------------------------------------- */
/* Bounded text output: rdata text is cut at the buffer size with "..." so
 * that a hostile 64 KB TXT record costs a fixed amount of memory. */

struct tb {
	char *s;
	size_t cap; /* bytes in s, including the NUL */
	size_t len;
	bool cut;
};

static void tb_init(struct tb *t, char *s, size_t cap)
{
	t->s = s;
	t->cap = cap;
	t->len = 0;
	t->cut = false;
	s[0] = '\0';
}

static void tb_addn(struct tb *t, const char *s, size_t n)
{
	/* Keep room for "..." and the NUL so the cut is always visible. */
	size_t room = t->cap - 4 - t->len;

	if (t->cut)
		return;
	if (n > room) {
		n = room;
		t->cut = true;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void tb_add(struct tb *t, const char *s)
{
	tb_addn(t, s, strlen(s));
}

static void tb_putc(struct tb *t, char c)
{
	tb_addn(t, &c, 1);
}

__attribute__((format(printf, 2, 3)))
static void tb_addf(struct tb *t, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	tb_addn(t, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void tb_hex(struct tb *t, const uint8_t *p, size_t n, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < n && !t->cut; i++) {
		char h[2] = { digits[p[i] >> 4], digits[p[i] & 15] };
		tb_addn(t, h, 2);
	}
}

static void tb_finish(struct tb *t)
{
	if (t->cut) {
		memcpy(t->s + t->len, "...", 4);
		t->len += 3;
	}
}

/* \DDD for one byte (RFC 1035 5.1). */
static void tb_ddd(struct tb *t, uint8_t b)
{
	char e[5] = { '\\', (char)('0' + b / 100), (char)('0' + b / 10 % 10), (char)('0' + b % 10), 0 };
	tb_addn(t, e, 4);
}

/* A character-string inside double quotes: " and \ escaped, bytes outside
 * 0x20..0x7e as \DDD, so the text never holds a tab, newline or NUL. */
static void tb_quoted(struct tb *t, const uint8_t *p, size_t n)
{
	tb_putc(t, '"');
	for (size_t i = 0; i < n && !t->cut; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			char e[2] = { '\\', (char)p[i] };
			tb_addn(t, e, 2);
		} else if (p[i] < 0x20 || p[i] > 0x7e) {
			tb_ddd(t, p[i]);
		} else {
			tb_putc(t, (char)p[i]);
		}
	}
	tb_putc(t, '"');
}

static void tb_base64(struct tb *t, const uint8_t *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n && !t->cut; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		char o[4];

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		o[0] = b64[(v >> 18) & 63];
		o[1] = b64[(v >> 12) & 63];
		o[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		o[3] = i + 2 < n ? b64[v & 63] : '=';
		tb_addn(t, o, 4);
	}
}

/* ---------------------------------------------------------------------- */
/* Names (RFC 1035 3.1, 4.1.4). */

static bool label_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * Reads the name at *offp.  Its inline part (up to the terminating zero or
 * the first pointer) must end at or before limit; after a pointer the labels
 * may lie anywhere before the pointer in the message.  A pointer must go
 * strictly before the start of the label sequence being read: that makes
 * every hop move to a smaller offset, so no input can loop, and the hop cap
 * only bounds the work of long pointer-to-pointer chains.  On success writes
 * the presentation text (case kept) into out, moves *offp past the inline
 * part and returns 0.  Returns NAME_BAD with an anomaly bit set, or
 * NAME_SHORT when the bytes ran out; *offp is then unchanged.
 */
static int name_read(const struct ctx *x, size_t *offp, size_t limit, char *out, size_t outlen)
{
	const uint8_t *msg = x->msg;
	uint32_t *anom = &x->m->anomalies;
	size_t pos = *offp, seq_start = pos, end = limit, after = 0;
	size_t wire = 0, o = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= end)
			return NAME_SHORT;
		uint8_t l = msg[pos];

		if ((l & 0xC0) == 0xC0) {
			if (end - pos < 2)
				return NAME_SHORT;
			size_t t = ((size_t)(l & 0x3F) << 8) | msg[pos + 1];

			if (!jumped) {
				after = pos + 2;
				jumped = true;
			}
			if (t > pos) {
				*anom |= DNS_ANOM_FORWARD_POINTER;
				return NAME_BAD;
			}
			/* A pointer to itself or into the sequence being read
			 * would repeat that sequence forever. */
			if (t >= seq_start) {
				*anom |= DNS_ANOM_COMPRESSION_LOOP;
				return NAME_BAD;
			}
			/* No name lives in the header; fuzzers and evasion
			 * tools point there to make parsers disagree. */
			if (t < DNS_HDR_LEN) {
				*anom |= DNS_ANOM_POINTER_INTO_HEADER;
				return NAME_BAD;
			}
			if (++hops > DNS_MAX_PTR_HOPS) {
				*anom |= DNS_ANOM_COMPRESSION_LOOP;
				return NAME_BAD;
			}
			pos = t;
			seq_start = t;
			end = x->len;
			continue;
		}
		if (l & 0xC0) {
			/* 01 (RFC 2673 extended labels, historic) and 10
			 * (reserved): no defined length, nothing to parse. */
			*anom |= DNS_ANOM_LABEL_TOO_LONG;
			return NAME_BAD;
		}
		if (l == 0) {
			wire++;
			pos++;
			break;
		}
		/* This label plus the root byte still to come. */
		if (wire + 1 + l + 1 > DNS_NAME_WIRE_MAX) {
			*anom |= DNS_ANOM_NAME_TOO_LONG;
			return NAME_BAD;
		}
		if (end - pos - 1 < l)
			return NAME_SHORT;
		/* Worst case 4 text bytes per label byte plus the dot; a
		 * 255-byte name needs at most 1003, so this never cuts. */
		if (o + 1 + 4 * (size_t)l + 1 > outlen)
			return NAME_BAD;
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 1; i <= l; i++) {
			uint8_t c = msg[pos + i];

			if (!label_char_ok(c))
				*anom |= DNS_ANOM_BAD_CHARS;
			if (c == '.' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c < 0x21 || c > 0x7e) {
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			} else {
				out[o++] = (char)c;
			}
		}
		wire += 1 + (size_t)l;
		pos += 1 + (size_t)l;
	}
	if (o == 0) {
		if (outlen < 2)
			return NAME_BAD;
		out[o++] = '.';
	}
	out[o] = '\0';
	*offp = jumped ? after : pos;
	return 0;
}

/* A name inside rdata read through the rdata cursor c, which starts at
 * message offset base; pointers may reach the whole message. */
static int cur_name(const struct ctx *x, struct cur *c, size_t base, char *out, size_t outlen)
{
	size_t off = base + c->pos;

	if (c->err || name_read(x, &off, base + c->len, out, outlen) != 0) {
		c->err = true;
		return -1;
	}
	c->pos = off - base;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Tables (sentinel-terminated). */

struct code_name {
	uint16_t code;
	const char *name;
};

static const struct code_name type_names[] = {
	{ 1, "A" },          { 2, "NS" },          { 3, "MD" },         { 4, "MF" },
	{ 5, "CNAME" },      { 6, "SOA" },         { 7, "MB" },         { 8, "MG" },
	{ 9, "MR" },         { 10, "NULL" },       { 11, "WKS" },       { 12, "PTR" },
	{ 13, "HINFO" },     { 14, "MINFO" },      { 15, "MX" },        { 16, "TXT" },
	{ 17, "RP" },        { 18, "AFSDB" },      { 19, "X25" },       { 20, "ISDN" },
	{ 21, "RT" },        { 22, "NSAP" },       { 23, "NSAP-PTR" },  { 24, "SIG" },
	{ 25, "KEY" },       { 26, "PX" },         { 27, "GPOS" },      { 28, "AAAA" },
	{ 29, "LOC" },       { 30, "NXT" },        { 31, "EID" },       { 32, "NIMLOC" },
	{ 33, "SRV" },       { 34, "ATMA" },       { 35, "NAPTR" },     { 36, "KX" },
	{ 37, "CERT" },      { 38, "A6" },         { 39, "DNAME" },     { 40, "SINK" },
	{ 41, "OPT" },       { 42, "APL" },        { 43, "DS" },        { 44, "SSHFP" },
	{ 45, "IPSECKEY" },  { 46, "RRSIG" },       { 47, "NSEC" },      { 48, "DNSKEY" },
	{ 49, "DHCID" },     { 50, "NSEC3" },      { 51, "NSEC3PARAM" }, { 52, "TLSA" },
	{ 53, "SMIMEA" },    { 55, "HIP" },        { 56, "NINFO" },     { 57, "RKEY" },
	{ 58, "TALINK" },    { 59, "CDS" },        { 60, "CDNSKEY" },   { 61, "OPENPGPKEY" },
	{ 62, "CSYNC" },     { 63, "ZONEMD" },     { 64, "SVCB" },      { 65, "HTTPS" },
	{ 99, "SPF" },       { 104, "NID" },       { 105, "L32" },      { 106, "L64" },
	{ 107, "LP" },       { 108, "EUI48" },     { 109, "EUI64" },    { 249, "TKEY" },
	{ 250, "TSIG" },     { 251, "IXFR" },      { 252, "AXFR" },     { 253, "MAILB" },
	{ 254, "MAILA" },    { 255, "ANY" },       { 256, "URI" },      { 257, "CAA" },
	{ 258, "AVC" },      { 259, "DOA" },       { 260, "AMTRELAY" }, { 261, "RESINFO" },
	{ 32768, "TA" },     { 32769, "DLV" },     { 0, NULL },
};

static const struct code_name rcode_names[] = {
	{ 0, "NOERROR" },   { 1, "FORMERR" },  { 2, "SERVFAIL" },  { 3, "NXDOMAIN" },
	{ 4, "NOTIMP" },    { 5, "REFUSED" },  { 6, "YXDOMAIN" },  { 7, "YXRRSET" },
	{ 8, "NXRRSET" },   { 9, "NOTAUTH" },  { 10, "NOTZONE" },  { 11, "DSOTYPENI" },
	{ 16, "BADVERS" },  { 17, "BADKEY" },  { 18, "BADTIME" },  { 19, "BADMODE" },
	{ 20, "BADNAME" },  { 21, "BADALG" },  { 22, "BADTRUNC" }, { 23, "BADCOOKIE" },
	{ 0, NULL },
};

static const char *table_find(const struct code_name *t, uint16_t code)
{
	for (; t->name; t++)
		if (t->code == code)
			return t->name;
	return NULL;
}

const char *dns_type_name(uint16_t type)
{
	return table_find(type_names, type);
}

const char *dns_rcode_name(uint16_t rcode)
{
	return table_find(rcode_names, rcode);
}

static void tb_type(struct tb *t, uint16_t type)
{
	const char *n = dns_type_name(type);

	if (n)
		tb_add(t, n);
	else
		tb_addf(t, "TYPE%u", type);
}

/* ---------------------------------------------------------------------- */
/* Rdata renderers.  Each reads the rdata through c (window = rdlength,
 * starting at message offset base) and returns 0, or -1 when the rdata
 * does not fit its type; the caller then falls back to RFC 3597 text. */

static void tb_addr(struct tb *t, int af, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (af == AF_INET)
		tb_addn(t, buf, ipv4_str(a, buf));
	else if (inet_ntop(af, a, buf, sizeof(buf)))
		tb_add(t, buf);
}

static int rd_name(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	char name[DNS_NAME_TEXT_MAX];

	if (cur_name(x, c, base, name, sizeof(name)) != 0)
		return -1;
	tb_add(t, name);
	return 0;
}

static int rd_mx(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	uint16_t pref = cur_u16(c);

	if (c->err)
		return -1;
	tb_addf(t, "%u ", pref);
	return rd_name(x, c, base, t);
}

static int rd_soa(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	if (rd_name(x, c, base, t) != 0)
		return -1;
	tb_putc(t, ' ');
	if (rd_name(x, c, base, t) != 0)
		return -1;
	uint32_t serial = cur_u32(c), refresh = cur_u32(c), retry = cur_u32(c);
	uint32_t expire = cur_u32(c), minimum = cur_u32(c);

	if (c->err)
		return -1;
	tb_addf(t, " %u %u %u %u %u", serial, refresh, retry, expire, minimum);
	return 0;
}

static int rd_txt(struct cur *c, struct tb *t)
{
	/* RFC 1035 3.3.14: one or more character-strings. */
	if (cur_left(c) == 0)
		return -1;
	while (cur_left(c) > 0) {
		uint8_t n = cur_u8(c);

		if (!cur_need(c, n))
			return -1;
		if (t->len > 0)
			tb_putc(t, ' ');
		tb_quoted(t, cur_ptr(c), n);
		cur_skip(c, n);
	}
	return 0;
}

static int rd_srv(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	uint16_t prio = cur_u16(c), weight = cur_u16(c), port = cur_u16(c);

	if (c->err)
		return -1;
	tb_addf(t, "%u %u %u ", prio, weight, port);
	return rd_name(x, c, base, t);
}

static const char *const svc_keys[] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", NULL,
};

static void tb_svc_key(struct tb *t, uint16_t key)
{
	if (key < sizeof(svc_keys) / sizeof(svc_keys[0]) - 1)
		tb_add(t, svc_keys[key]);
	else
		tb_addf(t, "key%u", key);
}

/* One SvcParam value (RFC 9460 7); v is narrowed to its length. */
static int svc_value(struct cur *v, uint16_t key, struct tb *t)
{
	switch (key) {
	case 0: /* mandatory: list of keys */
		if (cur_left(v) == 0 || cur_left(v) % 2)
			return -1;
		tb_putc(t, '=');
		for (bool first = true; cur_left(v) > 0; first = false) {
			if (!first)
				tb_putc(t, ',');
			tb_svc_key(t, cur_u16(v));
		}
		return 0;
	case 1: /* alpn: length-prefixed protocol ids */
		if (cur_left(v) == 0)
			return -1;
		tb_putc(t, '=');
		for (bool first = true; cur_left(v) > 0; first = false) {
			uint8_t n = cur_u8(v);

			if (n == 0 || !cur_need(v, n))
				return -1;
			if (!first)
				tb_putc(t, ',');
			for (size_t i = 0; i < n; i++) {
				uint8_t b = cur_ptr(v)[i];

				/* ',' separates ids and '\\' escapes (RFC 9460 A.1). */
				if (b < 0x21 || b > 0x7e || b == ',' || b == '\\' || b == '"')
					tb_ddd(t, b);
				else
					tb_putc(t, (char)b);
			}
			cur_skip(v, n);
		}
		return 0;
	case 2: /* no-default-alpn: empty */
		return cur_left(v) == 0 ? 0 : -1;
	case 3: /* port */
		if (cur_left(v) != 2)
			return -1;
		tb_addf(t, "=%u", cur_u16(v));
		return 0;
	case 4: /* ipv4hint */
	case 6: /* ipv6hint */ {
		size_t w = key == 4 ? 4 : 16;

		if (cur_left(v) == 0 || cur_left(v) % w)
			return -1;
		tb_putc(t, '=');
		for (bool first = true; cur_left(v) > 0; first = false) {
			if (!first)
				tb_putc(t, ',');
			tb_addr(t, key == 4 ? AF_INET : AF_INET6, cur_ptr(v));
			cur_skip(v, w);
		}
		return 0;
	}
	case 5: /* ech: ECHConfigList, shown in base64 as in zone files */
		tb_putc(t, '=');
		tb_base64(t, cur_ptr(v), cur_left(v));
		return 0;
	default:
		if (cur_left(v) > 0) {
			tb_putc(t, '=');
			tb_hex(t, cur_ptr(v), cur_left(v), false);
		}
		return 0;
	}
}

static int rd_svcb(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	uint16_t prio = cur_u16(c);

	if (c->err)
		return -1;
	tb_addf(t, "%u ", prio);
	if (rd_name(x, c, base, t) != 0)
		return -1;
	while (cur_left(c) > 0) {
		uint16_t key = cur_u16(c), vlen = cur_u16(c);
		struct cur v = cur_sub(c, vlen);

		if (c->err)
			return -1;
		tb_putc(t, ' ');
		tb_svc_key(t, key);
		if (svc_value(&v, key, t) != 0)
			return -1;
	}
	return 0;
}

static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return n > 0;
}

/* EDNS Client Subnet (RFC 7871 6): what part of the client's address a
 * resolver forwards is leak evidence in its own right. */
static int opt_ecs(struct cur *v, struct tb *t)
{
	uint16_t family = cur_u16(v);
	uint8_t src = cur_u8(v), scope = cur_u8(v);
	uint8_t a[16] = { 0 };
	size_t alen = family == 1 ? 4 : family == 2 ? 16 : 0;

	if (v->err || alen == 0 || cur_left(v) > alen || src > alen * 8 ||
	    cur_left(v) != ((size_t)src + 7) / 8)
		return -1;
	cur_copy(v, a, cur_left(v));
	tb_add(t, " ecs=");
	tb_addr(t, family == 1 ? AF_INET : AF_INET6, a);
	tb_addf(t, "/%u/%u", src, scope);
	return 0;
}

static int rd_opt(const struct dns_rr *rr, struct cur *c, struct tb *t)
{
	/* RFC 6891 6.1.3: the TTL holds ext-rcode, version, DO and Z. */
	tb_addf(t, "udp=%u extrcode=%u version=%u do=%u", rr->rclass, rr->ttl >> 24,
		(rr->ttl >> 16) & 0xff, (rr->ttl >> 15) & 1);
	if (rr->ttl & 0x7fff)
		tb_addf(t, " z=0x%04x", rr->ttl & 0x7fff);
	while (cur_left(c) > 0) {
		uint16_t code = cur_u16(c), olen = cur_u16(c);
		struct cur v = cur_sub(c, olen);

		if (c->err)
			return -1;
		if (code == 3 && printable(cur_ptr(&v), olen)) {
			tb_add(t, " nsid=");
			tb_quoted(t, cur_ptr(&v), olen);
			continue;
		}
		if (code == 8) {
			struct cur e = v;

			if (opt_ecs(&e, t) == 0)
				continue;
		}
		if (code == 12) {
			tb_addf(t, " padding=%u", olen);
			continue;
		}
		if (code == 3)
			tb_add(t, " nsid");
		else if (code == 10)
			tb_add(t, " cookie");
		else
			tb_addf(t, " opt%u", code);
		if (olen > 0) {
			tb_putc(t, '=');
			tb_hex(t, cur_ptr(&v), olen, false);
		}
	}
	return 0;
}

/* Type bitmaps of NSEC (RFC 4034 4.1.2). */
static int rd_nsec(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	int last_win = -1;

	if (rd_name(x, c, base, t) != 0)
		return -1;
	while (cur_left(c) > 0) {
		uint8_t win = cur_u8(c), blen = cur_u8(c);

		if (c->err || blen == 0 || blen > 32 || (int)win <= last_win || !cur_need(c, blen))
			return -1;
		last_win = win;
		for (unsigned i = 0; i < blen; i++) {
			uint8_t b = cur_ptr(c)[i];

			for (unsigned bit = 0; bit < 8; bit++) {
				if (b & (0x80 >> bit)) {
					tb_putc(t, ' ');
					tb_type(t, (uint16_t)(win * 256 + i * 8 + bit));
				}
			}
		}
		cur_skip(c, blen);
	}
	return 0;
}

static int rd_caa(struct cur *c, struct tb *t)
{
	uint8_t flags = cur_u8(c), tlen = cur_u8(c);

	/* RFC 8659 4.1: the tag is 1..15 letters and digits. */
	if (c->err || tlen == 0 || tlen > 15 || !cur_need(c, tlen))
		return -1;
	for (size_t i = 0; i < tlen; i++) {
		uint8_t b = cur_ptr(c)[i];

		if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')))
			return -1;
	}
	tb_addf(t, "%u ", flags);
	tb_addn(t, (const char *)cur_ptr(c), tlen);
	cur_skip(c, tlen);
	tb_putc(t, ' ');
	tb_quoted(t, cur_ptr(c), cur_left(c));
	cur_skip(c, cur_left(c));
	return 0;
}

static int rd_ds(struct cur *c, struct tb *t)
{
	uint16_t tag = cur_u16(c);
	uint8_t alg = cur_u8(c), dtype = cur_u8(c);

	if (c->err || cur_left(c) == 0)
		return -1;
	tb_addf(t, "%u %u %u ", tag, alg, dtype);
	tb_hex(t, cur_ptr(c), cur_left(c), true);
	cur_skip(c, cur_left(c));
	return 0;
}

static int rd_dnskey(struct cur *c, struct tb *t)
{
	/* RFC 4034 Appendix B key tag, over the whole rdata. */
	uint32_t ac = 0;

	for (size_t i = 0; i < c->len; i++)
		ac += (i & 1) ? c->base[i] : (uint32_t)c->base[i] << 8;
	ac += (ac >> 16) & 0xffff;

	uint16_t flags = cur_u16(c);
	uint8_t proto = cur_u8(c), alg = cur_u8(c);

	if (c->err || cur_left(c) == 0)
		return -1;
	tb_addf(t, "%u %u %u keytag=%u keylen=%zu", flags, proto, alg, ac & 0xffff, cur_left(c));
	cur_skip(c, cur_left(c));
	return 0;
}

static void tb_sigtime(struct tb *t, uint32_t v)
{
	time_t tt = (time_t)v;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		tb_addf(t, " %04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		tb_addf(t, " %u", v);
}

static int rd_rrsig(const struct ctx *x, struct cur *c, size_t base, struct tb *t)
{
	uint16_t covered = cur_u16(c);
	uint8_t alg = cur_u8(c), labels = cur_u8(c);
	uint32_t ottl = cur_u32(c), exp = cur_u32(c), inc = cur_u32(c);
	uint16_t tag = cur_u16(c);

	if (c->err)
		return -1;
	tb_type(t, covered);
	tb_addf(t, " %u %u %u", alg, labels, ottl);
	tb_sigtime(t, exp);
	tb_sigtime(t, inc);
	tb_addf(t, " %u ", tag);
	if (rd_name(x, c, base, t) != 0 || cur_left(c) == 0)
		return -1;
	tb_addf(t, " siglen=%zu", cur_left(c));
	cur_skip(c, cur_left(c));
	return 0;
}

static void rd_generic(const uint8_t *p, size_t n, struct tb *t)
{
	tb_addf(t, "\\# %zu", n);
	if (n > 0) {
		tb_putc(t, ' ');
		tb_hex(t, p, n, true);
	}
}

/* Renders rr->data from the rdlen bytes at message offset base.  Returns 0,
 * or -1 when the rdata does not fit its type (generic text written). */
static int rdata_render(const struct ctx *x, struct dns_rr *rr, size_t base, size_t rdlen)
{
	struct tb t;
	struct cur c;
	int rc;

	tb_init(&t, rr->data, sizeof(rr->data));
	cur_init(&c, x->msg + base, rdlen);
	/* RFC 2136 2.4, 2.5: UPDATE prerequisites and deletions carry class
	 * ANY or NONE with empty rdata, whatever the type. */
	if (rdlen == 0 && rr->type != T_OPT && (rr->rclass == 254 || rr->rclass == 255)) {
		rd_generic(x->msg + base, 0, &t);
		return 0;
	}
	switch (rr->type) {
	case 1:
		rc = rdlen == 4 ? 0 : -1;
		if (rc == 0) {
			tb_addr(&t, AF_INET, c.base);
			cur_skip(&c, 4);
		}
		break;
	case 28:
		rc = rdlen == 16 ? 0 : -1;
		if (rc == 0) {
			tb_addr(&t, AF_INET6, c.base);
			cur_skip(&c, 16);
		}
		break;
	case 2:  /* NS */
	case 5:  /* CNAME */
	case 12: /* PTR */
	case 39: /* DNAME */
		rc = rd_name(x, &c, base, &t);
		break;
	case 6:
		rc = rd_soa(x, &c, base, &t);
		break;
	case 15:
		rc = rd_mx(x, &c, base, &t);
		break;
	case 16:
		rc = rd_txt(&c, &t);
		break;
	case 33:
		rc = rd_srv(x, &c, base, &t);
		break;
	case 64:
	case 65:
		rc = rd_svcb(x, &c, base, &t);
		break;
	case T_OPT:
		rc = rd_opt(rr, &c, &t);
		break;
	case 43: /* DS */
	case 59: /* CDS */
		rc = rd_ds(&c, &t);
		break;
	case 46:
		rc = rd_rrsig(x, &c, base, &t);
		break;
	case 47:
		rc = rd_nsec(x, &c, base, &t);
		break;
	case 48: /* DNSKEY */
	case 60: /* CDNSKEY */
		rc = rd_dnskey(&c, &t);
		break;
	case 257:
		rc = rd_caa(&c, &t);
		break;
	default:
		rd_generic(x->msg + base, rdlen, &t);
		tb_finish(&t);
		return 0;
	}
	/* Every byte must belong to the type's fields: leftover bytes inside
	 * rdlength are a place to hide data. */
	if (rc != 0 || c.err || cur_left(&c) != 0) {
		tb_init(&t, rr->data, sizeof(rr->data));
		rd_generic(x->msg + base, rdlen, &t);
		tb_finish(&t);
		return -1;
	}
	tb_finish(&t);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Messages. */

/* Classes a real question or record carries (RFC 1035 3.2.4, 2136 2.4). */
static bool class_ok(uint16_t cls)
{
	return cls == 1 || cls == 3 || cls == 4 || cls == 254 || cls == 255;
}

/*
 * Reads one record at *offp into rr.  Returns 0 and moves *offp past it, or
 * -1 when the record is malformed or cut (anomaly set; the records after it
 * cannot be found, so the caller stops).
 */
static int rr_read(struct ctx *x, size_t *offp, enum dns_section sec, struct dns_rr *rr)
{
	struct dns_msg *m = x->m;
	size_t off = *offp;
	int rc = name_read(x, &off, x->len, rr->name, sizeof(rr->name));
	struct cur c;

	if (rc == NAME_SHORT)
		m->anomalies |= DNS_ANOM_TRUNCATED_RR;
	if (rc != 0)
		return -1;
	cur_init(&c, x->msg, x->len);
	c.pos = off;
	rr->section = sec;
	rr->type = cur_u16(&c);
	rr->rclass = cur_u16(&c);
	rr->ttl = cur_u32(&c);
	uint16_t rdlen = cur_u16(&c);

	/* rdlength is a claim: check it against what is left. */
	if (!cur_need(&c, rdlen)) {
		m->anomalies |= DNS_ANOM_TRUNCATED_RR;
		return -1;
	}
	size_t rdoff = c.pos;

	rr->cache_flush = false;
	if (rr->type == T_OPT) {
		/* RFC 6891 6.1.1: one OPT, in the additional section, owned by
		 * the root.  Only the first valid one sets the EDNS state. */
		if (sec != DNS_SEC_ADDITIONAL || strcmp(rr->name, ".") != 0 || x->seen_opt) {
			m->anomalies |= DNS_ANOM_BAD_OPT;
		} else {
			x->seen_opt = true;
			m->edns = true;
			m->edns_udp_size = rr->rclass;
			m->rcode = (uint16_t)(((rr->ttl >> 24) << 4) | (m->rcode & 0xF));
		}
	} else if (rr->rclass & CLASS_TOP) {
		rr->cache_flush = true;
		rr->rclass &= (uint16_t)~CLASS_TOP;
	}
	/* When rdata does not fit its type, BAD_RDATA says so alone: a name
	 * bit raised while guessing (NBNS NBSTAT answers share SRV's number
	 * and would look like bad labels) would be noise, not evidence. */
	uint32_t before = m->anomalies;

	if (rdata_render(x, rr, rdoff, rdlen) != 0)
		m->anomalies = before | DNS_ANOM_BAD_RDATA;
	*offp = rdoff + rdlen;
	return 0;
}

int dns_parse(const uint8_t *p, size_t len, struct dns_msg *m)
{
	struct ctx x = { .msg = p, .len = len, .m = m, .seen_opt = false };
	struct dns_question scratch_q;
	struct dns_rr scratch_rr;
	struct cur c;

	/* The arrays are large; only the scalars are reset, and entries are
	 * written in full when kept (callers read q[0..nq), rr[0..nrr)). */
	memset(m, 0, offsetof(struct dns_msg, q));
	m->nrr = 0;
	m->edns = false;
	m->edns_udp_size = 0;
	m->anomalies = 0;

	if (len < DNS_HDR_LEN)
		return -1;
	cur_init(&c, p, len);
	m->id = cur_u16(&c);
	uint16_t fl = cur_u16(&c);

	m->qdcount = cur_u16(&c);
	m->ancount = cur_u16(&c);
	m->nscount = cur_u16(&c);
	m->arcount = cur_u16(&c);
	m->qr = fl & F_QR;
	m->opcode = (fl >> 11) & 0xF;
	m->aa = fl & F_AA;
	m->tc = fl & F_TC;
	m->rd = fl & F_RD;
	m->ra = fl & F_RA;
	m->ad = fl & F_AD;
	m->cd = fl & F_CD;
	m->rcode = fl & 0xF;
	if (fl & F_Z)
		m->anomalies |= DNS_ANOM_RESERVED_Z;
	if (m->opcode == 3 || m->opcode > 6)
		m->anomalies |= DNS_ANOM_ODD_OPCODE;

	if (m->qdcount == 0 && m->ancount == 0)
		return -1;

	/* Questions: all that are walked must parse, or this is not DNS.  A
	 * count over DNS_MAX_QDCOUNT is walked up to the cap only (the work
	 * stays bounded) and flagged; the questions kept still make an event,
	 * where refusing the message once hid its question entirely.  The
	 * records then cannot be found (they follow the questions not walked). */
	size_t off = DNS_HDR_LEN;
	unsigned walk = m->qdcount > DNS_MAX_QDCOUNT ? DNS_MAX_QDCOUNT : m->qdcount;

	for (unsigned i = 0; i < walk; i++) {
		struct dns_question *q = i < DNS_MAX_QUESTIONS ? &m->q[i] : &scratch_q;

		if (name_read(&x, &off, len, q->name, sizeof(q->name)) != 0)
			return -1;
		c.pos = off;
		q->qtype = cur_u16(&c);
		uint16_t cls = cur_u16(&c);

		if (c.err)
			return -1;
		off = c.pos;
		q->unicast_resp = cls & CLASS_TOP;
		q->qclass = cls & (uint16_t)~CLASS_TOP;
		if (!class_ok(q->qclass))
			return -1;
		if (i < DNS_MAX_QUESTIONS)
			m->nq++;
		else
			m->anomalies |= DNS_ANOM_TOO_MANY_QUESTIONS;
	}

	if (walk < m->qdcount) {
		m->anomalies |= DNS_ANOM_TOO_MANY_QUESTIONS;
		return 0;
	}

	/* Records: read until the counts are met or one does not parse. */
	uint32_t total = (uint32_t)m->ancount + m->nscount + m->arcount;

	for (uint32_t i = 0; i < total; i++) {
		enum dns_section sec = i < m->ancount ? DNS_SEC_ANSWER :
				       i < (uint32_t)m->ancount + m->nscount ? DNS_SEC_AUTHORITY :
									      DNS_SEC_ADDITIONAL;
		struct dns_rr *rr = m->nrr < DNS_MAX_RRS ? &m->rr[m->nrr] : &scratch_rr;

		/* Without questions, the first answer is all that tells DNS
		 * from noise: it must be there and parse. */
		if (off >= len) {
			if (i == 0 && m->qdcount == 0)
				return -1;
			m->anomalies |= DNS_ANOM_COUNT_MISMATCH;
			break;
		}
		if (rr_read(&x, &off, sec, rr) != 0) {
			if (i == 0 && m->qdcount == 0)
				return -1;
			break;
		}
		if (i == 0 && m->qdcount == 0 && (rr->type == T_OPT || !class_ok(rr->rclass)))
			return -1;
		if (m->nrr < DNS_MAX_RRS)
			m->nrr++;
		else
			m->anomalies |= DNS_ANOM_TOO_MANY_RRS;
		if (i + 1 == total && off < len)
			m->anomalies |= DNS_ANOM_TRAILING_BYTES;
	}
	if (total == 0 && off < len)
		m->anomalies |= DNS_ANOM_TRAILING_BYTES;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* NetBIOS names (RFC 1001 14.1). */

int nbns_decode_name(const uint8_t *enc, size_t enc_len, char *out, size_t outlen)
{
	uint8_t raw[16];
	size_t n, o = 0;

	if (enc_len != 32 || outlen == 0)
		return -1;
	for (size_t i = 0; i < 16; i++) {
		uint8_t hi = enc[2 * i], lo = enc[2 * i + 1];

		if (hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P')
			return -1;
		raw[i] = (uint8_t)(((hi - 'A') << 4) | (lo - 'A'));
	}
	/* 15 name bytes padded with spaces (NULs for the "*" wildcard), then
	 * the suffix byte naming the service. */
	n = 15;
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\0'))
		n--;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = raw[i];

		if (o + 5 > outlen)
			return -1;
		if (b == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (b < 0x21 || b > 0x7e) {
			out[o++] = '\\';
			out[o++] = (char)('0' + b / 100);
			out[o++] = (char)('0' + b / 10 % 10);
			out[o++] = (char)('0' + b % 10);
		} else {
			out[o++] = (char)b;
		}
	}
	if (o + 5 > outlen)
		return -1;
	snprintf(out + o, outlen - o, "<%02x>", raw[15]);
	return 0;
}
