/* test_custody.c - SHA-256 (FIPS 180-4) against published vectors and sha256sum, and the redaction of secrets in embedded descriptions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody.h"

static void digest(const void *p, size_t n, char hex[65])
{
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final_hex(&c, hex);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf") */
Test(custody, sha256_nist_vectors)
{
	char hex[65];
	digest("", 0, hex);
	cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest("abc", 3, hex);
	cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	digest(m448, strlen(m448), hex);
	cr_expect_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* one million 'a', fed in uneven pieces */
	struct sha256 c;
	sha256_init(&c);
	char a[997];
	memset(a, 'a', sizeof(a));
	size_t left = 1000000;
	while (left) {
		size_t n = left < sizeof(a) ? left : sizeof(a);
		sha256_update(&c, a, n);
		left -= n;
	}
	sha256_final_hex(&c, hex);
	cr_expect_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every split of a message into two updates gives the one-shot digest,
 * across the 55/56/64-byte padding boundaries. */
Test(custody, sha256_splits)
{
	uint8_t m[150];
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 50; len <= sizeof(m); len++) {
		char one[65];
		digest(m, len, one);
		for (size_t cut = 0; cut <= len; cut++) {
			struct sha256 c;
			char two[65];
			sha256_init(&c);
			sha256_update(&c, m, cut);
			sha256_update(&c, m + cut, len - cut);
			sha256_final_hex(&c, two);
			cr_assert_str_eq(two, one, "len %zu cut %zu", len, cut);
		}
	}
}

/* The digest of a sample capture is the one sha256sum prints. */
Test(custody, sha256_matches_sha256sum)
{
	const char *top = getenv("LS_TOP");
	char path[4096], cmd[4200], want[65] = {0};
	snprintf(path, sizeof(path), "%s/samples/wg-killswitch/any.pcap", top ? top : ".");
	snprintf(cmd, sizeof(cmd), "sha256sum '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	int got = fscanf(p, "%64s", want);
	pclose(p);
	if (got != 1 || strlen(want) != 64)
		cr_skip_test("sha256sum not available or %s missing", path);
	char *buf;
	size_t n;
	char err[256];
	cr_assert_eq(custody_read_file(path, 1u << 20, &buf, &n, err, sizeof(err)), 0, "%s", err);
	char hex[65];
	digest(buf, n, hex);
	free(buf);
	cr_expect_str_eq(hex, want);
}

Test(custody, description_secrets_redacted_digest_of_file)
{
	const char conf[] = "[Interface]\n"
			    "PrivateKey = cGFzc3dvcmRwYXNzd29yZHBhc3N3b3JkcGFzc3dvcmQ=\n"
			    "Address = 10.66.0.2/32\n"
			    "[Peer]\n"
			    "  presharedkey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==\n"
			    "Endpoint = 203.0.113.5:51820\n"
			    "<key>\n-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n</key>\n"
			    "remote 203.0.113.5 1194\n";
	struct custody *c = custody_new(0, NULL);
	custody_description(c, "given", "wg0.conf", conf, sizeof(conf) - 1, NULL);
	char hex[65];
	digest(conf, sizeof(conf) - 1, hex);
	cr_expect_str_eq(c->desc_sha256, hex);
	cr_expect_eq(c->desc_size, sizeof(conf) - 1);
	cr_expect_null(strstr(c->desc_text, "cGFzc3dvcmQ"), "%s", c->desc_text);
	cr_expect_null(strstr(c->desc_text, "c2VjcmV0"), "%s", c->desc_text);
	cr_expect_null(strstr(c->desc_text, "MIIEvQ"), "%s", c->desc_text);
	cr_expect_null(strstr(c->desc_text, "BEGIN PRIVATE"), "%s", c->desc_text);
	cr_expect_not_null(strstr(c->desc_text, "PrivateKey = (redacted)\n"), "%s", c->desc_text);
	cr_expect_not_null(strstr(c->desc_text, "Endpoint = 203.0.113.5:51820\n"));
	cr_expect_not_null(strstr(c->desc_text, "<key>\n(redacted)\n(redacted)\n(redacted)\n</key>\nremote"));
	cr_expect_eq(c->desc_redacted, 5);
	custody_free(c);
}
