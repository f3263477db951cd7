/* flowstate.h - what the pipeline's stages remember about each flow (struct flow's st).
 *
 * The flow table (flow.c) only creates flows zeroed and never reads these:
 * zero is every stage's first state.  Who writes what:
 *   carrier.c       cev, cev_done
 *   resolve-wire.c  dns_good, dns_bad, odd_dns, odd_tries, enc, follow
 */
#ifndef LS_FLOWSTATE_H
#define LS_FLOWSTATE_H

#include <stdbool.h>
#include <stdint.h>

struct cev_flow;

/* Encrypted name resolution (DoT/DoH/DoQ): decided once per flow. */
enum flow_enc { ENC_OPEN, ENC_DECIDED };

/* TCP: the flow handed to the stream layer or not, decided at its first packet that counts. */
enum flow_follow { FOLLOW_UNDECIDED, FOLLOW_YES, FOLLOW_NO };

/* DNS on a port that is no name-resolution port: known after one or two queries from the initiator. */
enum flow_odd_dns { ODD_DNS_UNKNOWN, ODD_DNS_YES, ODD_DNS_NO };

struct flow_stages {
	uint32_t dns_good;          /* payloads that parsed as DNS */
	uint32_t dns_bad;           /* payloads that did not */
	enum flow_enc enc;
	enum flow_follow follow;    /* follow == FOLLOW_YES: flow.app is the stream */
	enum flow_odd_dns odd_dns;
	uint8_t odd_tries;          /* queries tried for odd_dns */
	struct cev_flow *cev;       /* carrier evidence (carrier-evidence.h), owned; freed when the flow ends */
	bool cev_done;              /* past the packets carrier evidence looks at */
};

#endif
