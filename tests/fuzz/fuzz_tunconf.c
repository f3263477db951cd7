/* fuzz_tunconf.c - fuzz target: tunnel descriptions made from wg-quick and OpenVPN client configurations, then loaded. */
#include <string.h>

#include "fuzz.h"
#include "rules.h"
#include "tunnel-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf xml = {0};
	char err[1024];
	if (tunconf_to_xml_mem("fuzz.conf", (const char *)data, size, &xml, err, sizeof(err)) < 0) {
		FUZZ_CHECK(strncmp(err, "fuzz.conf", 9) == 0 && fuzz_text_ok(err, sizeof(err), 0x20, 0xff));
		sb_free(&xml);
		return 0;
	}
	/* every value written is re-printed by inet_ntop or checked: the
	 * description is printable and well-formed, whatever the input */
	FUZZ_CHECK(xml.s && fuzz_text_ok(xml.s, xml.len + 1, 0x0a, 0x7e));
	struct rules *r = NULL;
	if (rules_load_mem("fuzz.xml", xml.s, xml.len, &r, err, sizeof(err)) == 0) {
		FUZZ_CHECK(r->n_tunnels == 1 && r->tunnels[0].n_endpoints >= 1 && r->tunnels[0].n_inside >= 1);
		rules_free(r);
	} else {
		/* the loader may refuse what it checks beyond the schema (an
		 * endpoint inside its own tunnel), never the XML itself */
		FUZZ_CHECK(strstr(err, "well-formed") == NULL);
	}
	sb_free(&xml);
	return 0;
}
