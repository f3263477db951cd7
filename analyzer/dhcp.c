/* dhcp.c - DHCPv4 (RFC 2131, 2132; classless static routes RFC 3442 and Microsoft's option 249) and DHCPv6 (RFC 8415, FQDN RFC 4704). */
#include "dhcp.h"

#include <stdio.h>
#include <string.h>

#define DHCP_MAGIC 0x63825363u

/* Copies option bytes as a host name: printable ASCII kept, the rest as
 * \DDD (a name announced on the LAN is capture data, hostile like all). */
static void put_name(char *dst, size_t dlen, const uint8_t *s, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 5 < dlen; i++) {
		if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\')
			dst[j++] = (char)s[i];
		else
			j += (size_t)snprintf(dst + j, dlen - j, "\\%03u", s[i]);
	}
	dst[j] = '\0';
}

/* A DNS wire-format name (RFC 4704 / 4702 FQDN options): labels only, no
 * compression allowed there; stops at the root or the end. */
static void put_wire_name(char *dst, size_t dlen, const uint8_t *s, size_t n)
{
	size_t i = 0, j = 0;
	dst[0] = '\0';
	while (i < n && s[i] != 0 && j + 1 < dlen) {
		uint8_t l = s[i++];
		if (l > 63 || l > n - i)
			break;
		if (j) {
			dst[j++] = '.';
			dst[j] = '\0';
		}
		put_name(dst + j, dlen - j, s + i, l);
		j = strlen(dst);
		i += l;
	}
}

/* RFC 3442: [width][ceil(width/8) octets of destination][4 octets of router]... */
static void parse_routes(struct dhcp_info *out, const uint8_t *d, size_t n, uint8_t code)
{
	struct cur c;
	cur_init(&c, d, n);
	while (cur_left(&c) > 0) {
		uint8_t w = cur_u8(&c);
		if (w > 32) {
			out->malformed = true;
			return;
		}
		size_t sig = (w + 7u) / 8u;
		uint8_t dst[4] = {0, 0, 0, 0};
		cur_copy(&c, dst, sig);
		uint8_t gw[4];
		cur_copy(&c, gw, 4);
		if (c.err) {
			out->malformed = true;
			return;
		}
		if (out->nroutes >= DHCP_MAX_ROUTES) {
			out->routes_capped = true;
			return;
		}
		struct dhcp_route *r = &out->routes[out->nroutes++];
		memset(r, 0, sizeof(*r));
		r->net.af = 4;
		memcpy(r->net.a, dst, 4);
		r->plen = w;
		r->gw.af = 4;
		memcpy(r->gw.a, gw, 4);
		r->option = code;
	}
}

int dhcp4_parse(const uint8_t *p, size_t len, struct dhcp_info *out)
{
	memset(out, 0, sizeof(*out));
	struct cur c;
	cur_init(&c, p, len);
	out->op = cur_u8(&c);
	uint8_t htype = cur_u8(&c), hlen = cur_u8(&c);
	cur_skip(&c, 1 + 4 + 2 + 2 + 4); /* hops xid secs flags ciaddr */
	uint8_t yi[4];
	cur_copy(&c, yi, 4);
	cur_skip(&c, 8); /* siaddr giaddr */
	uint8_t ch[16];
	cur_copy(&c, ch, 16);
	cur_skip(&c, 64 + 128); /* sname file */
	uint32_t magic = cur_u32(&c);
	if (c.err || magic != DHCP_MAGIC || (out->op != 1 && out->op != 2))
		return -1;
	if (htype == 1 && hlen == 6) {
		out->has_chaddr = true;
		memcpy(out->chaddr, ch, 6);
	}
	if (yi[0] | yi[1] | yi[2] | yi[3]) {
		out->yiaddr.af = 4;
		memcpy(out->yiaddr.a, yi, 4);
	}
	bool have12 = false;
	while (cur_left(&c) > 0) {
		uint8_t code = cur_u8(&c);
		if (code == 0)
			continue; /* pad */
		if (code == 255)
			break;
		uint8_t olen = cur_u8(&c);
		struct cur o = cur_sub(&c, olen);
		if (c.err || o.err) {
			out->malformed = true;
			break;
		}
		const uint8_t *d = cur_ptr(&o);
		switch (code) {
		case 53:
			if (olen >= 1)
				out->msg_type = d[0];
			break;
		case 12:
			put_name(out->hostname, sizeof(out->hostname), d, olen);
			have12 = true;
			break;
		case 81: /* client FQDN (RFC 4702): flags, rcode1, rcode2, name */
			if (olen > 3 && !have12) {
				if (d[0] & 0x04)
					put_wire_name(out->hostname, sizeof(out->hostname), d + 3, olen - 3u);
				else
					put_name(out->hostname, sizeof(out->hostname), d + 3, olen - 3u);
			}
			break;
		case 6:
			for (size_t i = 0; i + 4 <= olen && out->ndns < DHCP_MAX_DNS; i += 4) {
				struct ls_addr *a = &out->dns[out->ndns++];
				memset(a, 0, sizeof(*a));
				a->af = 4;
				memcpy(a->a, d + i, 4);
			}
			break;
		case 55: /* the client's request list: its DHCP client's fingerprint */
			out->prl_len = olen < DHCP_PRL_MAX ? olen : DHCP_PRL_MAX;
			memcpy(out->prl, d, out->prl_len);
			break;
		case 60: { /* vendor class: bytes as sent, cut; os-infer quotes them */
			size_t n = olen < DHCP_VENDOR_MAX - 1 ? olen : DHCP_VENDOR_MAX - 1;
			memcpy(out->vendor, d, n);
			out->vendor[n] = '\0';
			break;
		}
		case 121:
		case 249:
			parse_routes(out, d, olen, code);
			break;
		default:
			break;
		}
	}
	return 0;
}

int dhcp6_parse(const uint8_t *p, size_t len, struct dhcp_info *out)
{
	memset(out, 0, sizeof(*out));
	out->v6 = true;
	struct cur c;
	cur_init(&c, p, len);
	out->msg_type = cur_u8(&c);
	cur_skip(&c, 3); /* transaction id */
	/* 1..13 are client/server messages; 12/13 are relay messages, whose
	 * options nest: not walked here. */
	if (c.err || out->msg_type < 1 || out->msg_type > 11)
		return -1;
	while (cur_left(&c) > 0) {
		uint16_t code = cur_u16(&c), olen = cur_u16(&c);
		struct cur o = cur_sub(&c, olen);
		if (c.err || o.err) {
			out->malformed = true;
			break;
		}
		const uint8_t *d = cur_ptr(&o);
		if (code == 39 && olen > 1) /* FQDN: flags, then a wire-format name */
			put_wire_name(out->hostname, sizeof(out->hostname), d + 1, olen - 1u);
		else if (code == 23)
			for (size_t i = 0; i + 16 <= olen && out->ndns < DHCP_MAX_DNS; i += 16) {
				struct ls_addr *a = &out->dns[out->ndns++];
				memset(a, 0, sizeof(*a));
				a->af = 6;
				memcpy(a->a, d + i, 16);
			}
	}
	return 0;
}
