/* fuzz_tls.c - fuzz target: TLS ClientHello (RFC 8446 4.1.2, 6066, 7301), bare handshake, record unwrapping and counting. */
#include "fuzz.h"
#include "tls.h"

static uint8_t hs[TLS_HS_MAX];

static void check(int rc, const struct tls_hello *h)
{
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	FUZZ_CHECK((rc == -1) == (h->err != TLS_OK));
	if (rc != 0)
		return;
	/* tls.h: SNI and ALPN keep 0x21..0x7e only, everything else as '?' */
	FUZZ_CHECK(fuzz_text_ok(h->sni, sizeof(h->sni), 0x21, 0x7e));
	FUZZ_CHECK(fuzz_text_ok(h->alpn, sizeof(h->alpn), 0x21, 0x7e));
	FUZZ_CHECK(h->ext_count <= TLS_MAX_EXTENSIONS);
	(void)tls_err_str(h->err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_hello h;
	struct tls_rec_count rc;
	size_t hs_len = 0, off = 0;
	unsigned records = 0;
	enum tls_err err = TLS_OK;

	check(tls_parse_client_hello(data, size, &h), &h);
	check(tls_parse_handshake(data, size, &h), &h);
	if (tls_unwrap_handshake(data, size, hs, sizeof(hs), &hs_len, &records, &err) == 0)
		FUZZ_CHECK(hs_len >= 4 && hs_len <= sizeof(hs) && records >= 1);
	/* The record counter, direction 0 in one feed, direction 1 in slices
	 * whose sizes come from the bytes themselves (a record spans feeds). */
	tls_rec_init(&rc);
	tls_count_app_records(&rc, 0, data, size);
	while (off < size) {
		size_t n = (size_t)(data[off] % 7u) + 1;
		if (n > size - off)
			n = size - off;
		tls_count_app_records(&rc, 1, data + off, n);
		off += n;
	}
	for (int d = 0; d < 2; d++) {
		uint64_t hdrs = 0;
		for (int t = 0; t < TLS_CT_N; t++)
			hdrs += rc.dir[d].records[t];
		/* each complete header consumed 5 bytes of the input */
		FUZZ_CHECK(hdrs * 5 <= size && rc.dir[d].app_bytes <= hdrs * TLS_CIPHERTEXT_MAX);
	}
	return 0;
}
