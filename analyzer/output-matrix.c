/* output-matrix.c - the audit campaign's outputs: matrix.html, matrix.xml (reports/matrix.xsd), matrix.json (RFC 8259), junit.xml (the Jenkins/Ant JUnit shape), gradebook.csv (RFC 4180). */

/*
 * Every string here may come from a hostile campaign file (labels, paths)
 * or from a child's log: XML and HTML go through xmlw's escaping, JSON
 * through json_str (every control character as \u00XX, '<' '>' '&' too, so
 * the file can be pasted into a page), CSV through csv_field (quoted when
 * needed, doubled quotes, and a leading ' before = + - @ so that a
 * spreadsheet never runs a label as a formula).  No wall-clock time and a
 * fixed order (cases by id, rows and columns by label value), so the same
 * campaign and captures give the same bytes.
 */
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign.h"
#include "outdir.h"
#include "output.h"
#include "util.h"
#include "xmlw.h"

/* ---------------------------------------------------------------------- */
/* Rows and columns of the matrix */

/* The distinct values of a key over the cases, sorted; a case without the
 * label has value NULL, sorted last. */
struct axis {
	const char *key; /* NULL: one column for all */
	const char **vals;
	size_t n;
	bool has_null;
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *value_of(const struct campaign_case *cs, const char *key)
{
	return key ? campaign_label(cs, key) : NULL;
}

static void axis_build(struct axis *ax, const char *key, const struct audit_row *rows, size_t n)
{
	ax->key = key;
	ax->vals = xcalloc(n ? n : 1, sizeof(char *));
	ax->n = 0;
	ax->has_null = false;
	for (size_t i = 0; i < n; i++) {
		const char *v = value_of(rows[i].cs, key);
		if (!v) {
			ax->has_null = true;
			continue;
		}
		ax->vals[ax->n++] = v;
	}
	qsort(ax->vals, ax->n, sizeof(char *), str_cmp);
	size_t k = 0;
	for (size_t i = 0; i < ax->n; i++)
		if (k == 0 || strcmp(ax->vals[k - 1], ax->vals[i]) != 0)
			ax->vals[k++] = ax->vals[i];
	ax->n = k;
}

/* Number of positions (values plus the "no label" one when used). */
static size_t axis_len(const struct axis *ax)
{
	return ax->n + (ax->has_null ? 1 : 0);
}

/* The value at position i, or NULL for the "no label" position. */
static const char *axis_val(const struct axis *ax, size_t i)
{
	return i < ax->n ? ax->vals[i] : NULL;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

struct totals {
	size_t pass, fail, undecided;
};

static void tally(struct totals *t, enum case_outcome o)
{
	if (o == OUTCOME_PASS)
		t->pass++;
	else if (o == OUTCOME_FAIL)
		t->fail++;
	else
		t->undecided++;
}

static const char *campaign_status(const struct totals *t)
{
	return t->fail ? "fail" : t->undecided ? "undecided" : "pass";
}

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = xmalloc(n);
	snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* Where a case's tunnel description comes from. */
static const char *tunnel_source(const struct campaign_case *cs)
{
	return !cs->tunnel ? "auto" : cs->tunnel_is_config ? "config" : "description";
}

static void report_link(const struct audit_row *r, char *buf, size_t len)
{
	snprintf(buf, len, "cases/%s/index.html", r->cs->id);
}

/* ---------------------------------------------------------------------- */
/* matrix.xml */

static void xml_expect(struct xmlw *w, const struct campaign_case *cs)
{
	static const char *const kinds[] = {"no-leak", "at-least", "exactly", "undecided"};
	xmlw_start(w, "expect");
	xmlw_attr(w, "kind", kinds[cs->expect]);
	for (int i = 0; i < LS_NCAT; i++) {
		if (!cs->want[i])
			continue;
		xmlw_start(w, "category");
		xmlw_attr(w, "name", campaign_categories[i]);
		if (cs->want_count[i])
			xmlw_attr_u64(w, "count", cs->want_count[i]);
		xmlw_end(w);
	}
	xmlw_end(w);
}

static int write_xml(const struct campaign *c, const struct audit_row *rows, size_t n, const struct axis *rx,
		     const struct axis *cx, const char *path)
{
	struct xmlw w;
	struct totals t = {0};
	char link[256];
	for (size_t i = 0; i < n; i++)
		tally(&t, rows[i].outcome);
	if (xmlw_open(&w, path) < 0)
		return -1;
	xmlw_start(&w, "matrix");
	xmlw_attr(&w, "xmlns", LS_MATRIX_NS);
	xmlw_attr(&w, "version", "1");
	xmlw_attr(&w, "generator", "leakscope " LS_VERSION);
	xmlw_attr(&w, "campaign", c->path);
	xmlw_attr(&w, "name", c->name);
	if (c->title)
		xmlw_attr(&w, "title", c->title);
	xmlw_attr(&w, "rows", rx->key);
	if (cx->key)
		xmlw_attr(&w, "columns", cx->key);
	xmlw_attr(&w, "status", campaign_status(&t));
	xmlw_attr_u64(&w, "cases", n);
	xmlw_attr_u64(&w, "passed", t.pass);
	xmlw_attr_u64(&w, "failed", t.fail);
	xmlw_attr_u64(&w, "undecided", t.undecided);
	xmlw_start(&w, "columns");
	for (size_t j = 0; j < axis_len(cx); j++) {
		const char *cv = axis_val(cx, j);
		struct totals ct = {0};
		for (size_t i = 0; i < n; i++)
			if (same(value_of(rows[i].cs, cx->key), cv))
				tally(&ct, rows[i].outcome);
		xmlw_start(&w, "column");
		if (cv)
			xmlw_attr(&w, "value", cv);
		xmlw_attr_u64(&w, "passed", ct.pass);
		xmlw_attr_u64(&w, "failed", ct.fail);
		xmlw_attr_u64(&w, "undecided", ct.undecided);
		xmlw_end(&w);
	}
	xmlw_end(&w);
	xmlw_start(&w, "rows");
	for (size_t j = 0; j < axis_len(rx); j++) {
		const char *rv = axis_val(rx, j);
		xmlw_start(&w, "row");
		if (rv)
			xmlw_attr(&w, "value", rv);
		xmlw_end(&w);
	}
	xmlw_end(&w);
	for (size_t i = 0; i < n; i++) {
		const struct audit_row *r = &rows[i];
		const char *rv = value_of(r->cs, rx->key), *cv = value_of(r->cs, cx->key);
		xmlw_start(&w, "case");
		xmlw_attr(&w, "id", r->cs->id);
		if (rv)
			xmlw_attr(&w, "row", rv);
		if (cv)
			xmlw_attr(&w, "column", cv);
		xmlw_attr(&w, "result", campaign_outcome_str(r->outcome));
		xmlw_attr(&w, "analysis", r->res.ran ? r->res.status : "-");
		if (r->res.exit_status >= 0)
			xmlw_attr_u64(&w, "exit-status", (uint64_t)r->res.exit_status);
		xmlw_attr_u64(&w, "leaks", r->res.leaks);
		xmlw_attr_u64(&w, "events", r->res.events);
		if (r->res.ran) {
			report_link(r, link, sizeof(link));
			xmlw_attr(&w, "report", link);
		}
		for (size_t k = 0; k < r->cs->n_labels; k++) {
			xmlw_start(&w, "label");
			xmlw_attr(&w, "key", r->cs->labels[k].key);
			xmlw_attr(&w, "value", r->cs->labels[k].value);
			xmlw_end(&w);
		}
		for (size_t k = 0; k < r->cs->n_captures; k++) {
			xmlw_start(&w, "capture");
			xmlw_attr(&w, "path", r->cs->captures[k]);
			xmlw_end(&w);
		}
		xmlw_start(&w, "tunnel");
		xmlw_attr(&w, "path", r->cs->tunnel ? r->cs->tunnel : "auto");
		xmlw_attr(&w, "source", tunnel_source(r->cs));
		xmlw_end(&w);
		xml_expect(&w, r->cs);
		for (int k = 0; k < LS_NCAT; k++) {
			if (!r->res.count[k])
				continue;
			xmlw_start(&w, "count");
			xmlw_attr(&w, "category", campaign_categories[k]);
			xmlw_attr_u64(&w, "n", r->res.count[k]);
			xmlw_end(&w);
		}
		xmlw_elem(&w, "why", r->why);
		xmlw_end(&w);
	}
	return xmlw_close(&w);
}

/* ---------------------------------------------------------------------- */
/* matrix.json */

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char ch = *p;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f || ch == '<' || ch == '>' || ch == '&')
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Bytes that are not valid UTF-8 would make the JSON invalid (RFC 8259 8.1):
 * such a string is written with every non-ASCII byte as \u00XX of its
 * value, so nothing is lost and the file stays valid. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : 9;
		if (n == 9 || (n == 1 && *p < 0xc2))
			return false;
		p++;
		for (unsigned i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static void json_text(FILE *f, const char *s)
{
	if (!s || utf8_ok(s)) {
		json_str(f, s);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 || *p < 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == '&')
			fprintf(f, "\\u%04x", *p);
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int write_json(const struct campaign *c, const struct audit_row *rows, size_t n, const struct axis *rx,
		      const struct axis *cx, const char *path)
{
	static const char *const kinds[] = {"no-leak", "at-least", "exactly", "undecided"};
	FILE *f = od_create(path);
	struct totals t = {0};
	char link[256];
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++)
		tally(&t, rows[i].outcome);
	fputs("{\n  \"format\": \"leakscope-matrix\",\n  \"version\": 1,\n  \"generator\": ", f);
	json_str(f, "leakscope " LS_VERSION);
	fputs(",\n  \"campaign\": ", f);
	json_text(f, c->path);
	fputs(",\n  \"name\": ", f);
	json_text(f, c->name);
	fputs(",\n  \"title\": ", f);
	json_text(f, c->title);
	fputs(",\n  \"rows\": ", f);
	json_text(f, rx->key);
	fputs(",\n  \"columns\": ", f);
	json_text(f, cx->key);
	fprintf(f, ",\n  \"status\": \"%s\",\n  \"cases\": %zu,\n  \"passed\": %zu,\n  \"failed\": %zu,\n"
		   "  \"undecided\": %zu,\n  \"column_summary\": [",
		campaign_status(&t), n, t.pass, t.fail, t.undecided);
	for (size_t j = 0; j < axis_len(cx); j++) {
		const char *cv = axis_val(cx, j);
		struct totals ct = {0};
		for (size_t i = 0; i < n; i++)
			if (same(value_of(rows[i].cs, cx->key), cv))
				tally(&ct, rows[i].outcome);
		fputs(j ? ",\n    {\"value\": " : "\n    {\"value\": ", f);
		json_text(f, cv);
		fprintf(f, ", \"passed\": %zu, \"failed\": %zu, \"undecided\": %zu}", ct.pass, ct.fail, ct.undecided);
	}
	fputs("\n  ],\n  \"row_values\": [", f);
	for (size_t j = 0; j < axis_len(rx); j++) {
		fputs(j ? ", " : "", f);
		json_text(f, axis_val(rx, j));
	}
	fputs("],\n  \"case_list\": [", f);
	for (size_t i = 0; i < n; i++) {
		const struct audit_row *r = &rows[i];
		fputs(i ? ",\n    {\n      \"id\": " : "\n    {\n      \"id\": ", f);
		json_text(f, r->cs->id);
		fputs(",\n      \"row\": ", f);
		json_text(f, value_of(r->cs, rx->key));
		fputs(",\n      \"column\": ", f);
		json_text(f, value_of(r->cs, cx->key));
		fprintf(f, ",\n      \"result\": \"%s\",\n      \"analysis\": ", campaign_outcome_str(r->outcome));
		json_text(f, r->res.ran ? r->res.status : NULL);
		if (r->res.exit_status >= 0)
			fprintf(f, ",\n      \"exit_status\": %d", r->res.exit_status);
		else
			fputs(",\n      \"exit_status\": null", f);
		fprintf(f, ",\n      \"leaks\": %" PRIu64 ",\n      \"events\": %" PRIu64 ",\n      \"report\": ",
			r->res.leaks, r->res.events);
		report_link(r, link, sizeof(link));
		json_text(f, r->res.ran ? link : NULL);
		fputs(",\n      \"labels\": {", f);
		for (size_t k = 0; k < r->cs->n_labels; k++) {
			fputs(k ? ", " : "", f);
			json_text(f, r->cs->labels[k].key);
			fputs(": ", f);
			json_text(f, r->cs->labels[k].value);
		}
		fputs("},\n      \"captures\": [", f);
		for (size_t k = 0; k < r->cs->n_captures; k++) {
			fputs(k ? ", " : "", f);
			json_text(f, r->cs->captures[k]);
		}
		fputs("],\n      \"tunnel\": ", f);
		json_text(f, r->cs->tunnel ? r->cs->tunnel : "auto");
		fprintf(f, ",\n      \"tunnel_source\": \"%s\"", tunnel_source(r->cs));
		fprintf(f, ",\n      \"expect\": {\"kind\": \"%s\", \"categories\": {", kinds[r->cs->expect]);
		bool first = true;
		for (int k = 0; k < LS_NCAT; k++) {
			if (!r->cs->want[k])
				continue;
			fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", campaign_categories[k], r->cs->want_count[k]);
			first = false;
		}
		fputs("}},\n      \"counts\": {", f);
		first = true;
		for (int k = 0; k < LS_NCAT; k++) {
			if (!r->res.count[k])
				continue;
			fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", campaign_categories[k], r->res.count[k]);
			first = false;
		}
		fputs("},\n      \"why\": ", f);
		json_text(f, r->why);
		fputs("\n    }", f);
	}
	fputs("\n  ]\n}\n", f);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* junit.xml: the shape Jenkins (xunit-plugin junit-10.xsd), GitLab and
 * GitHub's test reporters read: <testsuites><testsuite><testcase>, a
 * <failure> for an expectation that did not hold, an <error> for a case
 * that could not be judged (never shown as passed). */

static int write_junit(const struct campaign *c, const struct audit_row *rows, size_t n, const struct axis *rx,
		       const struct axis *cx, const char *path)
{
	struct xmlw w;
	struct totals t = {0};
	char buf[1024], link[256], exp[512];
	for (size_t i = 0; i < n; i++)
		tally(&t, rows[i].outcome);
	if (xmlw_open(&w, path) < 0)
		return -1;
	xmlw_start(&w, "testsuites");
	xmlw_attr(&w, "name", c->name);
	xmlw_attr_u64(&w, "tests", n);
	xmlw_attr_u64(&w, "failures", t.fail);
	xmlw_attr_u64(&w, "errors", t.undecided);
	xmlw_attr(&w, "time", "0");
	xmlw_start(&w, "testsuite");
	xmlw_attr(&w, "name", c->name);
	xmlw_attr_u64(&w, "tests", n);
	xmlw_attr_u64(&w, "failures", t.fail);
	xmlw_attr_u64(&w, "errors", t.undecided);
	xmlw_attr(&w, "skipped", "0");
	xmlw_attr(&w, "time", "0");
	xmlw_attr(&w, "file", c->path);
	xmlw_start(&w, "properties");
	xmlw_start(&w, "property");
	xmlw_attr(&w, "name", "generator");
	xmlw_attr(&w, "value", "leakscope " LS_VERSION);
	xmlw_end(&w);
	xmlw_end(&w);
	for (size_t i = 0; i < n; i++) {
		const struct audit_row *r = &rows[i];
		const char *rv = value_of(r->cs, rx->key), *cv = value_of(r->cs, cx->key);
		xmlw_start(&w, "testcase");
		xmlw_attr(&w, "name", r->cs->id);
		/* classname groups the cases in a CI's tree: campaign.row.column */
		snprintf(buf, sizeof(buf), "%s.%s%s%s", c->name, rv ? rv : "-", cx->key ? "." : "",
			 cx->key ? (cv ? cv : "-") : "");
		xmlw_attr(&w, "classname", buf);
		xmlw_attr(&w, "time", "0");
		if (r->outcome == OUTCOME_FAIL) {
			xmlw_start(&w, "failure");
			xmlw_attr(&w, "type", "expectation");
			xmlw_attr(&w, "message", r->why);
			xmlw_text(&w, r->why);
			xmlw_end(&w);
		} else if (r->outcome == OUTCOME_UNDECIDED) {
			xmlw_start(&w, "error");
			xmlw_attr(&w, "type", "undecided");
			xmlw_attr(&w, "message", r->why);
			xmlw_text(&w, r->why);
			xmlw_end(&w);
		}
		report_link(r, link, sizeof(link));
		/* one line: the XML writer writes control bytes, newlines too, as \xHH */
		struct sbuf so = {0};
		sb_addf(&so, "expected: %s; result: %s%s%s", campaign_expect_str(r->cs, exp, sizeof(exp)), r->why,
			r->res.ran ? "; report: " : "", r->res.ran ? link : "");
		xmlw_elem(&w, "system-out", so.s);
		sb_free(&so);
		xmlw_end(&w);
	}
	return xmlw_close(&w);
}

/* ---------------------------------------------------------------------- */
/* gradebook.csv (RFC 4180, CRLF line ends) */

static void csv_field(FILE *f, const char *s)
{
	if (!s)
		s = "";
	bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

static int write_csv(const struct campaign *c, const struct audit_row *rows, size_t n, const char *path)
{
	FILE *f = od_create(path);
	char exp[512], link[256];
	if (!f)
		return -1;
	/* the label keys used by any case, sorted: one column each */
	size_t nkeys = 0, cap = 0;
	const char **keys = NULL;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < rows[i].cs->n_labels; k++) {
			keys = xgrow(keys, &cap, nkeys + 1, sizeof(*keys));
			keys[nkeys++] = rows[i].cs->labels[k].key;
		}
	}
	if (nkeys)
		qsort(keys, nkeys, sizeof(*keys), str_cmp);
	size_t u = 0;
	for (size_t i = 0; i < nkeys; i++)
		if (u == 0 || strcmp(keys[u - 1], keys[i]) != 0)
			keys[u++] = keys[i];
	nkeys = u;
	fputs("id", f);
	for (size_t k = 0; k < nkeys; k++) {
		fputc(',', f);
		csv_field(f, keys[k]);
	}
	fputs(",result,expected,analysis,leaks", f);
	for (int k = 0; k < LS_NCAT; k++)
		fprintf(f, ",%s", campaign_categories[k]);
	fputs(",why,report\r\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct audit_row *r = &rows[i];
		csv_field(f, r->cs->id);
		for (size_t k = 0; k < nkeys; k++) {
			fputc(',', f);
			csv_field(f, campaign_label(r->cs, keys[k]));
		}
		fprintf(f, ",%s,", campaign_outcome_str(r->outcome));
		csv_field(f, campaign_expect_str(r->cs, exp, sizeof(exp)));
		fprintf(f, ",%s,%" PRIu64, r->res.ran ? r->res.status : "", r->res.leaks);
		for (int k = 0; k < LS_NCAT; k++)
			fprintf(f, ",%" PRIu64, r->res.count[k]);
		fputc(',', f);
		csv_field(f, r->why);
		fputc(',', f);
		report_link(r, link, sizeof(link));
		csv_field(f, r->res.ran ? link : "");
		fputs("\r\n", f);
	}
	(void)c;
	free(keys);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* matrix.html */

/* No "<" followed by "/" in here: the style element would end. */
static const char matrix_css[] =
	":root{--ink:#1d2430;--muted:#5b6472;--line:#d9dee5;--soft:#f4f6f8;--accent:#1f4e79;"
	"--fail:#b3261e;--fail-bg:#fdecea;--pass:#1b6e3c;--pass-bg:#e7f4ec;--und:#8a5a00;--und-bg:#fff4dc}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;padding:24px 32px;color:var(--ink);font-family:\"DejaVu Sans\",\"Liberation Sans\","
	"\"Segoe UI\",Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;background:#fff}\n"
	"a{color:var(--accent)}\n"
	"h1{font-size:22px;margin:0 0 4px}\n"
	"h2{font-size:17px;margin:28px 0 8px}\n"
	".meta{color:var(--muted);margin:0 0 12px}\n"
	".banner{padding:10px 14px;border-radius:6px;font-weight:bold;margin:12px 0 18px;border:1px solid}\n"
	".banner.fail{background:var(--fail-bg);color:var(--fail);border-color:var(--fail)}\n"
	".banner.pass{background:var(--pass-bg);color:var(--pass);border-color:var(--pass)}\n"
	".banner.undecided{background:var(--und-bg);color:var(--und);border-color:var(--und)}\n"
	"table{border-collapse:collapse}\n"
	"th,td{border:1px solid var(--line);padding:6px 8px;vertical-align:top;text-align:left}\n"
	"thead th,tfoot th,tfoot td{background:var(--soft)}\n"
	"table.matrix td{min-width:170px}\n"
	".case{border-radius:5px;padding:6px 8px;margin:0 0 6px;border-left:6px solid}\n"
	".case:last-child{margin-bottom:0}\n"
	".case.pass{background:var(--pass-bg);border-color:var(--pass)}\n"
	".case.fail{background:var(--fail-bg);border-color:var(--fail)}\n"
	".case.undecided{background:var(--und-bg);border-color:var(--und)}\n"
	".res{font-weight:bold;text-transform:uppercase;font-size:12px;letter-spacing:.04em}\n"
	".case.pass .res{color:var(--pass)}.case.fail .res{color:var(--fail)}.case.undecided .res{color:var(--und)}\n"
	".counts,.why{display:block;font-size:12px;color:var(--muted)}\n"
	".empty{color:var(--muted)}\n"
	"code{font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",Menlo,Consolas,monospace;font-size:12px}\n"
	"@media print{body{padding:0}a{color:inherit}}\n";

static void h_text(struct xmlw *w, const char *s)
{
	xmlw_text(w, s);
}

static void h_counts(struct xmlw *w, const struct audit_row *r)
{
	char buf[64];
	bool any = false;
	xmlw_start(w, "span");
	xmlw_attr(w, "class", "counts");
	if (!r->res.ran) {
		h_text(w, "not run");
	} else {
		for (int k = 0; k < LS_NCAT; k++) {
			if (!r->res.count[k])
				continue;
			snprintf(buf, sizeof(buf), "%s%s %" PRIu64, any ? ", " : "", campaign_categories[k], r->res.count[k]);
			h_text(w, buf);
			any = true;
		}
		if (!any) {
			snprintf(buf, sizeof(buf), "no leak in %" PRIu64 " question(s)", r->res.events);
			h_text(w, buf);
		}
	}
	xmlw_end(w);
}

static void h_case(struct xmlw *w, const struct audit_row *r, bool with_why)
{
	static const char *const cls[] = {"case pass", "case fail", "case undecided"};
	char link[256];
	xmlw_start(w, "div");
	xmlw_attr(w, "class", cls[r->outcome]);
	xmlw_start(w, "span");
	xmlw_attr(w, "class", "res");
	h_text(w, campaign_outcome_str(r->outcome));
	xmlw_end(w);
	h_text(w, " ");
	if (r->res.ran) {
		report_link(r, link, sizeof(link));
		xmlw_start(w, "a");
		xmlw_attr(w, "href", link);
		h_text(w, r->cs->id);
		xmlw_end(w);
	} else {
		h_text(w, r->cs->id);
	}
	h_counts(w, r);
	if (with_why) {
		xmlw_start(w, "span");
		xmlw_attr(w, "class", "why");
		h_text(w, r->why);
		xmlw_end(w);
	}
	xmlw_end(w);
}

static void h_totals(struct xmlw *w, const struct totals *t)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%zu pass, %zu fail, %zu undecided", t->pass, t->fail, t->undecided);
	h_text(w, buf);
}

static int write_html(const struct campaign *c, const struct audit_row *rows, size_t n, const struct axis *rx,
		      const struct axis *cx, const char *path)
{
	struct xmlw w;
	struct totals t = {0};
	char buf[1024], exp[512];
	for (size_t i = 0; i < n; i++)
		tally(&t, rows[i].outcome);
	if (xmlw_open_html(&w, path) < 0)
		return -1;
	xmlw_start(&w, "html");
	xmlw_attr(&w, "lang", "en");
	xmlw_start(&w, "head");
	xmlw_start(&w, "meta");
	xmlw_attr(&w, "charset", "utf-8");
	xmlw_end(&w);
	xmlw_start(&w, "meta");
	xmlw_attr(&w, "name", "generator");
	xmlw_attr(&w, "content", "leakscope " LS_VERSION);
	xmlw_end(&w);
	xmlw_start(&w, "meta");
	xmlw_attr(&w, "name", "referrer");
	xmlw_attr(&w, "content", "no-referrer");
	xmlw_end(&w);
	xmlw_start(&w, "title");
	h_text(&w, c->title ? c->title : c->name);
	h_text(&w, " \xe2\x80\x94 leakscope audit matrix");
	xmlw_end(&w);
	xmlw_start(&w, "style");
	xmlw_raw(&w, matrix_css);
	xmlw_end(&w);
	xmlw_end(&w); /* head */
	xmlw_start(&w, "body");
	xmlw_start(&w, "h1");
	h_text(&w, c->title ? c->title : c->name);
	xmlw_end(&w);
	xmlw_start(&w, "p");
	xmlw_attr(&w, "class", "meta");
	h_text(&w, "Campaign ");
	xmlw_start(&w, "code");
	h_text(&w, c->path);
	xmlw_end(&w);
	snprintf(buf, sizeof(buf), "; rows: %s, columns: %s. Each case links to its own report.", rx->key,
		 cx->key ? cx->key : "(one column)");
	h_text(&w, buf);
	xmlw_end(&w);
	xmlw_start(&w, "p");
	snprintf(buf, sizeof(buf), "banner %s", campaign_status(&t));
	xmlw_attr(&w, "class", buf);
	snprintf(buf, sizeof(buf), "%s: %zu case(s), %zu passed, %zu failed, %zu could not be judged",
		 t.fail ? "Expectations failed" : t.undecided ? "Not every case could be judged" : "Every expectation held",
		 n, t.pass, t.fail, t.undecided);
	h_text(&w, buf);
	xmlw_end(&w);

	xmlw_start(&w, "table");
	xmlw_attr(&w, "class", "matrix");
	xmlw_start(&w, "thead");
	xmlw_start(&w, "tr");
	xmlw_start(&w, "th");
	snprintf(buf, sizeof(buf), "%s \xe2\x86\x93 / %s \xe2\x86\x92", rx->key, cx->key ? cx->key : "result");
	h_text(&w, buf);
	xmlw_end(&w);
	for (size_t j = 0; j < axis_len(cx); j++) {
		const char *cv = axis_val(cx, j);
		xmlw_start(&w, "th");
		if (cx->key) {
			snprintf(buf, sizeof(buf), "(no %s)", cx->key);
			h_text(&w, cv ? cv : buf);
		} else {
			h_text(&w, "result");
		}
		xmlw_end(&w);
	}
	xmlw_end(&w);
	xmlw_end(&w); /* thead */
	xmlw_start(&w, "tbody");
	for (size_t ri = 0; ri < axis_len(rx); ri++) {
		const char *rv = axis_val(rx, ri);
		xmlw_start(&w, "tr");
		xmlw_start(&w, "th");
		snprintf(buf, sizeof(buf), "(no %s)", rx->key);
		h_text(&w, rv ? rv : buf);
		xmlw_end(&w);
		for (size_t j = 0; j < axis_len(cx); j++) {
			const char *cv = axis_val(cx, j);
			bool any = false;
			xmlw_start(&w, "td");
			for (size_t i = 0; i < n; i++) {
				if (!same(value_of(rows[i].cs, rx->key), rv) || !same(value_of(rows[i].cs, cx->key), cv))
					continue;
				h_case(&w, &rows[i], rows[i].outcome != OUTCOME_PASS); /* say why a cell is not green */
				any = true;
			}
			if (!any) {
				xmlw_start(&w, "span");
				xmlw_attr(&w, "class", "empty");
				h_text(&w, "no case");
				xmlw_end(&w);
			}
			xmlw_end(&w);
		}
		xmlw_end(&w);
	}
	xmlw_end(&w); /* tbody */
	xmlw_start(&w, "tfoot");
	xmlw_start(&w, "tr");
	xmlw_start(&w, "th");
	h_text(&w, "summary");
	xmlw_end(&w);
	for (size_t j = 0; j < axis_len(cx); j++) {
		const char *cv = axis_val(cx, j);
		struct totals ct = {0};
		for (size_t i = 0; i < n; i++)
			if (same(value_of(rows[i].cs, cx->key), cv))
				tally(&ct, rows[i].outcome);
		xmlw_start(&w, "td");
		h_totals(&w, &ct);
		xmlw_end(&w);
	}
	xmlw_end(&w);
	xmlw_end(&w); /* tfoot */
	xmlw_end(&w); /* table */

	xmlw_start(&w, "h2");
	h_text(&w, "Cases");
	xmlw_end(&w);
	xmlw_start(&w, "table");
	xmlw_attr(&w, "class", "cases");
	xmlw_start(&w, "thead");
	xmlw_start(&w, "tr");
	static const char *const heads[] = {"case", "labels", "captures", "expected", "result and why"};
	for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++) {
		xmlw_start(&w, "th");
		h_text(&w, heads[k]);
		xmlw_end(&w);
	}
	xmlw_end(&w);
	xmlw_end(&w);
	xmlw_start(&w, "tbody");
	for (size_t i = 0; i < n; i++) {
		const struct audit_row *r = &rows[i];
		xmlw_start(&w, "tr");
		xmlw_start(&w, "td");
		xmlw_start(&w, "code");
		h_text(&w, r->cs->id);
		xmlw_end(&w);
		xmlw_end(&w);
		xmlw_start(&w, "td");
		for (size_t k = 0; k < r->cs->n_labels; k++) {
			if (k) {
				xmlw_start(&w, "br");
				xmlw_end(&w);
			}
			snprintf(buf, sizeof(buf), "%s: ", r->cs->labels[k].key);
			h_text(&w, buf);
			h_text(&w, r->cs->labels[k].value);
		}
		xmlw_end(&w);
		xmlw_start(&w, "td");
		for (size_t k = 0; k < r->cs->n_captures; k++) {
			if (k) {
				xmlw_start(&w, "br");
				xmlw_end(&w);
			}
			xmlw_start(&w, "code");
			h_text(&w, r->cs->captures[k]);
			xmlw_end(&w);
		}
		xmlw_start(&w, "br");
		xmlw_end(&w);
		h_text(&w, "tunnel: ");
		xmlw_start(&w, "code");
		h_text(&w, r->cs->tunnel ? r->cs->tunnel : "auto (suggested from the capture)");
		xmlw_end(&w);
		if (r->cs->tunnel_is_config)
			h_text(&w, " (client configuration)");
		xmlw_end(&w);
		xmlw_start(&w, "td");
		h_text(&w, campaign_expect_str(r->cs, exp, sizeof(exp)));
		xmlw_end(&w);
		xmlw_start(&w, "td");
		h_case(&w, r, true);
		xmlw_end(&w);
		xmlw_end(&w);
	}
	xmlw_end(&w);
	xmlw_end(&w); /* table */
	xmlw_end(&w); /* body */
	xmlw_end(&w); /* html */
	return xmlw_close(&w);
}

/* ---------------------------------------------------------------------- */

int out_matrix(const struct campaign *c, const struct audit_row *rows, size_t n, const char *dir, char *err,
	       size_t errlen)
{
	struct axis rx, cx;
	axis_build(&rx, c->rows ? c->rows : "id", rows, n);
	axis_build(&cx, c->columns, rows, n);
	if (!c->columns) {
		cx.n = 0;
		cx.has_null = true; /* one column for every case */
	}
	static const char *const names[] = {"matrix.xml", "matrix.json", "junit.xml", "gradebook.csv", "matrix.html"};
	int rc = 0;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && rc == 0; k++) {
		/* written beside as .NAME.tmp (created exclusively, never through
		 * a link), then renamed over NAME: a rename replaces a planted
		 * link, it does not follow it, and a reader never sees half a file */
		char *fin = path_in(dir, names[k]);
		char tname[64];
		snprintf(tname, sizeof(tname), ".%s.tmp", names[k]);
		char *p = path_in(dir, tname);
		if (unlink(p) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot remove: %s", p, strerror(errno));
			free(p);
			free(fin);
			rc = -1;
			break;
		}
		errno = 0;
		int r;
		switch (k) {
		case 0: r = write_xml(c, rows, n, &rx, &cx, p); break;
		case 1: r = write_json(c, rows, n, &rx, &cx, p); break;
		case 2: r = write_junit(c, rows, n, &rx, &cx, p); break;
		case 3: r = write_csv(c, rows, n, p); break;
		default: r = write_html(c, rows, n, &rx, &cx, p); break;
		}
		if (r == 0 && rename(p, fin) < 0)
			r = -1;
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot write: %s", fin, strerror(errno ? errno : EIO));
			unlink(p);
			rc = -1;
		}
		free(p);
		free(fin);
	}
	free(rx.vals);
	free(cx.vals);
	return rc;
}
