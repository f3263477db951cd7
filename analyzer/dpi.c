/* dpi.c - nDPI 4.2 wrapper: classify flows, read SNI/ALPN, stop feeding when done. */
#include "dpi.h"

#include <ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ndpiReader's caps: past these nDPI rarely learns anything new. */
#define DPI_MAX_UDP_PKTS 24
#define DPI_MAX_TCP_PKTS 80

struct dpi {
	struct ndpi_detection_module_struct *mod;
};

struct dpi_flow {
	struct ndpi_flow_struct *nf;
	uint32_t fed;
};

struct dpi *dpi_new(void)
{
	struct dpi *d = xcalloc(1, sizeof(*d));
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->mod) {
		free(d);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	/* The notes: the struct size must match the library's. */
	if (ndpi_detection_get_sizeof_ndpi_flow_struct() != SIZEOF_FLOW_STRUCT) {
		fprintf(stderr, "leakscope: nDPI flow struct size mismatch (headers vs library)\n");
		ndpi_exit_detection_module(d->mod);
		free(d);
		return NULL;
	}
	return d;
}

void dpi_free(struct dpi *d)
{
	if (!d)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

struct dpi *dpi_shared(void)
{
	static struct dpi *shared;
	if (!shared)
		shared = dpi_new();
	return shared;
}

size_t dpi_flow_size(void)
{
	return SIZEOF_FLOW_STRUCT + sizeof(struct dpi_flow);
}

static enum dpi_class map_id(uint16_t id)
{
	switch (id) {
	case NDPI_PROTOCOL_DNS: return DPI_DNS;
	case NDPI_PROTOCOL_MDNS: return DPI_MDNS;
	case NDPI_PROTOCOL_LLMNR: return DPI_LLMNR;
	case NDPI_PROTOCOL_NETBIOS: return DPI_NETBIOS;
	case NDPI_PROTOCOL_TLS: return DPI_TLS;
	case NDPI_PROTOCOL_QUIC: return DPI_QUIC;
	case NDPI_PROTOCOL_DOH_DOT: return DPI_DOH_DOT;
	case NDPI_PROTOCOL_HTTP: return DPI_HTTP;
	case NDPI_PROTOCOL_WIREGUARD: return DPI_WIREGUARD;
	case NDPI_PROTOCOL_OPENVPN: return DPI_OPENVPN;
	case NDPI_PROTOCOL_IP_IPSEC: return DPI_IPSEC;
	case NDPI_PROTOCOL_TOR: return DPI_TOR;
	case NDPI_PROTOCOL_DNSCRYPT: return DPI_DNSCRYPT;
	case NDPI_PROTOCOL_UNKNOWN: return DPI_UNKNOWN;
	default: return DPI_OTHER;
	}
}

/* Copies nDPI text into our buffer keeping printable ASCII only: these bytes
 * come from the capture (SNI, ALPN) and end up in reports. */
static void copy_printable(char *dst, size_t dlen, const char *src)
{
	size_t j = 0;
	if (!src) {
		dst[0] = '\0';
		return;
	}
	for (size_t i = 0; src[i] && j + 1 < dlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[j] = '\0';
}

static void fill(struct dpi_flow *f, ndpi_protocol pr, struct dpi_result *res)
{
	uint16_t app = pr.app_protocol, master = pr.master_protocol;
	res->app = app;
	res->master = master;
	/* DoH_DoT may be the app over TLS/QUIC master, or the master itself. */
	enum dpi_class ca = map_id(app), cm = map_id(master);
	if (ca == DPI_DOH_DOT || cm == DPI_DOH_DOT)
		res->cls = DPI_DOH_DOT;
	else if (cm != DPI_UNKNOWN && cm != DPI_OTHER)
		res->cls = cm;
	else if (ca != DPI_UNKNOWN)
		res->cls = ca;
	else
		res->cls = cm;
	if (!res->text)
		res->text = xcalloc(1, sizeof(*res->text));
	struct dpi_text *t = res->text;
	struct ndpi_flow_struct *nf = f->nf;
	res->guessed = nf->confidence != NDPI_CONFIDENCE_DPI;
	copy_printable(t->sni, sizeof(t->sni), nf->host_server_name);
	if (res->cls == DPI_TLS || res->cls == DPI_QUIC || res->cls == DPI_DOH_DOT) {
		/* protos is a union: tls_quic is only meaningful for TLS/QUIC flows. */
		if (master == NDPI_PROTOCOL_TLS || master == NDPI_PROTOCOL_QUIC ||
		    app == NDPI_PROTOCOL_TLS || app == NDPI_PROTOCOL_QUIC ||
		    (app == NDPI_PROTOCOL_DOH_DOT && master != NDPI_PROTOCOL_DNS &&
		     master != NDPI_PROTOCOL_HTTP))
			copy_printable(t->alpn, sizeof(t->alpn), nf->protos.tls_quic.alpn);
	}
}

void dpi_feed(struct dpi *d, struct dpi_flow **fs, const struct pkt *p, uint64_t time_ms,
	      struct dpi_result *res)
{
	if (res->done || !p->ip || p->ip_len == 0)
		return;
	if (!*fs) {
		*fs = xcalloc(1, sizeof(**fs));
		(*fs)->nf = xcalloc(1, SIZEOF_FLOW_STRUCT);
	}
	struct dpi_flow *f = *fs;
	/* nDPI takes an unsigned short length: a larger (reassembled) datagram
	 * is offered up to 65535 bytes, which covers every header it reads. */
	unsigned short len = p->ip_len > 65535 ? 65535 : (unsigned short)p->ip_len;
	ndpi_protocol pr = ndpi_detection_process_packet(d->mod, f->nf, p->ip, len, time_ms);
	f->fed++;
	bool known = pr.app_protocol != NDPI_PROTOCOL_UNKNOWN || pr.master_protocol != NDPI_PROTOCOL_UNKNOWN;
	uint32_t cap = p->proto == 6 ? DPI_MAX_TCP_PKTS : DPI_MAX_UDP_PKTS;
	if (known && !ndpi_extra_dissection_possible(d->mod, f->nf)) {
		fill(f, pr, res);
		res->done = true;
		dpi_flow_free(fs);
	} else if (f->fed >= cap) {
		dpi_flow_end(d, fs, res);
	} else if (known) {
		fill(f, pr, res);
	}
}

void dpi_flow_end(struct dpi *d, struct dpi_flow **fs, struct dpi_result *res)
{
	if (!*fs || res->done) {
		dpi_flow_free(fs);
		return;
	}
	uint8_t guessed = 0;
	ndpi_protocol pr = ndpi_detection_giveup(d->mod, (*fs)->nf, 1, &guessed);
	fill(*fs, pr, res);
	if (guessed)
		res->guessed = true;
	res->done = true;
	dpi_flow_free(fs);
}

void dpi_flow_free(struct dpi_flow **fs)
{
	if (!*fs)
		return;
	ndpi_free_flow_data((*fs)->nf);
	free((*fs)->nf);
	free(*fs);
	*fs = NULL;
}

const char *dpi_class_str(enum dpi_class c)
{
	static const char *const names[] = {
		"unknown", "dns", "mdns", "llmnr", "netbios", "tls", "quic", "doh-dot",
		"http", "wireguard", "openvpn", "ipsec", "tor", "dnscrypt", "other",
	};
	if ((unsigned)c >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[c];
}

const char *dpi_sni(const struct dpi_result *r)
{
	return r->text ? r->text->sni : "";
}

const char *dpi_alpn(const struct dpi_result *r)
{
	return r->text ? r->text->alpn : "";
}

void dpi_result_clear(struct dpi_result *r)
{
	free(r->text);
	r->text = NULL;
}

const char *dpi_version(void)
{
	return ndpi_revision();
}
