/* test_doh.c - base64url, HTTP/1 DoH requests and responses, Huffman, HPACK, h2c framing and streams. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "doh.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*h) {
		unsigned v;
		if (*h == ' ' || *h == '\n') {
			h++;
			continue;
		}
		cr_assert(n < cap, "vector too long");
		cr_assert_eq(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* RFC 8484 4.1.1: the query for www.example.com A behind the examples,
 * checked with Python's base64.urlsafe_b64decode. */
static const char rfc8484_query_hex[] =
	"00000100000100000000000003777777076578616d706c6503636f6d0000010001";

/* RFC 8484 4.2.2: the answer, AAAA 2001:db8:abcd:12:1:2:3:4, TTL 3709. */
static const char rfc8484_answer_hex[] =
	"00008180000100010000000003777777076578616d706c6503636f6d00001c0001"
	"c00c001c000100000e7d001020010db8abcd00120001000200030004";

static struct doh_req req;   /* ~70 KB each: not on the stack */
static struct doh_resp resp;
static struct dns_msg dm;

/* Request/response parsed from an exact-size heap copy (ASan sees over-reads). */
static int req_exact(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	cr_assert(c);
	if (n)
		memcpy(c, p, n);
	int r = doh_http1_request(c, n, &req);
	free(c);
	return r;
}

static int resp_exact(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	cr_assert(c);
	if (n)
		memcpy(c, p, n);
	int r = doh_http1_response(c, n, &resp);
	free(c);
	return r;
}

/* ---------------------------------------------------------------------- */
/* base64url */

static int b64(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	return doh_base64url_decode(s, strlen(s), out, cap, n);
}

Test(doh, base64url_rfc4648_vectors)
{
	/* RFC 4648 10, in both padded and unpadded form */
	static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	static const char *const pad[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char dec[] = "foobar";
	uint8_t out[16];
	size_t n;
	for (size_t i = 0; i < 7; i++) {
		cr_assert_eq(b64(enc[i], out, sizeof(out), &n), 0, "%s", enc[i]);
		cr_assert_eq(n, i);
		cr_assert_eq(memcmp(out, dec, n), 0);
		cr_assert_eq(b64(pad[i], out, sizeof(out), &n), 0, "%s", pad[i]);
		cr_assert_eq(n, i);
		cr_assert_eq(memcmp(out, dec, n), 0);
	}
	/* the url-safe characters: "-_8=" is fb ff (Python urlsafe_b64decode) */
	cr_assert_eq(b64("-_8=", out, sizeof(out), &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(out[0], 0xfb);
	cr_assert_eq(out[1], 0xff);
}

Test(doh, base64url_refuses_bad_input)
{
	uint8_t out[16];
	size_t n;
	cr_assert_eq(b64("Z", out, sizeof(out), &n), -1);       /* 6 bits */
	cr_assert_eq(b64("Zm9vY", out, sizeof(out), &n), -1);   /* 1 mod 4 */
	cr_assert_eq(b64("Zg=", out, sizeof(out), &n), -1);     /* padding not to a group */
	cr_assert_eq(b64("Zg===", out, sizeof(out), &n), -1);
	cr_assert_eq(b64("Zm8==", out, sizeof(out), &n), -1);   /* one '=' too many */
	cr_assert_eq(b64("Zm9v====", out, sizeof(out), &n), -1);
	cr_assert_eq(b64("Z=g=", out, sizeof(out), &n), -1);    /* '=' inside */
	cr_assert_eq(b64("Zm9v+g", out, sizeof(out), &n), -1);  /* standard alphabet */
	cr_assert_eq(b64("Zm9v/g", out, sizeof(out), &n), -1);
	cr_assert_eq(b64("Zm9v g", out, sizeof(out), &n), -1);
	cr_assert_eq(b64("Zm9v%41", out, sizeof(out), &n), -1);
	cr_assert_eq(doh_base64url_decode("Zm\0v", 4, out, sizeof(out), &n), -1);
	/* bounded output: 6 bytes do not fit in 5, and nothing is written past */
	uint8_t small[6] = {0, 0, 0, 0, 0, 0x5a};
	cr_assert_eq(b64("Zm9vYmFy", small, 5, &n), -1);
	cr_assert_eq(small[5], 0x5a);
	cr_assert_eq(b64("Zm9vYmFy", small, 6, &n), 0);
	cr_assert_eq(n, 6);
}

/* ---------------------------------------------------------------------- */
/* HTTP/1 requests */

Test(doh, get_rfc8484_example)
{
	static const char r[] = "GET /dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB HTTP/1.1\r\n"
				"Host: dnsserver.example.net\r\n"
				"Accept: application/dns-message\r\n"
				"\r\n";
	uint8_t want[64];
	size_t wn = unhex(rfc8484_query_hex, want, sizeof(want));
	cr_assert_eq(req_exact(r, sizeof(r) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_GET);
	cr_assert_str_eq(req.method, "GET");
	cr_assert_str_eq(req.path, "/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB");
	cr_assert_str_eq(req.host, "dnsserver.example.net");
	cr_assert_str_eq(req.accept, "application/dns-message");
	cr_assert_eq(req.msg_len, 33);
	cr_assert_eq(memcmp(req.msg, want, wn), 0);
	cr_assert_eq(req.head_len, sizeof(r) - 1);
	cr_assert_eq(req.consumed, sizeof(r) - 1);
	cr_assert_eq(req.anomalies, 0);
	/* and it is the DNS question the RFC says */
	cr_assert_eq(dns_parse(req.msg, req.msg_len, &dm), 0);
	cr_assert_eq(dm.nq, 1);
	cr_assert_str_eq(dm.q[0].name, "www.example.com");
	cr_assert_eq(dm.q[0].qtype, 1);
	cr_assert(dm.rd);
}

Test(doh, get_rfc8484_url_safe_label)
{
	/* RFC 8484 4.1.1, second example: a 62-character label whose base64
	 * needs '-' (standard base64 would have '+') */
	static const char r[] =
		"GET /dns-query?dns=AAABAAABAAAAAAAAAWE-NjJjaGFyYWN0ZXJsYWJlbC1tYWtlcy1iYXNlNjR1cmwtZGlzdGluY3Qt"
		"ZnJvbS1zdGFuZGFyZC1iYXNlNjQHZXhhbXBsZQNjb20AAAEAAQ HTTP/1.1\r\nHost: dnsserver.example.net\r\n\r\n";
	cr_assert_eq(req_exact(r, sizeof(r) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_GET);
	cr_assert_eq(req.msg_len, 94);
	cr_assert_eq(dns_parse(req.msg, req.msg_len, &dm), 0);
	cr_assert_str_eq(dm.q[0].name, "a.62characterlabel-makes-base64url-distinct-from-standard-base64.example.com");
}

Test(doh, get_param_forms)
{
	/* other parameters around it */
	static const char r0[] = "GET /q?ct=x&dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB&b=1 HTTP/1.0\r\n\r\n";
	cr_assert_eq(req_exact(r0, sizeof(r0) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_GET);
	cr_assert_eq(req.msg_len, 33);
	cr_assert_eq(req.anomalies, 0);
	/* padding sent percent-encoded (%3D): "Zm8=" is "fo" */
	static const char r1[] = "GET /q?dns=Zm8%3D HTTP/1.0\r\n\r\n";
	cr_assert_eq(req_exact(r1, sizeof(r1) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_GET);
	cr_assert_eq(req.msg_len, 2);
	cr_assert_eq(memcmp(req.msg, "fo", 2), 0);
	cr_assert_eq(req.anomalies, 0);
	/* "xdns=" is another parameter; "dns" with no '=' neither */
	static const char r2[] = "GET /q?xdns=AAAB&dns HTTP/1.1\r\n\r\n";
	cr_assert_eq(req_exact(r2, sizeof(r2) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_NONE);
	/* twice: the first is used, flagged */
	static const char r3[] = "GET /q?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB&dns=AAAA HTTP/1.1\r\n\r\n";
	cr_assert_eq(req_exact(r3, sizeof(r3) - 1), 0);
	cr_assert_eq(req.msg_len, 33);
	cr_assert(req.anomalies & DOH_ANOM_DUP_PARAM);
	/* a plain web request is not DoH */
	static const char r4[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
	cr_assert_eq(req_exact(r4, sizeof(r4) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_NONE);
	cr_assert_eq(req.msg_len, 0);
}

Test(doh, get_invalid_base64)
{
	static const char *const bad[] = {
		"GET /dns-query?dns=AAAB*AAA HTTP/1.1\r\n\r\n",
		"GET /dns-query?dns=AAAB+AAA HTTP/1.1\r\n\r\n", /* standard alphabet */
		"GET /dns-query?dns=AAABA HTTP/1.1\r\n\r\n",    /* 5 characters */
		"GET /dns-query?dns=AA%zzAA HTTP/1.1\r\n\r\n",  /* broken escape */
		"GET /dns-query?dns= HTTP/1.1\r\n\r\n",         /* empty */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(req_exact(bad[i], strlen(bad[i])), 0, "%zu", i);
		cr_assert_eq(req.kind, DOH_KIND_WIRE_GET);
		cr_assert(req.anomalies & DOH_ANOM_BAD_BASE64, "%zu", i);
		cr_assert_eq(req.msg_len, 0);
	}
}

static size_t post_rfc8484(uint8_t *buf, size_t cap)
{
	static const char head[] = "POST /dns-query HTTP/1.1\r\n"
				   "Host: dnsserver.example.net\r\n"
				   "Accept: application/dns-message\r\n"
				   "Content-Type: application/dns-message\r\n"
				   "Content-Length: 33\r\n"
				   "\r\n";
	size_t n = sizeof(head) - 1;
	memcpy(buf, head, n);
	return n + unhex(rfc8484_query_hex, buf + n, cap - n);
}

Test(doh, post_rfc8484_example)
{
	uint8_t buf[512];
	size_t n = post_rfc8484(buf, sizeof(buf));
	cr_assert_eq(req_exact(buf, n), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_POST);
	cr_assert_str_eq(req.method, "POST");
	cr_assert_str_eq(req.path, "/dns-query");
	cr_assert_str_eq(req.content_type, "application/dns-message");
	cr_assert(req.has_content_length);
	cr_assert_eq(req.content_length, 33);
	cr_assert_eq(req.msg_len, 33);
	cr_assert_eq(memcmp(req.msg, buf + n - 33, 33), 0);
	cr_assert_eq(req.consumed, n);
	cr_assert_eq(req.head_len, n - 33);
	cr_assert_eq(dns_parse(req.msg, req.msg_len, &dm), 0);
	cr_assert_str_eq(dm.q[0].name, "www.example.com");

	/* pipelined: a second request right after; consumed says where */
	uint8_t two[1024];
	memcpy(two, buf, n);
	memcpy(two + n, buf, n);
	cr_assert_eq(req_exact(two, 2 * n), 0);
	cr_assert_eq(req.consumed, n);
	cr_assert_eq(req_exact(two + req.consumed, n), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_POST);
}

Test(doh, post_body_incomplete_and_truncation_sweep)
{
	uint8_t buf[512];
	size_t n = post_rfc8484(buf, sizeof(buf));
	/* head complete, body 20 of 33 bytes */
	cr_assert_eq(req_exact(buf, n - 13), 1);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(req_exact(buf, k), 1, "prefix %zu", k);
	cr_assert_eq(req_exact(buf, n), 0);
}

Test(doh, post_other_content_type_is_not_read)
{
	static const char r[] = "POST /upload HTTP/1.1\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\nPNG";
	cr_assert_eq(req_exact(r, sizeof(r) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_NONE);
	cr_assert_eq(req.msg_len, 0);
	cr_assert_eq(req.consumed, req.head_len + 1000000);
}

Test(doh, post_chunked)
{
	/* the 33 bytes in chunks of 0x10 (with an extension) and 0x11, then a trailer */
	uint8_t q[64], buf[512];
	unhex(rfc8484_query_hex, q, sizeof(q));
	static const char head[] = "POST /dns-query HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	size_t n = 0;
	memcpy(buf, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memcpy(buf + n, "10;x=y\r\n", 8);
	n += 8;
	memcpy(buf + n, q, 16);
	n += 16;
	memcpy(buf + n, "\r\n11\r\n", 6);
	n += 6;
	memcpy(buf + n, q + 16, 17);
	n += 17;
	memcpy(buf + n, "\r\n0\r\nX-T: 1\r\n\r\n", 15);
	n += 15;
	cr_assert_eq(req_exact(buf, n), 0);
	cr_assert_eq(req.kind, DOH_KIND_WIRE_POST);
	cr_assert(req.chunked);
	cr_assert(req.anomalies & DOH_ANOM_CHUNKED);
	cr_assert_eq(req.msg_len, 33);
	cr_assert_eq(memcmp(req.msg, q, 33), 0);
	cr_assert_eq(req.consumed, n);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(req_exact(buf, k), 1, "prefix %zu", k);
	/* a chunk size that is not hex, or larger than any DNS message */
	static const char b1[] = "POST / HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
				 "Transfer-Encoding: chunked\r\n\r\nzz\r\n";
	cr_assert_eq(req_exact(b1, sizeof(b1) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_CHUNKED);
	static const char b2[] = "POST / HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n10000\r\n";
	cr_assert_eq(req_exact(b2, sizeof(b2) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_CHUNKED);
	static const char b3[] = "POST / HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
				 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n";
	cr_assert_eq(req_exact(b3, sizeof(b3) - 1), 0);
	cr_assert(req.anomalies & DOH_ANOM_CL_AND_TE);
	cr_assert_eq(req.msg_len, 0);
}

Test(doh, oversized_or_bad_content_length)
{
	static const char r1[] = "POST /dns-query HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
				 "Content-Length: 65536\r\n\r\n";
	cr_assert_eq(req_exact(r1, sizeof(r1) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_CONTENT_LENGTH);
	static const char r2[] = "POST /dns-query HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
				 "Content-Length: 99999999999999999999999\r\n\r\n";
	cr_assert_eq(req_exact(r2, sizeof(r2) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_CONTENT_LENGTH);
	static const char r3[] = "POST /dns-query HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
	cr_assert_eq(req_exact(r3, sizeof(r3) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_CONTENT_LENGTH);
	static const char r4[] = "POST /dns-query HTTP/1.1\r\nContent-Length: -1\r\n\r\n";
	cr_assert_eq(req_exact(r4, sizeof(r4) - 1), -1);
	static const char r5[] = "POST /dns-query HTTP/1.1\r\nContent-Length: 0x21\r\n\r\n";
	cr_assert_eq(req_exact(r5, sizeof(r5) - 1), -1);
	/* the same value twice is fine */
	static const char r6[] = "POST /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab";
	cr_assert_eq(req_exact(r6, sizeof(r6) - 1), 0);
	cr_assert_eq(req.consumed, sizeof(r6) - 1);
}

Test(doh, json_api_get)
{
	static const char g[] = "GET /resolve?name=example.com&type=AAAA HTTP/1.1\r\nHost: dns.google\r\n\r\n";
	cr_assert_eq(req_exact(g, sizeof(g) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_JSON_GET);
	cr_assert_str_eq(req.json_name, "example.com");
	cr_assert_str_eq(req.json_type, "AAAA");
	/* Cloudflare style: Accept says so; trailing dot dropped, %2D decoded */
	static const char c[] = "GET /dns-query?name=www.ex%2Dample.org.&type=A HTTP/1.1\r\n"
				"Accept: application/dns-json\r\n\r\n";
	cr_assert_eq(req_exact(c, sizeof(c) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_JSON_GET);
	cr_assert_str_eq(req.json_name, "www.ex-ample.org");
	cr_assert_str_eq(req.json_type, "A");
	/* ct= parameter, no type, a control byte in the name */
	static const char t[] = "GET /q?ct=application/dns-json&name=a%0Ab HTTP/1.1\r\n\r\n";
	cr_assert_eq(req_exact(t, sizeof(t) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_JSON_GET);
	cr_assert_str_eq(req.json_name, "a\\010b");
	cr_assert_str_eq(req.json_type, "");
	cr_assert(req.anomalies & DOH_ANOM_FIELD_CHARS);
	/* a search form is not a resolver */
	static const char s[] = "GET /search?name=bob HTTP/1.1\r\nAccept: text/html\r\n\r\n";
	cr_assert_eq(req_exact(s, sizeof(s) - 1), 0);
	cr_assert_eq(req.kind, DOH_KIND_NONE);
}

Test(doh, header_bomb_refused)
{
	/* 10,000 header lines: refused as soon as line 101 is seen */
	size_t n = 0, cap = 32 + 10000 * 9 + 4;
	char *b = malloc(cap);
	cr_assert(b);
	n += (size_t)sprintf(b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(b + n, "X-%04x:\r\n", i % 0x10000);
	n += (size_t)sprintf(b + n, "\r\n");
	cr_assert_eq(req_exact(b, n), -1);
	cr_assert_eq(req.err, DOH_ERR_TOO_MANY_HEADERS);
	/* and before the end of the head has even arrived */
	cr_assert_eq(req_exact(b, 2000), -1);
	cr_assert_eq(req.err, DOH_ERR_TOO_MANY_HEADERS);
	/* exactly 100 header lines are fine, 101 are not */
	n = (size_t)sprintf(b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(b + n, "X-%04x:\r\n", i);
	memcpy(b + n, "\r\n", 2);
	cr_assert_eq(req_exact(b, n + 2), 0);
	n += (size_t)sprintf(b + n, "X-last:\r\n\r\n");
	cr_assert_eq(req_exact(b, n), -1);
	cr_assert_eq(req.err, DOH_ERR_TOO_MANY_HEADERS);
	free(b);
}

Test(doh, head_too_large)
{
	/* one 20,000-byte header: no end of head within 16 KiB */
	size_t n = 0;
	char *b = malloc(21000);
	cr_assert(b);
	n += (size_t)sprintf(b, "GET / HTTP/1.1\r\nCookie: ");
	memset(b + n, 'a', 20000);
	n += 20000;
	memcpy(b + n, "\r\n\r\n", 4);
	n += 4;
	cr_assert_eq(req_exact(b, n), -1);
	cr_assert_eq(req.err, DOH_ERR_HEAD_TOO_LARGE);
	/* 10,000 of those bytes: still waiting */
	cr_assert_eq(req_exact(b, 10000), 1);
	free(b);
}

Test(doh, not_http_and_bad_lines)
{
	/* a TLS ClientHello on port 80 is refused from its first byte */
	cr_assert_eq(req_exact("\x16\x03\x01", 3), -1);
	cr_assert_eq(req.err, DOH_ERR_NOT_HTTP);
	cr_assert_eq(req_exact("G", 1), 1);
	cr_assert_eq(req_exact("GET /", 5), 1);
	cr_assert_eq(req_exact("GET / HTTP/1.", 13), 1);
	cr_assert_eq(req_exact("GET / HTTP/2.0\r\n", 16), -1);
	cr_assert_eq(req_exact("GET / HTTP/1.1x\r\n\r\n", 19), -1);
	cr_assert_eq(req_exact("GET  / HTTP/1.1\r\n\r\n", 19), -1);
	cr_assert_eq(req_exact("VERYLONGMETHODNAME / HTTP/1.1\r\n\r\n", 33), -1);
	cr_assert_eq(req_exact("GET /a\x01 HTTP/1.1\r\n\r\n", 20), -1);
	cr_assert_eq(req_exact("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24), -1);
	/* RFC 9112 5.1: no space before the colon; 5.2: no obs-fold */
	static const char s1[] = "GET / HTTP/1.1\r\nHost : x\r\n\r\n";
	cr_assert_eq(req_exact(s1, sizeof(s1) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_BAD_HEADER);
	static const char s2[] = "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n";
	cr_assert_eq(req_exact(s2, sizeof(s2) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_BAD_HEADER);
	static const char s3[] = "GET / HTTP/1.1\r\nno colon\r\n\r\n";
	cr_assert_eq(req_exact(s3, sizeof(s3) - 1), -1);
	cr_assert_eq(req.err, DOH_ERR_BAD_HEADER);
	/* leading CRLFs are skipped, bare LF accepted and flagged, control
	 * bytes in a kept value replaced */
	static const char ok[] = "\r\n\r\nGET / HTTP/1.1\nHost: a\x01<b>\n\n";
	cr_assert_eq(req_exact(ok, sizeof(ok) - 1), 0);
	cr_assert(req.anomalies & DOH_ANOM_BARE_LF);
	cr_assert(req.anomalies & DOH_ANOM_FIELD_CHARS);
	cr_assert_str_eq(req.host, "a?<b>");
	cr_assert_eq(req.head_len, sizeof(ok) - 1);
}

/* ---------------------------------------------------------------------- */
/* HTTP/1 responses */

static size_t resp_rfc8484(uint8_t *buf, size_t cap)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/dns-message\r\n"
				   "Content-Length: 61\r\n"
				   "Cache-Control: max-age=3709\r\n"
				   "\r\n";
	size_t n = sizeof(head) - 1;
	memcpy(buf, head, n);
	return n + unhex(rfc8484_answer_hex, buf + n, cap - n);
}

Test(doh, response_rfc8484_example)
{
	uint8_t buf[512];
	size_t n = resp_rfc8484(buf, sizeof(buf));
	cr_assert_eq(resp_exact(buf, n), 0);
	cr_assert_eq(resp.kind, DOH_KIND_WIRE_RESPONSE);
	cr_assert_eq(resp.status, 200);
	cr_assert_eq(resp.msg_len, 61);
	cr_assert_eq(resp.consumed, n);
	cr_assert_eq(dns_parse(resp.msg, resp.msg_len, &dm), 0);
	cr_assert(dm.qr);
	cr_assert_eq(dm.nrr, 1);
	cr_assert_str_eq(dm.rr[0].data, "2001:db8:abcd:12:1:2:3:4");
	cr_assert_eq(dm.rr[0].ttl, 3709);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(resp_exact(buf, k), 1, "prefix %zu", k);
}

Test(doh, response_forms)
{
	/* interim response: no body, the real one follows */
	static const char c100[] = "HTTP/1.1 100 Continue\r\n\r\n";
	cr_assert_eq(resp_exact(c100, sizeof(c100) - 1), 0);
	cr_assert_eq(resp.status, 100);
	cr_assert_eq(resp.consumed, sizeof(c100) - 1);
	/* 204 with a DoH type still has no body */
	static const char c204[] = "HTTP/1.1 204 No Content\r\nContent-Type: application/dns-message\r\n\r\nXYZ";
	cr_assert_eq(resp_exact(c204, sizeof(c204) - 1), 0);
	cr_assert_eq(resp.msg_len, 0);
	cr_assert_eq(resp.consumed, sizeof(c204) - 4);
	/* no length: the body runs to the end of what is given */
	static const char cl[] = "HTTP/1.0 200\r\nContent-Type: Application/DNS-Message; x=1\r\n\r\nabcd";
	cr_assert_eq(resp_exact(cl, sizeof(cl) - 1), 0);
	cr_assert_eq(resp.kind, DOH_KIND_WIRE_RESPONSE);
	cr_assert_eq(resp.msg_len, 4);
	cr_assert(resp.anomalies & DOH_ANOM_NO_LENGTH);
	/* JSON answer kept as text */
	static const char js[] = "HTTP/1.1 200 OK\r\nContent-Type: application/dns-json\r\nContent-Length: 2\r\n\r\n{}";
	cr_assert_eq(resp_exact(js, sizeof(js) - 1), 0);
	cr_assert_eq(resp.kind, DOH_KIND_JSON_RESPONSE);
	cr_assert_eq(resp.msg_len, 2);
	/* a web page is not read */
	static const char web[] = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\n<p>";
	cr_assert_eq(resp_exact(web, sizeof(web) - 1), 0);
	cr_assert_eq(resp.kind, DOH_KIND_NONE);
	cr_assert_eq(resp.status, 404);
	cr_assert_eq(resp.consumed, sizeof(web) - 1 + 2);
	/* not responses */
	cr_assert_eq(resp_exact("HTTP/1.1 999 X\r\n\r\n", 18), -1);
	cr_assert_eq(resp_exact("HTTP/1.1 20 X\r\n\r\n", 17), -1);
	cr_assert_eq(resp_exact("SSH-2.0-OpenSSH\r\n", 17), -1);
	cr_assert_eq(resp.err, DOH_ERR_NOT_HTTP);
	cr_assert_eq(resp_exact("HTTP/1.1 2", 10), 1);
}

/* Every byte replaced by a few values: never crashes, never reads out of
 * bounds (ASan), always one of the three answers. */
Test(doh, http1_mutation_sweep)
{
	uint8_t buf[512];
	const uint8_t vals[] = {0x00, '\n', '\r', ' ', ':', '0', 'f', 0xff};
	size_t n = post_rfc8484(buf, sizeof(buf));
	for (size_t k = 0; k < n; k++) {
		uint8_t orig = buf[k];
		for (size_t j = 0; j < sizeof(vals); j++) {
			buf[k] = vals[j];
			int r = req_exact(buf, n);
			cr_assert(r == 0 || r == 1 || r == -1);
			if (r == -1)
				cr_assert_neq(req.err, DOH_OK);
		}
		buf[k] = orig;
	}
	n = resp_rfc8484(buf, sizeof(buf));
	for (size_t k = 0; k < n; k++) {
		uint8_t orig = buf[k];
		for (size_t j = 0; j < sizeof(vals); j++) {
			buf[k] = vals[j];
			int r = resp_exact(buf, n);
			cr_assert(r == 0 || r == 1 || r == -1);
		}
		buf[k] = orig;
	}
}

Test(doh, names)
{
	cr_assert_str_eq(doh_err_str(DOH_ERR_TOO_MANY_HEADERS), "too-many-headers");
	cr_assert_str_eq(doh_err_str(DOH_ERR_HPACK), "hpack");
	cr_assert_str_eq(doh_err_str((enum doh_err)77), "unknown");
	cr_assert_str_eq(doh_kind_str(DOH_KIND_WIRE_GET), "wire-get");
	cr_assert_str_eq(doh_kind_str(DOH_KIND_JSON_RESPONSE), "json-response");
}

/* ---------------------------------------------------------------------- */
/* Huffman (RFC 7541 Appendix B; strings from the C.4 and C.6 examples) */

static int huff(const char *hex, char *out, size_t cap, size_t *n)
{
	uint8_t in[256];
	size_t len = unhex(hex, in, sizeof(in));
	int r = doh_huffman_decode(in, len, (uint8_t *)out, cap, n);
	if (r == 0 && *n < cap)
		out[*n] = '\0';
	return r;
}

Test(doh, huffman_rfc7541_strings)
{
	char s[128];
	size_t n;
	cr_assert_eq(huff("f1e3 c2e5 f23a 6ba0 ab90 f4ff", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "www.example.com");
	cr_assert_eq(huff("a8eb 1064 9cbf", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "no-cache");
	cr_assert_eq(huff("25a8 49e9 5ba9 7d7f", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "custom-key");
	cr_assert_eq(huff("25a8 49e9 5bb8 e8b4 bf", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "custom-value");
	cr_assert_eq(huff("6402", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "302");
	cr_assert_eq(huff("aec3 771a 4b", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "private");
	cr_assert_eq(huff("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "Mon, 21 Oct 2013 20:13:21 GMT");
	cr_assert_eq(huff("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "https://www.example.com");
	cr_assert_eq(huff("94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
			  s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1");
	cr_assert_eq(huff("", s, sizeof(s), &n), 0);
	cr_assert_eq(n, 0);
	/* output past cap is not written, the length is still the full one */
	char small[4] = {0, 0, 0, 'Z'};
	cr_assert_eq(huff("f1e3 c2e5 f23a 6ba0 ab90 f4ff", small, 3, &n), 0);
	cr_assert_eq(n, 15);
	cr_assert_eq(memcmp(small, "www", 3), 0);
	cr_assert_eq(small[3], 'Z');
}

Test(doh, huffman_refuses_bad_padding_and_eos)
{
	char s[64];
	size_t n;
	/* 'a' is 00011: padded with 111 is fine, with 000 is not */
	cr_assert_eq(huff("1f", s, sizeof(s), &n), 0);
	cr_assert_str_eq(s, "a");
	cr_assert_eq(huff("18", s, sizeof(s), &n), -1);
	/* 8 bits of padding (a whole 0xff after the string) */
	cr_assert_eq(huff("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff", s, sizeof(s), &n), -1);
	/* EOS (30 ones) inside the string */
	cr_assert_eq(huff("ffff fffc", s, sizeof(s), &n), -1);
	cr_assert_eq(huff("ffff ffff", s, sizeof(s), &n), -1);
}

/* ---------------------------------------------------------------------- */
/* HPACK (RFC 7541 Appendix C) */

static char hout[16384];
static size_t hcalls;
static bool hcut;

static void hcollect(void *u, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl, bool cut)
{
	size_t k = strlen(hout);
	(void)u;
	hcalls++;
	hcut = hcut || cut;
	if (k + nl + vl + 4 < sizeof(hout))
		snprintf(hout + k, sizeof(hout) - k, "%.*s: %.*s\n", (int)nl, (const char *)name, (int)vl,
			 (const char *)v);
}

static void hcollect_quiet(void *u, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl, bool cut)
{
	(void)u;
	(void)name;
	(void)v;
	(void)cut;
	cr_assert(nl <= DOH_HPACK_STRING_MAX && vl <= DOH_HPACK_STRING_MAX);
}

static int hdec(struct doh_hpack *h, const char *hex, uint32_t *anom)
{
	static uint8_t blk[70000];
	size_t n = unhex(hex, blk, sizeof(blk));
	hout[0] = '\0';
	hcalls = 0;
	hcut = false;
	return doh_hpack_decode(h, blk, n, hcollect, NULL, anom);
}

Test(doh, hpack_c2_single_fields)
{
	struct doh_hpack h;
	uint32_t a = 0;
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	/* C.2.1 literal with indexing */
	cr_assert_eq(hdec(&h, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", &a), 0);
	cr_assert_str_eq(hout, "custom-key: custom-header\n");
	cr_assert_eq(h.size, 55);
	cr_assert_eq(h.n, 1);
	doh_hpack_free(&h);
	/* C.2.2 without indexing */
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	cr_assert_eq(hdec(&h, "040c 2f73 616d 706c 652f 7061 7468", &a), 0);
	cr_assert_str_eq(hout, ":path: /sample/path\n");
	cr_assert_eq(h.n, 0);
	/* C.2.3 never indexed */
	cr_assert_eq(hdec(&h, "1008 7061 7373 776f 7264 0673 6563 7265 74", &a), 0);
	cr_assert_str_eq(hout, "password: secret\n");
	cr_assert_eq(h.n, 0);
	/* C.2.4 indexed */
	cr_assert_eq(hdec(&h, "82", &a), 0);
	cr_assert_str_eq(hout, ":method: GET\n");
	cr_assert_eq(a, 0);
	doh_hpack_free(&h);
}

/* C.3 (plain) and C.4 (Huffman): three requests on one connection. */
static void requests(const char *const *blocks)
{
	struct doh_hpack h;
	uint32_t a = 0;
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	cr_assert_eq(hdec(&h, blocks[0], &a), 0);
	cr_assert_str_eq(hout, ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n");
	cr_assert_eq(h.size, 57);
	cr_assert_eq(hdec(&h, blocks[1], &a), 0);
	cr_assert_str_eq(hout, ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n"
			       "cache-control: no-cache\n");
	cr_assert_eq(h.size, 110);
	cr_assert_eq(hdec(&h, blocks[2], &a), 0);
	cr_assert_str_eq(hout, ":method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\n"
			       "custom-key: custom-value\n");
	cr_assert_eq(h.size, 164);
	cr_assert_eq(h.n, 3);
	/* dynamic indices now: 62 custom-key, 63 cache-control, 64 :authority */
	cr_assert_eq(hdec(&h, "be bf c0", &a), 0);
	cr_assert_str_eq(hout, "custom-key: custom-value\ncache-control: no-cache\n:authority: www.example.com\n");
	cr_assert_eq(hdec(&h, "c1", &a), -1);
	cr_assert_eq(a, 0);
	doh_hpack_free(&h);
}

Test(doh, hpack_c3_requests_plain)
{
	static const char *const b[] = {
		"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
		"8286 84be 5808 6e6f 2d63 6163 6865",
		"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
	};
	requests(b);
}

Test(doh, hpack_c4_requests_huffman)
{
	static const char *const b[] = {
		"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
		"8286 84be 5886 a8eb 1064 9cbf",
		"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
	};
	requests(b);
}

/* C.5 (plain) and C.6 (Huffman): responses with a 256-byte table, so that
 * entries are evicted. */
static void responses(const char *const *blocks)
{
	struct doh_hpack h;
	uint32_t a = 0;
	doh_hpack_init(&h, 256);
	cr_assert_eq(hdec(&h, blocks[0], &a), 0);
	cr_assert_str_eq(hout, ":status: 302\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:21 GMT\n"
			       "location: https://www.example.com\n");
	cr_assert_eq(h.size, 222);
	cr_assert_eq(h.n, 4);
	cr_assert_eq(hdec(&h, blocks[1], &a), 0);
	cr_assert_str_eq(hout, ":status: 307\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:21 GMT\n"
			       "location: https://www.example.com\n");
	cr_assert_eq(h.size, 222);
	cr_assert_eq(h.n, 4);
	cr_assert_eq(hdec(&h, blocks[2], &a), 0);
	cr_assert_str_eq(hout, ":status: 200\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:22 GMT\n"
			       "location: https://www.example.com\ncontent-encoding: gzip\n"
			       "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n");
	cr_assert_eq(h.size, 215);
	cr_assert_eq(h.n, 3);
	cr_assert_eq(hdec(&h, "be bf c0", &a), 0);
	cr_assert_str_eq(hout, "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n"
			       "content-encoding: gzip\ndate: Mon, 21 Oct 2013 20:13:22 GMT\n");
	cr_assert_eq(hdec(&h, "c1", &a), -1);
	doh_hpack_free(&h);
}

Test(doh, hpack_c5_responses_plain)
{
	static const char *const b[] = {
		"4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32"
		"3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
		"4803 3330 37c1 c0bf",
		"88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970"
		"7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61"
		"6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
	};
	responses(b);
}

Test(doh, hpack_c6_responses_huffman)
{
	static const char *const b[] = {
		"4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad"
		"1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
		"4883 640e ffc1 c0bf",
		"88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2"
		"e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
	};
	responses(b);
}

Test(doh, hpack_hostile)
{
	struct doh_hpack h;
	uint32_t a = 0;
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	cr_assert_eq(hdec(&h, "80", &a), -1);                   /* index 0 */
	cr_assert_eq(hdec(&h, "be", &a), -1);                   /* 62 in an empty table */
	cr_assert_eq(hdec(&h, "ff 80 80 80 80 80 01", &a), -1); /* 6 continuation bytes */
	cr_assert_eq(hdec(&h, "ff ff ff ff ff 0f", &a), -1);    /* 127 + 2^35-ish */
	cr_assert_eq(hdec(&h, "ff 81 80 80 80 08", &a), -1);    /* 127 + 1 + 2^31: one past the limit */
	cr_assert_eq(hdec(&h, "ff", &a), -1);                   /* continuation missing */
	cr_assert_eq(hdec(&h, "40 85 61", &a), -1);             /* name says 5 bytes, 1 present */
	cr_assert_eq(hdec(&h, "40 01 61 7f 80 80 80 80 08", &a), -1); /* value length 2^31 */
	cr_assert_eq(hdec(&h, "40 01 61 81 18", &a), -1);       /* Huffman with zero padding */
	cr_assert_eq(hdec(&h, "00 84 ff ff ff ff 00", &a), -1);  /* EOS in a name */
	cr_assert_eq(hdec(&h, "44", &a), -1);                   /* literal, value missing */
	cr_assert_eq(hdec(&h, "3f e2 ff 03", &a), -1);          /* size update to 65537: over the cap */
	/* an empty block is fine, so is a size update within the cap */
	cr_assert_eq(hdec(&h, "", &a), 0);
	cr_assert_eq(hdec(&h, "3f e1 ff 03", &a), 0);           /* 31 + 0x61 + 0x7f<<7 + 3<<14 = 65536 */
	cr_assert_eq(h.max_size, 65536);
	cr_assert_eq(hdec(&h, "3f e1 ff 02", &a), 0);           /* 31 + 0x61 + 0x7f<<7 + 2<<14 = 49152 */
	cr_assert_eq(h.max_size, 49152);
	cr_assert_eq(a, 0);
	/* a size update after a field is accepted and flagged */
	cr_assert_eq(hdec(&h, "82 3f 00", &a), 0);
	cr_assert(a & DOH_ANOM_HPACK_LATE_SIZE);
	cr_assert_eq(h.max_size, 31);
	doh_hpack_free(&h);
	/* a small cap refuses what a large one accepts */
	doh_hpack_init(&h, 256);
	cr_assert_eq(hdec(&h, "3f e2 01", &a), -1);             /* 31 + 0x62 + 1<<7 = 257 */
	doh_hpack_free(&h);
}

Test(doh, hpack_fields_cap_and_cut)
{
	struct doh_hpack h;
	uint32_t a = 0;
	static char hex[300 * 3 + 1];
	for (int i = 0; i < 300; i++)
		memcpy(hex + 3 * i, "82 ", 3);
	hex[900] = '\0';
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	cr_assert_eq(hdec(&h, hex, &a), 0);
	cr_assert_eq(hcalls, DOH_HPACK_FIELDS_MAX);
	cr_assert(a & DOH_ANOM_HPACK_FIELDS);

	/* a 10,000-byte raw value is passed cut at DOH_HPACK_STRING_MAX */
	static uint8_t blk[10100];
	size_t n = 0;
	blk[n++] = 0x04; /* without indexing, name :path */
	blk[n++] = 0x7f; /* length 127 + 9873 = 10000: 9873 = 0x11 + 0x4d<<7 */
	blk[n++] = 0x91;
	blk[n++] = 0x4d;
	memset(blk + n, 'p', 10000);
	n += 10000;
	hcalls = 0;
	hcut = false;
	hout[0] = '\0';
	cr_assert_eq(doh_hpack_decode(&h, blk, n, hcollect, NULL, &a), 0);
	cr_assert_eq(hcalls, 1);
	cr_assert(hcut);
	doh_hpack_free(&h);
}

/*
 * Many insertions of varied sizes into a 65536-byte table, each checked
 * by reading back three indices against a plain model (an array of the
 * live entries, oldest first).  This walks eviction, the entry ring and the
 * compaction of the byte buffer.
 */
Test(doh, hpack_large_table_against_model)
{
	struct doh_hpack h;
	static char mname[4000][32], mval[4000][1100];
	static size_t msize[4000];
	size_t first = 0, count = 0, total = 0;
	uint32_t a = 0;
	static uint8_t blk[4096];
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	/* size update to 65536: 001 11111 then 65505 = 0x61 + 0x7f<<7 + 3<<14 */
	const uint8_t su[] = {0x3f, 0xe1, 0xff, 0x03};
	cr_assert_eq(doh_hpack_decode(&h, su, sizeof(su), NULL, NULL, &a), 0);
	cr_assert_eq(h.max_size, 65536);
	for (size_t i = 0; i < 4000; i++) {
		size_t vl = (i * 37) % 1000 + 1, nl;
		nl = (size_t)snprintf(mname[i], sizeof(mname[i]), "k%zu", i);
		memset(mval[i], 'a' + (int)(i % 26), vl);
		mval[i][vl] = '\0';
		msize[i] = nl + vl + 32;
		/* literal with incremental indexing, new name, raw strings */
		size_t n = 0;
		blk[n++] = 0x40;
		blk[n++] = (uint8_t)nl;
		memcpy(blk + n, mname[i], nl);
		n += nl;
		if (vl < 127) {
			blk[n++] = (uint8_t)vl;
		} else {
			size_t r = vl - 127;
			blk[n++] = 0x7f;
			while (r >= 128) {
				blk[n++] = (uint8_t)(0x80 | (r & 0x7f));
				r >>= 7;
			}
			blk[n++] = (uint8_t)r;
		}
		memcpy(blk + n, mval[i], vl);
		n += vl;
		cr_assert_eq(doh_hpack_decode(&h, blk, n, NULL, NULL, &a), 0);
		/* the model */
		count++;
		total += msize[i];
		while (total > 65536) {
			total -= msize[first];
			first++;
			count--;
		}
		cr_assert_eq(h.size, total, "step %zu", i);
		cr_assert_eq(h.n, count, "step %zu", i);
		/* read back the newest, the oldest and one in the middle */
		size_t probes[3] = {0, count - 1, count / 2};
		for (int k = 0; k < 3; k++) {
			size_t d = probes[k];
			size_t e = first + count - 1 - d;
			uint8_t ix[4];
			size_t xn = 0;
			size_t idx = 62 + d;
			if (idx < 127) {
				ix[xn++] = (uint8_t)(0x80 | idx);
			} else {
				ix[xn++] = 0xff;
				size_t r = idx - 127;
				while (r >= 128) {
					ix[xn++] = (uint8_t)(0x80 | (r & 0x7f));
					r >>= 7;
				}
				ix[xn++] = (uint8_t)r;
			}
			hout[0] = '\0';
			cr_assert_eq(doh_hpack_decode(&h, ix, xn, hcollect, NULL, &a), 0);
			char want[1200];
			snprintf(want, sizeof(want), "%s: %s\n", mname[e], mval[e]);
			cr_assert_str_eq(hout, want, "step %zu probe %zu", i, d);
		}
	}
	/* an entry larger than the table empties it */
	static uint8_t big[70000];
	size_t n = 0;
	big[n++] = 0x40;
	big[n++] = 1;
	big[n++] = 'z';
	big[n++] = 0x7f; /* 65600 - 127 = 65473 = 0x41 + 0x7f<<7 + 3<<14 */
	big[n++] = 0xc1;
	big[n++] = 0xff;
	big[n++] = 0x03;
	memset(big + n, 'q', 65600);
	n += 65600;
	cr_assert_eq(doh_hpack_decode(&h, big, n, NULL, NULL, &a), 0);
	cr_assert_eq(h.n, 0);
	cr_assert_eq(h.size, 0);
	doh_hpack_free(&h);
}

/* ---------------------------------------------------------------------- */
/* h2c */

struct got {
	uint32_t stream;
	int dir;
	enum doh_kind kind;
	char method[16], path[DOH_PATH_TEXT_MAX], auth[256], ctype[128], jname[64];
	uint16_t status;
	size_t msg_len;
	uint8_t msg[512];
	char qname[DNS_NAME_TEXT_MAX];
	uint16_t qtype;
	bool parsed;
	uint32_t anom;
};
static struct got got[256];
static size_t ngot;

static void on_msg(void *u, const struct doh_h2_msg *m)
{
	(void)u;
	cr_assert(ngot < sizeof(got) / sizeof(got[0]));
	struct got *g = &got[ngot++];
	memset(g, 0, sizeof(*g));
	g->stream = m->stream_id;
	g->dir = m->dir;
	g->kind = m->kind;
	snprintf(g->method, sizeof(g->method), "%s", m->method);
	snprintf(g->path, sizeof(g->path), "%s", m->path);
	snprintf(g->auth, sizeof(g->auth), "%s", m->authority);
	snprintf(g->ctype, sizeof(g->ctype), "%s", m->content_type);
	snprintf(g->jname, sizeof(g->jname), "%s", m->json_name);
	g->status = m->status;
	g->msg_len = m->msg_len;
	g->anom = m->anomalies;
	memcpy(g->msg, m->msg, m->msg_len < sizeof(g->msg) ? m->msg_len : sizeof(g->msg));
	if (m->msg_len && dns_parse(m->msg, m->msg_len, &dm) == 0 && dm.nq > 0) {
		g->parsed = true;
		snprintf(g->qname, sizeof(g->qname), "%s", dm.q[0].name);
		g->qtype = dm.q[0].qtype;
	}
}

static int feed_exact(struct doh_h2 *c, int dir, const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	cr_assert(copy);
	if (n)
		memcpy(copy, p, n);
	int r = doh_h2_feed(c, dir, copy, n);
	free(copy);
	return r;
}

/*
 * suricata-verify tests/dns-over-http2/dns_over_https.pcap (corpus): DoH
 * over cleartext HTTP/2 from Chrome to 8.8.4.4:80, every TCP payload in
 * capture order (tshark -T fields -e frame.number -e tcp.srcport -e
 * tcp.payload; dir 0 from port 49792).  tshark -d tcp.port==80,http2 shows
 * GET ?dns= on streams 1 and 3 (www.gstatic.com A), 5 (nav-edge.smartscreen.
 * microsoft.com A) and 7 (same name, HTTPS = 65); RST_STREAM[7] from the
 * client in frame 20; 200 responses with application/dns-message on all
 * four, e.g. frame 9: www.gstatic.com A 142.250.185.227.  The server's
 * first header block (frame 8) starts with a table size update to 12288.
 * suricata's test.yaml expects these names twice each.
 */
struct seg {
	int dir;
	const char *hex;
};
static const struct seg suri_get[] = {
	/* frame 4 */ {0, "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a00001e04000000000000010001000000"
		"02000000000003000003e800040060000000060004000000000408000000000000ef00010000c501"
		"2500000001800000009282418792a42f31cf35058704ff0f624a90b76b4b67aff24a910430c37618"
		"61bb0c30c30c30dd85991993c495119db3c98a8e908b4f78f6430c3b21bb0c30d782186186186187"
		"0ec86fc3776430c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30"
		"c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c3"
		"0c30c30c30c353901d75d0620d263d4c495216a4a840e62f51012a7a85bd3d87a4bf50863485a926"
		"4faf00009d012500000003800000019282c28704ff0f624a90b76b4b67aff24a910430c3761861bb"
		"0c30c30c30dd85991993c495119db3c98a8e908b4f78f6430c3b21bb0c30d7821861861861870ec8"
		"6fc3776430c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c"
		"30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30"
		"c30c30c3c1c0bfbe"},
	/* frame 5 */ {1, "000012040000000000000300000064000400100000000600010000000004080000000000000f0001"},
	/* frame 6 */ {0, "000000040100000000"},
	/* frame 7 */ {1, "000000040100000000"},
	/* frame 8 */ {1, "00015e0104000000013fe15f884090f2b10f524b52564faacab1eb498f523f85a8e8a8d2cb78a0a4"
		"7e561cc58190b6cb80003ed43544a2d90bbad8ef9e919aa47da95d85a0e39354012a0f1296df697e"
		"9413aa5f2914100425041b8272e05e53168dff6496df697e9413aa5f2914100425041b8272e05e53"
		"168dff588faec3771a4bf4a523f2b0e62c0c801f5f901d75d0620d263d4c495216a4a840e62f7692"
		"c7bf7eb5105b3b96c53fab6aeb51fc55fdff5c03343638408cf2b794216aec3a4a4498f57f013040"
		"8bf2b4b60e92ac7ad263d48f89dd0e8c1ab6e4c5934f40851d09591dc9ff019d983f9b8d34cff3f6"
		"a523804dbe20001f53b2b09f83f9b8d34cff3f6a523804dbe20001f53b2b6c036083f9b8d34cff3f"
		"6a523804dbe20001f53b2b6c034e41fcdc69a67f9fb5291c026df10000fa9d95b601a660fe6e34d3"
		"3fcfda948e0136f880007d76b4c483f9b8d34cff3f6a523804dbe20001f6a7783f969cfa699fe7"},
	/* frame 9 */ {1, "0001d400000000000100008180000100010000000103777777076773746174696303636f6d000001"
		"0001c00c000100010000012c00048efab9e30000290200000000000198000c019400000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0001000000010000080600000000000000000000000000"},
	/* frame 10 */ {1, "00002501040000000388c8c7c60f1296df697e9413aa5f2914100425041b8272e05e53168dffc5c4"
		"c3c2c1c0bfbe0001d400000000000300008180000100010000000103777777076773746174696303"
		"636f6d0000010001c00c000100010000012c00048efab9e30000290200000000000198000c019400"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"000000"},
	/* frame 11 */ {1, "000000000100000003"},
	/* frame 12 */ {0, "0000080601000000000000000000000000"},
	/* frame 13 */ {0, "00009e012500000005800000006d82c28704ff10624a90b76b4b67aff24a910430c3761861bb0c30"
		"c30c30ddbd89b9e43068fdc5251799d29e7f99404169f5fbcb8db7b906be6ce5ee413f4c90e9e918"
		"810c30e0861d90c39b6c30c30c30c30ddbb0c3e21d7b218618618618618618618618618618618618"
		"61861861861861861861861861861861861861861861861861861861861861861861861861861861"
		"861861c1c0bfbe"},
	/* frame 14 */ {0, "00009f012500000007800000056d82c28704ff11624a90b76b4b67aff24a910430c3761861bb0c30"
		"c30c30ddbd89b9e43068fdc5251799d29e7f99404169f5fbcb8db7b906be6ce5ee413f4c90e9e918"
		"810c3830430ec861cdb6186186186186edd861f10ebd90c30c30c30c30c30c30c30c30c30c30c30c"
		"30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30c30"
		"c30c30ffc1c0bfbe"},
	/* frame 15 */ {1, "00004b01040000000588c8c7c60f1296df697e9413aa5f2914100425041b8272e09b53168dff6496"
		"df697e9413aa5f2914100425041b8272e09b53168dff588eaec3771a4bf4a523f2b0e62c0fffc5c4"
		"c3c2c1c0"},
	/* frame 16 */ {1, "0001d4000000000005000081800001000300000001086e61762d656467650b736d61727473637265"
		"656e096d6963726f736f667403636f6d0000010001c00c00050001000003b7002813746d2d70726f"
		"642d77642d6373702d656467650e747261666669636d616e61676572036e657400c0400005000100"
		"00012c00341777642d70726f642d73732d65752d776573742d322d66650a776573746575726f7065"
		"08636c6f756461707005617a757265c02bc074000100010000000900041456f93e00002902000000"
		"00000111000c010d0000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000"},
	/* frame 17 */ {1, "0000000001000000050000080600000000000000000000000002"},
	/* frame 18 */ {0, "0000040800000000000000057c"},
	/* frame 19 */ {0, "0000080601000000000000000000000002"},
	/* frame 20 */ {0, "00000403000000000700000008"},
	/* frame 21 */ {1, "00002501040000000788cac9c80f1296df697e9413aa5f2914100425041b8272e09b53168dffbfc6"
		"c5c4c3c2c1c00001d4000000000007000081800001000200010001086e61762d656467650b736d61"
		"727473637265656e096d6963726f736f667403636f6d0000410001c00c0005000100000ca2002813"
		"746d2d70726f642d77642d6373702d656467650e747261666669636d616e61676572036e657400c0"
		"40000500010000012c00341777642d70726f642d73732d65752d776573742d312d66650a77657374"
		"6575726f706508636c6f756461707005617a757265c02bc08c00060001000000130031076e73312d"
		"32303109617a7572652d646e73c02b066d736e687374c02100002711000003840000012c00093a80"
		"0000003c00002902000000000000e4000c00e0000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"000000"},
	/* frame 22 */ {1, "000000000100000007"},
};

/* The two directions as whole streams (852 and 2562 bytes). */
static void suri_streams(uint8_t *buf[2], size_t len[2])
{
	static uint8_t b0[2048], b1[4096];
	buf[0] = b0;
	buf[1] = b1;
	len[0] = len[1] = 0;
	for (size_t i = 0; i < sizeof(suri_get) / sizeof(suri_get[0]); i++) {
		int d = suri_get[i].dir;
		len[d] += unhex(suri_get[i].hex, buf[d] + len[d], d ? sizeof(b1) - len[d] : sizeof(b0) - len[d]);
	}
	cr_assert_eq(len[0], 852);
	cr_assert_eq(len[1], 2562);
}

static void check_suricata_messages(void)
{
	cr_assert_eq(ngot, 8);
	size_t nreq = 0, nrsp = 0;
	for (size_t i = 0; i < ngot; i++) {
		struct got *g = &got[i];
		cr_assert(g->parsed, "message %zu", i);
		if (g->dir == 0) {
			nreq++;
			cr_assert_eq(g->kind, DOH_KIND_WIRE_GET);
			cr_assert_str_eq(g->method, "GET");
			cr_assert_str_eq(g->auth, "dns.google");
			cr_assert_eq(g->msg_len, 128); /* EDNS padding to 128 */
			cr_assert_eq(strncmp(g->path, "/dns-query?dns=AAABAAABAAAAAAAB", 31), 0);
		} else {
			nrsp++;
			cr_assert_eq(g->kind, DOH_KIND_WIRE_RESPONSE);
			cr_assert_eq(g->status, 200);
			cr_assert_str_eq(g->ctype, "application/dns-message");
			cr_assert_eq(g->msg_len, 468);
		}
		if (g->stream <= 3) {
			cr_assert_str_eq(g->qname, "www.gstatic.com");
			cr_assert_eq(g->qtype, 1);
		} else {
			cr_assert_str_eq(g->qname, "nav-edge.smartscreen.microsoft.com");
			cr_assert_eq(g->qtype, g->stream == 5 ? 1 : 65);
		}
	}
	cr_assert_eq(nreq, 4);
	cr_assert_eq(nrsp, 4);
}

Test(doh, h2c_real_capture_in_packets)
{
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	uint8_t seg[1024];
	ngot = 0;
	for (size_t i = 0; i < sizeof(suri_get) / sizeof(suri_get[0]); i++) {
		size_t n = unhex(suri_get[i].hex, seg, sizeof(seg));
		cr_assert_eq(feed_exact(c, suri_get[i].dir, seg, n), 0, "segment %zu", i);
	}
	check_suricata_messages();
	/* order as the bytes completed them */
	cr_assert_eq(got[0].stream, 1);
	cr_assert_eq(got[0].dir, 0);
	cr_assert_eq(got[1].stream, 3);
	cr_assert_eq(got[2].stream, 1);
	cr_assert_eq(got[2].dir, 1);
	/* the request of stream 7 was reset before its answer came */
	cr_assert_eq(got[7].stream, 7);
	cr_assert_eq(got[7].dir, 1);
	cr_assert_str_eq(got[7].method, "");
	cr_assert_eq(doh_h2_anomalies(c), 0);
	cr_assert_eq(doh_h2_error(c, 0), DOH_OK);
	cr_assert_eq(doh_h2_error(c, 1), DOH_OK);
	doh_h2_free(c);
}

Test(doh, h2c_real_capture_any_slicing)
{
	uint8_t *buf[2];
	size_t len[2];
	suri_streams(buf, len);
	/* each direction whole, then in slices of 1, 7 and 100 bytes */
	const size_t steps[] = {100000, 1, 7, 100};
	for (size_t s = 0; s < 4; s++) {
		struct doh_h2 *c = doh_h2_new(on_msg, NULL);
		ngot = 0;
		for (int d = 0; d < 2; d++)
			for (size_t o = 0; o < len[d]; o += steps[s])
				cr_assert_eq(feed_exact(c, d, buf[d] + o, len[d] - o < steps[s] ? len[d] - o : steps[s]), 0);
		check_suricata_messages();
		doh_h2_free(c);
	}
}

/* Builders for synthetic connections. */
static size_t h2f(uint8_t *b, size_t n, uint8_t type, uint8_t flags, uint32_t sid, const void *p, size_t len)
{
	b[n++] = (uint8_t)(len >> 16);
	b[n++] = (uint8_t)(len >> 8);
	b[n++] = (uint8_t)len;
	b[n++] = type;
	b[n++] = flags;
	b[n++] = (uint8_t)(sid >> 24);
	b[n++] = (uint8_t)(sid >> 16);
	b[n++] = (uint8_t)(sid >> 8);
	b[n++] = (uint8_t)sid;
	if (len)
		memcpy(b + n, p, len);
	return n + len;
}

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static size_t start_client(uint8_t *b)
{
	memcpy(b, preface, 24);
	return h2f(b, 24, 4, 0, 0, NULL, 0);
}

/*
 * Client side: POST on stream 1 (HEADERS padded, :authority Huffman-coded,
 * three entries added to the table; body in two DATA frames, the second
 * padded), POST on stream 3 whose HEADERS are all dynamic-table
 * references, GET on stream 5 whose header block is split into HEADERS +
 * CONTINUATION, then stream 3's body.
 */
static size_t synth_client(uint8_t *b, size_t cap)
{
	uint8_t q[64], blk[256], pay[256];
	size_t n = start_client(b), k = 0;
	size_t ql = unhex(rfc8484_query_hex, q, sizeof(q));
	cr_assert(cap > 1024);
	/* block 1: :method POST, :scheme http, :path /dns-query (indexed name 4,
	 * with indexing), :authority www.example.com (Huffman, indexed name 1,
	 * with indexing), content-type application/dns-message (name 31) */
	k = unhex("83 86 44 0a", blk, sizeof(blk));
	memcpy(blk + k, "/dns-query", 10);
	k += 10;
	k += unhex("41 8c f1e3 c2e5 f23a 6ba0 ab90 f4ff 5f 17", blk + k, sizeof(blk) - k);
	memcpy(blk + k, "application/dns-message", 23);
	k += 23;
	pay[0] = 3; /* pad length */
	memcpy(pay + 1, blk, k);
	memset(pay + 1 + k, 0, 3);
	n = h2f(b, n, 1, 0x04 | 0x08, 1, pay, k + 4);
	n = h2f(b, n, 0, 0, 1, q, 16);
	pay[0] = 2;
	memcpy(pay + 1, q + 16, ql - 16);
	memset(pay + 1 + ql - 16, 0, 2);
	n = h2f(b, n, 0, 0x01 | 0x08, 1, pay, ql - 16 + 3);
	/* block 2: POST http, then 64 :path, 63 :authority, 62 content-type */
	k = unhex("83 86 c0 bf be", blk, sizeof(blk));
	n = h2f(b, n, 1, 0x04, 3, blk, k);
	/* block 3: GET, :scheme http, :path (name 4, without indexing) with
	 * the RFC 8484 dns= value, :authority from the table (63) */
	static const char path[] = "/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
	k = unhex("82 86 04", blk, sizeof(blk));
	blk[k++] = (uint8_t)(sizeof(path) - 1);
	memcpy(blk + k, path, sizeof(path) - 1);
	k += sizeof(path) - 1;
	blk[k++] = 0xbf;
	n = h2f(b, n, 1, 0x01, 5, blk, 10);          /* HEADERS, END_STREAM, no END_HEADERS */
	n = h2f(b, n, 9, 0x04, 5, blk + 10, k - 10); /* CONTINUATION, END_HEADERS */
	n = h2f(b, n, 0, 0x01, 3, q, ql);
	return n;
}

/* Server side: SETTINGS, then for stream 1 HEADERS :status 200 +
 * content-type (added to the table) and the RFC 8484 answer; for stream 3
 * :status 200 and content-type from the table (62). */
static size_t synth_server(uint8_t *b)
{
	uint8_t a[128], blk[64];
	size_t n = h2f(b, 0, 4, 0, 0, NULL, 0);
	size_t al = unhex(rfc8484_answer_hex, a, sizeof(a));
	size_t k = unhex("88 5f 17", blk, sizeof(blk));
	memcpy(blk + k, "application/dns-message", 23);
	k += 23;
	n = h2f(b, n, 1, 0x04, 1, blk, k);
	n = h2f(b, n, 0, 0x01, 1, a, al);
	k = unhex("88 be", blk, sizeof(blk));
	n = h2f(b, n, 1, 0x04, 3, blk, k);
	n = h2f(b, n, 0, 0x01, 3, a, al);
	return n;
}

static void check_synth(void)
{
	uint8_t q[64];
	unhex(rfc8484_query_hex, q, sizeof(q));
	cr_assert_eq(ngot, 3);
	cr_assert_eq(got[0].stream, 1);
	cr_assert_eq(got[0].kind, DOH_KIND_WIRE_POST);
	cr_assert_str_eq(got[0].method, "POST");
	cr_assert_str_eq(got[0].path, "/dns-query");
	cr_assert_str_eq(got[0].auth, "www.example.com");
	cr_assert_str_eq(got[0].ctype, "application/dns-message");
	cr_assert_eq(got[0].msg_len, 33);
	cr_assert_eq(memcmp(got[0].msg, q, 33), 0);
	cr_assert_eq(got[1].stream, 5);
	cr_assert_eq(got[1].kind, DOH_KIND_WIRE_GET);
	cr_assert_str_eq(got[1].auth, "www.example.com");
	cr_assert_eq(got[1].msg_len, 33);
	cr_assert_str_eq(got[1].qname, "www.example.com");
	cr_assert_eq(got[2].stream, 3);
	cr_assert_eq(got[2].kind, DOH_KIND_WIRE_POST);
	cr_assert_str_eq(got[2].path, "/dns-query");             /* from the dynamic table */
	cr_assert_str_eq(got[2].auth, "www.example.com");
	cr_assert_str_eq(got[2].ctype, "application/dns-message");
	cr_assert_eq(memcmp(got[2].msg, q, 33), 0);
}

Test(doh, h2c_synthetic_requests)
{
	static uint8_t b[2048];
	size_t n = synth_client(b, sizeof(b));
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	ngot = 0;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	check_synth();
	cr_assert_eq(doh_h2_anomalies(c), 0);
	doh_h2_free(c);
	/* split in two at every point: the same three messages */
	for (size_t k = 0; k <= n; k++) {
		c = doh_h2_new(on_msg, NULL);
		ngot = 0;
		cr_assert_eq(feed_exact(c, 0, b, k), 0, "cut %zu", k);
		cr_assert_eq(feed_exact(c, 0, b + k, n - k), 0, "cut %zu", k);
		check_synth();
		doh_h2_free(c);
	}
	/* every prefix alone: no error, and never a message that is not whole */
	for (size_t k = 0; k < n; k++) {
		c = doh_h2_new(on_msg, NULL);
		ngot = 0;
		cr_assert_eq(feed_exact(c, 0, b, k), 0, "prefix %zu", k);
		cr_assert(ngot < 3);
		for (size_t i = 0; i < ngot; i++)
			cr_assert_eq(got[i].msg_len, 33);
		doh_h2_free(c);
	}
}

Test(doh, h2c_synthetic_responses)
{
	static uint8_t b[2048], s[1024];
	size_t n = synth_client(b, sizeof(b));
	size_t m = synth_server(s);
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	ngot = 0;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	cr_assert_eq(feed_exact(c, 1, s, m), 0);
	cr_assert_eq(ngot, 5);
	cr_assert_eq(got[3].dir, 1);
	cr_assert_eq(got[3].stream, 1);
	cr_assert_eq(got[3].kind, DOH_KIND_WIRE_RESPONSE);
	cr_assert_eq(got[3].status, 200);
	cr_assert_eq(got[3].msg_len, 61);
	cr_assert_str_eq(got[3].path, "/dns-query"); /* the request's, kept on the stream */
	cr_assert_eq(got[4].stream, 3);
	cr_assert_str_eq(got[4].ctype, "application/dns-message");
	cr_assert_eq(got[4].msg_len, 61);
	cr_assert_eq(dns_parse(got[4].msg, got[4].msg_len, &dm), 0);
	cr_assert_str_eq(dm.rr[0].data, "2001:db8:abcd:12:1:2:3:4");
	doh_h2_free(c);
}

Test(doh, h2c_preface_and_first_frame)
{
	uint8_t b[128];
	cr_assert(doh_h2_preface((const uint8_t *)preface, 24));
	cr_assert(doh_h2_preface((const uint8_t *)"PRI * HT", 8));
	cr_assert_not(doh_h2_preface((const uint8_t *)"GET / HTTP/1.1", 14));
	cr_assert_not(doh_h2_preface((const uint8_t *)"", 0));

	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	cr_assert_eq(feed_exact(c, 0, (const uint8_t *)"PRI * HTTP/1.1\r\n", 16), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_PREFACE);
	cr_assert_eq(feed_exact(c, 0, (const uint8_t *)preface, 24), -1); /* stays dead */
	cr_assert_eq(doh_h2_error(c, 1), DOH_OK);
	/* server side talking HTTP/1.1 */
	cr_assert_eq(feed_exact(c, 1, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17), -1);
	cr_assert_eq(doh_h2_error(c, 1), DOH_ERR_H2_PREFACE);
	cr_assert_eq(feed_exact(c, 2, b, 0), -1);
	doh_h2_free(c);

	/* first frame after the preface is not SETTINGS */
	c = doh_h2_new(on_msg, NULL);
	memcpy(b, preface, 24);
	size_t n = h2f(b, 24, 6, 0, 0, "12345678", 8);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_PREFACE);
	doh_h2_free(c);
}

Test(doh, h2c_frame_length_lies)
{
	uint8_t b[256];
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	/* a DATA frame header claiming 16 MiB - 1: refused on its header */
	n = h2f(b, n, 0, 0, 1, NULL, 0);
	b[n - 9] = 0xff;
	b[n - 8] = 0xff;
	b[n - 7] = 0xff;
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_FRAME);
	doh_h2_free(c);

	/* 65536: one over the hard cap */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 0, 0, 1, NULL, 0);
	b[n - 9] = 0x01;
	b[n - 8] = 0x00;
	b[n - 7] = 0x00;
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	doh_h2_free(c);

	/* a SETTINGS frame whose length says more than is there: waits */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 4, 0, 0, "\0\x05\0\0\x40\0", 6);
	b[n - 6 - 9 + 2] = 60;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	cr_assert_eq(doh_h2_anomalies(c), 0);
	doh_h2_free(c);
}

Test(doh, h2c_hpack_errors_end_the_direction)
{
	uint8_t b[256];
	/* index 127 in an empty table */
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	n = h2f(b, n, 1, 0x05, 1, "\xff\x00", 2);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_HPACK);
	doh_h2_free(c);
	/* integer overflow */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 1, 0x05, 1, "\x82\xff\xff\xff\xff\xff\xff\x0f", 8);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_HPACK);
	doh_h2_free(c);
	/* HEADERS padding longer than the frame */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 1, 0x0c, 1, "\x09\x82\x86", 3);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_FRAME);
	doh_h2_free(c);
	/* HEADERS with PRIORITY flag but 3 bytes */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 1, 0x24, 1, "\x00\x00\x00", 3);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_FRAME);
	doh_h2_free(c);
}

Test(doh, h2c_continuation_rules)
{
	uint8_t b[256];
	/* HEADERS without END_HEADERS, then DATA */
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	n = h2f(b, n, 1, 0x00, 1, "\x82", 1);
	n = h2f(b, n, 0, 0x01, 1, "x", 1);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_CONTINUATION);
	doh_h2_free(c);
	/* CONTINUATION of another stream */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 1, 0x00, 1, "\x82", 1);
	n = h2f(b, n, 9, 0x04, 3, "\x86", 1);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_CONTINUATION);
	doh_h2_free(c);
	/* CONTINUATION out of nowhere */
	c = doh_h2_new(on_msg, NULL);
	n = start_client(b);
	n = h2f(b, n, 9, 0x04, 1, "\x86", 1);
	cr_assert_eq(feed_exact(c, 0, b, n), -1);
	doh_h2_free(c);
	/* a block that grows past 64 KiB through CONTINUATIONs */
	static uint8_t big[100000];
	static uint8_t frag[16384];
	memset(frag, 0x82, sizeof(frag));
	c = doh_h2_new(on_msg, NULL);
	n = start_client(big);
	n = h2f(big, n, 1, 0x00, 1, frag, sizeof(frag));
	for (int i = 0; i < 4; i++)
		n = h2f(big, n, 9, 0x00, 1, frag, sizeof(frag));
	cr_assert_eq(feed_exact(c, 0, big, n), -1);
	cr_assert_eq(doh_h2_error(c, 0), DOH_ERR_H2_CONTINUATION);
	doh_h2_free(c);
}

Test(doh, h2c_odd_frames_are_anomalies)
{
	uint8_t b[512];
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	n = h2f(b, n, 6, 0, 0, "1234567", 7);                /* PING of 7 */
	n = h2f(b, n, 0, 0x08, 1, "\x05" "ab", 3);           /* DATA pad 5 > 2 */
	n = h2f(b, n, 4, 0, 0, "\0\x05\0\0\0\x01", 6);       /* MAX_FRAME_SIZE 1 */
	n = h2f(b, n, 3, 0, 0, "\0\0\0\0", 4);               /* RST_STREAM on 0 */
	n = h2f(b, n, 8, 0, 0, "\0\0", 2);                   /* WINDOW_UPDATE of 2 */
	n = h2f(b, n, 0xfa, 0, 0, "whatever", 8);            /* unknown type: ignored */
	ngot = 0;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	cr_assert(doh_h2_anomalies(c) & DOH_ANOM_H2_BAD_FRAME);
	cr_assert_eq(ngot, 0);
	doh_h2_free(c);
}

/* A POST on stream 1 of n body bytes in frames of step bytes. */
static void post_body(struct doh_h2 *c, size_t body, size_t step)
{
	static uint8_t b[120000];
	static uint8_t data[70000];
	uint8_t blk[64];
	size_t n = start_client(b);
	size_t k = unhex("83 86 84 5f 17", blk, sizeof(blk));
	memcpy(blk + k, "application/dns-message", 23);
	k += 23;
	n = h2f(b, n, 1, 0x04, 1, blk, k);
	memset(data, 0x61, sizeof(data));
	for (size_t o = 0; o < body; o += step) {
		size_t m = body - o < step ? body - o : step;
		n = h2f(b, n, 0, o + m == body ? 0x01 : 0, 1, data, m);
	}
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
}

Test(doh, h2c_frame_size_and_body_caps)
{
	/* 20,000-byte DATA frames: over the default 16384, kept, flagged */
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	ngot = 0;
	post_body(c, 40000, 20000);
	cr_assert(doh_h2_anomalies(c) & DOH_ANOM_H2_FRAME_SIZE);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(got[0].msg_len, 40000);
	doh_h2_free(c);
	/* the server allowing 65535 first: no anomaly */
	c = doh_h2_new(on_msg, NULL);
	uint8_t s[64];
	size_t m = h2f(s, 0, 4, 0, 0, "\0\x05\0\0\xff\xff", 6);
	cr_assert_eq(feed_exact(c, 1, s, m), 0);
	ngot = 0;
	post_body(c, 40000, 20000);
	cr_assert_eq(doh_h2_anomalies(c), 0);
	doh_h2_free(c);
	/* a body over 65535: cut and flagged */
	c = doh_h2_new(on_msg, NULL);
	ngot = 0;
	post_body(c, 70000, 14000);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(got[0].msg_len, DOH_MSG_MAX);
	cr_assert(got[0].anom & DOH_ANOM_MSG_CUT);
	doh_h2_free(c);
}

Test(doh, h2c_many_streams)
{
	/* 100 POSTs that never end: 64 followed, the oldest dropped, and the
	 * ones that end later still come out */
	static uint8_t b[16384];
	uint8_t blk[64];
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	size_t k = unhex("83 86 84 5f 17", blk, sizeof(blk));
	memcpy(blk + k, "application/dns-message", 23);
	k += 23;
	for (uint32_t i = 0; i < 100; i++) {
		n = h2f(b, n, 1, 0x04, 1 + 2 * i, blk, k);
		n = h2f(b, n, 0, 0, 1 + 2 * i, "ab", 2);
	}
	n = h2f(b, n, 0, 0x01, 199, "cd", 2); /* the newest ends */
	n = h2f(b, n, 0, 0x01, 1, "cd", 2);   /* the oldest was dropped */
	ngot = 0;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	cr_assert(doh_h2_anomalies(c) & DOH_ANOM_H2_STREAMS);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(got[0].stream, 199);
	cr_assert_eq(got[0].msg_len, 4);
	doh_h2_free(c); /* ASan: nothing leaks */
}

Test(doh, h2c_push_promise_keeps_the_table)
{
	/* the server's PUSH_PROMISE adds an entry; its next HEADERS refers to it */
	uint8_t b[256], s[512], a[128], blk[64];
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	n = h2f(b, n, 1, 0x05, 1, "\x82\x86\x84", 3);
	ngot = 0;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	size_t m = h2f(s, 0, 4, 0, 0, NULL, 0);
	size_t k = unhex("00 00 00 02 5f 17", blk, sizeof(blk)); /* promised stream 2, content-type */
	memcpy(blk + k, "application/dns-message", 23);
	k += 23;
	m = h2f(s, m, 5, 0x04, 1, blk, k);
	m = h2f(s, m, 1, 0x04, 1, "\x88\xbe", 2);
	size_t al = unhex(rfc8484_answer_hex, a, sizeof(a));
	m = h2f(s, m, 0, 0x01, 1, a, al);
	cr_assert_eq(feed_exact(c, 1, s, m), 0);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(got[0].kind, DOH_KIND_WIRE_RESPONSE);
	cr_assert_str_eq(got[0].ctype, "application/dns-message");
	doh_h2_free(c);
}

Test(doh, h2c_json_get_and_interim_response)
{
	uint8_t b[256], s[256], blk[128];
	static const char path[] = "/resolve?name=example.org&type=TXT";
	struct doh_h2 *c = doh_h2_new(on_msg, NULL);
	size_t n = start_client(b);
	size_t k = unhex("82 86 04", blk, sizeof(blk));
	blk[k++] = (uint8_t)(sizeof(path) - 1);
	memcpy(blk + k, path, sizeof(path) - 1);
	k += sizeof(path) - 1;
	n = h2f(b, n, 1, 0x05, 1, blk, k);
	ngot = 0;
	cr_assert_eq(feed_exact(c, 0, b, n), 0);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(got[0].kind, DOH_KIND_JSON_GET);
	cr_assert_str_eq(got[0].jname, "example.org");
	/* 103 Early Hints, then the 200 with a JSON body */
	size_t m = h2f(s, 0, 4, 0, 0, NULL, 0);
	m = h2f(s, m, 1, 0x04, 1, "\x48\x03" "103", 5);
	k = unhex("88 5f 14", blk, sizeof(blk));
	memcpy(blk + k, "application/dns-json", 20);
	k += 20;
	m = h2f(s, m, 1, 0x04, 1, blk, k);
	m = h2f(s, m, 0, 0x01, 1, "{\"Status\":0}", 12);
	cr_assert_eq(feed_exact(c, 1, s, m), 0);
	cr_assert_eq(ngot, 2);
	cr_assert_eq(got[1].kind, DOH_KIND_JSON_RESPONSE);
	cr_assert_eq(got[1].status, 200);
	cr_assert_eq(got[1].msg_len, 12);
	doh_h2_free(c);
}

/* Every byte of the synthetic client stream replaced by a few values:
 * each connection either goes on or stops with a reason; never a crash or
 * an out-of-bounds read (ASan), never a leak. */
Test(doh, h2c_mutation_sweep)
{
	static uint8_t b[2048];
	const uint8_t vals[] = {0x00, 0x3f, 0x80, 0xff};
	size_t n = synth_client(b, sizeof(b));
	for (size_t k = 0; k < n; k++) {
		uint8_t orig = b[k];
		for (size_t j = 0; j < sizeof(vals); j++) {
			struct doh_h2 *c = doh_h2_new(on_msg, NULL);
			b[k] = vals[j];
			ngot = 0;
			int r = feed_exact(c, 0, b, n);
			cr_assert(r == 0 || r == -1);
			cr_assert_eq(r == -1, doh_h2_error(c, 0) != DOH_OK);
			doh_h2_free(c);
		}
		b[k] = orig;
	}
}

/* Seeded random header blocks into one decoder (a new one after each
 * error): bounded, no crash, the table size never over its maximum. */
Test(doh, hpack_random_blocks)
{
	struct doh_hpack h;
	uint8_t blk[96];
	uint32_t x = 12345, a = 0;
	doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
	for (int i = 0; i < 20000; i++) {
		size_t n = 1 + (x >> 8) % sizeof(blk);
		for (size_t k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			blk[k] = (uint8_t)(x >> 16);
		}
		if (doh_hpack_decode(&h, blk, n, hcollect_quiet, NULL, &a) < 0) {
			doh_hpack_free(&h);
			doh_hpack_init(&h, DOH_HPACK_TABLE_MAX);
		}
		cr_assert(h.size <= h.max_size);
	}
	doh_hpack_free(&h);
}
