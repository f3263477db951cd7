/* test_tunnel_config.c - tunnel descriptions from wg-quick and OpenVPN client configurations, and audit cases that use them.
 *
 * The configurations carry the lab's addresses (samples/lab/run.sh: the
 * WireGuard client's peer 203.0.113.5:51820 with allowed-ips
 * 0.0.0.0/0,::/0, inside 10.66.0.2 and fd00:66::2, resolver 10.66.0.1;
 * OpenVPN 203.0.113.5 1194/udp and 443/tcp, inside 10.8.0.2).  Every
 * description made is loaded by the tunnel loader (rules_load_mem), so
 * the test checks what the analysis will use, not the text.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "rules.h"
#include "tunnel-config.h"

static struct rules *load(const char *name, const char *text)
{
	struct sbuf xml = {0};
	char err[1024];
	cr_assert_eq(tunconf_to_xml_mem(name, text, strlen(text), &xml, err, sizeof(err)), 0, "%s", err);
	struct rules *r = NULL;
	if (getenv("LS_TOP"))
		setenv("LEAKSCOPE_DATADIR", getenv("LS_TOP"), 1);
	cr_assert_eq(rules_load_mem(name, xml.s, xml.len, &r, err, sizeof(err)), 0, "%s\n%s", err, xml.s);
	sb_free(&xml);
	return r;
}

static const char *refused(const char *name, const char *text, size_t len)
{
	static char err[1024];
	struct sbuf xml = {0};
	cr_expect_eq(tunconf_to_xml_mem(name, text, len, &xml, err, sizeof(err)), -1, "accepted: %s", xml.s ? xml.s : "");
	cr_expect_eq(strncmp(err, name, strlen(name)), 0, "%s", err);
	sb_free(&xml);
	return err;
}

static const char *refused_s(const char *name, const char *text)
{
	return refused(name, text, strlen(text));
}

static bool has_addr(const struct rules_prefix *p, size_t n, const char *text)
{
	struct ls_addr a;
	cr_assert_eq(addr_parse(text, &a), 0);
	for (size_t i = 0; i < n; i++)
		if (addr_cmp(&p[i].addr, &a) == 0)
			return true;
	return false;
}

Test(tunnel_config, wireguard)
{
	struct rules *r = load("lab-wg.conf", "[Interface]\n"
					       "PrivateKey = aGVsbG8=\n"
					       "Address = 10.66.0.2/32, fd00:66::2/128\n"
					       "DNS = 10.66.0.1, fd00:66::1, corp.example\n"
					       "PostUp = iptables -A OUTPUT -j DROP  # never run\n"
					       "\n"
					       "[Peer]\n"
					       "PublicKey = d29ybGQ=\n"
					       "Endpoint = 203.0.113.5:51820\n"
					       "AllowedIPs = 0.0.0.0/0, ::/0\n"
					       "PersistentKeepalive = 1\n");
	cr_assert_eq(r->n_tunnels, 1);
	const struct rules_tunnel *t = &r->tunnels[0];
	cr_expect_str_eq(t->name, "lab-wg");
	cr_expect_eq(t->kind, TK_WIREGUARD);
	cr_assert_eq(t->n_endpoints, 1);
	cr_expect_eq(t->endpoints[0].port, 51820);
	cr_expect_eq(t->endpoints[0].transport, 17);
	cr_expect_eq(t->n_inside, 2);
	cr_expect(has_addr(t->inside, t->n_inside, "10.66.0.2"));
	cr_expect(has_addr(t->inside, t->n_inside, "fd00:66::2"));
	cr_expect_eq(t->n_resolvers, 2, "corp.example is a search domain, not a resolver");
	cr_expect(t->carries_ipv4 && t->carries_ipv6);
	rules_free(r);

	/* IPv4 only in AllowedIPs: the tunnel carries no IPv6 (ipv6-outside) */
	r = load("wg4.conf", "[Interface]\nAddress = 10.66.0.2/24\n[Peer]\nEndpoint=[2001:db8:113::5]:443\n"
			     "AllowedIPs = 0.0.0.0/0\n");
	t = &r->tunnels[0];
	cr_expect(t->carries_ipv4 && !t->carries_ipv6);
	cr_expect_eq(t->endpoints[0].port, 443);
	cr_expect(has_addr(t->inside, t->n_inside, "10.66.0.2"), "the host's address, not its subnet");
	rules_free(r);
}

Test(tunnel_config, openvpn)
{
	struct rules *r = load("client.ovpn", "client\n"
					      "dev tun\n"
					      "proto tcp-client\n"
					      "<connection>\n"
					      "remote 203.0.113.5 443\n"
					      "</connection>\n"
					      "remote 2001:db8:113::5 1194 udp\n"
					      "ifconfig 10.9.0.2 10.9.0.1\n"
					      "dhcp-option DNS 10.9.0.1\n"
					      "<ca>\n"
					      "remote 192.0.2.99 1\n"
					      "-----BEGIN CERTIFICATE-----\n"
					      "</ca>\n"
					      "; remote 192.0.2.98\n");
	const struct rules_tunnel *t = &r->tunnels[0];
	cr_expect_str_eq(t->name, "client");
	cr_expect_eq(t->kind, TK_OPENVPN);
	cr_assert_eq(t->n_endpoints, 2, "the remote inside <ca> and the commented one are not servers");
	cr_expect_eq(t->endpoints[0].port, 443);
	cr_expect_eq(t->endpoints[0].transport, 6);
	cr_expect_eq(t->endpoints[1].port, 1194);
	cr_expect_eq(t->endpoints[1].transport, 17);
	cr_expect_eq(t->n_resolvers, 1);
	cr_expect(has_addr(t->inside, t->n_inside, "10.9.0.2"));
	rules_free(r);
	/* defaults: 1194 over UDP; port and proto may follow remote */
	r = load("d.ovpn", "remote 203.0.113.5\nifconfig 10.8.0.2 255.255.255.0\nport 1195\nproto tcp\n");
	cr_expect_eq(r->tunnels[0].endpoints[0].port, 1195);
	cr_expect_eq(r->tunnels[0].endpoints[0].transport, 6);
	rules_free(r);
}

Test(tunnel_config, refused)
{
	const char *e;
	e = refused_s("host.conf", "[Interface]\nAddress=10.0.0.2/24\n[Peer]\nEndpoint = vpn.example.net:51820\n");
	cr_expect(strstr(e, "host.conf:4: the server 'vpn.example.net' is a host name"), "%s", e);
	e = refused_s("p.ovpn", "client\nremote vpn.example.net 1194\nifconfig 10.8.0.2 10.8.0.1\n");
	cr_expect(strstr(e, "p.ovpn:2: the server 'vpn.example.net' is a host name"), "%s", e);
	e = refused_s("pushed.ovpn", "client\nremote 203.0.113.5 1194\n");
	cr_expect(strstr(e, "pushed.ovpn: no ifconfig"), "%s", e);
	e = refused_s("noaddr.conf", "[Interface]\n[Peer]\nEndpoint = 203.0.113.5:51820\n");
	cr_expect(strstr(e, "no Address"), "%s", e);
	e = refused_s("nopeer.conf", "[Interface]\nAddress = 10.0.0.2\n");
	cr_expect(strstr(e, "no [Peer] with an Endpoint"), "%s", e);
	e = refused_s("passwd", "root:x:0:0:root:/root:/bin/bash\n");
	cr_expect(strstr(e, "neither a wg-quick configuration"), "%s", e);
	e = refused_s("port.conf", "[Interface]\nAddress=10.0.0.2\n[Peer]\nEndpoint = 203.0.113.5:99999\n");
	cr_expect(strstr(e, "port.conf:4: Endpoint port '99999' is not a port"), "%s", e);
	e = refused_s("bad.conf", "[Interface]\nAddress = 10.0.0.300/24\n[Peer]\nEndpoint = 203.0.113.5:1\n");
	cr_expect(strstr(e, "bad.conf:2: '10.0.0.300/24' is not an address"), "%s", e);
	/* markup and control bytes in a value are not copied out raw */
	e = refused_s("x.conf", "[Interface]\nAddress = <script>\x1b[2J\n");
	cr_expect_null(strchr(e, '\x1b'), "%s", e);
	static const char nul[] = "[Interface]\0Address = 10.0.0.2\n";
	e = refused("nul.conf", nul, sizeof(nul) - 1);
	cr_expect(strstr(e, "NUL"), "%s", e);
	/* a line of 5000 bytes, and a file past the cap */
	char *big = malloc(LS_TUNCONF_MAX_FILE + 2);
	memset(big, '#', LS_TUNCONF_MAX_FILE + 1);
	big[LS_TUNCONF_MAX_FILE + 1] = '\0';
	memcpy(big, "[Interface]\n", 12);
	e = refused("long.conf", big, 5000);
	cr_expect(strstr(e, "long.conf:2: line longer than 4096 bytes"), "%s", e);
	e = refused("huge.conf", big, LS_TUNCONF_MAX_FILE + 1);
	cr_expect(strstr(e, "larger than 256 KiB"), "%s", e);
	free(big);
	/* a name that is not a tunnel name becomes the kind's */
	struct rules *r = load("../odd name!.conf", "[Interface]\nAddress=10.0.0.2\n[Peer]\nEndpoint=192.0.2.1:51820\n");
	cr_expect_str_eq(r->tunnels[0].name, "wireguard");
	rules_free(r);
}

/* An audit whose cases take their tunnel from configurations
 * (tests/data/campaign/configs.xml; expectations from truth.tsv). */
Test(tunnel_config, audit_cases)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	const char *bin = getenv("LEAKSCOPE");
	char cmd[8192], path[4096];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/tests/out/tunconf' && '%s' audit -q -o '%s/tests/out/tunconf' "
				   "'%s/tests/data/campaign/configs.xml' 2>/dev/null",
		 top, bin ? bin : "./leakscope", top, top);
	int rc = system(cmd);
	cr_assert(WIFEXITED(rc));
	cr_expect_eq(WEXITSTATUS(rc), 3, "one OpenVPN file without ifconfig cannot be judged, the rest pass");
	snprintf(path, sizeof(path), "%s/tests/out/tunconf/matrix.xml", top);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect(strstr(buf, "passed=\"5\" failed=\"0\" undecided=\"1\""), "%s", buf);
	cr_expect(strstr(buf, "<case id=\"ovpn-tcp-any\" row=\"ovpn-tcp\" column=\"openvpn\" result=\"undecided\""));
	cr_expect(strstr(buf, "<tunnel path=\"lab-wg.conf\" source=\"config\"/>"));
	snprintf(path, sizeof(path), "%s/tests/out/tunconf/cases/wg-killswitch-any.tunnel.xml", top);
	f = fopen(path, "r");
	cr_expect_not_null(f, "the description made from the configuration is kept beside the case's reports");
	if (f)
		fclose(f);
}
