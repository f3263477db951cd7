/* pcapng.h - internal to capture.c: the bounded pcapng block reader. */
#ifndef LS_PCAPNG_H
#define LS_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture.h"

/* Limits; each exists so that a hostile file cannot make us allocate or loop
 * without bound.  Reaching one is reported as damage with the byte offset. */
#define PNG_MAX_BLOCK (16u << 20) /* largest block we accept (Wireshark: 16 MiB) */
#define PNG_MAX_IFACES 4096u      /* IDBs over all sections of one file */
#define PNG_NAME_MAX 64           /* if_name kept, after sanitising */
#define PNG_DESC_MAX 128          /* if_description kept, after sanitising */

struct png_reader;

/*
 * Starts reading a pcapng file from fp, which must stand at byte 0 (the
 * reader does not own fp).  Reads and checks the first Section Header Block.
 * Returns the reader, or NULL with "path: what is wrong" in err.
 */
struct png_reader *png_open(FILE *fp, const char *path, char *err, size_t errlen);

/*
 * Reads blocks up to the next packet record (EPB, SPB or obsolete PB),
 * handling SHB/IDB on the way and skipping every other block type.
 * Returns 1 with *pkt filled (data valid until the next call), 0 at a clean
 * end of file, -1 when the file is damaged: err then holds
 * "path: what at byte N ...".  After -1 the reader must not be used again.
 */
int png_next(struct png_reader *r, struct cap_packet *pkt, char *err, size_t errlen);

/* Interfaces of all sections read so far, in file order; cap_packet.iface
 * indexes this list. */
/* A leakscope partial (partial.h): the original's path, format and damage
 * message; NULL for any other pcapng. */
const char *png_origin_path(const struct png_reader *r);
const char *png_origin_format(const struct png_reader *r);
const char *png_origin_damage(const struct png_reader *r);
size_t png_iface_count(const struct png_reader *r);
const struct cap_iface *png_iface_get(const struct png_reader *r, size_t i);
/* Byte offset of the next block to read. */
uint64_t png_tell(const struct png_reader *r);
void png_close(struct png_reader *r);

#endif
