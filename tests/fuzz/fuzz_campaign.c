/* fuzz_campaign.c - fuzz target: the audit campaign loader (libxml2 + rules/campaign.xsd), the judge, and the five matrix writers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign.h"
#include "fuzz.h"

/* The writers need a folder: one per process, made on first use, reused
 * (the files are overwritten by every input) and removed at exit. */
static char dir[] = "/tmp/ls-fuzz-campaign-XXXXXX";

static void out_dir_remove(void)
{
	static const char *const names[] = {"matrix.html", "matrix.xml", "matrix.json", "junit.xml", "gradebook.csv"};
	char p[sizeof(dir) + 32];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static const char *out_dir(void)
{
	static int made;
	if (!made) {
		made = mkdtemp(dir) ? 1 : -1;
		if (made > 0)
			atexit(out_dir_remove);
	}
	return made > 0 ? dir : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct campaign *c;
	char err[512];

	if (campaign_load_mem("fuzz.xml", data, size, &c, err, sizeof(err)) < 0) {
		FUZZ_CHECK(c == NULL && strncmp(err, "fuzz.xml", 8) == 0);
		return 0;
	}
	FUZZ_CHECK(c->n_cases >= 1 && c->n_cases <= LS_CAMPAIGN_MAX_CASES);
	struct audit_row *rows = calloc(c->n_cases, sizeof(*rows));
	FUZZ_CHECK(rows != NULL);
	for (size_t i = 0; i < c->n_cases; i++) {
		const struct campaign_case *cs = &c->cases[i];
		FUZZ_CHECK(cs->id && cs->id[0] && !strchr(cs->id, '/') && !strstr(cs->id, ".."));
		FUZZ_CHECK(cs->n_captures >= 1);
		rows[i].cs = cs;
		rows[i].res.exit_status = -1;
		/* alternate: not run, and a made-up clean summary */
		if (i % 2) {
			rows[i].res.ran = true;
			rows[i].res.exit_status = 0;
			memcpy(rows[i].res.status, "clean", 6);
			rows[i].res.events = i;
		}
		rows[i].outcome = campaign_judge(cs, &rows[i].res, rows[i].why, sizeof(rows[i].why));
		FUZZ_CHECK(rows[i].why[0] != '\0');
		FUZZ_CHECK(i % 2 || rows[i].outcome == OUTCOME_UNDECIDED); /* not run: never pass or fail */
	}
	const char *od = out_dir();
	if (od)
		FUZZ_CHECK(out_matrix(c, rows, c->n_cases, od, err, sizeof(err)) == 0);
	free(rows);
	campaign_free(c);
	return 0;
}
