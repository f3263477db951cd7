/* output-json.c - JSON writers (RFC 8259): events as JSON lines (field names after Zeek's dns.log) and DIR/summary.json. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "outdir.h"
#include "custody.h"
#include "output.h"

/* A JSON string.  Everything from a capture or a file name is hostile: ",
 * \ and control characters are escaped, bytes that are not well-formed
 * UTF-8 become U+FFFD, so every line parses whatever the input held. */
static void put_str(FILE *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	fputc_unlocked('"', out);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		if (c == '"' || c == '\\') {
			fputc_unlocked('\\', out);
			fputc_unlocked((int)c, out);
			p++;
		} else if (c < 0x20) {
			fputs_unlocked("\\u00", out);
			fputc_unlocked(hex[c >> 4], out);
			fputc_unlocked(hex[c & 15], out);
			p++;
		} else if (c < 0x80) {
			fputc_unlocked((int)c, out);
			p++;
		} else {
			/* RFC 3629 section 4: the well-formed sequences */
			size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
			bool ok = n > 0;
			for (size_t k = 1; ok && k < n; k++)
				ok = (p[k] & 0xc0) == 0x80;
			if (ok && n == 3)
				ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] > 0x9f);
			if (ok && n == 4)
				ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] > 0x8f);
			if (ok) {
				fwrite_unlocked(p, 1, n, out);
				p += n;
			} else {
				fputs_unlocked("\\ufffd", out);
				p++;
			}
		}
	}
	fputc_unlocked('"', out);
}

static void key(FILE *out, bool *first, const char *k)
{
	if (!*first)
		fputc_unlocked(',', out);
	*first = false;
	put_str(out, k);
	fputc_unlocked(':', out);
}

static void kv_str(FILE *out, bool *first, const char *k, const char *v)
{
	if (!v)
		return;
	key(out, first, k);
	put_str(out, v);
}

static void kv_u64(FILE *out, bool *first, const char *k, uint64_t v)
{
	key(out, first, k);
	fprintf(out, "%" PRIu64, v);
}

static void kv_bool(FILE *out, bool *first, const char *k, bool v)
{
	key(out, first, k);
	fputs_unlocked(v ? "true" : "false", out);
}

/* Zeek's ts: seconds since the epoch, here exactly to the microsecond as
 * the capture gives it (written as decimal text, never through a double). */
static void kv_ts(FILE *out, bool *first, const char *k, int64_t sec, uint32_t nsec)
{
	key(out, first, k);
	if (sec < 0 && nsec) /* -1.5 s is sec -2 + 0.5 */
		fprintf(out, "-%" PRId64 ".%06u", -(sec + 1), (1000000000u - nsec) / 1000u);
	else
		fprintf(out, "%" PRId64 ".%06u", sec, nsec / 1000u);
}

/* Zeek's proto is the transport; DoH's (TLS or QUIC) is not kept on the
 * event, so it has none. */
static const char *transport_of(enum ev_proto p)
{
	switch (p) {
	case EVP_DNS_TCP:
	case EVP_DOT: return "tcp";
	case EVP_DNS_UDP:
	case EVP_DOQ:
	case EVP_MDNS:
	case EVP_LLMNR:
	case EVP_NBNS: return "udp";
	default: return NULL;
	}
}

/* e->answers is "TYPE data,TYPE data" (a ',' inside data is written \044,
 * event.c), ",..." when cut: Zeek's answers are the data, in order. */
static void put_answers(FILE *out, bool *first, const char *ans)
{
	if (!ans)
		return;
	for (int pass = 0; pass < 2; pass++) {
		key(out, first, pass == 0 ? "answers" : "answer_types");
		fputc_unlocked('[', out);
		const char *p = ans;
		bool any = false;
		while (*p) {
			size_t n = strcspn(p, ",");
			if (!(n == 3 && memcmp(p, "...", 3) == 0)) {
				const char *sp = memchr(p, ' ', n);
				char item[2048];
				size_t from = pass == 0 ? (sp ? (size_t)(sp - p) + 1 : 0) : 0;
				size_t to = pass == 0 ? n : (sp ? (size_t)(sp - p) : n);
				size_t len = to - from < sizeof(item) - 1 ? to - from : sizeof(item) - 1;
				memcpy(item, p + from, len);
				item[len] = '\0';
				if (any)
					fputc_unlocked(',', out);
				put_str(out, item);
				any = true;
			}
			p += n;
			if (*p == ',')
				p++;
		}
		fputc_unlocked(']', out);
	}
	if (strstr(ans, ",...") && ans[strlen(ans) - 1] == '.')
		kv_bool(out, first, "answers_cut", true);
}

int out_events_json(struct analysis *a, FILE *out, bool with_verdict)
{
	size_t n = ev_count(a->ev);
	flockfile(out);
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = ev_get(a->ev, i);
		char b[128], tb[40];
		bool first = true;
		fputc_unlocked('{', out);
		kv_ts(out, &first, "ts", e->ts_sec, e->ts_nsec);
		kv_str(out, &first, "time", out_time(e->ts_sec, e->ts_nsec, tb, sizeof(tb)));
		kv_str(out, &first, "id.orig_h", addr_str(&e->client, b, sizeof(b)));
		kv_u64(out, &first, "id.orig_p", e->client_port);
		kv_str(out, &first, "id.resp_h", addr_str(&e->server, b, sizeof(b)));
		kv_u64(out, &first, "id.resp_p", e->server_port);
		kv_str(out, &first, "proto", transport_of((enum ev_proto)e->proto));
		kv_str(out, &first, "service", ev_proto_str(e->proto));
		if (e->qname) {
			kv_u64(out, &first, "trans_id", e->txid);
			kv_str(out, &first, "query", e->qname);
			kv_u64(out, &first, "qtype", e->qtype);
			kv_str(out, &first, "qtype_name", ev_qtype_label(e, b, sizeof(b)));
		}
		if (e->rtt_us >= 0) {
			key(out, &first, "rtt");
			fprintf(out, "%d.%06d", e->rtt_us / 1000000, e->rtt_us % 1000000);
		}
		if (e->rcode >= 0) {
			const char *rc = dns_rcode_name((uint16_t)e->rcode);
			char rcb[16];
			if (!rc) {
				snprintf(rcb, sizeof(rcb), "RCODE%d", e->rcode);
				rc = rcb;
			}
			kv_u64(out, &first, "rcode", (uint64_t)e->rcode);
			kv_str(out, &first, "rcode_name", rc);
		}
		put_answers(out, &first, e->answers);
		kv_str(out, &first, "sni", e->sni);
		if (e->retrans)
			kv_u64(out, &first, "retransmissions", e->retrans);
		kv_str(out, &first, "encapsulation", e->encap);
		const char *ifl = an_iface_label(a, e->iface_ref, b, sizeof(b));
		kv_str(out, &first, "iface", ifl && strcmp(ifl, "-") != 0 ? ifl : NULL);
		kv_str(out, &first, "path", ev_path_str(e->path));
		kv_str(out, &first, "file", a->files[e->file_idx].path);
		kv_u64(out, &first, "frame", e->frame);
		if (e->answered && e->resp_frame)
			kv_u64(out, &first, "response_frame", e->resp_frame);
		if (e->host_idx >= 0 && (size_t)e->host_idx < a->nhosts)
			kv_str(out, &first, "host", a->hosts[e->host_idx].id);
		if (with_verdict) {
			kv_str(out, &first, "verdict", ev_verdict_str(e->verdict));
			kv_str(out, &first, "category", ev_category_str(e->category));
			kv_str(out, &first, "severity", cat_severity(e->category));
			kv_str(out, &first, "phase", ev_phase_str(e->phase));
			if (a->rules && e->tunnel_idx >= 0 && (size_t)e->tunnel_idx < a->rules->n_tunnels)
				kv_str(out, &first, "tunnel", a->rules->tunnels[e->tunnel_idx].name);
			kv_str(out, &first, "reason", e->reason);
		}
		fputs_unlocked("}\n", out);
	}
	funlockfile(out);
	return ferror(out) ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* DIR/summary.json: what summary.xml says of the captures and the hosts */

static const char *host_verdict(const struct analysis *a, const struct an_host *h)
{
	return an_host_status(a, h); /* integrity.c, as every report says it */
}

/* summary.xml's <custody>, the same values (custody.h). */
static void write_custody(const struct analysis *a, FILE *out, bool *first)
{
	const struct custody *c = a->custody;
	if (!c)
		return;
	key(out, first, "custody");
	bool f = true;
	fputc('{', out);
	key(out, &f, "command");
	fputc('[', out);
	for (int i = 0; i < c->argc; i++) {
		if (i)
			fputc(',', out);
		put_str(out, c->argv[i]);
	}
	fputc(']', out);
	key(out, &f, "versions");
	fputc('{', out);
	bool fv = true;
	static const char *const comp[4] = {"leakscope", "capture_libraries", "ndpi", "libxml2"};
	for (int i = 0; i < 4; i++)
		kv_str(out, &fv, comp[i], c->versions[i]);
	fputc('}', out);
	key(out, &f, "captures");
	fputc('[', out);
	for (size_t i = 0; i < c->ncaps; i++) {
		const struct custody_capture *k = &c->caps[i];
		bool fk = true;
		fputs(i ? ",{" : "{", out);
		kv_str(out, &fk, "path", k->path);
		if (k->sha256[0]) {
			kv_u64(out, &fk, "size", k->size);
			kv_str(out, &fk, "sha256", k->sha256);
		}
		kv_str(out, &fk, "hashed", k->how);
		kv_str(out, &fk, "error", k->error);
		fputc('}', out);
	}
	fputc(']', out);
	key(out, &f, "description");
	bool fd = true;
	fputc('{', out);
	kv_str(out, &fd, "source", c->desc_source);
	kv_str(out, &fd, "path", c->desc_path);
	if (c->desc_text) {
		kv_u64(out, &fd, "size", c->desc_size);
		kv_str(out, &fd, "sha256", c->desc_sha256);
		kv_u64(out, &fd, "redacted_lines", c->desc_redacted);
		kv_str(out, &fd, "content", c->desc_text);
		kv_str(out, &fd, "translated", c->desc_translated);
	}
	fputc('}', out);
	fputc('}', out);
}

static void write_summary(struct analysis *a, FILE *out)
{
	char b[128];
	bool first = true;
	const struct an_integrity *g = &a->integ;
	uint64_t leaks = g->leaks;
	bool complete = true;
	for (size_t i = 0; i < a->nfiles; i++)
		complete &= !a->files[i].truncated;
	fputc('{', out);
	kv_str(out, &first, "generator", "leakscope " LS_VERSION);
	kv_str(out, &first, "verdict", an_status_str(g->status));
	kv_u64(out, &first, "leaks", leaks);
	kv_u64(out, &first, "judged", g->judged);
	kv_bool(out, &first, "captures_complete", complete);
	/* why the verdict is not clean (integrity.c), as summary.xml's <reason> */
	key(out, &first, "reasons");
	fputc('[', out);
	for (size_t i = 0; i < g->nreasons; i++) {
		bool fr = true;
		if (i)
			fputc(',', out);
		fputc('{', out);
		kv_str(out, &fr, "code", g->reasons[i].code);
		kv_bool(out, &fr, "blocks_clean", g->reasons[i].blocks_clean);
		kv_str(out, &fr, "text", g->reasons[i].text);
		fputc('}', out);
	}
	fputc(']', out);
	key(out, &first, "tunnel_description");
	bool f2 = true;
	fputc('{', out);
	kv_str(out, &f2, "source", !a->rules ? "none" : a->suggested ? "suggested" : "given");
	if (a->rules && !a->suggested)
		kv_str(out, &f2, "path", a->rules->path);
	fputc('}', out);
	kv_str(out, &first, "filter", a->opt.filter);
	kv_u64(out, &first, "packets", a->packets);
	kv_u64(out, &first, "events", ev_count(a->ev));
	kv_u64(out, &first, "events_dropped", ev_dropped(a->ev));
	key(out, &first, "captures");
	fputc('[', out);
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct an_file *f = &a->files[i];
		bool fc = true;
		fputs(i ? ",{" : "{", out);
		kv_str(out, &fc, "path", f->path);
		kv_str(out, &fc, "format", f->format ? f->format : "unreadable");
		kv_u64(out, &fc, "packets", f->packets);
		kv_u64(out, &fc, "bytes", f->bytes);
		if (f->packets) {
			kv_str(out, &fc, "first", out_time(f->first_sec, f->first_nsec, b, sizeof(b)));
			kv_str(out, &fc, "last", out_time(f->last_sec, f->last_nsec, b, sizeof(b)));
		}
		kv_u64(out, &fc, "snapped", f->snapped);
		kv_bool(out, &fc, "truncated", f->truncated);
		kv_str(out, &fc, "error", f->error);
		fputc('}', out);
	}
	fputc(']', out);
	key(out, &first, "hosts");
	fputc('[', out);
	for (size_t i = 0; i < a->nhosts; i++) {
		const struct an_host *h = &a->hosts[i];
		bool fh = true;
		fputs(i ? ",{" : "{", out);
		kv_str(out, &fh, "id", h->id);
		if (h->has_mac) {
			snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x", h->mac[0], h->mac[1], h->mac[2], h->mac[3],
				 h->mac[4], h->mac[5]);
			kv_str(out, &fh, "mac", b);
		}
		key(out, &fh, "addresses");
		fputc('[', out);
		for (size_t k = 0; k < h->naddrs; k++) {
			if (k)
				fputc(',', out);
			put_str(out, addr_str(&h->addrs[k], b, sizeof(b)));
		}
		fputc(']', out);
		kv_str(out, &fh, "verdict", host_verdict(a, h));
		kv_u64(out, &fh, "events", h->events);
		kv_u64(out, &fh, "leaks", h->leaks);
		kv_u64(out, &fh, "allowed", h->allowed);
		key(out, &fh, "by_category");
		fputc('{', out);
		bool fk = true;
		for (int c = 1; c < CAT__N; c++)
			if (h->by_cat[c])
				kv_u64(out, &fk, ev_category_str((enum ev_category)c), h->by_cat[c]);
		fputc('}', out);
		fputc('}', out);
	}
	fputc(']', out);
	write_custody(a, out, &first);
	fputs("}\n", out);
}

int out_json_reports(struct analysis *a, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	FILE *out = od_create(path);
	if (!out) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	write_summary(a, out);
	if (ferror(out) | (fclose(out) != 0)) {
		snprintf(err, errlen, "%s: write failed", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/findings.csv", dir);
	out = od_create(path);
	if (!out) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	int rc = out_findings_csv(a, out);
	if ((fclose(out) != 0) | (rc < 0)) {
		snprintf(err, errlen, "%s: write failed", path);
		return -1;
	}
	return 0;
}
