/* host-os.h - what each host shows of its operating system, kept while reading, weighed after (os-infer.h).
 *
 * While reading: hostos_packet() keeps, per IPv4 source address, how many
 * of its packets started at TTL 64, 128 or 255 (hosts_learn_mac calls it
 * for every packet); hostos_dhcp() keeps the first DHCP request list
 * (option 55) and vendor class (option 60) of each client MAC, and the
 * addresses that MAC asked from or was given.  After the verdicts:
 * hostos_event() marks, per host, the connectivity-check names it asked
 * and its NetBIOS-NS and LLMNR use (hosts_count_event calls it for every
 * event); hostos_finish() weighs each host's evidence (os_infer) into
 * struct an_host's os, os_confidence and os_evidence.  Every table is
 * capped (HOSTOS_MAX_ADDRS, HOSTOS_MAX_DHCP): past a cap nothing more is
 * kept, and what is not kept counts for nothing (os_infer: absent evidence
 * never counts against), so a host past the cap may say "unknown".
 */
#ifndef LS_HOST_OS_H
#define LS_HOST_OS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"

#define HOSTOS_MAX_ADDRS 65536 /* IPv4 source addresses whose TTLs are counted */
#define HOSTOS_MAX_DHCP 4096   /* DHCP clients whose request is kept */

struct dhcp_info;
struct hostos_dhcp_rec;
struct hostos_seen;

/* An open-addressing map from a 64-bit key to an index (index + 1 stored, 0 empty). */
struct hostos_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t nslots, n;
};

struct hostos_state {
	struct hostos_map ttl_map;       /* IPv4 address -> ttl[] row */
	uint32_t (*ttl)[3];              /* packets at initial TTL 64, 128, 255 */
	size_t nttl, capttl;
	uint32_t last_addr;              /* cache: the last source address counted, and its row + 1 */
	size_t last_row;
	struct hostos_map dhcp_map;      /* MAC or IPv4 address -> dhcp[] row */
	struct hostos_dhcp_rec *dhcp;
	size_t ndhcp, capdhcp;
	struct hostos_seen *seen;        /* per host index (hostos_event) */
	size_t nseen;
	bool capped;                     /* a table was full: some evidence was not kept */
};

void hostos_free(struct analysis *a);
/* Per packet (before any shard filter): its TTL counted for its IPv4 source. */
void hostos_packet(struct analysis *a, const struct pkt *p);
/* A DHCPv4 message (shard 0): a client's request list and vendor class,
 * by its MAC and the address it sent from; a server's reply links the
 * address given (yiaddr) to the client's MAC. */
void hostos_dhcp(struct analysis *a, const struct pkt *p, const struct dhcp_info *di);
/* Per event with its host decided. */
void hostos_event(struct analysis *a, const struct ev *e);
/* After the hosts' addresses are final: each host's OS. */
void hostos_finish(struct analysis *a);

#endif
