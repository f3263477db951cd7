/* fuzz.h - what every fuzz target shares: the entry point's prototype and an invariant check. */
#ifndef LS_FUZZ_H
#define LS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput.  Built
 * with clang -fsanitize=fuzzer it is a libFuzzer target; built by the
 * Makefile for the replay it is compiled with
 * -DLLVMFuzzerTestOneInput=fuzz_<name> (this prototype is renamed with it)
 * and linked with replay.c, which calls it on every stored input.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A promise a header makes about its results (NUL-terminated text, counts
 * within their arrays, no tab or newline in names): when one is broken the
 * input is a bug even though no sanitizer noticed, so abort and let
 * libFuzzer save it.
 */
#define FUZZ_CHECK(cond)                                                                          \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

/* True when the n-byte buffer s holds a NUL and, before it, only bytes
 * from lo to hi (the text rules the headers state). */
static inline int fuzz_text_ok(const char *s, size_t n, unsigned char lo, unsigned char hi)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0)
			return 1;
		if (c < lo || c > hi)
			return 0;
	}
	return 0;
}

/* Reads n bytes through a volatile pointer, so that AddressSanitizer
 * checks a pointer and length a parser handed out. */
static inline void fuzz_touch(const void *p, size_t n)
{
	const volatile uint8_t *b = (const volatile uint8_t *)p;
	for (size_t i = 0; i < n; i++)
		(void)b[i];
}

#endif
