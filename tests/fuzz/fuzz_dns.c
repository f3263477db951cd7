/* fuzz_dns.c - fuzz target: dns_parse (RFC 1035 and friends) and nbns_decode_name (RFC 1001 14.1). */
#include <string.h>

#include "dns.h"
#include "fuzz.h"

static struct dns_msg m; /* ~66 KB: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char nb[66];

	if (dns_parse(data, size, &m) == 0) {
		FUZZ_CHECK(m.nq <= DNS_MAX_QUESTIONS && m.nrr <= DNS_MAX_RRS);
		/* dns.h: names are printable, with no space, tab, newline or NUL */
		for (size_t i = 0; i < m.nq; i++)
			FUZZ_CHECK(fuzz_text_ok(m.q[i].name, sizeof(m.q[i].name), 0x21, 0x7e));
		for (size_t i = 0; i < m.nrr; i++) {
			FUZZ_CHECK(fuzz_text_ok(m.rr[i].name, sizeof(m.rr[i].name), 0x21, 0x7e));
			/* rdata text goes into TSV and XML too: spaces, no control bytes */
			FUZZ_CHECK(fuzz_text_ok(m.rr[i].data, sizeof(m.rr[i].data), 0x20, 0x7e));
			(void)dns_type_name(m.rr[i].type);
		}
		(void)dns_rcode_name(m.rcode);
	}
	if (size >= 32 && nbns_decode_name(data, 32, nb, sizeof(nb)) == 0)
		FUZZ_CHECK(fuzz_text_ok(nb, sizeof(nb), 0x20, 0x7e));
	return 0;
}
