/* tunnel-config.c - tunnel descriptions from wg-quick(8) and OpenVPN client configurations (wg(8) keys, openvpn(8) directives). */

/*
 * The configuration is hostile text: read at most LS_TUNCONF_MAX_FILE
 * bytes, lines of at most LINE_MAX_LEN, at most MAX_ITEMS of each thing;
 * only the keys below are read, everything else (keys, certificates,
 * scripts: PostUp, up, auth-user-pass ...) is skipped unread, and nothing
 * from the file is ever run or resolved.  Every value written to the
 * description is an address re-printed by inet_ntop, a number, or a name
 * checked against the tunnel name pattern, so the XML is well-formed by
 * construction; the result is still validated by the tunnel loader.
 */
#include "tunnel-config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_LEN 4096
#define MAX_ITEMS 256

struct tc {
	const char *name;
	char *err;
	size_t errlen;
	bool failed;
	char tname[65];
	bool wireguard;
	struct {
		char addr[64];
		unsigned port;
		bool tcp;
	} ep[MAX_ITEMS];
	size_t n_ep;
	char inside[MAX_ITEMS][64];
	size_t n_in;
	char res[MAX_ITEMS][64];
	size_t n_res;
	bool allowed_seen, v4, v6;
};

static void tc_fail(struct tc *t, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void tc_fail(struct tc *t, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (t->failed)
		return;
	t->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (line)
		snprintf(t->err, t->errlen, "%s:%u: %s", t->name, line, msg);
	else
		snprintf(t->err, t->errlen, "%s: %s", t->name, msg);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* A value quoted in a message: at most 60 bytes of it. */
static const char *shown(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%.60s%s", s, strlen(s) > 60 ? "..." : "");
	return buf;
}

/* The address of "addr" or "addr/len" as inet_ntop prints it, or -1. */
static int addr_text(const char *s, char *out, size_t len, uint8_t *af)
{
	struct ls_addr a;
	uint8_t plen;
	if (prefix_parse(s, &a, &plen) < 0)
		return -1;
	addr_str(&a, out, len);
	*af = a.af;
	return 0;
}

static bool add_unique(char list[][64], size_t *n, const char *v)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	if (*n >= MAX_ITEMS)
		return false;
	snprintf(list[(*n)++], 64, "%s", v);
	return true;
}

static void add_inside(struct tc *t, unsigned line, const char *v)
{
	char a[64], b[80];
	uint8_t af;
	if (addr_text(v, a, sizeof(a), &af) < 0)
		tc_fail(t, line, "'%s' is not an address", shown(v, b, sizeof(b)));
	else if (!add_unique(t->inside, &t->n_in, a))
		tc_fail(t, line, "more than %d addresses", MAX_ITEMS);
}

static void add_resolver(struct tc *t, unsigned line, const char *v, bool quiet)
{
	char a[64], b[80];
	uint8_t af;
	struct ls_addr x;
	if (addr_parse(v, &x) < 0) {
		if (!quiet)
			tc_fail(t, line, "resolver '%s' is not an address", shown(v, b, sizeof(b)));
		return; /* wg-quick: a search domain */
	}
	(void)af;
	addr_str(&x, a, sizeof(a));
	if (!add_unique(t->res, &t->n_res, a))
		tc_fail(t, line, "more than %d resolvers", MAX_ITEMS);
}

static void add_endpoint(struct tc *t, unsigned line, const char *host, unsigned port, bool tcp)
{
	char a[64], b[80];
	struct ls_addr x;
	if (addr_parse(host, &x) < 0) {
		tc_fail(t, line,
			"the server '%s' is a host name; leakscope resolves no names: write a tunnel description "
			"with its address (leakscope suggest-tunnel finds it in the capture)",
			shown(host, b, sizeof(b)));
		return;
	}
	addr_str(&x, a, sizeof(a));
	for (size_t i = 0; i < t->n_ep; i++)
		if (strcmp(t->ep[i].addr, a) == 0 && t->ep[i].port == port && t->ep[i].tcp == tcp)
			return;
	if (t->n_ep >= MAX_ITEMS) {
		tc_fail(t, line, "more than %d servers", MAX_ITEMS);
		return;
	}
	snprintf(t->ep[t->n_ep].addr, sizeof(t->ep[t->n_ep].addr), "%s", a);
	t->ep[t->n_ep].port = port;
	t->ep[t->n_ep].tcp = tcp;
	t->n_ep++;
}

static int parse_port(const char *s, unsigned *out)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 5)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* wg-quick */

/* Calls fn for each comma-separated item of v, trimmed. */
static void each_item(struct tc *t, unsigned line, char *v, void (*fn)(struct tc *, unsigned, const char *))
{
	for (char *save = NULL, *p = strtok_r(v, ",", &save); p && !t->failed; p = strtok_r(NULL, ",", &save)) {
		char *x = trim(p);
		if (*x)
			fn(t, line, x);
	}
}

static void wg_dns(struct tc *t, unsigned line, const char *v)
{
	add_resolver(t, line, v, true);
}

static void wg_allowed(struct tc *t, unsigned line, const char *v)
{
	char a[64], b[80];
	uint8_t af;
	if (addr_text(v, a, sizeof(a), &af) < 0) {
		tc_fail(t, line, "AllowedIPs '%s' is not a prefix", shown(v, b, sizeof(b)));
		return;
	}
	t->allowed_seen = true;
	if (af == 4)
		t->v4 = true;
	else
		t->v6 = true;
}

static void wg_endpoint(struct tc *t, unsigned line, char *v)
{
	char b[80];
	char *host = v, *colon;
	if (*v == '[') { /* [2001:db8::5]:51820 */
		char *close = strchr(v, ']');
		if (!close || close[1] != ':') {
			tc_fail(t, line, "Endpoint '%s' is not [address]:port", shown(v, b, sizeof(b)));
			return;
		}
		*close = '\0';
		host = v + 1;
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon) {
			tc_fail(t, line, "Endpoint '%s' has no port", shown(v, b, sizeof(b)));
			return;
		}
		*colon = '\0';
	}
	unsigned port;
	if (parse_port(colon + 1, &port) < 0) {
		tc_fail(t, line, "Endpoint port '%s' is not a port", shown(colon + 1, b, sizeof(b)));
		return;
	}
	add_endpoint(t, line, host, port, false);
}

static void parse_wg(struct tc *t, char **lines, size_t n)
{
	enum { NONE, IFACE, PEER } sec = NONE;
	for (size_t i = 0; i < n && !t->failed; i++) {
		unsigned ln = (unsigned)i + 1;
		char *l = trim(lines[i]);
		if (!*l || *l == '#')
			continue;
		if (*l == '[') {
			sec = strcasecmp(l, "[Interface]") == 0 ? IFACE : strcasecmp(l, "[Peer]") == 0 ? PEER : NONE;
			continue;
		}
		char *eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *key = trim(l), *val = trim(eq + 1);
		char *hash = strchr(val, '#');
		if (hash) {
			*hash = '\0';
			val = trim(val);
		}
		if (sec == IFACE && strcasecmp(key, "Address") == 0)
			each_item(t, ln, val, add_inside);
		else if (sec == IFACE && strcasecmp(key, "DNS") == 0)
			each_item(t, ln, val, wg_dns);
		else if (sec == PEER && strcasecmp(key, "Endpoint") == 0)
			wg_endpoint(t, ln, val);
		else if (sec == PEER && strcasecmp(key, "AllowedIPs") == 0)
			each_item(t, ln, val, wg_allowed);
	}
	if (!t->failed && !t->n_ep)
		tc_fail(t, 0, "no [Peer] with an Endpoint: nothing tells where the tunnel's carrier goes");
}

/* ---------------------------------------------------------------------- */
/* OpenVPN */

static size_t split_words(char *l, char **w, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *p = strtok_r(l, " \t", &save); p && n < max; p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	return n;
}

static bool proto_tcp(const char *p, bool *tcp)
{
	if (strncasecmp(p, "udp", 3) == 0)
		*tcp = false;
	else if (strncasecmp(p, "tcp", 3) == 0)
		*tcp = true;
	else
		return false;
	return true;
}

static void parse_ovpn(struct tc *t, char **lines, size_t n)
{
	unsigned def_port = 1194;
	bool def_tcp = false;
	char inline_end[80] = "";
	/* remotes are written once the defaults (port, proto, in any order) are known */
	struct {
		char host[256];
		unsigned port; /* 0: the default */
		int tcp;       /* -1: the default */
		unsigned line;
	} rem[MAX_ITEMS];
	size_t nrem = 0;
	char b[80];
	for (size_t i = 0; i < n && !t->failed; i++) {
		unsigned ln = (unsigned)i + 1;
		char *l = trim(lines[i]);
		if (inline_end[0]) {
			if (strcasecmp(l, inline_end) == 0)
				inline_end[0] = '\0';
			continue;
		}
		if (!*l || *l == '#' || *l == ';')
			continue;
		/* <connection> blocks hold directives (remote ...): read them;
		 * every other block (<ca>, <key>, <tls-crypt> ...) is data */
		if (strcasecmp(l, "<connection>") == 0 || strcasecmp(l, "</connection>") == 0)
			continue;
		if (*l == '<' && l[1] != '/') {
			snprintf(inline_end, sizeof(inline_end), "</%.60s", l + 1);
			continue;
		}
		char *w[8];
		size_t nw = split_words(l, w, 8);
		if (!nw)
			continue;
		const char *d = w[0][0] == '-' && w[0][1] == '-' ? w[0] + 2 : w[0];
		if (strcmp(d, "remote") == 0 && nw >= 2) {
			if (nrem >= MAX_ITEMS) {
				tc_fail(t, ln, "more than %d remotes", MAX_ITEMS);
				break;
			}
			snprintf(rem[nrem].host, sizeof(rem[nrem].host), "%s", w[1]);
			rem[nrem].port = 0;
			rem[nrem].tcp = -1;
			rem[nrem].line = ln;
			if (nw >= 3 && parse_port(w[2], &rem[nrem].port) < 0)
				tc_fail(t, ln, "remote port '%s' is not a port", shown(w[2], b, sizeof(b)));
			bool tcp = false;
			if (nw >= 4) {
				if (!proto_tcp(w[3], &tcp))
					tc_fail(t, ln, "remote proto '%s' is neither udp nor tcp", shown(w[3], b, sizeof(b)));
				rem[nrem].tcp = tcp;
			}
			nrem++;
		} else if ((strcmp(d, "port") == 0 || strcmp(d, "rport") == 0) && nw >= 2) {
			if (parse_port(w[1], &def_port) < 0)
				tc_fail(t, ln, "port '%s' is not a port", shown(w[1], b, sizeof(b)));
		} else if (strcmp(d, "proto") == 0 && nw >= 2) {
			if (!proto_tcp(w[1], &def_tcp))
				tc_fail(t, ln, "proto '%s' is neither udp nor tcp", shown(w[1], b, sizeof(b)));
		} else if (strcmp(d, "dhcp-option") == 0 && nw >= 3 &&
			   (strcasecmp(w[1], "DNS") == 0 || strcasecmp(w[1], "DNS6") == 0)) {
			add_resolver(t, ln, w[2], false);
		} else if ((strcmp(d, "ifconfig") == 0 || strcmp(d, "ifconfig-ipv6") == 0) && nw >= 2) {
			add_inside(t, ln, w[1]);
		}
	}
	for (size_t i = 0; i < nrem && !t->failed; i++)
		add_endpoint(t, rem[i].line, rem[i].host, rem[i].port ? rem[i].port : def_port,
			     rem[i].tcp < 0 ? def_tcp : rem[i].tcp == 1);
	if (!t->failed && !t->n_ep)
		tc_fail(t, 0, "no remote: nothing tells where the tunnel's carrier goes");
}

/* ---------------------------------------------------------------------- */

static void tunnel_name(struct tc *t, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strcspn(base, ".");
	bool ok = n > 0 && n <= 64 &&
		  ((base[0] >= 'a' && base[0] <= 'z') || (base[0] >= 'A' && base[0] <= 'Z') || (base[0] >= '0' && base[0] <= '9'));
	for (size_t i = 0; ok && i < n; i++) {
		char c = base[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
	}
	if (ok)
		snprintf(t->tname, sizeof(t->tname), "%.*s", (int)n, base);
	else
		snprintf(t->tname, sizeof(t->tname), "%s", t->wireguard ? "wireguard" : "openvpn");
}

int tunconf_to_xml_mem(const char *name, const char *text, size_t len, struct sbuf *xml, char *err, size_t errlen)
{
	struct tc *t = xcalloc(1, sizeof(*t));
	t->name = name;
	t->err = err;
	t->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	int rc = -1;
	char *buf = NULL, **lines = NULL;
	size_t n = 0;
	if (len > LS_TUNCONF_MAX_FILE) {
		tc_fail(t, 0, "larger than %u KiB", LS_TUNCONF_MAX_FILE / 1024);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		tc_fail(t, 0, "holds a NUL byte: not a text configuration");
		goto out;
	}
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	size_t cap = 0;
	for (char *p = buf; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (strlen(p) > LINE_MAX_LEN) {
			tc_fail(t, (unsigned)n + 1, "line longer than %d bytes", LINE_MAX_LEN);
			goto out;
		}
		lines = xgrow(lines, &cap, n + 1, sizeof(*lines));
		lines[n++] = p;
		p = nl ? nl + 1 : NULL;
	}
	for (size_t i = 0; i < n && !t->wireguard; i++) {
		char tmp[LINE_MAX_LEN + 1];
		snprintf(tmp, sizeof(tmp), "%s", lines[i]);
		t->wireguard = strcasecmp(trim(tmp), "[Interface]") == 0;
	}
	tunnel_name(t, name);
	if (t->wireguard) {
		parse_wg(t, lines, n);
	} else {
		bool ovpn = false;
		for (size_t i = 0; i < n && !ovpn; i++) {
			char tmp[LINE_MAX_LEN + 1], *w[2];
			snprintf(tmp, sizeof(tmp), "%s", lines[i]);
			size_t k = split_words(trim(tmp), w, 2);
			ovpn = k && (strcmp(w[0], "remote") == 0 || strcmp(w[0], "client") == 0);
		}
		if (!ovpn) {
			tc_fail(t, 0, "neither a wg-quick configuration ([Interface] section) nor an OpenVPN one "
				      "(remote or client directive)");
			goto out;
		}
		parse_ovpn(t, lines, n);
	}
	/* Without the host's inside address the tunnel interface cannot be
	 * told from the physical one, and every question inside it would be
	 * judged outside: false leaks.  An OpenVPN server pushes the address,
	 * so its client configuration rarely has it. */
	if (!t->failed && !t->n_in)
		tc_fail(t, 0, "%s", t->wireguard
					 ? "no Address in [Interface]: the host's address inside the tunnel is unknown"
					 : "no ifconfig: the host's address inside the tunnel is pushed by the server and "
					   "not in this file; use <auto-tunnel/> or a tunnel description with it "
					   "(leakscope suggest-tunnel reads it from a capture of the tunnel interface)");
	if (t->failed)
		goto out;
	sb_add(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n");
	sb_addf(xml, "  <tunnel name=\"%s\" kind=\"%s\"", t->tname, t->wireguard ? "wireguard" : "openvpn");
	if (t->wireguard && t->allowed_seen)
		sb_addf(xml, " ipv4=\"%s\" ipv6=\"%s\"", t->v4 ? "true" : "false", t->v6 ? "true" : "false");
	sb_add(xml, ">\n");
	for (size_t i = 0; i < t->n_ep; i++)
		sb_addf(xml, "    <endpoint address=\"%s\" port=\"%u\" transport=\"%s\"/>\n", t->ep[i].addr, t->ep[i].port,
			t->ep[i].tcp ? "tcp" : "udp");
	for (size_t i = 0; i < t->n_in; i++)
		sb_addf(xml, "    <inside prefix=\"%s\"/>\n", t->inside[i]);
	for (size_t i = 0; i < t->n_res; i++)
		sb_addf(xml, "    <resolver address=\"%s\" port=\"53\"/>\n", t->res[i]);
	sb_add(xml, "  </tunnel>\n</tunnels>\n");
	rc = 0;
out:
	free(lines);
	free(buf);
	free(t);
	return rc;
}

int tunconf_to_xml(const char *path, struct sbuf *xml, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *buf = xmalloc(LS_TUNCONF_MAX_FILE + 1);
	size_t n = fread(buf, 1, LS_TUNCONF_MAX_FILE + 1, f);
	bool bad = ferror(f) != 0;
	fclose(f);
	int rc;
	if (bad) {
		snprintf(err, errlen, "%s: cannot read", path);
		rc = -1;
	} else {
		rc = tunconf_to_xml_mem(path, buf, n, xml, err, errlen);
	}
	free(buf);
	return rc;
}
