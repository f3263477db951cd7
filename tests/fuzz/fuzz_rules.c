/* fuzz_rules.c - fuzz target: the tunnel description loader (libxml2 + rules/tunnel.xsd) and its description text. */
#include <string.h>

#include "fuzz.h"
#include "rules.h"

/* libxml2 keeps global state (parser init, the cached schema): one load per
 * input, in one thread, is what rules.h allows. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r;
	struct ls_addr a;
	char err[512];

	if (rules_load_mem("fuzz.xml", data, size, &r, err, sizeof(err)) < 0) {
		FUZZ_CHECK(r == NULL && strncmp(err, "fuzz.xml", 8) == 0);
		return 0;
	}
	char *s = rules_describe_str(r);
	FUZZ_CHECK(s != NULL && strchr(s, '\n') == NULL);
	free(s);
	/* the lookups the verdict makes, on whatever the file declared */
	(void)rules_allow_name(r, "www.example.com");
	(void)rules_allow_name(r, "");
	addr_parse("192.0.2.1", &a);
	(void)rules_endpoint_match(r, &a, 51820, 17);
	(void)rules_inside_match(r, &a);
	(void)rules_tunnel_resolver_match(r, &a, 53, NULL);
	addr_parse("2001:db8::1", &a);
	(void)rules_allow_resolver(r, &a, 853);
	(void)rules_endpoint_addr_match(r, &a);
	rules_free(r);
	return 0;
}
