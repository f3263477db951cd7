/* category.c - the one table of leak categories: name, verdict, severity, kind, marker, cause, remedy.
 *
 * The verdict (verdict.c) picks a category and takes the event's verdict
 * from its row; the TSV, XML and HTML writers and the terminal table read
 * names, severities, kinds, texts and markers here.  tests/test_category.c
 * checks that README.md's category table, reports/report.xsd and
 * reports/report.css name the same categories as this table.
 */
#include "category.h"

#include <stddef.h>

static const struct cat_info cat_table[CAT__N] = {
	[CAT_NONE] = {"-", VERDICT_NONE, SEV_INFO, CK_NONE, NULL, NULL,
		"",
		""},
	[CAT_TUNNEL] = {"tunnel", VERDICT_OK, SEV_INFO, CK_OK, NULL, NULL,
		"Resolved inside the tunnel by the tunnel's resolver.",
		"Nothing to change."},
	[CAT_LOCAL] = {"local", VERDICT_OK, SEV_INFO, CK_OK, NULL, NULL,
		"Resolved on the host itself (loopback, a local stub resolver).",
		"Nothing to change; the stub's upstream queries are judged on their own."},
	[CAT_RESOLVER_BYPASS] = {"resolver-bypass", VERDICT_OK, SEV_LOW, CK_REPORTED, "m0,-9l2.5,6.5l6.5,2.5l-6.5,2.5l-2.5,6.5l-2.5,-6.5l-6.5,-2.5l6.5,-2.5z", "c-resolver-bypass",
		"Inside the tunnel, but to a resolver other than the tunnel's (an application with its own resolver, e.g. browser DoH).",
		"Point the application at the VPN's resolver or block third-party resolvers inside the tunnel."},
	[CAT_ALLOWED] = {"allowed", VERDICT_ALLOWED, SEV_INFO, CK_ALLOWED, NULL, NULL,
		"Outside the tunnel, but the description's allow list permits it.",
		"Nothing to change if the allow-list reason still holds."},
	[CAT_LOCAL_LINK] = {"local-link", VERDICT_LEAK, SEV_MEDIUM, CK_LEAK, "m0,-8l7.6,5.5l-2.9,9h-9.4l-2.9,-9z", "c-local-link",
		"Local-link name resolution (mDNS, LLMNR or NetBIOS-NS) on the physical network: names the host looks up are broadcast to the LAN.",
		"Disable LLMNR and NetBIOS over TCP/IP and mDNS on the physical interface, or block UDP 5353/5355/137 outside the tunnel."},
	[CAT_BOOTSTRAP] = {"bootstrap", VERDICT_LEAK, SEV_MEDIUM, CK_LEAK, "m0,-8l8,14h-16z", "c-bootstrap",
		"Resolved outside before the tunnel came up (bootstrap leak).",
		"Bring the tunnel up before other applications start, resolve the endpoint by address or allow only its name; block port 53 until the tunnel is up."},
	[CAT_KILL_SWITCH] = {"kill-switch", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-6.5,-6.5h13v13h-13z", "c-kill-switch",
		"Resolved outside while the tunnel was down or interrupted: the kill switch did not hold.",
		"Enable a firewall-based kill switch that blocks all traffic outside the tunnel (except the carrier) whenever the tunnel is not up."},
	[CAT_ENCRYPTED_OUTSIDE] = {"encrypted-outside", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m0,-8.5l8.5,8.5l-8.5,8.5l-8.5,-8.5z", "c-encrypted-outside",
		"Encrypted resolution (DoH, DoT or DoQ) outside the tunnel: an application bypasses the system resolver (browser DoH).",
		"Force DoH to the VPN's resolver (enterprise policy) or block known DoH/DoT/DoQ resolvers outside the tunnel."},
	[CAT_TUNNEL_RESOLVER_OUTSIDE] = {"tunnel-resolver-outside", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m0,8l8,-14h-16z", "c-tunnel-resolver-outside",
		"The tunnel's own resolver was reached outside the tunnel: a routing error sends it past the tunnel.",
		"Route the resolver's address into the tunnel (AllowedIPs / pushed routes) and check for more specific routes on the LAN."},
	[CAT_IPV6_OUTSIDE] = {"ipv6-outside", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-4,-7h8l4,7l-4,7h-8l-4,-7z", "c-ipv6-outside",
		"IPv6 resolution outside a tunnel that carries no IPv6.",
		"Tunnel IPv6 too (an IPv6 default route into the tunnel) or disable IPv6 on the physical interface while the tunnel is up."},
	[CAT_PARALLEL] = {"parallel-multihomed", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-2.5,-8h5v5.5h5.5v5h-5.5v5.5h-5v-5.5h-5.5v-5h5.5z", "c-parallel-multihomed",
		"The same name was asked inside and outside the tunnel at the same time (parallel multi-homed resolution, e.g. Windows smart multi-homed name resolution).",
		"Disable smart multi-homed name resolution and block port 53 outside the tunnel."},
	[CAT_SPLIT_TUNNEL] = {"split-tunnel", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "", "c-split-tunnel",
		"Cleartext resolution to a resolver outside the tunnel while it was up: split tunnel, or the system resolver was not switched to the tunnel's.",
		"Set the tunnel's resolver as the only system resolver (DNS= in WireGuard, dhcp-option DNS with a resolver update script in OpenVPN) and block port 53 outside the tunnel."},
	[CAT_OUTSIDE_NO_TUNNEL] = {"outside-no-tunnel", VERDICT_NONE, SEV_INFO, CK_UNJUDGED, NULL, NULL,
		"No tunnel description: the path could not be judged.",
		"Give a tunnel description with --tunnel."},
	[CAT_NO_TUNNEL] = {"no-tunnel", VERDICT_NONE, SEV_INFO, CK_UNJUDGED, NULL, NULL,
		"This host sent no tunnel carrier and holds no inside address: it has no tunnel to leak from, so its questions are listed, not judged.",
		"If every host on this network must use the tunnel, say so in the description: <tunnels every-host=\"true\">."},
	[CAT_IPV4_OUTSIDE] = {"ipv4-outside", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-7,-4h8l6,4l-6,4h-8z", "c-ipv4-outside",
		"IPv4 resolution outside a tunnel that carries only IPv6.",
		"Tunnel IPv4 too (an IPv4 default route into the tunnel) or disable IPv4 on the physical interface while the tunnel is up."},
	[CAT_VPN_SERVER_DNS] = {"vpn-server-dns", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-7,0l7,-7l7,7l-7,7zm7,-3v6", "c-vpn-server-dns",
		"Name resolution to the VPN server's own public address, outside the tunnel: the route to the endpoint bypasses the tunnel by design, so a resolver configured on the server's public address is reached in cleartext.",
		"Configure the resolver's inside address (the tunnel's DNS= / pushed dhcp-option DNS), not the server's public one."},
	[CAT_PROXY_LOCAL] = {"proxy-local-resolution", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-8,-3h16v6h-16z", "c-proxy-local-resolution",
		"The host resolved the name itself although its traffic goes through a proxy tunnel (SSH SOCKS, Tor): a SOCKS client without remote resolution (curl --socks5, a browser without \"proxy DNS\").",
		"Use remote resolution: socks5h:// or curl --socks5-hostname, Firefox network.proxy.socks_remote_dns=true, Tor Browser rather than a system-wide SOCKS setting."},
	[CAT_APP_RESOLVER] = {"app-resolver", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-3,-8h6v16h-6z", "c-app-resolver",
		"An application used its own public resolver outside the tunnel while the host's system resolver was the tunnel's (a hard-coded 8.8.8.8, an application setting).",
		"Change the application's resolver setting, and block port 53 and 853 outside the tunnel to anything but the carrier."},
	[CAT_STUB_UPSTREAM] = {"stub-upstream", VERDICT_LEAK, SEV_HIGH, CK_LEAK, "m-8,4l8,-12l8,12z", "c-stub-upstream",
		"A local caching stub (systemd-resolved, dnsmasq, unbound on the host) forwarded the question outside the tunnel: the application asked the stub on loopback, the stub asked a resolver past the tunnel.",
		"Send every domain of the stub to the tunnel's resolver (systemd-resolved: DNS= and Domains=~. on the tunnel link, DNSDefaultRoute=no elsewhere; dnsmasq/unbound: the tunnel's resolver as the only upstream)."},
};
_Static_assert(sizeof(cat_table) / sizeof(cat_table[0]) == CAT__N, "a row per category");

/* Out of range: no row of the table, an "info" nothing. */
static const struct cat_info cat_unknown = {"?", VERDICT_NONE, SEV_INFO, CK_NONE, NULL, "c-other", "", ""};

const struct cat_info *cat_info(enum ev_category c)
{
	return (unsigned)c < CAT__N && cat_table[c].name ? &cat_table[c] : &cat_unknown;
}

const char *cat_severity(enum ev_category c)
{
	static const char *const n[] = {"info", "low", "medium", "high"};
	return n[cat_info(c)->severity];
}

const char *cat_cause(enum ev_category c)
{
	return cat_info(c)->cause;
}

const char *cat_remedy(enum ev_category c)
{
	return cat_info(c)->remedy;
}

bool cat_is_leak(enum ev_category c)
{
	return cat_info(c)->kind == CK_LEAK;
}

bool cat_explained(enum ev_category c)
{
	enum cat_kind k = cat_info(c)->kind;
	return k == CK_LEAK || k == CK_REPORTED;
}

const char *cat_kind_str(enum ev_category c)
{
	static const char *const n[] = {"ok", "ok", "ok, reported", "allowed", "leak", "not judged"};
	return n[cat_info(c)->kind];
}

int cat_in_order(enum ev_category *out)
{
	int n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int r = SEV_HIGH; r >= SEV_INFO; r--)
			for (int c = 1; c < CAT__N; c++)
				if (cat_is_leak((enum ev_category)c) == (pass == 0) && (int)cat_table[c].severity == r)
					out[n++] = (enum ev_category)c;
	return n;
}
