/* rules-import.c - translating wg-quick(8) .conf, OpenVPN client .ovpn and strongSwan swanctl.conf(5) into a tunnel description. */
#include "rules-import.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------- */
/* What a configuration says, in the description's terms */

struct imp_addr {
	struct ls_addr a;
	uint8_t plen;
};

struct imp_endpoint {
	struct ls_addr a;
	unsigned port;          /* 0: any */
	const char *transport;  /* "udp", "tcp", or NULL: any */
};

struct imp_tunnel {
	char name[65];
	const char *kind;
	struct imp_endpoint ep[IMP_MAX_LIST];
	size_t nep;
	struct imp_addr inside[IMP_MAX_LIST];
	size_t nin;
	struct ls_addr resolver[IMP_MAX_LIST];
	size_t nres;
	struct imp_addr scope[IMP_MAX_LIST]; /* routed into the tunnel: AllowedIPs, routes, remote_ts */
	size_t nscope;
	bool scope_known;       /* the configuration says what is routed */
	char ifname[16];        /* the tunnel interface, when the configuration names it */
	char names[IMP_MAX_LIST][254]; /* endpoints given by name: allowed outside, not endpoints */
	size_t nnames;
};

struct imp {
	const char *path;
	const char *format;     /* "wg-quick", "OpenVPN", "swanctl" */
	struct imp_tunnel *t;   /* IMP_MAX_TUNNELS of them */
	size_t nt;
	struct sbuf notes;      /* comment lines, already safe for a comment */
	char *err;
	size_t errlen;
	bool failed;
};

static int imp_fail(struct imp *im, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int imp_fail(struct imp *im, long line, const char *fmt, ...)
{
	if (im->failed)
		return -1;
	int n = line > 0 ? snprintf(im->err, im->errlen, "%s:%ld: ", im->path, line)
			 : snprintf(im->err, im->errlen, "%s: ", im->path);
	if (n >= 0 && (size_t)n < im->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(im->err + n, im->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	im->failed = true;
	return -1;
}

/* Text from the file for a message: printable ASCII, at most 64 characters. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t j = 0;
	for (size_t i = 0; s[i] && j + 4 < len && i < 64; i++)
		buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (strlen(s) > 64 && j + 4 < len) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}

/* Text for an XML comment: printable ASCII, no "--" (XML 1.0 section 2.5). */
static void note(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct imp *im, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	sb_add(&im->notes, "     ");
	char prev = 0;
	for (size_t i = 0; b[i]; i++) {
		char c = (b[i] >= 0x20 && b[i] < 0x7f) ? b[i] : '?';
		if (c == '-' && prev == '-')
			c = '_';
		sb_addn(&im->notes, &c, 1);
		prev = c;
	}
	sb_add(&im->notes, "\n");
}

/* A host name as the schema takes it: letters, digits, '-', '_', dots
 * between labels of 1..63, at most 253 characters. */
static bool host_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 || n > 1;
}

static void mask(struct imp_addr *p)
{
	unsigned bits = p->a.af == 4 ? 32 : 128;
	for (unsigned i = p->plen; i < bits; i++)
		p->a.a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

static struct imp_tunnel *new_tunnel(struct imp *im, long line, const char *kind, const char *name)
{
	if (im->nt == IMP_MAX_TUNNELS) {
		imp_fail(im, line, "more than %d tunnels (peers, connections)", IMP_MAX_TUNNELS);
		return NULL;
	}
	struct imp_tunnel *t = &im->t[im->nt++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	/* the description's names: letters, digits, '.', '_', '-', from a
	 * letter or digit, unique (a suffix makes them so) */
	size_t j = 0;
	for (size_t i = 0; name && name[i] && j < 48; i++) {
		char c = name[i];
		if (isalnum((unsigned char)c) || ((c == '.' || c == '_' || c == '-') && j > 0))
			t->name[j++] = c;
	}
	t->name[j] = '\0';
	if (j == 0)
		snprintf(t->name, sizeof(t->name), "%s", kind);
	for (size_t k = 0; k + 1 < im->nt; k++) {
		if (strcasecmp(im->t[k].name, t->name) == 0) {
			char base[49];
			memcpy(base, t->name, sizeof(base) - 1); /* names are at most 48 characters */
			base[sizeof(base) - 1] = '\0';
			snprintf(t->name, sizeof(t->name), "%.48s-%u", base, (unsigned)im->nt % 100u);
			break;
		}
	}
	return t;
}

static int add_inside(struct imp *im, struct imp_tunnel *t, long line, const char *v, bool host_only)
{
	struct imp_addr p;
	char b[80];
	if (prefix_parse(v, &p.a, &p.plen) < 0)
		return imp_fail(im, line, "'%s' is not an address", shown(v, b, sizeof(b)));
	if (t->nin == IMP_MAX_LIST)
		return imp_fail(im, line, "more than %d inside addresses", IMP_MAX_LIST);
	/* an interface address with its netmask (10.66.0.2/24) is this
	 * host's address: the description wants the host, /32 or /128 */
	if (host_only)
		p.plen = p.a.af == 4 ? 32 : 128;
	mask(&p);
	t->inside[t->nin++] = p;
	return 0;
}

static int add_resolver(struct imp *im, struct imp_tunnel *t, long line, const char *v)
{
	struct ls_addr a;
	if (addr_parse(v, &a) < 0) {
		char b[80];
		if (host_name_ok(v)) {
			note(im, "DNS %s (line %ld) is a search domain, not a resolver: not translated", v, line);
			return 0;
		}
		return imp_fail(im, line, "'%s' is neither a resolver address nor a domain", shown(v, b, sizeof(b)));
	}
	if (t->nres == IMP_MAX_LIST)
		return imp_fail(im, line, "more than %d resolvers", IMP_MAX_LIST);
	t->resolver[t->nres++] = a;
	return 0;
}

static int add_scope(struct imp *im, struct imp_tunnel *t, long line, const char *v)
{
	struct imp_addr p;
	char b[80];
	if (prefix_parse(v, &p.a, &p.plen) < 0)
		return imp_fail(im, line, "'%s' is not an address or prefix", shown(v, b, sizeof(b)));
	if (t->nscope == IMP_MAX_LIST)
		return imp_fail(im, line, "more than %d routed prefixes", IMP_MAX_LIST);
	mask(&p);
	t->scope[t->nscope++] = p;
	t->scope_known = true;
	return 0;
}

/* An endpoint host: an address becomes an endpoint; a name cannot (the
 * capture is read offline, nothing is resolved) and becomes an allowed
 * name instead, since looking it up before the tunnel is up is expected. */
static int add_endpoint(struct imp *im, struct imp_tunnel *t, long line, const char *host, unsigned port,
			const char *transport)
{
	struct ls_addr a;
	char b[80];
	if (addr_parse(host, &a) == 0) {
		if (t->nep == IMP_MAX_LIST)
			return imp_fail(im, line, "more than %d endpoints", IMP_MAX_LIST);
		t->ep[t->nep++] = (struct imp_endpoint){a, port, transport};
		return 0;
	}
	if (!host_name_ok(host))
		return imp_fail(im, line, "'%s' is neither an address nor a host name", shown(host, b, sizeof(b)));
	for (size_t i = 0; i < t->nnames; i++)
		if (strcasecmp(t->names[i], host) == 0)
			return 0;
	if (t->nnames == IMP_MAX_LIST)
		return imp_fail(im, line, "more than %d server names", IMP_MAX_LIST);
	snprintf(t->names[t->nnames++], sizeof(t->names[0]), "%s", host);
	note(im, "the server %s (line %ld) is a name: nothing is resolved offline, so it is no endpoint here; "
		 "add its address (suggest-tunnel finds it in the capture)", host, line);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Lines */

struct lines {
	const char *p, *end;
	long no;
	char buf[IMP_MAX_LINE + 1];
};

/* The next line, NUL-terminated in l->buf, without its newline.  Returns
 * 1, 0 at the end, -1 on a line too long, a NUL byte or too many lines. */
static int next_line(struct imp *im, struct lines *l)
{
	if (l->p >= l->end)
		return 0;
	if (++l->no > IMP_MAX_LINES)
		return imp_fail(im, l->no, "more than %d lines", IMP_MAX_LINES);
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	size_t n = (size_t)((nl ? nl : l->end) - l->p);
	if (n > IMP_MAX_LINE)
		return imp_fail(im, l->no, "line longer than %d characters", IMP_MAX_LINE);
	if (memchr(l->p, '\0', n))
		return imp_fail(im, l->no, "a NUL byte: not a text file");
	memcpy(l->buf, l->p, n);
	l->buf[n] = '\0';
	if (n && l->buf[n - 1] == '\r')
		l->buf[n - 1] = '\0';
	l->p = nl ? nl + 1 : l->end;
	return 1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Splits s in place at any of seps; empty pieces are skipped.  Returns the
 * number of pieces (at most max). */
static size_t split(char *s, const char *seps, char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(s, seps, &save); tok && n < max; tok = strtok_r(NULL, seps, &save))
		out[n++] = tok;
	return n;
}

static bool parse_port(const char *s, unsigned *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v == 0 || v > 65535 || !isdigit((unsigned char)*s))
		return false;
	*port = (unsigned)v;
	return true;
}

/* The file's base name without its extension, for a tunnel or interface name. */
static void stem(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	snprintf(out, len, "%s", b);
	char *dot = strrchr(out, '.');
	if (dot && dot != out)
		*dot = '\0';
}

/* ---------------------------------------------------------------------- */
/* wg-quick(8): [Interface] Address, DNS; each [Peer] Endpoint, AllowedIPs */

static int import_wg(struct imp *im, const char *buf, size_t len)
{
	struct lines *l = xcalloc(1, sizeof(*l));
	l->p = buf;
	l->end = buf + len;
	char name[64];
	stem(im->path, name, sizeof(name));
	struct imp_tunnel *t = new_tunnel(im, 0, "wireguard", name);
	/* wg-quick names the interface after the file (wg0.conf: wg0), at
	 * most 15 characters of [a-zA-Z0-9_=+.-] */
	size_t nl = strlen(name);
	if (nl < sizeof(t->ifname) &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=+.-") == nl)
		memcpy(t->ifname, name, nl + 1);
	enum { NONE, IFACE, PEER } sec = NONE;
	size_t peers = 0, peers_with_endpoint = 0;
	int rc;
	while ((rc = next_line(im, l)) == 1) {
		char *hash = strchr(l->buf, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(l->buf);
		if (!*s)
			continue;
		if (*s == '[') {
			if (strcasecmp(s, "[Interface]") == 0) {
				sec = IFACE;
			} else if (strcasecmp(s, "[Peer]") == 0) {
				sec = PEER;
				peers++;
			} else {
				char b[80];
				imp_fail(im, l->no, "unknown section %s", shown(s, b, sizeof(b)));
				break;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			imp_fail(im, l->no, "expected Key = Value");
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		char *items[IMP_MAX_LIST + 1];
		if (sec == IFACE && strcasecmp(key, "Address") == 0) {
			size_t n = split(val, ", \t", items, IMP_MAX_LIST + 1);
			for (size_t i = 0; i < n && !im->failed; i++)
				add_inside(im, t, l->no, items[i], true);
		} else if (sec == IFACE && strcasecmp(key, "DNS") == 0) {
			size_t n = split(val, ", \t", items, IMP_MAX_LIST + 1);
			for (size_t i = 0; i < n && !im->failed; i++)
				add_resolver(im, t, l->no, items[i]);
		} else if (sec == PEER && strcasecmp(key, "Endpoint") == 0) {
			/* host:port, [v6]:port */
			char *host = val, *colon;
			if (*val == '[') {
				char *rb = strchr(val, ']');
				if (!rb || rb[1] != ':') {
					imp_fail(im, l->no, "Endpoint: expected [address]:port");
					break;
				}
				*rb = '\0';
				host = val + 1;
				colon = rb + 1;
			} else {
				colon = strrchr(val, ':');
				if (!colon || strchr(val, ':') != colon) {
					imp_fail(im, l->no, "Endpoint: expected host:port (an IPv6 address in [ ])");
					break;
				}
				*colon = '\0';
			}
			unsigned port;
			if (!parse_port(colon + 1, &port)) {
				imp_fail(im, l->no, "Endpoint: bad port");
				break;
			}
			peers_with_endpoint++;
			add_endpoint(im, t, l->no, host, port, "udp");
		} else if (sec == PEER && strcasecmp(key, "AllowedIPs") == 0) {
			size_t n = split(val, ", \t", items, IMP_MAX_LIST + 1);
			for (size_t i = 0; i < n && !im->failed; i++)
				add_scope(im, t, l->no, items[i]);
		} else if (sec == NONE) {
			imp_fail(im, l->no, "a key before any [Interface] or [Peer] section");
			break;
		}
		/* PrivateKey, PublicKey, PresharedKey, ListenPort, MTU, Table,
		 * FwMark, PersistentKeepalive, Pre/PostUp/Down, SaveConfig:
		 * nothing the description holds */
		if (im->failed)
			break;
	}
	long last = l->no;
	free(l);
	if (rc < 0 || im->failed)
		return -1;
	if (peers == 0)
		return imp_fail(im, last, "no [Peer] section: nothing says where the tunnel goes");
	if (peers_with_endpoint == 0)
		return imp_fail(im, last, "no [Peer] has an Endpoint (a server's configuration?): the description needs "
				"the server this host connects to");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* OpenVPN client configuration (openvpn(8)): remote, proto, port, dev,
 * ifconfig, ifconfig-ipv6, dhcp-option DNS, route, route-ipv6,
 * redirect-gateway.  Inline blocks (<ca> ... </ca>) are skipped. */

static const char *ovpn_transport(const char *proto)
{
	if (strncmp(proto, "udp", 3) == 0)
		return "udp";
	if (strncmp(proto, "tcp", 3) == 0)
		return "tcp";
	return NULL;
}

static int ovpn_netmask_len(const char *m, uint8_t *plen)
{
	struct ls_addr a;
	if (addr_parse(m, &a) < 0 || a.af != 4)
		return -1;
	uint32_t v = (uint32_t)a.a[0] << 24 | (uint32_t)a.a[1] << 16 | (uint32_t)a.a[2] << 8 | a.a[3];
	uint8_t n = 0;
	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	if (n < 32 && (v << n) != 0)
		return -1; /* not contiguous */
	*plen = n;
	return 0;
}

static int import_ovpn(struct imp *im, const char *buf, size_t len)
{
	struct lines *l = xcalloc(1, sizeof(*l));
	l->p = buf;
	l->end = buf + len;
	char name[64];
	stem(im->path, name, sizeof(name));
	struct imp_tunnel *t = new_tunnel(im, 0, "openvpn", name);
	/* remotes are collected first: proto and port may come after them */
	struct {
		char host[254];
		unsigned port;
		char proto[16];
		long line;
	} *rem = xcalloc(IMP_MAX_LIST, sizeof(*rem));
	size_t nrem = 0;
	char proto[16] = "udp";
	unsigned port = 1194;
	char inline_tag[32] = "";
	bool redirect = false, redirect6 = false;
	int rc;
	while ((rc = next_line(im, l)) == 1) {
		char *s = trim(l->buf);
		if (inline_tag[0]) {
			/* inside <ca> ... </ca>: keys and certificates, skipped */
			char close[40];
			snprintf(close, sizeof(close), "</%s>", inline_tag);
			if (strcmp(s, close) == 0)
				inline_tag[0] = '\0';
			continue;
		}
		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (strcmp(s, "<connection>") == 0 || strcmp(s, "</connection>") == 0)
			continue; /* a <connection> block holds directives (remote, proto...): read them */
		if (*s == '<') {
			size_t n = strcspn(s + 1, ">");
			if (s[1 + n] != '>' || n == 0 || n >= sizeof(inline_tag) || s[1 + n + 1]) {
				imp_fail(im, l->no, "expected an inline block <tag>");
				break;
			}
			memcpy(inline_tag, s + 1, n);
			inline_tag[n] = '\0';
			continue;
		}
		char *w[8];
		size_t n = split(s, " \t", w, 8);
		if (n == 0)
			continue;
		const char *k = w[0];
		if (strcmp(k, "remote") == 0) {
			if (n < 2) {
				imp_fail(im, l->no, "remote: no host");
				break;
			}
			if (nrem == IMP_MAX_LIST) {
				imp_fail(im, l->no, "more than %d remote lines", IMP_MAX_LIST);
				break;
			}
			snprintf(rem[nrem].host, sizeof(rem[0].host), "%s", w[1]);
			rem[nrem].port = 0;
			if (n >= 3 && !parse_port(w[2], &rem[nrem].port)) {
				imp_fail(im, l->no, "remote: bad port");
				break;
			}
			snprintf(rem[nrem].proto, sizeof(rem[0].proto), "%s", n >= 4 ? w[3] : "");
			if (n >= 4 && !ovpn_transport(w[3])) {
				imp_fail(im, l->no, "remote: unknown protocol");
				break;
			}
			rem[nrem++].line = l->no;
		} else if (strcmp(k, "proto") == 0 && n >= 2) {
			if (!ovpn_transport(w[1])) {
				imp_fail(im, l->no, "proto: unknown protocol");
				break;
			}
			snprintf(proto, sizeof(proto), "%s", w[1]);
		} else if ((strcmp(k, "port") == 0 || strcmp(k, "rport") == 0) && n >= 2) {
			if (!parse_port(w[1], &port)) {
				imp_fail(im, l->no, "%s: bad port", k);
				break;
			}
		} else if (strcmp(k, "dev") == 0 && n >= 2) {
			/* "dev tun" lets the kernel pick tunN: only a full name is one */
			if (strcmp(w[1], "tun") != 0 && strcmp(w[1], "tap") != 0 && strlen(w[1]) <= 15 && host_name_ok(w[1]))
				snprintf(t->ifname, sizeof(t->ifname), "%s", w[1]);
		} else if (strcmp(k, "ifconfig") == 0 && n >= 2) {
			add_inside(im, t, l->no, w[1], true);
		} else if (strcmp(k, "ifconfig-ipv6") == 0 && n >= 2) {
			add_inside(im, t, l->no, w[1], true);
		} else if (strcmp(k, "dhcp-option") == 0 && n >= 3 && (strcmp(w[1], "DNS") == 0 || strcmp(w[1], "DNS6") == 0)) {
			add_resolver(im, t, l->no, w[2]);
		} else if (strcmp(k, "route") == 0 && n >= 2) {
			char pfx[80];
			uint8_t plen = 32;
			if (n >= 3 && strcmp(w[2], "default") != 0 && ovpn_netmask_len(w[2], &plen) < 0) {
				imp_fail(im, l->no, "route: bad netmask");
				break;
			}
			snprintf(pfx, sizeof(pfx), "%.63s/%u", w[1], plen);
			if (strcmp(w[1], "vpn_gateway") != 0 && strcmp(w[1], "net_gateway") != 0 &&
			    strcmp(w[1], "remote_host") != 0)
				add_scope(im, t, l->no, pfx);
		} else if (strcmp(k, "route-ipv6") == 0 && n >= 2) {
			add_scope(im, t, l->no, w[1]);
		} else if (strcmp(k, "redirect-gateway") == 0) {
			redirect = true;
			for (size_t i = 1; i < n; i++)
				redirect6 |= strcmp(w[i], "ipv6") == 0;
			for (size_t i = 1; i < n; i++)
				if (strcmp(w[i], "!ipv4") == 0)
					redirect = false;
		} else if (strcmp(k, "block-outside-dns") == 0) {
			note(im, "block-outside-dns (line %ld): Windows blocks DNS outside the tunnel; a leak seen "
				 "anyway means it did not work", l->no);
		}
		if (im->failed)
			break;
	}
	long last = l->no;
	free(l);
	if (rc < 0 || im->failed || (inline_tag[0] && imp_fail(im, last, "<%s> is not closed", inline_tag) < 0)) {
		free(rem);
		return -1;
	}
	for (size_t i = 0; i < nrem && !im->failed; i++)
		add_endpoint(im, t, rem[i].line, rem[i].host, rem[i].port ? rem[i].port : port,
			     ovpn_transport(rem[i].proto[0] ? rem[i].proto : proto));
	free(rem);
	if (im->failed)
		return -1;
	if (nrem == 0)
		return imp_fail(im, last, "no remote line: nothing says where the tunnel goes");
	if (redirect) {
		struct imp_addr def4 = {.a = {.af = 4}, .plen = 0};
		if (t->nscope < IMP_MAX_LIST)
			t->scope[t->nscope++] = def4;
		if (redirect6 && t->nscope < IMP_MAX_LIST)
			t->scope[t->nscope++] = (struct imp_addr){.a = {.af = 6}, .plen = 0};
		t->scope_known = true;
	}
	if (t->nin == 0)
		note(im, "no ifconfig: the inside address is pushed by the server; the capture's tunnel interface "
			 "(suggest-tunnel) shows it");
	if (t->nres == 0)
		note(im, "no dhcp-option DNS: the resolver is pushed by the server; add it as <resolver> for the "
			 "verdicts to know which resolver is the tunnel's");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* swanctl.conf(5): connections { NAME { remote_addrs, vips, children {
 * CHILD { remote_ts } } } }.  Every other setting is skipped. */

static int import_swanctl(struct imp *im, const char *buf, size_t len)
{
	struct lines *l = xcalloc(1, sizeof(*l));
	l->p = buf;
	l->end = buf + len;
	char path[IMP_MAX_DEPTH][64];
	int depth = 0;
	struct imp_tunnel *t = NULL;
	int rc;
	while ((rc = next_line(im, l)) == 1) {
		char *hash = strchr(l->buf, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(l->buf);
		while (*s && !im->failed) {
			if (*s == '}') {
				if (depth == 0) {
					imp_fail(im, l->no, "'}' without '{'");
					break;
				}
				depth--;
				if (depth == 1)
					t = NULL; /* the end of a connection */
				s = trim(s + 1);
				continue;
			}
			char *brace = strchr(s, '{'), *eq = strchr(s, '=');
			if (brace && (!eq || brace < eq)) {
				*brace = '\0';
				char *name = trim(s);
				if (!*name || strlen(name) >= sizeof(path[0])) {
					imp_fail(im, l->no, "a section needs a name of 1 to 63 characters");
					break;
				}
				if (depth == IMP_MAX_DEPTH) {
					imp_fail(im, l->no, "sections nested deeper than %d", IMP_MAX_DEPTH);
					break;
				}
				snprintf(path[depth++], sizeof(path[0]), "%s", name);
				if (depth == 2 && strcmp(path[0], "connections") == 0) {
					t = new_tunnel(im, l->no, "ipsec", name);
					if (!t)
						break;
				}
				s = trim(brace + 1);
				continue;
			}
			if (!eq) {
				char b[80];
				imp_fail(im, l->no, "expected 'key = value' or 'name {', not '%s'", shown(s, b, sizeof(b)));
				break;
			}
			*eq = '\0';
			/* a value runs to the end of the line or to a '}' closing
			 * its section on the same line (name { key = value }) */
			char *rest = strchr(eq + 1, '}');
			if (rest)
				*rest = '\0';
			char *key = trim(s), *val = trim(eq + 1);
			size_t vl = strlen(val);
			if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') { /* a quoted value */
				val[vl - 1] = '\0';
				val++;
			}
			char *items[IMP_MAX_LIST + 1];
			size_t n;
			if (t && depth == 2 && strcmp(key, "remote_addrs") == 0) {
				n = split(val, ", \t", items, IMP_MAX_LIST + 1);
				for (size_t i = 0; i < n && !im->failed; i++) {
					if (strcmp(items[i], "%any") == 0 || strchr(items[i], '/') || strchr(items[i], '-'))
						note(im, "remote_addrs %s (line %ld): a range, not one gateway: not translated",
						     items[i], l->no);
					else
						add_endpoint(im, t, l->no, items[i], 0, NULL);
				}
			} else if (t && depth == 2 && strcmp(key, "vips") == 0) {
				n = split(val, ", \t", items, IMP_MAX_LIST + 1);
				for (size_t i = 0; i < n && !im->failed; i++) {
					struct ls_addr a;
					static const uint8_t zero[16];
					if (addr_parse(items[i], &a) == 0 && memcmp(a.a, zero, a.af == 4 ? 4 : 16) == 0)
						note(im, "vips %s (line %ld): the inside address is assigned by the gateway; "
							 "the capture shows it", items[i], l->no);
					else
						add_inside(im, t, l->no, items[i], true);
				}
			} else if (t && depth == 4 && strcmp(path[2], "children") == 0 && strcmp(key, "remote_ts") == 0) {
				n = split(val, ", \t", items, IMP_MAX_LIST + 1);
				for (size_t i = 0; i < n && !im->failed; i++) {
					if (strcmp(items[i], "dynamic") == 0)
						continue;
					/* a selector may carry [proto/port]: the prefix is what is routed */
					char *br = strchr(items[i], '[');
					if (br)
						*br = '\0';
					add_scope(im, t, l->no, items[i]);
				}
			}
			if (!rest)
				break;
			*rest = '}';
			s = rest;
		}
		if (im->failed)
			break;
	}
	long last = l->no;
	free(l);
	if (rc < 0 || im->failed)
		return -1;
	if (depth != 0)
		return imp_fail(im, last, "%d section(s) not closed", depth);
	if (im->nt == 0)
		return imp_fail(im, last, "no connection in connections { }");
	for (size_t i = 0; i < im->nt; i++)
		if (im->t[i].nep == 0 && im->t[i].nnames == 0)
			return imp_fail(im, 0, "connection %s has no remote_addrs: nothing says where the tunnel goes",
					im->t[i].name);
	note(im, "swanctl.conf holds no resolver: the gateway assigns it (IKEv2 configuration payload); add it as "
		 "<resolver>");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The description */

static bool scope_has_family(const struct imp_tunnel *t, uint8_t af)
{
	for (size_t i = 0; i < t->nscope; i++)
		if (t->scope[i].a.af == af)
			return true;
	return false;
}

static bool has_family(const struct imp_addr *p, size_t n, uint8_t af)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].a.af == af)
			return true;
	return false;
}

static void scope_notes(struct imp *im, const struct imp_tunnel *t)
{
	char b[64];
	if (!t->scope_known) {
		note(im, "%s: the configuration says nothing of what is routed into the tunnel", t->name);
		return;
	}
	struct sbuf list = {0};
	bool def4 = false, def6 = false;
	for (size_t i = 0; i < t->nscope; i++) {
		sb_addf(&list, "%s%s/%u", i ? ", " : "", addr_str(&t->scope[i].a, b, sizeof(b)), t->scope[i].plen);
		def4 |= t->scope[i].a.af == 4 && t->scope[i].plen == 0;
		def6 |= t->scope[i].a.af == 6 && t->scope[i].plen == 0;
	}
	note(im, "%s: routed into the tunnel: %s", t->name, list.len ? list.s : "nothing");
	if (!def4 || !def6)
		note(im, "%s: not all %s%s%s traffic is routed into the tunnel (a split tunnel, or a family left "
			 "outside); the description has no element for routes, so the verdicts judge by the "
			 "families carried, the resolvers and the names", t->name, def4 ? "" : "IPv4",
		     !def4 && !def6 ? " and " : "", def6 ? "" : "IPv6");
	for (size_t r = 0; r < t->nres; r++) {
		bool in = false;
		for (size_t i = 0; i < t->nscope && !in; i++)
			in = addr_in_prefix(&t->resolver[r], &t->scope[i].a, t->scope[i].plen);
		if (!in)
			note(im, "%s: WARNING: the resolver %s is outside every routed prefix: its queries leave "
				 "outside the tunnel", t->name, addr_str(&t->resolver[r], b, sizeof(b)));
	}
	sb_free(&list);
}

static void emit(struct imp *im, struct sbuf *x)
{
	char b[64], fname[256];
	const char *base = strrchr(im->path, '/');
	base = base ? base + 1 : im->path;
	for (size_t i = 0; im->nt && i < im->nt; i++)
		scope_notes(im, &im->t[i]);
	sb_add(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* the file name in a comment: printable, no "--" */
	size_t j = 0;
	for (size_t i = 0; base[i] && j + 1 < sizeof(fname); i++) {
		bool ok = base[i] >= 0x20 && base[i] < 0x7f && !(base[i] == '-' && j && fname[j - 1] == '-');
		fname[j] = ok ? base[i] : '_';
		j++;
	}
	fname[j] = '\0';
	sb_addf(x, "<!-- Translated by leakscope from the %s configuration %s.\n", im->format, fname);
	if (im->notes.len)
		sb_add(x, im->notes.s);
	sb_add(x, "-->\n<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n");
	size_t nnames = 0;
	for (size_t i = 0; i < im->nt; i++) {
		const struct imp_tunnel *t = &im->t[i];
		nnames += t->nnames;
		sb_addf(x, "  <tunnel name=\"%s\" kind=\"%s\"", t->name, t->kind);
		/* the families carried follow the routes, where that does not
		 * contradict an inside address or resolver of the family */
		if (t->scope_known) {
			for (uint8_t af = 4; af <= 6; af += 2) {
				bool used = has_family(t->inside, t->nin, af);
				for (size_t r = 0; r < t->nres; r++)
					used |= t->resolver[r].af == af;
				if (!scope_has_family(t, af) && !used)
					sb_addf(x, " ipv%u=\"false\"", af);
			}
		}
		sb_add(x, ">\n");
		for (size_t k = 0; k < t->nep; k++) {
			sb_addf(x, "    <endpoint address=\"%s\"", addr_str(&t->ep[k].a, b, sizeof(b)));
			if (t->ep[k].port)
				sb_addf(x, " port=\"%u\"", t->ep[k].port);
			if (t->ep[k].transport)
				sb_addf(x, " transport=\"%s\"", t->ep[k].transport);
			sb_add(x, "/>\n");
		}
		for (size_t k = 0; k < t->nin; k++)
			sb_addf(x, "    <inside prefix=\"%s/%u\"/>\n", addr_str(&t->inside[k].a, b, sizeof(b)),
				t->inside[k].plen);
		for (size_t k = 0; k < t->nres; k++)
			sb_addf(x, "    <resolver address=\"%s\"/>\n", addr_str(&t->resolver[k], b, sizeof(b)));
		if (t->ifname[0]) {
			sb_add(x, "    <interface tunnel=\"");
			sb_add_xml(x, t->ifname);
			sb_add(x, "\"/>\n");
		}
		sb_add(x, "  </tunnel>\n");
	}
	if (nnames) {
		sb_add(x, "  <allow>\n");
		for (size_t i = 0; i < im->nt; i++)
			for (size_t k = 0; k < im->t[i].nnames; k++) {
				sb_add(x, "    <name exact=\"");
				sb_add_xml(x, im->t[i].names[k]);
				sb_add(x, "\" reason=\"the VPN server's own name, looked up to bring the tunnel up\"/>\n");
			}
		sb_add(x, "  </allow>\n");
	}
	sb_add(x, "</tunnels>\n");
}

/* ---------------------------------------------------------------------- */
/* Recognition */

enum imp_format { F_NONE, F_WG, F_OVPN, F_SWANCTL };

static enum imp_format recognise(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	/* XML (a BOM, '<?xml', '<tunnels' or a comment first) is not ours */
	if (len >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
		return F_NONE;
	enum imp_format f = F_NONE;
	long lines = 0;
	bool first = true;
	while (p < end && lines++ < IMP_MAX_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		size_t n = (size_t)(e - p);
		if (n && *p != '#' && *p != ';') {
			if (first && *p == '<' && (n < 5 || (strncmp(p, "<ca>", 4) != 0 && strncmp(p, "<connection>", 12) != 0)))
				return F_NONE;
			first = false;
			if (n >= 11 && strncasecmp(p, "[Interface]", 11) == 0)
				return F_WG;
			if (n >= 11 && strncmp(p, "connections", 11) == 0) {
				const char *q = p + 11;
				while (q < e && (*q == ' ' || *q == '\t'))
					q++;
				if (q < e && *q == '{')
					return F_SWANCTL;
			}
			if (n >= 7 && strncmp(p, "remote", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
				f = F_OVPN;
			if (n >= 6 && strncmp(p, "client", 6) == 0 && (n == 6 || p[6] == ' ' || p[6] == '\t' || p[6] == '\r'))
				f = f == F_NONE ? F_OVPN : f;
		}
		p = nl ? nl + 1 : end;
	}
	return f;
}

int rules_import(const char *path, const char *buf, size_t len, struct sbuf *xml, char *err, size_t errlen)
{
	enum imp_format f = recognise(buf, len);
	if (f == F_NONE)
		return 0;
	struct imp im = {.path = path, .err = err, .errlen = errlen};
	im.t = xcalloc(IMP_MAX_TUNNELS, sizeof(*im.t));
	int rc;
	switch (f) {
	case F_WG:
		im.format = "wg-quick";
		rc = import_wg(&im, buf, len);
		break;
	case F_OVPN:
		im.format = "OpenVPN";
		rc = import_ovpn(&im, buf, len);
		break;
	default:
		im.format = "swanctl";
		rc = import_swanctl(&im, buf, len);
		break;
	}
	for (size_t i = 0; rc == 0 && i < im.nt; i++) {
		const struct imp_tunnel *t = &im.t[i];
		if (t->nep == 0 && t->nnames)
			rc = imp_fail(&im, 0, "%s: the server is given by name only (%s): leakscope reads captures "
				      "offline and resolves nothing, so it needs the address (write it in the "
				      "configuration, or let suggest-tunnel find it in the capture)", t->name, t->names[0]);
		else if (t->nep == 0)
			rc = imp_fail(&im, 0, "%s: no server address", t->name);
	}
	if (rc == 0)
		emit(&im, xml);
	sb_free(&im.notes);
	free(im.t);
	return rc < 0 ? -1 : 1;
}

int rules_load_any(const char *path, struct rules **out, struct sbuf *xml_out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* the same reading and messages as rules_load's; read once, so a
	 * description from a pipe (--tunnel <(...)) works too */
	char *buf = xmalloc(LS_RULES_MAX_FILE + 1);
	size_t n = fread(buf, 1, LS_RULES_MAX_FILE + 1, fp);
	int rerr = ferror(fp) ? errno : 0;
	fclose(fp);
	if (rerr || n > LS_RULES_MAX_FILE) {
		free(buf);
		if (rerr)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(rerr));
		else
			snprintf(err, errlen, "%s: larger than 1 MiB", path);
		return -1;
	}
	int rc = rules_load_any_mem(path, buf, n, out, xml_out, err, errlen);
	free(buf);
	return rc;
}

int rules_load_any_mem(const char *path, const char *buf, size_t n, struct rules **out, struct sbuf *xml_out,
		       char *err, size_t errlen)
{
	*out = NULL;
	struct sbuf xml = {0};
	int rc = rules_import(path, buf, n, &xml, err, errlen);
	if (rc == 0) {
		/* XML: to the loader as it is */
		return rules_load_mem(path, buf, n, out, err, errlen);
	}
	if (rc < 0) {
		sb_free(&xml);
		return -1;
	}
	char name[4200];
	snprintf(name, sizeof(name), "%s (translated)", path);
	rc = rules_load_mem(name, xml.s, xml.len, out, err, errlen);
	if (rc == 0) {
		/* the reports name the file given */
		free((*out)->path);
		(*out)->path = xstrdup(path);
	}
	if (xml_out)
		sb_addn(xml_out, xml.s, xml.len);
	sb_free(&xml);
	return rc;
}
