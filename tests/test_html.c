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

/* Builds the capture of the header comment; with_rules false analyses it
 * without a tunnel description. */
static void fx_build(struct fx *f, bool with_rules)
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
	if (with_rules)
		cr_assert_eq(rules_load_mem("test.xml", RULES, strlen(RULES), &f->r, err, sizeof(err)), 0, "%s", err);
	f->a = an_new(NULL, f->r);
	cr_assert_eq(an_add_file(f->a, f->cap), 0, "%s", f->a->files[0].error ? f->a->files[0].error : "");
	an_finish(f->a);
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
