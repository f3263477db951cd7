/* xmlw.c - streaming XML writer (XML 1.0: escaping, well-formed UTF-8 output). */
#include "xmlw.h"

#include <stdarg.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one
 * (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF). */
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

void xmlw_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		/* the common case: a run of plain ASCII, written at once */
		size_t run = 0;
		while (s[run] >= 0x20 && s[run] < 0x7f && s[run] != '&' && s[run] != '<' && s[run] != '>' &&
		       s[run] != '"' && s[run] != '\'')
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

int xmlw_open(struct xmlw *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "w");
	if (!w->f)
		return -1;
	static char buf[1 << 16];
	setvbuf(w->f, buf, _IOFBF, sizeof(buf));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", w->f);
	return 0;
}

static void indent(struct xmlw *w)
{
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

static void close_start(struct xmlw *w)
{
	if (w->open) {
		fputs(">\n", w->f);
		w->open = false;
	}
}

void xmlw_start(struct xmlw *w, const char *name)
{
	close_start(w);
	if (w->depth >= XMLW_DEPTH) {
		w->err = true;
		return;
	}
	indent(w);
	fprintf(w->f, "<%s", name);
	w->stack[w->depth++] = name;
	w->open = true;
}

void xmlw_end(struct xmlw *w)
{
	if (w->depth <= 0) {
		w->err = true;
		return;
	}
	const char *name = w->stack[--w->depth];
	if (w->open) {
		fputs("/>\n", w->f);
		w->open = false;
		return;
	}
	indent(w);
	fprintf(w->f, "</%s>\n", name);
}

void xmlw_attr(struct xmlw *w, const char *name, const char *val)
{
	if (!w->open) {
		w->err = true;
		return;
	}
	fprintf(w->f, " %s=\"", name);
	xmlw_escape(w->f, val ? val : "");
	fputc('"', w->f);
}

void xmlw_attr_u64(struct xmlw *w, const char *name, uint64_t v)
{
	xmlw_attrf(w, name, "%llu", (unsigned long long)v);
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

void xmlw_elem(struct xmlw *w, const char *name, const char *text)
{
	if (!text)
		return;
	close_start(w);
	indent(w);
	fprintf(w->f, "<%s>", name);
	xmlw_escape(w->f, text);
	fprintf(w->f, "</%s>\n", name);
}

int xmlw_close(struct xmlw *w)
{
	while (w->depth > 0)
		xmlw_end(w);
	bool bad = w->err || ferror(w->f);
	if (fclose(w->f) != 0)
		bad = true;
	w->f = NULL;
	return bad ? -1 : 0;
}
