/* test_suggest.c - suggest-tunnel: the carriers it finds in lab captures, public VPN captures and built ones. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "capbuild.h"
#include "testtop.h"

/* The <endpoint .../> elements of a description's text, sorted and joined
 * by newlines (empty when none). */
static char *endpoint_lines(const char *xml)
{
	char *lines[64];
	size_t n = 0;
	for (const char *s = xml ? strstr(xml, "<endpoint ") : NULL; s && n < 64; s = strstr(s + 1, "<endpoint ")) {
		const char *e = strstr(s, "/>");
		cr_assert_not_null(e);
		lines[n++] = strndup(s, (size_t)(e - s + 2));
	}
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful of lines */
		for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];
			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	struct sbuf out = {0};
	sb_add(&out, "");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_add(&out, "\n");
		sb_add(&out, lines[i]);
		free(lines[i]);
	}
	return out.s;
}

/* ... of the description suggested for a capture */
static char *suggested_endpoints(const char *path)
{
	struct analysis *a = an_new(NULL, NULL);
	cr_assert_geq(an_add_file(a, path), 0, "%s", path);
	an_finish(a);
	struct sbuf xml = {0};
	an_suggest_xml(a, &xml);
	an_free(a);
	char *r = endpoint_lines(xml.s);
	sb_free(&xml);
	return r;
}

/* ... of a description file written by hand (the lab's) */
static char *described_endpoints(const char *path)
{
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s", path);
	static char buf[65536];
	size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	return endpoint_lines(buf);
}

/* KNOWN GAPS (issue 17): lab scenarios whose carrier suggest-tunnel does
 * not find yet.  Each prints "KNOWN GAP <capture>: <what is wrong>" with
 * both endpoint lists instead of failing; one that now gives the lab's
 * endpoints fails, so the entry is removed when the analyzer is fixed. */
static const struct {
	const char *scenario, *what;
} known_gaps[] = {
	/* by design: an SSH session is a tunnel only when it is used as one,
	 * so suggest-tunnel names it in a comment as a candidate and applies
	 * nothing (carrier-evidence.h) */
	{"ssh-socks", "an SSH connection is suggested as a candidate only (in a comment), never applied"},
};

static const char *known_gap(const char *cap)
{
	for (size_t i = 0; i < sizeof(known_gaps) / sizeof(known_gaps[0]); i++) {
		char dir[200];
		snprintf(dir, sizeof(dir), "/samples/%s/", known_gaps[i].scenario);
		if (strstr(cap, dir))
			return known_gaps[i].what;
	}
	return NULL;
}

/* Every lab capture: the suggested endpoints are exactly those the lab
 * wrote in tunnel.xml while it ran the VPN software (never from the
 * capture). */
Test(suggest, lab_captures_give_the_lab_endpoints, .timeout = 120)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char pat[1024];
	snprintf(pat, sizeof(pat), "%s/samples/*/*.pcap", top);
	glob_t g;
	cr_assert_eq(glob(pat, 0, NULL, &g), 0);
	size_t checked = 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char desc[1100];
		snprintf(desc, sizeof(desc), "%s", g.gl_pathv[i]);
		*strrchr(desc, '/') = '\0';
		strcat(desc, "/tunnel.xml");
		if (access(desc, R_OK) != 0)
			continue;
		char *s = suggested_endpoints(g.gl_pathv[i]), *d = described_endpoints(desc);
		const char *gap = known_gap(g.gl_pathv[i]);
		if (gap) {
			fprintf(stderr, "KNOWN GAP %s: %s\n  suggested: %s\n  described: %s\n", g.gl_pathv[i], gap,
				*s ? s : "(none)", d);
			cr_expect_str_neq(s, d, "KNOWN GAP %s now gives the lab's endpoints: remove it from known_gaps[]",
					  g.gl_pathv[i]);
		} else {
			cr_expect_str_eq(s, d, "%s: suggested\n%s\ndescribed\n%s", g.gl_pathv[i], s, d);
		}
		free(s);
		free(d);
		checked++;
	}
	globfree(&g);
	cr_expect_geq(checked, 34);
}

static const char *corpus(const char *rel)
{
	static char path[4096 + 256];
	snprintf(path, sizeof(path), "%s/%s", ls_test_corpus(), rel);
	TEST_NEED_FILE(path);
	return path;
}

struct vpn_case {
	const char *file;
	const char *want; /* sorted endpoint lines */
};

/* Public VPN captures.  The expected servers were read off with tshark
 * 4.0 (-d udp.port==N,wg where needed): the end that answers handshakes,
 * or listens on the kind's port. */
Test(suggest, public_vpn_captures)
{
	static const struct vpn_case cases[] = {
		/* initiations from both peers; 10.0.4.1 listens on 51820.  Before
		 * the server was chosen by port, the capture (which starts with a
		 * packet from 10.0.4.1) gave a second tunnel, 10.0.4.2:47278. */
		{"wireguard-dissector/pcaps/8-trace.pcap",
		 "<endpoint address=\"10.0.4.1\" port=\"51820\" transport=\"udp\"/>"},
		/* two sessions: 10.9.0.1 -> 10.9.0.2:51820 (initiation, response)
		 * and 192.168.0.14 <-> 139.162.192.157:51820, data only */
		{"ndpi/default/pcap/wireguard.pcap",
		 "<endpoint address=\"10.9.0.2\" port=\"51820\" transport=\"udp\"/>\n"
		 "<endpoint address=\"139.162.192.157\" port=\"51820\" transport=\"udp\"/>"},
		/* Mullvad on 5060, data only, client 192.168.122.11:22595 */
		{"ndpi/default/pcap/mullvad_wireguard.pcap",
		 "<endpoint address=\"198.54.131.98\" port=\"5060\" transport=\"udp\"/>"},
		/* initiation 188.166.170.114:45965 -> 188.166.170.115:51194 */
		{"zeek-spicy-wireguard/Traces/wireguard.pcap",
		 "<endpoint address=\"188.166.170.115\" port=\"51194\" transport=\"udp\"/>"},
		{"zeek-spicy-openvpn/traces/openvpn-tcp-tls-auth.pcap",
		 "<endpoint address=\"192.168.56.102\" port=\"1194\" transport=\"tcp\"/>"},
		/* Tailscale: WireGuard transport messages mixed with disco pings
		 * ("TS" + U+1F4AC) on 41641 both ways, no handshake in the
		 * capture; 192.168.88.3 sends first.  nDPI 4.2 and the first-
		 * packets sniffing found nothing before wg_shaped(). */
		{"zeek-spicy-wireguard/Traces/tailscale_linux.pcap",
		 "<endpoint address=\"18.196.71.179\" port=\"41641\" transport=\"udp\"/>"},
		/* IKEv2 on 500 then NAT-T on 4500 (ISAKMP in tshark), responder
		 * 144.76.154.114: nothing was recognised before ike_shaped() */
		{"zeek-spicy-ipsec/traces/ipsec_client.pcap",
		 "<endpoint address=\"144.76.154.114\" port=\"4500\" transport=\"udp\"/>\n"
		 "<endpoint address=\"144.76.154.114\" port=\"500\" transport=\"udp\"/>"},
		/* IKEv1 main mode: 192.168.12.2 answers with the responder SPI */
		{"zeek-spicy-ipsec/traces/ipsec-ikev1-isakmp-main-mode.pcap",
		 "<endpoint address=\"192.168.12.2\" port=\"500\" transport=\"udp\"/>"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = suggested_endpoints(corpus(cases[i].file));
		cr_expect_str_eq(s, cases[i].want, "%s:\n%s", cases[i].file, s);
		free(s);
	}
}

/* A WireGuard session whose capture starts in the middle: the first packet
 * is data from the server (port 51820) to the client's ephemeral port. */
Test(suggest, mid_session_capture_names_the_server)
{
	char path[] = "/tmp/ls-suggest-XXXXXX.pcap";
	int fd = mkstemps(path, 5);
	cr_assert_geq(fd, 0);
	close(fd);
	struct cb_pcap *w = cb_pcap_open(path, 1, 65535, 0);
	cr_assert_not_null(w);
	static const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2};
	uint8_t frame[256], data[96] = {4}; /* transport data, 64 bytes of ciphertext + tag */
	for (int k = 0; k < 20; k++) {
		bool from_server = k % 2 == 0;
		size_t n = from_server ? cb_udp4(frame, m2, m1, "203.0.113.7", "192.168.1.10", 51820, 48123, data, 96)
				       : cb_udp4(frame, m1, m2, "192.168.1.10", "203.0.113.7", 48123, 51820, data, 96);
		cr_assert_gt(n, 0);
		cr_assert_eq(cb_pcap_write(w, 1700000000 + k, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
	char *s = suggested_endpoints(path);
	cr_expect_str_eq(s, "<endpoint address=\"203.0.113.7\" port=\"51820\" transport=\"udp\"/>", "%s", s);
	free(s);
	unlink(path);
}

/* A Wireshark capture on Windows: interfaces are named \Device\NPF_{GUID}
 * and only their descriptions tell the WireGuard adapter from the
 * Ethernet one.  The tunnel interface is found by its description, so the
 * inside address and the resolver are suggested, and reports label the
 * interface by its description. */
Test(suggest, windows_interface_descriptions)
{
	char path[] = "/tmp/ls-suggest-XXXXXX.pcapng";
	int fd = mkstemps(path, 7);
	cr_assert_geq(fd, 0);
	close(fd);
	struct cb_png *w = cb_png_open(path, 0);
	cr_assert_not_null(w);
	struct cb_idb_opt eth = {.name = "\\Device\\NPF_{4A2B9E1C-0000-4000-8000-000000000001}",
				 .desc = "Intel(R) Ethernet Connection I219-V"};
	struct cb_idb_opt wg = {.name = "\\Device\\NPF_{4A2B9E1C-0000-4000-8000-000000000002}",
				.desc = "WireGuard Tunnel"};
	cr_assert_eq(cb_png_idb(w, 1, 262144, &eth), 0);
	cr_assert_eq(cb_png_idb(w, 101, 65535, &wg), 1);
	static const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2};
	uint8_t frame[512], q[256];
	for (int k = 0; k < 6; k++) {
		/* a handshake (initiation with sender index 7, the response
		 * naming it), then transport data with rising counters */
		uint8_t hs[148] = {1, 0, 0, 0, 7};
		uint8_t resp[92] = {2, 0, 0, 0, 9, 0, 0, 0, 7};
		uint8_t data[96] = {4, 0, 0, 0, 9};
		data[8] = (uint8_t)k;
		size_t n = k == 0   ? cb_udp4(frame, m1, m2, "192.168.1.10", "198.51.100.7", 50123, 51820, hs, sizeof(hs))
			   : k == 1 ? cb_udp4(frame, m2, m1, "198.51.100.7", "192.168.1.10", 51820, 50123, resp, sizeof(resp))
				    : cb_udp4(frame, m1, m2, "192.168.1.10", "198.51.100.7", 50123, 51820, data, sizeof(data));
		cr_assert_eq(cb_png_epb(w, 0, 1700000000 + k, 0, frame, (uint32_t)n, (uint32_t)n), 0);
	}
	size_t qn = cb_dns_query(q, sizeof(q), 9, "inside.example", 1);
	size_t n = cb_udp4(frame, m1, m2, "10.64.0.5", "10.64.0.1", 50000, 53, q, qn);
	/* raw IP on the tunnel adapter: the Ethernet header left out */
	cr_assert_eq(cb_png_epb(w, 1, 1700000003, 0, frame + 14, (uint32_t)(n - 14), (uint32_t)(n - 14)), 0);
	cr_assert_eq(cb_png_close(w), 0);

	struct analysis *a = an_new(NULL, NULL);
	cr_assert_geq(an_add_file(a, path), 0);
	an_finish(a);
	struct sbuf xml = {0};
	an_suggest_xml(a, &xml);
	cr_expect(strstr(xml.s, "<endpoint address=\"198.51.100.7\" port=\"51820\" transport=\"udp\"/>"), "%s", xml.s);
	cr_expect(strstr(xml.s, "<inside prefix=\"10.64.0.5/32\"/>"), "%s", xml.s);
	cr_expect(strstr(xml.s, "<resolver address=\"10.64.0.1\" port=\"53\"/>"), "%s", xml.s);
	char b[160];
	bool labelled = false;
	for (uint32_t i = 0; i < a->nifaces; i++)
		labelled |= strcmp(an_iface_label(a, i, b, sizeof(b)),
				   "WireGuard Tunnel (\\Device\\NPF_{4A2B9E1C-0000-4000-8000-000000000002})") == 0;
	cr_expect(labelled);
	sb_free(&xml);
	an_free(a);
	unlink(path);
}

/* Short and random datagrams on the ports the carrier sniffing looks at
 * (IKE 500 and 4500, WireGuard 51820): every length from 0 to 40 bytes,
 * nothing recognised, nothing read past a datagram (ASan in make
 * sanitize). */
Test(suggest, short_datagrams_on_carrier_ports)
{
	char path[] = "/tmp/ls-suggest-XXXXXX.pcap";
	int fd = mkstemps(path, 5);
	cr_assert_geq(fd, 0);
	close(fd);
	struct cb_pcap *w = cb_pcap_open(path, 1, 65535, 0);
	cr_assert_not_null(w);
	static const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2};
	static const uint16_t ports[] = {500, 4500, 51820};
	uint8_t frame[256], d[40];
	uint32_t r = 12345;
	int t = 0;
	for (size_t k = 0; k < 3; k++)
		for (size_t len = 0; len <= sizeof(d); len++) {
			for (size_t j = 0; j < len; j++) {
				r = r * 1103515245u + 12345u;
				d[j] = (uint8_t)(r >> 16);
			}
			if (len >= 4 && k == 1)
				memset(d, 0, 4); /* the non-ESP marker: what comes after is read as IKE */
			size_t n = cb_udp4(frame, m1, m2, "192.168.1.10", "198.51.100.9", (uint16_t)(40000 + len),
					   ports[k], d, len);
			cr_assert_eq(cb_pcap_write(w, 1700000000 + t++, 0, frame, (uint32_t)n, (uint32_t)n), 0);
		}
	cr_assert_eq(cb_pcap_close(w), 0);
	char *s = suggested_endpoints(path);
	cr_expect_str_eq(s, "", "%s", s);
	free(s);
	unlink(path);
}
