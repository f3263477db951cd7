/* rules-index.h - sorted address tables behind the description's lookups (internal to rules.c). */
#ifndef LS_RULES_INDEX_H
#define LS_RULES_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/*
 * The verdict asks per packet whether an address lies in one of the
 * description's endpoint prefixes (and, per event, inside prefixes and
 * resolver addresses).  A linear walk over 64 tunnels x 256 entries made a
 * description at the caps 29 times slower; here each lookup costs one
 * binary search per distinct (family, prefix length) in the table (at most
 * 33 + 129, a few in practice), whatever the number of entries.
 *
 * Entries carry an order (document order: tunnel index, then element
 * index); a lookup returns the matching entry of least order, exactly as
 * the linear walk returned the first match.  A port or transport of 0 in an
 * entry means "any".
 */
struct ri_table;

struct ri_table *ri_new(void);
/* Adds addr/plen (host bits beyond plen are ignored). */
void ri_add(struct ri_table *t, const struct ls_addr *addr, uint8_t plen, uint16_t port, uint8_t transport,
	    uint32_t order, const void *item, const void *owner);
/* Sorts the table; call once after the last ri_add, before ri_find. */
void ri_finish(struct ri_table *t);
/*
 * The entry of least order whose prefix holds a and, unless any_port, whose
 * port is 0 or port and whose transport is 0 or transport.  Returns its
 * item (and *owner when owner is not NULL), or NULL.  Read-only: threads
 * may share a finished table.
 */
const void *ri_find(const struct ri_table *t, const struct ls_addr *a, uint16_t port, uint8_t transport,
		    bool any_port, const void **owner);
void ri_free(struct ri_table *t);

#endif
