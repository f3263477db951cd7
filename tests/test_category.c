/* test_category.c - the one category table (analyzer/category.c) against itself, the verdict and the
 * files that repeat it: README.md's category tables, reports/report.xsd and reports/report.css.
 *
 * A category whose row is missing reads as "?" (cat_info's out-of-range
 * row) and fails here; a category added to the table but not to the README,
 * the schema or the stylesheet (or left there after it was removed) fails
 * here too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "campaign.h"
#include "category.h"
#include "event.h"

static char *slurp_top(const char *rel)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: cannot open (set LS_TOP to the checkout)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	return b;
}

#define MAXN 64

/* Adds name to set unless there; returns its index. */
static int set_add(char set[][48], int *n, const char *name, size_t len)
{
	char b[48];
	snprintf(b, sizeof(b), "%.*s", (int)len, name);
	for (int i = 0; i < *n; i++)
		if (!strcmp(set[i], b))
			return i;
	cr_assert_lt(*n, MAXN);
	snprintf(set[*n], 48, "%s", b);
	return (*n)++;
}

static bool in_set(char set[][48], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(set[i], name))
			return true;
	return false;
}

/* Every category of the table (CAT_NONE "-" aside) is in set, and set holds nothing else. */
static void same_set(const char *what, char set[][48], int n, bool only_markers)
{
	int want = 0;
	for (int c = 1; c < CAT__N; c++) {
		const struct cat_info *ci = cat_info((enum ev_category)c);
		if (only_markers && !ci->marker)
			continue;
		want++;
		cr_expect(in_set(set, n, ci->name), "%s does not name category %s", what, ci->name);
	}
	for (int i = 0; i < n; i++) {
		bool known = false;
		for (int c = 1; c < CAT__N; c++)
			known |= !strcmp(cat_info((enum ev_category)c)->name, set[i]) &&
				 (!only_markers || cat_info((enum ev_category)c)->marker);
		cr_expect(known, "%s names %s, which category.c does not have%s", what, set[i],
			  only_markers ? " (with a marker)" : "");
	}
	cr_expect_eq(n, want, "%s: %d categories, category.c %d", what, n, want);
}

Test(category, every_row_is_there_and_agrees_with_itself)
{
	for (int c = 0; c < CAT__N; c++) {
		const struct cat_info *ci = cat_info((enum ev_category)c);
		cr_assert_str_neq(ci->name, "?", "category %d has no row in category.c", c);
		cr_expect_str_eq(ev_category_str((enum ev_category)c), ci->name);
		cr_expect_eq(ci->kind == CK_LEAK, ci->verdict == VERDICT_LEAK, "%s: kind and verdict disagree", ci->name);
		cr_expect_eq(cat_is_leak((enum ev_category)c), ci->kind == CK_LEAK);
		if (ci->kind == CK_ALLOWED)
			cr_expect_eq(ci->verdict, VERDICT_ALLOWED, "%s", ci->name);
		if (ci->kind == CK_UNJUDGED || ci->kind == CK_NONE)
			cr_expect_eq(ci->verdict, VERDICT_NONE, "%s", ci->name);
		if (c == CAT_NONE)
			continue;
		cr_expect(ci->cause[0] && ci->remedy[0], "%s: no cause or remedy", ci->name);
		/* a leak or a reported category is drawn and explained */
		if (cat_explained((enum ev_category)c))
			cr_expect_not_null(ci->marker, "%s is a leak or reported but has no marker", ci->name);
		cr_expect_eq(ci->marker == NULL, ci->css == NULL, "%s: a marker needs its class and back", ci->name);
		if (ci->css) {
			char want[64];
			snprintf(want, sizeof(want), "c-%s", ci->name);
			cr_expect_str_eq(ci->css, want);
		}
	}
	cr_expect_str_eq(cat_info((enum ev_category)CAT__N)->name, "?");
	cr_expect_str_eq(cat_severity(CAT_KILL_SWITCH), "high");
	cr_expect_str_eq(cat_severity(CAT_RESOLVER_BYPASS), "low");
	/* resolver-bypass is reported, not a leak (README; truth.tsv of doh-inside says ok) */
	cr_expect_not(cat_is_leak(CAT_RESOLVER_BYPASS));
	cr_expect(cat_explained(CAT_RESOLVER_BYPASS));
	/* reading order: every category once, leaks first and most severe first */
	enum ev_category order[CAT__N];
	int n = cat_in_order(order);
	cr_expect_eq(n, CAT__N - 1);
	bool seen_other = false;
	for (int i = 0; i < n; i++) {
		if (!cat_is_leak(order[i]))
			seen_other = true;
		else
			cr_expect_not(seen_other, "a leak after a non-leak in the reading order");
		if (i && cat_is_leak(order[i]) == cat_is_leak(order[i - 1]))
			cr_expect_geq(cat_info(order[i - 1])->severity, cat_info(order[i])->severity);
	}
}

/* README.md "How a verdict is reached": the rows of its category tables,
 * `name` | verdict | severity | meaning. */
Test(category, readme_tables_name_the_same_categories)
{
	char *doc = slurp_top("README.md");
	char *sec = strstr(doc, "## How a verdict is reached");
	cr_assert_not_null(sec, "README.md has no section \"How a verdict is reached\"");
	char *end = strstr(sec + 3, "\n## ");
	if (end)
		*end = '\0';
	static char names[MAXN][48];
	int n = 0;
	for (char *l = sec; l; l = strchr(l, '\n')) {
		l++;
		if (strncmp(l, "| `", 3) != 0)
			continue;
		char *nm = l + 3, *q = strchr(nm, '`');
		cr_assert_not_null(q);
		int before = n;
		int i = set_add(names, &n, nm, (size_t)(q - nm));
		cr_expect_eq(n, before + 1, "README names %s twice", names[i]);
		/* verdict and severity columns */
		char verdict[32] = "", severity[32] = "";
		cr_assert_eq(sscanf(q + 1, " | %31[^ |] | %31[^ |] |", verdict, severity), 2, "README row %s", names[i]);
		for (int c = 1; c < CAT__N; c++) {
			const struct cat_info *ci = cat_info((enum ev_category)c);
			if (strcmp(ci->name, names[i]) != 0)
				continue;
			cr_expect_str_eq(verdict, ev_verdict_str(ci->verdict), "README: %s's verdict", ci->name);
			cr_expect_str_eq(severity, cat_severity((enum ev_category)c), "README: %s's severity", ci->name);
		}
	}
	same_set("README.md's category tables", names, n, false);
	free(doc);
}

Test(category, report_xsd_names_the_same_categories)
{
	char *xsd = slurp_top("reports/report.xsd");
	char *t = strstr(xsd, "<xs:simpleType name=\"category\">");
	cr_assert_not_null(t);
	char *end = strstr(t, "</xs:simpleType>");
	cr_assert_not_null(end);
	*end = '\0';
	static char names[MAXN][48];
	int n = 0;
	bool dash = false;
	for (char *v = strstr(t, "value=\""); v; v = strstr(v + 1, "value=\"")) {
		char *nm = v + 7, *q = strchr(nm, '"');
		cr_assert_not_null(q);
		if (q - nm == 1 && *nm == '-') {
			dash = true; /* CAT_NONE */
			continue;
		}
		set_add(names, &n, nm, (size_t)(q - nm));
	}
	cr_expect(dash, "report.xsd's category lacks \"-\"");
	same_set("reports/report.xsd", names, n, false);
	free(xsd);
}

Test(category, report_css_has_a_class_per_marker)
{
	char *css = slurp_top("reports/report.css");
	static char names[MAXN][48];
	int n = 0;
	for (char *v = strstr(css, "\n.c-"); v; v = strstr(v + 1, "\n.c-")) {
		char *nm = v + 4;
		size_t len = strcspn(nm, " {,:");
		if (len == 5 && !strncmp(nm, "other", 5))
			continue; /* cat_info's class for what has no marker of its own */
		set_add(names, &n, nm, len);
	}
	same_set("reports/report.css", names, n, true);
	free(css);
}

/* The terminal table counts leaks by category only; resolver-bypass (ok,
 * reported) follows apart.  samples/doh-inside: three DoH/DNS questions
 * through the tunnel to a public resolver, none a leak (its truth.tsv). */
Test(category, terminal_table_counts_leaks_only, .timeout = 30)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char cap[1024], desc[1024], err[2048];
	snprintf(cap, sizeof(cap), "%s/samples/doh-inside/any.pcap", top);
	snprintf(desc, sizeof(desc), "%s/samples/doh-inside/tunnel.xml", top);
	struct rules *r;
	cr_assert_eq(rules_load(desc, &r, err, sizeof(err)), 0, "%s", err);
	struct analysis *a = an_new(NULL, r);
	cr_assert_geq(an_add_file(a, cap), 0);
	an_finish(a);
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	out_summary_table(a, m);
	fclose(m);
	cr_assert_eq(a->nhosts, 1);
	cr_expect_eq(a->hosts[0].leaks, 0);
	cr_expect_eq(a->hosts[0].by_cat[CAT_RESOLVER_BYPASS], 3);
	const char *row = strchr(out, '\n') + 1;
	cr_expect(strstr(row, "  reported, not leaks: resolver-bypass=3\n") != NULL, "row: %s", row);
	cr_expect(strstr(row, "  resolver-bypass=") == NULL, "resolver-bypass counted as a leak: %s", row);
	free(out);
	an_free(a);
	rules_free(r);
}

/* reports/events.schema.json's category enum (events --format json). */
Test(category, events_schema_names_the_same_categories)
{
	char *js = slurp_top("reports/events.schema.json");
	char *t = strstr(js, "\"category\": {\"enum\": [");
	cr_assert_not_null(t, "events.schema.json has no category enum");
	char *end = strchr(t, ']');
	cr_assert_not_null(end);
	*end = '\0';
	static char names[MAXN][48];
	int n = 0;
	for (char *v = strchr(t + 20, '"'); v; v = strchr(v + 1, '"')) {
		char *q = strchr(v + 1, '"');
		cr_assert_not_null(q);
		if (!(q - v == 2 && v[1] == '-'))
			set_add(names, &n, v + 1, (size_t)(q - v - 1));
		v = q;
	}
	same_set("reports/events.schema.json", names, n, false);
	free(js);
}

/* The audit's leak categories (rules/campaign.xsd's leakCategory and
 * campaign.c's list) are exactly the table's leak categories. */
Test(category, campaign_knows_every_leak_category)
{
	char *xsd = slurp_top("rules/campaign.xsd");
	char *t = strstr(xsd, "<xs:simpleType name=\"leakCategory\">");
	cr_assert_not_null(t);
	char *end = strstr(t, "</xs:simpleType>");
	cr_assert_not_null(end);
	*end = '\0';
	int n = 0;
	for (char *v = strstr(t, "value=\""); v; v = strstr(v + 1, "value=\"")) {
		char *nm = v + 7, *q = strchr(nm, '"');
		cr_assert_not_null(q);
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(q - nm), nm);
		bool found = false;
		for (int c = 0; c < CAT__N; c++)
			if (!strcmp(cat_info((enum ev_category)c)->name, name)) {
				cr_expect(cat_is_leak((enum ev_category)c), "campaign.xsd lists %s, not a leak category", name);
				found = true;
			}
		cr_expect(found, "campaign.xsd lists %s, which the table does not have", name);
		cr_expect_geq(campaign_category_index(name), 0, "campaign.c does not know %s", name);
		n++;
	}
	int leaks = 0;
	for (int c = 0; c < CAT__N; c++)
		leaks += cat_is_leak((enum ev_category)c);
	cr_expect_eq(n, leaks, "campaign.xsd names %d leak categories, the table has %d", n, leaks);
	cr_expect_eq(LS_NCAT, leaks);
	free(xsd);
}
