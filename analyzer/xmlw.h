/* xmlw.h - a small streaming XML writer for the reports: escaping, indentation, nothing else. */
#ifndef LS_XMLW_H
#define LS_XMLW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define XMLW_DEPTH 32

/*
 * Why not libxml2's xmlTextWriter: on a large capture the reports hold
 * hundreds of thousands of events, and half of the run went into its
 * per-call overhead.  This writer does what the reports need: elements,
 * attributes and text, always well-formed.  Text is written as valid UTF-8
 * with no control bytes (anything else as \xHH), with & < > " ' escaped.
 */
struct xmlw {
	FILE *f;
	int depth;
	bool open;                    /* the last start tag is not closed yet */
	bool inline_text;             /* the open element got text: close on the same line */
	const char *stack[XMLW_DEPTH]; /* element names: string literals */
	bool err;
};

/* Opens path and writes the XML declaration.  Returns 0 or -1 (errno). */
int xmlw_open(struct xmlw *w, const char *path);
/* Closes every open element and the file.  Returns 0 or -1 on any write error. */
int xmlw_close(struct xmlw *w);
/* name must outlive the element (a string literal). */
void xmlw_start(struct xmlw *w, const char *name);
void xmlw_end(struct xmlw *w);
void xmlw_attr(struct xmlw *w, const char *name, const char *val);
void xmlw_attr_u64(struct xmlw *w, const char *name, uint64_t v);
void xmlw_attrf(struct xmlw *w, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* <name>text</name>; nothing when text is NULL. */
void xmlw_elem(struct xmlw *w, const char *name, const char *text);
/* Writes s escaped for XML text or attribute values (the same rules). */
void xmlw_escape(FILE *f, const char *s);

#endif
