/* dhcp.h - DHCPv4 (RFC 2131/2132, 3442 classless routes) and DHCPv6 (RFC 8415, 4704 FQDN): names and pushed routes. */
#ifndef LS_DHCP_H
#define LS_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DHCP_MAX_ROUTES 32
#define DHCP_MAX_DNS 8
#define DHCP_NAME_MAX 256
#define DHCP_PRL_MAX 64     /* option 55 codes kept (clients ask 10 to 30; the rest is cut) */
#define DHCP_VENDOR_MAX 128 /* option 60 bytes kept, as text */

struct dhcp_route {
	struct ls_addr net;  /* destination, host bits cleared */
	uint8_t plen;
	struct ls_addr gw;
	uint8_t option;      /* 121 or 249 */
};

struct dhcp_info {
	bool v6;
	uint8_t op;                /* v4: 1 request, 2 reply; v6: 0 */
	uint8_t msg_type;          /* v4 option 53; v6 message type */
	bool has_chaddr;
	uint8_t chaddr[6];         /* v4 client hardware address (Ethernet only) */
	struct ls_addr yiaddr;     /* v4 "your" address, af 0 when zero */
	char hostname[DHCP_NAME_MAX]; /* option 12, else the name of option 81 / v6 option 39;
	                                 printable ASCII only (others as \DDD) */
	struct dhcp_route routes[DHCP_MAX_ROUTES];
	size_t nroutes;
	bool routes_capped;
	struct ls_addr dns[DHCP_MAX_DNS]; /* option 6 / v6 option 23 */
	size_t ndns;
	/* what the client says of itself (os-infer.h), v4 only: */
	uint8_t prl[DHCP_PRL_MAX]; /* option 55, parameter request list, in order (RFC 2132 9.8) */
	size_t prl_len;            /* codes kept (at most DHCP_PRL_MAX) */
	char vendor[DHCP_VENDOR_MAX]; /* option 60, vendor class identifier (RFC 2132 9.13): raw bytes up
	                                 to the first NUL, cut; "" when absent.  Hostile: escape where shown */
	bool malformed;            /* an option lied about its length; parsing stopped there */
};

/* Parses a DHCPv4 message (UDP 67/68 payload).  Returns 0, or -1 when the
 * bytes are not DHCP (short, wrong magic cookie).  Bounded: options are
 * walked once, each length checked against what is left. */
int dhcp4_parse(const uint8_t *p, size_t len, struct dhcp_info *out);
/* Parses a DHCPv6 message (UDP 546/547 payload, not relayed).  Returns 0 or -1. */
int dhcp6_parse(const uint8_t *p, size_t len, struct dhcp_info *out);

#endif
