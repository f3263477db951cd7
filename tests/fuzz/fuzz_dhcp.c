/* fuzz_dhcp.c - fuzz target: dhcp4_parse (RFC 2131/2132/3442) and dhcp6_parse (RFC 8415/4704). */
#include "dhcp.h"
#include "fuzz.h"

static void check(const struct dhcp_info *d)
{
	FUZZ_CHECK(d->nroutes <= DHCP_MAX_ROUTES && d->ndns <= DHCP_MAX_DNS);
	/* dhcp.h: printable ASCII only, others as \DDD */
	FUZZ_CHECK(fuzz_text_ok(d->hostname, sizeof(d->hostname), 0x21, 0x7e));
	for (size_t i = 0; i < d->nroutes; i++)
		FUZZ_CHECK(d->routes[i].plen <= 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_info d;

	if (dhcp4_parse(data, size, &d) == 0)
		check(&d);
	if (dhcp6_parse(data, size, &d) == 0)
		check(&d);
	return 0;
}
