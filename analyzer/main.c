/* main.c - command line: analyze, events, check-rules. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "campaign.h"
#include "capture.h"
#include "outdir.h"
#include "output.h"
#include "rules.h"


/* a command has already said that stdout failed (check_stdout) */
static bool stdout_reported;

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
	      "  audit CAMPAIGN.xml [-o DIR] [-j N]             run a campaign of cases, judge each, write a matrix\n"
	      "\n"
	      "'leakscope COMMAND --help' tells more.  Exit status: 0 no leak, 1 leaks found,\n"
	      "2 unusable input, an output that cannot be written (or is an input), or usage\n"
	      "error; 3 undecided (nothing could be judged: no packet, no tunnel); 4 incomplete\n"
	      "(no leak among what was judged, but not everything was read or judged).\n"
	      "audit: 0 every expectation held, 1 one failed, 3 a case could not be judged.\n",
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
	      "      --max-events N         stop recording events past N (1 to 1000000000;\n"
	      "                             default 5000000)\n"
	      "      --max-host-pages N     host pages for the N most severe hosts, the others\n"
	      "                             summed up in the index and summary.xml (default 1000)\n"
	      "      --max-host-events N    events listed in a host's XML, leaks first; counts stay\n"
	      "                             whole (default 10000)\n"
	      "  -j, --jobs N               follow the flows in N threads, write XML and HTML side by\n"
	      "                             side (same reports; default 1)\n"
	      "      --partial FILE         for scale-out: write a mergeable partial result of the\n"
	      "                             one CAPTURE to FILE instead of reports (see merge)\n"
	      "  -q, --quiet                no summary table on stdout\n"
	      "  -h, --help\n"
	      "\n"
	      "exit status: 0 no leak, 1 leaks found, 2 unusable input, unwritable output or\n"
	      "usage error\n",
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

/* A whole number from min to max; otherwise one message and -1 (*out is
 * then left alone). */
static int parse_uint(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "leakscope: %s takes a whole number from %" PRIu64 " to %" PRIu64 ", not '%s'\n", what, min, max,
		s ? s : "");
	return -1;
}

struct common_opts {
	const char *tunnel;
	const char *output;
	bool quiet;
	unsigned jobs;
	struct an_options an;
};

enum { OPT_GAP = 256, OPT_PARALLEL, OPT_MAX_EVENTS, OPT_PARTIAL, OPT_HOST_PAGES, OPT_HOST_EVENTS };

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
		{"max-host-pages", required_argument, NULL, OPT_HOST_PAGES},
		{"max-host-events", required_argument, NULL, OPT_HOST_EVENTS},
		{"jobs", required_argument, NULL, 'j'},
		{"partial", required_argument, NULL, OPT_PARTIAL},
		{NULL, 0, NULL, 0},
	};
	an_options_default(&o->an);
	optind = 1;
	int c;
	uint64_t v = 0;
	o->jobs = 1;
	while ((c = getopt_long(argc, argv, "t:o:qhj:", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->tunnel = optarg; break;
		case 'o': o->output = optarg; break;
		case 'q': o->quiet = true; break;
		case 'j':
			if (parse_uint(optarg, "-j", 1, MAX_JOBS, &v) < 0)
				return -1;
			o->jobs = (unsigned)v;
			break;
		case 'h': usage(stdout); exit(EXIT_CLEAN);
		case OPT_GAP:
			if (parse_uint(optarg, "--gap", 0, 86400, &v) < 0)
				return -1;
			o->an.gap_sec = (uint32_t)v;
			break;
		case OPT_PARALLEL:
			if (parse_uint(optarg, "--parallel-window", 0, 3600000, &v) < 0)
				return -1;
			o->an.parallel_ms = (uint32_t)v;
			break;
		case OPT_PARTIAL:
			o->an.partial_path = optarg;
			break;
		case OPT_MAX_EVENTS:
			/* 0 once meant "no cap", against the help text; a cap that
			 * records nothing would make every verdict undecidable, and
			 * no cap at all lets one capture fill the disk: refused. */
			if (parse_uint(optarg, "--max-events", 1, 1000000000, &v) < 0)
				return -1;
			o->an.max_events = (size_t)v;
			break;
		case OPT_HOST_PAGES:
			if (parse_uint(optarg, "--max-host-pages", 1, AN_MAX_HOST_PAGES, &v) < 0)
				return -1;
			o->an.max_host_pages = (size_t)v;
			break;
		case OPT_HOST_EVENTS:
			if (parse_uint(optarg, "--max-host-events", 1, AN_MAX_HOST_EVENTS, &v) < 0)
				return -1;
			o->an.max_host_events = (size_t)v;
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

struct job {
	struct analysis *a;
	int nfiles;
	char **files;
	int *rc;
};

static void *job_run(void *arg)
{
	struct job *j = arg;
	for (int i = 0; i < j->nfiles; i++)
		j->rc[i] = an_add_file(j->a, j->files[i]);
	return NULL;
}

/* Reads every capture into a new analysis; with jobs > 1, each thread
 * reads every capture but follows only its share of the flows, and the
 * shares are merged before the verdicts (the reports are the same as with
 * one job).  Returns NULL when a capture cannot be opened (message printed). */
static struct analysis *read_all(const struct an_options *opt, const struct rules *rules, int nfiles, char **files,
				 bool quiet_warnings, unsigned jobs)
{
	struct analysis *sh[MAX_JOBS];
	struct job jb[MAX_JOBS];
	pthread_t th[MAX_JOBS];
	int *rc = xcalloc((size_t)nfiles * jobs, sizeof(*rc));
	/* nDPI modules are created one after another: their init is not
	 * thread-safe (../shared/notes/ndpi-4.2.md). */
	for (unsigned k = 0; k < jobs; k++) {
		struct an_options o = *opt;
		o.shard = k;
		o.nshards = jobs;
		sh[k] = an_new(&o, rules);
		jb[k] = (struct job){sh[k], nfiles, files, rc + (size_t)k * (size_t)nfiles};
	}
	bool started[MAX_JOBS] = {false};
	for (unsigned k = 1; k < jobs; k++)
		started[k] = pthread_create(&th[k], NULL, job_run, &jb[k]) == 0;
	job_run(&jb[0]);
	for (unsigned k = 1; k < jobs; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		else
			job_run(&jb[k]); /* no thread to be had: do it here */
	}
	struct analysis *a = sh[0];
	for (unsigned k = 1; k < jobs; k++) {
		an_merge_shard(a, sh[k]);
		an_free(sh[k]);
	}
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

/* Every file the command reads: the captures and the description. */
static const char **inputs_of(const struct common_opts *o, int argc, char **argv, int *n)
{
	const char **in = xcalloc((size_t)(argc - optind) + 1, sizeof(*in));
	int k = 0;
	for (int i = optind; i < argc; i++)
		in[k++] = argv[i];
	if (o->tunnel)
		in[k++] = o->tunnel;
	*n = k;
	return in;
}

/* 0 when the output file out (NULL: stdout) is none of the inputs;
 * otherwise the message is printed and -1. */
static int check_output_file(const struct common_opts *o, const char *out, int argc, char **argv)
{
	int n;
	const char **in = inputs_of(o, argc, argv, &n);
	char err[8400];
	int rc = od_check_file(out, in, n, err, sizeof(err));
	free(in);
	if (rc < 0)
		fprintf(stderr, "leakscope: %s\n", err);
	return rc;
}

/* The XML and the HTML reports; with two jobs or more, each in its own
 * thread (both only read the analysis, and neither keeps state outside
 * its writer).  Returns 0, or -1 with a message in err. */
static int write_both(struct analysis *a, const char *dir, unsigned jobs, char *err, size_t errlen)
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

/* The reports, written into a fresh folder beside dir that replaces dir
 * only once every file is complete (outdir.h).  Returns 0, or -1 with a
 * message in err (dir then as it was). */
/* A report folder over this many times the captures' size is worth a warning. */
#define OUT_WARN_FACTOR 4
/* ...once it is large at all: a page of a tiny capture is always bigger */
#define OUT_WARN_MIN (64ull << 20)

static int write_reports(struct analysis *a, const char *dir, unsigned jobs, char *err, size_t errlen)
{
	struct od_stage st;
	if (od_begin(&st, dir, err, errlen) < 0)
		return -1;
	if (write_both(a, st.tmp, jobs, err, errlen) < 0) {
		od_abort(&st);
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, "; %s was left as it was", dir);
		return -1;
	}
	/* the report caps bound the folder; still say so when it outgrows
	 * the evidence (README "Report size") */
	uint64_t out_bytes = od_tree_bytes(st.tmp), in_bytes = 0;
	for (size_t i = 0; i < a->nfiles; i++) {
		struct stat sb;
		if (stat(a->files[i].path, &sb) == 0 && S_ISREG(sb.st_mode))
			in_bytes += (uint64_t)sb.st_size;
	}
	if (in_bytes && out_bytes > OUT_WARN_FACTOR * in_bytes && out_bytes > OUT_WARN_MIN)
		fprintf(stderr,
			"leakscope: warning: the reports take %.1f MB, %.1f times the %.1f MB of the captures "
			"(--max-host-pages and --max-host-events bound them)\n",
			(double)out_bytes / 1e6, (double)out_bytes / (double)in_bytes, (double)in_bytes / 1e6);
	return od_commit(&st, err, errlen);
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
		o.an.partials = true;
		for (int i = optind; i < argc; i++) {
			char perr[512];
			struct cap_file *cf;
			if (cap_open(argv[i], &cf, perr, sizeof(perr)) < 0) {
				fprintf(stderr, "leakscope: %s\n", perr);
				return EXIT_UNUSABLE;
			}
			bool is_partial = cap_claims_partial(cf);
			cap_close(cf);
			if (!is_partial) {
				fprintf(stderr, "leakscope: %s is not a partial written by analyze --partial\n", argv[i]);
				return EXIT_UNUSABLE;
			}
		}
	}
	const char *dir = o.output ? o.output : "leakscope-report";
	/* before the long read: an output that would destroy an input, or a
	 * folder that is not ours to replace, is refused at once */
	if (o.an.partial_path) {
		if (check_output_file(&o, o.an.partial_path, argc, argv) < 0)
			return EXIT_UNUSABLE;
	} else {
		int n;
		const char **in = inputs_of(&o, argc, argv, &n);
		char derr[8400];
		int drc = od_check_dir(dir, in, n, derr, sizeof(derr));
		free(in);
		if (drc < 0) {
			fprintf(stderr, "leakscope: %s\n", derr);
			return EXIT_UNUSABLE;
		}
	}
	struct rules *rules = NULL;
	struct analysis *a = run(&o, argc - optind, argv + optind, &rules, true);
	if (!a)
		return EXIT_UNUSABLE;
	char err[8400];
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
	if (check_output_file(&o, o.output, argc, argv) < 0)
		return EXIT_UNUSABLE;
	struct rules *rules = NULL;
	struct analysis *a = run(&o, argc - optind, argv + optind, &rules, false);
	if (!a)
		return EXIT_UNUSABLE;
	FILE *out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		fprintf(stderr, "leakscope: %s: cannot write: %s\n", o.output, strerror(errno));
		an_free(a);
		rules_free(rules);
		return EXIT_UNUSABLE;
	}
	errno = 0;
	int rc = out_events_tsv(a, out, rules != NULL);
	int e = errno;
	if (fflush(out) != 0 || ferror(out))
		rc = -1, e = errno;
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = -1, e = errno;
	/* without a description nothing is judged: the listing is the result */
	int status = rules ? an_status_exit(a->integ.status) : EXIT_CLEAN;
	if (rules)
		say_status(a, o.quiet);
	an_free(a);
	rules_free(rules);
	if (rc < 0) {
		fprintf(stderr, "leakscope: %s: write error: %s\n", o.output ? o.output : "standard output",
			e ? strerror(e) : "output error");
		stdout_reported = !o.output;
		return EXIT_UNUSABLE;
	}
	return status;
}

static int cmd_suggest(int argc, char **argv)
{
	struct common_opts o = {0};
	if (parse_common(argc, argv, &o, usage_suggest) < 0)
		return EXIT_UNUSABLE;
	if (check_output_file(&o, o.output, argc, argv) < 0)
		return EXIT_UNUSABLE;
	struct analysis *a = read_all(&o.an, NULL, argc - optind, argv + optind, false, o.jobs);
	if (!a)
		return EXIT_UNUSABLE;
	struct sbuf xml = {0};
	size_t n = an_suggest_xml(a, &xml);
	an_free(a);
	FILE *out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		fprintf(stderr, "leakscope: %s: cannot write: %s\n", o.output, strerror(errno));
		sb_free(&xml);
		return EXIT_UNUSABLE;
	}
	fputs(xml.s, out);
	sb_free(&xml);
	int e = 0;
	bool bad = fflush(out) != 0 || ferror(out);
	if (bad)
		e = errno;
	if (out != stdout && fclose(out) != 0 && !bad)
		bad = true, e = errno;
	if (bad) {
		fprintf(stderr, "leakscope: %s: write error: %s\n", o.output ? o.output : "standard output",
			e ? strerror(e) : "output error");
		stdout_reported = !o.output;
		return EXIT_UNUSABLE;
	}
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

/* Whatever the command, output that did not reach stdout (a full disk,
 * /dev/full, a closed pipe) is a failure with a message, never exit 0. */
static void check_stdout(void)
{
	if (stdout_reported)
		_exit(EXIT_UNUSABLE); /* said already */
	errno = 0;
	bool bad = fflush(stdout) != 0;
	int e = errno;
	bad |= ferror(stdout) != 0;
	if (fclose(stdout) != 0 && !bad) {
		bad = true;
		e = errno;
	}
	if (bad) {
		fprintf(stderr, "leakscope: write error on standard output: %s\n", e ? strerror(e) : "output error");
		_exit(EXIT_UNUSABLE);
	}
}

int main(int argc, char **argv)
{
	atexit(check_stdout);
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
	if (!strcmp(cmd, "audit"))
		return cmd_audit(argc - 1, argv + 1);
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
