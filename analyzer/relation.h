/* relation.h - which hosts each capture saw, and whether captures given together belong together (overlap in time, share a host). */
#ifndef LS_RELATION_H
#define LS_RELATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct analysis;

#define REL_MAX_FILES 64      /* captures told apart per host (a bit each); more: no check */
#define REL_NEAR_SEC 3600     /* captures this close in time are one recording (tcpdump -G rotation) */

/*
 * After an_finish.  A host belongs to a capture when a question of it was
 * seen there (its query or its response).  Captures whose times overlap
 * or lie within REL_NEAR_SEC of each other are one recording (files of a
 * rotation, a gateway and a client side by side); captures fall into groups
 * of such.  More than one group means captures from different times were
 * given as one investigation: a host is judged against a tunnel seen at
 * another time, whether or not it is the same host (integrity.c: reason
 * "captures-unrelated", with the hosts they have in common).  Captures of
 * the same time that share no host are counted too (nlonely).
 */
struct an_relation {
	size_t nfiles, nhosts;
	uint64_t *host_files;  /* per host: bit f set when it was seen in capture f */
	size_t *file_hosts;    /* per capture: hosts seen in it */
	int *group;            /* per capture: its group (0-based, by first capture); -1: no packet */
	int ngroups;
	size_t shared_hosts;   /* hosts seen in more than one capture */
	/* pairs overlapping in time that share no host (both with hosts) */
	size_t nlonely;
};

/* NULL when fewer than two captures or more than REL_MAX_FILES were read.
 * Seals the event store (an_prepare_reports).  Caller frees: rel_free. */
struct an_relation *rel_compute(struct analysis *a);
void rel_free(struct an_relation *r);
/* True when host h was seen in capture f. */
bool rel_host_in(const struct an_relation *r, size_t h, size_t f);

#endif
