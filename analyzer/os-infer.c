/* os-infer.c - the host's operating system from its own traffic (RFC 2132 options 55 and 60, connectivity checks, NetBIOS, TTLs) and remedies in that system's terms. */

/*
 * Each item of evidence is worth points for one system; the system is
 * named only when it has at least 2 points and 2 more than any other.
 * What an item is worth follows how much else could show it:
 *   3  the host says so itself: DHCP vendor class "MSFT 5.0" (Windows'
 *      DHCP client), "android-dhcp-<release>" (Android's DhcpClient);
 *   2  a shape or a name only that system's own software produces: the
 *      parameter request list of Windows' or Apple's DHCP client or of
 *      ISC dhclient as Debian and Ubuntu ship it; the connectivity checks
 *      (www.msftconnecttest.com, captive.apple.com,
 *      connectivitycheck.gstatic.com, connectivity-check.ubuntu.com ...)
 *      and Ubuntu's own daemons' servers (daisy.ubuntu.com: whoopsie);
 *   1  a hint others share: an initial TTL of 128 (Windows) or 64 (the
 *      rest), NetBIOS-NS (Windows, or Samba), dhcpcd's vendor class,
 *      Android's shape of request list (dhcpcd asks much the same),
 *      update servers.
 * LLMNR and mDNS are noted but worth nothing: systemd-resolved asks LLMNR,
 * and every system asks mDNS.  So a TTL alone, or one update server, is
 * never a verdict: the answer is "unknown" with what was seen, never a
 * guess shown as fact.
 */
#include "os-infer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *os_name(enum os_kind os)
{
	static const char *const names[OS_NKINDS] = {"unknown", "Windows", "macOS", "Linux", "Android"};
	return os < OS_NKINDS ? names[os] : "unknown";
}

const char *os_token(enum os_kind os)
{
	static const char *const t[OS_NKINDS] = {"unknown", "windows", "macos", "linux", "android"};
	return os < OS_NKINDS ? t[os] : "unknown";
}

struct tally {
	unsigned pts[OS_NKINDS];
	char *ev;
	size_t len, used;
};

static void note(struct tally *t, enum os_kind os, unsigned pts, const char *what)
{
	t->pts[os] += pts;
	if (t->used + 1 >= t->len)
		return;
	int n;
	if (os == OS_UNKNOWN)
		n = snprintf(t->ev + t->used, t->len - t->used, "%s%s", t->used ? "; " : "", what);
	else
		n = snprintf(t->ev + t->used, t->len - t->used, "%s%s: %s (+%u)", t->used ? "; " : "", what,
			     os_name(os), pts);
	if (n > 0)
		t->used = (size_t)n >= t->len - t->used ? t->len - 1 : t->used + (size_t)n;
}

/* Capture text in the evidence: printable ASCII as it is, the rest \xHH, at most max bytes. */
static void quote(char *out, size_t len, const char *s, size_t max)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && i < max && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

static bool prl_has(const struct os_evidence *ev, uint8_t opt)
{
	for (size_t i = 0; i < ev->dhcp_prl_len; i++)
		if (ev->dhcp_prl[i] == opt)
			return true;
	return false;
}

static bool prl_starts(const struct os_evidence *ev, const uint8_t *p, size_t n)
{
	return ev->dhcp_prl_len >= n && memcmp(ev->dhcp_prl, p, n) == 0;
}

static void weigh_dhcp(const struct os_evidence *ev, struct tally *t)
{
	char q[200], what[300];
	if (ev->dhcp_vendor && ev->dhcp_vendor[0]) {
		const char *v = ev->dhcp_vendor;
		quote(q, sizeof(q), v, 64);
		snprintf(what, sizeof(what), "DHCP vendor class '%s'", q);
		if (strncmp(v, "MSFT ", 5) == 0)
			note(t, OS_WINDOWS, 3, what);
		else if (strncmp(v, "android-dhcp-", 13) == 0)
			note(t, OS_ANDROID, 3, what);
		else if (strncmp(v, "dhcpcd-", 7) == 0 && strstr(v, ":Linux-"))
			note(t, OS_LINUX, 1, what); /* Android's old dhcpcd said Linux too */
		else if (strncmp(v, "udhcp ", 6) == 0)
			note(t, OS_LINUX, 1, what);
		else
			note(t, OS_UNKNOWN, 0, what);
	}
	if (!ev->dhcp_prl_len)
		return;
	/* the list as text, for the report */
	size_t o = 0;
	for (size_t i = 0; i < ev->dhcp_prl_len && i < 40 && o + 8 < sizeof(q); i++)
		o += (size_t)snprintf(q + o, sizeof(q) - o, "%s%u", i ? "," : "", ev->dhcp_prl[i]);
	snprintf(what, sizeof(what), "DHCP parameter request list %s%s", q, ev->dhcp_prl_len > 40 ? ",..." : "");
	static const uint8_t apple[] = {1, 121, 3, 6, 15};
	static const uint8_t dhclient[] = {1, 28, 2, 3, 15, 6};
	/* Windows Vista to 11 ask for NetBIOS (44, 46, 47), router discovery
	 * (31), static routes (33) and Microsoft's classless routes (249) */
	if (prl_has(ev, 31) && prl_has(ev, 33) && prl_has(ev, 46) && prl_has(ev, 249) && prl_has(ev, 43))
		note(t, OS_WINDOWS, 2, what);
	else if (prl_starts(ev, apple, sizeof(apple)) && prl_has(ev, 119) && prl_has(ev, 252))
		note(t, OS_MACOS, 2, what); /* Apple's client: macOS and iOS alike */
	else if (prl_starts(ev, dhclient, sizeof(dhclient)))
		note(t, OS_LINUX, 2, what); /* ISC dhclient.conf's default request, Debian/Ubuntu */
	else if (prl_has(ev, 26) && prl_has(ev, 51) && prl_has(ev, 58) && prl_has(ev, 59) && !prl_has(ev, 249))
		note(t, OS_ANDROID, 1, what); /* DhcpClient's list; dhcpcd's is close */
	else
		note(t, OS_UNKNOWN, 0, what);
}

static const struct {
	const char *name;
	enum os_kind os;
	unsigned pts;
	const char *what;
} known_names[] = {
	{"www.msftconnecttest.com", OS_WINDOWS, 2, "connectivity check"},
	{"ipv6.msftconnecttest.com", OS_WINDOWS, 2, "connectivity check"},
	{"www.msftncsi.com", OS_WINDOWS, 2, "connectivity check"},
	{"dns.msftncsi.com", OS_WINDOWS, 2, "connectivity check"},
	{"ipv6.msftncsi.com", OS_WINDOWS, 2, "connectivity check"},
	{"ctldl.windowsupdate.com", OS_WINDOWS, 1, "update server"},
	{"settings-win.data.microsoft.com", OS_WINDOWS, 1, "telemetry"},
	{"captive.apple.com", OS_MACOS, 2, "connectivity check (macOS or iOS)"},
	{"mesu.apple.com", OS_MACOS, 1, "update server (macOS or iOS)"},
	{"gs.apple.com", OS_MACOS, 1, "update server (macOS or iOS)"},
	{"connectivitycheck.gstatic.com", OS_ANDROID, 2, "connectivity check"},
	{"connectivitycheck.android.com", OS_ANDROID, 2, "connectivity check"},
	{"android.clients.google.com", OS_ANDROID, 1, "Google Play services"},
	{"connectivity-check.ubuntu.com", OS_LINUX, 2, "connectivity check (NetworkManager, Ubuntu)"},
	{"nmcheck.gnome.org", OS_LINUX, 2, "connectivity check (NetworkManager)"},
	{"network-test.debian.org", OS_LINUX, 2, "connectivity check (NetworkManager, Debian)"},
	{"daisy.ubuntu.com", OS_LINUX, 2, "crash reports (whoopsie, Ubuntu)"},
	{"motd.ubuntu.com", OS_LINUX, 2, "motd-news (Ubuntu)"},
	{"changelogs.ubuntu.com", OS_LINUX, 1, "release upgrade check (Ubuntu)"},
	{NULL, OS_UNKNOWN, 0, NULL},
};

/* name equals known, ignoring case and one trailing dot */
static bool name_is(const char *name, const char *known)
{
	size_t n = strlen(name), k = strlen(known);
	if (n && name[n - 1] == '.')
		n--;
	return n == k && strncasecmp(name, known, k) == 0;
}

int os_known_name(const char *qname)
{
	if (!qname)
		return -1;
	/* asked for every question of a capture: the length first */
	size_t n = strlen(qname);
	if (n && qname[n - 1] == '.')
		n--;
	if (n < 10 || n > 31)
		return -1; /* the known names are 10 to 31 bytes long (tests/test_os_infer.c: known_names_found) */
	for (int k = 0; known_names[k].name; k++)
		if (name_is(qname, known_names[k].name))
			return k;
	return -1;
}

const char *os_known_name_at(int i)
{
	static const int n = (int)(sizeof(known_names) / sizeof(known_names[0])) - 1;
	_Static_assert(sizeof(known_names) / sizeof(known_names[0]) <= OS_MAX_KNOWN_NAMES, "a bit per name");
	return i >= 0 && i < n ? known_names[i].name : NULL;
}

static void weigh_names(const struct os_evidence *ev, struct tally *t)
{
	char what[200];
	/* each known name counts once, however often it was asked */
	for (size_t k = 0; known_names[k].name; k++) {
		for (size_t i = 0; i < ev->n_names; i++) {
			if (ev->names[i] && name_is(ev->names[i], known_names[k].name)) {
				snprintf(what, sizeof(what), "%s asked (%s)", known_names[k].name, known_names[k].what);
				note(t, known_names[k].os, known_names[k].pts, what);
				break;
			}
		}
	}
}

void os_infer(const struct os_evidence *ev, struct os_guess *out)
{
	struct tally t = {.ev = out->evidence, .len = sizeof(out->evidence)};
	out->evidence[0] = '\0';
	weigh_dhcp(ev, &t);
	weigh_names(ev, &t);
	if (ev->nbns)
		note(&t, OS_WINDOWS, 1, "NetBIOS-NS used (Windows, or Samba)");
	if (ev->llmnr)
		note(&t, OS_UNKNOWN, 0, "LLMNR used (Windows, or Linux with systemd-resolved): not counted");
	char pk[48] = "";
	if (ev->ttl_pkts)
		snprintf(pk, sizeof(pk), " (%llu packet%s)", (unsigned long long)ev->ttl_pkts, ev->ttl_pkts == 1 ? "" : "s");
	if (ev->ttl == 128) {
		char what[80];
		snprintf(what, sizeof(what), "IPv4 TTL 128%s", pk);
		note(&t, OS_WINDOWS, 1, what);
	} else if (ev->ttl == 64) {
		/* Linux, Android and macOS all start at 64 */
		t.pts[OS_LINUX]++;
		t.pts[OS_ANDROID]++;
		t.pts[OS_MACOS]++;
		char what[120];
		snprintf(what, sizeof(what), "IPv4 TTL 64%s: Linux, Android or macOS (+1 each)", pk);
		note(&t, OS_UNKNOWN, 0, what);
	} else if (ev->ttl) {
		char what[96];
		snprintf(what, sizeof(what), "IPv4 TTL %u%s: not counted", ev->ttl, pk);
		note(&t, OS_UNKNOWN, 0, what);
	}
	enum os_kind best = OS_UNKNOWN;
	unsigned top = 0, second = 0;
	for (int k = 1; k < OS_NKINDS; k++) {
		if (t.pts[k] > top) {
			second = top;
			top = t.pts[k];
			best = (enum os_kind)k;
		} else if (t.pts[k] > second) {
			second = t.pts[k];
		}
	}
	out->score = top;
	if (top >= 2 && top - second >= 2) {
		out->os = best;
		out->confidence = top >= 4 ? "strong" : "likely";
	} else {
		out->os = OS_UNKNOWN;
		out->confidence = "unknown";
		if (!out->evidence[0])
			snprintf(out->evidence, sizeof(out->evidence),
				 "no DHCP request, connectivity check, NetBIOS or TTL seen from this host");
	}
}

/* ---------------------------------------------------------------------- */
/* Remedies per system */

static const struct {
	enum os_kind os;
	const char *category;
	const char *remedy;
} remedies[] = {
	{OS_WINDOWS, "split-tunnel",
	 "Windows: make the tunnel the only resolver: an NRPT rule for every name (Add-DnsClientNrptRule "
	 "-Namespace \".\" -NameServers <tunnel resolver>), or remove the physical adapter's DNS servers while "
	 "connected; check with Get-DnsClientNrptPolicy and Resolve-DnsName."},
	{OS_WINDOWS, "parallel-multihomed",
	 "Windows: set the Group Policy \"Turn off smart multi-homed name resolution\" (Computer Configuration > "
	 "Administrative Templates > Network > DNS Client; registry DisableSmartNameResolution=1) and an NRPT rule "
	 "for \".\" to the tunnel resolver, so Windows stops asking every adapter's resolver at once."},
	{OS_WINDOWS, "ipv6-outside",
	 "Windows: carry IPv6 in the tunnel (::/0) or unbind IPv6 from the physical adapter while connected "
	 "(Disable-NetAdapterBinding -ComponentID ms_tcpip6), and turn off Teredo (netsh interface teredo set "
	 "state disabled)."},
	{OS_WINDOWS, "local-link",
	 "Windows: turn off LLMNR (Group Policy \"Turn off multicast name resolution\") and NetBIOS over TCP/IP "
	 "on the physical adapter (adapter properties > IPv4 > Advanced > WINS)."},
	{OS_WINDOWS, "kill-switch",
	 "Windows: use the client's firewall kill switch (WireGuard for Windows: \"Block untunneled traffic\"; "
	 "OpenVPN: block-outside-dns), which blocks DNS outside the tunnel with WFP filters while it is down."},
	{OS_MACOS, "split-tunnel",
	 "macOS: the VPN's Network Extension must claim every name: NEDNSSettings.matchDomains = [\"\"] (the empty "
	 "domain matches all), not a list of match domains; scutil --dns must show the tunnel's resolver as "
	 "resolver #1 with no other unscoped resolver."},
	{OS_MACOS, "parallel-multihomed",
	 "macOS: scoped resolvers per interface let apps ask the Wi-Fi's resolver; give the tunnel's "
	 "NEDNSSettings matchDomains [\"\"] and check scutil --dns."},
	{OS_MACOS, "ipv6-outside",
	 "macOS: route IPv6 into the tunnel (includedRoutes ::/0 in NEIPv6Settings) or turn IPv6 off on the "
	 "physical service while connected (networksetup -setv6off Wi-Fi)."},
	{OS_MACOS, "kill-switch",
	 "macOS: set includeAllNetworks (and enforceRoutes) on the tunnel's NETunnelProviderProtocol, so "
	 "nothing leaves outside the tunnel while it reconnects."},
	{OS_MACOS, "local-link",
	 "macOS: mDNS (mDNSResponder) cannot be turned off per interface; where policy requires it, block UDP "
	 "5353 on the physical interface with pf, or accept it in the description's allow list."},
	{OS_LINUX, "split-tunnel",
	 "Linux (systemd-resolved): on the tunnel link set the tunnel resolver with Domains=~. and "
	 "DNSDefaultRoute=yes, and DNSDefaultRoute=no on the physical link (resolvectl domain wg0 '~.'; "
	 "resolvectl default-route eth0 no). NetworkManager: a negative DNS priority on the VPN connection makes "
	 "it exclusive (nmcli connection modify <vpn> ipv4.dns-priority -50 ipv6.dns-priority -50)."},
	{OS_LINUX, "parallel-multihomed",
	 "Linux (systemd-resolved): a link with Domains=~. and DNSDefaultRoute=yes gets every query; set "
	 "DNSDefaultRoute=no on the physical link so queries are not sent to both (resolvectl status shows each "
	 "link's setting)."},
	{OS_LINUX, "ipv6-outside",
	 "Linux: carry ::/0 in the tunnel (WireGuard AllowedIPs = 0.0.0.0/0, ::/0) or disable IPv6 on the "
	 "physical interface while connected (sysctl net.ipv6.conf.<if>.disable_ipv6=1)."},
	{OS_LINUX, "local-link",
	 "Linux (systemd-resolved): turn off LLMNR and mDNS on the physical link (resolvectl llmnr eth0 no; "
	 "resolvectl mdns eth0 no, or LLMNR=no and MulticastDNS=no in resolved.conf)."},
	{OS_LINUX, "kill-switch",
	 "Linux: reject traffic that does not go through the tunnel with a firewall rule tied to it (wg-quick: "
	 "an nftables PostUp rule dropping everything not on wg0 or to the endpoint; NetworkManager with "
	 "the VPN's own kill switch)."},
	{OS_ANDROID, "split-tunnel",
	 "Android: Settings > Network & internet > VPN > (the app) > turn on \"Always-on VPN\" and \"Block "
	 "connections without VPN\"."},
	{OS_ANDROID, "kill-switch",
	 "Android: turn on \"Always-on VPN\" and \"Block connections without VPN\" for the app (Settings > "
	 "Network & internet > VPN), which blocks traffic while the tunnel is down."},
	{OS_ANDROID, "bootstrap",
	 "Android: \"Always-on VPN\" with \"Block connections without VPN\" keeps traffic blocked from boot "
	 "until the tunnel is up."},
	{OS_ANDROID, "encrypted-outside",
	 "Android: Private DNS in \"Automatic\" mode may send DoT to the network's resolver outside the tunnel; "
	 "set Private DNS to Off, or to the VPN's resolver host name (Settings > Network & internet > Private "
	 "DNS)."},
	{OS_ANDROID, "ipv6-outside",
	 "Android: the VPN app must route ::/0 into the tunnel (VpnService.Builder.addRoute(\"::\", 0)); with "
	 "\"Block connections without VPN\" the rest is blocked."},
	{OS_UNKNOWN, NULL, NULL},
};

const char *os_remedy(enum os_kind os, const char *category)
{
	if (os == OS_UNKNOWN || !category)
		return NULL;
	for (size_t i = 0; remedies[i].category; i++)
		if (remedies[i].os == os && strcmp(remedies[i].category, category) == 0)
			return remedies[i].remedy;
	return NULL;
}
