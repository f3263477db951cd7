/* facts.c - what every writer shows, worked out once (facts.h). */
#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

const char an_note_endpoint_cleartext[] =
	"Traffic to a tunnel endpoint's address outside its carrier port: the endpoint's address is routed past the "
	"tunnel, so anything else sent there leaves in cleartext (TunnelCrack ServerIP).";

static const char note_canary[] =
	"use-application-dns.net is Firefox's DoH canary: a NXDOMAIN answer keeps Firefox off its own DoH, any other "
	"answer lets it switch.";

static int host_id_cmp(const void *x, const void *y, void *ctx)
{
	const struct analysis *a = ctx;
	return strcmp(a->hosts[*(const size_t *)x].id, a->hosts[*(const size_t *)y].id);
}

/* The most severe first: more leaks, then more questions, then by id. */
static int host_severity_cmp(const void *x, const void *y, void *ctx)
{
	const struct analysis *a = ctx;
	const struct an_host *p = &a->hosts[*(const size_t *)x], *q = &a->hosts[*(const size_t *)y];
	if (p->leaks != q->leaks)
		return p->leaks > q->leaks ? -1 : 1;
	if (p->events != q->events)
		return p->events > q->events ? -1 : 1;
	return strcmp(p->id, q->id);
}

void facts_finish(struct analysis *a)
{
	/* hosts by id: the order of every report and of the terminal table;
	 * past the page cap only the most severe hosts are listed (by id
	 * among themselves), the others summed up in a->unlisted */
	free(a->host_order);
	a->host_order = xcalloc(a->nhosts ? a->nhosts : 1, sizeof(*a->host_order));
	for (size_t i = 0; i < a->nhosts; i++)
		a->host_order[i] = i;
	size_t pages = a->opt.max_host_pages ? a->opt.max_host_pages : AN_DEFAULT_HOST_PAGES;
	size_t per_host = a->opt.max_host_events ? a->opt.max_host_events : AN_DEFAULT_HOST_EVENTS;
	memset(&a->unlisted, 0, sizeof(a->unlisted));
	a->nlisted = a->nhosts;
	if (a->nhosts > pages) {
		qsort_r(a->host_order, a->nhosts, sizeof(*a->host_order), host_severity_cmp, a);
		a->nlisted = pages;
		for (size_t k = pages; k < a->nhosts; k++) {
			const struct an_host *h = &a->hosts[a->host_order[k]];
			a->unlisted.hosts++;
			a->unlisted.events += h->events;
			a->unlisted.leaks += h->leaks;
			a->unlisted.allowed += h->allowed;
			for (int c = 0; c < CAT__N; c++)
				a->unlisted.by_cat[c] += h->by_cat[c];
		}
	}
	qsort_r(a->host_order, a->nlisted, sizeof(*a->host_order), host_id_cmp, a);
	for (size_t k = 0; k < a->nhosts; k++)
		a->hosts[a->host_order[k]].listed = k < a->nlisted;
	a->hosts_cut = 0;
	for (size_t k = 0; k < a->nlisted; k++)
		a->hosts_cut += a->hosts[a->host_order[k]].events > per_host;
	free(a->iface_labels);
	a->iface_labels = xcalloc(a->nifaces ? a->nifaces : 1, sizeof(*a->iface_labels));
	for (size_t i = 0; i < a->nifaces; i++)
		an_iface_label(a, (uint32_t)i, a->iface_labels[i], sizeof(a->iface_labels[i]));
}

void facts_free(struct analysis *a)
{
	free(a->host_order);
	free(a->iface_labels);
	a->host_order = NULL;
	a->iface_labels = NULL;
}

const char *an_os_remedy(const struct an_host *h, enum ev_category c)
{
	if (!h || h->os == OS_UNKNOWN || !cat_explained(c))
		return NULL;
	return os_remedy(h->os, ev_category_str(c));
}

const char *an_os_label(const struct an_host *h)
{
	if (!h)
		return "unknown";
	return h->os == OS_MACOS ? "macOS or iOS" : os_name(h->os);
}

const char *an_iface_text(const struct analysis *a, uint32_t ref)
{
	return a->iface_labels && ref < a->nifaces ? a->iface_labels[ref] : "-";
}

const char *an_rcode_text(const struct ev *e, char *buf, size_t len)
{
	if (e->rcode < 0)
		return NULL;
	const char *rc = dns_rcode_name((uint16_t)e->rcode);
	if (rc)
		return rc;
	snprintf(buf, len, "RCODE%d", e->rcode);
	return buf;
}

const char *an_mac_text(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *an_route_prefix(const struct an_route *r, char *buf, size_t len)
{
	char b[64];
	snprintf(buf, len, "%s/%u", addr_str(&r->net, b, sizeof(b)), r->plen);
	return buf;
}

void an_event_notes(const struct analysis *a, const struct ev *e, struct an_notes *out)
{
	out->n = 0;
	if (e->canary) {
		out->text[out->n] = note_canary;
		out->stable[out->n++] = true;
	}
	if (e->route_idx >= 0 && (size_t)e->route_idx < a->nroutes) {
		const struct an_route *r = &a->routes[e->route_idx];
		char nb[80], gb[64];
		snprintf(out->buf, sizeof(out->buf),
			 "The resolver lies in %s, a route DHCP option %u pushed via %s (frame %llu): TunnelVision "
			 "(CVE-2024-3661) sends such traffic past the tunnel.",
			 an_route_prefix(r, nb, sizeof(nb)), r->option, addr_str(&r->gw, gb, sizeof(gb)),
			 (unsigned long long)r->frame);
		out->text[out->n] = out->buf;
		out->stable[out->n++] = false;
	}
}
