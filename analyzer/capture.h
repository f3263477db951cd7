/* capture.h - reading pcap and pcapng files, one raw record at a time. */
#ifndef LS_CAPTURE_H
#define LS_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * pcap files: the common kind (version 2.4, micro- or nanosecond
 * timestamps, this machine's byte order) is read by our own record parser
 * straight out of a 4 MiB buffer, with libpcap's semantics and messages;
 * every other kind (the other byte order, older versions, Kuznetzov's
 * format) through libpcap.  pcapng files are read by our own bounded block reader,
 * because libpcap neither reports which interface a packet came from nor
 * reads a file whose interfaces have different link types; the interface
 * name (if_name option) is strong evidence for the verdict.
 */

/* One interface as the capture declares it. */
struct cap_iface {
	int linktype;     /* DLT_* / LINKTYPE_* value */
	uint32_t snaplen; /* 0: not given */
	char *name;       /* pcapng if_name, sanitised to printable ASCII; NULL if none */
	char *desc;       /* pcapng if_description; NULL if none */
};

/* Timestamps are kept within +-CAP_TS_MAX seconds (see pcapng.c). */
#define CAP_TS_MAX ((int64_t)1 << 42)

/* One captured record.  data stays valid until the next cap_next() call. */
struct cap_packet {
	uint64_t frame;          /* 1-based packet number in its file, as Wireshark numbers it */
	uint64_t offset;         /* byte offset of the record in the file */
	int64_t ts_sec;          /* timestamp, UTC seconds */
	uint32_t ts_nsec;        /* and nanoseconds */
	int linktype;            /* link type of this record's interface */
	int iface;               /* interface id (pcapng IDB index; 0 for pcap).  In a
	                            pcapng file with several sections this is the index
	                            into cap_iface_get(), counting the IDBs of all
	                            sections in file order (section 1's IDBs first), as
	                            Wireshark numbers them; in the first section it is
	                            the IDB index itself. */
	bool has_iface;          /* iface is a pcapng interface (false for pcap) */
	const char *iface_name;  /* interface name if the file names it, else NULL */
	const char *iface_desc;  /* its description (pcapng if_description), else NULL:
	                            on Windows the name is \Device\NPF_{GUID} and the
	                            description says "WireGuard Tunnel" */
	uint32_t caplen;         /* bytes present in data */
	uint32_t wirelen;        /* original length on the wire */
	uint32_t orig_caplen;    /* captured length in the original capture (differs
	                            from caplen only for a partial's reduced record) */
	bool reduced;            /* a partial's record kept shorter than captured */
	const uint8_t *data;
};

struct cap_file;

/* Opens path.  Returns 0 and *out, or -1 with a message "path: what is wrong"
 * in err (unreadable, not a capture, unsupported link type). */
int cap_open(const char *path, struct cap_file **out, char *err, size_t errlen);

/* Reads the next record.  Returns 1 and fills *pkt; 0 at a clean end of
 * file; -1 when the file is damaged or truncated: records before the damage
 * were all returned, cap_error() tells what and at which byte offset, and
 * further calls return -1. */
int cap_next(struct cap_file *f, struct cap_packet *pkt);

const char *cap_error(const struct cap_file *f);
/* Any pcapng can claim to be a leakscope partial (partial.h) in its section
 * comment; the claim is honoured only after cap_trust_partial() (merge
 * calls it, for files given to it as partials): then the original's path,
 * format and damage replace the file's own, and reduced records keep their
 * original captured length.  Until then a claiming file reads as the
 * pcapng it is. */
void cap_trust_partial(struct cap_file *f);
/* True when f claims to be a partial (whether trusted or not). */
bool cap_claims_partial(const struct cap_file *f);
/* A trusted partial's original capture path (sanitised: printable ASCII,
 * other bytes as \DDD), format ("pcap"/"pcapng") and damage message
 * (NULL: read to the end); NULL for anything else. */
const char *cap_origin_path(const struct cap_file *f);
const char *cap_origin_format(const struct cap_file *f);
const char *cap_origin_damage(const struct cap_file *f);
const char *cap_path(const struct cap_file *f);
/* "gzip", "zstd" or "lz4" when the file was compressed (input.h), else NULL. */
const char *cap_compression(const struct cap_file *f);
/* "pcap" or "pcapng" */
const char *cap_format(const struct cap_file *f);
/* Interfaces seen so far (pcapng may add more as it goes). */
size_t cap_iface_count(const struct cap_file *f);
const struct cap_iface *cap_iface_get(const struct cap_file *f, size_t i);
/* File size in bytes and current read offset, for progress reports. */
uint64_t cap_size(const struct cap_file *f);
uint64_t cap_tell(const struct cap_file *f);
/* Records whose caplen was shorter than their wire length (cut by snaplen). */
uint64_t cap_snapped(const struct cap_file *f);
/* pcap records whose caplen exceeded the file header's snaplen (a broken
 * writer).  libpcap reads them but keeps only snaplen bytes, as tcpdump
 * does; such a record comes back with caplen = snaplen and its true wire
 * length, so it also counts in cap_snapped().  A caplen over libpcap's
 * 256 KiB limit is damage (cap_next returns -1). */
uint64_t cap_over_snaplen(const struct cap_file *f);
void cap_close(struct cap_file *f);
/* Before the first cap_next: a pcap file read by the fast path from a
 * seekable file is read ahead by a thread of its own (-j: the kernel's
 * copy leaves the decoding thread).  Same records, same errors.  Returns
 * 0, or -1 when f is not such a file or no thread can be had (then it is
 * read as before). */
int cap_set_readahead(struct cap_file *f);

/*
 * -f: a BPF filter expression (pcap-filter(7)) applied to every record of
 * every file opened afterwards, compiled with libpcap for each record's link
 * type (a pcapng's interfaces may differ) and run with pcap_offline_filter.
 * cap_next() skips the records it rejects (frame numbers still count them,
 * as Wireshark's do) and cap_filtered() counts them.  NULL or "": no filter.
 * A filter that cannot be compiled for a record's link type ends the file
 * (cap_next returns -1, cap_error says why).  Not thread-safe to change while
 * files are read.
 */
void cap_set_filter(const char *expr);
const char *cap_filter(void);
/* Whether the current filter compiles for linktype: 0, or -1 with
 * libpcap's message in err. */
int cap_filter_check(int linktype, char *err, size_t errlen);
uint64_t cap_filtered(const struct cap_file *f);
/* Versions of the capture libraries: "libpcap version 1.10.3 (...)",
 * and zlib, zstd and lz4 (for -V). */
void cap_lib_versions(char *buf, size_t len);

/* Off: every pcap file through libpcap (tests compare the two readers). */
void cap_set_fast_pcap(bool on);

/* Name of a link type ("EN10MB", "LINUX_SLL2", ...) or "unknown". */
const char *cap_linktype_name(int linktype);
/* True when decode.c can decode this link type. */
int cap_linktype_supported(int linktype);

#endif
