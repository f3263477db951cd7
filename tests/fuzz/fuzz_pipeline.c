/* fuzz_pipeline.c - fuzz target: the whole analysis of one capture (read, decode, flows, nDPI, events, verdicts, TSV). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "dpi.h"
#include "fuzz.h"
#include "output.h"
#include "rules.h"

/* A WireGuard tunnel like rules/examples/wireguard.xml, with the addresses
 * gencap and the samples use, so that verdicts have something to decide. */
static const char description[] =
	"<tunnels xmlns=\"urn:leakscope:tunnel:1\">"
	"<tunnel name=\"wg\" kind=\"wireguard\">"
	"<endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/>"
	"<inside prefix=\"10.66.0.2/32\"/><inside prefix=\"fd00:66::2/128\"/>"
	"<resolver address=\"10.66.0.1\" port=\"53\"/>"
	"<interface tunnel=\"wg0\" physical=\"eth0\"/>"
	"</tunnel>"
	"<allow><name suffix=\"example.com\" reason=\"fuzz\"/></allow>"
	"</tunnels>";

static struct rules *rules;
static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/ls-fuzz-pipeline-XXXXXX", err[512];
	struct an_options o;
	int fd = mkstemp(path);

	if (!rules) {
		FUZZ_CHECK(rules_load_mem("fuzz", description, sizeof(description) - 1, &rules, err,
					  sizeof(err)) == 0);
		devnull = fopen("/dev/null", "w");
		FUZZ_CHECK(devnull != NULL);
	}
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);
	an_options_default(&o);
	o.max_flows = 64;   /* small caps: eviction and the event cap get exercised */
	o.max_events = 256;
	/* nDPI set up once per process, not per input (its module took most
	 * of the time: ~60 ms an input under ASan) */
	o.dpi = dpi_shared();
	FUZZ_CHECK(o.dpi != NULL);
	struct analysis *a = an_new(&o, rules);
	int rc = an_add_file(a, path);
	FUZZ_CHECK(rc >= -1 && rc <= 1 && a->nfiles == 1);
	FUZZ_CHECK((rc == 0) == (a->files[0].error == NULL));
	an_finish(a);
	FUZZ_CHECK(out_events_tsv(a, devnull, true) == 0);
	an_free(a);
	unlink(path);
	return 0;
}
