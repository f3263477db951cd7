/* custody.h - chain of custody for the reports: SHA-256 (FIPS 180-4) and size of each capture and of the tunnel description, the command line, the library versions. */
#ifndef LS_CUSTODY_H
#define LS_CUSTODY_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), libgcrypt's behind this wrapper (custody.c says
 * why; tests/test_custody.c checks it against NIST's vectors and
 * sha256sum).  A context is opened by sha256_init and closed by
 * sha256_final_hex. */
struct sha256 {
	void *md;       /* gcry_md_hd_t */
	uint64_t len;   /* bytes hashed so far */
};
void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Frees a context without a digest (sha256_final_hex frees it too). */
void sha256_discard(struct sha256 *c);
/* Writes the digest as 64 lower-case hex digits and a NUL into hex. */
void sha256_final_hex(struct sha256 *c, char hex[65]);

/*
 * What the reports say about their inputs.  A capture that can be read
 * again (a regular file, compressed or not) is hashed in a second streaming
 * pass after the analysis ("second pass"); a capture that can be read only
 * once (standard input, a pipe) is hashed while it is read (input.c: every
 * byte read from the descriptor, the rest of the stream drained after the
 * reader stops, so the digest is that of the whole stream: "while reading").
 * The digest is of the bytes as stored (a .pcap.gz's compressed bytes), the
 * value sha256sum prints for the file.
 */
struct custody_capture {
	char *path;          /* as given on the command line (or found in a folder given) */
	uint64_t size;       /* bytes hashed */
	char sha256[65];     /* "" when it could not be hashed */
	const char *how;     /* "second pass", "while reading" */
	char *error;         /* why it could not be hashed, else NULL */
};

struct custody {
	int argc;
	char **argv;         /* copies, as given */
	char versions[4][256]; /* leakscope, capture libraries, nDPI, libxml2 */
	struct custody_capture *caps;
	size_t ncaps;
	/* the tunnel description */
	const char *desc_source; /* "given", "suggested", "none" */
	char *desc_path;     /* as given (--tunnel), else NULL */
	uint64_t desc_size;  /* bytes of the file (given) or of the suggested XML */
	char desc_sha256[65];
	char *desc_text;     /* its content (secrets redacted: see desc_redacted), NUL-terminated */
	size_t desc_redacted; /* lines whose secret was replaced by "(redacted)" */
	char *desc_translated; /* a VPN configuration's translation to a description, else NULL */
	pthread_t thread;    /* custody_captures_begin's second pass */
	bool hashing;
};

/* A new record of argv (copied).  The caller owns it: custody_free. */
struct custody *custody_new(int argc, char *const *argv);
void custody_free(struct custody *c);

/* The versions: leakscope, capture libraries (libpcap, zlib, zstd, lz4),
 * nDPI, libxml2, as -V prints them. */
void custody_versions(struct custody *c, const char *leakscope, const char *capture_libs, const char *ndpi,
		      const char *libxml2);

/* Hashes each capture, in the order given (the reports' capture order):
 * a second pass over what can be read again, else the digest input.c
 * computed while reading (custody_stream_take). */
void custody_captures(struct custody *c, int n, char *const *paths);
/* The same in two halves: begin starts the second pass over the files that
 * can be read again in a thread of its own (call it before the analysis:
 * the pass runs beside it); end waits for it and takes the digests of the
 * read-once streams (call it after the analysis).  custody_free ends it. */
void custody_captures_begin(struct custody *c, int n, char *const *paths);
void custody_captures_end(struct custody *c);

/* Records the description as read (bytes, len: the file's bytes; the
 * digest is of them, the text shown has private keys, pre-shared keys and
 * inline OpenVPN key blocks redacted).  translated: the description a VPN
 * configuration was turned into (NULL for XML). */
void custody_description(struct custody *c, const char *source, const char *path, const char *bytes, size_t len,
			 const char *translated);

/* Reads path ("-" not allowed) into a new buffer, at most max bytes.
 * Returns 0 with *out (NUL-terminated, caller frees) and *len, or -1 with
 * "path: ..." in err (unreadable, or longer than max). */
int custody_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);

/* input.c: a read-once stream's digest at its close (thread-safe). */
void custody_stream_done(const char *path, const char hex[65], uint64_t size);

#endif
