/* fuzz_import.c - fuzz target: translating wg-quick, OpenVPN and swanctl configurations (rules-import.c); every translation must validate. */
#include <string.h>

#include "fuzz.h"
#include "rules-import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf x = {0};
	char err[512];
	struct rules *r;
	int rc = rules_import("fuzz.conf", (const char *)data, size, &x, err, sizeof(err));
	if (rc < 0)
		FUZZ_CHECK(strncmp(err, "fuzz.conf", 9) == 0);
	if (rc == 1) {
		/* what the translator writes is a valid description, always */
		FUZZ_CHECK(rules_load_mem("fuzz.conf", x.s, x.len, &r, err, sizeof(err)) == 0);
		rules_free(r);
	}
	sb_free(&x);
	return 0;
}
