/* test_campaign.c - leakscope audit: campaign loading (hostile files), judging, the matrix outputs, exit statuses.
 *
 * The expectations in rules/campaigns/samples.xml come from the lab's
 * samples/<scenario>/truth.tsv (leak rows counted by category), not from
 * a run of the program; the one wrong expectation below is made by hand.
 * End-to-end tests run $LEAKSCOPE (the built binary), since audit starts
 * one analyze child per case.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "campaign.h"

static const char *top(void)
{
	const char *t = getenv("LS_TOP");
	return t && *t ? t : ".";
}

static const char *leakscope(void)
{
	static char buf[4096];
	const char *l = getenv("LEAKSCOPE");
	if (l && *l)
		return l;
	snprintf(buf, sizeof(buf), "%s/leakscope", top());
	return buf;
}

/* A fresh folder of this test's own under tests/out/campaign. */
static void fresh_dir(char *out, size_t len, const char *name)
{
	char cmd[4200];
	snprintf(out, len, "%s/tests/out/campaign/%s", top(), name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", out, out);
	cr_assert_eq(system(cmd), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	cr_assert_eq(fstat(fileno(f), &st), 0);
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(s, f);
	cr_assert_eq(fclose(f), 0);
}

/* Runs leakscope audit; returns its exit status; stderr into dir/stderr.txt. */
static int audit(const char *campaign, const char *dir, int jobs)
{
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "'%s' audit -q -j %d -o '%s/out' '%s' 2>'%s/stderr.txt' >/dev/null", leakscope(), jobs,
		 dir, campaign, dir);
	int rc = system(cmd);
	cr_assert(WIFEXITED(rc), "audit did not exit normally");
	return WEXITSTATUS(rc);
}

static char *file_in(const char *dir, const char *name)
{
	static char buf[4][9000];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* s with the first occurrence of from (when from is not NULL) replaced by
 * to, and every other occurrence of every[0] by every[1]; malloc'd. */
static char *replaced(const char *s, const char *from, const char *to, const char *const every[2])
{
	size_t cap = strlen(s) * 4 + 65536, used = 0;
	char *o = malloc(cap);
	for (const char *p = s; *p;) {
		if (from && strncmp(p, from, strlen(from)) == 0) {
			used += (size_t)snprintf(o + used, cap - used, "%s", to);
			p += strlen(from);
			from = NULL; /* once */
		} else if (every && strncmp(p, every[0], strlen(every[0])) == 0) {
			used += (size_t)snprintf(o + used, cap - used, "%s", every[1]);
			p += strlen(every[0]);
		} else {
			o[used++] = *p++;
		}
		cr_assert_lt(used, cap - 4096);
	}
	o[used] = '\0';
	cr_assert_null(from, "the text to replace was not found");
	return o;
}

/* samples.xml with every "../../samples/" made absolute, so the copy can
 * live anywhere, and the text from (when not NULL) replaced by to. */
static void samples_copy(const char *dst, const char *from, const char *to)
{
	char src[4200], abs[4200];
	snprintf(src, sizeof(src), "%s/rules/campaigns/samples.xml", top());
	char *s = slurp(src, NULL);
	cr_assert_not_null(s);
	char *real = realpath(top(), NULL);
	cr_assert_not_null(real);
	snprintf(abs, sizeof(abs), "%s/samples/", real);
	free(real);
	char *once = replaced(s, from, to, NULL);
	const char *const every[2] = {"../../samples/", abs};
	char *o = replaced(once, NULL, NULL, every);
	spit(dst, o);
	free(o);
	free(once);
	free(s);
}

static void xsd_valid(const char *xsd_rel, const char *doc)
{
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "xmllint --noout --nonet --schema '%s/%s' '%s' 2>/dev/null", top(), xsd_rel, doc);
	cr_expect_eq(system(cmd), 0, "%s does not validate against %s", doc, xsd_rel);
}

/* The result attribute of case id in matrix.xml, read with libxml2. */
static char *matrix_result(const char *matrix_xml, const char *id, char *attr_out, const char *attr)
{
	xmlDocPtr doc = xmlReadFile(matrix_xml, NULL, XML_PARSE_NONET);
	cr_assert_not_null(doc, "%s does not parse", matrix_xml);
	attr_out[0] = '\0';
	for (xmlNodePtr n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "case"))
			continue;
		xmlChar *v = xmlGetProp(n, (const xmlChar *)"id");
		if (v && strcmp((const char *)v, id) == 0) {
			xmlChar *r = xmlGetProp(n, (const xmlChar *)attr);
			snprintf(attr_out, 256, "%s", r ? (const char *)r : "");
			xmlFree(r);
		}
		xmlFree(v);
	}
	xmlFreeDoc(doc);
	return attr_out;
}

/* ---------------------------------------------------------------------- */
/* The worked example, and one wrong expectation in it */

Test(campaign, samples_all_hold)
{
	char dir[4200], src[4200];
	fresh_dir(dir, sizeof(dir), "samples");
	snprintf(src, sizeof(src), "%s/rules/campaigns/samples.xml", top());
	cr_assert_eq(audit(src, dir, 2), 0, "%s", slurp(file_in(dir, "stderr.txt"), NULL));
	char out[4300];
	snprintf(out, sizeof(out), "%s/out", dir);
	char *xml = slurp(file_in(out, "matrix.xml"), NULL);
	cr_assert_not_null(xml);
	cr_expect_eq(count_of(xml, "<case "), 31);
	cr_expect_eq(count_of(xml, "result=\"pass\""), 31);
	cr_expect(strstr(xml, "status=\"pass\" cases=\"31\" passed=\"31\" failed=\"0\" undecided=\"0\""));
	xsd_valid("reports/matrix.xsd", file_in(out, "matrix.xml"));
	xsd_valid("tests/data/junit/junit-10.xsd", file_in(out, "junit.xml"));
	/* each case's own reports are there, where the matrix links */
	struct stat st;
	cr_expect_eq(stat(file_in(out, "cases/wg-killswitch-any/index.html"), &st), 0);
	cr_expect_eq(stat(file_in(out, "cases/wg-killswitch-any/summary.xml"), &st), 0);
	free(xml);
}

Test(campaign, one_wrong_expectation)
{
	char dir[4200], camp[4300], out[4300], res[256];
	fresh_dir(dir, sizeof(dir), "wrong");
	snprintf(camp, sizeof(camp), "%s/wrong.xml", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	/* truth.tsv of wg-killswitch: 3 kill-switch leaks; say 2 for the any.pcap case */
	samples_copy(camp,
		     "<capture path=\"../../samples/wg-killswitch/any.pcap\"/>\n"
		     "    <tunnel path=\"../../samples/wg-killswitch/tunnel.xml\"/>\n"
		     "    <expect-leaks match=\"exactly\">\n"
		     "      <category name=\"kill-switch\" count=\"3\"/>",
		     "<capture path=\"../../samples/wg-killswitch/any.pcap\"/>\n"
		     "    <tunnel path=\"../../samples/wg-killswitch/tunnel.xml\"/>\n"
		     "    <expect-leaks match=\"exactly\">\n"
		     "      <category name=\"kill-switch\" count=\"2\"/>");
	cr_assert_eq(audit(camp, dir, 2), 1);
	char *xml = slurp(file_in(out, "matrix.xml"), NULL);
	cr_expect_eq(count_of(xml, "result=\"fail\""), 1);
	cr_expect_eq(count_of(xml, "result=\"pass\""), 30);
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "wg-killswitch-any", res, "result"), "fail");
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "wg-killswitch-phys", res, "result"), "pass");
	/* the matrix table (before the case list) marks exactly that cell */
	char *html = slurp(file_in(out, "matrix.html"), NULL);
	char *cases = strstr(html, "<h2>Cases");
	cr_assert_not_null(cases);
	*cases = '\0';
	cr_expect_eq(count_of(html, "class=\"case fail\""), 1);
	char *cell = strstr(html, "class=\"case fail\"");
	cr_assert_not_null(cell);
	char *row = NULL;
	for (char *p = strstr(html, "<tr>\n<th>"); p && p < cell; p = strstr(p + 1, "<tr>\n<th>"))
		row = p;
	cr_assert_not_null(row);
	cr_expect_eq(strncmp(row, "<tr>\n<th>wg-killswitch</th>", 27), 0, "the failed cell is in row %.40s", row);
	/* second column: tcpdump -i any (columns sorted: "physical interface" first) */
	cr_expect_eq(count_of(row, "<td>") - count_of(cell, "<td>"), 2, "the failed cell is not in the any column");
	cr_expect(strstr(cell, "cases/wg-killswitch-any/index.html"));
	/* JUnit: one failure, valid against the Jenkins/Ant shape */
	char *junit = slurp(file_in(out, "junit.xml"), NULL);
	cr_expect_eq(count_of(junit, "<failure "), 1);
	cr_expect_eq(count_of(junit, "<error "), 0);
	cr_expect(strstr(junit, "tests=\"31\" failures=\"1\" errors=\"0\""));
	xsd_valid("tests/data/junit/junit-10.xsd", file_in(out, "junit.xml"));
	xsd_valid("reports/matrix.xsd", file_in(out, "matrix.xml"));
	char *csv = slurp(file_in(out, "gradebook.csv"), NULL);
	cr_expect(strstr(csv, "\r\nwg-killswitch-any,tcpdump -i any,wireguard-go,wg-killswitch,fail,exactly kill-switch=2,leak,3,"));
	free(xml);
	free(html);
	free(junit);
	free(csv);

	/* fixed: the same file with the truth's count */
	samples_copy(camp, NULL, NULL);
	cr_assert_eq(audit(camp, dir, 2), 0);
	xml = slurp(file_in(out, "matrix.xml"), NULL);
	cr_expect_eq(count_of(xml, "result=\"pass\""), 31);
	free(xml);
}

/* Same campaign, -j 1 and -j 3: the same bytes in every output. */
Test(campaign, deterministic_across_jobs)
{
	char d1[4200], d3[4200], src[4200], cmd[9000];
	fresh_dir(d1, sizeof(d1), "j1");
	fresh_dir(d3, sizeof(d3), "j3");
	snprintf(src, sizeof(src), "%s/rules/campaigns/samples.xml", top());
	cr_assert_eq(audit(src, d1, 1), 0);
	cr_assert_eq(audit(src, d3, 3), 0);
	const char *files[] = {"matrix.html", "matrix.xml", "matrix.json", "junit.xml", "gradebook.csv"};
	for (size_t i = 0; i < 5; i++) {
		snprintf(cmd, sizeof(cmd), "cmp -s '%s/out/%s' '%s/out/%s'", d1, files[i], d3, files[i]);
		cr_expect_eq(system(cmd), 0, "%s differs between -j 1 and -j 3", files[i]);
	}
}

/* ---------------------------------------------------------------------- */
/* Hostile campaign files */

static const char *HEAD = "<?xml version=\"1.0\"?>\n";

static char *load_err(const char *path)
{
	static char err[8192];
	struct campaign *c = NULL;
	setenv("LEAKSCOPE_DATADIR", top(), 1);
	int rc = campaign_load(path, &c, err, sizeof(err));
	cr_expect_eq(rc, -1, "%s loaded", path);
	cr_expect_null(c);
	campaign_free(c);
	return err;
}

static void write_campaign(const char *path, const char *body)
{
	size_t n = strlen(HEAD) + strlen(body) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%s%s", HEAD, body);
	spit(path, s);
	free(s);
}

Test(campaign, doctype_and_entities_refused)
{
	char dir[4200], p[4300];
	fresh_dir(dir, sizeof(dir), "doctype");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	write_campaign(p, "<!DOCTYPE campaign [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
			  "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\"><case id=\"a\">"
			  "<label key=\"k\" value=\"&x;\"/><capture path=\"a.pcap\"/><auto-tunnel/><expect-no-leak/>"
			  "</case></campaign>\n");
	char *e = load_err(p);
	cr_expect(strstr(e, ":2: DOCTYPE is not allowed"), "%s", e);
	/* billion laughs */
	write_campaign(p, "<!DOCTYPE c [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
			  "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\">&b;</campaign>\n");
	e = load_err(p);
	cr_expect(strstr(e, "DOCTYPE is not allowed"), "%s", e);
	/* and through the command: exit 2, the message on stderr */
	cr_expect_eq(audit(p, dir, 1), 2);
	char *se = slurp(file_in(dir, "stderr.txt"), NULL);
	cr_expect(strstr(se, "DOCTYPE is not allowed"), "%s", se);
	free(se);
}

Test(campaign, hundred_thousand_cases_refused)
{
	char dir[4200], p[4300];
	fresh_dir(dir, sizeof(dir), "many");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	FILE *f = fopen(p, "wb");
	cr_assert_not_null(f);
	fprintf(f, "%s<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"many\">\n", HEAD);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "<case id=\"c%d\"><capture path=\"x\"/><auto-tunnel/><expect-no-leak/></case>\n", i);
	fputs("</campaign>\n", f);
	cr_assert_eq(fclose(f), 0);
	char *e = load_err(p);
	cr_expect(strstr(e, "100000 cases; a campaign holds at most 4096"), "%s", e);
	cr_expect_eq(audit(p, dir, 1), 2);
	/* nothing was run */
	struct stat st;
	cr_expect_neq(stat(file_in(dir, "out/cases"), &st), 0);
}

Test(campaign, oversized_file_refused)
{
	char dir[4200], p[4300];
	fresh_dir(dir, sizeof(dir), "huge");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	FILE *f = fopen(p, "wb");
	cr_assert_not_null(f);
	fprintf(f, "%s<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"big\">\n<!--", HEAD);
	for (int i = 0; i < 9 * 1024; i++)
		fprintf(f, "%01023d\n", 0);
	fputs("-->\n</campaign>\n", f);
	cr_assert_eq(fclose(f), 0);
	char *e = load_err(p);
	cr_expect(strstr(e, "larger than 8 MiB"), "%s", e);
}

Test(campaign, bad_ids_refused)
{
	char dir[4200], p[4300];
	fresh_dir(dir, sizeof(dir), "ids");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	static const char *const ids[] = {"a/b", "../up", "a..b", "&lt;script&gt;", ".hidden", ""};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char body[1024];
		snprintf(body, sizeof(body),
			 "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\">\n<case id=\"%s\">"
			 "<capture path=\"a.pcap\"/><auto-tunnel/><expect-no-leak/></case></campaign>\n", ids[i]);
		write_campaign(p, body);
		char *e = load_err(p);
		cr_expect(strstr(e, "c.xml:3:"), "id '%s': %s", ids[i], e);
		cr_expect(strstr(e, "'id'") || strstr(e, "'..'"), "id '%s': %s", ids[i], e);
	}
	/* the same id twice, ignoring case: two folders on a case-insensitive disk */
	write_campaign(p, "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\">\n"
			  "<case id=\"Alice\"><capture path=\"a\"/><auto-tunnel/><expect-no-leak/></case>\n"
			  "<case id=\"alice\"><capture path=\"a\"/><auto-tunnel/><expect-no-leak/></case></campaign>\n");
	char *e = load_err(p);
	cr_expect(strstr(e, "c.xml:4: case id 'alice' used twice"), "%s", e);
	/* rows naming a label no case has: a typo, said so */
	write_campaign(p, "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\" rows=\"scenari\">\n"
			  "<case id=\"a\"><label key=\"scenario\" value=\"s\"/><capture path=\"a\"/><auto-tunnel/>"
			  "<expect-no-leak/></case></campaign>\n");
	e = load_err(p);
	cr_expect(strstr(e, "rows=\"scenari\" names no label of any case"), "%s", e);
	/* an unknown category */
	write_campaign(p, "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\">\n"
			  "<case id=\"a\"><capture path=\"a\"/><auto-tunnel/><expect-leaks match=\"at-least\">\n"
			  "<category name=\"dns-leak\"/></expect-leaks></case></campaign>\n");
	e = load_err(p);
	cr_expect(strstr(e, "c.xml:4:") && strstr(e, "dns-leak"), "%s", e);
}

/* Missing captures: that case undecided with the reason; the others run. */
Test(campaign, missing_capture_undecided)
{
	char dir[4200], p[4300], body[8192], res[256];
	fresh_dir(dir, sizeof(dir), "missing");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	char *real = realpath(top(), NULL);
	snprintf(body, sizeof(body),
		 "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"m\">\n"
		 "<case id=\"there\"><capture path=\"%s/samples/wg-clean/any.pcap\"/>"
		 "<tunnel path=\"%s/samples/wg-clean/tunnel.xml\"/><expect-no-leak/></case>\n"
		 "<case id=\"gone\"><capture path=\"%s/samples/wg-clean/any.pcap\"/><capture path=\"no-such.pcap\"/>"
		 "<tunnel path=\"%s/samples/wg-clean/tunnel.xml\"/><expect-no-leak/></case>\n"
		 "</campaign>\n",
		 real, real, real, real);
	free(real);
	write_campaign(p, body);
	cr_assert_eq(audit(p, dir, 2), 3);
	char out[4300];
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "there", res, "result"), "pass");
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "gone", res, "result"), "undecided");
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "gone", res, "analysis"), "-");
	char *xml = slurp(file_in(out, "matrix.xml"), NULL);
	cr_expect(strstr(xml, "<why>not judged: capture no-such.pcap ("), "%s", xml);
	cr_expect(strstr(xml, "/no-such.pcap): No such file or directory</why>"));
	free(xml);
	char *junit = slurp(file_in(out, "junit.xml"), NULL);
	cr_expect_eq(count_of(junit, "<error type=\"undecided\""), 1);
	cr_expect_eq(count_of(junit, "<failure"), 0);
	free(junit);
	xsd_valid("tests/data/junit/junit-10.xsd", file_in(out, "junit.xml"));
	xsd_valid("reports/matrix.xsd", file_in(out, "matrix.xml"));
}

/* A capture analyze refuses (exit 2): undecided with analyze's own message,
 * and a summary.xml left in the case folder by an earlier run is not read. */
Test(campaign, refused_capture_undecided_not_stale)
{
	char dir[4200], p[4300], body[4096], res[256], stale[4400];
	fresh_dir(dir, sizeof(dir), "refused");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	spit(file_in(dir, "garbage.pcap"), "this is not a capture file at all, not pcap, not pcapng\n");
	char *real = realpath(top(), NULL);
	snprintf(body, sizeof(body),
		 "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"r\">\n"
		 "<case id=\"bad\"><capture path=\"garbage.pcap\"/>"
		 "<tunnel path=\"%s/samples/wg-clean/tunnel.xml\"/><expect-no-leak/></case>\n</campaign>\n",
		 real);
	free(real);
	write_campaign(p, body);
	/* an earlier run's clean verdict, where this run's would go */
	snprintf(stale, sizeof(stale), "mkdir -p '%s/out/cases/bad'", dir);
	cr_assert_eq(system(stale), 0);
	spit(file_in(dir, "out/cases/bad/summary.xml"),
	     "<summary xmlns=\"urn:leakscope:report:1\"><verdict status=\"clean\" leaks=\"0\" hosts=\"1\" "
	     "events=\"5\"/></summary>");
	cr_assert_eq(audit(p, dir, 1), 3);
	char out[4300];
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "bad", res, "result"), "undecided");
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "bad", res, "exit-status"), "2");
	char *xml = slurp(file_in(out, "matrix.xml"), NULL);
	cr_expect(strstr(xml, "<why>not judged: analyze refused the input (exit 2): leakscope: "), "%s", xml);
	free(xml);
	struct stat st;
	cr_expect_neq(stat(file_in(out, "cases/bad/summary.xml"), &st), 0, "the stale summary is still there");
}

Test(campaign, usage_errors)
{
	char dir[4200], src[4200], cmd[16384];
	fresh_dir(dir, sizeof(dir), "usage");
	snprintf(src, sizeof(src), "%s/rules/campaigns/samples.xml", top());
	static const char *const bad[] = {"-j 0", "-j 65", "-j x", "--nope", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "'%s' audit %s -o '%s/out' %s 2>/dev/null >/dev/null", leakscope(), bad[i],
			 dir, i == 4 ? "" : src);
		int rc = system(cmd);
		cr_expect(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "audit %s: exit %d", bad[i], WEXITSTATUS(rc));
	}
	snprintf(cmd, sizeof(cmd), "'%s' audit -o '%s/out' '%s/nonexistent.xml' 2>/dev/null", leakscope(), dir, dir);
	int rc = system(cmd);
	cr_expect(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}

/* A physical-interface capture of a clean scenario: no question seen, so
 * "no leak" cannot be shown: undecided, exit 3, never pass. */
Test(campaign, nothing_seen_is_not_clean)
{
	char dir[4200], p[4300], body[4096], res[256];
	fresh_dir(dir, sizeof(dir), "unseen");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	char *real = realpath(top(), NULL);
	snprintf(body, sizeof(body),
		 "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"u\">\n"
		 "<case id=\"phys\"><capture path=\"%s/samples/wg-clean/phys.pcap\"/>"
		 "<tunnel path=\"%s/samples/wg-clean/tunnel.xml\"/><expect-no-leak/></case>\n</campaign>\n",
		 real, real);
	free(real);
	write_campaign(p, body);
	cr_assert_eq(audit(p, dir, 1), 3);
	char out[4300];
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "phys", res, "result"), "undecided");
	cr_expect_str_eq(matrix_result(file_in(out, "matrix.xml"), "phys", res, "analysis"), "clean");
}

/* Labels and paths with markup: escaped in every output. */
Test(campaign, markup_escaped_everywhere)
{
	char dir[4200], p[4300], body[8192];
	fresh_dir(dir, sizeof(dir), "markup");
	snprintf(p, sizeof(p), "%s/c.xml", dir);
	char *real = realpath(top(), NULL);
	snprintf(body, sizeof(body),
		 "<campaign xmlns=\"urn:leakscope:campaign:1\" name=\"x\" rows=\"student\" columns=\"exercise\">\n"
		 "<case id=\"s1\"><label key=\"student\" value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"/>"
		 "<label key=\"exercise\" value=\"=HYPERLINK(&quot;http://x&quot;),1\"/>"
		 "<capture path=\"%s/samples/wg-split/any.pcap\"/>"
		 "<tunnel path=\"%s/samples/wg-split/tunnel.xml\"/>"
		 "<expect-leaks match=\"at-least\"><category name=\"split-tunnel\"/></expect-leaks></case>\n"
		 "<case id=\"s2\"><label key=\"student\" value=\"&quot;&apos;&amp;\"/>"
		 "<capture path=\"&lt;img src=x onerror=alert(1)&gt;.pcap\"/><auto-tunnel/><expect-no-leak/></case>\n"
		 "</campaign>\n",
		 real, real);
	free(real);
	write_campaign(p, body);
	cr_assert_eq(audit(p, dir, 2), 3);
	char out[4300];
	snprintf(out, sizeof(out), "%s/out", dir);
	char *html = slurp(file_in(out, "matrix.html"), NULL);
	cr_expect_null(strstr(html, "<script"));
	cr_expect_null(strstr(html, "<img"));
	cr_expect(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	cr_expect(strstr(html, "&lt;img src=x onerror=alert(1)&gt;.pcap"));
	free(html);
	char *xml = slurp(file_in(out, "matrix.xml"), NULL);
	cr_expect_null(strstr(xml, "<script"));
	free(xml);
	xsd_valid("reports/matrix.xsd", file_in(out, "matrix.xml"));
	/* the XML carries the label exactly */
	xmlDocPtr doc = xmlReadFile(file_in(out, "matrix.xml"), NULL, XML_PARSE_NONET);
	cr_assert_not_null(doc);
	bool seen = false;
	for (xmlNodePtr n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "case"))
			continue;
		xmlChar *row = xmlGetProp(n, (const xmlChar *)"row");
		if (row && strcmp((const char *)row, "<script>alert(1)</script>") == 0)
			seen = true;
		xmlFree(row);
	}
	xmlFreeDoc(doc);
	cr_expect(seen, "the label did not round-trip through matrix.xml");
	char *json = slurp(file_in(out, "matrix.json"), NULL);
	cr_expect_null(strstr(json, "<script"));
	cr_expect(strstr(json, "\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""), "%s", json);
	cr_expect(strstr(json, "\"\\\"'\\u0026\""));
	free(json);
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '%s' 2>/dev/null",
		 file_in(out, "matrix.json"));
	cr_expect_eq(system(cmd), 0, "matrix.json is not valid JSON");
	char *csv = slurp(file_in(out, "gradebook.csv"), NULL);
	/* quoted, quotes doubled, and the formula defused with a leading ' */
	cr_expect(strstr(csv, "\r\ns1,\"'=HYPERLINK(\"\"http://x\"\"),1\",<script>alert(1)</script>,pass,"), "%s", csv);
	cr_expect(strstr(csv, "\r\ns2,,\"\"\"'&\",undecided,"), "%s", csv);
	free(csv);
	xsd_valid("tests/data/junit/junit-10.xsd", file_in(out, "junit.xml"));
}

/* ---------------------------------------------------------------------- */
/* Judging, case by case */

static struct campaign_case mk_case(enum expect_kind k)
{
	struct campaign_case cs;
	memset(&cs, 0, sizeof(cs));
	cs.id = (char *)(uintptr_t)"t";
	cs.expect = k;
	return cs;
}

static struct case_result mk_res(const char *status, int exit_status, uint64_t events)
{
	struct case_result r;
	memset(&r, 0, sizeof(r));
	r.ran = true;
	r.exit_status = exit_status;
	snprintf(r.status, sizeof(r.status), "%s", status);
	snprintf(r.source, sizeof(r.source), "given");
	r.events = events;
	return r;
}

#define KS 2 /* kill-switch */
#define ST 7 /* split-tunnel */

Test(campaign, judge_rules)
{
	char why[768];
	cr_assert_str_eq(campaign_categories[KS], "kill-switch");
	cr_assert_str_eq(campaign_categories[ST], "split-tunnel");
	struct campaign_case nl = mk_case(EXPECT_NO_LEAK);
	struct case_result r = mk_res("clean", 0, 4);
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_PASS, "%s", why);
	/* not run: never a pass */
	r.ran = false;
	snprintf(r.problem, sizeof(r.problem), "analyze was killed by signal 11");
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED);
	cr_expect(strstr(why, "signal 11"), "%s", why);
	/* exit status and summary disagree */
	r = mk_res("clean", 1, 4);
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	r = mk_res("leak", 0, 4);
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	/* nothing asked, a damaged capture, dropped events: not a pass */
	r = mk_res("clean", 0, 0);
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	r = mk_res("clean", 0, 4);
	r.truncated = true;
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	r = mk_res("clean", 0, 4);
	r.events_dropped = 7;
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	/* the analysis undecided (no tunnel recognised) */
	r = mk_res("undecided", 3, 4);
	snprintf(r.source, sizeof(r.source), "none");
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	struct campaign_case und = mk_case(EXPECT_UNDECIDED);
	cr_expect_eq(campaign_judge(&und, &r, why, sizeof(why)), OUTCOME_PASS, "%s", why);
	r = mk_res("clean", 0, 4);
	cr_expect_eq(campaign_judge(&und, &r, why, sizeof(why)), OUTCOME_FAIL, "%s", why);
	/* a leak where none was expected */
	r = mk_res("leak", 1, 4);
	r.leaks = 1;
	r.count[ST] = 1;
	cr_expect_eq(campaign_judge(&nl, &r, why, sizeof(why)), OUTCOME_FAIL, "%s", why);
	cr_expect(strstr(why, "split-tunnel=1"), "%s", why);

	/* at-least kill-switch */
	struct campaign_case al = mk_case(EXPECT_AT_LEAST);
	al.want[KS] = true;
	r = mk_res("leak", 1, 9);
	r.leaks = 4;
	r.count[KS] = 3;
	r.count[ST] = 1;
	cr_expect_eq(campaign_judge(&al, &r, why, sizeof(why)), OUTCOME_PASS, "%s", why);
	al.want_count[KS] = 4;
	cr_expect_eq(campaign_judge(&al, &r, why, sizeof(why)), OUTCOME_FAIL, "%s", why);
	/* a shortfall in a damaged capture may lie past the damage */
	r.truncated = true;
	cr_expect_eq(campaign_judge(&al, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);

	/* exactly kill-switch: the extra split-tunnel fails, even when damaged */
	struct campaign_case ex = mk_case(EXPECT_EXACTLY);
	ex.want[KS] = true;
	cr_expect_eq(campaign_judge(&ex, &r, why, sizeof(why)), OUTCOME_FAIL, "%s", why);
	cr_expect(strstr(why, "split-tunnel: 1 (not expected)"), "%s", why);
	r.count[ST] = 0;
	r.leaks = 3;
	r.truncated = false;
	cr_expect_eq(campaign_judge(&ex, &r, why, sizeof(why)), OUTCOME_PASS, "%s", why);
	ex.want_count[KS] = 2;
	cr_expect_eq(campaign_judge(&ex, &r, why, sizeof(why)), OUTCOME_FAIL, "%s", why);
	ex.want_count[KS] = 3;
	cr_expect_eq(campaign_judge(&ex, &r, why, sizeof(why)), OUTCOME_PASS, "%s", why);
	/* leaks in a category this build does not know: not judged */
	r = mk_res("leak", 1, 9);
	r.leaks = 4;
	r.count[KS] = 3;
	cr_expect_eq(campaign_judge(&ex, &r, why, sizeof(why)), OUTCOME_UNDECIDED, "%s", why);
	cr_expect(strstr(why, "4 leak(s), 3 of them"), "%s", why);
	/* a leak expected, none found */
	r = mk_res("clean", 0, 4);
	cr_expect_eq(campaign_judge(&ex, &r, why, sizeof(why)), OUTCOME_FAIL, "%s", why);
}

/* A summary that is not what analyze writes: unreadable, never a verdict. */
Test(campaign, summary_reader_hostile)
{
	char dir[4200], p[4300];
	fresh_dir(dir, sizeof(dir), "summary");
	snprintf(p, sizeof(p), "%s/summary.xml", dir);
	static const char *const bad[] = {
		"",
		"<summary xmlns=\"urn:leakscope:report:1\"/>",
		"<!DOCTYPE s [<!ENTITY e \"clean\">]><summary xmlns=\"urn:leakscope:report:1\">"
		"<verdict status=\"&e;\" leaks=\"0\" hosts=\"1\" events=\"1\"/></summary>",
		"<summary xmlns=\"urn:leakscope:report:1\"><verdict status=\"fine\" leaks=\"0\" hosts=\"1\" events=\"1\"/></summary>",
		"<summary xmlns=\"urn:leakscope:report:1\"><verdict status=\"clean\" leaks=\"-1\" hosts=\"1\" events=\"1\"/></summary>",
		"<other xmlns=\"urn:leakscope:report:1\"><verdict status=\"clean\" leaks=\"0\" hosts=\"1\" events=\"1\"/></other>",
		"<summary xmlns=\"urn:leakscope:report:1\"><verdict status=\"clean\" leaks=\"0\" hosts=\"1\" events=\"1\"/>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spit(p, bad[i]);
		struct case_result r;
		memset(&r, 0, sizeof(r));
		cr_expect_eq(campaign_read_summary(p, &r), -1, "summary %zu was read", i);
		cr_expect_not(r.ran);
		cr_expect_neq(r.problem[0], '\0');
	}
	spit(p, "<summary xmlns=\"urn:leakscope:report:1\"><verdict status=\"leak\" leaks=\"5\" hosts=\"2\" events=\"9\"/>"
		"<hosts><host><count category=\"kill-switch\" n=\"2\"/><count category=\"tunnel\" n=\"4\"/></host>"
		"<host><count category=\"kill-switch\" n=\"3\"/></host></hosts></summary>");
	struct case_result r;
	memset(&r, 0, sizeof(r));
	cr_assert_eq(campaign_read_summary(p, &r), 0, "%s", r.problem);
	cr_expect_eq(r.count[KS], 5);
	cr_expect_eq(r.leaks, 5);
	cr_expect_eq(r.events, 9);
}

/* The bundled template loads (its captures are placeholders: every case
 * undecided until an auditor fills them in). */
Test(campaign, template_loads)
{
	char p[4200], err[8192];
	struct campaign *c = NULL;
	setenv("LEAKSCOPE_DATADIR", top(), 1);
	snprintf(p, sizeof(p), "%s/rules/campaigns/standard-vpn-leak-tests.xml", top());
	cr_assert_eq(campaign_load(p, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_geq(c->n_cases, 10);
	campaign_free(c);
}
