/* os-infer.h - which operating system a host runs, from its own traffic, and each leak's remedy in that system's terms. */
#ifndef LS_OS_INFER_H
#define LS_OS_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum os_kind { OS_UNKNOWN, OS_WINDOWS, OS_MACOS, OS_LINUX, OS_ANDROID, OS_NKINDS };

/* What a host showed of itself.  Every field may be empty: absent
 * evidence counts for nothing, never against. */
struct os_evidence {
	const uint8_t *dhcp_prl;  /* DHCPv4 option 55, parameter request list (RFC 2132 9.8), in order */
	size_t dhcp_prl_len;
	const char *dhcp_vendor;  /* DHCPv4 option 60, vendor class identifier, or NULL */
	const char *const *names; /* names the host asked for (DNS, mDNS, LLMNR, NBNS, SNI), any case */
	size_t n_names;
	bool nbns;                /* it sent NetBIOS-NS queries or registrations */
	bool llmnr;               /* it sent LLMNR queries */
	uint8_t ttl;              /* TTL (hop limit) of its own IPv4 packets to a local or first-hop peer, 0: unknown */
	uint64_t ttl_pkts;        /* how many packets showed it (for the evidence text), 0: not counted */
};

struct os_guess {
	enum os_kind os;          /* OS_UNKNOWN when the evidence is thin or contradicts itself */
	const char *confidence;   /* "strong", "likely" or "unknown" */
	unsigned score;           /* the winner's points (os_infer.c: what each item is worth) */
	char evidence[1024];      /* every item that counted, "; "-separated, for the report; plain text
				   * from the capture (names, vendor class): escape it where it is shown */
};

/*
 * Weighs the evidence.  An operating system is named only with at least 2
 * points and 2 more than any other; "strong" from 4 points.  One weak hint
 * (a TTL of 128, LLMNR, a name every system asks) is never enough: the
 * answer is then OS_UNKNOWN, "unknown", with what was seen in evidence.
 * Never fails; out is always filled in.
 */
void os_infer(const struct os_evidence *ev, struct os_guess *out);

/* "Windows", "macOS", "Linux", "Android", "unknown". */
const char *os_name(enum os_kind os);
/* The report's token: "windows", "macos" (macOS or iOS: their DHCP
 * client and connectivity check are the same), "linux", "android",
 * "unknown". */
const char *os_token(enum os_kind os);

/* The names os_infer counts, so that a caller walking many questions can
 * keep one bit per name instead of every name: os_known_name(q) is the
 * index of q among them (any case, one trailing dot), -1 when q is none
 * of them; os_known_name_at(i) the name itself, NULL past the last.
 * Fewer than OS_MAX_KNOWN_NAMES. */
#define OS_MAX_KNOWN_NAMES 64
int os_known_name(const char *qname);
const char *os_known_name_at(int i);

/*
 * The remedy for a leak of category (README's leak categories) in the
 * terms of os: the setting, policy or command to use there.  NULL when
 * there is none particular to that system (OS_UNKNOWN among them): the
 * generic remedy applies.  The text is static.
 */
const char *os_remedy(enum os_kind os, const char *category);

#endif
