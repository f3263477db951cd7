/* partial.h - mergeable partial results: a capture reduced to what the analysis reads, as pcapng. */
#ifndef LS_PARTIAL_H
#define LS_PARTIAL_H

#include <stdint.h>

#include "capture.h"

/*
 * `analyze --partial OUT` writes, for one capture, a pcapng file that
 * `merge` (or analyze) reads back as if it were the original: same
 * interfaces (names, link types), same frames and timestamps, the original
 * path and format in the section header, and a damaged original's message
 * in a final custom block.  Packets of a declared tunnel's carrier, which
 * are most of a VPN audit's bytes and of which the analysis reads only the
 * headers and the first payload bytes, keep PARTIAL_CARRIER_KEEP payload
 * bytes; every other packet is kept whole.  So the merged reports are those
 * of one run over the original captures, by construction.
 */
#define PARTIAL_CARRIER_KEEP 160   /* >= the 148-byte WireGuard handshake test */
#define PARTIAL_MAGIC "leakscope-partial 1"

struct partial;

/* Returns NULL with err set when path cannot be written. */
struct partial *partial_open(const char *path, const char *orig_path, const char *orig_format, char *err,
			     size_t errlen);
/* Writes one record; keep is how many of its bytes to store (caplen when
 * whole).  The interfaces of cf are written before the first record that
 * needs them.  Returns 0 or -1 (write error, or a timestamp before 1970 or
 * after 2554 that pcapng nanoseconds cannot hold). */
int partial_write(struct partial *w, struct cap_file *cf, const struct cap_packet *cp, uint32_t keep);
/* damage: the original's error message, or NULL.  Returns 0 or -1. */
int partial_close(struct partial *w, const char *damage);

#endif
