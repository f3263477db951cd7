/* output-xml.c - per-host XML reports and summary.xml (schema: reports/report.xsd). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "custody.h"
#include "output.h"
#include "xmlw.h"

/* Thin names over the writer, so the report code reads as a document. */
#define attr(w, n, v) xmlw_attr(w, n, v)
#define attr_u64(w, n, v) xmlw_attr_u64(w, n, v)
#define elem(w, n, v) xmlw_elem(w, n, v)
#define start(w, n) xmlw_start(w, n)
#define end(w) xmlw_end(w)
/* For values that stay where they are while a report is written (xmlw.h)
 * and come from a small set: literals, paths and names from the analysis.
 * Escaped once per report, however many events repeat them.  (Names and
 * answers from the capture differ from event to event: they would only
 * push those out of the cache.) */
#define attr_k(w, n, v) xmlw_attr_stable(w, n, v)
#define elem_k(w, n, v) xmlw_elem_stable(w, n, v)

#define PREFETCH_AHEAD 8 /* events: see ev_prefetch (event.h) */

static int open_doc(struct xmlw *w, const char *path, const char *root)
{
	if (xmlw_open(w, path) < 0)
		return -1;
	start(w, root);
	attr(w, "xmlns", LS_REPORT_NS);
	attr(w, "version", "1");
	attr(w, "generator", "leakscope " LS_VERSION);
	return 0;
}

static const char *host_status(const struct analysis *a, const struct an_host *h)
{
	return an_host_status(a, h);
}

static void write_time(struct xmlw *w, const char *name, int64_t s, uint32_t ns)
{
	char tb[40];
	attr(w, name, out_time(s, ns, tb, sizeof(tb)));
}

/* Where the tunnel description came from: a report built on a suggested
 * description says so on its face. */
static void write_description(const struct analysis *a, struct xmlw *w)
{
	start(w, "tunnel-description");
	attr(w, "source", !a->rules ? "none" : a->suggested ? "suggested" : "given");
	if (a->rules && !a->suggested)
		attr(w, "path", a->rules->path);
	if (a->suggested)
		elem(w, "notice", "No tunnel description was given: this one was suggested from the carrier traffic in the capture. Check it (leakscope suggest-tunnel prints it) before relying on these verdicts.");
	else if (!a->rules)
		elem(w, "notice", "No tunnel description was given and no tunnel carrier was recognised: no verdict can be decided.");
	end(w);
}

static void write_event(struct analysis *a, struct xmlw *w, const struct ev *e)
{
	char b[128], qb[16];
	start(w, "event");
	write_time(w, "time", e->ts_sec, e->ts_nsec);
	attr(w, "phase", ev_phase_str(e->phase));
	attr(w, "proto", ev_proto_str(e->proto));
	attr(w, "client", addr_str(&e->client, b, sizeof(b)));
	attr_u64(w, "client-port", e->client_port);
	attr(w, "server", addr_str(&e->server, b, sizeof(b)));
	attr_u64(w, "server-port", e->server_port);
	if (e->iface_ref < a->nifaces)
		attr_k(w, "iface", an_iface_text(a, e->iface_ref));
	else
		attr(w, "iface", "-");
	attr(w, "path", ev_path_str(e->path));
	attr(w, "verdict", ev_verdict_str(e->verdict));
	attr(w, "category", ev_category_str(e->category));
	attr(w, "severity", cat_severity(e->category));
	if (a->rules && e->tunnel_idx >= 0)
		attr_k(w, "tunnel", a->rules->tunnels[e->tunnel_idx].name);
	if (e->retrans)
		attr_u64(w, "retransmissions", e->retrans);
	if (e->rtt_us >= 0)
		attr_u64(w, "rtt-us", (uint64_t)e->rtt_us);
	if (e->tls_app_records[0] || e->tls_app_records[1]) {
		attr_u64(w, "tls-records-up", e->tls_app_records[0]);
		attr_u64(w, "tls-records-down", e->tls_app_records[1]);
	}
	if (e->encap) {
		/* inside a cleartext tunnel: it protects nothing, but an
		 * auditor must see the query travelled in one */
		attr_k(w, "encapsulation", e->encap);
		attr(w, "outer-client", addr_str(&e->outer_src, b, sizeof(b)));
		attr(w, "outer-server", addr_str(&e->outer_dst, b, sizeof(b)));
	}
	elem(w, "qname", e->qname); /* mostly different from event to event: not worth a slot */
	if (e->qname)
		elem(w, "qtype", ev_qtype_label(e, qb, sizeof(qb)));
	if (e->rcode >= 0) {
		char rcb[16];
		elem(w, "rcode", an_rcode_text(e, rcb, sizeof(rcb)));
	}
	elem(w, "answers", e->answers);
	elem(w, "sni", e->sni);
	elem_k(w, "reason", e->reason);
	if (cat_explained(e->category)) {
		elem_k(w, "cause", cat_cause(e->category));
		elem_k(w, "remedy", cat_remedy(e->category));
		/* the same in the host's own system's terms, when its traffic
		 * says which system it is (host-os.c) */
		const struct an_host *ho = e->host_idx >= 0 && (size_t)e->host_idx < a->nhosts ? &a->hosts[e->host_idx] : NULL;
		const char *osr = an_os_remedy(ho, e->category);
		if (osr) {
			start(w, "os-remedy");
			attr_k(w, "os", os_token(ho->os));
			xmlw_text_stable(w, osr);
			end(w);
		}
	}
	if (e->anomalies)
	{
		char ab[16];
		snprintf(ab, sizeof(ab), "0x%x", e->anomalies);
		elem(w, "anomalies", ab);
	}
	struct an_notes notes;
	an_event_notes(a, e, &notes);
	for (size_t k = 0; k < notes.n; k++) {
		if (notes.stable[k])
			elem_k(w, "note", notes.text[k]);
		else
			elem(w, "note", notes.text[k]);
	}
	start(w, "evidence");
	attr_k(w, "file", a->files[e->file_idx].path);
	attr_u64(w, "frame", e->frame);
	attr(w, "role", e->from_response ? "response" : "query");
	end(w);
	if (e->answered && !e->from_response) {
		start(w, "evidence");
		attr_k(w, "file", a->files[e->resp_file_idx].path);
		attr_u64(w, "frame", e->resp_frame);
		attr(w, "role", "response");
		end(w);
	}
	end(w);
}

static void write_host_elem(struct xmlw *w, const struct analysis *a, const struct an_host *h)
{
	char b[64];
	attr(w, "id", h->id);
	if (h->has_mac) {
		attr(w, "mac", an_mac_text(h->mac, b, sizeof(b)));
	}
	attr(w, "verdict", host_status(a, h));
	attr_u64(w, "events", h->events);
	attr_u64(w, "leaks", h->leaks);
	attr_u64(w, "allowed", h->allowed);
}

/* A host's <count> elements, one per category it has events in. */
static void write_cat_counts(struct xmlw *w, const uint64_t *by_cat)
{
	for (int c = 1; c < CAT__N; c++) {
		if (!by_cat[c])
			continue;
		start(w, "count");
		attr(w, "category", ev_category_str((enum ev_category)c));
		attr(w, "severity", cat_severity((enum ev_category)c));
		attr_u64(w, "n", by_cat[c]);
		end(w);
	}
}

static void write_counts(struct xmlw *w, const struct an_host *h)
{
	write_cat_counts(w, h->by_cat);
}

static int write_host(struct analysis *a, const char *dir, size_t hi, struct ev_reader *rd, size_t first,
		      size_t nevs, char *err, size_t errlen)
{
	struct an_host *h = &a->hosts[hi];
	char path[4096];
	struct xmlw xw, *w = &xw;
	if (ls_path(path, sizeof(path), "%s/hosts/%s.xml", dir, h->id) < 0 || open_doc(w, path, "host-report") < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	write_description(a, w);
	start(w, "host");
	write_host_elem(w, a, h);
	for (size_t i = 0; i < h->naddrs; i++) {
		char b[64];
		elem(w, "address", addr_str(&h->addrs[i], b, sizeof(b)));
	}
	for (size_t i = 0; i < h->nnames; i++)
		elem(w, "name", h->names[i]);
	/* its system as its own traffic shows it, with what counted: "unknown"
	 * unless the evidence is clear (os-infer.h) */
	start(w, "os");
	attr(w, "name", os_token(h->os));
	attr(w, "confidence", h->os_confidence ? h->os_confidence : "unknown");
	attr(w, "evidence", h->os_evidence ? h->os_evidence : "");
	end(w);
	end(w);
	start(w, "counts");
	write_counts(w, h);
	end(w);
	start(w, "events");
	/* The report cap (analyze.h): past max_host_events, the host's leaks
	 * come first (up to the cap), the rest of the list is its first other
	 * events; in time order either way.  The counts above stay whole. */
	size_t cap = a->opt.max_host_events ? a->opt.max_host_events : AN_DEFAULT_HOST_EVENTS;
	bool cut = nevs > cap;
	uint64_t leak_room = cut ? (h->leaks < cap ? h->leaks : cap) : nevs;
	uint64_t other_room = cut ? cap - leak_room : nevs;
	if (cut) {
		attr_u64(w, "listed", cap);
		attr_u64(w, "total", nevs);
	}
	for (size_t i = 0; i < nevs; i++) {
		if (i + PREFETCH_AHEAD < nevs)
			ev_prefetch(ev_read(rd, first + i + PREFETCH_AHEAD), false);
		if (i + PREFETCH_AHEAD / 2 < nevs)
			ev_prefetch(ev_read(rd, first + i + PREFETCH_AHEAD / 2), true);
		const struct ev *e = ev_read(rd, first + i);
		if (cut) {
			uint64_t *room = e->verdict == VERDICT_LEAK ? &leak_room : &other_room;
			if (!*room)
				continue;
			(*room)--;
		}
		write_event(a, w, e);
	}
	end(w);
	if (xmlw_close(w) < 0) {
		snprintf(err, errlen, "%s: write failed: %s", path, errno ? strerror(errno) : "output error");
		return -1;
	}
	return 0;
}


static void write_custody(const struct analysis *a, struct xmlw *w);

static void write_summary_body(struct analysis *a, struct xmlw *w, const size_t *order)
{
	const struct an_integrity *g = &a->integ;
	start(w, "verdict");
	attr(w, "status", an_status_str(g->status));
	attr_u64(w, "leaks", g->leaks);
	attr_u64(w, "hosts", a->nhosts);
	attr_u64(w, "events", ev_count(a->ev));
	attr_u64(w, "judged", g->judged);
	for (size_t i = 0; i < g->nreasons; i++) {
		start(w, "reason");
		attr(w, "code", g->reasons[i].code);
		attr(w, "blocks-clean", g->reasons[i].blocks_clean ? "true" : "false");
		xmlw_text(w, g->reasons[i].text);
		end(w);
	}
	end(w);

	write_description(a, w);

	start(w, "captures");
	if (a->opt.filter) /* -f: what it left out was not seen */
		attr(w, "filter", a->opt.filter);
	for (size_t i = 0; i < a->nfiles; i++) {
		struct an_file *f = &a->files[i];
		start(w, "capture");
		attr(w, "path", f->path);
		attr(w, "format", f->format ? f->format : "unreadable");
		attr_u64(w, "packets", f->packets);
		attr_u64(w, "bytes", f->bytes);
		if (f->packets) {
			write_time(w, "first", f->first_sec, f->first_nsec);
			write_time(w, "last", f->last_sec, f->last_nsec);
		}
		attr_u64(w, "snapped", f->snapped);
		attr(w, "truncated", f->truncated ? "true" : "false");
		for (int l = 0; l < f->n_linktypes; l++) {
			start(w, "linktype");
			attr_u64(w, "id", (uint64_t)f->linktypes[l]);
			attr(w, "name", cap_linktype_name(f->linktypes[l]));
			end(w);
		}
		elem(w, "error", f->error);
		end(w);
	}
	end(w);

	start(w, "interfaces");
	for (size_t i = 0; i < a->nifaces; i++) {
		struct an_iface *f = &a->ifaces[i];
		start(w, "interface");
		attr_u64(w, "capture", f->file_idx);
		attr(w, "label", an_iface_text(a, (uint32_t)i));
		attr(w, "linktype", cap_linktype_name(f->linktype));
		attr(w, "role", iface_role_str(f->role));
		attr(w, "why", f->role_why);
		attr_u64(w, "packets", f->pkts);
		end(w);
	}
	end(w);

	start(w, "tunnels");
	for (size_t t = 0; a->rules && t < a->rules->n_tunnels; t++) {
		struct an_tunnel *tu = &a->tun[t];
		start(w, "tunnel");
		attr(w, "name", a->rules->tunnels[t].name);
		attr(w, "kind", rules_kind_str(a->rules->tunnels[t].kind));
		attr_u64(w, "carrier-packets", tu->carrier_pkts);
		attr_u64(w, "carrier-bytes", tu->carrier_bytes);
		attr_u64(w, "inside-packets", tu->inside_pkts);
		attr_u64(w, "handshakes", tu->handshakes);
		attr(w, "seen", tu->nsegs ? "true" : "false");
		xmlw_attrf(w, "gap-seconds", "%.3f", (double)tu->gap_us / 1e6);
		attr(w, "gap-why", tu->gap_why ? tu->gap_why : "-");
		if (tu->keepalive_us)
			xmlw_attrf(w, "keepalive-seconds", "%.3f",
							  (double)tu->keepalive_us / 1e6);
		for (size_t s = 0; s < tu->nsegs; s++) {
			start(w, "up");
			write_time(w, "from", tu->segs[s].start_sec, tu->segs[s].start_nsec);
			write_time(w, "to", tu->segs[s].end_sec, tu->segs[s].end_nsec);
			attr_u64(w, "packets", tu->segs[s].pkts);
			end(w);
		}
		end(w);
	}
	end(w);

	start(w, "hosts");
	for (size_t k = 0; k < a->nlisted; k++) {
		struct an_host *h = &a->hosts[order[k]];
		start(w, "host");
		write_host_elem(w, a, h);
		char rp[300];
		snprintf(rp, sizeof(rp), "hosts/%s.xml", h->id);
		attr(w, "report", rp);
		write_counts(w, h);
		end(w);
	}
	if (a->unlisted.hosts) {
		/* the report cap: hosts without a page, summed up */
		start(w, "unlisted-hosts");
		attr_u64(w, "hosts", a->unlisted.hosts);
		attr_u64(w, "events", a->unlisted.events);
		attr_u64(w, "leaks", a->unlisted.leaks);
		attr_u64(w, "allowed", a->unlisted.allowed);
		write_cat_counts(w, a->unlisted.by_cat);
		end(w);
	}
	end(w);

	start(w, "evidence");
	for (size_t i = 0; i < a->nroutes; i++) {
		const struct an_route *r = &a->routes[i];
		char b[64];
		start(w, "dhcp-route");
		{
			char nb[80];
			attr(w, "prefix", an_route_prefix(r, nb, sizeof(nb)));
		}
		attr(w, "gateway", addr_str(&r->gw, b, sizeof(b)));
		attr_u64(w, "option", r->option);
		if (r->has_mac) {
			attr(w, "client-mac", an_mac_text(r->mac, b, sizeof(b)));
		}
		attr(w, "file", a->files[r->file_idx].path);
		attr_u64(w, "frame", r->frame);
		end(w);
	}
	if (a->endpoint_cleartext_pkts) {
		start(w, "endpoint-cleartext");
		attr_u64(w, "packets", a->endpoint_cleartext_pkts);
		attr(w, "file", a->files[a->endpoint_cleartext_file].path);
		attr_u64(w, "frame", a->endpoint_cleartext_frame);
		elem(w, "note", an_note_endpoint_cleartext);
		end(w);
	}
	end(w);

	const struct decode_stats *ds = decode_get_stats(a->dec);
	start(w, "anomalies");
	attr_u64(w, "malformed-packets", ds->malformed);
	attr_u64(w, "snapped-packets", ds->snapped);
	attr_u64(w, "unsupported-link-packets", a->unsupported_link);
	attr_u64(w, "fragments-dropped", ds->frag_dropped);
	attr_u64(w, "decapsulated-packets", ds->decap_packets);
	attr_u64(w, "tunnel-headers-invalid", ds->tunnel_invalid);
	attr_u64(w, "tunnel-depth-capped", ds->encap_depth_capped);
	attr_u64(w, "undecodable-dns", a->dns_undecodable);
	attr_u64(w, "carrier-on-dns-port", a->carrier_veto);
	attr_u64(w, "duplicate-packets", a->dup_pkts);
	attr_u64(w, "events-dropped", ev_dropped(a->ev));
	attr_u64(w, "flows-evicted", a->flows_evicted);
	attr(w, "interface-cap-reached", a->ifaces_capped ? "true" : "false");
	attr(w, "host-cap-reached", a->hosts_capped ? "true" : "false");
	attr(w, "fragment-cap-reached", ds->frag_cap_reached ? "true" : "false");
	if (ds->tso) /* only when seen: the reports of other captures keep their bytes */
		attr_u64(w, "tso-frames", ds->tso);
	end(w);
	write_custody(a, w);
}

/* Text of several lines as one <line> element each (the XML writer shows
 * a newline in text as \x0a: a file's lines stay lines). */
static void write_lines(struct xmlw *w, const char *name, const char *text)
{
	start(w, name);
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xmalloc(l + 1);
		memcpy(line, p, l);
		line[l] = 0;
		elem(w, "line", line);
		free(line);
		p += l + (nl ? 1 : 0);
	}
	end(w);
}

/* What judged what: the command line, the versions, each capture's size
 * and SHA-256, the description's digest and content (custody.h). */
static void write_custody(const struct analysis *a, struct xmlw *w)
{
	const struct custody *c = a->custody;
	if (!c)
		return;
	start(w, "custody");
	start(w, "command");
	for (int i = 0; i < c->argc; i++)
		elem(w, "arg", c->argv[i]);
	end(w);
	static const char *const comp[4] = {"leakscope", "capture-libraries", "ndpi", "libxml2"};
	for (int i = 0; i < 4; i++) {
		start(w, "version");
		attr(w, "component", comp[i]);
		attr(w, "value", c->versions[i]);
		end(w);
	}
	for (size_t i = 0; i < c->ncaps; i++) {
		const struct custody_capture *k = &c->caps[i];
		start(w, "capture-file");
		attr(w, "path", k->path);
		if (k->sha256[0]) {
			attr_u64(w, "size", k->size);
			attr(w, "sha256", k->sha256);
		}
		attr(w, "hashed", k->how);
		elem(w, "error", k->error);
		end(w);
	}
	start(w, "description");
	attr(w, "source", c->desc_source);
	if (c->desc_path)
		attr(w, "path", c->desc_path);
	if (c->desc_text) {
		attr_u64(w, "size", c->desc_size);
		attr(w, "sha256", c->desc_sha256);
		attr_u64(w, "redacted-lines", c->desc_redacted);
		write_lines(w, "content", c->desc_text);
		if (c->desc_translated)
			write_lines(w, "translated", c->desc_translated);
	}
	end(w);
	end(w);
}

int out_xml_reports(struct analysis *a, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	if (ls_path(path, sizeof(path), "%s/hosts", dir) < 0 || ls_mkdir_p(dir) < 0 || ls_mkdir_p(path) < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	const size_t *order = a->host_order; /* facts.c: hosts by id */
	/* Each host's events, in event order, one sweep each: the host view
	 * (an_prepare_reports) keeps them together. */
	an_prepare_reports(a);
	struct ev_reader *rd = ev_reader_new(a->ev, a->evview);
	int rc = 0;
	for (size_t k = 0; k < a->nlisted && rc == 0; k++) {
		size_t h = order[k], first = ev_hostview_start(a->evview, h);
		rc = write_host(a, dir, h, rd, first, ev_hostview_start(a->evview, h + 1) - first, err, errlen);
	}
	ev_reader_free(rd);
	if (rc == 0) {
		struct xmlw xw, *w = &xw;
		if (ls_path(path, sizeof(path), "%s/summary.xml", dir) < 0 || open_doc(w, path, "summary") < 0) {
			snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
			rc = -1;
		} else {
			write_summary_body(a, w, order);
			if (xmlw_close(w) < 0) {
				snprintf(err, errlen, "%s: write failed: %s", path, errno ? strerror(errno) : "output error");
				rc = -1;
			}
		}
	}
	return rc;
}

void out_summary_table(struct analysis *a, FILE *out)
{
	const size_t *order = a->host_order; /* facts.c: hosts by id */
	fprintf(out, "%-24s %-10s %7s %7s %7s  %s\n", "host", "verdict", "events", "leaks", "allowed", "leaks by category");
	for (size_t k = 0; k < a->nlisted; k++) {
		struct an_host *h = &a->hosts[order[k]];
		fprintf(out, "%-24s %-10s %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " ", h->id, host_status(a, h), h->events,
			h->leaks, h->allowed);
		/* leaks only (category.c's kind), then what is reported without
		 * being a leak (resolver-bypass) */
		bool first = true;
		for (int c = 1; c < CAT__N; c++) {
			if (!h->by_cat[c] || !cat_is_leak((enum ev_category)c))
				continue;
			fprintf(out, "%s%s=%" PRIu64, first ? " " : ", ", ev_category_str((enum ev_category)c), h->by_cat[c]);
			first = false;
		}
		bool reported = false;
		for (int c = 1; c < CAT__N; c++) {
			if (!h->by_cat[c] || cat_info((enum ev_category)c)->kind != CK_REPORTED)
				continue;
			fprintf(out, "%s%s=%" PRIu64, reported ? ", " : first ? " reported, not leaks: " : "; reported, not leaks: ",
				ev_category_str((enum ev_category)c), h->by_cat[c]);
			reported = true;
		}
		fputc('\n', out);
	}
	if (a->unlisted.hosts)
		fprintf(out, "(%" PRIu64 " more hosts without a page: %" PRIu64 " events, %" PRIu64 " leaks, %" PRIu64
			" allowed; see summary.xml)\n",
			a->unlisted.hosts, a->unlisted.events, a->unlisted.leaks, a->unlisted.allowed);
}
