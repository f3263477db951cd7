/* test_carrier_index.c - the hashed endpoint index answers as the description's linear lookups do. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "rules.h"
#include "rules-index.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A small address space, so that exact addresses repeat across tunnels,
 * prefixes cover exact endpoints and ports and transports differ. */
static struct ls_addr some_addr(void)
{
	struct ls_addr a;
	memset(&a, 0, sizeof(a));
	if (rnd(3) == 0) {
		a.af = 6;
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[15] = (uint8_t)rnd(8);
	} else {
		a.af = 4;
		a.a[0] = 10;
		a.a[2] = (uint8_t)rnd(2);
		a.a[3] = (uint8_t)rnd(8);
	}
	return a;
}

static const uint16_t ports[] = {0, 53, 443, 51820};
static const uint8_t transports[] = {0, 6, 17, 50};

Test(carrier_index, matches_the_linear_lookups)
{
	unsigned hits = 0, misses = 0, pfx_hits = 0, later_tunnel = 0;
	for (int round = 0; round < 300; round++) {
		struct rules r;
		memset(&r, 0, sizeof(r));
		r.n_tunnels = 1 + rnd(4);
		r.tunnels = calloc(r.n_tunnels, sizeof(*r.tunnels));
		for (size_t t = 0; t < r.n_tunnels; t++) {
			struct rules_tunnel *tu = &r.tunnels[t];
			tu->n_endpoints = rnd(6);
			tu->endpoints = calloc(tu->n_endpoints + 1, sizeof(*tu->endpoints));
			for (size_t e = 0; e < tu->n_endpoints; e++) {
				struct rules_endpoint *ep = &tu->endpoints[e];
				ep->pfx.addr = some_addr();
				uint8_t full = ep->pfx.addr.af == 6 ? 128 : 32;
				ep->pfx.plen = rnd(4) == 0 ? (uint8_t)(full - 1 - rnd(8)) : full;
				ep->port = ports[rnd(4)];
				ep->transport = transports[rnd(4)];
			}
		}
		rules_build_index(&r); /* the loader's lookup tables (rules-index.c) */
		struct carrier_index ix;
		carrier_index_build(&ix, &r);
		for (int q = 0; q < 400; q++) {
			struct ls_addr a = some_addr();
			uint16_t port = ports[rnd(4)];
			uint8_t tr = transports[rnd(4)];
			const struct rules_tunnel *want = rules_endpoint_match(&r, &a, port, tr);
			int got = carrier_index_match(&ix, &a, port, tr, false);
			cr_assert_eq(got, want ? (int)(want - r.tunnels) : -1, "round %d query %d", round, q);
			want = rules_endpoint_addr_match(&r, &a);
			got = carrier_index_match(&ix, &a, 0, 0, true);
			cr_assert_eq(got, want ? (int)(want - r.tunnels) : -1, "round %d query %d (address)", round, q);
			if (want) {
				hits++;
				if (want != r.tunnels)
					later_tunnel++;
				bool exact = false;
				for (size_t i = 0; i < want->n_endpoints; i++)
					exact |= addr_cmp(&want->endpoints[i].pfx.addr, &a) == 0 &&
						 want->endpoints[i].pfx.plen == (a.af == 6 ? 128 : 32);
				if (!exact)
					pfx_hits++;
			} else {
				misses++;
			}
		}
		carrier_index_free(&ix);
		for (size_t t = 0; t < r.n_tunnels; t++)
			free(r.tunnels[t].endpoints);
		free(r.tunnels);
		ri_free(r.ix_endpoints);
		ri_free(r.ix_inside);
		ri_free(r.ix_resolvers);
		ri_free(r.ix_allow);
	}
	/* the draws reached every case: matches and none, by prefix only,
	 * in a later tunnel than the first */
	cr_assert_gt(hits, 1000);
	cr_assert_gt(misses, 1000);
	cr_assert_gt(pfx_hits, 100);
	cr_assert_gt(later_tunnel, 100);
}

Test(carrier_index, no_description)
{
	struct carrier_index ix;
	carrier_index_build(&ix, NULL);
	struct ls_addr a = {.af = 4, .a = {203, 0, 113, 5}};
	cr_assert_eq(carrier_index_match(&ix, &a, 51820, 17, false), -1);
	carrier_index_free(&ix);
}
