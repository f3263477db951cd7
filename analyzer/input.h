/* input.h - internal to capture.c: the byte stream under a capture (file, pipe, standard input, gzip/zstd/lz4). */
#ifndef LS_INPUT_H
#define LS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A capture's bytes come from a regular file, from standard input ("-"), or
 * from a pipe, and may be compressed with gzip, zstd or lz4 (frame format),
 * as Wireshark reads them.  The compression is recognised by the first bytes,
 * never by the file name.  An uncompressed regular file is an ordinary FILE
 * (seekable, the fast path unchanged).  Everything else is read through a
 * stdio cookie stream that decompresses as it goes, in bounded memory (zstd
 * window at most 2^27 bytes, lz4 blocks at most 4 MiB, 256 KiB of input
 * buffered), and that can be rewound to byte 0 while no more than its first
 * 64 KiB have been read: that is all the capture readers need to sniff the
 * file header, and it never reads the source twice, so a pipe is consumed
 * exactly once.
 *
 * Damage in the compressed data (a truncated download, a flipped bit) ends
 * the stream where it is: every byte decoded before it is delivered, then
 * end of file, and in_damage() tells what and where (compressed offset and
 * decompressed offset), so the capture is analysed up to the damage and
 * reported incomplete like any other damaged capture.
 */

struct in_stream;

/* Expansion cap: past the first 64 MiB, output more than this many times
 * the compressed bytes read is refused as a decompression bomb (gzip's
 * format allows at most ~1032:1; real captures compress 3:1 to 20:1). */
#define IN_MAX_RATIO 4096u

/*
 * Opens path ("-": standard input) for reading.  Returns the stream (the
 * caller owns it: fclose() it, which also frees *state) and sets *state (NULL
 * for a plain regular file, which needs no state) and *size (the file's size
 * for an uncompressed regular file, else 0: unknown).  Returns NULL with
 * "path: what is wrong" in err.
 */
FILE *in_open(const char *path, struct in_stream **state, uint64_t *size, char *err, size_t errlen);

/* "gzip", "zstd", "lz4", or NULL for uncompressed bytes. */
const char *in_compression(const struct in_stream *s);
/* NULL while the stream is sound; else the damage, "gzip data truncated at
 * compressed byte N (decompressed byte M)" and the like (no path). */
const char *in_damage(const struct in_stream *s);

/* True when path can be opened and read more than once (a regular file or a
 * folder); false for "-", pipes, sockets and character devices. */
bool in_rereadable(const char *path);

/* "zlib 1.2.13, zstd 1.5.4, lz4 1.9.4": the libraries running (for -V). */
void in_lib_versions(char *buf, size_t len);

#endif
