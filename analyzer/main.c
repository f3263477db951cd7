/* main.c - command line: analyze, events, check-rules. */
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "capture.h"
#include "output.h"
#include "rules.h"


static void usage_main(FILE *out)
{
	fputs("usage: leakscope COMMAND [options] ...\n"
	      "\n"
	      "Finds DNS leaks: name resolution that escapes a VPN or Tor tunnel.\n"
	      "\n"
	      "commands:\n"
	      "  analyze [--tunnel FILE.xml] [-o DIR] CAPTURE... verdicts and reports per host\n"
	      "  events [--tunnel FILE.xml] [-o FILE] CAPTURE... every name-resolution question, as TSV\n"
	      "  check-rules FILE.xml                           validate and explain a tunnel description\n"
	      "  suggest-tunnel [-o FILE] CAPTURE...            a tunnel description from the carriers seen\n"
	      "  merge [--tunnel FILE.xml] [-o DIR] PARTIAL...  reports from partials (analyze --partial)\n"
	      "\n"
	      "'leakscope COMMAND --help' tells more.  Exit status: 0 no leak, 1 leaks found,\n"
	      "2 unusable input or usage error.\n",
	      out);
}

static void usage_analyze(FILE *out)
{
	fputs("usage: leakscope analyze [--tunnel FILE.xml] [options] CAPTURE...\n"
	      "\n"
	      "Reads the captures (pcap or pcapng; several files are one investigation,\n"
	      "e.g. rotated files), judges every name-resolution question against the\n"
	      "tunnel description, and writes DIR/index.html, DIR/summary.xml and per host\n"
	      "DIR/hosts/<host>.html and DIR/hosts/<host>.xml.\n"
	      "Without --tunnel, the description is suggested from the carriers seen in\n"
	      "the captures (as suggest-tunnel prints it), and every report says so.\n"
	      "\n"
	      "options:\n"
	      "  -t, --tunnel FILE.xml      the tunnel description (see rules/README.md)\n"
	      "  -o, --output DIR           where reports go (default: leakscope-report)\n"
	      "      --gap SECONDS          tunnel silence that counts as the tunnel being down\n"
	      "                             (default: 2.5 keepalive intervals if the carrier has a\n"
	      "                             keepalive rhythm, else 10)\n"
	      "      --parallel-window MS   same name inside and outside within MS is a parallel\n"
	      "                             multi-homed query (default 1000)\n"
	      "      --max-events N         stop recording events past N (default 5000000)\n"
	      "  -j, --jobs N               follow the flows in N threads, write XML and HTML side by\n"
	      "                             side (same reports; default 1)\n"
	      "      --partial FILE         for scale-out: write a mergeable partial result of the\n"
	      "                             one CAPTURE to FILE instead of reports (see merge)\n"
	      "  -q, --quiet                no summary table on stdout\n"
	      "  -h, --help\n"
	      "\n"
	      "exit status: 0 no leak, 1 leaks found, 2 unusable input or usage error\n",
	      out);
}

static void usage_events(FILE *out)
{
	fputs("usage: leakscope events [--tunnel FILE.xml] [-o FILE] CAPTURE...\n"
	      "\n"
	      "Prints every name-resolution question seen, one tab-separated row each, with\n"
	      "a header row: time proto client client_port server server_port qname qtype\n"
	      "rcode answers sni iface path file frame.  With --tunnel, two more columns:\n"
	      "verdict and category.\n"
	      "\n"
	      "options:\n"
	      "  -t, --tunnel FILE.xml   judge each row against a tunnel description\n"
	      "  -o, --output FILE       write the table to FILE instead of stdout\n"
	      "      --gap SECONDS, --parallel-window MS, -j N   as for analyze\n"
	      "  -h, --help\n"
	      "\n"
	      "exit status: 0 (with --tunnel: no leak), 1 leaks found (with --tunnel),\n"
	      "2 unusable input or usage error\n",
	      out);
}

static void usage_check(FILE *out)
{
	fputs("usage: leakscope check-rules FILE.xml\n"
	      "\n"
	      "Validates a tunnel description against rules/tunnel.xsd and explains what it\n"
	      "means.  Exit status 0 when valid, 2 when not (errors as file:line: message).\n",
	      out);
}

static void usage_suggest(FILE *out)
{
	fputs("usage: leakscope suggest-tunnel [-o FILE] CAPTURE...\n"
	      "\n"
	      "Recognises tunnel carriers in the captures (WireGuard, OpenVPN over UDP or\n"
	      "TCP, IPsec IKE/ESP, Tor) and prints a tunnel description to edit: endpoints\n"
	      "from the carriers, inside addresses and resolvers from a tunnel interface\n"
	      "when the capture has one.  Exit status 0 when at least one tunnel was\n"
	      "recognised, 1 when none, 2 on unusable input.\n",
	      out);
}

static int parse_uint(const char *s, const char *what, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		goto bad;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "leakscope: %s takes a whole number from 0 to %" PRIu64 ", not '%s'\n", what, max, s ? s : "");
	return -1;
}

struct common_opts {
	const char *tunnel;
	const char *output;
	bool quiet;
	unsigned jobs;
	struct an_options an;
};

enum { OPT_GAP = 256, OPT_PARALLEL, OPT_MAX_EVENTS, OPT_PARTIAL };

#define MAX_JOBS 64

static int parse_common(int argc, char **argv, struct common_opts *o, void (*usage)(FILE *))
{
	static const struct option longopts[] = {
		{"tunnel", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"gap", required_argument, NULL, OPT_GAP},
		{"parallel-window", required_argument, NULL, OPT_PARALLEL},
		{"max-events", required_argument, NULL, OPT_MAX_EVENTS},
		{"jobs", required_argument, NULL, 'j'},
		{"partial", required_argument, NULL, OPT_PARTIAL},
		{NULL, 0, NULL, 0},
	};
	an_options_default(&o->an);
	optind = 1;
	int c;
	uint64_t v;
	o->jobs = 1;
	while ((c = getopt_long(argc, argv, "t:o:qhj:", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->tunnel = optarg; break;
		case 'o': o->output = optarg; break;
		case 'q': o->quiet = true; break;
		case 'j':
			if (parse_uint(optarg, "-j", MAX_JOBS, &v) < 0 || v == 0) {
				if (v == 0)
					fprintf(stderr, "leakscope: -j takes a number from 1 to %d\n", MAX_JOBS);
				return -1;
			}
			o->jobs = (unsigned)v;
			break;
		case 'h': usage(stdout); exit(EXIT_CLEAN);
		case OPT_GAP:
			if (parse_uint(optarg, "--gap", 86400, &v) < 0)
				return -1;
			o->an.gap_sec = (uint32_t)v;
			break;
		case OPT_PARALLEL:
			if (parse_uint(optarg, "--parallel-window", 3600000, &v) < 0)
				return -1;
			o->an.parallel_ms = (uint32_t)v;
			break;
		case OPT_PARTIAL:
			o->an.partial_path = optarg;
			break;
		case OPT_MAX_EVENTS:
			if (parse_uint(optarg, "--max-events", 1000000000, &v) < 0)
				return -1;
			o->an.max_events = (size_t)v;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	/* A progress line when a person watches and the input is large. */
	if (!o->quiet && isatty(2)) {
		uint64_t total = 0;
		for (int i = optind; i < argc; i++) {
			struct stat st;
			if (stat(argv[i], &st) == 0)
				total += (uint64_t)st.st_size;
		}
		o->an.progress = total > 64u * 1024 * 1024;
	}
	if (optind >= argc) {
		fprintf(stderr, "leakscope: no capture given\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Reads every capture into a new analysis; with jobs > 1, one reader
 * decodes each packet once and hands the flows to jobs worker threads
 * (autofp.c), merged before the verdicts (the reports are the same as with
 * one job).  Returns NULL when a capture cannot be opened (message printed). */
static struct analysis *read_all(const struct an_options *opt, const struct rules *rules, int nfiles, char **files,
				 bool quiet_warnings, unsigned jobs)
{
	int *rc = xcalloc((size_t)nfiles, sizeof(*rc));
	struct an_options o = *opt;
	o.shard = 0;
	o.nshards = jobs;
	struct analysis *a = an_new(&o, rules);
	for (int i = 0; i < nfiles; i++)
		rc[i] = an_add_file(a, files[i]);
	int unreadable = 0;
	for (int i = 0; i < nfiles; i++) {
		if (rc[i] < 0) {
			fprintf(stderr, "leakscope: %s\n", a->files[i].error);
			unreadable++;
		} else if (rc[i] > 0 && !quiet_warnings) {
			fprintf(stderr, "leakscope: warning: %s; analysed up to the damage\n", a->files[i].error);
		}
	}
	free(rc);
	if (unreadable) {
		/* One missing piece of an investigation makes every verdict
		 * doubtful: refuse rather than report half the story. */
		fprintf(stderr, "leakscope: %d of %d capture(s) could not be read; nothing was reported\n",
			unreadable, nfiles);
		an_free(a);
		return NULL;
	}
	an_finish(a);
	return a;
}

/* Suggests a description from a first pass over the captures.  Returns the
 * rules (NULL when no carrier was recognised) through *out; -1 when the
 * input is unusable. */
static int suggest_rules(const struct an_options *opt, int nfiles, char **files, struct rules **out, bool quiet)
{
	*out = NULL;
	struct analysis *a = read_all(opt, NULL, nfiles, files, quiet, 1);
	if (!a)
		return -1;
	struct sbuf xml = {0};
	size_t n = an_suggest_xml(a, &xml);
	an_free(a);
	int rc = 0;
	if (n) {
		char err[2048];
		if (rules_load_mem("(suggested)", xml.s, xml.len, out, err, sizeof(err)) < 0) {
			fprintf(stderr, "leakscope: the suggested description does not validate: %s\n", err);
			rc = -1;
		}
	}
	sb_free(&xml);
	return rc;
}

/* Loads the rules (given, or suggested when none is given and suggest is
 * set) and reads every capture.  Returns the analysis or NULL when the
 * input is unusable (message printed). */
static struct analysis *run(const struct common_opts *o, int nfiles, char **files, struct rules **rules_out,
			    bool suggest)
{
	struct rules *rules = NULL;
	char err[2048];
	bool suggested = false;
	if (o->tunnel) {
		if (rules_load(o->tunnel, &rules, err, sizeof(err)) < 0) {
			fprintf(stderr, "leakscope: %s\n", err);
			return NULL;
		}
	} else if (suggest) {
		if (suggest_rules(&o->an, nfiles, files, &rules, true) < 0)
			return NULL;
		suggested = rules != NULL;
		fprintf(stderr, "leakscope: NOTE: no --tunnel given; %s\n",
			suggested ? "using a tunnel description suggested from the capture (see the reports)"
				  : "no tunnel carrier recognised in the capture: verdicts cannot be decided");
	}
	struct analysis *a = read_all(&o->an, rules, nfiles, files, false, o->jobs);
	if (!a) {
		rules_free(rules);
		return NULL;
	}
	a->suggested = suggested;
	an_integrity(a, &a->integ); /* again: "suggested" is one of its caveats */
	*rules_out = rules;
	return a;
}

/* The integrity contract's word on stderr when the verdict is not a plain
 * "clean" or "leaks": every reason that kept it from clean, one a line. */
static void say_status(const struct analysis *a, bool quiet)
{
	const struct an_integrity *g = &a->integ;
	for (size_t i = 0; i < g->nreasons; i++) {
		const struct an_reason *r = &g->reasons[i];
		if (!r->blocks_clean && quiet)
			continue;
		fprintf(stderr, "leakscope: %s: %s\n",
			g->status == AN_LEAKS ? (r->blocks_clean ? "INCOMPLETE" : "NOTE")
					      : (r->blocks_clean ? an_status_banner(g->status) : "NOTE"),
			r->text);
	}
	if (g->reasons_capped)
		fprintf(stderr, "leakscope: and more reasons (see summary.xml)\n");
}

struct xml_job {
	struct analysis *a;
	const char *dir;
	int rc;
	char err[2048];
};

static void *xml_run(void *arg)
{
	struct xml_job *j = arg;
	j->rc = out_xml_reports(j->a, j->dir, j->err, sizeof(j->err));
	return NULL;
}

/* The XML and the HTML reports; with two jobs or more, each in its own
 * thread (both only read the analysis, and neither keeps state outside
 * its writer).  Returns 0, or -1 with a message in err. */
static int write_reports(struct analysis *a, const char *dir, unsigned jobs, char *err, size_t errlen)
{
	an_prepare_reports(a); /* here, not in the threads: it changes the analysis */
	struct xml_job xj = {.a = a, .dir = dir};
	pthread_t th;
	bool threaded = jobs > 1 && pthread_create(&th, NULL, xml_run, &xj) == 0;
	if (!threaded)
		xml_run(&xj);
	int hrc = xj.rc < 0 && !threaded ? -1 : out_html_reports(a, dir, err, errlen);
	if (threaded)
		pthread_join(th, NULL);
	if (xj.rc < 0) {
		snprintf(err, errlen, "%s", xj.err);
		return -1;
	}
	return hrc;
}

static int cmd_analyze(int argc, char **argv, bool merging)
{
	struct common_opts o = {0};
	if (parse_common(argc, argv, &o, usage_analyze) < 0)
		return EXIT_UNUSABLE;
	if (o.an.partial_path && argc - optind != 1) {
		fprintf(stderr, "leakscope: --partial takes exactly one capture\n");
		return EXIT_UNUSABLE;
	}
	if (o.an.partial_path && o.jobs > 1) {
		fprintf(stderr, "leakscope: --partial and -j do not go together\n");
		return EXIT_UNUSABLE;
	}
	if (merging) {
		/* every input must be a partial: a plain capture here is a mistake */
		for (int i = optind; i < argc; i++) {
			char perr[512];
			struct cap_file *cf;
			if (cap_open(argv[i], &cf, perr, sizeof(perr)) < 0) {
				fprintf(stderr, "leakscope: %s\n", perr);
				return EXIT_UNUSABLE;
			}
			bool is_partial = cap_origin_path(cf) != NULL;
			cap_close(cf);
			if (!is_partial) {
				fprintf(stderr, "leakscope: %s is not a partial written by analyze --partial\n", argv[i]);
				return EXIT_UNUSABLE;
			}
		}
	}
	const char *dir = o.output ? o.output : "leakscope-report";
	struct rules *rules = NULL;
	struct analysis *a = run(&o, argc - optind, argv + optind, &rules, true);
	if (!a)
		return EXIT_UNUSABLE;
	char err[2048];
	if (o.an.partial_path) {
		/* a partial: the result is the file; verdicts come at merge time */
		bool failed = a->partial_failed;
		an_free(a);
		rules_free(rules);
		if (failed) {
			fprintf(stderr,
				"leakscope: %s: could not write the partial (a write error, or a packet timestamp "
				"before 1970 or after 2554, which a partial cannot hold)\n",
				o.an.partial_path);
			return EXIT_UNUSABLE;
		}
		if (!o.quiet)
			printf("partial written to %s\n", o.an.partial_path);
		return EXIT_CLEAN;
	}
	if (write_reports(a, dir, o.jobs, err, sizeof(err)) < 0) {
		fprintf(stderr, "leakscope: %s\n", err);
		an_free(a);
		rules_free(rules);
		return EXIT_UNUSABLE;
	}
	uint64_t leaks = a->integ.leaks;
	if (!o.quiet) {
		out_summary_table(a, stdout);
		printf("%s: %" PRIu64 " leak(s) in %" PRIu64 " packet(s); reports in %s/index.html (HTML) and %s/summary.xml (XML)\n",
		       an_status_banner(a->integ.status), leaks, a->packets, dir, dir);
	}
	say_status(a, o.quiet);
	int status = an_status_exit(a->integ.status);
	an_free(a);
	rules_free(rules);
	return status;
}

static int cmd_events(int argc, char **argv)
{
	struct common_opts o = {0};
	if (parse_common(argc, argv, &o, usage_events) < 0)
		return EXIT_UNUSABLE;
	struct rules *rules = NULL;
	struct analysis *a = run(&o, argc - optind, argv + optind, &rules, false);
	if (!a)
		return EXIT_UNUSABLE;
	FILE *out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		perror(o.output);
		an_free(a);
		rules_free(rules);
		return EXIT_UNUSABLE;
	}
	int rc = out_events_tsv(a, out, rules != NULL);
	if (out != stdout && fclose(out) != 0)
		rc = -1;
	else if (out == stdout && fflush(out) != 0)
		rc = -1;
	/* without a description nothing is judged: the listing is the result */
	int status = rules ? an_status_exit(a->integ.status) : EXIT_CLEAN;
	if (rules)
		say_status(a, o.quiet);
	an_free(a);
	rules_free(rules);
	if (rc < 0) {
		fprintf(stderr, "leakscope: write error\n");
		return EXIT_UNUSABLE;
	}
	return status;
}

static int cmd_suggest(int argc, char **argv)
{
	struct common_opts o = {0};
	if (parse_common(argc, argv, &o, usage_suggest) < 0)
		return EXIT_UNUSABLE;
	struct analysis *a = read_all(&o.an, NULL, argc - optind, argv + optind, false, o.jobs);
	if (!a)
		return EXIT_UNUSABLE;
	struct sbuf xml = {0};
	size_t n = an_suggest_xml(a, &xml);
	an_free(a);
	FILE *out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		perror(o.output);
		sb_free(&xml);
		return EXIT_UNUSABLE;
	}
	fputs(xml.s, out);
	sb_free(&xml);
	if (out != stdout && fclose(out) != 0)
		return EXIT_UNUSABLE;
	if (!n)
		fprintf(stderr, "leakscope: no tunnel carrier recognised\n");
	return n ? EXIT_CLEAN : EXIT_LEAKS;
}

static int cmd_check_rules(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage_check(stdout);
		return EXIT_CLEAN;
	}
	if (argc != 2) {
		usage_check(stderr);
		return EXIT_UNUSABLE;
	}
	struct rules *r;
	char err[2048];
	if (rules_load(argv[1], &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_UNUSABLE;
	}
	printf("%s: valid.\n", argv[1]);
	rules_describe(r, stdout);
	rules_free(r);
	return EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	/* Reports never carry wall-clock time, but times printed from the
	 * capture are UTC whatever the caller's TZ. */
	setenv("TZ", "UTC", 1);
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_UNUSABLE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "analyze"))
		return cmd_analyze(argc - 1, argv + 1, false);
	if (!strcmp(cmd, "merge"))
		return cmd_analyze(argc - 1, argv + 1, true);
	if (!strcmp(cmd, "events"))
		return cmd_events(argc - 1, argv + 1);
	if (!strcmp(cmd, "check-rules"))
		return cmd_check_rules(argc - 1, argv + 1);
	if (!strcmp(cmd, "suggest-tunnel"))
		return cmd_suggest(argc - 1, argv + 1);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage_main(stdout);
		return EXIT_CLEAN;
	}
	if (!strcmp(cmd, "--version")) {
		printf("leakscope %s\n", LS_VERSION);
		return EXIT_CLEAN;
	}
	fprintf(stderr, "leakscope: unknown command '%s'\n", cmd);
	usage_main(stderr);
	return EXIT_UNUSABLE;
}
