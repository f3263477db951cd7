/* replay.c - runs the fuzz targets over stored inputs (seeds, regressions) without libFuzzer: part of make test. */
/*
 * Usage: fuzz-replay [-t TARGET] PATH...
 *
 * Every fuzz_<name>.c is compiled with -DLLVMFuzzerTestOneInput=fuzz_<name>
 * and linked here, so one binary replays every target.  A PATH is a file
 * or a directory (its regular files, in name order; names starting with
 * '.' or "README" are skipped).  The target is the one given with -t, else
 * the name of the directory above the one holding the input, as in
 * tests/fuzz/<target>/seeds/<file>.  Each input is read into a heap block
 * of exactly its size, so AddressSanitizer sees a read past its end.
 * Exit status: 0 when every input ran; 1 on a usage or I/O error (a crash
 * or a broken promise aborts, as it would under libFuzzer).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_TARGET(name) int fuzz_##name(const uint8_t *data, size_t size);
FUZZ_TARGET(dns)
FUZZ_TARGET(tcp)
FUZZ_TARGET(tls)
FUZZ_TARGET(doh)
FUZZ_TARGET(capture)
FUZZ_TARGET(rules)
FUZZ_TARGET(campaign)
FUZZ_TARGET(import)
FUZZ_TARGET(dhcp)
FUZZ_TARGET(pipeline)

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	fuzz_fn fn;
} targets[] = {
	{"dns", fuzz_dns},
	{"tcp", fuzz_tcp},
	{"tls", fuzz_tls},
	{"doh", fuzz_doh},
	{"capture", fuzz_capture},
	{"rules", fuzz_rules},
	{"campaign", fuzz_campaign},
	{"import", fuzz_import},
	{"dhcp", fuzz_dhcp},
	{"pipeline", fuzz_pipeline},
	{NULL, NULL},
};

/* Inputs are small (libFuzzer's -max_len stays far below this). */
#define REPLAY_MAX_INPUT (16u << 20)

/*
 * The input being run, named when the run dies: AddressSanitizer and
 * UBSan call the death callback (a weak symbol: absent without them), a
 * plain build gets SIGSEGV or SIGABRT.  Only async-signal-safe calls here.
 */
static char current[4096];

void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void say_current(void)
{
	static const char pre[] = "fuzz-replay: the input was ";
	if (!current[0])
		return;
	if (write(2, pre, sizeof(pre) - 1) < 0 || write(2, current, strlen(current)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

static void on_signal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static fuzz_fn find_target(const char *name)
{
	for (size_t i = 0; targets[i].name; i++)
		if (strcmp(targets[i].name, name) == 0)
			return targets[i].fn;
	return NULL;
}

/* "tests/fuzz/dns/seeds" -> "dns": the second-to-last component of dir. */
static int target_of_dir(const char *dir, char *out, size_t outlen)
{
	size_t n = strlen(dir);
	while (n > 0 && dir[n - 1] == '/')
		n--;
	while (n > 0 && dir[n - 1] != '/')
		n--; /* drop "seeds" */
	while (n > 0 && dir[n - 1] == '/')
		n--;
	size_t end = n;
	while (n > 0 && dir[n - 1] != '/')
		n--;
	if (end == n || end - n >= outlen)
		return -1;
	memcpy(out, dir + n, end - n);
	out[end - n] = '\0';
	return 0;
}

static int run_file(fuzz_fn fn, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || st.st_size > (off_t)REPLAY_MAX_INPUT) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, f ? "too large" : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		fprintf(stderr, "fuzz-replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(current, sizeof(current), "%s", path);
	fn(buf, n);
	current[0] = '\0';
	free(buf);
	return 0;
}

static int skip_name(const char *name)
{
	return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

/* Runs every input under path; returns the count, or -1. */
static long run_path(const char *forced, const char *path)
{
	struct stat st;
	char name[64], file[4096];
	const char *tname = forced;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int is_dir = S_ISDIR(st.st_mode);
	if (!tname) {
		/* a directory names the target itself; a file, through its directory */
		char dir[4096];
		const char *slash = strrchr(path, '/');
		if (is_dir)
			snprintf(dir, sizeof(dir), "%s", path);
		else
			snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0, path);
		if (target_of_dir(dir, name, sizeof(name)) != 0) {
			fprintf(stderr, "fuzz-replay: %s: no target in the path; use -t\n", path);
			return -1;
		}
		tname = name;
	}
	fuzz_fn fn = find_target(tname);
	if (!fn) {
		fprintf(stderr, "fuzz-replay: %s: unknown target \"%s\"\n", path, tname);
		return -1;
	}
	if (!is_dir)
		return run_file(fn, path) == 0 ? 1 : -1;
	struct dirent **ents;
	int k = scandir(path, &ents, NULL, alphasort);
	if (k < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	long count = 0;
	for (int i = 0; i < k; i++) {
		if (count >= 0 && !skip_name(ents[i]->d_name)) {
			snprintf(file, sizeof(file), "%s/%s", path, ents[i]->d_name);
			if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
				count = run_file(fn, file) == 0 ? count + 1 : -1;
		}
		free(ents[i]);
	}
	free(ents);
	if (count >= 0)
		printf("fuzz-replay: %s: %ld inputs (%s)\n", path, count, tname);
	return count;
}

int main(int argc, char **argv)
{
	const char *forced = NULL;
	int i = 1, bad = 0;
	long total = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(say_current);
	signal(SIGSEGV, on_signal);
	signal(SIGABRT, on_signal);
	signal(SIGBUS, on_signal);
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		forced = argv[2];
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: fuzz-replay [-t TARGET] PATH...\n");
		return 1;
	}
	for (; i < argc; i++) {
		long n = run_path(forced, argv[i]);
		if (n < 0)
			bad = 1;
		else
			total += n;
	}
	printf("fuzz-replay: %ld inputs replayed%s\n", total, bad ? ", with errors" : "");
	return bad;
}
