/* integrity.h - the verdict's integrity contract: "clean" only when every packet was read and every question judged. */
#ifndef LS_INTEGRITY_H
#define LS_INTEGRITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct analysis;

/*
 * The investigation's status, one rule in one place:
 *
 *   AN_LEAKS       at least one leak was found (whatever else is true:
 *                  a leak seen is a leak, even past a cap);
 *   AN_UNDECIDED   nothing could be judged: no packet read, no tunnel
 *                  description given and none recognised, or no host
 *                  had a tunnel to judge against;
 *   AN_INCOMPLETE  no leak among what was judged, but not everything was
 *                  read or judged (a cap reached, events dropped, a
 *                  damaged capture, a declared tunnel never seen...);
 *   AN_CLEAN       every packet of every capture was read, every question
 *                  was judged, none leaked.
 *
 * Each reason that keeps the status from AN_CLEAN is listed with a code
 * (stable, for the XML and JSON) and a sentence (for people).
 */
enum an_status { AN_CLEAN, AN_LEAKS, AN_INCOMPLETE, AN_UNDECIDED };

/* Exit statuses (README "Exit status"); 2 is unusable input, decided
 * before any analysis. */
#define EXIT_CLEAN 0
#define EXIT_LEAKS 1
#define EXIT_UNUSABLE 2
#define EXIT_UNDECIDED 3
#define EXIT_INCOMPLETE 4

#define AN_MAX_REASONS 16
#define AN_REASON_TEXT 320

struct an_reason {
	const char *code; /* static: "event-cap", "host-cap", "damaged", ... */
	bool blocks_clean; /* false: a caveat shown beside the verdict, not a cause of "incomplete" */
	char text[AN_REASON_TEXT];
};

struct an_integrity {
	enum an_status status;
	uint64_t leaks;      /* every leak judged, hosts past the cap included */
	uint64_t judged;     /* questions with a path and a verdict */
	uint64_t questions;  /* questions stored */
	size_t nreasons;
	bool reasons_capped;
	struct an_reason reasons[AN_MAX_REASONS];
};

/* After an_finish.  Fills *out; never fails. */
void an_integrity(const struct analysis *a, struct an_integrity *out);

/* "clean", "leak", "incomplete", "undecided" (the XML's status values). */
const char *an_status_str(enum an_status s);
/* The exit status that goes with it. */
int an_status_exit(enum an_status s);
/* The banner's word: "NO LEAKS", "LEAKS", "INCOMPLETE", "UNDECIDED". */
const char *an_status_banner(enum an_status s);

/* A host's status: "leak" when it leaked, else "clean" only when the
 * whole investigation could be called clean apart from other hosts'
 * leaks; "incomplete" or "undecided" otherwise. */
struct an_host;
const char *an_host_status(const struct analysis *a, const struct an_host *h);

#endif
