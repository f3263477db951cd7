/* category.c - what each category means.  README.md repeats these; keep them in step. */
#include "category.h"

#include <stddef.h>

struct cat_text {
	enum ev_category c;
	const char *severity, *cause, *remedy;
};

static const struct cat_text cat_texts[] = {
	{CAT_TUNNEL, "info", "Resolved inside the tunnel by the tunnel's resolver.", "Nothing to change."},
	{CAT_LOCAL, "info", "Resolved on the host itself (loopback, a local stub resolver).",
	 "Nothing to change; the stub's upstream queries are judged on their own."},
	{CAT_RESOLVER_BYPASS, "low",
	 "Inside the tunnel, but to a resolver other than the tunnel's (an application with its own resolver, e.g. browser DoH).",
	 "Point the application at the VPN's resolver or block third-party resolvers inside the tunnel."},
	{CAT_ALLOWED, "info", "Outside the tunnel, but the description's allow list permits it.",
	 "Nothing to change if the allow-list reason still holds."},
	{CAT_LOCAL_LINK, "medium",
	 "Local-link name resolution (mDNS, LLMNR or NetBIOS-NS) on the physical network: names the host looks up are broadcast to the LAN.",
	 "Disable LLMNR and NetBIOS over TCP/IP and mDNS on the physical interface, or block UDP 5353/5355/137 outside the tunnel."},
	{CAT_BOOTSTRAP, "medium",
	 "Resolved outside before the tunnel came up (bootstrap leak).",
	 "Bring the tunnel up before other applications start, resolve the endpoint by address or allow only its name; block port 53 until the tunnel is up."},
	{CAT_KILL_SWITCH, "high",
	 "Resolved outside while the tunnel was down or interrupted: the kill switch did not hold.",
	 "Enable a firewall-based kill switch that blocks all traffic outside the tunnel (except the carrier) whenever the tunnel is not up."},
	{CAT_ENCRYPTED_OUTSIDE, "high",
	 "Encrypted resolution (DoH, DoT or DoQ) outside the tunnel: an application bypasses the system resolver (browser DoH).",
	 "Force DoH to the VPN's resolver (enterprise policy) or block known DoH/DoT/DoQ resolvers outside the tunnel."},
	{CAT_TUNNEL_RESOLVER_OUTSIDE, "high",
	 "The tunnel's own resolver was reached outside the tunnel: a routing error sends it past the tunnel.",
	 "Route the resolver's address into the tunnel (AllowedIPs / pushed routes) and check for more specific routes on the LAN."},
	{CAT_IPV6_OUTSIDE, "high",
	 "IPv6 resolution outside a tunnel that carries no IPv6.",
	 "Tunnel IPv6 too (an IPv6 default route into the tunnel) or disable IPv6 on the physical interface while the tunnel is up."},
	{CAT_PARALLEL, "high",
	 "The same name was asked inside and outside the tunnel at the same time (parallel multi-homed resolution, e.g. Windows smart multi-homed name resolution).",
	 "Disable smart multi-homed name resolution and block port 53 outside the tunnel."},
	{CAT_SPLIT_TUNNEL, "high",
	 "Cleartext resolution to a resolver outside the tunnel while it was up: split tunnel, or the system resolver was not switched to the tunnel's.",
	 "Set the tunnel's resolver as the only system resolver (DNS= in WireGuard, dhcp-option DNS with a resolver update script in OpenVPN) and block port 53 outside the tunnel."},
	{CAT_OUTSIDE_NO_TUNNEL, "info", "No tunnel description: the path could not be judged.",
	 "Give a tunnel description with --tunnel."},
	{CAT_NONE, NULL, NULL, NULL},
};

static const struct cat_text *cat_lookup(enum ev_category c)
{
	for (const struct cat_text *t = cat_texts; t->severity; t++)
		if (t->c == c)
			return t;
	return NULL;
}

const char *cat_severity(enum ev_category c)
{
	const struct cat_text *t = cat_lookup(c);
	return t ? t->severity : "info";
}

const char *cat_cause(enum ev_category c)
{
	const struct cat_text *t = cat_lookup(c);
	return t ? t->cause : "";
}

const char *cat_remedy(enum ev_category c)
{
	const struct cat_text *t = cat_lookup(c);
	return t ? t->remedy : "";
}
