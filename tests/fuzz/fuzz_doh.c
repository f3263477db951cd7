/* fuzz_doh.c - fuzz target: cleartext DoH (RFC 8484): HTTP/1.1 (RFC 9112), h2c (RFC 9113) fed in slices, HPACK (RFC 7541), base64url (RFC 4648 5). */
#include <string.h>

#include "doh.h"
#include "fuzz.h"

/*
 * The first byte picks what the rest is fed to (mod 4), so that each mode
 * keeps seeds of its own shape:
 *   0  HTTP/1 request and response parsers, the bytes as one message
 *   1  an h2c connection, as a script of slices: 2 header bytes (top bit:
 *      direction; the other 15: slice length), then the slice's bytes
 *   2  base64url and Huffman decoders into exact-size heap buffers
 *   3  HPACK: one byte (odd: table cap 256 as in RFC 7541 C.5, else the
 *      default), then header blocks, each behind a 2-byte length, into one
 *      decoder
 */

static struct doh_req req;   /* ~70 KB each: not on the stack */
static struct doh_resp resp;

static void on_h2(void *user, const struct doh_h2_msg *m)
{
	(void)user;
	FUZZ_CHECK(m->msg != NULL && m->dir >= 0 && m->dir <= 1);
	FUZZ_CHECK(m->msg_len <= DOH_H2_CONN_BODY_MAX);
	FUZZ_CHECK(strlen(m->path) < DOH_PATH_TEXT_MAX && strlen(m->method) + strlen(m->authority) +
		   strlen(m->content_type) + strlen(m->json_name) + strlen(m->json_type) < 65536);
	fuzz_touch(m->msg, m->msg_len);
}

static void on_field(void *user, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen, bool cut)
{
	(void)user;
	(void)cut;
	FUZZ_CHECK(nlen <= DOH_HPACK_STRING_MAX && vlen <= DOH_HPACK_STRING_MAX);
	fuzz_touch(name, nlen);
	fuzz_touch(value, vlen);
}

static void http1(const uint8_t *p, size_t n)
{
	int rc = doh_http1_request(p, n, &req);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc == 0) {
		FUZZ_CHECK(req.head_len <= n && req.msg_len <= DOH_MSG_MAX);
		FUZZ_CHECK(fuzz_text_ok(req.path, sizeof(req.path), 0x21, 0x7e));
		FUZZ_CHECK(fuzz_text_ok(req.method, sizeof(req.method), 0x21, 0x7e));
		FUZZ_CHECK(fuzz_text_ok(req.host, sizeof(req.host), 0x20, 0x7e));
		FUZZ_CHECK(fuzz_text_ok(req.content_type, sizeof(req.content_type), 0x20, 0x7e));
		FUZZ_CHECK(fuzz_text_ok(req.accept, sizeof(req.accept), 0x20, 0x7e));
		FUZZ_CHECK(fuzz_text_ok(req.json_name, sizeof(req.json_name), 0x21, 0x7e));
		FUZZ_CHECK(fuzz_text_ok(req.json_type, sizeof(req.json_type), 0x20, 0x7e));
	}
	rc = doh_http1_response(p, n, &resp);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc == 0) {
		FUZZ_CHECK(resp.head_len <= n && resp.msg_len <= DOH_MSG_MAX);
		FUZZ_CHECK(fuzz_text_ok(resp.content_type, sizeof(resp.content_type), 0x20, 0x7e));
	}
}

static void h2(const uint8_t *p, size_t n)
{
	struct doh_h2 *c = doh_h2_new(on_h2, NULL);
	size_t off = 0;

	while (n - off >= 2) {
		int dir = p[off] >> 7;
		size_t len = (size_t)(p[off] & 0x7f) << 8 | p[off + 1];
		off += 2;
		if (len > n - off)
			len = n - off;
		if (doh_h2_feed(c, dir, p + off, len) < 0)
			FUZZ_CHECK(doh_h2_error(c, dir) != DOH_OK);
		off += len;
	}
	(void)doh_h2_anomalies(c);
	doh_h2_free(c);
}

static void decoders(const uint8_t *p, size_t n)
{
	size_t cap = n * 3 / 4, got = 0;
	uint8_t *out = malloc(cap ? cap : 1);

	FUZZ_CHECK(out != NULL);
	if (doh_base64url_decode((const char *)p, n, out, cap, &got) == 0)
		FUZZ_CHECK(got <= cap);
	/* Huffman output past cap is not written but still counted */
	cap = n / 2;
	(void)doh_huffman_decode(p, n, out, cap, &got);
	free(out);
}

static void hpack(const uint8_t *p, size_t n)
{
	struct doh_hpack h;
	size_t off = 1;

	if (n == 0)
		return;
	doh_hpack_init(&h, (p[0] & 1) ? 256 : DOH_HPACK_TABLE_MAX);
	while (n - off >= 2) {
		size_t len = (size_t)p[off] << 8 | p[off + 1];
		uint32_t anom = 0;
		off += 2;
		if (len > n - off)
			len = n - off;
		if (doh_hpack_decode(&h, p + off, len, on_field, NULL, &anom) < 0)
			break; /* the table is out of step: doh.h says stop */
		FUZZ_CHECK(h.size <= h.max_size && h.max_size <= h.cap);
		off += len;
	}
	doh_hpack_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		http1(data + 1, size - 1);
		break;
	case 1:
		h2(data + 1, size - 1);
		break;
	case 2:
		decoders(data + 1, size - 1);
		break;
	default:
		hpack(data + 1, size - 1);
		break;
	}
	return 0;
}
