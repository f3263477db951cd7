/* suggest.c - suggest-tunnel: the carriers seen, written as a tunnel description to review. */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze.h"
#include "carrier-evidence.h"
#include "iface.h"

static int carrier_cmp(const void *x, const void *y)
{
	const struct an_carrier *a = x, *b = y;
	if (a->pkts != b->pkts)
		return a->pkts > b->pkts ? -1 : 1;
	int c = addr_cmp(&a->server, &b->server);
	if (c)
		return c;
	return (int)a->port - (int)b->port;
}

static const char *transport_str(uint8_t t)
{
	return t == 6 ? "tcp" : t == 17 ? "udp" : t == 50 ? "esp" : NULL;
}

/* A name whose answer holds a carrier's endpoint address: the VPN client
 * resolved its server's name to connect, which is allowed outside (the
 * tunnel cannot carry its own bootstrap).  Only names of plain host-name
 * characters (the schema's dnsName); at most 16. */
static bool answer_has(const char *answers, const char *addr)
{
	size_t n = strlen(addr);
	for (const char *p = answers; (p = strstr(p, addr)) != NULL; p += n) {
		bool start = p > answers && p[-1] == ' ';
		bool end = p[n] == '\0' || p[n] == ',';
		if (start && end)
			return true;
	}
	return false;
}

static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_' || (*c == '.' && c != s && c[-1] != '.')))
			return false;
	return true;
}

static void allow_endpoint_names(const struct analysis *a, const struct an_carrier *cs, size_t n, struct sbuf *out)
{
	const char *names[16];
	const char *why[16];
	size_t nn = 0;
	char b[64];
	for (size_t e = 0; e < ev_count(a->ev) && nn < 16; e++) {
		const struct ev *ev = ev_get(a->ev, e);
		if (!ev->qname || !ev->answers || !plain_name(ev->qname))
			continue;
		bool have = false;
		for (size_t q = 0; q < nn && !have; q++)
			have = strcasecmp(names[q], ev->qname) == 0;
		if (have)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (cs[i].candidate_only || !transport_str(cs[i].transport))
				continue;
			if (answer_has(ev->answers, addr_str(&cs[i].server, b, sizeof(b)))) {
				names[nn] = ev->qname;
				why[nn++] = rules_kind_str(cs[i].kind);
				break;
			}
		}
	}
	if (!nn)
		return;
	sb_add(out, "  <allow>\n");
	for (size_t q = 0; q < nn; q++) {
		sb_add(out, "    <name exact=\"");
		sb_add_xml(out, names[q]);
		sb_addf(out, "\" reason=\"resolves to the %s endpoint: the client looks it up to connect\"/>\n", why[q]);
	}
	sb_add(out, "  </allow>\n");
}

size_t an_suggest_xml(const struct analysis *a, struct sbuf *out)
{
	char b[64], b2[64], t1[40], t2[40];
	size_t n = a->ncarriers;
	struct an_carrier *cs = xcalloc(n ? n : 1, sizeof(*cs));
	if (n) /* no carrier: carriers may be NULL, and memcpy from NULL is undefined even for 0 bytes */
		memcpy(cs, a->carriers, n * sizeof(*cs));
	qsort(cs, n, sizeof(*cs), carrier_cmp);
	sb_add(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_add(out, "<!-- Suggested by leakscope from the capture: review it before relying on it.\n"
		    "     Each tunnel was recognised from its carrier traffic, on the evidence named beside it\n"
		    "     (an exchange both ways: confidence high; a sustained one-way shape or nDPI's word:\n"
		    "     medium); inside addresses and\n"
		    "     resolvers come from a tunnel interface when the capture has one (tcpdump -i any,\n"
		    "     or a pcapng with the tunnel interface).  Add an <allow> list for names that may\n"
		    "     be resolved outside (the endpoint's own name). -->\n");
	sb_add(out, "<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n");
	size_t made = 0;
	bool used_iface[AN_MAX_IFACES] = {false};
	for (size_t i = 0; i < n; i++) {
		const struct an_carrier *c = &cs[i];
		const char *tr = transport_str(c->transport);
		if (!tr || c->pkts < 2)
			continue;
		if (c->candidate_only) {
			/* an SSH session is a tunnel only when it is used as one */
			sb_addf(out,
				"  <!-- possible tunnel, not applied: %s server %s port %u, %llu flow(s), client %s;\n"
				"       evidence: %s.  If it carried the traffic (ssh -D, -L, -w), describe it as a\n"
				"       tunnel of kind ssh with the endpoint address %s port %u transport tcp -->\n",
				rules_kind_str(c->kind), addr_str(&c->server, b, sizeof(b)), c->port,
				(unsigned long long)c->flows, addr_str(&c->client, b2, sizeof(b2)), c->why ? c->why : "-",
				addr_str(&c->server, t1, sizeof(t1)), c->port);
			continue;
		}
		made++;
		sb_addf(out, "  <!-- %s carrier: %llu flow(s), %llu packets, %s to %s, client %s -->\n",
			rules_kind_str(c->kind), (unsigned long long)c->flows, (unsigned long long)c->pkts,
			time_iso_sec(c->first_sec, t1, sizeof(t1)), time_iso_sec(c->last_sec, t2, sizeof(t2)),
			addr_str(&c->client, b2, sizeof(b2)));
		if (c->frame)
			sb_addf(out, "  <!--   evidence: %s (frame %llu of capture %u); confidence %s -->\n",
				c->why ? c->why : "-", (unsigned long long)c->frame, c->file_idx + 1,
				cev_strength_str((enum cev_strength)c->strength));
		else
			sb_addf(out, "  <!--   evidence: %s; confidence %s -->\n", c->why ? c->why : "-",
				cev_strength_str((enum cev_strength)c->strength));
		sb_addf(out, "  <tunnel name=\"%s-%zu\" kind=\"%s\">\n", rules_kind_str(c->kind), made,
			rules_kind_str(c->kind));
		if (c->port)
			sb_addf(out, "    <endpoint address=\"%s\" port=\"%u\" transport=\"%s\"/>\n",
				addr_str(&c->server, b, sizeof(b)), c->port, tr);
		else
			sb_addf(out, "    <endpoint address=\"%s\" transport=\"%s\"/>\n", addr_str(&c->server, b, sizeof(b)),
				tr);
		/* OpenConnect/AnyConnect: DTLS carries the data, and the TLS
		 * connection to the same server and port (CSTP) is the control
		 * channel and the fallback data channel: the carrier too */
		if (c->kind == TK_OPENCONNECT && c->transport == 17 && c->port)
			sb_addf(out, "    <endpoint address=\"%s\" port=\"%u\" transport=\"tcp\"/>\n",
				addr_str(&c->server, b, sizeof(b)), c->port);
		/* the first unused tunnel-looking interface of a capture */
		for (size_t k = 0; k < a->nifaces; k++) {
			const struct an_iface *f = &a->ifaces[k];
			if (TK_CARRIES_STREAMS(c->kind) || used_iface[k] || !iface_looks_tunnel(f) || f->n_src_addrs == 0)
				continue;
			used_iface[k] = true;
			for (uint8_t j = 0; j < f->n_src_addrs; j++)
				sb_addf(out, "    <inside prefix=\"%s/%u\"/>\n", addr_str(&f->src_addrs[j], b, sizeof(b)),
					f->src_addrs[j].af == 4 ? 32 : 128);
			/* resolvers the host asked on that interface, and those in the
			 * inside addresses' own /24 (/64) wherever they were asked: a
			 * tunnel's resolver routed past the tunnel is still the
			 * tunnel's (tunnel-resolver-outside) */
			struct ls_addr seen[8];
			size_t nseen = 0;
			for (size_t e = 0; e < ev_count(a->ev) && nseen < 8; e++) {
				const struct ev *ev = ev_get(a->ev, e);
				if (ev->proto != EVP_DNS_UDP || addr_is_multicast(&ev->server))
					continue;
				bool near = false;
				for (uint8_t j = 0; j < f->n_src_addrs && !near; j++)
					near = addr_cmp(&ev->server, &f->src_addrs[j]) != 0 &&
					       addr_in_prefix(&ev->server, &f->src_addrs[j], f->src_addrs[j].af == 4 ? 24 : 64);
				if (ev->iface_ref != k && !near)
					continue;
				bool have = false;
				for (size_t q = 0; q < nseen && !have; q++)
					have = addr_cmp(&seen[q], &ev->server) == 0;
				if (!have)
					seen[nseen++] = ev->server;
			}
			for (size_t q = 0; q < nseen; q++)
				sb_addf(out, "    <resolver address=\"%s\" port=\"53\"/>\n", addr_str(&seen[q], b, sizeof(b)));
			if (f->name) {
				sb_add(out, "    <interface tunnel=\"");
				sb_add_xml(out, f->name);
				sb_add(out, "\"/>\n");
			}
			break;
		}
		sb_add(out, "  </tunnel>\n");
	}
	if (!made)
		sb_add(out, "  <!-- no tunnel carrier was recognised in the capture -->\n");
	else
		allow_endpoint_names(a, cs, n, out);
	sb_add(out, "</tunnels>\n");
	free(cs);
	return made;
}
