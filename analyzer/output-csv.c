/* output-csv.c - DIR/findings.csv: one row per leak (RFC 4180), safe to open in a spreadsheet. */
#include <inttypes.h>
#include <string.h>

#include "output.h"

/*
 * One cell.  RFC 4180: a cell holding a comma, a quote, CR or LF is quoted,
 * quotes doubled.  A cell beginning with = + - @ (or tab, CR) is a formula
 * to Excel, LibreOffice and Google Sheets, which a hostile query name could
 * use (=HYPERLINK(...), DDE): such a cell is prefixed with ' (OWASP's CSV
 * injection advice), shown as text and harmless.  NULL is an empty cell.
 */
static void cell(FILE *out, const char *s, bool last)
{
	if (s && *s) {
		bool formula = strchr("=+-@\t\r", s[0]) != NULL;
		bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
		if (quote)
			fputc('"', out);
		if (formula)
			fputc('\'', out);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		if (quote)
			fputc('"', out);
	}
	fputs(last ? "\r\n" : ",", out);
}

/* The writers' "-" for "none" is an empty cell here. */
static const char *none_empty(const char *s)
{
	return s && strcmp(s, "-") == 0 ? NULL : s;
}

int out_findings_csv(struct analysis *a, FILE *out)
{
	static const char *const cols[] = {"host", "time", "verdict", "category", "severity", "phase", "service",
					   "client", "client_port", "server", "server_port", "query", "qtype",
					   "answers", "sni", "iface", "file", "frame", "response_frame", "evidence",
					   "cause", "remedy", NULL};
	for (size_t i = 0; cols[i]; i++)
		cell(out, cols[i], !cols[i + 1]);
	size_t n = ev_count(a->ev);
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = ev_get(a->ev, i);
		/* a leak; without a description, what was seen outside is
		 * undecided, and listed as such (never an empty, "clean" file) */
		bool undecided = e->category == CAT_OUTSIDE_NO_TUNNEL;
		if (e->verdict != VERDICT_LEAK && !undecided)
			continue;
		char b[128], c[128], tb[40], qb[16], ib[80], pb[8], spb[8], fb[24], rfb[24], ev[4400];
		const char *file = a->files[e->file_idx].path;
		cell(out, e->host_idx >= 0 && (size_t)e->host_idx < a->nhosts ? a->hosts[e->host_idx].id : NULL, false);
		cell(out, out_time(e->ts_sec, e->ts_nsec, tb, sizeof(tb)), false);
		cell(out, undecided ? "undecided" : ev_verdict_str(e->verdict), false);
		cell(out, none_empty(ev_category_str(e->category)), false);
		cell(out, cat_severity(e->category), false);
		cell(out, none_empty(ev_phase_str(e->phase)), false);
		cell(out, ev_proto_str(e->proto), false);
		cell(out, addr_str(&e->client, b, sizeof(b)), false);
		snprintf(pb, sizeof(pb), "%u", e->client_port);
		cell(out, pb, false);
		cell(out, addr_str(&e->server, c, sizeof(c)), false);
		snprintf(spb, sizeof(spb), "%u", e->server_port);
		cell(out, spb, false);
		cell(out, e->qname, false);
		cell(out, e->qname ? ev_qtype_label(e, qb, sizeof(qb)) : NULL, false);
		cell(out, e->answers, false);
		cell(out, e->sni, false);
		cell(out, none_empty(an_iface_label(a, e->iface_ref, ib, sizeof(ib))), false);
		cell(out, file, false);
		snprintf(fb, sizeof(fb), "%" PRIu64, e->frame);
		cell(out, fb, false);
		bool resp = e->answered && e->resp_frame;
		snprintf(rfb, sizeof(rfb), "%" PRIu64, e->resp_frame);
		cell(out, resp ? rfb : NULL, false);
		if (resp)
			snprintf(ev, sizeof(ev), "%s frame %" PRIu64 "; response %s frame %" PRIu64, file, e->frame,
				 a->files[e->resp_file_idx].path, e->resp_frame);
		else
			snprintf(ev, sizeof(ev), "%s frame %" PRIu64, file, e->frame);
		cell(out, ev, false);
		cell(out, cat_cause(e->category), false);
		cell(out, cat_remedy(e->category), true);
	}
	return ferror(out) ? -1 : 0;
}
