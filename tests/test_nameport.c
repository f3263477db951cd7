/* test_nameport.c - the one table of name-resolution ports (analyzer/nameport.c). */
#include <criterion/criterion.h>

#include "nameport.h"

static enum ev_proto proto_of(uint8_t tr, uint16_t sp, uint16_t dp)
{
	const struct nameport *n = nameport_of(tr, sp, dp);
	return n ? n->proto : EVP__N;
}

Test(nameport, precedence_and_transports)
{
	cr_expect_eq(proto_of(17, 40000, 53), EVP_DNS_UDP);
	cr_expect_eq(proto_of(17, 5353, 53), EVP_DNS_UDP, "53 wins over 5353 (a resolver library bound to 5353)");
	cr_expect_eq(proto_of(17, 5353, 5353), EVP_MDNS);
	cr_expect_eq(proto_of(17, 5355, 40000), EVP_LLMNR);
	cr_expect_eq(proto_of(17, 137, 137), EVP_NBNS);
	cr_expect_eq(proto_of(17, 40000, 853), EVP_DOQ);
	cr_expect_eq(proto_of(6, 40000, 853), EVP_DOT);
	cr_expect_eq(proto_of(6, 40000, 53), EVP_DNS_TCP);
	/* TCP 5353 is unicast DNS over TCP; TCP 5355 is LLMNR's unicast TCP */
	cr_expect_eq(proto_of(6, 40000, 5353), EVP_DNS_TCP);
	cr_expect_eq(proto_of(6, 5355, 40000), EVP_LLMNR);
	cr_expect_eq(proto_of(6, 40000, 137), EVP__N);
	cr_expect_eq(proto_of(6, 40000, 443), EVP__N, "DoH has no port of its own");
	cr_expect_eq(proto_of(17, 40000, 5300), EVP__N);
	cr_expect_null(nameport_of(50, 53, 53));
}

Test(nameport, who_answers)
{
	/* a question to a group is answered by anyone: only the UDP rows */
	cr_expect(nameport_of(17, 40000, 5353)->any_responder);
	cr_expect(nameport_of(17, 40000, 5355)->any_responder);
	cr_expect(nameport_of(17, 137, 137)->any_responder);
	cr_expect_not(nameport_of(6, 40000, 5353)->any_responder);
	cr_expect_not(nameport_of(6, 40000, 5355)->any_responder);
	cr_expect_not(nameport_of(17, 40000, 53)->any_responder);
	cr_expect(nameport_any_responder(EVP_MDNS));
	cr_expect(nameport_any_responder(EVP_LLMNR));
	cr_expect(nameport_any_responder(EVP_NBNS));
	cr_expect_not(nameport_any_responder(EVP_DNS_UDP));
	cr_expect_not(nameport_any_responder(EVP_DNS_TCP));
	/* cleartext: DNS messages on the wire; DoT and DoQ are not */
	cr_expect(nameport_of(6, 40000, 5353)->cleartext);
	cr_expect_not(nameport_of(6, 40000, 853)->cleartext);
	cr_expect_not(nameport_of(17, 40000, 853)->cleartext);
}
