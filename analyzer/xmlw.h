/* xmlw.h - a small streaming XML (and HTML) writer for the reports: escaping, layout, nothing else. */
#ifndef LS_XMLW_H
#define LS_XMLW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define XMLW_DEPTH 32
#define XMLW_NAMES 32 /* element names remembered (xmlw.c name_info): a power of two */

/*
 * Why not libxml2's xmlTextWriter (or, for HTML, a libxml2 tree and its
 * HTML serialiser): on a large capture the reports hold hundreds of
 * thousands of events, and most of the run went into per-node allocation
 * and per-call overhead.  This writer does what the reports need: elements,
 * attributes and text, always well-formed, straight to the file.
 *
 * XML mode (xmlw_open): text is written as valid UTF-8 with no control
 * bytes (anything else as \xHH), with & < > " ' escaped; elements are
 * indented two spaces a level.
 *
 * HTML mode (xmlw_open_html): the same calls write an HTML page.  Text and
 * attribute values follow the stricter rule of xmlw_escape_html below.
 * Elements HTML defines as void (br, meta, ...) get no end tag; every other
 * empty element gets one (<rect ...></rect>, never <rect/>).  There is no
 * indentation (whitespace between inline elements shows), only a line
 * break after block-level elements, and none inside <svg>.  Output goes
 * through the writer's own 64 KiB buffer, one fwrite per 64 KiB (XML mode
 * too).
 *
 * Errors (a failed write, nesting deeper than XMLW_DEPTH, an end without a
 * start, an attribute after content) are sticky: the calls go on doing
 * nothing harmful and xmlw_close reports them.
 */
struct xmlw_cache; /* xmlw.c: the *_stable calls' escaped values */

/* What the writer knows of an element name, by its address (names are
 * string literals): its length and, for HTML, its layout class. */
struct xmlw_name {
	const char *name;
	size_t len;
	uint8_t kind;
	bool svg;
};

struct xmlw {
	FILE *f;
	int depth;
	bool open;                    /* the last start tag is not closed yet */
	bool inline_text;             /* the open element got text: close on the same line */
	const char *stack[XMLW_DEPTH]; /* element names: string literals */
	bool err;
	/* HTML mode */
	bool html;
	uint8_t kind[XMLW_DEPTH];     /* layout class of each open element (xmlw.c enum hkind) */
	int svg_depth;                /* depth of the outermost open <svg> + 1; 0 outside any */
	char *buf;                    /* 64 KiB (owned): the writer's buffer, one fwrite per 64 KiB */
	size_t blen;                  /* bytes waiting in buf */
	int errnum;                   /* errno of the first failed write */
	size_t flushes;               /* times buf was written out */
	size_t nlen[XMLW_DEPTH];      /* length of each open element's name */
	struct xmlw_name names[XMLW_NAMES]; /* direct-mapped by address */
	struct xmlw_cache *cache;     /* the *_stable calls' escaped values (owned; made on first use) */
};

/* Opens path and writes the XML declaration.  path must not exist yet
 * (O_EXCL) and is never followed if it is a symlink (O_NOFOLLOW): EEXIST
 * or ELOOP then.  Returns 0 or -1 (errno). */
int xmlw_open(struct xmlw *w, const char *path);
/* Opens path (as xmlw_open: a new file, no symlink) for an HTML page and
 * writes "<!DOCTYPE html>\n".  Returns 0 or -1 (errno). */
int xmlw_open_html(struct xmlw *w, const char *path);
/* Closes every open element and the file.  Returns 0, or -1 when anything
 * failed on the way (errno from the stream when a write failed). */
int xmlw_close(struct xmlw *w);
/* name must outlive the element (a string literal). */
void xmlw_start(struct xmlw *w, const char *name);
void xmlw_end(struct xmlw *w);
/* Attributes of the element just started (before any content).  The
 * functions taking name_len are what the inline ones call: there the
 * compiler works out the length of a literal name. */
void xmlw_attr_n(struct xmlw *w, const char *name, size_t name_len, const char *val);
void xmlw_attr_u64_n(struct xmlw *w, const char *name, size_t name_len, uint64_t v);
static inline void xmlw_attr(struct xmlw *w, const char *name, const char *val)
{
	xmlw_attr_n(w, name, strlen(name), val);
}
static inline void xmlw_attr_u64(struct xmlw *w, const char *name, uint64_t v)
{
	xmlw_attr_u64_n(w, name, strlen(name), v);
}
void xmlw_attrf(struct xmlw *w, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* <name>text</name>; nothing when text is NULL. */
void xmlw_elem(struct xmlw *w, const char *name, const char *text);

/*
 * The same as xmlw_attr, xmlw_elem and xmlw_text for a value that stays
 * unchanged at its address until xmlw_close: a string literal, an event
 * store's interned text, a rules file's names, a capture's path.  Never a
 * buffer that is reused.  The escaped form is kept in a cache keyed by
 * the address (bounded: some 70 KiB a writer, made on first use; long
 * values are escaped every time), so a text written on every event, a
 * cause or a remedy, is escaped once per report.  The bytes written are
 * those of the plain calls.
 */
void xmlw_attr_stable_n(struct xmlw *w, const char *name, size_t name_len, const char *val);
static inline void xmlw_attr_stable(struct xmlw *w, const char *name, const char *val)
{
	xmlw_attr_stable_n(w, name, strlen(name), val);
}
void xmlw_elem_stable(struct xmlw *w, const char *name, const char *text);
void xmlw_text_stable(struct xmlw *w, const char *s);

/* Content of the open element (after its attributes).  In XML mode use
 * these for elements that hold text only: the end tag then follows on the
 * same line. */
/* Text, escaped by the mode's rule (HTML: xmlw_escape_html, no newlines);
 * nothing when s is NULL. */
void xmlw_text(struct xmlw *w, const char *s);
void xmlw_textf(struct xmlw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text that needs no escaping, written as it is: our own fixed text with
 * any markup characters already written as references, numbers, or the
 * content of an HTML <style> (raw text: the caller makes sure it holds no
 * end tag). */
void xmlw_raw(struct xmlw *w, const char *s);
/* The same with the length given (n bytes of s). */
void xmlw_raw_n(struct xmlw *w, const char *s, size_t n);
void xmlw_rawf(struct xmlw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal. */
void xmlw_u64(struct xmlw *w, uint64_t v);

/* Writes s escaped for XML text or attribute values (the same rules). */
void xmlw_escape(FILE *f, const char *s);

/*
 * The HTML rule, for text that may come from a capture or a rules file.
 * A string is shown as it is (with & < > " ' escaped) only when all of it
 * is valid UTF-8 (RFC 3629: no overlongs, no surrogates) without C0
 * controls (newline only where allowed), DEL, C1 controls, U+FFFE/U+FFFF,
 * or a bidirectional-formatting or line/paragraph-separator character: an
 * RLO in a file name would show "gpj.exe" as "exe.jpg" (Trojan Source,
 * CVE-2021-42574).  Otherwise every byte outside printable ASCII is written
 * as \xHH, the convention of the XML reports, so both show a damaged name
 * the same way and no part of it is shown as if it were clean.
 */
/* True when s may be shown as it is. */
bool xmlw_html_ok(const char *s, bool allow_nl);
/* Writes s (NUL-terminated) by the rule, as content of the open element
 * (HTML mode only: in XML mode it sets the error). */
void xmlw_escape_html(struct xmlw *w, const char *s, bool allow_nl);
/* Writes n bytes of s by the rule (HTML mode only) with the decision made
 * by the caller:
 * hex = !xmlw_html_ok(whole string), so a string written in parts is
 * written as the whole would be.  With hex, every byte outside printable
 * ASCII (a newline too unless allow_nl) is written as \xHH. */
void xmlw_html_write(struct xmlw *w, const char *s, size_t n, bool hex, bool allow_nl);

#endif
