/* output-tsv.c - the events table: one tab-separated row per name-resolution question. */
#include <inttypes.h>
#include <string.h>

#include "output.h"

const char *out_time(int64_t sec, uint32_t nsec, char *buf, size_t len)
{
	return time_iso(sec, nsec, buf, len);
}

/* Fields come from the capture: the DNS parser already escapes every byte
 * outside 0x21..0x7e, nDPI strings are made printable, interface names are
 * sanitised by the capture reader.  Tabs and newlines are replaced here all
 * the same, so no field can break the table. */
static void put_field(FILE *out, const char *s)
{
	if (!s || !*s) {
		fputc_unlocked('-', out);
		return;
	}
	/* clean runs in one write each (the stream is locked by the caller) */
	while (*s) {
		size_t run = strcspn(s, "\t\n\r");
		fwrite_unlocked(s, 1, run, out);
		s += run;
		if (!*s)
			break;
		fwrite_unlocked("\\t", 1, 2, out);
		s++;
	}
}

int out_events_tsv(struct analysis *a, FILE *out, bool with_verdict)
{
	fputs("time\tproto\tclient\tclient_port\tserver\tserver_port\tqname\tqtype\trcode\tanswers\tsni\tiface\tpath\tfile\tframe"
	      "\thost",
	      out);
	if (with_verdict)
		fputs("\tverdict\tcategory\tseverity", out);
	fputc('\n', out);
	size_t n = ev_count(a->ev);
	flockfile(out); /* once, not per character */
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = ev_get(a->ev, i);
		char tb[40], cb[64], sb[64], qb[16];
		fprintf(out, "%s\t%s\t%s\t%u\t%s\t%u\t", out_time(e->ts_sec, e->ts_nsec, tb, sizeof(tb)),
			ev_proto_str(e->proto), addr_str(&e->client, cb, sizeof(cb)), e->client_port,
			addr_str(&e->server, sb, sizeof(sb)), e->server_port);
		put_field(out, e->qname);
		fputc('\t', out);
		put_field(out, e->qname ? ev_qtype_label(e, qb, sizeof(qb)) : NULL);
		fputc('\t', out);
		const char *rc = NULL;
		char rcb[16];
		if (e->rcode >= 0)
			rc = an_rcode_text(e, rcb, sizeof(rcb)); /* facts.c */
		put_field(out, rc);
		fputc('\t', out);
		put_field(out, e->answers);
		fputc('\t', out);
		put_field(out, e->sni);
		fputc('\t', out);
		put_field(out, an_iface_text(a, e->iface_ref));
		fprintf(out, "\t%s\t", ev_path_str(e->path));
		put_field(out, a->files[e->file_idx].path);
		fprintf(out, "\t%" PRIu64 "\t", e->frame);
		put_field(out, e->host_idx >= 0 && (size_t)e->host_idx < a->nhosts ? a->hosts[e->host_idx].id : NULL);
		if (with_verdict)
			fprintf(out, "\t%s\t%s\t%s", ev_verdict_str(e->verdict), ev_category_str(e->category),
				cat_severity(e->category));
		fputc('\n', out);
	}
	funlockfile(out);
	return ferror(out) ? -1 : 0;
}
