/* nameport.c - the one table of name-resolution ports (nameport.h says who asks and why TCP differs). */
#include "nameport.h"

#include <stddef.h>

static const struct nameport nameports[] = {
	{53, 17, EVP_DNS_UDP, true, false},
	{53, 6, EVP_DNS_TCP, true, false},
	{5353, 17, EVP_MDNS, true, true},
	{5353, 6, EVP_DNS_TCP, true, false},
	{5355, 17, EVP_LLMNR, true, true},
	{5355, 6, EVP_LLMNR, true, false},
	{137, 17, EVP_NBNS, true, true},
	{853, 6, EVP_DOT, false, false},  /* RFC 7858 */
	{853, 17, EVP_DOQ, false, false}, /* RFC 9250 */
};

const struct nameport *nameport_of(uint8_t transport, uint16_t sport, uint16_t dport)
{
	for (size_t i = 0; i < sizeof(nameports) / sizeof(nameports[0]); i++) {
		const struct nameport *n = &nameports[i];
		if (n->transport == transport && (n->port == sport || n->port == dport))
			return n;
	}
	return NULL;
}

const struct nameport *nameport_server(uint8_t transport, uint16_t port)
{
	return nameport_of(transport, port, port);
}

bool nameport_any_responder(enum ev_proto proto)
{
	for (size_t i = 0; i < sizeof(nameports) / sizeof(nameports[0]); i++)
		if (nameports[i].proto == proto && nameports[i].any_responder)
			return true;
	return false;
}
