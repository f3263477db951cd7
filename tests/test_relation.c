/* test_relation.c - captures from different times given together are reported (warning, reason captures-unrelated, hosts by capture); custody digests end to end. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *ls(void)
{
	const char *p = getenv("LEAKSCOPE");
	cr_assert_not_null(p, "LEAKSCOPE is not set (make test sets it)");
	return p;
}

static const char *top(void)
{
	const char *t = getenv("LS_TOP");
	return t ? t : ".";
}

static char dir[64];
static char err[16384];

/* Runs a shell fragment ($D: a fresh folder, $L: leakscope, from the
 * checkout's top); returns the exit status, stderr in err. */
static int sh(const char *args)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/ls-rel-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "cd '%s' && D='%s' && L='%s' && { %s ; } 2>'%s/err'", top(), dir, ls(), args, dir);
	int st = system(cmd);
	cr_assert(WIFEXITED(st), "%s: did not exit", cmd);
	char p[128];
	snprintf(p, sizeof(p), "%s/err", dir);
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(err, 1, sizeof(err) - 1, f) : 0;
	err[n] = 0;
	if (f)
		fclose(f);
	return WEXITSTATUS(st);
}

static char *slurp(const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	cr_assert_not_null(f, "%s missing", p);
	static char buf[4 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	dir[0] = 0;
}

/* A copy of a little-endian microsecond pcap with every timestamp moved
 * by shift seconds (written by hand: no editcap needed). */
static void shifted_copy(const char *src, const char *dst, int64_t shift)
{
	FILE *in = fopen(src, "rb");
	cr_assert_not_null(in, "%s", src);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	cr_assert_geq(n, 24);
	cr_assert(buf[0] == 0xd4 && buf[1] == 0xc3 && buf[2] == 0xb2 && buf[3] == 0xa1, "%s: not a LE pcap", src);
	size_t pos = 24;
	while (pos + 16 <= n) {
		uint32_t ts = (uint32_t)buf[pos] | (uint32_t)buf[pos + 1] << 8 | (uint32_t)buf[pos + 2] << 16 |
			      (uint32_t)buf[pos + 3] << 24;
		uint32_t incl = (uint32_t)buf[pos + 8] | (uint32_t)buf[pos + 9] << 8 | (uint32_t)buf[pos + 10] << 16 |
				(uint32_t)buf[pos + 11] << 24;
		ts = (uint32_t)((int64_t)ts + shift);
		for (int i = 0; i < 4; i++)
			buf[pos + (size_t)i] = (uint8_t)(ts >> (8 * i));
		pos += 16 + incl;
	}
	cr_assert_eq(pos, n, "%s: records do not end at the end of the file", src);
	FILE *out = fopen(dst, "wb");
	cr_assert_not_null(out);
	cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(out);
}

Test(relation, captures_years_apart_warned_and_grouped)
{
	sh("true");
	char src[4096], dst[128];
	snprintf(src, sizeof(src), "%s/samples/wg-killswitch/phys.pcap", top());
	snprintf(dst, sizeof(dst), "%s/old.pcap", dir);
	shifted_copy(src, dst, -5 * 365 * 86400LL);
	int rc = sh("\"$L\" analyze -q --tunnel samples/wg-killswitch/tunnel.xml -o \"$D/r\" "
		    "samples/wg-killswitch/any.pcap \"$D/old.pcap\"");
	cr_expect(rc == 1 || rc == 0 || rc == 4, "exit %d: %s", rc, err);
	cr_expect_not_null(strstr(err, "leakscope: WARNING: 2 captures from 2 different times"), "%s", err);
	char *x = slurp("r/summary.xml");
	cr_expect_not_null(strstr(x, "<reason code=\"captures-unrelated\" blocks-clean=\"false\">"));
	cr_expect_not_null(strstr(x, "[1] any.pcap 2026-11-27..2026-11-27"), "%s", x);
	cr_expect_not_null(strstr(x, "[2] old.pcap 2021-11-28..2021-11-28"));
	char *j = slurp("r/summary.json");
	cr_expect_not_null(strstr(j, "\"code\":\"captures-unrelated\""));
	char *h = slurp("r/index.html");
	cr_expect_not_null(strstr(h, "<h2>Hosts by capture</h2>"));
	cr_expect_not_null(strstr(h, "Captures from 2 different times were analysed as one investigation"));
	cleanup();
}

Test(relation, captures_of_one_time_not_warned)
{
	int rc = sh("\"$L\" analyze -q --tunnel samples/wg-killswitch/tunnel.xml -o \"$D/r\" "
		    "samples/wg-killswitch/any.pcap samples/wg-killswitch/phys.pcap");
	cr_expect(rc == 1, "exit %d: %s", rc, err);
	cr_expect_null(strstr(err, "WARNING"), "%s", err);
	cr_expect_null(strstr(slurp("r/summary.xml"), "captures-unrelated"));
	/* grouped all the same: one time group, the host in both */
	char *h = slurp("r/index.html");
	cr_expect_not_null(strstr(h, "<h2>Hosts by capture</h2>"));
	cr_expect_null(strstr(h, "different times"));
	cleanup();
}

/* The digests in summary.xml are sha256sum's, for a file (second pass),
 * standard input and a pipe (while reading), and the description. */
Test(relation, custody_digests_are_sha256sums)
{
	int rc = sh("sha256sum samples/wg-killswitch/any.pcap samples/wg-killswitch/tunnel.xml >\"$D/sums\" && "
		    "\"$L\" analyze -q --tunnel samples/wg-killswitch/tunnel.xml -o \"$D/a\" samples/wg-killswitch/any.pcap; "
		    "\"$L\" analyze -q --tunnel samples/wg-killswitch/tunnel.xml -o \"$D/b\" - <samples/wg-killswitch/any.pcap; "
		    "cat samples/wg-killswitch/any.pcap | \"$L\" analyze -q --tunnel samples/wg-killswitch/tunnel.xml -o \"$D/c\" -; "
		    "true");
	cr_assert_eq(rc, 0, "%s", err);
	char sums[2][65];
	char *s = slurp("sums");
	cr_assert_eq(sscanf(s, "%64s %*s %64s", sums[0], sums[1]), 2, "sha256sum: %s", s);
	const char *runs[3] = {"a/summary.xml", "b/summary.xml", "c/summary.xml"};
	const char *how[3] = {"second pass", "while reading", "while reading"};
	for (int i = 0; i < 3; i++) {
		char want[256];
		char *x = slurp(runs[i]);
		snprintf(want, sizeof(want), "size=\"5302\" sha256=\"%s\" hashed=\"%s\"", sums[0], how[i]);
		cr_expect_not_null(strstr(x, want), "%s: no %s", runs[i], want);
		snprintf(want, sizeof(want), "size=\"429\" sha256=\"%s\"", sums[1]);
		cr_expect_not_null(strstr(x, want), "%s: no %s", runs[i], want);
		cr_expect_not_null(strstr(x, "<arg>analyze</arg>"), "%s", runs[i]);
	}
	cleanup();
}
