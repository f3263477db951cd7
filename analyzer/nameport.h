/* nameport.h - the one table of name-resolution ports: which port and transport is which protocol.
 *
 * Asked by every caller that decides by port: the UDP dissector
 * (resolve-wire.c), the TCP hand-off and stream_open (stream.c), the -j
 * shard of a packet (pipeline.c), the query/response key (event.c) and
 * the DoT/DoQ decision (resolve-wire.c).  Rows in precedence order: port
 * 53 on either side wins (a resolver library bound to source port 5353
 * still speaks unicast DNS).  DoH has no port of its own (443 is every
 * HTTPS): it is recognised by resolver name or address, not here; DNS on
 * any other port is recognised by parsing (resolve-wire.c, stream.c).
 *
 * TCP is always one unicast conversation between two hosts: TCP 5353 is
 * DNS over TCP (mDNS itself is UDP, RFC 6762; a TCP connection to 5353 is
 * ordinary unicast DNS), TCP 5355 is LLMNR's unicast TCP (RFC 4795: a
 * truncated answer is asked again over TCP); both are followed from their SYN,
 * like TCP 53, and sharded and matched by their 5-tuple.  Only the UDP
 * rows of mDNS, LLMNR and NetBIOS-NS are questions sent to a group and
 * answered by unicast from whoever knows (any_responder).
 */
#ifndef LS_NAMEPORT_H
#define LS_NAMEPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct nameport {
	uint16_t port;
	uint8_t transport;   /* IPPROTO_UDP (17) or IPPROTO_TCP (6) */
	enum ev_proto proto; /* what an event on it is */
	bool cleartext;      /* DNS messages on the wire (not DoT/DoQ) */
	bool any_responder;  /* a question to a group, answered by unicast from anyone: keyed by the client's side */
};

/* The row for a packet of transport with these ports (either side; the
 * first row in precedence order), NULL when neither is a name-resolution port. */
const struct nameport *nameport_of(uint8_t transport, uint16_t sport, uint16_t dport);
/* The row for a server's port alone. */
const struct nameport *nameport_server(uint8_t transport, uint16_t port);
/* True when proto's questions may be answered by anyone (mDNS, LLMNR, NetBIOS-NS). */
bool nameport_any_responder(enum ev_proto proto);

#endif
