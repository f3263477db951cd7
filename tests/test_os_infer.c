/* test_os_infer.c - operating system inference from a host's own traffic, and the remedies per system.
 *
 * Where the evidence comes from:
 *   - win-pcapplusplus-rawip: ../shared/corpus/pcapplusplus/Pcap++Test/PcapExamples/raw_ip.pcap
 *     (seladb/PcapPlusPlus test capture): the host's DHCP request, its TTL,
 *     its questions.  A Windows host (its DHCP client says MSFT 5.0).
 *   - win-pcapplusplus-sll and ubuntu-pcapplusplus-sll: two hosts of
 *     .../PcapExamples/sll.pcap: 10.0.0.5 (DHCP, NetBIOS-NS WPAD, TTL 128)
 *     and 10.0.0.8 (asks daisy.ubuntu.com, Ubuntu's crash-report server;
 *     TTL 64).
 *   - android10-ndpi: ../shared/corpus/ndpi/default/pcap/googledns_android10.pcap
 *     (ntop/nDPI; an Android 10 phone using Private DNS): only TTL 64 and
 *     DoT to dns.google: too thin, must be unknown.
 *   - win-zeek-multi: ../shared/corpus/zeek/Traces/pcapng-multi-interface.pcapng
 *     (zeek/zeek; a Windows and a docker interface): the Windows side only
 *     asks google.com with TTL 128: too thin, must be unknown.
 * Values were read with tshark (-e dhcp.option.vendor_class_id -e
 * dhcp.option.request_list_item -e ip.ttl -e dns.qry.name); the test
 * corpus_vectors re-reads them when tshark and the corpus are there.
 *   - The Android, macOS and Linux dhclient DHCP shapes are not in any
 *     capture here: they are built from the clients' documented requests
 *     (Android DhcpClient's "android-dhcp-<release>" vendor class and its
 *     request list; Apple's 1,121,3,6,15,...,119,252; Debian's
 *     dhclient.conf "request" line) and say so.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "os-infer.h"

static const uint8_t prl_win_rawip[] = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 121, 249, 252};
static const uint8_t prl_win_sll[] = {1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43, 252};

static void guess(const struct os_evidence *ev, struct os_guess *g)
{
	memset(g, 0x55, sizeof(*g)); /* no field may be left as it was */
	os_infer(ev, g);
	cr_assert_not_null(g->confidence);
	cr_assert(memchr(g->evidence, '\0', sizeof(g->evidence)) != NULL);
}

Test(os_infer, windows_from_real_captures)
{
	static const char *const names[] = {"www.ynet.co.il", "e12476.b.akamaiedge.net", "crl.microsoft.com"};
	struct os_evidence ev = {.dhcp_prl = prl_win_rawip, .dhcp_prl_len = sizeof(prl_win_rawip),
				 .dhcp_vendor = "MSFT 5.0", .names = names, .n_names = 3, .ttl = 128};
	struct os_guess g;
	guess(&ev, &g);
	cr_expect_eq(g.os, OS_WINDOWS, "%s", g.evidence);
	cr_expect_str_eq(g.confidence, "strong");
	cr_expect(strstr(g.evidence, "DHCP vendor class 'MSFT 5.0': Windows (+3)"), "%s", g.evidence);
	cr_expect(strstr(g.evidence, "DHCP parameter request list 1,3,6,15,31,33,43,44,46,47,121,249,252: Windows (+2)"),
		  "%s", g.evidence);

	struct os_evidence ev2 = {.dhcp_prl = prl_win_sll, .dhcp_prl_len = sizeof(prl_win_sll),
				  .dhcp_vendor = "MSFT 5.0", .nbns = true, .ttl = 128};
	guess(&ev2, &g);
	cr_expect_eq(g.os, OS_WINDOWS, "%s", g.evidence);
	cr_expect_eq(g.score, 7);
	/* the request list alone (a host whose vendor class was not captured) */
	struct os_evidence ev3 = {.dhcp_prl = prl_win_sll, .dhcp_prl_len = sizeof(prl_win_sll)};
	guess(&ev3, &g);
	cr_expect_eq(g.os, OS_WINDOWS, "%s", g.evidence);
	cr_expect_str_eq(g.confidence, "likely");
}

Test(os_infer, ubuntu_from_real_capture)
{
	static const char *const names[] = {"daisy.ubuntu.com", "www.ynet.co.il", "DAISY.UBUNTU.COM."};
	struct os_evidence ev = {.names = names, .n_names = 3, .ttl = 64};
	struct os_guess g;
	guess(&ev, &g);
	cr_expect_eq(g.os, OS_LINUX, "%s", g.evidence);
	cr_expect_str_eq(g.confidence, "likely");
	cr_expect_eq(g.score, 3, "a name asked three times counts once: %s", g.evidence);
}

/* Known OS, thin evidence: unknown, never a guess. */
Test(os_infer, thin_evidence_is_unknown)
{
	struct os_guess g;
	static const char *const android[] = {"dns.google"};
	struct os_evidence ev = {.names = android, .n_names = 1, .ttl = 64};
	guess(&ev, &g);
	cr_expect_eq(g.os, OS_UNKNOWN, "%s", g.evidence);
	cr_expect_str_eq(g.confidence, "unknown");
	cr_expect(strstr(g.evidence, "TTL 64"), "%s", g.evidence);

	static const char *const win[] = {"google.com"};
	struct os_evidence ev2 = {.names = win, .n_names = 1, .ttl = 128};
	guess(&ev2, &g);
	cr_expect_eq(g.os, OS_UNKNOWN, "a TTL of 128 alone named %s", os_name(g.os));

	struct os_evidence none = {0};
	guess(&none, &g);
	cr_expect_eq(g.os, OS_UNKNOWN);
	cr_expect(strstr(g.evidence, "no DHCP request"), "%s", g.evidence);

	/* one update server only */
	static const char *const upd[] = {"ctldl.windowsupdate.com"};
	struct os_evidence ev3 = {.names = upd, .n_names = 1};
	guess(&ev3, &g);
	cr_expect_eq(g.os, OS_UNKNOWN);
	/* LLMNR alone counts nothing (systemd-resolved asks it too) */
	struct os_evidence ev4 = {.llmnr = true};
	guess(&ev4, &g);
	cr_expect_eq(g.os, OS_UNKNOWN);
	cr_expect_eq(g.score, 0);
}

/* Evidence that contradicts itself: unknown. */
Test(os_infer, contradiction_is_unknown)
{
	static const char *const names[] = {"captive.apple.com", "mesu.apple.com"};
	struct os_evidence ev = {.dhcp_vendor = "MSFT 5.0", .names = names, .n_names = 2};
	struct os_guess g;
	guess(&ev, &g);
	cr_expect_eq(g.os, OS_UNKNOWN, "%s", g.evidence);
	cr_expect(strstr(g.evidence, "Windows (+3)") && strstr(g.evidence, "macOS (+2)"), "%s", g.evidence);
}

/* Shapes from the clients' documentation, not from a capture (see the top). */
Test(os_infer, documented_shapes)
{
	struct os_guess g;
	static const uint8_t android_prl[] = {1, 3, 6, 15, 26, 28, 51, 58, 59, 43, 114, 108};
	static const char *const an[] = {"connectivitycheck.gstatic.com", "www.google.com"};
	struct os_evidence a = {.dhcp_prl = android_prl, .dhcp_prl_len = sizeof(android_prl),
				.dhcp_vendor = "android-dhcp-13", .names = an, .n_names = 2, .ttl = 64};
	guess(&a, &g);
	cr_expect_eq(g.os, OS_ANDROID, "%s", g.evidence);
	cr_expect_str_eq(g.confidence, "strong");

	static const uint8_t apple_prl[] = {1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46};
	static const char *const ap[] = {"captive.apple.com"};
	struct os_evidence m = {.dhcp_prl = apple_prl, .dhcp_prl_len = sizeof(apple_prl), .names = ap, .n_names = 1,
				.ttl = 64};
	guess(&m, &g);
	cr_expect_eq(g.os, OS_MACOS, "%s", g.evidence);
	cr_expect(strstr(g.evidence, "macOS or iOS"), "%s", g.evidence);

	static const uint8_t dhclient_prl[] = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42};
	static const char *const li[] = {"nmcheck.gnome.org"};
	struct os_evidence l = {.dhcp_prl = dhclient_prl, .dhcp_prl_len = sizeof(dhclient_prl), .names = li,
				.n_names = 1};
	guess(&l, &g);
	cr_expect_eq(g.os, OS_LINUX, "%s", g.evidence);
}

/* Capture bytes in the evidence stay printable and bounded. */
Test(os_infer, hostile_vendor_class)
{
	char vendor[4096];
	memset(vendor, 'A', sizeof(vendor) - 1);
	vendor[sizeof(vendor) - 1] = '\0';
	memcpy(vendor, "MSFT \x1b[31m<script>'\\\n", 21);
	uint8_t prl[300];
	for (size_t i = 0; i < sizeof(prl); i++)
		prl[i] = (uint8_t)i;
	struct os_evidence ev = {.dhcp_prl = prl, .dhcp_prl_len = sizeof(prl), .dhcp_vendor = vendor};
	struct os_guess g;
	guess(&ev, &g);
	for (const char *p = g.evidence; *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "control byte in the evidence: %s", g.evidence);
	cr_expect(strstr(g.evidence, "MSFT \\x1b[31m<script>\\x27\\x5c\\x0a"), "%s", g.evidence);
	cr_expect(strstr(g.evidence, ",...: "), "a long request list is cut: %s", g.evidence);
}

Test(os_infer, remedies)
{
	cr_expect(strstr(os_remedy(OS_WINDOWS, "parallel-multihomed"), "Turn off smart multi-homed name resolution"));
	cr_expect(strstr(os_remedy(OS_WINDOWS, "split-tunnel"), "NRPT"));
	cr_expect(strstr(os_remedy(OS_WINDOWS, "ipv6-outside"), "Teredo"));
	cr_expect(strstr(os_remedy(OS_LINUX, "split-tunnel"), "DNSDefaultRoute"));
	cr_expect(strstr(os_remedy(OS_LINUX, "split-tunnel"), "ipv4.dns-priority"));
	cr_expect(strstr(os_remedy(OS_LINUX, "split-tunnel"), "~."));
	cr_expect(strstr(os_remedy(OS_MACOS, "split-tunnel"), "matchDomains"));
	cr_expect(strstr(os_remedy(OS_ANDROID, "kill-switch"), "Block connections without VPN"));
	cr_expect(strstr(os_remedy(OS_ANDROID, "encrypted-outside"), "Private DNS"));
	cr_expect_null(os_remedy(OS_UNKNOWN, "split-tunnel"), "unknown OS: the generic remedy");
	cr_expect_null(os_remedy(OS_WINDOWS, "no-such-category"));
	cr_expect_null(os_remedy(OS_WINDOWS, NULL));
	cr_expect_str_eq(os_name(OS_UNKNOWN), "unknown");
	cr_expect_str_eq(os_name(OS_NKINDS), "unknown");
}

/* The real vectors above, read again from the corpus with tshark. */
static char *tshark_fields(const char *file, const char *filter, const char *fields)
{
	static char out[4096];
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -Y '%s' -T fields %s 2>/dev/null | sort -u | head -3", file,
		 filter, fields);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

Test(os_infer, corpus_vectors)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char raw[4096], sll[4096];
	struct stat st;
	snprintf(raw, sizeof(raw), "%s/../shared/corpus/pcapplusplus/Pcap++Test/PcapExamples/raw_ip.pcap", top);
	snprintf(sll, sizeof(sll), "%s/../shared/corpus/pcapplusplus/Pcap++Test/PcapExamples/sll.pcap", top);
	if (stat(raw, &st) != 0 || stat(sll, &st) != 0)
		cr_skip_test("../shared/corpus is absent: the vectors' source cannot be re-read");
	if (system("tshark -v >/dev/null 2>&1") != 0)
		cr_skip_test("tshark is not installed");
	const char *f = "-e dhcp.option.vendor_class_id -e dhcp.option.request_list_item -e ip.ttl";
	cr_expect_str_eq(tshark_fields(raw, "dhcp", f), "MSFT 5.0\t1,3,6,15,31,33,43,44,46,47,121,249,252\t128\n");
	cr_expect_str_eq(tshark_fields(sll, "dhcp", f), "MSFT 5.0\t1,15,3,6,44,46,47,31,33,121,249,43,252\t128\n");
	cr_expect_str_eq(tshark_fields(sll, "nbns && ip.src==10.0.0.5", "-e nbns.name -e ip.ttl"), "WPAD<00>\t128\n");
	cr_expect_str_eq(tshark_fields(sll, "dns.flags.response==0 && ip.src==10.0.0.8 && dns.qry.name==daisy.ubuntu.com",
				       "-e dns.qry.name -e ip.ttl"),
			 "daisy.ubuntu.com\t64\n");
}

/* The lab samples are Linux network namespaces (samples/README.md): their
 * client asks only the scenario's names (truth.tsv) with TTL 64, and has no
 * DHCP: too little to say, so unknown. */
Test(os_infer, lab_samples_are_thin)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char path[4096], line[1024];
	snprintf(path, sizeof(path), "%s/samples/wg-split/truth.tsv", top);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	static char store[64][256];
	const char *names[64];
	size_t n = 0;
	while (n < 64 && fgets(line, sizeof(line), f)) {
		char *c = line;
		for (int k = 0; k < 4 && c; k++) /* the fifth column: qname */
			c = (c = strchr(c, '\t')) ? c + 1 : NULL;
		if (!c)
			continue;
		size_t len = strcspn(c, "\t\n");
		snprintf(store[n], sizeof(store[n]), "%.*s", (int)len, c);
		if (strcmp(store[n], "qname") && strcmp(store[n], "-")) {
			names[n] = store[n];
			n++;
		}
	}
	fclose(f);
	cr_assert_geq(n, 3);
	struct os_evidence ev = {.names = names, .n_names = n, .ttl = 64};
	struct os_guess g;
	guess(&ev, &g);
	cr_expect_eq(g.os, OS_UNKNOWN, "%s", g.evidence);
}

/* Every name os_infer counts is found by os_known_name (its length bounds
 * among them), in any case and with a trailing dot; others are not. */
Test(os_infer, known_names_found)
{
	int n = 0;
	for (int i = 0; os_known_name_at(i); i++, n++) {
		char up[64];
		const char *k = os_known_name_at(i);
		cr_expect_eq(os_known_name(k), i, "%s", k);
		size_t len = strlen(k);
		cr_assert_lt(len + 2, sizeof(up));
		for (size_t j = 0; j < len; j++)
			up[j] = (char)(k[j] >= 'a' && k[j] <= 'z' ? k[j] - 32 : k[j]);
		up[len] = '.';
		up[len + 1] = '\0';
		cr_expect_eq(os_known_name(up), i, "%s", up);
	}
	cr_expect_geq(n, 10);
	cr_expect_lt(n, OS_MAX_KNOWN_NAMES);
	cr_expect_eq(os_known_name("msftconnecttest.com"), -1);
	cr_expect_eq(os_known_name("www.msftconnecttest.com.evil"), -1);
	cr_expect_eq(os_known_name(""), -1);
	cr_expect_eq(os_known_name(NULL), -1);
	cr_expect_null(os_known_name_at(-1));
	cr_expect_null(os_known_name_at(n));
	cr_expect_str_eq(os_token(OS_MACOS), "macos");
	cr_expect_str_eq(os_token(OS_NKINDS), "unknown");
}
