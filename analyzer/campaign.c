/* campaign.c - leakscope audit: loads a campaign (XML 1.0 + XSD 1.0), runs each case as its own analyze child, judges it against its expectation. */

/*
 * Why a child process per case, and not a call into the analysis: a case
 * is a whole investigation with its own captures and tunnel description;
 * in its own process a crash, a cap reached or memory used by one case
 * cannot touch another, the cases run side by side (-j N), and a case's
 * folder holds exactly what `leakscope analyze` writes, so a reader can
 * rerun it by hand.  The child is this same binary (/proc/self/exe),
 * started with posix_spawn (no shell: paths from the campaign are never
 * parsed by anyone but the child's getopt, after "--").
 *
 * The result is read back from the child's exit status and its
 * summary.xml, and the two must agree.  Anything else (no summary, an
 * exit status analyze does not give, a signal) makes the case undecided
 * with the reason: never a pass.
 *
 * The campaign file is hostile input, read with the guards of the tunnel
 * description loader (rules.c): at most LS_CAMPAIGN_MAX_FILE bytes read by
 * us, XML_PARSE_NONET without NOENT/DTDLOAD, a SAX hook that stops at the
 * first DOCTYPE, an external entity loader that refuses everything, errors
 * as file:line.  The guards are repeated here rather than shared so that
 * the tunnel loader stays untouched; both follow the same rules.
 */
#include "campaign.h"
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>

#include "rules.h"
#include "tunnel-config.h"
#include "util.h"

extern char **environ;

#ifndef LS_DATADIR
#define LS_DATADIR "."
#endif

#define SCHEMA_FILE "campaign.xsd"
#define REPORT_NS "urn:leakscope:report:1"
#define SUMMARY_MAX_FILE (64u * 1024u * 1024u)
#define ERR_MAX_MSG 1024

#define X(s) ((const xmlChar *)(s))

const char *const campaign_categories[LS_NCAT] = {
	"local-link", "bootstrap", "kill-switch", "encrypted-outside",
	"tunnel-resolver-outside", "ipv6-outside", "parallel-multihomed", "split-tunnel",
	"ipv4-outside", "vpn-server-dns", "proxy-local-resolution", "app-resolver", "stub-upstream",
};

int campaign_category_index(const char *name)
{
	for (int i = 0; i < LS_NCAT; i++)
		if (strcmp(campaign_categories[i], name) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Error collection and the libxml2 guards (as in rules.c). */

struct load {
	const char *path;
	const char *ns; /* stripped from messages: "{ns}elem" is noise */
	unsigned n_errors;
	char first[4096 + ERR_MAX_MSG + 32];
	long doctype_line;
};

static struct load *cur_load;

static void sanitize(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void fail(struct load *ld, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct load *ld, long line, const char *fmt, ...)
{
	char msg[ERR_MAX_MSG];
	va_list ap;

	if (ld->n_errors++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	if (line > 0)
		snprintf(ld->first, sizeof(ld->first), "%s:%ld: %s", ld->path, line, msg);
	else
		snprintf(ld->first, sizeof(ld->first), "%s: %s", ld->path, msg);
}

static void strip_all(char *s, const char *needle)
{
	size_t n = strlen(needle);
	char *p = n ? strstr(s, needle) : NULL;
	while (p) {
		memmove(p, p + n, strlen(p + n) + 1);
		p = strstr(p, needle);
	}
}

static void on_xml_error(void *ctx, xmlErrorPtr e)
{
	struct load *ld = ctx;
	char msg[ERR_MAX_MSG], ns[128];
	size_t n;

	if (!ld || !e || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "XML error");
	if (ld->ns) {
		snprintf(ns, sizeof(ns), "{%s}", ld->ns);
		strip_all(msg, ns);
	}
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	fail(ld, e->line, "%s", msg);
}

static void on_generic_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)ctxt;
	if (cur_load)
		fail(cur_load, 0, "refused to load external resource '%s'", url ? url : (id ? id : "?"));
	return NULL;
}

/* Stops the parser at "<!DOCTYPE", before any entity is declared. */
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

static xmlDocPtr safe_parse(struct load *ld, const char *buf, size_t len)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len == 0) {
		fail(ld, 0, "empty file");
		return NULL;
	}
	if (len > INT32_MAX) {
		fail(ld, 0, "too large");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		fail(ld, 0, "cannot create an XML parser");
		return NULL;
	}
	ctxt->_private = ld;
	ctxt->sax->internalSubset = on_doctype;
	/* NONET; deliberately no NOENT, DTDLOAD, DTDATTR, DTDVALID, HUGE, XINCLUDE */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, ld->path, NULL, XML_PARSE_NONET);
	if (ld->doctype_line > 0) {
		ld->n_errors = 0;
		fail(ld, ld->doctype_line,
		     "DOCTYPE is not allowed (DTDs and entities are refused: they enable XXE and entity expansion)");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc && (doc->intSubset || doc->extSubset)) {
		fail(ld, 1, "DOCTYPE is not allowed");
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

/* Reads at most max bytes of path; one more tells "exactly max" from "more". */
static int read_capped(struct load *ld, const char *path, size_t max, const char *max_text, char **out,
		       size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	*out = NULL;
	*outlen = 0;
	if (!f) {
		fail(ld, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	char *buf = xmalloc(max + 1);
	size_t n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fail(ld, 0, "cannot read: %s", strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (n > max) {
		fail(ld, 0, "larger than %s", max_text);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

static const char *schema_path(char *buf, size_t len)
{
	const char *env = getenv("LEAKSCOPE_DATADIR");
	if (env && *env)
		snprintf(buf, len, "%s/rules/" SCHEMA_FILE, env);
	else
		snprintf(buf, len, "%s", LS_DATADIR "/rules/" SCHEMA_FILE);
	return buf;
}

/* Validates doc against rules/campaign.xsd (compiled for this one load:
 * a campaign is loaded once a run). */
static int validate(struct load *ld, xmlDocPtr doc)
{
	char spath[4096 + 32];
	const char *saved = ld->path;
	char *buf = NULL;
	size_t len = 0;
	xmlDocPtr sdoc = NULL;
	xmlSchemaParserCtxtPtr pctxt = NULL;
	xmlSchemaPtr schema = NULL;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	int rc = -1;

	ld->path = schema_path(spath, sizeof(spath));
	if (read_capped(ld, ld->path, LS_CAMPAIGN_MAX_FILE, "8 MiB", &buf, &len) < 0)
		goto schema_bad;
	sdoc = safe_parse(ld, buf, len);
	if (!sdoc)
		goto schema_bad;
	pctxt = xmlSchemaNewDocParserCtxt(sdoc);
	if (pctxt) {
		xmlSchemaSetParserStructuredErrors(pctxt, on_xml_error, ld);
		schema = xmlSchemaParse(pctxt);
	}
	if (!schema) {
		if (ld->n_errors == 0)
			fail(ld, 0, "not a usable XML schema");
		goto schema_bad;
	}
	ld->path = saved;
	vctxt = xmlSchemaNewValidCtxt(schema);
	if (!vctxt) {
		fail(ld, 0, "cannot create a schema validator");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, on_xml_error, ld);
	if (xmlSchemaValidateDoc(vctxt, doc) != 0) {
		if (ld->n_errors == 0)
			fail(ld, 0, "does not match the schema %s", spath);
		goto out;
	}
	rc = 0;
	goto out;
schema_bad: {
	static const char hint[] = " (the schema is needed to check campaign files; set LEAKSCOPE_DATADIR "
				   "to the directory holding rules/" SCHEMA_FILE ")";
	size_t used = strlen(ld->first);
	if (used + sizeof(hint) <= sizeof(ld->first))
		memcpy(ld->first + used, hint, sizeof(hint));
	ld->path = saved;
}
out:
	if (vctxt)
		xmlSchemaFreeValidCtxt(vctxt);
	if (schema)
		xmlSchemaFree(schema);
	if (pctxt)
		xmlSchemaFreeParserCtxt(pctxt);
	if (sdoc)
		xmlFreeDoc(sdoc);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Building the campaign from a valid document. */

static bool is_elem(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static char *attr_get(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, X(name));
	if (!v)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static long line_of(xmlNodePtr n)
{
	long l = xmlGetLineNo(n);
	return l > 0 ? l : 0;
}

static bool has_ctrl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static char *text_of(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = xstrdup(v ? (const char *)v : "");
	xmlFree(v);
	return s;
}

/* A path from the file, resolved against the campaign's folder.  A path
 * that would start with '-' cannot: the folder ("." at least) comes first. */
static char *resolve(const char *dir, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	size_t n = strlen(dir) + strlen(p) + 2;
	char *s = xmalloc(n);
	snprintf(s, n, "%s/%s", dir, p);
	return s;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	size_t n = (size_t)(slash - path);
	char *s = xmalloc(n + 1);
	memcpy(s, path, n);
	s[n] = '\0';
	return s;
}

static void free_case(struct campaign_case *cs)
{
	free(cs->id);
	for (size_t i = 0; i < cs->n_labels; i++) {
		free(cs->labels[i].key);
		free(cs->labels[i].value);
	}
	free(cs->labels);
	for (size_t i = 0; i < cs->n_captures; i++) {
		free(cs->captures[i]);
		free(cs->capture_paths[i]);
	}
	free(cs->captures);
	free(cs->capture_paths);
	free(cs->tunnel);
	free(cs->tunnel_path);
}

void campaign_free(struct campaign *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_cases; i++)
		free_case(&c->cases[i]);
	free(c->cases);
	free(c->path);
	free(c->dir);
	free(c->name);
	free(c->title);
	free(c->rows);
	free(c->columns);
	free(c);
}

static int parse_expect_leaks(struct load *ld, xmlNodePtr e, struct campaign_case *cs)
{
	char *m = attr_get(e, "match");
	cs->expect = m && strcmp(m, "exactly") == 0 ? EXPECT_EXACTLY : EXPECT_AT_LEAST;
	free(m);
	for (xmlNodePtr k = e->children; k; k = k->next) {
		if (!is_elem(k, LS_CAMPAIGN_NS, "category"))
			continue;
		char *name = attr_get(k, "name"), *cnt = attr_get(k, "count");
		int ci = name ? campaign_category_index(name) : -1;
		int rc = 0;
		if (ci < 0) {
			fail(ld, line_of(k), "unknown leak category");
			rc = -1;
		} else if (cs->want[ci]) {
			fail(ld, line_of(k), "category %s listed twice in case %s", name, cs->id);
			rc = -1;
		} else {
			cs->want[ci] = true;
			/* the schema checked 1..1e9; strtoull after it cannot overflow */
			cs->want_count[ci] = cnt ? strtoull(cnt, NULL, 10) : 0;
		}
		free(name);
		free(cnt);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int parse_case(struct load *ld, const char *dir, xmlNodePtr cn, struct campaign_case *cs)
{
	cs->line = (int)line_of(cn);
	cs->id = attr_get(cn, "id");
	if (!cs->id) {
		fail(ld, line_of(cn), "case without an id");
		return -1;
	}
	/* The pattern already keeps '/' out; ".." would still name a parent
	 * folder if it stood alone, and reads badly anywhere. */
	if (strstr(cs->id, "..")) {
		fail(ld, line_of(cn), "case id '%s' contains '..' (ids become folder names)", cs->id);
		return -1;
	}
	size_t cap_labels = 0, cap_caps = 0, cap_paths = 0;
	for (xmlNodePtr c = cn->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, LS_CAMPAIGN_NS, "label")) {
			char *k = attr_get(c, "key"), *v = attr_get(c, "value");
			if (!k || !v || has_ctrl(v)) {
				fail(ld, line_of(c), "label value with control characters in case %s", cs->id);
				free(k);
				free(v);
				return -1;
			}
			for (size_t i = 0; i < cs->n_labels; i++) {
				if (strcmp(cs->labels[i].key, k) == 0) {
					fail(ld, line_of(c), "label '%s' given twice in case %s", k, cs->id);
					free(k);
					free(v);
					return -1;
				}
			}
			if (strcmp(k, "id") == 0) {
				fail(ld, line_of(c), "label key 'id' is reserved (it is the case id)");
				free(k);
				free(v);
				return -1;
			}
			cs->labels = xgrow(cs->labels, &cap_labels, cs->n_labels + 1, sizeof(*cs->labels));
			cs->labels[cs->n_labels++] = (struct campaign_label){k, v};
		} else if (is_elem(c, LS_CAMPAIGN_NS, "capture")) {
			char *p = attr_get(c, "path");
			if (!p || has_ctrl(p)) {
				fail(ld, line_of(c), "capture path with control characters in case %s", cs->id);
				free(p);
				return -1;
			}
			cs->captures = xgrow(cs->captures, &cap_caps, cs->n_captures + 1, sizeof(char *));
			cs->capture_paths = xgrow(cs->capture_paths, &cap_paths, cs->n_captures + 1, sizeof(char *));
			cs->capture_paths[cs->n_captures] = resolve(dir, p);
			cs->captures[cs->n_captures++] = p;
		} else if (is_elem(c, LS_CAMPAIGN_NS, "tunnel") || is_elem(c, LS_CAMPAIGN_NS, "tunnel-config")) {
			char *p = attr_get(c, "path");
			if (!p || has_ctrl(p)) {
				fail(ld, line_of(c), "tunnel path with control characters in case %s", cs->id);
				free(p);
				return -1;
			}
			cs->tunnel = p;
			cs->tunnel_path = resolve(dir, p);
			cs->tunnel_is_config = is_elem(c, LS_CAMPAIGN_NS, "tunnel-config");
		} else if (is_elem(c, LS_CAMPAIGN_NS, "expect-no-leak")) {
			cs->expect = EXPECT_NO_LEAK;
		} else if (is_elem(c, LS_CAMPAIGN_NS, "expect-undecided")) {
			cs->expect = EXPECT_UNDECIDED;
		} else if (is_elem(c, LS_CAMPAIGN_NS, "expect-leaks")) {
			if (parse_expect_leaks(ld, c, cs) < 0)
				return -1;
		}
		/* what, howto, why, auto-tunnel: documentation, or the default */
	}
	return 0;
}

static int case_cmp(const void *a, const void *b)
{
	const struct campaign_case *x = a, *y = b;
	int c = strcasecmp(x->id, y->id);
	return c ? c : strcmp(x->id, y->id);
}

static bool key_used(const struct campaign *c, const char *key)
{
	if (strcmp(key, "id") == 0)
		return true;
	for (size_t i = 0; i < c->n_cases; i++)
		if (campaign_label(&c->cases[i], key))
			return true;
	return false;
}

static struct campaign *build(struct load *ld, xmlDocPtr doc, const char *path)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct campaign *c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->dir = dir_of(path);
	c->name = attr_get(root, "name");
	c->rows = attr_get(root, "rows");
	c->columns = attr_get(root, "columns");
	size_t n = 0;
	for (xmlNodePtr k = root->children; k; k = k->next)
		if (is_elem(k, LS_CAMPAIGN_NS, "case"))
			n++;
	c->cases = xcalloc(n ? n : 1, sizeof(*c->cases));
	for (xmlNodePtr k = root->children; k; k = k->next) {
		if (is_elem(k, LS_CAMPAIGN_NS, "title")) {
			c->title = text_of(k);
			sanitize(c->title);
		}
		if (!is_elem(k, LS_CAMPAIGN_NS, "case"))
			continue;
		struct campaign_case *cs = &c->cases[c->n_cases++];
		if (parse_case(ld, c->dir, k, cs) < 0)
			goto bad;
	}
	qsort(c->cases, c->n_cases, sizeof(*c->cases), case_cmp);
	for (size_t i = 1; i < c->n_cases; i++) {
		if (strcasecmp(c->cases[i - 1].id, c->cases[i].id) == 0) {
			fail(ld, c->cases[i].line > c->cases[i - 1].line ? c->cases[i].line : c->cases[i - 1].line,
			     "case id '%s' used twice (ids are folder names and must differ ignoring case)",
			     c->cases[i].id);
			goto bad;
		}
	}
	if (c->rows && !key_used(c, c->rows)) {
		fail(ld, line_of(root), "rows=\"%s\" names no label of any case", c->rows);
		goto bad;
	}
	if (c->columns && !key_used(c, c->columns)) {
		fail(ld, line_of(root), "columns=\"%s\" names no label of any case", c->columns);
		goto bad;
	}
	return c;
bad:
	campaign_free(c);
	return NULL;
}

static void set_err(const struct load *ld, char *err, size_t errlen)
{
	if (!err || !errlen)
		return;
	if (ld->n_errors > 1)
		snprintf(err, errlen, "%s (and %u more error%s)", ld->first, ld->n_errors - 1,
			 ld->n_errors == 2 ? "" : "s");
	else
		snprintf(err, errlen, "%s", ld->first);
}

int campaign_load_mem(const char *path, const void *data, size_t len, struct campaign **out, char *err,
		      size_t errlen)
{
	struct load ld;
	struct xml_saved sv;
	struct campaign *c = NULL;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.ns = LS_CAMPAIGN_NS;
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > LS_CAMPAIGN_MAX_FILE) {
		fail(&ld, 0, "larger than 8 MiB");
		goto done;
	}
	xml_guard_on(&ld, &sv);
	xmlDocPtr doc = safe_parse(&ld, data, len);
	if (doc) {
		xmlNodePtr root = xmlDocGetRootElement(doc);
		if (!root || !is_elem(root, LS_CAMPAIGN_NS, "campaign")) {
			fail(&ld, root ? line_of(root) : 0,
			     "the root element must be <campaign xmlns=\"" LS_CAMPAIGN_NS "\">");
		} else {
			/* Count before validating: a file of 100,000 cases is refused
			 * with the limit, not after the validator has walked it all. */
			size_t n = 0;
			for (xmlNodePtr k = root->children; k; k = k->next)
				if (is_elem(k, LS_CAMPAIGN_NS, "case"))
					n++;
			if (n > LS_CAMPAIGN_MAX_CASES)
				fail(&ld, line_of(root), "%zu cases; a campaign holds at most %u (split it into several files)",
				     n, LS_CAMPAIGN_MAX_CASES);
			else if (validate(&ld, doc) == 0)
				c = build(&ld, doc, path);
		}
		xmlFreeDoc(doc);
	}
	xml_guard_off(&sv);
done:
	if (ld.n_errors > 0 || !c) {
		if (ld.n_errors == 0)
			fail(&ld, 0, "unusable campaign");
		set_err(&ld, err, errlen);
		campaign_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int campaign_load(const char *path, struct campaign **out, char *err, size_t errlen)
{
	struct load ld;
	char *buf = NULL;
	size_t len = 0;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	*out = NULL;
	if (read_capped(&ld, path, LS_CAMPAIGN_MAX_FILE, "8 MiB", &buf, &len) < 0) {
		set_err(&ld, err, errlen);
		return -1;
	}
	int rc = campaign_load_mem(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

const char *campaign_label(const struct campaign_case *cs, const char *key)
{
	if (strcmp(key, "id") == 0)
		return cs->id;
	for (size_t i = 0; i < cs->n_labels; i++)
		if (strcmp(cs->labels[i].key, key) == 0)
			return cs->labels[i].value;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* A case's summary.xml */

static void copy_attr(xmlNodePtr n, const char *name, char *out, size_t len)
{
	xmlChar *v = xmlGetNoNsProp(n, X(name));
	snprintf(out, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
}

/* A decimal attribute; false when absent or not a plain number. */
static bool u64_attr(xmlNodePtr n, const char *name, uint64_t *out)
{
	xmlChar *v = xmlGetNoNsProp(n, X(name));
	bool ok = false;
	if (v && v[0] >= '0' && v[0] <= '9') {
		char *end;
		errno = 0;
		unsigned long long x = strtoull((const char *)v, &end, 10);
		ok = !*end && errno == 0;
		*out = x;
	}
	xmlFree(v);
	return ok;
}

int campaign_read_summary(const char *summary_path, struct case_result *r)
{
	struct load ld;
	struct xml_saved sv;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;
	bool have_verdict = false;

	memset(&ld, 0, sizeof(ld));
	ld.path = summary_path;
	ld.ns = REPORT_NS;
	if (read_capped(&ld, summary_path, SUMMARY_MAX_FILE, "64 MiB", &buf, &len) < 0) {
		snprintf(r->problem, sizeof(r->problem), "%.500s", ld.first);
		return -1;
	}
	xml_guard_on(&ld, &sv);
	xmlDocPtr doc = safe_parse(&ld, buf, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (doc && (!root || !is_elem(root, REPORT_NS, "summary")))
		fail(&ld, 0, "not a leakscope summary (root <summary xmlns=\"" REPORT_NS "\">)");
	for (xmlNodePtr k = root && !ld.n_errors ? root->children : NULL; k; k = k->next) {
		if (is_elem(k, REPORT_NS, "verdict")) {
			copy_attr(k, "status", r->status, sizeof(r->status));
			have_verdict = u64_attr(k, "leaks", &r->leaks) && u64_attr(k, "events", &r->events) &&
				       u64_attr(k, "hosts", &r->hosts);
		} else if (is_elem(k, REPORT_NS, "tunnel-description")) {
			copy_attr(k, "source", r->source, sizeof(r->source));
		} else if (is_elem(k, REPORT_NS, "captures")) {
			for (xmlNodePtr c = k->children; c; c = c->next) {
				if (!is_elem(c, REPORT_NS, "capture"))
					continue;
				xmlChar *t = xmlGetNoNsProp(c, X("truncated"));
				if (t && strcmp((const char *)t, "false") != 0)
					r->truncated = true;
				xmlFree(t);
			}
		} else if (is_elem(k, REPORT_NS, "hosts")) {
			for (xmlNodePtr h = k->children; h; h = h->next) {
				if (!is_elem(h, REPORT_NS, "host"))
					continue;
				for (xmlNodePtr c = h->children; c; c = c->next) {
					if (!is_elem(c, REPORT_NS, "count"))
						continue;
					char cat[48];
					uint64_t n = 0;
					copy_attr(c, "category", cat, sizeof(cat));
					int ci = campaign_category_index(cat);
					if (ci >= 0 && u64_attr(c, "n", &n))
						r->count[ci] = r->count[ci] + n < r->count[ci] ? UINT64_MAX : r->count[ci] + n;
				}
			}
		} else if (is_elem(k, REPORT_NS, "anomalies")) {
			uint64_t d = 0;
			if (u64_attr(k, "events-dropped", &d))
				r->events_dropped = d;
		}
	}
	if (doc && !ld.n_errors) {
		if (!have_verdict || (strcmp(r->status, "clean") && strcmp(r->status, "leak") &&
				      strcmp(r->status, "undecided") && strcmp(r->status, "incomplete")))
			fail(&ld, 0, "no readable <verdict status leaks hosts events>");
		else
			rc = 0;
	}
	if (doc)
		xmlFreeDoc(doc);
	xml_guard_off(&sv);
	free(buf);
	if (rc < 0)
		snprintf(r->problem, sizeof(r->problem), "%.500s", ld.first);
	else
		r->ran = true;
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Judging */

const char *campaign_outcome_str(enum case_outcome o)
{
	return o == OUTCOME_PASS ? "pass" : o == OUTCOME_FAIL ? "fail" : "undecided";
}

const char *campaign_expect_str(const struct campaign_case *cs, char *buf, size_t len)
{
	if (cs->expect == EXPECT_NO_LEAK)
		return "no-leak";
	if (cs->expect == EXPECT_UNDECIDED)
		return "undecided";
	size_t used = (size_t)snprintf(buf, len, "%s", cs->expect == EXPECT_EXACTLY ? "exactly" : "at-least");
	for (int i = 0; i < LS_NCAT && used < len; i++) {
		if (!cs->want[i])
			continue;
		if (cs->want_count[i])
			used += (size_t)snprintf(buf + used, len - used, " %s=%" PRIu64, campaign_categories[i],
						 cs->want_count[i]);
		else
			used += (size_t)snprintf(buf + used, len - used, " %s", campaign_categories[i]);
	}
	return buf;
}

/* "kill-switch=3 split-tunnel=1", or "none". */
static void counts_str(const struct case_result *r, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < LS_NCAT && used < len; i++)
		if (r->count[i])
			used += (size_t)snprintf(buf + used, len - used, "%s%s=%" PRIu64, used ? " " : "",
						 campaign_categories[i], r->count[i]);
	if (!used)
		snprintf(buf, len, "none");
}

enum case_outcome campaign_judge(const struct campaign_case *cs, const struct case_result *r, char *why,
				 size_t whylen)
{
	char found[512];
	if (!r->ran) {
		snprintf(why, whylen, "not judged: %s", r->problem[0] ? r->problem : "the case did not run");
		return OUTCOME_UNDECIDED;
	}
	bool leak = strcmp(r->status, "leak") == 0, clean = strcmp(r->status, "clean") == 0;
	bool incomplete = strcmp(r->status, "incomplete") == 0;
	/* analyze exits 1 on leaks, 0 clean, 3 undecided, 4 incomplete */
	int want_exit = leak ? 1 : clean ? 0 : incomplete ? 4 : 3;
	if (r->exit_status != want_exit) {
		snprintf(why, whylen, "not judged: analyze exited %d but its summary says %s", r->exit_status,
			 r->status);
		return OUTCOME_UNDECIDED;
	}
	if (!leak && !clean && !incomplete) {
		if (cs->expect == EXPECT_UNDECIDED) {
			snprintf(why, whylen, "undecided, as expected (tunnel description: %s)",
				 r->source[0] ? r->source : "?");
			return OUTCOME_PASS;
		}
		snprintf(why, whylen, "not judged: the analysis could not decide (tunnel description: %s%s)",
			 r->source[0] ? r->source : "?",
			 strcmp(r->source, "none") == 0 ? ", no tunnel carrier recognised" : "");
		return OUTCOME_UNDECIDED;
	}
	/* Every leak must be in a category this file knows: one added to
	 * the analysis later would otherwise pass an "exactly" unseen. */
	uint64_t known = 0;
	for (int i = 0; i < LS_NCAT; i++)
		known = known + r->count[i] < known ? UINT64_MAX : known + r->count[i];
	if (known != r->leaks) {
		snprintf(why, whylen, "not judged: the summary counts %" PRIu64 " leak(s), %" PRIu64 " of them in "
				      "categories audit knows",
			 r->leaks, known);
		return OUTCOME_UNDECIDED;
	}
	counts_str(r, found, sizeof(found));
	/* What the analysis did not see: a damaged capture, events past the cap. */
	bool partial = r->truncated || r->events_dropped > 0 || incomplete;
	const char *partial_why = r->truncated	      ? "a capture is damaged part way, the rest was not seen"
				  : r->events_dropped ? "events past --max-events were not recorded"
						      : "the analysis says it is incomplete (see its summary.xml)";
	const char *auto_note = strcmp(r->source, "suggested") == 0 ? " (tunnel description suggested from the capture)"
								    : "";
	switch (cs->expect) {
	case EXPECT_UNDECIDED:
		snprintf(why, whylen, "expected undecided, but the analysis decided: %s (%" PRIu64 " leak(s): %s)%s",
			 r->status, r->leaks, found, auto_note);
		return OUTCOME_FAIL;
	case EXPECT_NO_LEAK:
		if (leak) {
			snprintf(why, whylen, "expected no leak, found %" PRIu64 ": %s%s", r->leaks, found, auto_note);
			return OUTCOME_FAIL;
		}
		if (r->events == 0) {
			/* nothing asked proves nothing: on a physical interface the
			 * questions inside the tunnel are encrypted and unseen */
			snprintf(why, whylen, "not judged: no name-resolution question seen in the captures, so "
					      "nothing shows whether it would leak (a capture of the physical "
					      "interface alone cannot see the questions inside the tunnel: capture "
					      "with tcpdump -i any)");
			return OUTCOME_UNDECIDED;
		}
		if (partial) {
			snprintf(why, whylen, "not judged: no leak in what was seen, but %s", partial_why);
			return OUTCOME_UNDECIDED;
		}
		snprintf(why, whylen, "no leak in %" PRIu64 " question(s), as expected%s", r->events, auto_note);
		return OUTCOME_PASS;
	case EXPECT_AT_LEAST:
	case EXPECT_EXACTLY:
		break;
	}
	bool exact = cs->expect == EXPECT_EXACTLY;
	/* A shortfall may lie in what was not seen; an excess may not. */
	bool excess = false, shortfall = false;
	char wrong[512];
	size_t used = 0;
	wrong[0] = '\0';
	for (int i = 0; i < LS_NCAT && used < sizeof(wrong); i++) {
		uint64_t n = r->count[i], w = cs->want_count[i];
		const char *c = campaign_categories[i];
		if (cs->want[i]) {
			uint64_t least = w ? w : 1;
			if (n < least) {
				shortfall = true;
				used += (size_t)snprintf(wrong + used, sizeof(wrong) - used, "%s%s: %" PRIu64 " (expected %s%" PRIu64 ")",
							 used ? "; " : "", c, n, exact && w ? "" : "at least ", least);
			} else if (exact && w && n > w) {
				excess = true;
				used += (size_t)snprintf(wrong + used, sizeof(wrong) - used, "%s%s: %" PRIu64 " (expected %" PRIu64 ")",
							 used ? "; " : "", c, n, w);
			}
		} else if (exact && n) {
			excess = true;
			used += (size_t)snprintf(wrong + used, sizeof(wrong) - used, "%s%s: %" PRIu64 " (not expected)",
						 used ? "; " : "", c, n);
		}
	}
	if (excess || (shortfall && !partial)) {
		snprintf(why, whylen, "expectation failed: %s; found %s%s", wrong, found, auto_note);
		return OUTCOME_FAIL;
	}
	if (shortfall) {
		snprintf(why, whylen, "not judged: %s, and %s", wrong, partial_why);
		return OUTCOME_UNDECIDED;
	}
	snprintf(why, whylen, "leaks as expected: %s%s", found, auto_note);
	return OUTCOME_PASS;
}

/* ---------------------------------------------------------------------- */
/* Running the cases */

struct slot {
	pid_t pid;
	size_t row;
};

/* The first line of a child's log that says something (analyze's first
 * error names the file and the fault; later ones sum up), and how many
 * more there are. */
static void first_line_of(const char *path, char *out, size_t len)
{
	out[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	char line[512];
	unsigned more = 0;
	/* a bounded walk: the log is analyze's own stderr, a few lines */
	for (int i = 0; i < 10000 && fgets(line, sizeof(line), f); i++) {
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || strncmp(line, "leakscope: NOTE", 15) == 0)
			continue;
		if (!out[0]) {
			size_t k = n < len - 1 ? n : len - 1; /* cut to fit */
			memcpy(out, line, k);
			out[k] = '\0';
		} else
			more++;
	}
	fclose(f);
	if (more) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, " (and %u more line%s in cases/<id>.log)", more, more == 1 ? "" : "s");
	}
	sanitize(out);
}

static char *case_dir(const char *dir, const char *id)
{
	size_t n = strlen(dir) + strlen(id) + 16;
	char *s = xmalloc(n);
	snprintf(s, n, "%s/cases/%s", dir, id);
	return s;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = xmalloc(n);
	snprintf(s, n, "%s/%s", a, b);
	return s;
}

/* A case's wg-quick or OpenVPN configuration made into a tunnel
 * description, checked by the tunnel loader and written to
 * to the path given as cdir (cases/<id>.tunnel.xml: the child reads it, a reader can too).
 * Returns 0 and the file's path in *out (malloc'd), or -1 with why. */
static int tunnel_from_config(const struct campaign_case *cs, const char *cdir, char **out, char *why, size_t len)
{
	struct sbuf xml = {0};
	char err[1024];
	struct rules *rules = NULL;
	int rc = -1;
	*out = NULL;
	if (tunconf_to_xml(cs->tunnel_path, &xml, err, sizeof(err)) < 0) {
		snprintf(why, len, "tunnel configuration: %.480s", err);
		goto done;
	}
	char *path = xstrdup(cdir); /* the file's path, beside the case's report folder */
	if (rules_load_mem(path, xml.s, xml.len, &rules, err, sizeof(err)) < 0) {
		snprintf(why, len, "the tunnel description made from %.60s does not hold: %.300s", cs->tunnel, err);
		free(path);
		goto done;
	}
	rules_free(rules);
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(xml.s, 1, xml.len, f) == xml.len;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok) {
		snprintf(why, len, "%.400s: cannot write: %s", path, strerror(errno));
		free(path);
		goto done;
	}
	*out = path;
	rc = 0;
done:
	sb_free(&xml);
	return rc;
}

/* NULL when path is a regular file, else what is wrong with it. */
static const char *input_problem(const char *path, struct stat *st)
{
	if (stat(path, st) != 0)
		return strerror(errno);
	return S_ISREG(st->st_mode) ? NULL : "not a regular file";
}

/* Checks a case's inputs and starts its child.  Returns the pid, or -1
 * with row->res.problem set (the case is then not run). */
static pid_t start_case(const char *exe, const char *dir, struct audit_row *row)
{
	const struct campaign_case *cs = row->cs;
	struct case_result *r = &row->res;
	struct stat st;
	for (size_t i = 0; i < cs->n_captures; i++) {
		const char *why = input_problem(cs->capture_paths[i], &st);
		if (why) {
			snprintf(r->problem, sizeof(r->problem), "capture %s (%s): %s", cs->captures[i],
				 cs->capture_paths[i], why);
			return -1;
		}
	}
	if (cs->tunnel_path) {
		const char *why = input_problem(cs->tunnel_path, &st);
		if (why) {
			snprintf(r->problem, sizeof(r->problem), "tunnel %s %s (%s): %s",
				 cs->tunnel_is_config ? "configuration" : "description", cs->tunnel, cs->tunnel_path, why);
			return -1;
		}
	}
	/* cases/<id>/ is the case's report folder, which analyze replaces whole
	 * only when it wrote a complete report (a summary from an earlier run
	 * is then never read: the folder is new, or analyze failed and the
	 * summary is not read); its log and a generated description go beside
	 * it, cases/<id>.log and cases/<id>.tunnel.xml */
	char *cdir = case_dir(dir, cs->id);
	char *cases = join(dir, "cases");
	char *log = xmalloc(strlen(cdir) + 5), *tbase = xmalloc(strlen(cdir) + 12);
	snprintf(log, strlen(cdir) + 5, "%s.log", cdir);
	snprintf(tbase, strlen(cdir) + 12, "%s.tunnel.xml", cdir);
	char *summary = NULL, *index = NULL;
	pid_t pid = -1;
	if (ls_mkdir_p(cases) < 0) {
		snprintf(r->problem, sizeof(r->problem), "%s: %s", cases, strerror(errno));
		goto out;
	}
	/* an earlier run's report must never be read, or shown, as this run's */
	if (od_remove_tree(cdir) < 0 || (unlink(log) < 0 && errno != ENOENT)) {
		snprintf(r->problem, sizeof(r->problem), "cannot remove the earlier %s: %s", cdir, strerror(errno));
		goto out;
	}
	char *generated = NULL;
	if (cs->tunnel_is_config && tunnel_from_config(cs, tbase, &generated, r->problem, sizeof(r->problem)) < 0)
		goto out;
	size_t nargs = 0, cap = cs->n_captures + 10;
	char **argv = xcalloc(cap, sizeof(char *));
	argv[nargs++] = (char *)(uintptr_t)exe;
	argv[nargs++] = (char *)(uintptr_t)"analyze";
	argv[nargs++] = (char *)(uintptr_t)"-q";
	if (cs->tunnel_path) {
		argv[nargs++] = (char *)(uintptr_t)"--tunnel";
		argv[nargs++] = generated ? generated : cs->tunnel_path;
	}
	argv[nargs++] = (char *)(uintptr_t)"-o";
	argv[nargs++] = cdir;
	argv[nargs++] = (char *)(uintptr_t)"--";
	for (size_t i = 0; i < cs->n_captures; i++)
		argv[nargs++] = cs->capture_paths[i];
	argv[nargs] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int e = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	free(generated);
	if (e != 0) {
		snprintf(r->problem, sizeof(r->problem), "cannot start %.300s: %s", exe, strerror(e));
		pid = -1;
	}
out:
	free(cdir);
	free(cases);
	free(tbase);
	free(summary);
	free(index);
	free(log);
	return pid;
}

/* Reads what a finished child left: exit status, summary, log. */
static void finish_case(const char *dir, struct audit_row *row, int wstatus)
{
	struct case_result *r = &row->res;
	char *cdir = case_dir(dir, row->cs->id);
	char *summary = join(cdir, "summary.xml"), *log = xmalloc(strlen(cdir) + 5);
	snprintf(log, strlen(cdir) + 5, "%s.log", cdir);
	char last[400];
	first_line_of(log, last, sizeof(last));
	if (WIFSIGNALED(wstatus)) {
		r->exit_status = -1;
		snprintf(r->problem, sizeof(r->problem), "analyze was killed by signal %d%s%s", WTERMSIG(wstatus),
			 last[0] ? ": " : "", last);
	} else {
		r->exit_status = WEXITSTATUS(wstatus);
		if (r->exit_status == 2)
			snprintf(r->problem, sizeof(r->problem), "analyze refused the input (exit 2)%s%s",
				 last[0] ? ": " : "", last);
		else if (r->exit_status != 0 && r->exit_status != 1 && r->exit_status != 3 && r->exit_status != 4)
			snprintf(r->problem, sizeof(r->problem), "analyze exited with status %d, which it never gives%s%s",
				 r->exit_status, last[0] ? ": " : "", last);
		else
			campaign_read_summary(summary, r);
	}
	free(cdir);
	free(summary);
	free(log);
}

/* Runs every case, at most jobs at once; rows[i].res filled in. */
static void run_all(const char *exe, const char *dir, struct audit_row *rows, size_t n, unsigned jobs)
{
	struct slot *slots = xcalloc(jobs, sizeof(*slots));
	size_t next = 0, running = 0;
	while (next < n || running > 0) {
		while (next < n && running < jobs) {
			struct audit_row *row = &rows[next];
			row->res.exit_status = -1;
			pid_t pid = start_case(exe, dir, row);
			if (pid > 0) {
				for (unsigned k = 0; k < jobs; k++) {
					if (slots[k].pid == 0) {
						slots[k] = (struct slot){pid, next};
						break;
					}
				}
				running++;
			}
			next++;
		}
		if (!running)
			continue;
		int ws;
		pid_t p = waitpid(-1, &ws, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			/* no child left to wait for (ECHILD): the running ones are lost */
			for (unsigned k = 0; k < jobs; k++) {
				if (slots[k].pid) {
					snprintf(rows[slots[k].row].res.problem, sizeof(rows[0].res.problem),
						 "lost track of the analyze child: %s", strerror(errno));
					slots[k].pid = 0;
				}
			}
			running = 0;
			continue;
		}
		for (unsigned k = 0; k < jobs; k++) {
			if (slots[k].pid == p) {
				finish_case(dir, &rows[slots[k].row], ws);
				slots[k].pid = 0;
				running--;
				break;
			}
		}
	}
	free(slots);
}

/* ---------------------------------------------------------------------- */
/* The command */

static void usage_audit(FILE *out)
{
	fputs("usage: leakscope audit CAMPAIGN.xml [-o DIR] [-j N] [-q]\n"
	      "\n"
	      "Runs every case of the campaign (rules/campaign.xsd) as its own analyze, into\n"
	      "DIR/cases/<id>/, judges each against its expectation, and writes\n"
	      "DIR/matrix.html, DIR/matrix.xml, DIR/matrix.json, DIR/junit.xml and\n"
	      "DIR/gradebook.csv.\n"
	      "\n"
	      "options:\n"
	      "  -o, --output DIR   where everything goes (default: leakscope-audit)\n"
	      "  -j, --jobs N       run up to N cases at once (default 1, at most 64)\n"
	      "  -q, --quiet        no table on stdout\n"
	      "  -h, --help\n"
	      "\n"
	      "exit status: 0 every expectation held, 1 at least one failed, 3 some case could\n"
	      "not be judged (none failed), 2 unusable campaign file or usage error\n",
	      out);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"jobs", required_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = "leakscope-audit";
	unsigned jobs = 1;
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 'q': quiet = true; break;
		case 'j': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-' || v < 1 || v > LS_CAMPAIGN_MAX_JOBS) {
				fprintf(stderr, "leakscope: -j takes a number from 1 to %d, not '%s'\n",
					LS_CAMPAIGN_MAX_JOBS, optarg);
				return LS_AUDIT_UNUSABLE;
			}
			jobs = (unsigned)v;
			break;
		}
		case 'h': usage_audit(stdout); return LS_AUDIT_PASS;
		default: usage_audit(stderr); return LS_AUDIT_UNUSABLE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "leakscope: audit takes exactly one campaign file\n");
		usage_audit(stderr);
		return LS_AUDIT_UNUSABLE;
	}
	struct campaign *camp;
	char err[8192];
	if (campaign_load(argv[optind], &camp, err, sizeof(err)) < 0) {
		fprintf(stderr, "leakscope: %s\n", err);
		return LS_AUDIT_UNUSABLE;
	}
	char exe[4096];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0 || (size_t)el >= sizeof(exe) - 1)
		snprintf(exe, sizeof(exe), "/proc/self/exe");
	else
		exe[el] = '\0';
	if (ls_mkdir_p(dir) < 0) {
		fprintf(stderr, "leakscope: %s: %s\n", dir, strerror(errno));
		campaign_free(camp);
		return LS_AUDIT_UNUSABLE;
	}
	struct audit_row *rows = xcalloc(camp->n_cases ? camp->n_cases : 1, sizeof(*rows));
	for (size_t i = 0; i < camp->n_cases; i++)
		rows[i].cs = &camp->cases[i];
	fflush(NULL); /* nothing buffered is written twice by a child */
	run_all(exe, dir, rows, camp->n_cases, jobs);
	size_t npass = 0, nfail = 0, nund = 0;
	for (size_t i = 0; i < camp->n_cases; i++) {
		rows[i].outcome = campaign_judge(rows[i].cs, &rows[i].res, rows[i].why, sizeof(rows[i].why));
		sanitize(rows[i].why);
		npass += rows[i].outcome == OUTCOME_PASS;
		nfail += rows[i].outcome == OUTCOME_FAIL;
		nund += rows[i].outcome == OUTCOME_UNDECIDED;
	}
	int rc = nfail ? LS_AUDIT_FAIL : nund ? LS_AUDIT_UNDECIDED : LS_AUDIT_PASS;
	if (out_matrix(camp, rows, camp->n_cases, dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "leakscope: %s\n", err);
		rc = LS_AUDIT_UNUSABLE;
	} else if (!quiet) {
		int w = 4;
		for (size_t i = 0; i < camp->n_cases; i++)
			if ((int)strlen(camp->cases[i].id) > w)
				w = (int)strlen(camp->cases[i].id);
		printf("%-*s  %-9s  %s\n", w, "case", "result", "why");
		for (size_t i = 0; i < camp->n_cases; i++)
			printf("%-*s  %-9s  %s\n", w, camp->cases[i].id, campaign_outcome_str(rows[i].outcome),
			       rows[i].why);
		printf("%zu case(s): %zu passed, %zu failed, %zu undecided; matrix in %s/matrix.html, JUnit in "
		       "%s/junit.xml\n",
		       camp->n_cases, npass, nfail, nund, dir, dir);
	}
	free(rows);
	campaign_free(camp);
	return rc;
}
