/* test_import.c - tunnel descriptions translated from wg-quick .conf, OpenVPN .ovpn and swanctl.conf: content, hostile input, line numbers. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-import.h"
#include "rules.h"

static const char *top(void)
{
	const char *t = getenv("LS_TOP");
	return t && *t ? t : ".";
}

static void teardown(void)
{
	rules_cleanup();
}

TestSuite(import, .fini = teardown, .timeout = 30);

/* Translates text as if read from path; returns the XML (caller frees)
 * and checks rules_import's return code. */
static char *translate(const char *path, const char *text, int want_rc, char *err, size_t errlen)
{
	struct sbuf x = {0};
	err[0] = '\0';
	int rc = rules_import(path, text, strlen(text), &x, err, errlen);
	cr_assert_eq(rc, want_rc, "%s: rc %d, not %d: %s", path, rc, want_rc, err);
	if (rc == 1) {
		/* every translation validates against the schema */
		struct rules *r = NULL;
		char verr[2048];
		cr_assert_eq(rules_load_mem(path, x.s, x.len, &r, verr, sizeof(verr)), 0, "%s\n%s", verr, x.s);
		rules_free(r);
	}
	return x.s;
}

static void has(const char *xml, const char *want)
{
	cr_assert_not_null(strstr(xml, want), "missing %s in:\n%s", want, xml);
}

static void lacks(const char *xml, const char *bad)
{
	cr_assert_null(strstr(xml, bad), "unexpected %s in:\n%s", bad, xml);
}

Test(import, wireguard)
{
	char err[512];
	char *x = translate("/etc/wireguard/wg0.conf",
			    "[Interface]\n"
			    "PrivateKey = aGVsbG8=\n"
			    "Address = 10.66.0.2/24, fd00:66::2/64   # interface addresses with masks\n"
			    "DNS = 10.66.0.1, fd00:66::1, corp.example\n"
			    "\n"
			    "[Peer]\n"
			    "Endpoint = [2001:db8::5]:51820\n"
			    "AllowedIPs = 10.0.0.0/8\n"
			    "[Peer]\n"
			    "endpoint = 203.0.113.5:51820\n"
			    "AllowedIPs = ::/0\n",
			    1, err, sizeof(err));
	has(x, "<tunnel name=\"wg0\" kind=\"wireguard\">");
	/* both peers' endpoints, keys case-insensitive as wg-quick reads them */
	has(x, "<endpoint address=\"2001:db8::5\" port=\"51820\" transport=\"udp\"/>");
	has(x, "<endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>");
	/* the host's own addresses, not the interface's networks */
	has(x, "<inside prefix=\"10.66.0.2/32\"/>");
	has(x, "<inside prefix=\"fd00:66::2/128\"/>");
	has(x, "<resolver address=\"10.66.0.1\"/>");
	has(x, "<resolver address=\"fd00:66::1\"/>");
	has(x, "<interface tunnel=\"wg0\"/>");
	/* a search domain is said, not made a resolver */
	has(x, "DNS corp.example (line 4) is a search domain");
	has(x, "routed into the tunnel: 10.0.0.0/8, ::/0");
	has(x, "not all IPv4 traffic is routed");
	/* both families are used: neither is declared not carried */
	lacks(x, "ipv4=\"false\"");
	lacks(x, "ipv6=\"false\"");
	lacks(x, "aGVsbG8"); /* keys never reach the description */
	free(x);
}

Test(import, wireguard_ipv4_only)
{
	char err[512];
	char *x = translate("client.conf",
			    "[Interface]\nAddress = 10.66.0.2/32\nDNS = 10.66.0.1\n"
			    "[Peer]\nEndpoint = 203.0.113.5:51820\nAllowedIPs = 0.0.0.0/0\n",
			    1, err, sizeof(err));
	/* IPv6 is not carried: an IPv6 question outside is a leak of its own kind */
	has(x, "kind=\"wireguard\" ipv6=\"false\">");
	free(x);
}

Test(import, wireguard_resolver_outside_routes)
{
	char err[512];
	char *x = translate("split.conf",
			    "[Interface]\nAddress = 10.66.0.2/32\nDNS = 192.168.1.1\n"
			    "[Peer]\nEndpoint = 203.0.113.5:51820\nAllowedIPs = 10.66.0.0/16\n",
			    1, err, sizeof(err));
	has(x, "WARNING: the resolver 192.168.1.1 is outside every routed prefix");
	free(x);
}

Test(import, wireguard_endpoint_by_name)
{
	char err[512];
	/* a name only: no endpoint can be written, so no description */
	char *x = translate("wg1.conf", "[Interface]\nAddress = 10.0.0.2/32\n[Peer]\nEndpoint = vpn.example.net:51820\n",
			    -1, err, sizeof(err));
	cr_assert_null(x);
	cr_assert_str_eq(err, "wg1.conf: wg1: the server is given by name only (vpn.example.net): leakscope reads captures "
			      "offline and resolves nothing, so it needs the address (write it in the configuration, or "
			      "let suggest-tunnel find it in the capture)");
}

Test(import, wireguard_errors_with_lines)
{
	char err[512];
	translate("a.conf", "[Interface]\nAddress = 10.66.0.300/32\n[Peer]\nEndpoint = 1.2.3.4:1\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "a.conf:2: '10.66.0.300/32' is not an address");
	translate("a.conf", "[Interface]\n[Peer]\nEndpoint = 1.2.3.4:70000\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "a.conf:3: Endpoint: bad port");
	translate("a.conf", "[Interface]\n[Peer]\nEndpoint = 2001:db8::1:51820\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "a.conf:3: Endpoint: expected host:port (an IPv6 address in [ ])");
	translate("a.conf", "[Interface]\n[Bogus]\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "a.conf:2: unknown section [Bogus]");
	translate("a.conf", "[Interface]\nAddress = 10.0.0.2/32\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "a.conf:2: no [Peer] section: nothing says where the tunnel goes");
	translate("a.conf", "[Interface]\nDNS = <script>\n[Peer]\nEndpoint = 1.2.3.4:1\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "a.conf:2: '<script>' is neither a resolver address nor a domain");
}

Test(import, openvpn)
{
	char err[512];
	char *x = translate("office.ovpn",
			    "client\n"
			    "dev tun\n"
			    "proto udp\n"
			    "port 1195\n"
			    "remote 203.0.113.7\n"
			    "remote 203.0.113.8 443 tcp-client\n"
			    "remote vpn.example.net 1194\n"
			    "ifconfig 10.8.0.2 255.255.255.0\n"
			    "ifconfig-ipv6 fd00:8::2/64 fd00:8::1\n"
			    "dhcp-option DNS 10.8.0.1\n"
			    "redirect-gateway def1 ipv6\n"
			    "<ca>\n"
			    "remote 198.51.100.66 9999\n"
			    "</ca>\n",
			    1, err, sizeof(err));
	has(x, "<tunnel name=\"office\" kind=\"openvpn\">");
	/* the default port and proto apply to a remote without them */
	has(x, "<endpoint address=\"203.0.113.7\" port=\"1195\" transport=\"udp\"/>");
	has(x, "<endpoint address=\"203.0.113.8\" port=\"443\" transport=\"tcp\"/>");
	/* a name is allowed outside (the bootstrap lookup), not an endpoint */
	has(x, "<name exact=\"vpn.example.net\" reason=");
	has(x, "<inside prefix=\"10.8.0.2/32\"/>");
	has(x, "<inside prefix=\"fd00:8::2/128\"/>");
	has(x, "<resolver address=\"10.8.0.1\"/>");
	has(x, "routed into the tunnel: 0.0.0.0/0, ::/0");
	/* "dev tun": the kernel picks the name, none is claimed */
	lacks(x, "<interface");
	/* an inline block's lines are not directives */
	lacks(x, "198.51.100.66");
	free(x);
}

Test(import, openvpn_connection_blocks)
{
	char err[512];
	char *x = translate("c.ovpn",
			    "client\n<connection>\nremote 203.0.113.7 1194 udp\n</connection>\n"
			    "<connection>\nremote 203.0.113.8 443 tcp\n</connection>\n<tls-crypt>\nremote 1.1.1.1 1\n</tls-crypt>\n",
			    1, err, sizeof(err));
	has(x, "<endpoint address=\"203.0.113.7\" port=\"1194\" transport=\"udp\"/>");
	has(x, "<endpoint address=\"203.0.113.8\" port=\"443\" transport=\"tcp\"/>");
	lacks(x, "1.1.1.1");
	free(x);
}

Test(import, openvpn_errors_with_lines)
{
	char err[512];
	translate("x.ovpn", "client\nremote 1.2.3.4 1194 sctp\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "x.ovpn:2: remote: unknown protocol");
	translate("x.ovpn", "client\nremote 1.2.3.4\n<ca>\nabc\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "x.ovpn:4: <ca> is not closed");
	translate("x.ovpn", "client\nremote 1.2.3.4\nroute 10.0.0.0 255.0.255.0\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "x.ovpn:3: route: bad netmask");
	translate("x.ovpn", "client\nremote bad_name!\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "x.ovpn:2: 'bad_name!' is neither an address nor a host name");
}

Test(import, swanctl)
{
	char err[512];
	char *x = translate("swanctl.conf",
			    "# strongSwan\n"
			    "connections {\n"
			    "  home { remote_addrs = 198.51.100.9, 2001:db8::9\n"
			    "    vips = 10.10.0.5\n"
			    "    local { auth = psk }\n"
			    "    children {\n"
			    "      net { remote_ts = 10.0.0.0/8, 2001:db8:1::/48[tcp/443] }\n"
			    "    }\n"
			    "  }\n"
			    "  work {\n"
			    "    remote_addrs = %any\n"
			    "    remote_addrs = \"gw.example.org, 192.0.2.44\"\n"
			    "  }\n"
			    "}\n"
			    "secrets { ike { secret = x } }\n",
			    1, err, sizeof(err));
	has(x, "<tunnel name=\"home\" kind=\"ipsec\">");
	/* IKE on 500 and 4500 and ESP: any port and transport */
	has(x, "<endpoint address=\"198.51.100.9\"/>");
	has(x, "<endpoint address=\"2001:db8::9\"/>");
	has(x, "<inside prefix=\"10.10.0.5/32\"/>");
	has(x, "home: routed into the tunnel: 10.0.0.0/8, 2001:db8:1::/48");
	has(x, "remote_addrs %any (line 11): a range");
	/* the second connection: only a name, allowed outside */
	has(x, "<tunnel name=\"work\" kind=\"ipsec\">");
	has(x, "<name exact=\"gw.example.org\"");
	has(x, "<endpoint address=\"192.0.2.44\"/>");
	free(x);
}

Test(import, swanctl_errors_with_lines)
{
	char err[512];
	translate("s.conf", "connections {\n a {\n remote_addrs = 1.2.3.4\n }\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "s.conf:4: 1 section(s) not closed");
	translate("s.conf", "connections {\n}\n}\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "s.conf:3: '}' without '{'");
	translate("s.conf", "connections {\n a {\n }\n}\n", -1, err, sizeof(err));
	cr_assert_str_eq(err, "s.conf: connection a has no remote_addrs: nothing says where the tunnel goes");
	/* nesting is capped */
	char deep[400] = "connections {\n";
	for (int i = 0; i < 20; i++)
		strcat(deep, "x {\n");
	translate("s.conf", deep, -1, err, sizeof(err));
	cr_assert_str_eq(err, "s.conf:17: sections nested deeper than 16");
}

Test(import, hostile_lines)
{
	char err[512];
	/* a line past the cap */
	size_t n = IMP_MAX_LINE + 40;
	char *big = malloc(n + 64);
	strcpy(big, "[Interface]\nDNS = ");
	size_t at = strlen(big);
	memset(big + at, 'a', n);
	strcpy(big + at + n, "\n");
	translate("h.conf", big, -1, err, sizeof(err));
	cr_assert_str_eq(err, "h.conf:2: line longer than 4096 characters");
	free(big);
	/* a NUL byte */
	struct sbuf x = {0};
	static const char nul[] = "[Interface]\nAddress = 10.0.0.1\0/32\n";
	cr_assert_eq(rules_import("h.conf", nul, sizeof(nul) - 1, &x, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "h.conf:2: a NUL byte: not a text file");
	/* more peers than the schema's 64 tunnels do not matter: one tunnel,
	 * but more than 256 endpoints are refused */
	struct sbuf in = {0};
	sb_add(&in, "[Interface]\n");
	for (int i = 0; i < 300; i++)
		sb_addf(&in, "[Peer]\nEndpoint = 10.1.%d.%d:51820\n", i / 200, i % 200 + 1);
	translate("h.conf", in.s, -1, err, sizeof(err));
	cr_assert_str_eq(err, "h.conf:515: more than 256 endpoints");
	sb_free(&in);
	/* the file name goes into a comment: no "--" may end it early */
	char *y = translate("a--b-->c.conf", "[Interface]\n[Peer]\nEndpoint = 1.2.3.4:5\n", 1, err, sizeof(err));
	has(y, "configuration a-_b-_>c.conf.");
	free(y);
}

Test(import, not_ours)
{
	char err[512];
	struct sbuf x = {0};
	static const char *const xml[] = {
		"<?xml version=\"1.0\"?><tunnels/>",
		"\n  <tunnels xmlns=\"urn:leakscope:tunnel:1\"/>",
		"<!-- remote 1.2.3.4 -->\n<tunnels/>",
		"\xef\xbb\xbf<tunnels/>",
		"just some text\n",
		NULL,
	};
	for (size_t i = 0; xml[i]; i++)
		cr_assert_eq(rules_import("f", xml[i], strlen(xml[i]), &x, err, sizeof(err)), 0, "%s", xml[i]);
	cr_assert_eq(x.len, 0);
}

Test(import, load_any_names_the_file)
{
	char path[4200], err[2048];
	snprintf(path, sizeof(path), "%s/tests/data/import/lswg-c0.conf", top());
	struct rules *r = NULL;
	struct sbuf x = {0};
	cr_assert_eq(rules_load_any(path, &r, &x, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(r->path, path);
	cr_assert_eq(r->n_tunnels, 1);
	cr_assert_gt(x.len, 0);
	rules_free(r);
	sb_free(&x);
	/* XML goes to the XML loader untouched */
	snprintf(path, sizeof(path), "%s/rules/examples/wireguard.xml", top());
	cr_assert_eq(rules_load_any(path, &r, &x, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(x.len, 0);
	rules_free(r);
}

Test(import, load_any_errors_as_rules_load)
{
	char path[4200], err[2048];
	struct rules *r = NULL;
	snprintf(path, sizeof(path), "%s/tests/data/rules/does-not-exist.xml", top());
	cr_assert_eq(rules_load_any(path, &r, NULL, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ": cannot open: No such file"), "%s", err);
	snprintf(path, sizeof(path), "%s/tests/data/rules", top());
	cr_assert_eq(rules_load_any(path, &r, NULL, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ": cannot read: Is a directory"), "%s", err);
}
