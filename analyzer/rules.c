/* rules.c - loads the tunnel description (XML 1.0 + XSD 1.0, RFC 4632/4291 prefixes, RFC 1035/4343 names) and answers the verdict's lookups. */

/*
 * The rules file is hostile input like a capture: it may come with the
 * capture from someone else.  The loader therefore
 *   - reads at most 1 MiB itself and hands libxml2 a memory buffer;
 *   - parses with XML_PARSE_NONET and without NOENT/DTDLOAD/DTDATTR/
 *     DTDVALID/HUGE, so entities are never substituted, no DTD is read and
 *     libxml2's own size and depth limits stay on;
 *   - stops the parser from a SAX hook at the first DOCTYPE, before any
 *     entity declaration is even read: one rule that kills XXE (external
 *     entities reading local files or URLs) and entity-expansion bombs
 *     ("billion laughs").  A document with an internal or external subset
 *     is refused again after parsing, as a second guard;
 *   - while it runs, installs an external entity loader that refuses
 *     everything, so nothing is fetched or opened even if some path in
 *     libxml2 tried (XInclude, xsi:schemaLocation, a DTD);
 *   - validates against rules/tunnel.xsd, then re-checks in C what XSD 1.0
 *     cannot express (see the end of tunnel.xsd).
 *
 * libxml2 global state: the structured and generic error handlers and the
 * external entity loader are saved before a load and restored after it, so
 * other users of libxml2 in the program (the report writers) see their own
 * settings.  Not thread-safe: one load at a time.
 */
#include "rules.h"
#include "resolvers.h"
#include "rules-index.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>

#ifndef LS_DATADIR
#define LS_DATADIR "."
#endif

#define SCHEMA_FILE "tunnel.xsd"
#define NAME_MAX_LEN 253 /* RFC 1035 2.3.4: 255 octets on the wire = 253 characters */
#define LABEL_MAX_LEN 63
#define ERR_MAX_MSG 1024

/* libxml2 wants const xmlChar *; a plain cast keeps -Wcast-qual quiet. */
#define X(s) ((const xmlChar *)(s))

/* ---------------------------------------------------------------------- */
/* Error collection */

struct load {
	const char *path;   /* the file errors are about */
	unsigned n_errors;
	char first[4096 + ERR_MAX_MSG + 32];
	long doctype_line;  /* >0: the SAX hook saw a DOCTYPE there */
};

/* The load in progress, for the entity loader, which gets no user pointer. */
static struct load *cur_load;

/* Error text may quote the hostile file (element names, values); it goes
 * to a terminal and into reports, so control characters are replaced. */
static void sanitize(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void fail(struct load *ld, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct load *ld, long line, const char *fmt, ...)
{
	char msg[ERR_MAX_MSG];
	va_list ap;

	if (ld->n_errors++ > 0)
		return; /* the first error is the one to fix; later ones are counted */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	if (line > 0)
		snprintf(ld->first, sizeof(ld->first), "%s:%ld: %s", ld->path, line, msg);
	else
		snprintf(ld->first, sizeof(ld->first), "%s: %s", ld->path, msg);
}

/* Removes every occurrence of needle from s, in place. */
static void strip_all(char *s, const char *needle)
{
	size_t n = strlen(needle);
	char *p = strstr(s, needle);
	while (p) {
		memmove(p, p + n, strlen(p + n) + 1);
		p = strstr(p, needle);
	}
}

/*
 * For a failed xs:pattern, libxml2 quotes the regular expression (and only
 * the last one when a type has two), which tells a reader little.  These
 * say what was expected instead; element NULL matches any element.
 */
static const struct {
	const char *elem, *attr, *expect;
} pattern_hints[] = {
	{"endpoint", "address",
	 "an IPv4 or IPv6 address or prefix, such as 203.0.113.5, 203.0.113.0/24 or 2001:db8::/32"},
	{"inside", "prefix",
	 "an IPv4 or IPv6 address or prefix, such as 10.66.0.2/32 or fd00:66::/64 (IPv4 lengths 0..32)"},
	{NULL, "address", "an IPv4 or IPv6 address, such as 192.0.2.53 or 2001:db8::53"},
	{"tunnel", "name", "a tunnel name: letters, digits, '.', '_' and '-', starting with a letter or digit"},
	{NULL, "exact", "a DNS name: dot-separated labels of letters, digits, '-' and '_'"},
	{NULL, "suffix", "a DNS name: dot-separated labels of letters, digits, '-' and '_'"},
	{NULL, "name", "a DNS name: dot-separated labels of letters, digits, '-' and '_'"},
	{NULL, NULL, NULL},
};

/* Copies the text between "<key>'" and the next "'" into out. */
static bool quoted_after(const char *msg, const char *key, char *out, size_t len)
{
	const char *p = strstr(msg, key), *q;
	if (!p)
		return false;
	p += strlen(key);
	q = strchr(p, '\'');
	if (!q || (size_t)(q - p) >= len)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

static void explain_pattern(char *msg, size_t size)
{
	static const char tail[] = " is not accepted by the pattern '";
	char elem[64], attr[64];
	char *cut = NULL, *p;

	if (!strstr(msg, "[facet 'pattern']"))
		return;
	/* The last occurrence: the value quoted before it is hostile text. */
	for (p = strstr(msg, tail); p; p = strstr(p + 1, tail))
		cut = p;
	if (!cut || !quoted_after(msg, "Element '", elem, sizeof(elem)) ||
	    !quoted_after(msg, "attribute '", attr, sizeof(attr)))
		return;
	for (size_t i = 0; pattern_hints[i].attr; i++) {
		if (strcmp(pattern_hints[i].attr, attr) != 0)
			continue;
		if (pattern_hints[i].elem && strcmp(pattern_hints[i].elem, elem) != 0)
			continue;
		snprintf(cut, size - (size_t)(cut - msg), " is not %s.", pattern_hints[i].expect);
		return;
	}
}

/* Structured handler for the parser, the schema compiler and the validator. */
static void on_xml_error(void *ctx, xmlErrorPtr e)
{
	struct load *ld = ctx;
	char msg[ERR_MAX_MSG];
	size_t n;

	if (!ld || !e || e->level < XML_ERR_ERROR)
		return; /* warnings do not make a file invalid */
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "XML error");
	/* Our own namespace in every element name is noise ("{urn:...}endpoint");
	 * a foreign namespace stays, since then it is the point. */
	strip_all(msg, "{" LS_RULES_NS "}");
	explain_pattern(msg, sizeof(msg));
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	fail(ld, e->line, "%s", msg);
}

/* libxml2 prints some messages through the generic channel; they would go to
 * stderr past our "file:line:" format, and the structured one has them. */
static void on_generic_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* Nothing is ever read from outside the buffer: not a DTD, not an entity,
 * not an XInclude, not a schema named by the instance. */
static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)ctxt;
	if (cur_load)
		fail(cur_load, 0, "refused to load external resource '%s'",
		     url ? url : (id ? id : "?"));
	return NULL;
}

/* SAX internalSubset: called as soon as "<!DOCTYPE name ..." is read, before
 * the internal subset with its entity declarations.  Stopping here means no
 * entity is ever declared, so none can be expanded or fetched. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct load *ld = ctxt->_private;
	(void)name;
	(void)eid;
	(void)sid;
	if (ld && ld->doctype_line == 0)
		ld->doctype_line = ctxt->input && ctxt->input->line > 0 ? ctxt->input->line : 1;
	xmlStopParser(ctxt);
}

struct xml_saved {
	xmlStructuredErrorFunc serror;
	void *sctx;
	xmlGenericErrorFunc gerror;
	void *gctx;
	xmlExternalEntityLoader loader;
};

static void xml_guard_on(struct load *ld, struct xml_saved *sv)
{
	xmlInitParser();
	sv->serror = xmlStructuredError;
	sv->sctx = xmlStructuredErrorContext;
	sv->gerror = xmlGenericError;
	sv->gctx = xmlGenericErrorContext;
	sv->loader = xmlGetExternalEntityLoader();
	xmlSetStructuredErrorFunc(ld, on_xml_error);
	xmlSetGenericErrorFunc(NULL, on_generic_error);
	xmlSetExternalEntityLoader(refuse_entity);
	cur_load = ld;
}

static void xml_guard_off(const struct xml_saved *sv)
{
	cur_load = NULL;
	xmlSetExternalEntityLoader(sv->loader);
	xmlSetGenericErrorFunc(sv->gctx, sv->gerror);
	xmlSetStructuredErrorFunc(sv->sctx, sv->serror);
}

/*
 * The one way this file parses XML (the rules file and the schema alike).
 * Returns the document, or NULL with an error recorded in ld.  Call between
 * xml_guard_on and xml_guard_off.
 */
static xmlDocPtr safe_parse(struct load *ld, const char *buf, size_t len)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len == 0) {
		fail(ld, 0, "empty file (expected a <tunnels> document)");
		return NULL;
	}
	if (len > LS_RULES_MAX_FILE) {
		fail(ld, 0, "larger than 1 MiB");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		fail(ld, 0, "cannot create an XML parser");
		return NULL;
	}
	ctxt->_private = ld;
	ctxt->sax->internalSubset = on_doctype;
	/* NONET: no network even in theory.  Deliberately absent: NOENT
	 * (substitutes entities), DTDLOAD/DTDATTR/DTDVALID (read DTDs), HUGE
	 * (lifts the limits on names, text and depth), XINCLUDE. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, ld->path, NULL, XML_PARSE_NONET);
	if (ld->doctype_line > 0) {
		ld->n_errors = 0; /* the refusal is the message, not what stopping caused */
		fail(ld, ld->doctype_line,
		     "DOCTYPE is not allowed (DTDs and entities are refused: they enable XXE and entity expansion)");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc && (doc->intSubset || doc->extSubset)) {
		xmlNodePtr dtd = (xmlNodePtr)(doc->intSubset ? doc->intSubset : doc->extSubset);
		fail(ld, xmlGetLineNo(dtd) > 0 ? xmlGetLineNo(dtd) : 1, "DOCTYPE is not allowed");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (ld->n_errors > 0 || !ctxt->wellFormed) {
		if (ld->n_errors == 0)
			fail(ld, 0, "not well-formed XML");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (!doc) {
		fail(ld, 0, "not an XML document");
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* Reads a whole file, at most LS_RULES_MAX_FILE bytes.  Returns 0 and a
 * malloc'd buffer, or -1 with the error recorded. */
static int read_capped(struct load *ld, const char *path, char **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (!f) {
		fail(ld, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	/* One byte more than allowed tells "exactly 1 MiB" from "more". */
	buf = xmalloc(LS_RULES_MAX_FILE + 1);
	n = fread(buf, 1, LS_RULES_MAX_FILE + 1, f);
	if (ferror(f)) {
		fail(ld, 0, "cannot read: %s", strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (n > LS_RULES_MAX_FILE) {
		fail(ld, 0, "larger than 1 MiB");
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The schema: found, compiled once, cached. */

static char *schema_dir_override;
static char schema_path_buf[4096 + 32];
static char *schema_cached_path;
static xmlSchemaPtr schema_cached;
static xmlDocPtr schema_cached_doc; /* the schema may point into it: freed together */

void rules_set_schema_dir(const char *dir)
{
	free(schema_dir_override);
	schema_dir_override = dir ? xstrdup(dir) : NULL;
}

const char *rules_schema_path(void)
{
	const char *env = getenv("LEAKSCOPE_DATADIR");
	if (schema_dir_override)
		snprintf(schema_path_buf, sizeof(schema_path_buf), "%s/" SCHEMA_FILE,
			 schema_dir_override);
	else if (env && *env)
		snprintf(schema_path_buf, sizeof(schema_path_buf), "%s/rules/" SCHEMA_FILE, env);
	else
		snprintf(schema_path_buf, sizeof(schema_path_buf), "%s", LS_DATADIR "/rules/" SCHEMA_FILE);
	return schema_path_buf;
}

static void schema_drop(void)
{
	if (schema_cached)
		xmlSchemaFree(schema_cached);
	if (schema_cached_doc)
		xmlFreeDoc(schema_cached_doc);
	schema_cached = NULL;
	schema_cached_doc = NULL;
	free(schema_cached_path);
	schema_cached_path = NULL;
}

void rules_cleanup(void)
{
	schema_drop();
	free(schema_dir_override);
	schema_dir_override = NULL;
}

/* Returns the compiled schema or NULL with an error in ld (about the
 * schema file, so ld->path is switched for the messages). */
static xmlSchemaPtr schema_get(struct load *ld)
{
	const char *path = rules_schema_path();
	const char *saved_path = ld->path;
	xmlSchemaParserCtxtPtr pctxt = NULL;
	xmlSchemaPtr schema = NULL;
	xmlDocPtr doc = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (schema_cached && strcmp(schema_cached_path, path) == 0)
		return schema_cached;
	schema_drop();
	ld->path = path;
	if (read_capped(ld, path, &buf, &len) < 0)
		goto out;
	doc = safe_parse(ld, buf, len);
	if (!doc)
		goto out;
	/* The schema itself is trusted (it ships with the program), but it is
	 * parsed the same careful way; it imports nothing. */
	pctxt = xmlSchemaNewDocParserCtxt(doc);
	if (!pctxt) {
		fail(ld, 0, "cannot create a schema parser");
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, on_xml_error, ld);
	schema = xmlSchemaParse(pctxt);
	if (!schema && ld->n_errors == 0)
		fail(ld, 0, "not a usable XML schema");
out:
	if (pctxt)
		xmlSchemaFreeParserCtxt(pctxt);
	free(buf);
	if (schema) {
		schema_cached = schema;
		schema_cached_doc = doc;
		schema_cached_path = xstrdup(path);
	} else {
		if (doc)
			xmlFreeDoc(doc);
		/* Say what the schema is for and how to point elsewhere. */
		static const char hint[] = " (the schema is needed to check rules files; set "
					   "LEAKSCOPE_DATADIR to the directory holding rules/" SCHEMA_FILE ")";
		size_t used = strlen(ld->first);
		if (used + sizeof(hint) <= sizeof(ld->first))
			memcpy(ld->first + used, hint, sizeof(hint));
	}
	ld->path = saved_path;
	return schema;
}

/* ---------------------------------------------------------------------- */
/* Small parsers for attribute values (after the schema: a second filter). */

static char *attr_get(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, X(name));
	char *s;
	if (!v)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static long line_of(xmlNodePtr n)
{
	long l = xmlGetLineNo(n);
	return l > 0 ? l : 0;
}

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, LS_RULES_NS) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII only, whatever the locale: DNS case folding is ASCII (RFC 4343). */
static bool ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static bool has_ctrl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* xs:unsignedShort collapses whitespace, so " 53 " passed the schema. */
static int parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t digits = 0;
	while (is_space(*s))
		s++;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535 || ++digits > 10)
			return -1;
	}
	while (is_space(*s))
		s++;
	if (*s || digits == 0 || v == 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* xs:boolean: true, false, 1, 0, whitespace collapsed. */
static int parse_bool(const char *s, bool *out)
{
	size_t n;
	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1'))
		*out = true;
	else if ((n == 5 && memcmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0'))
		*out = false;
	else
		return -1;
	return 0;
}

/* Clears the bits past plen: the network a prefix names. */
static void mask_addr(struct ls_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			a->a[i] = 0;
		else
			a->a[i] &= (uint8_t)(0xff << (8 - (plen - 8 * i)));
	}
}

static unsigned max_plen(const struct ls_addr *a)
{
	return a->af == 4 ? 32 : 128;
}

static char *pfx_str(const struct rules_prefix *p, char *buf, size_t len)
{
	char ab[64];
	addr_str(&p->addr, ab, sizeof(ab));
	if (p->plen == max_plen(&p->addr))
		snprintf(buf, len, "%s", ab);
	else
		snprintf(buf, len, "%s/%u", ab, (unsigned)p->plen);
	return buf;
}

/*
 * An address or prefix, then "host bits must be zero": "10.0.0.1/24" is
 * ambiguous (the network? this host?) and a wrong guess would silently move
 * the tunnel boundary.  host_hint: the value is meant as this host's own
 * address, so the /32 (/128) reading is offered as well.
 */
static int parse_prefix(struct load *ld, long line, const char *what, const char *s, bool host_hint,
			struct rules_prefix *out)
{
	const char *slash = strchr(s, '/');
	char head[64];
	struct ls_addr net;
	char nb[64];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	memset(out, 0, sizeof(*out));
	if (n >= sizeof(head)) {
		fail(ld, line, "bad address '%.64s...' in %s", s, what);
		return -1;
	}
	memcpy(head, s, n);
	head[n] = '\0';
	if (addr_parse(head, &net) < 0) {
		fail(ld, line, "bad address '%s' in %s", s, what);
		return -1;
	}
	if (prefix_parse(s, &out->addr, &out->plen) < 0) {
		fail(ld, line, "bad prefix length in '%s' in %s (IPv%d allows 0..%u)", s, what,
		     net.af, max_plen(&net));
		return -1;
	}
	net = out->addr;
	mask_addr(&net, out->plen);
	if (memcmp(&net, &out->addr, sizeof(net)) != 0) {
		addr_str(&net, nb, sizeof(nb));
		if (host_hint)
			fail(ld, line,
			     "%s has host bits set; did you mean %s/%u (the network) or %s/%u (this host only)?",
			     s, nb, (unsigned)out->plen, head, max_plen(&net));
		else
			fail(ld, line, "%s has host bits set; did you mean %s/%u?", s, nb,
			     (unsigned)out->plen);
		return -1;
	}
	return 0;
}

static bool prefixes_overlap(const struct rules_prefix *a, const struct rules_prefix *b)
{
	if (a->addr.af != b->addr.af)
		return false;
	return addr_in_prefix(&a->addr, &b->addr, b->plen) ||
	       addr_in_prefix(&b->addr, &a->addr, a->plen);
}

/* Lower case, one trailing dot removed, 1..253 characters, labels 1..63 of
 * letters, digits, '-' and '_' (RFC 1035 2.3.1 plus RFC 2782 service labels). */
static int norm_name(struct load *ld, long line, const char *attr, const char *s, char **out)
{
	size_t n = strlen(s), label = 0;
	char *r;

	*out = NULL;
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0) {
		fail(ld, line, "empty name in %s=", attr);
		return -1;
	}
	if (n > NAME_MAX_LEN) {
		fail(ld, line, "name in %s= is longer than %d characters", attr, NAME_MAX_LEN);
		return -1;
	}
	r = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				goto bad;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > LABEL_MAX_LEN) {
				free(r);
				fail(ld, line, "a label of '%s' is longer than %d characters", s,
				     LABEL_MAX_LEN);
				return -1;
			}
		} else {
			goto bad;
		}
		r[i] = lower(c);
	}
	if (label == 0)
		goto bad;
	r[n] = '\0';
	*out = r;
	return 0;
bad:
	free(r);
	fail(ld, line, "bad name '%s' in %s=", s, attr);
	return -1;
}

/* A reason is shown to a reviewer: whitespace runs become one space, other
 * control characters are refused, and it must say something. */
static int norm_reason(struct load *ld, long line, const char *s, char **out)
{
	size_t n = strlen(s), j = 0;
	char *r = xmalloc(n + 1);
	bool sp = false;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_space((char)c)) {
			sp = j > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			free(r);
			fail(ld, line, "control character in reason");
			return -1;
		}
		if (sp)
			r[j++] = ' ';
		sp = false;
		r[j++] = (char)c;
	}
	r[j] = '\0';
	if (j == 0) {
		free(r);
		fail(ld, line, "reason is empty: say why this may go outside the tunnel");
		return -1;
	}
	*out = r;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* From the validated tree to struct rules. */

static const struct {
	const char *s;
	enum tunnel_kind k;
	const char *label;
} kinds[] = {
	{"wireguard", TK_WIREGUARD, "WireGuard"},
	{"openvpn", TK_OPENVPN, "OpenVPN"},
	{"ipsec", TK_IPSEC, "IPsec"},
	{"tor", TK_TOR, "Tor"},
	{"openconnect", TK_OPENCONNECT, "OpenConnect/AnyConnect"},
	{"ssh", TK_SSH, "SSH"},
	{"other", TK_OTHER, "other"},
	{NULL, TK_OTHER, NULL},
};

const char *rules_kind_str(enum tunnel_kind k)
{
	for (size_t i = 0; kinds[i].s; i++)
		if (kinds[i].k == k)
			return kinds[i].s;
	return "?";
}

static const char *kind_label(enum tunnel_kind k)
{
	for (size_t i = 0; kinds[i].s; i++)
		if (kinds[i].k == k)
			return kinds[i].label;
	return "?";
}

static int parse_transport(const char *s, uint8_t *out)
{
	if (strcmp(s, "udp") == 0)
		*out = IPPROTO_UDP;
	else if (strcmp(s, "tcp") == 0)
		*out = IPPROTO_TCP;
	else if (strcmp(s, "esp") == 0)
		*out = IPPROTO_ESP;
	else
		return -1;
	return 0;
}

static const char *transport_str(uint8_t t)
{
	switch (t) {
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_ESP:
		return "esp";
	default:
		return "any";
	}
}

/* port attribute: absent -> 0 (any). */
static int get_port(struct load *ld, xmlNodePtr n, const char *elem, uint16_t *port)
{
	char *v = attr_get(n, "port");
	int rc = 0;
	*port = 0;
	if (v && parse_port(v, port) < 0) {
		fail(ld, line_of(n), "bad port '%s' in %s (1..65535)", v, elem);
		rc = -1;
	}
	free(v);
	return rc;
}

static int parse_endpoint(struct load *ld, xmlNodePtr n, struct rules_endpoint *ep)
{
	long line = line_of(n);
	char *addr = attr_get(n, "address"), *tr = attr_get(n, "transport");
	int rc = -1;

	memset(ep, 0, sizeof(*ep));
	ep->line = (int)line;
	if (!addr) {
		fail(ld, line, "endpoint without address");
		goto out;
	}
	if (parse_prefix(ld, line, "endpoint address", addr, false, &ep->pfx) < 0)
		goto out;
	if (get_port(ld, n, "endpoint", &ep->port) < 0)
		goto out;
	if (tr && parse_transport(tr, &ep->transport) < 0) {
		fail(ld, line, "unknown transport '%s' (udp, tcp or esp)", tr);
		goto out;
	}
	/* ESP (RFC 4303) has no ports; NAT-T puts it in UDP 4500, which is
	 * written as transport="udp" port="4500". */
	if (ep->transport == IPPROTO_ESP && ep->port) {
		fail(ld, line, "endpoint with transport esp cannot have a port (ESP in UDP is transport=\"udp\" port=\"4500\")");
		goto out;
	}
	rc = 0;
out:
	free(addr);
	free(tr);
	return rc;
}

static int parse_resolver(struct load *ld, xmlNodePtr n, bool allow, struct rules_resolver *rs)
{
	long line = line_of(n);
	char *addr = attr_get(n, "address"), *name = attr_get(n, "name");
	char *reason = attr_get(n, "reason");
	int rc = -1;

	memset(rs, 0, sizeof(*rs));
	rs->line = (int)line;
	if (!addr || addr_parse(addr, &rs->addr) < 0) {
		fail(ld, line, "bad address '%s' in resolver", addr ? addr : "");
		goto out;
	}
	if (get_port(ld, n, "resolver", &rs->port) < 0)
		goto out;
	if (name && norm_name(ld, line, "name", name, &rs->name) < 0)
		goto out;
	if (allow) {
		if (!reason) {
			fail(ld, line, "allowed resolver without reason=");
			goto out;
		}
		if (norm_reason(ld, line, reason, &rs->reason) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(rs->name);
		free(rs->reason);
		rs->name = rs->reason = NULL;
	}
	free(addr);
	free(name);
	free(reason);
	return rc;
}

static void free_resolver(struct rules_resolver *rs)
{
	free(rs->name);
	free(rs->reason);
}

static int parse_allow_name(struct load *ld, xmlNodePtr n, struct rules_name *nm)
{
	long line = line_of(n);
	char *exact = attr_get(n, "exact"), *suffix = attr_get(n, "suffix");
	char *reason = attr_get(n, "reason");
	int rc = -1;

	memset(nm, 0, sizeof(*nm));
	nm->line = (int)line;
	if (exact && suffix) {
		fail(ld, line, "name has both exact= and suffix=: give exactly one");
		goto out;
	}
	if (!exact && !suffix) {
		fail(ld, line, "name has neither exact= nor suffix=: give exactly one");
		goto out;
	}
	nm->suffix = suffix != NULL;
	if (norm_name(ld, line, exact ? "exact" : "suffix", exact ? exact : suffix, &nm->name) < 0)
		goto out;
	if (!reason) {
		fail(ld, line, "allowed name without reason=");
		goto out;
	}
	if (norm_reason(ld, line, reason, &nm->reason) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		free(nm->name);
		free(nm->reason);
		nm->name = nm->reason = NULL;
	}
	free(exact);
	free(suffix);
	free(reason);
	return rc;
}

static int get_iface(struct load *ld, xmlNodePtr n, const char *attr, char **out)
{
	char *v = attr_get(n, attr);
	*out = NULL;
	if (!v)
		return 0;
	if (*v == '\0' || strlen(v) > 64 || has_ctrl(v)) {
		fail(ld, line_of(n), "bad interface name in %s= (1..64 printable characters)", attr);
		free(v);
		return -1;
	}
	*out = v;
	return 0;
}

static void free_tunnel(struct rules_tunnel *t)
{
	free(t->name);
	free(t->endpoints);
	free(t->inside);
	for (size_t i = 0; i < t->n_resolvers; i++)
		free_resolver(&t->resolvers[i]);
	free(t->resolvers);
	free(t->tun_iface);
	free(t->phys_iface);
	memset(t, 0, sizeof(*t));
}

/* Counts an element of one kind in a tunnel against the per-tunnel cap. */
static bool under_cap(struct load *ld, xmlNodePtr c, const struct rules_tunnel *t, size_t n,
		      const char *what)
{
	if (n < LS_RULES_MAX_PER_TUNNEL)
		return true;
	fail(ld, line_of(c), "tunnel \"%s\" has more than %d %s elements", t->name,
	     LS_RULES_MAX_PER_TUNNEL, what);
	return false;
}

/* Which families the tunnel carries, and whether that fits the rest. */
static void tunnel_families(struct load *ld, xmlNodePtr tn, struct rules_tunnel *t)
{
	bool v4 = false, v6 = false, set4 = false, set6 = false;
	long line = t->line;
	char *s4 = attr_get(tn, "ipv4"), *s6 = attr_get(tn, "ipv6");

	for (size_t i = 0; i < t->n_inside; i++) {
		if (t->inside[i].addr.af == 4)
			v4 = true;
		else
			v6 = true;
	}
	if (t->n_inside == 0)
		v4 = v6 = true;
	if (s4) {
		bool b;
		if (parse_bool(s4, &b) < 0) {
			fail(ld, line, "bad ipv4='%s' (true or false)", s4);
			goto out;
		}
		if (!b && t->n_inside && v4) {
			fail(ld, line, "tunnel \"%s\" has ipv4=\"false\" but an IPv4 inside prefix", t->name);
			goto out;
		}
		v4 = b;
		set4 = true;
	}
	if (s6) {
		bool b;
		if (parse_bool(s6, &b) < 0) {
			fail(ld, line, "bad ipv6='%s' (true or false)", s6);
			goto out;
		}
		if (!b && t->n_inside && v6) {
			fail(ld, line, "tunnel \"%s\" has ipv6=\"false\" but an IPv6 inside prefix", t->name);
			goto out;
		}
		v6 = b;
		set6 = true;
	}
	if (!v4 && !v6) {
		fail(ld, line, "tunnel \"%s\" carries neither IPv4 nor IPv6", t->name);
		goto out;
	}
	/* A resolver the tunnel cannot carry could never be reached through it:
	 * every query to it would be judged a leak. */
	for (size_t i = 0; i < t->n_resolvers; i++) {
		const struct rules_resolver *rs = &t->resolvers[i];
		if ((rs->addr.af == 4 && !v4) || (rs->addr.af == 6 && !v6)) {
			char ab[64];
			int af = rs->addr.af;
			fail(ld, rs->line,
			     "resolver %s is IPv%d but tunnel \"%s\" carries IPv%d only (%s)",
			     addr_str(&rs->addr, ab, sizeof(ab)), af, t->name, af == 4 ? 6 : 4,
			     (af == 4 ? set4 : set6) ? "fix the resolver or the ipv4/ipv6 attribute"
						     : "set ipv4=\"true\" or ipv6=\"true\" on the tunnel if it carries both");
			goto out;
		}
	}
	t->carries_ipv4 = v4;
	t->carries_ipv6 = v6;
out:
	free(s4);
	free(s6);
}

static int parse_tunnel(struct load *ld, xmlNodePtr tn, struct rules_tunnel *t)
{
	unsigned errors_before = ld->n_errors;
	size_t cap_ep = 0, cap_in = 0, cap_rs = 0;
	char *kind = attr_get(tn, "kind");
	bool have_iface = false;
	int *inside_line = NULL; /* line of each inside prefix, for messages */
	size_t ki;

	memset(t, 0, sizeof(*t));
	t->line = (int)line_of(tn);
	t->name = attr_get(tn, "name");
	if (!t->name || !*t->name || has_ctrl(t->name)) {
		fail(ld, t->line, "tunnel without a usable name=");
		goto out;
	}
	for (ki = 0; kinds[ki].s; ki++)
		if (kind && strcmp(kind, kinds[ki].s) == 0)
			break;
	if (!kinds[ki].s) {
		fail(ld, t->line, "unknown kind '%s' (wireguard, openvpn, ipsec, tor, openconnect, ssh or other)",
		     kind ? kind : "");
		goto out;
	}
	t->kind = kinds[ki].k;

	for (xmlNodePtr c = tn->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, "endpoint")) {
			if (!under_cap(ld, c, t, t->n_endpoints, "endpoint"))
				goto out;
			t->endpoints = xgrow(t->endpoints, &cap_ep, t->n_endpoints + 1,
					     sizeof(*t->endpoints));
			if (parse_endpoint(ld, c, &t->endpoints[t->n_endpoints]) == 0)
				t->n_endpoints++;
		} else if (is_elem(c, "inside")) {
			char *p = attr_get(c, "prefix");
			if (!under_cap(ld, c, t, t->n_inside, "inside")) {
				free(p);
				goto out;
			}
			t->inside = xgrow(t->inside, &cap_in, t->n_inside + 1, sizeof(*t->inside));
			inside_line = xrealloc(inside_line, cap_in * sizeof(*inside_line));
			inside_line[t->n_inside] = (int)line_of(c);
			if (!p)
				fail(ld, line_of(c), "inside without prefix=");
			else if (parse_prefix(ld, line_of(c), "inside prefix", p, true,
					      &t->inside[t->n_inside]) == 0)
				t->n_inside++;
			free(p);
		} else if (is_elem(c, "resolver")) {
			if (!under_cap(ld, c, t, t->n_resolvers, "resolver"))
				goto out;
			t->resolvers = xgrow(t->resolvers, &cap_rs, t->n_resolvers + 1,
					     sizeof(*t->resolvers));
			if (parse_resolver(ld, c, false, &t->resolvers[t->n_resolvers]) == 0)
				t->n_resolvers++;
		} else if (is_elem(c, "interface")) {
			if (have_iface) {
				fail(ld, line_of(c), "tunnel \"%s\" has more than one interface element",
				     t->name);
				goto out;
			}
			have_iface = true;
			if (get_iface(ld, c, "tunnel", &t->tun_iface) < 0 ||
			    get_iface(ld, c, "physical", &t->phys_iface) < 0)
				goto out;
		} else {
			fail(ld, line_of(c), "unexpected element '%s' in tunnel", (const char *)c->name);
			goto out;
		}
	}
	if (ld->n_errors != errors_before)
		goto out;
	if (t->n_endpoints == 0) {
		fail(ld, t->line, "tunnel \"%s\" has no endpoint", t->name);
		goto out;
	}
	/* The carrier cannot travel through the tunnel it carries: an endpoint
	 * inside the inside prefixes is a typo that would make every carrier
	 * packet look like tunnel content (and hide leaks). */
	for (size_t i = 0; i < t->n_endpoints; i++) {
		for (size_t j = 0; j < t->n_inside; j++) {
			if (prefixes_overlap(&t->endpoints[i].pfx, &t->inside[j])) {
				char eb[80], ib[80];
				fail(ld, t->endpoints[i].line,
				     "endpoint %s lies inside tunnel \"%s\"'s own inside prefix %s (line %d): the carrier cannot run through the tunnel it carries",
				     pfx_str(&t->endpoints[i].pfx, eb, sizeof(eb)), t->name,
				     pfx_str(&t->inside[j], ib, sizeof(ib)), inside_line[j]);
				goto out;
			}
		}
	}
	tunnel_families(ld, tn, t);
out:
	free(inside_line);
	free(kind);
	return ld->n_errors == errors_before ? 0 : -1;
}

static bool name_ieq(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && ieq(a, b, n);
}

static struct rules *build(struct load *ld, xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct rules *r = xcalloc(1, sizeof(*r));
	size_t cap_t = 0, cap_n = 0, cap_r = 0;
	bool have_allow = false;

	r->path = xstrdup(ld->path);
	if (!root || !is_elem(root, "tunnels")) {
		fail(ld, root ? line_of(root) : 0, "the root element must be <tunnels xmlns=\"" LS_RULES_NS "\">");
		return r;
	}
	char *eh = attr_get(root, "every-host");
	if (eh) {
		if (parse_bool(eh, &r->every_host) < 0)
			fail(ld, line_of(root), "every-host=\"%s\": true or false", eh);
		free(eh);
	}
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, "tunnel")) {
			struct rules_tunnel t;
			if (r->n_tunnels >= LS_RULES_MAX_TUNNELS) {
				fail(ld, line_of(c), "more than %d tunnels", LS_RULES_MAX_TUNNELS);
				return r;
			}
			if (parse_tunnel(ld, c, &t) < 0) {
				free_tunnel(&t);
				continue;
			}
			/* Tunnel names key the reports; two alike would merge two
			 * tunnels' findings.  Compared case-insensitively so that
			 * "Office" and "office" are not told apart by a reader. */
			for (size_t i = 0; i < r->n_tunnels; i++) {
				if (name_ieq(r->tunnels[i].name, t.name)) {
					fail(ld, t.line, "duplicate tunnel name \"%s\" (first at line %d)",
					     t.name, r->tunnels[i].line);
					break;
				}
			}
			r->tunnels = xgrow(r->tunnels, &cap_t, r->n_tunnels + 1, sizeof(*r->tunnels));
			r->tunnels[r->n_tunnels++] = t; /* owned by r now, freed by rules_free */
		} else if (is_elem(c, "allow") && !have_allow) {
			have_allow = true;
			for (xmlNodePtr a = c->children; a; a = a->next) {
				if (a->type != XML_ELEMENT_NODE)
					continue;
				if (r->n_allow_names + r->n_allow_resolvers >= LS_RULES_MAX_ALLOW) {
					fail(ld, line_of(a), "more than %d entries in <allow>",
					     LS_RULES_MAX_ALLOW);
					return r;
				}
				if (is_elem(a, "name")) {
					r->allow_names = xgrow(r->allow_names, &cap_n,
							       r->n_allow_names + 1,
							       sizeof(*r->allow_names));
					if (parse_allow_name(ld, a, &r->allow_names[r->n_allow_names]) == 0)
						r->n_allow_names++;
				} else if (is_elem(a, "resolver")) {
					r->allow_resolvers = xgrow(r->allow_resolvers, &cap_r,
								   r->n_allow_resolvers + 1,
								   sizeof(*r->allow_resolvers));
					if (parse_resolver(ld, a, true,
							   &r->allow_resolvers[r->n_allow_resolvers]) == 0)
						r->n_allow_resolvers++;
				} else {
					fail(ld, line_of(a), "unexpected element '%s' in allow",
					     (const char *)a->name);
				}
			}
		} else {
			fail(ld, line_of(c), "unexpected element '%s' in tunnels", (const char *)c->name);
		}
	}
	if (r->n_tunnels == 0 && ld->n_errors == 0)
		fail(ld, line_of(root), "no tunnel described");
	return r;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	ri_free(r->ix_endpoints);
	ri_free(r->ix_inside);
	ri_free(r->ix_resolvers);
	ri_free(r->ix_allow);
	for (size_t i = 0; i < r->n_tunnels; i++)
		free_tunnel(&r->tunnels[i]);
	free(r->tunnels);
	for (size_t i = 0; i < r->n_allow_names; i++) {
		free(r->allow_names[i].name);
		free(r->allow_names[i].reason);
	}
	free(r->allow_names);
	for (size_t i = 0; i < r->n_allow_resolvers; i++)
		free_resolver(&r->allow_resolvers[i]);
	free(r->allow_resolvers);
	free(r->path);
	free(r);
}

/* The lookups' tables; order = tunnel index << 16 | element index, the
 * document order the linear walks went in (elements per tunnel are capped
 * at LS_RULES_MAX_PER_TUNNEL, allow entries at LS_RULES_MAX_ALLOW). */
static void build_index(struct rules *r)
{
	r->ix_endpoints = ri_new();
	r->ix_inside = ri_new();
	r->ix_resolvers = ri_new();
	r->ix_allow = ri_new();
	for (size_t i = 0; i < r->n_tunnels; i++) {
		const struct rules_tunnel *t = &r->tunnels[i];
		for (size_t j = 0; j < t->n_endpoints; j++) {
			const struct rules_endpoint *ep = &t->endpoints[j];
			ri_add(r->ix_endpoints, &ep->pfx.addr, ep->pfx.plen, ep->port, ep->transport,
			       (uint32_t)(i << 16 | j), ep, t);
		}
		for (size_t j = 0; j < t->n_inside; j++)
			ri_add(r->ix_inside, &t->inside[j].addr, t->inside[j].plen, 0, 0, (uint32_t)(i << 16 | j),
			       &t->inside[j], t);
		for (size_t j = 0; j < t->n_resolvers; j++)
			ri_add(r->ix_resolvers, &t->resolvers[j].addr, 128, t->resolvers[j].port, 0,
			       (uint32_t)(i << 16 | j), &t->resolvers[j], t);
	}
	for (size_t j = 0; j < r->n_allow_resolvers; j++)
		ri_add(r->ix_allow, &r->allow_resolvers[j].addr, 128, r->allow_resolvers[j].port, 0, (uint32_t)j,
		       &r->allow_resolvers[j], NULL);
	ri_finish(r->ix_endpoints);
	ri_finish(r->ix_inside);
	ri_finish(r->ix_resolvers);
	ri_finish(r->ix_allow);
}

static void set_err(const struct load *ld, char *err, size_t errlen)
{
	if (!err || errlen == 0)
		return;
	if (ld->n_errors > 1)
		snprintf(err, errlen, "%s (and %u more error%s)", ld->first, ld->n_errors - 1,
			 ld->n_errors == 2 ? "" : "s");
	else
		snprintf(err, errlen, "%s", ld->first);
}

int rules_load_mem(const char *name, const void *buf, size_t len, struct rules **out, char *err,
		   size_t errlen)
{
	struct load ld;
	struct xml_saved sv;
	xmlDocPtr doc = NULL;
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	struct rules *r = NULL;

	memset(&ld, 0, sizeof(ld));
	ld.path = name ? name : "(rules)";
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	xml_guard_on(&ld, &sv);
	/* The file first: its own errors should not wait for the schema. */
	doc = safe_parse(&ld, buf, len);
	if (!doc)
		goto out;
	schema = schema_get(&ld);
	if (!schema)
		goto out;
	vctxt = xmlSchemaNewValidCtxt(schema);
	if (!vctxt) {
		fail(&ld, 0, "cannot create a schema validator");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, on_xml_error, &ld);
	if (xmlSchemaValidateDoc(vctxt, doc) != 0) {
		if (ld.n_errors == 0)
			fail(&ld, 0, "does not match the schema %s", rules_schema_path());
		goto out;
	}
	r = build(&ld, doc);
out:
	if (vctxt)
		xmlSchemaFreeValidCtxt(vctxt);
	if (doc)
		xmlFreeDoc(doc);
	xml_guard_off(&sv);
	if (ld.n_errors > 0) {
		set_err(&ld, err, errlen);
		rules_free(r);
		return -1;
	}
	build_index(r);
	*out = r;
	return 0;
}

int rules_load(const char *path, struct rules **out, char *err, size_t errlen)
{
	struct load ld;
	char *buf;
	size_t len;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	*out = NULL;
	if (read_capped(&ld, path, &buf, &len) < 0) {
		set_err(&ld, err, errlen);
		return -1;
	}
	rc = rules_load_mem(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Lookups (the verdict calls these per event; counts are capped above). */

const struct rules_tunnel *rules_endpoint_match(const struct rules *r, const struct ls_addr *a,
						uint16_t port, uint8_t transport)
{
	const void *t = NULL;
	if (r && a)
		ri_find(r->ix_endpoints, a, port, transport, false, &t);
	return t;
}

const struct rules_tunnel *rules_endpoint_addr_match(const struct rules *r, const struct ls_addr *a)
{
	const void *t = NULL;
	if (r && a)
		ri_find(r->ix_endpoints, a, 0, 0, true, &t);
	return t;
}

const struct rules_tunnel *rules_inside_match(const struct rules *r, const struct ls_addr *a)
{
	const void *t = NULL;
	if (r && a)
		ri_find(r->ix_inside, a, 0, 0, true, &t);
	return t;
}

/* Resolvers: an exact address (a /128 entry; an IPv4 address's unused
 * bytes are zero) and a port that is 0 (any) or equal. */
const struct rules_resolver *rules_tunnel_resolver_match(const struct rules *r,
							 const struct ls_addr *a, uint16_t port,
							 const struct rules_tunnel **tun)
{
	const void *t = NULL;
	const struct rules_resolver *rs = r && a ? ri_find(r->ix_resolvers, a, port, 0, false, &t) : NULL;
	if (tun)
		*tun = t;
	return rs;
}

const struct rules_name *rules_allow_name(const struct rules *r, const char *qname)
{
	const struct rules_name *best = NULL;
	size_t qlen, best_len = 0;

	if (!r || !qname)
		return NULL;
	qlen = strlen(qname);
	if (qlen > 0 && qname[qlen - 1] == '.')
		qlen--; /* "example.com." and "example.com" are the same name */
	if (qlen == 0)
		return NULL;
	for (size_t i = 0; i < r->n_allow_names; i++) {
		const struct rules_name *n = &r->allow_names[i];
		size_t nl = strlen(n->name);
		if (!n->suffix) {
			if (nl == qlen && ieq(qname, n->name, nl))
				return n; /* exact wins outright */
			continue;
		}
		/* Suffix: the name itself, or below it on a label boundary, so
		 * corp.example covers a.corp.example but not xcorp.example. */
		if (nl > qlen || !ieq(qname + qlen - nl, n->name, nl))
			continue;
		if (nl < qlen && qname[qlen - nl - 1] != '.')
			continue;
		if (!best || nl > best_len) {
			best = n;
			best_len = nl;
		}
	}
	return best;
}

const struct rules_resolver *rules_allow_resolver(const struct rules *r, const struct ls_addr *a,
						  uint16_t port)
{
	return r && a ? ri_find(r->ix_allow, a, port, 0, false, NULL) : NULL;
}

/* ---------------------------------------------------------------------- */
/* check-rules: the description in plain English. */

/* Joins n items as "a", "a and b", "a, b and c". */
static void join_sep(struct sbuf *b, size_t i, size_t n)
{
	if (i == 0)
		return;
	sb_add(b, i + 1 == n ? " and " : ", ");
}

static void describe_endpoint(struct sbuf *b, const struct rules_endpoint *ep)
{
	char pb[80];
	sb_add(b, pfx_str(&ep->pfx, pb, sizeof(pb)));
	if (ep->transport && ep->port)
		sb_addf(b, " %s/%u", transport_str(ep->transport), (unsigned)ep->port);
	else if (ep->transport == IPPROTO_ESP)
		sb_add(b, " esp");
	else if (ep->transport)
		sb_addf(b, " %s (any port)", transport_str(ep->transport));
	else if (ep->port)
		sb_addf(b, " port %u (udp or tcp)", (unsigned)ep->port);
	else
		sb_add(b, " (any port and transport)");
}

static void describe_resolver(struct sbuf *b, const struct rules_resolver *rs)
{
	char ab[64];
	sb_add(b, addr_str(&rs->addr, ab, sizeof(ab)));
	if (rs->port)
		sb_addf(b, " port %u", (unsigned)rs->port);
	else
		sb_add(b, " (any port)");
	if (rs->name)
		sb_addf(b, " (%s)", rs->name);
}

static void describe_tunnel(struct sbuf *b, const struct rules_tunnel *t)
{
	char pb[80];

	sb_addf(b, "Tunnel \"%s\" (%s) carries ", t->name, kind_label(t->kind));
	if (t->kind == TK_TOR)
		sb_add(b, t->n_endpoints > 1 ? "this host's TCP streams through the guard relays "
					     : "this host's TCP streams through the guard relay ");
	else if (t->kind == TK_SSH)
		sb_add(b, "this host's TCP streams (SOCKS or port forwarding) to ");
	else if (t->carries_ipv4 && t->carries_ipv6)
		sb_add(b, "IPv4 and IPv6, to ");
	else
		sb_add(b, t->carries_ipv4 ? "IPv4 only, to " : "IPv6 only, to ");
	for (size_t i = 0; i < t->n_endpoints; i++) {
		join_sep(b, i, t->n_endpoints);
		describe_endpoint(b, &t->endpoints[i]);
	}
	if (t->n_inside) {
		sb_add(b, "; inside it this host is ");
		for (size_t i = 0; i < t->n_inside; i++) {
			join_sep(b, i, t->n_inside);
			sb_addf(b, "%s/%u", addr_str(&t->inside[i].addr, pb, sizeof(pb)),
				(unsigned)t->inside[i].plen);
		}
	} else if (TK_CARRIES_STREAMS(t->kind)) {
		sb_add(b, t->kind == TK_TOR ? "; this host has no address inside it (Tor carries streams, not packets)"
					    : "; this host has no address inside it (SSH carries streams, not packets)");
	} else {
		sb_add(b, "; no inside address is given");
	}
	if (t->n_resolvers) {
		sb_add(b, "; name resolution must go to ");
		for (size_t i = 0; i < t->n_resolvers; i++) {
			join_sep(b, i, t->n_resolvers);
			describe_resolver(b, &t->resolvers[i]);
		}
		sb_add(b, " through it");
	} else if (t->kind == TK_TOR) {
		sb_add(b, "; names are resolved by the Tor exit relay, so any name resolution this host does itself is a leak");
	} else if (t->kind == TK_SSH) {
		sb_add(b, "; names must travel inside SSH to the server (SOCKS5 with remote resolution), so any name resolution this host does itself is a leak");
	} else {
		sb_add(b, "; no resolver is named for it");
	}
	if (t->tun_iface && t->phys_iface)
		sb_addf(b, "; the capture names the tunnel interface %s and the physical one %s",
			t->tun_iface, t->phys_iface);
	else if (t->tun_iface)
		sb_addf(b, "; the capture names the tunnel interface %s", t->tun_iface);
	else if (t->phys_iface)
		sb_addf(b, "; the capture names the physical interface %s", t->phys_iface);
	sb_add(b, ".");
}

char *rules_describe_str(const struct rules *r)
{
	struct sbuf b = {0};
	size_t n_allow;
	const char *outside;

	if (!r) {
		sb_add(&b, "No tunnel description.");
		return b.s;
	}
	outside = r->n_tunnels > 1 ? "outside the tunnels" : "outside the tunnel";
	for (size_t i = 0; i < r->n_tunnels; i++) {
		if (i)
			sb_add(&b, " ");
		describe_tunnel(&b, &r->tunnels[i]);
	}
	n_allow = r->n_allow_names + r->n_allow_resolvers;
	if (n_allow == 0) {
		sb_addf(&b, " Nothing may be resolved %s: any name resolved there is a leak.",
			outside);
		return b.s;
	}
	sb_addf(&b, " Allowed %s: ", outside);
	for (size_t i = 0; i < r->n_allow_names; i++) {
		const struct rules_name *n = &r->allow_names[i];
		join_sep(&b, i, n_allow);
		if (n->suffix)
			sb_addf(&b, "%s and every name below it (%s)", n->name, n->reason);
		else
			sb_addf(&b, "the name %s (%s)", n->name, n->reason);
	}
	for (size_t i = 0; i < r->n_allow_resolvers; i++) {
		const struct rules_resolver *rs = &r->allow_resolvers[i];
		join_sep(&b, r->n_allow_names + i, n_allow);
		sb_add(&b, "the resolver ");
		describe_resolver(&b, rs);
		sb_addf(&b, " (%s)", rs->reason);
	}
	sb_add(&b, ". Anything else resolved outside is a leak.");
	return b.s;
}

/* Greedy word wrap at 78 columns; a word longer than that gets its own line. */
void rules_describe(const struct rules *r, FILE *out)
{
	char *s = rules_describe_str(r);
	size_t col = 0;
	const char *p = s;

	while (*p) {
		const char *w = p;
		size_t n;
		while (*p && *p != ' ')
			p++;
		n = (size_t)(p - w);
		if (col > 0 && col + 1 + n > 78) {
			fputc('\n', out);
			col = 0;
		} else if (col > 0) {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, n, out);
		col += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* Endpoints that are probably not a VPN server (issue 17): a well-known
 * public resolver, a multicast or broadcast address, or a name-resolution
 * port.  Each would make name resolution to it vanish as "carrier". */

size_t rules_endpoint_warnings(const struct rules *r, char (*out)[RULES_WARNING_MAX], size_t max)
{
	size_t n = 0;
	char b[64];
	for (size_t t = 0; r && t < r->n_tunnels && n < max; t++) {
		const struct rules_tunnel *tu = &r->tunnels[t];
		for (size_t i = 0; i < tu->n_endpoints && n < max; i++) {
			const struct rules_endpoint *e = &tu->endpoints[i];
			const struct ls_addr *x = &e->pfx.addr;
			addr_str(x, b, sizeof(b));
			const char *what = NULL;
			bool bcast = x->af == 4 && x->a[0] == 255 && x->a[1] == 255 && x->a[2] == 255 && x->a[3] == 255;
			if (addr_is_multicast(x) || bcast)
				what = "is a multicast or broadcast address: no VPN server is there";
			else if (resolver_addr_known(x))
				what = "is a well-known public resolver: every question to it would be taken for carrier "
				       "traffic and vanish";
			else if (e->port == 53 || e->port == 5353 || e->port == 5355 || e->port == 137)
				what = "is on a name-resolution port: right only for a VPN that really runs there "
				       "(WireGuard on udp/53); a resolver there would vanish as carrier traffic";
			if (what)
				snprintf(out[n++], RULES_WARNING_MAX, "line %d: tunnel \"%s\": endpoint %s%s%u %s", e->line,
					 tu->name, b, e->port ? " port " : "", e->port, what);
		}
	}
	return n;
}
