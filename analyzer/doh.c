/* doh.c - DNS over HTTPS in cleartext (RFC 8484): HTTP/1.1 (RFC 9112), h2c (RFC 9113), HPACK (RFC 7541), base64url (RFC 4648 5). */
#include "doh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Layout of this file, in the order a byte meets it: names, text helpers,
 * base64url, recognising a DoH request from its target and headers (shared
 * by both HTTP versions), HTTP/1 heads and bodies, Huffman, HPACK, then
 * HTTP/2 framing and streams.
 */

static const char *const doh_err_names[] = {
	"ok",          "not-http",       "head-too-large", "too-many-headers",
	"bad-header",  "content-length", "chunked",        "h2-preface",
	"h2-frame",    "h2-continuation", "hpack",         NULL,
};

const char *doh_err_str(enum doh_err e)
{
	if ((size_t)e >= sizeof(doh_err_names) / sizeof(doh_err_names[0]) - 1)
		return "unknown";
	return doh_err_names[e];
}

static const char *const doh_kind_names[] = {
	"none", "wire-get", "wire-post", "json-get", "wire-response", "json-response", NULL,
};

const char *doh_kind_str(enum doh_kind k)
{
	if ((size_t)k >= sizeof(doh_kind_names) / sizeof(doh_kind_names[0]) - 1)
		return "unknown";
	return doh_kind_names[k];
}

/* ---------------------------------------------------------------------- */
/* Text helpers. */

static uint8_t lower(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/* Case-insensitive comparison of n bytes against a lower-case literal. */
static bool eq_nocase(const uint8_t *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* Case-insensitive search of a lower-case literal in a NUL-terminated string. */
static bool contains_nocase(const char *s, const char *lit)
{
	size_t k = strlen(lit), n = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (eq_nocase((const uint8_t *)s + i, k, lit))
			return true;
	return false;
}

/*
 * The media type of a Content-Type value, without parameters, compared to
 * a lower-case literal ("application/dns-message; charset=x" matches).
 */
static bool media_is(const char *ct, const char *lit)
{
	size_t n = 0;
	while (ct[n] && ct[n] != ';')
		n++;
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return eq_nocase((const uint8_t *)ct, n, lit);
}

/*
 * Copies a field value for reports: bytes 0x20..0x7e kept (0x21..0x7e
 * when !space_ok), others written '?', cut to cap - 1.  Never leaves a
 * control byte, tab or newline in the text.
 */
static void copy_text(char *dst, size_t cap, const uint8_t *s, size_t n, bool space_ok, uint32_t *anom)
{
	size_t k = 0;
	uint8_t lo = space_ok ? 0x20 : 0x21;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if (ch < lo || ch > 0x7e) {
			*anom |= DOH_ANOM_FIELD_CHARS;
			ch = '?';
		}
		if (k + 1 >= cap) {
			*anom |= DOH_ANOM_FIELD_CUT;
			break;
		}
		dst[k++] = (char)ch;
	}
	dst[k] = '\0';
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = lower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Percent-decoding (RFC 3986 2.1) into at most cap bytes.  Returns 0 or
 * -1 (a '%' not followed by two hex digits, or no room). */
static int pct_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap, size_t *olen)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if (ch == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			ch = (uint8_t)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (k >= cap)
			return -1;
		out[k++] = ch;
	}
	*olen = k;
	return 0;
}

/*
 * Finds the first "key=value" pair in the query of a request target
 * (after the first '?', up to a '#').  *dup is set when the key occurs
 * again.  Returns true when found.
 */
static bool find_param(const uint8_t *t, size_t tlen, const char *key, const uint8_t **val, size_t *vlen,
		       bool *dup)
{
	size_t klen = strlen(key), i = 0;
	bool found = false;
	while (i < tlen && t[i] != '?')
		i++;
	if (i == tlen)
		return false;
	i++;
	while (i < tlen && t[i] != '#') {
		size_t s = i;
		while (i < tlen && t[i] != '&' && t[i] != '#')
			i++;
		/* pair [s, i) */
		if (i - s > klen && t[s + klen] == '=' && memcmp(t + s, key, klen) == 0) {
			if (found) {
				*dup = true;
			} else {
				found = true;
				*val = t + s + klen + 1;
				*vlen = i - s - klen - 1;
			}
		}
		if (i < tlen && t[i] == '&')
			i++;
	}
	return found;
}

/* The path part of a target (before '?') ends with suffix. */
static bool path_ends_with(const uint8_t *t, size_t tlen, const char *suffix)
{
	size_t n = 0, k = strlen(suffix);
	while (n < tlen && t[n] != '?' && t[n] != '#')
		n++;
	return n >= k && memcmp(t + n - k, suffix, k) == 0;
}

/* ---------------------------------------------------------------------- */
/* base64url. */

static int b64url_val(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

int doh_base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t pad = 0, k = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	*out_len = 0;
	/* '=' only at the end, at most two, and only completing a group. */
	while (pad < n && pad < 3 && s[n - 1 - pad] == '=')
		pad++;
	if (pad > 0 && (pad > 2 || n % 4 != 0))
		return -1;
	n -= pad;
	if (n % 4 == 1)
		return -1; /* 6 bits cannot make a byte */
	if (pad > 0 && (4 - n % 4) % 4 != pad)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k >= cap)
				return -1;
			out[k++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out_len = k;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Recognising DoH requests (both HTTP versions). */

/*
 * JSON API name as DNS presentation text: percent-decoded, bytes outside
 * 0x21..0x7e as \DDD, one trailing '.' removed (the root stays ".").
 */
static void json_name_text(const uint8_t *v, size_t vlen, char *out, size_t cap, uint32_t *anom)
{
	uint8_t raw[256];
	size_t n, k = 0;
	if (pct_decode(v, vlen, raw, sizeof(raw), &n) < 0) {
		/* Too long or a broken escape: keep what we can show. */
		*anom |= DOH_ANOM_FIELD_CUT;
		n = vlen < sizeof(raw) ? vlen : sizeof(raw);
		memcpy(raw, v, n);
	}
	if (n > 1 && raw[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (k + 5 >= cap) {
			*anom |= DOH_ANOM_FIELD_CUT;
			break;
		}
		if (raw[i] < 0x21 || raw[i] > 0x7e) {
			*anom |= DOH_ANOM_FIELD_CHARS;
			k += (size_t)snprintf(out + k, cap - k, "\\%03u", raw[i]);
		} else {
			out[k++] = (char)raw[i];
		}
	}
	out[k] = '\0';
}

/*
 * Looks at a GET request target: "dns" parameter (RFC 8484 4.1) decoded
 * into msg, or the JSON API's "name" and "type".  Returns the kind.
 */
static enum doh_kind classify_get(const uint8_t *t, size_t tlen, const char *accept, uint8_t *msg, size_t cap,
				  size_t *msg_len, char *jname, char *jtype, uint32_t *anom)
{
	const uint8_t *v;
	size_t vlen;
	bool dup = false;

	*msg_len = 0;
	if (find_param(t, tlen, "dns", &v, &vlen, &dup)) {
		/* Percent-decoding first: '=' padding may arrive as %3D.  The
		 * text is never longer than a head (HTTP/1) or a kept :path
		 * (h2), so DOH_HEAD_MAX bytes hold it.  An empty value is as
		 * useless as a broken one. */
		uint8_t txt[DOH_HEAD_MAX];
		size_t tl;
		if (dup)
			*anom |= DOH_ANOM_DUP_PARAM;
		if (pct_decode(v, vlen, txt, sizeof(txt), &tl) < 0 ||
		    doh_base64url_decode((const char *)txt, tl, msg, cap, msg_len) < 0 || *msg_len == 0) {
			*anom |= DOH_ANOM_BAD_BASE64;
			*msg_len = 0;
		}
		return DOH_KIND_WIRE_GET;
	}
	dup = false;
	if (find_param(t, tlen, "name", &v, &vlen, &dup)) {
		const uint8_t *ct;
		size_t ctlen;
		bool d2 = false;
		bool json = (accept && contains_nocase(accept, "application/dns-json")) ||
			    path_ends_with(t, tlen, "/resolve") || path_ends_with(t, tlen, "/dns-query");
		if (!json && find_param(t, tlen, "ct", &ct, &ctlen, &d2))
			json = eq_nocase(ct, ctlen, "application/dns-json") ||
			       eq_nocase(ct, ctlen, "application%2fdns-json");
		if (!json)
			return DOH_KIND_NONE;
		if (dup)
			*anom |= DOH_ANOM_DUP_PARAM;
		json_name_text(v, vlen, jname, DOH_JSON_NAME_MAX, anom);
		const uint8_t *ty;
		size_t tylen;
		d2 = false;
		if (find_param(t, tlen, "type", &ty, &tylen, &d2))
			copy_text(jtype, DOH_JSON_TYPE_MAX, ty, tylen, false, anom);
		return DOH_KIND_JSON_GET;
	}
	return DOH_KIND_NONE;
}

/* ---------------------------------------------------------------------- */
/* HTTP/1: heads. */

/* RFC 9110 5.6.2 token characters. */
static bool is_tchar(uint8_t ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/*
 * Finds the end of a head starting at p[start]: the index after its blank
 * line.  Counts lines against DOH_HEADER_LINES_MAX as it goes, so that a
 * header bomb is refused before the head ends.  The first line is handed
 * to check_first (complete or not) so that bytes that are not HTTP are
 * refused at once.
 */
typedef int (*first_line_fn)(const uint8_t *l, size_t n, bool complete);

static int head_end(const uint8_t *p, size_t len, size_t start, first_line_fn check_first, size_t *end,
		    enum doh_err *err, uint32_t *anom)
{
	size_t lim = len < DOH_HEAD_MAX ? len : DOH_HEAD_MAX;
	size_t lines = 0, ls = start;
	for (size_t i = start; i < lim; i++) {
		if (p[i] != '\n')
			continue;
		size_t ll = i - ls;
		if (ll > 0 && p[i - 1] == '\r')
			ll--;
		else
			*anom |= DOH_ANOM_BARE_LF;
		if (lines == 0 && check_first(p + ls, ll, true) < 0) {
			*err = DOH_ERR_NOT_HTTP;
			return -1;
		}
		if (ll == 0) {
			*end = i + 1;
			return 0;
		}
		if (++lines > 1 + DOH_HEADER_LINES_MAX) {
			*err = DOH_ERR_TOO_MANY_HEADERS;
			return -1;
		}
		ls = i + 1;
	}
	if (lines == 0 && check_first(p + start, lim - start, false) < 0) {
		*err = DOH_ERR_NOT_HTTP;
		return -1;
	}
	if (len >= DOH_HEAD_MAX) {
		*err = DOH_ERR_HEAD_TOO_LARGE;
		return -1;
	}
	return 1;
}

/* Matches a literal as far as the bytes go; *i advances.  -1 on a mismatch,
 * 1 when the bytes ran out first, 0 when all of it matched. */
static int match_prefix(const uint8_t *l, size_t n, size_t *i, const char *lit)
{
	for (size_t k = 0; lit[k]; k++, (*i)++) {
		if (*i >= n)
			return 1;
		if (l[*i] != (uint8_t)lit[k])
			return -1;
	}
	return 0;
}

/*
 * request-line = method SP request-target SP HTTP-version (RFC 9112 3).
 * With complete false, l is a line cut short and only what is present must
 * fit.  On success *ml (method length), *ts and *tl (target) are set when
 * complete.
 */
static int parse_request_line(const uint8_t *l, size_t n, bool complete, size_t *ml, size_t *ts, size_t *tl)
{
	size_t i = 0;
	if (!complete && n > 0 && l[n - 1] == '\r')
		n--;
	while (i < n && is_tchar(l[i]))
		i++;
	if (i >= DOH_METHOD_MAX)
		return -1;
	if (i == n)
		return complete ? -1 : 0;
	if (i == 0 || l[i] != ' ')
		return -1;
	*ml = i++;
	*ts = i;
	/* Visible bytes; 0x80..0xff are not allowed in a target either, but
	 * are seen, and are written as '?' in the report. */
	while (i < n && l[i] > 0x20 && l[i] != 0x7f)
		i++;
	if (i == n)
		return complete ? -1 : 0;
	if (i == *ts || l[i] != ' ')
		return -1;
	*tl = i - *ts;
	i++;
	int r = match_prefix(l, n, &i, "HTTP/1.");
	if (r != 0)
		return r < 0 || complete ? -1 : 0;
	if (i == n)
		return complete ? -1 : 0;
	if (l[i] != '0' && l[i] != '1')
		return -1;
	i++;
	return i == n ? 0 : -1;
}

static int check_request_line(const uint8_t *l, size_t n, bool complete)
{
	size_t a, b, c;
	return parse_request_line(l, n, complete, &a, &b, &c);
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4);
 * the SP after the code is also accepted missing, as clients do. */
static int parse_status_line(const uint8_t *l, size_t n, bool complete, uint16_t *status)
{
	size_t i = 0;
	if (!complete && n > 0 && l[n - 1] == '\r')
		n--;
	int r = match_prefix(l, n, &i, "HTTP/1.");
	if (r != 0)
		return r < 0 || complete ? -1 : 0;
	unsigned st = 0;
	for (int k = 0; k < 5; k++, i++) {
		if (i == n)
			return complete ? -1 : 0;
		if (k == 0 && l[i] != '0' && l[i] != '1')
			return -1;
		if (k == 1 && l[i] != ' ')
			return -1;
		if (k >= 2) {
			if (l[i] < '0' || l[i] > '9')
				return -1;
			st = st * 10 + (unsigned)(l[i] - '0');
		}
	}
	if (st < 100 || st > 599)
		return -1;
	if (i < n && l[i] != ' ')
		return -1;
	for (; i < n; i++)
		if ((l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f)
			return -1;
	*status = (uint16_t)st;
	return 0;
}

static int check_status_line(const uint8_t *l, size_t n, bool complete)
{
	uint16_t st;
	return parse_status_line(l, n, complete, &st);
}

/* What the two parsers keep of the header fields. */
struct head_fields {
	char *host;            /* NULL: not kept (responses) */
	char *content_type;
	char *accept;          /* NULL: not kept */
	bool has_cl;
	uint64_t cl;
	bool te;               /* Transfer-Encoding present */
	bool chunked;          /* ... with chunked as the final coding */
	uint32_t anom;
};

/* RFC 9110 8.6: 1*DIGIT; a second header with another value is an error. */
static int take_content_length(struct head_fields *f, const uint8_t *v, size_t n)
{
	uint64_t x = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (f->has_cl && f->cl != x)
		return -1;
	f->has_cl = true;
	f->cl = x;
	return 0;
}

/* Transfer-Encoding: chunked when the last coding is "chunked". */
static void take_transfer_encoding(struct head_fields *f, const uint8_t *v, size_t n)
{
	size_t e = n;
	while (e > 0 && v[e - 1] != ',')
		e--;
	const uint8_t *last = v + e;
	size_t ln = n - e;
	while (ln > 0 && (*last == ' ' || *last == '\t')) {
		last++;
		ln--;
	}
	f->te = true;
	f->chunked = eq_nocase(last, ln, "chunked");
}

/*
 * Walks the header lines between the first line and the blank line:
 * p[from, to).  Returns 0 or -1 with *err.
 */
static int parse_fields(const uint8_t *p, size_t from, size_t to, struct head_fields *f, enum doh_err *err)
{
	struct cur c;
	bool host_seen = false, ct_seen = false, acc_seen = false;
	cur_init(&c, p + from, to - from);
	while (cur_left(&c) > 0) {
		const uint8_t *l = cur_ptr(&c);
		size_t left = cur_left(&c), n = 0;
		while (n < left && l[n] != '\n')
			n++;
		cur_skip(&c, n < left ? n + 1 : n);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the blank line */
		/* RFC 9112 5.2: obs-fold is refused; RFC 9112 5.1: no space
		 * between name and colon (a request smuggling vector). */
		size_t k = 0;
		while (k < n && is_tchar(l[k]))
			k++;
		if (k == 0 || k == n || l[k] != ':') {
			*err = DOH_ERR_BAD_HEADER;
			return -1;
		}
		const uint8_t *name = l;
		size_t nl = k;
		const uint8_t *v = l + k + 1;
		size_t vl = n - k - 1;
		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (eq_nocase(name, nl, "content-length")) {
			if (take_content_length(f, v, vl) < 0) {
				*err = DOH_ERR_CONTENT_LENGTH;
				return -1;
			}
		} else if (eq_nocase(name, nl, "transfer-encoding")) {
			take_transfer_encoding(f, v, vl);
		} else if (eq_nocase(name, nl, "host") && f->host && !host_seen) {
			host_seen = true;
			copy_text(f->host, DOH_HOST_MAX, v, vl, false, &f->anom);
		} else if (eq_nocase(name, nl, "content-type") && !ct_seen) {
			ct_seen = true;
			copy_text(f->content_type, DOH_FIELD_MAX, v, vl, true, &f->anom);
		} else if (eq_nocase(name, nl, "accept") && f->accept && !acc_seen) {
			acc_seen = true;
			copy_text(f->accept, DOH_FIELD_MAX, v, vl, true, &f->anom);
		}
	}
	if (f->te) {
		f->anom |= DOH_ANOM_CHUNKED;
		if (f->has_cl)
			f->anom |= DOH_ANOM_CL_AND_TE;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* HTTP/1: bodies. */

/*
 * Chunked body (RFC 9112 7.1) starting at p[pos]: data into msg (at most
 * DOH_MSG_MAX), *end after the trailer section.  Returns 0, 1 (need more)
 * or -1.  Each chunk costs at least 3 framing bytes plus its data, and the
 * data is capped, so the loop is bounded by len.
 */
static int read_chunked(const uint8_t *p, size_t len, size_t pos, uint8_t *msg, size_t *msg_len, size_t *end)
{
	size_t k = 0;
	for (;;) {
		/* chunk-size [ chunk-ext ] CRLF */
		size_t i = pos, size = 0, digits = 0;
		while (i < len && hexval(p[i]) >= 0) {
			if (++digits > 5)
				return -1; /* > 0xfffff: past any DNS message */
			size = size * 16 + (size_t)hexval(p[i]);
			i++;
		}
		if (i == len)
			return 1;
		if (digits == 0)
			return -1;
		/* Extensions are skipped, within a bound. */
		size_t le = i;
		while (le < len && p[le] != '\n') {
			/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) */
			if (le - i > 256 || (le == i && !strchr(";\r \t", p[le])))
				return -1;
			le++;
		}
		if (le == len)
			return 1;
		pos = le + 1;
		if (size == 0)
			break;
		if (size > DOH_MSG_MAX - k)
			return -1;
		if (len - pos < size + 1)
			return 1;
		memcpy(msg + k, p + pos, size);
		k += size;
		pos += size;
		if (p[pos] == '\r') {
			if (len - pos < 2)
				return 1;
			pos++;
		}
		if (p[pos] != '\n')
			return -1;
		pos++;
	}
	/* trailer-section, then the final CRLF: at most 100 lines in 16 KiB. */
	for (size_t lines = 0;; lines++) {
		size_t i = pos;
		if (lines > DOH_HEADER_LINES_MAX)
			return -1;
		while (i < len && p[i] != '\n') {
			if (i - pos > DOH_HEAD_MAX)
				return -1;
			i++;
		}
		if (i == len)
			return 1;
		size_t ll = i - pos;
		if (ll > 0 && p[i - 1] == '\r')
			ll--;
		pos = i + 1;
		if (ll == 0)
			break;
	}
	*msg_len = k;
	*end = pos;
	return 0;
}

/*
 * Reads a DoH body at p[pos] by the framing the head declared.  Returns 0
 * (*end set), 1 or -1 (*err).
 */
static int read_body(const uint8_t *p, size_t len, size_t pos, const struct head_fields *f, bool to_close,
		     uint8_t *msg, size_t *msg_len, size_t *end, enum doh_err *err, uint32_t *anom)
{
	*msg_len = 0;
	if (f->te && f->chunked) {
		int r = read_chunked(p, len, pos, msg, msg_len, end);
		if (r < 0)
			*err = DOH_ERR_CHUNKED;
		return r;
	}
	if (f->has_cl) {
		if (f->cl > DOH_MSG_MAX) {
			*err = DOH_ERR_CONTENT_LENGTH;
			return -1;
		}
		if (len - pos < f->cl)
			return 1;
		memcpy(msg, p + pos, (size_t)f->cl);
		*msg_len = (size_t)f->cl;
		*end = pos + (size_t)f->cl;
		return 0;
	}
	if (to_close || f->te) {
		size_t n = len - pos;
		*anom |= DOH_ANOM_NO_LENGTH;
		if (n > DOH_MSG_MAX) {
			*anom |= DOH_ANOM_MSG_CUT;
			n = DOH_MSG_MAX;
		}
		memcpy(msg, p + pos, n);
		*msg_len = n;
		*end = len;
		return 0;
	}
	*end = pos; /* a request without framing has no body (RFC 9112 6.3) */
	return 0;
}

/* Up to 8 CR/LF bytes before a message (RFC 9112 2.2). */
static size_t skip_leading_crlf(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && i < 8 && (p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

static size_t first_line_len(const uint8_t *p, size_t start, size_t end)
{
	size_t n = 0;
	while (start + n < end && p[start + n] != '\n')
		n++;
	if (n > 0 && p[start + n - 1] == '\r')
		n--;
	return n;
}

static size_t line_end(const uint8_t *p, size_t start, size_t end)
{
	size_t i = start;
	while (i < end && p[i] != '\n')
		i++;
	return i < end ? i + 1 : end;
}

int doh_http1_request(const uint8_t *p, size_t len, struct doh_req *out)
{
	struct head_fields f;
	size_t start, end, ml = 0, ts = 0, tl = 0;
	int r;

	memset(out, 0, offsetof(struct doh_req, msg));
	memset(&f, 0, sizeof(f));
	start = skip_leading_crlf(p, len);
	r = head_end(p, len, start, check_request_line, &end, &out->err, &out->anomalies);
	if (r != 0)
		return r;
	size_t l1 = first_line_len(p, start, end);
	if (parse_request_line(p + start, l1, true, &ml, &ts, &tl) < 0) {
		out->err = DOH_ERR_NOT_HTTP;
		return -1;
	}
	copy_text(out->method, sizeof(out->method), p + start, ml, false, &out->anomalies);
	const uint8_t *target = p + start + ts;
	copy_text(out->path, sizeof(out->path), target, tl, false, &out->anomalies);
	f.host = out->host;
	f.content_type = out->content_type;
	f.accept = out->accept;
	if (parse_fields(p, line_end(p, start, end), end, &f, &out->err) < 0)
		return -1;
	out->anomalies |= f.anom;
	out->has_content_length = f.has_cl;
	out->content_length = f.cl;
	out->chunked = f.te && f.chunked;
	out->head_len = end;

	bool get = strcmp(out->method, "GET") == 0;
	bool post = strcmp(out->method, "POST") == 0;
	if (get) {
		out->kind = classify_get(target, tl, out->accept, out->msg, sizeof(out->msg), &out->msg_len,
					 out->json_name, out->json_type, &out->anomalies);
	} else if (post && media_is(out->content_type, "application/dns-message")) {
		out->kind = DOH_KIND_WIRE_POST;
	}
	if (out->kind == DOH_KIND_WIRE_POST) {
		size_t bend;
		r = read_body(p, len, end, &f, false, out->msg, &out->msg_len, &bend, &out->err,
			      &out->anomalies);
		if (r != 0)
			return r;
		out->consumed = bend;
		return 0;
	}
	/* Not a DoH body: not read, only skipped when its length is declared. */
	if (f.te && f.chunked) {
		out->consumed = end;
		out->body_unread = true;
	} else if (f.has_cl && f.cl <= SIZE_MAX - end) {
		out->consumed = end + (size_t)f.cl;
	} else {
		out->consumed = end;
	}
	return 0;
}

int doh_http1_response(const uint8_t *p, size_t len, struct doh_resp *out)
{
	struct head_fields f;
	size_t start, end;
	int r;

	memset(out, 0, offsetof(struct doh_resp, msg));
	memset(&f, 0, sizeof(f));
	start = skip_leading_crlf(p, len);
	r = head_end(p, len, start, check_status_line, &end, &out->err, &out->anomalies);
	if (r != 0)
		return r;
	if (parse_status_line(p + start, first_line_len(p, start, end), true, &out->status) < 0) {
		out->err = DOH_ERR_NOT_HTTP;
		return -1;
	}
	f.content_type = out->content_type;
	if (parse_fields(p, line_end(p, start, end), end, &f, &out->err) < 0)
		return -1;
	out->anomalies |= f.anom;
	out->has_content_length = f.has_cl;
	out->content_length = f.cl;
	out->chunked = f.te && f.chunked;
	out->head_len = end;
	out->consumed = end;

	/* RFC 9112 6.3: these never have a body. */
	bool bodyless = out->status < 200 || out->status == 204 || out->status == 304;
	if (media_is(out->content_type, "application/dns-message"))
		out->kind = DOH_KIND_WIRE_RESPONSE;
	else if (media_is(out->content_type, "application/dns-json"))
		out->kind = DOH_KIND_JSON_RESPONSE;
	if (bodyless)
		return 0;
	if (out->kind != DOH_KIND_NONE) {
		size_t bend;
		r = read_body(p, len, end, &f, true, out->msg, &out->msg_len, &bend, &out->err,
			      &out->anomalies);
		if (r != 0)
			return r;
		out->consumed = bend;
		return 0;
	}
	if (f.te && f.chunked)
		out->body_unread = true;
	else if (f.has_cl && f.cl <= SIZE_MAX - end)
		out->consumed = end + (size_t)f.cl;
	else if (!f.has_cl)
		out->body_unread = true; /* runs to the close */
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Huffman (RFC 7541 5.2, Appendix B). */

/*
 * The code of Appendix B is canonical: the codes of each length are
 * consecutive and in symbol order, and each length starts where the
 * previous one ended, shifted left.  So the table is fully described by
 * how many codes each length has and the symbols sorted by (length,
 * symbol), and decoding can walk lengths as zlib's puff.c does.  The
 * symbol 256 is EOS.
 */
static const uint8_t huff_count[31] = {0, 0, 0, 0, 0, 10, 26, 32, 6, 0, 5, 3, 2, 6, 2, 3,
				       0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 4};
static const uint16_t huff_sym[257] = {
	/*  5 bits */ '0', '1', '2', 'a', 'c', 'e', 'i', 'o', 's', 't',
	/*  6 bits */ ' ', '%', '-', '.', '/', '3', '4', '5', '6', '7', '8', '9', '=', 'A', '_', 'b',
	              'd', 'f', 'g', 'h', 'l', 'm', 'n', 'p', 'r', 'u',
	/*  7 bits */ ':', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P',
	              'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'Y', 'j', 'k', 'q', 'v', 'w', 'x', 'y', 'z',
	/*  8 bits */ '&', '*', ',', ';', 'X', 'Z',
	/* 10 bits */ '!', '"', '(', ')', '?',
	/* 11 bits */ '\'', '+', '|',
	/* 12 bits */ '#', '>',
	/* 13 bits */ 0, '$', '@', '[', ']', '~',
	/* 14 bits */ '^', '}',
	/* 15 bits */ '<', '`', '{',
	/* 19 bits */ '\\', 195, 208,
	/* 20 bits */ 128, 130, 131, 162, 184, 194, 224, 226,
	/* 21 bits */ 153, 161, 167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230,
	/* 22 bits */ 129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170, 173, 178, 181,
	              185, 186, 187, 189, 190, 196, 198, 228, 232, 233,
	/* 23 bits */ 1, 135, 137, 138, 139, 140, 141, 143, 147, 149, 150, 151, 152, 155, 157, 158,
	              165, 166, 168, 174, 175, 180, 182, 183, 188, 191, 197, 231, 239,
	/* 24 bits */ 9, 142, 144, 145, 148, 159, 171, 206, 215, 225, 236, 237,
	/* 25 bits */ 199, 207, 234, 235,
	/* 26 bits */ 192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243, 255,
	/* 27 bits */ 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250, 251,
	              252, 253, 254,
	/* 28 bits */ 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26,
	              27, 28, 29, 30, 31, 127, 220, 249,
	/* 30 bits */ 10, 13, 22, 256,
};
#define HUFF_EOS 256
#define HUFF_MAXBITS 30

int doh_huffman_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	int32_t code = 0, first = 0, index = 0;
	unsigned len = 0;
	bool ones = true; /* bits of the symbol in progress are all 1 (a prefix of EOS) */
	size_t k = 0;

	*out_len = 0;
	for (size_t i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			int bit = (in[i] >> b) & 1;
			code |= bit;
			ones = ones && bit;
			len++;
			int32_t count = huff_count[len];
			if (code - count < first) {
				uint16_t sym = huff_sym[index + (code - first)];
				if (sym == HUFF_EOS)
					return -1; /* RFC 7541 5.2: EOS in a string is an error */
				if (k < cap)
					out[k] = (uint8_t)sym;
				k++;
				code = first = index = 0;
				len = 0;
				ones = true;
				continue;
			}
			index += count;
			first += count;
			first <<= 1;
			code <<= 1;
			if (len >= HUFF_MAXBITS)
				return -1; /* cannot happen: the code is complete */
		}
	}
	/* Padding: fewer than 8 bits, the most significant bits of EOS. */
	if (len > 7 || !ones)
		return -1;
	*out_len = k;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* HPACK (RFC 7541). */

/* Appendix A: the static table, index 1..61. */
static const char *const hp_static[62][2] = {
	{NULL, NULL},
	{":authority", ""},
	{":method", "GET"},
	{":method", "POST"},
	{":path", "/"},
	{":path", "/index.html"},
	{":scheme", "http"},
	{":scheme", "https"},
	{":status", "200"},
	{":status", "204"},
	{":status", "206"},
	{":status", "304"},
	{":status", "400"},
	{":status", "404"},
	{":status", "500"},
	{"accept-charset", ""},
	{"accept-encoding", "gzip, deflate"},
	{"accept-language", ""},
	{"accept-ranges", ""},
	{"accept", ""},
	{"access-control-allow-origin", ""},
	{"age", ""},
	{"allow", ""},
	{"authorization", ""},
	{"cache-control", ""},
	{"content-disposition", ""},
	{"content-encoding", ""},
	{"content-language", ""},
	{"content-length", ""},
	{"content-location", ""},
	{"content-range", ""},
	{"content-type", ""},
	{"cookie", ""},
	{"date", ""},
	{"etag", ""},
	{"expect", ""},
	{"expires", ""},
	{"from", ""},
	{"host", ""},
	{"if-match", ""},
	{"if-modified-since", ""},
	{"if-none-match", ""},
	{"if-range", ""},
	{"if-unmodified-since", ""},
	{"last-modified", ""},
	{"link", ""},
	{"location", ""},
	{"max-forwards", ""},
	{"proxy-authenticate", ""},
	{"proxy-authorization", ""},
	{"range", ""},
	{"referer", ""},
	{"refresh", ""},
	{"retry-after", ""},
	{"server", ""},
	{"set-cookie", ""},
	{"strict-transport-security", ""},
	{"transfer-encoding", ""},
	{"user-agent", ""},
	{"vary", ""},
	{"via", ""},
	{"www-authenticate", ""},
};
#define HP_STATIC_N 61
#define HP_ENTRY_OVERHEAD 32 /* RFC 7541 4.1 */
#define HP_DEFAULT_SIZE 4096 /* RFC 9113 6.5.2: SETTINGS_HEADER_TABLE_SIZE's initial value */

void doh_hpack_init(struct doh_hpack *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	if (cap > DOH_HPACK_TABLE_MAX)
		cap = DOH_HPACK_TABLE_MAX;
	h->cap = cap;
	h->max_size = cap < HP_DEFAULT_SIZE ? cap : HP_DEFAULT_SIZE;
}

void doh_hpack_free(struct doh_hpack *h)
{
	free(h->data);
	free(h->ent);
	h->data = NULL;
	h->ent = NULL;
	h->n = h->size = h->dcap = h->dstart = h->dend = 0;
}

/*
 * RFC 7541 5.1 integer with a prefix_bits-bit prefix, whose first byte b
 * has been read.  At most 5 continuation bytes and values up to 2^31 - 1:
 * every length and index that makes sense here is far smaller, and the
 * limit keeps the arithmetic from overflowing.
 */
static int hp_int(struct cur *c, uint8_t b, unsigned prefix_bits, uint32_t *v)
{
	uint32_t mask = (1u << prefix_bits) - 1;
	uint64_t x = b & mask;
	if (x < mask) {
		*v = (uint32_t)x;
		return 0;
	}
	for (unsigned m = 0;; m += 7) {
		if (m > 28)
			return -1;
		uint8_t nb = cur_u8(c);
		if (c->err)
			return -1;
		x += (uint64_t)(nb & 0x7f) << m;
		if (x > 0x7fffffff)
			return -1;
		if (!(nb & 0x80))
			break;
	}
	*v = (uint32_t)x;
	return 0;
}

/*
 * A name or value: where its bytes are (a table entry, the static table, a
 * raw literal in the block, or a Huffman literal in the block), its full
 * length, and a view of at most DOH_HPACK_STRING_MAX bytes for the caller.
 */
struct hp_string {
	const uint8_t *src;   /* raw bytes, or the Huffman code */
	size_t src_len;
	bool huff;
	size_t full;          /* decoded length */
	const uint8_t *view;  /* first min(full, DOH_HPACK_STRING_MAX) bytes */
	size_t view_len;
};

static void hp_plain(struct hp_string *s, const uint8_t *p, size_t n)
{
	s->src = s->view = p;
	s->src_len = s->full = n;
	s->huff = false;
	s->view_len = n < DOH_HPACK_STRING_MAX ? n : DOH_HPACK_STRING_MAX;
}

/* RFC 7541 5.2 string literal; Huffman output goes to scratch. */
static int hp_str(struct cur *c, uint8_t *scratch, struct hp_string *s)
{
	uint8_t b = cur_u8(c);
	uint32_t len;
	if (c->err || hp_int(c, b, 7, &len) < 0)
		return -1;
	if (len > cur_left(c))
		return -1;
	const uint8_t *raw = cur_ptr(c);
	cur_skip(c, len);
	if (!(b & 0x80)) {
		hp_plain(s, raw, len);
		return 0;
	}
	if (doh_huffman_decode(raw, len, scratch, DOH_HPACK_STRING_MAX, &s->full) < 0)
		return -1;
	s->src = raw;
	s->src_len = len;
	s->huff = true;
	s->view = scratch;
	s->view_len = s->full < DOH_HPACK_STRING_MAX ? s->full : DOH_HPACK_STRING_MAX;
	return 0;
}

/* Evicts the oldest entries until the size is at most limit (RFC 7541 4.3,
 * 4.4).  O(1) per entry: entries sit in insertion order in data[dstart,
 * dend), so the oldest one's bytes start at dstart. */
static void hp_evict(struct doh_hpack *h, size_t limit)
{
	while (h->n > 0 && h->size > limit) {
		size_t e = h->first;
		size_t drop = (size_t)h->ent[e].nlen + h->ent[e].vlen;
		h->size -= drop + HP_ENTRY_OVERHEAD;
		h->dstart += drop;
		h->first = (h->first + 1) % DOH_HPACK_ENTRIES_MAX;
		h->n--;
	}
}

/*
 * Makes room for need more bytes at dend.  The buffer is kept at twice the
 * table size at least, so compaction (moving the live bytes to the front)
 * happens at most once per max_size bytes appended: O(1) per byte.
 * *keep is a pointer into data that must survive (a name about to be
 * copied), updated when the bytes move.
 */
static void hp_room(struct doh_hpack *h, size_t need, const uint8_t **keep)
{
	size_t want = 2 * h->max_size;
	/* Compared as integers: *keep may point into another object. */
	uintptr_t k = (uintptr_t)*keep, d0 = (uintptr_t)h->data;
	bool inside = h->data && k >= d0 && k < d0 + h->dend;
	size_t koff = inside ? (size_t)(k - d0) : 0;

	/* data NULL with need 0 (an entry with empty name and value) still
	 * allocates: h->data + off must point into an object. */
	if (h->data && h->dend + need <= h->dcap)
		return;
	if (h->dstart > 0) {
		size_t live = h->dend - h->dstart;
		memmove(h->data, h->data + h->dstart, live);
		for (size_t i = 0, e = h->first; i < h->n; i++, e = (e + 1) % DOH_HPACK_ENTRIES_MAX)
			h->ent[e].off -= (uint32_t)h->dstart;
		koff -= inside ? h->dstart : 0;
		h->dend = live;
		h->dstart = 0;
	}
	if (h->dend + need > h->dcap || h->dcap < want) {
		size_t nc = want > h->dend + need ? want : h->dend + need;
		h->data = xrealloc(h->data, nc);
		h->dcap = nc;
	}
	if (inside)
		*keep = h->data + koff;
}

/* Copies or decodes a string's full bytes to dst. */
static void hp_put(uint8_t *dst, const struct hp_string *s)
{
	size_t n;
	if (s->huff)
		(void)doh_huffman_decode(s->src, s->src_len, dst, s->full, &n); /* checked already */
	else if (s->full)
		memcpy(dst, s->src, s->full);
}

static void hp_insert(struct doh_hpack *h, struct hp_string *name, const struct hp_string *value)
{
	size_t esize = name->full + value->full + HP_ENTRY_OVERHEAD;
	if (esize > h->max_size) {
		/* RFC 7541 4.4: an entry larger than the table empties it. */
		hp_evict(h, 0);
		h->dstart = h->dend = 0;
		return;
	}
	if (!h->ent)
		h->ent = xcalloc(DOH_HPACK_ENTRIES_MAX, sizeof(h->ent[0]));
	/*
	 * The new entry's bytes go in first, then the old entries are
	 * evicted: the name may be an entry that eviction removes (RFC 7541
	 * 4.4), and appending before evicting keeps its bytes valid.
	 */
	hp_room(h, name->full + value->full, &name->src);
	uint32_t off = (uint32_t)h->dend;
	hp_put(h->data + off, name);
	hp_put(h->data + off + name->full, value);
	h->dend += name->full + value->full;
	/* The evicted entries are exactly the bytes before off. */
	hp_evict(h, h->max_size - esize);
	size_t e = (h->first + h->n) % DOH_HPACK_ENTRIES_MAX;
	h->ent[e].off = off;
	h->ent[e].nlen = (uint16_t)name->full;
	h->ent[e].vlen = (uint16_t)value->full;
	h->n++;
	h->size += esize;
}

/* Index (1-based, static then dynamic, newest first) to name and value. */
static int hp_lookup(const struct doh_hpack *h, uint32_t idx, struct hp_string *name, struct hp_string *value)
{
	if (idx == 0)
		return -1;
	if (idx <= HP_STATIC_N) {
		hp_plain(name, (const uint8_t *)hp_static[idx][0], strlen(hp_static[idx][0]));
		hp_plain(value, (const uint8_t *)hp_static[idx][1], strlen(hp_static[idx][1]));
		return 0;
	}
	size_t d = idx - HP_STATIC_N - 1;
	if (d >= h->n)
		return -1;
	size_t e = (h->first + h->n - 1 - d) % DOH_HPACK_ENTRIES_MAX;
	const uint8_t *p = h->data + h->ent[e].off;
	hp_plain(name, p, h->ent[e].nlen);
	hp_plain(value, p + h->ent[e].nlen, h->ent[e].vlen);
	return 0;
}

int doh_hpack_decode(struct doh_hpack *h, const uint8_t *block, size_t len, doh_hpack_field_fn fn,
		     void *user, uint32_t *anom)
{
	struct cur c;
	uint8_t nbuf[DOH_HPACK_STRING_MAX], vbuf[DOH_HPACK_STRING_MAX];
	size_t fields = 0;

	cur_init(&c, block, len);
	/* Every representation consumes at least one byte. */
	while (cur_left(&c) > 0) {
		uint8_t b = cur_u8(&c);
		uint32_t idx;
		struct hp_string name, value;

		if ((b & 0xe0) == 0x20) {
			/* 6.3 dynamic table size update */
			uint32_t size;
			if (hp_int(&c, b, 5, &size) < 0 || size > h->cap)
				return -1;
			if (fields > 0)
				*anom |= DOH_ANOM_HPACK_LATE_SIZE;
			h->max_size = size;
			hp_evict(h, size);
			if (h->n == 0)
				h->dstart = h->dend = 0;
			continue;
		}
		if (b & 0x80) {
			/* 6.1 indexed header field */
			if (hp_int(&c, b, 7, &idx) < 0 || hp_lookup(h, idx, &name, &value) < 0)
				return -1;
		} else {
			/* 6.2.1 with incremental indexing (01), 6.2.2 without (0000),
			 * 6.2.3 never indexed (0001) */
			unsigned prefix = (b & 0x40) ? 6 : 4;
			if (hp_int(&c, b, prefix, &idx) < 0)
				return -1;
			if (idx > 0) {
				struct hp_string unused;
				if (hp_lookup(h, idx, &name, &unused) < 0)
					return -1;
			} else if (hp_str(&c, nbuf, &name) < 0) {
				return -1;
			}
			if (hp_str(&c, vbuf, &value) < 0)
				return -1;
		}
		/* Passed on before a possible insertion, which may move the
		 * table bytes a view points into. */
		if (fields < DOH_HPACK_FIELDS_MAX) {
			if (fn)
				fn(user, name.view, name.view_len, value.view, value.view_len,
				   name.view_len != name.full || value.view_len != value.full);
		} else {
			*anom |= DOH_ANOM_HPACK_FIELDS;
		}
		fields++;
		if ((b & 0xc0) == 0x40)
			hp_insert(h, &name, &value);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* HTTP/2 (RFC 9113). */

#define H2_DATA 0
#define H2_HEADERS 1
#define H2_PRIORITY 2
#define H2_RST_STREAM 3
#define H2_SETTINGS 4
#define H2_PUSH_PROMISE 5
#define H2_PING 6
#define H2_GOAWAY 7
#define H2_WINDOW_UPDATE 8
#define H2_CONTINUATION 9

#define H2_F_END_STREAM 0x01
#define H2_F_ACK 0x01
#define H2_F_END_HEADERS 0x04
#define H2_F_PADDED 0x08
#define H2_F_PRIORITY 0x20

#define H2_SETTINGS_MAX_FRAME_SIZE 5

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN 24

struct h2_stream {
	uint32_t id;            /* 0: slot free */
	uint64_t seq;           /* creation order: the oldest is dropped first */
	char method[DOH_METHOD_MAX];
	char authority[DOH_HOST_MAX];
	char accept[DOH_FIELD_MAX];
	char ctype[2][DOH_FIELD_MAX];
	uint8_t *path;          /* raw :path, NUL-terminated, <= DOH_H2_PATH_MAX (heap) */
	size_t path_len;
	bool path_cut;
	uint16_t status;
	bool headers_seen[2];
	bool done[2];           /* END_STREAM seen */
	bool want_body[2];      /* a DoH body: buffer DATA */
	uint8_t *body[2];       /* heap, <= DOH_MSG_MAX */
	size_t blen[2], bcap[2];
	uint32_t anom[2];
};

struct h2_dir {
	enum doh_err err;
	size_t preface_have;
	bool first_frame_seen;
	uint8_t hdr[9];
	size_t hdr_have;
	uint32_t flen, fstream;
	uint8_t ftype, fflags;
	uint8_t *fbuf;           /* payload of a frame cut by a feed boundary (DOH_H2_FRAME_MAX) */
	size_t fhave;
	uint32_t max_frame;      /* the peer's SETTINGS_MAX_FRAME_SIZE */
	struct doh_hpack hp;
	uint8_t *block;          /* header block waiting for CONTINUATION (DOH_H2_BLOCK_MAX) */
	size_t blen;
	bool in_block;
	uint32_t block_stream;
	bool block_end_stream;
	bool block_push;
};

struct doh_h2 {
	doh_h2_msg_fn fn;
	void *user;
	struct h2_dir d[2];
	struct h2_stream st[DOH_H2_MAX_STREAMS];
	uint64_t seq;
	size_t body_total;
	uint32_t anomalies;
};

bool doh_h2_preface(const uint8_t *p, size_t len)
{
	size_t n = len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN;
	return n > 0 && memcmp(p, h2_preface, n) == 0;
}

struct doh_h2 *doh_h2_new(doh_h2_msg_fn fn, void *user)
{
	struct doh_h2 *c = xcalloc(1, sizeof(*c));
	c->fn = fn;
	c->user = user;
	for (int i = 0; i < 2; i++) {
		c->d[i].max_frame = DOH_H2_FRAME_DEFAULT;
		doh_hpack_init(&c->d[i].hp, DOH_HPACK_TABLE_MAX);
	}
	return c;
}

static void stream_free_body(struct doh_h2 *c, struct h2_stream *s, int dir)
{
	c->body_total -= s->blen[dir];
	free(s->body[dir]);
	s->body[dir] = NULL;
	s->blen[dir] = s->bcap[dir] = 0;
}

static void stream_release(struct doh_h2 *c, struct h2_stream *s)
{
	stream_free_body(c, s, 0);
	stream_free_body(c, s, 1);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

void doh_h2_free(struct doh_h2 *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < DOH_H2_MAX_STREAMS; i++)
		if (c->st[i].id)
			stream_release(c, &c->st[i]);
	for (int i = 0; i < 2; i++) {
		free(c->d[i].fbuf);
		free(c->d[i].block);
		doh_hpack_free(&c->d[i].hp);
	}
	free(c);
}

enum doh_err doh_h2_error(const struct doh_h2 *c, int dir)
{
	if (dir != 0 && dir != 1)
		return DOH_OK;
	return c->d[dir].err;
}

uint32_t doh_h2_anomalies(const struct doh_h2 *c)
{
	return c->anomalies;
}

static struct h2_stream *stream_find(struct doh_h2 *c, uint32_t id)
{
	for (size_t i = 0; i < DOH_H2_MAX_STREAMS; i++)
		if (c->st[i].id == id)
			return &c->st[i];
	return NULL;
}

/* Finds or starts the state of a stream; when all slots are taken the
 * oldest stream is dropped (a stream whose end was never captured must not
 * block the rest of a long connection). */
static struct h2_stream *stream_get(struct doh_h2 *c, uint32_t id)
{
	struct h2_stream *s = stream_find(c, id), *old = NULL;
	if (s)
		return s;
	for (size_t i = 0; i < DOH_H2_MAX_STREAMS; i++) {
		if (c->st[i].id == 0) {
			s = &c->st[i];
			break;
		}
		if (!old || c->st[i].seq < old->seq)
			old = &c->st[i];
	}
	if (!s) {
		c->anomalies |= DOH_ANOM_H2_STREAMS;
		stream_release(c, old);
		s = old;
	}
	s->id = id;
	s->seq = c->seq++;
	return s;
}

/* Context of one header block being decoded. */
struct h2_block_ctx {
	struct doh_h2 *c;
	struct h2_stream *s;    /* NULL: fields not kept (push promise, stream 0, trailers) */
	int dir;
	uint32_t anom;
};

static void h2_on_field(void *user, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen,
			bool cut)
{
	struct h2_block_ctx *x = user;
	struct h2_stream *s = x->s;
	if (!s)
		return;
	if (x->dir == 0) {
		if (eq_nocase(name, nlen, ":method")) {
			copy_text(s->method, sizeof(s->method), value, vlen, false, &x->anom);
		} else if (eq_nocase(name, nlen, ":path") && !s->path) {
			size_t n = vlen < DOH_H2_PATH_MAX ? vlen : DOH_H2_PATH_MAX;
			s->path = xmalloc(n + 1);
			memcpy(s->path, value, n);
			s->path[n] = '\0';
			s->path_len = n;
			s->path_cut = cut || vlen > n;
			if (s->path_cut)
				x->anom |= DOH_ANOM_FIELD_CUT;
		} else if (eq_nocase(name, nlen, ":authority") ||
			   (eq_nocase(name, nlen, "host") && !s->authority[0])) {
			copy_text(s->authority, sizeof(s->authority), value, vlen, false, &x->anom);
		} else if (eq_nocase(name, nlen, "accept")) {
			copy_text(s->accept, sizeof(s->accept), value, vlen, true, &x->anom);
		} else if (eq_nocase(name, nlen, "content-type")) {
			copy_text(s->ctype[0], sizeof(s->ctype[0]), value, vlen, true, &x->anom);
		}
	} else {
		if (eq_nocase(name, nlen, ":status")) {
			unsigned st = 0;
			for (size_t i = 0; i < vlen && i < 3; i++)
				st = st * 10 + (unsigned)(value[i] >= '0' && value[i] <= '9' ? value[i] - '0' : 0);
			s->status = (uint16_t)st;
		} else if (eq_nocase(name, nlen, "content-type")) {
			copy_text(s->ctype[1], sizeof(s->ctype[1]), value, vlen, true, &x->anom);
		}
	}
}

static void h2_emit(struct doh_h2 *c, struct h2_stream *s, int dir, enum doh_kind kind, const uint8_t *msg,
		    size_t msg_len, const char *jname, const char *jtype, uint32_t anom)
{
	struct doh_h2_msg m;
	char path[DOH_PATH_TEXT_MAX];
	uint32_t a = anom;
	copy_text(path, sizeof(path), s->path ? s->path : (const uint8_t *)"", s->path ? s->path_len : 0,
		  false, &a);
	memset(&m, 0, sizeof(m));
	m.stream_id = s->id;
	m.dir = dir;
	m.kind = kind;
	m.method = s->method;
	m.path = path;
	m.authority = s->authority;
	m.content_type = s->ctype[dir];
	m.status = s->status;
	m.json_name = jname ? jname : "";
	m.json_type = jtype ? jtype : "";
	m.msg = msg ? msg : (const uint8_t *)""; /* never NULL, even empty */
	m.msg_len = msg_len;
	m.anomalies = a | s->anom[dir];
	if (c->fn)
		c->fn(c->user, &m);
}

/* The stream ended in direction dir: emit a DoH body, free what is done. */
static void stream_end(struct doh_h2 *c, struct h2_stream *s, int dir)
{
	s->done[dir] = true;
	if (s->want_body[dir]) {
		enum doh_kind k = dir == 0 ? DOH_KIND_WIRE_POST
				  : media_is(s->ctype[1], "application/dns-json") ? DOH_KIND_JSON_RESPONSE
										  : DOH_KIND_WIRE_RESPONSE;
		h2_emit(c, s, dir, k, s->body[dir], s->blen[dir], NULL, NULL, 0);
		s->want_body[dir] = false;
		stream_free_body(c, s, dir);
	}
	if (s->done[0] && s->done[1])
		stream_release(c, s);
}

/* A complete header block of stream s (NULL: not kept). */
static void headers_done(struct doh_h2 *c, struct h2_stream *s, int dir, bool trailers, bool end_stream)
{
	if (!s)
		return;
	if (!trailers && dir == 1 && s->status >= 100 && s->status < 200) {
		/* An interim response (RFC 9113 8.1): the final one follows. */
		s->status = 0;
		s->ctype[1][0] = '\0';
		return;
	}
	if (!trailers) {
		s->headers_seen[dir] = true;
		if (dir == 0 && strcmp(s->method, "GET") == 0 && s->path) {
			uint8_t msg[DOH_H2_PATH_MAX];
			char jname[DOH_JSON_NAME_MAX] = "", jtype[DOH_JSON_TYPE_MAX] = "";
			size_t ml = 0;
			uint32_t a = 0;
			enum doh_kind k = classify_get(s->path, s->path_len, s->accept, msg, sizeof(msg), &ml,
						       jname, jtype, &a);
			if (s->path_cut && k == DOH_KIND_WIRE_GET)
				a |= DOH_ANOM_MSG_CUT;
			if (k != DOH_KIND_NONE)
				h2_emit(c, s, 0, k, msg, ml, jname, jtype, a);
		} else if (dir == 0 && strcmp(s->method, "POST") == 0 &&
			   media_is(s->ctype[0], "application/dns-message")) {
			s->want_body[0] = true;
		} else if (dir == 1 && s->status >= 200 &&
			   (media_is(s->ctype[1], "application/dns-message") ||
			    media_is(s->ctype[1], "application/dns-json"))) {
			s->want_body[1] = true;
		}
	}
	if (end_stream)
		stream_end(c, s, dir);
}

static void dir_fail(struct h2_dir *d, enum doh_err e)
{
	if (d->err == DOH_OK)
		d->err = e;
}

/* Decodes a whole header block and applies it to its stream. */
static void block_decode(struct doh_h2 *c, int dir, const uint8_t *blk, size_t n, uint32_t stream_id,
			 bool end_stream, bool push)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_block_ctx x;
	struct h2_stream *s = NULL;
	bool trailers = false;

	memset(&x, 0, sizeof(x));
	if (!push && stream_id != 0) {
		s = stream_get(c, stream_id);
		trailers = s->headers_seen[dir];
	}
	x.c = c;
	x.s = trailers ? NULL : s;
	x.dir = dir;
	if (doh_hpack_decode(&d->hp, blk, n, h2_on_field, &x, &c->anomalies) < 0) {
		dir_fail(d, DOH_ERR_HPACK);
		return;
	}
	if (s)
		s->anom[dir] |= x.anom;
	c->anomalies |= x.anom;
	headers_done(c, s, dir, trailers, end_stream);
}

static void block_append(struct doh_h2 *c, int dir, const uint8_t *frag, size_t n)
{
	struct h2_dir *d = &c->d[dir];
	if (n > DOH_H2_BLOCK_MAX - d->blen) {
		dir_fail(d, DOH_ERR_H2_CONTINUATION);
		return;
	}
	if (!d->block)
		d->block = xmalloc(DOH_H2_BLOCK_MAX);
	memcpy(d->block + d->blen, frag, n);
	d->blen += n;
}

/*
 * Starts a header block (HEADERS or PUSH_PROMISE fragment).  When the frame
 * ends the block, it is decoded straight from the frame.
 */
static void block_start(struct doh_h2 *c, int dir, const uint8_t *frag, size_t n, uint32_t stream_id,
			bool end_headers, bool end_stream, bool push)
{
	struct h2_dir *d = &c->d[dir];
	if (end_headers) {
		block_decode(c, dir, frag, n, stream_id, end_stream, push);
		return;
	}
	d->in_block = true;
	d->blen = 0;
	d->block_stream = stream_id;
	d->block_end_stream = end_stream;
	d->block_push = push;
	block_append(c, dir, frag, n);
}

/* RFC 9113 6.1/6.2/6.6: strips the Pad Length byte and the padding.
 * Returns 0, or -1 when the padding does not fit the payload. */
static int strip_padding(uint8_t flags, const uint8_t **p, size_t *n)
{
	if (!(flags & H2_F_PADDED))
		return 0;
	if (*n < 1)
		return -1;
	size_t pad = (*p)[0];
	if (pad > *n - 1)
		return -1;
	*p += 1;
	*n -= 1 + pad;
	return 0;
}

static void stream_data(struct doh_h2 *c, int dir, uint32_t id, const uint8_t *p, size_t n, bool end)
{
	struct h2_stream *s = stream_find(c, id);
	if (!s)
		return;
	if (s->want_body[dir] && n > 0) {
		size_t room = DOH_MSG_MAX - s->blen[dir];
		size_t k = n < room ? n : room;
		if (k < n)
			s->anom[dir] |= DOH_ANOM_MSG_CUT;
		if (k > DOH_H2_CONN_BODY_MAX - c->body_total) {
			c->anomalies |= DOH_ANOM_H2_CONN_CAP;
			s->anom[dir] |= DOH_ANOM_MSG_CUT;
			k = DOH_H2_CONN_BODY_MAX - c->body_total;
		}
		if (k > 0) {
			s->body[dir] = xgrow(s->body[dir], &s->bcap[dir], s->blen[dir] + k, 1);
			memcpy(s->body[dir] + s->blen[dir], p, k);
			s->blen[dir] += k;
			c->body_total += k;
		}
	}
	if (end)
		stream_end(c, s, dir);
}

static void frame_settings(struct doh_h2 *c, int dir, uint8_t flags, uint32_t sid, const uint8_t *p, size_t n)
{
	if (sid != 0 || ((flags & H2_F_ACK) && n != 0) || n % 6 != 0) {
		c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
		return;
	}
	for (size_t i = 0; i + 6 <= n; i += 6) {
		uint16_t id = (uint16_t)((p[i] << 8) | p[i + 1]);
		uint32_t v = ((uint32_t)p[i + 2] << 24) | ((uint32_t)p[i + 3] << 16) | ((uint32_t)p[i + 4] << 8) |
			     p[i + 5];
		if (id == H2_SETTINGS_MAX_FRAME_SIZE) {
			/* RFC 9113 6.5.2: 2^14 .. 2^24-1.  It bounds what the
			 * peer may send to the endpoint that said it. */
			if (v < DOH_H2_FRAME_DEFAULT || v > 0xffffff) {
				c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
				continue;
			}
			c->d[!dir].max_frame = v < DOH_H2_FRAME_MAX ? v : DOH_H2_FRAME_MAX;
		}
		/* SETTINGS_HEADER_TABLE_SIZE is not needed: an encoder that
		 * wants another table size says so in the block itself
		 * (RFC 7541 6.3), and that is what we follow. */
	}
}

static void frame(struct doh_h2 *c, int dir, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &c->d[dir];
	uint8_t type = d->ftype, flags = d->fflags;
	uint32_t sid = d->fstream;

	/* RFC 9113 6.10: nothing may come between a header block's frames. */
	if (d->in_block) {
		if (type != H2_CONTINUATION || sid != d->block_stream) {
			dir_fail(d, DOH_ERR_H2_CONTINUATION);
			return;
		}
		block_append(c, dir, p, n);
		if (d->err == DOH_OK && (flags & H2_F_END_HEADERS)) {
			d->in_block = false;
			block_decode(c, dir, d->block, d->blen, d->block_stream, d->block_end_stream,
				     d->block_push);
			d->blen = 0;
		}
		return;
	}
	switch (type) {
	case H2_DATA:
		if (sid == 0 || strip_padding(flags, &p, &n) < 0) {
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
			return;
		}
		stream_data(c, dir, sid, p, n, (flags & H2_F_END_STREAM) != 0);
		return;
	case H2_HEADERS:
		/* Padding that does not fit leaves the block boundaries unknown,
		 * and with them the HPACK state: the connection is lost (a
		 * real endpoint would close it with PROTOCOL_ERROR too). */
		if (strip_padding(flags, &p, &n) < 0) {
			dir_fail(d, DOH_ERR_H2_FRAME);
			return;
		}
		if (flags & H2_F_PRIORITY) {
			if (n < 5) {
				dir_fail(d, DOH_ERR_H2_FRAME);
				return;
			}
			p += 5;
			n -= 5;
		}
		if (sid == 0)
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
		block_start(c, dir, p, n, sid, (flags & H2_F_END_HEADERS) != 0, (flags & H2_F_END_STREAM) != 0,
			    false);
		return;
	case H2_PUSH_PROMISE:
		if (strip_padding(flags, &p, &n) < 0 || n < 4) {
			dir_fail(d, DOH_ERR_H2_FRAME);
			return;
		}
		if (dir == 0)
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME; /* only servers push */
		/* Decoded to keep the table in step; pushed responses are not
		 * followed. */
		block_start(c, dir, p + 4, n - 4, sid, (flags & H2_F_END_HEADERS) != 0, false, true);
		return;
	case H2_CONTINUATION:
		dir_fail(d, DOH_ERR_H2_CONTINUATION);
		return;
	case H2_RST_STREAM:
		if (n != 4 || sid == 0) {
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
			return;
		}
		{
			struct h2_stream *s = stream_find(c, sid);
			if (s)
				stream_release(c, s);
		}
		return;
	case H2_SETTINGS:
		frame_settings(c, dir, flags, sid, p, n);
		return;
	case H2_PRIORITY:
		if (n != 5)
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
		return;
	case H2_PING:
		if (n != 8 || sid != 0)
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
		return;
	case H2_GOAWAY:
		if (n < 8 || sid != 0)
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
		return;
	case H2_WINDOW_UPDATE:
		if (n != 4)
			c->anomalies |= DOH_ANOM_H2_BAD_FRAME;
		return;
	default:
		return; /* RFC 9113 5.5: unknown types are ignored */
	}
}

/* A complete 9-byte frame header in d->hdr. */
static int frame_header(struct doh_h2 *c, int dir)
{
	struct h2_dir *d = &c->d[dir];
	d->flen = ((uint32_t)d->hdr[0] << 16) | ((uint32_t)d->hdr[1] << 8) | d->hdr[2];
	d->ftype = d->hdr[3];
	d->fflags = d->hdr[4];
	d->fstream = (((uint32_t)d->hdr[5] << 24) | ((uint32_t)d->hdr[6] << 16) | ((uint32_t)d->hdr[7] << 8) |
		      d->hdr[8]) &
		     0x7fffffff;
	d->fhave = 0;
	/* RFC 9113 3.4: each side's first frame is SETTINGS. */
	if (!d->first_frame_seen) {
		if (d->ftype != H2_SETTINGS) {
			dir_fail(d, DOH_ERR_H2_PREFACE);
			return -1;
		}
		d->first_frame_seen = true;
	}
	/*
	 * The hard cap bounds what we buffer; between the peer's
	 * SETTINGS_MAX_FRAME_SIZE and it, the frame is kept and flagged,
	 * because the two directions may reach us out of order and the
	 * SETTINGS that allowed it may not have been read yet.
	 */
	if (d->flen > DOH_H2_FRAME_MAX) {
		dir_fail(d, DOH_ERR_H2_FRAME);
		return -1;
	}
	if (d->flen > d->max_frame)
		c->anomalies |= DOH_ANOM_H2_FRAME_SIZE;
	return 0;
}

int doh_h2_feed(struct doh_h2 *c, int dir, const uint8_t *p, size_t len)
{
	struct cur in;
	if (dir != 0 && dir != 1)
		return -1;
	struct h2_dir *d = &c->d[dir];
	if (d->err)
		return -1;
	cur_init(&in, p, len);
	if (dir == 0) {
		while (d->preface_have < H2_PREFACE_LEN && cur_left(&in) > 0) {
			if (cur_u8(&in) != (uint8_t)h2_preface[d->preface_have]) {
				dir_fail(d, DOH_ERR_H2_PREFACE);
				return -1;
			}
			d->preface_have++;
		}
	}
	/* Each pass takes header bytes or payload bytes, or ends. */
	while (d->err == DOH_OK) {
		if (d->hdr_have < 9) {
			while (d->hdr_have < 9 && cur_left(&in) > 0)
				d->hdr[d->hdr_have++] = cur_u8(&in);
			if (d->hdr_have < 9)
				break;
			if (frame_header(c, dir) < 0)
				break;
		}
		size_t need = d->flen - d->fhave;
		if (d->fhave == 0 && cur_left(&in) >= need) {
			/* Whole payload present: no copy. */
			const uint8_t *fp = cur_ptr(&in);
			cur_skip(&in, need);
			d->hdr_have = 0;
			frame(c, dir, fp, need);
			continue;
		}
		if (cur_left(&in) == 0)
			break;
		if (!d->fbuf)
			d->fbuf = xmalloc(DOH_H2_FRAME_MAX);
		size_t k = cur_left(&in) < need ? cur_left(&in) : need;
		cur_copy(&in, d->fbuf + d->fhave, k);
		d->fhave += k;
		if (d->fhave == d->flen) {
			d->hdr_have = 0;
			frame(c, dir, d->fbuf, d->flen);
			d->fhave = 0;
		}
	}
	return d->err ? -1 : 0;
}
