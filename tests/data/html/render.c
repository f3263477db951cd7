/* render.c - writes the XML and HTML reports of captures, for tests/html-screenshot.py when `leakscope analyze` does not write HTML. */
#include <stdio.h>

#include "analyze.h"
#include "output.h"
#include "rules.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: render OUTDIR TUNNEL.xml CAPTURE...\n");
		return 2;
	}
	struct rules *r = NULL;
	char err[2048];
	if (rules_load(argv[2], &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "render: %s\n", err);
		return 2;
	}
	struct an_options o;
	an_options_default(&o);
	struct analysis *a = an_new(&o, r);
	for (int i = 3; i < argc; i++) {
		if (an_add_file(a, argv[i]) < 0) {
			fprintf(stderr, "render: %s\n", a->files[a->nfiles - 1].error);
			return 2;
		}
	}
	an_finish(a);
	int rc = 0;
	if (out_xml_reports(a, argv[1], err, sizeof(err)) < 0 || out_html_reports(a, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "render: %s\n", err);
		rc = 2;
	}
	an_free(a);
	rules_free(r);
	rules_cleanup();
	return rc;
}
