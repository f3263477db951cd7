/* resolvers.c - built-in list of public encrypted-DNS resolvers (RFC 8484 DoH, RFC 7858 DoT, RFC 9250 DoQ).
 *
 * Names and addresses below are the resolvers' own published service names
 * and anycast addresses (Google Public DNS, Cloudflare 1.1.1.1, Quad9,
 * OpenDNS, AdGuard, NextDNS, CleanBrowsing, Mullvad, DNS.SB, Control D,
 * Comcast, CIRA, DNS0.EU, Apple),
 * as listed in curl's DoH wiki list and DNSCrypt's public-resolvers list.
 * nDPI's own DoH_DoT host list is a second, independent input (dpi.c).
 * A description can add more with <resolver name=...> in a tunnel.
 */
#include "resolvers.h"

#include <string.h>
#include <strings.h>

static const char *const known_names[] = {
	"dns.google", "dns.google.com", "dns64.dns.google",
	"cloudflare-dns.com", "one.one.one.one", "1dot1dot1dot1.cloudflare-dns.com",
	"security.cloudflare-dns.com", "family.cloudflare-dns.com",
	"dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net", "dns12.quad9.net",
	"doh.opendns.com", "dns.opendns.com", "doh.familyshield.opendns.com",
	"dns.adguard.com", "dns.adguard-dns.com", "dns-family.adguard.com", "unfiltered.adguard-dns.com",
	"dns.nextdns.io", "doh.cleanbrowsing.org",
	"dns.mullvad.net", "adblock.dns.mullvad.net", "doh.mullvad.net",
	"doh.dns.sb", "dns.controld.com", "freedns.controld.com",
	"doh.libredns.gr", "dns.alidns.com", "doh.pub", "dns.twnic.tw",
	"doh.applied-privacy.net", "dns.digitale-gesellschaft.ch", "dns.switch.ch",
	"doh.ffmuc.net", "dns.njal.la", "resolver2.dns.watch",
	/* browser and OS defaults: Firefox TRR (mozilla.cloudflare-dns.com is
	 * below cloudflare-dns.com), Comcast (Firefox TRR in the US), CIRA
	 * Canadian Shield (Firefox TRR in Canada), Apple's resolver for
	 * iCloud Private Relay, DNS0.EU */
	"doh.xfinity.com", "private.canadianshield.cira.ca", "protected.canadianshield.cira.ca",
	"family.canadianshield.cira.ca", "doh.dns.apple.com", "dns0.eu",
	NULL,
};

static const char *const known_addrs[] = {
	"8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844",
	"1.1.1.1", "1.0.0.1", "1.1.1.2", "1.0.0.2", "1.1.1.3", "1.0.0.3",
	"2606:4700:4700::1111", "2606:4700:4700::1001",
	"9.9.9.9", "149.112.112.112", "9.9.9.10", "9.9.9.11", "2620:fe::fe", "2620:fe::9", "2620:fe::11",
	"208.67.222.222", "208.67.220.220", "2620:119:35::35", "2620:119:53::53",
	"94.140.14.14", "94.140.15.15", "2a10:50c0::ad1:ff", "2a10:50c0::ad2:ff",
	"45.90.28.0", "45.90.30.0", "194.242.2.2", "2a07:e340::2",
	"185.222.222.222", "45.11.45.11", "76.76.2.0", "76.76.10.0",
	"75.75.75.75", "75.75.76.76", "149.112.121.10", "149.112.122.10", "193.110.81.0", "185.253.5.0",
	NULL,
};

bool resolver_name_known(const char *name)
{
	if (!name || !*name)
		return false;
	size_t n = strlen(name);
	if (name[n - 1] == '.')
		n--;
	for (const char *const *k = known_names; *k; k++) {
		size_t kl = strlen(*k);
		if (n == kl && strncasecmp(name, *k, n) == 0)
			return true;
		/* below it: "<something>.<known>", on a label boundary */
		if (n > kl && name[n - kl - 1] == '.' && strncasecmp(name + n - kl, *k, kl) == 0)
			return true;
	}
	return false;
}

bool resolver_addr_known(const struct ls_addr *a)
{
	/* Parsed once: the table is constant (and parsing it per flow showed
	 * in profiles).  Not thread-safe on first use: call from one thread. */
	static struct ls_addr parsed[sizeof(known_addrs) / sizeof(known_addrs[0])];
	static size_t n;
	static bool ready;
	if (!ready) {
		for (const char *const *s = known_addrs; *s; s++)
			if (addr_parse(*s, &parsed[n]) == 0)
				n++;
		ready = true;
	}
	for (size_t i = 0; i < n; i++)
		if (addr_cmp(&parsed[i], a) == 0)
			return true;
	return false;
}
