/* facts.h - what every writer shows, worked out once: host order and status, rcode, MAC and
 * interface texts, the notes that go with an event, the evidence texts.
 *
 * The last stage of an_finish (facts_finish) fills a->host_order and
 * a->iface_labels; the rest are functions of the analysis.  The XML, HTML
 * and TSV writers and the terminal table ask here instead of deriving
 * their own, so that they cannot disagree.  Anomaly names are beside
 * their bits (event.h: ev_anomaly_text).
 */
#ifndef LS_FACTS_H
#define LS_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct analysis;
struct an_host;
struct an_route;

#define AN_IFACE_LABEL 160 /* an interface's label, as every report writes it (longer names are cut) */
#define AN_MAX_NOTES 2

void facts_finish(struct analysis *a);
void facts_free(struct analysis *a);

/* Interface ref's label ("-" when out of range). */
const char *an_iface_text(const struct analysis *a, uint32_t ref);
/* The response code's name ("NXDOMAIN", else "RCODE<n>"), NULL when no response was seen. */
const char *an_rcode_text(const struct ev *e, char *buf, size_t len);
/* "02:00:00:00:01:0a" (buf: 18 bytes or more). */
const char *an_mac_text(const uint8_t mac[6], char *buf, size_t len);
/* "192.0.2.0/24" */
const char *an_route_prefix(const struct an_route *r, char *buf, size_t len);

/* The notes that go with an event, in order: Firefox's DoH canary, a DHCP
 * route covering its resolver (TunnelVision).  stable[i]: text[i] is a
 * constant (a writer may cache its escaped form). */
struct an_notes {
	const char *text[AN_MAX_NOTES];
	bool stable[AN_MAX_NOTES];
	size_t n;
	char buf[256];
};
void an_event_notes(const struct analysis *a, const struct ev *e, struct an_notes *out);

/* The remedy for a leak of category c in host h's own system's terms
 * (os-infer.h: NRPT and the smart multi-homed policy on Windows,
 * DNSDefaultRoute on Linux ...), NULL when h's system is unknown or has
 * nothing particular for c: then only the generic cat_remedy applies.
 * Static text. */
const char *an_os_remedy(const struct an_host *h, enum ev_category c);
/* How a page names the host's system: "Windows", "macOS or iOS" (Apple's
 * client is the same on both), "Linux", "Android", "unknown". */
const char *an_os_label(const struct an_host *h);

/* The evidence note on cleartext to an endpoint's address (TunnelCrack ServerIP). */
extern const char an_note_endpoint_cleartext[];

#endif
