/* test_dns.c - DNS wire-format parser and NetBIOS name decoding: valid, hostile and edge vectors. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

/*
 * Vectors are written as hex strings (spaces ignored) with a comment per
 * field.  Hand-made vectors were also fed to tshark 4.0 (text2pcap -u 53,53
 * then tshark -V) to confirm they decode as intended; real ones say which
 * capture and frame they came from.  Each parse works on a heap copy of
 * exactly the message length so that AddressSanitizer sees any overread.
 */

static struct dns_msg M; /* ~66 KB: static, not on the stack */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		cr_assert_lt(n, cap, "vector too long");
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	cr_assert_eq(hi, -1, "odd number of hex digits");
	return n;
}

/* Parses exactly len bytes from a fresh heap block. */
static int parse_bytes(const uint8_t *p, size_t len, struct dns_msg *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	cr_assert_not_null(copy);
	if (len)
		memcpy(copy, p, len);
	rc = dns_parse(copy, len, m);
	free(copy);
	return rc;
}

static int parse_hex(const char *hex, struct dns_msg *m)
{
	uint8_t buf[4096];
	size_t n = unhex(hex, buf, sizeof(buf));

	return parse_bytes(buf, n, m);
}

/* ---------------------------------------------------------------------- */
/* Valid vectors. */

static const char Q_WWW[] =
	"abcd 0100 0001 0000 0000 0000"                  /* id, RD, qd=1 */
	"03 777777 07 6578616d706c65 03 636f6d 00"      /* www.example.com */
	"0001 0001";                                     /* A IN */

/* Offsets: question name at 12 (example.com at 16), answers from 33. */
static const char R_CNAME_CHAIN[] =
	"1234 8180 0001 0004 0000 0000"                  /* response, RD RA, qd=1 an=4 */
	"03 777777 07 6578616d706c65 03 636f6d 00 0001 0001" /* www.example.com A IN */
	"c00c 0005 0001 00000e10 0006 03 63646e c010"   /* @33: CNAME cdn+ptr(16); cdn label at 45 */
	"c02d 0005 0001 00000e10 0007 04 65646765 c02d" /* @51: cdn.example.com CNAME edge+ptr(45); edge at 63 */
	"c03f 0001 0001 0000003c 0004 c0000201"         /* @70: edge.cdn.example.com A 192.0.2.1 */
	"c03f 0001 0001 0000003c 0004 c0000202";        /* @86: ... A 192.0.2.2 */

static const char R_AAAA[] =
	"0001 8180 0001 0001 0000 0000"
	"07 6578616d706c65 03 636f6d 00 001c 0001"      /* example.com AAAA IN */
	"c00c 001c 0001 00000e10 0010 20010db8000000000000000000000001"; /* 2001:db8::1 */

static const char R_MX[] =
	"0002 8180 0001 0001 0000 0000"
	"07 6578616d706c65 03 636f6d 00 000f 0001"      /* example.com MX IN */
	"c00c 000f 0001 00000e10 0007 000a 02 6d78 c00c"; /* 10 mx + ptr(12) */

static const char R_TXT[] =
	"0003 8180 0001 0001 0000 0000"
	"07 6578616d706c65 03 636f6d 00 0010 0001"      /* example.com TXT IN */
	"c00c 0010 0001 00000e10 000b"                   /* rdlength 11 */
	"03 763d31"                                      /* "v=1" */
	"06 61 22 62 5c 63 0a";                          /* a " b \ c LF */

static const char R_SRV[] =
	"0004 8180 0001 0001 0000 0000"
	"04 5f736970 04 5f746370 07 6578616d706c65 03 636f6d 00 0021 0001" /* _sip._tcp.example.com SRV; example at 22 */
	"c00c 0021 0001 00000e10 000c 000a 0005 13c4 03 736970 c016"; /* 10 5 5060 sip+ptr(22) */

static const char R_HTTPS[] =
	"0005 8180 0001 0001 0000 0000"
	"07 6578616d706c65 03 636f6d 00 0041 0001"      /* example.com HTTPS IN */
	"c00c 0041 0001 00000e10 0026"                   /* rdlength 38 */
	"0001 00"                                        /* priority 1, target "." */
	"0001 0006 02 6832 02 6833"                      /* alpn=h2,h3 */
	"0003 0002 01bb"                                 /* port=443 */
	"0004 0008 c0000201 c0000202"                    /* ipv4hint=192.0.2.1,192.0.2.2 */
	"0005 0003 010203";                              /* ech=AQID */

static const char R_OPT[] =
	"0006 8180 0001 0000 0000 0001"                  /* header rcode 0, ar=1 */
	"07 6578616d706c65 03 636f6d 00 0001 0001"
	"00 0029 04d0 01 00 8000 0007"                   /* OPT udp 1232, ext-rcode 1, v0, DO */
	"0003 0003 6e7331";                              /* NSID "ns1" */

static const char R_MDNS[] =
	"0000 8400 0000 0001 0000 0000"                  /* mDNS response, AA, qd=0 an=1 */
	"04 686f7374 05 6c6f63616c 00"                   /* host.local */
	"0001 8001 00000078 0004 c0a80105";              /* A, cache-flush|IN, 192.168.1.5 */

/* Offsets: _http at 12, _tcp at 18, local at 23. */
static const char Q_MDNS[] =
	"0000 0000 0003 0000 0000 0000"                  /* mDNS query, qd=3 */
	"05 5f68747470 04 5f746370 05 6c6f63616c 00 000c 8001" /* _http._tcp.local PTR, QU|IN */
	"04 5f697070 c012 000c 0001"                     /* _ipp + ptr(_tcp.local) PTR IN */
	"04 486f7374 c017 0001 8001";                    /* Host + ptr(local) A, QU|IN */

/* ndpi/default/pcap/netbios.pcap frame 1, from
 * tshark -r netbios.pcap -Y frame.number==1 -T fields -e udp.payload
 * (tshark: flags 0x0110, name XSTREAM_HY<00>, type NB, class IN). */
static const char Q_NBNS[] =
	"a749 0110 0001 0000 0000 0000"
	"20 464946444645464345464542454e46504549464a434143414341434143414141 00"
	"0020 0001";

/* Label bytes that need escapes: "a.b", " \0<\\", "com". */
static const char Q_ESCAPES[] =
	"0007 0100 0001 0000 0000 0000"
	"03 612e62 04 20003c5c 03 636f6d 00 0001 0001";

/* The root name, NS query. */
static const char Q_ROOT[] = "0008 0000 0001 0000 0000 0000 00 0002 0001";

/* Plain DNS response with qdcount 0 (allowed: there is an answer). */
static const char R_QD0[] =
	"0009 8000 0000 0001 0000 0000"
	"01 61 00 0001 0001 00000001 0004 0a000001";     /* a A IN 10.0.0.1 */

static const char *const VALID[] = {
	Q_WWW, R_CNAME_CHAIN, R_AAAA, R_MX, R_TXT, R_SRV, R_HTTPS, R_OPT,
	R_MDNS, Q_MDNS, Q_NBNS, Q_ESCAPES, Q_ROOT, R_QD0,
};

Test(dns, query_www_example_com)
{
	cr_assert_eq(parse_hex(Q_WWW, &M), 0);
	cr_assert_eq(M.id, 0xabcd);
	cr_assert(!M.qr);
	cr_assert(M.rd);
	cr_assert_eq(M.opcode, 0);
	cr_assert_eq(M.qdcount, 1);
	cr_assert_eq(M.nq, 1);
	cr_assert_str_eq(M.q[0].name, "www.example.com");
	cr_assert_eq(M.q[0].qtype, 1);
	cr_assert_eq(M.q[0].qclass, 1);
	cr_assert(!M.q[0].unicast_resp);
	cr_assert_eq(M.nrr, 0);
	cr_assert(!M.edns);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, cname_chain_with_compression)
{
	cr_assert_eq(parse_hex(R_CNAME_CHAIN, &M), 0);
	cr_assert(M.qr && M.rd && M.ra);
	cr_assert_eq(M.nrr, 4);
	cr_assert_eq(M.anomalies, 0);
	cr_assert_eq(M.rr[0].section, DNS_SEC_ANSWER);
	cr_assert_str_eq(M.rr[0].name, "www.example.com");
	cr_assert_eq(M.rr[0].type, 5);
	cr_assert_eq(M.rr[0].ttl, 3600);
	cr_assert_str_eq(M.rr[0].data, "cdn.example.com");
	cr_assert_str_eq(M.rr[1].name, "cdn.example.com");
	cr_assert_str_eq(M.rr[1].data, "edge.cdn.example.com");
	cr_assert_str_eq(M.rr[2].name, "edge.cdn.example.com");
	cr_assert_eq(M.rr[2].type, 1);
	cr_assert_eq(M.rr[2].ttl, 60);
	cr_assert_str_eq(M.rr[2].data, "192.0.2.1");
	cr_assert_str_eq(M.rr[3].data, "192.0.2.2");
}

Test(dns, aaaa)
{
	cr_assert_eq(parse_hex(R_AAAA, &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].type, 28);
	cr_assert_str_eq(M.rr[0].name, "example.com");
	cr_assert_str_eq(M.rr[0].data, "2001:db8::1");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, mx)
{
	cr_assert_eq(parse_hex(R_MX, &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_str_eq(M.rr[0].data, "10 mx.example.com");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, txt_two_strings_with_escapes)
{
	cr_assert_eq(parse_hex(R_TXT, &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_str_eq(M.rr[0].data, "\"v=1\" \"a\\\"b\\\\c\\010\"");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, srv)
{
	cr_assert_eq(parse_hex(R_SRV, &M), 0);
	cr_assert_str_eq(M.q[0].name, "_sip._tcp.example.com");
	cr_assert_eq(M.nrr, 1);
	cr_assert_str_eq(M.rr[0].data, "10 5 5060 sip.example.com");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, https_svcb_params)
{
	cr_assert_eq(parse_hex(R_HTTPS, &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].type, 65);
	cr_assert_str_eq(M.rr[0].data,
			 "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1,192.0.2.2 ech=AQID");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, svcb_mandatory_unknown_key_and_bad_ipv4hint)
{
	/* SVCB 2 svc.example.com mandatory=alpn no-default-alpn key9=abcd */
	cr_assert_eq(parse_hex("000a 8180 0001 0001 0000 0000"
			       "07 6578616d706c65 03 636f6d 00 0040 0001"
			       "c00c 0040 0001 00000e10 001f"
			       "0002 03 737663 c00c"        /* 2 svc.example.com (7 bytes) */
			       "0000 0002 0001"             /* mandatory=alpn */
			       "0001 0003 02 6832"          /* alpn=h2 */
			       "0002 0000"                  /* no-default-alpn */
			       "0009 0002 abcd",            /* key9=abcd */
			       &M), 0);
	cr_assert_str_eq(M.rr[0].data, "2 svc.example.com mandatory=alpn alpn=h2 no-default-alpn key9=abcd");
	cr_assert_eq(M.anomalies, 0);

	/* ipv4hint of 3 bytes does not fit: generic text and BAD_RDATA. */
	cr_assert_eq(parse_hex("000b 8180 0001 0001 0000 0000"
			       "07 6578616d706c65 03 636f6d 00 0041 0001"
			       "c00c 0041 0001 00000e10 000a 0001 00 0004 0003 c00002",
			       &M), 0);
	cr_assert_str_eq(M.rr[0].data, "\\# 10 00010000040003C00002");
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_RDATA);

	/* no-default-alpn must be empty (RFC 9460 7.1.1). */
	cr_assert_eq(parse_hex("000b 8180 0001 0001 0000 0000"
			       "07 6578616d706c65 03 636f6d 00 0041 0001"
			       "c00c 0041 0001 00000e10 0008 0001 00 0002 0001 00",
			       &M), 0);
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_RDATA);
}

Test(dns, opt_do_bit_extended_rcode_nsid)
{
	cr_assert_eq(parse_hex(R_OPT, &M), 0);
	cr_assert(M.edns);
	cr_assert_eq(M.edns_udp_size, 1232);
	cr_assert_eq(M.rcode, 16); /* (1 << 4) | 0 */
	cr_assert_str_eq(dns_rcode_name(M.rcode), "BADVERS");
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].section, DNS_SEC_ADDITIONAL);
	cr_assert_eq(M.rr[0].type, 41);
	cr_assert_str_eq(M.rr[0].name, ".");
	cr_assert_eq(M.rr[0].rclass, 1232);
	cr_assert(!M.rr[0].cache_flush);
	cr_assert_str_eq(M.rr[0].data, "udp=1232 extrcode=1 version=0 do=1 nsid=\"ns1\"");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, opt_ecs_cookie_padding)
{
	cr_assert_eq(parse_hex("000c 0100 0001 0000 0000 0001"
			       "07 6578616d706c65 03 636f6d 00 0001 0001"
			       "00 0029 1000 00 00 0000 001b"      /* udp 4096, rdlength 27 */
			       "0008 0007 0001 18 00 c00002"       /* ECS 192.0.2.0/24/0 */
			       "000a 0008 0102030405060708"        /* client cookie */
			       "000c 0000",                        /* padding, 0 bytes */
			       &M), 0);
	cr_assert_str_eq(M.rr[0].data,
			 "udp=4096 extrcode=0 version=0 do=0 ecs=192.0.2.0/24/0 cookie=0102030405060708 padding=0");
	cr_assert_eq(M.rcode, 0);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, mdns_response_qdcount0_cache_flush)
{
	cr_assert_eq(parse_hex(R_MDNS, &M), 0);
	cr_assert(M.qr && M.aa);
	cr_assert_eq(M.nq, 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_str_eq(M.rr[0].name, "host.local");
	cr_assert_eq(M.rr[0].rclass, 1);
	cr_assert(M.rr[0].cache_flush);
	cr_assert_eq(M.rr[0].ttl, 120);
	cr_assert_str_eq(M.rr[0].data, "192.168.1.5");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, mdns_query_qu_bit_several_questions)
{
	cr_assert_eq(parse_hex(Q_MDNS, &M), 0);
	cr_assert_eq(M.nq, 3);
	cr_assert_str_eq(M.q[0].name, "_http._tcp.local");
	cr_assert_eq(M.q[0].qtype, 12);
	cr_assert_eq(M.q[0].qclass, 1);
	cr_assert(M.q[0].unicast_resp);
	cr_assert_str_eq(M.q[1].name, "_ipp._tcp.local");
	cr_assert(!M.q[1].unicast_resp);
	cr_assert_str_eq(M.q[2].name, "Host.local"); /* case kept */
	cr_assert_eq(M.q[2].qtype, 1);
	cr_assert_eq(M.q[2].qclass, 1);
	cr_assert(M.q[2].unicast_resp);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, nbns_query_from_capture)
{
	char nb[80];

	cr_assert_eq(parse_hex(Q_NBNS, &M), 0);
	cr_assert_eq(M.id, 0xa749);
	cr_assert_eq(M.opcode, 0);
	cr_assert(M.rd);
	cr_assert(M.cd); /* the NBNS broadcast flag shares 0x0010 */
	cr_assert_eq(M.nq, 1);
	cr_assert_eq(M.q[0].qtype, 0x20);
	cr_assert_eq(M.q[0].qclass, 1);
	cr_assert_str_eq(M.q[0].name, "FIFDFEFCEFEBENFPEIFJCACACACACAAA");
	cr_assert_eq(nbns_decode_name((const uint8_t *)M.q[0].name, 32, nb, sizeof(nb)), 0);
	cr_assert_str_eq(nb, "XSTREAM_HY<00>");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, nbns_responses_qdcount0_from_capture)
{
	char nb[80];

	/* ndpi/default/pcap/netbios.pcap frame 69 (tshark: 0x8500, answer
	 * GUNNAR<00> NB, nbns.nb_flags 0x0000, addr 10.0.4.24); NB rdata is shown
	 * generically because type 32 is NIMLOC in DNS. */
	cr_assert_eq(parse_hex("8486850000000001000000002045484646454f454f4542464343414341434143414341434143414341434141410000200001000493e0000600000a000418",
			       &M), 0);
	cr_assert_eq(M.opcode, 0);
	cr_assert(M.qr && M.aa && M.rd);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].type, 0x20);
	cr_assert_eq(M.rr[0].ttl, 300000);
	cr_assert_str_eq(M.rr[0].data, "\\# 6 00000A000418");
	cr_assert_eq(nbns_decode_name((const uint8_t *)M.rr[0].name, 32, nb, sizeof(nb)), 0);
	cr_assert_str_eq(nb, "GUNNAR<00>");

	/* Same file, frame 55: NBSTAT answer for the wildcard name (tshark
	 * shows *<00><00>...); type 33 is SRV in DNS, so BAD_RDATA. */
	cr_assert_eq(parse_hex("20a88400000000010000000020434b41414141414141414141414141414141414141414141414141414141414100002100010000000000770447554e4e4152202020202020202020000400564947494c414e545f47524f55502000840047554e4e4152202020202020202020200400564947494c414e545f47524f5550201e8400001cc410790f00000000000000000000000000000000000000000000000000000000000000000000000000000000",
			       &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].type, 0x21);
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_RDATA);
	cr_assert_eq(nbns_decode_name((const uint8_t *)M.rr[0].name, 32, nb, sizeof(nb)), 0);
	cr_assert_str_eq(nb, "*<00>");
}

Test(dns, nbns_registration_odd_opcode_ok)
{
	/* arkime/nbns.pcap frame 2: registration (opcode 5), flags 0x2900,
	 * WORKGROUP<00>, additional NB record pointing at the question. */
	cr_assert_eq(parse_hex("00022900000100000000000120464845504643454c4548464345504646464143414341434143414341434141410000200001c00c00200001000493e000068000c0a8ef81",
			       &M), 0);
	cr_assert_eq(M.opcode, 5);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].section, DNS_SEC_ADDITIONAL);
	cr_assert_str_eq(M.rr[0].name, M.q[0].name);
	cr_assert_eq(M.anomalies, 0);

	/* WACK (opcode 7) is unassigned in DNS: accepted, flagged. */
	cr_assert_eq(parse_hex("0002 b900 0001 0000 0000 0000 01 61 00 0020 0001", &M), 0);
	cr_assert_eq(M.opcode, 7);
	cr_assert_eq(M.anomalies, DNS_ANOM_ODD_OPCODE);
}

Test(dns, nbns_decode_name_rules)
{
	char out[80];
	uint8_t enc[32];

	/* "WORKGROUP" + 6 spaces, suffix 0x1d (tshark style WORKGROUP<1d>). */
	cr_assert_eq(nbns_decode_name((const uint8_t *)"FHEPFCELEHFCEPFFFACACACACACACABN", 32, out,
				      sizeof(out)), 0);
	cr_assert_str_eq(out, "WORKGROUP<1d>");
	/* \x01\x02__MSBROWSE__\x02, suffix 0x01 */
	cr_assert_eq(nbns_decode_name((const uint8_t *)"ABACFPFPENFDECFCEPFHFDEFFPFPACAB", 32, out,
				      sizeof(out)), 0);
	cr_assert_str_eq(out, "\\001\\002__MSBROWSE__\\002<01>");
	/* Wrong length, letter outside A..P, output too small. */
	cr_assert_eq(nbns_decode_name(enc, 31, out, sizeof(out)), -1);
	memcpy(enc, "FHEPFCELEHFCEPFFFACACACACACACABN", 32);
	enc[5] = 'Q';
	cr_assert_eq(nbns_decode_name(enc, 32, out, sizeof(out)), -1);
	enc[5] = 'C';
	cr_assert_eq(nbns_decode_name(enc, 32, out, 10), -1);
	cr_assert_eq(nbns_decode_name(enc, 32, out, 14), 0);
	cr_assert_str_eq(out, "WORKGROUP<1d>");
}

Test(dns, name_escapes)
{
	cr_assert_eq(parse_hex(Q_ESCAPES, &M), 0);
	cr_assert_str_eq(M.q[0].name, "a\\.b.\\032\\000<\\\\.com");
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_CHARS);
}

Test(dns, type_and_rcode_names)
{
	cr_assert_str_eq(dns_type_name(1), "A");
	cr_assert_str_eq(dns_type_name(65), "HTTPS");
	cr_assert_str_eq(dns_type_name(257), "CAA");
	cr_assert_null(dns_type_name(0));
	cr_assert_null(dns_type_name(65280));
	cr_assert_str_eq(dns_rcode_name(0), "NOERROR");
	cr_assert_str_eq(dns_rcode_name(3), "NXDOMAIN");
	cr_assert_null(dns_rcode_name(12));
}

Test(dns, other_rdata_types)
{
	/* SOA, CAA, DS, unknown type 65280: one answer each.
	 * Question example.com SOA; "example" at 12. */
	cr_assert_eq(parse_hex("000d 8180 0001 0004 0000 0000"
			       "07 6578616d706c65 03 636f6d 00 0006 0001"
			       "c00c 0006 0001 00000e10 0020"     /* SOA, rdlength 32 */
			       "02 6e73 c00c 04 686f7374 c00c"     /* ns.example.com host.example.com */
			       "00000001 00001c20 00000e10 00093a80 0000012c"
			       "c00c 0101 0001 00000e10 0011"     /* CAA, rdlength 17 */
			       "00 05 6973737565 6361 2e 6578616d706c65" /* 0 issue "ca.example" */
			       "c00c 002b 0001 00000e10 0008 3039 0d 02 a1b2c3d4" /* DS 12345 13 2 */
			       "c00c ff00 0001 00000e10 0003 00ff10",  /* TYPE65280 */
			       &M), 0);
	cr_assert_eq(M.nrr, 4);
	cr_assert_str_eq(M.rr[0].data, "ns.example.com host.example.com 1 7200 3600 604800 300");
	cr_assert_str_eq(M.rr[1].data, "0 issue \"ca.example\"");
	cr_assert_str_eq(M.rr[2].data, "12345 13 2 A1B2C3D4");
	cr_assert_str_eq(M.rr[3].data, "\\# 3 00FF10");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, nsec_rrsig_dnskey)
{
	cr_assert_eq(parse_hex("000e 8180 0001 0003 0000 0000"
			       "07 6578616d706c65 03 636f6d 00 0030 0001"
			       /* NSEC: next "a" + ptr(12); window 0 bitmap 0x40 0x01 0x80 -> A, MX... */
			       "c00c 002f 0001 00000e10 0009 01 61 c00c 00 03 400180"
			       /* RRSIG A alg 13 labels 2 ttl 300, exp 2024-01-01, inc 2023-12-01, tag 12345 */
			       "c00c 002e 0001 00000e10 0017 0001 0d 02 0000012c 65920080 65692200 3039 c00c aabbcc"
			       /* DNSKEY 257 3 13 key 01020304 */
			       "c00c 0030 0001 00000e10 0008 0101 03 0d 01020304",
			       &M), 0);
	cr_assert_eq(M.nrr, 3);
	/* Bits 1 (A), 15 (MX), 16 (TXT). */
	cr_assert_str_eq(M.rr[0].data, "a.example.com A MX TXT");
	/* 0x65920080 = 1704067200 = 2024-01-01T00:00:00Z, 0x65692200 = 1701388800 = 2023-12-01. */
	cr_assert_str_eq(M.rr[1].data, "A 13 2 300 20240101000000 20231201000000 12345 example.com siglen=3");
	/* RFC 4034 App. B: 0x0101 + 0x030d + 0x0102 + 0x0304 = 0x0814 = 2068. */
	cr_assert_str_eq(M.rr[2].data, "257 3 13 keytag=2068 keylen=4");
	cr_assert_eq(M.anomalies, 0);
}

/* ---------------------------------------------------------------------- */
/* Hostile vectors. */

Test(dns, self_pointer)
{
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 c00c 0001 0001", &M), -1);
	cr_assert(M.anomalies & DNS_ANOM_COMPRESSION_LOOP);
}

Test(dns, pointer_into_own_sequence)
{
	/* "abcdefgh" then a pointer back to its own start: repeats forever.
	 * Caught at the first hop, so neither the name length (which would
	 * pass 255 bytes after 28 rounds) nor the hop cap is reached. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 08 6162636465666768 c00c 0001 0001", &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_COMPRESSION_LOOP);
}

Test(dns, forward_pointer)
{
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 c010 0001 0001 01 61 00", &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_FORWARD_POINTER);

	/* Past the end of the message is forward too. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 c0ff 0001 0001", &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_FORWARD_POINTER);

	/* In an answer: the question stands, the record is dropped. */
	cr_assert_eq(parse_hex("0000 8100 0001 0001 0000 0000 01 61 00 0001 0001"
			       "c020 0001 0001 00000000 0004 01020304",
			       &M), 0);
	cr_assert_eq(M.nrr, 0);
	cr_assert_eq(M.anomalies, DNS_ANOM_FORWARD_POINTER);
}

Test(dns, pointer_into_header)
{
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 01 61 c004 0001 0001", &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_POINTER_INTO_HEADER);
}

Test(dns, two_pointer_cycle)
{
	/* Question "a" at 12 (19 bytes to 19).  Answer 1 at 19, type 65280,
	 * rdata at 31: c021 (-> 33), c01f (-> 31).  Answer 2 at 35 is named
	 * by a pointer to 31.  Following it: 35 -> 31 (back, fine), 31 -> 33,
	 * which is forward: every cycle has a forward edge, and that is where
	 * the strictly-backwards rule stops it. */
	cr_assert_eq(parse_hex("0000 8100 0001 0002 0000 0000 01 61 00 0001 0001"
			       "c00c ff00 0001 00000000 0004 c021 c01f"
			       "c01f 0001 0001 00000000 0004 01020304",
			       &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.anomalies, DNS_ANOM_FORWARD_POINTER);
}

/* Question "a" at 12; answer 1 (type 65280) carries n pointers in its rdata,
 * each pointing at the one before, the first at the question; answer 2 is
 * named by a pointer to the last, so its name takes n + 1 hops. */
static size_t build_chain(uint8_t *b, unsigned n)
{
	static const uint8_t head[] = {
		0, 0, 0x81, 0, 0, 1, 0, 2, 0, 0, 0, 0, /* qd=1 an=2 */
		1, 'a', 0, 0, 1, 0, 1,                 /* a A IN */
		0xc0, 12, 0xff, 0, 0, 1, 0, 0, 0, 0,   /* answer 1 header */
	};
	size_t o = sizeof(head);

	memcpy(b, head, o);
	b[o++] = (uint8_t)(2 * n >> 8);
	b[o++] = (uint8_t)(2 * n);
	for (unsigned k = 0; k < n; k++) {
		size_t t = k == 0 ? 12 : 31 + 2 * (k - 1);

		b[o++] = (uint8_t)(0xc0 | t >> 8);
		b[o++] = (uint8_t)t;
	}
	size_t last = 31 + 2 * (n - 1);
	const uint8_t tail[] = { (uint8_t)(0xc0 | last >> 8), (uint8_t)last, 0, 1, 0, 1, 0, 0, 0, 0,
				 0, 4, 10, 0, 0, 1 };

	memcpy(b + o, tail, sizeof(tail));
	return o + sizeof(tail);
}

Test(dns, hop_chain_cap)
{
	uint8_t b[512];
	size_t n;

	/* 63 pointers in rdata + 1 = 64 hops: allowed. */
	n = build_chain(b, 63);
	cr_assert_eq(parse_bytes(b, n, &M), 0);
	cr_assert_eq(M.nrr, 2);
	cr_assert_str_eq(M.rr[1].name, "a");
	cr_assert_str_eq(M.rr[1].data, "10.0.0.1");
	cr_assert_eq(M.anomalies, 0);

	/* 65 hops: refused. */
	n = build_chain(b, 64);
	cr_assert_eq(parse_bytes(b, n, &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.anomalies, DNS_ANOM_COMPRESSION_LOOP);

	/* 200 hops. */
	n = build_chain(b, 199);
	cr_assert_eq(parse_bytes(b, n, &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.anomalies, DNS_ANOM_COMPRESSION_LOOP);
}

Test(dns, label_types_and_length_64)
{
	uint8_t b[256];
	size_t n;

	/* Length byte 64 (= type 01, length 0) followed by 64 letters. */
	n = unhex("0000 0100 0001 0000 0000 0000 40", b, sizeof(b));
	memset(b + n, 'a', 64);
	n += 64;
	memcpy(b + n, "\0\0\1\0\1", 5);
	n += 5;
	cr_assert_eq(parse_bytes(b, n, &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_LABEL_TOO_LONG);

	/* 0x41: RFC 2673 bit-string label. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 41 08 ff 00 0001 0001", &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_LABEL_TOO_LONG);
	/* 0x85: type 10, reserved. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 85 6162636465 00 0001 0001", &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_LABEL_TOO_LONG);
}

/* Header + question with labels of the given lengths (letters 'a'). */
static size_t build_name_query(uint8_t *b, const unsigned *labels, size_t nl)
{
	static const uint8_t hdr[] = { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t o = sizeof(hdr);

	memcpy(b, hdr, o);
	for (size_t i = 0; i < nl; i++) {
		b[o++] = (uint8_t)labels[i];
		memset(b + o, 'a', labels[i]);
		o += labels[i];
	}
	memcpy(b + o, "\0\0\1\0\1", 5);
	return o + 5;
}

Test(dns, name_256_bytes_refused)
{
	static const unsigned l[] = { 63, 63, 63, 62 }; /* 4 + 251 + 1 = 256 */
	uint8_t b[512];
	size_t n = build_name_query(b, l, 4);

	cr_assert_eq(parse_bytes(b, n, &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_NAME_TOO_LONG);
}

Test(dns, counts_that_lie)
{
	/* an=5 but one answer present. */
	cr_assert_eq(parse_hex("0000 8180 0001 0005 0000 0000 01 61 00 0001 0001"
			       "c00c 0001 0001 00000000 0004 01020304",
			       &M), 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.ancount, 5);
	cr_assert_eq(M.anomalies, DNS_ANOM_COUNT_MISMATCH);

	/* qd=2 but only one question: not DNS. */
	cr_assert_eq(parse_hex("0000 0100 0002 0000 0000 0000 01 61 00 0001 0001", &M), -1);
}

Test(dns, rdlength_past_end)
{
	cr_assert_eq(parse_hex("0000 8180 0001 0001 0000 0000 01 61 00 0001 0001"
			       "c00c 0001 0001 00000000 0010 01020304",
			       &M), 0);
	cr_assert_eq(M.nrr, 0);
	cr_assert_eq(M.anomalies, DNS_ANOM_TRUNCATED_RR);
}

Test(dns, a_record_rdlength_5)
{
	/* The bad A is kept as \# text; the next record still parses. */
	cr_assert_eq(parse_hex("0000 8180 0001 0002 0000 0000 01 61 00 0001 0001"
			       "c00c 0001 0001 00000000 0005 0102030405"
			       "c00c 0001 0001 00000000 0004 0a000001",
			       &M), 0);
	cr_assert_eq(M.nrr, 2);
	cr_assert_str_eq(M.rr[0].data, "\\# 5 0102030405");
	cr_assert_str_eq(M.rr[1].data, "10.0.0.1");
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_RDATA);
}

Test(dns, cname_with_leftover_bytes_in_rdata)
{
	cr_assert_eq(parse_hex("0000 8180 0001 0001 0000 0000 01 61 00 0001 0001"
			       "c00c 0005 0001 00000000 0004 01 62 00 ff",
			       &M), 0);
	cr_assert_str_eq(M.rr[0].data, "\\# 4 016200FF");
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_RDATA);
}

Test(dns, trailing_bytes)
{
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 01 61 00 0001 0001 deadbe", &M), 0);
	cr_assert_eq(M.anomalies, DNS_ANOM_TRAILING_BYTES);
	cr_assert_eq(parse_hex("0000 8180 0001 0001 0000 0000 01 61 00 0001 0001"
			       "c00c 0001 0001 00000000 0004 01020304 00",
			       &M), 0);
	cr_assert_eq(M.anomalies, DNS_ANOM_TRAILING_BYTES);
}

Test(dns, qdcount_65535)
{
	cr_assert_eq(parse_hex("0000 0100 ffff 0000 0000 0000 01 61 00 0001 0001", &M), -1);
}

Test(dns, qdcount_over_the_walk_cap_keeps_the_first_questions)
{
	/* qdcount 2000 (over DNS_MAX_QDCOUNT, 1024) and 1100 questions present:
	 * the first 1024 are walked, 16 kept, the rest flagged; no records
	 * are read (they would follow question 2000). */
	static uint8_t b[8192];
	size_t o = unhex("0000 0100 07d0 0001 0000 0000 06 73656372657400 0001 0001", b, sizeof(b));
	for (int i = 1; i < 1100; i++)
		o += unhex("c00c 0001 0001", b + o, sizeof(b) - o);
	cr_assert_eq(parse_bytes(b, o, &M), 0);
	cr_expect_eq(M.qdcount, 2000);
	cr_expect_eq(M.nq, DNS_MAX_QUESTIONS);
	cr_expect_str_eq(M.q[0].name, "secret");
	cr_expect_eq(M.nrr, 0);
	cr_expect_eq(M.anomalies, DNS_ANOM_TOO_MANY_QUESTIONS);
	/* ... but every walked question must parse: a break at question 500 */
	b[12 + 12 + 499 * 6] = 0xff;
	cr_expect_eq(parse_bytes(b, o, &M), -1);
}

Test(dns, too_many_questions_and_records)
{
	/* 20 questions "a" A IN (19 pointers to the first) and 40 answers. */
	uint8_t b[2048];
	size_t o = unhex("0000 8180 0014 0028 0000 0000 01 61 00 0001 0001", b, sizeof(b));

	for (int i = 1; i < 20; i++)
		o += unhex("c00c 0001 0001", b + o, sizeof(b) - o);
	for (int i = 0; i < 40; i++) {
		o += unhex("c00c 0001 0001 00000000 0004 0a0000", b + o, sizeof(b) - o);
		b[o++] = (uint8_t)i;
	}
	cr_assert_eq(parse_bytes(b, o, &M), 0);
	cr_assert_eq(M.nq, DNS_MAX_QUESTIONS);
	cr_assert_eq(M.nrr, DNS_MAX_RRS);
	cr_assert_str_eq(M.rr[31].data, "10.0.0.31");
	cr_assert_eq(M.anomalies, DNS_ANOM_TOO_MANY_QUESTIONS | DNS_ANOM_TOO_MANY_RRS);
}

Test(dns, opt_past_record_cap_still_counts)
{
	/* 32 answers, then an OPT with ext-rcode 1 as the 33rd record. */
	uint8_t b[2048];
	size_t o = unhex("0000 8180 0001 0020 0000 0001 01 61 00 0001 0001", b, sizeof(b));

	for (int i = 0; i < 32; i++)
		o += unhex("c00c 0001 0001 00000000 0004 0a000001", b + o, sizeof(b) - o);
	o += unhex("00 0029 0200 01 00 0000 0000", b + o, sizeof(b) - o);
	cr_assert_eq(parse_bytes(b, o, &M), 0);
	cr_assert_eq(M.nrr, DNS_MAX_RRS);
	cr_assert(M.edns);
	cr_assert_eq(M.edns_udp_size, 512);
	cr_assert_eq(M.rcode, 16);
	cr_assert_eq(M.anomalies, DNS_ANOM_TOO_MANY_RRS);
}

Test(dns, bad_opt_placement)
{
	/* OPT in the answer section, owner not root: flagged, EDNS not set. */
	cr_assert_eq(parse_hex("0000 8180 0001 0001 0000 0000 01 61 00 0001 0001"
			       "c00c 0029 1000 00000000 0000",
			       &M), 0);
	cr_assert(!M.edns);
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_OPT);
}

Test(dns, long_txt_is_cut_with_marker)
{
	/* One TXT with 255 bytes 0x01: 255 * 4 text bytes, cut to 508 + "...". */
	uint8_t b[512];
	size_t o = unhex("0000 8180 0001 0001 0000 0000 01 61 00 0010 0001"
			 "c00c 0010 0001 00000000 0100 ff", b, sizeof(b));

	memset(b + o, 1, 255);
	o += 255;
	cr_assert_eq(parse_bytes(b, o, &M), 0);
	size_t l = strlen(M.rr[0].data);
	cr_assert_eq(l, DNS_RDATA_TEXT_MAX - 1);
	cr_assert_str_eq(M.rr[0].data + l - 3, "...");
	cr_assert_eq(strncmp(M.rr[0].data, "\"\\001\\001", 9), 0);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, not_dns)
{
	/* Shorter than a header. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000", &M), -1);
	/* qd=0 an=0. */
	cr_assert_eq(parse_hex("0000 8180 0000 0000 0001 0000 01 61 00 0001 0001", &M), -1);
	/* qd=0, an=1 but nothing follows. */
	cr_assert_eq(parse_hex("0000 8180 0000 0001 0000 0000", &M), -1);
	/* qd=0 and the first answer has class 0x1234. */
	cr_assert_eq(parse_hex("0000 8180 0000 0001 0000 0000 01 61 00 0001 1234 00000000 0004 01020304",
			       &M), -1);
	/* qclass 2 (CSNET, obsolete) and 0x0100. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 01 61 00 0001 0002", &M), -1);
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 01 61 00 0001 0100", &M), -1);
	/* The question lacks its class. */
	cr_assert_eq(parse_hex("0000 0100 0001 0000 0000 0000 01 61 00 0001", &M), -1);

	/* wireguard-dissector/pcaps/8-trace.pcap frame 2 (handshake response,
	 * tshark -e udp.payload). */
	cr_assert_eq(parse_hex("0200000005336e8e16d08b7692580495771fac5d3b66e11b7b929f064d9a7c991ae2e932a57a6305b643e82d5e03149ffd36d5fce4c330eab179041375fc7fac931af3cf058206b59358b2de00000000000000000000000000000000",
			       &M), -1);
	/* zeek-spicy-openvpn/traces/openvpn.pcap frames 1 and 2. */
	cr_assert_eq(parse_hex("389aa6b1e434889ad30000000000", &M), -1);
	cr_assert_eq(parse_hex("40e7a77eba7c1c51b501000000009aa6b1e434889ad300000000", &M), -1);
	/* A TLS 1.2 record header and the start of a ClientHello. */
	cr_assert_eq(parse_hex("16030100f4010000f00303aabbccddeeff00112233445566778899", &M), -1);
}

Test(dns, random_bytes_refused)
{
	/* 200000 pseudo-random messages of 12..200 bytes (fixed LCG seed,
	 * so the result is stable): none may pass as DNS. */
	uint32_t s = 12345;
	uint8_t b[200];
	int accepted = 0;

	for (int i = 0; i < 200000; i++) {
		size_t n = 12 + i % 189;

		for (size_t k = 0; k < n; k++) {
			s = s * 1103515245u + 12345u;
			b[k] = (uint8_t)(s >> 16);
		}
		if (dns_parse(b, n, &M) == 0)
			accepted++;
	}
	cr_assert_eq(accepted, 0);
}

Test(dns, random_bytes_with_qdcount_1_refused)
{
	/* Harder: qdcount forced to 1 and the other counts to 0, so only the
	 * question checks stand between noise and "DNS".  Measured while
	 * writing: 2 of 2,000,000 such messages pass (labels that happen to
	 * end, then a qclass in {1,3,4,254,255} out of 32768). */
	uint32_t s = 777;
	uint8_t b[200];
	int accepted = 0;

	for (int i = 0; i < 200000; i++) {
		size_t n = 12 + i % 189;

		for (size_t k = 0; k < n; k++) {
			s = s * 1103515245u + 12345u;
			b[k] = (uint8_t)(s >> 16);
		}
		memcpy(b + 4, "\0\1\0\0\0\0\0\0", 8);
		if (dns_parse(b, n, &M) == 0)
			accepted++;
	}
	cr_assert_leq(accepted, 2);
}

Test(dns, suricata_forward_pointer_query_refused)
{
	/* suricata-verify/dns/dns-forward-pointer/input.pcap frame 1: question
	 * 1 is a pointer forward to question 2 (offset 18).  tshark and
	 * Suricata follow it (codemonkey.net twice) and 8.8.8.8 answered it;
	 * our rule refuses forward pointers, so this query is not DNS to us.
	 * The response (frame 2) is ordinary and parses. */
	cr_assert_eq(parse_hex("8e0401000002000000000000c012000100010a636f64656d6f6e6b6579036e65740000010001",
			       &M), -1);
	cr_assert_eq(M.anomalies, DNS_ANOM_FORWARD_POINTER);
	cr_assert_eq(parse_hex("8e04818000010001000000000a636f64656d6f6e6b6579036e65740000010001c00c000100010000012c0004983552ef",
			       &M), 0);
	cr_assert_str_eq(M.q[0].name, "codemonkey.net");
	cr_assert_str_eq(M.rr[0].data, "152.53.82.239");
}

Test(dns, update_delete_rrset_empty_rdata)
{
	/* RFC 2136 UPDATE: zone example.com SOA; update section deletes the
	 * A RRset of a.example.com (class ANY, rdlength 0): not bad rdata. */
	cr_assert_eq(parse_hex("0010 2800 0001 0000 0001 0000"
			       "07 6578616d706c65 03 636f6d 00 0006 0001"
			       "01 61 c00c 0001 00ff 00000000 0000",
			       &M), 0);
	cr_assert_eq(M.opcode, 5);
	cr_assert_eq(M.nrr, 1);
	cr_assert_eq(M.rr[0].section, DNS_SEC_AUTHORITY);
	cr_assert_eq(M.rr[0].rclass, 255);
	cr_assert_str_eq(M.rr[0].data, "\\# 0");
	cr_assert_eq(M.anomalies, 0);
}

/* ---------------------------------------------------------------------- */
/* Edge cases. */

Test(dns, root_name)
{
	cr_assert_eq(parse_hex(Q_ROOT, &M), 0);
	cr_assert_str_eq(M.q[0].name, ".");
	cr_assert_eq(M.q[0].qtype, 2);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, name_exactly_255_bytes)
{
	static const unsigned l[] = { 63, 63, 63, 61 }; /* 4 + 250 + 1 = 255 */
	uint8_t b[512];
	size_t n = build_name_query(b, l, 4);

	cr_assert_eq(parse_bytes(b, n, &M), 0);
	cr_assert_eq(strlen(M.q[0].name), 250 + 3);
	cr_assert_eq(M.q[0].name[63], '.');
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, worst_case_name_text_fits)
{
	/* 255 wire bytes all needing \DDD: 4 labels of 63,63,63,61 bytes 0xff. */
	static const unsigned l[] = { 63, 63, 63, 61 };
	uint8_t b[512];
	size_t n = build_name_query(b, l, 4);

	for (size_t i = 12; i < n - 5; i++)
		if (b[i] == 'a')
			b[i] = 0xff;
	cr_assert_eq(parse_bytes(b, n, &M), 0);
	cr_assert_eq(strlen(M.q[0].name), 250 * 4 + 3);
	cr_assert_eq(M.anomalies, DNS_ANOM_BAD_CHARS);
}

Test(dns, label_63_bytes)
{
	static const unsigned l[] = { 63, 3 };
	uint8_t b[128];
	size_t n = build_name_query(b, l, 2);

	cr_assert_eq(parse_bytes(b, n, &M), 0);
	cr_assert_eq(strlen(M.q[0].name), 63 + 1 + 3);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, qdcount0_response)
{
	cr_assert_eq(parse_hex(R_QD0, &M), 0);
	cr_assert_eq(M.nq, 0);
	cr_assert_eq(M.nrr, 1);
	cr_assert_str_eq(M.rr[0].data, "10.0.0.1");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, reserved_z_flag)
{
	cr_assert_eq(parse_hex("0000 0140 0001 0000 0000 0000 01 61 00 0001 0001", &M), 0);
	cr_assert_eq(M.anomalies, DNS_ANOM_RESERVED_Z);
}

/* ---------------------------------------------------------------------- */
/* Truncation sweep: every proper prefix of every valid vector either
 * parses or is refused, and never reads past its end (ASan). */

Test(dns, truncation_sweep)
{
	for (size_t v = 0; v < sizeof(VALID) / sizeof(VALID[0]); v++) {
		uint8_t buf[1024];
		size_t n = unhex(VALID[v], buf, sizeof(buf));

		cr_assert_eq(parse_bytes(buf, n, &M), 0, "vector %zu", v);
		for (size_t k = 0; k < n; k++) {
			int rc = parse_bytes(buf, k, &M);

			cr_assert(rc == 0 || rc == -1, "vector %zu prefix %zu", v, k);
			/* Up to the end of the questions, a prefix is never DNS. */
			if (k < 12)
				cr_assert_eq(rc, -1);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Real responses checked against tshark 4.0.17.  Bytes from
 *   tshark -r FILE -Y frame.number==N -T fields -e udp.payload
 * and expected values from
 *   tshark -r FILE -Y frame.number==N -T fields -e dns.qry.name -e dns.qry.type
 *     -e dns.resp.name -e dns.resp.type -e dns.a -e dns.aaaa -e dns.cname
 *     -e dns.ns -e dns.txt -e dns.ptr.domain_name -e dns.resp.cache_flush
 * (and -V for the OPT fields). */

Test(dns, tshark_arkime_dns_udp_frame2)
{
	/* arkime/dns-udp.pcap frame 2: www.github.com A; CNAME github.com,
	 * A 192.30.252.128, NS ns3/ns2/ns4/ns1.p16.dynect.net, then A 10.2.95.12
	 * for ns2, ns3, ns1, ns4 (dns.resp.name order). */
	static const char *const names[] = {
		"www.github.com", "github.com", "github.com", "github.com", "github.com",
		"github.com", "ns2.p16.dynect.net", "ns3.p16.dynect.net",
		"ns1.p16.dynect.net", "ns4.p16.dynect.net",
	};
	static const uint16_t types[] = { 5, 1, 2, 2, 2, 2, 1, 1, 1, 1 };
	static const char *const data[] = {
		"github.com", "192.30.252.128", "ns3.p16.dynect.net", "ns2.p16.dynect.net",
		"ns4.p16.dynect.net", "ns1.p16.dynect.net", "10.2.95.12", "10.2.95.12",
		"10.2.95.12", "10.2.95.12",
	};

	cr_assert_eq(parse_hex("e03981800001000200040004037777770667697468756203636f6d0000010001c00c00050001000007bc0002c010c01000010001000000040004c01efc80c01000020001000001480014036e7333037031360664796e656374036e657400c01000020001000001480006036e7332c04ec01000020001000001480006036e7334c04ec01000020001000001480006036e7331c04ec06a0001000100000e1000040a025f0cc04a0001000100000e1000040a025f0cc08e0001000100000e1000040a025f0cc07c0001000100000e1000040a025f0c",
			       &M), 0);
	cr_assert_eq(M.id, 0xe039);
	cr_assert_str_eq(M.q[0].name, "www.github.com");
	cr_assert_eq(M.q[0].qtype, 1);
	cr_assert_eq(M.nrr, 10);
	for (size_t i = 0; i < 10; i++) {
		cr_assert_str_eq(M.rr[i].name, names[i], "rr %zu", i);
		cr_assert_eq(M.rr[i].type, types[i], "rr %zu", i);
		cr_assert_str_eq(M.rr[i].data, data[i], "rr %zu", i);
	}
	cr_assert_eq(M.rr[0].ttl, 1980);
	cr_assert_eq(M.rr[2].section, DNS_SEC_AUTHORITY);
	cr_assert_eq(M.rr[6].section, DNS_SEC_ADDITIONAL);
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, tshark_ndpi_google_nsid_frame4)
{
	/* ndpi/default/pcap/dns-google-nsid.pcapng frame 4: www.ntop.org A;
	 * CNAME ntop-digitalocean.ntop.org, A 178.62.197.130; OPT udp 512,
	 * DO 0, NSID 6770646e732d6d696c ("gpdns-mil"). */
	cr_assert_eq(parse_hex("4d158180000100020000000103777777046e746f70036f72670000010001c00c0005000100000dad0014116e746f702d6469676974616c6f6365616ec010c02a0001000100000e100004b23ec582000029020000000000000d000300096770646e732d6d696c",
			       &M), 0);
	cr_assert_str_eq(M.q[0].name, "www.ntop.org");
	cr_assert_eq(M.nrr, 3);
	cr_assert_str_eq(M.rr[0].data, "ntop-digitalocean.ntop.org");
	cr_assert_str_eq(M.rr[1].name, "ntop-digitalocean.ntop.org");
	cr_assert_str_eq(M.rr[1].data, "178.62.197.130");
	cr_assert(M.edns);
	cr_assert_eq(M.edns_udp_size, 512);
	cr_assert_eq(M.rcode, 0);
	cr_assert_str_eq(M.rr[2].data, "udp=512 extrcode=0 version=0 do=0 nsid=\"gpdns-mil\"");
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, tshark_zeek_mdns_frame4)
{
	/* zeek/Traces/dns/mdns.pcap frame 4: flags 0x8400, qd 0, 6 answers,
	 * all with the cache-flush bit. */
	static const char *const names[] = {
		"johanna-QEMU-Virtual-Machine.local",
		"4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa",
		"johanna-QEMU-Virtual-Machine.local",
		"f.2.8.f.3.6.5.1.6.c.b.5.8.6.9.5.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa",
		"johanna-QEMU-Virtual-Machine.local",
		"7.2.0.10.in-addr.arpa",
	};
	static const uint16_t types[] = { 28, 12, 28, 12, 1, 12 };
	static const char *const data[] = {
		"fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4", "johanna-QEMU-Virtual-Machine.local",
		"fd52:429e:c03c:8235:5968:5bc6:1563:f82f", "johanna-QEMU-Virtual-Machine.local",
		"10.0.2.7", "johanna-QEMU-Virtual-Machine.local",
	};

	cr_assert_eq(parse_hex("0000840000000006000000001c6a6f68616e6e612d51454d552d5669727475616c2d4d616368696e65056c6f63616c00001c8001000000000010fd52429ec03c8235883cd6fffee14dc40134016301640134013101650165016601660166013601640163013301380138013501330132013801630133013001630165013901320134013201350164016603697036046172706100000c8001000000000002c00cc00c001c8001000000000010fd52429ec03c823559685bc61563f82f0166013201380166013301360135013101360163016201350138013601390135c06a000c8001000000000002c00cc00c000180010000000000040a00020701370132013002313007696e2d61646472c08e000c8001000000000002c00c",
			       &M), 0);
	cr_assert_eq(M.nq, 0);
	cr_assert_eq(M.nrr, 6);
	for (size_t i = 0; i < 6; i++) {
		cr_assert_str_eq(M.rr[i].name, names[i], "rr %zu", i);
		cr_assert_eq(M.rr[i].type, types[i], "rr %zu", i);
		cr_assert_eq(M.rr[i].rclass, 1);
		cr_assert(M.rr[i].cache_flush);
		cr_assert_str_eq(M.rr[i].data, data[i], "rr %zu", i);
	}
	cr_assert_eq(M.anomalies, 0);
}

Test(dns, tshark_zeek_txt_multiple_frame2)
{
	/* zeek/Traces/dns-txt-multiple.pcap frame 2: flkr._domainkey.flickr.com
	 * TXT; 2 CNAMEs then one TXT of two strings (tshark dns.txt, shown
	 * comma-separated), 5 NS, 5 A.  The TXT is answer 3. */
	cr_assert_eq(parse_hex("6daf8500000100030005000504666c6b720a5f646f6d61696e6b657906666c69636b7203636f6d0000100001c00c000500010000038400070466613134c011c0380005000100000384001804666131340a5f646f6d61696e6b6579057961686f6fc023c04b0010000100001c2000e37f6b3d7273613b20703d4d4947664d413047435371475349623344514542415155414134474e4144434269514b4267514450645066794a4d32523247714d795a4d31666c547a46654449552b65374b6d694b527735797a335868742b6367454969486d6d356c49474275574363357274697930436378655070716363504b6a6e624853724449323350552b484f75714a366572674531494f734c364c4f4567473659543533764d62385a36556942537359506c724445432b384355496b544c4d4c584a6175524b35624e524b56314154477a4746706633546a5a745777494441514142c050000200010002a3000006036e7335c05bc050000200010002a3000006036e7334c05bc050000200010002a3000006036e7333c05bc050000200010002a3000006036e7332c05bc050000200010002a3000006036e7331c05bc1a60001000100127500000444b48310c19400010001001275000004448eff10c18200010001001275000004cb54dd35c17000010001001275000004628a0b9dc15e0001000100127500000477a0f77c",
			       &M), 0);
	cr_assert_str_eq(M.q[0].name, "flkr._domainkey.flickr.com");
	cr_assert_eq(M.q[0].qtype, 16);
	cr_assert_eq(M.nrr, 13);
	cr_assert_str_eq(M.rr[0].data, "fa14._domainkey.flickr.com");
	cr_assert_str_eq(M.rr[1].data, "fa14._domainkey.yahoo.com");
	cr_assert_str_eq(M.rr[2].name, "fa14._domainkey.yahoo.com");
	cr_assert_eq(M.rr[2].type, 16);
	cr_assert_str_eq(M.rr[2].data,
			 "\"k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDPdPfyJM2R2GqMyZM1flTzFeDIU+e7KmiKRw5yz3Xht+cgEIiHmm5lIGBuWCc5rtiy0CcxePpqccPKjn\" "
			 "\"HSrDI23PU+HOuqJ6ergE1IOsL6LOEgG6YT53vMb8Z6UiBSsYPlrDEC+8CUIkTLMLXJauRK5bNRKV1ATGzGFpf3TjZtWwIDAQAB\"");
	cr_assert_str_eq(M.rr[3].name, "_domainkey.yahoo.com");
	cr_assert_str_eq(M.rr[3].data, "ns5.yahoo.com");
	cr_assert_str_eq(M.rr[8].name, "ns1.yahoo.com");
	cr_assert_str_eq(M.rr[8].data, "68.180.131.16");
	cr_assert_str_eq(M.rr[12].name, "ns5.yahoo.com");
	cr_assert_str_eq(M.rr[12].data, "119.160.247.124");
	cr_assert_eq(M.anomalies, 0);
}
