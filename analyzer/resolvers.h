/* resolvers.h - well-known encrypted-DNS resolvers (DoH, DoT, DoQ) by name and address. */
#ifndef LS_RESOLVERS_H
#define LS_RESOLVERS_H

#include <stdbool.h>

#include "util.h"

/* True when name (lower or mixed case, no trailing dot needed) is, or lies
 * below, a well-known public DoH/DoT/DoQ resolver name. */
bool resolver_name_known(const char *name);
/* True when the address is a well-known public resolver that serves
 * encrypted DNS on 443/853 and nothing else there. */
bool resolver_addr_known(const struct ls_addr *a);

#endif
