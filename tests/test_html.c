/* test_html.c - the HTML reports: files and links, well-formed, self-contained, hostile text escaped, deterministic, one marker per leak.
 *
 * The analysis comes from a pcapng capture built here with capbuild: a
 * WireGuard-shaped carrier to 203.0.113.5:51820 (keepalives every second
 * from t=3 to t=10, so the tunnel is up 3..10 plus a 2.5 s grace) and four
 * questions from 192.168.1.10 to the LAN resolver, each placed so its
 * verdict follows from the times written here (the same reasoning as
 * test_verdict.c):
 *
 *   frame  1  t=1.0   early.example.com        before the tunnel: bootstrap leak (medium)
 *   frames 2..9       carrier keepalives t=3..10
 *   frame 10  t=6.5   <script>alert(1)</script>.\001x.example   tunnel up: split-tunnel leak (high)
 *   frame 11  t=6.6   its response, A 192.0.2.66
 *   frame 12  t=7.0   intranet.corp.example    allow suffix corp.example: allowed
 *   frame 13  t=50.0  down.example.com         tunnel down: kill-switch leak (high)
 *
 * Hostile text enters from every side a capture and a rules file offer:
 * the query name (markup and a 0x01 byte), the capture's file name ('<',
 * '&', 0x01, U+202E RIGHT-TO-LEFT OVERRIDE), the pcapng interface name, and
 * the allow-list reason (markup).
 *
 * The pages are written by xmlw.c in HTML mode; its escaping rule and
 * layout are checked byte for byte at the end (writer_*, escape_*), with
 * the regressions found while replacing the libxml2 tree: an overlong
 * UTF-8 '<' in a file name, the row cap, and the error paths.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "output.h"
#include "rules.h"
#include "xmlw.h"

static const uint8_t HOST_MAC[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

#define HOST_ID "02-00-00-00-00-0a"
#define EVIL_LABEL "<script>alert(1)</script>"
#define EVIL_QNAME EVIL_LABEL ".\001x.example"         /* as sent on the wire */
#define EVIL_QNAME_SHOWN EVIL_LABEL ".\\001x.example"  /* DNS presentation format (RFC 1035 5.1) */
#define EVIL_FILE "cap<x>&\001\xe2\x80\xae.pcapng"
#define EVIL_IFACE "eth0<b>"
#define EVIL_REASON "office <b>intranet</b> & wiki"

static const char *RULES =
	"<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
	"  <tunnel name=\"lab-wg\" kind=\"wireguard\">\n"
	"    <endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>\n"
	"    <inside prefix=\"10.66.0.2/32\"/>\n"
	"    <resolver address=\"10.66.0.1\" port=\"53\"/>\n"
	"  </tunnel>\n"
	"  <allow>\n"
	"    <name suffix=\"corp.example\" reason=\"office &lt;b&gt;intranet&lt;/b&gt; &amp; wiki\"/>\n"
	"  </allow>\n"
	"</tunnels>\n";

/* ---------------------------------------------------------------------- */
/* Fixture: a temporary folder with the capture, the analysis, reports */

struct fx {
	char dir[256];
	char cap[512];
	struct rules *r;
	struct analysis *a;
	struct cb_png *w;
	uint8_t buf[CB_MAXPKT];
};

static void put(struct fx *f, double t, bool out, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		const void *pl, size_t len)
{
	size_t n = cb_udp4(f->buf, out ? HOST_MAC : GW_MAC, out ? GW_MAC : HOST_MAC, src, dst, sp, dp, pl, len);
	cr_assert_gt(n, 0);
	int64_t s = (int64_t)t;
	cr_assert_eq(cb_png_epb(f->w, 0, 1700000000 + s, (uint32_t)((t - (double)s) * 1e9 + 0.5), f->buf,
				(uint32_t)n, (uint32_t)n),
		     0);
}

static void query(struct fx *f, double t, uint16_t id, const char *name)
{
	uint8_t q[512];
	size_t n = cb_dns_query(q, sizeof(q), id, name, 1);
	cr_assert_gt(n, 0);
	put(f, t, true, "192.168.1.10", "192.168.1.1", (uint16_t)(40000 + id), 53, q, n);
}

static void fx_dir(struct fx *f)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/lshtml-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(f->dir));
}

/* Builds the capture of the header comment and analyses it with the
 * tunnel description rules (NULL: without one). */
static void fx_build_rules(struct fx *f, const char *rules)
{
	memset(f, 0, sizeof(*f));
	fx_dir(f);
	snprintf(f->cap, sizeof(f->cap), "%s/%s", f->dir, EVIL_FILE);
	f->w = cb_png_open(f->cap, 0);
	cr_assert_not_null(f->w);
	struct cb_idb_opt io = {.name = EVIL_IFACE "\001"};
	cr_assert_eq(cb_png_idb(f->w, 1, 65535, &io), 0);
	uint8_t ka[32] = {4}; /* WireGuard transport message, no data: a keepalive */
	query(f, 1.0, 1, "early.example.com");
	for (int t = 3; t <= 10; t++)
		put(f, t, true, "192.168.1.10", "203.0.113.5", 40001, 51820, ka, sizeof(ka));
	query(f, 6.5, 2, EVIL_QNAME);
	uint8_t ans[512];
	size_t n = cb_dns_answer_a(ans, sizeof(ans), 2, EVIL_QNAME, "192.0.2.66", 60);
	cr_assert_gt(n, 0);
	put(f, 6.6, false, "192.168.1.1", "192.168.1.10", 53, 40002, ans, n);
	query(f, 7.0, 3, "intranet.corp.example");
	query(f, 50.0, 4, "down.example.com");
	cr_assert_eq(cb_png_close(f->w), 0);

	char err[2048];
	const char *top = getenv("LS_TOP");
	if (top) {
		char sd[1024];
		snprintf(sd, sizeof(sd), "%s/rules", top);
		rules_set_schema_dir(sd);
	}
	f->r = NULL;
	if (rules)
		cr_assert_eq(rules_load_mem("test.xml", rules, strlen(rules), &f->r, err, sizeof(err)), 0, "%s", err);
	f->a = an_new(NULL, f->r);
	cr_assert_eq(an_add_file(f->a, f->cap), 0, "%s", f->a->files[0].error ? f->a->files[0].error : "");
	an_finish(f->a);
}

/* with_rules false analyses it without a tunnel description. */
static void fx_build(struct fx *f, bool with_rules)
{
	fx_build_rules(f, with_rules ? RULES : NULL);
}

static void fx_render(struct fx *f, const char *sub, bool xml)
{
	char out[600], err[2048];
	snprintf(out, sizeof(out), "%s/%s", f->dir, sub);
	if (xml)
		cr_assert_eq(out_xml_reports(f->a, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out_html_reports(f->a, out, err, sizeof(err)), 0, "%s", err);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static void fx_done(struct fx *f)
{
	an_free(f->a);
	rules_free(f->r);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s: cannot open", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	cr_assert_geq(n, 0);
	fseek(fp, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return s;
}

static char *page(struct fx *f, const char *sub, const char *rel)
{
	char p[900];
	snprintf(p, sizeof(p), "%s/%s/%s", f->dir, sub, rel);
	return slurp(p, NULL);
}

/* ---------------------------------------------------------------------- */
/* Parsing the pages back with libxml2 */

struct perrs {
	int fatal;    /* errors other than HTML5 tags libxml2's HTML 4 parser does not know */
	int unknown;  /* "Tag svg invalid" and the like */
	char first[512];
};

static void on_error(void *ctx, xmlErrorPtr e)
{
	struct perrs *pe = ctx;
	if (e->domain == XML_FROM_HTML && e->code == XML_HTML_UNKNOWN_TAG) {
		pe->unknown++;
		return;
	}
	if (!pe->fatal++)
		snprintf(pe->first, sizeof(pe->first), "line %d: %s", e->line, e->message ? e->message : "?");
}

static htmlDocPtr parse_html(const char *path, struct perrs *pe)
{
	memset(pe, 0, sizeof(*pe));
	xmlSetStructuredErrorFunc(pe, on_error);
	htmlDocPtr d = htmlReadFile(path, NULL, HTML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	cr_assert_not_null(d, "%s does not parse", path);
	return d;
}

static htmlDocPtr parse_page(struct fx *f, const char *sub, const char *rel)
{
	char p[900];
	struct perrs pe;
	snprintf(p, sizeof(p), "%s/%s/%s", f->dir, sub, rel);
	htmlDocPtr d = parse_html(p, &pe);
	cr_assert_eq(pe.fatal, 0, "%s: %d parse error(s), first %s", rel, pe.fatal, pe.first);
	return d;
}

static xmlXPathObjectPtr xp(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr c = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, c);
	xmlXPathFreeContext(c);
	cr_assert_not_null(o, "xpath %s", expr);
	return o;
}

static int xp_count(xmlDocPtr d, const char *expr)
{
	xmlXPathObjectPtr o = xp(d, expr);
	int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	return n;
}

/* The text of the first node expr selects (caller frees), or NULL. */
static char *xp_text(xmlDocPtr d, const char *expr)
{
	xmlXPathObjectPtr o = xp(d, expr);
	char *s = NULL;
	if (o->nodesetval && o->nodesetval->nodeNr > 0) {
		xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		s = strdup((const char *)c);
		xmlFree(c);
	}
	xmlXPathFreeObject(o);
	return s;
}

/* ---------------------------------------------------------------------- */

Test(html, analysis_is_what_the_capture_says)
{
	/* the premise of every test below, from the times in the capture */
	struct fx f;
	fx_build(&f, true);
	cr_assert_eq(f.a->nhosts, 1);
	cr_expect_str_eq(f.a->hosts[0].id, HOST_ID);
	cr_expect_eq(f.a->hosts[0].events, 4);
	cr_expect_eq(f.a->hosts[0].leaks, 3);
	cr_expect_eq(f.a->hosts[0].allowed, 1);
	cr_expect_eq(f.a->hosts[0].by_cat[CAT_BOOTSTRAP], 1);
	cr_expect_eq(f.a->hosts[0].by_cat[CAT_SPLIT_TUNNEL], 1);
	cr_expect_eq(f.a->hosts[0].by_cat[CAT_KILL_SWITCH], 1);
	fx_done(&f);
}

Test(html, files_exist_and_index_links_every_host)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", true);
	htmlDocPtr d = parse_page(&f, "out", "index.html");
	for (size_t i = 0; i < f.a->nhosts; i++) {
		char expr[300], path[900];
		snprintf(expr, sizeof(expr), "//a[@href='hosts/%s.html']", f.a->hosts[i].id);
		cr_expect_eq(xp_count(d, expr), 1, "index has no link to host %s", f.a->hosts[i].id);
		snprintf(path, sizeof(path), "%s/out/hosts/%s.html", f.dir, f.a->hosts[i].id);
		cr_expect_eq(access(path, R_OK), 0, "%s missing", path);
	}
	/* and nothing else under hosts/ is linked */
	cr_expect_eq(xp_count(d, "//a[starts-with(@href,'hosts/') and not(contains(@href,'#'))]"), (int)f.a->nhosts);
	xmlFreeDoc(d);
	d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	cr_expect_eq(xp_count(d, "//a[@href='../index.html']"), 1);
	cr_expect_eq(xp_count(d, "//a[@href='" HOST_ID ".xml']"), 1);
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, pages_parse_and_have_the_expected_structure)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", true);
	static const char *const pages[] = {"index.html", "hosts/" HOST_ID ".html", NULL};
	for (int i = 0; pages[i]; i++) {
		htmlDocPtr d = parse_page(&f, "out", pages[i]);
		char *t = xp_text(d, "/html/head/title");
		cr_assert_not_null(t, "%s: no title", pages[i]);
		free(t);
		cr_expect_eq(xp_count(d, "/html/head/meta[@charset='utf-8']"), 1, "%s", pages[i]);
		cr_expect_eq(xp_count(d, "/html/head/style"), 1, "%s: stylesheet not inline", pages[i]);
		cr_expect_eq(xp_count(d, "//svg[@class='tl']"), 1, "%s: one timeline", pages[i]);
		xmlFreeDoc(d);
		char *raw = page(&f, "out", pages[i]);
		cr_expect(strncmp(raw, "<!DOCTYPE html>\n", 16) == 0, "%s: doctype", pages[i]);
		/* the embedded stylesheet is reports/report.css */
		cr_expect_not_null(strstr(raw, "--leak: #b3261e;"), "%s: report.css not embedded", pages[i]);
		free(raw);
	}
	fx_done(&f);
}

Test(html, self_contained_no_script_nothing_remote)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", true);
	static const char *const pages[] = {"index.html", "hosts/" HOST_ID ".html", NULL};
	for (int i = 0; pages[i]; i++) {
		char *raw = page(&f, "out", pages[i]);
		cr_expect_null(strcasestr(raw, "<script"), "%s has a script element", pages[i]);
		cr_expect_null(strcasestr(raw, "@import"), "%s", pages[i]);
		cr_expect_null(strcasestr(raw, "url(http"), "%s", pages[i]);
		cr_expect_null(strcasestr(raw, "url(//"), "%s", pages[i]);
		cr_expect_null(strcasestr(raw, "javascript:"), "%s", pages[i]);
		free(raw);
		htmlDocPtr d = parse_page(&f, "out", pages[i]);
		cr_expect_eq(xp_count(d, "//script"), 0, "%s", pages[i]);
		cr_expect_eq(xp_count(d, "//link|//img|//iframe|//object|//embed|//image|//use|//foreignObject"), 0,
			     "%s: no element that fetches", pages[i]);
		cr_expect_eq(xp_count(d, "//@*[starts-with(name(),'on')]"), 0, "%s: no event handler", pages[i]);
		cr_expect_eq(xp_count(d, "//@src|//@srcset|//@action"), 0, "%s", pages[i]);
		/* every link stays on the page or in the report folder */
		xmlXPathObjectPtr o = xp(d, "//@href");
		for (int k = 0; o->nodesetval && k < o->nodesetval->nodeNr; k++) {
			xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[k]);
			cr_expect_null(strstr((const char *)v, ":"), "%s: href %s", pages[i], (const char *)v);
			cr_expect(strncmp((const char *)v, "//", 2) != 0, "%s: href %s", pages[i], (const char *)v);
			xmlFree(v);
		}
		xmlXPathFreeObject(o);
		xmlFreeDoc(d);
	}
	fx_done(&f);
}

Test(html, hostile_text_is_escaped_in_html_and_xml)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", true);
	char *host = page(&f, "out", "hosts/" HOST_ID ".html");
	char *index = page(&f, "out", "index.html");

	/* the query name: markup as text, the 0x01 byte as \001 */
	cr_expect_not_null(strstr(host, "&lt;script&gt;alert(1)&lt;/script&gt;.\\001x.example"));
	cr_expect_null(strstr(host, "<script"));
	/* the file name: '<' '&' escaped, the control byte and the RLO shown
	 * as \xHH (the XML writer's convention), never as themselves */
	cr_expect_not_null(strstr(host, "cap&lt;x&gt;&amp;\\x01\\xe2\\x80\\xae.pcapng"), "file name in host page");
	cr_expect_not_null(strstr(index, "cap&lt;x&gt;&amp;\\x01\\xe2\\x80\\xae.pcapng"), "file name in index");
	cr_expect_null(memchr(host, 0x01, strlen(host)));
	cr_expect_null(strstr(host, "\xe2\x80\xae"));
	cr_expect_null(strstr(host, "&#8238;"));
	cr_expect_null(strstr(index, "&#8238;"));
	/* the allow-list reason from the rules file */
	cr_expect_not_null(strstr(host, "office &lt;b&gt;intranet&lt;/b&gt; &amp; wiki"));
	/* the interface name from the pcapng IDB */
	cr_expect_not_null(strstr(host, "eth0&lt;b&gt;"), "interface name");
	cr_expect_null(strstr(host, "eth0<b>"));

	/* parsed back, the hostile strings are text of the cells, not elements */
	htmlDocPtr d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	cr_expect_eq(xp_count(d, "//b[.='intranet']"), 0);
	cr_expect_eq(xp_count(d, "//td[contains(@class,'name')][.='" EVIL_QNAME_SHOWN "']"), 1);
	cr_expect_eq(xp_count(d, "//svg//title[contains(.,'" EVIL_QNAME_SHOWN "')]"), 1, "marker tooltip");
	xmlFreeDoc(d);

	/* the XML reports: well-formed, the same name escaped */
	char p[900];
	snprintf(p, sizeof(p), "%s/out/hosts/%s.xml", f.dir, HOST_ID);
	xmlDocPtr x = xmlReadFile(p, NULL, XML_PARSE_NONET);
	cr_assert_not_null(x, "host XML is not well-formed");
	cr_expect_eq(xp_count(x, "//*[local-name()='qname'][.='" EVIL_QNAME_SHOWN "']"), 1);
	xmlFreeDoc(x);
	snprintf(p, sizeof(p), "%s/out/summary.xml", f.dir);
	x = xmlReadFile(p, NULL, XML_PARSE_NONET);
	cr_assert_not_null(x, "summary.xml is not well-formed");
	xmlFreeDoc(x);
	char *hx = page(&f, "out", "hosts/" HOST_ID ".xml");
	cr_expect_not_null(strstr(hx, "&lt;script&gt;alert(1)&lt;/script&gt;.\\001x.example"));
	cr_expect_null(strstr(hx, "<script"));
	cr_expect_not_null(strstr(hx, "cap&lt;x&gt;&amp;\\x01"));
	free(hx);
	free(host);
	free(index);
	fx_done(&f);
}

Test(html, same_analysis_same_bytes)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "one", false);
	fx_render(&f, "two", false);
	static const char *const pages[] = {"index.html", "hosts/" HOST_ID ".html", NULL};
	for (int i = 0; pages[i]; i++) {
		size_t n1, n2;
		char p1[900], p2[900];
		snprintf(p1, sizeof(p1), "%s/one/%s", f.dir, pages[i]);
		snprintf(p2, sizeof(p2), "%s/two/%s", f.dir, pages[i]);
		char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
		cr_expect_eq(n1, n2, "%s: sizes differ", pages[i]);
		cr_expect(n1 == n2 && memcmp(a, b, n1) == 0, "%s: bytes differ", pages[i]);
		free(a);
		free(b);
	}
	fx_done(&f);

	/* a second analysis of the same capture, in another folder, at
	 * another moment: the same host page (the capture path differs, so
	 * compare with it replaced) */
	struct fx g;
	fx_build(&f, true);
	fx_build(&g, true);
	fx_render(&f, "out", false);
	fx_render(&g, "out", false);
	char *a = page(&f, "out", "hosts/" HOST_ID ".html"), *b = page(&g, "out", "hosts/" HOST_ID ".html");
	const char *da = strrchr(f.dir, '/') + 1, *db = strrchr(g.dir, '/') + 1;
	for (char *s = strstr(a, da); s; s = strstr(s + 1, da))
		memcpy(s, db, strlen(db));
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	fx_done(&f);
	fx_done(&g);
}

Test(html, timeline_has_one_marker_per_leak)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", false);
	htmlDocPtr d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	/* three leaks: one marker each, in its category's lane */
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']"), 3);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']/*[@class='c-bootstrap']"), 1);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']/*[@class='c-split-tunnel']"), 1);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']/*[@class='c-kill-switch']"), 1);
	/* each marker links to a row of the leaks tables */
	xmlXPathObjectPtr o = xp(d, "//svg[@class='tl']//a[@class='mk-leak']/@href");
	cr_assert_eq(o->nodesetval->nodeNr, 3);
	for (int k = 0; k < 3; k++) {
		xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[k]);
		cr_assert_eq(v[0], '#');
		char expr[128];
		snprintf(expr, sizeof(expr), "//tr[@id='%s'][@class='leak']", (const char *)v + 1);
		cr_expect_eq(xp_count(d, expr), 1, "marker %s has no leak row", (const char *)v);
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	/* lanes: the tunnel, kill-switch and split-tunnel (high), bootstrap
	 * (medium), allowed; most severe first */
	o = xp(d, "//svg[@class='tl']/text[@class='tl-label']");
	cr_assert_eq(o->nodesetval->nodeNr, 5);
	static const char *const lanes[] = {"tunnel lab-wg", "kill-switch", "split-tunnel", "bootstrap", "allowed"};
	for (int k = 0; k < 5; k++) {
		xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[k]);
		cr_expect(strncmp((const char *)v, lanes[k], strlen(lanes[k])) == 0, "lane %d is %s", k, (const char *)v);
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	/* the tunnel row: before (0..3), up (3..10), grace (10..12.5), down */
	cr_expect_eq(xp_count(d, "//svg[@class='tl']/rect[@class='band-before']"), 1);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']/rect[@class='band-up']"), 1);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']/rect[@class='band-grace']"), 1);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']/rect[@class='band-down']"), 1);
	/* the allowed question is a tick, not a marker */
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-tick']/*[@class='mk-allowed']"), 1);
	xmlFreeDoc(d);

	/* the index draws the same markers, linking into the host page */
	d = parse_page(&f, "out", "index.html");
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']"), 3);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak'][starts-with(@href,'hosts/" HOST_ID ".html#e')]"), 3);
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, same_events_and_counts_as_the_xml)
{
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", true);
	htmlDocPtr d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	char *head = xp_text(d, "//section[contains(@class,'banner')]//p[@class='headline']");
	cr_assert_not_null(head);
	/* high before medium; equal severity in the README's category order */
	cr_expect_str_eq(head, "3 leaks: 1 kill-switch (high), 1 split-tunnel (high), 1 bootstrap (medium)");
	free(head);
	char *word = xp_text(d, "//section[contains(@class,'banner')]/div[@class='word']");
	cr_expect_str_eq(word, "LEAKS");
	free(word);
	/* one row per event; the frames are those of the header comment */
	cr_expect_eq(xp_count(d, "//table[@class='events']/tbody/tr"), 4);
	cr_expect_eq(xp_count(d, "//table[@class='events']/tbody/tr[@class='leak']"), 3);
	static const char *const frames[] = {"frame 1", "frame 10", "frame 12", "frame 13", NULL};
	for (int i = 0; frames[i]; i++) {
		char expr[200];
		snprintf(expr, sizeof(expr), "//table[@class='events']//td[@class='ev'][b='%s']", frames[i]);
		cr_expect_eq(xp_count(d, expr), 1, "no row with evidence %s", frames[i]);
	}
	cr_expect_eq(xp_count(d, "//td[@class='ev'][b='frame 10'][contains(.,'(response frame 11)')]"), 1);
	/* the XML has the same events */
	char p[900];
	snprintf(p, sizeof(p), "%s/out/hosts/%s.xml", f.dir, HOST_ID);
	xmlDocPtr x = xmlReadFile(p, NULL, XML_PARSE_NONET);
	cr_assert_not_null(x);
	cr_expect_eq(xp_count(x, "//*[local-name()='event']"), 4);
	cr_expect_eq(xp_count(x, "//*[local-name()='event'][@verdict='leak']"), 3);
	xmlFreeDoc(x);
	/* the evidence is the capture's real frame numbering: frame 10 is the
	 * hostile query, frame 13 the last one */
	cr_expect_eq(xp_count(d, "//tr[td[@class='ev']/b='frame 10']/td[contains(@class,'name')][.='" EVIL_QNAME_SHOWN "']"), 1);
	cr_expect_eq(xp_count(d, "//tr[td[@class='ev']/b='frame 13']/td[contains(@class,'name')][.='down.example.com']"), 1);
	xmlFreeDoc(d);

	d = parse_page(&f, "out", "index.html");
	head = xp_text(d, "//section[contains(@class,'banner')]//p[@class='headline']");
	cr_expect_str_eq(head, "3 leaks: 1 kill-switch (high), 1 split-tunnel (high), 1 bootstrap (medium)");
	free(head);
	/* hosts table: verdict and the non-zero leak categories only */
	char *row = xp_text(d, "//table/tbody/tr[td/a[@href='hosts/" HOST_ID ".html']]");
	cr_assert_not_null(row);
	cr_expect_not_null(strstr(row, "1 kill-switch"));
	cr_expect_not_null(strstr(row, "1 bootstrap"));
	cr_expect_null(strstr(row, "parallel"));
	cr_expect_null(strstr(row, "0 "));
	free(row);
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, without_a_tunnel_description_it_cannot_decide)
{
	struct fx f;
	fx_build(&f, false);
	fx_render(&f, "out", true);
	static const char *const pages[] = {"index.html", "hosts/" HOST_ID ".html", NULL};
	for (int i = 0; pages[i]; i++) {
		htmlDocPtr d = parse_page(&f, "out", pages[i]);
		char *word = xp_text(d, "//section[contains(@class,'banner')]/div[@class='word']");
		cr_expect_str_eq(word, "UNDECIDED", "%s", pages[i]);
		free(word);
		cr_expect_eq(xp_count(d, "//section[@class='banner undecided']"), 1);
		cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']"), 0, "%s: no leak without a description",
			     pages[i]);
		cr_expect_eq(xp_count(d, "//svg[@class='tl']/rect[starts-with(@class,'band-')]"), 0, "%s: no tunnel row",
			     pages[i]);
		xmlFreeDoc(d);
	}
	fx_done(&f);
}

Test(html, empty_capture)
{
	/* a capture with no packet: an index with no host and no timeline */
	struct fx f;
	memset(&f, 0, sizeof(f));
	fx_dir(&f);
	snprintf(f.cap, sizeof(f.cap), "%s/empty.pcap", f.dir);
	struct cb_pcap *w = cb_pcap_open(f.cap, 1, 65535, 0);
	cr_assert_not_null(w);
	cr_assert_eq(cb_pcap_close(w), 0);
	f.a = an_new(NULL, NULL);
	cr_assert_eq(an_add_file(f.a, f.cap), 0);
	an_finish(f.a);
	fx_render(&f, "out", false);
	htmlDocPtr d = parse_page(&f, "out", "index.html");
	cr_expect_eq(xp_count(d, "//svg[@class='tl']"), 0);
	cr_expect_eq(xp_count(d, "//a[starts-with(@href,'hosts/')]"), 0);
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, extreme_times)
{
	/* two questions 68 years apart (the whole positive range of pcap's
	 * signed 32-bit seconds): the axis still has a handful of ticks,
	 * labelled with dates */
	struct fx f;
	memset(&f, 0, sizeof(f));
	fx_dir(&f);
	snprintf(f.cap, sizeof(f.cap), "%s/far.pcap", f.dir);
	struct cb_pcap *w = cb_pcap_open(f.cap, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t q[512], pkt[1024];
	size_t n = cb_dns_query(q, sizeof(q), 7, "a.example", 1);
	size_t m = cb_udp4(pkt, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40007, 53, q, n);
	cr_assert_eq(cb_pcap_write(w, 0, 0, pkt, (uint32_t)m, (uint32_t)m), 0);
	n = cb_dns_query(q, sizeof(q), 8, "b.example", 1);
	m = cb_udp4(pkt, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40008, 53, q, n);
	cr_assert_eq(cb_pcap_write(w, 2147483647, 999999000, pkt, (uint32_t)m, (uint32_t)m), 0);
	cr_assert_eq(cb_pcap_close(w), 0);
	f.a = an_new(NULL, NULL);
	cr_assert_eq(an_add_file(f.a, f.cap), 0);
	an_finish(f.a);
	fx_render(&f, "out", false);
	htmlDocPtr d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	int ticks = xp_count(d, "//svg[@class='tl']/text[@class='tl-tick']");
	cr_expect(ticks >= 3 && ticks <= 9, "%d ticks", ticks);
	/* 1970 to 2038: ticks every ten years, as dates */
	char *t = xp_text(d, "//svg[@class='tl']/text[@class='tl-tick']");
	cr_assert_not_null(t);
	cr_expect_eq(strlen(t), 10, "tick label %s", t);
	cr_expect_eq(t[4], '-');
	free(t);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-tick']"), 2);
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, hostile_timestamps)
{
	/* pcapng in whole-second units (if_tsresol 0) with one timestamp near
	 * 2^64 seconds and one at 5, in that order: times far outside what a
	 * calendar or int64 microseconds hold, and a clock that jumps back.
	 * The pages must still be written, parse, and keep their marks on the
	 * plot (under UBSan: no overflow on the way). */
	struct fx f;
	memset(&f, 0, sizeof(f));
	fx_dir(&f);
	snprintf(f.cap, sizeof(f.cap), "%s/clock.pcapng", f.dir);
	struct cb_png *w = cb_png_open(f.cap, 0);
	cr_assert_not_null(w);
	struct cb_idb_opt io = {.has_tsresol = true, .tsresol = 0};
	cr_assert_eq(cb_png_idb(w, 1, 65535, &io), 0);
	uint8_t q[512], pkt[1024];
	size_t n = cb_dns_query(q, sizeof(q), 7, "far.example", 1);
	size_t m = cb_udp4(pkt, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40007, 53, q, n);
	cr_assert_eq(cb_png_epb_raw(w, 0, UINT64_C(0xfffffffffffffff0), (uint32_t)m, (uint32_t)m, pkt, m), 0);
	n = cb_dns_query(q, sizeof(q), 8, "near.example", 1);
	m = cb_udp4(pkt, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40008, 53, q, n);
	cr_assert_eq(cb_png_epb_raw(w, 0, 5, (uint32_t)m, (uint32_t)m, pkt, m), 0);
	cr_assert_eq(cb_png_close(w), 0);
	f.a = an_new(NULL, NULL);
	an_add_file(f.a, f.cap); /* whatever the reader makes of it */
	an_finish(f.a);
	fx_render(&f, "out", true);
	htmlDocPtr d = parse_page(&f, "out", "index.html");
	int ticks = xp_count(d, "//svg[@class='tl']/text[@class='tl-tick']");
	cr_expect(ticks <= 10, "%d ticks", ticks);
	/* every mark lies inside the plot area */
	xmlXPathObjectPtr o = xp(d, "//svg[@class='tl']//line[@class='mk-ok']/@x1");
	for (int k = 0; o->nodesetval && k < o->nodesetval->nodeNr; k++) {
		xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[k]);
		double x = atof((const char *)v);
		cr_expect(x >= 200 && x <= 1160, "tick at x=%s", (const char *)v);
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	xmlFreeDoc(d);
	fx_done(&f);
}

/* ---------------------------------------------------------------------- */
/* The writer's HTML mode (xmlw.c), byte for byte */

/* Writes what fn writes into a page of its own; returns the bytes after
 * the doctype (caller frees). */
static char *html_bytes(void (*fn)(struct xmlw *w))
{
	char dir[256], path[300];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/lsxmlw-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.html", dir);
	struct xmlw w;
	cr_assert_eq(xmlw_open_html(&w, path), 0);
	fn(&w);
	cr_assert_eq(xmlw_close(&w), 0);
	char *all = slurp(path, NULL);
	remove(path);
	rmdir(dir);
	cr_assert(strncmp(all, "<!DOCTYPE html>\n", 16) == 0, "doctype: %.20s", all);
	char *rest = strdup(all + 16);
	free(all);
	return rest;
}

static void page_markup(struct xmlw *w)
{
	xmlw_start(w, "html");
	xmlw_start(w, "body");
	xmlw_start(w, "p");
	xmlw_attr(w, "class", "a\"b'<&>");
	xmlw_text(w, "x<y & 'z' \"q\"");
	xmlw_start(w, "br");
	xmlw_end(w);
	xmlw_text(w, "caf\xc3\xa9");
	xmlw_end(w);
	xmlw_start(w, "svg");
	xmlw_start(w, "title");
	xmlw_text(w, "t");
	xmlw_end(w);
	xmlw_start(w, "rect");
	xmlw_attr(w, "width", "6");
	xmlw_end(w);
	xmlw_end(w);
	xmlw_start(w, "table");
	xmlw_start(w, "tr");
	xmlw_start(w, "td");
	xmlw_end(w);
	xmlw_end(w);
	xmlw_end(w);
	/* body and html are closed by xmlw_close */
}

Test(html, writer_markup_and_layout)
{
	/* & < > " ' escaped in text and attributes (' as &#39;, which HTML 4
	 * parsers know too); br is void (no end tag), an empty element gets
	 * its end tag, never "/>"; line breaks after block elements only, and
	 * none inside svg (its title is not the page's) or inline content */
	char *got = html_bytes(page_markup);
	cr_expect_str_eq(got, "<html>\n"
			      "<body>\n"
			      "<p class=\"a&quot;b&#39;&lt;&amp;&gt;\">x&lt;y &amp; &#39;z&#39; &quot;q&quot;<br>caf\xc3\xa9</p>\n"
			      "<svg><title>t</title><rect width=\"6\"></rect></svg>"
			      "<table>\n"
			      "<tr>\n"
			      "<td></td>\n"
			      "</tr>\n"
			      "</table>\n"
			      "</body>\n"
			      "</html>\n");
	free(got);
}

static void page_hostile(struct xmlw *w)
{
	xmlw_start(w, "p");
	/* a control byte and an RLO: the whole string in the \xHH form,
	 * the markup characters still escaped */
	xmlw_text(w, "a\001<b\xe2\x80\xae");
	xmlw_end(w);
	xmlw_start(w, "p");
	/* written in parts with the decision for the whole (the answers
	 * column splits at commas): the clean part is hex too */
	const char *s = "ok,\xc3\xa9\x01";
	xmlw_html_write(w, s, 3, !xmlw_html_ok(s, false), false);
	xmlw_html_write(w, s + 3, strlen(s + 3), !xmlw_html_ok(s, false), false);
	xmlw_end(w);
	xmlw_start(w, "title");
	/* newlines only where allowed */
	xmlw_escape_html(w, "l1\nl2", true);
	xmlw_raw(w, "|");
	xmlw_escape_html(w, "l1\nl2", false);
	xmlw_end(w);
}

Test(html, writer_hostile_text)
{
	char *got = html_bytes(page_hostile);
	cr_expect_str_eq(got, "<p>a\\x01&lt;b\\xe2\\x80\\xae</p>\n"
			      "<p>ok,\\xc3\\xa9\\x01</p>\n"
			      "<title>l1\nl2|l1\\x0al2</title>\n");
	free(got);
}

Test(html, escape_rule_vectors)
{
	static const struct {
		const char *s;
		bool ok;
	} v[] = {
		{"", true},
		{"plain <&> \"'", true},          /* markup is escaped, not refused */
		{"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80", true}, /* U+00E9, U+2192, U+1F600 */
		{"\xef\xbf\xbd", true},           /* U+FFFD is a character */
		{"a\001b", false},                /* C0 control */
		{"a\nb", false},                  /* newline where not allowed */
		{"a\x7f", false},                 /* DEL */
		{"\xc2\x85", false},              /* U+0085 NEL, a C1 control */
		{"\xc0\xbc", false},              /* overlong '<' (RFC 3629 3) */
		{"\xe0\x80\xbc", false},          /* overlong '<', three bytes */
		{"\xed\xa0\x80", false},          /* U+D800, a surrogate */
		{"\xf4\x90\x80\x80", false},      /* U+110000, past Unicode */
		{"\xf5\x80\x80\x80", false},
		{"\xef\xbf\xbe", false},          /* U+FFFE */
		{"\xef\xbf\xbf", false},          /* U+FFFF */
		{"\xd8\x9c", false},              /* U+061C ARABIC LETTER MARK */
		{"\xe2\x80\x8e", false},          /* U+200E LRM */
		{"\xe2\x80\x8f", false},          /* U+200F RLM */
		{"\xe2\x80\xaa", false},          /* U+202A LRE */
		{"\xe2\x80\xae", false},          /* U+202E RLO */
		{"\xe2\x81\xa6", false},          /* U+2066 LRI */
		{"\xe2\x81\xa9", false},          /* U+2069 PDI */
		{"\xe2\x80\xa8", false},          /* U+2028 LINE SEPARATOR */
		{"\xe2\x80\xa9", false},          /* U+2029 PARAGRAPH SEPARATOR */
		{"\xe2\x80\xad", false},          /* U+202D LRO */
		{"\xe2\x80\xac", false},          /* U+202C PDF */
		{"\xe2\x80\xab", false},          /* U+202B RLE */
		{"\xe2\x81\xa7", false},          /* U+2067 RLI */
		{"\xe2\x81\xa8", false},          /* U+2068 FSI */
		{"\xe2\x80\xa7", true},           /* U+2027 HYPHENATION POINT: next to them, fine */
		{"\xe2\x81\xa5", true},           /* U+2065, unassigned, not a formatting one */
		{"\x80", false},                  /* a lone continuation byte */
		{"\xc3", false},                  /* a sequence cut short */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_expect_eq(xmlw_html_ok(v[i].s, false), v[i].ok, "vector %zu", i);
	cr_expect(xmlw_html_ok("a\nb", true));
	cr_expect(!xmlw_html_ok("a\rb", true));
}

static const char *sweep_text;
static size_t sweep_len;

static void page_sweep(struct xmlw *w)
{
	char buf[32];
	memcpy(buf, sweep_text, sweep_len);
	buf[sweep_len] = '\0';
	xmlw_start(w, "p");
	xmlw_text(w, buf);
	xmlw_end(w);
}

Test(html, escape_truncation_sweep)
{
	/* every prefix of a string of 1-, 2-, 3- and 4-byte characters: shown
	 * as it is exactly when it ends on a character boundary, else all of
	 * it byte by byte as \xHH */
	static const char s[] = "a\xc3\xa9\xe2\x86\x92\xf0\x9f\x98\x80z"; /* a é → 😀 z */
	static const size_t bounds[] = {0, 1, 3, 6, 10, 11};
	for (size_t n = 0; n < sizeof(s); n++) {
		bool at_bound = false;
		for (size_t k = 0; k < sizeof(bounds) / sizeof(bounds[0]); k++)
			at_bound |= bounds[k] == n;
		char pre[32];
		memcpy(pre, s, n);
		pre[n] = '\0';
		cr_expect_eq(xmlw_html_ok(pre, false), at_bound, "prefix %zu", n);
		char want[160];
		size_t j = (size_t)snprintf(want, sizeof(want), "<p>");
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (at_bound || c < 0x80)
				want[j++] = (char)c;
			else
				j += (size_t)snprintf(want + j, sizeof(want) - j, "\\x%02x", c);
		}
		snprintf(want + j, sizeof(want) - j, "</p>\n");
		sweep_text = s;
		sweep_len = n;
		char *got = html_bytes(page_sweep);
		cr_expect_str_eq(got, want, "prefix %zu", n);
		free(got);
	}
}

/* ---------------------------------------------------------------------- */
/* Regressions */

Test(html, overlong_utf8_in_a_file_name_is_not_markup)
{
	/* 0xc0 0xbc and 0xc0 0xbe are overlong encodings of '<' and '>'.
	 * libxml2's lenient UTF-8 check let them through as text and its
	 * ASCII output encoder then wrote them as a real '<' and '>': a
	 * capture named like this put a <script> element into the page.
	 * They are not UTF-8 (RFC 3629 3): the name is shown as \xHH. */
	struct fx f;
	memset(&f, 0, sizeof(f));
	fx_dir(&f);
	snprintf(f.cap, sizeof(f.cap), "%s/a\xc0\xbcscript\xc0\xbe.pcap", f.dir);
	struct cb_pcap *w = cb_pcap_open(f.cap, 1, 65535, 0);
	cr_assert_not_null(w);
	uint8_t q[512], pkt[1024];
	size_t n = cb_dns_query(q, sizeof(q), 7, "a.example", 1);
	size_t m = cb_udp4(pkt, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", 40007, 53, q, n);
	cr_assert_eq(cb_pcap_write(w, 1700000000, 0, pkt, (uint32_t)m, (uint32_t)m), 0);
	cr_assert_eq(cb_pcap_close(w), 0);
	f.a = an_new(NULL, NULL);
	cr_assert_eq(an_add_file(f.a, f.cap), 0);
	an_finish(f.a);
	fx_render(&f, "out", false);
	static const char *const pages[] = {"index.html", "hosts/" HOST_ID ".html", NULL};
	for (int i = 0; pages[i]; i++) {
		char *raw = page(&f, "out", pages[i]);
		cr_expect_null(strcasestr(raw, "<script"), "%s", pages[i]);
		cr_expect_not_null(strstr(raw, "a\\xc0\\xbcscript\\xc0\\xbe.pcap"), "%s: name not in \\xHH form", pages[i]);
		free(raw);
		htmlDocPtr d = parse_page(&f, "out", pages[i]);
		cr_expect_eq(xp_count(d, "//script"), 0, "%s", pages[i]);
		xmlFreeDoc(d);
	}
	fx_done(&f);
}

Test(html, row_cap_and_merged_markers)
{
	/* 5003 questions from one host, no carrier at all: every one is a
	 * leak (the tunnel is never up).  The page lists 5000 rows and says
	 * 3 are left out; with more than 5000 leaks the markers merge per
	 * pixel column, and the merged marks still count every leak. */
	enum { N = 5003 };
	struct fx f;
	memset(&f, 0, sizeof(f));
	fx_dir(&f);
	snprintf(f.cap, sizeof(f.cap), "%s/many.pcap", f.dir);
	struct cb_pcap *w = cb_pcap_open(f.cap, 1, 65535, 0);
	cr_assert_not_null(w);
	for (int i = 0; i < N; i++) {
		uint8_t q[512], pkt[1024];
		char name[64];
		snprintf(name, sizeof(name), "n%d.example", i);
		size_t n = cb_dns_query(q, sizeof(q), (uint16_t)i, name, 1);
		size_t m = cb_udp4(pkt, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", (uint16_t)(10000 + i), 53, q, n);
		/* 20 ms apart: 100 s, some 5.5 questions per pixel column */
		cr_assert_eq(cb_pcap_write(w, 1700000000 + i / 50, (uint32_t)(i % 50) * 20000000u, pkt, (uint32_t)m,
					   (uint32_t)m),
			     0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	char err[2048];
	const char *top = getenv("LS_TOP");
	if (top) {
		char sd[1024];
		snprintf(sd, sizeof(sd), "%s/rules", top);
		rules_set_schema_dir(sd);
	}
	cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &f.r, err, sizeof(err)), 0, "%s", err);
	f.a = an_new(NULL, f.r);
	cr_assert_eq(an_add_file(f.a, f.cap), 0);
	an_finish(f.a);
	cr_assert_eq(f.a->nhosts, 1);
	cr_assert_eq(f.a->hosts[0].events, N);
	cr_assert_eq(f.a->hosts[0].leaks, N);
	fx_render(&f, "out", false);

	htmlDocPtr d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	cr_expect_eq(xp_count(d, "//table[@class='events']/tbody/tr"), 5000);
	cr_expect_eq(xp_count(d, "//p[@class='note'][starts-with(.,'3 more not shown here (limit 5000 rows a page')]"), 1);
	cr_expect_eq(xp_count(d, "//svg[@class='tl']//a[@class='mk-leak']"), 0, "no single markers past 5000");
	int marks = xp_count(d, "//svg[@class='tl']//a[@class='mk-leak mk-dense']");
	/* one per pixel column at most: 218..1124 */
	cr_expect(marks >= 800 && marks <= 907, "%d merged marks", marks);
	/* each says how many more it stands for: together every leak */
	xmlXPathObjectPtr o = xp(d, "//svg[@class='tl']//a[@class='mk-leak mk-dense']/title");
	long total = 0;
	for (int k = 0; o->nodesetval && k < o->nodesetval->nodeNr; k++) {
		xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[k]);
		const char *more = strstr((const char *)v, "\nand ");
		total += 1 + (more ? atol(more + 5) : 0);
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	cr_expect_eq(total, N);
	char *cap = xp_text(d, "//figure[@class='timeline']/figcaption");
	cr_assert_not_null(cap);
	cr_expect_not_null(strstr(cap, "More than 5000 leaks: those in the same pixel column share one marker"), "%s", cap);
	free(cap);
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, times_are_the_xml_reports_text)
{
	/* the time cells and the marker tooltips hold out_time's text (the
	 * XML report's) for every event: the writer keeps the calendar part
	 * of a second and writes only the microseconds */
	struct fx f;
	fx_build(&f, true);
	fx_render(&f, "out", false);
	htmlDocPtr d = parse_page(&f, "out", "hosts/" HOST_ID ".html");
	for (size_t i = 0; i < ev_count(f.a->ev); i++) {
		const struct ev *e = ev_get(f.a->ev, i);
		char t[48], date[48], expr[200];
		out_time(e->ts_sec, e->ts_nsec, t, sizeof(t));
		/* the cell: the date, a line break, the time of day without 'Z' */
		char *tt = strchr(t, 'T');
		cr_assert_not_null(tt);
		snprintf(date, sizeof(date), "%.*s%.*s", (int)(tt - t), t, (int)strlen(tt + 1) - 1, tt + 1);
		snprintf(expr, sizeof(expr), "//tr[@id='e%zu']/td[2]", i + 1);
		char *cell = xp_text(d, expr);
		cr_assert_not_null(cell, "no row e%zu", i + 1);
		/* layout whitespace around it aside */
		char *c0 = cell + strspn(cell, " \n");
		c0[strcspn(c0, " \n")] = '\0';
		cr_expect_str_eq(c0, date, "row e%zu", i + 1);
		free(cell);
		/* the tooltip: "#n  <time>  <category>" */
		char head[80];
		snprintf(head, sizeof(head), "#%zu  %s  ", i + 1, t);
		snprintf(expr, sizeof(expr), "//svg[@class='tl']//a[@href='#e%zu']/title", i + 1);
		char *tip = xp_text(d, expr);
		cr_assert_not_null(tip, "no marker for e%zu", i + 1);
		cr_expect(strncmp(tip, head, strlen(head)) == 0, "tooltip %s, expected it to start %s", tip, head);
		free(tip);
	}
	xmlFreeDoc(d);
	fx_done(&f);
}

Test(html, write_errors_name_the_file)
{
	struct fx f;
	fx_build(&f, true);
	char out[600], path[900], err[2048] = "";
	snprintf(out, sizeof(out), "%s/out", f.dir);
	cr_assert_eq(mkdir(out, 0777), 0);
	snprintf(path, sizeof(path), "%s/hosts", out);
	cr_assert_eq(mkdir(path, 0777), 0);
	/* the host page cannot be opened: a folder is in its place */
	snprintf(path, sizeof(path), "%s/hosts/%s.html", out, HOST_ID);
	cr_assert_eq(mkdir(path, 0777), 0);
	cr_expect_eq(out_html_reports(f.a, out, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, HOST_ID ".html: cannot write"), "%s", err);
	rmdir(path);
	/* a symlink in the page's place is never written through (O_EXCL,
	 * O_NOFOLLOW); a full disk is test_safeio.c's, by RLIMIT_FSIZE */
	cr_assert_eq(symlink("/dev/full", path), 0);
	err[0] = '\0';
	cr_expect_eq(out_html_reports(f.a, out, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, HOST_ID ".html: cannot write: File exists"), "%s", err);
	unlink(path);
	/* and with room, the same call succeeds */
	cr_expect_eq(out_html_reports(f.a, out, err, sizeof(err)), 0, "%s", err);
	fx_done(&f);
}

Test(html, long_tunnel_name_is_cut_in_the_lane_label)
{
	/* the lane label shows "tunnel " and the first 21 code points of the
	 * name, then an ellipsis; the tunnels table has it whole */
	char rules[2048];
	const char *at = strstr(RULES, "lab-wg");
	cr_assert_not_null(at);
	snprintf(rules, sizeof(rules), "%.*s%s%s", (int)(at - RULES), RULES, "a-very-long-tunnel-name-for-the-lane",
		 at + strlen("lab-wg"));
	struct fx f;
	fx_build_rules(&f, rules);
	fx_render(&f, "out", false);
	htmlDocPtr d = parse_page(&f, "out", "index.html");
	char *lb = xp_text(d, "//svg[@class='tl']/text[@class='tl-label']");
	cr_assert_not_null(lb);
	cr_expect_str_eq(lb, "tunnel a-very-long-tunnel-na\xe2\x80\xa6 wireguard");
	free(lb);
	cr_expect_eq(xp_count(d, "//td[.='a-very-long-tunnel-name-for-the-lane']"), 1);
	xmlFreeDoc(d);
	fx_done(&f);
}
