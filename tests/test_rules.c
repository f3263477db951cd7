/* test_rules.c - the tunnel description loader: examples, lookups, hostile and invalid files, check-rules text. */
#include <criterion/criterion.h>

#include <glob.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "rules.h"

/* Files are found from the repository root: make test sets LS_TOP. */
static const char *top(void)
{
	const char *t = getenv("LS_TOP");
	return t && *t ? t : ".";
}

static char *path_of(const char *rel)
{
	static char buf[8][4096];
	static int i;
	char *p = buf[i++ % 8];
	snprintf(p, sizeof(buf[0]), "%s/%s", top(), rel);
	return p;
}

static void setup(void)
{
	rules_set_schema_dir(path_of("rules"));
}

static void teardown(void)
{
	rules_cleanup();
}

TestSuite(rules, .init = setup, .fini = teardown, .timeout = 30);

static struct rules *load_ok(const char *rel)
{
	struct rules *r = NULL;
	char err[2048] = "";
	int rc = rules_load(path_of(rel), &r, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s", rel, err);
	cr_assert_not_null(r);
	return r;
}

static struct ls_addr A(const char *s)
{
	struct ls_addr a;
	cr_assert_eq(addr_parse(s, &a), 0, "test address %s", s);
	return a;
}

/*
 * Loads a file that must be refused; checks the message starts with
 * "<path>:<line>:" (line 0: "<path>: ") and contains each phrase.
 */
static void expect_error(const char *rel, int line, const char *phrase1, const char *phrase2)
{
	struct rules *r = (struct rules *)0x1;
	char err[2048] = "", want[4200];
	int rc = rules_load(path_of(rel), &r, err, sizeof(err));

	cr_assert_eq(rc, -1, "%s loaded but must not", rel);
	cr_assert_null(r, "%s: *out must be NULL on error", rel);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", path_of(rel), line);
	else
		snprintf(want, sizeof(want), "%s: ", path_of(rel));
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "expected prefix '%s', got '%s'", want, err);
	if (phrase1)
		cr_assert_not_null(strstr(err, phrase1), "'%s' not in '%s'", phrase1, err);
	if (phrase2)
		cr_assert_not_null(strstr(err, phrase2), "'%s' not in '%s'", phrase2, err);
	for (const char *p = err; *p; p++)
		cr_assert((unsigned char)*p >= 0x20, "control character in message '%s'", err);
}

/* Same, from memory (generated documents). */
static void expect_mem_error(const char *doc, size_t len, int line, const char *phrase)
{
	struct rules *r = NULL;
	char err[2048] = "", want[64];
	int rc = rules_load_mem("mem.xml", doc, len, &r, err, sizeof(err));

	cr_assert_eq(rc, -1, "loaded but must not: %.200s", doc);
	cr_assert_null(r);
	if (line > 0)
		snprintf(want, sizeof(want), "mem.xml:%d: ", line);
	else
		snprintf(want, sizeof(want), "mem.xml: ");
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "expected prefix '%s', got '%s'", want, err);
	cr_assert_not_null(strstr(err, phrase), "'%s' not in '%s'", phrase, err);
}

static struct rules *mem_ok(const char *doc, size_t len)
{
	struct rules *r = NULL;
	char err[2048] = "";
	cr_assert_eq(rules_load_mem("mem.xml", doc, len, &r, err, sizeof(err)), 0, "%s", err);
	return r;
}

/* ---------------------------------------------------------------------- */
/* The examples */

Test(rules, every_example_loads)
{
	glob_t g;
	char pat[4200];
	snprintf(pat, sizeof(pat), "%s/rules/examples/*.xml", top());
	cr_assert_eq(glob(pat, 0, NULL, &g), 0, "no examples under %s", pat);
	cr_assert_geq(g.gl_pathc, 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct rules *r = NULL;
		char err[2048] = "";
		cr_assert_eq(rules_load(g.gl_pathv[i], &r, err, sizeof(err)), 0, "%s", err);
		cr_assert_geq(r->n_tunnels, 1);
		cr_assert_str_eq(r->path, g.gl_pathv[i]);
		rules_free(r);
	}
	globfree(&g);
}

Test(rules, example_wireguard_fields)
{
	struct rules *r = load_ok("rules/examples/wireguard.xml");
	const struct rules_tunnel *t = &r->tunnels[0];
	struct ls_addr ep = A("203.0.113.5");

	cr_assert_eq(r->n_tunnels, 1);
	cr_assert_str_eq(t->name, "office-wg");
	cr_assert_eq(t->kind, TK_WIREGUARD);
	cr_assert_eq(t->n_endpoints, 1);
	cr_assert_eq(addr_cmp(&t->endpoints[0].pfx.addr, &ep), 0);
	cr_assert_eq(t->endpoints[0].pfx.plen, 32);
	cr_assert_eq(t->endpoints[0].port, 51820);
	cr_assert_eq(t->endpoints[0].transport, IPPROTO_UDP);
	cr_assert_eq(t->n_inside, 2);
	cr_assert_eq(t->inside[1].addr.af, 6);
	cr_assert_eq(t->inside[1].plen, 128);
	cr_assert_eq(t->n_resolvers, 2);
	cr_assert_eq(t->resolvers[0].port, 53);
	cr_assert_null(t->resolvers[0].name);
	cr_assert_null(t->resolvers[0].reason);
	cr_assert_str_eq(t->tun_iface, "wg0");
	cr_assert_str_eq(t->phys_iface, "eth0");
	cr_assert(t->carries_ipv4 && t->carries_ipv6);
	cr_assert_eq(r->n_allow_names + r->n_allow_resolvers, 0);
	rules_free(r);
}

Test(rules, example_openvpn_and_tor_fields)
{
	struct rules *r = load_ok("rules/examples/openvpn-udp.xml");
	cr_assert_eq(r->tunnels[0].kind, TK_OPENVPN);
	cr_assert(r->tunnels[0].carries_ipv4);
	cr_assert_not(r->tunnels[0].carries_ipv6);
	cr_assert_eq(r->n_allow_names, 1);
	cr_assert_str_eq(r->allow_names[0].name, "vpn.example.net");
	cr_assert_not(r->allow_names[0].suffix);
	rules_free(r);

	r = load_ok("rules/examples/openvpn-tcp.xml");
	cr_assert_eq(r->tunnels[0].endpoints[0].transport, IPPROTO_TCP);
	cr_assert_eq(r->tunnels[0].endpoints[0].port, 443);
	cr_assert_str_eq(r->tunnels[0].resolvers[0].name, "dns.vpn.example");
	rules_free(r);

	r = load_ok("rules/examples/tor.xml");
	cr_assert_eq(r->tunnels[0].kind, TK_TOR);
	cr_assert_eq(r->tunnels[0].n_inside, 0);
	cr_assert_eq(r->tunnels[0].n_resolvers, 0);
	cr_assert_null(r->tunnels[0].tun_iface);
	cr_assert_str_eq(r->tunnels[0].phys_iface, "eth0");
	/* No inside prefixes: both families by default. */
	cr_assert(r->tunnels[0].carries_ipv4 && r->tunnels[0].carries_ipv6);
	rules_free(r);

	r = load_ok("rules/examples/split-tunnel.xml");
	cr_assert_eq(r->tunnels[0].kind, TK_IPSEC);
	cr_assert_eq(r->tunnels[0].endpoints[2].transport, IPPROTO_ESP);
	cr_assert_eq(r->tunnels[0].endpoints[2].port, 0);
	cr_assert_eq(r->tunnels[0].endpoints[0].pfx.plen, 29);
	cr_assert_eq(r->n_allow_names, 2);
	cr_assert_eq(r->n_allow_resolvers, 1);
	rules_free(r);
}

Test(rules, kind_str)
{
	cr_assert_str_eq(rules_kind_str(TK_WIREGUARD), "wireguard");
	cr_assert_str_eq(rules_kind_str(TK_OPENVPN), "openvpn");
	cr_assert_str_eq(rules_kind_str(TK_IPSEC), "ipsec");
	cr_assert_str_eq(rules_kind_str(TK_TOR), "tor");
	cr_assert_str_eq(rules_kind_str(TK_OTHER), "other");
	cr_assert_str_eq(rules_kind_str((enum tunnel_kind)99), "?");
}

/* ---------------------------------------------------------------------- */
/* Lookups, against tests/data/rules/valid-lookups.xml */

Test(rules, endpoint_match)
{
	struct rules *r = load_ok("tests/data/rules/valid-lookups.xml");
	const struct rules_tunnel *wg = &r->tunnels[0], *ov = &r->tunnels[1];
	struct ls_addr a;

	/* 203.0.113.5 udp/51820 exactly */
	a = A("203.0.113.5");
	cr_assert_eq(rules_endpoint_match(r, &a, 51820, IPPROTO_UDP), wg);
	cr_assert_null(rules_endpoint_match(r, &a, 51821, IPPROTO_UDP), "wrong port");
	cr_assert_null(rules_endpoint_match(r, &a, 51820, IPPROTO_TCP), "wrong transport");
	a = A("203.0.113.6");
	cr_assert_null(rules_endpoint_match(r, &a, 51820, IPPROTO_UDP), "wrong host");
	/* 2001:db8:5::/48, udp, any port */
	a = A("2001:db8:5:ffff::9");
	cr_assert_eq(rules_endpoint_match(r, &a, 1, IPPROTO_UDP), wg);
	cr_assert_eq(rules_endpoint_match(r, &a, 65535, IPPROTO_UDP), wg);
	cr_assert_null(rules_endpoint_match(r, &a, 1, IPPROTO_TCP));
	a = A("2001:db8:6::1");
	cr_assert_null(rules_endpoint_match(r, &a, 1, IPPROTO_UDP), "outside the /48");
	/* 198.51.100.0/25 port 443, any transport */
	a = A("198.51.100.127");
	cr_assert_eq(rules_endpoint_match(r, &a, 443, IPPROTO_TCP), ov);
	cr_assert_eq(rules_endpoint_match(r, &a, 443, IPPROTO_UDP), ov);
	cr_assert_null(rules_endpoint_match(r, &a, 444, IPPROTO_TCP));
	a = A("198.51.100.128");
	cr_assert_null(rules_endpoint_match(r, &a, 443, IPPROTO_TCP), "outside the /25");
	/* An IPv4-mapped IPv6 address is not the IPv4 endpoint. */
	a = A("::ffff:203.0.113.5");
	cr_assert_null(rules_endpoint_match(r, &a, 51820, IPPROTO_UDP));
	cr_assert_null(rules_endpoint_match(NULL, &a, 51820, IPPROTO_UDP));
	rules_free(r);
}

Test(rules, inside_match)
{
	struct rules *r = load_ok("tests/data/rules/valid-lookups.xml");
	struct ls_addr a;

	a = A("10.66.0.0");
	cr_assert_eq(rules_inside_match(r, &a), &r->tunnels[0]);
	a = A("10.66.0.255");
	cr_assert_eq(rules_inside_match(r, &a), &r->tunnels[0]);
	a = A("10.66.1.0");
	cr_assert_null(rules_inside_match(r, &a));
	a = A("10.8.0.6");
	cr_assert_eq(rules_inside_match(r, &a), &r->tunnels[1]);
	a = A("10.8.0.7");
	cr_assert_null(rules_inside_match(r, &a), "/32 is one host");
	rules_free(r);
}

Test(rules, tunnel_resolver_match)
{
	struct rules *r = load_ok("tests/data/rules/valid-lookups.xml");
	const struct rules_tunnel *tun = (const struct rules_tunnel *)0x1;
	const struct rules_resolver *rs;
	struct ls_addr a;

	a = A("10.66.0.1");
	rs = rules_tunnel_resolver_match(r, &a, 53, &tun);
	cr_assert_not_null(rs);
	cr_assert_eq(tun, &r->tunnels[0]);
	cr_assert_eq(rs->line, 9);
	cr_assert_null(rules_tunnel_resolver_match(r, &a, 853, &tun), "port 53 only");
	cr_assert_null(tun, "*tun cleared when nothing matches");
	/* port left out: any */
	a = A("10.66.0.2");
	cr_assert_not_null(rules_tunnel_resolver_match(r, &a, 5353, NULL));
	/* IPv6, with a server name: lower case, trailing dot gone */
	a = A("2001:db8:53::53");
	rs = rules_tunnel_resolver_match(r, &a, 853, &tun);
	cr_assert_not_null(rs);
	cr_assert_eq(tun, &r->tunnels[1]);
	cr_assert_str_eq(rs->name, "dns.example.net");
	/* an allow-list resolver is not a tunnel resolver */
	a = A("192.168.1.1");
	cr_assert_null(rules_tunnel_resolver_match(r, &a, 53, NULL));
	rules_free(r);
}

Test(rules, allow_name_exact_and_suffix)
{
	struct rules *r = load_ok("tests/data/rules/valid-lookups.xml");
	const struct rules_name *corp = &r->allow_names[0], *sub = &r->allow_names[1];
	const struct rules_name *vpn = &r->allow_names[2], *asub = &r->allow_names[3];

	cr_assert_str_eq(corp->name, "corp.example");
	cr_assert(corp->suffix);
	cr_assert_str_eq(sub->name, "sub.corp.example", "lower-cased, trailing dot removed");
	cr_assert_not(vpn->suffix);

	/* suffix: the name itself and everything below it, any case, with or
	 * without the trailing dot, on a label boundary only */
	cr_assert_eq(rules_allow_name(r, "a.corp.example"), corp);
	cr_assert_eq(rules_allow_name(r, "CORP.EXAMPLE."), corp);
	cr_assert_eq(rules_allow_name(r, "corp.example"), corp);
	cr_assert_eq(rules_allow_name(r, "x.y.Corp.Example"), corp);
	cr_assert_null(rules_allow_name(r, "xcorp.example"));
	cr_assert_null(rules_allow_name(r, "corp.example.com"));
	cr_assert_null(rules_allow_name(r, "example"));
	cr_assert_null(rules_allow_name(r, "orp.example"));
	/* the longer suffix wins, an exact entry wins over both */
	cr_assert_eq(rules_allow_name(r, "x.sub.corp.example"), sub);
	cr_assert_eq(rules_allow_name(r, "a.sub.corp.example"), asub);
	cr_assert_eq(rules_allow_name(r, "b.a.sub.corp.example"), sub);
	/* exact: only that name */
	cr_assert_eq(rules_allow_name(r, "vpn.example.net"), vpn);
	cr_assert_eq(rules_allow_name(r, "VPN.Example.NET."), vpn);
	cr_assert_null(rules_allow_name(r, "a.vpn.example.net"));
	cr_assert_null(rules_allow_name(r, "pn.example.net"));
	/* degenerate queries */
	cr_assert_null(rules_allow_name(r, ""));
	cr_assert_null(rules_allow_name(r, "."));
	cr_assert_null(rules_allow_name(r, NULL));
	cr_assert_null(rules_allow_name(r, ".corp.example.."));
	rules_free(r);
}

Test(rules, allow_resolver)
{
	struct rules *r = load_ok("tests/data/rules/valid-lookups.xml");
	const struct rules_resolver *rs;
	struct ls_addr a;

	a = A("192.168.1.1");
	rs = rules_allow_resolver(r, &a, 53);
	cr_assert_not_null(rs);
	cr_assert_str_eq(rs->reason, "LAN resolver", "whitespace collapsed: '%s'", rs->reason);
	cr_assert_null(rules_allow_resolver(r, &a, 5353));
	a = A("fe80::1");
	cr_assert_not_null(rules_allow_resolver(r, &a, 5353), "port left out: any");
	a = A("10.66.0.1");
	cr_assert_null(rules_allow_resolver(r, &a, 53), "a tunnel resolver is not allowed outside");
	rules_free(r);
}

Test(rules, families)
{
	struct rules *r = load_ok("tests/data/rules/valid-lookups.xml");
	/* wg: IPv4 inside prefixes only, no attribute */
	cr_assert(r->tunnels[0].carries_ipv4);
	cr_assert_not(r->tunnels[0].carries_ipv6);
	/* ovpn: IPv4 inside, ipv6="true" added */
	cr_assert(r->tunnels[1].carries_ipv4);
	cr_assert(r->tunnels[1].carries_ipv6);
	rules_free(r);
}

/* ---------------------------------------------------------------------- */
/* Invalid files: "file:line:" and a phrase that says what is wrong. */

Test(rules, err_not_well_formed)
{
	/* <endpoint> on line 4 is not closed; the parser notices at </tunnel>. */
	expect_error("tests/data/rules/bad-notwellformed.xml", 5, "Opening and ending tag mismatch",
		     "endpoint line 4");
	expect_error("tests/data/rules/bad-notwellformed.xml", 5, "more error", NULL);
}

Test(rules, err_wrong_namespace)
{
	expect_error("tests/data/rules/bad-namespace.xml", 2, "{urn:leakscope:tunnel:2}tunnels",
		     "No matching global declaration");
	expect_error("tests/data/rules/bad-no-namespace.xml", 2, "Element 'tunnels'",
		     "No matching global declaration");
}

Test(rules, err_missing_attribute)
{
	expect_error("tests/data/rules/bad-missing-attr.xml", 4, "Element 'endpoint'",
		     "'address' is required");
	expect_error("tests/data/rules/bad-reason-missing.xml", 7, "'reason' is required", NULL);
}

Test(rules, err_unknown_kind)
{
	expect_error("tests/data/rules/bad-kind.xml", 3, "'pptp'", "'wireguard'");
}

Test(rules, err_bad_address)
{
	/* schema pattern (IPv4), then inet_pton (IPv6 passes the pattern) */
	expect_error("tests/data/rules/bad-address.xml", 5, "'10.0.0.256'",
		     "is not an IPv4 or IPv6 address");
	expect_error("tests/data/rules/bad-address-v6.xml", 5, "bad address '2001:db8:::1'", NULL);
}

Test(rules, err_bad_prefix_length)
{
	expect_error("tests/data/rules/bad-prefix-len.xml", 5, "'10.0.0.0/33'", "IPv4 lengths 0..32");
	expect_error("tests/data/rules/bad-prefix-len-v6.xml", 6, "bad prefix length in 'fd00::/129'",
		     "0..128");
}

Test(rules, err_host_bits)
{
	expect_error("tests/data/rules/bad-hostbits.xml", 5,
		     "10.66.0.2/24 has host bits set; did you mean 10.66.0.0/24", "10.66.0.2/32");
	expect_error("tests/data/rules/bad-hostbits-endpoint.xml", 4,
		     "2001:db8::1/64 has host bits set; did you mean 2001:db8::/64?", NULL);
}

Test(rules, err_port_range)
{
	expect_error("tests/data/rules/bad-port0.xml", 4, "attribute 'port'", "'0' is less than the minimum");
	expect_error("tests/data/rules/bad-port70000.xml", 5, "attribute 'port'", "'70000'");
}

Test(rules, err_xxe_refused_unread)
{
	char err[2048] = "";
	struct rules *r = NULL;

	expect_error("tests/data/rules/bad-xxe.xml", 3, "DOCTYPE is not allowed", NULL);
	expect_error("tests/data/rules/bad-xxe-param.xml", 3, "DOCTYPE is not allowed", NULL);
	/* Nothing of /etc/passwd (or /etc/hostname) reached the message: the
	 * parser stopped at the DOCTYPE, before any entity was declared. */
	cr_assert_eq(rules_load(path_of("tests/data/rules/bad-xxe.xml"), &r, err, sizeof(err)), -1);
	cr_assert_null(strstr(err, "root:"), "%s", err);
	cr_assert_null(strstr(err, "passwd"), "%s", err);
	cr_assert_null(strstr(err, "refused to load"), "no load was even attempted: %s", err);
}

Test(rules, err_billion_laughs_bounded)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_error("tests/data/rules/bad-billion-laughs.xml", 3, "DOCTYPE is not allowed", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(s, 2.0, "took %.3f s", s);
}

Test(rules, err_doctype_without_entities)
{
	expect_error("tests/data/rules/bad-doctype-plain.xml", 2, "DOCTYPE is not allowed", NULL);
}

Test(rules, err_foreign_includes_ignored)
{
	/* Undeclared entity: a well-formedness error, nothing looked up. */
	expect_error("tests/data/rules/bad-undefined-entity.xml", 7, "Entity 'passwd' not defined", NULL);
	/* XInclude is not processed; the schema refuses the element. */
	expect_error("tests/data/rules/bad-xinclude.xml", 4, "XInclude}include", "not expected");
	/* xsi:schemaLocation is not followed: our schema judged the file. */
	expect_error("tests/data/rules/bad-schemalocation.xml", 6, "'pptp'", NULL);
}

static char *tmpfile_with(const void *data, size_t len)
{
	static char name[64];
	snprintf(name, sizeof(name), "/tmp/ls-rules-XXXXXX");
	int fd = mkstemp(name);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return name;
}

/* A valid document padded with a comment to exactly n bytes. */
static char *padded_doc(size_t n)
{
	static const char head[] = "<tunnels xmlns=\"urn:leakscope:tunnel:1\"><tunnel name=\"t\" kind=\"other\">"
				   "<endpoint address=\"192.0.2.1\"/></tunnel></tunnels>\n<!--";
	static const char tail[] = "-->\n";
	char *d = malloc(n);
	cr_assert_not_null(d);
	cr_assert_gt(n, sizeof(head) + sizeof(tail));
	memcpy(d, head, sizeof(head) - 1);
	memset(d + sizeof(head) - 1, 'x', n - (sizeof(head) - 1) - (sizeof(tail) - 1));
	memcpy(d + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	return d;
}

Test(rules, err_too_large)
{
	struct rules *r = NULL;
	char err[2048] = "", want[128];
	size_t sizes[] = {2u << 20, LS_RULES_MAX_FILE + 1};

	for (size_t i = 0; i < 2; i++) {
		char *d = padded_doc(sizes[i]);
		char *name = tmpfile_with(d, sizes[i]);
		cr_assert_eq(rules_load(name, &r, err, sizeof(err)), -1, "%zu bytes loaded", sizes[i]);
		snprintf(want, sizeof(want), "%s: larger than 1 MiB", name);
		cr_assert_str_eq(err, want);
		unlink(name);
		free(d);
	}
	/* exactly 1 MiB is allowed */
	char *d = padded_doc(LS_RULES_MAX_FILE);
	char *name = tmpfile_with(d, LS_RULES_MAX_FILE);
	cr_assert_eq(rules_load(name, &r, err, sizeof(err)), 0, "%s", err);
	rules_free(r);
	unlink(name);
	free(d);
}

Test(rules, err_empty_and_blank)
{
	expect_error("tests/data/rules/empty.xml", 0, "empty file", NULL);
	expect_mem_error("  \n\n ", 5, 3, "Start tag expected");
}

Test(rules, err_binary_garbage)
{
	/* A PNG signature and IHDR chunk start, a UTF-16 BOM fragment, a NUL
	 * and a '<' followed by a control character: not XML in any encoding. */
	static const uint8_t garbage[] = {
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, /* \x89PNG\r\n\x1a\n */
		0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, /* length 13, "IHDR" */
		0xff, 0xfe, 0x00, 0x3c, 0x01, 0x80, 0xc0, 0xaf, /* BOM, NUL, '<', \x01, bad UTF-8 */
	};
	char *name = tmpfile_with(garbage, sizeof(garbage));
	struct rules *r = NULL;
	char err[2048] = "", want[128];

	cr_assert_eq(rules_load(name, &r, err, sizeof(err)), -1);
	cr_assert_null(r);
	snprintf(want, sizeof(want), "%s:1: ", name);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "got '%s'", err);
	cr_assert_not_null(strstr(err, "Start tag expected"), "%s", err);
	for (const char *p = err; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in '%s'", err);
	unlink(name);

	/* The same bytes through the memory entry point, at every length. */
	for (size_t n = 0; n <= sizeof(garbage); n++)
		cr_assert_eq(rules_load_mem("g", garbage, n, &r, err, sizeof(err)), -1);
}

Test(rules, err_duplicate_tunnel_name)
{
	/* "Office" and "office": case does not tell tunnels apart. */
	expect_error("tests/data/rules/bad-dup-tunnel.xml", 6, "duplicate tunnel name \"Office\"",
		     "first at line 3");
}

Test(rules, err_name_exact_and_suffix)
{
	expect_error("tests/data/rules/bad-name-both.xml", 8, "both exact= and suffix=", NULL);
	expect_error("tests/data/rules/bad-name-neither.xml", 7, "neither exact= nor suffix=", NULL);
}

Test(rules, err_semantic_checks)
{
	expect_error("tests/data/rules/bad-endpoint-inside.xml", 5,
		     "endpoint 10.66.0.1 lies inside", "10.66.0.0/24 (line 6)");
	expect_error("tests/data/rules/bad-esp-port.xml", 4, "esp cannot have a port", NULL);
	expect_error("tests/data/rules/bad-family.xml", 8, "resolver fd00:66::1 is IPv6",
		     "carries IPv4 only");
	expect_error("tests/data/rules/bad-family-flag.xml", 3, "ipv4=\"false\"", "IPv4 inside prefix");
	expect_error("tests/data/rules/bad-reason-blank.xml", 7, "reason is empty", NULL);
	expect_error("tests/data/rules/bad-label-long.xml", 8, "longer than 63", NULL);
	expect_error("tests/data/rules/bad-order.xml", 4, "Element 'inside'", "not expected");
}

Test(rules, err_io)
{
	expect_error("tests/data/rules/does-not-exist.xml", 0, "cannot open", "No such file");
	expect_error("tests/data/rules", 0, "cannot read", NULL);
}

Test(rules, err_schema_missing)
{
	/* The message is about the schema file, not the rules file. */
	rules_set_schema_dir("/nonexistent-leakscope");
	struct rules *r = NULL;
	char err[2048] = "";
	cr_assert_eq(rules_load(path_of("rules/examples/wireguard.xml"), &r, err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, "/nonexistent-leakscope/tunnel.xsd: cannot open", 46), 0, "%s", err);
	cr_assert_not_null(strstr(err, "LEAKSCOPE_DATADIR"), "%s", err);
}

Test(rules, schema_built_in)
{
	/* neither a directory nor the environment: the embedded copy, so a
	 * binary moved away from its build tree still checks descriptions */
	rules_set_schema_dir(NULL);
	unsetenv("LEAKSCOPE_DATADIR");
	cr_assert_str_eq(rules_schema_path(), "(built-in) rules/tunnel.xsd");
	rules_free(load_ok("rules/examples/tor.xml"));
	/* and it is the schema: an element it does not know is refused */
	struct rules *r = NULL;
	char err[2048] = "";
	static const char bad[] = "<tunnel xmlns=\"urn:leakscope:tunnel:1\" name=\"x\"><bogus/></tunnel>";
	cr_assert_eq(rules_load_mem("bad.xml", bad, sizeof(bad) - 1, &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "bad.xml:1:"), "%s", err);
}

Test(rules, schema_from_environment)
{
	char want[4200];
	rules_set_schema_dir(NULL);
	setenv("LEAKSCOPE_DATADIR", top(), 1);
	snprintf(want, sizeof(want), "%s/rules/tunnel.xsd", top());
	cr_assert_str_eq(rules_schema_path(), want);
	rules_free(load_ok("rules/examples/tor.xml"));
	/* an explicit directory wins over the environment */
	rules_set_schema_dir("/elsewhere");
	cr_assert_str_eq(rules_schema_path(), "/elsewhere/tunnel.xsd");
}

/* ---------------------------------------------------------------------- */
/* Limits, on generated documents */

static void gen_tunnels(struct sbuf *b, int n_tunnels, int n_endpoints, int n_allow)
{
	sb_add(b, "<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"); /* line 1 */
	for (int i = 0; i < n_tunnels; i++) {
		sb_addf(b, "<tunnel name=\"t%d\" kind=\"other\">\n", i);
		for (int j = 0; j < n_endpoints; j++)
			sb_addf(b, "<endpoint address=\"192.0.%d.%d\"/>\n", j / 256, j % 256);
		sb_add(b, "</tunnel>\n");
	}
	if (n_allow) {
		sb_add(b, "<allow>\n");
		for (int i = 0; i < n_allow; i++)
			sb_addf(b, "<name exact=\"n%d.example\" reason=\"r\"/>\n", i);
		sb_add(b, "</allow>\n");
	}
	sb_add(b, "</tunnels>\n");
}

Test(rules, limit_tunnels)
{
	struct sbuf b = {0};
	gen_tunnels(&b, 64, 1, 0);
	rules_free(mem_ok(b.s, b.len));
	sb_free(&b);
	/* tunnel i starts on line 2 + 3 i: the 65th (i = 64) on line 194 */
	gen_tunnels(&b, 65, 1, 0);
	expect_mem_error(b.s, b.len, 194, "more than 64 tunnels");
	sb_free(&b);
}

Test(rules, limit_per_tunnel)
{
	struct sbuf b = {0};
	gen_tunnels(&b, 1, 256, 0);
	struct rules *r = mem_ok(b.s, b.len);
	cr_assert_eq(r->tunnels[0].n_endpoints, 256);
	rules_free(r);
	sb_free(&b);
	/* endpoint j on line 3 + j: the 257th on line 259 */
	gen_tunnels(&b, 1, 257, 0);
	expect_mem_error(b.s, b.len, 259, "more than 256 endpoint elements");
	sb_free(&b);
}

Test(rules, limit_allow)
{
	struct sbuf b = {0};
	gen_tunnels(&b, 1, 1, 4096);
	struct rules *r = mem_ok(b.s, b.len);
	cr_assert_eq(r->n_allow_names, 4096);
	cr_assert_not_null(rules_allow_name(r, "N4095.Example."));
	rules_free(r);
	sb_free(&b);
	/* entry i on line 6 + i: the 4097th on line 4102 */
	gen_tunnels(&b, 1, 1, 4097);
	expect_mem_error(b.s, b.len, 4102, "more than 4096 entries");
	sb_free(&b);
}

Test(rules, limit_name_length)
{
	static const char fmt[] = "<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n"
				  "<tunnel name=\"t\" kind=\"other\"><endpoint address=\"192.0.2.1\"/></tunnel>\n"
				  "<allow>\n<name exact=\"%s\" reason=\"r\"/>\n</allow></tunnels>\n";
	char name[300], doc[1024];
	/* 4 labels of 63 + "." separators = 255; cut to the length wanted */
	memset(name, 'a', sizeof(name));
	for (int i = 63; i < 300; i += 64)
		name[i] = '.';

	name[253] = '\0'; /* 253 characters: the longest name */
	snprintf(doc, sizeof(doc), fmt, name);
	struct rules *r = mem_ok(doc, strlen(doc));
	cr_assert_eq(strlen(r->allow_names[0].name), 253);
	rules_free(r);

	name[253] = '.'; /* 253 + a trailing dot: still the same name */
	name[254] = '\0';
	snprintf(doc, sizeof(doc), fmt, name);
	rules_free(mem_ok(doc, strlen(doc)));

	name[253] = 'a'; /* 254 without a dot: the schema lets it by, the loader does not */
	snprintf(doc, sizeof(doc), fmt, name);
	expect_mem_error(doc, strlen(doc), 4, "longer than 253");
}

Test(rules, hostile_odd_documents)
{
	struct sbuf b = {0};
	/* Deep nesting: libxml2's depth limit (no XML_PARSE_HUGE) stops it. */
	for (int i = 0; i < 5000; i++)
		sb_add(&b, "<a>");
	expect_mem_error(b.s, b.len, 1, "Excessive depth");
	sb_free(&b);
	/* A control character through a character reference in an interface
	 * name (a literal one would be normalised to a space). */
	static const char tab[] = "<tunnels xmlns=\"urn:leakscope:tunnel:1\"><tunnel name=\"t\" kind=\"other\">\n"
				  "<endpoint address=\"192.0.2.1\"/><interface tunnel=\"wg&#9;0\"/></tunnel></tunnels>";
	expect_mem_error(tab, sizeof(tab) - 1, 2, "bad interface name");
	/* An attribute outside the schema. */
	static const char extra[] = "<tunnels xmlns=\"urn:leakscope:tunnel:1\"><tunnel name=\"t\" kind=\"other\">\n"
				    "<endpoint address=\"192.0.2.1\" weight=\"1\"/></tunnel></tunnels>";
	expect_mem_error(extra, sizeof(extra) - 1, 2, "'weight' is not allowed");
	/* No tunnel at all. */
	static const char none[] = "<tunnels xmlns=\"urn:leakscope:tunnel:1\"/>";
	expect_mem_error(none, sizeof(none) - 1, 1, "Missing child element");
}

/* libxml2 state that other modules may rely on is put back after a load. */
static void my_serror(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static xmlParserInputPtr my_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

Test(rules, libxml2_state_restored)
{
	int token;
	xmlInitParser();
	xmlSetStructuredErrorFunc(&token, my_serror);
	xmlSetExternalEntityLoader(my_loader);
	expect_error("tests/data/rules/bad-xxe.xml", 3, "DOCTYPE", NULL);
	expect_error("tests/data/rules/bad-kind.xml", 3, "pptp", NULL);
	rules_free(load_ok("rules/examples/wireguard.xml"));
	cr_assert_eq(xmlStructuredError, my_serror);
	cr_assert_eq(xmlStructuredErrorContext, &token);
	cr_assert_eq(xmlGetExternalEntityLoader(), my_loader);
}

/* ---------------------------------------------------------------------- */
/* Truncation sweep: every prefix of a valid file fails cleanly, except the
 * ones that only lack the trailing newline. */

Test(rules, truncation_sweep)
{
	FILE *f = fopen(path_of("rules/examples/split-tunnel.xml"), "rb");
	static char buf[1 << 16];
	size_t n, end;
	char err[2048];
	struct rules *r;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_gt(n, 100);
	end = (size_t)(strstr(buf, "</tunnels>") - buf) + strlen("</tunnels>");
	for (size_t len = 0; len <= n; len++) {
		r = NULL;
		err[0] = '\0';
		int rc = rules_load_mem("cut.xml", buf, len, &r, err, sizeof(err));
		if (len < end) {
			cr_assert_eq(rc, -1, "prefix of %zu bytes loaded", len);
			cr_assert_null(r);
			cr_assert_eq(strncmp(err, "cut.xml:", 8), 0, "len %zu: '%s'", len, err);
		} else {
			cr_assert_eq(rc, 0, "len %zu: %s", len, err);
			rules_free(r);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* check-rules text */

static char *describe_file(const char *rel, char **wrapped)
{
	struct rules *r = load_ok(rel);
	char *s = rules_describe_str(r);
	size_t len = 0;
	FILE *m = open_memstream(wrapped, &len);
	cr_assert_not_null(m);
	rules_describe(r, m);
	fclose(m);
	rules_free(r);
	return s;
}

static void assert_has(const char *s, const char *needle)
{
	cr_assert_not_null(strstr(s, needle), "'%s' not in:\n%s", needle, s);
}

/* The wrapped form is the one-line form with some spaces made newlines. */
static void assert_wrap(const char *flat, const char *wrapped)
{
	size_t n = strlen(flat), col = 0;
	cr_assert_eq(strlen(wrapped), n + 1, "wrapped length");
	cr_assert_eq(wrapped[n], '\n');
	for (size_t i = 0; i < n; i++) {
		if (wrapped[i] == '\n') {
			cr_assert_eq(flat[i], ' ', "newline at %zu replaces a non-space", i);
			col = 0;
		} else {
			cr_assert_eq(wrapped[i], flat[i], "byte %zu differs", i);
			cr_assert_leq(++col, 78, "line longer than 78 at %zu", i);
		}
	}
}

Test(rules, describe_wireguard)
{
	char *w = NULL, *s = describe_file("rules/examples/wireguard.xml", &w);
	assert_has(s, "Tunnel \"office-wg\" (WireGuard) carries IPv4 and IPv6, to 203.0.113.5 udp/51820;");
	assert_has(s, "inside it this host is 10.66.0.2/32 and fd00:66::2/128;");
	assert_has(s, "name resolution must go to 10.66.0.1 port 53 and fd00:66::1 port 53 through it;");
	assert_has(s, "the capture names the tunnel interface wg0 and the physical one eth0.");
	assert_has(s, "Nothing may be resolved outside the tunnel");
	assert_wrap(s, w);
	free(s);
	free(w);
}

Test(rules, describe_openvpn_udp)
{
	char *w = NULL, *s = describe_file("rules/examples/openvpn-udp.xml", &w);
	assert_has(s, "(OpenVPN) carries IPv4 only, to 198.51.100.10 udp/1194 and 198.51.100.11 udp/1194;");
	assert_has(s, "Allowed outside the tunnel: the name vpn.example.net (the server's own name");
	assert_has(s, "Anything else resolved outside is a leak.");
	assert_wrap(s, w);
	free(s);
	free(w);
}

Test(rules, describe_tor)
{
	char *w = NULL, *s = describe_file("rules/examples/tor.xml", &w);
	assert_has(s, "Tunnel \"tor\" (Tor) carries this host's TCP streams through the guard relays "
		      "192.0.2.44 tcp/9001, 198.51.100.77 tcp/443 and 2001:db8:70::9001 tcp/9001;");
	assert_has(s, "names are resolved by the Tor exit relay, so any name resolution this host does itself is a leak");
	assert_has(s, "the capture names the physical interface eth0.");
	assert_wrap(s, w);
	free(s);
	free(w);
}

Test(rules, describe_split_tunnel)
{
	char *w = NULL, *s = describe_file("rules/examples/split-tunnel.xml", &w);
	assert_has(s, "(IPsec) carries IPv4 only, to 203.0.113.16/29 udp/500, 203.0.113.16/29 udp/4500 and 203.0.113.16/29 esp;");
	assert_has(s, "corp.example and every name below it (split tunnel: the office intranet is resolved by the LAN resolver)");
	assert_has(s, "and the resolver 192.168.1.1 port 53 (the office LAN resolver");
	assert_wrap(s, w);
	/* deterministic */
	char *w2 = NULL, *s2 = describe_file("rules/examples/split-tunnel.xml", &w2);
	cr_assert_str_eq(s, s2);
	cr_assert_str_eq(w, w2);
	free(s);
	free(w);
	free(s2);
	free(w2);
}

Test(rules, describe_lookups_file)
{
	char *w = NULL, *s = describe_file("tests/data/rules/valid-lookups.xml", &w);
	assert_has(s, "2001:db8:5::/48 udp (any port)");
	assert_has(s, "198.51.100.0/25 port 443 (udp or tcp)");
	assert_has(s, "10.66.0.2 (any port)");
	assert_has(s, "2001:db8:53::53 port 853 (dns.example.net)");
	assert_has(s, "Allowed outside the tunnels:");
	assert_wrap(s, w);
	free(s);
	free(w);
}

/* ---------------------------------------------------------------------- */
/* The lookups' tables answer as the linear walks in document order did:
 * the walks below are the code the tables replaced, word for word. */

static const struct rules_tunnel *lin_endpoint(const struct rules *r, const struct ls_addr *a, uint16_t port,
					      uint8_t transport)
{
	for (size_t i = 0; i < r->n_tunnels; i++) {
		const struct rules_tunnel *t = &r->tunnels[i];
		for (size_t j = 0; j < t->n_endpoints; j++) {
			const struct rules_endpoint *ep = &t->endpoints[j];
			if (!addr_in_prefix(a, &ep->pfx.addr, ep->pfx.plen))
				continue;
			if (ep->port && ep->port != port)
				continue;
			if (ep->transport && ep->transport != transport)
				continue;
			return t;
		}
	}
	return NULL;
}

static const struct rules_tunnel *lin_endpoint_addr(const struct rules *r, const struct ls_addr *a)
{
	for (size_t i = 0; i < r->n_tunnels; i++)
		for (size_t j = 0; j < r->tunnels[i].n_endpoints; j++)
			if (addr_in_prefix(a, &r->tunnels[i].endpoints[j].pfx.addr, r->tunnels[i].endpoints[j].pfx.plen))
				return &r->tunnels[i];
	return NULL;
}

static const struct rules_tunnel *lin_inside(const struct rules *r, const struct ls_addr *a)
{
	for (size_t i = 0; i < r->n_tunnels; i++) {
		const struct rules_tunnel *t = &r->tunnels[i];
		for (size_t j = 0; j < t->n_inside; j++)
			if (addr_in_prefix(a, &t->inside[j].addr, t->inside[j].plen))
				return t;
	}
	return NULL;
}

static bool lin_resolver_is(const struct rules_resolver *rs, const struct ls_addr *a, uint16_t port)
{
	return addr_cmp(&rs->addr, a) == 0 && (rs->port == 0 || rs->port == port);
}

static const struct rules_resolver *lin_tunnel_resolver(const struct rules *r, const struct ls_addr *a,
							 uint16_t port, const struct rules_tunnel **tun)
{
	*tun = NULL;
	for (size_t i = 0; i < r->n_tunnels; i++) {
		const struct rules_tunnel *t = &r->tunnels[i];
		for (size_t j = 0; j < t->n_resolvers; j++)
			if (lin_resolver_is(&t->resolvers[j], a, port)) {
				*tun = t;
				return &t->resolvers[j];
			}
	}
	return NULL;
}

static const struct rules_resolver *lin_allow_resolver(const struct rules *r, const struct ls_addr *a, uint16_t port)
{
	for (size_t i = 0; i < r->n_allow_resolvers; i++)
		if (lin_resolver_is(&r->allow_resolvers[i], a, port))
			return &r->allow_resolvers[i];
	return NULL;
}

/* A small state, so a failure can be replayed from its seed. */
static uint64_t rnd_state;
static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rnd_state >> 33) % n;
}

static const uint16_t PORTS[] = {0, 0, 51820, 1194, 443, 53, 853, 500, 4500};
static const char *const TRANSPORTS[] = {NULL, NULL, "udp", "tcp", "esp"};
static const uint8_t TR_NUM[] = {0, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ESP, 17, 6, 50, 1};

/* An address near the pools the descriptions draw from (so that lookups
 * hit, miss by a bit, and cross families), into a. */
static void rnd_addr(struct ls_addr *a, bool inside_pool)
{
	memset(a, 0, sizeof(*a));
	if (rnd(2)) {
		a->af = 4;
		a->a[0] = inside_pool ? 10 : (uint8_t)(198 + rnd(2));
		a->a[1] = (uint8_t)(inside_pool ? rnd(4) : 18 + rnd(2));
		a->a[2] = (uint8_t)rnd(4);
		a->a[3] = (uint8_t)rnd(256);
	} else {
		a->af = 6;
		a->a[0] = inside_pool ? 0xfd : 0x20;
		a->a[1] = inside_pool ? 0 : 0x01;
		a->a[2] = 0x0d, a->a[3] = 0xb8;
		a->a[5] = (uint8_t)rnd(3);
		a->a[7] = (uint8_t)rnd(3);
		a->a[15] = (uint8_t)rnd(4);
	}
}

/* addr/plen as text with the host bits cleared (the loader refuses them). */
static void prefix_text(struct ls_addr *a, uint8_t plen, char *out, size_t len)
{
	unsigned full = plen / 8, rest = plen % 8;
	for (unsigned i = full + (rest ? 1 : 0); i < 16; i++)
		a->a[i] = 0;
	if (rest)
		a->a[full] &= (uint8_t)(0xff << (8 - rest));
	char b[64];
	snprintf(out, len, "%s/%u", addr_str(a, b, sizeof(b)), (unsigned)plen);
}

/* ntun tunnels of 1..per endpoints (exactly per when fixed) and 0..other
 * inside prefixes and resolvers each. */
static void gen_random_description(struct sbuf *b, int ntun, int per, bool fixed, int other)
{
	static const uint8_t P4[] = {8, 15, 16, 20, 22, 24, 30, 31, 32};
	static const uint8_t P6[] = {32, 48, 56, 64, 100, 127, 128};
	sb_add(b, "<tunnels xmlns=\"urn:leakscope:tunnel:1\">\n");
	for (int t = 0; t < ntun; t++) {
		sb_addf(b, "<tunnel name=\"t%d\" kind=\"other\" ipv4=\"true\" ipv6=\"true\">\n", t);
		int ne = fixed ? per : 1 + (int)rnd((uint32_t)per);
		for (int j = 0; j < ne; j++) {
			struct ls_addr a;
			rnd_addr(&a, false);
			char p[80];
			prefix_text(&a, a.af == 4 ? P4[rnd(sizeof(P4))] : P6[rnd(sizeof(P6))], p, sizeof(p));
			sb_addf(b, "<endpoint address=\"%s\"", p);
			uint16_t port = PORTS[rnd(sizeof(PORTS) / sizeof(PORTS[0]))];
			const char *tr = TRANSPORTS[rnd(5)];
			if (port && !(tr && !strcmp(tr, "esp"))) /* ESP has no ports */
				sb_addf(b, " port=\"%u\"", port);
			if (tr)
				sb_addf(b, " transport=\"%s\"", tr);
			sb_add(b, "/>\n");
		}
		int ni = (int)rnd((uint32_t)other + 1);
		for (int j = 0; j < ni; j++) {
			struct ls_addr a;
			rnd_addr(&a, true);
			char p[80];
			prefix_text(&a, a.af == 4 ? P4[1 + rnd(sizeof(P4) - 1)] : P6[rnd(sizeof(P6))], p, sizeof(p));
			sb_addf(b, "<inside prefix=\"%s\"/>\n", p);
		}
		int nr = (int)rnd((uint32_t)other + 1);
		for (int j = 0; j < nr; j++) {
			struct ls_addr a;
			rnd_addr(&a, true);
			char s[64];
			sb_addf(b, "<resolver address=\"%s\"", addr_str(&a, s, sizeof(s)));
			uint16_t port = PORTS[rnd(sizeof(PORTS) / sizeof(PORTS[0]))];
			if (port)
				sb_addf(b, " port=\"%u\"", port);
			sb_add(b, "/>\n");
		}
		sb_add(b, "</tunnel>\n");
	}
	sb_add(b, "<allow>\n");
	int na = (int)rnd(40);
	for (int j = 0; j < na; j++) {
		struct ls_addr a;
		rnd_addr(&a, rnd(2));
		char s[64];
		sb_addf(b, "<resolver address=\"%s\"", addr_str(&a, s, sizeof(s)));
		uint16_t port = PORTS[rnd(sizeof(PORTS) / sizeof(PORTS[0]))];
		if (port)
			sb_addf(b, " port=\"%u\"", port);
		sb_add(b, " reason=\"r\"/>\n");
	}
	sb_add(b, "</allow>\n</tunnels>\n");
}

static void compare_lookups(const struct rules *r, uint64_t seed, int nlook)
{
	for (int k = 0; k < nlook; k++) {
		struct ls_addr a;
		rnd_addr(&a, rnd(2));
		uint16_t port = rnd(4) ? PORTS[rnd(sizeof(PORTS) / sizeof(PORTS[0]))] : (uint16_t)rnd(65536);
		uint8_t tr = TR_NUM[rnd(sizeof(TR_NUM))];
		char b[64];
		addr_str(&a, b, sizeof(b));
		cr_assert_eq(rules_endpoint_match(r, &a, port, tr), lin_endpoint(r, &a, port, tr),
			     "seed %llu: endpoint %s port %u transport %u", (unsigned long long)seed, b, port, tr);
		cr_assert_eq(rules_endpoint_addr_match(r, &a), lin_endpoint_addr(r, &a), "seed %llu: endpoint address %s",
			     (unsigned long long)seed, b);
		cr_assert_eq(rules_inside_match(r, &a), lin_inside(r, &a), "seed %llu: inside %s",
			     (unsigned long long)seed, b);
		const struct rules_tunnel *t1, *t2;
		cr_assert_eq(rules_tunnel_resolver_match(r, &a, port, &t1), lin_tunnel_resolver(r, &a, port, &t2),
			     "seed %llu: resolver %s port %u", (unsigned long long)seed, b, port);
		cr_assert_eq(t1, t2);
		cr_assert_eq(rules_allow_resolver(r, &a, port), lin_allow_resolver(r, &a, port),
			     "seed %llu: allowed resolver %s port %u", (unsigned long long)seed, b, port);
	}
}

Test(rules, indexed_lookups_equal_the_linear_walk)
{
	/* 300 random descriptions (up to 8 tunnels x 24 entries each), 2,000
	 * random lookups each; then one of 64 tunnels x 160 endpoints (the
	 * 1 MiB file cap comes before 64 x 256) */
	unsigned hits = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		rnd_state = seed;
		struct sbuf b = {0};
		gen_random_description(&b, 1 + (int)rnd(8), 24, false, 24);
		struct rules *r = mem_ok(b.s, b.len);
		sb_free(&b);
		compare_lookups(r, seed, 2000);
		for (int k = 0; k < 200; k++) { /* the walk must match sometimes, or the test says little */
			struct ls_addr a;
			rnd_addr(&a, false);
			hits += lin_endpoint_addr(r, &a) != NULL;
		}
		rules_free(r);
	}
	cr_expect_gt(hits, 3000, "only %u endpoint hits in 60,000 probes", hits);
	rnd_state = 4242;
	struct sbuf b = {0};
	gen_random_description(&b, LS_RULES_MAX_TUNNELS, 160, true, 8);
	struct rules *r = mem_ok(b.s, b.len);
	sb_free(&b);
	compare_lookups(r, 4242, 20000);
	rules_free(r);
}
