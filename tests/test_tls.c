/* test_tls.c - ClientHello parsing (real captures, hostile lengths, truncation) and record counting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

/* Hex string to bytes; the vectors below are written as tshark prints them. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (h[0] && h[1]) {
		unsigned v;
		cr_assert(n < cap, "vector too long");
		cr_assert_eq(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/*
 * ndpi/default/pcap/googledns_android10.pcap (corpus), frame 10, tcp.payload:
 * Android 10 Private DNS (DoT) to dns.google:853.  tshark 4.0:
 *   tls.handshake.extensions_server_name = dns.google
 *   tls.handshake.extensions_alpn_str    = (none)
 *   tls.record.version 0x0301, tls.handshake.version 0x0303,
 *   cipher_suites_length 30 (15 suites), extension types 0,23,65281,10,11,35,13
 */
static const char android_dot[] =
	"1603010095010000910303b0e9e5f718fb940ac79ec31f0a2502aaeb9b9965d0d8b91622d0c5828d3fa30b"
	"00001ec02bc02fc02cc030cca9cca8c009c013c00ac014009c009d002f0035000a0100004a0000000f000d"
	"00000a646e732e676f6f676c6500170000ff01000100000a00080006001d00170018000b00020100002300"
	"00000d00140012040308040401050308050501080606010201";

/*
 * ndpi/default/pcap/dns_doh.pcap (corpus), frame 4, tcp.payload: Firefox
 * DoH to Cloudflare (517 bytes).  tshark 4.0:
 *   tls.handshake.extensions_server_name = mozilla.cloudflare-dns.com
 *   tls.handshake.extensions_alpn_str    = h2,http/1.1
 *   tls.handshake.extensions.supported_version = 0x0304,0x0303,0x0302,0x0301
 *   cipher_suites_length 36 (18 suites), 14 extensions:
 *   0,23,65281,10,11,35,16,5,51,43,13,45,28,21
 */
static const char firefox_doh[] =
	"1603010200010001fc03032a5d4f3dda6c0482b6cf936be61280a2ba4390ae5078fcde9aea235468adaf8420"
	"84e1306d47b3b739efbe51bca2b434d690d3631161d9d5b34d375aae16c372f60024130113031302c02bc02f"
	"cca9cca8c02cc030c00ac009c013c01400330039002f0035000a0100018f0000001f001d00001a6d6f7a696c"
	"6c612e636c6f7564666c6172652d646e732e636f6d00170000ff01000100000a000e000c001d001700180019"
	"01000101000b00020100002300000010000e000c02683208687474702f312e31000500050100000000003300"
	"6b0069001d0020f4695b0d4ed97d2f1e4656c3460640f29d148e0536e9387b6e2a4c0b005424610017004104"
	"fc09887a0809f481d4d6422f2acf829e1ce4dc0d5019ee90090d7cfd71b564e76f44f82588c66026bd3a6a58"
	"2444ddf3a82200c428b283a6b08ba4252ebb222d002b0009080304030303020301000d001800160403050306"
	"0308040805080604010501060102030201002d00020101001c00024001001500840000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000";

/*
 * ndpi/default/pcap/dns_dot.pcap (corpus), frame 4, tcp.payload: DoT to
 * 8.8.8.8:853 without SNI or ALPN.  tshark 4.0: record version 0x0303,
 * cipher_suites_length 50 (25 suites), extension types
 * 5,10,11,13,22,23,35,65281,28 (9).
 */
static const char dot_nosni[] =
	"16030300c1010000bd0303822bf32e410e6c4981e44056ab3992aaf386ba3ff20b9ecf989284460c802049"
	"000032c02ccca9c0adc00ac02bc0acc009c030cca8c014c02fc013009dc09d0035009cc09c002f009fccaa"
	"c09f0039009ec09e003301000062000500050100000000000a00140012001700180019001d010001010102"
	"01030104000b00020100000d0020001e040108090804040308070501080a080505030601080b0806060302"
	"010203001600000017000000230000ff01000100001c00024000";

/*
 * A TLS 1.3 ClientHello written by hand (no capture in the corpus has ALPN
 * "dot" over TCP).  Offsets: record header 0..4, handshake header 5..8,
 * legacy_version 9, random 11, session id length 43 (32), cipher suites
 * length 76 (6), compression 84, extensions length 86 (0x61), then
 *   88  server_name  0000 0010 000e 00 000b "dns.example"
 *   108 ALPN         0010 0006 0004 03 "dot"
 *   118 supported_versions 002b 0005 04 0304 0303
 *   127 supported_groups, 135 signature_algorithms, 143 key_share (x25519).
 * Checked with text2pcap -T 50000,853 and tshark -d tcp.port==853,tls:
 * server_name dns.example, alpn_str dot, supported_version 0x0304,0x0303,
 * extension types 0,16,43,10,13,51, no expert info.
 */
static const char tls13_dot[] =
	"16030100b4010000b00303000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"20e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0006130113021303010000"
	"6100000010000e00000b646e732e6578616d706c6500100006000403646f74002b00050403040303000a00"
	"040002001d000d000400020804003300260024001d0020404142434445464748494a4b4c4d4e4f50515253"
	"5455565758595a5b5c5d5e5f";

static uint8_t vec[4096];

static size_t load(const char *hex)
{
	return unhex(hex, vec, sizeof(vec));
}

/* Parses from an exact-size heap copy, so that ASan sees any over-read. */
static int parse_exact(const uint8_t *p, size_t n, struct tls_hello *h)
{
	uint8_t *copy = malloc(n ? n : 1);
	cr_assert(copy);
	if (n)
		memcpy(copy, p, n);
	int r = tls_parse_client_hello(copy, n, h);
	free(copy);
	return r;
}

static int parse_hs_exact(const uint8_t *p, size_t n, struct tls_hello *h)
{
	uint8_t *copy = malloc(n ? n : 1);
	cr_assert(copy);
	if (n)
		memcpy(copy, p, n);
	int r = tls_parse_handshake(copy, n, h);
	free(copy);
	return r;
}

/*
 * Builds a ClientHello record around an extensions block: TLS 1.2 legacy
 * version, 32-byte random of 0x11, empty session id, suites 1301 c02f,
 * null compression.  Returns the total length.
 */
static size_t build_hello(uint8_t *out, size_t cap, const uint8_t *ext, size_t ext_len)
{
	size_t body = 2 + 32 + 1 + 2 + 4 + 2 + 2 + ext_len;
	size_t n = 0;
	cr_assert(5 + 4 + body <= cap);
	out[n++] = 0x16; out[n++] = 0x03; out[n++] = 0x01;
	out[n++] = (uint8_t)((body + 4) >> 8); out[n++] = (uint8_t)(body + 4);
	out[n++] = 0x01; out[n++] = 0; out[n++] = (uint8_t)(body >> 8); out[n++] = (uint8_t)body;
	out[n++] = 0x03; out[n++] = 0x03;
	memset(out + n, 0x11, 32); n += 32;
	out[n++] = 0;
	out[n++] = 0; out[n++] = 4; out[n++] = 0x13; out[n++] = 0x01; out[n++] = 0xc0; out[n++] = 0x2f;
	out[n++] = 1; out[n++] = 0;
	out[n++] = (uint8_t)(ext_len >> 8); out[n++] = (uint8_t)ext_len;
	if (ext_len)
		memcpy(out + n, ext, ext_len);
	return n + ext_len;
}

/* Appends one extension to a block. */
static size_t add_ext(uint8_t *b, size_t n, uint16_t type, const void *data, size_t len)
{
	b[n++] = (uint8_t)(type >> 8); b[n++] = (uint8_t)type;
	b[n++] = (uint8_t)(len >> 8); b[n++] = (uint8_t)len;
	if (len)
		memcpy(b + n, data, len);
	return n + len;
}

/* A server_name extension body holding one host_name of n bytes. */
static size_t sni_body(uint8_t *b, const void *name, size_t n)
{
	b[0] = (uint8_t)((n + 3) >> 8); b[1] = (uint8_t)(n + 3);
	b[2] = 0;
	b[3] = (uint8_t)(n >> 8); b[4] = (uint8_t)n;
	memcpy(b + 5, name, n);
	return n + 5;
}

Test(tls, android_private_dns_hello)
{
	struct tls_hello h;
	size_t n = load(android_dot);
	cr_assert_eq(n, 154); /* tcp.len of frame 10 */
	cr_assert_eq(tls_parse_client_hello(vec, n, &h), 0);
	cr_assert_eq(h.err, TLS_OK);
	cr_assert_eq(h.record_version, 0x0301);
	cr_assert_eq(h.records, 1);
	cr_assert_eq(h.legacy_version, 0x0303);
	cr_assert_eq(h.max_version, 0x0303);
	cr_assert_not(h.has_supported_versions);
	cr_assert(h.has_sni);
	cr_assert_str_eq(h.sni, "dns.google");
	cr_assert_not(h.sni_invalid);
	cr_assert_str_eq(h.alpn, "");
	cr_assert_eq(h.alpn_count, 0);
	cr_assert_eq(h.cipher_count, 15);
	cr_assert_eq(h.ext_count, 7);
	cr_assert_eq(h.anomalies, 0);
	cr_assert_not(h.ech || h.esni || h.sni_is_outer);
}

Test(tls, firefox_doh_tls13_hello)
{
	struct tls_hello h;
	size_t n = load(firefox_doh);
	cr_assert_eq(n, 517);
	cr_assert_eq(tls_parse_client_hello(vec, n, &h), 0);
	cr_assert_str_eq(h.sni, "mozilla.cloudflare-dns.com");
	cr_assert_str_eq(h.alpn, "h2,http/1.1");
	cr_assert_eq(h.alpn_count, 2);
	cr_assert(h.alpn_h2);
	cr_assert(h.alpn_http11);
	cr_assert_not(h.alpn_dot);
	cr_assert_not(h.alpn_doq);
	cr_assert(h.has_supported_versions);
	cr_assert_eq(h.max_version, 0x0304);
	cr_assert_eq(h.legacy_version, 0x0303);
	cr_assert_eq(h.cipher_count, 18);
	cr_assert_eq(h.ext_count, 14);
	cr_assert_eq(h.anomalies, 0);
}

Test(tls, dot_hello_without_sni)
{
	struct tls_hello h;
	size_t n = load(dot_nosni);
	cr_assert_eq(n, 198);
	cr_assert_eq(tls_parse_client_hello(vec, n, &h), 0);
	cr_assert_eq(h.record_version, 0x0303);
	cr_assert_not(h.has_sni);
	cr_assert_str_eq(h.sni, "");
	cr_assert_eq(h.cipher_count, 25);
	cr_assert_eq(h.ext_count, 9);
	cr_assert_eq(h.anomalies, 0);
}

Test(tls, tls13_hello_with_alpn_dot)
{
	struct tls_hello h;
	size_t n = load(tls13_dot);
	cr_assert_eq(n, 185);
	cr_assert_eq(tls_parse_client_hello(vec, n, &h), 0);
	cr_assert_str_eq(h.sni, "dns.example");
	cr_assert_str_eq(h.alpn, "dot");
	cr_assert(h.alpn_dot);
	cr_assert_not(h.alpn_h2);
	cr_assert_eq(h.max_version, 0x0304);
	cr_assert_eq(h.cipher_count, 3);
	cr_assert_eq(h.ext_count, 6);
	cr_assert_eq(h.anomalies, 0);
}

/* The same handshake message as QUIC carries it: no record header. */
Test(tls, handshake_without_record_layer)
{
	struct tls_hello h;
	size_t n = load(tls13_dot);
	cr_assert_eq(parse_hs_exact(vec + 5, n - 5, &h), 0);
	cr_assert_str_eq(h.sni, "dns.example");
	cr_assert(h.alpn_dot);
	cr_assert_eq(h.record_version, 0);
	cr_assert_eq(h.records, 0);
	/* a record header in front is not a handshake header */
	cr_assert_eq(parse_hs_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_NOT_CLIENT_HELLO);
}

/* Re-frames the handshake message of the vector into records of the given
 * payload sizes (the last one takes the rest). */
static size_t reframe(const uint8_t *v, size_t n, const size_t *sizes, size_t ns, uint8_t *out)
{
	const uint8_t *hs = v + 5;
	size_t left = n - 5, o = 0;
	for (size_t i = 0; i <= ns && left > 0; i++) {
		size_t k = i < ns && sizes[i] < left ? sizes[i] : left;
		out[o++] = 0x16; out[o++] = 0x03; out[o++] = 0x01;
		out[o++] = (uint8_t)(k >> 8); out[o++] = (uint8_t)k;
		memcpy(out + o, hs, k);
		o += k; hs += k; left -= k;
	}
	return o;
}

Test(tls, hello_spanning_records)
{
	struct tls_hello h;
	uint8_t buf[1200];
	size_t n = load(firefox_doh);
	/* 1 byte (half a handshake header), then 3, then 100, then the rest */
	const size_t sizes[] = {1, 3, 100};
	size_t m = reframe(vec, n, sizes, 3, buf);
	cr_assert_eq(m, n + 3 * 5);
	cr_assert_eq(parse_exact(buf, m, &h), 0);
	cr_assert_eq(h.records, 4);
	cr_assert_str_eq(h.sni, "mozilla.cloudflare-dns.com");
	cr_assert_str_eq(h.alpn, "h2,http/1.1");
	cr_assert_eq(h.ext_count, 14);

	/* the helper alone gives back the handshake message */
	uint8_t hs[TLS_HS_MAX];
	size_t hl;
	unsigned nrec;
	enum tls_err err;
	cr_assert_eq(tls_unwrap_handshake(buf, m, hs, sizeof(hs), &hl, &nrec, &err), 0);
	cr_assert_eq(hl, n - 5);
	cr_assert_eq(nrec, 4);
	cr_assert_eq(memcmp(hs, vec + 5, hl), 0);
	/* and refuses a buffer too small for it */
	cr_assert_eq(tls_unwrap_handshake(buf, m, hs, 100, &hl, &nrec, &err), -1);
	cr_assert_eq(err, TLS_ERR_HS_LEN);

	/* every prefix of the multi-record form needs more data */
	for (size_t k = 0; k < m; k++)
		cr_assert_eq(parse_exact(buf, k, &h), 1, "prefix %zu", k);

	/* a record of another type in the middle is not a ClientHello */
	buf[5 + 1] = 0x17;
	cr_assert_eq(parse_exact(buf, m, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_NOT_HANDSHAKE);
}

Test(tls, truncation_sweep)
{
	const char *vs[] = {android_dot, firefox_doh, dot_nosni, tls13_dot};
	struct tls_hello h;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		size_t n = load(vs[i]);
		cr_assert_eq(parse_exact(vec, n, &h), 0);
		for (size_t k = 0; k < n; k++) {
			cr_assert_eq(parse_exact(vec, k, &h), 1, "vector %zu prefix %zu", i, k);
			if (k >= 5)
				cr_assert_eq(parse_hs_exact(vec + 5, k - 5, &h), 1, "vector %zu hs prefix %zu", i, k);
		}
	}
}

/* Every byte replaced by a few values: never crashes, never reads out of
 * bounds (ASan), always one of the three answers. */
Test(tls, byte_mutation_sweep)
{
	const char *vs[] = {android_dot, tls13_dot};
	const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	struct tls_hello h;
	for (size_t i = 0; i < 2; i++) {
		size_t n = load(vs[i]);
		for (size_t k = 0; k < n; k++) {
			uint8_t orig = vec[k];
			for (size_t j = 0; j < sizeof(vals); j++) {
				vec[k] = vals[j];
				int r = parse_exact(vec, n, &h);
				cr_assert(r == 0 || r == 1 || r == -1);
				if (r == -1)
					cr_assert_neq(h.err, TLS_OK);
			}
			vec[k] = orig;
		}
	}
}

Test(tls, record_layer_lies)
{
	struct tls_hello h;
	size_t n = load(tls13_dot);

	/* record says 0x00b5, one more byte than the handshake: the hello is
	 * complete in what we have, so it parses */
	vec[4] = 0xb5;
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	/* record says much more than the handshake and the stream, hello still complete */
	vec[3] = 0x40; vec[4] = 0x00;
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	/* handshake longer than the record and nothing follows: need more */
	vec[3] = 0x00; vec[4] = 0xb4;
	vec[8] = 0xb1;
	cr_assert_eq(parse_exact(vec, n, &h), 1);
	vec[8] = 0xb0;
	/* empty record */
	vec[3] = 0; vec[4] = 0;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_RECORD_LEN);
	/* record over 2^14 + 256 */
	vec[3] = 0x41; vec[4] = 0x01;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_RECORD_LEN);
	vec[3] = 0x00; vec[4] = 0xb4;
	/* record version 4.1, 3.5 */
	vec[1] = 4;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_RECORD_VERSION);
	vec[1] = 3; vec[2] = 5;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_RECORD_VERSION);
	vec[2] = 1;
	/* ServerHello (2), not a ClientHello */
	vec[5] = 2;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_NOT_CLIENT_HELLO);
	vec[5] = 1;
	/* handshake length 16 MiB - 1: refused, not waited for */
	vec[6] = 0xff; vec[7] = 0xff; vec[8] = 0xff;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_HS_LEN);
	/* handshake length 16385: one over the cap */
	vec[6] = 0x00; vec[7] = 0x40; vec[8] = 0x01;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_HS_LEN);
	/* handshake length shorter than any ClientHello */
	vec[7] = 0x00; vec[8] = 0x10;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_HS_LEN);

	/* not TLS at all */
	cr_assert_eq(parse_exact((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_NOT_HANDSHAKE);
	/* SSLv2-compatible hello (RFC 5246 E.2) */
	const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15};
	cr_assert_eq(parse_exact(v2, sizeof(v2), &h), -1);
	cr_assert_eq(h.err, TLS_ERR_NOT_HANDSHAKE);
}

Test(tls, hello_body_lies)
{
	struct tls_hello h;
	size_t n;

	n = load(tls13_dot);
	vec[9] = 0x02; /* legacy_version 2.3 */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_VERSION);

	n = load(tls13_dot);
	vec[43] = 33; /* session id 33 bytes */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_SESSION_ID);

	n = load(tls13_dot);
	vec[77] = 5; /* odd cipher suites length */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_CIPHERS);
	vec[77] = 0; /* none */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_CIPHERS);
	vec[76] = 0x10; /* 4096: past the handshake */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_CIPHERS);

	n = load(tls13_dot);
	vec[84] = 0; /* no compression method */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_COMPRESSION);
	vec[84] = 200;
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_COMPRESSION);

	n = load(tls13_dot);
	vec[87] = 0x62; /* extensions block one byte longer than the handshake */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_EXTENSIONS);
	vec[87] = 0x60; /* one shorter: the last extension overruns the block */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_EXTENSION);

	n = load(tls13_dot);
	vec[91] = 0x80; /* server_name extension says 128 bytes */
	cr_assert_eq(parse_exact(vec, n, &h), -1);
	cr_assert_eq(h.err, TLS_ERR_EXTENSION);

	/* a handshake length that cuts the random */
	n = load(tls13_dot);
	cr_assert_eq(parse_hs_exact((const uint8_t *)"\x01\x00\x00\x29\x03\x03", 6, &h), 1);
}

Test(tls, extension_content_lies_are_anomalies)
{
	struct tls_hello h;
	size_t n;

	n = load(tls13_dot);
	vec[93] = 0x20; /* SNI list length 32 inside a 16-byte extension */
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	cr_assert(h.anomalies & TLS_ANOM_BAD_SNI);
	cr_assert(h.sni_invalid);
	cr_assert_str_eq(h.sni, "dns.example"); /* the entry itself is intact */
	cr_assert(h.alpn_dot);                    /* and the next extension is read */

	n = load(tls13_dot);
	vec[96] = 0x30; /* host name length 48 past the list */
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	cr_assert(h.anomalies & TLS_ANOM_BAD_SNI);
	cr_assert_not(h.has_sni);
	cr_assert_str_eq(h.sni, "");

	n = load(tls13_dot);
	vec[113] = 0x09; /* ALPN list length 9 in a 6-byte extension */
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	cr_assert(h.anomalies & TLS_ANOM_BAD_ALPN);
	cr_assert_str_eq(h.alpn, "dot");

	n = load(tls13_dot);
	vec[114] = 0x04; /* protocol name of 4 bytes in a 4-byte list */
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	cr_assert(h.anomalies & TLS_ANOM_BAD_ALPN);
	cr_assert_eq(h.alpn_count, 0);
	cr_assert_not(h.alpn_dot);

	n = load(tls13_dot);
	vec[122] = 0x05; /* supported_versions list of odd length */
	cr_assert_eq(parse_exact(vec, n, &h), 0);
	cr_assert(h.anomalies & TLS_ANOM_BAD_VERSIONS);
	cr_assert_eq(h.max_version, 0x0304);
}

Test(tls, sni_with_control_bytes_and_markup)
{
	uint8_t ext[300], body[300], rec[600];
	struct tls_hello h;
	static const char name[] = "A\x01" "b<script>.Example\x7f";
	size_t bl = sni_body(body, name, sizeof(name) - 1);
	size_t el = add_ext(ext, 0, 0, body, bl);
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert(h.has_sni);
	/* lower-cased, control bytes as '?', markup kept for the writer to escape */
	cr_assert_str_eq(h.sni, "a?b<script>.example?");
	cr_assert(h.sni_invalid);
	cr_assert(h.anomalies & TLS_ANOM_SNI_CHARS);
	cr_assert(h.anomalies & TLS_ANOM_SNI_NOT_HOSTNAME);
	cr_assert_eq(h.ext_count, 1);
}

Test(tls, sni_too_long_is_cut)
{
	uint8_t name[300], ext[400], body[400], rec[700];
	struct tls_hello h;
	memset(name, 'a', sizeof(name));
	size_t bl = sni_body(body, name, sizeof(name));
	size_t el = add_ext(ext, 0, 0, body, bl);
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert_eq(strlen(h.sni), TLS_SNI_MAX);
	cr_assert(h.anomalies & TLS_ANOM_SNI_TOO_LONG);
	cr_assert(h.sni_invalid);
}

Test(tls, zero_length_extensions)
{
	uint8_t ext[64], rec[200];
	struct tls_hello h;
	size_t el = 0;
	el = add_ext(ext, el, 0x0017, NULL, 0); /* extended_master_secret: empty is normal */
	el = add_ext(ext, el, 0x0000, NULL, 0); /* empty server_name: not valid in a ClientHello */
	el = add_ext(ext, el, 0x0010, NULL, 0); /* empty ALPN */
	el = add_ext(ext, el, 0x002b, NULL, 0); /* empty supported_versions */
	el = add_ext(ext, el, 0xff01, NULL, 0);
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert_eq(h.ext_count, 5);
	cr_assert_not(h.has_sni);
	cr_assert_eq(h.alpn_count, 0);
	cr_assert(h.anomalies & TLS_ANOM_BAD_SNI);
	cr_assert(h.anomalies & TLS_ANOM_BAD_ALPN);
	cr_assert(h.anomalies & TLS_ANOM_BAD_VERSIONS);
	cr_assert_eq(h.max_version, 0x0303);
	cr_assert_eq(h.cipher_count, 2);

	/* no extensions block at all (TLS 1.0 style): fine */
	n = build_hello(rec, sizeof(rec), NULL, 0) - 2;
	rec[3] = 0; rec[4] = (uint8_t)(n - 5);
	rec[8] = (uint8_t)(n - 9);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert_eq(h.ext_count, 0);
	cr_assert_eq(h.anomalies, 0);
}

Test(tls, two_hundred_extensions)
{
	uint8_t ext[2048], rec[2400], body[64];
	struct tls_hello h;
	size_t el = 0;
	for (int i = 0; i < 200; i++) {
		if (i == 150) {
			/* an SNI past the cap is not looked at */
			size_t bl = sni_body(body, "late.example", 12);
			el = add_ext(ext, el, 0, body, bl);
		} else {
			el = add_ext(ext, el, (uint16_t)(0x1000 + i), NULL, 0);
		}
	}
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert_eq(h.ext_count, TLS_MAX_EXTENSIONS);
	cr_assert(h.anomalies & TLS_ANOM_TOO_MANY_EXT);
	cr_assert_not(h.anomalies & TLS_ANOM_DUP_EXT);
	cr_assert_not(h.has_sni);
}

Test(tls, duplicate_extensions)
{
	uint8_t ext[128], body[64], rec[300];
	struct tls_hello h;
	size_t el = 0, bl;
	bl = sni_body(body, "first.example", 13);
	el = add_ext(ext, el, 0, body, bl);
	el = add_ext(ext, el, 0x0017, NULL, 0);
	bl = sni_body(body, "second.example", 14);
	el = add_ext(ext, el, 0, body, bl);
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert(h.anomalies & TLS_ANOM_DUP_EXT);
	cr_assert_str_eq(h.sni, "first.example");
	cr_assert_eq(h.ext_count, 3);
}

Test(tls, ech_and_esni_mark_the_outer_name)
{
	uint8_t ext[128], body[64], rec[300];
	struct tls_hello h;
	const uint8_t ech_payload[] = {0x00, 0x00, 0x01, 0x00, 0x01, 0x2a};
	size_t el = 0, bl;
	bl = sni_body(body, "public.example", 14);
	el = add_ext(ext, el, 0, body, bl);
	el = add_ext(ext, el, 0xfe0d, ech_payload, sizeof(ech_payload));
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert(h.ech);
	cr_assert_not(h.esni);
	cr_assert(h.sni_is_outer);
	cr_assert_str_eq(h.sni, "public.example");

	el = 0;
	el = add_ext(ext, el, 0xffce, ech_payload, sizeof(ech_payload));
	bl = sni_body(body, "cover.example", 13);
	el = add_ext(ext, el, 0, body, bl);
	n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert(h.esni);
	cr_assert(h.sni_is_outer);

	/* ECH without any SNI: nothing to mark */
	el = add_ext(ext, 0, 0xfe0d, ech_payload, sizeof(ech_payload));
	n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert(h.ech);
	cr_assert_not(h.sni_is_outer);
}

Test(tls, versions_grease_and_drafts)
{
	uint8_t ext[64], rec[200];
	struct tls_hello h;
	/* GREASE 0x3a3a first (RFC 8701), then 1.3 and 1.2 */
	const uint8_t sv[] = {0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03};
	size_t el = add_ext(ext, 0, 43, sv, sizeof(sv));
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert_eq(h.max_version, 0x0304);
	cr_assert_eq(h.anomalies, 0);
	/* TLS 1.3 draft 28 only */
	const uint8_t draft[] = {0x02, 0x7f, 0x1c};
	el = add_ext(ext, 0, 43, draft, sizeof(draft));
	n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert_eq(h.max_version, 0x0304);
}

Test(tls, alpn_doq_drafts_and_odd_bytes)
{
	uint8_t ext[64], rec[200];
	struct tls_hello h;
	/* "doq-i00", "a,b", "x\n" */
	const uint8_t al[] = {0x00, 0x10, 7, 'd', 'o', 'q', '-', 'i', '0', '0', 3, 'a', ',', 'b', 2, 'x', '\n'};
	size_t el = add_ext(ext, 0, 16, al, sizeof(al));
	size_t n = build_hello(rec, sizeof(rec), ext, el);
	cr_assert_eq(parse_exact(rec, n, &h), 0);
	cr_assert(h.alpn_doq);
	cr_assert_eq(h.alpn_count, 3);
	cr_assert_str_eq(h.alpn, "doq-i00,a?b,x?");
	cr_assert(h.anomalies & TLS_ANOM_ALPN_CHARS);
}

Test(tls, err_names)
{
	cr_assert_str_eq(tls_err_str(TLS_OK), "ok");
	cr_assert_str_eq(tls_err_str(TLS_ERR_RECORD_LEN), "record-length");
	cr_assert_str_eq(tls_err_str(TLS_ERR_TRUNCATED), "truncated");
	cr_assert_str_eq(tls_err_str((enum tls_err)99), "unknown");
}

/* ---------------------------------------------------------------------- */

/*
 * A client flight written by hand: handshake record of 5 bytes, change
 * cipher spec of 1, two application_data records of 3 and 0x120 bytes.
 */
static size_t rec_stream(uint8_t *b)
{
	size_t n = 0;
	const uint8_t h1[] = {22, 3, 1, 0, 5};
	const uint8_t h2[] = {20, 3, 3, 0, 1};
	const uint8_t h3[] = {23, 3, 3, 0, 3};
	const uint8_t h4[] = {23, 3, 3, 0x01, 0x20};
	memcpy(b + n, h1, 5); n += 5; memset(b + n, 0xaa, 5); n += 5;
	memcpy(b + n, h2, 5); n += 5; b[n++] = 1;
	memcpy(b + n, h3, 5); n += 5; memset(b + n, 0x17, 3); n += 3;
	memcpy(b + n, h4, 5); n += 5; memset(b + n, 0x17, 0x120); n += 0x120;
	return n;
}

Test(tls, record_counter_any_slicing)
{
	uint8_t b[512];
	size_t n = rec_stream(b);
	for (size_t step = 1; step <= n; step++) {
		struct tls_rec_count c;
		tls_rec_init(&c);
		for (size_t o = 0; o < n; o += step)
			tls_count_app_records(&c, 0, b + o, n - o < step ? n - o : step);
		cr_assert_eq(c.dir[0].records[22 - TLS_CT_FIRST], 1, "step %zu", step);
		cr_assert_eq(c.dir[0].records[20 - TLS_CT_FIRST], 1);
		cr_assert_eq(c.dir[0].records[23 - TLS_CT_FIRST], 2);
		cr_assert_eq(c.dir[0].app_bytes, 3 + 0x120);
		cr_assert_eq(c.dir[0].desyncs, 0);
		cr_assert_eq(c.dir[0].body_left, 0);
		cr_assert_eq(c.dir[1].records[23 - TLS_CT_FIRST], 0);
	}
}

Test(tls, record_counter_resyncs_on_next_feed)
{
	struct tls_rec_count c;
	uint8_t b[512];
	size_t n = rec_stream(b);
	tls_rec_init(&c);
	/* a packet that starts mid-record (a segment was lost) */
	tls_count_app_records(&c, 1, b + 7, 20);
	cr_assert_eq(c.dir[1].desyncs, 1);
	cr_assert_eq(c.dir[1].records[23 - TLS_CT_FIRST], 0);
	/* the next packet starts on a record boundary again */
	tls_count_app_records(&c, 1, b, n);
	cr_assert_eq(c.dir[1].records[23 - TLS_CT_FIRST], 2);
	cr_assert_eq(c.dir[1].desyncs, 1);
	/* a length over 2^14 + 2048 is not TLS */
	const uint8_t big[] = {23, 3, 3, 0x48, 0x01};
	tls_count_app_records(&c, 1, big, sizeof(big));
	cr_assert_eq(c.dir[1].desyncs, 2);
	/* 64 KiB of zeros: one desync, then nothing, and it returns */
	uint8_t *z = calloc(1, 65536);
	cr_assert(z);
	tls_count_app_records(&c, 0, z, 65536);
	cr_assert_eq(c.dir[0].desyncs, 1);
	free(z);
	/* a bad direction is ignored */
	tls_count_app_records(&c, 2, b, n);
	tls_count_app_records(&c, -1, b, n);
}
