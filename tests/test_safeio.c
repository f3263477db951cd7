/* test_safeio.c - outputs that cannot hurt: the leakscope binary against its own inputs, planted links, full disks. */
/*
 * Each test builds its situation in a fresh folder under $TMPDIR (or /tmp),
 * runs the leakscope binary ($LEAKSCOPE, else $LS_TOP/leakscope) as a child
 * and checks the exit status, the message on stderr and what is left on
 * disk.  A full disk is made without root: the child runs with a small
 * RLIMIT_FSIZE and SIGXFSZ ignored, so its writes past the limit fail with
 * EFBIG ("File too large"), as they would with ENOSPC on a full disk.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capbuild.h"

#define T0 1700000000

static const uint8_t HOST_MAC[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static uint8_t frame[CB_MAXPKT];

static char work[512]; /* this test's folder */

static void mkwork(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(work, sizeof(work), "%s/ls-safeio-%d-XXXXXX", t && *t ? t : "/tmp", (int)getpid());
	cr_assert_not_null(mkdtemp(work), "mkdtemp: %s", strerror(errno));
}

/* Each test's .fini: the folder goes, whether the test passed or not. */
static void rmwork(void)
{
	if (!work[0])
		return;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	cr_expect_eq(system(cmd), 0);
}

static const char *binary(void)
{
	static char b[1024];
	const char *l = getenv("LEAKSCOPE");
	if (l && *l)
		snprintf(b, sizeof(b), "%s", l);
	else
		snprintf(b, sizeof(b), "%s/leakscope", getenv("LS_TOP") ? getenv("LS_TOP") : ".");
	if (access(b, X_OK) != 0)
		cr_skip_test("no leakscope binary at %s (set LEAKSCOPE or LS_TOP)", b);
	return b;
}

/* A path in the test's folder (valid for the next 63 calls: each test
 * here asks for fewer). */
static const char *at(const char *name)
{
	static char p[64][1024];
	static int k;
	k = (k + 1) % 64;
	snprintf(p[k], sizeof(p[k]), "%s/%s", work, name);
	return p[k];
}

struct run_opt {
	const char *out;    /* stdout to this file (NULL: /dev/null) */
	long fsize;         /* RLIMIT_FSIZE in bytes (0: none) */
	const char *tmpdir; /* TMPDIR for the child (NULL: as ours) */
};

static char errtext[16384]; /* the child's stderr */

/* Runs leakscope with args (NULL-terminated); returns its exit status
 * (-1 when killed); its stderr is in errtext. */
static int run(const struct run_opt *o, ...)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)(uintptr_t)binary(); /* execv's argv is char *const[]: a copy would do the same */
	va_list ap;
	va_start(ap, o);
	const char *s;
	while ((s = va_arg(ap, const char *)) != NULL && n < 31)
		argv[n++] = (char *)(uintptr_t)s;
	va_end(ap);
	argv[n] = NULL;
	/* stderr through a pipe: a file would fall under the child's RLIMIT_FSIZE */
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fo = open(o && o->out ? o->out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fo < 0)
			_exit(127);
		dup2(fo, 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		if (o && o->fsize) {
			signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
			struct rlimit rl = {(rlim_t)o->fsize, (rlim_t)o->fsize};
			setrlimit(RLIMIT_FSIZE, &rl);
		}
		if (o && o->tmpdir)
			setenv("TMPDIR", o->tmpdir, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t got = 0;
	ssize_t r;
	while ((r = read(pfd[0], errtext + got, sizeof(errtext) - 1 - got)) > 0 || (r < 0 && errno == EINTR))
		got += r > 0 ? (size_t)r : 0;
	errtext[got] = '\0';
	close(pfd[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)len + 1);
	cr_assert_eq(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	b[len] = '\0';
	*n = (size_t)len;
	return b;
}

/* The host's DNS query for name to 192.168.1.1, an Ethernet frame. */
static size_t query_frame(uint16_t id, const char *name)
{
	uint8_t q[512];
	size_t n = cb_dns_query(q, sizeof(q), id, name, 1);
	cr_assert_gt(n, 0);
	n = cb_udp4(frame, HOST_MAC, GW_MAC, "192.168.1.10", "192.168.1.1", (uint16_t)(40000 + id % 1000), 53, q, n);
	cr_assert_gt(n, 0);
	return n;
}

/* A pcap of nq outside DNS queries, one every 10 ms. */
static void write_capture(const char *path, int nq)
{
	struct cb_pcap *w = cb_pcap_open(path, 1, 65535, 0);
	cr_assert_not_null(w);
	for (int i = 0; i < nq; i++) {
		char name[64];
		snprintf(name, sizeof(name), "n%d.example.com", i);
		size_t n = query_frame((uint16_t)i, name);
		cr_assert_eq(cb_pcap_write(w, T0 + i / 100, (uint32_t)(i % 100) * 10000000u, frame, (uint32_t)n,
					   (uint32_t)n),
			     0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
}

static bool has(const char *needle)
{
	return strstr(errtext, needle) != NULL;
}

static bool same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	bool same = x && y && na == nb && memcmp(x, y, na) == 0;
	free(x);
	free(y);
	return same;
}

static int count_glob(const char *pat)
{
	glob_t g;
	int n = glob(pat, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
	if (n)
		globfree(&g);
	return n;
}

/* ---------------------------------------------------------------------- */

/* A 1 MB capture and a symlink (and a hard link) to it: no output may be
 * either of them, and the capture is untouched afterwards. */
Test(safeio, an_output_that_is_an_input_is_refused, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap"), *copy = at("copy.pcap"), *sym = at("link.pcap"), *hard = at("hard.pcap");
	write_capture(cap, 11000);
	cr_assert_gt(cb_file_size(cap), 1000000);
	write_capture(copy, 11000);
	cr_assert_eq(symlink(cap, sym), 0);
	cr_assert_eq(link(cap, hard), 0);

	cr_expect_eq(run(NULL, "analyze", "-q", "--partial", sym, cap, NULL), 2, "%s", errtext);
	cr_expect(has("is the same file as the input") && has("refusing to write over an input"), "%s", errtext);
	cr_expect_eq(run(NULL, "analyze", "-q", "--partial", hard, cap, NULL), 2, "%s", errtext);
	cr_expect(has("is the same file as the input"), "%s", errtext);
	cr_expect_eq(run(NULL, "events", "-o", cap, sym, NULL), 2, "%s", errtext);
	cr_expect(has("is the same file as the input"), "%s", errtext);
	cr_expect_eq(run(NULL, "suggest-tunnel", "-o", sym, cap, NULL), 2, "%s", errtext);
	cr_expect(has("is the same file as the input"), "%s", errtext);

	/* the description is an input too */
	const char *desc = at("t.xml");
	const char *rules = "<tunnels xmlns=\"urn:leakscope:tunnel:1\"><tunnel name=\"t\" kind=\"wireguard\">"
			    "<endpoint address=\"203.0.113.5\" port=\"51820\" transport=\"udp\"/></tunnel></tunnels>\n";
	cr_assert_eq(cb_write_file(desc, rules, strlen(rules)), 0);
	cr_expect_eq(run(NULL, "events", "--tunnel", desc, "-o", desc, cap, NULL), 2, "%s", errtext);
	cr_expect(has("is the same file as the input"), "%s", errtext);

	/* a report folder holding an input (here the one the capture is in) */
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", work, cap, NULL), 2, "%s", errtext);
	cr_expect(has("holds the input"), "%s", errtext);

	cr_expect(same_bytes(cap, copy), "the capture changed");
	struct stat st;
	cr_expect_eq(lstat(sym, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "the symlink was replaced");
}

/* A second run replaces the folder as a whole: no stale host file, and a
 * planted symlink where a host page goes is never written through. */
Test(safeio, report_folder_is_replaced_whole_and_planted_links_are_not_followed, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap"), *dir = at("report"), *victim = at("victim");
	write_capture(cap, 20);
	cr_assert_eq(cb_write_file(victim, "victim\n", 7), 0);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", dir, cap, NULL), 3, "%s", errtext); /* no VPN in it: undecided */
	const char *page = at("report/hosts/02-00-00-00-00-0a.html");
	cr_assert_eq(access(page, F_OK), 0, "no host page %s", page);
	cr_assert_eq(unlink(page), 0);
	cr_assert_eq(symlink(victim, page), 0);
	cr_assert_eq(cb_write_file(at("report/hosts/stale.xml"), "<x/>", 4), 0);

	cr_expect_eq(run(NULL, "analyze", "-q", "-o", dir, cap, NULL), 3, "%s", errtext); /* no VPN in it: undecided */
	size_t n;
	char *v = slurp(victim, &n);
	cr_expect(v && n == 7 && !memcmp(v, "victim\n", 7), "the symlink's target was written: %s", v ? v : "(gone)");
	free(v);
	struct stat st;
	cr_expect_eq(lstat(page, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "the host page is not a new regular file");
	cr_expect_neq(access(at("report/hosts/stale.xml"), F_OK), 0, "an earlier run's host file survived");
	cr_expect_eq(count_glob(at(".report.*")), 0, "a staging folder was left behind");
	cr_expect_eq(access(at("report/summary.xml"), F_OK), 0);
	cr_expect_eq(access(at("report/index.html"), F_OK), 0);
}

/* Only an empty folder or an earlier report is replaced. */
Test(safeio, a_folder_that_is_not_a_report_is_not_replaced, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap");
	write_capture(cap, 5);
	cr_assert_eq(mkdir(at("mine"), 0755), 0);
	cr_assert_eq(cb_write_file(at("mine/notes.txt"), "mine\n", 5), 0);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("mine"), cap, NULL), 2, "%s", errtext);
	cr_expect(has("is not a leakscope report folder") && has("not replacing it"), "%s", errtext);
	cr_expect_eq(access(at("mine/notes.txt"), F_OK), 0);
	/* a summary.xml of someone else's is not ours */
	cr_assert_eq(cb_write_file(at("mine/summary.xml"), "<summary/>\n", 11), 0);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("mine"), cap, NULL), 2, "%s", errtext);
	cr_expect_eq(access(at("mine/notes.txt"), F_OK), 0);

	cr_assert_eq(symlink(at("mine"), at("ln")), 0);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("ln"), cap, NULL), 2, "%s", errtext);
	cr_expect(has("is a symbolic link"), "%s", errtext);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("mine/notes.txt"), cap, NULL), 2, "%s", errtext);
	cr_expect(has("is not a folder"), "%s", errtext);

	cr_assert_eq(mkdir(at("empty"), 0755), 0);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("empty"), cap, NULL), 3, "%s", errtext); /* no VPN in it: undecided */
	cr_expect_eq(access(at("empty/summary.xml"), F_OK), 0);
}

/* A full disk half way through the reports: exit 2 with the failing file
 * named, the earlier report byte for byte as it was, nothing half-written. */
Test(safeio, full_disk_leaves_the_earlier_report_intact, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap"), *big = at("big.pcap"), *dir = at("report");
	write_capture(cap, 5);
	write_capture(big, 3000);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", dir, cap, NULL), 3, "%s", errtext); /* no VPN in it: undecided */
	size_t n0;
	char *before = slurp(at("report/summary.xml"), &n0);
	cr_assert_not_null(before);
	/* the host page of 3,000 events is far over 64 KiB */
	struct run_opt o = {.fsize = 65536};
	cr_expect_eq(run(&o, "analyze", "-q", "-o", dir, big, NULL), 2, "%s", errtext);
	cr_expect(has("write failed: File too large") && has("was left as it was"), "%s", errtext);
	size_t n1;
	char *after = slurp(at("report/summary.xml"), &n1);
	cr_expect(after && n0 == n1 && !memcmp(before, after, n0), "the earlier summary.xml changed");
	free(before);
	free(after);
	cr_expect_eq(count_glob(at(".report.*")), 0, "a half-written staging folder was left behind");
	cr_expect_eq(count_glob(at("report/hosts/*")), 2, "the earlier host files are not all there: %d",
		     count_glob(at("report/hosts/*")));

	/* suggest-tunnel -o to a file on a full disk (a capture with a carrier:
	 * without one nothing is written at all) */
	struct run_opt tiny = {.fsize = 16};
	char wg[1024];
	snprintf(wg, sizeof(wg), "%s/samples/wg-clean/phys.pcap", getenv("LS_TOP") ? getenv("LS_TOP") : ".");
	cr_expect_eq(run(&tiny, "suggest-tunnel", "-o", at("s.xml"), wg, NULL), 2, "%s", errtext);
	cr_expect(has("s.xml: write error: File too large"), "%s", errtext);
}

/* /dev/full as the output or as stdout: exit 2 and one message. */
Test(safeio, full_stdout_and_dev_full_fail_with_a_message, .fini = rmwork)
{
	if (access("/dev/full", W_OK) != 0)
		cr_skip_test("no /dev/full");
	mkwork();
	const char *cap = at("cap.pcap");
	write_capture(cap, 5);
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char desc[1024];
	snprintf(desc, sizeof(desc), "%s/samples/wg-killswitch/tunnel.xml", top);
	struct run_opt full = {.out = "/dev/full"};

	char wg[1024];
	snprintf(wg, sizeof(wg), "%s/samples/wg-clean/phys.pcap", top);
	cr_expect_eq(run(NULL, "suggest-tunnel", "-o", "/dev/full", wg, NULL), 2, "%s", errtext);
	cr_expect(has("/dev/full: write error: No space left on device"), "%s", errtext);
	cr_expect_eq(run(&full, "suggest-tunnel", wg, NULL), 2, "%s", errtext);
	cr_expect(has("standard output: write error: No space left on device"), "%s", errtext);
	cr_expect_eq(lines(errtext), 1, "one message, not two: %s", errtext);
	cr_expect_eq(run(&full, "events", cap, NULL), 2, "%s", errtext);
	cr_expect(has("write error"), "%s", errtext);
	cr_expect_eq(lines(errtext), 1, "one message, not two: %s", errtext);
	if (access(desc, R_OK) == 0) {
		cr_expect_eq(run(&full, "check-rules", desc, NULL), 2, "%s", errtext);
		cr_expect(has("write error on standard output"), "%s", errtext);
	}
	cr_expect_eq(run(&full, "analyze", "-o", at("r"), cap, NULL), 2, "%s", errtext);
	cr_expect(has("write error on standard output"), "%s", errtext);
}

/* A path that does not fit is an error, never cut. */
Test(safeio, long_output_paths_are_errors, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap");
	write_capture(cap, 5);
	char longdir[4200];
	int k = snprintf(longdir, sizeof(longdir), "%s/", work);
	while (k < 4000)
		k += snprintf(longdir + k, sizeof(longdir) - (size_t)k, "d/");
	snprintf(longdir + k, sizeof(longdir) - (size_t)k, "report");
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", longdir, cap, NULL), 2, "%s", errtext);
	cr_expect(has("report folder path too long"), "%s", errtext);
	char longname[300];
	memset(longname, 'x', 250);
	longname[250] = '\0';
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at(longname), cap, NULL), 2, "%s", errtext);
	cr_expect(has("folder name is too long"), "%s", errtext);
}

/* No usable TMPDIR: every event is kept (the same rows), with a warning
 * that gives the figures. */
Test(safeio, unusable_tmpdir_is_a_warning_with_the_figures, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap");
	write_capture(cap, 40000); /* past the 33,024 events kept in memory */
	struct run_opt o = {.out = at("a.tsv"), .tmpdir = at("no-such-dir")};
	cr_expect_eq(run(&o, "events", cap, NULL), 0, "%s", errtext);
	cr_expect(has("warning: no temporary event file can be made in") && has("no-such-dir") &&
		      has("keeping every event in memory") && has("33024 events"),
		  "%s", errtext);
	cr_expect_eq(lines(errtext), 1, "%s", errtext);
	struct run_opt p = {.out = at("b.tsv")};
	cr_expect_eq(run(&p, "events", cap, NULL), 0, "%s", errtext);
	cr_expect_eq(lines(errtext), 0, "%s", errtext);
	cr_expect(same_bytes(at("a.tsv"), at("b.tsv")), "rows differ with the events in memory");
}

/* A pcapng whose section comment claims it is a partial of another file:
 * outside merge it is read as itself; merge names the claimed file, with
 * its control bytes escaped. */
Test(safeio, a_partial_claim_is_honoured_only_by_merge_and_sanitised, .fini = rmwork)
{
	mkwork();
	const char *png = at("claims.pcapng");
	struct cb_png *w = cb_png_open(png, 0);
	cr_assert_not_null(w);
	long shb0 = cb_png_tell(w); /* the plain SHB cb_png_open wrote, replaced below */
	/* the SHB that carries the claim (opt_comment) */
	const char claim[] = "leakscope-partial 1\nformat=pcapng\npath=/evil\x1b[31m\tpath\\x";
	uint8_t shb[256];
	size_t k = 0;
	uint32_t magic = 0x1A2B3C4D;
	uint16_t maj = 1, min = 0, code = 1, clen = (uint16_t)(sizeof(claim) - 1), end0 = 0;
	uint64_t seclen = UINT64_MAX;
	memcpy(shb + k, &magic, 4), k += 4;
	memcpy(shb + k, &maj, 2), k += 2;
	memcpy(shb + k, &min, 2), k += 2;
	memcpy(shb + k, &seclen, 8), k += 8;
	memcpy(shb + k, &code, 2), k += 2;
	memcpy(shb + k, &clen, 2), k += 2;
	memcpy(shb + k, claim, clen), k += clen;
	while (k % 4)
		shb[k++] = 0;
	memcpy(shb + k, &end0, 2), k += 2;
	memcpy(shb + k, &end0, 2), k += 2;
	cr_assert_eq(cb_png_block(w, 0x0A0D0D0A, shb, k), 0);
	cr_assert_geq(cb_png_idb(w, 1, 65535, NULL), 0);
	size_t n = query_frame(1, "leak.example.com");
	cr_assert_eq(cb_png_epb(w, 0, T0, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	cr_assert_eq(cb_png_close(w), 0);
	/* drop the plain first section (no interface, no packet): the claim
	 * is then the file's first block, as in a real partial */
	size_t fn;
	char *all = slurp(png, &fn);
	cr_assert(all && fn > (size_t)shb0);
	cr_assert_eq(cb_write_file(png, all + shb0, fn - (size_t)shb0), 0);
	free(all);

	struct run_opt o = {.out = at("e.tsv")};
	cr_expect_eq(run(&o, "events", png, NULL), 0, "%s", errtext);
	size_t tn;
	char *tsv = slurp(at("e.tsv"), &tn);
	cr_assert_not_null(tsv);
	cr_expect(strstr(tsv, "leak.example.com"), "%s", tsv);
	cr_expect(strstr(tsv, "claims.pcapng"), "the file's own name is not in the table: %s", tsv);
	cr_expect_null(strstr(tsv, "evil"), "the claimed path reached the table outside merge: %s", tsv);
	free(tsv);

	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("r1"), png, NULL), 3, "%s", errtext); /* no VPN in it: undecided */
	char *sum = slurp(at("r1/summary.xml"), &tn);
	cr_assert_not_null(sum);
	cr_expect_null(strstr(sum, "evil"), "analyze took the claim");
	free(sum);

	cr_expect_eq(run(NULL, "merge", "-q", "-o", at("r2"), png, NULL), 3, "%s", errtext); /* no VPN in it: undecided */
	sum = slurp(at("r2/summary.xml"), &tn);
	cr_assert_not_null(sum);
	cr_expect(strstr(sum, "/evil\\027[31m\\009path\\092x"), "the claimed path is not escaped: %s", sum);
	free(sum);
}

/* Options: one clear message each, exit 2. */
Test(safeio, bad_numbers_get_one_message, .fini = rmwork)
{
	mkwork();
	const char *cap = at("cap.pcap");
	write_capture(cap, 5);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("r"), "-j", "abc", cap, NULL), 2);
	cr_expect(has("-j takes a whole number from 1 to 64, not 'abc'"), "%s", errtext);
	cr_expect_eq(lines(errtext), 2, "the message and the one usage hint: %s", errtext);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("r"), "-j", "0", cap, NULL), 2);
	cr_expect(has("-j takes a whole number from 1 to 64, not '0'"), "%s", errtext);
	cr_expect_eq(lines(errtext), 2, "%s", errtext);
	cr_expect_eq(run(NULL, "events", "-j", "", cap, NULL), 2);
	cr_expect_eq(lines(errtext), 2, "%s", errtext);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("r"), "--max-events", "0", cap, NULL), 2);
	cr_expect(has("--max-events takes a whole number from 1 to 1000000000, not '0'"), "%s", errtext);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("r"), "--gap", "99999999999999999999999", cap, NULL), 2);
	cr_expect(has("--gap takes seconds from 0.001 to 86400"), "%s", errtext);
	cr_expect_eq(run(NULL, "analyze", "-q", "-o", at("r"), "--gap", " 5", cap, NULL), 2);
}
