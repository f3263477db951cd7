/* main.c - command line: analyze, events, check-rules. */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "campaign.h"
#include "capture.h"
#include "custody.h"
#include "relation.h"
#include "outdir.h"
#include "dpi.h"
#include "input.h"
#include "output.h"
#include "rules-import.h"
#include "rules.h"

/* The command line as given, for the reports' chain of custody. */
static int main_argc;
static char **main_argv;

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
	      "  events [--tunnel FILE.xml] [-o FILE] CAPTURE... every name-resolution question, as TSV or JSON\n"
	      "  check-rules FILE.xml                           validate and explain a tunnel description\n"
	      "  suggest-tunnel [-o FILE] CAPTURE...            a tunnel description from the carriers seen\n"
	      "  merge [--tunnel FILE.xml] [-o DIR] PARTIAL...  reports from partials (analyze --partial)\n"
	      "  audit CAMPAIGN.xml [-o DIR] [-j N]             run a campaign of cases, judge each, write a matrix\n"
	      "\n"
	      "A CAPTURE is a pcap or pcapng file, gzip/zstd/lz4-compressed or not, '-' for\n"
	      "standard input, or a folder (every capture in it, by name).  A tunnel\n"
	      "description is XML, or a wg-quick .conf, an OpenVPN .ovpn or a swanctl.conf.\n"
	      "\n"
	      "'leakscope COMMAND --help' tells more; -V, --version: versions.  Exit status:\n"
	      "0 no leak, 1 leaks found, 2 unusable input, an output that cannot be written (or\n"
	      "is an input), or usage error; 3 undecided (nothing could be judged: no packet,\n"
	      "no tunnel); 4 incomplete (no leak among what was judged, but not everything was\n"
	      "read or judged).  audit: 0 every expectation held, 1 one failed, 3 a case could\n"
	      "not be judged.\n",
	      out);
}

static void usage_analyze(FILE *out)
{
	fputs("usage: leakscope analyze [--tunnel FILE.xml] [options] CAPTURE...\n"
	      "\n"
	      "Reads the captures (pcap or pcapng, also gzip/zstd/lz4-compressed, '-' for\n"
	      "standard input, a folder for every capture in it; several files are one\n"
	      "investigation, e.g. rotated files), judges every name-resolution question\n"
	      "against the tunnel description, and writes DIR/index.html, DIR/summary.xml,\n"
	      "DIR/summary.json, DIR/findings.csv and per host DIR/hosts/<host>.html and\n"
	      "DIR/hosts/<host>.xml.\n"
	      "Without --tunnel, the description is suggested from the carriers seen in\n"
	      "the captures (as suggest-tunnel prints it), and every report says so.\n"
	      "\n"
	      "options:\n"
	      "  -t, --tunnel FILE          the tunnel description (leakscope-tunnel(5)): XML, or a\n"
	      "                             wg-quick .conf, OpenVPN .ovpn, strongSwan swanctl.conf\n"
	      "  -o, --output DIR           where reports go (default: leakscope-report)\n"
	      "  -f, --filter EXPR          read only packets matching this pcap-filter(7) expression\n"
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
	      "  -j, --jobs N               follow the flows in N threads (1 to 64), write XML and\n"
	      "                             HTML side by side (same reports; default 1); standard\n"
	      "                             input or a pipe is read once, by one reader\n"
	      "      --partial FILE         for scale-out: write a mergeable partial result of the\n"
	      "                             one CAPTURE to FILE instead of reports (see merge)\n"
	      "  -q, --quiet                no summary table on stdout, no notes on stderr\n"
	      "  -h, --help\n"
	      "\n"
	      "exit status: 0 clean (everything read and judged, no leak), 1 leaks found, 2\n"
	      "unusable input, unwritable output or usage error, 3 undecided (nothing could be\n"
	      "judged), 4 incomplete (no leak in what was judged, but not everything was)\n",
	      out);
}

static void usage_events(FILE *out)
{
	fputs("usage: leakscope events [--tunnel FILE] [--format tsv|json] [-o FILE] CAPTURE...\n"
	      "\n"
	      "Prints every name-resolution question seen, one tab-separated row each, with\n"
	      "a header row: time proto client client_port server server_port qname qtype\n"
	      "rcode answers sni iface path file frame host.  With --tunnel, three more\n"
	      "columns: verdict, category and severity.  --format json: one JSON object a\n"
	      "line instead (field names as Zeek's dns.log; reports/events.schema.json).\n"
	      "\n"
	      "options:\n"
	      "  -t, --tunnel FILE       judge each row against a tunnel description\n"
	      "  -o, --output FILE       write the table to FILE instead of stdout\n"
	      "      --format tsv|json   the output format (default tsv)\n"
	      "  -f, --filter EXPR, --gap SECONDS, --parallel-window MS, -j N, -q   as for analyze\n"
	      "  -h, --help\n"
	      "\n"
	      "exit status: without --tunnel 0, or 2 for unusable input or a usage error; with\n"
	      "--tunnel as analyze: 0 clean, 1 leaks, 2 unusable, 3 undecided, 4 incomplete\n",
	      out);
}

static void usage_check(FILE *out)
{
	fputs("usage: leakscope check-rules FILE\n"
	      "\n"
	      "Validates a tunnel description against rules/tunnel.xsd and explains what it\n"
	      "means.  A wg-quick .conf, an OpenVPN .ovpn or a strongSwan swanctl.conf is\n"
	      "translated first and the translation printed.  Exit status 0 when valid, 2\n"
	      "when not (errors as file:line: message).\n",
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
	      "recognised, 1 when none (with -o nothing is written then), 2 on unusable\n"
	      "input.  Options -o FILE, -f EXPR, -j N, -q as for analyze.\n",
	      out);
}

static void usage_merge(FILE *out)
{
	fputs("usage: leakscope merge [--tunnel FILE] [-o DIR] [-j N] PARTIAL...\n"
	      "\n"
	      "Writes the reports of one analysis from partial results, each written by\n"
	      "'leakscope analyze --tunnel FILE --partial OUT.lsp CAPTURE' (give them in\n"
	      "capture order, and the same tunnel description).  The reports are those one\n"
	      "analyze over the original captures writes, and name the original files.\n"
	      "\n"
	      "options: -t FILE, -o DIR, -j N, --gap SECONDS, --parallel-window MS,\n"
	      "--max-events N, -q, -h as for analyze.\n"
	      "\n"
	      "exit status: as analyze: 0 clean, 1 leaks, 2 unusable input or usage error,\n"
	      "3 undecided, 4 incomplete\n",
	      out);
}

/* The one line a usage error prints after its message. */
static void usage_hint(const char *cmd)
{
	fprintf(stderr, "leakscope: see 'leakscope %s--help'\n", cmd ? cmd : "");
}

static const char *cur_cmd; /* "analyze " etc., for usage_hint */

static int parse_uint(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "leakscope: %s takes a whole number from %" PRIu64 " to %" PRIu64 ", not '%s'\n", what, min,
		max, s ? s : "");
	usage_hint(cur_cmd);
	return -1;
}

/* Seconds with at most three decimals ("2.5", "10", "0.25") to
 * milliseconds, from 0.001 to max_sec.  Returns 0 or -1 (message printed). */
static int parse_seconds(const char *s, const char *what, uint32_t max_sec, uint32_t *ms)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && fdigits < 3; p++, fdigits++)
			frac = frac * 10 + (uint64_t)(*p - '0');
		for (int k = fdigits; k < 3; k++)
			frac *= 10;
	}
	uint64_t v = whole * 1000 + frac;
	if (*p || (digits == 0 && fdigits == 0) || v == 0 || v > (uint64_t)max_sec * 1000) {
		fprintf(stderr, "leakscope: %s takes seconds from 0.001 to %u (at most three decimals), not '%s'\n",
			what, max_sec, s);
		usage_hint(cur_cmd);
		return -1;
	}
	*ms = (uint32_t)v;
	return 0;
}

struct common_opts {
	const char *tunnel;
	const char *output;
	const char *filter;
	bool quiet;
	bool json;         /* events --format json */
	unsigned jobs;     /* threads for the XML and HTML writers */
	unsigned read_jobs; /* readers: jobs, or 1 when an input can be read only once */
	struct an_options an;
	int nfiles;        /* the captures, folders expanded */
	char **files;
};

enum { OPT_GAP = 256, OPT_PARALLEL, OPT_MAX_EVENTS, OPT_PARTIAL, OPT_FORMAT, OPT_HOST_PAGES, OPT_HOST_EVENTS };

#define MAX_JOBS 64
#define MAX_FOLDER_FILES 100000 /* a folder of more captures than this is refused */

static const uint32_t capture_magics[] = {
	0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, 0xd4c3b2a1, 0x4d3cb2a1, 0x34cdb2a1, /* pcap */
	0x0a0d0d0a,                                                         /* pcapng */
	0x184d2204,                                                         /* lz4 frame */
	0xfd2fb528,                                                         /* zstd */
	0,
};

/* Whether a file in a folder is a capture: by its first bytes (a pcap,
 * pcapng or lz4/zstd magic, or gzip's two). */
static bool looks_like_capture(const char *path)
{
	uint8_t b[4];
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return true; /* unreadable: let the reader say so by name */
	size_t n = fread(b, 1, sizeof(b), fp);
	fclose(fp);
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return true;
	if (n < 4)
		return false;
	uint32_t m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	for (size_t i = 0; capture_magics[i]; i++)
		if (m == capture_magics[i])
			return true;
	return false;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void add_file(struct common_opts *o, size_t *cap, const char *path)
{
	if ((size_t)o->nfiles == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		o->files = xrealloc(o->files, *cap * sizeof(*o->files));
	}
	o->files[o->nfiles++] = xstrdup(path);
}

/* A folder stands for the capture files directly in it (not in
 * subfolders, not hidden ones), in byte order of their names.  Returns 0
 * or -1 (message printed). */
static int add_folder(struct common_opts *o, size_t *cap, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "leakscope: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, ncap = 0, skipped = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == MAX_FOLDER_FILES) {
			fprintf(stderr, "leakscope: %s: more than %d files\n", dir, MAX_FOLDER_FILES);
			rc = -1;
			break;
		}
		size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
		char *full = xmalloc(len);
		snprintf(full, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
		struct stat st;
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || !looks_like_capture(full)) {
			skipped++;
			free(full);
			continue;
		}
		if (n == ncap) {
			ncap = ncap ? ncap * 2 : 16;
			names = xrealloc(names, ncap * sizeof(*names));
		}
		names[n++] = full;
	}
	closedir(d);
	if (rc == 0 && n == 0) {
		fprintf(stderr, "leakscope: %s: no capture file in this folder\n", dir);
		rc = -1;
	}
	if (names)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			add_file(o, cap, names[i]);
		free(names[i]);
	}
	free(names);
	if (rc == 0 && skipped && !o->quiet)
		fprintf(stderr, "leakscope: note: %s: %zu capture(s) read, %zu other entr%s left out (not a capture "
			"by its first bytes, a subfolder, or hidden)\n", dir, n, skipped, skipped == 1 ? "y" : "ies");
	return rc;
}

static void free_files(struct common_opts *o)
{
	for (int i = 0; i < o->nfiles; i++)
		free(o->files[i]);
	free(o->files);
	o->files = NULL;
	o->nfiles = 0;
}

static int parse_common(int argc, char **argv, struct common_opts *o, void (*usage)(FILE *))
{
	static const struct option longopts[] = {
		{"tunnel", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"filter", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"gap", required_argument, NULL, OPT_GAP},
		{"parallel-window", required_argument, NULL, OPT_PARALLEL},
		{"max-events", required_argument, NULL, OPT_MAX_EVENTS},
		{"max-host-pages", required_argument, NULL, OPT_HOST_PAGES},
		{"max-host-events", required_argument, NULL, OPT_HOST_EVENTS},
		{"jobs", required_argument, NULL, 'j'},
		{"partial", required_argument, NULL, OPT_PARTIAL},
		{"format", required_argument, NULL, OPT_FORMAT},
		{NULL, 0, NULL, 0},
	};
	an_options_default(&o->an);
	/* getopt's messages begin with argv[0]: the program's name, not the command's */
	static char prog[] = "leakscope";
	argv[0] = prog;
	optind = 1;
	int c;
	uint64_t v = 0;
	o->jobs = 1;
	while ((c = getopt_long(argc, argv, "t:o:f:qhj:", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->tunnel = optarg; break;
		case 'o': o->output = optarg; break;
		case 'f': o->filter = optarg; break;
		case 'q': o->quiet = true; break;
		case 'j':
			if (parse_uint(optarg, "-j", 1, MAX_JOBS, &v) < 0)
				return -1;
			o->jobs = (unsigned)v;
			break;
		case 'h': usage(stdout); exit(EXIT_CLEAN);
		case OPT_GAP:
			if (parse_seconds(optarg, "--gap", 86400, &o->an.gap_ms) < 0)
				return -1;
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
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0) {
				o->json = true;
			} else if (strcmp(optarg, "tsv") != 0) {
				fprintf(stderr, "leakscope: --format takes tsv or json, not '%s'\n", optarg);
				usage_hint(cur_cmd);
				return -1;
			}
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
		default: /* getopt said what */
			usage_hint(cur_cmd);
			return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "leakscope: no capture given\n");
		usage_hint(cur_cmd);
		return -1;
	}
	if (o->filter) {
		/* checked once here, for Ethernet, so that a typo is a usage
		 * error; each file compiles it again for its own link types */
		char err[512];
		cap_set_filter(o->filter);
		if (cap_filter_check(1, err, sizeof(err)) < 0) {
			fprintf(stderr, "leakscope: -f: %s\n", err);
			usage_hint(cur_cmd);
			return -1;
		}
		o->an.filter = o->filter;
	}
	size_t cap = 0;
	int nstdin = 0;
	for (int i = optind; i < argc; i++) {
		struct stat st;
		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (add_folder(o, &cap, argv[i]) < 0) {
				free_files(o);
				return -1;
			}
			continue;
		}
		nstdin += strcmp(argv[i], "-") == 0;
		add_file(o, &cap, argv[i]);
	}
	if (nstdin > 1) {
		fprintf(stderr, "leakscope: '-' (standard input) given %d times; it can be read only once\n", nstdin);
		free_files(o);
		return -1;
	}
	/* Every capture, a pipe too, is read exactly once: with -j one reader
	 * hands the flows to the workers (autofp.c). */
	o->read_jobs = o->jobs;
	/* A progress line when a person watches and the input is large. */
	if (!o->quiet && isatty(2)) {
		uint64_t total = 0;
		for (int i = 0; i < o->nfiles; i++) {
			struct stat st;
			if (stat(o->files[i], &st) == 0)
				total += (uint64_t)st.st_size;
		}
		o->an.progress = total > 64u * 1024 * 1024;
	}
	return 0;
}

/* True when some input can be read only once (standard input, a pipe). */
static bool some_read_once(const struct common_opts *o)
{
	for (int i = 0; i < o->nfiles; i++)
		if (!in_rereadable(o->files[i]))
			return true;
	return false;
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
static int suggest_rules(const struct an_options *opt, int nfiles, char **files, struct rules **out, bool quiet,
			 struct custody *cust)
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
		} else if (cust) {
			custody_description(cust, "suggested", NULL, xml.s, xml.len, NULL);
		}
	}
	sb_free(&xml);
	return rc;
}

/* Loads the rules (given, or suggested when none is given and suggest is
 * set) and reads every capture.  Returns the analysis or NULL when the
 * input is unusable (message printed). */
static struct analysis *run(const struct common_opts *o, struct rules **rules_out, bool suggest,
			    struct custody *cust)
{
	struct rules *rules = NULL;
	char err[2048];
	bool suggested = false;
	if (o->tunnel) {
		/* read once, hashed, and loaded from the same bytes: the
		 * chain of custody names what was judged against */
		char *buf;
		size_t n;
		struct sbuf xml = {0};
		if (custody_read_file(o->tunnel, LS_RULES_MAX_FILE, &buf, &n, err, sizeof(err)) < 0 ||
		    rules_load_any_mem(o->tunnel, buf, n, &rules, &xml, err, sizeof(err)) < 0) {
			fprintf(stderr, "leakscope: %s\n", err);
			free(buf);
			sb_free(&xml);
			return NULL;
		}
		if (cust)
			custody_description(cust, "given", o->tunnel, buf, n, xml.s);
		free(buf);
		sb_free(&xml);
	} else if (suggest) {
		if (some_read_once(o)) {
			/* the suggestion is a first pass over the captures: a
			 * pipe cannot be read twice */
			fprintf(stderr, "leakscope: without --tunnel the captures are read twice (first to suggest the "
				"description), and standard input or a pipe can be read only once: give --tunnel "
				"(leakscope suggest-tunnel can write one), or save the capture to a file\n");
			return NULL;
		}
		if (suggest_rules(&o->an, o->nfiles, o->files, &rules, true, cust) < 0)
			return NULL;
		suggested = rules != NULL;
		if (!o->quiet || !suggested)
			fprintf(stderr, "leakscope: NOTE: no --tunnel given; %s\n",
				suggested ? "using a tunnel description suggested from the capture (see the reports)"
					  : "no tunnel carrier recognised in the capture: verdicts cannot be decided");
	}
	struct analysis *a = read_all(&o->an, rules, o->nfiles, o->files, false, o->read_jobs);
	if (!a) {
		rules_free(rules);
		return NULL;
	}
	if (o->filter && !o->quiet) {
		uint64_t kept = 0;
		for (size_t i = 0; i < a->nfiles; i++)
			kept += a->files[i].packets;
		fprintf(stderr, "leakscope: note: filter '%s': %" PRIu64 " packet(s) kept; what it left out was not "
			"seen (a filter that leaves out the tunnel's carrier makes the tunnel look down)\n", o->filter,
			kept);
	}
	a->suggested = suggested;
	/* captures given together: the hosts each saw, unrelated groups
	 * (an integrity caveat); owned here, freed by free_analysis */
	a->relation = rel_compute(a);
	an_integrity(a, &a->integ); /* again: "suggested" and "captures-unrelated" are among its caveats */
	*rules_out = rules;
	return a;
}

/* An analysis from run(), with what main attached to it. */
static void free_analysis(struct analysis *a)
{
	if (a)
		rel_free(a->relation);
	an_free(a);
}

/* The integrity contract's word on stderr when the verdict is not a plain
 * "clean" or "leaks": every reason that kept it from clean, one a line. */
static void say_status(const struct analysis *a, bool quiet)
{
	const struct an_integrity *g = &a->integ;
	for (size_t i = 0; i < g->nreasons; i++) {
		const struct an_reason *r = &g->reasons[i];
		/* unrelated captures are a warning: said even with -q */
		bool warn = !strcmp(r->code, "captures-unrelated");
		if (!r->blocks_clean && quiet && !warn)
			continue;
		fprintf(stderr, "leakscope: %s: %s\n",
			warn ? "WARNING"
			: g->status == AN_LEAKS ? (r->blocks_clean ? "INCOMPLETE" : "NOTE")
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
	/* what was named (a folder too) and every capture read from it */
	const char **in = xcalloc((size_t)(argc - optind) + (size_t)o->nfiles + 1, sizeof(*in));
	int k = 0;
	for (int i = optind; i < argc; i++)
		in[k++] = argv[i];
	for (int i = 0; i < o->nfiles; i++)
		in[k++] = o->files[i];
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
	if (hrc < 0)
		return -1;
	/* summary.json and findings.csv, in the same staging folder */
	return out_json_reports(a, dir, err, errlen);
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
	int rc = EXIT_UNUSABLE;
	if (parse_common(argc, argv, &o, merging ? usage_merge : usage_analyze) < 0)
		return EXIT_UNUSABLE;
	struct rules *rules = NULL;
	struct analysis *a = NULL;
	struct custody *cust = NULL;
	if (o.an.partial_path && o.nfiles != 1) {
		fprintf(stderr, "leakscope: --partial takes exactly one capture\n");
		goto out;
	}
	if (o.an.partial_path && o.jobs > 1) {
		fprintf(stderr, "leakscope: --partial and -j do not go together\n");
		goto out;
	}
	if (o.an.partial_path && o.filter) {
		/* merge could not tell the reports what the filter left out */
		fprintf(stderr, "leakscope: --partial and -f do not go together\n");
		goto out;
	}
	if (merging) {
		/* every input must be a partial: a plain capture here is a mistake */
		o.an.partials = true;
		for (int i = 0; i < o.nfiles; i++) {
			char perr[512];
			struct cap_file *cf;
			if (!in_rereadable(o.files[i])) {
				fprintf(stderr, "leakscope: %s: merge reads partials from files, not from a pipe\n",
					o.files[i]);
				goto out;
			}
			if (cap_open(o.files[i], &cf, perr, sizeof(perr)) < 0) {
				fprintf(stderr, "leakscope: %s\n", perr);
				goto out;
			}
			bool is_partial = cap_claims_partial(cf);
			cap_close(cf);
			if (!is_partial) {
				fprintf(stderr, "leakscope: %s is not a partial written by analyze --partial\n", o.files[i]);
				goto out;
			}
		}
	}
	const char *dir = o.output ? o.output : "leakscope-report";
	/* before the long read: an output that would destroy an input, or a
	 * folder that is not ours to replace, is refused at once */
	if (o.an.partial_path) {
		if (check_output_file(&o, o.an.partial_path, argc, argv) < 0)
			goto out;
	} else {
		int n;
		const char **in = inputs_of(&o, argc, argv, &n);
		char derr[8400];
		int drc = od_check_dir(dir, in, n, derr, sizeof(derr));
		free(in);
		if (drc < 0) {
			fprintf(stderr, "leakscope: %s\n", derr);
			goto out;
		}
	}
	cust = custody_new(main_argc, main_argv);
	if (!o.an.partial_path)
		custody_captures_begin(cust, o.nfiles, o.files);
	a = run(&o, &rules, true, cust);
	if (!a)
		goto out;
	if (!o.an.partial_path) {
		/* the chain of custody (custody.h): after the read, so that a
		 * pipe's digest (taken while reading) is there */
		char caps[512];
		cap_lib_versions(caps, sizeof(caps));
		custody_versions(cust, LS_VERSION, caps, dpi_version(), rules_libxml_version());
		custody_captures_end(cust);
		a->custody = cust;
	}
	char err[8400];
	if (o.an.partial_path) {
		/* a partial: the result is the file; verdicts come at merge time */
		if (a->partial_failed) {
			fprintf(stderr,
				"leakscope: %s: could not write the partial (a write error, or a packet timestamp "
				"before 1970 or after 2554, which a partial cannot hold)\n",
				o.an.partial_path);
			goto out;
		}
		if (!o.quiet)
			printf("partial written to %s\n", o.an.partial_path);
		rc = EXIT_CLEAN;
		goto out;
	}
	if (write_reports(a, dir, o.jobs, err, sizeof(err)) < 0) {
		fprintf(stderr, "leakscope: %s\n", err);
		goto out;
	}
	uint64_t leaks = a->integ.leaks;
	if (!o.quiet) {
		out_summary_table(a, stdout);
		printf("%s: %" PRIu64 " leak(s) in %" PRIu64 " packet(s); reports in %s/index.html (HTML) and %s/summary.xml (XML)\n",
		       an_status_banner(a->integ.status), leaks, a->packets, dir, dir);
	}
	say_status(a, o.quiet);
	rc = an_status_exit(a->integ.status);
out:
	free_analysis(a);
	custody_free(cust);
	rules_free(rules);
	free_files(&o);
	return rc;
}

static int cmd_events(int argc, char **argv)
{
	struct common_opts o = {0};
	if (parse_common(argc, argv, &o, usage_events) < 0)
		return EXIT_UNUSABLE;
	if (check_output_file(&o, o.output, argc, argv) < 0) {
		free_files(&o);
		return EXIT_UNUSABLE;
	}
	struct rules *rules = NULL;
	struct analysis *a = run(&o, &rules, false, NULL);
	free_files(&o);
	if (!a)
		return EXIT_UNUSABLE;
	FILE *out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		fprintf(stderr, "leakscope: %s: cannot write: %s\n", o.output, strerror(errno));
		free_analysis(a);
		rules_free(rules);
		return EXIT_UNUSABLE;
	}
	errno = 0;
	int rc = o.json ? out_events_json(a, out, rules != NULL) : out_events_tsv(a, out, rules != NULL);
	int e = errno;
	if (fflush(out) != 0 || ferror(out))
		rc = -1, e = errno;
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = -1, e = errno;
	/* without a description nothing is judged: the listing is the result */
	int status = rules ? an_status_exit(a->integ.status) : EXIT_CLEAN;
	if (rules)
		say_status(a, o.quiet);
	free_analysis(a);
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
	if (check_output_file(&o, o.output, argc, argv) < 0) {
		free_files(&o);
		return EXIT_UNUSABLE;
	}
	struct analysis *a = read_all(&o.an, NULL, o.nfiles, o.files, false, o.read_jobs);
	free_files(&o);
	if (!a)
		return EXIT_UNUSABLE;
	struct sbuf xml = {0};
	size_t n = an_suggest_xml(a, &xml);
	an_free(a);
	if (!n) {
		/* nothing to describe: no file (an empty <tunnels> is no valid
		 * description), exit 1 */
		fprintf(stderr, "leakscope: no tunnel carrier recognised%s%s%s\n", o.output ? "; nothing written to " : "",
			o.output ? o.output : "", o.output ? "" : " (the skeleton below is no valid description)");
		if (!o.output)
			fputs(xml.s, stdout);
		sb_free(&xml);
		return EXIT_LEAKS;
	}
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
	return EXIT_CLEAN;
}

static int cmd_check_rules(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage_check(stdout);
		return EXIT_CLEAN;
	}
	if (argc != 2) {
		fprintf(stderr, "leakscope: check-rules takes one file\n");
		usage_hint("check-rules ");
		return EXIT_UNUSABLE;
	}
	struct rules *r;
	char err[2048];
	struct sbuf xml = {0};
	if (rules_load_any(argv[1], &r, &xml, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		sb_free(&xml);
		return EXIT_UNUSABLE;
	}
	if (xml.len) {
		/* a foreign format: show what it was translated to */
		printf("%s: translated into this tunnel description:\n", argv[1]);
		fputs(xml.s, stdout);
	}
	sb_free(&xml);
	printf("%s: valid.\n", argv[1]);
	rules_describe(r, stdout);
	char warn[16][RULES_WARNING_MAX];
	size_t nw = rules_endpoint_warnings(r, warn, 16);
	for (size_t i = 0; i < nw; i++)
		fprintf(stderr, "%s: warning: %s\n", argv[1], warn[i]);
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

static void print_version(void)
{
	char caps[512];
	cap_lib_versions(caps, sizeof(caps));
	printf("leakscope %s\n%s; nDPI %s; libxml2 %s\n", LS_VERSION, caps, dpi_version(), rules_libxml_version());
}

int main(int argc, char **argv)
{
	/* a copy of the pointers: parse_common renames a command's argv[0]
	 * for getopt's messages */
	main_argc = argc;
	main_argv = xcalloc((size_t)argc + 1, sizeof(*main_argv));
	memcpy(main_argv, argv, (size_t)argc * sizeof(*argv));
	atexit(check_stdout);
	/* Reports never carry wall-clock time, but times printed from the
	 * capture are UTC whatever the caller's TZ. */
	setenv("TZ", "UTC", 1);
	if (argc < 2) {
		fprintf(stderr, "leakscope: no command given\n");
		usage_hint(NULL);
		return EXIT_UNUSABLE;
	}
	const char *cmd = argv[1];
	static const struct {
		const char *name, *hint;
		int (*run)(int, char **);
	} cmds[] = {
		{"events", "events ", cmd_events},
		{"check-rules", "check-rules ", cmd_check_rules},
		{"suggest-tunnel", "suggest-tunnel ", cmd_suggest},
		{"audit", "audit ", cmd_audit},
		{NULL, NULL, NULL},
	};
	int rc = -1;
	if (!strcmp(cmd, "analyze") || !strcmp(cmd, "merge")) {
		cur_cmd = cmd[0] == 'a' ? "analyze " : "merge ";
		rc = cmd_analyze(argc - 1, argv + 1, cmd[0] == 'm');
	}
	for (size_t i = 0; rc < 0 && cmds[i].name; i++) {
		if (!strcmp(cmd, cmds[i].name)) {
			cur_cmd = cmds[i].hint;
			rc = cmds[i].run(argc - 1, argv + 1);
		}
	}
	if (rc >= 0) {
		cap_set_filter(NULL);
		rules_cleanup();
		return rc;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage_main(stdout);
		return EXIT_CLEAN;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		print_version();
		return EXIT_CLEAN;
	}
	fprintf(stderr, "leakscope: unknown command '%s'\n", cmd);
	usage_hint(NULL);
	return EXIT_UNUSABLE;
}
