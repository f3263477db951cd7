/* iface.c - the interface table: which interface each packet crossed, its counters, its role.
 *
 * An interface is (capture file, interface id, link type): the same
 * ifindex in two files is two interfaces.  A role comes from the tunnel
 * description's names first (<interface tunnel=/physical=>), else from
 * what crossed it: the carrier makes it physical, the host's inside
 * addresses without carrier make it the tunnel, loopback only makes it
 * loopback.
 */
#include "iface.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline.h"

#define ARPHRD_LOOPBACK_ 772
#define ARPHRD_NONE_ 0xfffe

void iface_init(struct analysis *a)
{
	struct an_priv *pv = a->priv;
	pv->ifs.last_iface = UINT32_MAX;
}

void iface_free(struct analysis *a)
{
	for (size_t i = 0; i < a->nifaces; i++) {
		free(a->ifaces[i].name);
		free(a->ifaces[i].desc);
	}
	free(a->ifaces);
}

static uint32_t iface_ref(struct analysis *a, const struct pkt *p)
{
	struct an_priv *pv = a->priv;
	const struct cap_packet *cp = p->cp;
	int id = p->ifindex;
	if (pv->ifs.last_iface < a->nifaces) {
		struct an_iface *c = &a->ifaces[pv->ifs.last_iface];
		if (c->file_idx == p->file_idx && c->id == id && c->linktype == cp->linktype &&
		    (id >= 0 || c->hatype == p->hatype))
			return pv->ifs.last_iface;
	}
	for (size_t i = 0; i < a->nifaces; i++) {
		struct an_iface *c = &a->ifaces[i];
		/* without an interface index (Linux cooked v1, "tcpdump -i
		 * any"), the hardware type still tells the tunnel device
		 * (ARPHRD_NONE), loopback and Ethernet apart */
		if (c->file_idx == p->file_idx && c->id == id && c->linktype == cp->linktype &&
		    (id >= 0 || c->hatype == p->hatype)) {
			pv->ifs.last_iface = (uint32_t)i;
			return (uint32_t)i;
		}
	}
	if (a->nifaces >= AN_MAX_IFACES) {
		/* A hostile capture may claim thousands of SLL2 interfaces: the
		 * rest share the last slot, and the report says so. */
		a->ifaces_capped = true;
		return (uint32_t)(a->nifaces - 1);
	}
	a->ifaces = xgrow(a->ifaces, &a->capifaces, a->nifaces + 1, sizeof(*a->ifaces));
	struct an_iface *n = &a->ifaces[a->nifaces];
	memset(n, 0, sizeof(*n));
	n->file_idx = p->file_idx;
	n->id = id;
	/* PKTAP names each packet's own interface: that beats the name of
	 * the capture's interface (a pcapng's "pktap" or "any") */
	n->name = p->ifname ? xstrdup(p->ifname) : cp->iface_name ? xstrdup(cp->iface_name) : NULL;
	n->desc = p->ifname ? NULL : cp->iface_desc ? xstrdup(cp->iface_desc) : NULL;
	n->linktype = cp->linktype;
	n->hatype = p->hatype;
	n->tunnel_idx = -1;
	pv->ifs.last_iface = (uint32_t)a->nifaces;
	return (uint32_t)a->nifaces++;
}

uint32_t iface_packet(struct analysis *a, const struct pkt *p)
{
	uint32_t iref = iface_ref(a, p);
	struct an_iface *ifc = &a->ifaces[iref];
	ifc->pkts++;
	if (!ifc->hatype && p->hatype)
		ifc->hatype = p->hatype;
	if (addr_is_loopback(&p->src) || addr_is_loopback(&p->dst))
		ifc->loopback_pkts++;
	/* The host's own addresses on a point-to-point (tunnel) interface:
	 * what it sends there, as SLL says (outgoing) or, without SLL, every
	 * unicast source on a link with no MAC. */
	if (!p->has_mac && (p->pkttype == PKTTYPE_OUTGOING || p->pkttype < 0) && ifc->n_src_addrs < AN_IFACE_ADDRS &&
	    !addr_is_multicast(&p->src) && !addr_is_loopback(&p->src) && !addr_is_linklocal(&p->src)) {
		bool have = false;
		for (uint8_t i = 0; i < ifc->n_src_addrs && !have; i++)
			have = addr_cmp(&ifc->src_addrs[i], &p->src) == 0;
		if (!have)
			ifc->src_addrs[ifc->n_src_addrs++] = p->src;
	}
	return iref;
}

const char *iface_role_str(enum iface_role r)
{
	static const char *const n[] = {"unknown", "tunnel", "physical", "loopback"};
	return (unsigned)r <= IF_LOOPBACK ? n[r] : "?";
}

const char *an_iface_label(const struct analysis *a, uint32_t ref, char *buf, size_t len)
{
	if (ref >= a->nifaces) {
		snprintf(buf, len, "-");
		return buf;
	}
	const struct an_iface *f = &a->ifaces[ref];
	if (f->name && f->desc && strncmp(f->name, "\\Device\\", 8) == 0)
		snprintf(buf, len, "%s (%s)", f->desc, f->name); /* Windows: the GUID alone says nothing */
	else if (f->name)
		snprintf(buf, len, "%s", f->name);
	else if (f->linktype == LT_LINUX_SLL2 && f->id >= 0)
		snprintf(buf, len, "ifindex%d", f->id);
	else if (f->id > 0)
		snprintf(buf, len, "if%d", f->id);
	else if (f->linktype == LT_LINUX_SLL && f->hatype)
		/* cooked v1 names no interface: its hardware type is all there is */
		snprintf(buf, len, "%s", f->hatype == ARPHRD_NONE_ ? "sll:tun"
					 : f->hatype == ARPHRD_LOOPBACK_ ? "sll:loopback"
					 : f->hatype == 1 ? "sll:ether"
							  : "sll:other");
	else
		snprintf(buf, len, "-");
	return buf;
}

void iface_decide_roles(struct analysis *a)
{
	const struct rules *r = a->rules;
	for (size_t i = 0; i < a->nifaces; i++) {
		struct an_iface *f = &a->ifaces[i];
		f->role = IF_UNKNOWN;
		f->role_why = "no evidence";
		if (r && f->name) {
			for (size_t t = 0; t < r->n_tunnels; t++) {
				if (r->tunnels[t].tun_iface && (strcmp(r->tunnels[t].tun_iface, f->name) == 0 ||
								(f->desc && strcmp(r->tunnels[t].tun_iface, f->desc) == 0))) {
					f->role = IF_TUNNEL;
					f->tunnel_idx = (int)t;
					f->role_why = "named as the tunnel interface in the description";
					break;
				}
				if (r->tunnels[t].phys_iface && (strcmp(r->tunnels[t].phys_iface, f->name) == 0 ||
								 (f->desc && strcmp(r->tunnels[t].phys_iface, f->desc) == 0))) {
					f->role = IF_PHYSICAL;
					f->role_why = "named as the physical interface in the description";
					break;
				}
			}
			if (f->role != IF_UNKNOWN)
				continue;
		}
		if (f->hatype == ARPHRD_LOOPBACK_ || (f->loopback_pkts && f->loopback_pkts == f->pkts)) {
			f->role = IF_LOOPBACK;
			f->role_why = "loopback hardware type or only loopback addresses";
		} else if (f->carrier_pkts > 0) {
			f->role = IF_PHYSICAL;
			f->role_why = "carries the tunnel's encrypted carrier traffic";
		} else if (f->inside_pkts > 0) {
			f->role = IF_TUNNEL;
			f->role_why = "carries the host's tunnel addresses and no carrier traffic";
		}
	}
}

bool iface_looks_tunnel(const struct an_iface *f)
{
	static const char *const prefixes[] = {"wg", "tun", "utun", "ppp", "tailscale", "ipsec", "nordlynx",
					       "proton", "mullvad", "vpn", "tap", NULL};
	/* Windows names interfaces \Device\NPF_{GUID}: the description
	 * tells (WireGuard's and OpenVPN's drivers, VPN clients' adapters) */
	static const char *const in_desc[] = {"wireguard", "wintun", "tap-windows", "openvpn", "vpn", "tailscale",
					      "nordlynx", "mullvad", "proton", NULL};
	if (f->hatype == ARPHRD_NONE_)
		return true;
	if (f->name)
		for (const char *const *p = prefixes; *p; p++)
			if (strncasecmp(f->name, *p, strlen(*p)) == 0)
				return true;
	if (f->desc)
		for (const char *const *p = in_desc; *p; p++)
			if (strcasestr(f->desc, *p))
				return true;
	return false;
}
