/* suggest.h - suggest-tunnel: a tunnel description written from the carriers and tunnel interfaces seen.
 *
 * Reads a finished analysis (an_finish): the carrier table (carrier.c),
 * the interfaces that look like a VPN's (iface.c) with the addresses the
 * host sent from there, and the resolvers it asked there.  Carriers are
 * listed busiest first; one of fewer than two packets is left out.
 */
#ifndef LS_SUGGEST_H
#define LS_SUGGEST_H

#include <stddef.h>

struct analysis;
struct sbuf;

/* Writes a tunnel description suggested from the carriers and tunnel
 * interfaces seen (call after an_finish).  Returns the number of tunnels
 * suggested (0: none recognised; the XML then says so in a comment). */
size_t an_suggest_xml(const struct analysis *a, struct sbuf *out);

#endif
