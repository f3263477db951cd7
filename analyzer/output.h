/* output.h - writers: the events TSV and JSON lines, the XML, HTML and JSON reports, the findings CSV. */
#ifndef LS_OUTPUT_H
#define LS_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze.h"

#define LS_VERSION "0.1.0"
#define LS_REPORT_NS "urn:leakscope:report:1"

/* One row per question, header first; the host column is the host's id
 * ("-" for none).  with_verdict adds the verdict, category and severity
 * columns.  Returns 0 or -1 on a write error. */
int out_events_tsv(struct analysis *a, FILE *out, bool with_verdict);

/* One JSON object a line per question (reports/events.schema.json: Zeek
 * dns.log's field names where one exists, leakscope's own besides);
 * with_verdict adds verdict, category, severity, phase, tunnel, reason.
 * Returns 0 or -1 on a write error. */
int out_events_json(struct analysis *a, FILE *out, bool with_verdict);

/* Writes DIR/summary.json (the captures, the description, each host's
 * verdict and counts) and DIR/findings.csv (out_findings_csv); DIR exists
 * (out_xml_reports made it).  Returns 0, or -1 with a message in err. */
int out_json_reports(struct analysis *a, const char *dir, char *err, size_t errlen);

/* One CSV row (RFC 4180, CRLF) per leak, or per question seen outside and
 * undecided when there is no description, header first; cells that a
 * spreadsheet would take for a formula are prefixed with '.  Returns 0 or
 * -1 on a write error. */
int out_findings_csv(struct analysis *a, FILE *out);


/* Writes DIR/summary.xml and DIR/hosts/<host>.xml (creating the folders).
 * Returns 0, or -1 with a message in err. */
int out_xml_reports(struct analysis *a, const char *dir, char *err, size_t errlen);

/* Writes DIR/index.html and DIR/hosts/<host>.html (creating the folders):
 * self-contained pages (inline CSS and SVG, no script, nothing fetched) with
 * the same hosts, events and counts as the XML reports, which they link to
 * (summary.xml, hosts/<host>.xml: write those too).  Deterministic: the same
 * analysis gives the same bytes.  Call after an_finish().  Returns 0, or -1
 * with a message naming the file in err. */
int out_html_reports(struct analysis *a, const char *dir, char *err, size_t errlen);

/* Prints the short per-host summary table for the terminal. */
void out_summary_table(struct analysis *a, FILE *out);

/* Text of a capture time for reports: ISO 8601 UTC, microseconds. */
const char *out_time(int64_t sec, uint32_t nsec, char *buf, size_t len);

#endif
