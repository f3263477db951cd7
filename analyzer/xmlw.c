/* xmlw.c - streaming XML and HTML writer (XML 1.0, HTML Living Standard 13.1: escaping, well-formed UTF-8 output). */
#include "xmlw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* The stream's buffer: a report is written in few large writes. */
#define XMLW_BUF (1 << 16)

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one
 * (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).  s is
 * NUL-terminated: every check stops at the first byte that is not a
 * continuation byte, so nothing past the terminator is read. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* Bytes written as they are by both rules: printable ASCII but the five
 * markup characters & < > " ', as a 256-bit map (bit c set: c is plain).
 * One table lookup a byte where the test was seven comparisons. */
#define BIT(c) (UINT64_C(1) << ((c) & 63))
static const uint64_t plain_map[4] = {
	UINT64_C(0xffffffff00000000) & ~(BIT('"') | BIT('&') | BIT('\'') | BIT('<') | BIT('>')),
	UINT64_C(0x7fffffffffffffff), /* 0x40..0x7e; not DEL */
	0,
	0,
};

static inline bool is_plain(unsigned char c)
{
	return (plain_map[c >> 6] >> (c & 63)) & 1;
}

void xmlw_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		/* the common case: a run of plain ASCII, written at once */
		size_t run = 0;
		while (is_plain(s[run]))
			run++;
		if (run) {
			fwrite(s, 1, run, f);
			s += run;
			continue;
		}
		switch (*s) {
		case '&': fputs("&amp;", f); s++; continue;
		case '<': fputs("&lt;", f); s++; continue;
		case '>': fputs("&gt;", f); s++; continue;
		case '"': fputs("&quot;", f); s++; continue;
		case '\'': fputs("&apos;", f); s++; continue;
		default: break;
		}
		int n = *s >= 0x80 ? utf8_len(s) : 0;
		if (n > 0) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		} else {
			/* control bytes and broken UTF-8: visible, never raw */
			fprintf(f, "\\x%02x", *s);
			s++;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* HTML mode output: the writer's own buffer.  A page is some hundred
 * thousand small pieces (a tag name, a quote, a class); each is a memcpy
 * here, where a stdio call would cost a lock and an indirect call. */

static void write_out(struct xmlw *w, const char *s, size_t n)
{
	if (fwrite(s, 1, n, w->f) != n && !w->err) {
		w->err = true;
		w->errnum = errno; /* the first failure is the one to report */
	}
}

static void flush(struct xmlw *w)
{
	if (w->blen)
		write_out(w, w->buf, w->blen);
	w->blen = 0;
	w->flushes++;
}

static void put(struct xmlw *w, const char *s, size_t n)
{
	if (n > XMLW_BUF - w->blen) {
		flush(w);
		if (n > XMLW_BUF) {
			write_out(w, s, n);
			return;
		}
	}
	memcpy(w->buf + w->blen, s, n);
	w->blen += n;
}

static void put_s(struct xmlw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_c(struct xmlw *w, char c)
{
	if (w->blen == XMLW_BUF)
		flush(w);
	w->buf[w->blen++] = c;
}

/* Copies the run of plain bytes (is_plain) at s into the buffer, flushing
 * it when full, and returns where the run ends (at the terminator or at a
 * byte that needs escaping).  Scanning and copying in one pass: most
 * values are a few plain bytes, for which a separate scan and memcpy cost
 * more than the bytes. */
static const unsigned char *put_plain(struct xmlw *w, const unsigned char *s)
{
	for (;;) {
		char *d = w->buf + w->blen;
		size_t room = XMLW_BUF - w->blen, i = 0;
		while (i < room && is_plain(s[i])) {
			d[i] = (char)s[i];
			i++;
		}
		w->blen += i;
		s += i;
		if (i < room)
			return s;
		flush(w);
	}
}

/* XML text and attribute values into the writer's buffer: the same rules
 * as xmlw_escape. */
static void escape_xml(struct xmlw *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	for (;;) {
		s = put_plain(w, s);
		if (!*s)
			return;
		switch (*s) {
		case '&': put(w, "&amp;", 5); s++; continue;
		case '<': put(w, "&lt;", 4); s++; continue;
		case '>': put(w, "&gt;", 4); s++; continue;
		case '"': put(w, "&quot;", 6); s++; continue;
		case '\'': put(w, "&apos;", 6); s++; continue;
		default: break;
		}
		int n = *s >= 0x80 ? utf8_len(s) : 0;
		if (n > 0) {
			put(w, (const char *)s, (size_t)n);
			s += n;
		} else {
			static const char hex[] = "0123456789abcdef";
			char e[4] = {'\\', 'x', hex[*s >> 4], hex[*s & 15]};
			put(w, e, 4);
			s++;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* The HTML text rule (xmlw.h) */

/* Code points above U+007F that may not be shown as they are: C1
 * controls, the noncharacters U+FFFE/U+FFFF (XML 1.0 2.2), the
 * bidirectional formatting characters (ALM, LRM, RLM, LRE..RLO, LRI..PDI)
 * and the line and paragraph separators. */
static bool cp_bad(unsigned c)
{
	if (c <= 0x9f)
		return true;
	if (c == 0xfffe || c == 0xffff)
		return true;
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

bool xmlw_html_ok(const char *str, bool allow_nl)
{
	const unsigned char *s = (const unsigned char *)str;
	for (;;) {
		unsigned char c = *s;
		if (c >= 0x20 && c < 0x7f) {
			s++;
			continue;
		}
		if (c == 0)
			return true;
		if (c == '\n' && allow_nl) {
			s++;
			continue;
		}
		if (c < 0x80)
			return false; /* C0 control, DEL */
		int n = utf8_len(s);
		if (n == 0)
			return false;
		unsigned cp = n == 2 ? (c & 0x1fu) << 6 | (s[1] & 0x3fu)
			    : n == 3 ? (c & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu)
				     : (c & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
		if (cp_bad(cp))
			return false;
		s += n;
	}
}

/* Bytes written as they are in the \xHH form: printable ASCII but the
 * five markup characters (and a newline where allowed). */
static bool plain(unsigned char c, bool allow_nl)
{
	return is_plain(c) || (c == '\n' && allow_nl);
}

static void html_write(struct xmlw *w, const char *str, size_t n, bool hex, bool allow_nl)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;
	while (s < end) {
		/* a run that needs nothing: anything but the five markup
		 * characters in clean text; plain() bytes in the hex form */
		const unsigned char *r = s;
		if (hex) {
			while (r < end && plain(*r, allow_nl))
				r++;
		} else {
			while (r < end && *r != '&' && *r != '<' && *r != '>' && *r != '"' && *r != '\'')
				r++;
		}
		if (r > s) {
			put(w, (const char *)s, (size_t)(r - s));
			s = r;
			continue;
		}
		switch (*s) {
		case '&': put(w, "&amp;", 5); break;
		case '<': put(w, "&lt;", 4); break;
		case '>': put(w, "&gt;", 4); break;
		case '"': put(w, "&quot;", 6); break;
		case '\'': put(w, "&#39;", 5); break; /* &apos; is not HTML 4; this reads everywhere */
		default: {
			static const char hexd[] = "0123456789abcdef";
			char x[4] = {'\\', 'x', hexd[*s >> 4], hexd[*s & 15]};
			put(w, x, 4);
			break;
		}
		}
		s++;
	}
}

static void escape_html(struct xmlw *w, const char *str, bool allow_nl)
{
	/* most strings are plain ASCII: written in the same pass that finds
	 * it out; the rest is checked (the run before it is plain ASCII, so
	 * the decision for the rest is the one for the whole) and written by
	 * the rule */
	const unsigned char *s = put_plain(w, (const unsigned char *)str);
	if (!*s)
		return;
	const char *rest = (const char *)s;
	bool hex = !xmlw_html_ok(rest, allow_nl);
	html_write(w, rest, strlen(rest), hex, allow_nl);
}

static void close_start(struct xmlw *w, bool text);

void xmlw_html_write(struct xmlw *w, const char *s, size_t n, bool hex, bool allow_nl)
{
	if (!w->html) {
		w->err = true; /* HTML mode only: in XML mode buf is the stream's */
		return;
	}
	close_start(w, true);
	html_write(w, s, n, hex, allow_nl);
}

void xmlw_escape_html(struct xmlw *w, const char *s, bool allow_nl)
{
	if (!w->html) {
		w->err = true;
		return;
	}
	close_start(w, true);
	escape_html(w, s, allow_nl);
}

/* ---------------------------------------------------------------------- */
/* Layout of HTML elements.  Whitespace between block-level elements does
 * not show; next to inline content (a, span, b, br, svg and everything in
 * it) it would, so line breaks go only after the tags of known block-level
 * elements, and after the start tag only of those whose children are
 * blocks too. */

enum hkind {
	HK_VOID = 1,      /* no end tag (HTML 13.1.2 void elements) */
	HK_NL_END = 2,    /* line break after the end tag (or the void start tag) */
	HK_NL_START = 4,  /* line break after the start tag */
	HK_BLOCK = HK_NL_END,                /* a block holding inline content (p, td) */
	HK_BOX = HK_NL_START | HK_NL_END,    /* a block holding blocks (table, tr, main) */
};

struct hname {
	const char *name;
	uint8_t kind;
};

/* Sorted by strcmp (looked up by binary search); names not here are
 * inline (a, span, b, svg, ...). */
static const struct hname hnames[] = {
	{"area", HK_VOID}, {"article", HK_BOX}, {"base", HK_VOID}, {"body", HK_BOX}, {"br", HK_VOID},
	{"caption", HK_BLOCK}, {"col", HK_VOID}, {"dd", HK_BLOCK}, {"details", HK_BLOCK}, {"div", HK_BLOCK}, {"dl", HK_BOX},
	{"dt", HK_BLOCK}, {"embed", HK_VOID}, {"figcaption", HK_BLOCK}, {"figure", HK_BOX},
	{"footer", HK_BLOCK}, {"h1", HK_BLOCK}, {"h2", HK_BLOCK}, {"h3", HK_BLOCK}, {"h4", HK_BLOCK},
	{"h5", HK_BLOCK}, {"h6", HK_BLOCK}, {"head", HK_BOX}, {"header", HK_BLOCK},
	{"hr", HK_VOID | HK_NL_END}, {"html", HK_BOX}, {"img", HK_VOID}, {"input", HK_VOID}, {"li", HK_BLOCK},
	{"link", HK_VOID | HK_NL_END}, {"main", HK_BOX}, {"meta", HK_VOID | HK_NL_END}, {"ol", HK_BOX},
	{"p", HK_BLOCK}, {"pre", HK_BLOCK}, {"section", HK_BOX}, {"source", HK_VOID}, {"style", HK_BLOCK}, {"summary", HK_BLOCK}, {"table", HK_BOX},
	{"tbody", HK_BOX}, {"td", HK_BLOCK}, {"th", HK_BLOCK}, {"thead", HK_BOX}, {"title", HK_BLOCK},
	{"tr", HK_BOX}, {"track", HK_VOID}, {"ul", HK_BOX}, {"wbr", HK_VOID},
};

/* strcmp's order, inline: this runs for every element of a page and the
 * names are a few letters long. */
static int name_cmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static uint8_t html_kind(const char *name)
{
	size_t lo = 0, hi = sizeof(hnames) / sizeof(hnames[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(name, hnames[mid].name);
		if (c == 0)
			return hnames[mid].kind;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* The name's length and layout class, worked out once per name: names are
 * string literals (xmlw.h), so the address tells the name, and a page
 * starts a few hundred thousand elements with a few dozen names. */
static const struct xmlw_name *name_info(struct xmlw *w, const char *name)
{
	uint64_t a = (uint64_t)(uintptr_t)name;
	struct xmlw_name *n = &w->names[(a ^ a >> 7) & (XMLW_NAMES - 1)];
	if (n->name != name) {
		n->name = name;
		n->len = strlen(name);
		n->svg = name_cmp(name, "svg") == 0;
		n->kind = n->svg ? 0 : html_kind(name);
	}
	return n;
}

/* ---------------------------------------------------------------------- */
/* The *_stable calls' cache (xmlw.h): escaped values by the address of
 * the original, in an open-addressing table (linear probing: the few
 * dozen values a report repeats never push each other out, as they would
 * in a direct-mapped one) over one text arena.  Bounded: when the table
 * is three quarters full or the arena cannot take a value, everything is
 * dropped and the cache fills again. */

#define CACHE_SLOTS 256          /* a power of two */
#define CACHE_ARENA (64 * 1024)  /* escaped bytes held */
#define CACHE_TEXT 1024          /* the longest escaped value kept */

struct xmlw_slot {
	const char *key; /* NULL: empty */
	uint32_t off, len; /* the escaped text: arena[off .. off + len) */
};

struct xmlw_cache {
	struct xmlw_slot slot[CACHE_SLOTS];
	size_t nslots, used; /* slots taken, arena bytes taken */
	char arena[CACHE_ARENA];
};

static void escape_mode(struct xmlw *w, const char *s)
{
	if (w->html)
		escape_html(w, s, false);
	else
		escape_xml(w, s);
}

static struct xmlw_slot *cache_find(struct xmlw_cache *c, const char *key)
{
	uint64_t a = (uint64_t)(uintptr_t)key * UINT64_C(0x9e3779b97f4a7c15);
	size_t i = (size_t)(a >> 32) & (CACHE_SLOTS - 1);
	while (c->slot[i].key && c->slot[i].key != key)
		i = (i + 1) & (CACHE_SLOTS - 1);
	return &c->slot[i]; /* never full (cleared at three quarters): ends on key or empty */
}

static void escape_stable(struct xmlw *w, const char *s)
{
	if (!w->cache)
		w->cache = xcalloc(1, sizeof(*w->cache));
	struct xmlw_cache *c = w->cache;
	struct xmlw_slot *sl = cache_find(c, s);
	if (sl->key) {
		put(w, c->arena + sl->off, sl->len);
		return;
	}
	/* A miss: escaped into the buffer as any value, then copied into
	 * the arena when it came out in one piece (no flush in between: room
	 * for the longest kept value is made first) and is not too long. */
	if (XMLW_BUF - w->blen < CACHE_TEXT)
		flush(w);
	size_t start = w->blen, flushes = w->flushes;
	escape_mode(w, s);
	size_t n = w->blen - start;
	if (w->flushes != flushes || n > CACHE_TEXT)
		return;
	if (c->nslots + 1 > CACHE_SLOTS / 4 * 3 || n > CACHE_ARENA - c->used) {
		memset(c->slot, 0, sizeof(c->slot));
		c->nslots = c->used = 0;
		sl = cache_find(c, s);
	}
	sl->key = s;
	sl->off = (uint32_t)c->used;
	sl->len = (uint32_t)n;
	memcpy(c->arena + c->used, w->buf + start, n);
	c->used += n;
	c->nslots++;
}

/* ---------------------------------------------------------------------- */
/* Opening and closing */

static int open_stream(struct xmlw *w, const char *path, bool html)
{
	memset(w, 0, sizeof(*w));
	/* A new file only, never through a symlink: report folders are made
	 * fresh (outdir.h), so anything already at path was planted. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	w->f = fdopen(fd, "w");
	if (!w->f) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* each writer has its own buffer: two open at once must not share one */
	w->buf = xmalloc(XMLW_BUF);
	w->html = html;
	setvbuf(w->f, NULL, _IONBF, 0); /* buf is the writer's: full 64 KiB writes */
	return 0;
}

int xmlw_open(struct xmlw *w, const char *path)
{
	if (open_stream(w, path, false) < 0)
		return -1;
	put_s(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	return 0;
}

int xmlw_open_html(struct xmlw *w, const char *path)
{
	if (open_stream(w, path, true) < 0)
		return -1;
	put_s(w, "<!DOCTYPE html>\n");
	return 0;
}

static void indent(struct xmlw *w)
{
	static const char spaces[2 * XMLW_DEPTH] = "                                                                ";
	put(w, spaces, 2 * (size_t)w->depth); /* depth <= XMLW_DEPTH */
}

/* Ends a pending start tag.  text: content follows on the same line (XML
 * mode; HTML mode never adds a line break before text). */
static void close_start(struct xmlw *w, bool text)
{
	if (!w->open)
		return;
	w->open = false;
	if (w->html) {
		if (w->kind[w->depth - 1] & HK_NL_START)
			put(w, ">\n", 2);
		else
			put_c(w, '>');
	} else if (text) {
		put_c(w, '>');
		w->inline_text = true;
	} else {
		put(w, ">\n", 2);
	}
}

void xmlw_start(struct xmlw *w, const char *name)
{
	close_start(w, false);
	if (w->depth >= XMLW_DEPTH) {
		w->err = true;
		return;
	}
	const struct xmlw_name *n = name_info(w, name);
	if (w->html) {
		uint8_t k = 0;
		if (!w->svg_depth) {
			if (n->svg)
				w->svg_depth = w->depth + 1;
			else
				k = n->kind;
		}
		w->kind[w->depth] = k;
	} else {
		indent(w);
	}
	put_c(w, '<');
	put(w, name, n->len);
	w->nlen[w->depth] = n->len;
	w->stack[w->depth++] = name;
	w->open = true;
}

static void html_end(struct xmlw *w)
{
	const char *name = w->stack[--w->depth];
	uint8_t k = w->kind[w->depth];
	if (w->svg_depth > w->depth)
		w->svg_depth = 0;
	bool was_open = w->open;
	w->open = false;
	if (!(was_open && (k & HK_VOID))) {
		put(w, was_open ? "></" : "</", was_open ? 3 : 2);
		put(w, name, w->nlen[w->depth]);
	}
	put_c(w, '>');
	if (k & HK_NL_END)
		put_c(w, '\n');
}

void xmlw_end(struct xmlw *w)
{
	if (w->depth <= 0) {
		w->err = true;
		return;
	}
	if (w->html) {
		html_end(w);
		return;
	}
	const char *name = w->stack[--w->depth];
	if (w->open) {
		put(w, "/>\n", 3);
		w->open = false;
		return;
	}
	if (w->inline_text)
		w->inline_text = false;
	else
		indent(w);
	put(w, "</", 2);
	put(w, name, w->nlen[w->depth]);
	put(w, ">\n", 2);
}

/* ' name="' of an attribute of the open start tag; false (and the error
 * set) when there is none. */
static bool attr_start(struct xmlw *w, const char *name, size_t name_len)
{
	if (!w->open) {
		w->err = true;
		return false;
	}
	put_c(w, ' ');
	put(w, name, name_len);
	put(w, "=\"", 2);
	return true;
}

void xmlw_attr_n(struct xmlw *w, const char *name, size_t name_len, const char *val)
{
	if (!attr_start(w, name, name_len))
		return;
	escape_mode(w, val ? val : "");
	put_c(w, '"');
}

void xmlw_attr_stable_n(struct xmlw *w, const char *name, size_t name_len, const char *val)
{
	if (!attr_start(w, name, name_len))
		return;
	if (val)
		escape_stable(w, val);
	put_c(w, '"');
}


/* Digits need no escaping by either rule: written as they are. */
void xmlw_attr_u64_n(struct xmlw *w, const char *name, size_t name_len, uint64_t v)
{
	if (!attr_start(w, name, name_len))
		return;
	char b[24];
	put(w, b, (size_t)(put_u64(b, v) - b));
	put_c(w, '"');
}

void xmlw_attrf(struct xmlw *w, const char *name, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xmlw_attr(w, name, buf);
}

/* <name>text</name> on a line of its own (XML mode). */
static void xml_elem(struct xmlw *w, const char *name, const char *text, bool stable)
{
	size_t nl = name_info(w, name)->len;
	close_start(w, false);
	indent(w);
	put_c(w, '<');
	put(w, name, nl);
	put_c(w, '>');
	if (stable)
		escape_stable(w, text);
	else
		escape_xml(w, text);
	put(w, "</", 2);
	put(w, name, nl);
	put(w, ">\n", 2);
}

void xmlw_elem(struct xmlw *w, const char *name, const char *text)
{
	if (!text)
		return;
	if (w->html) {
		xmlw_start(w, name);
		xmlw_text(w, text);
		xmlw_end(w);
		return;
	}
	xml_elem(w, name, text, false);
}

void xmlw_elem_stable(struct xmlw *w, const char *name, const char *text)
{
	if (!text)
		return;
	if (w->html) {
		xmlw_start(w, name);
		xmlw_text_stable(w, text);
		xmlw_end(w);
		return;
	}
	xml_elem(w, name, text, true);
}

void xmlw_text_stable(struct xmlw *w, const char *s)
{
	if (!s)
		return;
	close_start(w, true);
	escape_stable(w, s);
}

void xmlw_text(struct xmlw *w, const char *s)
{
	if (!s)
		return;
	close_start(w, true);
	if (w->html)
		escape_html(w, s, false);
	else
		escape_xml(w, s);
}

void xmlw_textf(struct xmlw *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xmlw_text(w, buf);
}

void xmlw_raw(struct xmlw *w, const char *s)
{
	close_start(w, true);
	put_s(w, s);
}

void xmlw_raw_n(struct xmlw *w, const char *s, size_t n)
{
	close_start(w, true);
	put(w, s, n);
}

void xmlw_rawf(struct xmlw *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xmlw_raw(w, buf);
}

void xmlw_u64(struct xmlw *w, uint64_t v)
{
	char b[24];
	xmlw_raw_n(w, b, (size_t)(put_u64(b, v) - b));
}

int xmlw_close(struct xmlw *w)
{
	while (w->depth > 0)
		xmlw_end(w);
	flush(w);
	bool bad = w->err || ferror(w->f);
	if (fclose(w->f) != 0)
		bad = true; /* errno from fclose */
	else if (bad)
		errno = w->errnum; /* the failed write's, 0 for a misuse (too deep, end without start) */
	w->f = NULL;
	free(w->buf);
	w->buf = NULL;
	free(w->cache);
	w->cache = NULL;
	return bad ? -1 : 0;
}
